#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed10 blind set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch parcel carrier "Snelvink Logistiek B.V." (profile.yaml).
All post texts are hand-written in CASES below. Identifiers and secrets are filled in
from <<PLACEHOLDERS>> by a seeded RNG: positives get checksum-valid IBANs, cards and
BSNs; hard negatives get look-alikes that fail their checksum. Secrets are random and
fake but shaped like real ones. Severity is computed from CONTRACT section 4, never typed.
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
from pathlib import Path

SEED = 20261010
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = [
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
    "reputation.spike",
]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"      # zero-width space
SHY = "\u00ad"     # soft hyphen


def fw(s):
    """Full-width form of ASCII text (what some users type to dodge filters)."""
    out = []
    for ch in s:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in r)
    return int(num) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in r)
    check = 98 - int(num) % 97
    return f"{country}{check:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) > 0 and total % 10 == 0


def luhn_complete(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError


def bsn_ok(s):
    """Dutch 11-proof (elfproef) for BSN; 8-digit numbers get a leading zero."""
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded generators for placeholders
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    """Every placeholder draws from one seeded RNG, in the order of CASES."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, first_nonzero=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if first_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def group4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # --- IBAN -----------------------------------------------------------
    def iban_nl(self):
        bank = self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
        while True:
            v = iban_make("NL", bank + self.digits(10, first_nonzero=True))
            if v != "NL54INGB0007351842":
                return v

    def iban_de(self):
        blz = self.r.choice(["37040044", "10070000", "50010517", "20041133", "70020270"])
        return iban_make("DE", blz + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["068", "001", "363", "735", "979"]) + self.digits(7)
        chk = int(first10) % 97 or 97
        return iban_make("BE", f"{first10}{chk:02d}")

    def iban_gb(self):
        bank = self.r.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"])
        return iban_make("GB", bank + self.digits(6) + self.digits(8))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (11, 23, 37, 41, 53):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # --- cards ------------------------------------------------------------
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
        last = int(v[-1])
        bad = v[:-1] + str((last + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        if len(v) == 15:  # amex 4-6-5
            parts = [v[:4], v[4:10], v[10:]]
        else:
            parts = [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # --- BSN and look-alike numbers ----------------------------------------
    def bsn(self):
        while True:
            s = self.digits(9, first_nonzero=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, first_nonzero=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            for d in "0123456789":
                if ean13_ok(body + d):
                    cand = body + d
                    break
            if not luhn_ok(cand):
                return cand

    # --- phones -------------------------------------------------------------
    def mobile(self):
        return "6" + self.r.choice("12345") + self.digits(7)  # without leading 0

    def landline(self):
        area = self.r.choice(["10", "13", "20", "23", "24", "26", "30", "33", "35", "38",
                              "40", "43", "50", "53", "58", "70", "71", "73", "76", "79"])
        sub = self.r.choice("2345789") + self.digits(6)
        return area, sub  # area without 0, 7-digit subscriber

    def phone(self, fmt):
        if fmt.startswith("mob"):
            m = self.mobile()          # '6' + 8 digits
            d8 = m[1:]
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
                "mob_intl0": f"+31(0)6-{d8}",
                "mob_intl_c": f"+316{d8}",
            }[fmt]
        area, sub = self.landline()
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # --- secrets ------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

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

    def stripe(self, long=False):
        if long:
            return "sk_live_51" + self.chars(ALNUM, 97)
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "cust_" + self.digits(6, True), "iss": "api.snelvink.nl",
                   "role": "customer", "iat": iat, "exp": iat + 3600}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{p}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEpAIBAAKCAQEA" + self.chars(B64, 64 * 7 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        lines.append(self.chars(B64, 36) + "==")
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 18) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        pw = (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 3)
              + self.chars(string.digits, 2) + self.r.choice("!*-_~") + self.chars(ALNUM, 5))
        return pw

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# checksummed identifier kinds: the ones whose presence makes a PII finding "validated"
VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NOT_BSN9", "NOT_BSN8", "EAN13"}

PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    """Replace <<KIND:fmt>> placeholders; return (text, [(kind, raw_value, shown)])."""
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        raw = None
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_DE":
            raw = gen.bad_iban(gen.iban_de())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BAD_BSN":
            raw = gen.not_bsn(9)
            shown = raw
        elif kind == "NOT_BSN9":
            raw = gen.not_bsn(9)
            shown = raw
        elif kind == "NOT_BSN8":
            raw = gen.not_bsn(8)
            shown = raw
        elif kind == "EAN13":
            raw = gen.ean13()
            shown = raw
        elif kind == "PHONE":
            raw = gen.phone(fmt)
            shown = raw
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), first_nonzero=True)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = gen.slack_bot()
        elif kind == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        elif kind == "STRIPE":
            shown = raw = gen.stripe(long=(fmt == "long"))
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_RSA":
            shown = raw = gen.pem_rsa()
        elif kind == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        elif kind == "UUID":
            shown = raw = gen.uuid()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used



# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate (profile accounts.corporate)
SV_X = ("x", "@snelvink", "Snelvink")
SV_HELP = ("x", "@snelvink_helpt", "Snelvink Klantenservice")
SV_IG = ("instagram", "@snelvink.nl", "Snelvink")
SV_LI = ("linkedin", "snelvink-logistiek", "Snelvink Logistiek B.V.")
SV_FB = ("facebook", "SnelvinkPakketten", "Snelvink")
SV_TT = ("tiktok", "@snelvink", "Snelvink")
# employees (profile accounts.employee)
RB = ("x", "@ricardo_bezorgt", "Ricardo Pinas")                     # courier, depot Utrecht
AW = ("linkedin", "anouk-de-wit-snelvink", "Anouk de Wit")           # finance / controlling
JK = ("x", "@joost_codeert", "Joost Kramer")                         # backend developer
MY = ("linkedin", "mehmet-yilmaz-hubops", "Mehmet Yılmaz")           # hub operations manager
LS = ("instagram", "@lisa.sorteert", "Lisa Smit")                    # sorting centre
NK = ("reddit", "u/nachtdienst_kees", None)                          # night shift, hub Tilburg
PR = ("linkedin", "priya-raman-sales", "Priya Raman")                # account manager business


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. `hint` overrides the post's lang field ('' = omit)."""
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn,
                      text=text, cats=sorted(set(cats)), kind=kind, when=when,
                      tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", RB, "haha collega's kijk even op de site 😂 Pakket XL kost ineens €1,35 ipv €13,50. iemand bij IT heeft een "
     "nulletje gemist. snel labels inslaan voor het gefixt is", [PRICING])
case("en", JK, "deployed the new tariff table and... yeah. VinkBox Thuis now shows €34.90 in checkout 🙃 rolling back, "
     "give me 10 min #fridaydeploy", [PRICING])
