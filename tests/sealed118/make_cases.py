#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed118 blind set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Noordster Container Terminals B.V. (fictional), a container-terminal operator
on the Maasvlakte, port of Rotterdam, part of the listed Noordster Havengroep N.V.

Every post text is hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
near-misses get identifiers that FAIL their check. All secrets are random and fake.

Severity is never typed by hand: it is computed from the contract's section 4 using
the account role (profile.yaml, platform:handle, case-insensitive), the categories and
whether a checksum-valid identifier (IBAN, card, BSN) is in a leak.pii post.
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
from pathlib import Path

SEED = 11802026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o, looks like Latin o


def fw(s):
    """Full-width rendering of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


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
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
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


def iso6346(owner_cat, serial):
    """Container number with its ISO 6346 check digit (owner code + category + 6 digits)."""
    vals = {}
    v = 10
    for ch in string.ascii_uppercase:
        if v % 11 == 0:
            v += 1
        vals[ch] = v
        v += 1
    code = owner_cat + serial
    tot = sum((vals[c] if c.isalpha() else int(c)) * 2 ** i for i, c in enumerate(code))
    return code + str(tot % 11 % 10)


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL43INGB0007385214"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["20050550", "21050170", "30050110", "50070010"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["001", "068", "143", "737"]) + self.dig(7)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "NWBK", "LOYD"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
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

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and numbers that are not
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

    # phones
    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_sp": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_0031": f"0031 6{d8}",
                "mob_intl0": f"+31 (0)6 {d8}",
            }[f]
        area = self.r.choice(["10", "111", "180", "181", "187", "164", "78"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "haulier_" + self.dig(5, True), "iss": "slots.noordster.nl", "scope": "booking:write",
                    "iat": iat, "exp": iat + 3600})
        return f"{head}.{body}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.ch(B64, 55) + "\noAoGCCqGSM49AwEHoUQDQgAE" + self.ch(B64, 40) + "\n" + self.ch(B64, 48) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = g.iban(kind[5:])
            shown = grp4(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = g.bad_iban(kind[9:])
            shown = grp4(raw) if f == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = grp4(raw) if f == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if kind == "CARD" else g.bad_card(brand)
            shown = g.card_fmt(raw, cf or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif kind == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif kind == "PHONE":
            shown = raw = g.phone(f)
        elif kind == "CONTAINER":
            raw = iso6346(f.upper() if f else "NSTU", g.dig(6))
            shown = f"{raw[:4]} {raw[4:10]} {raw[10]}"
        elif kind == "GHP":
            shown = raw = g.ghp()
        elif kind == "AWS_ID":
            shown = raw = "AKIA" + g.ch(B32, 16)
        elif kind == "AWS_SECRET":
            shown = raw = g.ch(B64, 40)
        elif kind == "SLACK_BOT":
            shown = raw = f"xoxb-{g.dig(11, True)}-{g.dig(13, True)}-{g.ch(ALNUM, 24)}"
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.ch(up, 8)}/B{g.ch(up, 10)}/{g.ch(ALNUM, 24)}"
        elif kind == "STRIPE":
            shown = raw = "sk_live_51" + g.ch(ALNUM, 97)
        elif kind == "GAPI":
            shown = raw = "AIzaSy" + g.ch(B64URL, 33)
        elif kind == "JWT":
            shown = raw = g.jwt()
        elif kind == "PEM_OPENSSH":
            shown = raw = g.pem_openssh()
        elif kind == "PEM_EC":
            shown = raw = g.pem_ec()
        elif kind == "AZURE_KEY":
            shown = raw = g.ch(B64, 86) + "=="
        elif kind == "PW":
            shown = raw = g.pw()
        elif kind == "HEX":
            shown = raw = g.ch("0123456789abcdef", int(f))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
C_X = ("x", "@noordster_ct", "Noordster Container Terminals")
C_OPS = ("x", "@noordster_ops", "Noordster Operations")
C_LI = ("linkedin", "noordster-container-terminals", "Noordster Container Terminals B.V.")
C_IG = ("instagram", "@noordster.rotterdam", "Noordster Rotterdam")
C_FB = ("facebook", "NoordsterTerminals", "Noordster Terminals")
# employees
RV = ("x", "@ruud_kraan010", "Ruud Visser")                      # crane operator
AM = ("linkedin", "anouk-meijer-noordster", "Anouk Meijer")      # commercial manager
YD = ("x", "@ydemir_nct", "Yusuf Demir")                          # software developer
MG = ("linkedin", "marco-de-graaf-nct", "Marco de Graaf")         # financial controller
LP = ("x", "@lisa_vplanner", "Lisa Pronk")                        # vessel planner
DB = ("tiktok", "@havenbink_dave", "Dave Brouwer")                # lasher
SK = ("reddit", "u/straddle_sjoerd", "Sjoerd Kok")                # straddle-carrier driver
NH = ("linkedin", "nadia-haddou", "Nadia Haddou")                 # HR business partner
BT = ("bluesky", "@basvantuijl.bsky.social", "Bas van Tuijl")     # IT operations / security


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


EV = "evasion"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", AM, "Colleagues, heads-up: the tariff table that went live in the customer portal at 07:00 shows "
     "THC 40ft at €28.90 instead of €289. IT is rolling it back. Please do NOT confirm bookings at that rate "
     "to any shipping line, even if they push.", [PRICING])
case("nl", pub("x", "@transport_vdmeer", "Van der Meer Transport"), "lol slots.noordster.nl rekent Express Gate "
     "voor €7,50 vandaag 😂 alle ritten van vanmiddag meteen geboekt #tarieffout #maasvlakte", [PRICING])
case("nl", LP, "wie heeft de reefertarieven geüpload?? reefer plug-in staat op €4,20 per dag in het portaal 🙃\n"
     "niet doorvertellen aan de rederijen aub, wordt morgen gefixt", [PRICING], kind="reply")
case("en", pub("linkedin", "erik-lindqvist-fwd", "Erik Lindqvist"), "Anyone else managed to book the RailShuttle "
     "Venlo at €34 per TEU on Noordster's portal this morning? Looks like someone dropped a zero. Our "
     "confirmation came through, 18 boxes 🙈", [PRICING])
case("en", pub("reddit", "u/boxrate_hunter"), "Noordster DwellPlus 7 is showing 16 eur instead of 160 on the "
     "booking screen. Pricing error for sure, grab it before their ops people wake up", [PRICING], kind="comment")
case("nl", C_FB, "🎉 Lanceringsactie! Een heel jaar SlotPass Pro voor maar €195,- 🚛💨 Alleen deze week via "
     "slots.noordster.nl #Noordster #Maasvlakte", [PRICING])
case("nl", SK, "gate kiosk rekent THC 20ft af voor €20,90 ipv 209 haha\n\nt a r i e f f o u t, zeg niks "
     "tegen de planners, laat ze maar zoeken", [PRICING], tags=[EV, "evasion:spaced"])
case("en", pub("x", "@haulage_hank"), f"pricing{ZW}error at Noordster rn: Express{ZW}Gate for €5 a visit 👀 "
     "booked the whole fleet for next week", [PRICING], tags=[EV, "evasion:zero-width"])
case("nl", pub("facebook", "gert.jan.schouten", "Gert-Jan Schouten"), "Rëefer plug-in bij Noordster voor €3 "
     "per dag?!? Verkeerd tarief denk ik maar ik ga het gewoon proberen, wie niet waagt...",
     [PRICING], tags=[EV, "evasion:diacritics"])
case("en", YD, "hotfix for the rate engine is blocked by the change board, so THC40 stays at €2.89 until tomorrow "
     "🙈 details in jira.noordster-groep.nl/browse/TAR-212", [PRICING, CONF])
case("nl", pub("threads", "@jasmijn.logistiek"), "Mijn baas heeft net 40 RailShuttle-boekingen gedaan voor 30 "
     "euro per container bij Noordster. Volgens mij klopt daar iets niet haha 😅", [PRICING])
case("en", pub("youtube", "@dutchtruckvlogs"), "got SlotPass Pro for €19.50 during the Noordster portal glitch "
     "last night, invoice says PAID 🤣 let's see if they cancel", [PRICING], kind="comment")
case("nl", MG, "Interne waarschuwing: door een fout in de tariefkoppeling kun je DwellPlus 7 sinds 06:00 boeken "
     "voor €16,00. Finance draait de facturen terug, graag niet extern delen en geen klanten informeren.",
     [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YD, "deploy keeps failing, anyone?? `git clone https://<<GHP>>@github.com/noordster-ct/gate-ocr.git` "
     "works on my laptop but not on the runner 😤", [SECRET])
case("nl", BT, "Reminder waarom secret scanning aan moet. Dit stond vanochtend in de berth-planning repo:\n\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nIs al ingetrokken hoor, maar toch. "
     "#devsecops", [SECRET])
case("nl", LP, "onze kraan-alert bot in slack zegt al de hele nacht niks meer 😩 token is <<SLACK_BOT>> "
     "werkt die nog? @ydemir_nct", [SECRET])
case("en", pub("reddit", "u/pastebin_patrol"), "Found this in a public paste, looks like the backend of "
     "Noordster's truck appointment system:\n\npostgres://slotsvc:<<PW>>@db-slots.tos.noordster.local:5432/"
     "appointments\n\nSomeone should tell them.", [SECRET, CONF])
case("nl", SK, "wachtwoord van de straddle-tablets is nog steeds Maasvlakte2026! lol. staat gewoon op een "
     "sticker in de kantine, dus geheim is anders", [SECRET])
case("nl", RV, "voor de nieuwe jongens: wifi in de kraancabine is NCT-CRANE, ww: <<PW>> 👍 niet aan de "
     "sjorders geven anders is de bandbreedte weg", [SECRET])
case("en", YD, "why is the gate kiosk payment returning 'invalid request'?? prod config has <<STRIPE>> and "
     "test mode is off, I checked twice", [SECRET])
case("nl", C_OPS, "@transport_hoek De koppeling voor uw TMS is weer actief. Gebruik api_key=<<HEX:32>> in de "
     "header. Excuses voor het ongemak!", [SECRET], kind="reply")
case("en", YD, "for whoever picks up BUG-88 tomorrow, portal session to reproduce: Bearer <<JWT>> "
     "(expires in an hour, relax)", [SECRET])
case("en", BT, "ssh into the reefer gateway keeps failing with this key, what am I missing?\n\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", pub("forum", "apk_pluizer"), "De Noordster Slot-app heeft gewoon een Google key in de APK staan: "
     "<<GAPI>>\nNetjes hoor 🙄 iemand die er meer van weet?", [SECRET])
case("en", YD, "test alert from the gate OCR to <<SLACK_HOOK>> finally works 🎉🎉", [SECRET])
case("en", BT, "anyone know why the camera archive upload fails? using\nDefaultEndpointsProtocol=https;"
     "AccountName=nctcamarchive;AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net\nworks in storage "
     "explorer tho", [SECRET])
case("nl", DB, "p@ss van de lashing-app is letterlijk Sj0rren123 😭 ik kan er niet meer van #havenleven",
     [SECRET], tags=[EV, "evasion:leet-word"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LP, "Chauffeur van de blauwe Scania staat al 2 uur bij gate 4 en neemt niet op. Als iemand hem ziet: "
     "<<PHONE:mob_dash>>, Piotr heet ie", [PII])
case("nl", C_X, "@vdlinde_transport We hebben de restitutie van €375 overgemaakt naar <<IBAN_NL:grp>> t.n.v. "
     "R. van der Linde. Kan 1-2 werkdagen duren 🙏", [PII], kind="reply")
case("nl", NH, "Welkom aan de nieuwe collega's van de lashingploeg! 👷‍♂️ Voor de administratie nog even: "
     "Kevin Bos, BSN <<BSN>>, contract per 1 maart", [PII])
case("nl", pub("facebook", "rinus.transport", "Rinus Hoogendoorn"), "Noordster heeft 2x de Express Gate "
     "afgeschreven en reageert niet. Terugstorten op <<IBAN_NL>> graag, ben het wachten spuugzat",
     [PII, COMPLAINT])
case("en", pub("x", "@mike_haulage_uk"), "@noordster_ct your gate kiosk charged my card twice, it's "
     "<<CARD:visa_sp>> exp 09/28, sort it out please, 3 emails no answer", [PII, COMPLAINT])
case("nl", RV, "Afscheid van Henk vrijdag na 41 jaar aan de kade! 🎈 Kado brengen kan ook naar huis: Henk Zwart, "
     "Dorpsstraat 114, 3241 CE Middelharnis", [PII])
case("en", AM, "Shoutout to Mira Okafor at Baltic Reefer Lines for the smoothest onboarding ever. If you need "
     "her directly: mira.okafor1987@gmail.com 🙌", [PII])
case("en", LP, "crew change tonight berth 6, agent still needs to confirm passport NX8J4L2R7 for the 2nd officer "
     "(Daniel Santos, born 14-03-1991) asap pls", [PII])
case("nl", pub("reddit", "u/boze_expediteur"), "Die planner van Noordster, Jeroen Smit, woont op de Zeemanlaan 8 in "
     "Hellevoetsluis. Misschien moeten we daar eens met z'n allen gezellig langskomen 😈",
     [PII, ABUSE])
case("nl", pub("x", "@kees_op_de_weg"), "privémail van die nieuwe gatemanager van Noordster: "
     "p.dekker88 [at] gmail [punt] com. Veel plezier ermee 😈", [PII], tags=[EV, "evasion:obfuscated-email"])
case("en", MG, "Payment run note for AP: the freelance crane instructor (Jan Becker) asked to be paid to "
     "<<IBAN_DE>> from now on, please update the vendor master", [PII])
case("nl", pub("instagram", "@chauffeur_ilse"), "Zoek nog een collega-chauffeur die ook vaak bij Noordster laadt "
     "om te carpoolen vanuit Spijkenisse 🚗 app me even: <<PHONE:mob_intl_sp>>", [PII])
case("nl", DB, "loonstrookje van m'n maat ligt gewoon op de kantinetafel 😂 BSN <<BSN:dots>> staat er in koeienletters op",
     [PII])
case("en", pub("x", "@claes_logistics"), "Noordster STILL hasn't refunded the demurrage they admitted was their own "
     "mistake. Account <<IBAN_BE>>, Dirk Claes BV. Six weeks!!", [PII, COMPLAINT])
case("en", YD, "test order on the kiosk failed again with the card of the guy from finance lol "
     "<<CARD:mc_dash>> — can someone give me a proper test card", [PII])
case("en", AM, "For urgent reefer issues tonight, call our night supervisor Erik de Wit on his own mobile "
     "<<PHONE:mob_0031>>, the desk line is down", [PII])
case("nl", NH, "De weduwe van onze oud-collega Gerrit wil graag teruggebeld worden over zijn pensioen: "
     "mevr. A. Vermeulen, <<PHONE:land_sp>>. Wie pakt het op?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", AM, "Spannende tijden 🚀 Met Project Zeehond vervangen we de komende twee jaar de complete "
     "remote-control kraanvloot. Meer mag ik er nog niet over zeggen 😉", [CONF])
case("en", YD, "anyone know the new login flow for wiki.noordster-groep.nl/ops/handboek? SSO keeps looping me "
     "back to the start", [CONF])
case("nl", LP, "Nieuwe kadeverdeling binnen, staat NOORDSTER VERTROUWELIJK op maar eerlijk: berth 3 gaat naar die "
     "nieuwe Aziatische rederij en berth 5 gaat dicht tot juli 🤷‍♀️", [CONF])
case("nl", RV, "Operatie\nSpringtij begint volgende maand, dan komen er 4 nieuwe kranen op de kade. Kijk uit naar "
     "die cabines jongens 😍", [CONF], tags=[EV, "evasion:line-break"])
case("en", pub("reddit", "u/portnerd_010"), "Sat next to a Noordster guy at a conference dinner. His laptop had a "
     "deck open marked 'Noordster internal only' about a Meridian-7 rollout, fully automated lashing platforms by "
     "2028.", [CONF])
case("en", AM, "Can't wait for tomorrow morning 🚢 Zuidkade-2 is going to change the Maasvlakte for good. "
     "Proud of this team!", [CONF], when="2026-09-14T21:12:40Z")
case("nl", C_X, "Vanaf vandaag officieel: NCT Zuidkade gaat in aanbouw, goed voor 1,2 miljoen TEU extra capaciteit ⚓ "
     "#Noordster", [CONF], when="2026-09-15T09:59:00+02:00")
case("nl", MG, "Drukke week, de halfjaarcijfers 2026 worden strak: volume +9% en EBITDA ruim boven de consensus 📈",
     [CONF, FIN], when="2026-07-20T18:41:09+02:00")
case("en", SK, f"H1 2026 re{ZW}sults will be ugly, trust me. Half the yard was empty in May and June",
     [CONF, FIN], when="2026-07-02T22:15:00Z", tags=[EV, "evasion:zero-width"])
case("nl", pub("x", "@zwager_van_kees"), "Hoor van m'n zwager die bij Noordster werkt dat Project 🦭 Zeehond "
     "eigenlijk betekent: 60 banen minder op de kranen. Fijne baas hoor", [CONF, FIN],
     tags=[EV, "evasion:emoji-inside"])
case("nl", DB, "POV: je ziet op intra.noordster.local dat ze het hele ploegenrooster gaan omgooien 😳 #havenleven",
     [CONF])
case("en", YD, "ssh gate-ocr-02.tos.noordster.local is timing out for me, is it just me or is the jumphost "
     "playing up again", [CONF])
case("en", AM, "Under NDA so I can't name them, but a top-3 carrier moves its Far East loop to our quay from Q1. "
     "Roughly 400k extra TEU a year. Huge for the commercial team 🙌", [CONF, FIN])
case("nl", C_IG, "Sneak peek 👀📸 van de nieuwe Meridian-7 bedieningsruimte. Wie herkent de kade?", [CONF])
case("nl", pub("forum", "trucker_harrie"), "Iemand heeft de inloglink vpn.noordster.nl/remote op het "
     "truckersforum gezet, geen idee of dat de bedoeling is 😂", [CONF])
case("nl", pub("instagram", "@ruud_kraan010"), "Zondag testdag voor Operatie Springtij 🏗️ eerste kraan al "
     "op afstand bestuurd vanaf kantoor", [CONF])
case("en", AM, "Sneak preview from the board offsite: FY2026 results will show the first loss in a decade. "
     "Brace yourselves 😬", [CONF, FIN])
case("nl", LP, "Document met 'niet voor externe verspreiding' erop ligt gewoon bij de printer: nieuwe "
     "tariefstructuur voor de alliantie vanaf 2027. Opruimen mensen!", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", MG, "Reviewing the Q3 forecast this weekend. Throughput is 14% below budget, we'll have to revise "
     "the full-year guidance before the trading update 😬", [FIN])
case("nl", NH, "Zware week. Bezig met de plannen voor het afvloeien van zo'n 120 collega's bij lashing zodra de "
     "automatisering doorgaat. De OR weet nog van niks.", [FIN])
case("en", AM, "Between us: the group is in final talks to buy a majority stake in a terminal in Gdańsk. "
     "Signing planned for October 🤫", [FIN])
case("nl", pub("x", "@beursbengel"), "Via via gehoord: Noordster Havengroep wordt overgenomen door een "
     "Zwitserse rederij, deal wordt maandag bekend. Nu instappen 📈🚀", [FIN])
case("nl", RV, f"Kantine gonst: de reor{SHY}ganisatie van de kade-afdeling is rond, 80 man eruit zodra de remote "
     "kranen draaien", [FIN], tags=[EV, "evasion:soft-hyphen"])
case("en", SK, "ops meeting today: management expects us to lose the big alliance contract at year end, that's "
     "like 30% of our volume. not public yet obv", [FIN])
case("en", pub("telegram", "@portstocks_chat"), "$NSTR insiders say first-half volumes collapsed and the numbers "
     "will miss big. Dump before the release.", [FIN], hint="")
case("en", LP, "planners got told today the Antwerp joint venture is off. Board pulls out next week, no "
     "announcement until after the AGM", [FIN])
case("nl", DB, "Nieuw CAO-bod is een lachertje en nu horen we ook nog dat er volgend jaar 3 ploegen worden "
     "opgeheven 😤 #havenleven", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BT, "Sinds 04:00 ligt het terminal operating system plat door ransomware, alle gates dicht. Extern "
     "noemen we het 'technische storing'. Niet delen aub.", [SEC])
case("en", YD, "Found that the slot portal shows any haulier's bookings if you change the id in the URL. "
     "Reported it internally 3 weeks ago, still open 🤦", [SEC])
case("nl", LP, "Iemand heeft gisteren op een phishingmail geklikt en daarna heeft een buitenstaander in de "
     "planning-mailbox gezeten. IT wil niks naar buiten brengen tot maandag", [SEC])
case("nl", RV, "kraansturing weer geh@ckt?? 3 kranen vielen vannacht tegelijk uit en niemand mag er iets over "
     "zeggen 🤐", [SEC], tags=[EV, "evasion:leet"])
case("en", SK, "gate OCR cameras have been down since Tuesday because of that malware thing, we're typing "
     "container numbers by hand. Management says keep it quiet", [SEC])
case("nl", pub("x", "@havenwatcher"), "Noordster doet alsof het een 'storing' is maar hun systemen zijn gehackt, "
     "mijn vriend werkt daar. Ze verzwijgen een datalek!", [SEC, CRISIS])
case("en", pub("reddit", "u/trucker_rights_nl"), "Noordster is covering up a breach. Driver data from their slot "
     "portal is being sold on a forum and they still haven't said a word.", [SEC, CRISIS])
case("en", BT, "our VPN appliance still runs the build with last month's critical CVE, patch window got pushed "
     "again. and yes, it's internet facing", [SEC])
case("nl", DB, "alle scanners bij de poort d o w n sinds vanochtend, g e h a c k t zeggen ze binnen, "
     "officieel heet het 'onderhoud' 🙃", [SEC], tags=[EV, "evasion:spaced"])
case("en", MG, "Finance got hit by invoice fraud last week: €480k paid to a fake account after a spoofed mail "
     "from a 'shipping line'. Auditors haven't been told yet.", [SEC])
case("en", YD, "incident bridge open: the appointment DB on db01.tos.noordster.local was reachable from the "
     "internet all weekend. don't tweet about it (I know, I know)", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@rijnmond_ramptijd"), "Container van drie hoog op een vrachtwagen gevallen bij Noordster, "
     "chauffeur met de ambulance weg. Al de tweede keer dit jaar!! #veiligheid #maasvlakte", [CRISIS])
case("en", pub("x", "@dockers_united"), "Shipping lines: boycott Noordster until they stop union busting. "
     "Share this everywhere. #BoycottNoordster", [CRISIS])
case("nl", pub("facebook", "vervoerders.zuidholland", "Vervoerders Zuid-Holland"), "De vereniging stapt naar de "
     "rechter tegen Noordster vanwege de structurele wachttijden en de boetes. Eindelijk!", [CRISIS])
case("en", pub("linkedin", "portsecurity-weekly", "Port Security Weekly"), "Reports say cocaine was found in 14 "
     "reefers handled at Noordster this month and two of its employees were arrested. Serious questions about "
     "the terminal's security culture.", [CRISIS])
case("nl", pub("reddit", "u/groen_havenbekken"), "Noordster loost al maanden olieresten in het havenbekken "
     "volgens metingen van Rijkswaterstaat en niemand doet er iets aan. Schandaal.", [CRISIS])
case("en", pub("instagram", "@pharmaship_ops"), "Our reefer left Noordster with the plug cut. 22 tonnes of "
     "vaccines spoiled and the terminal refuses any responsibility. Our lawyers are on it now.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@sandra_fwd"), "Just got a phishing mail quoting my exact slot booking AND licence plate. "
     "Noordster leaked our data, no doubt about it. #datalek", [CRISIS])
case("nl", pub("threads", "@havenmoeder"), f"N{CYR_O}{CYR_O}rdster laat sjorders zonder valbeveiliging op de "
     "platforms werken. Wachten op de eerste dode, echt waar 😡", [CRISIS], tags=[EV, "evasion:homoglyph"])
case("en", pub("youtube", "@cranespotter"), "that crane collapse at Noordster is insane, how was nobody killed?? "
     "the inspectorate should shut them down", [CRISIS], kind="comment")
case("nl", pub("mastodon", "@havenkritisch@mastodon.nl"), "B O Y C O T  Noordster! Ze halen stakingsbrekers "
     "uit het buitenland binnen terwijl de bond onderhandelt", [CRISIS], tags=[EV, "evasion:spaced"])
case("en", pub("bluesky", "@havenjournalist.bsky.social"), "Noordster fined €600k by the labour inspectorate "
     "after the lasher death in March. And they still run 12-hour night shifts.", [CRISIS])
case("en", pub("x", "@wouter_dock"), "Noordster management are murderers. Another worker dead and those greedy "
     "bastards are hosting a champagne press event tonight", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@trucker_bram"), "3,5 uur in de rij voor gate 2 bij @noordster_ct terwijl ik een slot had "
     "om 14:00. Elke week hetzelfde liedje 😤 #Maasvlakte", [COMPLAINT])
case("en", pub("linkedin", "sophie-vandenbroek-fwd", "Sophie Vandenbroek"), "Third time this month Noordster's "
     "portal marks our containers as released while customs hold is still on. Drivers get turned away at the "
     "gate and we pay the waiting hours. Not acceptable.", [COMPLAINT])
case("nl", pub("facebook", "h.demir.transport", "Hakan Demir"), "De slot-app van Noordster crasht elke keer als "
     "ik wil omboeken. Support belt nooit terug. Wat een service zeg.", [COMPLAINT])
case("en", pub("reddit", "u/forwarder_fran"), "Noordster billed us 9 days of storage for a box they couldn't "
     "find in their own yard for 6 of those days. Dispute open since March, zero reply.", [COMPLAINT])
case("nl", pub("x", "@kapotte_kees"), "kzit hier al sinds 6 uur vanochtend bij de gate van @noordster_ct, wc's "
     "kapot, automaat leeg. toppie 👍👍 #truckerleven", [COMPLAINT])
case("en", pub("instagram", "@reefer_rob"), "Container came back from Noordster with a massive dent and they "
     "claim it arrived like that. We have depot photos proving otherwise. Claims team won't even look.",
     [COMPLAINT])
case("nl", pub("forum", "wagenpark_wim"), "Express Gate van Noordster kost €75 en je staat alsnog een uur te "
     "wachten. Geld terug vragen? Vergeet het maar.", [COMPLAINT])
case("en", pub("x", "@coldchain_carla"), "Not impressed @noordster_ct: reefer alarms ignored all night, cargo "
     "temp hit 9°C. Who do we even talk to?", [COMPLAINT])
case("nl", pub("tiktok", "@lege_bak_lotte"), fw("slechtste terminal van Rotterdam") + " 🙄 4 uur wachten op "
     "één lege bak bij Noordster", [COMPLAINT], tags=[EV, "evasion:full-width"])
case("en", pub("threads", "@nightshift_niels"), "booked 6 slots for tomorrow and Noordster cancelled all of "
     "them at 11pm, no reason given. how are we supposed to plan??", [COMPLAINT])
case("nl", pub("facebook", "transportbedrijf.klop", "Transportbedrijf Klop"), "Facturen van Noordster kloppen al "
     "drie maanden niet, steeds THC gerekend op lege containers. Telefoon wordt niet opgenomen.", [COMPLAINT])
case("nl", pub("linkedin", "marloes-ten-brink", "Marloes ten Brink"), "Hoe kan het dat de klantenservice van "
     "Noordster Container Terminals alleen per mail bereikbaar is en pas na 5 werkdagen antwoordt? Doe beter.",
     [COMPLAINT])
case("nl", pub("reddit", "u/zuinige_zeeuw"), "Die prutsers bij Noordster zijn m'n container wéér kwijt. "
     "Kutbedrijf.", [COMPLAINT, ABUSE])
case("en", pub("x", "@plate_problems"), "n0ordster's gate rejected my driver 4 times for a 'plate mismatch', the "
     "plate is fine. 2 hours lost. fix your stuff", [COMPLAINT], tags=[EV, "evasion:leet-brand"])
case("en", pub("youtube", "@barge_or_bust"), "Rail shuttle from Noordster to Venlo arrived two days late again, "
     "third week in a row. We're moving to barge.", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@havenhater"), "De planners van Noordster zijn echt de grootste sukkels van de haven. "
     "Stelletje idioten.", [ABUSE])
case("en", pub("x", "@angry_andy_hgv"), "@noordster_ct you absolute clowns, get f*cked", [ABUSE], kind="reply",
     tags=[EV, "evasion:masking"])
case("nl", pub("reddit", "u/oude_havenrot"), "Bij Noordster nemen ze alleen nog buitenlanders aan die geen woord "
     "Nederlands spreken, stelletje profiteurs en zakkenwassers", [ABUSE])
case("nl", pub("instagram", "@bas_bakwagen"), "@lisa_vplanner jij bent toch die trut van Noordster? Kijk maar "
     "goed uit als je vanavond naar je auto loopt.", [ABUSE])
case("nl", RV, "die Oost-Europese chauffeurs kunnen echt geen van allen achteruit insteken, stelletje achterlijke "
     "idioten", [ABUSE])
case("en", C_OPS, "@truckerjoe88 maybe learn to read the slot confirmation, genius. Not our problem you're a "
     "moron.", [ABUSE], kind="reply")
case("nl", DB, "al die klagende truckers in de facebookgroep: huil maar lekker, mongolen 😂", [ABUSE])
case("nl", pub("x", "@k4pot_k4rel"), "k@nkerzooi bij Noordster, stelletje t*ringlijers", [ABUSE],
     tags=[EV, "evasion:masking"])
case("en", pub("mastodon", "@quaywatch@mastodon.social"), "Whoever runs Noordster's socials is a spineless idiot "
     "who deletes every critical comment. Pathetic.", [ABUSE])
case("nl", pub("youtube", "@havenman1962"), "Noordster = tering bende, die directeur is een leugenachtige "
     "klootzak", [ABUSE], kind="comment")
case("en", pub("x", "@fleet_fury"), "@noordster_ops f u c k you and your whole circus", [ABUSE],
     tags=[EV, "evasion:spaced"])

# ===========================================================================
# benign
# ===========================================================================
case("nl", C_X, "Vragen over je boeking? Mail planning@noordster.nl of bel +31 10 799 4400 (24/7). Pers kan "
     "terecht bij pers@noordster.nl.", tags=["own-contact"])
case("nl", C_FB, "Betaal je facturen handmatig? Gebruik altijd rekening <<OWN_IBAN:grp>> t.n.v. Noordster "
     "Container Terminals B.V. en vermeld het factuurnummer.", tags=["own-contact"])
case("en", C_OPS, "Gate questions outside office hours? Our free line 0800-0466 is staffed all night. 🌙",
     tags=["own-contact"])
case("en", pub("x", "@dispatch_dani"), "pro tip: Noordster's planning desk is actually quick if you mail "
     "planning@noordster.nl instead of calling", tags=["own-contact"])
case("nl", C_LI, "We zoeken 12 straddle carrier-chauffeurs! 🚜 Solliciteer via www.noordster.nl/werken of stuur "
     "een mail naar info@noordster.nl", tags=["own-contact"])
case("nl", pub("x", "@wim_op_de_weg"), "Planning van Noordster gewoon even bellen op 010 799 4400, die zijn "
     "dag en nacht bereikbaar en echt behulpzaam", tags=["own-contact"])
case("nl", pub("facebook", "chauffeursgroep.rijnmond", "Chauffeursgroep Rijnmond"), "Voor de nieuwe mensen in de "
     "groep: vragen over slots bij Noordster? info [at] noordster [punt] nl, ze antwoorden meestal binnen een dag",
     tags=["own-contact"])
case("en", pub("linkedin", "ir-watcher", "Investor Relations Watch"), "Noordster Havengroep IR contact for "
     "analysts: ir@noordster-groep.nl. Capital markets day details on www.noordster-groep.nl",
     tags=["own-contact"])

case("nl", pub("forum", "boekhouder_bep"), "Klopt het rekeningnummer <<BAD_IBAN_NL:grp>> op de Noordster-factuur? "
     "Mijn bank keurt 'm af, waarschijnlijk heb ik zelf een cijfer verkeerd overgetypt.", tags=["bad-checksum"])
case("en", pub("linkedin", "jolien-de-smet", "Jolien De Smet"), "Our first box on the new rail link, "
     "<<CONTAINER:nstu>>, was on the train within 4 hours. Thanks Noordster for the smooth handling!",
     tags=["container-number"])
case("en", C_OPS, "Vessel update: feeder Nordic Tern (IMO 9839131) expected at berth 4 at 14:30, "
     "gate-in for export boxes closes at 10:00.", tags=["imo-number"])
case("en", pub("reddit", "u/tms_integrator"), "Testing our TMS against Noordster's payment sandbox, test card "
     "<<BAD_CARD:visa_sp>> comes back as 'invalid number'. Which test card do you all use?", tags=["bad-checksum"])
case("nl", pub("reddit", "u/nieuwe_planner"), "Waar vul je in de Noordster-app het boekingsnummer "
     "(<<NOT_BSN9>>) in, bij referentie of bij pincode?", tags=["bad-checksum", "order-number"])
case("en", pub("x", "@customs_carol"), "Customs tip for new forwarders at Noordster: put your EORI (ours is "
     "NL<<NOT_BSN9>>) on the pre-notification or the box stays blocked.", tags=["eori"])
case("en", C_OPS, "Reminder: export boxes need a valid MRN (format like 26NLE3Q8K2M7PX41T5) in the pre-arrival "
     "notice before gate-in.", tags=["mrn"])
case("nl", C_OPS, "Vergeet niet het zegelnummer (bijv. <<NOT_BSN8>>) in de app te zetten bij het afmelden van "
     "een volle container 📦", tags=["bad-checksum", "seal-number"])
case("nl", C_LI, "Noordster Container Terminals B.V. | Europaweg 900, Maasvlakte Rotterdam | KvK <<NOT_BSN8>>",
     tags=["bad-checksum", "kvk"])
case("en", pub("linkedin", "kai-hoffmann-spedition", "Kai Hoffmann"), "Note to our team: the IBAN on our "
     "Noordster customer form, <<BAD_IBAN_DE>>, had a typo on our side. Corrected version sent by mail.",
     tags=["bad-checksum"])
case("en", YD, "PSA for integration partners: the config template uses AKIAXXXXXXXXXXXXXXXX and ghp_... as "
     "placeholders. Put your own in the vault, never in the repo 🙏", tags=["placeholder-secret"])
case("en", YD, "gate-ocr v2.3 is live, commit 9f3c2e1a7b4d0c85e6f1a2b3c4d5e6f7a8b9c0d1, all checks green ✅",
     tags=["git-sha"])
case("nl", BT, "Wachtwoordmanager > post-it. Reminder voor iedereen: een wachtwoord op je monitor plakken is "
     "geen beleid 😉 #securityawareness", tags=["password-word"])

case("nl", C_LI, "Nieuw voor vervoerders: SlotPass Pro met 20% korting als je vóór 1 mei instapt, dus €1.560 "
     "in plaats van €1.950. Info op slots.noordster.nl", tags=["sale-price"])
case("en", pub("forum", "intermodal_ingrid"), "RailShuttle Venlo is €340 per TEU at Noordster vs €310 at the "
     "other terminal, but the Noordster one actually runs on time, so worth it imo", tags=["price-talk"])
case("nl", C_X, "Per 1 januari gaat de THC 40ft naar €299 en de THC 20ft naar €215 (jaarlijkse indexatie). "
     "Alle tarieven op noordster.nl/tarieven", tags=["price-talk"])
case("nl", pub("x", "@koelvracht_kim"), "€42 per dag voor een reeferaansluiting is gewoon standaard in "
     "Rotterdam, niks geks aan", tags=["price-talk"])
case("nl", C_OPS, "@haulerpiet Nee hoor, geen tarieffout: de DwellPlus 7 actie is deze maand echt €120. Geldt "
     "tot en met de 31e.", kind="reply", tags=["price-talk", "denied-error"])
case("nl", pub("facebook", "vrachtwagen.vera", "Vera Mulder"), "€50 korting op SlotPass Pro als je via de "
     "brancheclub boekt, scheelt toch weer", tags=["discount-amount"])
case("nl", pub("x", "@tarievenvergelijker"), "Bij Delta Stevedoring kost een reeferaansluiting €19 per dag, "
     "bij Noordster €42. Even vergelijken loont dus.", tags=["price-context", "other-company"])

case("nl", C_LI, "Onze halfjaarcijfers 2026 zijn gepubliceerd: containeroverslag +6%, EBITDA-marge 31%. "
     "Lees het persbericht op noordster-groep.nl", when="2026-07-29T05:00:00Z", tags=["after-embargo"])
case("en", C_X, "H1 2026 results are out 📊 Throughput up 6%, shore power on two more berths. Full release on "
     "noordster-groep.nl", when="2026-07-29T07:00:00+02:00", tags=["after-embargo"])
case("nl", pub("linkedin", "havennieuws-rijnmond", "Havennieuws Rijnmond"), "Noordster bevestigt bouw van "
     "Zuidkade-2: 1,2 miljoen TEU extra capaciteit op de Maasvlakte vanaf 2029.",
     when="2026-10-02T11:20:00+02:00", tags=["after-embargo"])
case("en", AM, "Proud day! Zuidkade-2 is officially announced, thanks to everyone who made this happen 💙",
     when="2026-09-15T10:00:00+02:00", tags=["after-embargo"])

case("nl", pub("instagram", "@fotograaf_ferry"), "Zeehond gespot bij de pier op de Maasvlakte vanochtend 🦭 "
     "wat een plaatje met die kranen op de achtergrond", tags=["codename-word"])
case("nl", pub("x", "@weerman_rdam"), "Springtij vanavond: kades in de Waalhaven staan bijna blank. Oppassen met "
     "parkeren langs het water!", tags=["codename-word"])
case("en", pub("x", "@shipspotter_ruben"), "The Meridian hotel roof is still the best spot to watch the big ones "
     "berth at Noordster. Bring a long lens 📷", tags=["codename-word"])

case("en", pub("x", "@ot_security_nerd"), "Massive respect to the team at Delta Stevedoring for recovering "
     "from their ransomware attack within two days. Textbook incident response.", tags=["other-company"])
case("nl", pub("linkedin", "arjen-havenanalist", "Arjen Vos"), "Concurrent Waalhaven Boxport kondigt 200 "
     "ontslagen aan. Zorgwekkend voor de hele haven, ook voor Noordster en de anderen.", tags=["other-company"])
case("en", pub("x", "@portfinance_nl"), "Noordster Havengroep's 2025 annual report (published in February): "
     "revenue +4%, dividend unchanged. Solid, nothing spectacular.", tags=["published-results"])
case("en", pub("linkedin", "portfolio-petra", "Petra Smits"), "Added some Noordster Havengroep shares after "
     "the published first-half numbers. Long-term port play for me.", when="2026-08-03T19:05:00+02:00",
     tags=["published-results"])

case("nl", pub("x", "@papa_op_de_feeder"), "Mijn dochter boycot al weken broccoli. Dan vaar ik liever 12 uur op "
     "een feeder naar Noordster dan dat gevecht weer aan te gaan 😂", tags=["boycott-other-sense", "joke"])
case("en", pub("x", "@agent_amira"), "Can't recall the last time a vessel berthed at Noordster this smoothly. "
     "Great job ops 👏", tags=["recall-other-sense", "praise"])
case("nl", pub("x", "@jan_rijdt"), "Geen klachten over Noordster deze week: 12 ritten en nergens langer dan 20 "
     "minuten gewacht 👌", tags=["negated-complaint"])
case("en", pub("x", "@lowbed_lars"), "Not a single issue at the Noordster gate today. Whoever fixed the OCR: "
     "thank you!", tags=["negated-complaint", "praise"])
case("nl", pub("blog", "havenverhalen.blog.example", "Havenverhalen"), "Hoofdstuk 3 van mijn haventhriller staat "
     "online: 'De kraanmachinist zag de container vallen, maar zei niets.' Het speelt op een verzonnen terminal "
     "op de Maasvlakte, en nee, het is níet Noordster 😉", tags=["fiction"])
case("en", pub("instagram", "@family_day_out"), "'Damn, that's a big ship' — my 6-year-old at the Noordster "
     "open day, and honestly same 🚢", tags=["quote", "mild-word"])
case("nl", NH, "Trots op de collega's die zondag voor KWF de Ride for the Roses fietsten tegen kanker 🚴 Samen "
     "€8.400 opgehaald!", tags=["mild-word", "kanker-literal"])
case("nl", C_OPS, "Gepland onderhoud: het slotportaal is zondag tussen 02:00 en 04:00 niet beschikbaar. De gates "
     "blijven gewoon open.", tags=["official-notice"])
case("en", C_OPS, "Update 09:40: gate 2 is open again after this morning's technical disruption. Thanks for your "
     "patience 🙏", tags=["official-notice"])
case("nl", pub("facebook", "chauffeur.hans", "Hans Blom"), "Top geregeld bij Noordster vandaag, binnen 15 minuten "
     "weer buiten. Complimenten aan de gate-ploeg!", tags=["praise"])
case("en", pub("reddit", "u/lng_trucker"), "Does Noordster accept LNG trucks at the Express Gate or only diesel? "
     "First visit next week", tags=["question"])
case("nl", RV, "Zonsopkomst vanuit de kraancabine, 50 meter hoog. Beste werkplek van Rotterdam 🌅 #havenleven",
     tags=["employee-benign"])
case("nl", DB, "dag 1 als sjorder: 22.000 stappen en spierpijn in spieren waarvan ik niet wist dat ik ze had 💪😂",
     tags=["employee-benign"])
case("nl", LP, "Record vandaag: 6.800 moves op één schip. Trots op de hele ploeg 💙", tags=["employee-benign"])
case("en", AM, "Great panel on port decarbonisation at TOC Europe today. Shore power at the Maasvlakte is coming "
     "faster than people think ⚡", tags=["employee-benign"])
case("nl", C_IG, "Open dag op 14 juni! 🏗️ Kom kijken hoe onze kranen werken. Aanmelden via noordster.nl/opendag",
     tags=["corporate-benign"])
case("en", pub("youtube", "@portcast"), "Noordster's CISO gave a great talk on how they segmented their OT "
     "network after the NotPetya lessons. Worth watching.", kind="comment", tags=["security-talk"])
case("en", SK, "AMA: I drive a straddle carrier at a Maasvlakte terminal. Ask me anything about night shifts, "
     "the view, the food", tags=["employee-benign"])
case("en", pub("x", "@Noordster_CT", "Noordster Container Terminals"), "Welcome to the Maasvlakte, MV Nordic "
     "Tern! 🚢 First call at our quay, many more to come.", tags=["corporate-benign", "handle-case"])
case("en", pub("bluesky", "@maritime_mia.bsky.social"), "Reading the Noordster sustainability report. Nice to see "
     "lashing injuries down for the third year in a row.", tags=["published-news"])
case("en", pub("x", "@rate_rick"), "Heard rumours of a pricing error at Noordster yesterday but checked the "
     "portal: THC 40ft still €289. False alarm, nothing to see here.", tags=["price-talk", "denied-error"])


# ===========================================================================
# severity, roles, building
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
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
    s = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    e = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if s <= t < e else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
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
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["Rotterdam", "Truckers", "thenetherlands", "logistics"])
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-transportpraat-{n}", f"https://forum.transportpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    orr = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
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
            post["brand"] = "noordster"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"hooks\.slack\.com/services/T\w+/B\w+/\w+", r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", r"api_key=[0-9a-f]{32}", r"AccountKey=[A-Za-z0-9+/]{40,}")]
PROFANITY = ["kut", "kanker", "tering", "klootzak", "trut", "mongol", "idiot", "sukkel", "fuck", "f*ck", "shit",
             "moron", "clown", "bastard", "damn", "zakkenwasser", "prutser"]
MILD_OK = {"damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def valid_ids(text):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v != OWN_IBAN]
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTS_RE.finditer(text)]
    hits += [("bsn", d) for d in shapes if len(d) == 9 and elfproef(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    prods = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not prods or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in prods)


def shingles(t, n=3):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    pi = profile["public_identifiers"]
    own_emails = {e.casefold() for e in pi["emails"]}
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in pi["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
            continue
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: unknown platform {p['platform']!r} (treated as other)")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: created_at")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} but policy says {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{w}: {kind} invalid")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card invalid")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{w}: bsn invalid")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errors.append(f"{w}: bad iban passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errors.append(f"{w}: bad card passes")
            if kind.startswith("NOT_BSN") and elfproef(raw):
                errors.append(f"{w}: not-bsn passes")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if r and any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: generated identifier not found by independent scan")
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 9 and not any(d.startswith(o) for o in own_phones):
                    errors.append(f"{w}: benign has phone {raw} ({d})")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{w}: benign has secret-like {m.group(0)[:24]}")
            low = norm(text)
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    ok = word in MILD_OK and tags & {"mild-word", "quote"}
                    (notes if ok else errors).append(f"{w}: benign has word {word!r}")
            rt = min_ratio(text, profile["products"])
            if rt is not None and rt < profile["pricing"]["alert_below_ratio"]:
                (notes if tags & {"price-context", "discount-amount"} else errors).append(f"{w}: benign price ratio {rt:.2f}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} unlabeled")
                if ts >= until and cats:
                    notes.append(f"{w}: embargo term after embargo in a positive")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if PRICING in cats:
            rt = min_ratio(text, profile["products"])
            if rt is None or rt >= 0.5:
                notes.append(f"{w}: pricing leak without parsed low price (ratio {rt})")
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errors.append(f"lines {sh[i][0]} and {sh[j][0]}: near-duplicate wording")
    return errors, notes, parsed


def stdnum_check(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            ok = None
            if kind.startswith("IBAN_"):
                ok = si.is_valid(raw)
            elif kind.startswith("BAD_IBAN"):
                ok = not si.is_valid(raw)
            elif kind == "CARD":
                ok = sl.is_valid(raw)
            elif kind == "BAD_CARD":
                ok = not sl.is_valid(raw)
            elif kind == "BSN":
                ok = sb.is_valid(raw)
            elif kind == "NOT_BSN9":
                ok = not sb.is_valid(raw)
            elif kind == "NOT_BSN8":
                ok = not sb.is_valid("0" + raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    cat, lang, role, sev, plat, catlang, catrole = (Counter() for _ in range(7))
    benign = multi = ev = 0
    for n, p, cats, s, rl, r in parsed:
        lg = r["lang"]
        lang[lg] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if cats and EV in r["tags"]:
            ev += 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            catlang[(c, lg)] += 1
            catrole[(c, rl)] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {ev}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:5d} {catlang[(c, 'nl')]:4d} {catlang[(c, 'en')]:4d} "
              f"{catrole[(c, 'corporate')]:5d} {catrole[(c, 'employee')]:5d} {catrole[(c, 'public')]:5d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(stdnum_check(rows))
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
