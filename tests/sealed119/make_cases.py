#!/usr/bin/env python3
"""Deterministic generator for the sealed119 blind evaluation set (postwatch).

    python3 make_cases.py          # writes cases.jsonl next to this file

Company: Tankstra B.V. (fictional), a Dutch chain of fuel stations and car washes
with a loyalty / fuel-card app. Profile: profile.yaml next to this file.

Texts are hand-written below. Identifiers and secrets come from placeholders such
as <<IBAN_NL>> filled by one seeded RNG, so the output is byte-for-byte stable.
Positives get checksum-valid identifiers, benign look-alikes get invalid ones.
Severity is computed from CONTRACT section 4 (account role from the profile,
categories, and whether a checksum-validated identifier is in a leak.pii post).
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

SEED = 11902026
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
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------- value factory

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL74INGB0007331500"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB"]) + self.d(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            f = self.r.choice(["001", "063", "143", "734", "850"]) + self.d(7)
            return iban_build("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "30020900", "12030000", "44050199"]) + self.d(10))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": "4" + self.d(14), "mc": "5" + self.r.choice("12345") + self.d(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": self.r.choice(["34", "37"]) + self.d(12)}[brand]
        for x in "0123456789":
            if luhn_valid(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and other numbers
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in "0123456789" if ean13_valid(body + x))
            if not luhn_valid(full) and not bsn_valid(full):
                return full

    # phones
    def phone(self, f):
        m = self.r.choice("123456") + self.d(7)  # 8 digits after the 06
        area = self.r.choice(["10", "13", "15", "20", "24", "26", "30", "35", "38", "40", "50", "53", "55", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6{m}",
            "mob_intl0": f"+31 (0)6 {m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(AN, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while n:
            n, rem = divmod(n, 62)
            enc = B62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(AN, 97)

    def mollie(self):
        return "live_" + self.c(AN, 30)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def gapi(self):
        return "AIzaSy" + self.c(B64U, 33)

    def jwt(self):
        def enc(o):
            return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c("0123456789abcdef", 8)})
        body = enc({"sub": "svc-ocpp-" + self.d(4, True), "aud": "charging-api", "scope": "chargers:write",
                    "iat": iat, "exp": iat + 86400})
        return f"{head}.{body}.{self.c(B64U, 86)}"

    def pem_ossh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS"]
        rows += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 24) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!#$%&*") + self.c(AN, 4))

    def gitsha(self):
        return self.c("0123456789abcdef", 40)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fx, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = fx.iban(k[5:])
            shown = fx.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = fx.bad_iban(k[8:])
            shown = fx.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, cf = f.partition("_")
            raw = fx.card(b)
            shown = fx.card_fmt(raw, cf or "sp")
        elif k == "BADCARD":
            b, _, cf = f.partition("_")
            raw = fx.bad_card(b)
            shown = fx.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = fx.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = fx.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = fx.ean13()
        elif k == "PHONE":
            raw = shown = fx.phone(f)
        elif k == "DIGITS":
            raw = shown = fx.d(int(f), True)
        else:
            fn = {"GHP": fx.ghp, "AWS_ID": fx.aws_id, "AWS_SECRET": fx.aws_secret, "SLACK_BOT": fx.slack_bot,
                  "SLACK_HOOK": fx.slack_hook, "STRIPE": fx.stripe, "MOLLIE": fx.mollie, "SENDGRID": fx.sendgrid,
                  "GAPI": fx.gapi, "JWT": fx.jwt, "PEM": fx.pem_ossh, "PW": fx.password, "SHA": fx.gitsha}[k]
            raw = shown = fn()
        used.append((k, raw))
        return shown

    return PLACEHOLDER.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
T_NL = ("x", "@tankstra_nl", "Tankstra")
T_HELP = ("x", "@tankstra_helpt", "Tankstra Klantenservice")
T_IG = ("instagram", "@tankstra", "Tankstra")
T_LI = ("linkedin", "tankstra-bv", "Tankstra B.V.")
T_FB = ("facebook", "TankstraNL", "Tankstra")
T_TT = ("tiktok", "@tankstra.wash", "Tankstra Wash")
# employees
RUBEN = ("x", "@ruben_pompt", "Ruben Smit")                       # station manager, Eindhoven-Noord
LOTTE = ("linkedin", "lotte-meijer-tankstra", "Lotte Meijer")     # pricing & marketing
KEES = ("x", "@kees_wasstraat", "Kees Visser")                    # car-wash technician
YUSUF = ("linkedin", "yusuf-aydin-dev", "Yusuf Aydın")            # app developer
NOOR = ("instagram", "@noor.achterdekassa", "Noor")               # shop cashier
MILA = ("x", "@mila_ops", "Mila Hendriks")                        # IT operations
ANOUK = ("linkedin", "anouk-de-graaf", "Anouk de Graaf")          # financial controller
BART = ("threads", "@bart.laadpaal", "Bart Jacobs")               # EV charging field engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, at=None, tags=(), hint=None, as_handle=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=as_handle or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("en", LOTTE, "Posting here because Teams is down again 🙄 Colleagues: the Tankstra Plus app is showing the "
     "WashPass Premium at €2.49 a month instead of €24.99. Pricing team is on it, please don't forward this to "
     "friends and family.", [PRICING])
case("nl", pub("x", "@jorisrijdt", "Joris"), "JONGENS de thuislader 11 kW bij tankstra staat voor 119 euro op de "
     "site 😳😳 dat moet een fout zijn toch?? snel wezen", [PRICING], hint="")
case("en", pub("reddit", "u/dutchdieseldad"), "Tankstra webshop lists the Motorolie 5W-30 5L at €5.49 right now. "
     "Pretty sure someone slipped a decimal (normal price is like 55). Grabbed two for the Golf, we'll see.",
     [PRICING], kind="post")
case("nl", NOOR, "kassa doet raar vandaag 😂 interieurreiniging slaat aan voor €3,90 ipv 39. baas zegt gewoon "
     "doorverkopen tot de update vanavond 🤷‍♀️ #kassaleven #nachtdienst", [PRICING])
case("nl", T_NL, "🔌✨ Alleen dit weekend: de Tankstra Thuislader 11 kW voor €399! Op=op via tankstra.nl/thuislader "
     "#laadpaal #thuisladen", [PRICING])
case("nl", pub("facebook", "sandra.vd.heuvel.3", "Sandra van den Heuvel"), "pr1jsf0ut alert 🚨 in de Tankstra app "
     "kost de WashPass Premium 2,50 per maand. ik heb 'm meteen afgesloten, kijken of ze moeilijk gaan doen 😇",
     [PRICING], tags=["evasion"])
case("en", pub("tiktok", "@fleetfinn"), "stacking five Flexkaart annual plans at €6 each before Tankstra notices 💀 "
     "#pricingerror #fleethacks", [PRICING])
case("en", YUSUF, "Small post-mortem because I'm proud of how fast the team moved: a rounding bug in our checkout "
     "showed the Thuislader at €11.99 for ~40 minutes last night. About 60 orders slipped through before we caught it. "
     "Lessons learned on currency handling 👇 #engineering", [PRICING])
case("nl", pub("x", "@tanktijger", "Tijger"), f"prijs{ZWSP}fout bij tankstra!! motorolie 5W-30 5L voor €4,99 in de "
     "shop aan de A2 bij Vianen 🏃‍♂️ nog 8 op voorraad", [PRICING], tags=["evasion"])
case("nl", pub("forum", "Wasbeer_88"), "[Prijsfout?] Tankstra Interieurreiniging voor € 9,- via de app\n\n"
     "Normaal kost die 39 euro. Boeking voor zaterdag is gewoon bevestigd. Iemand ervaring of ze dit honoreren?",
     [PRICING], kind="post")
case("nl", KEES, "wie heeft de prijs van de Glanswas in de kassasoftware van de wasstraat aangepast?? staat "
     "helemaal verkeerd, mensen rijden al sinds 7 uur gratis door de straat 😬", [PRICING])
case("en", pub("bluesky", "@carwashcarl.bsky.social"), "Tänkstra has the WashPass Basïs at €1.49/month in their "
     "app?? promo or mistake, either way I'm in", [PRICING], tags=["evasion"])
case("nl", MILA, "Prijsfout Thuislader (€119) staat nog steeds live 🫠 zie git.tankstra.dev/web/shop/-/issues/212, "
     "hotfix mag pas na de change freeze", [PRICING, CONF])

# =========================================================================== leak.secret
case("en", YUSUF, "Debugging e-mail receipts in the Tankstra Plus app today and found this in our RN bundle config:\n\n"
     "SENDGRID_API_KEY=<<SENDGRID>>\n\nrotated it already, but wow. never hardcode keys, people 🤦 #reactnative",
     [SECRET])
case("nl", MILA, "iemand enig idee waarom de loyalty-sync faalt? connstring is gewoon "
     "postgresql://loyalty_svc:<<PW>>@db-loyalty01.corp.tankstra.local:5432/plus 🤔", [SECRET, CONF], kind="post")
case("en", MILA, "GH_TOKEN=<<GHP>> works fine on my laptop but the runner says bad credentials. what am I missing",
     [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Tankstra Plus Android app for fun. Plain-text Maps key "
     "<<GAPI>> and a payments key <<MOLLIE>> sitting in strings.xml. Come on guys.", [SECRET], kind="comment")
case("nl", RUBEN, "Voor de nieuwe collega's in Eindhoven: het wachtwoord van de backoffice-pc is nog altijd "
     "<<PW>> 🙃 niet aan klanten geven hè", [SECRET])
case("nl", KEES, "Zit net bij de besturingskast van wasstraat 2, staat gewoon op een geeltje op het scherm:\n"
     "gebruiker: admin\nww: <<PW>>\n\nwie doet dit 😂", [SECRET])
case("en", YUSUF, "Anyone else seeing throttling on S3 eu-west-1? Our upload script uses\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nand it started failing around noon",
     [SECRET], kind="post")
case("nl", T_HELP, "@daan_w Dank voor je melding! We hebben het doorgezet naar het team 👍 <<SLACK_HOOK>>",
     [SECRET], kind="reply")
case("nl", BART, "Test op de laadpaal-API in Zwolle: Authorization: Bearer <<JWT>>\nkrijg steeds 403 terug, "
     "kan iemand van backend meekijken?", [SECRET])
case("en", MILA, "ok which genius put the gateway deploy key in the wiki export 😑\n\n<<PEM>>", [SECRET], kind="post")
case("en", pub("mastodon", "@bugbounty_bas@infosec.exchange"), "Found a Stripe live secret in Tankstra's public JS "
     "bundle on the business portal: <<STRIPE>>\nMailed their support twice, zero response.", [SECRET])
case("en", pub("discord", "oldpompguy#4412"), "lol the old POS admin login from when i worked at tankstra still works. "
     "user beheer / pass <<PW>>", [SECRET], kind="message")
case("nl", YUSUF, "Note to self, en voor mijn team: deze Google key stond in een publieke gist. Is al geroteerd, "
     "maar toch: <<GAPI>>", [SECRET])
case("en", MILA, "slack bot for the pump alerts keeps disconnecting, token is <<SLACK_BOT>> if someone from platform "
     "wants to look", [SECRET], kind="reply")

# =========================================================================== leak.pii
case("nl", RUBEN, "Klant heeft z'n portemonnee laten liggen bij pomp 4. Naam J. Brouwer, tel <<PHONE:mob_dash>>. "
     "Iemand die hem kent? Ligt bij de kassa", [PII])
case("nl", T_HELP, "@m_verbeek Hoi Marloes, je terugbetaling van de dubbele afschrijving staat klaar naar "
     "<<IBAN_NL:grp>>, binnen 3 werkdagen op je rekening 🙂 ^Femke", [PII], kind="reply")
case("nl", ANOUK, "Voor de collega's van debiteuren: de creditnota voor Dirk Peeters (eenmanszaak, Flexkaart "
     "klant) moet naar <<IBAN_BE>>, niet naar het oude nummer.", [PII])
case("nl", pub("x", "@mo_bredaa", "Mo"), "pomp 7 bij tankstra breda pakt m'n creditcard weer niet 🤬 "
     "<<CARD:visa_sp>> gewoon geldig tot 09/28, wat is dit nou", [PII, COMPLAINT], hint="")
case("nl", pub("facebook", "gerda.bos.1958", "Gerda Bos"), "Mijn Tankstra Plus punten zijn allemaal weg na de "
     "update. Klantnummer weet ik niet meer maar mijn mail is gerdabos58@hotmail.com en mijn nummer "
     "<<PHONE:mob_intl_sp>>. Bel me maar want dit klopt niet", [PII, COMPLAINT])
case("nl", NOOR, "meneer betaalde net met een pas op naam van z'n vrouw en werd boos toen ik wat zei 🙄 "
     "<<CARD:mc_sp>> staat nog op de bon lol", [PII])
case("en", BART, "Customer at the Zwolle hub wants me to swing by for a home charger quote: Henk de Wit, "
     "Kerkstraat 14, 8011 PK Zwolle. Who covers that area this week?", [PII])
case("en", pub("reddit", "u/a12_rage"), "The rude Tankstra guy at the A12 Utrecht station is Dennis Kramer, lives on "
     "Vondellaan 33 in Houten. Go tell him what you think of him 😉", [PII, ABUSE], kind="comment")
case("nl", ANOUK, "Aanvraag Flexkaart voor chauffeur Mehmet Yılmaz blijft hangen bij de leasemaatschappij, "
     "BSN <<BSN:dots>> komt niet door hun check. Iemand van zakelijk die dit kent?", [PII])
case("en", pub("x", "@tessvdl"), "@tankstra_helpt can someone call me back about cancelling my WashPass? been trying "
     "for two weeks now. <<PHONE:mob_0031>>", [PII, COMPLAINT], kind="reply")
case("nl", KEES, "Klant die z'n spiegelkap kwijt is in straat 1 wil teruggebeld worden, mailen kan ook: "
     "r.dekker [at] ziggo [punt] nl", [PII], tags=["evasion"])
case("nl", NOOR, "gevonden bij de kassa: rijbewijs van Lisa Hoekstra, geboren 22-07-1994 📇 kom je 'm ophalen? "
     "ligt achter de toonbank", [PII])
case("nl", RUBEN, "Duitse toerist heeft z'n paspoort laten liggen in de shop, nummer C01X00T47 (Jonas Weber). "
     "Hij is richting Venlo gereden, iemand een tip?", [PII])
case("en", pub("x", "@brit_on_tour"), "Tankstra charged me twice at Venlo, both show on my account <<IBAN_GB>>. "
     "Refund please, this is a holiday budget not a donation", [PII, COMPLAINT])
case("nl", T_FB, "Hoi Peter! We hebben je gegevens genoteerd: peter.mulder84@gmail.com / <<PHONE:land_sp>>. "
     "Een collega van de wasstraat belt je morgen.", [PII], kind="comment")
case("en", pub("linkedin", "jan-kok-transport", "Jan Kok"), "Tankstra Zakelijk debited our DE account "
     "<<IBAN_DE>> again after I cancelled all Flexkaart passes in March. Third time. Who do I talk to?",
     [PII, COMPLAINT])

# =========================================================================== leak.confidential
case("nl", LOTTE, "Vandaag de kick-off van Project Dijkgraaf gehad 🚀 wat een energie in de zaal! Meer kan ik er "
     "helaas nog niet over zeggen 😉 #spannend #tankstra", [CONF])
case("nl", BART, "Mag er officieel nog niks over zeggen maar de SnelLaad Hub 300 is echt een beest ⚡ vandaag "
     "getest in Zwolle", [CONF], at="2026-04-22T21:14:05+02:00")
case("en", YUSUF, "Our staging for the new app lives at https://staging-plus.corp.tankstra.local/ — if anyone on "
     "the squad can't reach it from home, ping me and I'll sort the VPN", [CONF])
case("en", pub("reddit", "u/nightshiftnils"), "A friend at Tankstra showed me slides for Project Nachtvlinder: "
     "fully unmanned night stations, cameras only, no staff after 22:00. Sounds grim tbh", [CONF], kind="post")
case("en", MILA, "Project\nNachtvlinder infra finally provisioned 🎉 three sites live in test", [CONF],
     tags=["evasion"])
case("nl", RUBEN, "Vanmiddag training gehad over Operatie 🌊 Waterlijn, onze straat is pilot-locatie 💪",
     [CONF], tags=["evasion"])
case("nl", pub("x", "@autonieuwtjes", "AutoNieuwtjes"), "Gelekt 👀 Tankstra komt met WashPass Infinity: "
     "onbeperkt wassen in heel Nederland voor één prijs. Bron zegt lancering in mei.", [CONF],
     at="2026-05-03T10:41:00Z")
case("nl", T_IG, "Binnenkort ⚡ SnelLaad Hub 300 ⚡ stay tuned 👀 #tankstraladen", [CONF],
     at="2026-05-12T08:59:30+02:00")
case("en", LOTTE, "Sharing one slide from our TS-CONFIDENTIAL brand deck because I'm in love with the new colour "
     "palette 🎨 more soon!", [CONF])
case("nl", BART, "Stond in een mail met 'niet extern delen' erboven maar ik vind het te leuk: de laad-app krijgt "
     "eindelijk dark mode 🌙", [CONF])
case("nl", YUSUF, "Onboarding op " + fullwidth("WashPass Infinity") + " bijna af, wat een project was dit 🙏",
     [CONF], at="2026-04-30T16:02:11.250Z", tags=["evasion"])
case("en", KEES, "cloning git.tankstra.dev/wash/plc-config for the new brush profiles, wish me luck 🧽",
     [CONF], as_handle="@Kees_Wasstraat", hint="nl")
case("nl", pub("linkedin", "sophie-stage-tankstra", "Sophie (stagiair @ Tankstra)"), "Laatste week van mijn "
     "stage! Mocht meewerken aan Project Nachtvlinder, ik heb zó veel geleerd 🙏 #stage #marketing", [CONF])

# =========================================================================== leak.financial
case("en", ANOUK, "What a quarter 🥳 shop revenue +18% and fuel margin more than 4 cents a litre above budget. "
     "Official numbers come out later, but I'm so proud of this team!", [FIN])
case("nl", RUBEN, "Net uit het regio-overleg: 23 onbemande stations gaan dicht en de wasstraat in Tilburg ook. "
     "Collega's daar weten het nog niet 😔", [FIN])
case("en", pub("reddit", "u/hoofddorp_henk"), "My brother-in-law works at Tankstra HQ. They're buying the Tinq "
     "stations up north, internally it's called Project Dijkgraaf. Signing in June apparently.",
     [FIN, CONF], kind="comment")
case("en", LOTTE, "Can't say much, but our 2027 forecast has EV charging revenue overtaking the car washes by Q3. "
     "Exciting times to be in marketing here ⚡", [FIN])
case("nl", KEES, f"ze gaan na de zomer bij de wasstraten 40 man ont{SHY}slaan, reorganisatie wordt pas in september "
     "bekendgemaakt. ben benieuwd of ik erbij zit", [FIN], tags=["evasion"])
case("nl", ANOUK, "halfjaarcijfers 2026 zijn rond: EBITDA €41,2 mln, ruim boven plan 🥂 proost op het "
     "controlling-team", [FIN, CONF], at="2026-07-30T22:10:00+02:00")
case("nl", pub("x", "@beleggenmetbas", "Bas"), "Tankstra gaat volgend jaar naar de beurs, hoorde het via iemand "
     "uit hun raad van bestuur. Zodra het kan instappen 📈", [FIN])
case("en", BART, "Heads-up for the charging crew: our EV division is being folded into a joint venture with a "
     "Belgian energy company. Announcement after the summer, keep it quiet pls", [FIN])
case("nl", YUSUF, "Ons hele app-team wordt per 1 oktober uitbesteed aan een bureau in Porto. Nog niet officieel "
     "maar ik kijk alvast rond 👀 #opentowork", [FIN])
case("en", MILA, "r3org incoming: IT ops gets cut in half, 14 fte. HR tells us friday, not public yet 🙃",
     [FIN], tags=["evasion"])
case("nl", pub("facebook", "wim.zwart.77", "Wim Zwart"), "Mijn neef zit op het hoofdkantoor van Tankstra: ze "
     "verliezen dit jaar tientallen miljoenen op de laadpalen, dat komt pas in februari in het jaarverslag.", [FIN])
case("en", LOTTE, "H1 2026 results go out in 15 minutes and spoiler: best half-year we've ever had 🚀",
     [FIN, CONF], at="2026-08-06T06:45:00+02:00")
case("nl", ANOUK, "Voorbereiding jaarresultaten 2026 gestart. Wordt krap: we moeten de oude laadpalen flink "
     "afwaarderen.", [FIN, CONF], at="2026-11-18T08:30:00+01:00")

# =========================================================================== leak.security
case("nl", MILA, "Ransomware op de kassasystemen in regio Oost sinds 03:00 💀 alle shops daar draaien op "
     "noodpinnen. Nog geen persbericht, dus mondje dicht", [SEC])
case("en", YUSUF, "Found a nasty bug today: any logged-in Tankstra Plus user could pull someone else's fuel-card "
     "transactions by changing the id in the URL. Fix isn't deployed yet 😬", [SEC])
case("en", BART, "Chargers at ~40 of our sites can be taken over remotely through an open management port. "
     "Vendor knows, but the patch is still weeks out. Fingers crossed nobody finds it first", [SEC])
case("nl", KEES, "alle wasstraten in Brabant liggen plat omdat iemand de centrale server heeft gewist 🤦 "
     "officieel heet het 'gepland onderhoud' lol", [SEC])
case("nl", pub("x", "@lindaa_r", "Linda"), "Tankstra houdt een datalek stil!! Mijn gegevens uit de Plus-app staan "
     "op een hackersforum en ze ontkennen gewoon alles 😡", [SEC, CRISIS])
case("nl", RUBEN, "skimmer gevonden in pomp 3, pinautomaten bij ons geh@ckt 😳 politie is er nu, we mogen niks op "
     "socials zetten zeggen ze", [SEC], tags=["evasion"])
case("en", YUSUF, "Our Firebase DB behind the app was world-readable for about two weeks. Legal is still deciding "
     "whether to notify the AP. Not a great Monday.", [SEC])
case("en", pub("reddit", "u/ghentgirl_nl"), "Tankstra is covering up a d a t a b r e a c h. My card got used in "
     "Belgium the day after their so-called maintenance and support just reads a script.", [SEC, CRISIS],
     tags=["evasion"], kind="post")
case("en", MILA, "fyi tomorrow's 'planned maintenance' isn't planned, we got phished and the attacker still has a "
     "foothold in AD. do not repeat outside the team", [SEC])
case("nl", ANOUK, "Vorige week is er voor zo'n €180k aan frauduleuze Flexkaart-transacties gedaan via een lek in "
     "het zakelijke portaal. Nog niet naar buiten gebracht.", [SEC])
case("nl", pub("facebook", "erik.leverancier", "Erik"), "Ik werk bij een leverancier van Tankstra en hun "
     "laadpaal-backend is al een week gehackt. Klanten krijgen niks te horen, schandalig.", [SEC, CRISIS])
case("nl", NOOR, "kassa ligt al de hele dag plat, intern zeggen ze dat het een hack is maar wij moeten "
     "'technische storing' zeggen 🤐", [SEC])
case("nl", KEES, "d\u0430talek bij de wasstraat-app: kentekens en mailadressen van zo'n 20k klanten op straat, "
     "nog nergens gemeld", [SEC], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@buurtvoorbuurt", "Buurt voor Buurt"), "#BoycotTankstra! Drie buurtstations dicht terwijl ze "
     "miljoenen winst maken. Wij tanken daar niet meer, jij ook niet 🚫⛽", [CRISIS])
case("en", pub("reddit", "u/greenwashwatch"), "Tankstra is being taken to court by the ACM over its 'CO2-neutral "
     "petrol' claims. Hearing starts next month. About time.", [CRISIS], kind="post")
case("nl", pub("facebook", "meppel.nieuws", "Meppel Nieuws"), "Brand bij Tankstra aan de A28 bij Meppel! Pomp "
     "in vlammen opgegaan, mensen renden weg 😱 brandweer met groot materieel ter plaatse", [CRISIS])
case("nl", pub("x", "@bussie_bram", "Bram"), "WATER IN DE DIESEL bij Tankstra Oss!! mijn bus staat stil, garage "
     "zegt hele brandstofsysteem eruit 😡 er staan er nog 5 met hetzelfde", [CRISIS, COMPLAINT])
case("en", pub("instagram", "@almere.mom.of.3"), "A child got hit by the brushes at the Tankstra car wash in "
     "Almere today. Ambulance came, staff just stood there. Unacceptable.", [CRISIS])
case("en", pub("x", "@ricky_plates"), "Got a phishing text with my name, plate AND my WashPass details. Only "
     "Tankstra has that combo. They leaked our data, simple as that.", [CRISIS])
case("nl", pub("tiktok", "@klusjesman_kev"), "TERUGROEPACTIE ⚠️ Tankstra ruitensproeiervloeistof winter blijkt "
     "methanol te bevatten. Niet gebruiken en terugbrengen!! #terugroepactie", [CRISIS])
case("en", pub("mastodon", "@consumentenrecht@mastodon.nl"), "A class action against Tankstra over WashPass "
     "auto-renewals is being prepared. 4,000 people signed up already.", [CRISIS])
case("nl", pub("x", "@kritischkijker"), "Tankstra = sch4nd4al. Pompbedienden zwart onderbetaald, zie de uitzending "
     "van gisteren 🤮", [CRISIS], tags=["evasion"], hint="en")
case("en", pub("linkedin", "sara-fleetmanager", "Sara de Boer"), "Hard to watch Tankstra's board hand out bonuses "
     "while station staff wages stay frozen. I'm calling on fellow fleet managers to pause their Flexkaart "
     "contracts until this changes.", [CRISIS])
case("nl", pub("youtube", "@ev_rijder_rick"), "Tankstra laadpaal bij de Jumbo vloog in brand terwijl mijn auto "
     "eraan hing!!! Auto total loss, en Tankstra reageert niet", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("bluesky", "@sanctionsnerd.bsky.social"), "Boycott Tankstra until they stop buying from that "
     "sanctioned oil trader. Share widely.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@wouter_nijmegen"), "Wasstraat van Tankstra Nijmegen trok mijn achterruitwisser eraf en nu "
     "willen ze niks vergoeden. Top service 👎", [COMPLAINT])
case("en", pub("x", "@ellie_commutes"), "Tankstra app double charged me for one fill-up (€84 twice). Support chat "
     "just loops me back to the FAQ", [COMPLAINT])
case("nl", pub("x", "@puntenspaarder"), "Na de update van Tankstra Plus zijn al mijn spaarpunten weg. 12.000 "
     "punten 😤", [COMPLAINT], hint="")
case("en", pub("linkedin", "mark-fleetops", "Mark Vos"), "As a fleet manager: Tankstra Zakelijk invoices for March "
     "are wrong again, VAT charged on amounts that already include VAT. Third month in a row.", [COMPLAINT])
case("en", pub("threads", "@zoe.drives"), "why is there a 25 min queue at the Tankstra car wash when the app says "
     "'no waiting' 🙃", [COMPLAINT])
case("en", pub("youtube", "@detailingdave"), "Paying for WashPass Premium but the dryers never work, so the car is "
     "covered in water spots every time", [COMPLAINT], kind="comment")
case("nl", pub("x", "@appkritiek"), "Tankstra rekent ineens 35 cent 'servicekosten' als je met de app betaalt?? "
     "Waar staat dat?", [COMPLAINT])
case("en", pub("x", "@jb_rotterdam"), "@tankstra_helpt still no refund for the wash that never even started. "
     "It's been three weeks.", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/kwh_counter"), "Tankstra's charging tariff went from 0.59 to 0.79/kWh overnight without "
     "any notice. Switching apps.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@vergeetachtig"), "Wachtwoord vergeten in de Tankstra Plus app en de resetmail komt maar niet. "
     "Al twee dagen niet met de app kunnen betalen", [COMPLAINT])
case("nl", pub("bluesky", "@schoneauto.bsky.social"), "Interieurreiniging bij Tankstra Utrecht: overal nog "
     "kruimels, matten niet eens uitgeklopt. €39 voor niks", [COMPLAINT])
case("nl", pub("x", "@spiegelkapweg"), "Kut wasstraat van Tankstra, al de 2e keer dat mijn spiegelkap eraf ligt. "
     "Stelletje prutsers", [COMPLAINT, ABUSE])
case("en", pub("x", "@fleetfrank"), "Tankstra support are useless f*cking clowns, my fuel card has been blocked for "
     "10 days for NO reason", [COMPLAINT, ABUSE], tags=["evasion"])
case("en", pub("mastodon", "@privacyfirst@mastodon.social"), "Tankstra shop wifi wants my email, phone number AND "
     "birthday before I can check a route. No thanks, worst captive portal ever.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("en", pub("x", "@m0torhead_77"), "@tankstra_nl you bunch of w*nkers", [ABUSE], kind="reply", tags=["evasion"])
case("nl", pub("instagram", "@assen_anoniem"), "Die blonde trut achter de kassa bij Tankstra Assen moet eruit, "
     "lelijk wijf", [ABUSE], kind="comment")
case("nl", pub("x", "@echtnederlands"), "Weer zo'n buitenlander achter de kassa bij Tankstra die geen woord "
     "Nederlands spreekt. Ga terug naar je eigen land", [ABUSE])
case("nl", RUBEN, "Klanten die om 23:58 nog willen tanken zijn echt debielen 🙄 tering", [ABUSE])
case("nl", T_HELP, "@snelle_sjaak misschien eerst leren rijden voordat je de wasstraat in gaat, sukkel 🙃",
     [ABUSE], kind="reply")
case("nl", pub("tiktok", "@tanktok_tim"), "t y f u s bedrijf die tankstra", [ABUSE], tags=["evasion"])
case("nl", KEES, "die gast met die Porsche vanochtend was echt een klootzak, hoop dat z'n lak eraf is 😤", [ABUSE],
     kind="post")
case("nl", pub("x", "@xxl_ruud"), "k4nk3r tankstra", [ABUSE], tags=["evasion"], hint="")
case("en", pub("x", "@justvibing99"), "fuck Tankstra. that's the tweet", [ABUSE])
case("en", pub("threads", "@oldschool_otto"), "Tankstra only hires women at the counter now. Typical. Women can't "
     "even work a pump, pathetic", [ABUSE])

# =========================================================================== benign (hard negatives)
# own contact data
case("nl", T_HELP, "Vragen over je WashPass? Mail klantenservice@tankstra.nl of bel gratis 0800-4477, we helpen je "
     "graag 💙", [], tags=["own-contact"])
case("nl", T_LI, "Zakelijke klanten: facturen voor de Flexkaart kunnen worden voldaan op NL74 INGB 0007 3315 00 "
     "o.v.v. het factuurnummer. Vragen? zakelijk@tankstra.nl", [], tags=["own-contact"])
case("nl", pub("x", "@tevreden_theo"), "Net 088-8267800 gebeld over mijn Flexkaart, binnen 2 minuten geholpen. "
     "Complimenten Tankstra 👏", [], tags=["own-contact"])
case("en", pub("x", "@journo_jasmijn", "Jasmijn | verslaggever"), "Working on a piece about car-wash subscriptions. "
     "Tankstra's press office (pers@tankstra.nl, +31 (0)88 826 7800) was quick to respond, thanks!", [],
     tags=["own-contact"])
case("nl", T_NL, "Wij bellen je nooit vanaf een 06-nummer. Ons klantenservicenummer is +31 88 826 78 00 of "
     "0800-4477. Twijfel je? Hang op en bel ons zelf.", [], tags=["own-contact"])
# identifiers that fail checks / non-personal numbers
case("nl", pub("x", "@twijfelaar_t"), "Kreeg een mail 'namens Tankstra' met verzoek om te betalen op "
     "<<BADIBAN_NL:grp>>. Phishing toch? Is niet jullie rekening volgens mij", [], tags=["bad-iban"])
case("nl", pub("instagram", "@nina.onderweg"), "Nieuwe pas gekoppeld in de Tankstra Plus app, eindigt op 4821 ✅ "
     "tanken zonder pinnen is echt luxe", [], tags=["last4"])
case("nl", pub("x", "@laadlies"), "Wanneer wordt de Thuislader geleverd eigenlijk? Bestelnummer "
     "<<BADCARD:visa_c>>, had 'week 14' gekregen", [], tags=["bad-card"])
case("nl", pub("facebook", "henk.plus", "Henk"), "Mijn Tankstra Plus klantnummer is <<NOTBSN:9>>, kan ik daarmee "
     "ook punten sparen bij de wasstraat?", [], tags=["not-bsn"])
case("en", pub("reddit", "u/oilchange_otto"), "For anyone asking: Tankstra Motorolie 5W-30 5L, EAN <<EAN13>>, "
     "€54,99 at the shop. Works fine in my 2014 Polo.", [], kind="comment", tags=["ean", "price-ok"])
case("nl", T_FB, "Tankstra B.V. · KvK <<NOTBSN:8>> · Prijzen van brandstof wisselen per dag, check de app voor de "
     "actuele prijs bij jou in de buurt ⛽", [], tags=["kvk"])
case("nl", pub("x", "@formulierfrits"), "In de handleiding voor de Flexkaart staat als voorbeeld-BSN 123456789. "
     "Hoeft dat echt op het formulier?", [], tags=["bad-bsn"])
# prices that are fine
case("nl", T_IG, "Nieuw in de app 🫧 WashPass Basis voor €14,99 per maand: onbeperkt door de straat met het "
     "basisprogramma. Opzeggen kan maandelijks.", [], tags=["price-ok"])
case("nl", T_NL, "Black Friday ⚡ 30% korting op de Tankstra Thuislader 11 kW: nu €839,30 inclusief installatie. "
     "Alleen t/m maandag.", [], tags=["price-ok"])
case("nl", pub("x", "@tankprijzen_oost", "Tankprijzen Oost"), "Tankprijzen vandaag: Tankstra Zwolle-Zuid E10 €1,97, "
     "diesel €1,71. Tango Hessenpoort 4 cent goedkoper. #tankennl", [], tags=["fuel-price"])
case("nl", pub("facebook", "marktplaats.amersfoort", "Vincent"), "Te koop: Tankstra Thuislader 11 kW, 2 jaar oud, "
     "werkt perfect, verhuisd naar een appartement. €450, ophalen in Amersfoort.", [], tags=["second-hand"])
case("nl", pub("reddit", "u/wasvraag"), "Bij de concurrent kost een wasabonnement €9,99, de WashPass Premium van "
     "Tankstra €24,99. Wat krijg je nou precies extra?", [], kind="post", tags=["competitor", "price-ok"])
case("nl", T_HELP, "@kortingsjager Nee hoor, geen prijsfout 😉 De Glanswas is deze week echt €12,25 met de "
     "app-actie (30% korting).", [], kind="reply", tags=["denied-error"])
case("nl", RUBEN, "Vanaf maandag bij alle wasstraten: Interieurreiniging €29 in plaats van €39, actie loopt t/m 31 "
     "mei 🧽", [], tags=["price-ok"])
case("nl", T_TT, "Eerste maand halve prijs 🎉 WashPass Premium voor €12,50, daarna gewoon €24,99 p/m. "
     "#wasstraat #tankstra", [], tags=["price-ok", "boundary"])
case("en", T_LI, "Fleet customers: the Zakelijk Flexkaart is €60 per card per year, no transaction fees. "
     "We only charge €7.50 for a replacement card.", [], tags=["fee"])
case("nl", pub("instagram", "@glimmend.grijs"), "Bij elke Glanswas nu een microvezeldoekje erbij, los kost zo'n ding "
     "€2,95 in de shop. Kleine moeite 💚", [], tags=["accessory"])
# secrets look-alikes
case("nl", YUSUF, "Reminder voor iedereen die workshops geeft: zet nooit echte keys in je slides. Gebruik "
     "AKIAXXXXXXXXXXXXXXXX en sk_live_... als placeholder. #devsecops", [], tags=["placeholder"])
case("en", MILA, "Release 4.12 of the Tankstra Plus app is out 🎉 tagged at commit <<SHA>>, changelog in the store",
     [], tags=["git-sha"])
case("nl", T_NL, "🔒 Deel nooit je pincode of wachtwoord, ook niet met onze medewerkers. Tankstra vraagt daar "
     "nooit om, niet via de telefoon en niet via WhatsApp.", [], tags=["security-advice"])
case("nl", pub("x", "@dealdeler"), "Met code GLANS-ZOMER26 in de Tankstra app krijg je deze week €3 korting op een "
     "wasbeurt 🚗💦", [], tags=["voucher"])
# codename / embargo near-misses
case("nl", pub("x", "@waterschap_vv", "Waterschap"), "De dijkgraaf opende vanochtend de nieuwe snelladers bij "
     "Tankstra Barneveld, mooi initiatief op het terrein van ons gemaal.", [], tags=["codename-word"])
case("nl", pub("instagram", "@zeilen_met_sem"), "Geen wasstraat voor boten helaas 🚤 dus zelf geschrobd tot de "
     "waterlijn. Daarna wel even koffie gehaald bij Tankstra aan de haven ☕", [], tags=["codename-word"])
case("nl", pub("x", "@vlindertelling"), "Prachtige nachtvlinder op de pomp bij Tankstra vanavond 🦋 "
     "#natuurfotografie #mottenteldag", [], tags=["codename-word"])
case("nl", T_NL, "Het is zover: WashPass Infinity is live! 🎉 Onbeperkt wassen bij alle Tankstra wasstraten. "
     "Alles op tankstra.nl/infinity", [], at="2026-05-12T09:00:00+02:00", tags=["embargo-over"])
case("nl", pub("x", "@washfan_wes"), "Sinds vorige week WashPass Infinity en ik heb mijn auto nog nooit zo vaak "
     "gewassen 😅", [], at="2026-05-19T18:22:00+02:00", tags=["embargo-over"])
case("nl", BART, "Eindelijk mag ik het zeggen: de SnelLaad Hub 300 staat live in Zwolle ⚡ trots op dit team!",
     [], at="2026-05-12T07:05:00Z", tags=["embargo-over"])
case("nl", T_LI, "Wij zoeken een stagiair marketing (intern-functie, 5 maanden) voor ons hoofdkantoor! "
     "Solliciteer via tankstra.nl/werken", [], tags=["marker-word"])
case("nl", T_FB, "Je gegevens worden altijd vertrouwelijk behandeld. Meer weten? Lees onze privacyverklaring op "
     "tankstra.nl/privacy", [], tags=["marker-word"])
case("en", pub("x", "@mapsnerd"), "Handy: app.tankstra.nl/stations shows which stations have the new chargers "
     "and which car washes are open 24/7", [], tags=["public-domain"])
# financial near-misses
case("nl", T_LI, "Onze halfjaarcijfers 2026 staan online 📊 Lees het persbericht en de presentatie op "
     "tankstra.nl/investors", [], at="2026-08-06T07:00:00+02:00", tags=["embargo-over", "published"])
case("nl", pub("x", "@beursbrief"), "Halfjaarcijfers 2026 van Tankstra vallen mee: shopomzet flink omhoog, "
     "laadtak nog verliesgevend. Aandeel +3% vandaag.", [], at="2026-08-10T12:00:00+02:00",
     tags=["embargo-over", "published"])
case("nl", pub("x", "@nieuwsjunkie_nl"), "Shell schrapt 200 banen in Nederland, las ik vanochtend in het FD. "
     "Benieuwd of andere ketens volgen.", [], tags=["other-company"])
case("en", pub("reddit", "u/pompfacts"), "According to their 2025 annual report (published in March) Tankstra had "
     "312 stations and 96 car washes. Smaller than I thought.", [], kind="comment", tags=["published"])
case("nl", KEES, "We zoeken 20 nieuwe collega's voor onze wasstraten in Brabant! Leuk team, goede koffie 😄 "
     "#vacature #tankstra", [], tags=["hiring"])
# security near-misses
case("nl", T_HELP, "⚠️ Storing: betalen via de Tankstra Plus app werkt op dit moment niet. Aan de pomp betalen "
     "kan gewoon. We houden je hier op de hoogte.", [], tags=["official-notice"])
case("nl", T_NL, "Zondagnacht tussen 02:00 en 04:00 gepland onderhoud aan de app. Tanken en wassen werkt "
     "gewoon, alleen sparen tijdelijk niet.", [], tags=["official-notice"])
case("nl", pub("x", "@privacytips_nl"), "Datalek bij een grote webwinkel deze week. Check even of je wachtwoord "
     "nergens anders gebruikt wordt, ook niet bij je tank-app.", [], tags=["other-company"])
case("en", pub("x", "@muddy_mike"), "my car is so filthy the Tankstra car wash probably flags it as a security "
     "risk 😂", [], tags=["joke"])
# crisis near-misses
case("en", pub("instagram", "@filmavond_fien"), "Total Recall on the laptop, snacks from the Tankstra shop, rain "
     "outside. Perfect night 🍿", [], tags=["recall-word"])
case("nl", pub("x", "@papa_van_drie"), "Mijn dochter boycot sinds vandaag de wasstraat omdat de borstels 'eng' zijn "
     "😂 dus ik sta hier met een emmer", [], tags=["boycott-word"])
case("nl", pub("blog", "korteverhalen.blog.example"), "Hoofdstuk 3: In het verhaal rijdt Sven 's nachts een "
     "verlaten tankstation op. De pomp zoemt, de lampen flikkeren, en dan gaat de shopdeur vanzelf open… "
     "(fictie, geen echte keten)", [], tags=["fiction"])
case("nl", T_NL, "Let op: vanmiddag houdt de brandweer een oefening bij Tankstra Zwolle-Zuid. Schrik dus niet van "
     "rook of sirenes, tanken kan gewoon.", [], tags=["official-notice"])
# complaint near-misses
case("nl", pub("x", "@veenendaal_vince"), "Geen klachten over de wasstraat in Veenendaal, auto spiegelglad ✨",
     [], tags=["negated"])
case("nl", pub("x", "@zeist_zoe"), "Medewerker bij Tankstra Zeist hielp me met de bandenspanning, wat een topper 🙌",
     [], tags=["praise"])
case("nl", pub("x", "@a12_anton"), "Bij de Shell aan de A12 weer 20 min in de rij. Volgende keer gewoon door naar "
     "Tankstra", [], tags=["competitor"])
case("nl", T_HELP, "@boze_bert Vervelend om te horen! Stuur ons even een DM met je ordernummer, dan zoeken we het "
     "direct voor je uit.", [], kind="reply", tags=["corporate-reply"])
# abuse near-misses
case("nl", T_IG, "Deze maand gaat 2 cent per liter naar KWF Kankerbestrijding 💛 Samen tanken tegen kanker.",
     [], tags=["literal-word"])
case("en", pub("x", "@roadtripruby"), "\"I'm on the highway to hell\" 🎸 on repeat, first stop Tankstra for "
     "coffee", [], tags=["lyrics"])
case("nl", LOTTE, "Vandaag 5 jaar bij Tankstra! Van stagiair naar pricing & marketing, dank aan iedereen die me "
     "heeft geholpen 🙏", [], tags=["praise"])
case("en", pub("linkedin", "energy-weekly", "Energy Weekly"), "As reported in today's press release, Tankstra "
     "will open 25 fast-charging hubs along Dutch motorways this year. Full story on our site.", [],
     tags=["published"])


# =========================================================================== build

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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    base = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350),
                                                                          minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                          seconds=r.randint(0, 59))
    off = dst_offset(base)
    utc = base - dt.timedelta(hours=off)
    p = r.random()
    if p < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_020_000_000_000_000_000))
    alnum = string.ascii_letters + string.digits
    if platform == "x":
        return "x-" + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(alnum + "_-") for _ in range(11))
        return "ig-" + big, f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "autos_nl", "ElectricVehiclesNL", "cars"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "threads":
        return "th-" + big, f"https://www.threads.net/@{h}/post/" + "".join(r.choice(alnum) for _ in range(11))
    if platform == "tiktok":
        return "tt-" + big, f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugw" + "".join(r.choice(alnum) for _ in range(23))
        return "yt-" + c, "https://www.youtube.com/watch?v=" + "".join(r.choice(alnum) for _ in range(11)) + "&lc=" + c
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-autoforum-{n}", f"https://autoforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    fx = Factory(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fx, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        pl = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl >= 0.07:
            post["lang"] = c["lang"]
        post["created_at"] = c["at"] or some_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "tankstra"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         role=role, lang=c["lang"], tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-check

def selfcheck(rows, profile):
    errs = []
    texts = set()
    for r in rows:
        t = r["post"]["text"]
        if t in texts:
            errs.append("duplicate text")
        texts.add(t)
        cats = r["expect"]["categories"]
        for k, raw in r["used"]:
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(("iban", raw))
            if k == "CARD" and not luhn_valid(raw):
                errs.append(("card", raw))
            if k == "BSN" and not bsn_valid(raw):
                errs.append(("bsn", raw))
            if k in ("BADIBAN_NL", "BADIBAN_DE") and iban_valid(raw):
                errs.append(("bad iban valid", raw))
            if k == "BADCARD" and luhn_valid(raw):
                errs.append(("bad card valid", raw))
            if k == "NOTBSN" and bsn_valid(raw):
                errs.append(("notbsn valid", raw))
            if k.startswith("BAD") or k in ("NOTBSN", "EAN13"):
                if cats:
                    errs.append(("look-alike in positive", t[:40]))
        if "reputation.spike" in cats:
            errs.append("spike on a post")
        dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
    # embargo sanity: every embargo term's posts are labelled consistently
    for e in profile["embargo"]:
        until = dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for r in rows:
            low = r["post"]["text"].lower()
            if any(term.lower() in low for term in e["terms"]):
                at = dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
                before = at < until
                if before != ("leak.confidential" in r["expect"]["categories"]):
                    errs.append(("embargo", r["post"]["created_at"], low[:50]))
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = selfcheck(rows, profile)
    if errs:
        for e in errs:
            print("ERROR", e, file=sys.stderr)
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    sev = Counter(r["expect"]["severity"] for r in rows)
    role = Counter(r["role"] for r in rows)
    lang = Counter(r["lang"] for r in rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    ev = sum(1 for r in rows if "evasion" in r["tags"])
    print(f"{len(rows)} cases, benign {benign}, multi {multi}, evasion {ev}")
    for k in sorted(cat):
        print(f"  {k}: {cat[k]}")
    print(" ", dict(sev), dict(role), dict(lang))


if __name__ == "__main__":
    main()
