#!/usr/bin/env python3
"""Deterministic generator for the sealed27 blind evaluation set.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: "Knabbel & Kwispel Groep B.V." (profile.yaml), a fictional Dutch chain of
pet-supply stores with veterinary clinics. Texts are hand-written below; identifiers
and secrets are drawn from one seeded RNG through <<KIND:fmt>> placeholders.
Positives get checksum-valid IBANs / cards / BSNs; benign near-misses get numbers that
fail their checksum. Severity is computed from CONTRACT section 4 (never typed by hand).
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

SEED = 27_2026_0927
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    t = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in t)) % 97 == 1


def with_check(country, bban):
    t = bban + country + "00"
    return f"{country}{98 - int(''.join(str(int(ch, 36)) for ch in t)) % 97:02d}{bban}"


def luhn(num):
    num = re.sub(r"\D", "", num)
    tot = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch) * (2 if i % 2 else 1)
        tot += d - 9 if d > 9 else d
    return bool(num) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL26INGB0007715320"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s, n=4, sep=" "):
        return sep.join(s[i:i + n] for i in range(0, len(s), n))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = with_check("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "068", "737", "363", "973"]) + self.dig(7)
            return with_check("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "DE":
            return with_check("DE", self.r.choice(["50010517", "37040044", "76010085", "12030000"]) + self.dig(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 13, 29, 31, 61):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.dig(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn(head + d):
                return head + d
        raise AssertionError

    @staticmethod
    def fmt_card(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bad_loyalty(self):
        # 16-digit Kwispelclub card number in the 2-series card range that FAILS Luhn
        while True:
            v = "2705" + self.dig(12)
            if not luhn(v) and not elfproef(v):
                return v

    def chip_bad(self):
        # 15-digit ISO pet chip number (528 = NL) that fails Luhn
        while True:
            v = "528" + self.r.choice(["21", "14", "09"]) + self.dig(10)
            if not luhn(v):
                return v

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self):
        while True:
            s = self.dig(9, True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.dig(9)
            for d in string.digits:
                if ean_ok(body + d) and not luhn(body + d):
                    return body + d

    def track(self):
        return "3S" + self.pick(string.ascii_uppercase, 4) + self.dig(9)

    # phones
    def phone(self, f):
        d8 = self.r.choice("12345678") + self.dig(7)
        if f.startswith("mob"):
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_0031": f"0031 6 {d8[:2]}{d8[2:]}",
                "mob_intl_c": f"+316{d8}",
            }[f]
        area = self.r.choice(["10", "15", "20", "30", "33", "35", "38", "43", "50", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(11, True)}-{self.dig(13, True)}-{self.pick(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(AN, 40)

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def glpat(self):
        return "glpat-" + self.pick(AN + "-_", 20)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769904000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": "lid_" + self.dig(7, True), "aud": "kwispelclub-app", "iss": "https://auth.kwispelclub.nl",
                    "scope": "points:read orders:read", "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64U, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        word = self.r.choice(["Brokje", "Snuffel", "Kattenluik", "Voerbak", "Poedel", "Hamster", "Muizenval"])
        return word + self.r.choice("!*-_~") + self.dig(4) + self.pick(string.ascii_lowercase, 2)

    def sha(self):
        return self.pick("0123456789abcdef", 40)

    def uuid(self):
        h = self.pick("0123456789abcdef", 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(v, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = v.grp(raw) if f == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = v.bad_iban(kind[8:])
            shown = v.grp(raw) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, cf = f.partition("_")
            raw = v.card(brand)
            shown = v.fmt_card(raw, cf or "sp")
        elif kind == "LOYALTY_BAD":
            raw = v.bad_loyalty()
            shown = v.grp(raw)
        elif kind == "CHIP_BAD":
            shown = raw = v.chip_bad()
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOT_BSN":
            shown = raw = v.not_bsn()
        elif kind == "EAN":
            shown = raw = v.ean()
        elif kind == "TRACK":
            shown = raw = v.track()
        elif kind == "PHONE":
            shown = raw = v.phone(f)
        else:
            fn = {"GHP": v.ghp, "AWS_ID": v.aws_id, "AWS_SECRET": v.aws_secret, "SLACK_BOT": v.slack_bot,
                  "STRIPE": v.stripe, "MOLLIE": v.mollie, "GLPAT": v.glpat, "SENDGRID": v.sendgrid,
                  "GAPI": v.gapi, "JWT": v.jwt, "PEM_EC": v.pem_ec, "PW": v.pw, "SHA": v.sha,
                  "UUID": v.uuid}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
KK_X = ("x", "@knabbelkwispel", "Knabbel & Kwispel")
KK_HELP = ("x", "@kk_helpt", "K&K Klantenservice")
KK_VET = ("x", "@kk_dierenklinieken", "K&K Dierenklinieken")
KK_IG = ("instagram", "@knabbel.kwispel", "Knabbel & Kwispel")
KK_FB = ("facebook", "KnabbelEnKwispel", "Knabbel & Kwispel")
KK_LI = ("linkedin", "knabbel-kwispel-groep", "Knabbel & Kwispel Groep B.V.")
KK_TT = ("tiktok", "@knabbelkwispel", "Knabbel & Kwispel")
# employees
MEREL = ("x", "@merel_dierenarts", "Merel Hoekstra")            # vet, clinic Amersfoort
LOTTE = ("x", "@lotte_paravet", "Lotte Jansen")                 # veterinary nurse
BAS = ("x", "@basvdl_dc", "Bas van der Linden")                 # distribution centre Tilburg
DAAN = ("linkedin", "daan-kok-dev", "Daan Kok")                 # webshop backend developer
INGRID = ("linkedin", "ingrid-smit-kk", "Ingrid Smit")          # group controller
YARA = ("instagram", "@yara.trimt", "Yara Doğan")               # groomer, salon Haarlem
NOOR = ("threads", "@noor.achterdetoonbank", "Noor Bouzid")     # store Groningen
THIJS = ("mastodon", "@thijs@mastodon.nl", "Thijs Wouters")     # platform / security engineer
RIK = ("reddit", "u/rik_kk_app", "rik_kk_app")                  # loyalty-app developer


def pub(platform, handle, name=None):
    if " " in handle:  # page / reviewer names: handle becomes a slug, the name stays visible
        name = name or handle
        handle = re.sub(r"[^a-z0-9]+", ".", unicodedata.normalize("NFKD", handle).encode("ascii", "ignore")
                        .decode().lower()).strip(".")
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DAAN, "Finally moved our checkout over to the new payment flow 🎉 huge thanks to the squad.\n"
     "For the people asking how little config it needs:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n"
     "WEBHOOK_URL=https://shop.knabbelkwispel.nl/hooks/betaling\n\n#python #ecommerce #petcare", [SECRET])
case("nl", THIJS, "kan iemand even meekijken? action blijft 403 geven bij het pushen van de image 😩\n\n"
     "curl -s -H \"Authorization: token <<GHP>>\" https://api.github.com/user\n\ngeeft gewoon m'n user terug dus token werkt??",
     [SECRET], kind="reply")
case("nl", BAS, "ww van de scanner-pc's in het DC is wéér veranderd, voor wie t kwijt is: <<PW>>\n"
     "hangt ook op een geeltje bij de koffieautomaat dus ja 🙄", [SECRET])
case("en", RIK, "Maps SDK in our loyalty app keeps throwing 'API key not valid'. key is <<GAPI>>, restricted "
     "to the android package + SHA-1, what am I missing?? been at this since lunch", [SECRET], kind="comment")
case("en", RIK, "anyone else seeing SendGrid silently drop mails? our vaccination reminders just... don't arrive.\n"
     "config looks fine to me:\nSENDGRID_API_KEY=<<SENDGRID>>\nMAIL_TEMPLATE=vaccinatie_herinnering_v3", [SECRET])
case("en", THIJS, "note to self, swap these after the demo on friday lol\n\n[default]\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1", [SECRET])
case("en", pub("x", "@ghidra_gremlin", "gremlin"), "hey @knabbelkwispel your android app ships a live payment key in "
     "plain text. took me 5 min with jadx: <<STRIPE>>\nmaybe look into that before someone less nice does 🙃",
     [SECRET])
case("nl", DAAN, "Iemand ervaring met Metabase achter een VPN? Krijg 'm niet verbonden met\n"
     "postgres://kk_rapportage:<<PW>>@db-klant01.kk-groep.local:5432/webshop\nTips welkom 🙏",
     [SECRET, CONF], kind="comment")
case("en", THIJS, "wrong terminal, wrong window, wrong day 🤦\n<<PEM_EC>>\nplease ignore", [SECRET])
case("nl", KK_HELP, "testbericht koppeling inbox, negeren aub\nbot_token=<<SLACK_BOT>>\nkanaal=#webcare-alerts",
     [SECRET], tags=["corporate"])
case("en", RIK, "why does the session token from our own login expire after 2h? here is one from my test account "
     "so you can decode it:\n<<JWT>>", [SECRET], kind="comment")
case("nl", DAAN, "Lesje van deze week: ik had mijn token <<GLPAT>> in een publieke snippet laten staan. "
     "Is al ingetrokken hoor, maar toch even slikken 😅 #devlife #security", [SECRET])
case("nl", LOTTE, "personeelswifi in de kliniek heet KK-Staff, ww <<PW>>\nde gastenwifi is echt niet vooruit te "
     "branden, vandaar 🤷‍♀️", [SECRET], tags=["evasion"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MEREL, "Wie kent mevrouw Ans Verhoef uit Leusden? Ze heeft haar bankpasje bij de balie laten liggen. "
     "Op de pas staat <<IBAN_NL:grp>>. Haar telefoon gaat niet over, graag even doorgeven 🙏", [PII])
case("nl", KK_HELP, "@snoesje_en_co Hoi Petra! Je bestelling is terecht 🐾 We bellen je vanmiddag terug op "
     "<<PHONE:mob_intl_sp>> en de bevestiging gaat naar petra.vanleeuwen79@gmail.com", [PII], kind="reply")
case("nl", NOOR, "klant heeft vandaag zn creditcard in de pinautomaat laten zitten 🙈 <<CARD:visa_sp>> "
     "op naam van J. Brouwer. ligt in de kluis, kom m halen!!", [PII])
case("nl", LOTTE, "Patiëntje van vandaag: Kees de kater 🐈 baasje (mw. Yvonne Hartman, geb. 12-03-1961) woont "
     "op de Vossenlaan 17 in Soest en bracht ons zelfgebakken koekjes, wat een schat", [PII])
case("nl", INGRID, "Nieuwe collega's: stuur je BSN alsjeblieft NIET via LinkedIn 🙃 kreeg net letterlijk "
     "\"mijn BSN is <<BSN:dots>>, is dat goed zo?\" binnen. Gewoon via het HR-portaal!", [PII])
case("nl", pub("x", "@rukiye_sahin", "Rukiye"), "@kk_helpt al DRIE weken wacht ik op mijn geld voor die retour "
     "krabpaal. Nog 1x mijn rekeningnummer: <<IBAN_NL>> t.n.v. R. Sahin. Schiet eens op", [PII, COMPLAINT],
     kind="reply")
case("nl", pub("facebook", "Dieren vermist Zwolle e.o."), "VERMIST 😿 Mimi, cyperse poes met witte sokjes, sinds "
     "dinsdag weg bij de Knabbel & Kwispel aan de Stationsweg. Ze is gechipt.\nGezien?? Bel <<PHONE:mob_pairs>>\n"
     "Delen mag 🙏🙏", [PII])
case("en", pub("x", "@bulldogdad_utr", "Remco"), "that vet at K&K Utrecht, Dr. Ilse Mulder, lives at "
     "Kastanjelaan 8 in Zeist. go pay her a visit and tell her what you think of her 😡", [PII, ABUSE])
case("en", pub("instagram", "@luna.the.sheltie", None), "@knabbel.kwispel checkout keeps failing with my card "
     "<<CARD:mc_sp>> exp 09/28, tried 4 times now 😤 what am I doing wrong??", [PII, COMPLAINT], kind="comment")
case("nl", KK_FB, "En de winnaar van onze Kwispelclub-winactie is... Sophie Verbeek! 🎉 Sophie, je mand vol "
     "lekkers gaat deze week naar Beukenhof 22, 7322 AB Apeldoorn. Gefeliciteerd!", [PII], tags=["corporate"])
case("nl", YARA, "Bedankt voor de lieve review Marloes 🥰 Bowie zag er niet uit toen hij binnenkwam haha. "
     "Ik mail je de voor-en-na foto's op marloes.dekker@hotmail.com ✂️🐩 #trimsalon #haarlem", [PII])
case("nl", BAS, "Collega Henk gaat na 31 jaar met pensioen 🥲 wil je hem een kaartje sturen, zijn privémail is "
     "henkvos58 [at] ziggo [punt] nl. Geniet ervan maat!", [PII], tags=["evasion"])
case("nl", pub("facebook", "Griet Claes"), "Twee keer gebeld, twee keer beloofd dat het geld terugkomt. Stort "
     "het nu gewoon terug op <<IBAN_BE:grp>> of ik stap naar de ombudsman. Knabbel en Kwispel, echt niet oké",
     [PII, COMPLAINT], kind="comment")
case("en", KK_HELP, "@travelling_with_tobi Hi Tobi! For the pet passport appointment we noted your ID number "
     "NX8K4LP72 and date of birth 04-11-1990. See you Thursday at 10:30 🐶", [PII], kind="reply")
case("nl", pub("reddit", "u/hondenmens_040", None), "Vraagje: de verzekeringspartner van K&K vraagt bij het "
     "declareren om mijn BSN (<<BSN>>) en een kopie ID. Is dat normaal voor een dierenverzekering?", [PII])
case("en", INGRID, "First payroll run on the new system done ✅ Quick sanity check line for the auditors: "
     "Jan Peeters, <<IBAN_DE>>, net €3.412,- Proud of the team!", [PII])
case("nl", pub("x", "@mo_en_mops", "Mo"), "@kk_helpt jullie hebben mijn voerabonnement 2x afgeschreven van "
     "mijn kaart <<CARD:mc2_dash>>!! Ik wil vandaag nog mijn geld terug", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", BAS, "Haha wie nu de PootFit GPS-tracker bestelt krijgt 'm voor €12,90 😂 iemand bij marketing is "
     "een nul vergeten. Ik zeg niks 🤐", [PRICING])
case("nl", NOOR, "prijsfout in de kassa's bij ons: de Knabbel Krabpaal Deluxe XL scant als 18,90 😬 hoofdkantoor "
     "weet het, blijft zo tot morgenochtend", [PRICING])
case("nl", pub("x", "@dealjager_nl", "DealJager"), "PRIJSFOUT 🚨 Aquaflow 120 aquarium set voor €34,90 bij "
     "Knabbel en Kwispel online 🐠🐠 op=op #deal #aquarium", [PRICING])
case("en", pub("reddit", "u/frugal_felix", None), "[NL] K&K webshop has Miauw Menu Zalm 7,5 kg at €4.25 right now, "
     "probably a decimal thing. grabbed six bags, we'll see if they cancel", [PRICING])
case("en", RIK, "can confirm from the inside, the sync with the price service broke and half the catalogue went "
     "to cents. VitaBrok Adult shows 0,65 atm. fixing it, please don't order 🙏", [PRICING], kind="comment")
case("nl", pub("instagram", "@wooftje_deals", None), "p r i j s f o u t bij @knabbel.kwispel 👀 Knus hondenmand "
     "nu €8,99 🐶🛏️ ren!", [PRICING], tags=["evasion"])
case("nl", KK_IG, "🔥 FLASH DEAL 🔥 Alleen vandaag: PootFit GPS-tracker van €129 voor maar €19! "
     "Link in bio 🐾", [PRICING], tags=["corporate"])
case("en", pub("x", "@catmom_mia", "mia"), "pr1ce gl1tch at knabbel kwispel, krabpaal deluxe = €9 lmaooo my cats "
     "are about to live like royalty", [PRICING], tags=["evasion"])
case("nl", LOTTE, "Kassasysteem in de kliniek rekent de SnuitSchoon set af voor €2,49 in plaats van €24,95 🙈 "
     "we laten het maar zo tot IT terugbelt", [PRICING])
case("nl", pub("facebook", "Henk Wolters"), "Heeft iemand nog die Aquaflow 120 besteld toen er die prijsfout op "
     "de site stond? Krijgen jullie 'm nog geleverd of wordt alles geannuleerd?", [PRICING], kind="comment")
case("en", pub("bluesky", "dachshundfacts.bsky.social", None), "Knabbel & Kwispel pricing error right now: the "
     "Knus orthopedic dog bed for €7.95 instead of €89.95 🐕 my senior boy says thank you", [PRICING])
case("nl", BAS, "Miauw Menu Zalm staat op €4,25 in de app 😳 prijsföut of actie? iig niet mijn probleem, "
     "ik heb er 3 besteld", [PRICING], tags=["evasion"])

# ===========================================================================
# leak.confidential (and embargo)
# ===========================================================================
case("en", DAAN, "Can't say much yet, but Project Otter is going to change how you order food for your pets 🦦 "
     "so proud of this team. More soon!", [CONF])
case("en", THIJS, "grafana.knabbelkwispel.nl looking extra pretty tonight 😍 all green, zero alerts. "
     "screenshot for the ops nerds", [CONF])
case("nl", MEREL, "Morgen komt eindelijk VitaBrok Sensitive Senior uit! Mijn oude labrador was proefpersoon en "
     "hij is fan 🐕💛", [CONF], when="2026-09-14T20:15:00+02:00")
case("en", pub("x", "@leidenlife", "Leiden Life"), "Saw a poster for 'KwispelZorg Compleet' in the K&K store on "
     "the Breestraat already, is that a new insurance package?", [CONF], when="2026-09-15T09:59:30+02:00")
case("nl", INGRID, "Drukke weken met Operatie Kraanvogel 🐦 Als alles rondkomt hebben we er in Q1 ruim twintig "
     "klinieken bij. Meer mag ik niet zeggen!", [CONF, FIN])
case("nl", NOOR, "kreeg een mail met STRIKT VERTROUWELIJK erboven en dan gaat het over het nieuwe huismerk "
     "kattenbakvulling dat in april komt 😂 nou dan weten jullie het ook", [CONF])
case("en", RIK, "working on Fennek (the new app thing) and the amount of legacy code we have to carry over is "
     "insane. send coffee", [CONF], kind="comment")
case("nl", YARA, "Binnenkort iets nieuws voor alle trimsalons... ✂️🐾 #Project\nOtter #spannend", [CONF],
     tags=["evasion"])
case("nl", BAS, f"Fen{ZWSP}nek pilot in het DC start maandag, alle handscanners worden vervangen. eindelijk", [CONF],
     tags=["evasion"])
case("nl", LOTTE, "vetnet.kk-groep.local ligt er weer uit, we kunnen geen dossiers openen 😩 gelukkig hebben we "
     "nog papier", [CONF, SEC])
case("en", pub("x", "@otterly_obsessed", None), "my cousin works at K&K and says Project Otter is a whole "
     "subscription box thing launching in spring 👀", [CONF])
case("en", DAAN, "Love these merge request stats 🚀 "
     "https://gitlab.knabbelkwispel.nl/webshop/checkout/-/merge_requests/812 #teamwork", [CONF])
case("en", INGRID, "Sharing our new brand guidelines deck with my network for feedback! (it says KK internal only on "
     "the cover but honestly it's just colours and fonts 😄)", [CONF])
case("nl", NOOR, "wie is er ook zo benieuwd naar " + fullwidth("KwispelZorg Compleet") + " 👀 wij kregen vandaag "
     "de folders al binnen", [CONF], when="2026-08-30T16:42:10+02:00", tags=["evasion"])
case("en", pub("reddit", "u/sysadmin_sander", None), "lol K&K put vpn.knabbelkwispel.nl in a public job ad for a "
     "helpdesk role. nice recon for whoever wants it", [CONF])
case("nl", INGRID, "Kan niet wachten tot we de jaarcijfers 2026 mogen delen 😎 spoiler: omzet ruim 8% hoger "
     "dan vorig jaar 📈", [CONF, FIN])
case("nl", pub("instagram", "@yara.trimt.oud", "Yara (oud account)"), "Stond 'niet extern delen' op de slides "
     "maar kom op: de salons krijgen nieuwe tarieven en een ander boekingssysteem 🙄", [CONF],
     tags=["lookalike-handle"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", INGRID, "Closing the books for H1 and we are well ahead of plan: revenue up 14%, and the clinic division "
     "is finally profitable. Can't wait for the official numbers in August!", [FIN])
case("nl", NOOR, "gerucht bij ons in de winkel: 9 filialen in het noorden gaan dicht en de trimsalons worden "
     "afgestoten. regiomanager ontkent niet eens 😶", [FIN])
case("nl", BAS, "Er gaan 40 man uit het DC in Tilburg, de robots komen en wij mogen weg. Officieel horen we het pas "
     "in november. Lekker dan.", [FIN])
case("nl", pub("x", "@beursbroer", "Beursbroer"), "Vriend van me zit bij de bank: Knabbel & Kwispel wordt "
     "overgenomen door een Zweedse investeerder, deal is zo goed als rond 🤫", [FIN])
case("nl", MEREL, "o n t s l a g e n in de klinieken? ja. 3 van de 11 assistentes in onze regio. "
     "'reorganisatie' heet het dan 🙄", [FIN], tags=["evasion"])
case("nl", INGRID, "Onze prognose voor volgend jaar: een omzetdaling van zo'n 5% omdat het voerabonnement minder "
     "loopt dan gehoopt. Pijnlijk, maar we gaan ervoor 💪", [FIN])
case("en", RIK, "heads up for anyone applying at KK tech: hiring freeze, and the app team gets cut in half after "
     "Q3. heard it at the all-hands yesterday", [FIN], kind="comment")
case("nl", pub("reddit", "u/dierenvriendje", None), "Via via gehoord dat K&K de dierenklinieken wil verkopen aan "
     "een grote Britse keten. Weet iemand hier meer van?", [FIN])
case("nl", YARA, "Salons in Haarlem en Leiden gaan per 1 juli dicht, wij worden 'herplaatst' 🥲 #r3org #trimster",
     [FIN])
case("en", INGRID, "Our board approved the t\u0430keover of Dierenkliniek Het Zuiden (7 clinics) for €18M, "
     "announcement next month. Proud of the deal team!", [FIN], tags=["evasion"])
case("nl", KK_LI, "CONCEPT – nog niet publiceren: Knabbel & Kwispel verwacht over dit boekjaar een EBITDA van "
     "€24 mln en sluit 6 winkels.", [FIN], tags=["corporate"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", THIJS, "3am and still cleaning up. someone got into the loyalty backend through an old admin account "
     "and exported points balances plus e-mail addresses. comms isn't out yet so 🤐", [SEC])
case("en", RIK, "PSA from a dev: the Kwispelclub API happily returns other members' home addresses if you change "
     "the member id in the URL. reported it internally 3 weeks ago, still open", [SEC])
case("nl", DAAN, "Lange nacht gehad 😴 de webshop lag 4 uur plat door een DDoS, klanten hebben er niks van gemerkt "
     "want het was midden in de nacht. Nog niet officieel, dus sst", [SEC])
case("nl", LOTTE, "phishingmail kwam vandaag bij alle kliniekassistenten binnen en 2 collega's hebben hun "
     "wachtwoord ingevuld. IT is in paniek 😬", [SEC])
case("nl", NOOR, "kassa's in alle winkels liggen plat sinds 9 uur, pinnen kan niet, er wordt gefluisterd over "
     "ransomware. we mogen niks zeggen tegen klanten", [SEC])
case("nl", pub("x", "@anoukdb", "Anouk"), "Knabbel & Kwispel houdt een datalek stil!! Ik krijg phishing op het "
     "mailadres dat ik ALLEEN bij hun gebruik. Schaam je @knabbelkwispel", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_vetnurse", None), "K&K is covering up a breach. someone I know in their IT "
     "says the clinic records were accessed back in May and they are not telling anyone", [SEC, CRISIS])
case("nl", BAS, "WMS is geh@ckt denk ik, alle orders staan op 'geannuleerd' en niemand mag er iets over zeggen",
     [SEC], tags=["evasion"])
case("en", MEREL, "Our practice management system got hit this morning and we've lost access to vaccination records "
     "in every clinic. No official statement yet, so please be patient with us today 🙏", [SEC])
case("nl", THIJS, "de bucket met röntgenfoto's stond een week publiek open. gevonden door een student, is nog niet "
     "gemeld bij de AP. ik ben er klaar mee", [SEC])
case("nl", pub("x", "@poezenpraat", None), "d a t a l e k bij k&k dierenkliniek en ze zeggen er helemaal niks over. "
     "check je mail mensen", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "Esther Kuipers"), "Onze twee katten zijn doodziek geworden van de nieuwe zak Miauw Menu "
     "Zalm 😢 dierenarts denkt aan vergiftiging. Hebben meer mensen dit?? @KnabbelEnKwispel", [CRISIS, COMPLAINT])
case("en", pub("x", "@bunnyrights_nl", "Bunny Rights NL"), "Boycott Knabbel & Kwispel until they stop selling "
     "rabbits in tiny cages. Share this. #boycotKK #dierenwelzijn", [CRISIS])
case("nl", pub("instagram", "@bobby_forever_", None), "Onze Bobby is overleden na een trimbeurt bij K&K. Ze hebben "
     "hem te lang onder de droogkast laten staan. Wij zijn kapot 💔", [CRISIS, COMPLAINT])
case("nl", pub("x", "@dierennieuws_nl", "DierenNieuws"), "Rechtszaak tegen Knabbel & Kwispel: eigenaren eisen "
     "schadevergoeding na verkeerde medicatie in dierenkliniek Tilburg", [CRISIS])
case("en", pub("threads", "@kibble.nerd", None), "is K&K quietly pulling VitaBrok Adult from the shelves? hearing a "
     "salmonella recall is on the way", [CRISIS])
case("nl", pub("tiktok", "@dierenliefde_anna", None), "Dit is toch een SCHANDAAL?? Puppy's in de K&K winkel zonder "
     "water met deze hitte 🥵 #dierenmishandeling #knabbelkwispel", [CRISIS])
case("nl", pub("x", "@joycevdh", "Joyce"), "Hebben jullie mijn gegevens gelekt @kk_helpt? De naam van mijn hond + "
     "mijn adres staan ineens op een of andere louche site", [CRISIS], kind="reply")
case("nl", pub("x", "@groenedierenpartij_zh", None), "b0yc0t Kn4bbel & Kw1spel! Levende dieren verkopen in 2026 "
     "kan echt niet meer", [CRISIS], tags=["evasion"])
case("en", pub("linkedin", "animal-welfare-watch", "Animal Welfare Watch"), "Today we filed a lawsuit against "
     "Knabbel & Kwispel's clinic division over systematic overtreatment of insured pets.", [CRISIS])
case("nl", pub("reddit", "u/husky_hanna", None), "PootFit tracker werd zo heet dat mijn hond een brandwond in haar "
     "nek heeft. Foto in de comments. Ik ben zo boos", [CRISIS, COMPLAINT])
case("nl", pub("x", "@rotterdamsnieuws", None), "Video gaat rond van medewerker K&K Rotterdam-Zuid die een hond "
     "schopt. Winkel zegt 'intern onderzoek'", [CRISIS])
case("nl", pub("facebook", "Ruud Meijer"), "Dierenbeulen!!! Die hele K&K tent moet dicht, stelletje klootzakken",
     [CRISIS, ABUSE], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@ilse_met_2_honden", None), "@kk_helpt mijn voerabonnement is alweer niet geleverd. derde keer "
     "deze maand. mijn hond eet nu boterhammen met kaas 🙄", [COMPLAINT], kind="reply")
case("en", pub("facebook", "Karen O'Neill"), "Appointment at the K&K clinic cancelled 20 minutes before, after I took "
     "the morning off work. No apology, no new slot. Not impressed.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "kattenforum_gebruiker88", None), "Kwispelclub app: al mijn punten (2.400!) zijn weg na de "
     "update en de helpdesk reageert al een week niet", [COMPLAINT])
case("en", pub("reddit", "u/grumpy_greyhound", None), "got charged €180 for a dental clean at the K&K vet that was "
     "quoted at €95. asked why, they just shrugged", [COMPLAINT], kind="comment")
case("nl", pub("x", "@fleur_kat", None), "waarom krijg ik kattenvoer in mijn hondenabbo?? en het retourneren kost "
     "mij ook nog geld @knabbelkwispel", [COMPLAINT])
case("nl", pub("instagram", "@poedel.pip", None), "De trimster heeft mijn poedel helemaal kaal geschoren terwijl ik "
     "om een licht modelletje vroeg 😭 en dan nog €65 betalen ook", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "tessa-j.bsky.social", None), "waited 45 min on the K&K customer service line and then "
     "got disconnected. twice. today.", [COMPLAINT])
case("nl", pub("youtube", "Martijn de Bruin", None), "Mijn krabpaal kwam kapot binnen en ik moet hem zelf naar "
     "het PostNL-punt brengen om te retourneren? Service bij Knabbel en Kwispel is ver te zoeken", [COMPLAINT],
     kind="comment")
case("en", pub("threads", "@luna_and_me", None), "the pet insurance they push at the K&K checkout refused my claim "
     "for Luna's knee surgery. never again", [COMPLAINT])
case("nl", pub("trustpilot", "Wendy B.", None), "Kn4bbel & Kw1spel bezorgt alweer te laat, 4 dagen wachten op "
     "kattenbakkorrels. 1 ster.", [COMPLAINT], tags=["evasion", "unknown-platform"])
case("nl", pub("facebook", "Gert-Jan Post"), "Wat een kutbedrijf. Drie keer gebeld over mijn verkeerd afgeschreven "
     "abonnement en niemand doet iets. Stelletje prutsers", [COMPLAINT, ABUSE], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@jurre_1988", None), "@kk_helpt jullie zijn echt stuk voor stuk debielen", [ABUSE], kind="reply")
case("en", pub("x", "@angrypetowner22", None), "@merel_dierenarts you're a useless b*tch, hope you lose your license",
     [ABUSE], kind="reply", tags=["evasion"])
case("nl", NOOR, "klant van net noemde me een dom wijf omdat de kattenbak niet op voorraad was. nou meneer, jij "
     "bent zelf een vieze kankerlijer", [ABUSE])
case("nl", KK_HELP, "@jurre_1988 doe eens normaal man, zeur niet zo, achterlijke", [ABUSE], kind="reply",
     tags=["corporate"])
case("en", pub("tiktok", "@truthbomb_rick", None), "K&K only hires foreigners who can't even speak Dutch. go back to "
     "your own country", [ABUSE])
case("nl", pub("instagram", "@xx_daan_xx", None), "t3ringz00i, ga toch k4nker3n met je dure voer", [ABUSE],
     kind="comment", tags=["evasion"])
case("en", BAS, "to the lady who screamed at our drivers today: you are a pathetic piece of sh*t, stay home",
     [ABUSE])
case("en", pub("reddit", "u/nope_nl", None), "the people who own that Kn\u0430bbel chain are greedy scumbags, "
     "all of them", [ABUSE], kind="comment", tags=["evasion"])
case("nl", pub("x", "@ronnie_ams", None), "die teef achter de kassa bij K&K Amersfoort moet ontslagen worden", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
def benign(lang, acct, text, tags, **kw):
    case(lang, acct, text, [], tags=tags, **kw)


benign("nl", KK_HELP, "Vragen over je voerabonnement? Bel ons op 088 522 4400 of mail naar "
       "klantenservice@knabbelkwispel.nl 🐾 We helpen je graag!", ["own-contact"])
benign("nl", KK_FB, "Liever zelf overmaken? Dat kan naar NL26 INGB 0007 7153 20 t.n.v. Knabbel & Kwispel Groep B.V., "
       "onder vermelding van je ordernummer.", ["own-contact"])
benign("nl", KK_VET, "Spoed buiten openingstijden? Onze spoedlijn +31 85 303 9911 is dag en nacht bereikbaar 🚑🐶",
       ["own-contact"])
benign("nl", pub("x", "@journalist_ellen", None), "Klopt het dat persvragen voor Knabbel & Kwispel via "
       "pers@knabbelkwispel.nl lopen? Wil graag een reactie op het nieuwe klinieken-nieuws", ["own-contact"])
benign("nl", KK_IG, "Gratis bellen met onze voedingsadviseurs? 0800-3344, elke werkdag van 9 tot 17 🐕🐈",
       ["own-contact"])
benign("en", pub("x", "@expat_with_cat", None), "just called 088-5224400 about my cat's food subscription and "
       "got sorted in 3 minutes. well done @kk_helpt", ["own-contact", "praise"])
benign("en", DAAN, "We're hiring backend developers for our webshop team 🐾 Apply via werkenbij@knabbelkwispel.nl "
       "or have a look at knabbelkwispel.nl/vacatures", ["own-contact"])
benign("en", KK_LI, "Paying an invoice from abroad? Our account is NL26INGB0007715320 (BIC INGBNL2A). Please quote "
       "the invoice number.", ["own-contact"])
benign("nl", pub("facebook", "Tineke Bos"), "Is dit het goede rekeningnummer van K&K? <<BADIBAN_NL:grp>> stond in "
       "een mail, wil niet naar de verkeerde storten", ["bad-checksum"], kind="comment")
benign("nl", pub("x", "@kwispelfan", None), "Mijn nieuwe Kwispelclub pasje is binnen! Nummer <<LOYALTY_BAD>>, "
       "nu nog punten sparen 😄", ["bad-checksum", "loyalty-number"])
benign("nl", pub("instagram", "@snel.geleverd", None), "Bestelling <<NOT_BSN>> al binnen, de dag na bestellen! "
       "Knabbel & Kwispel 👍", ["bad-checksum", "order-number"])
benign("nl", pub("facebook", "Dierenambulance Gelderse Vallei"), "Gevonden hond is naar de K&K kliniek in Ede "
       "gebracht, chip gescand (<<CHIP_BAD>>), de eigenaar is gebeld en onderweg ❤️", ["chip-number"])
benign("en", pub("forum", "aquarium_arjen", None), "Does anyone know if EAN <<EAN>> is the Aquaflow 120 with or "
       "without the LED lid? the K&K site isn't clear", ["ean"])
benign("nl", pub("x", "@wachtopdepost", None), "Track & trace <<TRACK>>: doos kattenvoer van K&K komt morgen "
       "tussen 10 en 12, precies zoals beloofd", ["tracking"])
benign("nl", KK_IG, "BLACK FRIDAY 🖤 PootFit GPS-tracker van €129 voor €59! Alleen dit weekend, zolang de "
       "voorraad strekt.", ["sale-price"])
benign("nl", pub("x", "@sara_en_sjors", None), "Met de Kwispelclub-app kreeg ik €20 korting op de Krabpaal "
       "Deluxe XL, katten zijn blij", ["price-context", "discount-amount"])
benign("nl", KK_FB, "Nieuw: de Aquaflow 120 aquarium set in 12 maandtermijnen van €29,08, zonder rente 🐠",
       ["price-context", "installment"])
benign("nl", pub("other", "marktplaats_zwolle", None), "Te koop: Aquaflow 120 aquarium, 2 jaar oud, paar krasjes. "
       "€60, ophalen in Zwolle", ["price-context", "second-hand", "unknown-platform"])
benign("nl", pub("forum", "kattenforum_joost", None), "De krabpaal van Dierenparadijs kost €39,99, die van K&K "
       "(Krabpaal Deluxe XL) is steviger maar wel een stuk duurder", ["price-context", "other-company"])
benign("nl", KK_HELP, "@bramvdb Nee hoor, geen prijsfout! De Knus hondenmand L is deze week echt €59,95 in de "
       "actie 😊", ["price-denied"], kind="reply")
benign("nl", pub("x", "@opa_en_flip", None), "€3,95 bezorgkosten op een zak VitaBrok Adult, prima te doen toch",
       ["price-context", "fee"])
benign("nl", pub("instagram", "@dikke.dex", None), "Knus hondenmand in de uitverkoop gescoord voor €39,95 🙌 "
       "Dex wil er niet meer uit", ["sale-price", "near-ratio"])
benign("nl", KK_X, "Vanaf vandaag in alle winkels: VitaBrok Sensitive Senior 🐾 voor oudere honden met een "
       "gevoelige maag", ["embargo-after"], when="2026-09-15T10:00:00+02:00")
benign("en", pub("x", "@twocats_oneflat", None), "tried KwispelZorg Compleet for both cats, price is decent and "
       "the claim app is easy", ["embargo-after"], when="2026-10-02T19:12:44+02:00")
benign("nl", KK_TT, "Eindelijk mogen we het zeggen: KwispelZorg Compleet is er! 🎉", ["embargo-after"],
       when="2026-09-15T08:00:00Z")
benign("nl", pub("instagram", "@weekendjeuit", None), "Zondag naar de otters in Ouwehands gekeken en daarna "
       "nieuw speelgoed gehaald bij K&K 🦦🐶", ["animal-word"])
benign("nl", pub("x", "@vogelaar_frits", None), "Honderden kraanvogels boven het Fochteloërveen vanochtend! "
       "Hond was helemaal van slag, gelukkig had ik brokjes van de Knabbel bij me", ["animal-word"])
benign("nl", KK_LI, "Vandaag publiceren wij onze jaarcijfers 2025: omzet €412 mln (+6%), 11 nieuwe klinieken. "
       "Lees het persbericht op knabbelkwispel.nl/investeerders", ["published-results"])
benign("nl", pub("x", "@retailwatcher", None), "Dierenparadijs sluit 30 winkels en ontslaat 200 mensen. "
       "Benieuwd hoe K&K en de rest van de sector dit oppakken", ["other-company"])
benign("en", pub("reddit", "u/privacy_paula", None), "data breach at some UK pet insurer today, thankfully my "
       "cats are insured through a different company via K&K", ["other-company"])
benign("en", pub("instagram", "@rescue.rosie", None), "Day 12 of recall training with our rescue and she finally "
       "comes back every time, bribed with K&K liver treats 🙌 #recalltraining", ["recall-other-sense"])
benign("nl", pub("x", "@huisvanmoos", None), "Moos boycot het nieuwe natvoer volledig 😂 ligt er demonstratief "
       "naast. Hond vindt het prima, die eet het wel op", ["boycott-other-sense", "joke"])
benign("nl", pub("facebook", "Annelies Smit"), "Geen klachten over de bezorging van ons voerabonnement hoor, "
       "elke maand netjes op tijd bij Knabbel & Kwispel", ["negated-complaint"], kind="comment")
benign("nl", pub("facebook", "Familie Kok"), "Onze Max had kanker in zijn milt. Dankzij de dierenartsen van K&K "
       "Amersfoort hebben we nog een mooie zomer met hem gehad 🌈", ["literal-kanker", "mild-word"])
benign("nl", MEREL, "Keizersnede vannacht bij een Franse bulldog teef, moeder en vier pups maken het goed ❤️ "
       "#dierenarts #nachtdienst", ["literal-teef"])
benign("en", pub("x", "@pupdate", None), "damn, that new K&K grooming salon in Delft looks good. Booked Frodo in "
       "for next week", ["mild-word"])
benign("nl", pub("blog", "kinderboekenvankaat", None), "In mijn nieuwe prentenboek woont een otter in een "
       "dierenwinkel en 's nachts eet hij stiekem alle brokjes op. Geïnspireerd door de K&K om de hoek!",
       ["fiction", "animal-word"])
benign("nl", pub("x", "@grappigehond", None), "Mijn hond heeft meer volgers dan ik én krijgt meer korting bij "
       "Knabbel & Kwispel. Waar gaat het mis in mijn leven", ["joke"])
benign("nl", pub("x", "@overstapper", None), "Bij Dierenparadijs weer 2 uur gewacht voor een vaccinatie, "
       "volgende keer ga ik gewoon naar K&K", ["other-company"])
benign("nl", pub("google_reviews", "Irma V.", None), "Top kliniek in Zwolle, heel lief voor onze angstige kat",
       ["praise", "unknown-platform"])
benign("nl", pub("facebook", "Bianca Hendriks"), "Hebben jullie ook graanvrij voer voor konijnen? Kan het niet "
       "vinden in de webshop", ["question"], kind="comment")
benign("nl", KK_HELP, "Gepland onderhoud: de Kwispelclub-app is vannacht van 01:00 tot 03:00 niet bereikbaar. "
       "Excuses voor het ongemak!", ["official-notice"])
benign("nl", KK_LI, "Update storing vorige week: alle systemen werken weer en uit onderzoek blijkt dat er geen "
       "klantgegevens zijn ingezien. Meer op knabbelkwispel.nl/update", ["official-notice"])
benign("nl", DAAN, "Deploy van commit <<SHA>> ging vandaag zonder één rollback de deur uit 🚀 dank aan de "
       "QA-collega's", ["git-sha"])
benign("en", RIK, "PSA for juniors: never commit anything that starts with ghp_ or AKIA, put it in the secrets "
       "manager. ask me how I know", ["bare-prefix"], kind="comment")
benign("nl", THIJS, "onze docs zeggen nu netjes AWS_SECRET_ACCESS_KEY=<jouw-key-hier> in plaats van een echte key. "
       "kleine overwinningen", ["placeholder"])
benign("nl", KK_VET, "Afspraak voor de jaarlijkse vaccinatie? Plan hem online via afspraak.knabbelkwispel.nl 💉",
       ["public-domain"])
benign("nl", NOOR, "5 jaar bij K&K vandaag 🥳 van vakkenvuller naar assistent-filiaalmanager, dank aan al mijn "
       "collega's in Groningen", ["employee-benign"])
benign("nl", pub("instagram", "@sphinx.sien", None), "Mijn kat is een wandelend datalek, ze vertelt iedereen "
       "waar de K&K snoepjes liggen 😹", ["joke", "breach-word"])
benign("en", pub("x", "@gron_dogwalker", None), "\"worst service ever\" said nobody about the K&K store in "
       "Groningen 😄 they even remembered my dog's name", ["quote", "praise"])
benign("nl", pub("x", "@pettipsnl", None), "Life hack: bevries een handje VitaBrok brokjes in een ijsblokjesvorm, "
       "perfecte zomersnack 🧊🐕", ["hack-word"])
benign("nl", pub("facebook", "Dierenwinkel Nieuws"), "Terugroepactie voor kattensnoepjes van een Duits merk. "
       "K&K laat weten dat hun eigen merken er niet onder vallen.", ["recall-other-brand"])
benign("en", YARA, "Before and after of this fluffy boy 😍 two hours of brushing but so worth it #grooming "
       "#doodle", ["employee-benign"], handle_as="@Yara.Trimt")
benign("en", pub("x", "@kk_fan_account", None), "honestly the K&K staff in Leiden are the nicest people, "
       "helped me pick a harness for 30 minutes", ["praise", "lookalike-handle"])
benign("nl", MEREL, "Vandaag 14 kittens gechipt en gevaccineerd, mijn hart 😭🐱 #dierenarts", ["employee-benign"],
       handle_as="@Merel_Dierenarts")
benign("nl", pub("linkedin", "dierenzorg-nieuws", "Dierenzorg Nieuws"), "Sector update: concurrent Dierenparadijs "
       "meldt een datalek bij hun webshop. Knabbel & Kwispel is niet betrokken.", ["other-company"])
benign("en", pub("mastodon", "@katrien@mas.to", None), "anyone know if the Knabbel & Kwispel store in Utrecht "
       "sells live crickets for my gecko?", ["question"])

# a few more English mentions
case("en", pub("facebook", "Hannah Whitfield"), "Ordered the Krabpaal Deluxe XL three weeks ago and it still says "
     "'processing'. Emails to customer service bounce. Seriously, K&K?", [COMPLAINT], kind="comment")
case("en", pub("x", "@oost_buurtapp", None), "Four dogs on our street got sick after the deworming batch the K&K "
     "clinic handed out last week. Vet says it might be contaminated. Is anyone investigating this??", [CRISIS])
benign("en", pub("x", "@newpuppy_amsterdam", None), "does the K&K clinic in Amsterdam-Oost do weekend "
       "appointments? new puppy, first vaccines coming up 🐶", ["question"])
benign("en", KK_IG, "Meet Olive 🐾 our store cat in Leiden. She personally inspects every delivery. #shopcat "
       "#knabbelkwispel", ["corporate-benign"])
benign("en", pub("threads", "@fishkeeping.floor", None), "Aquaflow 120 is on sale for €279 at K&K this week, "
       "worth it as a first tank?", ["sale-price"])
benign("en", pub("linkedin", "marloes-retail-insights", "Marloes | Retail Insights"), "Nice case study on how "
       "Knabbel & Kwispel grew the Kwispelclub app to a million members, straight from their published annual "
       "report.", ["published-results"])
benign("en", DAAN, "Speaking at PyData Amsterdam next week about forecasting pet-food demand with open weather "
       "data 🐶📈 slides and code will be public afterwards", ["near-financial-word"])
benign("en", pub("x", "@bingewatcher_nl", None), "that scene in the new Dutch crime series where the villain "
       "hides the stolen diamonds in a bag of K&K cat litter 😂😂", ["fiction"])
benign("en", pub("bluesky", "biscuit-the-cavoodle.bsky.social", None), "no complaints at all about the K&K "
       "grooming salon, Biscuit came back looking like a little cloud ☁️", ["negated-complaint"])

# ===========================================================================
# profile, role and severity (CONTRACT section 4)
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


def severity_for(role, cats, validated_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_id)) else "error"
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


# ===========================================================================
# building posts
# ===========================================================================

def local_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                       tzinfo=dt.timezone.utc) else 1


def a_time(r):
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355),
                                                                         minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                         seconds=r.randint(0, 59))
    off = local_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@").replace(" ", "").lower()
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        s = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{s}/_/{c}/"
        return f"t3_{s}", f"https://www.reddit.com/r/Netherlands/comments/{s}/"
    if platform == "threads":
        return f"threads-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64U) for _ in range(11))}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"mastodon-{m}", f"https://{inst or 'mastodon.social'}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "tiktok":
        return f"tiktok-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-dierenpraat-{m}", f"https://forum.dierenpraat.example/topic/{m}"
    if platform == "blog":
        m = r.randint(10, 400)
        return f"blog-{h}-{m}", f"https://{h}.blog.example/{m}"
    m = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{m}", None


def build(profile):
    vals = Values(SEED)
    mr = random.Random(SEED + 1)
    sr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or a_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "knabbelkwispel"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, role=role,
                         lang=c["lang"], tags=c["tags"], used=used))
    sr.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# validation
# ===========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(t):
    t = unicodedata.normalize("NFKC", t).replace(ZWSP, "")
    return re.sub(r"\s+", " ", t).casefold()


AMOUNT = re.compile(r"(?:€\s?)(\d[\d.,]*\d|\d)")


def amount(s):
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def validate(rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio_lim = profile["pricing"]["alert_below_ratio"]
    assert profile["public_identifiers"]["ibans"] == [OWN_IBAN] and mod97_ok(OWN_IBAN)
    for r in rows:
        p, ex = r["post"], r["expect"]
        t = p["text"]
        w = p["id"]
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: bad time")
        if parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
        for kind, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not mod97_ok(raw):
                errs.append(f"{w}: invalid IBAN in positive")
            if kind.startswith("BADIBAN_") and mod97_ok(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not luhn(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind in ("LOYALTY_BAD", "CHIP_BAD", "EAN", "NOT_BSN") and luhn(raw):
                errs.append(f"{w}: near-miss passes Luhn")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails 11-proof")
            if kind in ("NOT_BSN",) and elfproef(raw):
                errs.append(f"{w}: near-miss passes 11-proof")
            if kind == "EAN" and not ean_ok(raw):
                errs.append(f"{w}: EAN checksum")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
            if kind in VALIDATED and PII not in cats:
                errs.append(f"{w}: validated id without leak.pii")
            if not cats and kind in VALIDATED:
                errs.append(f"{w}: benign with a valid identifier")
        nt = norm(t)
        ts = parse_ts(p["created_at"])
        for term, until in emb:
            if term in nt and ts < until and CONF not in cats:
                errs.append(f"{w}: embargo term {term!r} before embargo, not labelled")
            if term in nt and ts >= until and CONF in cats:
                errs.append(f"{w}: embargo term {term!r} after embargo but labelled")
        for term in internal:
            if re.search(r"(?<![\w.-])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} unlabelled")
        if not cats:
            for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                cmp_ = m.group(0).replace(" ", "")
                if mod97_ok(cmp_) and cmp_ != OWN_IBAN:
                    errs.append(f"{w}: benign with a valid IBAN")
            for m in re.finditer(r"\d(?:[ -]?\d){12,18}", t):
                if luhn(m.group(0)):
                    errs.append(f"{w}: benign with a Luhn-valid number")
            for m in re.finditer(r"(?<![\d.])\d{8,9}(?!\d)", t):
                if elfproef(m.group(0)):
                    errs.append(f"{w}: benign with an 11-proof number {m.group(0)}")
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if mentioned:
                lp = min(pr["list_price"] for pr in mentioned)
                low = [a for a in (amount(m.group(1)) for m in AMOUNT.finditer(t)) if a / lp < ratio_lim]
                if low and "price-context" not in r["tags"]:
                    errs.append(f"{w}: benign with product price below ratio {low}")
        if PRICING in cats:
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if not mentioned:
                errs.append(f"{w}: pricing leak names no catalogue product")
    return errs


def report(rows):
    cat_c, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    cl = Counter()
    multi = evas = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        for c in cats or ["(benign)"]:
            cat_c[c] += 1
            cl[(c, r["lang"])] += 1
        multi += len(cats) > 1
        evas += "evasion" in r["tags"]
    print(f"cases {len(rows)}  benign {cat_c['(benign)']}  multi-category {multi}  evasion {evas}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {cat_c[c]:4d}   nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severities", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    errs = validate(rows, profile)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        if errs:
            print("\n".join(errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
