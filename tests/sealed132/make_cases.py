#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 132.

    python3 make_cases.py          # write cases.jsonl next to this file and self-check it

Company: "Glimmer Beauty Studio's B.V." (profile.yaml here), a fictional Dutch chain of
nail and beauty studios with a booking app, gift cards and a loyalty programme.

Post texts are hand-written below (CASES). Identifiers and secrets come from
placeholders such as <<IBAN_NL:grp>>, filled by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); the benign near-misses get identifiers that FAIL their checksum.
Secrets are random and fake, shaped like the real formats (GitHub tokens carry a
correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
the account role (profile lookup by platform:handle, case-insensitive) and whether a
checksum-valid identifier (IBAN, card, BSN) is in the post.
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
from collections import Counter
from pathlib import Path

import yaml

SEED = 1320917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_make(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# --------------------------------------------------------------------------- seeded values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEXC = "0123456789abcdef"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBANs
    def iban_nl(self):
        return iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                         + self.d(10, True))

    def iban_be(self):
        f = self.r.choice(["063", "001", "310", "737", "143"]) + self.d(7)
        return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "30050110", "37040044", "50070010"]) + self.d(10))

    def bad_iban(self, v):
        kk = int(v[2:4])
        for delta in (7, 19, 31, 44):
            cand = f"{v[:2]}{(kk + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.d(12))
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

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + c for c in "0123456789" if ean_ok(body + c))
            if not luhn_ok(full):
                return full

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345678") + self.d(7)          # 8 digits after "06"
        if fmt.startswith("mob"):
            return {
                "mob_dash": f"06-{m}",
                "mob_plain": f"06{m}",
                "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
                "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_paren": f"(06) {m[:4]} {m[4:]}",
                "mob_intl0": f"+31(0)6 {m[:4]} {m[4:]}",
                "mob_intl_c": f"+316{m}",
            }[fmt]
        area = self.r.choice(["10", "20", "23", "26", "30", "40", "50", "70", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def twilio_ac(self):
        return "AC" + self.c(HEXC, 32)

    def twilio_sk(self):
        return "SK" + self.c(HEXC, 32)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "agent_" + self.d(5, True), "iss": "agents.glimmerapp.nl",
                               "scope": "support", "iat": iat, "exp": iat + 900},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%") + self.c(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text, own_iban):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(g, k.lower())()
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = own_iban
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "CARD":
            brand, _, ff = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            brand, _, ff = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "HEX":
            raw = shown = g.c(HEXC, int(f))
        elif k == "ALNUM":
            raw = shown = g.c(ALNUM, int(f))
        elif k == "PW":
            raw = shown = g.pw()
        else:
            fn = {"GHP": g.ghp, "MOLLIE": g.mollie, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "SLACK_BOT": g.slack_bot, "STRIPE": g.stripe, "GAPI": g.gapi, "SENDGRID": g.sendgrid,
                  "TWILIO_AC": g.twilio_ac, "TWILIO_SK": g.twilio_sk, "JWT": g.jwt, "PEM_RSA": g.pem_rsa}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
G_IG = ("instagram", "@glimmer.beauty", "Glimmer Beauty")
G_TT = ("tiktok", "@glimmerbeauty", "Glimmer Beauty")
G_X = ("x", "@glimmer_nl", "Glimmer")
G_HELP = ("x", "@glimmer_help", "Glimmer Klantenservice")
G_FB = ("facebook", "GlimmerBeautyNL", "Glimmer Beauty Studio's")
G_LI = ("linkedin", "glimmer-beauty-studios", "Glimmer Beauty Studio's B.V.")
# employees
YARA = ("instagram", "@nails.by.yara", "Yara Mendes")              # nail artist, Utrecht
BRAM = ("x", "@bram_glimmer_it", "Bram Hoekstra")                # app developer
JURRE = ("x", "@dev_jurre", "Jurre Kok")                         # backend / platform
LOTTE = ("linkedin", "lotte-smit-glimmer", "Lotte Smit")         # HR & operations
KEVIN = ("linkedin", "kevin-tran-finance", "Kevin Tran")         # finance controller
NOOR = ("tiktok", "@lashes_met_noor", "Noor Aydın")              # lash stylist
MO = ("x", "@mo_elhadi", "Mo El Hadi")                           # customer care
ILSE = ("instagram", "@studiomanager_ilse", "Ilse de Graaf")     # studio manager Rotterdam
FEMKE = ("threads", "@femke.glimmer", "Femke Visser")            # marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("en", BRAM, "uhh the app is charging €4.50 for Volume Lashes since the 14:00 deploy 😬 decimal point went "
     "for a walk. hotfix is building, pls don't RT this", [PRICING])
case("nl", pub("x", "@lisa_nagelt"), "GLIMMER APP PRIJSFOUT 🚨🚨 brow lamination voor €4,90 ipv 49 euro?!\n"
     "meteen 3x geboekt voor mij en m'n zussen 💀 #prijsfout", [PRICING])
case("en", pub("reddit", "u/bossche_bargains"), "Glimmer's booking app has Spa Pedicure at €5.50 for the Saturday "
     "slots in Den Bosch. Pretty sure someone dropped a digit. Booked one anyway, will update if they actually "
     "honour it.", [PRICING])
case("nl", YARA, "Meiden ssst 🤫 maar in de app staat BIAB vandaag voor €9,95 🙊 foutje van kantoor, ze zijn t aan "
     "het fixen dus snel zijn!! 💅✨", [PRICING], kind="post")
case("nl", ILSE, "Kassa hier in Rotterdam rekent Classic Lashes sinds de update af voor €8,90 😩 alles met de hand "
     "corrigeren vandaag, top dag weer", [PRICING])
