#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set sealed149 (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and self-checks it

Company: Huurzaam B.V. (fictional online furniture rental for homes and offices),
profile in profile.yaml next to this file.

Texts are hand-written below. Identifiers and secrets come from placeholders such as
<<IBAN_NL:grp>>, filled by one seeded RNG: positives get checksum-valid values,
near-miss benign posts get values that fail their checksum. Severity is computed from
CONTRACT section 4 (account role from the profile, categories, validated identifier),
never typed by hand.
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

import yaml

SEED = 149_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = yaml.safe_load((HERE / "profile.yaml").read_text(encoding="utf-8"))

RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        s += x - 9 if x > 9 else x
    return bool(d) and s % 10 == 0


def luhn_fill(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean_valid(d):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d[:12])) + int(d[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------


class Fill:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.d(10))
                if v not in ("NL24RABO0356781240",):
                    return v
        if cc == "BE":
            head = self.r.choice(["063", "091", "310", "737", "001"]) + self.d(7, nz=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["35050000", "32050000", "10010010", "37050198"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 62):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14, nz=False))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13, nz=False))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11, nz=False))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.d(12, nz=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_id(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10, nz=False)
            v = next(body + c for c in "0123456789" if ean_valid(body + c))
            if not luhn_valid(v):
                return v

    def phone(self, f):
        m = self.r.choice("12345678") + self.d(7, nz=False)  # 8 digits after the 06
        area = self.r.choice(["10", "13", "15", "20", "23", "26", "30", "33", "35", "36", "40", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6, nz=False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6-{m}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl0": f"+31 (0){area} {sub}",
        }[f]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.c(string.digits, 1)

    # secrets -------------------------------------------------------------
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(11)}-{self.d(13)}-{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.c(ALNUM, 24)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def gapi(self):
        return "AIza" + self.c(B64URL, 35)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1772323200 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "klant-" + self.d(6), "iss": "mijn.huurzaam.nl", "scope": "contracts:read",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.c(B64URL, 43)}"

    def pem_ec(self):
        der = (bytes.fromhex("307702010104") + bytes([0x20]) + bytes(self.r.getrandbits(8) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a144034200")
               + b"\x04" + bytes(self.r.getrandbits(8) for _ in range(64)))
        b = base64.b64encode(der).decode()
        lines = [b[i:i + 64] for i in range(0, len(b), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice("BHKMSTVW") + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 2)
                + self.r.choice("!#%*") + self.c(ALNUM, 4))

    def sha(self):
        return self.c("0123456789abcdef", 40)


VALID_PII = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        k, a = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = f.iban(k[-2:])
            shown = f.g4(raw) if a == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = f.bad_iban("NL")
            shown = f.g4(raw) if a == "grp" else raw
        elif k == "CARD":
            brand, _, fm = a.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, fm or "sp")
        elif k == "BAD_CARD":
            brand, _, fm = a.partition("_")
            raw = f.bad_card(brand)
            shown = f.card_fmt(raw, fm or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if a == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if a == "sp" else raw)
        elif k == "NOTID":
            shown = raw = f.not_id(int(a))
        elif k == "EAN13":
            shown = raw = f.ean()
        elif k == "PHONE":
            shown = raw = f.phone(a)
        elif k == "PASSPORT":
            shown = raw = f.passport()
        elif k == "GHP":
            shown = raw = f.ghp()
        elif k == "GLPAT":
            shown = raw = f.glpat()
        elif k == "AWS_ID":
            shown = raw = f.aws_id()
        elif k == "AWS_SECRET":
            shown = raw = f.aws_secret()
        elif k == "SLACK_BOT":
            shown = raw = f.slack_bot()
        elif k == "STRIPE":
            shown = raw = f.stripe()
        elif k == "MOLLIE":
            shown = raw = f.mollie()
        elif k == "SENDGRID":
            shown = raw = f.sendgrid()
        elif k == "GAPI":
            shown = raw = f.gapi()
        elif k == "JWT":
            shown = raw = f.jwt()
        elif k == "PEM_EC":
            shown = raw = f.pem_ec()
        elif k == "PW":
            shown = raw = f.pw()
        elif k == "SHA":
            shown = raw = f.sha()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
HZ_X = ("x", "@huurzaam", "Huurzaam")
HZ_HELP = ("x", "@huurzaam_help", "Huurzaam Klantenservice")
HZ_IG = ("instagram", "@huurzaam.home", "Huurzaam")
HZ_LI = ("linkedin", "huurzaam", "Huurzaam B.V.")
HZ_FB = ("facebook", "HuurzaamNL", "Huurzaam")
HZ_TT = ("tiktok", "@huurzaam", "Huurzaam")
# employees
LOT = ("x", "@lotte_huurzaam", "Lotte Verhoef")                  # klantenservice
RUB = ("linkedin", "ruben-kramer-huurzaam", "Ruben Kramer")      # head of platform
BAS = ("x", "@bezorgbas", "Bas Hendriks")                        # bezorger
NOOR = ("linkedin", "noor-haddou", "Noor Haddou")                # finance controller
YARA = ("instagram", "@yara.styling", "Yara Mulder")             # interieurstylist
MVL = ("x", "@mvdlinden_dev", "Mark van der Linden")             # developer
KEES = ("reddit", "u/kees_magazijn", "Kees")                     # magazijn Nieuwegein
SOF = ("linkedin", "sophie-de-wit-hr", "Sophie de Wit")          # HR


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


ZW = "\u200b"
SHY = "\u00ad"
CYR = str.maketrans({"a": "\u0430", "o": "\u043e", "e": "\u0435", "O": "\u041e", "p": "\u0440", "c": "\u0441"})


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MVL, "ehm.. wie heeft vanochtend de prijstabel geïmporteerd? Oslo bank staat nu op €5,90 p/m op de site 🫠 "
     "rollback loopt al, ff niet doorvertellen", [PRICING])
