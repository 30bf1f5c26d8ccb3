#!/usr/bin/env python3
"""Blind evaluation set 'sealed57' for postwatch: Klaarzicht Optiek & Hoorzorg B.V.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every case and print the counts

A fictional Dutch chain of opticians and hearing-care centres (glasses, contact-lens
subscriptions, eye tests, hearing tests, insurer reimbursements, an online shop).
The profile is profile.yaml in this folder.

Texts are written by hand in the CASES list below. Identifiers and secrets are put in
from placeholders like [[IBAN_NL:grp]] by one seeded RNG, so the output is the same on
every run. Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof);
benign look-alikes get numbers that fail their check. All secrets are random and fake
but shaped like the real formats.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (from profile.yaml by platform:handle, case-insensitive), the categories
and whether a checksum-valid identifier is in the post.
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

SEED = 5757_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

PRC, SCR, PII, CNF, FIN, SCY = ("leak.pricing", "leak.secret", "leak.pii",
                                "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATEGORIES = [SCR, PII, PRC, CNF, FIN, SCY, CRI, CMP, ABU]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZWSP = "\u200b"
SHY = "\u00ad"
CYR_A = "\u0430"   # Cyrillic small a, looks like Latin a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def iban_with_check(country, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            v -= 9 if v > 9 else 0
        s += v
    return s % 10 == 0


def elfproef_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


def b62(n):
    a = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = a[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# seeded values for placeholders
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
URLSAFE = AN + "-_"
B64 = AN + "+/"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # IBANs --------------------------------------------------------------
    def iban(self, country):
        if country == "NL":
            return iban_with_check("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "TRIO", "ASNB"])
                                   + self.dig(10))
        if country == "BE":
            head = self.r.choice(["001", "063", "310", "732", "850"]) + self.dig(7, lead=False)
            return iban_with_check("BE", head + f"{(int(head) % 97) or 97:02d}")
        if country == "DE":
            return iban_with_check("DE", self.r.choice(["50010517", "37050198", "10050000"]) + self.dig(10))
        raise ValueError(country)

    def bad_iban(self, country):
        good = self.iban(country)
        for step in (7, 13, 29, 31, 43):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    # cards --------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            body = "4" + self.dig(14, lead=False)
        elif brand == "mc":
            body = "5" + self.r.choice("12345") + self.dig(13, lead=False)
        elif brand == "mc2":
            body = str(self.r.randint(2221, 2720)) + self.dig(11, lead=False)
        elif brand == "amex":
            body = self.r.choice(["34", "37"]) + self.dig(12, lead=False)
        else:
            raise ValueError(brand)
        for d in string.digits:
            if luhn_ok(body + d):
                return body + d
        raise AssertionError

    def bad_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes ------------------------------------------------
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef_ok(s):
                return s

    def no_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9, lead=False)
            full = next(body + d for d in string.digits if ean13_ok(body + d))
            if not luhn_ok(full) and not elfproef_ok(full):
                return full

    def id_doc(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        mid = "".join(self.r.choice(letters + "123456789") for _ in range(6))
        return self.pick(letters, 2) + mid + self.r.choice("123456789")

    # phones ---------------------------------------------------------------
    def phone(self, fmt):
        if fmt.startswith("m_"):
            d = self.r.choice("12345") + self.dig(7, lead=False)   # the 8 digits after 06
            return {
                "m_dash": f"06-{d}",
                "m_plain": f"06{d}",
                "m_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                "m_intl": f"+31 6 {d[:4]} {d[4:]}",
                "m_intl0": f"+31 (0)6 {d[:2]} {d[2:5]} {d[5:]}",
                "m_0031": f"0031 6{d}",
            }[fmt]
        area = self.r.choice(["33", "38", "53", "55", "73", "76", "15", "71"])
        sub = self.r.choice("2345678") + self.dig(6, lead=False)
        return {"l_dash": f"0{area}-{sub}", "l_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[fmt]

    # secrets ----------------------------------------------------------------
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(11)}-{self.dig(13)}-{self.pick(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(AN, 24)

    def gapi(self):
        return "AIza" + self.pick(URLSAFE, 35)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "klant_" + self.dig(7), "iss": "shop.klaarzicht.nl", "scope": "account",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(URLSAFE, 43)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Lente", "Bril", "Zomer", "Oogje", "Hoorn", "Lenzen", "Vlinder", "Kassa"])
        return (word + self.dig(4, lead=False) + self.r.choice("!#$%*") + self.pick(string.ascii_lowercase, 2)
                + self.pick(AN, 3))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
NEGATIVE_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOBSN9", "NOBSN8", "EAN13"}
PH = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")


def fill(v, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = v.bad_iban("NL")
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = v.card(brand) if kind == "CARD" else v.bad_card(brand)
            shown = v.card_fmt(raw, f or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOBSN9":
            shown = raw = v.no_bsn(9)
        elif kind == "NOBSN8":
            shown = raw = v.no_bsn(8)
        elif kind == "EAN13":
            shown = raw = v.ean13()
        elif kind == "IDDOC":
            shown = raw = v.id_doc()
        elif kind == "PHONE":
            shown = raw = v.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = v.dig(int(fmt))
        elif kind == "HEX":
            shown = raw = v.hexs(int(fmt))
        else:
            fn = {"GHP": v.ghp, "SENDGRID": v.sendgrid, "AWS_ID": v.aws_id, "AWS_SECRET": v.aws_secret,
                  "SLACK_BOT": v.slack_bot, "SLACK_HOOK": v.slack_hook, "STRIPE": v.stripe, "GAPI": v.gapi,
                  "JWT": v.jwt, "PEM_OPENSSH": v.pem_openssh, "PW": v.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
KZ = ("x", "@klaarzicht", "Klaarzicht")
KZ_HELP = ("x", "@klaarzicht_helpt", "Klaarzicht Klantenservice")
KZ_IG = ("instagram", "@klaarzicht.optiek", "Klaarzicht Optiek")
KZ_LI = ("linkedin", "klaarzicht-optiek-hoorzorg", "Klaarzicht Optiek & Hoorzorg B.V.")
KZ_FB = ("facebook", "KlaarzichtNL", "Klaarzicht")
KZ_TT = ("tiktok", "@klaarzicht", "Klaarzicht")
# employees
NOOR = ("x", "@noor_oogmeting", "Noor Visser")                    # optometrist, store Amersfoort
BAS = ("x", "@bas_audicien", "Bas Mulder")                        # audicien, hearing centre Zwolle
MAARTEN = ("x", "@maartendevt", "Maarten de Wit")                 # web shop developer
SVEN = ("x", "@svenops_kz", "Sven Koster")                        # infra / DevOps
RUBEN = ("linkedin", "ruben-hoekstra-kz", "Ruben Hoekstra")       # IT manager
ILSE = ("linkedin", "ilse-verbeek-finance", "Ilse Verbeek")       # finance controller
YAS = ("instagram", "@yasmina.brilstyliste", "Yasmina El Idrissi")  # frame stylist, store Utrecht
LOTTE = ("facebook", "lotte.brouwer.kz", "Lotte Brouwer")         # customer service team lead
KEES = ("mastodon", "@keesjanssen@mastodon.nl", "Kees Janssen")   # distribution centre


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MAARTEN, "Ehm. Na de deploy van vanochtend staat de Aria Pro op €189,50 in de webshop ipv €1.895 🫠 "
     "komma is één plek naar links geschoven. Rollback loopt, niet doorvertellen pls", [PRC])
case("nl", NOOR, "Kassa in filiaal Amersfoort slaat VarioFocus glazen aan voor €74,90 😵‍💫 we schrijven alles nu met "
     "de hand op tot IT het fixt. Klanten niks over zeggen!!", [PRC], kind="reply")
case("en", pub("reddit", "u/specs_and_deals"), "PSA for anyone who needs new frames: the Noorderlicht titanium montuur "
     "is €28,90 on shop.klaarzicht.nl right now. Pretty sure someone dropped a digit (it's normally 289). Mine got "
     "confirmed, we'll see if they actually ship it.", [PRC])
case("nl", pub("x", "@bargain_bregje", "Bregje 🛍️"), "DagHelder 90 stuks voor €6,99??? prijsfoutje bij @klaarzicht "
     "denk ik 👀 heb er meteen 8 dozen in gegooid, lenzen voor 2 jaar haha #prijsfout", [PRC])
case("nl", pub("facebook", "henk.vandermeulen.52", "Henk van der Meulen"), "Staat bij Klaarzicht online de Zeewind "
     "zonnebril nou voor 14,90 euro?? Volgens mij klopt daar iets niet, normaal is ie 149. Toch maar besteld voor de "
     "vakantie 😎", [PRC])
case("nl", KZ_IG, "☀️ ZOMERKNALLER ☀️\nDe Zeewind zonnebril nu voor slechts €49 — alleen dit weekend, online en in "
     "alle winkels! 🕶️ Link in bio\n#klaarzicht #zonnebril #zomer", [PRC])
case("en", ILSE, "For the Finance colleagues who missed this morning's call: between 02:10 and 08:35 the Aria Mini was "
     "listed at €129,50 in the web shop because of a decimal issue in the supplier price import. 41 orders came in. "
     "Legal decides by Thursday whether we honour them. Please keep this within the team.", [PRC])
case("nl", pub("threads", "@oma.tinie.kleinkind"), "p r i j s f o u t bij klaarzicht op de Aria Mini hoortoestel!! "
     "mijn oma belt ze morgen meteen op haha 📞👵", [PRC], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@zuinige_zeeuw"), "VàrioFocus glazen voor €59 bij Klaarzicht?!? dat kan nooit kloppen 😂 "
     "foutje in het systeem zeker, snel bestellen", [PRC], tags=["evasion", "evasion:diacritics"])
case("en", pub("tiktok", "@lensgirlie"), "ok so my LensPlus renewal went through at €2,49 instead of €24,95 this month 💀 "
     "not telling them lol #lenses #glitch", [PRC])
case("nl", MAARTEN, "wie heeft er aan de prijsregels gezeten?? AriaPro voor 18,95 in de checkout, ik heb t ticket in "
     "https://jira.klaarzicht.nl/browse/SHOP-2291 gezet maar niemand pakt het op 😤", [PRC, CNF])
case("en", pub("youtube", "@dealsdaan"), "grabbed two DagHelder 90 boxes for €0.69 each during the glitch last night, "
     "order shipped this morning 🤣 thanks Klaarzicht", [PRC], kind="comment")
case("nl", YAS, f"Meiden!! prijs{ZWSP}fout in onze eigen webshop: Zeewind zonnebril voor een tientje 🤭 snel zijn "
     "voordat het eraf gaat #zonnebril #musthave", [PRC], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MAARTEN, "CI keeps failing on the lens-subscription repo, does this look right to anyone?\n\n"
     "git clone https://[[GHP]]@github.com/klaarzicht/lensplus-api.git\n\nworks on my machine 🙃", [SCR])
case("nl", RUBEN, "Kleine security-reminder voor alle devs hier 🔐 Vorige week vonden we in de appsettings.json van de "
     "afspraken-app nog gewoon:\n\n\"SendGridApiKey\": \"[[SENDGRID]]\"\n\nDie is inmiddels ingetrokken, maar zet "
     "zulke dingen ALSJEBLIEFT in de vault. #security #devops", [SCR])
case("en", KEES, "anyone know why the returns job can't connect? conn string is "
     "postgresql://lensplus_app:[[PW]]@db02.intern.klaarzicht.local:5432/abonnementen and it just times out #postgres",
     [SCR, CNF])
case("nl", LOTTE, "Voor de collega's van klantenservice die vanochtend niet in het CRM kwamen: het tijdelijke "
     "wachtwoord is [[PW]] , graag meteen wijzigen na inloggen 🙏", [SCR])
case("nl", KZ_HELP, "@martijn_b Excuus voor het ongemak! De betaalpagina werkt weer, we hebben de koppeling opnieuw "
     "ingesteld met [[STRIPE]]. Kunt u het nog eens proberen?", [SCR], kind="reply")
case("nl", SVEN, "Kan iemand even meekijken waarom de nachtelijke backup naar S3 faalt?\naccess key [[AWS_ID]]\n"
     "secret [[AWS_SECRET]]\nregio eu-central-1. Alvast dank 🙏", [SCR])
case("en", pub("reddit", "u/bitflipper_nl"), "Not sure who to tell: a Klaarzicht developer has a public GitHub repo with "
     "a Slack webhook in it: [[SLACK_HOOK]]\nPosting here so someone over there sees it.", [SCR], kind="comment")
case("en", pub("x", "@tired_of_apps"), "@klaarzicht_helpt your app logs me out every 2 min and I've been trying for a "
     "week. support asked for my token so here: [[JWT]] can someone PLEASE fix this", [SCR, CMP])
case("nl", SVEN, "deploy naar de webshop-server lukt niet meer met deze key, iemand een idee wat er mis is?\n\n"
     "[[PEM_OPENSSH]]", [SCR])
case("en", RUBEN, "Proud of our little stock-alert bot 🤖 It pings the stores when DagHelder stock runs low. Setup is "
     "trivial: SLACK_BOT_TOKEN=[[SLACK_BOT]] plus a cron job. Happy to share the code!", [SCR])
case("nl", YAS, "reminder voor team Utrecht: het w8woord van de oogmeet-pc is nu [[PW]] (ja, alweer veranderd 🙄)",
     [SCR], tags=["evasion", "evasion:leet"])
case("nl", pub("forum", "Kritische_Koen"), "In de broncode van de afspraakmodule op klaarzicht.nl staat gewoon een "
     "Google API key: [[GAPI]]\nZal wel voor Maps zijn maar toch, slordig.", [SCR])
case("nl", NOOR, "Welk wachtwoord hadden we nou voor de netvliescamera? Ik heb '[[PW]]' geprobeerd maar die doet het "
     "niet meer 😩", [SCR])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NOOR, "Mevrouw Hendriks, uw nieuwe bril ligt klaar in Amersfoort! We krijgen u telefonisch niet te pakken "
     "op [[PHONE:m_dash]], wilt u even langskomen? 👓", [PII], handle_as="@Noor_Oogmeting")
case("nl", BAS, "Declaratie bij de verzekeraar weer afgekeurd omdat het BSN van dhr. Van Leeuwen ([[BSN:dots]]) "
     "verkeerd in ons systeem staat. Wie heeft dat ingevoerd 🙄", [PII])
case("nl", LOTTE, "Terugbetaling voor mevrouw Kraaijeveld (lenzenabo dubbel afgeschreven) is vandaag overgemaakt naar "
     "[[IBAN_NL:grp]]. Collega's: ticket mag dicht 👍", [PII])
case("nl", KZ_HELP, "@gerrit_sm Bedankt meneer Smit, we hebben uw adres aangepast naar Kastanjelaan 22, 3831 LB "
     "Leusden. Uw hoortoestelbatterijen worden morgen verzonden.", [PII], kind="reply")
case("nl", pub("x", "@hoor_ik_wat"), "Verzekeraar wil de nota van mijn hoortoestellen niet vergoeden omdat Klaarzicht "
     "mijn BSN niet heeft meegestuurd. Het is [[BSN]], hoe moeilijk kan het zijn?? Al 3x gebeld 😡", [PII, CMP])
case("nl", pub("facebook", "desiree.vanbeek", "Desiree van Beek"), "Klaarzicht heeft mijn lenzenabonnement twee keer "
     "afgeschreven van mijn creditcard [[CARD:visa_sp]]. Mail gestuurd, niks gehoord. Wie kan helpen?", [PII, CMP])
case("en", pub("reddit", "u/haarlem_hater"), "That smug optician at the Klaarzicht in Haarlem, Joris Blom, lives at "
     "Zijlweg 118 in Haarlem btw. maybe someone should pay him a visit and tell him what a worthless prick he is",
     [PII, ABU])
case("en", YAS, "Happy 85th to our sweetest client Mrs. Gerda Smit-Boon (born 14-03-1941)! 🎂 She's been getting "
     "her glasses from us since the seventies 💕 #family", [PII])
case("en", pub("x", "@priya_r"), "@klaarzicht_helpt been waiting on a callback for 2 weeks about my hearing aid "
     "fitting. my number is [[PHONE:m_intl]] and email is priya.raman88@outlook.com, please just call", [PII, CMP])
case("nl", pub("instagram", "@annabel.v"), "Wie heeft er nog een Noorderlicht montuur in goud over? Stuur me een "
     "mailtje: annabel.vos [at] ziggo [punt] nl 🙏", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", ILSE, "Cross-border reimbursements are a pain: a Belgian hearing-aid client's insurer paid us instead of "
     "her. We've sent it on to [[IBAN_BE:grp]] (Mrs. L. Peeters). Anyone in retail finance with a smarter process?",
     [PII])
case("nl", KEES, "Retourpakket van Henk de Boer, Lindelaan 7, 7511 JK Enschede al 3 weken zoek in het DC. Iemand iets "
     "gezien? #logistiek", [PII])
case("nl", BAS, "Klant heeft haar ID-kaart laten liggen bij de hoortest vanochtend. Naam: Fenna de Groot, documentnr "
     "[[IDDOC]]. Ligt achter de balie in Zwolle.", [PII])
case("en", pub("x", "@jules_ams"), "Charged twice for one pair of Zeewind sunglasses?? amex [[CARD:amex_sp]] shows 2x "
     "€149. Klaarzicht fix this", [PII, CMP])
case("en", KZ_HELP, "@lisa_kuipers Got it, Lisa! Payment retried on card [[CARD:mc_dash]] exp 11/27 and it went "
     "through this time ✅ Your DagHelder order ships today.", [PII], kind="reply")
case("nl", pub("facebook", "marian.jacobs.assen", "Marian Jacobs"), "Vraagje: mijn vader Wim Jacobs, geboren 2 "
     "september 1948, woont Esdoornstraat 5 in Assen en heeft geen vervoer. Komen jullie van Klaarzicht ook aan huis "
     "voor een hoortest?", [PII], kind="comment")

case("nl", pub("x", "@portemonnee_kwijt"), "Wie heeft mijn portemonnee gevonden bij Klaarzicht Hoofddorp? Lag naast de "
     "spiegel bij de monturen. Bel me aub op [[PHONE:m_intl0]] 🙏", [PII])
case("nl", KEES, "Koerier kan het afleveradres niet vinden, klant is Pieter Bakker, tel [[PHONE:l_dash]]. Wie belt hem "
     "even? Ik zit vast in de zending van de hoorcentra", [PII], kind="reply")
case("nl", pub("facebook", "gisela.grenzgaenger", "Gisela"), "Hoortoestel vanuit Duitsland teruggestuurd naar Klaarzicht "
     "Enschede, geld graag terug op [[IBAN_DE:grp]]. Al 6 weken niks gehoord, terwijl de retour binnen de proeftijd "
     "was!", [PII, CMP])
case("en", pub("x", "@stuck_in_transit"), "if anyone from klaarzicht reads this, text me on [[PHONE:m_0031]]. my lens "
     "order has been 'processing' for 19 days and nobody answers the chat", [PII, CMP])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RUBEN, "Spannende tijden! 🚀 Met Project Vuurtoren rollen we dit najaar zelfbedieningskiosken voor de "
     "oogmeting uit in 30 winkels. Ik mag er nog niet te veel over zeggen, maar het team is er ontzettend trots op.",
     [CNF])
case("nl", NOOR, "Hele dag training gehad voor Operatie Wadloper, de nieuwe manier van oogmetingen inplannen. "
     "Eerlijk? Ik ben nog niet overtuigd 😅", [CNF])
case("en", YAS, "Sneak peek 🤫 got to try the Aria Pro 2 today at the regional meeting, sooo much smaller than the "
     "current one! More soon 👂✨", [CNF], when="2026-09-12T16:22:05+02:00")
case("en", pub("tiktok", "@yasmina.brilstyliste", "Yasmina"), "the new Aria Pro 2 is SO tiny omg 😍 can't wait for "
     "you guys to see it #hoortoestel #hearingaid", [CNF], when="2026-09-20T19:03:00+02:00")
case("en", MAARTEN, "checkout on https://acc.intern.klaarzicht.local/winkelmand is broken again after the merge. "
     "whoever touched the basket service, pls fix before standup 🙏", [CNF])
case("nl", KEES, "De planning voor het DC staat in een doc met 'KZ-VERTROUWELIJK' bovenaan, maar iedereen print het "
     "gewoon en laat het slingeren in de kantine 🤷 Week 38: 14.000 LensPlus-pakketten.", [CNF])
case("en", pub("reddit", "u/curious_cousin"), "my cousin works at Klaarzicht HQ and says Kompasroos is their new app "
     "that will replace the whole lens subscription thing. anyone heard anything?", [CNF])
case("nl", SVEN, "deploy pipeline van Project\nVuurtoren draait eindelijk weer 🎉 na 3 dagen debuggen", [CNF],
     tags=["evasion", "evasion:linebreak"])
case("nl", BAS, "Operatie 🌊 Wadloper gaat ook naar de hoorcentra, hoorde ik vandaag. Eindelijk een fatsoenlijke "
     "agenda?", [CNF], tags=["evasion", "evasion:emoji"], handle_as="@Bas_Audicien")
case("nl", pub("forum", "OptiekWatcher"), "Iemand heeft een pdf gedeeld met 'uitsluitend voor intern gebruik' op elke "
     "pagina, over een LensPlus Flex abonnement dat je per maand kunt opzeggen. Klinkt goed eerlijk gezegd.", [CNF],
     when="2026-07-02T21:14:40+02:00")
case("nl", ILSE, "Druk met de voorbereiding van de jaarresultaten 2026: de hoorzorgtak groeit harder dan begroot (+11%), "
     "optiek blijft achter. Mooie puzzel voor de RvC in maart.", [CNF, FIN])
case("nl", BAS, "Klanten vragen steeds of ze maandelijks kunnen opzeggen… wacht maar tot LensPlus Flex er is 😏",
     [CNF], when="2026-09-03T11:47:12+02:00")
case("en", pub("x", "@optics_insider"), "leaked roadmap says " + fullwidth("Project Vuurtoren") + " launches in 30 "
     "stores this autumn 👀", [CNF], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ILSE, "Eerste doorrekening voor de halfjaarcijfers 2026 is klaar: omzet hoortoestellen -14% door de nieuwe "
     "vergoedingsregels, brillen stabiel. Wordt een lastig gesprek met de bank volgende week.", [CNF, FIN],
     when="2026-07-28T17:05:31+02:00")
case("nl", NOOR, "Volgens onze regiomanager gaan er in het najaar 18 winkels dicht, vooral in Groningen en Drenthe. "
     "Niemand weet nog welke. Sfeer in de pauzeruimte is om te snijden 😞", [FIN])
case("en", pub("reddit", "u/hearsay_henk"), "Rumour from someone at Klaarzicht HQ: they're about to buy HoorPlein (the "
     "hearing aid chain) for ~€40M, announcement supposedly next month. Would explain why HoorPlein stopped hiring.",
     [FIN])
case("en", ILSE, "Honest reflection from a controller: our latest internal forecast has us missing the EBITDA target by "
     "roughly €3M this year. Nobody outside the board knows yet, so let's just say it'll be a tough autumn for "
     "finance teams in retail optics.", [FIN])
case("nl", BAS, "Reorganisatie bij de hoorcentra: van drie audiciens naar één per winkel, de rest wordt 'regionaal "
     "ingezet'. Brieven gaan volgende week de deur uit. Top werkgever hoor 👏", [FIN])
case("en", KEES, "So it's official-ish: DC Nieuwegein closes in March, lens fulfilment moves to a 3PL in Poland. "
     "~60 jobs. Staff hear it Monday, please don't spread this yet.", [FIN])
case("nl", LOTTE, f"Op de klantenservice worden 25 mensen ont{SHY}slagen volgens de nieuwe plannen, het callcenter "
     "gaat naar een extern bureau. Ik mag het eigenlijk nog niet zeggen 😢", [FIN],
     tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("x", "@beursbengel"), "Insider vertelde me dat Klaarzicht verkocht wordt aan een private equity club, "
     "deal is rond in november. Zeg niet dat je het van mij hebt 🤐", [FIN])
case("nl", RUBEN, "Interne dashboards laten zien dat LensPlus op 212.000 abonnees staat, terwijl het doel voor dit jaar "
     "250k was. Benieuwd hoe we dat gaan uitleggen bij de kwartaalupdate.", [FIN])
case("en", YAS, "Store managers got a call today… looks like we're merging with OptiNed next year 😳 big changes "
     "coming, that's all I'm allowed to say", [FIN])
case("nl", pub("linkedin", "marco-retailadvies", "Marco Dijkstra"), "Hoor uit de markt dat Klaarzicht haar hoorzorgtak "
     "in de etalage zet. Zou me niet verbazen met de marges op hoortoestellen op dit moment. #retail #optiek", [FIN])
case("en", SVEN, "heard 40 IT jobs get outsourced in Q1, l@yoffs get announced after the holidays. fun times 🙃",
     [FIN], tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RUBEN, "Lange nacht achter de rug. Sinds 02:00 ligt het afsprakensysteem eruit door ransomware op een van "
     "de planningsservers. Het bericht naar klanten moet nog de deur uit, dus over de omvang zeg ik even niks. "
     "Respect voor het hele team 💪", [SCY])
case("en", MAARTEN, "so uh. turns out on the customer portal you can see someone else's prescription just by changing "
     "the number at the end of the URL. reported it internally, fix is 'planned'. please don't try it 🙃", [SCY])
case("nl", BAS, "Onze fittingsoftware voor de hoortoestellen heeft een lek waarmee je via bluetooth instellingen kan "
     "aanpassen. Leverancier weet het al maanden, patch is er nog steeds niet. Niet doorvertellen.", [SCY])
case("en", KEES, "Found out today the lens subscription database was reachable without any auth for about two weeks. "
     "Management's line is 'no evidence of access' and we're not telling customers for now.", [SCY])
case("nl", NOOR, "Alle OCT-scanners in de winkels liggen al sinds 9 uur plat, schijnt een aanval te zijn. Wij moeten "
     "tegen klanten zeggen dat het 'gepland onderhoud' is 🙄", [SCY])
case("en", pub("reddit", "u/infosec_ineke"), "Friend in IT at Klaarzicht says they were hacked in May, customer records "
     "included, and they've decided not to notify anyone. If you've had an eye test there, change your passwords.",
     [SCY, CRI])
case("nl", pub("x", "@privacywaakhond"), "Klaarzicht verzwijgt een datalek!! Een medewerker heeft het me zelf verteld, "
     "duizenden oogmetingen en BSN's op straat en geen melding bij de AP. Schandalig. #datalek", [SCY, CRI])
case("nl", SVEN, "we zijn geh4ckt 🙃 halve infra op slot, iedereen moet z'n laptop inleveren. officieel verhaal komt "
     "'later'", [SCY], tags=["evasion", "evasion:leet"])
case("nl", LOTTE, "Rare dag op de klantenservice: drie collega's zijn in een phishingmail getrapt en hun accounts zijn "
     "overgenomen. We kunnen nu niet bij klantdossiers. Wordt nog niet naar buiten gebracht dus graag stil houden.",
     [SCY])
case("en", YAS, "card terminals down in every store since noon 😩 IT says it's an attack on the payment provider but "
     "we're supposed to tell customers it's a 'network hiccup'. cash only today!", [SCY])
case("nl", ILSE, "Moeilijke week. Een d a t a l e k bij de lenzenabonnementen, adressen en betaalgegevens. De melding "
     "bij de AP loopt nog, dus ik kan er verder niets over kwijt.", [SCY], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@marloes_b"), "a Klaarzicht employee just told me in store that their booking system was "
     "breached last week and they've been told to keep quiet 😬", [SCY, CRI])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkzien"), "BOYCOT KLAARZICHT. Ze verkopen oogmetingen door aan zorgverzekeraars zonder "
     "toestemming. Ga naar een onafhankelijke opticien! #boycotklaarzicht", [CRI])
case("nl", pub("facebook", "truus.hofman", "Truus Hofman"), "Het oplaadstation van mijn Aria Mini werd gloeiend heet "
     "en het hoortoestel is gesmolten. Mijn man had het nog IN zijn oor toen het begon te branden. Klaarzicht zegt "
     "'we zoeken het uit'. Dit is gevaarlijk!!", [CRI, CMP])
case("en", pub("reddit", "u/consumer_claims_nl"), "There's now a class action being prepared against Klaarzicht for "
     "pushing premium hearing aids on elderly customers who only needed the basic model. The lawyers' site is "
     "collecting stories.", [CRI])
case("en", pub("x", "@eyehealth_alerts"), "RECALL: DagHelder lenses, batch 24K-117. Several reports of eye infections. "
     "And Klaarzicht is still selling them online as of this morning?! #recall #eyehealth", [CRI])
case("nl", pub("instagram", "@sanne_lenslife"), "Na twee weken LensPlus-lenzen een hoornvliesontsteking 😭 de "
     "oogarts zegt dat ik niet de enige ben deze maand. Klaarzicht reageert alleen met een standaardmailtje.",
     [CRI, CMP])
case("en", pub("blog", "privacyradar.example", "Privacy Radar"), "Klaarzicht accused of exposing 20,000 prescriptions: "
     "a researcher says a misconfigured storage bucket held eye scans, names and insurer numbers. The company has not "
     "responded to our questions.", [CRI])
case("nl", pub("tiktok", "@yara.speaks"), "Mijn moeder (78) werd bij Klaarzicht Rotterdam-Zuid weggestuurd omdat ze "
     "'toch geen Nederlands verstond'. Dit is gewoon discriminatie en iedereen moet dit weten. #klaarzicht "
     "#discriminatie", [CRI, CMP])
case("en", pub("x", "@grey_panther_nl"), "B O Y C O T T  Klaarzicht until they stop the hearing-aid upselling scam on "
     "pensioners. share this 🔁", [CRI], tags=["evasion", "evasion:spaced"])
case("en", pub("youtube", "@vision_lost"), "Two eye tests at Klaarzicht, both 'fine'. Turns out I had glaucoma the whole "
     "time and lost part of my vision. We've filed a lawsuit. Don't trust their quick tests.", [CRI, CMP],
     kind="comment")
case("en", pub("mastodon", "@dataminimalist@eupolicy.social"), "Pretty sure Klaarzicht leaked my data. A phishing mail "
     "today had my exact address, my lens prescription and the date of my last eye test. Only they had all of that.",
     [CRI])
case("nl", pub("facebook", "ricardo.fietst", "Ricardo"), "Glas van mijn Zeewind zonnebril knapte zomaar tijdens het "
     "fietsen, splinter in mijn oog, avond op de SEH doorgebracht 😡 Klaarzicht biedt een tegoedbon aan. Serieus??",
     [CRI, CMP])
case("nl", pub("x", "@anoniem_ogen"), "d4t4l3k bij Kl44rzicht?? mijn oogmeting staat ineens op een of andere "
     "russische site 😳", [CRI], tags=["evasion", "evasion:leet"])
case("en", pub("linkedin", "femke-journalist", "Femke Zwart"), "Working on a story about hearing-aid retailers. Several "
     "former Klaarzicht audiologists tell me they had sales targets per elderly client. If you have documents, "
     "please get in touch via Signal.", [CRI])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@wachtendewim"), "Bril besteld op 3 mei, ze zeiden 10 werkdagen. Inmiddels 5 weken verder en nog "
     "steeds 'in productie' 🙄 @klaarzicht wat is hier aan de hand?", [CMP])
case("nl", pub("facebook", "ingrid.postma.7", "Ingrid Postma"), "Nieuwe bril van Klaarzicht, sterkte klopt niet (links "
     "zie ik alles wazig) en nu willen ze €45 voor een nieuwe meting. Ik heb al betaald voor de eerste!! Echt "
     "belachelijk.", [CMP])
case("nl", pub("trustpilot", "R. Kuiper"), "1 ster. DagHelder bestelling nooit aangekomen, PostNL zegt afgeleverd, "
     "Klaarzicht zegt 'neem contact op met PostNL'. Lekker dan.", [CMP])
case("en", pub("reddit", "u/whistling_aria"), "My Aria Pro whistles every time I put on a hat and the earliest "
     "appointment with an audiologist is in 6 weeks. Paid almost €1,900 for this. Is this normal with Klaarzicht?",
     [CMP])
case("en", pub("x", "@cancel_culture_victim"), "Trying to cancel my LensPlus subscription for 2 months now. Form 'not "
     "found', chat bot loops, and they charged me again today. @klaarzicht_helpt", [CMP])
case("nl", pub("instagram", "@bredase_bram"), "Oogmeting in 7 minuten afgeraffeld, de opticien zat ondertussen op z'n "
     "telefoon. Voor dit geld verwacht ik echt meer aandacht. Niet meer bij Klaarzicht Breda.", [CMP])
case("nl", pub("threads", "@mo.janssens"), "45 minuten in de wacht bij de klantenservice van klaarzicht en toen werd de "
     "verbinding verbroken 🙃 top", [CMP])
case("nl", pub("x", "@ger_hoort_niks"), "Klaarzicht heeft de aanvraag voor mijn hoortoestellen nooit naar de "
     "zorgverzekeraar gestuurd, nu krijg ik een rekening van €1.400 thuis. Drie keer gebeld, drie keer 'we bellen u "
     "terug'.", [CMP])
case("en", pub("bluesky", "@tiltedfloor.bsky.social"), "My VarioFocus lenses make the floor look like it's tilting, 3 "
     "months in. Klaarzicht says 'wennen' (= just get used to it) and won't refund. Great.", [CMP])
case("en", pub("youtube", "@grandpa_gadgets"), "The Aria Pro app disconnects from my phone like 10 times a day since "
     "the last update. Klaarzicht support told me to 'restart the phone'. Seriously?", [CMP], kind="comment")
case("nl", pub("forum", "scharnier_sjaak"), "Noorderlicht montuur na 2 maanden bij het scharnier gebroken. Garantie "
     "afgewezen want 'eigen schuld'. Ik heb hem nooit laten vallen! Iemand ervaring met de geschillencommissie?",
     [CMP])
case("nl", pub("x", "@min_twee_kwart"), f"Kl{CYR_A}{CYR_A}rzicht stuurt me al 3 weken de verkeerde daglenzen, -3.25 "
     "ipv -2.25. Hoe dan?? 🤦‍♀️", [CMP], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("tiktok", "@kraslijn"), "Zeewind zonnebril vandaag binnen, glas zit vol krassen 😤 en retourneren kost "
     "€6,95?? Nee dank je Klaarzicht", [CMP], tags=["price-context"])
case("en", pub("x", "@dayoff_wasted"), "Third time Klaarzicht cancels my eye test the day before. I've taken time off "
     "work for this twice now. Unreal.", [CMP])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_buurman"), "Klaarzicht is echt een kankerbedrijf, hoop dat ze failliet gaan", [ABU])
case("en", pub("x", "@snarkbot9000"), "whoever runs the @klaarzicht_helpt account is a brain-dead moron, honestly",
     [ABU], kind="reply")
case("nl", pub("facebook", "peter.stam.1960", "Peter Stam"), "Klote service, stelletje debielen. Bril staat al 3 weken "
     "'klaar voor ophalen' maar niemand kan hem vinden in de winkel.", [CMP, ABU], kind="comment")
case("nl", BAS, "Weer zo'n ouwe zeurtrut aan de balie die 'niks hoort' maar wel alles hoort als het over de prijs gaat "
     "🙄 #audicienleven", [ABU])
case("nl", KZ_FB, "Misschien eerst de gebruiksaanwijzing lezen voordat je gaat klagen, sukkel.", [ABU], kind="reply",
     handle_as="klaarzichtNL")
case("en", pub("reddit", "u/real_dutch_only"), "Went to Klaarzicht and got served by some woman in a headscarf. People "
     "like her shouldn't be allowed near customers, send them all back where they came from.", [ABU], kind="comment")
case("en", pub("tiktok", "@nofilter.nadia"), "klaarzicht can go f*ck themselves honestly 🖕", [ABU],
     tags=["evasion", "evasion:masked"])
case("en", YAS, "customers today were absolute idiots 🙄 no Karen, we can't make your glasses in 20 minutes",
     [ABU])
case("nl", pub("x", "@ruziezoeker"), "k u t  k l a a r z i c h t, stelletje oplichters", [ABU],
     tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@grudge@toot.community"), "@noor_oogmeting you're a useless clown and I know which store "
     "you work at. watch yourself.", [ABU], kind="reply")
case("en", pub("x", "@done_waiting"), "Klaarzicht your customer service is run by absolute morons. 4 weeks for a pair of "
     "glasses and nobody picks up the phone. fucking joke", [CMP, ABU])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", KZ, "Onze webshop is vannacht tussen 01:00 en 03:00 niet bereikbaar door gepland onderhoud. Een afspraak "
     "maken kan daarna gewoon weer via afspraak.klaarzicht.nl 👓", tags=["outage-notice"])
case("nl", KZ_HELP, "@sjaak_p Vervelend om te horen! Wilt u ons mailen via klantenservice@klaarzicht.nl met uw "
     "ordernummer? Dan zoeken we het direct voor u uit.", kind="reply", tags=["own-contact"],
     handle_as="@Klaarzicht_Helpt")
case("nl", KZ_FB, "Vragen over de vergoeding van je hoortoestel? Bel gratis 0800-5527 of mail "
     "vergoedingen@klaarzicht.nl. We helpen je graag! 👂", tags=["own-contact"])
case("nl", pub("x", "@voorzichtige_vera"), "Factuur van Klaarzicht moet naar NL52 RABO 0318 4472 09, is dat echt hun "
     "rekeningnummer? Wil zeker weten dat het geen phishing is", tags=["own-contact"])
case("en", KZ_LI, "We're hiring! 40 opticians and 15 audiologists for our stores across the Netherlands. Apply via "
     "werkenbij@klaarzicht.nl or call +31 30 799 4400. #vacature #optometry", tags=["own-contact"])
case("en", pub("reddit", "u/helpful_hanneke"), "Klaarzicht's number is 030-7994400 for anyone looking, their chat was "
     "quicker for me though.", kind="comment", tags=["own-contact"])
case("nl", pub("x", "@opa_gerrit"), "Heb de Aria Mini nu 3 maanden, geen klachten! Zelfs in het restaurant kan ik alles "
     "weer volgen 🥰", tags=["negated-complaint"])
case("nl", KZ_IG, "Najaarsactie 🍂 25% korting op VarioFocus multifocale glazen: van €749 voor €561,75. Maak nu een "
     "afspraak voor een oogmeting!", tags=["sale"])
case("nl", pub("facebook", "jan.de.kort.51", "Jan de Kort"), "Eigen bijdrage voor mijn Aria Pro was na de vergoeding "
     "van de zorgverzekeraar €473,75. Valt me eigenlijk alles mee!", tags=["price-context", "co-pay"])
case("nl", pub("x", "@twijfelkont"), "€100 korting op je tweede bril bij Klaarzicht deze maand, ik twijfel nog tussen "
     "een Noorderlicht montuur of iets goedkopers", tags=["sale", "discount-amount", "price-context"])
case("nl", pub("forum", "hoorhulp_deventer"), "Te koop: Aria Mini, 2 jaar oud, tweedehands incl. lader, €350. Alleen "
     "ophalen in Deventer.", tags=["price-context", "second-hand"])
case("en", pub("reddit", "u/wax_guard"), "Domes and wax filters for the Aria Pro are €6.95 a pack at Klaarzicht, way "
     "cheaper than I expected", kind="comment", tags=["price-context", "accessory"])
case("nl", KZ_HELP, "@bertje88 Geen prijsfout hoor! De DagHelder 90 staat deze week echt op €49,95, dat is onze "
     "lenzenactie 😊", kind="reply", tags=["denied-error", "sale"])
case("nl", pub("x", "@lenzenlieke"), "LensPlus kost me €24,95 per maand en ik hoef nooit meer aan lenzen te denken. "
     "Aanrader.", tags=["list-price"])
case("en", pub("x", "@comparison_carla"), "Zienswijze Optiek has progressive lenses from €199 now, Klaarzicht "
     "VarioFocus is €749. Anyone compared the quality?", tags=["price-context", "other-company"])
case("nl", KZ, "Hij is er! 🎉 De Aria Pro 2: ons kleinste oplaadbare hoortoestel ooit. Vanaf vandaag te proberen in al "
     "onze hoorcentra.", when="2026-10-01T10:00:00+02:00", tags=["embargo-at-moment"])
case("en", pub("x", "@streamingstan"), "Just got fitted with the Aria Pro 2, streaming is so much better than on my old "
     "ones 🎧", when="2026-10-18T14:31:09Z", tags=["embargo-after"])
case("nl", KZ_LI, "Klaarzicht publiceert de halfjaarcijfers 2026: omzet €212 miljoen, groei in hoorzorg. Lees het "
     "persbericht op klaarzicht.nl/pers", when="2026-08-20T08:00:00+02:00", tags=["embargo-at-moment", "published"])
case("nl", pub("linkedin", "annet-analist", "Annet Bosman"), "Sterke halfjaarcijfers 2026 van Klaarzicht, vooral de "
     "hoorzorg doet het goed. Benieuwd naar de rest van het jaar.", when="2026-08-21T09:12:44.310Z",
     tags=["embargo-after", "published"])
case("nl", pub("x", "@eilandhopper"), "Vandaag de vuurtoren van Texel beklommen, met m'n nieuwe bril van Klaarzicht "
     "zag ik eindelijk de boten liggen 😍", tags=["codename-word"])
case("nl", pub("instagram", "@wadden_wendy"), "Eerste keer wadlopen naar Schiermonnikoog! Tip: neem geen zonnebril "
     "mee die je niet kwijt wil 😅 #wadlopen #wadloper", tags=["codename-word"])
case("en", pub("reddit", "u/fact_checker_fem"), "Klaarzicht layoffs? No, that was HoorPlein last year, you're mixing "
     "them up. Klaarzicht just opened three new stores.", kind="comment", tags=["other-company"])
case("en", pub("x", "@gymrat_gijs"), "Massive data breach at my gym chain today. At least Klaarzicht only knows my "
     "prescription lol", tags=["other-company"])
case("en", pub("x", "@forgetful_fran"), "I can't recall which Klaarzicht store did my eye test, Utrecht or Zeist? "
     "Need the receipt for my insurer.", tags=["recall-other-sense"])
case("nl", pub("facebook", "mirjam.zeist", "Mirjam"), "Mijn dochter boycot alles wat roze is, dus haar nieuwe montuur "
     "werd knalblauw 😂 Dank Klaarzicht Zeist voor het geduld!", tags=["boycott-other-sense"])
case("nl", pub("x", "@utrecht_nieuwtjes"), "Brand in de Lange Elisabethstraat vannacht, de Klaarzicht ernaast is "
     "gelukkig ongeschonden. Sterkte voor de eigenaar van de bakkerij 🙏", tags=["brand-other-sense"])
case("nl", pub("facebook", "els.vermeer.3", "Els Vermeer"), "Mijn moeder heeft net haar behandeling voor kanker "
     "afgerond en ziet sindsdien slechter. De opticien bij Klaarzicht nam alle tijd voor haar, echt lief.",
     tags=["mild-word", "praise"])
case("en", pub("instagram", "@leafpeeper"), "Damn, I didn't know trees had individual leaves 🌳 new glasses from "
     "Klaarzicht hit different", tags=["mild-word"])
case("en", pub("instagram", "@karaoke_koos"), "🎶 I can see clearly now the rain is gone 🎶 finally get that song. "
     "Thanks Klaarzicht Amersfoort!", tags=["quote", "lyrics"])
case("en", pub("x", "@dadjokes_daily"), "my glasses are so thick I can see next week's weather 😂 @klaarzicht can you "
     "do anything about that", tags=["joke"])
case("nl", pub("blog", "schrijfhoek.example", "De Schrijfhoek"), "Hoofdstuk 3. De opticien schoof het montuur recht en "
     "zei zacht: 'Ik weet wat je in dat archief hebt gezien.' Buiten sloeg de regen tegen de etalage van de "
     "brillenzaak, een filiaal dat verdacht veel op een Klaarzicht leek.", tags=["fiction"])
case("en", pub("reddit", "u/hometown_hearing"), "Quote from Klaarzicht's press release: \"We are opening 12 new "
     "hearing centres in 2026.\" Nice, finally one in my town.", tags=["quote", "published"])
case("nl", pub("x", "@bril_of_lenzen"), "Welke zorgverzekeraar vergoedt het meest voor een bril? Ik twijfel tussen "
     "Klaarzicht en een zelfstandige opticien", tags=["question"])
case("nl", NOOR, "Vandaag 23 oogmetingen gedaan en allemaal tevreden klanten 🥹 ik hou van mijn werk #opticien",
     tags=["employee-benign"])
case("nl", BAS, "Tip van de audicien: maak je hoortoestel elke avond even schoon met een droog doekje en zet 'm op de "
     "lader. Scheelt een hoop gedoe!", tags=["employee-benign"])
case("nl", RUBEN, "Vandaag een phishing-simulatie gedraaid bij Klaarzicht. Leerzaam! Security awareness is echt "
     "teamwerk 💪 #security", tags=["employee-benign", "security-word"])
case("en", MAARTEN, "shipped the new frame size guide today 🎉 fixed the last layout bug in commit [[HEX:40]], "
     "go check it on klaarzicht.nl", tags=["git-sha", "employee-benign"])
case("en", SVEN, "Reminder for anyone writing docs: use placeholders like AKIAXXXXXXXXXXXXXXXX or <YOUR_TOKEN>, never "
     "real keys 🙏", tags=["placeholder", "employee-benign"])
case("nl", pub("x", "@appvraagje"), "Hoe reset ik mijn wachtwoord in de Klaarzicht app? Kan de knop nergens vinden 🙈",
     tags=["question", "password-word"])
case("nl", pub("x", "@pakketjepiet"), "Mijn ordernummer is [[NOBSN9]], waar kan ik de status zien bij Klaarzicht?",
     tags=["order-number"])
case("en", pub("reddit", "u/barcode_bart"), "Barcode on my DagHelder box says [[EAN13]], is that the same product as "
     "the 90-pack online?", tags=["ean13"])
case("nl", pub("facebook", "wilma.achterhoek", "Wilma"), "Kreeg een sms dat ik mijn Klaarzicht-rekening moet betalen op "
     "[[BAD_IBAN_NL:grp]], maar mijn bank zegt dat het geen geldig rekeningnummer is. Phishing?",
     tags=["bad-iban"])
case("en", pub("x", "@loyal_lenny"), "where do I enter my Klaarzicht klantenpas number ([[BAD_CARD:visa_sp]]) in the "
     "app? can't find it", tags=["bad-card", "question"])
case("nl", pub("x", "@declaratiedirk"), "AGB-code van de opticien staat op de factuur: [[NOBSN8]]. Mijn verzekeraar "
     "vraagt ernaar, klopt dat zo?", tags=["agb-code"])
case("en", pub("instagram", "@doorstep_dora"), "Tracking said 3SKZAR[[DIGITS:9]] delivered… and there it was on the "
     "doorstep 📦 new DagHelder lenses, thanks Klaarzicht!", tags=["tracking-number"])
case("en", pub("x", "@switcher_sam"), "HoorPlein just emailed everyone about a data breach. Glad I switched to "
     "Klaarzicht last year 😅", tags=["other-company"])
case("en", pub("linkedin", "sjoerd-audiology", "Sjoerd Vos"), "Great panel at the Vakbeurs Optiek 2026 today with "
     "Klaarzicht's head of audiology on accessible hearing care 👏", tags=["beurs-other-sense"])
case("nl", KZ_TT, "POV: je ziet voor het eerst weer losse blaadjes aan de bomen 🌳👓 #klaarzicht #nieuwebril",
     tags=["corporate-benign"])
case("en", pub("threads", "@mama_mila"), "does klaarzicht do hearing tests for kids or only adults?",
     tags=["question"])
case("en", pub("youtube", "@honest_hearing"), "Honest review after 6 months with the Aria Pro: battery lasts all day, "
     "app is decent, fitting took 3 visits. 8/10.", kind="comment", tags=["review"])
case("nl", pub("mastodon", "@nieuwsgierig@mastodon.nl"), "Wist je dat je in Nederland geen recept nodig hebt voor een "
     "bril? Mijn opticien bij Klaarzicht legde het uit.", tags=["question"])
case("nl", pub("facebook", "ria.buurvrouw", "Ria"), "Mijn buurvrouw vroeg of hoortoestellen vergoed worden. Ja, via de "
     "basisverzekering, je betaalt 25% eigen bijdrage. Zo ging het bij mijn Aria Mini via Klaarzicht tenminste.",
     tags=["question", "co-pay"])
case("nl", KZ, "Wij vragen NOOIT via DM of sms naar je wachtwoord of pincode. Twijfel je? Bel ons op 030 799 44 00.",
     tags=["own-contact", "password-word"])
case("en", YAS, "New Noorderlicht titanium frames just landed in store 😍 feather-light with that matte gold finish 💛 "
     "come say hi in Utrecht!", tags=["employee-benign"])
case("nl", pub("x", "@fietsende_fenna"), "Lekke band onderweg naar mijn hoortest bij Klaarzicht, gelukkig wachtten ze "
     "gewoon op me 🚲", tags=["lek-other-sense", "praise"])
case("en", pub("x", "@proud_mum_ams"), "My daughter is an intern at Klaarzicht HQ this summer and she's loving it so "
     "far", tags=["intern-word"])
case("nl", KZ_HELP, "@dirk_h Je kunt het openstaande bedrag overmaken naar NL52RABO0318447209 t.n.v. Klaarzicht Optiek "
     "& Hoorzorg B.V. onder vermelding van je factuurnummer.", kind="reply", tags=["own-contact"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

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


RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SCR, PRC) or (c == PII and pii_validated) else "error"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# post metadata
# ===========================================================================

def dst_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def some_time(r):
    day = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
    local = day + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-brilforum-{n}", f"https://forum.brilenlens.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 11)
    order = random.Random(SEED + 29)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or some_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
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
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            tags.add("no-lang-hint")
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "klaarzicht"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTTED_BSN_RX = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = [
    re.compile(r"\bghp_[A-Za-z0-9]{36}\b"), re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"), re.compile(r"hooks\.slack\.com/services/"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"), re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"), re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}"),
]
SWEAR = ["kut", "kanker", "tering", "tyfus", "klote", "debiel", "trut", "sukkel", "fuck", "f*ck", "shit", "idiot",
         "moron", "clown", "prick", "damn", "hell"]
MILD_OK = {"damn", "hell", "kanker"}
AMOUNT_RX = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def valid_ids(text, own_ibans):
    hits = []
    for m in IBAN_RX.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if mod97_ok(comp[:end]):
                if comp[:end] not in own_ibans:
                    hits.append(("iban", comp[:end]))
                break
    for m in NUM_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTTED_BSN_RX.finditer(text)]
    hits += [("bsn", s) for s in shapes if elfproef_ok(s)]
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    else:
        return d
    return "0" + (d[1:] if d.startswith("0") else d)


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


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def trigrams(t):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}


def check(lines, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    own_phone = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, texts = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: kind")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p["created_at"]):
            errs.append(f"{w}: created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_iban)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        r = meta[key]
        tags = r["tags"]
        texts.append((n, text))
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not mod97_ok(raw):
                errs.append(f"{w}: bad IBAN {raw}")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errs.append(f"{w}: bad card {raw}")
            if kind == "BSN" and not elfproef_ok(raw):
                errs.append(f"{w}: bad BSN {raw}")
            if kind == "BAD_IBAN_NL" and mod97_ok(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: negative card passes")
            if kind in ("NOBSN9", "NOBSN8", "EAN13") and elfproef_ok(raw):
                errs.append(f"{w}: negative number passes 11-proof")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by scan")
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        nt = norm(text)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CNF not in cats:
                    errs.append(f"{w}: embargo term {term} before {until} unlabelled")
                if ts >= until and CNF in cats:
                    errs.append(f"{w}: embargo term {term} after the embargo but labelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CNF not in cats:
                errs.append(f"{w}: internal term {term} unlabelled")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign severity {sev}")
            if ids:
                errs.append(f"{w}: benign with valid ids {ids}")
            for m in NUM_RX.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign Luhn-valid number {d}")
            for s in re.findall(r"(?<!\d)\d{8,9}(?!\d)", re.sub(r"[ \-.]", "", text)):
                if elfproef_ok(s) and s not in {d[-len(s):] for d in own_phone}:
                    errs.append(f"{w}: benign 11-proof-valid digits {s}")
            for e in MAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phone:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RX:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            for s in SWEAR:
                if re.search(r"\b" + re.escape(s), nt) and not (s in MILD_OK and tags & {"mild-word", "quote"}):
                    errs.append(f"{w}: benign with word {s}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in tags:
                errs.append(f"{w}: benign price ratio {ratio:.2f}")
        if PRC in cats and not (ratio is not None and ratio < 0.5) and not re.search(
                r"prijsfout|p r i j s|glitch|fout|decimal|tientje|dropped a digit|prijsregels|instead of|kl[oo]pt",
                nt):
            errs.append(f"{w}: pricing positive without a low price or error talk")
    # near-duplicate texts
    sh = [(n, trigrams(t)) for n, t in texts]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errs.append(f"lines {sh[i][0]} and {sh[j][0]}: trigram overlap {len(a & b) / len(a | b):.2f}")
    return errs


def report(rows):
    tot = len(rows)
    cat, cat_lang, role_c, sev_c, lang_c, plat_c, kind_c = (Counter() for _ in range(7))
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
            cat["(benign)"] += 1
            cat_lang[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {tot}  benign {benign}  positive {tot - benign}  multi-category {multi}  evasion {evasion}")
    for c in CATEGORIES + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}   nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severities", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))
    print("kinds", dict(kind_c.most_common()))


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
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from what make_cases.py generates")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
