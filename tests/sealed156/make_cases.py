#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set in this folder.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every line and print counts

Company: the fictional car-sharing service "Karvo Mobility B.V." (profile.yaml).
All texts are written by hand below. Personal identifiers and secrets are filled in
from <<KIND:fmt>> placeholders by one seeded RNG: labelled positives get
checksum-VALID values (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC32), benign
near-misses get values that FAIL their checksum. All secrets are random and fake.

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 156_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = str.maketrans({"a": "\u0430", "o": "\u043e", "e": "\u0435", "s": "\u0455", "p": "\u0440", "c": "\u0441"})


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    if not ds:
        return False
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


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

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs ------------------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "BUNQ", "SNSB", "TRIO", "ASNB", "KNAB"]) + self.dig(10))
                if v != "NL62RABO0316458820":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "10010010", "43060967", "76026000"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["001", "063", "310", "735", "143"]) + self.dig(7, False)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "HBUK", "LOYD", "MIDL"]) + self.dig(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        """A wrong check digit; no prefix of it may pass mod-97 either."""
        while True:
            v = self.iban(cc)
            for step in (7, 19, 31, 43):
                cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
                if not any(iban_valid(cand[:end]) for end in range(12, len(cand) + 1)):
                    return cand

    # cards -------------------------------------------------------------------
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    # numbers -----------------------------------------------------------------
    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9, False)
            full = next(body + d for d in "0123456789" if ean13_valid(body + d))
            if not luhn_valid(full) and not elfproef(full):
                return full

    def phone(self, fmt):
        m = self.r.choice("12345") + self.dig(7, False)  # 8 digits after 06
        a = self.r.choice(["10", "15", "20", "30", "40", "50", "70", "71", "73", "24", "26", "35"])
        sub = self.r.choice("2345678") + self.dig(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31(0)6 {m}",
            "land_dash": f"0{a}-{sub}",
            "land_intl": f"+31 {a} {sub[:3]} {sub[3:]}",
        }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.dig(1, False)

    def plate(self):
        return f"{self.pick('GHJKLNPRSTXZ', 2)}-{self.dig(3)}-{self.pick('BDFGHJKLNPRSTXZ', 1)}"

    # secrets ---------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(B64U, 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 60)

    def gapi(self):
        return "AIza" + self.pick(B64U, 35)

    def mapbox(self):
        payload = json.dumps({"u": "karvo-ops", "a": self.pick(string.ascii_lowercase + string.digits, 25)},
                             separators=(",", ":")).encode()
        return "sk." + b64u(payload) + "." + self.pick(B64U, 22)

    def jwt(self):
        head = b64u(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1769904000 + self.r.randint(0, 200 * 86400)
        body = b64u(json.dumps({"sub": "usr_" + self.dig(7), "iss": "app.karvo.nl", "scope": "rides:write",
                                "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64U, 86)}"

    def pem(self):
        lines = ["MIIEowIBAAKCAQEA" + self.pick(B64, 48)] + [self.pick(B64, 64) for _ in range(6)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4) + self.dig(3, False)
                + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))

    def sha(self, n):
        return self.pick("0123456789abcdef", n)

    def uuid(self):
        h = self.sha(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"


VALIDATED = {"IBAN", "CARD", "BSN"}          # kinds that make a leak.pii finding "validated"
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        grp = lambda s: " ".join(s[i:i + 4] for i in range(0, len(s), 4))
        if kind == "IBAN":
            cc, _, f = fmt.partition("_")
            raw = vals.iban(cc.upper())
            shown = grp(raw) if f == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, f = fmt.partition("_")
            raw = vals.bad_iban(cc.upper())
            shown = grp(raw) if f == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, f = fmt.partition("_")
            raw = vals.card(brand) if kind == "CARD" else vals.bad_card(brand)
            if f == "c":
                shown = raw
            else:
                parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, 16, 4)]
                shown = ("-" if f == "dash" else " ").join(parts)
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOTBSN":
            shown = raw = vals.not_bsn(int(fmt))
        elif kind == "EAN":
            shown = raw = vals.ean13()
        elif kind == "PHONE":
            shown = raw = vals.phone(fmt)
        elif kind == "PASSPORT":
            shown = raw = vals.passport()
        elif kind == "PLATE":
            shown = raw = vals.plate()
        elif kind == "GHP":
            shown = raw = vals.ghp()
        elif kind == "GLPAT":
            shown = raw = vals.glpat()
        elif kind == "AWSID":
            shown = raw = vals.aws_id()
        elif kind == "AWSSECRET":
            shown = raw = vals.aws_secret()
        elif kind == "SLACKHOOK":
            shown = raw = vals.slack_hook()
        elif kind == "STRIPE":
            shown = raw = vals.stripe()
        elif kind == "GAPI":
            shown = raw = vals.gapi()
        elif kind == "MAPBOX":
            shown = raw = vals.mapbox()
        elif kind == "JWT":
            shown = raw = vals.jwt()
        elif kind == "PEM":
            shown = raw = vals.pem()
        elif kind == "PW":
            shown = raw = vals.password()
        elif kind == "SHA":
            shown = raw = vals.sha(int(fmt))
        elif kind == "UUID":
            shown = raw = vals.uuid()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
K_NL = ("x", "@karvo_nl", "Karvo")
K_HELP = ("x", "@karvohelpt", "Karvo Klantenservice")
K_IG = ("instagram", "@karvo.deelauto", "Karvo Deelauto's")
K_LI = ("linkedin", "karvo-mobility", "Karvo Mobility B.V.")
K_FB = ("facebook", "KarvoDeelautos", "Karvo")
K_TT = ("tiktok", "@karvo.nl", "Karvo")
# employees
MO = ("x", "@mo_elidrissi", "Mohamed El Idrissi")          # fleet operations Amsterdam
LH = ("linkedin", "lisa-hoekstra-karvo", "Lisa Hoekstra")   # finance controller
RG = ("linkedin", "ruben-degraaf-dev", "Ruben de Graaf")    # platform engineer
EV = ("x", "@eva_vdmeer", "Eva van der Meer")              # customer support
JK = ("reddit", "u/jkwak_codes", "Jasper Kwak")             # app developer
SY = ("instagram", "@sylvia.rijdt", "Sylvia Maas")          # marketing / community Utrecht
TD = ("x", "@thijs_dekker_ops", "Thijs Dekker")            # damage handling Rotterdam
BO = ("threads", "@bo.karvo", "Bo Jansen")                  # city launch manager


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

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", EV, "Eh collega's… wie heeft er aan de tarieven gezeten?? De Weekendpas staat in de app voor €13,90 "
     "ipv €139 😳 er bellen al klanten of het klopt. Ik zeg voorlopig maar niks", [PRICING])