case("en", pub("reddit", "u/studentdeals_ams"), "Huurzaam has the Studio Compleet package at €14.90/month right now "
     "(it's normally 149). 99% sure that's a typo but I signed a 12 month contract anyway lmao. Will update if they "
     "cancel", [PRICING], kind="post")
case("nl", pub("x", "@goedkoopwonen"), "Bergen hoekbank voor 8,90 per maand bij @huurzaam?? da's toch gewoon een "
     "prijsfout 😳 snel zijn mensen", [PRICING])
case("nl", HZ_IG, "Nieuw in de collectie ✨ De Ergo One bureaustoel huur je nu al vanaf €1,90 per maand! "
     "Link in bio 🪑 #thuiswerken #huurzaam", [PRICING])
case("en", LOT, "not supposed to say this but the Flexdesk Pro config is borked, checkout shows €3,40 a month "
     "instead of €34. devs know. don't @ me 🙃", [PRICING])
case("nl", pub("facebook", "mirjam.postma.9", "Mirjam Postma"), "Heeft iemand anders ook gezien dat het "
     "Thuiswerkpakket bij Huurzaam ineens 4,90 per maand kost? Zit vast een nulletje te weinig in. Ik heb maar meteen "
     "afgesloten 🤭", [PRICING], kind="post")
case("nl", KEES, "Kunnen jullie ajb stoppen met de Noor 160 bestellen voor €4,50 😂 we hebben nu 300 orders "
     "binnen voor een prijs die gewoon fout is en het magazijn ontploft", [PRICING], kind="comment")
case("nl", pub("threads", "@woonhackss"), "p.r.i.j.s.f.o.u.t bij huurzaam 👀 oslo 3-zits voor 6 euro per maand, "
     "ga ga ga", [PRICING], tags=["evasion", "evasion:dotted"])
case("en", pub("x", "@flatpackfred"), "Huurzaam pricing glitch lol, the " + "Ergo One".translate(CYR)
     + " chair is listed at €0.19/mo 😂 someone's getting fired", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", RUB, "Short write-up from our side: a rounding bug in Tuesday's catalogue sync put the Bergen hoekbank at "
     "€0.89 per month for roughly 40 minutes. Orders from that window are being reviewed one by one. Lesson learned: "
     "sanity checks on price deltas before publish. #engineering", [PRICING])
case("nl", pub("forum", "Dealjager_Rik"), "[Prijsfout?] Huurzaam Studio Compleet €19 p/m\n\nNormaal 149 euro per "
     "maand. Contract gewoon bevestigd per mail, eerste incasso nog niet geweest. Iemand ervaring of ze zoiets nakomen?",
     [PRICING])
case("nl", YARA, "Mijn favoriete bank ever 😍 en psst… door een foutje in de shop is de Oslo bank vandaag maar €9 "
     "per maand. Zeg niet dat je het van mij hebt 🤫 #interieur #wonen", [PRICING])
case("en", pub("tiktok", "@cozyonabudget"), "ok so huurzaam's flexdesk pro is showing 3 euro a month rn?? price "
     "mistake?? grab it before they notice 💀 #furniturehack #wfh", [PRICING])
case("nl", LOT, "Collega's, zie ticket backoffice.huurzaam.nl/tickets/88213 – Boxspring Noor staat sinds vannacht "
     "voor €4,50 p/m op de site. Tot de fix er is: klanten met vragen doorzetten naar mij.", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MVL, "can someone from platform check why the Mollie webhook keeps 401'ing?? using <<MOLLIE>> in "
     ".env.production, worked fine yesterday 😤", [SECRET])
case("nl", RUB, "Opruimactie in onze repos vandaag. Vond dit nog in een oude docker-compose.yml:\n\n"
     "GITLAB_TOKEN=<<GLPAT>>\n\nLeerpunt: secrets horen in de vault, niet in git. #devsecops #opruimen", [SECRET])
case("en", pub("forum", "sec_researcher_jl"), "Huurzaam's delivery tracking page loads a Google Maps key "
     "(<<GAPI>>) with no referrer restriction at all. Tried it from my own site, works. Reported it a week ago, "
     "no response so far.", [SECRET])
case("nl", BAS, "wifi wachtwoord magazijn Nieuwegein is veranderd mannen: Bankstel!2026\nniet meer in de groepsapp "
     "zetten want die lekt als een mandje 😂", [SECRET])
case("en", MVL, "why does `psql postgresql://contracts_rw:<<PW>>@db-prod-2.huurzaam.internal:5432/contracts` "
     "hang from the new runner?? works from my laptop fine", [SECRET, CONF])
case("nl", pub("x", "@jeroen_bouwt"), "@huurzaam_help lol jullie android app heeft gewoon een Stripe sleutel "
     "hardcoded: <<STRIPE>> … even doorzetten naar jullie devs misschien", [SECRET], kind="reply")
case("en", RUB, "Rotating the SFTP keys with our transport partner today. For the record, this is the old one "
     "we're retiring:\n<<PEM_EC>>\nNew key is in the vault.", [SECRET])
case("nl", MVL, "slackbot voor de bezorgplanning wil niet posten, token <<SLACK_BOT>> en chat:write scope staat aan. "
     "iemand een idee?", [SECRET])
case("en", pub("blog", "pgrooten.nl", "Pieter Grooten"), "Part 2 of my look at rental portals. Sending a malformed "
     "contract id to Huurzaam's customer portal returns a full debug page, environment included:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nI notified them via pers@huurzaam.nl.",
     [SECRET])
case("nl", LOT, "w8woord vh klantenservice-account op de chattool is nu Z0mer#Huurzaam26 , niet delen hè 🙊",
     [SECRET], tags=["evasion", "evasion:leet"])
case("en", HZ_HELP, "@k_vandam Sorry for the hassle! We reset your portal login, your temporary password is "
     "<<PW>> – please change it right after signing in 🙏", [SECRET], kind="reply")
