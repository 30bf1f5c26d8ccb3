#!/usr/bin/env python3
"""Deterministic generator for the sealed74 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --stats   # also prints counts

Fictional company: Ravelijn Nutrition B.V., a Dutch sports-nutrition and supplements
webshop (see profile.yaml). Every post text is hand-written in the CASES list below.
Identifiers and secrets are filled from <<KIND:fmt>> placeholders by one seeded RNG:
labelled positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof),
hard negatives get look-alikes that FAIL their checksum. All secrets are random and
fake, shaped like real ones (GitHub tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role (profile.yaml, platform:handle, case-insensitive), the
categories, and whether a checksum-validated identifier (IBAN, card, BSN) is present.
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

SEED = 74_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


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
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


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
    for d in string.digits:
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError(prefix)


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# placeholder filler (one RNG, consumed in CASES order)
# ---------------------------------------------------------------------------

OWN_IBAN = "NL17RABO0317455820"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "BUNQ", "KNAB", "SNSB", "TRIO"])
                               + self.num(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "37050198", "60050101", "12030000"]) + self.num(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "310", "539", "751"]) + self.num(7, False)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 44):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12, False))
        raise ValueError(brand)

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_id(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.num(9, False)
            full = next(body + d for d in string.digits if ean_valid(body + d))
            if not luhn_valid(full):
                return full

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345678") + self.num(7, False)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_sp": f"06 {d8[:4]} {d8[4:]}",
                "mob_intl_sp": f"+31 6 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_c": f"+316{d8}",
                "mob_0031": f"0031-6-{d8}",
                "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            }[f]
        area = self.r.choice(["13", "40", "45", "50", "53", "71", "73", "76", "77", "85", "88"])
        sub = self.r.choice("2345678") + self.num(6, False)
        return {
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 (0){area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[f]

    # --- secrets -------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def shpat(self):
        return "shpat_" + self.pick("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def glpat(self):
        return "glpat-" + self.pick(B64URL, 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def jwt(self):
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.pick(ALNUM, 8)},
                               separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64u(json.dumps({"sub": "member-" + self.num(7), "aud": "loyalty-api", "iss": "auth.ravelijn.nl",
                                "tier": "gold", "iat": iat, "exp": iat + 900}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%*") + self.pick(ALNUM, 4))


VALIDATED_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = f.bad_iban("NL")
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, cf = fmt.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, cf or "sp")
        elif kind == "BAD_CARD":
            brand, _, cf = fmt.partition("_")
            v = f.card(brand)
            raw = v[:-1] + str((int(v[-1]) + f.r.randint(1, 9)) % 10)
            assert not luhn_valid(raw)
            shown = f.card_fmt(raw, cf or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_ID":
            raw = shown = f.not_id(int(fmt))
        elif kind == "EAN13":
            raw = shown = f.ean13()
        elif kind == "PHONE":
            raw = shown = f.phone(fmt)
        elif kind == "DIGITS":
            raw = shown = f.num(int(fmt))
        elif kind == "HEX":
            raw = shown = f.pick("0123456789abcdef", int(fmt))
        elif kind == "PW":
            raw = shown = f.password()
        else:
            raw = shown = {
                "GHP": f.ghp, "MOLLIE": f.mollie, "SHPAT": f.shpat, "SENDGRID": f.sendgrid,
                "GLPAT": f.glpat, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret,
                "SLACK_HOOK": f.slack_hook, "GAPI": f.gapi, "JWT": f.jwt, "PEM_OPENSSH": f.pem_openssh,
            }[kind]()
        used.append((kind, raw))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
RV_X = ("x", "@ravelijn_nl", "Ravelijn")
RV_HELP = ("x", "@ravelijn_help", "Ravelijn Klantenservice")
RV_IG = ("instagram", "@ravelijn.nutrition", "Ravelijn Nutrition")
RV_TT = ("tiktok", "@ravelijn", "Ravelijn")
RV_LI = ("linkedin", "ravelijn-nutrition", "Ravelijn Nutrition B.V.")
RV_FB = ("facebook", "RavelijnNutrition", "Ravelijn")
# employees
LOTTE = ("x", "@lotte_ravelijn", "Lotte Smeets")                 # marketing & ambassadors
DAAN = ("linkedin", "daan-hoekstra-ravelijn", "Daan Hoekstra")    # platform engineer
ESRA = ("linkedin", "esra-yilmaz-finance", "Esra Yilmaz")         # controller
BRAM = ("x", "@bram_wh_lab", "Bram Willemsen")                    # QA lab analyst
JAIMY = ("instagram", "@jaimy_in_veghel", "Jaimy Martens")        # warehouse Veghel
KOEN = ("x", "@koen_codeert", "Koen Peters")                      # webshop developer
MILA = ("threads", "@mila.ravelijn", "Mila de Lange")             # customer service
RUTGER = ("linkedin", "rutger-bos", "Rutger Bos")                 # co-founder / CEO


def p(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def c(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
c("en", KOEN, "whoever uploaded the new price csv this morning: Whey Isolate 2kg is now €6,49 on the live shop 🙃\n"
  "rollback is running, pls don't RT", [PRICING])
c("en", p("reddit", "u/gainz_on_a_budget"), "Ravelijn Creatine Monohydraat 500 g listed at €2.49 on their site rn. "
  "Pretty sure someone dropped a digit. Grabbed 4 tubs, confirmation email came through so 🤷", [PRICING], kind="post")
c("nl", p("facebook", "sportvoeding.deals.nl", "Sportvoeding Deals NL"), "Maandbox abonnement voor €4,49 per maand?? "
  "Staat echt zo in de checkout, normaal is het 44,95. Fout of actie? Wie weet het", [PRICING])
c("nl", MILA, "Collega's, als er klanten bellen over de Omega-3 voor €2,29: dat is een fout in de feed. "
  "Niks toezeggen, gewoon noteren en doorzetten naar e-com 🙈", [PRICING])
c("nl", LOTTE, "Lekker begin van de week hoor. Energy Gel 24-pack staat in de app voor 4,20 ipv 42 euro 🤦‍♀️ "
  "iemand is een nulletje vergeten", [PRICING])
c("nl", p("instagram", "@sarahliftss"), "ik heb net 3x Ignite besteld voor €3,49 per pot 💀 iemand bij ravelijn "
  "gaat morgen op z'n kop krijgen", [PRICING], kind="comment")
c("nl", p("tiktok", "@bulkseason_bas"), "pr1jsf0ut bij r@velijn 👀 Vegan Protein 1kg voor €3,29 wie snel is #gym #deal",
  [PRICING], tags=["evasion", "evasion:leet"])
c("nl", p("forum", "Kracht_Koen88"), "[Prijsfout?] Ravelijn Multivitamine Sport 90 tabs - € 1,99\n\nNormale prijs "
  "€19,95. Geen code nodig, ligt gewoon zo in het mandje. Betaald met iDEAL en bevestiging binnen. Benieuwd of ze "
  "het gaan leveren.", [PRICING])
c("en", DAAN, "Sharing the learnings from yesterday's incident (without the drama): a currency rounding bug in our "
  "price sync put the Vitamine D3+K2 at €0.15 in the Belgian shop for about 40 minutes. Orders are on hold while we "
  "decide what to do with them.", [PRICING])
c("en", p("x", "@cutting_szn"), "p r i c e   e r r o r on Ravelijn Whey Iso, €7 for the 2kg bag 😭 go go go",
  [PRICING], tags=["evasion", "evasion:spaced"])
c("en", p("bluesky", "nadia-runs.bsky.social"), "Ravelijn's Monthly Box shows €0,00 for the first month since the "
  "app update. Price error or the most generous promo ever? Signed up anyway lol", [PRICING])
c("nl", KOEN, "Whey Iso staat op €6,95 live 🫠 de fix ligt klaar in gitlab.ravelijn.nl/shop/storefront/-/merge_requests/812 "
  "maar er is niemand om te approven", [PRICING, CONF])
c("nl", p("x", "@stijn_traint"), "Omega-3 Visolie voor €1,15 bij Ravelijn 🤣 pr\u0456jsfout van de week, ik heb er 10 besteld",
  [PRICING], tags=["evasion", "evasion:homoglyph"])
c("nl", p("x", "@marloes_fit"), "Echt waardeloos @ravelijn_help: mijn bestelling Whey Isolate van €6,49 gewoon "
  "geannuleerd 'wegens prijsfout'. Dan had ik ook geen uur in de rij voor jullie site gestaan.",
  [PRICING, COMPLAINT], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
c("en", KOEN, "mollie webhooks keep returning 401?? sending Authorization: Bearer <<MOLLIE>> exactly like on "
  "staging, what am I missing 😩", [SECRET])
c("nl", DAAN, "Waarom secret scanning in je pipeline geen luxe is: dit stond drie maanden in een publieke fork van "
  "onze storefront.\n\nSHOPIFY_ADMIN_TOKEN=<<SHPAT>>\n\nInmiddels ingetrokken natuurlijk. #devsecops #lessonslearned",
  [SECRET])
c("nl", JAIMY, "Voor de nieuwe uitzendkrachten in hal 3 📶 wifi: RVLN-Hal3 / ww <<PW>>\nniet op de muur schrijven "
  "aub 😂", [SECRET])
c("en", p("reddit", "u/apk_tinkerer"), "Decompiled the Ravelijn Android app (v5.3.0) out of curiosity. There's a "
  "Google API key sitting in strings.xml: <<GAPI>> — no app restriction on it as far as I can tell.", [SECRET])
c("nl", MILA, "Login Zendesk voor de invalkrachten van vanavond: gebruiker cs-flex01, wachtwoord "
  "<<PW>>. Morgen wordt ie weer gewijzigd!", [SECRET])
c("en", DAAN, "Cleaning up our backup scripts today and found this gem from 2023 😅\n\n"
  "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nYes it's been rotated. "
  "Yes I'm still embarrassed.", [SECRET])
c("nl", KOEN, "iemand een idee waarom dit token van de loyalty-api na 1 request al verlopen is?\n<<JWT>>", [SECRET])
c("en", p("forum", "octo_watcher"), "Found this in a public repo that belongs to one of the Ravelijn devs: <<GHP>> "
  "still authenticates as of today. @ravelijn_help you really want to look at this.", [SECRET])
c("nl", BRAM, "Voor wie vanuit huis de labresultaten wil trekken: Server=sqllims01.ravelijn.local;Database=LabResults;"
  "User Id=qa_reader;Password=<<PW>>; werkt alleen via VPN", [SECRET, CONF])
c("nl", DAAN, "Oude deploy-key van de build-runner opgeruimd, hier nog even voor het archief (niet meer actief):\n"
  "<<PEM_OPENSSH>>", [SECRET])
c("en", p("mastodon", "@sam_sec@infosec.exchange", "Sam"), "Ravelijn's newsletter signup form calls SendGrid "
  "straight from the browser with the key in the page source: <<SENDGRID>> 🤦 that's a full send key",
  [SECRET])
c("nl", LOTTE, "W8woord van het nieuwe ambassadeursportaal is <<PW>> 🙊 niet doorsturen naar de atleten zelf, die "
  "krijgen eigen accounts", [SECRET], tags=["evasion", "evasion:slang"])
c("en", KOEN, "build notifications now go to #deploys via <<SLACK_HOOK>> , pls don't use it for memes 🙏", [SECRET])
c("nl", RV_HELP, "@joost_deadlift Je account is ontgrendeld 👍 Log in met het tijdelijke wachtwoord <<PW>> en "
  "kies daarna direct een nieuw wachtwoord.", [SECRET], kind="reply", handle="@Ravelijn_Help",
  tags=["case-handle"])

# ===========================================================================
# leak.pii
# ===========================================================================
c("nl", MILA, "Kan iemand van de boekhouding de terugbetaling voor mevrouw Verbruggen oppakken? Rekening "
  "<<IBAN_NL:grp>>, ze heeft nu drie keer gebeld 😬", [PII])
c("nl", RV_HELP, "@tessa_lift Je Maandbox is opgezegd 💚 De incasso van volgende week op rekening <<IBAN_NL>> "
  "hebben we tegengehouden.", [PII], kind="reply")
c("nl", p("x", "@renske_vd"), "@ravelijn_help jullie hebben de Maandbox NA mijn opzegging gewoon weer afgeschreven van "
  "<<IBAN_NL:grp>>. Graag per direct terugstorten.", [PII, COMPLAINT], kind="reply")
c("nl", p("facebook", "erik.jonker.71", "Erik Jonker"), "Drie keer afgeschreven voor één bestelling bij Ravelijn op "
  "mijn creditcard <<CARD:visa_sp>> 😡 Chat zegt dat het 'vanzelf terugkomt'. Hoe lang nog?", [PII, COMPLAINT])
c("nl", JAIMY, "Hoera voor Gerda van den Heuvel 🎈 vandaag 60 (geboren 9 april 1966) en al 20 jaar de ruggengraat "
  "van orderpicking 💪", [PII], when="2026-04-09T07:41:12+02:00")
c("en", LOTTE, "Sending the contract to our newest ambassador Yara Koopmans, Molenweg 33, 6542 KJ Nijmegen 🧡 "
  "if anyone from the team lives nearby, could you drop off her welcome box?", [PII])
c("nl", p("x", "@ruud_loopt"), "@ravelijn_help bel me terug op <<PHONE:mob_intl_sp>> over mijn abo, de chat zegt "
  "al 3 dagen 'we zijn momenteel erg druk'", [PII, COMPLAINT], kind="reply")
c("nl", p("instagram", "@fleur.hendrikx"), "JAAA gewonnen 😍 stuur mijn prijs maar naar fleur.hendrikx03@gmail.com!!",
  [PII], kind="comment")
c("nl", ESRA, "Loonstrook van de nieuwe collega Ahmet Kaya is verkeerd verwerkt, BSN <<BSN:dots>>. Kan payroll dit "
  "vandaag nog corrigeren?", [PII])
c("en", p("x", "@lena_hyrox"), "@ravelijn_help ordered from Germany and paid to the wrong reference. My IBAN is "
  "<<IBAN_DE:grp>>, please refund, I've emailed twice with no answer", [PII, COMPLAINT], kind="reply")
c("nl", RV_FB, "Hoi Jeroen, de bezorger komt morgen tussen 14:00 en 16:00 en belt je vooraf op <<PHONE:mob_dash>> 👍",
  [PII], kind="comment", handle="ravelijnnutrition", tags=["case-handle"])
c("en", p("mastodon", "@wout@mastodon.social", "Wout"), "Selling an unopened Ravelijn Whey Iso 2kg (chocolate), "
  "€40. Transfer to <<IBAN_BE>> and I'll ship it from Antwerp.", [PII])
c("en", KOEN, "payment test on staging just failed with a REAL customer card <<CARD:amex_sp>>, who copied prod orders "
  "into staging??", [PII])
c("nl", p("forum", "gymrat_utrecht"), "Die influencer van Ravelijn, Kevin Bakker, woont gewoon op Lindelaan 4, 3811 ZZ "
  "Amersfoort. Ga hem maar eens vertellen wat je van zijn 'gains' vindt 😡", [PII, ABUSE])
c("nl", p("x", "@tomvermeulen_"), "mail me gewoon: tom punt vermeulen apenstaartje live punt nl. 2 weken wachten op "
  "een refund, dit is toch niet normaal @ravelijn_help", [PII, COMPLAINT],
  tags=["evasion", "evasion:obfuscated-email"])
c("nl", MILA, "Meneer Scholten (<<PHONE:land_sp>>) wil vandaag teruggebeld worden over zijn Maandbox. Wie heeft "
  "de late dienst?", [PII], handle="@Mila.Ravelijn", tags=["case-handle"])
c("en", p("x", "@joep_triathlon"), "@ravelijn_help please put the refund on my new card <<CARD:mc2_dash>>, "
  "the old one got blocked", [PII], kind="reply")
c("en", ESRA, "Booking the flights for our new lab analyst from Porto: passport CB4829173, date of birth "
  "21-06-1995, name Inês Carvalho. Travel team, can you take it from here?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
c("nl", LOTTE, "Sneak peek mag ik nog niet geven, maar Project Kiwi wordt het mooiste wat we ooit gelanceerd "
  "hebben 🥝🤫", [CONF])
c("en", BRAM, "Stability results for Zilvermeeuw look really promising. 6 months at 40°C and everything still in "
  "spec 🧪", [CONF])
c("nl", JAIMY, "Hele pallets met 'Operatie Stormloop' stickers binnengekomen. Niemand mag weten wat erin zit maar "
  "de hal ruikt naar aardbei 🍓📦", [CONF])
c("en", KOEN, "is wms.ravelijn.nl/picklists timing out for anyone else or just me", [CONF])
c("nl", DAAN, "Onze onboarding-wiki op intranet.ravelijn.local/wiki/dev-start is echt goud voor nieuwe collega's 🙌",
  [CONF])
c("nl", LOTTE, "Ignite Zero smaakt gewoon naar cola zonder de suikercrash 🤤 nog even geduld mensen",
  [CONF], when="2026-04-28T19:12:40+02:00", tags=["embargo-before"])
c("nl", p("instagram", "@ilse_sprint", "Ilse | 400m"), "Net mijn pakketje met Whey Isolate Cold Brew binnen 😍☕ "
  "mag er nog niks over zeggen maar wauw", [CONF], when="2026-05-03T11:20:00+02:00", tags=["embargo-before"])
c("en", p("reddit", "u/preworkout_pete"), "Friend who works in their warehouse says Ravelijn is launching 'Ignite "
  "Zero', sugar-free, mid May. Anyone else heard this?", [CONF], when="2026-05-01T21:44:09Z",
  tags=["embargo-before"])
c("nl", KOEN, "Over een paar minuten live: Ignite Zero 🚀 nog één laatste deploy", [CONF],
  when="2026-05-12T08:59:30+02:00", tags=["embargo-before", "embargo-boundary"])
c("nl", MILA, "Nieuwe belscripts gekregen, bovenaan staat 'alleen voor medewerkers' maar eerlijk: dat stuk over "
  "opzeggen is zo vaag dat klanten nóg bozer worden 🙄", [CONF])
c("nl", BRAM, "Batchrapport van de nieuwe creatine staat op lims.ravelijn.nl/batch/CR-2611, wie geeft me even "
  "leesrechten?", [CONF])
c("nl", LOTTE, "Nog 3 weken tot Project\nKiwi en ik slaap nu al slecht 😅", [CONF],
  tags=["evasion", "evasion:linebreak"])
c("nl", JAIMY, "Operatie 🌪️ Stormloop begint maandag, overuren ahoy 🫡", [CONF], tags=["evasion", "evasion:emoji"])
c("nl", p("x", "@broer_van_sanne"), "Mijn zus werkt bij Ravelijn en zegt dat Zilvermeeuw een eiwitreep wordt 👀",
  [CONF])
c("nl", LOTTE, "Platinum-leden krijgen gratis verzending en early access op drops... oeps, Ravelijn Club Platinum is "
  "nog niet aangekondigd hè 🙊", [CONF], when="2026-09-14T20:03:51+02:00", tags=["embargo-before"])
c("en", p("reddit", "u/lurker_1999"), fullwidth("zilvermeeuw") + " = their protein bar, calling it now",
  [CONF], kind="comment", tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
c("nl", ESRA, "Trots op het team: we sluiten het eerste halfjaar af met 31% omzetgroei en voor het eerst winst. "
  "Officieel volgt volgende week 🎉", [FIN], when="2026-07-24T16:30:00+02:00")
c("nl", ESRA, "Laatste check op de H1-cijfers 2026 gedaan: EBITDA ruim boven budget, de aandeelhouders gaan blij "
  "zijn 📈", [CONF, FIN], when="2026-07-29T18:05:00+02:00", tags=["embargo-before"])
c("en", RUTGER, "Can't share details yet, but this week we signed an LOI to acquire a Belgian sports-drink brand. "
  "Huge step for Ravelijn 🚀", [FIN])
c("nl", JAIMY, "Slecht nieuws op de vloer 😔 de nachtploeg in Veghel gaat verdwijnen, 25 man eruit. Officieel "
  "horen we het pas in september", [FIN])
c("nl", p("x", "@tim_ex_ravelijn", "Tim"), "Ravelijn wordt verkocht, er loopt al weken een private-equitypartij "
  "rond op kantoor. Hoorde het van oud-collega's.", [FIN])
c("en", LOTTE, "Offsite takeaway: the Q3 forecast has subscriptions +40% if the Maandbox price change goes "
  "through 📈🤫", [FIN], when="2026-06-26T17:45:10+02:00")
c("en", p("reddit", "u/antwerpen_lifter"), "My cousin at Ravelijn says they're closing the Belgian webshop and "
  "letting the entire Antwerp team go next month. Not announced anywhere yet.", [FIN])
c("nl", DAAN, "Nieuwe organisatiestructuur is rond: IT en e-commerce gaan samen en twee teamleadrollen vervallen. "
  "De aankondiging komt pas na de zomer, dus even stil houden", [FIN],
  when="2026-06-18T21:14:37+02:00")
c("nl", MILA, "Morgen horen we of de klantenservice naar Lissabon gaat. Iedereen is zenuwachtig voor de re" + ZW +
  "organisatie 😟", [FIN], tags=["evasion", "evasion:zero-width"])
c("en", ESRA, "Bank covenants renegotiated and the €12m facility extended to 2029 — not public yet, so keep it "
  "to yourselves 🙏", [FIN])
c("en", p("forum", "pack_supplier_nl"), "Packaging supplier here. Ravelijn just cut their H2 tub order by 60% and "
  "asked to push invoices to 90 days. Something's going on over there financially.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
c("en", DAAN, "Rough night. Ransomware hit two of our warehouse servers around 3am, orders are being picked on "
  "paper until we restore. No sign customer data was touched (yet).", [SEC])
c("nl", KOEN, "bug gevonden: als je het order-id in de url ophoogt zie je bestellingen van andere klanten 😬 fix "
  "komt morgen, nog niet melden aub", [SEC])
c("nl", MILA, "Collega's: vannacht zijn er loyalty-accounts overgenomen via gelekte wachtwoorden en de punten zijn "
  "leeggetrokken. Nog niks tegen klanten zeggen tot comms een statement heeft.", [SEC])
c("nl", JAIMY, "Hele WMS plat sinds 6 uur, IT zegt dat het een aanval is. Wij staan hier met onze handen in het "
  "haar 🙃", [SEC], handle="@Jaimy_In_Veghel", tags=["case-handle"])
c("en", BRAM, "Fun fact: the lab's sample database has been reachable from the internet for months. Found it "
  "with a simple port scan, reported it internally, crickets 🤷", [SEC])
c("nl", LOTTE, "g3h4ckt 🫣 ons ambassadeursportaal, iemand heeft alle kortingscodes gedownload. Officieel weten we "
  "nog 'van niks'", [SEC], tags=["evasion", "evasion:leet"])
c("nl", ESRA, "Deze week een phishingmail 'namens onze CEO' binnengekregen en helaas heeft iemand €48.000 "
  "overgemaakt. Let op met betaalverzoeken, ook als het urgent lijkt!", [SEC])
c("nl", DAAN, "Onze API-gateway draait nog op een versie met een bekende remote code execution bug. Patch staat "
  "voor vrijdag, tot die tijd duimen 🤞", [SEC])
c("nl", p("x", "@annebel_kb"), "Ravelijn is gehackt en ze houden het gewoon stil!! Vriendin werkt daar, alle "
  "klantgegevens liggen op straat 😤", [SEC, CRISIS])
c("en", p("reddit", "u/skeptical_swole"), "Ravelijn support literally admitted on the phone that their customer "
  "database was breached in March. Zero announcement since. Sweeping it under the rug much?", [SEC, CRISIS])
c("nl", KOEN, "da" + ZW + "talek op staging, prod mogelijk ook 🫠 niemand tweeten voordat legal er iets van vindt",
  [SEC], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
c("nl", p("x", "@gelijkheid_nu"), "BOYCOT RAVELIJN. Ze sponsoren een ambassadeur die net betrapt is op racistische "
  "uitspraken en zeggen helemaal niks. #boycotravelijn", [CRISIS])
c("en", p("reddit", "u/labcoat_lifter"), "Independent lab test: Ravelijn Vegan Protein has lead levels 3x the EU "
  "limit. Why is this still on sale??", [CRISIS])
c("nl", p("instagram", "@moeder_van_3"), "Mijn zoon van 17 met hartkloppingen op de SEH na één schep Ignite. "
  "@ravelijn.nutrition zet nou eens duidelijk op de pot dat dit niks is voor jongeren!!", [CRISIS, COMPLAINT],
  kind="comment")
c("en", p("x", "@velonews_fan"), "Pro cyclist tests positive and blames contaminated Ravelijn Energy Gels. If that "
  "holds up, a supplement company just ended someone's career.", [CRISIS])
c("nl", p("facebook", "claim.maandbox", "Stichting Claim Maandbox"), "Ravelijn incasseert Maandboxen door na "
  "opzegging. Wij starten een collectieve rechtszaak, meld je aan via onze site.", [CRISIS])
c("nl", p("x", "@sjaak_sport"), "Sinds ik bij Ravelijn besteld heb krijg ik spam op mijn sportmail. Die hebben "
  "gewoon mijn gegevens gelekt of verkocht 😡", [CRISIS])
c("nl", p("x", "@warenwet_nieuws", "Warenwet Nieuws"), "Terugroepactie: Ravelijn Omega-3 Visolie met lotnummer "
  "OM<<DIGITS:6>> kan ranzige olie bevatten. Consumenten wordt geadviseerd het product niet te gebruiken.", [CRISIS])
c("nl", p("youtube", "@dewi_vlogt"), "Ik ben 2 dagen ziek geweest van jullie creatine, alleen maar overgeven, en "
  "de klantenservice zegt doodleuk 'kan niet aan ons product liggen'", [CRISIS, COMPLAINT], kind="comment")
c("en", p("mastodon", "@factcheck_fit@mstdn.social"), "Ravelijn's 'lab tested' claim is a scam: their batch "
  "certificates are photoshopped, same signature on every PDF. Thread 🧵", [CRISIS])
c("nl", p("tiktok", "@eerlijk_sporten"), "b o y c o t  r4velijn, hun nieuwe ambassadeur promoot gewoon doping 🤬",
  [CRISIS], tags=["evasion", "evasion:spaced"])
c("nl", p("x", "@sportrecht_nl"), "Ravelijn gedaagd door een concurrent wegens misleidende 'dopingvrij'-claims, "
  "de zaak dient volgende maand in Den Bosch.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
c("nl", p("x", "@ilonka_cf"), "3e keer dat mijn Maandbox te laat is @ravelijn_help, en nu zat er weer een "
  "gebroken shaker in. Ik zeg op.", [COMPLAINT])
c("en", p("trustpilot", "Martijn V."), "Ordered chocolate Whey Iso, got vanilla. Support took 9 days to reply "
  "and then asked me to pay the return shipping. 2 stars.", [COMPLAINT])
c("nl", p("instagram", "@just.anouk"), "jullie nieuwe smaak Vegan Protein klontert echt vreselijk, niet te drinken "
  "zo 🤢", [COMPLAINT], kind="comment")
c("en", p("reddit", "u/cancel_me_pls"), "Tried to cancel my Ravelijn subscription: no cancel button, the chatbot "
  "loops, the email bounced. Dark patterns galore.", [COMPLAINT])
c("nl", p("x", "@pieter_powerlift"), "Loyaltypunten van twee jaar ineens weg uit mijn Ravelijn account en niemand "
  "kan uitleggen waarom. Lekker dan.", [COMPLAINT])
c("en", p("facebook", "hannah.okoro.5", "Hannah Okoro"), "Paid for next-day delivery from Ravelijn, it's now day "
  "4 and tracking hasn't moved since Veghel.", [COMPLAINT])
c("nl", p("tiktok", "@gymmeisje_2003"), "ravelijn creatine zit vol klonten en de pot was half leeg 😤 #ravelijn "
  "#teleurgesteld", [COMPLAINT])
c("en", p("threads", "@jules.runs"), "refund for my returned gels still isn't here after 5 weeks. ravelijn pls",
  [COMPLAINT])
c("nl", p("x", "@femke_wl"), "Bezorger gooit mijn Ravelijn pakket gewoon over het hek, zak Whey Iso gescheurd en "
  "overal poeder 😑", [COMPLAINT])
c("en", p("bluesky", "mo-lifts.bsky.social"), "Ravelijn customer service says they can't help because I ordered "
  "through the app. It's the same company?!", [COMPLAINT])
c("nl", p("x", "@kevin_bulkt"), "Kut service van @ravelijn_help, al 3 weken geen antwoord op mijn mail. Stelletje "
  "amateurs.", [COMPLAINT, ABUSE])
c("en", p("linkedin", "gerard-van-dam-gym", "Gerard van Dam"), "As a gym owner I've stocked Ravelijn for three "
  "years, but the last four wholesale deliveries were incomplete and nobody picks up the account manager line.",
  [COMPLAINT])
c("nl", p("x", "@noor_runs"), "Heb twee keer D3+K2 besteld en twee keer een lege blister in de doos. Ravelijn, "
  "wat is er aan de hand in dat magazijn?", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
c("nl", p("x", "@anoniem_4477"), "@ravelijn_nl jullie zijn echt een stelletje oplichtende kankerlijers", [ABUSE],
  kind="reply")
c("en", p("instagram", "@trollz.official"), "your new ambassador is a fat useless cow, fire her already",
  [ABUSE], kind="comment")
c("nl", p("tiktok", "@echte_nederlander88"), "die dame met hoofddoek in jullie reclame, ga lekker terug naar je "
  "eigen land", [ABUSE], kind="comment")
c("nl", MILA, "Klant van vanochtend was echt een debiele trut, 20 minuten geschreeuwd over een shakerdeksel 🙄",
  [ABUSE])
c("en", RV_HELP, "@gymbro_gary maybe learn to read a label before whining, genius", [ABUSE], kind="reply")
c("en", p("reddit", "u/rage_lifter"), "f*ck Ravelijn and f*ck every one of their sellout influencers",
  [ABUSE], kind="comment", tags=["evasion", "evasion:masked"])
c("nl", p("x", "@hatertje010"), "@lotte_ravelijn hou toch je bek, jij met je nepglimlach en je kortingscodes",
  [ABUSE], kind="reply")
c("en", p("youtube", "@bigbrainbro"), "Ravelijn shills are the dumbest people on earth lmao, brains the size of a "
  "creatine scoop", [ABUSE], kind="comment")
c("nl", p("x", "@wrak_020"), "t3r1ng bedrijf, k4nker op met je ambassadeurs @ravelijn_nl", [ABUSE],
  tags=["evasion", "evasion:leet"])
c("en", JAIMY, "another customer crying about a dented tub. honestly, what a bunch of spoiled idiots 🙄", [ABUSE])
c("en", p("x", "@no_chill_nick"), "@ravelijn_help you absolute clowns, hope that warehouse of yours burns down",
  [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
c("nl", RV_X, "Zomerdeal ☀️ Whey Isolate 2 kg nu €49,95 (was €64,95). Alleen t/m zondag via shop.ravelijn.nl 💪",
  tags=["sale-price"])
c("en", RV_IG, "New flavour drop: Vegan Protein Kiwi-Lime 🥝🍋 same clean recipe, 21 g protein per scoop. "
  "Available now!", tags=["codename-word"])
c("nl", RV_HELP, "@mirte_runs Vervelend zeg! Stuur je ordernummer even naar klantenservice@ravelijn.nl, dan zoeken "
  "we het meteen uit 🙏", kind="reply", tags=["own-contact"])
c("nl", RV_FB, "Liever even bellen? Ons team zit voor je klaar op 073 760 44 00 (ma-vr 9-17 uur) of gratis via "
  "0800-7283 📞", tags=["own-contact"])
c("en", RV_LI, "Business customers can pay by bank transfer to <<OWN_IBAN:grp>> (Ravelijn Nutrition B.V.). "
  "Please mention your invoice number.", tags=["own-contact"])
c("nl", p("x", "@daphne_bakt"), "Voor wie het zoekt: Ravelijn klantenservice is +31 (0)73 760 4400, ik werd binnen "
  "twee minuten geholpen 👌", tags=["own-contact"])
c("en", p("reddit", "u/freelance_sportsdesk"), "If you're a journalist, their press contact is pers@ravelijn.nl. "
  "Got a reply within a day.", kind="comment", tags=["own-contact"])
c("nl", RV_X, "🔧 Gepland onderhoud: vannacht tussen 01:00 en 03:00 is de webshop even niet bereikbaar. Daarna "
  "kun je gewoon weer bestellen!", tags=["official-notice"])
c("en", RV_HELP, "We know the app login is failing for some of you right now. The team is on it and we'll post "
  "an update here within the hour. Your orders and points are safe.", tags=["official-notice"])
c("nl", RV_IG, "Elke batch laten we onafhankelijk testen op verboden middelen 🧪 Alle certificaten per lotnummer "
  "vind je op ravelijn.nl/labtests", tags=["lab-testing"])
c("nl", p("instagram", "@groenekeuken.mo"), "Shake van de dag: Vegan Protein + bevroren kiwi + spinazie 🥝💚 "
  "klinkt vies, is het niet", tags=["codename-word"])
c("nl", p("x", "@rik_marathon"), "Wat een stormloop bij de Ravelijn stand op de marathon-expo, half Rotterdam "
  "stond in de rij voor een gratis shaker 😅", tags=["codename-word"])
c("nl", p("forum", "DealJager_Zwolle"), "Prijsfout bij Proteïnehuis: hun whey 2,5 kg voor €4,99. Al geannuleerd "
  "helaas, dus niet meer proberen.", tags=["competitor"])
c("nl", p("facebook", "yvonne.smits.33", "Yvonne Smits"), "Te koop: 2 ongeopende potten Ravelijn Ignite (fruit "
  "punch), THT 2027. €15 per pot, ophalen in Tilburg.", tags=["second-hand"])
c("nl", RV_HELP, "@daantjerunt Nee hoor, geen prijsfout 😉 De Multivitamine Sport is deze week echt €13,95. "
  "Op = op!", kind="reply", tags=["denied-price-error"])
c("en", RV_X, "€10 off your first Maandbox with code FIRSTBOX: four handpicked products every month, cancel "
  "whenever you like.", tags=["discount-amount"])
c("nl", RV_IG, "Bij elke bestelling vanaf €50 krijg je een gratis Ravelijn shaker (t.w.v. €7,95) 🎁",
  tags=["accessory"])
c("en", p("x", "@harbour_lifts"), "ProteinPlein shipping is a joke, third time my order's late. Switching back to "
  "Ravelijn honestly", tags=["competitor"])
c("nl", p("x", "@joyce_hardloopt"), "Geen klachten hoor, Ravelijn levert altijd binnen een dag en de Crea 500 lost "
  "eindelijk goed op 👍", tags=["negated-complaint"])
c("en", p("threads", "@ali.benches"), "shoutout to whoever at Ravelijn support sorted my address change in like "
  "two minutes 🙏", tags=["praise"])
c("nl", p("instagram", "@plantpowerpeter"), "Is de Multi Sport ook geschikt voor veganisten? Ik zie het nergens op "
  "het etiket staan", kind="comment", tags=["question"])
c("nl", p("x", "@marjolein_wandelt"), "Mijn moeder is net klaar met de behandeling voor darmkanker en wil weer gaan "
  "sporten. Kan de Ravelijn D3+K2 gewoon naast haar medicatie? Iemand ervaring?", tags=["literal-kanker"])
c("nl", p("tiktok", "@lars.lift"), "deze ignite is ziek 🔥🔥 ging als een beest vandaag #legday #ravelijn",
  tags=["slang"])
c("en", p("x", "@quadzilla_eva"), "that leg workout was absolutely killer, I'm dead 💀 Ravelijn Whey Iso to the "
  "rescue", tags=["slang"])
c("en", p("reddit", "u/oldschool_iron"), "\"Yeah buddy! Light weight baby!\" Ronnie would've loved Ravelijn's "
  "creatine lol", kind="comment", tags=["quote"])
c("nl", p("x", "@kantoorkracht_jan"), "Ik boycot vandaag de lift op kantoor, trappen lopen = gratis cardio 💪 "
  "#ravelijnchallenge", tags=["other-sense"])
c("en", p("youtube", "@curious_kai"), "Does creatine actually help memory recall? Saw a study, wondering if "
  "Ravelijn has anything on that", kind="comment", tags=["other-sense"])
c("nl", p("x", "@privacywaakhond"), "Datalek bij sportschoolketen FitPlaza, 200.000 leden getroffen. Check even of "
  "je mailadres erbij zit.", tags=["other-company"])
c("en", p("linkedin", "sophie-de-wit-recruiter", "Sophie de Wit"), "Sad to see the layoffs at NutriCore Europe "
  "today. If you were affected and love sports nutrition, send me a message: Ravelijn is hiring.",
  tags=["other-company"])
c("nl", RV_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet €38,2 mln (+24%) en 210.000 actieve "
  "abonnees. Dank aan ons team en onze klanten 💚", when="2026-08-04T08:00:00+02:00", tags=["embargo-after"])
c("en", ESRA, "Proud of these H1 2026 results 💪 full report on ravelijn.nl/investors", kind="repost",
  when="2026-08-05T09:12:00+02:00", tags=["embargo-after"])
c("nl", RV_X, "Ignite Zero is er! 🚀 0 suiker, 200 mg cafeïne, dezelfde kick. Nu verkrijgbaar op shop.ravelijn.nl",
  when="2026-05-12T07:00:00Z", tags=["embargo-after", "embargo-boundary"])
c("nl", p("x", "@koffie_en_kilos"), "Net besteld: Whey Isolate Cold Brew 😍 eindelijk koffie en eiwit in één",
  when="2026-05-12T09:00:00+02:00", tags=["embargo-after", "embargo-boundary"])
c("en", p("youtube", "@supp_reviews_nl"), "Ignite Zero review after two weeks: less jittery than the original, "
  "taste is 7/10. Full video up now.", kind="comment", when="2026-05-27T18:30:00+02:00", tags=["embargo-after"])
c("nl", RV_IG, "Ravelijn Club Platinum is live ✨ gratis verzending, early access en een verjaardagsbox. Check je "
  "app!", when="2026-10-01T09:30:00+02:00", tags=["embargo-after"])
c("nl", p("x", "@bas_betaalt"), "Klopt dit rekeningnummer van Ravelijn wel? <<BAD_IBAN_NL:grp>> staat op mijn "
  "factuur maar mijn bankapp zegt 'ongeldig'", tags=["bad-iban"])
c("nl", p("x", "@lisa_loopt_hard"), "Cadeaukaart van Ravelijn al opgemaakt dus boeit niet meer haha: "
  "<<BAD_CARD:visa_sp>> 🎁", tags=["bad-card"])
c("nl", p("x", "@dirk_fitness"), "@ravelijn_help bestelling <<NOT_ID:9>> is gisteren netjes geleverd, alles "
  "compleet. Dank!", kind="reply", tags=["order-number"])
c("nl", p("instagram", "@vera.vegan.fit"), "PostNL zegt 3SRVLN<<DIGITS:9>> 'bezorgd' en ja hoor, hij staat echt "
  "voor de deur 😄 snel hoor", tags=["tracking-number"])
c("nl", RV_LI, "Voor retailers: de EAN van Whey Isolate 2 kg chocolade is <<EAN13>>. De volledige productfeed "
  "vind je op ravelijn.nl/zakelijk", tags=["ean"])
c("nl", RV_LI, "Ravelijn Nutrition B.V. · KvK <<NOT_ID:8>> · Den Bosch. Wij zijn gecertificeerd volgens "
  "ISO 22000 🏅", tags=["kvk"])
c("nl", KOEN, "PSA voor devs: zet je Mollie key in een env var, niet in je code. "
  "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is zoals het in onze README staat 😉",
  tags=["placeholder-secret"])
c("en", p("blog", "pricetracker.dev", "Jesse"), "Building a protein price tracker, step 3: configure the AWS CLI. "
  "The key below is AWS's own documentation example, not a real one: AKIAIOSFODNN7EXAMPLE",
  tags=["placeholder-secret"])
c("en", DAAN, "Shipped: a faster checkout on ravelijn.nl 🎉 commit <<HEX:40>> took three weeks of profiling, but "
  "page load is down 38%.", tags=["git-sha"])
c("en", KOEN, "tfw you grep the whole repo for 'sk_live_' and get zero hits 😌 good hygiene team",
  tags=["bare-prefix"])
c("nl", p("x", "@wendy_wodt"), "Wachtwoord vergeten bij Ravelijn, resetmail binnen 10 seconden binnen. Top.",
  tags=["password-word"])
c("nl", p("blog", "schrijfsels.nl", "Karin"), "Hoofdstuk 3 van mijn thriller: de laborante van supplementenfabriek "
  "Vitaflex ontdekt dat iemand de batchrapporten vervalst, en dat haar baas ervan weet.", tags=["fiction"])
c("en", p("x", "@sarcastic_squats"), "my creatine has made more gains than my investment portfolio 😂 #ravelijn",
  tags=["joke"])
c("nl", p("strava", "Joris Vermeer"), "Ochtendrit 94 km, 2 Energy Gels van Ravelijn en geen man met de hamer "
  "gezien 🚴‍♂️", tags=["unknown-platform"])
c("en", p("instagram", "@ilse_sprint", "Ilse | 400m"), "Proud to run another season with @ravelijn.nutrition 🧡 "
  "everything I take is batch-tested. Code ILSE10 = 10% off", tags=["ambassador"])
c("nl", BRAM, "We zoeken een analist voor ons lab in Den Bosch! HPLC-ervaring is een pré. Solliciteren via "
  "werkenbij.ravelijn.nl 🧪", tags=["employee-benign"])
c("nl", JAIMY, "Laatste dag voor de vakantie, 312 orders gepickt 💪 tot over drie weken Veghel!",
  tags=["employee-benign"])
c("en", RV_TT, "POV: you open your Maandbox and it's all chocolate 🍫🤤", tags=["corporate-benign"])
c("nl", p("x", "@wielerliefhebber"), "Weer een renner positief. Wat ik nooit snap: check je supplementen. Ik gebruik "
  "Ravelijn juist omdat alles Informed Sport getest is.", tags=["doping-context"])
c("nl", MILA, "Drukke dag aan de telefoon, maar wat een lieve klanten vandaag 🥰 #klantenservice",
  tags=["employee-benign"])
c("en", RV_HELP, "@marco_lifts Sorry to hear that! Could you call us on +31 73 760 4400 or mail "
  "klantenservice@ravelijn.nl with your order number? We'll sort it out.", kind="reply", tags=["own-contact"])
c("en", p("threads", "@tiny.but.mighty"), "damn I'm weak today, even the lid of my Ravelijn shaker beat me 😂",
  tags=["mild-word"])
c("nl", p("trustpilot", "Gert-Jan"), "5 sterren. Snelle levering, lekkere smaak en nette verpakking.",
  tags=["praise", "unknown-platform"])


# ===========================================================================
# labels, building, writing
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                crit = cat in (SECRET, PRICING) or (cat == PII and validated_id)
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif cat == COMPLAINT:
            s = "warning"
        elif cat == CRISIS:
            s = "error"
        elif cat == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def random_when(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1,
                                                                          minutes=r.randint(6 * 60, 23 * 60),
                                                                          seconds=r.randint(0, 59))
    dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= base < dt.datetime(2026, 10, 25, 1,
                                                                                   tzinfo=dt.timezone.utc)
    off = 2 if dst else 1
    utc = base - dt.timedelta(hours=off)
    k = r.random()
    if k < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k < 0.85:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        b36 = string.digits + string.ascii_lowercase
        t = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            cm = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{cm}", f"https://www.reddit.com/r/fitnessNL/comments/{t}/_/{cm}/"
        return f"t3_{t}", f"https://www.reddit.com/r/fitnessNL/comments/{t}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        cm = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{cm}", f"https://www.youtube.com/watch?v={v}&lc={cm}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-sportforum-{m}", f"https://sportforum.example/topic/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/p/{m}"
    m = r.randint(10 ** 8, 10 ** 10)
    return f"{platform}-{m}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for cs in CASES:
        text, used = fill(filler, cs["text"])
        kinds = {k for k, _ in used}
        role = role_of(profile, cs["platform"], cs["handle"])
        sev = severity_for(role, cs["cats"], PII in cs["cats"] and bool(kinds & VALIDATED_KINDS))
        pid, url = post_id(meta, cs["platform"], cs["handle"], cs["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        post = {"id": pid, "platform": cs["platform"]}
        kind = cs["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": cs["handle"]}
        if cs["name"] and meta.random() < 0.7:
            acc["display_name"] = cs["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        roll = meta.random()
        if cs["hint"] is not None:
            if cs["hint"]:
                post["lang"] = cs["hint"]
        elif roll < 0.1:
            pass
        elif roll < 0.13:
            post["lang"] = "nl" if cs["lang"] == "en" else "en"
            cs["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = cs["lang"]
        post["created_at"] = cs["when"] or random_when(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "ravelijn"
        rows.append(dict(post=post, expect={"categories": cs["cats"], "severity": sev},
                         role=role, lang=cs["lang"], tags=cs["tags"], used=used))
    order.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# self-checks (labels vs. contract rules that can be checked mechanically)
# ---------------------------------------------------------------------------

def self_check(rows, profile):
    problems = []
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for row in rows:
        post, exp = row["post"], row["expect"]
        cats, text = exp["categories"], post["text"]
        ident = post["id"]
        assert len(text.encode()) <= 65536
        parse_ts(post["created_at"])
        for kind, raw in row["used"]:
            if kind in VALIDATED_KINDS:
                ok = iban_valid(raw) if kind.startswith("IBAN") else luhn_valid(raw) if kind == "CARD" else elfproef(raw)
                if not ok or PII not in cats:
                    problems.append(f"{ident}: valid {kind} must sit in a leak.pii positive")
            if kind in ("BAD_IBAN_NL", "BAD_CARD", "NOT_ID", "EAN13"):
                bad = (iban_valid(raw) or elfproef(raw) or luhn_valid(raw))
                if bad:
                    problems.append(f"{ident}: look-alike {kind} passes a checksum")
            if kind == "OWN_IBAN" and not iban_valid(raw):
                problems.append("own IBAN invalid")
        if not cats and exp["severity"] != "none":
            problems.append(f"{ident}: benign with severity")
        if cats and exp["severity"] == "none":
            problems.append(f"{ident}: positive without severity")
        when = parse_ts(post["created_at"])
        low = text.casefold()
        for term, until in embargo:
            if term in low and when < until and CONF not in cats:
                problems.append(f"{ident}: embargoed term before embargo but no {CONF}")
            if term in low and when >= until and cats:
                problems.append(f"{ident}: embargo term after embargo in a positive (check)")
        if not cats:
            for rex in (r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b",
                        r"\bshpat_[0-9a-f]{32}\b"):
                m = re.search(rex, text)
                if m and "EXAMPLE" not in m.group(0) and "xxxx" not in m.group(0):
                    problems.append(f"{ident}: secret-shaped string in benign")
            # no checksum-valid number runs in benign posts, except the company's own data
            own = re.sub(r"\D", "", OWN_IBAN)
            for m in re.finditer(r"\d[\d .-]{7,22}\d", text):
                d = re.sub(r"\D", "", m.group(0))
                if len(d) in (8, 9) and elfproef(d) and d not in ("07376044", "7376044"):
                    problems.append(f"{ident}: benign number {m.group(0)!r} passes 11-proof")
                if 13 <= len(d) <= 19 and luhn_valid(d) and not d.startswith("871"):
                    problems.append(f"{ident}: benign number {m.group(0)!r} passes Luhn")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b", text):
                if iban_valid(m.group(0)) and re.sub(r"\s", "", m.group(0)) != OWN_IBAN:
                    problems.append(f"{ident}: benign valid IBAN")
    return problems


def stats(rows):
    from collections import Counter
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = Counter(cat for r in rows for cat in r["expect"]["categories"])
    print(f"cases {n}, benign {benign}, positives {n - benign}, multi "
          f"{sum(1 for r in rows if len(r['expect']['categories']) > 1)}")
    for cat in ALL_CATS:
        print(f"  {cat:22s} {per[cat]}")
    print("  severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  role", dict(Counter(r["role"] for r in rows)))
    print("  lang", dict(Counter(r["lang"] for r in rows)))
    print("  platform", dict(Counter(r["post"]["platform"] for r in rows)))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    profile = load_profile()
    rows = build(profile)
    problems = self_check(rows, profile)
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    if "--stats" in sys.argv:
        stats(rows)


if __name__ == "__main__":
    main()
