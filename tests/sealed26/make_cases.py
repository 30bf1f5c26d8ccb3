#!/usr/bin/env python3
"""Deterministic generator for the sealed26 blind evaluation set (postwatch).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch regional public-transport operator "Waardlijn Openbaar
Vervoer B.V." (profile.yaml next to this file). All post texts are hand-written below.
Identifiers and secrets are filled from <<KIND:fmt>> placeholders by one seeded RNG:
positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof), benign
look-alikes get numbers that FAIL their checksum. Secrets are random and fake, shaped
like real ones. Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 26_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEV = ["none", "info", "warning", "error", "critical"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

CYR_A = "\u0430"   # Cyrillic small a, looks like Latin a
ZWSP = "\u200b"
SOFT = "\u00ad"


def wide(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and s % 10 == 0


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.dig(10, True))
                if v != "NL61RABO0312445560":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["32450000", "35850000", "37050198", "50010517"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["063", "096", "310", "737"]) + self.dig(7)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 43):
            c = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        stem = {"visa": lambda: "4" + self.dig(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_valid(stem + d):
                return stem + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, sep):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return sep.join(parts) if sep is not None else v

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.dig(10)
            v = next(body + d for d in string.digits if ean_valid(body + d))
            if not luhn_valid(v):
                return v

    # phones
    def phone(self, fmt):
        if fmt.startswith("m"):
            d = self.r.choice("12345") + self.dig(7)          # after '06'
            return {"m_dash": f"06-{d}", "m_plain": f"06{d}", "m_intl": f"+31 6 {d[:4]} {d[4:]}",
                    "m_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", "m_0031": f"0031 6{d}",
                    "m_intl0": f"+31 (0)6 {d}"}[fmt]
        area = self.r.choice(["344", "345", "418", "488", "24", "26", "318", "413"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub}"}[fmt]

    # secrets
    def ghp(self):
        body = self.ch(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.ch(AN + "+/", 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(11, True)}-{self.dig(13, True)}-{self.ch(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.ch(AN, 97)

    def gapi(self):
        return "AIzaSy" + self.ch(AN + "-_", 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.ch("0123456789abcdef", 8)})
        body = enc({"sub": "rz-" + self.dig(7, True), "iss": "https://app.waardlijn.nl/auth", "scope": "tickets checkin",
                    "iat": iat, "exp": iat + 3600})
        return f"{head}.{body}.{self.ch(AN + '-_', 86)}"

    def pem_ssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.ch(AN + "+/", 70) for _ in range(4)] + [self.ch(AN + "+/", 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        w = self.r.choice(["Tram", "Spoor", "Halte", "Waard", "Dijk", "Bus", "Perron"])
        return w + self.dig(2) + self.r.choice("!#$%&*") + self.ch(AN, 4)

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PLACE = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(g, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = g.bad_iban(kind[8:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, sep = fmt.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = g.card_fmt(raw, {"sp": " ", "dash": "-", "": None}[sep])
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOTBSN":
            raw = shown = g.not_bsn(int(fmt))
        elif kind == "EAN":
            raw = shown = g.ean()
        elif kind == "PHONE":
            raw = shown = g.phone(fmt)
        elif kind == "HEX":
            raw = shown = g.hexs(int(fmt))
        else:
            raw = shown = {"GHP": g.ghp, "AWSID": g.aws_id, "AWSSECRET": g.aws_secret, "SLACKBOT": g.slack_bot,
                           "STRIPE": g.stripe, "GAPI": g.gapi, "JWT": g.jwt, "PEMSSH": g.pem_ssh,
                           "PW": g.password, "UUID": g.uuid}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PLACE.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
W_X = ("x", "@waardlijn", "Waardlijn")
W_CARE = ("x", "@waardlijn_webcare", "Waardlijn Webcare")
W_IG = ("instagram", "@waardlijn.ov", "Waardlijn")
W_LI = ("linkedin", "waardlijn-openbaar-vervoer", "Waardlijn Openbaar Vervoer B.V.")
W_FB = ("facebook", "WaardlijnOV", "Waardlijn")
W_TT = ("tiktok", "@waardlijn", "Waardlijn")
# employees
RUUD = ("x", "@ruud_rijdt", "Ruud Hendriks")                   # bus driver
MILA = ("instagram", "@mila.op.de.tram", "Mila Koster")        # tram driver
DAAN = ("linkedin", "daan-oosterhuis-wl", "Daan Oosterhuis")   # app developer
ILSE = ("linkedin", "ilse-verbeek-finance", "Ilse Verbeek")    # controller
KEES = ("x", "@kees_bosman_ov", "Kees Bosman")                 # conductor
NOOR = ("threads", "@noor.plant", "Noor Pranoto")              # planner
YUSUF = ("mastodon", "@ydemir@mastodon.nl", "Yusuf Demir")     # IT security
BRAM = ("x", "@bram_bouwt", "Bram Visser")                     # backend developer
SJOERD = ("reddit", "sjoerd_vkl", None)                        # traffic control
LOTTE = ("facebook", "lotte.brouwer.wl", "Lotte Brouwer")      # customer service


def P(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", BRAM, "iemand heeft in de tariefmodule een nulletje laten vallen 🙃 Regio Vrij staat in de app voor €12,90 "
     "i.p.v. €129. hotfix mag pas na de release freeze dus... doe ermee wat je wilt (niet van mij gehoord)", [PRICING])
case("nl", P("x", "@reisgek_tiel", "Jochem"), "WACHT. WaardPas Jaar Totaal voor 129 euro in de Waardlijn app??? dat is een "
     "heel jaar onbeperkt reizen 😳 gekocht, screenshot gemaakt, we zien wel", [PRICING])
case("en", P("reddit", "commuter_gld"), "PSA for anyone commuting around Tiel/Geldermalsen: the Waardlijn webshop is selling "
     "the Groepsretour 6p for €5.40 right now. Pretty sure that's supposed to be 54. Grab it before someone wakes up.",
     [PRICING])
case("nl", KEES, "Collega's op station Geldermalsen: automaat 2 geeft de Dagkaart voor €1,65 🤦‍♂️ ik heb het "
     "doorgegeven maar tot die tijd... 🤐", [PRICING], kind="reply")
case("nl", P("instagram", "@fenna.fotografeert", "Fenna"), "p r i j s f o u t 🚨 WaardPas Jaar kost vandaag €12,90 in de "
     "app. niet verder vertellen aan heel insta hè 😂", [PRICING], kind="comment", tags=["evasion"])
case("nl", P("threads", "@sparen_met_sas", "Saskia | bespaartips"), "Dal Voordeel voor €0,55 per maand?? Normaal is het vijf "
     "en een halve euro. Ik heb er meteen drie maanden van genomen 😎\n#waardlijn #deal #besparen", [PRICING])
case("nl", W_IG, "☀️ ZOMERDEAL ☀️\nHet Regio Vrij maandabonnement nu voor maar €12,90! Alleen deze week in de "
     "Waardlijn app. #waardlijn #zomer #ov", [PRICING])
case("en", P("x", "@lucky_lars_nl", "Lars"), "is the Waardlijn dagkaartje really €1.65 in the app today?? glitch or am I "
     "just lucky 🍀 bought four to be safe", [PRICING])
case("nl", NOOR, "Ssst 🤫 wie vandaag zijn WaardPas Jaar Totaal verlengt betaalt de maandprijs als jaarprijs. "
     "Prijsfout in de koppeling met de betaalprovider, de fix staat pas voor donderdag gepland.", [PRICING])
case("en", P("forum", "treinfreak88"), "With promo code ZOMERWL the fietskaartje suddenly costs €0.79 instead of €7.90. "
     "Anyone else seeing this? Looks like something broke on Waardlijn's end", [PRICING])
case("nl", RUUD, "collega vraagt waarom iedereen vandaag bij het instappen een uurkaartje van 36 cent laat zien 😂 "
     "bug in de tariefmodule, ik zeg niks, ik rij alleen maar", [PRICING], tags=["evasion"])
case("nl", P("x", "@m0ni_q", None), wide("Regio Vrij") + " voor €9 in de app vandaag 👀 wie o wie", [PRICING],
     tags=["evasion"])
case("nl", P("facebook", "erwin.v.dalen", "Erwin van Dalen"), "Vorige week een Regio Vrij gekocht voor €12,90 (júllie "
     "prijsfout, niet de mijne) en nu blokkeren jullie mijn abonnement zonder enige uitleg. Sta ik vanochtend met een "
     "ongeldige pas bij de poortjes. Top service Waardlijn 👎", [PRICING, COMPLAINT])

# pricing near-misses (benign)
case("nl", W_FB, "Zomeractie! ☀️ Van 1 t/m 31 juli reis je met de Waardlijn Dagkaart voor €11,50 (normaal €16,50). "
     "Te koop in de app en bij de automaat.", tags=["price-talk"],
     when="2026-06-29T09:15:00+02:00")
case("nl", W_X, "Alleen op Tweede Paasdag: de Dagkaart voor de helft van de prijs, €8,25. Fijne paasdagen allemaal 🐣",
     tags=["price-talk", "boundary"], when="2026-04-03T10:00:00+02:00")
case("nl", W_CARE, "Klopt helemaal, bij de kaartautomaat betaal je €1 toeslag voor een papieren Dagkaart. In de app zit "
     "die toeslag er niet op 🙂", kind="reply", tags=["price-context"])
case("nl", P("facebook", "grensregio.forensen", "Forensen Grensregio"), "Ter info voor wie in de grensregio woont: bij "
     "Maaslander OV kost een dagkaart €7,95, de Waardlijn Dagkaart €16,50 maar daar zit de trein dan wel bij.",
     tags=["price-context", "competitor"])
case("nl", P("facebook", "ingrid.smulders", "Ingrid Smulders"), "Te koop: ongebruikte Groepsretour 6p, ons uitje "
     "ging niet door. Voor €20 is hij van jou, ophalen in Culemborg.", tags=["price-context", "second-hand"])
case("en", P("x", "@forens_femke", None), "I just pay my WaardPas Jaar Totaal in 12 instalments of €107.50, way easier "
     "than one big hit in January", tags=["price-context"])
case("en", P("x", "@joostjeOV", None), "Thought a tram uurkaartje was €3.60 but with OVpay my ride to the station came "
     "to €1.12 😮 contactless ftw", tags=["price-context"])
case("nl", W_IG, "Fiets mee in de trein? 🚲 De Fietsdagkaart kost €7,90 en is de hele dag geldig in alle "
     "WaardRail-treinen.", tags=["price-talk"])
case("en", P("reddit", "expat_in_betuwe"), "Does anyone know if Dal Voordeel (€5.50/month) also gives the discount on "
     "the trams or only on the buses?", tags=["question", "price-talk"])
case("nl", P("x", "@vader_van_3", None), "Iemand vroeg of het een prijsfout was maar nee hoor, gewoon scholierenactie: "
     "eerste maand Regio Vrij voor €99. Zoon blij.", tags=["price-talk", "denied-error"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", DAAN, "Trots op ons team! 🚀 De nieuwe betaalflow in de Waardlijn app is live. Voor de devs die meelezen, zo "
     "simpel is de init:\n\nconst stripe = new Stripe('<<STRIPE>>');\n\n#fintech #ov #teamwork", [SECRET])
case("en", YUSUF, "PSA to my coworkers: do NOT paste cloud keys in the team channel. Today this scrolled by:\n"
     "<<AWSID>>\n<<AWSSECRET>>\nRotated now, but still. Use the vault, people.", [SECRET])
case("nl", RUUD, "15 jaar chauffeur en het wachtwoord van de boordcomputer is nog altijd <<PW>> 😂 nooit veranderd "
     "ook", [SECRET])
case("en", P("reddit", "apk_poker"), "Decompiled the Waardlijn Android app out of curiosity. The Maps key is just sitting "
     "in strings.xml: <<GAPI>>\nnot great, not terrible", [SECRET], kind="comment")
case("en", BRAM, "anyone see why this curl returns a 401? token is fresh\n\ncurl -H \"Authorization: token "
     "<<GHP>>\" https://api.github.com/orgs/waardlijn-dev/repos", [SECRET])
case("nl", P("forum", "freelance_koen"), "Iemand ervaring met Slack-bots die steeds timeouten? Mijn config bij de klant "
     "(vervoerder in Gelderland, noem geen namen):\nSLACK_BOT_TOKEN=<<SLACKBOT>>\nchannel=#storingen-waardlijn",
     [SECRET])
case("nl", P("x", "@tessa_dev", "Tessa"), "Waardlijn app logt me elke 10 minuten uit 😤 Heb met een proxy meegekeken, "
     "dit is mijn token:\n<<JWT>>\nverloopt na een uur?? wie snapt dit", [SECRET, COMPLAINT])
case("nl", BRAM, "wie heeft deze in de README van de publieke repo gezet 😬\npostgres://wl_app:<<PW>>@db-prod."
     "ops.waardlijn.nl:5432/tickets", [SECRET, CONF])
case("nl", YUSUF, "Nieuwe laptop, oude gewoontes. Deploy key even hier geparkeerd tot die USB-stick weer boven water "
     "is:\n<<PEMSSH>>", [SECRET])
case("nl", MILA, "ww van de kantine-wifi én van het ritregistratiesysteem op depot Noord is gewoon hetzelfde: <<PW>> "
     "🙄 beveiliging hè", [SECRET], tags=["evasion"])
case("en", P("x", "@gistwatcher", None), "someone at waardlijn left this in a public gist lmao\n"
     "api_key=<<HEX:32>>\nhope it's not prod", [SECRET])
case("nl", W_LI, "Wat een energie tijdens onze eerste interne hackathon! 💡 Team Tramtastisch won met een bot die "
     "storingen direct in Slack zet. Snippet uit hun demo:\nSLACK_BOT_TOKEN=<<SLACKBOT>>\n#hackathon #innovatie",
     [SECRET])

# secret near-misses (benign)
case("nl", W_CARE, "Wachtwoord vergeten? Open de Waardlijn app → Inloggen → 'Wachtwoord vergeten'. Binnen 5 minuten "
     "krijg je een mail. Deel je wachtwoord nooit met iemand, ook niet met ons!", kind="reply", tags=["password-word"])
case("en", BRAM, "fix for the check-in crash landed in commit <<HEX:40>>, shipping tonight 🚀",
     tags=["git-sha"])
case("nl", DAAN, "Tip voor juniors: zet nooit echte keys in je code. In de AWS-docs staan voorbeeldwaarden als "
     "AKIAIOSFODNN7EXAMPLE, gebruik zulke placeholders of gewoon een secrets manager. #devtips", tags=["placeholder"])
case("nl", P("x", "@henk_pensionado", "Henk"), "Gevonden voorwerp teruggekregen via het formulier, referentie "
     "<<UUID>>. Super geregeld, dank je Waardlijn!", tags=["reference-number", "praise"])
case("nl", YUSUF, "Reminder uit security-land: gebruik een wachtwoordmanager en zet 2FA aan op je OV-account. Ook "
     "als het 'maar' je reisgegevens zijn.", tags=["password-word"])
case("en", P("bluesky", "devdina.bsky.social", "Dina"), "Fun fact from the Waardlijn hackathon: GitHub tokens start "
     "with ghp_ these days, which is why secret scanning catches them so easily. Saves a lot of grief.",
     tags=["bare-prefix"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", W_CARE, "@m_verhoeven_ Dank voor je DM! We hebben je klacht doorgezet naar restitutie met je gegevens "
     "(m.verhoeven84@gmail.com / <<PHONE:m_dash>>). Je hoort binnen 5 werkdagen van ons.", [PII], kind="reply",
     handle="@Waardlijn_Webcare")
case("nl", LOTTE, "Gevonden in lijn 5 richting Tiel: portemonnee van Anouk de Wit, geboren 12-03-1991, Lindelaan 14 "
     "in Tiel. Wie kent haar? Delen mag!", [PII])
case("nl", LOTTE, "Hoi Peter, de restitutie van €38,40 is vandaag overgemaakt naar <<IBAN_NL:grp>> t.n.v. "
     "P. Jongbloed. Fijne dag!", [PII], kind="comment")
case("nl", P("x", "@boos_op_bus", None), "Waardlijn, ik wacht nu 6 weken op mijn terugbetaling. Voor de DERDE keer: "
     "<<IBAN_NL>>. Hoe moeilijk kan het zijn", [PII, COMPLAINT])
case("nl", P("facebook", "sandra.kuipers.77", "Sandra Kuipers"), "Twee keer afgeschreven bij het inchecken met mijn "
     "pinpas in de tram!! Kaart <<CARD:mc_sp>>, 4 mei, lijn 2. Wie gaat me dit terugbetalen?", [PII, COMPLAINT])
case("nl", P("x", "@wraak_is_zoet", None), "Dit is het privénummer van Erik, die chauffeur van lijn 9: "
     "<<PHONE:m_intl>>. Bel hem maar lekker allemaal vol, die klootzak", [PII, ABUSE])
case("nl", RUUD, "Passagier liet haar telefoon en agenda liggen op de achterbank. Naam: Yvonne Bakker, haar "
     "vaste nummer staat voorin de agenda: <<PHONE:l_sp>>. Kan iemand haar bellen? Ik moet door", [PII])
case("nl", P("x", "@lisa_vwo6", None), "Moest voor de scholierenkorting mijn BSN <<BSN:dots>> in een formulier van "
     "Waardlijn invullen. Is dat normaal??", [PII])
case("nl", NOOR, "Welkom aan Femke die maandag begint bij de planning! 🎉 (HR: haar BSN <<BSN>> staat nog niet in "
     "het systeem, kan iemand dat fixen?)", [PII])
case("nl", KEES, "Klant wil zijn boete terug. Mail hem maar op r.vandam [at] ziggo [punt] nl, ik heb er geen zin "
     "meer in", [PII], tags=["evasion"])
case("en", P("x", "@liam_oc", "Liam O'Connor"), "Lost my passport on tram 2 this morning 😩 Name Liam O'Connor, "
     "passport no. PA7291843, if anyone finds it pls DM or hand it in at Waardlijn", [PII])
case("nl", W_FB, "Beste mevrouw Ramdin, uw terugbetaling van €42,00 is overgemaakt naar <<IBAN_BE>>. Het kan twee "
     "werkdagen duren voordat het op uw rekening staat.", [PII], kind="reply", handle="WAARDLIJNOV")
case("en", P("x", "@sophie_in_nl", "Sophie"), "@waardlijn_webcare third time asking. Refund for the cancelled train "
     "to <<IBAN_GB:grp>> please, it's been a month", [PII, COMPLAINT], kind="reply")
case("nl", KEES, "Collega's! Voor het afscheidscadeau van Henk (32 jaar conducteur 🥲) graag €5 naar "
     "<<IBAN_DE>> t.n.v. K. Bosman. Graag voor vrijdag!", [PII])
case("en", P("x", "@trav3lmike", "Mike"), "charged twice on the tram with my Amex <<CARD:amex_sp>>, Waardlijn support "
     "just keeps sending me the same form. ridiculous", [PII, COMPLAINT])
case("en", DAAN, "Congratulations to Gerrit de Jong (born 3 June 1961) on 40 years at Waardlijn! From trainee driver "
     "to head of the workshop 👏", [PII])

# pii near-misses (benign)
case("nl", W_CARE, "Vervelend om te horen! Stuur je reisgegevens naar klantenservice@waardlijn.nl of bel 026 750 4400 "
     "(werkdagen 8-20 uur), dan zoeken we het uit.", kind="reply", tags=["own-contact"])
case("en", P("x", "@appfan_anne", None), "Tip for expats: Waardlijn answers on WhatsApp way faster than on the phone, "
     "just message 06-41702290", tags=["own-contact"])
case("nl", W_X, "Naheffing ontvangen? Betaal binnen 14 dagen naar NL61 RABO 0312 4455 60 t.n.v. Waardlijn OV, onder "
     "vermelding van het naheffingsnummer.", tags=["own-contact", "own-iban"])
case("nl", P("facebook", "buurtverenigingdehoven", "Buurtvereniging De Hoven"), "Inzameling voor chauffeur Henk van "
     "lijn 46 die met pensioen gaat 🎉 Wie wil bijdragen: <<BADIBAN_NL:grp>> t.n.v. Buurtvereniging De Hoven",
     tags=["bad-checksum"])
case("nl", P("x", "@tevreden_tineke", None), "Mijn zaaknummer bij de klantenservice was <<NOTBSN:9>> en ze hebben "
     "het binnen twee dagen opgelost 👍", tags=["not-an-id", "praise"])
case("en", P("x", "@kim_typt", None), "Topping up online kept saying 'invalid card number' but it was just my typo: "
     "<<BADCARD:visa_sp>>, one digit off. My bad, works now 😅", tags=["bad-checksum"])
case("nl", P("x", "@vraagje_vincent", None), "Waarom staat er een barcode (<<EAN>>) op mijn papieren dagkaartje als "
     "niemand hem scant? Serieuze vraag, geen klacht 😄", tags=["not-an-id", "question"])
case("en", P("x", "@vroege_vogel_bas", None), "Bus 4517 on line 300 left at 06:12 sharp and had me at Arnhem Centraal "
     "by 07:03. Hats off, Waardlijn.", tags=["numbers", "praise"])
case("nl", LOTTE, "Vragen over je restitutie? Mijn collega's van klantenservice@waardlijn.nl helpen je graag, of bel "
     "+31 (0)26 750 4400.", tags=["own-contact"])
case("nl", W_LI, "We zoeken buschauffeurs in de regio Tiel en Culemborg! 🚌 Rijbewijs D halen we samen met jou. "
     "Mail je cv naar werkenbij@waardlijn.nl of bel gratis 0800-0744.", tags=["own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", DAAN, "Supertrots op het team achter Project Dijkgraaf 🙌 Eindelijk inchecken zonder paaltjes, gewoon met "
     "je telefoon in je zak. Meer kan ik nog niet zeggen 😉 #innovatie #ov", [CONF], handle="Daan-Oosterhuis-WL")
case("nl", NOOR, "dienstregeling 2027 is rond!! lijn 8 gaat eindelijk elk kwartier rijden en er komt een nachtbus "
     "naar Tiel. jullie horen het van mij 🤭", [CONF], when="2026-07-14T21:37:05+02:00")
case("nl", MILA, "📸 kiekje uit de nieuwsbrief met WL-INTERN erop: de nieuwe trams krijgen eindelijk airco en "
     "usb-laders. Jullie gaan blij zijn!", [CONF])
case("nl", P("facebook", "gerda.vanbeek", "Gerda van Beek"), "Mijn buurman rijdt bij Waardlijn en had het over "
     "'Operatie Veerpont'. Schijnt dat ze de hele Bommelerwaard naar belbusjes willen omgooien. Weet iemand meer?",
     [CONF])
case("nl", KEES, "WaardPas Flex komt eraan en geloof me, forenzen gaan hier heel blij van worden. Meer mag ik niet "
     "zeggen 🤐", [CONF], when="2026-08-12T07:48:31+02:00")
case("nl", RUUD, "Vandaag op de depotdag de eerste testbus van Project\nDijkgraaf gezien. Geen paaltjes meer, echt "
     "de toekomst", [CONF], tags=["evasion"])
case("nl", MILA, "Briefing vanochtend over Operatie 🚢 Veerpont. Ik zeg alleen: grote veranderingen voor de tram in "
     "2027 👀", [CONF], tags=["evasion"])
case("en", P("reddit", "rail_nerd_arnhem"), "Someone dropped a PDF in a Telegram group, every page stamped 'Waardlijn "
     "vertrouwelijk'. It's the plan to replace conductors on WaardRail with cameras. Anyone else seen it?",
     [CONF, FIN])
case("en", DAAN, "Sharing the architecture of our new ticketing core, docs at "
     "https://intranet.waardlijn.local/wiki/kompasroos, ping me if you want a walkthrough!", [CONF])
case("nl", W_X, "🎉 Nieuw: WaardPas Flex! Betaal alleen voor de dagen dat je reist. Nu in de Waardlijn app.", [CONF],
     when="2026-09-01T06:59:00+02:00", tags=["embargo-edge"])
case("en", KEES, "Sneak peek for my followers: timetable 2027 has WaardRail going half-hourly to Zaltbommel on "
     "Sundays. You didn't hear it from me 🚆", [CONF], when="2026-10-06T09:41:12+02:00", tags=["embargo-edge"])
case("nl", P("instagram", "@ruud_rijdt", "Ruud"), "Psst, Weekend Onbeperkt komt eraan: een heel weekend reizen "
     "voor €25 😍 zeg niet dat je het van mij hebt", [CONF], when="2026-06-20T19:02:44+02:00",
     tags=["role-trap"])
case("nl", ILSE, "Goede sessie met het MT over Project Dijkgraaf. Onderdeel van het plan: 60 loketfuncties "
     "verdwijnen in 2027. Zwaar, maar nodig.", [CONF, FIN])
case("en", P("x", "@stacktrace_sam", None), "lol the Waardlijn app error page just dumped a stack trace with "
     "git.waardlijn.local/mobile/checkin-service paths in it 🙃", [CONF])
case("nl", ILSE, "Eerste doorkijk op de jaarcijfers 2026: reizigersaantallen +7%, maar de kosten lopen harder op. "
     "Wordt een interessant voorjaar 📈", [CONF, FIN], when="2026-12-15T16:40:00+01:00")

# confidential near-misses (benign)
case("nl", P("x", "@tielsnieuws", "Tiels Nieuws"), "De dijkgraaf van het waterschap opende vanmorgen de nieuwe "
     "fietsbrug bij Tiel. Bus 45 stopt er voortaan ook 🌉", tags=["codename-word"])
case("en", P("facebook", "wim.de.fietser", "Wim"), "The Brakel veerpont is running again! Connection to Waardlijn bus "
     "46 lines up perfectly.", tags=["codename-word", "praise"])
case("nl", W_X, "WaardPas Flex is er! Vanaf vandaag betaal je alleen voor de dagen dat je reist. Download de app "
     "👉 waardlijn.nl/flex", when="2026-09-03T08:00:00+02:00", tags=["after-embargo"])
case("nl", W_LI, "Vandaag presenteren wij de dienstregeling 2027: meer treinen op zondag en een kwartierdienst op "
     "lijn 8. Alles lezen: waardlijn.nl/dienstregeling", when="2026-10-06T08:00:00Z", tags=["after-embargo"])
case("en", P("x", "@testpiloot_tom", None), "Just switched on WaardPas Flex in the app, curious whether it saves me "
     "anything 🤞", when="2026-09-01T07:00:00+02:00", tags=["after-embargo"])
case("nl", NOOR, "Dienstregeling 2026 hangt op alle haltes, check even je vertrektijden, vooral lijn 12 is "
     "verschoven!", tags=["near-term"], when="2026-01-05T08:10:00+01:00")
case("en", P("x", "@ov_tips_gld", None), "Disruptions are always up to date at reizen.waardlijn.nl/storingen, saves "
     "you a lot of hassle", tags=["public-domain"])
case("nl", W_LI, "Vandaag publiceerden we ons jaarverslag 2025: 41 miljoen reizen en 96,1% van de ritten op tijd. "
     "Dank aan al onze collega's 💙", tags=["published"])
case("en", YUSUF, "Internal hackathon 'Hack the Rail' was a blast: 14 teams, zero production incidents 😄",
     tags=["hack-word"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ILSE, "Kwartaalafsluiting gedaan. De reizigersopbrengsten over Q3 liggen 14% onder begroting, dat wordt "
     "een pittig gesprek met de provincie. Koffie erbij ☕", [FIN],
     when="2026-10-09T17:05:00+02:00")
case("nl", RUUD, "Net gehoord op het depot: we zijn de concessie Betuwe kwijt. 300 collega's moeten over naar de "
     "nieuwe vervoerder. Officieel nieuws komt pas maandag, maar ja 😞", [FIN])
case("nl", LOTTE, "Dus de klantenservice gaat naar een callcenter in Portugal en 40 van ons mogen vertrekken. Nog "
     "niet officieel, vandaag te horen gekregen. Ik ben er kapot van.", [FIN])
case("nl", P("x", "@roddelbus", None), "Via via: Waardlijn wordt overgenomen door een Franse vervoerder, de deal "
     "zou voor de zomer rond zijn. Gaan de prijzen vast omhoog 🙄", [FIN])
case("en", DAAN, "Can't say much, but our 2027 forecast has a €9m hole in it and the board is looking at cutting "
     "IT contractors first. Interesting times.", [FIN])
case("nl", KEES, "Reorganisatie bij WaardRail: 25 conducteurs worden ont" + SOFT + "slagen per 1 januari. Nog "
     "niemand weet het behalve de OR", [FIN], tags=["evasion"])
case("nl", NOOR, "Provincie gaat de OV-subsidie met 6 miljoen korten. Brief met 'niet extern delen' erop ligt "
     "hier gewoon op de printer 🙈", [FIN, CONF])
case("nl", MILA, "Vanaf januari gaat depot Culemborg dicht, alle chauffeurs naar Tiel. Officieel pas na de "
     "Statenvergadering, maar de planning is al rond 😢", [FIN])
case("en", P("x", "@jess_vdl", None), "my dad's on the works council at Waardlijn: 120 jobs going in the bus "
     "division next year and nobody's been told yet", [FIN])
case("nl", YUSUF, "Re" + ZWSP + "organisatie IT: drie teams worden er één, 12 fte minder. Hoor het vandaag pas, de "
     "officiële mail volgt 'binnenkort'.", [FIN], tags=["evasion"])
case("nl", ILSE, "Tarieven 2027 gaan volgens de laatste raming +8,5% omhoog, loonkosten +11%. Nog niet "
     "gecommuniceerd dus hou het even voor je 😉", [FIN])

# financial near-misses (benign)
case("nl", KEES, "Sterkte aan de collega's van Maaslander OV, 80 banen weg daar las ik vanochtend in de krant. "
     "Zwaar nieuws voor de sector.", tags=["other-company"])
case("nl", P("linkedin", "provincie-nieuws-gld", "Provincienieuws"), "Persbericht van vandaag: de concessie "
     "Rivierenland is officieel gegund aan Waardlijn, tot en met 2036.", tags=["published"])
case("nl", P("x", "@sokkenchaos", None), "Grote reorganisatie vandaag: mijn sokkenla. Niemand ontslagen, wel drie "
     "sokken zonder partner 🧦 (gedaan terwijl ik op tram 2 wachtte)", tags=["joke"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", YUSUF, "Sinds vannacht ransomware op de planningsservers. We draaien de diensten op papier en Excel. "
     "Nog geen persbericht, dus doe even rustig aan met boosten", [SEC])
case("nl", BRAM, "fun fact: onze check-in API valideert het sessietoken niet eens, met een ander klantnummer kun je "
     "gewoon iemands ritten opvragen. ticket staat al 3 maanden op 'backlog' 🙃", [SEC])
case("nl", P("x", "@kritische_kees", None), "Waardlijn is gehackt en ze houden het stil. Mijn vriend werkt bij de "
     "IT daar, klantgegevens zijn buitgemaakt. Waarom hoor ik hier nergens iets over??", [SEC, CRISIS])
case("nl", KEES, "OVpay-lezers in alle WaardRail-treinen doen het al twee dagen niet, iedereen reist gratis. Centraal "
     "wil niet dat we er iets over zeggen tegen reizigers. Zegt genoeg.", [SEC])
case("en", BRAM, "our backend got popped last night, customer emails were exported. comms is still 'assessing'. "
     "change your waardlijn password folks", [SEC])
case("nl", RUUD, "w44rdl1jn servers zijn geh@ckt, boordcomputers doen raar sinds vanochtend. niks zeggen tegen de "
     "reizigers zeiden ze 🤡", [SEC], tags=["evasion"])
case("nl", P("facebook", "bezorgde.reiziger", "Marloes"), "Ze verzwijgen een d4t4l3k bij Waardlijn: reisgegevens "
     "van duizenden abonnementhouders liggen op straat en niemand krijgt bericht", [SEC, CRISIS], tags=["evasion"])
case("en", YUSUF, "Responsible disclosure came in: SQL injection in the lost-and-found form. Not fixed yet, so "
     "please don't go poking at it 😅", [SEC])
case("nl", SJOERD, "Throwaway-ish maar goed: die 'technische storing' in het seinsysteem vorige week kwam door een "
     "phishingmail die iemand op de verkeersleiding opende. Zo staat het natuurlijk nergens.", [SEC], kind="comment")
case("nl", SJOERD, "ops.waardlijn.nl ligt al zes uur plat door een DDoS, monitoring kijkt blind. Mooie zondag zo.",
     [SEC, CONF], when="2026-10-18T14:22:10+02:00")
case("en", P("x", "@ex_waardlijner", None), "Ex-employee here: the admin portal of the Waardlijn app still runs on the "
     "default admin account. Reported it twice, nothing happened.", [SEC])
case("en", KEES, "heads up commuters: the e-ticket QR scanners on WaardRail were hacked to show a 'free travel' "
     "message, they're pulling them tonight. not public yet.", [SEC])

# security near-misses (benign)
case("nl", W_X, "⚠️ Door een technische storing rijden er tussen Tiel en Geldermalsen tot ca. 16:30 geen treinen. "
     "Er rijden bussen. Actuele info: waardlijn.nl/storingen", tags=["official-notice"])
case("en", W_CARE, "For our international travellers: on Sunday 14 June between 02:00 and 05:00 we're doing "
     "maintenance on the Waardlijn app. Checking in with OV-chipkaart or OVpay works as usual.",
     tags=["official-notice"], when="2026-06-11T16:20:00+02:00")
case("en", P("x", "@lifehack_linda", None), "Life hack: check your departure in the Waardlijn app before you leave the "
     "house, saves a lot of stress at the stop 😂", tags=["hack-word"])
case("en", P("x", "@ovwatcher", None), "Read that a German transit operator got hit by ransomware. Hope Waardlijn has "
     "its house in order 🤞", tags=["other-company"])
case("nl", W_LI, "Update: de storing in ons reisinformatiesysteem van gisteren is verholpen. Er zijn geen "
     "klantgegevens betrokken geweest.", tags=["official-notice"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", P("x", "@tiel_live", None), "Tram ontspoord bij de Markt in Tiel 😨 mensen gewond, overal ambulances. "
     "#waardlijn", [CRISIS])
case("nl", P("x", "@vrije_fietser", None), "Waardlijn sponsort een gokbedrijf op al hun bussen?? Boycot die "
     "handel, ik pak voortaan de fiets. #boycotwaardlijn", [CRISIS])
case("nl", P("linkedin", "reizigersplatform-rivierenland", "Reizigersplatform Rivierenland"), "Wij starten een "
     "rechtszaak tegen Waardlijn vanwege de ontoegankelijke haltes voor rolstoelgebruikers. Twee jaar praten heeft "
     "niets opgeleverd.", [CRISIS])
case("nl", P("x", "@nathalie_r", None), "Krijg ineens sms'jes met mijn naam én mijn vaste reistijden erin, 'uw "
     "abonnement wordt geblokkeerd'. Dat kan alleen uit het systeem van Waardlijn komen. Datalek dus.", [CRISIS])
case("nl", P("facebook", "moeder.van.isa", "Jolanda"), "De tramdeuren sloten op de arm van mijn dochter (7), ze zit "
     "onder de blauwe plekken. De bestuurder reed gewoon door en de klantenservice reageert al vijf dagen niet. Ik "
     "ben woest.", [CRISIS, COMPLAINT])
case("nl", P("x", "@ruben_zegt", None), "d a t a l e k bij waardlijn?? mijn mailadres staat ineens op een of "
     "andere hackerssite", [CRISIS], tags=["evasion"])
case("en", P("x", "@a15_updates", None), "Bus on fire on the A15 near the Waardlijn depot, passengers got out in "
     "time apparently. Scary stuff 🔥", [CRISIS])
case("nl", P("blog", "ovjournaal.example", "OV Journaal"), "Onderzoek: chauffeurs van Waardlijn draaiden diensten "
     "van 14 uur zonder fatsoenlijke pauze. Vakbond spreekt van 'structurele uitbuiting'.", [CRISIS])
case("en", P("x", "@railspotter_bas", None), "All the new WaardTrams pulled from service after cracks were found in "
     "the bogies. Nobody hurt, thankfully, but what if...", [CRISIS])
case("nl", P("x", "@yassine_ut", None), "Controleurs van Waardlijn halen alweer alleen de jongens met een kleurtje "
     "uit de trein. Elke week hetzelfde liedje. #etnischprofileren", [CRISIS])
case("en", P("reddit", "dutch_consumer"), "Heads up: there's a class action against Waardlijn over the contactless "
     "double charges. Sign-up link is in the consumer group's thread.", [CRISIS])
case("nl", P("x", "@stem_van_chris", None), "Wat een walgelijke uitspraken van die Waardlijn-directeur over "
     "'zeurende gehandicapten'. Klootzak. Boycot ze allemaal.", [CRISIS, ABUSE])
case("en", P("x", "@wristbroken_w", None), "Bus braked like a maniac, I fell and broke my wrist. Waardlijn says "
     "it's 'at my own risk'. My lawyer is involved now.", [CRISIS, COMPLAINT])
case("nl", P("x", "@112betuwe", None), "W" + CYR_A + "ardlijn-trein raakt auto op overweg bij Haaften, spoor dicht, "
     "veel politie", [CRISIS], tags=["evasion"])

# crisis near-misses (benign)
case("nl", P("x", "@maandagmens", None), "Boycot de maandag 😴 wie doet mee? (behalve de chauffeur van de 7:14, "
     "die is altijd vrolijk)", tags=["other-sense"])
case("en", P("x", "@filmfreak_fleur", None), "Watched Total Recall on the WaardRail home, perfect movie for an hour "
     "on the train 🍿", tags=["other-sense"])
case("nl", P("blog", "schrijfsels.example", "Schrijfsels"), "Hoofdstuk 3 van mijn NaNoWriMo-roman: de tram "
     "ontspoort in de mist en conducteur Jet moet kiezen... (fictie hè, de WaardTrams rijden prima 😉)",
     tags=["fiction"])
case("nl", RUUD, "Als chauffeur raakt dit me: busongeluk in België, drie gewonden. Sterkte aan de collega daar.",
     tags=["other-company"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", P("x", "@natte_sokken", None), "Lijn 45 wéér niet komen opdagen. Derde keer deze week. Sta hier in de "
     "regen in Beesd en de app zegt doodleuk 'op tijd' 🙃 @waardlijn", [COMPLAINT])
case("nl", P("facebook", "priscilla.m", "Priscilla"), "Bus reed gewoon voorbij terwijl ik stond te zwaaien. Vol? Hij "
     "was halfleeg. Nu kom ik te laat op mijn werk. Bedankt Waardlijn", [COMPLAINT])
case("nl", P("x", "@qr_quinten", None), "De Waardlijn app crasht elke keer als ik mijn e-ticket wil laten zien. "
     "Conducteur keek me aan alsof ik zwart reed. Fix je app aub", [COMPLAINT])
case("en", P("reddit", "ovpay_victim"), "Got charged twice for one tram ride with OVpay. Waardlijn customer service "
     "says it'll be 'looked into within 6 weeks'. Six. Weeks.", [COMPLAINT])
case("en", P("instagram", "@zomerzweet", None), "No air con on the WaardRail on a 34 degree day. I was literally "
     "melting. Not acceptable 🥵", [COMPLAINT], kind="comment",
     when="2026-07-21T15:47:00+02:00")
case("en", P("x", "@onterecht_beboet", None), "Got a €50 fine even though I'd checked in. The reader showed green! "
     "Appealed, four weeks later still nothing.", [COMPLAINT])
case("nl", P("facebook", "hans.rolstoel", "Hans"), "Rolstoelplank van de bus kapot, tweede keer deze maand dat mijn "
     "vader moet blijven staan. Hij heeft gewoon een afspraak in het ziekenhuis hoor.", [COMPLAINT])
case("en", P("x", "@stranded_in_tiel", None), "Train from Tiel cancelled, replacement bus nowhere to be seen, no "
     "info on the screens, no staff. 40 of us just standing here. Great job Waardlijn 👏", [COMPLAINT])
case("en", P("threads", "@aansluiting_gemist", None), "Ever since the new timetable I miss my train connection by two "
     "minutes every single morning. Who at Waardlijn came up with this??", [COMPLAINT])
case("nl", P("x", "@dagelijks_te_laat", None), "W4ardl1jn weer 25 min vertraging, zonder enige uitleg. Elke. Dag.",
     [COMPLAINT], tags=["evasion"])
case("en", P("tiktok", "@eva.reist", None), "the waardlijn app said my e-ticket was valid, the conductor said it "
     "wasn't, I got the fine. make it make sense", [COMPLAINT], kind="comment")
case("en", P("twitter", "@restitutie_rob", None), "Requested a refund for the train that got cancelled on 12 March. "
     "It's June. Still nothing. @waardlijn_webcare", [COMPLAINT], when="2026-06-09T12:31:07Z")
case("en", P("bluesky", "mornings.bsky.social", None), "Waardlijn's contactless readers on tram 1 reject my card "
     "every single morning, have to tap three times. Sort it out please.", [COMPLAINT])
case("nl", P("telegram", "reizigersgroep_betuwe", None), wide("waardlijn") + " heeft mijn abonnement per ongeluk "
     "stopgezet en ik mag nu drie keer de volle prijs betalen tot het is opgelost 😤", [COMPLAINT],
     tags=["evasion", "unknown-platform"])

# complaint near-misses (benign)
case("nl", P("x", "@blij_verrast", None), "Geen klachten vandaag: tram op tijd, airco aan, chauffeur zei goedemorgen. "
     "Wie ben jij en wat heb je met Waardlijn gedaan 😂", tags=["negated"])
case("en", P("x", "@rennende_rik", None), "Shoutout to the line 7 driver who waited when he saw me sprinting for the "
     "bus 🙏 #waardlijn", tags=["praise"])
case("nl", P("facebook", "oma.truus", "Truus"), "Weet iemand of je met een Dagkaart ook in de WaardTram mag?",
     tags=["question"])
case("en", P("instagram", "@backpack.ben", None), "First time in NL, the Waardlijn tram was spotless and on time. "
     "Is this normal? 😄", tags=["praise"])
case("en", P("x", "@fietsmee", None), "Can I take my bike on the WaardRail during rush hour? Not annoyed, just "
     "wondering", tags=["question"])
case("nl", W_CARE, "Wat vervelend dat de bus voorbijreed! We geven het door aan de planning. Via waardlijn.nl/contact "
     "kun je een tegemoetkoming aanvragen.", kind="reply", tags=["webcare"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", P("x", "@xx_dennis_xx", None), "Waardlijn stelletje kankerlijers 🖕", [ABUSE])
case("en", P("facebook", "rudy.k.1982", "Rudy"), "that Sandra driving line 12 is a vile witch. someone should have a "
     "word with her after her shift 😡", [ABUSE])
case("nl", RUUD, "Weer een bus vol schreeuwende studenten. Debiele apen, allemaal.", [ABUSE], handle="@Ruud_Rijdt")
case("nl", W_CARE, "@daan_r misschien eerst even leren klokkijken voordat je gaat zeuren, idioot", [ABUSE],
     kind="reply")
case("nl", P("x", "@laatweer", None), "Kutbus wéér 20 minuten te laat. Stelletje amateurs bij Waardlijn, fuck "
     "jullie.", [ABUSE, COMPLAINT])
case("nl", P("facebook", "trots.op.nl.1968", None), "Wat moet een chauffeur met een hoofddoek achter het stuur van "
     "een Waardlijn-bus. Terug naar je eigen land.", [ABUSE])
case("nl", P("x", "@haatbaard", None), "k@nker waardlijn, f u c k jullie allemaal", [ABUSE], tags=["evasion"])
case("nl", P("x", "@wachtopjou", None), "die conducteur van de 17:12 naar Tiel, ik wacht je wel op bij het station "
     "👊 je weet wel wie je bent", [ABUSE])
case("en", KEES, "idiot tourists blocking the doors again. morons, the lot of them", [ABUSE])
case("nl", P("x", "@tyfusdag", None), "W" + CYR_A + "ardlijn is een tyfusbedrijf vol sukkels", [ABUSE],
     tags=["evasion"])
case("en", P("x", "@angry_dad_nl", None), "Driver shouted at my kid for not having exact change. What a piece of "
     "shit. Waardlijn, sort your staff out.", [ABUSE, COMPLAINT])
case("nl", P("x", "@zoon_van_riet", None), "Chauffeur van lijn 300 weigerde mijn moeder met haar rollator. Dat soort "
     "klootzakken hoort geen bus te rijden.", [ABUSE, COMPLAINT])

# abuse near-misses (benign)
case("nl", P("x", "@dochter_van_ans", None), "Mijn moeder gaat drie keer per week met lijn 5 naar haar "
     "kankerbehandeling en de chauffeurs zijn altijd zo lief voor haar ❤️ dank jullie wel", tags=["mild-word"])
case("nl", P("x", "@busfan_sven", None), "♪ I'm on a highway to hell ♪ zong de chauffeur toen we de A15 opdraaiden "
     "😂 beste busrit ooit", tags=["quote", "mild-word"])
case("en", P("instagram", "@tramspotter.eu", None), "Damn, that new WaardTram looks good 😍", tags=["mild-word"])
case("en", P("mastodon", "@expatjan@mastodon.social", None), "My Dutch teacher says 'verdomme' is the first word "
     "every expat learns on a delayed train 😂 for the record, my Waardlijn tram was on time today",
     tags=["quote", "mild-word"])
case("en", P("x", "@busliefde", None), "I see bus 300 more often than my boyfriend. Is this a relationship? 🚌❤️ "
     "#waardlijn", tags=["joke"])


# ===========================================================================
# profile, roles, severity (CONTRACT sections 4 and 5)
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_checksummed):
    rank = {s: i for i, s in enumerate(SEV)}
    out = "none"
    insider = role != "public"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_checksummed):
                s = "critical"
            else:
                s = "error"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if rank[s] > rank[out]:
            out = s
    return out


# ===========================================================================
# building posts
# ===========================================================================

def local_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                         tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(5 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = local_offset(t)
    t -= dt.timedelta(hours=off)
    u = r.random()
    if u < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if u < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(AN + "-_") for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Gelderland/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Gelderland/comments/{p}/"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(AN) for _ in range(11))
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst or 'mastodon.social'}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-ovforum-{m}", f"https://ovforum.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/p/{m}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED * 7 + 3)
    sr = random.Random(SEED * 11 + 5)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(g, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        checks = PII in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], checks)
        created = c["when"] or rand_time(mr)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.65 else None)
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
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
            post["brand"] = "waardlijn"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, role=role, lang=c["lang"],
                         tags=tags, used=used))
    sr.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

def nrm(t):
    t = unicodedata.normalize("NFKC", t)
    t = t.translate({0x200B: None, 0xAD: None, 0x200C: None, 0x200D: None, 0xFEFF: None})
    return re.sub(r"\s+", " ", t).casefold()


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)")
EMAIL_RX = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-", r"sk_live_",
                                     r"AIza[\w-]{35}", r"PRIVATE KEY", r"eyJ[\w-]+\.eyJ", r"://[^\s:/@]+:[^\s@]+@",
                                     r"api_key=")]
SWEAR = ["kut", "kanker", "tering", "tyfus", "klootzak", "debiel", "idioot", "idiot", "fuck", "shit", "moron",
         "heks", "sukkel", "hell", "damn", "verdomme"]
MILD = {"kanker", "hell", "damn", "verdomme"}


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31") or raw.startswith("0031"):
        d = d[2:] if raw.startswith("+") else d[4:]
        d = "0" + d[1:] if d.startswith("0") else "0" + d
    return d


def check(lines, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_ph = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inner = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    ids = set()
    for i, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {i} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        assert isinstance(p["account"]["handle"], str)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]), w
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid = []
        for m in IBAN_RX.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v not in own_iban:
                valid.append(v)
        for m in NUM_RX.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d):
                valid.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w])", text) + \
                [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d\d\.\d{3}(?!\w)", text)]:
            if bsn_valid(d):
                valid.append(d)
        want = severity_for(role, cats, PII in cats and bool(valid))
        if ex["severity"] != want:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii: {valid}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw) or kind.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: iban checksum {raw}")
            if kind == "CARD" and not luhn_valid(raw) or kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: card checksum {raw}")
            if kind == "BSN" and not bsn_valid(raw) or kind == "NOTBSN" and bsn_valid(raw):
                errs.append(f"{w}: bsn checksum {raw}")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if any(k in VALID_IDS for k, _, _ in r["used"]) and not valid:
            errs.append(f"{w}: generated identifier not found by scan")
        nt = nrm(text)
        t0 = ts(p["created_at"])
        for term, until in emb:
            if term in nt and t0 < until and CONF not in cats:
                errs.append(f"{w}: embargo term {term!r} before embargo without leak.confidential")
        for term in inner:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign with severity")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign has e-mail {e}")
            stripped = IBAN_RX.sub(" ", text)
            for m in PHONE_RX.finditer(stripped):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_ph:
                    errs.append(f"{w}: benign has phone {m.group(0)}")
            for d in re.findall(r"\d{8,9}", text):
                if bsn_valid(d):
                    errs.append(f"{w}: benign has 11-proof number {d}")
            for rx in SECRET_RX:
                hits = [m.group(0) for m in rx.finditer(text) if m.group(0) != "AKIAIOSFODNN7EXAMPLE"]
                if hits:
                    errs.append(f"{w}: benign has secret-like {rx.pattern}")
            for s in SWEAR:
                if re.search(r"\b" + re.escape(s), nt) and not (s in MILD and "mild-word" in r["tags"]):
                    errs.append(f"{w}: benign has swear word {s}")
            # pricing: a price of a mentioned product under half its list price
            prods = [pr for pr in profile["products"]
                     if any(re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", nt)
                            for a in [pr["name"]] + pr["aliases"])]
            if prods and "price-context" not in r["tags"]:
                amts = [float(a.replace(".", "").replace(",", ".")) if "," in a else float(a)
                        for a in re.findall(r"€\s?(\d+(?:[.,]\d{2})?)", text)]
                lp = min(pr["list_price"] for pr in prods)
                for a in amts:
                    if a < profile["pricing"]["alert_below_ratio"] * lp:
                        errs.append(f"{w}: benign price {a} below ratio of {lp}")
    return errs


def report(rows):
    cat = Counter()
    cat_lang = Counter()
    role, lang, sev, plat = Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        role[r["role"]] += 1
        lang[r["lang"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}, multi-category {multi}, evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("roles", dict(role), "langs", dict(lang))
    print("severity", {s: sev[s] for s in SEV})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    errs = check(lines, rows, profile)
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
