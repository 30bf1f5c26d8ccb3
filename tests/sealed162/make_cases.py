#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 162 (postwatch).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Dekkerhof Keukens B.V. (fictional), a Dutch kitchen manufacturer and
showroom chain; see profile.yaml. Texts are hand-written below; identifiers and
secrets come from <<PLACEHOLDERS>> filled by a seeded RNG. Positives get
checksum-VALID IBANs / cards / BSNs; hard negatives get look-alikes that FAIL
their checksum. Severity is computed from CONTRACT section 4, never typed.
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

SEED = 16220260611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        t += x
    return bool(d) and t % 10 == 0


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


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ"]) + self.digits(10, True))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "70020270"]) + self.digits(10))
        if cc == "BE":
            f = self.r.choice(["068", "363", "735"]) + self.digits(7)
            return iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["NWBK", "BARC", "LOYD", "HBUK"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (13, 29, 41, 57):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.digits(14),
             "mc": lambda: "5" + self.r.choice("12345") + self.digits(13),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11),
             "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12)}[brand]()
        for d in "0123456789":
            if luhn_ok(p + d):
                return p + d

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return v if f == "c" else ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.digits(9)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    def phone(self, f):
        d8 = self.r.choice("12345") + self.digits(7)
        area = self.r.choice(["30", "33", "35", "40", "50", "53", "70", "72", "74", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "mob_dash": f"06-{d8}",
            "mob_paren": f"(06) {d8[:4]} {d8[4:]}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
            "mob_0031": f"0031 6 {d8}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[f]

    # secrets (fake, shaped like the real thing)
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 10)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 62)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def azkey(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        h = enc({"alg": "RS256", "typ": "JWT"})
        p = enc({"sub": "dealer-" + self.digits(5, True), "iss": "https://dekkerhof.nl/auth", "scope": "orders:read",
                 "iat": iat, "exp": iat + 7200})
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(4)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice("KMPRTVZ") + self.chars(string.ascii_lowercase, 4) + self.chars(string.digits, 2)
                + self.r.choice("!#*-_") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:]); shown = gen.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(k[9:]); shown = gen.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            b, _, ff = f.partition("_")
            raw = gen.card(b) if k == "CARD" else gen.bad_card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            raw = shown = gen.not_bsn(9)
        elif k == "NOT_BSN8":
            raw = shown = gen.not_bsn(8)
        elif k == "EAN13":
            raw = shown = gen.ean13()
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        elif k == "HEX":
            raw = shown = gen.hexs(int(f))
        elif k == "PW":
            raw = shown = gen.password()
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_BOT": gen.slack_bot, "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe,
                  "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid, "GAPI": gen.gapi, "AZKEY": gen.azkey,
                  "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
# corporate
DK_X = ("x", "@dekkerhof", "Dekkerhof Keukens")
DK_SVC = ("x", "@dekkerhof_service", "Dekkerhof Service")
DK_IG = ("instagram", "@dekkerhofkeukens", "Dekkerhof Keukens")
DK_FB = ("facebook", "DekkerhofKeukens", "Dekkerhof Keukens")
DK_LI = ("linkedin", "dekkerhof-keukens", "Dekkerhof Keukens B.V.")
DK_TT = ("tiktok", "@dekkerhof.keukens", "Dekkerhof")
# employees
MV = ("x", "@marloes_dkh", "Marloes Verhoef")                    # showroom adviseur Amersfoort
RK = ("linkedin", "ruben-kok-dekkerhof", "Ruben Kok")             # e-commerce developer
DN = ("instagram", "@monteur_dennis", "Dennis Hoekstra")          # installer
EL = ("linkedin", "esther-van-leeuwen-dkh", "Esther van Leeuwen")  # controller
BW = ("x", "@bramwouters_prod", "Bram Wouters")                   # production planner, factory
LK = ("threads", "@lotte.ontwerpt", "Lotte Kramer")               # kitchen designer
YS = ("facebook", "yusuf.sahin.dekkerhof", "Yusuf Şahin")          # sales / financing advisor
SM = ("x", "@sem_it_dkh", "Sem de Boer")                          # IT helpdesk


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", MV, "Collega's van de webshop, kijk even naar de Vlam 80 🙃 staat nu op €164,90 ipv €1649. "
     "Heb al 3 mensen aan de lijn gehad die 'm direct willen bestellen", [PRICING])
case("en", RK, "Friday deploy lesson learned: one missing multiplier in the price feed and the Stoom 45 combi steam "
     "oven sat at €14.99 on our webshop for 20 minutes. Orders are being cancelled, so please don't ask 😅", [PRICING])
case("nl", pub("reddit", "u/keukenjager", "keukenjager"), "Sola keuken greeploos voor €1.199 in de configurator van "
     "Dekkerhof?? Normaal ben je 12k kwijt, dit moet een prijsfout zijn. Al iemand besteld?", [PRICING])
case("nl", pub("x", "@dealtjesdaan", "Daan | dealtjes"), "snel zijn mensen!!! Frisco 178 inbouwkoelkast bij dekkerhof "
     "voor 119 euro 😱😱\n#prijsfout #dealtjes", [PRICING])
case("en", pub("forum", "bargainbert", "bargainbert"), "[PRICE ERROR?] Dekkerhof Bron 3-in-1 boiling water tap - "
     "€109.50 incl delivery. List is about 1.1k. Ordered two, fully expecting the cancellation mail but worth a shot",
     [PRICING])
case("nl", DN, "Jongens de Quartzline werkbladen staan voor 189,- in het systeem 🤭 p r i j s f o u t, niet "
     "doorvertellen aan de klant bij wie ik morgen sta haha", [PRICING], tags=["evasion"])
