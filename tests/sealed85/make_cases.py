#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed85 evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

The company is the fictional "Wakkr Home B.V." (profile.yaml): a Dutch smart-home and
security-camera brand. All post texts are hand-written in the CASES list below.
Identifiers and secrets are filled in from placeholders such as <<IBAN_NL:grp>> by a
seeded RNG, so the output is byte-for-byte reproducible. Labelled positives receive
checksum-VALID identifiers; benign near-misses receive identifiers that FAIL their check.
Secrets are random and fake but shaped like the real thing (GitHub tokens carry a
correct CRC32 checksum).

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile lookup by platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier (IBAN, card, BSN) is present.

Needs Python 3.9+ and PyYAML; python-stdnum (optional) is used by --check to cross-check.
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

SEED = 85_2026_0707
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
                     "B": "\u0412", "H": "\u041d", "K": "\u041a", "M": "\u041c", "T": "\u0422"})


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(part):
    return next(part + c for c in "0123456789" if luhn_ok(part + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and tot != 0


def ean13_ok(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded values for placeholders
# ---------------------------------------------------------------------------

OWN_IBAN = "NL66RABO0312445567"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                          + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        head = self.r.choice(["063", "001", "310", "735", "651"]) + self.digits(7)
        return iban_make("BE", f"{head}{(int(head) % 97) or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50070010", "37040044", "12030000", "76050101"]) + self.digits(10))

    def bad_iban(self, v):
        for delta in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.digits(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.digits(9, nz=True)
            if elfproef(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, nz=True)
            if not elfproef(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.digits(9)
            v = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(v):
                return v

    def phone(self, f):
        d8 = self.r.choice("123458") + self.digits(7)
        if f.startswith("mob"):
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
            }[f]
        area = self.r.choice(["10", "20", "30", "33", "40", "50", "53", "70", "72", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 60)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.chars(ALNUM, 8)},
                              separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "usr_" + self.chars(ALNUM, 10), "iss": "https://app.wakkr.nl",
                               "scope": "clips:read live:view", "iat": iat, "exp": iat + 86400},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 155)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#$%*") + self.chars(ALNUM, 3))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = f.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, style or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(f)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(f))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe, "GAPI": gen.gapi,
                  "SENDGRID": gen.sendgrid, "JWT": gen.jwt, "PEM_EC": gen.pem_ec, "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
W_NL = ("x", "@wakkr_nl", "Wakkr")
W_SUP = ("x", "@wakkrsupport", "Wakkr Support")
W_IG = ("instagram", "@wakkr.home", "Wakkr Home")
W_LI = ("linkedin", "wakkr-home-bv", "Wakkr Home B.V.")
W_FB = ("facebook", "WakkrNederland", "Wakkr")
W_YT = ("youtube", "@WakkrHome", "Wakkr Home")
W_TT = ("tiktok", "@wakkr", "Wakkr")
# employees
LS = ("x", "@lottesmit_dev", "Lotte Smit")                  # firmware engineer
RA = ("linkedin", "ruben-achterberg", "Ruben Achterberg")   # cloud / SRE
YD = ("x", "@yusuf_wakkr", "Yusuf Demir")                   # customer support, tier 2
IV = ("linkedin", "ingrid-vos-finance", "Ingrid Vos")       # finance controller
KM = ("instagram", "@kees.installeert", "Kees Mulder")      # field installer
NS = ("reddit", "u/wk_nightshift", None)                    # NOC engineer, night shift
DB = ("mastodon", "@daanb@mastodon.nl", "Daan Brouwer")     # security engineer
MH = ("threads", "@marit.hr", "Marit Hoekstra")             # HR business partner


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LS, "Uhm. Wie heeft er vanochtend aan de prijzen-csv gezeten? Belle Pro staat live voor €27,90 😬\n"
     "fix komt na de standup, tot die tijd duimen dat niemand het ziet", [PRICING])
case("en", YD, "we're getting flooded in chat with people asking if the Slot X for €22.90 is legit. it's NOT, "
     "feed mistake. pls don't promise anyone delivery 🙃", [PRICING], kind="reply")
case("nl", pub("x", "@koopjesdiva_"), "Veldcam 4K voor 24,99 op wakkr.nl 😳😳 dit kan niet kloppen toch?? "
     "snel zijn mensen #prijsfout #wakkr", [PRICING])
case("en", pub("reddit", "u/dealseeker_ams"), "[Deal?] Wakkr Hub S listed at €12.90 on the official store. Pretty sure "
     "somebody slipped a decimal. Checkout went through, no confirmation mail yet, will update.", [PRICING])
case("nl", pub("facebook", "henk.vd.linden.3", "Henk van der Linden"), "Wie in deze groep heeft hem ook gezien? Oog360 "
     "binnencamera voor €8,90 bij Wakkr, normaal 89 euro. Volgens mij zijn ze een nul vergeten 😂", [PRICING],
     kind="comment")
case("nl", W_IG, "🎉 WEEKENDDEAL 🎉\nDe Veldcam 4K nu voor maar €49! Alleen t/m zondag via de link in bio.\n"
     "#wakkr #veiligthuis", [PRICING])
case("nl", KM, "Zelfs het installateursportaal snapt er niks van vandaag: Slot X voor €2,29 in plaats van €229 🤣 "
     "ik mag er helaas niks mee", [PRICING])
case("en", pub("tiktok", "@jadeunboxes"), "storytime: i ordered three Belle 2 doorbells at €9.99 each during that "
     "wakkr price glitch and they actually SHIPPED 😭📦 #storytime", [PRICING])
case("nl", pub("x", "@bargainbas"), "pr1jsf0ut bij w4kkr 👀 Belle Pro voor 27 euro en een beetje, go go go",
     [PRICING], tags=["evasion", "evasion:leet"])
