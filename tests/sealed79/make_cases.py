#!/usr/bin/env python3
"""Deterministic generator for the sealed79 blind evaluation set.

    python3 make_cases.py      # writes cases.jsonl next to this file and self-checks it

Company: Spijker & Zonen Bouwmarkten B.V. (fictional Dutch DIY / hardware chain), see
profile.yaml. Texts are hand-written in CASES below; identifiers and secrets come from
<<PLACEHOLDER>> tokens filled by one seeded RNG, so every run gives the same bytes.
Positives get checksum-valid identifiers, benign near-misses get identifiers that fail
their checksum. Severity is computed from CONTRACT section 4 (never typed by hand),
with the account role looked up in profile.yaml by platform:handle (case-insensitive).
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
from pathlib import Path

SEED = 79_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o (looks like Latin o)
CYR_E = "\u0435"  # Cyrillic small e
CYR_A = "\u0430"  # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_make(cc, bban):
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(p):
    return next(p + x for x in "0123456789" if luhn_ok(p + x))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "TRIO", "ASNB", "KNAB"])
                             + self.d(10, True))
        if cc == "BE":
            f = self.r.choice(["001", "063", "310", "735", "143"]) + self.d(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10010010", "30020900", "50070010", "37050198"]) + self.d(10))
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "HBUK", "NWBK", "LOYD"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
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
            v = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(v):
                return v

    def phone(self, f):
        if f.startswith("mob"):
            e = self.r.choice("12345") + self.d(7)          # 8 digits after '06'
            return {
                "mob_dash": f"06-{e}",
                "mob_plain": f"06{e}",
                "mob_sp": f"06 {e[:4]} {e[4:]}",
                "mob_pairs": f"06-{e[:2]} {e[2:4]} {e[4:6]} {e[6:]}",
                "mob_intl": f"+31 6 {e[:2]} {e[2:5]} {e[5:]}",
                "mob_intl_c": f"+316{e}",
                "mob_0031": f"0031 6 {e}",
                "mob_intl0": f"+31 (0)6 {e}",
            }[f]
        area = self.r.choice(["10", "13", "15", "20", "24", "26", "30", "33", "35", "40", "50", "55",
                              "70", "71", "73", "76", "77", "79"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[f]

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT"})
        body = enc({"sub": "emp_" + self.d(5, True), "aud": "wms-handheld", "iss": "auth.spijker.nl",
                    "iat": iat, "exp": iat + 28800})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 8 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%*") + self.c(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = g.bad_iban(kind[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = g.ean13()
        elif kind == "PHONE":
            shown = raw = g.phone(f)
        elif kind == "GHP":
            shown = raw = g.ghp()
        elif kind == "AWS_ID":
            shown = raw = "AKIA" + g.c(B32, 16)
        elif kind == "AWS_SECRET":
            shown = raw = g.c(B64, 40)
        elif kind == "SLACK_BOT":
            shown = raw = f"xoxb-{g.d(11, True)}-{g.d(13, True)}-{g.c(ALNUM, 24)}"
        elif kind == "STRIPE":
            shown = raw = "sk_live_51" + g.c(ALNUM, 97)
        elif kind == "GAPI":
            shown = raw = "AIzaSy" + g.c(B64URL, 33)
        elif kind == "MOLLIE":
            shown = raw = "live_" + g.c(ALNUM, 30)
        elif kind == "SENDGRID":
            shown = raw = "SG." + g.c(B64URL, 22) + "." + g.c(B64URL, 43)
        elif kind == "AZURE_KEY":
            shown = raw = g.azure_key()
        elif kind == "JWT":
            shown = raw = g.jwt()
        elif kind == "PEM_RSA":
            shown = raw = g.pem_rsa()
        elif kind == "PW":
            shown = raw = g.password()
        elif kind == "HEX":
            shown = raw = g.c("0123456789abcdef", int(f))
        elif kind == "TRACK":
            shown = raw = "3SSPKR" + g.d(9, True)
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
SP_NL = ("x", "@spijker_nl", "Spijker Bouwmarkt")
SP_HELP = ("x", "@spijker_helpt", "Spijker Klantenservice")
SP_IG = ("instagram", "@spijkerbouwmarkt", "Spijker")
SP_LI = ("linkedin", "spijker-en-zonen", "Spijker & Zonen Bouwmarkten B.V.")
SP_FB = ("facebook", "SpijkerBouwmarkt", "Spijker Bouwmarkt")
SP_TT = ("tiktok", "@spijker.klust", "Spijker")
# employees
LV = ("x", "@lotte_verfadvies", "Lotte Vermeulen")            # paint desk, store Arnhem
RM = ("linkedin", "ruben-mertens-spijker", "Ruben Mertens")    # platform engineer
DV = ("x", "@daan_vakpunt", "Daan Verschoor")                 # trade counter Utrecht
YH = ("linkedin", "yasmina-haddou", "Yasmina Haddou")         # finance / controlling
KK = ("instagram", "@keukenkees", "Kees Kramer")              # kitchen designer
SD = ("x", "@svendc_tilburg", "Sven Dijkman")                 # distribution centre Tilburg
EW = ("linkedin", "eva-wouters-ecommerce", "Eva Wouters")     # e-commerce manager
MB = ("threads", "@mo.bouwmarkt", "Mohamed Bouzid")           # weekend staff Rotterdam


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None, platform_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform_as or platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", EW, "Morning all. Our overnight price sync from the ERP misread a decimal column, so a handful of kitchen "
     "SKUs are live at a tenth of their price. The Lindholm keuken is showing €649,50 on the webshop right now. "
     "Rollback is running, please don't screenshot or share.", [PRICING])
case("nl", DV, "Vakpunt kassa rekent de CZ190 cirkelzaag af voor €22,90 😳 komma op de verkeerde plek gezet in het "
     "systeem. Aannemers staan al in de rij, ik mag er niks over zeggen", [PRICING])
case("nl", pub("x", "@bartjuh_klust"), "HD160 hogedrukreiniger voor 27,90 bij Spijker??? Prijsfout lijkt me 😂 "
     "liggen er al 3 in m'n winkelmand #prijsfout #spijker", [PRICING])
case("en", pub("reddit", "u/terrace_tinkerer"), "Spijker's NL webshop has the Groenhof loungeset Texel at €89.90 "
     "instead of 899. Looks like someone dropped a digit. Placed an order, confirmation email came through, we'll "
     "see if they cancel.", [PRICING], kind="comment")
case("nl", pub("facebook", "ingrid.hoogland.58", "Ingrid Hoogland"), "Kleurvast muurverf extra mat, 10 liter, "
     "voor €8,49 in de app van Spijker. Dat moet toch een foutje zijn? Heb er maar 4 gepakt voor de woonkamer "
     "en de gang 🤭", [PRICING])
case("nl", SP_IG, "☀️ ZOMERKNALLER ☀️\nGroenhof GM42 accugrasmaaier nu voor €149!\nOp = op, alleen online 👉 "
     "webshop.spijker.nl/gm42 #tuin #grasmaaien", [PRICING])
case("nl", LV, "Collega's, let op: p r i j s f o u t op de Kleurvast muurverf in de webshop, staat op 8 euro 45. "
     "Niet doorsturen naar vrienden 🙊", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("tiktok", "@klusmeid_anouk"), f"prijsf{CYR_O}ut alert 🚨 Stevig reformladder 3x9 voor €23,90 bij "
     f"Sp{'ij'}k{CYR_E}r, nu checken voordat ze het doorhebben!! #klussen #deal", [PRICING],
     tags=["evasion", "evasion:homoglyph"])
case("en", SD, "lol the pick lists in the DC have the Stevig 3x9 ladder at €2.39 and the webshop shows the same. "
     "pallets are flying out, nobody upstairs has noticed yet 🙃", [PRICING])
case("nl", pub("forum", "Kortingsjager_040"), "[Prijsfout] Spijker - SpijkerPro AB18 accuboormachine €14,90\n\n"
     "Normaal €149. Bij mij ging de bestelling gewoon door, betaald met iDEAL. Afhalen in de winkel kan ook "
     "volgens de site.", [PRICING])
case("nl", MB, "Klant kwam vandaag aan de balie met een screenshot: Lindholm keuken voor 649 euro 😅 Teamleider "
     "zegt dat het een fout in het prijssysteem is en dat we de order gaan annuleren. Niet verder vertellen aub",
     [PRICING])
case("en", pub("youtube", "@weekendbuilder_nl"), "snagged the CZ190 circular saw from Spijker for 22 euros during "
     "last night's price mistake, order still says confirmed 🤞", [PRICING], kind="comment")
case("en", pub("x", "@dealhound_ams"), f"pricing{ZW} error at Spijker: Groenhof GM42 mower for €37.90 on the app. "
     "go go go", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", RM, "Prijsimport is vannacht misgegaan, de HD160 staat sinds 06:00 voor €27,90 online. Issue staat op "
     "gitlab.spijker.nl/webshop/pricing/-/issues/812, hotfix na de release-freeze.", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", RM, "Lesje voor iedereen die met Azure werkt: dit stond gewoon hardcoded in een deploy-script van ons "
     "voorraadportaal 🙈\n\nDefaultEndpointsProtocol=https;AccountName=spkvoorraadprod;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net\n\nIs al geroteerd hoor. Gebruik Key Vault, mensen. #devops #cloud", [SECRET])
case("en", EW, "Does anyone know why Mollie keeps rejecting our test orders? Using the key from the dashboard: "
     "<<MOLLIE>> and every iDEAL payment bounces with 401 😩", [SECRET])
case("en", SD, "dc-alerts bot died again 💀 token <<SLACK_BOT>> still works in postman, can someone from IT check "
     "the channel config", [SECRET])
case("en", pub("reddit", "u/apk_unzipper"), "Decompiled the Spijker Android app (v7.3.0) out of curiosity. "
     "Hard-coded in a config class: aws_access_key_id=<<AWS_ID>> aws_secret_access_key=<<AWS_SECRET>>. "
     "That bucket holds product images and, judging by the names, invoice PDFs.", [SECRET])
case("en", pub("forum", "js_snooper"), "Spijker's store locator loads a Google Maps key with no referrer "
     "restriction: <<GAPI>> I used it from localhost without any trouble.", [SECRET], kind="reply")
case("en", RM, "Spent my Friday chasing why our mirror job couldn't push to GitHub. Turns out the PAT expired. "
     "New one is in the runner env now: <<GHP>> just fyi for the platform team.", [SECRET])
case("nl", SP_HELP, "@w_kuiper Hoi Wim, je account is ontgrendeld. Je tijdelijke wachtwoord is Tuinhek-4821, "
     "wijzig het meteen na het inloggen. Fijne dag!", [SECRET], kind="reply")
case("nl", pub("x", "@petravdmeer"), "@spijker_helpt ik kan al 3 dagen niet inloggen in de Spijker app!!! inlog is "
     "p.vandermeer67@kpnmail.nl en ww Hortensia77 , wat doe ik verkeerd?? klantenpas werkt ook niet", [SECRET, PII, COMPLAINT],
     kind="reply")
case("nl", RM, "Eindelijk opgelost: de SFTP-koppeling met onze tegelleverancier faalde door een verlopen sleutel. "
     "Voor de documentatie de oude sleutel (wordt niet meer gebruikt):\n<<PEM_RSA>>", [SECRET])
case("nl", MB, "w.a.c.h.t.w.o.o.r.d van de kassa-pc bij de tuinafdeling is nu Bouwmarkt#<<HEX:4>> , voor wie "
     "zaterdag invalt 👍", [SECRET], tags=["evasion", "evasion:dotted"])
case("en", EW, "Quick one: the stock sync writes to the WMS db with postgresql://wms_sync:<<PW>>@db02.wms.spijker.local"
     ":5432/voorraad, if your local env keeps timing out try that.", [SECRET, CONF])
case("en", pub("blog", "hannekedeboer.dev", "Hanneke de Boer"), "Part 3 of my retail web audit. The old Spijker "
     "garden-campaign microsite still embeds a live Stripe secret key in its checkout JS: <<STRIPE>> . I mailed "
     "pers@spijker.nl ten days ago. No reply so far.", [SECRET])
case("en", EW, "SendGrid key for the newsletter tool while Joost is on holiday: <<SENDGRID>> (only for the Friday "
     "garden mailing pls)", [SECRET])
case("en", SD, "handheld scanners keep logging us out. session token from my device: <<JWT>> expires way too early?",
     [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LV, "Mevrouw de Wit heeft haar gemengde verf (2x Kleurvast, kleur 'Zeemist') laten staan bij de "
     "mengbalie. Wie haar kent: ze is bereikbaar op <<PHONE:mob_dash>>", [PII])
case("nl", SP_HELP, "@arjen_mol Hoi Arjen, het retourbedrag van €229 is vandaag teruggestort op "
     "<<IBAN_NL:grp>>. Reken op 1 à 2 werkdagen 👍", [PII], kind="reply")
case("nl", pub("x", "@k_oosterhuis"), "@spijker_helpt drie weken na het terugbrengen van die ladder nog steeds "
     "geen geld op <<IBAN_NL>> . Hoe lang nog???", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "johan.brink.73", "Johan Brink"), "Spijker heeft voor één bestelling tuintegels twee "
     "keer afgeschreven van mijn creditcard <<CARD:mc_sp>> (geldig t/m 04/28). Klantenservice reageert niet. "
     "@SpijkerBouwmarkt", [PII, COMPLAINT])
case("en", KK, "Another Lindholm kitchen done ✅ Huge thanks to the Jansen family, Merelstraat 14, 3521 KL Utrecht, "
     "for the coffee and the trust 🙏 #kitchendesign #spijkerkeukens", [PII])
case("nl", YH, "Voor de collega die de reiskosten van Nadia Bakker verwerkt: haar rekening is <<IBAN_NL:grp>>, "
     "en bij vragen kun je haar bellen op <<PHONE:mob_intl>>.", [PII])
case("nl", DV, "Aannemer belt z'n Amex door voor de bestelling gipsplaten, <<CARD:amex_sp>> exp 09/27. Kan "
     "iemand met kassa-rechten dit even invoeren?", [PII])
case("en", pub("reddit", "u/keukendrama"), "Spijker's kitchen financing form wants my BSN. Fine, typed "
     "<<BSN>> and the page just errors out. Three evenings now. Their support line is no help at all.",
     [PII, COMPLAINT])
case("en", SD, "Happy birthday to the forklift legend Gerrit Schouten, born 12-07-1968 and still the fastest "
     "reach-truck driver in the DC 🎂🚜", [PII], when="2026-07-12T07:41:09+02:00")
case("nl", pub("instagram", "@linda.buitenleven"), "Texel loungeset na één zomer helemaal verkleurd en "
     "garantie afgewezen. Mail me maar op linda.smeets84@gmail.com want via de DM reageren jullie niet",
     [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@rens_renoveert"), "@spijker_nl stuur de offerte voor de badkamertegels maar naar "
     "rens.derksen [at] hotmail [punt] com, jullie formulier slikt m'n adres niet", [PII],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("threads", "@fam.verhoef"), "Voor de bezorger van Spijker morgen met onze loungeset: bel even op "
     "<<PHONE:mob_intl0>> of vast <<PHONE:land_sp>>, de bel doet het niet 🙃", [PII])
case("nl", MB, "Iemand heeft z'n rijbewijs en een briefje met BSN <<BSN:dots>> laten liggen bij de "
     "servicebalie, naam staat erop, R. Tahiri. Ligt in de kluis", [PII])
case("en", pub("forum", "anon_throwaway88"), "the Spijker store manager who threw me out is Marco Hendriks, he "
     "lives at Wilgenlaan 22, 6822 BK Arnhem. go tell him what you think of him, the pathetic little rat",
     [PII, ABUSE])
case("nl", pub("facebook", "stijn.claes.gent", "Stijn Claes"), "Tuinhuis besteld bij Spijker vanuit Gent, betaald "
     "via <<IBAN_BE:grp>> en binnen vijf dagen geleverd. Prima service, ook voor ons Belgen 🇧🇪", [PII])
case("en", pub("mastodon", "@mkrause@norden.social", "M. Krause"), "Transferred the money for my Spijker order "
     "from <<IBAN_DE>> four days ago and the status still says 'awaiting payment'. @spijker_helpt any idea?",
     [PII, COMPLAINT])
case("nl", SP_FB, "Hoi Sandra, onze keukenadviseur belt je donderdagochtend terug op <<PHONE:mob_0031>>. "
     "Groetjes, team Spijker Keukens", [PII], kind="comment", handle_as="spijkerbouwmarkt", tags=["case-handle"])
case("en", EW, "Refund batch failed for one UK webshop customer, account <<IBAN_GB>>. Can finance push it "
     "manually before the weekend?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LV, "Mag er echt nog niks over zeggen, maar Project Zaagbok wordt voor ons eigen gereedschap een hele "
     "grote stap 🔨👀", [CONF])
case("en", RM, "Cutover weekend for Operatie Dakgoot is done. 36 hours, 4 pizzas, zero rollbacks. So proud of this "
     "team 🚀", [CONF])
case("nl", SD, "Hele hal 3 staat vol pallets met 'Project Kwartelkoning' stickers en we mogen ze niet openmaken 🤐 "
     "iemand een idee?", [CONF])
case("en", pub("reddit", "u/diy_dennis"), "My neighbour works at Spijker HQ: the Spijker Klusbox is a monthly tool "
     "subscription, launching mid-September, about €25 a month. You heard it here first.", [CONF],
     when="2026-07-03T21:14:50+02:00", tags=["embargo-before"])
case("nl", DV, "Vanaf vandaag kunnen aannemers het Klusbox-abonnement bij ons aan de balie afsluiten 💪 vraag "
     "ernaar!", [CONF], when="2026-09-15T09:30:00+02:00", tags=["embargo-before", "tz-trap"])
case("en", EW, "For the webshop squad: the Q3 roadmap deck is on sharepoint.spijker-intern.nl/sites/ecom/Roadmap "
     "if you want to read up before Monday 📄", [CONF])
case("nl", YH, "Trots op het team! De halfjaarcijfers 2026 zijn af: omzet €412 mln, EBITDA-marge 7,9%. "
     "Donderdag gaan ze naar buiten 🎉", [CONF, FIN], when="2026-08-17T18:05:33+02:00", tags=["embargo-before"])
case("nl", pub("x", "@klusnieuws_nl"), "Gerucht: Spijker werkt aan 'Project\nZaagbok', een eigen lijn accugereedschap "
     "voor de vakman. Wie weet meer?", [CONF], tags=["evasion", "evasion:linebreak"])
case("en", MB, "the new planogram for the paint aisle literally has 'SPIJKER INTERN' across the top and they just "
     "left a stack of them in the canteen lol", [CONF])
case("en", KK, "Just saw the first samples of next year's kitchen line that nobody outside the design team is "
     "allowed to see yet. Matte sage fronts, handleless. Launch is 2027, that's all I'm saying 🤫", [CONF])
case("nl", pub("forum", "bouwmarktbaas"), "Kreeg een pdf doorgestuurd van een kennis, bovenaan staat "
     "'VERTROUWELIJK - ALLEEN MEDEWERKERS'. Het is de nieuwe bonusregeling voor filiaalmanagers van Spijker. "
     "Ik zet hem niet online maar pfff", [CONF])
case("nl", LV, "Operatie 🌧️ Dakgoot gaat ons echt helpen aan de mengbalie, geen dubbele invoer meer 🙌",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", SP_LI, "We're hiring a Category Manager Garden! [internal use only: salary band F, budget approved for "
     "2 FTE] Apply via spijker.nl/vacatures", [CONF])
case("en", EW, "Final check on the interim results 2026 deck tonight. Big day next week 😅", [CONF],
     when="2026-08-12T22:30:00+02:00", tags=["embargo-before"])
case("nl", ("instagram", "@daan_vakpunt", "Daan V."), "Stiekem een blik geworpen op Project Kwartelkoning 🌱 "
     "als dit volgend voorjaar in de winkels ligt worden jullie blij", [CONF], tags=["role-trap"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", DV, "Net gehoord in het werkoverleg: Vakpunt Utrecht-Noord gaat per 1 maart dicht, 14 collega's staan op "
     "straat. Officieel is er nog niks gezegd 😞", [FIN])
case("en", EW, "Can't say too much but the KlusMax takeover gets signed next Thursday. Five extra stores and their "
     "webshop come to us. Keep it quiet until the press release!", [FIN])
case("nl", SD, f"Reorganisatie DC Tilburg is rond: 40 man wordt ont{SHY}slagen, de rest gaat naar ploegendiensten. "
     "Vakbond weet nog van niks", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("reddit", "u/hoofdkantoorhoorder"), "Zwager werkt op het hoofdkantoor van Spijker: de hele keten "
     "wordt overgenomen door een Duitse bouwmarktgroep, deal moet voor de zomer rond zijn. Zeg maar niet waar "
     "je het hebt gehoord.", [FIN])
case("en", YH, "Board pack done. Full year EBITDA will land about 18% under budget, mostly the kitchen business. "
     "Not a fun Friday meeting ahead 😬", [FIN])
case("nl", LV, "Vandaag in het teamoverleg gehoord dat onze vestiging in Arnhem-Zuid eind van het jaar sluit. "
     "We mogen het nog tegen niemand zeggen, ook niet tegen vaste klanten 💔", [FIN])
case("nl", RM, "Nog niet officieel maar de helft van IT-beheer gaat naar een outsourcingpartner in Portugal. "
     "Onzekere tijden hier.", [FIN])
case("en", pub("x", "@amsterdamtrader"), "Hearing from a source inside Spijker that they're prepping an IPO on "
     "Euronext Amsterdam for spring 2027. Banks already picked.", [FIN])
case("nl", KK, "Gek idee dat Spijker Keukens wordt verkocht 😔 morgen horen de klanten het officieel, wij weten "
     "het al een week", [FIN])
case("en", YH, "Draft of the full-year results 2026 just went to the auditors: revenue €846m, net profit down "
     "to €11m. Long nights ahead.", [CONF, FIN], when="2026-12-19T19:40:00+01:00", tags=["embargo-before"])
case("nl", MB, "r3organisatie bij Sp1jker Rotterdam: 3 afdelingen samengevoegd en 9 mensen eruit, brief komt "
     "pas volgende maand 🤐", [FIN], tags=["evasion", "evasion:leet"])
case("nl", pub("linkedin", "joost-vermaat-retail", "Joost Vermaat"), "Uit betrouwbare bron: Spijker gaat 11 "
     "winkels sluiten en het Vakpunt-concept flink uitbreiden. Aankondiging volgt in Q1.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RM, "Long night. Ransomware hit the file servers in the DC around 3am, WMS is offline and we're "
     "restoring from backup. Comms hasn't said anything yet so please keep this between us.", [SEC])
case("nl", EW, "Gevonden dat je in de webshop andermans bestelling met adres kunt zien door het ordernummer in de "
     "URL te veranderen 😱 fix komt vanavond, nog niet naar buiten brengen", [SEC])
case("en", SD, "WMS is down because someone in the office clicked a phishing link. Whole DC is picking from "
     "paper lists and they're telling the stores it's 'planned maintenance' 🙄", [SEC])
case("nl", DV, "Vannacht zijn er op de Vakpunt-kassa's rare transacties geboekt, ICT denkt aan een inbraak in het "
     "systeem. We mogen er tegen klanten niks over zeggen", [SEC])
case("nl", LV, "Ons klantenbestand is geh4ckt, de regiomanager zei vanochtend dat we het nog niet mogen "
     "vertellen 😬", [SEC], tags=["evasion", "evasion:leet"])
case("en", MB, "every self-checkout in the Rotterdam store has been down since opening because of some malware "
     "thing, management says keep quiet and say 'technical issue'", [SEC])
case("nl", pub("x", "@wouter_kritisch"), "Spijker houdt een datalek stil. Mijn buurman werkt daar op IT, al een "
     "maand liggen klantgegevens op straat en niemand is ingelicht. Schandalig.", [SEC, CRISIS])
case("en", pub("forum", "contractor_kees"), "Spijker quietly patched a hole in the SpijkerPro trade portal. For "
     "weeks anyone could download other contractors' invoices, and not one of us was told. Is that even legal?",
     [SEC, CRISIS])
case("nl", KK, "De nieuwe keukenplanner laat iedereen andermans ontwerpen mét adres zien als je de link aanpast. "
     "IT weet het sinds maandag, nog steeds niet opgelost", [SEC])
case("en", YH, "Finance paid €84k to a fake supplier after a CEO-fraud email this week. Police are involved, "
     "nothing announced. Please don't spread this.", [SEC])
case("nl", RM, "Aanvaller zat sinds het weekend op intra.spijker.local, accounts van de winkels zijn gereset. "
     "Persbericht komt pas als forensisch onderzoek klaar is.", [SEC, CONF])
case("en", pub("tiktok", "@ex_spijker_jess"), "storytime: I used to work at Spijker and the loyalty database got "
     "breached back in March. They never told a single customer. Change your passwords 👀", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ellenvdveen"), "Mijn vader is van een Stevig reformladder 3x9 van Spijker gevallen, het "
     "scharnier brak gewoon af. Gebroken heup. Dit ding is levensgevaarlijk, @spijker_nl.", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "ronald.geerts.1", "Ronald Geerts"), "De accu van mijn SpijkerPro AB18 vloog vanmiddag "
     "in de fik in de garage, aan de lader. Brandweer moest komen. Spijker wil alleen een nieuwe boor "
     "sturen.", [CRISIS, COMPLAINT])
case("en", pub("x", "@rainforest_watch"), "Spijker still sells tropical hardwood garden decking without FSC papers. "
     "Stop shopping there until they change. #BoycottSpijker", [CRISIS])
case("nl", pub("reddit", "u/phishwatcher"), "Sinds gisteren krijg ik phishingmails met mijn Spijker-klantnummer "
     "en adres erin. Die data moet bij Spijker weggelekt zijn, dit is toch gewoon een datalek?", [CRISIS])
case("en", pub("linkedin", "mr-l-vos-advocaat", "mr. L. Vos"), "We are filing a class action on behalf of 230 "
     "customers of Spijker Keukens over worktops that warp within a year. More in our press release.",
     [CRISIS])
case("nl", pub("x", "@bouwvakker_boos"), "B O Y C O T   S P I J K E R\nze verkopen nog steeds "
     "dat onkruidgif waar bijen massaal aan doodgaan. Niks meer kopen daar!", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("instagram", "@noor_at_home"), "Spijker is quietly recalling the Groenhof HD160: the high-pressure "
     "hose can burst. My neighbour got hurt and he only heard about it from the repair shop.", [CRISIS])
case("nl", pub("tiktok", "@jamal.films"), "Beveiliger van Spijker Den Haag volgt alleen mij en mijn vrienden door "
     "de hele winkel en laat de rest met rust. Gefilmd. Racisme, gewoon. Deel dit.", [CRISIS])
case("nl", pub("forum", "oudpand_renovatie"), "Let op: de oude voorraad plafondplaten die Spijker in de uitverkoop "
     "deed bevat asbest, bevestigd door een lab. Wie heeft er nog meer gekocht?", [CRISIS])
case("en", pub("x", "@tessa_tuin"), "Got an electric shock off my Groenhof HD160 from Spijker this morning, "
     "the casing was wet on the inside. Unplugged and it's going straight back. Scary.", [CRISIS, COMPLAINT])
case("nl", pub("bluesky", "@consumentenclaim.bsky.social", "Stichting Keukenclaim"), "Vandaag dagvaarden we "
     "Spijker & Zonen Bouwmarkten namens ruim 300 keukenklanten. Lees de dagvaarding op onze site.", [CRISIS])
case("en", pub("threads", "@privacy.first"), "so Spijker had a massive d4t4l3k?? "
     "customer names + addresses from their loyalty card are for sale on some forum", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("mastodon", "@eerlijkhout@mastodon.nl"), "Onderzoek toont kinderarbeid in de keten van de "
     "Groenhof tuinmeubels. Spijker, neem verantwoordelijkheid. Koop daar geen loungeset meer.", [CRISIS])
case("nl", pub("x", "@gerritjan_b"), "Spijker verkoopt ladders die onder je voeten in elkaar klappen, stelletje "
     "criminele klootzakken zijn het", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@moniquebeek"), "@spijker_helpt onze keuken zou 3 weken geleden geleverd worden, sindsdien "
     "niks meer gehoord en niemand belt terug. Wonen nu al een maand zonder aanrecht 😤", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "gert.de.jong.55", "Gert de Jong"), "Verf laten mengen bij Spijker Zwolle, kleur komt "
     "totaal niet overeen met het staaltje. Nu zeggen ze dat het aan mijn muur ligt en krijg ik niks terug.",
     [COMPLAINT])
case("en", pub("reddit", "u/clickncollect_sadness"), "Third time that Spijker's click & collect text says 'ready' "
     "and then I stand at the desk for 40 minutes while they look for it. Why even have the service.",
     [COMPLAINT], kind="comment")
case("nl", pub("x", "@aannemer_joris"), "Vakpunt Utrecht om 7 uur: één man achter de balie en 15 aannemers in de "
     "rij. Ik betaal jullie voor tijd, niet voor wachten @spijker_nl", [COMPLAINT])
case("en", pub("youtube", "@toolreviews_rik"), "My SpijkerPro AB18 chuck cracked after two months. Service centre "
     "says six weeks for a repair. Not buying their own brand again.", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@tuin.van.femke"), "€59 bezorgkosten voor vier zakken potgrond bij Spijker. Ik herhaal: "
     "VIER ZAKKEN. Belachelijk.", [COMPLAINT])
case("en", pub("facebook", "paula.mcdonnell.nl", "Paula McDonnell"), "The Spijker kitchen fitter didn't show up. "
     "Again. Second time I took a day off work for nothing. Nobody called to cancel.", [COMPLAINT])
case("nl", pub("x", "@debbie_klust"), "Retour van een ongebruikte tegelzaag geweigerd omdat de doos open was. "
     "Hoe moet ik anders zien wat erin zit @spijker_helpt?", [COMPLAINT])
case("en", pub("bluesky", "@fixitfelix.bsky.social"), "Spijker webshop crashed at the payment step twice and "
     "now I have two pending charges and no order. Great Saturday.", [COMPLAINT])
case("nl", pub("reddit", "u/gazonman"), "GM42 accugrasmaaier van Spijker, accu houdt het nog geen tien minuten "
     "vol. Volgens de winkel 'normaal bij nat gras'. Echt niet dus.", [COMPLAINT])
case("en", pub("x", "@mw_wolff"), fullwidth("never again Spijker") + " — waited 5 weeks for a garden shed that "
     "arrived with half the panels missing", [COMPLAINT], tags=["evasion", "evasion:full-width"])
case("nl", pub("facebook", "anja.verbruggen.3", "Anja Verbruggen"), "Stelletje prutsers bij Spijker, voor de derde "
     "keer de verkeerde tegels geleverd en nu moet IK ze weer terugbrengen.", [COMPLAINT, ABUSE])

case("nl", pub("trustpilot", "Karin V."), "1 ster. Keuken besteld in maart, werkblad kwam met een barst, "
     "vervangend blad pas na 9 weken en de monteur liet een gat in de muur achter. Nooit meer Spijker Keukens.",
     [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@sjaak_uitdeknip"), "Dat personeel bij Spijker Almere, stelletje debielen zijn het. Allemaal.",
     [ABUSE])
case("en", pub("x", "@angrylad_nl"), "f*ck Spijker and f*ck their clown of a CEO", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/realdutchman77"), "Spijker Rotterdam is staffed by foreigners who can't even speak "
     "Dutch. Send them back where they came from.", [ABUSE])
case("nl", DV, "Die kut-aannemers die om 7:01 al staan te zeiken omdat hun pallet niet klaarstaat, ga toch "
     "lekker zelf stapelen, sukkels", [ABUSE])
case("nl", SP_NL, "@bert_de_klusser Doe eens normaal man, idioot. Lees eerst de handleiding voordat je hier loopt "
     "te blaten.", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@rotjoch_2009"), "spijker is een kankerzaak en iedereen die er werkt is een tyfuslijer",
     [ABUSE])
case("nl", pub("x", "@anoniem_klusser"), "die gasten van de Spijker klantenservice zijn echt k4nkerlijers en "
     "t y f u s klootzakken", [ABUSE], tags=["evasion", "evasion:leet-spaced"])
case("en", pub("instagram", "@jay.builds"), "that ugly old cow at the Spijker paint desk in Arnhem should be fired, "
     "someone tell her to crawl back under her rock", [ABUSE], kind="comment")
case("en", MB, "customers today were absolute morons. one guy tried to return a used toilet. A USED TOILET. "
     "idiots, the lot of them 🤮", [ABUSE])
case("en", pub("twitter", "@hardware_hater"), "Spijker staff are useless idiots and their CEO is a greedy pig",
     [ABUSE])
case("nl", pub("x", "@SPIJKER_HELPT_NIET"), "@spijker_helpt jullie zijn zo'n stelletje oplichters, "
     "godverdomme", [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# corporate
case("nl", SP_NL, "Deze week in de folder: Kleurvast muurverf extra mat 10 liter voor €64,95 (normaal €84,95). "
     "Geldig t/m zondag 🎨 #verven", tags=["sale-price"])
case("nl", SP_HELP, "@noortje_dh Vervelend! Stuur je ordernummer even naar klantenservice@spijker.nl of bel ons op "
     "088 774 5500, dan zoeken we het meteen uit.", kind="reply", tags=["own-contact"])
case("nl", SP_FB, "Gepland onderhoud: de webshop is vannacht van 01:00 tot 03:00 niet bereikbaar. Onze winkels zijn "
     "gewoon open. Excuses voor het ongemak!", tags=["official-notice"])
case("en", SP_LI, "Today we published our H1 2026 results: revenue up 4% with strong growth at our trade counters. "
     "Read the full report on spijker.nl/investors", when="2026-08-20T08:00:00+02:00", tags=["embargo-after"])
case("nl", SP_IG, "Hij is er! De Spijker Klusbox: elke maand gereedschap en materiaal voor je volgende klus, "
     "thuisbezorgd. Kijk op spijker.nl/klusbox 📦", when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("nl", SP_TT, "Zaagbok in 5 minuten in elkaar zetten? Zo doe je dat 🪚 #diy #klussen #zaagbok",
     tags=["word-not-codename"])
case("nl", SP_HELP, "@bouwbedrijf_ter_horst Facturen van het Vakpunt kun je overmaken naar NL47 RABO 0312 5467 89 "
     "o.v.v. je factuurnummer. Vragen? zakelijk@spijkerpro.nl", kind="reply", tags=["own-contact"])
case("nl", SP_NL, "Geen prijsfout hoor 😄 De Groenhof HD160 staat deze week echt voor €199. Op = op!",
     kind="reply", tags=["sale-price", "denied-error"])
case("nl", SP_IG, "€750 korting op elke Lindholm keuken tijdens de keukenweken 🏡 Maak een afspraak in de "
     "studio.", tags=["discount-amount"])
case("en", SP_LI, "Proud that 92% of the timber in our garden range is now FSC-certified. Next step: 100% by 2028.",
     tags=["published"])
case("nl", SP_FB, "Droomkeuken? De Lindholm keuken kun je ook gespreid betalen, vanaf €79 per maand. Vraag naar de "
     "voorwaarden in de keukenstudio.", tags=["monthly-price"])
case("nl", SP_HELP, "@robinbakker87 Je pakket is onderweg! Volg het met code <<TRACK>> op de site van de "
     "vervoerder.", kind="reply", tags=["tracking-number"])
# employees
case("nl", LV, "Tip van de verfbalie: eerst een laag grondverf op nieuw stucwerk, daarna twee dunne lagen. Scheelt "
     "je een hoop ellende 🎨", tags=["employee-benign"])
case("nl", KK, "Dakgoot liep over dit weekend, dus zaterdag maar de ladder op. Keukens ontwerpen is makkelijker 😅",
     tags=["word-not-codename"])
case("nl", DV, "Vakpunt Utrecht is vanaf maandag al om 6:30 open voor de vroege vogels. Koffie staat klaar ☕",
     tags=["employee-benign"])
case("en", RM, "Slides from my talk on secrets hygiene: never paste a ghp_… token in chat, use ${GITHUB_TOKEN} from "
     "the runner, and pin actions to a commit like <<HEX:40>>.", tags=["placeholder-secret", "git-sha"])
case("nl", YH, "De halfjaarcijfers 2026 staan online. Trots op het hele team, ook op de collega's in de winkels 💪",
     when="2026-08-21T09:15:00+02:00", tags=["embargo-after"])
case("en", EW, "Sad news for the industry: Bouwgigant confirmed a data breach today. Good reminder for all of us to "
     "turn on MFA everywhere.", tags=["other-company"])
case("nl", MB, "Eerste maand bij Spijker Rotterdam erop zitten, leuke collega's en ik weet nu eindelijk het "
     "verschil tussen een bolkop en een platkop schroef 😂", tags=["employee-benign"])
case("en", YH, "Congrats to our friends at PakjeSnel on the acquisition they announced this morning, big step for "
     "them.", tags=["other-company"])
# public
case("nl", pub("x", "@ria_renoveert"), "Super geholpen bij de verfafdeling van Spijker Arnhem, geen klachten "
     "hoor! Kleur precies goed.", tags=["negated-complaint"])
case("en", pub("reddit", "u/patio_pete"), "Groenhof HD160 at €279 or the Bouwgigant one at €189? Mostly for a "
     "patio and the car. Opinions?", tags=["price-context", "competitor"])
case("nl", pub("facebook", "hans.timmer.63", "Hans Timmer"), "Te koop: SpijkerPro AB18 accuboormachine, 2 jaar "
     "gebruikt, 2 accu's. €45, ophalen in Deventer.", tags=["second-hand"])
case("nl", pub("x", "@klushelden"), "Losse 18V accu voor de SpijkerPro AB18 kost €39 bij Spijker. Prima prijs "
     "vergeleken met de A-merken.", tags=["accessory"])
case("nl", pub("forum", "zondagsklusser"), "HD160 gehuurd bij Spijker voor €29 per dag, terras weer als nieuw. "
     "Aanrader als je hem maar één keer per jaar nodig hebt.", tags=["rental-fee"])
case("en", pub("x", "@tomfromdelft"), "can't recall if I bought the Stevig ladder at Spijker or at Bouwgigant, "
     "need the receipt for the warranty lol", tags=["recall-other-sense"])
case("nl", pub("x", "@lazysunday_nl"), "Ik boycot dit weekend alle klussen. Sorry @spijker_nl, bank en Netflix "
     "winnen 😴", tags=["boycott-other-sense"])
case("nl", pub("reddit", "u/gereedschapnerd"), "Bouwgigant roept haar eigen 18V klopboor terug vanwege oververhitting. "
     "Gelukkig heb ik de SpijkerPro.", tags=["other-company"])
case("en", pub("instagram", "@amy.renovates"), "My kitchen is a total crisis zone right now lol, but the Lindholm "
     "kitchen arrives Friday 😍", tags=["crisis-other-sense"])
case("nl", pub("x", "@doe_het_zelf_dirk"), "Lekkende sifon in tien minuten gefixt met een pakkingsetje van Spijker. "
     "Loodgieter uitgespaard 💧", tags=["leak-other-sense"])
case("en", pub("blog", "stories.by.mira", "Mira"), "Short story, part 2: the night manager of the hardware store "
     "counts the nails again. One box is short. He blames the ghost in aisle 7, as always.", tags=["fiction"])
case("en", pub("x", "@hammer_fan"), "\"If I had a hammer, I'd hammer in the morning\" 🎶 bought one at Spijker "
     "today, neighbours beware", tags=["quote"])
case("nl", pub("x", "@twijfelaar_tim"), "Is <<BAD_IBAN_NL:grp>> het goede rekeningnummer van Spijker? Mijn bank zegt "
     "dat het ongeldig is, denk dat ik een cijfer fout heb overgetypt", tags=["bad-iban"])
case("en", pub("reddit", "u/typo_king"), "Spijker checkout kept saying 'invalid card' for <<BAD_CARD:visa_sp>>. "
     "Turns out I swapped two digits. My fault, order went through fine after.", tags=["bad-card"])
case("nl", pub("facebook", "wendy.kok.77", "Wendy Kok"), "Afhaalnummer <<NOT_BSN9>> ligt klaar bij de balie in "
     "Amersfoort, heel vlot geregeld! 👍", tags=["order-number"])
case("nl", pub("x", "@verfvraag"), "Wat is de kleurcode van deze Kleurvast? Op de barcode staat <<EAN13>>, "
     "de sticker is eraf.", tags=["ean13"])
case("nl", pub("linkedin", "frank-bouwmeester-zzp", "Frank Bouwmeester"), "Vandaag een SpijkerPro-account "
     "aangevraagd voor mijn bedrijf (KvK <<NOT_BSN8>>). Benieuwd naar de aannemerskorting.", tags=["kvk"])
case("nl", pub("x", "@opa_wim"), "Belde gisteren 0800-0455 van Spijker over mijn grasmaaier, binnen 2 minuten "
     "iemand aan de lijn die er verstand van had.", tags=["own-contact"])
case("en", pub("x", "@school_project_lieke"), "Sent an email to pers@spijker.nl for my school project about "
     "retail, fingers crossed they answer!", tags=["own-contact"])
case("en", pub("x", "@budget_bouwer"), "Bouwgigant sells its own 18V drill for €59. The SpijkerPro AB18 is €149 but "
     "honestly feels twice as solid.", tags=["price-context", "competitor"])
case("nl", pub("bluesky", "@retailnieuws.bsky.social"), "Spijker publiceert halfjaarcijfers 2026: omzet +4%, "
     "winst licht lager door investeringen in de webshop.", when="2026-08-20T09:12:00Z", tags=["embargo-after",
                                                                                             "published"])
case("en", pub("x", "@gadget_gijs"), "The Spijker Klusbox is live, just signed up. First box has a bit set and "
     "sandpaper 🙌", when="2026-09-16T18:20:00+02:00", tags=["embargo-after"])
case("nl", pub("threads", "@vogelaar_utrecht"), "Vannacht eindelijk een kwartelkoning gehoord in de polder bij "
     "Zeist 🐦 wat een geluid!", tags=["word-not-codename"])
case("en", pub("x", "@logistics_lisa"), "Sad to hear PakjeSnel is cutting 200 jobs. Thinking of everyone there.",
     tags=["other-company"])
case("en", pub("youtube", "@sawdust_sunday"), "Great video! Got the CZ190 for €199 in the spring sale, cuts like "
     "butter.", kind="comment", tags=["sale-price"])
case("nl", pub("x", "@fsc_vraag"), "@spijker_helpt hebben jullie ook FSC steigerhout in 3 meter? Wil een "
     "plantenbak maken", tags=["question"])
case("en", pub("mastodon", "@paintnerd@mas.to"), "Spijker's paint mixing is genuinely great. Zero complaints, "
     "matched a 30-year-old sample perfectly.", tags=["negated-complaint"])
case("en", pub("instagram", "@tuinliefde"), "Damn, that Texel loungeset looks even better on our terrace than in "
     "the store 😍☀️", tags=["mild-word"])
case("en", pub("forum", "hobby_coder"), "Building a little stock checker for my local Spijker. Their public "
     "product API wants a header like x-api-key: YOUR_KEY_HERE, anyone got the docs link?",
     tags=["placeholder-secret"])
case("nl", DV, "Prijsfout? Nee hoor, de CZ190 voor €183 is gewoon de 20% aannemerskorting op je SpijkerPro-pas 😉",
     kind="reply", tags=["denied-error", "sale-price"])
case("en", pub("x", "@jokey_joe"), "My DIY skills are a security incident waiting to happen 😂 #spijker",
     tags=["joke"])
case("nl", pub("x", "@Lotte_Verf", "Lotte"), "Nieuwe kleurenwaaier van Kleurvast opgehaald bij Spijker, wat een "
     "mooie groentinten 🌿", tags=["lookalike-handle"])
case("nl", pub("facebook", "marco.peters.55", "Marco Peters"), "Onze nieuwe Lindholm keuken staat erin! Monteurs "
     "waren netjes en op tijd. Dank Spijker Keukens 👏", tags=["praise"])
case("nl", pub("x", "@spaarzaam_sanne"), "Rekeningnummer van Spijker voor vooruitbetalen is NL47RABO0312546789, "
     "stond gewoon op de factuur. Handig voor wie geen iDEAL heeft.", tags=["own-contact"])
case("nl", pub("google_reviews", "Erik Mulder"), "Vakpunt Nieuwegein: snelle service, zaagservice op "
     "maat en eerlijk advies over plaatmateriaal. 5 sterren.", tags=["unknown-platform", "praise"])
case("nl", SP_HELP, "@gijs_op_zolder Dank voor je melding! Bel ons gerust op +31 88 774 5500 of kom langs bij de "
     "servicebalie, dan kijken we samen naar je HD160.", kind="reply", tags=["own-contact"])


# ===========================================================================
# building
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


def dst_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    loc_min = r.randint(6 * 60 + 30, 23 * 60 + 30)
    guess = base + dt.timedelta(minutes=loc_min, seconds=r.randint(0, 59))
    off = dst_offset(guess)
    t = guess - dt.timedelta(hours=off)
    st = r.random()
    if st < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if st < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
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
        p = "".join(r.choice(b36) for _ in range(7))
        sub = r.choice(["klussen", "thenetherlands", "DIY", "tuinieren"])
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-klusforum-{n}", f"https://www.klusforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
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
        if c["dn"] and mr.random() < 0.7:
            acct["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
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
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "spijker"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         role=role, lang=c["lang"], tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# self-check (independent scans, not postwatch)
# ---------------------------------------------------------------------------
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-", r"sk_live_", r"AIza[0-9A-Za-z_-]{35}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY", r"eyJ[\w-]+\.eyJ", r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}",
    r"SG\.[\w-]{22}\.", r"AccountKey=")]


def digits_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    d = d.lstrip("0")
    return "0" + d


def self_check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {digits_phone(p) for p in profile["public_identifiers"]["phones"]}
    ids = set()
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        key = (p["platform"], p["id"])
        if key in ids:
            errs.append(f"dup id {key}")
        ids.add(key)
        dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        for kind, raw, shown in r["used"]:
            assert shown in p["text"]
            if kind.startswith("IBAN_"):
                assert iban_ok(raw), raw
            if kind.startswith("BAD_IBAN"):
                assert not iban_ok(raw), raw
            if kind == "CARD":
                assert luhn_ok(raw), raw
            if kind == "BAD_CARD":
                assert not luhn_ok(raw), raw
            if kind == "BSN":
                assert bsn_ok(raw), raw
            if kind in ("NOT_BSN9", "NOT_BSN8"):
                assert not bsn_ok(raw) and not luhn_ok(raw), raw
            if kind == "EAN13":
                assert ean13_ok(raw) and not luhn_ok(raw), raw
            if kind == "GHP":
                assert to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
        if not cats:
            t = p["text"]
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign with valid IBAN")
            for m in DIGITS_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{p['id']}: benign with Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d) and digits_phone(m.group(0)) not in own_phones:
                    errs.append(f"{p['id']}: benign with 11-proof-valid {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{p['id']}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = digits_phone(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{p['id']}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(t):
                    errs.append(f"{p['id']}: benign with secret-like {rx.pattern}")
        if "reputation.spike" in cats:
            errs.append("spike on a post")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        print("\n".join(errs))
        return 1
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    from collections import Counter
    cc, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        cats = r["expect"]["categories"]
        for c in cats or ["(benign)"]:
            cc[c] += 1
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("categories:", dict(sorted(cc.items())))
    print("multi-category:", sum(len(r["expect"]["categories"]) > 1 for r in rows),
          "evasion:", sum("evasion" in r["tags"] for r in rows))
    print("severity:", {s: sev[s] for s in SEVERITIES})
    print("roles:", dict(role), "langs:", dict(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