case("nl", DK_SVC, "Excuses voor de verwarring! De prijs van €10,95 voor de Bron kraan op onze site was een fout in "
     "de koppeling met ons kassasysteem. Bestellingen tegen die prijs annuleren we, je krijgt je geld binnen 5 "
     "werkdagen terug.", [PRICING], kind="reply")
case("en", BW, "lmao the price list that went out to the dealers has the Lindau kitchen at €849 instead of €8495. "
     "someone dropped a digit and the whole sales team is losing it", [PRICING])
case("en", pub("x", "@gr8dealz_nl"), "dekkerhof having a pricing glïtch rn, Stöom 45 combi oven for €74,95 😂 go go go",
     [PRICING], tags=["evasion"])
case("nl", LK, "Ontwerperstip van de dag: bestel nu even géén Quartzline werkblad in de webshop 🙈 er staat een "
     "verkeerde prijs op (€18,90 per blad). IT is ermee bezig", [PRICING])
case("en", YS, "Heads up friends: the Bron kraan in the Dekkerhof app shows €1,09 (yes, one euro nine 😂) because of "
     "some comma bug. Grab it before IT wakes up", [PRICING])
case("nl", pub("tiktok", "@klusmetkim", "Kim klust"), "dekkerhof heeft een prijs" + ZW + "fout op de lindau keuken 🤯 "
     "€849 voor een complete keuken, dit is geen grap #keuken #deal", [PRICING], tags=["evasion"])

# =========================================================================== leak.secret
case("en", RK, "Proud of the team for shipping the new kitchen configurator 🎉 quick peek at the setup (staging "
     "only 😉)\n\nMOLLIE_API_KEY=<<MOLLIE>>\nDATABASE_URL=postgres://configurator:<<PW>>@db-prod.dekkerhof.local:5432/config",
     [SECRET, CONF])
case("nl", MV, "Voor de collega's in Amersfoort: wifi-wachtwoord van de showroom is veranderd, nieuwe = <<PW>>\n"
     "NIET aan klanten geven aub 🙏", [SECRET])
case("en", BW, "note to self: stop pasting things into tweets. anyway the creds for the nesting-optimiser bucket are "
     "<<AWS_ID>> / <<AWS_SECRET>> , rotating them tomorrow so whatever", [SECRET])
case("nl", pub("reddit", "u/freelance_fons"), "Freelance bij een keukenketen (Dekkerhof), hun Slack-bot geeft steeds "
     "invalid_auth. Token is <<SLACK_BOT>> , scopes lijken goed. Iemand een idee?", [SECRET])
case("en", pub("forum", "devnoob_88"), "Dekkerhof dealer portal API keeps returning 401 for me. Header I'm sending:\n"
     "Authorization: Bearer <<JWT>>\nany clue what's wrong?", [SECRET])
case("en", DK_X, "We're hiring a backend dev! 👩‍💻 Our stack: Python, Postgres, Mollie, SendGrid. Snippet from our "
     "onboarding doc:\nSENDGRID_API_KEY=<<SENDGRID>>\nInterested? dekkerhof.nl/vacatures", [SECRET])
case("en", RK, "Can someone from ops sanity-check this deploy key before I bake it into the showroom kiosk image?\n\n"
     "<<PEM_OPENSSH>>", [SECRET])
case("nl", pub("reddit", "u/ex_dkh_dev"), "Oud-collega van Dekkerhof hier. Dat ze nooit iets roteren blijkt wel: de "
     "Google Maps key van de showroomzoeker is nog steeds <<GAPI>>, sinds 2021 🤦", [SECRET], kind="comment")
case("en", LK, "pls ignore if you're not on my team: the webhook for the design-review channel is <<SLACK_HOOK>> , "
     "paste it in the Figma plugin settings", [SECRET])
case("nl", BW, "het w8woord van de zaagstraat-pc is <<PW>> voor als iemand vannacht moet invallen. succes 💪",
     [SECRET], tags=["evasion"])
case("en", pub("blog", "apkpoking.example", "APK poking"), "Reverse-engineered the Dekkerhof kitchen planner Android "
     "app for fun. They ship a live Stripe key in the APK: <<STRIPE>> . Reported it, let's see.", [SECRET])
case("nl", YS, "Voor wie vanuit huis financieringsaanvragen wil doen: verbinden met vpn.dekkerhof.nl, gebruiker "
     "verkoop-amf, ww <<PW>>", [SECRET, CONF])
case("en", pub("x", "@cloudy_tess"), "why does my blob upload keep failing 😩 this is for a Dekkerhof photo gallery "
     "project\nDefaultEndpointsProtocol=https;AccountName=dkhkeukenfotos;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net"
     "\n#azure #help", [SECRET])
case("nl", SM, "kan iemand kijken waarom de build van de showroom-app faalt? runner gebruikt deze token: <<GLPAT>> "
     "maar krijgt 403", [SECRET])
case("en", pub("mastodon", "@jvdh@fosstodon.org"), "Found a GitHub token in a public repo of Dekkerhof's webshop "
     "agency: <<GHP>> (still valid last I checked). Reported to them.", [SECRET])

# =========================================================================== leak.pii
case("nl", DN, "Mooie klus vandaag 📸 keuken geplaatst bij fam. de Graaf, Kerkstraat 14 in Bunnik. Bedankt voor de "
     "koffie en de appeltaart!! #monteurslife", [PII])
case("nl", MV, "wie heeft mevrouw Jansen teruggebeld over haar werkblad? ze heeft nu al 3x gebeld, nummer is "
     "<<PHONE:mob_paren>> 🙏", [PII], handle_as="@Marloes_DKH")
case("en", YS, "Can someone in finance check why this loan application is stuck? Customer K. Bos, BSN <<BSN>>, "
     "IBAN <<IBAN_NL:grp>>. Sorry for posting here, can't reach anyone", [PII])