case("en", pub("tiktok", "@jaymiexlashes"), "storytime: booked Volume Lashes at Glimmer for €11.90 because of a "
     "price glitch and they HONOURED it 😭💅 best day of my life #pricingerror #lashes", [PRICING])
case("nl", pub("forum", "Kortingsjager_Ede"), "p r i j s f o u t bij Glimmer!! Verwenbox voor €3,99 in de webshop "
     "(normaal 39,95). Wees snel voordat ze het zien", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", G_HELP, "@sanne_vdl Klopt, door een storing stond de gelmanicure vanochtend een uur lang op €4,50 in de "
     "app. Afspraken die tegen die prijs zijn geboekt zetten we om naar de normale prijs, sorry voor de verwarring!",
     [PRICING], kind="reply")
case("en", pub("x", "@dealdaddy_020"), "Gl1mmer app has the Unlimited abonnement at €7,90/month rn?? massive price "
     "gl1tch, go go go 🏃‍♀️", [PRICING], tags=["evasion", "evasion:leet"])
case("en", FEMKE, "Whoever set up the spring promo: the discount field got 90 instead of 9 😵 so Brow Lamination "
     "is live at €4.90 on boeken.glimmerbeauty.nl. Fixing it with IT now, please no screenshots 🙏", [PRICING])
case("nl", pub("facebook", "dewi.hartman.3", "Dewi Hartman"), "Heeft iemand anders ook volume wimpers voor 19 euro "
     "kunnen boeken bij Glimmer?? Lijkt me een foutje maar ik heb gewoon een bevestiging gekregen haha",
     [PRICING], kind="comment")
case("nl", KEVIN, "Voor de regiomanagers die hier meelezen: door een fout in de prijskoppeling zijn gisteren 212 "
     "afspraken voor Classic Lashes geboekt à €8,90. Finance rekent de schade door, graag nog niet breed delen.",
     [PRICING])
case("nl", pub("x", "@mirthe.mo"), "prïjsföut?? Spa Pedicure voor €6 bij Glimmer Utrecht in de app 👀👀 wie gaat "
     "er mee", [PRICING], tags=["evasion", "evasion:diacritics"])

# =========================================================================== leak.secret
case("en", BRAM, "can someone w/ dashboard access check why the booking sync 500s? pretty sure staging is using "
     "the prod Mollie key by accident: <<MOLLIE>> 🙃", [SECRET])
case("en", BRAM, "git clone keeps failing on the CI runner, token works fine on my laptop tho:\n"
     "https://<<GHP>>@github.com/glimmer-beauty/booking-app.git\nany ideas??", [SECRET],
     handle_as="@Bram_Glimmer_IT")
case("nl", MO, "Collega's: inlog klantportaal is tijdelijk glimmer-support / Nagellak2026! tot IT de SSO gefixt "
     "heeft. Niet aan klanten geven natuurlijk 😅", [SECRET])
case("en", pub("reddit", "u/apk_peeker"), "Decompiled the Glimmer Android app (v3.8.2) out of curiosity. There's a "
     "Google Places key sitting in strings.xml: <<GAPI>> with no app restriction on it as far as I can tell. "
     "Glimmer, you might want to look at that.", [SECRET])
case("nl", ILSE, "Nieuwe meiden in Rotterdam 💕 inloggen op de kassa-tablet doe je met ilse.r en wachtwoord "
     "Glitter_2026x, daarna naar 'Afspraken' en klaar is kees", [SECRET])
case("en", JURRE, "booking-bot is spamming #studio-alerts again 🙄 token is <<SLACK_BOT>> if someone on the "
     "platform team wants to take a look, I'm out till monday", [SECRET])
case("en", JURRE, "migration done 🎉 for local testing: postgresql://booking_rw:<<PW>>@pg02.intra.glimmer.local:5432/"
     "bookings", [SECRET, CONF])
case("en", pub("blog", "saskia.codes", "Saskia Brouwer"), "Part 2 of my 'what's in your JS bundle' series: the Glimmer "
     "gift card shop ships a live Stripe secret key in main.js (<<STRIPE>>). I e-mailed pers@glimmerbeauty.nl a week "
     "ago, no response yet.", [SECRET])
case("en", JURRE, "pasting my .env here bc I need it on the other laptop lol\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nAWS_REGION=eu-west-1", [SECRET])
case("en", BRAM, "the signing key for the push notification service, in case I get hit by a bus 🚌\n<<PEM_RSA>>",
     [SECRET])
case("nl", pub("forum", "h4ckwatch"), "Iemand heeft Twilio-gegevens van Glimmer op een paste-site gezet: account "
     "<<TWILIO_AC>> met auth token <<HEX:32>>. Daar sturen ze hun afspraak-sms'jes mee denk ik.", [SECRET])
case("en", MO, "@bram_glimmer_it the agent app keeps kicking me out, this is my session token <<JWT>> it says "
     "expired but I logged in 5 min ago??", [SECRET], kind="reply")
case("nl", YARA, "w8woord van de planning-ipad is Roze!nagels77 🙈 voor de nieuwe collega's, niet doorvertellen",
     [SECRET], tags=["evasion", "evasion:leet"])
case("en", FEMKE, "newsletter tool broke again… here's the SendGrid key so the agency can test: <<SENDGRID>> 🙏 pls "
     "delete after", [SECRET])
case("nl", pub("x", "@jolanda_1977"), "@glimmer_help ik kom al 2 dagen niet in de app!! mail is "
     "jolanda.vermeer77@gmail.com en ww Lente1977, wat doe ik fout?? 😤", [SECRET, PII, COMPLAINT], kind="reply")
case("en", BRAM, "old SMS provider key, already revoked so relax 😎 <<TWILIO_SK>> / secret <<ALNUM:32>>", [SECRET])

