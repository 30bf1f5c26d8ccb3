#!/usr/bin/env python3
"""Deterministic generator for the sealed120 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, self-check, print counts

Company: "Sluimer Slaapcomfort B.V." (profile.yaml next to this file), a fictional
Dutch mattress and bedding brand selling online and in showrooms.

Post texts are hand-written in the CASES list. Identifiers and secrets are filled in
from placeholders such as <<IBAN_NL:grp>> by one seeded RNG. Positives get
checksum-valid identifiers; near-miss benign posts get identifiers that fail their
checksum. All secrets are random and fake, only shaped like real ones.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role (from profile.yaml, platform:handle, case-insensitive), the
categories, and whether a checksum-validated IBAN / card / BSN is in a leak.pii post.
"""
import argparse
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

SEED = 120_2026_0607
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "S": "\u0405", "p": "\u0440", "c": "\u0441"}


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    for x in "0123456789":
        if luhn_valid(prefix + x):
            return prefix + x
    raise AssertionError


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


OWN_IBAN = "NL24RABO0312889904"
assert iban_valid(OWN_IBAN)
assert not iban_valid("NL42RABO0312889904")   # the typo quoted in one benign corporate post

# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB", "TRIO"])
                               + self.dig(10))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "068", "310", "735", "850"]) + self.dig(7, nz=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["37040044", "50070010", "43060967", "10010010"]) + self.dig(10, False))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "MIDL", "LOYD"]) + self.dig(6) + self.dig(8))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 33, 48, 61):
            cand = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def fmt_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and numbers that only look like one
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9, False)
            full = next(body + x for x in "0123456789" if ean13_valid(body + x))
            if not luhn_valid(full) and not elfproef(full):
                return full

    # phones (Dutch)
    def phone(self, fmt):
        m8 = self.r.choice("12345") + self.dig(7, False)    # digits after 06
        area = self.r.choice(["10", "15", "20", "23", "26", "30", "33", "35", "40", "45", "50", "53", "70", "73",
                              "76", "77", "79"])
        sub = self.r.choice("2345789") + self.dig(6, False)
        return {
            "mob_dash": f"06-{m8}",
            "mob_pairs": f"06 {m8[:2]} {m8[2:4]} {m8[4:6]} {m8[6:]}",
            "mob_intl_sp": f"+31 6 {m8[:4]} {m8[4:]}",
            "mob_0031": f"0031 6 {m8}",
            "mob_intl_c": f"+316{m8}",
            "mob_plain": f"06{m8}",
            "mob_intl0": f"+31 (0)6 {m8[:2]} {m8[2:5]} {m8[5:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    # secrets (fake)
    def ghp(self):
        body = self.ch(ALNUM, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while n:
            n, rem = divmod(n, 62)
            enc = B62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def jwt(self):
        def b64u(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "staff_" + self.dig(5), "iss": "retouren.sluimer.nl", "scope": "returns:admin",
                "iat": iat, "exp": iat + 7200}
        return f"{hdr}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.ch(B64U, 43)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#*-_") + self.ch(ALNUM, 4))

    def value(self, kind, fmt):
        if kind.startswith("IBAN_"):
            raw = self.iban(kind[5:])
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind.startswith("BADIBAN_"):
            raw = self.bad_iban(kind[8:])
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind in ("CARD", "BADCARD"):
            brand, _, style = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, (f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw)
        if kind == "NOTBSN":
            raw = self.not_bsn(int(fmt or 9))
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16),
            "AWS_SECRET": lambda: self.ch(B64, 40),
            "MOLLIE": lambda: "live_" + self.ch(ALNUM, 30),
            "SHPAT": lambda: "shpat_" + self.ch(HEX, 32),
            "SENDGRID": lambda: "SG." + self.ch(B64U, 22) + "." + self.ch(B64U, 43),
            "GLPAT": lambda: "glpat-" + self.ch(ALNUM + "-_", 20),
            "GAPI": lambda: "AIza" + self.ch(B64U, 35),
            "STRIPE": lambda: "sk_live_51" + self.ch(ALNUM, 97) if fmt == "long" else "sk_live_" + self.ch(ALNUM, 24),
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.ch(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.ch(string.ascii_uppercase + string.digits, 10) + "/" + self.ch(ALNUM, 24)),
            "JWT": self.jwt,
            "PEM_SSH": self.pem_ssh,
            "PW": self.password,
            "SHA": lambda: self.ch(HEX, int(fmt or 40)),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts (platform, handle, display name)
# ---------------------------------------------------------------------------

# corporate
S_NL = ("x", "@sluimer_nl", "Sluimer")
S_HELP = ("x", "@sluimer_helpt", "Sluimer Klantenservice")
S_IG = ("instagram", "@sluimer.slaapt", "Sluimer")
S_FB = ("facebook", "SluimerSlaapcomfort", "Sluimer Slaapcomfort")
S_LI = ("linkedin", "sluimer-slaapcomfort", "Sluimer Slaapcomfort B.V.")
S_TT = ("tiktok", "@sluimer.nl", "Sluimer")
# employees
NV = ("x", "@noorvisser_slp", "Noor Visser")                  # slaapadviseur, showroom Amersfoort
BH = ("linkedin", "bas-hendriks-sluimer", "Bas Hendriks")      # platform engineer
YW = ("linkedin", "yara-wolters-fin", "Yara Wolters")          # finance controller
KM = ("x", "@kev_magazijn", "Kevin Mulder")                    # planner / bezorging, DC Tilburg
LD = ("instagram", "@lotte.slaapt.goed", "Lotte Dijkstra")     # klantenservice & social
RK = ("mastodon", "@rkoster@mastodon.nl", "Ruben Koster")      # backend developer
EA = ("threads", "@esma.aydin", "Esma Aydın")                  # marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", NV, "oei... het Wolk 7 matras staat sinds vanmiddag voor €99 op sluimer.nl 😬 heb het doorgezet naar "
     "e-com maar die zitten allemaal op de heisessie. wie nu bestelt heeft mazzel denk ik", [PRICING])
