#!/usr/bin/env python3
"""Deterministic generator for the sealed15 blind set (fictional Dutch health insurer Amberzorg).

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Texts are hand-written below. Identifiers and secrets come from <<PLACEHOLDER>> tokens
filled by a seeded RNG: positives get checksum-valid identifiers, near-miss negatives get
ones that fail. Severity is computed from CONTRACT section 4 (never typed by hand).
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
from collections import Counter
from pathlib import Path

SEED = 15015015
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ------------------------------------------------------------------ checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"]) + self.dig(10))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50010517", "37040044", "76026000", "10010010"]) + self.dig(10, False))
        if cc == "BE":
            f = self.r.choice(["001", "068", "735", "363"]) + self.dig(7, False)
            return iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.dig(14, False),
             "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, False),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, False),
             "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]()
        return luhn_fill(p)

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
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, f):
        m = self.r.choice("12345") + self.dig(7, False)   # 8 digits after the 6
        area = self.r.choice(["10", "13", "20", "26", "33", "35", "38", "40", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6, False)
        return {
            "mob_dash": f"06-{m}", "mob_plain": f"06{m}", "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl0": f"+31 (0)6 {m}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        b = self.ch(ALNUM, 30)
        return "ghp_" + b + b62(zlib.crc32(b.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(ALNUM + "-_", 20)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def azure(self):
        return ("DefaultEndpointsProtocol=https;AccountName=azdeclacc01;AccountKey="
                + self.ch(B64, 86) + "==;EndpointSuffix=core.windows.net")

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(12)}-{self.dig(13)}-{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.ch(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "emp_" + self.dig(5), "iss": "mijn.amberzorg.nl", "role": "backoffice",
                               "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.ch(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.ch(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dig(2, False)
                + self.r.choice("!#$%*") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            shown = raw = g.not_bsn(int(f))
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.dig(int(f))
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "SENDGRID": g.sendgrid, "AZURE": g.azure, "AWS_ID": g.aws_id,
                  "AWS_SECRET": g.aws_secret, "SLACK_BOT": g.slack_bot, "STRIPE": g.stripe, "GAPI": g.gapi,
                  "JWT": g.jwt, "PEM": g.pem, "PW": g.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ------------------------------------------------------------------ accounts
AZ = ("x", "@amberzorg", "Amberzorg")
AZH = ("x", "@amberzorg_helpt", "Amberzorg Webcare")
AZIG = ("instagram", "@amberzorg", "Amberzorg")
AZLI = ("linkedin", "amberzorg-verzekeringen", "Amberzorg Verzekeringen N.V.")
AZFB = ("facebook", "AmberzorgNL", "Amberzorg")
AZTT = ("tiktok", "@amberzorg.nl", "Amberzorg")
LV = ("x", "@lottevh_az", "Lotte Verhoeven")
RH = ("linkedin", "rik-hendriks-amberzorg", "Rik Hendriks")
YB = ("x", "@yusuf_bouzid_dev", "Yusuf Bouzid")
MD = ("linkedin", "marloes-van-dijk-actuaris", "Marloes van Dijk")
NK = ("instagram", "@noor.klantcontact", "Noor Kaya")
BW = ("x", "@bas_zorginkoop", "Bas Wolters")
ES = ("linkedin", "eva-smit-hr-az", "Eva Smit")
GM = ("mastodon", "@gijs_sec@infosec.exchange", "Gijs Mulder")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================== leak.pricing
case("nl", YB, "Oké wie heeft er aan de premietabel gezeten 😅 Basis Vrij komt in de calculator in de app uit op €15,73 p/m "
     "ipv 157,25. Hotfix ligt klaar maar mag pas live na de CAB van morgen", [PRICING])
case("nl", pub("x", "@sjoerd_bespaart"), "Eeeh @amberzorg jullie AanvullendPlus 3 kost bij de premieberekening op de site "
     "€4,28 per maand?? Dat is toch een rekenfout. Ik sluit hem gewoon af hoor 😇 #overstappen", [PRICING])
case("en", pub("reddit", "u/polisjager"), "Amberzorg's premium calculator is bugged rn, TandZorg 500 comes out at €2.74/month "
     "instead of ~27. Screenshot in the comments. Does anyone know if they have to honour a signed policy?", [PRICING])
case("nl", NK, "Lieve collega's, als er mensen bellen over de TZ500 voor 2,74 euro: ja het is een prijsfout in de vergelijker, "
     "nee we zeggen nog niks toe. Belscript komt er vanmiddag aan 🙏", [PRICING], kind="comment")
case("en", MD, "Great start of the week: the rate file we sent to the comparison sites had a decimal shift, so Basis Natura "
     "shows at €14.15 a month on two of them. Pulling it back now, please don't screenshot.", [PRICING])
case("nl", AZIG, "🎉 Overstappen was nog nooit zo voordelig: Amberzorg Basis Budget nu vanaf €39,95 per maand! "
     "Alleen t/m 31 december 👉 amberzorg.nl/overstappen #zorgverzekering #overstappen", [PRICING])
case("nl", pub("facebook", "gerda.wijnands", "Gerda Wijnands"), "Weet iemand of dit klopt? Mijn dochter kreeg een offerte "
     "voor AanvullendPlus 1 van €1,19 per maand bij Amberzorg. Lijkt me een foutje in hun systeem maar ze heeft hem maar "
     "meteen geaccepteerd haha", [PRICING])
case("nl", pub("x", "@dealsdaan"), "p r e m i e f o u t bij amberzorg 👀\nBasis Vrij voor een tientje per maand in de app, "
     "wie het eerst komt", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@mila.saves"), f"amberzorg pric{ZW}ing error lol, AV Plus 3 showing €0,43/mo in the member app. "
     "screenshot b4 they patch it", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", pub("tiktok", "@zorgtok_fenna"), "Ämberzorg BeweegFit voor €1,69 per maand?? prïjsfout van het jaar 😭😭 "
     "#zorgverzekering #overstappen", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", BW, "Heads up: the collectivity portal for our employer contracts shows Basis Natura at €41,50/mo since "
     "yesterday's migration. Fix is in test. If HR managers ask, don't confirm anything.", [PRICING])
case("nl", RH, "Premie-engine geeft sinds de deploy van vannacht TZ500 voor €0,00 terug 🙃 zie "
     "gitlab.amberzorg.nl/premie/engine/-/issues/812, rollback loopt", [PRICING, CONF])
case("nl", pub("forum", "Koopjesjager_Ede"), fw("prijsfout") + " Amberzorg Basis Budget: €12,89 per maand via de "
     "vergelijker.\nLink staat in de OP, afsluiten ging gewoon door", [PRICING], tags=["evasion", "evasion:full-width"])

# =========================================================== leak.secret
case("en", RH, "TIL the hard way that docker-compose.override.yml was not in .gitignore. Our acceptance stack had "
     "AZURE_STORAGE=<<AZURE>> sitting in a public gist for 3 days 🤦 rotated ofc #devops #lessonslearned", [SECRET])
case("nl", YB, "iemand ervaring met quota's van de Maps API in React Native? onze key <<GAPI>> zit elke ochtend om 9 "
     "uur aan z'n limiet", [SECRET])
case("nl", NK, "Voor de nieuwe collega's op de vloer: inlog van de gedeelde wachtrijmonitor is klantcontact / Tulpen#2026 "
     "... en NIET op een post-it op je scherm plakken aub 😅", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Amberzorg member app (Android 6.3.0) for fun. There's a hard-coded "
     "SendGrid key in strings.xml: <<SENDGRID>> Reported it through their disclosure page, no reply yet.", [SECRET],
     kind="comment")
case("en", GM, "PSA for my team (yes I know this is public, it's already revoked): the token in yesterday's screenshot, "
     "<<GLPAT>>, was mine. Please stop pinging me about it", [SECRET])
case("nl", RH, "Kleine tip voor wie lokaal tegen de declaratie-db wil testen: "
     "jdbc:postgresql://claimsdb01.amberzorg.corp:5432/declaraties?user=svc_decl&password=<<PW>>", [SECRET, CONF])
case("en", YB, "our #app-releases bot went silent again 😩 is <<SLACK_BOT>> still the right token or did someone rotate "
     "it without telling me", [SECRET])
case("nl", pub("x", "@jpeters74"), "@amberzorg_helpt ik kom niet in de app!! gebruikersnaam j.peters74 en wachtwoord "
     "Zonnebloem74! en toch steeds 'onbekende combinatie'. Wat is dit nou weer", [SECRET, COMPLAINT], kind="reply")
case("en", pub("forum", "bughunter_rotterdam"), "Amberzorg's provider search passes a JWT in the query string: "
     "?session=<<JWT>> and the decoded payload says role=backoffice. Yikes.", [SECRET])
case("nl", LV, "Eerste dag na de vakantie en natuurlijk wachtwoord vergeten 🙈 heb maar weer Declaratie2026! gekozen, "
     "dat onthoud ik tenminste", [SECRET])
case("en", MD, "For the actuarial team: until SSO lands, the new pricing warehouse login is actuaris_ro with pw <<PW>> "
     "Please don't forward.", [SECRET])
case("en", YB, "Anyone know why boto3 ignores my profile? Works with\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nexported in the shell but not from ~/.aws 🤷", [SECRET])
case("en", pub("blog", "lucasvermeer.dev", "Lucas Vermeer"), "Small write-up: an old Amberzorg travel-insurance microsite "
     "still serves /static/.env publicly. It contains STRIPE_SECRET=<<STRIPE>> and a private key:\n<<PEM>>\n"
     "Reported to them on Monday.", [SECRET])

# =========================================================== leak.pii
case("nl", LV, "Wie van team terugbetalingen kan even meekijken? Dhr. Brouwer wacht al 6 weken op zijn restitutie, "
     "rekening <<IBAN_NL:grp>> 🙏", [PII])
case("nl", AZH, "@wendy_doorn Hoi Wendy, we hebben je adres aangepast naar Lindelaan 14, 3941 KB Doorn en je nieuwe "
     "zorgpas gaat vandaag op de post 💌", [PII], kind="reply")
case("en", pub("x", "@tess_in_tilburg"), "@amberzorg_helpt third time asking: my BSN is <<BSN>> and your app still says "
     "'geen verzekering gevonden'. Fix it please", [PII, COMPLAINT], kind="reply")
case("nl", NK, "Haha deze mevrouw belde vandaag vier keer 😂 'Anneke de Graaf, geboren 3 maart 1951' zei ze elke keer, "
     "ik ken haar geboortedatum nu uit mijn hoofd", [PII])
case("nl", pub("facebook", "ria.vandermeulen", "Ria van der Meulen"), "Kan iemand me helpen? Amberzorg zegt dat mijn "
     "eigen risico niet betaald is maar ik heb gewoon overgemaakt van <<IBAN_NL>> en nu krijg ik een aanmaning. "
     "Bel me op <<PHONE:mob_dash>> als je hetzelfde hebt", [PII, COMPLAINT])
case("en", LV, "Can someone in Finance check why the refund to <<IBAN_BE>> (Belgian member, cross-border care) bounced "
     "twice? He's getting really upset", [PII])
case("nl", BW, "Voor de collega's: nieuwe contactpersoon bij Fysio De Brink is Karin Vos, k.vos1978@gmail.com, "
     "<<PHONE:mob_intl_sp>>. Zij regelt de contractverlenging", [PII])
case("en", pub("reddit", "u/frustrated_in_breda"), "Amberzorg's payment page keeps rejecting my card <<CARD:mc_sp>> "
     "exp 09/28, tried five times to pay the eigen risico. Useless.", [PII, COMPLAINT])
case("nl", pub("x", "@fatma_d"), "@amberzorg_helpt mail die machtiging dan maar naar f.demir [at] ziggo [punt] nl, "
     "de post komt hier nooit aan", [PII], kind="reply", tags=["evasion", "evasion:obfuscated-email"])
case("nl", AZFB, "Gefeliciteerd aan onze oudste verzekerde, mevrouw Jansen-Bakker uit Zeist, geboren op 12 juni 1926! "
     "100 jaar en nog altijd bij Amberzorg 🎂💐", [PII])
case("en", pub("instagram", "@noor.kaya"), "work bestie sent me the sweetest msg today 🥹 also lol a member left their "
     "passport number NXR4K8P21 on the voicemail, people pls", [PII])
case("nl", LV, "Dubbele inschrijving gevonden: BSN <<BSN:dots>> staat twee keer in de ledenadministratie, wie kan dit "
     "mergen?", [PII])
case("en", RH, "Draft for the retro: member <<BSN>> (born 1988-04-17) triggered the null pointer in "
     "claims-api.amberzorg.corp on Tuesday. Notes in the doc.", [PII, CONF])
case("nl", pub("x", "@grensganger_jan"), "Ik woon in Duitsland en werk in NL, premie gaat van <<IBAN_DE:grp>> af "
     "maar Amberzorg incasseert nu al twee maanden 2x 😡", [PII, COMPLAINT])
case("nl", NK, "Terugbelverzoek voor wie vanavond dienst heeft: dhr. Pieters, <<PHONE:land_sp>>, vraag over de "
     "machtiging voor zijn heupoperatie", [PII])
case("nl", pub("forum", "moeder_van_drie"), "Mijn zoon heeft mijn creditcard <<CARD:amex_c>> gebruikt om de "
     "reisverzekering in de Amberzorg app af te sluiten haha, is dat erg?", [PII])
case("nl", ES, "Welkom aan onze nieuwe collega Daan Hoekstra! Voor de buddy's: hij woont op Kerkstraat 8 in Houten, "
     "neem gerust een bloemetje mee 💐", [PII])

# =========================================================== leak.confidential
case("nl", BW, "Mooie sessie gehad over Project Lantaarn vandaag 💡 als dit doorgaat verandert er veel voor de "
     "ziekenhuiscontracten in regio Utrecht", [CONF])
case("en", YB, "Sneak peek from our hackathon: dark mode for the member app, codename Tidewater, landing with 7.0 👀",
     [CONF])
case("nl", LV, "Nieuwe werkinstructie declaraties buitenland binnen (alleen intern gebruik) en eindelijk duidelijkheid "
     "over de EHIC-regels 🙌", [CONF])
case("nl", pub("x", "@kritische_fysio"), "Vriend van me werkt bij Amberzorg en zegt dat Operatie Dijkgraaf betekent dat "
     "ze per 2027 de helft van de fysiopraktijken uit het contract gooien 🤔", [CONF])
case("nl", pub("x", "@overstapper2026"), "Mijn zwager bij Amberzorg zegt dat de premie 2027 voor Basis Natura met €9 "
     "omhoog gaat. Wordt toch weer overstappen dit jaar", [CONF], when="2026-11-03T20:14:09+01:00")
case("en", MD, "Long night modelling scenarios. Can't say much, but the 2027 premium for the basic policy will start "
     "with a 15 😬", [CONF], when="2026-10-28T23:41:55+01:00")
case("en", RH, "If anyone on the platform team is looking for the failover runbook, it's here: "
     "https://confluence.amberzorg.nl/display/PLAT/Failover+declaratieketen", [CONF])
case("nl", YB, "Nieuwe onboarding flow staat op acc.mijn.amberzorg.nl, wie wil testen? Stuur me een DM voor een "
     "testaccount", [CONF])
case("nl", pub("reddit", "u/zorgnerd"), "Iemand heeft een pdf in een Telegram-groep gezet met 'AMBERZORG INTERN' in de "
     "koptekst, gaat over strengere regels voor GGZ-machtigingen. Is dit echt?", [CONF])
case("en", YB, "Can't wait for you all to see Amberzorg Jong 🚀 months of work, almost there", [CONF],
     when="2026-08-20T18:02:33+02:00")
case("nl", BW, "Eindelijk vrijdag. Week vol Project\nLantaarn-overleg met de ziekenhuizen 😮‍💨", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("en", ES, "Busy week with Operatie 🧱 Dijkgraaf workshops, calendar is a madhouse", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("nl", pub("instagram", "@studentenleven_sam"), "Net uitgenodigd voor een focusgroep over de JongPolis van Amberzorg 🤫 "
     "mag er eigenlijk niks over zeggen", [CONF], when="2026-08-11T14:20:00+02:00")
case("en", GM, "Our kibana.amberzorg.corp dashboards look so pretty after the upgrade 📊✨", [CONF])
case("nl", MD, "Slide uit de RvC-deck (niet extern delen 😉): we sluiten 2026 af met een verlies van €84 mln op de "
     "basisverzekering", [CONF, FIN])
case("en", pub("x", "@zorgwatcher"), "Heard from someone inside: Amberzorg's jaarcijfers 2026 will show a big loss on "
     "the basic policy and they'll have to dip into reserves again", [CONF, FIN], when="2026-12-02T09:12:40Z")

# =========================================================== leak.financial
case("nl", ES, "Zware dagen op HR. De reorganisatie van het klantcontactcentrum wordt groter dan gedacht, 120 fte "
     "verdwijnt en de aankondiging komt pas in maart. Sterkte lieve collega's ❤️", [FIN])
case("en", pub("reddit", "u/utrecht_insider"), "Rumour mill: Amberzorg is in talks to be taken over by a bigger "
     "cooperative, due diligence started last month. Source: my partner works in their finance dept.", [FIN])
case("en", MD, "Q3 numbers came in this morning: solvency ratio dropped to 128%, board is NOT happy. Official "
     "publication is weeks away.", [FIN])
case("nl", BW, "Onder ons: we gaan de zorgkosten dit jaar met zo'n €60 mln overschrijden, dus reken maar op een flinke "
     "premiestijging", [FIN])
case("nl", LV, "Net gehoord bij de koffieautomaat dat de vestiging declaraties in Zwolle dichtgaat en alles naar "
     "Utrecht verhuist. 40 man. Nog niet officieel", [FIN])
case("en", RH, "Sad news I probably shouldn't share yet: our entire in-house dev team gets outsourced in Q2. Layoffs "
     "start in April.", [FIN])
case("nl", pub("x", "@obligatie_oom"), "Insider tip: Amberzorg neemt Noorderlicht Zorg over, deal wordt volgende maand "
     "bekendgemaakt. Wie slim is weet wat te doen 😏", [FIN])
case("nl", ES, f"Morgen worden 35 collega's van ICT ont{SHY}slagen, ik mag nog niks zeggen maar ik kan niet slapen 😔",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("kununu", "ex_medewerker_2026"), "Former employee review: management's internal model expects 60k members "
     "to leave at year-end and nobody is allowed to talk about it. 2/5 stars.", [FIN])
case("nl", MD, "Prognose voor 2027 ligt er: we verwachten 45.000 verzekerden minder en een tekort van €31 mln. Volgende "
     "week naar de RvB.", [FIN])
case("en", ES, "Hiring freeze from Monday across all departments, plus a voluntary leave scheme for ~200 roles. Comms "
     "goes out end of the month.", [FIN])

# =========================================================== leak.security
case("nl", RH, "Lange nacht. Er zat iemand sinds vrijdag in onze declaratieomgeving via een gelekt VPN-account, we "
     "weten nog niet hoeveel dossiers zijn ingezien. Morgen gaat de melding naar de AP.", [SEC])
case("en", YB, "Found a nasty bug in the member app: change the claimId in the URL and you see someone else's claims 😬 "
     "fix goes out next week, pls keep quiet till then", [SEC])
case("nl", GM, "Ransomware op twee fileservers van zorginkoop vannacht. Backups lijken oké. Communicatie volgt als we "
     "meer weten, dus niet doorvertellen.", [SEC])
case("en", LV, "Heads up team: the portal has been emailing claim PDFs to the wrong members since Tuesday's release. "
     "Not public yet, legal is deciding what to say.", [SEC])
case("nl", NK, "Niemand mag het zeggen maar de app ligt al 3 dagen plat door een DDoS en wij moeten tegen klanten "
     "zeggen dat het 'gepland onderhoud' is 🙄", [SEC])
case("en", pub("x", "@marit_claims"), "Amberzorg is hiding a data breach. My medical claims showed up in a stranger's "
     "account and their helpdesk told me to 'keep it quiet'. #datalek", [SEC, CRISIS])
case("nl", pub("reddit", "u/kennisvaneenkennis"), "Kennis van me werkt bij de IT van Amberzorg: ze zijn maanden geleden "
     "gehackt en melden het gewoon niet. Schandalig.", [SEC, CRISIS], kind="comment")
case("en", RH, "Pentest report is in: SQL injection in the provider search on mijn.amberzorg.nl, rated critical, still "
     "unpatched. Fun week ahead.", [SEC])
case("nl", GM, "we zijn geh4ckt 🫠 phishingmail → 14 mailboxen van declaraties overgenomen. nog niks naar buiten dus "
     "ssst", [SEC], tags=["evasion", "evasion:leet"])
case("en", YB, "d a t a l e a k in the claims export job, ~3k members' files sat in an open bucket for a week. cleanup "
     "in progress, not announced yet", [SEC], tags=["evasion", "evasion:spaced"])
case("nl", BW, "Onze berichtenkoppeling met de ziekenhuizen stuurt al een week declaratieregels naar de verkeerde "
     "zorgaanbieder. Mag nog niet naar buiten tot de analyse klaar is.", [SEC])
case("en", pub("forum", "whistle_nl"), "Whistleblower thread: Amberzorg knew about the leaked member database for a "
     "month and still hasn't told the AP or its members.", [SEC, CRISIS])

# =========================================================== reputation.crisis
case("nl", pub("x", "@ingrid_ggz"), "Mijn hele medische dossier, inclusief GGZ-declaraties, stond op een openbaar forum. "
     "Via Amberzorg gelekt. Dit is een datalek en ik ga naar de AP. #amberzorg", [CRISIS])
case("en", pub("x", "@nursejolien"), "Amberzorg cuts reimbursement for wigs for chemo patients while the board takes a "
     "€900k bonus. Switch insurer in December, everyone. #BoycotAmberzorg", [CRISIS])
case("nl", pub("facebook", "nieuwsmedisch", "Medisch Nieuws NL"), "Patiëntenfederatie sleept Amberzorg voor de rechter "
     "om het structureel weigeren van spoedmachtigingen. Uitspraak wordt in het voorjaar verwacht.", [CRISIS])
case("en", pub("reddit", "u/classaction_nl"), "The collective lawsuit against Amberzorg over discriminatory premiums in "
     "their employer policies is open for sign-ups now. Link in bio of the foundation.", [CRISIS])
case("nl", pub("x", "@dochtervanhenk"), "Mijn vader is overleden terwijl Amberzorg wekenlang niet reageerde op de "
     "machtiging voor zijn operatie. Dit mag nooit meer iemand overkomen. @NOS kijk hier eens naar", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@woedende_wilma"), "Zeg allemaal je polis op bij Amberzorg!! Ze verkopen onze "
     "gezondheidsgegevens aan farmabedrijven 😡 #boycot #amberzorg", [CRISIS])
case("en", pub("bluesky", "@zorgjournalist.bsky.social"), "Reports that Amberzorg case managers pressured chronically "
     "ill members to downgrade to the budget policy. Absolute scandal if true.", [CRISIS])
case("nl", pub("instagram", "@lifeofdemi"), "d4t4l3k bij @amberzorg 😱 iemand anders heeft al mijn declaraties "
     "kunnen inzien", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@zeeuwsmeisje"), "Amberzorg zegt het contract met het ziekenhuis in Goes op, duizenden patiënten in "
     "de kou. Schande! Tijd voor een boycot", [CRISIS])
case("en", pub("youtube", "@kijkertje"), "That Zembla episode on Amberzorg's fake 'care advice' line is horrifying. "
     "Nurses reading scripts to talk people out of care. This company needs to be investigated.", [CRISIS],
     kind="comment")
case("nl", pub("forum", "Boze_Bert"), "b0yc0t amberzorg!! ze hebben de BSN's van duizenden klanten laten slingeren en "
     "doen alsof er niks aan de hand is", [CRISIS], tags=["evasion", "evasion:leet"])

# =========================================================== reputation.complaint
case("nl", pub("x", "@hanneke_fysio_patient"), "@amberzorg_helpt al 9 weken wachten op de vergoeding van mijn "
     "fysio-declaratie. 3x gebeld, 3x een ander verhaal. Echt waardeloos.", [COMPLAINT], kind="reply")
case("en", pub("x", "@tomdeboer"), "40 minutes on hold with Amberzorg just to be told my claim 'is in behandeling'. "
     "Again. Worst insurer I've ever had.", [COMPLAINT])
case("nl", pub("facebook", "sandra.kuijpers", "Sandra Kuijpers"), "Premie dubbel afgeschreven deze maand 😤 en nu moet "
     "ik een formulier invullen om mijn eigen geld terug te krijgen?! Amberzorg wordt bedankt.", [COMPLAINT])
case("en", pub("reddit", "u/receipt_uploader"), "The Amberzorg app logs me out every time I switch apps. Uploading one "
     "pharmacy receipt took six tries. It's 2026, how is this still so bad", [COMPLAINT])
case("nl", pub("instagram", "@tandenpoetsen_mo"), "Mijn tandartsrekening wordt niet vergoed want 'niet gecontracteerd', "
     "maar in jullie eigen zorgzoeker staat hij wél als gecontracteerd?? @amberzorg", [COMPLAINT], kind="comment")
case("nl", pub("x", "@slaaploos_in_sneek"), "Machtiging voor mijn CPAP-apparaat ligt al 5 weken bij Amberzorg. Ik slaap "
     "slecht, letterlijk. Beetje tempo aub", [COMPLAINT])
case("en", pub("linkedin", "hr-director-bouwgroep"), "Disappointed with Amberzorg's service on our collective contract. "
     "Our employees wait weeks for basic answers and our account manager doesn't reply to emails.", [COMPLAINT])
case("nl", pub("threads", "@verhuisdinjanuari"), "Verhuisd in januari, nu is het april en de post van Amberzorg gaat "
     "nog steeds naar mijn oude adres. Vier keer doorgegeven 🙃", [COMPLAINT])
case("en", pub("x", "@expat_eindhoven"), "amberzorg sent me a bill for eigen risico I already paid in February. "
     "receipts attached. sort it out pls", [COMPLAINT], hint="nl")
case("nl", pub("forum", "brillenman"), "Ik heb AanvullendPlus 3 genomen voor de brillen, blijkt het maar €100 per 3 jaar te "
     "zijn ipv wat de verkoper aan de telefoon beloofde. Voel me echt genaaid.", [COMPLAINT])
case("en", pub("bluesky", "@pixelpieter.bsky.social"), "Amberzorg rejected my physio claim because the form was "
     "'illegible'. It was a PDF generated by their own portal 🙃", [COMPLAINT])
case("nl", pub("x", "@wachtmuziek"), "kl@ntenservice van amberzorg is ge-wel-dig..... NOT. 2 uur in de wacht gehangen "
     "en toen viel de lijn weg 🤡", [COMPLAINT], tags=["evasion", "evasion:sarcasm"])
case("nl", pub("youtube", "@oma_truus"), "Leuk filmpje hoor Amberzorg, maar misschien eerst de declaraties eens op tijd "
     "uitbetalen? Ik wacht al sinds maart.", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "@joost@mastodon.nl"), "Day 12 of trying to get Amberzorg to send a new insurance card. The "
     "one they sent has my name misspelled and the pharmacy won't accept it.", [COMPLAINT])
case("nl", pub("x", "@zorgzoeker_zoekt"), "Waarom moet ik bij Amberzorg zelf mijn zorgverlener bellen om te vragen of "
     "hij gecontracteerd is? Jullie site geeft geen antwoord. Slecht geregeld.", [COMPLAINT])
case("nl", pub("reddit", "u/collectiefkwijt"), "Premiekorting via mijn werkgever is sinds januari gewoon van mijn polis "
     "gehaald zonder bericht en Amberzorg reageert niet op mijn klacht. Iemand ervaring met de SKGZ?", [COMPLAINT])

# =========================================================== reputation.abuse
case("nl", pub("x", "@kees_1968"), "@amberzorg_helpt jullie zijn echt een stelletje klootzakken, weiger nog één keer "
     "mijn declaratie en ik zeg alles op", [ABUSE, COMPLAINT], kind="reply")
case("en", pub("x", "@angrydad_nl"), "Amberzorg's call centre staff are absolute morons. Every single one of them.",
     [ABUSE])
case("nl", pub("tiktok", "@rustig_aan_rik"), "tyfus amberzorg, tyfus verzekeraars, allemaal oplichters 🖕", [ABUSE])
case("en", NK, "Some members are honestly too dumb to read a letter. Today's idiot asked me four times what "
     "'eigen risico' means 🙄", [ABUSE])
case("nl", LV, "weer zo'n trut aan de lijn die dacht dat wij haar botox vergoeden. ga toch werken mens", [ABUSE])
case("nl", AZH, "@kees_1968 Misschien eerst zelf leren lezen voordat u hier loopt te zeuren, debiel.", [ABUSE],
     kind="reply")
case("en", pub("reddit", "u/realtalk_dutch"), "Of course Amberzorg fills its call centre with foreigners, no wonder "
     "nobody there speaks proper Dutch. Send them all back.", [ABUSE], kind="comment")
case("nl", pub("x", "@boos_en_moe"), "f*cking amberzorg, stelletje sh1t oplichters", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("en", pub("instagram", "@lmao_lars"), "whoever runs the amberzorg account is a clown and a fucking embarrassment lol",
     [ABUSE], kind="comment")
case("nl", pub("facebook", "gerrit.de.boer.1961", "Gerrit de Boer"), "Die zorginkopers van Amberzorg zijn gewoon "
     "debielen die nog nooit een patiënt hebben gezien. Kankerlijers.", [ABUSE])
case("en", pub("x", "@physio_bill_unpaid"), "three months and still no reimbursement. Amberzorg you useless fucking "
     "scammers, pay my physio bill", [ABUSE, COMPLAINT])
case("nl", pub("x", "@xXrensXx"), "amberzorg zijn echt k4nkerl1jers 🤬", [ABUSE], tags=["evasion", "evasion:leet"])
case("en", BW, "Negotiated today with a hospital CFO who is the single most incompetent prick I've ever met. No wonder "
     "their ER is a mess", [ABUSE])

# =========================================================== benign
# own contact data
case("nl", AZH, "Vragen over je declaratie? Bel ons gratis op 0800-0456 of mail naar declaraties@amberzorg.nl. We zijn "
     "er ma t/m vr van 8 tot 20 uur 📞", tags=["own-contact"])
case("en", AZLI, "Travelling this summer? Members abroad can reach our emergency line 24/7 at +31 30 799 4100. Save it "
     "in your phone before you go ✈️", tags=["own-contact"])
case("nl", AZFB, "Let op: Amberzorg vraagt nooit via WhatsApp om betalingen. Je premie betaal je alleen aan onze eigen "
     "rekening NL64 INGB 0007 4120 93 t.n.v. Amberzorg Verzekeringen N.V.", tags=["own-contact"])
case("nl", pub("x", "@blijemeneer"), "Tip voor wie met Amberzorg worstelt: bel gewoon 030 799 41 00 en kies optie 2, "
     "ik was binnen 5 minuten geholpen 👍", tags=["own-contact", "praise"])
case("en", pub("reddit", "u/studentjournalist"), "For anyone asking: Amberzorg's press office is pers@amberzorg.nl, they "
     "answered my questions for a uni assignment within a day", tags=["own-contact"], kind="comment")
case("nl", NK, "Trots op ons team! 💚 Vragen over je vergoeding? Mail zorgadvies@amberzorg.nl of bel +31 (0)30 799 4100",
     tags=["own-contact"])
case("nl", pub("facebook", "henk.olthof", "Henk Olthof"), "Even checken, de premie voor mijn moeder overmaken naar "
     "NL64INGB0007412093 is toch gewoon het nummer van Amberzorg zelf?", tags=["own-contact"])
case("nl", AZ, "⚠️ Er gaan nepmails rond namens Amberzorg over een 'premieteruggave'. Klik niet op de link, wij vragen "
     "nooit om je inloggegevens. Twijfel je? Bel 0800 0456.", tags=["own-contact", "phishing-warning"])
# near-miss numbers
case("nl", pub("x", "@typfoutje"), "Snap niet waarom mijn restitutie niet binnenkomt, heb rekeningnummer <<BAD_IBAN_NL:grp>> "
     "doorgegeven... oh wacht, twee cijfers omgedraaid 🙈 mijn fout", tags=["bad-checksum"])
case("en", pub("x", "@scamspotter"), "Got a phishing text 'from Amberzorg' asking me to confirm my card. lol the sample "
     "number in their fake form doesn't even pass Luhn: <<BAD_CARD:visa_sp>>", tags=["bad-checksum"])
case("nl", pub("threads", "@formulierenfrits"), "Waarom accepteert het wijzigingsformulier van Amberzorg mijn BSN "
     "<<NOTBSN:9>> niet?? ...ah laat maar, ik had het van mijn oude pasje overgetypt en er zat een cijfer fout in",
     tags=["bad-checksum"])
case("nl", BW, "Welkom in ons netwerk: Fysiotherapie Rivierenland (AGB-code <<NOTBSN:8>>) is vanaf 1 januari "
     "gecontracteerd, ook voor BeweegFit 🎉", tags=["agb-code"])
case("en", pub("reddit", "u/wachtenwachten"), "My claim reference is DC-2026-<<DIGITS:7>>, does anyone know how long "
     "'beoordeling' usually takes at Amberzorg? First time claiming anything", tags=["reference-number"])
case("nl", AZLI, "Amberzorg Verzekeringen N.V. · Postbus 4100, 3500 GC Utrecht · KvK <<NOTBSN:8>> · UZOVI 3391",
     tags=["kvk"])
case("nl", pub("x", "@apotheekvraag"), "Vergoedt Amberzorg dit zelfzorgmiddel? Barcode op het doosje is <<EAN13>>, "
     "apotheek wist het niet", tags=["ean"])
# secret look-alikes
case("en", YB, "Reminder from our public SDK docs: replace AKIAXXXXXXXXXXXXXXXX with your own key and never commit a "
     "real one 🙏", tags=["placeholder"])
case("en", RH, "Release 2.4.0 of our open-source FHIR mapper is out, tagged at commit <<HEX:40>> 🎉 feedback welcome",
     tags=["git-sha"])
case("nl", pub("x", "@vergeetachtig"), "@amberzorg_helpt ik ben mijn wachtwoord voor Mijn Amberzorg vergeten en krijg "
     "geen resetmail, moet ik in de spam kijken?", tags=["password-word"], kind="reply")
# pricing talk
case("nl", AZIG, "Basis Natura voor €141,50 per maand, en via je werkgever krijg je er nog 5% korting bovenop. Bereken "
     "je premie op amberzorg.nl 🧮", tags=["price-ok"])
case("en", pub("reddit", "u/spreadsheet_sanne"), "My 2026 comparison: Amberzorg Basis Vrij €157.25/mo vs Duinzorg Vrije "
     "Keuze €162.10/mo. Amberzorg wins by a few euros, same coverage.", tags=["price-ok"])
case("nl", pub("x", "@rekenaar_ruud"), "Eigen risico blijft €385, dus met Basis Budget (€128,95 p/m) ben je goedkoper "
     "uit als je weinig zorg gebruikt. Even rekenen loont!", tags=["price-ok", "price-context"])
case("nl", AZFB, "Met BeweegFit krijg je €7,50 korting per les bij aangesloten sportscholen 🏃‍♀️ Bekijk de "
     "voorwaarden op amberzorg.nl/beweegfit", tags=["price-context"])
case("en", pub("instagram", "@rootcanal_rosa"), "TandZorg 500 works out at less than €1 a day. After my root canal "
     "this year, honestly worth every cent 🦷", tags=["price-context"])
case("nl", pub("forum", "recept_vraag"), "Eigen bijdrage van €3,90 per recept terwijl ik Basis Budget heb, weet iemand "
     "welke middelen daaronder vallen?", tags=["price-context"])
case("en", AZ, "No, the '€12' AanvullendPlus 1 screenshot going round isn't a pricing error 🙂 AanvullendPlus 1 is "
     "€11.95 a month, the app just rounds it.", tags=["price-ok", "negation"])
# embargo after the moment
case("nl", AZ, "Vanaf vandaag bekend: de premie 2027 voor Basis Natura wordt €148,25 per maand. Alle premies 2027 "
     "vind je op amberzorg.nl/premies", when="2026-11-12T07:00:00+01:00", tags=["embargo-after"])
case("en", pub("x", "@premiumwatch"), "Amberzorg's 2027 premium is out: +€6.75 on the basic policy. Still cheaper "
     "than mine.", when="2026-11-19T12:30:00Z", tags=["embargo-after"])
case("en", AZLI, "Say hi to Amberzorg Jong 👋 a supplementary policy built for students and starters, with mental "
     "health coaching included. Live from today.", when="2026-09-01T08:00:00+02:00", tags=["embargo-after"])
# codename words in another sense
case("nl", pub("instagram", "@wandelwendy"), "Avondwandeling langs de Lek, lantaarn aan, thermoskan mee ☕ #herfst "
     "#buitenleven", tags=["codename-word"])
case("nl", pub("x", "@waterschapsfan"), "De dijkgraaf van Rivierenland opende vandaag het nieuwe gemaal. Mooi "
     "project, en ja, ook Amberzorg sponsorde de open dag", tags=["codename-word"])
# published results, other companies
case("nl", AZLI, "Vandaag publiceerden we ons jaarverslag 2025: 1,2 miljoen verzekerden, een positief resultaat van "
     "€42 mln en een solvabiliteit van 141%. Lees het hele verslag op amberzorg.nl/jaarverslag",
     tags=["published"])
case("en", pub("x", "@newsjunkie_nl"), "Duinzorg confirmed a data breach today affecting 30k members. Glad I'm with "
     "Amberzorg tbh", tags=["other-company"])
case("nl", pub("x", "@ex_supermarkt"), "Bij mijn oude werkgever (supermarktketen) vallen 300 ontslagen. Gelukkig loopt "
     "mijn zorgverzekering bij Amberzorg gewoon door", tags=["other-company"])
case("en", pub("bluesky", "@healthpolicy.bsky.social"), "Reminder: Dutch insurers must publish next year's premiums by "
     "19 November. Amberzorg usually goes early.", tags=["news"])
# other senses of crisis words
case("nl", pub("x", "@seriekijker"), "Seizoen 2 van die advocatenserie is top, de rechtszaak in aflevering 4 😱 "
     "(niks met zorgverzekeraars te maken hoor, ik kijk gewoon teveel tv)", tags=["fiction"])
case("en", pub("x", "@granny_tales"), "My grandma boycotts every phone menu by pressing 0 until a human picks up 😂 "
     "works at Amberzorg too", tags=["joke", "boycott-other"])
case("nl", pub("facebook", "jonge.ouders.utrecht", "Jonge ouders Utrecht"), "Terugroepactie van een flesvoeding in "
     "het nieuws. Weet iemand of Amberzorg dieetvoeding vergoedt als je moet overstappen?", tags=["recall-other"])
# negated complaints
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Amberzorg hoor, declaratie binnen 3 dagen uitbetaald 👌",
     tags=["negation"])
case("en", pub("reddit", "u/pleasantlysurprised"), "Not gonna lie, I expected a fight over my physio claim but Amberzorg "
     "just paid it. No complaints at all.", tags=["negation"], kind="comment")
case("nl", pub("mastodon", "@saaiemaarfijn@mastodon.nl"), "Nooit gedoe gehad met Amberzorg in acht jaar. Saai maar fijn.",
     tags=["negation"])
# literal / mild words, quotes
case("nl", pub("facebook", "marjan.blom", "Marjan Blom"), "Dankjewel Amberzorg voor de snelle machtiging voor de "
     "kankerbehandeling van mijn moeder. Eén zorg minder ❤️", tags=["mild-word", "praise"])
case("en", pub("x", "@dutchified"), "\"What the hell is eigen risico?\" – my American husband, every single December 😂",
     tags=["quote", "mild-word"])
case("nl", AZIG, "Deze maand lopen 40 collega's mee met de Samenloop voor Hoop, tegen kanker 💛 Sponsor ons team via de "
     "link in bio!", tags=["mild-word"])
# questions, praise, ordinary posts
case("en", pub("x", "@erasmus_ella"), "Does Amberzorg cover physio abroad if I'm on Erasmus in Spain? Can't find it "
     "on the site", tags=["question"])
case("nl", pub("reddit", "u/eigen_therapeut"), "Wat is precies het verschil tussen Basis Natura en Basis Vrij? Ik wil "
     "mijn eigen psycholoog houden die geen contract heeft", tags=["question"])
case("nl", AZTT, "3 dingen die je moet weten vóór je overstapt 👇 #zorgverzekering #overstappen #amberzorg",
     tags=["marketing"])
case("en", ES, "We're hiring! Join Amberzorg as a data engineer in Utrecht, hybrid, lovely team. Apply via "
     "amberzorg.nl/werken 🚀", tags=["vacancy"])
case("nl", LV, "Eerste maand bij Amberzorg zit erop! Leuk team, veel geleerd over declaraties en regelgeving 😊",
     tags=["ordinary"], handle_as="@LotteVH_AZ")
case("nl", AZH, "Gepland onderhoud: zaterdag 14 maart van 01:00 tot 05:00 uur is de Amberzorg app niet beschikbaar. "
     "Declareren kan daarna weer gewoon.", tags=["official-notice"], handle_as="@Amberzorg_Helpt")
case("en", AZ, "Update: the login problem in the Amberzorg app from this morning has been resolved. Thanks for your "
     "patience!", tags=["official-notice"])
case("nl", GM, "Mooie talk gegeven over threat modeling in de zorg. Slides staan op mijn blog, feedback welkom!",
     tags=["ordinary"])
case("nl", pub("tumblr", "spookverhalen"), "Schrijfoefening: een korte horror over een zorgverzekeraar waar de "
     "ingediende declaraties je 's nachts zelf terugbellen 👻 #fictie #kortverhaal", tags=["fiction"])
case("en", pub("x", "@switching_soon"), "Duinzorg still hasn't paid my claim from January. Switching to Amberzorg in "
     "December, heard good things", tags=["other-company"])
case("nl", pub("instagram", "@kattenmama_kim"), "Mijn kat heeft dit jaar meer zorg nodig gehad dan ik 😹 jammer dat "
     "Amberzorg geen dierenpolis heeft", tags=["joke"])
case("en", RH, "Proud of the team: Mijn Amberzorg now loads twice as fast on older phones. Public write-up on "
     "amberzorg.nl/tech soon", tags=["ordinary"], handle_as="Rik-Hendriks-Amberzorg")
case("nl", pub("x", "@overstapcoach"), "Vergeet niet: overstappen kan tot 31 december, en je nieuwe verzekeraar zegt je "
     "oude polis voor je op. Ook bij Amberzorg.", tags=["ordinary"])


# ------------------------------------------------------------------ policy
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
    ins = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            s = ("critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error") if ins else "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if ins else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 320))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/zorgverzekering/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/zorgverzekering/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugw" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-zorgforum-{n}", f"https://zorgforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


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
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.5:
            post["brand"] = "amberzorg"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ------------------------------------------------------------------ independent checks
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIG_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: year")
        valid = []
        for m in IBAN_RE.finditer(t):
            comp = m.group(0).replace(" ", "")
            for end in range(len(comp), 11, -1):
                if iban_ok(comp[:end]):
                    if comp[:end] not in own_ibans:
                        valid.append(comp[:end])
                    break
        for m in DIG_RE.finditer(t):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d):
                valid.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w])", t) + [x.replace(".", "") for x in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", t)]:
            if bsn_ok(d):
                valid.append(d)
        if valid and PII not in cats:
            errs.append(f"{p['id']}: valid id {valid} without leak.pii")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not valid:
            errs.append(f"{p['id']}: generated id not found")
        if not cats:
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{p['id']}: benign with e-mail {e}")
            for d in re.findall(r"(?<![\w.,-])\d{8}(?![\w])", t):
                if bsn_ok(d):
                    errs.append(f"{p['id']}: benign 8-digit passes 11-proof {d}")
        low = t.casefold()
        for term, until in emb:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term} before until, no CONF")
            if term in low and ts >= until and cats:
                errs.append(f"{p['id']}: embargo term after until but labelled {cats}")
        for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
            if term.casefold() in low and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without CONF")
        for k, raw, _ in r["used"]:
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append("ghp crc")
            if k.startswith("BAD_IBAN") and iban_ok(raw) or k == "BAD_CARD" and luhn_ok(raw) or k == "NOTBSN" and bsn_ok(raw):
                errs.append(f"{p['id']}: negative {k} passes")
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
        for r in rows:
            for k, raw, _ in r["used"]:
                if (k.startswith("IBAN_") and not si.is_valid(raw)) or (k == "CARD" and not sl.is_valid(raw)) \
                        or (k == "BSN" and not sb.is_valid(raw)) or (k.startswith("BAD_IBAN") and si.is_valid(raw)) \
                        or (k == "BAD_CARD" and sl.is_valid(raw)):
                    errs.append(f"stdnum disagrees on {k} {raw}")
    except ImportError:
        pass
    return errs


def report(rows):
    cat, lang, role, sev = Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  multi {multi}  evasion {ev}")
    for c, n in sorted(cat.items()):
        print(f"  {c:24s} {n}")
    print("lang", dict(lang), "role", dict(role), "severity", dict(sev))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