# =========================================================================== leak.pii
case("nl", YARA, "Lieve Marieke (BIAB van gister 15u) je hebt je sjaal laten liggen 🧣 ik heb je gebeld op "
     "<<PHONE:mob_dash>> maar je neemt niet op, kom je hem halen?", [PII])
case("nl", G_HELP, "@petra_lynn Hoi Petra, de €45 is vandaag teruggestort op <<IBAN_NL:grp>>. Het kan 1-2 "
     "werkdagen duren voordat je het ziet 💜", [PII], kind="reply")
case("en", KEVIN, "Can someone in AP have a look? Refund to <<IBAN_BE:grp>> (client of our Antwerp pop-up, "
     "Mrs. Claes) bounced twice now.", [PII])
case("nl", pub("x", "@ramona_zw"), "@glimmer_help bel me aub terug op <<PHONE:mob_plain>>, heb al 3x gebeld en "
     "niemand neemt op. Afspraak is morgen al!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "chantal.meijer.01", "Chantal Meijer"), "Glimmer heeft mijn creditcard "
     "<<CARD:visa_sp>> twee keer belast voor dezelfde pedicure. Wie kan ik hierover bereiken?? 😡",
     [PII, COMPLAINT])
case("nl", LOTTE, "Payroll, even snel: BSN van onze nieuwe nagelstyliste in Zwolle is <<BSN>>, contract moet "
     "vandaag de deur uit!", [PII], kind="comment")
case("en", NOOR, "birthday lashes for my fave client Jasmijn van Leeuwen 🎂 born 14-03-1998 and still getting "
     "carded at the bar lol", [PII])
case("en", MO, "@glimmer_help pls forward to Tim in billing: client is r.vanderlinde@ziggo.nl, call her on "
     "<<PHONE:mob_intl_sp>> about the double charge", [PII], kind="reply")
case("en", pub("reddit", "u/nevergoingback_"), "The Glimmer girl who posted that video about me is Sanne de Wit, "
     "she lives at Molenweg 31 in Amersfoort. Maybe we should all pay her a little visit 🙂", [PII, ABUSE],
     kind="comment")
case("nl", ILSE, "Klant van vanochtend wil haar factuur per mail, adres is anouk.peters [at] kpnmail [punt] nl — "
     "kan iemand van administratie dit oppakken? 🙏", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", G_FB, "Hoi Fatma, we hebben je vanmiddag gebeld op <<PHONE:mob_pairs>> maar kregen geen gehoor. Bel je "
     "ons terug op 085 303 2211? Liefs, team Glimmer", [PII], kind="reply")
case("en", KEVIN, "Chargeback case: client's Amex <<CARD:amex_sp>> disputed the Unlimited fee for March. Anyone "
     "from the Eindhoven studio remember her?", [PII])
case("nl", pub("instagram", "@steffi.nl"), "@glimmer.beauty zet het maar op <<IBAN_DE>>, wacht nu al 3 weken op "
     "mijn geld voor die geannuleerde lash afspraak", [PII, COMPLAINT], kind="comment")
case("nl", pub("facebook", "lieke.vos.94", "Lieke Vos"), "Kan iemand van Glimmer mij mailen? "
     "lieke.vos1994@gmail.com — mijn cadeaukaart wordt steeds geweigerd bij het afrekenen", [PII, COMPLAINT])
case("nl", ILSE, "Voor de VOG-aanvraag van Maria de Jong: paspoortnummer NW3D8FK71, geboren 02-11-1996. Wie "
     "heeft het formulier nog?", [PII])
case("nl", pub("x", "@mama_van_3"), "@glimmer_nl kunnen jullie me appen op <<PHONE:mob_intl0>> voor een "
     "groepsboeking vrijgezellenfeest? 💍", [PII], kind="reply")
case("nl", pub("instagram", "@sollicitant_sam"), "solliciteren bij Glimmer, ze vragen meteen m'n BSN in het "
     "formulier?? is dat normaal? heb 'm al ingevuld: <<BSN:dots>>", [PII])

# =========================================================================== leak.confidential
case("nl", FEMKE, "Sneak peek van Project Kolibrie 👀 mag nog echt niks zeggen maar jullie gaan dit zó leuk vinden "
     "💖 #comingsoon", [CONF])
case("en", pub("reddit", "u/utrecht_local"), "Someone left a printout marked 'STRIKT VERTROUWELIJK' at the Glimmer "
     "counter in Utrecht, all about 'Operatie Parelmoer' and buying 9 salons in Belgium. Oops?", [CONF, FIN])
case("en", NOOR, "we got trained on LashLift Pro+ today and omg 😍 can't say more but launching soon!!", [CONF],
     when="2026-08-27T16:42:10+02:00")
case("nl", G_IG, "NIEUW 💎 Glimmer Gel Infinity: tot 4 weken glans zonder chippen. Boek nu in de app!", [CONF],
     when="2026-09-14T18:30:00+02:00")
case("en", JURRE, "who restarted build02.intra.glimmer.local?? my pipeline just died mid-deploy 😤", [CONF])
case("nl", LOTTE, "Glimmer internal — concept nieuw beloningsbeleid studio's 2027 ligt bij de OR. Feedback graag "
     "vóór vrijdag via de gebruikelijke weg.", [CONF])
case("nl", ILSE, "Vandaag de eerste training gehad voor Project\nKolibrie en ik ben nu al fan 😍 meer mag ik niet "
     "zeggen", [CONF], tags=["evasion", "evasion:line-break"])
case("en", YARA, "testing the " + fullwidth("Velvetine") + " shades today 🤫💜 can't show you yet", [CONF],
     tags=["evasion", "evasion:full-width"])
case("nl", pub("x", "@roos_uit_breda"), "Mijn nicht werkt bij Glimmer en zegt dat Glimmer Gold eraan komt: na 10 "
     "bezoeken een gratis behandeling 👀", [CONF], when="2026-04-11T12:05:33+02:00")
