#!/usr/bin/env python3
"""Deterministic generator for the sealed82 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

Company: the fictional "Nederlandse Kroonloterij N.V." (profile.yaml), a Dutch
state-licensed lottery and online gaming operator.

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-valid identifiers, benign look-alikes get ones that fail their
checksum. Secrets are random and fake but shaped like real ones.

Severity is computed (CONTRACT section 4) from the account role (profile lookup by
platform:handle, case-insensitive), the categories and whether a checksum-validated
identifier (IBAN mod-97, Luhn card, BSN 11-proof) is in a leak.pii post.
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

SEED = 82_2026_0921
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o
CYR_A = "\u0430"   # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


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


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_fill(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                               + self.d(10, True))
                if v != "NL57INGB0006781234":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "37050198", "12030000", "66010075"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["001", "068", "310", "735", "063"]) + self.d(7)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 43, 61):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
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
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"dash": "-", "dot": "."}.get(f, " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s) and not luhn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full) and not elfproef(full):
                return full

    def phone(self, f):
        if f.startswith("mob"):
            n8 = self.r.choice("12345") + self.d(7)
            return {
                "mob_dash": f"06-{n8}",
                "mob_plain": f"06{n8}",
                "mob_intl": f"+31 6 {n8[:2]} {n8[2:5]} {n8[5:]}",
                "mob_0031": f"0031 6{n8}",
                "mob_pairs": f"06 {n8[:2]} {n8[2:4]} {n8[4:6]} {n8[6:]}",
                "mob_intl_c": f"+316{n8}",
                "mob_intl0": f"+31 (0)6 {n8}",
            }[f]
        area = self.r.choice(["575", "546", "591", "523", "162", "478", "418", "299"])
        sub = self.r.choice("2345789") + self.d(5)
        return {
            "land_sp": f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def xoxb(self):
        return f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        h = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "speler-" + self.d(7, True), "iss": "https://mijn.kroonloterij.nl",
                             "scope": "password_reset", "iat": iat, "exp": iat + 900},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(3)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        rows = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACE = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        k, fmt = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = f.iban(k[5:])
            shown = f.g4(raw) if fmt == "grp" else raw.lower() if fmt == "low" else raw
        elif k.startswith("BADIBAN_"):
            raw = f.bad_iban(k[8:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k == "CARD":
            brand, _, cf = fmt.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, cf or "sp")
        elif k == "BADCARD":
            brand, _, cf = fmt.partition("_")
            raw = f.bad_card(brand)
            shown = f.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}",
                     "fw": fullwidth(raw)}.get(fmt, raw)
        elif k == "NOTBSN":
            raw = f.not_bsn(int(fmt or 9))
            shown = raw
        elif k == "EAN":
            shown = raw = f.ean13()
        elif k == "PHONE":
            shown = raw = f.phone(fmt)
        elif k == "DIG":
            shown = raw = f.d(int(fmt), True)
        elif k == "HEX":
            shown = raw = f.hexs(int(fmt))
        else:
            fn = {"GHP": f.ghp, "GLPAT": f.glpat, "AWSID": f.aws_id, "AWSSEC": f.aws_secret, "XOXB": f.xoxb,
                  "HOOK": f.slack_hook, "STRIPE": f.stripe, "GAPI": f.gapi, "JWT": f.jwt,
                  "SSHKEY": f.pem_openssh, "ECKEY": f.pem_ec, "PW": f.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PLACE.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
K_X = ("x", "@kroonloterij", "Kroonloterij")
K_SVC = ("x", "@kroonlot_service", "Kroonloterij Klantenservice")
K_IG = ("instagram", "@kroonloterij", "Kroonloterij")
K_FB = ("facebook", "Kroonloterij", "Kroonloterij")
K_LI = ("linkedin", "nederlandse-kroonloterij", "Nederlandse Kroonloterij N.V.")
K_TT = ("tiktok", "@kroonkras", "KroonKras")
# employees
MV = ("x", "@marloes_vleeuwen", "Marloes van Leeuwen")        # marketing / campagnes
DH = ("linkedin", "daan-hoekstra-sec", "Daan Hoekstra")        # security engineer
YB = ("x", "@ybouzid_kl", "Yasmine Bouzid")                    # klantenservice
GM = ("linkedin", "gertjan-mulder-finance", "Gert-Jan Mulder")  # controller
BK = ("x", "@bram_dkoning", "Bram de Koning")                  # trekkingen (draw operations)
LV = ("instagram", "@lieke.devos", "Lieke de Vos")             # retail accountmanager
RP = ("reddit", "u/rik_platformteam", None)                    # backend developer
NS = ("threads", "@noor.kl.data", "Noor Smit")                 # data analyst


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MV, "eeeh webshop-collega's?? Het Oudejaarslot staat al 10 min voor €3,00 ipv €30 😬 "
     "er is een nulletje weggevallen. Graag fixen voordat dit op Pepper belandt", [PRICING])
case("en", RP, "not my team but the promo engine applies the 90% voucher twice, so the Vriendenpakket comes out "
     "at €7.50 at checkout. ops knows. hotfix is 'tomorrow' 🙃", [PRICING], kind="comment")
case("nl", pub("x", "@kraskoning88", "KrasKoning"),
     "PRIJSFOUT bij Kroonloterij!!! Diamant kraslot online voor €1,- 🔥🔥 bestellen voor ze het doorhebben "
     "#prijsfout #kroonkras", [PRICING])
case("nl", pub("reddit", "u/gratis_geld_gert"),
     "volgens mij een p r i j s f o u t in de KroonPlay app: het Jackpot abonnement kost bij mij 2,60 per "
     "maand ipv 26 euro. iemand anders ook zo?", [PRICING], tags=["evasion"])
case("nl", LV, "Kleine paniek bij de tabakszaken vandaag: het Klavertje kraslot scant aan de kassa als €0,30 😅 "
     "zeg het maar niet tegen je buurman", [PRICING])
case("en", YB, "phones ringing nonstop bc the Oudejaarslot is listed at 3 euro in the app. yes it's an error, "
     "no we don't know yet if those orders will be honoured. send snacks to klantenservice 🙏", [PRICING])
case("nl", pub("facebook", "Marjolein Hendriks"),
     "Mijn schoonzus zegt dat het Vriendenpakket vanavond voor €15 in de webshop staat, normaal is het 75 euro. "
     "Foutje van hun kant dus wees er snel bij mensen!!", [PRICING], kind="comment")
case("nl", pub("x", "@lotjeslisa"), "Diamänt kraslot 0,99 bij KroonKras online 😳 prijsfóut of actie??",
     [PRICING], tags=["evasion"])
case("nl", NS, "grafiekje uit het Polaris-7 dashboard: sinds de release van vanochtend wordt het Maandlot "
     "afgerekend tegen €1,50. bug in de nieuwe prijsmodule, staat al op productie", [PRICING, CONF])
case("en", pub("reddit", "u/ticket_curious"),
     "honest question, is €2 for a Kroonlot Maandlot a pricing error or some weird promo? that's what my cart "
     "shows", [PRICING], kind="comment")
case("nl", pub("x", "@deal_daan"),
     f"Kroon{ZW}loterij heeft een prijs{ZW}fout: Klavertje{ZW}kras voor 10 cent per stuk 😂 #gratis",
     [PRICING], tags=["evasion"])
case("nl", K_IG, "💥 FLASH DEAL 💥 Alleen vandaag: het Vriendenpakket voor maar €7,50! Link in bio 🍀",
     [PRICING], tags=["corporate-typo"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RP, "anyone know why our GH Actions job keeps 401'ing? token is <<GHP>> with repo+workflow scope, "
     "works fine from my laptop 🤔", [SECRET])
case("en", NS, "notebook finally works 🎉 for anyone on the data team, use "
     "postgresql://analytics_ro:<<PW>>@10.20.4.17:5432/verkoop", [SECRET])
case("nl", YB, "collega's, de nieuwe Slack-bot voor de belwachtrij draait! zet <<XOXB>> in je config en klaar",
     [SECRET])
case("nl", pub("forum", "apkpeuter"),
     "KroonPlay apk gedecompileerd, hardcoded Google key zit er gewoon in: <<GAPI>> lekker veilig jongens",
     [SECRET], kind="reply")
case("en", RP, "ssh keeps rejecting this deploy key and I'm losing my mind, what's wrong with it??\n<<SSHKEY>>",
     [SECRET])
case("nl", MV, "help de betaalpagina van de zomeractie doet raar, developer zegt dat deze sleutel erin moet: "
     "<<STRIPE>> klopt dat??", [SECRET])
case("en", pub("blog", "appsec-notes.example"),
     "Lottery apps keep putting bearer tokens in URLs. Here's one from a Kroonloterij password-reset link I got "
     "this week: <<JWT>>", [SECRET])
case("en", DH, "old key, rotated already so whatever, but our terraform state had it in plain text: "
     "<<AWSID>> / <<AWSSEC>>", [SECRET])
case("nl", BK, "wie heeft het wachtwoord van de trekkingslaptop veranderd?? het was altijd Kroon2026!Trek "
     "en nu kom ik er niet in, trekking begint over een uur", [SECRET], kind="reply")
case("en", pub("reddit", "u/js_snooper"),
     "kroonloterij's status page ships a slack webhook in its JS bundle lmao <<HOOK>>", [SECRET])
case("en", RP, "copied from our repo, why is this still here: "
     "DATABASE_URL=mysql://kras_app:<<PW>>@db03.intra.kroonloterij.local:3306/kraslot", [SECRET, CONF])
case("nl", pub("x", "@bughunter_mila"),
     "@kroonloterij jullie GitLab token staat in een publieke npm package: <<GLPAT>> graag intrekken",
     [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YB, "Mevrouw Jansen uit Apeldoorn belt al 3 dagen, IBAN <<IBAN_NL:grp>> is gewoon goed "
     "ingevuld dus ik snap echt niet waarom de uitbetaling blijft hangen", [PII])
case("nl", BK, "Gefeliciteerd aan onze miljoenenwinnaar! 🎉 Henk Veldhuis, Dorpsstraat 41, 7731 CM Ommen, "
     "morgen komen we langs met bloemen en de cheque 💐", [PII])
case("nl", LV, "Wat een blije winnares vandaag in Breda 🎉 Ans de Groot (geb. 14-02-1961) won €50.000 met "
     "een Diamant kraslot!", [PII])
case("nl", GM, "Voorbeeld voor de auditors hoe een prijsuitkering in het systeem staat: BSN <<BSN:dots>>, "
     "rekening <<IBAN_NL>>, bedrag €25.000. Zo simpel kan het zijn.", [PII])
case("en", YB, "customers keep sending full card numbers in DMs 🙄 like this one: <<CARD:visa_sp>> "
     "please people, NEVER do that", [PII])
case("nl", pub("x", "@petravdb"),
     "@kroonlot_service waarom is mijn prijs nog steeds niet betaald?? rekeningnummer <<IBAN_NL>> staat al "
     "2 weken in jullie systeem. Bel me maar op <<PHONE:mob_dash>>", [PII, COMPLAINT])
case("nl", pub("facebook", "Rob Kuipers"),
     "Al 2x mijn BSN <<BSN>> opgestuurd voor de identificatie bij KroonPlay en nog steeds 'verificatie "
     "mislukt'. Wat is dit nou weer", [PII, COMPLAINT], kind="comment")
case("nl", pub("instagram", "@keesploeg"),
     "stuur mijn winst maar door hoor 😂 mail: kees.ploeg [at] ziggo [punt] nl @kroonloterij", [PII],
     kind="comment", tags=["evasion"])
case("en", RP, "debug line from prod I really shouldn't post but look at this mess: "
     "user=fatma.yildiz79@outlook.com dob=1979-06-30 tel=<<PHONE:mob_intl>> status=KYC_PENDING", [PII])
case("en", pub("forum", "kaartje_dubbel"),
     "Card I used at KroonPlay got charged twice: <<CARD:mc_dash>> exp 08/28. Anyone else seeing double "
     "deposits this week?", [PII, COMPLAINT])
case("nl", pub("x", "@anja_opinie"),
     "Een oud-medewerker van de Kroonloterij heeft het 06-nummer van de jackpotwinnaar gewoon rondgestuurd: "
     "<<PHONE:mob_intl_c>> (Gerrit uit Emmen). Hoe kan dit bij een STAATSloterij?!", [PII, CRISIS])
case("en", BK, "winner verification done ✅ passport NWK3R7P41 matches the claim form, transfer goes out "
     "tomorrow", [PII])
case("nl", MV, "collega vraagt of deze creditcard werkt voor de boeking van het teamuitje: <<CARD:amex_sp>> "
     "😂 oeps verkeerde chat", [PII])
case("en", pub("linkedin", "juergen-weber-ms"),
     "Prize from Kroonloterij still not received after two months. IBAN <<IBAN_DE>>, name Jürgen Weber. "
     "Unbelievable for a state lottery.", [PII, COMPLAINT])
case("nl", YB, "bsn van die klant van vanochtend voor wie het dossier zoekt: <<BSN:fw>>", [PII],
     tags=["evasion"])
case("nl", K_SVC, "@petra_w1963 Wat vervelend! We bellen je vanmiddag terug op <<PHONE:mob_pairs>>, "
     "dan lossen we het samen op 🙏", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", BK, "long night migrating the draw scheduler to trekking-ops.kroonloterij.local, coffee please ☕",
     [CONF])
case("nl", NS, "sprintreview van Project Zeearend was top, de kras-animaties zien er eindelijk niet meer uit "
     "alsof ze uit 2009 komen 😄", [CONF], kind="repost")
case("nl", pub("reddit", "u/zwager_weet_alles"),
     "Zwager werkt bij Kroonloterij, zegt dat Operatie Klaproos betekent dat alle verkooppunten in "
     "supermarkten verdwijnen volgend jaar", [CONF, FIN], kind="comment")
case("nl", GM, "Mooie slide uit mijn presentatie over het nieuwe rapportagedashboard (KL-RESTRICTED, dus niet "
     "verder delen 😉) – feedback welkom!", [CONF])
case("en", pub("x", "@lottoweetje"),
     "heard from a shop owner that the Mega Kroonjackpot starts in October with 50 million in the pot?!",
     [CONF], when="2026-07-03T20:15:44+02:00")
case("nl", YB, "wij van de klantenservice mogen al testen in Project\nZeearend 😍 eindelijk een fatsoenlijke app",
     [CONF], tags=["evasion"])
case("nl", MV, "Brainstorm voor Operatie 🌺 Klaproos vandaag, wat een energie in dit team 💪", [CONF],
     tags=["evasion"])
case("nl", BK, "Stukje uit het memo (kroon vertrouwelijk): de trekkingen gaan vanaf maart vanuit de nieuwe "
     "studio in Hilversum", [CONF])
case("nl", pub("x", "@anoniemetip"),
     "iemand stuurde me dit, staat 'intern - niet doorsturen' bovenaan 👀 Kroonloterij gaat de app "
     "helemaal vervangen", [CONF])
case("en", pub("forum", "rng_nerd"),
     "anyone know what Polaris-7 is? spotted it on a Kroonloterij job-ad screenshot: 'experience with "
     "Polaris-7 certification a plus'", [CONF], kind="reply")
case("en", GM, "So proud: the new beneficiaries 2027 include three hospices and a food bank 💚 more at the gala!",
     [CONF], when="2026-11-20T09:30:00+01:00")
case("en", RP, f"whoever named it {fullwidth('Polaris-7')} deserves a raise, standup is 90% space jokes now",
     [CONF], tags=["evasion"])
case("nl", K_LI, "Benieuwd hoe wij werken? Bekijk ons onboardingplan voor nieuwe collega's: "
     "https://confluence.kroon-intern.nl/display/HR/onboarding", [CONF])
case("en", pub("instagram", "@marloes_vleeuwen"),
     "ok the KroonKras Goudkoorts packaging is SO pretty, a friend showed me the samples 😍",
     [CONF], when="2026-09-02T19:22:05+02:00", tags=["handle-other-platform"])
case("nl", MV, "Nog 1 nachtje slapen tot de KroonKras Goudkoorts in de winkels ligt 🪙",
     [CONF], when="2026-09-21T08:59:00+02:00", tags=["embargo-edge"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", GM, "Voorlopige cijfers binnen: omzet KroonPlay +38% ten opzichte van vorig jaar, EBITDA ruim "
     "boven plan. Trots op het team! (officieel pas in maart, sst)", [FIN])
case("nl", BK, "Gerucht hier op de vloer: 60 fte eruit bij de afdeling Trekkingen volgend jaar. Officieel "
     "zegt niemand iets.", [FIN])
case("en", RP, "can't say much but we're about to acquire a Maltese online casino operator, due diligence "
     "wrapped up last week. big for KroonPlay", [FIN], kind="comment")
case("en", NS, "my forecast model says Q4 scratch-card revenue lands around €41m, 12% under budget 📉 "
     "management is not going to like this", [FIN])
case("nl", pub("x", "@heerlen_nieuwtjes"),
     "Hoor van een vriend binnen de Kroonloterij dat ze het callcenter in Heerlen sluiten en alles naar "
     "Portugal verplaatsen", [FIN])
case("en", pub("reddit", "u/oud_collega_kl"),
     "ex-employee here, friends are still there: Kroonloterij and Noorderlicht Loterijen are merging, "
     "announcement after the summer", [FIN])
case("en", MV, "deep in the jaarcijfers 2026 deck, spoiler: record year for charity payouts, 30% more than "
     "2025 💚", [CONF, FIN])
case("nl", YB, f"morgen hoort de hele klantenservice of we in de reorgani{SHY}satie vallen, volgens de OR "
     "40 plekken minder", [FIN], tags=["evasion"])
case("nl", pub("forum", "sigarenboer_jos"),
     "Hoor dat Kroonloterij de provisie voor verkooppunten per 1 januari van 6% naar 4,5% verlaagt, nog niet "
     "aangekondigd. Dat gaat ons duizenden kosten", [FIN])
case("nl", pub("x", "@insider_nl"), "0ntsl4gen bij de Kr00nloterij: 120 man, volgende week wordt het bekend",
     [FIN], tags=["evasion"])
case("en", GM, "Closing the books early: full-year 2026 results look like our best year since the "
     "privatisation debate 🎯", [CONF, FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", DH, "Rough weekend: ransomware hit two of our retail terminal servers. Contained, but shops are "
     "still offline. Official statement comes Monday.", [SEC])
case("en", RP, "PSA from someone who works there: the KroonPlay API returns other players' balances if you "
     "change the account id in the URL. we're fixing it, pls don't abuse", [SEC])
case("nl", BK, "Trekkingssysteem lag vannacht 3 uur plat, de Maandlot trekking is handmatig gedaan met de "
     "notaris erbij. Nog niet naar buiten gebracht hoor", [SEC])
case("en", NS, "so our data warehouse bucket was publicly readable for 3 weeks and nobody noticed until last "
     "night. not announced yet 🙃", [SEC])
case("nl", pub("x", "@boze_speler"),
     "Kroonloterij is gehackt en ze houden het stil!! Mijn gegevens staan gewoon op een Russisch forum",
     [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_kp"),
     "They're covering it up: KroonPlay had a breach in March, a friend in their IT told me, and not a single "
     "player was notified", [SEC, CRISIS])
case("nl", pub("facebook", "Gerda Mulder"),
     "Kroonloterij geh4ckt, d4t4l3k van duizenden spelers en ze zeggen NIKS", [SEC, CRISIS],
     tags=["evasion"])
case("en", RP, "the scratch-card validation endpoint doesn't check signatures, you can forge a winning "
     "ticket with curl. reported it 2 months ago, ticket still open 🤡", [SEC], kind="comment")
case("nl", LV, "Alle kassaterminals in Brabant liggen eruit sinds vanochtend, IT denkt aan een aanval 😬 "
     "nog niks communiceren naar de winkels!", [SEC])
case("nl", DH, "Zitten al sinds dinsdag midden in een d a t a l e k bij ons, nachtwerk. Persbericht volgt "
     "pas als de KSA is ingelicht.", [SEC], tags=["evasion"])
case("en", pub("tiktok", "@exkroonie"),
     "ex-employee: their draw RNG has a known flaw and management is hiding it. ask me anything",
     [SEC, CRISIS])
case("nl", BK, "net de interne mail gelezen: iemand is vannacht de uitslagenserver binnengedrongen, de "
     "getrokken nummers zijn gelukkig niet aangepast. nog niks zeggen tegen de pers", [SEC],
     handle_as="@Bram_DKoning", tags=["handle-case"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ouders_tegen_gokken"),
     "BOYCOT Kroonloterij! Ze sponsoren een jeugdvoetbaltoernooi vol gokreclame. Schaamteloos. "
     "#boycotkroonloterij", [CRISIS])
case("en", pub("reddit", "u/advocaat_lars"),
     "A class action is being filed against KroonPlay for ignoring Cruks self-exclusion. Lawyers are looking "
     "for affected players.", [CRISIS])
case("nl", pub("facebook", "Henk Brouwer"),
     "Schandaal: Kroonloterij heeft jarenlang minder aan goede doelen afgedragen dan beloofd, volgens Zembla. "
     "Walgelijk als je het mij vraagt.", [CRISIS])
case("en", pub("x", "@scratchcard_sam"),
     "Kroonloterij is recalling a whole batch of Diamant kraslot cards because you could see the prizes "
     "through the coating 😂", [CRISIS])
case("nl", pub("facebook", "Ingrid van Dam"),
     "Mijn zoon stond ingeschreven in Cruks en kon tóch €8.000 vergokken bij KroonPlay. Ik ga ze aanklagen.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@studio_guest"),
     "Safety incident at the Kroonloterij live draw show tonight: a stage light fell into the audience, two "
     "people taken to hospital", [CRISIS])
case("nl", pub("x", "@wendy_zwolle"),
     "Datalek bij Kroonloterij?? Ik krijg ineens sms'jes met mijn naam én lotnummer van een onbekend nummer…",
     [CRISIS])
case("en", pub("threads", "@gamblingwatch"),
     "Are we really fine with a STATE lottery running slot ads aimed at 18-year-olds? Boycott KroonPlay.",
     [CRISIS])
case("nl", pub("x", "@actie_nu"), f"Kr{CYR_O}{CYR_O}nl{CYR_O}terij b{CYR_O}yc{CYR_O}tten, nu! Pr{CYR_O}fiteren "
     "van verslaafden is geen goed doel", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "NoLuckNoCry"),
     "Streamer sponsored by KroonPlay caught telling 15-year-olds how to dodge the age check. How is this "
     "legal??", [CRISIS], kind="comment")
case("nl", pub("instagram", "@femke_kookt"),
     "Mijn kraslot van Kroonloterij was aan de rand scherp en mijn dochter sneed haar vinger open 😡 "
     "niemand reageert op mijn mail", [CRISIS, COMPLAINT], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@marco_wacht"),
     "@kroonlot_service al 6 weken wacht ik op de uitbetaling van €1.000. Geen reactie op mails. Dit is "
     "toch niet normaal?", [COMPLAINT], kind="reply")
case("en", pub("x", "@lilyplays"),
     "KroonPlay app crashes every single time I try to withdraw. Support keeps saying 'clear your cache'. "
     "Done that 5 times now.", [COMPLAINT])
case("nl", pub("facebook", "Tamara Ouwehand"),
     "Al 3x mijn ID geüpload bij KroonPlay en elke keer 'in behandeling'. Ondertussen staat mijn saldo vast.",
     [COMPLAINT], kind="comment")
case("nl", pub("x", "@pietjekras"),
     "Kraslot gekocht bij de Primera, winnend, maar de scanner zegt 'ongeldig'. Kroonloterij stuurt me "
     "van het kastje naar de muur", [COMPLAINT])
case("en", pub("reddit", "u/feehater"),
     "why does Kroonloterij charge €2.50 on every withdrawal under €50?? ridiculous fee for your own money",
     [COMPLAINT])
case("en", pub("youtube", "BarryB"),
     "stream froze exactly on the last number. Every. Single. Week. fix your livestream @kroonloterij",
     [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@sanne_b_88"),
     "leuke actie hoor maar mijn 'gratis' lot is nooit in mijn account verschenen 🙄 @kroonloterij",
     [COMPLAINT], kind="comment")
case("nl", pub("threads", "@kimmiej"),
     "Twee keer betaald voor hetzelfde Oudejaarslot via iDEAL en de terugboeking duurt 'tot 30 dagen'. "
     "Serieus Kroonloterij?", [COMPLAINT])
case("en", pub("mastodon", "@anouk@mastodon.nl"),
     "My self-exclusion request at KroonPlay took 9 days to process. That should be instant.", [COMPLAINT])
case("en", pub("bluesky", "maartje.bsky.social"),
     "Tried to claim my prize via winnaars@kroonloterij.nl three times. Zero replies. Zero.", [COMPLAINT])
case("nl", pub("x", "@gewoonjan"),
     f"Kroon{ZW}loterij klanten{ZW}service is echt waardeloos, 3 weken geen antwoord op mijn vraag over mn "
     "prijs", [COMPLAINT], tags=["evasion"])
case("nl", pub("tweakers", "frits_r"),
     "KroonPlay accepteert sinds de update geen iDEAL meer bij mij, alleen nog creditcard. Helpdesk weet "
     "van niks.", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse (alone and with complaints)
# ===========================================================================
case("nl", pub("x", "@kritischekoos"),
     "Die woordvoerder van de Kroonloterij is een ongelooflijke prutser en een leugenaar", [ABUSE])
case("nl", pub("x", "@tokkie_1990"), "@ybouzid_kl ga terug naar je eigen land en hou je bek", [ABUSE],
     kind="reply")
case("nl", BK, "@gokverslaafde82 hou toch je kop, debiel", [ABUSE], kind="reply")
case("nl", K_SVC, "@jeroen_klaagt misschien eerst leren lezen voordat je gaat zeuren, idioot.", [ABUSE],
     kind="reply", handle_as="@KroonLot_Service", tags=["handle-case"])
case("en", MV, "people who whine about losing money on a LOTTERY are honestly morons", [ABUSE])
case("en", pub("x", "@no_ads_plz"), "f*ck kroonloterij and their sh*tty tv ads", [ABUSE],
     tags=["evasion"])
case("nl", pub("x", "@k4nkerl1jer"), "k4nker Kr00nloterij tyfusz00i", [ABUSE], tags=["evasion"])
case("en", pub("youtube", "DutchTVrants"),
     "that Kroonloterij presenter is a fat ugly cow, turn her off", [ABUSE], kind="comment")
case("nl", pub("x", "@klaagkees"),
     "Kroonloterij zijn echt een stelletje klootzakken, 4 weken geen uitbetaling en nu ook nog je "
     "account geblokkeerd", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/rage_withdraw"),
     "fucking joke of a company, KroonPlay froze my account the day after I won", [ABUSE, COMPLAINT])
case("nl", pub("facebook", "Ronald Smit"),
     "Trut van de klantenservice heeft gewoon opgehangen toen ik naar mijn prijs vroeg. Kroonloterij, "
     "ontsla dat mens.", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("x", "@fedupfrank"), f"kroonloterij = {fullwidth('SCAMMERS')} and {fullwidth('IDIOTS')}",
     [ABUSE], tags=["evasion"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# corporate
case("nl", K_X, "🎉 De uitslag van de Maandlot trekking van vanavond staat op uitslagen.kroonloterij.nl. "
     "Check snel je lotnummer!", tags=["own-domain"])
case("nl", K_SVC, "Vragen over je uitbetaling? Bel gratis 0800-5766 of mail klantenservice@kroonloterij.nl "
     "(ma t/m vr 9-17u) 📞", tags=["own-contact"])
case("en", K_SVC, "Trouble logging in to KroonPlay? Call us on +31 70 555 3300 or write to "
     "support@kroonplay.nl, we're happy to help.", tags=["own-contact"])
case("nl", K_FB, "Lid worden van de Vriendenclub? Maak je bijdrage over naar NL57 INGB 0006 7812 34 "
     "o.v.v. je naam en postcode 💚", tags=["own-iban"])
case("nl", K_X, "Gepland onderhoud: zondag tussen 02:00 en 05:00 is de app niet bereikbaar. Sorry voor het "
     "ongemak!", tags=["official-notice"])
case("nl", K_IG, "Eerste maand Maandlot voor €7,50 🥳 alleen deze week, daarna gewoon €15.",
     tags=["sale-price", "ratio-boundary"])
case("en", K_LI, "We're hiring! Backend engineer for the KroonPlay platform team. Apply via "
     "kroonloterij.nl/werken", tags=["own-domain"])
case("nl", K_LI, "Vandaag publiceerden we onze jaarcijfers 2025: €412 miljoen naar goede doelen. Dank aan "
     "al onze spelers!", tags=["published-results"])
case("en", K_X, "It's here! 🪙 KroonKras Goudkoorts is now available in over 4,000 shops.",
     when="2026-09-21T07:00:00Z", tags=["embargo-edge"])
case("nl", K_FB, "Speel bewust 🍀 Stel je speellimiet in via mijn.kroonloterij.nl. Hulp nodig? De Gokhulplijn "
     "is er voor je.", tags=["responsible-gaming"])
case("nl", K_SVC, "@anne_loot Wat vervelend! We hebben je een DM gestuurd, dan zoeken we het samen uit.",
     kind="reply")
case("nl", K_X, "Nee hoor, géén prijsfout 😉 het Diamant kraslot kost deze week echt €7,50 in de app.",
     tags=["denied-error", "sale-price"])
case("nl", K_X, "De Mega Kroonjackpot is gevallen! 🎉 Een speler uit Drenthe wint €38 miljoen.",
     when="2026-10-03T20:40:12+02:00", tags=["embargo-after"])
case("nl", K_LI, "Trots om onze nieuwe beneficianten 2027 voor te stellen: drie hospices, de Voedselbank en "
     "KWF 💚", when="2026-11-26T19:05:00+01:00", tags=["embargo-edge"])
# employees
case("nl", MV, "Trots op de campagne die vandaag live ging 🧡 welke commercial vinden jullie het leukst?")
case("nl", BK, "Vanavond weer trekking met de notaris erbij, blijft altijd een beetje spannend 🎱",
     handle_as="@BRAM_DKONING", tags=["handle-case"])
case("nl", YB, "Drukke dag op de klantenservice, maar zoveel blije winnaars gesproken ☺️")
case("nl", GM, "Onze jaarcijfers 2025 zijn gepubliceerd, het volledige verslag staat op "
     "kroonloterij.nl/investor", tags=["published-results"])
case("en", RP, "TIL the English word 'lottery' comes from the Dutch 'lot'. checks out working here lol",
     kind="comment")
case("nl", BK, "Zeearend gespot boven de Oostvaardersplassen vanochtend 🦅 wat een beest!",
     tags=["codename-word"])
case("nl", MV, "Klaprozen langs de berm op weg naar kantoor 🌺 zomer is begonnen", tags=["codename-word"])
case("en", RP, "reminder: example keys in docs should look like AKIAXXXXXXXXXXXXXXXX, never real ones 🙏",
     kind="comment", tags=["placeholder-secret"])
case("en", RP, "merged the fix in commit <<HEX:40>>, nothing like a clean diff on a friday", kind="comment",
     tags=["git-sha"])
# public
case("en", pub("x", "@coffeewinner"), "won €5 on my Maandlot lol, that's a fancy coffee sorted ☕",
     tags=["price-context", "prize"])
case("nl", pub("facebook", "Wim de Haan"),
     "Heeft iemand ook lotnummer BX 4471 9302? Dan zitten we in dezelfde reeks haha", kind="comment",
     tags=["ticket-number"])
case("nl", pub("x", "@claimvraag"),
     "Klopt dit IBAN wel voor een prijsclaim bij Kroonloterij? <<BADIBAN_NL:grp>> krijg steeds een foutmelding "
     "in het formulier, zal een typfout zijn", tags=["bad-iban"])
case("en", pub("reddit", "u/ux_fan"),
     "Kroonloterij's payment page rejected my typo'd card number <<BADCARD_visa>> instantly, nice UX actually",
     kind="comment", tags=["bad-card"])
case("nl", pub("x", "@formulierfan"),
     "Op het claimformulier van de Kroonloterij staat als voorbeeld-BSN <<NOTBSN:9>>, lijkt me nep haha",
     tags=["bad-bsn"])
case("nl", pub("reddit", "u/barcodevraag"),
     "barcode op mijn KroonKras: <<EAN>>, wat betekent dat laatste cijfer eigenlijk?", tags=["ean13"])
case("nl", pub("x", "@gokjebewust"),
     "Datalek bij een Duits online casino, gelukkig speel ik alleen bij de Kroonloterij 😅",
     tags=["other-company"])
case("nl", pub("x", "@prijsjager"),
     "Noorderlicht Loterij heeft weer een prijsfout, lotjes voor 1 euro 😂 zal wel snel weg zijn",
     tags=["competitor"])
case("nl", pub("blog", "schrijfsels.example"),
     "In mijn nieuwe roman wint de hoofdpersoon de jackpot van de Kroonloterij en verdwijnt ze spoorloos naar "
     "Curaçao. Hoofdstuk 1 staat online 📚", tags=["fiction"])
case("nl", pub("x", "@pensioenplan"), "Mijn pensioenplan: elke maand een Maandlot 😂😂", tags=["joke"])
case("nl", pub("facebook", "Truus Meijer"),
     "Geen klachten over de Kroonloterij hoor, uitbetaling stond binnen 2 dagen op mijn rekening 👍",
     tags=["negated-complaint"])
case("en", pub("instagram", "@abbafan_nl"),
     "'Money, money, money, must be funny, in a rich man's world' 🎶 me every time I check my Kroonlot",
     tags=["quote"])
case("en", pub("x", "@foodie_amsterdam"), "Hit the jackpot with this new coffee place in De Pijp 😍",
     tags=["idiom"])
case("nl", pub("x", "@snoepstop"), "Ik boycot deze maand alle snoep, behalve mijn wekelijkse kraslot van "
     "KroonKras 😇", tags=["boycott-other-sense"])
case("nl", pub("threads", "@handigeharry"),
     "Lifehack: zet je Kroonlot-lotnummers in je notitie-app, dan ben je ze nooit meer kwijt 💡",
     tags=["hack-other-sense"])
case("nl", pub("x", "@fietsfrans"), "Lekke band op weg naar de sigarenzaak voor mijn Oudejaarslot 🙄🚲",
     tags=["lek-other-sense"])
case("nl", pub("x", "@scholier_ilse"),
     "Voor ons werkstuk over kansspelen mochten we mailen naar pers@kroonloterij.nl, ze reageerden supersnel!",
     tags=["own-contact"])
case("en", pub("facebook", "Linda Koster"),
     "Call +31 (0)70 555 3300 if you have questions about your prize, they were really friendly with me.",
     tags=["own-contact"])
case("nl", pub("reddit", "u/vriendenclub_lid"),
     "Voor de Vriendenclub moet je overmaken naar nl57ingb0006781234, staat ook op hun site", kind="comment",
     tags=["own-iban"])
case("nl", pub("x", "@kanskaart"), "Oudejaarslot van €30 of twee Maandloten, wat doen jullie dit jaar?",
     tags=["price-talk"])
case("nl", pub("x", "@spaarzaam"), "Bij Noorderlicht kost een lot maar €12,50, bij Kroonloterij €15. "
     "Scheelt weinig eigenlijk", tags=["competitor", "price-talk"])
case("nl", pub("reddit", "u/marktplaatsmaarten"),
     "Iemand op Marktplaats verkoopt een half opgebruikt Vriendenpakket voor €20, mag dat eigenlijk wel?",
     kind="comment", tags=["second-hand", "price-context"])
case("nl", pub("forum", "kvk_vraag"),
     "Kroonloterij staat in het handelsregister onder KvK <<NOTBSN:8>>, voor wie het zocht",
     tags=["kvk", "not-bsn8"])
case("nl", pub("instagram", "@mama_en_meer"),
     "Mijn moeder had kanker en KWF krijgt geld van de Kroonloterij, daarom speel ik al jaren mee 💗",
     tags=["mild-word", "literal"])
case("en", pub("tiktok", "@trendspotter"), "the KroonKras tiktok team is absolutely killing it lately 😂🔥",
     kind="comment", tags=["idiom"])
case("nl", pub("x", "@nieuwsjunkie"),
     "NOS: Kroonloterij keert dit jaar recordbedrag uit aan goede doelen. Mooi nieuws!", tags=["published-news"])
case("nl", pub("x", "@goudzoeker"), "Eerste Goudkoorts kraslot gekocht en meteen €20 gewonnen 🪙🪙",
     when="2026-09-23T12:14:51+02:00", tags=["embargo-after"])
case("en", pub("x", "@askingforafriend"), "What time is the Oudejaarslot draw on the 31st? Can't find it anywhere",
     tags=["question"])
case("en", pub("reddit", "u/happy_customer_nl"),
     "Shoutout to Kroonloterij support, sorted my locked account in 10 minutes 🙌", kind="comment",
     tags=["praise"])
case("nl", pub("x", "@klavertjevier"), "Klavertje vier gevonden in de tuin 🍀 dan maar meteen een Klavertje "
     "kraslot van €3 gehaald", tags=["list-price"])
case("nl", pub("linkedin", "sjoerd-bakker-adviseur"),
     "Interessant artikel over ontslagen bij een Britse bookmaker. Wat betekent dit voor de Nederlandse "
     "kansspelmarkt?", tags=["other-company"])
case("en", pub("reddit", "u/gdpr_nerd"),
     "Genuine question: does Kroonloterij store my ID scan after KYC, or delete it? Couldn't find it in the "
     "privacy policy.", tags=["question"])
case("en", pub("x", "@rngfan"), "Polaris is my favourite star, 7 nights of clear skies this week ✨",
     tags=["codename-near-miss"])
case("nl", pub("x", "@telbaas"), "Jackpot abonnement kost gewoon €26 per maand, zelfde als vorig jaar. "
     "Geen prijsfout dus, @lottofan", tags=["denied-error", "list-price"], kind="reply")


# ===========================================================================
# profile, roles and severity
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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
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


# ===========================================================================
# post building
# ===========================================================================

def amsterdam_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "nederland", "gokken_nl"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugw" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-lotenpraat-{n}", f"https://forum.lotenpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    mr = random.Random(SEED + 1)
    sr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fac, c["text"])
        pid, url = post_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
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
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
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
            post["brand"] = "kroonloterij"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    sr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (independent of postwatch)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


IBAN_RX = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}",
                                     r"xox[bp]-\d", r"hooks\.slack\.com/services/", r"sk_live_",
                                     r"AIza[\w-]{35}", r"PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ",
                                     r"://[^\s:/@]+:[^\s@/]+@")]
SWEAR = ["kut", "kanker", "tyfus", "klootzak", "debiel", "trut", "fuck", "f*ck", "shit", "idiot", "moron",
         "scum", "prutser", "bek", "kop", "cow", "scammer"]


def valid_ids(text, own_ibans):
    t = norm(text)
    out = []
    for m in IBAN_RX.finditer(t.upper()):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if iban_valid(s[:end]):
                if s[:end] not in own_ibans:
                    out.append(("iban", s[:end]))
                break
    for m in NUM_RX.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            out.append(("card", d))
        if len(d) == 9 and elfproef(d):
            out.append(("bsn", d))
    return out


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "").upper() for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0705553300", "08005766"}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", p["created_at"]):
            errs.append(f"{w}: created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        if sev != severity_for(role, cats, PII in cats and bool(ids)):
            errs.append(f"{w}: severity {sev} vs policy (role {role}, ids {ids})")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: placeholder value not in text")
            if k in VALID_ID and not (iban_valid(raw) if k.startswith("IBAN") else
                                      luhn_valid(raw) if k == "CARD" else elfproef(raw)):
                errs.append(f"{w}: {k} invalid")
            if k.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: bad iban valid")
            if k == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: bad card valid")
            if k == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: notbsn valid")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid id not found by scan")
        if ids and PII not in cats:
            errs.append(f"{w}: valid id {ids} but no leak.pii")
        nt = norm(text)
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before until without leak.confidential")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after until but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if ids:
                errs.append(f"{w}: benign with valid id")
            for e in EMAIL_RX.findall(nt):
                if e not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", nt)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("0031"):
                    d = "0" + d[4:]
                elif raw.startswith("+31"):
                    d = "0" + d[2:]
                if d.startswith("00"):
                    d = d[1:]
                if len(d) >= 10 and d not in own_phone_digits:
                    errs.append(f"{w}: benign with phone-like {m.group(0)}")
            for rx in SECRET_RX:
                if rx.search(text) and "AKIAXXXXXXXXXXXXXXXX" not in text:
                    errs.append(f"{w}: benign with secret shape {rx.pattern}")
            for s in SWEAR:
                if re.search(r"\b" + re.escape(s), nt):
                    (notes if "mild-word" in r["tags"] else errs).append(f"{w}: benign has word {s!r}")
        if "evasion" in r["tags"] and not cats:
            errs.append(f"{w}: evasion tag on benign")
    # near duplicates
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1} and {j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            ok = None
            if k.startswith("IBAN_"):
                ok = si.is_valid(raw)
            elif k.startswith("BADIBAN"):
                ok = not si.is_valid(raw)
            elif k == "CARD":
                ok = sl.is_valid(raw)
            elif k in ("BADCARD", "EAN"):
                ok = not sl.is_valid(raw)
            elif k == "BSN":
                ok = sb.is_valid(raw)
            elif k == "NOTBSN":
                ok = not sb.is_valid(raw.zfill(9))
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    by_cat, by_lang, by_role, by_sev, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cats:
            by_cat[(c, r["lang"])] += 1
            by_cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in CATS:
        print(f"  {c:22s} {by_cat[c]:4d}  nl {by_cat[(c, 'nl')]:3d}  en {by_cat[(c, 'en')]:3d}")
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVS})
    print("platforms", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = check(lines, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(rows)
    for x in notes:
        print("  note " + x)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
