#!/usr/bin/env python3
"""Deterministic generator for the sealed46 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # (re)write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every case and print counts

Company: the fictional Dutch mortgage lender "Klaverhof Hypotheken B.V." (profile.yaml).

Texts are hand-written below (CASES). Identifiers and secrets come from placeholders
such as <<IBAN_NL:grp>> filled by one seeded RNG, so output is byte-for-byte
reproducible. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN
11-proof); hard negatives get look-alikes that FAIL their checksum. All secrets are
random and fake but shaped like the real formats.

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.

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

SEED = 46_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"     # zero-width space
ZWJ = "\u200d"    # zero-width joiner
SHY = "\u00ad"    # soft hyphen
NBSP = "\u00a0"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# Cyrillic look-alikes for a few Latin letters
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "i": "\u0456"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        tot += d - 9 if d > 9 else d
    return bool(digits) and tot % 10 == 0


def luhn_complete(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded generators
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL66RABO0312445567"


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

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
                          + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "37040044", "12030000", "76026000"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["001", "063", "310", "734", "973"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
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
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
                "mob_intl_c": f"+316{d8}",
                "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            }[fmt]
        area = self.r.choice(["33", "35", "55", "73", "85", "88", "10", "23", "40", "50"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.digits(11, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/"
                f"{self.chars(ALNUM, 24)}")

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 96)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def azure(self):
        return ("DefaultEndpointsProtocol=https;AccountName=khdossiersprod;AccountKey="
                + self.chars(B64, 86) + "==;EndpointSuffix=core.windows.net")

    def jwt(self):
        head = b64url(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "adv-" + self.digits(5, True), "iss": "https://login.mijn.klaverhof.nl",
                "scope": "dossier:read dossier:write", "iat": iat, "exp": iat + 1800}
        return f"{head}.{b64url(json.dumps(body, separators=(',', ':')).encode())}.{self.chars(B64URL, 86)}"

    def pem_ec(self):
        lines = ["MHcCAQEEI" + self.chars(B64, 55)] + [self.chars(B64, 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 30) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Zomer", "Winter", "Klaver", "Huis", "Sleutel", "Dak"]) + self.digits(4)
                + self.r.choice("!#$*?") + self.chars(ALNUM, 3))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.bad_iban(getattr(gen, kind[4:].lower())())
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), nz=True)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid, "SLACK_BOT": gen.slack_bot,
                  "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe, "GAPI": gen.gapi, "AZURE": gen.azure,
                  "JWT": gen.jwt, "PEM_EC": gen.pem_ec, "PEM_RSA": gen.pem_rsa, "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts (roles come from profile.yaml, these tuples only carry the names)
# ---------------------------------------------------------------------------

K_NL = ("x", "@klaverhof_nl", "Klaverhof Hypotheken")
K_HELP = ("x", "@klaverhof_helpt", "Klaverhof Klantenservice")
K_IG = ("instagram", "@klaverhof.wonen", "Klaverhof")
K_LI = ("linkedin", "klaverhof-hypotheken", "Klaverhof Hypotheken B.V.")
K_FB = ("facebook", "KlaverhofHypotheken", "Klaverhof Hypotheken")
K_TT = ("tiktok", "@klaverhof", "Klaverhof")

MV = ("x", "@marloes_hypotheek", "Marloes Verbeek")                    # hypotheekadviseur, Amersfoort
BH = ("linkedin", "bram-hoekstra-klaverhof", "Bram Hoekstra")          # platform engineer
DK = ("x", "@daankoster_dev", "Daan Koster")                           # developer Mijn Klaverhof
IL = ("linkedin", "ingrid-van-leeuwen-fin", "Ingrid van Leeuwen")      # finance & control
YB = ("instagram", "@yasmina.benali.advies", "Yasmina Benali")         # hypotheekadviseur, Rotterdam
RT = ("x", "@ruud_taxaties", "Ruud Tammer")                            # coordinator valuations desk
SO = ("threads", "@sophie.oosterhout", "Sophie Oosterhout")            # HR business partner


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MV, "Collega's even checken: Hypotheekadvies Compleet staat sinds de tariefupdate van vanochtend op "
     "€249,50 op de site 🙃 ipv €2.495. Er is volgens mij een nul weggevallen... wie belt de webbeheerders?",
     [PRICING])
case("en", DK, "well this is awkward. prod has the Oversluitadvies at 12.95 EUR since the deploy an hour ago, "
     "someone shifted the decimal in the fee table. hotfix after standup, grab it while it lasts I guess 🤷",
     [PRICING], kind="post")
case("nl", pub("reddit", "u/huizenjager_030"), "PSA voor wie nog moet laten taxeren: via Mijn Klaverhof kost een "
     "Taxatierapport nu €74,90. Lijkt me een prijsfout (normaal 749), dus wees er snel bij voordat ze het zien",
     [PRICING])
case("nl", pub("x", "@fleur_koopt_huis"), "prijsfoutje bij @klaverhof_nl?? Startersadvies voor 189 euro 😳😳 "
     "net geboekt, benieuwd of ze het honoreren #prijsfout #starters", [PRICING])
case("en", pub("forum", "lage_rente_lars"), "Not sure if this is a promo or a glitch but the Rentescan shows "
     "€2,49 on their booking page right now. Pretty sure it was 249 last week lol", [PRICING], hint="nl")
case("nl", K_FB, "🍀 Nieuw bij Klaverhof: ons Oversluitadvies nu voor maar €129! Plan vandaag nog een gesprek "
     "met een van onze adviseurs via klaverhof.nl/oversluiten", [PRICING], handle_as="klaverhofhypotheken")
case("nl", pub("x", "@w0lters_m"), "Klaverhof heeft een p r i j s f o u t 👀 Startersadvies €18,95 in de "
     "checkout. screenshot gemaakt, ga 'm proberen", [PRICING], tags=["evasion"])
case("nl", YB, "Psst 🤫 tot morgenochtend staat de Rentescan per ongeluk op €25 in de webshop, de fix gaat pas "
     "morgen live. Niet aan mijn teamleider vertellen dat ik dit heb gezegd 😅", [PRICING], kind="post")
case("en", pub("bluesky", "noor-buys-a-flat.bsky.social"), "klaverhof's booking page is offering 'Advies "
     "Compleet' for €495?? the list price is like 2.5k. pricing error or am I misreading", [PRICING])
case("nl", RT, "prijsföut in de tarievenmodule: Taxatie Plus gaat nu voor €79 de deur uit. Ticket ligt bij "
     "IT, fix pas na het weekend 🙄", [PRICING], tags=["evasion"])
case("nl", pub("x", "@bouwjaar1932"), "@klaverhof_helpt er staat een verkeerde prijs bij het Startersadvies op "
     "jullie site hoor, dat kan nooit kloppen", [PRICING], kind="reply")
case("en", DK, "FYI see jira.klaverhof.nl/browse/FEE-2231, the Starters advies is live at €18.95 because the "
     "cents field got parsed as euros. prod only. please don't share the link around",
     [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BH, "Lessons from tonight's migration: always double-check your env before pasting it in a chat. "
     "For the folks who asked, this is what the app reads:\n"
     "DATABASE_URL=postgresql://dossier_app:<<PW>>@pg-prod-02.corp.klaverhof.local:5432/dossiers\n"
     "#postgres #devops", [SECRET, CONF])
case("nl", DK, "iemand een idee waarom de Mollie webhook steeds 401 teruggeeft? key is gewoon "
     "<<MOLLIE>> en in test werkt alles 😩", [SECRET])
case("en", DK, "CI keeps dying on the tag step. runner env, anyone see what's off?\n"
     "CI_PUSH_TOKEN=<<GLPAT>>\nGIT_DEPTH=1", [SECRET], kind="post")
case("nl", BH, "Snelle vraag aan mijn AWS-netwerk: waarom krijg ik AccessDenied op de S3 bucket voor "
     "taxatierapporten met\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n"
     "Rechten lijken goed te staan...", [SECRET])
case("en", pub("reddit", "u/mapnerd_ams"), "Klaverhof's home valuation tool has a Google Maps key hardcoded in "
     "the page source, unrestricted: <<GAPI>>\nSomeone tell them before it gets abused",
     [SECRET], kind="comment")
case("nl", MV, "Voor wie vanmiddag in de training zit: inloggen op de demo-omgeving van het adviseursportaal "
     "met gebruiker adviesteam8 en wachtwoord <<PW>> 👍", [SECRET])
case("en", SO, "our HR bot token has been sitting in the #general topic for a month 🙃 "
     "<<SLACK_BOT>> ... I am not the one to fix this", [SECRET])
case("nl", RT, "Sessietoken voor de taxatiekoppeling even uit de devtools gehaald, werkt dit bij jullie ook?\n"
     "Authorization: Bearer <<JWT>>", [SECRET])
case("en", BH, "Can someone sanity-check this deploy key format? ssh keeps saying invalid format\n"
     "<<PEM_EC>>", [SECRET])
case("nl", DK, "(is al geroteerd hoor, relax) maar dit stond dus een week in de publieke repo: "
     "SENDGRID_API_KEY=<<SENDGRID>>", [SECRET])
case("en", pub("forum", "hashbrown_sec"), "Heads up: the fee-payment JS on klaverhof.nl ships a live secret "
     "key. sk in the bundle: <<STRIPE>>  -- reported via their contact form, no reply yet", [SECRET])
case("nl", BH, "Na een uur zoeken: de connection string voor de dossier-opslag stond verkeerd in de pipeline. "
     "Dit is de goede:\n<<AZURE>>", [SECRET])
case("nl", RT, "ww voor de nieuwe taxatieplanner = <<PW>> , gebruikersnaam is je personeelsnummer. "
     "Niet kwijtraken!", [SECRET], tags=["evasion"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", K_HELP, "Hoi Esther, de incasso van je taxatiekosten is teruggekomen. Klopt het rekeningnummer "
     "<<IBAN_NL:grp>> nog? Dan proberen we het opnieuw 🙂 ^Jasper", [PII], kind="reply")
case("nl", MV, "Klant belde net met BSN <<BSN>> maar wist niet meer bij welke adviseur zijn dossier lag. "
     "Iemand die hem herkent?", [PII])
case("en", pub("x", "@r_vandijk88"), "@klaverhof_helpt my BSN is <<BSN:dots>> and I was born 14-03-1988, "
     "3 WEEKS I've been waiting for someone to find my file. please just call me", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@joostjanssen_"), "Bel me maar terug op <<PHONE:mob_dash>> @klaverhof_helpt, ben de "
     "hele dag bereikbaar voor die offerte", [PII], kind="reply")
case("nl", YB, "Sleuteloverdracht vandaag bij Kees en Anouk de Wit, Lindelaan 14 in Hoevelaken 🥂🔑 "
     "Wat een mooi plekje hebben jullie gevonden! #hypotheekadviseur #eerstehuis", [PII])
case("nl", RT, "Wie pakt morgen de taxatie op voor mevr. H. Bosman (geb. 02-11-1957), Kerkstraat 9 in "
     "Nijkerk? Ik zit vol.", [PII])
case("en", K_NL, "Hi Tom, we resent your offer to tom.vermeulen88@gmail.com just now. Do check your spam "
     "folder, it sometimes lands there!", [PII], kind="reply", handle_as="@Klaverhof_NL")
case("nl", pub("instagram", "@lotte.verbouwt"), "Jullie hebben de taxatiekosten twee keer afgeschreven van "
     "<<IBAN_NL>>!!! Al 2 mails gestuurd, ik wil mijn geld terug @klaverhof.wonen", [PII, COMPLAINT],
     kind="comment")
case("en", DK, "card payments for the advice fee failing again. customer insists <<CARD:visa_sp>> exp 09/28 "
     "works everywhere else. anyone on payments awake?", [PII])
case("nl", pub("facebook", "Gert-Jan Mulder"), "Voor de hypotheekaanvraag moest ik mijn paspoort uploaden "
     "(nummer NJ7K38FR2) en nu zegt Mijn Klaverhof voor de 3e keer dat het onleesbaar is. Echt waardeloos "
     "systeem.", [PII, COMPLAINT])
case("en", pub("x", "@koffie_en_code"), "lmao a klaverhof advisor left a printed file in the café next to me. "
     "name Pieter Smeets, Dorpsstraat 22 Barneveld, BSN <<BSN:sp>>. this is how they treat your data?",
     [PII, CRISIS])
case("nl", IL, "Wie herkent deze rekening? Er staat een terugboeking van €12.400 zonder omschrijving van "
     "<<IBAN_BE:grp>>, vermoedelijk een klant met een oversluiting", [PII])
case("en", pub("x", "@jvdmeer_"), "email me at j.vdmeer [at] ziggo [dot] nl, your chatbot is useless and "
     "nobody picks up the phone @klaverhof_helpt", [PII, COMPLAINT], tags=["evasion"])
case("nl", pub("reddit", "u/stilleboze"), "Een adviseur van Klaverhof belt me steeds vanaf zijn privénummer "
     "<<PHONE:mob_pairs>>, ook 's avonds laat. Wie is deze gast en hoe krijg ik dit gestopt?",
     [PII, COMPLAINT])
case("nl", K_FB, "Dank voor je bericht! We hebben je BSN <<BSN:dots>> gekoppeld aan je dossier, je hoeft "
     "niks meer te doen 👍", [PII], kind="reply")
case("en", BH, "weird log line from the fee checkout, anyone seen this before?\n"
     "payer_card=<<CARD:mc2_c>> status=DECLINED reason=AVS_MISMATCH", [PII])
case("nl", pub("instagram", "@daan.en.sil"), "Moest voor de taxatie-afspraak mijn creditcard "
     "<<CARD:mc_dash>> invullen terwijl er nergens staat dat dat nodig is?? vaag", [PII, COMPLAINT])
case("en", pub("linkedin", "femke-zzp-interieur"), "For Klaverhof's advisor who keeps missing me: my office "
     "line is <<PHONE:land_intl>>, mornings are best. Self-employed mortgage paperwork is a journey!", [PII])
# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", DK, "Sneak peek van waar we bij Project Zandloper aan bouwen 👀 de hele aanvraagflow in 6 stappen "
     "ipv 14. Kan niet wachten tot jullie dit zien", [CONF])
case("en", BH, "Late night but the new cluster is up: k8s-api.corp.klaverhof.local is answering, 3 nodes, "
     "zero downtime on the switch 💪 #kubernetes", [CONF])
case("nl", MV, "📄 'UITSLUITEND INTERN' staat er boven, maar dit moet je als zzp'er weten: vanaf juni rekenen "
     "we nog maar met 2 jaarcijfers ipv 3 😉", [CONF], when="2026-04-16T19:27:05+02:00")
case("nl", YB, "Binnenkort bij ons: de Klaverhof GroenStart! 🌱 Lagere rente als je meteen verduurzaamt. "
     "Mag eigenlijk nog niks zeggen maar ik ben zó enthousiast", [CONF], when="2026-08-20T19:42:11+02:00")
case("en", pub("reddit", "u/utrecht_renter"), "Friend who works at Klaverhof says 'Operatie Lisdodde' is the "
     "internal name for closing half of their regional offices next year. Anyone heard more?",
     [CONF, FIN], kind="comment")
case("en", DK, "demo day went great!! the Project\nZandloper team crushed it, can't show the screens yet but "
     "wow", [CONF], tags=["evasion"])
case("nl", RT, "Voor collega's die de aanvraag niet kunnen vinden: formulier staat op "
     "https://taxatie.corp.klaverhof.local/aanvraag/nieuw", [CONF])
case("en", SO, "can't say much, every slide literally says KLAVERHOF CONFIDENTIAL, but big changes coming "
     "for how we hire advisors 🙃", [CONF])
case("nl", DK, "Ik mag het nog niet hardop zeggen, maar Klaverhof Groen" + ZW + "Start wordt echt de "
     "mooiste release van dit jaar 💚", [CONF], tags=["evasion"], when="2026-09-15T08:59:30+02:00")
case("nl", MV, "Nieuwe acceptatienotitie binnen (NIET EXTERN DELEN, dus ik zeg alleen dit): goed nieuws "
     "voor starters met een flexcontract 😇", [CONF])
case("en", DK, "spent the whole day on Project Z" + CYR["a"] + "ndloper bugs. if the new upload flow ships "
     "with one more edge case I'm moving to a farm", [CONF], tags=["evasion"])
case("en", pub("x", "@sander_woont"), "Klaverhof just sent me a link to uat.mijn.klaverhof.nl/offerte/7781 "
     "instead of the real portal 😂 is that a test site?", [CONF])
case("nl", SO, "Vandaag de kick-off van Operatie 🌾 Lisdodde. Spannende maanden voor ons team, meer kan ik "
     "er niet over kwijt", [CONF], tags=["evasion"])
case("nl", pub("x", "@marloes_hypotheken", "Marloes V."), "Mooi project waar ik aan mag meewerken: Project "
     "Marlijn 🤝 meer zeg ik niet!", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IL, "Kwartaalafsluiting klaar 🎉 netto winst Q2 komt rond de 41 miljoen uit, ruim boven budget. "
     "Wordt pas over drie weken gepubliceerd dus ssst", [FIN], when="2026-07-14T17:55:31+02:00")
case("en", SO, "Hard week. Next month we're telling about 120 colleagues that the Zwolle and Breda offices "
     "close. Please be kind to HR people, we're human too", [FIN])
case("nl", pub("x", "@beursbabbel"), "Hoor uit de raad van commissarissen dat Klaverhof wordt overgenomen door "
     "een Belgische bank. Deal wordt eind volgende maand bekendgemaakt 👀", [FIN])
case("en", MV, "Heads up to my clients: internally we expect the 10y fixed rate to drop 0.3% on the 1st. "
     "Not announced yet, so maybe hold off signing for a week 😉", [FIN])
case("nl", IL, "Begroting 2027 rondgerekend: we mikken op 18% groei in nieuwe productie en 9 mln "
     "kostenbesparing, grotendeels in IT. Nu nog door de RvB.", [FIN])
case("nl", BH, "Na de reor" + ZW + "ganisatie in Q3 gaan er 60 fte uit bij operations. Moet nog "
     "gecommuniceerd worden, dus mondje dicht 🤐", [FIN], tags=["evasion"])
case("nl", pub("reddit", "u/treasury_fluisteraar"), "Insider tip: Klaverhof verkoopt een hypotheekportefeuille "
     "van zo'n 2 miljard aan een pensioenfonds, hoorde het van iemand op hun treasury-afdeling",
     [FIN], kind="comment")
case("en", IL, "Our Q3 numbers land next Thursday and arrears on the interest-only book nearly doubled. "
     "Brace yourselves.", [FIN], when="2026-10-20T18:12:44+02:00")
case("en", IL, "So proud of the team. Our half-year results 2026 show record new lending, can't wait for "
     "the market to see it on Thursday 📈", [FIN, CONF], when="2026-08-06T07:45:00+02:00")
case("nl", IL, "Eerste prognose van de jaarresultaten 2026: winst zo'n 15% lager door de hogere "
     "funderingskosten. Nog even niet delen buiten finance!", [FIN, CONF], when="2026-11-24T16:05:00+01:00")
case("en", pub("reddit", "u/ex_kh_adviseur"), "Ex-employee here. They're going to cut the advisory "
     "division in half early next year, the board signed off last week. Start looking now if you're there.",
     [FIN])
case("nl", YB, "ik zeg niks hoor maar f-u-s-i-e 👀 met een hele grote bank, Q1 wordt spannend", [FIN],
     tags=["evasion"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BH, "Sinds 03:00 vannacht kon je via een fout in de API andermans offerte opvragen in Mijn "
     "Klaverhof. Nog niks naar buiten gecommuniceerd, we zijn nu aan het patchen ☕☕", [SEC])
case("en", DK, "we got ransomware on two of the valuation servers this morning. comms says don't post "
     "anything. so... yeah. long day ahead", [SEC])
case("nl", pub("x", "@eva_b_1979"), "Klaverhof verzwijgt een datalek! Mijn gegevens en hypotheekbedrag staan "
     "op een Telegram-kanaal en klantenservice ontkent alles #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/noordkop_nerd"), "Klaverhof is sitting on a breach. Their advisor portal got "
     "popped weeks ago, they know, and they still haven't told a single customer.", [SEC, CRISIS])
case("nl", RT, "Het taxatieplatform ligt al 6 uur plat door een hack en de klanten weten nog van niks. "
     "Ik mag morgen 40 afspraken gaan verzetten 😩", [SEC])
case("en", SO, "phishing mail got through to payroll, at least 3 people typed their password in. IT says "
     "keep it quiet until they know the scope. fun Monday", [SEC])
case("nl", DK, "mijn klaverhof is g3h4ckt, niet verder vertellen pls, we zijn er mee bezig", [SEC],
     tags=["evasion"])
case("en", BH, "Unpatched CVE on our public document upload endpoint, anyone can upload arbitrary files. "
     "Ticket has been open for 3 months. I give up.", [SEC])
case("nl", MV, "Collega's, log even niet in op het adviseursportaal: er worden klantdossiers gedownload door "
     "een onbekend account. Nog geen persbericht dus houd het binnen", [SEC])
case("nl", pub("forum", "kabelkoos"), "Ik werk bij een leverancier van Klaverhof en hun documentenopslag staat "
     "al weken open voor iedereen met de link. Ze weten het, maar houden het stil.", [SEC, CRISIS])
case("en", IL, "Finance can't reach the payment platform, apparently a DDoS since Monday. Nobody outside "
     "knows yet, so if your mortgage payout is late, that's why 🤫", [SEC])
case("nl", YB, "ssst maar we hebben een d a t a l e k bij de adviseurs, klantgegevens lagen op straat. "
     "Morgen komt pas het bericht", [SEC], tags=["evasion"])
# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "Stichting Renteclaim"), "Massaclaim tegen Klaverhof over jarenlang te hoge "
     "variabele rente! Heb jij tussen 2015 en 2023 bij hen gesloten? Meld je aan via onze site.", [CRISIS])
case("en", pub("x", "@housing4all_nl"), "#BoycottKlaverhof they are foreclosing on families in the middle of "
     "winter while posting cute 'dream home' reels. Move your mortgage elsewhere.", [CRISIS])
case("nl", pub("x", "@nieuwsjunk_"), "Adviseur van Klaverhof vervalste inkomensgegevens om hypotheken erdoor "
     "te drukken, stond vanochtend in de krant. Hoe lang wist de directie dit al?", [CRISIS], kind="repost")
case("en", pub("mastodon", "femkeb@mastodon.nl"), "Got a phishing text with my exact mortgage amount and my "
     "Klaverhof dossier number. They leaked our data, no doubt about it. #klaverhof", [CRISIS])
case("nl", pub("threads", "@jorisdebruijn"), "AFM deelt boete uit aan Klaverhof voor misleidende "
     "rentevoorstellen. Schandalig, en ik heb daar gewoon mijn hypotheek lopen.", [CRISIS])
case("en", pub("reddit", "u/stuck_in_fees"), "I'm suing Klaverhof. Their advisor sold me an interest-only "
     "loan I could never afford and now they want €40k in penalty interest to get out. Lawyer says we have "
     "a case.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@wijk_actief"), "B O Y C O T  K L A V E R H O F 📢 ze zetten gezinnen op straat, "
     "deel dit!!", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "Mortgage Truths NL"), "This whole Klaverhof valuation scandal, appraisers "
     "pumping up values to get a bonus per deal, should honestly be criminal.", [CRISIS], kind="comment")
case("nl", pub("linkedin", "mr-k-van-asselt-advocaat"), "Vandaag de rechtszaak tegen Klaverhof gewonnen "
     "namens 300 gedupeerden van de bouwdepot-affaire. Een belangrijke uitspraak voor consumenten.",
     [CRISIS])
case("en", pub("x", "@nvbe_watch"), fullwidth("KLAVERHOF = SCANDAL") + " their valuation arm was caught "
     "inflating appraisals, read the report before you sign anything", [CRISIS], tags=["evasion"])
case("nl", pub("x", "@ronaldo_zw"), "Stelletje oplichters bij Klaverhof, BOYCOT die klootzakken allemaal, "
     "zet er geen cent meer neer", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@mijnhuisjeinzwolle"), "Al 3 weken wachten op mijn hypotheekofferte van Klaverhof en de "
     "adviseur reageert niet op mail. De ontbindende voorwaarde verloopt vrijdag!! 😰 @klaverhof_helpt",
     [COMPLAINT])
case("en", pub("x", "@lisadraws"), "@klaverhof_helpt your portal logs me out every 2 minutes while I'm "
     "uploading payslips. fourth time today. I'm losing it", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Erik Stam"), "Taxateur via Klaverhof kwam een uur te laat en het rapport staat er "
     "na 10 dagen nog steeds niet in. Bouwdepot-declaratie ook nog niet uitbetaald. Wat een gedoe.",
     [COMPLAINT])
case("en", pub("trustpilot", "Dirk W."), "1 star. Refinancing took four months, the penalty interest was "
     "calculated wrong twice and nobody takes responsibility. Avoid.", [COMPLAINT])
case("nl", pub("facebook", "Sandra Kuipers"), "Klantenservice van Klaverhof is onbereikbaar. 45 minuten in de "
     "wacht en dan verbroken. Top service hoor 👏👏 (not)", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/first_time_buyer_ut"), "Anyone else get a different rate in the final offer than "
     "what Klaverhof quoted? mine went from 3.6 to 3.9 with zero explanation. feels like bait and switch",
     [COMPLAINT])
case("nl", pub("instagram", "@tiny.house.tess"), "Waarom kost een extra aflossing bij jullie €150 "
     "administratiekosten?? Staat nergens vermeld. Erg teleurgesteld @klaverhof.wonen", [COMPLAINT],
     kind="comment")
case("nl", pub("x", "@henk_vd_pol"), "Kl4v3rh0f weer eens niks geregeld, renteaanbod 'kwijtgeraakt' en nu "
     "is de rente hoger 🤡", [COMPLAINT], tags=["evasion"])
case("nl", pub("threads", "@wendy.woont"), "Mijn renteverlenging is gewoon vergeten door @klaverhof_nl en nu "
     "zit ik een maand op de variabele rente 😤 wie betaalt dat verschil?", [COMPLAINT])
case("nl", pub("forum", "oversluiter2026"), "Mijn ervaring met oversluiten bij Klaverhof: aanvraag in januari, "
     "in april nog steeds geen definitieve offerte. Elke keer een andere medewerker die opnieuw om dezelfde "
     "stukken vraagt. Niet aan te raden als je haast hebt.", [COMPLAINT], when="2026-04-22T22:17:09+02:00")
case("en", pub("bluesky", "jeroenm.bsky.social"), "the Mijn Klaverhof app has been crashing on Android for a "
     "week. can't see my loan parts at all. support says 'clear cache' lol", [COMPLAINT])
case("nl", pub("x", "@peterpan_nl"), "Wat een prutsers bij Klaverhof, voor de derde keer zijn mijn "
     "documenten 'kwijt'. Ik lever ze niet nog een keer aan.", [COMPLAINT, ABUSE])
case("en", pub("youtube", "Jasmijn K"), "lol this ad. Klaverhof promised a decision in 48 hours, I waited 19 "
     "days and had to beg my notary for an extension", [COMPLAINT], kind="comment")
case("en", pub("tiktok", "@storytime_saar"), "storytime: how klaverhof almost made me lose my dream house 🧵 "
     "the offer arrived 2 days AFTER the financing deadline", [COMPLAINT])
case("nl", pub("x", "@kim_zoekt_huis"), "Waarom kost het Taxatierapport bij Klaverhof ineens €849 ipv €749? "
     "Niks over gehoord, gewoon duurder afgeschreven 😑", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zwartekat_83"), "Klaverhof is één grote club kankerlijers", [ABUSE])
case("en", pub("x", "@dev_null_void"), "whoever runs the klaverhof account is a brain-dead clown", [ABUSE],
     kind="reply")
case("nl", MV, "Misschien eerst je eigen loonstrook lezen voordat je hier gaat janken, sukkel", [ABUSE],
     kind="reply")
case("en", K_HELP, "Honestly, get a grip. Nobody here owes you anything, you absolute moron.", [ABUSE],
     kind="reply", handle_as="@KlaverHof_Helpt")
case("nl", pub("x", "@rik_1990x"), "Die Marloes van Klaverhof is een dom wijf, ik weet waar ze woont", [ABUSE])
case("en", pub("facebook", "Mark Dekker"), "Klaverhof hires way too many foreigners, no wonder nobody there "
     "speaks proper Dutch. Send them back.", [ABUSE], kind="comment")
case("nl", pub("x", "@boos_burger"), "K*tbedrijf, t*ringlijers allemaal bij klaverhof", [ABUSE],
     tags=["evasion"])
case("en", pub("x", "@hypothek_hater"), "f4ck klaverhof and f4ck every one of your sh1tty ads", [ABUSE],
     tags=["evasion"])
case("nl", DK, "die klant van gisteren is echt een debiel, wie vult nou z'n BSN in bij het naamveld 🙄",
     [ABUSE])
case("nl", pub("x", "@gerrit_ijs"), "Jullie adviseur is echt een mongool, ga toch weg", [ABUSE], kind="reply")
case("en", pub("x", "@annoyed_in_almere"), "your useless f***ing advisors lost my payslips AGAIN. how hard "
     "can it be", [COMPLAINT, ABUSE], tags=["evasion"])
# ===========================================================================
# benign: hard negatives and ordinary posts
# ===========================================================================
# published rates, notices, own contact data
case("nl", K_NL, "Per maandag 9 maart passen we onze hypotheekrentes aan: 10 jaar vast met NHG vanaf 3,45%. "
     "Alle tarieven staan op klaverhof.nl/rente", tags=["published"], when="2026-03-05T08:30:00+01:00")
case("nl", K_HELP, "Gepland onderhoud: Mijn Klaverhof is zondagnacht tussen 02:00 en 06:00 niet bereikbaar. "
     "Je dossier blijft gewoon veilig, excuses voor het ongemak 🔧", tags=["official-notice"])
case("nl", K_FB, "Vragen over je offerte? Bel ons op 030 799 4400 of mail naar klantcontact@klaverhof.nl, "
     "we helpen je graag!", tags=["own-contact"])
case("nl", K_HELP, "Liever zelf overmaken voor je taxatie? Dat kan naar NL66 RABO 0312 4455 67 t.n.v. "
     "Klaverhof Hypotheken o.v.v. je dossiernummer", kind="reply", tags=["own-contact"])
case("en", K_LI, "Questions about your mortgage offer? Our team is available on +31 30 799 4400 or "
     "pers@klaverhof.nl for press enquiries.", tags=["own-contact"])
case("nl", K_IG, "Bel gratis 0800-2580 of plan een afspraak via afspraak@klaverhof.nl 📅 #eerstehuis",
     tags=["own-contact"])
case("nl", pub("x", "@sjoerdvb"), "Tip: het gratis nummer van Klaverhof (0800 2580) is ook 's avonds "
     "bereikbaar, binnen 2 minuten iemand aan de lijn", tags=["own-contact"])
case("en", pub("reddit", "u/dutchexpat_42"), "For anyone asking: I emailed klantcontact@klaverhof.nl in "
     "English and got a reply the next morning, very helpful", tags=["own-contact"], kind="comment")
case("nl", K_HELP, "Je kunt ons ook bellen via 0307994400, we zitten klaar tot 21:00 👋", kind="reply",
     tags=["own-contact"])
case("en", K_HELP, "Service update: Mijn Klaverhof was slow between 08:10 and 09:05 this morning. It's "
     "fixed now, sorry for the hassle!", tags=["official-notice"])
case("nl", K_NL, "Let op: wij vragen NOOIT om je wachtwoord of DigiD-code via WhatsApp of sms. Twijfel je? "
     "Check het via klaverhof.nl/veilig", tags=["security-awareness"])
case("nl", K_IG, "Upload je loonstroken en werkgeversverklaring veilig via mijn.klaverhof.nl 📲",
     tags=["public-domain"])
# embargo moments and published figures
case("nl", K_NL, "Vanaf nu online: onze H1-cijfers. Nieuwe productie +12%, klanttevredenheid 8,4 📊",
     when="2026-08-06T06:00:00Z", tags=["embargo-after"])
case("nl", pub("x", "@hypotheeknieuws"), "Klaverhof presenteert halfjaarcijfers 2026: winst licht hoger, "
     "nieuwe productie +12%. Vooral starters weten ze te vinden.", when="2026-08-06T09:30:12+02:00",
     tags=["embargo-after"], kind="repost")
case("en", K_LI, "It's here: Klaverhof GroenStart, the mortgage that rewards you for making your home more "
     "sustainable 🌱 Check your options at klaverhof.nl/groenstart", when="2026-09-15T09:00:00+02:00",
     tags=["embargo-after"])
case("nl", YB, "Vandaag mijn eerste GroenStart-hypotheek rond gemaakt 💚 zonnepanelen en warmtepomp "
     "meegefinancierd, wat een blije klant!", when="2026-10-02T14:12:40+02:00", tags=["embargo-after"])
case("nl", pub("x", "@beurs_bert"), "Klaverhof publiceerde vandaag de jaarcijfers 2025, netjes maar "
     "niet spectaculair. Solvabiliteit prima.", tags=["published"], when="2026-02-26T12:02:10Z")
# codename look-alikes
case("nl", pub("instagram", "@slootkant.sanne"), "Lisdodde langs de sloot achter ons nieuwe huis 🌾 "
     "en dat dankzij een hypotheek die in 2 weken rond was. Dank Klaverhof!", tags=["codename-word"])
case("nl", pub("x", "@vintage_vera"), "Op de rommelmarkt een koperen zandloper gekocht voor in het nieuwe "
     "huis ⏳ de verhuisdozen staan al klaar", tags=["codename-word"])
case("nl", pub("instagram", "@thijs.en.marlijn"), "Gefeliciteerd Marlijn en Thijs met jullie eerste huis! "
     "Project verbouwen kan beginnen 🔨🏡 (en complimenten aan jullie adviseur bij Klaverhof)",
     tags=["codename-word"])
# prices that are fine
case("nl", K_NL, "Voorjaarsactie 🌷 de Rentescan deze maand voor €199 in plaats van €249. Weet binnen een "
     "kwartier of oversluiten voor jou loont.", tags=["price-ok"], when="2026-04-03T10:15:00+02:00")
case("nl", pub("x", "@jesse_en_ilse"), "€500 korting op Hypotheekadvies Compleet als je voor 1 mei tekent, "
     "dat scheelt toch weer 🙌", tags=["price-context"], when="2026-04-14T21:03:52+02:00")
case("nl", K_HELP, "Geen prijsfout hoor 😊 de €199 voor de Rentescan is onze voorjaarsactie, geldig t/m 30 "
     "april.", kind="reply", tags=["price-ok"], when="2026-04-08T16:41:27+02:00")
case("en", pub("reddit", "u/bonus_family"), "Went with Hypotheekadvies Compleet in the end. Our gross monthly "
     "payment came out at €1,180 on a 30-year annuity, which is less than our rent was.",
     tags=["price-context"])
case("nl", pub("forum", "rekenaar_roos"), "Bij een onafhankelijke adviseur betaal je €995 voor advies, bij "
     "Klaverhof kost Advies Compleet 2.495. Iemand die het verschil echt merkt?", tags=["price-context"])
case("en", pub("x", "@paulinetje"), "Independent appraiser did my valuation report for €350, no Klaverhof "
     "involved, quick and painless", tags=["price-context"])
case("nl", pub("x", "@tweedehands_tom"), "Oversluitadvies bij Klaverhof kost 1.295 euro, maar als je al "
     "klant bent krijg je €250 terug. Prima deal eigenlijk.", tags=["price-context"])
# numbers that fail their check, references
case("nl", pub("x", "@bas_bouwt"), "Klopt het dat ik de taxatie naar <<BAD_IBAN_NL:grp>> moet overmaken? Zo "
     "staat het op de factuur, wil het even dubbelchecken", tags=["bad-checksum"])
case("en", pub("reddit", "u/cardcollector"), "Old expired card I found in a drawer, number <<BAD_CARD:visa_sp>>, "
     "anyone know if Klaverhof still charges valuation fees by card?", tags=["bad-checksum"])
case("nl", pub("x", "@saskia_wt"), "Mijn dossiernummer is <<NOT_BSN9>>, weet iemand hoe lang de "
     "acceptatie bij Klaverhof gemiddeld duurt?", tags=["reference-number"])
case("nl", K_LI, "Klaverhof Hypotheken B.V. is ingeschreven bij de KvK onder nummer <<NOT_BSN8>> en staat "
     "onder toezicht van de AFM.", tags=["reference-number"])
case("en", pub("x", "@offer_hunter"), "my offer reference is KH-2026-0048817, does anyone know if that "
     "means it's already in underwriting?", tags=["reference-number"])
case("nl", pub("facebook", "Yvonne Bakker"), "Raar, mijn bank zegt dat <<BAD_IBAN_DE>> geen geldig "
     "rekeningnummer is, maar zo stond het in de mail van de notaris. Iemand?", tags=["bad-checksum"])
# secret look-alikes
case("nl", DK, "Reminder voor het team: zet je key in .env als MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxx en "
     "commit dat bestand nooit 🙏", tags=["placeholder-secret"])
case("en", BH, "Reverted <<HEX:40>> on main, deploys are green again. Good catch by the on-call team 👏",
     tags=["git-sha"])
case("nl", BH, "Mooie sessie gegeven op DevOpsDays over veilig omgaan met API-keys en wachtwoorden: gebruik "
     "een vault en scan je repo's. Slides volgen!", tags=["security-talk"])
# ordinary employee and public posts
case("nl", MV, "Weer een gezin blij gemaakt met hun eerste huis 🔑🏡 dit blijft het mooiste vak dat er is "
     "#hypotheekadviseur", tags=["praise"])
case("nl", SO, "We zoeken hypotheekadviseurs in Utrecht en Den Bosch! Solliciteer via klaverhof.nl/werken 💼",
     tags=["job-post"])
case("nl", pub("x", "@nina_zoekt"), "Hoe lang is een renteaanbod bij Klaverhof eigenlijk geldig? En kan ik "
     "het verlengen als de overdracht uitloopt?", tags=["question"])
case("en", DK, "Proud of the crew who rebuilt the document upload in Mijn Klaverhof, it's way faster now 🚀",
     tags=["praise"])
case("nl", pub("x", "@maaike_fietst"), "Had veel horrorverhalen gehoord maar eerlijk: geen enkel probleem "
     "met Klaverhof, binnen tien dagen rond. Geen klachten!", tags=["negated-complaint"])
case("en", pub("reddit", "u/lowlands_lou"), "Not gonna lie, I expected a nightmare refinancing but Klaverhof "
     "was smooth. No complaints, no surprise fees.", tags=["negated-complaint"], kind="comment")
case("en", pub("x", "@yvo_writes"), "Chapter 3 of my novel: the mortgage advisor slides the folder across "
     "the table and whispers 'this house will ruin you'. Too dramatic?", tags=["fiction"])
case("nl", pub("x", "@grappenmakerij"), "Mijn hypotheek en ik hebben een serieuze relatie: ik betaal, zij "
     "blijft dertig jaar. #grapje", tags=["joke"])
case("en", pub("x", "@lit_major_lena"), "'Hell is other people' - Sartre, clearly after a Saturday open "
     "house with 40 other bidders 😂", tags=["quote", "mild-word"])
case("nl", pub("x", "@vincent_spaart"), "Las net over het datalek bij die grote Belgische bank. Blij dat "
     "mijn hypotheek bij Klaverhof loopt, daar nooit iets van gemerkt.", tags=["other-company"])
case("en", pub("bluesky", "marieke-in-mtl.bsky.social"), "Class action against a big US lender all over "
     "the news today. Glad my Dutch mortgage is boring 🙃", tags=["other-company"])
case("en", pub("x", "@forgetful_fred"), "I can't recall my Klaverhof username, where do I find it again?",
     tags=["other-sense"])
case("nl", pub("facebook", "Buurtvereniging De Akker"), "Onze buurt boycot de nieuwe parkeervergunning 😂 "
     "gelukkig loopt de hypotheek bij Klaverhof gewoon door", tags=["other-sense"])
case("nl", pub("x", "@lucas_leert"), "Life hack: vraag bij Klaverhof naar de Rentescan vóór je rentevaste "
     "periode afloopt. Scheelde ons een paar tientjes per maand.", tags=["other-sense"])
case("nl", pub("instagram", "@herstel_en_huis"), "Na mijn kanker behandeling dacht ik dat een hypotheek "
     "onmogelijk was. Klaverhof dacht gewoon mee. Dankjewel 💛", tags=["mild-word"])
case("nl", pub("x", "@katvrouw"), "Het schandaal van de dag: mijn kat heeft de taxateur gebeten 😹 verder "
     "alles top geregeld door Klaverhof", tags=["other-sense"])
case("nl", pub("x", "@eerlijk_eva"), "Mensen roepen online dat Klaverhof 'oplichters' zijn, maar ik heb er "
     "alleen maar goede ervaringen mee. Adviseur was eerlijk over wat wel en niet kon.", tags=["quote"])
case("en", pub("tiktok", "@homebuyer_tips"), "POV: your mortgage advisor says 'that'll work out fine' and it "
     "actually does 😂🙌 #klaverhof #firsthome", tags=["praise"])
case("nl", pub("x", "@renterebel"), "Hypotheekrente weer omhoog bij alle banken, ook Klaverhof zit nu op 3,9% "
     "voor 10 jaar vast. Kopen of wachten?", tags=["published"])
case("nl", BH, "Vandaag de energielabel-koppeling live gezet op klaverhof.nl/verduurzamen, nu zie je direct "
     "wat je kunt meefinancieren 🌍", tags=["public-domain"])
case("nl", pub("twitter", "@ouwe_jan"), "Mijn vader sloot in 1989 z'n hypotheek al bij Klaverhof, en ik nu "
     "ook. Sommige dingen blijven 😊", tags=["praise"])


# ===========================================================================
# profile, roles and severity (CONTRACT sections 4 and 5)
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
                crit = c in (SECRET, PRICING) or (c == PII and pii_validated)
                s = "critical" if crit else "error"
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
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(3, 358)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=day - 1, minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@").split("@")[0]
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "DutchFIRE", "Netherlands", "huizenmarkt"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"hypoforum-{n}", f"https://forum.woonwijzer.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = handle.lstrip("@").partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    n = r.randint(10 ** 7, 10 ** 8)
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
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            account["display_name"] = c["dn"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    c["tags"].add("wrong-lang-hint")
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "klaverhof"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (an outsider's reading of the labels against the contract)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_\w{20,}", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"AccountKey=")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
SWEAR = ["kut", "kanker", "tering", "klootzak", "debiel", "mongool", "sukkel", "prutser", "fuck", "f4ck",
         "shit", "moron", "clown", "idiot", "hell", "damn", "oplichter", "wijf"]
MILD_OK = {"hell", "damn", "kanker", "oplichter"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


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


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31") or raw.startswith("0031"):
        d = d[4:] if raw.startswith("0031") else d[2:]
        d = "0" + d.lstrip("0")
    return d


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    if len(lines) != len(rows) or not 150 <= len(rows) <= 180:
        errors.append(f"{len(lines)} lines for {len(rows)} cases (want 150-180)")
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p["account"].get("handle"), str):
            errors.append(f"{w}: no handle")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        text = p["text"]
        used = r["used"]
        for kind, raw, shown in used:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: IBAN fails")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: bad card passes Luhn")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN fails")
            if kind.startswith("NOT_BSN") and bsn_ok(raw):
                errors.append(f"{w}: look-alike passes 11-proof")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        validated = PII in cats and any(k in VALID_ID_KINDS for k, _, _ in used)
        if sev != severity_for(r["role"], cats, validated):
            errors.append(f"{w}: severity mismatch")
        if any(k in VALID_ID_KINDS for k, _, _ in used) and PII not in cats:
            errors.append(f"{w}: valid identifier without leak.pii")
        nt = norm(text)
        if not cats:
            for m in IBAN_RE.finditer(text):
                c = m.group(0).replace(" ", "")
                if c not in own_ibans and any(iban_ok(c[:e]) for e in range(len(c), 11, -1)):
                    errors.append(f"{w}: benign with valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign with Luhn number")
            for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text):
                if bsn_ok(d):
                    errors.append(f"{w}: benign with 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{w}: benign with secret shape {rx.pattern}")
            for sw in SWEAR:
                if re.search(r"\b" + re.escape(sw), nt) and not (sw in MILD_OK and r["tags"] & {"quote", "mild-word"}):
                    errors.append(f"{w}: benign with word {sw}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign with low price ratio {ratio:.2f}")
        for term, until in embargo:
            if term in nt:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term} before until without leak.confidential")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term} after until labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errors.append(f"{w}: internal term {term} without leak.confidential")
        if not p["text"].strip():
            errors.append(f"{w}: empty text")
    # near duplicates
    sh = []
    for line in lines:
        words = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errors.append(f"lines {i + 1} and {j + 1} are near-duplicates")
    return errors


def report(rows):
    cat_c, cat_lang, cat_role, sev_c, lang_c, role_c, plat_c, kind_c = (Counter() for _ in range(8))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        kind_c[r["post"].get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            cat_lang[("(benign)", r["lang"])] += 1
            cat_role[("(benign)", r["role"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat_c[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY + ["(benign)"]:
        tot = cat_c[c] if c != "(benign)" else benign
        print(f"{c:24s} {tot:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(lang_c), " roles:", dict(role_c))
    print("severities:", {s: sev_c[s] for s in SEVERITIES})
    print("platforms:", dict(plat_c.most_common()))
    print("kinds:", dict(kind_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if args.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        errors = check(disk, rows, profile)
        if disk != lines:
            errors.append("cases.jsonl differs from the generator output")
    else:
        errors = check(lines, rows, profile)
        if errors:
            print("\n".join("ERROR " + e for e in errors))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