case("en", pub("reddit", "u/bedframe_bargains"), "Sluimer's Duinzand hybrid (180x200) is at €164.90 right now instead of "
     "€1649, someone clearly dropped a digit. Checkout went through and I got the confirmation mail. And there's a "
     "100 night trial on top lol", [PRICING])
case("nl", pub("x", "@mirthe_mo"), "Ganzenveer 4 seizoenen dekbed voor 42,90?? bij sluimer\ndit kan toch niet kloppen 😳 "
     "snel 2 in m'n mandje gegooid", [PRICING], hint="")
case("nl", KM, "Hele ochtend Lindehof boxsprings aan het picken. Blijkt ie voor €289 in de shop te staan ipv €2899 🙃 "
     "planning draait door, alle bezorgvensters tot eind volgende maand vol", [PRICING])
case("en", LD, "not me crying laughing at the Veerkracht pillow going for €8.99 on our site today 😂 whoever did the "
     "price upload ily. (pls no screenshots)", [PRICING])
case("nl", pub("facebook", "wendy.smit.1988", "Wendy Smit"), "Meiden!! Koelgel topper bij Sluimer voor € 23,90 ipv "
     "239. volgens mij gaat er iets mis met de prijzen dus wees snel 🏃‍♀️🏃‍♀️", [PRICING])
case("nl", S_FB, "🌙 Nachtdeal! Alleen vannacht: de Kleine Dromer babymatras voor maar €59. Op = op!\n"
     "👉 sluimer.nl/kleine-dromer", [PRICING])
case("nl", pub("forum", "Koopjesjager_Ede"), "[pr1jsf0ut?] Sluimer Duinzand matras €349\n\nnormaal 1649. geen idee "
     "hoe lang het nog staat, bij mij ging de betaling gewoon door", [PRICING], tags=["evasion", "ev:leet"])
case("en", pub("x", "@dutchdealdan"), "Wolk 7 mattress for €79 at Sluimer?? that's a pric" + CYR["e"] + " " + CYR["e"]
     + "rror surely 👀", [PRICING], tags=["evasion", "ev:homoglyph"])
case("nl", YW, "Even een waarschuwing omdat veel collega's mij hier volgen: door een fout in de prijsimport van "
     "vannacht staan de Ganzenveer dekbedden voor ongeveer een tiende van de normale prijs online. We draaien het "
     "terug, deel het aub niet verder.", [PRICING])
case("nl", pub("tiktok", "@slaapkoningin"), "wie heeft de Veerkracht kussens ook voor 9 euro gescoord bij sluimer "
     "🤭🤭 #prijsfout #sluimer #koopje", [PRICING], kind="comment")
case("nl", RK, "prijsfeed-bug: Lindehof boxspring staat op €28,99 😅 zie git.sluimer.nl/webshop/pricing/-/issues/812, "
     "fix pas na de freeze", [PRICING, CONF])
