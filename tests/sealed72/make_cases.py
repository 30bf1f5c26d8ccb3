#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed72 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Dijkstroom IT B.V." (profile.yaml), a fictional Dutch IT managed-services
provider for small businesses (servicedesk, Microsoft 365 migrations, back-ups,
security monitoring, monthly contracts).

Texts are hand-written below (the CASES list). Identifiers and secrets are filled in
from placeholders like <<IBAN_NL>> by a seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN
11-proof); hard negatives get look-alikes that FAIL their checksum. Every secret is
random and fake, shaped like the real format.

Severity is never typed by hand: it is computed from CONTRACT section 4 from the
account role (profile.yaml, platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier (IBAN, card, BSN) is in the post.
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

SEED = 72_2026_0915
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
CYR_E = "\u0435"   # Cyrillic small ie, looks like Latin e
CYR_A = "\u0430"   # Cyrillic small a
CYR_O = "\u043e"   # Cyrillic small o


def fw(s):
    """Full-width form of ASCII text."""
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
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
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
    """Dutch 11-proof; 8-digit numbers get a leading zero."""
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
# seeded generators
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL55RABO0312554890"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
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

    # IBAN
    def iban_nl(self):
        bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
        while True:
            v = iban_make("NL", bank + self.digits(10, first_nonzero=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        blz = self.r.choice(["30050110", "37050198", "10050000", "60050101", "50070010"])
        return iban_make("DE", blz + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["001", "068", "310", "363", "735"]) + self.digits(7)
        chk = int(first10) % 97 or 97
        return iban_make("BE", f"{first10}{chk:02d}")

    def iban_gb(self):
        bank = self.r.choice(["BARC", "NWBK", "LOYD", "HBUK", "MIDL"])
        return iban_make("GB", bank + self.digits(6) + self.digits(8))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 43, 59):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards
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
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        if len(v) == 15:
            parts = [v[:4], v[4:10], v[10:]]
        else:
            parts = [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # BSN and look-alikes
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

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
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
        area = self.r.choice(["30", "33", "35", "343", "318", "20", "10", "40", "55", "26"])
        sub = self.r.choice("2345789") + self.digits(8 - len(area))
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": (f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}" if len(sub) == 7
                        else f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}"),
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def github_pat(self):
        return "github_pat_11" + self.chars(string.ascii_uppercase + string.digits, 20) + "_" + self.chars(ALNUM, 59)

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def az_secret(self):
        return self.chars(ALNUM, 3) + "8Q~" + self.chars(ALNUM + "_.-~", 34)

    def az_key(self):
        return self.chars(B64, 86) + "=="

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/"
                f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")

    def jwt(self):
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "svc_statuspage", "iss": "portal.dijkstroom.nl", "scope": "incidents.read",
                   "iat": iat, "exp": iat + 31536000}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{p}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 18) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#$%*?") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
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
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), first_nonzero=True)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "GHPAT":
            shown = raw = gen.github_pat()
        elif kind == "GLPAT":
            shown = raw = gen.glpat()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "AZSECRET":
            shown = raw = gen.az_secret()
        elif kind == "AZKEY":
            shown = raw = gen.az_key()
        elif kind == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        elif kind == "JWT":
            shown = raw = gen.jwt()
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
D_X = ("x", "@dijkstroom_it", "Dijkstroom IT")
D_SUP = ("x", "@dijkstroom_support", "Dijkstroom Servicedesk")
D_LI = ("linkedin", "dijkstroom-it", "Dijkstroom IT B.V.")
D_FB = ("facebook", "DijkstroomIT", "Dijkstroom IT")
D_IG = ("instagram", "@dijkstroom.it", "Dijkstroom IT")
# employees (profile accounts.employee)
RH = ("x", "@ruben_hd", "Ruben Hoekstra")                          # servicedesk engineer
LK = ("linkedin", "lotte-kuipers-dijkstroom", "Lotte Kuipers")     # account manager
MY = ("x", "@m_yilmaz_soc", "Mert Yılmaz")                         # SOC analyst
AB = ("instagram", "@anouk.cloudt", "Anouk Brouwer")               # M365 migration consultant
JL = ("linkedin", "joost-van-leeuwen-1982", "Joost van Leeuwen")   # finance / controller
SD = ("x", "@sem_dekker", "Sem Dekker")                            # field engineer
NH = ("linkedin", "naima-haddou", "Naima Haddou")                  # HR / recruitment
TV = ("bluesky", "tvisser.bsky.social", "Thijs Visser")            # automation / cloud engineer
EK = ("threads", "@eva.kramer.it", "Eva Kramer")                   # servicedesk team lead


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


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", TV, "graph api keeps throwing 401 on the client tenant 😩\ntenant: <<UUID>>\nclient: <<UUID>>\n"
     "secret: <<AZSECRET>>\nscope is .default, admin consent is granted. what am I missing??", [SECRET])
case("nl", RH, "backupjob van vannacht weer rood. ziet iemand wat er mis is met deze string?\n"
     "Server=sql02.corp.dijkstroom.local;Database=veeam_cfg;User Id=svc_bkp;Password=<<PW>>;\n"
     "krijg alleen maar timeouts", [SECRET, CONF])
case("en", SD, "lmao pushed my onboarding scripts to a public gist with the token still in there: <<GHP>>\n"
     "revoked it already so no stress 🤡", [SECRET], tags=["rotated"])
case("en", MY, "anyone got CloudTrail ingestion working in Sentinel? my connector config:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion eu-west-1. still 0 events",
     [SECRET])
case("nl", TV, "eindelijk 🎉 onze nachtelijke backup-check post nu naar slack: <<SLACK_HOOK>>\nvolgende stap: teams",
     [SECRET])
case("nl", pub("forum", "printerpech_lisa", "Lisa"),
     "Sinds Dijkstroom onze mail heeft verhuisd scant de printer niet meer naar e-mail. Dit heb ik ingevuld:\n"
     "server smtp.office365.com poort 587\ngebruiker scanner\nww <<PW>>\nwat doe ik fout?", [SECRET])
case("en", pub("x", "@h0neyp0t_hank", "hank"),
     "yo @dijkstroom_it your deploy key is sitting in a public repo, first hit on github code search 👀\n"
     "<<PEM_OPENSSH>>", [SECRET])
