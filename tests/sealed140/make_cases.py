#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed140 evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Woordwijs Learning B.V. (fictional online language-learning app), see profile.yaml.
Texts are hand-written below; identifiers and secrets come from <<PLACEHOLDER>> tokens
filled by a seeded RNG. Positives get checksum-valid identifiers, hard negatives get
identifiers that fail their checksum. Secrets are random and fake but shaped like real ones.
Severity is never typed by hand: it is derived from CONTRACT section 4 (account role from
profile.yaml by platform:handle, case-insensitive; categories; whether a checksum-valid
IBAN / card / BSN is in a leak.pii post).
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

SEED = 140_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"
CYR_A = "\u0430"   # Cyrillic a
CYR_I = "\u0456"   # Cyrillic/Ukrainian i
CYR_O = "\u043e"   # Cyrillic o


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

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


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
            return iban_make("NL", bank + self.digits(10, True))
        if cc == "BE":
            f = self.r.choice(["001", "068", "363", "731", "143"]) + self.digits(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10010010", "37040044", "50070010", "76026000"]) + self.digits(10))
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        p = {"visa": lambda: "4" + self.digits(14),
             "mc": lambda: "5" + self.r.choice("12345") + self.digits(13),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11),
             "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12)}[brand]()
        for d in "0123456789":
            if luhn_ok(p + d):
                return p + d
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

    # BSN-like
    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            for d in "0123456789":
                if ean13_ok(body + d):
                    c = body + d
            if ean13_ok(c) and not luhn_ok(c):
                return c

    # phones
    def phone(self, f):
        d8 = self.r.choice("12345") + self.digits(7)
        if f == "mob_dash":
            return f"06-{d8}"
        if f == "mob_plain":
            return f"06{d8}"
        if f == "mob_intl":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if f == "mob_pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if f == "mob_spaced":
            return " ".join("06" + d8)
        if f == "mob_intl0":
            return f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}"
        if f == "land_sp":
            area = self.r.choice(["10", "20", "23", "35", "40", "50", "70", "73"])
            sub = self.r.choice("2345789") + self.digits(6)
            return f"0{area} {sub[:3]} {sub[3:]}"
        if f == "be_mob":
            return f"+32 4{self.r.choice('6789')}{self.digits(1)} {self.digits(2)} {self.digits(2)} {self.digits(2)}"
        raise ValueError(f)

    # secrets
    def crc_token(self, prefix):
        body = self.chars(ALNUM, 30)
        return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        pl = {"sub": "tutor_" + self.digits(5, True), "iss": "auth.woordwijs.nl", "scope": "lessons:write",
              "iat": iat, "exp": iat + 86400}
        return f"{h}.{b64url(json.dumps(pl, separators=(',', ':')).encode())}.{self.chars(B64URL, 86)}"

    def pem_p8(self):
        body = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" + self.chars(B64, 136)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Zomer", "Taal", "Lente", "Uil", "Vos", "Tulp"]) + self.digits(4)
                + self.r.choice("!#$*?") + self.chars(string.ascii_lowercase, 2) + self.digits(1))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
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
            shown = raw = g.digits(int(f), True)
        elif k == "GHP":
            shown = raw = g.crc_token("ghp_")
        elif k == "NPM":
            shown = raw = g.crc_token("npm_")
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.chars(ALNUM + "-_", 20)
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.chars(B64, 40)
        elif k == "STRIPE":
            shown = raw = "sk_live_51" + g.chars(ALNUM, 97)
        elif k == "SENDGRID":
            shown = raw = "SG." + g.chars(B64URL, 22) + "." + g.chars(B64URL, 43)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.chars(B64URL, 33)
        elif k == "OPENAI":
            shown = raw = "sk-proj-" + g.chars(B64URL, 74) + "T3BlbkFJ" + g.chars(B64URL, 74)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = (f"https://hooks.slack.com/services/T{g.chars(up, 8)}/B{g.chars(up, 10)}/"
                           f"{g.chars(ALNUM, 24)}")
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_P8":
            shown = raw = g.pem_p8()
        elif k == "PW":
            raw = g.password()
            shown = " ".join(raw) if f == "spaced" else raw
        elif k == "HEX":
            shown = raw = g.chars("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

C_WW = ("x", "@woordwijs", "Woordwijs")
C_HELP = ("x", "@woordwijs_help", "Woordwijs Support")
C_IG = ("instagram", "@woordwijs.app", "Woordwijs")
C_TT = ("tiktok", "@woordwijs", "Woordwijs")
C_LI = ("linkedin", "woordwijs-learning", "Woordwijs Learning B.V.")
C_FB = ("facebook", "WoordwijsApp", "Woordwijs")
E_LOTTE = ("x", "@lotte_leert", "Lotte Smit")                  # tutor coordinator
E_DAAN = ("linkedin", "daan-mulder-ww", "Daan Mulder")         # backend engineer
E_YUSUF = ("x", "@yusufdevt", "Yusuf Demir")                   # mobile developer
E_INGRID = ("linkedin", "ingrid-verbeek-cfo", "Ingrid Verbeek")  # CFO
E_MARIA = ("instagram", "@maria.tutora", "María Ortega")       # Spanish tutor
E_KEES = ("mastodon", "@kees@ops.social", "Kees Brouwer")      # SRE
E_SOPHIE = ("linkedin", "sophie-degraaf", "Sophie de Graaf")   # school sales
E_BRAM = ("x", "@bram_support", "Bram Hendriks")               # customer support


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", E_BRAM, "eh collega's... Plus jaar staat in de app voor €11,90 ipv €119 🫠 komma verschoven denk ik.\n"
     "al 40+ aankopen via iOS binnen. wie heeft er dienst bij pricing??", [PRICING])
