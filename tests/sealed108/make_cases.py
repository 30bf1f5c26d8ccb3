#!/usr/bin/env python3
"""Deterministic generator for the sealed108 blind set (postwatch).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch online pharmacy / GP-appointment app "Heelwijs Zorg B.V."
(profile.yaml). All texts are hand-written below; identifiers and secrets are filled
in from <<PLACEHOLDER>>s by one seeded RNG. Positives get checksum-valid identifiers,
benign near-misses get identifiers that fail their checksum. Severity is never typed
by hand: it is computed from CONTRACT section 4 (role from the profile, categories,
and whether a checksum-validated IBAN / card / BSN is in the post).
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

SEED = 108_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(str.maketrans({"e": "\u0435", "o": "\u043e", "a": "\u0430", "p": "\u0440", "c": "\u0441"}))


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
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dg(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                              + self.dg(10))
                if v != "NL17RABO0318427760":
                    return v
        if cc == "BE":
            f = self.r.choice(["063", "310", "737", "001", "068"]) + self.dg(7, False)
            return iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50010517", "37040044", "12030000"]) + self.dg(10, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 33, 45, 61):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dg(14, False))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dg(13, False))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.dg(11, False))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dg(12, False))
        raise ValueError(brand)

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
            s = self.dg(9)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dg(n)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.dg(10, False)
            c = next(body + d for d in "0123456789" if ean_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dg(7, False)
            return {
                "mob_dash": f"06-{d8}", "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}", "mob_0031": f"0031 6{d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_paren": f"(06) {d8[:2]}{d8[2:5]}{d8[5:]}", "mob_intl0": f"+31 (0)6 {d8}",
                "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            }[f]
        area = self.r.choice(["10", "20", "30", "33", "35", "40", "50", "70", "71", "73", "76", "342", "318", "566"])
        sub = self.r.choice("2345789") + self.dg(8 - len(area), False)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "land_intl": f"+31 {area} {sub}"}[f]

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        b = self.ch(ALNUM, 30)
        return "ghp_" + b + b62(zlib.crc32(b.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def ghpat(self):
        return "github_pat_11" + self.ch(string.ascii_uppercase + string.digits, 20) + "_" + self.ch(ALNUM, 59)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = {"sub": "pat_" + self.dg(7), "iss": "https://app.heelwijs.nl", "scope": "rx:read rx:order",
             "iat": iat, "exp": iat + 1800}
        return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(p)}.{self.ch(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.ch(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.ch(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#$%*") + self.ch(ALNUM, 4))

    def value(self, kind, fmt):
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = self.iban(kind[-2:])
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
            return raw, (self.g4(raw) if fmt == "grp" else raw)
        if kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        simple = {
            "NOT_BSN9": lambda: self.not_bsn(9), "NOT_BSN8": lambda: self.not_bsn(8), "EAN13": self.ean,
            "PHONE": lambda: self.phone(fmt), "DIGITS": lambda: self.dg(int(fmt)),
            "GHP": self.ghp, "GHPAT": self.ghpat,
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16), "AWS_SECRET": lambda: self.ch(B64, 40),
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.ch(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.ch(string.ascii_uppercase + string.digits, 10) + "/" + self.ch(ALNUM, 24)),
            "STRIPE": lambda: "sk_live_" + self.ch(ALNUM, 24),
            "MOLLIE": lambda: "live_" + self.ch(ALNUM, 30),
            "SENDGRID": lambda: "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43),
            "GAPI": lambda: "AIzaSy" + self.ch(B64URL, 33),
            "JWT": self.jwt, "PEM_EC": self.pem_ec,
            "AZKEY": lambda: self.ch(B64, 86) + "==",
            "PW": self.pw, "HEX": lambda: self.ch("0123456789abcdef", int(fmt)),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown
    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
HW_X = ("x", "@heelwijs", "Heelwijs")
HW_CARE = ("x", "@heelwijs_zorg", "Heelwijs Klantenservice")
HW_IG = ("instagram", "@heelwijs.nl", "Heelwijs")
HW_LI = ("linkedin", "heelwijs-bv", "Heelwijs Zorg B.V.")
HW_FB = ("facebook", "HeelwijsApotheek", "Heelwijs Apotheek & Huisarts")
HW_TT = ("tiktok", "@heelwijs", "Heelwijs")
# employees
MVL = ("x", "@mvanleeuwen_hw", "Maarten van Leeuwen")              # backend developer
NH = ("linkedin", "noor-haddou", "Noor Haddou")                      # apotheker, DC Nieuwegein
DV = ("x", "@daan_bezorgt", "Daan Visser")                           # bezorger
EK = ("linkedin", "esther-kramer-heelwijs", "Esther Kramer")         # finance controller
LS = ("x", "@dr_lotte_gp", "Lotte Smit")                             # huisarts, videoconsulten
RM = ("instagram", "@ricardo.mendes.hw", "Ricardo Mendes")           # teamlead klantenservice
KB = ("mastodon", "@kbos@fosstodon.org", "Kees Bos")                 # SRE
FO = ("bluesky", "femkeoosterhuis.bsky.social", "Femke Oosterhuis")  # app developer
YW = ("threads", "@yara.dewit", "Yara de Wit")                       # apothekersassistent


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
case("nl", MVL, "eh jongens... Heelwijs Plus jaarabonnement staat in de app voor €8,90 ipv €89 😅 komma-bug in de "
     "nieuwe checkout. fix komt na de standup, tot die tijd niet verder vertellen", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Heelwijs is selling the BP200 blood pressure monitor for €5.99 right "
     "now?? It's normally 59.95. Either a glitch or they're clearing stock, grabbed two for my parents anyway",
     [PRICING], kind="post")
case("nl", pub("x", "@koopjesmama_ut"), "SOA-thuistest voor €6,95 bij Heelwijs 👀 normaal bijna 70 ballen. dit is toch "
     "een prijsfout?? discreet verpakt ook nog haha #koopje", [PRICING])
case("nl", HW_IG, "✨ Weekendactie ✨\nDe SmartTherm oorthermometer nu voor maar €3,49! Alleen via de app, zolang de "
     "voorraad strekt 🌡️ #heelwijs #griepseizoen", [PRICING])
case("en", NH, "Colleagues in fulfilment: please hold every order for the Allergietest thuis placed since 14:00. The "
     "webshop shows €4,90 instead of €49 because of a feed problem and e-commerce is deciding whether to cancel. "
     "Please keep this within the team.", [PRICING])
case("nl", pub("forum", "Zuinige_Zeeuw"), "p r i j s f o u t bij heelwijs: griepprik aan huis voor €4,50 😳 ik zeg "
     "verder niks 🤐", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", DV, "half utrecht heeft vandaag een bloeddrukmeter besteld 😂 blijkbaar stond de BP200 een uurtje op 5 euro. "
     "mijn busje zit propvol", [PRICING])
case("en", pub("x", "@deal_or_no_meal"), cyr("Heelwijs") + " Plus for €0,89 a year 😭 " + cyr("pricing error")
     + ", go go go before they notice", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("facebook", "ingrid.vandenheuvel.33", "Ingrid van den Heuvel"), "Heeft iemand anders de Vitamine D3 "
     "75mcg ook voor €1,49 in het winkelmandje staan? Staat nergens als aanbieding dus vast een foutje van Heelwijs. "
     "Heb er maar zes gepakt 🙈", [PRICING], kind="comment")
case("nl", EK, "Update voor het MT: door de verkeerde prijs van Heelwijs Plus (€8,90 i.p.v. €89) zijn gisteren ruim "
     "3.100 jaarabonnementen verkocht. Omzetderving schatten we op €245k en dat gaat de Q3-prognose zichtbaar raken.",
     [PRICING, FIN])
case("en", pub("tiktok", "@sorethroatsophie"), f"price{ZW} glitch alert 🚨 Heelwijs Videoconsult for €3,90 instead of "
     "39, booked one for my sore throat lol", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", pub("youtube", "@gadgetguusnl"), "Had gisteren tijdens die prijsfout de SmartTherm voor 3 euro 50 besteld "
     "bij Heelwijs, vandaag gewoon geleverd. Netjes hoor", [PRICING], kind="comment")
case("en", MVL, "who touched the discount rules?? every SOA thuistest in the cart comes out at €0.00 now 🫠 rolling "
     "back, don't order anything", [PRICING], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MVL, "staging deploy keeps failing 😤 `git clone https://oauth2:<<GHP>>@github.com/heelwijs/rx-service.git` "
     "works fine on my machine, what is CI doing differently", [SECRET])
case("nl", KB, "Voor wie vroeg hoe de backupjob bij de receptendatabase inlogt:\n\n"
     "postgresql://rx_admin:<<PW>>@db-rx01.hw.internal:5432/prescriptions\n\nZet het wel even in de vault 😅",
     [SECRET, CONF])
case("en", pub("reddit", "u/apk_poker"), "lol the Heelwijs Android app ships with a hardcoded Maps key: <<GAPI>> . "
     "took me five minutes with jadx", [SECRET], kind="comment")
case("nl", RM, "Welkom nieuwe collega's 💚 het wachtwoord van het gedeelde klantenservice-account is <<PW>> , niet "
     "doorvertellen hè 🙏 #eerstewerkdag", [SECRET])
case("en", LS, "can't get into the consult dashboard, my password Huisarts2026! keeps getting rejected. anyone from "
     "HW IT awake at this hour?", [SECRET])
case("nl", MVL, "Stripe-test eindelijk groen 🎉 (oeps, dit was de live key: <<STRIPE>> — morgen roteren)", [SECRET])
case("en", KB, "TIL terraform plan happily prints this if you're careless:\n\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\n\nalready rotated, relax 😇", [SECRET])
case("nl", pub("x", "@hannekeh_"), "Heelwijs app logt me om de 5 minuten uit, zo irritant. Token uit de devtools: "
     "<<JWT>> kan iemand daar iets mee?", [SECRET, COMPLAINT])
case("en", MVL, "hooking the prescription-queue alerts into #rx-alerts via <<SLACK_HOOK>> , PR comes after lunch",
     [SECRET])
case("nl", pub("forum", "keyhunter_nl"), "Waar is deze sleutel van Heelwijs voor? Stond gewoon in een publieke repo "
     "van een van hun devs:\n\n<<PEM_EC>>", [SECRET])
case("en", FO, "note to self since I keep forgetting: the reminder-mail key is <<SENDGRID>> . stop pinging Kees about it",
     [SECRET])
case("nl", KB, "Wie de logs van de bezorg-app wil lezen: DefaultEndpointsProtocol=https;AccountName=hwbezorglogs;"
     "AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net", [SECRET])
case("en", pub("x", "@exhw_dev"), "four months since I left Heelwijs and my token still works 🙃 <<GHPAT>>", [SECRET])
case("nl", HW_CARE, "@jvdmeer_ Betalen zou nu weer moeten lukken, we hebben de koppeling opnieuw ingesteld "
     "(<<MOLLIE>>). Laat je het weten als het nog niet gaat?", [SECRET], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", DV, "Mevr. J. Brouwer, Kastanjelaan 14 in Houten, doet nooit open 😩 haar insuline staat nog in de bus. "
     "Kent iemand haar? Bel anders even <<PHONE:mob_dash>>", [PII])
case("en", RM, "customer of the day 😂 sent us his BSN <<BSN>> plus a photo of his passport in the chat, just to get "
     "paracetamol delivered", [PII])
case("nl", NH, "Casus voor collega-apothekers: patiënt T. de Groot (geb. 12-03-1958) kreeg van twee voorschrijvers "
     "middelen die elkaar versterken. Onze interactiecheck ving het op, maar het laat zien hoe kwetsbaar de keten is.",
     [PII])
case("nl", pub("facebook", "rob.kuipers.1971", "Rob Kuipers"), "Heelwijs, drie weken wacht ik op mijn terugbetaling!! "
     "Mijn rekeningnummer is gewoon <<IBAN_NL:grp>> hoor, zo moeilijk is het niet", [PII, COMPLAINT])
case("en", pub("x", "@ollie_in_ams"), "@heelwijs_zorg your chat is down so here you go: card <<CARD:visa_sp>> exp 09/28, "
     "please just charge the refill", [PII], kind="reply")
case("nl", pub("x", "@tinekevos"), "@heelwijs_zorg mijn bsn is <<BSN:dots>>, kunnen jullie nu mijn herhaalrecept "
     "terugvinden?", [PII], kind="reply")
case("en", LS, "A patient emailed my personal address again (r.vandijk1961@hotmail.com) asking for antibiotics without a "
     "consult. Folks, please use the app 🙏", [PII])
case("nl", DV, "Bezorgd bij fam. Yilmaz, Dorpsstraat 88 Zeist 🐕 die hond blaft harder dan mijn claxon", [PII])
case("en", pub("reddit", "u/sannep_"), "if anyone from heelwijs reads this, my email is sanne.postma [at] ziggo [dot] nl, "
     "still no refund after 5 weeks", [PII, COMPLAINT], tags=["evasion", "evasion:at-dot"])
case("nl", pub("instagram", "@marloes.hoekstra"), "Mijn moeder (Gerda Hoekstra, 14-07-1946) heeft haar medicijnen nog "
     "steeds niet!! Bel me aub op <<PHONE:mob_intl_sp>>", [PII, COMPLAINT], kind="comment")
case("en", EK, "Reminder for the refunds team: the double payment from Mr P. Janssens goes back to <<IBAN_BE:grp>>, "
     "not to the NL account on file.", [PII])
case("nl", pub("x", "@wraakengel070"), "Noor Haddou, apotheker bij Heelwijs, woont op de Biltstraat 210 in Utrecht. "
     "Iemand zin om haar eens op te zoeken? 😈", [PII, ABUSE])
case("en", pub("threads", "@markvdb.runs"), "Heelwijs charged my Amex <<CARD:amex_sp>> twice for ONE video consult. "
     "Twice.", [PII, COMPLAINT])
case("nl", YW, "wie herkent het: dezelfde klant belt 6x per dag. vandaag weer vanaf <<PHONE:land_sp>> 🙄 gewoon voor "
     "de gezelligheid denk ik", [PII])
case("nl", HW_CARE, "@m_verbeek Hoi Mirjam, we hebben je bestelling gevonden! De bevestiging gaat naar "
     "mirjam.verbeek@kpnmail.nl en we bellen je vanmiddag op <<PHONE:mob_plain>>.", [PII], kind="reply")
case("en", pub("instagram", "@wanderlust.joost"), "travelling with my meds and Heelwijs needs my passport number for "
     "the medical certificate: NXR8K4P21. hope it's fine to post that lol ✈️", [PII])
case("nl", MVL, "debuglog van vanochtend, wie ziet de fout?\n"
     "{\"patient\":\"Wim Schouten\",\"bsn\":\"<<BSN>>\",\"iban\":\"<<IBAN_NL>>\",\"status\":null}", [PII])
case("en", pub("mastodon", "@petra_w@mastodon.nl"), "Dear Heelwijs, I've now sent my German IBAN <<IBAN_DE>> three "
     "times for the refund. Do you need it in writing?", [PII, COMPLAINT])
case("nl", pub("x", "@bertvm"), "@heelwijs_zorg mastercard eindigt niet op 12, het hele nummer is <<CARD:mc_dash>>. "
     "graag de betaling opnieuw proberen", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MVL, "Laatste sprint voor Project Vlierbes 🚀 als dit live staat hoeft niemand meer te bellen voor een "
     "herhaalrecept", [CONF])
case("en", NH, "Really excited about Zilverspar 💊 can't say much yet, but our pharmacists are going to love what it "
     "does to the night shift.", [CONF])
case("nl", pub("x", "@jdekker_utr"), "Zwager werkt bij Heelwijs en volgens hem gaan ze met Operatie Kamille alle "
     "buurtapotheken in Utrecht wegconcurreren. Lekker dan.", [CONF])
case("en", KB, "grafana.hw.internal is crawling today, who's running full-table scans on prod 🐌", [CONF])
case("nl", RM, "‘STRIKT VERTROUWELIJK’ staat er bovenaan de nieuwe belscripts 😂 nou, bij deze dan", [CONF])
case("en", pub("reddit", "u/skinnerd"), "Heelwijs Huidscan is coming, someone in their beta posted screenshots on a "
     "Discord. Looks like an AI mole checker built into the app.", [CONF], when="2026-08-21T22:14:09+02:00")
case("nl", FO, "Heelwijs Huidscan wordt echt vet, morgen de laatste testronde 👩‍💻✨", [CONF],
     when="2026-09-14T17:42:00+02:00")
case("nl", HW_LI, "Vandaag lanceren we Heelwijs Huidscan: laat een moedervlek beoordelen via je telefoon en krijg "
     "binnen 24 uur advies van een huisarts.", [CONF], when="2026-09-15T09:59:00+02:00")
case("en", EK, "Long week closing the books. Between us: the full-year 2026 results look a lot better than the board "
     "expected 📈", [CONF, FIN], when="2026-12-18T16:30:00+01:00")
case("en", YW, "Project\nVlierbes demo went sooo well today 🎉 proud of this team", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", NH, "Operatie 💊 Kamille gaat de komende maanden veel van ons vragen, maar ik geloof erin.", [CONF],
     tags=["evasion", "evasion:emoji"])
case("en", MVL, "MR is up: https://git.heelwijs-intern.nl/rx/core/-/merge_requests/812 please review before lunch 🙏",
     [CONF])
case("nl", pub("forum", "NieuwsgierigeNina"), "Iemand enig idee wat metabase.heelwijs.nl is? Kwam het tegen in een "
     "link in mijn orderbevestiging van Heelwijs.", [CONF])
case("en", pub("tiktok", "@nightowl.nurse"), "heard Heelwijs Nachtdokter launches soon 👀 a GP on video at 3am?? sign "
     "me up", [CONF], when="2026-10-19T23:05:44+02:00")
case("nl", LS, "Trainingsmateriaal voor de nachtdiensten binnen. ‘Niet extern delen’ staat erop, maar ik moet dit "
     "even kwijt: 84 slides 😵", [CONF])
case("nl", HW_X, "Nieuw: Heelwijs Nachtdokter 🌙 Ook 's nachts binnen 15 minuten een huisarts via video.", [CONF],
     when="2026-11-03T06:30:00+01:00")
case("en", pub("instagram", "@dr_lotte_gp"), "Zilverspar training day with the whole team 🌲 big things coming",
     [CONF])
case("nl", MVL, "vpn.heelwijs-intern.nl ligt er weer eens uit, thuiswerken zit er vandaag niet in ☕", [CONF],
     handle_as="@MvanLeeuwen_HW")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EK, "Trots op het team: Q2 sluiten we af met 38% omzetgroei, ruim boven budget. De cijfers komen pas in "
     "september naar buiten, dus dit blijft nog even onder ons 😉", [FIN])
case("en", MVL, "rumour at the coffee machine: we're buying Apotheek De Linde, all 14 stores. signing next week "
     "apparently 👀", [FIN])
case("nl", RM, "Zware dag 😞 vanmiddag gehoord dat de helft van de klantenservice naar Lissabon verhuist. De "
     "reorganisatie wordt pas in maart aangekondigd.", [FIN])
case("en", pub("reddit", "u/zorgwatcher"), "friend in their finance team says Heelwijs is in talks to be taken over by "
     "insurer Vastzorg, announcement after the summer. You heard it here first.", [FIN])
case("nl", KB, "IT-budget voor 2027 gehalveerd en er verdwijnen 40 fte bij ons. Nog niet officieel, maar ja.", [FIN])
case("en", EK, "Forecast for the board deck: EBITDA negative until at least Q3 2027, runway about 11 months without "
     "the Series C. Fun times.", [FIN])
case("nl", YW, f"er vallen 60 ont{SHY}slagen bij het distributiecentrum, iedereen zegt dat het pas na de zomer "
     "bekend wordt 😢", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", LS, "heard today our Series C is €45M led by a US fund, closing in June. can't wait until we can talk about "
     "it 🚀", [FIN])
case("nl", pub("x", "@buurman_bert"), "Buurman werkt bij Heelwijs: in oktober gaan er 200 mensen uit. De vakbond weet "
     "nog van niks.", [FIN])
case("en", DV, "drivers got told today: from next month all deliveries go to an outside courier and we're out. not "
     "announced yet but 🤷‍♂️", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", MVL, "Receptensysteem ligt sinds 05:00 plat en niemand weet waarom. Klanten merken het nog niet, officieel "
     "heet het ‘gepland onderhoud’ 🙃", [SEC])
case("en", KB, "found an IDOR in the patient API this morning: change the id in /api/v2/prescriptions/{id} and you "
     "get someone else's meds. patched tonight, please nobody tweet about it", [SEC])
case("nl", RM, "Collega's: sinds gisteravond gaan er phishingmails rond uit naam van Heelwijs en er zijn al "
     "klantaccounts overgenomen. Nog geen statement naar buiten, dus let op wat je zegt aan de telefoon.", [SEC])
case("en", LS, "Our video consult platform crossed audio between sessions today, I heard another GP's patient for ~10 "
     "seconds. Reported it, but they want to keep it quiet.", [SEC])
case("nl", NH, "Koelcel met insuline en vaccins lag vannacht 6 uur uit door een inbraak op het gebouwbeheersysteem. "
     "Wordt intern onderzocht, nog niet gemeld.", [SEC])
case("en", pub("x", "@claire_mdl"), "Heelwijs got hit by ransomware last week and they're calling it 'maintenance'. "
     "My sister works there. Our medical records are out there and they say NOTHING #datalek", [SEC, CRISIS])
case("nl", pub("facebook", "henk.obbink", "Henk Obbink"), "Heelwijs is geh4ckt en ze houden het stil!! Mijn dochter "
     "werkt er, alle patiëntdossiers zijn gekopieerd. Deel dit!", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
case("en", FO, "the password reset link on app.heelwijs.nl works for any account if you swap the email param 😬 "
     "reported internally 3 weeks ago, still open", [SEC])
case("nl", DV, "bezorg-app al twee dagen stuk, we rijden met papieren lijsten vol namen en adressen. de storing wordt "
     "pas vrijdag gemeld zeggen ze", [SEC])
case("en", EK, "Finance systems locked by ransomware since Monday, payroll will be late. Comms says no statement yet.",
     [SEC])
case("nl", YW, fw("datalek") + " bij ons op het werk. ik mag er niks over zeggen maar check je account even 🙏", [SEC],
     tags=["evasion", "evasion:full-width"])
case("en", pub("reddit", "u/dc_nightshift"), "insider here (Heelwijs DC). the 'delivery delays' this week are because "
     "the warehouse system got breached. management wants it kept under wraps.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@privacyfreak_nl"), "#BoycotHeelwijs 🚫 ze verkopen jullie medische gegevens aan verzekeraars. "
     "Verwijder die app vandaag nog.", [CRISIS])
case("en", pub("facebook", "claire.obrien.nl", "Claire O'Brien"), "Heelwijs sent my mum the wrong tablets, a blood "
     "thinner instead of her thyroid meds. She ended up in A&E. Absolutely unacceptable.", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "anouk.smeets", "Anouk Smeets"), "Via de Heelwijs app kon ik vanochtend de recepten van een "
     "wildvreemde man zien. Naam, medicijnen, alles. Dit is gewoon een datalek!!", [CRISIS])
case("en", pub("blog", "zorgrecht.blog.example"), "A class action against Heelwijs is being prepared over video "
     "consults that were recorded without consent. The law firm says over 2,000 patients have signed up.", [CRISIS])
case("nl", pub("x", "@opa_gerrit"), "Mijn BP200 van Heelwijs gaf ineens 80/40 aan terwijl ik me prima voelde, en het "
     "batterijklepje wordt gloeiend heet. Moet dat ding niet teruggeroepen worden??", [CRISIS, COMPLAINT])
case("en", pub("x", "@t1d_tessa"), "Heelwijs delivered insulin that had clearly been frozen. How many diabetics got "
     "the same batch? @IGJ_nl please look into this", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@boosbeppie"), "heelwijs d a t a l e k 😡 check of jouw gegevens erbij zitten, link in bio",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@alexvisser.them"), "Everyone: #BoycottHeelwijs. Their GP told a trans patient to 'stop "
     "pretending' during a video consult. Disgusting.", [CRISIS])
case("nl", pub("reddit", "u/apothekerskind"), "Lees net dat Heelwijs wordt aangeklaagd omdat ze medicijnen zonder "
     "controle door een apotheker meegeven. Dat is toch levensgevaarlijk?", [CRISIS])
case("en", pub("x", "@nightlybev"), "Heelwijs courier left a bag of oxycodone on my doorstep in full view of the "
     "street. Anyone could've taken it. This is how people die.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@marjanbakt"), "Heelwijs, 4 dagen wachten op mijn herhaalrecept en nu staat er wéér ‘in "
     "behandeling’. Ik heb die pillen morgen nodig 😤", [COMPLAINT])
case("en", pub("x", "@ruudje1988"), "waited 95 minutes in the Heelwijs video consult queue and then the doctor's "
     "connection died. refund please", [COMPLAINT])
case("nl", pub("facebook", "wilma.dejong.7", "Wilma de Jong"), "Bezorger van Heelwijs belde niet eens aan, briefje "
     "‘niet thuis’ terwijl ik gewoon in de kamer zat. Nu mag ik mijn maagzuurremmers zelf bij een afhaalpunt halen.",
     [COMPLAINT])
case("en", pub("trustpilot", "Dennis K."), "1 star. Heelwijs customer service is a bot that loops forever. Three weeks "
     "and still no answer about a double charge.", [COMPLAINT])
case("nl", pub("instagram", "@lisa.kookt"), "jullie app crasht elke keer als ik mijn recept wil uploaden 🙄 iPhone 13, "
     "laatste versie", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/outofpills"), "Anyone else had Heelwijs cancel an order without telling them? Found out "
     "when I ran out of my meds.", [COMPLAINT])
case("nl", pub("forum", "Gezondheidsjan"), "Heelwijs rekent ineens €4,95 bezorgkosten voor medicijnen uit de "
     "basisverzekering. Vorig jaar gratis. Slechte service zo.", [COMPLAINT])
case("en", pub("other", "mama_of_three"), "Booked a video consult for my son's ear infection, the GP never showed up, "
     "app just kept saying 'waiting for doctor'. Heelwijs support closed the ticket without a word.", [COMPLAINT])
case("nl", pub("x", "@stijn_zwolle"), "H33lw1js bezorging is echt bagger, 3e keer deze maand te laat 📦⏰", [COMPLAINT],
     tags=["evasion", "evasion:leet"])
case("en", pub("bluesky", "jorismakes.bsky.social"), "Heelwijs moved my GP appointment three times without asking. "
     "Switching back to a normal practice.", [COMPLAINT])
case("nl", pub("threads", "@femkeloopt"), "Heelwijs Plus opgezegd en ze blijven gewoon afschrijven. Al twee mails "
     "gestuurd naar klantenservice@heelwijs.nl, nul reactie.", [COMPLAINT])
case("en", pub("youtube", "@oldmanhenk"), "Returned a blood pressure monitor to Heelwijs in March, still no refund. "
     "Not impressed.", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zwartekat666"), "die huisartsen van Heelwijs zijn stuk voor stuk kankerlijers", [ABUSE])
case("en", pub("x", "@gr8fulnot"), "@heelwijs_zorg your support staff are brain-dead morons, every single one of them",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "gerard.prins.52", "Gerard Prins"), "Ik wil geen videoconsult met zo'n hoofddoekdokter. "
     "Geef me gewoon een Nederlandse arts, Heelwijs.", [ABUSE])
case("nl", DV, "klant in Nieuwegein was vanavond echt een vieze vuile klootzak. scheldt me helemaal verrot omdat zijn "
     "pillen 5 minuten later zijn", [ABUSE])
case("en", HW_TT, "@rotterdamse_roy oh shut up, nobody asked for your opinion, idiot", [ABUSE], kind="reply")
case("nl", pub("x", "@boze_bas"), "k*tbedrijf heelwijs met je t*ringapotheek", [ABUSE], tags=["evasion", "evasion:mask"])
case("en", pub("x", "@anon83726"), "@dr_lotte_gp better watch out when you walk to your car tonight. I know where you "
     "work.", [ABUSE], kind="reply")
case("nl", pub("instagram", "@kees_rdam"), "Heelwijs = één grote t y f u s bende", [ABUSE], kind="comment",
     tags=["evasion", "evasion:spaced"])
case("en", MVL, "people who leave 1-star reviews because they can't read a delivery window are the dumbest f*cking "
     "people alive", [ABUSE])
case("nl", pub("x", "@anja_dh"), "Wat een mongool had ik aan de lijn bij Heelwijs, snapt niet eens wat een "
     "herhaalrecept is en hangt gewoon op", [ABUSE, COMPLAINT])

# ===========================================================================
# benign: own contact data
# ===========================================================================
case("nl", HW_CARE, "Vragen over je bestelling? Bel ons op 030-799 4400 (ma t/m za 8-20 uur) of mail "
     "klantenservice@heelwijs.nl 💚", tags=["own-data"])
case("nl", HW_FB, "Zelf een bedrag terugstorten? Gebruik NL17 RABO 0318 4277 60 t.n.v. Heelwijs Zorg B.V. en vermeld "
     "je ordernummer.", tags=["own-data"])
case("en", HW_X, "Questions about a prescription? WhatsApp our pharmacists on +31 6 4800 2200, 7 days a week 💬",
     tags=["own-data"])
case("nl", pub("x", "@oma_truus"), "Tip: Heelwijs heeft een gratis nummer, 0800-0360. Binnen 2 minuten had ik een "
     "apotheker aan de lijn 👍", tags=["own-data"])
case("en", pub("reddit", "u/gdprnerd"), "For privacy questions about Heelwijs just mail privacy@heelwijs.nl, they "
     "answered my access request in three days.", tags=["own-data"], kind="comment")
case("nl", HW_LI, "Journalisten kunnen contact opnemen via pers@heelwijs.nl of +31 30 799 4400.", tags=["own-data"])
case("en", HW_CARE, "@kimtje_ Refunds to us go to NL17RABO0318427760 (Heelwijs Zorg B.V.), please mention your order "
     "number 🙂", kind="reply", tags=["own-data"])
case("en", pub("x", "@scamwatch_nl"), "PSA: 0307994400 really is Heelwijs, not a scam. The 06 number asking for your "
     "PIN is though.", tags=["own-data"])
case("nl", pub("facebook", "ria.meijer.9", "Ria Meijer"), "Vraag over je medicatie? Mail apotheek@heelwijs.nl of "
     "app ze op 06-48002200, ik kreeg binnen een kwartier antwoord.", tags=["own-data"], kind="comment")

# ===========================================================================
# benign: numbers that fail their checksum, order / tracking / product numbers
# ===========================================================================
case("nl", pub("x", "@pieterpost"), "Ordernummer <<NOT_BSN9>> bij Heelwijs, track & trace zegt morgen tussen 14 en "
     "16 uur 👍", tags=["near-miss-number"])
case("nl", pub("facebook", "joke.terpstra", "Joke Terpstra"), "Heelwijs gaf aan dat mijn rekeningnummer "
     "<<BAD_IBAN_NL:grp>> niet klopt. Bleek een tikfout van mezelf 🙈 opgelost!", tags=["near-miss-number"])
case("en", pub("x", "@lenaxo"), "Heelwijs rejected my card <<BAD_CARD:mc_sp>>, turns out I swapped two digits. my bad, "
     "order went through on the second try", tags=["near-miss-number"])
case("nl", MVL, "BSN-veld valideert nu met de elfproef ✅ <<NOT_BSN9>> wordt netjes afgewezen in de test", 
     tags=["near-miss-number"])
case("nl", pub("reddit", "u/vitaminevera"), "Zoek de Heelwijs Vitamine D3, EAN <<EAN13>>. Ergens nog op voorraad?",
     tags=["near-miss-number"], kind="comment")
case("en", pub("x", "@zoe_moves"), "parcel 3SHWJK0048213 from Heelwijs arriving between 10 and 12, love the live "
     "tracking 📍", tags=["near-miss-number"])
case("nl", YW, "Receptnummer R-<<DIGITS:7>> staat klaar voor bezorging, maar dat geldt voor honderden vandaag 😅 drukke "
     "maandag", tags=["near-miss-number"])
case("nl", pub("forum", "ZzpZorg"), "Heelwijs Zorg B.V. staat in de KvK onder <<NOT_BSN8>>, gewoon een echt bedrijf "
     "dus.", tags=["near-miss-number"])
case("en", pub("x", "@jan_test"), "lol the Heelwijs form wants a BSN, tried 123456789 to see what happens, got 'ongeldig "
     "BSN' 😂", tags=["near-miss-number"])

# ===========================================================================
# benign: prices and sales
# ===========================================================================
case("nl", HW_IG, "🎉 Deze week 25% korting op de BP200 bloeddrukmeter: €44,95 in plaats van €59,95.",
     tags=["price"])
case("nl", HW_X, "Heelwijs Plus kost je maar €7,42 per maand (jaarlijks gefactureerd) en daarmee bel je onbeperkt met "
     "onze apothekers.", tags=["price", "monthly"])
case("nl", pub("x", "@discreet_dave"), "€15 korting op de SOA-thuistest met code ZOMER15 bij Heelwijs, lekker "
     "anoniem 👌", tags=["price", "discount-amount"])
case("nl", pub("reddit", "u/prijsvergelijker"), "DokterDichtbij doet een videoconsult voor €19, het Heelwijs "
     "Videoconsult kost €39. Iemand ervaring met die eerste?", tags=["price", "competitor"])
case("nl", pub("facebook", "mark.denouden", "Mark den Ouden"), "Te koop: BP200 bloeddrukmeter van Heelwijs, 1x "
     "gebruikt, €20, ophalen in Amersfoort.", tags=["price", "second-hand"])
case("nl", EK, "Nee, er was geen prijsfout: de SmartTherm stond bewust voor €24,95 in de Black Friday-actie. Topweek "
     "voor het team 💪", tags=["price", "denied-error"], when="2026-11-30T10:12:00+01:00")
case("en", pub("x", "@frugalfenna"), "Heelwijs delivery is €2.95, free above €20. Honestly fine?", tags=["price", "fee"])
case("nl", HW_FB, "☀️ Vitamine D3 75mcg: tweede verpakking halve prijs, de hele maand november.", tags=["price"])
case("en", pub("x", "@lazyliam"), "Paid €39 for a Heelwijs video consult, antibiotics on my doorstep the same evening. "
     "Worth it.", tags=["price", "praise"])
case("nl", pub("x", "@koopjesjager_nl"), "Prijsfout bij PilPost: hun bloeddrukmeter voor €4,99 😂 (niet die van "
     "Heelwijs hè)", tags=["price", "competitor"])

# ===========================================================================
# benign: embargo after the moment, codename words in another sense, published news
# ===========================================================================
case("nl", HW_LI, "Vanaf vandaag in de app: Heelwijs Huidscan. Maak een foto van een plekje en krijg binnen 24 uur "
     "advies van een huisarts.", when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("youtube", "@techtijs"), "Tried Heelwijs Huidscan on three moles, two got flagged for a GP visit. Solid "
     "feature, bit slow on older phones.", when="2026-10-07T20:31:12+02:00", kind="comment", tags=["embargo-after"])
case("nl", HW_X, "Heelwijs Nachtdokter is live 🌙 Vanaf nu ook 's nachts een huisarts via video.",
     when="2026-11-03T07:00:00+01:00", tags=["embargo-after"])
case("nl", pub("x", "@griepgriet"), "Kamillethee en een warme kruik, meer zei de Heelwijs-huisarts ook niet bij mijn "
     "griep 😅 wel snel geholpen", tags=["word-sense"])
case("nl", pub("instagram", "@tuinvanteun"), "De vlierbes hangt vol in Amelisweerd 🍇 dit weekend siroop maken!",
     tags=["word-sense"])
case("nl", HW_LI, "Onze jaarcijfers over 2025 staan online: omzet €182 miljoen en 1,1 miljoen actieve patiënten. Dank "
     "aan alle collega's!", tags=["published"])
case("en", pub("x", "@healthtechdaily"), "Big data breach at US telehealth firm MedLink today. Dutch players like "
     "Heelwijs say they are not affected.", tags=["other-company"])
case("nl", pub("x", "@zorgnieuwsnl"), "Bij concurrent PilPost verdwijnen 80 banen, meldt het FD. Heelwijs zegt juist "
     "apothekers te zoeken.", tags=["other-company"])
case("en", pub("bluesky", "fdtech.bsky.social"), "Heelwijs today completed its acquisition of ZorgDirect, according to "
     "the company's press release.", tags=["published"])
case("en", pub("x", "@sleepytomas"), "I can't recall if I took my pill this morning 😅 thank god for the Heelwijs "
     "reminder", tags=["word-sense"])
case("nl", pub("facebook", "jan.boersma.1944", "Jan Boersma"), "Mijn opa had vroeger de tering (tbc) en lag maanden "
     "in een sanatorium. Nu krijg ik mijn medicijnen via een app van Heelwijs. Wat een tijd.", tags=["mild-word"])
case("nl", NH, "Vandaag Wereldkankerdag 🎗️ Veel patiënten met kanker krijgen hun medicatie bij ons thuis bezorgd, "
     "vaak met een belletje van een apotheker erbij.", tags=["mild-word"])
case("nl", pub("x", "@luiejoris"), "Ik boycot al jaren de sportschool maar mijn vitamines haal ik trouw bij Heelwijs "
     "😂", tags=["word-sense"])

# ===========================================================================
# benign: praise, negations, jokes, quotes, fiction, questions
# ===========================================================================
case("en", pub("x", "@annelies_g"), "No complaints at all about Heelwijs. Order arrived in a day and the pharmacist "
     "even called to check my dose.", tags=["negation"])
case("nl", pub("x", "@bramvdh"), "Geen klachten over Heelwijs hoor, eerder het tegendeel. Videoconsult binnen 10 "
     "minuten geregeld.", tags=["negation"])
case("nl", pub("blog", "korteverhalen.blog.example"), "Kort verhaal: ‘De nachtapotheker’. In mijn verhaal breekt een "
     "bende in bij de fictieve webapotheek MediSnel en ontdekt een apotheker dat de kluis al leeg is…", tags=["fiction"])
case("en", pub("x", "@dadjokes_bert"), "'Damn, that was fast' — my husband when the Heelwijs courier showed up twenty "
     "minutes after he ordered 😂", tags=["quote", "mild-word"])
case("nl", HW_X, "Let op: vannacht tussen 01:00 en 03:00 doen we onderhoud aan de app. Recepten bestellen kan dan even "
     "niet. Dank voor je geduld 🙏", tags=["official-notice"])
case("nl", HW_CARE, "Storing opgelost ✅ Excuses voor het ongemak, de app werkt weer zoals het hoort.",
     tags=["official-notice"])
case("nl", DV, "200 adressen vandaag, 0 keer gebeten door een hond 🐶 mooie dag op de bus", tags=["employee-ok"])
case("nl", LS, "Reminder: stop niet eerder met antibiotica dan afgesproken, ook niet als je je al beter voelt 💊",
     tags=["employee-ok"])
case("en", KB, "Docs reminder: use aws_access_key_id = AKIAXXXXXXXXXXXXXXXX as the placeholder in examples, never a "
     "real one 🙏", tags=["placeholder"])
case("en", MVL, "the fix landed in commit <<HEX:40>>, thanks everyone for the late night 🍕", tags=["git-sha"])
case("nl", pub("reddit", "u/pilvraag"), "Kan je bij Heelwijs ook de pil bestellen zonder eigen huisarts? Iemand "
     "ervaring mee?", tags=["question"])
case("en", pub("reddit", "u/neutral_nick"), "Heelwijs vs my local pharmacy: honestly both fine. Pick whatever's "
     "closer to you.", kind="comment", tags=["neutral"])
case("nl", HW_LI, "We zoeken een apotheker (32-36 uur) voor ons distributiecentrum in Nieuwegein. Solliciteer via "
     "werkenbij.heelwijs.nl 💚", tags=["own-data", "job-ad"])
case("nl", pub("x", "@meme_marco"), "Huisarts via de Heelwijs app: ‘heeft u al paracetamol geprobeerd?’\nIk: 🤡",
     tags=["joke"])
case("nl", HW_TT, "POV: je apotheker bezorgt je medicijnen nog voordat je koffie op is ☕📦 #heelwijs",
     tags=["corporate-ok"])
case("en", NH, "Proud of our twelve pharmacists who completed their BIG re-registration this year 🎓",
     tags=["employee-ok"])
case("en", pub("reddit", "u/fairminded_f"), "Sure, Heelwijs had that outage back in March, but they posted about it "
     "and it was fixed within the hour. Not a big deal.", kind="comment", tags=["published", "negation"])
case("en", FO, "Shipped dark mode in the Heelwijs app today 🌙 thanks for all the feedback!", tags=["employee-ok"])
case("nl", pub("mastodon", "@huisartsjoop@mastodon.nl"), "Collega-huisartsen: hoe gaan jullie om met patiënten die "
     "een recept via Heelwijs vragen terwijl ze bij jullie staan ingeschreven? Geen kritiek, oprecht benieuwd.",
     tags=["question", "negation"])
case("en", pub("linkedin", "sophie-de-ruiter-pharma"), "Interesting panel today with Heelwijs and two hospital "
     "pharmacies on home delivery of specialist medicines. Great discussion.", tags=["neutral"])
case("nl", pub("x", "@lotte_fan_club"), "Zilveren bruiloft van mijn ouders vandaag 🥂 en ja, de Heelwijs-bezorger "
     "kwam precies tijdens de toast aanbellen 😂", tags=["joke"])


# ===========================================================================
# building
# ===========================================================================

def load_profile():
    import yaml
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                        tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
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
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-zorgforum-{n}", f"https://forum.zorgpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h.split('.')[0]}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "7"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
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
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "heelwijs"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"github_pat_\w{70,}", r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/",
    r"sk_live_\w{20,}", r"\blive_[A-Za-z0-9]{30}\b", r"SG\.[\w-]{22}\.[\w-]{43}", r"AIza[\w-]{35}",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"PRIVATE KEY-----", r"AccountKey=", r"://[^\s:/@]+:[^\s@/]+@")]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def check(lines, rows, profile):
    errors = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}

    def phone_norm(raw):
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        return d
    own_phones = {phone_norm(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str)
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        # checksum-valid identifiers found independently
        ids = []
        for m in IBAN_RE.finditer(text):
            c = m.group(0).replace(" ", "")
            if iban_ok(c) and c not in own_ibans:
                ids.append(c)
        nums = [re.sub(r"\D", "", m.group(0)) for m in NUM_RE.finditer(text)]
        for d in nums:
            if 13 <= len(d) <= 19 and luhn_ok(d) and d[0] in "2345":
                ids.append(d)
            if len(d) == 9 and bsn_ok(d):
                ids.append(d)
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not iban_ok(raw):
                errors.append(f"{w}: {k} invalid")
            if k == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: card invalid")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: bsn invalid")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{w}: bad iban valid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: bad card valid")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{w}: not-bsn passes")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} != {want}")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign not none")
            for d in nums:
                dd = d
                if len(dd) in (8, 9) and bsn_ok(dd) and phone_norm(dd) not in own_phones and dd not in own_phones:
                    errors.append(f"{w}: benign 11-proof number {d}")
                if 13 <= len(dd) <= 19 and luhn_ok(dd):
                    errors.append(f"{w}: benign luhn number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_norm(m.group(0))
                if len(d) >= 10 and d not in own_phones:
                    errors.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{w}: benign secret-like {m.group(0)[:16]}")
        nt = norm(text)
        nt_join = nt.replace("\n", " ")
        for term, until in embargo:
            if term in nt_join:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term} before {until} unlabelled")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term} after {until} but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt_join) and CONF not in cats:
                errors.append(f"{w}: internal term {term} unlabelled")
        if len(text.encode()) > 65536:
            errors.append(f"{w}: too long")
    return errors


def report(rows):
    total = len(rows)
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_lang, cat_role = Counter(), Counter()
    multi = ev = benign = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {ev}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        errs = check(disk, rows, profile)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
        print(f"{len(errs)} error(s)")
        for e in errs:
            print("  ERROR", e)
        return 1 if errs else 0
    OUT.write_text("".join(lines), encoding="utf-8")
    errs = check(lines, rows, profile)
    report(rows)
    print(f"wrote {len(lines)} cases to {OUT}; {len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