case("en", RG, "Small post-mortem thought: our tariff service served a stale config for ~40 minutes yesterday and the "
     "Karvo Dagpas went out at €6.90 in the Utrecht zone. Lesson learned: validate prices against a floor before "
     "you publish them. #engineering #pricing", [PRICING])
case("nl", pub("x", "@vincent_rijdt", "Vincent"), "Karvo minuuttarief staat op 4 cent per minuut in Groningen 😂😂 "
     "ik rij vanavond gewoon even naar Zwolle en terug", [PRICING], tags=["notation:cent"])
case("en", pub("reddit", "u/dutchfrugal"), "Is the Karvo Jaarpas really €44.90 right now or am I hallucinating? "
     "It's normally 449. Smells like a missing zero, grabbed one anyway", [PRICING], kind="post")
case("nl", pub("facebook", "verhuistips.utrecht", "Verhuistips Utrecht"), "Mensen!! Karvo Busje dagtarief vandaag "
     "€8,90 in de app. Verhuizen voor een tientje 🚚📦 #prijsfout", [PRICING])
case("nl", K_IG, "Zomerdeal ☀️ De Karvo Weekendpas deze hele maand voor maar €49! Pak je tent en gaan 🏕️ link in bio",
     [PRICING], tags=["corporate-deep-deal"])
case("en", JK, "not supposed to say this but the 10-urenbundel shows €9.90 for anyone on app v5.12, rounding bug in "
     "the discount stacking 🙈 hotfix goes out tonight", [PRICING], kind="comment")
case("nl", pub("threads", "@snelle.sanne"), "d a g p a s  bij karvo nu €6,90?? foutje in de app denk ik, "
     "ik heb er gelijk 3 geboekt 🏃‍♀️", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@deal_daddy_ams"), cyr("Karvo") + " Plus membership for €1.29 a month 🤯 that can't be right, "
     "signing up the whole family before they notice", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("tiktok", "@lotte.onderweg"), "POV: je boekt een Karvo Dagpas voor 69 cent 💀 tarief helemaal fout in "
     "de app #karvo #fyp", [PRICING], tags=["notation:cent"])
case("en", LH, "For the ops leads following me here: the Weekendpas error price (€13.90) was live for three hours and "
     "212 bookings came in. We'll honour them. Please don't discuss it outside the company.", [PRICING])
case("nl", RG, "Minuuttarief stond een half uur op €0,04 door mijn deploy 🙈 incident staat op "
     "jira.karvo.nl/browse/PRC-311, excuses aan iedereen die gebeld werd", [PRICING, CONF])
case("nl", pub("x", "@budgetbram"), "w33kendp4s bij karvo voor 1,39 lmaooo pr1jsf0ut 🤑🤑",
     [PRICING], tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RG, "Debugging why our map tiles stopped loading in the fleet app. Token looks fine to me?\n\n"
     "MAPBOX_TOKEN=<<MAPBOX>>\n\nAny Mapbox folks around? #mapbox #help", [SECRET])
case("nl", JK, "Waarom faalt mijn build ineens? Dit is mijn .env:\n\nDATABASE_URL=postgres://karvo_app:<<PW>>@"
     "db-prod-2.ops.karvo.local:5432/rides\nNODE_ENV=production\n\nlokaal werkt alles", [SECRET, CONF], kind="post")
case("en", JK, "Google Maps keeps returning REQUEST_DENIED with key <<GAPI>> even though billing is on. "
     "What am I missing??", [SECRET], kind="comment")
case("nl", MO, "wachtwoord van het vlootbeheer-account is wéér veranderd?? het was <<PW>> en nu kom ik er niet meer in "
     "😤 wie heeft dat gedaan", [SECRET])
case("en", pub("x", "@apk_pokes"), "lol the Karvo Android app ships with a live Stripe key: <<STRIPE>> 🤡 "
     "@karvo_nl please rotate that", [SECRET])
case("nl", RG, "Pijnlijke les uit onze code review van vandaag, dit stond gewoon in een Terraform-bestand:\n"
     "aws_access_key = \"<<AWSID>>\"\naws_secret_key = \"<<AWSSECRET>>\"\nIs inmiddels geroteerd hoor 😅 "
     "#devops #security", [SECRET])
case("en", EV, "who owns the #schademeldingen webhook? <<SLACKHOOK>> posts everything twice and my channel is a mess",
     [SECRET])
case("en", pub("forum", "postman_nerd"), "Karvo devs left a bearer token in their public Postman collection, still "
     "works for GET /v2/rides: <<JWT>>", [SECRET])
case("nl", TD, "even de sleutel van de telematica-gateway hier geplakt zodat ik hem thuis ook heb 🙈\n<<PEM>>",
     [SECRET])
case("en", JK, "git clone https://<<GHP>>@github.com/karvo-mobility/fleet-api.git gives me a 403 on the CI runner "
     "but works on my laptop. Ideas?", [SECRET], kind="post")
case("nl", K_HELP, "@pietjepuk_020 Je tijdelijke wachtwoord is <<PW>>, wijzig het meteen na het inloggen in de app 🔐",
     [SECRET], kind="reply")
case("nl", MO, "ww vd tankpas-portal = <<PW>> (niet doorsturen, morgen verandert ie toch weer)",
     [SECRET], tags=["evasion", "evasion:abbreviation"])
