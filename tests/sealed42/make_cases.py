#!/usr/bin/env python3
"""Deterministic generator for the sealed42 evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every line and print counts

Company: "Lichtveld Energie B.V." (profile.yaml in this folder), a fictional Dutch
installer of solar panels, heat pumps and home batteries.

Every text is hand-written below. Identifiers and secrets come from [[KIND:fmt]]
placeholders filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof, GitHub
token CRC32); hard negatives get look-alikes that FAIL their check. All secrets are
random and fake.

Severity is never typed by hand: severity_for() computes it from CONTRACT section 4
with the account role looked up in profile.yaml (platform:handle, case-insensitive).
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

SEED = 42_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
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


def gs1_check(body):
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - tot % 10) % 10)


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs -----------------------------------------------------------------
    def iban_nl(self):
        bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB", "RBRB"])
        while True:
            v = iban_build("NL", bank + self.dig(10, lead=True))
            if v != "NL75RABO0341889270":
                return v

    def iban_be(self):
        head = self.r.choice(["063", "310", "001", "737", "068"]) + self.dig(7)
        return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")

    def iban_de(self):
        return iban_build("DE", self.r.choice(["50070010", "20050550", "37050198", "76010085"]) + self.dig(10))

    def spoil_iban(self, v):
        for delta in (7, 19, 31, 43, 61):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    # cards -------------------------------------------------------------------
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def spoil_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    # BSN and other numbers -----------------------------------------------------
    def bsn(self):
        while True:
            s = self.dig(9, lead=True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, lead=True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean18(self):
        while True:
            body = "87168" + self.dig(12)
            v = body + gs1_check(body)
            if not luhn_valid(v) and not bsn_valid(v[:9]):
                return v

    # phones ------------------------------------------------------------------------
    def phone(self, fmt):
        m = self.r.choice("123456") + self.dig(7)          # 8 digits after the 6
        area = self.r.choice(["50", "58", "38", "53", "55", "592", "521", "570", "546", "30", "318"])
        sub = self.r.choice("2345678") + self.dig(8 - len(area))   # subscriber so total is 9 digits
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub}",
        }[fmt]

    # secrets --------------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(B64URL, 20)

    def aws_id(self):
        return self.r.choice(["AKIA", "AKIA", "ASIA"])[:4] + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def azure_key(self):
        return self.pick(B64, 86) + "=="

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": "inst_" + self.dig(7, True), "iss": "https://auth.veldview.app",
                    "scope": "inverter:read battery:write", "iat": iat, "exp": iat + 900})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 119) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 64) + "=="
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(["Zon", "Dak", "Accu", "Paneel", "Warmte"]) + self.pick(string.ascii_lowercase, 2)
                + self.r.choice("!#$%*") + self.dig(4) + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")


def fill(val, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(val, kind.lower())()
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = val.spoil_iban(val.iban_nl())
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = val.card(brand)
            shown = card_fmt(raw, f)
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = val.spoil_card(brand)
            shown = card_fmt(raw, f)
        elif kind == "BSN":
            raw = val.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN":
            raw = shown = val.not_bsn(int(fmt))
        elif kind == "EAN18":
            raw = shown = val.ean18()
        elif kind == "PHONE":
            raw = shown = val.phone(fmt)
        elif kind == "DIG":
            raw = shown = val.dig(int(fmt), lead=True)
        elif kind == "HEX":
            raw = shown = val.hexs(int(fmt))
        elif kind in ("GHP", "GLPAT", "AWS_ID", "AWS_SECRET", "GAPI", "MOLLIE", "SENDGRID",
                      "AZURE_KEY", "JWT", "PEM_EC", "PW"):
            raw = shown = getattr(val, kind.lower())()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


def card_fmt(v, f):
    if f == "c":
        return v
    parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
    return ("-" if f == "dash" else " ").join(parts)


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate (profile accounts.corporate)
LV_X = ("x", "@lichtveld", "Lichtveld Energie")
LV_SVC = ("x", "@lichtveld_service", "Lichtveld Service")
LV_IG = ("instagram", "@lichtveld.energie", "Lichtveld")
LV_LI = ("linkedin", "lichtveld-energie", "Lichtveld Energie B.V.")
LV_FB = ("facebook", "LichtveldEnergie", "Lichtveld Energie")
LV_TT = ("tiktok", "@lichtveld", "Lichtveld")
# employees (profile accounts.employee)
RUBEN = ("x", "@monteur_ruben", "Ruben Mulder")                    # solar installer
ESTHER = ("linkedin", "esther-vos-lichtveld", "Esther Vos")        # energy adviser / sales
KEES = ("x", "@kees_planning", "Kees Dijkstra")                    # installation planner
DENNIS = ("linkedin", "dennis-ouali", "Dennis Ouali")              # VeldView app developer
JOLIEN = ("instagram", "@jolien.installeert", "Jolien Smit")       # heat-pump installer
MIRJAM = ("linkedin", "mirjam-hoekstra-finance", "Mirjam Hoekstra")  # finance controller
SVEN = ("threads", "@sven.warmtepomp", "Sven de Boer")             # service technician
BAS = ("reddit", "u/lv_devops_bas", None)                          # devops


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", ESTHER, "Collega-adviseurs, even opletten met de offertetool 🙏 Sinds de update van gisteren rekent hij de "
     "Thermo A12 voor €1.195 in plaats van €11.950. Er zijn vanochtend al drie offertes zo de deur uit gegaan. "
     "IT is ermee bezig, tot die tijd handmatig nalopen aub!", [PRICING])
case("nl", pub("x", "@sjoerdzonnig"), "yo wtf offerte.lichtveld.nl geeft mij een Zonnepakket 10 voor €429,50 all-in 😳\n"
     "komma verschoven ofzo?? ik teken gewoon hoor\n#zonnepanelen #prijsfout", [PRICING])
case("nl", RUBEN, "lol de nieuwe tablet-app zegt dat de klant van vandaag voor z'n ZP16 maar 649 euro hoeft te "
     "betalen 😂 heb maar niks gezegd en gewoon gelegd. kantoor mag het uitzoeken ☀️", [PRICING], kind="post")
case("en", pub("reddit", "u/dutchsolarnerd"), "Lichtveld's configurator is quoting the VeldAccu 10 at EUR 675 including "
     "installation right now. List is 6750 so someone dropped a zero. Screenshot in the comments, get in before "
     "they notice 👀", [PRICING])
case("nl", LV_FB, "🔥 ZOMERDEAL 🔥 De LV-5K hybride omvormer nu voor slechts €129 incl. montage! Op = op, alleen deze "
     "week via lichtveld.nl/deal ☀️", [PRICING])
case("en", KEES, "someone in sales fat-fingered the ServicePlus renewal mailing 🙃 4k customers just got offered a full "
     "year for €18,90. not my department but oof, phones are gonna be fun tomorrow", [PRICING])
case("nl", pub("facebook", "ingrid.postma.52", "Ingrid Postma"), "Bij de adviseur van Lichtveld stond vanmiddag de "
     "Thermo H6 hybride op zijn scherm voor 489 euro. Hij schrok zelf ook 😅 zei dat het systeem raar deed. "
     "Ik heb de offerte wel even gefotografeerd hoor!", [PRICING])
case("nl", pub("tiktok", "@wattwouter"), "p r ij s f o u t bij lichtveld?? 😳 zonnepakket16 voor 1299 euro 🤯🤯 "
     "link in bio, snel zijn", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@koopjesjager_gr"), "Lïchtveld VëldAccu 10 voor €990?!? dat is toch een pr1jsfout 😂 "
     "direct besteld", [PRICING], tags=["evasion", "evasion:diacritics", "evasion:leetspeak"])
case("nl", MIRJAM, "Kleine correctie voor het partnerteam (Lichtveld intern): de ZP10 heeft in mei een week per abuis "
     "voor €1.295 in de partnerportal gestaan, 41 orders zijn zo doorgekomen. We bellen die installateurs deze week. "
     "Graag niet verder delen.", [PRICING, CONF])
case("en", pub("forum", "warmtepomp_willem"), "Thread: Lichtveld Thermo A12 for €2.990?? Their chat agent literally "
     "called it a pricing error but said orders placed today will be honoured. Anyone got a confirmation mail yet?",
     [PRICING], kind="post")
case("nl", SVEN, "Klant liet me vandaag haar Lichtveld-app zien: verlenging ServicePlus voor €0,00 🤣 prijs staat "
     "helemaal fout in het systeem. Doorgezet naar kantoor maar de klant had al op 'verlengen' gedrukt", [PRICING])
case("nl", pub("x", "@budgetbart"), f"LV-5K omvormer voor 12,95 bij lichtveld 😂 prijs{ZW}fout van het jaar, "
     "pak ze!!", [PRICING], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DENNIS, "Proud of the team 💚 VeldView now pulls inverter data every 30 seconds. For the devs who asked how "
     "the app authenticates against our inverter cloud, this is what a request looks like:\n\n"
     "Authorization: Bearer [[JWT]]\n\nShort-lived token, so no worries 😉 #engineering #iot", [SECRET])
case("en", BAS, "Getting 'Bad credentials' in our Actions workflow since we moved the repos to the new org. The "
     "workflow uses [[GHP]] with repo + workflow scopes. Anyone seen this?", [SECRET], kind="post")
case("nl", KEES, "wie weet het wachtwoord van de planningsmailbox nog?? oh wacht het staat gewoon op het whiteboard "
     "achter me: Zonnekoning#2026 📸 opgelost", [SECRET])
case("nl", RUBEN, "Voor de nieuwe mannen in ploeg 3 👷 de meet-tablet in de bus heeft als pincode/wachtwoord "
     "Paneel!4821. Niet aan klanten laten zien he", [SECRET])
case("en", pub("forum", "apk_ripper"), "Decompiled the VeldView Android app (3.2.0). res/values/strings.xml has "
     "google_api_key = [[GAPI]] and it isn't restricted to the package. Mailed storing@lichtveld.nl three weeks ago, "
     "no reply yet.", [SECRET])
case("en", BAS, "Inverter ingest keeps throwing AccessDenied on PutObject, what am I missing? config below "
     "(test account, relax):\n\nAWS_ACCESS_KEY_ID=[[AWS_ID]]\nAWS_SECRET_ACCESS_KEY=[[AWS_SECRET]]\n"
     "AWS_REGION=eu-central-1", [SECRET])
case("nl", DENNIS, "Nieuwe stagiairs bij het VeldView-team: zo kom je bij de testdata 👇\n"
     "mqtt://veldview_ingest:[[PW]]@broker01.intra.lichtveld.local:1883\n"
     "Zet 'm wel in je .env en NIET in git 🙏", [SECRET, CONF])
case("en", LV_SVC, "test webhook, please ignore 🙈\nMOLLIE_API_KEY=[[MOLLIE]]", [SECRET])
case("en", pub("x", "@mvdlinden_nl"), "lmao @lichtveld your installer left a post-it on my meter cabinet saying "
     "'VeldView beheer: admin / Omvormer2026!' 🙃 is that... the admin login for every customer??", [SECRET])
case("nl", SVEN, "ww van de service-laptops is sinds vandaag W@rmtepomp2026 (hoofdletter W). niet rondsturen he 🤫",
     [SECRET], tags=["evasion", "evasion:abbreviation"])
case("en", BAS, "Which one of you put this in a public gist?? Rotating it now, but here it is so you know what to "
     "grep for:\n[[PEM_EC]]", [SECRET])
case("en", pub("blog", "opendata-olaf.nl", "Olaf Brink"), "Quick find while browsing public repos: Lichtveld's "
     "'lichtveld-site' repo has this in appsettings.Production.json:\n\n"
     "DefaultEndpointsProtocol=https;AccountName=lvveldviewprod;AccountKey=[[AZURE_KEY]];"
     "EndpointSuffix=core.windows.net\n\nThat's their production storage. I've notified them.", [SECRET])
case("en", KEES, "install-confirmation mails bouncing again 😩 sendgrid key expired, the new one is "
     "[[SENDGRID]] – can someone from IT pls update the planner before 5?", [SECRET])
case("nl", DENNIS, "Opgelost! CI op de firmware-repo faalde al twee dagen, bleek de deploy-token verlopen. "
     "Nieuwe staat erin: [[GLPAT]] ✅ #gitlab #devops", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KEES, "Ploeg 2 morgen 8:00 naar mevr. Jansen-Brouwer, Kerkstraat 18, 7411 HB Deventer 🏠 "
     "ze is slechthorend dus gewoon hard aanbellen 👍", [PII])
case("nl", LV_SVC, "@p_verhoeven Dag Peter, uw ISDE-aanvraag is vandaag ingediend met BSN [[BSN:dots]] en "
     "uitbetaling naar [[IBAN_NL:grp]]. U hoort binnen 8 weken van RVO.", [PII], kind="reply")
case("en", ESTHER, "Happy customer alert 🎉 Mr. Okafor in Almere just signed for a Zonnepakket 16 + VeldAccu 10! "
     "Colleagues who want to drop by for reference photos can call him on [[PHONE:mob_intl]], he said it's fine 😊",
     [PII])
case("nl", pub("facebook", "gerda.pronk.7", "Gerda Pronk"), "Lichtveld, nu al 6 weken wachten op de terugbetaling "
     "van mijn aanbetaling van €850!! Rekening is [[IBAN_NL]] t.n.v. G. Pronk, hoe moeilijk kan het zijn?? 😡",
     [PII, COMPLAINT])
case("en", pub("x", "@tomkeyser"), "@lichtveld_service still no callback. Just ring me on [[PHONE:mob_dash]]. "
     "3 days since the heat pump died and the kids are freezing 🥶", [PII, COMPLAINT], kind="reply")
case("nl", MIRJAM, "Kan iemand van debiteuren even meekijken? Klant A. de Wit heeft dubbel betaald met creditcard "
     "[[CARD:visa_sp]], terugboeken via de terminal lukt niet.", [PII])
case("nl", SVEN, "Storing opgelost bij meneer Bakker (geb. 14-03-1951) in Hoogeveen 🔧 leuke man, kreeg koffie en "
     "een plak cake ☕", [PII])
case("en", pub("reddit", "u/roofwatcher"), "Does anyone know the Lichtveld installer who did our street in "
     "Zwolle-Zuid? Name's Marco, his number is [[PHONE:mob_plain]]. He left his spirit level on my roof.", [PII],
     kind="comment")
case("nl", JOLIEN, "Vandaag een warmtepomp geplaatst bij de familie Yilmaz aan de Esdoornlaan 3 in Oss 🏡💚 "
     "blije klanten = blije monteur! #warmtepomp #installatie", [PII])
case("nl", LV_FB, "Hoi Sandra, we hebben je gegevens doorgezet naar de planning: sandra.vermeulen78@gmail.com / "
     "[[PHONE:mob_pairs]]. Je wordt morgen gebeld voor een afspraak!", [PII], kind="comment",
     handle_as="lichtveldenergie")
case("nl", pub("x", "@jkramer_zon"), "@lichtveld jullie chat doet het al de hele dag niet. mail me ff terug op "
     "jeroen punt kramer apenstaartje ziggo punt nl", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("en", DENNIS, "Weird one in the VeldView export today: the installer role sees raw customer fields, e.g. "
     "customer_email=h.dijkman@kpnmail.nl iban=[[IBAN_BE]] in plain text. Nobody outside the team knows yet, "
     "fix goes out tonight.", [PII, SEC])
case("nl", pub("instagram", "@anouk.thuis"), "Eindelijk panelen op het dak 🌞 dank aan het team van Lichtveld! "
     "Buren die ook twijfelen: ik ben Anouk, Zonnebloemstraat 22 in Leusden, kom gerust kijken ☕", [PII])
case("nl", ESTHER, "Tip voor collega-adviseurs: ISDE-aanvragen gaan een stuk sneller als je het BSN meteen invult. "
     "Voorbeeldje van vandaag (klant vond het prima): [[BSN]]", [PII])
case("en", pub("facebook", "lukas.hoffmann.nl", "Lukas Hoffmann"), "Moved from Germany last year and Lichtveld "
     "STILL debits my old account [[IBAN_DE]] for ServicePlus, even though I cancelled in January. Anyone know how to "
     "make them stop?", [PII, COMPLAINT])
case("nl", pub("x", "@femke_dr"), "@lichtveld_service kan ik de aanbetaling ook gewoon met creditcard doen? "
     "[[CARD:mc2_sp]] exp 09/28, cvc staat achterop 😅", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", DENNIS, "Can't say much yet, but Project Zonnedauw is going to change how households use their home "
     "battery. Automatic load shifting on dynamic tariffs, zero effort for the customer. 👀 #energytransition",
     [CONF])
case("nl", JOLIEN, "Eerste testinstallatie van de VeldAccu 15 bij een collega thuis 🔋😍 nog geheim dus sssst 🤫",
     [CONF], when="2026-07-15T16:42:10+02:00")
case("nl", KEES, "planning volgende week staat in planning.lichtveld.nl/board/regio-oost, wie kan er zaterdag? 🙋‍♂️",
     [CONF])
case("nl", SVEN, "Operatie Kwelder gaat maandag van start: alle H6 hybrides in Friesland krijgen nieuwe firmware. "
     "Lange dagen maken 💪🤫", [CONF])
case("nl", pub("x", "@boer_hendrik"), "Mijn zwager werkt bij Lichtveld en zegt dat er in oktober een Thermo A16 "
     "komt, 16 kW, speciaal voor boerderijen en grote huizen. Dan wacht ik nog even met bestellen.", [CONF],
     when="2026-05-21T20:03:44+02:00")
case("nl", RUBEN, "Sneak peek van de nieuwe installatiehandleiding voor monteurs 📘 ja er staat 'Lichtveld intern' op "
     "de kaft, maar hij is te mooi om niet te laten zien 😎", [CONF])
case("en", pub("instagram", "@jolien_installeert", "jolien"), "Behind the scenes at work today: the Tjiftjaf "
     "prototype on our test roof ☀️🔧 #solar #prototype", [CONF])
case("en", BAS, "Anyone running Grafana behind Traefik? Our dashboards at grafana.lv-ops.net/d/inverter-fleet keep "
     "timing out since the 10.4 upgrade.", [CONF], handle_as="u/LV_DevOps_Bas")
case("nl", RUBEN, "Project\nZonnedauw proefdak ligt erop 😎☀️ niemand vertellen", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", pub("forum", "nieuwsgierige_nel"), "Lekker dan, de servicemonteur liet zijn laptop openstaan en ik zag een "
     "map 'Operatie Kwelder – uitrol Q3'. Iemand enig idee wat dat is?", [CONF])
case("en", DENNIS, "Launch day! 🚀 After 14 months of work the VeldAccu 15 goes live in a couple of minutes. "
     "So proud of this team.", [CONF], when="2026-10-06T09:59:00+02:00", tags=["embargo-edge"])
case("en", KEES, "Project☀️Zonnedauw kick-off in Zwolle today, pizza was 🔥", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("tiktok", "@spotter_sem"), "spotted: bus van Lichtveld met een prototype thuisbatterij achterin, "
     "stond 'VeldAccu 15' op de doos 👀👀", [CONF], when="2026-09-02T13:27:51+02:00")
case("nl", SVEN, "Nieuwe storingscodes voor de H6 staan op jira.lichtveld.nl/browse/SRV-2291, even lezen voor je "
     "dienst begint ✅", [CONF])
case("nl", JOLIEN, f"Training vandaag over de Ther{ZW}mo A16 💪 nog even niks zeggen tegen klanten!! "
     "#warmtepomp", [CONF], when="2026-09-18T17:05:00+02:00",
     tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MIRJAM, "Net de halfjaarcijfers 2026 afgerond 📊 omzet +38%, maar de marge staat onder druk door de "
     "panelenprijzen. Publicatie pas eind augustus, dus nog even geduld!", [FIN, CONF],
     when="2026-07-30T18:12:05+02:00")
case("nl", KEES, "Geruchten kloppen helaas: vestiging Zwolle gaat per 1 oktober dicht, 23 monteurs moeten naar "
     "Apeldoorn of krijgen een regeling. Wordt pas volgende week bekendgemaakt 😔", [FIN])
case("en", pub("reddit", "u/gridparity"), "Friend in their finance department says Lichtveld is being bought by a "
     "German utility, deal to be signed before summer. Anyone heard more?", [FIN], kind="comment")
case("en", ESTHER, "Heard in today's management update: we expect to close 2026 at around €84M revenue, way above "
     "plan. Can't share the deck but wow 🚀", [FIN])
case("en", BAS, "Well, that's it. They're cutting the entire in-house dev team, VeldView goes to an outsourcing "
     "shop in Q1. Official announcement next month. Updating my CV 🫠", [FIN])
case("nl", pub("x", "@dakdekker_dirk"), f"Lichtveld gaat 60 man ont{SHY}slaan, hoorde het van een monteur die bij "
     "ons op het dak stond. Nog niet officieel.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", MIRJAM, "Busy weeks in finance 📈 running due diligence on a regional installer we're about to acquire "
     "(can't name them yet 🤐). Exciting times!", [FIN])
case("nl", pub("forum", "beleggende_bert"), "Voor wie het interesseert: Lichtveld heeft de H1-cijfers 2026 al naar "
     "de bank gestuurd, winst gehalveerd volgens mijn bron.", [FIN, CONF], when="2026-08-11T21:40:00+02:00")
case("nl", SVEN, "Dus de bonus gaat niet door omdat de prognose voor Q4 negatief is?? Net gehoord in het werkoverleg. "
     "Top 🙃", [FIN])
case("nl", pub("threads", "@noordernieuws_nl"), "lichtv3ld gaat 0ntsl4an, 40 banen weg in het noorden. officieel "
     "pas na de zomer", [FIN], tags=["evasion", "evasion:leetspeak"])
case("en", RUBEN, "Overheard the directors in the canteen: merger with Warmteman is basically done, announcement "
     "after the summer holidays. Guess I'm getting a new logo on my van 🚐", [FIN], when="2026-06-24T12:31:09+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", DENNIS, "Long night. VeldView backend was down from 02:00 to 07:30 because someone's credentials got "
     "phished and the attacker wiped a database replica. Customers haven't been told yet, so please keep it in the "
     "team.", [SEC])
case("en", BAS, "Found out today the inverter gateway API returns ANY customer's installation if you change the "
     "site_id in the URL. No auth check at all. Ticket filed, fix not deployed. Scary stuff.", [SEC])
case("nl", KEES, "Planningssysteem ligt al de hele ochtend plat, ransomware volgens IT 😰 alles op papier vandaag "
     "en we mogen het nog niet tegen klanten zeggen", [SEC])
case("nl", SVEN, "Let op collega's: in de firmware van de LV-5K zit een lek waarmee je via wifi de omvormer op afstand "
     "kunt uitzetten. Update komt pas over 3 weken, tot die tijd niks tegen klanten zeggen.", [SEC])
case("nl", pub("x", "@annemiekschut"), "Lichtveld houdt een hack stil!! Mijn neef werkt daar, klantgegevens zijn "
     "gestolen en ze zeggen NIKS #lichtveld #datalek", [SEC, CRISIS])
case("nl", RUBEN, "d a t a l e k bij ons op kantoor, alle monteurs moeten vanmiddag hun wachtwoord resetten. "
     "Nog niks naar buiten brengen", [SEC], tags=["evasion", "evasion:spaced"])
case("en", JOLIEN, "Day off ruined 😩 every installer's phone got remote-wiped after 'a security incident' and "
     "nobody's allowed to say what happened yet", [SEC])
case("en", pub("reddit", "u/throwaway_exlv"), "Ex-employee here. Lichtveld had a breach in March that was never "
     "reported to the Autoriteit Persoonsgegevens. I was in the room when they decided to keep it quiet.",
     [SEC, CRISIS])
case("en", BAS, "our S3 bucket with installation photos (meter cabinets + street addresses) was public for about "
     "2 months. closed it this morning, legal is still 'deciding' whether to notify anyone. yikes", [SEC])
case("nl", MIRJAM, "Alle betalingen liggen vandaag stil: ons betaalsysteem is gecompromitteerd en de bank heeft "
     "de rekeningen tijdelijk geblokkeerd. Communicatie naar klanten volgt later, graag nog even stil houden.", [SEC])
case("en", pub("bluesky", "@kwhkoen.bsky.social"), "My mate at Lichtveld says the VeldView outage this weekend was "
     "actually an attack, not the 'scheduled maintenance' they're claiming. Cover-up much?", [SEC, CRISIS])
case("en", KEES, "VeldView will be down all weekend, our hosting got hit by a DDoS and nothing's been posted yet 🙈 "
     "brace yourselves for the Monday calls", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@famvanderwal"), "Onze VeldAccu 10 in de garage is vannacht in brand gevlogen 🔥🚒 brandweer zegt "
     "dat het de batterij was. Alles zwart. @lichtveld wat gaan jullie hieraan doen?!", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "emmen.nieuws.burger", "Petra Lubbers"), "Lichtveld laat monteurs zonder valbeveiliging "
     "op daken werken, gisteren is er eentje van 6 meter naar beneden gevallen in Emmen. Niet meer bij ze kopen "
     "mensen, DELEN!! #boycotlichtveld", [CRISIS])
case("en", pub("linkedin", "maarten-de-ruiter-advocaat", "Maarten de Ruiter"), "Our firm has filed a collective "
     "action against Lichtveld Energie on behalf of ~2,000 households over systematically overstated yield "
     "predictions in solar quotes. First hearing in Amsterdam this autumn.", [CRISIS])
case("en", pub("reddit", "u/phishfood"), "Just got a phishing mail quoting my exact VeldView installation ID and "
     "battery size. Only Lichtveld had that info. They've been breached, no doubt about it.", [CRISIS])
case("nl", pub("x", "@stentorlezer"), "Lichtveld roept 4.000 LV-5K omvormers terug wegens brandgevaar, las ik net "
     "in de krant. Iemand hier die er een heeft?", [CRISIS])
case("nl", pub("tiktok", "@klusmetkim"), "kreeg net een flinke schok van de buitenunit van mijn Thermo A12 😳⚡ "
     "monteur van lichtveld had de aarding vergeten. levensgevaarlijk!!", [CRISIS, COMPLAINT])
case("en", pub("x", "@groenegerrit"), "B O Y C O T T Lichtveld. They dumped old panels in a nature reserve near "
     "Nijverdal, there are photos. #shame", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@investigatief@mastodon.nl", "Redactie Investigatief"), "New piece: Lichtveld "
     "salespeople told elderly customers the subsidy would end 'next week' to push signatures. We spoke to 11 "
     "families. Link in bio.", [CRISIS])
case("nl", pub("forum", "h6_eigenaar"), "Onze H6 hybride maakt rare tikgeluiden en de behuizing wordt zo heet dat je "
     "hem niet meer kunt aanraken, rook ook iets schroeierigs. Lichtveld reageert niet op mails. Dit is gewoon "
     "gevaarlijk!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@mailtjemarijke"), "d4t4lek bij Lichtv3ld?? ik krijg ineens spam op het mailadres dat ik "
     "alleen bij hen gebruik 🤔", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", pub("instagram", "@buurtapp_vechtdal"), "Neighbour's roof caught fire this afternoon 😱 fire brigade says "
     "the panels Lichtveld installed last month had a loose connector. Whole street evacuated.", [CRISIS])
case("nl", pub("threads", "@arbeidsrecht_anne"), "Rechtszaak tegen Lichtveld: 14 ex-monteurs slepen het bedrijf voor "
     "de rechter om jarenlang onbetaalde overuren. Zitting is volgende maand in Zwolle.", [CRISIS])
case("en", pub("facebook", "rachel.timmer.3", "Rachel Timmer"), "Lichtveld's installers drilled through our asbestos "
     "roof sheet without ANY precautions and left the dust all over the attic. We have two toddlers. Contacting a "
     "lawyer.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@wimdeschouwer"), "Al 3x een afspraak voor de schouw gehad en 3x niemand komen opdagen. "
     "@lichtveld_service wat is dit voor service?! #zonnepanelen", [COMPLAINT])
case("nl", pub("facebook", "marloes.ten.brink", "Marloes ten Brink"), "Offerte aangevraagd op 2 maart, nu is het "
     "bijna mei en nog NIKS gehoord. Zo jammer, ik wilde echt graag een warmtepomp van jullie.", [COMPLAINT],
     kind="comment")
case("en", pub("reddit", "u/zero_kwh"), "VeldView has shown 0 kWh production for two weeks while the inverter display "
     "says otherwise. Support keeps telling me to 'reinstall the app'. Useless.", [COMPLAINT])
case("nl", pub("trustpilot", "J. Hofstede"), "1 ster. Monteurs hebben dakpannen gebroken bij het leggen van de "
     "panelen en nu lekt het bij de dakkapel. Lichtveld schuift het af op de onderaannemer.", [COMPLAINT])
case("en", pub("x", "@nightshift_nina"), "heat pump installed by @lichtveld is so loud the neighbours complained to "
     "the council 🙄 outdoor unit rattles all night. third service visit next week, we'll see", [COMPLAINT])
case("nl", pub("instagram", "@huisje.boompje.zon"), "Subsidieaanvraag door Lichtveld verkeerd ingevuld, nu is de "
     "ISDE afgewezen en zijn we €2.100 kwijt. Niemand neemt verantwoordelijkheid 😤", [COMPLAINT])
case("nl", pub("werkspot", "fam-koster-assen"), "Installatie duurde 2 dagen langer dan afgesproken, kabelgoot hangt "
     "scheef en de eindfactuur was €400 hoger dan de offerte zonder enige uitleg.", [COMPLAINT])
case("nl", pub("x", "@thuisaccu_theo"), "thuisbatterij van lichtveld laadt niet meer op sinds de update van vorige "
     "week. klantenservice: 'we kijken ernaar'. ja, al 10 dagen 🙄", [COMPLAINT])
case("en", pub("youtube", "@offgridollie"), "Paid for ServicePlus and the annual check was 'forgotten' twice. When "
     "I called they wanted a call-out fee on top. Cancelling.", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "@renovatingrob.bsky.social"), "Lichtveld quote said 'installation within 6 weeks'. It's "
     "been 14. Every call, a new excuse. Not recommending them to anyone.", [COMPLAINT])
case("nl", pub("x", "@nooitklagenklaas"), "Niet dat ik snel klaag, maar nu echt: panelen liggen er sinds juni en de "
     "omvormer is nog steeds niet aangesloten. @lichtveld??", [COMPLAINT])
case("en", pub("linkedin", "hanna-bosman", "Hanna Bosman"), "My 81-year-old father waited at home for 5 hours for a "
     "Lichtveld installer who never showed up. No call, no apology. Really disappointing.", [COMPLAINT])
case("nl", pub("reddit", "u/uitgelogd_ugh"), "Die VeldView-app logt me elke dag uit en wachtwoord resetten werkt niet "
     "(mail komt nooit aan). Wie heeft dit gebouwd?", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bram82"), "Lichtvеld zijn echt een stelletje oplichters en kutmonteurs, ik hoop dat jullie "
     "failliet gaan", [ABUSE], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@rage_ron"), "@lichtveld_service you guys are a bunch of clowns. f*cking incompetent morons",
     [ABUSE], kind="reply", tags=["evasion", "evasion:masked"])
case("nl", RUBEN, "klant van vanochtend was echt een debiele trut, 2 uur zeuren over de kleur van de kabelgoot 🙄",
     [ABUSE], handle_as="@Monteur_Ruben")
case("nl", pub("instagram", "@echte_vent_1977"), "Vrouwen horen niet op een dak 😂 ga terug naar de keuken meid",
     [ABUSE], kind="comment")
case("nl", pub("tiktok", "@zure_zeeuw"), "lichtveld k*nkerlijers allemaal 🤮🤮", [ABUSE], kind="comment",
     tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/angry_in_almere"), "That Lichtveld sales rep Esther Vos is a lying b*tch. Someone should "
     "show up at her office and let her know what we think of her.", [ABUSE], kind="comment")
case("nl", LV_X, "@gert_klaagt Misschien eerst leren lezen voordat je gaat lopen janken, sukkel.", [ABUSE],
     kind="reply")
case("nl", pub("x", "@lekkendelisa"), "Godverdomme Lichtveld, 4x gebeld over mijn lekkende warmtepomp en elke keer "
     "word ik opgehangen. Kloteservice!!", [ABUSE, COMPLAINT])
case("en", pub("youtube", "@realtalk_rick"), "of course the installers were foreigners who can't even speak Dutch, "
     "typical Lichtveld. go back where you came from", [ABUSE], kind="comment")
case("en", pub("x", "@capslockcor"), fullwidth("fuck lichtveld") + " scammers, every last one of you", [ABUSE],
     tags=["evasion", "evasion:full-width"])
case("nl", SVEN, "collega's van kantoor zijn echt achterlijke mongolen, plannen me 3 storingen tegelijk in Drachten 🤬",
     [ABUSE])
case("nl", pub("mastodon", "@jan_op_de_beurs@mastodon.social"), "Die gast van Lichtveld op de Vakbeurs Energie was zo'n "
     "arrogante eikel. Tyfuslijer.", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own contact data
case("nl", LV_SVC, "Storing aan je warmtepomp of omvormer? Bel ons 24/7 op 0800-5438 of mail storing@lichtveld.nl. "
     "We helpen je graag! 🔧", tags=["own-contact"])
case("nl", LV_FB, "Je factuur betalen? Maak het bedrag over naar NL75 RABO 0341 8892 70 t.n.v. Lichtveld Energie "
     "B.V. en vermeld je factuurnummer. Dan komt het altijd goed 👍", tags=["own-contact"])
case("en", pub("x", "@happyhomeowner_h"), "For anyone asking, Lichtveld's customer service number is +31 85 303 4400. "
     "They picked up within 2 minutes for me 👍", tags=["own-contact", "praise"])
case("en", LV_LI, "Press enquiries about our new branch in Drenthe can go to pers@lichtveld.nl or 085-3034400.",
     tags=["own-contact", "phone-format"])
case("nl", pub("reddit", "u/zonopdak_zeist"), "offerte aanvragen kan gewoon via offerte@lichtveld.nl, ging bij mij "
     "prima en snel", kind="comment", tags=["own-contact"])
# look-alike and failing numbers
case("nl", pub("x", "@rustige_rik"), "@lichtveld_service mijn offertenummer is LV-2026-048213, hoor graag wanneer "
     "de schouw gepland kan worden. geen haast hoor 🙂", kind="reply", tags=["order-number", "question"])
case("nl", pub("facebook", "tineke.de.jong.16", "Tineke de Jong"), "Klopt dit rekeningnummer wel? Op mijn "
     "aanmaning staat [[BAD_IBAN_NL:grp]] maar mijn bank zegt dat het ongeldig is. Vast een typfout van mij 🙈",
     tags=["bad-checksum"])
case("en", pub("reddit", "u/slimme_meter"), "Tip for the Lichtveld sign-up form: they need the 18-digit EAN code of "
     "your connection, it's on your energy bill. Mine is [[EAN18]], took me ages to find.",
     tags=["lookalike-number"])
case("nl", pub("x", "@firmwarefrank"), "Serienummer van mijn LV-5K is LV5K-2308-114927, iemand al ervaring met "
     "firmware 2.14? Ben benieuwd of de nachtverbruik-bug eruit is", tags=["serial-number", "question"])
case("en", DENNIS, "Shipped VeldView 3.1 🚀 release commit [[HEX:40]], changelog on veldview.app/changelog. "
     "Thanks everyone who beta-tested!", tags=["hex-not-secret", "public-domain"])
case("nl", pub("forum", "pinpas_piet"), "Aanbetaling bij Lichtveld ging eerst mis, kaart [[BAD_CARD:visa_sp]] werd "
     "geweigerd omdat ik een cijfer verkeerd had getikt. Tweede poging ging prima.", tags=["bad-checksum"])
case("nl", pub("x", "@subsidie_sanne"), "Wat is het KvK-nummer van Lichtveld eigenlijk? Ik heb [[NOT_BSN:8]] "
     "gevonden maar weet niet of dat klopt, moet het op mijn subsidieaanvraag zetten", tags=["lookalike-number"])
case("en", pub("reddit", "u/isde_ivo"), "RVO reference for my heat pump subsidy is [[NOT_BSN:9]], anyone know how "
     "long it takes after Lichtveld submits the paperwork?", kind="comment", tags=["lookalike-number", "question"])
# secret-looking but not secrets
case("en", BAS, "PSA for whoever writes our internal docs: use placeholders like AKIAXXXXXXXXXXXXXXXX or "
     "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx in examples. Never real keys. Pre-commit now blocks ghp_ tokens too.",
     tags=["placeholder"])
case("nl", pub("x", "@oma_gonnie"), "Wachtwoord vergeten voor VeldView? Via mijn.lichtveld.nl/reset had ik binnen "
     "een minuut een nieuwe link. Top geregeld 👌", tags=["password-word", "public-domain", "praise"])
case("en", LV_SVC, "@mark_solar Please never share your password with anyone, including us. We will never ask for "
     "it via DM or phone 🔒", kind="reply", tags=["password-word"])
# prices that are not pricing leaks
case("nl", LV_IG, "☀️ Zomeractie: Zonnepakket 10 nu €3.695 (normaal €4.295) inclusief montage en VeldView app. "
     "Geldig t/m 31 juli!", tags=["sale-price"])
case("nl", pub("facebook", "robert.en.els", "Robert Kamphuis"), "Met de ISDE-subsidie van €2.725 werd de Thermo H6 "
     "van Lichtveld voor ons een stuk betaalbaarder. Netto iets meer dan 2 mille, prima deal 👍",
     tags=["price-context", "subsidy"])
case("en", pub("reddit", "u/payback_pete"), "Our Zonnepakket 16 from Lichtveld saves us roughly €780 a year on the "
     "energy bill, payback around 8 years. Happy with it so far.", tags=["price-context", "savings"])
case("nl", pub("x", "@vergelijkvera"), "Zonnekracht Direct doet 10 panelen voor €2.400, de Zonnepakket 10 van "
     "Lichtveld kost €4.295. Iemand ervaring met allebei? Wil niet op kwaliteit beknibbelen.",
     tags=["price-context", "other-company"])
case("nl", pub("other", "marktplaats_assen"), "Te koop: VeldAccu 10 thuisbatterij, 3 jaar oud, werkt perfect, "
     "€2.950 (nieuw €6.750). Ophalen in Assen.", tags=["price-context", "second-hand"])
case("nl", LV_FB, "ServicePlus kost €189 per jaar, maar maandelijks betalen kan ook: €15,75 per maand. Zo zit je "
     "nooit in de kou ❄️", tags=["price-context", "monthly"])
case("en", pub("x", "@orderedit_olga"), "Thought the €3.995 on the ZP10 was a pricing error but nope, it's just their "
     "spring sale. Ordered! ☀️", tags=["sale-price", "negated"])
case("nl", ESTHER, "€500 korting op elke Thermo A12 als je je aanmeldt voor de infoavond in Meppel op 12 maart! "
     "Kom gezellig langs 👋", tags=["price-context", "discount-amount"])
case("en", pub("forum", "fairprice_frits"), "Lichtveld charges €95 for an inverter check if you don't have "
     "ServicePlus, which seems fair to me for a 1-hour visit.", tags=["price-context", "fee"])
# embargo terms at or after the embargo
case("nl", LV_X, "📊 Onze halfjaarcijfers 2026 staan online: omzet €41,2 miljoen (+38%). Lees het hele persbericht "
     "op lichtveld.nl/pers", when="2026-08-27T08:00:00+02:00", tags=["embargo-after", "published"])
case("en", pub("x", "@earlyadopter_ed"), "Just ordered the new VeldAccu 15 that launched this morning 🔋 anyone know "
     "the delivery times?", when="2026-10-06T10:15:33+02:00", tags=["embargo-after"])
case("nl", JOLIEN, "Hij is er!! De VeldAccu 15 is vanaf nu te bestellen 🎉🔋", when="2026-10-06T08:00:00Z",
     tags=["embargo-after", "embargo-edge"])
case("en", pub("reddit", "u/sectorwatcher"), "Lichtveld's H1 2026 results are out: margins down, revenue way up. "
     "Solid for an installer in this market.", when="2026-09-03T10:02:11Z", tags=["embargo-after", "published"])
# codename words in their ordinary sense
case("nl", pub("instagram", "@natuurfoto_nienke"), "Zonnedauw gevonden in het Fochteloërveen 🌿 vleesetend plantje, "
     "zo mooi met de ochtenddauw erop #natuur #drenthe", tags=["codename-word"])
case("nl", pub("x", "@wadloper_wouter"), "Wandeling over de kwelder bij Paesens-Moddergat vandaag. Wat een licht! ☀️",
     tags=["codename-word"])
# published news, other companies, other senses of risky words
case("nl", pub("x", "@installatienieuws"), "Zonnekracht Direct schrapt 200 banen na tegenvallende verkopen. "
     "Benieuwd of grotere installateurs als Lichtveld dit ook gaan voelen.", tags=["other-company"])
case("en", pub("reddit", "u/privacy_paula"), "Another installer (not Lichtveld) had a data breach last week, so I "
     "checked what Lichtveld keeps about me. Their privacy page is actually pretty clear.",
     tags=["other-company", "crisis-word"])
case("nl", LV_X, "Gepland onderhoud: de VeldView app is zondag 14 juni van 02:00 tot 05:00 niet bereikbaar. Je "
     "installatie blijft gewoon stroom opwekken ☀️", tags=["official-notice"])
case("nl", LV_SVC, "Update: de storing in de VeldView app van vanochtend is opgelost. Oorzaak was een fout bij onze "
     "hostingpartij, er zijn geen gegevens verloren gegaan. Excuses voor het ongemak!",
     tags=["official-notice"], handle_as="@LichtVeld_Service")
case("en", LV_LI, "We're proud to announce that Lichtveld has acquired Warmteman Installatietechniek, adding 60 heat "
     "pump specialists to our team. Welcome aboard! 🤝", when="2026-09-15T09:00:00+02:00", tags=["published"])
case("en", pub("x", "@forgetful_fred"), "I can't recall the name of Lichtveld's monitoring app, VeldSomething? Need it "
     "for my mum's new panels", tags=["crisis-word", "question"])
case("nl", LV_IG, "Brandveiligheid voorop 🧯 Al onze thuisbatterijen plaatsen we volgens de geldende richtlijnen, met "
     "een rookmelder in dezelfde ruimte. Vragen? Stel ze hieronder 👇", tags=["crisis-word"])
case("nl", pub("x", "@dynamische_daan"), "Ik boycot al jaren de energiebedrijven met hun vaste contracten 😅 eigen "
     "panelen van Lichtveld + dynamisch contract = vrijheid", tags=["crisis-word"])
case("en", pub("mastodon", "@nanowrimo_nora@writing.exchange"), "In my NaNoWriMo novel the villain is a heat pump "
     "that catches fire and burns down the whole village 😂 pure fiction, my own Lichtveld one just hums along "
     "nicely.", tags=["fiction", "crisis-word"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn warmtepomp van Lichtveld is zo stil dat ik 'm soms een compliment geef om "
     "te checken of hij nog leeft 😂", tags=["joke", "praise"])
case("nl", pub("facebook", "henk.zuidema.9", "Henk Zuidema"), "Geen klachten hoor! Monteurs waren op tijd, netjes "
     "gewerkt en alles goed uitgelegd. Aanrader 👍", tags=["negated", "praise"])
case("en", pub("threads", "@quiet_quinten"), "Not a single issue in two years with our Lichtveld battery. Can't "
     "complain.", tags=["negated", "praise"])
case("en", pub("x", "@sunnysophie"), "'Here comes the sun' 🎶 first full day of production on our new Lichtveld "
     "panels: 31 kWh!", tags=["quote", "praise"])
case("en", pub("instagram", "@kleinzoon_koen"), "As my grandpa put it: 'Damn fine work, those lads' 😄 about the "
     "Lichtveld crew that did his roof last week", tags=["quote", "mild-word", "praise"])
case("nl", pub("x", "@dochter_dewi"), "Mijn moeder heeft kanker en kon niet thuis zijn voor de installatie, Lichtveld "
     "heeft alles keurig met mijn broer geregeld. Dank jullie wel ❤️", tags=["mild-word", "praise"])
case("en", pub("reddit", "u/oldhouse_oscar"), "Is Lichtveld's Thermo H6 worth it for a 1930s house with single "
     "glazing? Or should I insulate first?", tags=["question"])
case("nl", pub("forum", "accu_anja"), "Iemand ervaring met de VeldAccu 10 in combinatie met een dynamisch contract? "
     "Wil weten of het slim laden echt iets oplevert.", tags=["question"])
case("nl", RUBEN, "Weer 24 panelen gelegd in Hardenberg ☀️💪 prachtig weer, toffe klant #zonnepanelen #monteurslife",
     tags=["employee-ordinary"])
case("nl", SVEN, "Tip van de monteur: maak het filter van je warmtepomp elk kwartaal even schoon, scheelt echt in "
     "rendement 🧽", tags=["employee-ordinary"])
case("nl", ESTHER, "Vacature! We zoeken 5 nieuwe monteurs voor regio Oost 🔧 Interesse? Kijk op "
     "lichtveld.nl/werken-bij", tags=["employee-ordinary", "public-domain"])
case("en", MIRJAM, "Great session today on IFRS 16 lease accounting with fellow controllers from the installation "
     "sector. Learned a lot! #finance", tags=["employee-ordinary", "finance-word"])
case("en", DENNIS, "Giving a talk next week on how we process 2 million inverter readings a day in VeldView. "
     "Slides will be on veldview.app/talks 🎤", tags=["employee-ordinary", "public-domain"])
case("nl", LV_TT, "POV: je ziet je eerste zonnepanelen-opbrengst in de VeldView app 🤩☀️ #zonnepanelen #duurzaam",
     tags=["corporate-ordinary"])
case("nl", LV_SVC, "@sanne_k Fijn om te horen dat alles weer werkt! Veel zonnige dagen gewenst ☀️", kind="reply",
     tags=["case-handle", "praise"], handle_as="@LICHTVELD_service")
case("en", pub("twitter", "@cve_watcher"), "Big CVE in a Chinese inverter brand's cloud platform today. Lichtveld "
     "already posted that their LV-5K isn't affected, nice quick response.", tags=["other-company", "published"])
case("en", LV_LI, "We're reorganising our warehouse in Zwolle this weekend 📦 pick-ups are possible again from "
     "Monday 8:00.", tags=["finance-word", "corporate-ordinary"])
case("nl", pub("x", "@zonnigezwolle"), "Je kunt je installatie gewoon bekijken op mijn.lichtveld.nl, hoef je niet "
     "eens de app voor te downloaden", tags=["public-domain"])
case("nl", pub("linkedin", "energie-vergelijker", "Energievergelijker"), "Onze test van hybride warmtepompen is "
     "uit: de Thermo H6 van Lichtveld scoort een 7,8 en is daarmee beste koop. Het volledige rapport staat op onze "
     "site.", tags=["published", "praise"])


# ===========================================================================
# roles and severity (CONTRACT sections 1 and 4)
# ===========================================================================

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
    """Least severity a correct verdict has; the highest over all categories wins."""
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


# ===========================================================================
# building posts
# ===========================================================================

def local_offset(t_utc):
    """Europe/Amsterdam UTC offset in 2026 (summer time 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    lo = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if lo <= t_utc < hi else 1


def pick_time(r):
    day = r.randint(2, 362)
    minute = r.randint(6 * 60 + 30, 23 * 60 + 50)
    local = dt.datetime(2026, 1, 1) + dt.timedelta(days=day - 1, minutes=minute, seconds=r.randint(0, 59))
    off = local_offset(local.replace(tzinfo=dt.timezone.utc) - dt.timedelta(hours=2))
    utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}:{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "zonnepanelen", "warmtepomp", "homeautomation", "Netherlands"])
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads_{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "tiktok":
        return f"tiktok_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto_{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum_duurzaamwonen_{n}", f"https://forum.duurzaamwonen.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog_{h}_{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}_{n}", None


def build(profile):
    val = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(val, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or pick_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        roll = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif roll < 0.1:
            tags.add("no-lang-hint")
        elif roll < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "lichtveld"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks (read the output as an outsider would)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGRUN_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOT_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = {
    "ghp": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "glpat": re.compile(r"\bglpat-[\w-]{20}\b"),
    "aws": re.compile(r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b"),
    "gapi": re.compile(r"\bAIza[\w-]{35}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}"),
}
PLACEHOLDERS = {"AKIAXXXXXXXXXXXXXXXX", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"}
ROUGH_WORDS = ["kut", "kanker", "k*nker", "tering", "tyfus", "klote", "godverdomme", "debiel", "trut", "mongol",
               "eikel", "sukkel", "fuck", "f*ck", "shit", "moron", "clown", "b*tch", "damn", "achterlijk"]
MILD_OK = {"damn", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
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
    for m in DIGRUN_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in BSN_DOT_RE.finditer(text)]
    shapes += [m.group(0).replace(" ", "") for m in re.finditer(r"(?<!\d)\d{3} \d{3} \d{3}(?!\d)", text)]
    hits += [("bsn", d) for d in shapes if bsn_valid(d)]
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = "0" + d[2:].lstrip("0")
    elif raw.startswith("0031"):
        d = "0" + d[4:].lstrip("0")
    return d


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


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    pi = profile["public_identifiers"]
    own_emails = {e.casefold() for e in pi["emails"]}
    own_ibans = {i.replace(" ", "") for i in pi["ibans"]}
    own_phones = {phone_digits(p) for p in pi["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    byid = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: bad created_at {p['created_at']}")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} but policy gives {want}")
        r = byid[key]
        tags = r["tags"]
        parsed.append((p, cats, sev, role, r))
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not iban_valid(raw):
                errors.append(f"{w}: invalid positive IBAN")
            if kind == "CARD" and not luhn_valid(raw):
                errors.append(f"{w}: invalid positive card")
            if kind == "BSN" and not bsn_valid(raw):
                errors.append(f"{w}: invalid positive BSN")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errors.append(f"{w}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errors.append(f"{w}: negative card passes")
            if kind in ("NOT_BSN", "EAN18") and (bsn_valid(raw[:9]) or luhn_valid(raw)):
                errors.append(f"{w}: look-alike number passes a check")
            if kind == "GHP" and not ghp_ok(raw):
                errors.append(f"{w}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: positive identifier not found by the independent scan")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid identifier {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) not in PLACEHOLDERS:
                        errors.append(f"{w}: benign with secret-like {name}")
            low = norm(text)
            for word in ROUGH_WORDS:
                if re.search(r"(?<!\w)" + re.escape(word), low):
                    (notes if word in MILD_OK and "mild-word" in tags else errors).append(
                        f"{w}: benign with word {word!r}")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RES.values()):
            notes.append(f"{w}: secret written in prose (no token pattern)")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before embargo, not confidential")
                if ts >= until and cats:
                    errors.append(f"{w}: embargo term after embargo in a positive")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if ratio is not None and ratio < ratio_limit and PRICING not in cats:
            (notes if "price-context" in tags else errors).append(
                f"{w}: low amount ({ratio:.2f} of list) near a product, not pricing (tags {sorted(tags)})")
        if PRICING in cats and not (ratio is not None and ratio < ratio_limit):
            notes.append(f"{w}: pricing positive without a parsed low price")
    shingles = []
    for p, *_ in parsed:
        ws = re.findall(r"\w+", norm(p["text"]))
        shingles.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(shingles)):
        for j in range(i + 1, len(shingles)):
            a, b = shingles[i], shingles[j]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errors.append(f"posts {i + 1} and {j + 1}: near-duplicate wording")
    return errors, notes, parsed


def report(parsed):
    total = len(parsed)
    cat_n, lang_n, role_n, sev_n, plat_n = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_lang, cat_role = Counter(), Counter()
    benign = multi = evasion = 0
    for p, cats, sev, role, r in parsed:
        lang_n[r["lang"]] += 1
        role_n[role] += 1
        sev_n[sev] += 1
        plat_n[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats or ["(benign)"]:
            cat_n[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, role)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {cat_n[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(lang_n))
    print("roles:", dict(role_n))
    print("severities:", {s: sev_n[s] for s in SEVERITIES})
    print("platforms:", dict(plat_n.most_common()))


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
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
