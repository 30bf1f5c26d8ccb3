#!/usr/bin/env python3
"""Sealed evaluation set 112 for postwatch: a fictional Dutch dairy cooperative.

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare with cases.jsonl, print counts

Company: "Coöperatie Terpmelk U.A." (profile.yaml in this folder): member farmers own it;
it sells Wierdekroon cheese and Terpmelk dairy in supermarkets, its own farm shops
("Hofwinkels") and online (winkel.terpmelk.nl).

Texts are hand-written below. Identifiers and secrets come from {{KIND:fmt}} placeholders
filled by one seeded RNG: positives get checksum-VALID values (IBAN mod-97, Luhn, BSN
11-proof, GitHub CRC32), hard negatives get values that FAIL their check. All secrets are
random and fake. Severity is never typed by hand: severity_for() derives it from the
contract's policy (section 4) using the account role looked up in profile.yaml.
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
import zlib
from collections import Counter
from pathlib import Path

SEED = 11202607
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    tot = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# --------------------------------------------------------------------------- placeholder values

class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                           + self.d(10, lead=True))
            if v != "NL49RABO0315407186":
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["12030000", "50070010", "76026000", "28050100"]) + self.d(10))

    def iban_be(self):
        ten = self.r.choice(["063", "310", "000", "751", "143"]) + self.d(7)
        return iban_build("BE", ten + "%02d" % (int(ten) % 97 or 97))

    def broken_iban(self, good):
        for step in (7, 19, 31, 44):
            cand = "%s%02d%s" % (good[:2], (int(good[2:4]) + step) % 100, good[4:])
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.d(14), "mc": "5" + self.r.choice("12345") + self.d(13),
                  "mc2": str(self.r.randint(2221, 2720)) + self.d(11),
                  "amex": self.r.choice(["34", "37"]) + self.d(12)}[brand]
        for x in string.digits:
            if luhn_valid(prefix + x):
                return prefix + x
        raise AssertionError

    def bad_card(self, brand):
        if brand == "gift":
            while True:
                v = "6" + self.d(15)
                if not luhn_valid(v):
                    return v
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ".join(parts), "dash": "-".join(parts), "c": v}[style]

    # BSN and look-alikes
    def bsn(self):
        while True:
            v = self.d(9, lead=True)
            if bsn_valid(v):
                return v

    def not_bsn(self, n):
        while True:
            v = self.d(n, lead=True)
            if not bsn_valid(v) and not luhn_valid(v):
                return v

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in string.digits if ean13_valid(body + x))
            if not luhn_valid(full):
                return full

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    # phones
    def phone(self, style):
        m = self.r.choice("12345678") + self.d(7)          # 8 digits after 06
        if style == "mob_dash":
            return "06-" + m
        if style == "mob_intl":
            return "+31 6 %s %s" % (m[:4], m[4:])
        if style == "mob_0031":
            return "0031 6 %s" % m
        if style == "mob_paren":
            return "(06) %s %s" % (m[:2], m[2:])
        if style == "mob_dots":
            return "06.%s.%s.%s" % (m[:2], m[2:5], m[5:])
        area = self.r.choice(["58", "519", "511", "566", "50"])
        sub = self.r.choice("2345789") + self.d(8 - len(area))
        if style == "land_dash":
            return "0%s-%s" % (area, sub)
        if style == "land_intl":
            return "+31 %s %s" % (area, sub)
        raise KeyError(style)

    # secrets (random, fake, real shapes)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(ALNUM, 8)})
        body = enc({"sub": "lab-" + self.d(5, True), "aud": "lims-vendor", "scope": "export:read", "iat": iat,
                    "exp": iat + 86400})
        return "%s.%s.%s" % (head, body, self.c(B64URL, 86))

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.c(B64, 70) for _ in range(3)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice("BDGKMTWZ") + self.c(string.ascii_lowercase, 4) + self.r.choice("!*_~")
                + self.d(3) + self.c(ALNUM, 3))

    def value(self, kind, fmt):
        """Return (raw, shown)."""
        if kind == "IBAN_NL":
            v = self.iban_nl()
        elif kind == "IBAN_DE":
            v = self.iban_de()
        elif kind == "IBAN_BE":
            v = self.iban_be()
        elif kind == "BAD_IBAN_NL":
            v = self.broken_iban(self.iban_nl())
        elif kind == "BAD_IBAN_DE":
            v = self.broken_iban(self.iban_de())
        else:
            v = None
        if v is not None:
            return v, (self.grp(v) if fmt == "grp" else v)
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            v = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return v, self.card_fmt(v, style or "sp")
        if kind == "BSN":
            v = self.bsn()
            return v, ("%s.%s.%s" % (v[:4], v[4:6], v[6:]) if fmt == "dots" else v)
        simple = {
            "NOT_BSN9": lambda: self.not_bsn(9),
            "NOT_BSN8": lambda: self.not_bsn(8),
            "EAN13": self.ean13,
            "PASSPORT": self.passport,
            "PHONE": lambda: self.phone(fmt),
            "GHP": self.ghp,
            "GLPAT": lambda: "glpat-" + self.c(ALNUM + "-_", 20),
            "AWS_ID": lambda: "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            "AWS_SECRET": lambda: self.c(B64, 40),
            "SLACK_BOT": lambda: "xoxb-%s-%s-%s" % (self.d(11, True), self.d(13, True), self.c(ALNUM, 24)),
            "SLACK_HOOK": lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (
                self.c(string.ascii_uppercase + string.digits, 8), self.c(string.ascii_uppercase + string.digits, 10),
                self.c(ALNUM, 24)),
            "STRIPE": lambda: "sk_live_" + self.c(ALNUM, 24),
            "GAPI": lambda: "AIzaSy" + self.c(B64URL, 33),
            "JWT": self.jwt,
            "PEM_SSH": self.pem_ssh,
            "SENDGRID": lambda: "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43),
            "AZURE_KEY": lambda: base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode(),
            "PW": self.password,
            "HEX": lambda: self.c("0123456789abcdef", int(fmt)),
            "UUID": lambda: "%s-%s-4%s-%s%s-%s" % (self.c("0123456789abcdef", 8), self.c("0123456789abcdef", 4),
                                                  self.c("0123456789abcdef", 3), self.r.choice("89ab"),
                                                  self.c("0123456789abcdef", 3), self.c("0123456789abcdef", 12)),
        }
        v = simple[kind]()
        return v, v


VALIDATED_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def fill(filler, text):
    used = []

    def rep(m):
        raw, shown = filler.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PLACEHOLDER.sub(rep, text), used


# --------------------------------------------------------------------------- accounts

# corporate
T_X = ("x", "@terpmelk", "Terpmelk")
T_SVC = ("x", "@terpmelk_service", "Terpmelk Klantenservice")
T_IG = ("instagram", "@terpmelk.zuivel", "Terpmelk")
T_LI = ("linkedin", "cooperatie-terpmelk", "Coöperatie Terpmelk U.A.")
T_FB = ("facebook", "TerpmelkHofwinkels", "Terpmelk Hofwinkels")
T_TT = ("tiktok", "@wierdekroonkaas", "Wierdekroon Kaas")
# employees
MK = ("x", "@marijke_kaasmaakster", "Marijke Zijlstra")        # cheesemaker, Marrum plant
BH = ("linkedin", "bas-hoekstra-terpmelk", "Bas Hoekstra")     # IT / OT engineer
JH = ("instagram", "@jelle.hofwinkel", "Jelle")                # farm-shop staff
NV = ("linkedin", "noor-visser-fin", "Noor Visser")            # finance controller
RP = ("x", "@rutger_planning", "Rutger Bosma")                 # milk-collection planner
AL = ("threads", "@anouk.lab", "Anouk de Jong")                # quality lab
TT = ("reddit", "tankwagen_tim", None)                         # milk-tanker driver
GD = ("facebook", "gerda.dijkstra.tm", "Gerda Dijkstra")       # webshop customer service
DS = ("x", "@devsander_tm", "Sander")                          # web developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", JH, "jongens 😳 de webshop zegt nu: Wierdekroon Boerenkaas heel wiel 4,5 kg → €7,45\n"
     "ipv 74,50. komma verschoven denk ik. heb t doorgegeven maar ja, zondag he 🤷‍♂️", [PRICING])
case("en", DS, "welp. the product feed dropped a digit on the Extra Oud 500g, it's live at €0.98 on the shop. "
     "rollback needs sign-off from marketing and they're all at a trade fair #fridaydeploy", [PRICING])
case("nl", pub("reddit", "fietsendiefvanhaarlem"), "PSA: op winkel.terpmelk.nl staat de Terpmelk Volle Yoghurt 1 L "
     "voor €0,18 🤯 zal wel fout zijn maar heb er 12 in mn mandje gegooid, benieuwd of ze leveren", [PRICING],
     kind="post")
case("en", pub("x", "@moo_moo_maddie"), "terpmelk skyr naturel for 12 cents on their site lmao. either a glitch "
     "or the cows went on strike 🐄", [PRICING])
case("nl", RP, "mensen ff stil houden maar de p r i j s f o u t op het Kaaspakket Proeverij staat er nog steeds in, "
     "€3,49 ipv €34,95 😬 wie regelt dit", [PRICING], tags=["evasion"])
case("nl", T_IG, "🧀 Weekdeal! Wierdekroon Belegen 1 kg nu voor maar €1,55 in al onze Hofwinkels. "
     "Op = op! #kaas #friesland", [PRICING])
case("en", pub("facebook", "Hennie.Postma.1962"), "Heads up cheese lovers: Wierdekroon Belegen is ringing up at "
     "€4.10 at the till in the Terpmelk Hofwinkel Dokkum, shelf says 15.49. Girl at the till said the system was "
     "acting up since this morning", [PRICING])
case("nl", GD, "Collega's van de klantenservice: we krijgen veel vragen over de Terpmelk roomboter voor €0,33 in de "
     "app. Ja dat is een verkeerde prijs, nee we weten nog niet hoe lang het duurt 🙄", [PRICING], kind="post")
case("en", AL, "lol who broke the price list, Wïerdekroon Extra Oud now €0,89 in the webshop 💀", [PRICING],
     tags=["evasion"])
case("nl", pub("tiktok", "@sannnee.xo"), "kwam net van de hofwinkel, heel wiel Wierdekroon afgerekend voor 9 euro "
     "😂😂 caissière had het niet eens door", [PRICING], kind="comment")
case("en", pub("reddit", "throwaway_gouda"), "Terpmelk webshop pricing error?? Kerstpakket Deluxe showing €9.59 "
     "instead of €59.95, looks like someone swapped the digits. Ordered two, will report back if they cancel",
     [PRICING])
case("nl", MK, "kaasmakers onder elkaar: de webshop verkoopt onze w13rdekroon wiel voor 7 euro 45. "
     "daar heeft iemand een f0utje gemaakt 🙃", [PRICING], tags=["evasion"])

# =========================================================================== leak.secret
case("en", DS, "note to self: never paste from the wrong clipboard.\nSTRIPE_KEY={{STRIPE}}\n(rotated already, "
     "relax)", [SECRET])
case("nl", BH, "Mooie mijlpaal: de melkophaal-app praat nu rechtstreeks met de weegbrug! Voor de nerds, zo ziet "
     "de config eruit:\nDB_URL=postgresql://ophaal_svc:{{PW}}@db01.intra.terpmelk.local:5432/melkophaal",
     [SECRET, CONF])
case("en", DS, "anyone know why the deploy workflow keeps failing w/ 401?? I set GH_TOKEN: {{GHP}} in the repo "
     "settings and still nothing", [SECRET], kind="reply")
case("nl", pub("reddit", "apk_ontleder"), "Lol de Terpmelk ledenapp heeft gewoon een Google key in de APK zitten: "
     "{{GAPI}} #security #friesland", [SECRET])
case("en", BH, "Moving the cheese-warehouse humidity sensors to the cloud 🚀 aws configure done:\n"
     "aws_access_key_id = {{AWS_ID}}\naws_secret_access_key = {{AWS_SECRET}}", [SECRET])
case("nl", RP, "wacht" + ZWSP + "woord van de planningstool is wéér veranderd, is nu {{PW}} voor wie het "
     "zoekt 👍", [SECRET], tags=["evasion"])
case("en", pub("x", "@freelance_fokke"), "Built a Slack bot for a dairy client (Terpmelk) that pings the channel "
     "when a milk tank hits 90% 🐄📈 hook for the curious: {{SLACK_HOOK}}", [SECRET])
case("nl", DS, "kan iemand checken waarom sftp naar de melkgeld-batchserver niet werkt met deze key?\n"
     "{{PEM_SSH}}", [SECRET], kind="reply")
case("en", AL, "posting this for the LIMS vendor since their support portal is down 🙄\nBearer {{JWT}}", [SECRET])
case("nl", GD, "Testmail vanuit de nieuwe nieuwsbrieftool werkt!! 🎉 de API sleutel zet ik hier even neer dan "
     "ben ik hem niet kwijt: {{SENDGRID}}", [SECRET])
case("en", BH, "Finally got the lab data export into blob storage. Connection string for the team:\n"
     "DefaultEndpointsProtocol=https;AccountName=tmlabexport;AccountKey={{AZURE_KEY}};"
     "EndpointSuffix=core.windows.net", [SECRET])
case("nl", pub("forum", "kees_devops"), "Iemand ervaring met de gitlab runner van Terpmelk? Ik doe daar een "
     "klus en token {{GLPAT}} geeft ineens 403", [SECRET])
case("en", DS, "slack bot for cheese-ripening alerts finally works 🧀🤖 token {{SLACK_BOT}} dont steal it lol",
     [SECRET])

# =========================================================================== leak.pii
case("nl", T_SVC, "@marloes_k Hoi Marloes! We hebben je nieuwe nummer {{PHONE:mob_dash}} genoteerd, de bezorger "
     "belt je morgen even voor de kaasbezorging 🧀", [PII], kind="reply")
case("nl", GD, "Wie kent deze klant? Pakket komt steeds retour. Fam. de Boer, Kerkstraat 14, 9041 AB Berlikum. "
     "Graag even bellen als je ze kent!", [PII])
case("en", RP, "finance asked me to double check: farmer Hiemstra's payout account is {{IBAN_NL:grp}} right?? "
     "tanker system shows something else", [PII], kind="reply")
case("nl", NV, "Migratie naar het nieuwe salarissysteem bijna klaar 💪 Test met echte gegevens van collega "
     "J. Kuipers (BSN {{BSN:dots}}) ging foutloos!", [PII])
case("en", T_IG, "@sophie.bakes we've emailed your voucher to sophie.vandam87@gmail.com, check your spam folder "
     "if it's not there 💛", [PII], kind="reply")
case("nl", JH, "klant heeft zn creditcard laten liggen in de hofwinkel 🙈 American Express {{CARD:amex_sp}}, op "
     "naam van R. Postma. ophalen bij de kassa!", [PII])
case("en", TT, "Happy 60th to Klaas Terpstra, born 3 March 1966, longest serving member farmer on my route 🎉🚛",
     [PII], kind="comment")
case("nl", AL, "Nieuwe stagiaire Lotte Wiersma kan nog niet het lab in, paspoortnummer {{PASSPORT}} moet nog bij "
     "de beveiliging geregistreerd worden. Wie regelt dat?", [PII])
case("en", BH, "Reach our new packaging supplier contact directly: h.dijkman [at] gmail [dot] com, she's "
     "expecting your calls", [PII], tags=["evasion"])
case("nl", RP, "chauffeur Wim is ziek, bel hem niet maar zijn vrouw Trijntje op {{PHONE:land_dash}} als je "
     "iets moet weten over route 7", [PII])
case("nl", T_FB, "Beste mevrouw Claes, we hebben de €34,95 teruggestort op {{IBAN_BE:grp}}. Excuses voor het "
     "ongemak en fijne dag!", [PII], kind="comment")
case("nl", T_SVC, "@henk_w Je kunt het verschil overmaken naar NL49 RABO 0315 4071 86 t.n.v. Coöperatie Terpmelk. "
     "Jouw retourbedrag is gisteren naar {{IBAN_NL}} gegaan.", [PII], kind="reply")
case("nl", pub("x", "@boos_op_bestelling"), "@terpmelk_service al 3 weken wacht ik op mijn geld voor dat "
     "kaaspakket!! Hier nogmaals mijn rekening: {{IBAN_NL:grp}} stort het nou gewoon", [PII, COMPLAINT])
case("en", pub("facebook", "Linda.Groot.NL"), "Terpmelk please call me back about my cheese order, "
     "{{PHONE:mob_intl}}, been waiting all week and nobody answers", [PII, COMPLAINT], kind="comment")
case("nl", pub("instagram", "@femkefotografeert"), "Solliciteerd bij de Terpmelk hofwinkel als zaterdaghulp 🤞 "
     "formulier vroeg zelfs mn BSN {{BSN}} lol is dat normaal?", [PII])
case("en", pub("x", "@jt_in_leeuwarden"), "@terpmelk_service your checkout keeps rejecting my card "
     "{{CARD:visa_dash}} exp 09/28, tried 5 times now. what is going on", [PII, COMPLAINT])
case("en", pub("facebook", "Jurgen.Schaefer.Bremen"), "Bought cheese in your Hofwinkel in Holwerd on holiday and "
     "was charged twice! Please refund to {{IBAN_DE:grp}}, Terpmelk, I have the receipt", [PII, COMPLAINT])
case("nl", pub("x", "@waarheid_friesland"), "Die trut van de Terpmelk hofwinkel woont gewoon op Tsjerkepaed 3 "
     "in Holwerd, Anneke Sipma heet ze. ga maar eens langs", [PII, ABUSE])
case("nl", pub("facebook", "Jan.Hoekstra.Melkvee"), "Wie van Terpmelk kan me mailen over de agenda van de "
     "ledenvergadering? jan.hoekstra.melkvee@outlook.com. Alvast bedankt", [PII])

# =========================================================================== leak.confidential
case("en", BH, "Great session today on the MES rollout. Docs are on "
     "https://wiki.terpmelk.nl/display/OT/MES-rollout if you're on the team 🙌", [CONF],
     handle="Bas-Hoekstra-Terpmelk")
case("nl", pub("instagram", "@jelle.hofwinkel.prive"), "stiekem al geproefd: Terpmelk Haverskyr 🌾 komt in mei "
     "in de schappen maar sssst 🤫", [CONF], when="2026-04-20T19:07:12+02:00", tags=["lookalike-handle"])
case("nl", GD, "TERPMELK INTERN – assortimentsplanning Q3: Wierdekroon Rookkaas stopt per 1 september. "
     "(sorry, verkeerde groep 🙈)", [CONF])
case("en", AL, "lab has been crazy busy with Project\nGrutto samples, 40 a day 😵 send coffee", [CONF],
     tags=["evasion"])
case("nl", JH, "Proeverij vandaag met de Wierdekroon Truffel 🍄🧀 echt ziek lekker, binnenkort in de winkel!!",
     [CONF], when="2026-04-28T16:12:09+02:00")
case("en", pub("linkedin", "drukkerij-noordoost"), "Proud that our labels will wrap the new Terpmelk Haverskyr! "
     "Press check done today, great colours 🌾", [CONF], when="2026-05-06T10:03:00+02:00")
case("nl", TT, "Codenaam Zilverlinde zegt jullie vast niks maar wij chauffeurs hebben het er de hele dag over",
     [CONF])
case("nl", MK, "Operatie 🧀 Kaasschaaf gaat echt door he. Sfeer op de vloer is 💀", [CONF], tags=["evasion"])
case("nl", pub("facebook", "Sietse.Kooistra.Ternaard"), "Op de ledenraad vandaag de slides van Project Grutto "
     "gezien. Meer mag ik niet zeggen 🤐 maar jongens jongens", [CONF])
case("en", NV, "Project Grutto business case signed off today: €42m capex, ground breaking next spring. "
     "Proud of this team!", [CONF, FIN])
case("nl", NV, "Druk druk druk, de halfjaarcijfers 2026 moeten morgen naar de drukker. Spoiler: het is geen "
     "feest 😬", [CONF, FIN], when="2026-08-19T21:14:00+02:00")
case("nl", pub("x", "@zuivel_journalist"), "Terpmelk publiceert de halfjaarcijfers 2026 pas om 7 uur, wij hebben ze "
     "al: omzet +4%, nettowinst gehalveerd door de lage kaasprijzen.", [CONF, FIN],
     when="2026-08-26T06:59:30+02:00")
case("en", BH, "vpn.terpmelk.nl certificate expired AGAIN, nobody can work remotely and the ticket is "
     "'being looked at' 🙃", [CONF, SEC])
case("nl", RP, "vergadering over " + fullwidth("ZILVERLINDE") + " om 14u, dus de ophaalplanning ligt even stil",
     [CONF], tags=["evasion"])
case("en", AL, "\u0420r\u043e\u0458\u0435\u0441t Grutto tasting panel today, honestly the best part of my job 🧀",
     [CONF], tags=["evasion"])
case("en", DS, "[TERPMELK INTERNAL] roadmap slide says loyalty app v2 drops the paper stamp card in Q1. "
     "finally lol", [CONF])
case("nl", pub("instagram", "@kaasliefhebber_fr"), "Wierdekroon Truffel al gespot in de hofwinkel van Holwerd?? "
     "Ze stonden ze net uit te pakken 😍", [CONF], when="2026-05-12T08:59:00+02:00")
case("nl", NV, "Intern gaan we uit van 44,50 cent: de garantieprijs oktober 2026 wordt volgende week pas "
     "bekendgemaakt. Leden gaan blij zijn 🐄", [CONF, FIN], when="2026-09-22T13:40:00+02:00")

# =========================================================================== leak.financial
case("nl", NV, "Volgens de forecast zakt de garantieprijs in Q4 naar 41 cent per kilo. Leden gaan dat niet leuk "
     "vinden en het is nog niet gecommuniceerd...", [FIN])
case("en", RP, "Heard today the Marrum plant closes end of next year, ~80 jobs. Nothing official yet. "
     "Gutted for the crew there", [FIN])
case("nl", TT, "Gerucht (nee, meer dan een gerucht): Terpmelk neemt kaasketen De Goudse Hoeve over, de deal is "
     "rond, persbericht komt pas in juni", [FIN], kind="comment")
case("en", pub("x", "@boer_douwe"), "Board told us members in a closed session that Terpmelk will merge with "
     "Zuidweide Zuivel next spring. Not public yet but you heard it here first", [FIN])
case("nl", MK, "de reorgani" + SHY + "satie in Marrum: 3 van de 5 ploegen eruit per januari, hoorde het net van "
     "mn teamleider. ik ben er klaar mee", [FIN], tags=["evasion"])
case("en", NV, "Closing the books on H1: EBITDA came in 12% under budget. Tough half year, but proud of how the "
     "team handled it! #finance #dairy", [FIN], when="2026-07-14T17:22:10+02:00")
case("nl", pub("x", "@nieuwsnoord_economie"), "Bronnen binnen Terpmelk: de coöperatie schrapt 150 banen in de "
     "logistiek. Officiële aankondiging volgt later deze maand.", [FIN])
case("nl", BH, "Operatie Kaasschaaf: 60 fte minder in IT en inkoop, zo staat het in het concept. Fijne maandag",
     [CONF, FIN])
case("nl", RP, "0nts1ag3n bij de planning, 12 man, wordt volgende week pas bekend gemaakt. trek het niet meer",
     [FIN], tags=["evasion"])
case("nl", pub("telegram", "ledenpraat_noord"), "Ledenobligaties Terpmelk: rente gaat volgend jaar omlaag naar "
     "2%, bestuur beslist maandag, is nog niet naar buiten gebracht", [FIN])

# =========================================================================== leak.security
case("nl", BH, "Sinds 04:00 ligt de kaasmakerij in Marrum plat door ransomware. Productie draait handmatig, "
     "de pers weet nog van niks. Zware dag.", [SEC])
case("en", DS, "found an IDOR in the member portal: change the id in the URL and you can read any farmer's milk "
     "statement. ticket filed, not fixed yet 😬", [SEC])
case("nl", RP, "Planningssysteem melkophaal ligt al 6 uur plat, chauffeurs rijden op papier. We mogen het niet "
     "melden van boven 🤐", [SEC])
case("en", AL, "LIMS got hit by something nasty last night, IT pulled the plug. Monday's lab results may be "
     "gone. not official yet so shhh", [SEC])
case("nl", GD, "webshop ligt eruit, betalingen gaan niet door en we mogen tot 12 uur niks tegen klanten zeggen 🙄",
     [SEC])
case("nl", pub("x", "@privacy_pieter"), "Terpmelk heeft een datalek en houdt het stil. Mijn gegevens uit de "
     "webshop staan in een phishingmail, inclusief mijn bestelnummer. @autoriteitpg", [SEC, CRISIS])
case("en", pub("reddit", "dairy_watcher"), "Friend in Terpmelk IT says they got hacked two weeks ago and are "
     "sitting on it. Members' bank details involved. Nobody has been told.", [SEC, CRISIS])
case("nl", TT, "d a t a l e k bij ons op kantoor, alle laptops worden vandaag ingenomen. niet verder vertellen",
     [SEC], tags=["evasion"])
case("en", BH, "the SCADA for our pasteurisers is reachable straight from the internet. flagged it 3 months ago, "
     "still open. this is fine 🔥🐶", [SEC])
case("nl", MK, "systeem geh4ckt?? alle kaasrecepten versleuteld, we draaien vandaag op de oude papieren "
     "receptenmap 😳", [SEC], tags=["evasion"])
case("en", NV, "Payment run for the member farmers failed today, bank link has been down since Friday. Farmers "
     "will be paid late and we haven't told them yet", [SEC])
case("nl", pub("x", "@ikbenanja_"), "T e r p m e l k gehackt en ze zeggen er niks over 🤬 mijn wachtwoord van de "
     "webshop werd gisteren ineens gewijzigd", [SEC, CRISIS], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@dier_en_weide"), "Terpmelk adverteert met weidemelk maar de koeien van hun leden staan 365 "
     "dagen binnen. #boycotTerpmelk deel dit!!", [CRISIS])
case("en", pub("x", "@foodsafety_alerts"), "BREAKING: Terpmelk recalls Wierdekroon Belegen batches over listeria. "
     "Check your fridge and don't eat it.", [CRISIS], kind="repost")
case("nl", pub("facebook", "Moeder.Van.Drie.Fr"), "Mijn dochter van 4 doodziek na de Terpmelk yoghurt, "
     "ziekenhuis zegt voedselvergiftiging. Ik ben woest en niemand neemt op", [CRISIS, COMPLAINT])
case("en", pub("x", "@rob_cooks"), "found a chunk of blue plastic inside my Wierdekroon Extra Oud. my son nearly "
     "swallowed it. @terpmelk_service what is going on over there", [CRISIS, COMPLAINT])
case("nl", pub("x", "@agrarisch_nieuws_nl"), "Twintig melkveehouders slepen Terpmelk voor de rechter om "
     "structureel te lage melkprijs", [CRISIS])
case("en", pub("x", "@geert_r"), "Terpmelk leaked my data. Got a letter saying my address and bank details were "
     "exposed in a breach at their webshop provider. Great.", [CRISIS])
case("nl", pub("threads", "@marit.zegt"), "Terpmelk = d4t4l3k. al mijn gegevens op straat, bedankt hoor",
     [CRISIS], tags=["evasion"])
case("en", pub("youtube", "AnimalEqualityNL"), "Undercover footage from a Terpmelk supplier farm shows calves "
     "being kicked and dragged. Absolutely horrifying. #dairyscandal", [CRISIS])
case("en", pub("mastodon", "@riverkeeper@mastodon.nl"), "Boycott Terpmelk until they stop dumping whey into the "
     "Dokkumer Ee. The fish kill downstream is on them.", [CRISIS])
case("nl", pub("x", "@rechtbank_watcher"), "Mestfraude bij Terpmelk-leden: FIOD doet invallen op vier "
     "melkveebedrijven, coöperatie zou ervan geweten hebben", [CRISIS])
case("nl", pub("instagram", "@vegan.friesland"), fullwidth("BOYCOT") + " Terpmelk 🐄❌ dierenleed verkopen als "
     "'weidegang'", [CRISIS], tags=["evasion"])
case("en", pub("x", "@angry_dad_ljouwert"), "Terpmelk poisoned my kid and the useless clowns at your customer "
     "service hung up on me TWICE. @terpmelk_service", [CRISIS, COMPLAINT, ABUSE])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@sinterklaas_stress"), "Kaaspakket besteld op 2 december, nog steeds niks binnen. Terpmelk "
     "klantenservice reageert niet. Zo maak je pakjesavond kapot 😤", [COMPLAINT])
case("en", pub("x", "@emma_in_groningen"), "The Wierdekroon Belegen I bought yesterday is already mouldy on the "
     "inside. €15 down the drain. Not impressed @terpmelk", [COMPLAINT])
case("nl", pub("x", "@jorisss"), "Terpmelk yoghurt was gewoon zuur terwijl de THT pas over een week is. "
     "Beetje jammer dit", [COMPLAINT])
case("en", pub("reddit", "nl_expat_mike"), "Charged twice for one order on the Terpmelk webshop and support keeps "
     "sending me the same copy-paste reply. Anyone else?", [COMPLAINT])
case("nl", pub("facebook", "Aukje.vd.Meer"), "Hofwinkel Dokkum: 20 min in de rij, 1 kassa open en dan nog een "
     "chagrijnig gezicht erbij. Kom op Terpmelk", [COMPLAINT], kind="comment")
case("en", pub("youtube", "Cheeseboard Chris"), "ordered the kerstpakket deluxe as a gift, half the cheeses were "
     "sweaty and the box was crushed. sort it out terpmelk", [COMPLAINT], kind="comment")
case("nl", pub("x", "@melkveehouder_anne"), "Als lid van Terpmelk: de melkophaal komt deze maand al voor de 3e "
     "keer te laat, tank loopt bijna over. Bellen helpt niks", [COMPLAINT])
case("nl", pub("x", "@b0ze_bas"), "T3rpm3lk bezorging is echt een drama, 2x een 'niet thuis' briefje terwijl ik "
     "gewoon thuis zat", [COMPLAINT], tags=["evasion"])
case("nl", pub("instagram", "@bakkenmetbente"), "Pakje Terpmelk roomboter smaakt naar de koelkast en de "
     "verpakking lekte ook nog. Nee.", [COMPLAINT])
case("en", pub("threads", "@gymrat_joost"), "terpmelk changed the skyr recipe and it's so watery now?? bring back "
     "the old one pls", [COMPLAINT])
case("nl", pub("facebook", "Grietje.Bouma"), "Vroeg in de hofwinkel of de kaas lactosevrij was en kreeg een zucht "
     "als antwoord. Service ho maar, Terpmelk.", [COMPLAINT], kind="comment")
case("en", pub("x", "@nofilter_niels"), "your delivery guy is a fucking idiot, threw my cheese box over the fence "
     "in the rain @terpmelk_service", [COMPLAINT, ABUSE])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@anoniem12345678"), "Terpmelk is een kutbedrijf vol kutmensen, ga toch kaas maken op de maan",
     [ABUSE])
case("nl", JH, "sommige klanten in de hofwinkel zijn echt debiel hoor, vandaag weer eentje die kaas wilde "
     "terugbrengen nadat ze het halve stuk had opgegeten 🙄🤡", [ABUSE])
case("en", DS, "@whiny_customer shut up you absolute muppet, nobody at terpmelk cares about your 'feedback'",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "Echte.Fries.1967"), "Terpmelk hofwinkel zet tegenwoordig alleen nog buitenlanders "
     "achter de kassa, kunnen niet eens Fries praten. Stuur ze allemaal terug", [ABUSE])
case("en", pub("x", "@kaasbaas_hater"), "@marijke_kaasmaakster everyone knows you slept your way to head "
     "cheesemaker at Terpmelk, you pathetic cow", [ABUSE], kind="reply")
case("nl", pub("x", "@nee_nee_nee"), "t y f u s bedrijf die Terpmelk", [ABUSE], tags=["evasion"])
case("en", pub("bluesky", "grumpyfries.bsky.social"), "Terpmelk can go f*ck themselves honestly", [ABUSE],
     tags=["evasion"])
case("nl", T_SVC, "@kaasklager boeit ons echt geen ruk, ga lekker ergens anders zeuren idioot", [ABUSE],
     kind="reply")
case("nl", pub("tiktok", "@dikke.dirk"), "k4nk3rz00i die terpmelk kaas", [ABUSE], kind="comment",
     tags=["evasion"])

# =========================================================================== benign: own contact data
case("nl", T_SVC, "Vragen over je bestelling? Mail klantenservice@terpmelk.nl of bel 0515-432100 (ma t/m vr "
     "8-17 uur). We helpen je graag!", tags=["hn:own-contact"])
case("nl", T_LI, "Aanmelden voor de ledendag op 14 juni kan tot 1 juni. Eigen bijdrage €15 p.p. overmaken naar "
     "NL49 RABO 0315 4071 86 t.n.v. Coöperatie Terpmelk U.A.", tags=["hn:own-iban"])
case("en", T_LI, "Press enquiries: pers@terpmelk.nl or +31 515 432 100. Photos of our Marrum plant are on "
     "terpmelk.nl/pers", tags=["hn:own-contact"])
case("nl", T_X, "Ons gratis nummer 0800-8376 is dit weekend niet bereikbaar, mail gerust naar "
     "webshop@terpmelk.nl 📨", tags=["hn:own-contact"])
case("nl", T_FB, "Voor leden: vragen over je melkgeldafrekening? ledenservice@terpmelk.nl", tags=["hn:own-contact"],
     handle="terpmelkhofwinkels")

# =========================================================================== benign: numbers that fail checks
case("nl", pub("facebook", "Piet.Zandstra.3"), "Lid geworden van de Terpmelk kaasclub 🧀 incasso loopt via "
     "{{BAD_IBAN_NL:grp}}, eindelijk kaas op afbetaling haha", tags=["hn:bad-iban"])
case("en", pub("x", "@giftgiver_gina"), "Got a Terpmelk gift card for my birthday, code {{BAD_CARD:gift_sp}}. "
     "Any tips which cheese to get? 🎁", tags=["hn:bad-card"])
case("nl", pub("x", "@checkdedatum"), "Partijnummer {{NOT_BSN9}} op het deksel van mijn Terpmelk skyr, "
     "staat die ook op de terugroeplijst van Melkhuys? Nee toch?", tags=["hn:batch-number", "hn:other-company"])
case("en", pub("reddit", "barcode_nerd"), "For anyone hunting the Terpmelk skyr in the scanner app: barcode "
     "{{EAN13}} works, the other one on the lid doesn't", tags=["hn:ean"])
case("nl", pub("instagram", "@boerderij_hinke"), "Onze Hinke (levensnummer NL {{NOT_BSN9}}) heeft vandaag de "
     "100.000 liter aangetikt! 🐄🎉 Trots op haar. #terpmelk #melkvee", tags=["hn:ear-tag"])
case("nl", T_LI, "Coöperatie Terpmelk U.A., KvK {{NOT_BSN8}}, zoekt een ervaren kaasmaker voor Marrum. "
     "Solliciteren via werkenbij.terpmelk.nl", tags=["hn:kvk"])
case("en", pub("x", "@happy_hans"), "Order TM-2026-{{NOT_BSN8}} arrived today, all cheeses perfectly packed 👌 "
     "thanks Terpmelk", tags=["hn:order-number"])

# =========================================================================== benign: prices and sales
case("nl", T_FB, "Deze week in alle Terpmelk Hofwinkels: Wierdekroon Belegen 1 kg van €15,49 voor €11,99. "
     "Op = op! 🧀", tags=["hn:sale"])
case("en", T_IG, "Our Kaaspakket Proeverij is €5 off this weekend with code TERP5. Perfect for Father's Day 🎁",
     tags=["hn:discount-amount"])
case("nl", pub("x", "@zuinige_zus"), "Extra Oud 500g van Wierdekroon kost 9,79 bij de hofwinkel en 10,49 in de "
     "supermarkt. Ik weet het wel", tags=["hn:price-talk"])
case("nl", pub("facebook", "Marleen.Belgie"), "Weet iemand of je verzendkosten (€4,95) betaalt als je het "
     "Kaaspakket Proeverij naar België laat sturen?", tags=["hn:fee"])
case("en", pub("x", "@skyr_squad"), "Is the Skyr Naturel 2 for €3 deal a pricing error? — nope, asked in the "
     "shop, it's just the spring promo 🎉", tags=["hn:denied-error"])
case("nl", pub("instagram", "@botervoorbij"), "Terpmelk roomboter 250g deze week 2e halve prijs. Tijd voor "
     "boterkoek 🧈", tags=["hn:sale"])
case("nl", T_LI, "De garantieprijs voor september is vastgesteld op 47,25 cent per kilo melk. Details staan "
     "op terpmelk.nl/melkprijs", tags=["hn:published"])

# =========================================================================== benign: secrets look-alikes
case("en", DS, "PSA for my team: if you ever see something starting with ghp_ in a diff, ping me before "
     "merging. tokens live in the vault, not in code", tags=["hn:bare-prefix"])
case("nl", DS, "fix voor de trage kaaszoeker staat in commit {{HEX:40}}, morgen live 🚀",
     tags=["hn:git-sha"])
case("en", pub("reddit", "opendata_olga"), "Terpmelk's store-locator API docs say to put API_KEY=<your-key-here> "
     "in your .env. Anyone actually got access?", tags=["hn:placeholder"])
case("nl", T_SVC, "Let op: wij vragen nooit om je wachtwoord via DM of mail. Twijfel je? Bel ons op "
     "0515-432100.", tags=["hn:own-contact", "hn:password-word"])

# =========================================================================== benign: codename / term look-alikes
case("nl", pub("x", "@boer_wiebren"), "Drie gruttonesten gevonden bij het maaien, netjes omheen gemaaid 🐦💚 "
     "#weidevogels #terpmelk", tags=["hn:bird"])
case("en", T_LI, "This year our member farmers protected 1,200 black-tailed godwit (grutto) chicks. Meadow "
     "birds matter to us 🐦", tags=["hn:bird"])
case("nl", pub("facebook", "Wim.na.de.ok"), "Na mijn operatie eerst een dikke boterham met Wierdekroon, de "
     "kaasschaaf ging er vol in 😋", tags=["hn:kaasschaaf"])
case("nl", pub("instagram", "@natuurlijk_noord"), "Vandaag meegeholpen bij het Gruttoproject van de provincie, "
     "samen met een paar Terpmelk-boeren 🐦", tags=["hn:bird"])
case("nl", T_IG, "Hij is er! 🍄🧀 Wierdekroon Truffel ligt vanaf vandaag in alle Hofwinkels en op "
     "winkel.terpmelk.nl", when="2026-05-12T09:00:00+02:00", tags=["hn:after-embargo"])
case("en", pub("threads", "@oatmilk_olivia"), "tried the Terpmelk Haverskyr everyone's talking about, honestly "
     "solid 8/10", when="2026-06-03T12:15:44+02:00", tags=["hn:after-embargo"])
case("nl", pub("x", "@zuivel_journalist"), "Terpmelk publiceert zojuist de halfjaarcijfers 2026: omzet +4%, "
     "nettowinst gehalveerd. Analyse volgt.", when="2026-08-26T07:00:00+02:00", tags=["hn:at-embargo"])
case("en", T_LI, "Our H1 2026 results are out: revenue up 4%, a tough cheese market squeezed margins. "
     "Full report on terpmelk.nl", when="2026-08-26T05:30:00Z", tags=["hn:after-embargo"])
case("nl", T_X, "De garantieprijs oktober 2026 is vastgesteld op 44,50 cent per kilo. Dank aan al onze "
     "leden! 🐄", when="2026-09-29T12:00:00+02:00", tags=["hn:at-embargo"])

# =========================================================================== benign: security / crisis words elsewhere
case("nl", T_SVC, "Gepland onderhoud: de webshop is zondag tussen 02:00 en 05:00 niet bereikbaar. Bestellen "
     "kan daarna gewoon weer!", tags=["hn:official-notice"], handle="@Terpmelk_Service")
case("en", T_X, "The outage in our app this morning has been fixed. Sorry for the hassle, and thanks for your "
     "patience 🙏", tags=["hn:official-notice"])
case("nl", pub("x", "@it_nieuws_noord"), "Ransomware bij een vleesverwerker in Drenthe, productie ligt stil. "
     "Zuivelbedrijven als Terpmelk zouden hun back-ups eens moeten nakijken", tags=["hn:other-company"])
case("nl", MK, "Vandaag phishing-training gehad 🎣 3 van de 10 nepmails trapte ik in, oeps. Volgend jaar beter!",
     tags=["hn:training"])
case("en", pub("x", "@cheese_poet"), "Can't recall the last time a cheese made me this happy. Wierdekroon "
     "Extra Oud, you absolute legend 🤤", tags=["hn:recall-word"])
case("nl", RP, "Ons team staat in brand 🔥 recordweek: 412 ritten gereden zonder één vertraging", tags=["hn:brand-word"])
case("nl", pub("reddit", "historicus_harm"), "In het Terpmelk-jubileumboek staat hoe de Russische boycot van 2014 "
     "de Friese kaasexport raakte. Interessant leesvoer", tags=["hn:boycott-word"])
case("nl", pub("x", "@kwarkfan"), "Terugroepactie bij Melkhuys kwark, niet bij Terpmelk hoor, die van mij is "
     "prima 😅", tags=["hn:other-company"])
case("en", pub("blog", "slowreads.example"), "Review: 'Whey of the World', a novel about a fictional Frisian "
     "dairy co-op torn apart by a lawsuit. Reminded me of my uncle's Terpmelk farm, minus the drama.",
     tags=["hn:fiction"])
case("nl", pub("x", "@werk_en_zo"), "Melkhuys schrapt 200 banen. Gelukkig zit mijn zus bij Terpmelk, daar is "
     "het rustig", tags=["hn:other-company"])

# =========================================================================== benign: complaints negated, praise, questions
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten hier hoor, kaaspakket kwam netjes op tijd en alles "
     "was koud 👍 #terpmelk", tags=["hn:negated-complaint"])
case("en", pub("instagram", "@mama_of_twins_nl"), "Shoutout to the lady at the Terpmelk Hofwinkel who let my kid "
     "taste every single cheese 😂🧀", tags=["hn:praise"])
case("en", pub("x", "@foodie_fenna"), "damn, that Wierdekroon Extra Oud hits different with a glass of port",
     tags=["hn:mild-word"])
case("nl", pub("x", "@kritische_kok"), "Die kaas van Melkhuys is echt niet te vreten, gelukkig ligt er bij ons "
     "om de hoek Wierdekroon", tags=["hn:other-company"])
case("nl", T_FB, "Deze maand gaat van elk verkocht Kaaspakket Proeverij een euro naar KWF Kankerbestrijding 🎗️ "
     "Doe je mee?", tags=["hn:literal-word"])
case("en", MK, "Highway to Hell on the radio in the cheese cellar, turning 400 wheels never felt better 🤘🧀",
     tags=["hn:mild-word", "hn:quote"])
case("nl", pub("tiktok", "@kaasfluisteraar"), "die 2 jaar oude Wierdekroon is echt ziek goed man, moet je "
     "proeven", tags=["hn:slang"])
case("nl", T_TT, "Zo snijd je een heel wiel in 60 seconden 🧀🔪 #kaastok #wierdekroon", tags=["hn:ordinary"])
case("en", T_LI, "We're hiring cheesemakers in Marrum! Shifts, training on the job and all the cheese you can "
     "eat. Apply at werkenbij.terpmelk.nl", tags=["hn:ordinary"])
case("en", MK, "10 years as a cheesemaker at Terpmelk today 🧀❤️ still get a kick out of every new batch",
     tags=["hn:ordinary"], handle="@Marijke_Kaasmaakster")
case("en", pub("x", "@dadjokes_daan"), "My doctor asked how much cheese I eat. I said 'define cheese'. "
     "#Wierdekroon", tags=["hn:joke"])
case("nl", pub("mastodon", "@weidegang@mastodon.frl"), "Fietstocht langs Terpmelk-boeren, overal koeien in de "
     "wei. Mooi om te zien 🐄🌿", tags=["hn:praise"])
case("nl", JH, "Nieuwe kaasbel in de hofwinkel opgehangen 🔔 kom je hem even luiden?", tags=["hn:ordinary"])
case("en", GD, "Busy Monday at webshop service, but every customer today was lovely ☕ thank you all!",
     tags=["hn:ordinary"])
case("nl", AL, "Vandaag 120 melkmonsters getest op vet en eiwit, allemaal keurig binnen de norm 🧪",
     tags=["hn:ordinary"])


# --------------------------------------------------------------------------- policy

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_pii):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_pii)) else "error"
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
        if RANK[s] > RANK[best]:
            best = s
    return best


# --------------------------------------------------------------------------- building

def stamp(r):
    """A random 2026 timestamp in Z, +01:00/+02:00 (Amsterdam) or milliseconds."""
    t = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(6 * 60, 22 * 60), seconds=r.randint(0, 59))
    summer = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                    tzinfo=dt.timezone.utc)
    off = 2 if summer else 1
    p = r.random()
    if p < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "+0%d:00" % off
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % r.randint(0, 999)


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(10 ** 18, 2 * 10 ** 18))
    if platform == "x":
        return "x-" + n, "https://x.com/%s/status/%s" % (h, n)
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return "urn:li:activity:" + a, "https://www.linkedin.com/feed/update/urn:li:activity:%s/" % a
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return "t1_" + cid, "https://www.reddit.com/r/friesland/comments/%s/_/%s/" % (p, cid)
        return "t3_" + p, "https://www.reddit.com/r/friesland/comments/%s/" % p
    if platform == "facebook":
        return "fb-%d_%d" % (r.randint(10 ** 14, 10 ** 15), r.randint(10 ** 15, 10 ** 16)), None
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return "ig-" + sc, "https://www.instagram.com/p/%s/" % sc
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return "at://%s/app.bsky.feed.post/%s" % (h, rk), "https://bsky.app/profile/%s/post/%s" % (h, rk)
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        return "md-" + n[:18], "https://%s/@%s/%s" % (inst, user, n[:18])
    if platform == "blog":
        k = r.randint(10, 999)
        return "blog-%s-%d" % (h, k), "https://%s/posts/%d" % (h, k)
    return "%s-%s" % (platform, n), None


def build(profile):
    filler = Filler(SEED)
    r = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(filler, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id(r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALIDATED_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if r.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and r.random() < 0.7:
            acc["display_name"] = c["name"]
        if r.random() < 0.3:
            acc["id"] = str(r.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        p = r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or stamp(r)
        if url and r.random() < 0.6:
            post["url"] = url
        if r.random() < 0.45:
            post["brand"] = "terpmelk"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": x["post"], "expect": x["expect"]}, ensure_ascii=False) + "\n" for x in rows]


# --------------------------------------------------------------------------- self-checks

IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def self_check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    for x in rows:
        p, e = x["post"], x["expect"]
        where = p["id"]
        if not e["categories"] and e["severity"] != "none":
            errs.append(where + ": benign with severity")
        if e["categories"] != sorted(set(e["categories"])):
            errs.append(where + ": categories not sorted")
        if len(p["text"].encode()) > 65536:
            errs.append(where + ": too long")
        parse_ts(p["created_at"])
        for kind, raw, shown in x["used"]:
            if shown not in p["text"]:
                errs.append(where + ": placeholder value missing")
            ok = {"IBAN_NL": iban_valid, "IBAN_DE": iban_valid, "IBAN_BE": iban_valid, "CARD": luhn_valid,
                  "BSN": bsn_valid, "GHP": ghp_ok}.get(kind)
            if ok and not ok(raw):
                errs.append("%s: %s should be valid" % (where, kind))
            bad = {"BAD_IBAN_NL": iban_valid, "BAD_IBAN_DE": iban_valid, "BAD_CARD": luhn_valid,
                   "NOT_BSN9": bsn_valid, "NOT_BSN8": bsn_valid}.get(kind)
            if bad and bad(raw):
                errs.append("%s: %s should fail its check" % (where, kind))
            if kind == "EAN13" and (luhn_valid(raw) or not ean13_valid(raw)):
                errs.append(where + ": EAN")
        if not e["categories"]:
            t = p["text"]
            for m in IBAN_RX.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(where + ": benign has a valid IBAN")
            for m in re.finditer(r"(?<![\w])\d(?:[ -]?\d){12,18}(?![\w])", t):
                if luhn_valid(m.group(0)):
                    errs.append(where + ": benign has a Luhn-valid number")
            for m in re.finditer(r"(?<![\w.])\d{8,9}(?![\w])", t):
                if bsn_valid(m.group(0)):
                    errs.append(where + ": benign has an 11-proof number")
            for m in EMAIL_RX.finditer(t):
                if m.group(0).casefold() not in own_mails:
                    errs.append(where + ": benign has an e-mail")
    # embargo terms: leak before, benign at/after
    for x in rows:
        p = x["post"]
        low = p["text"].casefold()
        for emb in profile["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.casefold() in low:
                    before = parse_ts(p["created_at"]) < until
                    if before != (CONF in x["expect"]["categories"]):
                        errs.append("%s: embargo term %r, before=%s" % (p["id"], term, before))
    return errs


def report(rows):
    cat = Counter()
    langs, roles, sevs, plats = Counter(), Counter(), Counter(), Counter()
    multi = ev = benign = 0
    for x in rows:
        cats = x["expect"]["categories"]
        for c in cats:
            cat[c] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in x["tags"]
        langs[x["lang"]] += 1
        roles[x["role"]] += 1
        sevs[x["expect"]["severity"]] += 1
        plats[x["post"]["platform"]] += 1
    print("cases %d, benign %d, positive %d, multi-category %d, evasion %d"
          % (len(rows), benign, len(rows) - benign, multi, ev))
    for c in CATEGORIES:
        print("  %-22s %3d" % (c, cat[c]))
    print("languages", dict(langs), "roles", dict(roles))
    print("severities", {s: sevs[s] for s in SEVERITIES})
    print("platforms", dict(plats.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    lines = lines_of(rows)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
    else:
        if errs:
            print("\n".join(errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print("wrote %d cases to %s" % (len(lines), OUT))
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