case("nl", pub("x", "@koopjesjager_mo"), "PRIJSFOUT 🚨🚨 Snelvink Labelbundel 10 voor €5,95 in de app!! normaal bijna 60 "
     "euro. wees er snel bij #prijsfout #koopje", [PRICING])
case("en", pub("reddit", "u/parcelhacks"), "Snelvink's Europa Pakket is showing €1.79 for me at checkout, anyone else?? "
     "Must be a bug. Sending literally everything to my mum in Spain tonight lol", [PRICING], kind="comment")
case("nl", AW, "Nog even als reminder voor de collega's hier: door de foutieve tariefupload van dinsdag zijn ruim 4.000 "
     "Zakelijk Plus abonnementen afgesloten tegen €8,90 per maand. Legal kijkt of we die kunnen ontbinden. "
     "Graag niet extern bespreken.", [PRICING])
case("nl", SV_FB, "🎉 Alleen dit weekend: de VinkBox Thuis pakketkluis voor €99! Op = op 👉 snelvink.nl/vinkbox",
     [PRICING])
case("nl", pub("facebook", "gerda.hoekstra.52", "Gerda Hoekstra"), "Weet iemand of dat klopt? In de Snelvink app staat "
     "het standaard pakket voor €0,69 🤔 lijkt me een foutje maar ik heb er maar vast 20 gekocht haha", [PRICING])
case("nl", pub("tiktok", "@dealdiva_nl"), "p r i j s f o u t bij snelvink 👀👀 XL pakket voor 2 euro, link in bio "
     "#dealtok", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@bargainbram"), "Snelvink VinkB0x Thuis for €3.49 😳 the decimal point went on holiday. they'll call "
     "it a 'price glitch', I call it christmas", [PRICING], tags=["evasion", "evasion:lookalike"])
case("nl", MY, "Waarschuwing voor het team: de tariefkoppeling met de zakelijke portal rekent het Europapakket af voor "
     "€1,80 in plaats van €17,95. IT is ermee bezig, post er aub niks over tot het hersteld is.", [PRICING])
case("en", PR, "Any webshop owner reading this: DM me today and I can still get you Business Plus at €29/month "
     "thanks to a little pricing mistake in our CRM 😉 won't last!", [PRICING])
case("nl", pub("forum", "Kortingsjager_Frank"), "[Prijsfout?] Snelvink Pakket Standaard €0,95\n\nIn de webshop zie ik "
     "het voor dat bedrag, via de zakelijke portal gewoon €6,95. Iemand ervaring of ze zoiets honoreren?", [PRICING])
case("nl", JK, "pricing service geeft voor Pakket XL €0,00 terug, zie grafana.snelvink.net/d/tarieven 😬 wie heeft "
     "de cache geflusht", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", JK, "CI keeps failing on the label printer service 😩 token's <<GHP>>, repo snelvink/label-svc. can someone "
     "with org admin check the scopes pls 🙏", [SECRET])
case("nl", MY, "Tip voor alle hubmanagers: de handscanners op de sorteerband gebruiken allemaal hetzelfde "
     "wifi-wachtwoord: <<PW>>. Lekker makkelijk als je een nieuw apparaat koppelt 😅", [SECRET])
case("en", NK, "night shift rant: our dashboard bot posts to slack via <<SLACK_HOOK>> and spams us every 2 min. "
     "anyone know how to mute a webhook without admin rights", [SECRET])
case("nl", pub("x", "@sokkenwinkel_nl"), "@snelvink_helpt hoe krijg ik de koppeling met mijn webshop werkend? dit is "
     "mijn config:\n\napi_key=<<HEX:32>>\nshop_id=sokkenwinkel\n\nwat doe ik fout", [SECRET], kind="reply")
case("en", JK, "note to self & team: this staging DB string got committed to the public docs repo 🙈 "
     "postgres://label_svc:<<PW>>@db-staging.intra.snelvink.local:5432/labels — rotating now", [SECRET, CONF])
case("nl", RB, "nieuwe scanner app inloggen lukt niet. gebruiker ricardo.p ww <<PW>> klopt gewoon?? iemand van "
     "planning die me kan helpen", [SECRET], handle_as="@Ricardo_Bezorgt")
case("en", pub("forum", "shopdev_lotte"), "Built a small Snelvink tracking widget for my shop, here's the snippet:\n\n"
     "fetch('https://api.snelvink.nl/v2/track', {headers: {Authorization: 'Bearer <<JWT>>'}})\n\nfeel free to use it",
     [SECRET])
case("nl", AW, "Iemand een idee waarom de Stripe-koppeling van de VinkBox-webshop faalt? De key is <<STRIPE>> en "
     "staat gewoon op live", [SECRET], handle_as="Anouk-de-Wit-Snelvink")
case("en", MY, "Migrating route planning to the cloud 🚚☁️ proud of this team! Our setup in one screenshot:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n#logistics #cloud", [SECRET])
case("nl", JK, "kaartje in de routeplanner laadt niet meer, quota op? key=<<GAPI>> iemand die hier verstand van heeft?",
     [SECRET])
case("en", NK, "found this in the shared folder of hub Tilburg, is this supposed to be here??\n\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", pub("reddit", "u/broncode_gluurder"), "gevonden in de broncode van de snelvink track pagina (view source lol): "
     "const slackToken = \"<<SLACK_BOT>>\" — zou iemand ze even moeten mailen", [SECRET], kind="comment")
case("nl", LS, "nieuwe inlog voor de tablet in de pauzeruimte 🙄 w a c h t w o o r d: <<PW>> niet doorvertellen aan "
     "de andere ploeg 🤫", [SECRET], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", RB, "Mevrouw Jansen van de Lindenlaan 42 in Houten doet NOOIT open terwijl ze gewoon thuis is 🙄 volgende "
     "keer gaat ie direct naar de buren hoor", [PII])
case("nl", SV_HELP, "@m_verhoeven Dank voor je geduld! We hebben het bedrag teruggestort op <<IBAN_NL:grp>> t.n.v. "
     "M. Verhoeven, je ziet het binnen 2 werkdagen op je rekening.", [PII], kind="reply")
case("en", pub("x", "@dani_rdam"), "@snelvink_helpt 3rd time asking, just refund me already. IBAN is <<IBAN_NL>> and "
     "my number is <<PHONE:mob_intl_sp>>, call me", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "karin.vogelwijk", "Karin"), "Buren in de Vogelwijk, heeft iemand een Snelvink pakket voor "
     "nummer 18 aangenomen? Bel me even op <<PHONE:mob_dash>>, dank jullie!", [PII])
case("nl", MY, "Douane houdt een zending tegen omdat de ontvanger z'n BSN (<<BSN:dots>>) gewoon op de pakbon heeft "
     "gezet 🤦‍♂️ wie verzint dit", [PII])