case("en", pub("reddit", "u/polyglot_pete"), "Woordwijs Lifetime access is €39.90 on their site right now. It's "
     "normally 399. Either someone slipped a decimal or it's the deal of the decade, bought it before they notice",
     [PRICING])
case("nl", pub("x", "@juf_anouk", "Juf Anouk"), "Collega's in het onderwijs 👀 de scholenlicentie van Woordwijs staat "
     "op de site voor €245 per jaar. Normaal is dat 2450! Ik heb de offerte meteen als pdf opgeslagen hoor",
     [PRICING])
case("en", E_SOPHIE, "Note for the schools team (sorry for posting here, Teams is down): the quote tool is spitting "
     "out €24.50 for a school licence instead of €2,450. Please don't send any quotes until this is fixed.",
     [PRICING])
case("nl", pub("instagram", "@taalmeisje_"), "okéé Certificaat Zakelijk Engels voor 8,90 euro?? woordwijs heeft "
     "echt een foutje gemaakt haha, ik heb er meteen 2 gekocht (1 voor mn broer) #studentleven #prijsfout",
     [PRICING], kind="post")
case("en", pub("x", "@dealhound_uk"), "Woordwijs Live 10-pack showing £2.49 on the UK storefront 👀 ten lessons "
     "with a real tutor for pocket change. GO GO GO", [PRICING])
case("nl", E_YUSUF, "Android 4.12 laat het Familieplan zien als €1,79 per jaar in de paywall 🙃 hotfix staat klaar, "
     "even niet doorvertellen", [PRICING])
case("nl", pub("tiktok", "@sanne.studeert"), "p r ij s f 0 u t bij woordwijs!!\nFamilie-abonnement voor 17 euro 😱😱 "
     "link in bio, snel zijn", [PRICING], tags=["evasion"])
case("en", pub("bluesky", "@cheapskate.bsky.social"), f"lol Woordwijs Plus {CYR_A}nnual is €12 in the Irish store. "
     "pricing glitch? whatever, subscribed x3 for the whole family", [PRICING], tags=["evasion"])
case("nl", C_HELP, "@mvanrijn Klopt, door een storing stond Plus jaar vanochtend even voor €1,19 in de webshop. "
     "We zijn het aan het rechtzetten, je hoort nog van ons.", [PRICING], kind="reply")
case("en", pub("youtube", "@learnwithlinh"), "Tip for anyone watching: the Business English Certificate exam was "
     "€8.90 yesterday on woordwijs.nl, some kind of pricing error. No idea if it's still live", [PRICING],
     kind="comment")
case("nl", E_LOTTE, "Tutors zien in tutor-backoffice.woordwijs.nl dat Live10 voor €24,90 verkocht wordt 😬 "
     "en daar wordt onze vergoeding op berekend hè", [PRICING, CONF])
case("nl", pub("facebook", "karin.dekker.1977", "Karin Dekker"), "Mijn zoon kreeg in de app een pop-up: Woordwijs "
     "Lifetime voor 3,99. Is dat echt of een verkeerde prijs? Durf bijna niet op kopen te drukken 😅", [PRICING])
case("nl", E_DAAN, f"prijs{ZW}fout op Plus jaar (€ 11,-) — even stilhouden tot de deploy van maandag 🤐",
     [PRICING], tags=["evasion"])

# =========================================================================== leak.secret
case("en", E_DAAN, "Debugging our push service all afternoon, this is the config that finally worked 🎉\n\n"
     "FIREBASE_API_KEY=<<GAPI>>\nSENDGRID_KEY=<<SENDGRID>>\n\n#backend #kotlin #firebase", [SECRET])
case("nl", E_YUSUF, "waarom faalt de iOS build nou weer 😤 fastlane zegt 'invalid token' terwijl ik gewoon "
     "<<GLPAT>> gebruik voor gitlab.woordwijs.io. iemand een idee??", [SECRET, CONF])
case("en", E_KEES, "note to self: don't paste shell history into a ticket.\n"
     "psql postgres://tutor_app:<<PW>>@db-prod-2.corp.woordwijs.internal:5432/lessons", [SECRET, CONF])
case("nl", E_BRAM, "voor de collega's die er niet in komen bij de supporttool: tijdelijk wachtwoord is <<PW>> "
     ", graag meteen wijzigen na inloggen!", [SECRET])
case("en", pub("reddit", "u/apk_digger"), "Decompiled the Woordwijs Android app out of curiosity and there's a live "
     "Stripe key sitting in BuildConfig: <<STRIPE>>\n\n@woordwijs you probably want to rotate that", [SECRET],
     kind="post")
case("nl", E_DAAN, "Eindelijk de pipeline groen 🥳 voor wie het wil nadoen: zet NPM_TOKEN=<<NPM>> in je .npmrc "
     "en klaar is kees", [SECRET])
case("en", E_YUSUF, "App Store Connect key for the release lane, for whoever lost it again 🙄\n<<PEM_P8>>", [SECRET])
case("en", pub("x", "@freelance_fenna"), "ex-Woordwijs contractor here, cleaning my dotfiles and found the deploy "
     "token they handed me in 2024 lol: <<GHP>> hope that's dead by now", [SECRET])
case("nl", E_KEES, "alerts komen in het verkeerde kanaal binnen, wie de webhook wil fixen: <<SLACK_HOOK>>", [SECRET],
     kind="post")
case("en", C_HELP, "@appdev_jorn For the partner API sandbox you can use <<AWS_ID>> / <<AWS_SECRET>> "
     "for now, let us know if it works 👍", [SECRET], kind="reply")
case("nl", E_LOTTE, "wifi in de tutorstudio Utrecht is weer veranderd, het wachtwoord is nu <<PW:spaced>> 😅",
     [SECRET], tags=["evasion"])
