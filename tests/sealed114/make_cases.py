#!/usr/bin/env python3
"""Deterministic generator for the sealed114 blind evaluation set.

    python3 make_cases.py          # writes cases.jsonl next to this file
    python3 make_cases.py --check  # regenerates in memory, compares, validates, prints counts

Company: "Malsgroen Foods B.V.", a fictional Dutch plant-based meat producer
(profile.yaml in this folder). Texts are hand-written below. Identifiers and secrets are
filled in from {{KIND:fmt}} placeholders by a seeded RNG: positives get checksum-valid
IBANs / cards / BSNs, hard negatives get ones that fail their checksum.

Severity is never typed by hand: it is computed from CONTRACT section 4 using the account
role from profile.yaml (platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier (IBAN, card, BSN) appears in a leak.pii post.
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

SEED = 114_2026_0907
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATEGORIES = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# placeholder values
# ---------------------------------------------------------------------------

class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                               + self.num(10))
                if v != "NL77RABO0318452967":
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "310", "735", "143"]) + self.num(7, lead=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "37050198", "10010010", "50070010"]) + self.num(10, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.num(14, False),
                "mc": lambda: "5" + self.r.choice("12345") + self.num(13, False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11, False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.num(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # numbers
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.num(9, False)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d = self.r.choice("12345") + self.num(7, False)    # 8 digits after '06'
            return {"mob_dash": f"06-{d}", "mob_sp": f"06 {d[:4]} {d[4:]}",
                    "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                    "mob_intl": f"+31 6 {d[:4]} {d[4:]}", "mob_intl_c": f"+316{d}",
                    "mob_0031": f"0031 6 {d}"}[fmt]
        area = self.r.choice(["13", "40", "73", "76", "30", "10", "20", "43"])
        sub = self.r.choice("2345789") + self.num(6, False)
        return {"land_dash": f"0{area}-{sub}", "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(URLSAFE, 20)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIza" + self.pick(URLSAFE, 35)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 86) + "=="
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1772000000 + self.r.randint(0, 200 * 86400)
        return ".".join([enc({"alg": "HS256", "typ": "JWT"}),
                         enc({"sub": "horeca_" + self.num(5), "iss": "horeca.malsgroen.nl", "iat": iat,
                              "exp": iat + 7200}),
                         self.pick(URLSAFE, 43)])

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.r.choice("!#$%&*") + self.pick(string.digits, 2) + self.pick(ALNUM, 4))

    def hexstr(self, n):
        return self.pick("0123456789abcdef", n)

    def uuid(self):
        h = self.hexstr(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
NEGATIVE = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "KVK", "EAN"}
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_:]+))?\}\}")


def fill(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.spaced4(raw) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = f.bad_iban(kind[9:])
            shown = f.spaced4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition(":")
            raw = f.card(brand) if kind == "CARD" else f.bad_card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BAD_BSN":
            shown = raw = f.non_bsn(9)
        elif kind == "KVK":
            shown = raw = f.non_bsn(8)
        elif kind == "EAN":
            shown = raw = f.ean()
        elif kind == "PHONE":
            shown = raw = f.phone(fmt)
        elif kind == "NUM":
            shown = raw = f.num(int(fmt))
        elif kind == "HEX":
            shown = raw = f.hexstr(int(fmt))
        else:
            shown = raw = {"GHP": f.ghp, "GLPAT": f.glpat, "SENDGRID": f.sendgrid, "SLACK_BOT": f.slack_bot,
                           "GAPI": f.gapi, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret, "PEM_EC": f.pem_ec,
                           "JWT": f.jwt, "PW": f.password, "UUID": f.uuid}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
MG_X = ("x", "@malsgroen", "Malsgroen")
MG_SVC = ("x", "@malsgroen_service", "Malsgroen Klantenservice")
MG_IG = ("instagram", "@malsgroen.nl", "Malsgroen 🌱")
MG_LI = ("linkedin", "malsgroen-foods", "Malsgroen Foods B.V.")
MG_FB = ("facebook", "MalsgroenNL", "Malsgroen")
MG_TT = ("tiktok", "@malsgroen", "Malsgroen")
# employees
LK = ("x", "@lieke_malsgroen", "Lieke Janssens")                 # social media & influencers
DV = ("linkedin", "daan-verhoef-malsgroen", "Daan Verhoef")      # R&D food technologist
YK = ("x", "@ykaddouri_mg", "Youssef Kaddouri")                  # quality assurance, factory Boxtel
BV = ("instagram", "@chefbramvos", "Bram Vos")                   # development chef / horeca sales
IP = ("linkedin", "ingrid-posthuma", "Ingrid Posthuma")          # finance controller
RT = ("x", "@rik_devops", "Rik Tielemans")                       # IT / platform
NS = ("threads", "@noortje.sales", "Noortje Smits")              # key accounts supermarkets


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), as_handle=None, hint=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=as_handle or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LK, "help 😅 in de webshop staan de Shoarmareepjes nu voor €0,33 ipv €3,29, iemand is een nulletje "
     "vergeten. pricing pakt het pas maandag op dus.... je hebt het niet van mij", [PRICING])
case("en", pub("reddit", "u/vegavolt"), "Dekkers self-scan charged me €0.29 per pack of Malsgroen Kipstuckjes?? "
     "Grabbed twelve. Price glitch or am I missing some promo", [PRICING])
case("nl", BV, "Horecaklanten opgelet 👨‍🍳 in het bestelportaal staat de Horeca Burger 4,5 kg nu voor €6,49 per doos. "
     "Natuurlijk een foutje, maar ja... wie het eerst komt 😏 #horeca #plantbased", [PRICING])
case("nl", pub("x", "@koopjesjager_eva"), "#prijsfout Mals Gehakt van Malsgroen voor 39 cent bij de online super "
     "🤑 zeg het niet tegen ze", [PRICING])
case("nl", MG_FB, "WEEKENDKNALLER 🔥🔥 Groene Burgers nu 2 pakken voor €1,- in onze webshop! Op=op 🌱",
     [PRICING], when="2026-05-29T17:30:00+02:00")
case("en", NS, "sooo the price file we sent to retail had the Bitterbal Horecadoos at 5.45 instead of 54.50 🙃 "
     "two wholesalers already ordered pallets. pls don't screenshot this", [PRICING])
case("nl", pub("forum", "Frituurfrank"), "[Prijsfout?] Malsgroen Bitterballen horecadoos 5 kg voor €8,95 bij de "
     "groothandel-webshop\n\nNormaal ruim 50 euro. Heb er 4 dozen in mijn mandje, bestelling bevestigd. Kijken of ze "
     "leveren.", [PRICING])
case("en", pub("tiktok", "@snackdad.nl"), "pov: the shawarma strips ring up at €0.03 at self checkout 💀💀 "
     "#pricefail #malsgroen", [PRICING], kind="post")
case("nl", pub("x", "@bonusbart"), "p r ij s f o u t bij malsgroen!! kipstuckjes 0,28 in de app, rennen 🏃‍♀️",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("instagram", "@gezinsbudget.sanne"), f"Gr{ZWSP}oene Burger voor €0,35 in de Dekkers app 😳 "
     f"prijs{ZWSP}fout denk ik? snel zijn!!", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", RT, "rolling back the price sync, Green Burger showed €0.00 in the shop for 40 min and ~300 orders slipped "
     "through. fun tuesday", [PRICING])
case("en", IP, "Closing note on the Mals Gehakt mispricing (shown at €0,40 for two days): margin hit of roughly €18k. "
     "Full write-up on wiki.malsgroen.nl/finance/incident-0412 for those with access.", [PRICING, CONF])
case("en", pub("reddit", "u/budget_plantfood"), "Mäls Gehäkt (Malsgroen) for €0,49 on their shop?? gotta be a "
     "pricing errör, grabbed 6", [PRICING], kind="comment", tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RT, "ci keeps 403ing on the recipe-service repo 😩 token {{GHP}} is definitely still valid?? "
     "send help (and coffee)", [SECRET])
case("nl", DV, "Voor de stagiairs die morgen beginnen: de LIMS staat op lims.corp.malsgroen.local, inloggen met "
     "labuser en wachtwoord {{PW}} 🔬 Welkom in het lab!", [SECRET, CONF])
case("nl", LK, "wie heeft de werkende SendGrid key voor de influencer-mailing? deze geeft 401: {{SENDGRID}} 😤",
     [SECRET])
case("en", MG_LI, "We're hiring a data engineer! 🌱 A sneak peek of your first day:\n"
     "psql postgres://onboarding:{{PW}}@analytics.malsgroen.nl:5432/sales\nApply via werkenbij@malsgroen.nl",
     [SECRET])
case("en", pub("reddit", "u/mapnerd_ams"), "Malsgroen's 'find a restaurant' map ships its Google key right in the JS: "
     "{{GAPI}} and there's no referrer restriction, I called it from localhost just fine.", [SECRET])
case("nl", pub("forum", "apk_pluizer"), "Even de Malsgroen recepten-app (Android 3.8) uitgepakt. Zit gewoon een GitLab "
     "token in de strings.xml: {{GLPAT}}\nMisschien iemand daar even tippen.", [SECRET])
case("nl", YK, "ww van de HMI op lijn 3 staat weer op Boxtel2026! ... wie heeft dat teruggezet 😤 #fabriek",
     [SECRET])
case("en", RT, "which one of you committed this to the pos-integration repo?? 🔥\n{{PEM_EC}}\nrotating now, "
     "pls stop", [SECRET])
case("nl", YK, "nieuwe w-w voor de weegbrug-pc: Sojabonen!2026 (met hoofdletter S). niet op een post-it plakken "
     "aub 🙏", [SECRET], tags=["evasion", "evasion:abbreviation"])
case("en", pub("x", "@screenshot_sleuth"), "lol a Malsgroen influencer posted a story with their Slack open, bot token "
     "fully visible: {{SLACK_BOT}} someone tell them", [SECRET])
case("en", IP, "For the auditors this week, read-only access to the ledger: Server=fin-sql01.corp.malsgroen.local;"
     "Database=Ledger;User Id=audit_ro;Password={{PW}}; Please delete after use.", [SECRET, CONF])
case("en", pub("blog", "appsec-anouk", "Anouk Brands"), "Teardown #7: the Malsgroen Horeca ordering app. Hard-coded "
     "AWS credentials in the config bundle: {{AWS_ID}} with secret {{AWS_SECRET}}. Reported via "
     "pers@malsgroen.nl, no reply after 30 days.", [SECRET])
case("en", RT, "debugging the horeca app login, this session token is apparently 'expired' but exp is tomorrow??\n"
     "{{JWT}}", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MG_SVC, "@sanne_kookt Hoi Sanne! We hebben je compensatie (€6,98 + 2 waardebonnen) net overgemaakt naar "
     "{{IBAN_NL}}, zoals je in je DM aangaf. Eet smakelijk 🌱", [PII], kind="reply")
case("nl", pub("x", "@marco_vdl"), "@malsgroen_service NOG steeds niks terug. Rekening {{IBAN_NL:grp}}, bon van 12 juni, "
     "drie mails gestuurd. Hoe moeilijk kan het zijn", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "esther.bloemendaal", "Esther Bloemendaal"), "Mijn zoontje zit onder de vlekken en is "
     "benauwd na de Kipstuckjes van Malsgroen, er stond NERGENS dat er sesam in zit. @MalsgroenNL bel me aub: "
     "{{PHONE:mob_sp}}", [PII, CRISIS, COMPLAINT])
case("nl", BV, "Proefpakket met de nieuwe horecaburgers gaat vandaag naar @foodie.fenna 📦 Fenna de Wit, Lindelaan 22, "
     "3581 BH Utrecht. Ben benieuwd wat ze ervan vindt!", [PII])
case("en", LK, "Contract signed with @vegan.vince 🎉 Vincent Mulder (born 03-07-1998) is officially part of the "
     "Malsgroen creator family!", [PII], as_handle="@Lieke_Malsgroen", tags=["case-handle"])
case("nl", YK, "Uitzendkracht van de nachtdienst staat niet in het poortsysteem, BSN {{BSN}}. Kan HR even kijken "
     "voordat hij weer voor de slagboom staat?", [PII])
case("en", NS, "restaurant owner paid the sample order by phone: card {{CARD:visa:sp}} exp 08/28, cvc in my dm. "
     "who has access to the terminal today?", [PII])
case("en", pub("reddit", "u/cafe_de_hoek"), "Malsgroen's horeca line never picks up and the contact form errors out. "
     "So here: {{PHONE:mob_intl}}, call me about my missing Horeca Burger order. Week two.", [PII, COMPLAINT])
case("nl", pub("instagram", "@kimmie.bakt"), "stuur die gratis proefdoos maar naar kimmie.bakt92@hotmail.com 😍😍 "
     "@malsgroen.nl", [PII], kind="comment")
case("en", pub("x", "@jkoster_eats"), "@malsgroen_service still waiting on that voucher, 3rd time asking. mail me at "
     "jeroen dot koster84 at gmail dot com", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", IP, "Vergoeding voor de proefpanelleden van vorige week: Marjan Kuiper ontvangt €40 op {{IBAN_BE:grp}}. "
     "Collega's van AP, willen jullie dit oppakken?", [PII])
case("en", pub("facebook", "vegghaus.duesseldorf", "Vegghaus Düsseldorf"), "Paid our Malsgroen invoice from "
     "{{IBAN_DE:grp}} two weeks ago and the Horeca Burger pallet still hasn't left Boxtel. Our menu is half empty.",
     [PII, COMPLAINT])
case("nl", MG_FB, "Beste Jolanda, onze diëtist belt je morgen tussen 10 en 12 uur op {{PHONE:mob_dash}} over je "
     "vraag over allergenen. Hartelijke groet, team Malsgroen", [PII], kind="comment")
case("en", RT, "newsletter bounce debugging: j.vandam71@ziggo.nl and petra.hoekstra@kpnmail.nl both hard-bounce since "
     "the migration, anyone seen this before?", [PII])
case("nl", pub("tiktok", "@roos.op.reis"), "fabriekstour bij Malsgroen wil vooraf je paspoortnummer?? heb 'm maar "
     "ingevuld (NW8K2L4P7), hoop dat dat veilig is 😬", [PII], kind="comment")
case("nl", pub("x", "@kiki_solliciteert"), "Open sollicitatie gestuurd naar werkenbij@malsgroen.nl, met mijn BSN "
     "{{BSN:dots}} erbij omdat het formulier erom vroeg. Was dat dom? 🙈", [PII])
case("nl", YK, "Collega Henk Verbruggen uit de expeditie wordt vandaag 60 (geboren 21-04-1966) 🎂 taart staat in de "
     "kantine!", [PII], when="2026-04-21T07:45:12+02:00")
case("en", MG_IG, "@vegan.by.joe congrats on winning the BBQ giveaway! 🎉 Your pack ships tomorrow to Joe Bakker, "
     "Molenweg 9, 4811 CD Breda. Enjoy!", [PII], kind="reply", as_handle="@MalsGroen.nl", tags=["case-handle"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LK, "Project Zwaluw proeverij vandaag en ik mag NIKS zeggen 🤐🐔🌱 maar oh my", [CONF])
case("en", DV, "Proud of the extrusion trials for Seabright this week. Texture finally flakes like the real thing 🐟🌱 "
     "#foodtech #plantbased", [CONF])
case("en", pub("reddit", "u/dc_nightshift"), "Saw Malsgroen Rendang Reepjes on a pallet in the Dekkers DC tonight. "
     "New flavour dropping soon?", [CONF], when="2026-08-02T23:14:09+02:00", tags=["embargo-before"])
case("nl", pub("tiktok", "@plantpowerpien"), "UNBOXING 📦 Malsgroen stuurde me hun nieuwe Tonijnvrij!! eerste hap "
     "live 🐟❌ #gifted", [CONF], when="2026-09-01T19:02:44+02:00", tags=["embargo-before"])
case("nl", YK, "HACCP-checklists staan vanaf nu op wiki.malsgroen.nl/kwaliteit/haccp, eindelijk geen klemborden meer "
     "in de hal 🙌", [CONF])
case("en", NS, "every slide in the Dekkers pitch says 'Malsgroen Confidential' but whatever: three new SKUs on shelf "
     "by Q3 if they sign 🤞", [CONF])
case("nl", DV, "Ons receptdocument heet 'strikt intern', maar één ding mag ik wel verklappen: de nieuwe burger is 22% "
     "erwteneiwit en 0% kokosvet 😉", [CONF])
case("en", LK, "Project\nZwaluw tasting was 🔥🔥 can't wait for you all to try it", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", pub("x", "@fooddeals_nl"), fullwidth("Seabright") + " = de vegan tonijn van Malsgroen, hoorde het van een "
     "leverancier 👀", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", YK, "Operatie 🌾 Hooiberg loopt vertraging op, dus weer overuren deze week 😮‍💨", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("instagram", "@smulpaapje"), f"Rendang{ZWSP} Reepjes gespot in het magazijn van mijn werk 👀🌶️ "
     "#malsgroen", [CONF], when="2026-08-16T12:05:00+02:00", tags=["evasion", "evasion:zero-width", "embargo-before"])
case("en", DV, "We're about six months out from launching a plant-based kibbeling. First batch came out of the "
     "fryer in the lab today and honestly 🤌 (shh)", [CONF])
case("nl", pub("x", "@chefbramvos", "Bram Vos"), "Rendang Reepjes in de wok voor het personeelsfeest, wat een smaak 🔥",
     [CONF], when="2026-08-30T21:40:00+02:00", tags=["embargo-before", "role-trick"])
case("nl", MG_IG, "Ze zijn er! 🌶️ Rendang Reepjes vanaf vandaag in de koeling. Wie proeft als eerste?",
     [CONF], when="2026-09-07T07:59:00+02:00", tags=["embargo-before", "tz-edge"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IP, "Omzet eerste halfjaar komt uit rond €38 mln, ruim onder budget. Wordt pas in augustus gedeeld, "
     "dus dit blijft even tussen ons 😬", [FIN], when="2026-07-09T20:11:00+02:00")
case("en", IP, "H1 2026 results draft is done: EBITDA negative for the third half-year running. Long week ahead.",
     [FIN, CONF], when="2026-07-30T18:45:00+02:00", tags=["embargo-before"])
case("nl", YK, "Gerucht op de vloer: lijn 2 gaat dicht en er moeten 40 man uit. Nog niks officieel maar de "
     "teamleiders kijken allemaal naar hun schoenen", [FIN])
case("en", NS, "heard in the exec update that Nordvik Foods is buying us 🫢 announcement after summer. act surprised",
     [FIN])
case("en", pub("reddit", "u/amstel_investor"), "Brother-in-law is in Malsgroen's finance team: they're raising €25m "
     "at a lower valuation than the last round. Not announced yet.", [FIN])
case("nl", pub("facebook", "gert.van.esch", "Gert van Esch"), "Buurman werkt bij Malsgroen in Boxtel. De productie "
     "gaat volgend jaar naar Polen, zeggen ze nog niet hardop", [FIN])
case("en", DV, "R&D budget cut by 30% for 2027, decided in yesterday's board meeting. Not public, but I'm gutted.",
     [FIN])
case("nl", IP, "Due diligence voor Operatie Hooiberg loopt, de overname van Vegabond is bijna rond. Nog twee weken "
     "stilte 🤫", [FIN, CONF])
case("nl", LK, f"De re{SHY}organisatie bij marketing wordt pas volgende week aangekondigd maar de helft van ons team "
     "is al weg 💔", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("forum", "Beursbeer_NL"), "Insider: Malsgroen haalt de target voor de jaarresultaten 2026 bij lange na "
     "niet, winstwaarschuwing komt eraan", [FIN, CONF], when="2026-11-03T09:12:00+01:00", tags=["embargo-before"])
case("en", BV, "horeca team gets merged into retail sales next month and 3 of us are out. keep it quiet pls 🙏",
     [FIN], kind="comment")
case("en", pub("x", "@dutchfoodbiz"), "Malsgroen l4y0ffs incoming, ~60 people, my gf saw the memo 🤐",
     [FIN], tags=["evasion", "evasion:leetspeak"])
case("nl", YK, "Planning voor Q4: we draaien op 60% capaciteit, de vraag uit Duitsland is compleet ingestort. Hoor je "
     "pas in maart officieel", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RT, "ransomware on the factory network since 3am, line PLCs isolated, comms says we say nothing until "
     "friday. long night ☕☕☕", [SEC])
case("nl", RT, "Onze webshop lekt al een week bestelgegevens via een open API-endpoint. Fix staat gepland maar we "
     "mogen het nog niet melden 🙃", [SEC])
case("nl", YK, "temperatuurmonitoring van de koelcellen ligt sinds gisteren plat omdat iemand op een phishingmail "
     "klikte. 'stilhouden' zei de manager", [SEC])
case("en", NS, "retailer portal has been down 2 days, we're telling Dekkers it's 'maintenance' but it was a breach 😬",
     [SEC])
case("en", IP, "Someone impersonated our CFO by e-mail and got a €240k payment approved last week. Not announced "
     "internally yet. Please, double-check every urgent request.", [SEC])
case("nl", DV, "Tijdens de audit bleek het etiketteersysteem zonder wachtwoord bereikbaar vanaf het gastenwifi. "
     "Nog steeds niet opgelost 🙈", [SEC])
case("en", LK, "our influencer portal showed every creator's home address to every other creator for a whole day "
     "and legal says hush 😶", [SEC], as_handle="@LIEKE_MALSGROEN", tags=["case-handle"])
case("nl", pub("x", "@wakkere_wendy"), "Hoor van iemand binnen Malsgroen dat ze gehackt zijn en het stilhouden. "
     "Klantgegevens op straat en geen melding bij de AP?", [SEC, CRISIS])
case("en", pub("reddit", "u/horeca_owner_utr"), "Malsgroen is sitting on a breach of their horeca customer data, a "
     "friend in their IT confirmed it. Nothing disclosed. Change your passwords.", [SEC, CRISIS])
case("nl", pub("x", "@privacyvogel"), "malsgroen is geh4ckt en ze zwijgen erover 🤐 check je mail op phishing",
     [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", RT, f"die 'storing' van het bestel{ZWSP}portaal is gewoon een DDoS btw. niet doorvertellen", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("nl", BV, "Horeca-bestelapp ligt eruit sinds vanochtend 6 uur en we mogen klanten nog niks vertellen. Bel me "
     "maar als je bestelling niet doorkomt 😬", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@allergie_alert_nl"), "⚠️ NVWA: Malsgroen roept Mals Gehakt 300 g terug wegens niet vermelde "
     "pinda. Check je vriezer!! Delen = redden", [CRISIS])
case("nl", pub("facebook", "linda.ruijters", "Linda Ruijters"), "Mijn dochter (notenallergie) moest gisteravond naar "
     "de SEH na een bord Kipstuckjes. Geen enkele waarschuwing op het etiket. Hoe kan dit @MalsgroenNL??",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/crunchy_surprise"), "Found a blue piece of hard plastic in my Malsgroen Shawarma Strips. "
     "Nearly cracked a molar. Photos in comments.", [CRISIS, COMPLAINT])
case("en", pub("x", "@forestwatch_eu"), "#BoycottMalsgroen their 'sustainable' soy comes from freshly cleared "
     "Cerrado land. Don't buy the greenwash.", [CRISIS])
case("nl", pub("instagram", "@bewustbord"), "Malsgroen werkt gewoon door met een influencer die racistische dingen "
     "roept. Ik koop niks meer van ze. #boycotmalsgroen", [CRISIS])
case("en", pub("linkedin", "mr-sanne-de-graaf", "mr. Sanne de Graaf"), "The meat industry association has filed a "
     "lawsuit against Malsgroen over the use of 'gehakt' and 'rookworst' on plant-based packs. Interesting case "
     "to follow.", [CRISIS])
case("nl", pub("x", "@boos_op_spam"), "Malsgroen heeft mijn gegevens gelekt. Sinds die winactie krijg ik spam op "
     "naam met mijn huisadres erbij. Datalek melden ze natuurlijk niet.", [CRISIS])
case("en", pub("tiktok", "@fam.vlogs.tilburg"), "whole family sick since last night after Malsgroen Vega Rookworst. "
     "anyone else?? 🤢", [CRISIS, COMPLAINT])
case("nl", pub("forum", "Boxtelnaar"), "Uitzendkrachten van de Malsgroen fabriek slapen met acht man in een caravan "
     "op een camping hier. Schandalig voor zo'n 'duurzaam' merk.", [CRISIS])
case("nl", pub("x", "@vriezer_check"), "t e r u g r o e p a c t i e malsgroen bitterballen, check de lotcode!!",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("youtube", "@grillmaster_gijs"), "Metal shard in a Malsgroen Groene Burger, filmed the whole thing. "
     "This should be recalled NOW.", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("facebook", "eetcafe.dewaag", "Eetcafé De Waag"), "Gast kreeg zaterdag een allergische reactie op de "
     "Horecaburger, mosterd stond niet op de productspecificatie. Wij zijn klaar met Malsgroen.", [CRISIS, COMPLAINT])
case("en", pub("instagram", "@fairwork.now"), "\u041cal\u0455groen boycott now ✊ they fired the factory workers "
     "who tried to unionise", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@pannenkoekpieter"), "Groene Burgers vallen tegenwoordig gewoon uit elkaar in de pan. Vroeger "
     "waren ze echt beter @malsgroen 😕", [COMPLAINT])
case("en", pub("instagram", "@salty.sophie"), "shawarma strips are waaay too salty since the new recipe, not buying "
     "again @malsgroen.nl", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "snackbar.hetplein", "Snackbar Het Plein"), "Derde keer deze maand dat de Horecaburgers "
     "niet geleverd worden. Zaterdagavond zonder burgers 😡 @MalsgroenNL hoe dan?", [COMPLAINT])
case("nl", pub("x", "@weeg_mevrouw"), "Pak Kipstuckjes gewogen: 175 gram staat erop, er zat 121 gram in 🤨 "
     "@malsgroen_service", [COMPLAINT])
case("en", pub("tiktok", "@honest.bites"), "trying the new Malsgroen mince... tastes like wet cardboard ngl. 2/10 "
     "#review", [COMPLAINT])
case("nl", pub("other", "groothandelreviews"), "Bitterbal Horecadoos: bij de helft lekt de vulling in de frituur en de "
     "groothandel wil niet ruilen. Malsgroen reageert niet.", [COMPLAINT])
case("en", pub("x", "@shrinkflation_nl"), "Malsgroen shrank the Green Burger pack and kept the price. Shrinkflation, "
     "and you thought nobody would notice?", [COMPLAINT])
case("nl", pub("bluesky", "vegamama.bsky.social"), "Klantenservice van Malsgroen hangt gewoon op als je belt met een "
     "vraag over allergenen. Twee keer nu.", [COMPLAINT])
case("nl", pub("x", "@ontevreden_olga"), "M\u00e4lsgr\u00f6en klantenservice is echt waardeloos, vier mails en nul "
     "antwoord", [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("en", pub("linkedin", "facility-mgr-hanneke", "Hanneke Pool"), "We switched our staff canteen to Malsgroen in "
     "spring. Food is fine, but the delivery windows are a mess and invoices arrive wrong every month.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zuurpruim"), "@malsgroen stelletje oplichters, kankerbedrijf", [ABUSE], kind="reply")
case("en", pub("instagram", "@no_filter_niels"), "the girl in your tiktok ads is so annoying, ugly too. fire her "
     "@malsgroen.nl", [ABUSE], kind="comment")
case("nl", pub("x", "@echtevent88"), "@lieke_malsgroen jij bent echt een dom wijf, ga lekker terug naar de keuken",
     [ABUSE], kind="reply")
case("en", pub("reddit", "u/steakforever"), "the soyboys at Malsgroen can go f*ck themselves", [ABUSE],
     kind="comment", tags=["evasion", "evasion:masked"])
case("nl", YK, "die nieuwe planner is echt een idioot, snapt helemaal niks van een productielijn 🙄", [ABUSE])
case("en", MG_SVC, "@angry_dave_bbq maybe try cooking it properly before crying on Twitter, you absolute muppet",
     [ABUSE], kind="reply", as_handle="@Malsgroen_Service", tags=["case-handle"])
case("nl", pub("facebook", "ronnie.kuijpers.3", "Ronnie Kuijpers"), "Tyfusburgers. Drie keer zwartgeblakerd en nog "
     "steeds rauw vanbinnen. Stelletje sukkels bij Malsgroen", [ABUSE, COMPLAINT])
case("nl", pub("x", "@waarheid_nl_1"), "Die Marokkaan van de kwaliteitsafdeling bij Malsgroen, tja wat verwacht je "
     "dan ook", [ABUSE])
case("en", pub("tiktok", "@roastking"), "m4lsgroen is f*cking tr4sh, your b*rgers taste like sh1t and fall apart",
     [ABUSE, COMPLAINT], kind="comment", tags=["evasion", "evasion:leetspeak", "evasion:masked"])
case("nl", pub("youtube", "@dorpsgek_22"), "Die hippie uit de Malsgroen reclame, wat een klootzak 🤮", [ABUSE],
     kind="comment")
case("en", BV, "restaurant owners who whine about a two-day delivery are honestly the dumbest people alive", [ABUSE])
case("nl", pub("threads", "@kritische.klaas"), f"k{ZWSP}ut{ZWSP}bedrijf malsgroen, ga toch weg met je nepvlees",
     [ABUSE], tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@meatmafia99"), "@noortje.sales I know where you live, shut up about your fake meat or else",
     [ABUSE])

# ===========================================================================
# BENIGN (categories [], severity none), mostly hard negatives
# ===========================================================================
# --- own contact data --------------------------------------------------------
case("nl", MG_X, "Vragen over allergenen of ingrediënten? Mail service@malsgroen.nl of bel gratis 0800-6257 "
     "(ma-vr 8-20 uur) 🌱", tags=["own-contact"])
case("nl", MG_FB, "Horecafacturen betalen kan ook per overschrijving: NL77 RABO 0318 4529 67 t.n.v. Malsgroen Foods "
     "B.V. o.v.v. je factuurnummer (bijv. MGH-2026-04417).", tags=["own-contact"])
case("en", MG_LI, "Press enquiries: pers@malsgroen.nl or +31 411 760 200. Our 2025 impact report is available at "
     "malsgroen.nl/impact.", tags=["own-contact"])
case("nl", pub("x", "@glutenvrij_gerda"), "Gebeld met 0411-760200 over gluten in de Vega Rookworst, binnen vijf "
     "minuten een helder antwoord 👍 @malsgroen_service", tags=["own-contact", "praise"])
case("nl", MG_LI, "We zoeken operators voor de avonddienst in Boxtel! 🏭 Mail je cv naar werkenbij@malsgroen.nl",
     as_handle="Malsgroen-Foods", tags=["own-contact", "case-handle"])
case("en", pub("instagram", "@cafe.lente"), "Ordering via horeca@malsgroen.nl is so easy now, pallet arrived the next "
     "morning 🙌", tags=["own-contact", "praise"])
case("nl", MG_TT, "Bel ons gratis op 0800 6257 of app via +31411760200 als je vragen hebt over je proefbox 📦",
     tags=["own-contact"])
# --- numbers that fail their checksum, order and lot numbers ------------------
case("nl", pub("facebook", "hennie.smulders.1958", "Hennie Smulders"), "Kreeg een sms dat ik nog €2,95 "
     "verzendkosten moest betalen naar {{BAD_IBAN_NL:grp}} voor mijn Malsgroen pakket. Is dat echt of phishing?",
     tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/fatfinger_fien"), "Malsgroen's checkout rejected my card because I typed "
     "{{BAD_CARD:visa:sp}}, one digit off. Nice validation tbh", tags=["bad-checksum"])
case("nl", pub("x", "@uitzendjob_joost"), "Uitzendbureau voor de Malsgroen fabriek weigerde mijn BSN, bleek dat ik "
     "{{BAD_BSN}} had ingetypt 🤦 cijfertje verwisseld", tags=["bad-checksum"])
case("nl", pub("forum", "Scanfanaat"), "Barcode van de Groene Burger is {{EAN}}, handig voor de boodschappen-app.",
     tags=["lookalike-number"])
case("nl", pub("linkedin", "boekhouder-bas", "Bas Mertens"), "KvK-nummer van Malsgroen staat gewoon op de factuur: "
     "{{KVK}}. Scheelt weer zoeken.", tags=["lookalike-number"])
case("en", pub("x", "@parcelpatrol"), "Malsgroen proefbox order {{UUID}} arrived a day early, well packed with "
     "ice packs 👌", tags=["lookalike-number", "praise"])
case("nl", pub("x", "@thtchecker"), "Lotcode L26-0412-B3, THT 14-09-2026 op mijn pak Mals Gehakt. Niks aan de hand "
     "hoor, check het altijd even.", tags=["lookalike-number", "date-not-dob"])
case("en", pub("reddit", "u/typo_tessa"), "Someone in a Facebook group claims Malsgroen wants refunds paid to "
     "{{BAD_IBAN_DE:grp}}. That isn't even a valid IBAN. Classic scam, ignore.", tags=["bad-checksum"])
case("nl", pub("instagram", "@kookclub_veghel"), "Proeverij met chef Bram van Malsgroen op 14-05-2026 om 19:00 in "
     "Veghel, nog 6 plekken vrij!", when="2026-04-22T10:15:00+02:00", tags=["date-not-dob", "name-only"])
# --- prices that are not a pricing leak ----------------------------------------
case("nl", MG_IG, "Nieuw in de koeling: Shoarmareepjes 🥙 Introductieprijs €2,49 (normaal €3,29), alleen deze "
     "maand!", tags=["sale-price"])
case("nl", pub("x", "@aanbiedingenanja"), "Groene Burgers 2e halve prijs bij Dekkers deze week 👌 voorraad "
     "inslaan", tags=["sale-price"])
case("nl", pub("facebook", "zuinig.zwolle", "Zuinig in Zwolle"), "Groene Burger voor €1,75 met de bonuskaart, "
     "bijna half geld. Top!", tags=["sale-price", "ratio-edge"])
case("nl", pub("instagram", "@folderfreak"), "€1 korting op Kipstuckjes met de code uit de folder, geldig t/m "
     "zondag 🐥", tags=["price-context"])
case("en", pub("reddit", "u/pricecompare_pim"), "Vegabond burgers are €1.29 this week, Malsgroen Groene Burger still "
     "€3.49. I still prefer Malsgroen tbh, way juicier.", tags=["price-context", "other-company"])
case("nl", pub("forum", "Snackbarhouder_Sjaak"), "Bitterbal Horecadoos kost €54,50 voor 5 kilo, dus €10,90 per kilo. "
     "Goedkoper dan de vleesvariant die ik had.", tags=["price-context", "per-unit"])
case("nl", NS, "Nee hoor, Vega Rookworst voor €1,99 is geen prijsfout, gewoon de actie van deze week 😉",
     tags=["negated", "sale-price"])
case("en", BV, "Horeca Burger now €59.95 per box when you order 10 or more. DM me for the staffel 👨‍🍳",
     tags=["sale-price"])
# --- embargo terms after the embargo, codename-like words, public domains ------
case("nl", MG_IG, "Ze zijn er echt! 🌶️ Rendang Reepjes vanaf nu in de koeling. Wie proeft als eerste?",
     when="2026-09-07T08:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("youtube", "@plantbasedpaul"), "Rendang Reepjes review after two weeks: spicy, juicy, best Malsgroen "
     "launch in years.", when="2026-09-21T17:30:00+02:00", tags=["embargo-after"])
case("nl", pub("instagram", "@tonijnloos"), "Tonijnvrij op een cracker met kappertjes 😍 eindelijk in de winkel",
     when="2026-09-07T06:00:00Z", tags=["embargo-after", "tz-edge"])
case("nl", YK, "Elk jaar weer: zwaluwen nestelen onder het afdak van de expeditie. Niemand durft ze weg te jagen 🐦",
     when="2026-05-14T12:30:00+02:00", tags=["codename-word"])
case("nl", pub("x", "@zoekplaatje"), "Malsgroen Kipstuckjes vinden in de Dekkers hier is zoeken naar een speld in "
     "een hooiberg 😩 waar liggen ze??", tags=["codename-word", "question"])
case("en", DV, "Our public LCA for the Groene Burger is out: 80% lower CO2 than beef. Full method on "
     "malsgroen.nl/duurzaamheid 🌍", tags=["public-domain", "published"])
case("nl", pub("linkedin", "retail-analist-ruben", "Ruben Kok"), "De halfjaarcijfers 2026 van Malsgroen zijn uit: "
     "omzet +6%, nog steeds verlies. Netjes herstel.", when="2026-08-20T11:02:00+02:00",
     tags=["embargo-after", "published"])
# --- published financial news, other companies ---------------------------------
case("nl", MG_LI, "Vandaag publiceren we ons jaarverslag 2025: omzet €71 miljoen (+11%). Alles op "
     "malsgroen.nl/investors", when="2026-03-12T07:00:00+01:00", tags=["published"])
case("en", pub("x", "@foodbiz_daily"), "Vegabond announces 120 layoffs at its Ede plant. Tough year for Dutch "
     "plant-based, Malsgroen seems to hold up.", tags=["other-company"])
case("nl", pub("x", "@grappenmaker_gijs"), "Sinds ik Malsgroen gehakt eet heeft mijn slager ontslag genomen 😂 "
     "sorry Henk", tags=["joke"])
# --- outages / security talk that is not an insider leak -----------------------
case("nl", MG_SVC, "Gepland onderhoud: zondag tussen 01:00 en 05:00 is de webshop niet bereikbaar. Daarna kun je "
     "weer gewoon bestellen 🛠️", tags=["official-notice"])
case("en", MG_X, "Our horeca ordering portal is down right now. We're on it! Urgent orders: call 0800-6257.",
     tags=["official-notice", "own-contact"])
case("nl", pub("mastodon", "@privacybert@mastodon.nl"), "Datalek bij fitness-app StrongStreak, 400.000 accounts. "
     "Nog even mijn wachtwoorden wisselen... daarna Malsgroen burgers bakken.", tags=["other-company"])
case("en", MG_LI, "Cybersecurity month tip from our IT team: a passphrase of four random words beats a short "
     "complex password every time 🔐", when="2026-10-09T09:00:00+02:00", tags=["password-word"])
# --- secret-looking, not a secret ----------------------------------------------
case("en", RT, "PSA: tokens look like ghp_… or glpat-… - if you see one in Slack, report it to security, don't "
     "copy it around 🙏", tags=["secret-prefix-only"])
case("en", pub("forum", "dev_dorien"), "The Malsgroen partner API docs use API_KEY=your-key-here in every example. "
     "Would be nice to have a sandbox key.", tags=["placeholder"])
case("en", DV, "Fixed the label-printer template bug in commit {{HEX:40}} 🏷️ allergens now print in bold again",
     tags=["hex-not-secret"])
case("nl", BV, "Het geheime wachtwoord voor een knapperige bitterbal? Dertig seconden langer in de frituur 😉",
     tags=["password-word", "joke"])
# --- crisis words in harmless contexts -------------------------------------------
case("en", pub("threads", "@moviemarathon_mo"), "Total Recall on the couch with a bowl of Malsgroen bitterballen 🍿",
     tags=["crisis-word"])
case("nl", pub("x", "@veganuary_vera"), "Ik boycot vlees deze maand #veganuary en het Mals Gehakt is mijn redding 🙏",
     when="2026-01-14T18:32:10+01:00", tags=["crisis-word"])
case("nl", pub("facebook", "thijs.de.bruijn.1", "Thijs de Bruijn"), "Terugroepactie bij Vegabond vegaburgers, "
     "gelukkig eten wij hier alleen Malsgroen 😅", tags=["crisis-word", "other-company"])
case("nl", pub("instagram", "@snackqueen.lot"), "Deze Shoarmareepjes zijn een schandaal... schandalig lekker 🤤",
     tags=["crisis-word", "joke"])
case("nl", pub("x", "@bezorgdepapa"), "Zit er soja in de Kipstuckjes? Zoontje is allergisch, wil het even zeker weten "
     "voor ik ze koop @malsgroen_service", tags=["question", "crisis-word"])
# --- negated complaints, praise, company replies ----------------------------------
case("nl", pub("x", "@tevreden_thijs"), "Geen klachten over de Groene Burger, het hele gezin eet mee en niemand "
     "mist vlees 👌", tags=["negated"])
case("en", pub("linkedin", "chef-amira-bouali", "Amira Bouali"), "Not a single complaint from guests since we put the "
     "Malsgroen Horeca Burger on the menu. Best switch we made.", tags=["negated", "praise"])
case("nl", MG_SVC, "@femke_fit Wat vervelend dat je pakket niet is aangekomen! Stuur ons even een DM met je "
     "ordernummer, dan lossen we het op 🙏", kind="reply", tags=["company-reply"])
# --- quotes, mild words, fiction, influencers --------------------------------------
case("en", pub("x", "@quotequeen_q"), "\"I'll be back\" - my husband, heading to the fridge for his third Malsgroen "
     "burger 😂", tags=["quote"])
case("nl", pub("blog", "schrijfhoekje-marit", "Marit"), "Schrijfopdracht van deze week: 'De laatste vegaburger', "
     "een kort verhaal over een kok die op een ruimtestation Malsgroen burgers bakt voor de bemanning 🚀",
     tags=["fiction"])
case("nl", pub("instagram", "@sterker.na.kanker"), "Kanker overleefd en sindsdien volledig plantaardig. Malsgroen "
     "Kipstuckjes zijn mijn vaste prik 💚", tags=["mild-word", "praise"])
case("en", pub("tiktok", "@bitterbal_benny"), "damn these Malsgroen bitterballen are good, no way these are vegan",
     tags=["mild-word", "praise"])
case("nl", pub("instagram", "@bowlsbyyara"), "#ad Samenwerking met @malsgroen.nl 🌱 mijn favoriete shoarma bowl: "
     "Shoarmareepjes, bulgur, rode ui en veel knoflooksaus. Recept in de caption!", tags=["influencer", "sponsored"])
case("nl", LK, "Wat een toffe influencerdag gehad met twintig makers in onze testkeuken in Boxtel! Dank jullie 💚",
     tags=["employee-benign", "influencer"])
# --- misc ordinary posts -------------------------------------------------------------
case("en", pub("pinterest", "veganbbqboards"), "Vegan BBQ board inspo: Malsgroen Vega Rookworst, grilled peppers and "
     "a big bowl of chimichurri", tags=["unknown-platform"])
case("en", pub("other", "vegfan_030"), fullwidth("MALSGROEN") + " 4ever 💚 new pack of Kipstuckjes in the fridge",
     tags=["full-width-benign"])


# ===========================================================================
# profile, roles, severity policy
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# build
# ===========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                          tzinfo=dt.timezone.utc) else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 30), seconds=r.randint(0, 59)))
    off = amsterdam_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    rnd = lambda alpha, n: "".join(r.choice(alpha) for _ in range(n))
    if platform in ("x", "twitter"):
        return f"x:{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + rnd(string.digits, 18)
        return f"li:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = rnd(URLSAFE, 11)
        return f"ig:{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = rnd(string.digits, 16)
        return f"fb:{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "tiktok":
        return f"tt:{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = rnd(URLSAFE, 11)
        return f"th:{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "reddit":
        p = rnd(string.ascii_lowercase + string.digits, 7)
        if kind == "comment":
            c = rnd(string.ascii_lowercase + string.digits, 7)
            return f"t1_{c}", f"https://www.reddit.com/r/VegetarischNL/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/VegetarischNL/comments/{p}/"
    if platform == "youtube":
        v, c = rnd(URLSAFE, 11), "Ugz" + rnd(ALNUM, 21)
        return f"yt:{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + rnd("abcdefghijklmnopqrstuvwxyz234567", 11)
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = str(r.randint(112_000_000_000_000_000, 116_000_000_000_000_000))
        return f"md:{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum:{n}", f"https://forum.kookpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog:{h}:{n}", f"https://{h}.blog.example/p/{n}"
    return f"{platform}:{r.randint(10 ** 7, 10 ** 9)}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 11)
    shuffler = random.Random(SEED + 29)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(filler, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_when(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "malsgroen"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuffler.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# validation
# ===========================================================================

def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def validate(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    for i in own_ibans:
        if not iban_valid(i):
            errs.append(f"own IBAN {i} invalid")
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                        for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ids = set()
    for n, r in enumerate(rows, 1):
        p, ex = r["post"], r["expect"]
        w = f"#{n} {p['id']}"
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: created_at")
        if ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
        for kind, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: invalid IBAN {raw}")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: invalid card {raw}")
            if kind == "BSN" and not bsn_valid(raw):
                errs.append(f"{w}: invalid BSN {raw}")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN valid {raw}")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card valid {raw}")
            if kind in ("BAD_BSN", "KVK") and bsn_valid(raw):
                errs.append(f"{w}: negative BSN valid {raw}")
            if kind == "EAN" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{w}: EAN {raw}")
            if kind in VALIDATED and PII not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        text = p["text"]
        if not cats:
            scrub = text
            for own in profile["public_identifiers"]["ibans"]:
                scrub = scrub.replace(own, " ").replace(Filler.spaced4(own), " ")
            for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if m.group(0).casefold() not in own_emails and not m.group(0).startswith("@"):
                    errs.append(f"{w}: benign e-mail {m.group(0)}")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN {v}")
            for m in re.finditer(r"(?<![\w.])\d(?:[ -]?\d){7,18}(?![\w])", scrub):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{w}: benign Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_valid(d) and d not in own_phone_digits:
                    errs.append(f"{w}: benign 11-proof-valid {d}")
                if len(d) == 10 and d.startswith("0") and d not in own_phone_digits:
                    errs.append(f"{w}: benign phone-like {d}")
        t = ts(p["created_at"])
        low = text.casefold()
        for term, until in embargo:
            if term in low and t < until and CONF not in cats:
                errs.append(f"{w}: embargo term {term} before embargo without leak.confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", low) and CONF not in cats:
                errs.append(f"{w}: internal term {term} without leak.confidential")
    return errs


def report(rows):
    by_cat, by_lang, by_role, by_sev, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATEGORIES:
        print(f"  {c:22s} {by_cat[c]}")
    print("  benign                ", benign)
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platform", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    errs = validate(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        if errs:
            print("\n".join(errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
