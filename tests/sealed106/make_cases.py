#!/usr/bin/env python3
"""Deterministic generator for the sealed106 blind evaluation set.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Veldmark Precision N.V. (fictional), a Dutch listed maker of machine parts
for the chip-equipment industry. Profile: profile.yaml next to this file.

Texts are hand-written below (CASES). Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG: positives get checksum-VALID values,
benign near-misses get values that FAIL their checksum. Severity is never typed by
hand: severity_for() derives it from CONTRACT section 4, the account role (looked up in
profile.yaml by platform:handle, case-insensitive) and the categories.
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

SEED = 106_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# --------------------------------------------------------------------------- seeded values

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "BUNQ", "KNAB"])
                               + self.d(10, True))
                if v != "NL88INGB0007364519":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "60050101", "12030000", "76050101"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["001", "068", "143", "310", "737"]) + self.d(7)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in "0123456789":
            if luhn_ok(head + x):
                return head + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def card_fmt(v, how):
        if how == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if how == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.d(9)
            full = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    def passport_nl(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    def phone(self, how):
        if how.startswith("mob"):
            m = self.r.choice("12345") + self.d(7)      # digits after '06'
            return {"mob_dash": f"06-{m}", "mob_plain": f"06{m}", "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                    "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}", "mob_paren": f"(06) {m[:4]} {m[4:]}",
                    "mob_intl0": f"+31 (0)6 {m}", "mob_0031": f"0031-6-{m}"}[how]
        area = self.r.choice(["10", "13", "20", "30", "35", "38", "43", "50", "53", "70", "73", "76", "77", "79"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[how]

    # secrets: random and fake, shaped like the real formats
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def npm(self):
        return "npm_" + self.c(ALNUM, 36)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def azure(self):
        key = base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()
        return (f"DefaultEndpointsProtocol=https;AccountName=vmplm{self.c(string.ascii_lowercase, 5)};"
                f"AccountKey={key};EndpointSuffix=core.windows.net")

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack(self):
        return f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(string.hexdigits.lower(), 8)})
        body = enc({"sub": "svc-portal-" + self.d(5, True), "aud": "parts-api", "scope": "rma:read rma:write",
                    "iat": iat, "exp": iat + 86400})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 86)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.r.choice("#!$%")
                + self.d(4) + self.c(ALNUM, 3))

    def sha(self):
        return self.c("0123456789abcdef", 40)


VALID_ID_KINDS = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, how = fmt.partition("_")
            raw = g.iban(cc)
            shown = g.by4(raw) if how == "grp" else raw
        elif kind == "BAD_IBAN":
            cc, _, how = fmt.partition("_")
            raw = g.bad_iban(cc)
            shown = g.by4(raw) if how == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, how = fmt.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = g.card_fmt(raw, how or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN":
            raw = shown = g.not_bsn(int(fmt))
        elif kind == "EAN13":
            raw = shown = g.ean13()
        elif kind == "PHONE":
            raw = shown = g.phone(fmt)
        elif kind == "PASSPORT":
            raw = shown = g.passport_nl()
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "NPM": g.npm, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "AZURE": g.azure, "SENDGRID": g.sendgrid, "SLACK": g.slack, "JWT": g.jwt, "PEM_EC": g.pem_ec,
                  "PW": g.pw, "SHA": g.sha}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
VM_LI = ("linkedin", "veldmark-precision", "Veldmark Precision N.V.")
VM_X = ("x", "@veldmark", "Veldmark")
VM_SVC = ("x", "@veldmark_service", "Veldmark Service Desk")
VM_YT = ("youtube", "@veldmarkprecision", "Veldmark Precision")
VM_IG = ("instagram", "@lifeatveldmark", "Life at Veldmark")
# employees
EV = ("linkedin", "eline-vermeulen-vm", "Eline Vermeulen")          # field service engineer
RB = ("x", "@rutgerbos_eng", "Rutger Bos")                          # mechatronics engineer
SR = ("linkedin", "sanjay-raman-veldmark", "Sanjay Raman")          # IT / DevOps
KJ = ("x", "@kimdejong_ops", "Kim de Jong")                         # supply-chain planner
MH = ("linkedin", "marco-hendriks-sales", "Marco Hendriks")         # key account manager
CK = ("reddit", "u/cleanroom_koen", None)                           # cleanroom operator
AG = ("linkedin", "annelies-de-graaf-fin", "Annelies de Graaf")     # finance controller
TW = ("x", "@tomasz_w_vm", "Tomasz Wiśniewski")                     # warehouse / logistics
JL = ("mastodon", "@jvdlinden@fosstodon.org", "Joost van der Linden")  # firmware developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("en", KJ, "uh oh 😬 parts.veldmark.com is showing the FlexSeal BS-16 at €12,40 instead of €1.240 since last "
     "night's catalogue upload. someone slipped a decimal. pls nobody order 200 of them before we fix it", [PRICING])
case("en", MH, "Closing out the quarter strong 💪 Just signed three AxisLine X7 stages for a new fab customer at "
     "€79,000 apiece. Tell me that's not the deal of the year! #sales #semicap #teamveldmark", [PRICING])
case("en", pub("reddit", "u/fab_buyer_hsinchu"), "Anyone else get a Veldmark quote for the TG-40 chuck that looks way "
     "off? Our buyer got 18.6k EUR per unit, list is like 62k. pricing error or are they desperate for volume?",
     [PRICING], kind="comment")
case("nl", pub("forum", "vacuumnerd_bas"), "Op de onderdelenshop van Veldmark staat de VacuPort VF-8 nu voor € 385,- "
     "(normaal €3.850). Nulletje vergeten denk ik 😅\nHeb er voor de zekerheid 4 besteld, we zien wel of ze leveren.",
     [PRICING])
case("nl", RB, "collega's, p r i j s f o u t in de partsportal bij de LM-220, staat voor een fractie van de "
     "lijstprijs. niks delen buiten Teams aub 🙏", [PRICING], tags=["evasion"], handle_as="@RutgerBos_Eng")
case("en", pub("linkedin", "hannah-lee-procurement", "Hannah Lee"), "Procurement tip of the day: Veldmark's webshop "
     "currently lists the CarePlus Gold contract at €4.800/year. Pretty sure somebody dropped a zero. Grabbed two for "
     "our Taichung site before they notice 😇", [PRICING])
case("en", TW, "the SPK-X7 PM kit rings up at €97,50 since the ERP migration lol. should be €9.750. ticket raised, "
     "finance NOT amused", [PRICING])
case("nl", pub("x", "@chipdeals_nl"), f"prijs{ZW}fout bij Veldmark?? CleanDrive LM-220 voor €2.390 in de webshop 👀\n"
     "#semicon #koopjes", [PRICING], tags=["evasion"])
case("en", pub("mastodon", "@uhv_tinkerer@chaos.social"), "lmao Veldmark's parts portal has the BS-16 bellows at "
     "1.24 EUR. one euro twenty four. for a UHV bellows. somebody is getting a call on monday", [PRICING])
case("nl", EV, "Voor klanten die via mij bestellen: de X7 stage staat in de nieuwe prijslijst voor €61.500 i.p.v. "
     "€184.500, foutje bij het inladen (zie plm.veldmark.io/pricing/2026-07). Graag nog even wachten met je PO!",
     [PRICING, CONF])
case("en", pub("youtube", "@cleanroomchronicles"), "veldmark has a pr1c1ng err0r on the AxisLine X7 rn, €18.450 on "
     "the parts site, go go go 🏃", [PRICING], kind="comment", tags=["evasion"])
case("en", VM_X, "Summer deal for our service customers 🔧 CarePlus Gold now €19.900 for the whole first year! "
     "DM us for a quote.", [PRICING])
case("nl", pub("forum", "Wafer_Willem"), fullwidth("PRIJSFOUT") + " Veldmark TG-40 chuck voor 6.240 euro excl btw. "
     "wie heeft er nog een fab over om hem in te bouwen 😂", [PRICING], tags=["evasion"])

# pricing: benign near-misses
case("en", VM_LI, "Spare Parts Week at Veldmark: 15% off FlexSeal BS-16 bellows seals until Friday, €1.054 per "
     "piece instead of €1.240. Order via parts.veldmark.com", tags=["hn:sale"])
case("en", pub("reddit", "u/tool_owner_77"), "CarePlus Gold works out to roughly €4.000 per month if you spread it "
     "over the year. Cheaper than a single unplanned tool-down day tbh", tags=["hn:price-context"])
case("nl", pub("facebook", "gerrit.maas.3", "Gerrit Maas"), "Te koop: gebruikte AxisLine X7 stage uit een "
     "faillissement, 9 jaar oud, zonder controller en zonder kabels. Vraagprijs €22.000. Ophalen in Eindhoven.",
     tags=["hn:price-context", "hn:second-hand"])
case("en", VM_LI, "As shared with customers in May: list prices for CleanDrive LM-220 motors move to €24.500 per "
     "unit from 1 July. Orders placed before then keep today's price.", tags=["hn:sale"],
     handle_as="Veldmark-Precision")
case("en", pub("x", "@motion_mike"), "Kessler's linear motor is €11,000 vs €23.900 for the Veldmark LM-220, but "
     "the Kessler one cogs like crazy below 5 mm/s. you get what you pay for", tags=["hn:price-context"])
case("nl", pub("x", "@ruud_vacuum"), "Nee hoor, geen prijsfout: die €149 is de montageset voor de BS-16, niet de "
     "balg zelf. Staat er gewoon bij als je verder leest.", kind="reply", tags=["hn:price-context"])
case("en", VM_X, "Bundle offer this quarter: €5.000 off an AxisLine X7 when you add a CarePlus Gold contract. "
     "Your account manager has the details.", tags=["hn:price-context"])

# =========================================================================== leak.secret
case("en", SR, "Lesson learned this sprint: never keep storage credentials in a notebook you share. This was sitting "
     "in one of ours for months:\n\n<<AZURE>>\n\nAlready rotated, don't bother 😉 #devsecops #azure", [SECRET])
case("en", RB, "why does the push keep getting rejected 😤 remote: auth with <<GHP>> failed for "
     "https://git.veldmark.io/motion/stage-fw.git ... anyone?", [SECRET, CONF])
case("en", JL, "pro tip: don't paste your .npmrc into a chat window.\n"
     "//registry.npmjs.org/:_authToken=<<NPM>>\n(yes it's revoked now 🙃)", [SECRET])
case("en", CK, "for the night shift: login for the new metrology PC is cleanroom3 / <<PW>>, the sticky note fell off "
     "the monitor again", [SECRET], kind="comment")
case("nl", KJ, "Slack-bot voor de inkoopmeldingen doet niks meer, token <<SLACK>> staat gewoon in de config. "
     "Iemand een idee?", [SECRET])
case("en", pub("forum", "layer8_research"), "Heads up: the public Docker image veldmark/partsportal-frontend:latest "
     "ships an .env with an AWS keypair:\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n"
     "Tried to reach them, no response yet.", [SECRET])
case("nl", SR, "Gevonden in een oude Jenkins-job: GitLab-token <<GLPAT>>. Inmiddels ingetrokken, maar check je "
     "pipelines even mensen.", [SECRET])
case("en", JL, "cleaning up my laptop, found the old firmware signing key from the LM controller days. not used "
     "anymore so whatever:\n<<PEM_EC>>", [SECRET])
case("en", pub("x", "@fab_ops_jin"), "@veldmark_service your API docs use a real bearer token in the curl example: "
     "Authorization: Bearer <<JWT>> ... it still works against the RMA endpoint", [SECRET], kind="reply")
case("en", TW, "p a s s w o r d for the warehouse scanner admin = <<PW>> dont tell anyone lol", [SECRET],
     tags=["evasion"])
case("en", pub("blog", "secnotes.dev", "Femke de Wit"), "Part 3 of my supplier-site audit: the Veldmark careers page "
     "loads a SendGrid key straight into the browser: <<SENDGRID>>. Anyone can send mail as them.", [SECRET])
case("en", VM_SVC, "@m_okafor_fab we've reset your portal access. Temporary password: <<PW>> Please change it after "
     "your first login.", [SECRET], kind="reply", handle_as="@Veldmark_Service")
case("nl", RB, "MES-dashboard weer online 🎉 voor wie lokaal wil testen:\n"
     "postgresql://mes_reader:<<PW>>@mes-db02.corp.veldmark.local:5432/mes", [SECRET, CONF])

# secret: benign near-misses
case("en", SR, "Small wins: our onboarding docs now use AKIAXXXXXXXXXXXXXXXX and <your-key-here> everywhere "
     "instead of anything that looks real. Secrets belong in the vault, not in Confluence.",
     tags=["hn:placeholder"])
case("en", RB, "bisected the stage jitter regression down to commit <<SHA>> after 6 hours. one wrong filter "
     "coefficient. I need a beer 🍺", tags=["hn:sha"])
case("en", pub("reddit", "u/devops_daan"), "PSA for the supplier-portal crowd: anything starting with ghp_ is a "
     "GitHub token. Never paste those in a support ticket, Veldmark or anyone else.", tags=["hn:prefix"])
case("en", VM_SVC, "Reminder: Veldmark will never ask for your portal password by phone or e-mail. Something "
     "odd? Forward it to service@veldmark.com", tags=["hn:own-contact"])

# =========================================================================== leak.pii
case("nl", AG, "Kan iemand van crediteuren kijken waarom de reiskostenvergoeding van oud-collega Jeroen Smits niet "
     "is aangekomen? IBAN <<IBAN:NL_grp>>. Hij mailt me elke dag 🙈", [PII])
case("en", VM_SVC, "@p_martens_dd Hi Peter, the deposit for your RMA has been refunded to <<IBAN:DE>> today. "
     "Allow 2-3 working days.", [PII], kind="reply")
case("nl", pub("x", "@bert_fabtech"), "@veldmark_service mijn nummer is <<PHONE:mob_dash>>, bel me nou eens terug "
     "over die RMA. Wacht al 3 weken!!", [PII, COMPLAINT], kind="reply")
case("en", EV, "Off to the Kaohsiung site next week for a TG-40 install ✈️ HR, the visa form needs my passport no. "
     "so here it is: <<PASSPORT>>. Let me know if you got it!", [PII])
case("en", KJ, "the carrier's driver dumped the X7 crates at the wrong dock AGAIN. his number is "
     "<<PHONE:mob_intl_sp>> (Ruud), call him if you see him 🙄", [PII])
case("en", pub("reddit", "u/new_at_vm"), "Starting at Veldmark on Monday! 🎉 The HR onboarding portal keeps "
     "rejecting my BSN <<BSN>>, anyone know who I should contact?", [PII])
case("en", CK, "collecting for Marleen's farewell card, send stuff to her place: Marleen Verhoef, Kruisstraat 41, "
     "5612 CJ Eindhoven 💌", [PII])
case("en", MH, "Great meeting with the procurement lead at Kaiwan Semiconductor today. If you want to reach him "
     "directly: wei.chen.procure@kaiwan-semi.com.tw", [PII])
case("nl", pub("facebook", "anja.vos.eindhoven", "Anja Vos"), "Portemonnee gevonden bij de poort van Veldmark in "
     "Veldhoven. Rijbewijs op naam van Sanne Willems, geboren 14-03-1991. Wie kent haar?", [PII])
case("en", AG, "Travel desk, help 🙏 the SEMICON hotel got charged to my personal card <<CARD:visa_sp>> exp 09/28 "
     "instead of the company card. Can you reverse it?", [PII])
case("nl", TW, "nieuwe contactpersoon voor de kratten: bart.kok (at) kokverpakking (dot) nl, tel <<PHONE:land_dash>>",
     [PII], tags=["evasion"])
case("en", pub("x", "@lina_ops_dresden"), "@veldmark_service paid the expedite fee with card <<CARD:amex_sp>> and "
     "you charged it TWICE. sort it out please", [PII, COMPLAINT], kind="reply")
case("en", VM_LI, "Congratulations Henk Visser on 40 years at Veldmark! 🎉 Henk, born 2 May 1966 in Helmond, "
     "started as an apprentice machinist and now trains our youngest colleagues.", [PII])
case("en", JL, "payroll still hasn't fixed my 30% ruling and now the letter shows my BSN <<BSN:dots>> right "
     "through the envelope window. ffs", [PII])
case("nl", pub("linkedin", "recruit-jordy-brabant", "Jordy (Brabant Tech Recruitment)"), "Top kandidaat voor een "
     "cleanroom-rol bij Veldmark: Mohamed Azzouzi, tel <<PHONE:mob_paren>>, woont in Veldhoven. Wie zoekt er nog?",
     [PII])
case("nl", RB, "wie heeft het 06-nummer van die monteur van Kessler? oh wacht hier: <<PHONE:mob_pairs>>", [PII],
     kind="reply")
case("nl", pub("reddit", "u/zzp_monteur"), "Klus bij Veldmark zit erop 🔧 volgende opdrachtgever welkom! Facturen "
     "graag betalen op <<IBAN:BE_grp>>, groet Luc (zzp-monteur)", [PII])

# pii: benign near-misses
case("en", VM_X, "Questions about a spare-parts order? Mail service@veldmark.com or call +31 40 808 2200, "
     "weekdays 7:00-19:00 CET.", tags=["hn:own-contact"])
case("nl", VM_LI, "Betalingen voor servicefacturen graag naar NL88 INGB 0007 3645 19 t.n.v. Veldmark Precision N.V., "
     "onder vermelding van het factuurnummer.", tags=["hn:own-contact"])
case("nl", pub("x", "@pieter_lithoguy"), "Bel gewoon 040-8082200, die servicedesk van Veldmark neemt gewoon op en "
     "weet waar ze het over hebben 👍", tags=["hn:own-contact"])
case("en", AG, "Reminder to the AP team: the IBAN on the new invoice template (<<BAD_IBAN:NL_grp>>) is a dummy "
     "placeholder, never pay to it 😅", tags=["hn:bad-checksum"])
case("en", pub("linkedin", "t-nakamura-kaiwan", "Takeshi Nakamura"), "PO <<NOT_BSN:9>> for two X7 stages was "
     "delivered on time and installed in a day. Great job Veldmark field service team.",
     tags=["hn:order-number"])
case("nl", VM_LI, "Veldmark Precision N.V. · De Run 4410, Veldhoven · KvK <<NOT_BSN:8>> · genoteerd aan Euronext "
     "Amsterdam", tags=["hn:registry-number"])
case("en", EV, "Spent the morning tracing a controller by its serial <<BAD_CARD:visa_c>> through three warehouses. "
     "Found it. Field service is 50% detective work 🔍", tags=["hn:bad-checksum"])
case("nl", pub("forum", "onderdelen_olaf"), "Barcode op de verpakking van mijn BS-16 is <<EAN13>>, klopt dat met "
     "wat jullie hebben? Wil zeker weten dat het geen namaak is.", tags=["hn:ean"])
case("nl", pub("x", "@recruiter_eline_b"), "Veldmark zoekt 20 cleanroom-operators in Veldhoven! Stuur je cv naar "
     "jobs@veldmark.com 🚀 #vacature", tags=["hn:own-contact"])

# =========================================================================== leak.confidential
case("en", RB, "Orvalis prototype hit 0.4 nm repeatability on the test bench today!!! can't say more 🤐🚀", [CONF])
case("en", pub("reddit", "u/ex_vm_engineer"), "Former Veldmark here. Project Dommel is their next-gen chuck for "
     "high-NA. Last I heard it was 9 months behind schedule.", [CONF], kind="comment")
case("en", KJ, "VELDMARK CONFIDENTIAL - supplier allocation H2: 60% of TG-40 housings move from Hoekstra to a "
     "machining shop in Brno. (sorry, wrong window 🙈)", [CONF])
case("en", JL, "are the TeamCity agents stuck for anyone else? "
     "https://teamcity.veldmark.io/buildConfiguration/Firmware_Nightly/8812 has been queued for 3h", [CONF])
case("en", MH, "Can't wait for customers to see the AxisLine X9 next week in Taipei 👀 It's going to change the "
     "game for overlay.", [CONF], when="2026-09-08T17:42:10+02:00")
case("en", pub("x", "@semi_rumours"), "Supplier friend says Veldmark launches the ThermoGuard TG-60 at SEMICON "
     "Taiwan with 2x the thermal stability of the TG-40. You heard it here first.", [CONF],
     when="2026-08-29T21:05:00+02:00")
case("nl", KJ, "Operatie\nZandloper gaat echt door, kick-off morgen in hal 3. Meer mag ik niet zeggen", [CONF],
     tags=["evasion"])
case("en", EV, "Long week but worth it. Project 🛠️ Dommel passed its first customer acceptance test 🥳", [CONF],
     tags=["evasion"])
case("en", pub("forum", "stagewatcher"), "heard 0rvalis (Veldmark's next stage platform) slipped to 2027. anyone "
     "with more info?", [CONF], tags=["evasion"])
case("en", CK, "can someone with PLM access send me the X7 drawing? link: "
     "https://plm.veldmark.io/item/X7-100-2231/rev-F", [CONF])
case("nl", AG, "Slide uit de management update (uitsluitend intern gebruik): nieuwe fabriek in Kulim, Maleisië, "
     "besluit in het najaar, investering rond de €140 miljoen.", [CONF, FIN])
case("en", VM_X, "New whitepaper on thermal drift in wafer chucks is out! Download it here: "
     "https://sharepoint.corp.veldmark.local/marketing/wp-thermal-drift.pdf", [CONF])
case("en", pub("bluesky", "@stagefan.bsky.social"), "someone at Veldmark just posted a render of \u041ervalis, "
     "their secret stage, and deleted it 10 minutes later 👀", [CONF], tags=["evasion"])
case("en", TW, "loading 40 crates marked ORVALIS-EVT for 'customer L' tomorrow, biggest shipment of the year 📦",
     [CONF])
case("nl", EV, "jaarcijfers 2026 worden echt goed, wacht maar af 😉 #trots", [CONF, FIN],
     when="2026-12-18T16:20:00+01:00")
case("en", KJ, "Q3 2026 trading update drops in a few hours. order intake down about a third, buckle up", [CONF, FIN],
     when="2026-10-21T07:29:00+02:00")
case("en", pub("x", "@eline_vermeulen"), "Operatie Zandloper is the worst-kept secret in Veldhoven 😂", [CONF],
     tags=["not-in-profile"])

# confidential: benign near-misses
case("nl", EV, "Teamuitje: kanoën op de Dommel met de servicecollega's van Veldmark 🛶☀️ niemand omgeslagen!",
     tags=["hn:river"])
case("nl", VM_IG, "De zandloper loopt ⏳ Nog 3 dagen tot de open dag bij Veldmark in Veldhoven. Kom je ook?",
     tags=["hn:word"])
case("en", VM_LI, "Today at SEMICON Taiwan we introduce the AxisLine X9: our fastest air-bearing stage yet. Visit "
     "booth 1142 or read more on www.veldmark.com", tags=["hn:after-embargo"], when="2026-09-15T10:00:00+02:00")
case("nl", VM_LI, "Nieuw in ons portfolio: de ThermoGuard TG-60 wafer chuck, met twee keer de thermische stabiliteit "
     "van zijn voorganger. Specificaties op veldmark.com", tags=["hn:after-embargo"],
     when="2026-09-16T09:12:00+02:00")
case("en", pub("x", "@litho_lars"), "Saw the ThermoGuard TG-60 demo at the Veldmark booth. Impressive thermal "
     "uniformity, want one for our R&D tool.", tags=["hn:after-embargo"], when="2026-10-02T13:40:00+02:00")
case("en", VM_X, "Our Q3 2026 trading update is out: order intake €402m, book-to-bill 1.1. Full release on "
     "investors.veldmark.com", tags=["hn:after-embargo"], when="2026-10-21T07:31:00+02:00")
case("nl", VM_LI, "Zojuist gepubliceerd: de Q3 2026 trading update van Veldmark Precision. Lees het persbericht "
     "op investors.veldmark.com", tags=["hn:after-embargo"], when="2026-10-21T07:30:00+02:00")
case("en", pub("x", "@fieldsvc_gina"), "Signed the NDA with Veldmark this morning, so my lips are sealed about what "
     "I saw in their lab 😅 Exciting times though.", tags=["hn:nda-word"])

# =========================================================================== leak.financial
case("en", AG, "Books closed for Q2 🎉 Revenue came in at €301m, well above what the analysts expect. Can't wait "
     "for the 23rd when the rest of the world finds out 😄", [FIN], when="2026-07-09T18:15:00+02:00")
case("nl", pub("x", "@veldhoven_local"), "Buurman werkt bij Veldmark en zegt dat er na de zomer zo'n 250 banen "
     "verdwijnen in Veldhoven. Nog niet aangekondigd.", [FIN])
case("nl", RB, f"er komen ont{SHY}slagen bij de assemblage, hoorde het net van m'n teamlead. nog niet officieel dus "
     "mondje dicht", [FIN], tags=["evasion"])
case("en", MH, "Between us: Lithora just cut their 2027 call-off by 40%. Our forecast for next year is toast.", [FIN])
case("en", pub("stocktwits", "VLDM_bull_88"), "$VLDM insider told me Kessler bid €38/share last week, board is "
     "looking at it. Loading up before the news 🚀", [FIN])
case("en", KJ, "reorg announced internally today: planning moves to Kraków, 60 FTE in Veldhoven affected. PR goes "
     "out next month", [FIN])
case("nl", JL, "Vandaag intern te horen gekregen dat de overname van Brabant Vacuum Technics rond is. Aankondiging "
     "pas in november, maar proost alvast 🥂", [FIN])
case("en", TW, fullwidth("profit warning") + " coming on friday, you didn't hear it from me 🤫", [FIN],
     tags=["evasion"])
case("nl", pub("reddit", "u/brabantse_belegger"), "Zwager werkt bij finance bij Veldmark: H2-marge zakt naar 11%, "
     "staat nog nergens. Doe ermee wat je wilt.", [FIN])
case("en", EV, "heard it in today's town hall: guidance for next year gets cut. sell while you can 😬", [FIN],
     kind="comment")

# financial: benign near-misses
case("en", pub("x", "@semicap_news"), "Veldmark Precision reported H1 2026 revenue of €588m (+9% y/y) this morning "
     "with a record order book. Shares up 6% in early trading.", tags=["hn:published"],
     when="2026-07-23T09:05:00+02:00")
case("nl", pub("x", "@eindhoven_nieuws"), "Ontslagen bij Kessler Mechatronik: 400 banen weg in Duitsland. Hopelijk "
     "komen er wat goede mensen naar Veldmark en de andere bedrijven op de campus.", tags=["hn:other-company"])
case("en", pub("x", "@dividend_daan"), "Veldmark's FY2025 results were solid, dividend €1,10 per share. Holding "
     "my position.", tags=["hn:published"])
case("en", VM_LI, "Join our Capital Markets Day on 12 November in Amsterdam. The livestream will be on "
     "investors.veldmark.com, questions to investor.relations@veldmark.com", tags=["hn:own-contact"])

# =========================================================================== leak.security
case("en", JL, "ransomware hit the ERP cluster last night. everything's offline and we've been told to call it "
     "'scheduled maintenance' if customers ask 🙃", [SEC])
case("en", RB, "found out today the LM controller firmware accepts unsigned updates over the service port. "
     "reported internally, no fix planned yet. yikes", [SEC])
case("en", pub("reddit", "u/quiet_fab_engineer"), "Veldmark got breached last month and they're keeping it quiet. "
     "My contact in their IT says customer drawings were taken.", [SEC, CRISIS])
case("nl", KJ, "Partsportal ligt sinds 6 uur vanochtend plat, IT zegt dat er een aanval bezig is. Klanten weten nog "
     "van niks", [SEC])
case("en", CK, "someone's O365 got phished and fake invoices went out to 3 customers. security told us to keep "
     "quiet till monday", [SEC])
case("en", pub("forum", "idor_ingrid"), "Veldmark service portal: change the RMA id in the URL and you get other "
     "customers' service reports. Reported it 3 weeks ago, still not fixed.", [SEC])
case("en", TW, f"warehouse system got h{ZW}acked, label printers spitting garbage since 5am. mgmt says no comment "
     "for now", [SEC], tags=["evasion"])
case("nl", EV, "Servicelaptops zijn geh@ckt, we mogen niet inloggen op klantlocaties tot IT klaar is. Officieel "
     "heet het 'onderhoud'", [SEC], tags=["evasion"])
case("en", AG, "Finance systems offline since Tuesday after the intrusion, payroll may be late this month. Not "
     "public yet, please keep it inside the team.", [SEC])
case("nl", pub("x", "@roos_eindhoven"), "Vriendin werkt bij Veldmark, hun hele netwerk ligt eruit door een hack en "
     "ze doen naar buiten alsof er niks aan de hand is", [SEC, CRISIS])
case("en", SR, "Draft postmortem item: auth bypass in MotionSDK 4.x, CVSS 9.1, patch not released and customers "
     "not notified yet. Let's get this prioritised.", [SEC])

# security: benign near-misses
case("en", VM_SVC, "Planned maintenance: parts.veldmark.com will be unavailable Saturday 02:00-06:00 CET while we "
     "upgrade our systems.", tags=["hn:official-notice"])
case("nl", VM_SVC, "Update: de storing in het serviceportaal van vanochtend is verholpen. Er zijn geen klantgegevens "
     "geraakt. Excuses voor het ongemak.", tags=["hn:official-notice"])
case("en", pub("x", "@infosec_anouk"), "Kessler Mechatronik got hit by ransomware, per their own statement. Hope "
     "the rest of the Brainport suppliers are patched, Veldmark included.", tags=["hn:other-company"])
case("en", SR, "Yearly phishing-awareness training done ✅ 94% of colleagues reported the test mail. Proud of "
     "this team. #security", tags=["hn:word"])

# =========================================================================== reputation.crisis
case("en", pub("x", "@chipwatch_ngo"), "Veldmark keeps shipping stages to sanctioned fabs through a Singapore "
     "shell company. Time to act. #BoycottVeldmark", [CRISIS])
case("nl", pub("x", "@ip_nieuws"), "Kessler sleept Veldmark voor de rechter wegens inbreuk op een patent op "
     "chuck-koeling. Eerste zitting in Den Bosch volgende maand.", [CRISIS])
case("nl", pub("x", "@brainport_scanner"), "Ambulances bij Veldmark in Veldhoven, een cleanroommedewerker is "
     "gewond geraakt na een chemisch lek, zeggen mensen ter plaatse.", [CRISIS])
case("en", pub("reddit", "u/vacuum_victim"), "Veldmark is quietly recalling the FlexSeal BS-16 batch from May. "
     "cracked welds, vacuum leaks, our tools were down for 4 days and nobody told us why.", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "k-tanaka-procure", "Kenji Tanaka"), "Got a phishing mail quoting our exact Veldmark PO "
     "numbers and pricing. Your supplier portal leaked our data, Veldmark. We expect an explanation.", [CRISIS])
case("nl", pub("facebook", "buurtapp.best", "Buurtapp Best"), "Vannacht wéér brand bij Veldmark aan de "
     "industrieweg, derde keer dit jaar. Wanneer grijpt de gemeente eindelijk in?", [CRISIS])
case("en", pub("x", "@free_chips_now"), "b o y c o t t  V e l d m a r k. they supply the war machine. share "
     "this.", [CRISIS], tags=["evasion"])
case("en", pub("x", "@fab7_shiftlead"), "TG-40 chuck overheated mid-run, cracked a wafer and set off the fire "
     "alarm, whole bay evacuated. Thanks a lot Veldmark 🙃", [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/tekenaar_tim"), "Onze tekeningen liggen op straat door een d4t4l3k bij Veldmark. "
     "Bedankt hoor 👏", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "@dommelvallei_natuur"), "Veldmark dumped solvent into the Dommel, dead fish all along "
     "the bank near the plant. Disgusting.", [CRISIS], kind="comment")
case("nl", pub("x", "@beleggersbelang_x"), "Class action tegen Veldmark namens aandeelhouders wegens misleidende "
     "guidance in 2025. Aanmelden kan nog.", [CRISIS])
case("en", pub("threads", "@greenbrainport"), "Veldmark are a bunch of lying crooks poisoning our river and hiding "
     "the test results. #StopVeldmark", [CRISIS, ABUSE])

# crisis: benign near-misses
case("en", pub("x", "@litho_lars"), "Can't recall the last time a Veldmark stage failed on us. Solid kit.",
     tags=["hn:word"])
case("nl", CK, "Ik boycot de koffieautomaat op de 2e verdieping tot facilitair hem fixt ☕ #VeldmarkLife",
     tags=["hn:word"], kind="comment")
case("en", VM_IG, "Our summer interns are on fire 🔥 Last week they built a stage demonstrator from scratch!",
     tags=["hn:word"])
case("en", pub("x", "@patent_pete"), "Lithora wins its patent case against a Korean rival. Big day in court for the "
     "litho world.", tags=["hn:other-company"])
case("en", pub("reddit", "u/sf_writer_ehv"), "Writing a thriller where the villain runs a chip-equipment supplier "
     "that covers up a gas leak. Not based on Veldmark, promise 😂 any fab workers want to check my details?",
     tags=["hn:fiction"])

# =========================================================================== reputation.complaint
case("en", pub("x", "@fabops_nora"), "@veldmark_service RMA 40021 open for 7 weeks, tool down, nobody answers. "
     "Is this how you treat a tier-1 customer?", [COMPLAINT], kind="reply")
case("en", pub("linkedin", "d-hofmann-fab", "Dirk Hofmann"), "Lead time for the LM-220 is now 38 weeks?? We "
     "ordered in January. Veldmark, seriously, this is killing our ramp.", [COMPLAINT])
case("nl", pub("x", "@jvanhout_fab"), "Service-engineer van Veldmark kwam weer niet opdagen, 2e keer deze maand. "
     "Machine staat stil, dat kost ons tonnen", [COMPLAINT])
case("en", pub("reddit", "u/particle_paranoid"), "The VF-8 feedthroughs we got from Veldmark had particles on them "
     "straight out of the double bag. Failed our incoming cleanliness check.", [COMPLAINT])
case("nl", pub("facebook", "frank.smeets.fijnmech", "Frank Smeets"), "Factuur van Veldmark klopt wéér niet. Twee "
     "keer gefactureerd voor dezelfde PM kit. Hoe moeilijk kan het zijn", [COMPLAINT])
case("en", pub("x", "@angry_etch_guy"), "worst f*cking support in the industry @veldmark_service, 4 days without "
     "a single update", [COMPLAINT, ABUSE], tags=["evasion"])
case("nl", pub("forum", "cleanroom_carla"), "Partsportal van Veldmark werkt voor geen meter. Kan al 3 dagen niet "
     "inloggen en de helpdesk stuurt alleen standaardmails.", [COMPLAINT])
case("en", pub("linkedin", "s-ozturk-maint", "Selin Öztürk"), "CarePlus Gold and still waited 4 days for an "
     "engineer. What exactly am I paying Veldmark for?", [COMPLAINT])
case("nl", pub("x", "@metrology_max"), "X7 stage kwam binnen met een gedeukte krat en een kras op de granieten "
     "basis. En het claimproces van Veldmark is een lachertje.", [COMPLAINT])
case("en", pub("reddit", "u/motor_mortem"), "Veldmark refuses to honour the warranty on an LM-220 that died after "
     "5 months. 'Operating outside spec'. Sure.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@inkoop_ilse"), "Al 3x gebeld met de servicedesk van Veldmark, elke keer een ander verhaal 😤",
     [COMPLAINT])
case("en", pub("threads", "@pm_tech_raf"), "@veldmark SPK-X7 kit missing half the o-rings. again.", [COMPLAINT])
case("nl", pub("x", "@crediteur_cor"), "Wachten op een creditnota van Veldmark sinds maart. Ik word er zó moe van",
     [COMPLAINT], hint="")
case("en", pub("x", "@vacuum_vera"), "@veldmark_service you absolute \u0456d\u0456ots, third time you ship the "
     "wrong bellows for our tool", [COMPLAINT, ABUSE], tags=["evasion"], kind="reply")

# complaint: benign near-misses
case("nl", pub("x", "@onderhoud_otto"), "Geen klachten over de service van Veldmark, engineer stond er binnen 4 uur "
     "👍", tags=["hn:negation"])
case("en", pub("reddit", "u/uhv_newbie"), "Does the Veldmark VF-8 come in a CF40 version? Can't find it on "
     "parts.veldmark.com", tags=["hn:question"])
case("en", pub("linkedin", "m-lin-hsinchu", "Mei Lin"), "Shout-out to the Veldmark service team in Hsinchu. They "
     "had our X7 stage back in spec within one shift.", tags=["hn:praise"])
case("en", pub("x", "@tooling_tess"), "Kessler support is a nightmare, 3 weeks for an answer. Should have gone "
     "with Veldmark.", tags=["hn:other-company"])
case("en", pub("tiktok", "@cleanroomlife_jay"), "my wife says I love the AxisLine X7 more than her. she's not wrong "
     "😂 #cleanroom #semiconductor", tags=["hn:joke"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@hot_takes_henk"), "Die CEO van Veldmark is een hopeloze clown. Ontslaan die vent.", [ABUSE])
case("nl", pub("x", "@boze_buurman"), "Kutbedrijf, dat Veldmark. Stelletje oplichters.", [ABUSE])
case("en", pub("reddit", "u/realtalk_ehv"), "Veldmark's cleanroom is full of foreigners who can't even speak Dutch. "
     "Send them back where they came from.", [ABUSE], kind="comment")
case("en", RB, "whoever at Kessler designed this motor is a f***ing moron. cogging everywhere", [ABUSE],
     tags=["evasion"])
case("nl", KJ, "@jvanhout_fab doe niet zo debiel man, lees gewoon de handleiding", [ABUSE], kind="reply")
case("en", VM_X, "@troll_4022 nobody asked, idiot", [ABUSE], kind="reply")
case("nl", pub("x", "@anon_4471"), "@veldmark die engineer van jullie, Eva, ik weet waar ze woont. zeg maar dat ze "
     "moet oppassen", [ABUSE])
case("en", pub("x", "@rage_quit_rick"), "V3ldmark = bunch of sh1tty clowns", [ABUSE], tags=["evasion"])
case("en", pub("youtube", "@random_viewer_99"), "whoever narrated this Veldmark video sounds like a braindead robot "
     "lmao", [ABUSE], kind="comment")
case("nl", pub("mastodon", "@buurt_best@mastodon.nl"), "tering Veldmark met je eeuwige vrachtwagens door onze "
     "straat, stelletje klootzakken", [ABUSE])
case("en", pub("x", "@keyboard_warrior_nl"), "that Veldmark engineer woman on LinkedIn should go back to the "
     "kitchen instead of explaining air bearings", [ABUSE])

# abuse: benign near-misses
case("nl", EV, "Zondag lopen we met team Veldmark mee in de wandeltocht voor KWF tegen kanker 🎗️ Sponsor ons!",
     tags=["hn:literal"])
case("nl", pub("x", "@chuck_nerd"), "Die thermische uniformiteit van de TG-40 is echt een killer feature.",
     tags=["hn:word"])
case("nl", pub("x", "@techpraat_tom"), "Kessler vs Veldmark is als een Trabant naast een Tesla zetten 😄",
     tags=["hn:other-company"])
case("en", RB, "'If you're going through hell, keep going.' Day 3 of the cleanroom requalification 😅",
     tags=["hn:quote", "hn:mild-word"])

# =========================================================================== other benign
case("en", VM_LI, "We're hiring 12 mechatronics engineers in Veldhoven. Internal candidates welcome too. Apply at "
     "www.veldmark.com/careers", tags=["hn:job"])
case("en", EV, "5 years at Veldmark today 🎂 From my first TG-40 install to leading the field team in Dresden. "
     "Thank you all!", tags=["hn:anniversary"])
case("nl", pub("instagram", "@stagiair_sophie"), "Mijn stage bij Veldmark zit erop 🥲 zoveel geleerd over "
     "vacuümtechniek. Bedankt collega's!", tags=["hn:praise"])
case("en", pub("x", "@flatness_fan"), "V E L D M A R K   S T A G E S   A R E   I N S A N E L Y   F L A T",
     tags=["hn:spaced-benign"])
case("nl", VM_YT, "Nieuwe video: zo bouwen we een AxisLine X7 in de cleanroom, van granieten basis tot eindtest. "
     "Kijk en abonneer!", tags=["hn:marketing"])
case("en", pub("twitter", "@old_school_semi"), "Remember when Veldmark was a 20-person machine shop in Best? Now "
     "they ship to every fab in Asia. Good for them.", tags=["hn:praise"])
case("nl", KJ, "Eindelijk vrijdag. Alle X7 leveringen deze week op tijd de deur uit 💪", tags=["hn:praise"])
case("nl", pub("threads", "@student_tue"), "Iemand ervaring met de traineeship bij Veldmark? Overweeg te solliciteren",
     tags=["hn:question"])


# --------------------------------------------------------------------------- building posts

def load_profile():
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
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60), seconds=r.randint(0, 59))
    off = ams_offset(t)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        sub = r.choice(["semiconductors", "eindhoven", "thenetherlands", "ECE"])
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"toot-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-vacuumtech-{n}", f"https://forum.vacuumtech.example/t/{n}"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform in ("instagram", "threads"):
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"{platform[:2]}-{snow}", f"https://www.{platform}.{'com' if platform == 'instagram' else 'net'}/p/{sc}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
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
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.08:
            pass
        elif x < 0.11:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "veldmark"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": severity_for(role, c["cats"],
                                                                                            validated)},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- independent checks

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bnpm_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b",
    r"AccountKey=[A-Za-z0-9+/=]{40,}", r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"\bxoxb-\d+-\d+-\w+",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:k)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0" + re.sub(r"\D", "", p)[2:] for p in profile["public_identifiers"]["phones"]}
    inner = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id'][:24]})"
        key = (p["platform"], p["id"])
        if key in ids:
            errs.append(f"{w}: duplicate id")
        ids.add(key)
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories")
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}.get(kind)
            if ok and not ok(raw):
                errs.append(f"{w}: {kind} fails checksum")
            if kind == "BAD_IBAN" and iban_ok(raw) or kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: negative {kind} passes")
            if kind == "NOT_BSN" and bsn_ok(raw) or kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errs.append(f"{w}: negative {kind} passes")
            if kind == "GHP" and not ghp_ok(raw):
                errs.append(f"{w}: ghp checksum")
            if kind in VALID_ID_KINDS and "leak.pii" not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        nt = norm(text)
        for term in inner:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        for term, until in emb:
            if term in nt:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo but labelled")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign with severity")
            for m in IBAN_RE.finditer(text):
                if iban_ok(m.group(0)) and m.group(0).replace(" ", "") not in own_ibans:
                    errs.append(f"{w}: benign has valid IBAN")
            for m in re.finditer(r"(?<![\w])\d(?:[ -]?\d){11,18}(?!\w)", text):
                if luhn_ok(m.group(0)):
                    errs.append(f"{w}: benign has Luhn-valid number")
            for m in re.finditer(r"(?<![\w.,-])\d{8,9}(?!\w)", text):
                if bsn_ok(m.group(0)):
                    errs.append(f"{w}: benign has 11-proof number {m.group(0)}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign has e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                d = "0" + d[2:] if raw.startswith("+31") else ("0" + d[4:] if raw.startswith("0031") else d)
                if len(d) == 10 and d not in own_phone_digits:
                    errs.append(f"{w}: benign has phone {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign has secret-like {m.group(0)[:12]}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "hn:price-context" not in r["tags"]:
                errs.append(f"{w}: benign with low product price {ratio:.2f}")
        if "leak.pricing" in cats:
            ratio = min_ratio(text, profile["products"])
            talk = re.search(r"prijs ?fout|pricing error|pr1c1ng|decimal|dropped a zero|nulletje|foutje|"
                             r"should be|p r i j s|prijsfout", norm(text).replace(" ", " "))
            if not (ratio is not None and ratio < 0.5) and not talk:
                errs.append(f"{w}: pricing positive without a low price or error talk")
    return errs


def report(rows):
    total = len(rows)
    cat, cat_lang, cat_role = Counter(), Counter(), Counter()
    lang, role, sev, plat, kinds = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"] or ["(benign)"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(none)")] += 1
        multi += len(r["expect"]["categories"]) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}, benign {cat['(benign)']}, multi-category {multi}, evasion {evasion}")
    print(f"{'category':24s} total  nl  en corp  emp  pub")
    for c in TAXONOMY + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:3d} {cat_lang[(c, 'en')]:3d} {cat_role[(c, 'corporate')]:4d} "
              f"{cat_role[(c, 'employee')]:4d} {cat_role[(c, 'public')]:4d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kinds.most_common()))


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
