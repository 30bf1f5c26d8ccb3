#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed55 blind set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: Kwiek Mobility B.V. (fictional), a Dutch car-sharing and scooter-sharing app.
The profile is profile.yaml next to this file.

Post texts are hand-written below (CASES). Checksummed identifiers and secrets are
filled in from <<KIND:fmt>> placeholders by a seeded RNG: positives get identifiers that
PASS their checksum (IBAN mod-97, Luhn, BSN 11-proof), hard negatives get look-alikes that
FAIL it. Secrets are random and fake but shaped like the real ones.

Severity is never typed by hand: severity_for() computes it from the CONTRACT section 4
policy, the account role (profile lookup by platform:handle, case-insensitive), the
categories and whether a checksum-valid identifier is in the post.
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

SEED = 55_2026_0901
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

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "p": "\u0440"}


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


def cyr(s, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values for placeholders
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEXD = "0123456789abcdef"
OWN_IBAN = "NL58RABO0312887740"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                           + self.dig(10, lead=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["10010010", "50070010", "12030000", "43060967"]) + self.dig(10))

    def iban_be(self):
        head = self.r.choice(["001", "063", "310", "539", "750"]) + self.dig(7)
        return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.dig(14))

    def broken_iban(self, good):
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError(good)

    # cards
    def card(self, brand):
        body = {"visa": lambda: "4" + self.dig(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_ok(body + d):
                return body + d
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def card_fmt(v, how):
        if how == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if how == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9, lead=True)
            if bsn_ok(s):
                return s

    def no_bsn(self, n):
        while True:
            s = self.dig(n, lead=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {"mob_dash": f"06-{d8}",
                    "mob_plain": f"06{d8}",
                    "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_intl_c": f"+316{d8}",
                    "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}"}[fmt]
        area = self.r.choice(["10", "15", "23", "30", "35", "40", "50", "70", "71", "72", "75", "88"])
        sub = self.r.choice("2345678") + self.dig(6)
        return {"land_dash": f"0{area}-{sub}",
                "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 60)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 10)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def sendgrid(self):
        return f"SG.{self.pick(B64URL, 22)}.{self.pick(B64URL, 43)}"

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def jwt(self):
        head = b64u(b'{"alg":"RS256","typ":"JWT","kid":"rides-2026"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "usr_" + self.dig(7, True), "iss": "https://api.kwiek.nl", "scope": "rides:write",
                "iat": iat, "exp": iat + 1800}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.r.choice("!#$-_*") + self.pick(string.digits, 3) + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick(HEXD, n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = gen.broken_iban(gen.iban_nl() if kind.endswith("NL") else gen.iban_de())
            shown = gen.g4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, how = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.broken_card(brand)
            shown = gen.card_fmt(raw, how or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN":
            raw = gen.no_bsn(int(fmt or 9))
            shown = raw
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        elif kind == "PW":
            shown = raw = gen.password()
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "STRIPE": gen.stripe,
                  "GAPI": gen.gapi, "SLACK_HOOK": gen.slack_hook, "SENDGRID": gen.sendgrid, "GLPAT": gen.glpat,
                  "JWT": gen.jwt, "PEM_EC": gen.pem_ec}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
K_NL = ("x", "@kwiek_nl", "Kwiek")
K_HELP = ("x", "@kwiek_help", "Kwiek Helpdesk")
K_IG = ("instagram", "@kwiekmobility", "Kwiek")
K_LI = ("linkedin", "kwiek-mobility", "Kwiek Mobility B.V.")
K_FB = ("facebook", "KwiekNL", "Kwiek")
K_TT = ("tiktok", "@kwiek.nl", "Kwiek")
# employees
MV = ("x", "@mvanleeuwen_ops", "Merel van Leeuwen")          # fleet operations Amsterdam
DM = ("linkedin", "daan-mulder-kwiek", "Daan Mulder")         # platform engineer
YK = ("x", "@yusufkaya_dev", "Yusuf Kaya")                    # app developer
IB = ("linkedin", "ingrid-bos-finance", "Ingrid Bos")         # finance controller
JH = ("instagram", "@joris_werkplaats", "Joris Hendriks")     # damage assessor, workshop
NE = ("x", "@noor_support", "Noor El Idrissi")                # support team lead
BM = ("threads", "@bram.monteur", "Bram Smits")               # scooter mechanic


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


# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", YK, "ok who merged the tariff PR 😅 app 5.3.0 shows Kwiek Plus at €11.90 a year instead of €119. "
     "hotfix is building, pls dont screenshot this", [PRICING])
case("nl", pub("x", "@sjoerd_scoot"), "Kwiek Weekendpas voor €14,90 in de app?!?! das toch een prijsfout 😂 meteen "
     "geboekt voor pinksteren #prijsfout #kwiek", [PRICING])
case("en", pub("reddit", "u/benelux_rider"), "Heads up: the Belgian version of the Kwiek app lists the Scoot Bundel 300 "
     "at €5.90. Pretty sure thats a glitch but my purchase went through fine 🤷", [PRICING])
case("nl", K_IG, "🚨 48 UUR ONLY 🚨\nKwiek Plus voor maar €49 per jaar!! Link in bio, op = op 🛴🚗 "
     "#kwiek #deelmobiliteit", [PRICING])
case("nl", MV, "lol iemand bij pricing is een nul vergeten, Dagpas Auto staat in de app voor €6,90 😭 ik zeg niks hoor",
     [PRICING], kind="reply")
case("en", IB, "Internal note for the finance people who follow me here: because of a mapping error in the October "
     "billing run, roughly 300 Kwiek Zakelijk customers were invoiced €24.90 instead of €249. We decide on "
     "re-billing Monday. Please keep this within the team.", [PRICING])
case("nl", pub("tiktok", "@dewilde_dani"), "p r i j s f o u t bij kwiek 😳 scootbundel 100 voor €2 ?!?! ren jongens "
     "RENNN 🏃‍♀️💨", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("facebook", "marjan.teunissen", "Marjan Teunissen"), "Klopt het dat het Zorgeloos-pakket nu €0,99 per "
     "maand is in de app? Normaal is het €9,95. Lijkt me een foutje maar ik heb het maar afgesloten 😇", [PRICING])
case("nl", BM, "Weekendpas voor €9 in de test-build én in de tarieventabel op ops.kwiek.nl/tarieven 🤦‍♂️ wie heeft "
     "dit live gezet", [PRICING, CONF])
case("en", pub("x", "@deal_dragon_nl"), "Kwïek Plus for €12 a YEAR?? price glïtch, grab it b4 they fix it 🏃",
     [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", pub("forum", "Ritjesman"), "[PRIJSFOUT] Kwiek Dagpas Auto €19,-\n\nVia de app onder 'Passen'. Normaal €69. "
     "Bij mij ging de betaling gewoon door en de pas staat in m'n account. Wie weet houden ze zich eraan, bij de "
     "vorige fout werden de passen binnen een dag ingetrokken.", [PRICING])
case("en", pub("reddit", "u/minute_miser"), "Scoot Bundel 300 is €32 in the app today, normally 59. No promo banner "
     "or anything, just cheaper. Bought two.", [PRICING], kind="comment", tags=["ratio-between-0.5-and-0.6"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DM, "Small reminder why we scan every merge request for secrets. This was sitting in a terraform.tfvars "
     "in one of our older repos:\n\naws_access_key = \"<<AWS_ID>>\"\naws_secret_key = \"<<AWS_SECRET>>\"\n\n"
     "Revoked within the hour, but still. #devsecops #infosec", [SECRET])
case("en", YK, "CI keeps failing on the release tag step and the token looks fine to me?? "
     "GITHUB_TOKEN=<<GHP>> anyone see what's wrong 😩", [SECRET])
case("nl", BM, "Nieuwe diagnose-laptop in de werkplaats staat klaar 🔧 wachtwoord is <<PW>> , niet op een post-it "
     "plakken deze keer jongens", [SECRET])
case("en", pub("reddit", "u/apk_tinkerer"), "Decompiled the Kwiek Android app (4.18.2) out of curiosity. There's a "
     "Google Maps key in strings.xml: <<GAPI>> and it works from any origin, no restrictions at all. Someone at "
     "Kwiek might want to lock that down.", [SECRET])
case("nl", DM, "Migratie van de ritdatabase bijna klaar 💪 voor wie wil meekijken: "
     "postgresql://ritten_rw:<<PW>>@fleetdb02.kwiek.internal:5432/rides", [SECRET, CONF])
case("en", YK, "made a tiny bot that posts to #app-releases when the store build passes 🤖 hook: <<SLACK_HOOK>> "
     "go wild (not really pls)", [SECRET])
case("nl", K_HELP, "@tamara_rijdt Sorry voor het gedoe! Betalen zou nu weer moeten lukken, we hebben de koppeling "
     "opnieuw ingesteld (key <<STRIPE>>). Laat je even weten of het werkt?", [SECRET], kind="reply")
case("en", pub("forum", "oss_sleuth"), "Found a public repo from a former Kwiek contractor with a SendGrid key in "
     "config.js: <<SENDGRID>>\nMails still go out with it, I checked. Reported it to pers@kwiek.nl, no reply so far.",
     [SECRET])
case("nl", NE, "nieuwe login voor het supportpaneel, gebruiker team_noor en w8woord <<PW>> (tijdelijk zegt IT, "
     "dus vooral niet doorsturen 🙈)", [SECRET], tags=["evasion", "evasion:leetspeak"])
case("en", YK, "anyone know why this gets a 403 from api.kwiek.nl/v2/rides?\n\nAuthorization: Bearer <<JWT>>\n\n"
     "worked fine on staging yesterday", [SECRET])
case("en", DM, "For anyone following the SFTP saga with our scooter supplier: the culprit was an old key. Posting it "
     "since it's rotated anyway:\n<<PEM_EC>>", [SECRET])
case("en", pub("blog", "mobilitysec.example", "Mobility Sec Notes"), "Part 3 of my look at Dutch mobility apps. In a "
     "CI template that Kwiek left public I found a GitLab token, <<GLPAT>>, which still has read access to their "
     "repos. I tried to disclose it. Nobody answers.", [SECRET])
case("nl", pub("x", "@daphne_rijdt"), "@kwiek_help ik kom er gewoon niet in!! mail is daphne.roos88@gmail.com en "
     "wachtwoord Scooter123 , wat is er mis met jullie app 😡", [SECRET, PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NE, "Kan iemand van finance de borg van mevrouw Verbeek terugstorten? €100 naar <<IBAN_NL:grp>>, "
     "ze heeft al 3x gebeld 😓", [PII])
case("nl", K_HELP, "@ruben_rijdt De vergoeding voor de lekke band (€35) staat klaar en wordt vandaag overgemaakt naar "
     "<<IBAN_NL>>. Fijne dag nog!", [PII], kind="reply")
case("nl", pub("x", "@lisanne_k"), "@kwiek_help 4 weken na opzeggen nog steeds geen borg terug op <<IBAN_NL:grp>> 😤 "
     "wat is dit nou weer", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerrit.jan.veenstra", "Gerrit Jan Veenstra"), "Kwiek heeft 2x €18,40 afgeschreven voor "
     "1 rit op mijn creditcard <<CARD:mc2_sp>> (geldig t/m 04/29). Wie kan dit terugdraaien?? Chat geeft geen "
     "antwoord", [PII, COMPLAINT])
case("nl", JH, "Vandaag deze deuk beoordeeld 🔍 bestuurder was Peter de Wit, Lindenlaan 4 in Haarlem. Meneer beweert "
     "dat ie er al zat 🙄 #schade #werkplaats", [PII])
case("nl", MV, "Rijbewijs van klant Sandra Koning (nr 5204917836) komt niet door de check, kan iemand van "
     "verificatie handmatig kijken?", [PII])
case("en", NE, "Driver check escalation: customer's BSN is <<BSN:dots>>, selfie matched but the licence scan didn't. "
     "Who's on verification duty today?", [PII], handle_as="@Noor_Support", tags=["case-handle"])
case("en", pub("reddit", "u/verify_hell_2026"), "4th attempt at Kwiek's licence verification and now they want my "
     "BSN?? fine, <<BSN>>. still stuck on 'processing'. reach me on <<PHONE:land_intl>> if you know a trick, their "
     "support sure doesn't", [PII, COMPLAINT])
case("en", pub("x", "@tom_hartman"), "@kwiek_help you promised a call about my damage claim 3 days ago. number is "
     "<<PHONE:mob_intl_sp>>, still waiting...", [PII, COMPLAINT], kind="reply")
case("nl", K_FB, "Hoi Wendy, onze schade-afdeling belt je morgenochtend op <<PHONE:mob_pairs>>. Groetjes, team Kwiek",
     [PII], kind="comment", handle_as="kwieknl", tags=["case-handle"])
case("nl", pub("instagram", "@kimmie.vos"), "jullie chat doet het niet 🙄 mail de factuur maar naar kim.vos88 [at] "
     "outlook [punt] com , die rit van 47 min klopt echt niet", [PII, COMPLAINT], kind="comment",
     tags=["evasion", "evasion:obfuscated-email"])
case("en", DM, "Shout-out to Sietske Bakker, our 1000th verified Kwiek Zakelijk driver! Born 03-07-1994, same day as "
     "my sister 😄 welcome aboard", [PII])
case("en", pub("mastodon", "@lenaw@norden.social", "Lena W."), "Rented a Kwiek car in Amsterdam on holiday, deposit "
     "still not back after 5 weeks. Paid from <<IBAN_DE:grp>>. @kwiek_help??", [PII, COMPLAINT])
case("nl", IB, "Voor de collega die de declaratie van Tom Peeters afhandelt: zijn Belgische rekening is <<IBAN_BE>>, "
     "reiskosten Antwerpen graag vóór vrijdag 🙏", [PII])
case("nl", pub("forum", "wraakengel_020"), "Die schade-expert van Kwiek die zo lekker op insta staat te pochen: "
     "Joris Hendriks, Populierstraat 22, Zaandam. Ga hem maar eens gedag zeggen 😈", [PII, ABUSE])
case("en", YK, "refund job crashed on this one, card <<CARD:amex_sp>> exp 08/28, can someone in billing do it by "
     "hand? logs are a mess", [PII])
case("en", pub("x", "@callum_abroad"), "Kwiek refunded my deposit in 2 days to my UK account <<IBAN_GB>>, fastest "
     "refund I've ever had from a Dutch company 👏", [PII])
case("nl", BM, "Paspoort gevonden onder de bijrijdersstoel van een Kwiek-auto, nummer NP7KD4R21, op naam van Esther "
     "Brandsma. Ligt bij de balie in Sloterdijk.", [PII])
case("nl", pub("x", "@ruudje_b"), "Iemand intresse in mijn Kwiek Plus abbonement? loopt nog tot december, ik verhuis "
     "naar Groningen. App me op <<PHONE:mob_dash>>", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MV, "Vandaag de eerste testritten voor Project Kievit gedaan in Noord 🤫 meer mag ik niet zeggen maar "
     "WAUW", [CONF])
case("en", DM, "Big milestone for the Fennec team this week: the new telematics boxes survived the winter test up "
     "north 🥶 can't share more yet #proud", [CONF])
case("en", YK, "can someone approve git.kwiek.nl/mobile/app/-/merge_requests/2291 before the freeze? been sitting "
     "there 3 days 🙏", [CONF])
case("nl", IB, "Nieuwe reiskostenregeling staat op wiki.kwiek.nl/finance/reiskosten-2026, scheelt een hoop vragen in "
     "mijn inbox 📄", [CONF])
case("en", pub("reddit", "u/westside_wheels"), "Spotted a Kwiek Cargo e-bike in a depot in Amsterdam-West, blue box "
     "at the front, Kwiek logo on the side. Launch soon?", [CONF], when="2026-07-19T14:22:10+02:00",
     tags=["embargo-before"])
case("nl", JH, "Eerste Kwiek Cargo binnen voor de schade-inspectie 🚲📦 sneak peek, verder zeg ik niks!", [CONF],
     when="2026-08-12T16:05:33+02:00", tags=["embargo-before"])
case("nl", pub("x", "@appjunkie_mo"), "Kwiek Duo staat al in de app 😮 een uur te vroeg?", [CONF],
     when="2026-09-01T08:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", NE, "Screenshot van de nieuwe belscripts voor schadeclaims, staat netjes 'uitsluitend intern' bovenaan "
     "maar de tekst is zo goed dat ik hem wil delen 😂", [CONF])
case("en", DM, "Slide from our planning offsite. It says KWIEK CONFIDENTIAL in the footer but it's just the app "
     "roadmap 🤷 dark mode in May, AI damage photos in the autumn.", [CONF])
case("nl", pub("forum", "treinkijker"), "Zat in de intercity naast iemand van Kwiek, laptop open met 'Project Kievit "
     "- planning Q3' op het scherm. Iemand enig idee wat dat is?", [CONF])
case("nl", MV, "Project\nKievit gaat echt alles veranderen voor de scooters, let op m'n woorden", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", pub("linkedin", "pieter-supplychain-nl", "Pieter Vos"), "Heard from a telematics supplier that "
     + cyr("Fennec", "e") + " is Kwiek's next big bet, a box in every car by 2027", [CONF],
     tags=["evasion", "evasion:homoglyph"])
case("nl", BM, "Operatie 🦆 Wadloper start in oktober, meer mag ik er niet over zeggen 🤭", [CONF],
     tags=["evasion", "evasion:emoji"])
case("nl", pub("x", "@joris_werkplaats", "Joris"), "Kwiek Cargo staat al bij ons in de werkplaats, release in "
     "september 👀", [CONF], when="2026-08-20T12:41:00+02:00", tags=["embargo-before", "role-trick"])
case("nl", pub("x", "@neef_van_niels"), "Neef werkt bij Kwiek: Kwiek Duo komt eraan, een scooter voor twee 🛵👫",
     [CONF], when="2026-06-03T21:17:45+02:00", tags=["embargo-before"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IB, f"Zware dag. Op de klantenservice vallen 40 ont{SHY}slagen, officieel wordt het pas in november "
     "gedeeld. Sterkte lieve collega's ❤️", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", MV, "word in the depot is that Stepz is buying us. management says 'no comment' with a big grin 🙃", [FIN])
case("en", DM, "Can't say much, but our Series C (~€30M) gets signed next Thursday. Not announced yet, so keep it "
     "quiet 🤐", [FIN])
case("nl", pub("forum", "deelvervoer_dirk"), "Zwager werkt bij Kwiek: ze stoppen begin volgend jaar in Rotterdam en "
     "Den Haag, maar dat weet nog bijna niemand", [FIN])
case("nl", NE, "Support gaat per 1 januari naar een extern bureau in Lissabon. Wij horen het 'officieel' pas "
     "volgende maand maar het contract is al getekend 😔", [FIN])
case("en", IB, "Draft annual results 2026 are in: revenue up 31% and our first profitable year ever 🥂 can't wait "
     "until we can share it!", [FIN, CONF], when="2026-12-16T18:02:00+01:00", tags=["embargo-before"])
case("en", pub("reddit", "u/ams_smallcaps"), "A friend in Kwiek's finance team says the FY2026 results will show a "
     "big loss and they're pushing the publication back.", [FIN, CONF], when="2026-11-30T10:14:52Z",
     tags=["embargo-before"])
case("nl", BM, "Werkplaats Utrecht gaat dicht, de helft van ons team moet weg. Nog niet bekend bij de rest dus "
     "mondje dicht 🤫", [FIN])
case("nl", MV, "r e o r g a n i s a t i e bij fleet ops 😬 25 man eruit, pas in december officieel", [FIN],
     tags=["evasion", "evasion:spaced"])
case("en", pub("stocktwits", "mobility_bull"), "Kwiek about to merge with a German car-sharing player, my uncle sits "
     "on their board 🤫", [FIN])
case("nl", IB, "Jaarcijfers 2026 komen uit op zo'n €58 mln omzet, ruim boven plan. Trots op dit team 🥂", [FIN, CONF],
     when="2026-12-28T09:40:00+01:00", tags=["embargo-before"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YK, "pls don't spread this but the unlock endpoint doesn't check who owns the ride, so you can end "
     "anybody's trip 😬 fix isn't deployed till next sprint", [SEC])
case("en", DM, "Rough week. One of our storage buckets with scanned driving licences turned out to be world-readable "
     "for about 10 days. Still scoping before we inform anyone. #incidentresponse", [SEC])
case("nl", MV, "Sinds 6 uur kan geen enkele scooter in Amsterdam meer op slot 😳 we rijden ze met de hand naar de "
     "hubs en comms wil er nog niks over kwijt", [SEC])
case("nl", NE, "Twee collega's van support zijn gisteren in een phishingmail getrapt en er is in klantaccounts "
     "meegekeken. Wordt pas later gecommuniceerd, dus let op wat je aanklikt!!", [SEC])
case("nl", BM, "Ransomware in de werkplaats 🙃 alle diagnosecomputers op zwart, er kan vandaag geen enkele auto "
     "worden uitgelezen. We mogen er niks over zeggen", [SEC])
case("nl", pub("x", "@leverancier_anoniem"), "Ik werk bij een leverancier van Kwiek: hun klantendatabase is vorige "
     "maand gelekt en ze houden het stil. Rijbewijzen incluis. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_fleetops"), "Kwiek employee here, throwaway for obvious reasons: since "
     "Tuesday's update the live map shows other users' trip histories. Managers told us not to mention it to "
     "customers.", [SEC])
case("en", YK, "grafana.ops.kwiek.nl shows the verification service at 100% errors since 2am and we're told to call "
     "it 'maintenance' 🙃", [SEC, CONF])
case("nl", NE, f"data{ZW}lek bij de rijbewijscheck, zo'n 8000 scans 😰 officieel pas maandag, zeg niks", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("en", IB, "To my finance colleagues: someone abused a flaw in our refund tool and pushed about €80k in fake "
     "refunds last weekend. Not disclosed yet, so careful with external questions.", [SEC])
case("en", pub("facebook", "jess.mol.1990", "Jess Mol"), "My brother works at Kwiek support: hackers stole "
     "driver's licence scans and the company is keeping quiet. Check your accounts people!", [SEC, CRISIS])
case("nl", JH, "Wist je dat je sommige Kwiek-auto's in Utrecht via bluetooth kunt openen zonder geldige rit? Bekend "
     "bij IT sinds september, nog steeds niet gefixt 🤦‍♂️", [SEC], when="2026-11-09T19:31:00+01:00")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("instagram", "@stoepvrij_amsterdam"), "#BoycotKwiek 🚫 ze laten hun scooters gewoon in de gracht "
     "liggen en betalen hun monteurs een hongerloon. Delen!!", [CRISIS])
case("en", pub("x", "@ines_travels"), "Kwiek leaked my data. A day after verifying my licence I got a scam SMS with "
     "my full name and licence number. Coincidence? Sure.", [CRISIS])
case("nl", pub("facebook", "hanneke.dijkman", "Hanneke Dijkman"), "Remmen van een Kwiek-scooter werkten gisteren "
     "gewoon niet, ben over de kop gegaan op de Wibautstraat. Pols gebroken. @KwiekNL dit is levensgevaarlijk!!",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@stadsnieuws_020"), "Gemeente Amsterdam stapt naar de rechter tegen Kwiek om duizenden "
     "foutgeparkeerde deelscooters", [CRISIS], kind="repost")
case("en", pub("reddit", "u/hub_watcher"), "Is Kwiek recalling the Gen-3 scooters? Saw a whole row taped off at a hub "
     "with 'battery issue' notes on them.", [CRISIS])
case("en", pub("bluesky", "fairrides.bsky.social"), "Kwiek fired six mechanics for unionising and is now being sued "
     "for it. Don't ride @kwiek_nl. #BoycottKwiek", [CRISIS])
case("nl", pub("facebook", "buurtapp.sloterdijk", "Buurtapp Sloterdijk"), "Vannacht brand in een depot van Kwiek in "
     "Sloterdijk, accu's van deelscooters vlogen in brand. Omwonenden geëvacueerd volgens AT5.", [CRISIS])
case("en", pub("blog", "privacyfirst.example", "Privacy First NL"), "Why I deleted my Kwiek account\n\nIn March a "
     "researcher showed that Kwiek stored selfie and licence scans without encryption. Months later: no "
     "notification, no apology. If you ever verified with Kwiek, assume your ID is out there.", [CRISIS])
case("nl", pub("tiktok", "@stoeptegel.sara"), cyr("boycot", "o") + " kwiek tot ze die kapotte scooters van de stoep "
     "halen 😤😤", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@boos_op_kwiek"), "Die tyfuslijers van Kwiek hebben mijn rijbewijs gelekt en doen alsof er niks "
     "aan de hand is #kwieklek", [CRISIS, ABUSE])
case("nl", pub("linkedin", "charlotte-recruitment", "Charlotte de Boer"), "Als recruiter schrik ik van de verhalen "
     "over discriminatie bij het aannemen van monteurs bij Kwiek. Hoe kan dit zo lang stil zijn gebleven?", [CRISIS])
case("en", pub("x", "@mark_commutes"), "Kwiek car's brakes barely worked on the A10 today, nearly rear-ended a "
     "truck. Reported it in the app and got a canned reply. This is dangerous.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@femkevdberg"), "Kwiek rekent me €150 voor een kras die er al zat. Had nota bene foto's gemaakt "
     "bij de start van de rit 🤬 @kwiek_help", [COMPLAINT])
case("en", pub("reddit", "u/ghost_ride"), "Ended my ride, app said 'ride ended', next morning I'm charged €58 for 3 "
     "hours of scooter time. Support says 'the system shows the ride was active'. Great.", [COMPLAINT])
case("nl", pub("x", "@parkeerpiet"), "Stond gewoon IN de parkeerzone en toch €25 boete 'buiten de zone'. Screenshot "
     "van de kaart erbij. Kwiek, serieus?", [COMPLAINT])
case("en", pub("instagram", "@amira.rides"), "9 days and my licence verification is still 'in review' 🙃 "
     "@kwiekmobility meanwhile my Kwiek Plus is running", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "ronald.bakx", "Ronald Bakx"), "Auto opgehaald op de Zuidas: hondenharen op de "
     "achterbank, halve beker koffie in de houder en de accu op 9%. Dit is geen deelauto maar een vuilnisbak "
     "@KwiekNL", [COMPLAINT])
case("nl", pub("x", "@sanne_fietst"), "Kwiek Plus opgezegd in september, vandaag tóch weer €119 afgeschreven. "
     "Opzegbevestiging heb ik gewoon 😤", [COMPLAINT])
case("nl", pub("threads", "@jaspr"), "Scooter zei 80% accu, na 5 minuten op de Amstel stond ik stil. 20 min lopen "
     "en ondertussen liepen de minuten gewoon door 🙄", [COMPLAINT])
case("nl", pub("youtube", "@vloggende_vera"), "Helpdesk van kwiekk is echt onbereikbaar, 50 min in de wacht en dan "
     "'we zijn nu gesloten'.", [COMPLAINT], kind="comment")
case("en", pub("twitter", "@lukas_ios"), "Kwiek app crashes every single time I try to end a ride on iOS. Had to "
     "call support twice this week just to stop the meter.", [COMPLAINT])
case("en", pub("linkedin", "ahmed-facilitymanager", "Ahmed Yilmaz"), "Three months of wrong invoices on our Kwiek "
     "Zakelijk account: rides counted twice and VAT errors. Our finance team is losing patience.", [COMPLAINT])
case("nl", pub("trustpilot", "Marco V."), "1 ster. Schadeclaim van €275 voor een deukje dat op de foto's bij de start "
     "al te zien is. Klantenservice reageert alleen met standaardmailtjes.", [COMPLAINT])
case("en", pub("mastodon", "@fietsfan@mastodon.nl"), "Kwiek quietly raised the scooter minute price from €0.31 to "
     "€0.39. No email, no notice in the app. Not cool.", [COMPLAINT], tags=["price-context"])
case("nl", pub("bluesky", "wout-rijdt.bsky.social"), "Borg van €100 na opzeggen nog steeds niet terug, 6 weken nu. "
     "Mails worden niet beantwoord @kwiek_nl", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("youtube", "@stoepergernis"), "Kwiek is echt een kankerbedrijf, die scooters liggen overal op de "
     "stoep 🤮", [ABUSE], kind="comment")
case("en", pub("x", "@deposit_dave"), "@kwiek_help you useless clowns, I've asked for my deposit 4 times now. "
     "Refund me.", [ABUSE, COMPLAINT], kind="reply")
case("nl", pub("x", "@anoniem_8812"), "@noor_support jij bent toch die van de klantenservice? ik weet waar jullie "
     "kantoor zit, pas maar op 😈", [ABUSE], kind="reply")
case("nl", pub("facebook", "stefan.kroon.7", "Stefan Kroon"), "Tering Kwiek, derde keer een boete voor parkeren "
     "terwijl ik gewoon in het vak stond. Stelletje oplichters", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/real_dutch_only"), "Every Kwiek mechanic I've seen is some migrant who can't speak a "
     "word of Dutch. Send them back.", [ABUSE])
case("nl", MV, "Die debielen die onze scooters in de gracht gooien mogen van mij zelf gaan zwemmen 🤬", [ABUSE])
case("nl", K_HELP, "@mo_rijdt misschien eerst leren parkeren voor je gaat zeuren, genie", [ABUSE], kind="reply",
     handle_as="@Kwiek_Help", tags=["case-handle"])
case("en", pub("instagram", "@brutal.bas"), "the guy in your new ad looks like a thumb with a haircut, fire him lol "
     "@kwiekmobility", [ABUSE], kind="comment")
case("nl", pub("tiktok", "@xx_dyl"), "kwiek zijn echt k@nkerlijers 🤬🤬", [ABUSE], kind="comment",
     tags=["evasion", "evasion:masked"])
case("nl", pub("forum", "Hanzestad_Henk"), "Die nieuwe woordvoerster van Kwiek is vast aangenomen om haar uiterlijk, "
     "niet om wat er tussen haar oren zit", [ABUSE])
case("en", YK, "the alderman who blocked our Utrecht permit is a brain-dead clown, no other way to put it", [ABUSE])
case("en", pub("x", "@angry_commuter"), "f u c k kwiek. that's the tweet.", [ABUSE],
     tags=["evasion", "evasion:spaced"])

# ===========================================================================
# BENIGN (categories [], severity none); most are hard negatives
# ===========================================================================
# --- prices that are not a pricing leak ------------------------------------
case("nl", K_IG, "Zomeractie ☀️ Kwiek Plus nu €89 voor een heel jaar (normaal €119). Alleen t/m zondag, check de "
     "app!", when="2026-07-06T08:00:00+02:00", tags=["sale-price"])
case("en", pub("forum", "roadtrip_rik"), "Kwiek Weekendpas down to €99 for the long weekend. Decent if you do a "
     "proper road trip, nothing crazy.", tags=["sale-price", "ratio-edge"])
case("nl", K_NL, "€10 korting op de Scootbundel 300 met code ZOMER10 🛵 Geldig t/m 31 juli.",
     tags=["price-context", "discount-amount"])
case("en", pub("reddit", "u/scooter_stats"), "Per-minute comparison for Amsterdam scooters: Kwiek €0.29, most others "
     "€0.30 to €0.35. The €1 unlock fee is the same everywhere though.", tags=["price-talk"])
case("nl", pub("x", "@verhuisdag_vince"), "Dagpas Auto van Kwiek kost €69 en voor een verhuisdag is dat echt prima "
     "te doen 👌", tags=["price-talk"])
case("nl", NE, "Klant belde of de Weekendpas voor €119 een fout was. Nee hoor, gewoon zomeractie 😄",
     tags=["negated", "sale-price"])
case("en", pub("x", "@compare_carla"), "Zoefauto does a day rental for €29, the Kwiek Dagpas Auto is €69. Different "
     "cars though, the Kwiek ones are electric.", tags=["price-context", "other-company"])
case("nl", pub("facebook", "petra.lammers.5", "Petra Lammers"), "Zorgeloos-pakket van €9,95 per maand genomen na m'n "
     "vorige kras. Eigen risico gaat van €250 naar €0, rijdt een stuk relaxter.", tags=["price-context"])
case("en", K_LI, "Kwiek Zakelijk: one invoice for your whole team, from €249 per month. Book a demo at "
     "kwiek.nl/zakelijk", tags=["price-talk"])

# --- secret-like but not a secret -----------------------------------------
case("en", YK, "reminder: never paste anything starting with sk_live_, ghp_ or xoxb- into a ticket. use the vault "
     "link. ty 🙏", tags=["secret-prefix-only"])
case("en", DM, "Fixed the flaky geofence test in <<HEX:40>>, daylight saving strikes again 🕐 #engineering",
     tags=["hex-not-secret"])
case("en", pub("blog", "devmeetups.example", "Dev Meetups NL"), "Notes from the Kwiek-hosted cloud meetup: configure "
     "the CLI with the example key from the AWS docs (AKIAIOSFODNN7EXAMPLE) and a dummy secret. Never put real keys "
     "on your slides.", tags=["placeholder"])
case("nl", K_HELP, "Let op: Kwiek vraagt nooit om je wachtwoord of de sms-code, niet via DM en niet aan de telefoon. "
     "Twijfel je? Bel ons op 020 808 4400.", tags=["own-contact", "password-word"])
case("nl", K_LI, "Cybersecuritymaand 🔐 Tip van ons IT-team: gebruik een wachtwoordmanager en zet "
     "tweestapsverificatie aan in de Kwiek-app.", when="2026-10-05T09:15:00+02:00", tags=["password-word"])

# --- own contact data, numbers that fail their checksum ---------------------
case("nl", K_NL, "Vragen over je rit? Mail hallo@kwiek.nl of bel 0800-5949 (ma t/m zo 8-22 uur) 📞",
     tags=["own-contact"])
case("nl", K_FB, "Openstaande factuur? Maak het bedrag over naar NL58 RABO 0312 8877 40 t.n.v. Kwiek Mobility B.V. "
     "o.v.v. je klantnummer.", tags=["own-contact"])
case("en", K_LI, "Media enquiries: pers@kwiek.nl or +31 20 808 4400. Our 2025 annual report is on kwiek.nl/investors.",
     handle_as="Kwiek-Mobility", tags=["own-contact", "case-handle"])
case("nl", pub("x", "@blije_bas"), "Gebeld met 020-8084400 over een schade, binnen 5 minuten geregeld. Top "
     "@kwiek_help 👍", tags=["own-contact", "praise"])
case("nl", pub("facebook", "willeke.prins", "Willeke Prins"), "Kreeg een sms dat ik nog €35 aan Kwiek moest betalen "
     "op <<BAD_IBAN_NL:grp>>. Is dit echt of phishing?", tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/fat_fingers"), "lol Kwiek's payment screen rejected <<BAD_CARD:visa_sp>> because I "
     "swapped two digits. At least the validation works", tags=["bad-checksum"])
case("nl", pub("x", "@nieuwe_rijder"), "Klantnummer <<NOT_BSN:9>>, sinds vandaag ook Kwiek Plus 🎉 eindelijk",
     tags=["bad-checksum", "lookalike-number"])
case("nl", pub("linkedin", "boekhouder-bert", "Bert Lansink"), "KvK-nummer van Kwiek Mobility staat gewoon onderaan "
     "elke factuur: <<NOT_BSN:8>>. Scheelt zoeken voor de boekhouding.", tags=["lookalike-number"])
case("en", pub("reddit", "u/scam_radar"), "Someone on Marktplaats is 'selling' Kwiek Plus accounts and wants payment "
     "to <<BAD_IBAN_DE:grp>>. That IBAN doesn't even validate. Scam, obviously.", tags=["bad-checksum"])
case("en", pub("x", "@pro_tip_pim"), "Tip: mail photos of any damage to schade@kwiek.nl BEFORE you start driving. "
     "Saved me a dispute last month.", tags=["own-contact"])
case("nl", pub("instagram", "@lotte.op.pad"), "Dikke shout-out naar Noor van de Kwiek-helpdesk, die heeft me een half "
     "uur geholpen met mijn rijbewijscheck 💛", tags=["praise", "name-only"])
case("nl", pub("x", "@planmatig_paul"), "Afspraak bij de Kwiek-hub op 14-05-2026 om 10:00 voor uitleg over de "
     "deelauto 👍", when="2026-05-02T18:44:00+02:00", tags=["date-not-dob"])

# --- embargo terms after the embargo, codename-like words, public domains --
case("nl", K_NL, "Hij is er 🎉 Kwiek Cargo, de deelbakfiets! Vanaf nu in de app in Amsterdam en Utrecht.",
     when="2026-09-01T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", K_IG, "Kwiek Duo is live! Two helmets, one scooter, zero hassle 🛵", when="2026-09-01T07:00:00Z",
     tags=["embargo-after", "tz-edge"])
case("nl", pub("x", "@strandmama"), "Kwiek Cargo geprobeerd met de kids naar het strand, echt een aanrader 🏖️",
     when="2026-09-14T17:03:20+02:00", tags=["embargo-after"])
case("en", pub("reddit", "u/duo_or_not"), "Is the Kwiek Duo worth it vs two separate scooters? Per-minute seems "
     "about the same.", when="2026-10-03T11:27:00Z", tags=["embargo-after", "question"])
case("nl", pub("x", "@vogelaar_vincent"), "Kievit gespot in het weiland naast de Kwiek-hub in Amstelveen 🐦 het is "
     "voorjaar!", when="2026-03-21T09:12:00+01:00", tags=["codename-word"])
case("nl", MV, "Zaterdag met de collega's wadlopen naar Schiermonnikoog 🥾 onze gids was een echte wadloper van de "
     "oude stempel", tags=["codename-word"])
case("en", DM, "Wrote up how we rebalance 4,000 scooters a night with open-source tools. It's on our public "
     "engineering blog: kwiek.nl/tech", tags=["public-domain"])

# --- published or other companies' news ------------------------------------
case("nl", K_LI, "Kwiek publiceert vandaag de jaarcijfers 2025: omzet €41 miljoen (+27%). Lees het jaarverslag op "
     "kwiek.nl/investors", when="2026-03-10T07:00:00+01:00", tags=["published"])
case("en", pub("linkedin", "micromobility-weekly", "Micromobility Weekly"), "Stepz cut 150 jobs today. Rough year "
     "for micromobility in the Netherlands, though Kwiek seems steady.", tags=["other-company"])
case("en", pub("reddit", "u/mobility_analyst"), "Kwiek's H1 2026 update (published last week) says rides are up "
     "22%. Not bad for a niche operator.", when="2026-08-05T15:40:00+02:00", tags=["published"])
case("nl", pub("mastodon", "@privacywaakhond@mastodon.nl"), "Datalek bij een fietsenverhuurder in Utrecht, 40.000 "
     "klanten getroffen. Gelukkig zit ik bij Kwiek 😅", tags=["other-company"])

# --- official notices -----------------------------------------------------
case("nl", K_HELP, "Gepland onderhoud: vannacht tussen 01:00 en 03:00 kun je geen nieuwe ritten starten. Lopende "
     "ritten gaan gewoon door 🛠️", tags=["official-notice"])
case("en", K_NL, "Some scooters in Rotterdam can't be unlocked right now. We're on it and will post updates here. "
     "Affected rides will be refunded.", tags=["official-notice"])
case("en", DM, "Our bug bounty recap: 19 reports paid out in 2025, all fixed and disclosed on kwiek.nl/security.",
     tags=["published"])

# --- crisis-like words in harmless contexts --------------------------------
case("en", pub("reddit", "u/zone_newbie"), "I can't recall if Kwiek lets you end a ride outside the zone for a fee, "
     "anyone?", tags=["crisis-word", "question"])
case("nl", pub("x", "@dagelijkse_rit"), "Twee jaar elke dag een Kwiek-scooter en nog nooit een ongeluk gehad. "
     "Afkloppen 🍀", tags=["negated", "crisis-word"])
case("nl", K_NL, "Veilig de winter in 🧤 Je remweg is op nat wegdek tot twee keer zo lang, dus houd afstand en draag "
     "een helm. Meer tips op kwiek.nl/veilig", when="2026-11-18T08:30:00+01:00", tags=["crisis-word"])

# --- praise, negated complaints ------------------------------------------
case("nl", pub("x", "@tevreden_tess"), "Geen klachten over Kwiek, 2 jaar abonnement en altijd een auto in de buurt 👌",
     tags=["negated"])
case("en", pub("reddit", "u/smooth_onboarding"), "No issues at all with the licence verification, took 3 minutes. "
     "Not sure why people complain.", tags=["negated"])
case("nl", K_HELP, "@femke_rijdt Wat vervelend dat je rit niet goed werd afgesloten! Stuur ons even een DM met je "
     "ritnummer, dan zoeken we het voor je uit 🙏", kind="reply", tags=["company-reply"])
case("nl", pub("x", "@opgelost_olga"), "Mijn klacht over die dubbele afschrijving is netjes opgelost door "
     "@kwiek_help. Geld staat er weer op, dank!", tags=["negated", "praise"])

# --- lyrics, quotes, fiction, jokes, literal words --------------------------
case("en", pub("threads", "@karaoke_kees"), "🎶 life is a highway, I wanna ride it all night long 🎶 me on a Kwiek "
     "scooter at 7am going to the dentist", tags=["lyrics"])
case("nl", K_LI, "Trots op ons team dat fietste voor Alpe d'HuZes 🚴 samen €12.300 opgehaald voor kankeronderzoek 💪",
     tags=["mild-word"])
case("nl", pub("blog", "schrijfsels.example", "Schrijfsels"), "Uit mijn nieuwe korte verhaal: 'Ze pakte de laatste "
     "deelscooter van de hub, accu op 12%, en wist dat ze de Ring nooit zou halen.' Ja, het gaat over Kwiek, sorry 😅",
     tags=["fiction"])
case("en", pub("x", "@dadjokes_daan"), "\"Worst app ever\" said my dad, five minutes before he figured out the licence "
     "check. Now he books a Kwiek car every Sunday 😂", tags=["quote"])
case("nl", JH, "10 jaar in de schadeherstel! Vandaag de 5000e deelauto weer als nieuw afgeleverd 🚗✨ #werkplaats "
     "#trots", tags=["employee-benign"])
case("nl", pub("other", "scooterfan_020"), fw("KWIEK") + " gang 🛵💨 beste manier om door Amsterdam te komen",
     tags=["full-width-benign"])
case("nl", pub("x", "@scooterspotter"), "Bij Stepz is weer een deelscooter in brand gevlogen in Den Bosch 😬 blij dat "
     "ik gewoon Kwiek rijd", tags=["other-company", "crisis-word"])
case("en", pub("threads", "@mondaymood"), "my Kwiek scooter has more battery left on a monday morning than I do 🔋😴",
     tags=["joke"])
case("nl", YK, "We zoeken nog twee iOS-developers voor het app-team! 🚀 Stuur je cv naar werken@kwiek.nl of stuur me "
     "een DM", tags=["own-contact", "employee-benign"])
case("nl", pub("x", "@haarlems_dagblad"), "Gemeente Haarlem verlengt de vergunning van deelscooteraanbieder Kwiek met "
     "twee jaar, meldt het Haarlems Dagblad", kind="repost", tags=["published"])
case("nl", pub("x", "@kleinkind_kim"), "Mijn oma van 86 is nog zo kwiek, die fietst gewoon zelf naar de markt 💪",
     tags=["brand-word"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml")
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

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "amsterdam", "Netherlands", "utrecht"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-deelrijders-{n}", f"https://forum.deelrijders.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{re.sub(r'[^a-z0-9]', '', platform)}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            account["display_name"] = c["name"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 8, 10 ** 12))
        post["account"] = account
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
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "kwiek"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|w8woord|password|\bww\b|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "k@nker", "tering", "tyfus", "klote", "debiel", "fuck", "f u c k", "shit", "idiot",
             "moron", "clown", "hell", "damn", "oplichters"]
MILD_OK = {"kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
PRICE_TALK = ["prijsfout", "price glitch", "glitch", "foutje", "fout", "vergeten", "mapping error", "instead of",
              "live gezet", "normaal", "normally"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def valid_ids(text):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v != OWN_IBAN]
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.replace(".", "") for m in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]
    hits += [("bsn", d) for d in shapes if bsn_ok(d)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        elif raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        out.append((raw, d))
    return out


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


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio_cut = profile["pricing"]["alert_below_ratio"]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{w}: keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: post.{f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind {p.get('kind')}")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{w}: unknown platform {p['platform']!r} (treated as other)")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: bad created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: created_at not in 2026")
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
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{w}: severity {sev}, policy says {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: {raw} fails mod-97")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: negative {raw} passes mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: card {raw} invalid")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: negative card passes Luhn")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN fails 11-proof")
            if kind == "NOT_BSN" and bsn_ok(raw):
                errors.append(f"{w}: look-alike passes 11-proof")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in (r["used"] if r else [])) and not ids:
            errors.append(f"{w}: valid identifier not found by independent scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        if not cats:
            for v, ok in ibans_in(text):
                if ok and v != OWN_IBAN:
                    errors.append(f"{w}: benign has valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{w}: benign has Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d):
                    errors.append(f"{w}: benign has 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign has e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phones:
                    errors.append(f"{w}: benign has phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAIOSFODNN7EXAMPLE":
                        notes.append(f"{w}: benign quotes the AWS documentation example key (placeholder)")
                        continue
                    errors.append(f"{w}: benign has secret-like {name}")
            low = squash(text)
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    (notes if word in MILD_OK and "mild-word" in tags else errors).append(
                        f"{w}: benign has {word!r}")
        sq, nt = squash(text), norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before until, no leak.confidential")
                if ts >= until and "leak.confidential" in cats and "embargo-before" in tags:
                    errors.append(f"{w}: tagged embargo-before but at/after until")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < ratio_cut:
            (notes if "price-context" in tags else errors).append(
                f"{w}: benign, amount at {ratio:.2f} of a mentioned product's list price (tags {sorted(tags)})")
        if "leak.pricing" in cats:
            talk = any(x in sq for x in PRICE_TALK)
            if not (ratio is not None and ratio < ratio_cut):
                errors.append(f"{w}: leak.pricing without an amount below {ratio_cut} of list price")
            elif not talk:
                notes.append(f"{w}: leak.pricing by ratio {ratio:.2f} alone, no error talk")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_WORDS.search(text):
            errors.append(f"{w}: leak.secret without a secret shape or password word")
    # near duplicates
    def sh(t):
        ws = re.findall(r"\w+", norm(t))
        return {tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))}
    shs = [(n, sh(p["text"])) for n, p, *_ in parsed]
    for i in range(len(shs)):
        for j in range(i + 1, len(shs)):
            a, b = shs[i][1], shs[j][1]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errors.append(f"lines {shs[i][0]} and {shs[j][0]}: near duplicates")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            checks = {"IBAN": (s_iban.is_valid, True), "BAD_IBAN": (s_iban.is_valid, False),
                      "CARD": (s_luhn.is_valid, True), "BAD_CARD": (s_luhn.is_valid, False),
                      "BSN": (s_bsn.is_valid, True), "NOT_BSN": (lambda v: s_bsn.is_valid(v.zfill(9)), False)}
            k = "IBAN" if kind.startswith("IBAN_") else "BAD_IBAN" if kind.startswith("BAD_IBAN") else kind
            if k in checks:
                n += 1
                fn, want = checks[k]
                if fn(raw) != want:
                    bad.append((kind, raw))
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    total = len(parsed)
    by_cat, by_lang, by_role, by_sev, by_plat, cat_lang, cat_role = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"] if r else "?"
        by_lang[lang] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        if not cats:
            benign += 1
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", lang)] += 1
            cat_role[("(benign)", role)] += 1
        multi += len(cats) > 1
        evasion += bool(r and "evasion" in r["tags"])
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, lang)] += 1
            cat_role[(c, role)] += 1
    print(f"cases: {total}  benign: {benign}  positive: {total - benign}  multi-category: {multi}  "
          f"evasion: {evasion}")
    print(f"\n{'category':26s} total    nl    en  corp   emp   pub")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"{c:26s} {by_cat[c]:5d} {cat_lang[(c, 'nl')]:5d} {cat_lang[(c, 'en')]:5d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("\nlanguage:", dict(by_lang), " role:", dict(by_role))
    print("severity:", {s: by_sev[s] for s in SEVERITIES})
    print("platform:", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    report(parsed)
    if args.notes:
        print("\nnotes:")
        for x in notes:
            print("  " + x)
    print(f"\n{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