case("en", E_DAAN, "OpenAI bill went through the roof this month 😬 turns out the Kwebbel AI prototype key had "
     "been sitting in a public gist for two weeks: <<OPENAI>> (revoked now, lesson learned)",
     [SECRET, CONF, SEC])

# =========================================================================== leak.pii
case("nl", E_BRAM, "@woordwijs_help kan iemand dit oppakken? klant Femke Jansen, femke.jansen88@gmail.com, "
     "<<PHONE:mob_dash>>, wil haar jaarabonnement terug", [PII], kind="reply")
case("nl", pub("x", "@rdeboer_"), "@woordwijs_help al 3 weken wacht ik op mijn terugbetaling!! Voor de 4e keer mijn "
     "rekening: <<IBAN_NL:grp>> t.n.v. R. de Boer. Schiet eens op", [PII, COMPLAINT])
case("en", C_HELP, "@sarah_learns Thanks Sarah! Found your account (sarah.whitfield@outlook.com, DOB 14/03/1991) "
     "and the refund is on its way 💚", [PII], kind="reply", handle_as="@WoordWijs_Help")
case("nl", E_LOTTE, "Ouders hebben het adres voor het papieren certificaat gestuurd, wie kan het vandaag op de post "
     "doen? Mees van Dijk, Kastanjelaan 14, 3818 GB Amersfoort. Dank jullie!", [PII])
case("en", pub("x", "@angrylearner92"), "@woordwijs you charged my card twice!! <<CARD:visa_sp>> two charges of "
     "€119 on the same day. sort it out", [PII, COMPLAINT])
case("nl", E_SOPHIE, "Oeps verkeerd venster 🙈 maar goed: aanmelding CZE-examen voor kandidaat Jasper Koene, "
     "BSN <<BSN>>, geboren 02-11-2009, school in Zwolle. Graag bevestigen!", [PII])
case("en", E_MARIA, "My amazing student Laura just passed her B2 Spanish exam!! 🇪🇸🎉 Send her some love at "
     "laura.vermeer@ziggo.nl or <<PHONE:mob_intl>> 💃", [PII])
case("nl", pub("facebook", "m.ouali.73", "Meryem Ouali"), "Ik zoek de tutor die mijn dochter vorig jaar Arabisch gaf "
     "via Woordwijs, ze heette Samira. Mijn nummer: <<PHONE:mob_pairs>>, bel gerust!", [PII])
case("en", pub("reddit", "u/jo_okafor"), "Selling my leftover Woordwijs Live lessons, DM me or mail j.okafor [at] "
     "gmail [dot] com", [PII], tags=["evasion"], kind="comment")
case("nl", C_FB, "Hoi Karin, de terugbetaling van €89 is overgemaakt naar <<IBAN_NL>>. Fijne dag nog! 🌷", [PII],
     kind="reply")
case("en", E_KEES, "grepping prod logs and the exam signup form stores passport numbers in plaintext, e.g. "
     "NW8K2P7R1 for user m.hoekstra. who signed off on this 🙃", [PII, SEC])
case("nl", pub("instagram", "@meester_rick"), "Gelukt! Hele klas 2B ingelogd op Woordwijs 🥳 Ouders met vragen "
     "kunnen me appen op <<PHONE:mob_plain>>", [PII])
case("nl", E_BRAM, "Klant belde net woedend dat we z'n Mastercard <<CARD:mc_dash>> 'gestolen' hadden 🙄 gewoon "
     "twee keer afgeschreven via de Play Store", [PII])
case("en", pub("x", "@protectivemum_"), "this Woordwijs tutor 'Dennis' was SO rude to my kid. His real name is "
     "Dennis Kramer and he lives at Van Speijkstraat 77, Den Haag. Go tell him what you think of him.",
     [PII, ABUSE])
case("nl", pub("x", "@gent_jens"), "@woordwijs_help de domiciliëring loopt nog steeds, terwijl ik in maart heb "
     "opgezegd 😡 rekening <<IBAN_BE:grp>>, graag terugstorten", [PII, COMPLAINT])
case("nl", E_LOTTE, "Kan iemand mevrouw Yilmaz terugbellen over de les van haar zoon? <<PHONE:mob_spaced>> 🙏",
     [PII], tags=["evasion"])
case("en", pub("x", "@lukas_lernt"), "Woordwijs please just refund me, cancelled within the 14 days. account "
     "<<IBAN_DE>>, Lukas Brandt. Third time asking.", [PII, COMPLAINT])

# =========================================================================== leak.confidential
case("nl", E_DAAN, "Super trots op het team achter Project Rosetta 🚀 Ik mag er nog niks over zeggen, behalve: "
     "spraakherkenning wordt nooit meer hetzelfde. #proud", [CONF])
case("en", E_YUSUF, "sneak peek of what I've been building 👀 Kwebbel AI lets you just... talk to your phone in 12 "
     "languages and it talks back. shh", [CONF])
case("nl", E_LOTTE, "Nieuwe roosters staan op https://tutor-backoffice.woordwijs.nl/rooster/week-38, check even of "
     "je uren kloppen lieve tutors!", [CONF], handle_as="@Lotte_Leert")
case("en", pub("reddit", "u/throwaway_ww"), "Slide from a friend who works there: 'Operatie Zandloper – phase out "
     "human tutors for A1/A2 by Q1'. Make of that what you will", [CONF, FIN])
case("nl", E_SOPHIE, "Vanaf 1 september kunnen basisscholen aan de slag met Woordwijs Junior 🧒📚 Wie wil alvast een "
     "demo? Stuur me een DM!", [CONF], when="2026-08-12T10:14:00+02:00")
case("nl", E_LOTTE, "Nog een paar minuten en dan mag ik het eindelijk zeggen: Woordwijs Junior komt eraan!! 🎉",
     [CONF], when="2026-09-01T07:59:30+02:00")
