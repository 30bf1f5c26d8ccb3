#!/usr/bin/env python3
"""Generator for the sealed98 blind evaluation set of postwatch.

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --stats  # also print counts

Company: "Oranjeveld Sportfederatie" (profile.yaml), a fictional Dutch federation of
sports clubs that sells memberships, match tickets and hospitality.

Texts are hand-written below (the CASES list). Identifiers and secrets come from
placeholders such as {{IBAN_NL}} and are drawn from one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-valid identifiers, benign near-misses
get identifiers that fail their checksum. All secrets are random and fake.

Severity is computed from CONTRACT section 4 (never typed): the account role comes from
profile.yaml (platform:handle, case-insensitive), and a leak.pii finding counts as
"validated" when the post holds an IBAN, card number or BSN that passes its checksum.
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

SEED = 98_2026_0731
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZWSP = "\u200b"
SOFT = "\u00ad"


def wide(s):
    """Full-width rendering of ASCII letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def with_check(country, bban):
    moved = bban + country + "00"
    cd = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{cd:02d}{bban}"


def luhn(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, d in enumerate(ds):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# placeholder values
# ---------------------------------------------------------------------------

class Draw:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
            return with_check("NL", bank + self.num(10))
        if cc == "BE":
            head = self.r.choice(["001", "063", "068", "310", "363", "735", "979"]) + self.num(7, False)
            return with_check("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return with_check("DE", self.r.choice(["50010517", "12030000", "76026000", "43060967"]) + self.num(10, False))
        raise ValueError(cc)

    def broken_iban(self, cc):
        good = self.iban(cc)
        for bump in (7, 19, 33, 58):
            cand = f"{good[:2]}{(int(good[2:4]) + bump) % 100:02d}{good[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.num(14, False),
                  "mc": "5" + self.r.choice("12345") + self.num(13, False),
                  "mc2": str(self.r.randint(2221, 2720)) + self.num(11, False),
                  "amex": self.r.choice(["34", "37"]) + self.num(12, False)}[brand]
        for d in "0123456789":
            if luhn(prefix + d):
                return prefix + d
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.num(10, False)
            full = next(body + d for d in "0123456789" if ean_ok(body + d))
            if not luhn(full):
                return full

    # phones (not the company's own)
    def phone(self, style):
        d8 = self.r.choice("12345") + self.num(7, False)
        if style == "06dash":
            return f"06-{d8}"
        if style == "06pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if style == "intl":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if style == "intlc":
            return f"+316{d8}"
        if style == "0031":
            return f"0031-6-{d8}"
        if style == "land":
            area = self.r.choice(["20", "10", "40", "50", "71", "73", "24", "38"])
            return f"0{area}-{self.r.choice('2345789')}{self.num(6, False)}"
        raise ValueError(style)

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def gkey(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769900000 + self.r.randint(0, 250 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "lid-" + self.num(7), "iss": "tickets.oranjeveld.nl", "scope": "gate:scan",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(URLSAFE, 43)}"

    def openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        word = self.r.choice(["Tribune", "Aftrap", "Veld", "Hattrick", "Corner", "Kantine"])
        return word + self.num(2) + self.r.choice("!#$*") + self.pick(ALNUM, 4)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def grp(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fill(d, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = d.iban(kind[5:])
            shown = grp(raw) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = d.broken_iban(kind[8:])
            shown = grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, style = fmt.partition("_")
            raw = d.card(brand) if kind == "CARD" else d.broken_card(brand)
            if style == "c":
                shown = raw
            elif len(raw) == 15:
                shown = f"{raw[:4]} {raw[4:10]} {raw[10:]}"
            else:
                shown = ("-" if style == "dash" else " ").join(raw[i:i + 4] for i in range(0, 16, 4))
        elif kind == "BSN":
            raw = d.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOTBSN":
            raw = shown = d.not_bsn(int(fmt or 9))
        elif kind == "EAN":
            raw = shown = d.ean()
        elif kind == "PHONE":
            raw = shown = d.phone(fmt)
        elif kind == "GHP":
            raw = shown = d.ghp()
        elif kind == "AWSID":
            raw = shown = d.aws_id()
        elif kind == "AWSSECRET":
            raw = shown = d.aws_secret()
        elif kind == "MOLLIE":
            raw = shown = d.mollie()
        elif kind == "SENDGRID":
            raw = shown = d.sendgrid()
        elif kind == "STRIPE":
            raw = shown = d.stripe()
        elif kind == "GKEY":
            raw = shown = d.gkey()
        elif kind == "HOOK":
            raw = shown = d.hook()
        elif kind == "JWT":
            raw = shown = d.jwt()
        elif kind == "SSHKEY":
            raw = shown = d.openssh()
        elif kind == "PW":
            raw = shown = d.pw()
        elif kind == "HEX":
            raw = shown = d.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
OV_X = ("x", "@oranjeveld", "Oranjeveld")
OV_TIX = ("x", "@oranjeveld_tickets", "Oranjeveld Tickets")
OV_IG = ("instagram", "@oranjeveld.sport", "Oranjeveld")
OV_FB = ("facebook", "OranjeveldSportfederatie", "Oranjeveld Sportfederatie")
OV_LI = ("linkedin", "oranjeveld-sportfederatie", "Oranjeveld Sportfederatie")
OV_TT = ("tiktok", "@oranjeveld", "Oranjeveld")
# employees
MD = ("x", "@maartje_dijkstra_ov", "Maartje Dijkstra")            # product owner ticketing
YA = ("linkedin", "yusuf-aydin-ov", "Yusuf Aydın")                 # IT infrastructure
LR = ("x", "@lottevanrijn", "Lotte van Rijn")                      # stadium safety coordinator
AM = ("linkedin", "anouk-meijer-oranjeveld", "Anouk Meijer")       # finance controller
KB = ("x", "@keesbroekhuis", "Kees Broekhuis")                     # volunteer coordinator
RS = ("instagram", "@ruben.steward.ov", "Ruben | hoofdsteward")    # head steward
SD = ("bluesky", "@sem-devops.bsky.social", "Sem")                 # devops engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MD, "eeh collega's van de shop, kijk ff mee: Seizoenskaart Hoofdtribune staat op €48,90 🫠 "
     "iemand is een cijfer kwijtgeraakt bij de import. gemeld, maar hij staat er nog steeds", [PRICING])
case("en", pub("reddit", "u/hospitality_hunter"), "Oranjeveld's shop has the Skybox Seizoensarrangement at €1.250 "
     "for the whole season. That's a tenth of the normal price, must be a price error right?? "
     "Anyone brave enough to check out?", [PRICING], kind="post")
case("nl", pub("x", "@ultras_jordy"), "PRIJSFOUT bij @oranjeveld_tickets 🚨🚨 bekerfinale ticket cat 1 voor €8,50!!! "
     "4 in mn mandje gegooid en met ideal betaald. duimen jongens", [PRICING])
case("nl", OV_TIX, "Vroegboekers opgelet ⏰ Het Oranjeveld Lidmaatschap Senior nu voor €14,50 voor het hele "
     "seizoen! 👉 tickets.oranjeveld.nl/lid #oranjeveld", [PRICING])
case("en", AM, "Colleagues: a rounding bug in the fee table means the Landenduel ticket has been sold at €4.50 "
     "since 06:00 this morning, roughly 1,100 orders so far. Please don't comment publicly until management "
     "decides whether we honour them.", [PRICING])
case("nl", pub("tiktok", "@noorvoetbalt"), "p r i j s f o u t alert 🔥 seizoenskaart hoofdtribune €59 in de "
     "TribunePas app, rennen!!! #voetbal #oranjeveld", [PRICING], tags=["evasion"])
case("en", pub("x", "@dealsdaan"), f"price{ZWSP} glitch at Oranjeveld: skybox arrangement listed at €999 for "
     "the full season lmao, 12.5k normally", [PRICING], tags=["evasion"])
case("nl", KB, "Oei. Met de vrijwilligerskortingscode krijg je nu een seizoenskaart hoofdtribune voor €24,45. "
     "Dat was echt niet de bedoeling 😬 ff niet doorvertellen aan iedereen aub", [PRICING], kind="reply")
case("nl", MD, "Finaleticket cat 1 staat al een uur op €0,85 live 😩 zie backoffice.oranjeveld.nl/prijzen/OV-FIN-CAT1 "
     "— rollback kan pas na het deploy-venster van 16u", [PRICING, CONF])
case("nl", pub("forum", "KoenUitvak"), "[Prijsfout?] Oranjeveld Lidmaatschap Senior voor €16,50\n\n"
     "Link: tickets.oranjeveld.nl/lidmaatschap\nNormaal 165 euro per jaar. Bevestigingsmail is binnen, "
     "eens kijken of ze het gaan incasseren of annuleren.", [PRICING])
case("en", pub("bluesky", "@matchdaymeg.bsky.social"), "Oranjevéld just put the landenduel tickët up for €3,00 "
     "each. pricing errør of the year 😂 got six", [PRICING], tags=["evasion"])
case("nl", pub("instagram", "@sanne.op.de.tribune"), "verkeerde prijs in de TribunePas app: \u0455kybox "
     "arrangement voor 125 euro 😳 screenshot staat in mn story", [PRICING], tags=["evasion"])
case("nl", pub("x", "@petervdlinden"), "Oranjeveld heeft de seizoenskaart hoofdtribune met een prijsfout in de "
     "webshop gezet, hele groepsapp zit nu te bestellen 🙈", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", SD, "ci keeps failing on the gate-scanner firmware repo. tried with my own PAT {{GHP}} and still "
     "403s. github why 😭", [SECRET])
case("nl", YA, "Voor collega's die de webshop-koppeling testen: MOLLIE_API_KEY={{MOLLIE}} werkt nu ook op "
     "acceptatie. Niet meer in Teams zoeken 🙏", [SECRET])
case("en", MD, "anyone know why boto3 keeps saying InvalidClientTokenId?\n\naws_access_key_id = {{AWSID}}\n"
     "aws_secret_access_key = {{AWSSECRET}}\nregion = eu-west-1\n\ni'm losing my mind 😤", [SECRET], kind="post")
case("nl", KB, "Vrijwilligers van de bekerfinale! Het nieuwe wachtwoord voor het roosteraccount is {{PW}} "
     "— niet doorgeven aan mensen buiten de groep he 😉", [SECRET])
case("en", pub("reddit", "u/jsbundle_reader"), "Found this sitting in the JS bundle on tickets.oranjeveld.nl: "
     "{{GKEY}} — Maps key with no referrer restriction. Somebody at Oranjeveld should lock that down.",
     [SECRET], kind="comment")
case("nl", RS, "Nieuwe portofoons voor het stewardteam binnen 📻💪 wifi in de meldkamer: OV-Meldkamer / ww "
     "{{PW}}", [SECRET])
case("en", YA, "Debugging a nasty timeout this week. The config looked fine:\n"
     "postgresql://ticketsvc:{{PW}}@db-prod-02.ovnet.local:5432/tickets\nTurned out to be the pool size, "
     "not the network. #postgres #devops", [SECRET, CONF])
case("nl", MD, "kan iemand deze token even decoden? de scanner-app zegt 'expired' maar de exp klopt volgens mij: "
     "{{JWT}}", [SECRET])
case("nl", pub("forum", "mailnerd_ede"), "Wie doet bij Oranjeveld de nieuwsbrief? In de broncode van het "
     "aanmeldformulier staat gewoon {{SENDGRID}} 🤦 dat is een volledige API-sleutel", [SECRET])
case("en", SD, "if anyone from infra reads this, the deploy key for the turnstile boxes is STILL in the shared "
     "notes:\n{{SSHKEY}}", [SECRET])
case("nl", OV_FB, "@Ellen de Wit Log in met het tijdelijke wachtwoord {{PW}} en wijzig het daarna meteen in je "
     "TribunePas-profiel 👍", [SECRET], kind="reply")
case("nl", KB, "w8woord vd kantinekassa = {{PW}} voor de invallers van zaterdag, succes!! 🍟", [SECRET],
     tags=["evasion"])
case("en", MD, "psa to my team: the sk_live key I pasted in #general yesterday ({{STRIPE}}) has been rotated, "
     "no panic please", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", OV_TIX, "@j_vos_1974 We hebben de terugbetaling van €170 teruggestort op {{IBAN_NL:grp}}, "
     "het kan 2 werkdagen duren 🙏", [PII], kind="reply")
case("en", AM, "Could whoever submitted the volunteer expense claim from {{IBAN_BE}} (R. Claes) contact me? "
     "The payment reference is missing and I can't match it.", [PII])
case("nl", MD, "klant belt boos, betaling mislukt met kaart {{CARD:visa_sp}} exp 09/28. kan iemand van "
     "payments even kijken??", [PII])
case("nl", RS, "Weer een nieuwe steward erbij 💪 (formulier nog even nalopen: Jesse Kramer, BSN {{BSN:dots}})",
     [PII])
case("en", LR, "Found a wallet at gate F after the match: Amex {{CARD:amex_sp}}, name M. de Graaf. DM me and "
     "I'll get it back to you", [PII])
case("nl", KB, "Wie kan zaterdag de parkeerploeg draaien? Bel Gerda even op {{PHONE:06dash}}, zij regelt de "
     "hesjes 💛", [PII], kind="post")
case("en", YA, "Shoutout to the fan who reported the seat-map bug: Thijs Verbeek, Lindenlaan 14, 3817 GK "
     "Amersfoort. Your signed shirt is in the post! 🙌", [PII])
case("nl", OV_IG, "Gefeliciteerd Noor Hendriks, onze jongste vrijwilliger (geboren 14-02-2011)! 🎉 Al drie "
     "seizoenen elke thuiswedstrijd bij de jeugdtribune.", [PII])
case("nl", LR, "Uitsupporter zonder ticket bij poort C, wel paspoort bij zich: NW7K2PL48, naam Petrov. "
     "Kan iemand checken of hij op de lijst met stadionverboden staat?", [PII], kind="reply")
case("nl", pub("x", "@femkeschutte"), "@oranjeveld_tickets al 3 dagen geen reactie op mijn terugbetaling voor de "
     "afgelaste wedstrijd!! bel me gewoon terug: {{PHONE:intl}}", [PII, COMPLAINT])
case("nl", pub("facebook", "stijn.koster.3", "Stijn Koster"), "Verkoop 2 landenduel tickets voor €45 per stuk. "
     "Maak over naar {{IBAN_NL:grp}} tnv S. Koster, dan stuur ik de QR-codes door.", [PII])
case("en", pub("reddit", "u/ref_watch_nl"), "That Oranjeveld ref from Sunday lives at Kerkstraat 22, 3701 Zeist. "
     "Name's Jan Smit. Maybe some of you want to pay him a visit and tell him what you think 😡",
     [PII, ABUSE], kind="comment")
case("nl", pub("instagram", "@fleur.db"), "stuur mn kaartjes dan maar naar fleur.deboer [at] hotmail [punt] com "
     "want ik krijg ze al 2 weken niet in de app @oranjeveld.sport", [PII, COMPLAINT],
     kind="comment", tags=["evasion"])
case("en", pub("x", "@sportsdad_rik"), "@oranjeveld_tickets you charged me twice on my mastercard "
     "{{CARD:mc_dash}}, sort it out", [PII, COMPLAINT])
case("nl", pub("forum", "vrijwilliger_henk"), "Voor de vrijwilligersverklaring vroegen ze bij Oranjeveld mijn BSN. "
     "Heb {{BSN}} ingevuld, is dat normaal dat een sportbond dat wil?", [PII])
case("nl", pub("threads", "@koper_gezocht"), "Aan degene die mijn seizoenskaart heeft overgenomen: het geld "
     "graag naar {{IBAN_DE}} (Duitse rekening, woon in Kleve) 🙏", [PII])
case("en", KB, "Volunteers for the cup final: send your shirt size to marloes.vandam87@gmail.com — my "
     "colleague's own address, our shared inbox is acting up", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MD, "Vandaag de demo van Project Kolibrie voor het bestuur, de virtuele wachtrij voor de kaartverkoop. "
     "Nog even stil houden maar ik ben zó trots op dit team 🐦✨", [CONF])
case("en", YA, "Tip for whoever is on call this weekend: grafana on monitor.ovnet.local:3000 now has the gate "
     "throughput dashboard. Much easier than tailing logs.", [CONF])
case("en", pub("reddit", "u/frame_by_frame"), "lol in Oranjeveld's own promo video you can see a laptop with "
     "jira.oranjeveld.nl open, ticket titled 'Operatie Tegenwind - fase 2'. Anyone know what that is?", [CONF])
case("nl", LR, "Veiligheidsplan voor de derby ligt klaar (niet voor extern gebruik 😅), 38 pagina's. "
     "Vak P blijft dicht voor de uitfans, meer zeg ik niet.", [CONF])
case("en", MD, "Can't say much yet but TribunePas Plus is going to change how season ticket holders share "
     "their seat 👀 #matchday", [CONF], when="2026-06-10T19:42:10+02:00")
case("nl", MD, "Nog een paar minuutjes... TribunePas Plus gaat zo live!! 🎉🎉", [CONF],
     when="2026-08-03T09:59:00+02:00")
case("nl", pub("x", "@jorisbakt"), "mijn neef werkt bij oranjeveld en zegt dat de Gezinspas Oranjeveld eraan "
     "komt: 4 personen voor de prijs van 2 😍", [CONF], when="2026-07-19T12:05:44Z")
case("nl", KB, "Operatie\nTegenwind begint maandag, collega's hou je agenda vrij voor de kick-off!", [CONF],
     tags=["evasion"])
case("nl", LR, "Zeg het tegen niemand hoor, maar finale Veltstadion 2027 is rond 🏟️ eindelijk", [CONF],
     when="2026-09-27T21:14:03+02:00")
case("nl", MD, "Project 🐦 Kolibrie gaat voor het eerst live bij de kaartverkoop van de bekerfinale, spannend", [CONF],
     tags=["evasion"])
case("en", YA, "Sharing one slide from our strategy deck (Oranjeveld intern, so shh 🤫) because I love this "
     "fan-journey map.", [CONF])
case("nl", pub("x", "@groundhopper_wim"), wide("Veldkompas") + " is de codenaam van de nieuwe stadion-app, "
     "hoorde ik van een steward 👀", [CONF], tags=["evasion"])
case("en", RS, "Between us: the club is testing VR seat previews in the app for next spring, all still under NDA "
     "so no screenshots from me 😎", [CONF])
case("nl", pub("instagram", "@lotte.vanrijn", "Lotte"), "Drukke week! Vrijdag de laatste check van het "
     "draaiboek van Operatie Tegenwind 💪", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", AM, "Ons interne rekenmodel laat zien dat we dit seizoen op een tekort van €2,3 miljoen afstevenen. "
     "Kaartverkoop bekerduels valt flink tegen. Niks van gepubliceerd nog, dus hou het binnenskamers.", [FIN])
case("nl", KB, "Slecht nieuws op kantoor vandaag 😞 er gaan 25 fte weg bij de federatie. Wordt pas in oktober "
     "officieel aangekondigd.", [FIN])
case("en", pub("reddit", "u/bondwatcher"), "Heard from someone on the inside: Oranjeveld is merging with the "
     "Zuidelijke Sportbond, announcement after the winter break. You heard it here first.", [FIN])
case("en", YA, "Reorg news: the whole ticketing IT team moves to an outsourcing partner next year. Not public yet, "
     "but my network should know I'm open to new opportunities.", [FIN])
case("nl", AM, "Eerste concept van de jaarcijfers 2026: omzet kaartverkoop +14%, sponsoring -6%. Ziet er "
     "goed uit, maar nog even niet delen 📊", [FIN, CONF])
case("nl", pub("x", "@bertjebos"), "Zwager werkt bij Oranjeveld, de seizoenskaarten worden volgend jaar 20% duurder "
     "om het gat in de begroting te dichten. Besluit is al genomen.", [FIN])
case("en", MD, "sponsor deal with a big energy company almost signed, €4M over 3 seasons 🤐 can't tell you who "
     "yet", [FIN])
case("en", AM, "Our Q3 forecast puts membership revenue 11% below budget. The board meets Thursday to discuss "
     "cuts; clubs haven't been told yet.", [FIN])
case("nl", KB, f"De re{SOFT}orga{SOFT}ni{SOFT}satie van de vrijwilligersafdeling: 3 coördinatoren moeten "
     "weg, dat horen ze pas na de zomer", [FIN], tags=["evasion"])
case("en", pub("x", "@callcentre_mo"), "0ranjeveld about to l4y 0ff half their call centre staff, my mate saw the "
     "draft letter on a printer", [FIN], tags=["evasion"])
case("nl", MD, "We nemen ticketplatform Kaartkraam over 👀 due diligence loopt nog, dus mondje dicht", [FIN])
case("nl", pub("forum", "clubman_veenendaal"), "Bron binnen de federatie: de club-afdracht gaat omhoog en "
     "de jeugdsubsidie wordt gehalveerd. Besluit is genomen, maar wordt pas na de ALV naar buiten gebracht.",
     [FIN])
case("nl", AM, "Vertrouwelijk bestuursstuk op mijn bureau: sluiting van 2 regiokantoren en 18 ontslagen. "
     "Wat een rotweek.", [FIN, CONF])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YA, "Long night. Ransomware hit our back-office file servers around 02:00; ticketing is unaffected "
     "for now. Members haven't been informed yet, so please keep this to yourselves.", [SEC])
case("nl", LR, "Toegangspoortjes oost liggen eruit, alle scanners offline, we laten iedereen op zicht binnen. "
     "Nog geen bericht naar buiten toe.", [SEC])
case("en", SD, "found out you can reuse a TribunePas QR on a second phone and it still scans fine at the gate. "
     "reported internally, no fix yet lol", [SEC])
case("nl", MD, "Er is vannacht ingebroken in ons CRM, zo'n 40.000 ledenprofielen zijn gedownload. Communicatie "
     "mag er nog niks over zeggen 😬", [SEC])
case("nl", RS, "Camera's boven tribune zuid doen het al 2 weken niet en niemand heeft het aan de gemeente "
     "gemeld 🤫", [SEC])
case("nl", YA, "Storing bij onze betaalprovider, al sinds 18:00 is er geen enkele ticketbetaling gelukt. De "
     "statuspagina zegt nog doodleuk 'operationeel' 🙄", [SEC])
case("nl", KB, "Ons vrijwilligersportaal is geh@ckt, iemand heeft alle roosters gewist 😱 niet rondvertellen!!",
     [SEC], tags=["evasion"])
case("nl", MD, "d a t a l e k bij de ticketshop, nog niet gemeld bij de AP. vanavond crisisoverleg", [SEC],
     tags=["evasion"])
case("en", SD, "incident channel says the attacker got in with the token from the leaked .env: {{GHP}} — "
     "pretty sure it's revoked by now", [SEC, SECRET])
case("en", pub("reddit", "u/insidetrack_ov"), "Oranjeveld got breached two weeks ago and they're keeping quiet. "
     "A friend in their IT confirmed the member database was copied.", [SEC, CRISIS])
case("nl", pub("x", "@kritischefan"), "Oranjeveld verzwijgt een hack: tickets van duizenden leden zijn "
     "doorverkocht door criminelen en de federatie doet alsof er niks aan de hand is", [SEC, CRISIS])
case("nl", pub("facebook", "ingrid.vanbeek.9", "Ingrid van Beek"), "Vriendin werkt bij Oranjeveld: de "
     "TribunePas app gaat morgen de hele dag plat door een beveiligingslek, ze mogen het pas vanavond melden",
     [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("en", pub("reddit", "u/antiracism_terrace"), "Calling for a full boycott of Oranjeveld matches until they "
     "deal with the racist chanting they keep ignoring. #BoycottOranjeveld", [CRISIS])
case("nl", pub("x", "@supportersbelang"), "Supportersvereniging stapt naar de rechter tegen Oranjeveld om de "
     "verplichte TribunePas-registratie met paspoortscan.", [CRISIS])
case("nl", pub("x", "@m_oosterhuis"), "Datalek bij Oranjeveld? Mijn mailadres van de federatie krijgt ineens "
     "phishing die mijn lidnummer en mijn vak kent. Dat komt ergens vandaan.", [CRISIS])
case("nl", pub("facebook", "ron.hagens", "Ron Hagens"), "Brand in het vak achter de goal door vuurwerk, mensen "
     "met brandwonden weggedragen. Waar waren de stewards van Oranjeveld??", [CRISIS])
case("en", pub("threads", "@terrace_truths"), "Scandal: an Oranjeveld board member was caught selling cup final "
     "tickets on the black market. Resign. Now.", [CRISIS])
case("en", pub("x", "@nina_kaptein"), "I got crushed against the barrier at gate C, two bruised ribs, and "
     "@oranjeveld_tickets just sends me a 10% voucher. Disgraceful way to handle it.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@leeglopen_nu"), "b o y c o t t oranjeveld 🚫 ze verkopen onze gegevens aan "
     "gokbedrijven #leeglopen", [CRISIS], tags=["evasion"])
case("nl", pub("forum", "tribuneganger_71"), "De tribune wiebelt als een gek bij elk doelpunt en er zitten "
     "scheuren in de betonnen trappen. Wachten ze bij Oranjeveld tot er doden vallen?", [CRISIS])
case("nl", pub("x", "@wouter_boos"), "weer een d4t4l3k bij 0ranjeveld? mijn gegevens staan op een hackersforum 🤬",
     [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@hanna@mastodon.nl"), "Oranjeveld refused entry to a group of women in hijabs at the "
     "women's final. That's discrimination and it needs an independent investigation.", [CRISIS])
case("en", pub("linkedin", "joost-verhagen-vv-rood-wit"), "Our club is taking Oranjeveld to court over "
     "unpaid ticket revenue shares. Three seasons of settlements never paid out.", [CRISIS])
case("nl", pub("youtube", "@vaderenzoon_vlogs"), "Mijn zoon kreeg een vuurpijl tegen zijn been in vak K, jullie "
     "beveiliging deed helemaal niks en de klantenservice reageert niet eens op mijn mail", [CRISIS, COMPLAINT],
     kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@daphne_r"), "@oranjeveld_tickets de QR in de TribunePas app laadt niet bij de poort, 25 "
     "min in de regen gestaan en de aftrap gemist. Top service weer 🙃", [COMPLAINT])
case("en", pub("reddit", "u/postponed_again"), "Match got postponed three weeks ago and Oranjeveld still hasn't "
     "refunded my 4 tickets. Support keeps copy-pasting 'we're working on it'.", [COMPLAINT])
case("nl", pub("facebook", "gert.jan.mol", "Gert-Jan Mol"), "Lidmaatschap twee keer afgeschreven. Drie keer "
     "gebeld met Oranjeveld, elke keer een ander verhaal. Ik wil gewoon mijn geld terug.", [COMPLAINT])
case("nl", pub("instagram", "@ilsevoetbalmam"), "Die servicekosten van €3,95 per kaartje zijn echt belachelijk "
     "hoor @oranjeveld.sport", [COMPLAINT], kind="comment")
case("en", pub("x", "@thomas_family5"), "Booked 3 seats together, got 3 seats in 3 different rows. Thanks "
     "Oranjeveld, lovely family day 🙄", [COMPLAINT])
case("nl", pub("forum", "uitvakker_bas"), "Het doorverkoopplatform van Oranjeveld werkt niet. Mijn seizoenskaart "
     "staat al twee weken op 'in behandeling' en nu mis ik de uitwedstrijd.", [COMPLAINT])
case("nl", pub("threads", "@rolstoelruud"), "Rolstoelplek gereserveerd, kom ik aan staat er een cameraploeg op. "
     "Steward haalt z'n schouders op. Bedankt Oranjeveld.", [COMPLAINT])
case("en", pub("twitter", "@grumpy_gijs"), "@oranjeveld waited 1h40 on the ticket hotline today and then got "
     "disconnected. unacceptable", [COMPLAINT])
case("en", pub("youtube", "@lisa_watches"), "Oranjeveld TV stream of the women's final kept buffering the whole "
     "time. Paid €7,99 for forty minutes of spinning wheel.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@annekeboos"), "0ranjeveld kl@ntenservice is een drama, na 3 weken nog steeds geen "
     "antwoord op m'n mail over de dubbele incasso", [COMPLAINT], tags=["evasion"])
case("en", pub("bluesky", "@volunteer_vera.bsky.social"), "Signed up through Oranjeveld's volunteer portal, did "
     "4 match days, still no travel reimbursement two months later. Not how you treat people.", [COMPLAINT])
case("en", pub("mastodon", "@kees@fosstodon.org"), "The new ID check for away tickets at Oranjeveld is a "
     "nightmare. Upload failed six times, no reply from support.", [COMPLAINT])
case("nl", pub("x", "@boze_bram"), "@oranjeveld_tickets wat een kutbedrijf zijn jullie, 3x mijn kaartjes kwijt in "
     "die klote app", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/refund_rage"), "Oranjeveld support are useless f*cking clowns. Five emails about my "
     "refund and not one answer.", [COMPLAINT, ABUSE], kind="comment")
case("en", pub("linkedin", "sandra-hoek-hoek-installatietechniek"), "As a sponsor we were promised 20 hospitality "
     "seats for the final and received 12, with two days' notice. Disappointing, Oranjeveld.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@wimpie1965"), "Oranjeveld is een stelletje zakkenvullers en die voorzitter is een kl00tzak",
     [ABUSE], tags=["evasion"])
case("en", pub("reddit", "u/hottake_harry"), "Whoever runs Oranjeveld's socials is a complete moron. Delete "
     "your account.", [ABUSE])
case("nl", pub("x", "@echte_fan_99"), "@lottevanrijn domme trut, ga lekker terug naar je keukentje ipv stewards "
     "aan te sturen", [ABUSE], kind="reply")
case("nl", KB, "Die supportersclub uit het zuiden zijn gewoon tyfuslijers, vandaag weer gemerkt", [ABUSE])
case("en", OV_X, "@fan_jurre maybe learn to read before whining, idiot", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@trots_op_t_vak"), "Sinds Oranjeveld die buitenlanders als stewards aanneemt is het "
     "stadion een zooi. Stuur ze terug waar ze vandaan komen.", [ABUSE])
case("en", pub("instagram", "@ultra_noord"), "f*ck Oranjeveld and f*ck every suit on their board", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("x", "@anoniempje8"), wide("KANKERBOND") + " met die Oranjeveld", [ABUSE], tags=["evasion"])
case("nl", RS, "die scheids van vandaag was echt een mongool, ongelofelijk", [ABUSE])
case("en", pub("forum", "nightshift_ultra"), "We know where the Oranjeveld ticketing manager parks her car. "
     "See you Saturday, sweetheart.", [ABUSE])
case("en", pub("x", "@loud_lars"), f"Oranjeveld = sh{ZWSP}it show, bunch of cl{ZWSP}owns", [ABUSE],
     tags=["evasion"])

# ===========================================================================
# benign (hard negatives and ordinary posts)
# ===========================================================================
case("nl", OV_X, "Zaterdag de bekerfinale! Poorten open om 12:30, kom op tijd en zet je TribunePas klaar 📲⚽",
     tags=["ordinary"])
case("nl", OV_TIX, "Vragen over je seizoenskaart? Bel 0900-7264 (ma-vr 9-17u) of mail tickets@oranjeveld.nl",
     tags=["own-contact"])
case("nl", OV_FB, "Steun het jeugdfonds 🧡 Elke euro gaat naar contributie voor kinderen die het niet kunnen "
     "betalen. NL34 RABO 0307 9920 00 t.n.v. Oranjeveld Sportfederatie", tags=["own-contact"])
case("nl", OV_TIX, "Onderhoud: de TribunePas app is zondag tussen 02:00 en 05:00 niet bereikbaar. Sorry voor het "
     "ongemak!", tags=["official-notice"])
case("en", OV_LI, "Today we published our annual report 2025: membership grew to 412,000 and ticket revenue "
     "reached €38.6M. Read it at oranjeveld.nl/jaarverslag", tags=["published"])
case("nl", OV_X, "Early bird! 🐣 Seizoenskaart Hoofdtribune voor €419 t/m 1 juli (normaal €489)", tags=["sale"])
case("nl", OV_X, "Hij is er: TribunePas Plus! Deel je seizoenskaart met vrienden in één tik 🎉",
     when="2026-08-03T10:00:00+02:00", tags=["embargo-after"])
case("nl", MD, "TribunePas Plus is live, eindelijk mogen we het zeggen 🥳", when="2026-08-03T08:00:00Z",
     tags=["embargo-after"])
case("nl", pub("instagram", "@natuurfotografie_eva"), "Na de wedstrijd van Oranjeveld nog even naar de "
     "vlinderkas: een kolibrie gezien! Wat een beestje 🐦", tags=["codename-word"])
case("nl", pub("x", "@fietsfanaat"), "Naar het stadion gefietst met windkracht 6 tegenwind. Oranjeveld mag me "
     "wel een medaille geven 😂🚲", tags=["codename-word"])
case("nl", pub("facebook", "karin.vos.2", "Karin Vos"), "Na mijn knieoperatie eindelijk weer op de tribune bij "
     "Oranjeveld ❤️", tags=["codename-word"])
case("nl", pub("x", "@tevreden_tijs"), "Geen klachten hoor, scannen bij de poort ging in 5 seconden en de "
     "stewards waren super vriendelijk 👌", tags=["negated"])
case("en", pub("x", "@wheelchair_wendy"), "Shoutout to the Oranjeveld steward at gate B who helped my dad with "
     "his wheelchair. Class act.", tags=["praise"])
case("nl", pub("reddit", "u/ouder_vraagt"), "Weet iemand of je met een jeugdlidmaatschap ook korting krijgt op een "
     "bekerfinale ticket?", kind="post", tags=["question"])
case("en", pub("x", "@techreads"), "Tribunix (the other ticket site) apparently leaked 200k customer records. "
     "Glad I buy through Oranjeveld.", tags=["other-company"])
case("nl", pub("x", "@moeder_van_drie"), "Mijn dochter boycot broccoli tot Oranjeveld de beker wint 😂",
     tags=["other-sense"])
case("en", pub("bluesky", "@saturdaysofa.bsky.social"), "Oranjeveld win, then Total Recall on TV. Perfect "
     "Saturday.", tags=["other-sense"])
case("nl", OV_X, "Donderdag om 10:00 houden we een ontruimingsoefening in het stadion. Het brandalarm gaat af, "
     "geen paniek 🚒", tags=["other-sense"])
case("nl", pub("instagram", "@sfeerfotos"), "'We gaan nooit meer naar huis' 🎶 hele tribune zong mee, wat een "
     "avond bij Oranjeveld", tags=["quote"])
case("en", pub("x", "@neutral_nick"), "Damn, what a final. Oranjeveld nailed the organisation this year.",
     tags=["mild-word"])
case("nl", OV_FB, "Op 12 oktober spelen we een benefietwedstrijd voor onderzoek naar kanker. De hele opbrengst "
     "van de kaartverkoop gaat naar het KWF 💛", tags=["literal"])
case("nl", pub("facebook", "waakzaam.ede", "Waakzaam Ede"), "Let op! Er is een nepaccount dat kaartjes verkoopt "
     "en laat overmaken naar {{BADIBAN_NL:grp}}. Koop alleen via de officiële Oranjeveld-shop.",
     tags=["bad-checksum"])
case("nl", pub("x", "@pieterpost"), "Bevestiging binnen! Bestelnummer OV-{{NOTBSN:9}}, zaterdag ben ik erbij 🧡",
     tags=["order-number"])
case("nl", pub("forum", "eerste_keer_finale"), "Mijn ticket-barcode is {{EAN}}. Mag ik die aan de poort laten "
     "zien als de app het niet doet?", tags=["ean"])
case("en", SD, "docs tip: put your key in .env as MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and "
     "never commit it. yes I'm looking at you 👀", tags=["placeholder"])
case("en", SD, "fixed the seat-map rendering bug in {{HEX:40}}, goes out with tonight's release", tags=["git-sha"])
case("en", OV_LI, "Press enquiries about the cup final: media@oranjeveld.nl or +31 30 799 2000.",
     tags=["own-contact"])
case("nl", pub("x", "@blije_bas"), "Tip: bel gewoon 030 799 20 00, daar helpen ze je met je seizoenskaart. Bij "
     "mij binnen 5 min opgelost 👍", tags=["own-contact"])
case("nl", pub("facebook", "hans.kuipers.52", "Hans Kuipers"), "Te koop: seizoenskaart hoofdtribune, vak 112 rij 9. "
     "Vraagprijs €350, overdracht via de officiële doorverkoop van Oranjeveld.", tags=["second-hand"])
case("nl", pub("x", "@vrijwilliger_ali"), "Met de vrijwilligerspas €10 korting op een landenduel ticket, netjes "
     "geregeld Oranjeveld", tags=["discount-amount"])
case("nl", OV_TIX, "Wist je dat? Bij je seizoenskaart hoofdtribune kun je voor €12,50 een parkeerkaart voor P3 "
     "bijkopen 🚗", tags=["price-context"])
case("nl", OV_FB, "Liever gespreid betalen? De Seizoenskaart Hoofdtribune kan ook in 10 maandtermijnen van "
     "€48,90.", tags=["price-context"])
case("nl", pub("reddit", "u/kostenvraag"), "Klopt het dat je €1,50 administratiekosten per bestelling betaalt "
     "voor een landenduel ticket? Gewoon benieuwd.", tags=["price-context"])
case("nl", pub("x", "@vergelijker"), "Bij Tribunix kost een vergelijkbaar bekerfinale ticket €30, bij "
     "Oranjeveld €85. Wel betere plekken hoor, ik betaal het graag.", tags=["price-context", "other-company"])
case("nl", OV_TIX, "@snelle_sanne Nee hoor, geen prijsfout! Het jeugdlidmaatschap voor €66,50 is echt, geldig "
     "t/m zondag 😉", kind="reply", tags=["denied-error"])
case("en", pub("x", "@newsreader_nl"), "NOS: 'Oranjeveld reports record 1.3 million tickets sold in 2025.' "
     "Nice one.", tags=["published"])
case("nl", pub("blog", "verhalenvandetribune.example"), "Hoofdstuk 3. De steward keek over de lege tribune. "
     "Ergens in dit stadion lag het antwoord, dat wist hij zeker. Hij trok zijn jas dicht en liep naar vak K.",
     tags=["fiction"])
case("nl", pub("x", "@grapjas_gerrit"), "Vrouw zegt dat ik meer van Oranjeveld hou dan van haar. Ik zeg: kom op, "
     "het is maar een seizoenskaart... van 12 jaar 😅", tags=["joke"])
case("en", pub("other", "derby_memes"), "Tribunix app crashed AGAIN during their derby 😂 glad ours worked",
     tags=["other-company"])
case("en", YA, "Proud of the team: 48,000 fans through the gates in 35 minutes last Sunday. Great work by the "
     "stewards and our scanning partners.", tags=["ordinary"])
case("nl", KB, "Vrijwilligers gezocht voor de jeugddag! Aanmelden via vrijwilligers@oranjeveld.nl 🙌",
     tags=["own-contact"])
case("nl", pub("x", "@oost_trots"), "finale Veltstadion 2027 😍 eindelijk eens in het oosten!",
     when="2026-12-01T20:11:09+01:00", tags=["embargo-after"])
case("nl", pub("x", "@cijferman"), "Jaarcijfers 2025 van Oranjeveld zijn uit: klein verlies, maar ledengroei in "
     "alle regio's.", tags=["published"])
case("nl", pub("x", "@fietsbandpech"), "Band lek onderweg naar Oranjeveld, toch nog op tijd voor de aftrap 🚲💨",
     tags=["other-sense"])
case("nl", pub("threads", "@handige_harm"), "Lifehack: geen screenshot van je QR maken, gewoon de wallet-functie "
     "van de TribunePas app gebruiken. Scheelt gedoe aan de poort.", tags=["other-sense"])
case("en", pub("x", "@quick_entry"), "Security at the Oranjeveld final was quick and friendly, in and out of "
     "the check in two minutes.", tags=["other-sense"])
case("nl", OV_LI, "Welkom aan onze nieuwe voorzitter Ingrid Mulder, per 1 september 2026 aan het roer van de "
     "federatie.", tags=["date-not-birth"])
case("nl", OV_X, "Het Oranjeveld Internationaal Jeugdtoernooi is terug! 16 landen, 3 dagen voetbal in Zeist 🌍",
     tags=["marker-lookalike"])
case("nl", OV_X, "Halve seizoenskaart hoofdtribune (tweede seizoenshelft) nu voor €215 🎟️", tags=["sale"])
case("en", pub("discord", "ultras_noord#0420"), "anyone going to the Oranjeveld away day? carpool from Utrecht "
     "leaves 10:30", tags=["ordinary"])
case("nl", pub("x", "@oplettend_ov"), "Kreeg een sms dat mijn kaart geblokkeerd is met link naar een rare site. "
     "Oranjeveld zelf belt alleen vanaf +31 30 799 2000, dus gewoon verwijderd.", tags=["own-contact"])
case("nl", pub("reddit", "u/spaarder_tim"), "Wie doneert er mee? Jeugdfonds Oranjeveld: NL34RABO0307992000, "
     "ze verdubbelen alles tot eind mei", kind="comment", tags=["own-contact"])
case("en", pub("x", "@cardnerd"), "Old test card number from a payments course: {{BADCARD:visa_sp}}. Fails Luhn, "
     "so no Oranjeveld checkout will ever take it.", tags=["bad-checksum"])
case("nl", pub("x", "@bondsvolger"), "Het Oranjeveld-bestuur heeft vorige maand de reorganisatie van 2024 "
     "afgerond, staat in het jaarverslag. Nu weer focus op de jeugd.", tags=["published"])


# ===========================================================================
# building
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
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_validated):
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
        if RANK[s] > RANK[best]:
            best = s
    return best


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    local = base + dt.timedelta(minutes=r.randint(8 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    short = "".join(r.choice(URLSAFE) for _ in range(11))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{big}", f"https://www.instagram.com/p/{short}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/eredivisie/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/eredivisie/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{short}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={short}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-tribunepraat-{n}", f"https://forum.tribunepraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 17, 10 ** 18)
    return f"{platform}-{n}", None


# a few handles are written with other casing than in the profile (role still applies)
RECASE = {
    ("x", "@oranjeveld_tickets"): "@OranjeVeld_Tickets",
    ("x", "@lottevanrijn"): "@LotteVanRijn",
    ("linkedin", "yusuf-aydin-ov"): "Yusuf-Aydin-OV",
    ("instagram", "@oranjeveld.sport"): "@Oranjeveld.Sport",
}


def build(profile):
    d = Draw(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    recased = set()
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(d, c["text"])
        handle = c["handle"]
        key = (c["platform"], handle)
        if key in RECASE and key not in recased and meta.random() < 0.5:
            handle = RECASE[key]
            recased.add(key)
        pid, url = post_id(meta, c["platform"], handle, c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], handle)
        validated = PII in c["cats"] and any(k in VALID_IDS for k, _ in used)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = meta.choice(["post", "post", "post", "reply", "comment", "repost"]) \
                if c["platform"] not in ("x", "bluesky", "threads", "mastodon") else \
                meta.choice(["post", "post", "post", "reply", "repost"])
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": handle}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        roll = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif roll < 0.09:
            pass
        elif roll < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or some_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "oranjeveld"
        rows.append(dict(line={"post": post, "expect": {"categories": list(c["cats"]), "severity": sev}},
                         used=used, role=role, lang=c["lang"], tags=c["tags"]))
    self_check(rows)
    shuffle.shuffle(rows)
    return rows


def self_check(rows):
    own_iban = "NL34RABO0307992000"
    for r in rows:
        cats = r["line"]["expect"]["categories"]
        for kind, raw in r["used"]:
            if kind.startswith("IBAN_"):
                assert mod97_ok(raw) and raw != own_iban, raw
            if kind.startswith("BADIBAN_"):
                assert not mod97_ok(raw), raw
            if kind == "CARD":
                assert luhn(raw), raw
            if kind == "BADCARD":
                assert not luhn(raw), raw
            if kind == "BSN":
                assert elfproef(raw), raw
            if kind == "NOTBSN":
                assert not elfproef(raw), raw
            if kind == "EAN":
                assert ean_ok(raw) and not luhn(raw), raw
            if kind == "GHP":
                assert base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
            if kind in VALID_IDS and PII not in cats:
                raise AssertionError(f"valid identifier without leak.pii: {r['line']['post']['text'][:40]}")
        if not cats:
            assert r["line"]["expect"]["severity"] == "none"
        assert len(r["line"]["post"]["text"].encode()) <= 65536


def main():
    profile = load_profile()
    rows = build(profile)
    OUT.write_text("".join(json.dumps(r["line"], ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")
    if "--stats" in sys.argv:
        from collections import Counter
        cat, sev, role, lang, plat = Counter(), Counter(), Counter(), Counter(), Counter()
        multi = evasion = 0
        for r in rows:
            cs = r["line"]["expect"]["categories"]
            for c in cs or ["(benign)"]:
                cat[c] += 1
            multi += len(cs) > 1
            evasion += "evasion" in r["tags"]
            sev[r["line"]["expect"]["severity"]] += 1
            role[r["role"]] += 1
            lang[r["lang"]] += 1
            plat[r["line"]["post"]["platform"]] += 1
        for c in CATS + ["(benign)"]:
            print(f"  {c:24s} {cat[c]}")
        print("multi:", multi, "evasion:", evasion)
        print("severity:", dict(sev))
        print("role:", dict(role))
        print("lang:", dict(lang))
        print("platform:", dict(plat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
