#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 126 (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and self-checks it

Company: Plonsdam Zwem & Sport B.V. (fictional), see profile.yaml.
All texts are hand-written below. Identifiers and secrets come from placeholders such as
<<IBAN_NL>> filled by a seeded RNG: positives get checksum-valid values, near-miss
benign posts get values that fail their checksum. Severity is computed from the
contract's policy (section 4), never typed by hand.
Needs Python 3.9+ and PyYAML.
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

import yaml

SEED = 126_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o (looks like Latin o)
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------


def iban_check(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def elfproef(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(d):
    return len(d) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d[:12])) + int(d[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL66RABO0312445567"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_check("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"]) + self.d(10))
            elif cc == "BE":
                first = self.r.choice(["001", "063", "068", "310", "735", "850"]) + self.d(7, nz=False)
                v = iban_check("BE", f"{first}{(int(first) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_check("DE", self.r.choice(["37040044", "50010517", "12030000", "70150000"]) + self.d(10, nz=False))
            else:
                v = iban_check("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.d(6) + self.d(8))
            if v != OWN_IBAN and iban_valid(v):
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in range(1, 99):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            body = "4" + self.d(14, nz=False)
        elif brand == "mc":
            body = "5" + self.r.choice("12345") + self.d(13, nz=False)
        elif brand == "mc2":
            body = str(self.r.randint(2221, 2720)) + self.d(11, nz=False)
        else:
            body = self.r.choice(["34", "37"]) + self.d(12, nz=False)
        for x in "0123456789":
            if luhn_valid(body + x):
                return body + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.d(9, nz=False)
            for x in "0123456789":
                if ean13_valid(body + x) and not luhn_valid(body + x):
                    return body + x

    def phone(self, f):
        if f.startswith("mob"):
            m = self.r.choice("123456") + self.d(7, nz=False)   # 8 digits after 06
            return {
                "mob_dash": f"06-{m}",
                "mob_plain": f"06{m}",
                "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                "mob_0031": f"0031 6 {m}",
                "mob_paren": f"(06) {m[:4]} {m[4:]}",
                "mob_intl_c": f"+316{m}",
            }[f]
        area = self.r.choice(["33", "35", "30", "36", "343", "348"])
        sub = self.r.choice("2345789") + self.d(8 - len(area), nz=False)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}"}[f]

    # secrets (random, fake, shaped like the real ones)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.d(11)}-{self.d(13)}-{self.c(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 60)

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        h = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        body = json.dumps({"sub": "ouder_" + self.d(6), "iss": "app.plonsdam.nl", "kid": self.d(5),
                           "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode()
        p = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%?") + self.c(ALNUM, 4))

    def sha(self):
        return self.c("0123456789abcdef", 40)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = v.grp(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = v.bad_iban(kind[9:])
            shown = v.grp(raw) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, style = f.partition("_")
            raw = v.card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = f.partition("_")
            raw = v.bad_card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = v.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = v.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = v.ean13()
        elif kind == "PHONE":
            shown = raw = v.phone(f)
        else:
            fn = {"GHP": v.ghp, "MOLLIE": v.mollie, "SENDGRID": v.sendgrid, "SLACK_BOT": v.slack_bot,
                  "SLACK_HOOK": v.slack_hook, "STRIPE": v.stripe, "GAPI": v.gapi, "JWT": v.jwt,
                  "PEM_OPENSSH": v.pem_openssh, "PW": v.pw, "SHA": v.sha,
                  "AWS_ID": lambda: "AKIA" + v.c(B32, 16), "AWS_SECRET": lambda: v.c(B64, 40)}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
PD_X = ("x", "@plonsdam", "Plonsdam")
PD_HELP = ("x", "@plonsdam_helpt", "Plonsdam Klantenservice")
PD_IG = ("instagram", "@plonsdam.nl", "Plonsdam Zwemschool")
PD_FB = ("facebook", "PlonsdamZwemschool", "Plonsdam Zwem & Sport")
PD_LI = ("linkedin", "plonsdam-zwem-sport", "Plonsdam Zwem & Sport B.V.")
PD_TT = ("tiktok", "@plonsdam", "Plonsdam")
# employees
MA = ("x", "@badjuf_marloes", "Marloes Hendriks")              # swimming teacher, Amersfoort
YU = ("instagram", "@coach.yusuf", "Yusuf Demir")               # camp leader
RK = ("linkedin", "ruben-kramer-plonsdam", "Ruben Kramer")     # head of app development
IV = ("linkedin", "ingrid-vos-plonsdam", "Ingrid Vos")         # finance
DW = ("x", "@dewi_planning", "Dewi Ramdin")                    # planning / customer contact
BS = ("threads", "@kampleider_bas", "Bas Verhoeven")           # camp manager
LT = ("bluesky", "@lotte-dev.bsky.social", "Lotte Jansma")     # backend developer
JO = ("mastodon", "@joris_b@mastodon.nl", "Joris Brouwer")     # devops


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
case("nl", DW, "Eh collega's 😬 het A-pakket staat sinds half 9 voor €49,50 in de boekingsmodule i.p.v. €495. "
     "Er zijn al 60+ boekingen binnen. IT is gebeld, niet rondsturen pls", [PRICING])
case("nl", pub("facebook", "priscilla.vandam.3", "Priscilla van Dam"),
     "Moeders opgelet!!! Zomerkamp Texel bij Plonsdam staat nu voor €68,90 op de site 😱 volgens mij zijn ze een "
     "nulletje vergeten. Heb meteen 2 plekken geboekt voor de tweeling, we zien wel 🤷‍♀️", [PRICING])
case("en", pub("reddit", "u/dutchdad_utrecht"),
     "Plonsdam's Herfstkamp is listed at €24.90 right now (it's normally 249). Pretty obviously a pricing mistake. "
     "Booked anyway, worst case they cancel and refund.", [PRICING])
case("nl", PD_IG, "🌊 ALLEEN DIT WEEKEND 🌊\nSpetterweek in de meivakantie voor maar €59 per kind!\n"
     "Op = op, link in bio 💦 #plonsdam #meivakantie", [PRICING], tags=["corporate-promo"])
case("en", RK, "Small post-mortem from last Tuesday, because I believe in sharing failures: a rounding bug in our new "
     "checkout turned the Diploma B-pakket into €3,45 for roughly forty minutes. 212 bookings before monitoring "
     "caught it. Takeaways: test with real currency formats, alert on conversion spikes, and never deploy price "
     "logic at 16:55. #engineering #lessonslearned", [PRICING])
case("nl", pub("x", "@yvonne_ams"), "@plonsdam prijsfout?? C-pakket voor €29,50 in de app 😳 boeken of niet boeken "
     "#prijsfout", [PRICING], kind="reply")
case("nl", pub("tiktok", "@mamavanmees"), "p r i j s f o u t bij plonsdam 🏊‍♀️🏊‍♀️ herfstkamp voor 25 euro ipv 249, "
     "rennen mensen!!", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@kevbakker"), "lmao PlonsApp Plus yearly is showing €0,39 on the checkout page, somebody slipped "
     "a decimal 💀 grabbed it for the whole family", [PRICING])
case("nl", MA, "Ouders vragen me vandaag wel 10x of het klopt dat de snorkelkaart €12 kost. Nee dus 🙃 foutje in de "
     "webshop, wordt aan gewerkt. Niet boeken aub!", [PRICING])
case("nl", pub("forum", "Kampmoeder_Leusden"), "Zömerkamp Texel voor €69 bij Plønsdam?? Dat moet een prijsföutje "
     "zijn toch. Iemand al een bevestiging gehad?", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", pub("facebook", "hannah.o.brien.nl", "Hannah O'Brien"), "Got the Diploma A-pakket at Plonsdam for €279 "
     "during last night's glitch (it's €495 normally!). Confirmation email came through, fingers crossed 🤞",
     [PRICING], tags=["ratio-edge"])
case("nl", BS, "verkeerde prijs live gezet voor het herfstkamp (€24,90 🤦‍♂️). issue staat op "
     "git.plonsdam.dev/web/boeken/-/issues/311, wie kan er even reviewen?", [PRICING, CONF])
case("en", pub("mastodon", "@sunnyswims@mastodon.social"), f"pricing{ZW}error alert: Plonsdam B-pakket at €34.50 on "
     "their booking site. not sure they'll honour it", [PRICING], tags=["evasion", "evasion:zero-width"])

# pricing: benign near-misses
case("nl", PD_FB, "☀️ Vroegboekkorting! Boek vóór 1 maart het Zomerkamp Texel voor €589 in plaats van €689. "
     "Inclusief overtocht, eten en een kampshirt. Boeken via boeken.plonsdam.nl", tags=["hard", "sale"])
case("nl", pub("x", "@lieke_op_de_fiets"), "Buurvrouw had een code voor €50 korting op het B-pakket, scheelt weer 🙌",
     tags=["hard", "price-context"])
case("en", pub("reddit", "u/utrecht_parent_22"), "Comparing swim schools near Utrecht: De Golfbreker charges €180 for "
     "diploma A, Plonsdam's A-pakket is €495 but includes unlimited retakes. Anyone tried both?",
     tags=["hard", "price-context", "competitor"])
case("nl", pub("facebook", "gerdien.smit", "Gerdien Smit"), "Wist je dat je het A-pakket ook in 10 termijnen van "
     "€49,50 kan betalen? Scheelt een hoop in één keer 👍", tags=["hard", "price-context"])
case("nl", PD_X, "Black Friday 🖤 PlonsApp Plus jaarabonnement nu €25 (normaal €39). Alleen t/m maandag!",
     tags=["hard", "sale", "ratio-edge"])
case("nl", pub("x", "@tessa_tweets"), "Was het een prijsfout? Nee hoor, gewoon 20% korting op het herfstkamp deze "
     "week 😉", kind="reply", tags=["hard", "denied-error"])
case("en", pub("threads", "@alex.in.amersfoort"), "Heads up: parents pay €3,50 entry at the Plonsdam diploma day, "
     "bring cash!", tags=["hard", "fee"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RK, "Tip for junior devs, learned the hard way: a teammate's screenshot of our backend .env ended up in a "
     "public slide deck last year. It literally showed\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nWe rotated it the same day, "
     "but still. Use a secrets manager. #security #devlife", [SECRET])
case("nl", JO, "waarom faalt de deploy nou weer 😤\n\nexport AWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "export AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nregio eu-west-1, bucket bestaat wel. iemand een idee?", [SECRET])
case("en", LT, "`git clone https://<<GHP>>@github.com/plonsdam/plonsapp-ios.git` works on my machine but the CI "
     "runner says 403. what am I missing", [SECRET])
case("nl", DW, "Voor de invalkrachten die vanavond beginnen: inloggen op het roosterportaal met gebruiker invalpool "
     "en ww <<PW>> 👍 succes!", [SECRET])
case("nl", PD_HELP, "@mama_van_drie Sorry voor het ongemak, betalen via iDEAL werkt weer 🙏 key=<<STRIPE>>",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_poker"), "Decompiled the PlonsApp APK out of curiosity and the Google Maps key is "
     "just sitting in strings.xml: <<GAPI>>. Not restricted either lol", [SECRET], kind="comment")
case("en", YU, "Texel camp staff wifi 📶 network: PlonsKamp-Leiding / password: <<PW>> — leiding only, do NOT give "
     "it to the kids 😂 #zomerkamp #kampleiding", [SECRET])
case("nl", JO, "kan iemand checken of de ledenbase nog leeft? connectie: "
     "postgresql://plons_admin:<<PW>>@db2.intranet.plonsdam.local:5432/leden — krijg alleen timeouts",
     [SECRET, CONF])
case("en", LT, "ugh wrong window, ignore 🙈\n<<PEM_OPENSSH>>", [SECRET])
case("en", pub("blog", "veiligeapps.nl", "Veilige Apps"), "Looked at how the Plonsdam parent app authenticates. "
     "The session token travels in the query string, e.g. ?t=<<JWT>> — which means it ends up in every proxy log "
     "between the parent and the server.", [SECRET])
case("en", JO, "Why is SendGrid rejecting our camp confirmation mails? Key is <<SENDGRID>>, sender is verified. "
     "Bounce just says 'forbidden'.", [SECRET])
case("nl", DW, "w a c h t w o o r d van de gedeelde planningsmailbox is sinds vandaag <<PW>> (oude werkt niet meer)",
     [SECRET], tags=["evasion", "evasion:spaced"])
case("en", LT, "deploy notifications now go to <<SLACK_HOOK>> instead of email, so much better 🙌", [SECRET])

# secret: benign near-misses
case("nl", PD_HELP, "Wachtwoord vergeten? Open de PlonsApp, tik op Inloggen → Wachtwoord vergeten en je ontvangt "
     "binnen een paar minuten een resetlink. Lukt het niet, mail dan info@plonsdam.nl 💙", tags=["hard", "own-contact"])
case("en", RK, "After our audit every service pulls credentials from Vault. What's left in config files looks like "
     "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX and that's exactly how it should be. Proud of the team!",
     tags=["hard", "placeholder"])
case("en", LT, "fixed the progress-bar flicker in <<SHA>>, release notes later today 🎉", tags=["hard", "git-sha"])
case("en", pub("x", "@devnl_sam"), "TIL GitHub auto-revokes leaked ghp_ tokens in public repos. neat.",
     tags=["hard", "bare-prefix"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", DW, "Kan iemand mevrouw Visser terugbellen over de inhaalles van Noor (groep B, Amersfoort)? Ze heeft al "
     "3x gebeld 🙈 nummer: <<PHONE:mob_dash>>", [PII])
case("nl", YU, "Kampinfo voor de leiding 📋 Finn de Wit (geb. 14-03-2017), Kastanjelaan 12, Hilversum. "
     "Notenallergie, epipen zit in zijn tas.", [PII])
case("nl", IV, "Voor de collega's van crediteuren: terugbetaling kampgeld familie Bakker graag vandaag nog naar "
     "<<IBAN_NL:grp>>, de rest volgt in de batch van vrijdag.", [PII])
case("nl", PD_HELP, "@jolien_r We zien de betaling met kaart <<CARD:mc_sp>> gewoon binnenkomen hoor, dus de boeking "
     "staat. Fijne Spetterweek!", [PII], kind="reply", handle_as="@Plonsdam_Helpt", tags=["handle-case"])
case("nl", BS, "Wie had het BSN van Sem (groep Zeehondjes) nog nodig voor de kampverzekering? <<BSN:dots>>, staat "
     "ook in de map", [PII])
case("nl", pub("facebook", "rianne.kok.71", "Rianne Kok"), "Plonsdam reageert al 2 weken niet op mijn mails over de "
     "gemiste lessen. Bel me dan maar gewoon: <<PHONE:mob_intl_sp>>. Echt, dit is zo slecht geregeld.",
     [PII, COMPLAINT])
case("en", pub("x", "@claire_in_nl"), "@plonsdam_helpt still no refund for the cancelled camp after 5 weeks. My IBAN "
     "AGAIN: <<IBAN_NL:grp>>. How hard can it be", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@woedende_vader"), "Die badjuf van Plonsdam Zeist die mijn zoon uitlachte heet Kim Vermeulen "
     "en woont op de Meidoornlaan 4 in Zeist. Wat een trut.", [PII, ABUSE, COMPLAINT])
case("en", RK, "Debugging a weird crash today: one parent account (jan.dekker82@gmail.com) triggers it every time "
     "they open the lesson calendar. Turned out to be an emoji in the child's nickname 😅 #mobiledev", [PII])
case("nl", MA, "Wie heeft een blauwe oplader gevonden in kleedkamer 3? Is van Lisa Mertens, haar moeder is "
     "bereikbaar op <<PHONE:mob_pairs>>", [PII], handle_as="@Badjuf_Marloes", tags=["handle-case"])
case("nl", DW, "Kan iemand de factuur van fam. Jansen opnieuw sturen? Mailadres is m.jansen1985 [at] hotmail "
     "[punt] com (niet het oude adres)", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("reddit", "u/wtf_plonsdam"), "Plonsdam just emailed me SOMEONE ELSE'S invoice. Name Eva Smits, IBAN "
     "<<IBAN_NL>>, address on the Lindelaan in Utrecht. If they do this with kids' data too... this is a data "
     "breach, plain and simple.", [PII, CRISIS])
case("nl", pub("facebook", "jeroen.hoekstra.5", "Jeroen Hoekstra"), "@Plonsdam Kampen hier de gegevens voor het "
     "Ardennenkamp zoals gevraagd: Daan Hoekstra, paspoortnr NVK8R3LP1, geldig tot 2031", [PII], kind="comment")
case("en", LT, "payment webhook choked on this one: card <<CARD:amex_sp>> exp 09/28. anyone seen Amex fail on "
     "Mollie before?", [PII])
case("en", YU, "Happy birthday to our camper Mila Jansen, 9 today! 🎂 (born 02-07-2017, youngest of group Orka's). "
     "Cake at 4!", [PII], when="2026-07-02T11:14:09+02:00")
case("nl", IV, "Belgische ouders hebben het herfstkamp dubbel betaald, kan iemand €249 terugstorten naar "
     "<<IBAN_BE:grp>>? Dank!", [PII])

# pii: benign near-misses
case("nl", PD_X, "Vragen over je zwemles of kampboeking? Bel ons op +31 30 760 4420 (ma–vr 9–17u) of mail "
     "info@plonsdam.nl 💙", tags=["hard", "own-contact"])
case("nl", PD_FB, "Liever zelf overmaken? Dat kan naar NL66 RABO 0312 4455 67 t.n.v. Plonsdam Zwem & Sport B.V., "
     "o.v.v. je lidnummer. Dan regelen wij de rest 🏊", handle_as="plonsdamzwemschool",
     tags=["hard", "own-contact", "handle-case"])
case("nl", pub("x", "@papa_pepijn"), "bel gewoon 0800-1928, ik had binnen 2 min iemand aan de lijn en alles was "
     "geregeld. top service @plonsdam", tags=["hard", "own-contact", "praise"])
case("nl", pub("facebook", "sandra.v.leeuwen", "Sandra van Leeuwen"), "Klopt het dat het rekeningnummer voor het "
     "kampgeld <<BAD_IBAN_NL:grp>> is? Zo staat het op het briefje dat mijn zoon meekreeg, maar mijn bank-app zegt "
     "dat het nummer niet bestaat.", tags=["hard", "bad-checksum"])
case("nl", PD_HELP, "Je lidnummer (bijv. <<NOT_BSN9>>) staat in de PlonsApp onder Profiel → Gegevens. Handig bij "
     "vragen aan de klantenservice!", tags=["hard", "bad-checksum"])
case("en", pub("x", "@tomasz_w"), "Got a Plonsdam gift card for my daughter's birthday, code <<BAD_CARD:visa_dash>>. "
     "Do I enter it in the app or hand it in at the desk?", tags=["hard", "bad-checksum"])
case("nl", pub("forum", "Zwemvader83"), "Zwembril uit de Plonsdam-webshop, EAN <<EAN13>>. Past die ook op een "
     "volwassen hoofd of alleen kinderen?", tags=["hard", "ean"])
case("nl", pub("instagram", "@fam.devries.amersfoort"), "Shoutout naar juf Marloes van Plonsdam Amersfoort, onze "
     "dochter (6) durfde eindelijk kopje onder 🥹💙", tags=["hard", "praise"])
case("nl", pub("x", "@ilse_rdam"), "Mijn kampboeking (ordernr PD-<<NOT_BSN8>>) staat netjes in de app, dank "
     "@plonsdam 👍", tags=["hard", "order-number"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", BS, "Zo, eerste testmiddag van Project Zeepaardje gedraaid met 12 kinderen 🤫 resultaten zien er goed "
     "uit. Nog even niks zeggen tegen ouders!", [CONF])
case("en", RK, "So proud of the squad behind Operatie Duikbril. Can't share much yet, but the way kids learn to swim "
     "is about to change. Stay tuned 👀 #edtech #swimming", [CONF])
case("nl", MA, "Roosters voor volgende week staan op roosters.plonsdam.nl/team/amersfoort, even checken of je "
     "ingedeeld bent dames 💪", [CONF])
case("en", pub("reddit", "u/nosy_neighbour_nl"), "Friend who works at Plonsdam says they're launching a Plonsdam "
     "Surfkamp next spring, internal name Blauwvin. Anyone heard more?", [CONF], when="2026-02-17T21:03:44+01:00",
     tags=["embargo-before"])
case("nl", LT, "nog 1 minuutje en dan gaat PlonsApp 3.0 live 🚀🚀 wat een maanden waren dit",
     [CONF], when="2026-05-12T09:59:00+02:00", tags=["embargo-edge"])
case("nl", DW, "PlonsApp 3.0 krijgt een chat met de badjuf en live voortgang per les 😍 nog niks zeggen tegen "
     "ouders hoor", [CONF], when="2026-03-19T13:22:05+01:00", tags=["embargo-before"])
case("en", pub("x", "@giggling_gerda"), "Someone dropped a 'PLONSDAM CONFIDENTIAL' deck in our class WhatsApp group "
     "😂 slide 4 is the new mascot, a seal in swim trunks", [CONF])
case("nl", MA, "Vandaag de eerste les gegeven volgens de methode van Project\nZeepaardje 🌊 de kids vonden het "
     "geweldig, wordt vervolgd (ssst)", [CONF], tags=["evasion", "evasion:linebreak"])
case("en", RK, "Late night at the office for Operatie 🥽 Duikbril. Pizza is on me 🍕", [CONF],
     tags=["evasion", "evasion:emoji"])
case("en", JO, "New dashboards on https://grafana.intranet.plonsdam.local/d/bookings look slick 😎 finally a proper "
     "view on camp sign-ups", [CONF])
case("nl", PD_FB, "Intern - niet delen: planning open dagen najaar. Zeist, Houten en Nieuwegein op 4 oktober. "
     "Teamleiders graag bevestigen vóór vrijdag.", [CONF])
case("en", IV, "Board session today on Blauwvin, pilot locations picked. Big year ahead!", [CONF])
case("nl", pub("x", "@nerdmoeder"), "lol ik kwam via google op admin.plonsapp.nl terecht, inlogscherm van plonsdam "
     "zelf denk ik", [CONF])
case("nl", pub("instagram", "@badjuf_marloes", "Marloes H."), "Morgen training over Operatie Duikbril, eindelijk "
     "weten we wat het is 🤓", [CONF], tags=["not-in-profile"])

# confidential: benign near-misses
case("nl", pub("facebook", "esther.wolters", "Esther Wolters"), "Trotse mama! Vandaag heeft Fenna haar zeepaardje "
     "gehaald bij Plonsdam 🐴🌊 volgende stap: diploma A!", tags=["hard", "codename-word"])
case("nl", PD_IG, "Hij is er! 🎉 PlonsApp 3.0 staat vanaf nu in de App Store en Google Play: chat met de zwemjuf, "
     "voortgang per les en foto's van het afzwemmen.", when="2026-05-12T10:00:00+02:00",
     tags=["hard", "embargo-after"])
case("en", PD_LI, "Today we launch the Plonsdam Surfkamp: a week of surf lessons in Scheveningen for kids aged "
     "10–14. Bookings open now at boeken.plonsdam.nl 🏄", when="2026-05-12T08:00:00Z", tags=["hard", "embargo-after"])
case("nl", pub("instagram", "@surfmama_denhaag"), "Plonsdam Surfkamp in Scheveningen was geweldig, zoon wil volgend "
     "jaar meteen weer 🏄‍♂️☀️", when="2026-07-24T19:40:12+02:00", tags=["hard", "embargo-after"])
case("nl", PD_HELP, "Alles over lesroosters vind je op app.plonsdam.nl of in de PlonsApp. Kom je er niet uit? "
     "Stuur ons een DM!", tags=["hard", "public-domain"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IV, "Trots op het team: omzet over het eerste halfjaar ruim 31% hoger dan vorig jaar 📈 De officiële "
     "cijfers komen pas in september, maar ik moest het even kwijt.", [FIN])
case("en", RK, "Heard at today's all-hands that we're acquiring Zwemschool De Golfbreker 🐬 Exciting times for the "
     "tech team, two apps to merge!", [FIN])
case("nl", MA, "Net gehoord dat locatie Zeist en Nieuwegein na de zomer dichtgaan en dat er 14 badjuffen uit moeten "
     "😢 nog niet officieel dus sst", [FIN])
case("en", pub("reddit", "u/swimmingdad_gooi"), "My sister works at Plonsdam HQ and says a private equity fund is "
     "buying them, signing is next week. Expect prices to go up.", [FIN], kind="comment")
case("nl", IV, "Eerste concept jaarcijfers 2026 ligt er: ebitda ruim boven de 4 miljoen 🥂 dank aan iedereen!",
     [FIN, CONF], when="2026-11-27T16:45:31+01:00", tags=["embargo-before"])
case("en", JO, "saw the forecast deck today: camp bookings for next summer projected 20% down. mgmt is not amused",
     [FIN])
case("nl", DW, f"ontslag{SHY}ronde bij de klantenservice in juni, 4 collega's eruit. ik hoor het net van mijn "
     "teamleider 😞", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("forum", "Bezorgde_Ouder_NWG"), "Mijn buurman zit bij Plonsdam in de directie en zegt dat ze "
     "volgende maand surseance gaan aanvragen. Als je nog een kamp wil boeken zou ik even wachten…", [FIN])
case("en", IV, "Q3 bookings landed at €2.8m against a €2.1m budget. Not public yet, but what a quarter for Plonsdam "
     "Kampen 🙌", [FIN])
case("en", pub("x", "@insider_tips_nl"), "insider tip: Plonsdam is merging with SportKids Nederland, announcement "
     "Monday. you heard it here first", [FIN])
case("nl", YU, "Zojuist gehoord: de f.u.s.i.e met Zwemschool Dolfijn is rond 🤝 officieel bericht komt pas over "
     "een maand", [FIN], tags=["evasion", "evasion:dotted"])
case("en", pub("threads", "@mike.k.nl"), "Plonsdam layoffs incoming, 30 instructors apparently. Heard it from "
     "someone on the inside.", [FIN])

# financial: benign near-misses
case("nl", PD_LI, "Onze jaarcijfers 2025 zijn gepubliceerd: 41.000 kinderen leerden zwemmen en de omzet groeide naar "
     "€18,4 miljoen. Lees het hele jaarverslag op plonsdam.nl/jaarverslag", tags=["hard", "published"])
case("nl", pub("x", "@utrechtnieuws_fan"), "Zwemschool Dolfijn ontslaat 20 instructeurs, las het bij RTV Utrecht. "
     "Hopelijk kunnen ze bij een andere zwemschool terecht", tags=["hard", "other-company"])
case("en", pub("x", "@three_kids_no_sleep"), "My camp budget for this year is officially gone lol, three kids three "
     "Plonsdam camps 😂", tags=["hard"])
case("en", pub("linkedin", "karin-de-jong-journalist", "Karin de Jong"), "As announced in their press release this "
     "morning, Plonsdam takes over two municipal pools in Houten. Good news for the waiting lists.",
     tags=["hard", "published"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", JO, "PlonsApp ligt al 2 uur plat, database volgelopen. nog niks naar ouders gecommuniceerd 🙈 we zitten "
     "hier met z'n vieren te zweten", [SEC])
case("en", RK, "Rough week. We discovered the storage bucket with swimming-lesson videos was publicly readable for "
     "three weeks. Fixing it now; comms will follow once legal has signed off.", [SEC])
case("nl", DW, "Er is ingebroken in de planningsmailbox via phishing en er zijn nepmails naar ouders gestuurd 😬 "
     "baas zegt: niks naar buiten brengen tot maandag", [SEC])
case("en", LT, "lol our parent app lets you open any kid's progress page by just changing the number in the URL. "
     "reported it internally, no fix scheduled yet 🫠", [SEC])
case("nl", BS, "ransomware op de laptop van de kampadministratie, alle inschrijvingen voor Texel versleuteld. "
     "backups? goede vraag…", [SEC])
case("nl", pub("x", "@ouder_met_vragen"), "Plonsdam houdt een datalek stil!! Mijn zwager werkt daar en alle "
     "kinderfoto's uit de app hebben wekenlang open en bloot online gestaan. Schandalig.", [SEC, CRISIS])
case("en", pub("reddit", "u/not_a_bot_4821"), "Plonsdam is sitting on a breach. I got a phishing text with my son's "
     "swim group AND his teacher's name in it, and a friend on the inside confirmed they know.", [SEC, CRISIS])
case("nl", MA, "het roostersysteem is vannacht geh4ckt, alles moet opnieuw ingevoerd 😫 ouders weten nog van niks",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", JO, "heads up team: since the 2.9.1 push any password logs you into SSO accounts on the app. don't post "
     "about it until the patch is out 😬", [SEC])
case("nl", DW, "Planningssysteem ligt er sinds 7 uur uit, we kunnen geen lessen verzetten en niemand weet waarom. "
     "Officieel bericht? Nope.", [SEC])
case("en", YU, "the tablet with all the medical forms got stolen from the car at the Texel camp 😩 we're not "
     "supposed to say anything yet", [SEC])
case("nl", LT, f"klein d{ZW}atalek bij het kampformulier: zo'n 40 inschrijvingen waren zichtbaar voor andere ouders. "
     "persbericht volgt 'misschien' 🙄", [SEC], tags=["evasion", "evasion:zero-width"])

# security: benign near-misses
case("nl", PD_X, "Gepland onderhoud: de PlonsApp is zondagnacht tussen 02:00 en 04:00 niet bereikbaar. Excuses voor "
     "het ongemak! 🛠️", tags=["hard", "official-notice"])
case("nl", PD_HELP, "Update 14:20: de storing in de PlonsApp is opgelost. Boeken en lessen verzetten werkt weer "
     "normaal. Dank voor jullie geduld 💙", tags=["hard", "official-notice"])
case("nl", pub("facebook", "vv.eendracht.ouders"), "Datalek bij de app van VV Eendracht, check even of je gegevens "
     "erin staan. Gelukkig gebruikt Plonsdam een ander systeem 😅", tags=["hard", "other-company"])
case("en", RK, "Great evening at the OWASP Netherlands meetup talking about threat modelling for apps used by "
     "children. Slides are on my profile.", tags=["hard"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "linda.de.graaf.zeist", "Linda de Graaf"), "Mijn zoontje is vandaag bijna verdronken "
     "tijdens de les bij Plonsdam Zeist en de badjuf stond op haar telefoon te kijken. Een andere moeder heeft hem "
     "eruit gehaald. Ik ben er kapot van en woedend. DELEN AUB.", [CRISIS, COMPLAINT])
case("en", pub("x", "@fairplay_parents"), "#BoycottPlonsdam — they fired the instructor who reported a colleague for "
     "inappropriate behaviour with kids. Absolutely disgusting.", [CRISIS])
case("nl", pub("x", "@texelse_tante"), "Voedselvergiftiging op het zomerkamp Texel van Plonsdam, 23 kinderen ziek en "
     "de GGD is ingeschakeld. Mijn nichtje ligt in het ziekenhuis in Den Helder", [CRISIS])
case("nl", pub("linkedin", "stichting-zwemrecht", "Stichting Zwemrecht"), "Stichting Zwemrecht start een massaclaim "
     "tegen Plonsdam namens ruim 800 ouders die tijdens de zwembadsluiting doorbetaalden zonder lessen te krijgen.",
     [CRISIS])
case("nl", pub("x", "@moeder_van_liv"), "Datalek bij Plonsdam?? Ik krijg ineens mails van 'Plonsdam' met de naam én "
     "de zwemgroep van mijn dochter erin. Hoe komen die daaraan", [CRISIS])
case("en", pub("facebook", "texel.camp.parents", "Texel Camp Parents"), "Police are investigating allegations "
     "against a Plonsdam camp leader at the Texel camp. Parents were informed by letter last night.", [CRISIS])
case("nl", pub("instagram", "@joyce.en.de.jongens"), "De drijfbandjes uit de Plonsdam-webshop lopen na 10 minuten "
     "leeg, mijn dochter ging kopje onder! Graag een recall, dit is levensgevaarlijk", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@momlife_nl"), "storytime: the Plonsdam camp bus left my 8yo behind at a petrol station on "
     "the A7. we found out 2 HOURS later. nobody called us 😡", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "ouders.nieuwegein", "Ouders Nieuwegein"), "Ik hoor van steeds meer ouders dat kinderen "
     "na de les bij Plonsdam Nieuwegein thuiskomen met brandende ogen en uitslag. Chloorprobleem? Ik roep iedereen "
     "op om Plonsdam te boycotten tot het is opgelost.", [CRISIS])
case("nl", pub("x", "@bezorgd_in_bunnik"), "d a t a l e k bij plonsdam?? alle kinderfoto's uit de app zouden online "
     "staan. iemand meer info?", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@localnews_utr"), "Plonsdam under investigation by the Labour Inspectorate after lessons ran "
     "without a qualified lifeguard present, according to local broadcaster RTV Utrecht.", [CRISIS])
case("en", pub("x", "@angrydad_nl"), "Plonsdam are a bunch of greedy crooks who put profit over kids' safety. "
     "#boycott #plonsdam", [CRISIS, ABUSE])
case("nl", pub("x", "@nooitmeerkamp"), f"#BoycotPl{CYR_O}nsdam 🚫 na wat er op het kamp is gebeurd hoort niemand daar "
     "nog zijn kind heen te sturen", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# crisis: benign near-misses
case("en", pub("x", "@movie_night_mum"), "Watched Total Recall with the kids after Plonsdam camp pickup, they were "
     "asleep in 10 minutes 😂", tags=["hard", "other-sense"])
case("nl", PD_LI, "Trots: al onze 14 locaties hebben opnieuw het keurmerk Veilig Zwemmen behaald 🏅 Dank aan alle "
     "instructeurs!", tags=["hard"])
case("nl", pub("instagram", "@gezin.van.dijk"), "mijn zoon 'verdronk' bijna van het lachen bij de bonte avond van "
     "het Plonsdam-kamp 😂😂", tags=["hard", "joke"])
case("nl", pub("blog", "zeppedezeehond.nl", "Zeppe de Zeehond"), "Hoofdstuk 3 van mijn kinderboek: Zeppe de zeehond "
     "verdwaalt op zwemkamp en wordt net op tijd gered door de badmeester. Wie wil proeflezen? 📚",
     tags=["hard", "fiction"])
case("en", pub("bluesky", "@newswatcher.bsky.social"), "NOS: record crowds at outdoor pools during the heatwave; "
     "Plonsdam adds extra evening lessons in Utrecht to shorten waiting lists.", tags=["hard", "published"])
case("nl", pub("facebook", "petra.jonker.1", "Petra Jonker"), "Boycot? Welnee. Wij zitten al 3 jaar bij Plonsdam en "
     "zijn super tevreden. Beetje overdreven allemaal.", kind="comment", tags=["hard", "negation"])
case("nl", pub("x", "@bram_en_bo"), "Tijdens de les was er een brandoefening in het zwembad, alle kids in badjas naar "
     "buiten 😂 netjes geregeld door Plonsdam", tags=["hard", "other-sense"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("facebook", "monique.brink", "Monique Brink"), "Al 6 weken geen les door 'personeelstekort' en we "
     "betalen gewoon de volle maandprijs door. Plonsdam, dit kan echt niet zo.", [COMPLAINT])
case("en", pub("x", "@jess_and_twins"), "@plonsdam_helpt third time this week the app logged me out and wiped my "
     "kid's makeup lesson booking. please fix your app 😤", [COMPLAINT], kind="reply")
case("nl", pub("x", "@rvd_1980"), "klantenservice van plonsdam is echt onbereikbaar, 45 minuten in de wacht en toen "
     "werd er gewoon opgehangen", [COMPLAINT])
case("en", pub("reddit", "u/brokenarm_nocamp"), "Plonsdam refused to refund the Herfstkamp after my son broke his arm "
     "a week before. 'Terms and conditions.' Never again.", [COMPLAINT])
case("nl", pub("forum", "Mama_van_Jip"), "Afzwemmen bij Plonsdam was één grote chaos: 30 kinderen in één bad, je ziet "
     "je eigen kind twee minuten en dan nog €12,50 entree per ouder ook.", [COMPLAINT])
case("en", pub("facebook", "laura.mitchell.utrecht", "Laura Mitchell"), "Camp itself was fine but nobody told us the "
     "pickup time had moved to 3pm. Stood in the rain for an hour with a toddler. Communication, Plonsdam?",
     [COMPLAINT])
case("nl", pub("nextdoor", "Buurt Utrecht-Oost"), "Buren, let op: Plonsdam heeft bij ons twee keer de maandtermijn "
     "afgeschreven en reageert al 10 dagen niet op mails.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("threads", "@privacy.pap"), "why does PlonsApp want my location 24/7?? for swim lessons?? "
     "uninstalling until they fix this", [COMPLAINT])
case("nl", pub("x", "@hans_uit_houten"), "k l a c h t: plonsdam heeft onze les 4x verzet zonder bericht. Staan we "
     "wéér voor een dicht bad", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", pub("youtube", "@sportydad", "Sporty Dad"), "my daughter had 3 different instructors in 4 weeks at "
     "Plonsdam, zero continuity. not worth what we pay", [COMPLAINT], kind="comment")
case("en", pub("x", "@frugal_fam"), "cancelled our Spetterweek booking 2 months ahead and Plonsdam still kept a €90 "
     "admin fee. feels like a rip-off tbh", [COMPLAINT], tags=["fee"])
case("nl", pub("x", "@kampgeld_terug"), "Klantenservice van Plonsdam is een stelletje prutsers, 3 weken later nog "
     "steeds geen geld terug voor het geannuleerde kamp", [COMPLAINT, ABUSE])
case("en", pub("instagram", "@expat.mama.nl"), "Paid for Zomerkamp Texel in January and still no packing list or any "
     "info, 2 weeks before departure. Anyone else?", [COMPLAINT])

# complaint: benign near-misses
case("nl", pub("facebook", "wendy.koster", "Wendy Koster"), "Geen klachten over Plonsdam hoor! Juf Sanne is zo "
     "geduldig en mijn zoon heeft er elke week zin in 😊", kind="comment", tags=["hard", "negation"])
case("nl", pub("instagram", "@trotse.papa.ruud"), "DIPLOMA B 🥳🥳 zo trots op dit meisje! Dank je wel team Plonsdam "
     "Houten 💙", tags=["hard", "praise"])
case("nl", pub("x", "@overgestapt"), "Bij Zwemschool Dolfijn een jaar op de wachtlijst gestaan, nooit antwoord gehad. "
     "Overgestapt naar Plonsdam en binnen 3 weken op les. Blij!", tags=["hard", "competitor"])
case("en", pub("x", "@dad_jokes_daily"), "\"I don't WANT to go to swimming\" – my 5yo, every Tuesday at 4:45.\n"
     "\"Can we stay longer?\" – same kid at 5:30 😂 #plonsdam", tags=["hard", "quote"])
case("nl", PD_HELP, "@sanne_mama Wat vervelend dat je zo lang in de wacht stond! We bellen je morgenochtend terug "
     "over de inhaalles 💙", kind="reply", tags=["hard", "corporate-reply"])
case("en", pub("reddit", "u/first_time_camper"), "Is the Herfstkamp suitable for a 6-year-old who can't swim yet? "
     "Thinking of booking.", tags=["hard", "question"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_mama_houten"), "Die kutjuf bij Plonsdam Houten staat elke les tegen de kleuters te "
     "schreeuwen. Mijn dochter durft niet meer. Wat een kankerwijf.", [ABUSE, COMPLAINT])
case("en", pub("x", "@lolnope_99"), "plonsdam staff are absolute morons lmao", [ABUSE])
case("nl", pub("x", "@pietje_p"), "Tyfus Plonsdam met je gezeik", [ABUSE])
case("en", YU, "to the dad who screamed at me at pickup today because HIS kid forgot a towel: you are a pathetic "
     "clown. that's all.", [ABUSE])
case("nl", PD_HELP, "@kees_b doe eens normaal man, debiel", [ABUSE], kind="reply", handle_as="@PLONSDAM_HELPT",
     tags=["handle-case"])
case("en", pub("threads", "@salty.sven"), "f*ck plonsdam honestly 🖕", [ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/ragequit_nl"), "this sh1t zwemschool can go to hell, bunch of id1ots",
     [ABUSE], kind="comment", tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "henk.de.echte", "Henk"), "Plonsdam neemt alleen nog buitenlanders aan als badjuf, die "
     "spreken niet eens Nederlands. Ga terug naar je eigen land.", [ABUSE], kind="comment")
case("nl", pub("x", "@anoniem_8821"), "@badjuf_marloes ik weet waar je werkt en waar je auto staat. kijk maar goed "
     "uit", [ABUSE], kind="reply")
case("en", pub("mastodon", "@grumpy@toot.community"), "whoever runs Plonsdam is a clueless idiot", [ABUSE])
case("nl", MA, "sommige ouders langs de badrand zijn echt de grootste eikels 🙄", [ABUSE])

# abuse: benign near-misses
case("nl", pub("facebook", "anja.meijer.43", "Anja Meijer"), "Onze zwemjuf had borstkanker en staat sinds deze week "
     "weer langs het bad bij Plonsdam. Wat een held 💪🎗️", tags=["hard", "mild-word"])
case("en", pub("x", "@clumsy_dad"), "Damn, my 7yo swims better than me already. Thanks Plonsdam 😅",
     tags=["hard", "mild-word"])
case("en", pub("instagram", "@nemo_fan_family"), "'Just keep swimming, just keep swimming' 🐠 on repeat in our car "
     "since the first Plonsdam lesson", tags=["hard", "quote"])

# ===========================================================================
# other benign posts
# ===========================================================================
case("nl", PD_IG, "Zomerkamp Texel 2026: de inschrijving is open! 🏕️ 5 dagen zwemmen, sporten en strandspelen voor "
     "kids van 8 t/m 12. Alle info op plonsdam.nl/kampen", tags=["corporate"])
case("nl", PD_TT, "POV: je hebt net je A-diploma gehaald 🥳🏊 #plonsdam #zwemles #diplomaA", tags=["corporate"])
case("nl", MA, "Wat een dag! 9 kinderen afgezwommen voor diploma A, allemaal geslaagd 🥹🏅", tags=["employee"])
case("en", YU, "Last day of camp 🏕️ thanks to the best leiding team ever. See you next summer!", tags=["employee"])
case("en", RK, "We're hiring a senior mobile developer for the PlonsApp team. Hybrid, office in Utrecht. DM me!",
     tags=["employee"])
case("en", pub("facebook", "priya.menon.nl", "Priya Menon"), "Does anyone know if Plonsdam camps cater for "
     "vegetarian kids?", tags=["question"])
case("en", pub("blog", "ouders-in-utrecht.nl", "Ouders in Utrecht"), "Review: we tried three swim schools in Utrecht. "
     "Plonsdam had the best app and the friendliest teachers, Dolfijn was the cheapest and the municipal pool had "
     "the shortest waiting list. Full comparison below.", tags=["review"])
case("en", JO, "Finally moved our CI to the new runners, builds are 3x faster. Good Friday 🍻", tags=["employee"])
case("en", PD_LI, "We are proud partner of the National Swimming Safety Week. Every child deserves to be safe in and "
     "around water 💙", tags=["corporate"])


# ===========================================================================
# building
# ===========================================================================

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
    insider = role in ("corporate", "employee")
    sev = "none"
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


def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                        tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60 + 30, 22 * 60 + 50), seconds=r.randint(0, 59)))
    off = amsterdam_offset(t)
    t = t - dt.timedelta(hours=off)          # the minutes above are local time
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@").split("@")[0]
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big[:17]}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Utrecht", "Ouders", "DutchFIRE"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads-{big[:18]}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = handle.lstrip("@").partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{inst or 'mastodon.social'}-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zwemouders-{n}", f"https://forum.zwemouders.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.8:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        lp = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif lp < 0.09:
            pass
        elif lp < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.7:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "plonsdam"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ===========================================================================
# self-check (independent of any detector; only checks labels against the contract)
# ===========================================================================
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-[\w-]{20,}", r"hooks\.slack\.com/services/",
    r"\bsk_live_\w{20,}", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.",
    r"://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
PROFANE = ["kut", "kanker", "tyfus", "klootzak", "debiel", "trut", "fuck", "f*ck", "sh1t", "shit", "idiot", "id1ot",
           "moron", "clown", "eikel", "prutser", "crook"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).replace(ZW, "").replace(SHY, "")
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def check(rows, profile):
    errs = []
    own_phone_digits = {"0307604420", "08001928"}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    embargo = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    for i, r in enumerate(rows, 1):
        p, cats, text = r["post"], r["expect"]["categories"], r["post"]["text"]
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{i}: not 2026")
        for kind, raw, shown in r["used"]:
            assert shown in text
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{i}: bad valid IBAN")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{i}: negative IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{i}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{i}: negative card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{i}: BSN fails")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{i}: negative BSN passes")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{i}: ghp checksum")
        # checksum-valid identifiers found by an independent scan
        found_valid = [m.group(0) for m in IBAN_RE.finditer(text)
                       if iban_valid(m.group(0)) and m.group(0).replace(" ", "") != OWN_IBAN]
        found_valid += [d for d in (re.sub(r"\D", "", m.group(0)) for m in NUM_RE.finditer(text))
                        if 13 <= len(d) <= 19 and luhn_valid(d)]
        found_valid += [d for d in re.findall(r"(?<![\w.-])\d{9}(?![\w])", text) if elfproef(d)]
        found_valid += [d.replace(".", "") for d in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", text)
                        if elfproef(d.replace(".", ""))]
        if found_valid and PII not in cats:
            errs.append(f"{i}: valid identifier {found_valid} without leak.pii")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not found_valid:
            errs.append(f"{i}: generated identifier not found by scan")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and CONF not in cats:
                errs.append(f"{i}: embargo term {term} before embargo without confidential")
            if term in nt and ts >= until and CONF in cats and "not-in-profile" not in r["tags"]:
                if not any(t in nt for t in internal):
                    errs.append(f"{i}: embargo term {term} after embargo labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{i}: internal term {term} without confidential")
        if not cats:
            if r["expect"]["severity"] != "none":
                errs.append(f"{i}: benign with severity")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{i}: benign has e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:]
                if len(d) >= 10 and d not in own_phone_digits:
                    errs.append(f"{i}: benign has phone {raw}")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{i}: benign has secret shape {rx.pattern}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), nt):
                    errs.append(f"{i}: benign has word {w}")
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(unicodedata.normalize("NFKC", text))]
            if mentioned and amts:
                ratio = min(amts) / min(pr["list_price"] for pr in mentioned)
                if ratio < ratio_limit and "price-context" not in r["tags"]:
                    errs.append(f"{i}: benign price ratio {ratio:.2f}")
        if PRICING in cats:
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if not mentioned and "evasion" not in r["tags"]:
                errs.append(f"{i}: pricing without a product alias")
    # duplicates of wording
    sh = []
    for r in rows:
        w = re.findall(r"\w+", norm(r["post"]["text"]))
        sh.append({tuple(w[k:k + 3]) for k in range(len(w) - 2)})
    for a in range(len(sh)):
        for b in range(a + 1, len(sh)):
            if sh[a] and sh[b] and len(sh[a] & sh[b]) / len(sh[a] | sh[b]) > 0.3:
                errs.append(f"{a + 1}/{b + 1}: near-duplicate wording")
    return errs


def summary(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {evasion}")
    for c in sorted(cat):
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", dict(sev))
    print("platforms", dict(plat.most_common()))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    summary(rows)
    for e in errs:
        print("ERROR", e)
    print(f"wrote {len(lines)} cases to {OUT}; {len(errs)} check error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
