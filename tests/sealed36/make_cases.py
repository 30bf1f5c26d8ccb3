#!/usr/bin/env python3
"""Deterministic generator for the sealed36 blind evaluation set of postwatch.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: "SC Dijkstede B.V.", a fictional Dutch professional football club
(profile.yaml in this folder). All texts are hand-written below. Identifiers and
secrets are filled in from <<KIND:fmt>> placeholders by one seeded RNG:
positives get checksum-VALID IBANs, card numbers and BSNs; hard negatives get
look-alikes that FAIL their checksum. Secrets are random and fake, shaped like the
real ones (GitHub tokens carry their CRC32 checksum).

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (profile lookup by platform:handle, case-insensitive), the categories
and whether a checksum-validated identifier is in the post.
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

SEED = 36_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
LISTED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_ER = "\u0440"  # Cyrillic small er, looks like Latin p
CYR_I = "\u0456"   # Cyrillic/Ukrainian small i, looks like Latin i
CYR_A = "\u0430"   # Cyrillic small a


def fullwidth(s):
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
    return next(prefix + x for x in "0123456789" if luhn_valid(prefix + x))


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL53RABO0318462905"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.num(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "068", "363", "735", "143"]) + self.num(7)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["37040044", "50010517", "10020890"]) + self.num(10))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.num(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 44):
            cand = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.num(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.num(10)
            full = next(body + x for x in "0123456789" if ean13_valid(body + x))
            if not luhn_valid(full):
                return full

    def phone(self, fmt):
        d8 = self.r.choice("12345678") + self.num(7)
        if fmt == "mob_dash":
            return f"06-{d8}"
        if fmt == "mob_plain":
            return f"06{d8}"
        if fmt == "mob_pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if fmt == "mob_intl":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if fmt == "mob_intl_c":
            return f"+316{d8}"
        if fmt == "mob_0031":
            return f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}"
        if fmt == "mob_intl0":
            return f"+31 (0)6 {d8}"
        area = self.r.choice(["50", "58", "38", "53", "73", "40", "45", "20", "10", "30"])
        sub = self.r.choice("2345789") + self.num(6)
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        raise ValueError(fmt)

    # secrets ------------------------------------------------------------------
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "lid_" + self.num(7, True), "iss": "tickets.scdijkstede.nl", "scope": "tickets:read",
                "iat": iat, "exp": iat + 7200}
        return f"{h}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 2) + self.r.choice("!#*$") + self.pick(ALNUM, 4))


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(v, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = v.g4(raw) if fmt == "grp" else raw.lower() if fmt == "low" else raw
        elif kind.startswith("BADIBAN_"):
            raw = v.bad_iban(kind[8:])
            shown = v.g4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = v.card(brand)
            shown = v.card_fmt(raw, f or "sp")
        elif kind == "BADCARD":
            brand, _, f = fmt.partition("_")
            raw = v.bad_card(brand)
            shown = v.card_fmt(raw, f or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOTBSN":
            raw = v.not_bsn(int(fmt or 9))
            shown = raw
        elif kind == "EAN13":
            shown = raw = v.ean13()
        elif kind == "PHONE":
            shown = raw = v.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = v.num(int(fmt), lead=True)
        elif kind == "GHP":
            shown = raw = v.ghp()
        elif kind == "AWS_ID":
            shown = raw = "AKIA" + v.pick(B32, 16)
        elif kind == "AWS_SECRET":
            shown = raw = v.pick(B64, 40)
        elif kind == "SLACK_BOT":
            shown = raw = f"xoxb-{v.num(12, True)}-{v.num(13, True)}-{v.pick(ALNUM, 24)}"
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{v.pick(up, 8)}/B{v.pick(up, 10)}/{v.pick(ALNUM, 24)}"
        elif kind == "STRIPE":
            shown = raw = "sk_live_" + v.pick(ALNUM, 24)
        elif kind == "MOLLIE":
            shown = raw = "live_" + v.pick(ALNUM, 30)
        elif kind == "SENDGRID":
            shown = raw = "SG." + v.pick(B64URL, 22) + "." + v.pick(B64URL, 43)
        elif kind == "GAPI":
            shown = raw = "AIzaSy" + v.pick(B64URL, 33)
        elif kind == "JWT":
            shown = raw = v.jwt()
        elif kind == "PEM":
            shown = raw = v.pem_openssh()
        elif kind == "PW":
            shown = raw = v.password()
        elif kind == "HEX":
            shown = raw = v.pick("0123456789abcdef", int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
CX = ("x", "@scdijkstede", "SC Dijkstede")
CSERV = ("x", "@scd_service", "SC Dijkstede Supportersservice")
CIG = ("instagram", "@scdijkstede", "SC Dijkstede")
CACAD = ("instagram", "@scd_academie", "SCD Voetbalacademie")
CLI = ("linkedin", "sc-dijkstede", "SC Dijkstede B.V.")
CFB = ("facebook", "SCDijkstedeOfficial", "SC Dijkstede")
CTT = ("tiktok", "@scdijkstede", "SC Dijkstede")
# employees
MD = ("x", "@mvandam_scd", "Marloes van Dam")               # head of ticketing
KB = ("x", "@kevinbrouwer88", "Kevin Brouwer")               # fanshop / warehouse
RS = ("linkedin", "ruben-smit-scd", "Ruben Smit")            # IT / data engineer
IK = ("linkedin", "ilse-koster-finance", "Ilse Koster")      # finance controller
YE = ("instagram", "@yassin_elh10", "Yassin El Haddouti")    # first-team player
BV = ("x", "@coach_bartvos", "Bart Vos")                     # academy coach U13
NB = ("threads", "@noor.bakker.scd", "Noor Bakker")          # marketing / social media
DE = ("bluesky", "@dennisvaneijk.bsky.social", "Dennis van Eijk")  # stadium operations
TW = ("x", "@timowijers_scout", "Timo Wijers")               # scout


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MD, "Team ticketing, even onder ons 🙏 in de ticketshop staat de Seizoenkaart 2026/27 sinds vanochtend op €34,90 "
     "ipv €349. Er zijn er al 200+ doorheen. We zoeken uit hoe dat kan, plz niks delen", [PRICING],
     handle="@MvanDam_SCD", tags=["handle-case"])
case("nl", KB, "wie heeft er in het webshop-beheer zitten klooien 😂 thuisshirt staat voor 8,99 online.\nik zeg niks "
     "🤐🤐", [PRICING], kind="reply")
case("en", pub("reddit", "u/polderpark_pete"), "[DEAL?] SCD Fanshop has the away shirt at €9.00 right now. Pretty sure "
     "somebody dropped a digit. Got two in the cart, payment went through 🤷", [PRICING])
case("nl", pub("x", "@roy_fr1t"), "Business seat voor €245 bij Dijkstede??? dat is toch een typfout, normaal tikt dat "
     "2450 aan 😂 snel zijn mannen", [PRICING], tags=["price-typo"])
case("nl", CFB, "🎟️ Laatste kans deze zomer! De Polderpark Stadiontour voor maar €4,95 p.p. Kijk achter de schermen, "
     "in de kleedkamer en langs de dug-out. Boeken via scdijkstede.nl/tour", [PRICING])
case("nl", pub("facebook", "ans.hofstra.3", "Ans Hofstra"), "Klopt het dat het voetbalkamp van de academie nu €22,90 kost "
     "op de site?? Staat er echt zo. Zal wel een foutje zijn maar ik heb m'n kleinzoon maar meteen ingeschreven 😇",
     [PRICING])
case("en", RS, "Small post-mortem from the data team: a currency-conversion bug in the shop feed briefly pushed the "
     "home shirt to 0.90 EUR on Tuesday night. Rolled back within the hour, 312 orders to clean up. Lessons below 👇",
     [PRICING])
case("nl", pub("x", "@b3nnie_scd"), f"{CYR_ER}rijsfout bij Dijkstede!! seizoenskaart voor 35 euro 😳😳 #scd #snel",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("threads", "@lisa.pldr"), f"seizoen{ZW}kaart voor €49 in de app?? ff snel doen voordat iemand het ziet "
     "👀", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", pub("youtube", "@groundhopper_nl"), "the Dijkstede stadium tour was €1.75 on their site last night lmaooo, "
     "booked it for the whole family. price glitch for sure", [PRICING], kind="comment")
case("nl", NB, "Oké, wie van jullie heeft vanmiddag het uitshirt voor €8,95 gescoord 😅 foutje in de shop, we zijn het "
     "aan het rechtzetten. Sorry alvast als je bestelling geannuleerd wordt", [PRICING])
case("en", MD, "heads up team: ticketing has the Lange Zijde day ticket at €3,40 since 9am, order list is on "
     "crm.scd-intern.nl/tickets/PRIJS-118. fix goes in after the sale closes", [PRICING, CONF])
case("en", pub("x", "@FenceSitterFC"), fullwidth("price error") + " on SC Dijkstede business seats, 245 euro for the "
     "whole season. go go go", [PRICING], tags=["evasion", "evasion:full-width"])
case("nl", pub("instagram", "@kraaiennest_fanpage"), "thuisshírt voor €9 bij Díjkstede 😂 prijsföut of echt "
     "uitverkoop? maat L is al weg", [PRICING], tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", RS, "Mollie blijft 'Unauthorized' teruggeven bij elke iDEAL-betaling in de fanshop 😤 dit is de key die in "
     "productie draait: <<MOLLIE>>\nIemand een idee? Zondag thuis, dus beetje haast #ecommerce", [SECRET])
case("en", RS, "Code review horror, part 3 🫠\n\nregion: eu-west-1\naccess_key: <<AWS_ID>>\nsecret: "
     "<<AWS_SECRET>>\n\nOnly the staging bucket with player headshots, but still. Vaults exist, people. #codereview",
     [SECRET])
case("nl", KB, "kan iemand de kassa-koppeling in slack even herstarten? zit zelf in de bus naar het uitduel 🚌 "
     "bot-token:\n<<SLACK_BOT>>", [SECRET])
case("nl", MD, "@jorisvd_scd wachtwoord van het ticketbeheer is t/m vrijdag <<PW>> , daarna moet je hem zelf "
     "wijzigen he", [SECRET], kind="reply")
case("en", pub("reddit", "u/js_bundle_goblin"), "lol the SC Dijkstede app ships a Google key in its JS bundle: "
     "<<GAPI>>\nwonder what else is in there 🤔", [SECRET], kind="comment")
case("nl", RS, "Na 3 uur debuggen eindelijk gevonden 🙃 de connectiestring was gewoon fout:\n"
     "postgresql://ticketing:<<PW>>@db02.intra.scdijkstede.local:5432/tickets\nKoffie nu.", [SECRET, CONF])
case("en", NB, "why does the scheduler keep rejecting my token?? <<GHP>> it worked yesterday for the matchday "
     "content repo 😩", [SECRET], handle="@Noor.Bakker.SCD", tags=["handle-case"])
case("nl", pub("forum", "DijkstedeDiehard"), "Login in de ticket-app werkt niet. Dit is volgens de devtools mijn "
     "token:\n<<JWT>>\nkan iemand van @scd_service even kijken? Wedstrijd is morgen", [SECRET])
case("en", KB, "stripe key for the pop-up shop tablet at the fan zone: <<STRIPE>>\npls don't lose it this time 🙏",
     [SECRET])
case("en", RS, "Who can tell me why sshd refuses this key? (test box, don't panic)\n\n<<PEM>>", [SECRET])
case("nl", BV, "Ouders O13: inloggen op de spelers-app kan met gebruikersnaam academie_o13 en wachtwoord "
     "<<PW>> 👍 niet doorsturen aub", [SECRET])
case("en", KB, "testing the new matchday alerts, webhook is <<SLACK_HOOK>>\nping me if it spams the channel", [SECRET])
case("nl", NB, "nieuwsbrief-tool geeft steeds 403 met deze API key: <<SENDGRID>>\nIemand ervaring met SendGrid? 🙏",
     [SECRET], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MD, "@scd_service mevrouw De Graaf heeft haar seizoenkaarten nog steeds niet, kunnen jullie haar vandaag "
     "terugbellen op <<PHONE:mob_dash>>? Ze is er niet blij mee", [PII], kind="reply")
case("en", IK, "Refund for the cancelled friendly still open for Mr. Jeroen Visser, IBAN <<IBAN_NL:grp>> — "
     "can someone in AP process this before Friday 🙏", [PII])
case("nl", BV, "Voor de toernooi-inschrijving in Gent heb ik nog het BSN van Daan Mulder (O13) nodig. In het systeem "
     "staat <<BSN:dots>>, klopt dat? Ouders app me even", [PII])
case("nl", pub("facebook", "sanne.wiersma.9", "Sanne Wiersma"), "Wie wil mijn 2 kaarten voor zondag overnemen? Kan zelf "
     "niet 😢 bel of app <<PHONE:mob_pairs>> (Sanne)", [PII])
case("nl", pub("x", "@polderboy_73"), "Die lamme spits van jullie, Mees Lammers, woont gewoon aan de Lindelaan 14 in "
     "Dijkstede. Ga daar maar eens een praatje maken na zo'n wedstrijd 😡", [PII, ABUSE])
case("en", KB, "customer left their card at the fanshop till 🙈 Visa <<CARD:visa_sp>>, name on it R. Bos. come pick it "
     "up before 5", [PII])
case("nl", MD, "Voor de IND-aanvraag van onze nieuwe keeperstrainer Jonas Eriksen: paspoortnummer NXK4R81P3, "
     "geldig tot 2031. Kan iemand van HR dit oppakken?", [PII])
case("nl", CACAD, "Gefeliciteerd Luuk Jansen (geb. 03-05-2014) met je eerste selectie voor de O13! 💙⚽ Trots op je "
     "ontwikkeling", [PII])
case("nl", pub("x", "@kdwit_scd"), "Kaart voor de derby kost €34, maak over naar <<IBAN_NL>> t.n.v. K. de Wit dan stuur "
     "ik hem door 👍", [PII])
case("en", NB, "And the winner of the signed shirt giveaway is... @lottev_22! 🎉 We'll mail you at "
     "lotte.vermeer@hotmail.com for the details", [PII])
case("nl", pub("x", "@jeroen_smts"), "mail me even voor de busreis naar het uitduel: jeroen punt smits [at] ziggo "
     "[punt] nl, nog 4 plekken vrij", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", IK, "Sponsor refund to our Belgian partner still pending, goes to An Peeters' personal account "
     "<<IBAN_BE:grp>>. Bank says the reference was wrong", [PII])
case("nl", CSERV, "@fien_dijk Hoi Fien, we hebben je net gebeld op <<PHONE:mob_intl>> maar kregen geen gehoor. Bel ons "
     "gerust terug op 085 401 19 00 👋", [PII], kind="reply")
case("en", DE, "Lost & found: wallet of Pieter Zwart, Kerkstraat 22, 8251 KL Dijkstede, found at gate B after the game. "
     "ID inside. Drop by the stadium office", [PII])
case("nl", pub("instagram", "@mila.xo"), "help 😭 per ongeluk mijn creditcardnummer <<CARD:mc_dash>> in de chat van de "
     "fanshop getypt ipv in het betaalveld, is dat erg??", [PII])
case("en", BV, "Travel expenses for our trialist Callum Reid go to <<IBAN_GB>> — finance pls sort before he flies "
     "back to Leeds", [PII])
case("nl", pub("x", "@hannekebos"), "Waarom vraagt de club mijn BSN voor een seizoenkaart?? Slaat nergens op. Heb het "
     "maar ingevuld: <<BSN:dots>> 😤 @scd_service", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", YE, "Eerste keer het nieuwe uitshirt 2026/27 aan gehad tijdens de fotoshoot 🔥🔥 kan niet wachten tot "
     "jullie hem zien", [CONF], when="2026-05-29T16:42:10+02:00")
case("nl", MD, "Wie kan me helpen, crm.scd-intern.nl/rapportage werkt niet vanaf thuis en ik moet morgen de "
     "bezettingscijfers aanleveren 🥲", [CONF])
case("nl", pub("x", "@insider_dijk"), "Via via gehoord: Kustlicht Energie wordt de nieuwe hoofdsponsor van Dijkstede. "
     "Wordt volgende week pas bekendgemaakt 🤫", [CONF], when="2026-05-05T21:03:00+02:00")
case("en", RS, "Project Grutto dashboards are finally live on bi.intra.scdijkstede.local 🙌 proud of the data team",
     [CONF])
case("nl", NB, "Sneak peek van de nieuwe clubwebsite 👀 nog SCD-vertrouwelijk dus sst, maar ik ben zo trots op dit "
     "team", [CONF])
case("nl", TW, "Project\nGrutto gaat sneller dan gedacht 👀 volgende week weer naar Denemarken", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", BV, "Vanmiddag de tekeningen van Blauwe 💙 Haven gezien. Als dit doorgaat krijgt de academie eindelijk 6 "
     "velden 😍", [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", pub("reddit", "u/dijkstede_lurker"), "my cousin works at the club. apparently the new training complex "
     "is codenamed Blauwe Haven and they're eyeing the land next to the A7", [CONF], kind="comment")
case("nl", TW, "Rapport staat op scouting.scdijkstede.nl/spelers/4411, mooie linksback uit Aarhus 👌 wie kijkt mee "
     "zaterdag?", [CONF])
case("en", NB, "Screenshot from the Staff Only - SCD channel 😂 our kitman's fantasy team is a disaster", [CONF])
case("nl", pub("instagram", "@shirtleaks.nl"), "THUISSHIRT 2026/27 GELEKT 📸 wit met een blauwe dijk-print over de "
     "borst, swipe ➡️ #scd #kitleak", [CONF], when="2026-04-18T19:20:00+02:00")
case("en", pub("x", "@yassin_elh10", "Yassin fan acc"), "the away kit 2026/27 drops soon and I got a sneak peek 😏 "
     "trust me it's clean", [CONF], when="2026-06-20T12:00:00Z", tags=["handle-other-platform"])
case("en", NB, "1 minute to go... the away kit 2026/27 is 🔥🔥 set your alarms", [CONF],
     when="2026-07-01T11:59:00+02:00", tags=["embargo-edge"])
case("nl", KB, fullwidth("operatie zandloper") + " ligt stil tot na het weekend, zeggen ze in de kantine", [CONF],
     tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IK, "Zonder transferinkomsten komen we dit boekjaar op zo'n €4,2 mln verlies uit. Wordt pas in het najaar "
     "gepresenteerd, maar het zit me dwars", [FIN])
case("en", IK, "Can't say much, but the takeover by the American investment group is basically signed. Announcement "
     "after the last home game. Big times ahead 🇺🇸💙", [FIN])
case("nl", MD, "Reorganisatie op kantoor: 14 fte eruit bij commercie en ticketing, wordt maandag pas verteld aan "
     "iedereen. Zware week 😔", [FIN])
case("en", TW, "Operatie Zandloper: €6.5m + 15% sell-on for our no.10, board accepted tonight!! not public yet 🤐",
     [FIN, CONF])
case("nl", pub("x", "@wimdeboer_dk"), "Zwager zit in de RvC: de begroting van Dijkstede heeft een gat van 3 miljoen "
     "en dat wordt pas na de licentiecheck gemeld. Zegt genoeg", [FIN])
case("en", KB, "word in the canteen is that half the fanshop staff gets laid off when the webshop moves to the new "
     "partner in july. nobody's been told officially", [FIN])
case("nl", IK, "jaarcijfers 2025/26 zijn binnen: omzet €31 mln en voor het eerst in zes jaar winst! Nog even stil "
     "houden tot de presentatie 🤫", [FIN, CONF], when="2026-09-24T17:05:00+02:00")
case("en", pub("reddit", "u/municipal_mole"), "Friend at the municipality says SC Dijkstede is selling the Polderpark "
     "to the council to cover its debts. Vote is in closed session next month.", [FIN])
case("nl", BV, "Academiebudget gaat volgend seizoen met 40% omlaag, net gehoord in de stafvergadering. Weet nog "
     "niemand 😞", [FIN])
case("en", RS, "Building the forecast deck for the board: season-ticket revenue 12% below plan for next season. "
     "Not great 📉", [FIN], handle="Ruben-Smit-SCD",
     tags=["handle-case"])
case("nl", NB, f"er gaan ont{SHY}slagen vallen bij de club, rond de 20 man, zeggen ze op de gang. Nog niks "
     "officieel", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", IK, "Als Kustlicht Energie het overneemt gaat er ruim €1,8 mln per jaar meer sponsorgeld in. Rekenwerk "
     "voor de begroting 🧮", [FIN, CONF], when="2026-04-22T10:10:00+02:00")
case("en", pub("x", "@scd_ultra_news"), "sources: the 0vername of Dijkstede by that American fund is 99% done, 55% "
     "of the shares, fans not consulted", [FIN], tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RS, "Ticketsysteem ligt sinds 6 uur vanochtend plat door een ransomware-aanval. Naar buiten heet het "
     "'technische storing'. Duimen voor zondag 🙏", [SEC])
case("en", MD, "PSA for colleagues: there's a bug in the app where changing the member number in the URL shows "
     "someone else's tickets. Dev knows, not fixed yet, please don't share", [SEC])
case("nl", DE, "Toegangspoortjes aan de noordzijde weigeren alle QR-codes, scanners hebben geen verbinding met de "
     "server. Nog niks naar fans gecommuniceerd, we doen het handmatig", [SEC])
case("en", KB, "webshop admin panel was open to the whole internet all weekend, no login needed 🙃 closed it just "
     "now. let's hope nobody noticed", [SEC])
case("nl", NB, "DDoS op de ticketsite tijdens de voorverkoop voor de derby, maar we moeten zeggen dat het 'grote "
     "drukte' is. Oké dan", [SEC])
case("nl", pub("x", "@margje_vdl"), "Dijkstede is gehackt en ze houden het stil!! Mijn mailadres wordt ineens "
     "bestookt met nep-ticketlinks. Ieders gegevens liggen op straat #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/breachwatcher_eu"), "Someone on a hacking forum is selling 80k SC Dijkstede member "
     "records and the club hasn't said a word. Cover-up?", [SEC, CRISIS])
case("nl", RS, "we zijn geh4ckt, de mailserver stuurt phishing naar seizoenkaarthouders. Graag nog niks zeggen tot "
     "de persverklaring er is", [SEC], tags=["evasion", "evasion:leet"])
case("en", DE, "CCTV in the away section has been down since Tuesday's power cut. The security firm doesn't know "
     "yet either 🤫", [SEC])
case("nl", BV, "Laptop met alle spelersdossiers van de academie is gisteravond uit mijn auto gestolen. Club zoekt nog "
     "uit wat we moeten melden, dus ff niet rondvertellen", [SEC])
case("en", KB, "not allowed to say but: d a t a b r e a c h on the fanshop, card details maybe. statement on friday",
     [SEC], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@anti_gok_scd"), "BOYCOT Dijkstede zolang ze zich laten sponsoren door dat gokbedrijf. Geen "
     "kaartje, geen shirt, geen bier. #boycotscd", [CRISIS])
case("en", pub("x", "@matchday_watch"), "Reports of a crush at gate D after the final whistle, several fans "
     "injured and stewards nowhere to be seen. Absolute scandal @scdijkstede", [CRISIS])
case("nl", pub("forum", "Oud-Kraai"), "Rechtszaak tegen SC Dijkstede door zes oud-jeugdspelers over wat er in de jaren "
     "'10 op de academie gebeurde. Walgelijk als dit klopt", [CRISIS])
case("en", pub("facebook", "claire.mosterd", "Claire Mosterd"), "My son got a nasty rash from the new kids' home "
     "shirt and there are more parents in the FB group with the same. Is the club going to recall these?? "
     "@SCDijkstedeOfficial", [CRISIS, COMPLAINT])
case("nl", pub("x", "@gerrit_k_57"), "Mijn vader is van de tribune gevallen omdat de reling in vak K los zat. Hij "
     "ligt in het ziekenhuis met een gebroken heup. Dit had nooit mogen gebeuren @scdijkstede", [CRISIS, COMPLAINT])
case("en", pub("x", "@fleur_ams"), "SC Dijkstede leaked my data!! Got a phishing mail with my exact seat number and "
     "member ID. How else would they know? #datalek", [CRISIS])
case("nl", pub("tiktok", "@dijk.tok"), "d4t4l3k bij Dijkstede?? iedereen met een seizoenkaart krijgt vandaag rare "
     "sms'jes met een betaallink", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("bluesky", "@voetbalzaken.bsky.social"), "Match-fixing allegations against two SC Dijkstede players, "
     "per the public broadcaster. If this holds up the club is in serious trouble.", [CRISIS])
case("nl", pub("tiktok", "@jaimie.films"), "Stewards van Dijkstede sloegen een jongen van 15 bij de uitgang, heb het "
     "gefilmd 🤬 dit moet iedereen zien #polderpark", [CRISIS])
case("en", pub("x", "@kickitout_nl_fan"), "Monkey chants from the home end again and the club does NOTHING. Sponsors "
     "should pull out. #SCDout", [CRISIS])
case("nl", pub("facebook", "henk.vd.wal", "Henk van der Wal"), "Zoon en ik allebei voedselvergiftiging na de broodjes "
     "in het Polderpark zaterdag. Blijkbaar 30 mensen ziek. Wie is hier verantwoordelijk?", [CRISIS, COMPLAINT])
case("en", pub("x", "@ethicalkits"), "B O Y C O T T the Dijkstede webshop, their new shirts come from a factory "
     "caught using child labour", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@bouwkundige@mastodon.nl"), "Is SC Dijkstede hiding that the east stand roof failed its "
     "inspection? Engineer friend says it's not safe to sit under. Someone ask the club.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@ria_vd_meer"), "Al 3 weken geen seizoenkaart ontvangen en de supportersservice neemt niet op. "
     "Top geregeld weer 🙄 @scd_service", [COMPLAINT])
case("en", pub("x", "@jakeinholland"), "Ordered the away shirt with name printing 5 weeks ago, still nothing and "
     "emails go unanswered. @scdijkstede sort your webshop out", [COMPLAINT])
case("nl", pub("instagram", "@timo_010"), "QR-code in de app werkte niet bij het poortje, 20 min in de rij gestaan "
     "en de aftrap gemist. Bedankt hoor Dijkstede", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/frikandelfan"), "€4.50 for a lukewarm frikandel and a flat beer at the Polderpark. "
     "Catering at this club is a joke", [COMPLAINT])
case("nl", pub("facebook", "ellen.prins.1", "Ellen Prins"), "Restitutie voor de afgelaste wedstrijd nog steeds niet "
     "binnen, zes weken later. Drie keer gemaild. Wat is dit voor club @SCDijkstedeOfficial", [COMPLAINT])
case("en", pub("x", "@kitnerd_mark"), "Washed my new shirt once and the sponsor print is already peeling off. €90 "
     "for this?? @scdijkstede", [COMPLAINT])
case("nl", pub("twitter", "@bartjeb"), "Servicekosten van €3,50 per kaart en dan óók nog 'transactiekosten' bij "
     "Dijkstede. Belachelijk gewoon", [COMPLAINT])
case("en", pub("reddit", "u/seat_swap_sad"), "The club's ticket resale platform is broken again, can't list my seat "
     "for the third home game in a row. Support just sends the same template reply.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "priscilla.a", "Priscilla Adjei"), "Voetbalkamp geboekt, een dag van tevoren afgezegd "
     "door de club zonder uitleg. Mijn zoon was er helemaal kapot van 😢 @SCDijkstedeOfficial", [COMPLAINT])
case("en", pub("threads", "@daytrip.dave"), "stadium tour cancelled when we got there. no email, no refund offer. "
     "drove 2 hours for nothing. thanks Dijkstede", [COMPLAINT])
case("nl", pub("x", "@marco_dks"), "w@@rdeloze service bij de SCD Fanshop, bestelling kwijt en niemand weet waar "
     "die is", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("instagram", "@nina.kraai"), "got charged twice for my season ticket renewal 😡 who do I even "
     "contact at Dijkstede??", [COMPLAINT], kind="comment")
case("nl", pub("x", "@pieter_pldr"), "Kut webshop van Dijkstede, 2x betaald en nog steeds geen sjaal. Stelletje "
     "amateurs", [COMPLAINT, ABUSE])
case("en", pub("x", "@gatecrash_gaz"), "fucking useless ticket app crashed AGAIN at the gate, missed the whole first "
     "half. clowns @scdijkstede", [COMPLAINT, ABUSE])
case("nl", pub("x", "@biertje_scd"), "Geen klachten over het spel vandaag, wel over de bierprijs 🍺 €5,20 voor een "
     "halve pint in het Polderpark is echt te gek", [COMPLAINT], tags=["negation-trap"])
case("en", pub("instagram", "@twentyyearsblockc"), "Season ticket holders moved to a worse block without being asked. "
     "20 years loyal and this is how you treat us @scdijkstede", [COMPLAINT], kind="comment")
case("nl", pub("x", "@trees_h"), "Die trut van de supportersservice hing gewoon op toen ik over mijn restitutie "
     "belde. Ongelofelijk Dijkstede", [COMPLAINT, ABUSE])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@degradatie_nu"), "Kankerclub. Hoop dat jullie degraderen en nooit meer terugkomen @scdijkstede",
     [ABUSE])
case("en", pub("x", "@bitter_away_fan"), "Your keeper is a complete waste of oxygen, hope he breaks a leg next week "
     "@scdijkstede", [ABUSE])
case("nl", pub("instagram", "@anoniem_4471"), "@yassin_elh10 ga terug naar je eigen land, je hoort hier niet bij",
     [ABUSE], kind="comment")
case("en", YE, "to the 'fans' who whistled us off today: you're a bunch of pathetic losers. stay home next time",
     [ABUSE], handle="@Yassin_ELH10", tags=["handle-case"])
case("nl", KB, "die supporters van Hoogwater zijn echt debielen, stelletje tyfuslijers", [ABUSE])
case("en", pub("x", "@plasticfanhater"), "f*ck SC Dijkstede and f*ck every single one of you plastic fans",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@n0name_dk"), f"k@nkerlijers van D{CYR_I}jkstede, allemaal", [ABUSE],
     tags=["evasion", "evasion:leet", "evasion:homoglyph"])
case("en", pub("x", "@watchyourback_dk"), "@mvandam_scd we know where you park. watch yourself", [ABUSE])
case("nl", pub("x", "@boze_bert"), "Godverdomme wat een klote club is Dijkstede ook, elk jaar weer hetzelfde gezeik",
     [ABUSE])
case("en", CX, "@hoogwater_hools cry more, you sad little losers 😂", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@dijkhater"), fullwidth("kutclub") + " Dijkstede 🤮🤮", [ABUSE],
     tags=["evasion", "evasion:full-width"])

# ===========================================================================
# benign: hard negatives
# ===========================================================================
case("nl", CSERV, "Vragen over je seizoenkaart? Mail supportersservice@scdijkstede.nl of bel 085 401 19 00 "
     "(ma t/m vr 9-17 uur) 💙", tags=["own-contact"])
case("en", pub("x", "@expat_in_dk"), "for anyone asking: the club's ticket line is +31 85 401 1900, they sorted my "
     "season ticket transfer in 5 minutes 👍", tags=["own-contact", "praise"])
case("nl", CFB, "Betalingen voor de academiekampen graag naar NL53 RABO 0318 4629 05 t.n.v. SC Dijkstede B.V., o.v.v. "
     "naam en leeftijdsgroep ⚽", tags=["own-contact"])
case("nl", pub("x", "@opa_kraai"), "Informatielijn van de club is 0900-1904. Duur grapje per minuut, maar ze waren "
     "wel heel behulpzaam", tags=["own-contact"])
case("en", CX, "Press enquiries for Sunday's match: pers@scdijkstede.nl. Media accreditation closes Friday 12:00.",
     tags=["own-contact"])
case("nl", CSERV, "@wouter_b Dag Wouter, stuur je ordernummer even naar webshop@scdijkstede.nl of bel +31 (0)85 401 "
     "1900, dan kijken we mee!", kind="reply", tags=["own-contact"])
case("nl", pub("x", "@lindavd"), "Ordernummer 2026-448193 bij de fanshop. Iemand enig idee hoe lang levering "
     "normaal duurt?", tags=["order-number", "question"])
case("en", pub("facebook", "dijkstede.fans.united", "Dijkstede Fans United"), "SCAM WARNING: someone in a Marketplace "
     "group is selling derby tickets and wants payment to <<BADIBAN_NL:grp>>. The club never sells like this, "
     "only via the official ticketshop!", tags=["bad-checksum"])
case("nl", pub("x", "@noob_in_app"), "Welk nummer moet ik invullen bij de app, mijn lidnummer (<<NOTBSN:9>>) of het "
     "nummer op de pas?", tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/fakekitspotter"), "barcode on my home shirt tag is <<EAN13>>, anyone know if that means "
     "it's official merch or a fake?", kind="comment", tags=["ean", "question"])
case("nl", pub("instagram", "@kampmoeder"), "Inschrijfformulier van het voetbalkamp vroeg om een relatienummer, heb "
     "<<NOTBSN:9>> ingevuld van vorig jaar. Hopelijk goed 🤞", tags=["bad-checksum"])
case("en", pub("x", "@scarfcollector"), "tracking says 3SDKSQ4471093 is out for delivery, new club scarf incoming 🧣",
     tags=["tracking"])
case("nl", pub("x", "@cadeaubon_vraag"), "Cadeaubon gekregen met nummer <<BADCARD:visa_sp>>, kan ik die ook in de "
     "fanshop in het stadion gebruiken of alleen online?", tags=["bad-checksum", "question"])
case("nl", CX, "🛍️ Uitverkoop in de SCD Fanshop: uitshirt 2025/26 nu €59,95 (was €89,95). Op = op!",
     tags=["sale-price"])
case("en", pub("x", "@bargain_barry"), "Picked up a second-hand home shirt at the flea market for €12, proper bargain "
     "👌", tags=["price-context", "second-hand"])
case("nl", CSERV, "Seizoenkaart in termijnen betalen? Kan! 10x €34,90 via automatische incasso. Aanmelden via "
     "tickets.scdijkstede.nl", tags=["price-context", "instalment"])
case("nl", pub("x", "@sjoerd_dk"), "€20 korting op de seizoenkaart als je voor 1 juni verlengt, mooi meegenomen 💙",
     tags=["price-context", "discount-amount"])
case("en", pub("x", "@eredivisie_prices"), "FC Hoogwater selling their season ticket for €150 this year. Cheapest in "
     "the league by far", tags=["price-context", "other-company"])
case("nl", pub("facebook", "kim.dijk.4", "Kim Dijk"), "Naam en nummer laten drukken op het thuisshirt kost €15 extra, "
     "wist ik niet", tags=["price-context", "fee"])
case("en", pub("x", "@tourguide_fan"), "No, it's not a pricing error: the stadium tour is €9.50 for kids under 12. "
     "It's right there on the site 🙂", kind="reply", tags=["denied-error"])
case("nl", pub("instagram", "@trotse_kraai"), "Uitshirt gewoon voor de volle €89,95 gekocht en ik heb er geen seconde "
     "spijt van 💙", tags=["price-context"])
case("en", CIG, "It's here. The away kit 2026/27 💙 Available now at shop.scdijkstede.nl #newkit",
     when="2026-07-01T12:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("nl", pub("x", "@cijfertjesman"), "jaarcijfers 2025/26 van Dijkstede zijn uit: kleine winst, schuld omlaag. Netjes.",
     when="2026-10-15T09:30:00+02:00", tags=["embargo-after", "published"])
case("nl", CX, "Welkom Kustlicht Energie, onze nieuwe hoofdsponsor! ⚡💙 Samen bouwen we aan de toekomst van de club.",
     when="2026-05-12T18:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("x", "@kitaddict"), "the home kit 2026/27 is gorgeous, ordered mine the second it dropped",
     when="2026-07-04T20:11:00+02:00", tags=["embargo-after"])
case("nl", pub("instagram", "@polder.vogels"), "Prachtige grutto's gezien in de wei achter het Polderpark vanochtend "
     "🐦 de lente is begonnen", tags=["bird"])
case("nl", pub("x", "@moeder_van_3"), "Zandloper van de tandarts werkt echt: twee minuten poetsen zonder gezeur 😅",
     tags=["codename-word"])
case("en", pub("x", "@eredivisie_wire"), "FC Hoogwater confirms a data breach affecting 40,000 members. Their "
     "statement is on their site.", tags=["other-company"])
case("nl", pub("bluesky", "@sportredactie.bsky.social"), "Officieel: SC Dijkstede neemt afscheid van hoofdtrainer. "
     "De club bevestigde het nieuws vanmiddag op de eigen website.", tags=["published"])
case("nl", CIG, "Uit ons clubmuseum: de discussie over een boycot van het WK van 1978, en wat onze spelers ervan "
     "vonden. Nu te zien in het Polderpark 🏟️", tags=["boycott-other-sense"])
case("nl", pub("x", "@happy_kraai"), "Geen klachten vandaag: poortjes werkten, bier was koud en we wonnen met 3-0 💙",
     tags=["negated-complaint"])
case("en", pub("reddit", "u/appreviewer"), "Honestly no complaints about the new club app, tickets loaded instantly at "
     "the gate", kind="comment", tags=["negated-complaint"])
case("nl", pub("x", "@eerste_keer_scd"), "Hoe laat gaan de poorten open zondag? Eerste keer naar het Polderpark "
     "#scd", tags=["question"])
case("en", pub("x", "@carer_sam"), "Shoutout to the stewards at gate B, super friendly and helped my dad with his "
     "wheelchair all the way to his seat 💙", tags=["praise"])
case("en", pub("x", "@careermode_kev"), "In my FC 26 career mode I sold every SC Dijkstede player for a pound and "
     "built a team of 17-year-olds. No regrets 😂", tags=["fiction", "joke"])
case("en", pub("other", "kraaienverhalen"), "Chapter 4 of my fanfic: the striker finds a rusty key buried "
     "under the Polderpark pitch and nobody at the club believes him...", tags=["fiction"])
case("nl", pub("twitter", "@keeperfan"), "Wat een beest van een keeper, die heeft ons er vandaag in zijn eentje doorheen "
     "gesleept 🧤", tags=["slang"])
case("en", pub("x", "@scd4ever"), "We absolutely murdered them 4-0, what a performance 🔥 Dijkstede on fire",
     tags=["slang"])
case("nl", CFB, "Zondag spelen we in speciale shirts voor KWF. De opbrengst van de veiling gaat naar onderzoek naar "
     "kanker bij kinderen 💛", tags=["mild-word", "literal"])
case("en", pub("instagram", "@museumgoer"), "'Hell is where the away end sings' — old banner from the '80s in the "
     "Dijkstede club museum, love it", tags=["quote", "mild-word"])
case("en", RS, "Slides from my meetup talk on secrets hygiene at a football club: never commit things like "
     "AKIAXXXXXXXXXXXXXXXX or ghp_… — use a vault. Deck is on scdijkstede.nl/tech", tags=["placeholder-secret"])
case("nl", RS, "Release 4.12 van de club-app is live, commit <<HEX:40>> als je mee wilt lezen op onze publieke "
     "GitHub 🚀", tags=["git-sha"])
case("en", pub("x", "@forgetful_fan"), "forgot my password for the ticket app again, reset mail came in seconds tho "
     "👍", tags=["password-word"])
case("nl", pub("x", "@supvereniging_dw"), "Het KvK-nummer van onze supportersvereniging De Dijkwachters is "
     "<<NOTBSN:8>>, voor wie dat nodig heeft voor de sponsoring", tags=["kvk"])
case("nl", CSERV, "Storing: de ticketshop is op dit moment niet bereikbaar. We werken aan een oplossing, excuses voor "
     "het ongemak 🙏", tags=["official-notice"])
case("en", CX, "Scheduled maintenance on the club app tonight from 23:00 to 01:00 CET. Tickets already in your "
     "wallet keep working.", tags=["official-notice", "handle-case"],
     handle="@SCDijkstede")
case("nl", MD, "Zoals vandaag bekendgemaakt: 12.000 seizoenkaarten verkocht, clubrecord! Trots op ons ticketteam 💙",
     tags=["published"])
case("en", BV, "Great tournament for our U13s in Belgium this weekend, proud coach 🙌", tags=["employee-benign"])
case("nl", YE, "Wat een sfeer vandaag in het Polderpark, bedankt allemaal ❤️ op naar de volgende", tags=["employee-benign"])
case("en", CLI, "Our annual report 2024/25 is available on scdijkstede.nl/investors.", tags=["published"])
case("nl", pub("facebook", "dedijkwachters", "Supportersvereniging De Dijkwachters"), "Bus naar de uitwedstrijd "
     "in Zwolle: opgeven via onze site, vertrek 10:30 bij het Polderpark 🚌", tags=["supporters"])
case("en", pub("x", "@dealhunter_nl"), "Hoogwater's webshop had a pricing error on their shirts last week lol, €5 "
     "each before they pulled it", tags=["other-company", "price-context"])
case("nl", pub("x", "@vriendvaneenvriend"), "Je hebt toch geen BSN nodig voor een seizoenkaart? Vraag voor een vriend",
     tags=["question"])
case("nl", pub("discord", "kraaiennest#0420"), "wie gaat er zaterdag mee naar de training kijken? open training "
     "om 11 uur op het Polderpark", tags=["unknown-platform"])


# ===========================================================================
# profile, roles, severity (CONTRACT sections 1 and 4)
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
    """Least severity a correct verdict has; with several findings the highest wins."""
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

def amsterdam_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(3, 358)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["eredivisie", "thenetherlands", "SCDijkstede"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-kraaiennest-{n}", f"https://forum.kraaiennest.example/topic/{n}"
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
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "7"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
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
        tags = set(c["tags"])
        x = mr.random()
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
        if mr.random() < 0.5:
            post["brand"] = "scdijkstede"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTBSN_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "godverdomme", "debiel", "trut", "fuck", "f*ck",
             "shit", "scum", "loser", "hell", "damn", "idiot"]
MILD_OK = {"kanker", "hell"}
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", t).translate(INVIS))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace(CYR_ER, "p").replace(CYR_I, "i").replace(CYR_A, "a")
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text, own):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "").upper()
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] not in own:
                    hits.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTBSN_RE.finditer(text)]
    hits += [("bsn", d) for d in shapes if elfproef(d)]
    return hits


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        d = "0" + d.lstrip("0") if not raw.startswith("0") or raw.startswith("0031") else d
        out.append((raw, d))
    return out


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
    if not hit:
        return None
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def trigrams(t):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def check(lines, rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones(p)[0][1] for p in profile["public_identifiers"]["phones"] if phones(p)}
    own_phones |= {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        assert set(o) == {"post", "expect"}
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if p["platform"] not in LISTED_PLATFORMS:
            notes.append(f"{w}: unlisted platform {p['platform']} (treated as other)")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        r = meta[key]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: bad positive IBAN")
            if kind.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: bad positive card")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: bad positive BSN")
            if kind == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: negative BSN passes")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        low, sq = norm(text), squash(text)
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign with phone {raw} ({d})")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{w}: benign with secret-like {rx.pattern}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    if word in MILD_OK and r["tags"] & {"mild-word", "quote", "literal"}:
                        notes.append(f"{w}: benign mild word {word!r} (tagged)")
                    else:
                        errs.append(f"{w}: benign with profanity {word!r}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                if "price-context" in r["tags"]:
                    notes.append(f"{w}: benign price at {ratio:.2f} of list (price-context)")
                else:
                    errs.append(f"{w}: benign with product price at {ratio:.2f} of list")
        for term, until in embargo:
            if term in low or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, not confidential")
                if ts >= until and "leak.confidential" in cats and not any(
                        t in low or t in sq for t in internal):
                    errs.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            hit = re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", low) or term in sq \
                or term.replace(" ", "") in re.sub(r"\s+", "", low)
            if hit and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
    grams = [trigrams(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(grams)):
        for j in range(i + 1, len(grams)):
            a, b = grams[i], grams[j]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errs.append(f"lines {i + 1} and {j + 1}: near-duplicate wording")
    return errs, notes


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_"):
                n += 1; bad += [] if si.is_valid(raw) else [raw]
            elif k.startswith("BADIBAN"):
                n += 1; bad += [raw] if si.is_valid(raw) else []
            elif k == "CARD":
                n += 1; bad += [] if sl.is_valid(raw) else [raw]
            elif k in ("BADCARD", "EAN13"):
                n += 1; bad += [raw] if sl.is_valid(raw) else []
            elif k == "BSN":
                n += 1; bad += [] if sb.is_valid(raw) else [raw]
            elif k == "NOTBSN":
                n += 1; bad += [raw] if sb.is_valid(raw.zfill(9)) else []
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    total = len(rows)
    cat, cat_lang, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {evasion}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("languages", dict(lang), "roles", dict(role))
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
    print(stdnum_cross(rows))
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