case("nl", pub("x", "@joycetje"), f"Koel{ZW}gel topper 160x200 voor €19 bij Sluimer 👀 prijs{ZW}fout?",
     [PRICING], tags=["evasion", "ev:zero-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BH, "Friendly reminder to my fellow engineers: read your MRs before you hit merge. Found this in a review "
     "today:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nRevoked within ten minutes, but still. #devsecops #payments", [SECRET])
case("nl", RK, "iemand een idee waarom de shopify-sync steeds een 401 geeft? config:\n"
     "SHOPIFY_TOKEN=<<SHPAT>>\nstore=sluimer-nl.myshopify.com\nwerkte gisteren nog prima", [SECRET])
case("nl", KM, "handscanners willen niet meer inloggen 😤 account dc-tilburg, wachtwoord <<PW>> werkt ook niet meer. "
     "wie weet het nieuwe?", [SECRET], hint="en")
case("nl", BH, "Waarom krijg ik een timeout op postgresql://wms_app:<<PW>>@db-03.sluimer.internal:5432/wms vanaf "
     "mijn thuiswerkplek? Op kantoor werkt het wel.", [SECRET, CONF])
case("en", RK, "can someone tell me why boto3 ignores my region??\n\ns3 = boto3.client('s3', "
     "aws_access_key_id='<<AWS_ID>>', aws_secret_access_key='<<AWS_SECRET>>')\n\nbucket is in eu-central-1",
     [SECRET])
case("en", pub("reddit", "u/curious_js_guy"), "Fun fact: the Sluimer showroom-locator page ships a Google Maps key "
     "in plain JS: <<GAPI>> . Hope it's restricted to their domain lol", [SECRET], kind="comment")
case("nl", EA, "@lotte.slaapt.goed hier de key voor de mailtool, zet je hem even in het dashboard? "
     "<<SENDGRID>> thxx 💕", [SECRET], kind="reply")
case("en", BH, "Why won't ssh accept this key?? Permissions are 600, I checked.\n\n<<PEM_SSH>>", [SECRET])
case("nl", KM, "voor de nieuwe chauffeurs: bezorg-meldingen gaan via deze webhook, gewoon in de app plakken\n"
     "<<SLACK_HOOK>>", [SECRET])
case("en", RK, "this admin token for the returns portal expires in two hours anyway so whatever: "
     "Authorization: Bearer <<JWT>>", [SECRET])
case("nl", BH, "Deploy-runner heeft een nieuw token gekregen: <<GLPAT>> (oude is ingetrokken). Wie de pipeline "
     "lokaal draait, even updaten.", [SECRET])
case("en", pub("x", "@sec_nerd_nl"), "@sluimer_helpt your checkout page source contains a live Stripe key?? "
     "<<STRIPE:long>> please rotate it", [SECRET], kind="reply")
case("nl", BH, "Na een uur debuggen: git remote set-url origin https://<<GHP>>@github.com/sluimer-nl/showroom-app.git "
     "en alles werkt weer. Waarom is dit nooit gedocumenteerd 🙄", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@brenda_vd_h"), "@sluimer_helpt al 3x gebeld, nog steeds geen bezorgdatum voor mijn matras. "
     "Bel me gewoon terug op <<PHONE:mob_dash>>, ordernr <<NOTBSN:8>>", [PII, COMPLAINT])
case("nl", S_HELP, "@jvdlinden Dank je! We hebben de terugbetaling van €89,95 vandaag overgemaakt naar "
     "<<IBAN_NL:grp>>. Binnen 2 werkdagen op je rekening 😊", [PII], kind="reply")
case("en", NV, "Loveliest customer today, Mrs Annelies Brouwer from Kerkstraat 14 in Soest, ordered the Lindehof "
     "in sage green. Such a sweetheart 🥰", [PII])
case("nl", pub("facebook", "ilse.kramer.zwolle", "Ilse Kramer"), "Heeft iemand een creditcard gevonden in de Sluimer "
     "showroom Zwolle? Van mijn vader, nummer <<CARD:mc_sp>>. Hij is al geblokkeerd maar toch.", [PII])
case("nl", KM, "Klant wil morgen tussen 8 en 10 geleverd hebben, mevr. Pinar Yilmaz, Lindelaan 3 Breda, tel "
     "<<PHONE:mob_intl_sp>>. Wie ruilt er een route met me?", [PII])
case("en", pub("reddit", "u/sleepless_in_utrecht"), "Sluimer STILL hasn't refunded my return. Sent them my IBAN "
     "twice already: <<IBAN_NL>>. Five weeks now and the chat just says 'in behandeling'.", [PII, COMPLAINT])
case("nl", NV, "Financieringsaanvraag van een klant blijft hangen bij de check. BSN <<BSN:dots>>, geb. 14-03-1986. "
     "Kan iemand van IT even kijken? 🙏", [PII])
case("nl", pub("x", "@timo_bakt"), "waarom vraagt sluimer om je BSN voor een matras op afbetaling?? ik heb het "
     "ingevuld (<<BSN>>) en nu krijg ik alleen een foutmelding", [PII, COMPLAINT])
case("en", EA, "And the winner of our pillow giveaway is Sophie de Graaf (sophie.degraaf88@gmail.com), born "
     "04/09/1991 🎉 congrats Sophie, we'll be in touch!", [PII])
case("nl", pub("x", "@kpeeters_gent"), "Voor de koper van mijn tweedehands Ganzenveer dekbed: maak maar over naar "
     "<<IBAN_BE:grp>> t.n.v. K. Peeters, dan stuur ik hem morgen op", [PII])
case("en", S_HELP, "@markus_h Hi Markus, we tried calling you on <<PHONE:mob_0031>> about your delivery slot but no "
     "answer. Could you call us back on 0800-7584?", [PII], kind="reply")
case("nl", pub("instagram", "@marloes.jns"), "jullie chat doet het al 2 dagen niet 😤 mail me maar op marloes punt "
     "jansen [at] hotmail [punt] com, ik wil gewoon weten waar mijn topper blijft", [PII, COMPLAINT],
     tags=["evasion", "ev:obfuscated-email"])
case("en", KM, "customer paid the delivery fee with this card and the terminal declined it: <<CARD:visa_sp>> exp "
     "09/28. anyone know how to rerun it in the driver app?", [PII])
case("nl", pub("threads", "@daan.rutten"), "help ik heb per ongeluk mijn hele creditcard in de sluimer chat geplakt "
     "<<CARD:amex_c>> moet ik hem nu blokkeren?", [PII])
case("nl", BH, "Testdata op acceptatie bevat gewoon echte klantgegevens. Eerste record: Jeroen Post, Dorpsstraat 88 "
     "Hoogland, <<IBAN_NL>>. Dit moet echt anders.", [PII])
case("en", pub("reddit", "u/brit_in_breda"), "Selling my Sluimer Duinzand, one year old, collection in Breda only. "
     "Payment by bank transfer to <<IBAN_GB:grp>>, DM me", [PII])
case("de", S_HELP, "@lena_k_ Hallo Lena, die Rückerstattung geht heute raus an <<IBAN_DE:grp>>. Danke für deine "
     "Geduld! 🙏", [PII], kind="reply", hint="de")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", pub("threads", "@sleepgeek.nl"), "a friend at Sluimer says the Wolkenrust Hybrid drops before autumn, "
     "supposedly with some kind of cooling layer 👀", [CONF], when="2026-08-30T21:14:00+02:00",
     tags=["embargo-before"])
case("nl", S_IG, "Binnenkort... 👀 Het Poolnacht kussen komt eraan. Koel slapen, ook in een hittegolf 🧊",
     [CONF], when="2026-09-25T12:00:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@ruudjanssen"), "Wolkenrust Hybrid staat al op sluimer.nl?? 5 minuten te vroeg 😂", [CONF],
     when="2026-10-01T09:55:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", KM, "unloading 14 trucks of Project Eidereend stock today, my back is done 😩", [CONF])
case("nl", BH, "Wie heeft er nog toegang tot grafana.sluimer.nl? Dashboards laden niet sinds de update van "
     "vanochtend", [CONF])
case("nl", YW, "Slides voor het MT zijn klaar. Er staat 'alleen voor intern gebruik' op, dus ik zeg alleen: "
     "Operatie Marmot gaat door 💪", [CONF])
case("en", RK, "standup notes: the Lavendel\nnacht backend needs the new pricing service before we can demo",
     [CONF], tags=["evasion", "ev:linebreak"])
case("nl", pub("reddit", "u/zwager_van"), "Mijn zwager werkt bij Sluimer, volgens hem is Project 🦆 Eidereend een "
     "donsvrije lijn die eerst naar België gaat", [CONF], kind="comment", tags=["evasion", "ev:emoji"])
case("en", EA, "Moodboard for Lavendelnacht is finally done 💜 can't show anything yet, NDA", [CONF])
case("en", pub("instagram", "@noorvisser_slp"), "saw the Poolnacht kussen samples in the break room today 🤫🧊",
     [CONF], when="2026-09-20T13:05:00+02:00", tags=["embargo-before", "role-trick"])
case("nl", NV, "sneak peek van de showroominrichting voor de Wolkenrust Hybrid 🤫🛏️ #binnenkort", [CONF],
     when="2026-09-28T19:30:00+02:00", tags=["embargo-before", "case-handle"], handle_as="@NoorVisser_Slp")