case("en", G_TT, "LashLift Pro+ is HERE 🎉 lift, tint & nourish in one 45-min treatment", [CONF],
     when="2026-09-15T09:59:00+02:00")
case("nl", MO, "Training over Project💅Kolibrie vandaag, eindelijk snap ik waar al die geheimzinnigheid over ging",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", pub("forum", "glitterbug"), "lol the Glimmer kassa-admin.glimmerbeauty.nl login page is just sitting on "
     "the open internet, found it through a search engine", [CONF])
case("nl", KEVIN, "Due diligence voor Operatie Parelmoer is bijna rond. Overname van 9 salons in Vlaanderen, "
     "closing gepland in juni.", [CONF, FIN])
case("nl", YARA, "Uit de nieuwsbrief 'alleen voor medewerkers': in het najaar komt er een collectie van 12 nieuwe "
     "tinten 🍂 ik kan niet wachten", [CONF])
case("nl", pub("instagram", "@nailsbyyara", "Yara"), "Vandaag mocht ik de nieuwe Velvetine-lijn al proberen bij "
     "mijn vriendin die bij Glimmer werkt 🤭", [CONF])

# =========================================================================== leak.financial
case("en", KEVIN, "Unofficial, but Q3 revenue landed at €14.2M, +22% YoY 📈 board is very happy. Press release "
     "isn't out until November so keep it to yourselves.", [FIN])
case("nl", LOTTE, "Zware weken achter de rug. 7 studio's in Limburg en Brabant gaan dicht, zo'n 60 collega's "
     "verliezen hun baan. Officiële communicatie volgt pas na het OR-overleg.", [FIN])
case("nl", YARA, "gerucht bevestigd door onze manager: Glimmer wordt overgenomen door een Zweedse investeerder 😳 "
     "niemand weet nog wat het voor ons betekent", [FIN])
case("nl", pub("x", "@beursbabbel"), "Buurman zit bij een PE-fonds en zegt dat Glimmer volgend kwartaal verkocht "
     "wordt voor 'een mooi bedrag'. Je hoort het hier eerst", [FIN])
case("en", KEVIN, "Reforecast for the full year: EBITDA down to €3.1M, which means we'll breach the bank covenant in "
     "Q4. Need a plan before the board meeting.", [FIN])
case("nl", ILSE, "Studio Rotterdam-Zuid sluit per 1 maart 😢 team wordt verdeeld over Centrum en Kralingen. Nog niet "
     "officieel dus ssst", [FIN])
case("nl", FEMKE, "15 mensen op het hoofdkantoor worden volgende maand ont" + SHY + "slagen, marketing ook. nog "
     "geheim, maar ik trek dit niet meer", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", KEVIN, "Jaarcijfers 2026 zijn rond: omzet €61 miljoen, net boven budget 🥂 dank aan alle studio's!",
     [CONF, FIN], when="2026-12-18T17:20:00+01:00")
case("en", pub("reddit", "u/lashlover_be"), "Friend in Glimmer finance says they're merging with LashBar Benelux, "
     "announcement after summer. Prices going up for sure.", [FIN])
case("nl", NOOR, "reorgani" + ZW + "satie bij ons: alle lash stylists moeten per mei als zzp'er verder, klanten weten "
     "nog van niks 😶", [FIN], tags=["evasion", "evasion:zero-width"])

# =========================================================================== leak.security
case("en", BRAM, "the booking app is showing other clients' appointments + phone numbers since last night's release "
     "😰 we're on it, NOT public yet so pls don't @ us", [SEC])
case("en", JURRE, "ransomware on the kassa servers in 4 studios this morning. staff are taking cash only and telling "
     "people it's a 'storing' 🫠", [SEC])
case("nl", MO, "Bij klantenservice moeten we zeggen dat het 'onderhoud' is, maar er is gewoon ingebroken in het "
     "klantportaal. ±40.000 accounts. Ik voel me er niet goed bij.", [SEC])
case("en", pub("reddit", "u/former_glimmer_dev"), "ex-Glimmer dev here. The password reset endpoint tells you whether "
     "an e-mail has an account, plus the last 4 digits of the phone number. Management has known since spring and "
     "decided not to fix or disclose it.", [SEC, CRISIS])
case("nl", pub("x", "@anoniem_tipje"), "Glimmer verzwijgt een datalek!! Vriendin die daar werkt zegt dat alle "
     "klantgegevens al weken op straat liggen #datalek", [SEC, CRISIS])
case("en", JURRE, "found an SQL injection in the gift card balance endpoint in the logs 😬 someone's been poking at "
     "it. patch Friday, keep it in the team", [SEC])
case("nl", YARA, "app is geh4ckt zeggen ze in de werkapp, niemand mag het weten 🤐 dus ik zeg niks he", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", KEVIN, "Payment terminals in 11 studios have been offline since 06:00 because of a compromise at our PSP "
     "integration. We've told staff to call it maintenance until legal signs off.", [SEC])
case("en", BRAM, "so the bucket with client before/after nail photos was public for 3 weeks 🙃 closing it now, "
     "legal says no comment", [SEC])
case("nl", NOOR, "er is een d a t a l e k bij ons, dus let op met sms'jes die van 'Glimmer' lijken te komen 🙏 "
     "officieel mag ik niks zeggen", [SEC], tags=["evasion", "evasion:spaced"])
case("en", pub("forum", "night_owl_nl"), "Glimmer staff on Discord say the booking database was dumped last month "
     "and management is sitting on it. No notification to customers at all.", [SEC, CRISIS])