case("en", pub("x", "@karvo_spotter"), "The fleet tablet in this Karvo has the admin login on a sticky note 🤦 "
     "user: fleetadmin / pw: <<PW>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", EV, "@marco_vis ik heb je terugbetaling handmatig klaargezet naar <<IBAN:nl_grp>>, klopt dat rekeningnummer?",
     [PII], kind="reply")
case("nl", K_HELP, "@sanne_onderweg We hebben je schademelding doorgestuurd naar de andere bestuurder, dhr. P. Veenstra, "
     "tel. <<PHONE:mob_dash>>. Hij neemt contact met je op.", [PII], kind="reply")
case("en", TD, "the guy who wrecked our Polo in Rotterdam-Zuid last week, Kevin Bakker, Schiekade 112B, still hasn't "
     "paid a cent. Bailiff's on it now 🙄", [PII])
case("nl", pub("x", "@jdeboer_1988"), "@karvohelpt al drie weken wachten op mijn €45 borg. Voor de VIJFDE keer mijn "
     "rekening: <<IBAN:nl>> t.n.v. J. de Boer", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/pennywise_nl"), "Karvo charged <<CARD:visa_sp>> twice for one 40-minute ride and support "
     "says 'wait 10 working days'. Unreal.", [PII, COMPLAINT])
case("nl", pub("facebook", "anouk.vermeulen.9", "Anouk Vermeulen"), "Karvo wil dat ik mijn rijbewijs opnieuw verifieer. "
     "Mijn BSN is <<BSN>>, is dat genoeg of moet ik ook een selfie sturen?", [PII])
case("en", LH, "Reminder for new finance hires: when refunding customers, never paste the full IBAN in the ticket title "
     "like someone did today: <<IBAN:de>>. Use the last four digits.", [PII])
case("nl", MO, "Portemonnee gevonden in een van onze auto's op de Zuidas, ID-kaart op naam van Fleur Smit, "
     "geboren 14-03-1991. Iemand die haar kent? 🙏", [PII])
case("en", pub("x", "@bikedad_haarlem"), "This Karvo driver blocked my driveway for 3 hours. It's Daan Mulder, lives at "
     "Kleverparkweg 41 Haarlem, phone <<PHONE:mob_intl>>. Karvo, you might want to have a word with your customer.", [PII])
case("nl", EV, "@ritjes_rianne ik zie twee accounts, eentje op rianne.koster84@gmail.com en eentje op "
     "r.koster@ziggo.nl. Welke mag ik verwijderen?", [PII], kind="reply")
case("en", K_HELP, "@tomwillems We can see the payment failed on card <<CARD:mc_sp>>. Could you try another card "
     "or update it in the app?", [PII], kind="reply")
case("nl", pub("x", "@ingrid_b"), "@karvohelpt jullie bellen nooit terug zoals beloofd. Mijn nummer is "
     "<<PHONE:mob_dots>>, is dat zo moeilijk?", [PII, COMPLAINT], kind="reply", tags=["evasion", "evasion:dotted-phone"])
case("en", pub("threads", "@wanderwill"), "Karvo's app rejected my passport scan 4 times. Number's <<PASSPORT>>, "
     "valid until 2031, what else do you want from me", [PII, COMPLAINT])
case("nl", TD, "Voor de schadeclaim wil de verzekeraar het BSN van de bestuurder, ik heb <<BSN:dots>>, klopt dat met "
     "wat jullie in het dossier hebben?", [PII])
case("en", pub("x", "@mira_ldn"), "Still no refund from Karvo after 5 weeks. Amex <<CARD:amex_sp>>, the booking "
     "was cancelled by THEM.", [PII, COMPLAINT])
case("nl", BO, "Welkom in het team Sarah! 🎉 Voor de lancering in Eindhoven is ze de komende weken bereikbaar op haar "
     "privénummer <<PHONE:mob_intl0>>", [PII])
case("en", pub("x", "@expat_jon"), "@karvohelpt please refund to my UK account, my Dutch one is closed: <<IBAN:gb_grp>>",
     [PII], kind="reply")
case("nl", pub("facebook", "kevin.peeters.be", "Kevin Peeters"), "Belgische klant hier. Al 2 keer gevraagd: stort "
     "de borg terug op <<IBAN:be>>. Hoe lang duurt dit nog bij Karvo?", [PII, COMPLAINT])