case("nl", pub("facebook", "petra.meijer.75", "Petra Meijer"), "@DekkerhofKeukens al 2 weken wachten op terugbetaling "
     "van mijn aanbetaling. Graag storten op <<IBAN_NL>> t.n.v. P. Meijer, of bel me: <<PHONE:mob_intl_sp>>",
     [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@nina_bakes"), "why does the dekkerhof checkout keep rejecting my card?? it's <<CARD:visa_sp>> "
     "exp 09/28, tried 4 times 😤", [PII, COMPLAINT])
case("nl", LK, "Ontwerp voor Henk en Ria Postma, Wilhelminalaan 27 in Soest 🏡 eiland van 3 meter met Quartzline "
     "blad. Trots op deze!", [PII])
case("en", DK_SVC, "Hi Sarah, we've checked your order. Your installer will call you on <<PHONE:mob_0031>> tomorrow "
     "and arrives at 12 Elm Court, Amstelveen between 8 and 10 am.", [PII], kind="reply")
case("nl", pub("reddit", "u/twijfelkont"), "Dekkerhof vraagt voor de financiering een kopie ID mét BSN. Is dat "
     "normaal?? mijn BSN <<BSN:dots>> staat gewoon leesbaar in de bijlage die ik moest mailen", [PII])
case("en", EL, "Quick one for payroll: the travel allowance for our new installer M. de Wit should go to "
     "<<IBAN_NL:grp>>, not the old account. Thanks!", [PII])
case("en", pub("instagram", "@linda.vos.home", "Linda Vos"), "Thank you Dekkerhof for our dream kitchen!! 🥰 If "
     "anyone wants to come see it, email me at linda.vos1984@gmail.com", [PII])
case("nl", DN, "Klant wil de foto's van de montage, kan iemand ze mailen naar r.smit [at] kpnmail [punt] nl? thx",
     [PII], tags=["evasion"])
case("en", BW, "packing list for tomorrow's truck ended up on the wrong screen lol: order 26-11873, Ahmed Bakker, "
     "Lindelaan 5, 3701 Zeist, tel <<PHONE:land_sp>>", [PII])
case("nl", pub("facebook", "gerrit.tuinman"), "LET OP!! Mijn creditcard is misbruikt vlak na een betaling bij "
     "Dekkerhof. Hier het nummer zodat jullie het kunnen nakijken: <<CARD:mc_dash>>", [PII, CRISIS])
case("en", YS, "Customer paid the deposit over the phone, I wrote it down: <<CARD:amex_sp>> 03/27. Who can put it "
     "through the till? 🙏", [PII])
case("nl", DK_FB, "Beste meneer Yılmaz, uw financieringsaanvraag met BSN <<BSN>> is goedgekeurd. U ontvangt de "
     "contracten binnenkort per post.", [PII], kind="reply")
case("en", pub("x", "@tom_in_utrecht"), "@dekkerhof_service my refund STILL isn't here. UK account <<IBAN_GB:grp>> has "
     "been 'processing' since March", [PII, COMPLAINT], kind="reply")
case("en", pub("threads", "@joost.kookt"), "had to send a copy of my passport (NW8K4L2P1) to Dekkerhof for the 0% "
     "financing, feels kinda sketchy tbh", [PII])
case("nl", MV, "Gefeliciteerd aan onze vaste klant Gerda Hofman, vandaag 70 geworden (15-06-1956) 🎉 ze kwam "
     "speciaal taart brengen in de showroom", [PII], when="2026-06-15T16:12:40+02:00")

# =========================================================================== leak.confidential
case("nl", BW, "Eerste proefopstelling van Project Basalt staat in hal 3 😍 mag er nog niks over zeggen maar dit "
     "wordt groot", [CONF])
case("en", LK, "Can't wait for you all to see the Dekkerhof Atelier collection 👀 fronts in smoked oak and terrazzo. "
     "soon soon soon", [CONF], when="2026-08-03T21:14:05+02:00")
case("nl", MV, "Snapt iemand de nieuwe bonusregeling? Staat op planning.dekkerhof.nl/verkoop/bonus maar ik kom er "
     "niet in 🙄", [CONF])
case("en", RK, "Great workshop today on Operatie\nSchuiflade. Can't share details yet, but this is going to change how "
     "our showrooms work.", [CONF], tags=["evasion"])
case("nl", pub("reddit", "u/nijverdalse_noot"), "Neef van me werkt in de fabriek in Nijverdal, volgens hem wordt "
     "'Project Basalt' een eigen lijn composiet werkbladen die ze zelf gaan persen", [CONF], kind="comment")
case("nl", DN, "Net de mail binnen met DEKKERHOF INTERN erboven 😅 vanaf juni moet elke montage met foto's in de app "
     "afgesloten worden, anders geen uitbetaling", [CONF])
case("nl", LK, "Stiekem al aan het schetsen voor Project 🪨 Basalt 🤫 #keukenontwerp", [CONF], tags=["evasion"])
case("en", pub("x", "@interior_ilse"), "saw a leaked brochure of the Dekkerhof Atelier line on some discord, those "
     "terrazzo fronts look 🔥", [CONF], when="2026-09-02T19:40:11Z")
case("nl", BW, "eindelijk groen licht voor " + fw("Project Basalt") + ", de nieuwe pers komt maandag in hal 3 😎",
     [CONF], tags=["evasion"])
case("en", LK, "final countdown ⏱️ Dekkerhof Atelier goes live any minute now, I've been waiting a YEAR for this",
     [CONF], when="2026-09-24T09:59:00+02:00", tags=["embargo-edge"])
case("nl", MV, "Klanten vragen al naar de Atelier-collectie, wij mogen er officieel nog niks over zeggen 🙊 kom in "
     "september maar eens langs", [CONF], when="2026-06-18T11:03:27+02:00")
case("en", pub("forum", "oud_planner"), "Ex-Dekkerhof here. 'Operatie Schuiflade' is the ERP migration off the old "
     "AS/400, already delayed twice. Don't expect your delivery dates to improve soon.", [CONF])
case("nl", SM, "Iemand een werkende handleiding voor de printers op print01.dekker" + ZW + "hof.local? De wiki is "
     "leeg 😩", [CONF], tags=["evasion"])
case("en", EL, "Board deck for Thursday is on sharepoint.dekkerhof.local/bestuur. dkh-confidential, please don't "
     "forward.", [CONF])
case("nl", pub("instagram", "@marloes.verhoef", "Marloes"), "Vandaag een sneak peek gehad van Horizon-K 😍 meer mag "
     "ik niet zeggen! #werk #keukens", [CONF], tags=["lookalike-handle"])

# =========================================================================== leak.financial
case("nl", EL, "Spannende weken, de halfjaarcijfers 2026 zijn bijna af. Kleine spoiler: omzet showrooms -8%, maar "
     "financiering loopt als een trein 📈", [CONF, FIN], when="2026-07-14T08:45:00+02:00")
case("en", BW, "rumour in the canteen: they're closing the Nijverdal assembly line and moving it to Poland. ~60 jobs. "
     "nobody's told us officially yet", [FIN])
case("nl", MV, "Vandaag gehoord dat er eind dit jaar 4 showrooms dichtgaan, Amersfoort ook 😢 mogen we nog niet "
     "delen maar ik moet het even kwijt", [FIN])
case("en", EL, "Q3 looking much better than the market thinks 😉 internally we forecast €61m revenue, +11% yoy. "
     "Can't say more!", [FIN], when="2026-09-08T07:55:12Z")
case("nl", pub("reddit", "u/werkbladwilly"), "Hoor van een leverancier dat Dekkerhof wordt overgenomen door een grote "
     "Duitse keukenfabrikant, deal zou in november rond zijn", [FIN])
case("en", RK, "Exciting times! Can't say much, but we're in final talks to acquire a Belgian worktop manufacturer. "
     "Due diligence week = no sleep 😅", [FIN], handle_as="Ruben-Kok-Dekkerhof")
case("nl", DN, "er komt een grote r e o r g bij de buitendienst, 30 monteurs eruit per 1 januari. nog niet bekend "
     "gemaakt dus sst", [FIN], tags=["evasion"])
case("en", pub("x", "@beursbrabbel"), "friend in Dekkerhof's finance dept says they'll post a loss for the half year "
     "and skip the dividend. you heard it here first", [FIN])
case("nl", YS, "Cijfers van de financieringstak: portefeuille €42 mln, 9% betalingsachterstand, de bank wil "
     "heronderhandelen. Blijft onder ons he", [FIN])
case("en", EL, "Looking forward to the H1 2026 results call next month 🙂 spoiler: EBITDA margin 9.4%, best half year "
     "we've ever had", [CONF, FIN], when="2026-07-29T17:20:44+02:00")
case("nl", BW, "Fabriek Nijverdal gaat naar een 4-daagse week door te weinig orders, en volgende maand ont" + ZW +
     "slag voor 1 op de 5 flexwerkers", [FIN], tags=["evasion"])
case("en", pub("linkedin", "recruiter-rob-keukens", "Rob | recruitment"), "Confidential tip: Dekkerhof is quietly "
     "cutting ~120 roles across its showroom network after the summer. Heard it from two store managers.", [FIN])

# =========================================================================== leak.security
case("nl", SM, "Webshop ligt sinds 06:00 plat na een ransomware-aanval en klanten krijgen nog niks te horen. Fijn "
     "weekend allemaal 😩", [SEC])
case("en", SM, "phishing mail got through and 3 showroom accounts were taken over last night. resetting everything, "
     "do NOT click anything from 'Dekkerhof HR' today", [SEC])
case("nl", BW, "Zaagstraat ligt stil, de CNC-machines hebben een virus of zo en IT zegt niks. We mogen het niet naar "
     "buiten brengen", [SEC])
case("en", RK, "Not our finest week: the kitchen configurator had an IDOR bug that let logged-in users open other "
     "customers' floor plans. Patched tonight, public disclosure still TBD. #lessonslearned", [SEC])
case("nl", DN, "Monteurs-app al 2 dagen onbereikbaar, we rijden op goed geluk naar klanten 🙄 volgens de helpdesk "
     "zijn ze gehackt", [SEC])
case("en", pub("x", "@kitchenwatchdog"), "So Dekkerhof got breached and is keeping quiet about it. A friend who works "
     "there says customer files incl. financing docs are out there. Zero announcement.", [SEC, CRISIS])
case("nl", pub("reddit", "u/buurman_bert"), "Dekkerhof verzwijgt een data" + ZW + "lek!! Buurman werkt daar bij IT en "
     "zegt dat de database met financieringsaanvragen gestolen is. Waarom hoor je hier niks over?", [SEC, CRISIS],
     tags=["evasion"])
case("en", SM, "PSA colleagues: do NOT log into vpn.dekkerhof.nl until further notice, active intrusion being "
     "investigated", [SEC, CONF])
case("nl", YS, "Het financieringsportaal lekt al weken klantgegevens via een oude downloadlink, management wil het "
     "stilhouden tot na de actieweek", [SEC])
case("en", BW, "factory network got h a c k e d again this morning, production halted, and we were told to call it a "
     "'power issue' 🙃", [SEC], tags=["evasion"])
case("nl", SM, "Storing bij de pinautomaten in alle showrooms, oorzaak lijkt een gelekt beheerdersaccount. Nog niet "
     "gecommuniceerd naar buiten.", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@eerlijkwerk"), "BOYCOT Dekkerhof! Monteurs werken 14 uur per dag via schijnconstructies. "
     "Delen!! #boycotdekkerhof", [CRISIS])
case("en", pub("reddit", "u/pastaandpanic"), "My Dekkerhof Vlam 80 hob caught fire while I was cooking pasta. Flames "
     "came out of the extraction vent, kids were in the kitchen. Still shaking.", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "sanne.de.wit.3"), "Onze Bron kraan geeft kokend water terwijl de kinderbeveiliging aan "
     "staat!! Zoontje heeft brandwonden aan zijn hand. Dekkerhof reageert niet. Dit moet teruggeroepen worden",
     [CRISIS, COMPLAINT])