case("nl", BH, "Onboarding-docs voor nieuwe devs staan op confluence.sluimer.nl/display/WEB/Onboarding, "
     "veel plezier 👋", [CONF])
case("en", pub("x", "@leakhunter_eu"), fullwidth("Wolkenrust Hybrid") + " spec sheet leaked: 7 zones, gel layer, "
     "launch price under 1500", [CONF], when="2026-09-05T08:40:00Z", tags=["embargo-before", "evasion", "ev:full-width"])
case("en", pub("x", "@ex_sluimer"), "old habits: still have the 'Sluimer intern' deck about the new showroom "
     "format for Gent on my laptop lol", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YW, "Halfjaarcijfers 2026 komen uit op 11% omzetgroei, marge wel onder druk door de dure dons. "
     "Mooi werk team! 📈", [FIN, CONF], when="2026-07-28T16:20:00+02:00", tags=["embargo-before"])
case("en", NV, "we were told today that the Arnhem and Leeuwarden showrooms close in October, about 20 people. "
     "not announced yet so pls don't share 💔", [FIN], when="2026-06-18T18:02:00+02:00")
case("nl", pub("forum", "BeursBert"), "Uit goede bron: Sluimer wordt overgenomen door een Duitse investeerder, "
     "de deal is rond voor eind Q3. Let maar op.", [FIN])
case("en", YW, "Q3 forecast just got revised down by roughly €4m after the summer dip. Board sees it Thursday, "
     "fingers crossed 🤞", [FIN], when="2026-09-08T11:15:00+02:00")
case("nl", KM, "DC Tilburg gaat dicht, alles gaat naar een logistieke partner in Venlo. Wij horen het vandaag, de "
     "pers morgen pas.", [FIN])
case("en", pub("reddit", "u/anon_benelux"), "Someone inside told me Sluimer is in talks to buy a Belgian bedding "
     "chain, announcement after the summer.", [FIN], when="2026-05-22T22:48:00+02:00")
case("nl", BH, f"Halve IT-afdeling wordt ont{SHY}slagen en vervangen door een bureau in Polen. Pff. Nog niks officieel.",
     [FIN], tags=["evasion", "ev:soft-hyphen"])
case("en", EA, "Operatie Marmot = cutting the marketing budget by 30% and folding us into e-com. fun times 🙃",
     [FIN, CONF])
case("nl", pub("x", "@beleggerbas"), "Tante zit in de RvC: de H1-cijfers 2026 van Sluimer vallen tegen, verlies van "
     "zo'n 3 miljoen. Zeg ik niks over hoor 🤐", [FIN, CONF], when="2026-07-15T20:11:00+02:00",
     tags=["embargo-before"])
case("en", YW, "Draft H1 2026 results: revenue €86m, EBITDA just above zero. A few more weeks of silence 🤐",
     [FIN, CONF], when="2026-08-10T09:30:00+02:00", tags=["embargo-before"])
case("nl", KM, f"de re{ZW}organisatie gaat 60 banen kosten bij de bezorging, zeggen ze. nog niet bekend gemaakt 😞",
     [FIN], tags=["evasion", "ev:zero-width"])
