#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set in this folder.

    python3 make_cases.py          # write cases.jsonl next to this file, print counts
    python3 make_cases.py --check  # regenerate in memory and compare with cases.jsonl

Company: "Badhuys Groep B.V." (profile.yaml here), a fictional Dutch chain of
swimming pools, saunas and wellness resorts. Every text below is hand-written for
this set. Identifiers and secrets come from <<PLACEHOLDER>> tokens filled by one
seeded RNG: positives get checksum-valid identifiers, hard negatives get ones that
fail their checksum. Secrets are random and fake but shaped like the real thing.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 using the
account role from profile.yaml (platform:handle, case-insensitive), the categories
and whether a checksum-validated identifier (IBAN, card, BSN) is in the post.
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
from collections import Counter
from pathlib import Path

SEED = 107_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap a few Latin letters for Cyrillic look-alikes."""
    return s.translate(str.maketrans({"o": "\u043e", "a": "\u0430", "e": "\u0435"}))


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


def luhn(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

AZ09 = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"
OWN_IBAN = "NL89RABO0314627750"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Vals:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBAN
    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB", "KNAB"])
                               + self.d(10, True))
            elif cc == "BE":
                f = self.r.choice(["063", "310", "001", "737", "973"]) + self.d(7)
                v = iban_build("BE", f + f"{(int(f) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["10010010", "50070010", "30050110", "60050101"]) + self.d(10))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

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
            if luhn(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def show_card(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s) and not luhn(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.d(9)
            for x in "0123456789":
                if ean_ok(body + x):
                    if not luhn(body + x) and not elfproef(body + x):
                        return body + x

    # phones
    def phone(self, fmt):
        if fmt.startswith("m"):
            e = self.r.choice("12345678") + self.d(7)   # 8 digits after the 06
            return {
                "m_dash": f"06-{e}",
                "m_plain": f"06{e}",
                "m_pairs": f"06 {e[:2]} {e[2:4]} {e[4:6]} {e[6:]}",
                "m_intl": f"+31 6 {e[:2]} {e[2:5]} {e[5:]}",
                "m_intl_c": f"+316{e}",
                "m_dots": f"06.{e[:2]}.{e[2:4]}.{e[4:6]}.{e[6:]}",
                "m_0031": f"0031 6 {e[:4]} {e[4:]}",
                "m_paren": f"+31 (0)6 {e[:4]} {e[4:]}",
            }[fmt]
        area = self.r.choice(["10", "20", "23", "26", "30", "33", "35", "36", "38", "40", "50", "53", "70", "72", "73",
                              "76", "85", "88"])
        sub = self.r.choice("2345689") + self.d(6)
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.c(AZ09, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def mollie(self):
        return "live_" + self.c(AZ09, 30)

    def sendgrid(self):
        return "SG." + self.c(URLSAFE, 22) + "." + self.c(URLSAFE, 43)

    def stripe(self):
        return "sk_live_51" + self.c(AZ09, 97)

    def gapi(self):
        return "AIzaSy" + self.c(URLSAFE, 33)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AZ09, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "lid-" + self.d(7, True), "iss": "boeken.badhuys.nl", "scope": "member",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.c(URLSAFE, 43)}"

    def pem(self):
        first = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [first] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def azure(self):
        key = base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()
        return ("DefaultEndpointsProtocol=https;AccountName=bhcamerabackup;AccountKey=" + key
                + ";EndpointSuffix=core.windows.net")

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%&*") + self.c(AZ09, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
NEAR_MISS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN", "NOT_BSN8", "EAN"}
TOKEN = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = v.iban(k[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
            if f == "lower":
                shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)).lower()
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = v.bad_iban(k[-2:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "CARD":
            brand, _, style = f.partition("_")
            raw = v.card(brand)
            shown = v.show_card(raw, style or "sp")
        elif k == "BAD_CARD":
            brand, _, style = f.partition("_")
            raw = v.bad_card(brand)
            shown = v.show_card(raw, style or "sp")
        elif k == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN":
            shown = raw = v.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = v.not_bsn(8)
        elif k == "EAN":
            shown = raw = v.ean()
        elif k == "PHONE":
            shown = raw = v.phone(f)
        elif k == "NUM":
            shown = raw = v.d(int(f), True)
        elif k == "GHP":
            shown = raw = v.ghp()
        elif k == "AWS_ID":
            shown = raw = v.aws_id()
        elif k == "AWS_SECRET":
            shown = raw = v.aws_secret()
        elif k == "MOLLIE":
            shown = raw = v.mollie()
        elif k == "SENDGRID":
            shown = raw = v.sendgrid()
        elif k == "STRIPE":
            shown = raw = v.stripe()
        elif k == "GAPI":
            shown = raw = v.gapi()
        elif k == "SLACK_HOOK":
            shown = raw = v.slack_hook()
        elif k == "JWT":
            shown = raw = v.jwt()
        elif k == "PEM":
            shown = raw = v.pem()
        elif k == "AZURE":
            shown = raw = v.azure()
        elif k == "PW":
            shown = raw = v.pw()
        elif k == "HEX":
            shown = raw = v.hexs(int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
BH = ("x", "@badhuys", "Badhuys")
BH_SVC = ("x", "@badhuys_service", "Badhuys Klantenservice")
BH_IG = ("instagram", "@badhuys.thermen", "Badhuys Thermen")
BH_FB = ("facebook", "BadhuysThermen", "Badhuys Thermen")
BH_LI = ("linkedin", "badhuys-groep", "Badhuys Groep B.V.")
GS_TT = ("tiktok", "@golfslag_zwemparadijs", "Golfslag Zwemparadijs")
# employees
LOTTE = ("x", "@lotte_badmeester", "Lotte Verhoef")             # lifeguard, Golfslag Almere
RUUD = ("instagram", "@saunameester_ruud", "Ruud Smits")         # sauna master, Thermen Arnhem
YASMINA = ("linkedin", "yasmina-ouali-badhuys", "Yasmina Ouali")  # controller, head office
KEES = ("linkedin", "kees-brouwer-ict", "Kees Brouwer")          # IT manager
BAS = ("x", "@bas_receptie", "Bas Hendriks")                     # front desk, Thermen Utrecht
NOOR = ("threads", "@noor.behandelt", "Noor de Graaf")           # massage / beauty therapist
HENK = ("facebook", "henk.vdmolen.td", "Henk van der Molen")     # technical service, water treatment
MILAN = ("x", "@milan_dev_nl", "Milan Kuipers")                  # developer of the booking app
SOPHIE = ("linkedin", "sophie-janssen-hr", "Sophie Janssen")     # HR advisor


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
case("nl", BAS, "uhh collega's?? in het kassasysteem staat de Thermen Dagentree ineens op €4,25 🤨 "
     "zit er een komma verkeerd? ik heb er al 6 zo afgerekend voordat ik het zag", [PRICING])
case("en", pub("reddit", "u/sauna_goblin_ut"), "Not sure how long this lasts but the Badhuys site is selling the "
     "Wellness Jaarabonnement for €118.80 instead of €1188. Looks like a decimal glitch. Checkout went through "
     "fine for me 👀", [PRICING])
case("nl", pub("x", "@mireille_ontspant"), "hotstone massage voor €9,50 in de Badhuys app?? foutje bedankt, "
     "meteen geboekt voor zaterdag 💆‍♀️", [PRICING], kind="post")
case("nl", NOOR, "Meiden van de salon: de agenda rekent de Hot Stone Massage vandaag af voor 9,50 ipv 95. "
     "Niet tegen klanten zeggen tot het gefixt is pls 🙏", [PRICING])
case("nl", BH_IG, "🌿 Last minute! Ons Wellness Arrangement Duo nu voor €69 (normaal €189). Alleen dit weekend, "
     "boek via boeken.badhuys.nl ✨ #wellness #badhuys", [PRICING])
case("nl", pub("forum", "dealjager_073"), "[PRIJSFOUT] Golfslag 10-badenkaart voor €6,90\n\nwebshop van golfslag.nl "
     "rekent 6,90 ipv 69. ik heb er 4 gekocht, betaling via iDEAL ging gewoon door. ben benieuwd of ze ze "
     "blokkeren bij de kassa", [PRICING])
case("nl", MILAN, "Ai. Na de deploy van vanmiddag staat de Wellness Suite Overnachting voor €34,90 live "
     "(planning.badhuys.nl/tickets/BOOK-2210). Rollback loopt, niet retweeten", [PRICING, CONF])
case("nl", pub("tiktok", "@zoe.selfcare"), "okeee de Wëllness Süite van Badhuys voor 35 euro?!? dat kan toch niet "
     "kloppen 😭😭 snel boeken voor ze het zien #badhuys #prijsfout", [PRICING],
     tags=["evasion", "evasion:diacritics"])
case("nl", pub("facebook", "ria.vanbeek.52", "Ria van Beek"), "Ik zag net bij Golfslag de tienbadenkaart voor "
     "6,90 euro staan in plaats van 69... verkeerde prijs denk ik? Heb er toch maar 2 gepakt voor de kleinkinderen",
     [PRICING])
case("en", YASMINA, "Short post-mortem for the team: between 14:10 and 17:25 yesterday a failed price import put the "
     "Diploma A Pakket at €57.50. 212 bookings came in at that price. Please keep this within the company while "
     "we decide whether to honour them.", [PRICING])
case("en", pub("x", "@tomtravelsNL"), "lmaooo the duo arrangement at Badhuys is €18.90 right now, someone "
     "clearly forgot a digit 💀 booked it for our anniversary", [PRICING])
case("nl", pub("reddit", "u/kortingsgek"), "p.r.i.j.s.f.o.u.t bij de Hot Stone Massage in de Badhuys app, "
     "kijk snel voordat het weg is", [PRICING], kind="comment", tags=["evasion", "evasion:dotted"])
case("en", pub("bluesky", "@anouk-writes.bsky.social"), "Badhuys booking site lets you reserve a Wellness Suite "
     "night for €3.49 right now. Obviously a pricing mistake but hey, my mum deserves a treat", [PRICING])
case("nl", HENK, "Zeg jongens van IT, weten jullie dat de thermen dagkaart op de site voor 2,50 staat? "
     "Mijn buurvrouw vroeg het me net. Lijkt me een foutje in het systeem", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", KEES, "Waarom je secrets nooit in een config-repo zet, een voorbeeld uit eigen huis 🙈\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nMOLLIE_PROFILE=pfl_bhthermen\n\nDeze is inmiddels vervangen hoor. "
     "Les geleerd. #security #devops #zwembadtech", [SECRET])
case("en", MILAN, "why is the github api giving me 403 on our own repo 😩\n"
     "curl -H \"Authorization: Bearer <<GHP>>\" https://api.github.com/repos/badhuys/booking-app/actions/runs",
     [SECRET])
case("nl", MILAN, "kan iemand zien waarom dit niet connect? postgresql://boeking_app:<<PW>>@db02.intra.badhuys.local"
     ":5432/reserveringen timeout na 30s", [SECRET, CONF])
case("nl", BAS, "Voor de avondploeg: iemand had het wachtwoord van de kassa gewijzigd, het is nu weer <<PW>> "
     "(let op de hoofdletter)", [SECRET], kind="reply")
case("nl", HENK, "Voor de collega's van Golfslag Emmen die morgen invallen: inloggen op het doseerpaneel via de "
     "tablet, gebruiker techdienst / ww <<PW>>. Niet aan zitten als je het niet weet!", [SECRET])
case("en", KEES, "Friday cleanup found this in an old Lambda for the locker system:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nKeys disabled now. "
     "Audit your old functions, people.", [SECRET])
case("en", pub("reddit", "u/curious_pentester"), "Badhuys ships their Google Maps key in plain JS on the booking "
     "page: key=<<GAPI>> , no referrer restriction as far as I can tell. Someone there should look at this.",
     [SECRET], kind="comment")
case("nl", MILAN, "onze deploy-bot post al 2 dagen niks meer in slack, webhook is <<SLACK_HOOK>> , iemand een idee? 🤷",
     [SECRET])
case("en", pub("forum", "jorrit_ops", "Jorrit"), "I run the servers for a big pool/sauna chain (not naming them 😉) "
     "and ssh rejects this key on the new box, what am I missing?\n\n<<PEM>>\n\nalready tried chmod 600.", [SECRET])
case("en", BAS, "does anyone know why the member app logs me out every 5 min? this is the token it gives me: "
     "<<JWT>>", [SECRET])
case("en", BH_LI, "We're hiring a backend developer! 🏊 A peek at how our booking emails are sent:\n\n"
     "mailer:\n  provider: sendgrid\n  api_key: <<SENDGRID>>\n  from: reserveren@badhuys.nl\n\n"
     "Apply via werkenbij.badhuys.nl", [SECRET])
case("en", KEES, "Note to self and others: don't paste the camera backup settings into a ticket. "
     "<<AZURE>> 🤦 rotating tonight.", [SECRET])
case("nl", pub("x", "@ex_badhuys_dev"), "fun fact: de betaalkoppeling van Badhuys draait nog steeds op "
     "<<STRIPE>> , die stond gewoon in een publieke repo van een oud-stagiair", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", BAS, "Gevonden bij de kluisjes: portemonnee van Ramona Bakker, Kerkewijk 112 Veenendaal, pinpas met "
     "<<IBAN_NL:grp>>. Ligt bij de balie, wie kent haar?", [PII])
case("nl", SOPHIE, "@Loonadministratie kunnen jullie het BSN van onze nieuwe badmeester Daan Mulder "
     "(<<BSN:dots>>) nog invoeren? Contract gaat 1 mei in.", [PII], kind="reply",
     when="2026-04-16T10:02:44+02:00")
case("nl", NOOR, "Gefeliciteerd aan mijn liefste vaste klant Ingrid Pauwels, geboren 14-03-1961 en nog steeds "
     "elke maand op de massagetafel 🎂💐", [PII])
case("nl", LOTTE, "Mooie reddingsoefening gehad met onze vaste baantjestrekker Gerard Bosman van de Lindelaan 44 "
     "in Almere, 81 jaar en fitter dan ik 💪🏊‍♂️", [PII])
case("nl", BH_SVC, "@fam_dewit Het restant van uw abonnement is vandaag teruggestort op <<IBAN_NL:grp>>, "
     "u ziet het binnen 2 werkdagen. Excuses voor het wachten!", [PII], kind="reply")
case("nl", pub("x", "@jeroen_vl"), "@badhuys_service ik wacht al 3 weken op een terugbelverzoek over mijn "
     "opzegging. Bel me NU maar op <<PHONE:m_dash>>, ik ben er klaar mee", [PII, COMPLAINT])
case("nl", pub("facebook", "janneke.dewit.9", "Janneke de Wit"), "Badhuys, jullie vroegen om mijn rekeningnummer "
     "voor de restitutie van de gesloten weken: <<IBAN_BE>> t.n.v. J. de Wit. Dat was in februari. Het is nu april "
     "en nog steeds niks ontvangen 😡", [PII, COMPLAINT],
     when="2026-04-14T20:41:09+02:00")
case("en", pub("reddit", "u/lap_swimmer_88"), "Found a credit card on the floor of the Badhuys changing room "
     "this morning, <<CARD:visa_sp>>, exp 09/28. Handed it in but posting in case the owner reads this sub.",
     [PII], kind="comment")
case("nl", pub("instagram", "@mama_van_fenna"), "DIPLOMA A GEHAALD!!! 🥇 Fenna Jacobs, geboren 02-06-2019, "
     "zwemt als een vis. Dankjewel juf Lotte van Golfslag ❤️", [PII])
case("nl", pub("x", "@lisakramer_"), "jullie contactformulier doet het al dagen niet @badhuys_service, "
     "mail me dan maar op lisa.kramer [at] ziggo [punt] nl want ik wil mijn geld terug", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", RUUD, "Shoutout naar stamgast Jan Vos uit Oosterbeek (Dorpsstraat 3, voor de kaartjes 😉) die gisteren "
     "zijn 500e opgieting bij ons meemaakte! 🔥🧖‍♂️", [PII])
case("en", BAS, "Guy at the desk tried his card <<CARD:mc_sp>> three times and it keeps getting declined, "
     "is it us or him? 😅", [PII])
case("nl", pub("x", "@verstrooide_vera"), "Paspoort laten liggen in kluisje 212 bij Golfslag Almere 🤦‍♀️ "
     "documentnummer NW3K8L2P4, op naam van Vera Hoekstra. Iemand gevonden??", [PII])
case("en", SOPHIE, "Does anyone in my network know this applicant for our swim instructor opening? Ahmed Yilmaz, "
     "reachable on <<PHONE:m_intl>>. He missed his interview but is asking for a second chance.", [PII])
case("en", YASMINA, "Reminder to AP: the invoice of our freelance masseur Tim Oosterhout got paid twice to "
     "<<IBAN_DE>>. Please reclaim before month end.", [PII])
case("nl", pub("x", "@ouder_van_3"), "moet ik nou echt het BSN van mijn zoontje (<<BSN:dots>>) in dat formulier "
     "voor de zwemlesvergoeding zetten? vind dat raar voor een zwembad", [PII],
     tags=["evasion", "evasion:dotted-bsn"])
case("nl", pub("x", "@dirkjan_zwemt"), "Badhuys stuurt mijn bevestigingsmails naar het verkeerde adres. "
     "Mijn nummer is <<PHONE:m_dots>>, bel maar even als jullie het willen oplossen", [PII, COMPLAINT],
     tags=["evasion", "evasion:dotted-phone"])
case("nl", BAS, "Mevrouw Koster die net haar badjas liet liggen: we hebben je teruggebeld op "
     "<<PHONE:l_dash>> maar je nam niet op. Ligt bij de balie!", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", KEES, "Proud week: the network design for Project Zoutmeer is signed off. The first saltwater lagoon in "
     "the Netherlands and my team gets to build the tech behind it. That's all I can say for now 😉 #innovation",
     [CONF], handle="Kees-Brouwer-ICT")
case("nl", RUUD, "Mag eigenlijk nog niks zeggen maar met Operatie Dompelaar krijgen we in Arnhem drie nieuwe "
     "saunas en een ijsbad 🤫🔥❄️", [CONF], handle="@SaunaMeester_Ruud")
case("en", MILAN, "for the new devs: all specs for Moonpool are on wiki.badhuys.nl/display/APP/Moonpool, "
     "read those before touching the check-in flow", [CONF])
case("nl", LOTTE, "Zomerrooster is eindelijk binnen!! Staat er BADHUYS INTERN boven maar ja, jullie willen toch "
     "weten wanneer ik op de hoge duikplank zit 😂", [CONF],
     when="2026-05-19T22:14:05+02:00")
case("nl", BAS, "Niet extern delen zegt de memo, maar vanaf september gaan alle thermen op maandag dicht. "
     "Dus plan je saunadag op tijd 🙃", [CONF])
case("en", pub("reddit", "u/zeeland_local"), "My cousin works at Badhuys and says Project Zoutmeer is a huge "
     "saltwater resort they're planning near Zierikzee. Anyone heard more?", [CONF])
case("nl", NOOR, "Wie wil er komen werken in Thermen Zandvoort?? 🌊 We zoeken nog masseurs voor de opening "
     "in het najaar, DM me!", [CONF], when="2026-06-14T21:12:40+02:00")
case("nl", LOTTE, "Om 10 uur gaat het officiële nieuws eruit, maar ik kan niet wachten: Badhuys Zandvoort wordt "
     "echt prachtig 🌅", [CONF], when="2026-10-01T09:59:00+02:00")
case("nl", RUUD, f"Eerste ontwerp van de saunatuin voor Project Zout{ZW}meer gezien en ik ben verliefd 😍",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", pub("instagram", "@ruud.smits.sauna", "Ruud Smits"), "Privéaccount hoor, maar ik moet het kwijt: de "
     "bouwtekeningen van Operatie Dompelaar hangen in de kantine en het wordt prachtig 🔥", [CONF],
     tags=["lookalike-handle"])
case("en", pub("x", "@wellness_insider"), "Hearing Badhuys' " + cyr("Project Zoutmeer") + " is the saltwater "
     "resort they will announce next year. You heard it here first.", [CONF],
     tags=["evasion", "evasion:homoglyph"])
case("nl", HENK, "Vandaag met de aannemer gekeken voor Operatie\nDompelaar. Het ijsbad komt waar nu de "
     "ligweide is, mooi plan.", [CONF], tags=["evasion", "evasion:line-break"])
case("nl", HENK, "SCADA van de chloordosering (scada.badhuys.local) hangt al twee dagen, we doseren in Emmen "
     "nu met de hand. Leverancier komt pas maandag. Jullie horen het niet van mij.", [CONF, SEC])
case("en", RUUD, "Psst, a new membership is coming: Badhuys Black, unlimited sauna plus monthly massages. "
     "Not announced yet so keep it to yourselves 🖤", [CONF])
case("en", YASMINA, "Slide 7 of today's board deck (marked internal use only): four Golfslag pools to close "
     "by mid-2027. Tough news to carry around.", [CONF, FIN])
case("nl", BAS, "Operatie 🧖 Dompelaar gaat ook naar Utrecht heb ik gehoord 🥳", [CONF],
     tags=["evasion", "evasion:emoji-between"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YASMINA, "Halfjaarcijfers 2026 zijn rond: omzet +14% naar €48,2 mln, EBITDA-marge 11%. Trots op "
     "het team! Publicatie volgt 20 augustus.", [FIN, CONF], when="2026-07-28T16:45:00+02:00")
case("en", pub("reddit", "u/almere_dad"), "Heard from a friend in management that Badhuys will shut Golfslag Emmen "
     "and Golfslag Heerlen next year, the numbers just aren't there. Anyone else hear this?", [FIN])
case("nl", LOTTE, "Net uit het teamoverleg: na de zomer moeten er 30 badmeesters weg bij Golfslag. "
     "Reorganisatie heet het. Ik ben er kapot van 😞", [FIN])
case("en", SOPHIE, "Intense weeks ahead: preparing the consultation with our works council on the restructuring "
     "of the front-office teams. 45 FTE are affected across 9 sites. Not public yet, so bear with me.", [FIN])
case("nl", YASMINA, "Due diligence voor de overname van Thermae Zuid is deze week afgerond. Als de bank meewerkt "
     "tekenen we eind maart 🤞", [FIN], when="2026-02-11T17:20:03+01:00")
case("nl", BAS, "ze gaan bij de receptie mensen o n t s l a g e n , zelfbedieningszuilen ervoor in de plaats. "
     "hoorde het van m'n leidinggevende", [FIN], tags=["evasion", "evasion:spaced"])
case("nl", HENK, f"Vandaag gehoord: de technische dienst gaat op in een regionale pool, reorgani{SHY}satie per "
     "januari. Zes man minder.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", KEES, "Board now expects revenue to fall ~20% this winter because of gas prices. Plan on the table: "
     "shut saunas on weekdays at 5 sites. Not what I signed up for.", [FIN])
case("en", pub("x", "@zakelijk_zwemmer"), "Badhuys up for sale? My brother-in-law works at a private equity fund "
     "and says they're putting in a bid for the whole group this month 👀", [FIN])
case("nl", NOOR, "Geen bonus dit jaar meiden, de directie zei vandaag dat we €3 miljoen verlies gaan draaien. "
     "Lekker dan 🙄", [FIN])
case("en", YASMINA, "Closing the books early this year: FY2026 results look like a record, revenue above "
     "€100m. Can't say more until March.", [FIN, CONF], when="2026-12-18T10:05:00+01:00")
case("nl", BH_LI, "Trots op onze halfjaarcijfers 2026: omzet €48,2 miljoen, 1,9 miljoen bezoekers en een "
     "nieuwe vestiging in aanbouw. Dank aan al onze collega's! 💙", [FIN, CONF],
     when="2026-08-20T07:30:00+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KEES, "Zware nacht. Ransomware op de reserveringsserver, alle vestigingen werken vandaag met papieren "
     "lijsten. Communicatie naar buiten volgt later, dus graag nog niet delen.", [SEC])
case("en", MILAN, "heads up team: in the member app you can see other people's bookings just by changing the id "
     "in the URL 😬 fix is coming, do NOT mention it anywhere", [SEC])
case("en", BAS, "entry gates are dead at every single location since 7am and IT says we got hacked. we're just "
     "waving everyone in for free lol", [SEC], handle="@Bas_Receptie")
case("en", pub("reddit", "u/privacy_matters_nl"), "Badhuys is covering up a data breach. My name, address and "
     "member number showed up on a paste site last week and their support keeps saying nothing happened.",
     [SEC, CRISIS])
case("nl", pub("x", "@oudcollega_bh"), "Van een oud-collega gehoord dat de ledendatabase van Badhuys al maanden "
     "op straat ligt en dat ze het gewoon stilhouden. Schandalig.", [SEC, CRISIS])
case("nl", NOOR, "agenda ligt er al de hele dag uit, er heeft iemand ingebroken in het systeem (geh4ckt zeggen ze) "
     "🙄 nu alle klanten zelf bellen", [SEC], tags=["evasion", "evasion:leet"])
case("en", KEES, "Pen test result that kept me up: half our CCTV cameras reachable from the internet with default "
     "passwords. Patching this weekend before anyone notices.", [SEC])
case("nl", RUUD, "Kassasysteem ligt plat in alle thermen sinds vanochtend, alleen contant. Hoofdkantoor zegt "
     "niks naar buiten tot het opgelost is 😬", [SEC])
case("en", pub("forum", "bucketfinder"), "Reported an open storage bucket with Badhuys membership photos "
     "(thousands of faces) to them three weeks ago. No reply, still open. They're just hiding it.", [SEC, CRISIS])
case("nl", YASMINA, "Bij finance is vorige week een CEO-fraude gelukt, politie is ingeschakeld. Intern houden "
     "graag, we zoeken nog uit hoe het kon.", [SEC])
case("nl", MILAN, "storing op de app is geen 'onderhoud' zoals op de site staat, iemand heeft onze DNS gekaapt. "
     "we zijn er mee bezig", [SEC], kind="reply")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "nieuws.arnhem.regio", "Nieuws Arnhem Regio"), "Chloorgaslek bij Badhuys Thermen Arnhem: "
     "het complex is ontruimd en twintig bezoekers zijn met ademhalingsklachten naar het ziekenhuis gebracht.",
     [CRISIS])
case("en", pub("x", "@getuige_golfslag"), "A little boy nearly drowned in the wave pool at Golfslag Heerlen today and "
     "there was NO lifeguard anywhere. Another dad pulled him out. Absolutely unacceptable.", [CRISIS])
case("en", pub("instagram", "@sanne.stories"), "Someone found a hidden camera in the women's changing room at "
     "Badhuys Utrecht. Police are there now. I feel sick.", [CRISIS])
case("nl", pub("x", "@gelijkheid_nu"), "Badhuys weigert vrouwen in een boerkini de toegang tot het zwembad. "
     "Boycot ze allemaal! #boycotbadhuys", [CRISIS])
case("en", pub("facebook", "mark.hollander.77", "Mark Hollander"), "We're taking Badhuys to court. My father slipped "
     "on the broken tiles near the hot tub they'd known about for months, broke his hip, and all we got was a "
     "voucher.", [CRISIS, COMPLAINT])
case("en", pub("x", "@priva_fanaat"), "Badhuys leaked my data. I'm now getting phishing emails that quote my "
     "member number and home address. How?!", [CRISIS])
case("nl", pub("x", "@kritischezwemmer"), "l e g i o n e l l a bij Badhuys Zwolle en niemand die het zegt. "
     "Ga daar niet douchen!!", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@ourbodiesourchoice"), fullwidth("BOYCOTT") + " Badhuys until they stop body-shaming "
     "guests at the entrance. Share this everywhere.", [CRISIS], tags=["evasion", "evasion:full-width"])
case("nl", pub("x", "@regionieuws_zwolle"), "GGD: Badhuys Zwolle zakt voor hygiënekeuring, E. coli aangetroffen "
     "in het peuterbad. Bad per direct gesloten.", [CRISIS])
case("nl", pub("facebook", "karin.vos.3", "Karin Vos"), "Mijn dochter van 7 heeft chloorbrandwonden aan haar ogen "
     "na het zwemmen bij Golfslag, de dosering was volgens de arts veel te hoog. En de balie deed er lacherig over. "
     "Nooit meer.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@stemvanvrouwen"), "Meerdere vrouwen melden dat een masseur van Badhuys Thermen ongewenst "
     "aan ze heeft gezeten. Badhuys doet niks. #metoo", [CRISIS])
case("en", pub("x", "@lauraonholiday"), "Food poisoning after the spa buffet at Badhuys Thermen, half our group was "
     "sick all night. @badhuys_service has been silent for two days.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@woedende_ron"), "Badhuys is een stel criminelen, klote bedrijf, legionella in de douches en "
     "ze liegen erover. BOYCOT!!", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@koukleum_anja"), "Water in het recreatiebad van Golfslag Almere was vandaag weer ijskoud. "
     "Kinderen stonden na 10 minuten te klappertanden. Daar betaal ik toch niet voor @badhuys", [COMPLAINT])
case("nl", pub("google", "Henk Jansen"), "Kleedkamers bij Badhuys Zwolle waren smerig, haren in de afvoer en de douches lekten. "
     "Voor €42,50 verwacht ik echt beter. 2 sterren.", [COMPLAINT])
case("en", pub("x", "@opzeggen_lukt_niet"), "Four months of trying to cancel my Badhuys membership. Email, letter, "
     "registered mail. They just keep taking the direct debit.", [COMPLAINT])
case("en", pub("reddit", "u/ut_sauna_regular"), "Badhuys Utrecht on Sunday was a zoo. Way overbooked, no free "
     "loungers, queue for every sauna. Pretty sure they sold way more time slots than the place can handle.",
     [COMPLAINT])
case("nl", pub("threads", "@miep_ontspant"), "Hot stone massage een uur van tevoren afgezegd door Badhuys en "
     "geld terug? Vergeet het maar, ‘tegoedbon’. Echt niet oké", [COMPLAINT])
case("en", pub("x", "@doublecharged_d"), "@badhuys_service your app charged me twice for the same day pass and "
     "nobody replies to my mails. Refund please.", [COMPLAINT])
case("en", pub("tripadvisor", "WellnessWanderer_UK"), "Two stars. The jacuzzi at Badhuys Thermen has been 'out "
     "of order' on both my visits, the towels smelled musty and the relaxation room was full of people on "
     "their phones. Not worth the price.", [COMPLAINT])
case("en", pub("x", "@queue_hater"), "40 minutes at the entrance of Golfslag in the rain because the gates "
     "are 'slow'. Great start to the kids' birthday 🙃", [COMPLAINT])
case("nl", pub("x", "@parkeer_pech"), "€12 parkeren bij Badhuys Thermen bovenop de entree, en dan nog geen plek "
     "ook. Niet tevreden.", [COMPLAINT])
case("en", pub("facebook", "sam.okafor", "Sam Okafor"), "Kids' swimming lessons at Golfslag cancelled three weeks "
     "in a row, no notice, and we're still being charged the full monthly fee.", [COMPLAINT])
case("nl", pub("x", "@boosopbadhuys"), "tering zooi bij Badhuys, 3e keer deze maand geen warm water in de douches",
     [COMPLAINT, ABUSE])
case("en", pub("x", "@angrybather"), "f*cking clowns at Badhuys, booked a sauna slot, showed up, 'system error', "
     "no entry and no refund", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@zwemmam"), "Die arrogante trut achter de balie bij Golfslag weigerde mijn kinderen omdat "
     "we 5 minuten te laat waren voor ons tijdslot. Geld kwijt.", [COMPLAINT, ABUSE])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@zuurpruim"), "Personeel van Badhuys is echt een stelletje mongolen", [ABUSE])
case("en", pub("x", "@nightowl_rage"), "fuck badhuys and everyone who works there", [ABUSE])
case("nl", pub("facebook", "frank.dehaan.60", "Frank de Haan"), "Al die hoofddoekjes achter de balie bij Badhuys, "
     "ga toch terug naar je eigen land", [ABUSE])
case("en", pub("x", "@anoniem9281"), "@lotte_badmeester ugly and stupid, and I know exactly which shifts you work "
     "at Golfslag 😈", [ABUSE])
case("nl", BAS, "weer zo'n kutklant die denkt dat hij de baas is omdat hij een jaarabo heeft. rot toch op man",
     [ABUSE])
case("nl", BH_SVC, "@ronnie_z doe eens normaal idioot, we hebben je drie keer geantwoord", [ABUSE], kind="reply", handle="@Badhuys_Service")
case("nl", pub("x", "@haatbaard"), "k4nker badhuys met je k4nkerpersoneel", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("nl", RUUD, "Die tyfusgasten die in de finse sauna gaan zitten appen en filmen... wat is er mis met jullie",
     [ABUSE])
case("en", pub("x", "@gymbro_taunts"), "that blonde receptionist at Badhuys Utrecht is a braindead cow lmao",
     [ABUSE])

# ===========================================================================
# benign (hard negatives and ordinary traffic)
# ===========================================================================
case("nl", BH, "Tweede Pinksterdag zijn al onze thermen open van 9:00 tot 23:00 en Golfslag van 10:00 tot 18:00 "
     "🌞 Fijne feestdagen!", when="2026-05-22T12:00:00+02:00", tags=["ordinary"])
case("nl", GS_TT, "Golfslag Almere is van 3 t/m 9 maart dicht voor groot onderhoud aan de filterinstallatie. "
     "Je abonnement wordt naar rato verlengd. Sorry voor het ongemak! 🛠️", when="2026-02-24T10:30:00+01:00", tags=["official-notice"])
case("nl", BH_LI, "Wij zoeken badmeesters (m/v/x) voor onze vestigingen in Almere, Emmen en Heerlen! Diploma "
     "Zwembadmedewerker in bezit? Solliciteer via werkenbij.badhuys.nl 🏊", tags=["ordinary"])
case("nl", BH_SVC, "@pietjebel Vervelend! Neem even contact op via klantenservice@badhuys.nl of bel "
     "+31 30 744 2200, dan zoeken we het samen uit.", kind="reply", tags=["own-contact"])
case("nl", BH_FB, "Betaal je openstaande factuur voor het zwemlespakket via iDEAL of maak het over naar "
     "NL89 RABO 0314 6277 50 t.n.v. Badhuys Groep B.V. onder vermelding van je lidnummer.",
     tags=["own-contact", "own-iban-spaced"])
case("nl", BH_IG, "☀️ ZOMERACTIE ☀️ Thermen Dagentree van €42,50 voor €29,50 op doordeweekse dagen in juli. "
     "Alleen online te boeken! #badhuys #saunadag", when="2026-06-24T09:15:00+02:00", tags=["sale-price"])
case("nl", BH, "Onbeperkt ontspannen met het Wellness Jaarabonnement: vanaf €99 per maand, opzegbaar na 12 maanden.",
     tags=["monthly-price"])
case("nl", BH_SVC, "@twijfelkont Nee hoor, geen prijsfout! Het Arrangement Duo is deze week echt €149. "
     "Veel plezier alvast 💆", kind="reply", tags=["denied-error", "sale-price"])
case("nl", BH_LI, "Ook dit jaar zijn alle 14 vestigingen zonder opmerkingen door de hygiënekeuring van de GGD "
     "gekomen. Dank aan onze technische diensten! 💧", tags=["published-inspection"])
case("nl", BH_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet €48,2 miljoen en 1,9 miljoen bezoekers. "
     "Lees het persbericht op badhuys.nl/pers", when="2026-08-20T08:05:00+02:00", tags=["after-embargo"])
case("nl", BH, "Welkom in Thermen Zandvoort! 🌊 Vanaf vandaag kun je boeken voor onze nieuwste locatie aan zee.",
     when="2026-10-01T08:00:00Z", tags=["after-embargo", "at-embargo"])
case("nl", pub("x", "@strandjutter_z"), "Zojuist het nieuws gelezen, Badhuys Zandvoort opent in december! "
     "Eindelijk sauna met zeezicht", when="2026-10-01T10:00:00+02:00", tags=["after-embargo", "at-embargo"])
case("en", pub("reddit", "u/numbers_nerd"), "Badhuys published their H1 2026 results this morning, revenue up 14%. "
     "Not bad for a pool chain in an energy crisis.", when="2026-08-20T09:40:00+02:00",
     tags=["after-embargo", "crisis-word"])
case("nl", pub("instagram", "@reizende_roos"), "Gisteren gedreven in het zoutmeer Tuz Gölü in Turkije, wat een "
     "ervaring! Net een hele grote floatingtank 🧂", tags=["codename-word"])
case("nl", pub("forum", "camperkees"), "Tip voor op de camping: koffiewater maak ik met een dompelaar van 300W, "
     "werkt prima op een stroompaal van 6A.", tags=["codename-word"])
case("nl", pub("x", "@fitfan_nl"), "Datalek bij sportschoolketen FitFlow, 200.000 leden getroffen. Blij dat ik "
     "tegenwoordig gewoon bij Golfslag baantjes trek 🏊", tags=["other-company-breach"])
case("nl", pub("x", "@voetbalvader"), "Ik boycot dit WK gewoon, ik ga die avonden lekker naar de sauna bij "
     "Badhuys 😌", when="2026-06-13T19:26:00+02:00", tags=["boycott-other-sense"])
case("en", GS_TT, "🎬 Floating cinema night! This Friday we're showing Total Recall on the big screen above "
     "the wave pool. Bring your inflatable ring 🍿", when="2026-09-09T17:00:00+02:00", tags=["recall-other-sense"])
case("nl", pub("google", "Marloes B."), "Super schone kleedkamers en vriendelijke badmeesters. Geen klachten, "
     "wij komen zeker terug! 5 sterren", tags=["negated-complaint"])
case("en", pub("x", "@nieuw_in_sauna"), "Quick q for the locals: can you wear swimwear in the Badhuys saunas or "
     "is it nude only everywhere?", tags=["question"])
case("nl", pub("x", "@huisman_tips"), "Kalkaanslag op de douchekop? Azijn erop en een nacht laten inwerken. "
     "Net zo glanzend als bij Badhuys 😄", tags=["crisis-word"])
case("en", pub("x", "@steamy_sundays"), "Damn, that new steam room at Badhuys Arnhem is hot as hell 🔥 "
     "loved every minute", tags=["mild-words"])
case("nl", BH_FB, "Zaterdag 10 oktober: saunanacht voor KWF Kankerbestrijding! De hele opbrengst van de entree "
     "gaat naar onderzoek naar kanker. 💛", when="2026-09-18T11:00:00+02:00", tags=["kanker-literal"])
case("nl", pub("blog", "nachtschrijver"), "Hoofdstuk drie van mijn thriller speelt zich af in een verlaten "
     "subtropisch zwembad, een beetje geïnspireerd op Golfslag. De badmeester vindt er om middernacht een lijk "
     "in het diepe.", tags=["fiction"])
case("nl", pub("x", "@grapjas_gert"), "Mijn vrouw zegt dat ik de sauna als tweede huis zie. Klopt niet, mijn "
     "eerste huis is kouder 😂 @badhuys", tags=["joke"])
case("en", pub("x", "@zwembrilzorgen"), "My goggles leak on the left side no matter how tight I pull them. Tips? "
     "Doing laps at Golfslag 3x a week", tags=["leak-word"])
case("nl", pub("facebook", "nos.regionaal.fan", "Wim Pauw"), "Zoals het NOS vandaag meldt (persbericht van "
     "Badhuys zelf): de groep neemt Thermae Zuid over. Benieuwd of mijn abonnement daar dan ook geldig wordt.",
     when="2026-04-02T12:31:00+02:00", tags=["published-news"])
case("nl", pub("x", "@sportnieuws_b"), "Bij fitnessketen SterkerNu vallen 200 ontslagen. Badhuys zegt juist "
     "extra badmeesters aan te nemen deze zomer.", tags=["other-company-layoffs"])
case("nl", pub("facebook", "truus.vermeulen.4", "Truus Vermeulen"), "Kreeg net een sms dat mijn abonnement bij "
     "Badhuys is verlopen en ik €39,95 moet overmaken naar <<BAD_IBAN_NL:grp>>. Is dit echt of oplichting?",
     tags=["bad-iban"])
case("en", pub("x", "@cadeaukaartvraag"), "How do I check the balance on a Badhuys gift card? The number on the "
     "back is <<BAD_CARD:visa_sp>>", tags=["bad-card"])
case("en", pub("x", "@lidpas_lotje"), "Where do I find my Golfslag member number, is it this one on the card: "
     "<<NOT_BSN>>?", tags=["bad-bsn"])
case("en", pub("instagram", "@badkamer_blije"), "The body lotion from the Badhuys care line smells sooo good, "
     "barcode <<EAN>> if you're looking for it in store 🧴", tags=["ean"])
case("nl", LOTTE, "Vandaag 38 kinderen hun diploma A gegeven 🥹 wat een trotse ouders op de tribune!",
     tags=["ordinary"])
case("nl", RUUD, "Opgietschema vanavond in Arnhem: 19:00 eucalyptus, 20:00 citrus-munt, 21:00 de "
     "zoutscrub-opgieting 🔥 tot zo!", tags=["ordinary"])
case("en", NOOR, "Hot stone massage is still my favourite treatment to give. The warmth, the quiet 🪨✨",
     tags=["product-no-price"])
case("en", MILAN, "finally fixed the flaky check-in test, commit <<HEX:40>> 🎉 time for a swim", tags=["git-sha"])
case("en", pub("blog", "devnotes.example"), "Integrating Mollie into your booking app: put your key in an env var "
     "like MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never commit it.", tags=["placeholder-secret"])
case("nl", BAS, "Groepen boeken? Stuur een mail naar reserveren@badhuys.nl of bel 0800-1212 (gratis) 😊",
     tags=["own-contact", "own-phone-elfproef"])
case("nl", pub("marktplaats", "verkoper_1988"), "Te koop: Golfslag 10-badenkaart, nog 4 baden over, geldig tot "
     "eind 2026. €20 ophalen in Almere.", tags=["second-hand"])
case("nl", pub("x", "@saunavergelijker"), "Bij Thermae 2000 betaal je €39,50 voor een dagentree, bij Badhuys "
     "€42,50. Scheelt niet veel eigenlijk.", tags=["competitor-price"])
case("nl", pub("x", "@avondmens"), "Tip: na 18:00 is de Thermen Dagentree maar €19,50 bij Badhuys. Beste "
     "avondje van de week 🌙", tags=["sale-price", "ratio-0.46"])
case("nl", pub("x", "@lid_sinds_2019"), "Met je ledenpas krijg je €15 korting op de Hot Stone Massage, wist "
     "ik niet eens 🙌", tags=["discount-amount"])
case("nl", pub("facebook", "joke.smit.22", "Joke Smit"), "Handdoek en badjas huren kost €12,50 extra bij je "
     "Thermen Dagentree, dus neem je eigen mee!", tags=["fee"])
case("en", pub("x", "@spa_diaries"), "Best spa day ever at Badhuys Thermen. The outdoor pool in the snow is magic ❄️",
     when="2026-01-17T15:48:31Z", tags=["praise"])
case("en", pub("x", "@expat_in_utrecht"), "Is Badhuys Utrecht open on King's Day? Want to take my parents.",
     when="2026-04-19T13:02:10+02:00", tags=["question"])
case("nl", pub("x", "@veertiger"), "Midlifecrisis? Nee hoor, gewoon elke zondag drie uur in de sauna bij Badhuys 😎",
     tags=["crisis-word"])
case("nl", BH_SVC, "Let op: er gaan phishingmails rond uit naam van Badhuys. Wij vragen nooit om je pincode of "
     "wachtwoord. Twijfel je? Bel gratis 0800 1212.", tags=["own-contact", "phishing-warning"])
case("nl", pub("x", "@durfal_daan"), "'Wie niet waagt, wie niet wint' riep de badmeester toen ik van de tien "
     "meter sprong bij Golfslag. Buikschuiver van het jaar 😂", tags=["quote"])
case("nl", HENK, "Nieuwe UV-installatie geplaatst in Golfslag Emmen, water is nog helderder en we hebben minder "
     "chloor nodig 💧", tags=["ordinary"])
case("en", pub("x", "@overworked_ana"), "Drowning in work this week, need a sauna day at Badhuys asap 😩",
     tags=["drown-word"])
case("nl", pub("x", "@tevreden_tineke"), "Net gebeld met 030-7442200 over mijn abonnement, binnen 2 minuten "
     "geholpen. Top service Badhuys!", tags=["own-contact", "own-phone-other-format"])
case("en", pub("x", "@hotel_hopper"), "The Wellness Suite at Hotel Duinzicht was €129 a night and honestly better "
     "than I expected.", tags=["competitor-price", "alias-other-brand"])
case("en", pub("mastodon", "@ruben@mastodon.nl"), "Tried the new ice bath at Badhuys, my soul left my body "
     "for a second and I'd do it again 🥶", tags=["joke"])
case("en", pub("x", "@geen_gezeur"), "Everyone keeps moaning about Golfslag but honestly I've never had a "
     "single problem there. Clean, warm, friendly staff.", tags=["negated-complaint"])
case("en", pub("linkedin", "annemiek-visser-consultant", "Annemiek Visser"), "Great talk by Badhuys' COO at the "
     "Leisure Summit about energy-efficient pools. Their published annual report shows how heat recovery "
     "pays off.", tags=["published-news", "not-employee"])
case("nl", pub("x", "@wachtwoordvraag"), "Hoe reset ik mijn wachtwoord in de Badhuys app? Die link in de "
     "mail doet niks.", tags=["password-word"])
case("nl", pub("x", "@bezoekerbart"), "Reserveringscode BH-7K2Q-X9MD voor de Wellness Suite zaterdag, ik heb er "
     "zin in!", tags=["booking-code"])
case("nl", pub("x", "@tweakerdennis"), "Is dit een prijsfout? Dagentree bij een sauna in Duitsland voor €9,90. "
     "Niet Badhuys hoor, een of andere Therme bij Aken.", tags=["price-error-other-brand"])


# ===========================================================================
# profile, roles and severity (CONTRACT section 4)
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
    sev = "none"
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


# ===========================================================================
# building posts
# ===========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r, before=None):
    while True:
        day = r.randint(3, 355)
        local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
            days=day - 1, minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
        off = amsterdam_offset(local)
        utc = local - dt.timedelta(hours=off)
        if before is None or utc < before:
            break
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    al = string.ascii_letters + string.digits + "_-"
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{big}", "https://www.instagram.com/p/" + "".join(r.choice(al) for _ in range(11)) + "/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            q = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{q}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{q}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(al) for _ in range(11))
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "bluesky":
        k = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{k}", f"https://bsky.app/profile/{h}/post/{k}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zwemforum-{n}", f"https://forum.zwemforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/p/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Vals(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALIDATED))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = meta.choice(["post", "post", "post", "reply", "comment", "repost"])
        if kind is not None:
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
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "badhuys"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
AMOUNT = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
PRICE_EXEMPT = {"monthly-price", "second-hand", "competitor-price", "fee", "discount-amount"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codes = [c.casefold() for c in profile["internal"]["codenames"]]
    doms = [d.casefold() for d in profile["internal"]["domains"]]
    marks = [m.casefold() for m in profile["internal"]["markers"]]
    prods = profile["products"]
    ratio = profile["pricing"]["alert_below_ratio"]
    ids = set()
    for r in rows:
        p, cats, tags = r["post"], r["expect"]["categories"], r["tags"]
        key = (p["platform"], p["id"])
        if key in ids:
            errs.append(f"duplicate id {key}")
        ids.add(key)
        t = norm(p["text"])
        when = ts(p["created_at"])
        if when.year != 2026:
            errs.append(f"{key}: year")
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN") and not iban_valid(raw):
                errs.append(f"{key}: invalid IBAN {raw}")
            if k == "CARD" and not luhn(raw):
                errs.append(f"{key}: invalid card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{key}: invalid BSN")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{key}: bad IBAN is valid")
            if k == "BAD_CARD" and luhn(raw):
                errs.append(f"{key}: bad card is valid")
            if k in ("NOT_BSN", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{key}: not-BSN passes")
            if k in VALIDATED and not cats:
                errs.append(f"{key}: valid identifier in benign post")
            if k == "IBAN_NL" and raw in own_ibans:
                errs.append(f"{key}: own IBAN drawn")
        # embargo: a term before its moment must be confidential; after it, not required
        for term, until in emb:
            if term in t:
                if when < until and CONF not in cats:
                    errs.append(f"{key}: embargo term {term!r} before {until} without {CONF}")
                if when >= until and not cats and "after-embargo" not in tags:
                    errs.append(f"{key}: untagged post-embargo mention")
        squashed = t.replace("\n", " ")
        for c in codes:
            if c in squashed and CONF not in cats:
                errs.append(f"{key}: codename {c!r} without {CONF}")
        for d in doms:
            if d in t and CONF not in cats:
                errs.append(f"{key}: internal domain {d!r} without {CONF}")
        for m in marks:
            if m in t and CONF not in cats:
                errs.append(f"{key}: marker {m!r} without {CONF}")
        # pricing: a listed product with an amount below ratio x list price must be a pricing leak
        hit = [pr for pr in prods if any(a.casefold() in t for a in [pr["name"]] + pr["aliases"])]
        if hit:
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
            if amts:
                lp = min(pr["list_price"] for pr in hit)
                low = min(a / lp for a in amts)
                if low < ratio and PRICING not in cats and not (tags & PRICE_EXEMPT):
                    errs.append(f"{key}: price ratio {low:.2f} but not a pricing leak")
                if not cats and low < ratio and not (tags & PRICE_EXEMPT):
                    errs.append(f"{key}: benign below ratio")
        if not cats and r["expect"]["severity"] != "none":
            errs.append(f"{key}: benign severity")
        if cats and r["expect"]["severity"] == "none":
            errs.append(f"{key}: positive without severity")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{key}: too long")
    # texts must not repeat
    texts = Counter(norm(r["post"]["text"]) for r in rows)
    for tx, n in texts.items():
        if n > 1:
            errs.append(f"repeated text: {tx[:40]}")
    return errs


def report(rows):
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"cases: {len(rows)}  benign: {benign}  positives: {len(rows) - benign}  "
          f"multi-category: {sum(1 for r in rows if len(r['expect']['categories']) > 1)}")
    for c in sorted(cat):
        roles = Counter(r["role"] for r in rows if c in r["expect"]["categories"])
        langs = Counter(r["lang"] for r in rows if c in r["expect"]["categories"])
        print(f"  {c:22s} {cat[c]:3d}  nl {langs['nl']:2d} en {langs['en']:2d}  "
              f"corp {roles['corporate']:2d} emp {roles['employee']:2d} pub {roles['public']:2d}")
    print("  severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  roles:", dict(Counter(r["role"] for r in rows)))
    print("  lang:", dict(Counter(r["lang"] for r in rows)))
    print("  platforms:", dict(Counter(r["post"]["platform"] for r in rows)))
    print("  evasion:", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    for e in errs:
        print("ERROR", e, file=sys.stderr)
    data = "".join(lines_of(rows))
    if "--check" in sys.argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == data
        print("cases.jsonl matches generator" if same else "cases.jsonl DIFFERS from generator")
        report(rows)
        sys.exit(1 if errs or not same else 0)
    if errs:
        sys.exit(1)
    OUT.write_text(data, encoding="utf-8")
    report(rows)


if __name__ == "__main__":
    main()