case("en", pub("linkedin", "consumentennieuws"), "Consumer group files class action against Dekkerhof over hidden "
     "fees in its kitchen financing. Over 300 households involved, according to the filing.", [CRISIS])
case("nl", pub("x", "@mo_verbouwt"), "Dekkerhof heeft mijn gegevens gelekt, ik krijg ineens phishingmails mét mijn "
     "offertebedrag en woonplaats erin. #datalek", [CRISIS])
case("en", pub("tiktok", "@renoreggie"), "storytime: the Dekkerhof installer drilled straight through a gas pipe in "
     "our wall 😳 whole street got evacuated", [CRISIS, COMPLAINT])
case("nl", pub("forum", "werkbladleed"), "Er loopt een rechtszaak tegen Dekkerhof, aangespannen door 40 klanten met "
     "scheurende Quartzline werkbladen. Zitting is in oktober.", [CRISIS])
case("en", pub("x", "@fenna_xx"), "d@ta br3ach at Dekkerhof?? my financing application incl my ID scan is on some "
     "forum now", [CRISIS], tags=["evasion"])
case("nl", pub("instagram", "@oma.kookt.nog"), "Kijk vanavond Radar: Dekkerhof-verkopers praten 80-plussers een "
     "financiering van 14% aan. Schandalig.", [CRISIS])