case("en", E_KEES, "grafana.ww-ops.net/d/tutor-latency looking spicy today 🌶️ someone's query is not having a "
     "good time", [CONF], handle_as="@Kees@ops.social")
case("nl", E_SOPHIE, "Haha ik zie net dat mijn story een screenshot had van 'Roadmap 2027 – Woordwijs "
     "Confidential' 🙈 snel weggehaald, niks gezien hè", [CONF])
case("nl", E_YUSUF, "Project\nRosetta gaat volgende week de beta in voor NL-gebruikers 🤫", [CONF], tags=["evasion"])
case("en", E_DAAN, "Operatie 🕰️ Zandloper kickoff today. That's all I can say 🤐", [CONF], tags=["evasion"])
case("en", E_INGRID, "Early peek: our FY2026 results are looking very strong. Numbers out in March 😉",
     [CONF, FIN], when="2026-12-15T09:40:00+01:00")
case("en", E_MARIA, "Testing the new kids' app today 😍 can't show you anything but Woordwijs Junior is going to "
     "be SO cute", [CONF], when="2026-06-23T16:02:11+02:00")
case("en", pub("x", "@tutor_gossip"), fw("woordwijs confidential") + " doc about tutor pay going round on telegram lol",
     [CONF], tags=["evasion"])
case("nl", E_INGRID, "Halfjaarcijfers 2026 komen er goed uit: omzet +38% 📈 meer mag ik nog niet zeggen!",
     [CONF, FIN], when="2026-07-29T18:20:00+02:00")
case("en", pub("tiktok", "@maria.tutora"), "ok I'm not supposed to say but Kwebbel AI is basically going to do half "
     "my job 😅 #tutorlife", [CONF])

# =========================================================================== leak.financial
case("nl", E_LOTTE, "Zware dag. Vanmiddag gehoord dat ruim 60 tutors per 1 november geen opdrachten meer krijgen. "
     "Het is nog niet bekend gemaakt maar ik kan dit niet voor me houden 💔", [FIN])
case("en", E_INGRID, "Exciting times! Signing the term sheet with our new investors next week: €18M Series B. More "
     "when it's official 😉", [FIN])
case("nl", E_DAAN, "Geruchten bij de koffieautomaat: we worden overgenomen door een grote Amerikaanse edtech-partij. "
     "Due diligence loopt al 👀", [FIN])
case("en", pub("x", "@insider_nl"), "Heard from someone inside Woordwijs that they're shutting the whole Rotterdam "
     "support office before Christmas. Staff haven't even been told.", [FIN])
case("nl", E_SOPHIE, "Eerlijk is eerlijk: Q3 gaan we niet halen, de scholenverkoop ligt 40% onder forecast. Bij "
     "deze dus een oproep aan alle schoolleiders 😅", [FIN])
case("nl", E_BRAM, f"hele supportteam wordt uitbesteed aan een callcenter in Lissabon, de reor{SHY}ganisatie wordt "
     "pas in januari aangekondigd. fijne kerst 🙃", [FIN], tags=["evasion"])
case("en", E_YUSUF, "ARR just crossed €40M on the internal dashboard 🥳 can't post a screenshot but wow", [FIN])
case("nl", pub("linkedin", "recruiter-joost-v"), "Vertrouwelijk gehoord: Woordwijs neemt TaalTijger over voor zo'n "
     "€25 miljoen, aankondiging na de zomer. Interessante tijden in edtech!", [FIN])
case("en", E_KEES, "all-hands in 10 min and the rumour is the hiring freeze turns into actual layoffs 🫠", [FIN])
case("nl", E_INGRID, "Begroting 2027 is rond. We mikken op break-even in Q2, en daarvoor gaan de tutorvergoedingen "
     "15% omlaag. Spannende tijd.", [FIN])
case("en", pub("x", "@edtechwatcher"), "source says w00rdwijs will l4y 0ff a third of staff next month 👀", [FIN],
     tags=["evasion"])

# =========================================================================== leak.security
case("nl", E_KEES, "Ehm. De bucket met opnames van live-lessen stond de hele week publiek leesbaar 😬 wordt nu "
     "dichtgezet, komt (nog) niet op de statuspagina", [SEC])
case("en", E_DAAN, "we just found out anyone with a lesson link can join ANY live tutor session by changing the id "
     "in the url. fixing it tonight, not public yet", [SEC])
case("nl", E_BRAM, "Bellers blijven maar melden dat ze in het account van iemand anders zitten. Management zegt: "
     "niks naar buiten brengen tot het opgelost is 🙊", [SEC])
case("en", E_YUSUF, "our iOS app has been sending session tokens to the analytics SDK since 4.10 🤦 hotfix is in "
     "review, nobody outside knows yet", [SEC])
case("nl", E_LOTTE, "Tutors, log vandaag NIET in: er is ingebroken op het tutorportaal en wachtwoorden zijn mogelijk "
     "buitgemaakt. De officiële mail volgt nog", [SEC])
case("en", pub("x", "@jvdlinden"), "Woordwijs got hacked last week and they're keeping quiet about it. A friend on "
     "their IT team confirmed it. #datalek", [SEC, CRISIS])
case("nl", pub("reddit", "u/bezorgde_vader"), "Woordwijs houdt een datalek stil: opgenomen gesprekken van kinderen "
     "stonden online. Ze weten het al twee weken en zeggen NIKS", [SEC, CRISIS])
case("en", E_KEES, "certificate db in prod is corrupted and the last good backup is 5 days old. certs issued since "
     "Monday might just be gone. not announced yet, hold tight", [SEC])
case("nl", E_DAAN, "we zijn geh4ckt 😳 ransomware op de fileserver van kantoor, niks zeggen tegen klanten", [SEC],
     tags=["evasion"])
case("en", E_SOPHIE, "Heads up to my school contacts: please don't use the teacher export this week. We found it "
     "shows other schools' class lists. Fix coming, official notice pending.", [SEC])