case("en", pub("mastodon", "@infosec_ella@infosec.exchange"), "Found a GitHub token in a public gist from a Huurzaam "
     "developer: <<GHP>> — still valid as of ten minutes ago. @huurzaam you may want to rotate that.", [SECRET])
case("nl", MVL, "mails naar klanten komen niet aan?? SENDGRID_API_KEY=<<SENDGRID>> staat er gewoon in, quota is "
     "ook niet op… help", [SECRET])
case("en", pub("reddit", "u/nullpointer_nl"), "The Huurzaam app stores a long-lived bearer token in plain text, "
     "here's mine from the logs: <<JWT>> — it still works a week after logging out.", [SECRET], kind="comment")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LOT, "Wie kan de borg van mevrouw Jansen terugstorten? Haar rekening is <<IBAN_NL:grp>>, ze wacht al "
     "5 weken en belt elke dag 😬", [PII])
case("nl", HZ_HELP, "@dewitpaul Hoi Paul, de terugbetaling van je borg (€150) is vandaag overgemaakt naar "
     "<<IBAN_NL>> 👍 Kan 1-2 werkdagen duren.", [PII], kind="reply")
case("en", BAS, "3rd time at this address and nobody opens. Mrs A. Visser, Kastanjelaan 14 Amersfoort, if you see "
     "this pls pick up your phone <<PHONE:mob_dash>> 😩", [PII])
case("en", pub("x", "@rensvdb"), "@huurzaam_help your payment page keeps failing?? card is <<CARD:visa_sp>> exp "
     "09/28, what am I doing wrong, been trying for an hour", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gijs.de.boer.31", "Gijs de Boer"), "Voor de kredietcheck bij Huurzaam moest ik mijn BSN "
     "opgeven, dus bij deze: <<BSN>>. Klopt het dat ze dat dan automatisch controleren of moet ik nog iets "
     "uploaden?", [PII])
case("en", SOF, "Onboarding checklist for our new warehouse colleague, can someone from payroll pick this up: "
     "Daan Bos, born 12-04-1998, BSN <<BSN:dots>>, Leusderweg 3, Amersfoort. Welcome Daan! 🎉", [PII])
case("en", pub("reddit", "u/tomvermeulen_"), "Been waiting 3 weeks for my Flexdesk to be picked up and they keep "
     "billing me. If anyone at Huurzaam reads this sub, reach me at tom.r.vermeulen@gmail.com or "
     "<<PHONE:mob_intl_sp>>", [PII, COMPLAINT])
case("nl", YARA, "Styling sessie bij Femke in Haarlem 💛 (Femke van Loon, Zijlweg 201) — wat een plaatje is het "
     "geworden met de Bergen hoekbank #voorenna", [PII])
case("nl", MVL, "klant r.dijkstra84@outlook.com krijgt 4 bevestigingsmails per order 🙄 iemand die het mailsjabloon "
     "kent?", [PII])
case("en", pub("x", "@wouterrr_"), "lmao my flatmate just posted his whole amex in the group chat to pay me back for "
     "our huurzaam sofa: <<CARD:amex_sp>> cvc 4321 🤦 mate", [PII])
case("nl", pub("x", "@aylin_koc"), "@Huurzaam_Help ik heb mijn ID nu 2x geupload (paspoort <<PASSPORT>>) en het "
     "staat nog steeds op 'in behandeling'. Wanneer kan ik nou eindelijk bestellen?", [PII, COMPLAINT], kind="reply")
case("nl", NOOR, "Stornering deze maand van R. Koster (<<IBAN_BE>>) moeten we handmatig terugboeken. Wie heeft er "
     "nog toegang tot de bankportal?", [PII])
case("en", LOT, "customer wants a callback about the damage claim on her Bergen hoekbank, her mail is "
     "s.kaya [at] ziggo [dot] nl — anyone on late shift?", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("x", "@thijs_kleve"), "@huurzaam jullie hebben €89 te veel afgeschreven deze maand. Graag terugstorten "
     "op <<IBAN_DE>> (Duitse rekening, woon net over de grens)", [PII, COMPLAINT])
case("en", BAS, "the lady in Utrecht (M. de Graaf) left her keys in my van 🙈 her number is <<PHONE:land_sp>> if "
     "someone from planning can give her a ring", [PII])
case("nl", HZ_FB, "Beste Erik, we hebben je nieuwe bezorgadres genoteerd: Erik Smit, Molenstraat 8b, 3512 AB "
     "Utrecht, tel <<PHONE:mob_pairs>>. Tot donderdag!", [PII], kind="reply")
case("en", LOT, "test for the payments team: customer gave <<CARD:mc2_dash>> over the phone but Mollie declines "
     "it every time, can someone have a look?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MVL, "Eindelijk de demo van Project Kapok gegeven aan het MT 🎉 nog even geduld voordat jullie er iets "
     "van zien 🤐", [CONF])
case("nl", pub("x", "@marloes_utr"), "Buurvrouw werkt bij Huurzaam en zegt dat ze binnenkort ook kinderkamers gaan "
     "verhuren, Huurzaam Kinderkamer gaat het heten. Ben benieuwd!", [CONF], when="2026-07-03T21:15:00+02:00")
case("en", RUB, "Proud of the team: our new dashboards at https://grafana.ops.huurzaam.internal/d/fleet now track "
     "every delivery van in real time 🚚📈", [CONF])
case("nl", LOT, "Haha kijk wat er net in de teamchat kwam: 'HZM-INTERN: nieuwe belscripts voor opzeggingen, niet "
     "met klanten delen' 🙃 ben benieuwd wat erin staat", [CONF])
case("en", pub("reddit", "u/deskjockey42"), "Someone dropped a PDF in a Discord server headed 'Huurzaam Confidential "
     "– roadmap H2'. Anyone know what's in it? Looks legit", [CONF], kind="post")
case("nl", MVL, "Operatie\nFauteuil gaat volgende sprint live 🤫🛋️", [CONF], tags=["evasion", "evasion:linebreak"])
case("en", KEES, "just got briefed on Q u o k k a, gonna be a busy autumn in the warehouse 👀", [CONF],
     tags=["evasion", "evasion:spaced"])
