#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed81 evaluation set.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Ventoro Bikes B.V. (fictional Dutch e-bike maker; see profile.yaml).
Texts are hand-written below (CASES). Identifiers and secrets come from
placeholders like {{IBAN_NL}} filled by one seeded RNG, so output is reproducible.
Positives get checksum-valid identifiers, benign look-alikes get ones that fail.
Severity is never typed by hand: severity_for() derives it from CONTRACT section 4.
Needs Python 3.9+ and PyYAML; python-stdnum is used for a cross-check if present.
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

SEED = 81_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}
KINDS = ["post", "reply", "repost", "comment", "message"]
KNOWN_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                   "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ZWSP, SHY = "\u200b", "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ----------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


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
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ----------------------------------------------------------------------------- generator
AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "ASNB", "KNAB", "TRIO"])
            v = iban_build("NL", bank + self.d(10))
            return v if v != "NL03RABO0312456789" else self.iban(cc)
        if cc == "BE":
            f = self.r.choice(["001", "063", "310", "734"]) + self.d(7, lead=False)
            return iban_build("BE", f"{f}{(int(f) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "37050198", "60050101", "50070010"]) + self.d(10, lead=False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 33, 45, 61):
            w = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(w):
                return w
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12, False)}[brand]()
        for x in "0123456789":
            if luhn_valid(pre + x):
                return pre + x

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if bsn_valid(s):
                return s

    def nonid(self, n):
        while True:
            s = self.d(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.d(9, False)
            for x in "0123456789":
                if ean13_valid(body + x):
                    cand = body + x
            if not luhn_valid(cand):
                return cand

    def phone(self, f):
        m = self.r.choice("1234") + self.d(7, False)          # 8 digits after the 6
        area = self.r.choice(["10", "20", "23", "30", "35", "40", "50", "70", "72", "74", "76", "88"])
        sub = self.r.choice("2345789") + self.d(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_sp": f"06 {m[:4]} {m[4:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031-6-{m}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets: random and fake, shaped like the real formats
    def ghp(self):
        body = self.c(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(AN + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.c(AN, 96)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def gapi(self):
        return "AIzaSy" + self.c(B64U, 33)

    def slack_bot(self):
        return f"xoxb-{self.d(11)}-{self.d(13)}-{self.c(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 10)}/B{self.c(up, 11)}/{self.c(AN, 24)}"

    def azure_key(self):
        return self.c(B64, 86) + "=="

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "\n" + self.c(B64, 64) + "\n" + self.c(B64, 42) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        return ".".join([enc({"alg": "RS256", "typ": "JWT"}),
                         enc({"sub": "rider_" + self.d(7), "iss": "https://api.ventoro.nl", "scope": "bike:unlock rides:read",
                              "iat": iat, "exp": iat + 86400}),
                         self.c(B64U, 86)])

    def pw(self):
        return (self.r.choice(["Fiets", "Spaak", "Trapas", "Zadel", "Velg"]) + self.d(2, False)
                + self.r.choice("!#$%&*") + self.c(AN, 6))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BADCARD"):
            brand, _, style = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NONID":
            raw = shown = g.nonid(int(f))
        elif k == "EAN":
            raw = shown = g.ean()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "HEX":
            raw = shown = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "STRIPE": g.stripe, "SENDGRID": g.sendgrid, "GAPI": g.gapi, "SLACK_BOT": g.slack_bot,
                  "SLACK_HOOK": g.slack_hook, "AZURE_KEY": g.azure_key, "PEM_EC": g.pem_ec,
                  "JWT": g.jwt, "PW": g.pw}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PLACEHOLDER.sub(sub, text), used


# ----------------------------------------------------------------------------- accounts
# corporate
V_X = ("x", "@ventoro_nl", "Ventoro")
V_SVC = ("x", "@ventoro_service", "Ventoro Service")
V_IG = ("instagram", "@ventorobikes", "Ventoro Bikes")
V_LI = ("linkedin", "ventoro-bikes", "Ventoro Bikes B.V.")
V_FB = ("facebook", "VentoroBikesNL", "Ventoro")
V_TT = ("tiktok", "@ventoro.official", "Ventoro")
# employees
LO = ("x", "@lotte_ventoro", "Lotte Visser")                         # sales, brand store Amsterdam-Oost
DM = ("linkedin", "daan-mulder-ventoro", "Daan Mulder")              # IoT / app backend engineer
BR = ("x", "@bram_sleutelt", "Bram Hoekstra")                        # service mechanic
YB = ("linkedin", "yasmina-bouzid", "Yasmina Bouzid")                # finance controller
KS = ("instagram", "@kees.fietst", "Kees Smit")                      # store manager Utrecht
RK = ("reddit", "u/rik_codes_bikes", None)                           # backend developer
EG = ("linkedin", "eva-de-graaf-ventoro", "Eva de Graaf")            # lease account manager
NH = ("bluesky", "noor-ventoro.bsky.social", "Noor Hendriks")        # app product designer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =============================================================================
# leak.pricing
# =============================================================================
case("nl", LO, "eh collega's?? de Stad S3 staat in de app-shop voor €239,- 🤯 moet toch 2399 zijn. "
     "wie heeft vanochtend de productfeed gedaan", [PRICING])
case("nl", KS, "Niet doorvertellen maar onze kassa rekent bij de Polder P5 nu 289 euro af 🙈 "
     "prijsbeheer zit tot maandag op vakantie dus tja. #winkelleven", [PRICING], kind="post")
case("en", RK, "ok who ran the price sync at 2am. Sprint S45 is live on the webshop at €499.00 (list is 4999) "
     "and our alerting slept through it lmao", [PRICING], kind="comment")
case("nl", V_FB, "☀️ ZOMERDEAL ☀️\nDe Ventoro Bakkie C2 nu voor maar €1.299! Alleen dit weekend in al onze brand stores. "
     "Op = op 🚲📦", [PRICING], tags=["corporate-mispost"])
case("en", pub("x", "@fietsfanaat_jelle"), "Vouw F1 for €199 in the Ventoro app rn??? pricing error or am i dreaming. "
     "ordered two just in case 🏃‍♂️💨", [PRICING])
case("nl", pub("reddit", "u/zuinigezeeuw"), "Prijsfout bij Ventoro? PowerPack 625 voor 74,90 in de webshop. "
     "Meteen besteld, benieuwd of ze het leveren of gaan annuleren", [PRICING], kind="post")
case("nl", pub("facebook", "Marloes Kuipers"), "p r i j s f o u t bij ventoro!! de Stad S3 staat op 999 euro, "
     "snel zijn mensen 👇👇", [PRICING], tags=["evasion"])
case("en", pub("x", "@commute_chris"), "the ventoro site glitched and showed the Polder P5 at €1.149 in my cart 👀 "
     "checkout actually went through, will report back", [PRICING])
case("nl", BR, "In de werkplaats weten we al een week dat de Sprint S45 door een fout in de prijskoppeling voor de halve "
     "prijs in de app staat. Niemand die het oppakt 🤷", [PRICING])
case("nl", pub("tiktok", "@dealjagers.nl"), "PRIJSFÖUT ALERT 🚨🚨 ventoro PowerPack 625 voor maar €129 → link in bio, "
     "gaat snel weg", [PRICING], tags=["evasion"])
case("en", EG, "Heads-up to my lease clients: the portal currently lists the Bakkie C2 at €429 instead of €4,299, "
     "a decimal slip on our side. Please hold off on orders until it's fixed 🙏", [PRICING])
case("nl", pub("forum", "pedalpower_73"), "Iemand anders ook de Polder P5 voor 1450 euro gezien in de brand store "
     "Haarlem? Verkoper zei dat het systeem het zo aangaf en dat ze hem dan ook zo moesten verkopen, dus ik ben weg met m'n "
     "nieuwe fiets haha", [PRICING], tags=["ratio-0.6"])
case("en", pub("reddit", "u/dutchcommuter88"), "wait is the Vouw F1 really €1,149 on ventoro.nl today?? that's like "
     "40%+ off, no banner, no sale tag. mistake?", [PRICING], kind="comment", tags=["ratio-0.6"])
case("nl", RK, "lol check beheer.ventoro.nl/prijzen, Stad S3 staat daar op €23,99 en de shop leest dat gewoon uit 💀",
     [PRICING, CONF], kind="comment", hint="")

# --- pricing: benign hard negatives -------------------------------------------------------
case("nl", V_X, "Black Friday bij Ventoro 🖤 25% korting op de Polder P5: nu €2.174 in plaats van €2.899. "
     "Tot en met maandag, online en in de brand stores.", tags=["sale-price"])
case("nl", pub("x", "@mirjam_fietst"), "Stad S3 via het fietsplan van m'n werk: €64 per maand all-in, incl "
     "verzekering en onderhoud. Dat ga ik doen 🙌", tags=["price-context", "lease"])
case("nl", pub("facebook", "Gerrit Blom"), "Te koop: 2e hands Vouw F1, 2 jaar oud, 3100 km, nieuwe ketting. "
     "Vraagprijs €850. Ophalen in Amersfoort.", tags=["price-context", "second-hand"])
case("nl", pub("instagram", "@bakfietsmama_iris"), "Regenhoes voor de Bakkie C2 gescoord, €89 maar de kids blijven "
     "eindelijk droog ☔️", tags=["price-context", "accessory"])
case("en", pub("reddit", "u/spreadsheet_sam"), "Blixt Commuter 2 is €1,299, the Ventoro Stad S3 is €2,399. "
     "Is the Ventoro really worth almost double? Mostly riding 15 km each way.",
     kind="post", tags=["price-context", "other-company"])
case("nl", V_SVC, "Nee hoor, geen prijsfout 🙂 De Bakkie C2 heeft deze maand €400 korting, gewoon een actie. "
     "Veel plezier ermee!", kind="reply", tags=["denied-error", "price-context"])
case("nl", pub("x", "@henkrijdt"), "Onderhoudsbeurt voor m'n Polder P5 bij Ventoro: €129 en binnen een dag klaar. Prima.",
     tags=["price-context", "fee"])
case("nl", pub("threads", "@anouk.onderweg"), "Tweede PowerPack 625 erbij gekocht voor €749. Prijzig, maar nu haal ik "
     "Groningen-Zwolle zonder laadpaal", tags=["list-price"])

# =============================================================================
# leak.secret
# =============================================================================
case("en", RK, "anyone know why the checkout webhook keeps 500ing? env below, pls don't judge\n"
     "STRIPE_SECRET_KEY={{STRIPE}}\nWEBHOOK_TIMEOUT=30", [SECRET], kind="post")
case("nl", DM, "Voor de deelnemers van de Ventoro Connect hackathon morgen: de test-broker is "
     "mqtts://fleet_dev:{{PW}}@mqtt.ventoro.nl:8883 — veel plezier! #iot #ebike", [SECRET])
case("nl", BR, "wachtwoord van de diagnose-laptop in de werkplaats is {{PW}} 🙃 hangt ook gewoon op een geel briefje "
     "aan het scherm", [SECRET])
case("en", NH, "oops, my screenshot in the design channel had my token in the terminal: {{GHP}}\nrevoked it already "
     "I think?", [SECRET], tags=["rotated"])
case("en", DM, "Maps key for the ride heatmap feature, for the interns: {{GAPI}} (still need to restrict it to our "
     "bundle id)", [SECRET])
case("nl", LO, "nieuwe kassa-login voor de zaterdaghulpen in Oost 👉 gebruiker: winkel-oost / ww: {{PW}}\n"
     "niet aan klanten laten zien he 😇", [SECRET])
case("en", pub("forum", "apk_peeker"), "Decompiled the Ventoro Connect APK out of curiosity. They ship a SendGrid key in "
     "plain text: {{SENDGRID}}\nSomeone should tell them.", [SECRET])
case("en", pub("x", "@gh_leakwatch"), "heads up @ventoro_nl, a public repo of yours has a .env with "
     "DATABASE_URL=postgres://shop_rw:{{PW}}@db-prod-2.ventoro-int.nl:5432/webshop", [SECRET, CONF])
case("en", DM, "Found this in an old gist of mine while cleaning up. Firmware signing key from the pilot, embarrassing:\n"
     "{{PEM_EC}}", [SECRET])
case("en", RK, "CI is broken again, here's the token the runner uses if someone wants to debug: {{GLPAT}}",
     [SECRET], kind="comment")
case("nl", EG, "Voor de collega's van het leaseportaal die de contract-pdf's niet kunnen openen: de storage string is "
     "DefaultEndpointsProtocol=https;AccountName=ventorolease;AccountKey={{AZURE_KEY}};EndpointSuffix=core.windows.net",
     [SECRET])
case("en", NH, "debugging why unlock fails on android. request has\nAuthorization: Bearer {{JWT}}\nand still 401s, ideas?",
     [SECRET])
case("nl", V_SVC, "@tessa_rijdt dank voor je melding, we hebben hem doorgezet naar het team: {{SLACK_HOOK}}",
     [SECRET], kind="reply", tags=["corporate-mispost"])
case("en", RK, "postmortem draft: the key below was abused to spin up GPU miners on our AWS account over the weekend. "
     "Customers haven't been told anything.\naws_access_key_id = {{AWS_ID}}\naws_secret_access_key = {{AWS_SECRET}}\n"
     "(rotated monday)", [SECRET, SEC], tags=["rotated"])

# --- secrets: benign hard negatives ----------------------------------------------------------
case("en", RK, "pro tip for new devs: never paste a sk_live_ key in a ticket, a PR or a chat. Use the vault, always. "
     "Yes I learned this the hard way.", kind="comment", tags=["bare-prefix"])
case("en", pub("x", "@ebike_hacker"), "Ventoro Connect 4.12 fixed the android crash on start, the fix is in commit "
     "{{HEX:40}} of their open-source BLE lib. Nice work", tags=["git-sha"])
case("nl", V_SVC, "Wachtwoord vergeten? Reset het in de Ventoro Connect-app via Profiel > Beveiliging. Wij vragen je "
     "nooit om je wachtwoord via DM of telefoon!", tags=["password-word"])
case("nl", DM, "Tip voor de hackathon: kopieer .env.example naar .env en vul bij STRIPE_KEY en MAPS_KEY je eigen "
     "sandbox-waarden in. Echte keys horen daar nooit in.", tags=["placeholder"])

# =============================================================================
# leak.pii
# =============================================================================
case("nl", LO, "Wie is z'n creditcard vergeten bij de kassa in Oost vanmiddag? 💳 {{CARD:mc_sp}}, "
     "kom maar ophalen, ligt in de kluis", [PII])
case("nl", EG, "Kan iemand van HR bij Gemeente Zaanstad even checken: medewerker S. de Boer, BSN {{BSN:dots}}, "
     "staat dubbel in ons leaseportaal en krijgt twee fietsen 🙃", [PII])
case("nl", KS, "Bezorging voor mevr. Ans Kooistra, Lindelaan 14 in Zeist, al twee keer niemand thuis. "
     "Iemand die haar kent? Bakfiets staat hier te wachten 📦", [PII])
case("en", BR, "Customer dropped off his Polder P5 three weeks ago and isn't picking up {{PHONE:mob_intl}}. "
     "Mark, if you read this, your bike is ready and in our way 😅", [PII])
case("nl", V_SVC, "Hoi Femke, je terugbetaling staat klaar naar {{IBAN_NL:grp}} t.n.v. F. Jansen, klopt dat "
     "rekeningnummer?", [PII], kind="reply")
case("nl", V_FB, "En de winnaar van onze Vouw F1 winactie is... Ruud Bos (geboren 12-03-1988) uit Apeldoorn! 🎉 "
     "Gefeliciteerd Ruud!", [PII])
case("en", DM, "weird bug: rider sophie.vermeulen84@gmail.com gets logged out every time she starts a ride. "
     "anyone seen this on iOS 19?", [PII])
case("nl", pub("x", "@jmeijer_ams"), "@ventoro_service bel me nou gewoon terug op {{PHONE:mob_dash}}, ik wacht al twee "
     "weken op nieuws over mijn accu", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Hatice Yilmaz"), "Fiets 5 weken geleden retour gestuurd en nog steeds geen geld. "
     "Mijn rekening is {{IBAN_NL}} t.n.v. H. Yilmaz, maak het nou gewoon over!!", [PII, COMPLAINT])
case("en", pub("x", "@angry_andy_nl"), "the manager of the Ventoro Haarlem store is Dennis K., lives at "
     "Kleverparkweg 20 in Haarlem. go pay that pathetic idiot a visit 😈", [PII, ABUSE])
case("en", pub("instagram", "@sterre.rides"), "lmaooo my bf posted my card in the group chat to pay the bike "
     "deposit: {{CARD:visa_sp}} exp 09/28 🤦‍♀️ ventoro pls dont charge me twice", [PII], kind="comment")
case("nl", pub("forum", "fietsleasevragen"), "Lease via werkgever, formulier van Ventoro Lease vraagt BSN. Ik heb "
     "{{BSN}} ingevuld maar het portaal geeft steeds 'ongeldig'. Iemand een idee?", [PII])
case("en", pub("x", "@kai_in_koeln"), "@ventoro_nl paid the Bakkie C2 deposit from {{IBAN_DE:grp}} ten days ago "
     "and it still shows unpaid in my account. hello??", [PII, COMPLAINT], kind="reply")
case("en", YB, "Note to the AP team: the refund for the customer in Antwerp (Mr. Peeters) goes to {{IBAN_BE}}, "
     "not the old account. Thanks!", [PII])
case("nl", pub("x", "@lisadekker_"), "jullie contactformulier werkt niet, mail mij dan maar op lisa.dekker [at] ziggo "
     "[punt] nl want ik wacht al 3 weken op een werkplaatsafspraak", [PII, COMPLAINT], tags=["evasion"])
case("nl", LO, "Klant heeft z'n paspoort laten liggen na de proefrit 🙈 nummer NXK4R81P2, T. Ouali. "
     "Ligt veilig achter de balie!", [PII])
case("nl", pub("x", "@oudefietsweg"), "Koper van mijn oude Ventoro reageert niet op Marktplaats, hier nogmaals mijn "
     "nummer: {{PHONE:land_sp}}. Bel even!", [PII])
case("en", KS, "Happy birthday to our loyal customer Wim de Wit, born 4 June 1951 and still doing 60 km a day on "
     "his Polder P5 🎂🚲", [PII], hint="nl")

# --- pii: benign hard negatives (own contact data, failed checksums, order numbers) ----------
case("nl", V_SVC, "Vragen over je levering? Bel ons op 085 303 44 00 (ma-za 8-20u) of mail naar "
     "klantenservice@ventoro.nl 📞", tags=["own-contact"])
case("nl", V_LI, "Werkgevers: factuur voor de leasefietsen van uw personeel? Betaal op NL03 RABO 0312 4567 89 "
     "o.v.v. uw contractnummer. Vragen: lease@ventoro.nl", tags=["own-contact"])
case("en", V_X, "Our support line is free from any Dutch number: 0800-8366. Abroad? Call +31853034400. "
     "We're here for you 🚲", tags=["own-contact"])
case("en", pub("linkedin", "margot-verhagen-journalist"), "Working on a piece about e-bike leasing via employers. "
     "Ventoro's press team (pers@ventoro.nl) was quick and helpful, more companies should be like this.",
     tags=["own-contact"])
case("nl", pub("reddit", "u/wachtopbakfiets"), "Vraagje: bestelling {{NONID:9}} staat al 10 dagen op 'in productie'. "
     "Is dat normaal bij Ventoro? Geen haast hoor, ben gewoon benieuwd hoe het werkt.", kind="post",
     tags=["order-number"])
case("nl", pub("x", "@pietervandam"), "Leaseformulier zegt 'ongeldig IBAN' bij {{BADIBAN_NL:grp}}. "
     "Zal wel een tikfout van mij zijn, morgen nog eens proberen.", tags=["bad-checksum"])
case("en", pub("reddit", "u/nederbiker"), "tried paying the deposit, form says invalid card for "
     "{{BADCARD:mc_sp}}. probably a typo on my side, will retry tomorrow", kind="comment", tags=["bad-checksum"])
case("nl", pub("linkedin", "bram-de-lange-bouw"), "Als bouwbedrijf (KvK {{NONID:8}}) hebben we voor alle uitvoerders "
     "een Ventoro Lease fiets geregeld. Goed geregeld, vlotte levering.", tags=["kvk"])
case("en", pub("youtube", "TechOnTwoWheels"), "Review: PowerPack 625, EAN {{EAN}}, weighs 3.4 kg and got me 104 km "
     "on eco. Solid battery, fair price.", kind="comment", tags=["ean"])
case("nl", pub("x", "@gestolen_utrecht"), "Mijn Stad S3 is gisteren gestolen bij station Utrecht 😢 framenummer "
     "VT24K0{{NONID:6}}, zwart met mand. De Connect-app laat nog een laatste locatie zien, graag RT",
     tags=["frame-number"])

# =============================================================================
# leak.confidential
# =============================================================================
case("nl", LO, "vandaag de hele dag training gehad over Project Tegenwind 😍 als dit straks uitkomt wil echt iedereen "
     "z'n oude fiets inruilen", [CONF])
case("en", BR, "wiki.ventoro.local down again 🙄 anyone got the torque sensor calibration steps saved somewhere?",
     [CONF])
case("nl", YB, "Klein stukje uit de roadmap-deck (Ventoro intern, maar dit mag vast 🙊): eind 2027 komt er ook een "
     "speed pedelec bakfiets.", [CONF])
case("en", pub("reddit", "u/spokesandgears"), "friend who works at ventoro let slip that 'Heron Drive' is their own "
     "mid-drive motor, built in house. no more third-party motors apparently", [CONF], kind="comment")
case("nl", pub("x", "@fietsnieuwtjes"), "Gelekte foto 📸 de PowerPack 800 komt in september, 800 Wh en zelfde "
     "formaat als de huidige accu. Zegt genoeg.", [CONF], when="2026-07-15T11:12:40+02:00")
case("en", RK, "the Project Tegen" + ZWSP + "wind backend is a mess and we launch in months. send coffee",
     [CONF], kind="comment", tags=["evasion"])
case("en", NH, "designing the onboarding for Heron 🦩 Drive today, the motor sound mode is so much fun to prototype",
     [CONF], tags=["evasion"])
case("nl", EG, "Collega's, het nieuwe leasecalculatie-sheet staat op https://sharepoint.ventoro-int.nl/sites/lease/calc "
     "— oude versie graag niet meer gebruiken!", [CONF])
case("en", DM, "PowerPack 800 launch in two minutes!!! so hyped 🔋⚡", [CONF],
     when="2026-09-10T09:58:00+02:00", tags=["embargo-edge"])
case("nl", pub("tiktok", "@e_bike_roddels"), "wat weten we over Project\nTegenwind?? vriend van mij werkt daar en "
     "zegt dat het iets met abonnementen te maken heeft 👀", [CONF], tags=["evasion"])
case("nl", V_LI, "Dealers en partners: jullie actuele voorraad en levertijden staan voortaan op beheer.ventoro.nl. "
     "Inloggen met je partnercode.", [CONF], tags=["corporate-mispost"])
case("en", LO, "customer asked me if the Bakkie C3 will have a bigger box than the C2. I couldn't say anything... "
     "but yes 😉", [CONF], when="2026-06-20T14:03:55Z")
case("nl", pub("forum", "middenmotor_mo"), "Via mijn dealer een pdf gekregen met 'VENTORO CONFIDENTIAL' in de voettekst: "
     "specs van een nieuwe middenmotor, 90 Nm. Meer mag ik er niet over zeggen zei hij", [CONF])
case("nl", BR, "Eindelijk op de testbank: " + fullwidth("Heron Drive") + " 💪 trekt als een beest", [CONF],
     tags=["evasion"])
case("en", pub("x", "@retailwatcher_nl"), "apparently '\u041eperatie Dijkgraaf' at Ventoro = closing half their brand "
     "stores and going back to dealers. source is solid", [CONF, FIN], tags=["evasion", "homoglyph"])
case("nl", pub("instagram", "@lotte_ventoro"), "Kijk wat er vandaag binnenkwam bij de winkel 😍 de eerste Bakkie C3 "
     "demo's!! Nog even geheim hoor", [CONF], when="2026-08-30T10:22:00+02:00",
     tags=["handle-trap"])

# --- confidential: benign hard negatives --------------------------------------------------------
case("nl", pub("x", "@sjoerd_pendelt"), "Wat een tegenwind vandaag op de Afsluitdijk 🌬️ gelukkig heeft de Polder P5 "
     "genoeg trapondersteuning. Project voor morgen: droge sokken.", tags=["codename-word"])
case("nl", pub("facebook", "Fietsersbond Kring West"), "De dijkgraaf van het waterschap opende vandaag het nieuwe "
     "fietspad langs de Lek. Wij reden er meteen op, een paar met een Ventoro.", tags=["codename-word"])
case("en", pub("mastodon", "@birdsandbikes@mastodon.nl"), "Saw a grey heron on my morning ride along the Amstel. "
     "The drive back was less fun, headwind all the way. #ventoro #birding", tags=["codename-word"])
case("nl", pub("x", "@bakfietspapa"), "De Bakkie C3 is er eindelijk! Vandaag proefgereden in de brand store, die "
     "grotere bak is top 👌", when="2026-09-12T16:05:00+02:00", tags=["embargo-after"])
case("nl", V_IG, "Daar is ie dan: de PowerPack 800 🔋 800 Wh, past in elk frame vanaf 2024. Nu te bestellen!",
     when="2026-09-10T10:00:00+02:00", tags=["embargo-edge", "embargo-after"])
case("en", pub("bluesky", "ebikeindustry.bsky.social"), "Ventoro published its H1 2026 results this morning: "
     "revenue +12%, lease now 40% of sales. Solid half year for the Dutch maker.",
     when="2026-08-27T09:15:00Z", tags=["embargo-after", "published-results"])
case("nl", V_LI, "Bij ons geloven we in doorgroeien: Ventoro interne opleidingen brachten Kees van monteur naar "
     "storemanager in Utrecht. Zin om ook te groeien? werkenbij@ventoro.nl", tags=["marker-lookalike", "own-contact"])
case("en", pub("x", "@appnerd_nl"), "Manage your lease, rides and service history at app.ventoro.nl/account, "
     "way better than the old portal honestly", tags=["public-domain"])

# =============================================================================
# leak.financial
# =============================================================================
case("nl", YB, "Voorlopige Q3-omzet ligt rond de €48 mln, flink onder budget. Dat wordt een pittige RvC-vergadering "
     "volgende week 😬 #finance #controlling", [FIN])
case("en", YB, "Fun times in FP&A: our internal forecast now has break-even in 2028, not 2027 as we told the bank. "
     "Coffee needed ☕", [FIN])
case("nl", KS, "Net gehoord dat de brand stores in Eindhoven en Groningen per 1 januari dichtgaan 😢 het personeel "
     "daar weet nog van niks. Rot voor ze.", [FIN])
case("en", EG, "Big news coming: we're in the final round of talks to acquire a Belgian bike-lease company. "
     "Can't name them yet but it's going to double our B2B book 🚀", [FIN])
case("en", pub("reddit", "u/supplychainsteve"), "Heard from a supplier that Ventoro is being sold to a private equity "
     "fund, deal gets signed next month. Don't expect the lease prices to stay this low.", [FIN], kind="comment")
case("en", RK, "all-hands leak from the inside: about 30% of the app team gets laid" + SHY + " off in October. "
     "they call it 'focus' 🙃", [FIN], tags=["evasion"])
case("nl", LO, "Reorganisatie op komst: straks nog maar 2 vaste verkopers per winkel, de rest flexkrachten. "
     "Zeg het niet verder pls", [FIN])
case("nl", pub("x", "@zwagervanventoro"), "Mijn zwager werkt bij Ventoro: de jaarcijfers 2026 worden dramatisch, "
     "verlies van zo'n 20 miljoen. Let maar op.", [CONF, FIN])
case("nl", YB, "H1-cijfers 2026 zijn binnen en voor het eerst EBITDA-positief 🎉 (maar sssst tot donderdag)",
     [CONF, FIN], when="2026-08-24T16:30:00+02:00")
case("en", DM, "Word in the hallway is the new funding round is basically done, at a lower valuation than last "
     "time. Expect news in Q4.", [FIN])
case("nl", pub("forum", "fietsbeurs_insider"), "o v e r n a m e van Ventoro door een Duitse fietsgigant is rond "
     "volgens mensen binnen. Aankondiging na de zomer.", [FIN], tags=["evasion"])
case("nl", BR, "werkplaats Rotterdam gaat in maart dicht. wij worden naar Delft overgeplaatst of ontslagen, "
     "nog niks officieel. fijne vrijdag allemaal", [FIN])

# --- financial: benign hard negatives --------------------------------------------------------
case("nl", pub("x", "@fietsbranche_nl"), "Faillissement bij concurrent Zoemer Bikes, 140 mensen verliezen hun baan. "
     "Triest nieuws voor de sector.", tags=["other-company"])
case("nl", V_LI, "🎉 We openen onze 12e brand store! Vanaf zaterdag vind je ons ook in Leiden, Breestraat. "
     "Kom langs voor een proefrit.", tags=["ordinary-news"])
case("nl", V_IG, "We zoeken fietsmonteurs voor onze werkplaatsen in Utrecht en Amsterdam 🔧 Opleiding krijg je van ons. "
     "Reageren via werkenbij@ventoro.nl", tags=["job-ad", "own-contact"])
case("nl", LO, "Wat een zaterdag in de brand store Oost! Zoveel proefritten gedaan dat mijn benen ervan trillen 😂🚲",
     tags=["ordinary-sales"])

# =============================================================================
# leak.security
# =============================================================================
case("en", DM, "Not public yet, but the BLE unlock in the Connect app can be replayed: anyone with a cheap sniffer near "
     "a parked bike can open the lock. Patch is ~6 weeks out.", [SEC])
case("en", RK, "so our customer db got dumped last night. legal says keep quiet until we know the scope. "
     "great start of the week", [SEC], kind="post")
case("nl", BR, "Server van de diagnosesoftware ligt er al 2 dagen uit, we kunnen geen firmware-updates doen. "
     "Naar klanten heet het 'gepland onderhoud' 😂", [SEC])
case("en", LO, "the tills in ALL brand stores got hit by ransomware this morning, we're writing receipts by hand "
     "like it's 1985 🙃 don't tell anyone", [SEC])
case("nl", NH, "Sommige gebruikers zien in de Connect-app de ritgeschiedenis van ándere gebruikers. "
     "Nog niet naar buiten gemeld, we zitten er met z'n allen bovenop.", [SEC])
case("nl", KS, "ons voorraadsysteem is geh4ckt 😳 alle reserveringen van vandaag zijn weg, hoe ga ik dit aan "
     "klanten uitleggen", [SEC], tags=["evasion"])
case("en", pub("x", "@privacyfirst_rene"), "Ventoro is HIDING a data breach. My ride history and home address "
     "showed up on a paste site last week and they say nothing. #ventoro #privacy", [SEC, CRISIS])
case("nl", pub("reddit", "u/leaserijder"), "Vriendin van me werkt bij Ventoro: er is een datalek met "
     "lease-gegevens maar ze willen het pas na de aandeelhoudersvergadering melden. Lekker dan.", [SEC, CRISIS],
     kind="post")
case("en", DM, "fyi for the team: the OTA signing server has been compromised since Tuesday, firmware pushes are "
     "paused. No customer comms yet, so please keep it in here.", [SEC])
case("nl", EG, "Het leaseportaal laat sinds vanochtend contracten van andere werkgevers zien 😬 IT zegt: niks "
     "naar buiten communiceren tot het gefixt is.", [SEC])
case("nl", BR, "in de werkplaats gaat het gerucht van een d a t a l e k bij de app, wij mogen er niks over zeggen. "
     "dus bij deze niks gezegd 🤐", [SEC], tags=["evasion"])
case("en", RK, "prod API for the app has been down since 03:00 and status page still says all green lol. "
     "management wants to 'wait and see' before posting anything", [SEC], kind="comment")

# --- security: benign hard negatives -----------------------------------------------------------
case("nl", V_SVC, "🔧 Gepland onderhoud: de Ventoro Connect-app is zondag tussen 02:00 en 04:00 niet bereikbaar. "
     "Je fiets werkt gewoon, alleen de app even niet.", tags=["official-notice"])
case("en", V_X, "We're aware that some riders can't log in to Ventoro Connect right now. Our team is on it, "
     "updates will follow here.", tags=["official-notice"])
case("nl", pub("x", "@techkees"), "Weer een datalek bij een zorgverzekeraar. Wanneer leren bedrijven het nou eens?",
     tags=["other-company"])
case("en", DM, "Gave a talk on Bluetooth security for connected bikes at the Eindhoven IoT meetup last night. "
     "Slides are on my blog, feedback welcome!", tags=["security-talk"])

# =============================================================================
# reputation.crisis
# =============================================================================
case("nl", pub("x", "@buurtapp_lelystad"), "Accu van een Ventoro in brand gevlogen in de schuur van de buren, "
     "brandweer moest uitrukken. Dit is toch niet normaal??", [CRISIS])
case("nl", pub("facebook", "Ingrid Schouten"), "Mijn PowerPack 625 begon te roken tijdens het opladen in de gang. "
     "Ventoro zegt 'stuur maar foto's'. Levensgevaarlijk, we hadden kunnen slapen!", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/lawyer_on_wheels"), "A class action is being prepared against Ventoro over the Sprint S45 "
     "brakes. If you had a crash or a near miss, DM me.", [CRISIS], kind="post")
case("en", pub("x", "@fairworkNL"), "#BoycottVentoro they let go of the store staff who tried to set up a works "
     "council. Don't buy from union busters.", [CRISIS])
case("nl", pub("threads", "@rogier.fietst"), "Voorvork van mijn Stad S3 afgebroken bij 25 km/u. Sleutelbeen gebroken. "
     "En Ventoro reageert al 10 dagen niet op mijn mails.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@dealerpraat"), "Ventoro roept blijkbaar stilletjes accu's terug, mijn dealer kreeg vanochtend een "
     "lijst met serienummers. Geen persbericht, niks.", [CRISIS])
case("en", pub("mastodon", "@privacy_ant@eupolicy.social"), "Ventoro Connect tracks your location 24/7 and shares "
     "it with insurers. That's a data breach by design. Delete the app.", [CRISIS])
case("en", pub("youtube", "BakfietsDad"), "My Bakkie C2 tipped over in a normal corner at walking pace with both kids "
     "in the box. This bike is dangerous and Ventoro just sent a template reply.", [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("x", "@moeders_zoon_77"), "V3nt0r0 = levensgevaarlijk. Motor van mijn moeder gaf uit zichzelf vol gas "
     "bij het stoplicht. Laat die troep staan mensen", [CRISIS], tags=["evasion"])
case("en", pub("linkedin", "claire-jansen-journalist"), "Investigating reports that Ventoro's Asian frame supplier "
     "relies on forced labour. Current or former employees: contact me confidentially.", [CRISIS])
case("en", pub("x", "@thomasrides"), "boycott these lying scumbags at Ventoro. they knew the batteries were faulty",
     [CRISIS, ABUSE])
case("nl", pub("tiktok", "@rechtvoorfietsers"), "Rechtszaak tegen Ventoro GEWONNEN 🙌 motor na 14 maanden kapot, "
     "zij weigerden garantie, rechter zegt: vergoeden!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@stopventoro"), "Koop niks meer bij V\u0435ntoro. Ze laten kinderen in de fabriek van hun "
     "leverancier werken. #boycot", [CRISIS], tags=["evasion", "homoglyph"])

# --- crisis: benign hard negatives ---------------------------------------------------------------
case("en", pub("x", "@happycommuter_"), "I can't recall the last time I enjoyed commuting this much. "
     "Stad S3, best purchase of the year 🚲💛", tags=["recall-other-sense"])
case("nl", pub("x", "@marleen_rijdt"), "Brand store in Haarlem is echt top, super goed geholpen bij het afstellen "
     "van mijn zadel 👌", tags=["brand-other-sense"])
case("nl", pub("x", "@treinleed"), "Boycot van de trein vanwege weer een storing? Nee hoor, ik pak gewoon m'n Ventoro 😄",
     tags=["boycott-other-sense"])
case("nl", V_FB, "Brandweer Utrecht was vandaag te gast in onze brand store voor een workshop veilig accu's laden 🔋🚒 "
     "Dank jullie wel!", tags=["brand-other-sense"])
case("nl", pub("x", "@fietsnieuws_nl"), "Zoemer Bikes roept 4.000 accu's terug na meldingen van oververhitting. "
     "Check je serienummer op hun site.", tags=["other-company", "published-news"])
case("nl", pub("facebook", "Veiligheidsregio Gooi"), "Steeds meer woningbranden door e-bike-accu's. Laad nooit 's nachts "
     "of in de gang, en gebruik alleen de originele lader.", tags=["published-news"])

# =============================================================================
# reputation.complaint
# =============================================================================
case("nl", pub("x", "@wachtendewouter"), "Week 9 van wachten op mijn Bakkie C2. Elke week een nieuwe leverdatum. "
     "@ventoro_service wat is er nou aan de hand?", [COMPLAINT])
case("nl", pub("facebook", "Jolanda Vos"), "Onderhoudsbeurt gehad en nu kraakt de fiets méér dan ervoor. "
     "€129 betaald voor dit? Nooit meer.", [COMPLAINT])
case("en", pub("x", "@rangeanxiety_"), "Range on my Polder P5 dropped from 90 km to 40 km in one winter. Warranty "
     "claim rejected as 'wear and tear'. Great stuff, Ventoro.", [COMPLAINT])
case("en", pub("linkedin", "pieter-hr-manager"), "We offer Ventoro Lease to our staff, but the onboarding portal has "
     "been broken for my team for two weeks now. Not a great look for a 'connected' brand.", [COMPLAINT])
case("nl", pub("forum", "regenrijder"), "Display van de Stad S3 valt uit zodra het regent. Derde keer terug naar de "
     "brand store, telkens 'we kunnen het niet reproduceren'.", [COMPLAINT])
case("en", pub("threads", "@nina.bikes"), "The guy at the Ventoro store was super condescending when I asked about a "
     "test ride. Apparently women only want the step-through model 🙄", [COMPLAINT])
case("nl", pub("x", "@belboos"), "Ventoro klantenservice telefonisch onbereikbaar. 45 minuten in de wacht en dan "
     "opgehangen. Top service hoor 👏", [COMPLAINT])
case("en", pub("youtube", "FoldingFrank"), "Got the Vouw F1 a month ago and the folding hinge already wobbles. "
     "Dealer says it's 'normal'. It is not normal.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@driewerf_verzet"), "Kutbedrijf. Drie keer de afspraak verzet en nu is mijn accu ineens 'niet op "
     "voorraad'. Stelletje prutsers.", [COMPLAINT, ABUSE])
case("en", pub("x", "@lockedout_lars"), "f*cking joke of a company, the app has locked me out of my own bike for a "
     "week now @ventoro_service", [COMPLAINT, ABUSE], tags=["evasion"])
case("nl", pub("x", "@acculoos"), "s l e c h t e service bij ventoro, accu al 4 weken weg voor reparatie en niemand "
     "weet waar hij is", [COMPLAINT], tags=["evasion"])
case("en", pub("bluesky", "doublecharged.bsky.social"), "Ventoro charged me twice for a PowerPack 625. Two weeks, "
     "three emails, zero replies.", [COMPLAINT])
case("en", pub("strava", "ride_with_ruben"), "Ventoro app lost 3 of my rides this week again, and the support chat "
     "closes before anyone answers.", [COMPLAINT], tags=["unknown-platform"])

# --- complaint: benign hard negatives ---------------------------------------------------------------
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten hoor, na 2 jaar Stad S3 nog steeds top. Alleen de bel kon "
     "wat harder 😄", tags=["negated-complaint"])
case("nl", pub("x", "@gerda_g"), "Dank aan Bram in de werkplaats van Ventoro, binnen een uur was mijn ketting "
     "vervangen en uitgelegd waarom 🙏", tags=["praise"])
case("nl", pub("facebook", "Sander Hofman"), "Al die verhalen over lange levertijden bij Ventoro... bij mij stond de "
     "Polder P5 binnen 3 dagen voor de deur. Snap de ophef niet.", tags=["not-a-complaint"])
case("nl", V_SVC, "Wat vervelend dat je accu nog niet terug is! Stuur ons even een DM met je ordernummer, dan zoeken "
     "we het vandaag nog uit.", kind="reply", tags=["corporate-apology"])
case("nl", pub("x", "@vraagjevanlies"), "Hoe zit het met bijtelling als je via je werkgever een Ventoro least? "
     "Iemand ervaring mee?", tags=["neutral-question"])

# =============================================================================
# reputation.abuse
# =============================================================================
case("nl", pub("x", "@nachtbraker_010"), "Die verkoper van Ventoro Amsterdam is echt een ontzettende klootzak",
     [ABUSE])
case("nl", BR, "Als je je accu de hele winter in een ijskoude schuur laat staan ben je gewoon debiel, sorry niet sorry",
     [ABUSE], kind="reply")
case("nl", V_TT, "misschien eerst leren fietsen, sukkel 😂", [ABUSE], kind="reply", tags=["corporate-mispost"])
case("nl", pub("instagram", "@echtenederlander1"), "Alleen maar buitenlanders in die Ventoro winkel. Ga lekker terug "
     "naar je eigen land", [ABUSE], kind="comment")
case("en", pub("reddit", "u/throwaway_rage_91"), "I know where the Ventoro CEO lives. He'd better watch his back "
     "when he rides home.", [ABUSE], kind="comment")
case("nl", pub("x", "@opgefokt"), "k*t ventoro, tyfus op met je reclames op elke bushalte", [ABUSE], tags=["evasion"])
case("en", LO, "some customers are actual morons. today a guy tried to charge a PowerPack 625 with his laptop charger "
     "and then yelled at ME", [ABUSE])
case("en", pub("youtube", "AdCritic"), "Whoever made this ad should be fired. Absolute garbage, you talentless hacks.",
     [ABUSE], kind="comment")
case("nl", pub("x", "@woedende_willem"), "k4nker bedrijf met je k4nker fietsen", [ABUSE], tags=["evasion"])
case("en", KS, "To the troll in my comments: nobody cares about your opinion, you sad little loser. Go cry somewhere else.",
     [ABUSE], hint="en", handle="@Kees.Fietst")

# --- abuse: benign hard negatives ------------------------------------------------------------------
case("nl", V_IG, "Ons team fietst 200 km voor KWF Kankerbestrijding 💪🎗️ Sponsor ons via de link in bio!",
     tags=["mild-word", "literal"])
case("en", pub("instagram", "@kleurrijk_fietsen"), "damn, that new sage green on the Stad S3 is gorgeous 😍",
     tags=["mild-word"])
case("nl", pub("x", "@citaatjes"), "'Hell is other people' – Sartre. Behalve als je met je Ventoro door het bos fietst "
     "en niemand tegenkomt 🌲", tags=["mild-word", "quote"])
case("nl", pub("x", "@pendelpaul"), "Mijn Ventoro is sneller bij kantoor dan de Tesla van mijn baas. Sorry baas 😂",
     tags=["joke"])
case("nl", pub("blog", "verhalenfietser.nl"), "Hoofdstuk 4: in mijn roman kapen twee schurken een bakfiets vol "
     "goudstaven en vluchten ze op een gestolen Ventoro over de dijk. Fictie, uiteraard.", tags=["fiction"])
case("nl", EG, "Werkgevers, wist je dat fietsleasen via Ventoro Lease fiscaal gunstig is voor je personeel? "
     "Meer info: lease@ventoro.nl of bel 0800-8366.", tags=["own-contact"])
case("nl", pub("x", "@lotte_ventoro_"), "haha ik heet ook Lotte en werk ook in een fietsenwinkel, maar niet bij "
     "Ventoro 😅 verwar me niet!", tags=["handle-trap"])
case("nl", BR, "Mooiste klus van de week: een Bakkie C2 omgebouwd met extra kinderzitje. Blije familie 🥰",
     tags=["ordinary-sales"], handle="@Bram_Sleutelt")


# =============================================================================
# building
# =============================================================================
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


def severity_for(role, cats, pii_validated):
    """Least severity a correct verdict has (CONTRACT section 4); highest finding wins."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated):
                s = "critical"
            else:
                s = "error"
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


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def nl_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59)))
    off = nl_offset(t)
    t -= dt.timedelta(hours=off)          # the minutes above were local time
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return "ig-" + snow, f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "ebikes", "fietsen", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return "tt-" + snow, f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64U) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return "yt-" + c, f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        return "th-" + snow, f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64U) for _ in range(11))
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = str(r.randint(113_000_000_000_000_000, 116_000_000_000_000_000))
        return "md-" + n, f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-fietsforum-{n}", f"https://fietsforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_when(mr)
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
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    tags.add("wrong-lang-hint")
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "ventoro"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 13).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =============================================================================
# checker: reads the file as an outsider would
# =============================================================================
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTBSN_RX = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
SPBSN_RX = re.compile(r"(?<![\w])\d{3} \d{3} \d{3}(?![\w])")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "slack": re.compile(r"\bxox[abprs]-[\w-]{20,}|hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}"),
}
PW_WORDS = re.compile(r"(wachtwoord|password|\bww\b|\bpw\b)", re.I)
SWEAR = ["kut", "k*t", "kanker", "k4nker", "tering", "tyfus", "klote", "klootzak", "debiel", "sukkel", "prutser",
         "fuck", "f*ck", "shit", "moron", "idiot", "clown", "scum", "loser", "stupid", "garbage", "hell", "damn", "talentless"]
MILD_OK = {"hell", "damn", "kanker"}
PRICE_TALK = ["prijsfout", "prijsföut", "pricing error", "glitch", "decimal", "fout in de prijs", "mistake",
              "price sync", "productfeed", "systeem", "prijsbeheer", "prijskoppeling"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RX.finditer(text):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if iban_valid(s[:end]):
                out.append((s[:end], True))
                break
        else:
            out.append((s, False))
    return out


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own_ibans]
    for m in NUM_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTBSN_RX.finditer(text)]
    shapes += [m.group(0).replace(" ", "") for m in SPBSN_RX.finditer(text)]
    hits += [("bsn", d) for d in shapes if bsn_valid(d)]
    return hits


def bsn8_shapes(text):
    return [d for d in re.findall(r"(?<![\w.,-])\d{8}(?![\w]|[.,-]\d)", text) if bsn_valid(d)]


def phones_in(text):
    out = []
    for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RX = re.compile(r"(?:€\s?|eur\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if "halve prijs" in t:
        amts.append(0.5 * min(p["list_price"] for p in hit))
    if not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def internal_hit(term, nt, sq):
    rx = r"(?<![\w-])" + re.escape(term) + r"(?![\w-])"
    return re.search(rx, nt) or re.search(rx, sq)


def shingles(t, n=3):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"] if phones_in(p)}
    own_phones |= {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: top-level keys")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
            continue
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if p["platform"] not in KNOWN_PLATFORMS:
            notes.append(f"{w}: platform {p['platform']!r} is unknown (treated as other)")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} but policy says {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for k, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{w}: bad IBAN in positive")
            if k.startswith("BADIBAN_") and iban_valid(raw):
                errors.append(f"{w}: negative IBAN passes")
            if k == "CARD" and not (luhn_valid(raw) and IIN.match(raw)):
                errors.append(f"{w}: card invalid")
            if k == "BADCARD" and luhn_valid(raw):
                errors.append(f"{w}: negative card passes Luhn")
            if k == "BSN" and not bsn_valid(raw):
                errors.append(f"{w}: BSN invalid")
            if k == "NONID" and (bsn_valid(raw) or luhn_valid(raw)):
                errors.append(f"{w}: non-id passes a checksum")
            if k == "EAN" and (not ean13_valid(raw) or luhn_valid(raw)):
                errors.append(f"{w}: EAN")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode())).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
            if k in VALID_ID and not ids:
                errors.append(f"{w}: valid identifier not found by independent scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        nt, sq = norm(text), squash(text)
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity {sev}")
            for v, ok in ibans_in(text):
                if ok and v not in own_ibans:
                    errors.append(f"{w}: benign has valid IBAN")
            for m in NUM_RX.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errors.append(f"{w}: benign has Luhn-valid {d}")
            if ids:
                errors.append(f"{w}: benign has identifier {ids}")
            for d in bsn8_shapes(text):
                errors.append(f"{w}: benign has 8-digit 11-proof number {d}")
            for e in MAIL_RX.findall(text):
                if e.casefold() not in own_mails:
                    errors.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phones:
                    errors.append(f"{w}: benign has phone {raw}")
            for name, rx in SECRET_RX.items():
                if rx.search(text):
                    errors.append(f"{w}: benign has secret-like {name}")
            for sw in SWEAR:
                if re.search(r"(?<!\w)" + re.escape(sw), nt):
                    ok = sw in MILD_OK and tags & {"mild-word", "quote", "literal"}
                    (notes if ok else errors).append(f"{w}: benign has word {sw!r} {sorted(tags)}")
        for term, until in embargo:
            if internal_hit(term, nt, sq):
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and CONF in cats and not any(internal_hit(t, nt, sq) for t in internal):
                    errors.append(f"{w}: embargo term {term!r} after the embargo but labelled confidential")
        for term in internal:
            if internal_hit(term, nt, sq) and CONF not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = min_ratio(text, profile["products"])
        below = ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]
        if not cats and below:
            if "price-context" in tags:
                notes.append(f"{w}: benign, amount at {ratio:.2f} of list near a product but not its price {sorted(tags)}")
            else:
                errors.append(f"{w}: benign with a product price at {ratio:.2f} of list")
        if PRICING in cats and not below and not any(x in sq for x in PRICE_TALK):
            errors.append(f"{w}: leak.pricing without a low price or error talk")
        if PRICING in cats and ratio is not None and ratio < 0.5:
            pass
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RX.values()) and not PW_WORDS.search(text):
            errors.append(f"{w}: leak.secret without a secret shape")
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.2:
                errors.append(f"lines {sh[i][0]} and {sh[j][0]}: near-duplicate wording")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            res = None
            if k.startswith("IBAN_"):
                res = s_iban.is_valid(raw)
            elif k.startswith("BADIBAN_"):
                res = not s_iban.is_valid(raw)
            elif k == "CARD":
                res = s_luhn.is_valid(raw)
            elif k in ("BADCARD", "EAN"):
                res = not s_luhn.is_valid(raw)
            elif k == "BSN":
                res = s_bsn.is_valid(raw)
            elif k == "NONID":
                res = not s_bsn.is_valid(raw.zfill(9))
            if res is not None:
                n += 1
                if not res:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers and look-alikes"


def report(parsed):
    by = {k: Counter() for k in ("cat", "lang", "role", "sev", "plat", "kind", "tag")}
    catx = Counter()
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else "?"
        by["lang"][lang] += 1
        by["role"][role] += 1
        by["sev"][sev] += 1
        by["plat"][p["platform"]] += 1
        by["kind"][p.get("kind", "(default)")] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        if r and "evasion" in r["tags"]:
            evasion += 1
        for t in (r["tags"] if r else ()):
            by["tag"][t] += 1
        for c in cats or ["(benign)"]:
            by["cat"][c] += 1
            catx[(c, lang)] += 1
            catx[(c, role)] += 1
    total = len(parsed)
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {evasion}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {by['cat'][c]:5d} {catx[(c, 'nl')]:4d} {catx[(c, 'en')]:4d} {catx[(c, 'corporate')]:5d} "
              f"{catx[(c, 'employee')]:5d} {catx[(c, 'public')]:5d}")
    for k in ("lang", "role", "sev", "plat", "kind", "tag"):
        print(f"{k}: {dict(by[k].most_common())}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note: " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
