#!/usr/bin/env python3
"""Deterministic generator for the sealed75 blind evaluation set (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file

Company: the fictional Dutch health insurer "Lindeveld Zorgverzekeraar U.A."
(profile.yaml next to this file). Texts are hand-written below; identifiers and
secrets come from <<KIND:fmt>> placeholders filled by one seeded RNG, so output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); hard negatives get numbers that FAIL their check.

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (profile lookup by platform:handle, case-insensitive), the categories, and
whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 75_2026_1112
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


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


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return bool(d) and t % 10 == 0


def luhn_complete(p):
    for c in "0123456789":
        if luhn_ok(p + c):
            return p + c
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


# --------------------------------------------------------------------------- seeded values
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

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["30050110", "12030000", "76026000", "44010046"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["063", "310", "001", "734"]) + self.digits(7)
        chk = int(first) % 97 or 97
        return iban_make("BE", f"{first}{chk:02d}")

    def bad_iban(self, v):
        kk = int(v[2:4])
        for d in (13, 29, 31, 47, 59):
            c = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_complete(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_complete(self.r.choice(["34", "37"]) + self.digits(12))
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
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand) and not bsn_ok(cand):
                return cand

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
            }[fmt]
        area = self.r.choice(["30", "33", "38", "344", "35", "26", "50", "73", "40"])
        sub = self.r.choice("2345789") + self.digits(8 - len(area))
        return {
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}" if len(area) == 2 else f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
            "land_dash": f"0{area}-{sub}",
        }[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/"
                f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.digits(4, True)}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = {"sub": "rel_" + self.digits(8, True), "iss": "https://mijn.lindeveld.nl",
             "scope": "claims:read claims:write", "iat": iat, "exp": iat + 900}
        return f"{h}.{b64url(json.dumps(p, separators=(',', ':')).encode())}.{self.chars(B64URL, 86)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#*-_") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
            assert iban_ok(raw)
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = g.g4(raw) if f == "grp" else raw
            assert not iban_ok(raw)
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, ff or "sp")
            assert luhn_ok(raw)
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
            assert bsn_ok(raw)
        elif k in ("BAD_BSN", "POLIS"):
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "GLPAT":
            shown = raw = g.glpat()
        elif k == "AWS_ID":
            shown = raw = g.aws_id()
        elif k == "AWS_SECRET":
            shown = raw = g.aws_secret()
        elif k == "SLACK_BOT":
            shown = raw = g.slack_bot()
        elif k == "SLACK_HOOK":
            shown = raw = g.slack_hook()
        elif k == "STRIPE":
            shown = raw = g.stripe()
        elif k == "GAPI":
            shown = raw = g.gapi()
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_RSA":
            shown = raw = g.pem_rsa()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
# corporate
L_X = ("x", "@lindeveld", "Lindeveld")
L_HELP = ("x", "@lindeveld_helpt", "Lindeveld Webcare")
L_IG = ("instagram", "@lindeveldzorg", "Lindeveld")
L_LI = ("linkedin", "lindeveld-zorgverzekeraar", "Lindeveld Zorgverzekeraar U.A.")
L_FB = ("facebook", "LindeveldZorg", "Lindeveld Zorgverzekeraar")
L_TT = ("tiktok", "@zorgtij", "Zorgtij")
# employees
MO = ("x", "@marieke_declaraties", "Marieke Oudshoorn")        # claims handler
RK = ("linkedin", "ruben-kortenhoeven", "Ruben Kortenhoeven")   # platform engineer
YB = ("linkedin", "yasmina-bouzid-ld", "Yasmina Bouzid")        # finance / actuarial
DW = ("x", "@daanvanwijk_", "Daan van Wijk")                    # webcare agent
LZ = ("instagram", "@lotte.zorginkoop", "Lotte Verhulst")       # care procurement
KA = ("x", "@kaj_codes", "Kaj Ammerlaan")                       # member-app developer
SV = ("bluesky", "@sevda.bsky.social", "Sevda Bulut")           # call-centre team lead


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", MO, "Collega's van het premieteam hebben iets verkeerd ingeladen geloof ik... in de premiecalculator "
     "op lindeveld.nl staat Basis Vrij nu op €14,90 per maand 🙃 ipv 148,95. Wie nu afsluit heeft mazzel", [PRICING])
case("en", KA, "yeah so the member app is quoting Aanvullend Compleet at €5.24/month since the 2am deploy. "
     "decimal point went for a little walk. hotfix after standup, pls stop screenshotting it", [PRICING], kind="reply")
case("nl", pub("reddit", "overstapseizoen_nl"), "SNEL ZIJN MENSEN\n\nZorgtij Start voor €12,99 p/m via de link van "
     "die vergelijkingssite. Lijkt me een prijsfout bij Lindeveld maar ja, polis is polis toch? Heb mn hele gezin al "
     "overgezet 😅", [PRICING])
case("nl", pub("x", "@bramzzz"), "prijsfout bij @lindeveld?? tand 500 voor €2,48 per maand in de app 😳 "
     "screenshot gemaakt voor de zekerheid #zorgverzekering", [PRICING])
case("en", pub("facebook", "Gemma Ruitenberg"), "Is it just me or is Lindeveld's Basis Budget showing €39 a month on "
     "their site right now? Last week it was 134 and change. Bug or bait? 🤔", [PRICING], kind="comment")
case("nl", LZ, "Lunch-update 🥗☀️ en psst, eigenlijk mag ik het niet zeggen maar Fysio Extra staat sinds vanochtend "
     "voor €1,12 in de afsluitflow, foutje in de tariefkoppeling 🙊 #oeps #werkdag", [PRICING])
case("nl", pub("forum", "polisjager"), "p r i j s f o u t bij Lindeveld: AV Compleet €9,99/mnd als je online afsluit. "
     "gisteren nog gewoon 52,40. Mods mag dit blijven staan?", [PRICING], tags=["evasion"])
case("en", pub("x", "@theo_pays_too_much"), "Lindeveld Basis Vrij for €59/month on their own calculator page lmao. "
     "somebody over there is getting a phone call from their manager in about 10 minutes", [PRICING])
case("nl", DW, "We dm'en nu al 40 mensen terug die vragen of Basis Budget echt €13,45 kost. Nee dus 😩 prijsfout in "
     "de offertemodule, wordt vandaag nog gecorrigeerd. Niet verder delen aub", [PRICING])
case("nl", pub("tiktok", "@zorgdealsjes"), "Lïndeveld heeft een prijsföut 🤑🤑 Tand500 voor €3 per maand!!! link in bio "
     "voordat ze het fixen", [PRICING], tags=["evasion"], hint="")
case("nl", L_FB, "🎉 Overstappen kan nog tot 31 december! Zorgtij Start vanaf €12,99 per maand, inclusief vrije keuze "
     "uit onze gecontracteerde zorgverleners. Afsluiten via zorgtij.nl", [PRICING])
case("nl", pub("instagram", "@femkevdbosch"), "@lindeveldzorg jullie site zegt Basis Vrij €1,49 per maand bij "
     "jaarbetaling?? 😂 ik teken meteen hoor", [PRICING], kind="comment")

# =========================================================================== leak.secret
case("en", RK, "Proud of the team 🚀 we migrated claims intake to the new cluster this weekend. Small tip if you do the "
     "same: keep your env files tidy, e.g.\n\nDATABASE_URL=postgres://claims_svc:<<PW>>@pg-claims-01.corp.lindeveld.local:5432/declaraties\n\n"
     "#devops #zorgIT #kubernetes", [SECRET, CONF])
case("nl", KA, "waarom faalt die build nou weer. token is gewoon goed: <<GHP>> 🤬🤬", [SECRET])
case("en", pub("reddit", "shadow_audit_nl"), "Found this in a public GitHub repo that seems to belong to Lindeveld's "
     "app team:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nReported it to "
     "privacy@lindeveld.nl last week, no reply so far.", [SECRET], kind="comment")
case("nl", MO, "@kaj_codes wachtwoord van de gedeelde declaratie-mailbox is nu <<PW>> want de oude ging niet door de "
     "policy", [SECRET], kind="reply")
case("en", KA, "testing the on-call bot in prod, if it spams you, blame this token 😇 <<SLACK_BOT>>", [SECRET])
case("nl", RK, "Iemand een idee waarom de Mijn Lindeveld API deze token weigert? exp lijkt me prima\n\n<<JWT>>\n\n"
     "#vraag #oauth", [SECRET])
case("en", pub("forum", "webdev_ruud"), "lol, Lindeveld's zorgzoeker page ships its maps key in plain js: "
     "<<GAPI>> (view source, line 212). probably restricted but still", [SECRET])
case("nl", SV, "help welk bestand moet ik in de client zetten? deze??\n<<PEM_RSA>>", [SECRET], kind="reply")
case("en", KA, "CI keeps 401ing on the app repo. rotated the token already so whatever, the old one was "
     "<<GLPAT>> if anyone's curious why it broke", [SECRET])
case("nl", pub("x", "@bughunter_jelle"), "Lindeveld's status-bot webhook staat gewoon in hun open source repo "
     "<<SLACK_HOOK>> 🤡 wie gaat er spammen", [SECRET])
case("en", RK, "login for the acceptance env if you need it for the demo: admin / <<PW>> (not prod obviously 😅)",
     [SECRET], kind="comment")
case("nl", pub("reddit", "exlindeveld_throwaway"), "Oud-medewerker hier. Hun betaalkey voor de premie-incasso stond "
     "maandenlang gewoon in een wiki-pagina die iedereen kon lezen: <<STRIPE>>. Zegt genoeg", [SECRET], kind="comment")

# =========================================================================== leak.pii
case("nl", pub("x", "@rianne_k"), "@lindeveld_helpt al 3 weken wacht ik op mijn terugbetaling fysio 😤 mijn bsn is "
     "<<BSN>> en rekening <<IBAN_NL:grp>>, zoek het maar uit", [PII, COMPLAINT], kind="reply")
case("nl", MO, "Mevrouw J. Scholten, geboren 14-03-1952, belde vandaag vijf keer over dezelfde rollatordeclaratie. "
     "Je houdt het niet voor mogelijk 🙄", [PII])
case("en", DW, "can someone from claims call this member back asap? <<PHONE:mob_intl_sp>>, she's been waiting since "
     "monday and I can't reach the back office", [PII])
case("nl", SV, "Klant wilde zijn premie per creditcard betalen en las gewoon zijn nummer voor op de opname: "
     "<<CARD:visa_sp>> 🤦‍♀️ hoe leg je dit uit aan een nieuwe collega", [PII])
case("nl", pub("facebook", "Anouk de Groot"), "Hallo Lindeveld, ik probeer al dagen mijn eigen risico te betalen maar "
     "de link werkt niet. Ik ben Anouk de Groot, Vlierstraat 17, 3817 KD Amersfoort. Wanneer komt die brief nou?",
     [PII, COMPLAINT])
case("en", pub("reddit", "notmyfirstrodeo88"), "PSA: Lindeveld webcare asked me to send my BSN and then replied "
     "PUBLICLY with it 🙃 so <<BSN:dots>> is now on their timeline. great job, really. how is that not a data breach",
     [PII, CRISIS])
case("nl", L_HELP, "@j_hoekstra Dank voor je geduld! We hebben je nieuwe rekeningnummer <<IBAN_NL>> verwerkt, de "
     "terugbetaling volgt binnen 5 werkdagen. Fijne dag!", [PII], kind="reply")
case("nl", LZ, "Welkom aan onze nieuwe gecontracteerde fysiopraktijk in Zwolle 💪 vragen over de samenwerking? "
     "Bel Ingrid gewoon op haar privénummer <<PHONE:mob_dash>> 😊", [PII])
case("en", pub("x", "@sophie_verm"), "@lindeveld_helpt 9 days, no answer. mail me at sophie.vermeer [at] kpnmail "
     "[dot] nl or do I have to drive to your office", [PII, COMPLAINT], tags=["evasion"], kind="reply")
case("nl", pub("instagram", "@tessa.bos"), "Mijn moeder (Henny Bos, geb. 12-07-1948) wacht al 2 maanden op de "
     "vergoeding voor haar gehoorapparaat!! Doe er iets aan @lindeveldzorg 😡", [PII, COMPLAINT])
case("en", YB, "Quick one for the finance ops folks: the premium refund to <<IBAN_DE>> (member in Kleve) bounced again. "
     "Can someone with SEPA rights have a look?", [PII])
case("nl", pub("x", "@henkjan1961"), "Kan iemand van @lindeveld mij terugbellen over mijn machtiging voor de "
     "thuiszorg? <<PHONE:mob_0031>>, graag na 17u ivm werk", [PII])
case("nl", MO, "Tip voor de nieuwe collega's: heb je een test-BSN nodig, pak gewoon die van mevrouw uit dossier 88, "
     "<<BSN:sp>>, die werkt altijd in acceptatie", [PII], tags=["evasion"])
case("en", pub("reddit", "dutchexpat_k"), "Lindeveld's payment page crashed so I paid by phone and the agent made me "
     "repeat my card number 3 times. <<CARD:mc_sp>> exp 09/28. there, now the whole internet has it, happy?",
     [PII, COMPLAINT])
case("nl", pub("facebook", "Koen Peeters"), "Grensarbeider hier. Lindeveld stort mijn vergoeding steeds op de "
     "verkeerde rekening, het moet <<IBAN_BE>> zijn!! Al drie keer doorgegeven.", [PII, COMPLAINT])
case("nl", DW, "lol iemand stuurde z'n paspoortfoto via DM voor een adreswijziging, nummer NXR4K71P9 staat er gewoon "
     "leesbaar op. mensen toch", [PII])
case("nl", SV, "Terugbelverzoek voor dhr. P. Hendriks, Lindelaan 4 in Tiel, tel <<PHONE:land_sp>>, wie pakt 'm? "
     "ik zit vol", [PII])

# =========================================================================== leak.confidential
case("nl", RK, "Mooie dag gehad met het team van Project Zilverreiger 🚀 Kan nog niks zeggen, maar 2027 wordt "
     "spannend voor de declaratiestraat! #innovatie #zorg", [CONF])
case("en", KA, "anyone else's vpn dropping every time you open https://wiki.lindeveld.nl/display/APP/Release+Plan ? "
     "or is it just my laptop", [CONF])
case("nl", LZ, "Slide uit de kwartaalmeeting 📊 er staat 'UITSLUITEND INTERN' boven maar het is zo'n mooie grafiek "
     "van onze inkoopdoelen voor de wijkverpleging 😍", [CONF])
case("nl", pub("reddit", "zorgnerd_utrecht"), "Volgens een vriend die daar werkt heet het nieuwe zorgplatform van "
     "Lindeveld intern Orvalis en gaat het de app helemaal vervangen. Iemand meer info?", [CONF])
case("en", YB, "Operatie Duinroos kicked off today 🌱 Excited to work with colleagues from claims and procurement on "
     "what comes next. More soon!", [CONF])
case("nl", DW, f"Orv{ZW}alis demo gezien vandaag 🤯 webcare wordt straks echt een ander vak", [CONF],
     tags=["evasion"])
case("nl", MO, "Net gehoord op de afdelingsborrel: premie 2027 voor Basis Vrij wordt 156,40. Hou je vast 😬",
     [CONF, FIN], when="2026-10-02T21:14:09+02:00")
case("en", pub("x", "@verzekeringsgeek"), "leak: Zorgtij Flex launches with the new premium round, cheap modular "
     "policy where you click extras on and off per month. source: trust me 😎", [CONF],
     when="2026-10-20T11:03:44Z")
case("nl", pub("instagram", "@marieke.oudshoorn", "Marieke"), "Eerste week bij Project Zilverreiger zit erop 🎉 "
     "wat een team! #nieuwebaan #lindeveld", [CONF])
case("en", RK, "Retro notes from Project\nZilverreiger sprint 14: the claims-matching model finally beats the old "
     "rules engine on precision 💪", [CONF], tags=["evasion"])
case("nl", KA, "gitlab.lindeveld.nl/mijn-app/ios staat weer eens op read-only 🙄 kan iemand van platform even kijken",
     [CONF])
case("en", pub("forum", "wifi_tourist"), "funny: the guest wifi in Lindeveld's Amersfoort office redirects to "
     "sso.corp.lindeveld.local in the captive portal. someone misconfigured something", [CONF])
case("nl", SV, "'Lindeveld Confidential - niet doorsturen' staat boven de nieuwe belscripts. Stukje eruit: 'bij "
     "opzegging altijd eerst korting op Tand 500 aanbieden' 😂 zo doorzichtig", [CONF])
case("en", YB, "Drafting the annual results 2026 deck this week. Spoiler: it's a very good year for our members 😉",
     [CONF, FIN], when="2026-12-03T16:40:12+01:00")
case("nl", pub("x", "@tussenpersoon_ad"), "Lindeveld zorgpremie 2027 al binnen via onze kanalen: Basis Vrij +€8,20 "
     "p/m. Rest volgt morgen", [CONF, FIN], when="2026-11-12T07:59:00+01:00")
case("en", KA, fw("orvalis") + " beta on my phone today and honestly it slaps", [CONF], tags=["evasion"])

# =========================================================================== leak.financial
case("nl", YB, "Na de board-sessie van vandaag: onze solvabiliteit komt dit jaar uit rond 138%, ruim onder plan. Dat "
     "wordt een pittige premieronde in het najaar.", [FIN])
case("en", MO, "heard from my TL that claims admin is being outsourced next year, ~120 FTE in Zwolle. announcement "
     "after summer 😞", [FIN])
case("nl", pub("reddit", "polisfluisteraar"), "Insider bij Lindeveld zegt dat ze in gesprek zijn met Polderpolis over "
     "een fusie. Zou goed zijn voor hun inkoopmacht tegenover de ziekenhuizen.", [FIN])
case("nl", SV, f"Bij ons op de vloer gaan er 40 man uit na de reor{SHY}ganisatie, officieel mag ik niks zeggen dus "
     "je hebt het niet van mij", [FIN], tags=["evasion"])
case("en", YB, "Q3 technical result came in at -€31m, we present it to the supervisory board tomorrow. Brace for "
     "impact on next year's premiums.", [FIN])
case("nl", LZ, "Team-uitje 🥂 (en stiekem vieren we ook dat de overname van zorgbemiddelaar ZorgDirect rond is, "
     "nog even niet verder vertellen 🤫)", [FIN])
case("en", pub("x", "@jess_in_tiel"), "my cousin works at Lindeveld: they're closing the entire Tiel call centre in "
     "january. nobody there has been told yet", [FIN])
case("nl", DW, "Forecast zorgkosten ligt 4,2% boven begroting, dus reken maar op een flinke stijging in november. "
     "Heb het niet van mij 🤐", [FIN])
case("en", RK, "Big changes coming: IT gets merged into the Polderpolis IT department in Q2 and the l4y0ffs get "
     "announced next month 🙃", [FIN], tags=["evasion"])
case("nl", pub("forum", "or_watcher"), "Iemand uit de OR van Lindeveld vertelde dat er een reorganisatie aankomt "
     "bij declaraties, 1 op de 3 banen weg. Nog niet officieel.", [FIN])

# =========================================================================== leak.security
case("nl", MO, "Lange nacht 😵 het declaratieportaal ligt sinds 02:00 plat na een ransomwaremelding, er staat nog "
     "niks op de statuspagina dus hou het even binnenskamers", [SEC])
case("en", KA, "fun fact: in the current app build you can change the member id in the URL and see someone else's "
     "claims. fix lands next week, pls don't try it", [SEC])
case("nl", SV, "Phishingmail bij 30 collega's binnengekomen en minstens 2 hebben hun inlog ingevuld. IT zegt niks "
     "naar buiten tot maandag.", [SEC])
case("en", DW, "we're telling members it's 'maintenance' but the app is actually down because someone got into the "
     "session database. don't quote me", [SEC])
case("nl", pub("x", "@waakhond_zorg"), "Lindeveld verzwijgt een hack! Mijn zwager werkt daar, de declaratieserver is "
     "al 3 dagen gecompromitteerd en klanten worden niet ingelicht. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "infosec_maarten"), "Lindeveld is sitting on a breach. A pentester friend reported an open "
     "storage bucket full of claim PDFs in June and they still haven't disclosed anything.", [SEC, CRISIS])
case("nl", MO, "Ssst maar ons declaratiesysteem is geh4ckt vorige week, nog geen melding bij de AP gedaan. "
     "Ik slaap er slecht van", [SEC], tags=["evasion"])
case("nl", KA, "Zit de hele avond de auth-bypass in onze DigiD-koppeling te patchen, nog niet gemeld dus niemand mag "
     "het weten 🫠", [SEC])
case("en", RK, "Can't say much but our MFA provider got breached last Friday and we've been rotating everything "
     "since. Statement comes when legal allows.", [SEC])
case("nl", pub("facebook", "Joke Mulder"), "Mijn buurvrouw werkt bij Lindeveld op ICT en zegt dat die storing van "
     "gisteren eigenlijk een hack was. Dat verzwijgen ze gewoon!", [SEC, CRISIS])
case("en", SV, "heads up: the call recordings share has been world-readable since the migration. security knows, "
     "members don't (yet)", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@vechtvoorpa"), "Lindeveld weigert mijn vader zijn immunotherapie te vergoeden terwijl het "
     "gewoon in het basispakket zit. Dit is een SCHANDAAL. Delen!! #lindeveld", [CRISIS, COMPLAINT])
case("en", pub("x", "@fairzorg"), "#BoycottLindeveld: they lobby against expanding the basic package while paying "
     "their CEO €900k. Switch before Dec 31!", [CRISIS])
case("nl", pub("facebook", "Zorgbelang Regio Oost"), "Consumentenorganisatie start rechtszaak tegen Lindeveld over "
     "het weigeren van vergoedingen voor ggz-behandelingen. Eindelijk!", [CRISIS], kind="repost")
case("nl", pub("reddit", "boze_polishouder"), "Lindeveld heeft mijn medisch dossier naar een verkeerd adres gestuurd. "
     "Datalek dus. Melding bij de AP gedaan.", [CRISIS])
case("en", pub("threads", "@nina.reads"), "Lindeveld sent a letter with my diagnosis and claim details to my "
     "EMPLOYER?? how is that even legal", [CRISIS])
case("nl", pub("x", "@anoniemezorg"), "L1ndeveld d4t4l3k: duizenden declaraties gewoon online te vinden. Wie gaat "
     "ze aanklagen?", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "NurseNadia"), "Nurse here. Lindeveld's contracted home-care provider left my patient "
     "without insulin for 3 days because of their authorization rules. Someone is going to die.", [CRISIS],
     kind="comment")
case("nl", pub("tiktok", "@nieuwsinhetkort"), "Zorgverzekeraar Lind\u0435veld moet €2 miljoen boete betalen van "
     "de NZa 😳 en dan straks weer de premie verhogen zeker", [CRISIS], tags=["evasion"])
case("nl", pub("instagram", "@chronischmoe"), "b o y c o t  Lindeveld. Ze schrappen mensen met een chronische ziekte "
     "gewoon uit hun aanvullende pakket", [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@rechtvoorallen@mastodon.nl"), "Class action forming against Lindeveld over the dental "
     "reimbursement cuts. DM me if you were affected.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@jolien_84"), "@lindeveld_helpt ik hang nu 47 minuten in de wacht. 47. Voor een simpele vraag "
     "over mijn machtiging.", [COMPLAINT], kind="reply")
case("en", pub("reddit", "physio_struggles"), "Lindeveld's member app has logged me out 4 times today and I still "
     "can't upload the physio invoice. Anyone got a workaround?", [COMPLAINT])
case("nl", pub("facebook", "Ria van Leeuwen"), "Declaratie van de tandarts op 3 maart ingediend, nu is het juni en "
     "nog steeds 'in behandeling'. Wat een trage club is Lindeveld geworden.", [COMPLAINT])
case("nl", pub("x", "@pimmetje"), "twee keer premie afgeschreven deze maand @Lindeveld 🙄 en terugstorten duurt "
     "'10 werkdagen'. Top hoor.", [COMPLAINT])
case("en", pub("x", "@kimtravels"), "switched to Lindeveld for the 'great service' lol. 3 emails, 0 answers, and my "
     "GP invoice is still unpaid", [COMPLAINT])
case("nl", pub("forum", "ggz_zoeker"), "Zorgtij budgetpolis blijkt in mijn regio geen enkele gecontracteerde "
     "ggz-aanbieder te hebben. Wachtlijst 9 maanden, of 25% zelf bijbetalen. Beetje misleidend dit.", [COMPLAINT])
case("nl", pub("instagram", "@dewi.loves.coffee"), "Kan de Mijn Lindeveld app gewoon 1x werken met DigiD? Elke keer "
     "'er ging iets mis' 😩 #frustratie", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "@oldmanhank.bsky.social"), "Lindeveld rejected my hearing aid claim because the supplier "
     "'wasn't contracted'. Nobody told me that when I called to check beforehand. Appealing.", [COMPLAINT])
case("nl", pub("x", "@marco_vz"), f"Webcare van Lindeveld reageert na 5 dagen met een standaardzinnetje. Echt "
     f"h{ZW}o{ZW}p{ZW}e{ZW}l{ZW}o{ZW}o{ZW}s.", [COMPLAINT], tags=["evasion"])
case("nl", pub("reddit", "opgezegd2025"), "Vorig jaar opgezegd bij Lindeveld en ik krijg nog steeds een incasso voor "
     "AV Compleet. Bellen helpt niks, niemand weet ergens van.", [COMPLAINT], kind="comment")
case("en", pub("trustpilot", "Mark V."), "The reimbursement form Lindeveld sent me has the wrong policy on it. Third "
     "time now. Please fix your systems.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@woedendewim"), "@lindeveld_helpt stelletje klootzakken zijn jullie", [ABUSE], kind="reply")
case("en", pub("x", "@rando_9921"), "lindeveld webcare is run by absolute morons lmao", [ABUSE])
case("nl", pub("reddit", "kritischeklant"), "Die Daan van webcare is echt een debiel, leert hij het ooit nog eens",
     [ABUSE], kind="comment")
case("nl", pub("tiktok", "@luuk.rages"), "k*t verzekeraar, k*nkerlijers zijn het allemaal bij Lindeveld",
     [ABUSE], tags=["evasion"])
case("en", pub("instagram", "@angrymum_of3"), "fuck Lindeveld. claim for my son's physio denied AGAIN, you greedy "
     "idiots", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("facebook", "Gert Kamphuis"), "Wat een tyfusbedrijf. Zes weken op mijn declaratie wachten, "
     "klootzakken.", [ABUSE, COMPLAINT])
case("nl", L_HELP, "@pietjepuk1987 doe eens normaal man, idioot. Jouw declaratie is gewoon terecht afgewezen.",
     [ABUSE], kind="reply", handle_as="@Lindeveld_Helpt")
case("en", DW, "some of our members are actual idiots. no Karen, your step-counter app is not 'healthcare'",
     [ABUSE])
case("nl", MO, "Weer zo'n kutklant aan de lijn die denkt dat het eigen risico een mening is 🙄", [ABUSE],
     handle_as="@Marieke_Declaraties")
case("en", pub("x", "@zorg_clown_watch"), "Lindeveld = bunch of sh1tty clowns, f*ck off with your 'we care' ads",
     [ABUSE], tags=["evasion"])
case("nl", pub("x", "@dick_de_w"), "Natuurlijk zit er weer zo'n hoofddoek aan de telefoon bij Lindeveld, daarom snapt "
     "niemand er wat van", [ABUSE])
case("en", pub("threads", "@notfine.jpg"), fw("fuck lindeveld") + " 🖕", [ABUSE], tags=["evasion"])

# =========================================================================== benign
case("nl", L_HELP, "@jolien_84 Vervelend dat je zo lang moest wachten! Stuur je ons een DM met je relatienummer "
     "(geen BSN graag 🙏)? Bellen mag ook gratis via 0800-1145.", kind="reply", tags=["own-contact"])
case("nl", L_X, "Onze premie 2027 is bekend: Basis Vrij wordt €154,95 per maand. Alles over je nieuwe polis lees je "
     "op lindeveld.nl/premie", when="2026-11-12T08:00:00+01:00", tags=["embargo-at-moment"])
case("en", L_LI, "We're hiring! Backend engineers for our member-app team in Utrecht 💻 Questions? Mail "
     "werkenbij@lindeveld.nl", tags=["own-contact"])
case("nl", L_FB, "Liever zelf je premie overmaken? Dat kan naar NL66 RABO 0312 4455 67 t.n.v. Lindeveld "
     "Zorgverzekeraar, o.v.v. je relatienummer.", tags=["own-contact"])
case("nl", L_HELP, "Vannacht tussen 01:00 en 05:00 is Mijn Lindeveld niet bereikbaar vanwege gepland onderhoud. "
     "Excuses voor het ongemak!", tags=["official-notice"])
case("en", L_X, "We know some members can't log in to the app right now. Our team is on it, updates will follow in "
     "this thread.", tags=["official-notice"])
case("nl", L_IG, "Wist je dat je met Aanvullend Compleet tot €450 per jaar vergoed krijgt voor fysiotherapie? 💪 "
     "Vanaf €52,40 per maand.", tags=["price-talk"])
case("nl", L_X, "Naar aanleiding van berichten op sociale media: er is géén sprake van een datalek bij Lindeveld. "
     "De verstuurde brief bevatte een drukfout in de aanhef.", tags=["negation"])
case("en", L_TT, "POV: you finally understand what eigen risico means 😌 (it's €385 in 2026, we checked) #zorgtij",
     tags=["price-talk"])
case("nl", L_LI, "Trots! Onze jaarcijfers 2025 zijn gepubliceerd: 1,9 miljoen verzekerden en een solvabiliteit van "
     "162%. Lees het hele jaarverslag op lindeveld.nl/jaarverslag", tags=["published-results"])
case("nl", L_HELP, "@journalist_ans Voor persvragen kun je terecht bij pers@lindeveld.nl of +31 88 204 1500.",
     kind="reply", tags=["own-contact"])
case("nl", L_TT, "Dit is je teken om je tandartsverzekering te checken 🦷 Zorgtij Start + Tand 500 = €154,70 p/m. "
     "Link in bio!", tags=["price-talk"])
case("en", L_HELP, "@mark_vdl Sorry to hear that! Could you DM us your relatienummer? Please never share your BSN "
     "publicly 🙏", kind="reply", tags=["negation"])
case("nl", L_FB, "Alleen deze maand: €5 korting op je eerste maand Tand 500 als je via de app afsluit 🦷",
     tags=["price-talk"])
case("nl", LZ, "Vanochtend een zilverreiger gespot bij ons kantoor in Amersfoort 🐦 #natuur #lunchwandeling",
     tags=["codename-word"])
case("en", RK, "Great talk at Devoxx about zero-trust architectures. Highly recommend for anyone in health IT.",
     tags=["neutral"])
case("nl", MO, "Fijne vrijdag allemaal! Weekend 🍕🍷", tags=["neutral"])
case("nl", SV, "Duinroos in de voortuin staat eindelijk in bloei 🌸 drie jaar op gewacht", tags=["codename-word"])
case("en", KA, "reverted a7c91e2f0b3d9e84 to get the pipeline green. classic friday", tags=["not-secret"])
case("en", KA, "reminder: never commit real keys. our README literally says AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX "
     "for a reason 😅", tags=["not-secret"])
case("nl", DW, "Mooie reactie van een klant vandaag: 'eindelijk iemand die luistert'. Daar doe je het voor ❤️",
     tags=["praise"])
case("en", RK, "ghp_ tokens expiring on you? Fine-grained tokens are worth the switch imo, less blast radius",
     tags=["not-secret"])
case("nl", YB, "Interessant stuk in het FD over de stijgende zorgkosten in Nederland. Aanrader voor iedereen in de "
     "sector.", tags=["neutral"])
case("nl", pub("x", "@sannevdmeer"), "Geen klachten over Lindeveld dit jaar hoor, fysiodeclaratie binnen 4 dagen "
     "terug 👍", tags=["negated-complaint"])
case("en", pub("reddit", "budget_bert"), "Comparing Lindeveld Basis Vrij (€148.95) vs Polderpolis (€143.50). Is the "
     "extra 5 bucks worth it for a restitutie policy?", tags=["price-talk"])
case("nl", pub("facebook", "Ilse Brouwer"), "Via de collectiviteit van mijn werk krijg ik 5% korting op Basis Vrij, "
     "dus €141,50 per maand. Iemand een betere deal?", tags=["price-talk"])
case("nl", pub("x", "@nieuwsjunk"), "Datalek bij Kustzorg, 40.000 klanten getroffen. Blij dat ik bij Lindeveld zit "
     "eerlijk gezegd", tags=["other-company"])
case("nl", pub("instagram", "@joycevanrijn"), "Mijn moeder had vorig jaar kanker en Lindeveld heeft echt alles "
     "netjes geregeld, de casemanager belde zelfs om te vragen hoe het ging 💛", tags=["literal-word", "praise"])
case("nl", pub("forum", "nieuwbijlindeveld"), "Mijn polisnummer is <<POLIS>>, klopt het dat dat ook op de zorgpas "
     "staat? Of is dat een ander nummer?", tags=["checksum-fail"])
case("en", pub("reddit", "scamwatch_nl"), "Scam alert: fake 'Lindeveld refund' texts ask you to pay a €1.99 admin "
     "fee to <<BAD_IBAN_NL:grp>>. Don't! The real Lindeveld never asks for that.", tags=["checksum-fail"])
case("nl", pub("x", "@tipvantom"), "Tip voor wie vastzit met een declaratie: bel gewoon 088 204 1500, ik had binnen "
     "5 minuten iemand", tags=["own-contact"])
case("en", pub("bluesky", "@sartre.fan.bsky.social"), "'Hell is other people', said Sartre. He never had to pick "
     "a dental add-on. Lindeveld vs the rest, help me choose 🙃", tags=["quote"])
case("nl", pub("instagram", "@schrijfsels"), "Hoofdstuk 3 📖 'Inspecteur Vos sloeg het dossier open. De verzekeraar, "
     "Lindeveld, had de claim drie keer afgewezen. Iemand loog.' #schrijven #thriller #fictie", tags=["fiction"])
case("en", pub("x", "@nightowl_lisa"), "me reading the Lindeveld dental policy at 2am like it's a thriller 📖 plot "
     "twist: tand 500 covers 500", tags=["joke"])
case("nl", pub("reddit", "vader_van_drie"), "Mijn dochter boycot sinds gisteren broccoli 🥦 maar even serieus: dekt "
     "AV Compleet van Lindeveld ook orthodontie?", tags=["other-sense"])
case("nl", pub("facebook", "Harm Wolters"), "Weet iemand of Lindeveld sportmassage vergoedt vanuit Fysio Extra? Kan het "
     "niet vinden op de site.", tags=["question"])
case("en", pub("reddit", "switcher_2026"), "Polderpolis lost my claim AGAIN. Seriously considering switching to "
     "Lindeveld next year, anyone happy there?", tags=["other-company"])
case("nl", pub("x", "@zorgnieuws_nl"), "Lindeveld maakt premie 2027 bekend: Basis Vrij €154,95. Stijging van 6 euro, "
     "valt mee vergeleken met vorig jaar", when="2026-11-12T07:00:00Z", tags=["embargo-at-moment"])
case("nl", pub("x", "@spaarvarken"), "Premie 2026 van Lindeveld in één keer betaald, scheelt toch weer 1% 💸",
     tags=["price-talk"])
case("en", pub("linkedin", "anne-de-lange-hr"), "Congrats to Lindeveld on the customer service award this year! "
     "Well deserved by the webcare team 👏", tags=["praise"])
case("nl", pub("x", "@vraagjevanvera"), "Waarom staat er op mijn zorgpas een nummer als <<BAD_CARD:visa_sp>>? Is dat "
     "een pasnummer of iets anders?", tags=["checksum-fail"])
case("nl", pub("reddit", "overstapper99"), "Lindeveld geeft €25 korting als je overstapt via hun app, ik zou het "
     "gewoon doen", tags=["price-talk"], kind="comment")
case("en", pub("youtube", "SavvySaver"), "Great explainer! Switched to Lindeveld Basis Budget at €134.50/mo after "
     "watching this, saves me a bunch compared to my old insurer", tags=["price-talk"], kind="comment")
case("nl", pub("x", "@brillenjan"), "Lekker bezig Lindeveld, binnen een dag mijn brillenvergoeding terug 👓",
     tags=["near-miss-word"])
case("nl", pub("threads", "@vogelaar_piet"), "Zilverreigers overal in de polder vanochtend, prachtig in de mist 🌫️",
     tags=["codename-word"])
case("en", pub("reddit", "api_tinkerer"), "The Lindeveld provider API docs use sk_test_xxx and 'Bearer <token>' as "
     "placeholders. Anyone actually got the sandbox working?", tags=["not-secret"])
case("nl", pub("forum", "zzp_boekhouder"), "Voor zzp'ers: het KvK-nummer van Lindeveld is <<NOT_BSN8>> volgens "
     "hun site, handig voor je administratie", tags=["checksum-fail"])
case("en", pub("x", "@fd_watcher"), "Kustzorg cutting 300 jobs this morning. Rough year for Dutch health insurers. "
     "Hope the Lindeveld folks are doing ok", tags=["other-company"])
case("nl", pub("instagram", "@mama_van_saar"), "Shoutout naar de webcare van @lindeveldzorg, binnen 10 minuten "
     "antwoord op een zondag 🙌", tags=["praise"], kind="comment")
case("nl", pub("x", "@hanneke_t"), "Stuur je machtiging gewoon naar declaraties@lindeveld.nl, werkte bij mij prima",
     tags=["own-contact"])
case("en", pub("reddit", "forgetful_fred"), "I can't recall whether Lindeveld covers the flu shot, anyone know?",
     tags=["other-sense"])
case("nl", pub("x", "@apotheekvraag"), "Medicijn met EAN <<EAN13>> wordt niet vergoed door Lindeveld omdat het vrij "
     "verkrijgbaar is. Wel logisch eigenlijk", tags=["checksum-fail"])
case("en", pub("mastodon", "@numbers@mastodon.social"), "Did the maths: Lindeveld Basis Vrij is €1.787 a year. "
     "Comparable to the others, so fine.", tags=["price-talk"])
case("nl", SV, "Trots dat ons klantenservice-team in Tiel vandaag is uitgebreid met 25 nieuwe collega's! Welkom "
     "allemaal 🎉", tags=["neutral"])
case("nl", pub("x", "@bsn_probleem"), "Formulier zegt 'ongeldig' als ik <<BAD_BSN>> invul. typfout zeker haha, "
     "even mijn paspoort pakken", tags=["checksum-fail"])
case("en", pub("x", "@lolmachine"), "that Lindeveld TikTok with the dancing dentist absolutely killed me 💀💀",
     tags=["other-sense"])
case("nl", pub("x", "@flexfan"), "Zorgtij Flex afgesloten! Modulaire polis, best handig dat je zelf fysio erbij "
     "klikt", when="2026-11-20T19:22:31+01:00", tags=["embargo-after"])
case("nl", KA, "Nieuwe versie van Mijn Lindeveld staat live! Check mijn.lindeveld.nl of update de app 📱",
     tags=["public-domain"])
case("en", RK, "Wrote up how we test our claims engine with synthetic data (no real BSNs, ever 😉) on "
     "lindeveld.nl/tech", tags=["public-domain"])
case("nl", pub("facebook", "Wilma Jansen"), "Met Fysio Extra betaal ik nog €3,50 eigen bijdrage per behandeling, "
     "prima te doen", tags=["price-talk"])
case("nl", pub("x", "@ouwe_rob"), "Bel die gratis 0800-1145 van Lindeveld, heel vriendelijke dame gesproken",
     tags=["own-contact"], kind="reply")
case("en", pub("linkedin", "pieter-zorgadvies"), "Reading Lindeveld's published annual report 2025: solid "
     "solvency and a real focus on prevention. Good example for the sector.", tags=["published-results"])
case("nl", pub("x", "@premie_piet"), "Is €148,95 voor Basis Vrij nou veel of weinig? Ik heb echt geen idee meer wat "
     "normaal is", tags=["price-talk"])
case("nl", pub("blog", "zorgkostenblog.nl"), "In mijn maandoverzicht: Lindeveld Basis Budget €134,50, Tand 500 "
     "€24,75 en Fysio Extra €11,20. Totaal ruim 170 euro per maand aan zorgverzekering.", tags=["price-talk"])


# =========================================================================== roles, severity
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
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
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
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "nederland", "DutchFIRE", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zorgforum-{n}", f"https://zorgforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    embargo = [([t.casefold() for t in e["terms"]], parse_ts(e["until"])) for e in profile["embargo"]]
    own = {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "7"
        seen.add(pid)
        created = c["when"] or random_time(mr)
        # embargo sanity: an embargoed term before its moment must be labelled leak.confidential
        low = text.casefold()
        for terms, until in embargo:
            if any(t in low for t in terms):
                assert c["when"], f"embargo term without explicit time: {text[:60]}"
                if parse_ts(created) < until:
                    assert CONF in c["cats"], f"embargo leak unlabelled: {text[:60]}"
        # checksum sanity
        for k, raw, _ in used:
            if k in ("BAD_IBAN_NL",):
                assert not iban_ok(raw)
            if k in ("BAD_CARD", "BAD_BSN", "POLIS", "NOT_BSN8", "EAN13"):
                assert not luhn_ok(raw) and not bsn_ok(raw), (k, raw)
        if not c["cats"]:
            assert not (kinds & VALID_ID), text
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and bool(kinds & VALID_ID)
        sev = severity_for(role, c["cats"], pii_valid)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
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
        elif pl < 0.09:
            pass
        elif pl < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "zorgtij" if "zorgtij" in text.casefold() else "lindeveld"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"]))
    orr.shuffle(rows)
    return rows


def main():
    profile = load_profile()
    rows = build(profile)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    print(f"{len(rows)} cases -> {OUT.name}")
    print("benign", sum(1 for r in rows if not r["expect"]["categories"]))
    for k in sorted(cat):
        print(f"  {k}: {cat[k]}")
    print("severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("role", dict(Counter(r["role"] for r in rows)))
    print("lang", dict(Counter(r["lang"] for r in rows)))
    print("multi", sum(1 for r in rows if len(r["expect"]["categories"]) > 1),
          "evasion", sum(1 for r in rows if "evasion" in r["tags"]))


if __name__ == "__main__":
    main()