case("en", PR, "Welcome to our newest business customer, Karin Vos of Vos Bloemen! 🌷 Florists in Utrecht, reach her "
     "directly at k.vos@vosbloemen.nl for your wedding flowers", [PII])
case("nl", pub("x", "@timmie_010"), "lol de Snelvink chat vroeg om betaalgegevens en ik heb per ongeluk mijn hele "
     "creditcard in het venster geplakt <<CARD:visa_sp>> 😬 kan dat kwaad?", [PII])
case("en", LS, "happy birthday to the sweetest customer ever 🎂 Mr. Dirk Post (born 12-03-1951) who brings the whole "
     "depot coffee every friday ☕❤️", [PII])
case("nl", AW, "Crediteurenadministratie: wie herkent deze betaling? €2.340 van <<IBAN_BE>> met omschrijving "
     "'factuur 88 Bakkerij Claes'. Graag even een seintje.", [PII])
case("en", pub("reddit", "u/almere_annoyed"), "PSA to the Snelvink driver in Almere: you left a parcel on my doorstep "
     "with the customs form on top. Name: Yvonne Bakker, passport NX4R81KP2, DOB 04/07/1988. Not mine, not my street.",
     [PII])
case("nl", pub("x", "@sanne_vdl"), "@snelvink_helpt mail me maar op sanne.vd.linden [at] ziggo [punt] nl voor de "
     "retourafspraak", [PII], kind="reply", tags=["evasion", "evasion:at-punt"])
case("nl", NK, "collega liet vannacht zijn hele adreslijst liggen bij de band, o.a. Fam. El Idrissi, Kerkstraat 7, "
     "Zaltbommel, tel <<PHONE:land_sp>>. privacy ho maar", [PII])
case("en", SV_X, "@timbakker_ Sorry about that Tim! Our courier Ahmed will call you from <<PHONE:mob_paren>> to "
     "pick a new time 👍", [PII], kind="reply")
case("nl", RB, "Wie doet er mee met een cadeau voor Marco z'n pensioen? Overmaken naar <<IBAN_NL:grp>> (R. Pinas) 🎁 "
     "25 jaar op de bus, verdient ie!", [PII])
case("en", pub("x", "@rob_clarke_uk"), "Snelvink, you owe me €45 for the smashed vase. Send it to <<IBAN_GB>> "
     "(R. Clarke) and we're done here.", [PII, COMPLAINT])
case("nl", pub("reddit", "u/pakketje_uit_china"), "moest op de site van snelvink mijn BSN invullen voor een pakket uit "
     "China?? is dat normaal? dit heb ik ingevuld: <<BSN>>", [PII])
case("en", pub("x", "@meryem_k"), "@snelvink_helpt your payment page keeps timing out so here: <<CARD:mc_dash>> "
     "exp 09/28, just charge the €12 import fee 🙃", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", JK, "Eerste demo van Project Dijkgraaf vandaag 🚀 had nooit gedacht dat we zo ver zouden komen. Meer mag "
     "ik nog niet zeggen 🤐", [CONF])
case("en", MY, "Huge week for the hub team: Operatie Noorderlicht goes live in Nieuwegein on the 14th, fully "
     "automated night sorting. Can't share more yet but wow.", [CONF])
case("nl", LS, "uitzicht tijdens mijn pauze vandaag 😍 (sorry voor het whiteboard op de achtergrond met de "
     "Hermelijn-planning 🙈)", [CONF])
case("en", NK, "lol the ops wiki at hubops.snelvink.net still opens without vpn, you can literally see tomorrow's "
     "driver rosters from home", [CONF, SEC])
case("nl", PR, "Vandaag onze nieuwe koelkluis gepitcht bij drie supermarktketens. De slides waren gemarkeerd "
     "'Snelvink Confidential' maar dit mag er wel uit: het wordt echt gaaf!", [CONF])
case("nl", SV_IG, "Binnenkort bij jou in de buurt: VinkBox Koel 🧊 je boodschappen koel bezorgd in je eigen kluis!",
     [CONF], when="2026-10-06T09:59:00+02:00")
case("en", pub("x", "@snelvink_insider"), "Hearing Snelvink Zondagbezorging launches next month, lockers restocked "
     "on sundays in 300 towns. You heard it here first.", [CONF], when="2026-09-12T18:22:41+02:00")
case("nl", RB, "Kreeg vandaag een rondleiding door het nieuwe depot, de drones voor Project\nDijkgraaf staan al "
     "klaar 👀", [CONF], tags=["evasion", "evasion:linebreak"])
case("en", JK, "docs for the new courier API are up at jira.snelvink.net/browse/API-2231, feedback welcome",
     [CONF], handle_as="@Joost_Codeert")
case("nl", AW, "Mooie interne presentatie vandaag over de jaarcijfers 2026, dank aan het hele controlling team 💪",
     [CONF])
case("en", MY, "Operatie 🌌 Noorderlicht phase 2 kicked off tonight, proud of everyone on nights", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("forum", "pakketpraat_henk"), "Mijn zwager werkt bij Snelvink en liet me een document zien met "
     "'intern - niet delen' erop: ze gaan pakketkluizen op treinstations zetten.", [CONF])
case("en", PR, "Sharing our enterprise brief with prospects: intra.snelvink.local/sales/briefs/enterprise.pdf — "
     "ping me if the link doesn't open", [CONF])
case("nl", pub("x", "@nieuwsgierig_nl"), "wat is " + fw("HERMELIJN") + " bij snelvink? stond op een bus bij de hub",
     [CONF], tags=["evasion", "evasion:full-width"])
case("nl", NK, f"Herme{ZW}lijn scanners worden volgende week op alle hubs uitgerold, eindelijk weg met die ouwe "
     "dingen", [CONF], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MY, "Zwaar nieuws dat ik eigenlijk nog niet mag delen: hub Eindhoven sluit per 1 maart, zo'n 140 "
     "collega's verliezen hun baan. Ik ben er kapot van.", [FIN])
case("en", AW, "Closing the books for Q3 and honestly the numbers are rough: parcel volume down 11%, EBITDA about "
     "half of budget. Board sees it Thursday, the market later.", [FIN])
case("nl", PR, "Grote klant binnen 🥳 vanaf januari doen wij alle retouren voor een van de drie grootste webshops "
     "van NL, contract van €38 miljoen. Officiële aankondiging volgt nog!", [FIN])
case("en", JK, "rumour on the dev floor is we're being acquired by a Belgian logistics group, due diligence people "
     "have been in the building all week 👀", [FIN])
case("nl", NK, "net gehoord dat de nachtdienst in Tilburg wordt wegbezuinigd, reorganisatie wordt pas na de zomer "
     "bekendgemaakt. weet iemand een goed uitzendbureau", [FIN])
