#!/usr/bin/env python3
"""Deterministic generator for the sealed91 blind set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Tandhuys Mondzorg B.V." (fictional Dutch dental clinic chain), see profile.yaml.
Texts are hand written in the CASES list below. Identifiers and secrets are filled in
from <<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte stable.
Positives get checksum-valid identifiers, hard negatives get look-alikes that fail
their checksum. Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 91_2026_0731
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


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
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

OWN_IBAN = "NL66RABO0312445567"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
                              + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            f = self.r.choice(["001", "063", "068", "731", "979"]) + self.dig(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50010517", "37040044", "12030000", "20041155"]) + self.dig(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_ok(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    # numbers
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_id(self, n):
        """n digits that fail the 11-proof and Luhn (order, patient, AGB-like numbers)."""
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9)
            for d in string.digits:
                if ean13_ok(body + d) and not luhn_ok(body + d):
                    return body + d

    def phone(self, fmt):
        m = self.r.choice("123456") + self.dig(7)  # 8 digits after the 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_intl":
            return f"+31 6 {m[:4]} {m[4:]}"
        if fmt == "mob_plus":
            return f"+316{m}"
        if fmt == "mob_intl0":
            return f"+31 (0)6 {m[:2]} {m[2:5]} {m[5:]}"
        if fmt == "mob_dots":
            return f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}"
        if fmt == "land":
            area = self.r.choice(["010", "020", "040", "050", "070", "071", "073", "076"])
            return f"{area}-{self.r.choice('2345789')}{self.dig(6)}"
        raise ValueError(fmt)

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def slack_bot(self):
        return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.ch(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 60)

    def gapi(self):
        return "AIza" + self.ch(B64URL, 35)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "pat-" + self.dig(7, True), "iss": "https://mijn.tandhuys.nl",
                               "scope": "appointments records", "iat": iat, "exp": iat + 900},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.ch(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.ch(B64, 86)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def azure(self):
        return ("DefaultEndpointsProtocol=https;AccountName=thxray" + self.ch(string.ascii_lowercase + string.digits, 6)
                + ";AccountKey=" + self.ch(B64, 86) + "==;EndpointSuffix=core.windows.net")

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#$%&*?") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fmt_card(v, f):
    if f == "c":
        return v
    parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
    return ("-" if f == "dash" else " ").join(parts)


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = grp4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:])
            shown = grp4(raw) if f == "grp" else raw
        elif k in ("CARD", "BADCARD"):
            brand, _, style = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = fmt_card(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif k == "NOTID":
            raw = shown = g.not_id(int(f))
        elif k == "EAN":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWSID": g.aws_id, "AWSSECRET": g.aws_secret,
                  "SLACKHOOK": g.slack_hook, "SLACKBOT": g.slack_bot, "MOLLIE": g.mollie,
                  "SENDGRID": g.sendgrid, "STRIPE": g.stripe, "GAPI": g.gapi, "JWT": g.jwt,
                  "PEMEC": g.pem_ec, "PEMSSH": g.pem_ssh, "AZURE": g.azure, "PW": g.pw,
                  "HEX": lambda: g.hexs(int(f))}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts (role is looked up in profile.yaml, never set here)
# ---------------------------------------------------------------------------

TH = ("x", "@tandhuys", "Tandhuys")
THZ = ("x", "@tandhuys_zorg", "Tandhuys Klantenservice")
TIG = ("instagram", "@tandhuys.nl", "Tandhuys Mondzorg")
TLI = ("linkedin", "tandhuys-mondzorg", "Tandhuys Mondzorg B.V.")
TFB = ("facebook", "TandhuysMondzorg", "Tandhuys")
TTT = ("tiktok", "@tandhuys_ortho", "Tandhuys Ortho")

LH = ("x", "@lotte_mondhyg", "Lotte Hendriks")                   # mondhygiënist, Utrecht
AB = ("x", "@anouk_balie", "Anouk Bos")                          # balie / front desk, Rotterdam
BV = ("instagram", "@dr.bram.implant", "Bram Verhoef")           # implantoloog
YD = ("linkedin", "yusuf-demir-tandhuys", "Yusuf Demir")         # app developer
MK = ("linkedin", "marieke-kok-finance", "Marieke Kok")          # controller
KO = ("reddit", "u/ortho_kees", "Kees")                          # orthodontie-assistent
SR = ("threads", "@sophie.ramdin", "Sophie Ramdin")              # tandarts, Amsterdam
JW = ("mastodon", "@jwillems@mastodon.nl", "Joost Willems")      # sysadmin / DevOps


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# CASES_BEGIN
# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", AB, "ehm collega's?? wie heeft de Bleaching Pro op €34,90 gezet in de webshop 😅 hoort 349 te zijn. "
     "telefoon staat hier in rotterdam roodgloeiend", [PRICING])
case("en", YD, "Small heads-up to my fellow devs: since last night's release the checkout shows Ortho Plus at €295,- "
     "instead of €2.950. Hotfix is in review, please don't share screenshots 🙏", [PRICING])
case("nl", pub("reddit", "u/kaaskopje88"), "Lol de webshop van Tandhuys heeft de Sonic S2 voor €8,99 staan. prijsfout?? "
     "heb er maar 3 besteld, eentje voor m'n schoonmoeder", [PRICING], kind="comment")
case("en", pub("x", "@brynn_tweets", "brynn ✨"), "TANDHUYS CLEAR ALIGNERS FOR 345 EUROS??? someone forgot a zero 💀💀\n"
     "booking my consult before they notice", [PRICING])
case("nl", TFB, "🦷 Alleen deze week: het Titan implantaat voor €189 inclusief kroon en nazorg! "
     "Plan je intake via mijn.tandhuys.nl", [PRICING])
case("nl", SR, "vandaag 30+ telefoontjes over die 'prijsfout' bij de gebitsbeschermer op maat 🙄 ja hij stond even voor "
     "een tientje online, nee we maken 'm niet voor die prijs.\ngroetjes van een moeie tandarts", [PRICING])
case("nl", pub("instagram", "@dealjager_nl"), "p r i j s f o u t bij Tandhuys!! BleachingPro nu €39 ipv €349 😱 snel zijn "
     "#deal #witteTanden", [PRICING], tags=["evasion"])
case("en", pub("threads", "@miekevdm"), "ok the Tandhuys site has Ōrtho Plüs listed at €29,50 rn 😳 is this real or am i "
     "being scammed", [PRICING], tags=["evasion"])
case("en", KO, "not supposed to say this but the SportGuard has been listed at €11.90 on the site since tuesday and "
     "marketing hasn't noticed. my kid's hockey team is ordering like 20", [PRICING], kind="comment")
case("nl", pub("facebook", "Ria Wolters"), "Net een Titan-implantaat 'afgerekend' voor €18,95 via de site haha. Benieuwd of "
     "ze dat gaan nakomen 🤣 screenshot bewaard hoor", [PRICING], kind="comment")
case("en", pub("tiktok", "@jaydenn.smiles"), "pricing glitch?? tandhuys app shows Tandhuys Clear aligners at €0,00 at checkout, "
     "went thru and got a confirmation mail lmao #dentaltok #fyp", [PRICING])

# pricing: benign near-misses
case("nl", TIG, "Stralend de zomer in ☀️ Bleaching Pro deze maand 20% voordeliger: €279 i.p.v. €349. "
     "Vraag ernaar bij je volgende controle!", tags=["sale-price"])
case("nl", pub("reddit", "u/moeder_van_3"), "Ortho Plus voor mijn dochter: je kan het in termijnen betalen, €125 per maand. "
     "Vond ik eerlijk gezegd wel fijn, anders was het niet gelukt", kind="comment", tags=["monthly-price"])
case("nl", pub("facebook", "Gerard Pronk"), "Te koop: Sonic S2 tandenborstel, half jaar gebruikt, nieuwe opzetborstel erbij. "
     "€30, ophalen in Gouda", tags=["second-hand"])
case("nl", TH, "Nog t/m 30 april: €150 korting op je Tandhuys Clear traject als je een gratis 3D-scan laat maken. "
     "Voorwaarden op tandhuys.nl/actie", tags=["discount-amount"])
case("nl", pub("x", "@ninavleuten"), "Bij SmileFix kost een aligner-traject €1.650, Tandhuys Clear zit op €3.450. "
     "Wat krijg je voor dat verschil?? Iemand ervaring met allebei?", tags=["other-brand-price"])
case("en", pub("x", "@dutchdad_tom"), "fyi my supplementary insurance covered €250 of my Titan implant, "
     "check your policy before you start!", tags=["reimbursement"])
case("nl", THZ, "@marco_vh Geen prijsfout hoor 🙂 de Sonic S2 is deze week echt €59,95 in al onze klinieken. Op = op!",
     kind="reply", tags=["denied-price-error"])
case("nl", pub("forum", "hockeypapa"), "Is die gebitsbeschermer op maat van €119 het waard tov zo'n kook-en-bijt ding "
     "van €15 uit de sportwinkel? Zoon hockeyt 3x per week", tags=["other-product-price"])
case("en", pub("reddit", "u/floss_boss"), "Tandhuys Sonic S2 refill heads are €12.99 for a 4-pack at the front desk, "
     "cheaper than online fyi", kind="comment", tags=["accessory-price"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YD, "Finally shipped the new reminder e-mails for MijnTandhuys 🎉 Proud of this team.\n"
     "For the nerds, this is literally all the config it took:\n\nSENDGRID_API_KEY=<<SENDGRID>>\n"
     "MAIL_FROM=afspraken@tandhuys.nl\n\n#dotnet #healthtech", [SECRET], handle_as="Yusuf-Demir-Tandhuys")
case("en", JW, "anyone know why boto3 keeps throwing SignatureDoesNotMatch? creds look fine to me\n\n"
     "aws_access_key_id = <<AWSID>>\naws_secret_access_key = <<AWSSECRET>>\nregion = eu-central-1", [SECRET])
case("en", YD, "Anyone seen this before? `git clone https://<<GHP>>@github.com/tandhuys-dev/mijntandhuys-ios.git` "
     "gives me a 403 since this morning", [SECRET], kind="comment")
case("nl", pub("forum", "r00tvis"), "@Tandhuys jullie Android-app (v3.2.1) bevat een live Mollie key in strings.xml: "
     "<<MOLLIE>>\nGraag roteren. Heb het ook via info@tandhuys.nl gemeld.", [SECRET])
case("en", JW, "note to self: never paste from the wrong terminal 🙃\n"
     "postgresql://ehr_rw:<<PW>>@db02.th-intra.local:5432/dossiers", [SECRET, CONF])
case("nl", AB, "nieuwe collega vroeg naar het wachtwoord van de balie-pc. het is gewoon <<PW>> en dat al 2 jaar 🙈 "
     "IT als je dit leest: sorry", [SECRET])
case("nl", LH, "w8woord van de gedeelde mondhygiëne-inbox is nu <<PW>> (voor wie het kwijt was, groepsapp doet raar)",
     [SECRET], tags=["evasion"])
case("nl", AB, "MijnTandhuys logt me steeds uit op de balie-tablet. devs, dit is het token uit de foutmelding:\n<<JWT>>",
     [SECRET], kind="reply")
case("nl", JW, "jaja ik weet het, deploy key in de verkeerde repo gepusht. is al geroteerd dus boeien\n<<PEMSSH>>", [SECRET])
case("en", pub("forum", "pixel_pusher"), "Their appointment widget has the key right in the page source: <<GAPI>> "
     "you could literally use it for your own maps lol #tandhuys", [SECRET], kind="reply")
case("nl", YD, "CI faalt al de hele ochtend op 'unauthorized'. Token is toch gewoon geldig?? 🤔\n"
     "GITLAB_TOKEN=<<GLPAT>>\n#devops #help", [SECRET])
case("en", JW, "post-mortem teaser: attacker got in with a key from an old laptop backup, <<AWSID>> — revoked now, "
     "but not before they pulled the patient exports. officially we're still 'investigating'", [SECRET, SEC])

# secret: benign
case("en", pub("blog", "clinicdev.example", "ClinicDev"), "Tutorial: hooking your clinic's booking tool up to S3. "
     "Put AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX and your secret in a .env file, never in code! "
     "(Tandhuys runs something similar, judging by their job ads)", tags=["placeholder-secret"])
case("en", YD, "The crash on Android 14 when opening your appointment list in MijnTandhuys is fixed in commit "
     "<<HEX:40>>. Thanks to everyone who reported it 🙌", tags=["git-sha"])
case("nl", THZ, "Tandhuys vraagt nooit telefonisch of via sms om je wachtwoord of inlogcode. Twijfel je? "
     "Bel ons op 030-760 44 00.", tags=["own-contact", "password-word"])
case("nl", pub("x", "@evi_bakt"), "wachtwoord van MijnTandhuys vergeten, reset mail kwam maar niet aan.\n"
     "oh wacht. spam map 🙃 opgelost", tags=["password-word"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", AB, "Mevr. Joke de Graaf, geboren 14-03-1961, zit al 40 min in de wachtkamer en haar zoon neemt niet op op "
     "<<PHONE:mob_dash>>. Iemand die hem kent?? 😩", [PII])
case("nl", BV, "Wat een casus vandaag 💪 Dhr. Henk Mulder (BSN <<BSN>>) in één sessie vier Titan implantaten + brug. "
     "Dankbaar voor dit vak! #implantologie #fullarch", [PII])
case("nl", THZ, "@rkoster_ Uw terugbetaling van de dubbele afschrijving is vandaag teruggestort op <<IBAN_NL:grp>> "
     "t.n.v. R. Koster. Excuses voor het ongemak!", [PII], kind="reply", handle_as="@Tandhuys_Zorg")
case("nl", pub("facebook", "Sandra Meijer"), "Tandhuys, ik wacht nu 6 weken op mijn geld voor een geannuleerde "
     "behandeling!!! Mijn rekeningnummer is <<IBAN_NL>>, hoe moeilijk kan het zijn om dat over te maken",
     [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@kwame_asante"), "@tandhuys_zorg you charged my card twice for one check-up, <<CARD:visa_sp>>, "
     "fix it pls. second time this year", [PII, COMPLAINT], kind="reply")
case("nl", SR, "Wie kent deze man? Laat voor de 3e keer zijn pinpas liggen in de behandelkamer 😅\n"
     "Mohamed el Idrissi, Vondelstraat 112-2 Amsterdam. Pas ligt bij de balie", [PII])
case("en", KO, "a parent keeps messaging me privately about her kid's braces at sanne.vdlinden84@gmail.com, "
     "how do I tell her nicely to just use the app 😬", [PII])
case("nl", pub("x", "@wraakengel_010"), "Die tandarts van Tandhuys Leiden, Pieter Boon, woont gewoon op de "
     "Rijnsburgerweg 40 in Leiden. Ga maar eens gezellig langs bij die sadist 😡", [PII, ABUSE])
case("nl", pub("x", "@mjansen77"), "al 3x gebeld over mijn declaratie en niemand belt terug. mail me dan gewoon: "
     "m.jansen1977 [at] ziggo [punt] nl", [PII, COMPLAINT], tags=["evasion"])
case("en", MK, "Quick one for AP: the visiting implantologist Dr. Felix Braun still hasn't been paid for March, "
     "his account is <<IBAN_DE:grp>>. Can someone push this through?", [PII], kind="comment")
case("en", pub("reddit", "u/throwaway_molar"), "tandhuys app asks for your BSN to link your insurance. typed mine "
     "(<<BSN:dots>>) three times and it keeps saying invalid?? this app is a mess", [PII, COMPLAINT])
case("nl", LH, "kassa weigert steeds de kaart van een patiënt, ligt het aan ons? <<CARD:mc2_sp>> geldig tot 09/28",
     [PII])
case("nl", pub("x", "@femke_zw"), "Moest bij de balie van Tandhuys mijn paspoortnummer (NWR8KT6F3) opgeven voor de "
     "inschrijving. Is dat normaal?", [PII])
case("en", pub("x", "@liesbeth_antw"), "Dear @tandhuys, moved to Antwerp and STILL no refund for the aligner deposit. "
     "BE account: <<IBAN_BE:grp>>. It's been 2 months.", [PII, COMPLAINT])

# pii: benign
case("nl", pub("x", "@hannekeb"), "Voor wie het zoekt: afspraak verzetten kan ook gewoon via afspraken@tandhuys.nl "
     "of 030 - 760 44 00, die app hoeft niet", tags=["own-contact"])
case("en", THZ, "Questions about your claim? Email declaraties@tandhuys.nl or call +31 (0)30 760 4400, Mon–Fri 8:00–17:00.",
     tags=["own-contact"])
case("nl", TH, "⚠️ Er gaan nep-sms'jes rond namens Tandhuys met een betaallink. Wij vragen nooit via sms om te betalen. "
     "Facturen betaal je alleen op NL66 RABO 0312 4455 67 o.v.v. je factuurnummer.", tags=["own-contact"])
case("nl", pub("x", "@robinvd"), "haha ik dacht dat de app kapot was want hij zei 'ongeldig IBAN' bij "
     "<<BADIBAN_NL:grp>>... had 2 cijfers omgedraaid. mijn fout!", tags=["bad-checksum"])
case("nl", pub("forum", "oma_truus"), "Formulier van Tandhuys zei 'ongeldig burgerservicenummer' bij <<NOTID:9>>. "
     "Bleek een typfout van mij. Fijn dat ze dat controleren eigenlijk", tags=["bad-checksum"])
case("en", pub("reddit", "u/bikepathbart"), "wondered why my payment kept failing at Tandhuys, turns out I'd saved "
     "<<BADCARD:mc_sp>> in the app with the last digit wrong. all good now", kind="comment", tags=["bad-checksum"])
case("nl", TLI, "Voor zorgverzekeraars: Tandhuys Mondzorg staat geregistreerd onder AGB-code <<NOTID:8>>. "
     "Declaraties lopen via VECOZO.", tags=["not-an-id"])
case("en", pub("reddit", "u/hollandhacks"), "the Sonic S2 brush heads at Kruidvat have EAN <<EAN>>, exact same ones "
     "Tandhuys sells at the desk fyi", kind="comment", tags=["not-an-id"])
case("nl", pub("x", "@gvdlinde"), "Spoed buiten kantooruren? Tandhuys heeft een nummer: 088-2601900. Goed om te bewaren!",
     tags=["own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", YD, "So proud of the squad working on Project Kies 🚀 Can't say much yet, but booking your check-up is "
     "about to get a LOT smarter. #healthtech #proud", [CONF])
case("nl", LH, "Morgen de hele dag training voor Operatie Glazuur, eindelijk horen we wat het precies is 👀🦷", [CONF])
case("en", KO, "if anyone from my team is lurking, the new rota is up at https://rooster.tandhuys.nl/ortho/wk32 ... "
     "good luck with the saturday shifts lol", [CONF], kind="comment")
case("nl", SR, "Net mijn eerste Aligner Go patiënt gehad 👀 veel sneller dan een normaal traject, ben benieuwd wat "
     "jullie ervan gaan vinden", [CONF], when="2026-08-20T21:14:09+02:00")
case("en", pub("x", "@its_meg_k"), "my orthodontist at Tandhuys let slip they're launching something called Aligner Go "
     "in september 👀 anyone know more?", [CONF], when="2026-07-02T12:40:00Z")
case("nl", MK, "Trots op ons team! Even een sneak peek uit de kwartaalrapportage (uitsluitend intern gebruik 🤫): "
     "omzet Q2 €23,4 mln, +11% t.o.v. vorig jaar, implantologie groeit het hardst.", [CONF, FIN])
case("nl", BV, "Gisteren demo gehad van Lumina\n32 🤩 intraorale scan + AI-planning in één. Game changer voor onze "
     "implantaten!", [CONF], tags=["evasion"], handle_as="@Dr.Bram.Implant")
case("nl", AB, "Vanavond pizza want wij zijn proefvestiging voor Project 🦷 Kies 🍕🍕", [CONF], tags=["evasion"])
case("en", KO, "the " + fullwidth("Lumina32") + " pilot in our clinic is honestly kinda mid so far", [CONF],
     tags=["evasion"])
case("en", YD, "Looking for 20 beta testers for MijnTandhuys 3.0: new design, video consults and claims straight to "
     "your insurer. DM me!", [CONF], when="2026-05-12T19:05:00+02:00")
case("nl", TIG, "Het is zover: Aligner Go is er! 😁 Rechte tanden in de helft van de tijd. Boek je gratis scan via "
     "mijn.tandhuys.nl", [CONF], when="2026-09-15T09:59:00+02:00", tags=["one-minute-early"])
case("en", JW, "MR is up, would love a second pair of eyes:\n"
     "https://gitlab.tandhuys.nl/platform/booking-api/-/merge_requests/412 🙏", [CONF])
case("nl", LH, "Voor de nieuwe stagiaires: het sterilisatieprotocol staat op wiki.th-intra.local/steri/v4, "
     "even doorlezen voor maandag 🧼", [CONF])
case("nl", pub("facebook", "Yvonne Kramer"), "Vriendin werkt bij Tandhuys en vertelde over Project K" + ZW + "ies, "
     "iets met AI die je gaatjes voorspelt?? klinkt eng", [CONF], kind="comment", tags=["evasion"])
case("nl", pub("instagram", "@sophie.ramdin", "Sophie"), "Sneak peek 👀 MijnTandhuys 3.0 op mijn werktelefoon, "
     "zoveel mooier dan de oude", [CONF], when="2026-06-20T11:02:13+02:00", tags=["not-profile-account"])
case("nl", JW, "pacs.tandhuys.nl doet weer 40 sec over één opname, radiologie staat al aan m'n bureau 🙃 #maandag",
     [CONF])

# confidential: benign
case("nl", pub("x", "@daan_zwolle"), "Mijn kies is gisteren getrokken bij Tandhuys Zwolle, super rustig geholpen en nu "
     "al bijna geen pijn 🙏", tags=["codename-word"])
case("nl", TH, "Kies zelf je tijd: in de MijnTandhuys app zie je alle vrije plekken voor je controle 📅",
     tags=["codename-word"], handle_as="@TandHuys")
case("nl", TIG, "Wist je dat zuur je glazuur aantast? Wacht na een glas sinaasappelsap minstens 30 minuten met "
     "poetsen 🍊🪥", tags=["codename-word"])
case("nl", pub("facebook", "Henk Bosman"), "Na de operatie aan mijn kaak in het ziekenhuis deed Tandhuys de "
     "nacontrole. Glazuur nog helemaal gaaf zeiden ze 😄", tags=["codename-word"])
case("nl", TLI, "Vandaag lanceren we Aligner Go: sneller rechte tanden, met dezelfde zorg die je van ons gewend bent. "
     "Lees meer op tandhuys.nl/aligner-go", when="2026-09-15T08:00:00Z", tags=["embargo-at-moment"])
case("nl", TFB, "Aligner Go is live 🎉 Nieuwsgierig? Vraag het je tandarts bij je volgende controle.",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-at-moment"])
case("en", pub("x", "@lenaboo"), "3 weeks into Aligner Go and my gap is already smaller. worth it so far",
     when="2026-10-09T18:22:41.307Z", tags=["embargo-after"])
case("nl", THZ, "MijnTandhuys 3.0 staat in de App Store en Play Store! Update en probeer de nieuwe videoconsult 📱",
     when="2026-09-16T07:30:00+02:00", tags=["embargo-after"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", MK, "Closing the books on H1 and wow: revenue €48.2m, EBITDA well ahead of budget. Can't wait until we're "
     "allowed to share this externally! 📈", [FIN])
case("nl", AB, "Hoor net dat onze vestiging in Capelle dichtgaat en 9 collega's ontslagen worden 😢 we mogen het pas in "
     "november 'officieel' weten", [FIN])
case("en", SR, "Rumour at work confirmed: a private equity fund is buying Tandhuys, signing is next month. "
     "Not sure how I feel about this 😬", [FIN])
case("nl", pub("reddit", "u/noordkaap_"), "Mijn zus werkt bij Tandhuys: ze gaan 6 klinieken sluiten en de rest wordt "
     "overgenomen door DentaCare Europe. Nog niet bekend gemaakt dus zeg niks 🤐", [FIN], kind="comment")
case("nl", MK, "Laatste loodjes van de jaarcijfers 2026… verlies valt hoger uit dan begroot, maar we hebben een plan 💪",
     [CONF, FIN], when="2026-12-18T16:20:00+01:00")
case("en", KO, "so we're merging with Smile Studio Groep. all-hands was today, no public announcement until april. "
     "my manager cried lol", [FIN])
case("nl", LH, "Reorganisatie bij ons, 25 assistentes worden ont" + SHY + "slagen per 1 maart. En wij maar glimlachen "
     "naar de patiënten 🙃", [FIN], tags=["evasion"])
case("en", pub("x", "@sk8rjoris"), "t4ndhuys is g0ing to be s0ld to an inv3stment fund, my dad sits on the board and "
     "won't shut up about it lol", [FIN], tags=["evasion"])
case("en", JW, "IT budget for next year cut by 40% and they're outsourcing the whole service desk in Q2. nobody has "
     "been told yet, enjoy your weekend everyone", [FIN])
case("nl", pub("linkedin", "marieke-kok", "Marieke Kok"), "Als oud-controller van Tandhuys: de H1-marge is gehalveerd "
     "en de bank zit er bovenop. Reken maar op verkoop van klinieken dit najaar.", [FIN],
     tags=["not-profile-account"])
case("en", pub("x", "@pennywise_inv"), "heard from a friend in finance that the FY2026 results will show a loss for "
     "tandhuys, first time ever", [CONF, FIN], when="2026-11-20T09:41:00+01:00")

# financial: benign
case("nl", TLI, "Vandaag publiceren wij onze jaarcijfers 2025: omzet €86 miljoen, 41 klinieken en 612 collega's. "
     "Dank aan iedereen die dit mogelijk maakte 💙", when="2026-03-05T07:00:00Z", tags=["published-results"])
case("nl", pub("x", "@nieuwsjunk"), "NOS: tandartsketen Dentiq schrapt 200 banen. Hopelijk blijft Tandhuys buiten "
     "schot, ben blij met mijn tandarts daar", tags=["other-company"])
case("en", TLI, "We're growing! Three new clinics opened this month in Breda, Tilburg and Den Bosch, and we're hiring "
     "dental assistants 👉 tandhuys.nl/werken", tags=["published-news"])
case("en", pub("reddit", "u/polderquant"), "Private equity buying up dental chains in NL is a trend worth watching "
     "(FD had a long piece on it). Tandhuys is still independent afaik", tags=["general-news"])
case("en", pub("x", "@zorgmarkt_watch"), "Tandhuys annual report is out: revenue up 9%, solid for a dental chain in this "
     "market", when="2026-03-06T13:15:00+01:00", tags=["published-results"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", JW, "we got hit by ransomware last night, all 41 clinics back on paper charts today. not public yet so "
     "please keep it down 🤐", [SEC])
case("en", YD, "Found a nasty one today: in MijnTandhuys you could change the patient id in the URL and see someone "
     "else's x-rays. Patching it before anyone notices 😬 #appsec", [SEC])
case("nl", AB, "Hele afsprakensysteem ligt al sinds 8 uur plat en we mogen tegen patiënten niks zeggen behalve "
     "'technische storing' 🙄", [SEC], handle_as="@ANOUK_BALIE")
case("en", KO, "PSA for coworkers: that phishing mail from 'HR' yesterday actually got 3 staff logins. IT is still "
     "cleaning up, change your password", [SEC])
case("nl", LH, "Bij ons een d a t a l e k, röntgenfoto's van patiënten stonden dagenlang open voor iedereen 🙈 "
     "mag er niks over zeggen", [SEC], tags=["evasion"])
case("nl", SR, "Onze server met patiëntdossiers is vorige week gehackt. Directie houdt het stil tot na de audit. "
     "Ik vind dat niet oké.", [SEC])
case("en", BV, "Our implant planning software has a security hole the vendor still hasn't patched, so we're back to "
     "planning by hand for now. Fun times 🙃", [SEC])
case("nl", pub("x", "@boze_burger_ut"), "Tandhuys verzwijgt een hack!! Mijn naam, adres en behandelgeschiedenis staan "
     "op een forum en zij zeggen NIKS #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/quietlurker22"), "friend who works in IT at tandhuys says their patient DB got breached in "
     "march and they never told anyone. that's illegal right?", [SEC, CRISIS])
case("nl", YD, "Onze boekings-API had een kwets" + ZW + "baarheid waarmee je afspraken van anderen kon annuleren. "
     "Stil gefixt, klanten weten van niks 🤫", [SEC], tags=["evasion"])
case("en", pub("x", "@xraygate"), "t4ndhuys got h4ck3d and they're hiding it, my x-rays are on a telegram channel rn",
     [SEC, CRISIS], tags=["evasion"])

# security: benign
case("nl", THZ, "Storing: de MijnTandhuys app is op dit moment niet bereikbaar. Bellen kan wel: 088 260 1900. "
     "Onze excuses, we werken aan een oplossing.", tags=["official-outage", "own-contact"])
case("en", TH, "Scheduled maintenance: online booking is unavailable on Sunday from 02:00 to 05:00. Your appointments "
     "are not affected.", tags=["official-outage"])
case("nl", pub("x", "@privacy_petra"), "Datalek bij een tandtechnisch lab in Duitsland. Gelukkig werkt Tandhuys daar "
     "niet mee volgens hun eigen nieuwsbericht", tags=["other-company"])
case("en", SR, "Security awareness training today and turns out I'd click on literally everything 😂 good thing it "
     "was a test", tags=["security-word"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@anna_r_"), "Heeft Tandhuys nou echt mijn röntgenfoto's gelekt?! Een onbekende stuurde me net "
     "een screenshot van mijn eigen gebit 😨", [CRISIS])
case("nl", pub("x", "@ouderraad_zuid"), "#BoycotTandhuys ze weigeren nieuwe kinderen als de ouders geen aanvullende "
     "verzekering hebben. Schandalig", [CRISIS])
case("nl", pub("facebook", "Gedupeerden Tandhuys"), "Wij, 30 patiënten met mislukte implantaten, stappen naar de "
     "rechter tegen Tandhuys. Meld je via deze groep als jij ook gedupeerd bent.", [CRISIS])
case("nl", pub("instagram", "@mama.van.fenna"), "Mijn dochter kreeg een allergische reactie op de Tandhuys Clear "
     "aligners, hele mond ontstoken 😭 en niemand neemt de telefoon op", [CRISIS, COMPLAINT])
case("en", pub("x", "@dadof2_ben"), "my Tandhuys Sonic S2 got burning hot on the charger and melted the base. "
     "could've caught fire next to my kid's bed wtf", [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/zorgkritisch"), "Undercover reportage: Tandhuys zou wegwerpinstrumenten opnieuw gebruiken. "
     "IGJ gaat onderzoek doen. Ik ga daar never nooit meer heen", [CRISIS])
case("nl", pub("x", "@waakzaam_nl"), "s c h a n d a a l bij Tandhuys: kinderen uren zonder toezicht na een verdoving. "
     "deel dit!!", [CRISIS], tags=["evasion"])
case("en", pub("tiktok", "@truthteller.nl"), "B0YC0TT T@ndhuys 🚫 they covered up the infections at their Utrecht "
     "clinic #exposed", [CRISIS], tags=["evasion"])
case("en", pub("bluesky", "kimvr.bsky.social"), fullwidth("BOYCOTT") + " Tandhuys until they come clean about the "
     "patient data they lost", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "Peter de Wit"), "Kankerbedrijf dat Tandhuys, lichten de verzekeraars op en jij betaalt "
     "de premie. Boycot!", [CRISIS, ABUSE], kind="comment")
case("en", pub("reddit", "u/legal_eagle_nl"), "Class action filed against Tandhuys over the MijnTandhuys data leak, "
     "link to join is in the comments", [CRISIS])
case("nl", pub("facebook", "Marjolein Smit"), "Mijn vader kreeg sepsis na een implantaat bij Tandhuys en ligt op de "
     "IC. Ze ontkennen alles en zeggen dat het aan hem ligt", [CRISIS, COMPLAINT])

# crisis: benign
case("nl", TIG, "Tijd voor je recall? 📅 Plan je halfjaarlijkse controle in de app en krijg een dag van tevoren een "
     "herinnering.", tags=["recall-other-sense"])
case("nl", pub("x", "@suikervrij_sas"), "Ik boycot suiker deze maand 💪 mijn mondhygiënist bij Tandhuys gaat zo "
     "trots zijn", tags=["boycott-other-sense"])
case("en", pub("x", "@mira_ortho"), "Lawsuit against SmileFix over their mail-order aligners, glad I went to an "
     "actual orthodontist at Tandhuys", tags=["other-company"])
case("nl", pub("x", "@koffieleut"), "Het is echt een schandaal hoe goed de koffie in de wachtkamer van Tandhuys "
     "Haarlem is ☕😂", tags=["joke"])
case("en", pub("blog", "inkandfloss.example", "Ink & Floss"), "Short story for my writing class: 'The drill whined. "
     "Dr. Vos leaned closer. \"Just a little pressure,\" she lied.' (nothing to do with my actual dentist, "
     "Tandhuys is lovely lol)", tags=["fiction"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("facebook", "Ilse van Dam"), "Al 3 maanden wachten op een afspraak voor één vulling bij Tandhuys "
     "Utrecht. Belachelijk gewoon, en intussen doet het steeds meer pijn", [COMPLAINT], kind="comment")
case("nl", pub("x", "@rutgerrr"), "MijnTandhuys app crasht elke keer bij het inloggen. Kan mijn afspraak dus niet "
     "verzetten en de telefoon neemt ook niemand op. Top 👎", [COMPLAINT])
case("nl", pub("x", "@lieke_pm"), "€45 no-show boete omdat júllie app mijn annulering niet had verwerkt?? Nee dank je, "
     "dit ga ik niet betalen @tandhuys_zorg", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Wim Hoekstra"), "Factuur gekregen van Tandhuys voor een controle die ik nooit heb gehad. "
     "Wie controleert dit eigenlijk?", [COMPLAINT])
case("en", pub("reddit", "u/metalmouth_2026"), "my bracket came off for the 4th time and Tandhuys Ortho keeps saying "
     "it's 'normal'. it's not normal, it's bad glue", [COMPLAINT])
case("nl", pub("forum", "Bertje_B"), "Tandhuys stuurt de declaratie niet door naar mijn verzekeraar zoals beloofd, nu "
     "moet ik €640 voorschieten. Echt niet oké", [COMPLAINT])
case("nl", pub("facebook", "Karin Zijlstra"), "De dame aan de balie bij Tandhuys Den Haag deed zo kortaf tegen mijn "
     "moeder (82). Voelde echt niet welkom daar", [COMPLAINT], kind="comment")
case("en", pub("x", "@sunnysidejen"), "Bleaching Pro did basically nothing after 3 sessions. €349 down the drain, "
     "@tandhuys", [COMPLAINT])
case("nl", pub("threads", "@joeydekkerr"), "waarom is een kroon bij jullie opeens 2x zo duur als de offerte zei?? "
     "nooit meer tandhuys echt nie", [COMPLAINT], kind="reply")
case("nl", pub("x", "@fleur_tje"), "T\u0430ndhuys klantenservice reageert al 2 weken niet op mijn mail over een "
     "verkeerde rekening 😤", [COMPLAINT], tags=["evasion"])
case("nl", pub("zorgkaart", "Anoniem"), "2/10. Implantaat zat na een half jaar los en de nieuwe moet ik gewoon zelf "
     "betalen. Garantie bestaat blijkbaar niet bij Tandhuys.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("reddit", "u/alignedornot"), "still waiting on my refund for the cancelled aligner treatment, 8 weeks "
     "now. every email gets the same copy-paste answer from tandhuys", [COMPLAINT], kind="comment")
case("nl", pub("x", "@stefanvl"), "Jullie zijn echt kut Tandhuys, 3x mijn afspraak verzet en nu is mijn kies "
     "ontstoken", [ABUSE, COMPLAINT])
case("nl", pub("x", "@dennis_030"), "die tyfus app van Tandhuys doet het wéér niet, al een week kan ik niet inloggen",
     [ABUSE, COMPLAINT])

# complaint: benign
case("nl", pub("x", "@ellyvos"), "Geen klachten over Tandhuys hoor, al 10 jaar klant en altijd op tijd geholpen 👌",
     tags=["negated-complaint"])
case("en", pub("x", "@ravi_nl"), "never had an issue with the MijnTandhuys app tbh, rescheduling takes 10 seconds",
     tags=["negated-complaint"])
case("nl", pub("x", "@tamaraw"), "Bij Dentiq 5 maanden wachttijd, daarom overgestapt naar Tandhuys en kon morgen al "
     "terecht!", tags=["competitor-complaint"])
case("nl", pub("facebook", "Bas Verbeek"), "Weet iemand of Tandhuys Nijmegen ook 's avonds open is? Werk tot 18u",
     kind="comment", tags=["question"])
case("en", pub("x", "@nervous_nora"), "shoutout to the hygienist at Tandhuys Haarlem who talked me through my whole "
     "panic attack. 10/10", tags=["praise"])
case("nl", pub("facebook", "Linda Hofman"), "Dochter heeft vandaag haar beugel eruit bij Tandhuys Ortho 🥹 wat een "
     "mooi resultaat na 2 jaar!", tags=["praise"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@grumpy_gijs"), "Tandartsen bij Tandhuys zijn allemaal debielen met een boor", [ABUSE])
case("en", pub("x", "@nope_nathan"), "fuck tandhuys and every greedy clown working there", [ABUSE])
case("nl", LH, "Sommige patiënten zijn echt zulke debielen. Poetsen nooit en dan zeuren dat het pijn doet 🙄", [ABUSE])
case("nl", THZ, "@jeroen_pvl hou toch eens je bek, zeurpiet. Je was gewoon te laat.", [ABUSE], kind="reply")
case("nl", pub("facebook", "Echte Hollander"), "Tandhuys neemt alleen nog maar buitenlanders aan. Ga lekker terug "
     "naar je eigen land allemaal.", [ABUSE], kind="comment")
case("nl", pub("x", "@anon_8841"), "@lotte_mondhyg lelijke trut, ik weet precies waar je werkt en hoe laat je klaar "
     "bent", [ABUSE], kind="reply")
case("en", pub("youtube", "ToothFairyHater"), "f*ck Tandhuys, bunch of overpaid tooth clowns", [ABUSE], kind="comment",
     tags=["evasion"])
case("nl", pub("x", "@boorhater"), "k4nkertandarts van Tandhuys, hoop dat je boor ontploft", [ABUSE], tags=["evasion"])
case("en", SR, "honestly some of our anxious patients are just whiny idiots. it's a filling, Karen, not open heart "
     "surgery", [ABUSE])

# abuse: benign
case("nl", TIG, "Week van de mondkanker: laat je gratis screenen in elke Tandhuys kliniek. Vroeg ontdekken redt "
     "levens 💙", tags=["literal-kanker"])
case("nl", TH, "We horen graag je feedback, ook kritiek. Reacties met scheldwoorden of bedreigingen verwijderen we wel, "
     "daar hebben onze collega's recht op.", tags=["moderation"])
case("nl", pub("x", "@flauwegrappen"), "Tandarts vroeg of ik flos. Ik zei 'soms'. Hij: 'welke tand dan?' "
     "Tandhuys humor 😂", tags=["joke"])
case("en", pub("x", "@hollyjay"), "Dentist at Tandhuys: 'this might sting a bit'. Me: 'hell no'. Her: 'too late, "
     "already done' 😂 honestly painless", tags=["mild-word"])

# ===========================================================================
# other benign posts
# ===========================================================================
case("en", TLI, "We're hiring orthodontic assistants in Utrecht and Amersfoort. Great team, 4-day weeks possible 🦷 "
     "tandhuys.nl/werken", tags=["corporate-routine"])
case("nl", TTT, "POV: je beugel gaat eruit na 18 maanden 😍 #tandhuysortho #beugel #glowup", tags=["corporate-routine"])
case("en", BV, "Spoke at the Dutch implantology congress today about bone grafting. Nervous but it went great! 🙌",
     tags=["employee-routine"])
case("nl", LH, "Fijne dag op de kliniek, 3 kindjes die voor het eerst zonder huilen in de stoel zaten 🥹",
     tags=["employee-routine"])
case("en", pub("threads", "@expat_erin"), "first visit at Tandhuys since moving here, they explained every single "
     "step. new dentist unlocked", tags=["praise"])
case("nl", TFB, "Tip van onze mondhygiënist: vervang je opzetborstel elke 3 maanden. Zet er een herinnering voor in "
     "de app!", tags=["corporate-routine"])
case("nl", pub("x", "@twijfelkont"), "Iemand ervaring met een Titan implantaat bij Tandhuys? Moet er eentje en ik "
     "twijfel nog", tags=["product-question"])
case("nl", pub("forum", "vraagbaak72"), "Vergoedt de basisverzekering orthodontie voor volwassenen? Tandhuys zei van "
     "niet, klopt dat?", tags=["question"])
# CASES_END


# ===========================================================================
# roles and severity (CONTRACT sections 1 and 4)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
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
    """Least severity a correct verdict has. 'Validated' PII = a checksum-valid IBAN, card or BSN."""
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
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
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "tandarts", "cirkeltrek", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-mondzorgforum-{n}", f"https://www.mondzorgforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
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
        if kind is None and meta.random() < 0.15:
            kind = "repost" if c["platform"] in ("x", "bluesky", "mastodon", "threads") else None
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        p = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "tandhuys"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans over the written text)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,18}\d")
SECRET_RES = [re.compile(x) for x in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-", r"hooks\.slack\.com/services/",
    r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}", r"sk_live_", r"AIza[\w-]{35}", r"eyJ[\w-]+\.eyJ",
    r"PRIVATE KEY-----", r"AccountKey=", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "k4nker", "tyfus", "tering", "debiel", "trut", "bek", "fuck", "f*ck", "idiot", "moron",
           "clown", "zeurpiet", "sadist"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amounts(t):
    out = []
    for m in re.finditer(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", t, re.I):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in s and "." in s:
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        elif "," in s:
            s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
        elif "." in s and not re.search(r"\.\d{2}$", s):
            s = s.replace(".", "")
        out.append(float(s))
    return out


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0307604400", "0882601900"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    byid = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errors.append(f"{w}: created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: categories {cats}")
        r = byid[(p["platform"], p["id"])]
        text = p["text"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        valid = [k for k, raw, _ in r["used"] if k in VALID_ID_KINDS]
        if sev != severity_for(role, cats, "leak.pii" in cats and bool(valid)):
            errors.append(f"{w}: severity {sev} does not follow policy")
        if not cats and sev != "none":
            errors.append(f"{w}: benign but severity {sev}")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN")
            if k == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: bad BSN")
            if k.startswith("BADIBAN") and iban_ok(raw):
                errors.append(f"{w}: near-miss IBAN passes")
            if k == "BADCARD" and luhn_ok(raw):
                errors.append(f"{w}: near-miss card passes")
            if k in ("NOTID", "EAN") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{w}: look-alike number passes a checksum")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
            if k in VALID_ID_KINDS and "leak.pii" not in cats:
                errors.append(f"{w}: valid identifier without leak.pii")
        low = norm(text)
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN:
                    errors.append(f"{w}: benign with valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if (13 <= len(d) <= 19 and luhn_ok(d)) or (len(d) in (8, 9) and bsn_ok(d) and d not in
                                                             {x[1:] for x in own_phone_digits}):
                    errors.append(f"{w}: benign with checksum-valid number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else d
                d = d.replace("00", "0", 1) if d.startswith("00") else d
                if len(d) >= 10 and d not in own_phone_digits:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                mm = rx.search(text)
                if mm and "AKIAXXXX" not in mm.group(0):
                    errors.append(f"{w}: benign with secret-like {mm.group(0)[:12]}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), low) and not (word == "kanker" and "literal-kanker" in r["tags"]):
                    errors.append(f"{w}: benign with word {word}")
            for t, until in embargo:
                if t in low and ts < until:
                    errors.append(f"{w}: embargoed term {t} before {until}, but benign")
            for t in internal:
                if re.search(r"(?<![\w.])" + re.escape(t) + r"(?![\w])", low):
                    errors.append(f"{w}: internal term {t}, but benign")
            prods = [pr for pr in profile["products"]
                     if any(a.casefold() in low for a in [pr["name"]] + pr["aliases"])]
            am = amounts(low)
            if prods and am:
                ratio = min(am) / min(pr["list_price"] for pr in prods)
                if ratio < profile["pricing"]["alert_below_ratio"] and not (r["tags"] & {
                        "monthly-price", "second-hand", "discount-amount", "other-brand-price", "reimbursement",
                        "other-product-price", "accessory-price"}):
                    errors.append(f"{w}: benign price at {ratio:.2f} of list")
        else:
            for t, until in embargo:
                if t in low and ts >= until and "leak.confidential" in cats:
                    errors.append(f"{w}: labelled confidential after embargo for {t}")
    # near-duplicate wording
    sh = []
    for line in lines:
        wds = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(wds[i:i + 3]) for i in range(max(0, len(wds) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errors.append(f"lines {i + 1} and {j + 1}: too similar")
    return errors


def report(rows):
    by_cat, cat_lang, by_role, by_sev, by_lang, by_plat = (Counter() for _ in range(6))
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
            cat_lang[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in CATS:
        print(f"  {c:24s} {by_cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print(f"  {'(benign)':24s} {benign:4d}  nl {cat_lang[('(benign)', 'nl')]:3d}  en {cat_lang[('(benign)', 'en')]:3d}")
    print("languages", dict(by_lang), " roles", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platforms", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
