#!/usr/bin/env python3
"""Blind evaluation set sealed77 for postwatch: fictional Dutch parcel carrier
"Snelpak Pakketdiensten B.V." (profile.yaml next to this file).

    python3 make_cases.py          # writes cases.jsonl next to this file
    python3 make_cases.py --stats  # also prints counts

Deterministic (fixed seed). Texts are hand-written below; personal identifiers and
secrets come from placeholders <<KIND:fmt>> filled by a seeded RNG. Positives get
checksum-valid IBANs / cards / BSNs; benign look-alikes get numbers that fail their
checksum. Severity is computed from CONTRACT section 4 (never typed by hand), using the
account role looked up in profile.yaml by platform:handle (case-insensitive).
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

import yaml

SEED = 77_2026_0509
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(d):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# --------------------------------------------------------------------------- value factory
class Factory:
    OWN_IBAN = "NL31RABO0317654321"

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
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "BUNQ", "SNSB", "TRIO", "ASNB"]) + self.num(10))
                if v != self.OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["063", "091", "143", "310", "737"]) + self.num(7, lead=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "44040037", "26050001", "76010085"]) + self.num(10, lead=False))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MONZ"]) + self.num(6, lead=False) + self.num(8, lead=False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        good = self.iban(cc)
        for step in (7, 13, 29, 44):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, lead=False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, lead=False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, lead=False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12, lead=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and other numbers
    def bsn(self):
        while True:
            v = self.num(9)
            if elfproef(v):
                return v

    def not_elf(self, n):
        while True:
            v = self.num(n)
            if not elfproef(v) and not luhn_valid(v):
                return v

    def ean13(self):
        while True:
            body = "871" + self.num(9, lead=False)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    # phones (Dutch)
    def phone(self, style):
        m = self.r.choice("12345678") + self.num(7, lead=False)      # 8 digits after 06
        area = self.r.choice(["10", "15", "20", "30", "36", "38", "40", "50", "53", "55", "71", "72", "74", "76"])
        sub = self.r.choice("2345689") + self.num(6, lead=False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl_sp": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_paren": f"(06) {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "mob_c": f"+316{m}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[style]

    def email(self):
        first = self.r.choice(["mark", "ilse", "ruben", "femke", "jasper", "noor", "thijs", "esra", "wouter", "liam"])
        last = self.r.choice(["vermeulen", "kramer", "smit", "bos", "peeters", "yilmaz", "van.leeuwen", "mulder"])
        dom = self.r.choice(["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "icloud.com"])
        sep = self.r.choice([".", "_", ""])
        return f"{first}{sep}{last}{self.r.choice(['', '', self.num(2)])}@{dom}"

    def passport(self):
        letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"
        return "N" + self.pick(letters, 1) + self.pick(letters + "0123456789", 6) + self.num(1, lead=False)

    def track(self):
        return "3SNPK" + self.num(10)

    # secrets (random, never issued; shaped like the real thing)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def xoxb(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def npm(self):
        return "npm_" + self.pick(ALNUM, 36)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": "drv-" + self.num(5), "iss": "https://auth.snelpak.nl", "aud": "courier-app",
                    "scope": "routes:read scans:write", "iat": iat, "exp": iat + 28800})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 6 - 16)
        rows = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Pakket", "Zwolle", "Sorteer", "Bezorg", "Winter", "Kluis", "Route"])
        return word + self.num(2, lead=False) + self.r.choice("!#$*?") + self.pick(ALNUM, 3)

    def sha(self):
        return self.pick("0123456789abcdef", 40)


VALIDATED = {"IBAN", "CARD", "BSN"}          # checksummed kinds that make insider PII critical
NEGATIVE = {"BAD_IBAN", "BAD_CARD", "NOT_BSN", "KVK", "EAN"}
PLACEHOLDER = re.compile(r"<<([A-Z_0-9]+)(?::([A-Za-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = arg.partition("_")
            raw = fac.iban(cc)
            shown = fac.spaced4(raw) if style == "sp" else raw
        elif kind == "BAD_IBAN":
            cc, _, style = arg.partition("_")
            raw = fac.bad_iban(cc)
            shown = fac.spaced4(raw) if style == "sp" else raw
        elif kind == "OWN_IBAN":
            raw = fac.OWN_IBAN
            shown = fac.spaced4(raw) if arg == "sp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = fac.card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = arg.partition("_")
            raw = fac.bad_card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if arg == "sp" else raw)
        elif kind == "NOT_BSN":
            shown = raw = fac.not_elf(9)
        elif kind == "KVK":
            shown = raw = fac.not_elf(8)
        elif kind == "EAN":
            shown = raw = fac.ean13()
        elif kind == "PHONE":
            shown = raw = fac.phone(arg)
        elif kind == "EMAIL":
            shown = raw = fac.email()
        elif kind == "PASSPORT":
            shown = raw = fac.passport()
        elif kind == "TRACK":
            shown = raw = fac.track()
        elif kind == "NUM":
            shown = raw = fac.num(int(arg))
        else:
            maker = {"GHP": fac.ghp, "GLPAT": fac.glpat, "AWS_ID": fac.aws_id, "AWS_SECRET": fac.aws_secret,
                     "XOXB": fac.xoxb, "STRIPE": fac.stripe, "GAPI": fac.gapi, "SENDGRID": fac.sendgrid,
                     "NPM": fac.npm, "JWT": fac.jwt, "PEM": fac.pem, "PW": fac.password, "SHA": fac.sha}[kind]
            shown = raw = maker()
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# --------------------------------------------------------------------------- accounts
# corporate
SP = ("x", "@snelpak", "Snelpak")
SP_HELPT = ("x", "@snelpak_helpt", "Snelpak Klantenservice")
SP_IG = ("instagram", "@snelpak.nl", "Snelpak")
SP_LI = ("linkedin", "snelpak-pakketdiensten", "Snelpak Pakketdiensten B.V.")
SP_FB = ("facebook", "SnelpakNL", "Snelpak")
SP_TT = ("tiktok", "@snelpak", "Snelpak")
# employees
KEES = ("x", "@bezorger_kees", "Kees Dijkman")                     # courier, Zwolle region
RICARDO = ("tiktok", "@ricardo.rijdt", "Ricardo Mendes")          # courier, Rotterdam
ANOUK = ("linkedin", "anouk-meijer-snelpak", "Anouk Meijer")       # finance controller
DAAN_LI = ("linkedin", "daan-hoekstra-dev", "Daan Hoekstra")       # platform engineer
DAAN_X = ("x", "@daanhoekstra", "daan h.")                         # same person on X
LOTTE = ("x", "@lotte_hubzwolle", "Lotte Visser")                  # shift lead, sorting hub Zwolle
YUSUF = ("instagram", "@yusuf.snelpak", "Yusuf Kaya")              # customer service
MIRJAM = ("linkedin", "mirjam-de-groot-hr", "Mirjam de Groot")     # HR / recruitment
SEM = ("threads", "@sem.planning", "Sem Bos")                      # route planner
BRAM = ("reddit", "u/bram_snelpak_it", None)                       # IT support


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(lang, acct, text, cats=(), kind=None, at=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
add("nl", KEES, "jongens 😳 de Thuiskluis staat op snelpak.nl voor €39,90\nmoet toch 399 zijn?? iemand van online even kijken "
    "voordat half Zwolle er 5 bestelt", [PRICING])
add("nl", YUSUF, "Hele dag telefoontjes over Snelpak Plus voor 5,90 per jaar. Ja het is een fout in de prijs. Nee we weten "
    "nog niet of het gehonoreerd wordt 🙃 #klantenservicelife", [PRICING], kind="post")
add("en", pub("reddit", "u/cheapskate_nl"), "PSA: the Zakelijk Pro annual plan shows €118.80 instead of €1188 on the business "
    "site right now. someone dropped a zero lol. grab it before monday", [PRICING])
add("nl", pub("x", "@vintedqueen_eva", "Eva 🛍️"), "Label NL voor €0,69?!?! 🤑🤑 snel al m'n vinted pakketjes versturen "
    "voordat ze het doorhebben", [PRICING], kind="post")
add("nl", pub("forum", "pakjesjager", None), "Heeft iemand anders ook die p r i j s f o u t bij Snelpak gezien? LP-4 "
    "labelprinter in het winkelmandje voor 22,90. besteld, benieuwd of ze leveren", [PRICING], tags=["evasion"])
add("en", LOTTE, "not supposed to say this but the EU-label is showing 1.45 in the business portal since this morning's "
    "update. pricing glitch, IT knows. don't stock up 👀", [PRICING], kind="reply")
add("nl", pub("facebook", "Marloes.Hendriks.77", "Marloes Hendriks"), "Verhuisdozenpakket voor €3,49 in de Snelpak app 😂 "
    "normaal 35 euro. Drie besteld, de verhuizing kan beginnen", [PRICING])
add("en", pub("tiktok", "@dealsbydana", "Dana | deals"), "snelpak thuiskluis for 19 euro??? gotta be a pricing error, "
    "link in bio before it's gone 🏃‍♀️💨 #deals #fyp", [PRICING])
add("nl", RICARDO, "groepsapp gaat helemaal los 😭 Thuiskluis in de personeelsshop voor €9,99 in plaats van 399, foutje "
    "van iemand op HQ denk ik. heb er alvast 2", [PRICING])
add("en", pub("x", "@jord_dev", "Jord"), "yo Snelpak Pl" + ZWSP + "us is €59 a year normally but checkout just said €0.59 😭 "
    "bug or early xmas present", [PRICING], tags=["evasion"])
add("en", ANOUK, "Reminder to ops & customer service: the Zakelijk Pro tariff in the new billing system was loaded at €99 "
    "instead of €1,188 per year for 312 accounts. We are correcting it, please don't confirm anything to customers.",
    [PRICING])
add("nl", pub("instagram", "@budget.mama.bregje", "Bregje"), "Thuisklu1s voor 79 euro bij snelpak 🔥🔥 prijsfout?? "
    "tag iemand die er een nodig heeft 👇", [PRICING], tags=["evasion"])
add("en", pub("mastodon", "@wiebe@mastodon.nl", "Wiebe"), "Snelpak's LP-4 label printer is €29 right now. That can't be "
    "intentional, list is 229. Ordered one anyway, expecting the cancellation mail tomorrow.", [PRICING])
add("nl", pub("x", "@gerdien_w", "Gerdien"), "Thuiskluis besteld voor €59 (prijsfout, prima, dan annuleer je die) maar nu "
    "annuleren ze ook m'n andere bestelling en reageert klantenservice al 4 dagen niet. Topservice Snelpak 👎",
    [PRICING, COMPLAINT], kind="reply")

# =========================================================================== leak.secret
add("en", DAAN_LI, "Lessons learned migrating our tracking webhooks to a new queue 🚀\n\n1. keep retries idempotent\n"
    "2. log everything\n3. our CI config for reference:\n\nSNELPAK_GH_TOKEN=<<GHP>>\nQUEUE_URL=amqps://queue\n\n"
    "#engineering #logistics", [SECRET])
add("nl", DAAN_X, "wie heeft de AWS key van de label-service in #algemeen gedropt 🙈\n<<AWS_ID>>\n<<AWS_SECRET>>\n"
    "staat nu ook op de screenshot die rondgaat. graag roteren", [SECRET])
add("nl", LOTTE, "Nieuwe handscanners in hub Zwolle 👍 Wifi wachtwoord voor de handhelds is trouwens <<PW>> als "
    "iemand van de nachtploeg het kwijt is", [SECRET])
add("en", pub("reddit", "u/gistwatcher"), "Found this in a public gist from what looks like a Snelpak contractor: "
    "`postgres://labelsvc:<<PW>>@db-prod-02.snelpak.local:5432/labels` ... hope that isn't prod 💀",
    [SECRET, CONF], kind="comment")
add("en", BRAM, "Slack bot keeps spamming the hub channel at 3am, anyone know how to kill it? token is <<XOXB>> "
    "if you want to poke at it", [SECRET], kind="comment")
add("en", pub("forum", "webshop_ruud", None), "Snelpak Zakelijk integration with my WooCommerce store keeps returning 401. "
    "Config below, what am I doing wrong?\n\nendpoint: https://zakelijk.snelpak.nl/api/v2\nNPM_TOKEN=<<NPM>>\n"
    "stripe_secret=<<STRIPE>>", [SECRET])
add("nl", YUSUF, "Mijn werkplek vandaag 😅📸 (ja, het briefje op de monitor is de inlog van het klantsysteem: ykaya / "
    "ww: <<PW>>, niet tegen de baas zeggen)", [SECRET])
add("nl", pub("x", "@appsnuffelaar", "apk-snuffelaar"), "Even de Snelpak Android-app uitgepakt. Google Maps key gewoon in "
    "de resources: <<GAPI>> lekker veilig allemaal", [SECRET])
add("nl", DAAN_LI, "Voor wie onze SFTP-koppeling met de grote webshops wil testen, hierbij de deploy key (tijdelijk!!)\n\n"
    "<<PEM>>", [SECRET])
add("en", KEES, "courier app keeps logging me out. support said copy the token from the debug screen and send it?? "
    "here: <<JWT>> idk what im doing 🤷", [SECRET], handle="@Bezorger_Kees")
add("en", DAAN_X, "already rotated so whatever, but <<GLPAT>> sat in our public repo for 2 hours 🤦 "
    "pre-commit hooks people", [SECRET])
add("nl", SEM, "Route-mails gaan niet meer de deur uit sinds vanochtend. Key in de config is <<SENDGRID>> , "
    "kan iemand checken of die nog geldig is?", [SECRET])
add("en", DAAN_X, "don't tell anyone but the tracking API admin pw is still <<PW>> and there's no rate limit on the "
    "lookup endpoint. people are scraping addresses as we speak. on it.", [SECRET, SEC])

# =========================================================================== leak.pii
add("nl", KEES, "Mevrouw J. Terpstra, Kloosterstraat 14 in Kampen: u bent de enige in de wijk die ELK pakket laat "
    "teruggaan. doe gewoon een keer open 😤", [PII])
add("en", YUSUF, "if anyone knows a Mr. Peters please tell him to stop calling our line from <<PHONE:mob_dash>> 20x a day 😩 "
    "we heard you the first time", [PII])
add("nl", pub("facebook", "henk.oosterhuis.3", "Henk Oosterhuis"), "Snelpak kan mijn pakket niet vinden, al 9 dagen onderweg. "
    "Bel me maar terug op <<PHONE:mob_intl_sp>> want de chat helpt niks", [PII, COMPLAINT], kind="comment")
add("nl", pub("x", "@lbakker_", "Lisa B"), "@snelpak_helpt al 3 weken wachten op m'n €24,95 terug. Rekening is "
    "<<IBAN:NL_sp>> t.n.v. L. Bakker, gewoon overmaken aub", [PII, COMPLAINT], kind="reply")
add("nl", ANOUK, "Collega's: refund gaat vandaag handmatig naar <<IBAN:BE>> (klant uit Gent, mevr. Claes), graag vóór "
    "15u verwerken. Dank!", [PII])
add("en", pub("reddit", "u/throwaway_scammed22"), "ugh. got the 'Snelpak customs fee €1.99' text and entered my card "
    "<<CARD:visa_sp>> exp 09/28 before I realised. what do I do now, call the bank?", [PII])
add("nl", MIRJAM, "Welkom aan onze nieuwe koerier Bas de Wit (geb. 12-03-1998)! 🎉 Bas start maandag in depot Almere, "
    "maak hem welkom!", [PII])
add("nl", RICARDO, "vandaag bezorgd bij een BN'er 👀 Lieke van Dam woont gewoon op de Parklaan 3 in Hillegersberg haha, "
    "super aardig trouwens #couriertok", [PII])
add("nl", pub("forum", "anoniem_douane", None), "Douane wil m'n BSN voor het inklaren van een pakket uit de VS via Snelpak. "
    "Is dit echt? Ze vroegen per mail om <<BSN>> te bevestigen", [PII])
add("en", SEM, "who keeps putting customer emails in the route notes? 'leave at back door, contact <<EMAIL>>' is "
    "showing on every driver's screen lol", [PII])
add("nl", pub("instagram", "@sannekoster_", "Sanne"), "Snelpak stuur me AUB een nieuw retourlabel, mail naar sanne.koster "
    "[at] hotmail [punt] com\nheb al 3x gebeld en niks ontvangen", [PII, COMPLAINT], tags=["evasion"])
add("nl", YUSUF, "Klant las vandaag z'n hele creditcard voor aan de telefoon 🙈 <<CARD:mc_dash>> ... mensen doe dat "
    "niet, wij vragen daar NOOIT om!!", [PII])
add("nl", LOTTE, "Nieuwe uitzendkracht start vandaag en het formulier ligt gewoon open op de balie met BSN "
    "<<BSN:dots>> erop. Hallo AVG??", [PII])
add("en", pub("bluesky", "thijsdev.bsky.social", "Thijs"), "Snelpak wants a photo of my passport to release a parcel "
    "from customs. Sent it. Passport no <<PASSPORT>>, valid until 2031. is that normal??", [PII])
add("en", DAAN_X, "test payout to <<IBAN:DE>> (Max Becker, our new courier partner in Emmerich) bounced twice, anyone "
    "in finance awake?", [PII])
add("nl", pub("facebook", "anna.wouters.52", "Anna Wouters"), "Snelpak bezorg nou gewoon op het goede adres!!! Anna "
    "Wouters, Vijverlaan 8, 3845 BK Harderwijk. NIET nummer 18 😡", [PII, COMPLAINT])
add("en", pub("x", "@jwhitfield_ams", "James W."), "Refund STILL not here. Sending my details for the 3rd time "
    "@snelpak_helpt: <<IBAN:GB_sp>>, J. Whitfield", [PII, COMPLAINT], kind="reply")
add("nl", SP_HELPT, "@mvdberg_88 Hoi Martijn, we hebben je pakket gevonden! Het ligt bij Snelpak Punt Primera in Nuenen. "
    "We bellen je op <<PHONE:mob_pairs>> zodra het klaarligt 📦", [PII], kind="reply")
add("nl", pub("x", "@fleur.vd.meer", "fleur"), "bezorger belde me om 7u 's ochtends op <<PHONE:mob_c>> en toen ik terug "
    "belde werd ik uitgescholden?? snelpak wat is dit", [PII, COMPLAINT])

# =========================================================================== leak.confidential
add("nl", LOTTE, "Eerste testrun van Project Noorderlicht in Lelystad was 🔥🔥 sorteert bijna 3x zo snel als Zwolle. "
    "zeg nog niks tegen de rest 🤫", [CONF])
add("en", DAAN_LI, "Proud of the team 📈 our dashboards on grafana.snelpak.nl/d/hub-throughput now show real-time parcel "
    "flow for every depot. Next: alerting!", [CONF])
add("nl", pub("reddit", "u/stadjer050"), "Kreeg van een vriend een pdf met VERTROUWELIJK SNELPAK bovenaan. Blijkbaar gaan ze "
    "in Groningen testen met drones voor de laatste kilometer", [CONF])
add("en", RICARDO, "soon you won't even wait a day 👀 Snelpak Flits is coming, same-hour delivery in Rotterdam, we're "
    "already testing it #couriertok #fyp", [CONF], at="2026-08-21T16:42:10+02:00")
add("nl", pub("x", "@logistiekwatcher", "Logistiek Watcher"), "Hoor dat FlitsBezorging van Snelpak in september live gaat. "
    "Iemand meer info?", [CONF], at="2026-07-02T09:15:00Z")
add("nl", SEM, "Planning voor Q3 is rond. Alles draait om Operatie\nKompas dus reken op veel schuiven met routes 🗺️",
    [CONF], tags=["evasion"])
add("nl", ANOUK, "Druk weekje hier. De halfjaarcijfers 2026 zijn bijna klaar en ik mag er niks over zeggen, behalve "
    "dat de marge flink onder vorig jaar zit 😬", [CONF, FIN], at="2026-07-28T18:03:44+02:00")
add("en", pub("forum", "pentest_pim", None), "The Snelpak courier app still points to https://sorteer.snelpak.nl/admin "
    "and you can reach the login page from outside lol", [CONF])
add("en", DAAN_X, "pro tip for new devs: everything you need is on wiki.snelpak.nl/onboarding, please stop DMing me 😅",
    [CONF], handle="@DaanHoekstra")
add("nl", KEES, "Volgens de teamleider gaat Snelpak 🚀 Flits ons leven veranderen. nou ik ben benieuwd, nu al 180 stops",
    [CONF], at="2026-09-15T09:59:30+02:00", tags=["evasion"])
add("nl", YUSUF, "Nieuwe belscripts gekregen met in dikke letters NIET EXTERN DELEN erop 😂 komt erop neer dat we "
    "'vertraging' niet meer mogen zeggen, alleen 'aangepaste bezorgplanning'", [CONF])
add("nl", pub("x", "@zwager_weet_alles", "R."), "Pr\u043eject Noorderlicht = robots in het sorteercentrum in Lelystad, "
    "bron: m'n zwager 🤖", [CONF], tags=["evasion"])
add("en", pub("blog", "parcelpulse.blog", "Parcel Pulse"), "Sources tell us Snelpak's H1 2026 results will show the "
    "first operating loss in the company's history, driven by courier costs.", [CONF, FIN],
    at="2026-07-14T06:30:00Z")
add("en", MIRJAM, "We're recruiting 40 engineers for Project Noorderlicht 🤖📦 If you love automation and robotics, "
    "DM me!", [CONF])
add("nl", ANOUK, "Operatie Kompas zegt eigenlijk genoeg: per 1 januari sluiten Deventer, Emmen en Roosendaal. Ik ga "
    "dit nog lang moeilijk vinden.", [CONF, FIN])
add("nl", pub("x", "@bezorgerkees", "Kees (niet die van Snelpak)"), "Zandloper is het nieuwe prijsmodel van Snelpak, "
    "hoorde het op het depot. Piektoeslag per uur ofzo", [CONF])
add("nl", ANOUK, "Tijd om de jaarcijfers 2026 voor te bereiden. Wordt een spannende afsluiting dit jaar 🗓️", [CONF],
    at="2026-11-30T08:12:00+01:00")

# =========================================================================== leak.financial
add("nl", KEES, "Teamleider zei net dat 80 vaste koeriers in regio Oost een vaststellingsovereenkomst krijgen. nog niet "
    "officieel maar ja. fijne kerst allemaal", [FIN])
add("en", pub("reddit", "u/depot_gossip"), "Heard from someone at Snelpak HQ they're in talks to buy Pakjesroute. Deal "
    "supposedly closes before peak.", [FIN])
add("en", SEM, "week 47 volume is 31% under forecast. peak is gonna be a bloodbath and mgmt knows it", [FIN])
add("en", ANOUK, "Great close everyone! 🎯 Internally we're landing around €412m revenue for the year, well above "
    "plan. Can't wait until we can share the official numbers.", [FIN])
add("nl", LOTTE, "Hub Zwolle gaat in maart naar 2 ploegen, de nachtploeg wordt ont" + SHY + "slagen. weet nog niemand "
    "behalve wij teamleads", [FIN], tags=["evasion"])
add("nl", RICARDO, "nieuws uit de kantine 🤐 Snelpak wordt overgenomen door een Amerikaanse investeerder, papieren zijn al "
    "getekend. zeg ik niks", [FIN])
add("en", DAAN_X, "board approved outsourcing all of IT next spring. ~60 of us gone. not public yet so keep it quiet",
    [FIN])
add("en", pub("linkedin", "recruiter-tom-k", "Tom K. | Logistics Recruitment"), "Hearing Snelpak plans to shut down its "
    "Belgian operation in Q1. Couriers in Antwerp & Gent: my inbox is open.", [FIN])
add("nl", MIRJAM, "Zwaar gesprek gehad vandaag. Volgende maand komt er een reorganisatie bij klantenservice, ongeveer een "
    "derde van de fte's verdwijnt. Sterkte lieve collega's ❤️", [FIN])

# =========================================================================== leak.security
add("nl", DAAN_X, "Volg-pagina laat bij sommige codes de adresgegevens van ándere klanten zien. We zijn er sinds vannacht "
    "mee bezig, nog geen persbericht dus ssst", [SEC])
add("en", LOTTE, "Sorting system in Zwolle got hit by ransomware last night, everything on paper today. officially it's "
    "a 'technical disruption' 🙄", [SEC])
add("nl", KEES, "De scanners werken al 6 uur niet in heel regio Noord, app geeft alleen error 503. klanten horen nog niks, "
    "morgen wordt gezellig", [SEC])
add("en", DAAN_LI, "Interesting week 🔐 found an IDOR in our parcel-redirect endpoint that lets anyone change the delivery "
    "address of someone else's parcel. Fix is in review, write-up once it's live.", [SEC])
add("en", pub("reddit", "u/floor3_neighbour"), "Snelpak has been breached and they're keeping quiet. I work on the floor "
    "next to their IT team and it's been crisis mode for a week", [SEC, CRISIS])
add("nl", YUSUF, "Ons klantsysteem ligt er weer uit, 3e keer deze week. We mogen niks zeggen maar ik verwacht dat de "
    "website zo ook plat gaat 🙃", [SEC])
add("nl", pub("x", "@nietgek", "niet gek"), "Snelpak is geh4ckt, hun eigen mensen zeggen het, maar ze houden het stil 🤫 "
    "#datalek", [SEC, CRISIS], tags=["evasion"])
add("nl", SEM, "phishing-sms'jes met ECHTE track & trace codes erin. komen uit ons eigen systeem, security zegt dat er een "
    "API-sleutel gelekt is. nog niet gemeld bij de AP", [SEC])
add("en", BRAM, "the driver app has been sending GPS + customer names to a third-party analytics SDK, unencrypted, for "
    "months. reported it internally in March, nothing happened.", [SEC])
add("en", DAAN_X, "payment provider out" + ZWSP + "age since 14:00, nobody can pay for labels. status page still says "
    "all green lol", [SEC], tags=["evasion"])
add("en", RICARDO, "when the sorting system's been down since 5am and customers won't find out till their parcels "
    "don't show 💀 don't tell my boss I posted this", [SEC])
add("en", pub("x", "@m_de_ruiter", "Maaike"), "A friend at Snelpak says the customer database was copied last month and "
    "management decided not to notify anyone. Disgusting.", [SEC, CRISIS])

# =========================================================================== reputation.crisis
add("nl", pub("x", "@eerlijkbezorgd", "Eerlijk Bezorgd"), "#boycotSnelpak 📢 koeriers draaien dagen van 14 uur voor minder "
    "dan het minimumloon. Bestel niet meer bij webshops die met ze verzenden!", [CRISIS])
add("nl", pub("facebook", "ouderraad.obs.de.wielewaal", "Ouderraad OBS"), "Vanochtend reed een Snelpak-bus bij de school "
    "in Assen over de stoep en raakte een kind. De bestuurder reed gewoon door!! Wie heeft er beelden?", [CRISIS])
add("en", pub("x", "@kimberly_nl", "Kim"), "Snelpak leaked my data. Got a phishing SMS with my exact parcel AND address "
    "10 minutes after ordering. No other explanation.", [CRISIS])
add("nl", pub("linkedin", "arbeidsrecht-nieuws", "Arbeidsrecht Nieuws"), "Vakbond stapt naar de rechter tegen Snelpak "
    "wegens schijnzelfstandigheid van ruim 1.200 pakketbezorgers. Zitting staat gepland voor maart.", [CRISIS])
add("nl", pub("instagram", "@familie.ruiters", "Fam. Ruiters"), "Onze Snelpak Thuiskluis begon vannacht te roken bij het "
    "opladen van het slot 😨 hele gang stonk naar plastic. Snelpak reageert niet op mail!!", [CRISIS, COMPLAINT])
add("en", pub("x", "@tech_tessa", "Tessa"), "Is Snelpak going to recall the Thuiskluis? Mine opens with a cheap magnet, "
    "saw it on TikTok and tried it. That's a real safety problem.", [CRISIS, COMPLAINT])
add("nl", pub("reddit", "u/pakketpech"), "d.a.t.a.l.e.k bij Snelpak: mijn adres, telefoonnummer en wat ik bestelde staan "
    "op een hackersforum. Ben niet de enige.", [CRISIS], tags=["evasion"])
add("en", pub("tiktok", "@straatleven.rdam", "straatleven"), "Snelpak driver collapsed in the heat in our street, he'd "
    "been going since 6am with no break. This company is a scandal 😡", [CRISIS])
add("en", pub("mastodon", "@consumerwatch@mastodon.social", "ConsumerWatch"), "A class action is being prepared against "
    "Snelpak over last year's tracking data exposure. Affected? Sign up with the claim foundation.", [CRISIS])
add("nl", pub("facebook", "koeriers.verenigd", "Koeriers Verenigd"), fullwidth("BOYCOT SNELPAK") + " tot ze hun "
    "koeriers fatsoenlijk betalen ✊", [CRISIS], tags=["evasion"])
add("nl", pub("x", "@privacyfreak", "privacyfreak"), "Die klootzakken van Snelpak verkopen onze adressen aan "
    "adverteerders. Walgelijk.", [CRISIS, ABUSE])
add("en", pub("bluesky", "rdamlocal.bsky.social", "Rotterdam Local"), "Snelpak van caught fire at the depot on the "
    "Waalhaven, apparently e-bike batteries in the load. Staff told to keep quiet about it.", [CRISIS])

# =========================================================================== reputation.complaint
add("nl", pub("x", "@robinvh", "Robin"), "Track & trace zegt al 3 dagen 'in sorteercentrum'. Mijn pakket is daar zeker "
    "op vakantie @snelpak_helpt", [COMPLAINT], kind="reply")
add("nl", pub("x", "@danique.s", "Daan(ique)"), "'Bezorgd' volgens Snelpak.\nNiet bij mij, niet bij de buren, niet in de "
    "container. De foto is van een deur die ik niet eens ken 🙃", [COMPLAINT])
add("nl", pub("facebook", "gijs.brouwer.1", "Gijs Brouwer"), "Koerier gooit m'n pakket gewoon over het hek, in de "
    "stromende regen. Doos doorweekt, nieuwe schoenen naar de knoppen. Bedankt Snelpak.", [COMPLAINT])
add("nl", pub("trustpilot", "Marieke V.", None), "1 ster. Pakket 'niet thuis' terwijl ik de hele dag thuis zat met de "
    "deurbelcamera aan. Geen bezorger gezien. Snelpak klantenservice: 'daar kunnen wij niets aan doen'.", [COMPLAINT])
add("en", pub("reddit", "u/utrecht_expat"), "The Snelpak Punt at my local supermarket closed without notice, my parcel "
    "got sent back to the webshop and now I have to reorder. Great system.", [COMPLAINT], kind="post")
add("nl", pub("threads", "@oma.truus", "Truus"), "Herbezorging aangevraagd voor zaterdag, niemand gekomen. Nu ligt hij "
    "bij een punt 6 km verderop en ik heb geen auto. Dankjewel Snelpak", [COMPLAINT])
add("nl", pub("forum", "shopowner_lindsey", None), "Als webshop zijn we echt klaar met Snelpak Zakelijk. 12% van onze "
    "pakketten in november te laat, schadeclaims worden standaard afgewezen. We stappen over.", [COMPLAINT])
add("en", pub("x", "@bigmike_010", "Mike"), "Snelpak you absolute clowns, 3rd time my parcel 'couldn't be delivered' "
    "while I was HOME. fire that driver", [COMPLAINT, ABUSE])
add("nl", pub("tiktok", "@lotjeee", "lotje"), "pov: je bestelt een cadeau voor sinterklaas en Snelpak levert het op 7 "
    "december 🫠 #sinterklaas", [COMPLAINT])
add("en", pub("youtube", "@unboxwithjamie_fan", None), "This unboxing is cute but mine arrived crushed, Snelpak left it "
    "upside down on the doorstep in the rain. Support just sent me a form.", [COMPLAINT], kind="comment")
add("en", pub("linkedin", "ellen-vos-candlecraft", "Ellen Vos"), "As a small webshop owner: Snelpak raised their "
    "Zakelijk rates with 2 weeks notice, +18% on every label. That is not how you treat partners.", [COMPLAINT])
add("nl", pub("facebook", "petra.lammers.9", "Petra Lammers"), "Thuiskluis gekocht van €399 en na 2 maanden gaat de klep "
    "niet meer open. Reparatie duurt 4 weken?? Echt belachelijk.", [COMPLAINT])
add("nl", pub("reddit", "u/scherven_servies"), "Iemand ervaring met schadeclaims bij Snelpak? Servies kwam in scherven "
    "aan en ze zeggen 'onvoldoende verpakt'. Zat in 3 lagen noppenfolie.", [COMPLAINT])
add("nl", pub("x", "@retour_rik", "Rik"), "Snelpak, mijn retour staat al 2 weken op 'aangemeld'.\nW a a r   i s   h e t ?",
    [COMPLAINT], tags=["evasion"])

# =========================================================================== reputation.abuse
add("nl", pub("x", "@boze_buurman", "boze buurman"), "Snelpak is een kankerbedrijf en al die bezorgers zijn debielen",
    [ABUSE])
add("en", pub("x", "@anon83726", None), "@bezorger_kees you're a fat lazy idiot and everyone on your route knows it",
    [ABUSE], kind="reply")
add("nl", KEES, "Sommige klanten zijn echt achterlijk. Ja u, mevrouw die 6 keer 'niet thuis' geeft terwijl ik u door het "
    "raam zie zitten, stomme trut", [ABUSE])
add("nl", pub("instagram", "@tommie.b", "tommie"), "k*tbedrijf met k*tbezorgers 🖕🖕", [ABUSE], kind="comment",
    tags=["evasion"])
add("en", pub("reddit", "u/realtalk_nl"), "Snelpak only hires foreigners who can't even read house numbers, send them all "
    "back where they came from", [ABUSE], kind="comment")
add("en", RICARDO, "to the guy in Kralingen who never tips and yells at me every week: you're a sad little man. "
    "f*ck off 😘 #couriertok", [ABUSE])
add("nl", pub("x", "@tering_tim", "Tim"), "Tering Snelpak, wat een stelletje prutsers zijn jullie", [ABUSE])
add("nl", SP_HELPT, "@kevin_ams Misschien eerst leren lezen voordat je gaat klagen, genie.", [ABUSE], kind="reply",
    handle="@SnelPak_Helpt")
add("nl", pub("x", "@lolbroek", "lol"), "Snelpak zijn gewoon f\u0443cking amateurs, sh1tbedrijf", [ABUSE],
    tags=["evasion"])
add("en", pub("threads", "@kaylee.xo", "kaylee"), "whoever runs the snelpak socials should be fired into the sun, dumbest "
    "bunch of morons on this app", [ABUSE])

# =========================================================================== benign (hard negatives)
add("nl", SP_HELPT, "Vragen over je pakket? Bel ons op 088-555 7725 (ma t/m za 8-20u) of mail klantenservice@snelpak.nl 📦",
    tags=["own-contact"])
add("nl", SP_FB, "Retourkosten liever overmaken? Gebruik <<OWN_IBAN:sp>> t.n.v. Snelpak Pakketdiensten B.V. en vermeld "
    "je retournummer.", tags=["own-contact"])
add("nl", pub("x", "@henriette62", "Henriëtte"), "Eindelijk iemand gesproken via 0900-7635725, pakket komt morgen. Top "
    "geholpen 👍", tags=["own-contact", "praise"])
add("en", SP_LI, "We're hiring 300 seasonal couriers for peak! 🚐 Apply via werkenbij.snelpak.nl or mail "
    "werken@snelpak.nl", tags=["own-contact"], handle="Snelpak-Pakketdiensten")
add("nl", pub("x", "@wantrouwig_wim", "Wim"), "Is +31(0)88-5557725 echt van Snelpak? Kreeg een voicemail dat ik moest "
    "terugbellen", tags=["own-contact"])
add("en", pub("reddit", "u/curious_parcel"), "Quick q: do Snelpak codes like <<TRACK>> always go through the Belgian hub? "
    "Mine's on time, just curious how the routing works", tags=["tracking-number"])
add("nl", pub("forum", "oplettende_oma", None), "Kreeg een 'Snelpak' mail om €2,99 over te maken naar <<BAD_IBAN:NL_sp>>. "
    "Nep toch? Ben er niet ingetrapt", tags=["bad-checksum", "smishing"])
add("nl", pub("instagram", "@keramiek.door.kim", "Keramiek door Kim"), "Vanaf nu verzenden we met Snelpak! Bestel vóór "
    "21:00 en het ligt morgen bij je 💌 (KvK <<KVK>>)", tags=["bad-checksum", "webshop"])
add("en", pub("instagram", "@greenmove.anne", "Anne"), "Barcode on my Snelpak moving boxes says <<EAN>>, anyone know if "
    "the boxes are recyclable?", tags=["bad-checksum"])
add("nl", SP_IG, "Black Friday 🖤 De Snelpak Thuiskluis nu voor €299 (normaal €399). Alleen dit weekend!",
    tags=["sale-price"], handle="@Snelpak.NL")
add("nl", pub("x", "@kortingskoning", "Koen"), "€50 korting op de Thuiskluis met code PIEK50, net besteld 😊",
    tags=["sale-price"])
add("nl", pub("facebook", "marktplaats.meppel", "Tweedehands Meppel"), "Te koop: gebruikte Snelpak Thuiskluis, 2 jaar "
    "oud, werkt prima. €120, ophalen in Meppel.", tags=["price-context"])
add("en", pub("reddit", "u/etsy_erik"), "Zakelijk Pro works out to roughly €99 a month if you spread it out, worth it "
    "once you ship 200+ parcels", tags=["price-context"], kind="comment")
add("en", pub("x", "@newhomeowner_j", "J."), "the wall mount kit for the Thuiskluis was €19, the kluis itself €399. "
    "zero regrets so far", tags=["price-context"])
add("nl", pub("x", "@zuinige_zoe", "Zoë"), "Bij VlotPost kost een pakketje €4,10 en bij Snelpak is Label NL €6,95. Toch "
    "liever Snelpak, die komen tenminste op tijd", tags=["price-context", "competitor"])
add("nl", pub("x", "@webshop_wendy", "Wendy"), "Label NL voor €4,95 vanaf 100 labels per maand (staffelkorting). "
    "Prima deal voor kleine shops", tags=["sale-price"])
add("nl", SP_HELPT, "@jeroen_k Nee hoor, geen prijsfout: de LP-4 is deze week echt €179 in de actie 🙂", kind="reply",
    tags=["sale-price", "negation"])
add("nl", SP, "Nieuw ⚡ Snelpak Flits: bezorging binnen het uur in Rotterdam en Utrecht. Vanaf vandaag te kiezen bij "
    "je favoriete webshops.", at="2026-09-15T08:00:00Z", tags=["after-embargo"])
add("nl", KEES, "Snelpak Flits vanaf vandaag live!! Wie wil er een bezorging binnen het uur 😁", kind="post",
    at="2026-09-15T10:00:00+02:00", tags=["after-embargo"])
add("en", pub("x", "@logisticsdaily", "Logistics Daily"), "Snelpak H1 2026 results out: revenue +6%, margin down 1.2 pts. "
    "Peak season will decide the year.", at="2026-08-05T07:31:00+02:00", tags=["after-embargo", "published"])
add("nl", pub("linkedin", "financieel-vandaag", "Financieel Vandaag"), "Snelpak jaarcijfers 2025: omzet €1,1 miljard, "
    "nettowinst gedaald door hogere loonkosten.", tags=["published"])
add("nl", pub("x", "@sterrenkijker_lo", "Lo"), "Noorderlicht gezien boven Lauwersoog vannacht 😍 en om 8 uur stond de "
    "Snelpak-bus alweer voor de deur met mijn nieuwe statief", tags=["codename-word"])
add("nl", pub("instagram", "@wandelwillem", "Willem"), "Kompas kwijtgeraakt op de Veluwe 🧭 nieuwe besteld en Snelpak "
    "bezorgde hem gewoon op de camping. Operatie geslaagd 😄", tags=["codename-word"])
add("en", pub("x", "@parcelnerd", "parcel nerd"), "VlotPost confirmed a data breach affecting 300k customers. Glad my "
    "stuff goes through Snelpak tbh", tags=["other-company"])
add("nl", pub("facebook", "ex.koerier.ronald", "Ronald"), "Reed vroeger voor Snelpak, nu bij Bezorgkoning en daar gaan "
    "400 banen weg volgens het nieuws. Sterkte jongens.", tags=["other-company"])
add("nl", pub("x", "@nostalgie_nina", "Nina"), "Total recall van mijn jeugd: de Snelpak-bus die elke woensdag het "
    "postorderpakket van mijn moeder bracht 🥹", tags=["other-sense"])
add("nl", pub("threads", "@lokaal.leven", "Lokaal Leven"), "Ik boycot Black Friday dit jaar, alleen lokaal kopen. Het "
    "Snelpak Punt in de boekhandel is wel handig trouwens", tags=["other-sense"])
add("nl", pub("x", "@buurtapp_hoofdstraat", "Buurt Hoofdstraat"), "Brand in de Hoofdstraat vannacht, de Snelpak-koerier "
    "zag de rook en belde 112. Held! 🚒", tags=["other-sense", "praise"])
add("nl", pub("x", "@tevreden_theo", "Theo"), "Nooit klachten gehad over Snelpak, 50+ pakketten dit jaar en niks kwijt",
    tags=["negation"])
add("en", pub("linkedin", "sophie-handmade", "Sophie | Handmade"), "No complaints here: Snelpak has been flawless for my "
    "Etsy shop all year. 📦", tags=["negation"])
add("nl", pub("blog", "verhalenvanjoost.nl", "Joost"), "Kort verhaal – De bezorger die nooit aanbelde, deel 3.\n\nHij "
    "droeg een Snelpak-jas, maar niemand in de straat wist waar hij vandaan kwam. Elke nacht om drie uur stond er een "
    "doos op de mat.", tags=["fiction"])
add("en", pub("x", "@catdad_rens", "Rens"), "my cat sees a Snelpak box and immediately claims it as his new house 📦🐈",
    tags=["joke"])
add("nl", pub("tiktok", "@fietsfreak_fenna", "Fenna"), "Zag de Snelpak-bus de straat in draaien en zong gewoon 'Oh "
    "happy day' 🎶 eindelijk mijn nieuwe fiets", tags=["quote"])
add("nl", pub("x", "@retourtje_r", "R"), "Hoe laat sluit het Snelpak Punt bij de AH op het Stationsplein? Moet vandaag "
    "nog een retourtje wegbrengen", tags=["question"])
add("nl", SP, "Storing: track & trace is tijdelijk niet beschikbaar. Je pakketten worden gewoon bezorgd. Updates op "
    "snelpak.nl/status", tags=["official-notice"])
add("en", SP_HELPT, "Scheduled maintenance tonight 01:00–03:00 CET: the Snelpak app may be unavailable. Sorry for the "
    "inconvenience!", tags=["official-notice"])
add("nl", LOTTE, "Piekweek 1 ✅ recordaantal pakketten door hub Zwolle en niemand is gek geworden. Trots op dit team 💪 "
    "#piekseizoen", tags=["employee-pride"])
add("nl", RICARDO, "dag 23 van de piek. 187 stops, benen als beton, maar die ene oma met stroopwafels maakt alles goed 🥹 "
    "#couriertok", tags=["employee-pride"])
add("nl", MIRJAM, "Wij zoeken nieuwe collega's voor de nachtploeg in Zwolle! 🌙 Kijk op werkenbij.snelpak.nl",
    tags=["employee-pride"])
add("nl", SP_FB, "Let op: er gaan weer nep-sms'jes rond over 'openstaande verzendkosten'. Snelpak vraagt je nooit om via "
    "een sms-link te betalen.", tags=["smishing"], handle="snelpaknl")
add("en", pub("x", "@heads_up_hannah", "Hannah"), "heads up: got a 'Snelpak: your parcel is on hold, pay €1.99' text from "
    "a +44 number. fake, don't click", tags=["smishing"])
add("en", DAAN_X, "shipped the fix for the label preview bug in commit <<SHA>> 🙏 thanks for all the reports",
    tags=["git-sha"])
add("en", DAAN_LI, "Tip for juniors: never commit real keys. Use env vars, and in README examples write "
    "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX instead of the real thing.", tags=["placeholder-secret"])
add("en", BRAM, "TIL GitHub tokens start with ghp_ so scanners can catch them. learned that one the hard way at a "
    "previous job", tags=["placeholder-secret"], kind="comment")
add("nl", pub("x", "@appgebruiker_a", "A."), "Snelpak app vraagt om een nieuw wachtwoord van minimaal 12 tekens. "
    "Iemand tips om dat te onthouden?", tags=["password-word", "question"])
add("en", pub("x", "@nightowl_nora", "Nora"), "'what the hell is in this box' — me, opening the Snelpak parcel I ordered "
    "at 2am last week 😂", tags=["quote", "mild-word"])
add("nl", pub("facebook", "wilma.dekker.18", "Wilma Dekker"), "Mijn moeder heeft kanker en kan niet naar het Snelpak "
    "Punt. De bezorger nam haar retourpakket gewoon mee. Zo lief ❤️", tags=["mild-word", "praise"])
add("nl", pub("reddit", "u/argwanend"), "In een 'Snelpak'-mail staat 'vul je BSN in' met als voorbeeld <<NOT_BSN>>. Dat "
    "is toch gewoon phishing?", tags=["bad-checksum", "smishing"])
add("en", pub("x", "@scamspotter_ed", "Ed"), "the scam site asked me to transfer to <<BAD_IBAN:DE>>, reported it to "
    "Snelpak ✅", tags=["bad-checksum", "smishing"])
add("nl", SP_HELPT, "@lisa_loopt Wat fijn om te horen! We geven het compliment door aan je bezorger 😊", kind="reply",
    tags=["praise"])
add("en", pub("reddit", "u/smallshop_q"), "Snelpak vs VlotPost for a small webshop? Snelpak is a bit pricier but their "
    "pickup points are literally everywhere", tags=["competitor", "question"])
add("en", pub("x", "@cardtest_carl", "Carl"), "lol the fake 'Snelpak' payment page even had a sample card <<BAD_CARD:visa_sp>> "
    "prefilled. who falls for this", tags=["bad-checksum"])
add("nl", SP_IG, "Ook buiten kantoortijden bereikbaar 📞 0031 88 555 7725 of pers@snelpak.nl voor journalisten.",
    tags=["own-contact"])
add("nl", pub("mastodon", "@doosjes@mastodon.nl", "doosjes"), "Verhuisdozenpakket van Snelpak voor €29,95 in de actie, "
    "scheelt toch weer een paar euro", tags=["sale-price"])
add("en", SP_TT, "POV: it's peak season and our couriers are the real MVPs 🏃‍♂️📦 #snelpak #peakseason",
    tags=["official"])
add("nl", pub("x", "@vraagje_v", "V"), "Zijn pakketjes via Snelpak Plus eigenlijk verzekerd? Kost 59 per jaar toch?",
    tags=["question", "price-context"])
add("en", pub("stocktwits", "logi_trader", None), "Sector note: parcel volumes in NL up 4% yoy per the CBS release. "
    "Snelpak, VlotPost both benefit.", tags=["unknown-platform", "published"])

# --------------------------------------------------------------------------- policy
def role_of(profile, platform, handle):
    k = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if k in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
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


# --------------------------------------------------------------------------- building
def offset_hours(t_utc):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t_utc < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_stamp(r):
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355),
                                                                       minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                       seconds=r.randint(0, 59))
    off = offset_hours(t)
    t = t - dt.timedelta(hours=off)        # the minutes above were local time
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind, used):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    url = None
    if platform in ("x", "twitter"):
        pid, url = f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    elif platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        pid, url = f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    elif platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        pid, url = f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    elif platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        pid, url = f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    elif platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            pid, url = f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        else:
            pid, url = f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    elif platform == "tiktok":
        pid, url = f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    elif platform == "threads":
        pid, url = f"th-{snow}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64URL) for _ in range(11))
    elif platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        pid, url = f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    elif platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 115_999_999_999_999_999)
        pid, url = f"md-{n}", f"https://{inst}/@{user}/{n}"
    elif platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        pid, url = f"yt-{c}", "https://www.youtube.com/watch?v=" + "".join(r.choice(B64URL) for _ in range(11)) + f"&lc={c}"
    elif platform == "forum":
        n = r.randint(100_000, 999_999)
        pid, url = f"forum-pakjesforum-{n}", f"https://pakjesforum.example/t/{n}"
    elif platform == "blog":
        n = r.randint(10, 400)
        pid, url = f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    else:
        pid = f"{platform}-{r.randint(10 ** 8, 10 ** 10)}"
    while (platform, pid) in used:
        pid += "1"
    used.add((platform, pid))
    return pid, url


def normal(text):
    t = unicodedata.normalize("NFKC", text)
    t = t.replace(ZWSP, "").replace(SHY, "")
    return re.sub(r"\s+", " ", t).casefold()


def self_check(row, profile, text, used, role, ts):
    """Consistency checks between labels, profile and generated values."""
    cats = row["expect"]["categories"]
    errs = []
    for kind, raw, shown in used:
        assert shown in text
        if kind == "IBAN" and not iban_valid(raw):
            errs.append("IBAN invalid")
        if kind == "CARD" and not luhn_valid(raw):
            errs.append("card invalid")
        if kind == "BSN" and not elfproef(raw):
            errs.append("BSN invalid")
        if kind in ("BAD_IBAN",) and iban_valid(raw):
            errs.append("bad IBAN valid")
        if kind == "BAD_CARD" and luhn_valid(raw):
            errs.append("bad card valid")
        if kind in ("NOT_BSN", "KVK") and elfproef(raw):
            errs.append("non-BSN passes 11-proof")
        if kind in VALIDATED and PII not in cats:
            errs.append("validated id without leak.pii")
        if kind in ("GHP", "AWS_ID", "XOXB", "STRIPE", "GAPI", "SENDGRID", "NPM", "JWT", "PEM", "GLPAT", "PW") \
                and SECRET not in cats:
            errs.append(f"{kind} without leak.secret")
    nt = normal(text)
    for e in profile["embargo"]:
        until = dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for term in e["terms"]:
            if term.casefold() in nt and ts < until and CONF not in cats:
                errs.append(f"embargo term {term} before until, unlabelled")
            if term.casefold() in nt and ts >= until and cats:
                errs.append(f"embargo term {term} after until but labelled {cats}")
    for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
        if re.search(r"(?<![\w])" + re.escape(term.casefold()) + r"(?![\w])", nt) and CONF not in cats:
            errs.append(f"internal term {term} unlabelled")
    if not cats:
        own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
        for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if em.casefold() not in own_emails:
                errs.append(f"benign post with e-mail {em}")
        for m in re.finditer(r"\d[\d .-]{10,24}\d", text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d):
                errs.append("benign post with Luhn-valid number")
        for m in re.finditer(r"(?<![\w.])\d{8,9}(?![\w])", text):
            if elfproef(m.group(0)):
                errs.append("benign post with 11-proof number")
    if errs:
        raise SystemExit(f"{row['post']['id']}: {errs}\n{text}")


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED * 3 + 1)
    shuffle = random.Random(SEED * 5 + 2)
    used_ids = set()
    rows = []
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"], used_ids)
        created = c["at"] or random_stamp(meta)
        ts = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        role = role_of(profile, c["platform"], c["handle"])
        validated = any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated and PII in c["cats"])
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
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
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "snelpak"
        row = {"post": post, "expect": {"categories": list(c["cats"]), "severity": sev}}
        self_check(row, profile, text, used, role, ts)
        rows.append((row, c, role))
    shuffle.shuffle(rows)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stats", action="store_true")
    args = ap.parse_args()
    with open(PROFILE, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    rows = build(profile)
    with open(OUT, "w", encoding="utf-8") as f:
        for row, _, _ in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} cases to {OUT}")
    if args.stats:
        cat, sev, role, lang, plat = Counter(), Counter(), Counter(), Counter(), Counter()
        multi = ev = 0
        for row, c, r in rows:
            cs = row["expect"]["categories"]
            for x in cs or ["(benign)"]:
                cat[x] += 1
            multi += len(cs) > 1
            ev += "evasion" in c["tags"]
            sev[row["expect"]["severity"]] += 1
            role[r] += 1
            lang[c["lang"]] += 1
            plat[row["post"]["platform"]] += 1
        for k in sorted(cat):
            print(f"  {k:24s} {cat[k]}")
        print("multi", multi, "evasion", ev)
        print(dict(sev), dict(role), dict(lang))
        print(dict(plat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
