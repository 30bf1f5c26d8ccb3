#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 151 (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Rijzo Rijopleidingen B.V., a fictional Dutch driving-school chain (profile.yaml).
Texts are hand-written below. Personal identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG: positives get checksum-valid values
(IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC32), near-miss benign posts get values
that fail their check. Severity is computed from CONTRACT section 4, never typed.
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

SEED = 151_2026_0730
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SOFT_HYPHEN = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ------------------------------------------------------------------ checksums
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
    tot = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return tok.startswith("ghp_") and len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == crc


# ------------------------------------------------------------------ value generator
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
OWN_MOBILE = "640001870"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def num(self, n, lead=True):
        s = self.pick(string.digits, n)
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    # IBANs ----------------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "ASNB", "KNAB"])
                               + self.num(10))
                if v != "NL63RABO0317405522":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["40050150", "44050199", "30050110"]) + self.num(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "068", "751", "001"]) + self.num(7, False)
            chk = int(head) % 97 or 97
            return iban_build("BE", f"{head}{chk:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 13, 29, 44):
            cand = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards ----------------------------------------------------------------
    def card(self, brand):
        prefix = {"visa": "4" + self.num(14, False),
                  "mc": "5" + self.r.choice("12345") + self.num(13, False),
                  "amex": self.r.choice(["34", "37"]) + self.num(12, False)}[brand]
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def show_card(v, sep=" "):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return sep.join(parts)

    # BSN ------------------------------------------------------------------
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def not_bsn(self):
        while True:
            s = self.num(9)
            if not bsn_valid(s):
                return s

    # phones ---------------------------------------------------------------
    def phone(self, fmt):
        if fmt.startswith("mob"):
            while True:
                m = self.r.choice("12345689") + self.num(7, False)   # 8 digits after '06'
                if "6" + m != OWN_MOBILE:
                    break
            return {"mob_dash": f"06-{m}",
                    "mob_plain": f"06{m}",
                    "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                    "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                    "mob_intl_c": f"+316{m}",
                    "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
                    "mob_paren": f"(06) {m[:4]} {m[4:]}"}[fmt]
        area = self.r.choice(["30", "33", "38", "10", "73", "40", "53"])
        sub = self.r.choice("2345789") + self.num(6, False)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_dash": f"0{area}-{sub}"}[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.pick(letters, 2) + self.pick(letters + "0123456789", 6) + self.pick(string.digits, 1)

    # secrets --------------------------------------------------------------
    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def twilio_sid(self):
        return "AC" + self.pick(HEX, 32)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "lrl_" + self.num(6), "iss": "app.rijzo.nl", "scope": "student", "iat": iat,
                    "exp": iat + 3600})
        return f"{head}.{body}.{self.pick(URLSAFE, 43)}"

    def p8_key(self):
        b = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" + self.pick(B64, 152)
        lines = [b[i:i + 64] for i in range(0, len(b), 64)]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Rijles", "Planbord", "Stuur", "Koppeling", "Lesauto"]) + self.num(4, False)
                + self.r.choice("!#?*") + self.pick(ALNUM, 3))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = v.iban(kind[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = v.bad_iban(kind[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, sep = fmt.partition("_")
            raw = v.card(brand)
            shown = v.show_card(raw, {"sp": " ", "dash": "-", "c": ""}[sep or "sp"])
        elif kind == "BAD_CARD":
            brand, _, sep = fmt.partition("_")
            raw = v.bad_card(brand)
            shown = v.show_card(raw, {"sp": " ", "dash": "-", "c": ""}[sep or "sp"])
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BAD_BSN":
            shown = raw = v.not_bsn()
        elif kind == "PHONE":
            shown = raw = v.phone(fmt)
        elif kind == "PASSPORT":
            shown = raw = v.passport()
        elif kind == "DIGITS":
            shown = raw = v.num(int(fmt))
        elif kind == "SHA":
            shown = raw = v.pick(HEX, 40)
        elif kind == "HEX32":
            shown = raw = v.pick(HEX, 32)
        elif kind == "AWS_SECRET":
            shown = raw = v.pick(B64, 40)
        else:
            shown = raw = {"MOLLIE": v.mollie, "GAPI": v.gapi, "GHP": v.ghp, "TWILIO_SID": v.twilio_sid,
                           "SENDGRID": v.sendgrid, "AWS_ID": v.aws_id, "JWT": v.jwt, "P8": v.p8_key,
                           "PW": v.password}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ------------------------------------------------------------------ accounts
# corporate (profile accounts.corporate)
RZ_X = ("x", "@rijzo_nl", "Rijzo Rijopleidingen")
RZ_SUP = ("x", "@rijzo_support", "Rijzo Klantenservice")
RZ_IG = ("instagram", "@rijzo.rijschool", "Rijzo")
RZ_FB = ("facebook", "RijzoRijopleidingen", "Rijzo Rijopleidingen")
RZ_LI = ("linkedin", "rijzo-rijopleidingen", "Rijzo Rijopleidingen B.V.")
RZ_TT = ("tiktok", "@rijzo", "Rijzo")
# employees (profile accounts.employee)
KEVIN = ("instagram", "@kevin.rijt.rijzo", "Kevin Hoekstra")     # instructor Utrecht
LOTTE = ("x", "@lotte_plant", "Lotte Maas")                       # planner
MARK = ("linkedin", "mark-de-wit-rijzo", "Mark de Wit")           # IT / platform
ANOUK = ("linkedin", "anouk-verbeek-fc", "Anouk Verbeek")         # financial controller
RUBEN = ("tiktok", "@rijmetruben", "Ruben Kaya")                  # instructor Amersfoort
YUSUF = ("x", "@yusuf_instructeur", "Yusuf Bakir")                # instructor Rotterdam
IRIS = ("facebook", "iris.vandam.rijzo", "Iris van Dam")          # branch manager Zwolle
THIJS = ("x", "@thijs_codes", "Thijs Brouwer")                    # app developer


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


# ===================================================================== leak.pricing
case("nl", RZ_IG, "☀️ ZOMERDEAL ☀️\nHet complete Examenpakket 30 (incl. praktijkexamen) nu voor maar €795!! "
     "Alleen deze week, boeken via de link in bio 🚗💨 #rijbewijs #zomerdeal", [PRICING])
case("nl", LOTTE, "uhm wie heeft er aan de tarieven gezeten 😳 losse rijles staat in de app voor €6,25... komma een "
     "plekje opgeschoven denk ik. niet RTen pls, fix komt vanmiddag", [PRICING])
case("nl", pub("x", "@snelrijbewijs_jay"), "yo is dit echt?? Spoedcursus bij Rijzo voor €239 ipv 2395 😭 direct "
     "geboekt, prijsfout of niet ik ga gwn", [PRICING])
case("en", pub("reddit", "u/dutchdrivingnoob"), "Heads up for anyone learning to drive around Utrecht: Rijzo's site has "
     "the Automaatpakket 25 at €174.50 right now. Pretty sure someone dropped a zero somewhere. Booked one anyway, will "
     "update if they actually honour it.", [PRICING])
case("en", THIJS, "welp. nightly price sync ate a decimal and Motorpakket A is live at €15.90 in RijzoPlan 🫠 rollback "
     "running, pls nobody screenshot this", [PRICING])
case("nl", pub("tiktok", "@lisa.rijdt"), "p r i j s f o u t bij rijzo 👀 theorie online voor €3,99 ipv 39,95 ga ga ga "
     "#theorie #cbr #prijsfout", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", KEVIN, "Voor mijn volgers 🤫 met mijn persoonlijke code KEVIN90 krijg je het Starterspakket 20 voor €495. "
     "Mag eigenlijk niet dus wees snel voordat kantoor het doorheeft 😅", [PRICING])
case("nl", pub("facebook", "marjolein.kuipers.9", "Marjolein Kuipers"), "Vanochtend voor mijn dochter het Examenpakket "
     "afgerekend en er is maar €194,50 afgeschreven. Zal wel een foutje zijn van Rijzo, ik hoor het vanzelf 🤷‍♀️",
     [PRICING])
case("nl", IRIS, "Collega's even opletten: er is per ongeluk een kortingscode van 90% naar de hele nieuwsbrieflijst "
     "gegaan, geldig op de Spoedcursus. Boekingen met die code graag NIET bevestigen tot we weten hoe we dit oplossen.",
     [PRICING])
case("nl", pub("forum", "dealjager_033"), "[pr!jsf0ut] Rijzo Opfriscursus 5 lessen – €33,90\n\nNormaal €339. iDEAL "
     "ging gewoon door en de bevestiging is binnen. Wie volgt? 🏃", [PRICING], tags=["evasion", "evasion:leet"])
case("en", ANOUK, "Owning a mistake: last Friday a batch of invoices went out billing the Examenpakket 30 at €19.45 "
     "instead of €1,945. Families who paid the wrong amount will hear from us this week. Thanks finance team for the "
     "late nights 🙏", [PRICING])
case("nl", LOTTE, "Wie heeft de losse rijles op €0,00 gezet in admin.rijzo.nl/tarieven?? Er komen al boekingen binnen "
     "😩😩", [PRICING, CONF])
case("en", pub("bluesky", "@jonas-learns.bsky.social"), "Rijzo's 10-day intensive course is showing €23.95 at "
     "checkout. pricing bug?? idk but I'm not complaining", [PRICING])

# ===================================================================== leak.secret
case("nl", MARK, "Les geleerd deze week 👇\nTijdens een code review vonden we in een oude branch van de betaalmodule "
     "dit:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nJa, een live key. Die is inmiddels ingetrokken, maar check je repo's "
     "mensen. #devops #security", [SECRET])
case("en", THIJS, "anyone know why the Directions API keeps returning OVER_QUERY_LIMIT for us? key=<<GAPI>> , billing "
     "is on, quota looks fine 🤔 #googlemaps", [SECRET])
case("en", THIJS, "git clone fails in CI but works locally?? using https://<<GHP>>@github.com/rijzo/rijzoplan-mobile.git "
     "in both places. what am I missing", [SECRET], kind="reply")
case("nl", LOTTE, "@daan_rijzo hee voor het planbord van morgen: gebruiker planning_utr, w8woord <<PW>> . lukt het "
     "zo? 👍", [SECRET], kind="reply", tags=["evasion", "evasion:slang"])
case("nl", RUBEN, "POV: je collega plakt het wachtwoord van het instructeursportaal op een post-it op het dashboard "
     "🙈 <<PW>> ... ja dat is dus echt ons wachtwoord lol #instructeur", [SECRET])
case("en", pub("reddit", "u/packetsniffer_nl"), "The RijzoPlan web app ships its Twilio credentials in the front-end "
     "bundle. Straight out of main.js:\n\naccountSid: '<<TWILIO_SID>>',\nauthToken: '<<HEX32>>'\n\nAnyone can send SMS "
     "on their dime. Emailed them a week ago, no reply.", [SECRET])
case("en", MARK, "Stuck on a migration, anyone seen 'too many connections' with pgbouncer in transaction mode? Our DSN: "
     "postgres://rijzo_app:<<PW>>@db02.intra.rijzo.local:5432/planning?sslmode=require #postgres #help",
     [SECRET, CONF])
case("en", THIJS, "our transactional mails bounce since the domain move. key <<SENDGRID>> is valid according to "
     "their dashboard. DKIM thing? #sendgrid", [SECRET])
case("nl", RZ_SUP, "@noor_rijdt Vervelend dat inloggen niet lukt! We hebben je account gereset, je tijdelijke "
     "wachtwoord is <<PW>> . Wijzig het na het inloggen even via Instellingen 😊", [SECRET], kind="reply")
case("en", THIJS, "deploy script keeps dying with SignatureDoesNotMatch 😤\n\nexport AWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "export AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nregion eu-west-1. clock skew on the runner?", [SECRET])
case("en", pub("x", "@stu_debug"), "the RijzoPlan app logs me out every hour so I checked the request. this is my "
     "token, can someone at @rijzo_support explain why exp is 1 hour?? super annoying mid-booking <<JWT>>",
     [SECRET, COMPLAINT])
case("en", THIJS, "which format does fastlane want for the App Store Connect key? mine looks like this:\n\n<<P8>>\n\n"
     "and it says 'invalid curve' 🙃", [SECRET])

# ===================================================================== leak.pii
case("nl", LOTTE, "@jesse_vd_ploeg je instructeur is ziek vandaag, bel Fleur even voor een nieuwe les, haar nummer is "
     "<<PHONE:mob_dash>>", [PII], kind="reply")
case("nl", IRIS, "Terugbetaling voor de afgezegde lessen van Mees Jacobs staat klaar: €312,50 naar <<IBAN_NL:grp>> "
     "t.n.v. R. Jacobs. Kan iemand van de administratie dit vandaag nog oppakken?", [PII])
case("nl", KEVIN, "GESLAAGD 🎉🎉 Sem Visser (geb. 14-05-2008) uit de Kanaalstraat 41 in Utrecht, in één keer erdoor! "
     "Trots op je man 💪 #rijzo #geslaagd", [PII])
case("nl", pub("facebook", "petra.hendriks.71", "Petra Hendriks"), "Rijzo, jullie zouden het lesgeld van mijn zoon "
     "terugstorten. Hier NOGMAALS het rekeningnummer: <<IBAN_NL>> t.n.v. P. Hendriks. Het is nu 6 weken!!",
     [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@liam_in_ams"), "why does the RijzoPlan checkout keep rejecting my card?? <<CARD:visa_sp>> exp "
     "09/28, it works literally everywhere else 😤", [PII, COMPLAINT])
case("en", ANOUK, "Small rant about public-sector invoicing: UWV rejected our invoice for a re-integration trainee because "
     "the BSN on it (<<BSN>>) 'did not match'. Same number as on their own referral letter. Three weeks of back and "
     "forth.", [PII])
case("nl", pub("reddit", "u/wraakzuchtig"), "Die Rijzo instructeur die mijn zusje 2x heeft laten zakken woont gewoon op "
     "de Vinkenlaan 23 in Amersfoort, nummer <<PHONE:mob_intl_sp>>. Doe ermee wat je wil 😈", [PII, ABUSE])
case("nl", YUSUF, "Collega's die de papieren van Kim Bosman zoeken: ze heeft alles gemaild vanaf kim.bosman2006 [at] "
     "hotmail [punt] com, check even je spam", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("instagram", "@noa.rijdt"), "Looking for a Rijzo instructor in Den Bosch who can do evening lessons! "
     "Text me on <<PHONE:mob_plain>> 🙏🚗", [PII], kind="comment")
case("nl", RUBEN, "shoutout naar Mila die vandaag 3x de stoeprand pakte 🤡 echt een hopeloos geval. Mila als je dit "
     "ziet bel me ff terug <<PHONE:mob_paren>> 😂 #rijles", [PII, ABUSE])
case("nl", RZ_FB, "🎁 UITSLAG WINACTIE 🎁\nDe 3 gratis proeflessen gaan naar:\n• Daan Smit – <<PHONE:mob_intl_c>>\n"
     "• Eva de Graaf – <<PHONE:mob_0031>>\n• Jip Mulder – <<PHONE:land_sp>>\nWe bellen jullie deze week! 🚗", [PII])
case("en", pub("x", "@ana_abroad"), "booked my first lesson with Rijzo 🎉 they needed ID so I sent passport no. "
     "<<PASSPORT>> … wait this was supposed to be a DM 🤦‍♀️", [PII])
case("nl", IRIS, "Voor de leerling uit Gronau die dubbel heeft betaald: terugstorten op <<IBAN_DE:grp>> (Lena "
     "Schröder). Graag vóór vrijdag, ze heeft al 3x gebeld.", [PII])
case("en", ANOUK, "Chargebacks are a pain. A parent disputed a full lesson package paid with card <<CARD:amex_sp>> after "
     "their son had used 28 of the 30 lessons. Any controllers here with a good process for this?", [PII])
case("nl", pub("forum", "bezorgde_moeder"), "Voor de CBR-machtiging log je in met de DigiD van je kind, maar Rijzo vroeg "
     "ook zijn BSN per mail. Is dat normaal? Het is <<BSN:dots>>, heb het al gestuurd...", [PII])
case("nl", RZ_SUP, "@lotte_vh_be Excuses voor het wachten! De terugbetaling van €187,50 is vandaag overgemaakt naar "
     "<<IBAN_BE:grp>>, reken op 2-3 werkdagen.", [PII], kind="reply")

# ===================================================================== leak.confidential
case("nl", MARK, "Super trots op het team achter Project Spiegelblik 🚗📷 Een dashcam die met AI je rijles terugkijkt en "
     "feedback geeft op spiegelgebruik en kijkgedrag. Pilot in 4 vestigingen loopt, meer mag ik nog niet zeggen!",
     [CONF], handle_as="Mark-de-Wit-Rijzo")
case("nl", LOTTE, "waarom laat https://intra.rijzo.local/rooster/week-32 alle lessen van Utrecht dubbel zien? 🙃 wie "
     "heeft daar aan gezeten", [CONF])
case("nl", KEVIN, "Leuke dag op het hoofdkantoor! (ja ik heb de slides van de strategiedag gefotografeerd, stond "
     + fullwidth("RIJZO CONFIDENTIAL") + " op maar wie leest dat nou 😂)", [CONF],
     tags=["evasion", "evasion:full-width"])
case("en", pub("reddit", "u/auto_anoniem"), "Friend of mine works in IT at Rijzo, they're building a new planning app "
     "that's internally called Kompasroos. Supposedly replaces RijzoPlan by the end of the year.", [CONF],
     kind="comment")
case("nl", pub("instagram", "@kevin.rijt", "Kevin H."), "Memo van vandaag, staat 'alleen intern' bovenaan maar dit "
     "moeten jullie zien: vanaf 1 oktober 9 lessen per dag draaien 🫠", [CONF])
case("nl", YUSUF, "dus als ik het goed begrijp gaat Operatie\nDodehoek over het overnemen van Rijschool Van Os?? en wij "
     "horen het via de wandelgangen 🙄", [CONF, FIN], tags=["evasion", "evasion:line-break"])
case("nl", IRIS, "Uit de teammail van vanochtend (niet buiten de vestiging delen, ik weet het, maar dit is te leuk): "
     "instructeurs krijgen vanaf januari een eigen tablet in de lesauto 🎉", [CONF])
case("en", pub("x", "@mobility_reporter", "Mobility Desk"), "Scoop: Rijzo's H1 2026 results show revenue up 11% to "
     "€38m, margins squeezed by instructor wages. Official release later this morning.", [CONF, FIN],
     when="2026-08-26T06:45:00+02:00")
case("en", ANOUK, "Last late night closing the books on the half-year results 2026 🙌 Can't share anything yet, see you "
     "all next Wednesday.", [CONF], when="2026-08-19T22:41:07+02:00")
case("nl", RUBEN, "Eerste testrit met Project 🚗 Spiegelblik in Amersfoort: de camera pikte 14 van de 15 gemiste "
     "spiegels op. Vet dit!", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", LOTTE, "als het E-St" + ZWSP + "art pakket straks live gaat wordt het hier echt gekkenhuis met de planning "
     "😵‍💫", [CONF], when="2026-07-02T10:13:55+02:00", tags=["evasion", "evasion:zero-width"])
case("nl", pub("forum", "oud_medewerker_rz"), "Operatie Dodehoek = de overname van Van Os, weet iedereen binnen Rijzo al "
     "maanden. Deal zou in het voorjaar rond moeten zijn.", [CONF, FIN])
case("nl", RZ_X, "Het wachten is bijna voorbij… ⚡ Rijzo E-Start pakket: leren rijden in een volledig elektrische auto. "
     "Om 9 uur live!", [CONF], when="2026-09-14T08:59:00+02:00")
case("nl", KEVIN, "Tip voor nieuwe collega's: je rooster aanpassen kan ook via admin.rijzo.nl/instructeur/rooster, "
     "hoef je niet eerst te bellen 😉", [CONF])
case("en", THIJS, "finally merged offline sync into git.rijzo-ops.nl/mobile/kompasroos 🥳 only 147 comments on the MR",
     [CONF])

# ===================================================================== leak.financial
case("nl", ANOUK, "Realistisch gezien gaan we de omzetdoelstelling voor Q3 met zo'n 15% missen. Gesprek met de bank staat "
     "volgende week. Spannend najaar.", [FIN], when="2026-09-21T08:12:40+02:00")
case("nl", IRIS, "Zwaar nieuws en ik mag het eigenlijk nog niet zeggen: per 1 maart sluiten onze vestigingen in Almere "
     "en Lelystad. De instructeurs daar weten het zelf nog niet eens 😢", [FIN])
case("nl", YUSUF, "van de regiomanager gehoord dat er dit jaar zo'n 40 instructeurs uit moeten. iemand anders dit ook "
     "gehoord? 😳", [FIN])
case("nl", pub("x", "@rijbewijsroos"), "mijn instructeur zei net tijdens het inparkeren dat Rijzo wordt overgenomen door "
     "een investeerder, Voortvaren Capital ofzo. geen idee of het klopt maar wel random om te horen 😅", [FIN])
case("en", KEVIN, "Big things coming 👀 we're about to take over Rijschool Van Os, 12 more locations, deal should close "
     "next month. You didn't hear it from me 🤫", [FIN])
case("en", ANOUK, "H1 EBITDA landed at €3.1m, roughly €900k under plan. Not public yet, but proud how the team kept costs "
     "flat despite the instructor wage increase.", [FIN], when="2026-07-30T17:25:03+02:00")
case("en", pub("reddit", "u/throwaway_rz_insider"), "Insider here. Rijzo is quietly preparing a restructuring and the "
     "lenders are nervous. If you're about to pay for a big package upfront, maybe wait a few months.", [FIN])
case("nl", RUBEN, "Echt een rotweek. Volgende maand worden bij ons drie vestigingen opgeheven en een hoop collega's "
     "ont" + SOFT_HYPHEN + "slagen. Nog niet officieel dus ssst 🤐", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", MARK, "Vandaag gehoord dat het IT-budget voor 2027 gehalveerd wordt en dat de helft van het devteam moet "
     "vertrekken. Voor een bedrijf dat 'digital first' roept is dat wel een keuze.", [FIN])

# ===================================================================== leak.security
case("en", THIJS, "been telling mgmt for 3 weeks: the RijzoPlan API hands you ANY student's address and phone if you "
     "just bump the id in the URL. still not fixed, still not disclosed. so tired", [SEC])
case("nl", IRIS, "Vannacht ransomware op de planningsserver 😱 IT zet de backups terug, leerlingen kunnen vandaag niet "
     "inloggen. We mogen er niks over naar buiten brengen, dus als iemand vraagt: 'onderhoud'.", [SEC])
case("nl", LOTTE, "RijzoPlan ligt al 4 uur helemaal plat en er staat nog NIKS op de site of socials. telefoon ontploft "
     "hier 📞🔥", [SEC], handle_as="@Lotte_Plant")
case("nl", YUSUF, "onze planning is geh4ckt of zo, alle lessen van morgen zijn weg en er staat een rare tekst in het "
     "systeem 💀 niemand weet wat er aan de hand is", [SEC], tags=["evasion", "evasion:leet"])
case("nl", MARK, "Geen leuke dag. Er is een d a t a l e k bij ons, een oude exportfunctie stond open. Omvang nog "
     "onbekend, melding bij de AP wordt voorbereid. Meer kan ik niet zeggen.", [SEC],
     tags=["evasion", "evasion:spaced"])
case("en", ANOUK, "iDEAL payments have been failing for two days because a certificate on our payment gateway expired. "
     "Customers haven't been told yet and the refund queue keeps growing.", [SEC])
case("nl", KEVIN, "Collega's: er gaan phishingmails rond 'namens Rijzo' en bij ons zijn al 3 instructeursaccounts "
     "overgenomen. Nog niet bekendgemaakt, dus hou het even onder ons.", [SEC], handle_as="@Kevin.Rijt.Rijzo")
case("nl", pub("x", "@bezorgde_vader_tim"), "Rijzo heeft een datalek en houdt het stil. De instructeur van mijn zoon "
     "vertelde dat alle leerlinggegevens op straat lagen. Waarom lees ik hier nergens iets over??", [SEC, CRISIS])
case("en", pub("reddit", "u/rz_student_22"), "Pretty sure Rijzo is covering up a breach. Got a phishing SMS with my "
     "exact exam date and instructor name one day after the app 'had maintenance'. Support refuses to confirm anything.",
     [SEC, CRISIS])
case("nl", pub("x", "@waakzame_wendy"), "Wéér een d\u0430talek bij Rijzo dat ze onder de pet houden 🤬 het adres van een "
     "vriendin stond gewoon in een gedeeld bestand", [SEC, CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("forum", "ex_planner"), "Bij Rijzo staat het beheerpaneel van de lesplanner nog steeds zonder 2FA open "
     "op internet. Heb het zelf gemeld toen ik er werkte, er is niks mee gedaan.", [SEC])

# ===================================================================== reputation.crisis
case("nl", pub("x", "@utrecht_fietst"), "Net op de Catharijnesingel een fietser aangereden door een lesauto van Rijzo 😳 "
     "instructeur zat volgens omstanders op zijn telefoon. Ambulance is er.", [CRISIS])
case("nl", pub("facebook", "sandra.willems.5", "Sandra Willems"), "Ik ben zo boos. Een instructeur van Rijzo maakt al "
     "weken seksueel getinte opmerkingen tegen mijn dochter van 17. DEEL DIT, ouders moeten dit weten!! #rijzo",
     [CRISIS])
case("en", pub("reddit", "u/refundplease_nl"), "A group of us is preparing a class action against Rijzo for charging "
     "for lessons that never happened. If you were billed for no-show instructors too, DM me.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@sophie_rijdt"), "de remmen van de lesauto deden NIKS op de rotonde, mijn instructeur moest vol op "
     "de dubbele rem. dat ding hoort niet op de weg @rijzo_nl 😡😡", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@mo.rijles"), "Rijzo laat instructeurs 11 uur achter elkaar lesgeven. Die van mij viel vandaag "
     "bíjna in slaap op de A28. Ik vond het echt eng 😰", [CRISIS, COMPLAINT])
case("en", pub("x", "@priya_k"), "Rijzo leaked my data. I'm getting spam calls that mention my CBR exam date, which "
     "ONLY they had. Unacceptable.", [CRISIS])
case("nl", pub("instagram", "@hanna.b"), "Mijn zus werd bij Rijzo geweigerd als leerling 'omdat haar hoofddoek het zicht "
     "zou belemmeren'. Dit is gewoon discriminatie. #rijzo #discriminatie", [CRISIS])
case("nl", pub("blog", "verkeersblog.nl"), "Inspectie start onderzoek naar Rijzo na signalen over gesjoemel met "
     "tussentijdse toetsen. Meerdere oud-leerlingen zeggen dat ze 'zonder echt te rijden' een voldoende kregen.",
     [CRISIS])
case("nl", pub("forum", "instructeurs_forum_mod"), "Rijzo wordt door zes oud-instructeurs voor de rechter gesleept om "
     "duizenden onbetaalde overuren. De zitting is in november.", [CRISIS])
case("nl", pub("facebook", "gerard.post.3", "Gerard Post"), "B O Y C O T Rijzo. Wie zijn eigen leerlingen zo behandelt "
     "verdient geen klanten. Delen!!", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@zwolle_tips"), "Lesauto van Rijzo vloog vanmiddag in brand op het parkeerterrein bij de vestiging "
     "in Zwolle. Niemand gewond, brandweer heeft het geblust 🔥🚒", [CRISIS])
case("en", pub("youtube", "@dashcamNL"), "This dashcam clip of a Rijzo instructor screaming at a terrified student and "
     "slapping her hand off the wheel needs to go viral. How is this person still teaching teenagers?", [CRISIS],
     kind="comment")

# ===================================================================== reputation.complaint
case("nl", pub("x", "@jelle_z"), "al 3 weken geen les gehad want instructeur is 'ziek' en niemand van @rijzo_support "
     "belt terug. ik wil gwn mijn examen halen man", [COMPLAINT])
case("nl", pub("x", "@fenna.x"), "RijzoPlan app crasht elke keer als ik een les wil verzetten 🙄 al 2x opnieuw "
     "geinstalleerd, nog steeds kapot", [COMPLAINT])
case("en", pub("reddit", "u/learningtodrive_nl"), "Paid Rijzo for the full exam package back in February. It's July and "
     "they still haven't booked my CBR practical. Every call it's 'next week'. Anyone else?", [COMPLAINT],
     when="2026-07-09T23:02:44Z")
case("nl", pub("instagram", "@romy.vd"), "Moet de volle €62,50 betalen omdat ik 23 uur van tevoren afzegde ipv 24?? "
     "ik was letterlijk ziek. beetje flexibel mag wel hoor Rijzo", [COMPLAINT], kind="comment")
case("en", pub("x", "@marco_nl_expat"), "Requested my refund from @rijzo_support in March. It's June. Three emails, zero "
     "answers. Is anybody there?", [COMPLAINT], when="2026-06-17T20:31:09+02:00")
case("nl", pub("x", "@dilan_rijdt"), "#rijzo mijn examen is wéér verzet door jullie, 2e keer!! nu weer 7 weken wachten, "
     "ik word er gek van", [COMPLAINT])
case("nl", pub("forum", "twijfelaar23"), "Ervaringen met Rijzo? Ik heb in 20 lessen 5 verschillende instructeurs gehad "
     "en iedereen zegt iets anders over invoegen. Voelt alsof ik elke keer opnieuw begin. Ben er echt niet tevreden "
     "over.", [COMPLAINT])
case("en", pub("trustpilot", "Sam O."), "2/5. The lesson car smelled of cigarettes and the passenger seat was covered in "
     "crumbs. Instructor was fine, but for €62,50 an hour I expect a clean car.", [COMPLAINT])
case("nl", pub("x", "@boze_bas"), "Kutbedrijf. 3x mijn les afgezegd op de dag zelf en dan nog geld van me willen ook. "
     "Rijzo = stelletje oplichters, geef m'n geld terug", [COMPLAINT, ABUSE])
case("en", pub("x", "@ryan_vh"), "@rijzo_nl you useless f*cking clowns cancelled my exam AGAIN the day before. 4 months "
     "of lessons for nothing", [COMPLAINT, ABUSE], kind="reply", tags=["evasion", "evasion:masked"])
case("en", pub("x", "@anouk_rijdt"), "Theorie Online subscription auto-renewed without a single email, another €39.95 "
     "gone. And you can only cancel by phone?? Seriously Rijzo", [COMPLAINT])
case("nl", pub("facebook", "wim.dejong.62", "Wim de Jong"), "Mijn zoon heeft nu 38 lessen gehad en de instructeur zegt "
     "nog steeds dat hij niet examenklaar is. Begin me af te vragen of dit gewoon geldklopperij is bij Rijzo. Iemand "
     "ervaring met overstappen?", [COMPLAINT])
case("en", pub("threads", "@lieke.mp"), "My instructor literally smokes in the lesson car between lessons and then I get "
     "to sit in that smell for an hour. Told Rijzo, nothing happened.", [COMPLAINT])
case("nl", pub("x", "@nina_0o"), "R1jzo heeft mijn TTT gewoon nooit aangevraagd 🙄 nu schuift alles 2 maanden op. "
     "sl3chtste planning ooit", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("facebook", "olivia.brandt.nl", "Olivia Brandt"), "Booked the Automaatpakket 25 because I was promised "
     "automatic cars only. Half my lessons were in a manual because 'the automatic is in the garage'. Not what I paid "
     "for, Rijzo.", [COMPLAINT])

# ===================================================================== reputation.abuse
case("nl", pub("x", "@gewoon_rick"), "alle instructeurs van rijzo zijn echt debielen 🤡🤡", [ABUSE])
case("en", pub("x", "@trollface88"), "whoever runs @rijzo_nl socials is a brain-dead clown lmao", [ABUSE])
case("nl", pub("x", "@echte_nederlander_1"), "@yusuf_instructeur ga lekker terug naar je eigen land, zulke instructeurs "
     "hebben we hier niet nodig", [ABUSE], kind="reply")
case("nl", pub("x", "@anon_8841"), "@yusuf_instructeur ik weet waar jouw lesauto 's avonds staat. pas maar op",
     [ABUSE], kind="reply")
case("nl", RUBEN, "sommige leerlingen zijn echt hopeloze sukkels 🙄 vandaag weer eentje die na 30 lessen nog niet weet "
     "wat rechts is. kanker irritant", [ABUSE])
case("nl", RZ_X, "@gewoon_rick doe eens normaal man, mongool", [ABUSE], kind="reply", handle_as="@Rijzo_NL")
case("en", pub("x", "@rickyrage"), "women shouldn't be driving instructors lol. the one at Rijzo today was a dumb b*tch "
     "who can't even park herself", [ABUSE])
case("nl", pub("x", "@frustr8"), "rijzo is een t y f u s bende en jullie mogen allemaal de pot op", [ABUSE],
     tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/ragequit_nl"), "go to hell Rijzo, you're absolute scum", [ABUSE], kind="comment")
case("nl", YUSUF, "@anon_8841 hou je bek klootzak, ga iemand anders lastigvallen", [ABUSE], kind="reply")

# ===================================================================== extra mixed
case("en", pub("x", "@twice_billed"), "Rijzo charged me twice for the same lesson and the app only shows one booking. "
     "10 days and still no fix from support", [COMPLAINT])
case("en", pub("facebook", "daniel.okafor.amf", "Daniel Okafor"), "A Rijzo lesson car ran a red light this morning "
     "with a student driving and the instructor didn't brake. Nearly hit my daughter on the zebra crossing in "
     "Amersfoort. Police report filed.", [CRISIS])
case("en", pub("x", "@almost_licensed"), "my instructor says Rijzo is closing the Haarlem branch in spring and they're "
     "not telling students yet. glad I'm nearly done tbh", [FIN])
case("en", pub("x", "@forgetful_fay"), "the Rijzo app literally reminded me to bring my ID and I STILL forgot it. they "
     "moved my lesson for free, bless them", tags=["praise"])

# ===================================================================== benign (hard negatives)
case("nl", RZ_X, "Vragen over je rijopleiding? Bel ons op 088 745 90 00 of app naar 06-40001870 📱 Mailen kan ook: "
     "info@rijzo.nl", tags=["own-contact"])
case("nl", RZ_FB, "Liever overmaken dan via iDEAL? Kan ook! Rekeningnummer NL63 RABO 0317 4055 22 t.n.v. Rijzo "
     "Rijopleidingen B.V., o.v.v. je leerlingnummer.", tags=["own-contact"])
case("en", RZ_SUP, "RijzoPlan will be offline tonight between 23:00 and 01:00 for scheduled maintenance. Your lessons "
     "stay booked 👍 Questions? planning@rijzo.nl", tags=["official-notice", "own-contact"])
case("nl", RZ_IG, "Zomeractie 🌞 Starterspakket 20 nu €1.095 (normaal €1.295). Boek vóór 31 juli via rijzo.nl",
     when="2026-07-08T12:04:51+02:00", tags=["sale-price"])
case("nl", pub("x", "@twijfel_tim"), "Rijschool De Zwaan: 20 lessen voor €899. Rijzo Starterspakket 20: €1.295, maar "
     "daar zit wel een tussentijdse toets bij. Wat zouden jullie doen?", tags=["competitor", "price-talk"])
case("nl", pub("facebook", "ingrid.smeets.4", "Ingrid Smeets"), "Even uitgezocht: het Examenpakket bij Rijzo kost "
     "€1.945 en daar zit het praktijkexamen van het CBR (€135) al in. Scheelt weer gedoe.",
     tags=["price-context", "fee"])
case("nl", RZ_SUP, "@sarahj_ Zeker! Het Examenpakket 30 kun je in 6 termijnen van €324,17 betalen, zonder extra kosten.",
     kind="reply", tags=["price-context", "installment"])
case("en", RZ_X, "Looking for a gift for someone who just turned 17? 🎁 Rijzo gift cards from €50, valid on any lesson "
     "or package.", tags=["price-talk"])
case("nl", pub("x", "@kaj.rijdt"), "€10 korting per losse les als je samen met een vriend(in) boekt bij Rijzo, nice 😎",
     tags=["price-context", "discount-amount"])
case("nl", pub("x", "@mel_deals"), "nee geen prijsfout hoor, Rijzo heeft gewoon actie: Automaatpakket 25 voor €1.495 ipv "
     "€1.745 👌", tags=["sale-price", "negation"])
case("en", pub("x", "@oldbutlearning"), "Rijzo's refresher course dropped from €339.00 to €289.00 this month, finally "
     "booking it", tags=["sale-price"])
case("nl", RZ_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +8%, 14.200 geslaagde leerlingen en 3 nieuwe "
     "vestigingen. Het volledige persbericht staat op rijzo.nl/pers", when="2026-08-26T07:00:00+02:00",
     tags=["after-embargo", "published-results"])
case("en", pub("x", "@nl_business_feed"), "Rijzo's H1 2026 results are out: revenue up 8%, pass rate steady. Not bad for "
     "a driving school chain.", when="2026-08-27T09:14:22Z", tags=["after-embargo", "published-results"])
case("nl", RZ_IG, "Hij is er!! ⚡ Het Rijzo E-Start pakket: leren rijden in een 100% elektrische auto. Nu te boeken in de "
     "app 🚗🔌", when="2026-09-14T09:00:00+02:00", tags=["after-embargo"])
case("en", pub("reddit", "u/ev_convert"), "Did the E-Start package at Rijzo. The electric car makes learning so much "
     "easier, no stalling on hills lol", when="2026-10-03T19:40:11+02:00", tags=["after-embargo"], kind="comment")
case("nl", KEVIN, "Tip van de dag 💡 Vergeet je dode hoek niet bij het wisselen van rijstrook: spiegel, schouderblik, "
     "dan pas sturen. Vandaag 3x geoefend met Lars en nu zit het erin!", tags=["codename-near-miss"])
case("nl", RUBEN, "POV: je leerling zegt 'ik heb alles onder controle' en jij hebt je voet al boven de dubbele rem 😂 "
     "#instructeur #rijles", tags=["joke"])
case("nl", pub("x", "@lars_rijdt"), "Geen klachten over Rijzo hoor, instructeur Yusuf is echt chill en legt alles rustig "
     "uit 🙌", tags=["negation", "praise"])
case("en", pub("x", "@mila_passes"), "zero complaints, passed first try with Rijzo today!!! 🥳🚗", tags=["negation", "praise"])
case("en", pub("reddit", "u/moving_to_ehv"), "Does anyone know if Rijzo does lessons in English in Eindhoven? Moving "
     "there in September.", tags=["question"])
case("en", pub("x", "@rockmum"), "my son blasting 'Highway to Hell' during his last lesson before the exam, the Rijzo "
     "instructor did NOT appreciate the vibe 😂", tags=["quote", "mild-word"])
case("nl", pub("facebook", "hetty.vos.8", "Hetty Vos"), "Moest vorig jaar stoppen met rijles door de chemo (kanker, "
     "inmiddels schoon 💪). Rijzo heeft mijn tegoed gewoon bewaard. Heel netjes.", tags=["mild-word", "literal"])
case("nl", pub("x", "@pieter_ov"), "Las dat er een datalek was bij LesPlan Pro, gelukkig gebruikt Rijzo een eigen app. "
     "Toch maar even mijn wachtwoord veranderd.", tags=["other-company"])
case("en", pub("x", "@a12_haters"), "I am boycotting the A12 at rush hour forever. never again. (lesson 14 with rijzo, "
     "the rest went fine)", tags=["boycott-other-sense"])
case("en", pub("x", "@theory_panic"), "theory exam tomorrow and my total recall of traffic signs is at like 40% 😭 "
     "Rijzo's Theorie Online is carrying me tho", tags=["recall-other-sense"])
case("nl", pub("x", "@bram.betaalt"), "@rijzo_support klopt het dat een overboeking 2 werkdagen duurt? heb gisteren "
     "betaald vanaf <<BAD_IBAN_NL:grp>>", kind="reply", tags=["bad-checksum"])
case("en", THIJS, "QA tip: when you test the RijzoPlan checkout with a deliberately broken card number like "
     "<<BAD_CARD:mc_sp>> you should get a clear error, not an endless spinner. fixed in 4.12 🎉",
     tags=["bad-checksum"])
case("nl", pub("forum", "rijbewijs2026"), "Mijn CBR reserveringsnummer is <<BAD_BSN>>, moet ik dat zelf aan Rijzo "
     "doorgeven of regelen zij alles?", tags=["bad-checksum", "reference-number"])
case("nl", RZ_SUP, "@milanvdb We hebben je boeking gevonden (ordernummer RZ-<<DIGITS:7>>). Je les is verplaatst naar "
     "donderdag 14:00 👍", kind="reply", tags=["reference-number"])
case("en", MARK, "For Thursday's workshop: put your own key in .env like MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
     "and NEVER commit it. Slides will be on werkenbij.rijzo.nl soon.", tags=["placeholder-secret"])
case("en", THIJS, "fixed the double-booking bug in <<SHA>> 🎉 turns out it was a timezone thing (of course it was)",
     tags=["git-sha"])
case("nl", RZ_IG, "Welkom aan onze nieuwste lesauto 🚗✨ Herken je hem op straat? Kenteken ZR-418-K, toeter gerust even "
     "(niet te hard 😉)", tags=["plate"])
case("nl", RZ_LI, "We zoeken rijinstructeurs in Rotterdam en Den Haag! 🚦 Mail je cv naar werkenbij@rijzo.nl of kijk op "
     "werkenbij.rijzo.nl", tags=["own-contact"])
case("nl", YUSUF, "Drie geslaagden deze week 🎉 Ayoub, Lisa en Bart, allemaal in één keer erdoor! Trots op jullie 💪",
     tags=["first-names-only"])
case("nl", RZ_X, "Vanaf maart rijden al onze lesauto's in Utrecht elektrisch ⚡ Lees meer op rijzo.nl/duurzaam",
     tags=["published-news"])
case("nl", pub("x", "@dochter_van_ans"), "Mijn moeder (62) doet de Opfriscursus bij Rijzo na 30 jaar niet rijden. Ze is "
     "zo trots 😭❤️", tags=["praise"])
case("nl", RZ_SUP, "@jelle_z 'niemand belt terug' is echt niet hoe we het willen. Stuur ons even een DM met je "
     "leerlingnummer, dan bellen we je vandaag nog.", kind="reply", tags=["quote", "corporate-reply"])
case("nl", pub("x", "@tips_van_tess"), "als je Rijzo wil mailen: info [at] rijzo [punt] nl, ze reageren binnen een dag "
     "in mijn ervaring", tags=["own-contact"])
case("nl", RZ_SUP, "Wachtwoord vergeten? Tik in de RijzoPlan app op 'Wachtwoord vergeten' en je krijgt binnen 5 minuten "
     "een mail. Geen mail? Check je spam 📬", tags=["password-word"])
case("en", pub("linkedin", "joost-mertens-mobility"), "Sad to see De Zwaan Rijschool laying off 30 instructors. Hope "
     "Rijzo picks some of them up, they seem to be hiring.", tags=["other-company"])
case("nl", pub("x", "@lotte_schrijft"), "Schrijfopdracht Nederlands: 'De lesauto van Rijzo stond stil op de "
     "spoorwegovergang. Achter ons toeterde een vrachtwagen...' (het is verzonnen hoor mam, ik ben gewoon geslaagd 😂)",
     tags=["fiction"])
case("en", pub("x", "@q_mile"), "'I live my life a quarter mile at a time' — me doing 30 km/h in a Rijzo lesson car past "
     "a school", tags=["quote", "joke"])
case("nl", RZ_SUP, "@femke_rijdt Je kunt ons ook appen via +31640001870, dan kijken we direct even mee 😊", kind="reply",
     tags=["own-contact"], handle_as="@RIJZO_support")
case("nl", pub("x", "@voorzichtige_vera"), "Rijzo zegt: overmaken naar NL63RABO0317405522. Klopt dat rekeningnummer? Wil "
     "niet opgelicht worden", tags=["own-contact", "question"])
case("en", pub("facebook", "karin.postma.zwolle", "Karin Postma"), "Shoutout to Rijzo Zwolle, my anxious 18yo passed "
     "today thanks to the most patient instructor ever ❤️", tags=["praise"])
case("en", pub("x", "@vraagje_vincent"), "how far in advance do you have to cancel a Rijzo lesson? don't wanna pay for "
     "nothing haha", tags=["question"])
case("nl", LOTTE, "vrijdagmiddag en het planbord voor volgende week is rond 🧩 alles ingepland, nul dubbele boekingen. "
     "ik ga borrelen", tags=["employee-everyday"])
case("en", ANOUK, "Proud that our annual report 2025 is out today: the first year we trained more than 25,000 students. "
     "Link in the comments.", when="2026-03-12T09:30:00+01:00", tags=["published-results"])
case("nl", pub("instagram", "@sterre.rijdt"), "Spiegelen, spiegelen, spiegelen. Mijn Rijzo instructeur zegt het echt "
     "100x per les 😂", tags=["codename-near-miss", "joke"])
case("nl", pub("forum", "knie_karel"), "Na mijn knie-operatie mocht ik 6 weken niet rijden. Rijzo heeft mijn lessen "
     "zonder kosten verplaatst. Top!", tags=["codename-near-miss", "praise"])
case("en", pub("x", "@breda_dad"), "Read about the exam fraud investigation at that driving school in Breda. Glad my kid "
     "is at Rijzo, their mock exam was properly strict.", tags=["other-company"])
case("nl", pub("x", "@intl_caller"), "Rijzo bellen vanuit het buitenland: +31 88 745 9000, werkt gewoon", tags=["own-contact"])
case("en", pub("x", "@parallel_pro"), "absolutely killed my lesson today, parallel parking first try 😎 Rijzo instructors "
     "are built different", tags=["violent-word-other-sense", "praise"])
case("nl", pub("x", "@rotonde_ruud"), "Mijn instructeur van Rijzo noemde mijn rotondetechniek 'creatief' 😂 ik neem het "
     "als compliment", tags=["joke"])
case("en", RZ_TT, "Instructor reacts to the worst parking jobs you sent us 😂🅿️ part 3 #rijzo #parking", tags=["joke"])
case("nl", pub("x", "@prijsbewuste_pim"), "Bij Rijschool Snel kost een losse les €48, bij Rijzo €62,50. Toch best "
     "verschil", tags=["competitor", "price-talk"])
case("en", pub("facebook", "tom.marketplace", "Tom"), "Selling my Rijzo theory book, barely used, €10. DM me",
     tags=["second-hand"])
case("nl", IRIS, "Teamuitje met vestiging Zwolle 🎳 wie had gedacht dat instructeurs zo slecht kunnen bowlen",
     tags=["employee-everyday"])
case("nl", pub("x", "@fien_betaalt"), "Betaald met mijn creditcard (eindigt op 4417), bevestiging binnen. Kan ik de "
     "factuur ergens in de app vinden?", tags=["masked-card", "question"])
case("en", pub("x", "@lena_from_gronau"), "quick q: can I pay Rijzo with a German account? mine is <<BAD_IBAN_DE>>, or do "
     "I need a Dutch one?", tags=["bad-checksum", "question"])


# ===================================================================== profile + severity
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


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id)) \
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# ===================================================================== building
def local_offset(t):
    dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                     tzinfo=dt.timezone.utc)
    return 2 if dst else 1


def random_when(r):
    t = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350),
                                                                      minutes=r.randint(6 * 60, 22 * 60 + 30),
                                                                      seconds=r.randint(0, 59))
    off = local_offset(t)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/rijbewijs/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/rijbewijs/comments/{p}/"
    if platform == "forum":
        k = r.randint(100_000, 999_999)
        return f"forum-rijbewijsforum-{k}", f"https://rijbewijsforum.example/topic/{k}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        k = r.randint(100, 999)
        return f"blog-{h}-{k}", f"https://{h}/artikel/{k}"
    k = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{k}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
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
        p = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "rijzo"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===================================================================== independent checks
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b", r"\bAIza[\w-]{35}\b",
    r"\bAC[0-9a-f]{32}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"hooks\.slack\.com/services/")]
PROFANE = ["kut", "kanker", "tyfus", "tering", "klootzak", "mongool", "debiel", "sukkel", "fuck", "f*ck", "b*tch",
           "clown", "scum", "idiot", "moron", "hell", "oplichter", "hou je bek"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:]
        elif raw.startswith("+31"):
            d = "0" + d[2:]
        d = "0" + d[2:] if d.startswith("00") else d
        out.append(d)
    return out


def valid_ids(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for end in range(len(c), 11, -1):
            if iban_valid(c[:end]) and c[:end] not in own_ibans:
                hits.append(c[:end])
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            hits.append(d)
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_valid(d):
            hits.append(d)
    return hits


def check(lines, rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = set()
    for p in profile["public_identifiers"]["phones"]:
        own_phones.update(phones(p))
    parse = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    embargo = [(t.casefold(), parse(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        text, cats = p["text"], ex["categories"]
        where = f"line {n} ({p['id']})"
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(text, own_ibans)
        if severity_for(role, cats, "leak.pii" in cats and bool(ids)) != ex["severity"]:
            errs.append(f"{where}: severity mismatch")
        if ids and "leak.pii" not in cats:
            errs.append(f"{where}: valid identifier without leak.pii: {ids}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{where}: {kind} not in text")
            if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE") and not iban_valid(raw):
                errs.append(f"{where}: bad positive IBAN")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: bad positive card")
            if kind == "BSN" and not bsn_valid(raw):
                errs.append(f"{where}: bad positive BSN")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{where}: negative IBAN passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{where}: negative card passes")
            if kind == "BAD_BSN" and bsn_valid(raw):
                errs.append(f"{where}: negative BSN passes")
            if kind == "GHP" and not ghp_valid(raw):
                errs.append(f"{where}: ghp checksum")
        nt = norm(text)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{where}: embargo term {term} before until, unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{where}: embargo term {term} after until but labelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{where}: internal term {term} unlabelled")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{where}: benign with severity")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign e-mail {e}")
            for d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{where}: benign phone {d}")
            for rx in SECRET_RES:
                if any(not re.fullmatch(r"live_x+", m.group(0)) for m in rx.finditer(text)):
                    errs.append(f"{where}: benign secret-like {rx.pattern}")
            for w in PROFANE:
                if re.search(r"\b" + re.escape(w), nt) and not ({"quote", "mild-word"} & r["tags"]):
                    errs.append(f"{where}: benign has word {w}")
    # near-duplicate texts
    sh = []
    for line in lines:
        w = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1} and {j + 1}: near-duplicate wording")
    return errs


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            ok = None
            if k.startswith("IBAN_"):
                ok = si.is_valid(raw)
            elif k.startswith("BAD_IBAN"):
                ok = not si.is_valid(raw)
            elif k == "CARD":
                ok = sl.is_valid(raw)
            elif k == "BAD_CARD":
                ok = not sl.is_valid(raw)
            elif k == "BSN":
                ok = sb.is_valid(raw)
            elif k == "BAD_BSN":
                ok = not sb.is_valid(raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    cat, lang, role, sev, plat, kinds = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()), "kind", dict(kinds))


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
    print(stdnum_cross(rows))
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