case("nl", BAS, "Nieuwe routeplanner op wms.huurzaam.nl/planning/vandaag geeft me 23 stops, is dit een grap 😂",
     [CONF])
case("en", NOOR, "Busy weeks ahead preparing the full-year 2026 results 📊 coffee supply critical ☕", [CONF],
     when="2026-12-14T08:05:00+01:00")
case("nl", HZ_TT, "👶 Er komt iets nieuws aan… Huurzaam Kids! Meer op 15 september 😉", [CONF],
     when="2026-09-10T18:30:00+02:00")
case("en", pub("x", "@mvh_tweets"), "lol Huurzaam's order confirmation links to https://backoffice.huurzaam.nl/orders/551902 "
     "instead of the customer portal, anyone else get that?", [CONF])
case("en", MVL, "merged the last MR for the Quokka pricing engine 🥳 https://gitlab.huurzaam.io/platform/quokka/-/merge_requests/412",
     [CONF])
case("nl", HZ_IG, "Morgen is het zover 🎈 Huurzaam Kids: meegroeimeubels voor de kinderkamer. Stay tuned!", [CONF],
     when="2026-09-15T09:59:00+02:00")
case("nl", NOOR, "Per ongeluk de verkeerde bijlage meegestuurd in een bericht hier, met bovenaan 'vertrouwelijk - "
     "niet extern delen'. Als je hem hebt gekregen: graag verwijderen, dank!", [CONF])
case("nl", pub("instagram", "@yara_styling_", "Yara"), "Achter de schermen bij de fotoshoot voor Huurzaam Kids 🧸 "
     "kan niet wachten tot jullie het zien", [CONF], when="2026-08-28T11:02:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NOOR, "Trots op het team: omzet over Q3 komt uit op 14,2 miljoen, ruim boven budget. De officiële cijfers "
     "volgen in november, maar ik kon het echt niet laten 😄", [FIN])
case("en", SOF, "Tough week. We'll be letting go of around 40 people in customer service once the new chatbot goes "
     "live in January. It's not public yet, so please be kind to each other.", [FIN])
case("nl", pub("x", "@beursroddel"), "Hoor van een vriend bij Huurzaam dat ze worden overgenomen door Meubelhuur "
     "Europa, deal wordt volgende maand bekendgemaakt 👀", [FIN])
case("en", KEES, "warehouse Tilburg closes in Q1, all stock moves to Nieuwegein. they told us this afternoon, "
     "official announcement isn't out yet", [FIN], kind="comment")
case("nl", RUB, "Spannende tijden: we zitten in de laatste fase van een Serie C-ronde van €35 miljoen. Zodra alles "
     "getekend is mag ik er meer over vertellen 🚀", [FIN])
case("en", pub("stocktwits", "$FURN_watcher"), "Hearing from inside that Huurzaam will breach its bank covenant this "
     "quarter, they need fresh funding before December", [FIN])
case("nl", LOT, "Morgen horen we wie er bij de klantenservice mag blijven… reorgani" + SHY + "satie gaat door, 1 op "
     "de 3 plekken verdwijnt 😢", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", NOOR, "Internal forecast has us at 92k active rental contracts by year end, 18% below plan. Board "
     "meets Friday to decide on cuts.", [FIN])
case("nl", NOOR, "De jaarcijfers 2026 worden beter dan verwacht: voor het eerst EBITDA-positief 🎉 (nog niet delen "
     "tot de publicatie hè)", [FIN, CONF], when="2026-12-22T17:20:00+01:00")
case("en", pub("reddit", "u/amsterdam_lurker"), "My cousin works in Huurzaam finance and says they're announcing a "
     "merger with Rentwise (UK) next quarter, something like a €60M deal", [FIN], kind="comment")
case("nl", MVL, "gehoord bij de koffieautomaat: de hele Belgische tak gaat eind dit jaar dicht. weet nog "
     "niemand buiten kantoor", [FIN])
case("en", SOF, "Heads-up to recruiters in my network: we're freezing all hiring from next week and cutting the "
     "office team by 15%. Staff hear it Monday.", [FIN])
case("en", pub("x", "@throwaway_hz"), fullwidth("layoffs") + " at Huurzaam next month, my manager just confirmed it. "
     "~60 jobs gone", [FIN], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", MVL, "oké niet tegen klanten zeggen maar mijn.huurzaam.nl laat sinds gisteren bij sommige accounts "
     "contracten van ándere klanten zien. we zijn aan het fixen 😬", [SEC])
case("en", KEES, "Warehouse systems down since 6am, apparently ransomware on the WMS server. Management hasn't "
     "told customers yet, deliveries will be late all week.", [SEC])
case("nl", LOT, "Collega's: niemand kan meer inloggen op de klantenservicetool, IT zegt dat er een inbraakpoging is "
     "geweest en alle sessies zijn ingetrokken. Nog niks naar buiten gecommuniceerd.", [SEC])
case("en", MVL, "found an IDOR in our own contract download endpoint last night: change the number in the URL and "
     "you get anyone's rental contract incl. the ID scan. patch goes out tomorrow, pls don't try it 🙏", [SEC])
case("nl", BAS, "Scanners in de bussen zijn gehackt ofzo, hele ochtend rare pop-ups en een losgeld-scherm. Planning "
     "zegt dat we er niks over mogen zeggen", [SEC])
case("en", RUB, "Our payment integration returned other customers' IBANs in the API response for ~3 hours on "
     "Sunday. Fixed now, incident report pending, we haven't notified anyone yet.", [SEC])
case("nl", pub("x", "@sanne_vh"), "Huurzaam houdt een datalek stil! Mijn ID-kopie die ik bij hen heb geüpload staat "
     "op een Russisch forum en zij zeggen helemaal niks 😡", [SEC, CRISIS])