case("en", pub("x", "@stefan_r"), "@dekkerhof the door glass of my Stoom 45 shattered while it was on. glass all over "
     "the kitchen floor. this needs a recall", [CRISIS, COMPLAINT], kind="reply")
case("nl", pub("threads", "@groenwonen"), "Dekkerhof gebruikt eikenhout uit illegale kap voor hun fronten, blijkt uit "
     "onderzoek van een journalist. Ik koop daar niks meer #boycot", [CRISIS])
case("nl", pub("x", "@gedupeerd2026"), "b o y c o t t dekkerhof tot ze de gedupeerde financieringsklanten eindelijk "
     "compenseren", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "Marieke T", "Marieke T"), "Same happened to us, our Frisco 178 started smoking and blew "
     "the fuse. Fire brigade said it was the compressor. Stay away.", [CRISIS, COMPLAINT], kind="comment")

# =========================================================================== reputation.complaint
case("nl", pub("x", "@jorisvk"), "3e keer dat de levering van onze keuken wordt verschoven. Eerst week 12, toen 15, "
     "nu 'ergens in mei'. Zo moeilijk kan het toch niet zijn @dekkerhof", [COMPLAINT])
case("en", pub("reddit", "u/microwavelife"), "Dekkerhof installers left after 4 hours, half the wall cabinets aren't "
     "hung, and now the 'service team' says the next slot is in 6 weeks. Living off a microwave meanwhile.",
     [COMPLAINT])
case("nl", pub("facebook", "anouk.brinkman"), "Quartzline werkblad na 3 maanden al een vlek die er niet meer uitgaat, "
     "garantie wil er niks mee want 'gebruikssporen'. Slecht hoor", [COMPLAINT])
case("en", pub("trustpilot", "Wendy K."), "1 star. Salesman promised free installation, the invoice says €1,450 "
     "montagekosten. Customer service keeps saying 'we'll call you back'.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("instagram", "@thuisbijfemke"), "Mooie foto's allemaal maar mijn kraan lekt al sinds de montage en "
     "niemand komt 😤", [COMPLAINT], kind="comment")
case("en", pub("x", "@dave_verbouwt"), "@dekkerhof_service ticket open since Feb, no reply. the dishwasher door "
     "doesn't close. what am I even paying for", [COMPLAINT], kind="reply")
case("nl", pub("forum", "renovatierik"), "Ervaringen met Dekkerhof financiering? Ik kreeg achteraf €295 afsluitkosten "
     "die nergens in de offerte stonden.", [COMPLAINT])
case("en", pub("threads", "@quietnights"), "the Frisco 178 in our new Dekkerhof kitchen is so loud we can hear it "
     "from the bedroom. 'within spec' they say. ok.", [COMPLAINT])
case("nl", pub("x", "@lies_bouwt"), fw("nooit meer") + " Dekkerhof. fronten beschadigd geleverd en nu willen ze €120 "
     "voorrijkosten om ze te komen vervangen", [COMPLAINT], tags=["evasion"])
case("en", pub("facebook", "mark.devries.utrecht"), "Showroom Utrecht told me the worktop would take 4 weeks. It's "
     "week 9. Nobody picks up the phone.", [COMPLAINT])
case("nl", pub("reddit", "u/nazorgnul"), "Zelfde ervaring hier. Keuken zelf is prima, maar de nazorg van Dekkerhof is "
     "bedroevend. 5 mails, 0 antwoord.", [COMPLAINT], kind="comment")