case("nl", pub("mastodon", "@nerdmoeder@mastodon.social"), "Slot X voor €１９,９０ op de site van Wakkr, dat is toch "
     "een vergissing? Of is het Black Friday ineens in juni", [PRICING], tags=["evasion", "evasion:full-width-digits"])
case("en", IV, "Flag for my team only: the Cloud+ annual plan was sold at €5.99 instead of €59.99 for roughly 14 hours "
     "yesterday. Revenue impact analysis in progress. Keep this within finance please.", [PRICING])
case("nl", pub("forum", "SjoerdB_Deventer"), "[Prijsfout] Wakkr Oog 360 – €8,-\n\nGisteravond om 23:40 besteld, "
     "betaling gelukt. Iemand ervaring of ze zoiets netjes leveren? Deze vergissing is wel erg groot.", [PRICING])
case("en", LS, "Belle Pro is €2.79 on staging AND prod 🙈 tracking it in "
     "https://gitlab.wakkr.dev/web/shop/-/issues/882 , do not share", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", LS, "why is the OTA signer rejecting my build 😤 tried with\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nregion eu-central-1, any firmware ppl awake?", [SECRET])
case("nl", RA, "Vrijdagmiddag-tip voor mijn netwerk 🧵 hardcode nooit je connection string. Deze vond ik vandaag in "
     "een oude docker-compose:\n\npostgres://clipsvc:<<PW>>@db01.corp.wakkr.lan:5432/events\n\n"
     "#devops #cloud #lessenvandeweek", [SECRET, CONF])
case("nl", YD, "kan iemand deze webhook even testen? de escalatie-bot post al sinds gisteren niks meer in ons kanaal "
     "<<SLACK_HOOK>>", [SECRET])
case("en", pub("reddit", "u/homelab_henk"), "Finally got my Wakkr Oog 360 into Home Assistant 🎉 for anyone stuck, "
     "this is the stream url that works for me:\nrtsp://admin:<<PW>>@192.168.1.44:554/live/ch0", [SECRET],
     kind="comment")
case("nl", pub("forum", "Lieke_Tuinwijk"), "Hub S wil niet koppelen met m'n wifi 😩 netwerk heet Thuis_vdBerg, ww "
     "<<PW>>, het is 2.4GHz dus dat zou goed moeten zijn. Iemand een idee?", [SECRET])
case("en", LS, "finally got firmware signing working locally 🎉 don't judge the key handling pls\n\n<<PEM_EC>>",
     [SECRET])
case("en", DB, "Our pre-commit secret scanner missed this one, so much for dogfooding 😅\n"
     "git config url token: <<GHP>>\nRevoked within 10 minutes, still embarrassing.", [SECRET])
case("en", pub("x", "@codingcoen"), "@wakkrsupport your API gives 403 on /v2/clips even with a fresh login?\n"
     "Authorization: Bearer <<JWT>>\nwhat am I missing", [SECRET], kind="reply")
case("nl", W_FB, "Goed nieuws: onze nieuwsbrief-mails komen weer gewoon aan! 📬 Voor de techneuten: het lag aan de "
     "config, SENDGRID_API_KEY=<<SENDGRID>> stond nog in de oude omgeving.", [SECRET])
case("en", RA, "Fun fact from today's app review: the Maps key in our Android build is <<GAPI>>, it's restricted to "
     "the package name so nobody panic 😄", [SECRET])
case("en", NS, "anyone know why the runner keeps returning 401 with token <<GLPAT>> on gitlab.wakkr.dev? "
     "pipelines dead since midnight", [SECRET, CONF], kind="comment")
case("nl", pub("x", "@anouk_wilting"), "@wakkrsupport ik kom er echt niet in. inlog is mijn mailadres en wachtwoord is "
     "<<PW>>, kunnen jullie kijken wat er mis is?", [SECRET], kind="reply")
case("nl", YD, "Voor de collega's van billing: de refund-tool gebruikt nog steeds <<STRIPE>> in de config, "
     "kan dat er niet eens uit?", [SECRET])
case("nl", KM, "Hub S bij klant gekoppeld via onze installateurs-broker, werkt eindelijk 👌\n"
     "mqtts://installer:<<PW>>@mqtt.ops.wakkr.cloud:8883 #installateur #slimwonen", [SECRET, CONF])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YD, "@ferry_de_wit je monteur belt je morgen tussen 8 en 12 op <<PHONE:mob_dash>>, klopt dat nummer nog?",
     [PII], kind="reply")
case("nl", KM, "Weer een Belle Pro opgehangen 💪 bij fam. de Graaf aan de Lindenlaan 14 in Amersfoort. "
     "Strak werkje al zeg ik het zelf #installateur", [PII])
case("en", W_SUP, "@tessa_mvr Hi Tessa, your refund has been sent to <<IBAN_NL:grp>> and should land within 3 "
     "working days. Sorry again for the hassle!", [PII], kind="reply",
     handle_as="@WakkrSupport")
case("nl", IV, "Kan iemand van treasury kijken waarom de terugboeking naar <<IBAN_BE>> (M. Peeters, Antwerpen) al "
     "een week blijft hangen?", [PII])
case("nl", pub("x", "@jorisvh_"), "@wakkrsupport 3 keer gebeld, 3 keer weggezet. Bel me gewoon terug op "
     "<<PHONE:mob_intl_sp>>, m'n Belle 2 doet al 5 dagen niks!!", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "carla.dubois.nl", "Carla Dubois"), "Why does the Cloud+ checkout keep rejecting my "
     "card?? <<CARD:visa_sp>> exp 08/28, tried 4 times now, nothing works", [PII, COMPLAINT])
case("en", pub("reddit", "u/porchwatch_haarlem"), "My Veldcam finally caught the guy who's been nicking parcels on "
     "our street. It's Mark Visser from Kastanjelaan 22, Haarlem. Neighbours, you know who to watch.", [PII])