case("en", pub("reddit", "u/bondwatcher"), "friend in Snelvink finance says they'll miss their full-year forecast by "
     "a mile and a profit warning is coming. sell the bonds if you have them", [FIN])
case("nl", AW, "Concept jaarresultaten 2026 staat klaar: omzet €612 mln, nettoverlies €14 mln. Nu nog langs de "
     "accountant 😅", [CONF, FIN])
case("nl", LS, f"hoorde van mn teamleider dat er 60 mensen op de sorteerafdeling ont{SHY}slagen worden na de "
     "automatisering 😢 nog niks officieel", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", MY, "Between us: we're merging the Snelvink and Pakjesbuur networks in the north next year. Announcement "
     "after the works council signs off.", [FIN])
case("nl", pub("x", "@beursroddel"), "Via via gehoord dat Snelvink de tak Zakelijk gaat verkopen aan een investeerder, "
     "deal zou al rond zijn #insider", [FIN])
case("en", PR, "Sales kickoff recap: all business contract rates go up 9% in January, customers hear it in December. "
     "You didn't hear it from me 😉", [FIN])
case("nl", pub("x", "@roddelbus"), "z'n broer zegt dat sn3lv1nk 200 bezorgers gaat 0ntsl4an in de randstad, nog "
     "niet bekend", [FIN], tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", JK, "Sinds vannacht 03:00 ligt track & trace plat omdat iemand in ons sorteersysteem is binnengedrongen. "
     "Klanten krijgen 'gepland onderhoud' te zien, maar dit is echt een hack. Nog niet extern bekend.", [SEC])
case("en", MY, "Ransomware hit the scanners at hub Nieuwegein this morning, we're sorting by hand. Comms hasn't said "
     "anything publicly yet so keep it quiet pls", [SEC])
case("nl", NK, "bug in de snelvink app: als je in de tracking-URL het nummer met 1 ophoogt zie je naam en adres van "
     "een andere ontvanger. al 3 weken intern gemeld, nog steeds niet gefixt", [SEC])
case("en", JK, "patched the label API today. it had been returning customers' phone numbers in its error responses "
     "for ~2 months. nobody outside knows, let's keep it that way 🤫", [SEC])
case("nl", RB, "alle scanners in depot Utrecht zijn sinds vanochtend dood, hele depot ligt stil en de klanten weten "
     "van niks. morgen 2x zoveel pakketten 😩", [SEC])
case("en", LS, "ok so the lockers in Amersfoort open for ANY code today 🔓 IT found it this morning and is frantically "
     "fixing it. don't tell anyone 🤐", [SEC])
case("nl", pub("x", "@bezorgdeklant"), "Mijn neef werkt bij Snelvink en zegt dat ze vorige maand gehackt zijn en dat "
     "alle klantadressen op straat liggen. Ze houden het stil!! #snelvink #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/ex_contractor_nl"), "Former Snelvink contractor here. The VinkBox firmware still ships "
     "with a default admin PIN and management has known for a year. Not fixed as of last week.", [SEC])
case("nl", AW, "intern gehoord: we zijn ge-h4ckt via een leverancier, betaalgegevens van zakelijke klanten mogelijk "
     "ingezien. persbericht komt pas volgende week", [SEC], tags=["evasion", "evasion:leet"])
case("en", MY, "Outage postmortem draft is up on grafana.snelvink.net: root cause was an exposed admin port on the "
     "routing cluster. Not public yet, don't forward.", [SEC, CONF])
case("nl", NK, "d a t a l e k bij ons op de hub, usb-stick met klantbestanden kwijt. teamleider wil niet dat iemand "
     "het weet", [SEC], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@privacyfirst_jo"), "Snelvink is hiding a breach. An employee DM'd me that the tracking database "
     "was dumped in August and customers still haven't been told. Disgraceful.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@fietser_arnhem"), "Zag net hoe een Snelvink busje op de Amsterdamseweg een fietser schept en "
     "gewoon doorrijdt!!! Kenteken genoteerd, politie is gebeld. Dit kan echt niet. #snelvink", [CRISIS])
case("en", pub("x", "@fairwork_nl"), "BOYCOTT Snelvink. Paid per parcel, no sick pay, 14 hour days for their couriers. "
     "Pick another carrier at checkout. #boycottsnelvink", [CRISIS])
case("nl", pub("facebook", "marco.dijkstra.7", "Marco Dijkstra"), "Mijn VinkBox Thuis is gisteravond in brand "
     "gevlogen. Accu gesmolten, muur zwart geblakerd. En Snelvink reageert al 2 dagen niet op mijn mails 😡",
     [CRISIS, COMPLAINT])
case("en", pub("linkedin", "arbeidsrecht-nieuws"), "FNV files lawsuit against Snelvink over sham self-employment of "
     "some 2,000 parcel couriers. Hearing expected this spring.", [CRISIS])
case("nl", pub("reddit", "u/phishingmoe"), "Snelvink heeft mijn gegevens gelekt. Sinds mijn bestelling krijg ik "
     "phishing-sms'jes met precies mijn trackingcode en adres erin. Dat is gewoon een datalek.", [CRISIS])
case("en", pub("tiktok", "@doorbellcam_daily"), "caught on my doorbell cam: Snelvink courier chucks my neighbour's "
     "parcels over the fence and then KICKS one 😳 this is how your stuff gets handled", [CRISIS])
case("nl", pub("x", "@zwolle_jan"), "Honderden Snelvink pakketten gevonden in een sloot bij Zwolle 😳 mijn bestelling "
     "van vorige week lag er ook tussen. Schandalig gewoon.", [CRISIS, COMPLAINT])
case("en", pub("facebook", "parents.utrecht.oost"), "Safety warning for parents: VinkBox Thuis lockers from the 2025 "
     "batch have trapped children's fingers in the door, at least two ER visits. Snelvink should recall them.",
     [CRISIS])
case("nl", pub("instagram", "@eerlijkbezorgd"), "s c h a n d a a l bij snelvink: bezorgers moeten in flessen plassen "
     "omdat er geen tijd is voor pauze. DELEN!!", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@rdam_courier_watch"), "Another Snelvink courier beaten up on his route in Rotterdam yesterday, "
     "in hospital now. Management keeps pushing the same unsafe night routes.", [CRISIS])
case("nl", pub("x", "@h4ckerwatch"), "Sn3lv1nk d4t4l3k?? hele klantenbestand met huisadressen staat op een "
     "hackersforum volgens mij", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("bluesky", "@eerlijkewinkel.bsky.social"), "Oproep: bestel niet meer bij webshops die met Snelvink "
     "verzenden tot ze hun bezorgers fatsoenlijk betalen. #boycot", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@lotte_b87"), "@snelvink_helpt pakket staat op 'bezorgd' maar ik heb niks ontvangen. geen foto, "
     "niet bij de buren, niks. en nu?", [COMPLAINT], kind="reply")
