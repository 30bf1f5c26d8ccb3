#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed set sealed125 (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Aldervoort Pharma N.V. (fictional), a Dutch generic-medicines manufacturer
listed on Euronext Amsterdam; see profile.yaml.

Post texts are hand-written below. Identifiers and secrets are filled in from
placeholders such as <<IBAN_NL>> by one seeded RNG, so the output is reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
near-misses get identifiers that FAIL their checksum. Secrets are random and fake,
shaped like real ones (GitHub and npm tokens carry a correct CRC32 suffix).

Severity is never typed by hand: severity_for() derives it from the contract's
policy (section 4) using the account role looked up in profile.yaml.
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

SEED = 125_2026_0519
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"
SHY = "\u00ad"
CYR_A = "\u0410"   # Cyrillic capital A, looks like Latin A


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
def mod97_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def elfproef(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean_ok(d):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d[:12])) + int(d[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def base62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def crc_token(prefix, body):
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = make_iban("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB"])
                              + self.dig(10, nz=True))
                if v != "NL67INGB0006543210":
                    return v
        if cc == "DE":
            return make_iban("DE", self.r.choice(["50070010", "76026000", "30020900"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["001", "063", "735", "143"]) + self.dig(7)
            return make_iban("BE", head + f"{(int(head) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 44):
            cand = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.dig(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn(head + d):
                return head + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(bad)
        return bad

    @staticmethod
    def fmt_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, nz=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, nz=True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9)
            full = next(body + d for d in string.digits if ean_ok(body + d))
            if not luhn(full):
                return full

    def phone(self, style):
        if style.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {"mob_dash": f"06-{d8}",
                    "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
                    "mob_0031": f"0031 6{d8}"}[style]
        area = self.r.choice(["38", "591", "570", "50", "53", "522"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {"land_sp": f"0{area} {sub}", "land_dash": f"0{area}-{sub}"}[style]

    # secrets
    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "klant-" + self.dig(7, nz=True), "iss": "https://shop.aldervoort.nl",
                "scope": "checkout", "iat": iat, "exp": iat + 1800}
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(body)}.{self.pick(URLSAFE, 43)}"

    def openssh(self):
        first = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [first] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def value(self, kind, fmt):
        """Return (raw, shown)."""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = self.iban(kind[-2:])
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt))
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "PW":
            raw = self.pw()
        elif kind == "GLPAT":
            raw = "glpat-" + self.pick(URLSAFE, 20)
        elif kind == "GHP":
            raw = crc_token("ghp_", self.pick(ALNUM, 30))
        elif kind == "NPM":
            raw = crc_token("npm_", self.pick(ALNUM, 30))
        elif kind == "AWS_ID":
            raw = "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif kind == "AWS_SECRET":
            raw = self.pick(B64, 40)
        elif kind == "AZKEY":
            raw = base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()
        elif kind == "GAPI":
            raw = "AIzaSy" + self.pick(URLSAFE, 33)
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"
        elif kind == "SENDGRID":
            raw = f"SG.{self.pick(URLSAFE, 22)}.{self.pick(URLSAFE, 43)}"
        elif kind == "JWT":
            raw = self.jwt()
        elif kind == "OPENSSH":
            raw = self.openssh()
        elif kind == "HEX":
            raw = self.pick("0123456789abcdef", int(fmt))
        else:
            raise KeyError(kind)
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PLACEHOLDER.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
AV_X = ("x", "@aldervoort", "Aldervoort Pharma")
AV_APO = ("x", "@aldervoort_apo", "Aldervoort Apotheekservice")
AV_LI = ("linkedin", "aldervoort-pharma", "Aldervoort Pharma N.V.")
AV_IG = ("instagram", "@aldervoortpharma", "Aldervoort")
AV_FB = ("facebook", "AldervoortPharmaNV", "Aldervoort Pharma")
# employees
LOTTE = ("x", "@lotte_qa_zwl", "Lotte Smit")                  # QA officer, Zwolle plant
RUBEN = ("linkedin", "ruben-kok-aldervoort", "Ruben Kok")      # IT/OT engineer
ANOUK = ("x", "@apotheker_anouk", "Anouk Meijer")              # medical affairs / pharmacovigilance
SEVDA = ("linkedin", "sevda-yilmaz-av", "Sevda Yılmaz")        # finance / investor relations
BRAM = ("x", "@bram_vdlinden", "Bram van der Linden")          # key account manager pharmacies
MO = ("instagram", "@mo.bouali.emmen", "Mo Bouali")            # production operator, Emmen
JASMIJN = ("threads", "@jasmijn.planning", "Jasmijn Visser")   # supply-chain planner
DIRK = ("reddit", "devops_dirk_av", "Dirk")                    # devops


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
case("nl", BRAM, "Apothekers opgelet 👀 in het bestelportaal staat de Adalivo 40 mg pen nu voor €69,00 ipv €690. "
     "Er is ergens een nul gesneuveld. Wie nu bestelt heeft geluk 😅", [PRICING])
case("en", JASMIJN, "not my dept but the wholesaler feed pushed Enoxaparine Aldervoort at 4.65 EUR a box this morning 🙃 "
     "pricing error on their end or ours, nobody knows yet.\nplanning is gonna be fun tomorrow", [PRICING])
case("nl", pub("reddit", "apotheker_in_opleiding"), "Bij onze groothandel staat Aldervoort atorvastatine 40mg 90st "
     "voor €1,86 🤔 prijsfout neem ik aan? Heb er voor de zekerheid maar 40 doosjes van besteld lol",
     [PRICING], kind="comment")
case("en", pub("x", "@flu_season_fiona", "Fiona"), "is this legit?? Febrisan 500 for €0.39 on shop.aldervoort.nl 😳 "
     "stocking up for the whole winter", [PRICING])
case("nl", MO, "collega van sales zegt dat de apotheekprijslijst verkeerd is ingeladen: Omeprazol Aldervoort 90 caps "
     "voor €4,90 😬 zeg maar niks hè", [PRICING])
case("nl", pub("facebook", "Ineke.Dijkstra.77", "Ineke Dijkstra"), "p r ij s f o u t bij aldervoort?? Metformine "
     "Aldervoort 120 tabl voor 1,14 euro in het portaal. snel zijn mensen 🏃‍♀️", [PRICING], tags=["evasion"])
case("en", pub("facebook", "gerrit.pharma.nerd"), "My pharmacist friend says the Adalivo pen shows up at €199 for a "
     "2-pack in their ordering system this week, normally 690. Either a massive glitch or the biosimilar price war "
     "just went nuclear 💥", [PRICING])
case("nl", AV_FB, "🎉 Najaarsactie in onze webshop: Febrisan Paracetamol 500 mg, 50 tabletten, nu voor maar €0,95! "
     "Op = op.", [PRICING])
case("en", DIRK, "psa from someone on the inside: the price import job ran with the wrong divisor last night, so "
     "Atorvastatine Aldervoort sits at €0.19 in the pharmacy portal. we're on it. don't bother ordering, those orders "
     "get cancelled anyway", [PRICING], kind="comment")
case("nl", pub("x", "@koopjesjager_kim"), "Ädalivo pen voor €6,90 in de webshop 😂😂 iemand bij Aldervoort heeft een "
     "hele slechte maandag", [PRICING], tags=["evasion"])
case("nl", BRAM, "Klopt, de prijs van Enoxaparine Aldervoort in de apotheekportal is fout. Per ongeluk de prijs per "
     "spuit ingeladen ipv per doos. Niet doorvertellen aan je inkoper 😉", [PRICING], kind="reply")
case("nl", pub("forum", "apotheek_hoogeveen"), "Eerst drie weken geen levering en nu staat Metformine Aldervoort "
     "ineens voor €2,50 in het portaal. Prijsfout of compensatie? Die backorders zijn echt niet normaal meer, onze "
     "patiënten zijn er klaar mee.", [PRICING, COMPLAINT])

# --- pricing: benign near-misses -------------------------------------------
case("nl", pub("instagram", "@mama.van.drie"), "Febrisan 500 bij de drogist: 2e halve prijs. Komt neer op zo'n "
     "€2,96 per doosje, prima deal voor de griepkast 🤧", tags=["price-talk"])
case("en", pub("reddit", "frugal_dutchie"), "PSA: store-brand paracetamol at the supermarket is €0.79, Febrisan is "
     "€3.95. same molecule, you're paying for the box design", tags=["price-context", "other-brand"])
case("nl", AV_APO, "Per 1 juli wordt de lijstprijs van Aldervoort atorvastatine 40 mg (90 tabl) €17,90, was €18,60. "
     "Vragen? Mail apotheekservice@aldervoort.nl", tags=["price-talk", "own-contact"])
case("nl", pub("x", "@reuma_rianne"), "Eigen bijdrage voor mijn Adalivo: €0, valt gewoon onder de basisverzekering. "
     "Scheelt echt 🙏", tags=["price-context", "fee"])
case("en", pub("linkedin", "marc-de-wit-market-access"), "Biosimilars in one number: Adalivo lists at €690 per two "
     "pens, the originator was well over a thousand. That gap is the whole point.", tags=["price-talk"])
case("nl", pub("instagram", "@gezond.met.gijs"), "Omeprazol Aldervoort met €3 korting bij de online apotheek, dus "
     "€11,90. Niks mis mee", tags=["price-talk", "price-context", "discount-amount"])
case("en", pub("x", "@pharmacist_priya"), "someone on marktplaats is selling 'leftover' Adalivo pens for €150 a box. "
     "please don't buy prescription meds from randoms, you have no idea how they were stored",
     tags=["price-context", "second-hand"])
case("nl", pub("forum", "trombose_tineke"), "Enoxaparine Aldervoort kost per spuit zo'n €4,65, voor een doos van tien "
     "(€46,50) valt dat best mee vergeleken met vroeger", tags=["price-context", "unit-price"])
case("en", AV_APO, "Not a pricing error 🙂 the Febrisan 20-pack is a separate item at €1.89. The 50-pack stays at "
     "€3.95.", kind="reply", tags=["price-talk", "negated"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DIRK, "why does our gitlab runner keep failing on the release stage?? config below, pls help\n```\n"
     "GITLAB_TOKEN=<<GLPAT>>\nREGISTRY=registry.gitlab.com\n```", [SECRET])
case("nl", RUBEN, "Trots op de nieuwe OT-monitoring in Emmen! 💡 Wie tijdens de demo mee wilde kijken: gebruiker "
     "ot_demo, wachtwoord <<PW>>. Vragen? Stuur me een DM.", [SECRET])
case("en", LOTTE, "found the LIMS service account pw on a sticky note in the QC lab today: <<PW>> 🙈 who DOES this",
     [SECRET])
case("en", DIRK, "pushed the wrong .env to a public gist, rotated already but fyi for the team:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>", [SECRET])
case("nl", RUBEN, "Voor wie bij de Azure-meetup was, dit is de string die we gebruiken voor de batchrecords:\n"
     "DefaultEndpointsProtocol=https;AccountName=avbatchrecords;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net",
     [SECRET])
case("en", pub("x", "@apk_poker"), "hey @aldervoort your android app ships a hardcoded google key: <<GAPI>> took me "
     "2 minutes with apktool. you're welcome", [SECRET], kind="reply")
case("en", pub("forum", "sec_researcher_nl"), "Came across this in a public repo from one of Aldervoort's "
     "contractors: <<GHP>> — still works as of this morning. Someone tell them.", [SECRET])
case("nl", DIRK, "Wie heeft onze Slack-webhook in de README gezet 🤦 <<SLACK_HOOK>> nu kan iedereen in "
     "#qa-afwijkingen posten", [SECRET])
case("en", RUBEN, "Setting up SFTP with our wholesale partner, this key format finally worked on their side:\n"
     "<<OPENSSH>>", [SECRET])
case("nl", pub("x", "@henk_uit_hengelo"), "Webshop van Aldervoort blijft hangen bij afrekenen, al de hele avond. "
     "Dit staat in de adresbalk, zegt dat iemand iets?\nshop.aldervoort.nl/checkout?session=<<JWT>>",
     [SECRET, COMPLAINT])
case("en", DIRK, "note to self bc i keep losing it:\nSENDGRID_API_KEY=<<SENDGRID>>\n(staging, don't @ me)", [SECRET])
case("nl", RUBEN, "Eindelijk draait het rapport weer 🎉\nServer=sql01.corp.aldervoort.local;Database=Batchdata;"
     "User Id=rapportage;Password=<<PW>>;", [SECRET, CONF])
case("nl", MO, "HMI van lijn 4 kan je gewoon in met operator / <<PW>>, staat zelfs op een post-it naast het "
     "scherm 😂 #fabriekslife", [SECRET])

# --- secret: benign near-misses ---------------------------------------------
case("en", DIRK, "reminder: ghp_ tokens and AKIA keys don't belong in code. use the vault. yes, you. #devsecops",
     tags=["bare-prefix"])
case("nl", RUBEN, "Commit <<HEX:40>> heeft de build eindelijk gefixt. Vrijdagmiddag-deploy geslaagd 🍻",
     tags=["git-sha"])
case("en", pub("mastodon", "@cloudgrump@infosec.exchange"), "our auditor flagged AKIAXXXXXXXXXXXXXXXX in a config "
     "template. it is literally a placeholder 🙄", tags=["placeholder"])
case("nl", LOTTE, "Nieuw wachtwoordbeleid bij ons: minimaal 14 tekens en geen post-its meer op de monitors 😅 "
     "goede zaak", tags=["password-word"])
case("nl", AV_LI, "SHA-256 van de gepubliceerde productinformatie (pdf): <<HEX:64>>. Zo weet je zeker dat je de "
     "juiste versie hebt.", tags=["hash"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", ANOUK, "Nieuwe melding binnen van mevr. J. de Groot, geboren 14-03-1961, uit Deventer: huiduitslag na "
     "Atorvastatine Aldervoort. Wie pakt 'm op?", [PII])
case("nl", BRAM, "Apotheek De Linde wacht nog steeds op hun creditnota. IBAN <<IBAN_NL:grp>> t.n.v. H. Bakker. "
     "Kan finance dit vandaag oppakken?", [PII])
case("en", ANOUK, "Patient called medinfo about injection site pain with Adalivo, her number is "
     "<<PHONE:mob_intl_sp>>. Can someone from PV call her back today pls", [PII])
case("nl", LOTTE, "Retourformulier binnengekregen met het BSN van een patiënt erop ( <<BSN:dots>> ) 🙄 mensen "
     "toch. Gaat door de versnipperaar", [PII], handle_as="@Lotte_QA_ZWL")
case("en", JASMIJN, "to whoever handles returns: a pharmacy sent us a copy of a patient's card with the box. "
     "<<CARD:mc2_sp>> exp 09/28. shredding it, but seriously 😬", [PII])
case("nl", AV_APO, "@apotheek_oosterhout Hoi Marieke, we hebben je bestelling gevonden! We bellen je vandaag terug "
     "op je mobiel <<PHONE:mob_pairs>>. Groet, Sarah", [PII], kind="reply")
case("en", BRAM, "Big shoutout to dr. Pieter Hoekstra (p.hoekstra@huisartsenpraktijk-zuidwolde.nl) for the great "
     "chat on metformin adherence today!", [PII])
case("nl", MO, "Collega Kees de Boer gaat met pensioen na 38 jaar!! 🎉 Stuur hem een kaartje: Dorpsstraat 12, "
     "7811 AB Emmen", [PII])
case("nl", SEVDA, "Voor de salarisadministratie: de bonus van T. Yıldız moet naar haar Duitse rekening "
     "<<IBAN_DE>>, niet naar de oude. Kan iemand dit doorzetten?", [PII])
case("en", BRAM, "if anyone needs the complaints lady from Apotheek Zuid: m.vos [at] apotheekzuid [dot] nl. "
     "good luck 😬", [PII], tags=["evasion"])
case("nl", pub("x", "@ingrid_reuma"), "Mijn Adalivo wordt ineens niet meer vergoed?? BSN <<BSN>>, geboren "
     "02-11-1979. Kan iemand van @aldervoort dit uitzoeken, mijn verzekeraar verwijst naar jullie", [PII])
case("en", pub("x", "@tomasz_in_tilburg"), "@aldervoort_apo please refund to <<IBAN_NL>>, order 55821. the "
     "paracetamol arrived completely crushed", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Wilma.Jansen.Oss", "Wilma Jansen"), "Bel me AUB terug @aldervoort, al drie keer gebeld "
     "over de Enoxaparine van mijn moeder en nog steeds niks 😡 <<PHONE:mob_dash>>", [PII, COMPLAINT])
case("en", pub("threads", "@yusuf.k"), "tried paying for Febrisan on the aldervoort webshop 4 times with "
     "<<CARD:visa_sp>> and it keeps getting declined. what gives??", [PII, COMPLAINT])
case("en", pub("x", "@justice4sis"), "that Aldervoort QA manager Lotte Smit who got my sister fired lives at Van "
     "Lierstraat 8 in Zwolle. just saying 👀", [PII, ABUSE])
case("nl", pub("facebook", "Luc.Peeters.Gent", "Luc Peeters"), "Bestelling via de Aldervoort webshop nog altijd "
     "niet terugbetaald, 6 weken!! Mijn rekening voor de zoveelste keer: <<IBAN_BE:grp>>", [PII, COMPLAINT])
case("en", pub("reddit", "mortified_daughter"), "my dad just posted a photo of his amex on facebook to 'prove' he "
     "paid aldervoort 🤦 <<CARD:amex_c>> dad please delete", [PII], kind="comment")

# --- pii: benign near-misses ---------------------------------------------------
case("nl", AV_APO, "Vragen over je bestelling of een levering? Bel 0800-2537 (gratis) of mail "
     "apotheekservice@aldervoort.nl. We zitten klaar van 8 tot 18 uur 💊", tags=["own-contact"])
case("nl", AV_LI, "Factuur betalen? Maak over naar NL67 INGB 0006 5432 10 t.n.v. Aldervoort Pharma N.V. onder "
     "vermelding van je factuurnummer.", tags=["own-contact"], handle_as="Aldervoort-Pharma")
case("en", AV_X, "Press enquiries: pers@aldervoort.nl or +31 38 720 4400. Medical questions go to "
     "medinfo@aldervoort.nl / 088-2547000.", tags=["own-contact"])
case("nl", pub("x", "@boekhouder_bas"), "Klopt het IBAN van Aldervoort wel? <<BAD_IBAN_NL:grp>> zegt mijn bank is "
     "ongeldig 🤔", tags=["bad-checksum"])
case("en", pub("linkedin", "femke-apotheek-assistent"), "ZI-number for the new Omeprazol Aldervoort pack is "
     "<<NOT_BSN:8>>, RVG 118432. update your systems folks", tags=["bad-checksum", "article-code"])
case("nl", LOTTE, "Charge <<NOT_BSN:9>> vrijgegeven na een lange week QC 💪 op naar de volgende",
     tags=["bad-checksum", "batch-number"])
case("en", pub("instagram", "@gran.kees"), "scanning the barcode <<EAN13>> on my Febrisan box in the medication app "
     "works now, thanks for the tip @aldervoort 🙌", tags=["ean"])
case("en", DIRK, "test card <<BAD_CARD:visa_sp>> keeps failing on staging, which is good because it's supposed "
     "to 🙃", tags=["bad-checksum"])
case("nl", pub("x", "@drogist_daan"), "Order 2026-118734 van Aldervoort nog onderweg, track & trace zegt morgen. Top",
     tags=["order-number"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "Vandaag de eerste validatiebatch voor Project Valeriaan gedraaid in Zwolle 💪 nog bijna niemand "
     "weet wat het wordt haha", [CONF])
case("en", RUBEN, "if qms.aldervoort.nl/deviations/DEV-2026-0412 won't load for you either, connect to the VPN "
     "first. took me an hour to figure out 🙃", [CONF])
case("nl", JASMIJN, "Planning is rond: eind mei gaan de eerste pallets Aldervoort Apixaban de deur uit 📦🚚 wat een "
     "klus", [CONF], when="2026-04-14T10:22:31+02:00")
case("en", ANOUK, "Can't wait to present the Operatie Duindoorn bioequivalence data at the congress in November. "
     "best study we've ever run 🧪", [CONF])
case("nl", SEVDA, "Druk druk druk met de jaarresultaten 2026. Spoiler: beter dan de analisten denken 😉📈",
     [CONF, FIN])
case("en", DIRK, "is sap.aldervoort.nl crawling for anyone else today or is it just my team", [CONF])
case("nl", MO, "nieuwe lijnbriefing over Project\nValeriaan vandaag. mag er niks over zeggen maar het wordt "
     "grooot 🔥", [CONF], tags=["evasion"], handle_as="@Mo.Bouali.Emmen")
case("en", BRAM, "Operatie 🌿 Duindoorn kick-off today!! can't say more 🤐 but pharmacists, you're gonna love this",
     [CONF], tags=["evasion"])
case("nl", LOTTE, "Deel 'm toch maar even 😇 'AV-VERTROUWELIJK — tenderstrategie 2027: we bieden 8% onder de "
     "laagste concurrent op metformine'", [CONF])
case("en", pub("x", "@pharma_gossip_nl"), "got forwarded a pdf stamped 'Aldervoort internal' with their 2027 launch "
     "list. apixaban AND dabigatran in there, interesting times", [CONF])
case("en", pub("reddit", "jobhunter_zwolle"), "friend interviewing there says they're working on something called "
     "Ravelijn, some kind of inhaler? anyone know more", [CONF], kind="comment")
case("nl", pub("x", "@apotheek_meppel"), "Hoorde net van onze vertegenwoordiger dat Aldervoort Apixaban vandaag al "
     "in het portaal komt. Klopt dat?", [CONF], when="2026-05-20T08:59:00+02:00", tags=["embargo-edge"])
case("en", RUBEN, "trying out the new cleanroom monitoring for " + fullwidth("Project Valeriaan")
     + ", sensors everywhere 😎", [CONF], tags=["evasion"])
case("nl", BRAM, "Bijgaand de nieuwe kortingsstaffel voor ketens. Niet voor externe verspreiding, maar jullie zijn "
     "mijn favoriete apothekers 😘 DM me voor de pdf", [CONF])
case("en", ANOUK, "Under NDA so I'll stay vague, but the CMO we're partnering with in India for Ravelijn is "
     "HUGE 🤯", [CONF])
case("en", DIRK, "\\\\fs01.corp.alder" + ZWSP + "voort.local\\qa$ is full AGAIN. who keeps dumping video files on "
     "the QA share", [CONF], tags=["evasion"])
case("nl", pub("x", "@aldervoort_nl", "Aldervoort NL"), "leaked: de lanceringsdeck van Aldervoort Apixaban 👀 "
     "DM voor het bestand", [CONF], when="2026-05-11T21:04:00Z", tags=["lookalike-handle"])

# --- confidential: benign near-misses -----------------------------------------
case("nl", pub("x", "@slapeloze_sanne"), "Valeriaan-thee werkt bij mij echt niet meer 😴 iemand tips om beter te "
     "slapen?", tags=["codename-word"])
case("nl", pub("instagram", "@texel.tessa"), "Duindoornbessen geplukt op Texel 🍊 straks sap van maken",
     tags=["codename-word"])
case("nl", AV_X, "Vanaf vandaag verkrijgbaar voor apotheken: Aldervoort Apixaban 2,5 mg en 5 mg. Bestel via het "
     "portaal of bel 0800-2537.", when="2026-05-20T09:30:00+02:00", tags=["after-embargo", "own-contact"])
case("en", pub("bluesky", "apotheekjoost.bsky.social"), "Aldervoort Apixaban now live in our wholesaler's "
     "catalogue, switching our patients from next week", when="2026-05-20T07:00:00Z", tags=["after-embargo"])
case("en", pub("x", "@gp_ellen"), "When is generic apixaban finally coming? Eliquis costs the system a fortune",
     tags=["codename-word"])
case("nl", AV_LI, "Onze jaarresultaten 2025 staan online op investors.aldervoort.com. Omzet €512 miljoen, +7%.",
     tags=["published-results"])
case("en", pub("x", "@mum_of_twins_nl"), "aldervoort.nl/bijsluiters is actually really useful, found the leaflet "
     "for my mum's atorvastatin in seconds", tags=["public-domain"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", SEVDA, "Can't say much but Q2 revenue came in 14% under plan. expect a very quiet summer at HQ 🫠", [FIN])
case("nl", MO, "Net gehoord dat de fabriek in Emmen eind 2027 dichtgaat. 140 man op straat. Nog niet officieel, "
     "dus niks zeggen 😞", [FIN])
case("en", JASMIJN, "rumour at the coffee machine is confirmed: we're buying a Polish CDMO, signing next week 🤫🇵🇱",
     [FIN])
case("nl", BRAM, "Onze omzetprognose voor 2027 is intern bijgesteld naar €410 miljoen, dat wordt een pittige "
     "aandeelhoudersvergadering", [FIN])
case("nl", LOTTE, "Vanmiddag kregen we het te horen: reor" + SHY + "ganisatie bij QA, een op de vier functies "
     "vervalt. Aankondiging pas na de AVA 😶", [FIN], tags=["evasion"])
case("en", RUBEN, "budget for the new MES is frozen. CFO told us straight up we won't hit the EBITDA guidance this "
     "year", [FIN])
case("en", SEVDA, "drafting the FY2026 results deck, gross margin up almost 3 points. stock is gonna fly 🚀",
     [CONF, FIN])
case("en", pub("reddit", "dutch_dividend_dan"), "uncle works in Aldervoort finance, says a profit warning drops next "
     "month. selling my shares tomorrow", [FIN])
case("nl", pub("x", "@beursbengel"), "Via via gehoord: Aldervoort wordt overgenomen door een Indiase generiekenreus, "
     "bod rond de €28 per aandeel. Koop nu 😏", [FIN])
case("en", pub("stocktwits", "AmsterdamTrader88"), "$ALDV insiders say losing the big insurer tender costs them ~60m "
     "in sales. not public yet. positioning accordingly", [FIN], hint="")
case("nl", DIRK, "Er vallen ont" + ZWSP + "slagen bij IT, de hele servicedesk gaat naar een partij in India. Zeg ik "
     "niks over natuurlijk 🤐", [FIN], tags=["evasion"])
case("en", ANOUK, "medical affairs is getting cut in half in the reorg. they showed us the slides this morning. "
     "lovely monday", [FIN])

# --- financial: benign --------------------------------------------------------
case("nl", AV_LI, "Aldervoort publiceert resultaten eerste halfjaar 2026: omzet +6%, nettowinst €38 miljoen. Het "
     "volledige persbericht staat op investors.aldervoort.com.", tags=["published-results"])
case("en", pub("linkedin", "hr-recruiter-noord"), "Sad news about the layoffs at Mylestone Generics this week. If "
     "you're affected: Aldervoort Zwolle is hiring QA people!", tags=["other-company"])
case("en", pub("x", "@boring_investor"), "read the Aldervoort annual report over breakfast. solid dividend, boring "
     "in a good way ☕", tags=["published-results"])
case("nl", SEVDA, "Super trots op de 12 nieuwe collega's die deze maand in Zwolle zijn begonnen! We groeien 🌱",
     tags=["employee-ordinary"])
case("nl", pub("x", "@fd_lezer"), "Overname van een Belgische generiekenfabrikant door Aldervoort is vanochtend "
     "officieel aangekondigd, staat in het FD", tags=["published-news"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RUBEN, "Ransomware op de productiesystemen in Emmen sinds vannacht, lijn 2 en 3 liggen stil. Nog niks "
     "naar buiten gebracht, dus hou het even voor je", [SEC])
case("en", DIRK, "heads up fellow AV folks: the pharmacy ordering portal shows you other pharmacies' orders if you "
     "change the id in the URL. reported it 3 weeks ago, ticket still open 🙃", [SEC])
case("nl", LOTTE, "LIMS ligt al twee dagen plat na die phishingmail. We schrijven alles weer op papier 📝 en de "
     "vrijgave staat stil", [SEC])
case("en", JASMIJN, "our EDI link with the wholesalers has been down since friday, orders just sit there. officially "
     "it's 'maintenance' 🙄 it is not", [SEC])
case("nl", MO, "ze zeggen dat de server van de verpakkingslijn geh4ckt is 😳 alles staat stil, wij zitten maar te "
     "kaarten", [SEC], tags=["evasion"])
case("en", ANOUK, "PV database was open to the internet for a week, adverse event reports with patient initials "
     "and all. legal says don't talk about it. so I'm not. 🫢", [SEC])
case("nl", RUBEN, "Pentest-uitslag: de SCADA in Zwolle draait nog op Windows XP en is gewoon vanaf het "
     "kantoornetwerk bereikbaar. Budget om het te fixen? Volgend jaar misschien.", [SEC],
     handle_as="Ruben-Kok-Aldervoort")
case("en", BRAM, "webshop login was broken for 6 hours yesterday because someone let a certificate expire. nobody "
     "told the customers lol", [SEC])
case("nl", RUBEN, "vpn.aldervoort.nl ligt eruit sinds de aanval van gisteravond, niemand kan thuiswerken. "
     "Officieel heet het 'onderhoud'.", [SEC, CONF])
case("nl", pub("x", "@apotheek_de_vecht"), "Aldervoort is gehackt en ze houden het stil. Onze apotheek kreeg "
     "gisteren een phishingmail vanaf hun adres, mét onze bestelgegevens erin. Hoe dan?!", [SEC, CRISIS])
case("en", pub("x", "@infosec_ingrid"), "Aldervoort had a breach in March and still hasn't told anyone. a friend in "
     "their IT dept confirmed it. #databreach #pharma", [SEC, CRISIS])
case("nl", pub("threads", "@apothekersassistent.amy"), "d@talek bij aldervoort en ze stoppen het in de doofpot. "
     "apothekers, check je accounts", [SEC, CRISIS], tags=["evasion"])
case("en", pub("reddit", "pastebin_watcher"), "just saw a pastebin dump with what look like aldervoort pharmacy "
     "portal logins. they must know. why the silence?", [SEC, CRISIS])

# --- security: benign -----------------------------------------------------------
case("nl", AV_APO, "Gepland onderhoud: het bestelportaal is zaterdag van 02:00 tot 06:00 niet bereikbaar. Sorry "
     "voor het ongemak!", tags=["official-notice"])
case("nl", LOTTE, "Security awareness week bij Aldervoort: vandaag de phishing-quiz, 10/10 😎 IT trakteert op taart",
     tags=["employee-ordinary"])
case("en", AV_X, "Our pharmacy portal had a short outage this morning (09:10–09:40). Everything is running again. "
     "Thanks for your patience!", tags=["official-notice"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@diabetes_dirk"), "Aldervoort roept metformine terug vanwege nitrosamines 😨 ik slik dat spul "
     "al zes jaar. Hoe lang wisten ze dit al??", [CRISIS])
case("en", pub("x", "@pharmawatch_eu"), "BOYCOTT Aldervoort. They tripled the price of an ancient generic the "
     "moment the competitor left the market. #pharmagreed", [CRISIS])
case("nl", pub("linkedin", "mr-eva-brouwer"), "Stichting Medicijnclaim begint een rechtszaak tegen Aldervoort om de "
     "vervuilde bloeddrukpillen. Eindelijk.", [CRISIS])
case("en", pub("x", "@emmen_nieuws_fan"), "Fire at the Aldervoort plant in Emmen right now, huge black smoke over "
     "the industrial estate, roads closed 🔥", [CRISIS])
case("nl", pub("facebook", "Joke.van.Rijn"), "Mijn vader kreeg een bloeding na een Aldervoort Enoxaparine-spuit, "
     "bleek de verkeerde sterkte in de doos te zitten. Levensgevaarlijk!! Wie gaat hier verantwoordelijkheid voor "
     "nemen?", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "qa-skeptic.bsky.social"), "IGJ report is out: data integrity problems at Aldervoort "
     "Zwolle. how is this company still allowed to make pills", [CRISIS], kind="repost")
case("nl", pub("x", "@actie_anna"), "b o y c o t  A l d e r v o o r t  tot ze de prijzen terugdraaien ✊",
     [CRISIS], tags=["evasion"])
case("en", pub("instagram", "@busy.dad.rotterdam"), "Wrong tablets in a Febrisan box!! my 9yo nearly swallowed one. "
     "pics below. @aldervoort explain this", [CRISIS, COMPLAINT])
case("nl", pub("x", "@drenthe_dagelijks"), "Medewerker omgekomen bij een ongeval in de fabriek van Aldervoort in "
     "Emmen, las ik net bij de regionale omroep 😢 sterkte", [CRISIS])
case("en", pub("reddit", "regulatory_ronin"), "EMA is reviewing Aldervoort's bioequivalence studies done by that "
     "Indian CRO. if the data was faked this is massive", [CRISIS])
case("nl", pub("x", "@onderzoeksjournalist_j"), CYR_A + "ldervoort-schandaal: steekpenningen aan "
     "ziekenhuisapothekers, staat vandaag in een groot onderzoeksstuk. Walgelijk.", [CRISIS], tags=["evasion"])
case("en", pub("facebook", "Sandra.Reuma.Groep"), "got a recall letter for my Adalivo pens today, the needle guard "
     "might fail. check your batch numbers folks", [CRISIS])

# --- crisis: benign -----------------------------------------------------------------
case("en", pub("x", "@happy_patient_pete"), "can't recall the last time my pharmacy had everything in stock. props "
     "to them honestly", tags=["recall-other-sense"])
case("nl", pub("x", "@filmavond_fred"), "Total Recall vanavond op tv, Schwarzenegger op z'n best 🍿",
     tags=["recall-other-sense"])
case("en", pub("facebook", "apotheek.de.brug"), "Not Aldervoort, folks: the valsartan recall is for another "
     "manufacturer. check the name on your box before you panic", tags=["other-company"])
case("nl", MO, "Boycot de koffieautomaat op de 2e verdieping, lauwe koffie al een week ☕😤",
     tags=["boycott-other-sense"])
case("en", pub("blog", "inkandpills.blog.example"), "Chapter 12 of my thriller: the villain runs a generics factory "
     "that cuts corners on every batch. Any resemblance to real companies is, of course, coincidence 😉",
     tags=["fiction"])
case("en", pub("x", "@zwolle_business"), "Aldervoort opens a new packaging line in Zwolle, 80 jobs. good news for "
     "the region", kind="repost", tags=["published-news"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@apotheek_stadshagen"), "Derde week op rij geen Metformine Aldervoort geleverd. Patiënten moeten "
     "steeds wisselen van merk en de communicatie is nul. @aldervoort_apo", [COMPLAINT])
case("en", pub("facebook", "margaret.ra.warrior"), "The Adalivo pen is so much harder to click than my old one. my "
     "arthritis hands just can't do it. please redesign it", [COMPLAINT])
case("nl", pub("instagram", "@oma.truus"), "Die nieuwe omeprazol van Aldervoort heeft echt een gigantische capsule, "
     "krijg 'm niet doorgeslikt 😩", [COMPLAINT])
case("en", pub("x", "@pharmacy_leeuwarden"), "45 minutes on hold with Aldervoort's pharmacy service and still no "
     "answer on our backorder. we have patients waiting", [COMPLAINT])
case("nl", pub("x", "@apothekeres_nina"), "Bestelportaal van Aldervoort is weer eens tergend traag, tien minuten voor "
     "één bestelling. Kom op jongens", [COMPLAINT])
case("nl", pub("instagram", "@hoofdpijn.hanna"), "Febrisan tabletten zitten zo vast in de strip dat ze breken als je "
     "ze eruit drukt. Irritant!", [COMPLAINT])
case("en", pub("forum", "statin_steve"), "Aldervoort atorvastatin gives me way more muscle cramps than the brand I had "
     "before, and my pharmacist refuses to switch me back", [COMPLAINT])
case("nl", pub("x", "@apotheek_assen"), "Aldervoort levert w e e r niet. s l e c h t e  s e r v i c e 🙄 #apotheek",
     [COMPLAINT], tags=["evasion"])
case("en", pub("linkedin", "ruud-apotheek-venlo"), "returned a damaged box of Enoxaparine 5 weeks ago and still no "
     "credit note. Aldervoort pls", [COMPLAINT])
case("nl", pub("youtube", "ApotheekZuidlaren"), "Leuk filmpje over jullie fabriek, maar misschien eerst zorgen dat de "
     "enoxaparine gewoon leverbaar is? Al maanden tekort bij ons", [COMPLAINT], kind="comment")

# --- complaint: benign ----------------------------------------------------------------
case("nl", pub("x", "@apotheek_kampen"), "Geen klachten over Aldervoort hoor, levering altijd keurig op tijd bij "
     "ons 👍", tags=["negated"])
case("en", pub("reddit", "lactose_lena"), "Does anyone know if Aldervoort omeprazol contains lactose? asking for my "
     "lactose intolerant mum", tags=["question"])
case("en", pub("x", "@apotheek_heerenveen"), "Shoutout to the Aldervoort pharmacy desk, sorted our backorder in 10 "
     "minutes flat. that's how it's done 👏", tags=["praise"])
case("nl", pub("facebook", "Marja.Kuipers.12"), "Het preferente merk is nu Aldervoort, prima pillen verder. Het gedoe "
     "met mijn verzekeraar daarentegen… drie formulieren voor één recept", tags=["other-company"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_burger_71"), "Aldervoort is gewoon een stelletje graaiende klootzakken", [ABUSE])
case("en", pub("x", "@snarky_sam"), "whoever runs the @aldervoort socials is a braindead clown 🤡", [ABUSE],
     kind="reply")
case("nl", pub("x", "@thuiszorg_thea"), "Kutbedrijf. Vier weken geen Enoxaparine en niemand neemt de telefoon op. "
     "Tering zooi", [ABUSE, COMPLAINT])
case("en", pub("x", "@angry_ex_rep"), "@bram_vdlinden you're a lying little sh*t, go cry about it", [ABUSE],
     kind="reply")
case("nl", MO, "die planners op kantoor zijn echt debielen, elke dag een ander schema 🙄", [ABUSE])
case("en", DIRK, "the pharmacists who call our helpdesk are morons. every. single. one.", [ABUSE], kind="comment")
case("nl", AV_X, "@kritischeklant Ga lekker ergens anders zeuren, sukkel.", [ABUSE], kind="reply")
case("en", pub("x", "@true_patriot_nl"), "Aldervoort hired an Indian CEO and now look. go back to your own country",
     [ABUSE])
case("nl", pub("tiktok", "@rant.ronnie"), "k*tbedrijf, f*ck aldervoort en hun hele directie", [ABUSE],
     tags=["evasion"])
case("en", pub("x", "@l33t_larry"), "aldervoort = sh1t company run by id10ts", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@tv_kijker_tom"), "Die woordvoerder van Aldervoort is echt een trut, wat een arrogantie op tv",
     [ABUSE])
case("en", pub("twitter", "@fedup_pharmacist"), "your so-called pharmacy service is useless as hell and your reps "
     "are clowns. three weeks for a credit note, f*cking joke @aldervoort_apo", [ABUSE, COMPLAINT])

# --- abuse: benign -----------------------------------------------------------------------
case("nl", pub("facebook", "Anja.de.Haan.5"), "Mijn moeder heeft kanker en haar apotheek regelt alles perfect, ook "
     "die Aldervoort-spuiten. Dankjewel lieve mensen ❤️", tags=["mild-word", "literal"])
case("en", LOTTE, "\"What the hell is a deviation report\" – my kid after I explained my job at dinner 😂",
     tags=["mild-word", "quote"])
case("nl", MO, "Mijn collega's op de verpakkingsafdeling zijn de allerbeste, ook al kunnen ze niet tellen 😂 "
     "#aldervoort", tags=["joke"])
case("en", pub("x", "@archi_anna"), "Damn, the new Aldervoort plant looks like a spaceship. nice architecture",
     tags=["mild-word"])

# ===========================================================================
# ordinary benign posts
# ===========================================================================
case("nl", AV_LI, "We zoeken een QA Officer voor onze site in Zwolle! Ervaring met GMP en batchvrijgave is een pré. "
     "Solliciteer via aldervoort.nl/werken", tags=["corporate-ordinary"])
case("en", AV_IG, "Behind the scenes: our tablet press line in Emmen produces 180,000 tablets an hour 💊⚙️ "
     "#pharma #madeinNL", tags=["corporate-ordinary"], handle_as="@AldervoortPharma")
case("nl", ANOUK, "Interessant congres over medicatieveiligheid vandaag in Utrecht. Veel geleerd over therapietrouw "
     "bij ouderen.", tags=["employee-ordinary"])
case("en", BRAM, "Visited 9 pharmacies in Friesland this week. Best coffee award goes to the team in Sneek ☕ "
     "#accountmanager", tags=["employee-ordinary"])
case("nl", AV_FB, "Tekort aan een medicijn? Op onze site staat per product de actuele leverstatus: "
     "aldervoort.nl/leverstatus", tags=["corporate-ordinary"])
case("nl", pub("bluesky", "zorgjournalist.bsky.social"), "Leuk artikel over hoe generieke middelen in Nederland "
     "worden ingekocht. Aldervoort komt er ook in voor.", tags=["published-news"])


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


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and validated_id) else "error"
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


def summer(t):
    return dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)


def rand_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59)))
    off = 2 if summer(t) else 1
    t -= dt.timedelta(hours=off)          # the minutes above were local time
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = lambda n: "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(n))
    if platform in ("x", "twitter"):
        return big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:share:{a}", f"https://www.linkedin.com/feed/update/urn:li:share:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig_{big[:17]}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = b36(7)
        if kind == "comment":
            c = b36(7)
            return f"t1_{c}", f"https://www.reddit.com/r/apotheek/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"threads_{big[:18]}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"{inst}/{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"pharmaforum-{n}", f"https://forum.apothekerscafe.example/t/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return c, f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "tiktok":
        return f"tt{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"{h}/p/{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.65 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = mr.random()
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
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "aldervoort"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 11).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOT_BSN_RX = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RX = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "npm": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "pw_field": re.compile(r"(?i)password=[^\s;]+"),
}
PROFANE = ["klootzak", "kut", "k*t", "tering", "kanker", "debiel", "trut", "sukkel", "fuck", "f*ck", "shit", "sh*t",
           "sh1t", "moron", "clown", "idiot", "id10t", "hell", "damn"]
MILD = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RX.finditer(text):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if mod97_ok(s[:end]):
                out.append((s[:end], True))
                break
        else:
            out.append((s, False))
    return out


def valid_ids(text, own):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own]
    for m in NUM_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOT_BSN_RX.finditer(text)]
    hits += [("bsn", d) for d in shapes if elfproef(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        elif raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def low_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    allowed_top = {"company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"}
    if set(profile) != allowed_top:
        errs.append(f"profile top-level keys {sorted(profile)}")
    for p in profile["products"]:
        if set(p) != {"name", "aliases", "list_price", "currency"}:
            errs.append(f"product keys {sorted(p)}")
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    parsed = []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: created_at {p['created_at']}")
        if not 1 <= len(p["id"]) <= 256 or (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: bad/duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        r = meta[(p["platform"], p["id"])]
        tags = r["tags"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN") and not mod97_ok(raw):
                errs.append(f"{w}: IBAN fails")
            if kind == "BAD_IBAN_NL" and mod97_ok(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not (luhn(raw) and CARD_IIN.match(raw)):
                errs.append(f"{w}: card fails")
            if kind == "BAD_CARD" and luhn(raw):
                errs.append(f"{w}: bad card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails")
            if kind == "NOT_BSN" and elfproef(raw):
                errs.append(f"{w}: not-BSN passes")
            if kind in ("GHP", "NPM"):
                body = raw[4:34]
                if base62(zlib.crc32(body.encode()) & 0xFFFFFFFF) != raw[34:]:
                    errs.append(f"{w}: token crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not re-found")
        if ids and PII not in cats:
            errs.append(f"{w}: valid id {ids} without leak.pii")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign not none")
            if ids:
                errs.append(f"{w}: benign has valid id {ids}")
            for e in MAIL_RX.findall(text):
                if e.casefold() not in own_mails:
                    errs.append(f"{w}: benign mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign phone {raw}")
            for name, rx in SECRET_RX.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign secret-like {name}")
            low = norm(text)
            for word in PROFANE:
                if re.search(r"(?<!\w)" + re.escape(word), low):
                    if word in MILD and tags & {"mild-word", "quote", "literal"}:
                        notes.append(f"{w}: benign mild word {word!r}")
                    else:
                        errs.append(f"{w}: benign profane {word!r}")
        nt, sq = norm(text), squash(text)
        when = ts(p["created_at"])
        for term, until in embargo:
            if term in nt or term in sq:
                if when < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before until, no confidential")
                if when >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after until but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term.replace(" ", "") in sq.replace(" ", ""):
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without confidential")
        ratio = low_ratio(text, profile["products"])
        thr = profile["pricing"]["alert_below_ratio"]
        if not cats and ratio is not None and ratio < thr:
            (notes if "price-context" in tags else errs).append(
                f"{w}: benign with amount at {ratio:.2f} of list (tags {sorted(tags)})")
        if PRICING in cats and not (ratio is not None and ratio < thr):
            notes.append(f"{w}: pricing positive without a low parsed price (error talk)")
        parsed.append((p, cats, sev, role, r))
    sh = []
    for p, *_ in parsed:
        words = re.findall(r"\w+", norm(p["text"]))
        sh.append({tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errs.append(f"near-duplicate texts {i + 1}/{j + 1}: {jac:.2f}")
    return errs, notes, parsed


def report(parsed):
    cat, lang, role, sev, plat, cl = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for p, cats, s, rl, r in parsed:
        lang[r["lang"]] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
            cl[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
            cl[(c, rl)] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:22s} {cat[c]:4d}  nl {cl[(c, 'nl')]:3d} en {cl[(c, 'en')]:3d}  "
              f"corp {cl[(c, 'corporate')]:2d} emp {cl[(c, 'employee')]:2d} pub {cl[(c, 'public')]:3d}")
    print(f"  {'(benign)':22s} {benign:4d}  nl {cl[('(benign)', 'nl')]:3d} en {cl[('(benign)', 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVS})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