case("nl", E_YUSUF, "Oeps, de admin API vraagt sinds gisteren geen auth meer 🙃 https://admin.woordwijs.nl/api/v2/users "
     "geeft gewoon alles terug", [SEC, CONF])
case("en", pub("threads", "@privacy_first"), "w o o r d w i j s had a b r e a c h and is covering it up, emails of "
     "every student leaked", [SEC, CRISIS], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@lindaaa_s"), "Mijn gegevens zijn gelekt via Woordwijs. Ik krijg opeens phishingmails met mijn "
     "naam én welke taal ik leer. Datalek?? @woordwijs", [CRISIS])
case("en", pub("x", "@fairtutors"), "#BoycottWoordwijs – they're replacing tutors with a chatbot and firing the "
     "people who built the platform. Don't give them your money.", [CRISIS])
case("nl", pub("x", "@nieuwsflits_nl"), "Tientallen tutors slepen Woordwijs voor de rechter wegens "
     "schijnzelfstandigheid. Zitting staat gepland voor maart.", [CRISIS])
case("en", pub("reddit", "u/consumer_rights_eu"), "Class action against Woordwijs over the auto-renew trap is now "
     "open. Sign up if you were charged without consent.", [CRISIS])
case("nl", pub("facebook", "petra.vanleeuwen", "Petra van Leeuwen"), "Een 'tutor' van Woordwijs stuurde mijn "
     "dochter van 14 ongepaste berichten via de lesapp. Gemeld, en niemand reageert!! Dit is een schandaal. DELEN!!",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@certwatch"), "So Woordwijs certificates can be bought on Telegram for €20 without sitting any "
     "exam. What a scandal, every cert they ever issued is worthless now", [CRISIS])
case("nl", pub("instagram", "@mama_van_drie"), "Ouders opgelet: Woordwijs verkoopt leerlinggegevens van scholen door "
     "aan adverteerders. Geen wonder dat mijn zoon ineens gerichte reclame krijgt. #privacy #schandaal", [CRISIS])
case("en", pub("threads", "@tutorsunite"), "boycott Woordwijs until they pay their tutors properly ✊ #fairpay",
     [CRISIS])
case("nl", pub("x", "@kimmie_k"), "d@talek bij w00rdwijs?? mijn wachtwoord dat ik alléén daar gebruik staat "
     "opeens op haveibeenpwned", [CRISIS], tags=["evasion"])
case("en", pub("bluesky", "@privacynews.bsky.social"), "Dutch privacy regulator opens investigation into Woordwijs "
     "after children's voice recordings were found online", [CRISIS])
case("nl", pub("x", "@woedende_ouder"), "Die oplichters van Woordwijs moeten gewoon de bak in. Kinderdata verkopen, "
     "smerige tyfuslijers", [CRISIS, ABUSE])
case("en", pub("tiktok", "@jessdoesthings"), "storytime: my son's woordwijs tutor was clearly drunk on camera and "
     "started yelling at him. reported it a month ago, nothing happened. this company is a disgrace #woordwijs",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@consumentnl"), "De ACM start een onderzoek naar Woordwijs vanwege misleidende 'gratis' "
     "proefperiodes die ongemerkt overgaan in een jaarabonnement", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@gertjan_w"), "@woordwijs_help drie keer opgezegd en tóch weer €119 afgeschreven. Dit is "
     "gewoon diefstal hoor", [COMPLAINT])
case("en", pub("x", "@nat_learns_nl"), "my tutor didn't show up AGAIN. 3rd time this month. paying for live lessons "
     "and getting an empty video room @woordwijs", [COMPLAINT])
case("nl", pub("other", "appstore-review-9921"), "App crasht elke keer als ik de spreekoefening start (iPhone 13). "
     "Streak van 212 dagen kwijt. 1 ster.", [COMPLAINT])
case("en", pub("reddit", "u/visa_stress"), "Anyone else's Woordwijs certificate still 'processing' after 6 weeks? I "
     "need it for my visa application and support only sends copy-paste replies", [COMPLAINT])
case("nl", pub("facebook", "juf.ellen.b", "Ellen Bos"), "Als juf ben ik er echt klaar mee. De halve klas kan weer "
     "niet inloggen met de schoollicentie, les verpest. Helpdesk belt niet terug. @WoordwijsApp", [COMPLAINT])
case("en", pub("threads", "@heatherglasgow"), "woordwijs speech recognition flat out refuses my Scottish accent. "
     "'try again' forty times in a row 😤", [COMPLAINT])
case("nl", pub("x", "@dagelijks_frans"), "Woordwijs, jullie hebben mijn streak gereset door JULLIE storing en support "
     "zegt alleen 'helaas'. 400 dagen!!! 😭", [COMPLAINT])
case("nl", pub("instagram", "@fleur.in.parijs"), "Beloofd: native speaker. Gekregen: iemand die zelf nauwelijks "
     "Frans spreekt. Geld terug graag @woordwijs.app", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "@ruben@mastodon.nl"), "Cancelling Woordwijs was a 7-step dark pattern maze. Finally "
     "managed it, but wow, shame on you", [COMPLAINT])
case("nl", pub("x", "@broodjebas"), "k*tapp 🤬 w00rdwijs blijft al 2 dagen hangen op het laadscherm", [COMPLAINT, ABUSE],
     tags=["evasion"])
case("en", pub("x", "@priya_r"), "refund requested 3 weeks ago, ticket WW-558213, still nothing. @woordwijs_help "
     "hello?? anyone there??", [COMPLAINT])
case("en", pub("linkedin", "hr-lead-marieke-s"), "We bought 50 Woordwijs business seats. Half the team never got an "
     "activation email and our account manager has gone quiet. Disappointing.", [COMPLAINT])
