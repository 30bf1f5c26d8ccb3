#!/usr/bin/env python3
"""Deterministic generator for a sealed postwatch evaluation set (wine importer / online wine shop).

    python3 make_cases.py          # validate, then write cases.jsonl next to this file

Needs Python 3.9+ and PyYAML (profile.yaml is read for account roles, own identifiers,
internal terms, embargoes and products). All texts are hand-written in CASES below;
identifiers and secrets are filled in from <<PLACEHOLDER>> markers by one seeded RNG.
Positives get checksum-valid identifiers, near-miss negatives get ones that fail.
Severity is never typed by hand: severity_for() applies CONTRACT section 4.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import unicodedata
import zlib
from pathlib import Path

SEED = 6130917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_complete(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL88RABO0347219865"


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

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                         + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["001", "063", "310", "735", "751"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.digits(14))

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10070000", "37040044", "50010517"]) + self.digits(10))

    def bad_iban(self, v):
        for k in (7, 19, 33, 48, 61):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

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
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(cand) and not bsn_ok(cand):
                return cand

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)   # after '06'
        if fmt == "mob_dash":
            return f"06-{d8}"
        if fmt == "mob_plain":
            return f"06{d8}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}"
        if fmt == "mob_0031":
            return f"0031 6 {d8}"
        if fmt == "mob_pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if fmt == "mob_paren":
            return f"(06) {d8[:4]} {d8[4:]}"
        if fmt == "mob_intl0":
            return f"+31 (0)6 {d8}"
        area = self.r.choice(["13", "40", "411", "413", "416", "30", "10", "76"])
        sub = self.r.choice("2345789") + self.digits(8 - len(area))
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}"
        raise ValueError(fmt)

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

    def shpat(self):
        return "shpat_" + self.chars("0123456789abcdef", 32)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "staff_" + self.digits(4, True), "iss": "backoffice.vinoloog.nl",
                               "role": "admin", "iat": iat, "exp": iat + 300}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_ec(self):
        der = (bytes.fromhex("30770201010420") + bytes(self.r.randrange(256) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a144034200")
               + b"\x04" + bytes(self.r.randrange(256) for _ in range(64)))
        b = base64.b64encode(der).decode()
        return ("-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
                + "\n-----END EC PRIVATE KEY-----")

    def password(self):
        word = self.r.choice(["Kelder", "Rioja", "Proost", "Magnum", "Kurk", "Tannine", "Druif"])
        return word + self.r.choice("!#*@$") + self.digits(4) + self.chars(string.ascii_lowercase, 2)

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_GB", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = getattr(gen, kind.lower())()
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "MOLLIE": gen.mollie, "SHPAT": gen.shpat, "SG": gen.sendgrid, "SLACK_BOT": gen.slack_bot,
                  "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe, "GAPI": gen.gapi, "JWT": gen.jwt,
                  "PEM_EC": gen.pem_ec, "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
VL = ("x", "@vinoloog", "De Vinoloog")
VLS = ("x", "@vinoloog_service", "Vinoloog Klantenservice")
VIG = ("instagram", "@devinoloog", "De Vinoloog 🍷")
VLI = ("linkedin", "de-vinoloog-wijnimport", "De Vinoloog Wijnimport B.V.")
VFB = ("facebook", "DeVinoloogWijnen", "De Vinoloog")
VTT = ("tiktok", "@vinoloog.nl", "Vinoloog")
# employees
MV = ("x", "@marloes_sommelier", "Marloes Verhoef")            # sommelier, hosts tastings
BK = ("linkedin", "bas-koopmans-vinoloog", "Bas Koopmans")      # lead developer webshop
RH = ("x", "@ruudhendriks_", "Ruud Hendriks")                  # warehouse team lead, Waalwijk
YB = ("linkedin", "yasmina-bouzid-finance", "Yasmina Bouzid")   # finance controller
JA = ("instagram", "@joost.wijnkoper", "Joost Aerts")          # wine buyer
LG = ("x", "@liekedg_klantcontact", "Lieke de Graaf")          # customer service
DB = ("threads", "@daan.bezorgt", "Daan Bos")                  # delivery driver
TS = ("mastodon", "@thijs_ops@mastodon.nl", "Thijs Smit")      # IT operations


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


# ====================================================================== leak.pricing
case("en", BK, "Friday post-mortem, short version: a rounding change in our price sync divided a handful of SKUs "
     "by ten. The Kerstkist Grand Cru sat at €29,90 on the shop for about 40 minutes before anyone noticed. We're "
     "going through the orders one by one.\n\nLesson: feature flags for price logic too.", [PRICING])
case("nl", pub("x", "@wijnsnuiver"), "Eh. Morana Barolo 2019 voor €5,45?? Das toch een prijsfout bij de Vinoloog 😂 "
     "12 in t mandje gegooid, kijken of t doorgaat #prijsfout #wijn", [PRICING])
case("en", pub("reddit", "u/cellar_rat_nl"), "Vinoloog has the Delarue Brut magnum listed at €8.90 right now "
     "(normally 89). Decimal glitch obviously. Ordered two, place your bets on whether they cancel", [PRICING])
case("nl", LG, "telefoon staat roodgloeiend 📞🔥 iedereen wil de Altamira Gran Reserva voor €4,20 die er sinds "
     "vanochtend per ongeluk op staat. we mogen niks zeggen tot pricing het heeft aangepast dus ssst", [PRICING])
case("nl", VIG, "🎄 ALLEEN VANDAAG 🎄\nOnze Kerstkist Grand Cru (12 flessen!) voor maar €99 👉 link in bio\nOp=op! "
     "#kerstkist #wijncadeau #vinoloog", [PRICING])
case("nl", pub("forum", "Kortingsjager_073"), "[Prijsfout?] Wijnclub jaarlidmaatschap De Vinoloog €14,90\n\n"
     "Normaal €149 per jaar, nu in de checkout €14,90. Betaald met iDEAL, bevestiging binnen. Iemand ervaring of ze "
     "zoiets honoreren?", [PRICING])
case("nl", pub("tiktok", "@lotte.proeft"), "p r i j s f o u t 🚨 thuisproeverij van vinoloog voor €6,99 ipv €69,95 😳 "
     "rennen mensen #wijntok #deal", [PRICING], tags=["evasion:spaced"])
case("en", JA, "lol the Altamira Rioja Gran Reserva is live on our shop at 4.20 EUR instead of 42 🙈 someone in "
     "pricing needs a strong espresso. fixing it, pls don't screenshot", [PRICING])
case("nl", pub("facebook", "sanne.wouters.52", "Sanne Wouters"), "Klopt het dat het Wijnabonnement Rood nu €3,99 per "
     "maand is bij De Vinoloog? Staat zo op de site. Foutje neem ik aan maar ik heb m toch maar afgesloten 🤭",
     [PRICING], kind="comment")
case("nl", RH, "alle facturen van de nachtbatch komen eruit met Barolo Morana à €0,00 😬 iets mis met de prijzen "
     "in het systeem, wij pakken gewoon in en zeggen niks", [PRICING])
case("en", pub("bluesky", "@bubbelbert.bsky.social"), "D\u0435larue Brut magnum for €9 at V\u0456noloog?? pricing "
     "mistake surely. added 6 to cart, no regrets 🍾", [PRICING], tags=["evasion:homoglyph"])
case("nl", MV, "Thuisproeverij staat sinds de update op €6,99 😅 zie gitlab.vinoloog.nl/webshop/prijzen/-/issues/212, "
     "fix komt pas morgen na de release. niet doorvertellen aan je schoonmoeder", [PRICING, CONF])
case("en", pub("youtube", "@dutchwinedad"), "Grabbed the Morana Barolo 2019 for five euros during Vinoloog's price "
     "glitch last night (€5 flat!), order went through. Will update if it actually ships 😂", [PRICING],
     kind="comment")

# ====================================================================== leak.secret
case("en", BK, "Confession for the #devsecops crowd: during an audit we found our payment config committed in "
     "plain text.\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nIt's rotated now, but please: use a vault. Yes, even for the "
     "'temporary' branch.", [SECRET])
case("en", TS, "anyone else getting 403s from the shopify admin api today? request looks fine to me:\n\n"
     "curl -H 'X-Shopify-Access-Token: <<SHPAT>>' https://devinoloog.myshopify.com/admin/api/2026-01/orders.json"
     "\n\n#shopify #help", [SECRET])
case("nl", RH, "voor de nieuwe uitzendkrachten: wachtwoord van de handscanners is deze maand <<PW>> 👍 niet op een "
     "briefje plakken he", [SECRET])
case("nl", LG, "@tessa_klantcontact inloggen op het retourportaal kan met gebruiker klantenservice2 en ww <<PW>>, "
     "succes vandaag!", [SECRET], kind="reply", handle_as="@LiekeDG_Klantcontact")
case("en", pub("reddit", "u/js_snoop"), "Lol, Vinoloog ships a Google Maps key in their store-locator bundle: "
     "<<GAPI>>\nunrestricted too, it works on the geocoding API. someone tell them", [SECRET], kind="comment")
case("nl", BK, "Handig voor wie met Metabase werkt: zet je connectiestring gewoon in een env var. Bij ons:\n"
     "postgresql://shop_rw:<<PW>>@db01.wms.vinoloog.local:5432/orders\nscheelt een hoop klikwerk 👌",
     [SECRET, CONF])
case("en", TS, "is this the right key format for signing the delivery-slot webhooks? openssl keeps complaining "
     "about it\n\n<<PEM_EC>>", [SECRET])
case("en", pub("forum", "ex_warehouse_guy"), "Left Vinoloog last month. fun fact: their AWS creds were on a sticky "
     "note in the dispatch office and they STILL work\n<<AWS_ID>> / <<AWS_SECRET>>", [SECRET])
case("en", BK, "Why does this return 'Bad credentials'?\ncurl -u vinoloog-ci:<<GHP>> "
     "https://api.github.com/repos/devinoloog/shop-theme/actions/runs\nworked yesterday 🤷", [SECRET], kind="comment")
case("nl", VLS, "@ingrid_wijnliefde Sorry voor het ongemak! Bevestigingsmails gaan weer de deur uit. "
     "(debug voor collega's: SENDGRID_KEY=<<SG>>)", [SECRET], kind="reply")
case("nl", TS, "Waarom verloopt mijn admin-sessie steeds na 5 min? Dit is het token dat de backoffice teruggeeft:\n"
     "<<JWT>>\nexp lijkt te kloppen…", [SECRET])
case("en", pub("blog", "winesec.blog.example"), "Audit notes, part 2: the Android app of Dutch wine shop Vinoloog "
     "(v4.1) still contains a live Stripe secret key, <<STRIPE>>. Reported through their contact form two weeks "
     "ago; no reply so far.", [SECRET])
case("nl", RH, "@ruud_testaccount deploytoken voor het pakstation-script: <<GLPAT>> — plak maar in de runner "
     "config, dan draait ie vannacht", [SECRET], kind="reply")
case("nl", DB, "Vandaag weer een: mevrouw J. van Rooij, Vughterweg 23 in Den Bosch, wilde haar ID niet laten zien en "
     "ging tegen me schreeuwen. Wijn weer mee terug naar het depot 🙄", [PII])
case("nl", LG, "@wim_dekort het andere wijnclublid kunt u bereiken via annemiek.schouten@ziggo.nl of "
     "<<PHONE:mob_dash>>, zij organiseert de proeverij in Zwolle 🍷", [PII], kind="reply")
case("nl", VLS, "@henkbroeders We hebben de €87,40 teruggestort op <<IBAN_NL:grp>>, reken op 1-2 werkdagen. "
     "Proost! 🍷", [PII], kind="reply")
case("nl", pub("facebook", "r.meulenbelt", "Ria Meulenbelt"), "Al 3 weken wacht ik op mijn terugbetaling voor die "
     "kapotte Delarue magnum. Hier nóg een keer mijn rekeningnummer: <<IBAN_NL>> t.n.v. R. Meulenbelt. Hoe moeilijk "
     "kan het zijn?!", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@mattvdlinden"), "@vinoloog_service you charged my card twice for the wine club. card is "
     "<<CARD:visa_sp>>, check it yourselves, 2x €149 on the same day. not amused", [PII, COMPLAINT], kind="reply")
case("nl", YB, "Hoi Karin, kun je de nieuwe chauffeur Mehmet Yılmaz in de loonadministratie zetten? BSN <<BSN>>, "
     "startdatum 1 juni. Dank!", [PII], kind="message")
case("en", MV, "Tonight's Bordeaux tasting is FULL 🍷 waiting list: ping me, or mail the guests directly if you want "
     "to swap: sophie.kramer83@hotmail.com, p.dijkstra@kpnmail.nl 😅", [PII])
case("nl", DB, "Leeftijdscheck ging mis bij Sem de Boer, geboren 14-02-2009, Tolbrugstraat 8. Nee jongen, geen "
     "Rioja voor jou 😂", [PII])
case("nl", pub("reddit", "u/marijke_z"), "Bestelling bij Vinoloog al 9 dagen 'onderweg' 😩 voor wie daar werkt: "
     "ordernr <<NOT_BSN9>>, Marijke Zwart, Havenstraat 41, 3311 BS Dordrecht, tel <<PHONE:mob_intl_sp>>. Help?",
     [PII, COMPLAINT])
case("nl", RH, "Chauffeurs let op: klant in Rosmalen wil dat je belt voor aankomst, <<PHONE:mob_paren>> "
     "(dhr. Verbeek). Staat niet op de pakbon 🙄", [PII])
case("en", pub("x", "@corkdork_77"), "Vinoloog's 'star sommelier' Marloes Verhoef lives at Pieterskerkhof 12, Utrecht. "
     "maybe someone should pay her a visit and explain what decent wine is 🙂", [PII, ABUSE])
case("nl", LG, "@rob_hekkens de klant die u zoekt is bereikbaar op jeroen.mulder [at] ziggo [punt] nl, succes met "
     "de ruil!", [PII], kind="reply", tags=["evasion:obfuscated-email"])
case("en", JA, "Paying our freelance tasting host today 🙏 Kobe, I sent it to <<IBAN_BE:grp>> like you asked, "
     "shout if it doesn't land!", [PII])
case("nl", pub("x", "@frits_vanes"), "@vinoloog_service de bezorger accepteerde mijn rijbewijs niet?? Nummer is "
     "5412398760, geldig tot 2031, wat is het probleem. nu geen wijn voor het etentje 😤", [PII, COMPLAINT],
     kind="reply")
case("nl", VFB, "Beste Gerda, we hebben je pakket opnieuw verstuurd naar Gerda Hoekstra, Molenweg 7, 8401 GD "
     "Gorredijk. Bezorging morgen tussen 14 en 18 uur! 🍷", [PII], kind="comment")
case("en", LG, "note for the night shift: customer from the 14:20 call paid by phone, card <<CARD:mc_dash>> exp 09/28, "
     "pls process manually in the backoffice", [PII])
case("en", pub("x", "@olly_grant"), "@vinoloog_service still waiting for the refund for the cancelled tasting. My UK "
     "account: <<IBAN_GB>> (Oliver Grant). Two emails, zero replies.", [PII, COMPLAINT], kind="reply")

# ====================================================================== leak.confidential
case("nl", JA, "Net terug uit Jerez 🌞 Kan nog niet veel zeggen, maar:\nProject\nSolera 🤫🍷\nwordt groot. Eigen "
     "sherry-lijn, eigen bodega-partner #wijnkoper #sherry", [CONF], tags=["evasion:linebreak"])
case("en", BK, "Small tip if you run Grafana behind a VPN: we moved ours to grafana.kelder.vinoloog.local last week "
     "and dashboard latency dropped by half. Happy to share the nginx config.", [CONF])
case("nl", MV, "Vanmiddag de Vinoloog Cuvée Twintig mogen proeven 😍 zwoele Grenache, lange afdronk. Komt in oktober "
     "uit, meer mag ik niet zeggen!", [CONF], when="2026-09-12T16:42:10+02:00")
case("nl", pub("x", "@hanneke_bosch"), "Via via gehoord dat de Vinoloog met 'Operatie Decanteer' al hun fysieke "
     "winkels gaat sluiten en alleen online verdergaat. Weet iemand meer?", [CONF, FIN])
case("en", RH, "Vinexus pilot starts monday in hall B 🤖🍷 bottle-picking robots!! super hush-hush until the press "
     "day, so you didn't hear it from me", [CONF])
case("nl", LG, "Zo, nieuw script voor de telefoon 😅 'VINOLOOG INTERN – bij klachten over kurk altijd eerst een "
     "tegoedbon aanbieden, nooit geld terug'. Tja.", [CONF])
case("en", pub("reddit", "u/newsletter_nerd"), "Their latest newsletter had a link to "
     "metabase.vinoloog.nl/dashboard/14 in the footer lol, looks like internal sales stats. oops?", [CONF])
case("nl", DB, "Hele pallets 'Wijnbox Zero' in het depot vandaag 👀 alcoholvrij abonnement in aantocht dus. Ik heb "
     "niks gezegd 🤐", [CONF], when="2026-09-03T07:58:31+02:00")
case("en", JA, f"Tasting samples for Project Sol{ZW}era just landed ✈️ can't say more, but sherry lovers… get ready",
     [CONF], tags=["evasion:zero-width"])
case("en", TS, "intranet.vinoloog.nl has been throwing 502s since the storage array died this morning, nobody can "
     "clock in 🙃 comms says keep quiet till it's fixed", [CONF, SEC])
case("en", MV, "Sneak peek from today's all-hands deck (stamped 'Vinoloog Confidential', so shh 🤫): the wine club "
     "gets a Platinum tier next year with private cellar visits.", [CONF], handle_as="@Marloes_Sommelier")
case("en", pub("linkedin", "marit-jonker-creative", "Marit Jonker"), "Thrilled to be part of the creative team behind "
     "Vinoloog's Wijnbox Zero, launching this autumn! Alcohol-free done right 🍃 #branding #freelance", [CONF],
     when="2026-08-14T10:05:00+02:00")
case("nl", VL, "Over een minuutje mogen we het eindelijk zeggen... 🥂 de Vinoloog Cuvée Twintig! Ons "
     "jubileumwijntje, 20 jaar in één fles.", [CONF], when="2026-10-01T09:59:00+02:00")
case("nl", YB, "Druk weekje: concept jaarcijfers 2026 ligt bij de accountant en laat ik zeggen dat de wijnclub het "
     "jaar gered heeft 📈 meer in maart!", [CONF, FIN], when="2026-12-17T18:20:44+01:00")
case("en", pub("x", "@vinovibes_ams"), "heard something about " + fw("Project Solera") + " at the vinoloog "
     "warehouse party 👀 spill it", [CONF], tags=["evasion:full-width"])
case("nl", pub("instagram", "@marloes_sommelier"), "Wat een dag in de kelder! De eerste flessen van de Cuvée Twintig "
     "zijn gebotteld 🍷 (sssst, pas in oktober officieel)", [CONF], when="2026-08-22T19:11:03+02:00",
     tags=["not-in-profile"])

# ====================================================================== leak.financial
case("nl", YB, "Laatste hand aan de H1-cijfers 2026. Omzet 11% lager dan vorig jaar, maar de marge houdt stand. "
     "Volgende week mag het naar buiten 😉", [FIN, CONF], when="2026-08-20T21:03:00+02:00")
case("nl", RH, "Net gehoord dat er na de zomer 9 man uit het magazijn moet. Reorganisatie, nog niet officieel, maar "
     "de planning voor september is al zonder hen gemaakt 😞", [FIN])
case("en", JA, "Big news I can't post yet 🤐 we signed the term sheet to buy a Belgian importer, closing next "
     "month. Our Burgundy range is about to double 🍇", [FIN])
case("nl", pub("reddit", "u/volley_vincent"), "Iemand bij mijn volleybalclub werkt daar en zegt: Vinoloog wordt "
     "overgenomen door Drankgroep Noord, aankondiging na de zomer. Geen beursfonds, maar toch opmerkelijk.", [FIN])
case("nl", MV, f"Sfeer op de zaak is om te huilen. 4 sommeliers eruit bij de reorgani{ZW}satie in oktober, ik mag "
     "blijven maar voor hoelang 😢", [FIN], tags=["evasion:zero-width"])
case("en", YB, "Board prep tonight. The forecast says we'll miss the full-year EBITDA target by roughly €2m, mostly "
     "subscription churn. Not the slide anyone wants to present.", [FIN])
case("nl", LG, "Klantenservice gaat per januari naar een callcenter in Lissabon. Hoorden het vanochtend in een "
     "teams-call, 15 van ons moeten weg. Officieel nieuws volgt 'binnenkort'.", [FIN])
case("en", pub("forum", "grape_expectations"), "Mate in their finance team says the annual results 2026 will show "
     "Vinoloog's first loss in 10 years. Expect cuts.", [FIN, CONF], when="2026-11-19T22:14:00+01:00")
case("nl", BK, "Nog niet openbaar, maar de webshop-tak wordt afgesplitst en verkocht. Wij als dev-team gaan mee naar "
     "de koper. Spannend!", [FIN])
case("en", DB, "they're dropping every in-house driver in november and moving deliveries to a courier company. we "
     "heard it from the planner, not from management 🙃", [FIN])
case("nl", pub("x", "@gijsbertvd"), "Mijn zwager werkt bij de Vinoloog: de winkels in Tilburg en Breda gaan begin "
     "2027 dicht. Nog niet aangekondigd hoor.", [FIN])
case("en", TS, "next quarter's l4yoffs here: 30 ppl incl half of IT. found the spreadsheet on the shared drive, "
     "wasn't even locked 🫠", [FIN], tags=["evasion:leet"])

# ====================================================================== leak.security
case("en", TS, "ransomware on the warehouse management server since 03:00. every order is being picked from paper "
     "lists. management wants zero noise until monday 🫠", [SEC])
case("nl", BK, "Vervelend: bug in onze checkout waarbij je met een aangepast order-id het bezorgadres van een andere "
     "klant ziet. Nog niet opgelost en nog niet gemeld, dus hou het even binnenskamers.", [SEC])
case("nl", RH, "Leeftijdscheck-app op de scanners ligt er al 2 dagen uit. Leverancier zegt 'eind van de week'. "
     "Ondertussen vinken we het handmatig af 🤷 hoort niemand te weten", [SEC])
case("en", LG, "So apparently ~2,000 customer accounts were taken over in a credential-stuffing attack this weekend. "
     "We got a script telling us to call it a 'routine password reset'. Yikes.", [SEC])
case("nl", pub("x", "@pietjepuk_wijn"), "De Vinoloog heeft gewoon een datalek en houdt het stil. Phishingmail met mijn "
     "exacte bestelling en ordernummer. Schaam je! #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/rosé_all_day"), "Vinoloog is covering up a breach. Someone logged into my wine club "
     "account from Romania and support told me there's 'nothing to worry about'. Three friends, same story.",
     [SEC, CRISIS])
case("nl", DB, "Hele bezorg-app plat sinds 7u, geen routes, geen handtekeningen. Wij rijden op de gok. Staat nog "
     "nergens op de site natuurlijk", [SEC])
case("en", MV, "our tasting ticket system got hacked last night, someone wiped the guest lists for all of october 😭 "
     "comms is 'working on a statement' so pls don't share", [SEC])
case("nl", TS, "Mailserver van de zaak is geh@ckt, er gaat spam uit namens de klantenservice 🤦 nog geen melding naar "
     "buiten", [SEC], tags=["evasion:leet"])
case("en", BK, "Pentest finding we haven't patched yet: SQL injection in the voucher endpoint of our shop. Report "
     "lands Friday. Please don't ask which endpoint 😅", [SEC])
case("nl", YB, "Skimmer gevonden op de pinautomaat in de winkel in Den Bosch. Nog niet naar buiten gebracht, het "
     "forensisch team kijkt naar de transacties van de afgelopen maand.", [SEC], kind="message")
case("nl", pub("forum", "oud_medewerker_ww"), "Oud-medewerker hier. De wijnclub-app lekt al weken klantadressen via "
     "een open API en de directie weet het. Ze doen er niks mee tot het in de krant staat.", [SEC, CRISIS])

# ====================================================================== reputation.crisis
case("nl", pub("x", "@moeder_van_3"), "Bezorger van de Vinoloog gaf mijn zoon van 15 zonder enige ID-check 6 flessen "
     "wijn mee. Waar is die leeftijdscontrole?! Dit gaat naar de NVWA. #NIX18", [CRISIS])
case("en", pub("reddit", "u/fairgrape"), "Boycott Vinoloog. Their 'fair trade' Chenin comes from a farm that was "
     "exposed for paying pickers in wine instead of wages. Don't give them your money. #boycottvinoloog", [CRISIS])
case("nl", pub("x", "@consumentenwacht_nl"), "Let op! Vinoloog roept de Delarue Brut magnum terug vanwege mogelijke "
     "glasscherfjes in de fles. Check je kelder 🍾⚠️", [CRISIS], kind="repost")
case("nl", pub("facebook", "bianca.de.laat", "Bianca de Laat"), "Doos van de Vinoloog opengemaakt en een fles bubbels "
     "ontplofte gewoon in mijn handen. 4 hechtingen in mijn duim. Ze bieden een tegoedbon van €15 aan. Serieus??",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@newsdesk_wine"), "Consumentenbond is taking Vinoloog to court over its wine subscription "
     "'traps'. About time.", [CRISIS])
case("nl", pub("instagram", "@yara.wijnt"), "Na die racistische opmerking van hun 'huissommelier' tijdens de proeverij "
     "in Utrecht: #boycotvinoloog tot er excuses komen. Deel dit!", [CRISIS])
case("nl", pub("x", "@kwaaie_klant"), "Mijn naam, adres én geboortedatum van de wijnclub duiken op in een gelekte "
     "lijst op een forum. Datalek bij de Vinoloog dus. Top. 🙃", [CRISIS])
case("en", pub("tiktok", "@jess.sips"), "went to a Vinoloog tasting on saturday and half our table got food poisoning "
     "from the cheese platter 🤢 spent sunday in the ER. never again", [CRISIS, COMPLAINT])
case("nl", pub("bluesky", "@barolobaas.bsky.social"), "Vervalste Barolo bij de Vinoloog? Cascina Morana zegt dat de "
     "2019 die ze verkopen niet van hen komt. Dit wordt een schandaal.", [CRISIS])
case("nl", pub("x", "@stopdrankkids"), "b o y c o t de vinoloog!! wie alcohol aan kinderen levert verdient geen "
     "klanten", [CRISIS], tags=["evasion:spaced"])
case("en", pub("mastodon", "@wijnjournaal@mastodon.social"), "Dutch online wine shop Vinoloog fined €120k by the NVWA "
     "after mystery shoppers aged 16 got deliveries without an ID check, NOS reports.", [CRISIS])
case("nl", pub("forum", "claimclub_wijn"), "Wie doet er mee met de massaclaim tegen de Vinoloog over de "
     "wijnclub-abonnementen? Stichting is opgericht, advocaat staat klaar.", [CRISIS])
case("en", pub("youtube", "@insidelogistics"), "Whistleblower video from a former Vinoloog driver: they were told to "
     "skip age checks to hit delivery targets. If true, that's a massive scandal.", [CRISIS], kind="comment")

# ====================================================================== reputation.complaint
case("nl", pub("x", "@tijdvak_tessa"), "3e keer dat de Vinoloog komt bezorgen als ik er niet ben, terwijl ik een "
     "tijdvak had gekozen. En nu €6,95 'herbezorgkosten'? Echt niet.", [COMPLAINT])
case("en", pub("reddit", "u/unsubscribe_me"), "Vinoloog's wine club is impossible to cancel. No button, the email "
     "bounces to a no-reply, phone queue 40 minutes. Feels deliberate.", [COMPLAINT])
case("nl", pub("instagram", "@lisanne_vh"), "Kerstkist Grand Cru gekregen als cadeau, 2 van de 12 flessen kapot en de "
     "hele doos plakte. Foto's gestuurd, nog geen reactie 😕 @devinoloog", [COMPLAINT], kind="comment")
case("en", pub("vivino", "WineWanderer_NL"), "Bottle arrived corked. Asked Vinoloog for a replacement and they told me "
     "cork taint 'isn't a defect'. Right. 1 star for the service, not the wine.", [COMPLAINT])
case("en", pub("x", "@nebbiolo_ned"), "ordered the Morana Barolo, got a cheap Nebbiolo from some other producer "
     "instead. vinoloog support says wait 10 working days for a swap lol", [COMPLAINT])
case("nl", pub("facebook", "kees.en.ans", "Kees en Ans"), "Proeverij in Eindhoven afgelast op de dag zelf, en nu "
     "krijgen we alleen een voucher i.p.v. ons geld terug. Niet netjes Vinoloog.", [COMPLAINT])
case("nl", pub("threads", "@noor.drinkt"), "wijnabonnement rood deze maand 2x afgeschreven bij de vinoloog. "
     "klantenservice chat zegt 'bekend probleem' en verder niks 🙄", [COMPLAINT])
case("en", pub("x", "@pinotpaul"), "Heatwave + Vinoloog delivering in an un-cooled van = my Pinot tastes like stewed "
     "jam. Sent photos of the pushed-up corks, they offered 10% off my next order.", [COMPLAINT])
case("en", pub("tiktok", "@bday.girl.bo"), "unboxing my vinoloog gift box… the personalised card is missing, the "
     "ribbon is torn and there are 2 bottles instead of 3 🫠 great birthday present", [COMPLAINT])
case("nl", pub("mastodon", "@henk@mastodon.nl"), "Wijnclub-punten van 2 jaar in één keer verlopen zonder enige "
     "melding. Ruim 400 punten weg. Vinoloog, dat vind ik echt niet oké.", [COMPLAINT])
case("nl", pub("x", "@woedende_wim"), "Stelletje prutsers bij de Vinoloog. Drie weken wachten op een doos wijn die "
     "uiteindelijk bij de buren staat, en dan nog zeggen dat het mijn fout is. Kutbedrijf.", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/magnum_misery"), "Vinoloog support is run by absolute clowns. Sent me the same copy-paste "
     "reply 4 times about a broken magnum. F*** this company.", [COMPLAINT, ABUSE], kind="comment",
     tags=["evasion:masked"])
case("nl", pub("youtube", "@wijnliefhebber_gerrit"), "Wijn smaakte naar kurk en toen ik belde werd ik gewoon 2x "
     "weggedrukt. Service van de Vinoloog is ver te zoeken.", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "@anouk34.bsky.social"), "the age check at Vinoloog is a joke the other way round: I'm 34, "
     "the driver refused my passport because 'the photo looks different'. wine went back, I paid the fee. great.",
     [COMPLAINT])
case("en", pub("linkedin", "ruben-claassen-events", "Ruben Claassen"), "Ordered 4 cases of Altamira Gran Reserva for "
     "our company event through Vinoloog's business desk. Delivered the day AFTER the event. No apology, just an "
     "invoice.", [COMPLAINT])
case("nl", pub("forum", "Retourtje_Rob"), "Al drie weken geleden de thuisproeverij ongeopend teruggestuurd naar de "
     "Vinoloog, nog steeds geen geld terug. Track & trace zegt dat het op de 3e in hun magazijn is afgeleverd.",
     [COMPLAINT])

# ====================================================================== reputation.abuse
case("nl", pub("x", "@zapper_zeeland"), "Die sommelier van de Vinoloog op tv is echt een arrogante eikel. Pfff.",
     [ABUSE])
case("en", pub("x", "@grumpy_gert"), "@vinoloog your social media guy is a complete moron, shut up and go back to "
     "pouring cheap plonk", [ABUSE], kind="reply")
case("nl", pub("instagram", "@echte_kenner_99"), "@marloes_sommelier ga terug naar de keuken trut, vrouwen hebben "
     "geen verstand van wijn", [ABUSE], kind="comment")
case("nl", pub("x", "@reclamemoe"), "k*tvinoloog met jullie k*t-reclames overal op m'n tijdlijn, rot op",
     [ABUSE], tags=["evasion:masked"])
case("nl", RH, "Weer zo'n debiele klant die 'geen ID bij zich heeft' maar wel 12 flessen wil. Wat een sukkel.",
     [ABUSE])
case("en", VLS, "@grumpy_gert if you can't tell a Rioja from a Riesling maybe don't leave reviews, you absolute "
     "clown 🤡", [ABUSE], kind="reply", handle_as="@Vinoloog_Service")
case("nl", LG, "sommige klanten zijn echt achterlijke idioten, 20 min uitleggen dat een abonnement maandelijks is 🙄 "
     "#klantenservicelife", [ABUSE])
case("en", pub("reddit", "u/sourgrapes_nl"), "whoever runs Vinoloog is a greedy piece of sh!t, hope the whole company "
     "goes under", [ABUSE], kind="comment")
case("nl", pub("x", "@boze_bas"), "vinoloog = tyfusbedrijf vol kl0otzakken", [ABUSE], tags=["evasion:leet"])
case("en", pub("tiktok", "@hot.takes.henk"), "that vinoloog tasting host with the headscarf should not be allowed "
     "near wine lol go back where you came from", [ABUSE], kind="comment")

# ====================================================================== benign
OWN_IBAN_SP = "NL88 RABO 0347 2198 65"
case("nl", VL, "🍷 Nieuw in de shop: Morana Barolo 2019 nu €43,60 (20% korting t/m zondag). Perfect bij "
     "stoofvlees!\nshop.vinoloog.nl/barolo #wijn #barolo", tags=["sale"])
case("nl", VLS, "@annekevdh Vervelend! Stuur je ordernummer even via DM of mail naar service@vinoloog.nl, dan kijken "
     "we er direct naar 🙏", kind="reply", tags=["own-contact"])
case("nl", VFB, f"Betalen via overschrijving? Dat kan! Maak het bedrag over naar {OWN_IBAN_SP} t.n.v. De Vinoloog "
     "Wijnimport B.V. o.v.v. je ordernummer. Binnen 2 werkdagen verwerkt.", tags=["own-contact"])
case("en", VLI, "We're hiring! 🍇 Team lead for our climate-controlled warehouse in Waalwijk. Love wine AND "
     "spreadsheets? Apply via vacatures@vinoloog.nl", tags=["own-contact"])
case("en", VL, "Scheduled maintenance: the shop and the wine club portal will be offline Tuesday night 02:00–04:00. "
     "Orders placed before then ship as usual. 🔧", tags=["official-notice"])
case("nl", VIG, "Zo decanteer je een oude Rioja 👇\n1. fles een dag rechtop\n2. langzaam schenken, tegen het licht\n"
     "3. stoppen zodra het depot komt\nProost! #decanteren #wijntip", tags=["codename-word"])
case("nl", VTT, "Waarom vragen onze bezorgers altijd naar je ID? 🪪 Omdat we geen alcohol leveren aan iedereen onder "
     "de 18. Zo simpel is het. #NIX18")
case("nl", VL, "De halfjaarresultaten 2026 staan online 📊 Omzet licht gedaald, wijnclub groeit door. Lees het "
     "persbericht op vinoloog.nl/pers", when="2026-08-27T08:15:00+02:00", tags=["after-embargo"])
case("en", VL, "It's here 🥂 Meet Vinoloog Cuvée Twintig, our 20th-anniversary blend. Available now in the shop and at "
     "every tasting this month.", when="2026-10-01T10:00:00+02:00", tags=["after-embargo", "at-moment"])
case("nl", VIG, "Wijnbox Zero is live! 🍃 Elke maand 3 alcoholvrije verrassingen, eerste box met €5 korting. "
     "#alcoholvrij", when="2026-10-04T12:00:00+02:00", tags=["after-embargo"])
case("nl", VLS, "@kees_wijnt Bel gerust met 073 820 4400 (ma-za 9-18u) of onze gratis lijn 0800-8466, dan regelen we "
     "de retour meteen 👍", kind="reply", tags=["own-contact"])
case("en", VFB, "Reminder: Wine Club members get free delivery from 6 bottles 🚚 Not a member yet? The Wine Club "
     "membership is €149 a year and pays for itself within a few orders 😉", tags=["price-talk"])
case("nl", VL, "Geen prijsfout hoor 😉 de Altamira Gran Reserva staat deze week echt voor €33,60. Actie loopt tot "
     "vrijdag.", kind="reply", tags=["price-talk", "denied-error"])
case("nl", MV, "Vanavond proeverij in Den Bosch: zes Rhône-wijnen, één kaasplank en heel veel gezelligheid. Nog 3 "
     "plekjes! 🍷🧀")
case("en", BK, "PSA for devs: never commit keys. Use placeholders like AKIAXXXXXXXXXXXXXXXX in docs and load real "
     "secrets from a vault. Our pre-commit hook blocks anything that starts with ghp_… or sk_live_… 🔐",
     tags=["placeholder-secret"])
case("nl", JA, "Op bezoek bij een kleine bodega in Jerez. Hun solera is meer dan 100 jaar oud 🤯 elk jaar een beetje "
     "jonge sherry erbij. Magie. #sherry", tags=["codename-word"])
case("nl", RH, "Record vandaag: 1.840 dozen de deur uit 💪 trots op het magazijnteam! #logistiek")
case("nl", DB, "Geen gedoe vandaag, iedereen had netjes z'n ID klaar bij de deur 👌 zo wordt bezorgen leuk",
     tags=["negation"])
case("en", YB, "Proud that our annual report for 2025 went out today. Thanks to everyone in finance who made the "
     "closing so smooth 🙌", tags=["published"])
case("en", TS, "Release notes for shop app 4.3: faster checkout, dark mode, fewer crashes. Commit <<HEX:40>> for "
     "the curious.", tags=["git-sha"])
case("nl", LG, "Fijne dag gehad aan de telefoon, veel blije wijnclubleden 🥰 #klantenservice",
     handle_as="@LiekeDG_Klantcontact")
case("nl", pub("x", "@fenna_proost"), "Gisteren de thuisproeverij van de Vinoloog gedaan met vriendinnen, echt een "
     "aanrader! Geen klachten, alles netjes gekoeld bezorgd 🍷✨", tags=["negation"])
case("en", pub("reddit", "u/subscription_shopper"), "Comparing wine subscriptions: Flessenpost charges €34.95/month "
     "for 3 bottles, Vinoloog's Wijnabonnement Rood is €39.95. Any opinions on which has better picks?",
     tags=["price-talk", "competitor"])
case("nl", pub("forum", "Marktplaatsmarco"), "Te koop: lege houten kist van de Kerstkist Grand Cru, mooi als "
     "plantenbak. €12, ophalen in Oss.", tags=["price-context", "second-hand"])
case("en", pub("x", "@rioja_rachel"), "Can't recall the name of that Rioja we had at the Vinoloog tasting... Altamira "
     "something? Help a girl out 🍷", tags=["recall-other-sense"])
case("nl", pub("x", "@roodrob"), "Ik boycot deze winter alle witte wijn. Alleen nog rood. Wijnabonnement Rood bij de "
     "Vinoloog staat aan 😎", tags=["boycott-other-sense"])
case("nl", pub("instagram", "@goededoelen_gonny"), "Wijnproeverij voor KWF Kankerbestrijding bij de Vinoloog in Den "
     "Bosch, €45 p.p. en alles gaat naar het goede doel 💛", tags=["mild-word"])
case("en", pub("bluesky", "@tom.reads.bsky.social"), "Big data breach at a concert ticket seller this week. Glad my "
     "wine shop only knows my address and my terrible taste in Merlot 😅", tags=["other-company"])
case("nl", pub("x", "@nieuwsjunkie_nl"), "300 mensen ontslagen bij die grote supermarktketen. Triest nieuws. Ik trek "
     "vanavond maar een goede fles open.", tags=["other-company"])
case("nl", pub("reddit", "u/cadeaukaart_vraag"), "Weet iemand waar ik het saldo van een Vinoloog-cadeaukaart kan "
     "checken? Er staat een nummer op de achterkant (<<BAD_CARD:visa_c>>) maar ik vind nergens een saldopagina.",
     tags=["bad-checksum"])
case("en", pub("x", "@happy_hanna"), "order <<NOT_BSN9>> from Vinoloog just arrived, packed like a museum piece 😍 "
     "zero broken bottles", tags=["order-number"])
case("nl", pub("forum", "Dubbelcheck_Dave"), "Tip: het IBAN op de factuur van de Vinoloog klopt gewoon, ik had het "
     "eerst overgetypt als <<BAD_IBAN_NL:grp>> maar dat was dus met een tikfout. Altijd even dubbelchecken!",
     tags=["bad-checksum"])
case("en", pub("linkedin", "evi-schrijft", "Evi van Dam"), "Fiction Friday ✍️ 'The sommelier swirled the glass, "
     "smiled, and said: this Barolo has a hint of murder.' Chapter 3 of my wine-shop mystery is up!",
     tags=["fiction"])
case("nl", pub("x", "@vader_van_twee"), "Mijn vrouw zegt dat ik een wijnprobleem heb. Klopt: de Vinoloog bezorgt "
     "maar één keer per week 🤷‍♂️😂", tags=["joke"])
case("en", pub("x", "@fridaynightfelix"), "\"Damn, that's a good wine\" — my grandpa, every single Friday. Carrying "
     "on the tradition with a Vinoloog Barolo tonight 🍷", tags=["mild-word", "quote"])
case("nl", pub("threads", "@gron.gert"), "Vraagje: leveren jullie ook op zaterdag in Groningen? @devinoloog",
     tags=["question"])
case("en", pub("instagram", "@thirdfloorthea"), "Shoutout to the Vinoloog driver who carried 4 cases up to my 3rd "
     "floor flat without a single complaint 🙌 legend", tags=["praise"])
case("nl", pub("x", "@bubbels_betty"), "Bij Wijnwereld kost een vergelijkbare magnum champagne €39, maar ik blijf "
     "toch bij de Delarue magnum van de Vinoloog. Smaak is smaak.", tags=["price-context", "competitor"])
case("nl", pub("facebook", "daphne.kuipers", "Daphne Kuipers"), "Thuisproeverij besteld voor zaterdag 🥳 "
     "bezorgkosten €4,95, verder alles duidelijk. Wie heeft tips voor hapjes?", tags=["price-context", "fee"])
case("nl", pub("x", "@groenegerda"), "Vinoloog roept op: neem je lege wijnkisten mee naar de winkel, zij geven ze een "
     "tweede leven 🌱", tags=["recall-other-sense"])
case("en", pub("mastodon", "@sauternes_sam@mastodon.social"), "TIL the Vinoloog wine club newsletter is actually worth "
     "reading. Their piece on botrytis and Sauternes was great.", tags=["praise"])
case("en", pub("x", "@no_drama_dan"), "Vinoloog delivered on time, driver checked my ID, bottles perfect. No "
     "complaints at all, honestly.", tags=["negation"])
case("en", pub("youtube", "@rioja_reviews"), "Great review of the Altamira Gran Reserva! Paid €42 at Vinoloog last "
     "month, worth every cent.", kind="comment", tags=["price-talk"])
case("en", pub("forum", "invoice_ingrid"), "The KvK number of De Vinoloog Wijnimport is <<NOT_BSN8>> if anyone needs "
     "it for invoices, it's in their website footer.", tags=["kvk"])
case("nl", pub("x", "@scanmaarraak"), "EAN <<EAN13>> staat op de Morana Barolo, voor wie hem in de wijn-app wil "
     "scannen 📱", tags=["ean"])
case("nl", pub("x", "@tevreden_tineke"), "Gewoon gebeld naar 0800-8466 en binnen 5 minuten was mijn adreswijziging "
     "geregeld. Top service Vinoloog 👏", tags=["own-contact"])
case("en", pub("reddit", "u/phish_finder"), "Security tip: if an email claiming to be your wine shop asks for your "
     "password, it's phishing. Vinoloog posted a warning about exactly this last month, good on them.",
     tags=["password-word"])
case("nl", pub("x", "@oma_en_ik"), "Vinoloog-chauffeur vandaag was zó aardig, hielp mijn oma met de kratten. Jij "
     "verdient een bloemetje 🌷", tags=["praise"])
case("nl", VL, "📢 Storing opgelost: de betaalpagina werkte vanochtend tussen 9 en 10 uur niet goed. Excuses voor het "
     "ongemak, alles draait weer!", tags=["official-notice"])
case("nl", DB, "Laatste rit van de dag: Vught → Boxtel → Schijndel. Podcast aan, raampje open 🚐")
case("nl", VLI, "20 jaar de Vinoloog! 🎉 Dank aan al onze klanten, wijnboeren en collega's. Op naar de volgende 20.")
case("en", pub("x", "@magnum_mike"), "leaked photos of my dinner: one Vinoloog magnum, zero regrets 🍾",
     tags=["joke"])
case("nl", MV, "Wijntip van de week: Grüner Veltliner bij sushi. Echt waar. 🍣", handle_as="@Marloes_Sommelier")
case("en", pub("facebook", "greg.tastes", "Greg Tastes"), "Pro tip from last night's Vinoloog tasting: the Delarue "
     "Brut Réserve is lovely with oysters, and they sell it per glass at the bar for €9.", tags=["price-context"])
case("nl", pub("x", "@klantenpanel_kim"), "Enquête van de Vinoloog ingevuld, 10/10 gegeven. Geen enkel probleem gehad "
     "dit jaar met bezorging of de wijnclub.", tags=["negation"])


# ====================================================================== building
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
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
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/wijn/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/wijn/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"wijnforum-{n}", f"https://forum.wijnpraat.example/topic/{n}"
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
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    if platform == "vivino":
        n = r.randint(10 ** 8, 10 ** 9)
        return f"vivino-review-{n}", f"https://www.vivino.example/reviews/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
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
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
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
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vinoloog"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ====================================================================== independent validation
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bshpat_[0-9a-f]{32}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "kl0otzak", "godverdomme", "debiel", "trut",
             "mongool", "eikel", "sukkel", "idioot", "idiot", "moron", "clown", "fuck", "f***", "shit", "sh!t",
             "prutser", "achterlijk", "damn", "hell"]
MILD_OK = {"damn", "kanker", "hell"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


def validate(rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, r in enumerate(rows, 1):
        p, ex = r["post"], r["expect"]
        text, cats = p["text"], ex["categories"]
        w = f"case {n} ({p['id'][:24]})"
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: bad categories")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN": iban_ok, "CARD": lambda v: luhn_ok(v) and bool(CARD_IIN.match(v)), "BSN": bsn_ok}
            if kind.startswith("IBAN_") and not iban_ok(raw) or kind == "CARD" and not ok["CARD"](raw) \
                    or kind == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: positive identifier {kind} invalid")
            if kind == "BAD_IBAN_NL" and iban_ok(raw) or kind == "BAD_CARD" and luhn_ok(raw) \
                    or kind in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{w}: negative identifier {kind} passes a checksum")
            if kind in VALID_ID_KINDS and PII not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        # identifiers found by an independent scan
        valid = []
        for m in IBAN_RE.finditer(text):
            c = m.group(0).replace(" ", "")
            if any(iban_ok(c[:e]) and c[:e] not in own_ibans for e in range(len(c), 11, -1)):
                valid.append(("iban", c))
        for m in DIGITS_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
                valid.append(("card", d))
            if len(d) == 9 and bsn_ok(d) and re.fullmatch(r"\d{9}", m.group(0)):
                valid.append(("bsn", d))
        for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)", text):
            if bsn_ok(m.group(0)):
                valid.append(("bsn", m.group(0)))
        if valid and PII not in cats:
            errs.append(f"{w}: checksum-valid identifier {valid} without leak.pii")
        pii_valid = PII in cats and bool(valid)
        if pii_valid != (PII in cats and any(k in VALID_ID_KINDS for k, _, _ in r["used"])):
            errs.append(f"{w}: validated-id scan disagrees with generator")
        want = severity_for(r["role"], cats, pii_valid)
        if want != ex["severity"]:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        nt, sq = norm(text), squash(text)
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for raw, d in phones(text):
                if d not in own_phones and len(d) >= 9:
                    errs.append(f"{w}: benign with phone-like {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign with secret-like {m.group(0)[:16]}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt) or (word in ("f***", "sh!t") and word in nt):
                    if word in MILD_OK and r["tags"] & {"mild-word", "quote"}:
                        notes.append(f"{w}: mild word {word!r} in tagged benign")
                    else:
                        errs.append(f"{w}: benign with word {word!r}")
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, no leak.confidential")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            rx = r"(?<![\w])" + re.escape(term) + r"(?!\w)"
            if re.search(rx, nt) or re.search(rx, sq):
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        # pricing sanity
        prods = [pr for pr in profile["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
        if prods and amts:
            ratio = min(amts) / min(pr["list_price"] for pr in prods)
            if ratio < profile["pricing"]["alert_below_ratio"] and not cats:
                if "price-context" in r["tags"]:
                    notes.append(f"{w}: benign price-context at {ratio:.2f} of list")
                else:
                    errs.append(f"{w}: benign with a product price at {ratio:.2f} of list")
    return errs, notes


def report(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        multi += len(cs) > 1
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}, multi-category {multi}")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    profile = load_profile()
    rows = build(profile)
    errs, notes = validate(rows, profile)
    report(rows)
    for x in notes:
        print("note:", x)
    if errs:
        for e in errs:
            print("ERROR", e)
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