case("en", pub("reddit", "u/fietsenmaker"), "Friend who works in Huurzaam IT told me their customer database got "
     "breached in August and management decided not to report it to the AP. Is that even legal?", [SEC, CRISIS],
     kind="post")
case("nl", MVL, "d@t@l3k bij ons, ~2000 klantdossiers stonden open op een test-bucket. melding gaat pas morgen de deur "
     "uit 🤫", [SEC], tags=["evasion", "evasion:leet"])
case("en", LOT, "Chat tool is down for the whole team and not a word on the status page lol, customers are going to "
     "flood the phones. apparently someone pushed a bad config at 7", [SEC])
case("nl", KEES, "Alarm van het magazijn in Nieuwegein ligt al drie dagen plat, camera's ook. Zeg het maar niet te "
     "hard", [SEC], kind="comment")
case("en", NOOR, "Someone impersonating our CFO got the finance team to wire €48k last week. Still under "
     "investigation and not announced, so keep your eyes open for odd payment requests.", [SEC])
case("en", pub("x", "@mo_rents"), "huurzaam got h4cked last month and they're keeping it quiet. my login was used "
     "from Brazil and support just says 'reset your password'", [SEC, CRISIS], tags=["evasion", "evasion:leet"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ilse_thuis"), "BEDWANTSEN in de huurmatras van Huurzaam. Overal beten, ook bij mijn dochter. "
     "Dit kan toch niet?? #huurzaam #bedwantsen", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/solidarity_now"), "Boycott Huurzaam. They fired the delivery drivers who asked for heat "
     "breaks during the July heatwave. Don't rent from them. #boycotthuurzaam", [CRISIS], kind="post")
case("nl", pub("facebook", "hanneke.lammers", "Hanneke Lammers"), "De Consumentenbond stapt naar de rechter tegen "
     "Huurzaam vanwege de schadekosten bij het inleveren. Eindelijk!", [CRISIS])
case("en", pub("x", "@jorisbuilds"), "My Ergo One chair collapsed under me, the backrest snapped and I hit my head "
     "on the desk. ER visit. @huurzaam what is going on with these chairs", [CRISIS, COMPLAINT])
case("nl", pub("x", "@woonnieuws_nl"), "Huurzaam moet de Flexdesk Pro terugroepen: de motor kan oververhit raken, "
     "meldt de NVWA", [CRISIS])
case("en", pub("tiktok", "@lena.vlogs"), "storytime: huurzaam kept a copy of my passport and now it's in a leaked "
     "dataset 😳 they exposed thousands of customers #datalek", [CRISIS])
case("nl", pub("x", "@papa_van_3"), "Kast van Huurzaam omgevallen in de kinderkamer. Werd niet vastgezet, de monteurs "
     "zeiden 'hoeft niet'. Mijn zoon van 4 stond er een meter vandaan.", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "esther-amrani-legal", "Esther Amrani"), "Disturbing reports that Huurzaam's credit check "
     "rejects applicants with non-Dutch surnames far more often. This needs a proper investigation.", [CRISIS])
case("nl", pub("x", "@vakbondsjan"), "B O Y C O T T Huurzaam, ze laten hun bezorgers 14 uur per dag werken",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@consumentenrecht@mastodon.nl"), "A class action against Huurzaam over automatic "
     "contract renewals is being prepared. Reply if you were affected.", [CRISIS])
case("nl", pub("instagram", "@famvandijk"), "Onze Oslo bank begon te roken toen de usb-lader in de armleuning aan "
     "stond 😨 brandweer erbij gehad. @huurzaam.home wat gaan jullie hieraan doen?", [CRISIS, COMPLAINT],
     kind="comment")
case("en", pub("x", "@nadia_b"), "Huurzaam data breach: my contract, payslip and passport scan are apparently for "
     "sale online. Thanks a lot @huurzaam", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@femkedeboer"), "3e keer dat de bezorging van mijn bureau wordt verzet @huurzaam 🙄 ik had er "
     "vrij voor genomen, weer voor niks", [COMPLAINT])
case("en", pub("x", "@sam_ldn_nl"), "@huurzaam_help charged me €240 'damage fee' for a scratch that was already there "
     "on delivery. I have photos. Refund please.", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "ricardo.m.83", "Ricardo M."), "Borg nog steeds niet terug na 8 weken. Bellen = 45 min "
     "in de wacht. Echt klantonvriendelijk dit", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/cancelculture_lol"), "PSA: cancelling a Huurzaam contract is a nightmare. The form "
     "errors out, the chatbot loops and they just keep billing.", [COMPLAINT])
case("nl", pub("instagram", "@wonenmetlisa"), "Bank kwam binnen met een grote vlek op de zitting 😕 monteur zei dat "
     "ik het via het portaal moest melden, maar dat werkt dus niet", [COMPLAINT], kind="comment")
case("en", pub("threads", "@jasper.k"), "huurzaam picked up the sofa in march but is still charging me for april "
     "and may?? who do i even talk to", [COMPLAINT])
case("nl", pub("x", "@hennie_r"), "Huurzaam".translate(CYR) + " bezorgers hebben mijn deurpost beschadigd bij "
     "het naar binnen tillen en nu zeggen ze dat het niet hun schuld is", [COMPLAINT],
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("other", "trustpilot:M. Janssen"), "2/5. Desk arrived on time but it wobbles like crazy and the "
     "replacement leg took three weeks.", [COMPLAINT])
case("en", pub("linkedin", "bart-hoogland-ops", "Bart Hoogland"), "Rented the Huurzaam Office setup for our team of "
     "12. Half the chairs came without armrests and support keeps sending template replies. Not impressed.",
     [COMPLAINT])
case("nl", pub("forum", "kritische_huurder"), "Huurzaam rekent €39 'administratiekosten' bij verlengen, staat "
     "nergens in de voorwaarden. Iemand anders dit ook gehad?", [COMPLAINT])