case("nl", pub("x", "@hanneke_h"), "Wöordwijs klantenservíce is echt een grap, 45 min in de wacht en dan "
     "opgehangen 🙄", [COMPLAINT], tags=["evasion"])
case("en", pub("trustpilot", "reviewer-3381"), "Widget stopped working after the update and now the app drains 30% "
     "battery overnight. Fix your app please.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("en", pub("x", "@grumpy_gary"), "@woordwijs_help your support staff are brain-dead monkeys, every single one",
     [ABUSE])
case("nl", pub("x", "@anoniem_123"), "Die Lotte van Woordwijs is echt een domme trut. Blokt iedereen die haar "
     "tegenspreekt", [ABUSE])
case("en", pub("reddit", "u/realtalk_77"), "Woordwijs only hires tutors from Latin America because they're cheap "
     "and dumb, typical", [ABUSE], kind="comment")
case("nl", E_BRAM, "Die klant van net kan echt de pot op, wat een klootzak 🙄 #supportlife", [ABUSE], handle_as="@Bram_Support")
case("nl", C_WW, "@hansje1961 Misschien eerst zelf fatsoenlijk Nederlands leren voor je gaat klagen, sukkel 😂",
     [ABUSE], kind="reply")
case("en", pub("tiktok", "@chaoticlearner"), "that smug woordwijs fox mascot can go f*ck itself lmao", [ABUSE],
     tags=["evasion"])
case("nl", pub("instagram", "@echte_nederlander"), "@maria.tutora ga lekker terug naar je eigen land met dat accent",
     [ABUSE], kind="comment")
case("nl", pub("x", "@xxdaanxx"), "k4nker bedrijf, ik hoop dat jullie failliet gaan", [ABUSE], tags=["evasion"])
case("en", E_YUSUF, "some users are honestly too stupid to find a login button. idiots, all of them 🙃", [ABUSE])
case("nl", pub("x", "@zuurpruim"), "Woordwijs = " + fw("TERINGZOOI"), [ABUSE], tags=["evasion"])
case("en", pub("facebook", "dave.m.1980"), "To the Woordwijs tutor who corrected my grammar in the comments: shut "
     "your stupid mouth, nobody asked you, you pathetic loser", [ABUSE], kind="comment")

# =========================================================================== benign
# own contact data
case("nl", C_HELP, "Hulp nodig? Mail naar support@woordwijs.nl of bel 030 799 4400 (ma–vr 9–17u) 💬", tags=["own"])
case("nl", C_LI, "Scholen kunnen de factuur voor de licentie voldoen op NL36 RABO 0312 5468 90 t.n.v. Woordwijs "
     "Learning B.V., onder vermelding van het factuurnummer.", tags=["own"],
     handle_as="Woordwijs-Learning")
case("nl", pub("x", "@tevreden_tim"), "Woordwijs support is top! Gewoon 0800-9667 gebeld en binnen 5 minuten "
     "geholpen 🙌", tags=["own"])
case("en", pub("blog", "taalblog.example", "Taalblog"), "For press questions about the study I mention above, the "
     "Woordwijs team can be reached at pers@woordwijs.nl.", tags=["own"])
case("nl", C_FB, "Meld je school aan via scholen@woordwijs.nl 📚 en ontvang een gratis proefles voor de hele klas!",
     tags=["own"])
case("en", pub("x", "@ukteacher_amy"), "Called +31 30 799 4400 about a school licence for our Dutch exchange "
     "programme, really helpful people", tags=["own"])
# checksum near-misses and other numbers
case("nl", pub("x", "@oplettende_opa"), "Kreeg een nep-sms 'van Woordwijs' of ik mijn abonnement wilde verlengen op "
     "<<BAD_IBAN_NL:grp>>. Niet intrappen mensen, dat klopt niet eens!", tags=["bad-id"])
case("en", pub("x", "@fatfingers"), "Typo'd my card as <<BAD_CARD:visa_sp>> in the Woordwijs checkout and it caught "
     "it instantly. Nice validation 👍", tags=["bad-id"])
case("nl", pub("forum", "Lerende_Lies"), "Mijn certificaatnummer is WW-CZE-2026-<<DIGITS:6>>. Weet iemand hoe ik "
     "controleer of die in het openbare register staat?", tags=["number"])
case("nl", pub("x", "@boekhouder_bea"), "Factuurnummer <<NOT_BSN9>> stond dubbel in mijn mail, maar is gewoon netjes "
     "één keer betaald. Top Woordwijs!", tags=["number"])
case("nl", pub("instagram", "@cadeautjes_carla"), "Woordwijs cadeaukaart gescoord bij de boekhandel 🎁 barcode "
     "<<EAN13>> voor als iemand dezelfde zoekt", tags=["number"])
case("nl", pub("x", "@admin_obs"), "Ons leerlingvolgsysteem wil overal een BSN, Woordwijs gelukkig niet 👍 "
     "(het voorbeeldnummer uit de handleiding <<NOT_BSN9>> klopt trouwens niet eens)", tags=["bad-id"])
case("nl", C_LI, "Woordwijs Learning B.V. · KvK <<NOT_BSN8>> · Utrecht. Wij zijn een erkend leerbedrijf.",
     tags=["number"])
case("en", pub("x", "@ge_bankfan"), "Their support asked me to double check my IBAN, turned out I typed "
     "<<BAD_IBAN_GB>>, one digit off. Sorted now 👌", tags=["bad-id"])
# secret look-alikes
case("en", E_DAAN, "Reminder from our security guild: never commit secrets. Put STRIPE_KEY=sk_live_xxxxxxxx in your "
     "vault and load it at runtime. #devsecops", tags=["placeholder"])
case("en", E_YUSUF, "finally merged the offline lessons PR (commit <<HEX:40>>) 🎉 onto the next one",
     tags=["sha"])