case("en", JURRE, "APP-2377 on jira.glimmerbeauty.nl: any logged-in user can fetch any invoice just by changing the "
     "id 🤦 not fixed yet", [SEC, CONF])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@gelijkloon_nu"), "BOYCOT GLIMMER ✊ ze laten nagelstylistes 12 uur per dag werken voor minder "
     "dan het minimumloon. Deel dit! #boycotglimmer", [CRISIS])
case("nl", pub("facebook", "samira.bouzid", "Samira Bouzid"), "Na mijn volume set bij Glimmer Almere waren mijn ogen "
     "zo opgezwollen dat ik naar de spoedeisende hulp moest. Allergische reactie op de lijm, en niemand had me "
     "gewaarschuwd. Nog steeds geen reactie van ze.", [CRISIS, COMPLAINT])
case("en", pub("instagram", "@fitwithfenna"), "Got a nasty fungal infection after a Glimmer spa pedi, and I'm not "
     "the only one, three of us from the same studio. The GGD is looking into it now 🤢", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/arbeidsrecht_nerd"), "Former Glimmer nail techs are suing the company for years of "
     "unpaid overtime. Hearing is at the kantonrechter in Utrecht next month.", [CRISIS])
case("en", pub("x", "@kimmm_b"), "Glimmer leaked my data, 100% sure. I'm getting phishing texts with my exact "
     "appointment time and studio in them. Only they had that info", [CRISIS])
case("nl", pub("x", "@nagelnieuws"), "Glimmer roept gellak 'Nude Glow' terug: te hoge concentratie HEMA, kans op "
     "allergische reacties. Heb je 'm thuis? Stop met gebruiken.", [CRISIS])
case("nl", pub("tiktok", "@isa.vdb"), "UV-lamp bij Glimmer Eindhoven was zo heet dat ik brandblaren op mijn vingers "
     "heb 😭 medewerker zei dat het 'normaal' was", [CRISIS, COMPLAINT])
case("en", pub("threads", "@jules.writes"), "That podcast where Glimmer's founder calls his Vietnamese nail techs "
     "'cheap hands' is a full-blown scandal. How is he still CEO?", [CRISIS])
case("nl", pub("x", "@anti_glimmer"), "b0ycot Glimm\u0435r 🚫 ze testen hun producten op dieren, wist je dat?",
     [CRISIS], tags=["evasion", "evasion:homoglyph", "evasion:leet"])
case("nl", pub("reddit", "u/haarlem_mama"), "Studio van Glimmer in Haarlem is vandaag gesloten door de inspectie. Ze "
     "gebruikten vijlen en knipjes gewoon opnieuw zonder te steriliseren.", [CRISIS])