case("nl", D_FB, "Nieuw voor klanten: koppel je eigen dashboard aan onze status-API! 🚀 Zo simpel is het:\n"
     "curl -H \"Authorization: Bearer <<JWT>>\" https://status.dijkstroom.nl/api/v1/incidents\n"
     "Vragen? servicedesk@dijkstroom.nl", [SECRET])
case("nl", MY, "wachtwoord van de jumphost is nog steeds W i n t e r 2 0 2 6 ! 🙃 wie heeft dat ooit bedacht",
     [SECRET], tags=["evasion"])
case("en", pub("youtube", "@GadgetGerrit", "Gerrit"),
     "at 4:17 the remote desktop login for your demo server is fully visible, user admin pw <<PW>>. "
     "might wanna blur that, Dijkstroom", [SECRET], kind="comment")
case("nl", RH, "pipeline van ons patch-scriptje faalt op auth, token is gewoon <<GLPAT>> met api scope. iemand?",
     [SECRET])
case("en", TV, "why does Storage Explorer reject this, it worked fine yesterday\n"
     "DefaultEndpointsProtocol=https;AccountName=dsbackupweu01;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net",
     [SECRET])
case("en", pub("reddit", "u/packet_sniffles", None),
     "Found a fine-grained GitHub token hardcoded in the Dijkstroom IT installer script that's downloadable from "
     "their site: <<GHPAT>>\nReported it to security@dijkstroom.nl, no answer yet.", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", RH, "klant belt nu voor de 4e keer vandaag. mevrouw Jansen, <<PHONE:mob_dash>>, wil PERSÉ dat ik "
     "terugbel. ik heb ook nog andere tickets hoor 😩", [PII])
case("nl", LK, "Weer een nieuwe klant aan boord! 🎉 Machtiging is al binnen: t.n.v. R.M. Vos, <<IBAN_NL:grp>>. "
     "Welkom bij de Dijkstroom-familie!", [PII])
case("en", JL, "Month-end close fun: a customer paid his invoice twice, so we're refunding to his German account "
     "<<IBAN_DE:grp>> (Herr K. Schäfer). Who says finance is boring.", [PII])
case("nl", NH, "Hiep hiep hoera voor Daan Smit! 🎂 Vandaag 28 jaar (geboren 14 maart 1998) en al twee jaar onze "
     "snelste collega op de servicedesk.", [PII], when="2026-03-14T09:12:41+01:00")
case("nl", AB, "Mailbox-export van een klant doorgespit en ja hoor, loonstrook in de bijlage met BSN "
     "<<BSN:dots>> erop. mensen toch 😬 #avg", [PII])
case("nl", pub("facebook", "Marieke Oosterhout", "Marieke Oosterhout"),
     "Dijkstroom, bel me nou gewoon even terug op <<PHONE:mob_intl_sp>>. Al twee dagen kan niemand op kantoor "
     "mailen en ik hoor helemaal niks van jullie.", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@bikeshop_bas", "Bas | Fietsenmaker"),
     "@dijkstroom_support how do i change the card on my monthly contract? portal keeps saying invalid for "
     "<<CARD:visa_sp>> exp 09/28", [PII])
case("nl", pub("reddit", "u/mdewit_amf", None),
     "Dijkstroom blijft mijn facturen naar mijn oude adres sturen. Ik woon al een jaar op de Kerkstraat 14, "
     "3811 CV Amersfoort, M. de Wit. Hoe vaak moet ik dat nog doorgeven?", [PII, COMPLAINT])
case("en", EK, "if anyone from the Kessler & Co office reads this: Sandra Verhoeven's address "
     "sandra.verhoeven@kesslerco.nl bounces everything since the cutover, tell her to call us", [PII])
case("nl", pub("forum", "mkb_mark", "Mark"),
     "Tip voor wie bij Dijkstroom nooit iemand te pakken krijgt: hun accountmanager Lotte heeft een eigen 06, "
     "<<PHONE:mob_pairs>>. Gewoon die bellen.", [PII])
case("nl", RH, "klant wil z'n oude ziggo-adres erbij, henk.vandam [at] ziggo [punt] nl, weet iemand of dat "
     "netjes kan als alias op een shared mailbox?", [PII], tags=["evasion"])
case("nl", pub("x", "@sjoerd_timmerwerk", "Sjoerd"),
     "@dijkstroom_it jullie hebben maart 2x afgeschreven. Stort het maar terug op <<IBAN_NL>>, ik wacht nu al "
     "3 weken", [PII, COMPLAINT], kind="reply")
case("nl", D_SUP, "@hvdberg_bouw Beste meneer Van den Berg, dank voor uw geduld. We hebben uw privénummer "
     "<<PHONE:land_sp>> genoteerd, een collega belt u morgenochtend terug.", [PII], kind="reply")
case("nl", MY, "klant stuurt een scan van z'n paspoort mee in een wachtwoord-reset ticket. NXR8K2P41, J.P. Mulder. "
     "waarom doen mensen dit 😭", [PII])
case("en", pub("facebook", "Sofie Peeters", "Sofie Peeters"),
     "Dijkstroom, you asked where to send the referral bonus: <<IBAN_BE:grp>>, Sofie Peeters. thanks!",
     [PII], kind="comment")
case("nl", RH, "klant las net z'n creditcard voor door de telefoon voor de licentieverlenging 🫠 "
     "<<CARD:mc2_dash>> staat nu gewoon in het ticket. dat moeten we echt anders regelen", [PII])