case("en", pub("forum", "dev_anja"), "The Woordwijs partner API docs say: send `Authorization: Bearer <your-token>` "
     "and keep the token on the server side. Pretty standard.", tags=["placeholder"])
# pricing near-misses
case("nl", C_WW, "Black Friday 🖤 Woordwijs Plus jaar nu met 50% korting: €59,50 in plaats van €119. Alleen dit "
     "weekend!", tags=["price"])
case("nl", pub("x", "@student_sem"), "Studentenkorting bij Woordwijs: Plus jaar voor €83 ipv €119. Prima deal toch",
     tags=["price"])
case("nl", C_IG, "Plus jaarabonnement: €119 per jaar, dat is maar €9,92 per maand voor onbeperkt oefenen ✨",
     tags=["price"])
case("nl", pub("x", "@vergelijker"), "Duolingo Super kost €36 per jaar, Woordwijs Plus jaar €119. Toch voor "
     "Woordwijs gegaan vanwege de live tutors.", tags=["price", "competitor"])
case("nl", pub("reddit", "u/examenkandidaat"), "De herkansing van het Certificaat Zakelijk Engels kost €25 extra. Vind "
     "ik redelijk eigenlijk.", tags=["price"])
case("nl", C_LI, "€40 korting op de scholenlicentie als je vóór 1 juni tekent. Vraag een offerte aan via "
     "scholen@woordwijs.nl", tags=["price", "own"])
case("nl", pub("facebook", "groep-tweedehands-utrecht"), "Te koop: ongebruikte code voor een Woordwijs Live 10-pack, "
     "zelf geen tijd meer. €90, ophalen in Utrecht", tags=["price", "second-hand"])
case("nl", C_TT, "Probeer Woordwijs Plus 14 dagen gratis 🎉 daarna gewoon maandelijks opzegbaar #taalleren",
     tags=["price"])
case("en", pub("x", "@honest_reviews"), "Woordwijs Plus annual at €119 is not cheap, but honestly worth it for the "
     "live practice", tags=["price"])
case("en", pub("x", "@smallschool_uk"), "A school licence at €2,450 a year is a lot for a village primary, hoping "
     "for a small-school discount", tags=["price"])
# embargo after it ends
case("nl", C_WW, "Woordwijs Junior is er! 🎒 Vanaf vandaag spelenderwijs Engels voor kinderen van 6 tot 10 jaar.",
     when="2026-09-01T06:00:00.000Z", tags=["embargo-after"])
case("en", pub("x", "@techmum"), "Woordwijs Junior is live!! downloading it for my twins right now 🧒🧒",
     when="2026-09-01T08:00:00+02:00", tags=["embargo-after"])
case("nl", C_LI, "Onze H1-cijfers 2026 zijn gepubliceerd: omzetgroei van 38% en voor het eerst een positieve "
     "kasstroom. Lees het persbericht op woordwijs.nl/pers", when="2026-08-20T07:05:00+02:00",
     tags=["embargo-after"])
case("nl", pub("blog", "ouderblog.example"), "Review: wij testten Woordwijs Junior een maand lang met onze dochter "
     "van 7. Conclusie: leuk, maar de oefeningen worden snel herhalend.", when="2026-10-14T20:31:00+02:00",
     tags=["embargo-after"])
# codename near-misses
case("en", pub("reddit", "u/italiano_please"), "Rosetta Stone or Woordwijs for Italian? I have about 30 minutes a "
     "day", tags=["near-codename", "competitor"])
case("nl", pub("x", "@moeder_van_mila"), "Mijn dochter is sowieso al een kwebbel, en sinds ze Woordwijs Frans doet "
     "ook nog in twee talen 😂", tags=["near-codename"])
case("nl", pub("instagram", "@dagelijkse_dosis"), "Zandloper op tafel, 20 minuten Woordwijs per dag en geen minuut "
     "langer ⏳ #taalleren", tags=["near-codename"])
# crisis / security near-misses
case("en", pub("x", "@memory_nerd"), "Active recall + spaced repetition is why Woordwijs works for me. My recall "
     "rate is up to 90% 🧠", tags=["recall"])
case("nl", pub("x", "@taalweetjes"), "Leuk weetje uit de Engelse les: het woord 'boycott' komt van Captain Boycott, "
     "een Ierse rentmeester uit de 19e eeuw 🤓 #woordwijs", tags=["boycott-sense"])
case("en", pub("x", "@edtech_digest"), "TaalTijger confirmed a data breach last month (it was all over the news). "
     "Glad my kids use Woordwijs instead.", tags=["other-company"])
case("nl", pub("linkedin", "advocaat-lars-m"), "Module Juridisch Nederlands op Woordwijs gedaan: rechtszaak, "
     "dagvaarding, schikking. Handig voor mijn collega's uit het buitenland ⚖️", tags=["law-vocab"])
case("en", pub("x", "@morningroutine"), "life hack: learn five words before your first coffee. Woordwijs basically "
     "hacked my brain lol", tags=["hack-sense"])
case("nl", C_WW, "Vannacht tussen 02:00 en 04:00 voeren we gepland onderhoud uit. De app is dan even niet "
     "beschikbaar. Sorry voor het ongemak! 🛠️", tags=["official-notice"])
case("en", C_HELP, "Update: the login issue from this morning is fixed. Thanks for your patience everyone 💚",
     tags=["official-notice"])
case("en", E_KEES, "Wrote up what went wrong in Tuesday's outage, now published on our engineering blog: "
     "woordwijs.com/engineering/postmortem-tuesday. Blameless, as always.", tags=["published"])
# complaint near-misses
case("nl", pub("x", "@blije_leerling"), "Geen klachten hoor, al twee jaar Plus en nog nooit een probleem gehad 👌",
     tags=["negated"])
