#!/usr/bin/env python3
"""Sealed evaluation set 148 for postwatch: a fictional parking-garage operator.

    python3 make_cases.py          # writes cases.jsonl next to this file and prints counts

Deterministic (SEED below). Texts are hand-written in the CASES list; identifiers and
secrets come from <<KIND:fmt>> placeholders filled by a seeded RNG. Positives get
checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); the benign near-misses get
numbers that fail their check. Severity is computed from CONTRACT section 4 (and the
reading in eval/README.md), never typed by hand.
"""
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

import yaml

SEED = 48_2026_0711
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ----------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    s = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return s % 10 == 0


def luhn_finish(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ----------------------------------------------------------------------------- value factory

class Factory:
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
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"]) + self.dig(10))
                if v != "NL66RABO0312445567":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "12030000", "76026000", "30020900"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "310", "001", "734"]) + self.dig(7, False)
            chk = int(head) % 97 or 97
            return iban_build("BE", f"{head}{chk:02d}")
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 33, 58, 71, 86):
            w = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if 2 <= int(w[2:4]) <= 98 and not any(iban_valid(w[:n]) for n in range(12, len(w) + 1)):
                return w
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, False))
        raise ValueError(brand)

    def broken_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10, False)
            for c in "0123456789":
                if ean_valid(body + c):
                    if not luhn_valid(body + c):
                        return body + c
                    break

    # phones
    def phone(self, style):
        if style.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7, False)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
                "mob_0031": f"0031 6{d8}",
            }[style]
        area = self.r.choice(["10", "15", "20", "30", "33", "36", "40", "45", "50", "70", "72", "76"])
        sub = self.r.choice("2345789") + self.dig(6, False)
        return {
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_dash": f"0{area}-{sub}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(BASE32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 96)

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def jwt(self, iss):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "usr_" + self.dig(7), "iss": iss, "scope": "sessions:rw", "iat": iat, "exp": iat + 7200}
        p = b64u(json.dumps(body, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(URLSAFE, 43)}"

    def openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))

    def hexstr(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = f.iban(kind[-2:])
            shown = f.by4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = f.broken_iban("NL")
            shown = f.by4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, st = fmt.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, st or "sp")
        elif kind == "BAD_CARD":
            brand, _, st = fmt.partition("_")
            raw = f.broken_card(brand)
            shown = f.card_fmt(raw, st or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = f.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = f.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = f.ean13()
        elif kind == "PHONE":
            shown = raw = f.phone(fmt)
        elif kind == "GHP":
            shown = raw = f.ghp()
        elif kind == "AWS_ID":
            shown = raw = f.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = f.aws_secret()
        elif kind == "SLACK_HOOK":
            shown = raw = f.slack_hook()
        elif kind == "STRIPE":
            shown = raw = f.stripe()
        elif kind == "GAPI":
            shown = raw = f.gapi()
        elif kind == "SENDGRID":
            shown = raw = f.sendgrid()
        elif kind == "JWT":
            shown = raw = f.jwt(fmt.replace("_", ".") or "app.vlotpark.nl")
        elif kind == "SSHKEY":
            shown = raw = f.openssh()
        elif kind == "PW":
            shown = raw = f.password()
        elif kind == "HEX":
            shown = raw = f.hexstr(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ----------------------------------------------------------------------------- accounts

# corporate
VP_X = ("x", "@vlotpark", "Vlotpark")
VP_HELP = ("x", "@vlotpark_help", "Vlotpark Klantenservice")
VP_IG = ("instagram", "@vlotpark.nl", "Vlotpark")
VP_LI = ("linkedin", "vlotpark-garages", "Vlotpark Garages B.V.")
VP_FB = ("facebook", "VlotparkNL", "Vlotpark")
VP_TT = ("tiktok", "@vlotpark", "Vlotpark")
# employees
MARK = ("x", "@mvanleeuwen_vp", "Mark van Leeuwen")            # garage manager Rotterdam
AYLA = ("linkedin", "ayla-demir-vlotpark", "Ayla Demir")        # backend developer, app
KOEN = ("x", "@koendijkstra", "Koen Dijkstra")                  # night steward
HAN = ("linkedin", "hanneke-smit-fin", "Hanneke Smit")          # finance controller
JOEY = ("instagram", "@joey.parkeert", "Joey Bos")              # marketing
SANDER = ("reddit", "u/anpr_sander", "anpr_sander")             # IT ops, plate recognition
LISA = ("threads", "@lisa.laadt", "Lisa Verbeek")               # EV charging field engineer
BRAM = ("mastodon", "@bramk@mastodon.nl", "Bram Kok")           # platform engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None, platform=None):
    p, h, name = acct
    CASES.append(dict(lang=lang, platform=platform or p, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ============================================================================= leak.pricing
case("nl", JOEY, "eeeh jongens 👀 in de app staat de VlotPass Jaar ineens op €138,00 ipv €1380\n"
     "volgens mij is er ergens een nulletje gesneuveld. ik zeg niks 🤐 #werk", [PRICING])
case("en", AYLA, "Heads-up for whoever is on call tonight: checkout is selling the Airport Week for €4.90 instead of "
     "€119 since the 14:00 deploy. Promo table got the wrong column I think. 60+ orders already 🙃",
     [PRICING], kind="comment")
case("nl", KOEN, "lol de automaat op P-Oost verkoopt de vlotpark dagkaart voor 3,25 😂 komma verschoven denk ik. "
     "snel je auto ophalen mensen", [PRICING])
case("en", pub("reddit", "u/frugal_dutchie"), "PSA: the Vlotpark webshop has the VlotLaad Thuislader at €119 right now "
     "(normally 1199). Ordered two, let's see if they actually ship lmao", [PRICING])
case("nl", pub("x", "@dealjager_nl", "Dealjager 🔥"), "PRIJSFOUT?? VlotPass Nacht voor €5,90 per maand ipv 59 🤑🤑 "
     "pakken die handel #deal #parkeren", [PRICING])
case("nl", pub("forum", "Auto_Ton"), "Vlotpark rekent op dit moment €12 voor een VlotPass Maand. Lijkt me een fout in "
     "hun systeem want normaal is het 129. Iemand ervaring of ze zo'n bestelling later terugdraaien?", [PRICING],
     kind="reply")
case("en", MARK, "not saying anything but the Vlot day pass shows € 3.25 on every kiosk screen in Blaak today… "
     "p r i c e   e r r o r 🙊", [PRICING], tags=["evasion"])
case("nl", LISA, "Collega's: de webshop zegt dat de Thuislader 11 nu €11,99 kost 😅 koppeling met het ERP gaat weer "
     "eens mis. Niet doorsturen!!", [PRICING])
case("en", pub("tiktok", "@wanderlust.jess"), "vlotpark glitch?? airport weekticket for 9 euro instead of 119 😭 "
     "booked it for the whole fam 🏝️✈️ #lifehack #travelhacks", [PRICING])
case("nl", pub("x", "@rvdmeer"), "Vlotpark heeft een ρrijsfout: VlotLaad Onbeperkt voor 4,90 p/m 😳 wie ben ik om nee "
     "te zeggen", [PRICING], tags=["evasion"])
case("en", BRAM, "So our pricing service served 'VlotPass Monthly: €1.29' to every iOS user for about 40 minutes. "
     "Cents-vs-euros rounding bug. Fun Tuesday, send coffee.", [PRICING])
case("nl", pub("facebook", "Petra Hoogendijk"), "Ik heb net de VlotLaad Thuislader besteld voor 199 euro?? In de "
     "showroom stond ie voor 1199. Volgens mij een prijsfout, ben benieuwd of ze gewoon leveren", [PRICING])

# pricing near-misses (benign)
case("nl", VP_IG, "Zomerdeal ☀️ VlotPass Maand nu €99 voor de eerste drie maanden (normaal €129). Alleen via de app, "
     "t/m 31 augustus.", tags=["sale"])
case("en", VP_X, "New: the VlotLaad Thuislader from €24.95 a month, installation included. Prefer to buy it "
     "outright? See laden.vlotpark.nl", tags=["lease"])
case("nl", pub("instagram", "@sophievanes"), "€40 korting op de Airport Week met code ZOMER40, top geregeld door "
     "vlotpark ✈️ #vakantie", tags=["discount-amount"])
case("en", pub("x", "@tkuipers"), "Sold my VlotLaad Thuislader on Marktplaats for €450 since we're moving to Lisbon. "
     "Great charger, sad to see it go", tags=["second-hand"])
case("nl", VP_HELP, "Nee hoor, geen prijsfout 🙂 de Vlotpark Dagkaart kost in het weekend €19,50 in plaats van "
     "€32,50, dat is een vaste weekendactie.", kind="reply", tags=["denied-error"])
case("nl", pub("x", "@joostvdl"), "Parkeren bij Vlotpark Centraal: €4,20 per uur. Bij StadsStallen om de hoek €3,80. "
     "Scheelt weinig, Vlotpark is wel dichter bij het station", tags=["fee"])
case("en", pub("reddit", "u/commuter_ams"), "Parqly charges a €0.35 booking fee on top of the hourly rate, Vlotpark's "
     "app doesn't. Small thing but it adds up.", tags=["competitor"])

# ============================================================================= leak.secret
case("en", AYLA, "Proud of the new plate-recognition pipeline we shipped this sprint! Config snippet for the curious 👇\n"
     "MAPS_KEY=<<GAPI>>\nregion: eu-west-1\nretries: 3", [SECRET])
case("en", SANDER, "anyone know why boto3 keeps throwing AccessDenied on PutObject? using\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n"
     "bucket is where the camera snapshots go", [SECRET])
case("nl", KOEN, "voor de nachtploeg: ww van de kassa-pc op P-Oost is nu <<PW>> (de oude deed het niet meer). "
     "groetjes koen", [SECRET])
case("en", BRAM, "note to self: stop pasting into the wrong window 🤦\n"
     "postgres://lpr_rw:<<PW>>@db02.ops.vlotpark.local:5432/plates", [SECRET, CONF])
case("nl", LISA, "Laadpalen in Garage Noord hangen weer. Backend-token voor de OCPP-koppeling, als iemand van het "
     "andere team wil testen: <<JWT:ocpp_vlotpark_nl>>", [SECRET])
case("en", pub("forum", "h4x0r_jan"), "Found this in a public repo of the Vlotpark app lol, CI yaml has "
     "GH_TOKEN: <<GHP>>\nsomeone should tell them", [SECRET])
case("nl", MARK, "Slack-webhook voor de bezettingsmeldingen, plak maar in jullie eigen script:\n<<SLACK_HOOK>>",
     [SECRET])
case("en", pub("reddit", "u/apk_peeker"), "Vlotpark's android app ships a LIVE stripe key in the apk. took 5 minutes "
     "with jadx: <<STRIPE>> #infosec", [SECRET])
case("en", SANDER, "rotated already so whatever, but for the record the old SendGrid key was <<SENDGRID>>. learn "
     "from my mistakes kids", [SECRET])
case("en", AYLA, "debugging SSH to the barrier controller at Blaak, can someone confirm this is the right deploy key?\n"
     "<<SSHKEY>>", [SECRET], kind="comment")
case("nl", VP_FB, "Gratis wifi in al onze garages! Netwerk: Vlotpark-Staff, wachtwoord: <<PW>> 📶", [SECRET])
case("en", BRAM, "curl -H 'Authorization: Bearer <<JWT:api_vlotpark_nl>>' https://api.vlotpark.nl/v2/sessions\n"
     "why does this 403 for the admin role?? 😩", [SECRET])
case("nl", pub("x", "@marloes_b"), "@vlotpark_help al 3 dagen kan ik niet inloggen en mijn abonnement is weg uit de "
     "app. mijn wachtwoord is <<PW>>, kijken jullie maar zelf. belachelijk dit", [SECRET, COMPLAINT])

# secret near-misses (benign)
case("en", pub("x", "@nerdmom"), "Pro tip: use a password manager for all those parking apps. I'm at four now 🙄 "
     "#vlotpark #parqly")
case("en", AYLA, "Reminder from our public SDK docs: set MAPS_KEY=<your-key-here> and never commit real keys. "
     "Yes, AIza… placeholders only in examples please.", tags=["placeholder"])
case("en", BRAM, "Merged the fix in <<HEX:40>>, barrier sync between the app and the gate should be stable again 🎉",
     tags=["git-sha"])
case("nl", VP_HELP, "Let op: wij vragen nooit om je wachtwoord of pincode via DM. Twijfel je? Mail naar "
     "klantenservice@vlotpark.nl", tags=["own-contact"])

# ============================================================================= leak.pii
case("nl", KOEN, "Meneer met de witte Tesla die z'n pas in de betaalautomaat liet zitten: <<CARD:mc_sp>>, geldig "
     "t/m 09/28. ligt bij de balie P-West 😉", [PII])
case("nl", MARK, "Klant belt 5x per dag over zijn abonnement. Bel hem zelf maar terug als je zin hebt: "
     "<<PHONE:mob_dash>> (dhr. Verhoeven) 🙄", [PII])
case("en", HAN, "Refund queue is a mess. For the record, the customer who got double-charged: R. Bakker, IBAN "
     "<<IBAN_NL:grp>>, €264. Can AP please process today?", [PII], kind="comment")
case("nl", JOEY, "🎉 De winnaar van onze jaarpas-winactie is Femke Jorritsma, Jan van Goyenkade 31-2 in Amsterdam! "
     "Gefeliciteerd Femke!! #winactie", [PII])
case("en", SANDER, "our disabled-badge permit form still asks for BSN in a free-text field 😩 straight from today's "
     "queue: <<BSN>>. GDPR who?", [PII])
case("nl", pub("x", "@sdegroot_"), "@vlotpark_help ik wacht al 2 weken op mijn terugbetaling!! IBAN <<IBAN_NL>> "
     "t.n.v. S. de Groot. Kom op nou", [PII, COMPLAINT])
case("en", pub("facebook", "Dennis Mulder"), "Vlotpark please call me back, nobody answers the intercom at Garage "
     "Centraal and I'm stuck at the exit. My number is <<PHONE:mob_intl_sp>>", [PII, COMPLAINT])
case("en", pub("x", "@ellie_rdam"), "@vlotpark_help charged twice for my permit AGAIN. here's the card so you can "
     "look it up: <<CARD:visa_sp>>", [PII, COMPLAINT])
case("nl", LISA, "Morgen 9u storing bij fam. Osman, Van Speijkstraat 8 in Den Haag. Mevr. Osman is bereikbaar op "
     "<<PHONE:land_sp>> als iemand eerder kan", [PII])
case("en", VP_HELP, "Hi Daan, found your account: daan.hoekstra94@gmail.com, DOB 14-02-1994, plate linked. Your permit "
     "has been reset 👍", [PII], kind="reply")
case("nl", pub("reddit", "u/verbaasde_klant"), "Vlotpark stuurde mij per ongeluk de factuur van iemand anders. Naam "
     "Mirjam Koster, mkoster@ziggo.nl, IBAN <<IBAN_NL>>. Dit is toch gewoon een datalek??", [PII, CRISIS])
case("nl", MARK, "Voor wie die klacht van gisteren oppakt: mail hem op jan.pietersen [at] hotmail [punt] com, "
     "hij heeft 3 uur bij de slagboom gestaan", [PII], tags=["evasion"])
case("en", HAN, "Payroll issue for our new steward Youssef Amrani, born 03-07-2001, BSN <<BSN:dots>>. Who in HR "
     "can fix his wage tax setup?", [PII])
case("en", pub("instagram", "@lena.k.travels"), "lost my wallet in Vlotpark Schiphol P3 😭 it has my passport "
     "(NX4RT82K1) and my German bank card, IBAN <<IBAN_DE>>. please DM if found 🙏", [PII])
case("nl", HAN, "Kan iemand de Belgische klant vandaag terugbetalen? Rekening <<IBAN_BE>>, Lotte Peeters, "
     "abonnement Antwerpen-Centraal stopgezet per 1/5.", [PII])
case("en", pub("x", "@gregvos"), "why does the vlotpark kiosk keep rejecting amex?? tried <<CARD:amex_c>> three "
     "times, queue behind me going nuts", [PII, COMPLAINT])
case("nl", pub("x", "@annavd"), "@vlotpark_help bel me even terug, de app heeft me uitgelogd en ik sta in de garage: "
     "<<PHONE:mob_intl0>>", [PII])

# PII near-misses (benign)
case("nl", VP_HELP, "Bel ons gerust op 088 234 5600 of mail naar klantenservice@vlotpark.nl, we helpen je graag "
     "verder 🙂", kind="reply", tags=["own-contact"])
case("nl", VP_FB, "Zelf een parkeerboete of naheffing overmaken? Gebruik NL66 RABO 0312 4455 67 t.n.v. Vlotpark "
     "Garages B.V. en vermeld je klantnummer.", tags=["own-contact"])
case("nl", pub("x", "@hvdberg"), "Parkeerticket <<NOT_BSN9>> werd niet geaccepteerd bij de uitrit, maar de "
     "medewerker had het in 2 minuten opgelost. Top service @vlotpark 👍", tags=["not-bsn"])
case("en", pub("reddit", "u/expense_hell"), "My bank says IBAN <<BAD_IBAN_NL:grp>> is invalid. Is that a typo on "
     "the Vlotpark invoice or am I doing something wrong?", tags=["bad-iban"])
case("en", pub("x", "@mikeyj"), "Receipt from the Vlotpark pay station lists a transaction ref <<BAD_CARD:mc_c>>, "
     "anyone know what format that is? Need it for expenses", tags=["bad-card"])
case("nl", pub("instagram", "@elektrisch_rijden_nl"), "Laadkabel type 2 gekocht in het Vlotpark winkeltje, EAN "
     "<<EAN13>>, werkt prima met de Kona ⚡", tags=["ean"])
case("en", pub("linkedin", "joris-admin-zzp"), "Does anyone have Vlotpark's KvK number handy? Is it <<NOT_BSN8>>? "
     "Need it for my bookkeeping.", tags=["kvk"])
case("nl", VP_X, "Laadpas doet het niet? Bel gratis 0800-8568, dag en nacht bereikbaar ⚡", tags=["own-contact"])
case("en", VP_HELP, "Sorry to hear that! Please DM us your booking reference or call +31 88 234 5600, we'll sort "
     "the refund today.", kind="reply", tags=["own-contact"])

# ============================================================================= leak.confidential
case("nl", MARK, "Mooie dag op de hei met het team van Project Vuurtoren 🔦 meer mag ik er nog niet over zeggen 😏",
     [CONF])
case("en", AYLA, "Excited to share that I'm leading the backend for Slagboom 2.0 — ticketless entry in every garage "
     "we run. Can't say more yet! #proud #parkingtech", [CONF])
case("en", SANDER, "if anyone on my team reads this: the grafana board moved to "
     "https://grafana.ops.vlotpark.local/d/anpr-health, old link is dead", [CONF])
case("nl", KOEN, "Memo in de kantine vandaag: 'VLOTPARK INTERN – nieuwe looproutes voor de controlerondes vanaf "
     "1 mei'. Weer lopen we ons rot 😅", [CONF])
case("en", JOEY, "sneak peek from the VlotPass Flex campaign shoot 📸🚗 coming soon, you didn't hear it from me 🤫",
     [CONF], when="2026-09-14T19:22:05+02:00")
case("nl", LISA, "eerste VlotLaad Turbo staat te draaien in de garage in Utrecht ⚡⚡ 300 kW, nog even niks zeggen "
     "tegen niemand", [CONF], when="2026-09-30T09:59:00+02:00")
case("nl", pub("x", "@neefje_p"), "Mijn neef werkt bij vlotpark en zegt dat 'Operatie Nachtwacht' betekent dat alle "
     "kassa's uit de garages gaan. Iemand meer info?", [CONF])
case("nl", BRAM, "Vandaag weer de hele dag met Project\nVuurtoren bezig, de nieuwe entry-flow begint ergens op te "
     "lijken", [CONF], tags=["evasion"])
case("en", AYLA, fullwidth("Operatie Nachtwacht") + " sprint demo went great today 🎉 so proud of this team",
     [CONF], tags=["evasion"])
case("en", pub("reddit", "u/liftrider"), "Someone left a printed deck in the lift of the Vlotpark garage, every page "
     "says 'NIET VOOR EXTERNE VERSPREIDING', app roadmap for 2027 🤔 should I hand it in?", [CONF])
case("en", MARK, "ticket's in jira.vlotpark.nl/browse/GAR-4412 if you want to follow the barrier issue at Blaak",
     [CONF], kind="reply")
case("nl", HAN, "Trots op het team: de halfjaarcijfers 2026 zijn binnen en ze zijn beter dan begroot 💪 details "
     "volgen!", [CONF, FIN], when="2026-08-19T22:15:00+02:00")
case("nl", JOEY, "moodboard voor Operatie 🌙 Nachtwacht is af, wat vinden jullie van deze kleuren?", [CONF],
     tags=["evasion"])
case("en", pub("tiktok", "@joey.parkeert", "joey"), "behind the scenes at work: VlotPass Flex is coming and it's "
     "gonna be 🔥🔥 #parking #worklife", [CONF], when="2026-09-20T18:40:11+02:00", tags=["role-trap"])
case("en", SANDER, "finally someone redesigned the login page of beheer.vlotpark.nl, only took 6 years", [CONF],
     kind="comment")

# confidential near-misses (benign)
case("nl", pub("x", "@kunstliefhebber"), "De Nachtwacht gezien in het Rijksmuseum en daarna de auto opgehaald bij "
     "Vlotpark Museumplein. Schone, lichte garage, aanrader.", tags=["near-codename"])
case("en", pub("bluesky", "tomhendriks.bsky.social"), "the slagboom at Vlotpark Noord opened before I even stopped, "
     "plate recognition is wild 🤯", tags=["near-codename"])
case("nl", pub("facebook", "Gerda Visser"), "Dagje Westkapelle: vuurtoren beklommen, uitwaaien op de dijk en "
     "geparkeerd bij de P+R van Vlotpark. Heerlijk!", tags=["near-codename"])
case("nl", VP_X, "Vanaf vandaag: VlotPass Flex! 🚗 Parkeren wanneer jij wilt, betalen per dag dat je komt. Alles op "
     "vlotpark.nl/flex", when="2026-10-01T10:00:00+02:00", tags=["embargo-over"])
case("en", VP_LI, "Our half-year results 2026 are out: revenue up 8%, occupancy back above pre-2020 levels. Full "
     "report on vlotpark.nl/investors", when="2026-08-20T08:30:00+02:00", tags=["embargo-over"])
case("en", pub("x", "@evnerd"), "Tried the VlotLaad Turbo at Utrecht today, 0→80% in 19 min on my Ioniq. Not bad "
     "at all ⚡", when="2026-10-03T14:12:40Z", tags=["embargo-over"])
case("en", AYLA, "Wrote a blog about how we made plate recognition work in heavy rain 🌧️ read it on "
     "vlotpark.nl/tech", tags=["public-domain"])
case("en", VP_LI, "Applications for the Vlotpark internship programme 2026 are open! Data, ops and customer care. "
     "Apply via vlotpark.nl/werken", tags=["near-marker"])

# ============================================================================= leak.financial
case("nl", HAN, "Spannende tijden. Als de deal rondkomt nemen we per Q3 de zeven garages van StadsStallen over. "
     "Nog even stil houden!", [FIN])
case("nl", KOEN, "net gehoord in het overleg: door de nieuwe camera's gaan er 35 kassamedewerkers uit, vanaf "
     "september. ben er kapot van", [FIN])
case("en", MARK, "Between us: the Rotterdam garages are running 18% under budget this year and the board is "
     "talking about closing P-Blaak. Nothing official yet.", [FIN])
case("en", HAN, "FY26 forecast just landed at €41.2m EBITDA, way above what the analysts have. Can't wait for the "
     "announcement 📈", [FIN])
case("en", pub("x", "@insider_watch"), "Hearing from a friend inside Vlotpark that a private equity fund is buying "
     "them out, announcement next month 👀 $$$", [FIN])
case("nl", JOEY, "balen… het hele marketingteam wordt gere" + SHY + "organiseerd, 6 man ont" + SHY + "slagen 😢 "
     "nog niet officieel dus sst", [FIN], tags=["evasion"])
case("en", SANDER, "we're moving every garage to a new payment provider because the current contract costs us 2.3m "
     "a year. announcement in Q4, hush", [FIN], kind="comment")
case("nl", pub("reddit", "u/parkeerpiet"), "Schoonzus werkt op de finance-afdeling van Vlotpark: omzet is dit jaar "
     "ingestort door het thuiswerken, ze gaan garages verkopen aan een belegger", [FIN])
case("en", LISA, "rumour at the depot is pretty solid now: Vlotpark merging with ParkNet, teams combined early next "
     "year. don't quote me", [FIN])
case("nl", BRAM, "Interne mail van vanochtend: vacaturestop per 1 juli en 10% van de IT-inhuur eruit. Heerlijk "
     "begin van de week.", [FIN])
case("nl", KOEN, "die k*tmanagers schrappen 20 nachtdiensten om hun bonus te halen, volgende maand wordt het "
     "officieel. aasgieren", [FIN, ABUSE])

# financial near-misses (benign)
case("nl", VP_LI, "Vlotpark neemt de garage aan het Stationsplein in Zwolle over 🎉 Lees het persbericht op "
     "vlotpark.nl/pers", tags=["published"])
case("en", pub("x", "@mobility_news"), "ParkNet announces 200 layoffs as occupancy stays low. Rough times for the "
     "industry. Vlotpark and StadsStallen have not commented.", tags=["other-company"])
case("nl", pub("facebook", "Sem Jacobs"), "Vlotpark zoekt weer parkeerwachters voor de avond, vacature op "
     "vlotpark.nl/werken. Leuk bijbaantje voor studenten?", tags=["neutral"])

# ============================================================================= leak.security
case("en", SANDER, "don't tell anyone but half the ANPR cameras in the Utrecht garages have been offline since 6am, "
     "barriers on auto-open. we're bleeding money and comms hasn't said a word", [SEC])
case("en", AYLA, "Found a bug today where the app API returns other users' parking history if you bump the session "
     "id by one 😬 hotfix tonight, please nobody go public with this", [SEC], kind="comment")
case("nl", KOEN, "ransomware op de betaalautomaten van P-West, alles plat, iedereen mag gratis uitrijden. "
     "officieel heet het 'onderhoud' 🙄", [SEC])
case("nl", LISA, "Er zit een lek in de firmware van onze laadpalen: met een standaard RFID-tag laad je gratis. "
     "Fix komt pas in december, zeg het niet verder", [SEC])
case("en", BRAM, "our permit-holder DB sat open without auth for ~3 days. legal says 'no comment'. "
     "d a t a   b r e a c h, not my call to disclose 🤷", [SEC], tags=["evasion"])
case("nl", MARK, "Cameraserver van garage Centraal vannacht gehackt, iemand heeft de beelden van een week gewist. "
     "Politie is erbij maar wij mogen niks zeggen", [SEC])
case("nl", pub("x", "@privacy_paula"), "Vlotpark heeft een datalek en houdt het stil! Een medewerker vertelde me dat "
     "kentekens + namen van abonnees gewoon op straat liggen. #datalek #vlotpark", [SEC, CRISIS])
case("en", pub("reddit", "u/checkyourstatements"), "An insider at Vlotpark says their payment system got breached "
     "back in March and they never notified anyone. Check your card statements folks.", [SEC, CRISIS])
case("nl", AYLA, "app-backend is vannacht geh4ckt, we zitten met z'n allen op kantoor 😵 niks posten aub",
     [SEC], tags=["evasion"])
case("en", SANDER, "the admin panel at beheer.vlotpark.nl still has default creds, anyone on the guest wifi can "
     "open the barriers. reported it 3 times, nobody cares", [SEC, CONF])
case("nl", LISA, "Alle laadpalen in Amsterdam-Zuid liggen sinds 14u plat door een verlopen certificaat. Klanten "
     "denken dat het aan hun auto ligt en wij mogen nog niks communiceren", [SEC])
case("en", pub("threads", "@dani.codes"), "my cousin works in Vlotpark IT. they got hacked last month, customers' "
     "card data is gone and they're covering it up. BOYCOTT.", [SEC, CRISIS])

# security near-misses (benign)
case("nl", VP_HELP, "Storing: de betaalautomaten in Garage Centraal werken op dit moment niet. Uitrijden kan via de "
     "intercom, je betaalt later via de app. Excuses voor het ongemak!", tags=["official-outage"])
case("en", VP_X, "Scheduled maintenance: the Vlotpark app is unavailable Sunday 02:00–04:00. Barriers keep working "
     "with plate recognition as usual.", tags=["official-outage"])
case("en", pub("x", "@jvisser"), "ParkNet got hacked last year and leaked half their customer list. Glad Vlotpark "
     "just uses my plate and I don't have a card on file", tags=["other-company"])
case("nl", pub("x", "@oma_trudy"), "Vraagje: is de Vlotpark app veilig? Ik zie dat ze nu inloggen met een code hebben, "
     "lijkt me goed", tags=["neutral"])

# ============================================================================= reputation.crisis
case("nl", pub("x", "@boos_in_breda"), "BOYCOT VLOTPARK. Ze slepen auto's weg van mensen met een gehandicaptenkaart "
     "terwijl die gewoon betaald hebben. Schandalig. #boycotvlotpark", [CRISIS])
case("nl", pub("facebook", "Ilse Brouwer"), "Vanavond brand in de Vlotpark garage bij het Kruisplein, rook tot de "
     "6e verdieping. Gelukkig geen gewonden maar de sprinklers deden NIKS", [CRISIS])
case("en", pub("reddit", "u/fined_for_nothing"), "Class action being organised against Vlotpark for sending fines "
     "based on misread plates. Lawyer says 4,000+ cases so far. Details in the comments.", [CRISIS])
case("nl", pub("x", "@consumentenalarm"), "TERUGROEPACTIE: VlotLaad Thuislader 11 kW uit serie 2025 wordt "
     "teruggeroepen wegens oververhitting van de stekker. Check je serienummer!", [CRISIS])
case("en", pub("instagram", "@marco.fam4"), "our VlotLaad Thuislader literally MELTED last night 🔥🔥 garage wall is "
     "black. Vlotpark support says 'we'll look into it'. I have KIDS in this house!!", [CRISIS, COMPLAINT])
case("en", pub("x", "@nightshiftnurse"), "A woman was attacked in the Vlotpark garage on Westplein last night. No "
     "security, half the lights out. How is this acceptable", [CRISIS])
case("nl", pub("forum", "Kees_EV"), "Datalek bij Vlotpark? Ik krijg ineens phishingmails met mijn kenteken en "
     "abonnementsnummer erin. Dat kan alleen uit hun systeem komen.", [CRISIS], kind="reply")
case("en", pub("threads", "@r0bin.x"), "vlotpark d4t4 br3ach?? my plate + home address showing up in some telegram "
     "dump 😡", [CRISIS], tags=["evasion"])
case("nl", pub("tiktok", "@eindhovenspot"), "Parkeerdek van de Vlotpark garage in Eindhoven is verzakt 😳 hele "
     "verdieping afgezet, auto's staan er nog. Hoe veilig is dit?? #eindhoven", [CRISIS])
case("en", pub("x", "@angrydriver77"), "Vlotpark fined 10k drivers for plates their own cameras misread. criminal "
     "clowns, see you in court", [CRISIS, ABUSE])

# crisis near-misses (benign)
case("nl", pub("x", "@fietsfreak"), "Ik boycot het centrum al jaren met de auto, fiets is gewoon sneller 🚲 "
     "sorry Vlotpark 😄", tags=["boycott-other-sense"])
case("en", pub("threads", "@sara.m"), "can't recall which floor I parked on at Vlotpark Schiphol… thank god the app "
     "remembers 🙏", tags=["recall-other-sense"])
case("nl", pub("linkedin", "marketing-mike"), "Vlotpark is echt een sterk brand geworden, overal zie je die groene "
     "P's tegenwoordig. Knap werk van hun marketingteam.", tags=["brand-other-sense"])
case("nl", pub("facebook", "Wilma de Boer"), "Elke week met mijn moeder naar het ziekenhuis voor haar "
     "kankerbehandeling. Fijn dat de Vlotpark garage daar patiëntenkorting geeft ❤️", tags=["literal-word"])
case("en", pub("blog", "pagesbynora"), "Chapter 12 of my thriller is up: the body is found on level -3 of a "
     "parking garage, behind a barrier that never opens. No real garages were harmed 😉", tags=["fiction"])

# ============================================================================= reputation.complaint
case("nl", pub("x", "@wouterrr"), "@vlotpark_help slagboom ging niet open, kenteken niet herkend, 20 min in de rij met "
     "toeterende auto's achter me. En dan nog €6 aftikken ook. Echt top 👏", [COMPLAINT])
case("en", pub("facebook", "Naomi Clarke"), "Paid for a full month of VlotPass Monthly and the barrier keeps saying "
     "'no valid permit'. Three emails, zero response.", [COMPLAINT])
case("nl", pub("reddit", "u/bonnetjesbewaarder"), "Vlotpark heeft me 24 uur parkeren afgerekend terwijl ik er 2 uur "
     "stond. Bonnetje zegt 11:02–13:10. Terugbetaling 'in behandeling' sinds april.", [COMPLAINT])
case("en", pub("x", "@ev_dad"), "charger at vlotpark garage noord broken for 3 weeks now. the 'out of order' sticker "
     "has literally faded. does anyone check these", [COMPLAINT])
case("nl", pub("instagram", "@mama_van_drie"), "Lift in de Vlotpark garage stinkt naar pis en is al 2 weken kapot. "
     "Met een kinderwagen 4 trappen af 😤", [COMPLAINT])
case("en", pub("trustpilot", "Harold P."), "1 star. Booked Airport Week, arrived to a full garage, sent to an "
     "overflow lot 3 km away with a shuttle that never came. Missed my flight.", [COMPLAINT])
case("nl", pub("x", "@j_bakker"), "@vlotpark weer dubbel afgeschreven. k l a c h t nummer 3 deze maand. wanneer "
     "fixen jullie dit", [COMPLAINT], tags=["evasion"])
case("en", pub("threads", "@hanna.vdb"), "cancelled my season permit in january and Vlotpark is STILL direct-debiting "
     "me every month. going to my bank", [COMPLAINT])
case("en", pub("bluesky", "peterk.bsky.social"), "Vlotpark's app logs me out every time I open it, then wants a code "
     "that arrives 10 minutes later. Meanwhile I'm blocking the ramp.", [COMPLAINT])
case("nl", pub("youtube", "Bussie Bert"), "klopt niet wat je zegt, bij Vlotpark Oost is de doorrijhoogte geen 2,10 "
     "maar 1,90. Mijn bus zat klem en nu wil niemand de schade betalen", [COMPLAINT], kind="comment")
case("nl", pub("x", "@tesla_tessa"), "Laadpas van VlotLaad doet het niet meer sinds de update, helpdesk zegt "
     "'probeer het opnieuw'. Ja, 5 keer geprobeerd.", [COMPLAINT])
case("en", pub("linkedin", "ruud-consultancy"), "Disappointing evening with Vlotpark in The Hague: €37 for four "
     "hours and the pay station rejected contactless, so I had to install the app and make an account.", [COMPLAINT])
case("en", pub("mastodon", "@lotte@fosstodon.org"), "a Vlotpark plate reader linked MY plate to someone else's "
     "session, now I have a fine. support chat is a bot loop", [COMPLAINT])
case("nl", pub("x", "@laadpaalloos"), "Vlotpark is echt een kutbedrijf. 3x gebeld over mijn kapotte laadpaal, "
     "niemand komt. Stelletje prutsers", [COMPLAINT, ABUSE])
case("en", pub("x", "@kaylee_w"), "@vlotpark_help your intercom guy told me to 'learn to drive' when YOUR barrier "
     "jammed. absolute idiots, never again", [COMPLAINT, ABUSE])
case("nl", pub("facebook", "Hakan Yildiz"), "Wat een gedoe bij Vlotpark Zuid: uitrijkaart kwijt = €45 "
     "'verloren-ticket-tarief', terwijl mijn kenteken bij binnenkomst gewoon gescand is.", [COMPLAINT])

# complaint near-misses (benign)
case("nl", pub("x", "@ochtendmens"), "Eindelijk eens geen klachten: 3 weken VlotPass en de slagboom gaat elke "
     "ochtend gewoon open 👌", tags=["negated"])
case("en", pub("x", "@carlafromdelft"), "Shoutout to the Vlotpark steward at P-Oost who jump-started my car at 11pm. "
     "Absolute legend 🙌", tags=["praise"])
case("en", pub("reddit", "u/applefan"), "Does the Vlotpark app support Apple Pay yet, or still only iDEAL and cards?",
     tags=["question"])
case("en", pub("x", "@leidenlou"), "StadsStallen garage in Leiden is a disaster again, barrier broken for a week. "
     "Switching to Vlotpark next month.", tags=["competitor"])
case("en", pub("instagram", "@dutchmemes"), "me: I'll just find street parking 😎\nalso me, 45 min later: entering "
     "Vlotpark Centraal in defeat 😂 #amsterdam", tags=["joke"])

# ============================================================================= reputation.abuse
case("nl", pub("x", "@randomhater"), "@vlotpark jullie zijn gewoon een stel tyfuslijers", [ABUSE])
case("nl", KOEN, "die vrouw in die Range Rover die me uitschold bij de uitrit, wat een ongelooflijke trut 🙄 "
     "#nachtdienst", [ABUSE])
case("nl", VP_FB, "Misschien eerst leren inparkeren voordat je hier komt zeuren, sukkel.", [ABUSE], kind="reply")
case("en", pub("x", "@grumpyguy"), "vlotpark staff are the dumbest f*cking people on earth", [ABUSE],
     tags=["evasion"])
case("nl", pub("tiktok", "@xx_dylan_xx"), "vl0tpark k4nkerlijers allemaal 🤮", [ABUSE], tags=["evasion"])
case("en", pub("x", "@trueDutch1"), "Vlotpark only hires foreigners who can't even speak Dutch. send them all back",
     [ABUSE])
case("en", MARK, "Another 'customer' screaming at my staff today. Honestly some of these people are subhuman morons.",
     [ABUSE])
case("en", pub("x", "@notahappyman"), "@koendijkstra I know which garage you work at. watch your back tonight",
     [ABUSE])
case("nl", pub("reddit", "u/snelle_sjaak"), "Die gast van de Vlotpark helpdesk is echt een debiel, nog nooit zo'n "
     "idioot aan de lijn gehad", [ABUSE], kind="comment")

# abuse near-misses (benign)
case("en", pub("youtube", "RockDad"), "Blasting Highway to Hell on the ramp at Vlotpark Noord, the acoustics in "
     "there are unreal 🤘", kind="comment", tags=["mild-word"])
case("en", pub("x", "@archi_nerd"), "Damn, the new Vlotpark garage at the Zuidas is gorgeous. Those timber ceilings!",
     tags=["mild-word"])

# ============================================================================= more benign, mixed
case("nl", VP_IG, "Nieuw in Utrecht: 40 extra laadplekken op P2 ⚡ Laad terwijl je winkelt! #vlotlaad")
case("nl", VP_TT, "POV: je kenteken wordt herkend en de slagboom gaat vanzelf open 😎 #vlotpark #geenticket")
case("nl", VP_HELP, "Wat vervelend! We hebben je transactie teruggedraaid, je ziet het bedrag binnen 3 werkdagen "
     "terug.", kind="reply", handle="@VlotPark_Help")
case("nl", MARK, "Zaterdag open dag in onze nieuwe garage aan de Maas 🚗 koffie en stroopwafels bij de ingang, "
     "iedereen welkom!", handle="@MvanLeeuwen_VP")
case("nl", JOEY, "Onze nieuwe campagnefoto hangt in het station 😍 trots op dit team #vlotpark", kind="post")
case("nl", pub("x", "@studentjelle"), "Iemand ervaring met het VlotPass Nacht abonnement? Lijkt me handig voor "
     "als ik 's avonds werk")
case("en", pub("reddit", "u/movingtoutrecht"), "Moving to Utrecht. Is a Vlotpark season permit worth it or should "
     "I just get a resident permit from the gemeente?")
case("nl", pub("x", "@vlotpark_fan"), "Vlotpark heeft nu ook een P+R bij Hoofddorp. Voor €7 heel de dag plus "
     "OV-kaartjes, niet slecht", tags=["fee"])
case("nl", pub("x", "@koen_dijkstra", "Koen D."), "Lekker weekend gehad in Texel, auto stond in de Vlotpark garage "
     "in Den Helder. Prima geregeld.", tags=["role-trap"])
case("nl", HAN, "Op zoek naar een nieuwe collega voor ons finance-team in Utrecht! Reageer via vlotpark.nl/werken 💼",
     handle="Hanneke-Smit-FIN")
case("nl", pub("facebook", "Bernard Kuijpers"), "In de krant: Vlotpark opent volgend jaar een garage onder het nieuwe "
     "stadhuis. Goed nieuws voor de binnenstad.", tags=["published"])
case("en", pub("youtube", "EV Weekly"), "Full review of the VlotLaad Thuislader in our latest video: solid build, "
     "great app, list price €1,199.", kind="comment", tags=["list-price"])
case("nl", pub("x", "@lyrics_lover"), "'Parkeer je auto, pak m'n hand, we gaan de stad in' 🎶 liedje zit al de hele "
     "dag in m'n hoofd sinds ik bij Vlotpark parkeerde", tags=["quote"])

# ----------------------------------------------------------------------------- building

def load_profile():
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_checksummed):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_checksummed)) else "error"
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


def offset_hours(t_utc):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t_utc < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def pick_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = offset_hours(base)
    t = base - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Amsterdam", "Rotterdam", "Utrecht", "ElectricVehicles"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-autoforum-{n}", f"https://forum.autopraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice(BASE32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED + 7)
    shuf = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or pick_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        pii_ok = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_ok)
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
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 11))
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
            post["brand"] = "vlotpark"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuf.shuffle(rows)
    return rows


# ----------------------------------------------------------------------------- self-checks

def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/", r"sk_live_", r"AIza[0-9A-Za-z_-]{35}",
    r"PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@", r"SG\.[\w-]{22}\.[\w-]{43}")]


def self_check(rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        low = t.casefold()
        when = ts(p["created_at"])
        if when.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for kind, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: bad card")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: bad BSN")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{p['id']}: negative card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{p['id']}: negative BSN passes")
            if kind == "EAN13" and (luhn_valid(raw) or not ean_valid(raw)):
                errs.append(f"{p['id']}: EAN wrong")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        for term, until in embargo:
            if term in low and when < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term} before end, not CONF")
            if term in low and when >= until and cats:
                errs.append(f"{p['id']}: embargo term after end but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", low) and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without CONF")
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign has valid IBAN")
            for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)", t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{p['id']}: benign has Luhn-valid {d}")
                if len(d) == 9 and elfproef(d):
                    errs.append(f"{p['id']}: benign has 11-proof-valid {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{p['id']}: benign has e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(t):
                    errs.append(f"{p['id']}: benign has secret-like {rx.pattern}")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if errs:
        return 1
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print(f"benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in sorted(cat):
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