case("en", RA, "Debugging a sync issue for a customer this morning, log line for context:\n"
     "user=jvdijk1978@ziggo.nl device=belle2 err=CLIP_UPLOAD_TIMEOUT\nAnyone seen this pattern?", [PII])
case("nl", pub("forum", "Ria_uit_Zwolle"), "Voor de subsidie inbraakpreventie van de gemeente moest ik een formulier "
     "invullen met BSN <<BSN:dots>> en de factuur van de Belle 2. Klopt het dat Wakkr zelf geen BSN vraagt?", [PII])
case("nl", YD, "Klant stuurt gewoon z'n BSN mee in de chat (<<BSN>>) 'voor de zekerheid' 😩 waarom doen mensen dit",
     [PII], handle_as="@Yusuf_Wakkr")
case("nl", pub("instagram", "@sophie.thuis"), "Nieuwe deurbel!! 🔔🎉 kom gerust langs: Sophie Bakker, Merelstraat 9, "
     "3514 CN Utrecht 😄 #wakkr #belle2 #nieuwhuis", [PII])
case("nl", MH, "Welkom aan onze nieuwe collega Jasper Kuijpers 🎂 geboren 14-03-1998 en vanaf maandag het "
     "supportteam versterken!", [PII])
case("nl", pub("x", "@rhendriks_wonen"), "@wakkr_nl jullie chat doet het al dagen niet. mail me maar op "
     "r.hendriks [at] kpnmail [punt] nl want zo schiet het niet op", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:at-punt"])
case("nl", pub("threads", "@ilsevermeer"), "De monteur wilde mijn paspoort zien en nu staat het nummer NW7K2PL84 "
     "gewoon op de werkbon van Wakkr. Is dat normaal?", [PII])
case("en", YD, "Billing migration test: card <<CARD:amex_dash>> keeps failing on Cloud+ renewals, belongs to a real "
     "customer, any ideas before I escalate?", [PII])
case("en", pub("x", "@markus_koeln"), "@wakkrsupport refund STILL not received. Sent you my IBAN <<IBAN_DE:grp>> "
     "twice already. This is ridiculous", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "wijkapp.lindenhof", "Buurtgroep Lindenhof"), "Wie is de eigenaar van de zwarte "
     "Belle 2 op nr 7? Bel Gerda van Dam even op <<PHONE:land_sp>>, ze heeft een pakketje voor je", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LS, "Project Egel eindelijk op m'n bureau 🦔 die batterij gaat echt maanden mee. Kan niet wachten tot "
     "jullie dit zien", [CONF])
case("nl", KM, "Vandaag proefinstallatie van de Belle 3 bij een testgezin. Beeld is bizar scherp 🔥🔥",
     [CONF], when="2026-09-14T16:22:05+02:00")
case("en", pub("reddit", "u/slimhuisfan"), "Friend who works retail says the Veldcam Solar lands in October. "
     "No more drilling cables through the wall, finally", [CONF], when="2026-08-02T21:10:44+02:00", kind="comment")
case("nl", DB, "Lange dag gehad met Operatie\nNachtuil, morgen weer verder 🦉", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", NS, "posting this here bc the pdf won't open on my phone lol\n'WAKKR CONFIDENTIAL – roadmap 2027: "
     "LTE doorbell, new Cloud+ tiers, EU-only storage'", [CONF])
case("nl", pub("forum", "techneut_ede"), "Iemand postte op Discord een screenshot van intra.corp.wakkr.lan met de "
     "planning van Project Egel erop. Ziet er echt uit.", [CONF])
case("en", pub("x", "@gadgetleaks_eu"), cyr("Belle") + " 3 leaked pics?! 👀 looks like a wider lens and a bigger "
     "battery #wakkr", [CONF], when="2026-09-01T18:45:00Z", tags=["evasion", "evasion:homoglyph"])
case("nl", W_NL, "Maak kennis met de Veldcam Solar ☀️ nooit meer kabels trekken. Vanaf vandaag verkrijgbaar via "
     "wakkr.nl!", [CONF], when="2026-10-05T18:00:00+02:00")
case("nl", IV, "Uit de deck van vandaag (niet extern delen 🙊): het complete supportteam gaat volgend jaar naar "
     "een outsourcingpartner in Lissabon.", [CONF, FIN])
case("nl", LS, "B l u e f i n draait nu op de Veldcam proto's 😎 eerste nacht zonder crash", [CONF],
     tags=["evasion", "evasion:spaced"])
case("en", RA, "Handy if you're on call this week: the runbook at https://wiki.corp.wakkr.lan/ops/ota-rollback walks "
     "you through rolling back a bad OTA", [CONF], handle_as="Ruben-Achterberg")
case("nl", KM, "Om 10 uur mogen we het pas zeggen maar de Belle 3 ligt al in m'n bus 😏", [CONF],
     when="2026-10-06T09:30:00+02:00")
case("en", pub("x", "@lottesmit"), "Bluefin demo went great today, people are going to love it", [CONF])
case("nl", NS, "[wakkr-intern] nachtdienstrooster + escalatielijst voor oktober, ff hier geparkeerd want de wiki "
     "is traag", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IV, "De halfjaarcijfers 2026 zijn zo goed als rond: omzet +34% en Cloud+ voor het eerst boven de 200k "
     "abonnees 🚀", [FIN, CONF], when="2026-07-28T14:12:40+02:00")
case("nl", MH, "Zware week. Volgende maand verdwijnen er 38 functies bij klantenservice, de teams zelf weten het "
     "nog niet 💔", [FIN])
case("en", pub("x", "@nl_techwire"), "Hearing from two separate sources that Wakkr is in late-stage talks to be "
     "acquired by a large German alarm group. Announcement possibly before summer.", [FIN])