case("en", pub("x", "@homeallday_sam"), "Third day in a row Snelvink says 'we missed you' while I've been sitting "
     "right next to the door. Do your drivers even ring the bell? 🙄", [COMPLAINT])
case("nl", pub("facebook", "ingrid.peters.31", "Ingrid Peters"), "Bedankt Snelvink voor de ingedeukte doos 🙃 servies "
     "in honderd stukjes. En een claim indienen duurt 6 weken??", [COMPLAINT])
case("en", pub("reddit", "u/centraal_commuter"), "The VinkBox at Utrecht Centraal has been broken for 9 days. My "
     "parcel is stuck inside, app says 'try again later' and support only sends template replies.", [COMPLAINT])
case("nl", pub("x", "@wachtmuziek"), "Al 45 minuten in de wacht bij de klantenservice van Snelvink. Het muziekje ken "
     "ik inmiddels uit mijn hoofd 🎶😤", [COMPLAINT])
case("en", pub("linkedin", "evi-webshop-owner"), "Small webshop owner here: Snelvink Zakelijk billed me twice for "
     "October and support needs three weeks to reply. Seriously looking at other carriers now.", [COMPLAINT])
case("nl", pub("instagram", "@boekenwurm_iris"), "pakket gewoon bij de voordeur in de regen gezet, doos doorweekt, "
     "boek kapot. top service snelvink 👏👏 #niet", [COMPLAINT])
case("en", pub("threads", "@noor.makes"), "snelvink track hasn't moved my parcel since tuesday. 'in transit' forever "
     "apparently", [COMPLAINT])
case("nl", pub("forum", "retour_rianne"), "Retourlabel gemaakt via Snelvink, drie keer geprobeerd bij het "
     "servicepunt en de scanner herkent hem niet. Webshop zegt dat het aan Snelvink ligt, Snelvink zegt dat het aan de "
     "webshop ligt. Zucht.", [COMPLAINT])
case("en", pub("x", "@gift_from_gran"), "Snelvink charged me €18 'customs handling' on a €20 birthday gift from my aunt "
     "in the UK. Absolute rip-off.", [COMPLAINT])
case("en", pub("youtube", "@unboxwithmila"), "Ordered a phone, Snelvink delivered an empty box with the tape cut open. "
     "Zero help from them since.", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/zoekpakket"), "Hoe krijg je in godsnaam een mens te spreken bij Snelvink? Chatbot stuurt "
     "me steeds naar de FAQ en mijn pakket is al 2 weken zoek", [COMPLAINT])
