#!/usr/bin/env python3
"""Deterministic generator for the sealed37 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory and compare with cases.jsonl

Company: the fictional Dutch furniture and home-goods chain "Korenblom Wonen B.V."
(profile.yaml in this folder).

All texts are hand-written below. Identifiers and secrets come from placeholders
such as <<IBAN_NL>> and are filled by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN
11-proof); benign look-alikes get ones that fail their checksum.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
the account role (profile lookup by platform:handle, case-insensitive), the categories
and whether a checksum-validated identifier is in a leak.pii post.
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
from pathlib import Path

SEED = 37_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"[\s-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_build(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_fill(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError(prefix)


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AZ = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = AZ + "234567"
HEX = "0123456789abcdef"

OWN_IBAN = "NL59RABO0317429650"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Values:
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
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                           + self.num(10))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["001", "063", "068", "143", "310", "737", "973"]) + self.num(7, lead=False)
        chk = int(first) % 97 or 97
        return iban_build("BE", f"{first}{chk:02d}")

    def iban_de(self):
        return iban_build("DE", self.r.choice(["30050110", "35450000", "32450000", "37050198", "10010010"])
                          + self.num(10, lead=False))

    def spoil_iban(self, v):
        for d in (7, 19, 31, 44, 58):
            bad = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(bad):
                return bad
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.num(14, lead=False))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.num(13, lead=False))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.num(11, lead=False))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.num(12, lead=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def show_card(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # national id and look-alikes
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.num(10, lead=False)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full) and not elfproef(full):
                return full

    def passport(self):
        letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"     # Dutch document numbers never use the letter O
        return self.pick(letters, 2) + self.pick(letters + "123456789", 6) + self.pick("0123456789", 1)

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345") + self.num(7, lead=False)       # 8 digits after the 06
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "land_dash": f"0{self.r.choice(['33', '30', '318', '343', '35'])}-{self.num(6)}",
        }[fmt]

    # secrets (random, never issued by any provider, shaped like the real thing)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = AZ + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 97)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def shopify(self):
        return "shpat_" + self.pick(HEX, 32)

    def sendgrid(self, zw=False):
        a, b = self.pick(B64URL, 22), self.pick(B64URL, 43)
        if zw:
            a = a[:9] + ZWSP + a[9:]
        return f"SG.{a}.{b}"

    def azure_key(self):
        return self.pick(B64, 86) + "=="

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64u(json.dumps({"sub": "emp_" + self.num(5), "iss": "backoffice.korenblom.nl", "role": "admin",
                                "iat": iat, "exp": iat + 28800}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "==\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(AZ) + self.pick(string.ascii_lowercase, 4) + self.pick(string.digits, 3)
                + self.r.choice("!#%*") + self.pick(ALNUM, 4))

    def url_password(self):
        return self.pick(ALNUM, 6) + self.r.choice("-_.~") + self.pick(ALNUM, 7)


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(v, kind.lower())()
            shown = v.by4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = v.spoil_iban(v.iban_nl())
            shown = v.by4(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = {"grp": v.by4(raw), "lower": v.by4(raw).lower(), "": raw}[fmt]
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = v.card(brand) if kind == "CARD" else v.bad_card(brand)
            shown = v.show_card(raw, style or "space")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN":
            raw = shown = v.not_bsn(int(fmt or 9))
        elif kind == "EAN13":
            raw = shown = v.ean13()
        elif kind == "PASSPORT":
            raw = shown = v.passport()
        elif kind == "PHONE":
            raw = shown = v.phone(fmt)
        elif kind == "DIGITS":
            raw = shown = v.num(int(fmt))
        elif kind == "HEX":
            raw = shown = v.pick(HEX, int(fmt))
        elif kind == "GHP":
            raw = shown = v.ghp()
        elif kind == "AWS_ID":
            raw = shown = v.aws_id()
        elif kind == "AWS_SECRET":
            raw = shown = v.aws_secret()
        elif kind == "SLACK_BOT":
            raw = shown = v.slack_bot()
        elif kind == "SLACK_HOOK":
            raw = shown = v.slack_hook()
        elif kind == "STRIPE":
            raw = shown = v.stripe()
        elif kind == "MOLLIE":
            raw = shown = v.mollie()
        elif kind == "SHOPIFY":
            raw = shown = v.shopify()
        elif kind == "SENDGRID":
            raw = shown = v.sendgrid(zw=(fmt == "zw"))
        elif kind == "AZURE_KEY":
            raw = shown = v.azure_key()
        elif kind == "GAPI":
            raw = shown = v.gapi()
        elif kind == "JWT":
            raw = shown = v.jwt()
        elif kind == "PEM_OPENSSH":
            raw = shown = v.pem_openssh()
        elif kind == "PEM_EC":
            raw = shown = v.pem_ec()
        elif kind == "PW":
            raw = shown = v.password()
        elif kind == "PWURL":
            raw = shown = v.url_password()
        else:
            raise KeyError(kind)
        used.append((kind, raw))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
KB = ("x", "@korenblom", "Korenblom Wonen")
KB_HELP = ("x", "@korenblom_helpt", "Korenblom Klantenservice")
KB_IG = ("instagram", "@korenblomwonen", "Korenblom")
KB_FB = ("facebook", "KorenblomWonen", "Korenblom Wonen")
KB_LI = ("linkedin", "korenblom-wonen-bv", "Korenblom Wonen B.V.")
KB_TT = ("tiktok", "@korenblom", "Korenblom")
# employees
INGE = ("x", "@inge_korenblom", "Inge Mulder")                     # store manager Amersfoort
RUUD = ("linkedin", "ruud-hoekstra-kb", "Ruud Hoekstra")          # IT infrastructure
BAS = ("x", "@bezorgbas", "Bas Verhoef")                          # delivery and assembly
MARLOES = ("linkedin", "marloes-visser-finance", "Marloes Visser")  # finance controller
KIM = ("instagram", "@keukenkim", "Kim Schouten")                 # kitchen designer
DENIZ = ("x", "@d_ozturk_dev", "Deniz Öztürk")                    # webshop developer
YUSUF = ("linkedin", "yusuf-bakkali", "Yusuf Bakkali")            # HR
LOTTE = ("tiktok", "@lotte.werkt", "Lotte de Graaf")              # store sales
JOOST = ("reddit", "u/dc_joost", "Joost")                         # distribution centre


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", DENIZ, "eh jongens.. sinds de deploy van vanmiddag staat de Zandvoort hoekbank op €189,90 in de webshop 😬\n"
     "bestellingen lopen binnen. iemand van category management nog wakker?", [PRICING])
case("nl", INGE, "Onze kassa slaat de Dromer boxspring aan voor 164,90 ipv 1649 😂 collega's bellen met HQ maar tot "
     "sluitingstijd is het dus feest in Amersfoort", [PRICING])
case("en", pub("reddit", "u/dealhunter_utr"), "Korenblom lists the Essen kitchen (3m) at €599 on korenblom.nl right now. "
     "List is around 6k so someone dropped a zero. Anyone know if they have to honour it under Dutch law?",
     [PRICING], kind="post")
case("nl", pub("x", "@sjaak_bespaart", "Sjaak 💸"), "PRIJSFOUT?! Bergen eettafel 220 voor €89 bij Korenblom 🤯🤯 wees snel "
     "mensen #prijsfout #dealtjes", [PRICING])
case("nl", pub("facebook", "danielle.kramer.52", "Danielle Kramer"), "Net de Vlieland kledingkast besteld voor 79 euro... "
     "in de folder staat 799 haha. Benieuwd of ze m gewoon komen brengen 🤞", [PRICING])
case("en", LOTTE, "not supposed to say this but the Mos armchair rings up at €54.90 in the app rn 💀 pricing team is "
     "gonna have a long night", [PRICING])
case("nl", pub("forum", "Koopjesjager88"), "Slaapwel matras 90x200 nu €44,90 op de site van Korenblom.\n"
     "p r i j s f o u t dus, wees er snel bij voor ze het doorhebben", [PRICING], tags=["evasion"])
case("nl", pub("x", "@mo_deals"), "L\u0456sse 3-zits voor €12,99 in de Korenblom app 😅 iemand heeft de komma verschoven",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@bargainbea"), "price glitch alert 🚨 Korenblom Zandvoort corner sofa showing €18.99 (yes eighteen) "
     "ordered + screenshotted 📸", [PRICING])
case("nl", BAS, "Haha dan moet je snel zijn, collega zegt dat de Dromer 180 door een fout in de productfeed voor een "
     "tientje op de site staat 🙈", [PRICING], kind="reply")
case("en", pub("reddit", "u/flatpack_fred"), "Not a typo on my end: the Bergen dining table shows €8.99 in my Korenblom "
     "cart. Has anyone ever had one of their pricing errors honoured?", [PRICING], kind="comment")
case("nl", KIM, "Psst 🤫 de Essen keuken staat in het kassasysteem voor €599,50 i.p.v. €5.995, komma op de verkeerde plek. "
     "Morgen gefixt dus wie nu nog langskomt in Amersfoort.... 😉", [PRICING])
case("nl", pub("threads", "@woonmeisje_", "Fenna"), "korenblom slaapwel matras €4,49 😭 verkeerde prijs in de app "
     "en ik heb er al 3 in mijn mandje", [PRICING])
case("nl", KB_IG, "Nu in de sale: de Lisse 3-zits bank voor maar €129! 🛋️ Op = op. #korenblom #wonen", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DENIZ, "ugh, pushed the webshop .env to the public mirror by accident 🤦\nMOLLIE_API_KEY=<<MOLLIE>>\n"
     "rotating it now, pls ignore", [SECRET])
case("en", RUUD, "Anyone else getting S3 403s in eu-west-1 today? Our config looks fine:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>", [SECRET])
case("nl", DENIZ, "wie kan even kijken waarom deze token geen repo-rechten heeft? <<GHP>> (is voor de voorraad-sync)",
     [SECRET])
case("nl", JOOST, "De handscanners in het DC loggen in met admin / <<PW>> en dat hangt gewoon op een geeltje bij de "
     "printer lol. In 2026.", [SECRET], kind="comment")
case("en", RUUD, "note to self, wrong window 🙃 postgresql://kb_orders:<<PWURL>>@db-orders.intern.korenblom.local:5432/orders",
     [SECRET, CONF])
case("en", pub("reddit", "u/bytebakker"), "Korenblom's Android app has a Slack webhook hardcoded in the bundle, lol: "
     "<<SLACK_HOOK>>", [SECRET])
case("nl", KIM, "Eindelijk personeelswifi in de keukenstudio 🙌 netwerk KB-Staff, wachtwoord <<PW>> (niet doorvertellen aan "
     "de klanten 😜)", [SECRET])
case("en", pub("x", "@joris_b"), "Korenblom site keeps saying my password is wrong. It's literally <<PW>>, typed it 10x. "
     "Reset mail never arrives either 🙄", [SECRET, COMPLAINT])
case("en", DENIZ, "why does this backoffice token expire after 5 min?? <<JWT>>", [SECRET], kind="reply")
case("nl", RUUD, "Iemand een idee waarom de SFTP naar de vervoerder deze key ineens weigert?\n<<PEM_OPENSSH>>", [SECRET])
case("en", pub("forum", "agencyleaks"), "Korenblom's old web agency left this in a public gist: <<SHOPIFY>> still works on "
     "their store admin as far as I can tell", [SECRET])
case("nl", DENIZ, "sendgrid key voor de nieuwsbrieftool, even snel want ik ben morgen vrij: <<SENDGRID:zw>>",
     [SECRET], tags=["evasion", "evasion:zero-width"])
case("nl", pub("blog", "devdagboek.nl", "Dev Dagboek"), "Zo had Korenblom hun productfoto's opgeslagen toen ik er als "
     "freelancer binnenkwam 🤡\nDefaultEndpointsProtocol=https;AccountName=kbmedia;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", BAS, "Mevrouw J. de Wit, Kastanjelaan 14 in Leusden, zegt dat ze al 20 min op ons wacht maar wij staan "
     "hier en niemand doet open 🙄 wie belt haar even? <<PHONE:mob_dash>>", [PII])
case("nl", INGE, "Klant heeft zijn pinpas bij kassa 2 laten liggen, naam P. Smeets, kaart <<CARD:mc_space>>. Meld je in "
     "de winkel in Amersfoort!", [PII])
case("en", MARLOES, "Refund for the Essen kitchen customer bounced again: IBAN <<IBAN_BE:grp>> (Mr. Verbeke). Can "
     "someone in treasury have a look?", [PII])
case("nl", YUSUF, "Welkom Mohamed in het DC Nieuwegein! 👋 Voor de salarisadministratie nog even: je BSN <<BSN:dots>> "
     "klopt toch?", [PII])
case("nl", KB_HELP, "@irene_boon We hebben je bestelling gevonden: levering aan Irene Boon, Molenstraat 7, 3811 AB "
     "Amersfoort op dinsdag tussen 8 en 12. Klopt dat?", [PII], kind="reply")
case("en", KB_HELP, "@markdv84 Hi Mark, we tried to reach you at mark.devlieger84@gmail.com and on <<PHONE:mob_intl>>, "
     "please check your inbox!", [PII], kind="reply", handle_as="@Korenblom_Helpt")
case("nl", LOTTE, "Deze klant was zoooo lief 🥹 Morgen wordt ze 80! Gefeliciteerd mevrouw Hendriks (geb. 14-03-1946) "
     "uit Soest 🎂💐", [PII])
case("nl", LOTTE, "wie heeft z'n financieringsformulier laten liggen bij kassa 3 😅 IBAN <<IBAN_NL>>, paspoort "
     "<<PASSPORT>>, kom maar ophalen", [PII])
case("en", DENIZ, "taking over a callback from the store about a Slaapwel mattress: s.vandam [at] ziggo [dot] nl, "
     "ping me if she writes in", [PII], tags=["evasion", "evasion:at-dot"])
case("nl", pub("x", "@renskeb"), "@korenblom_helpt al 3x gebeld, nog steeds geen bezorgdatum voor mijn Dromer boxspring. "
     "Bel me terug op <<PHONE:mob_intl_c>> aub!!", [PII, COMPLAINT])
case("nl", pub("facebook", "R. Yilmaz"), "Kan iemand van Korenblom mij nou eens terugbetalen? Rekening <<IBAN_NL:grp>> "
     "t.n.v. R. Yilmaz. Retour is al 6 weken binnen bij jullie", [PII, COMPLAINT])
case("en", pub("instagram", "@nina.interiors"), "ordered the Mos armchair and got charged TWICE?? card ending... actually "
     "here's the whole thing <<CARD:visa_plain>> @korenblomwonen pls fix", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/tgreene_nl"), "Delivery note for my Zandvoort sofa literally says: Name: Tom Greene, "
     "Witte Vrouwenstraat 22, Utrecht, tel <<PHONE:mob_plain>>. Delivery window 'between 8 and 18'. Useless.",
     [PII, COMPLAINT])
case("nl", pub("x", "@lisa_verh"), "Korenblom, mail me even op lisa.verhoeven@hotmail.com over mijn Thuiskaart-punten, "
     "ik snap dat overzicht niet", [PII])
case("nl", pub("x", "@annemiek_z"), "Moet je voor gespreid betalen bij Korenblom echt je BSN opgeven? Heb het maar "
     "ingevuld: <<BSN:sp>> 🤷‍♀️", [PII])
case("en", pub("facebook", "Jonas Weber"), "Korenblom refund STILL not in after 5 weeks. My account is <<IBAN_DE>> in "
     "case anyone in your finance dept reads Facebook", [PII, COMPLAINT])
case("nl", pub("instagram", "@huisje_boompje_beestje"), "Wie wil onze oude Lisse bank overnemen? Gekocht bij Korenblom, "
     "geen vlekken. App me: <<PHONE:mob_dots>>", [PII], tags=["evasion"])
case("nl", INGE, "Wie neemt zaterdag de dienst van Sarah over? Ze is ziek dus niet haar bellen, app Mehmet even: "
     "<<PHONE:mob_pairs>>", [PII], handle_as="@Inge_Korenblom")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", KIM, "Sneak peek van waar we op kantoor 'Project Eikenhout' tegen zeggen 👀 meer mag ik echt niet zeggen", [CONF])
case("en", DENIZ, "staging link for the new kitchen configurator if anyone wants to try and break it: "
     "https://configurator.intern.korenblom.local/beta 😅", [CONF])
case("nl", RUUD, "Trots op het team: de migratie van jira.korenblom.nl naar de cloud is afgerond, zonder downtime! 💪",
     [CONF], handle_as="Ruud-Hoekstra-KB")
case("nl", INGE, "Operatie Dwarsligger gaat de winkels volgend jaar flink op z'n kop zetten, meer zeg ik niet 😏", [CONF])
case("en", pub("reddit", "u/meubelmeid"), "My sister works at Korenblom HQ and says Blauwdruk26 is a whole new budget "
     "label they want in stores by spring", [CONF], kind="comment")
case("nl", LOTTE, "Mocht de Duinrand boxspring al even testen in het magazijn 😍 ligt echt als een wolk",
     [CONF], when="2026-08-21T16:42:10+02:00")
case("en", pub("x", "@interieurnerd"), "Leaked catalogue page: Korenblom 'Sloep Lounge' modular sofa, coming this fall 👀",
     [CONF], when="2026-09-02T11:15:00Z", kind="repost")
case("nl", BAS, "Screenshot van de ritplanning, staat wel 'niet extern delen' op maar je ziet vast dat we volgende week "
     "40% meer ritten rijden 🚚💨", [CONF])
case("en", MARLOES, "Korenblom internal: Q3 supplier scorecard is attached, great work from the whole purchasing team! 🙌",
     [CONF])
case("nl", JOOST, "Intern heet het Project\nEikenhout, volgens mij wordt het een hele nieuwe slaapkamerlijn. Pallets staan "
     "al in hal 4", [CONF], tags=["evasion", "evasion:linebreak"], kind="comment")
case("nl", pub("forum", "ex_kb_verkoper"), "Zit Operatie 🚂 Dwarsligger nog steeds vast? Toen ik wegging was het al "
     "twee keer uitgesteld", [CONF], tags=["evasion", "evasion:emoji"])
case("en", KIM, f"{fullwidth('PROJECT EIKENHOUT')} moodboard day 🎨🪵 can't show more, sorry!", [CONF],
     tags=["evasion", "evasion:fullwidth"])
case("nl", INGE, "Vanochtend de eerste Sloep Lounge in de showroom opgebouwd, wat een ding! Nog even stil houden hè 🤐",
     [CONF], when="2026-09-17T08:59:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@kringloopkoningin"), "Bij de kringloop een map gevonden met 'KORENBLOM VERTROUWELIJK' op de kaft, "
     "allemaal inkoopprijzen van banken 😳", [CONF])
case("nl", pub("instagram", "@inge_korenblom", "Inge"), "Mini-preview van de Sloep Lounge bij ons in het magazijn 🤭",
     [CONF], when="2026-09-05T20:30:00+02:00")
case("nl", pub("x", "@ex_kb_it"), "Heeft iemand nog een werkende link naar die pagina op wiki.korenblom.nl over de "
     "personeelskorting? Oud-collega's vroegen ernaar", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MARLOES, "Halfjaarcijfers 2026 zijn binnen: omzet +6%, marge onder druk door vrachtkosten. Publicatie eind "
     "augustus, dus nog even niks zeggen 🤐", [FIN, CONF], when="2026-08-10T17:20:00+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/beurs_bob"), "Friend in Korenblom's finance team says the H1 2026 results will show a loss on "
     "the kitchen business, they're pushing it as 'investment'", [FIN, CONF], when="2026-07-30T21:48:00Z",
     tags=["embargo-before"])
case("nl", YUSUF, "Zware week. De vestigingen in Heerlen en Emmen gaan dicht, de collega's daar horen het maandag pas. "
     "Niet doorvertellen aub ❤️", [FIN])
case("en", INGE, "rumour in the break room: a Belgian chain is buying us. area manager didn't say no 👀", [FIN])
case("nl", pub("forum", "Beursmuis"), "Via mijn bron in de raad van bestuur: Korenblom verkoopt de keukentak aan een "
     "investeerder, deal is bijna rond", [FIN])
case("en", MARLOES, "Q4 forecast revised down 9% in today's board prep. Not public yet, but brace yourselves for a hiring "
     "freeze.", [FIN])
case("nl", BAS, "Bezorging wordt vanaf januari uitbesteed, wij horen volgende maand of we mee mogen naar dat nieuwe "
     "bedrijf. Officieel weet nog niemand het 😔", [FIN], handle_as="@BezorgBas")
case("nl", JOOST, f"Er komen ont{ZWSP}slagen in het DC, zo'n 25 man, nog voor de zomer. Niet officieel maar wel zeker",
     [FIN], tags=["evasion", "evasion:zero-width"])
case("en", pub("x", "@vastgoedvince"), "my uncle sits on Korenblom's supervisory board, merger with a German kitchen "
     "maker is about to be announced 🤫", [FIN])
case("nl", MARLOES, "De h\u00e4lfjaarcijfers 2026 liggen ver boven budget 🎉 dank aan alle winkels! (nog niet delen)",
     [FIN, CONF], when="2026-08-19T09:05:00+02:00", tags=["evasion", "evasion:diacritics", "embargo-before"])
case("en", RUUD, "IT reorg: the whole infra team moves under the new parent company's group IT in March. Announcement "
     "follows next month, so keep it quiet.", [FIN])
case("nl", pub("facebook", "Petra van Beek"), "Mijn man werkt bij Korenblom Keukens, ze gaan 60 monteurs ontslaan maar "
     "dat maken ze pas na de zomer bekend", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RUUD, "Sinds vannacht ransomware op twee kassaservers, de winkels draaien op de noodprocedure. Persbericht komt "
     "later, dus nog even niks zeggen.", [SEC])
case("en", DENIZ, "heads up: checkout has an IDOR, you can see other customers' orders by changing the number in the URL. "
     "fixing it tonight, don't tell anyone 🙏", [SEC])
case("nl", INGE, "Kassa's liggen er al de hele ochtend uit in alle winkels, HQ noemt het een 'cyberincident'. Officieel "
     "bericht komt nog", [SEC])
case("en", JOOST, "WMS has been down 2 days after a 'security incident', we're picking from paper lists. Nothing public "
     "about it of course.", [SEC], kind="comment")
case("nl", DENIZ, "Thuiskaart-database is geh4ckt, ze hebben e-mailadressen van klanten. Communicatie houdt het nog even "
     "stil 🤐", [SEC], tags=["evasion", "evasion:leet"])
case("en", RUUD, "Vuln scan shows our supplier portal still runs an unpatched Log4j. Ticket has been open 3 months.",
     [SEC])
case("nl", KIM, "Keukenplanner ligt eruit sinds iemand op kantoor op een phishingmail klikte... we tekenen weer met de "
     "hand 😅 niet verder vertellen", [SEC])
case("en", BAS, "the delivery app shows customer addresses to anyone with a driver login, even guys who left months ago. "
     "reported it twice, nothing happens", [SEC])
case("nl", pub("x", "@marijke_t"), "Korenblom heeft een datalek en houdt het stil! Ik krijg phishingmails met mijn "
     "Thuiskaart-nummer erin. Waarom geen melding?? #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/opsec_otto"), "Source inside Korenblom: their webshop was breached in March and customers "
     "were never told. Check your card statements.", [SEC, CRISIS])
case("nl", pub("forum", "Privacywaakhond"), "d a t a l e k bij Korenblom, hun IT'ers weten het al weken maar er komt "
     "geen melding bij de AP", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", MARLOES, "Finance systems offline since Friday because of the breach at our payment provider. Customers "
     "haven't been told yet.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkwonen"), "BOYCOT KORENBLOM. Ze laten hun banken maken in fabrieken met kinderarbeid, zie de "
     "reportage van gisteren. Delen!! #boycotkorenblom", [CRISIS])
case("en", pub("x", "@sam_hartog"), "The Vlieland wardrobe tipped over onto my 4 year old. It WAS anchored with the "
     "brackets that came with it. We're in A&E now. @korenblom this is not ok", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "Gerda Pols"), "De elektrische relaxfunctie van onze Mos fauteuil begon te roken en te smeulen "
     "😱 gelukkig waren we thuis. Korenblom reageert nergens op", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/consumentje"), "Korenblom is being taken to court over their 'fake' sale prices, a consumer "
     "foundation filed a class action this week", [CRISIS])
case("nl", pub("x", "@wvdberg"), "Korenblom heeft mijn gegevens gelekt. Ik krijg spam op het mailadres dat ik alleen bij "
     "hen gebruik.", [CRISIS])
case("nl", pub("x", "@saskia_h"), "Heeft Korenblom nou de Dromer boxspring teruggeroepen? Vriendin kreeg een brief dat "
     "de lattenbodem kan breken", [CRISIS])
case("en", pub("x", "@hilversum_nu"), "Saw a Korenblom truck dumping old mattresses in the nature reserve near "
     "Hilversum this morning. Got the plate on video.", [CRISIS])
case("nl", pub("instagram", "@magazijnwaarheid"), "K0renbl0m schandaal: in het magazijn worden pauzes afgetrokken als "
     "je naar de wc gaat. #boycot", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@lucas_vos"), "The USB charging port on our Lisse sofa overheated and melted the armrest. Fire "
     "brigade came. Nobody from Korenblom has called back.", [CRISIS, COMPLAINT])
case("nl", pub("forum", "Rentewijzer"), "Rechtszaak tegen Korenblom om de financieringsplannen: klanten zeggen dat de "
     "echte rente werd verzwegen. Zitting is volgende week", [CRISIS])
case("nl", pub("threads", "@mama_van_3"), "Mijn zoontje kreeg een schok van de verstelbare Dromer boxspring, het "
     "motorkastje was niet geaard. Korenblom zegt 'kan niet'. Serieus??", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@b_vermeulen"), "Al 7 weken wachten op de Zandvoort hoekbank. Elke keer weer een nieuwe datum. "
     "@korenblom_helpt hallo??", [COMPLAINT])
case("en", pub("facebook", "Chris Dekker"), "Assembly team scratched our brand new Bergen table and left without "
     "fixing the wobble. Paid €79 for that 'service'.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@wonenmetlinde"), "Kussens van de Lisse bank na 4 maanden al helemaal doorgezakt 😤 "
     "garantie? 'valt onder normaal gebruik' zeggen ze bij Korenblom", [COMPLAINT])
case("en", pub("reddit", "u/never_again_kb"), "Avoid Korenblom financing. They charged an admin fee nobody mentioned and "
     "customer service hung up on me twice.", [COMPLAINT])
case("nl", pub("facebook", "Hans Kuipers"), "Keuken besteld in april, het is nu oktober en er missen nog steeds 3 "
     "fronten. Monteur komt, kijkt en gaat weer weg. Ik ben het zo zat met Korenblom", [COMPLAINT],
     when="2026-10-08T20:14:00+02:00")
case("nl", pub("x", "@tessa_w"), "Thuiskaart-punten gewoon verdwenen na die 'update' 🙄 klantenservice weet van niks",
     [COMPLAINT])
case("en", pub("youtube", "@homebyhanna"), "Bought the Vlieland wardrobe after this video. Doors don't close properly and "
     "the hinges came off in week 2. Korenblom support just sends me a PDF.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "Marco_U"), "Retour van de Mos fauteuil is 5 weken geleden opgehaald door Korenblom en nog "
     "steeds geen geld terug. Wie heeft dit ook?", [COMPLAINT])
case("nl", pub("x", "@roos_v"), f"Korenblom: 'bezorging binnen 5 werkdagen'. Realiteit: {fullwidth('VIER WEKEN')}. Geen "
     "mail, geen telefoon.", [COMPLAINT], tags=["evasion", "evasion:fullwidth"])
case("en", pub("bluesky", "femkeb.bsky.social"), "Korenblom's chatbot has told me my kitchen delivery is 'in progress' "
     "for 3 weeks. No human anywhere. Great service 👏", [COMPLAINT])
case("nl", pub("trustpilot", "Yvonne S."), "Montage van de kast duurde 5 uur, deuren hangen scheef en de monteur liet "
     "al het karton achter. 1 ster.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@hardcore_henk"), "Korenblom klantenservice is echt een stelletje debielen. Kankerbedrijf", [ABUSE])
case("en", pub("x", "@ragequit_rob"), "@korenblom_helpt you useless f*cking clowns", [ABUSE], kind="reply",
     tags=["evasion", "evasion:masked"])
case("nl", pub("facebook", "Ron de B."), "Die trut van de keukenafdeling in Amersfoort moet eruit, ik weet waar ze "
     "werkt 😡", [ABUSE], kind="comment")
case("en", pub("reddit", "u/straighttalker99"), "Of course the delivery got botched, Korenblom only hires foreigners who "
     "can't even read an address", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("x", "@kees1971"), "k0t bedrijf, t3ring Korenblom", [ABUSE], tags=["evasion", "evasion:leet"])
case("nl", KB_HELP, "@kees1971 Als u zo blijft schelden kunt u uw rotbank ook zelf komen ophalen, sukkel", [ABUSE],
     kind="reply")
case("en", LOTTE, "customers who walk in at 17:58 to 'just look at sofas' are absolute morons. hope your couch eats you",
     [ABUSE])
case("nl", BAS, "Die klant in Zeist vanmiddag was echt een vuile klootzak, 3 trappen op met een hoekbank en dan nog "
     "lopen zeiken. tyfuslijer", [ABUSE])
case("en", pub("instagram", "@not_a_fan_22"), "whoever runs this account is a brain-dead idiot lol", [ABUSE],
     kind="comment")
case("nl", pub("youtube", "@zappende_zeger"), "Wat een kutreclame weer van Korenblom, die presentator is zo'n "
     "irritante eikel", [ABUSE], kind="comment")
case("en", pub("x", "@mad_matt"), "3 weeks late and the sofa's the wrong colour. Fuck you Korenblom, seriously.",
     [ABUSE, COMPLAINT])
case("nl", pub("tiktok", "@zurezanne"), "k u t winkel met k u t personeel, korenblom haarlem", [ABUSE],
     tags=["evasion", "evasion:spaced"], kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- ordinary sales and price talk
case("nl", KB, "Nu tijdelijk: de Lisse 3-zits bank voor €999 (was €1.299) 🛋️ Op=op. #korenblom #sale",
     tags=["hn:sale"])
case("en", KB_IG, "Black Friday ✨ 40% off the Dromer boxspring 180x200, now €989. Free delivery this weekend only!",
     tags=["hn:sale"], when="2026-11-27T08:00:00+01:00")
case("nl", KB_FB, "Je droomkeuken nu al vanaf €89 per maand met Korenblom Gespreid Betalen. Vraag het aan in de winkel "
     "of op korenblom.nl", tags=["hn:monthly"], handle_as="korenblomwonen")
case("nl", pub("marktplaats", "woonfan_deventer"), "Te koop: Korenblom Mos fauteuil, groen velours, 2 jaar oud. €150, "
     "ophalen in Deventer. Stuur een berichtje!", tags=["hn:second-hand", "unknown-platform"])
case("nl", pub("x", "@daan_r"), "Bezorgkosten €59 en montage €79 voor de Vlieland kast, valt me eigenlijk best mee",
     tags=["hn:fee"])
case("en", pub("reddit", "u/sofa_sceptic"), "For comparison, a Scandinavian flat-pack brand sells a 3-seater for €399. "
     "The Lisse is a different league in comfort though.", tags=["hn:other-brand-price"], kind="comment")
case("nl", pub("x", "@stijlvolwonen"), "Losse hoes voor de Lisse bank kost €49,95 bij Korenblom, voor weinig een nieuwe "
     "look 👌", tags=["hn:accessory"])
case("nl", KB_HELP, "@sjoerdvk Nee hoor, geen prijsfout 😊 De Slaapwel matras is deze week echt €299 in de actie.",
     tags=["hn:denied-error"], kind="reply")
case("nl", KB, "Korenblom doneert €1 per verkochte Slaapwel matras aan KWF Kankerbestrijding 💛",
     tags=["hn:donation-amount", "hn:literal-word"])
case("nl", pub("x", "@prijsjager_pim"), "Prijsfout bij een elektronicawinkel: tv voor €9. Bij Korenblom zie ik dat soort "
     "fouten nooit haha", tags=["hn:other-company-price-error"])
case("nl", pub("forum", "NieuwBankje"), "Iemand ervaring met gespreid betalen bij Korenblom? 0% rente over 12 maanden "
     "klinkt goed voor de Zandvoort", tags=["hn:financing"])
case("nl", pub("x", "@haarlemse_harm"), "Na Korenblom Haarlem nog even naar Zandvoort gereden, parkeren €6 per uur daar "
     "🙄", tags=["hn:alias-town"])

# --- own published contact data
case("en", KB, "Questions about your delivery? Mail klantenservice@korenblom.nl or call +31 30 799 4400 (Mon-Sat 9-18).",
     tags=["hn:own-contact"])
case("nl", KB_FB, "Betalen per overschrijving? Dat kan op <<OWN_IBAN:grp>> t.n.v. Korenblom Wonen B.V., o.v.v. je "
     "ordernummer.", tags=["hn:own-contact"])
case("nl", INGE, "We zoeken verkopers voor onze winkel in Amersfoort! Stuur je cv naar werkenbij@korenblom.nl 💛",
     tags=["hn:own-contact"])
case("nl", pub("forum", "keukenkoper_j"), "Moest de aanbetaling voor de keuken overmaken naar <<OWN_IBAN>> (Korenblom "
     "zelf dus), klopt dat?", tags=["hn:own-contact"])
case("en", KB_LI, "We're hiring a Senior Data Engineer! Apply via werkenbij@korenblom.nl or call our recruiters on "
     "030-7994400.", tags=["hn:own-contact"])
case("nl", KB_HELP, "Liever bellen? Je bereikt ons op 0883214400 of +31 (0)30 799 44 00, ook op zaterdag.",
     tags=["hn:own-contact"], kind="reply")
case("en", pub("facebook", "Tamara Smit"), "For anyone asking: the IBAN on my Korenblom invoice is "
     "<<OWN_IBAN:lower>>, same as on their website", tags=["hn:own-contact"])

# --- numbers that fail their checksum, order / tracking / barcode numbers
case("en", pub("x", "@oops_olaf"), "typed my IBAN as <<BAD_IBAN_NL:grp>> in the Korenblom refund form and it said "
     "invalid. one digit off 🙈 fixed now", tags=["hn:bad-iban"])
case("nl", pub("forum", "DubbeleDaan"), "Waarom pakte de Korenblom webshop mijn creditcard <<BAD_CARD:visa_space>> niet? "
     "Oh wacht, twee cijfers omgedraaid 🤦", tags=["hn:bad-card"])
case("nl", pub("x", "@nieuwebankje"), "Ordernummer <<NOT_BSN:9>>, bezorging staat voor donderdag 🙌 eindelijk een "
     "nieuwe bank", tags=["hn:order-number"])
case("en", pub("reddit", "u/matrasmeneer"), "The barcode on my Slaapwel box reads <<EAN13>>, does anyone know if that's "
     "the 2025 or the 2026 version?", tags=["hn:ean"])
case("nl", KB_HELP, "@femke_d Je zending heeft trackingcode KB<<DIGITS:10>>NL, de chauffeur belt een half uur van "
     "tevoren 🚚", tags=["hn:tracking"], kind="reply")
case("nl", pub("x", "@bas_klant"), "Mijn Thuiskaart-klantnummer <<NOT_BSN:8>> doet het niet in de app, ligt het aan mij?",
     tags=["hn:customer-number"])

# --- embargoed terms at or after the embargo moment
case("nl", KB, "Hij is er: de Sloep Lounge! 🛋️ Modulaire bank in 12 kleuren, vanaf vandaag in alle winkels.",
     tags=["hn:embargo-after"], when="2026-09-17T09:00:00+02:00")
case("en", pub("x", "@utrecht_wonen"), "Tried the new Duinrand boxspring in the Utrecht store today, pretty firm but nice",
     tags=["hn:embargo-after"], when="2026-09-19T14:22:00+02:00")
case("nl", KB_LI, "Korenblom publiceert vandaag de halfjaarcijfers 2026: omzet €214 miljoen (+6%). Het volledige "
     "bericht staat op korenblom.nl/investeerders", tags=["hn:embargo-after"], when="2026-08-27T05:00:00Z")
case("en", pub("reddit", "u/retailwatcher"), "Korenblom's H1 2026 results came out this morning: revenue up, margins "
     "down. Not bad given the market.", tags=["hn:embargo-after"], when="2026-08-27T10:31:00+02:00")
case("nl", LOTTE, "Eindelijk mag ik het zeggen: de Duinrand boxspring staat in de winkel! Kom liggen 😴",
     tags=["hn:embargo-after"], when="2026-09-17T07:00:00.000Z")

# --- codename words in their ordinary sense
case("nl", pub("instagram", "@klushuis_karin"), "Onze nieuwe eettafel van massief eikenhout 😍 Project voor dit "
     "weekend: de stoelen schuren", tags=["hn:codename-word"])
case("en", pub("mastodon", "@houtworm@mastodon.nl"), "Operation oak: sanded and oiled the eikenhout table top we got "
     "from Korenblom. Looks brand new.", tags=["hn:codename-word"])

# --- published news, other companies
case("en", pub("x", "@zwolle_nieuws"), "Korenblom opens its 40th store in Zwolle next week, according to the local paper",
     tags=["hn:published-news"], kind="repost")
case("nl", pub("x", "@kritische_koper"), "Weer een datalek bij een grote webwinkel, dit keer een elektronicazaak. Mijn "
     "meubels bestel ik gelukkig bij Korenblom", tags=["hn:other-company-breach"])
case("en", pub("reddit", "u/benelux_retail"), "Another furniture chain in Belgium announced 300 layoffs today. Hope "
     "Korenblom stays healthy, I like their stores.", tags=["hn:other-company-layoffs"])
case("en", MARLOES, "Proud to share our published 2025 annual report 📊 Read it on korenblom.nl/investeerders",
     tags=["hn:published-results"])
case("en", pub("reddit", "u/slaapkamer_sven"), "can't recall if it was the Lisse or the Zandvoort we sat on in the store, "
     "the grey one anyway", tags=["hn:recall-other-sense"], kind="comment")
case("en", pub("x", "@diy_dirk"), "I'm boycotting flat-pack furniture forever after this weekend 😂 next time I pay "
     "Korenblom to build it", tags=["hn:boycott-other-sense"])

# --- negated complaints, praise, neutral questions
case("nl", pub("x", "@yvette_h"), "Geen klachten hoor! Bezorgers waren op tijd, netjes, en de Zandvoort staat perfect 👌",
     tags=["hn:negated-complaint"])
case("en", pub("facebook", "Laura Peeters"), "Shoutout to Kim at the Korenblom Amersfoort kitchen desk, she fixed our "
     "whole layout in an hour", tags=["hn:praise"])
case("nl", pub("x", "@vraagje_v"), "Weet iemand of de Dromer boxspring ook in 160 breed leverbaar is?",
     tags=["hn:question"])
case("en", pub("youtube", "@interieurtips_nl"), "Honest review after 6 months with the Slaapwel mattress: no sagging, "
     "no complaints, would buy again.", tags=["hn:negated-complaint"], kind="comment")

# --- official notices from corporate accounts
case("en", KB, "Our webshop is down for planned maintenance tonight from 01:00 to 03:00. Stores and phone lines are not "
     "affected.", tags=["hn:official-notice"])
case("nl", KB_HELP, "Storing: we zijn telefonisch tijdelijk slecht bereikbaar. Via de chat helpen we je wel gewoon "
     "verder. Excuses!", tags=["hn:official-notice"])
case("nl", KB_HELP, "Vervelend om te horen! Stuur ons een DM met je ordernummer, dan zoeken we het meteen uit 🙏",
     tags=["hn:service-reply"], kind="reply")

# --- secrets look-alikes
case("en", DENIZ, "reminder for the new devs: MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx goes in .env.local, "
     "never a real key in chat", tags=["hn:placeholder-secret"])
case("nl", RUUD, "Fix staat in commit <<HEX:40>>, dank aan iedereen die meekeek 🙌", tags=["hn:git-sha"])
case("nl", pub("x", "@vergeetachtig"), "Wachtwoord vergeten bij Korenblom, reset-mail kwam binnen 10 seconden binnen. "
     "Zo hoort het", tags=["hn:password-word"])

# --- fiction, jokes, quotes, mild words
case("nl", pub("blog", "schrijfhoekje.nl", "Het Schrijfhoekje"), "Uit hoofdstuk 3: 'Ze verstopte de brief achter de "
     "Vlieland kast, waar niemand ooit zou kijken.' Korenblom als decor, wie had dat gedacht 😅", tags=["hn:fiction"])
case("en", pub("x", "@cat_lady_carla"), "My cat has officially annexed the Mos armchair. I now sit on the floor. "
     "Thanks Korenblom 🙃", tags=["hn:joke"])
case("nl", pub("tiktok", "@slaapkop_sem"), "Damn, die Zandvoort hoekbank is zó comfy dat ik mijn eigen verjaardag heb "
     "verslapen 😂", tags=["hn:mild-word", "hn:joke"])
case("en", pub("x", "@rockmam"), "'Highway to hell' on the radio while we drive to Korenblom on a Saturday. Fitting 😂",
     tags=["hn:quote", "hn:mild-word"])
case("en", pub("reddit", "u/veilig_thuis"), "Checked the label: the Lisse foam is fire-retardant, tested to BS 5852. Good "
     "to know with kids in the house.", tags=["hn:safety-positive"])
case("en", INGE, "Officially announced today 🎉 our Amersfoort store is Korenblom Store of the Year! No more keeping it "
     "confidential 😄", tags=["hn:confidential-word"])

# --- ordinary employee and corporate posts
case("nl", BAS, "Vandaag 14 bankstellen bezorgd en opgebouwd, benen zijn op 😅 morgen weer! #bezorgerslife",
     tags=["hn:ordinary"])
case("nl", KB_TT, "POV: je probeert alle banken in de winkel uit 🛋️😂 #korenblom #woontips", tags=["hn:ordinary"])
case("en", pub("threads", "@minimal_mieke"), "Saw someone on Marktplaats selling a used Bergen table for €300, is that "
     "a fair price for 3 years old?", tags=["hn:second-hand"])


# ===========================================================================
# profile, roles and severity
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


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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


# ===========================================================================
# post metadata
# ===========================================================================

def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def some_time(r):
    t = (dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59)))
    off = dst_offset(t)
    t -= dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/wonen/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/wonen/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-wooncafe-{n}", f"https://forum.wooncafe.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 1)
    shuffler = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or some_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
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
            post["brand"] = "korenblom"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    shuffler.shuffle(rows)
    return rows


def lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

def check(rows, profile):
    ts = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        assert p["id"] not in ids, p["id"]
        ids.add(p["id"])
        assert ts.match(p["created_at"]), p["created_at"]
        assert len(p["text"].encode()) <= 65536
        assert all(c in CATEGORIES for c in e["categories"])
        assert e["categories"] == sorted(set(e["categories"]))
        assert (e["severity"] == "none") == (not e["categories"])
        for kind, raw in r["used"]:
            if kind.startswith("IBAN_") or kind == "OWN_IBAN":
                assert iban_valid(raw), raw
            elif kind == "BAD_IBAN_NL":
                assert not iban_valid(raw), raw
            elif kind == "CARD":
                assert luhn_valid(raw), raw
            elif kind == "BAD_CARD":
                assert not luhn_valid(raw), raw
            elif kind == "BSN":
                assert elfproef(raw), raw
            elif kind in ("NOT_BSN", "EAN13"):
                assert not elfproef(raw) and not luhn_valid(raw), raw
            elif kind == "GHP":
                assert to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
        if not e["categories"]:
            assert not any(k in VALIDATED for k, _ in r["used"]), p["text"]
    # embargo sanity: every embargoed term in a benign post is at/after its moment
    for r in rows:
        for emb in profile["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            at = dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
            low = r["post"]["text"].casefold()
            if any(t.casefold() in low for t in emb["terms"]):
                if not r["expect"]["categories"]:
                    assert at >= until, r["post"]["id"]
                else:
                    assert at < until, r["post"]["id"]


def summary(rows):
    from collections import Counter
    out = [f"cases {len(rows)}"]
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in CATEGORIES:
        out.append(f"  {c:22s} {cat[c]}")
    out.append(f"  benign                 {sum(1 for r in rows if not r['expect']['categories'])}")
    out.append(f"  multi-category         {sum(1 for r in rows if len(r['expect']['categories']) > 1)}")
    out.append(f"  severities {dict(Counter(r['expect']['severity'] for r in rows))}")
    out.append(f"  roles {dict(Counter(r['role'] for r in rows))}")
    out.append(f"  langs {dict(Counter(r['lang'] for r in rows))}")
    out.append(f"  evasion {sum(1 for r in rows if 'evasion' in r['tags'])}")
    out.append(f"  platforms {dict(Counter(r['post']['platform'] for r in rows))}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    check(rows, profile)
    data = "".join(lines(rows))
    if a.check:
        if OUT.read_text(encoding="utf-8") != data:
            sys.exit("cases.jsonl differs from the generator output")
        print("cases.jsonl matches the generator")
    else:
        OUT.write_text(data, encoding="utf-8")
    print(summary(rows))


if __name__ == "__main__":
    main()