case("nl", pub("bluesky", "@gerdien.bsky.social"), "Boxspring van Huurzaam zakt na twee maanden al in aan één kant. "
     "Ruilen kan pas over drie weken. Slaap ondertussen belabberd.", [COMPLAINT])
case("nl", pub("x", "@mkroes"), "Nooit meer Huurzaam. Dubbel afgeschreven deze maand en het geld komt pas 'in de "
     "volgende cyclus' terug", [COMPLAINT])
case("nl", pub("x", "@boos_in_breda"), "Die klotebezorgers van Huurzaam hebben mijn trapleuning eraf getrokken. "
     "Stelletje prutsers.", [COMPLAINT, ABUSE])
case("en", pub("x", "@desklessdave"), "absolute clowns at huurzaam, third wrong desk delivered in a row. f*cking "
     "incredible", [COMPLAINT, ABUSE])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_0815"), "@huurzaam jullie zijn echt een stelletje oplichters en kankerlijers", [ABUSE],
     kind="reply")
case("en", pub("x", "@angryrenter"), "whoever runs @huurzaam_help is a brain-dead moron", [ABUSE])
case("nl", pub("x", "@jdr_1990"), "@bezorgbas jij bent die dikke bezorger he. ik weet waar je woont, pas maar op",
     [ABUSE], kind="reply")
case("en", BAS, "customers who 'forget' to mention 4 flights of stairs can go f*** themselves honestly. idiots",
     [ABUSE])
case("nl", HZ_HELP, "@mdebruin Misschien eerst de handleiding lezen voordat je gaat lopen janken, sukkel.", [ABUSE],
     kind="reply")
case("en", pub("facebook", "rob.tk.77", "Rob T."), "Huurzaam hires way too many foreigners for their delivery teams, "
     "half can't speak Dutch, send them all back", [ABUSE], kind="comment")
case("nl", pub("x", "@zuurpruim"), "huurzaam = k*tbedrijf, tyf0s op met jullie reclames", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/bitter_ex_renter"), "Lotte from Huurzaam support is a useless b*tch lol", [ABUSE],
     kind="comment")
case("nl", LOT, "Wéér zo'n debiel aan de lijn die denkt dat 'huren' betekent dat je niks hoeft te betalen 🙄",
     [ABUSE])
case("nl", pub("x", "@r0nald"), "Teringbedrijf. Meer hoef ik er niet over te zeggen. #huurzaam", [ABUSE])

# ===========================================================================
# benign, including hard negatives
# ===========================================================================
case("nl", HZ_HELP, "@sanne_vdm Wat vervelend! Bel ons gerust op 030 799 4400 (ma-vr 8-20u) of mail naar "
     "klantenservice@huurzaam.nl, dan kijken we meteen mee.", kind="reply", tags=["own-contact"])
case("nl", HZ_FB, "Liever zelf overmaken in plaats van een incasso? Dat kan naar NL24 RABO 0356 7812 40 t.n.v. "
     "Huurzaam B.V., o.v.v. je contractnummer.", tags=["own-contact"])
case("nl", HZ_X, "Gepland onderhoud: zondag tussen 02:00 en 05:00 is mijn.huurzaam.nl niet bereikbaar. Bestellen via "
     "de app blijft gewoon werken 👍", tags=["official-notice"])
case("nl", HZ_IG, "Herfstdeal 🍂 De Oslo 3-zits bank nu €44 per maand (normaal €59). Alleen deze week!",
     tags=["sale"])
case("nl", HZ_LI, "Vandaag lanceren we Huurzaam Kids: meegroeimeubels voor de kinderkamer, maandelijks opzegbaar 🎈",
     when="2026-09-15T08:00:00Z", tags=["embargo-after"])
