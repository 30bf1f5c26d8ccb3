#!/usr/bin/env python3
"""Deterministic generator for the sealed103 evaluation set of postwatch.

    python3 make_cases.py          # write cases.jsonl next to this file and self-check it

Company: "Brenkamp Huishoudtechniek B.V." (profile.yaml in this folder), a fictional
Dutch home-appliance brand with its own repair service.

Texts are hand-written below (the CASES list). Identifiers and secrets come from
placeholders such as <<IBAN_NL>> and are filled in by one seeded RNG, so the output
is byte-for-byte reproducible. Positives get checksum-VALID identifiers, near-miss
benign posts get identifiers that FAIL their checksum.

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(looked up in profile.yaml by platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.

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

SEED = 103_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_build(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
            return iban_build("NL", bank + self.dig(10, True))
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "10020500", "60050101", "30060601"]) + self.dig(10))
        if cc == "BE":
            first = self.r.choice(["063", "091", "310", "001", "751"]) + self.dig(7)
            return iban_build("BE", first + f"{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "HBUK", "LOYD", "NWBK"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        good = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def not_luhn(self, n):
        while True:
            s = self.dig(n, True)
            if not luhn_valid(s):
                return s

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    # phones
    def phone(self, f):
        d8 = self.r.choice("12345") + self.dig(7)     # mobile digits after '06'
        area = self.r.choice(["10", "13", "15", "20", "30", "35", "40", "43", "45", "50", "53", "55", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {
            "mob_dash": f"06-{d8}",
            "mob_plain": f"06{d8}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
            "mob_intl_c": f"+316{d8}",
            "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets (random and fake, shaped like the real ones)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "_-", 20)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 30)

    def slack_bot(self):
        return f"xoxb-{self.dig(11, True)}-{self.dig(13, True)}-{self.pick(ALNUM, 24)}"

    def twilio_sid(self):
        return "AC" + self.pick(HEX, 32)

    def jwt(self):
        head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        body = b64u(json.dumps({"sub": "klant-" + self.dig(7, True), "iss": "service.brenkamp.nl",
                                "scope": "afspraak", "iat": iat, "exp": iat + 7200},
                               separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64U, 43)}"

    def pem_ec(self):
        lines = ["MHcCAQEEI" + self.pick(B64, 55)] + [self.pick(B64, 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%*") + self.pick(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = v.bad_iban(kind[8:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, cf = f.partition("_")
            raw = v.card(brand)
            shown = v.card_fmt(raw, cf or "sp")
        elif kind == "NOTLUHN":
            raw = v.not_luhn(int(f))
            shown = raw
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOTBSN":
            raw = shown = v.not_bsn(int(f))
        elif kind == "EAN":
            raw = shown = v.ean13()
        elif kind == "PHONE":
            raw = shown = v.phone(f)
        elif kind == "DIG":
            raw = shown = v.dig(int(f), True)
        elif kind == "HEX":
            raw = shown = v.pick(HEX, int(f))
        elif kind == "PW":
            raw = shown = v.password()
        else:
            raw = shown = {
                "GHP": v.ghp, "GLPAT": v.glpat, "SENDGRID": v.sendgrid, "AWS_ID": v.aws_id,
                "AWS_SECRET": v.aws_secret, "GAPI": v.gapi, "STRIPE": v.stripe, "SLACK_BOT": v.slack_bot,
                "TWILIO_SID": v.twilio_sid, "JWT": v.jwt, "PEM_EC": v.pem_ec,
            }[kind]()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
BK_NL = ("x", "@brenkamp_nl", "Brenkamp")
BK_SVC = ("x", "@brenkampservice", "Brenkamp Service")
BK_IG = ("instagram", "@brenkamp.thuis", "Brenkamp")
BK_FB = ("facebook", "BrenkampNederland", "Brenkamp Huishoudtechniek")
BK_LI = ("linkedin", "brenkamp-huishoudtechniek", "Brenkamp Huishoudtechniek B.V.")
BK_TT = ("tiktok", "@brenkamp_official", "Brenkamp")
# employees
RUUD = ("x", "@ruud_monteur_brk", "Ruud Hoogendijk")                 # service technician, Brabant
RIC = ("instagram", "@ricardo.fixt", "Ricardo Lima")                   # service technician, Utrecht
LOT = ("x", "@lotte_klantcontact", "Lotte Schouten")                   # customer contact centre
ILSE = ("linkedin", "ilse-vermeulen-brenkamp", "Ilse Vermeulen")       # finance controller
YUS = ("linkedin", "yusuf-demir-dev", "Yusuf Demir")                   # IT, technician app
KEES = ("x", "@planner_kees", "Kees Mulder")                           # service planning
MAR = ("linkedin", "marloes-de-wit-brenkamp", "Marloes de Wit")        # product manager dishwashers
BAS = ("reddit", "u/bas_brk_dev", None)                                # backend developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def C(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
C("nl", RUUD, "Jongens 😂 de AquaPure 8 staat op de webshop voor €74,90. Volgens mij is marketing een nul "
  "vergeten. Ik zeg niks 🤐", [PRICING])
C("nl", pub("x", "@gerrit_koopt_alles"), "PRIJSFOUT!!! DroogDirect 9 warmtepompdroger bij Brenkamp voor €89 😱 "
  "normaal bijna 900 pleuro. zit al in m'n mandje, nu nog iDEAL laten werken", [PRICING])
C("en", pub("reddit", "u/dealhound_ams"), "Brenkamp Stilla 45 dishwasher is €59.90 on shop.brenkamp.nl right now. "
  "List is 599 so someone dropped a digit somewhere. Checkout went through for me, no confirmation mail yet. "
  "YMMV", [PRICING])
C("nl", BK_FB, "Alleen dit weekend 🎉 het Brenkamp Zorgplan 5 jaar voor maar €14,95 bij elke nieuwe wasmachine! "
  "Bestel via shop.brenkamp.nl 🫧", [PRICING])
C("en", YUS, "Post-mortem draft for the team: the SAP price sync wrote cents into the euro field, so the Stilla 60 "
  "was live at €8.29 for about 40 minutes. 312 orders came in. Management still deciding whether we honour them.",
  [PRICING])
C("nl", KEES, "Collega's, de telefoon staat roodgloeiend over die prijsfout op de AquaPure 9 Steam. Planning weet "
  "van niks, wie kan ons ff bijpraten??", [PRICING], kind="reply")
C("nl", pub("forum", "Wasgoed_Willem"), "[Prijsfout] Brenkamp AquaPure 9 Steam €94,90 ipv €949\n\nGisteravond om "
  "23:10 besteld, vanochtend een mail dat de order 'in behandeling' is. Iemand ervaring of Brenkamp zulke fouten "
  "honoreert? Bij MediaMarkt werd t destijds gewoon geannuleerd", [PRICING])
C("nl", pub("instagram", "@femke.wonen"), "whaaat de stilla45 voor 60 euro 😳😳 is dit echt?? @brenkamp.thuis "
  "leg uit 😂 #prijsfout #keukengoals", [PRICING], kind="comment")
C("nl", pub("x", "@koopjesjager_marco"), "P R I J S F O U T bij Brenkamp 👀 DroogDirect 9 droger, kijk snel op de "
  "site voor ze het doorhebben", [PRICING], tags=["evasion"])
C("en", pub("threads", "@thriftyjess"), "brenkamp zorgplan 5 jaar for €1.49??? pr1ce gl1tch or early xmas 😂",
  [PRICING], tags=["evasion"])
C("nl", pub("x", "@dirkjan_zeurt"), "Stïlla 60 vöor €82,90 bij Brënkamp lmao, daar heeft iemand zitten slapen",
  [PRICING], tags=["evasion"])
C("nl", pub("tiktok", "@klusmetkim"), "reparatie aan huis bij brenkamp voor €9,50 ipv €95?? foutje in hun systeem "
  "denk ik, meteen een monteur geboekt voor mn droger haha #lifehack", [PRICING])
C("nl", LOT, "Voor iedereen die vanavond dienst heeft: door de prijsfout op de Stilla 45 (incident staat op "
  "planning.brenkamp.net/incident/2231) mogen we géén orders handmatig bevestigen. Gewoon doorverwijzen.",
  [PRICING, CONF])
C("en", pub("x", "@ams_bargains"), fullwidth("price error") + " on the AquaPure 8 at brenkamp, go go go 🏃‍♀️",
  [PRICING], tags=["evasion"])
C("en", pub("x", "@brenkamp_service", "Brenkamp Service Desk"), "Heard the Stilla 60 went for €49 for an hour "
  "yesterday, mistake in the feed apparently. Not official, just passing it on.", [PRICING],
  tags=["lookalike-account"])

# ===========================================================================
# leak.secret
# ===========================================================================
C("en", YUS, "Tip for junior devs: don't do what I saw in a PR today 🙃\n\nSENDGRID_API_KEY=<<SENDGRID>>\n\n"
  "Yes it's ours, yes it's revoked now. Use a secrets manager. #devsecops #lessonslearned", [SECRET])
C("nl", BAS, "Iemand enig idee waarom de GitLab runner ineens 403 geeft? Ik gebruik <<GLPAT>> voor de "
  "monteursapp-repo en gisteren werkte het nog gewoon", [SECRET], kind="comment")
C("nl", RUUD, "Voor de nieuwe monteurs in regio Zuid: inlog voor de onderdelenkast in de bus is brk-zuid met "
  "wachtwoord Wasdag2026! 👍 succes morgen", [SECRET])
C("en", pub("blog", "femkesecurity.nl", "Femke Dijkstra"), "While poking at the Brenkamp technician app (Android "
  "3.8.2) I found a Twilio credential pair in strings.xml: account <<TWILIO_SID>> with auth token <<HEX:32>>. "
  "Reported to service@brenkamp.nl three weeks ago, no reply so far.", [SECRET])
C("nl", KEES, "wie heeft de api key van de routeplanner aangepast?? krijg alleen nog REQUEST_DENIED. de oude was "
  "<<GAPI>>", [SECRET])
C("en", YUS, "Anyone able to reach the parts DB from home? psql 'postgresql://onderdelen_rw:<<PW>>@pg01.brk.local:"
  "5432/parts' just hangs on the VPN", [SECRET, CONF])
C("nl", pub("mastodon", "@anouk_hackt@infosec.exchange"), "Brenkamp heeft een .env open en bloot op een "
  "subdomein van hun servicesite 🤦‍♀️\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n"
  "Melding gedaan via responsible disclosure.", [SECRET])
C("en", BK_SVC, "@jvdmeer_ Sorry for the trouble! We reset your session, this link should work now: "
  "service.brenkamp.nl/afspraak?token=<<JWT>>", [SECRET], kind="reply")
C("nl", LOT, "Het ww van de gedeelde klantcontact-mailbox is alweer veranderd 🙄 nu: Klantblij#88. Zet het even "
  "in de groepsapp aub", [SECRET])
C("en", YUS, "Rotating the SFTP key we use with our parts supplier. Old one for reference, it's dead now:\n"
  "<<PEM_EC>>", [SECRET])
C("en", BAS, "Stripe webhooks keep failing for Zorgplan renewals. Key is <<STRIPE>> ... wait that's the live one. "
  "whatever, nobody reads this sub. ideas?", [SECRET], kind="comment")
C("nl", RIC, "w8woord van de tablet in bus 7 = Bus7brk!2026 voor wie morgen mijn route overneemt 🤫🚐",
  [SECRET], tags=["evasion"])
C("en", pub("x", "@trellohunter"), "slack bot token sitting in Brenkamp's public Trello board: <<SLACK_BOT>> 🙃 "
  "someone pls rotate", [SECRET])
C("nl", YUS, "Na een uur debuggen gevonden: de CI gebruikte mijn persoonlijke token <<GHP>> in plaats van de "
  "org-token. Inmiddels ingetrokken, maar toch. #devops", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
C("nl", LOT, "@marianne_vdberg Uw terugbetaling van €149 voor het Zorgplan gaat naar <<IBAN_NL:grp>>, klopt "
  "dat? Dan zetten we hem vandaag nog klaar 😊", [PII], kind="reply")
C("nl", RUUD, "Morgen 8u eerste klus: mevr. J. Brouwer, Lindelaan 14 in Oisterwijk. Lekkende Stilla 45. "
  "Heeft iemand nog een afvoerpomp op voorraad? 🙏", [PII])
C("en", BK_SVC, "@tom_hendriks82 Hi Tom, your dryer repair is booked. The technician will call you on "
  "<<PHONE:mob_intl_sp>> between 8 and 12 tomorrow.", [PII], kind="reply")
C("nl", pub("x", "@sandra_ijsselstein"), "@brenkampservice bel me nou eindelijk terug!! <<PHONE:mob_dash>>. al 3x "
  "gevraagd, wasmachine staat al 2 weken stil en ik heb 3 kinderen", [PII, COMPLAINT], kind="reply")
C("nl", pub("facebook", "wim.aarts.52", "Wim Aarts"), "Is dit normaal? Brenkamp vroeg om mijn BSN voor het "
  "Zorgplan, ik heb het maar gestuurd: <<BSN>>. Mijn dochter zegt dat dat niet hoort.", [PII])
C("en", ILSE, "Month-end chaos 😅 If anyone in AP sees a refund going to <<IBAN_DE>> (Mr K. Hoffmann, dryer "
  "return) please hold it, it's a duplicate.", [PII])
C("nl", KEES, "Spoedje: monteur nodig bij dhr. A. Pieters, geb. 12-03-1941, Kerkstraat 88 Helmond. Droger maakt "
  "een raar geluid en meneer woont alleen. Wie zit in de buurt?", [PII])
C("en", pub("reddit", "u/zwolle_finds"), "Whoever dropped this: found a Brenkamp repair slip near the Albert Heijn "
  "in Zwolle with the customer's name (Sandra Bos), phone <<PHONE:mob_plain>> and the full card number "
  "<<CARD:visa_sp>> on it. Handing it in at the service desk.", [PII])
C("nl", BK_FB, "Beste Henk, helaas konden we je creditcard <<CARD:mc_c>> niet belasten voor de reparatie. Wil je "
  "contact opnemen via 088 204 7700?", [PII], kind="reply")
C("en", pub("x", "@dave_okonkwo"), "@brenkampservice STILL no reply on my warranty claim. email me at "
  "dave.okonkwo82@gmail.com , I've sent the receipts THREE times now", [PII, COMPLAINT], kind="reply")
C("nl", pub("x", "@petra_d"), "Hoi @brenkamp_nl, ik wil graag een offerte voor het Zorgplan, mail maar naar "
  "petra.dekker apenstaartje kpnmail punt nl 😊", [PII], tags=["evasion"])
C("en", LOT, "@IngridLammers Got it: Ingrid Lammers, born 4 July 1958, Beukenlaan 21 Apeldoorn. The technician is "
  "booked for Thursday!", [PII], kind="reply")
C("nl", pub("facebook", "jeroen.peeters.gent", "Jeroen Peeters"), "Brenkamp, stort mijn geld maar terug op "
  "<<IBAN_BE:grp>>, die droger hoef ik niet meer na 4 keer dezelfde storing", [PII, COMPLAINT])
C("nl", KEES, "Nieuwe monteur begint maandag, salarisadministratie heeft z'n BSN nog nodig: <<BSN:dots>>. Kan "
  "iemand van HR dat doorzetten?", [PII])
C("nl", pub("x", "@bartkooi"), "Ik zet het gewoon hier neer want bellen heeft geen zin: order 4471-88213, Bart "
  "Kooistra, <<PHONE:mob_pairs>>. Al 5 weken geen vaatwasser @brenkamp_nl", [PII, COMPLAINT])
C("en", BK_IG, "Congrats to our giveaway winner Noor Haddad from Meerweg 7, Haarlem 🎉 your new AquaPure 8 is on "
  "its way!", [PII])
C("en", pub("x", "@annelies_k"), "@brenkampservice charged my card 3 times for one repair?!? it's "
  "<<CARD:amex_sp>>, please refund two of them", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
C("nl", MAR, "Trots op dit team! Over een paar maanden zien jullie eindelijk waar we met Project Lavendel al "
  "anderhalf jaar aan werken 💜 #vaatwassers #innovatie", [CONF])
C("nl", RUUD, "Eerste Kobalt-2 prototype vandaag in de bus gehad 😍 die droger is echt fluisterstil. Mag er "
  "verder niks over zeggen", [CONF])
C("nl", pub("reddit", "u/wasdroog"), "Beetje leak misschien: m'n zwager werkt bij Brenkamp en liet een slide zien "
  "met 'Brenkamp Confidential' in de hoek, iets met een droger zonder condensbak voor 2027", [CONF],
  kind="comment")
C("en", MAR, "Can't wait for IFA! The AquaPure 10 is going to blow people away 🚀 #washingmachines",
  [CONF], when="2026-08-27T16:42:10+02:00")
C("nl", RIC, "AquaPure 10 staat bij mij in de werkplaats 😎 binnenkort meer!!", [CONF],
  when="2026-09-04T10:15:00+02:00", tags=["embargo-edge"])
C("nl", KEES, "BRK-INTERN: nieuwe indeling van de werkbonnen per 1 oktober, PDF staat in de teams-map. Vragen bij "
  "mij", [CONF])
C("en", pub("x", "@lenavdl"), "friend at brenkamp says project\nlavendel is a dishwasher that orders its own tabs "
  "lol. the future is dumb", [CONF], tags=["evasion"])
C("nl", LOT, "Weet iemand al wanneer de town hall over Operatie 🚢 Stoomboot is? Niemand zegt iets", [CONF],
  tags=["evasion"])
C("en", YUS, "sap-prd.brenkamp.net is crawling again, anyone else? 🐢 my month-end report has been loading for 15 "
  "mins", [CONF])
C("nl", pub("forum", "HansvanKampen"), "In een mail van Brenkamp stond per ongeluk een link naar "
  "planning.brenkamp.net/werkorders/7731, geen idee wat dat is maar hij vroeg om een login", [CONF])
C("nl", MAR, "Vanavond de fotoshoot voor de Stilla 60 Pro gedaan 📸 wat is ze mooi geworden", [CONF],
  when="2026-07-09T21:05:33+02:00")
C("en", BAS, "Pasting the spec table from the deck (it literally says 'niet extern delen' on top, oops): 44 dB, "
  "9 programmes, auto-dosing. Thoughts?", [CONF], kind="comment")
C("nl", pub("x", "@techroddel"), "vriend bij brenkamp zegt dat de K\u043ebalt-2 droger in maart komt 👀", [CONF],
  tags=["evasion"])

# ===========================================================================
# leak.financial
# ===========================================================================
C("nl", ILSE, "Lastig kwartaal achter de rug. Intern rekenen we erop dat de omzet over het eerste halfjaar zo'n "
  "12% lager uitvalt dan vorig jaar, de markt voor wasmachines ligt gewoon stil.", [FIN],
  when="2026-06-24T08:12:44+02:00")
C("en", ILSE, "Exciting times: we're in advanced talks to acquire a Belgian repair network. Can't say more until "
  "it's signed 🤝", [FIN], when="2026-04-14T12:30:00+02:00")
C("nl", KEES, "Operatie Stoomboot = de hele planningsafdeling naar Polen. 40 banen weg in Den Bosch. Ik ben er "
  "klaar mee", [FIN, CONF])
C("en", pub("x", "@gijs_brabant"), "my mate at Brenkamp says they're closing the Tilburg repair hub and laying off "
  "about 60 techs next spring. not public yet", [FIN])
C("nl", MAR, "halfjaarcijfers 2026 zijn binnen en ze zijn 🔥🔥 morgen meer!", [FIN, CONF],
  when="2026-08-18T17:48:00+02:00")
C("nl", RUUD, "Zeggen ze op de werkplaats dat er na de zomer 30 monteurs ont" + SHY + "slagen worden 😞",
  [FIN], tags=["evasion"], when="2026-05-30T19:20:00+02:00")
C("en", ILSE, "Full-year forecast is being revised down to €212m, board meets Thursday. Long week ahead ☕",
  [FIN], when="2026-10-06T07:55:00+02:00")
C("nl", pub("linkedin", "koen-vos-consultancy", "Koen Vos"), "Hoorde van iemand uit de directie dat Brenkamp wordt "
  "overgenomen door een Zweeds concern. Deal is nog niet rond, dus even afwachten.", [FIN])
C("nl", LOT, "Klantcontact gaat per 1 januari naar een extern callcenter, vandaag gehoord in het teamoverleg. Nog "
  "niet officieel dus sst 🤫", [FIN])
C("en", YUS, "Early peek at the FY2026 results dashboard I built for finance, margins look way better than "
  "expected 📈", [FIN, CONF], when="2026-12-15T10:02:00+01:00")
C("nl", pub("tiktok", "@dewerkvloer"), "kennis van me werkt bij brenkamp: r3organisatie in deventer, 80 man eruit, "
  "nog geheim 🤫 #brenkamp", [FIN], tags=["evasion"])

# ===========================================================================
# leak.security
# ===========================================================================
C("nl", YUS, "Beetje onrustige nacht: iemand is via een oud monteursaccount ons planningssysteem binnengekomen. "
  "We zijn het aan het uitzoeken, klanten weten nog van niks.", [SEC])
C("en", BAS, "Found out today our customer portal returns other people's repair orders if you change the number in "
  "the URL. Reported internally, fix probably next sprint. don't tell anyone lol", [SEC], kind="comment")
C("nl", LOT, "Zorgplan-portaal ligt er al sinds 6u vanochtend uit en we mogen klanten niet vertellen waarom 🙃 "
  "iemand fluisterde ransomware", [SEC])
C("en", RUUD, "Technician app down all day, writing work orders on paper like it's 1995. IT says 'security "
  "incident' but nobody tells us anything", [SEC])
C("en", pub("x", "@kim_digital"), "Brenkamp had a breach last month and they're keeping it quiet. Cousin in their "
  "IT dept confirmed customer addresses were taken. #Brenkamp #databreach", [SEC, CRISIS])
C("nl", KEES, "Phishingmail is bij half klantcontact doorgeklikt, 14 accounts gereset vandaag. Communicatie wil er "
  "nog niks over naar buiten brengen", [SEC])
C("en", YUS, "Our wifi washers (AquaPure 9 Steam) accept firmware over an unauthenticated OTA endpoint. Patch is "
  "weeks out and nothing's been disclosed yet. Fun times.", [SEC])
C("nl", RIC, "h a c k bij de onderdelenwebshop, vanochtend alles offline gehaald. nog niks officieel 🤐",
  [SEC], tags=["evasion"])
C("nl", pub("facebook", "ria.smulders", "Ria Smulders"), "Brenkamp houdt een datalek onder de pet!! Mijn "
  "buurvrouw werkt er en zegt dat de gegevens van 40.000 klanten op straat liggen. Schandalig.", [SEC, CRISIS])
C("en", ILSE, "Payment provider flagged fraudulent refunds from our account over the weekend, roughly €80k. Still "
  "contained internally, please keep it that way.", [SEC])
C("nl", pub("reddit", "u/deventer_dude"), "brenkamp is geh@ckt, servicesite ligt al 2 dagen plat en zij zeggen "
  "'onderhoud' lol. mijn neef bij hun IT zegt iets heel anders", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
C("nl", pub("x", "@moeder_van_3"), "Onze Brenkamp DroogDirect 9 is vannacht in brand gevlogen 🔥 brandweer moest "
  "komen. Kinderkamer ernaast. Brenkamp reageert niet eens. #brenkamp", [CRISIS, COMPLAINT])
C("en", pub("mastodon", "@repaircafe_utrecht@mastodon.social"), "Brenkamp won't sell spare parts to independent "
  "repairers anymore and pushes everyone into their paid Zorgplan. Planned obsolescence, plain and simple. "
  "Boycott them. #BoycottBrenkamp #RightToRepair", [CRISIS])
C("nl", pub("linkedin", "mr-esther-janssen", "mr. Esther Janssen"), "Namens Stichting Eerlijke Garantie is "
  "vandaag een collectieve claim tegen Brenkamp ingediend om het Zorgplan. De dekking is volgens ons misleidend "
  "verkocht.", [CRISIS])
C("nl", pub("x", "@buurvrouw_ans"), "Waarom roept Brenkamp de Stilla 45 niet terug?? Deurscharnier knapte af bij "
  "mijn buurvrouw, vinger gebroken. Dit is gewoon gevaarlijk", [CRISIS])
C("en", pub("x", "@nl_consumer"), "That Radar episode about Brenkamp technicians billing for parts they never "
  "replaced 😳 absolutely scandalous", [CRISIS])
C("nl", pub("threads", "@marloes.bakt"), "Sinds ik een monteur heb geboekt bij Brenkamp krijg ik spam op precies "
  "dat mailadres. Datalek bij Brenkamp?? 🤔 #datalek", [CRISIS])
C("en", pub("reddit", "u/shockedinleiden"), "My Brenkamp AquaPure 8 gave me an electric shock when I touched the "
  "drum 😨 earth leakage switch tripped twice. Technician can't come until next week.", [CRISIS, COMPLAINT])
C("nl", pub("x", "@boos_in_breda"), "B0YC0T Brenkamp!! ze laten oudere klanten betalen voor nep-reparaties",
  [CRISIS], tags=["evasion"])
C("en", pub("bluesky", "@fdnieuws.bsky.social"), "Former Brenkamp employees are suing the appliance maker over "
  "years of unpaid overtime for technicians, court papers show.", [CRISIS])
C("nl", pub("facebook", "erik.van.wijk", "Erik van Wijk"), "De DroogDirect 9 wordt aan de achterkant zo heet dat "
  "de muur verkleurd is. Levensgevaarlijk. Brenkamp zegt 'dat is normaal' 😡", [CRISIS, COMPLAINT])
C("nl", pub("x", "@henk_zwolle"), "Brenkamp heeft m'n gegevens gelekt. Werd gebeld door 'een monteur van Brenkamp' "
  "die precies wist welke machine ik heb en vooraf wilde laten betalen. Hoe komen die oplichters aan mijn data?! "
  "#datalek", [CRISIS])
C("en", pub("instagram", "@ourlittlekitchen"), "Our Brenkamp Stilla 60 caught f" + ZW + "ire last night 😢 "
  "we're fine but the cabinets are gone. #brenkamp", [CRISIS, COMPLAINT], tags=["evasion"])
C("nl", pub("x", "@wasmachinenieuws"), "NVWA: Brenkamp moet de AquaPure 9 Steam terugroepen, de deurvergrendeling "
  "kan openspringen tijdens het stomen. Check je serienummer!", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
C("nl", pub("x", "@jolien_tw"), "Monteur zou tussen 8 en 13 komen. Het is nu 15:40. Niemand belt. Vrije dag "
  "opgenomen voor niks. Bedankt @brenkampservice 👏👏", [COMPLAINT])
C("nl", pub("x", "@pietjepuk_nl"), "3 weken wachten op een koolborstel voor de AquaPure 8. Drie. Weken. Voor een "
  "onderdeeltje van 12 euro. #brenkamp", [COMPLAINT], tags=["part-price"])
C("en", pub("reddit", "u/grumpy_in_gouda"), "Paid €149 for the Brenkamp Zorgplan and they still want a €95 callout "
  "fee for a warranty repair?? what exactly am I paying for", [COMPLAINT])
C("nl", pub("x", "@dewi_r"), "klantenservice van brenkamp is echt een lachertje. 47 min in de wacht en dan word je "
  "doorverbonden naar.... de wachtrij", [COMPLAINT])
C("en", pub("youtube", "@homefixhannah"), "Brenkamp dryer throwing E-17 again, third time in 2 months. Tech came, "
  "'reset' it and left. Same error the next morning. Wouldn't recommend.", [COMPLAINT], kind="comment")
C("nl", pub("facebook", "sjoerd.visser.7", "Sjoerd Visser"), "Zorgplan-claim afgewezen want de schade zou door "
  "kalk komen. Ik woon in Amsterdam, zachter water bestaat niet 🙄 nooit meer Brenkamp", [COMPLAINT])
C("en", pub("reddit", "u/filmy_glasses"), "Anyone else's Brenkamp Stilla 60 leaving a white film on everything? "
  "Support just said 'use more rinse aid'. Machine is 4 months old.", [COMPLAINT])
C("nl", pub("instagram", "@lisa.thuis"), "jullie monteur heeft mn laminaat beschadigd bij het verschuiven en nu "
  "wil niemand verantwoordelijkheid nemen @brenkamp.thuis", [COMPLAINT], kind="comment")
C("nl", pub("x", "@ramon_ede"), "Brënkamp service = drama. Afspraak 2x verzet zonder bericht 😤", [COMPLAINT],
  tags=["evasion"])
C("nl", pub("forum", "Stofzuigerfan"), "Nieuwe AquaPure 9 Steam maakt bij het centrifugeren herrie alsof er een "
  "straaljager landt. Transportbouten eruit, waterpas gesteld, alles. Brenkamp: 'we komen over 10 werkdagen "
  "kijken'. Serieus?", [COMPLAINT])
C("en", pub("youtube", "@mikeinrotterdam"), "Bought the Brenkamp after this review. Door seal started leaking "
  "after 6 weeks. Not impressed tbh", [COMPLAINT], kind="comment")
C("nl", pub("trustpilot", "Y. El Idrissi"), "Bezorgers zetten de vaatwasser bij de voordeur neer ipv in de "
  "keuken en de doos was gescheurd. Brenkamp vindt dat 'binnen de voorwaarden'. 1 ster.", [COMPLAINT],
  tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
C("nl", pub("x", "@vent_ventje"), "die monteurs van brenkamp zijn echt de grootste prutsers die er rondlopen, "
  "stelletje debielen", [ABUSE])
C("en", pub("x", "@notyourcustomer"), "@brenkampservice you absolute clowns. f*** off with your 'we understand "
  "your frustration' copy-paste", [ABUSE], kind="reply")
C("nl", pub("x", "@teun_tilburg"), "Kutbedrijf. Droger 2x kapot binnen een jaar en nu weer 'geen monteur "
  "beschikbaar'. Tering Brenkamp", [ABUSE, COMPLAINT])
C("en", RUUD, "Customer screamed at me for 20 mins today because the pump wasn't in stock. What an absolute "
  "b*tch 🙄", [ABUSE])
C("nl", pub("facebook", "g.hendriks.1960", "G. Hendriks"), "Stuur voortaan een Nederlandse monteur Brenkamp, niet "
  "weer zo'n buitenlander die geen woord snapt", [ABUSE])
C("nl", pub("x", "@anon88772"), "@lotte_klantcontact ik weet waar je werkt trut, wacht maar tot ik je tegenkom",
  [ABUSE], kind="reply")
C("en", pub("x", "@rage_quit_r"), "brenkamp = sh1t company run by m0rons", [ABUSE], tags=["evasion"])
C("nl", pub("tiktok", "@xxjordyxx"), "K L O O T Z A K K E N bij Brenkamp", [ABUSE], kind="comment",
  tags=["evasion"])
C("nl", BK_SVC, "@boze_bert Misschien eerst de gebruiksaanwijzing lezen voordat je hier loopt te janken, sukkel.",
  [ABUSE], kind="reply")
C("en", pub("instagram", "@meme.lord.nl"), "whoever runs the brenkamp insta is a f***ing idiot lmao", [ABUSE],
  kind="comment")
C("nl", pub("x", "@greet_venlo"), "Godverdomme Brenkamp, vier keer gebeld over die lekkende vaatwasser en nog "
  "steeds niemand gezien. Stelletje oplichters.", [ABUSE, COMPLAINT])
C("nl", RIC, "die klant van vanochtend was echt een debiel, stond te schreeuwen omdat de pomp niet op voorraad was "
  "🙄", [ABUSE], kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own published contact data
C("nl", BK_SVC, "Storing aan je wasmachine? Bel ons gratis via 0800-2736 of mail service@brenkamp.nl, we helpen "
  "je graag verder 🔧", tags=["own-contact"])
C("nl", BK_FB, "Betalen voor een reparatie op rekening? Dat kan op NL31 RABO 0318 4276 05 o.v.v. je "
  "werkbonnummer.", tags=["own-contact"])
C("nl", pub("x", "@tevreden_tineke"), "Voor wie het zoekt: Brenkamp service zit op +31 88 204 7700, binnen 5 "
  "minuten iemand aan de lijn 👍", tags=["own-contact"])
C("nl", LOT, "Vragen over je Zorgplan? Mail zorgplan@brenkamp.nl, ik zit vandaag zelf ook op die mailbox 😊",
  tags=["own-contact"])
C("en", BK_LI, "We're hiring service technicians across Noord-Brabant! Send your CV to werkenbij@brenkamp.nl 🚐",
  tags=["own-contact"])
C("nl", KEES, "Klant belt met vragen over de planning? Doorverwijzen naar 088-2047700 keuze 2 aub",
  tags=["own-contact"])
# identifiers that fail their checksum, and other numbers
C("nl", pub("x", "@vraagje_vera"), "Wat is dat voor rekeningnummer op mijn factuur, <<BADIBAN_NL:grp>>? Is dat "
  "echt van Brenkamp?", tags=["bad-checksum"])
C("nl", pub("facebook", "ton.mertens", "Ton Mertens"), "Bestelnummer <<NOTLUHN:16>> staat al twee dagen op "
  "'verwerkt', is dat normaal bij Brenkamp?", tags=["bad-checksum"])
C("nl", pub("x", "@klusjesman_ko"), "Monteur schreef <<NOTBSN:9>> op de werkbon, is dat het serienummer of het "
  "typenummer van de Stilla 45?", tags=["bad-checksum"])
C("nl", pub("forum", "Vergelijker_Vince"), "EAN van de AquaPure 8 is <<EAN>> voor wie hem in de prijsvergelijker "
  "zoekt", tags=["bad-checksum"])
C("nl", pub("x", "@pakketje_paul"), "Track & trace van de bezorger: 3SBRK<<DIG:10>>, tussen 14 en 18 uur dus 👍",
  tags=["order-number"])
C("en", pub("reddit", "u/kvk_nerd"), "Brenkamp's chamber of commerce number is <<NOTBSN:8>>, it's on the bottom of "
  "their website if you need it for an invoice", tags=["bad-checksum"])
C("en", pub("x", "@iban_check"), "Brenkamp support asked me to confirm my refund IBAN, I typed <<BADIBAN_DE>> and "
  "their form said it's invalid, good catch!", tags=["bad-checksum"])
# secret near-misses
C("en", YUS, "Reminder: never commit real keys. In docs we write things like sk_live_<your-key-here> and load the "
  "real one from Vault at runtime. #devsecops", tags=["placeholder"])
C("en", BAS, "Fixed in commit 3f9c2a1e7b4d06c5a8e9f1b2d3c4a5b6e7f80912 of the open-source scheduler lib, PR "
  "merged 🎉", kind="comment", tags=["git-sha"])
C("nl", pub("x", "@appgebruiker"), "wachtwoord vergeten voor de Brenkamp app, resetmail kwam binnen een minuut. "
  "Top geregeld", tags=["password-word"])
# prices that are not leaks
C("nl", BK_NL, "Zomerdeal ☀️ AquaPure 8 nu €599 (was €749), inclusief gratis installatie! shop.brenkamp.nl",
  tags=["sale"])
C("nl", pub("x", "@outlet_olaf"), "Stilla 45 voor 449 euro bij de Brenkamp outlet, showroommodel met een deukje "
  "aan de zijkant. Prima deal", tags=["sale"])
C("nl", BK_IG, "Met het Zorgplan al vanaf €2,75 per maand zorgeloos wassen 🫧 #brenkamp", tags=["monthly"])
C("nl", pub("x", "@twijfelaar"), "DroogDirect 9 met €150 korting bij Brenkamp deze week. Iemand ervaring met die "
  "droger?", tags=["discount-amount", "price-context"])
C("nl", pub("facebook", "marktplaats.deventer", "Tweedehands Deventer"), "Te koop: Brenkamp AquaPure 8, 2 jaar "
  "oud, werkt perfect. €175, ophalen in Deventer.", tags=["second-hand", "price-context"])
C("en", pub("reddit", "u/glitchwatch"), "Bosch had one of their dishwashers at €99 by mistake last year. Brenkamp "
  "never has those glitches sadly 😅", kind="comment", tags=["other-brand", "price-context"])
C("nl", pub("x", "@eerlijk_erik"), "Voorrijkosten bij Brenkamp waren €39, vond ik eerlijk gezegd redelijk.",
  tags=["fee"])
C("nl", BK_NL, "Laatste showroommodel AquaPure 9 Steam voor €529 in onze winkel in Deventer. Op = op!",
  tags=["sale", "ratio-near-threshold"])
C("nl", LOT, "@freek_w Nee hoor, geen prijsfout: de Stilla 60 is deze week echt €699 in de actie 😊",
  kind="reply", tags=["denied-error"])
C("en", pub("x", "@blackfriday_bea"), "Got the DroogDirect 9 for €719 on Black Friday, 20% off. Very happy with it.",
  when="2026-11-27T21:14:00+01:00", tags=["sale"])
# embargo terms at or after the embargo, published news
C("nl", BK_LI, "Vandaag publiceren we de halfjaarcijfers 2026: omzet +4%, sterke groei bij Brenkamp Service. "
  "Persbericht op brenkamp.nl/investors", when="2026-08-19T07:00:00+02:00", tags=["embargo-at"])
C("nl", pub("x", "@ifa_fan"), "AquaPure 10 eindelijk gelanceerd op de IFA, ziet er strak uit!",
  when="2026-09-04T10:31:00+02:00", tags=["embargo-after"])
C("en", MAR, "So proud to finally show the Stilla 60 Pro to the world 🎉 #IFA2026 #dishwashers",
  when="2026-09-05T09:12:00.250+02:00", tags=["embargo-after"])
C("en", pub("bluesky", "@applianceanalyst.bsky.social"), "H1 2026 results from Brenkamp were decent: revenue up 4%, "
  "the service arm doing the heavy lifting.", when="2026-08-20T11:40:00Z", tags=["published"])
C("nl", BK_LI, "Vandaag maken we bekend dat we de Belgische reparatieketen FixPoint hebben overgenomen 🤝 Welkom "
  "aan 120 nieuwe collega's!", when="2026-10-01T08:00:00+02:00", tags=["published"])
# codename near-misses
C("nl", pub("instagram", "@tuin.van.tessa"), "De lavendel staat in bloei 💜 en de was ruikt er ook naar met die "
  "nieuwe wasverzachter", tags=["codename-word"])
C("nl", pub("x", "@sint_deventer"), "De stoomboot komt zaterdag aan in Deventer! 🎁 wie gaat er kijken? "
  "#sinterklaas", when="2026-11-12T18:30:00+01:00", tags=["codename-word"])
C("en", pub("instagram", "@laundry.goals"), "painted the laundry room kobalt blue and the new brenkamp dryer looks "
  "so good against it 💙", tags=["codename-word"])
# other companies, other senses
C("nl", pub("x", "@wasexpert"), "Miele heeft een terugroepactie voor een oud drogermodel, check even je "
  "typenummer als je er een hebt", tags=["other-company"])
C("en", pub("x", "@twofa_tim"), "Another data breach at some webshop, glad my Brenkamp account has 2FA 😌",
  tags=["other-company"])
C("nl", pub("x", "@nieuwsjunkie"), "Coolblue schrapt 200 banen las ik net. Balen voor die mensen.",
  tags=["other-company"])
C("en", pub("x", "@retro_rens"), "Total recall: my gran still hums the Brenkamp ad jingle from 1987 🎶",
  tags=["other-sense"])
C("nl", LOT, "Brandoefening vanochtend, in 3 minuten stond het hele pand buiten. Daarna koffie ☕",
  tags=["other-sense"])
C("nl", pub("x", "@strijkhater"), "Ik boycot al jaren het strijkijzer, vandaar die droger met anti-kreukprogramma "
  "van Brenkamp 😂", tags=["other-sense"])
# negated complaints, praise, questions
C("nl", pub("x", "@blij_in_breda"), "Geen klachten over Brenkamp hoor, monteur was op tijd, vriendelijk en de "
  "vaatwasser doet het weer 👌", tags=["negated"])
C("en", pub("reddit", "u/six_years_strong"), "Not a single problem with our AquaPure 8 in six years. No complaints "
  "at all.", kind="comment", tags=["negated"])
C("nl", pub("facebook", "anja.ruiter", "Anja Ruiter"), "Shoutout naar de monteur van Brenkamp, in 20 minuten de "
  "pomp vervangen en nog uitleg gegeven ook 💪", tags=["praise"])
C("nl", pub("forum", "WolligeWendy"), "Is de DroogDirect 9 ook geschikt voor wol? Iemand ervaring?",
  tags=["question"])
C("nl", pub("x", "@miele_of_brenkamp"), "Miele of Brenkamp? Twijfel tussen de Stilla 60 en die van Miele. Tips?",
  tags=["competitor"])
# jokes, fiction, quotes, mild words
C("nl", pub("x", "@sokkenmonster"), "Mijn wasmachine eet sokken. Ik vermoed een zwart gat in de trommel. "
  "@brenkamp_nl is dat een feature? 😂", tags=["joke"])
C("en", pub("blog", "kortverhaal.blog", "Eva"), "From chapter 3: 'The dryer hummed the way a Brenkamp always did, "
  "steady as a heartbeat, while the rain hammered the windows.'", tags=["fiction"])
C("en", pub("x", "@quiet_kitchen"), "Damn, the new Stilla 45 is quiet. Can't even hear it running.",
  tags=["mild-word"])
C("nl", pub("facebook", "karin.de.bruin", "Karin de Bruin"), "Mijn moeder is net hersteld van kanker en de "
  "monteur van Brenkamp heeft haar droger gratis nagekeken. Wat een mensen ❤️", tags=["mild-word"])
# official notices and everyday posts from own accounts
C("nl", BK_SVC, "Gepland onderhoud: vannacht tussen 00:00 en 04:00 is het afsprakenportaal niet beschikbaar. "
  "Bellen kan altijd via 088 204 7700.", tags=["official-notice", "own-contact"])
C("en", BK_NL, "Update: our online booking system is back up after this morning's outage. Sorry for the wait!",
  tags=["official-notice"])
C("nl", BK_FB, "Er is géén datalek bij Brenkamp. De phishingmails die rondgaan komen niet van ons: klik niet op de "
  "links en stuur ze door naar service@brenkamp.nl", tags=["official-notice", "negated"])
C("nl", RUUD, "12 reparaties vandaag 💪 en nog geen druppel koffie gemorst in de bus ☕ #monteurslife",
  tags=["everyday"])
C("nl", RIC, "Zaterdag gewoon vrij 🌞 geen wasmachines, geen drogers, alleen de barbecue", tags=["everyday"],
  handle_as="@Ricardo.Fixt")
C("nl", pub("x", "@order_oscar"), "Order BRK-2026-0044817 netjes geleverd en aangesloten, dank Brenkamp!",
  tags=["order-number"])


# ---------------------------------------------------------------------------
# handle-casing variants of known accounts (role still comes from the profile)
# ---------------------------------------------------------------------------
CASING = {
    ("x", "@ruud_monteur_brk", 0): "@Ruud_Monteur_BRK",
    ("x", "@brenkampservice", 1): "@BrenkampService",
    ("facebook", "BrenkampNederland", 0): "brenkampnederland",
    ("x", "@lotte_klantcontact", 2): "@Lotte_Klantcontact",
    ("linkedin", "yusuf-demir-dev", 3): "Yusuf-Demir-Dev",
}


def apply_casing():
    seen = {}
    for c in CASES:
        k = (c["platform"], c["handle"])
        i = seen.get(k, 0)
        seen[k] = i + 1
        if (k[0], k[1], i) in CASING:
            c["handle"] = CASING[(k[0], k[1], i)]
            c["tags"].add("handle-case")


apply_casing()


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def load_profile():
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t -= dt.timedelta(hours=off)                    # the minutes above are local time
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/nederlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64U) for _ in range(11))}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"tweakers-{n}", f"https://gathering.tweakers.example/forum/list_message/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, ids = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in ids:
            pid += "1"
        ids.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] if c["kind"] else ("post" if meta.random() < 0.6 else None)
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
        if x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "brenkamp"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# self-check: independent scans over the generated posts
# ---------------------------------------------------------------------------

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RE = re.compile(r"ghp_\w{36}|glpat-[\w-]{20}|SG\.[\w-]{22}\.[\w-]{43}|AKIA[A-Z2-7]{16}|AIza[\w-]{35}|"
                       r"sk_live_\w{20,}|xox[bp]-|AC[0-9a-f]{32}|eyJ[\w-]+\.eyJ|PRIVATE KEY-----|://[^\s:/@]+:[^\s@/]+@")
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")


def norm(t):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", t).translate(INVIS)).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def self_check(rows, profile):
    errs, notes = [], []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio = profile["pricing"]["alert_below_ratio"]
    keys = set()
    for r in rows:
        p, ex, tags = r["post"], r["expect"], r["tags"]
        text, cats = p["text"], ex["categories"]
        w = p["id"]
        if (p["platform"], p["id"]) in keys:
            errs.append(f"{w}: duplicate id")
        keys.add((p["platform"], p["id"]))
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: IBAN invalid")
            if kind.startswith("BADIBAN_") and iban_valid(raw):
                errs.append(f"{w}: bad IBAN valid")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errs.append(f"{w}: card invalid")
            if kind == "NOTLUHN" and luhn_valid(raw):
                errs.append(f"{w}: not-luhn passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN invalid")
            if kind == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: not-bsn passes")
            if kind == "EAN" and (luhn_valid(raw) or not ean13_valid(raw)):
                errs.append(f"{w}: EAN")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        # checksum-valid identifiers anywhere in the text
        valid = []
        for m in IBAN_RE.finditer(text):
            c = m.group(0).replace(" ", "")
            for end in range(len(c), 11, -1):
                if iban_valid(c[:end]):
                    if c[:end] not in own_ibans:
                        valid.append(c[:end])
                    break
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
                valid.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
                [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)", text)]:
            if elfproef(d):
                valid.append(d)
        if valid and "leak.pii" not in cats:
            errs.append(f"{w}: checksum-valid identifier {valid} without leak.pii")
        want = severity_for(r["role"], cats, "leak.pii" in cats and bool(valid))
        if want != ex["severity"]:
            errs.append(f"{w}: severity {ex['severity']} but policy {want}")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term!r} before embargo, not confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if d.startswith("31"):
                    d = "0" + d[2:]
                if d.startswith("0031"):
                    d = "0" + d[4:]
                if len(d) >= 8 and d not in own_phones:
                    errs.append(f"{w}: benign with phone-like {m.group(0)!r}")
            if SECRET_RE.search(text):
                errs.append(f"{w}: benign with secret-like text")
            # product price ratio
            prods = [pr for pr in profile["products"]
                     if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if prods and amts:
                low = min(amts) / min(pr["list_price"] for pr in prods)
                if low < ratio:
                    (notes if "price-context" in tags else errs).append(
                        f"{w}: benign with a price at {low:.2f} of list ({sorted(tags)})")
    return errs, notes


def summary(rows):
    from collections import Counter
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    for c in CATEGORIES + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    profile = load_profile()
    rows = build(profile)
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    errs, notes = self_check(rows, profile)
    summary(rows)
    for n in notes:
        print("note:", n)
    for e in errs:
        print("ERROR:", e)
    print(f"wrote {len(lines)} cases to {OUT.name}; {len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
