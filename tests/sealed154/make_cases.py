#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and prints counts

Company: Hortulus Tuincentra B.V. (fictional chain of garden centres), see profile.yaml.
Texts are hand-written below. Identifiers and secrets are filled in from placeholders
(<<KIND:fmt>>) by one seeded RNG, so output is byte-for-byte reproducible. Positives
get checksum-valid identifiers; hard negatives get ones that fail their checksum.
Severity is computed (never typed) from CONTRACT section 4: account role from the
profile (platform:handle, case-insensitive), categories, and whether a checksum-
validated identifier (IBAN, card, BSN) is in a leak.pii post.
Needs Python 3.9+ and PyYAML.
"""
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

SEED = 15405271
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fw(s):
    out = []
    for ch in s:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        tot += d
    return bool(digits) and tot % 10 == 0


def luhn_fill(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------- placeholder values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL66RABO0312445567"


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
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.d(10, True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["001", "063", "068", "363", "734", "979"]) + self.d(7)
        return iban_make("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "50010517", "20041133", "30050110"]) + self.d(10))

    def bad_iban(self, v):
        kk = int(v[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(kk + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

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

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            cand = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(cand):
                return cand

    def phone(self, f):
        m8 = self.r.choice("12345") + self.d(7)   # digits after '06'
        area = self.r.choice(["35", "33", "30", "318", "342", "346", "20", "10", "26"])
        sub = self.r.choice("2345789") + self.d(6 if len(area) == 2 else 5)
        return {
            "mob_dash": f"06-{m8}",
            "mob_plain": f"06{m8}",
            "mob_intl_sp": f"+31 6 {m8[:4]} {m8[4:]}",
            "mob_0031": f"0031 6 {m8[:2]} {m8[2:5]} {m8[5:]}",
            "mob_pairs": f"06 {m8[:2]} {m8[2:4]} {m8[4:6]} {m8[6:]}",
            "mob_intl_c": f"+316{m8}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        p = b64url(json.dumps({"sub": "gp_" + self.d(7, True), "iss": "groenpas.hortulus.nl",
                               "scope": "newsletter:write", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55)
        rest = self.c(B64, 64) + "\n" + self.c(B64, 44) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n" + rest + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4)
                + self.c(string.digits, 2) + self.r.choice("!#$%&*") + self.c(ALNUM, 4))


VALID_IDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            brand, _, ff = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            brand, _, ff = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.not_bsn(int(f))
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.c(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{g.d(12, True)}-{g.d(13, True)}-{g.c(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.c(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.c(B64URL, 33)
        elif k == "MOLLIE":
            shown = raw = "live_" + g.c(ALNUM, 30)
        elif k == "SENDGRID":
            shown = raw = "SG." + g.c(B64URL, 22) + "." + g.c(B64URL, 43)
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.c(B64URL, 20)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_EC":
            shown = raw = g.pem_ec()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "HEX":
            shown = raw = g.c("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
H_NL = ("x", "@hortulus_nl", "Hortulus Tuincentra")
H_CARE = ("x", "@hortulus_helpt", "Hortulus Klantenservice")
H_IG = ("instagram", "@hortulus.tuincentra", "Hortulus")
H_FB = ("facebook", "HortulusTuincentra", "Hortulus Tuincentra")
H_LI = ("linkedin", "hortulus-tuincentra", "Hortulus Tuincentra B.V.")
H_TT = ("tiktok", "@hortulus.tuin", "Hortulus")
# employees
MV = ("x", "@mirjam_hortulus", "Mirjam Verbeek")                 # store manager Amersfoort
KD = ("instagram", "@kees.kweekt", "Kees Dijkhuizen")            # plant buyer
BO = ("linkedin", "bas-oudeman-hortulus", "Bas Oudeman")         # IT / webshop platform lead
NH = ("linkedin", "noor-hendriks", "Noor Hendriks")              # finance controller
DJ = ("x", "@djamal_bezorgt", "Djamal Bouzid")                   # home-delivery driver
EV = ("threads", "@evi.dierenhoek", "Evi Smit")                  # pet corner
RT = ("reddit", "u/ruben_tuindev", None)                         # web developer
LW = ("bluesky", "lotte-dewit.bsky.social", "Lotte de Wit")      # marketing
JK = ("mastodon", "@jorisk@mastodon.nl", "Joris Kramer")         # data engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    if handle_as:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", KD, "Euhm... wie heeft de Olijfboom XL in de webshop op €27,90 gezet?? 🫣 moest natuurlijk €279 zijn. "
     "ik zeg niks, jullie hebben niks gezien 🙈", [PRICING])
case("nl", pub("x", "@bbq_bram"), "Vonkel Kamado 47 voor €89 bij hortulus.nl 😳😳 dit MOET een prijsfout zijn, snel zijn mensen "
     "#prijsfout #bbq", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Hortulus NL has the Maaimeester 800 robot mower at €114.90 right now. "
     "Pretty sure someone dropped a digit. Ordered anyway, waiting for the cancellation mail lol", [PRICING])
case("nl", DJ, "haha op mn pakbon staat Loungeset Kaap €129,90 en de klant heeft echt zo weinig betaald. wie zat er te "
     "slapen bij de prijzen 😂😂", [PRICING], kind="post")
case("nl", H_FB, "🔥 ZOMERKNALLER 🔥\nLommerd Zweefparasol 3,5 m nu voor maar €34,90!\nAlleen deze zaterdag in alle "
     "vestigingen ☀️", [PRICING])
case("nl", pub("facebook", "ria.vandenbroek.3", "Ria van den Broek"), "Iemand de Glashelder kas al gezien op de site van "
     "Hortulus? 159 euro ipv 1599 😮 zou dat doorgaan?? mijn man wil er al jaren eentje", [PRICING], kind="comment")
case("nl", pub("x", "@koopjesjager_nl"), "Kаmado 47 van Vonkel staat op 39,95 bij Hortulus 😂 p.r.i.j.s.f.o.u.t ga ga ga",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", MV, "Collega's Amersfoort: de kassa's rekenen de Vonkel Vierbrander af voor 64,90 ipv 649!! Niet meer verkopen "
     "tot IT het gefixt heeft, ik hang een briefje op", [PRICING])
case("en", RT, "price sync job borked again, Krabpaal Toren shows €12.90 on the live shop since 6am. tracked in "
     "jira.hortulus.nl/browse/SHOP-2291 but nobody's allowed to deploy until after the freeze 🙃", [PRICING, CONF],
     kind="comment")
case("nl", pub("threads", "@plantenmama_ilse"), fw("prijsfout") + " maaimeester 800 bij hortulus, kijk in de app "
     "voor ze het doorhebben 🏃‍♀️", [PRICING], tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "TuinTijger"), "[Prijsfout?] Hortulus – Lommerd Loungeset Kaap €199 incl. bezorging\n\n"
     "Normaal rond de 1300. Bevestiging binnen, met iDEAL betaald. Wie waagt een gokje?", [PRICING])
case("nl", pub("x", "@hansvdl"), "Staat de Olijfboom XL nou verkeerd geprijsd bij Hortulus of ben ik gek aan het worden? 🤔 "
     "kijk even mee", [PRICING], kind="reply")
case("nl", EV, "Zeg tegen niemand dat ik dit zeg maar die Krabpaal Toren staat nu voor 9 euro in onze webshop 🙊 "
     "p r ij s f o u t", [PRICING], tags=["evasion", "evasion:spaced"])

# =========================================================================== leak.secret
case("en", BO, "Lesson our webshop team learned the hard way: a live payments key does NOT belong in a repo. This "
     "was just sitting in there:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nRevoked since, but still. #devsecops #ecommerce", [SECRET])
case("en", RT, "can't get the order service to talk to postgres after the upgrade. conn string is "
     "postgresql://orders_rw:<<PW>>@db02.intranet.hortulus.local:5432/orders — ssl off works, ssl on times out. ideas?",
     [SECRET, CONF], kind="post")
case("nl", DJ, "voor de nieuwe jongens op de bus: inlog scanner-app is gebruiker bezorg3 / wachtwoord <<PW>> 👍 "
     "niet doorvertellen he", [SECRET])
case("nl", H_CARE, "@sylvia_tuiniert Sorry voor het wachten! De bevestigingsmail zou nu wel moeten komen 🙂 "
     "(SG key voor Ruud: <<SENDGRID>>)", [SECRET], kind="reply")
case("en", RT, "why does this 404 on our private repo??\n\ncurl -H 'Authorization: Bearer <<GHP>>' "
     "https://api.github.com/repos/hortulus/webshop-frontend/releases/latest", [SECRET])
case("en", BO, "Security reminder for everyone in retail tech: we found these in a mobile app build last week 👇\n\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\n(already rotated, don't bother) "
     "#cloudsecurity", [SECRET])
case("nl", EV, "onze dierenhoek-bot in slack post geen voerschema meer 😿 token is <<SLACK_BOT>> , kan iemand van IT "
     "even kijken?", [SECRET])
case("en", pub("reddit", "u/jsnoop"), "Hortulus' store locator ships its Google Maps key in plain JS: <<GAPI>> "
     "no referrer restriction either lol", [SECRET], kind="comment")
case("en", pub("forum", "n0rdic_h4x"), "Found this in a public GitHub repo called 'hortulus-kassa-tools'. Somebody "
     "should probably ping them:\n\n<<PEM_EC>>", [SECRET])
case("en", LW, "why am i getting a 401 from the newsletter API with this token?? tried everything 😩\n<<JWT>>", [SECRET])
case("en", JK, "pipeline still dies at the clone step:\ngit clone https://oauth2:<<GLPAT>>@gitlab.com/hortulus/"
     "kassa-sync.git\nremote: HTTP Basic: Access denied\nwhat am I missing", [SECRET])
case("nl", MV, f"het wacht{ZW}woord van de kassa-admin is vanaf vandaag <<PW>> , maandag weer een nieuwe hoor ik",
     [SECRET], tags=["evasion", "evasion:zero-width"])
case("nl", pub("x", "@ex_tuinnerd"), "ex-collega's bij Hortulus: jullie stripe key staat nog steeds in de app hoor "
     "<<STRIPE>> 🙃 ben ik toch mooi weg", [SECRET])

# =========================================================================== leak.pii
case("nl", H_CARE, "@m_vandam Hoi Mirthe, je retour is gevonden! 📦 We mailen het label naar mirthe.vandam82@gmail.com, "
     "check ook even je spam 😊", [PII], kind="reply")
case("nl", H_FB, "Het bedrag van €84,95 is vandaag teruggestort op rekening <<IBAN_NL:grp>> t.n.v. J. Koster. "
     "Nogmaals excuses voor de gebarsten pot!", [PII], kind="comment")
case("nl", MV, "Klant kwam net verhaal halen. Mevrouw Brouwer van de Bosrandweg 22 in Leusden, als je dit leest: die "
     "hortensia's waren al bruin toen je ze meenam 🙄", [PII])
case("nl", DJ, "laatste rit vandaag: loungeset naar dhr. Pieterse, Kerkstraat 8 in Hoogland. zat al met koffie op me te "
     "wachten, topvent ☕", [PII])
case("nl", NH, "Vraag aan HR-collega's in mijn netwerk: de salarisverwerking geeft een fout op BSN <<BSN:dots>> van een "
     "nieuwe medewerker, terwijl het nummer echt klopt. Iemand dit eerder gezien?", [PII])
case("nl", KD, "Klant belde een bestelling door voor 40 buxusvervangers 🌿 en las gewoon z'n creditcard voor: "
     "<<CARD:visa_sp>> exp 09/28. wie doet dat nog haha", [PII])
case("nl", pub("x", "@petravdm"), "@hortulus_helpt al 3x gebeld, niemand belt terug over mijn kapotte parasol!! "
     "Mijn nummer is <<PHONE:mob_0031>> , bel me gewoon even", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerard.smits.10", "Gerard Smits"), "Hortulus, ik wacht nu 5 weken op mijn geld voor die "
     "teruggestuurde kas. Hier nog een keer mijn rekeningnummer: <<IBAN_NL>>\nHoe moeilijk kan het zijn?",
     [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@woedende_wim"), "die arrogante kassajongen van Hortulus Nieuwegein heet Timo Jacobs en woont op de "
     "Dorpsstraat 41 in Vianen. gaan we even langs 😡", [PII, ABUSE])
case("nl", pub("instagram", "@ilsetuiniert"), "Wie heeft de tuinset-winactie van @hortulus.tuincentra eigenlijk "
     "gewonnen? Ik heb niks gehoord 😅 mail me maar: ilse.vermeer [at] hotmail [punt] com",
     [PII], kind="comment", tags=["evasion", "evasion:at-punt"])
case("nl", pub("reddit", "u/bijbaan_zoeker"), "Solliciteren bij Hortulus voor een zaterdagbaantje, ze vragen nu al "
     "om mijn BSN (<<BSN>>) via whatsapp?? is dat normaal of ben ik gescamd", [PII])
case("en", pub("x", "@saskia_b"), "Payment failed AGAIN in the Hortulus app. card <<CARD:mc2_c>> works everywhere "
     "else so it's definitely you, not me 😤", [PII, COMPLAINT])
case("nl", H_FB, "🎉 Winnaar van de Vonkel Vierbrander: Henk de Graaf uit Soest! Henk, we bezorgen 'm volgende week op "
     "de Eikenlaan 17, we bellen je nog op <<PHONE:land_dash>> 📞", [PII])
case("en", LW, "newsletter export for the loyalty test looks fine?? first rows:\nanouk.peeters@ziggo.nl\n"
     "r.demir1990@outlook.com\nfam.jansen@kpnmail.nl\n…", [PII])
case("en", pub("x", "@jef_antwerpen"), "Belgian customer here. Hortulus webshop says the refund was sent but nothing "
     "on <<IBAN_BE:grp>> after 3 weeks. Anyone else?", [PII, COMPLAINT])
case("nl", pub("x", "@lieke_tuint"), "Heb net per ongeluk mijn hele creditcardnummer <<CARD:amex_sp>> in de chat van "
     "@hortulus_helpt geplakt 🙈 kan iemand dat weghalen", [PII])
case("en", pub("youtube", "@gartenfreund_kleve"), "Ordered from Hortulus to Kleve, they asked me to pay the customs "
     "difference myself, my account is <<IBAN_DE>> , just refund the delivery fee please",
     [PII, COMPLAINT], kind="comment")

# =========================================================================== leak.confidential
case("nl", MV, "Vandaag de eerste presentatie gehad over Project Stekje 👀 als dat doorgaat wordt onze vestiging "
     "écht anders. Meer mag ik niet zeggen 🤐", [CONF])
case("nl", KD, "Stapels kwekerscatalogi doorgespit voor Operatie Wintergroen ❄️🌲 de nieuwe kerstafdeling wordt 💯",
     [CONF])
case("en", BO, "For the new devs: the POS sync runbook lives at https://wiki.hortulus.nl/display/IT/kassa-sync-runbook "
     "— read it before your first on-call week 🙏", [CONF])
case("en", LW, "can't WAIT for you all to see the Vonkel Kamado 60 🔥🔥 launch shoot today was unreal",
     [CONF], when="2026-03-17T18:42:10+01:00")
case("nl", pub("x", "@tuinfluencer_nl"), "Vriendin werkt bij Hortulus: er komt een Groenpas Goud met 10% korting op "
     "alles 👀 zeg niet dat je het van mij hebt", [CONF], when="2026-03-09T20:15:33+01:00")
case("nl", DJ, "lol kreeg dit in de groepsapp: 'INTERN - NIET DELEN: vanaf juni bezorgen we ook op zondag in regio "
     "Utrecht' oeps 🤭", [CONF])
case("nl", JK, "Sprint review morgen over Project\nPaardenbloem, slides zijn bijna af 🌼",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", pub("forum", "margeMaarten"), "Kreeg een printje mee bij mijn bestelling, bovenaan: 'Hortulus vertrouwelijk "
     "– inkoopcondities 2026 kwekerij De Vaart'. Die marges op potplanten zeg, waanzin", [CONF])
case("en", EV, "psst 🤫 we're getting our own cat food line this autumn, samples are already in the stockroom. "
     "still under NDA with the supplier so shhh", [CONF], when="2026-06-30T13:12:08+02:00")
case("nl", KD, "Project 🌱 Stekje gaat door!! eerste proefwinkel in het voorjaar 🥳", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("en", pub("reddit", "u/grillgeek77"), "Leaked spec sheet: the Vonkel Kamado 60 gets a 60 cm grate and will be "
     "around €1.149. Launch early April apparently", [CONF], when="2026-02-26T22:03:51Z")
case("nl", MV, "Nog één minuutje... ach wat, Groenpas Goud komt eraan!! 🥇 ik kon niet meer wachten",
     [CONF], when="2026-04-02T08:59:00+02:00")
case("nl", BO, f"Planning voor Operatie Winter{ZW}groen staat, IT draait 3 weekenden extra in november 🎄",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("en", LW, "sharing our summer campaign deck with my agency friends for feedback. it says 'Hortulus internal only' "
     "on every slide but whatever, it's pretty 😅", [CONF])
case("nl", pub("instagram", "@djamal_bezorgt"), "nieuwe bussen gezien voor Project Paardenbloem, elektrisch en met "
     "koelruimte voor de planten 🚐⚡", [CONF])

# =========================================================================== leak.financial
case("nl", NH, "Hard gewerkt aan de halfjaarcijfers deze week. Spoiler: omzet vestigingen -11%, webshop +23%. "
     "Publicatie pas in augustus, dus vooral niet verder vertellen 😉", [FIN], when="2026-07-14T17:48:31+02:00")
case("en", NH, "Due diligence season 🤯 can't say much, but if the Tuinwereld deal closes we'll be the biggest garden "
     "retailer in the Benelux.", [FIN])
case("nl", MV, "Net gehoord dat Zeist en Houten eind dit jaar dichtgaan. Ruim 60 collega's hun baan kwijt en het is nog "
     "niet eens officieel. Ik ben er kapot van 💔", [FIN])
case("nl", DJ, "bezorgafdeling wordt per 1 januari uitbesteed aan een extern bedrijf, wij horen het via de gang. "
     "'reorganisatie' noemen ze het. mooi is dat", [FIN])
case("nl", pub("x", "@buurman_kees"), "Mijn zwager zit bij Hortulus op het hoofdkantoor, volgens hem worden ze dit jaar "
     "nog verkocht aan een investeerder uit Duitsland 😮", [FIN])
case("nl", KD, "Budgetoverleg gehad. Volgens de prognose staan we dit jaar rood, dus flink minder inkoop bij de "
     "kwekers 😕 zwaar jaar", [FIN])
case("en", LW, "board signed off the restructuring today. marketing shrinks to 6 people. official announcement 'in the "
     "coming weeks'. fun times", [FIN])
case("en", pub("reddit", "u/throwaway_tuin"), "Throwaway. Hortulus is about to issue a profit warning, my team got "
     "briefed today. Do with that what you want", [FIN])
case("nl", NH, "Jaarcijfers 2026 liggen bij de accountant, EBITDA ruim boven budget 🥂 mooi jaar gehad team!",
     [FIN, CONF], when="2026-12-18T16:20:00+01:00")
case("nl", MV, f"Er komen ont{SHY}slagen op het hoofdkantoor, de reorgani{SHY}satie wordt volgende maand pas bekend "
     "gemaakt. Sterkte iedereen", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", BO, "IT is being cut in half once the Tuinwereld acquisition closes. we were told today, in a meeting we "
     "aren't supposed to talk about.", [FIN])
case("en", pub("x", "@retail_watcher"), "Heard the FY2026 results will show Hortulus' first loss in a decade 👀",
     [FIN, CONF], when="2026-11-05T09:12:44Z")

# =========================================================================== leak.security
case("nl", BO, "Lange nacht achter de rug. Alle kassasystemen in de vestigingen lagen eruit door ransomware op een van "
     "onze servers. Communicatie volgt pas maandag, dus voor nu: duimen 🤞", [SEC])
case("en", RT, "found today that on our loyalty portal you can see someone else's points just by changing the customer "
     "id in the URL. reported internally, no fix yet 🙃", [SEC])
case("nl", MV, "Er is ingebroken in het systeem met de Groenpas-klantgegevens. Klanten worden pas volgende week "
     "ingelicht en wij mogen aan de balie niks zeggen", [SEC])
case("nl", DJ, "onze route-app is gehackt, alle bezorgadressen van vandaag stonden ineens op een russische site. intern "
     "doen ze alsof er niks aan de hand is", [SEC])
case("en", EV, "umm the webcam over our rabbit run has been wide open on the internet for weeks, no login at all. "
     "I reported it and nobody's doing anything 🐰", [SEC])
case("nl", pub("x", "@annemiek_k"), "Hortulus verzwijgt een datalek. Ik kreeg gisteren phishing met mijn Groenpas-nummer "
     "én mijn aankopen erin. Waarom staat hier niks over op jullie site?", [SEC, CRISIS])
case("nl", pub("x", "@bitsenbloemen"), "h0rtulus is geh4ckt en niemand zegt er iets over. wachten tot het in het nieuws "
     "komt zeker", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
case("en", BO, "Credential stuffing wave on the Groenpas login overnight, ~12k accounts accessed. We're forcing "
     "resets tomorrow before comms go out.", [SEC])
case("en", LW, "webshop goes dark all day tomorrow because of a hole in the payment module. customers will be told "
     "it's 'maintenance' 🤐", [SEC])
case("en", NH, "A cautionary tale: last week someone spoofed our CFO's e-mail and finance wired €80k to a fake "
     "supplier. Still under investigation, nothing public yet.", [SEC])
case("nl", JK, "d a t a l e k bij ons, de klantendatabase stond een week open. intern stilhouden is het devies 🙄",
     [SEC], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/opensearch_olaf"), "Their webshop has an open Elasticsearch with every order since 2024. "
     "Emailed them weeks ago, nothing. Hortulus is just sitting on this.", [SEC, CRISIS])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@veiligbbq"), "TERUGROEPACTIE: check je Vonkel Vierbrander van Hortulus! De gasslang kan gaan "
     "lekken. Mijn buurman had al een steekvlam 😳 #veiligheid", [CRISIS])
case("nl", pub("instagram", "@dierenvriendjes_nl"), "Konijnen in piepkleine hokjes in de dierenhoek van Hortulus "
     "Veenendaal 😢 Dit is 2026!! #boycotHortulus #dierenwelzijn", [CRISIS])
case("nl", pub("reddit", "u/imker_jan"), "Hortulus verkoopt 'bijvriendelijke' lavendel die behandeld is met "
     "neonicotinoïden, blijkt uit een test van onze imkersvereniging. Schandalig gewoon.", [CRISIS])
case("en", pub("x", "@points_lost"), "A class action against Hortulus over Groenpas points that 'expire' without notice "
     "is being prepared. Sign up if you lost points!", [CRISIS])
case("en", pub("facebook", "sandra.huisman.77", "Sandra Huisman"), "Saturday at Hortulus Amersfoort a display parasol "
     "blew over and hit a little girl on the head. Ambulance came. Really hope she's ok 🙏", [CRISIS])
case("en", pub("x", "@dirk_z"), "Thanks Hortulus, my name, home address and phone number are out there now thanks to "
     "your 'security'. Just got the Have I Been Pwned email.", [CRISIS])
case("nl", pub("x", "@stokerpiet"), "Mijn Vonkel Kamado 47 van Hortulus is gisteren gebarsten tijdens het opstoken, "
     "scherven door de tuin en een steekvlam tot aan de schutting 😱 en de klantenservice reageert niet",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@tomh_uk_nl"), "Got a proper shock off my Maaimeester 800 charging station this morning. Bought "
     "at Hortulus 2 months ago. Not touching it again until someone explains.", [CRISIS, COMPLAINT])
case("nl", pub("forum", "AquaAnneke"), "Hortulus heeft een boete gekregen van de NVWA voor het verkopen van verboden "
     "invasieve waterplanten, bleek bij een inspectie. Ook in 'hun' vijverhoek dus.", [CRISIS])
case("nl", pub("x", "@visjesvrij"), "B O Y C O T T  H O R T U L U S\nze verkopen nog steeds levende goudvissen in "
     "plastic zakjes als 'cadeautje' 🐟", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("instagram", "@mila.and.mochi"), "My cat died after chewing a lily from a Hortulus bouquet. No warning "
     "label whatsoever. The vet said lilies are deadly for cats. Heartbroken and furious 💔", [CRISIS, COMPLAINT])
case("en", pub("x", "@rechtvoorallen"), "Former employee takes Hortulus to court over discrimination in promotions. "
     "Good for her!", [CRISIS], kind="repost")
case("nl", pub("x", "@biomoestuin"), "Ηortulus spuit gewoon gif op hun 'biologische' moestuinplantjes, heb de etiketten "
     "in het magazijn gezien. Schande 🤬", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# =========================================================================== reputation.complaint
case("en", pub("x", "@lavendel_lies"), "ordered 12 lavender plants on hortulus.nl, arrived today: 8 of them bone dry "
     "🥀 this can't be normal @hortulus_helpt", [COMPLAINT])
case("nl", pub("facebook", "bert.ouwehand", "Bert Ouwehand"), "Loungeset besteld op 2 mei, 'levering binnen 2 weken'. "
     "Het is nu 14 juni en nog steeds niks. Telefoon wordt niet opgenomen. Ben er echt klaar mee, Hortulus.",
     [COMPLAINT], kind="comment", when="2026-06-14T10:02:47+02:00")
case("nl", pub("instagram", "@monique.tuin"), "Al 3x mijn Groenpas laten scannen en de punten staan er nog steeds niet "
     "op. Servicebalie: 'daar kan ik niks aan doen mevrouw'. Top 👎", [COMPLAINT])
case("en", pub("x", "@pieterpost"), "Returned a parasol to Hortulus 6 weeks ago, still no refund. Every email gets the "
     "same copy-paste reply. Come on.", [COMPLAINT])
case("nl", pub("reddit", "u/opa_gijs"), "Meisje aan de kassa bij Hortulus Ede rolde met d'r ogen en zuchtte omdat ik "
     "met muntjes betaalde. Ik ben 74, ik betaal hoe ik wil.", [COMPLAINT])
case("en", pub("x", "@zaadjeszoe"), "€9.95 delivery for a €2 packet of seeds?? Hortulus, seriously? Not mentioned "
     "anywhere until the very last checkout step", [COMPLAINT])
case("en", pub("forum", "windbreaker88"), "Lommerd zweefparasol broke after two weeks, the arm just snapped in a light "
     "breeze. Hortulus calls it 'wear and tear'. Two weeks!", [COMPLAINT])
case("en", pub("instagram", "@catlady_utrecht"), "ordered a Krabpaal Toren, received a dog bed 🐶🙄 hortulus pls",
     [COMPLAINT], kind="comment")
case("nl", pub("x", "@olijf_oscar"), "bezorger van Hortulus gooide m'n olijfboom gewoon over het hek. pot kapot, boom "
     "half geknakt. bedankt hè", [COMPLAINT])
case("en", pub("x", "@wetgrassteve"), "Hortulus rejected the warranty claim on my Maaimeester 800 because I 'mowed wet "
     "grass'. It's the Netherlands. Grass is always wet.", [COMPLAINT])
case("nl", pub("threads", "@femke.fluit"), "Hortulus 👎👎 plantjes 💀💀 geld terug❓ nee dus 😡", [COMPLAINT],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("x", "@rob_heeft_pech"), "Wat een kutbedrijf is Hortulus. 3 weken wachten op een tuinset en dan komt ie "
     "met een gebroken poot. Stelletje amateurs", [COMPLAINT, ABUSE])
case("en", pub("x", "@sam_checkout"), "f*cking Hortulus app logs me out every single time I try to pay", [COMPLAINT, ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("youtube", "@plantdadreviews"), "Bought three of the big olive trees from Hortulus after this video. Two "
     "dropped all their leaves within a month and the store won't take them back. Not impressed.", [COMPLAINT],
     kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boze_bas"), "Hortulus is een club debielen, altijd al geweest", [ABUSE])
case("nl", pub("facebook", "frank.ter.horst.5"), "Die mevrouw met hoofddoek aan de kassa bij Hortulus moet gewoon terug "
     "naar haar eigen land, echt", [ABUSE], kind="comment")
case("nl", MV, "@klaasvaak77 Misschien eerst leren lezen voordat je gaat zeiken over een bordje, sukkel", [ABUSE],
     kind="reply")
case("nl", H_IG, "Nee, we gaan je geen gratis plant geven omdat de vorige doodging na 8 maanden geen water. Doe "
     "normaal, idioot.", [ABUSE], kind="reply")
case("en", pub("x", "@grumpy_gardener"), "you absolute clowns @hortulus_nl, who runs your socials, a toddler?", [ABUSE])
case("nl", pub("x", "@xXtuinkabouterXx"), "Hortulus = kankerbedrijf. Dat is alles.", [ABUSE])
case("nl", pub("tiktok", "@lucas.0_0"), "Hortulus is een k u t winkel en jullie personeel is t e r i n g lui", [ABUSE],
     kind="comment", tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@anon83726"), "I know which Hortulus the girl who reported me works at. I'll be waiting at the car "
     "park tonight. Tell her.", [ABUSE])
case("nl", DJ, "klanten die bij 30 graden 4 zakken potgrond naar 3 hoog laten bezorgen zijn echt de grootste eikels 🙄",
     [ABUSE], when="2026-07-03T16:51:29Z")

# =========================================================================== benign (hard negatives)
B = "benign"
case("nl", H_CARE, "Vragen over je bestelling? Bel ons op 033 760 4400 (ma-za 8-20u) of mail "
     "klantenservice@hortulus.nl 🌻", tags=[B, "own-contact"])
case("nl", H_FB, "Liever overmaken? Dat kan op NL66 RABO 0312 4455 67 t.n.v. Hortulus Tuincentra B.V., o.v.v. je "
     "ordernummer 🙂", tags=[B, "own-contact"], kind="comment")
case("nl", H_NL, "Gratis bellen met de Groenpas-servicelijn: 0800-4678. Of mail groenpas@hortulus.nl 💚",
     tags=[B, "own-contact"])
case("nl", H_IG, "Olijfboom XL deze week voor de halve prijs: €139,50 i.p.v. €279 🫒 Op = op!", tags=[B, "sale"])
case("nl", H_NL, "Weekendknaller 🔥 Vonkel Kamado 47 nu €749 (was €899). Alleen za & zo in alle vestigingen.",
     tags=[B, "sale"])
case("nl", pub("marktplaats", "tuinhenk", "Henk"), "Te koop: Vonkel Kamado 47, 3 jaar oud, paar krasjes, "
     "€300. Ophalen in Nijkerk. Nieuw bij Hortulus €899.", tags=[B, "second-hand"])
case("nl", pub("x", "@twijfelkont"), "Tuinwereld's eigen Grillmaster 4 voor €199 of toch de Vonkel Vierbrander van "
     "Hortulus voor €649? 🤔 advies welkom", tags=[B, "competitor-price"])
case("nl", pub("instagram", "@zondagsgriller"), "Hoes voor mijn Kamado 47 gehaald bij Hortulus, €39,95. Past perfect 👌",
     tags=[B, "accessory"])
case("nl", H_LI, "Maaimeester 800 vanaf €32 per maand met onze nieuwe tuinlease 🌱 Meer info op hortulus.nl/lease",
     tags=[B, "monthly"])
case("nl", pub("x", "@dealcheck_nl"), "Nee hoor, geen prijsfout, is gewoon de Pinksteractie: Loungeset Kaap €899 ipv "
     "€1299", kind="reply", tags=[B, "denied-error"], when="2026-05-22T19:27:55+02:00")
case("nl", H_NL, "🛠️ Vannacht van 01:00 tot 05:00 is onze webshop niet bereikbaar door gepland onderhoud. Je Groenpas "
     "werkt gewoon in de winkel.", tags=[B, "official-notice"])
case("nl", H_IG, "Hij is er! De Vonkel Kamado 60 🔥 Vanaf vandaag in alle vestigingen en op shop.hortulus.nl",
     when="2026-04-02T09:00:00+02:00", tags=[B, "embargo-at-moment"])
case("en", pub("x", "@pulledpork_paul"), "First cook on the Vonkel Kamado 60: 14h pulled pork, held 110°C the whole "
     "night 🐷🔥", when="2026-05-23T21:47:02+02:00", tags=[B, "embargo-after"])
case("nl", H_NL, "Groenpas Goud is live! ✨ Alle info op hortulus.nl/groenpas", when="2026-04-02T07:00:00Z",
     tags=[B, "embargo-at-moment"])
case("nl", pub("instagram", "@vijgenvera"), "Nieuw projectje: een stekje van oma's vijg laten wortelen in een potje van "
     "Hortulus 🌱 duimen maar", tags=[B, "codename-word"])
case("nl", pub("x", "@balkonbeer"), "Wintergroen (Gaultheria) is echt dé balkonplant voor de winter, rode besjes tot "
     "februari ❤️ gekocht bij Hortulus Ede", tags=[B, "codename-word"], when="2026-11-21T15:40:03+01:00")
case("nl", pub("facebook", "karin.tuin.62"), "Operatie paardenbloemen uitsteken is weer begonnen 😩 iemand tips voor een "
     "goede onkruidsteker? Hortulus had er drie soorten", tags=[B, "codename-word"])
case("nl", pub("linkedin", "retailnieuws-nl"), "Hortulus Tuincentra boekte over 2025 een omzet van €412 miljoen, zo "
     "blijkt uit het jaarverslag dat vandaag is gepubliceerd.", tags=[B, "published-results"])
case("en", pub("reddit", "u/retail_numbers"), "Hortulus' FY2025 results are out: revenue up 4%, webshop now 28% of "
     "sales. Solid year for a garden chain.", tags=[B, "published-results"])
case("nl", pub("x", "@spaarpasfan"), "Datalek bij Tuinwereld: 200.000 klantgegevens gestolen. Blij dat mijn spaarpas "
     "van Hortulus is 😅", tags=[B, "other-company"])
case("en", pub("x", "@sectorwatch"), "Tuinwereld is closing 12 stores and laying off 300 people. Rough news for the "
     "whole garden sector.", tags=[B, "other-company"])
case("en", pub("reddit", "u/fuzzyfern"), "I can't recall the name of the climbing plant I got at Hortulus last year. "
     "White flowers, smells a bit like jasmine?", tags=[B, "recall-other-sense"])
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Hortulus hoor, bezorger was super vriendelijk en de planten "
     "zagen er top uit 👍", tags=[B, "negated-complaint"])
case("en", pub("instagram", "@tomatotom"), "'it's a hell of a time to be alive' ft. my tomato plants finally turning "
     "red 🍅 (seeds from Hortulus)", tags=[B, "quote-mild"], when="2026-08-09T18:22:10+02:00")
case("nl", pub("facebook", "yvonne.dekker.4"), "Onze hond heeft kanker 😢 de dierenarts zei: let op giftige planten. "
     "Welke kamerplanten zijn veilig? Bij Hortulus hadden ze een lijstje maar ik ben het kwijt",
     tags=[B, "literal-kanker"])
case("nl", pub("x", "@plantenmoordenaar"), "Ik ben officieel een seriemoordenaar. Slachtoffer #7: een vetplantje van "
     "Hortulus. Ik gaf 'm te veel liefde (water) 💀", tags=[B, "joke"])
case("nl", pub("blog", "korteverhalen.nl"), "Hoofdstuk 3 staat online: de oude tuinman verstopt de brief onder de "
     "olijfboom in de kas. (Het decor is losjes geïnspireerd op de grote kas van Hortulus in Baarn.)",
     tags=[B, "fiction"])
case("nl", H_CARE, "⚠️ Let op: er gaan nepmails rond 'namens Hortulus' die vragen om €4,95 over te maken op "
     "<<BAD_IBAN_NL:grp>>. Wij vragen je nooit om zo te betalen!", tags=[B, "bad-iban"])
case("en", pub("x", "@cadeaukaartje"), "Can you use a Hortulus gift card online? The back says <<BAD_CARD:visa_sp>> "
     "but I can't find a field for it anywhere in the webshop", tags=[B, "bad-card"])
case("nl", pub("facebook", "theo.v.leeuwen"), "Mijn klantnummer bij Hortulus is <<NOT_BSN9>>, kan ik daarmee ook mijn "
     "Groenpas koppelen?", tags=[B, "not-bsn"], kind="comment")
case("en", pub("x", "@potgrondpeter"), "Anyone still have this potting soil in stock? EAN <<EAN13>>, Hortulus Baarn "
     "ran out", tags=[B, "ean"])
case("en", pub("instagram", "@bloemenbeau"), "Tracking for my Hortulus order says 'delivered before 6pm', code "
     "3SHTUL<<DIGITS:9>>. So excited 🌸", tags=[B, "tracking"])
case("nl", NH, "10 jaar bij Hortulus vandaag! Dank aan alle collega's voor het vertrouwen en de gezelligheid 🎉",
     tags=[B, "employee-plain"])
case("nl", MV, "Zaterdag bbq-workshop in Amersfoort met onze eigen grillmaster, nog 4 plekjes! Aanmelden via "
     "hortulus.nl/workshops 🔥", tags=[B, "employee-plain"])
case("nl", KD, "Tip van de inkoper: hortensia's nu al snoeien? Nee! Wacht tot maart 🌸 #tuintip", tags=[B, "employee-plain"], when="2026-11-02T12:31:40+01:00")
case("nl", H_LI, "We zoeken tuinspecialisten voor onze vestigingen in Utrecht en Gelderland 🌿 Mail je cv naar "
     "werkenbij@hortulus.nl", tags=[B, "own-contact"])
case("nl", pub("x", "@katertje_mo"), "Mijn kat boycot al 3 dagen haar mand omdat ik 'm heb verplaatst 😹 gekocht bij "
     "Hortulus trouwens, dikke aanrader", tags=[B, "boycott-other-sense"])
case("nl", pub("x", "@natuurbrand_alert"), "Code oranje voor natuurbrandgevaar: laat die vuurkorf en bbq vandaag staan "
     "mensen 🔥🚫 ook al heb je net een nieuwe bij Hortulus gekocht 😉", tags=[B, "brand-other-sense"], when="2026-07-19T08:05:12Z")
case("en", RT, "Tip for anyone integrating Mollie: keep the key in env vars, e.g. MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxx, and never commit your .env 🙏", tags=[B, "placeholder-secret"])
case("en", BO, "The AWS docs use AKIAIOSFODNN7EXAMPLE as the sample access key id, and yes, I have seen that exact "
     "string in a production config review. Don't be that team.", tags=[B, "placeholder-secret"])
case("en", JK, "fix for the duplicate receipts is in commit <<HEX:40>>, reviews welcome 🙏", tags=[B, "git-sha"])
case("nl", pub("x", "@vergeetachtige_v"), "Hoe reset ik het wachtwoord van mijn Groenpas-account? Kan de knop nergens "
     "vinden 🙈", tags=[B, "password-word"])
case("en", pub("forum", "VijverVincent"), "My pond liner has a leak 😩 does Hortulus sell repair kits or do I need a "
     "specialist pond shop?", tags=[B, "leak-other-sense"])
case("en", pub("x", "@warmeavonden"), "Tuinwereld is recalling its patio heater over a fire risk. Glad I bought mine "
     "at Hortulus.", tags=[B, "other-company"])
case("nl", DJ, "Vragen over je bezorging? Niet mij DM'en haha, bel gewoon 033-7604400, die collega's helpen je echt "
     "sneller 😄", tags=[B, "own-contact"])
case("nl", H_FB, "En de winnaar van de Lommerd Loungeset is... @tuinliefde_ingrid! 🎉 We sturen je een DM.",
     tags=[B, "giveaway"])
case("en", pub("x", "@happygreenhouse"), "No complaints whatsoever, Hortulus delivered our greenhouse on time and the "
     "guys even helped level the base 👏", tags=[B, "negated-complaint"])
case("nl", H_TT, "POV: je komt voor 1 plantje en gaat naar huis met 14 😅🌿 #hortulus #plantentok", tags=[B, "corporate"])
case("nl", pub("x", "@vraagjevanvera"), "Heb jullie gemaild op klantenservice@hortulus.nl, hoe lang duurt een antwoord "
     "meestal?", kind="reply", tags=[B, "own-contact"])
case("nl", pub("x", "@olijfolga"), "Hortulus Utrecht even gebeld (030-6991200), ze hebben nog olijfbomen 🫒 "
     "ik ga vanmiddag", tags=[B, "own-contact"])
case("nl", H_NL, "Met je Groenpas nu €100 korting op de Maaimeester 800 🤖🌱 Alleen in september.", tags=[B, "discount-amount"], when="2026-09-04T10:00:00+02:00")
case("nl", pub("x", "@betaald_bram"), "Betaald op NL66RABO0312445567 voor mijn afhaalbestelling, zie het al staan 👍",
     tags=[B, "own-contact"])
case("en", pub("youtube", "@gardeningwithgwen"), "Hortulus sponsored this video but honestly the Vonkel Vierbrander "
     "is just a great grill, no complaints after a full summer", kind="comment", tags=[B, "negated-complaint"])
case("nl", pub("x", "@stekjesstan"), "Gisteren de nieuwe kas in Baarn bekeken, die glazen tuinkas is glashelder maar "
     "€1599 is me te gek. Toch maar een foliekas", tags=[B, "price-talk"])
case("nl", pub("bluesky", "groentjegroen.bsky.social"), "Mijn moestuinproject voor dit jaar: tomaten, bonen en een "
     "paar stekjes van de buren. Potgrond van Hortulus, de rest zelf gekweekt 🌱", tags=[B, "codename-word"])
case("nl", pub("x", "@Hortulus_Helpt"), "@vraagjevanvera Hoi Vera! Gemiddeld binnen 24 uur, in het weekend kan het "
     "iets langer duren 🌼", kind="reply", tags=[B, "handle-case"])
case("nl", pub("twitter", "@oude_twitteraar"), "Hortulus heeft weer die mooie kerstbomen van de Veluwe staan, elk jaar "
     "een feestje 🎄", tags=[B, "praise"], when="2026-12-05T11:17:00+01:00")

# a few positives from handles in other casing (role still from the profile)
case("nl", pub("x", "@Mirjam_Hortulus"), "Nieuwe kassa-omgeving draait op intranet.hortulus.local/kassa-v2, "
     "vestigingsmanagers kunnen daar morgen inloggen", [CONF])
case("nl", pub("facebook", "hortulustuincentra"), "Beste Ingrid, uw nieuwe Groenpas wordt opgestuurd naar "
     "Lindenlaan 9, 3951 Maarn. Uw geboortedatum (03-11-1958) hebben we ook aangepast 👍", [PII], kind="comment")


# =========================================================================== build

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


def offset_2026(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(5, 355)
    mins = r.randint(6 * 60 + 30, 23 * 60 + 50)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=mins,
                                                                           seconds=r.randint(0, 59))
    off = offset_2026(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["thenetherlands", "tuinieren", "Netherlands", "BBQ"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-groenforum-{n}", f"https://groenforum.example/topic/{n}"
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
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/verhaal/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"other-{n}", None


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 11)
    order = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and bool(kinds & VALID_IDS)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "hortulus"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def self_check(rows, profile):
    errs = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        if p["id"] in ids:
            errs.append("dup id " + p["id"])
        ids.add(p["id"])
        for k, raw, shown in r["used"]:
            if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not iban_ok(raw):
                errs.append("bad valid iban")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errs.append("bad iban passes")
            if k == "CARD" and not luhn_ok(raw):
                errs.append("card fails luhn")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append("bad card passes")
            if k == "BSN" and not bsn_ok(raw):
                errs.append("bsn fails")
            if k in ("NOT_BSN9", "DIGITS") and bsn_ok(raw):
                errs.append("not-bsn passes")
            if k == "EAN13" and (not ean13_ok(raw) or luhn_ok(raw)):
                errs.append("ean")
            if k == "GHP":
                body, chk = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != chk:
                    errs.append("ghp crc")
        if not e["categories"] and e["severity"] != "none":
            errs.append("benign with severity")
        if len(p["text"].encode()) > 65536:
            errs.append("too long")
        if not iban_ok(OWN_IBAN) or OWN_IBAN not in profile["public_identifiers"]["ibans"]:
            errs.append("own iban")
    # embargo sanity: every post naming a product-embargo term must be labelled by its time
    until = dt.datetime.fromisoformat(profile["embargo"][1]["until"].replace("Z", "+00:00"))
    terms = [t.casefold() for t in profile["embargo"][1]["terms"]]
    for r in rows:
        t = r["post"]["text"].casefold()
        if any(x in t for x in terms):
            when = dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
            before = when < until
            if before != (CONF in r["expect"]["categories"]):
                errs.append("embargo label mismatch: " + r["post"]["id"])
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for k, raw, _ in r["used"]:
                if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not s_iban.is_valid(raw):
                    errs.append("stdnum iban")
                if k == "CARD" and not s_luhn.is_valid(raw):
                    errs.append("stdnum luhn")
                if k == "BSN" and not s_bsn.is_valid(raw):
                    errs.append("stdnum bsn")
                if k == "BAD_IBAN_NL" and s_iban.is_valid(raw):
                    errs.append("stdnum bad iban valid")
    except ImportError:
        pass
    return errs


def report(rows):
    n = len(rows)
    cat = Counter()
    benign = multi = 0
    lang, role, sev, plat = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        cs = r["expect"]["categories"]
        if not cs:
            benign += 1
        if len(cs) > 1:
            multi += 1
        for c in cs:
            cat[c] += 1
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {n}  benign {benign}  positive {n - benign}  multi {multi}")
    for c in ALL_CATS:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("evasion positives", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        print("\n".join(errs))
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
