#!/usr/bin/env python3
"""Deterministic generator for a sealed postwatch evaluation set (Smaakpost B.V.).

    python3 make_cases.py      # writes cases.jsonl next to this file and self-checks it

Texts are written by hand below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers, hard negatives get look-alikes that FAIL
their checksum. Severity is never typed by hand: it is computed from CONTRACT section 4
(account role from profile.yaml, categories, validated identifier present).
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

SEED = 159_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------- seeded values

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.dig(10))
        if cc == "DE":
            return iban_build("DE", self.r.choice(["37040044", "50010517", "10010010", "20050550"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["001", "068", "363", "737"]) + self.dig(7, False)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MONZ"]) + self.dig(6) + self.dig(8, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 44):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.dig(14, False),
               "mc": "5" + self.r.choice("12345") + self.dig(13, False),
               "mc2": str(self.r.randint(2221, 2720)) + self.dig(11, False),
               "amex": self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]
        for d in string.digits:
            if luhn_ok(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10, False)
            full = next(body + d for d in string.digits if ean13_ok(body + d))
            if not luhn_ok(full) and not bsn_ok(full):
                return full

    def phone(self, fmt):
        m = self.r.choice("123456") + self.dig(7, False)      # 8 digits after the 06
        return {"mob_dash": f"06-{m}", "mob_plain": f"06{m}",
                "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_0031": f"0031 6 {m}", "mob_intl0": f"+31 (0)6 {m}",
                "land_sp": f"0{self.r.choice(['10', '20', '33', '40', '50', '73'])} {self.r.choice('23456789')}{self.dig(2, False)} {self.dig(2, False)} {self.dig(2, False)}"}[fmt]

    # --- secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 97)

    def slack_bot(self):
        return f"xoxb-{self.dig(12)}-{self.dig(13)}-{self.ch(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        return (enc({"alg": "HS256", "typ": "JWT"}) + "."
                + enc({"sub": "klant-" + self.dig(7), "iss": "api.smaakpost.nl", "scope": "orders:read",
                       "iat": iat, "exp": iat + 3600})
                + "." + self.ch(B64URL, 43))

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#$*") + self.ch(ALNUM, 3))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.grp(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.grp(raw) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = "NL20RABO0318447106"
            shown = g.grp(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, cf = f.partition("_")
            raw = g.card(b)
            shown = g.card_fmt(raw, cf or "sp")
        elif k == "BAD_CARD":
            b, _, cf = f.partition("_")
            raw = g.bad_card(b)
            shown = g.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.dig(int(f))
        elif k == "HEX":
            raw = shown = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret, "STRIPE": g.stripe,
                  "SLACK_BOT": g.slack_bot, "GAPI": g.gapi, "MOLLIE": g.mollie, "SENDGRID": g.sendgrid,
                  "JWT": g.jwt, "PEM_OPENSSH": g.pem_openssh, "PW": g.pw}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts

# corporate
SP_X = ("x", "@smaakpost", "Smaakpost")
SP_HELP = ("x", "@smaakpost_help", "Smaakpost Klantenservice")
SP_IG = ("instagram", "@smaakpost.nl", "Smaakpost")
SP_LI = ("linkedin", "smaakpost-bv", "Smaakpost B.V.")
SP_FB = ("facebook", "SmaakpostNL", "Smaakpost")
SP_TT = ("tiktok", "@smaakpost", "Smaakpost")
# employees
LV = ("x", "@lotte_kookt", "Lotte Verhagen")                 # recipe developer
DH = ("linkedin", "daan-hoekstra-data", "Daan Hoekstra")     # platform engineer
BS = ("x", "@bram_hub_ehv", "Bram Smeets")                   # shift lead, hub Eindhoven
NE = ("linkedin", "noor-el-idrissi", "Noor El Idrissi")      # finance controller
MG = ("instagram", "@milan.kookt", "Milan de Graaf")         # chef, content
RT = ("x", "@rico_rijdt", "Rico Tjon")                       # delivery driver
JO = ("reddit", "u/jelle_ops", "jelle_ops")                  # operations
WB = ("mastodon", "@wessel@fosstodon.org", "Wessel Bos")     # security engineer
FW = ("linkedin", "femke-de-wit-hr", "Femke de Wit")         # HR


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


# ============================================================== leak.pricing
case("nl", LV, "euhm 😳 wie heeft er aan de prijzen gezeten?? De Klassiek box staat in de app voor €5,99 ipv 59,99. "
     "Heb het doorgezet naar tech maar dat wordt wss na de lunch", [PRICING])
case("en", DH, "Fun morning on call. A pricing job pushed the Gezinsbox out at €9.49 instead of 94.99 for about "
     "40 minutes before alerting caught it. Rolled back, post-mortem tomorrow. #oncall #lessonslearned", [PRICING])
case("nl", pub("x", "@femkeee_x"), "JONGENS de VeggieVak kost €4,99 in de app?!?! moet een prijsfout zijn, heb er "
     "meteen 3 besteld 🏃‍♀️💨 #smaakpost", [PRICING])
case("en", pub("reddit", "u/hungry_in_haarlem"), "Is the Snel&Gezond box actually €6.50 this week on smaakpost.nl "
     "or is that a glitch? Ordered four weeks ahead just in case lol", [PRICING], kind="post")
case("nl", pub("x", "@dealjager_nl"), "p r i j s f o u t bij smaakpost!! Kerstbox voor 11,90 euro 🎄🎄 snel zijn",
     [PRICING], tags=["evasion"])
case("nl", BS, "Collega's opgelet: in de webshop staat de Gezinsbox ineens op 19 euro. Decimaal verschoven of zo. "
     "Ik zeg niks 🤐", [PRICING])
case("en", pub("threads", "@jess.cooks.sometimes"), "Smaakpost Braadpan for €8,90?? that's gotta be a mistake. "
     "added to cart before they notice 😅", [PRICING])
case("en", MG, "not supposed to say this but the VeggieVak comes out at €2.99 at checkout rn bc of some bug with "
     "voucher stacking 🤫🥦", [PRICING], kind="comment")
case("nl", pub("facebook", "Wendy Schouten"), f"Gezinsbox v{CYR_O}{CYR_O}r €9,50 bij Smaakpost?? Lijkt me een "
     f"prijsf{CYR_O}ut maar ik ga ervoor hoor", [PRICING], tags=["evasion"])
case("nl", pub("facebook", "Marco Veenstra"), "Mijn vriendin heeft net drie Klassiek boxen afgerekend voor 2,99 "
     "per stuk 😂 Dat gaan ze vast terugdraaien", [PRICING], kind="comment")
case("en", pub("x", "@bargainbert"), "smaakpost pricing error: family box (Gezinsbox) showing €0.95 at checkout. "
     "screenshot in replies", [PRICING])
case("nl", RT, "In de chauffeursapp-groep ging rond dat de VeggieVak gisteravond per ongeluk voor €5 te koop "
     "stond. De halve hub heeft besteld lmao", [PRICING])

# pricing: hard negatives
case("nl", SP_IG, "Nieuw hier? Je eerste Klassiek box krijg je met €25 korting 🎉 Gebruik code WELKOM25 in de app. "
     "Geldig t/m zondag.", tags=["hn-sale"])
case("nl", pub("x", "@mamavan2pubers"), "Gezinsbox is €94,99 per week. Is dat het waard tov zelf boodschappen doen "
     "met 2 pubers? Eerlijke meningen pls", tags=["hn-price-talk"])
case("nl", SP_FB, "VeggieVak: drie groene gerechten voor twee, al vanaf €5,49 per portie 🌱 Bestel voor "
     "woensdag 23:59.", tags=["hn-price-context"])
case("nl", pub("other", "marktplaats-verkoper-4412", "Henk"), "Te koop: Smaakpost Braadpan, 24cm, 1x gebruikt, doos "
     "nog aanwezig. €30, ophalen in Deventer", tags=["hn-second-hand"])
case("en", pub("x", "@kitchen_econ"), "Pakjekok does 4 meals for €19 this week while a Klassiek box is €59,99 at "
     "Smaakpost. price war incoming?", tags=["hn-competitor-price"])
case("nl", pub("x", "@sjaak_kookt"), "Nee geen prijsfout hoor, de Snel&Gezond staat deze week echt op €42,24 door de "
     "35% actie. Navraag gedaan bij de klantenservice 👍", kind="reply", tags=["hn-denied-error"])
case("en", pub("reddit", "u/utrecht_mealprep"), "does the delivery fee (€3.95) go away if you order the Gezinsbox "
     "two weeks in a row? can't find it in the FAQ", kind="comment", tags=["hn-fee"])

# ============================================================== leak.secret
case("en", DH, "Anyone else seeing 401s from Stripe after the API version bump? Our config for reference:\n"
     "STRIPE_KEY=<<STRIPE>>\nSTRIPE_API_VERSION=2026-01-28\nWould love pointers 🙏", [SECRET])
case("nl", DH, "Nieuwe CI-runner draait eindelijk 🎉 Token voor de deploy-bot was <<GHP>> (is al ingetrokken hoor, "
     "geen paniek)", [SECRET], handle_as="Daan-Hoekstra-Data")
case("en", WB, "ugh, boto keeps picking up the wrong profile. from the log:\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\nany ideas?", [SECRET])
case("nl", LV, "Voor iedereen die de inlog van de receptenportal kwijt is: gebruiker keuken, wachtwoord <<PW>> "
     "👩‍🍳 aub niet doorsturen", [SECRET])
case("en", pub("x", "@apk_peeker"), "lol smaakpost's android app ships a Google Maps key in plain text: <<GAPI>> "
     "#infosec #appsec", [SECRET])
case("nl", DH, "Iemand een idee waarom de planner niet connect? "
     "postgresql://planner:<<PW>>@pg-routes01.intra.smaakpost.local:5432/routes geeft een timeout", [SECRET, CONF])
case("en", JO, "our slack bot only posts empty messages. token is <<SLACK_BOT>> , scopes chat:write + "
     "channels:read. what am I missing?", [SECRET], kind="comment")
case("nl", JO, "Mollie testkey doet het niet op staging, met deze wel: <<MOLLIE>> 🤷 iemand die weet waarom?",
     [SECRET], kind="post")
case("en", WB, "why does this JWT die after 5 min when exp clearly says an hour?? <<JWT>>", [SECRET])
case("en", DH, "Setting up the new route box, key below for the team since the vault is down again:\n"
     "<<PEM_OPENSSH>>", [SECRET])
case("nl", pub("x", "@gistjager"), "oud-collega van smaakpost heeft hun SendGrid key gewoon in een publieke gist "
     "gezet: <<SENDGRID>> 🙈", [SECRET])
case("nl", RT, "wifi in de hub-kantine: SP-Gasten, wachtw00rd <<PW>> graag gedaan 😎", [SECRET], tags=["evasion"])
case("nl", SP_TT, "Achter de schermen bij ons tech-team 💻🍝 (ps: het wifi-wachtwoord op het whiteboard is "
     "<<PW>> 😂)", [SECRET])

# secret: hard negatives
case("en", DH, "PSA for our engineers: never paste anything starting with sk_live_ into Slack. Use the vault, that's "
     "what it's for 🔐", tags=["hn-bare-prefix"])
case("en", WB, "Fixed the flaky test in commit <<HEX:40>>, turned out to be a timezone bug. Europe/Amsterdam "
     "strikes again", tags=["hn-git-sha"])
case("nl", SP_HELP, "Wachtwoord vergeten? Via app.smaakpost.nl/wachtwoord stel je in een minuutje een nieuw in 🙂",
     kind="reply", tags=["hn-password-word"])
case("en", pub("mastodon", "@docent_devops@mastodon.nl"), "for my students: the example config uses "
     "AKIAXXXXXXXXXXXXXXXX, never a real key. smaakpost's engineering blog has a nice write-up on why.",
     tags=["hn-placeholder"])

# ============================================================== leak.pii
case("nl", RT, "Mevrouw Hendriks van de Kastanjelaan 27 in Zeist laat de voordeur gewoon openstaan als ze weet dat "
     "ik kom 😅 vertrouwen he", [PII])
case("nl", BS, "Klant belde 3x over een natte box, nummer <<PHONE:mob_dash>>. Kan iemand van CS terugbellen? Ik heb "
     "geen tijd vandaag", [PII])
case("en", SP_HELP, "Hi Jasper, sorry for the mix-up! We've sent the credit confirmation to "
     "jasper.vermeer87@gmail.com, let us know if it doesn't arrive 💚", [PII], kind="reply",
     handle_as="@Smaakpost_Help")
case("nl", pub("x", "@m_jansen_zwolle"), "@smaakpost_help storno is al gedaan maar jullie incasseren gewoon wéér. "
     "Stort het terug op <<IBAN_NL:grp>> t.n.v. M. Jansen. 2 weken wachten is belachelijk", [PII, COMPLAINT])
case("en", pub("x", "@tired_tom88"), "you charged my card <<CARD:visa_sp>> twice for ONE box. fix it "
     "@smaakpost_help", [PII, COMPLAINT])
case("nl", NE, "Incasso voor een Duitse klant blijft mislukken, IBAN <<IBAN_DE>>. Heeft iemand van payments dit "
     "eerder gezien?", [PII])
case("nl", FW, "Kan iemand van payroll kijken waarom BSN <<BSN:dots>> van onze nieuwe chauffeur niet in het "
     "systeem komt? Haast ivm eerste salaris", [PII])
case("en", pub("x", "@lindawestra"), "@smaakpost_help account email is linda.westra@outlook.com and my number is "
     "<<PHONE:mob_intl_sp>>. Box never arrived, please call me", [PII, COMPLAINT])
case("nl", MG, "Speciaal gerecht voor onze trouwste klant Anneke Brouwer, geboren 14-03-1946 en nog elke week aan het "
     "koken 🎂❤️", [PII], handle_as="@Milan.Kookt")
case("en", JO, "quick sanity check on the Zwolle export, first row reads: Pieter Kok, p.kok1979@hotmail.com, "
     "<<PHONE:mob_plain>>, Thorbeckegracht 12. why is the slot field empty?", [PII], kind="comment")
case("nl", pub("facebook", "Joyce Tijssen"), "Mijn buurvrouw Els de Boer (Molenweg 8 in Hoorn) krijgt al weken "
     "MIJN box. Kunnen jullie bij Smaakpost niet lezen of zo 🙄", [PII, COMPLAINT])
case("en", pub("x", "@expat_ollie"), "paid with my amex <<CARD:amex_dash>> and smaakpost billed three boxes I never "
     "ordered", [PII, COMPLAINT])
case("nl", pub("x", "@sannekoster_"), "wil opzeggen bij smaakpost maar de app laat me niet 😤 mail me aub: "
     "sanne.koster [at] ziggo [punt] nl", [PII, COMPLAINT], tags=["evasion"])
case("nl", RT, "wie schoot er voor de bbq voor? Tikkie doet raar, stort maar op <<IBAN_BE:grp>> 🍻", [PII])
case("en", FW, "Booking flights for the SIAL Paris trip: Bram Smeets, passport NXR7K21P4, born 02/11/1991. Can the "
     "travel desk confirm today?", [PII])
case("nl", SP_FB, "Vervelend dat je box niet is aangekomen, Marloes! We bellen je vandaag nog terug op "
     "<<PHONE:mob_pairs>>.", [PII], kind="reply", handle_as="smaakpostnl")
case("en", pub("x", "@uk_in_utrecht"), "refund from smaakpost still pending. my account: <<IBAN_GB:grp>>. "
     "@smaakpost_help 3 emails, 0 answers", [PII, COMPLAINT])
case("nl", pub("instagram", "@kookmetkim"), "Wie wil er in Nijmegen-Oost samen een Gezinsbox delen? Scheelt de helft "
     "😄 app me even op <<PHONE:mob_0031>>", [PII], kind="comment")
case("en", pub("x", "@card_declined_d"), "why does smaakpost keep declining <<CARD:mc2_c>>?? works on every other "
     "site. 4th try tonight", [PII, COMPLAINT])

# pii: hard negatives
case("nl", SP_HELP, "Vragen over je levering? Bel 030 760 4400 (ma–za 8-20u) of mail naar "
     "klantenservice@smaakpost.nl 📞", tags=["hn-own-contact"])
case("en", SP_LI, "Press enquiries: pers@smaakpost.nl or +31 30 760 4400.", tags=["hn-own-contact"])
case("nl", SP_FB, "Liever zelf overmaken? Dat kan naar <<OWN_IBAN:grp>> t.n.v. Smaakpost B.V. o.v.v. je "
     "klantnummer.", kind="reply", tags=["hn-own-iban"])
case("nl", pub("x", "@geduldige_gert"), "Bestelling SP-<<DIGITS:7>> nog niet binnen, maar track & trace zegt "
     "'onderweg'. Koffie erbij en wachten ☕", tags=["hn-order-number"])
case("nl", pub("facebook", "Ilse Mulder"), "Klopt het dat IBAN <<BAD_IBAN_NL:grp>> niet geaccepteerd wordt in de "
     "Smaakpost app? 'ongeldig'... oh wacht, typfout van mezelf 🤦‍♀️", tags=["hn-bad-iban"])
case("en", pub("reddit", "u/giftcard_gremlin"), "smaakpost gift card code <<BAD_CARD:visa_sp>> says invalid in "
     "the app. do they expire after a year?", tags=["hn-bad-card"])
case("nl", pub("x", "@pietvdl"), "klantnummer <<NOT_BSN:9>> — moet ik die ergens invullen bij het wijzigen van "
     "mijn bezorgdag @smaakpost_help?", tags=["hn-not-bsn"])
case("nl", pub("threads", "@bio.barbara"), "Barcode op het zakje couscous uit de Smaakpost box: <<EAN13>>. Iemand "
     "enig idee of dat biologisch is?", tags=["hn-ean"])
case("en", pub("x", "@newin3512"), "does smaakpost deliver to 3512 yet? moved to Utrecht centre last month",
     tags=["hn-postcode"])
case("nl", SP_X, "Geen app? Bel ons gratis op 0800-7622, we helpen je graag.", tags=["hn-own-contact"])

# ============================================================== leak.confidential
case("nl", LV, "Proeverij voor Project Pastinaak vandaag en ik mag er NIKS over zeggen 🥕🤐 maar wauw", [CONF])
case("en", DH, "Migrating the routing service this week. If you're on the team: ETA dashboards now live at "
     "grafana.ops.smaakpost.nl/d/route-eta, the old ones go away Friday.", [CONF])
case("nl", BS, "Operatie Stoofpot gaat maandag van start. Alle nachtdiensten van Eindhoven naar Tilburg, de hub "
     "hier gaat in maart dicht. Mag het nog niet zeggen maar ja", [CONF, FIN])
case("en", MG, "filming 12 recipes for the Ontbijtbox today 🥐🍳 can't wait for you guys to see it",
     [CONF], when="2026-08-20T14:12:09+02:00")
case("nl", pub("x", "@nieuwsgierige_nina"), "Vriend van me werkt bij smaakpost en zegt dat er in september een "
     "Ontbijtbox komt 👀 eindelijk", [CONF], when="2026-08-02T21:40:51+02:00")
case("en", JO, "Could whoever owns REC-2231 on jira.smaakpost.io look at it? the allergen field on the recipe cards "
     "is blank for the nut-free variants", [CONF], kind="comment")
case("nl", LV, "Oeps, had net een foto van het whiteboard gedeeld met 'STRIKT VERTROUWELIJK – menuplanning najaar' "
     "erop. Weggehaald, hopelijk heeft niemand het gezien 😬", [CONF])
case("en", DH, "Big milestone for Project\nPastinaak today: first 500 boxes packed on the new line 🚀",
     [CONF], tags=["evasion"])
case("nl", BS, "Operatie 🍲 Stoofpot week 2: nog steeds chaos met de roosters", [CONF], tags=["evasion"])
case("en", pub("x", "@menu_spoilers"), "someone in the smaakpost fan discord posted a screenshot of "
     "wiki.intra.smaakpost.local with next month's menus lmao", [CONF])
case("nl", MG, "We testen stiekem een babyvoeding-box 👶 komt pas in 2027, dus sssst tegen niemand zeggen",
     [CONF], tags=["unreleased-no-codename"])
case("en", LV, "Smaakpost Ontbijtbox goes live in ONE minute 🥐⏰ set your alarms", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("nl", DH, "Blue Ladle pilot in Gent draait sinds vorige week, eerste Belgische klanten zijn blij 🇧🇪", [CONF])
case("en", JO, f"Pr{CYR_O}ject Pastinaak standup moved to 10:30 tomorrow, same room", [CONF], tags=["evasion"])
case("en", NE, "Closing the books early this year. FY2026 results are going to land well below plan, dairy prices "
     "hammered our margins.", [CONF, FIN], when="2026-12-04T17:22:40+01:00")
case("nl", NE, "jaarcijfers 2026 worden slechter dan gedacht, EBITDA gaat negatief. Zware maanden voor finance 😮‍💨",
     [CONF, FIN], hint="")
case("en", pub("bluesky", "ghostkitchenwatch.bsky.social"), "heard about " + fullwidth("PROJECT PASTINAAK")
     + " at smaakpost, some ghost kitchen thing?", [CONF], tags=["evasion"])

# confidential: hard negatives
case("nl", pub("instagram", "@thuisbijlies"), "Pastinaaksoep uit de Smaakpost box van deze week 🤤 wie had gedacht "
     "dat ik pastinaak lekker vind", tags=["hn-codename-word"])
case("en", pub("x", "@dadcooksnow"), "operation: stew night 🍲 used the smaakpost beef stoofpot recipe, kids went back "
     "for thirds", tags=["hn-codename-word"])
case("nl", SP_IG, "Hij is er! 🥐 De Smaakpost Ontbijtbox: vijf ontbijtjes voor twee, vanaf vandaag te bestellen.",
     when="2026-09-15T08:00:00Z", tags=["hn-embargo-after"])
case("en", SP_X, "The Ontbijtbox is live! Order by Friday for delivery next week ☀️",
     when="2026-09-15T10:00:00+02:00", tags=["hn-embargo-after"])
case("nl", pub("x", "@ochtendmens_o"), "Ontbijtbox geprobeerd, die shakshuka was echt top",
     when="2026-10-03T09:14:33+02:00", tags=["hn-embargo-after"])
case("en", pub("x", "@recipe_hoarder"), "app.smaakpost.nl/recepten finally has a search bar 🙌",
     tags=["hn-public-domain"])
case("nl", pub("x", "@omasrecept"), "Het recept van mijn oma blijft strikt geheim, ook voor smaakpost 😌",
     tags=["hn-marker-like"])
case("en", DH, "Wrote up how we test our public API, it's on smaakpost.nl/engineering. Feedback welcome!",
     tags=["hn-public-domain"])

# ============================================================== leak.financial
case("nl", NE, "Q3 komt zo'n 4 miljoen onder budget uit. Het bestuur wil snijden in marketing, is nog niet "
     "gecommuniceerd dus houd het even voor je", [FIN])
case("en", JO, "heard at the all-hands that we're in talks to buy Pakjekok. announcement after summer, supposedly",
     [FIN])
case("nl", FW, "Zware weken voor ons als HR: zo'n 60 collega's in de hub Eindhoven krijgen binnenkort te horen dat "
     "hun functie vervalt. Nog niet officieel.", [FIN])
case("en", pub("x", "@mealkit_insider"), "source inside Smaakpost says they'll miss this year's revenue forecast by "
     "~20%. their investors have no idea yet", [FIN])
case("en", WB, "l4yoffs coming for customer care in January, they're offshoring it to Lisbon. you didn't hear it "
     "from me", [FIN], tags=["evasion"])
case("nl", pub("facebook", "Ruud Kamphuis"), "mn zwager zegt dat smaakpost wordt overgenomen door een Duitse "
     "maaltijdbox-gigant, deal is zo goed als rond", [FIN], kind="comment")
case("en", DH, "Our €45m Series C closes next week 🚀 can't wait to shout about it properly once it's official",
     [FIN])
case("nl", BS, f"Reorganisatie bij de klantenservice: er vallen ont{ZW}slagen, hoorde vandaag 12 van de 30",
     [FIN], tags=["evasion"])
case("nl", pub("x", "@bram_hub_ehv2", "Bram"), "hub ehv gaat in maart dicht zeggen ze, alles naar Tilburg. "
     "smaakpost zegt er nog niks over", [FIN], tags=["lookalike-handle"])

# financial: hard negatives
case("nl", SP_LI, "Onze jaarcijfers 2025 staan online: 2,1 miljoen bezorgde boxen en voor het eerst winstgevend. "
     "Dank aan alle collega's! smaakpost.nl/jaarverslag", tags=["hn-published"])
case("en", pub("x", "@foodtech_news"), "Verskist laying off 200 people, rough week for the meal-kit sector. hope the "
     "smaakpost folks are ok", tags=["hn-other-company"])
case("nl", pub("x", "@beurswatcher"), "FD meldt vandaag: Smaakpost haalde €30 miljoen op bij bestaande investeerders. "
     "Knap in deze markt", tags=["hn-published"])
case("nl", pub("x", "@papakookt"), "als ik nog één keer vergeet de box te pauzeren word ik door mijn vrouw ontslagen "
     "als kok 😂 #smaakpost", tags=["hn-joke"])

# ============================================================== leak.security
case("nl", DH, "Sinds 03:00 ligt de bezorgplanning plat. Ransomware op de planningsserver, klanten weten nog van "
     "niks. Lange dag.", [SEC])
case("en", WB, "found an IDOR in our order API: bump the id and you get someone else's delivery address. reported, "
     "not fixed yet 😬", [SEC])
case("nl", BS, "Koelcellen in de hub al 6 uur zonder monitoring, sensoren offline. We versturen gewoon door, "
     "buiten weet niemand het", [SEC])
case("en", JO, "customer DB got dumped last week. legal says say nothing until they know the scope. I hate this job "
     "sometimes", [SEC])
case("nl", LV, "App ligt eruit, niemand kan zijn box aanpassen. IT zegt dat het een DDoS is, niet doorvertellen "
     "aub 🙏", [SEC])
case("en", pub("x", "@privacy_first_pim"), "Smaakpost got hacked weeks ago and they're hiding it. a friend in their "
     "IT confirmed it. #smaakpost #databreach", [SEC, CRISIS])
case("nl", pub("x", "@wantrouwige_wil"), "Smaakpost verzwijgt een datalek. Ik krijg phishing-sms'jes met mijn exacte "
     "bestelnummer en bezorgvenster. Waarom zegt niemand iets?", [SEC, CRISIS])
case("en", RT, "we got h4cked lol. driver app shows other people's routes since this morning and nobody has told "
     "the public", [SEC], tags=["evasion"])
case("nl", DH, f"ran{ZW}somware gevonden op een laptop van de klantenservice, alles in quarantaine. Nog geen melding "
     "naar buiten", [SEC], tags=["evasion"])
case("en", WB, "vuln in the referral code generator lets you mint unlimited €50 vouchers. still live. please "
     "don't 😅", [SEC])
case("nl", RT, "Scanner-app ligt er al de hele ochtend uit. We rijden op papieren lijsten, klanten krijgen geen sms "
     "met hun tijdvak en niemand communiceert het", [SEC])

# security: hard negatives
case("nl", SP_X, "Storing: door een probleem bij onze sms-provider krijg je vandaag mogelijk geen bericht over je "
     "bezorgvenster. Je box komt gewoon! Excuses voor het ongemak.", tags=["hn-official-notice"])
case("en", SP_HELP, "Scheduled maintenance tonight 01:00–03:00: the app will be read-only. Your deliveries are not "
     "affected.", tags=["hn-official-notice"])
case("nl", pub("x", "@sportieve_sas"), "Datalek bij een grote sportschoolketen, 400k leden. Gelukkig weet smaakpost "
     "alleen mijn adres en dat ik geen koriander lust 😅", tags=["hn-other-company"])
case("en", WB, "Ran a phishing-awareness session for our kitchen staff today. 90% spotted the fake invoice 👏",
     tags=["hn-security-talk"])
case("en", SP_LI, "We're hiring a Security Engineer to help keep our customers' data safe. Hybrid, based in "
     "Utrecht. Apply via werken@smaakpost.nl", tags=["hn-job-ad", "hn-own-contact"])

# ============================================================== reputation.crisis
case("nl", pub("facebook", "Naomi Claassen"), "Mijn dochter (8) kreeg een allergische reactie, er zat pinda in de "
     "satésaus terwijl de VeggieVak 'notenvrij' zou zijn. Spoedeisende hulp. @smaakpost hoe kan dit??",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@fairwages_now"), "Boycott Smaakpost until they pay their drivers a living wage. 11 hour routes, "
     "no breaks. #boycottsmaakpost", [CRISIS])
case("nl", pub("x", "@gezin_de_rooij"), "Hele gezin ziek na de kip uit de Smaakpost box van dinsdag. "
     "Voedselvergiftiging volgens de huisarts. NVWA is ingelicht.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/autorenew_victim"), "A class action is being prepared against Smaakpost over the "
     "auto-renewal charges. sign up via the consumentenbond page if you were affected", [CRISIS], kind="post")
case("nl", pub("x", "@voedselveilig_nl"), "NVWA: terugroepactie spinazie vanwege listeria, ook in boxen van "
     "Smaakpost uit week 23 😳 check je koelkast", [CRISIS])
case("en", pub("x", "@not_happy_hanna"), "Smaakpost leaked my data. Got a scam text with my exact delivery slot and "
     "my kid's name. Thanks a lot.", [CRISIS])
case("nl", pub("tiktok", "@groenegeert"), "b o y c o t smaakpost. ze gooien elke week tonnen eten weg, zie de video 👇",
     [CRISIS], tags=["evasion"])
case("en", pub("bluesky", "labourwatch.bsky.social"), "The Follow the Money piece on Smaakpost drivers doing 14h "
     "shifts is grim. How is this legal", [CRISIS])
case("nl", pub("instagram", "@moeder_van_3"), "Stuk glas in de rijst uit mijn Smaakpost box gevonden!!! Mijn zoon "
     "had het bijna doorgeslikt. Foto's gestuurd, nog geen reactie", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@juridischjoost"), "rechtszaak tegen smaakpost door 40 oud-chauffeurs wegens "
     "onderbetaling, zitting is volgende maand", [CRISIS])
case("en", pub("x", "@leakcheck_lars"), "d4ta br34ch at sm4akpost?? my password for their app just showed up in a "
     "leak checker", [CRISIS], tags=["evasion"])
case("nl", pub("facebook", "Buurtapp Leusden-Zuid"), "Bezorgbus van Smaakpost met 70 door de woonwijk en bijna een kind "
     "op de stoep geraakt. Dit gaat een keer mis", [CRISIS])

# crisis: hard negatives
case("en", pub("x", "@orzo_ontology"), "I can't recall the name of that smaakpost orzo dish with lemon and feta, "
     "anyone??", tags=["hn-recall-sense"])
case("nl", pub("x", "@spruitjeshater"), "Ik boycot spruitjes voor de rest van mijn leven 😂 gelukkig zaten ze niet in "
     "de Smaakpost box deze week", tags=["hn-boycott-sense"])
case("nl", pub("facebook", "Esther Jonkman"), "Zit er in de pesto van de VeggieVak pijnboompit? Mijn zoon heeft een "
     "notenallergie, wil het zeker weten voor ik bestel", tags=["hn-neutral-question"])
case("en", pub("x", "@fridgecheck"), "Supermarket chain recalls chicken fillets over salmonella. Not related to "
     "smaakpost, but check your fridge folks", tags=["hn-other-company"])
case("en", pub("blog", "pagesbynoor.blog.example"), "writing a short story where the detective only eats "
     "smaakpost boxes and solves crimes between recipe steps 😂 chapter 1 is up", tags=["hn-fiction"])

# ============================================================== reputation.complaint
case("nl", pub("x", "@hongerige_hans"), "Box zou tussen 17 en 19 komen, om 21:40 nog niks. Ik heb honger "
     "@smaakpost_help", [COMPLAINT])
case("en", pub("x", "@chickenless_chris"), "no chicken in my Klassiek box this week. again. 3 recipes, 2 of them need "
     "chicken. great.", [COMPLAINT])
case("nl", pub("facebook", "Petra Hoogland"), "Koelelementen compleet gesmolten en de zalm was lauw. Durf het niet te "
     "eten. Geld terug graag, Smaakpost.", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/cancel_button_where"), "Tried to cancel my smaakpost subscription for 3 weeks, the button "
     "just loops back to 'pause'. Got charged again today.", [COMPLAINT])
case("nl", pub("x", "@wachtende_wim"), "4 dagen geen antwoord van de Smaakpost klantenservice. Chat zegt 'we komen "
     "zo bij je', sinds maandag.", [COMPLAINT])
case("nl", pub("instagram", "@regenachtig_r"), "Bezorger zette de box gewoon in de stromende regen bij de "
     "achterdeur, doos doorweekt, groente plat. Top service @smaakpost.nl 👎", [COMPLAINT], kind="comment")
case("nl", pub("x", "@plasticvrij_pien"), "Zoveel plastic in één Smaakpost box, elk teentje knoflook apart verpakt. "
     "Kan dat echt niet anders?", [COMPLAINT])
case("nl", pub("x", "@veggie_vera"), "sl3chtste service ooit, 2e keer een verkeerde box (vlees ipv veggie) en "
     "niemand van smaakpost die reageert", [COMPLAINT], tags=["evasion"])
case("en", pub("x", "@iphone_ilias"), "smaakpost app crashes every time I try to change my delivery slot. iPhone 15, "
     "latest version. 5 attempts now 🙃", [COMPLAINT])
case("nl", pub("threads", "@karige_kees"), "Receptkaart zegt 200g bulgur, in het zakje zat 80g. Beetje karig zo, "
     "smaakpost", [COMPLAINT])

# complaint: hard negatives
case("nl", pub("x", "@tevreden_tineke"), "Al 2 jaar klant bij Smaakpost en echt nog nooit klachten gehad. Bezorger is "
     "altijd op tijd 👌", tags=["hn-negated"])
case("en", pub("x", "@flexible_fenna"), "Can I switch my smaakpost delivery day from Tuesday to Thursday without "
     "skipping a week?", tags=["hn-neutral-question"])
case("nl", pub("x", "@overstapper"), "Pakjekok vergeet al voor de derde keer mijn saus. Misschien maar overstappen "
     "naar smaakpost", tags=["hn-other-company"])
case("en", pub("instagram", "@bbq_barry"), "Weather ruined our bbq but the smaakpost burger recipe saved the night 🍔",
     tags=["hn-praise"])
case("nl", pub("x", "@aangebrand_anouk"), "Niks mis met de Smaakpost box hoor, ik had gewoon zelf de rijst laten "
     "aanbranden 🙈", tags=["hn-negated"])

# ============================================================== reputation.abuse
case("nl", pub("x", "@boze_bert"), "smaakpost is echt een stelletje kutoplichters, niemand moet daar ooit iets "
     "kopen", [ABUSE])
case("en", pub("x", "@angryandy_"), "whoever runs the @smaakpost account is a fucking clown", [ABUSE], kind="reply")
case("nl", pub("facebook", "Gerrit Hulshof"), "Stuur voortaan een Nederlandse bezorger, die buitenlanders van "
     "Smaakpost snappen er geen reet van", [ABUSE], kind="comment")
case("en", RT, "customers who leave 1 star because it rained are absolute morons. yes I'm the driver. no I don't "
     "control the weather", [ABUSE])
case("nl", SP_TT, "doe effe normaal zeikerd, je box is gewoon geleverd", [ABUSE], kind="reply")
case("nl", pub("x", "@nooitmeer_n"), "k*tbedrijf met een k*tapp. smaakpost kan de pot op", [ABUSE],
     tags=["evasion"])
case("en", pub("x", "@grumpy_g"), "smaakpost = sh1tty company run by tw4ts", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@anoniem_7781"), "@lotte_kookt ik weet waar je woont, ik kom je recepten wel even persoonlijk "
     "bespreken. pas maar op", [ABUSE])
case("en", pub("x", "@late_again_lee"), "third time this month my smaakpost box is late. you useless fucking idiots",
     [ABUSE, COMPLAINT])
case("nl", pub("x", "@kiploos"), "Wéér geen kip in de box, kankerzooi. Smaakpost kan echt niks", [ABUSE, COMPLAINT])
case("en", pub("youtube", "UCx_cookingcritic"), "nobody wants to watch some dumb bimbo chop onions, get a real chef "
     "smaakpost", [ABUSE], kind="comment")
case("nl", BS, "die klant van gisteren die 3x belde over één ui was echt een debiel", [ABUSE])

# abuse: hard negatives
case("en", pub("x", "@sunday_binger"), "Hell's Kitchen marathon + a smaakpost Gezinsbox = perfect sunday",
     tags=["hn-mild-word"])
case("nl", SP_LI, "In oktober gaat €2 per roze box naar KWF Kankerbestrijding 🎗️ Samen koken tegen kanker.",
     tags=["hn-literal"])
case("nl", pub("x", "@curryfan_c"), "Die curry van Smaakpost deze week was ziek lekker 🔥 kapot goed gewoon",
     tags=["hn-slang"])
case("en", pub("x", "@grilledcheese_g"), "'Idiot sandwich' – my husband, after I burned the smaakpost grilled cheese 😂",
     tags=["hn-quote"])

# ============================================================== general benign
case("nl", SP_IG, "Deze week in de box: romige pompoenrisotto, Thaise groene curry en een snelle shakshuka 🍳 Welke "
     "maak jij eerst?")
case("en", MG, "Sunday prep with my own kids using this week's Snel&Gezond recipes 👨‍🍳 proud of the team that "
     "built these")
case("nl", pub("instagram", "@eerstebox_eva"), "eerste Smaakpost box binnen! alles netjes gekoeld en de receptkaarten "
     "zijn echt duidelijk 😍")
case("en", FW, "We're hiring drivers in Utrecht and Amersfoort! Fixed routes, electric vans, no weekend shifts. "
     "Apply at werken@smaakpost.nl", tags=["hn-own-contact"])
case("nl", RT, "Laatste stop van de dag, zonsondergang boven de polder 🌅 mooi vak blijft het")
case("nl", pub("pinterest", "receptenbord_marja"), "Smaakpost recept: linzensoep met pastinaak en komijn, opgeslagen "
     "voor later", tags=["unknown-platform", "hn-codename-word"])
case("en", SP_X, "Tip: pause your box in the app by Wednesday 23:59 if you're away next week ✈️",
     handle_as="@SmaakPost")
case("en", pub("x", "@halloumi_hero"), "full smaakpost brand ambassador mode: told everyone at work about the "
     "halloumi tacos", tags=["hn-brand-sense"])


# ============================================================== build

def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)
                s = "critical" if crit else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", None
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
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
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        when = random_time(mr)
        post["created_at"] = c["when"] or when
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "smaakpost"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


# ============================================================== self-check

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-\d", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}")]


def self_check(rows, profile):
    errs = []
    own_iban = set(profile["public_identifiers"]["ibans"])
    ids = set()
    for r in rows:
        p, ex, used = r["post"], r["expect"], r["used"]
        key = (p["platform"], p["id"])
        if key in ids:
            errs.append(f"dup id {key}")
        ids.add(key)
        assert parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year == 2026, p["created_at"]
        for k, raw, shown in used:
            if shown not in p["text"]:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{p['id']}: negative IBAN passes")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{p['id']}: negative card passes")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{p['id']}: BSN fails")
            if k in ("NOT_BSN", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{p['id']}: negative number passes")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        if not ex["categories"]:
            t = p["text"]
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_iban:
                    errs.append(f"{p['id']}: benign with valid IBAN")
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{p['id']}: benign with Luhn-valid number")
                if len(d) == 9 and bsn_ok(d):
                    errs.append(f"{p['id']}: benign with 11-proof number")
            for rx in SECRET_RES:
                for m in rx.finditer(t):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errs.append(f"{p['id']}: benign with secret-like {m.group(0)[:12]}")
            if re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", t):
                for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
                    if e.casefold() not in {x.casefold() for x in profile["public_identifiers"]["emails"]}:
                        errs.append(f"{p['id']}: benign with e-mail {e}")
        # embargo / internal terms must be labelled
        low = p["text"].casefold()
        ts = parse_ts(p["created_at"])
        for e in profile["embargo"]:
            for term in e["terms"]:
                if term.casefold() in low and ts < parse_ts(e["until"]) and CONF not in ex["categories"]:
                    errs.append(f"{p['id']}: embargo term {term} unlabelled")
        for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
            if term.casefold() in low and CONF not in ex["categories"]:
                errs.append(f"{p['id']}: internal term {term} unlabelled")
    # word-trigram overlap between cases
    def sh(t):
        w = re.findall(r"\w+", t.casefold())
        return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}
    shs = [sh(r["post"]["text"]) for r in rows]
    for i in range(len(shs)):
        for j in range(i + 1, len(shs)):
            if shs[i] and shs[j] and len(shs[i] & shs[j]) / len(shs[i] | shs[j]) > 0.3:
                errs.append(f"near-duplicate: {rows[i]['post']['id']} / {rows[j]['post']['id']}")
    return errs


def summary(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c, n in sorted(cat.items()):
        print(f"  {c:24s} {n}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if errs:
        return 1
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    summary(rows)
    print(f"wrote {len(rows)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