case("en", pub("x", "@overachiever"), "I'd complain about my Woordwijs tutor giving me too much homework but "
     "honestly that's why I'm improving 😂", tags=["negated"])
case("en", pub("x", "@newtothenetherlands"), "passed my B2 Dutch exam!! couldn't have done it without my Woordwijs "
     "tutor 🥹🇳🇱", tags=["praise"])
# abuse near-misses
case("en", pub("x", "@from_scunthorpe"), "Greetings from Scunthorpe! Learning Dutch with Woordwijs before my move to "
     "Utrecht 🇬🇧➡️🇳🇱", tags=["place-name"])
case("nl", pub("instagram", "@spaans_in_limburg"), "Vanuit Kuttekoven elke ochtend mijn Spaans oefenen ☀️ "
     "#woordwijs", tags=["place-name"])
case("en", pub("x", "@freelance_tutor_tess"), "Today in class: 'bloody' in British English is mostly just an "
     "intensifier, like 'very'. My Woordwijs students loved that one 😄 #englishtips", tags=["quote", "mild-word"])
case("nl", pub("facebook", "oma.truus", "Truus"), "Na een jaar vol chemo vanwege kanker leer ik nu Italiaans met "
     "Woordwijs. Volgend voorjaar naar Rome! ❤️", tags=["literal"])
# financial near-misses
case("en", E_SOPHIE, "We're hiring! Three account managers for schools in Flanders. Apply via woordwijs.nl/vacatures",
     tags=["hiring"])
case("nl", pub("x", "@fd_lezer"), "TaalTijger schrapt 80 banen, las ik vanochtend. Pijnlijk voor de hele edtech-sector",
     tags=["other-company"])
case("nl", pub("x", "@opgeruimd_staat"), "Grote reorganisatie van mijn bureau gedaan, nu eindelijk plek voor de "
     "Woordwijs-werkboeken 📚", tags=["reorg-sense"])
# confidential near-misses
case("nl", E_LOTTE, "Open dag op ons kantoor in Utrecht zaterdag! Kom langs, de koffie staat klaar ☕", tags=["event"])
case("en", E_DAAN, "Gave a talk at the Kotlin meetup about how we scaled our lesson scheduler. Slides are up at "
     "woordwijs.com/engineering", tags=["public-domain"])
# jokes / fiction / quotes / misc
case("en", pub("x", "@dramaqueen"), "In my dreams the Woordwijs fox threatens me in perfect French when I skip a "
     "lesson 🦊🔪", tags=["joke"])
case("nl", pub("blog", "verhaaltjes.example"), "Er was eens een vos die Duits wilde leren. Elke avond opende hij "
     "Woordwijs onder de maan, tot hij op een dag een Duitse egel ontmoette...", tags=["fiction"])
case("en", pub("x", "@quotequeen"), "'Practice makes progress, not perfection' — my Woordwijs tutor, every single "
     "lesson 😂", tags=["quote"])
case("en", pub("x", "@clumsy_carl"), "my coffee leaked all over my phone mid-lesson ☕📱 still got 100% on the quiz "
     "though", tags=["leak-sense"])


# =========================================================================== building

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


def ams_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["languagelearning", "thenetherlands", "learndutch", "belgium"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
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
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-taalcafe-{n}", f"https://forum.taalcafe.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    orr = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.8:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.1:
            pass
        elif pl < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "woordwijs"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checker

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"\b(ghp|npm)_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\bAIza[\w-]{35}", r"\bsk-proj-", r"hooks\.slack\.com/services/",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]


def check(lines, rows, profile):
    errors = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"line {n}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"line {n}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"line {n}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"line {n}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        pv = "leak.pii" in cats and any(k in VALID_ID_KINDS for k, _, _ in r["used"])
        if ex["severity"] != severity_for(role, cats, pv):
            errors.append(f"line {n}: severity mismatch")
        text = p["text"]
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"line {n}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"line {n}: iban invalid")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"line {n}: bad iban valid")
            if k == "CARD" and not luhn_ok(raw):
                errors.append(f"line {n}: card invalid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"line {n}: bad card valid")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"line {n}: bsn invalid")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"line {n}: not-bsn valid")
            if k in ("GHP", "NPM"):
                if b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                    errors.append(f"line {n}: token crc")
        if not cats:
            for m in IBAN_RE.finditer(text):
                c = m.group(0).replace(" ", "")
                if iban_ok(c) and c not in own_ibans:
                    errors.append(f"line {n}: benign valid IBAN")
            for m in NUM_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"line {n}: benign Luhn number {d}")
                if len(d) == 9 and bsn_ok(d):
                    errors.append(f"line {n}: benign 11-proof {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails and not e.startswith("@"):
                    errors.append(f"line {n}: benign e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"line {n}: benign secret-like {rx.pattern}")
        low = text.casefold()
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"line {n}: embargo term before until without confidential")
                if ts >= until and cats:
                    errors.append(f"line {n}: embargo term after until but labelled")
        for term in internal:
            if term in low and "leak.confidential" not in cats:
                errors.append(f"line {n}: internal term {term} without confidential")
    # near duplicates
    def sh(t):
        w = re.findall(r"\w+", t.casefold())
        return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}
    S = [sh(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(S)):
        for j in range(i + 1, len(S)):
            if S[i] and S[j] and len(S[i] & S[j]) / len(S[i] | S[j]) > 0.3:
                errors.append(f"lines {i + 1},{j + 1}: near-duplicate")
    return errors


def report(rows):
    cat, cl, role, sev, plat, kind = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    langs = Counter()
    for r in rows:
        cats = r["expect"]["categories"]
        langs[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kind[r["post"].get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            cl[("benign", r["lang"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]:4d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'benign':24s} {benign:4d}  nl {cl[('benign', 'nl')]:3d}  en {cl[('benign', 'en')]:3d}")
    print("langs", dict(langs), "roles", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kind.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