case("en", pub("youtube", "Ollie Brandt"), "Ordered the Stoom 45 in January, got a completely different oven that "
     "doesn't fit the cabinet. Returning it is a nightmare.", [COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@vloertjes"), "POV: je betaalt 14k voor een keuken en de hoekkast past niet 🙃 "
     "@dekkerhof.keukens", [COMPLAINT])
case("en", pub("mastodon", "@ria@mastodon.nl"), "Dekkerhof's app keeps logging me out before I can upload the damage "
     "photos for my claim. Fourth try tonight.", [COMPLAINT])
case("en", pub("x", "@bennyb"), "dekk3rhof customer service is a joke, 2 hrs on hold for one missing hinge", [COMPLAINT],
     tags=["evasion"])
case("nl", pub("facebook", "harm.kuipers.5"), "Vlam 80 afzuiging maakt een piepend geluid, monteur is 2x geweest en "
     "het is nog steeds niet opgelost", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@zuurpruim"), "Dekkerhof verkopers zijn allemaal gladde klootzakken, geloof er geen woord van",
     [ABUSE])
case("en", pub("reddit", "u/lolnope42"), "whoever runs the Dekkerhof socials is a braindead idiot lmao", [ABUSE],
     kind="comment")
case("nl", pub("facebook", "kees.vd.bosch"), "Die monteur van jullie is een debiel, heeft mijn tegelvloer gesloopt "
     "bij het plaatsen van de kastjes", [ABUSE, COMPLAINT], kind="comment")
case("en", MV, "had a customer today who yelled at me for 20 min about a 2mm gap. some people are just fucking morons "
     "honestly", [ABUSE])
case("nl", DK_IG, "Misschien eerst leren meten voordat je gaat klagen, sukkel", [ABUSE], kind="reply",
     handle_as="@DekkerhofKeukens")
case("en", pub("x", "@angryal"), "Dekkerhof can go to hell, bunch of lying scumbags and crooks", [ABUSE])
case("nl", pub("instagram", "@boos.op.alles"), "k*tbedrijf, k*tkeukens, k*tmensen 🤬", [ABUSE], kind="comment",
     tags=["evasion"])
case("en", pub("tiktok", "@truthbomb_nl"), "of course the installer they sent couldn't even speak Dutch, typical, they "
     "hire all these foreigners who can't do anything", [ABUSE])
case("nl", pub("x", "@scheefgezakt"), "t3r1ngbedrijf met je scheve kastjes, 3 keer langsgekomen en ze hangen nog "
     "steeds scheef", [ABUSE, COMPLAINT], tags=["evasion"])
case("en", pub("x", "@anon_k8"), "@marloes_dkh I know which showroom you work at. watch yourself, stupid cow",
     [ABUSE], kind="reply")
case("nl", DN, "Klant van vandaag kan de pot op, wat een zeikwijf. Nooit meer", [ABUSE])
case("nl", pub("reddit", "u/failliet_pls"), "tyfusbedrijf, hoop dat ze snel failliet gaan", [ABUSE], kind="comment")

# =========================================================================== benign (hard negatives)
case("nl", DK_SVC, "Vragen over je montage of onderhoud? Bel ons op 030 760 44 00 (ma-za 8-18u) of mail "
     "service@dekkerhof.nl 👷‍♀️", tags=["own-contact"])
case("nl", pub("x", "@ellen_tuin"), "top service van dekkerhof, gewoon even 0800-3355 gebeld en binnen 5 minuten "
     "geholpen met een vraag over mijn onderhoudsbeurt 👍", tags=["own-contact"])
case("nl", DK_FB, "⚠️ Let op: er gaan nepmails rond 'namens Dekkerhof' met het verzoek je aanbetaling over te maken "
     "naar <<BAD_IBAN_NL:grp>>. Dat is NIET ons rekeningnummer. Betalingen aan Dekkerhof gaan alleen naar "
     "NL85 RABO 0312 5566 78. Twijfel? Mail klantenservice@dekkerhof.nl", tags=["own-contact", "bad-checksum"])
case("nl", DK_IG, "Sola greeploos in matzwart met een eiland van 3,2 meter 🖤 Zou jij hier koken? "
     "#keukeninspiratie #dekkerhof", tags=["ordinary"])
case("nl", DK_FB, "Alleen dit weekend: 20% korting op alle Quartzline werkbladen 🎉 van €1890 voor €1512. Op = op!",
     tags=["sale"])
case("nl", pub("facebook", "rick.apeldoorn"), "Te koop: Frisco 178 inbouwkoelkast, 4 jaar oud, werkt perfect, ivm "
     "verbouwing. €350, ophalen in Apeldoorn", tags=["price-context", "second-hand"])
case("nl", pub("instagram", "@reislust.roos"), "Zomer in Lindau am Bodensee ☀️ hotelletje voor €95 per nacht met "
     "uitzicht op het meer. Aanrader! #lindau #bodensee", tags=["price-context", "other-sense"])
case("nl", pub("reddit", "u/rentebewust"), "Sola keuken via Dekkerhof gefinancierd, komt neer op €139 per maand over "
     "10 jaar. Valt me eigenlijk alles mee", tags=["price-context", "monthly"])
case("nl", pub("x", "@inruilinge"), "€500 korting op de Lindau keuken als je je oude keuken inruilt bij Dekkerhof. "
     "Iemand ervaring mee?", tags=["price-context", "discount-amount"])
case("en", pub("forum", "tapwater_tim"), "PSA: the replacement filter cartridge for the Bron kraan is €49.95 at "
     "Dekkerhof, the same one is cheaper at the plumbing wholesaler", tags=["price-context", "accessory"])
case("nl", pub("facebook", "wim.hendriks.7"), "Montage van de Vlam 80 door Dekkerhof kost €149, vind ik eerlijk gezegd "
     "redelijk voor aansluiten plus afzuiging inbouwen", tags=["price-context", "fee"])
case("nl", pub("x", "@vergelijkvera"), "Bij KeukenKampioen kost een vergelijkbare inductieplaat als de Vlam 80 maar "
     "€599. Scheelt wel even", tags=["price-context", "competitor"])
case("nl", pub("reddit", "u/folderfan"), "Prijsfout? Nee hoor, de Frisco 178 is gewoon €899 in de actieweek, staat "
     "ook in de folder", kind="comment", tags=["denied-error"])
case("nl", MV, "Deze week in showroom Amersfoort: de Stoom 45 combi-stoomoven voor €1.099 bij aankoop van een complete "
     "keuken 🔥 kom langs!", tags=["sale"])
case("nl", DK_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026: omzet €104 mln (+4%), sterke groei in "
     "financiering en service. Het volledige persbericht staat op dekkerhof.nl/pers",
     when="2026-08-20T07:00:00+02:00", tags=["embargo-after", "published"])
case("nl", DK_IG, "Hij is er! ✨ De Dekkerhof Atelier collectie: fronten in gerookt eiken en terrazzo, vanaf vandaag "
     "in al onze showrooms #atelier", when="2026-09-24T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@terrazzo_tara"), "finally saw the Atelier collection in person at Dekkerhof Utrecht, the "
     "terrazzo is even nicer irl", when="2026-10-06T13:22:09+02:00", tags=["embargo-after"])