case("en", JL, "Paying our freelance Azure trainer today: Oliver Grant, <<IBAN_GB>>. Great sessions, Oliver!", [PII])
case("en", pub("x", "@gwen_bakes", "Gwen"),
     "@dijkstroom_it why is my amex <<CARD:amex_sp>> being charged €89 when the contract says €69??",
     [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LK, "Alleen deze week, alleen voor de eerste 5 bellers: het 365 Verhuispakket voor €495 in plaats "
     "van €1.495 📦➡️☁️ Snel zijn!", [PRICING])
case("en", pub("x", "@deal_dennis", "Dennis"),
     "lmao dijkstroom's webshop has the Poortwachter F40 at €89 right now, ordered two before someone wakes up",
     [PRICING])
case("nl", RH, "oepsie 🙈 iemand heeft in de portal de Backupkluis op €3,50 per maand gezet ipv €35. tot de fix "
     "live is niet verder vertellen", [PRICING])
case("nl", pub("reddit", "u/koopjesjager88", None),
     "p r i j s f o u t bij dijkstroom lol, Security Quickscan voor 69 euro op hun site. pakken die handel",
     [PRICING], tags=["evasion"])
case("en", SD, "the Wachtpost SOC quote tool is spitting out €29/month for every customer instead of 299 lol, "
     "sales is gonna love this", [PRICING])
case("nl", pub("facebook", "Ilse Verbeek", "Ilse Verbeek"),
     "Helpdesk Plus voor €1,90 per gebruiker?? Vast een foutje maar ik heb er meteen 12 besteld hoor 😂",
     [PRICING], kind="comment")
case("en", EK, "heads up team: pricing glitch on the Verhuispakket landing page, it says €149,50. web team is on "
     "it, don't confirm any orders", [PRICING])
case("nl", pub("forum", "netwerknerd_nijmegen", "netwerknerd"),
     "Iemand anders de Poortwachter-F40 ook voor 399 euro kunnen bestellen bij Dijkstroom? Volgens mij klopt die "
     "prijs niet helemaal", [PRICING])
case("nl", D_IG, "🔥 BLACK FRIDAY 🔥 Backupkluis 1 TB nu voor maar €0,35 per maand! Nooit meer data kwijt 💾 "
     "Link in bio", [PRICING], when="2026-11-27T08:30:00+01:00")
case("en", pub("x", "@frugal_freek", "Freek"),
     "Wërkplek Zörgeloos for €4.90 a user on their site, is this legit or a typo 👀 @dijkstroom_it",
     [PRICING], tags=["evasion"])
case("nl", TV, "de nieuwe koppeling met de boekhouding zet alle Wachtpost-abonnementen op €2,99 i.p.v. €299 😬 "
     "komma verkeerd gemapt, rollback loopt", [PRICING])
case("nl", pub("x", "@ondernemer_yara", "Yara"),
     "Zorgeloos Werkplek voor 9 euro pppm bij Dijkstroom?? Dat kan nooit kloppen, snel vastleggen voor 20 man",
     [PRICING])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", TV, "spent the whole day moving runbooks off wiki.dijkstroom.internal into the new docs platform. "
     "400 pages of copy-paste, pray for me", [CONF])
case("nl", AB, "Sneak peek 👀 van waar we al maanden aan werken: Schild 365 🛡️ Binnenkort meer!",
     [CONF], when="2026-08-27T14:12:05+02:00")
case("nl", SD, "sessie op rmm.dijkstroom.nl/admin weer verlopen midden in een script-push. elke keer weer", [CONF])
case("en", MY, "reading a deck stamped DIJKSTROOM CONFIDENTIAL on the train like a pro 😎 slide 7 is going to "
     "surprise some people", [CONF])
case("nl", pub("reddit", "u/helpdeskhenk", None),
     "Via via gehoord dat Dijkstroom met Project Reiger hun hele eerstelijns servicedesk door een chatbot laat "
     "doen. Iemand meer info?", [CONF])
case("en", EK, "tired. the Project\nReiger standup went 2 hours over. again.", [CONF], tags=["evasion"])
case("en", pub("x", "@tanja_praktijk", "Tanja"),
     "@dijkstroom_support sent me a link to https://psa.dijkstroom.nl/tickets/88213 to 'check my ticket "
     "status' and it doesn't even open outside your network. how am I supposed to follow up??",
     [CONF, COMPLAINT], kind="reply")
case("nl", pub("x", "@itnieuws_utr", "IT-nieuws Utrecht"),
     f"Hoor dat Dijkstroom volgende maand met 'Schild{ZW} 365' komt, een soort securitybundel voor het mkb?",
     [CONF], when="2026-09-01T20:45:10Z", tags=["evasion"])
case("nl", TV, "TLP:AMBER IOC's van de phishingcampagne die deze week bij drie van onze klanten binnenkwam: "
     "login-m365-verify[.]com en 185.225.74.19. niet verder doorsturen aub", [CONF, SEC])
case("en", SD, "finally got split DNS working so my laptop resolves corp.dijkstroom.local over the tunnel. "
     "only took 3 coffees", [CONF])