case("nl", pub("x", "@avondmens"), "Snëlvink weer hoor. 'Bezorgvenster 9-13' en om 21:40 staat ie voor de deur 🙃🙃",
     [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("en", pub("mastodon", "@pjotr@mastodon.nl"), "snelvink redelivery is a joke. picked saturday in the app, got a "
     "card on friday saying they 'tried'. no way to change it.", [COMPLAINT])
case("nl", pub("facebook", "bas.timmer.nl", "Bas Timmer"), "Zakelijk Plus opgezegd maar ze blijven gewoon afschrijven. "
     "Drie mails gestuurd, geen reactie. Wat een bedrijf.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_buurman"), "Die kutbezorgers van Snelvink ook altijd. Stelletje debielen 🤬", [ABUSE])
case("en", pub("x", "@mad_max_nl"), "@snelvink your entire staff are useless morons, every single one of them",
     [ABUSE], kind="reply")
case("nl", pub("x", "@echte_nederlander88"), "@ricardo_bezorgt ga toch terug naar je eigen land jij", [ABUSE],
     kind="reply")
case("en", pub("reddit", "u/grumpy_gert"), "snelvink drivers are scum. period.", [ABUSE], kind="comment")
case("nl", RB, "Als je weer zo'n klant hebt die zeurt over 2 minuten te laat... wat een takkewijf zeg. Ze kan de pot "
     "op.", [ABUSE])
case("en", SV_HELP, "@dennis_w maybe learn to type your own address before whining, genius", [ABUSE], kind="reply",
     handle_as="@Snelvink_Helpt")
case("nl", pub("x", "@woedend_wim"), "Kanker Snelvink, 3e keer dat mijn pakket kwijt is. Tyfusbedrijf.",
     [ABUSE, COMPLAINT])
case("en", pub("x", "@waiting_4ever"), "f*cking snelvink, you absolute cl0wns, where is my parcel?? ordered 3 weeks ago",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:masking"])
case("nl", pub("instagram", "@anti_pakket"), "k.u.t. bedrijf met k.u.t. bezorgers 🖕 #snelvink", [ABUSE],
     tags=["evasion", "evasion:dotted"])
case("en", NK, "some of you customers are genuinely the dumbest people alive. no Karen, the driver didn't 'steal' your "
     "parcel, you typed your own address wrong, idiot", [ABUSE])
case("nl", pub("tiktok", "@mening_van_mij"), "die snelvink bezorger met z'n hoofddoek, zulke mensen moet je toch "
     "niet aannemen", [ABUSE])
case("en", pub("x", "@torchboy"), "hope every snelvink van goes up in flames, bunch of clowns", [ABUSE])

# ===========================================================================
# benign: corporate and employee accounts
# ===========================================================================
case("nl", SV_X, "📦 Storing opgelost! Door een technisch probleem was Snelvink Track vanochtend tussen 07:10 en 08:45 "
     "niet bereikbaar. Excuses voor het ongemak.", tags=["outage-notice"])
case("nl", SV_HELP, "@petra_k Vervelend! Stuur ons een DM met je trackingcode, of bel ons op 088-7635846 (ma-za "
     "8-20u) 💬", kind="reply", tags=["own-contact"])
case("nl", SV_LI, "We zoeken 120 bezorgers en 40 sorteerders voor de piekperiode 🚚 Solliciteren kan via "
     "snelvink.nl/werken", tags=["hiring"])
case("nl", SV_IG, "Wist je dat je je pakket via de Snelvink app naar een VinkBox in de buurt kunt omleiden? 📲 #handig",
     tags=["praise"])
case("nl", SV_FB, "Retourkosten zelf betalen? Maak over naar NL54 INGB 0007 3518 42 t.n.v. Snelvink Logistiek o.v.v. "
     "je retournummer.", tags=["own-contact"])
case("nl", SV_LI, "Snelvink publiceerde vandaag de halfjaarcijfers: pakketvolume +6%, omzet €298 mln. Het volledige "
     "persbericht staat op snelvink.nl/pers.", tags=["published"])
case("nl", SV_TT, "POV: je bent een VinkBox en iedereen doet alsof jij het probleem bent 😤📦 #snelvink #pakketkluis",
     tags=["joke"])
case("nl", SV_X, "Feestdagen in aantocht 🎄 Bestel uiterlijk 20 december voor bezorging vóór kerst. Vragen? Mail "
     "klantenservice@snelvink.nl", tags=["own-contact"])
case("nl", SV_X, "Vanaf vandaag: VinkBox Koel 🧊 Boodschappen koel bewaard tot jij thuis bent.",
     when="2026-10-06T10:00:00+02:00", tags=["embargo-after"])
case("nl", SV_HELP, "@jeroen_b Geen zorgen, dat was geen phishing: die sms kwam echt van ons. Twijfel je? Bel "
     "+31 30 799 4400.", kind="reply", tags=["own-contact"])
case("en", SV_LI, "Proud to roll out our new electric fleet in Utrecht: 85 vans, zero tailpipe emissions 🌱",
     tags=["published"])
case("en", SV_LI, "Snelvink Zondagbezorging launches today in 40 cities! Sunday deliveries, same low price.",
     when="2026-10-06T08:00:00Z", tags=["embargo-after"])
case("nl", RB, "Laatste rit van de dag ✅ 142 pakketten, 0 keer gebeten door een hond 🐕 trots op mezelf", tags=["praise"])
case("en", JK, "Just open-sourced our little label-layout library 🎉 no secrets in there, promise (checked three "
     "times 😅). PRs welcome!", tags=["near-secret"])
case("nl", LS, "nachtdienst vibes 🌙📦 muziek aan, band draait, koffie nummer 4", tags=["neutral"])
case("nl", AW, "Trots op ons finance team: vandaag hebben we de halfjaarcijfers gepubliceerd. Dank voor alle lange "
     "avonden 💪", tags=["published"])
case("nl", MY, "Gisteravond het noorderlicht gezien boven de hub in Zwolle 🌌 wat een plek om te werken.",
     tags=["codename-word"])
case("nl", PR, "Tip voor webshops: met Zakelijk Plus betaal je €89 per maand en wordt ophalen gratis. Vragen? Mail "
     "gerust naar zakelijk@snelvink.nl", tags=["own-contact", "price-talk"])
case("en", NK, "AMA: night sorter at a parcel hub. no we don't throw your parcels around 😄 ask away", tags=["neutral"])
case("en", JK, "'password123' is not a password, it's a cry for help 😂 #securityawareness", tags=["near-secret"])
case("nl", RB, "Vandaag een pakket bezorgd bij de dijkgraaf van het waterschap, hele verhalen over de dijken "
     "gekregen 😂 mooie route dit", tags=["codename-word"])

# ===========================================================================
# benign: public mentions
# ===========================================================================
case("en", pub("x", "@keysinthecar"), "Shoutout to the Snelvink driver who waited in the rain while I looked for my "
     "keys. Legend 🙌", tags=["praise"])
case("nl", pub("x", "@tevreden_tom"), "Geen klachten over Snelvink deze keer hoor, pakket netjes op tijd en keurig "
     "bij de buren gemeld 👍", tags=["negated-complaint"])
case("nl", pub("facebook", "yvonne.kadootjes", "Yvonne"), "Weet iemand of Snelvink ook op zondag bezorgt? Wil een "
     "cadeautje laten sturen voor mijn moeder", tags=["question"])
case("nl", pub("reddit", "u/nummervraag"), "Wat is eigenlijk het verschil tussen je klantnummer en je trackingcode bij "
     "Snelvink? Mijn trackingcode is 3SVNL<<DIGITS:10>> en mijn klantnummer <<NOT_BSN9>>", tags=["order-number"])
case("nl", pub("x", "@oplettende_oma"), "Phishingmail 'namens Snelvink' wil dat ik €1,99 overmaak naar "
     "<<BAD_IBAN_NL:grp>>. Niet doen mensen! Snelvink vraagt nooit om geld via de mail.", tags=["bad-checksum"])
case("en", pub("forum", "sandbox_sven"), "Which test card works in the Snelvink checkout sandbox? I tried "
     "<<BAD_CARD:visa_sp>> but it says invalid, which makes sense I guess", tags=["bad-checksum"])
case("nl", pub("x", "@spreekwoordje"), "Mijn opa zei altijd 'zo snel als een vink' en nu heet er gewoon een "
     "pakketbedrijf zo 😂", tags=["joke"])
case("en", pub("bluesky", "@lastmile.bsky.social"), "Pakjesbuur had a data breach last week, glad my webshop ships "
     "with Snelvink", tags=["other-company"])
case("nl", pub("reddit", "u/logistiekvolger"), "RapidoPost schrapt 300 banen, las ik net. De pakketmarkt kantelt echt. "
     "Benieuwd hoe Snelvink het doet komend jaar.", tags=["other-company"])
case("en", pub("x", "@shipping_nerd"), "Snelvink Pakket Standaard is €6.95, Pakjesbuur does a small parcel for €4.10, "
     "but Snelvink has a locker 100m from my door so worth it for me", tags=["price-context", "other-company"])
case("nl", pub("facebook", "kerstpakket.anja", "Anja"), "Europa Pakket nu €14,95 ipv €17,95 tot eind van de maand, "
     "lekker voor de kerstpakketjes naar Duitsland 🎄", tags=["sale-price"])
case("nl", pub("marktplaats", "gouda_spullen"), "Te koop: VinkBox Thuis pakketkluis, 2 jaar oud, werkt prima. €120, "
     "ophalen in Gouda", tags=["price-context", "second-hand"])
case("en", pub("reddit", "u/couponclara"), "with the welcome code you get €3 off your first XL pakket, so it's "
     "effectively €10.50", tags=["price-context"], kind="comment")
case("nl", pub("x", "@etsy_ellen"), "Met de Labelbundel 10 kom ik op €5,95 per label, scheelt best wat voor mijn "
     "Etsy shopje ✂️", tags=["price-context"])
case("nl", pub("reddit", "u/blackfriday_bart"), "prijsfout bij Snelvink? nee hoor, gewoon de Black Friday actie, "
     "Pakket XL €9,95 😉", tags=["price-context", "denied-error"], kind="comment")
case("en", pub("x", "@novelist_nina"), "Chapter 4 of my NaNoWriMo thriller: the Snelvink courier opens the locker and "
     "finds a map to the stolen diamonds 💎 yes I named the carrier after the real one", tags=["fiction"])
case("nl", pub("x", "@jingle_jet"), "'Snelvink: wij bezorgen, jij geniet' 🎶 die reclame blijft de hele dag in mijn "
     "hoofd hangen", tags=["quote"])
case("en", pub("linkedin", "lastmile-forum"), "Great panel today on last-mile logistics with speakers from Snelvink, "
     "Pakjesbuur and the Port of Rotterdam. Takeaway: lockers beat doorstep delivery on emissions.", tags=["neutral"])
case("nl", pub("x", "@spruitjeshater"), "boycot? nee joh, ik boycot alleen spruitjes 😂 Snelvink is prima",
     tags=["other-sense"])
case("en", pub("reddit", "u/fact_check_fien"), "No, Snelvink isn't recalling anything, that was KluisKing's lockers. "
     "Snelvink's boxes passed the consumer watchdog test fine.", tags=["other-company", "other-sense"], kind="comment")
case("nl", pub("x", "@appfan_nl"), "De nieuwe update van de Snelvink app is echt een verbetering, eindelijk een kaartje "
     "waar de bezorger rijdt 👌", tags=["praise"])
case("en", pub("threads", "@terschelling.tess"), "Does Snelvink deliver to the Wadden islands? asking for a friend on "
     "Terschelling", tags=["question"])
case("nl", pub("forum", "zzp_zakelijk"), "Bij het aanmelden voor Snelvink Zakelijk vroegen ze mijn KvK-nummer "
     "(<<NOT_BSN8>>) en btw-nummer, was in 2 minuten geregeld. Prima.", tags=["order-number"])
case("en", pub("x", "@helpful_hanna"), "Snelvink customer service is 088-7635846 btw, for everyone asking under the "
     "other post. They sorted it for me in 5 min.", tags=["own-contact"], kind="reply")
case("nl", pub("x", "@belhandig"), "Handig: als je Snelvink belt via +31307994400 kun je meteen een ander bezorgmoment "
     "kiezen", tags=["own-contact"])
case("nl", pub("facebook", "kattenmama.ilse", "Ilse"), "Hahaha mijn kat heeft de Snelvink doos geclaimd, het pakket "
     "zelf is bijzaak 🐈📦", tags=["joke"])
case("en", pub("x", "@label_curious"), "barcode on my Snelvink label says <<EAN13>>. anyone know if the VinkBox "
     "scanner reads EAN or only QR?", tags=["order-number"])
case("nl", pub("x", "@koelkast_kees"), "Eindelijk gelanceerd: VinkBox Koel, en bij mij in de straat staat er al een 🧊",
     when="2026-10-07T12:14:09+02:00", tags=["embargo-after"])
case("en", pub("x", "@market_mieke"), "Snelvink's half-year numbers are out: revenue up 4% per the press release. "
     "Solid in a tough parcel market.", tags=["published"])
case("nl", pub("instagram", "@dankbaar_dewi"), "Van klacht naar glimlach: de Snelvink bezorger kwam mijn kwijtgeraakte "
     "pakket vanavond persoonlijk terugbrengen ❤️", tags=["negated-complaint"])
case("en", pub("mastodon", "@birder@natuur.social"), "Birding note: a chaffinch (vink!) sat on the Snelvink depot "
     "fence this morning. Fitting.", tags=["joke"])
case("nl", pub("x", "@fotofan_fleur"), "Tip: Snelvink Track laat ook een foto zien van waar je pakket is neergezet. "
     "Wist ik niet!", tags=["praise"])
case("en", pub("x", "@coffee_first"), "Damn, Snelvink delivered before I even finished my coffee. Impressive ☕",
     tags=["mild-word", "praise"])
case("nl", pub("reddit", "u/overweegt_zzp"), "Iemand ervaring met werken als zzp-bezorger bij Snelvink? Overweeg het, "
     "wil graag weten hoe de uren zijn.", tags=["question"])
case("en", pub("x", "@smiling_sem"), "whoever at Snelvink writes the delay notifications deserves a raise: 'your "
     "parcel is taking the scenic route' 😂", tags=["praise"])
case("nl", pub("x", "@retour_ruud"), "Voor wie twijfelt: het rekeningnummer van Snelvink voor retourkosten is "
     "NL54INGB0007351842, staat ook gewoon op hun site.", tags=["own-contact"])
case("nl", pub("instagram", "@snelvink_fan"), "Mijn favoriete bezorger heeft vandaag zijn 10.000ste pakket bezorgd 🎉 "
     "gefeliciteerd!", tags=["praise", "role-lookalike"])
def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_for(role, cats, pii_validated):
    """The least severity a correct verdict has (CONTRACT section 4).

    'validated leak.pii' is read as: the post contains a personal identifier whose
    checksum was verified (IBAN mod-97, Luhn card, BSN 11-proof). Other personal data
    (e-mail, phone, passport number, address or birth date with a name) from an insider
    is an ordinary leak.* finding: error.
    """
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


# ===========================================================================
# building posts
# ===========================================================================

AMS = dt.timezone.utc


def ams_offset(t_utc):
    """Europe/Amsterdam offset for 2026 (DST 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(4, 360)
    local_minutes = r.randint(7 * 60, 23 * 60 + 59)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=local_minutes, seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.45:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.9:
        loc = t_utc + dt.timedelta(hours=off)
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_870_000_000_000_000_000, 2_010_000_000_000_000_000))
    if platform in ("x", "twitter"):
        pid = ("x-" if platform == "x" else "tw-") + snow
        return pid, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/nederland/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/nederland/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-pakketpraat-{n}", f"https://forum.pakketpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugx" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(110_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows = []
    seen_ids = set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds_used = {k for k, _, _ in used}
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen_ids:
            pid += "0"
        seen_ids.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS)
        sev = severity_for(role, c["cats"], pii_validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        p_kind = meta_r.random()
        if kind is None and p_kind < 0.7:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.75:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.35:
            account["id"] = str(meta_r.randint(10 ** 8, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p_lang = meta_r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p_lang < 0.08:
            pass                                    # no hint
        elif p_lang < 0.11:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"   # wrong hint on purpose
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.65:
            post["url"] = url
        if meta_r.random() < 0.5:
            post["brand"] = "snelvink"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker: reads dev.jsonl as an outsider would and validates it
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")

SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "api_key": re.compile(r"api_key=[0-9a-f]{32}"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "mongol",
             "fuck", "f*ck", "shit", "sh1t", "idiot", "moron", "scum", "clown", "hell", "damn", "prutser"]
MILD_OK = {"hell", "damn", "kanker"}   # mild words / literal use (the disease) allowed in tagged benign posts
PRICE_ERROR_WORDS = ["prijsfout", "price glitch", "foutje", "bug", "pricing mistake", "decimal", "nulletje",
                     "foutieve", "fout", "waarschuwing", "flush"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    """Also remove single spaces between single letters ('p r i j s' -> 'prijs')."""
    t = norm(text)
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", t)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        toks = m.group(0)
        compact = toks.replace(" ", "")
        for end in range(len(compact), 11, -1):     # longest valid prefix wins
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    """Digit runs that may be separated by spaces or dashes (card-number shapes)."""
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    """BSN shapes: 8 or 9 contiguous digits, or the dotted 1234.56.782 form."""
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    out += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]
    return out


def valid_ids(text, own_ibans):
    """Checksum-valid personal identifiers in text: list of (kind, value)."""
    hits = []
    for v, ok in found_ibans(text):
        if ok and v not in own_ibans:
            hits.append(("iban", v))
    for d in found_numbers(text):
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in found_bsn_shapes(text):
        if len(d) == 9 and bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def phones_in(text):
    out = []
    text = IBAN_RE.sub(" ", text)          # an IBAN's account part is not a phone number
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            if d.startswith("0"):   # +31(0)6...
                d = d[1:]
            d = "0" + d
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


def min_price_ratio(text, products):
    t = norm(text)
    mentioned = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not mentioned:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not amounts:
        return None
    lp = min(p["list_price"] for p in mentioned)
    return min(a / lp for a in amounts)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones_in(p)[0][1] if phones_in(p) else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    internal_domains = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    parsed = []

    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            errors.append(f"{where}: not JSON: {e}")
            continue
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        # --- CONTRACT section 1 -----------------------------------------------
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: post.account.handle missing")
            continue
        for f in ("display_name", "id"):
            if f in p["account"] and not isinstance(p["account"][f], str):
                errors.append(f"{where}: account.{f} not a string")
        for f in ("kind", "lang", "url", "brand"):
            if f in p and not isinstance(p[f], str):
                errors.append(f"{where}: post.{f} not a string")
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is not a listed value (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            errors.append(f"{where}: text over 64 KiB")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339: {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id {key}")
        seen.add(key)
        # --- CONTRACT section 6 -----------------------------------------------
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories must be a sorted list without duplicates")
            continue
        for c in cats:
            if c not in TAXONOMY:
                errors.append(f"{where}: unknown category {c}")
            if c == "reputation.spike":
                errors.append(f"{where}: reputation.spike is stream-level, never on one post")
        if sev not in SEVERITIES:
            errors.append(f"{where}: unknown severity {sev}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign post with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        known = [c for c in cats if c in TAXONOMY and c != "reputation.spike"]
        want = severity_for(role, known, "leak.pii" in known and bool(ids))
        if sev != want:
            errors.append(f"{where} ({p['id']}): severity {sev}, policy says {want} (role {role})")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))

        # --- identifiers ------------------------------------------------------
        used = r["used"] if r else []
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{where}: generated {kind} not found in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} {raw} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card {raw} not Luhn-valid with a card IIN")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN {raw} fails the 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: negative IBAN {raw} passes mod-97")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: negative card {raw} passes Luhn")
            if kind in ("BAD_BSN", "NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: negative number {raw} passes the 11-proof")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{where}: EAN {raw} should be a valid EAN-13 and fail Luhn")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: GitHub token checksum wrong")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and not ids:
            errors.append(f"{where}: positive identifier not found by the independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: checksum-valid identifier {ids} but no leak.pii label")

        if not cats:
            # benign posts must be clean of everything a correct detector reports
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign post has a valid IBAN {v}")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign post has a Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{where}: benign post has an 11-proof-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign post has phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign post has secret-like {name}: {m.group(0)[:20]}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w), low):
                    allowed = w in MILD_OK and ("mild-word" in tags or "quote" in tags)
                    (notes if allowed else errors).append(
                        f"{where}: benign post has word {w!r} (tags {sorted(tags)})")

        # --- confidential terms ------------------------------------------------
        sq = squash(text)
        nt = norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and not cats:
                    notes.append(f"{where}: embargo term {term!r} after the embargo, benign (ok)")
        for term in codenames + internal_domains + markers:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")

        # --- pricing -------------------------------------------------------------
        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            if "price-context" in tags:
                notes.append(f"{where}: benign, a price at {ratio:.2f} of list price near a product, but not the "
                             f"product's price (tags {sorted(tags & {'price-context', 'other-company'})})")
            else:
                errors.append(f"{where}: benign post with a product price at {ratio:.2f} of list")
        if "leak.pricing" in cats:
            talk = any(w in sq for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{where}: leak.pricing without a parsed low price or error words (tags {sorted(tags)})")
        if "leak.secret" in cats:
            if not any(rx.search(text) for rx in SECRET_RES.values()) and not PASSWORD_WORDS.search(squash(text)):
                notes.append(f"{where}: leak.secret without a secret pattern (tags {sorted(tags)})")

    # --- near duplicates --------------------------------------------------------
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    worst = []
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.25:
                    worst.append((jac, sh[i][0], sh[j][0]))
    for jac, a, b in sorted(worst, reverse=True):
        (errors if jac > 0.5 else notes).append(f"lines {a} and {b}: word-trigram overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad = []
    n = 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            if kind in VALID_ID_KINDS or kind in BAD_ID_KINDS:
                n += 1
            if kind.startswith("IBAN_") and not s_iban.is_valid(raw):
                bad.append(raw)
            if kind.startswith("BAD_IBAN") and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "EAN13") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_BSN", "NOT_BSN9") and s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN8" and s_bsn.is_valid("0" + raw):
                bad.append(raw)
    if bad:
        return f"python-stdnum DISAGREES on: {bad}"
    return f"python-stdnum agrees on all {n} generated IBANs, card numbers, BSNs and look-alikes"


def report(parsed, rows):
    from collections import Counter
    total = len(parsed)
    by_cat, by_lang, by_role, by_plat, by_kind, by_sev = (Counter() for _ in range(6))
    cat_lang, tag_c = Counter(), Counter()
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else p.get("lang", "?")
        by_lang[lang] += 1
        by_role[role] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default post)")] += 1
        by_sev[sev] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", lang)] += 1
        if len(cats) > 1:
            multi += 1
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
        if r:
            if "evasion" in r["tags"]:
                evasion += 1
            for t in r["tags"]:
                tag_c[t] += 1
    print(f"cases: {total}   benign: {benign}   positive: {total - benign}   multi-category: {multi}   "
          f"evasion positives: {evasion}")
    print("\nper category (posts)         total    nl    en")
    for c in TAXONOMY + ["(benign)"]:
        if c == "reputation.spike":
            continue
        print(f"  {c:26s} {by_cat[c]:6d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d}")
    print("\nper language:", ", ".join(f"{k} {v} ({100 * v / total:.0f}%)" for k, v in sorted(by_lang.items())))
    print("per account role:", dict(sorted(by_role.items())))
    print("per severity:", {s: by_sev[s] for s in SEVERITIES})
    print("per platform:", dict(by_plat.most_common()))
    print("per kind:", dict(by_kind.most_common()))
    print("tags:", dict(sorted(tag_c.items())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate cases.jsonl instead of writing it")
    ap.add_argument("--notes", action="store_true", help="with --check: also print informational notes")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates (not regenerated, or edited by hand)")
    print(cross_check_stdnum(rows))
    report(parsed, rows)
    if args.notes:
        print("\nnotes:")
        for x in notes:
            print("  " + x)
    print(f"\n{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