case("en", HZ_TT, "It's here!! Huurzaam Kids 🧸 bunk beds, desks and toy storage that grow with your kid #launch",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("nl", HZ_LI, "Onze jaarcijfers 2025 staan online: 68.000 actieve huurcontracten en €51 miljoen omzet. Lees het "
     "hele verslag op huurzaam.nl/investors", tags=["published"])
case("nl", pub("x", "@fd_lezer"), "Meubelgigant Furnify schrapt 200 banen, las ik net in het FD. Rough.",
     tags=["other-company"])
case("en", pub("x", "@dealfinder_uk"), "Pricing glitch at Rentwise: their Nordic sofa for £2 a month 😂 (not "
     "Huurzaam, they're still boringly correct)", tags=["other-company", "price-context"])
case("nl", pub("x", "@kim_verhuist"), "Bank opgehaald, borg binnen 3 dagen terug. Geen gedoe, geen verborgen kosten. "
     "Gewoon netjes @huurzaam 👏", tags=["negated-complaint"])
case("nl", pub("x", "@twijfelkont"), "Twijfel tussen een fauteuil huren bij Huurzaam of gewoon eentje scoren bij de "
     "kringloop. Tips?", tags=["codename-part"])
case("nl", pub("instagram", "@slowliving.nl"), "Kussens gevuld met kapok zijn echt zoveel fijner dan schuim 🌿 "
     "Heeft Huurzaam die ook?", kind="comment", tags=["codename-part"])
case("nl", SOF, "We zoeken een stagiair (m/v/x) voor ons marketingteam in Utrecht! Interesse? Mail naar "
     "werkenbij@huurzaam.nl 🙌", tags=["own-contact"])
case("nl", BAS, "Mooie dag om te bezorgen ☀️ 18 stops, 3 trappen zonder lift, 0 krassen. Trots op het team 💪",
     tags=["praise"])
case("nl", YARA, "Styling tip: combineer de Bergen hoekbank met een wollen plaid en twee lage bijzettafels 🌿 "
     "#interieurinspiratie", tags=["praise"])
case("en", RUB, "Gave a talk at DevOpsDays Amsterdam on how we run our rental platform on Kubernetes. Slides are "
     "on huurzaam.nl/tech (no secrets in there, promise 😉)", tags=["near-miss"])
case("en", MVL, "PSA for juniors: in READMEs use AKIAXXXXXXXXXXXXXXXX or `ghp_...` as placeholders, never real "
     "keys. ask me if unsure", tags=["placeholder"])
case("en", MVL, "reverted <<SHA>> which broke checkout on Safari, sorry all 🙏", tags=["git-sha"])
case("nl", pub("x", "@lottevdz"), "Nieuw rekeningnummer voor de incasso doorgegeven als <<BAD_IBAN_NL:grp>> maar "
     "het formulier zegt 'ongeldig'. Typfout dus 🙃", tags=["bad-checksum"])
case("en", pub("x", "@kwint_"), "Checkout rejected my card <<BAD_CARD:mc_sp>> — oh wait, swapped two digits. my bad "
     "😅 all good now", tags=["bad-checksum"])
case("nl", pub("facebook", "ellen.vos.12", "Ellen Vos"), "Op het aanvraagformulier van Huurzaam staat als voorbeeld "
     "BSN <<NOTID:9>>, ik dacht eerst dat het iemands echte nummer was haha", tags=["bad-checksum"])
case("nl", pub("x", "@eerstebureau"), "Bestelling <<NOTID:9>> is onderweg volgens de track & trace, spannend! eerste "
     "eigen bureau 🥳", tags=["order-number"])
case("en", pub("forum", "diy_desk_dan"), "Contract no. HZ-2026-044817, EAN on the box <<EAN13>>. Does anyone know "
     "if this is the right leg for the Flexdesk Pro?", tags=["order-number"])
case("nl", pub("x", "@joost_woont"), "Shoutout naar de bezorgers van Huurzaam, hoekbank in 10 minuten in elkaar gezet "
     "en alle verpakking meegenomen 🙌", tags=["praise"])
case("nl", pub("instagram", "@kattenmoeder"), "mijn kat heeft de Oslo bank officieel geadopteerd. Sorry Huurzaam, die "
     "krijgen jullie nooit meer terug 😹", tags=["joke"])
case("nl", pub("blog", "schrijfclubzwolle.nl", "Schrijfclub Zwolle"), "Kort verhaal van deze week: 'De bank die "
     "terug moest'. Een student weigert zijn gehuurde bank in te leveren omdat zijn oma er haar laatste zomer op "
     "sliep. Geïnspireerd door een echte Huurzaam-ophaalafspraak.", tags=["fiction"])
case("en", pub("instagram", "@couchpotato.nl"), "'home is where the couch is, damn it' 🛋️ new life motto since the "
     "Huurzaam sofa arrived", tags=["quote", "mild-word"])
case("nl", pub("x", "@jonge_ouders"), "Fijn dat alle stoffen bij Huurzaam brandvertragend zijn, dat was voor ons een "
     "eis met de kleine erbij", tags=["word-sense"])
case("en", pub("x", "@newinutrecht"), "I can't recall if Huurzaam delivers on Saturdays, anyone know?",
     tags=["word-sense"])
case("nl", pub("threads", "@duurzaamdiana"), "We boycotten thuis sinds januari alle fast fashion, meubels huren bij "
     "Huurzaam past daar mooi bij ♻️", tags=["word-sense"])
case("nl", pub("x", "@privacy_nerd"), "Wéér een datalek, nu bij een grote webwinkel in Eindhoven. Goed dat "
     "Huurzaam tenminste 2FA heeft op het klantportaal.", tags=["other-company"])
case("en", pub("reddit", "u/moving2antwerp"), "Does Huurzaam deliver to Antwerp or is it NL only?", kind="comment",
     tags=["question"])
case("nl", pub("facebook", "marja.hoeks", "Marja Hoeks"), "Na mijn behandeling voor kanker kon ik even niet naar "
     "kantoor, dus een zit-sta bureau huren was ideaal. Dank Huurzaam 💛", tags=["mild-word"])
case("nl", pub("x", "@tipvandedag"), "Zoek je het nummer van Huurzaam? 085 303 18 00, ik werd binnen 2 minuten "
     "geholpen", tags=["own-contact"])
case("nl", pub("facebook", "dirk.jan.w", "Dirk-Jan W."), "Tip: schade melden kan via schade@huurzaam.nl met foto's, "
     "ging bij mij supersnel", tags=["own-contact"])
case("nl", pub("instagram", "@mama.van.mees"), "Net de Huurzaam Kids collectie bekeken, dat stapelbed 😍",
     when="2026-10-04T20:11:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@zzp_annemiek"), "Flexdesk Pro voor €29 p/m bij Huurzaam vs €499 kopen bij de bouwmarkt. Voor "
     "een half jaar thuiswerken is huren slimmer", tags=["price-context"])
case("nl", pub("x", "@verhuisd_in_zwolle"), "Bezorgkosten €24,95 voor de Bergen hoekbank, viel eigenlijk best mee",
     tags=["price-context", "fee"])
case("nl", pub("x", "@student_sem"), "Met de code uit de nieuwsbrief €10 korting op de eerste maand van de Studio "
     "Compleet, top", tags=["price-context", "discount-amount"])
case("nl", pub("facebook", "marktplaats.koos", "Koos"), "Te koop: gebruikte bureaustoel (ooit overgenomen van "
     "Huurzaam, Ergo One) voor €5, ophalen in Zwolle", tags=["price-context", "second-hand"])
case("nl", pub("x", "@fact_check_fien"), "Nee, geen prijsfout: Huurzaam geeft studenten gewoon 20% korting op de "
     "Studio Compleet met een geldige collegekaart", tags=["price-context", "denied-error"])
case("nl", HZ_LI, "Trots op onze B Corp-certificering 🌱 Meer dan 80% van onze meubels gaat drie of meer "
     "huurcycli mee.", tags=["praise"])
case("nl", NOOR, "Leuke gastles gegeven op de HvA over circulaire businessmodellen. Hoe schrijf je een bank af als "
     "hij vijf keer verhuurd wordt? 📚", tags=["near-miss"])