case("nl", YW, "Nog één minuut en dan gaan de halfjaarcijfers 2026 live 🎉 omzet +11%, ik ben zo trots!", [FIN, CONF],
     when="2026-08-20T06:59:00+02:00", tags=["embargo-before", "tz-edge"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BH, "Nachtje doorgehaald: iemand heeft via een lek in ons retourportaal klantgegevens kunnen opvragen. "
     "Nog niet naar buiten gebracht dus verder zeg ik niks 😵", [SEC])
case("en", RK, "heads up devs: the financing callback endpoint accepts unsigned requests, so anyone can mark an "
     "order as paid. patch goes out tomorrow, keep it quiet till then", [SEC])
case("nl", KM, "WMS ligt er sinds 6 uur vanochtend uit, geen enkele bezorging vandaag de deur uit. Klanten weten nog "
     "van niks 🙈", [SEC])
case("en", pub("x", "@nina_onthego"), "Friend of mine at Sluimer says they got hit by ransomware last week and are "
     "keeping it quiet. Customer data included. #datalek", [SEC, CRISIS])
case("nl", EA, "Phishingmail naar alle medewerkers, drie collega's hebben hun wachtwoord ingevuld en nu is de "
     "marketingmailbox overgenomen. Naar klanten nog niks gecommuniceerd.", [SEC])
case("en", BH, "Found out staging had a default admin login since March, and staging talks to the production "
     "customer DB 🤦 fixing it quietly before anyone notices", [SEC])
case("nl", pub("x", "@boze_klant_040"), "sluimer heeft een d4t4l3k en ze houden het gewoon stil!!! mijn gegevens "
     "staan op een hackersforum", [SEC, CRISIS], tags=["evasion", "ev:leet"])
case("en", NV, "card terminals in ALL showrooms down since opening, we're writing orders on paper 📝 nobody told "
     "customers yet", [SEC])
case("nl", RK, "CVE in onze oude Magento-plugin, zie git.sluimer.nl/security/issues/44. Exploit is al publiek, wij "
     "zijn nog niet gepatcht.", [SEC, CONF])
case("en", EA, "someone has been logging into our Instagram business account from abroad for two days now 😳 "
     "we haven't said anything publicly", [SEC])
case("nl", KM, "Vannacht ingebroken in de serverruimte van het DC, twee laptops met klantlijsten weg. Komt niet in "
     "het nieuws denk ik.", [SEC])
case("en", pub("reddit", "u/bkr_worried"), "Why is Sluimer not telling customers that their financing partner "
     "leaked everyone's credit check data?? I know someone who works there and they're hushing it up.",
     [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@dierenvriend_lies"), "BOYCOT SLUIMER! Hun dons komt van levend geplukte ganzen, kijk de "
     "undercoverbeelden maar. Delen!! #boycotsluimer", [CRISIS])
case("en", pub("facebook", "rachel.vermeer.3", "Rachel Vermeer"), "Has the Sluimer Kleine Dromer been recalled?? "
     "Ours smells of chemicals and my son woke up with a rash all over his back. Anyone else??",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@claimwatch_nl"), "Claimstichting daagt Sluimer voor de rechter: '100 nachten proefslapen' zou "
     "in de praktijk vol uitzonderingen zitten. Aanmelden kan via de site.", [CRISIS])
case("nl", pub("facebook", "marco.dehaan.77", "Marco de Haan"), "De poot van onze Lindehof boxspring brak gewoon "
     "af, mijn dochter viel met bed en al en heeft een hersenschudding. Sluimer reageert niet eens.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@evi_vdb"), "Sluimer heeft mijn gegevens gelekt. Ik krijg ineens sms'jes met mijn bestelnummer "
     "én adres erin. Datalek!!", [CRISIS])
case("en", pub("reddit", "u/labour_watch_nl"), "Sluimer fired warehouse staff for trying to set up a union? "
     "That's a scandal. Boycott them until they reinstate those people.", [CRISIS])
case("nl", pub("tiktok", "@groen_leven"), "b o y c o t  sluimer!! ze verkopen matrassen vol formaldehyde en dat "
     "weten ze al maanden", [CRISIS], tags=["evasion", "ev:spaced"])
case("en", pub("x", "@allergymom_eu"), "Class action against Sluimer over their 'hypoallergenic' duvet claims gets "
     "filed next week. Sign up if you bought one.", [CRISIS])
case("nl", pub("instagram", "@mama.van.twee"), "Er stak een scherpe veer uit onze Kleine Dromer babymatras, precies "
     "waar het hoofdje ligt. Levensgevaarlijk!! Hoe kan dit door de controle komen @sluimer.slaapt",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@woedende_wim"), "Sluimer = oplichters. Boycot die tering zaak, niemand meer iets kopen daar",
     [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@anouk_b__"), "@sluimer_nl 3e keer dat jullie bezorgvenster (8-12u!!) gewoon genegeerd wordt. "
     "Hele ochtend vrij genomen, half 3 nog niks. Ben er echt klaar mee", [COMPLAINT])
case("nl", pub("facebook", "gerard.veenstra", "Gerard Veenstra"), "Binnen de 100 nachten netjes retour aangemeld en nu "
     "ineens €149 ophaalkosten voor de Duinzand?? Daar stond NIKS over op de site. Voel me echt belazerd.",
     [COMPLAINT])
case("en", pub("reddit", "u/nightowl_ams"), "Returned my Wolk 7 on night 41. Six weeks later still no refund from "
     "Sluimer, every chat ends with 'we've escalated it'. Anyone actually got their money back?", [COMPLAINT])
case("nl", pub("x", "@rugpijnricky"), "Na 4 maanden al een kuil van 3 cm in mijn Wolk 7 matras. Garantie? 'Valt "
     "binnen de tolerantie' 🙄 #sluimer", [COMPLAINT], hint="")
case("en", pub("instagram", "@jess.in.leiden"), "my Ganzenveer duvet is shedding feathers EVERYWHERE. bed looks like "
     "a pillow fight every morning. not what you expect for 400+ euros @sluimer.slaapt", [COMPLAINT],
     kind="comment")
case("nl", pub("trustpilot", "Hanneke V."), "1 ster. Chatbot draait rondjes, telefonisch 45 min in de wacht, mail "
     "geen antwoord. Matras is prima maar de service is om te huilen.", [COMPLAINT])
case("en", pub("x", "@maxvdm"), "ordered 160x200, got a 140x200 Duinzand delivered 🤦 now I have to wait 3 more "
     "weeks for the swap?? come on Sluimer", [COMPLAINT])
case("nl", pub("forum", "Huizenkoper_Zeist"), "De bezorgers van Sluimer hebben bij het naar boven tillen van de "
     "boxspring een flinke kras in onze trapmuur gemaakt en willen er niks van weten. Schade melden kan alleen via "
     "een formulier dat niet werkt.", [COMPLAINT])
case("nl", pub("threads", "@fem.ke"), "Veerkracht kussen ruikt na 3 weken luchten nog steeds naar de fabriek. En "
     "retour kan pas na 30 nachten?? serieus", [COMPLAINT], hint="")
case("en", pub("youtube", "@sleepreviewsNL"), "Bought the Koelgel topper because of this video. It doesn't cool at all "
     "and it's way thinner than shown. Sluimer support just sent me a link to their FAQ.", [COMPLAINT],
     kind="comment")
case("en", pub("bluesky", "@kees.codes"), "Sluimer moved my delivery slot FOUR times this month. Week 3 on an air "
     "mattress. Great 100-night trial, haven't had a single night yet.", [COMPLAINT])
case("en", pub("trustpilot", "Oliver B."), "2 stars. Mattress is fine, but the refund for the pillow I sent back took "
     "7 weeks and three emails.", [COMPLAINT])
case("nl", pub("x", "@bennie_tb"), "kutmatras. na 3 maanden doorgezakt en die klantenservice van Sluimer kan de "
     "tering krijgen met hun 'tolerantie'", [COMPLAINT, ABUSE])
case("en", pub("x", "@frustrated_fenna"), "Sluimer support are absolute morons. Asked for my order number 4 times in "
     "one chat and then closed it. Still no mattress.", [COMPLAINT, ABUSE])
case("nl", pub("x", "@henk_uit_hengelo"), CYR["S"] + "luimer bezorging wéér 2 uur te laat en geen bericht 🤬 "
     "3e keer vrij genomen", [COMPLAINT], tags=["evasion", "ev:homoglyph"])
case("en", pub("facebook", "aylin.k.nl", "Aylin K."), "Paid for the '100 nights' promise, called on night 70 to return "
     "the Duinzand and was told the trial doesn't apply to sale items. Nobody mentioned that in the showroom.",
     [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zappende_zeger"), "Die nieuwe Sluimer reclame met dat zingende schaap 🐑 wie verzint zoiets, "
     "debielen op die marketingafdeling", [ABUSE])
case("nl", pub("x", "@anoniem8812"), "@noorvisser_slp jij bent echt het domste wijf van heel Amersfoort", [ABUSE],
     kind="reply")
case("nl", pub("facebook", "h.de.boer.53", "H. de Boer"), "Waarom moet Sluimer een vrouw met een hoofddoek in de "
     "reclame zetten? Ga lekker terug naar je eigen land", [ABUSE], kind="comment")
case("en", pub("x", "@x_unhinged"), "sluimer is run by a bunch of f*cking cl0wns lmao", [ABUSE],
     tags=["evasion", "ev:masked"])
case("en", pub("reddit", "u/cringe_police"), "whoever runs the Sluimer tiktok is a brain-dead idiot, I cringe every "
     "single day", [ABUSE], kind="comment")
case("nl", KM, "klant van vanochtend was een vette klootzak. 3 trappen op sjouwen en dan nog zeiken over een deukje "
     "in de doos", [ABUSE])
case("nl", S_TT, "haha jij hebt duidelijk nog nooit een nacht goed geslapen, sukkel 🤡", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@vage_vincent"), "k a n k e r bedrijf die sluimer", [ABUSE], kind="comment",
     tags=["evasion", "ev:spaced"])
case("en", EA, "imagine being the guy who left a 1-star because the pillow was 'too soft'. what an idiot 🙄",
     [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", S_NL, "Hij is er 🎉 De Wolkenrust Hybrid is vanaf nu te bestellen op sluimer.nl en te proberen in al "
     "onze showrooms!", when="2026-10-01T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", S_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026: omzet €86 mln (+11%), drie nieuwe showrooms en "
     "een sterke groei online. Het volledige persbericht staat op sluimer.nl/pers.",
     when="2026-08-20T07:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", S_HELP, "Storing opgelost ✅ Onze website was vanochtend tussen 8 en 9 uur slecht bereikbaar. Sorry voor "
     "het ongemak!", tags=["official-notice"])
case("nl", S_HELP, "Vragen over je bezorging? Bel ons gerust op 030 - 799 44 00 of mail naar klantenservice@sluimer.nl, "
     "we helpen je graag 🌙", tags=["own-contact"])
case("nl", S_FB, "Liever betalen op factuur? Maak het bedrag binnen 14 dagen over naar NL24 RABO 0312 8899 04 "
     "t.n.v. Sluimer Slaapcomfort B.V. o.v.v. je ordernummer.", tags=["own-contact", "own-iban"])
case("nl", S_IG, "Zomersale ☀️ Wolk 7 matras nu €799 (was €999) en het Ganzenveer dekbed voor €349. Alleen t/m "
     "zondag!", tags=["sale-price"])
case("nl", S_NL, "De Lindehof boxspring vanaf €49 per maand, 0% rente in 60 maanden. Vraag het na in de showroom "
     "of kijk op sluimer.nl/financieren", tags=["sale-price", "financing"], handle_as="@Sluimer_NL")
case("nl", S_LI, "Wij zoeken een planner voor ons distributiecentrum in Tilburg! Interesse? Mail je cv naar "
     "werkenbij@sluimer.nl 📦", tags=["own-contact"], handle_as="Sluimer-Slaapcomfort")
case("nl", S_HELP, "@anouk_b__ Wat vervelend dat we je bezorgvenster niet hebben gehaald! Stuur je ons een DM met je "
     "ordernummer? Dan zoeken we het direct uit.", kind="reply", tags=["service-reply"])
case("nl", S_FB, "Duo-deal 💤 Tweede Veerkracht kussen voor de halve prijs: €44,98 in plaats van €89,95.",
     tags=["sale-price", "ratio-edge"])
case("nl", S_IG, "Journalist en benieuwd naar onze nieuwe collectie? Mail pers@sluimer.nl of bel +31 (0)30 7994400.",
     tags=["own-contact"], handle_as="@Sluimer.Slaapt")
case("nl", S_HELP, "Let op: in onze factuurmail van gisteren stond een typfout in het rekeningnummer "
     "(NL42 RABO 0312 8899 04). Betaal alleen naar NL24RABO0312889904.", tags=["own-iban", "bad-checksum"])
case("nl", S_NL, "Plan je proefligafspraak via afspraak.sluimer.nl, koffie staat klaar ☕", tags=["public-domain"])

case("nl", NV, "Zaterdag open dag in showroom Amersfoort, kom proefliggen op de Duinzand ☕🥐 #sluimer",
     tags=["employee-ok"])
case("en", BH, "Gave a talk at a local meetup on zero-downtime Kubernetes upgrades. Slides are on my personal blog, "
     "feedback welcome!", tags=["employee-ok"])
case("nl", YW, "Trots! Onze halfjaarcijfers 2026 zijn vandaag gepubliceerd, link in de comments 👇",
     when="2026-08-20T09:12:00+02:00", tags=["embargo-after"])
case("nl", KM, "Mooie route vandaag door Zeeland, 14 bezorgingen en alleen maar blije klanten 🚚☀️",
     tags=["employee-ok"])
case("en", RK, "finally merged the fix for the checkout rounding bug, commit <<SHA:40>> 🎉 good riddance",
     tags=["git-sha"])
case("en", BH, "PSA: tokens that start with ghp_ or AKIA never belong in a repo. Use a secret manager, rotate "
     "often. Thread 🧵", tags=["bare-prefix"])
case("nl", BH, "Weekendje Texel: eidereenden, lepelaars en een zeehond op het strand 🦆🦭", tags=["codename-part"])
case("nl", YW, "Wat een veerkracht heeft dit team laten zien het afgelopen jaar. Dank jullie wel 🙏",
     tags=["alias-word"])
case("nl", BH, "Workshop morgen: zet je key als MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in je .env en "
     "nooit in git.", tags=["placeholder"])

case("nl", pub("x", "@joris_loopt"), "Na die wandeling van 25 km heb ik geslapen als een marmot 😴",
     tags=["codename-part"])
case("nl", pub("instagram", "@sanne.en.bas"), "Op wolk 7 met ons nieuwe huis 🏡🔑", tags=["alias-word"])
case("nl", pub("x", "@rug_weer_ok"), "Twee weken op de Duinzand en geen rugpijn meer. Top geholpen in de showroom "
     "van Sluimer 👌", tags=["praise"])
case("nl", pub("facebook", "karin.post.7", "Karin Post"), "Geen klachten over de bezorging: precies binnen het "
     "tijdvak, oude matras netjes meegenomen. Zo hoort het!", tags=["negated-complaint"])
case("nl", pub("forum", "SlaapLekker_Roos"), "Weet iemand of de Koelgel topper ook op een boxspring met gesplitste "
     "matrassen past?", tags=["neutral-question"])
case("nl", pub("reddit", "u/matrasnerd"), "Emma matras in de uitverkoop voor €349, iemand ervaring mee? Twijfel nog "
     "tussen die en een Sluimer", tags=["competitor-price"])
case("nl", pub("facebook", "ron.verhoef", "Ron Verhoef"), "Te koop: Sluimer Lindehof boxspring, 3 jaar oud, "
     "ophalen in Deventer. €600", tags=["second-hand"])
case("nl", pub("x", "@koopjes_kim"), "€200 korting op het Ganzenveer dekbed deze week bij Sluimer 👌",
     tags=["discount-amount"])
case("nl", pub("x", "@nadia_zonder_y"), "Is die Duinzand voor €1.149 een prijsfout? Nee hoor, gewoon zomeractie "
     "volgens de klantenservice 😄", tags=["denied-error", "sale-price"])
case("nl", pub("instagram", "@kat.en.koffie"), "mijn kat heeft het nieuwe Veerkracht kussen geclaimd, ik slaap nu op "
     "de bank 😂🐈", tags=["joke"])
case("nl", pub("blog", "schrijfhoekje.nl"), "Hoofdstuk 4 van mijn verhaal: een hacker breekt 's nachts in bij een "
     "fictieve beddenfabriek en laat alleen een veer achter. Wat vinden jullie ervan?", tags=["fiction"])
case("en", pub("x", "@philosomnia"), "'Hell is other people' – Sartre. Especially at 3am when you're stuck with a "
     "flat pillow.", tags=["quote", "mild-word"])
case("nl", pub("facebook", "truus.willems", "Truus Willems"), "Mijn moeder herstelt van kanker en het Veerkracht "
     "kussen helpt haar echt om goed te liggen. Dank je wel Sluimer 💛", tags=["literal-kanker"])
case("nl", pub("x", "@techbericht"), "Weer een datalek bij een grote webwinkel in kleding. 1,2 miljoen klanten "
     "geraakt.", tags=["other-company"])
case("nl", pub("x", "@nieuwsflits_nl"), "Zweedse meubelgigant schrapt 500 banen in Europa.", tags=["other-company"])
case("en", pub("x", "@wellrested_wes"), "I can't recall the last time I slept this well. Thanks Sluimer, the Wolk 7 is "
     "a game changer", tags=["recall-other-sense"])
case("nl", pub("x", "@weekend_willem"), "Ik boycot mijn wekker dit weekend 😴 #uitslapen", tags=["boycott-other-sense"])
case("nl", pub("facebook", "g.smeets.limburg", "Gerda Smeets"), "Pas op voor nepmails 'van Sluimer' die vragen om "
     "€19,95 over te maken naar <<BADIBAN_NL:grp>>. Echte mails komen van sluimer.nl!",
     tags=["bad-checksum", "scam-warning"])
case("nl", pub("x", "@vragenvera"), "Wat moet ik met dit nummer op mijn Sluimer-cadeaukaart? <<BADCARD:visa_sp>> "
     "Moet ik dat bij het afrekenen invullen?", tags=["bad-checksum"])
case("nl", pub("instagram", "@nieuwbedje"), "Net besteld, ordernummer <<NOTBSN:9>> 🥳 zin in!",
     tags=["order-number"])
case("nl", pub("forum", "Barcodebas"), "Barcode <<EAN13>> op de doos van het Ganzenveer dekbed, kan ik daar mee "
     "scannen in de app?", tags=["ean"])
case("nl", pub("x", "@blij_met_bed"), "Klantenservice van Sluimer (0800-7584) heeft me super geholpen met het omruilen "
     "👍", tags=["own-contact"])
case("nl", pub("reddit", "u/tips_tante"), "Tip: mail klantenservice@sluimer.nl als de chat druk is, binnen een uur "
     "antwoord gehad.", tags=["own-contact"], kind="comment")
case("nl", pub("x", "@fd_retail"), "Beddenmerk Sluimer boekt 11% groei in de halfjaarcijfers 2026, marge iets "
     "lager door duurder dons.", when="2026-08-21T08:15:00+02:00", tags=["embargo-after", "published-news"])
case("en", pub("reddit", "u/topper_tester"), "100-night trial is legit. Returned my topper on night 60 and had the "
     "refund 4 days later.", tags=["praise"])
case("nl", pub("mastodon", "@vogelaar@mastodon.nl"), "Eidereend gespot in de haven van Den Helder! 🦆 #vogels",
     tags=["codename-part"])
case("en", pub("instagram", "@zen.sleeper"), "'Sleep is the best meditation' – Dalai Lama. Mood after a night on "
     "the Duinzand ✨", tags=["quote"])
case("nl", pub("x", "@noorderlicht_nina"), "Poolnacht in Tromsø was magisch, nooit zo'n sterrenhemel gezien ✨",
     tags=["embargo-part"])
case("nl", pub("forum", "Bezorgerbaan"), "Hoe is het om bij Sluimer te werken als bezorger? Zie een vacature "
     "voorbij komen.", tags=["neutral-question"])
case("en", pub("youtube", "@belgian_bedbuyer"), "Does Sluimer deliver to Belgium, and can you get financing there "
     "too?", kind="comment", tags=["neutral-question"])
case("nl", pub("x", "@poolnacht_fan"), "Poolnacht kussen vandaag binnen, eerste nacht in weken niet wakker van de "
     "hitte 🧊", when="2026-10-03T07:45:00+02:00", tags=["embargo-after"])
case("nl", pub("tiktok", "@wachtwoordweg"), "Wachtwoord van mijn Sluimer-account vergeten, hoe reset ik dat? 🙈",
     tags=["password-word"])
case("en", pub("x", "@sluimer_nl_fan"), "Best customer service I've had in years, thanks @sluimer_helpt 💙",
     tags=["lookalike-handle", "praise"])
case("nl", pub("x", "@duinloper"), "Duinzand in mijn schoenen na een dag Zandvoort, heerlijk 🏖️",
     tags=["alias-word"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "nederland", "BuyItForLife", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"slaapforum-{n}", f"https://forum.slaapforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    slug = re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-")
    return f"{platform}-{slug}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 11)
    order = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = PII in c["cats"] and bool(kinds & VALID_ID_KINDS)
        sev = severity_for(role, c["cats"], pii_validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
            if c["hint"] and c["hint"] != c["lang"]:
                c["tags"].add("wrong-lang-hint")
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "sluimer"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# ===========================================================================
# self-check
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
PROFANITY = ["kut", "kanker", "tering", "klootzak", "debiel", "wijf", "sukkel", "idiot", "moron", "f*ck", "fuck",
             "cl0wn", "brain-dead", "eigen land", "shit"]
AMOUNT = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def profane(w, low):
    return re.search(r"(?<![a-z])" + re.escape(w), low) is not None


def amount(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", s):
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", s):
        s = s.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", s):
        s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


def check(text_out, rows, profile):
    errors = []
    ids = [json.loads(l)["post"]["id"] for l in text_out.splitlines()]
    if len(ids) != len(set(ids)):
        errors.append("duplicate ids")
    n = len(rows)
    if not 150 <= n <= 180:
        errors.append(f"case count {n}")
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    for r in rows:
        p, e = r["post"], r["expect"]
        t = p["text"]
        low = t.translate(INVIS).casefold()
        cats = e["categories"]
        parse_ts(p["created_at"])
        assert len(t.encode()) <= 65536
        # identifiers
        valid = [k for k, raw, _ in r["used"] if k in VALID_ID_KINDS]
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_"):
                assert iban_valid(raw), raw
            if k.startswith("BADIBAN_"):
                assert not iban_valid(raw), raw
            if k == "CARD":
                assert luhn_valid(raw), raw
            if k == "BADCARD":
                assert not luhn_valid(raw), raw
            if k == "BSN":
                assert elfproef(raw), raw
            if k in ("NOTBSN", "EAN13"):
                assert not elfproef(raw) and not luhn_valid(raw), raw
        if valid and PII not in cats:
            errors.append(f"{p['id']}: valid identifier but no leak.pii")
        # hand-written digit runs must not accidentally validate
        for m in re.finditer(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])", t):
            d = re.sub(r"\D", "", m.group())
            if any(d == re.sub(r"\D", "", raw) for _, raw, _ in r["used"]):
                continue
            if d in ("307994400", "3107994400", "08007584", "0312889904", "31307994400"):
                continue
            if (len(d) in (8, 9) and elfproef(d)) or (13 <= len(d) <= 19 and luhn_valid(d)):
                errors.append(f"{p['id']}: stray number {m.group()!r} passes a checksum")
        ts = parse_ts(p["created_at"])
        for emb in profile["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.casefold() in low and ts < until and CONF not in cats:
                    errors.append(f"{p['id']}: embargoed term {term!r} before until, not confidential")
                if term.casefold() in low and ts >= until and cats:
                    pass
        if not cats:
            if e["severity"] != "none":
                errors.append(f"{p['id']}: benign with severity")
            for w in PROFANITY:
                if profane(w, low) and not (w == "kanker" and "literal-kanker" in r["tags"]):
                    errors.append(f"{p['id']}: benign contains {w!r}")
            for cn in codenames:
                if cn in low:
                    errors.append(f"{p['id']}: benign contains codename {cn!r}")
            for d in idomains:
                if d in low:
                    errors.append(f"{p['id']}: benign contains internal domain {d!r}")
            for mk in markers:
                if mk in low:
                    errors.append(f"{p['id']}: benign contains marker {mk!r}")
            if re.search(r"\b(sk_live_|xox[bp]-|AKIA[A-Z2-7]{16}|glpat-|shpat_|SG\.|BEGIN [A-Z ]*PRIVATE)", t):
                errors.append(f"{p['id']}: benign contains a secret shape")
            exempt = {"second-hand", "discount-amount", "competitor-price", "financing", "ratio-edge"}
            if not (exempt & r["tags"]):
                for prod in profile["products"]:
                    for nm in [prod["name"]] + prod["aliases"]:
                        for m in re.finditer(re.escape(nm.casefold()), low):
                            window = low[m.end():m.end() + 45]
                            for am in AMOUNT.finditer(window):
                                v = amount(am.group(1) or am.group(2))
                                if v is not None and v < profile["pricing"]["alert_below_ratio"] * prod["list_price"]:
                                    errors.append(f"{p['id']}: benign price {v} below ratio for {nm}")
        else:
            if e["severity"] == "none":
                errors.append(f"{p['id']}: positive with severity none")
        if cats and ABUSE not in cats:
            for w in PROFANITY:
                if profane(w, low):
                    errors.append(f"{p['id']}: profanity {w!r} but no abuse label")
        if "reputation.spike" in cats:
            errors.append("spike on a single post")
    return errors


def report(rows):
    cat = Counter()
    for r in rows:
        for c in r["expect"]["categories"]:
            cat[c] += 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"cases {len(rows)}  benign {benign}  positives {len(rows) - benign}  multi-label {multi}")
    for c in sorted(cat):
        print(f"  {c:22s} {cat[c]}")
    print("  roles", dict(Counter(r["role"] for r in rows)))
    print("  langs", dict(Counter(r["lang"] for r in rows)))
    print("  severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  platforms", dict(Counter(r["post"]["platform"] for r in rows)))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    out = dump(rows)
    errs = check(out, rows, profile)
    if a.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != out:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
        for e in errs:
            print("ERROR", e)
        sys.exit(1 if errs else 0)
    if errs:
        for e in errs:
            print("ERROR", e)
        sys.exit(1)
    OUT.write_text(out, encoding="utf-8")
    report(rows)


if __name__ == "__main__":
    main()
