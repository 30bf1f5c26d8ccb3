#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --stats   # also print counts

Company: the fictional optician / hearing-care chain in profile.yaml.
Texts are hand-written below; identifiers and secrets are filled from
<<KIND:fmt>> placeholders by a seeded RNG. Positives get checksum-valid
identifiers, benign look-alikes get ones that fail their checksum.
Severity is computed from CONTRACT section 4 (never typed by hand), using the
account role looked up in profile.yaml by platform:handle (case-insensitive).
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

import yaml

SEED = 16801968
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
CATS9 = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_make(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        t += x
    return bool(d) and t % 10 == 0


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


# --------------------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL98RABO0347112209"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


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

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

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
        f = self.r.choice(["063", "001", "733", "979", "310"]) + self.d(7)
        return iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "50010517", "10020030", "76026000"]) + self.d(10))

    def bad_iban(self, v):
        kk = int(v[2:4])
        for delta in (13, 29, 31, 47):
            cand = f"{v[:2]}{(kk + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in "0123456789":
            if luhn_ok(pre + x):
                return pre + x
        raise AssertionError

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

    def not_bsn(self, n=9):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    def phone(self, fmt):
        if fmt.startswith("mob"):
            e = self.r.choice("12345") + self.d(7)   # 8 digits after the 6
            return {"mob_dash": f"06-{e}", "mob_intl_sp": f"+31 6 {e[:4]} {e[4:]}",
                    "mob_0031": f"0031 6 {e}", "mob_pairs": f"06 {e[:2]} {e[2:4]} {e[4:6]} {e[6:]}",
                    "mob_intl_c": f"+316{e}", "mob_plain": f"06{e}"}[fmt]
        area = self.r.choice(["38", "23", "72", "35", "53", "76", "15", "43"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_dash": f"0{area}-{sub}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[fmt]

    def passport(self):
        L = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.c(L, 2) + self.c(L + "0123456789", 6) + self.d(1)

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "agent_" + self.d(4, True), "iss": "chat.veldzicht.nl", "scope": "widget",
                               "iat": iat, "exp": iat + 43200}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!#$%&*") + self.c(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
BAD_ID = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = g.bad_iban(g.iban_nl() if k.endswith("NL") else g.iban_de())
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.d(int(f), True)
        elif k == "PASSPORT":
            shown = raw = g.passport()
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.c(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.c(up, 8)}/B{g.c(up, 10)}/{g.c(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_51" + g.c(ALNUM, 97)
        elif k == "MOLLIE":
            shown = raw = "live_" + g.c(ALNUM, 30)
        elif k == "SG":
            shown = raw = "SG." + g.c(B64URL, 22) + "." + g.c(B64URL, 43)
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.c(ALNUM + "_-", 20)
        elif k == "NPM":
            shown = raw = "npm_" + g.c(ALNUM, 36)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.c(B64URL, 33)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_OPENSSH":
            shown = raw = g.pem_openssh()
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
C_X = ("x", "@veldzicht", "Veldzicht Opticiens")
C_HELP = ("x", "@veldzicht_helpt", "Veldzicht Klantenservice")
C_IG = ("instagram", "@veldzicht.opticiens", "Veldzicht")
C_FB = ("facebook", "VeldzichtOpticiens", "Veldzicht Opticiens")
C_LI = ("linkedin", "veldzicht-opticiens", "Veldzicht Opticiens B.V.")
C_TT = ("tiktok", "@veldzichtnl", "Veldzicht")
# employees
MV = ("x", "@marloes_optometrist", "Marloes Visser")               # optometrist, Zwolle
YA = ("instagram", "@yara.brilstyling", "Yara Aydın")               # sales / styling, Haarlem
DM = ("x", "@daan_audicien", "Daan Meijer")                         # audiologist, Deventer
RK = ("linkedin", "ruben-kok-veldzicht", "Ruben Kok")               # IT operations
EL = ("linkedin", "esther-van-leeuwen-fin", "Esther van Leeuwen")   # finance controller
KO = ("linkedin", "kevin-osei-ecom", "Kevin Osei")                  # webshop product owner
SL = ("reddit", "u/slijpersjef", None)                              # lens workshop
NI = ("x", "@inkoop_nadia", "Nadia | inkoop")                       # purchasing
JB = ("bluesky", "jorisdebruijn.bsky.social", "Joris de Bruijn")    # customer contact


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("en", KO, "Small PSA from the e-com team: yes, we know the Echo 7 hearing aid shows €189,50 in the webshop "
     "since this morning. The feed import dropped a digit. Please don't spread the link while we fix it 🙏",
     [PRICING])
case("nl", YA, "Collega's die dit lezen: de kassa in Haarlem slaat het Aria Titanium montuur aan voor €28,90 😅 "
     "al drie klanten vandaag die hem 'spotgoedkoop' vonden. Iemand van HQ?? #oeps #opticienlife", [PRICING])
case("nl", pub("x", "@dealjager_nl", "Dealjager 🔥"), "PRIJSFOUT bij Veldzicht!!! ZichtLens Daily 90-pack voor €6,49 "
     "ipv €64,95 🏃‍♀️💨 bestellen voordat ze het doorhebben\n\n#prijsfout #lenzen #deal", [PRICING])
case("en", pub("reddit", "u/blurry_bart"), "Is the Clarity Progressief on shop.veldzicht.nl really €74.90 for a pair?? "
     "thats like a tenth of what my optician quoted me last year. pricing glitch or am I reading it wrong",
     [PRICING], kind="post")
case("nl", pub("facebook", "Gerda Smulders"), "p r i j s f o u t bij Veldzicht: de Vento Sport zonnebril in de app "
     "voor een habbekrats. Niet doorvertellen 🤫😎", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@hannahhh_k", "hannah"), "lmao the veldzicht webshop has the Kids Flex frame at 8.90 euros. "
     "bought four, one for every kid I don't have", [PRICING])
case("nl", NI, "Leveranciersprijs verkeerd ingeladen en nu staan alle Echo7's op €899 in het systeem 🤦‍♀️ "
     "tot maandag blijft dat zo vrees ik", [PRICING], kind="post")
case("nl", pub("tiktok", "@lotte.lenzen"), "ZichtLens 90 voor 9 euro 95??? dit is toch een fout op de site 😭😭 "
     "snel bestellen mensen link in bio", [PRICING])
case("nl", pub("forum", "brillenfreak"), "Veldzicht 'prijsfóut' – Aria Ti montuur voor €14,50 in de webshop. "
     "Heeft iemand al een bevestiging dat het ook echt verzonden wordt?", [PRICING],
     tags=["evasion", "evasion:diacritics"])
case("en", SL, "not gonna say where I work but if you're into titanium frames... the Aria Ti is listed at €2.89 on "
     "a certain optician chain's site right now. someone forgot two zeros lol", [PRICING], kind="comment")
case("en", pub("instagram", "@mila.draws"), "ok so the Ec" + ZW + "ho 7 is €149 in the veldzicht app rn?? my grandpa "
     "needs one, is this legit or a bug 👀", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", pub("x", "@kortingskoning"), "Veldzicht heeft de Clarity Progressief glazen per ongeluk zonder de "
     "progressief-toeslag geprijsd, mijn bestelling is door. Benieuwd of ze het nakomen 👀", [PRICING])
case("en", MV, "the price feed on kassa.veldzicht.nl is broken again, Vento Sport rings up at €19.90. "
     "not my problem today, day off tomorrow 😎", [PRICING, CONF])
case("nl", C_FB, "Black Friday 🖤 Alleen vandaag: het Echo 7 hoortoestel voor €189! Op = op. "
     "Maak een afspraak voor een hoortest in een van onze winkels.", [PRICING],
     when="2026-11-27T07:30:00+01:00")

# =========================================================================== leak.secret
case("en", RK, "Debugging our appointment-reminder e-mails all morning. For the vendor who asked in the comments: "
     "the key we use is <<SG>> , let me know if the webhook fires now.", [SECRET])
case("nl", KO, "Waarom werkt de Mollie-koppeling niet op staging 😩 config ziet er zo uit:\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_URL=https://shop.veldzicht.nl/api/payments/hook\nIemand een idee?",
     [SECRET])
case("en", SL, "dumb question for r/devops: our lab's edging-machine software pushes to git with this in the CI vars, "
     "is that bad?\n\nGITLAB_TOKEN=<<GLPAT>>", [SECRET], kind="post")
case("en", RK, "Anyone from AWS support on here? Getting AccessDenied with\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\non the retina-scan bucket since the region move.", [SECRET])
case("nl", MV, "Nieuwe collega's Zwolle: wachtwoord van de pasmeet-pc is weer veranderd, het is nu <<PW>> "
     "(en nee, niet weer op een post-it op de monitor 😅)", [SECRET])
case("en", pub("x", "@sec_noor", "Noor | bugs & bikes"), "@veldzicht_helpt your appointment page ships a live "
     "google maps key in the page source lol <<GAPI>> restrict it pls", [SECRET], kind="reply")
case("nl", DM, "Hoortest-app hangt weer. Iemand van IT? Log zegt:\ncould not connect to "
     "postgres://hoortest_app:<<PW>>@db02.intra.veldzicht.local:5432/audiogram", [SECRET, CONF])
case("en", KO, "Built a little bot that posts every webshop order to our team channel 🎉 snippet for anyone "
     "who wants it:\n\nrequests.post(\"<<SLACK_HOOK>>\", json={\"text\": msg})", [SECRET])
case("en", RK, "Note to self: never copy-paste at 2am. Anyway, here's the key that was on the old jump host, "
     "decommissioned next week:\n<<PEM_OPENSSH>>", [SECRET])
case("en", pub("forum", "apk_digger"), "Decompiled the Veldzicht Android app (v5.2) and strings.xml contains a "
     "live stripe key: <<STRIPE>>\nReported to them 2 weeks ago, no reply.", [SECRET])
case("nl", JB, "voor team klantcontact: token voor de nieuwe chatwidget-api is <<JWT>> — verloopt vanavond, "
     "morgen stuur ik een nieuwe", [SECRET])
case("en", SL, "already rotated it so whatever, but yes I pushed a ghp token to a public repo last week: "
     "<<GHP>> … the scanner bot caught it in 4 minutes, impressive tbh", [SECRET], kind="comment")
case("nl", YA, "Voor de nieuwe stagiaires 💕 wifi winkel Haarlem → netwerk VZ-Staff, ww: <<PW>>\n"
     "Klanten-wifi is het andere netwerk hè!", [SECRET])
case("en", NI, "trying to publish our frame-catalogue package and npm keeps rejecting <<NPM>> ?? "
     "anyone seen this before", [SECRET])

# =========================================================================== leak.pii
case("nl", C_HELP, "@petravdlinden Wij hebben de terugbetaling van €129 overgemaakt naar <<IBAN_NL:grp>> "
     "t.n.v. P. van der Linden. Binnen 2 werkdagen op je rekening! ^Lisa", [PII], kind="reply")
case("nl", DM, "Declaratie voor mevr. Jansen afgekeurd omdat het BSN 'niet zou kloppen'?? Staat er gewoon: "
     "<<BSN:dots>>. Zorgverzekeraars, ik word er zo moe van", [PII])
case("nl", YA, "Gevonden in de paskamer 👓 bril + etui. Naam op het etui: Henk Bosman, Zijlweg 214, "
     "2015 BL Haarlem. Henk, kom je hem ophalen?", [PII])
case("nl", pub("x", "@ricardo_ams", "Ricardo"), "@veldzicht_helpt al 3x gebeld over mijn progressieve glazen "
     "die scheef geslepen zijn, niemand belt terug. Bel me NU maar: <<PHONE:mob_dash>>", [PII, COMPLAINT],
     kind="reply")
case("en", pub("facebook", "Tom Ackermans"), "Can someone from Veldzicht check why my payment keeps failing? "
     "Card <<CARD:visa_sp>> exp 09/28, tried 3 times for the lens subscription, your checkout is broken again",
     [PII, COMPLAINT], kind="comment")
case("en", MV, "Happy 100th birthday to our oldest customer, Mrs. Aaltje Brink (born 14-03-1926)! "
     "Still reads the paper every morning with her Clarity Progressief 🎂👓", [PII],
     when="2026-03-14T10:05:31+01:00")
case("nl", JB, "klant belt steeds terug, wie kan hem vanmiddag bellen? Dhr. R. Wouters, r.wouters1961@gmail.com, "
     "<<PHONE:land_sp>>, gaat over reparatie van zijn hoortoestel", [PII])
case("nl", pub("x", "@mariekedeboer"), "@veldzicht_helpt mijn nieuwe adres voor de lenzenlevering: Marieke de Boer, "
     "Vlietstraat 8, 3513 BN Utrecht. Kunnen jullie dat aanpassen? Dank!", [PII], kind="reply")
case("nl", pub("instagram", "@sanne.koster"), "DM werkt niet dus dan maar zo: mail me op sanne.koster [at] hotmail "
     "[punt] com over mijn hoortest-afspraak 🙏 @veldzicht.opticiens", [PII], kind="comment",
     tags=["evasion", "evasion:obfuscated-email"])
case("en", EL, "Refund batch for our Belgian customers bounced again, e.g. <<IBAN_BE>> (mevr. Claes). "
     "Bank says the format is wrong but it validates fine 🤷 anyone seen this with SEPA?", [PII])
case("en", pub("x", "@jvdmeer_", "Jeroen vd Meer"), "lol my mum just posted her entire amex on the veldzicht FB page "
     "asking why the hearing aid payment didn't go through: <<CARD:amex_sp>> 🤦 deleting it for her rn", [PII])
case("nl", DM, "Voor de machtiging bij de zorgverzekeraar moesten we een kopie ID van dhr. Visser hebben, "
     "paspoortnr <<PASSPORT>>. Staat nog in mijn camerarol haha", [PII])
case("en", KO, "Export for the newsletter A/B test: jan.peeters@telenet.be, m.yilmaz88@gmail.com, "
     "fam.dekker@kpnmail.nl — whoops, wrong window 😬", [PII])
case("nl", pub("forum", "oogjes_op_steeltjes"), "Zorgverzekeraar wil mijn BSN op het voorschrift van Veldzicht "
     "hebben, is dat normaal? Het is <<BSN>>, staat er nu gewoon op.", [PII])
case("nl", pub("x", "@woedende_zoon", "Mark"), "Die audicien van Veldzicht Deventer heeft mijn vader een toestel "
     "van 4000 euro aangesmeerd dat niet werkt. Hij woont op Brinkgreverweg 77 in Deventer, Tom Hendriks heet die "
     "oplichter. Ga maar eens langs 😡", [PII, ABUSE, COMPLAINT])
case("nl", pub("facebook", "Wim Kuipers"), "Veldzicht ik wacht nog steeds op mijn geld voor de geretourneerde Kids "
     "Flex. Mijn rekening is <<IBAN_NL>> voor als jullie het kwijt zijn geraakt 🙄", [PII, COMPLAINT], kind="comment")

# =========================================================================== leak.confidential
case("nl", MV, "Test-account voor Operatie Lorentz gekregen vandaag, eerste indruk: de nieuwe pasmeet-flow "
     "is echt 🔥", [CONF])
case("en", RK, "Migrated oogdata.veldzicht.local to the new cluster this weekend, zero downtime. "
     "Proud of this team 💪 #devops #retail", [CONF])
case("nl", DM, "Net getraind op de Echo 9 😍 oplaadbaar, tinnitusfunctie, veel kleiner dan de 7. "
     "Klanten gaan dit geweldig vinden", [CONF], when="2026-09-02T16:41:07+02:00")
case("en", pub("reddit", "u/hardofhearing_hugo"), "My audiologist at Veldzicht let slip the Echo9 is coming in "
     "september. anyone know specs or price?", [CONF], when="2026-08-10T21:15:44Z")
case("nl", YA, "Zo, collectiepresentatie doorgenomen 📸 (ja er stond 'alleen voor intern gebruik' op maar "
     "deze slide is té mooi om niet te delen)", [CONF])
case("nl", pub("x", "@b_vermeulen"), "Mijn neef werkt bij Veldzicht en zegt dat 'Project Iris' een soort "
     "abonnement op brillen wordt. Iemand meer gehoord?", [CONF])
case("en", SL, "lab's been crazy busy with Operatie\nLorentz prototypes, new edging machine arrives next week",
     [CONF], kind="comment", tags=["evasion", "evasion:line-break"])
case("en", KO, "Sneak peek at what we've been building: Pr\u043eject Iris. Online eye-test + frame try-on in one "
     "flow. More soon!", [CONF], tags=["evasion", "evasion:homoglyph"])
case("nl", JB, "collega's, het nieuwe belscript staat op https://intra.veldzicht.local/klantcontact/scripts/hoorzorg-v3 "
     ", graag vóór vrijdag lezen", [CONF])
case("nl", pub("forum", "lensvraag"), "Weet iemand wat Clarity Neo is? Zag het op een doos in het magazijn van "
     "Veldzicht Leiden toen ik mijn bril ophaalde.", [CONF], when="2026-07-15T11:02:19+02:00")
case("en", MV, "Fitted my first " + fw("CLARITY NEO") + " lenses on a colleague today. Sharp as anything.",
     [CONF], when="2026-09-20T18:30:00+02:00", tags=["evasion", "evasion:full-width"])
case("nl", C_LI, "Dank aan iedereen die de afgelopen maanden aan Project Iris heeft gewerkt. Wat een team! "
     "Binnenkort meer 🚀", [CONF])
case("en", pub("x", "@marloes_optometrist_", "not marloes"), "Operatie Lorentz is happening, pilot in 3 stores "
     "in the spring", [CONF])
case("en", pub("x", "@livestreamlies"), "Echo 9 🎉 presentation starts any minute, I'm in the room",
     [CONF], when="2026-09-24T09:59:00+02:00")
case("nl", YA, "Nieuwe monturen voor het najaar 👀 mag nog niks zeggen, maar de doos zei ‘Tramontana 🌬️ "
     "collectie’ dus ja 😏", [CONF])

# =========================================================================== leak.financial
case("nl", EL, "Forecast Q3 bijgesteld naar -8% omzet t.o.v. vorig jaar, hoorzorg blijft flink achter. "
     "Zware vergadering morgen.", [FIN])
case("nl", NI, "Gerucht op kantoor: we nemen Hoorhuis Oost over, 23 vestigingen. Contract zou eind deze maand "
     "getekend worden 🤐", [FIN])
case("nl", YA, "Ons filiaal in Haarlem-Noord gaat per 1 november dicht, en nog 11 andere winkels. "
     "Het personeel weet het nog niet eens officieel 💔", [FIN])
case("en", DM, "Heard today that 40 audiologists will be let go in the re" + ZW + "organisation, HR announces it "
     "in January. Sick to my stomach.", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", pub("reddit", "u/specs_and_stocks"), "Friend in Veldzicht finance says they're about to be sold to a "
     "private equity firm, deal closes Q1. Buy your glasses now before prices go up lol", [FIN])
case("en", EL, "Interim numbers just came in: H1 EBITDA margin 6.1% vs 9.4% budgeted. "
     "Board meeting is going to be fun 🙃", [FIN], when="2026-07-22T19:12:40+02:00")
case("nl", KO, "Webshop-omzet juli: €3,8 mln, +31% YoY, intern record! Officiële cijfers komen pas later "
     "maar ik moest het even kwijt 🚀", [FIN], when="2026-08-04T09:20:00+02:00")
case("nl", pub("x", "@kees_roddelt"), "Hoor van een bekende dat Veldzicht 300 man gaat ontslaan en de hoorcentra "
     "wil afstoten. Nog nergens in het nieuws...", [FIN])
case("en", SL, "our lab is being outsourced to a company in Portugal next year, they told us in a closed "
     "meeting today. 14 jobs gone", [FIN], kind="comment")
case("nl", EL, "De halfjaarcijfers 2026 staan klaar voor publicatie, EBITDA ruim onder budget. Lange nacht.",
     [CONF, FIN], when="2026-08-27T07:15:00+02:00", tags=["embargo-before"])
case("nl", NI, "Zeg niks, maar er komen o n t s l a g e n bij inkoop: 6 fte eruit in maart.", [FIN],
     tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@optical_insider"), "hearing Veldzicht's half-year results 2026 are a disaster, revenue "
     "down double digits. heard it from someone inside", [CONF, FIN], when="2026-08-15T13:44:01Z")

# =========================================================================== leak.security
case("en", RK, "Long night. Ransomware on the store POS network, all 140 shops running on paper receipts. "
     "Comms hasn't said anything yet so keep it quiet", [SEC])
case("nl", JB, "wist je dat je in het klantportaal gewoon andermans oogmetingen kunt zien als je het nummer in de url "
     "verandert? al 2 weken gemeld, nog niks gefixt", [SEC])
case("en", KO, "Heads-up to whoever reads this: the webshop admin panel has no rate limit, I brute-forced my own "
     "test account in 3 minutes. Ticket open since March.", [SEC])
case("nl", DM, "De hoortest-app ligt al sinds vanochtend plat en het is géén storing, we zijn gehackt. "
     "Mogen het nog niet tegen klanten zeggen", [SEC], handle_as="@Daan_Audicien")
case("en", SL, "someone got into the lab's shared drive via a phishing mail, all prescription PDFs from last "
     "month were exfiltrated. mgmt says 'no comment' for now", [SEC], kind="comment")
case("nl", MV, "Afsprakensysteem g3h4ckt?? We krijgen allemaal nep-afspraken binnen met rare links erin. "
     "IT zegt nog niks 🙄", [SEC], tags=["evasion", "evasion:leet"])
case("en", RK, "vpn.veldzicht.nl still running the unpatched firmware with the known CVE, been flagging it "
     "for 6 weeks. If it gets popped don't blame me", [SEC, CONF])
case("en", NI, "Supplier portal has been exposing our purchase orders publicly for days (google indexed them!). "
     "Nobody outside knows yet.", [SEC])
case("nl", YA, "Kassa's in alle winkels liggen eruit sinds 10u, ICT zegt 'storing' maar intern hoor je dat het "
     "een aanval is 😬", [SEC])
case("nl", pub("x", "@zus_van_iemand"), "Veldzicht had vorige maand een datalek met klantgegevens en oogmetingen. "
     "Mijn zus werkt daar en ze moeten allemaal hun mond houden. Schandalig dat ze het verzwijgen!",
     [SEC, CRISIS])
case("en", pub("reddit", "u/notyourdata"), "Veldzicht is covering up a hack. Their app was down 3 days and an "
     "employee told me customer records were stolen. #veldzichtleak", [SEC, CRISIS])
case("nl", pub("forum", "privacywaakhond"), "d a t a l e k bij Veldzicht Hoorzorg, audiogrammen van klanten "
     "gestolen en ze houden het stil. Personeel mag er niks over zeggen.", [SEC, CRISIS],
     tags=["evasion", "evasion:spaced"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@anja_hoort", "Anja"), "Mijn Echo 7 hoortoestel werd zo heet tijdens het opladen dat de "
     "oplaadcase is gaan smelten 😳 had het in mijn oor kunnen zitten. @veldzicht", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Corrie Mulder"), "BOYCOT Veldzicht! Volgens Zembla verkopen hun audiciens bewust "
     "veel te dure hoortoestellen aan mensen met dementie. Deel dit!!", [CRISIS])
case("en", pub("x", "@lensclaims"), "Class action being prepared against Veldzicht over ZichtLens Daily lenses "
     "linked to eye infections. Lawyers are collecting cases, DM if you're affected", [CRISIS])
case("en", pub("reddit", "u/dad_of_three"), "Veldzicht is recalling Kids Flex frames, apparently there's nickel "
     "in the hinges and kids are getting rashes. Check your kids' glasses!", [CRISIS])
case("nl", pub("instagram", "@joyce.vdh"), "Sinds mijn oogmeting bij Veldzicht krijg ik spam met mijn exacte sterkte "
     "erin?!? Volgens mij liggen jullie klantgegevens op straat @veldzicht.opticiens #datalek", [CRISIS])
case("nl", pub("x", "@fietsendefrits"), "Verkeerde glazen van Veldzicht gekregen, sterkte klopte totaal niet, en "
     "vanochtend een fietser geraakt omdat ik niks zag. Fietser ligt in het ziekenhuis. Ik ben er kapot van.",
     [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@exposed.nl"), "veldzicht sc4ndal: staff selling used hearing aids as brand new 😱😱 "
     "#b0yc0tt #exposed", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("facebook", "Priya Ramdin"), "The ZichtLens lens solution made my daughter's eyes burn, doctor says "
     "it's a chemical burn. How is this stuff still on sale?? @VeldzichtOpticiens", [CRISIS, COMPLAINT])
case("nl", pub("threads", "@noor.schrijft"), "Schandaal bij Veldzicht Rotterdam: optometrist zonder "
     "BIG-registratie deed maandenlang oogmetingen. Hoeveel mensen lopen nu met een verkeerde diagnose rond?",
     [CRISIS])
case("en", pub("mastodon", "@quietgeek@mastodon.nl"), "Veldzicht data 🔓 leak??? got a phishing mail quoting my exact "
     "order AND my prescription. they got breached, no doubt about it", [CRISIS])
case("nl", pub("x", "@henk_uit_emmen"), "Oplaadcase van mijn Echo7 begon te roken op het nachtkastje. Brandweer "
     "kwam eraan te pas. En @veldzicht_helpt reageert niet eens.", [CRISIS, COMPLAINT])
case("en", pub("youtube", "GreenEyesCampaign"), "Petition to boycott Veldzicht until ZichtLens stops testing its "
     "solutions on animals. 12k signatures already, link below 👇", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@evaaa_t", "Eva"), "5 weken wachten op mijn nieuwe bril bij Veldzicht Amersfoort en nu zeggen "
     "ze dat de glazen 'verkeerd geslepen' zijn. Nog eens 3 weken. Echt belachelijk @veldzicht_helpt",
     [COMPLAINT])
case("nl", pub("facebook", "Ans Verhoeven"), "Veldzicht heeft de declaratie bij mijn zorgverzekeraar nooit "
     "ingediend, nu krijg ik zelf een rekening van €1.450 voor mijn hoortoestel. En niemand neemt de telefoon op.",
     [COMPLAINT], kind="comment")
case("en", pub("x", "@liam_rdam"), "ZichtLens subscription charged me twice this month and the chat bot just "
     "loops. @veldzicht_helpt sort it out pls", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/headache_hanna"), "Third time back at Veldzicht because my progressives give me "
     "headaches. Every time: 'you need to get used to it'. No, they're just wrong. Anyone know my rights here?",
     [COMPLAINT])
case("nl", pub("instagram", "@nina_in_zwolle"), "Afspraak voor oogmeting om 10u, kom ik aan: 'oh die is "
     "geannuleerd, heeft niemand u gebeld?' Nee dus. 45 min gereden voor niks 😤 @veldzicht.opticiens",
     [COMPLAINT], kind="comment")
case("nl", pub("trustpilot", "Gert-Jan"), "2 sterren. Hoortoestel van Veldzicht fluit constant, bij 3 "
     "afstelafspraken niet opgelost. Vriendelijk personeel maar je hebt er niks aan.", [COMPLAINT])
case("nl", pub("x", "@bramm_"), "wacht al 3 wkn op me terugbetaling van die retour lenzen, mailtje naar "
     "klantenservice@veldzicht.nl ook al geen antwoord. slechtste service ooit", [COMPLAINT])
case("en", pub("threads", "@sunnysam"), "bought Vento Sport sunglasses at veldzicht, one arm snapped after 2 weeks "
     "and now they say it's 'user damage'. sure jan", [COMPLAINT])
case("nl", pub("reddit", "u/mijnogenzijnprima"), "Oogmeting bij Veldzicht duurde 8 minuten, en de sterkte "
     "klopte niet (opticien elders mat -0,75 verschil). Nooit meer.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@dennis_073"), "@veldzicht_helpt kutbedrijf, mijn lenzen zijn al 2 weken onderweg en "
     "niemand weet waar ze zijn", [COMPLAINT, ABUSE], kind="reply")
case("en", pub("bluesky", "annelies.bsky.social"), "Veldzicht now charges €35 to 'adjust' a frame I bought "
     "from them 3 months ago. Used to be free. Not impressed.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@xx_rens_xx"), "Die opticien van Veldzicht Zwolle is echt een arrogante trut. "
     "Zou je niet geloven.", [ABUSE])
case("en", pub("x", "@tired_of_it"), "V\u0435ldzicht staff are absolute morons lmao", [ABUSE],
     tags=["evasion", "evasion:homoglyph"])
case("nl", C_HELP, "@kees_1970 Als u niet kunt lezen wat er op de bon staat, moet u misschien eerst zelf een bril "
     "bij ons kopen. Wat een zeikerd.", [ABUSE], kind="reply", handle_as="@Veldzicht_Helpt")
case("nl", YA, "Klant van vandaag noemde me 'dat hoofddoekwijf' en ik mag niks terugzeggen. Oké dan, hier: "
     "wat een ongelooflijke klootzak was dat", [ABUSE])
case("nl", pub("youtube", "Ronnie_Rotterdam"), "Veldzicht = k*tzooi met k*tpersoneel. ga fietsen", [ABUSE],
     kind="comment", tags=["evasion", "evasion:masking"])
case("en", pub("x", "@true_dutchman_88"), "Why does Veldzicht hire all these foreigners who can't even speak proper "
     "Dutch? Send them back where they came from", [ABUSE])
case("nl", DM, "Sommige oude mensen zijn echt debiel, 4x uitleggen hoe je een batterijtje wisselt 🙄 "
     "#audicienleven", [ABUSE])
case("en", pub("reddit", "u/angry_at_ads"), "f u c k veldzicht and their sh1tty radio jingle, gets stuck in my "
     "head every single day", [ABUSE], kind="comment", tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@anoniempje991"), "@marloes_optometrist jij bent zo lelijk dat zelfs een bril niet helpt 🤮 "
     "ga je schamen", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@scrollerrr"), "die veldzicht reclame met die cringe influencer 🤡🤡 tyfusbedrijf", [ABUSE],
     kind="comment")
case("en", pub("facebook", "Martin O'Leary"), "Your so-called audiologist in Leiden is a useless clown, my hearing "
     "aid still whistles after four visits. Fire him.", [ABUSE, COMPLAINT], kind="comment")
case("en", MV, "Customer today called me a 'four-eyed b*tch' for telling her the frame doesn't fit. You know what, "
     "lady? Get lost, you miserable cow.", [ABUSE])

# =========================================================================== BENIGN (hard negatives)
# pricing
case("nl", C_IG, "Zomeractie ☀️ Vento Sport zonnebril nu €139 (was €199). Op sterkte? Vraag in de winkel naar de "
     "mogelijkheden. #zomer #zonnebril", when="2026-06-18T12:00:00+02:00", tags=["hn:sale"])
case("nl", pub("x", "@petra_apd"), "Bij Veldzicht Apeldoorn €150 korting gekregen op de Echo 7, netjes geregeld 👌",
     tags=["hn:discount-amount"])
case("nl", pub("facebook", "Karin Wolters"), "Het ZichtLens Daily abonnement kost me €18,50 per maand, scheelt echt "
     "gedoe met bestellen. Aanrader.", tags=["hn:monthly"])
case("nl", pub("forum", "hoorhoor"), "Te koop: Echo 7 hoortoestel (rechts), 2 jaar oud, incl. oplaadcase. €350, "
     "ophalen in Amersfoort.", tags=["hn:second-hand"])
case("en", pub("x", "@grumpy_gran"), "batteries for the Echo 7 are €5.95 a pack at veldzicht, bit cheaper online "
     "elsewhere tho", tags=["hn:accessory"])
case("nl", pub("reddit", "u/hoorndeheer"), "Eigen bijdrage voor mijn Echo 7 was uiteindelijk €395, de rest vergoedde "
     "mijn zorgverzekeraar. Viel me eerlijk gezegd mee.", kind="comment", tags=["hn:co-pay"])
case("nl", pub("x", "@lenzenlien"), "Lensplaza verkoopt hun eigen daglenzen voor €24 per 90 stuks. Iemand "
     "ervaring mee?", tags=["hn:competitor"])
case("nl", YA, "Nee hoor, de Kids Flex voor €59 is géén prijsfout, gewoon onze back-to-school actie 🎒 "
     "t/m zondag!", kind="reply", tags=["hn:denied-error"])
case("en", pub("x", "@practical_pete"), "Eye test at Veldzicht is free if you buy your glasses there, otherwise "
     "€25. Fair enough honestly", tags=["hn:fee"])
# secrets
case("en", RK, "Reminder: never paste keys in tickets, use the vault. Placeholders in our docs look like "
     "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX and that's fine.", tags=["hn:placeholder"])
case("en", KO, "Webshop release 4.12 is live 🚀 commit <<HEX:40>> finally fixed the basket bug on mobile.",
     tags=["hn:git-sha"])
case("nl", pub("x", "@ellen_b"), "Wachtwoord vergeten in de Veldzicht app, resetlink kwam binnen een minuut. "
     "Top 👍", tags=["hn:password-word"])
case("en", SL, "PSA: tokens that start with ghp_ are GitHub personal access tokens. If you spot one in a "
     "screenshot, tell the owner.", kind="comment", tags=["hn:bare-prefix"])
# identifiers / own contact data
case("nl", C_HELP, "Vragen over je declaratie? Mail hoorzorg@veldzicht.nl of bel 030-760 22 00 (ma-vr 9-17u).",
     tags=["hn:own-contact"])
case("en", pub("x", "@dutchdaan"), "veldzicht customer service at +31307602200 sorted my lens subscription in "
     "5 minutes, credit where due", tags=["hn:own-contact"])
case("nl", pub("facebook", "Bas Hermans"), "Waarom krijg ik mijn terugbetaling niet? Oh wacht, ik had een cijfer "
     "verkeerd in mijn IBAN gezet 🙈 <<BAD_IBAN_NL:grp>> — mijn fout, niet die van Veldzicht",
     tags=["hn:bad-iban"])
case("en", pub("reddit", "u/newframes_who_dis"), "Order #<<NOT_BSN9>> from veldzicht shipped today, tracking "
     "3SVZD<<DIGITS:9>>. Frames look great in the photos", tags=["hn:order-number"])
case("nl", pub("x", "@tikfoutje"), "Iemand anders ook dat de Veldzicht-app 'ongeldige kaart' zegt? Had "
     "<<BAD_CARD:mc_sp>> ingetypt, bleek een tikfout 🤦", tags=["hn:bad-card"])
case("nl", pub("instagram", "@lenzenruil"), "Mijn ZichtLens doosje, barcode <<EAN13>>, sterkte -3.25. Iemand die "
     "nog een doosje -3.00 over heeft om te ruilen?", tags=["hn:ean"])
case("en", C_X, "Paying an invoice by bank transfer? Our account is <<OWN_IBAN:grp>> (Veldzicht Opticiens B.V.), "
     "please mention your invoice number.", tags=["hn:own-iban"])
case("nl", pub("x", "@jolien_r"), "Mijn sterkte: R -2.75 cyl -0.50 as 90, L -3.00. Clarity Progressief of gewoon "
     "enkelvoudige glazen? Ben 44 😅", tags=["hn:prescription"])
case("nl", pub("x", "@tevreden_tineke"), "KLANTENSERVICE@VELDZICHT.NL reageert echt snel, binnen een uur antwoord",
     tags=["hn:own-contact"])
case("nl", C_X, "Hoorzorg nodig? Bel gratis 0800-8353 of plan online via afspraak.veldzicht.nl",
     tags=["hn:own-contact"])
case("en", pub("reddit", "u/grenzganger"), "Veldzicht's refund form rejected my German IBAN <<BAD_IBAN_DE>> ... "
     "oh wait, typo. never mind, works now", kind="comment", tags=["hn:bad-iban"])
# embargo / confidential near-misses
case("nl", DM, "Echo 9 is vanaf vandaag in alle winkels! Kom langs voor een gratis proefperiode 🎧",
     when="2026-09-24T10:00:00+02:00", tags=["hn:embargo-at"])
case("en", pub("x", "@hearing_henk"), "just got the Echo 9 fitted, absolute game changer in restaurants",
     when="2026-10-05T19:22:10Z", tags=["hn:embargo-after"])
case("nl", C_LI, "Vandaag publiceerden wij onze halfjaarcijfers 2026: omzet +4%, sterke groei in hoorzorg. "
     "Lees het volledige persbericht op veldzicht.nl/pers", when="2026-08-27T08:00:00+02:00",
     tags=["hn:embargo-after"])
case("nl", pub("x", "@fd_retailwatch"), "Veldzicht zet groei door, blijkt uit halfjaarcijfers 2026. Marge wel "
     "onder druk door hogere loonkosten.", when="2026-08-28T06:45:00Z", tags=["hn:published"])
case("en", pub("x", "@lenslover"), "Clarity Neo lenses are honestly the best thing Veldzicht has done in years",
     when="2026-11-02T12:00:00.250Z", tags=["hn:embargo-after"])
case("nl", pub("x", "@lichtgevoelig"), "Mijn iris is blijkbaar heel licht van kleur, zei de optometrist bij "
     "Veldzicht. Daarom ben ik zo gevoelig voor zon ☀️😎", tags=["hn:codename-word"])
case("nl", pub("x", "@meneer_natuurkunde"), "Lorentzkracht uitleggen aan 4-vwo met een bril die constant beslaat "
     "door de mondkapjes van vroeger-flashbacks 🥲", tags=["hn:codename-word"])
case("nl", pub("x", "@planmaker"), "Afspraak voor een oogmeting gemaakt via afspraak.veldzicht.nl, super "
     "makkelijk", tags=["hn:public-domain"])
case("en", NI, "Trade fair in Milan this week, so many gorgeous frames. Can't tell you which ones we're buying "
     "though 😉", tags=["hn:teaser"])
# financial near-misses
case("en", pub("reddit", "u/retail_watcher"), "Lensplaza announced 200 layoffs today, rough times for optical "
     "retail", tags=["hn:other-company"])
case("en", C_LI, "We're opening 5 new stores this autumn and we're hiring! Opticians, audiologists, store managers: "
     "werkenbij@veldzicht.nl", tags=["hn:published", "hn:own-contact"])
case("en", pub("linkedin", "sara-bakker-consultant"), "Congrats to the team at Lensplaza on acquiring OogHuis "
     "Noord! Big move in Dutch optical retail.", tags=["hn:other-company"])
# security near-misses
case("nl", C_HELP, "Gepland onderhoud: zondag 02:00–05:00 is afspraak.veldzicht.nl niet bereikbaar. Excuses voor "
     "het ongemak!", tags=["hn:official-notice"])
case("en", C_X, "Update: this morning's webshop outage has been resolved. Orders placed during the outage will be "
     "processed as normal. Sorry for the trouble!", tags=["hn:official-notice"])
case("en", pub("x", "@newsjunkie_nl"), "Lensplaza data breach: 40k customers affected according to NOS. "
     "Change your passwords folks", tags=["hn:other-company"])
case("nl", C_FB, "Let op: er gaan nep-winacties rond op Facebook uit naam van Veldzicht. Wij vragen nooit om je "
     "bankgegevens via Messenger!", tags=["hn:official-notice"])
# reputation near-misses
case("en", pub("x", "@movie_marc"), "Total Recall is on tv tonight and I still can't read the subtitles without my "
     "veldzicht glasses 😂", tags=["hn:recall-word"])
case("nl", pub("x", "@trouwe_klant"), "Boycot? Nee joh, ik ga gewoon weer naar Veldzicht. Altijd goed geholpen.",
     tags=["hn:boycott-word"])
case("en", pub("reddit", "u/thrillerwriter"), "Writing a thriller where an optician chain covers up a deadly lens "
     "defect. Anyone know how a product recall actually works in NL?", tags=["hn:fiction"])
case("nl", pub("x", "@tevreden_klant"), "Geen klachten over Veldzicht hoor, binnen een week mijn nieuwe bril en "
     "supergoed geholpen 👍", tags=["hn:negated-complaint"])
case("en", pub("x", "@toddler_mom"), "Does anyone know if Veldzicht does eye tests for kids under 6? Asking for my "
     "toddler who keeps squinting at the tv", tags=["hn:question"])
case("nl", pub("facebook", "Ria Hofman"), "Dank aan Daan van Veldzicht Deventer die mijn vader zo geduldig heeft "
     "geholpen met zijn nieuwe hoortoestel ❤️", tags=["hn:praise"])
case("en", pub("reddit", "u/progressive_newbie"), "How long did it take you to get used to progressives? Mine "
     "from Veldzicht feel a bit odd on stairs, the optician explained it well, just curious about your experience.",
     tags=["hn:question"])
case("en", pub("x", "@philosophy_phil"), "'Hell is other people' — Sartre. Also hell: choosing frames when you "
     "can't see a thing without your glasses 😂", tags=["hn:quote"])
case("nl", pub("x", "@in_memoriam_oom"), "Mijn oom is vorige week overleden aan kanker. Hij droeg 40 jaar een bril "
     "van Veldzicht en de mensen uit de winkel stuurden een kaartje. Mooi gebaar.", tags=["hn:literal"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn collega zonder bril is net een mol, ziet echt helemaal niks 😂 naar "
     "Veldzicht jij!", tags=["hn:joke"])
case("en", pub("x", "@bookworm_bea"), "The Idiot by Dostoevsky in large print, finally readable with my new "
     "veldzicht readers 📚", tags=["hn:title"])
case("nl", C_HELP, "@annevdb Wat vervelend dat je bestelling vertraagd is! Stuur ons een DM met je bestelnummer, "
     "dan zoeken we het meteen uit.", kind="reply", tags=["hn:corporate-apology"])
# ordinary posts
case("en", C_TT, "POV: you walk in for an eye test and walk out with the frames of your dreams ✨ #veldzicht "
     "#glasses #fyp", tags=["hn:promo"])
case("nl", pub("x", "@zilver_vraag"), "Weet iemand of Zilveren Kruis lenzen vergoedt als ik ze bij Veldzicht koop?",
     tags=["hn:question"])
case("nl", C_LI, "Trots: Veldzicht Hoorzorg wint de Hoorzorg Award 2026 voor klanttevredenheid 🏆 Dank aan alle "
     "collega's in de winkels!", tags=["hn:ordinary"])
case("nl", pub("reddit", "u/daglens_dilemma"), "Veldzicht of Lensplaza voor daglenzen? Prijs scheelt weinig, "
     "wie heeft betere service?", kind="comment", tags=["hn:competitor"])
case("nl", pub("nextdoor", "Buurtgroep Lombok"), "Weet iemand of de Veldzicht op de Kanaalstraat ook op zaterdag "
     "open is?", tags=["hn:question"])
case("nl", C_HELP, "@jeroen_k Je kunt je hoortoestel gewoon langsbrengen in de winkel, reparaties onder garantie "
     "zijn kosteloos. Fijne dag!", kind="reply", tags=["hn:ordinary"], handle_as="@VELDZICHT_helpt")


# =========================================================================== roles, severity
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


# =========================================================================== building
def ams_offset(t):
    s = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    e = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if s <= t < e else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", None
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-brillenpraat-{n}", f"https://forum.brillenpraat.example/t/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_ID))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.8:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "veldzicht"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# =========================================================================== self-checks
def check(rows, profile):
    errs = []
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        t = p["text"]
        tf = t.casefold()
        benign = not ex["categories"]
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_"):
                ok = iban_ok(raw)
            elif k == "CARD":
                ok = luhn_ok(raw)
            elif k == "BSN":
                ok = bsn_ok(raw)
            elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
                ok = not iban_ok(raw)
            elif k == "BAD_CARD":
                ok = not luhn_ok(raw)
            elif k in ("NOT_BSN9", "NOT_BSN8"):
                ok = not bsn_ok(raw) and not luhn_ok(raw)
            elif k == "EAN13":
                ok = ean13_ok(raw) and not luhn_ok(raw) and not bsn_ok(raw)
            elif k == "GHP":
                ok = b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
            elif k == "OWN_IBAN":
                ok = iban_ok(raw) and raw in profile["public_identifiers"]["ibans"]
            else:
                ok = True
            if not ok:
                errs.append((p["id"], "identifier", k, raw))
            if benign and k in VALID_ID:
                errs.append((p["id"], "valid id in benign", k))
        created = parse_ts(p["created_at"])
        for term, until in emb:
            if term in tf:
                if created < until and CONF not in ex["categories"]:
                    errs.append((p["id"], "embargo before but no CONF", term))
                if created >= until and benign is False and CONF in ex["categories"] and \
                        not any(cn in tf for cn in codenames):
                    errs.append((p["id"], "embargo after but CONF", term))
        if benign:
            for cn in codenames:
                if cn in tf:
                    errs.append((p["id"], "codename in benign", cn))
            for d in profile["internal"]["domains"]:
                if d in tf:
                    errs.append((p["id"], "internal domain in benign", d))
            for m in profile["internal"]["markers"]:
                if m in tf:
                    errs.append((p["id"], "marker in benign", m))
        if not (2026 <= created.year <= 2026):
            errs.append((p["id"], "year"))
        if len(t.encode()) > 65536:
            errs.append((p["id"], "size"))
    return errs


def stats(rows):
    from collections import Counter
    n = len(rows)
    ben = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"cases {n}, benign {ben}, positives {n - ben}, "
          f"multi {sum(1 for r in rows if len(r['expect']['categories']) > 1)}, "
          f"evasion {sum(1 for r in rows if 'evasion' in r['tags'])}")
    print("lang", Counter(r["lang"] for r in rows))
    print("role", Counter(r["role"] for r in rows))
    print("sev", Counter(r["expect"]["severity"] for r in rows))
    print("platform", Counter(r["post"]["platform"] for r in rows))
    for c in CATS9:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"  {c:22s} {len(rs):3d}  nl {sum(r['lang'] == 'nl' for r in rs):2d}  "
              f"roles {dict(Counter(r['role'] for r in rs))}")
    bs = [r for r in rows if not r["expect"]["categories"]]
    print("benign roles", Counter(r["role"] for r in bs), "lang", Counter(r["lang"] for r in bs))


def main():
    with open(PROFILE, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    rows = build(profile)
    errs = check(rows, profile)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    if "--stats" in sys.argv:
        stats(rows)


if __name__ == "__main__":
    main()
