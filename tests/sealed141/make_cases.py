#!/usr/bin/env python3
"""Sealed evaluation set sealed141 for postwatch: generator and self-check.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Company: Zonnewerf Energie B.V. (profile.yaml), a fictional Dutch installer of solar
panels, inverters, home batteries and heat pumps (planning, subsidies, monitoring app).

Texts are hand-written below. Identifiers and secrets come from placeholders such as
<%IBAN_NL:grp%>, filled by one seeded RNG, so the output is reproducible byte for byte.
Positives get checksum-valid identifiers, hard negatives get look-alikes that fail.
Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 141_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "c": "\u0441"}


def cyr(word, letters):
    """Replace the given Latin letters by Cyrillic look-alikes."""
    return "".join(CYR[c] if c in letters else c for c in word)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and s % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


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
B64 = AN + "+/"
B64U = AN + "-_"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead else s

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB"]) + self.d(10))
        if cc == "BE":
            base = self.r.choice(["063", "310", "732", "001"]) + self.d(7, False)
            return iban_build("BE", f"{base}{(int(base) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["35450000", "32050000", "37010050"]) + self.d(10, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in range(1, 99):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.d(14, False), "mc": "5" + self.r.choice("12345") + self.d(13, False),
                  "mc2": str(self.r.randint(2221, 2720)) + self.d(11, False),
                  "amex": self.r.choice(["34", "37"]) + self.d(12, False)}[brand]
        for c in string.digits:
            if luhn_valid(prefix + c):
                return prefix + c
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            v = self.d(9)
            if elfproef(v):
                return v

    def not_bsn(self, n):
        while True:
            v = self.d(n)
            if not elfproef(v) and not luhn_valid(v):
                return v

    def ean(self):
        while True:
            b = "87" + self.d(10, False)
            v = next(b + c for c in string.digits if ean13_valid(b + c))
            if not luhn_valid(v):
                return v

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"      # no O in Dutch document numbers
        return self.s(letters, 2) + self.s(letters + string.digits, 6) + self.d(1, False)

    # phones
    def phone(self, f):
        m = self.r.choice("12345") + self.d(7, False)   # after 06
        area, sub = self.r.choice(["30", "33", "35", "318", "342", "55", "570"]), None
        sub = self.r.choice("2345789") + self.d(9 - len(area) - 1, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_plain": f"06{m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.s(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.s(AN + "-_", 20)

    def sendgrid(self):
        return "SG." + self.s(B64U, 22) + "." + self.s(B64U, 43)

    def aws_id(self):
        return "AKIA" + self.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.s(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.s(up, 8)}/B{self.s(up, 10)}/{self.s(AN, 24)}"

    def stripe(self):
        return "sk_live_" + self.s(AN, 24)

    def gapi(self):
        return "AIza" + self.s(B64U, 35)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT"})
        body = enc({"sub": "klant-" + self.d(7), "iss": "https://mijn.zonnewerf.nl", "scope": "monitor:read",
                    "iat": iat, "exp": iat + 900})
        return f"{head}.{body}.{self.s(B64U, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.s(B64, 55) + "\noAoGCCqGSM49AwEHoUQDQgAE" + self.s(B64, 40) + "\n" + self.s(B64, 22) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.s(string.ascii_lowercase, 4) + self.d(2, False)
                + self.r.choice("!#%*") + self.s(AN, 4))

    def hexs(self, n):
        return self.s("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<%([A-Z0-9_]+)(?::([a-z0-9_]+))?%>")


def fill(v, text):
    used = []

    def rep(m):
        k, f = m.group(1), m.group(2) or ""
        grp = lambda x: " ".join(x[i:i + 4] for i in range(0, len(x), 4))
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = v.iban(k[-2:])
            shown = grp(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = v.bad_iban("NL")
            shown = grp(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = v.card(brand) if k == "CARD" else v.bad_card(brand)
            shown = v.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = v.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif k == "NOT_BSN9":
            shown = raw = v.not_bsn(9)
        elif k == "KVK":
            shown = raw = v.not_bsn(8)
        elif k == "EAN13":
            shown = raw = v.ean()
        elif k == "PASSPORT":
            shown = raw = v.passport()
        elif k == "PHONE":
            shown = raw = v.phone(f)
        elif k == "HEX":
            shown = raw = v.hexs(int(f))
        else:
            shown = raw = {"GHP": v.ghp, "GLPAT": v.glpat, "SENDGRID": v.sendgrid, "AWS_ID": v.aws_id,
                           "AWS_SECRET": v.aws_secret, "SLACK_HOOK": v.slack_hook, "STRIPE": v.stripe,
                           "GAPI": v.gapi, "JWT": v.jwt, "PEM_EC": v.pem_ec, "PW": v.pw}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(rep, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
ZW_X = ("x", "@zonnewerf", "Zonnewerf")
ZW_HULP = ("x", "@zonnewerf_hulp", "Zonnewerf Klantenservice")
ZW_IG = ("instagram", "@zonnewerf.nl", "Zonnewerf")
ZW_LI = ("linkedin", "zonnewerf-energie", "Zonnewerf Energie B.V.")
ZW_FB = ("facebook", "ZonnewerfEnergie", "Zonnewerf Energie")
ZW_TT = ("tiktok", "@zonnewerf_official", "Zonnewerf")
# employees
LOTTE = ("x", "@lotte_legt_panelen", "Lotte Vermeulen")        # installer
BAS = ("linkedin", "bas-hendriks-planning", "Bas Hendriks")    # installation planner
MO = ("x", "@mo_codes_zw", "Mohamed Ouali")                    # developer, monitoring app
INGRID = ("linkedin", "ingrid-postma-zw", "Ingrid Postma")     # finance / subsidy desk
KEES = ("x", "@keesopdak", "Kees Dijkhuizen")                  # installer, crew lead
YARA = ("instagram", "@yara.zonadvies", "Yara Mulder")         # sales adviser
RUBEN = ("linkedin", "ruben-achterberg", "Ruben Achterberg")   # IT operations
JAN = ("reddit", "u/zw_warmtepompjan", None)                   # heat-pump technician


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []
PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle=None, hint=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOTTE, "Zit in de bus even de webshop te checken en de Kern 10 thuisbatterij staat er voor €699,- in 😳 "
     "dat is toch een nul te weinig?? iemand van e-commerce wakker?", [PRICING])
case("nl", pub("forum", "wattjes_willem"), "[Prijsfout?] Zonnewerf Stroomlijn 6K omvormer voor € 134,90\n\n"
     "Normaal ruim 1300 euro. In het winkelmandje gegooid en de iDEAL-betaling ging gewoon door. "
     "Iemand anders ook al een orderbevestiging binnen?", [PRICING])
case("nl", ZW_FB, "☀️ ZOMERKNALLER ☀️ Aurora Compleet 10 inclusief montage nu voor €1.995! "
     "Op = op, dus plan snel je dakscan 👉 zonnewerf.nl/zomer", [PRICING])
case("en", pub("reddit", "u/heatpumpnerd_nl"), "Is this real? Zonnewerf's site has the Warmtekracht 8 heat pump at "
     "€985. List is like 9.8k. Either a typo or somebody's getting fired lol", [PRICING], kind="comment")
case("en", BAS, "Heads-up team: the overnight catalogue sync from the ERP mangled a bunch of prices. Hybride 4 now "
     "shows €429 in the configurator and customers are already booking intake calls on it. Sales, please don't "
     "confirm any quotes today until this is fixed.", [PRICING])
case("nl", pub("tiktok", "@dakdeals_daan"), "aurora 430 panelen voor €21,90 PER STUK bij zonnewerf 😱😱 heb er 24 "
     "besteld, wie volgt?? #prijsfout #zonnepanelen #deal", [PRICING])
case("nl", pub("x", "@gratisstroom_ger"), cyr("prijsfout", "o") + " bij Zonnewerf!! SlimMeter dongle voor €5,90 😂 "
     "pak ze nu het nog kan", [PRICING], tags=["evasion", "evasion:cyrillic"])
case("nl", pub("threads", "@batterijbaas"), "pr1jsf0ut?? Kern10 voor 695 euro bij Zonnewerf, ik ga ervoor 🔋🔋",
     [PRICING], tags=["evasion", "evasion:leet"])
case("nl", MO, "Kern 10 staat sinds half 9 voor €699 live door mijn migratiescript 🙈 ticket: "
     "gitlab.zonnewerf.nl/webshop/catalogus/-/issues/812, hotfix gaat er vanmiddag in", [PRICING, CONF])
case("en", pub("x", "@cheapwatts"), "Just snagged a Stroomlijn 6K inverter from Zonnewerf for 99 euros. Pretty sure "
     "someone forgot a digit 😅 order confirmed, screenshots below", [PRICING], kind="reply")
case("nl", pub("facebook", "henk.baars.1961", "Henk Baars"), "Klopt het dat de Warmtekracht 8 warmtepomp nu 985 euro "
     "is bij Zonnewerf? Lijkt me een verkeerde prijs, normaal kost die bijna tien mille. Maar ja, besteld is besteld 🤷‍♂️",
     [PRICING])
case("nl", YARA, "Oeps 🙈 de configurator rekent de Kern 10 per ongeluk af voor €69,95 i.p.v. €6995, IT is ermee "
     "bezig. Wie vandaag offertes maakt: even handmatig checken!", [PRICING])
case("nl", pub("x", "@zonnigzeeland"), fullwidth("PRIJSFOUT") + " Zonnewerf: Aurora Compleet 10 voor €549 incl. "
     "installatie, dit kan niet kloppen toch 🤯", [PRICING], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MO, "CI keeps failing on the firmware-notes repo, 403 from api.github.com. "
     "curl -H \"Authorization: Bearer <%GHP%>\" works fine on my laptop 🤔 any ideas?", [SECRET])
case("nl", RUBEN, "Vrijdagmiddagvondst 🙃 In de offerte-mailer stond de SendGrid-sleutel gewoon hardcoded in de "
     "config:\n\nSENDGRID_API_KEY=<%SENDGRID%>\n\nMaandag verhuist alles naar de vault. #devops #opruimen", [SECRET])
case("nl", KEES, "Voor de nieuwe jongens in de ploeg: inloggen op het installateursportaal van de omvormers gaat met "
     "installatie@zw / Paneel!2026, daarna graag je eigen account aanvragen", [SECRET])
case("en", MO, "telemetry ingest is back 🎉 if you want to replay messages locally: "
     "mqtts://ingest_svc:<%PW%>@broker01.zw.internal:8883/site/+/power", [SECRET, CONF])
case("en", pub("blog", "lisadegraaf.security", "Lisa de Graaf"), "Decompiling the Zonnewerf Monitor Android app "
     "(v3.8.0) turned up an unrestricted Google Maps key: <%GAPI%>. It works from any referrer. I reported it via "
     "pers@zonnewerf.nl last week and have had no reply yet.", [SECRET])
case("nl", pub("forum", "tweakende_tim"), "App logt me elke 10 minuten uit. Met mitmproxy de sessie bekeken, dit is "
     "mijn token:\n<%JWT%>\nexp klopt gewoon, dus waarom gooit de Zonnewerf app me er steeds uit? Heel irritant",
     [SECRET, COMPLAINT])
case("en", LOTTE, "anyone got the webhook for #storingen? nvm found it: <%SLACK_HOOK%> 👍 gonna wire the van "
     "tablets up to post there", [SECRET])
case("nl", RUBEN, "Opruimactie op de oude buildserver. Deze sleutel gebruikten we vroeger voor de deploy van de "
     "planningsapp, gaat nu definitief de prullenbak in:\n<%PEM_EC%>", [SECRET])
case("nl", MO, "Token voor de nieuwe runner, verloopt over 30 dagen: <%GLPAT%> (gitlab.zonnewerf.nl/infra), "
     "niet misbruiken haha", [SECRET, CONF])
case("nl", ZW_HULP, "@frank_zwolle De betaallink werkt weer, excuses voor het ongemak! Debug-info voor de collega's: "
     "<%STRIPE%>", [SECRET], kind="reply", handle="@Zonnewerf_Hulp")
case("nl", KEES, "voor de nieuwe mannen: wachtw00rd van de bus-laptops is Dakgoot!2026 😅 niet op een post-it "
     "plakken aub", [SECRET], tags=["evasion", "evasion:leet"])
case("nl", pub("forum", "homeassistant_hans"), "Eindelijk de Zonnewerf Monitor gekoppeld aan Home Assistant 🎉 config "
     "voor wie het wil namaken:\n\nzonnewerf:\n  api_key: <%HEX:32%>\n  site_id: 48213\n\nWerkt top, elke 5 min "
     "een update.", [SECRET])
case("en", JAN, "Anyone else's heat pump telemetry bucket throwing AccessDenied? Using key <%AWS_ID%> with secret "
     "<%AWS_SECRET%> from the service config, worked fine yesterday.", [SECRET])
case("nl", pub("x", "@sandra_vdmeer"), "@zonnewerf_hulp ik kom al 3 dagen niet in de app!!! inlog is "
     "sandra.vd.meer@ziggo.nl met wachtwoord Zonnebloem88, wat doe ik fout??? dit is echt belachelijk",
     [SECRET, PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", BAS, "Planning morgen rond: 07:30 fam. Verhoeven, Lindelaan 7 in Houten (<%PHONE:land_dash%>), 18 panelen "
     "+ Stroomlijn 6K. Daarna door naar mevr. Ates, Ruysdaelstraat 112 in Utrecht. Kees en Lotte pakken de eerste 💪",
     [PII])
case("nl", KEES, "Klant in Barneveld doet al een uur niet open. Mevrouw Smit, als je dit leest: we staan voor je deur "
     "😅 ik bel je nog een keer op <%PHONE:mob_pairs%>", [PII], handle="@KeesOpDak")
case("nl", ZW_HULP, "@ellen_tuinman Hoi Ellen, de terugbetaling van je aanbetaling (€500) staat ingepland naar "
     "<%IBAN_NL:grp%>. Binnen 3 werkdagen op je rekening!", [PII], kind="reply")
case("nl", INGRID, "Vraagje aan het subsidieteam: de ISDE-aanvraag van dhr. Bakker loopt vast op het BSN. Ik heb "
     "<%BSN:dots%> ingevuld zoals op zijn formulier staat, maar RVO keurt het af. Wie weet raad?", [PII])
case("nl", pub("x", "@rkoster_apeldoorn"), "@zonnewerf_hulp Al 6 weken wacht ik op de terugstorting van mijn "
     "aanbetaling. Voor de 4e keer: mijn rekeningnummer is <%IBAN_NL%> t.n.v. R. Koster. Hoe moeilijk kan het zijn?!",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "wendy.dewit.3", "Wendy de Wit"), "Warmtepomp maakt sinds dinsdag een enorm kabaal en "
     "niemand van Zonnewerf belt terug. Mijn nummer is <%PHONE:mob_intl0%>, bel me AUB vandaag nog, de buren worden gek",
     [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@nijkerkse_nel"), "Zag net de Zonnewerf-bus staan bij Gerrit Bosman, Molenweg 21 in Nijkerk. "
     "Die heeft dus ook panelen genomen, de opschepper 😂", [PII])
case("nl", YARA, "Weer een blije klant 🥳 Offerte voor Anouk staat klaar! Anouk, stuur je even een bevestiging naar "
     "anouk.devries94@gmail.com? Dan plannen we de dakscan in #zonnepanelen #thuisbatterij", [PII])
case("nl", ZW_FB, "Beste meneer Hoekstra, we hebben uw dossier gevonden: geboortedatum 17-08-1953, installatieadres "
     "Beukenlaan 4 in Epe. Onze planner neemt deze week contact met u op.", [PII], kind="reply")
case("en", INGRID, "Finance folks, the deposit for the Kern 10 order from Mr. Peeters failed. Card on file is "
     "<%CARD:visa_sp%> exp 09/28, can someone retry it manually? He's been waiting a week.", [PII])
case("nl", pub("reddit", "u/twijfelende_thijs"), "Zonnewerf vraagt voor de financiering van mijn warmtepomp een kopie "
     "van mijn paspoort. Het nummer is <%PASSPORT%>, is het normaal dat ze dat via whatsapp willen?", [PII])
case("nl", BAS, "Klant wil zijn offerte nog even gemaild hebben, kan iemand van sales dat oppakken? "
     "r.dijkstra [at] kpnmail [punt] nl, Ruud Dijkstra uit Zwolle", [PII], tags=["evasion", "evasion:at-punt"])
case("nl", pub("facebook", "sofie.claes.gent", "Sofie Claes"), "Al twee maanden wacht ik op mijn terugbetaling van "
     "Zonnewerf voor de geannuleerde thuisbatterij. Rekeningnummer nog eens voor de zekerheid: <%IBAN_BE:grp%>. "
     "Dit is echt schandalig traag.", [PII, COMPLAINT])
case("nl", INGRID, "Duitse klant (Herr Becker uit Kleve) heeft dubbel betaald voor zijn Hybride 4. Terugstorten naar "
     "<%IBAN_DE%> graag vóór vrijdag, anders hebben we een klacht te pakken.", [PII])
case("nl", pub("forum", "isde_ilse"), "Hoe vul ik mijn BSN in bij het subsidieformulier van Zonnewerf? Ik heb nu "
     "<%BSN:sp%> ingevuld maar het veld blijft rood. Met of zonder spaties?", [PII])
case("nl", KEES, "Mevrouw Jansen uit Lunteren wordt vandaag 80 (geboren 12 mei 1946) en kreeg van ons 14 panelen op "
     "de Bosweg 3 🎂☀️ wat een schat van een vrouw", [PII])
case("en", pub("x", "@tmorgan_utrecht"), "@zonnewerf charged my card twice for the battery deposit. Here's the full "
     "number so you can find it: <%CARD:amex_sp%>. Sort it out please.", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "Vanmiddag de eerste testinstallatie voor Project Zilvermeeuw gedaan bij een collega thuis. Als "
     "dit werkt gaan de concullega's huilen 😏", [CONF])
case("en", KEES, "Operatie Windhoos starts Monday: every crew does 2 roofs a day instead of 1.5. wish us luck 😬",
     [CONF])
case("en", MO, "Helios Core demo went great today, the EMS shifted the heat pump load to the cheap hours all by "
     "itself 🤯 can't wait till we're allowed to talk about it", [CONF])
case("nl", BAS, "Voor wie in regio Noord plant: de nieuwe capaciteitsweergave staat op "
     "planbord.zonnewerf.nl/regio/noord, graag vanaf nu daar je bussen inschieten.", [CONF])
case("en", RUBEN, "Proud of our new observability setup: every inverter heartbeat now lands in "
     "grafana.zw.internal/d/fleet-health 📈 took us three sprints but worth it", [CONF])
case("nl", YARA, "STRIKT INTERN maar ik kan het niet laten 🤭 vanaf oktober krijgen dealers 12% provisie op elke "
     "thuisbatterij. Wie wil er dealer worden? DM me", [CONF])
case("en", pub("reddit", "u/sprinter_stories"), "Someone left a printed deck titled 'ZONNEWERF CONFIDENTIAL - "
     "roadmap 2027' on a train seat in Utrecht. Slide 3: they're dropping the Hybride 4 next year.", [CONF])
case("nl", KEES, "Net de eerste Kern 15 in handen gehad, 15 kWh in hetzelfde kastje als de Kern 10. Die gaat hard "
     "lopen na de lancering 🔋", [CONF], when="2026-08-20T16:12:44+02:00")
case("nl", pub("x", "@wachtenopwarmte"), "Hoorde van mijn installateur dat Zonnewerf in september de Warmtekracht 12 "
     "uitbrengt, ik ga denk ik nog even wachten met bestellen...", [CONF], when="2026-07-02T21:05:10Z")
case("nl", LOTTE, "Over een paar minuten mag het eindelijk de wereld in: de Kern 15!! 🔋🎉 klaar voor de livestream",
     [CONF], when="2026-09-15T09:59:30+02:00", tags=["embargo-edge"])
case("nl", INGRID, "Eerste ruwe doorrekening van de jaarcijfers 2026: omzet +22%, marge eindelijk boven de 6%. Dat "
     "wordt een mooi feestje in maart 🥂", [FIN, CONF], when="2026-11-26T18:40:00+01:00")
case("nl", MO, "Nachtje doorgehaald voor Project\nZilvermeeuw 😵‍💫 demo staat morgen om 9", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", KEES, "Operatie 🌪️ Windhoos week 2: 11 daken in 4 dagen met 2 ploegen, wie doet ons wat 💪", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("forum", "zonnepiet_ut"), "Kreeg dit doorgestuurd van een kennis: PDF met in de voettekst 'niet voor "
     "externe verspreiding', de dealerprijslijst van Zonnewerf voor 2027. Inkoop Aurora 430 €176 per stuk, best scherp.",
     [CONF])
case("en", pub("instagram", "@lotte_legt_panelen", "Lotte Vermeulen"), "sneak peek from the warehouse: Helios Core "
     "controller boxes stacked to the ceiling 👀 #solarlife #installerlife", [CONF], tags=["handle-other-platform"])
case("nl", JAN, "Mag eigenlijk nog niks zeggen, maar we testen al maanden een hybride warmtepomp voor appartementen "
     "die pas volgend voorjaar wordt aangekondigd. Fluisterstil ding, eindelijk eens.", [CONF],
     tags=["unreleased-product"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", INGRID, "Tussenstand oktober: omzet thuisbatterijen 31% onder budget, warmtepompen houden het een beetje "
     "overeind. Nog niet gepubliceerd natuurlijk, maar het wordt een lastig Q4.", [FIN],
     when="2026-11-03T17:45:12+01:00")
case("nl", KEES, "Vandaag van de regiomanager gehoord dat er na de zomer 30 monteurs uit moeten. Ik zit er "
     "waarschijnlijk bij 😞", [FIN])
case("en", MO, "Can't say much but we're deep in talks to buy WarmteWinst. Their whole heat pump crew would come "
     "over to us. Exciting times 👀", [FIN])
case("nl", pub("x", "@insider_ingeborg"), "Zwager werkt bij Zonnewerf: ze worden overgenomen door een Noorse "
     "energiereus, de deal wordt over 2 weken bekendgemaakt. Je hoort het hier eerst 🤫", [FIN])
case("nl", INGRID, "Onze interne forecast voor 2027 gaat uit van 40% minder panelenomzet zodra de salderingsregeling "
     "stopt. Tijd om vol in te zetten op warmtepompen en batterijen.", [FIN])
case("nl", BAS, f"Vandaag gehoord: regio Zuid gaat dicht, de re{ZWSP}organi{ZWSP}satie wordt na de bouwvak "
     "aangekondigd. 40 man. Ik weet even niet wat ik moet zeggen.", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", RUBEN, "Board signed off on closing the Groningen branch this morning. 25 people affected, comms go out "
     "in two weeks. Rough day.", [FIN])
case("nl", INGRID, "STRIKT INTERN: Q3-marge komt uit op 4,1% tegen 7% begroot. Directie wil de inkoop van panelen "
     "met een kwart terugschroeven.", [FIN, CONF],
     when="2026-10-09T08:31:40Z")
case("en", INGRID, "We'll breach the bank covenant at year end unless the refinancing comes through. Talks with the "
     "lenders are ongoing, fingers crossed.", [FIN])
case("en", pub("reddit", "u/hr_whispers"), "A friend in their HR told me Zonnewerf will announce layoffs in the heat "
     "pump division next week, something like 60 roles.", [FIN], kind="comment")
case("nl", KEES, "0vername door die Duitse groothandel is rond zeggen ze op kantoor, maandag wordt het officieel 🤐",
     [FIN], tags=["evasion", "evasion:leet"])
case("nl", YARA, "Bonussen dit jaar geschrapt want de H1-cijfers zijn dramatisch, zei de directeur net in de "
     "kantine. Wordt pas in september gepubliceerd.", [FIN],
     when="2026-07-08T12:52:03+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", MO, "Not public yet but someone got into the Monitor backend last night and pulled the customer table. "
     "Still figuring out how much. Please don't ask me about it 😬", [SEC], handle="@Mo_Codes_ZW")
case("nl", RUBEN, "Rotweek: ransomware op onze planningsserver, alle installatieafspraken van volgende week zijn weg. "
     "Klanten weten nog van niks, we proberen het stil op te lossen.", [SEC])
case("nl", LOTTE, "Vandaag ontdekt: elke Stroomlijn 6K die we het afgelopen jaar hebben geplaatst heeft de "
     "wifi-hotspot open staan met het fabriekswachtwoord. Iedereen op straat kan erop. Gemeld, maar er gebeurt niks",
     [SEC])
case("en", MO, "found out today you can read any customer's solar yield in our API just by incrementing the site id "
     "🤦 fix lands next sprint, so… shh", [SEC])
case("nl", JAN, "Monitor-app ligt er al sinds vannacht uit, database corrupt. Officieel bericht komt pas morgen "
     "zeggen ze, dus daarom zie je je data niet.", [SEC], kind="comment")
case("nl", pub("x", "@boos_in_bunnik"), "Zonnewerf houdt een hack stil!! Mijn installatieadres en telefoonnummer "
     "staan op een Telegram-kanaal en ze ontkennen alles #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/former_zw_dev"), "Zonnewerf is covering up a breach. An ex-colleague says the customer "
     "DB was dumped in March and management decided not to notify the regulator. Shameful.", [SEC, CRISIS])
case("nl", KEES, "we zijn geh4ckt, hele CRM op slot. Niks tegen klanten zeggen zei de baas 🙊", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", RUBEN, "Confession of the week: the admin panel of our inverter fleet portal has been reachable from the "
     "internet without MFA for months. Closing it tonight, nobody outside knows.", [SEC])
case("nl", BAS, "Drie collega's hebben hun inlog ingevuld op een nep-Microsoft-pagina en de aanvaller heeft twee "
     "dagen in ons klantsysteem rondgekeken. Wordt voorlopig niet gemeld.", [SEC])
case("en", MO, "smh the " + cyr("monitor", "o") + " app " + cyr("database", "a") + " got leaked and we haven't "
     "told anyone yet", [SEC], tags=["evasion", "evasion:cyrillic"])
case("nl", pub("forum", "omvormer_onderzoek"), "Ik doe firmware-onderzoek: de Zonnewerf Stroomlijn 6K accepteert "
     "ongesigneerde updates over het lokale netwerk. Iedereen op je wifi kan je omvormer overnemen. Nog nergens "
     "gepubliceerd.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "marco.hendrikx.7", "Marco Hendrikx"), "Vannacht is onze Kern 10 in de garage in brand "
     "gevlogen. Brandweer zegt dat de batterij het begin was. Gelukkig niemand gewond maar de garage is weg. "
     "Zonnewerf reageert nergens op.", [CRISIS, COMPLAINT])
case("en", pub("x", "@apeldoorn_live"), "Fire crews in Apeldoorn say a house fire started at a solar installation "
     "fitted by Zonnewerf last spring. The family got out safely.", [CRISIS])
case("nl", pub("x", "@klaar_met_zw"), "BOYCOT ZONNEWERF. Ze laten oude mensen tekenen voor batterijen die ze niet "
     "nodig hebben. Deel dit! #boycotzonnewerf", [CRISIS])
case("nl", pub("linkedin", "mr-eva-lammers"), "Stichting Eerlijk Zonnestroom stapt naar de rechter: honderden "
     "klanten van Zonnewerf voelen zich misleid over de terugverdientijd van hun panelen. De dagvaarding is vandaag "
     "betekend.", [CRISIS])
case("en", pub("reddit", "u/dc_isolator_dave"), "Is Zonnewerf recalling the Stroomlijn 6K? Got a letter saying mine "
     "has a faulty DC isolator that might overheat. Anyone else?", [CRISIS])
case("nl", pub("x", "@petra_phishing"), "Sinds ik klant ben bij Zonnewerf krijg ik phishing-sms'jes met mijn exacte "
     "installatiedatum en adres. Die hebben gewoon mijn gegevens gelekt, zeker weten.", [CRISIS])
case("nl", pub("facebook", "buurtapp.de.horst", "Buurtapp De Horst"), "Net een ambulance en traumaheli in onze "
     "straat: een monteur van Zonnewerf is van het dak gevallen. Geen steiger, geen lijn, niks. Hoe kan dit?",
     [CRISIS])
case("nl", pub("x", "@tv_kijker_tineke"), "Zembla vanavond: Zonnewerf liet ongediplomeerde onderaannemers "
     "warmtepompen plaatsen en vroeg er wel ISDE-subsidie voor aan. Schandalig.", [CRISIS])
case("en", pub("x", "@gareth_in_gouda"), "My Zonnewerf heat pump gave me a proper electric shock when I touched the "
     "outdoor unit in the rain. Nobody from Zonnewerf has called back in 4 days.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@anti_zw"), "Iedereen: b o y c o t Zonnewerf. Ze lachen je uit zodra je getekend hebt.",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@gegevens_gerda"), "Zonnewerf d4t4l3k: mijn klantnummer en adres stonden gewoon in een "
     "openbare spreadsheet 🤬", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@labourwatch_nl"), "Former Zonnewerf installers are suing the company over years of unpaid "
     "overtime and unsafe roof work. First hearing is next month.", [CRISIS])
case("nl", pub("reddit", "u/meterkast_mieke"), "Omvormer in de meterkast (Stroomlijn 6K, vorig jaar door Zonnewerf "
     "geplaatst) stonk naar verbrand plastic en het kastje was gloeiend heet. Uitgezet, nu wachten op een monteur die "
     "maar niet komt.", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@huize_vd_brink"), "Dit is wat er over is van ons dak na de brand 💔 de aansluiting van "
     "de panelen zat los volgens de expert. Zonnewerf, waar blijft jullie reactie?", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@moeder_van_drie"), "@zonnewerf installatie voor de DERDE keer verzet. Vrij genomen, oppas "
     "geregeld, en dan om 7:15 een sms'je dat de ploeg 'elders nodig is'. Echt klaar mee.", [COMPLAINT])
case("nl", pub("facebook", "ton.verbeek.52", "Ton Verbeek"), "Sinds de update van de Monitor-app zie ik al drie weken "
     "geen opbrengst meer, alleen een draaiend wieltje. Vier keer gemaild, nul reactie.", [COMPLAINT])
case("en", pub("x", "@waiting_wim"), "Day 12 of waiting for @zonnewerf_hulp to answer a single email. The inverter "
     "shows error F21 and the panels have produced nothing since.", [COMPLAINT])
case("nl", pub("forum", "warmtepomp_wouter"), "Zonnewerf zou de ISDE-aanvraag voor mijn warmtepomp regelen. Blijkt "
     "nooit ingediend, termijn verlopen, 3.000 euro subsidie mis. En nu 'kunnen ze daar niks aan doen'.", [COMPLAINT])
case("nl", pub("x", "@druppel_op_zolder"), "Eerste regenbui na de installatie en het lekt bij de dakdoorvoer. "
     "Zonnewerf zegt 'dat komt niet door ons'. Nou, voordat jullie kwamen zat er geen gat in mijn dak.", [COMPLAINT])
case("nl", pub("trustpilot", "J. van Loon"), "Buitenunit van de Hybride 4 bromt zo hard dat de buren al geklaagd "
     "hebben. Monteur kwam, luisterde vijf minuten, 'valt binnen de norm'. Fijn. 2 sterren.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("reddit", "u/battery_blues"), "Zonnewerf technician was a no-show twice now. Battery stuck at 0% for "
     "two weeks. Customer service just reads from a script.", [COMPLAINT])
case("nl", pub("twitter", "@factuur_frits"), "Factuur van Zonnewerf is €840 hoger dan de offerte 'vanwege extra "
     "kabelwerk'. Niemand heeft dat met mij overlegd.", [COMPLAINT])
case("en", pub("x", "@allblack_anna"), "Paid for full-black panels, got the ones with silver frames. @zonnewerf says "
     "swapping them will take 'a few months'. Not what I ordered.", [COMPLAINT])
case("nl", pub("threads", "@wachtmuziek_walter"), "Zönnewerf = slëchtste klantenservice ooit. 40 minuten in de wacht "
     "en daarna gewoon opgehangen 🙄", [COMPLAINT], tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@reclamehater"), "Zonnewerf, stelletje tyfuslijers. Jullie reclames op YouTube zijn nog "
     "irritanter dan jullie zelf.", [ABUSE])
case("en", pub("x", "@angrybird_bob"), "fuck Zonnewerf and every clown who works there", [ABUSE])
case("nl", pub("x", "@wachtende_wouter"), "kutbedrijf. 3 maanden wachten op een warmtepomp die er nog steeds niet is, "
     "en jullie klantenservice is een stel debielen", [ABUSE, COMPLAINT])
case("en", pub("facebook", "derek.oconnell.nl", "Derek O'Connell"), "You absolute idiots. Battery fitted in the wrong "
     "spot and now the app can't even see it. Zonnewerf couldn't organise a piss-up in a brewery.",
     [ABUSE, COMPLAINT], kind="comment")
case("nl", KEES, "Klant van vanochtend was zo'n debiele zeikerd die alles beter wist. Ga dan lekker zelf op je dak "
     "klimmen, sukkel.", [ABUSE])
case("nl", ZW_HULP, "@boze_bert Als u zo doet kunnen we u niet helpen. Misschien eerst even leren lezen, sukkel.",
     [ABUSE], kind="reply")
case("nl", pub("x", "@dakhater"), "Die Lotte van Zonnewerf is echt een domme trut, ze moet van daken afblijven. Ik "
     "weet waar ze werkt 😡", [ABUSE])
case("nl", pub("facebook", "geert.vanderplas", "Geert van der Plas"), "Zonnewerf stuurt alleen nog buitenlanders die "
     "geen woord Nederlands spreken. Ga toch terug naar je eigen land.", [ABUSE], kind="comment")
case("nl", pub("x", "@scheldkanon"), "Zonnewerf is een k*tclub vol t y f u s lijers", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/rage_quit_rick"), "zonnewerf support are f4cking 1diots, every single one of them",
     [ABUSE], kind="comment", tags=["evasion", "evasion:leet"])
case("en", MO, "WarmteWinst's engineers are braindead morons, seen three of their installs this week, absolute "
     "garbage 🤮", [ABUSE])
case("en", pub("x", "@nastynick"), "@zonnewerf your installer Kees is a worthless piece of shit. hope he falls off "
     "the next roof", [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", ZW_X, "Vragen over je panelen, omvormer of thuisbatterij? Bel ons gratis op 0800-7767 of mail naar "
     "klantenservice@zonnewerf.nl. We zitten van 8 tot 18 uur voor je klaar ☀️", tags=["own-contact"])
case("nl", ZW_HULP, "@marloes_b Vervelend dat je er niet uitkomt! Bel even met 030 207 44 00, dan kijkt een collega "
     "direct met je mee 👍", kind="reply", tags=["own-contact"])
case("nl", ZW_FB, "Liever per overschrijving betalen? Dat kan naar NL23 RABO 0331 4567 89 t.n.v. Zonnewerf Energie "
     "B.V., onder vermelding van je offertenummer.", tags=["own-contact"], handle="zonnewerfenergie")
case("nl", ZW_X, "Storing: de Monitor-app toont op dit moment geen actuele opbrengst. Je panelen leveren gewoon "
     "stroom, alleen de weergave hapert. Updates via status.zonnewerf.nl", tags=["official-notice"])
case("nl", ZW_IG, "Nu 15% korting op de Kern 10 thuisbatterij 🔋 van €6.995 voor €5.946, alleen in juni. Link in bio!",
     tags=["sale"], when="2026-06-03T09:00:00+02:00")
case("nl", ZW_FB, "Geen grote investering nodig: de Warmtekracht 8 heb je al vanaf €79 per maand met onze lease. "
     "Vraag een adviesgesprek aan op zonnewerf.nl", tags=["price-context"])
case("nl", ZW_LI, "Goed nieuws voor wie wil verduurzamen: op de Warmtekracht 8 krijg je tot €3.700 ISDE-subsidie "
     "terug. Wij regelen de aanvraag voor je.", tags=["price-context"])
case("nl", ZW_LI, "Vandaag publiceerden we onze halfjaarcijfers: omzet +14% en 2.300 nieuwe warmtepompklanten. Het "
     "volledige persbericht staat op zonnewerf.nl/pers", tags=["published"], when="2026-08-12T07:30:00Z")
case("nl", ZW_LI, "De jaarcijfers 2025 staan online 📄 een recordjaar voor thuisbatterijen. Lees het jaarverslag op "
     "zonnewerf.nl/jaarverslag", tags=["published", "embargo-near-miss"], when="2026-03-04T08:00:00+01:00",
     handle="Zonnewerf-Energie")
case("nl", ZW_IG, "Hij is er! De Kern 15 thuisbatterij: 15 kWh in hetzelfde formaat als de Kern 10. Bestel hem nu "
     "via de link in bio 🔋⚡", tags=["after-embargo"], when="2026-09-22T12:00:00+02:00")
case("en", ZW_X, "It's official: meet the Kern 15 and the Warmtekracht 12 🎉 more storage, quieter heat. Full specs on "
     "zonnewerf.nl", tags=["after-embargo", "embargo-edge"], when="2026-09-15T10:00:00+02:00")
case("nl", ZW_LI, "Onze monteurs hadden deze week hun jaarlijkse brandveiligheidstraining 🧯 veilig werken op het dak "
     "begint bij goede voorbereiding.", tags=["brand-word"])
case("nl", ZW_LI, "We zoeken 10 nieuwe monteurs in regio Oost! Interesse? Stuur je cv naar werkenbij@zonnewerf.nl 👷‍♀️",
     tags=["own-contact"])
case("nl", ZW_FB, "Ons team fietst in juni mee met Alpe d'HuZes voor KWF Kankerbestrijding 🚴 Sponsor ons via de "
     "link!", tags=["mild-word"])
case("nl", LOTTE, "18 panelen op een rijtjeshuis in Zeist gelegd vandaag, strak in het zwart ☀️ wat een uitzicht "
     "vanaf daarboven", tags=["ordinary"])
case("en", MO, "shipped dark mode for the Monitor app 🌙 the graph bug fix is commit 9f3b2c7e41d0a8b6c2e5 if you're "
     "into that sort of thing", tags=["git-sha"])
case("nl", RUBEN, "Tip voor developers die met onze open API aan de slag gaan: zet je sleutel in een .env als "
     "ZW_API_KEY=<jouw-sleutel-hier> en nooit in je code. Docs staan op zonnewerf.nl/developers", tags=["placeholder"])
case("nl", KEES, "Een zilvermeeuw heeft net mijn broodje van het dak gejat 😂 brutaalste collega die we ooit gehad "
     "hebben", tags=["bird"])
case("nl", LOTTE, "Geen dakwerk vandaag, er is een windhoos voorspeld. Veiligheid eerst, morgen gaan we weer los 💨",
     tags=["codename-near-miss"])
case("en", RUBEN, "Ran our yearly phishing awareness training today. 94% of colleagues reported the test mail, proud "
     "of this team 🎣", tags=["security-talk"])
case("nl", YARA, "Aurora Compleet 10 nu voor €4.695 inclusief montage ☀️ normaal €5.495. Plan je gratis dakscan via "
     "de link in bio", tags=["sale"])
case("nl", BAS, "Trots op onze interne opleiding: 12 nieuwe planners zijn vandaag geslaagd 🎓", tags=["marker-near-miss"])
case("en", MO, "checkout validation works ✅ typed <%BAD_CARD:mc_sp%> into the test form and it correctly says "
     "'invalid card number'", tags=["bad-checksum"])
case("nl", JAN, "Voor vragen over je warmtepomp kun je gewoon mailen naar planning@zonnewerf.nl, dan plant de "
     "binnendienst een monteur in. Niet via DM graag 🙂", tags=["own-contact"], kind="comment")
case("nl", ZW_HULP, "@gijs_h Je kunt je vraag ook mailen naar klantenservice@zonnewerf.nl, vermeld dan even je "
     "ordernummer. Fijne dag! ☀️", kind="reply", tags=["own-contact"])
case("en", ZW_X, "Scheduled maintenance: the Zonnewerf Monitor app will be offline Sunday 02:00-04:00 CET. Your "
     "system keeps producing as usual.", tags=["official-notice"])
case("nl", ZW_LI, "Zonnewerf Energie B.V. | KvK <%KVK%> | Vestigingen in Utrecht, Zwolle en Breda | zonnewerf.nl",
     tags=["bad-checksum"])
case("nl", ZW_TT, "POV: je eerste zonnige dag met 20 panelen op het dak ☀️📈 wat zegt jouw Monitor-app vandaag? "
     "#zonnewerf #zonnepanelen", tags=["ordinary"])
# public
case("nl", pub("x", "@tevreden_tessa"), "Geen klachten over Zonnewerf, echt niet. Monteurs waren op tijd, ruimden "
     "alles op en de app werkt gewoon. Zo hoort het 👌", tags=["negation"])
case("nl", pub("forum", "twijfelaar_tom"), "Weet iemand hoe lang de levertijd van de Kern 10 nu is bij Zonnewerf? Ik "
     "twijfel tussen nu bestellen of na de zomer.", tags=["question"])
case("nl", pub("x", "@nieuwsjunkie_nina"), "Datalek bij PaneelPartner, 40.000 klanten getroffen. Blij dat ik bij "
     "Zonnewerf zit eerlijk gezegd", tags=["other-company"])
case("nl", pub("reddit", "u/rekenmeester"), "PaneelPartner vraagt €2.999 voor hun 10 kWh batterij, Zonnewerf zit met "
     "de Kern 10 op €6.995. Iemand een idee waar dat verschil in zit?", tags=["price-context", "other-company"])
case("nl", pub("facebook", "marktplaats.deventer.groep"), "Te koop: gebruikte Stroomlijn 6K omvormer, 3 jaar oud, "
     "werkt perfect. Vraagprijs €450. Ophalen in Deventer.", tags=["price-context", "second-hand"])
case("nl", pub("forum", "zelfbouwer_zeger"), "Losse montagebeugels voor de Aurora 430 kosten €12,50 per stuk bij "
     "Zonnewerf, goed om te weten als je zelf wilt uitbreiden.", tags=["price-context", "accessory"])
case("nl", pub("x", "@kattenmens_karin"), "Mijn kat ligt sinds de installatie elke middag tegen de omvormer aan. "
     "Zonnewerf, leveren jullie ook een kattenmand met 10 jaar garantie? 😹", tags=["joke"])
case("en", pub("x", "@beatles_bart"), "'Here comes the sun, and I say, it's all right' 🎶 first full month with the "
     "Zonnewerf panels and damn, the meter is running backwards", tags=["quote", "mild-word"])
case("en", pub("reddit", "u/happy_camper_hugo"), "As far as I recall, Zonnewerf installed ours in 2022 and the yield "
     "has been spot on every year. No regrets.", tags=["recall-other-sense"], kind="comment")
case("nl", pub("x", "@zelfvoorzienend_zoe"), "Ik boycot de grote energiebedrijven gewoon door zelf op te wekken 😎 "
     "dank je Zonnewerf", tags=["boycott-other-sense"])
case("nl", pub("x", "@rekening_rik"), "Welk rekeningnummer moet ik gebruiken voor Zonnewerf? Op mijn oude factuur "
     "staat <%BAD_IBAN_NL:grp%> maar mijn bank zegt dat het ongeldig is 🤔", tags=["bad-checksum"])
case("nl", pub("forum", "garantie_gerard"), "Serienummer van mijn omvormer is SL6K-2304-118842, ordernummer "
     "ZW-2026-004471. Waar vind ik de garantievoorwaarden van Zonnewerf?", tags=["serial"])
case("nl", pub("forum", "dongle_dirk"), "Voor wie de SlimMeter dongle los zoekt: EAN <%EAN13%>, ligt ook gewoon bij "
     "de bouwmarkt voor de normale prijs.", tags=["bad-checksum", "ean"])
case("nl", pub("x", "@isde_ingrid_b"), "Mijn klantnummer bij Zonnewerf is <%NOT_BSN9%>, moet ik dat ook invullen bij "
     "de ISDE-aanvraag of alleen het offertenummer?", tags=["bad-checksum"])
case("nl", pub("x", "@zwolle_nieuws"), "Zonnewerf opent een nieuwe vestiging in Zwolle en zoekt 40 monteurs, las ik "
     "net in de Stentor. Goed nieuws voor de regio!", tags=["published"])
case("nl", pub("linkedin", "branche-analist-bram"), "Weer ontslagen in de installatiebranche: WarmteWinst schrapt 80 "
     "banen. Ondertussen groeit Zonnewerf gewoon door, opvallend verschil.", tags=["other-company"])
case("nl", pub("x", "@eerlijke_erik"), "Mijn oom riep laatst 'die Zonnewerf-jongens zijn oplichters' maar hij heeft "
     "ze nooit gesproken. Bij ons is alles netjes en eerlijk geleverd.", tags=["quote"])
case("nl", pub("facebook", "mirjam.kok.10", "Mirjam Kok"), "Mijn vader heeft kanker en komt de trap niet meer op. De "
     "monteurs van Zonnewerf hebben zijn warmtepomp zo geduldig uitgelegd, echt met liefde. Dank jullie ❤️",
     tags=["mild-word"])
case("nl", pub("forum", "salderen_sander"), "Hoe gaat Zonnewerf om met het einde van de salderingsregeling in 2027? "
     "Raden ze nu wel of geen thuisbatterij aan?", tags=["question"])
case("en", pub("youtube", "@greenhome_greg"), "Great walkthrough. We got the Hybride 4 from Zonnewerf last winter and "
     "our gas use is down 60%. Install crew was friendly and quick.", tags=["praise"], kind="comment")
case("en", pub("x", "@ha_tinkerer"), "Where do I find my API key in the Zonnewerf Monitor app? Want to hook it up to "
     "Home Assistant", tags=["question", "secret-talk"])
case("en", pub("mastodon", "solarfrank", "Frank"), "PSA for the Zonnewerf Home Assistant integration: the README only "
     "wants a GitHub token (the ghp_… kind) if you install beta builds. Stable works without.", tags=["bare-prefix"])
case("nl", pub("x", "@nuchtere_nora"), "Nee hoor, geen prijsfout: Aurora Compleet 10 voor €4.395 is gewoon de "
     "actieprijs bij Zonnewerf deze week, stond in hun nieuwsbrief.", tags=["denied-error", "sale"])
case("en", pub("x", "@zero_bill_zack"), "hell yeah, first energy bill since the Zonnewerf battery went in: €0 😎🔋",
     tags=["mild-word"])
case("nl", pub("x", "@snel_geholpen"), "Belde net 0800-7767 van Zonnewerf en had binnen 5 minuten een afspraak voor "
     "onderhoud. Top!", tags=["own-contact"])
case("nl", pub("x", "@rekenaar_ruben"), "Warmtekracht 8 kost €9.850 bij Zonnewerf, met de subsidie erbij zit je rond "
     "de 6 mille. Valt mee toch?", tags=["price-talk"])
case("en", pub("x", "@expat_emma"), "Called +31 30 207 4400 and Zonnewerf sorted my inverter warranty in one call. "
     "Rare these days.", tags=["own-contact"])
case("nl", pub("tiktok", "@slaapverhaaltjes"), "Verhaaltje voor het slapengaan: er was eens een zonnepaneel dat bang "
     "was in het donker... tot de thuisbatterij zei 'ik ben er nog' 🔋🌙 #zonnewerf", tags=["fiction"])
case("en", pub("bluesky", "kasper.bsky.social"), "Another week, another solar company breach (not Zonnewerf this "
     "time, it's PaneelPartner). Change your passwords, folks.", tags=["other-company"])
case("nl", pub("reddit", "u/overmaker"), "Heb gewoon overgemaakt naar NL23RABO0331456789, dat is het rekeningnummer "
     "van Zonnewerf op hun site. Ging prima.", tags=["own-contact"], kind="comment")


# ===========================================================================
# build
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


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
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
        sev = max(sev, s, key=RANK.get)
    return sev


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355),
                                                                          minutes=r.randint(6 * 60, 23 * 60 + 30),
                                                                          seconds=r.randint(0, 59))
    off = dst_offset(base)
    utc = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/zonnepanelen/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/zonnepanelen/comments/{p}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"zonforum-{n}", f"https://forum.zonnestroom.example/topic/{n}"
    if platform == "tiktok":
        return f"tt_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"threads_{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt_{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{n}", f"https://mastodon.nl/@{h}/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}.example/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        kind = c["kind"]
        pid, url = post_id(meta, c["platform"], c["handle"], kind or "post")
        while (c["platform"], pid) in seen:
            pid += "x"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "zonnewerf"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
IBANRX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
AMOUNT = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
SECRETS = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"SG\.[\w-]{22}\.[\w-]{43}",
                                   r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/", r"sk_live_\w{20,}",
                                   r"AIza[\w-]{35}", r"eyJ[\w-]+\.eyJ[\w-]+\.", r"PRIVATE KEY-----",
                                   r"://[^\s:/@]+:[^\s@/]+@")]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
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


def check(lines, rows, profile):
    errs = []
    ts = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    own_phone_digits = {"0302074400", "08007767"}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["markers"]
                + profile["internal"]["domains"]]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        if role != r["role"]:
            errs.append(f"{w}: role")
        if not cats and sev != "none":
            errs.append(f"{w}: benign severity")
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: bad IBAN")
            if k == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{w}: near-miss IBAN valid")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: bad card")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: near-miss card valid")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{w}: bad BSN")
            if k in ("NOT_BSN9", "KVK", "EAN13") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{w}: look-alike passes a checksum")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
            if k in VALID_IDS and "leak.pii" not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        t = p["text"]
        nt = norm(t)
        when = ts(p["created_at"])
        for term, until in emb:
            if term in nt and when < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term} before embargo, not labelled")
            if term in nt and when >= until and cats:
                errs.append(f"{w}: embargo term after embargo but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term} unlabelled")
        if not cats:
            if any(rx.search(t) for rx in SECRETS):
                errs.append(f"{w}: benign with secret shape")
            for e in EMAIL.findall(t):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in IBANRX.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_iban:
                    errs.append(f"{w}: benign with valid IBAN")
            for m in PHONE.finditer(IBANRX.sub(" ", t)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else "0" + d[4:] if m.group(0).startswith("0031") else d
                if len(d) >= 8 and d not in own_phone_digits:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            for d in re.findall(r"\d[\d -]{11,22}\d", t):
                dd = re.sub(r"\D", "", d)
                if 13 <= len(dd) <= 19 and luhn_valid(dd):
                    errs.append(f"{w}: benign with Luhn-valid number")
            for d in re.findall(r"(?<![\w.-])\d{9}(?![\w])", t):
                if elfproef(d):
                    errs.append(f"{w}: benign with 11-proof number {d}")
        # pricing sanity
        mentioned = [pr for pr in profile["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        if mentioned:
            am = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(nt)]
            if am:
                ratio = min(am) / min(pr["list_price"] for pr in mentioned)
                if ratio < 0.5 and not cats and "price-context" not in r["tags"]:
                    errs.append(f"{w}: benign with low price ratio {ratio:.2f}")
                if "leak.pricing" in cats and ratio >= 0.5:
                    errs.append(f"{w}: pricing positive with ratio {ratio:.2f}")
    return errs


def report(rows):
    by_cat, by_sev, by_role, by_lang, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_sev[r["expect"]["severity"]] += 1
        by_role[r["role"]] += 1
        by_lang[r["lang"]] += 1
        by_plat[r["post"]["platform"]] += 1
        for c in cats or ["(benign)"]:
            by_cat[c] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]}")
    print("severity", dict(by_sev), "\nrole", dict(by_role), "\nlang", dict(by_lang), "\nplatform", dict(by_plat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
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
