#!/usr/bin/env python3
"""Deterministic generator for the sealed86 blind evaluation set of postwatch.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # build in memory, validate, compare with cases.jsonl, print counts

Company: "Vlietrail Nederland N.V.", a fictional Dutch national rail operator (see profile.yaml).

Every post text below is hand-written for this set. Identifiers and secrets are filled in
from placeholders such as <<IBAN_NL>> by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof);
the hard negatives get look-alikes that FAIL their checksum. All secrets are random and fake
but shaped like the real thing (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the account
role (looked up in profile.yaml by platform:handle, case-insensitive), the categories, and
whether a checksum-validated identifier (IBAN, payment card, BSN) is in the post.
Needs Python 3.9+ and PyYAML; python-stdnum, if present, is used to cross-check identifiers.
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

SEED = 86_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "p": "\u0440"}


def cyr(word, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters else ch for ch in word)


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


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def luhn_complete(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError(partial)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total != 0 and total % 11 == 0


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL29RABO0301445560"


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

    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, first_nonzero=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "50070010", "76026000", "36020041"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["310", "001", "063", "737", "143"]) + self.digits(7)
        chk = int(first10) % 97 or 97
        return iban_make("BE", f"{first10}{chk:02d}")

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
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
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

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

    def ovchip_bad(self):
        """A 16-digit travel-card number (3528 0...) that fails Luhn: not a payment card."""
        while True:
            s = "35280" + self.digits(11)
            if not luhn_ok(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return ("N" + self.r.choice(letters) + self.chars(letters + string.digits, 6)
                + self.r.choice(string.digits))

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_c": f"+316{d8}",
            }[fmt]
        area = self.r.choice(["10", "15", "20", "26", "30", "33", "38", "40", "43", "50", "53", "70", "73"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    # --- secrets --------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(11, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 10)}/"
                f"B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}")

    def sendgrid(self):
        return f"SG.{self.chars(B64URL, 22)}.{self.chars(B64URL, 43)}"

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def jwt(self):
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "reiziger-" + self.digits(7, True), "iss": "https://auth.vlietrail.nl",
                   "scope": "tickets:read tickets:write", "iat": iat, "exp": iat + 300}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{p}.{self.chars(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55)
        lines = [body, "oAoGCCqGSM49AwEHoUQDQgAE" + self.chars(B64, 40), self.chars(B64, 44) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "OVCHIP_BAD"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "OVCHIP_BAD":
            raw = gen.ovchip_bad()
            shown = gen.fmt_card(raw, "sp")
        elif kind == "PASSPORT":
            shown = raw = gen.passport()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "GHP":
            shown = raw = gen.ghp()
        elif kind == "GLPAT":
            shown = raw = gen.glpat()
        elif kind == "AWS_ID":
            shown = raw = gen.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = gen.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = gen.slack_bot()
        elif kind == "SLACK_HOOK":
            shown = raw = gen.slack_hook()
        elif kind == "SENDGRID":
            shown = raw = gen.sendgrid()
        elif kind == "GAPI":
            shown = raw = gen.gapi()
        elif kind == "AZKEY":
            shown = raw = gen.azure_key()
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_EC":
            shown = raw = gen.pem_ec()
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

# corporate
VR_X = ("x", "@vlietrail", "Vlietrail")
VR_INFO = ("x", "@vlietrail_info", "Vlietrail Reisinfo")
VR_IG = ("instagram", "@vlietrail.nl", "Vlietrail")
VR_LI = ("linkedin", "vlietrail-nederland", "Vlietrail Nederland N.V.")
VR_FB = ("facebook", "VlietrailNL", "Vlietrail")
VR_TT = ("tiktok", "@vlietrail", "Vlietrail")
# employees
RUUD = ("x", "@machinist_ruud", "Ruud Hendriks")                 # train driver
ILSE = ("instagram", "@ilse.opdetrein", "Ilse Verbeek")          # senior conductor
BAS = ("x", "@bas_stationsdienst", "Bas Pronk")                  # station staff Utrecht
KOEN = ("linkedin", "koen-mulder-vlietrail", "Koen Mulder")      # backend engineer, travel app
NAIMA = ("linkedin", "naima-bouzid", "Naima Bouzid")             # financial controller
APPDEV = ("reddit", "u/vr_appdev", None)                         # app developer, pseudonymous
ELS = ("threads", "@els_verkeersleiding", "Els de Groot")        # traffic control
MEHMET = ("x", "@mehmet_ovservice", "Mehmet Yilmaz")             # customer service agent
ANOUK = ("linkedin", "anouk-smit-hr", "Anouk Smit")              # HR business partner


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", APPDEV, "throwaway-ish account but whatever. the fare table that went live at 7 has Dal Vrij at €13,40 a "
     "month instead of 134. rollback needs sign-off from the release board and they don't meet till 4pm, so... "
     "draw your own conclusions", [PRICING], kind="comment")
case("nl", pub("x", "@treinjunk_wout"), "Vlietrail app rekent voor een Dagkaart €5,96 😳 komma een plekje opgeschoven "
     "denk ik? heb er gelijk drie gekocht voor het hele gezin #prijsfout", [PRICING])
case("en", pub("reddit", "u/sparse_commuter"), "Is anyone else seeing Weekend Vrij for €4.20 on the Vlietrail site? "
     "It's normally 42. Signed up before they notice, will update if they cancel it", [PRICING])
case("nl", MEHMET, "De telefoon staat roodgloeiend: in de app kost Altijd Vrij ineens €38,90 per maand. Klopt "
     "natuurlijk niet, maar we mogen er nog niks over zeggen tot IT het heeft opgelost 🙃", [PRICING])
case("en", VR_X, "Summer special 🌞 the Vlietrail Dagkaart for just €17,50, valid every day in July! Grab yours in "
     "the app ➡️ app.vlietrail.nl #zomer #treinreis", [PRICING], hint="")
case("nl", BAS, "Kaartautomaten op Utrecht CS verkopen sinds de update van vannacht de dagkaart voor €0,59 🙈 we "
     "staan er met z'n vijven naar te kijken, melding is gedaan", [PRICING])
case("en", pub("tiktok", "@yaramoves"), "storytime: got myself a Vlietrail Altijd Vrij for 3,89 a month because "
     "their website glitched 💀 customer service said they'll 'look into it' lmaooo #storytime", [PRICING])
case("nl", pub("x", "@snelle_sanne_"), "p r i j s f o u t bij vlietrail!!\nweekend vrij voor 4 euro 🏃‍♀️ wees snel",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@kortingsjager.nl"), f"D{ZW}agkaart voor €6 in de Vlietrail app, zou dat een fo{ZW}utje "
     "zijn?? 🤔 ik waag het erop", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", pub("bluesky", "@railnerd.bsky.social"), "Vlietrail pr" + cyr("ice", "ie") + " m" + cyr("istake", "ia")
     + ": Dal Vrij shows up as €1.34/mo in the checkout. Screenshot before it's gone",
     [PRICING], tags=["evasion", "evasion:lookalike"])
case("nl", ELS, "Niet verder vertellen, maar in het nieuwe tariefbestand staat Altijd Vrij op €3,89 😂 hele "
     "verkeersleiding ligt dubbel, tarieven weet nog van niks", [PRICING])
case("nl", KOEN, "Prijsfout in Weekend Vrij (€0,42 i.p.v. €42) staat gelogd op jira.vlietrail.nl/browse/TARIEF-311. "
     "Hotfix mag pas na de release freeze van donderdag.", [PRICING, CONF])
case("en", pub("youtube", "@daantravelsNL"), "I got the Vlietrail day pass for 9 euros yesterday, 100% a pricing "
     "mistake on their end, and the conductor scanned it like nothing was wrong 😂", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", KOEN, "Reviewed a contractor's merge request this week and found this hardcoded in the journey planner "
     "config 😬\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nThe key is revoked "
     "by now. Use a secrets manager, people. #devsecops #lessonslearned", [SECRET])
case("nl", APPDEV, "Iemand die dit kent? GitLab-runner geeft 403 terwijl de token <<GLPAT>> gewoon geldig is. Draait "
     "op onze eigen runners, niet op gitlab.com", [SECRET], kind="comment")
case("en", MEHMET, "ugh the service desk bot died again. whoever's on call: slack token is <<SLACK_BOT>>, pls give "
     "it a kick", [SECRET])
case("nl", ELS, "Het wachtwoord van het gedeelde storingsmonitor-account is wéér veranderd 🙄\nNieuwe: <<PW>>\n"
     "(zodat de nachtdienst me niet om 3 uur belt)", [SECRET])
case("en", APPDEV, "debugging a timeout against our read replica:\n"
     "postgresql://planner_ro:<<PW>>@10.14.2.30:5432/reisinfo\nworks from my laptop, times out from the cluster. "
     "ideas?", [SECRET])
case("en", KOEN, "Fun fact from today's security review: our Android build still ships this Maps key in "
     "strings.xml → <<GAPI>> 🙃 fixing it this sprint", [SECRET])
case("nl", VR_X, "nieuwe webhook voor de storingsmeldingen: <<SLACK_HOOK>> graag in de config van het "
     "dashboard zetten", [SECRET])
case("en", pub("reddit", "u/apk_peeker"), "Decompiled the Vlietrail Android app out of curiosity and it literally "
     "contains SENDGRID_API_KEY=<<SENDGRID>> in plain text. Reported it, no answer yet.", [SECRET])
case("en", pub("forum", "gitgraver"), "Vlietrail's old open-data repo still has a private key committed in the "
     "deploy folder lol\n\n<<PEM_EC>>\n\nsomeone tell them", [SECRET])
case("nl", BAS, "Wifi 'VR-Personeel' op perron 5 heeft een nieuw wachtwoord: <<PW>> voor als je pauze hebt 😉",
     [SECRET])
case("en", APPDEV, "why does this token expire after 5 minutes?? the docs say an hour\n\nAuthorization: Bearer "
     "<<JWT>>", [SECRET], kind="reply")
case("nl", KOEN, "Even een waarschuwing voor collega's: in een openbare gist stond een token van ons "
     "(<<GHP>>). Is inmiddels ingetrokken, maar check je eigen gists even.", [SECRET])
case("en", APPDEV, "anyone know why blob uploads return 409?\nDefaultEndpointsProtocol=https;AccountName="
     "vrticketarchief;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net", [SECRET])
case("nl", ILSE, "Nieuwe handterminals vandaag gekregen 📟 ww is <<PW>> tot we ons eigen account hebben, "
     "niet verder vertellen 🤫", [SECRET], tags=["evasion", "evasion:abbreviation"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", ILSE, "Gevonden op de trein naar Zwolle: portemonnee van Sanne Kuipers, Dorpsstraat 14 in Hattem 🙏 "
     "Sanne, hij ligt bij de balie op Zwolle!", [PII])
case("nl", VR_INFO, "@j_vandam We hebben je dossier gevonden. Klopt dit nummer nog: <<PHONE:mob_dash>>? Dan belt "
     "een collega je morgen over je restitutie.", [PII], kind="reply")
case("en", MEHMET, "Passenger has called 4 times about his delay refund. IBAN is <<IBAN_NL:grp>>, claim from 3 "
     "April, finance still hasn't paid. Can someone from refunds pick this up?", [PII])
case("nl", pub("x", "@boos_op_het_spoor"), "@vlietrail_info al zes weken wacht ik op mijn geld terug voor die "
     "uitgevallen trein. Mijn rekeningnummer is <<IBAN_NL>>, hoe moeilijk kan het zijn??", [PII, COMPLAINT],
     kind="reply")
case("en", pub("reddit", "u/doublecharged_dutch"), "Vlietrail charged my card twice for the same ticket. Posting the "
     "full number so their support can finally find it: <<CARD:visa_sp>>. Three emails, zero replies.",
     [PII, COMPLAINT])
case("nl", BAS, "Collega van de avonddienst is ziek, wie kan invallen? Bel Yvonne even op <<PHONE:mob_intl_sp>>",
     [PII])
case("nl", ANOUK, "Tip voor de nieuwe lichting machinisten in opleiding: deel je BSN nooit in de groepsapp. Vandaag "
     "stond er weer eentje in (<<BSN>>, Ahmet weet het inmiddels 😅).", [PII])
case("en", ILSE, "This lovely lady left her passport on the 17:04 to Den Helder 😅 Marijke de Wit, passport no. "
     "<<PASSPORT>>. It's at lost & found in Alkmaar!", [PII])
case("nl", pub("facebook", "wilma.hofstede.5", "Wilma Hofstede"), "Wie kent deze meneer? Liet zijn tas liggen in de "
     "intercity. Naam Gerrit Bos, geboren 12-03-1958, woont op de Kerkweg 7 in Ede. Delen aub!", [PII])
case("en", pub("x", "@tessa_vdl"), "@vlietrail_info my email is tessa.vdlinden92@gmail.com, STILL waiting for the "
     "refund form you promised me two weeks ago", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@robdevos_"), "@vlietrail_info jullie contactformulier doet het niet. mail me maar op "
     "r_devos apenstaartje ziggo punt nl", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:spelled-email"])
case("en", MEHMET, "Note for the late shift: the lady from this morning's Schiphol incident wants a callback on "
     "<<PHONE:land_sp>>, ask for Mrs. Jansen", [PII])
case("nl", VR_FB, "Hoi Pieter, je restitutie van €23,40 is overgemaakt naar <<IBAN_NL:grp>>. Fijne reis verder!",
     [PII], kind="comment")
case("en", pub("x", "@lena_from_koeln"), "Dear @vlietrail_info, German tourist here, please refund my cancelled "
     "ticket to <<IBAN_DE>>. Nobody answers the phone!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@brusselsebrecht"), "Belgische klant hier 👋 terugbetaling graag op <<IBAN_BE:grp>> want "
     "jullie webformulier accepteert geen BE-rekeningen 🙄", [PII, COMPLAINT])
case("en", ELS, "who left the card terminal log open on the ops screen… <<CARD:mc_dash>> exp 09/28 just sitting "
     "there for the whole room to see", [PII])
case("nl", pub("reddit", "u/studentopdetrein"), "Moest voor mijn studentenreisrecht m'n BSN invullen in de "
     "Vlietrail app (<<BSN:dots>>) en nu zegt hij 'ongeldig'?? wtf", [PII, COMPLAINT])
case("nl", pub("instagram", "@mo.reist"), "vlietrail heeft mijn amex <<CARD:amex_sp>> drie keer belast voor één "
     "dagkaart?! en de chat is 'tijdelijk niet beschikbaar'", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", KOEN, "So proud of this team: Project Zilverreiger passed its first end-to-end test today. Can't say "
     "more yet 😉 #ticketing #teamwork", [CONF])
case("nl", ILSE, "De collega's van IT lieten vandaag Kompas-X zien op een tablet. Eindelijk een reisapp die wél "
     "doet wat je verwacht 😍", [CONF])
case("en", pub("x", "@spoorspotter_joris"), "A mate at Vlietrail sent me a PDF stamped 'alleen voor intern "
     "gebruik' about the new ticket gates. Wild stuff in there.", [CONF])
case("nl", NAIMA, "Drukke weken richting de halfjaarcijfers 2026. Tussen ons: de cijfers zijn een stuk beter dan "
     "de markt verwacht 📈", [CONF, FIN], when="2026-08-20T18:12:40+02:00")
case("en", ELS, "Heard the Vlietpas Vrij Plus finally includes bikes 🚲 launch is in autumn apparently",
     [CONF], when="2026-07-02T12:31:05Z")
case("nl", RUUD, "Dienstregeling 2027 al gezien 😞 de sprinter naar Enkhuizen gaat terug naar één keer per uur",
     [CONF], when="2026-06-15T21:04:19+02:00")
case("nl", VR_X, "Vanaf december rijden we vaker 🚆 Alles over de Dienstregeling 2027 lees je vanaf nu op vlietrail.nl/2027",
     [CONF], when="2026-09-10T09:59:00+02:00", tags=["embargo-edge"])
case("nl", MEHMET, "Mailtje met [VR-INTERN] in de onderwerpregel over de nieuwe restitutieregels. Eindelijk wordt "
     "het simpeler voor klanten", [CONF])
case("nl", ANOUK, "Vacature voor een product owner bij Project\nZilverreiger komt binnenkort online. Interesse? "
     "Stuur me een DM!", [CONF], tags=["evasion", "evasion:linebreak"])
case("en", ELS, "late night deploy for Operatie 🛤️ Dwarsligger, wish us luck 🤞", [CONF],
     tags=["evasion", "evasion:emoji"])
case("en", RUUD, "rooster.vlietrail.nl/ruilen is finally live 🙌 swapping a shift takes two minutes now", [CONF])
case("nl", pub("x", "@bas_stationsdienst2"), "Nieuwe werkinstructies staan op intranet.vlietrail.local/stations, "
     "voor wie ze zoekt", [CONF], tags=["not-in-profile"])
case("en", KOEN, "Slides from my internal demo are on the wiki (marked vertrouwelijk: niet extern delen, so no "
     "link here, sorry folks) 🙏", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NAIMA, "Abonnementsomzet ligt in Q2 12% onder budget. De raad van bestuur krijgt het volgende week te "
     "zien, spannende tijden op de financeafdeling.", [FIN])
case("en", ANOUK, "Tough week. We've been told around 250 ticket desk roles will disappear next year, and staff "
     "haven't even been informed yet. Thinking of my colleagues ❤️", [FIN])
case("nl", BAS, "Gerucht klopt: alle servicebalies op de kleine stations gaan in 2027 dicht en ons team wordt "
     "opgeheven. Officieel nieuws komt pas in november", [FIN])
case("en", pub("reddit", "u/ondernemingsraad_neef"), "My uncle sits on Vlietrail's works council. They're in talks "
     "to buy regional bus company Groenlijn, deal to be signed before summer.", [FIN])
case("nl", ELS, "Verkeersleidingsposten Amersfoort en Zwolle worden samengevoegd, er gaan 40 fte uit. Mag ik "
     "eigenlijk nog niet zeggen maar ja 🤷‍♀️", [FIN])
case("en", NAIMA, "Our internal forecast now has 2026 passenger revenue €85m below plan. Not public yet, so brace "
     "yourselves for the autumn.", [FIN])
case("nl", ILSE, f"De re{ZW}organisatie bij de conducteurs komt er écht aan, volgens de regiomanager gaat 1 op de 5 "
     "eruit 😔", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@rail_insider_nl"), "insider here: vl1etrail is about to announce a m3rger with the Belgian "
     "operator, the board voted yesterday", [FIN], tags=["evasion", "evasion:leet"])
case("nl", MEHMET, "Klantenservice gaat naar een extern callcenter in Lissabon. We horen het pas in september "
     "officieel, mijn contract loopt dan af.", [FIN])
case("en", KOEN, "Budget for the travel app got cut by 30% for 2027, so don't expect big new features next year. "
     "Board decision, still under wraps.", [FIN])
case("en", pub("forum", "perronpraat_piet"), "Leaked memo: Vlietrail plans to sell the Utrecht head office and "
     "lease it back to plug the hole in the budget", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", APPDEV, "not announced yet but the check-in gates at every station are failing open since 6am, the "
     "validation backend is down. ride free while it lasts lol", [SEC])
case("nl", ELS, "Storing in het reisinformatiesysteem: de borden tonen al een uur verkeerde vertrektijden. "
     "Persbericht komt pas vanmiddag, wij mogen nog niks zeggen", [SEC])
case("en", MEHMET, "we were told not to tell customers, but someone got into the service desk CRM last night. "
     "Case notes, addresses, all of it.", [SEC])
case("nl", APPDEV, "Bug gevonden: een QR-ticket uit de app kun je screenshotten en eindeloos hergebruiken bij de "
     "poortjes. Fix staat pas voor Q4 gepland 🙃", [SEC], kind="comment")
case("en", RUUD, "Signals went dark between Utrecht and Amersfoort because of a cyberattack on a supplier. "
     "Management wants us to call it a 'technical fault' for now.", [SEC])
case("nl", BAS, "Alle kaartautomaten op Den Bosch op zwart met een ransomware-melding op het scherm 😳 nog niks "
     "naar buiten gebracht", [SEC])
case("en", pub("x", "@furious_forensen"), "Vlietrail got hacked weeks ago and they're keeping it quiet. My account "
     "shows trips to Groningen I never made. Cover-up!", [SEC, CRISIS])
case("nl", pub("facebook", "henk.altena.3", "Henk Altena"), "Mijn zwager werkt bij Vlietrail en zegt dat er een "
     "datalek is met alle abonnementsgegevens, maar ze houden het stil 😡", [SEC, CRISIS])
case("nl", ELS, "s t o r i n g in het cameranetwerk van de verkeersleiding, alle beelden weg sinds vanochtend. "
     "niet delen aub", [SEC], tags=["evasion", "evasion:spaced"])
case("en", APPDEV, "our payment gateway got pwn3d last night, s3cur1ty team is still in there. nothing public yet",
     [SEC], tags=["evasion", "evasion:leet"])
case("nl", ILSE, "Handterminals van de conducteurs werken al twee dagen niet door een hack, we schrijven alles "
     "weer op papier 📝 (mogen we eigenlijk niet vertellen)", [SEC])
case("en", KOEN, "Heads-up team: db-replica01.ops.vlietrail.local is exposing customer data through an open port. "
     "Incident call at 14:00, keep it off Slack.", [SEC, CONF])
case("en", pub("mastodon", "@sec_researcher@infosec.exchange"), "Found an IDOR in the Vlietrail app API that "
     "returns other users' trip history. Reported through their disclosure program, still not fixed, so no "
     "details yet.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@mirjam_hgl"), "Trein ontspoord bij Hengelo en ik zat erin 😰 mensen gewond, overal glas. "
     "Dit had nooit mogen gebeuren.", [CRISIS])
case("nl", pub("x", "@gerechtigheid_nu"), "#BoycotVlietrail tot ze die racistische conducteur ontslaan. "
     "Schandalig hoe die jongen werd behandeld.", [CRISIS])
case("en", pub("threads", "@commuter.kim"), "The doors on our Vlietrail sprinter opened while we were doing 80 "
     "between Gouda and Woerden. Someone could have died.", [CRISIS])
case("nl", pub("instagram", "@lotte.leest"), "Vlietrail heeft mijn gegevens gelekt. Ik krijg ineens phishingmails "
     "met mijn abonnementsnummer erin 😡 #datalek", [CRISIS])
case("en", pub("x", "@spoorjournalist"), "Safety inspectorate opens an investigation into Vlietrail after a "
     "near-collision at Amersfoort. Drivers say the train protection system was switched off.", [CRISIS])
case("nl", pub("x", "@pendelaar_utr"), "Overvolle perrons op Utrecht CS, mensen vielen bijna op het spoor. "
     "Levensgevaarlijk. Hier moet iemand verantwoordelijk voor worden gehouden.", [CRISIS])
case("en", pub("facebook", "peter.j.wouters", "Peter Wouters"), "Our train was evacuated because of smoke from "
     "under the seats, we stood next to the track for an hour, and now Vlietrail refuses my refund. Unreal.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@noordelijke_nynke"), "Brand in de verwarming van de trein naar Leeuwarden, coupé vol rook 🔥 "
     "en daarna nog 90 minuten stilstaan zonder enige uitleg. Top hoor, Vlietrail.", [CRISIS, COMPLAINT])
case("en", pub("x", "@gone_broke_22"), "d4ta br3ach at vlietrail?? someone used my saved card in their app and "
     "my travel credit is gone", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("tiktok", "@actie.anouk"), "B O Y C O T  V L I E T R A I L\ntot ze hun personeel normaal "
     "betalen. deel dit!!", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@viralwatch_nl"), "Vlietrail conductor caught on video kicking a homeless man off the train "
     "at Zwolle. Absolutely disgusting, share this.", [CRISIS])
case("nl", pub("blog", "toegankelijkov.nl", "Toegankelijk OV"), "Rechtszaak tegen Vlietrail: reizigers met een "
     "beperking stappen naar de rechter omdat de liften op tientallen stations al maanden kapot zijn.", [CRISIS])
case("en", pub("x", "@klokkenluider_fan"), "Whistleblower says " + cyr("Vlietrail", "e") + " ignored brake "
     "failure reports on the new trains for months.", [CRISIS], tags=["evasion", "evasion:lookalike"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@forens_femke"), "Al drie dagen op rij 20 minuten vertraging tussen Amersfoort en Utrecht. "
     "Weer te laat op m'n werk, Vlietrail 🙄", [COMPLAINT])
case("en", pub("x", "@jules_commutes"), "The Vlietrail app logged me out AGAIN and my e-ticket wouldn't load at "
     "the gate. Missed my train. Thanks a lot.", [COMPLAINT])
case("en", pub("linkedin", "rick-ververs"), "Paid for first class to Maastricht, stood in the vestibule the whole "
     "way because the first class coach was 'out of service'. No compensation offered by Vlietrail.", [COMPLAINT])
case("nl", pub("x", "@ikmoetplassen"), "Beide wc's kapot in de intercity naar Maastricht, 2,5 uur reizen 🤢 "
     "serieus vlietrail", [COMPLAINT])
case("nl", pub("x", "@tentamenstress"), "Staking weer, geen enkele trein en pas om 22:00 een melding in de app. "
     "Hoe moet ik morgen bij m'n tentamen komen 😭 @vlietrail", [COMPLAINT])
case("nl", pub("facebook", "joke.ramaker", "Joke Ramaker"), "Mijn Dal Vrij abonnement opgezegd in januari, maar "
     "Vlietrail blijft gewoon afschrijven. Derde keer bellen nu, niemand weet ervan.", [COMPLAINT])
case("en", pub("x", "@tired_tom_"), "v l i e t r a i l delays again, third time this week. i'm done.", [COMPLAINT],
     tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "fatma.kinderwagen", "Fatma Ö."), "De liften op station Zwolle zijn al weken stuk en met "
     "de kinderwagen moet ik de trap af. Wanneer gaat Vlietrail dit eens oplossen?", [COMPLAINT])
case("en", pub("reddit", "u/group_trip_gone_wrong"), "Booked a group ticket online with Vlietrail, got charged but "
     "no QR code ever arrived. Support says 'wait 5 working days'. Our trip is tomorrow.", [COMPLAINT])
case("nl", pub("x", "@weekendweg_wim"), "Weekend Vrij gekocht en dan blijkt de halve lijn dicht voor werkzaamheden "
     "zonder dat het ergens stond. Nooit meer, Vlietrail.", [COMPLAINT])
case("en", pub("youtube", "@opa_onderweg"), "Vlietrail closed the only ticket desk in my town and the machine "
     "doesn't sell senior discount cards. So now what, at 79?", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "Vlietrail is een kutbedrijf en iedereen die daar werkt is debiel", [ABUSE])
case("en", pub("x", "@grumpy_gijs"), "Vlietrail staff are a bunch of lazy useless clowns. Every single one of them.",
     [ABUSE])
case("nl", pub("x", "@henk_met_de_hoed"), "Tering vlietrail, wéér een uur vertraging en geen mens die iets "
     "omroept. Stelletje prutsers", [ABUSE, COMPLAINT])
case("en", pub("x", "@charged_twice_again"), "your shit app charged me twice AGAIN @vlietrail_info, fix it you "
     "idiots", [ABUSE, COMPLAINT])
case("nl", RUUD, "Die reizigers die de deuren openhouden bij vertrek zijn echt de grootste klootzakken die er "
     "rondlopen", [ABUSE])
case("nl", BAS, "Weer een groep Oost-Europeanen zonder kaartje. Allemaal hetzelfde, gewoon tuig.", [ABUSE])
case("nl", VR_INFO, "@klager_kees doe eens niet zo debiel, die trein rijdt gewoon om 8:12 vanaf spoor 4",
     [ABUSE], kind="reply")
case("nl", pub("x", "@anoniem_9921"), "@ilse.opdetrein ik weet waar je woont trut, wacht maar tot je dienst "
     "erop zit", [ABUSE], kind="reply")
case("en", pub("x", "@morning_rage"), "f*cking vlietrail and their f*cking 'signal failures' every single morning",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@anon_spoor"), "k u t v l i e t r a i l met jullie t y f u s conducteurs",
     [ABUSE], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/trolltrain"), "vlietrail c0nductors are braindead m0rons lmao", [ABUSE], kind="comment",
     tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@echte_nederlander88"), "Conducteur met een hoofddoek? Ga terug naar je eigen land. #vlietrail",
     [ABUSE])
case("en", pub("facebook", "dave.r.vermeulen", "Dave Vermeulen"), "The useless cow at the Vlietrail desk refused to "
     "refund my ticket even though the train never came.", [ABUSE, COMPLAINT])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", VR_INFO, "Door een storing aan het spoor tussen Leiden en Den Haag rijden er minder treinen. Plan je "
     "reis in de app, we verwachten dat het tot 15:00 duurt.", tags=["official-notice"])
case("nl", VR_X, "Vragen over je abonnement? Bel +31 30 751 5000 (ma–vr 8–20 uur), reisinformatie via 0900-8455, "
     "of mail klantenservice@vlietrail.nl 📞", tags=["own-contact"])
case("nl", VR_FB, "Een naheffing betalen? Dat kan op NL29 RABO 0301 4455 60 t.n.v. Vlietrail Nederland N.V., onder "
     "vermelding van het kenmerk op je brief.", tags=["own-contact"])
case("nl", VR_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: 4% meer reizigers en de beste punctualiteit "
     "in tien jaar. Het volledige verslag staat op vlietrail.nl/investors.", when="2026-08-27T07:00:00+02:00",
     tags=["embargo-after"])
case("nl", VR_X, "Dienstregeling 2027 is er! 🌙 Meer nachttreinen en vaker een intercity naar Eindhoven. Bekijk "
     "alle wijzigingen op vlietrail.nl.", when="2026-09-10T10:00:00+02:00", tags=["embargo-after"])
case("nl", VR_IG, "Weekend Vrij nu de eerste maand voor €29 🎉 Daarna gewoon opzegbaar per maand.",
     tags=["price-talk"])
case("nl", VR_TT, "POV: je hoort 'door bladeren op het spoor' voor de vijfde keer deze herfst 🍂😅 #spoorhumor",
     tags=["joke"])
case("nl", VR_INFO, "Let op: door de aangekondigde staking rijden er donderdag tussen 4 en 12 uur landelijk geen "
     "treinen. Check de reisplanner voor je reis.", tags=["official-notice"])
case("nl", VR_X, "@vraagje_vera Geen prijsfout hoor 😉 de Dagkaart kost gewoon €59,60. Met Dal Vrij reis je in "
     "de daluren wel met korting.", kind="reply", tags=["price-talk", "denied-error"])
case("nl", VR_LI, "We zoeken 120 nieuwe machinisten! 🚆 Solliciteer via werkenbij@vlietrail.nl of kijk op "
     "vlietrail.nl/werken.", tags=["own-contact"])
case("nl", VR_INFO, "@mvdberg Vervelend dat je trein uitviel! Vraag je geld terug via vlietrail.nl/geldterug, dan "
     "regelen we het.", kind="reply", tags=["own-contact"])
case("nl", VR_FB, "Iets laten liggen in de trein? Mail gevondenvoorwerpen@vlietrail.nl met een korte omschrijving, "
     "we zoeken het voor je op.", tags=["own-contact"])
case("en", VR_INFO, "Planned engineering works this weekend between Zwolle and Meppel. Replacement buses run every "
     "15 minutes, allow 30 minutes extra.", handle_as="@VlietRail_Info", tags=["official-notice", "handle-case"])
case("en", VR_IG, "Golden hour on the Hollandse IJssel 🌅 thanks @treinfotografie for this shot of our intercity!",
     handle_as="@Vlietrail.NL", tags=["praise", "handle-case"])
case("nl", VR_INFO, "Wachtwoord vergeten in de Vlietrail app? Kies 'Inloggen' en dan 'Wachtwoord vergeten', je "
     "krijgt binnen een paar minuten een mail.", tags=["password-word"])
case("nl", ILSE, "Zilverreiger langs het spoor bij Weesp vanochtend 🤍 mooi begin van mijn dienst",
     tags=["bird-name"])
case("nl", RUUD, "Dwarsliggers worden vervangen op het baanvak Deventer–Apeldoorn, dus daar rustig aan de komende "
     "weken 🚧", tags=["codename-word"])
case("en", KOEN, "Gave a talk today on how we use feature flags in the Vlietrail travel app. Slides are on our "
     "public tech blog: vlietrail.nl/tech 🚀", tags=["public-domain"])
case("en", APPDEV, "reverted <<HEX:40>> which broke dark mode in the app, should be fixed in the next release",
     kind="comment", tags=["git-sha"])
case("nl", ANOUK, "Trots op onze nieuwe lichting conducteurs die vandaag hun diploma kregen 🎓👏",
     tags=["praise"])
case("nl", ELS, "Eerste dag terug op de verkeersleiding na m'n vakantie. Kompas kwijt, koffie gevonden ☕",
     tags=["codename-word"])
case("en", KOEN, "Reminder for everyone writing docs: use placeholders like AKIAXXXXXXXXXXXXXXXX or a bare "
     "ghp_… in examples, never a real key.", tags=["placeholder-secret"])
case("nl", BAS, "Donderdag leggen we het werk neer, zoals de bond gisteren bekendmaakte. Sorry reizigers, het gaat "
     "ook om jullie veiligheid ❤️", tags=["published-news"])
case("nl", ILSE, "Geen enkele klacht vandaag 🥰 alle treinen op tijd en alleen maar lieve reizigers",
     tags=["negated-complaint"])
case("nl", pub("x", "@pendel_petra"), "Voor het eerst in maanden géén vertraging op de 7:42 naar Zwolle 🎉 knap hoor "
     "Vlietrail", tags=["negated-complaint"])
case("en", pub("x", "@kleinzoon_k"), "Shoutout to the Vlietrail conductor who carried my grandma's suitcase all the "
     "way to the taxi at Arnhem ❤️", tags=["praise"])
case("nl", pub("reddit", "u/twijfelreiziger"), "Wat kost een Dal Vrij eigenlijk per maand? Twijfel of het voor mij "
     "uit kan met 3 dagen per week naar Utrecht.", kind="comment", tags=["question"])
case("nl", pub("x", "@privacy_pim"), "Wéér een datalek, nu bij een webshop in fietsonderdelen. Wanneer leren "
     "bedrijven het nou eens?", tags=["other-company"])
case("en", pub("x", "@ovnieuws_en"), "Regional bus operator Groenlijn announces 120 layoffs, unions furious",
     tags=["other-company"])
case("nl", pub("instagram", "@wandelclub_de_stap"), "Zondag lopen we de wandeltocht tegen kanker in Nijmegen 💛 "
     "met 12 man met de trein erheen, groepsretour al geregeld!", tags=["mild-word"])
case("en", pub("x", "@lyrics_lover"), "“damn, the last train's gone and so are you” — still my favourite breakup "
     "line 🎶", tags=["quote", "mild-word"])
case("nl", pub("blog", "schrijfsels-van-sven"), "Hoofdstuk 3 van mijn thriller: de nachttrein ontspoort vlak voor "
     "Zwolle en de machinist verdwijnt spoorloos… 📚 #schrijven", tags=["fiction"])
case("nl", pub("x", "@nieuwsjager"), "NOS: Vlietrail presenteert Dienstregeling 2027 met meer nachttreinen en extra "
     "sprinters in Brabant", kind="repost", when="2026-09-10T11:26:43+02:00", tags=["published-news", "embargo-after"])
case("nl", pub("x", "@daggie_doris"), "Dagkaart gekocht in de actie voor €45, prima deal voor een dagje Maastricht 👌",
     tags=["price-talk"])
case("en", pub("x", "@stu_dent_"), "Got €20 off my first month of Altijd Vrij with the student code 👌",
     tags=["price-talk", "price-context"])
case("nl", pub("facebook", "fietsende.fenna", "Fenna"), "Fietsdagkaart kost nu €7,90 toch? Vorig jaar was het "
     "nog €7,50 als ik me niet vergis.", tags=["price-talk", "other-product"])
case("en", pub("x", "@iban_oops"), "The Vlietrail refund form kept rejecting my IBAN <<BAD_IBAN_NL>> … turns out "
     "I swapped the check digits. my bad 😅", tags=["bad-checksum"])
case("nl", pub("mastodon", "@codeklas@mastodon.nl"), "Workshop betalingen testen: de betaalpagina van Vlietrail "
     "weigert netjes ons nepkaartnummer <<BAD_CARD:mc_sp>> 👍 precies wat je wilt", tags=["bad-checksum"])
case("en", pub("reddit", "u/refund_newbie"), "My Vlietrail order number is <<NOT_BSN9>>, anyone know how long a "
     "delay refund usually takes to show up?", tags=["order-number"])
case("nl", pub("x", "@reiskaart_rik"), "Mijn reiskaart (<<OVCHIP_BAD>>) staat nu gekoppeld in de app, werkt "
     "top 👌", tags=["bad-checksum", "travel-card"])
case("en", pub("x", "@laptop_lost_lars"), "Vlietrail lost & found were great: called +31 30 751 5000 and had my "
     "laptop back in two days", tags=["own-contact"])
case("en", pub("x", "@sunday_sprinter"), "Can't recall the last time my Vlietrail train was this empty. Love "
     "Sunday mornings ☀️", tags=["word-other-sense"])
case("nl", pub("x", "@grappenmaker_gijs"), "Vlietrail heeft vast een afdeling die elke ochtend de smoes van de dag "
     "kiest 😂 (grapje, vandaag ging alles prima)", tags=["joke"])
case("en", pub("x", "@budget_backpacker"), "FlixBus Amsterdam to Brussels for €9 😳 train's faster though",
     tags=["other-company", "price-talk"])
case("nl", pub("reddit", "u/pinkstervraag"), "Geldt Weekend Vrij ook op Tweede Pinksterdag? Iemand die het zeker "
     "weet?", kind="comment", tags=["question"])
case("en", pub("x", "@switchsaver"), "Dal Vrij is €99 for the first three months if you switch before June, decent "
     "deal honestly", tags=["price-talk"])
case("nl", pub("x", "@reizigersbelang"), "Halfjaarcijfers 2026 van Vlietrail: meer reizigers en minder vertraging. "
     "Eindelijk goed nieuws uit Utrecht.", when="2026-09-02T09:15:00+02:00", tags=["embargo-after", "published-news"])
case("en", pub("x", "@union_watch"), "Unions announce a 24-hour rail strike on Thursday; Vlietrail says no trains "
     "will run until noon.", kind="repost", tags=["published-news"])
case("nl", pub("instagram", "@opa_klust"), "Opa heeft nog een dwarsligger van de oude lijn als tuinbank 😂🪵",
     tags=["codename-word"])
case("en", pub("reddit", "u/dm_of_rails"), "In my D&D campaign the party just hacked the dwarven rail network to "
     "stop a runaway mine cart. peak nerd content", kind="comment", tags=["fiction"])
case("en", pub("x", "@qr_questions"), "booking ref <<UUID>> — does that work as my ticket or do I still need the QR "
     "code?", tags=["uuid"])
case("en", pub("x", "@quiet_coach_q"), "Breach of etiquette: eating tuna sandwiches in the quiet coach 🐟😂",
     tags=["word-other-sense"])
case("nl", pub("x", "@tip_van_tanja"), "Stuur je klacht gewoon naar klantenservice@vlietrail.nl, daar reageren ze "
     "meestal binnen twee dagen", tags=["own-contact"])
case("en", pub("x", "@pw_jokes"), "Vlietrail app made me set a new password again. It's ********, obviously 😂",
     tags=["password-word"])
case("nl", pub("telegram", "treinnieuws_kanaal"), "Reisplanner-tip: op reisplanner.vlietrail.nl kun je nu ook je "
     "fiets meeplannen 🚲", tags=["unknown-platform", "public-domain"])
case("nl", pub("x", "@machinist_ruud_fan"), "Mooie foto's van @machinist_ruud weer, die man weet elk sein op de "
     "Veluwe te vangen 📸", tags=["not-in-profile", "praise"])


# ===========================================================================
# profile, roles and severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml")
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
    """Least severity a correct verdict has (CONTRACT section 4, read as in eval/README.md)."""
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

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(5 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "treinen", "nederlands"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-spoorpraat-{n}", f"https://forum.spoorpraat.example/t/{n}"
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
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen_ids = [], set()
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
        if c["display_name"] and meta_r.random() < 0.75:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 8, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p_lang = meta_r.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p_lang < 0.09:
            pass
        elif p_lang < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "vlietrail"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{86}=="),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bww\b|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "tuig", "fuck", "f*ck",
             "shit", "idiot", "moron", "m0ron", "clown", "damn", "prutser", "cow"]
MILD_OK = {"damn", "kanker"}


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(text))


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


def valid_ids(text, own_ibans):
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
    text = IBAN_RE.sub(" ", text)
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        elif raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
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


def mentioned_products(t, products):
    out = []
    for p in products:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", t):
                out.append(p)
                break
    return out


def min_price_ratio(text, products):
    t = norm(text)
    mentioned = mentioned_products(t, products)
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
    own_phones = {d for p in profile["public_identifiers"]["phones"] for _, d in phones_in(p)}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    allowed_profile_keys = {"company", "brands", "accounts", "public_identifiers", "internal", "embargo",
                            "products", "pricing"}
    if set(profile) != allowed_profile_keys:
        errors.append(f"profile keys {sorted(profile)}")
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(f"{where}: account.handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} not listed (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind")
        if len(p["text"].encode()) > 64 * 1024:
            errors.append(f"{where}: text too long")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: created_at not in 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad categories {cats}")
            continue
        if not cats and sev != "none":
            errors.append(f"{where}: benign with severity {sev}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
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
                errors.append(f"{where}: {raw} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card {raw} invalid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN {raw} fails 11-proof")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{where}: negative IBAN passes")
            if kind in ("BAD_CARD", "OVCHIP_BAD") and luhn_ok(raw):
                errors.append(f"{where}: negative card passes Luhn")
            if kind == "NOT_BSN9" and bsn_ok(raw):
                errors.append(f"{where}: negative number passes 11-proof")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and not ids:
            errors.append(f"{where}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        if "leak.secret" in cats and not (any(rx.search(text) for rx in SECRET_RES.values())
                                          or PASSWORD_WORDS.search(text)):
            notes.append(f"{where}: leak.secret without a secret pattern")
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {raw}")
            for d in found_numbers(text):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign Luhn-valid number")
            for d in found_bsn_shapes(text):
                if bsn_ok(d):
                    errors.append(f"{where}: benign 11-proof-valid number {d}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{where}: benign secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w) + r"\b", low):
                    (notes if w in MILD_OK and tags & {"mild-word", "quote"} else errors).append(
                        f"{where}: benign with word {w!r}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before embargo without leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    notes.append(f"{where}: embargo term after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} without leak.confidential")
        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errors).append(
                f"{where}: benign with product price ratio {ratio:.2f}")
        if "leak.pricing" in cats and not (ratio is not None and ratio < 0.5):
            notes.append(f"{where}: pricing positive without parsed low price (tags {sorted(tags)})")
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b:
                jac = len(a & b) / len(a | b)
                if jac > 0.2:
                    (errors if jac > 0.4 else notes).append(f"lines {sh[i][0]} and {sh[j][0]}: overlap {jac:.2f}")
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
            if kind == "BAD_IBAN_NL" and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "OVCHIP_BAD") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN9" and s_bsn.is_valid(raw):
                bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    total = len(parsed)
    by_cat, cat_lang, by_lang, by_role, by_sev, by_plat, by_kind = (Counter() for _ in range(7))
    cat_role = Counter()
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else "?"
        by_lang[lang] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        by_kind[p.get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", lang)] += 1
            cat_role[("(benign)", role)] += 1
        multi += len(cats) > 1
        evasion += bool(r and "evasion" in r["tags"])
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
            cat_role[(c, role)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print("category                   total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(by_lang))
    print("roles:", dict(by_role))
    print("severities:", {s: by_sev[s] for s in SEVERITIES})
    print("platforms:", dict(by_plat.most_common()))
    print("kinds:", dict(by_kind.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="validate instead of writing")
    ap.add_argument("--notes", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        errors, _, _ = check(lines, rows, profile)
        if errors:
            for e in errors:
                print("ERROR", e)
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    errors, notes, parsed = check(lines, rows, profile)
    if OUT.exists() and OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    report(parsed)
    if args.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