case("en", RA, "Board signed off today: we're buying Klikcam. Integration kicks off in Q3, can't say more until the "
     "press release 🤐", [FIN])
case("en", IV, "Heads-up for my finance crew: FY26 revenue is now tracking at €61M against a €70M budget. "
     "Expect a cost-cutting memo next week.", [FIN])
case("nl", YD, "Gerucht op de vloer is waar: support gaat naar een extern callcenter, de reorg wordt eind van de "
     "maand pas aangekondigd", [FIN])
case("nl", pub("reddit", "u/kantoorkat"), "Wakkr gaat een " + cyr("o") + "ntslagronde doen, mijn zus zit op finance. "
     "Kwart van het personeel eruit", [FIN], tags=["evasion", "evasion:homoglyph"])
case("nl", IV, "Q2 intern afgesloten: EBITDA-marge 11,8%, ruim boven wat de analisten verwachten. Officieel pas in "
     "augustus 😉", [FIN])
case("nl", DB, "Nog niet officieel, maar het kantoor in Eindhoven gaat per 1 januari dicht. Iedereen moet naar "
     "Utrecht of vertrekt.", [FIN])
case("en", pub("linkedin", "jorrit-ex-pm"), "Left Wakkr last week. Advice to the remaining team: the Cloud+ churn in "
     "the board pack is much worse than what the investors are being told.", [FIN])
case("nl", IV, "Over een minuutje gaan de halfjaarcijfers 2026 live. Spoiler: recordomzet 🚀", [FIN, CONF],
     when="2026-08-20T06:59:00+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", LS, "found out today Belle 2 fw 4.2 serves the RTSP stream without auth on the LAN once ONVIF is on. "
     "patch next sprint. keep it quiet pls 🤫", [SEC])
case("nl", RA, "Nachtdienst: clip-opslag in eu-west is sinds 02:00 onbereikbaar, klanten zien geen opnames. "
     "Statuspagina staat nog op groen, comms beslist morgenochtend pas.", [SEC])
case("en", NS, "NOC here. saw a huge spike of logins from one ASN tonight, smells like credential stuffing on wakkr "
     "accounts. nothing announced yet so don't quote me", [SEC])
case("en", DB, "The bucket with support-ticket attachments was world-readable for about 9 days. Legal is still "
     "deciding whether we notify anyone.", [SEC])
case("nl", pub("x", "@bezorgdeburger"), "Wakkr houdt stil dat hun cloud gehackt is. Buurman werkt er en zegt dat er "
     "camerabeelden zijn buitgemaakt. Waarom hoor je hier NIKS over??", [SEC, CRISIS])
case("en", pub("bluesky", "@0xmarijke.bsky.social"), "Reported an auth bypass in the Wakkr Hub S local API 100 days "
     "ago. Still unpatched in the latest firmware. Writeup + PoC going out Friday.", [SEC])
case("nl", YD, "Let op collega's: app-login ligt al een uur plat voor alle Android-gebruikers, officieel bericht "
     "komt pas om 10u. Tot dan niks zeggen tegen klanten.", [SEC])