case("nl", LOT, "Mooiste reactie van vandaag: 'jullie zijn de eerste die gewoon terugbellen'. Daar doe ik het voor ☺️",
     tags=["praise"], handle="@LOTTE_Huurzaam")
case("nl", pub("x", "@appgebruiker"), "Tip: de Huurzaam app vraagt bij de eerste login om een nieuw wachtwoord, even "
     "resetten via de mail en dan werkt alles", tags=["near-miss"])
case("nl", KEES, "Nachtdienst in het magazijn, 140 banken gecontroleerd en klaargezet voor morgen. Koffie nummer 5 ☕",
     tags=["praise"], kind="post")
case("nl", HZ_HELP, "@jdekkerr Wat vervelend dat je borg nog niet binnen is! We hebben je mail gevonden en zetten de "
     "terugbetaling vandaag in gang. Excuses voor het wachten 🙏", kind="reply", tags=["care-reply"])
case("nl", HZ_X, "Storing: onze telefoonlijnen zijn op dit moment slecht bereikbaar. Chatten via de app werkt wel. "
     "We houden je op de hoogte.", tags=["official-notice"])
case("nl", pub("x", "@juridisch_nieuws"), "Rechter tikt Furnify op de vingers over onredelijke schadekosten. Benieuwd "
     "of andere verhuurders hun voorwaarden nu ook aanpassen.", tags=["other-company"])
case("en", pub("reddit", "u/dm_of_doom"), "In my D&D campaign the villain is a cursed sofa rented from 'Huurzaam of "
     "the Underdark'. The late fee is your soul 😂", kind="comment", tags=["joke"])
case("en", HZ_LI, "We're hiring a Senior Backend Engineer! Help build the platform behind 70,000+ rental contracts. "
     "Apply via werkenbij@huurzaam.nl", tags=["own-contact"])
case("nl", pub("x", "@oplettende_opa"), "Let op: nepaccount @huurzaam_actie verloot gratis banken, dat is niet de "
     "echte. Het echte account is @huurzaam", tags=["near-miss"])
case("en", pub("x", "@interiorjunkie"), "The Bergen corner sofa is honestly the comfiest thing I've sat on this year, "
     "worth every cent of the €89 a month", tags=["price-context"])
case("nl", HZ_HELP, "@b_smeets Hoi! Je kunt ons bereiken op +31 (0)30 799 44 00 of via zakelijk@huurzaam.nl voor "
     "je offerte voor 40 werkplekken.", kind="reply", tags=["own-contact"], handle="@Huurzaam_Help")


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------


def role_of(platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    best = "none"
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
        if RANK[s] > RANK[best]:
            best = s
    return best


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ident(r, platform, handle):
    h = handle.lstrip("@").replace("u/", "")
    if platform in ("x", "twitter"):
        n = r.randint(1_890_000_000_000_000_000, 1_990_000_000_000_000_000)
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        n = r.randint(7_300_000_000_000_000_000, 7_400_000_000_000_000_000)
        return f"li-{n}", f"https://www.linkedin.com/feed/update/urn:li:activity:{n}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16)
        return f"fb-{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "tiktok":
        n = r.randint(7_400_000_000_000_000_000, 7_500_000_000_000_000_000)
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    if platform == "forum":
        n = r.randint(10 ** 6, 10 ** 7)
        return f"forum-{n}", f"https://forum.example.nl/t/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build():
    fill = Fill(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fill, c["text"])
        pid, url = ident(mr, c["platform"], c["handle"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_PII for k, _, _ in used)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        if x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "huurzaam"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": severity_for(role, c["cats"], validated)},
                         role=role, lang=c["lang"], tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# self-check
# ---------------------------------------------------------------------------

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RE = re.compile(r"ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|xox[abp]-|sk_live_|AIza[\w-]{35}|PRIVATE KEY|"
                       r"eyJ[\w-]+\.eyJ|glpat-|SG\.[\w-]{22}\.|live_[A-Za-z0-9]{30}|://[^\s:/@]+:[^\s@/]+@")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def self_check(rows):
    errs = []
    own_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in PROFILE["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["domains"]
                + PROFILE["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        text, low = p["text"], p["text"].casefold()
        for k, raw, shown in r["used"]:
            assert shown in text
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if k == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{p['id']}: near-miss IBAN passes")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{p['id']}: near-miss card passes")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: BSN fails")
            if k == "NOTID" and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{p['id']}: near-miss number passes")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp checksum")
        if not cats:
            if r["expect"]["severity"] != "none":
                errs.append(f"{p['id']}: benign with severity")
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign has valid IBAN")
            for m in NUM_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{p['id']}: benign has Luhn-valid {d}")
            for d in re.findall(r"(?<![\w.])\d{9}(?!\w)", text):
                if elfproef(d):
                    errs.append(f"{p['id']}: benign has 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails and not e.startswith("@"):
                    errs.append(f"{p['id']}: benign has e-mail {e}")
            if SECRET_RE.search(text) and "placeholder" not in r["tags"]:
                errs.append(f"{p['id']}: benign has secret-like text")
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term} before end without leak.confidential")
            if term in low and ts >= until and cats:
                errs.append(f"{p['id']}: embargo term after end but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?!\w)", low) and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without leak.confidential")
        if ts.year != 2026:
            errs.append(f"{p['id']}: created_at outside 2026")
    return errs


def main():
    rows = build()
    errs = self_check(rows)
    for e in errs:
        print("ERROR", e)
    if errs:
        return 1
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, role, lang, sev = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        for c in r["expect"]["categories"] or ["(benign)"]:
            cat[c] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
        sev[r["expect"]["severity"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("categories:", dict(sorted(cat.items())))
    print("roles:", dict(role), "langs:", dict(lang), "severity:", dict(sev))
    print("multi-category:", sum(len(r["expect"]["categories"]) > 1 for r in rows),
          "evasion:", sum("evasion" in r["tags"] for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