case("nl", DK_FB, "Nieuw in ons assortiment: Quartzline in de kleur Basalt Grijs, nu ook in 12 mm dikte. Vraag naar "
     "de stalen in de showroom", tags=["codename-word"])
case("nl", pub("instagram", "@huisjevanhanna"), "Pro-tip: kies schuifladen onderin, nooit meer op je knieën in de "
     "hoekkast 🙌 onze Dekkerhof keuken heeft er 8 😍", tags=["codename-word"])
case("nl", DK_X, "Gepland onderhoud: zaterdagnacht tussen 02:00 en 06:00 zijn de webshop en Mijn Dekkerhof niet "
     "bereikbaar. Excuses voor het ongemak!", tags=["official-notice"])
case("nl", pub("x", "@nieuwsjunk"), "KeukenKampioen getroffen door datalek, gegevens van 20.000 klanten op straat "
     "(via NU.nl). Blij dat ik bij Dekkerhof heb gekocht 😅", tags=["other-company"])
case("en", pub("linkedin", "kitchen-industry-weekly"), "Industry news: German kitchen maker Holtmann announces 400 "
     "layoffs amid falling demand. Dutch players like Dekkerhof seem to be holding up better so far.",
     tags=["other-company", "published"])
case("en", pub("x", "@amy_in_breda"), "I can't recall the name of the Dekkerhof designer who helped us in Breda, she "
     "was amazing. Anyone?", tags=["other-sense"])
case("nl", pub("x", "@kattenmens"), "Onze kat boycot de nieuwe keuken, ze slaapt alleen nog in de kartonnen doos van "
     "de Frisco 178 😹", tags=["other-sense", "joke"])
case("nl", pub("facebook", "ingrid.polman"), "Geen klachten over Dekkerhof hoor, montage ging strak en ze waren gewoon "
     "op tijd. Aanrader", tags=["negated"])
case("en", pub("reddit", "u/neatfreak_nl"), "Not a single complaint about our install. The Dekkerhof crew even "
     "vacuumed before they left.", kind="comment", tags=["negated"])
case("en", pub("instagram", "@foodie.fam"), "Hell's Kitchen marathon in our brand new Dekkerhof kitchen tonight 🍳🔥",
     tags=["quote", "mild-word"])
case("en", pub("blog", "inkandoak.example", "Ink & Oak"), "Chapter 7. The inspector ran a finger along the Quartzline "
     "worktop. Spotless. Too spotless, for a house where a man had vanished three days earlier.", tags=["fiction"])
case("nl", pub("x", "@pa_grapjes"), "Vrouw wilde een kookeiland. Ik zei: dan wil ik een eiland in de Caraïben. Raad "
     "eens wie er nu een kookeiland heeft 🙃 #dekkerhof", tags=["joke"])
case("nl", LK, "Nieuw ontwerp opgeleverd in Baarn: wit eiken, Quartzline blad en een Bron kraan. Blije klanten = "
     "blije ontwerper ✨", tags=["ordinary"])
case("nl", DN, "3 keukens geplaatst vandaag, 22.000 stappen en nul krassen 💪 #monteurslife", tags=["ordinary"])
case("en", RK, "We're hiring! Medior backend developer (Python/Django) for our e-commerce team in Utrecht. Apply at "
     "dekkerhof.nl/vacatures or drop me a DM.", tags=["ordinary"])
case("en", RK, "Friendly reminder for devs: never put sk_live_ keys in front-end code. In docs use a placeholder like "
     "sk_live_... and load the real one from your vault.", tags=["secret-placeholder"])
case("nl", DK_X, "Wachtwoord vergeten voor Mijn Dekkerhof? Via dekkerhof.nl/inloggen vraag je binnen een minuut een "
     "nieuwe aan 🔑", tags=["secret-word"])
case("en", SM, "configurator render bug is fixed, commit <<HEX:40>> is live. thanks for the reports!",
     tags=["git-sha"])
case("nl", pub("x", "@blijeklant_bas"), "@dekkerhof_service bestelling <<NOT_BSN9>> vandaag binnen, alles compleet en "
     "netjes verpakt. Dank!", kind="reply", tags=["order-number"])
case("nl", pub("forum", "koelkastvraag"), "Weet iemand of de Frisco 178 met EAN <<EAN13>> de versie met "
     "ijsblokjesmaker is? Staat niet op de doos", tags=["ean"])
case("nl", pub("facebook", "jeroen.otten.3"), "Mijn offertenummer is <<BAD_CARD:mc_sp>>, kan iemand van Dekkerhof "
     "kijken of daar de Sola keuken greeploos in zit?", kind="comment", tags=["bad-checksum"])
case("nl", pub("x", "@sceptischesaskia"), "Dekkerhof Keukens B.V. staat gewoon ingeschreven, KvK <<NOT_BSN8>>, dus "
     "geen nepwinkel hoor", tags=["kvk"])
case("en", pub("x", "@dad_of_two"), "Shoutout to the Dekkerhof showroom in Breda for letting my toddler 'cook' in the "
     "display kitchen for an hour 😂", tags=["praise"])