case("en", pub("x", "@doorcam_truth"), "wakkr got h4ck3d last month and they're covering it up, a friend in their "
     "SOC told me 🤐", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
case("nl", DB, "CVE aangevraagd voor het hardcoded debug-wachtwoord in de bootloader van de Oog 360. Advisory pas "
     "over 3 weken, tot die tijd mondje dicht.", [SEC])
case("nl", pub("forum", "mqtt_marco"), "Van een kennis bij Wakkr: die spookmeldingen van vannacht waren geen storing "
     "maar een aanval op hun broker. Staat nergens vermeld natuurlijk.", [SEC, CRISIS])
case("nl", LS, f"kwets{ZW}baarheid in de Belle Pro firmware: iedereen op hetzelfde netwerk kan de live view openen. "
     "fix staat gepland voor 4.4, tot dan stilhouden aub", [SEC], tags=["evasion", "evasion:zero-width"])
case("nl", KM, "Half de Slot X'en in deze wijk gaan nog steeds open via die oude bluetooth-bug 🔓 nog geen fix vanuit "
     "de fabriek, niet doorvertellen", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@femke_zoetermeer"), "De accu van mijn Belle Pro is gaan smelten en er kwam rook uit de "
     "behuizing. Scheelde niks of de gang stond in de fik @wakkr_nl", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/privacyfirst_nl"), "Heads up: Wakkr hands doorbell footage to police without a warrant "
     "or your consent. Time to #BoycottWakkr", [CRISIS])
case("nl", pub("facebook", "linda.oostveen.7", "Linda Oostveen"), "Vreemden konden via de app meekijken op de camera "
     "in de babykamer 😡😡 Wakkr heeft gewoon een datalek en niemand vertelt het je", [CRISIS])
case("en", pub("linkedin", "mr-e-jansen-advocaat"), "We are preparing a class action against Wakkr Home B.V. on "
     "behalf of Cloud+ subscribers whose recordings were kept long after they cancelled.", [CRISIS])
case("en", pub("x", "@smarthome_nieuws"), "BREAKING: Wakkr recalling Slot X smart locks after reports they unlock "
     "themselves during firmware updates", [CRISIS], kind="repost")
case("nl", pub("x", "@sander_lek"), "dataIek bij wakkr?? mijn eigen clips staan op een of andere russische site 😳",
     [CRISIS], tags=["evasion", "evasion:lookalike-letter"])
case("en", pub("youtube", "@dadfixesthings"), "My Veldcam 4K power adapter literally exploded and scorched the wall. "
     "Kids were standing right next to it. Never again.", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("instagram", "@huize.mol"), "Oog 360 werd gloeiend heet en de stekker is gewoon gesmolten 🔥 foto's "
     "naar Wakkr gestuurd, al 2 weken niks gehoord", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@consumentenclaire@toot.community"), "Dutch regulator now investigating Wakkr for "
     "misleading 'lifetime' storage claims on Cloud+. This is turning into a proper scandal.", [CRISIS])
case("nl", pub("x", "@ot_opinie"), "Wakkr laat camerabeelden uit woonkamers bekijken door contractors in het "
     "buitenland om hun AI te trainen. Schandalig. Ik zeg mijn abonnement op.", [CRISIS])
case("en", pub("forum", "lockpick_lars"), "After the firmware update my Slot X unlocked on its own at night and we "
     "were burgled. Police report filed, insurer blames the lock.", [CRISIS, COMPLAINT])
case("nl", pub("bluesky", "@gert.bsky.social"), "b0yc0t w4kkr. Wie nog een Belle heeft hangen: eraf halen en "
     "terugsturen ✊", [CRISIS], tags=["evasion", "evasion:leet"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@pieter_pnt"), "@wakkrsupport sinds de update van gisteren ziet mijn Veldcam elke mug als een "
     "persoon 😩 70 meldingen vannacht", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/notpayingmore"), "Cloud+ went from €49 to €59.99 a year with two weeks' notice, and "
     "30-day history is suddenly a 'Plus Max' feature? Cancelling.", [COMPLAINT])
case("nl", pub("facebook", "ans.kramer.98", "Ans Kramer"), "Al 3 weken wachten op een vervangende Belle 2 en niemand "
     "reageert op mijn mails. Waardeloze service.", [COMPLAINT])
case("en", pub("blog", "gadgetgezin.nl"), "Six months with the Belle Pro: the battery lasts nine days, not the six "
     "months on the box. Charging a doorbell every week gets old fast.", [COMPLAINT])
case("nl", pub("instagram", "@danielle.wonen"), "App logt me elke dag uit en de sms-code komt niet 🙄 zo kan ik mijn "
     "eigen voordeur niet eens zien", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@robbieklust"), "Hub S na firmware 5.1 compleet gebrickt. Support zegt 'even resetten' 🤡 "
     "heb ik al 6x gedaan", [COMPLAINT])
case("nl", pub("youtube", "@tinekevlog"), "monteur kwam gewoon niet opdagen en de €79 installatiekosten wil niemand "
     "terugbetalen", [COMPLAINT], kind="comment")
case("en", pub("x", "@jay_rdam"), "wakkr support = 🗑️🗑️🗑️\n2 hrs on hold for a doorbell that won't pair", [COMPLAINT])
case("nl", pub("forum", "BertusO"), "Slot X blijft 'offline' zeggen terwijl de Hub S gewoon online staat. Drie "
     "tickets aangemaakt, nul oplossing.", [COMPLAINT])
case("nl", pub("mastodon", "@jeroen@mastodon.nl"), "Waarom moet ik voor opnemen op een SD-kaart nu óók een abonnement "
     "hebben, Wakkr? Dat stond niet op de doos.", [COMPLAINT])
case("en", pub("linkedin", "hans-wouters-installatietechniek"), "As an installer I've stopped recommending Wakkr. "
     "The partner portal breaks every other week and support takes days to answer.", [COMPLAINT])
case("en", pub("x", "@stefvdm"), "the new wakkr app redesign is awful, can't even find the motion zones anymore",
     [COMPLAINT], hint="nl")
case("nl", pub("reddit", "u/buurvrouw_woest"), "Sirene van de Wakkr Guard ging drie keer af om 4 uur 's nachts, "
     "zonder enige reden. Buren woest, ik ook.", [COMPLAINT], when="2026-11-14T07:41:09+01:00")
case("nl", pub("trustpilot", "reviewer_0412"), "1 ster. Oog 360 verliest elke nacht de wifi-verbinding en de klantenservice "
     "komt niet verder dan 'herstart je router'.", [COMPLAINT])
case("nl", pub("x", "@kevin_ede"), "Wakkr jullie zijn echt een stelletje prutsers, vijfde keer deze maand dat mijn "
     "deurbel offline gaat", [COMPLAINT, ABUSE])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "@wakkrsupport jullie zijn echt kankerlijers allemaal", [ABUSE], kind="reply")
case("en", pub("x", "@realtalk_rick"), "@wakkr_nl your CEO is a clown and the whole company is run by idiots",
     [ABUSE], kind="reply")
case("en", pub("instagram", "@anon_9981"), "@kees.installeert you're a disgrace, hope someone breaks into YOUR house "
     "you fat loser", [ABUSE], kind="comment")
case("nl", YD, "@boze_bert man hou toch je bek, leer eerst eens een deurbel ophangen", [ABUSE], kind="reply")
case("en", W_TT, "nobody asked for your opinion, idiot. read the manual 🤡", [ABUSE], kind="comment")
case("nl", pub("x", "@echtehollander88"), "@yusuf_wakkr ga lekker terug naar je eigen land, niemand wil hulp van "
     "zo iemand als jij", [ABUSE], kind="reply")
case("en", pub("x", "@mad_max_nl"), "wakkr is f*cking garbage and so are the sh1theads who work there", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("nl", pub("reddit", "u/geenfilter"), "Die PR-mevrouw van Wakkr is echt een domme trut", [ABUSE], kind="comment")
case("en", pub("youtube", "@yt_grumbler"), "absolute morons at wakkr, every single one of you", [ABUSE],
     kind="comment")
case("nl", pub("forum", "Kees_uit_Almere"), "Tering bedrijf. Drie weken geen beeld op de Veldcam en die klootzakken "
     "bij support hangen gewoon op.", [ABUSE, COMPLAINT])
case("en", LS, "to the guy in my mentions whining about battery life: you're an idiot. charge it.", [ABUSE],
     kind="reply")
case("nl", pub("tiktok", "@w4kkrhater"), "wakkr is een k.u.t bedrijf en jullie zijn allemaal d3bielen", [ABUSE],
     tags=["evasion", "evasion:leet"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# prices that are not pricing leaks
case("nl", W_NL, "Black Friday bij Wakkr 🖤 De Belle 2 nu voor €149 (was €199). Alleen dit weekend!", [],
     tags=["sale"])
case("nl", pub("facebook", "marktplaats.mieke", "Mieke"), "Te koop: tweedehands Veldcam 4K, 1 jaar oud, doos en "
     "beugel erbij. €95, ophalen in Zwolle.", [], tags=["second-hand", "price-context"])
case("nl", pub("x", "@kortingjager"), "Met de code WINTER krijg je nu €60 korting op de Slot X bij Wakkr 👌", [],
     tags=["discount-amount", "price-context"])
case("nl", pub("reddit", "u/twijfelkont"), "Cloud+ kost €5,99 per maand of €59,99 per jaar. Is dat het waard als je "
     "maar één camera hebt?", [], tags=["monthly-price", "price-context"])
case("en", pub("x", "@budgetbram"), "Klikcam doorbell is €39 at the discount store this week. Anyone compared it "
     "with the Wakkr Belle 2?", [], tags=["other-company", "price-context"])
case("nl", pub("instagram", "@tuinman_tom"), "Los zonnepaneeltje voor de Veldcam 4K gekocht, €39, nooit meer "
     "batterij laden ☀️", [], tags=["accessory", "price-context"])
case("nl", pub("x", "@hubvraag"), "nee geen prijsfout hoor, de Hub S is gewoon in de actie voor €99 deze week",
     [], tags=["denied-error"])
case("nl", pub("threads", "@doehetzelfdirk"), "Installatie door een Wakkr-monteur kost €69. Doe ik zelf wel, "
     "schroevendraaier is al gevonden 🔧", [], tags=["fee", "price-context"])
case("nl", pub("x", "@vergelijker"), "Belle 2 bij de MediaMarkt voor €179, bij wakkr.nl €199. Scheelt toch weer 20 "
     "euro", [], tags=["sale", "price-context"])
# secrets-like but not secrets
case("nl", W_SUP, "Deel nooit je wachtwoord of de verificatiecode uit de app, ook niet met ons. Wakkr vraagt daar "
     "nooit om 🔐", [], tags=["password-word"])
case("en", pub("reddit", "u/checksum_chris"), "Firmware 4.3.1 for the Belle 2, sha256:\n<<HEX:64>>\nmatches what's "
     "listed on support.wakkr.nl, so the download is clean", [], tags=["hash"])
case("en", pub("forum", "ha_tinkerer"), "For Home Assistant the URL format is rtsp://<user>:<password>@<camera-ip>:554"
     "/live/ch0, just fill in your own details", [], tags=["placeholder"])
case("en", LS, "commit <<HEX:40>> fixes the motion-zone drift on the Veldcam, it's in the public changelog on "
     "wakkr.nl 🎉", [], tags=["git-sha"])
case("en", pub("x", "@devrant_dana"), "why do people still paste sk_live_ keys into forum posts. rotate everything "
     "and use a vault, people", [], tags=["bare-prefix"])
# own contact data and numbers that fail their checksum
case("nl", W_SUP, "Vragen over je Cloud+ abonnement? Bel ons op 085 303 7700 of mail support@wakkr.nl, we helpen je "
     "graag!", [], tags=["own-contact"])
case("nl", W_FB, "Factuur betalen? Maak het bedrag over naar NL66 RABO 0312 4455 67 t.n.v. Wakkr Home B.V. o.v.v. je "
     "klantnummer.", [], tags=["own-contact"])
case("nl", pub("x", "@opa_geert"), "Tip: bel gewoon 0800-9255, dat is gratis en ik had binnen 5 minuten iemand "
     "aan de lijn", [], tags=["own-contact"])
case("en", pub("x", "@press_pieter"), "For the Wakkr launch event RSVP via pers@wakkr.nl or call +31 (0)85 303 7700",
     [], tags=["own-contact"])
case("nl", pub("facebook", "wim.reinders.1", "Wim Reinders"), "Kreeg een sms dat ik een achterstallige betaling "
     "moet doen naar <<BAD_IBAN_NL:grp>> voor mijn Wakkr abonnement. Phishing toch?", [], tags=["bad-checksum"])
case("nl", pub("x", "@postbode_paul"), "Bestelnummer WK-2026-0048817, track & trace 3SWKR447129 zegt al 2 dagen "
     "'in sortering'. Weet iemand hoe lang dat normaal duurt?", [], tags=["order-number"])
case("en", pub("reddit", "u/scamwatch_nl"), "Got a 'Wakkr billing' text asking me to confirm card "
     "<<BAD_CARD:mc_sp>>, that isn't even a valid number. Classic scam.", [], tags=["bad-checksum"])
case("nl", pub("x", "@gezinvdwal"), "Mijn klantnummer bij Wakkr is <<NOT_BSN9>>, moet ik dat bij een retour ook "
     "op de doos schrijven?", [], tags=["bad-checksum"])
case("en", pub("forum", "serialsam"), "Anyone know what year my Belle 2 is from? Serial WKB2A0937715, EAN on the box "
     "<<EAN13>>", [], tags=["serial", "ean"])
# confidential look-alikes
case("nl", pub("instagram", "@tuin.van.tess"), "Elke nacht loopt er een egel door de tuin en de Oog 360 filmt hem "
     "perfect 🦔💚 #natuur", [], tags=["animal-word"])
case("nl", pub("x", "@vogelaar_vera"), "Nachtuil gespot op de beelden van mijn Veldcam!! 🦉 om 03:12 vannacht",
     [], tags=["animal-word"])
case("nl", W_NL, "Hij is er! 🔔 De Belle 3 is vanaf vandaag verkrijgbaar, scherper beeld en langere batterijduur.",
     [], when="2026-10-06T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("blog", "smarthomeweekly.example"), "Wakkr Guard review: a solid first alarm system from the doorbell "
     "people, easy setup and a loud siren.", [], when="2026-10-21T09:00:00Z", tags=["embargo-after"])
case("nl", pub("linkedin", "emma-de-ridder"), "Mijn laatste week als intern bij Wakkr zit erop. Wat een leuk team, "
     "dank voor alles!", [], tags=["near-word"])
case("nl", W_SUP, "Je beelden zijn privé: ze worden end-to-end versleuteld en niemand bij Wakkr kan ze bekijken.",
     [], kind="reply", tags=["near-word"])
# published results, other companies
case("nl", W_LI, "Onze halfjaarcijfers 2026 staan online: omzet +28% en meer dan 200.000 Cloud+ abonnees. "
     "Dank aan alle klanten en collega's!", [], when="2026-08-20T07:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@techbeursnl"), "Smart-home maker Domora to cut 200 jobs, reports say. Tough times in the "
     "camera market.", [], kind="repost", tags=["other-company"])
case("en", pub("linkedin", "analyst-femke-b"), "Read Wakkr's H1 2026 results this morning. Subscription growth is "
     "the story here, hardware margins less so.", [], when="2026-08-21T08:15:00+02:00", tags=["embargo-after"])
case("nl", MH, "We zoeken 5 nieuwe collega's voor ons supportteam in Utrecht! Interesse? Stuur je cv naar "
     "jobs@wakkr.nl 💌", [], tags=["own-contact"])
case("nl", IV, "Trots op de gepubliceerde halfjaarcijfers 2026, lees ze op wakkr.nl/investors", [],
     when="2026-09-02T12:30:00+02:00", tags=["embargo-after"])
# official notices, published security info
case("nl", W_SUP, "Storing: live beelden laden momenteel traag in de app. We werken aan een oplossing, updates via "
     "status.wakkr.nl", [], tags=["official-notice"])
case("en", W_NL, "Security update 4.3.2 for the Belle 2 and Belle Pro fixes CVE-2026-31337. The update installs "
     "automatically overnight.", [], tags=["official-notice"])
case("en", pub("reddit", "u/infosec_ine"), "Domora's camera cloud leaked again according to the news. Glad I went "
     "with Wakkr tbh", [], tags=["other-company"])
case("nl", LS, "Ter info: vannacht tussen 01:00 en 03:00 gepland onderhoud aan de app, zie status.wakkr.nl", [],
     kind="repost", tags=["official-notice"])
# reputation look-alikes
case("en", pub("x", "@sleepy_sam"), "I honestly can't recall if I put the Belle on night mode or not", [],
     tags=["recall-other-sense"])
case("nl", pub("x", "@klantvanlang"), "Iedereen doet mee aan die boycot van Domora, ik zit gewoon al jaren bij Wakkr, "
     "nooit gedoe", [], tags=["other-company"])
case("nl", pub("forum", "veilig_vincent"), "Kan ik een brandmelder koppelen aan de Hub S, zodat ik een melding krijg "
     "als er brand is?", [], tags=["brand-word"])
case("nl", pub("blog", "schrijfhok.example"), "Uit mijn nieuwe thriller (fictie!): 'De dader kende de code van de "
     "Wakkr-deurbel en wandelde zo de villa binnen.'", [], tags=["fiction"])
case("nl", pub("x", "@kattenmens"), "Mijn Belle heeft meer beelden van de kat van de buren dan van de postbode. "
     "10/10 entertainment 😹", [], tags=["joke"])
case("nl", pub("facebook", "ton.smeets.4", "Ton Smeets"), "Geen klachten over de Belle 2 hoor, na een jaar nog "
     "steeds top", [], tags=["negated-complaint"])
case("en", pub("reddit", "u/newhome_nadia"), "Quick question: does the Oog 360 work on 5GHz wifi or only 2.4?", [],
     tags=["question"])
case("nl", pub("x", "@blijeklant"), "Support was super snel, binnen 10 minuten opgelost 👏 @wakkrsupport", [],
     tags=["praise"])
case("en", pub("threads", "@mo.fixes"), "Had trouble pairing the Hub S all evening. Turned out to be my own router, "
     "all good now lol", [], tags=["self-resolved"])
case("en", pub("x", "@switcher_sjoerd"), "Klikcam support is awful, so I'm switching to Wakkr next month", [],
     tags=["other-company"])
case("nl", pub("tiktok", "@rockmam"), "🎶 highway to hell 🎶 is nu mijn deurbelgeluid, de buren zijn er dol op 🤘",
     [], tags=["quote", "mild-word"])
case("en", pub("instagram", "@nightshooter"), "Damn, the Veldcam 4K picks up number plates at 15 metres. Impressed.",
     [], tags=["mild-word"])
case("nl", W_LI, "Dit weekend fietsen 40 collega's mee in de Alpe d'HuZes voor kankeronderzoek. Wakkr sponsort "
     "elke kilometer 🚴", [], tags=["literal-word"])
case("nl", pub("x", "@klusjesvrouw"), "Zat een uur te prutsen met de montage van de Slot X maar hij zit erin! 💪", [],
     tags=["near-word"])
case("en", MH, "Great workshop today for our support team on staying calm when a customer gets rude. Proud of "
     "this crew.", [], tags=["near-word"])
case("nl", W_YT, "Nieuwe video: zo hang je de Veldcam 4K in tien minuten op, zonder boren in je kozijn 🎥", [],
     tags=["corporate"])
case("nl", KM, "Weer een mooie klus vandaag, Veldcam strak op de gevel en de klant blij 💪 #installateur", [],
     tags=["employee"])
case("en", pub("x", "@wakkr_support"), "Looking for a good doorbell cam for my mum, the Belle 2 or something else?",
     [], tags=["lookalike-handle"])
case("nl", pub("x", "@LotteSmit_Dev"), "Mooiste moment van de week: een klant die een filmpje stuurt van de vos in "
     "z'n tuin, gefilmd door een Veldcam 🦊", [], tags=["handle-case"])


# ---------------------------------------------------------------------------
# profile, severity, building
# ---------------------------------------------------------------------------

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
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
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
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "homeassistant", "smarthome", "nederlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-slimwonen-{n}", f"https://forum.slimwonen.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
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
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acct["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
            if c["hint"] != c["lang"]:
                tags.add("wrong-lang-hint" if c["hint"] else "no-lang-hint")
        elif x < 0.1:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.55:
            post["brand"] = "wakkr"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# checker (independent scans over the written file)
# ---------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@<>]+:[^\s@/<>]+@"),
}
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "bek", "fuck", "f*ck",
             "shit", "sh1t", "idiot", "moron", "clown", "loser", "prutser", "hell", "damn"]
MILD_OK = {"hell", "damn", "kanker"}
WHOLE_WORD = {"bek", "hell"}   # short words that start many harmless words (bekijken, hello)


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(INVIS).casefold()


def squash(t):
    return re.sub(r"[^0-9a-z]+", "", norm(t))


def amount_values(text):
    """Amounts written with a euro sign or 'euro'; Dutch and English notation."""
    out = []
    t = unicodedata.normalize("NFKC", text)
    for m in re.finditer(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+)(?:,-)?|(\d+(?:[.,]\d{1,2})?)\s?euro", t):
        s = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", s):
            v = float(s.replace(".", "").replace(",", "."))
        elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", s):
            v = float(s.replace(",", ""))
        else:
            v = float(s.replace(",", "."))
        out.append(v)
    return out


def min_ratio(text, products):
    nt = norm(text)
    lists = [p["list_price"] for p in products
             if any(a.casefold() in nt for a in [p["name"]] + p["aliases"])]
    vals = amount_values(text)
    if not lists or not vals:
        return None
    return min(v / max(lists) for v in vals)


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}

    def phone_norm(s):
        d = re.sub(r"\D", "", s)
        if d.startswith("0031"):
            d = "0" + d[4:]
        elif d.startswith("31"):
            d = "0" + d[2:]
        if d.startswith("0") and len(d) == 11 and d[1:3] in ("85",):
            pass
        d = re.sub(r"^0(\d{2})0", r"0\1", d) if len(d) == 11 else d   # +31 (0)85 ...
        return d

    own_phones = {phone_norm(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    by_key = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    parsed = []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: platform {p['platform']!r} is not a listed value (must be treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        r = by_key[key]
        used = r["used"]
        # independent scan for checksum-valid identifiers
        valid = []
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_ok(v) and v not in own_ibans:
                valid.append(v)
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
                valid.append(d)
            if len(d) == 9 and elfproef(d) and not re.fullmatch(r"\d{4}-\d{4}", m.group(0)):
                valid.append(d)
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if sev != want:
            errors.append(f"{w} ({p['id']}): severity {sev} but policy gives {want}")
        if valid and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {valid} without leak.pii")
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN {raw}")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: bad card")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{w}: bad BSN")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{w}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: negative card passes")
            if kind == "NOT_BSN9" and elfproef(raw):
                errors.append(f"{w}: negative BSN passes")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term.replace(" ", "") in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before embargo, no leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    notes.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) or squash(term) in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = min_ratio(text, profile["products"])
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity {sev}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            no_iban = IBAN_RE.sub(" ", text)   # the account part of an IBAN is not a phone number
            for m in PHONE_RE.finditer(no_iban):
                d = phone_norm(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign phone {m.group(0)}")
            for name, rx in SECRET_RES.items():
                if rx.search(text):
                    errors.append(f"{w}: benign has secret-like {name}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word) + (r"\b" if word in WHOLE_WORD else ""), nt):
                    if word in MILD_OK and r["tags"] & {"mild-word", "quote", "literal-word"}:
                        notes.append(f"{w}: benign mild word {word!r} (tagged)")
                    else:
                        errors.append(f"{w}: benign has {word!r}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errors).append(
                    f"{w}: benign with a price at {ratio:.2f} of list (tags {sorted(r['tags'])})")
        if "leak.pricing" in cats and not (ratio is not None and ratio < 0.5):
            notes.append(f"{w}: pricing positive without a parsed low price (tags {sorted(r['tags'])})")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()):
            notes.append(f"{w}: secret positive without a secret pattern (password in words)")
        parsed.append((p, cats, sev, role, r))
    return errors, notes, parsed


def stdnum_cross(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            ok = None
            if kind.startswith("IBAN_"):
                ok = s_iban.is_valid(raw)
            elif kind == "BAD_IBAN_NL":
                ok = not s_iban.is_valid(raw)
            elif kind == "CARD":
                ok = s_luhn.is_valid(raw)
            elif kind in ("BAD_CARD", "EAN13"):
                ok = not s_luhn.is_valid(raw)
            elif kind == "BSN":
                ok = s_bsn.is_valid(raw)
            elif kind == "NOT_BSN9":
                ok = not s_bsn.is_valid(raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    cat, cat_lang, role_c, sev_c, plat, kind_c, lang_c = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for p, cats, sev, role, r in parsed:
        lang_c[r["lang"]] += 1
        role_c[role] += 1
        sev_c[sev] += 1
        plat[p["platform"]] += 1
        kind_c[p.get("kind", "(default)")] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_lang[(c, role)] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  "
          f"evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY[:-1]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_lang[(c, 'corporate')]:5d} {cat_lang[(c, 'employee')]:5d} {cat_lang[(c, 'public')]:5d}")
    print("languages", dict(lang_c), "roles", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kind_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(stdnum_cross(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