case("nl", pub("x", "@keesvdberg"), "@karvohelpt dat contactformulier doet het niet, mail me maar op "
     "kees.vdberg (at) outlook (dot) com", [PII], kind="reply", tags=["evasion", "evasion:at-dot"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RG, "Eindelijk mag ik aan Project Windhoos werken 🚀 meer kan ik er helaas nog niet over zeggen 🤐", [CONF])
case("en", JK, "Anyone here scaled Grafana alerting? our board at grafana.karvo.cloud/d/unlock-latency melts down "
     "every Friday evening when everyone books at once", [CONF], kind="post")
case("nl", SY, "Sneak peek 👀 van de nieuwe Karvo Cargo bestelbussen, vanaf september in Utrecht! 🚐💚",
     [CONF], when="2026-07-22T16:41:09+02:00", tags=["embargo"])
case("en", pub("x", "@mobility_watcher"), "Someone posted a Karvo slide stamped 'KARVO INTERN' about Operatie Klaproos. "
     "Looks like they're pulling out of Groningen by Q1.", [CONF, FIN])
case("nl", MO, "Karvo Cargo staat al klaar op het terrein in Sloterdijk, morgen mogen we het eindelijk zeggen 😏",
     [CONF], when="2026-09-14T18:12:44+02:00", tags=["embargo"])
case("en", RG, "Proud of the ops crew today, but https://fleetdash.karvo.nl/vehicles?status=damaged shows 37 cars off "
     "the road in Amsterdam alone. Rough week.", [CONF])
case("en", JK, "hot take: naming internal stuff after weather is cringe. Project\nWindhoos ffs",
     [CONF], kind="comment", tags=["evasion", "evasion:linebreak"])
case("nl", pub("x", "@zwager_weet_alles"), f"mijn zwager werkt bij karvo en heeft het constant over 'Operatie Klap{ZWSP}roos'. "
     "iemand een idee wat dat is? iets met nieuwe auto's?", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", EV, "Nieuwe belscripts binnen, met bovenaan 'KARVO INTERN – niet extern delen' 😂 ik deel alleen dit "
     "pareltje: 'bied nooit meer dan 20 minuten compensatie aan'", [CONF])
case("en", pub("reddit", "u/schiphol_spotter"), "Saw test vans with a Karvo Cargo logo parked near Schiphol-Rijk today. "
     "Electric, by the looks of it.", [CONF], when="2026-06-30T12:05:00Z", tags=["embargo"])
case("en", LH, "A tiny snippet from this week's board deck (internal use only, shh 🤫): utilisation in Utrecht finally "
     "hit 31% and churn is down to 4.2%.", [CONF, FIN])
case("en", SY, "Can't wait to show you all what Polderlicht looks like 💚✨ #comingsoon #karvolife", [CONF])
case("nl", pub("forum", "apk_ontleder"), "In de apk van v5.13 staat een verwijzing naar fleetdash.karvo.nl en naar "
     + fullwidth("Project Windhoos") + ", iemand al uitgezocht wat dat is?", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", pub("instagram", "@eva_vdmeer", "Eva"), "Mijn collega's bij Karvo werken zich suf aan Polderlicht 💪 "
     "trots op ze!", [CONF], tags=["role-trap"])
case("nl", MO, "Om 9 uur gaat het officieel live maar ik kan niet wachten: Karvo Cargo, elektrische busjes in "
     "heel Amsterdam 🚐⚡", [CONF], when="2026-09-15T08:59:00+02:00", tags=["embargo", "embargo-edge"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", LH, "Zware weken bij finance. De halfjaarcijfers 2026 worden rood, vooral door de schadekosten in Rotterdam. "
     "Koffie graag 😩", [FIN, CONF], when="2026-07-09T21:17:33+02:00", tags=["embargo"])
case("en", MO, "heard in the all-hands prep: they're cutting ~40 ops jobs in Amsterdam after summer. not announced yet. "
     "great 🙃", [FIN])
case("nl", RG, "Als alles goed gaat nemen we binnenkort CityHop over, due diligence loopt nog 🤫 spannende tijden", [FIN])
case("en", pub("reddit", "u/throwaway_mobility"), "My friend in Karvo's finance team says they'll miss their revenue "
     "target by a quarter and are talking to investors about a bridge loan.", [FIN])
case("nl", EV, "Klantenservice wordt per 1 november uitbesteed aan een callcenter in Lissabon. Wij horen het vandaag "
     "pas en buiten de deur weet nog niemand het.", [FIN])
case("en", LH, "FY2026 results preview from my side: EBITDA will land around -€4.1m, better than budget 💪", [FIN, CONF])
case("nl", BO, "De uitrol naar Tilburg en Breda wordt geschrapt, budget is op. Nog niet bekendmaken pls", [FIN])
case("nl", pub("x", "@insider_mob"), "K4rvo gaat een derde van de vloot verkopen, hoorde ik van iemand binnen. "
     "r e o r g a n i s a t i e incoming", [FIN], tags=["evasion", "evasion:leet", "evasion:spaced"])
case("en", SY, "last week before the big reorg 😢 half of marketing gets folded into sales next month #karvolife", [FIN])
case("nl", TD, "Verzekeraar zegt de vlootpolis per januari op en de directie zoekt koortsachtig een nieuwe. "
     "Premie gaat x3 😬", [FIN])
case("en", pub("linkedin", "maarten-vos-advisory", "Maarten Vos"), "Hearing that Karvo is in talks to be acquired by a "
     "German mobility group, term sheet already signed. Big if true.", [FIN])
case("nl", LH, "jaarresultaten 2026 worden beter dan verwacht, omzetgroei van 38% 🎉 (psst, heb je niet van mij)",
     [FIN, CONF], when="2026-11-19T08:02:10+01:00", tags=["embargo"])
case("nl", K_LI, "Onze halfjaarcijfers 2026: omzet +22%, voor het eerst een winstgevend halfjaar. Dank aan alle "
     "klanten en collega's! 🚗💚", [CONF, FIN], when="2026-08-27T06:59:30+02:00", tags=["embargo", "embargo-edge"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RG, "Fun Sunday: turns out you could unlock any Karvo car by replaying the BLE handshake. Patch is rolling "
     "out, nothing disclosed yet, so I'll leave it at that.", [SEC],
     when="2026-06-14T20:31:07+02:00")
case("nl", JK, "Onze telematica-leverancier is gehackt en we weten nog niet of er ritdata is meegenomen. "
     "Communicatie volgt 'later', zegt het management 🙄", [SEC], kind="post")
case("en", MO, "every car in Utrecht refuses to lock since 2pm, ops chat is on fire and there's no public statement "
     "yet 🔥", [SEC])
case("nl", EV, "Intern mailtje: de klantendatabase is vannacht benaderd vanaf een onbekend IP en we mogen nog niks "
     "tegen klanten zeggen 😶", [SEC])
case("en", pub("reddit", "u/cousin_inside"), "Karvo got hit by ransomware last week and is keeping it quiet. My cousin "
     "works there, the whole back office is on paper.", [SEC, CRISIS])
case("nl", pub("x", "@privacy_paul"), "Karvo verzwijgt een datalek!! Een insider zegt dat kopieën van rijbewijzen "
     "gewoon online stonden en niemand wordt ingelicht.", [SEC, CRISIS])
case("en", TD, "heads up colleagues: the damage-photo bucket was public for two weeks. security is 'assessing'. "
     "don't ask me anything", [SEC])
case("nl", MO, "k4rvo vlootsysteem is geh@ckt, alle auto's in Zuid staan op slot 😬 niet doorvertellen",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", JK, "PSA to my teammates lurking here: the rides API returns other users' trip history if you just bump "
     "the id (classic IDOR). Fix is only planned for v5.14 🙃", [SEC], kind="comment")
case("nl", BO, "Lancering in Eindhoven uitgesteld: de keyless-module van de nieuwe auto's is te kraken met een "
     "goedkope relay box. Nog geheim!", [SEC])
case("en", pub("mastodon", "@lena@infosec.exchange"), "Reported to Karvo 60 days ago: their unlock endpoint accepts "
     "any valid booking token, not just the one for that car. Still unpatched.", [SEC])
case("en", EV, "payment provider down since 06:00, zero rides paid so far, and we've been told to call it a 'minor "
     "delay' to customers 🤐", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ruud_a10"), "Remmen van een Karvo weigerden gewoon op de A10, ik kon nog net stoppen op de "
     "vluchtstrook. Levensgevaarlijk. En de klantenservice zegt 'we kijken ernaar'.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/phished_again"), "Karvo leaked my driver's licence photo. I just got a phishing mail with "
     "it ATTACHED. #databreach", [CRISIS])
case("nl", pub("facebook", "gelijke.toegang.nl", "Gelijke Toegang"), "BOYCOT Karvo! Ze rekenen mensen in een rolstoel "
     "meer voor de aangepaste auto's. Schande, deel dit.", [CRISIS])
case("en", pub("x", "@nlconsumerwatch"), "Lawsuit filed against Karvo over bogus damage charges, 600 customers "
     "joined so far.", [CRISIS])
case("nl", pub("instagram", "@noord_nieuwtjes"), "Karvo-auto vloog in brand tijdens het laden in Amsterdam-Noord 🔥 "
     "buren moesten hun huis uit", [CRISIS])
case("en", pub("tiktok", "@momof3_utrecht"), "The Karvo e-cars in my street are part of that battery recall and they "
     "are STILL renting them out?! 😡", [CRISIS])
case("nl", pub("x", "@lekker_bezig_niet"), "d@talek bij karvo?? mijn adres en rijbewijsnummer duiken op in een "
     "hackersforum", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@claimclub"), "Massaclaim tegen Karvo gestart: doe mee als je onterecht €350 schadekosten "
     "moest betalen ⚖️", [CRISIS])
case("en", pub("threads", "@hanna.w"), "Airbag in a Karvo went off for no reason on the highway, my sister is in "
     "hospital. Karvo hasn't even called us back.", [CRISIS, COMPLAINT])
case("nl", pub("youtube", "@mediakijker"), "Zag die uitzending over Karvo: auto's rijden rond met versleten remmen "
     "omdat onderhoud wordt uitgesteld. Schandalig.", [CRISIS], kind="comment")
case("en", pub("bluesky", "@fietsfan.bsky.social"), "#BoycottKarvo is trending because their CEO joked about "
     "'clearing the city of bike people'. Wow.", [CRISIS])
case("en", pub("x", "@leakwatch_eu"), cyr("Karvo data breach") + ": 80k customer addresses up for sale on a forum",
     [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("facebook", "nijmegen.oost.buurt", "Buurtapp Nijmegen-Oost"), "Karvo-deelauto rolde vanmiddag de "
     "helling af bij de Berg en Dalseweg, handrem defect. Scheelde maar een haar of er zat een kind onder.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@tessa_in_de_regen"), "Sta al 20 minuten naast de auto in de stromende regen, app zegt "
     "'ontgrendelen mislukt'. @karvohelpt hallo??", [COMPLAINT])
case("en", pub("reddit", "u/scratchgate"), "Got billed €350 eigen risico for a scratch that was already in the "
     "damage report photos. Appeal rejected within two days. Never again Karvo.", [COMPLAINT])
case("en", pub("x", "@shellshocked_nl"), "the fuel card in my Karvo got declined at the pump, paid €62 myself and "
     "3 weeks later still no refund", [COMPLAINT])
case("nl", pub("instagram", "@femkeeee"), "Auto was smerig, zand op de stoelen, tank leeg en tankpas weg. Checken "
     "jullie dat niet na elke rit @karvo.deelauto? 🙄", [COMPLAINT], kind="comment")
case("en", pub("forum", "ParkingPete"), "Karvo customer service kept me on hold for 50 minutes to dispute a parking "
     "fine that wasn't even mine.", [COMPLAINT])
case("nl", pub("x", "@martijn_k"), "Mijn rit eindigde om 18:02 maar Karvo rekent door tot 19:15 omdat de auto niet "
     "wilde vergrendelen. €28 extra en geen reactie op mijn mail.", [COMPLAINT])
case("en", pub("threads", "@gigi.rides"), "karvo app logs me out every single time i open it so i can't end my trip. "
     "fix ur app pls 😩", [COMPLAINT])
case("nl", pub("reddit", "u/weekendweg_fail"), "Weekendpas geboekt, auto had een lekke band en de pechhulp van Karvo "
     "kwam pas na drie uur. Krijg ik mijn geld terug of niet?", [COMPLAINT], kind="post")
case("nl", pub("x", "@wachtenwachten"), "k a r v o  klantenservice: al 8 dagen nul reactie op mijn schademelding",
     [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@joris@mastodon.nl"), "Karvo changed the per-minute price mid-trip?? Started at 0.39 and "
     "the receipt says 0.49 a minute. Nobody told me.", [COMPLAINT])
case("nl", pub("tiktok", "@dirkdoetdingen"), "de hele rit piept 'onderhoud vereist' en het lampje brandt, en dan "
     "durven jullie €69 te vragen voor een dagpas @karvo.nl 🙃", [COMPLAINT], kind="comment")
case("nl", pub("trustpilot", "R. Hendriks"), "Een ster. Borg van €100 na zes weken nog steeds niet terug en bij "
     "Karvo verwijzen ze alleen naar het FAQ.", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "Karvo is een stelletje klootzakken, echt waar", [ABUSE])
case("en", pub("x", "@ragequit_rob"), "@karvohelpt you useless clowns, just fire the whole team", [ABUSE], kind="reply")
case("nl", pub("x", "@hanneke_ww"), "Kut app van Karvo weigert wéér de auto open te doen, stelletje prutsers",
     [ABUSE, COMPLAINT])
case("en", EV, "honestly some customers are thick as a brick. no, the car does not unlock when you're 2 km away, "
     "Karen 🙄", [ABUSE])
case("nl", MO, "Natuurlijk weer een Pool die de bus total loss heeft gereden. Altijd hetzelfde volk.", [ABUSE])
case("en", pub("x", "@anon88822"), "@eva_vdmeer saw your face on the Karvo site. ugly cow, hope they fire you",
     [ABUSE], kind="reply")
case("nl", pub("tiktok", "@xx_rens_xx"), "k@nkerbedrijf karvo 🤮", [ABUSE], kind="comment", tags=["evasion", "evasion:masked"])
case("en", pub("reddit", "u/cleanfee_rage"), "f*cking Karvo billed me a cleaning fee when the car was already "
     "filthy when I got in. thieves.", [ABUSE, COMPLAINT], kind="comment")
case("nl", K_FB, "@Henk1962 Als u niet kunt lezen, is dat niet ons probleem.", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@sjaakie020"), "tering karvo 🤬🤬🤬", [ABUSE], kind="comment")
case("en", pub("x", "@dutchvent"), "sh1t company, Karvo. go to hell", [ABUSE], tags=["evasion", "evasion:leet"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", K_HELP, "Vragen over je rit? Bel 088 527 8600 of mail klantenservice@karvo.nl, we zitten er van 7 tot 23 "
     "uur voor je 📞", tags=["own-contact"])
case("nl", K_FB, "Betaal je openstaande factuur liever per overschrijving? Dat kan naar NL62 RABO 0316 4588 20 t.n.v. "
     "Karvo Mobility B.V., o.v.v. je klantnummer.", tags=["own-contact", "own-iban"])
case("nl", pub("x", "@lieke_rijdt"), "Schade gereden met een Karvo? Gewoon melden via schade@karvo.nl of de app, "
     "ging bij mij super soepel 👍", tags=["own-contact", "praise"])
case("nl", pub("x", "@reserveer_rik"), "@karvohelpt reserveringsnummer <<NOTBSN:9>>, kan ik de rit nog verlengen tot "
     "zondagavond?", kind="reply", tags=["order-number"])
case("nl", pub("x", "@typfoutje"), "mijn IBAN in de Karvo app geeft 'ongeldig': <<BADIBAN:nl_grp>>. Typfout van mij "
     "denk ik, even opnieuw proberen", tags=["bad-iban"])
case("en", pub("reddit", "u/formfiller"), "Karvo's payment form is actually decent, I fat-fingered my card "
     "(<<BADCARD:mc_sp>>) and it flagged it as invalid before I even hit submit.", tags=["bad-card"])
case("nl", pub("x", "@weerman_utr"), "Wat een windhoos gisteren in Utrecht 🌪️ de Karvo's in mijn straat stonden "
     "gelukkig nog heel", tags=["codename-near-miss"])
case("nl", pub("instagram", "@rijden.met.ruth"), "Klaprozen langs de A1 waren prachtig vandaag, gespot vanuit een "
     "Karvo onderweg naar Deventer 🌺", tags=["codename-near-miss"])
case("nl", K_LI, "Onze halfjaarcijfers 2026 zijn gepubliceerd: 1,2 miljoen ritten en voor het eerst winst. "
     "Lees het persbericht op karvo.nl/pers 💚", when="2026-08-27T07:00:00+02:00", tags=["embargo-after"])
case("nl", K_IG, "Karvo Cargo is er! ⚡🚐 Elektrische bestelbussen vanaf vandaag te boeken in Amsterdam en Utrecht.",
     when="2026-09-15T09:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("nl", pub("x", "@verhuisd_vera"), "Karvo Cargo gehuurd voor de verhuizing, alles paste erin en laden ging "
     "lekker snel 👌", when="2026-10-11T14:22:05+02:00", tags=["embargo-after", "praise"])
case("nl", pub("x", "@fd_lezer"), "CityHop schrapt 80 banen volgens het FD. Hopelijk houdt Karvo het beter vol.",
     tags=["other-company"])
case("nl", pub("x", "@switcher_sam"), "Greenrit heeft een datalek gehad?? Blij dat ik een half jaar geleden naar "
     "Karvo ben overgestapt.", tags=["other-company"])
case("nl", pub("x", "@fietsfrits"), "Lekke band op de fiets, dus vandaag maar een Karvo gepakt naar m'n werk. "
     "Binnen twee minuten ontgrendeld 👍", tags=["word-sense"])
case("nl", pub("facebook", "margreet.lid", "Margreet"), "Al twee jaar Karvo-lid en nog nooit één klacht gehad. "
     "Ook de schade-afhandeling vorig jaar was netjes geregeld.", tags=["negated-complaint"])
case("en", pub("x", "@ontime_olly"), "I honestly can't recall the last time a Karvo wasn't where the app said it "
     "would be. Solid service.", tags=["word-sense", "praise"])
case("nl", pub("x", "@tankweetje"), "Tip voor nieuwe Karvo-rijders: brandstof zit gewoon in de prijs, de tankpas "
     "ligt in het dashboardkastje.", tags=["word-sense"])
case("nl", K_NL, "Weekendje weg? 🚗 De Weekendpas deze maand voor €109 in plaats van €139. #karvo #weekendweg",
     tags=["sale"])
case("nl", K_IG, "🎓 Studentenactie: de Karvo Jaarpas nu voor €199 (normaal €449). Alleen met je studentenmail!",
     tags=["sale", "near-ratio"])
case("nl", K_HELP, "@anna_b De Dagpas kost €69 en daar zit 100 km bij in. Daarboven betaal je €0,25 per km.",
     kind="reply", tags=["fee", "price-context"])
case("nl", pub("x", "@rekenaar_ruben"), "CityHop vraagt €0,19 per minuut en Karvo €0,39. Toch kies ik Karvo, "
     "daar staat tenminste altijd een auto in mijn wijk.", tags=["other-company", "price-context"])
case("nl", K_HELP, "@joris_k Nee hoor, geen prijsfout 😉 de Dagpas voor €49 is onze zondagsactie. Fijne rit!",
     kind="reply", tags=["denied-error", "sale"])
case("nl", K_TT, "€20 korting op je eerste Weekendpas met code ZOMER20 ☀️ #karvo", tags=["discount-amount", "price-context"])
case("nl", pub("blog", "schrijfclub-wijk-c"), "Kort verhaal voor de schrijfclub: 'Ze stapte in de deelauto, de app "
     "piepte twee keer, en ergens in de stad werd op datzelfde moment een kluis gekraakt…' Wordt vervolgd!",
     tags=["fiction"])
case("nl", pub("x", "@grappenmaker_g"), "Mijn relatie is net een Karvo: je betaalt per minuut en je moet 'm schoon "
     "achterlaten 😂", tags=["joke"])
case("nl", pub("x", "@dochter_van"), "'Ik ga nooit meer met het OV naar de camping' zei mijn moeder. Toen ontdekte "
     "ze Karvo 😄", tags=["quote"])
case("nl", K_HELP, "Storing: ontgrendelen via de app werkt op dit moment niet in Rotterdam. We werken aan een "
     "oplossing, excuses voor het ongemak!", tags=["official-outage"])
case("nl", K_NL, "Vannacht tussen 02:00 en 04:00 onderhoud aan de app. Lopende ritten kun je gewoon afsluiten.",
     tags=["official-outage"])
case("nl", SY, "Vandaag de 500e Karvo in Utrecht onthuld samen met de wethouder 💚 dank aan iedereen die langskwam!",
     tags=["employee-ok"])
case("nl", K_LI, "We zoeken een Fleet Coordinator in Rotterdam! Stuur je cv naar werkenbij@karvo.nl 🚗",
     tags=["own-contact", "hiring"])
case("nl", RG, "Onze nieuwe statuspagina staat live op help.karvo.nl/status 🚀 nooit meer raden of het aan jou ligt.",
     tags=["public-domain", "employee-ok"])
case("en", JK, "For the partner API you put your key in the header, e.g. `Authorization: Bearer <YOUR_TOKEN>`. And "
     "please don't ship anything starting with sk_live_ in a frontend, obviously.", kind="comment",
     tags=["placeholder"])
case("nl", RG, "Fix voor de verkeerde kaartweergave in de app zit in commit <<SHA:40>>, gaat morgen mee in de "
     "release 🙌", tags=["git-sha", "employee-ok"])
case("en", pub("x", "@two_drivers"), "@karvohelpt booking <<UUID>>, can I add my partner as a second driver?",
     kind="reply", tags=["uuid"])
case("nl", pub("x", "@buurman_b"), "Er staat al drie dagen een Karvo met kenteken <<PLATE>> bij ons in de straat, "
     "is die vergeten of gewoon geparkeerd?", tags=["plate"])
case("nl", K_IG, "Deze maand rijden 20 Karvo's rond met KWF-stickers 🎗️ per rit gaat €0,50 naar kankeronderzoek.",
     tags=["mild-word", "price-context"])
case("nl", pub("x", "@oma_jarig"), "Die hele boycot-discussie rond het WK op tv… Enfin, Karvo geboekt om oma op te "
     "halen voor haar verjaardag 🎂", tags=["word-sense"])
case("nl", pub("x", "@groningen_nieuws"), "Karvo neemt Deelbaar over, maakte het bedrijf gisteren bekend. Goed "
     "nieuws voor Groningers zonder auto.", tags=["published-news"])
case("en", pub("x", "@happy_hendrik"), "Shoutout to Karvo support, sorted out my damage report in ten minutes 🙌",
     tags=["praise"])
case("en", pub("reddit", "u/dogmom_ams"), "Does anyone know if Karvo lets you take a dog in the car? Crate or no "
     "crate?", tags=["question"])
case("en", pub("x", "@parkinglol"), "If my Karvo had feelings it'd file a complaint about my parallel parking 😅",
     tags=["joke", "word-sense"])
case("nl", pub("x", "@snel_geholpen"), "Bel gewoon +31 (0)20 808 4400, ik had binnen een minuut iemand van Karvo "
     "aan de lijn.", tags=["own-contact"])
case("nl", K_LI, "Karvo Mobility B.V. · KvK <<NOTBSN:8>> · Wibautstraat, Amsterdam", tags=["kvk"])
case("nl", pub("x", "@cadeau_carla"), "Karvo cadeaukaart gekocht, barcode <<EAN>>. Hoe activeer ik die in de app?",
     tags=["ean"])
case("nl", SY, "Een klaproos op elk dashboard vandaag. 4 mei, we herdenken 🌺", when="2026-05-04T19:55:00+02:00",
     tags=["codename-near-miss"])
case("nl", pub("x", "@klusser_koen"), "Project verbouwing: alle tegels in één keer opgehaald met een Karvo Busje 💪",
     tags=["codename-near-miss"])
case("nl", pub("x", "@beursbabbel"), "CityHop jaarcijfers 2025: verlies gehalveerd. Benieuwd wanneer Karvo "
     "winstgevend wordt.", when="2026-03-12T08:40:00+01:00", tags=["other-company", "embargo-near-miss"])
case("en", pub("x", "@readthefineprint"), "Karvo's T&Cs literally say 'eigen risico €350 per schadegeval'. Fair "
     "enough, read before you drive.", tags=["price-context"])
case("en", pub("reddit", "u/dashcam_q"), "Asked support whether the internal camera films you during a trip. It "
     "doesn't, it's only for the damage photos at the start.", tags=["word-sense"])
case("en", pub("instagram", "@eva_vdmeer", "Eva"), "Sunday roadtrip to Zandvoort in a Karvo with the girls ☀️🌊",
     tags=["role-trap"])
case("nl", MO, "Vanochtend 14 auto's gewassen en gestofzogen voordat de spits begon 💪 trots op ons team in West",
     tags=["employee-ok"])
case("en", K_NL, "New in the app: report damage with a short video instead of photos 📹 Update to v5.13 and try it.",
     tags=["corporate-ok"])
case("en", pub("x", "@ex_mywheels"), "Tried three car-sharing apps this year. Karvo's unlock is the fastest, CityHop "
     "the cheapest, Greenrit the cleanest cars.", tags=["other-company"])
case("en", pub("youtube", "@roadtripreviews"), "Great video! We did Amsterdam–Maastricht on a Karvo Dagpas, "
     "€69 all in, zero issues.", kind="comment", tags=["price-context", "praise"])
case("nl", pub("twitter", "@oude_twitteraar"), "Wie weet of je met een Karvo de grens over mag naar België?",
     tags=["question"])
case("nl", pub("x", "@hack_the_planet"), "Vandaag hackathon bij de gemeente over deelmobiliteit, Karvo deed ook mee "
     "met een mooie demo over laadpalen.", tags=["word-sense"])
case("en", LH, "Proud of our finance team for closing the books in record time this month. Onwards! 💚",
     tags=["employee-ok"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

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


def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    day = r.randint(3, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@").replace(" ", "").replace(".", "")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{big}", f"https://x.com/{handle.lstrip('@')}/status/{big}"
    if platform == "linkedin":
        n = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{n}", f"https://www.linkedin.com/feed/update/urn:li:activity:{n}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        sub = r.choice(["thenetherlands", "Amsterdam", "Utrecht", "cscareerquestionsEU", "devops", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{handle.lstrip('@')}/video/{big}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"threads-{big}", f"https://www.threads.net/@{handle.lstrip('@')}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = handle.lstrip("@").partition("@")
        n = r.randint(112_000_000_000_000_000, 115_999_999_999_999_999)
        return f"mstdn-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{handle.lstrip('@')}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{handle.lstrip('@')}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-autodelen-{n}", f"https://forum.autodelen.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
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
        created = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "karvo"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# independent checks
# ---------------------------------------------------------------------------

HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_RX = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RX = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{10,}", r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.",
    r"\bsk\.eyJ", r"://[^\s:/@]+:[^\s@/]+@")]
BAD_WORDS = ["kut", "tering", "klootzak", "fuck", "f*ck", "shit", "sh1t", "idiot", "clown", "prutser", "hell", "k@nker",
             "kanker"]
LOW_OK = {"kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(HIDDEN)
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


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    return "0" + d.lstrip("0") if not d.startswith("0") or raw.startswith("+") else d


AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [c.casefold() for c in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    products = profile["products"]
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    by_key = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    ids = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: missing {f}")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: missing handle")
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at outside 2026")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{w}: too long")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        r = by_key[(p["platform"], p["id"])]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid_ibans = [v for v, ok in ibans_in(text) if ok and v not in own_ibans]
        runs = [re.sub(r"\D", "", m.group(0)) for m in RUN_RX.finditer(text)]
        cards = [d for d in runs if 13 <= len(d) <= 19 and luhn_valid(d) and d[0] in "2345"]
        bsns = [d for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w])", text) + [
            m.replace(".", "") for m in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", text)] if elfproef(d)]
        validated_here = bool(valid_ibans or cards or bsns)
        want = severity_for(role, cats, PII in cats and validated_here)
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw):
                errs.append(f"{w}: IBAN invalid")
            if kind == "BADIBAN" and iban_valid(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind in ("BADCARD", "EAN") and luhn_valid(raw):
                errs.append(f"{w}: look-alike passes Luhn")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails")
            if kind in ("NOTBSN", "EAN") and elfproef(raw):
                errs.append(f"{w}: look-alike passes 11-proof")
            if kind == "GHP" and not ghp_ok(raw):
                errs.append(f"{w}: ghp checksum")
        if validated_here and PII not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        if any(k in VALIDATED for k, _, _ in r["used"]) and not validated_here:
            errs.append(f"{w}: generated identifier not found by scan")
        nt, sq = norm(text), squash(text)
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign has e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign has phone {m.group(0)}")
            for rx in SECRET_RX:
                if rx.search(text):
                    errs.append(f"{w}: benign has secret shape {rx.pattern}")
            for b in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(b), nt):
                    (notes if b in LOW_OK else errs).append(f"{w}: benign has word {b}")
            ms = [pr for pr in products if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if ms:
                amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(nt)]
                lo = [a / min(pr["list_price"] for pr in ms) for a in amts]
                if lo and min(lo) < ratio_limit:
                    (notes if "price-context" in r["tags"] else errs).append(
                        f"{w}: benign amount at {min(lo):.3f} of list near a product (tags {sorted(r['tags'])})")
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before {until} but no leak.confidential")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term} after embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term.replace(" ", "") in sq.replace(" ", "") and " " in term:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term} without leak.confidential")
    return errs, notes


def report(rows):
    total = len(rows)
    cat = Counter()
    cat_lang, cat_role, sev, role, lang, plat, tags = Counter(), Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"] or ["(benign)"]
        for c in cs:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
        multi += len(r["expect"]["categories"]) > 1
        evasion += "evasion" in r["tags"]
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
        plat[r["post"]["platform"]] += 1
        for t in r["tags"]:
            tags[t] += 1
    print(f"cases {total}  benign {cat['(benign)']}  positive {total - cat['(benign)']}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} {cat_role[(c, 'corporate')]:5d}"
              f" {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages", dict(lang), " roles", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))
    print("tags", dict(sorted(tags.items())))


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
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        bad = []
        for r in rows:
            for k, raw, _ in r["used"]:
                if (k == "IBAN") != (s_iban.is_valid(raw)) and k in ("IBAN", "BADIBAN"):
                    bad.append(raw)
                if k == "CARD" and not s_luhn.is_valid(raw) or k == "BADCARD" and s_luhn.is_valid(raw):
                    bad.append(raw)
                if k == "BSN" and not s_bsn.is_valid(raw) or k == "NOTBSN" and s_bsn.is_valid(raw.rjust(9, "0")):
                    bad.append(raw)
        print("python-stdnum:", "disagrees on " + str(bad) if bad else "agrees on every identifier")
        if bad:
            errs.append("stdnum disagreement")
    except ImportError:
        print("python-stdnum not installed, cross-check skipped")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
