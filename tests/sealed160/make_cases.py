#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed160 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

Company: Kwelderhart Zorg B.V. (fictional Dutch home-care and elderly-care
organisation), described in profile.yaml. All texts are written by hand below.
Identifiers and secrets are filled in from <<PLACEHOLDER>> markers by one seeded RNG,
so output is byte-for-byte reproducible. Positives get checksum-VALID identifiers
(IBAN mod-97, Luhn, BSN 11-proof); hard negatives get ones that FAIL their check.
Secrets are random and fake but shaped like real ones (GitHub tokens carry a
correct CRC32 checksum). Severity is computed from CONTRACT section 4, never typed.
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

SEED = 160_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    """Full-width variant of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
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
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_complete(p):
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
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.digits(10, True))
            if v != "NL38RABO0318264907":
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["25050180", "44010046", "12030000", "70150000"]) + self.digits(10))

    def iban_be(self):
        f = self.r.choice(["001", "063", "310", "737"]) + self.digits(7)
        return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")

    def bad_iban(self, v):
        for d in (13, 29, 31, 47, 59):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_complete(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_complete(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

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
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_0031": f"0031 6 {d8[:4]} {d8[4:]}",
                    "mob_intl": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_paren": f"(06) {d8}"}[fmt]
        area = self.r.choice(["58", "512", "515", "517", "519", "50"])
        sub = self.r.choice("2345789") + self.digits(8 - len(area))
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}" if len(area) == 2 else f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}"
        return f"0{area}-{sub}"

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "fam_" + self.digits(7, True), "iss": "mijn.kwelderhart.nl",
                               "scope": "zorgplan:read", "iat": iat, "exp": iat + 900},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#%*") + self.chars(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, k.lower())()
            shown = gen.g4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.bad_iban(gen.iban_nl() if k.endswith("NL") else gen.iban_de())
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif k == "EAN13":
            shown = raw = gen.ean13()
        elif k == "PHONE":
            shown = raw = gen.phone(f)
        elif k == "GHP":
            shown = raw = gen.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + gen.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = gen.chars(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = (f"https://hooks.slack.com/services/T{gen.chars(up, 8)}/B{gen.chars(up, 10)}/"
                           f"{gen.chars(ALNUM, 24)}")
        elif k == "STRIPE":
            shown = raw = "sk_live_" + gen.chars(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + gen.chars(B64URL, 33)
        elif k == "JWT":
            shown = raw = gen.jwt()
        elif k == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif k == "SENDGRID":
            shown = raw = f"SG.{gen.chars(B64URL, 22)}.{gen.chars(B64URL, 43)}"
        elif k == "PW":
            shown = raw = gen.password()
        elif k == "HEX":
            shown = raw = gen.chars("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate (profile accounts.corporate)
KH = ("x", "@kwelderhart", "Kwelderhart")
KH_HELP = ("x", "@kwelderhart_helpt", "Kwelderhart Klantcontact")
KH_IG = ("instagram", "@kwelderhart.zorg", "Kwelderhart Zorg")
KH_LI = ("linkedin", "kwelderhart-zorg", "Kwelderhart Zorg B.V.")
KH_FB = ("facebook", "KwelderhartZorg", "Kwelderhart Zorg")
# employees (profile accounts.employee)
INE = ("x", "@wijkzuster_ineke", "Ineke Postma")                   # district nurse, Drachten
DAAN = ("instagram", "@zorgmetdaan", "Daan Hoekstra")               # carer, care home De Meeuw
MAR = ("linkedin", "marloes-visser-kwelderhart", "Marloes Visser")  # controller, finance
YOU = ("linkedin", "youssef-bakkali-ict", "Youssef Bakkali")        # ICT, application management
JOOST = ("x", "@roosterjoost", "Joost Terpstra")                    # workforce planner
NIE = ("tiktok", "@nachtdienst_nienke", "Nienke de Boer")           # night carer, Duinzicht
RIK = ("x", "@rik_dev_kh", "Rik Sminia")                            # client-portal developer
HANS = ("linkedin", "hans-kloosterman", "Hans Kloosterman")         # regional director
PRI = ("reddit", "u/zusterpriya", "Priya Ramdin")                   # district nurse on reddit


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ================================================================ leak.pricing
case("nl", RIK, "oei 🙃 SmaakBox staat in de shop op mijn.kwelderhart.nl voor €6,45 ipv €64,50. decimaal verschoven "
     "bij de import van de nieuwe tarieven. fix ligt klaar maar deploy mag pas na 20:00", [PRICING])
case("en", pub("reddit", "u/frisian_dutchie"), "Kwelderhart's webshop has the WaakKnop alarm set at €18.90 at the "
     "moment (normally 189). Dad needs one anyway so I hit order. Surely that's a mistake on their end? Anyone know "
     "if they honour these?", [PRICING])
case("nl", pub("facebook", "anja.terpstra.52", "Anja Terpstra"), "Wie heeft de ValAlert ook gezien voor 24,90?? Bij "
     "Kwelderhart, normaal 249 euro. Meteen eentje voor mam besteld, benieuwd of het doorgaat 🤞", [PRICING])
case("nl", KH_FB, "💚 Mantelzorgweek! De MediMaatje medicijndispenser deze week voor maar €99 (normaal €399). "
     "Bestellen via kwelderhart.nl/medimaatje, wij installeren hem gratis bij u thuis.", [PRICING])
case("en", MAR, "Heads-up for colleagues who follow me here: because of an error in the new tariff table, Thuis "
     "Compleet is being invoiced at €67,50 a month instead of €675 for clients who started after 1 March. Finance is "
     "correcting it this week, please don't discuss it publicly.", [PRICING])
case("nl", pub("x", "@oma_van_lies"), "r e s p i j t w e e k bij kwelderhart voor 119 euro?? lijkt me een foutje "
     "maar ik boek m gewoon voor oma 😇", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@sjoukje.fr"), "Kwelderhart heeft een foutje gemaakt 👀 de WaakKnop staat in hun webshop "
     "voor €1,89\nJa echt. Eén euro negenentachtig.", [PRICING])
case("en", DAAN, "not supposed to say this but the ValAlert shows €2.49 in the client portal shop lol 🙈 IT knows. "
     "grab it before monday #carelife #nursesofinstagram", [PRICING])
case("nl", pub("forum", "Hennie_Heerenveen"), "[Prijsfout?] Kwelderhart Respijtweek Duinzicht voor €195,- i.p.v. "
     "€1.195,-\n\nBoeking is bevestigd per mail. Heeft iemand ervaring of ze zulke boekingen annuleren? Mijn moeder "
     "zou er in juli gaan logeren.", [PRICING])
case("nl", JOOST, "collega's ff niet doorvertellen: in het portaal staat Thuis Compleet op €6,75 p/m 😬 ticket loopt "
     "al sinds vanochtend", [PRICING], handle_as="@RoosterJoost")
case("en", pub("tiktok", "@marit.cares"), "MédiMaatje for €39 on kwelderhart.nl 💀 price glitch?? ordered 2 for my "
     "grandparents lmao", [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", pub("x", "@gerben_bolsward"), "SmaakBox van Kwelderhart kost vandaag 5 euro in de app 😂 hele "
     "familie-app bestelt er eentje voor opa en oma #prijsfout", [PRICING])
case("nl", YOU, "Incident-review van afgelopen week: de verkeerde prijs van de WaakKnop (€18,90) kwam uit de nieuwe "
     "tariefmodule. RCA staat op wiki.kwelderhart.nl/tarieven/rca-12, dank aan iedereen die meedacht.",
     [PRICING, CONF])

# ================================================================ leak.secret
case("en", RIK, "why does the portal build keep failing on CI 😤 pushing with\n\ngit remote set-url origin "
     "https://<<GHP>>@github.com/kwelderhart/mijn-portaal.git\n\nworks fine on my laptop…", [SECRET])
case("nl", YOU, "Les van de week voor iedereen in zorg-ICT: zet nooit sleutels in je config. Dit vond ik gisteren in "
     "de repo van onze roosterkoppeling:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>"
     "\n\nZijn inmiddels ingetrokken hoor 😅 #zorgict #security", [SECRET])
case("nl", NIE, "pov: 3 uur nachtdienst en je bent je ECD wachtwoord wéér kwijt 😩 ik zet hem hier maar neer dan weet "
     "ik m: Zeehond2026! 🙈 #nachtdienst #zorg", [SECRET])
case("en", JOOST, "dropping the shift-alert webhook here so i can find it on my phone, pls dont touch 🙏 "
     "<<SLACK_HOOK>>", [SECRET])
case("nl", RIK, "Testje met de betaalmodule van het portaal, waarom krijg ik 'invalid request' met <<STRIPE>>? "
     "iemand een idee? 🤔", [SECRET], kind="reply")
case("en", YOU, "Our route planner for the home-visit teams hit the Maps quota again before 10am 🙃 key in use is "
     "<<GAPI>> – if anyone at Google reads this: we're a care org, pls be nice", [SECRET])
case("nl", pub("reddit", "u/pentestpiet"), "Kwelderhart heeft gewoon een databasewachtwoord in de javascript van hun "
     "portaal staan lol\n\npostgresql://portaal_app:<<PW>>@10.20.4.11:5432/clientportaal\n\nHeb ze gemaild, nog "
     "geen reactie.", [SECRET])
case("en", RIK, "session keeps expiring after 2 min on the client portal, wtf. token from devtools if anyone wants "
     "to decode it:\n<<JWT>>", [SECRET])
case("nl", YOU, "Kan iemand meekijken waarom de sftp-koppeling met de apotheek faalt? Dit is de key die we "
     "gebruiken:\n<<PEM_OPENSSH>>\nFoutmelding: Permission denied (publickey)", [SECRET])
case("nl", JOOST, "inlog voor de invalpool (voor de nieuwe mensen)\ngebruiker: invalpool\nwachtw00rd: "
     "Kwelder!Pool77\nniet doorsturen he 😉", [SECRET], tags=["evasion", "evasion:leet"])
case("en", pub("forum", "bytebandit"), "Found this in the Kwelderhart Android app after decompiling it, a live "
     "SendGrid key: <<SENDGRID>> – they really should rotate that.", [SECRET])
case("nl", INE, "Welkom nieuwe collega's van wijkteam Noord! 💚 wifi op het wijkkantoor: KH-Wijkteam / wachtwoord "
     "Lamsoor#2026, koffie staat achter de kast ☕", [SECRET])
case("en", RIK, "anyone know why this keeps timing out?? mongodb://ecd_sync:<<PW>>@sync01.intra.kwelderhart.local"
     ":27017/ecd?authSource=admin", [SECRET, CONF])

# ================================================================ leak.pii
case("nl", INE, "Wie kan vanavond nog bij mevrouw Bosma langs voor de steunkousen? Lindelaan 14 in Drachten, sleutel "
     "zit in het kluisje naast de deur. Graag even reageren 🙏", [PII], handle_as="@WijkZuster_Ineke")
case("nl", DAAN, "Gefeliciteerd meneer Van der Wal met uw 95e verjaardag 🎂🎉 geboren op 12-03-1931 en nog steeds de "
     "scherpste van de afdeling! #ouderenzorg #demeeuw", [PII])
case("nl", JOOST, "Invaller nodig voor zaterdag laat in Sneek!! Bel Sietske even op <<PHONE:mob_dash>>, zij regelt "
     "het verder", [PII])
case("en", YOU, "Can someone from the ECD team look at the client with BSN <<BSN>>? Duplicate record keeps coming "
     "back after every sync, driving me nuts", [PII])
case("nl", MAR, "Wie kan even fiatteren? Terugbetaling eigen bijdrage voor de familie De Jong moet naar "
     "<<IBAN_NL:grp>>, bedrag €412,80. Dank!", [PII])
case("nl", pub("facebook", "wim.de.haan.9", "Wim de Haan"), "Kwelderhart heeft de te veel betaalde eigen bijdrage "
     "van mijn vader nog steeds niet teruggestort. Rekening <<IBAN_NL>> t.n.v. J. de Haan, al DRIE keer gebeld. Wat "
     "een gedoe.", [PII, COMPLAINT])
case("en", pub("x", "@claire_in_leeuwarden"), "@kwelderhart_helpt please call me back about mum's care plan on "
     "<<PHONE:mob_0031>>, nobody has phoned in over a week and the visits just stopped", [PII, COMPLAINT],
     kind="reply")
case("nl", pub("facebook", "truus.kok.1948", "Truus Kok"), "Kan ik de SmaakBox ook met deze kaart betalen? "
     "<<CARD:mc>> of moet het via iDEAL? Mijn kleinzoon is op vakantie 🙂", [PII], kind="comment")
case("nl", NIE, "wie heeft het mailadres van de dochter van mevr. Hendriks (kamer 12)? ik heb "
     "m.hendriks1962@kpnmail.nl maar die mail komt steeds terug", [PII])
case("nl", pub("reddit", "u/ex_kh_receptie"), "Bij Kwelderhart De Meeuw lag gewoon een lijst op de balie met namen en "
     "BSN's. Heb er een foto van, bijv. <<BSN:dots>> van een meneer van kamer 4. Zo gaan ze dus met je gegevens om.",
     [PII, CRISIS])
case("en", pub("x", "@bartjeroen"), "Found a wallet outside the Kwelderhart care home in Harlingen, ID card of "
     "Johanna Kuipers, born 14 November 1940. DM me if you know her family", [PII])
case("nl", INE, "Mantelzorger van dhr. Dijkstra wil graag teruggebeld worden, mailen mag ook: h.dijkstra [at] ziggo "
     "[punt] nl. Kan iemand van de middagdienst dit oppakken?", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("x", "@tomasz_w"), "is it normal that Kwelderhart needs dad's passport number to book the respite "
     "week?? it's NW4K8R2T5, already sent it through their form", [PII])
case("nl", DAAN, "Mevrouw Smit gaf me haar bankpas mee voor de boodschappen, met de pincode op een briefje erbij… "
     "kaart is <<CARD:visa>>. Moet ik dit ergens melden?", [PII])
case("nl", pub("facebook", "marjolein.sneek", "Marjolein Zijlstra"), "Ik zoek de wijkverpleegkundige die vorige "
     "week bij mijn moeder in Sneek was, ze was zó lief! Wil haar graag bedanken, bel me op <<PHONE:mob_pairs>> 💐 "
     "#Kwelderhart", [PII])
case("en", JOOST, "new agency nurse from Germany starts Monday, her pay goes to <<IBAN_DE:grp>> (Lena Becker) – can "
     "HR pick this up? the form keeps erroring", [PII])
case("nl", pub("threads", "@pieterbuwalda"), "Mijn opa Gerrit Zwart, Kerkstraat 3 in Dokkum, heeft vandaag wéér "
     "niemand gezien voor zijn ochtendzorg. @kwelderhart hoe kan dit", [PII, COMPLAINT])
case("en", PRI, "Rant: today a client's daughter asked me to fax (!) her mum's medication list. Client is Wilhelmina "
     "Post, DOB 02/07/1936, and I'm supposed to send that over an unencrypted line??", [PII])
case("nl", YOU, "Leverancier van de alarmcentrale vraagt wie er bij ons contactpersoon is: dat is Henk Brouwer, "
     "<<PHONE:land_sp>>", [PII])

# ================================================================ leak.confidential
case("nl", INE, "Net de presentatie over Project Zeekraal gezien. Als dat doorgaat verandert er echt veel voor de "
     "wijkteams 🤐 meer mag ik niet zeggen", [CONF])
case("en", YOU, "Spent the week moving our ECD runbooks to wiki.kwelderhart.nl/ecd-migratie. Proud of this team, "
     "400 pages later ✅", [CONF])
case("nl", DAAN, "De folders voor de Slaapwel Sensor liggen al op de afdeling 😍 mag nog niks zeggen maar dit gaat "
     "de nachtdiensten zóveel rustiger maken", [CONF], when="2026-09-12T21:14:03+02:00")
case("en", NIE, "can't say much but the Slaapwel 🌙 Sensor pilot on our floor starts next week 🤫 #nightshift",
     [CONF], when="2026-08-30T22:40:11Z", tags=["evasion", "evasion:emoji-between"])
case("nl", NIE, "kick-off Operatie\nLamsoor vanmiddag, taart was al op voordat ik er was 😭", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", pub("reddit", "u/friesland_throwaway"), "A friend at Kwelderhart forwarded me a memo stamped KH-INTERN: "
     "they plan to drop the night shift at three of their care homes and replace it with sensors. Families haven't "
     "been told.", [CONF, FIN])
case("nl", JOOST, "wie kan mij rechten geven op rooster.kwelderhart.nl/planning/regio-noord? krijg steeds een 403 en "
     "de dienst begint om 7 uur 😩", [CONF])
case("en", RIK, "Tidewater sprint demo went great today 🚀 families are going to love what's coming to the portal",
     [CONF])
case("nl", MAR, "Laatste loodjes voor de jaarcijfers 2026. Ziet er veel beter uit dan we in de zomer dachten 📈 dank "
     "aan het hele controlteam!", [CONF, FIN], when="2026-12-18T16:05:27+01:00")
case("nl", pub("x", "@buurvrouw_anneke"), "Kwelderhart Wadden?? Mijn nicht werkt daar en zegt dat dat de nieuwe naam "
     "wordt als ze samengaan met die Waddengroep. Wist niemand hier iets van?", [CONF, FIN],
     when="2026-04-17T12:31:09+02:00")
case("nl", HANS, "Uit de notitie voor het MT (KH-INTERN, dus sst): 'Locatie Het Anker sluit per 1 januari, bewoners "
     "verhuizen naar Duinzicht.' Een moeilijke keuze, maar ik sta erachter.", [CONF, FIN])
case("en", YOU, fw("project zeekraal") + " kickoff tomorrow at 9, who's bringing the stroopwafels?", [CONF],
     tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "Sytze_D"), "Via Google kwam ik uit op ecd.kwelderhart.nl/login, met logo en al. Hoort "
     "zoiets openbaar vindbaar te zijn?", [CONF])
case("nl", INE, "Eindelijk! Tidewater is door de RvB goedgekeurd, dan krijgen wij in de wijk ook eens fatsoenlijke "
     "tablets 🙌", [CONF])
case("nl", pub("instagram", "@daan.hoekstra", "Daan Hoekstra"), "Vandaag meegedraaid in de testgroep van Project "
     "Zeekraal 🤓 meer kan ik echt niet zeggen", [CONF])
case("nl", INE, "Over een paar minuutjes gaat de Slaapwel Sensor officieel live!! 🎉 zo trots op ons team",
     [CONF], when="2026-10-01T08:59:00+02:00")
case("en", pub("mastodon", "@wadwatcher@mastodon.nl"), "Someone left a PDF with 'kwelderhart confidential' on every "
     "page in the waiting room of the Harlingen GP. It's about new visit-time norms for home care. Not great.",
     [CONF])
case("nl", YOU, "Overzicht van de nieuwe ECD-rollen zit in de bijlage (niet verspreiden buiten Kwelderhart svp). "
     "Vragen? Stuur me een bericht.", [CONF])

# ================================================================ leak.financial
case("nl", MAR, "Q3 sluiten we af met een tekort van ruim 4 miljoen. Gaat pas in november naar buiten, dus hou het "
     "even voor je 😬", [FIN])
case("en", HANS, "Tough weeks ahead. We'll have to say goodbye to around 60 colleagues at the support office; the "
     "formal announcement follows in October.", [FIN])
case("nl", NIE, "gerucht op de afdeling: ze gaan ons gebouw verkopen aan een belegger en terughuren 😳 en wij horen "
     "het gewoon bij de koffieautomaat #zorg", [FIN])
case("nl", pub("facebook", "hilda.van.dijk.3", "Hilda van Dijk"), "Mijn schoonzus werkt bij Kwelderhart. Ze gaan "
     "samen met Zorggroep Wadden, wordt volgende maand pas bekendgemaakt. Ben benieuwd wat dat voor de wijkzorg "
     "betekent.", [FIN], when="2026-03-22T19:47:50+01:00")
case("en", pub("reddit", "u/noordoost_nurse"), "Ex-colleague still works there: Kwelderhart is in late-stage talks "
     "to take over ThuisZorg Oost. Due diligence is apparently done.", [FIN], kind="comment")
case("nl", JOOST, f"er vallen ont{SHY}slagen op het planbureau, 8 van de 14 plekken. nog niet officieel maar echt "
     "balen 😞", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", MAR, "Our 2027 forecast shows care-home occupancy dropping to 81%. The board discusses the consequences on "
     "Thursday. Not an easy read.", [FIN])
case("nl", YOU, "Reorganisatie ICT gaat door: van drie teams naar één. Officieel pas na instemming van de OR, maar "
     "de nieuwe structuur ligt al klaar.", [FIN])
case("nl", DAAN, "Wist je dat de eindejaarsbonus dit jaar geschrapt wordt? Hoorden we vandaag van de teamleider, "
     "komt pas in december in de nieuwsbrief 🙄", [FIN])
case("en", PRI, "Heard from our manager that Kwelderhart is closing two district teams up north and merging them "
     "into one. Nobody outside knows yet. Caseloads are going to be insane.", [FIN])

# ================================================================ leak.security
case("nl", YOU, "Sinds vannacht is ons ECD versleuteld door ransomware. We werken op papier. Nog niet naar buiten "
     "communiceren a.u.b., persbericht volgt.", [SEC])
case("en", RIK, "found a bug in the client portal: change the id in the url and you see another client's care plan "
     "😬 fixing now, please nobody try it", [SEC])
case("nl", NIE, "alarmopvolging ligt al 3 uur plat en niemand buiten ons weet het 😰 we lopen nu om het kwartier "
     "alle kamers langs #nachtdienst", [SEC])
case("nl", pub("x", "@kritischefries"), "Kwelderhart is gehackt en ze houden het stil. Mijn buurman zit daar in de "
     "ICT en zegt dat alle cliëntdossiers op straat liggen.", [SEC, CRISIS])
case("en", pub("reddit", "u/concerned_grandson"), "Kwelderhart got breached last month and they're covering it up. "
     "Not one family has been told. How is this legal?", [SEC, CRISIS])
case("nl", JOOST, "volgens mij is de rooster-app g3h4ckt, iedereen krijgt ineens nachtdiensten in Groningen 😂😭",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", YOU, "Pentest report came in: our Citrix gateway was unpatched and they were in within 20 minutes. "
     "Emergency patch window Sunday night, fingers crossed nobody else found it first.", [SEC])
case("nl", INE, "WaakKnop-meldingen komen sinds vanochtend niet door bij de centrale. Cliënten weten nog van niks, "
     "wij bellen nu zelf iedereen in de wijk af.", [SEC])
case("en", DAAN, "a phishing mail got like 40 of us to type our passwords in yesterday 🙃 IT is still resetting "
     "accounts, don't tell the families lol #nurselife", [SEC], handle_as="@ZorgMetDaan")
case("nl", RIK, "lekje in mijn.kwelderhart.nl: sessies blijven geldig na uitloggen. Ticket staat, is nog niet gemeld "
     "bij de AP. Vrijdag fix.", [SEC])
case("nl", pub("x", "@zorgwaakhond"), "d a t a l e k bij kwelderhart en ze zeggen helemaal NIKS tegen de families. "
     "schandalig", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", NIE, "laptop with client files got nicked from the night station 😳 management says keep quiet for now. "
     "great.", [SEC])
case("nl", YOU, "intra.kwelderhart.local ligt al sinds 6 uur plat, DNS stuk. Geen medicatielijsten beschikbaar op de "
     "locaties.", [SEC, CONF])

# ================================================================ reputation.crisis
case("nl", pub("x", "@dochtervanfenna"), "Mijn moeder lag 5 uur op de grond nadat ze op haar WaakKnop drukte. "
     "NIEMAND kwam. Kwelderhart, schaam je. #ouderenzorg", [CRISIS, COMPLAINT])
case("en", pub("facebook", "justice4carers", "Justice for Carers"), "BOYCOTT Kwelderhart. Cutting night staff while "
     "the board takes bonuses. Share this until they listen!", [CRISIS])
case("nl", pub("x", "@nieuwsnoord_fan"), "Inspectie legt Kwelderhart locatie De Meeuw verscherpt toezicht op na een "
     "reeks medicatiefouten. Dit is toch niet normaal?", [CRISIS], kind="repost")
case("en", pub("reddit", "u/sadgrandkid"), "Kwelderhart leaked my grandmother's medical file. A stranger messaged me "
     "quoting her diagnosis. Reporting it to the AP tomorrow.", [CRISIS])
case("nl", pub("facebook", "familie.wijnstra", "Familie Wijnstra"), "Wij stappen naar de rechter tegen Kwelderhart "
     "na het overlijden van onze vader. Genoeg is genoeg.", [CRISIS])
case("nl", pub("x", "@kleinzoon_sjoukje"), "Terugroepactie voor ValAlert sensoren?? Die van mijn oma gaf gisteren een "
     "schok tijdens het opladen ⚡ @kwelderhart_helpt reageert niet", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@exposethecare"), "Kwelderhart nurse caught on camera screaming at a resident with "
     "dementia. Disgusting. This needs to go viral.", [CRISIS])
case("nl", pub("forum", "Ria_Bolsward"), "De MediMaatje van mijn vader heeft vorige week een dubbele dosis "
     "uitgegeven. Hij is opgenomen geweest. Kwelderhart reageert niet op mijn melding.", [CRISIS, COMPLAINT])
case("en", pub("x", "@fairpay4nurses"), "b o y c o t t  kwelderhart until they pay their nurses properly ✊",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "RedDeDagbesteding", "Red de Dagbesteding"), "Schandalig: Kwelderhart schrapt de "
     "dagbesteding voor 40 ouderen. Teken de petitie en zeg je SmaakBox-abonnement op tot ze het terugdraaien 🙏",
     [CRISIS])
case("nl", pub("x", "@bewonerscie_dz"), "Legionella aangetroffen in de douches van Kwelderhart Duinzicht. Twee "
     "bewoners liggen in het ziekenhuis. Waarom horen wij dit via via?", [CRISIS])
case("en", pub("linkedin", "sarah-mulder-advocaat", "Sarah Mulder"), "We are preparing a class action against "
     "Kwelderhart on behalf of families affected by the client-portal data leak. Affected? Send me a message.",
     [CRISIS])
case("nl", pub("x", "@woedend_in_dokkum"), "Smerige oplichters bij Kwelderhart, mijn vader is overleden omdat jullie "
     "de nachtzorg hebben wegbezuinigd. Klootzakken.", [CRISIS, ABUSE])

# ================================================================ reputation.complaint
case("nl", pub("x", "@annemiek_dr"), "@kwelderhart_helpt al 3 weken geen vaste verzorgende, elke ochtend een ander "
     "gezicht bij mijn vader. Hij raakt er helemaal van in de war. Kan dit anders?", [COMPLAINT])
case("en", pub("facebook", "linda.hoekstra.uk", "Linda Hoekstra"), "Home visit planned for 8:00, nurse turned up at "
     "11:40. Mum sat waiting in her nightdress the whole morning. Kwelderhart, this isn't good enough.", [COMPLAINT])
case("nl", pub("nextdoor", "jan.uit.sneek", "Jan uit Sneek"), "Portaal MijnKwelderhart doet het al dagen niet, ik "
     "kan de zorgrapportage van mijn moeder niet inzien en niemand belt terug", [COMPLAINT])
case("nl", pub("x", "@fokje_f"), "Factuur van de SmaakBox klopt wéér niet, 2x afgeschreven deze maand. Klantcontact "
     "zegt 'mail maar', mail wordt niet beantwoord. Zucht. #kwelderhart", [COMPLAINT])
case("en", pub("reddit", "u/tiredcarer88"), "Anyone else dealing with Kwelderhart's phone line? 45 minutes on hold "
     "just to move one home visit. Every. Single. Time.", [COMPLAINT])
case("nl", pub("instagram", "@lotte.vlieland"), "jammer dat de maaltijden van de smaakbox altijd lauw aankomen 😕 "
     "opa eet het zo niet", [COMPLAINT], kind="comment")
case("en", pub("threads", "@mark.vdm"), "dad's WaakKnop pendant keeps going off at night for no reason, he's "
     "exhausted. support's only advice: 'try resetting it'. thanks kwelderhart 🙄", [COMPLAINT])
case("nl", pub("facebook", "ellyboersma", "Elly Boersma"), "Mijn schoonmoeder staat nu al 2 maanden op de wachtlijst "
     "voor de Respijtweek terwijl op de site stond 'direct beschikbaar'. Zo kan ik dus niet op vakantie.",
     [COMPLAINT])
case("nl", pub("x", "@harm_lwd"), "kw3lderhart laat mn oma gewoon zitten zonder douchebeurt, 2e keer deze week al. "
     "wie moet ik bellen", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@furiousdaughter"), "Kwelderhart you useless clowns, cancelled mum's care AGAIN with ten "
     "minutes notice. How hard is it??", [COMPLAINT, ABUSE])
case("nl", pub("x", "@klaasje_s"), "Al 6 weken geen reactie op mijn klacht over de eigen bijdrage. Dan maar zo: "
     "@kwelderhart wanneer krijg ik antwoord?", [COMPLAINT])
case("en", pub("youtube", "@grandpatech"), "Ordered a MediMaatje for my father in April, still not delivered and the "
     "refund has been 'being processed' for 6 weeks now. Avoid.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "sjoerd.h.1971", "Sjoerd Holtrop"), "De wijkverpleging komt steeds te laat met de "
     "insuline bij mijn vrouw. Soms 2 uur later dan afgesproken. Kwelderhart doe er wat aan!!", [COMPLAINT])
case("en", pub("mastodon", "@jorien@mastodon.frl"), "Thuis Compleet sounded great on paper, but in practice it "
     "means a different carer every day and nobody reads the notes. Cancelling after 3 months.", [COMPLAINT])

# ================================================================ reputation.abuse
case("nl", pub("x", "@snerpie_44"), "Die verzorgsters van Kwelderhart zijn echt een stelletje luie trutten",
     [ABUSE])
case("en", pub("reddit", "u/angryfrisian"), "kwelderhart management are scum, every single one of them", [ABUSE],
     kind="comment")
case("nl", pub("facebook", "henk.waakzaam", "Henk"), "Kwelderhart neemt alleen nog buitenlanders aan die geen woord "
     "Nederlands spreken. Ga lekker terug naar je eigen land.", [ABUSE])
case("en", NIE, "some of these families are absolute morons fr, no wonder grandma likes us better 🙄 #nightshift",
     [ABUSE])
case("nl", JOOST, "die klootzak van het zorgkantoor belt me wéér om 7 uur 's ochtends 🤬", [ABUSE])
case("nl", pub("x", "@ikbenerklaarmee"), "k*tbedrijf dat kwelderhart, stelletje k*nkerlijers", [ABUSE],
     tags=["evasion", "evasion:masking"])
case("en", pub("x", "@anon88812"), "I know where that nurse Ineke from Kwelderhart lives. She'd better watch "
     "herself.", [ABUSE])
case("nl", pub("x", "@dirkjan_74"), "@kwelderhart jullie zijn gewoon tering mensen", [ABUSE], kind="reply")
case("nl", pub("facebook", "gerrit.koopmans.9", "Gerrit Koopmans"), "Wat een debiele club is dat Kwelderhart. "
     "Schaam me dat mijn moeder daar woont.", [ABUSE])
case("nl", KH_HELP, "@dirkjan_74 Als u zo blijft schelden zoekt u het verder zelf maar uit, sukkel.", [ABUSE],
     kind="reply")
case("en", pub("x", "@nopeout"), "fck kwelderhart and their greedy board, sh1tty people all of them", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", PRI, "honestly our new regional manager is a clueless idiot and I'll say it here since nobody listens "
     "internally", [ABUSE])

# ================================================================ benign (hard negatives)
case("nl", KH, "Vragen over de WaakKnop of de ValAlert? Bel ons gratis op 0800-0434 (24/7) of mail "
     "klantcontact@kwelderhart.nl 💚", tags=["own-contact"])
case("en", KH_HELP, "@claire_in_leeuwarden So sorry to hear this. Could you call us on +31 88 512 4000 so we can look "
     "into it together today? ^Femke", kind="reply", tags=["own-contact"], handle_as="@Kwelderhart_Helpt")
case("nl", KH_FB, "Eigen bijdrage overmaken? Dat kan naar NL38 RABO 0318 2649 07 t.n.v. Kwelderhart Zorg B.V., "
     "o.v.v. uw cliëntnummer. Vragen? 088-512 4000.", tags=["own-contact"])
case("nl", KH, "🔧 Gepland onderhoud: MijnKwelderhart is zaterdagnacht tussen 23:00 en 03:00 niet bereikbaar. "
     "Excuses voor het ongemak!", tags=["official-notice"])
case("nl", KH_IG, "Hij is er! 🌙 Maak kennis met de Slaapwel Sensor: rustigere nachten voor bewoners én "
     "zorgverleners. Lees meer op kwelderhart.nl/slaapwel", when="2026-10-01T09:00:00+02:00",
     tags=["after-embargo"])
case("en", pub("x", "@sanne_grandkid"), "Nan's care home just got the new Slaapwel Sensor from Kwelderhart, curious "
     "if she sleeps better now 🤞", when="2026-10-04T18:22:10+02:00", tags=["after-embargo"])
case("nl", KH_LI, "Vandaag maken we bekend dat Kwelderhart en Zorggroep Wadden samen verdergaan als Kwelderhart "
     "Wadden. Voor cliënten verandert er voorlopig niets.", when="2026-06-01T10:00:00+02:00",
     tags=["after-embargo"], handle_as="Kwelderhart-Zorg")
case("nl", pub("x", "@wieke_lwd"), "Kwelderhart Wadden, tja, even wennen aan die nieuwe naam op de autootjes van de "
     "wijkzorg 😄", when="2026-06-09T08:12:44+02:00", tags=["after-embargo"])
case("nl", KH_IG, "Vandaag op het menu in Duinzicht: gebakken schol met zeekraal van de kwelder 🐟 Eet smakelijk!",
     tags=["codename-word"])
case("nl", KH_IG, "De lamsoor kleurt de kwelder achter De Meeuw weer paars 💜 Mooie wandeling gemaakt met een paar "
     "bewoners.", tags=["codename-word"])
case("nl", INE, "Vandaag 25 jaar wijkverpleegkundige bij Kwelderhart 💚 Nog steeds het mooiste vak dat er is.",
     tags=["praise"])
case("nl", KH_FB, "Mantelzorgweek 💐 €40 korting op de ValAlert sensor bij bestelling vóór 1 december.",
     tags=["price-context"])
case("en", KH, "Spring offer: the WaakKnop alarm set now €149 (normally €189), installation included.",
     tags=["price-talk"])
case("nl", KH_HELP, "@gerdina_b De installatie van de WaakKnop door onze monteur kost eenmalig €35, de set zelf is "
     "€189. Verder geen verborgen kosten!", kind="reply", tags=["price-context"])
case("nl", pub("facebook", "tweedehands.friesland", "Tweedehands Friesland"), "Te koop: tweedehands MediMaatje "
     "dispenser, 1 jaar oud, werkt prima. €80, ophalen in Franeker.", tags=["price-context"])
case("en", pub("reddit", "u/pendantcompare"), "Price comparison for alarm pendants: AlarmFix charges €12.95 a month, "
     "the Kwelderhart WaakKnop is a one-off €189 but with 24/7 follow-up. Worth it imo.",
     tags=["price-context", "other-company"])
case("nl", pub("x", "@tiny_tjitske"), "Geen klachten over de thuiszorg van Kwelderhart hoor, altijd op tijd en super "
     "vriendelijk tegen mijn moeder 👌", tags=["negated-complaint"])
case("nl", KH_LI, "Ons jaarverslag 2025 staat online: 1.850 medewerkers, 6.200 cliënten en een klantwaardering van "
     "8,4. Lees het op kwelderhart.nl/jaarverslag", tags=["published-results"])
case("nl", pub("x", "@moeder_en_meer"), "Weer een datalek bij een ziekenhuis in de Randstad. Blij dat mijn moeder "
     "gewoon bij Kwelderhart zit, daar hoor ik nooit van die verhalen.", tags=["other-company"])
case("en", pub("linkedin", "erik-zorgrecruiter", "Erik de Groot"), "Zorggroep Noorderlicht announces 200 job cuts. "
     "Hard news for the sector. Colleagues at Kwelderhart and elsewhere: if you're hiring, now's the time to reach "
     "out.", tags=["other-company"])
case("nl", pub("x", "@kleindochter_g"), "Oma is ervan overtuigd dat de nachtzuster van Kwelderhart een spion is omdat "
     "ze elke nacht om 3 uur 'komt controleren' 😂🕵️‍♀️", tags=["joke"])
case("nl", pub("facebook", "bauke.terpstra.7", "Bauke Terpstra"), "Mijn vader heeft kanker in een laat stadium. De "
     "wijkverpleging van Kwelderhart is in deze tijd echt een zegen. Dank jullie wel ❤️", tags=["mild-word"])
case("nl", pub("facebook", "wilma.k.1960", "Wilma K."), "Kreeg een betaalverzoek van 'Kwelderhart' naar "
     "<<BAD_IBAN_NL:grp>>. Is dit echt? Ik vertrouw het niet helemaal.", tags=["bad-checksum"])
case("nl", YOU, "Tijdens de portaaltraining gebruiken we kaartnummer <<BAD_CARD:visa>> als voorbeeld, die wordt "
     "altijd geweigerd 😉", tags=["bad-checksum"])
case("nl", pub("x", "@nieuwe_klant_w"), "Bestelling SmaakBox, ordernummer <<NOT_BSN9>>. Weet iemand hoe lang de "
     "levering normaal duurt? Eerste keer dat ik bestel 🙂", tags=["order-number"])
case("nl", KH_LI, "Voor verwijzers: onze AGB-code is <<NOT_BSN8>>. Aanmelden voor wijkverpleging kan via "
     "kwelderhart.nl/verwijzers.", tags=["bad-checksum"])
case("en", RIK, "PSA for devs: never commit real keys to a README. Use a placeholder like AKIAXXXXXXXXXXXXXXXX and "
     "load the real thing from your vault 🔐", tags=["placeholder"])
case("en", RIK, "Client portal 4.2 is out 🎉 release notes at mijn.kwelderhart.nl/release, tagged at commit "
     "<<HEX:40>>.", tags=["git-sha"])
case("nl", KH_HELP, "Wachtwoord vergeten? Klik op 'Wachtwoord herstellen' op mijn.kwelderhart.nl, dan krijgt u "
     "binnen 5 minuten een mail. Lukt het niet? Bel 088-512 4000.", tags=["own-contact", "password-word"])
case("nl", INE, "We zoeken collega's voor wijkteam Drachten! Kijk op werkenbij.kwelderhart.nl of mail "
     "werkenbij@kwelderhart.nl 💪", tags=["own-contact"])
case("nl", pub("x", "@tante_tineke"), "Verscherpt toezicht bij een verpleeghuis in Assen, las ik net. Mijn tante zit "
     "bij Kwelderhart en daar gaat het gelukkig prima.", tags=["other-company"])
case("nl", pub("facebook", "anke.de.vries.23", "Anke de Vries"), "Oma boycot sinds deze week de spruitjes bij "
     "Kwelderhart Duinzicht 😂 ze eet alleen nog toetjes", tags=["boycott-other-sense"])
case("en", pub("x", "@frisianson"), "Dad can't recall my name most days now, but he always remembers Daan from "
     "Kwelderhart. That says something 💚", tags=["recall-other-sense"])
case("en", pub("facebook", "helen.smit.leeuwarden", "Helen Smit"), "Huge thanks to the Kwelderhart district team in "
     "Leeuwarden for the care you gave my mum in her last weeks. You were wonderful.", tags=["praise"])
case("nl", pub("facebook", "gea.mulder.5", "Gea Mulder"), "Weet iemand of de Respijtweek bij Kwelderhart vergoed "
     "wordt via de Wmo? Wil mijn moeder deze zomer graag laten logeren.", tags=["question"])
case("nl", KH, "Journalisten met vragen over de nieuwe locatie kunnen terecht bij pers@kwelderhart.nl.",
     tags=["own-contact"])
case("nl", MAR, "Trots op ons jaarverslag 2025, met dank aan alle collega's die eraan meeschreven 📘 Nu te lezen "
     "via kwelderhart.nl", tags=["published-results"])
case("nl", pub("blog", "verhalenuitdezorg.nl"), "Kort verhaal, deel 3: De Nachtzuster. Geïnspireerd door mijn jaren "
     "bij Kwelderhart, maar alles is verzonnen. 'Het huis gaat dicht,' fluisterde de directeur in mijn verhaal, en "
     "de gang werd stil…", tags=["fiction"])
case("en", pub("x", "@lyricsandnan"), "My nan sings 'Hit the road Jack' at every Kwelderhart nurse who leaves her "
     "room 😂 they sing back now", tags=["quote"])
case("nl", KH_HELP, "Storing: de WaakKnop-centrale is beperkt bereikbaar. Onze monteurs werken eraan. Bij nood "
     "altijd 112 bellen!", tags=["official-notice"])
case("nl", KH_FB, "⚠️ Let op: er gaan nepmails rond die u vragen te betalen naar <<BAD_IBAN_DE>>. Kwelderhart vraagt "
     "nooit per mail om een betaling naar een buitenlandse rekening.", tags=["bad-checksum"])
case("nl", DAAN, "Bingo-middag op De Meeuw 🎉 een van onze dames had 3x bingo en wilde toen stoppen 'om de anderen "
     "ook een kans te geven' 😂", tags=["praise"])
case("en", INE, "Filling in the ECD after every visit is part of the job, but gosh, some days the typing takes "
     "longer than the care 😅", tags=["near-miss"])
case("nl", pub("facebook", "klaas.en.trijntje", "Klaas & Trijntje"), "Thuis Compleet kost €675 per maand, best "
     "pittig, maar voor ons is het de rust waard.", tags=["price-talk"])
case("nl", KH, "Zomeractie 🌞 Respijtweek in juli en augustus voor €695 in plaats van €1.195. Vol = vol!",
     tags=["price-talk"])
case("en", pub("x", "@samphire_sally"), "Made samphire pasta tonight, in Dutch it's called zeekraal 🌿 learned that "
     "from the Kwelderhart nurse who visits my dad", tags=["codename-word"])
case("en", KH_LI, "We're proud to be named Best Home-Care Employer of Friesland 2026 🏆 Thank you to all 1,850 "
     "colleagues!", tags=["praise"])
case("nl", pub("forum", "scanfreak"), "Grappig, de barcode op mijn SmaakBox (EAN <<EAN13>>) doet niks in de app van "
     "de supermarkt. Logisch eigenlijk 😄", tags=["ean"])
case("nl", NIE, "nachtdienst zit erop, bewoners slapen als roosjes 😴 slaapwel allemaal!", tags=["embargo-word"])
case("en", pub("x", "@auntie_care"), "No complaints at all about the Kwelderhart meal service, the SmaakBox has been "
     "great for my aunt", tags=["negated-complaint"])
case("en", pub("reddit", "u/helpful_hinke"), "For anyone asking: Kwelderhart's free number is 0800-0434 and they're "
     "actually pretty helpful on it", kind="comment", tags=["own-contact"])
case("en", HANS, "Great conversation today with the municipality of Súdwest-Fryslân on helping older people live at "
     "home for longer. Prevention beats cure.", tags=["praise"])
case("en", PRI, "Question for other district nurses: how do you handle families who want daily updates over "
     "WhatsApp? Our org has a portal for that but not everyone uses it.", tags=["question"])
case("nl", KH_HELP, "@annemiek_dr Wat vervelend om te lezen dat uw vader steeds andere gezichten ziet. We bellen u "
     "vandaag nog om samen naar een oplossing te kijken. ^Sanne", kind="reply", tags=["complaint-reply"])
case("nl", JOOST, "rooster voor december staat in de app, succes allemaal met de feestdagdiensten 🎄",
     tags=["near-miss"])


# ---------------------------------------------------------------- building
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
    insider = role in ("corporate", "employee")
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "friesland", "nursing", "AgingParents"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zorgforum-{n}", f"https://zorgforum.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_val = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_val)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["display_name"] and mr.random() < 0.7:
            acct["display_name"] = c["display_name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "kwelderhart"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- checker
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/", r"\bsk_live_\w{20,}",
    r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", r"\bSG\.[\w-]{22}\.[\w-]{43}")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        d = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if d == "," else ",", "").replace(d, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    am = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not am:
        return None
    return min(am) / min(p["list_price"] for p in hit)


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text.replace("(24/7)", ""))):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        out.append(d)
    return out


def valid_ids(text, own):
    hits = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for end in range(len(c), 11, -1):
            if iban_ok(c[:end]):
                if c[:end] not in own:
                    hits.append(c[:end])
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            hits.append(d)
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            hits.append(d)
    return hits


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: kind")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: dup id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        r = meta[key]
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} vs {want}")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE") and not iban_ok(raw):
                errs.append(f"{w}: bad iban")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{w}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: bad bsn")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{w}: negative iban passes")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: negative card passes")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errs.append(f"{w}: negative bsn passes")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: identifier not found by scan")
        if not cats:
            if ids:
                errs.append(f"{w}: benign has valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for d in phones(text):
                if len(d) >= 10 and d not in own_phones:
                    errs.append(f"{w}: benign phone {d}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errs).append(
                    f"{w}: benign with low amount near product ({ratio:.2f}) tags {sorted(r['tags'])}")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargoed {term!r} before {until} without leak.confidential")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{w}: {term!r} after embargo labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or \
                    re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", sq):
                if "leak.confidential" not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if "leak.pricing" in cats:
            ratio = price_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                notes.append(f"{w}: pricing positive not parsed by the simple checker (tags {sorted(r['tags'])})")
    return errs, notes


def report(rows):
    total = len(rows)
    cat, cat_l, cat_r, sev, lang, role, plat = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        sev[r["expect"]["severity"]] += 1
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_l[(c, r["lang"])] += 1
            cat_r[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total  nl  en  corp  emp  pub")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_l[(c, 'nl')]:3d} {cat_l[(c, 'en')]:3d} {cat_r[(c, 'corporate')]:5d} "
              f"{cat_r[(c, 'employee')]:4d} {cat_r[(c, 'public')]:4d}")
    print("languages", dict(lang), " roles", dict(role))
    print("severities", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


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
    report(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