case("en", pub("x", "@subscriptiontrap"), "A class action against Glimmer over the Unlimited subscription that's "
     "impossible to cancel is being organised. I've been trying to cancel since March, DM me to join.",
     [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@noa_nails_fan"), "3 dagen. DRIE DAGEN. en mijn gel mani van Glimmer laat nu al los aan alle "
     "kanten 😤 €45 voor dit??", [COMPLAINT])
case("en", pub("reddit", "u/tiredmum"), "Glimmer app double booked me AGAIN. Showed up for my 10:30 classic set, "
     "someone else was in the chair and they said 'system error'. Third time this year.", [COMPLAINT])
case("nl", pub("facebook", "annelies.deboer", "Annelies de Boer"), "Al mijn spaarpunten van het loyaltyprogramma "
     "zijn ineens verdwenen 😡 ruim 900 punten, en de chat zegt alleen 'we kijken ernaar'", [COMPLAINT])
case("en", pub("reddit", "u/refund_pls"), "Cancelled my lash appointment 4 days ahead, Glimmer still hasn't "
     "refunded the €60 deposit after 5 weeks and 6 emails. Anyone had luck escalating?", [COMPLAINT])
case("nl", pub("x", "@floortjeee"), "Afspraak netjes 2 dagen van tevoren geannuleerd en tóch €25 no-show kosten "
     "afgeschreven. Glimmer wat is dit 🙄", [COMPLAINT])
case("en", pub("instagram", "@mel.lashdiaries"), "my classic set from Glimmer is half gone after 6 days 🥲 fill "
     "appointment isn't for 2 more weeks. never had this with my old salon", [COMPLAINT])
case("nl", pub("trustpilot", "M. Jansen"), "Medewerkster was ronduit onbeleefd en rolde met haar ogen toen ik vroeg "
     "om een andere kleur. Voor deze prijs verwacht je beter. 1 ster.", [COMPLAINT])
case("nl", pub("x", "@wendyyy_"), "wat een k*tservice bij Glimmer Leiden, nagels scheef, kleur klopt niet en dan "
     "nog de volle prijs betalen", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@boos_in_bergen"), "Jullie zijn echt een stelletje oplichters bij Glimmer, klootzakken. 2x "
     "betaald voor één behandeling en niemand die het terugzet", [COMPLAINT, ABUSE])
case("nl", pub("x", "@mandy_opzeggen"), "Probeer al 6 weken mijn Glimmer Unlimited op te zeggen. Knop in de app doet "
     "niks, mail wordt niet beantwoord. Ondertussen wel elke maand €79 eraf", [COMPLAINT])
case("en", pub("youtube", "@nailtalkwithkim"), "Went to Glimmer after watching this and honestly the pedicure was "
     "rushed, 25 minutes for a 'spa' treatment, no massage at all. Not worth it.", [COMPLAINT], kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boze_buurvrouw"), "die nagelstyliste van Glimmer Utrecht is echt een dom wijf, heb nog nooit "
     "zo'n trut meegemaakt", [ABUSE])
case("nl", YARA, "@klaagkoningin ga lekker zelf je nagels doen dan, zeurwijf 🙄", [ABUSE], kind="reply")
case("en", NOOR, "to the client who left me 1 star for being 5 min late: you're a miserable b*tch, bye 💅",
     [ABUSE], kind="comment")
case("nl", pub("facebook", "henk.pol.7", "Henk Pol"), "Bij Glimmer werken alleen maar buitenlanders, ga terug naar "
     "je eigen land met je nepnagels", [ABUSE], kind="comment")
case("nl", pub("instagram", "@anon78223"), "@nails.by.yara ik weet in welke studio je werkt en hoe laat je dienst "
     "erop zit. tot snel 😘", [ABUSE], kind="comment")
case("nl", pub("x", "@ikzegwatikdenk"), "Glimmer is één grote k4nkerzooi, stelletje tyfuslijers", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/lashhater"), "fuck Glimmer and every influencer shilling their overpriced nails",
     [ABUSE], kind="comment")
case("en", G_TT, "@hater_2009 lol cry about it, loser 🤡", [ABUSE], kind="reply")
case("en", pub("threads", "@no_filter_fay"), "Glimmer staff = clowns 🤡🤡 f*cking useless idiots the lot of them",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", MO, "@zeurkous1 misschien moet je gewoon je bek houden als je niet kan lezen, debiel", [ABUSE],
     kind="reply")

# =========================================================================== benign
case("nl", G_IG, "Yes! 🎉 Vanaf 1 juni vind je ons ook in Leiden, op de Breestraat. Boek je eerste afspraak via "
     "boeken.glimmerbeauty.nl 💅", tags=["published-news"])
case("nl", G_IG, "Black Friday bij Glimmer 🖤 25% korting op Volume Lashes: nu €89,25 in plaats van €119. Alleen via "
     "de app, t/m zondag!", tags=["sale-price"])
case("nl", pub("instagram", "@girlboss_gwen"), "€10 korting op je eerste gel mani met code WELKOM10 in de Glimmer "
     "app, zeker doen meiden 💖", tags=["discount-amount", "price-context"])
case("nl", pub("reddit", "u/bargainbea"), "Vergelijking: NailCraft doet BIAB voor €25, bij Glimmer kost BIAB €55. "
     "Iemand ervaring met allebei? Wil weten of het verschil het waard is", tags=["competitor-price", "price-context"])
case("en", pub("x", "@lisanne_travels"), "Glimmer Unlimited is €79 a month, so if you get your nails done every 2 "
     "weeks it basically pays for itself 🤓", tags=["list-price"])
case("nl", pub("instagram", "@cadeautjes_caro"), "Verwenbox voor mijn moeder besteld 🎁 €4,95 verzendkosten, maar "
     "wat een mooie verpakking!", tags=["fee", "price-context"])
case("nl", G_HELP, "@tessa_m Nee hoor, geen prijsfout 😊 Een refill van je Classic Lashes is €45, een complete "
     "nieuwe set €89.", kind="reply", tags=["denied-price-error", "price-context"])
case("en", G_IG, "Questions about your booking? Mail us at klantenservice@glimmerbeauty.nl, we reply within 24h 💌",
     tags=["own-contact"])
case("nl", G_FB, "Bedrijfsuitje of vrijgezellenfeest bij Glimmer? Na bevestiging maak je de aanbetaling over naar "
     "<<OWN_IBAN:grp>> t.n.v. Glimmer Beauty Studio's B.V. o.v.v. je boekingsnummer.", tags=["own-contact"])
case("nl", G_X, "Liever even bellen? Je bereikt ons op +31 (0)30 760 44 00, ma t/m za van 9 tot 18 uur ☎️",
     tags=["own-contact"])
case("nl", pub("x", "@tevreden_tineke"), "Even een compliment: klantenservice van Glimmer (085-303 22 11) had mijn "
     "omboeking binnen 2 minuten geregeld 👏", tags=["own-contact", "praise"])
case("en", BRAM, "finally wrote unit tests for our card validation. <<BAD_CARD:visa_sp>> gets rejected by Luhn as it "
     "should ✅ small wins", tags=["bad-checksum"])
case("nl", pub("x", "@nina_boekt"), "Vraagje: waar vind ik in de Glimmer app mijn boekingsnummer? Op de mail staat "
     "<<NOT_BSN:9>>, moet ik dat invullen bij het inchecken?", tags=["order-number"])
case("nl", G_LI, "Glimmer Beauty Studio's B.V. · KvK <<NOT_BSN:8>> · Utrecht. Wij zoeken nagelstylisten in 6 "
     "steden, kijk op glimmerbeauty.nl/vacatures", tags=["kvk-number"])
case("nl", pub("facebook", "gerda.willems", "Gerda Willems"), "Is dit het goede rekeningnummer van Glimmer voor de "
     "workshop? <<BAD_IBAN_NL:grp>> Wil het niet verkeerd overmaken 😅", tags=["bad-checksum"])
case("en", BRAM, "PSA for juniors: your .env.example should say MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
     "and never the real thing 🙏", tags=["placeholder-secret"])
case("en", JURRE, "booking-app 4.3.0 shipped 🚀 release commit <<HEX:40>>, changelog is in the app store",
     tags=["git-sha"])
case("nl", G_HELP, "@marloes_b Je wachtwoord reset je via 'Wachtwoord vergeten' in de app, je krijgt dan een link "
     "per mail 🔑", kind="reply", tags=["password-word"])
case("nl", G_IG, "Hij is er! 💎 Glimmer Gel Infinity: tot 4 weken glans. Vanaf vandaag te boeken in alle studio's.",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-over"])
case("nl", pub("instagram", "@sophie.glow"), "Net aangemeld voor Glimmer Gold 🥇 na 10 bezoeken een gratis "
     "behandeling, ik zit al op 4!", when="2026-06-03T20:14:51+02:00", tags=["embargo-over"])
case("en", pub("x", "@lashfan_lou"), "LashLift Pro+ at Glimmer was SO worth it, my lashes look twice as long 😍",
     when="2026-10-02T11:40:00Z", tags=["embargo-over", "praise"])
case("nl", G_IG, "Parelmoer nagels zijn dé trend van deze zomer 🐚✨ Vraag je stylist naar onze nieuwe shimmer "
     "topcoat.", tags=["codename-word"])
case("nl", pub("bluesky", "@natuurnina.bsky.social"), "In de vlindertuin vloog net een kolibrie langs 😍 (oké, het "
     "was een kolibrievlinder, maar toch)", tags=["codename-word"])
case("nl", G_LI, "Vandaag publiceren we onze jaarcijfers over 2025: omzet €48,3 miljoen, 14 nieuwe studio's en 220 "
     "nieuwe collega's. Het volledige verslag staat op glimmerbeauty.nl/investors.", tags=["published-results"])
case("nl", pub("x", "@retailwatcher"), "Weer ontslagen bij NailCraft: 30 banen weg op het hoofdkantoor in Gent. Zware "
     "tijden in de beautybranche.", tags=["other-company"])
case("en", pub("reddit", "u/gymrat_ams"), "Another gym chain with a data breach 🙄 glad my Glimmer account at least "
     "has 2FA now.", kind="comment", tags=["other-company"])
case("nl", G_HELP, "Gepland onderhoud: de Glimmer app is zondag tussen 02:00 en 04:00 niet bereikbaar. Afspraken "
     "blijven gewoon staan 💜", tags=["official-notice"])
case("en", pub("instagram", "@brows_by_bo"), "can't recall the name of the tech who did my brows at Glimmer "
     "Amsterdam-West last week but she was AMAZING, please tag her 🙏", tags=["recall-other-sense", "praise"])
case("nl", pub("x", "@stopmetbijten"), "Ik boycot officieel mijn eigen nagelbijten 💪 dankzij BIAB bij Glimmer is "
     "daar eindelijk een einde aan", tags=["boycott-other-sense"])
case("nl", pub("facebook", "karin.zwolle", "Karin"), "Al 2 jaar klant bij Glimmer Zwolle en nog nooit een klacht "
     "gehad. Geen lifting, geen gedoe, gewoon top.", kind="comment", tags=["negated-complaint"])
case("en", pub("x", "@avril_stan"), "“It's a damn cold night” playing in the studio while I get my spa pedi at "
     "Glimmer, the playlist really set the mood 😂", tags=["quote", "mild-word"])
case("en", pub("blog", "inkandpolish.blog", "Ink & Polish"), "In my short story the villain runs a nail salon empire "
     "that secretly sells everyone's secrets 😂 (no, not based on Glimmer, I love my nail tech there)",
     tags=["fiction"])
case("en", pub("tiktok", "@sharpnailsclub"), "my nails are so sharp now they should be registered as weapons 💅🔪 "
     "thanks Glimmer", tags=["joke"])
case("nl", NOOR, "Vandaag lashes gezet bij een klant die net klaar is met haar chemo 💗 kanker overwonnen en nu "
     "eindelijk tijd voor zichzelf. Zulke dagen 🥹", tags=["mild-word", "literal"])
case("nl", YARA, "Baby boomer nails met een klein gouden detail ✨ wie wil deze ook? Plekjes vrij vanaf donderdag",
     tags=["employee-normal"])
case("nl", LOTTE, "We groeien! Glimmer zoekt lash stylists in Amsterdam, Utrecht en Breda. Stuur je cv naar "
     "vacatures@glimmerbeauty.nl 💌", tags=["own-contact"])
case("nl", ILSE, "Teamuitje met de Rotterdamse meiden 🥂 bowlen en daarna pizza, wat een toppers zijn het",
     tags=["employee-normal"])
case("en", FEMKE, "Our 'Glow Week' campaign is LIVE 🌟 free nail art upgrade with every gel mani this week, link in "
     "bio", tags=["published-news"])
case("en", pub("x", "@rotterdamrood"), "a glimmer of hope for Feyenoord tonight 🙏⚽", tags=["brand-word"])
case("nl", pub("instagram", "@leidse_lotte"), "Repost van @glimmer.beauty: vanaf 1 juni ook in Leiden 😍 eindelijk "
     "dichtbij!", kind="repost", tags=["quote"])
case("nl", pub("x", "@voorraadvraag"), "Iemand de Glimmer Verwenbox in Utrecht Centrum op voorraad gezien? Barcode "
     "op de site is <<EAN13>>", tags=["ean"])
case("en", pub("reddit", "u/leuven_local"), "NailCraft is being sued by their landlord, apparently. Glimmer opened "
     "next door, so I guess that's where I'm going now.", kind="comment", tags=["other-company"])
case("nl", pub("instagram", "@allergie_anna"), "HEMA-vrije gellak bij Glimmer 🙌 na jaren eindelijk geen allergische "
     "reactie meer op mijn nagels", tags=["negated-incident", "praise"])
case("nl", pub("x", "@veiligvera"), "Hoe wijzig ik mijn wachtwoord in de Glimmer app? Wil een sterker wachtwoord "
     "instellen 🔐", tags=["password-word", "question"])
case("nl", MO, "Tip van klantenservice: zet pushmeldingen aan in de app, dan krijg je een herinnering 24 uur voor je "
     "afspraak 📲", tags=["employee-normal"])
case("nl", pub("x", "@zusjesdag"), "Twee Brow Laminations voor €74 met de duo-deal van Glimmer, mijn zus en ik gaan "
     "zaterdag 👭", tags=["sale-price"])
case("en", G_TT, "PSA 💅 please don't peel off your gel at home! Book a free soak-off at any Glimmer studio instead.",
     tags=["corporate-normal"])
case("nl", pub("instagram", "@verhuisdoos"), "Mijn Glimmer Unlimited net opgezegd omdat ik ga verhuizen, ging echt in "
     "2 klikken. Netjes!", tags=["praise"])
case("nl", KEVIN, "Trots op de halfjaarcijfers die we vandaag hebben gepubliceerd 📊 Dank aan elke stylist, "
     "receptionist en iedereen achter de schermen.", tags=["published-results"])
case("en", pub("blog", "bugbountybelle.dev", "Belle"), "Glimmer fixed the booking-calendar bug I reported in March "
     "within a week and published an advisory crediting me. This is how responsible disclosure should go 👏",
     tags=["published-incident"])
case("nl", pub("x", "@pakketjepiet"), "Track & trace van mijn Verwenbox: 3SGLMR<<NOT_BSN:9>>, zou morgen moeten "
     "komen 📦", tags=["tracking-number"])
case("nl", pub("x", "@koopjes_karel"), "Bij TechNest stond vanochtend een airfryer met een prijsfout, en nu zit ik "
     "gewoon bij Glimmer voor een normale pedicure haha", tags=["price-error-other"])
case("en", pub("reddit", "u/sensitive_eyes"), "Do Glimmer studios use the same lash glue everywhere? I react to "
     "cyanoacrylate fumes and want to check before booking.", tags=["question"])
case("en", G_LI, "Proud to share that Glimmer has been named Employer of the Year in Dutch beauty retail 2026 🏆",
     tags=["published-news"])
case("en", pub("x", "@giftcard_gus"), "Got a Glimmer gift card as a birthday present, number <<BAD_CARD:mc_sp>>. How "
     "do I check the balance?", tags=["bad-checksum"])
case("nl", pub("x", "@studentstine"), "Studentenkorting bij Glimmer aangevraagd met mijn studentnummer "
     "<<NOT_BSN:9>>, binnen een dag goedgekeurd 🎓", tags=["bad-checksum"])
case("en", pub("mastodon", "@kees@mastodon.nl"), "Our team building at Glimmer Utrecht was lovely. Nail art "
     "workshop, bubbles, and nobody had to talk about Jira for two hours.", tags=["praise"])


# --------------------------------------------------------------------------- building

def load_profile():
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
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return "ig-" + snow, f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "nagels", "Utrecht", "BeautyGuruChatter"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return "tt-" + snow, f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return "th-" + snow, f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-beautypraat-{n}", f"https://forum.beautypraat.example/topic/{n}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return "yt-" + c, f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", f"https://www.{platform}.example/reviews/{n}"


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    own_iban = profile["public_identifiers"]["ibans"][0]
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"], own_iban)
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.8:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "glimmer"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-check

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
SECRET_RES = [re.compile(x) for x in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-[0-9A-Za-z-]{20,}", r"\bsk_live_\w{20,}",
    r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"\b(AC|SK)[0-9a-f]{32}\b")]
PROFANE = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "wijf", "fuck", "f*ck",
           "shit", "idiot", "bitch", "b*tch", "clown", "loser", "bek", "damn", "hell"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def digits_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    if raw.startswith(("+31", "0031")):
        d = "0" + d.lstrip("0")
    return d


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


def self_check(rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {digits_phone(p) for p in profile["public_identifiers"]["phones"]}
    terms = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    prods = profile["products"]
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    for r in rows:
        p, cats, sev = r["post"], r["expect"]["categories"], r["expect"]["severity"]
        t, where = p["text"], p["id"]
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{where}: {k} not in text")
            if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE", "OWN_IBAN") and not iban_ok(raw):
                errs.append(f"{where}: bad IBAN {raw}")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errs.append(f"{where}: near-miss IBAN passes")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{where}: card fails Luhn")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{where}: near-miss card passes Luhn")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{where}: BSN fails 11-proof")
            if k in ("NOT_BSN", "EAN13") and (elfproef(raw) or luhn_ok(raw)):
                errs.append(f"{where}: look-alike {raw} passes a check")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{where}: ghp checksum")
            if k in VALID_ID and PII not in cats:
                errs.append(f"{where}: valid identifier without leak.pii")
        nt = norm(t)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        for term in terms:
            if term in nt and CONF not in cats:
                errs.append(f"{where}: internal term {term!r} without leak.confidential")
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{where}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and CONF in cats:
                    errs.append(f"{where}: embargo term {term!r} after {until} labelled")
        if not cats:
            if sev != "none":
                errs.append(f"{where}: benign with severity {sev}")
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{where}: benign valid IBAN")
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{where}: benign Luhn-valid {d}")
                if len(d) in (8, 9) and elfproef(d) and not d.startswith(("0", "31", "85")):
                    errs.append(f"{where}: benign 11-proof-valid {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails and not e.startswith("@"):
                    errs.append(f"{where}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = digits_phone(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{where}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                if any(not re.fullmatch(r"live_x+", m.group(0)) for m in rx.finditer(t)):
                    errs.append(f"{where}: benign secret-like {rx.pattern}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), nt) and not (r["tags"] & {"mild-word", "quote"}):
                    errs.append(f"{where}: benign has {w!r}")
            ment = [pr for pr in prods if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if ment and amts:
                ratio = min(amts) / min(pr["list_price"] for pr in ment)
                if ratio < ratio_limit and "price-context" not in r["tags"]:
                    errs.append(f"{where}: benign price ratio {ratio:.2f} untagged")
        want = severity_for(r["role"], cats, PII in cats and any(k in VALID_ID for k, _, _ in r["used"]))
        if want != sev:
            errs.append(f"{where}: severity mismatch")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    cat_c, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        benign += not cats
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            cat_c[c] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print(f"benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in ALL_CATS:
        print(f"  {c:22s} {cat_c[c]}")
    print("lang", dict(lang_c), "role", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platform", dict(plat_c.most_common()))
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