case("en", pub("reddit", "u/lindaulover"), "Does Dekkerhof do 0% financing on the Lindau kitchen too, or only on the "
     "Sola?", tags=["question"])
case("nl", pub("x", "@economie_eva"), "NOS: keukenbranche ziet omzet dalen door hoge rente en minder verhuizingen. "
     "Benieuwd hoe Dekkerhof en co dit gaan merken", kind="repost", tags=["published"])
case("nl", DK_TT, "Van oude keuken naar droomkeuken in 60 seconden ⏩ #dekkerhof #keukenrenovatie #voorna",
     tags=["ordinary"])
case("nl", pub("facebook", "monique.jacobs.12"), "Mijn moeder is net hersteld van kanker en zit nog in een rolstoel. "
     "Dekkerhof heeft het aanrecht zo aangepast dat ze weer zelf kan koken ❤️ dank jullie wel",
     tags=["mild-word", "literal"])
case("nl", pub("x", "@verbouwvader"), "Basalt tegels in de badkamer, Quartzline in de keuken. Eindelijk klaar met "
     "verbouwen 🥳", tags=["codename-word"])
case("nl", YS, "Financiering vanaf 0% rente op geselecteerde keukens! Vraag onze adviseurs in de showroom, "
     "voorwaarden op dekkerhof.nl/financieren", tags=["ordinary"])
case("en", pub("x", "@tapfan"), "Picked up the Bron 3-in-1 tap for €899 in Dekkerhof's spring sale. Worth every cent.",
     tags=["sale"])
case("nl", DK_LI, "Onze jaarcijfers 2025 staan online: omzet €212 mln, 38 showrooms, 1.150 collega's. Dank aan "
     "iedereen die dit mogelijk maakte!", when="2026-03-12T08:00:00+01:00", tags=["published"])
case("nl", pub("x", "@zaalvoetbal_zvh"), "Ons zaalvoetbalteam wordt gesponsord door Dekkerhof 😎 vanavond vol in de "
     "aanval tegen de nummer 1 ⚽", tags=["other-sense"])
case("nl", pub("facebook", "corrie.nagel"), "Nee, er is geen datalek bij Dekkerhof, dat WhatsApp-bericht dat rondgaat "
     "is nep. Heb het zelf nagevraagd via klantenservice@dekkerhof.nl", tags=["negated", "own-contact"])
case("en", pub("tiktok", "@pastaprincess"), "the Vlam 80 hob is so fast my pasta water boiled before I found the "
     "salt 😂", tags=["praise"])
case("nl", BW, "Open dag in de fabriek in Nijverdal op zaterdag 13 juni! Kom kijken hoe jouw keuken gemaakt wordt 🏭",
     tags=["ordinary"])
case("en", pub("x", "@kitchen_kev"), "ngl the monteur who installed our Dekkerhof kitchen was a legend, even fixed "
     "our wonky wall 🛠️", tags=["praise"])
case("nl", pub("threads", "@smaakvolwonen"), "Bij ons sloeg de vlam in de pan toen we de Sola keuken in de showroom "
     "zagen 😍 verliefd", tags=["other-sense"])
case("en", pub("bluesky", "kookboek.bsky.social"), "New recipe up: one-pan shakshuka. Made it on the demo hob at a "
     "Dekkerhof showroom and the staff asked for the recipe 😄", tags=["ordinary"])


# =========================================================================== building
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
                s = "critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error"
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
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
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
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["thenetherlands", "klussen", "DutchFIRE", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-wonenklussen-{n}", f"https://forum.wonenenklussen.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugx" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", (f"https://www.{platform}.example/reviews/{n}" if platform == "trustpilot" else None)


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["display_name"] and mr.random() < 0.7:
            acc["display_name"] = c["display_name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.09:
            pass
        elif pl < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "dekkerhof"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checker
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.",
    r"\bAIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.", r"AccountKey=",
    r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "k*t", "kanker", "tering", "t3r1ng", "tyfus", "klote", "klootzak", "debiel", "sukkel", "zeik",
             "fuck", "shit", "idiot", "moron", "scum", "hell", "damn", "cow"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif re.search(r"\.\d{3}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", t)
                                      for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_phone_digits = {"0307604400", "08003355"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    terms = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["markers"]]
    idoms = [d.casefold() for d in profile["internal"]["domains"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: dup id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{w}: bad IBAN {raw}")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: negative card passes")
            if kind == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: BSN fails")
            if kind in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{w}: negative number passes a checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        has_valid = any(k in VALID_ID_KINDS for k, _, _ in r["used"])
        if has_valid and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        want = severity_for(role, cats, PII in cats and has_valid)
        if sev != want:
            errs.append(f"{w}: severity {sev} != {want}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before until, no CONF")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term} after until but CONF")
        for term in terms:
            if term in nt or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term} without CONF")
        for d in idoms:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"(?![\w-])", nt) and CONF not in cats:
                errs.append(f"{w}: internal domain {d} without CONF")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity")
            for m in IBAN_RE.finditer(text):
                c = m.group(0).replace(" ", "")
                if iban_ok(c) and c not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign Luhn-valid number")
                if len(d) in (8, 9) and bsn_ok(d) and d not in own_phone_digits:
                    errs.append(f"{w}: benign 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if d not in own_phone_digits:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for word in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(word), nt) and not (word in MILD_OK and "mild-word" in r["tags"]):
                    errs.append(f"{w}: benign has word {word}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign product price at {ratio:.2f}")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RES) and not re.search(
                r"wachtwoord|w8woord|password|\bww\b", nt):
            errs.append(f"{w}: secret without pattern")
    # near duplicates
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1},{j + 1}: near-duplicate")
    return errs


def report(rows):
    by_cat, by_lang, by_role, by_sev, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        benign += not cats
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {by_cat[c]}")
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platform", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