case("nl", RH, "nog 1 minuutje en dan mogen we het eindelijk zeggen: Dijkstroom Schild gaat live 🛡️🚀",
     [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("en", LK, "Kickoff for Operatie 🏖️ Zandzak today. Best team I've ever worked with 💪", [CONF],
     tags=["evasion"])
case("en", MY, "Dwaallicht PoC caught its first real lateral movement today 🥹 proud of this little detection "
     "engine", [CONF])
case("nl", pub("instagram", "@anouk.cloud", "Anouk B."),
     "Throwback naar mijn tijd bij Dijkstroom: de whiteboards vol met Dwaallicht-schetsjes 😄 ben benieuwd wat ervan "
     "geworden is", [CONF], tags=["lookalike-handle"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", JL, "Jaarcijfers 2026 zien er goed uit, omzetgroei van 18% 📈 Zeg nog even niks tegen niemand 😉",
     [CONF, FIN])
case("en", LK, "Rumours are true 🤫 we're in talks to acquire a smaller MSP in Zwolle. Signing expected in June "
     "if due diligence goes ok.", [FIN])
case("nl", RH, "na de reorganisatie in januari gaan er 12 man van de servicedesk uit. net gehoord in het "
     "MT-overleg. fijne kerst", [FIN], when="2026-12-18T16:40:22+01:00")
case("en", pub("reddit", "u/utrecht_it_guy", None),
     "friend who works at Dijkstroom says they're about to be bought by a private equity fund, deal supposedly "
     "closes in Q3", [FIN], kind="comment")
case("en", EK, f"lay{SHY}offs were announced internally this morning. press release isn't until friday so keep "
     "it quiet pls", [FIN], tags=["evasion"])
case("nl", pub("x", "@jeroen_vdk", "Jeroen"),
     "Zwager werkt bij Dijkstroom, volgende maand gaat de helft van de buitendienstmonteurs eruit. Mooi bedrijf "
     "hoor.", [FIN])
case("nl", MY, "MT heeft besloten: het SOC gaat op in de overnamekandidaat uit Eindhoven, ontslagen 'niet "
     "uitgesloten'. lekker motiverend", [FIN])
case("nl", pub("forum", "insider_apd", "insider_apd"),
     "Insider hier: Dijkstroom sluit eind dit jaar de vestiging in Apeldoorn, het personeel weet nog van niks",
     [FIN])
case("en", NH, "Hiring freeze effective immediately until the merger with Netwerkhuis closes. Sorry to every "
     "candidate in the pipeline 🙃", [FIN])
case("nl", JL, "Net de Q3-prognose rondgestuurd (alleen intern!): EBITDA komt uit op 1,1 mln, ruim onder budget. "
     "Spannende boardmeeting volgende week.", [CONF, FIN])
case("nl", JL, "Goed nieuws voor de aandeelhouders straks: de H2-cijfers 2026 komen ruim boven de prognose uit 🥂",
     [CONF, FIN], when="2026-12-29T11:05:00+01:00")
case("en", TV, "overheard in the kitchen: the annual results 2026 are 'not great' and the CFO is leaving in "
     "March", [CONF, FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", MY, "nachtdienst SOC: ransomware bij een tandartspraktijk die we beheren, alles versleuteld, ook de "
     "backups op de NAS. nog niks naar buiten gebracht.", [SEC])
case("en", SD, "our backup platform has been down since 3am and none of the clients know yet 🙈 coffee #4", [SEC])
case("nl", TV, "onze RMM-agent heeft een lek waarmee je zonder login scripts op klantmachines kan draaien. fix "
     "komt pas volgende week 😬", [SEC])
case("en", RH, "one of our techs got phished, attacker sat in the ticketing system for ~6 hours. comms still "
     "deciding what to tell customers", [SEC])
case("nl", pub("x", "@boos_ondernemer", "Arjen"),
     "Dijkstroom is gehackt en ze houden het gewoon stil. Mijn klantgegevens staan op een leaksite, ik heb het "
     "zelf gezien.", [SEC, CRISIS])
case("en", EK, "we got h4cked last night. mfa fatigue on a global admin. nothing public yet so shhh",
     [SEC], tags=["evasion"])
case("nl", AB, "Migratieweekend 🫠 per ongeluk de mailboxen van 40 gebruikers bij een klant gewist. restore "
     "loopt nog, klant weet van niks", [SEC])
case("en", MY, "found a pre-auth bug in the firewall we roll out at most clients (Poortwachter F40). vendor "
     "hasn't published anything and there's no patch", [SEC])
case("en", pub("reddit", "u/confused_cfo", None),
     "PSA: Dijkstroom's client portal showed me another company's invoices yesterday. They're acting like "
     "nothing happened. Data breach much?", [SEC, CRISIS])
case("nl", RH, "dat4l3k bij ons sinds dinsdag, 3 klanten geraakt. officieel 'onderzoeken we het nog' 🙄",
     [SEC], tags=["evasion"])
case("nl", SD, "storing op ALLE klant-vpn's sinds 07:00 en status.dijkstroom.nl staat nog vrolijk op groen 🙃",
     [SEC])
case("en", pub("threads", "@mkb.insights", "MKB Insights"),
     "my contact at Dijkstroom admitted their SOC missed an intrusion at one of their clients for weeks. still "
     "no statement from them", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@petra_kapsalon", "Petra"),
     f"Dijkstroom heeft mijn gegevens g{CYR_E}lekt. Ik krijg nu phishingmails mét mijn klantnummer erin. "
     "Schandalig.", [CRISIS], tags=["evasion"])
case("nl", pub("linkedin", "ict-recht-nieuws", "ICT & Recht Nieuws"),
     "Accountantskantoor uit Nieuwegein sleept IT-dienstverlener Dijkstroom voor de rechter na een "
     "ransomware-aanval die de monitoring niet opmerkte. De zaak dient in mei.", [CRISIS])
case("nl", pub("facebook", "Gerda Wolters", "Gerda Wolters"),
     "BOYCOT DIJKSTROOM. 30 mensen op straat gezet en de directie rijdt in een nieuwe Porsche. Zeg je contract op!",
     [CRISIS])
case("en", pub("x", "@rick_dental", "Rick"),
     "our Poortwachter F40 from Dijkstroom literally started smoking in the server closet 😳 burn marks on the "
     "shelf, unplugged it just in time", [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/tweedehands_tom", None),
     "Brief gehad van Dijkstroom over een terugroepactie van de voedingen van de Poortwachter F40. Iemand anders "
     "ook?", [CRISIS])
case("en", pub("x", "@devrel_daan", "Daan"),
     "b o y c o t t dijkstroom. they're suing a former employee for posting an honest glassdoor review",
     [CRISIS], tags=["evasion"])
case("nl", pub("instagram", "@ondernemen.in.utrecht", "Ondernemen in Utrecht"),
     "Schandaal bij Dijkstroom: een monteur zat tijdens onderhoud gewoon door de privéfoto's van een klant te "
     "bladeren. Screenshots gaan rond.", [CRISIS])
case("en", pub("tiktok", "@itgirlie", "itgirlie"),
     "storytime: our MSP (dijkstroom) leaked our entire client database and now the Dutch DPA is investigating 💀 "
     "#databreach", [CRISIS])
case("nl", pub("linkedin", "femke-dijkhuizen", "Femke Dijkhuizen"),
     "Datalek bij Dijkstroom IT? Meerdere ondernemers in Utrecht melden dat hun M365-wachtwoorden zijn gestolen na "
     "onderhoud.", [CRISIS])
case("en", pub("mastodon", "wouter@mastodon.nl", "Wouter"),
     "A Dijkstroom sales rep was sharing racist jokes in a client WhatsApp group. Screenshots are everywhere. "
     "What a company culture.", [CRISIS])
case("nl", pub("forum", "bakker_ben", "Ben"),
     "Brandje in de meterkast door de Backupkluis-NAS die Dijkstroom bij ons heeft neergezet. Brandweer is "
     "geweest, alles ruikt naar gesmolten plastic.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@drukkerij_hofman", "Drukkerij Hofman"),
     "@dijkstroom_support al 4 dagen geen reactie op mijn ticket en de printer doet nog steeds helemaal niks. "
     "Waar betaal ik eigenlijk voor?", [COMPLAINT], kind="reply")
case("en", pub("trustpilot", "Marco V.", "Marco V."),
     "2 stars. The 365 migration took three weekends instead of one and half our shared calendars vanished. "
     "Support kept saying 'it syncs overnight'.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("facebook", "Henk Bosch", "Henk Bosch"),
     "Helpdesk Plus van Dijkstroom is een lachertje. 45 minuten in de wacht en dan 'we bellen u terug'. Niet dus.",
     [COMPLAINT])
case("en", pub("reddit", "u/office_manager_nl", None),
     "Dijkstroom billed us for 25 seats, we have 11 users. Third email asking for a credit note, zero response.",
     [COMPLAINT])
case("en", pub("x", "@anne_architect", "Anne"),
     "'monitored 24/7' my foot. restore failed and turns out the backup job hadn't run since March. nobody at "
     "@dijkstroom_it noticed", [COMPLAINT])
case("nl", pub("linkedin", "ruud-hermans-advies", "Ruud Hermans"),
     "Teleurgesteld in de overstap naar Dijkstroom. Onboarding van 2 weken duurt nu ruim 2 maanden en we hebben "
     "nog steeds geen werkende VPN.", [COMPLAINT])
case("nl", pub("x", "@lars_loodgieter", "Lars"),
     "dijkstr00m support is echt ZO traag man 🐌🐌 ticket van maandag nog steeds 'in behandeling'",
     [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "@SmallBizSander", "Sander"),
     "followed this tutorial step by step and it broke my outlook profile. your servicedesk told me to watch the "
     "video again. great.", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/nachtmerrie_ict", None),
     "Wachtpost SOC stuurt ons elke nacht 30 valse meldingen. Om 3 uur 's nachts gebeld worden voor een printer "
     "die 'verdacht gedrag' vertoont...", [COMPLAINT])
case("nl", pub("x", "@kees_installatie", "Kees"),
     "Dijkstroom zijn echt prutsers. 3e keer deze maand dat onze mail plat ligt.", [COMPLAINT, ABUSE])
case("en", pub("facebook", "Linda Groen", "Linda Groen"),
     "An hour on hold with Dijkstroom. The hold music is honestly the only thing at that company that works "
     "reliably.", [COMPLAINT])
case("nl", pub("mastodon", "ellen@social.tchncs.de", "Ellen"),
     "Factuur van Dijkstroom 3x zo hoog als de offerte en niemand neemt de telefoon op. Top service 👎",
     [COMPLAINT])
case("nl", pub("tiktok", "@kantoorchaos", "kantoorchaos"),
     "pov: je IT-bedrijf plant de Teams-migratie midden op een dinsdag en niemand kan meer bellen 🙃 #dijkstroom "
     "#mkb", [COMPLAINT])
case("nl", pub("trustpilot", "Fam. Yildiz", "Fam. Yildiz"),
     "Sinds de overstap naar Werkplek Zorgeloos vallen onze laptops elke ochtend uit de VPN. Support weet het ook "
     "niet. 1 ster.", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@w4tch_dog", "w"), "@dijkstroom_support stelletje klootzakken zijn jullie", [ABUSE],
     kind="reply")
case("en", pub("x", "@trollmaster_nl", "tm"), "dijkstroom employees are braindead idiots lol", [ABUSE])
case("nl", RH, "die klant van vanochtend was echt debiel, 20 minuten uitleggen wat een browser is 🙄", [ABUSE])
case("en", D_X, "@grumpybob66 maybe read the manual before yelling at us, moron.", [ABUSE], kind="reply")
case("nl", pub("reddit", "u/anoniem_boos", None), "k*tbedrijf die dijkstroom, blijf er ver weg van",
     [ABUSE], tags=["evasion"], kind="comment")
case("en", pub("instagram", "@x_x_rage", None), "@anouk.cloudt you're a clown, hope they fire you", [ABUSE],
     kind="comment")
case("nl", pub("x", "@echte_mening", "Echte Mening"),
     "vrouwen horen gewoon niet in de IT, die Anouk van Dijkstroom bewijst het maar weer", [ABUSE])
case("en", SD, "fuck this job. another client who thinks the wifi IS the internet", [ABUSE])
case("nl", pub("tiktok", "@zuurpruim", None), "t3ringbedrijf, dijkstroom 🤮", [ABUSE], tags=["evasion"],
     kind="comment")
case("nl", pub("facebook", "Rob Hazenberg", "Rob Hazenberg"),
     "Kankerbedrijf. Al 3 weken geen werkende mail en niemand die iets doet.", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("x", "@salty_sysadmin", None), "f*ck @dijkstroom_it and everyone who works there", [ABUSE],
     tags=["evasion"])
case("en", pub("threads", "@grimgrinder", None), fw("scum") + " company, dijkstroom. all of them.", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign, hard negatives
# ===========================================================================
# own contact data
case("nl", D_SUP, "Storing op je werkplek? Bel ons op 030 760 44 00 of mail servicedesk@dijkstroom.nl, we zitten "
     "er tot 18:00 voor je klaar.", tags=["own-contact"])
case("nl", RH, "Voor iedereen die het vraagt: bel gewoon +31 30 760 4400, dat is de servicedesk. Niet mijn "
     "privénummer 😅", tags=["own-contact"])
case("nl", D_FB, "Herinnering: facturen kun je voldoen op NL55 RABO 0312 5548 90 t.n.v. Dijkstroom IT B.V. o.v.v. "
     "je factuurnummer. Vragen? info@dijkstroom.nl", tags=["own-contact"])
case("nl", pub("x", "@bloemist_bea", "Bea"),
     "wat was het nummer van Dijkstroom ook alweer? oh al gevonden, 0307604400. top service trouwens", 
     tags=["own-contact"])
case("en", pub("reddit", "u/helpful_hanna", None),
     "Their number is right on the website, 030-7604400, or the free one 0800-0347. Just call them.",
     tags=["own-contact"], kind="comment")
case("nl", pub("forum", "noodgeval_nina", "Nina"),
     "Dijkstroom heeft ook een gratis noodnummer buiten kantoortijden: 08000347. Vannacht gebeld, binnen een "
     "half uur iemand aan de lijn.", tags=["own-contact", "bsn-lookalike"])
case("en", NH, "We're hiring a first-line servicedesk engineer in Utrecht! Send your CV to werkenbij@dijkstroom.nl "
     "or call +31 30 760 4400 and ask for me 👋", tags=["own-contact"])
case("en", MY, "Found a vulnerability in one of our services? Please report it to Security@Dijkstroom.nl, we "
     "reply within 2 working days.", tags=["own-contact"])
# official notices from corporate accounts
case("nl", D_X, "Gepland onderhoud: zaterdag 02:00–04:00 werken we aan de Backupkluis-omgeving. Back-ups lopen "
     "daarna automatisch door. Status volgen: status.dijkstroom.nl", tags=["official-notice"])
case("nl", D_SUP, "We onderzoeken een verstoring in de e-mailbezorging bij een deel van onze klanten. Updates "
     "volgen hier en op status.dijkstroom.nl.", tags=["official-notice"])
# ordinary sales and price talk
case("nl", D_LI, "Tot 31 maart 20% korting op het 365 Verhuispakket: €1.196 in plaats van €1.495. Inclusief "
     "verhuizing van maximaal 10 mailboxen.", tags=["price-ok"], when="2026-02-16T10:00:00+01:00")
case("nl", LK, "Voor leden van de Ondernemersvereniging Amersfoort: €250 korting op de Security Quickscan. "
     "Interesse? Stuur me een DM.", tags=["price-context"])
case("nl", pub("reddit", "u/vergelijker_vincent", None),
     "Bij een concurrent kost een vergelijkbare werkplek €19 per gebruiker, Werkplek Zorgeloos is €49. Wat krijg "
     "je daar eigenlijk extra voor?", tags=["price-context", "competitor"])
case("nl", D_IG, "Poortwachter F40 liever niet in één keer betalen? Lease hem vanaf €37,50 per maand 🔐",
     tags=["price-context"])
case("nl", pub("x", "@nerd_niels", "Niels"),
     "Bij de Poortwachter F40 meteen een rackmount-kit besteld, €45. Past perfect in de kast 👌",
     tags=["price-context"])
case("nl", LK, "Nee hoor, de Backupkluis staat niet verkeerd geprijsd: €35 per maand is gewoon de normale prijs 🙂",
     tags=["price-ok", "denied-error"], kind="reply")
case("nl", pub("forum", "tweedehands_tessa", "Tessa"),
     "Te koop: gebruikte Poortwachter F40, 2 jaar oud, werkt prima. €250, ophalen in Zeist.",
     tags=["price-context", "second-hand"])
case("en", D_X, "Helpdesk Plus now €17.10 per user per month for new customers until June (normally €19). "
     "Details on dijkstroom.nl", tags=["price-ok"])
# embargo terms at or after the embargo
case("nl", D_X, "Vandaag gelanceerd: Schild 365 🛡️ Monitoring, back-up en awareness in één maandabonnement voor "
     "het mkb. Lees meer op dijkstroom.nl", tags=["after-embargo"], when="2026-09-15T10:00:00+02:00")
case("en", D_LI, "It's here: Dijkstroom Schild, our all-in-one security bundle for small businesses.",
     tags=["after-embargo"], when="2026-09-15T08:00:00Z")
case("en", pub("linkedin", "bram-kolk-it", "Bram Kolk"),
     "Interesting launch from Dijkstroom this month: Schild 365. Curious how it compares to what the big "
     "players offer.", tags=["after-embargo"], when="2026-10-02T13:22:48+02:00")
# words that look like codenames
case("nl", pub("instagram", "@vogelspotter_vera", "Vera"),
     "Blauwe reiger bij de vijver achter het kantoor van Dijkstroom 🐦 stond daar de hele ochtend",
     tags=["bird-name"])
case("nl", pub("x", "@pandbeheer_pieter", "Pieter"),
     "Hoogwater hier, zandzakken voor de deur 😬 gelukkig draaien onze servers bij Dijkstroom in een datacenter",
     tags=["word-not-codename"])
# published news, other companies
case("nl", JL, "Trots op onze jaarcijfers 2025, vandaag gepubliceerd: omzet 9,8 mln, 14 nieuwe collega's 🎉",
     tags=["published"], when="2026-03-05T09:30:00+01:00")
case("nl", D_LI, "Vandaag maken we bekend dat Helder ICT uit Amersfoort onderdeel wordt van Dijkstroom. Welkom, "
     "collega's!", tags=["published"])
case("nl", pub("x", "@security_sanne", "Sanne"),
     "Weer een MSP gehackt (niet Dijkstroom gelukkig), ransomware via hun RMM-tool. Check je eigen leverancier!",
     tags=["other-company"])
case("nl", pub("reddit", "u/it_pendelaar", None),
     "Grote IT-dienstverlener uit Amsterdam schrapt 300 banen. Ik zit gelukkig bij Dijkstroom, daar gaat het goed.",
     tags=["other-company"])
case("en", pub("x", "@breachwatch_eu", "BreachWatch"),
     "Password manager vendor hit by a breach this week. MSPs like Dijkstroom are already telling customers to "
     "rotate their master passwords.", tags=["other-company"])
case("nl", pub("linkedin", "ict-recht-nieuws", "ICT & Recht Nieuws"),
     "Rechtszaak tegen een Haagse IT-leverancier over een mislukte cloudmigratie: rechter stelt klant in het gelijk. "
     "Dijkstroom-CEO geeft in de podcast zijn kijk op SLA's.", tags=["other-company"])
# other senses of risky words
case("en", pub("x", "@happy_hugo", "Hugo"),
     "can't recall the last time a helpdesk fixed my problem this fast. nice one Dijkstroom", tags=["other-sense"])
case("nl", pub("x", "@kantoor_karin", "Karin"),
     "Brandoefening bij ons op kantoor, de monteur van Dijkstroom stond ook gezellig buiten met een bakkie 😂",
     tags=["other-sense"])
case("en", pub("threads", "@office.fun", "Office Fun"),
     "boycotting pineapple pizza at the Dijkstroom office party, who's with me 🍍🚫", tags=["other-sense"])
case("nl", SD, "Lekke band op weg naar een klant in Houten 🚲 dus 20 minuutjes later, sorry!",
     tags=["other-sense"])
# negations, praise, neutral
case("nl", pub("facebook", "Joyce Mulder", "Joyce Mulder"),
     "Geen klachten over Dijkstroom hoor, laptop binnen een dag vervangen en alles stond er weer op.",
     tags=["negation"], kind="comment")
case("en", pub("x", "@not_a_karen", "Kim"),
     "not complaining at all, @dijkstroom_support fixed my outlook in 5 minutes flat", tags=["negation"])
case("en", pub("x", "@thesis_thomas", "Thomas"),
     "shoutout to @dijkstroom_support for rescuing my thesis from a dead laptop 🙏 legends", tags=["praise"])
case("en", pub("reddit", "u/bakery_owner", None),
     "Does Dijkstroom also do Google Workspace or only Microsoft 365? Thinking about switching.",
     tags=["neutral-question"])
case("nl", pub("x", "@ict_ilona", "Ilona"),
     "Overgestapt van een andere IT-partij naar Dijkstroom omdat die vorige nooit reageerde. Wat een verschil.",
     tags=["competitor", "praise"])
# quotes, jokes, fiction
case("en", pub("x", "@quote_queen", "Q"),
     "\"The road to hell is paved with unpatched servers\" — our Dijkstroom consultant, probably",
     tags=["quote", "mild-word"])
case("en", pub("mastodon", "sysadminjokes@fosstodon.org", "Sysadmin Jokes"),
     "It's not DNS.\nThere's no way it's DNS.\nIt was DNS.\n— every engineer at Dijkstroom, weekly",
     tags=["quote", "joke"])
case("nl", pub("facebook", "Fietsen tegen Kanker Utrecht", "Fietsen tegen Kanker Utrecht"),
     "Dank aan het team van Dijkstroom dat dit jaar meefietst tegen kanker! Samen €4.800 opgehaald 🚴",
     tags=["mild-word", "literal"])
case("nl", pub("blog", "schrijfclub-eemland", "Schrijfclub Eemland"),
     "Kort verhaal van de maand: de hoofdpersoon werkt bij een IT-bedrijf à la Dijkstroom en ontdekt op een "
     "regenachtige nacht een datalek dat er helemaal niet blijkt te zijn.", tags=["fiction"])
case("en", pub("x", "@ticket_tina", "Tina"),
     "Dijkstroom helpdesk: have you tried turning it off and on again?\nme, a human, after a 12 hour shift: "
     "yes actually", tags=["joke"])
case("nl", MY, "Reminder: een lek in je dak is geen datalek. Wel allebei vervelend 🌧️ #maandagmopje",
     tags=["joke", "other-sense"])
# secret and identifier look-alikes
case("nl", TV, "Niet doen 👇\nAWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\nin je script. Gebruik een vault of managed "
     "identity. Einde preek 😇", tags=["placeholder"])
case("en", pub("x", "@synology_steve", "Steve"),
     "the fix for Dijkstroom's open-source backup checker landed in commit <<HEX:40>>, works on my Synology now 👍",
     tags=["git-sha"])
case("en", SD, "PSA: if you ever see something starting with ghp_… or glpat-… in a ticket, that's a token. "
     "Report it to security@dijkstroom.nl, don't paste it anywhere.", tags=["bare-prefix", "own-contact"])
case("nl", D_LI, "Wij vragen NOOIT om je wachtwoord via WhatsApp of telefoon. Twijfel je? Mail "
     "security@dijkstroom.nl.", tags=["security-tip", "own-contact"])
case("nl", AB, "Nieuwe portal-login getest, wachtwoord netjes verborgen als •••••••• en MFA erbij 😌",
     tags=["masked"])
case("nl", D_X, "⚠️ Let op: er gaan nepfacturen rond 'namens Dijkstroom' met rekeningnummer <<BAD_IBAN_NL:grp>>. "
     "Dat is NIET van ons. Ons enige rekeningnummer is NL55 RABO 0312 5548 90.", tags=["bad-iban", "own-contact"])
case("en", pub("x", "@laptop_lotte", "Lotte"),
     "@dijkstroom_support serial on the laptop sticker is <<BAD_CARD:visa_c>>, your warranty lookup says not found?",
     tags=["bad-card"], kind="reply")
case("nl", pub("forum", "factuur_frits", "Frits"),
     "Klantnummer <<NOT_BSN9>> bij Dijkstroom, waar vind ik mijn oude facturen in de portal?", tags=["bad-bsn"])
case("nl", LK, "Voor de aanbesteding: ons KvK-nummer is <<NOT_BSN8>>, alle certificaten staan op dijkstroom.nl.",
     tags=["bad-bsn"])
case("nl", pub("x", "@unbox_ugo", "Ugo"),
     "Poortwachter F40 net binnen, EAN <<EAN13>>. Zit er nou een rackmount-kit bij of niet?", tags=["ean"])
case("nl", pub("x", "@terugbetaling_tom", "Tom"),
     "@dijkstroom_it terugbetaling mag naar <<BAD_IBAN_NL>>, alvast bedankt!", tags=["bad-iban"], kind="reply")
case("en", pub("x", "@visa_vicky", "Vicky"),
     "@dijkstroom_support my card ending in 4417 was charged correctly this time, thanks for sorting it",
     tags=["partial-card"], kind="reply")
# insiders, everyday
case("nl", RH, "Ticket 2026-0481733 eindelijk dicht na 3 weken puzzelen. Het was... DNS. Natuurlijk.",
     tags=["ticket-number", "insider-everyday"])
case("en", TV, "Microsoft's patch for this month's actively exploited Exchange bug is out. All our managed "
     "customers were patched overnight ✅ if you self-host, do it today.", tags=["public-vuln"])


# ===========================================================================
# building posts
# ===========================================================================

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
    """Least severity a correct verdict has (CONTRACT section 4; eval/README reading of 'validated')."""
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


def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(5, 355)
    local_minutes = r.randint(6 * 60 + 30, 23 * 60 + 50)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=local_minutes, seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        loc = t_utc + dt.timedelta(hours=off)
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        slug = re.sub(r"\W+", "", h) or "page"
        return f"fb-{a}_{b}", f"https://www.facebook.com/{slug}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "sysadmin", "msp", "Utrecht", "nederlands"])
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-mkbit-{n}", f"https://forum.mkb-ict.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/verhalen/{n}"
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
            pid += "1"
        seen_ids.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS)
        sev = severity_for(role, c["cats"], pii_validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.7:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p_lang = meta_r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
            if c["hint"] and c["hint"] != c["lang"]:
                c["tags"].add("wrong-lang-hint")
        elif p_lang < 0.1:
            pass
        elif p_lang < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "dijkstroom"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
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
    "github_pat": re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "azure_secret": re.compile(r"\b[A-Za-z0-9]{3}8Q~[A-Za-z0-9_.~-]{34}"),
    "azure_key": re.compile(r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "conn_pw": re.compile(r"Password=[^;\s]+", re.I),
}
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "mongol",
             "fuck", "f*ck", "shit", "sh1t", "idiot", "moron", "scum", "clown", "hell", "damn", "prutser"]
MILD_OK = {"hell", "damn", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "foutje", "verkeerd", "typo", "pricing error", "glitch", "klopt", "komma",
                     "before someone wakes up", "pricing glitch"]


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    t = norm(text)
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", t)


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def found_numbers(text):
    return [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]


def found_bsn_shapes(text):
    out = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    out += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]
    return out


def valid_ids(text, own_ibans, own_phone_digits):
    hits = []
    for v, ok in found_ibans(text):
        if ok and v not in own_ibans:
            hits.append(("iban", v))
    for d in found_numbers(text):
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in found_bsn_shapes(text):
        if len(d) == 9 and bsn_ok(d) and d not in own_phone_digits:
            hits.append(("bsn", d))
    return hits


def phones_in(text):
    out = []
    text = IBAN_RE.sub(" ", text)
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = d[4:] if raw.startswith("0031") else d[2:]
            if d.startswith("0"):
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


def strip_accents(t):
    return "".join(ch for ch in unicodedata.normalize("NFD", t) if unicodedata.category(ch) != "Mn")


def min_price_ratio(text, products):
    t = strip_accents(norm(text))
    mentioned = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not mentioned:
        return None
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    amounts += [float(x) for x in re.findall(r"(?<![\w.,])(\d{2,4})(?![\w.,])", t)
                if re.search(r"(instead of|ipv|i\.p\.v\.|was) ?" + x, t)]
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
    own_phones = set()
    for p in profile["public_identifiers"]["phones"]:
        ph = phones_in(p)
        own_phones.add(ph[0][1] if ph else re.sub(r"\D", "", p))
    own_digits = {re.sub(r"\D", "", p) for p in own_phones}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
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
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing or not a string")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: account.handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} unlisted (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind {p.get('kind')!r}")
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            errors.append(f"{where}: text too long")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at not RFC 3339")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(key)
        cats, sev = ex.get("categories"), ex.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)):
            errors.append(f"{where}: categories not sorted/unique")
            continue
        for c in cats:
            if c not in TAXONOMY or c == "reputation.spike":
                errors.append(f"{where}: bad category {c}")
        if sev not in SEVERITIES:
            errors.append(f"{where}: bad severity {sev}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans, own_digits)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{where} ({p['id']}): severity {sev}, policy says {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))

        used = r["used"] if r else []
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card not valid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN fails 11-proof")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: negative card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: negative number passes 11-proof")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{where}: EAN wrong")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and not ids:
            errors.append(f"{where}: positive identifier not found by independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")

        if not cats:
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign has valid IBAN")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign has Luhn-valid number {d}")
            for d in found_bsn_shapes(text):
                if bsn_ok(d) and d not in own_digits:
                    errors.append(f"{where}: benign has 11-proof-valid number {d}")
                elif bsn_ok(d):
                    notes.append(f"{where}: own phone {d} passes the 11-proof (trap, ok)")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 8 and d not in own_phones and d not in own_digits:
                    errors.append(f"{where}: benign has phone {raw} ({d})")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if name == "aws_id" and m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign has secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                pat = r"\b" + re.escape(w) + (r"\b" if w in ("hell", "clown") else "")
                if re.search(pat, low):
                    ok = w in MILD_OK and ({"mild-word", "quote"} & tags)
                    (notes if ok else errors).append(f"{where}: benign has word {w!r}")

        sq = squash(text)
        nt = norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before embargo without leak.confidential")
                if ts >= until and cats:
                    errors.append(f"{where}: embargo term {term!r} after embargo but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term.replace(" ", "") in sq.replace(" ", ""):
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")

        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            if "price-context" in tags:
                notes.append(f"{where}: benign price at {ratio:.2f} of list in price context (ok)")
            else:
                errors.append(f"{where}: benign with a product price at {ratio:.2f} of list")
        if "leak.pricing" in cats:
            talk = any(w in sq for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{where}: leak.pricing without parsed low price or error words")
            elif ratio is not None and ratio >= 0.5:
                errors.append(f"{where}: leak.pricing but lowest price is {ratio:.2f} of list")
        if "leak.secret" in cats:
            if not any(rx.search(text) for rx in SECRET_RES.values()) and not re.search(
                    r"wachtwoord|password|\bpw\b|\bww\b", sq):
                notes.append(f"{where}: leak.secret without a secret pattern")

    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.25:
                    (errors if jac > 0.5 else notes).append(
                        f"lines {sh[i][0]} and {sh[j][0]}: trigram overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
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
            if kind == "NOT_BSN9" and s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN8" and s_bsn.is_valid("0" + raw):
                bad.append(raw)
    if bad:
        return f"python-stdnum DISAGREES on: {bad}"
    return f"python-stdnum agrees on all {n} generated identifiers and look-alikes"


def report(parsed):
    from collections import Counter
    total = len(parsed)
    by_cat, by_lang, by_role, by_plat, by_kind, by_sev = (Counter() for _ in range(6))
    cat_lang, cat_role, tag_c = Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else p.get("lang", "?")
        by_lang[lang] += 1
        by_role[role] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default post)")] += 1
        by_sev[sev] += 1
        keys = cats or ["(benign)"]
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        for c in keys:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
            cat_role[(c, role)] += 1
        if r:
            if "evasion" in r["tags"]:
                evasion += 1
            for t in r["tags"]:
                tag_c[t] += 1
    print(f"cases: {total}   benign: {benign}   positive: {total - benign}   multi-category: {multi}   "
          f"evasion positives: {evasion}")
    print("\ncategory (posts)              total    nl    en  corp   emp   pub")
    for c in TAXONOMY + ["(benign)"]:
        if c == "reputation.spike":
            continue
        print(f"  {c:26s} {by_cat[c]:6d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("\nper language:", dict(sorted(by_lang.items())))
    print("per account role:", dict(sorted(by_role.items())))
    print("per severity:", {s: by_sev[s] for s in SEVERITIES})
    print("per platform:", dict(by_plat.most_common()))
    print("per kind:", dict(by_kind.most_common()))
    print("tags:", dict(sorted(tag_c.items())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="validate cases.jsonl instead of writing it")
    ap.add_argument("--notes", action="store_true", help="with --check: print informational notes")
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
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    report(parsed)
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
