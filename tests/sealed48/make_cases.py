#!/usr/bin/env python3
"""Blind evaluation set 'sealed48' for postwatch: Rederij Wadlijn B.V. (Wadden ferries).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Deterministic (SEED below): running it again yields the same bytes.
Needs Python 3.9+ and PyYAML (to read profile.yaml).

Texts are hand-written in the CASES list. Structured identifiers are filled in from
[[KIND:fmt]] placeholders by a seeded RNG: positives get checksum-VALID values
(IBAN mod-97, Luhn, BSN 11-proof, GitHub token CRC32), near-miss negatives get values
that FAIL their checksum. All secrets are random and fake.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories and whether a checksum-validated identifier is in the post.
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

SEED = 48_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}
KINDS = {"post", "reply", "repost", "comment", "message"}
LISTED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZWSP = "\u200b"
SOFT = "\u00ad"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "A": "\u0410"}


def cyr(word, letters="aeo"):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters and ch in CYR else ch for ch in word)


def wide(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def spaced(s):
    return " ".join(s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    tot = sum(d[0::2]) + sum((x * 2 - 9 if x * 2 > 9 else x * 2) for x in d[1::2])
    return tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def imo_digit(six):
    return sum(int(six[i]) * (7 - i) for i in range(6)) % 10


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
UPN = string.ascii_uppercase + string.digits
B64C = string.ascii_letters + string.digits + "+/"
URLC = string.ascii_letters + string.digits + "-_"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B32C = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


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
        self.rng = random.Random(seed)

    def pick(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def num(self, n, lead=True):
        s = self.pick(string.digits, n)
        if lead and s[0] == "0":
            s = self.rng.choice("123456789") + s[1:]
        return s

    @staticmethod
    def grp(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
                               + self.num(10))
                if v != "NL14RABO0314725906":
                    return v
        if cc == "DE":
            return iban_build("DE", self.rng.choice(["12030000", "50070010", "43060967", "76026000"]) + self.num(10, False))
        if cc == "BE":
            head = self.rng.choice(["001", "063", "310", "734", "091"]) + self.num(7, False)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.rng.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.num(6, False) + self.num(8, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        good = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = good[:2] + f"{(int(good[2:4]) + step) % 100:02d}" + good[4:]
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.num(5, False),
                  "mc": "5" + self.rng.choice("12345") + self.num(4, False),
                  "mc2": str(self.rng.randint(2221, 2720)) + self.num(2, False),
                  "amex": self.rng.choice(["34", "37"]) + self.num(4, False)}[brand]
        length = 15 if brand == "amex" else 16
        body = prefix + self.num(length - len(prefix) - 1, False)
        for d in string.digits:
            if luhn_valid(body + d):
                return body + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.rng.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def show_card(v, fmt):
        if fmt == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # Dutch numbers
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.pick(letters, 2) + self.pick(letters + string.digits.replace("0", ""), 6) + self.num(1)

    def imo(self):
        six = "9" + self.num(5, False)
        return six + str(imo_digit(six))

    def bookref(self):
        return "WL-" + self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6)

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d = self.rng.choice("1234568") + self.num(7, False)
            return {"mob_dash": f"06-{d}",
                    "mob_plain": f"06{d}",
                    "mob_intl_sp": f"+31 6 {d[:4]} {d[4:]}",
                    "mob_0031": f"0031 6 {d}",
                    "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                    "mob_intl0": f"+31 (0)6 {d}",
                    "mob_compact": f"+316{d}"}[fmt]
        area = self.rng.choice(["0562", "0519", "0517", "0222", "0515"])
        sub = self.rng.choice("2345789") + self.num(5, False)
        if area == "0517" and sub == "760400":
            sub = "760401"
        return {"land_sp": f"{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
                "land_dash": f"{area}-{sub}",
                "land_intl": f"+31 {area[1:]} {sub[:3]} {sub[3:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(AN + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32C, 16)

    def aws_secret(self):
        return self.pick(B64C, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(AN, 24)}"

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def gapi(self):
        return "AIza" + self.pick(URLC, 35)

    def sendgrid(self):
        return "SG." + self.pick(URLC, 22) + "." + self.pick(URLC, 43)

    def jwt(self):
        head = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1780000000 + self.rng.randint(0, 9_000_000)
        body = {"sid": self.pick(string.hexdigits.lower()[:16], 24), "iss": "boeken.wadlijn.nl",
                "scope": "checkout", "iat": iat, "exp": iat + 1800}
        return head + "." + b64u(json.dumps(body, separators=(",", ":")).encode()) + "." + self.pick(URLC, 43)

    def azure(self):
        return ("DefaultEndpointsProtocol=https;AccountName=wlbackupprod;AccountKey="
                + self.pick(B64C, 86) + "==;EndpointSuffix=core.windows.net")

    def password(self):
        return (self.rng.choice(["Harl", "Wad", "Vlie", "Schol", "Griend", "Tsj"]) + self.pick(string.ascii_lowercase, 2)
                + self.num(2, False) + self.rng.choice("!#$*%") + self.pick(AN, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
NEAR_MISS = {"BADIBAN_NL", "BADIBAN_DE", "BADCARD", "BADBSN", "KVK"}
SLOT = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")


def fill(v, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        raw = None
        if kind.startswith("IBAN_"):
            raw = v.iban(kind[5:])
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = v.bad_iban(kind[8:])
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, f = fmt.partition("_")
            raw = v.card(brand) if kind == "CARD" else v.bad_card(brand)
            shown = v.show_card(raw, f or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "BADBSN":
            raw = shown = v.not_bsn(9)
        elif kind == "KVK":
            raw = shown = v.not_bsn(8)
        elif kind == "PASSPORT":
            raw = shown = v.passport()
        elif kind == "IMO":
            raw = shown = v.imo()
        elif kind == "BOOKREF":
            raw = shown = v.bookref()
        elif kind == "PHONE":
            raw = shown = v.phone(fmt)
        elif kind == "HEX":
            raw = shown = v.hexs(int(fmt))
        else:
            fn = {"GHP": v.ghp, "GLPAT": v.glpat, "AWS_ID": v.aws_id, "AWS_SECRET": v.aws_secret,
                  "SLACK_BOT": v.slack_bot, "MOLLIE": v.mollie, "GAPI": v.gapi, "SENDGRID": v.sendgrid,
                  "JWT": v.jwt, "AZURE": v.azure, "PW": v.password}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
W_X = ("x", "@wadlijn", "Rederij Wadlijn")
W_INFO = ("x", "@wadlijn_info", "Wadlijn Reisinfo")
W_IG = ("instagram", "@wadlijn.veerdienst", "Wadlijn")
W_FB = ("facebook", "RederijWadlijn", "Rederij Wadlijn")
W_LI = ("linkedin", "rederij-wadlijn", "Rederij Wadlijn B.V.")
W_TT = ("tiktok", "@wadlijn", "Wadlijn")
# employees
RK = ("x", "@kapitein_rienk", "Rienk Zijlstra")                 # captain
MW = ("x", "@marit_wadlijn", "Marit de Boer")                   # customer service
JH = ("linkedin", "joost-hiemstra-wadlijn", "Joost Hiemstra")   # IT, booking platform
IP = ("linkedin", "ilse-postma-wadlijn", "Ilse Postma")         # controller / finance
SD = ("instagram", "@sjoerd_op_de_boot", "Sjoerd Dijkstra")     # deckhand
AP = ("x", "@anouk_planning", "Anouk Visser")                   # crew planning
GV = ("facebook", "gerben.vracht", "Gerben van der Meer")       # freight, Harlingen
LT = ("threads", "@lotte.terminal", "Lotte Kuipers")            # terminal & parking Holwerd


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None, season=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint, season=season))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MW, "Eeeh collega's van e-commerce, kijken jullie even mee? autoretour Terschelling staat in de "
     "boekingsmodule voor €21,40 😳 volgens mij is er bij de tariefupload een nul weggevallen", [PRICING],
     season="summer")
case("en", pub("reddit", "u/ferry_frugal"), "Wadlijn currently has a car return Ameland for €14.25 (it's normally "
     "like 140). Booked for August. Either a glitch or the deal of the century, will update if they cancel 🤞",
     [PRICING])
case("nl", pub("facebook", "wietske.bouma.9", "Wietske Bouma"), "Klopt dit wel?? In de app staat de tienrittenkaart "
     "voor €18,90 🙃 heb er maar meteen twee gekocht, ben benieuwd of Wadlijn dat pikt", [PRICING], kind="post")
case("nl", W_INFO, "☀️ Zomerdeal! Weekparkeren Harlingen deze week voor maar €6,30 bij online reservering via "
     "boeken.wadlijn.nl 🚗 #harlingen #terschelling", [PRICING], season="summer")
case("en", JH, "Short notice for the team: the fare import of last night went sideways. For a couple of hours the "
     "Wadsnel retour was sold at €6,24 instead of €62,40. Sales channel is switched off now. Please don't discuss "
     "this on socials until finance has the numbers.", [PRICING])
case("nl", pub("x", "@bartjuh_lwd"), f"@wadlijn_info is dit een {spaced('prijsfout')}?? fietsretour voor €1,82 op "
     "jullie site 😂😂", [PRICING], kind="reply", tags=["evasion", "ev:spaced"])
case("nl", pub("tiktok", "@amelandmeisje"), "gratis naar ameland?? 🤯 autoretour Ameland €0,00 in de app, "
     "pr1jsf0ut van de eeuw #wadlijn #ameland #fyp", [PRICING], tags=["evasion", "ev:leet"])
case("en", pub("forum", "truckerbas"), "Anyone else seeing the truck single trip at €49,50 on the Wadlijn freight "
     "portal? Normally its 495. Booked 4 crossings for next week, lets see if their invoicing dept agrees 😅",
     [PRICING])
case("nl", AP, "Wie heeft er aan de tarieven in backoffice.wadlijn.nl gezeten? Retour Vlieland staat sinds 7 uur "
     "vanochtend op €3,14 🙄 ticket aangemaakt maar niemand neemt op", [PRICING, CONF])
case("en", pub("threads", "@noor.travels"), "is 3 euros for a return Vlieland a mistake or is Wadlijn just being nice "
     "today 👀 booking before they notice", [PRICING])
case("nl", GV, "Haha de vrachtwagenoverzet staat in het klantportaal voor 49,50 ipv 495 euro. Zeg maar niks "
     "tegen de klanten, morgen is het wel weer goed 🤐", [PRICING])
case("nl", pub("instagram", "@famvdlaan"), f"Autoretour {cyr('Terschelling', 'e')} voor €2,14 ??? zie story 👀 "
     "@wadlijn.veerdienst foutje bedankt 🙏", [PRICING], tags=["evasion", "ev:homoglyph"])
case("en", pub("x", "@dealsNL_en"), "Wadlijn error fare alert 🚨 fast ferry return listed at €9.99 on the English "
     "version of the site. Screenshotted it before it disappears", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", JH, "Tip for anyone automating GitLab: don't do what I did this morning 🙈\n\n"
     "git clone https://oauth2:[[GLPAT]]@gitlab.wadlijn.nl/booking/fare-engine.git\n\n"
     "ended up in a public gist for ~20 minutes. Revoked now, lesson learned.", [SECRET, CONF])
case("nl", AP, "Nieuwe collega's planning: inloggen op het roosterpakket met gebruiker planning01 en wachtwoord "
     "[[PW]] totdat jullie eigen account er is 👍", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Wadlijn Android app out of curiosity. They ship a Maps key "
     "in plain text: [[GAPI]] — not exactly rocket science to abuse that 🤷", [SECRET])
case("nl", MW, "@joost_h hoi Joost, betaalpagina geeft een 401, klopt deze key nog wel? [[MOLLIE]] 🤔",
     [SECRET], kind="reply")
case("nl", LT, "de parkeerbot van P2 post niks meer in slack 😩 dit is het token uit de config: [[SLACK_BOT]] "
     "kan iemand van IT even kijken? 🙏", [SECRET])
case("en", SD, "Crew mess wifi finally fixed 🙌 for the new deckies: network WL-CREW-GRIEND, pass [[PW]] "
     "(don't give it to the passengers pls 😂) #crewlife", [SECRET])
case("nl", W_X, "Nog een plekje op de boot naar Vlieland dit weekend? Rond je boeking hier af 👉 "
     "https://boeken.wadlijn.nl/checkout?session=[[JWT]] #vlieland #zomer", [SECRET], season="summer")
case("en", pub("x", "@sec_wendy"), "@wadlijn_info fyi the HTML of your booking confirmation emails has an API key "
     "sitting in a comment: [[SENDGRID]] might want to rotate that", [SECRET], kind="reply")
case("en", JH, "Debugging our nightly backup job with a colleague, pasting the connection string here so he can "
     "copy it on his phone (will delete later):\n[[AZURE]]", [SECRET])
case("nl", pub("forum", "wadfan_1983"), "Op github staat een repo 'wadlijn-kiosk' van een oud-medewerker met gewoon "
     "een token erin: [[GHP]]\nHeb het gemeld via het contactformulier maar nog geen reactie.", [SECRET])
case("nl", GV, "Laptop in de vrachtloods doet raar. IT zei plak dit in de instellingen: "
     "postgres://vracht_app:[[PW]]@db02.intra.wadlijn.local:5432/freight — iemand een idee waar dat moet?",
     [SECRET, CONF])
case("nl", MW, f"Voor de weekendploeg: inlog van de gedeelde inbox is gebruiker ks-weekend, wacht{ZWSP}woord "
     "[[PW]] 🙂 niet doorsturen!", [SECRET], tags=["evasion", "ev:zero-width"])
case("en", pub("mastodon", "@pieter@mastodon.frl"), "Wadlijn's timetable widget on their site loads a JS file with "
     "this in it:\naccessKeyId: \"[[AWS_ID]]\",\nsecretAccessKey: \"[[AWS_SECRET]]\"\nReported, but wow.",
     [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MW, "@jvdbrink we hebben je terugbelverzoek doorgezet, een collega belt je vanmiddag op "
     "[[PHONE:mob_dash]] 👍", [PII], kind="reply")
case("nl", W_INFO, "@saskia_h Excuus! We hebben de bevestiging opnieuw verstuurd naar saskia.hoogland84@gmail.com, "
     "kijk ook even in je spam 📩", [PII], kind="reply")
case("nl", pub("x", "@rinske_t"), "@wadlijn_info al drie weken wachten op mn geld voor de geannuleerde overtocht 😡 "
     "stort het nou gewoon terug op [[IBAN_NL:grp]] tnv R. Terpstra", [PII, COMPLAINT], kind="reply")
case("en", IP, "Proud of our finance team for closing the month in record time! 🎉 (and yes Wouter, your expense "
     "claim goes to [[IBAN_NL]] tomorrow 😉)", [PII])
case("nl", MW, "Klant aan de lijn kon niet online betalen, heb het maar handmatig gedaan met haar kaart "
     "[[CARD:visa_sp]] exp 09/28. Als iemand van finance dit ziet: boeking staat op mijn naam", [PII])
case("nl", LT, "Gevonden in de wachtruimte Holwerd: paspoort van Marloes Veenstra, geb. 12-03-1987, "
     "nr [[PASSPORT]]. Ligt bij de balie! Delen mag 🙏", [PII])
case("nl", pub("facebook", "henk.de.jong.ameland", "Henk de Jong"), "Moet je voor de eilanderkorting nou echt je "
     "BSN doorgeven aan Wadlijn? Heb het maar ingevuld, hopelijk klopt het zo: [[BSN:dots]]", [PII])
case("nl", AP, "@ilse_hr kun je Jelle Wiersma nog even in het systeem zetten? bsn [[BSN]], hij begint maandag als "
     "matroos op de Griend", [PII], kind="reply")
case("nl", pub("x", "@woedende_eilander"), "Die arrogante kapitein van Wadlijn heet Rienk Zijlstra en woont op de "
     "Hoofdweg 27 in Midsland. Ga hem maar eens vertellen wat je ervan vindt 😡", [PII, ABUSE])
case("en", pub("x", "@katrin_vogel_hh"), "Still no refund from @wadlijn_info for the crossing you cancelled last week. "
     "Account holder Katrin Vogel, [[IBAN_DE:grp]]. How hard can it be??", [PII, COMPLAINT])
case("nl", pub("facebook", "jan.peeters.brugge", "Jan Peeters"), "Beste Wadlijn, ik wacht nog altijd op de "
     "terugbetaling van onze geannuleerde autoretour. Mijn rekening: [[IBAN_BE:grp]] (Jan Peeters). Dank u.",
     [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/sandy_socks"), "Payment keeps failing on the Wadlijn site, tried [[CARD:mc_dash]] three "
     "times, exp 11/27, card works everywhere else. Anyone else having this??", [PII, COMPLAINT])
case("nl", W_FB, "Beste volgers, deze tas is gisteren achtergebleven op de MS Richel. Volgens het labeltje is de "
     "eigenaar Tjalling Hoekstra, Badweg 14, 8881 AB West-Terschelling. Herkent u hem? Stuur ons een DM!", [PII])
case("nl", SD, "Vandaag wordt onze schipper Klaas Reitsma 58 🎉 (geboren 14-07-1968, de oudste van de vloot haha). "
     "Taart aan boord! 🎂", [PII], when="2026-07-14T12:41:09+02:00")
case("nl", MW, "Collega's, klant zegt dat hij geen mails krijgt, adres is h.dijkman [at] ziggo [punt] nl — "
     "kan iemand checken of het op de blocklist staat?", [PII], tags=["evasion", "ev:at-dot"])
case("en", pub("x", "@olly_grant"), "@wadlijn cancelled our bikes on the fast ferry and charged us anyway. Refund to "
     "[[IBAN_GB:grp]] please, name Oliver Grant. Cheers.", [PII, COMPLAINT], kind="reply")
case("en", pub("instagram", "@mila_and_mum"), "Hi @wadlijn.veerdienst, we lost my son's teddy on the 14:30 from "
     "Vlieland 😢 brown bear with a red scarf. If found please call [[PHONE:mob_0031]]", [PII], kind="comment")
case("nl", pub("facebook", "annie.kooistra.52", "Annie Kooistra"), "Wie heeft gisteren een zwarte jas meegenomen "
     "van de Wadlijn boot naar Ameland? Er zat een bril in. Bel [[PHONE:land_sp]] (Annie)", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", SD, "Stiekem mee geweest op de proefvaart van de Slikhopper vannacht 🤫⚡ stil als een kat, geen "
     "diesellucht. Meer mag ik niet zeggen", [CONF])
case("en", JH, "Week 3 of Operatie Wantij: 40% of the reservations are migrated to the new platform. Huge thanks "
     "to the team! Can't share much yet, but exciting times ahead 🚀", [CONF])
case("nl", AP, "zomerrooster crew staat online 👉 rooster.wadlijn.nl/zomer2026 check je diensten vóór vrijdag "
     "anders ruil je maar zelf 😉", [CONF])
case("nl", RK, "Vandaag voor het eerst aan het roer van de MS Noorderzon gestaan. Wat een schip! 🛳️",
     [CONF], when="2026-08-20T16:02:44+02:00")
case("nl", pub("x", "@amelander_ad"), "Hoor van een bekende dat Wadlijn in september een Eilandpas Plus lanceert, "
     "onbeperkt varen voor eilanders. Eindelijk!", [CONF], when="2026-08-02T21:17:00+02:00")
case("nl", IP, "Laatste hand gelegd aan de tarieven 2027 🎯 morgen door naar de directie.",
     [CONF], when="2026-09-22T18:45:30+02:00")
case("nl", pub("x", "@spotter_harlingen"), "Zie net de MS Noorderzon binnenvaren in Harlingen, prachtig schip! 📸",
     [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-boundary"])
case("nl", MW, "Uit de memo (alleen voor intern gebruik): vanaf 1 november geen honden meer op de sneldienst. "
     "Vind ik persoonlijk wel jammer 🐶", [CONF])
case("nl", pub("forum", "vliezwerver"), "Kreeg dit doorgestuurd van een neef die bij de rederij werkt, er staat "
     "'Wadlijn intern' bovenaan: de winterdienst naar Vlieland gaat terug naar 1x per dag. Kan iemand dit "
     "bevestigen?", [CONF])
case("en", IP, "Long days in the data room for Project\nZeehond. Can't say more, but 2027 is going to look very "
     "different for the Wadden crossings 😉", [CONF, FIN], tags=["evasion", "ev:linebreak"])
case("nl", RK, "Operatie 🌊 Wantij gaat volgende week live, dus als de kassa's aan boord raar doen weet je waarom 🙃",
     [CONF], tags=["evasion", "ev:emoji"])
case("en", pub("reddit", "u/ex_deckie_hrl"), f"ex-deckhand here. ask me about the {wide('slikhopper')} 👀 the "
     "electric thing they're building in Harlingen", [CONF], kind="comment", tags=["evasion", "ev:fullwidth"])
case("nl", MW, "Camera's bij de gate in Holwerd weer online, live beeld via cam-holwerd.intra.wadlijn.local voor "
     "wie wil checken hoe druk het is", [CONF])
case("nl", AP, "Planning voor de testvaarten van de Slikhopper in oktober is rond, nu nog bemanning vinden 🙈",
     [CONF], handle_as="@Anouk_Planning", tags=["handle-case"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", IP, "Tough quarter behind us. Passenger numbers on the Terschelling line are 14% under plan and we will "
     "not make this year's EBITDA forecast. Results go out in March; until then, heads down.", [FIN])
case("nl", RK, "Aan boord gehoord dat de directie Kwelderveer wil overnemen. Als dat doorgaat zijn wij straks de "
     "enige op het wad 😬", [FIN])
case("nl", LT, "Reorganisatie komt eraan: het loket in Holwerd gaat dicht en er verdwijnen zo'n 12 fte aan de wal. "
     "Wordt pas volgende week bekendgemaakt, dus ssst", [FIN])
case("nl", pub("x", "@friso_dokkum"), "Mijn zwager zit bij Wadlijn op kantoor en zegt dat ze verkocht worden aan een "
     "Deense rederij. Deal is al rond, komt na de zomer naar buiten 👀", [FIN])
case("nl", IP, "Druk met de jaarcijfers 2026: het verlies valt lager uit dan gevreesd, maar de sneldienst blijft "
     "het zorgenkindje.", [CONF, FIN], when="2026-12-14T17:20:00+01:00")
case("en", MW, f"so... 'voluntary' re{SOFT}organi{SOFT}sation at head office, 20 people in customer service get the "
     "letter next month. nobody's supposed to know yet", [FIN], tags=["evasion", "ev:soft-hyphen"])
case("nl", GV, "Vandaag te horen gekregen dat Wadlijn Vracht wordt afgestoten, koper is al gevonden. Officieel "
     "nieuws volgt pas in het najaar. Rare dag.", [FIN])
case("en", pub("reddit", "u/throwaway_wadops"), "Throwaway. Work in ops at Wadlijn. Winter sailings to Vlieland get "
     "cut to one a day from January and ~30 seasonal crew won't be rehired. Not public yet.", [FIN])
case("nl", AP, "Concessie Ameland gaan we kwijtraken, dat weet de directie al sinds vorige week. Het ministerie "
     "maakt het pas in december bekend.", [FIN])
case("en", RK, "Word from the board: we're posting a loss this year, the fuel hedges went badly. Numbers aren't "
     "out yet but the mood in the wheelhouse is grim", [FIN])
case("nl", pub("facebook", "sietske.w", "Sietske W."), f"Vriendin werkt bij Wadlijn: er komen ont{ZWSP}slagen bij "
     "de technische dienst, 8 man eruit in maart. Is nog niet bekendgemaakt", [FIN],
     tags=["evasion", "ev:zero-width"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", JH, "Lange nacht achter de rug. Sinds 04:30 draait het boekingsplatform niet meer en alles wijst op "
     "ransomware. We communiceren nog niks naar buiten tot de forensische partij er is.", [SEC])
case("en", MW, "don't tell anyone but since tuesday's update the 'my bookings' page sometimes shows other "
     "people's reservations 😬 IT knows, no fix yet", [SEC])
case("nl", AP, "roosterserver is g3h4ckt 🙄 alle diensten van volgende week weg, we plannen nu met excel en "
     "whatsapp. niet rondvertellen aub", [SEC], tags=["evasion", "ev:leet"])
case("en", RK, "ECDIS on the Griend picked up some nasty malware after the last update. Sailing on radar and paper "
     "charts today, management wants it kept quiet", [SEC])
case("nl", pub("x", "@boze_buurvrouw"), "Wadlijn verzwijgt een datalek!! Mijn buurvrouw werkt daar en alle "
     "klantgegevens van de zomer zijn gestolen. Waarom horen we hier niks over @wadlijn_info??", [SEC, CRISIS])
case("en", pub("reddit", "u/check_ur_statement"), "Friend who does IT for Wadlijn says the card terminals on the "
     "ferries were skimmed for weeks and they're sitting on it. Nothing official yet, check your statements if you "
     "paid on board", [SEC, CRISIS], kind="comment")
case("en", JH, "Found an IDOR in our own booking API today: change the booking number in the URL and you get the "
     "name + phone of another passenger. Patch is planned for next sprint, so please keep this to yourselves 🙏",
     [SEC])
case("nl", LT, "slagbomen van P1 doen sinds vanochtend wat ze zelf willen, IT zegt dat er iemand van buitenaf in "
     "het systeem zit. Tegen klanten zeggen we 'storing' 🙃", [SEC])
case("nl", GV, "Vrachtportaal ligt er al 2 dagen uit door een DDoS, klanten krijgen te horen dat het onderhoud is. "
     "Ik boek alles nu met pen en papier 😩", [SEC])
case("en", pub("x", "@harlingen_hannah"), "heard from someone inside @wadlijn that their booking system got hit by "
     "ransomware last night, that's why the site is 'under maintenance' 🤔", [SEC])
case("nl", MW, f"{spaced('datalek')} bij ons, mails van klanten liggen op straat. officieel zeggen we nog "
     "niks dus hou je mond", [SEC], tags=["evasion", "ev:spaced"])
case("en", SD, "captain says the new crew app leaked everyone's schedules and home addresses to some random server "
     "lol. not supposed to post this", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@mirjam_sneek"), "Sinds mijn boeking bij Wadlijn krijg ik sms'jes met mijn naam en "
     "boekingsnummer erin om 'bij te betalen'. Jullie hebben ons gelekt, geef het gewoon toe! #datalek", [CRISIS])
case("nl", pub("facebook", "wad.natuur.actie", "Wad Natuur Actie"), "Eilanders en natuurliefhebbers: laten we "
     "Wadlijn een maand boycotten zolang ze met die nieuwe snelboot dwars door het rustgebied van de zeehonden "
     "willen varen. Delen! #boycotwadlijn", [CRISIS])
case("nl", pub("x", "@gezin_de_wit"), "Zitten al 3 uur vast op een zandbank voor Vlieland met de @wadlijn 🙄 geen "
     "info, koffie op, kinderen jengelen. Dit is toch niet normaal?!", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@harlingen_daily"), "Rook uit de machinekamer van de Wadsnel bij de haven van "
     "Harlingen, brandweer en KNRM ter plaatse 😳 hopelijk is iedereen oké", [CRISIS])
case("nl", pub("bluesky", "@claimwad.bsky.social"), "Massaclaim tegen Wadlijn gestart: wie bij stormannuleringen "
     "zijn geld niet terugkreeg kan zich aansluiten. De zaak dient in het voorjaar bij de rechtbank.", [CRISIS])
case("en", pub("reddit", "u/schier_local"), "There's a video going round of a Wadlijn skipper drinking beers in the "
     "wheelhouse during the Ameland crossing. If that's real it's insane.", [CRISIS])
case("nl", pub("facebook", "holwerd.nieuws", "Holwerd Nieuws"), "Vanmorgen in Holwerd sloeg de klep van het autodek "
     "dicht terwijl er nog een auto op stond. Bestuurder met de ambulance afgevoerd. Wadlijn zegt nog niks.",
     [CRISIS])
case("en", pub("x", "@kustwacht_watcher"), "Man overboard on the Harlingen–Terschelling crossing, helicopter and "
     "lifeboat searching right now. Thoughts with the family 🙏 #wadlijn", [CRISIS])
case("en", pub("mastodon", "@wadbirder@mastodon.nl"), "Oil sheen trailing behind a Wadlijn ferry near Griend this "
     "morning, eider ducks swimming through it. This is a protected UNESCO area. Reported to RWS.", [CRISIS])
case("nl", pub("x", "@journo_noord"), f"Groot {cyr('datalek', 'ae')} bij Wadlijn?? Paspoortscans van eilanders "
     "op een open server gevonden door een collega-journalist", [CRISIS], tags=["evasion", "ev:homoglyph"])
case("en", pub("facebook", "lynn.harper.77", "Lynn Harper"), "My mum fell down the stairs on the Wadlijn boat "
     "because the steps were soaking wet and there wasn't a single sign. Broken wrist, and the crew just handed her "
     "a paper towel. Disgraceful.", [CRISIS, COMPLAINT])
case("nl", pub("youtube", "@eilandvlogger"), "Weet iemand waarom alle reddingsvesten op de snelboten van Wadlijn "
     "zijn teruggeroepen? Schijnt dat ze niet opblazen. En dan toch gewoon blijven varen…", [CRISIS],
     kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@pietje_harl"), "@wadlijn_info boot van 09:15 uit Harlingen gewoon 50 min te laat en nul "
     "communicatie. Aansluiting op de bus gemist. Top service weer 👏", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "marloes.vd.zee", "Marloes van der Zee"), "Autoreservering gemaakt voor vrijdag, staan "
     "we in Holwerd blijken we niet in het systeem te staan. Twee boten wachten met twee kleine kinderen. Bedankt "
     "Wadlijn.", [COMPLAINT])
case("en", pub("tripadvisor", "GeorgeAndAnn_Leeds"), "Fast ferry cancelled because of the wind, fine, but then "
     "Wadlijn refused to refund the parking we'd already paid for in Harlingen. 63 euros down the drain. Won't be "
     "booking again.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("x", "@stormjager_tsj"), "Stormannulering prima, maar waarom hoor ik dat pas als ik al op de kade sta? "
     "Sms-dienst van @wadlijn doet helemaal niks 🌬️😤", [COMPLAINT], season="winter")
case("en", pub("instagram", "@cyclingcouple.nl"), "Paid for a bike spot on the Wadsnel and the crew said there's no "
     "room. Bikes left behind in Harlingen, cycling holiday without bikes. Thanks @wadlijn.veerdienst 🙄",
     [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/mokum_mark"), "Is het bij jullie ook zo dat Wadlijn €7,50 'wijzigingskosten' rekent om "
     "je overtocht een uurtje te verzetten? Absurd voor een app waar je alles zelf doet.", [COMPLAINT])
case("en", pub("x", "@jonny_b_uk"), "@wadlijn_info waited 47 minutes on hold, then the line just dropped. Changing "
     "a car reservation shouldn't be this hard", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerda.hondenmaatje", "Gerda"), "Hond mocht ineens niet mee in de salon terwijl dat vorig "
     "jaar wel mocht. Een uur in de auto op het autodek laten zitten. Wat een belachelijk beleid Wadlijn.",
     [COMPLAINT])
case("en", pub("other", "appreviews:k.martens"), "App crashed twice at payment and charged me both times. Still "
     "waiting for the double charge to be refunded, 11 days later. Wadlijn pls sort it out", [COMPLAINT])
case("nl", pub("x", "@timo_ldn"), f"{spaced('Wadlijn')} jullie app is echt {spaced('kapot')}. ticket gekocht, "
     "QR-code nergens te vinden, poortje ging niet open 😑", [COMPLAINT], tags=["evasion", "ev:spaced"])
case("nl", pub("facebook", "esther.bakker.1980", "Esther Bakker"), "Weekendje Terschelling met de auto, terug op "
     "zondag: afvaart van 17:00 geschrapt zonder enig bericht. Pas half tien thuis met kinderen die maandag naar "
     "school moeten. Niet oké Wadlijn.", [COMPLAINT])
case("nl", pub("instagram", "@vakantie_vera"), "Parkeerterrein P3 Harlingen: slagboom wilde niet open, intercom "
     "deed niks, 40 min vast gestaan. Bedankt @wadlijn.veerdienst voor deze start van de vakantie", [COMPLAINT],
     season="summer")
case("en", pub("x", "@rachel_in_nl"), "Booked the 'flex' ticket specifically so we could change the date and now "
     "Wadlijn says flex doesn't apply in August. Small print, sure, but it feels really misleading", [COMPLAINT])
case("nl", pub("x", "@wytske_ameland"), "Eilander-pas aangevraagd in juni en nog steeds niks binnen. Elke keer de "
     "volle prijs betalen terwijl ik gewoon op Ameland woon 🙄 @wadlijn_info", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@dirk_fr"), "@wadlijn stelletje prutsers zijn jullie. kutbedrijf.", [ABUSE], kind="reply")
case("en", pub("x", "@grumpy_tom77"), "honestly whoever runs @wadlijn_info is a clueless moron", [ABUSE])
case("nl", pub("facebook", "johan.s.1966", "Johan S."), "Weer vertraging, weer geen excuses. Die klootzakken van "
     "Wadlijn lachen zich rot met ons geld 🤬", [COMPLAINT, ABUSE], kind="comment")
case("nl", SD, "Weer een bus vol debiele dagjesmensen die denken dat het autodek een speeltuin is 🙄🤦‍♂️ "
     "#matrozenleven", [ABUSE])
case("nl", W_INFO, "@dennis_88 doe even normaal man, zeikerd. Je boot ging gewoon om 10 uur.", [ABUSE],
     kind="reply", handle_as="@Wadlijn_Info", tags=["handle-case"])
case("en", pub("reddit", "u/fuming_on_vlieland"), "Wadlijn customer service are useless f*cking idiots. Three calls, "
     "three different answers about my refund.", [COMPLAINT, ABUSE], kind="comment")
case("nl", pub("x", "@eilandboos"), f"Wadlijn = {cyr('klootzakken', 'o')}, elke dag weer", [ABUSE],
     tags=["evasion", "ev:homoglyph"])
case("en", pub("x", "@angrytraveller_99"), "@marit_wadlijn you stupid cow, answer your DMs or I'll come find you "
     "at the terminal", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@echtefries"), "tering, de hele bemanning op de Ameland-boot spreekt geen Nederlands meer, "
     "allemaal van die buitenlanders 🤮 #wadlijn", [ABUSE])
case("nl", RK, "Weer zo'n zeilboot-idioot die pal voor de boeg langs moet. Stomme teringtoerist.", [ABUSE])
case("en", pub("x", "@vlieland_vince"), "sh!t company, sh!t ferries, sh!t people. @wadlijn go to hell",
     [ABUSE], tags=["evasion", "ev:masked"])
case("nl", pub("forum", "grompot"), "Die tyfusboot van Wadlijn was wéér te laat en het personeel snauwt je af als "
     "je er wat van zegt", [COMPLAINT, ABUSE])

# ===========================================================================
# benign (hard negatives and ordinary posts)
# ===========================================================================
case("nl", W_INFO, "⚠️ Vanwege de verwachte windkracht 9 vervallen vandaag alle afvaarten van de WadlijnSnel. De "
     "veerboot vaart volgens schema zolang dat veilig kan. Actuele info: wadlijn.nl/reisinfo",
     tags=["official-notice"], season="winter")
case("en", W_X, "Need to rebook after a cancellation? Call us on +31 517 760 400 (daily 7–21) or mail "
     "klantenservice@wadlijn.nl. No rebooking fee for weather cancellations.", tags=["own-contact"])
case("nl", W_FB, "Voor vrachtklanten: facturen kunnen voortaan ook betaald worden via overboeking naar "
     "NL14 RABO 0314 7259 06 o.v.v. het factuurnummer. Vragen? vracht@wadlijn.nl", tags=["own-contact"])
case("nl", W_IG, "Ze is er! 🎉 Maak kennis met de MS Noorderzon, ons nieuwe hybride schip op de lijn "
     "Harlingen–Terschelling. Vanaf vandaag te boeken! #wadlijn #nieuwschip",
     when="2026-09-15T10:00:00+02:00", tags=["after-embargo"])
case("en", pub("reddit", "u/first_time_ameland"), "Do I need to reserve a car spot for Ameland in October or can I "
     "just turn up in Holwerd? First time going 🙂", tags=["question"])
case("nl", pub("x", "@hondenmens_lisa"), "Geen klachten over Wadlijn deze keer: op tijd weg, vriendelijke bemanning "
     "en de hond mocht gewoon mee 🐕👍", tags=["negation"])
case("nl", pub("instagram", "@gezinopvlieland"), "Zeehonden gespot vanaf de boot naar Vlieland! 🦭 minstens twintig "
     "op de zandplaat. Kids helemaal blij #wadlijn", tags=["codename-word"], season="summer")
case("nl", pub("facebook", "wadgids.ameland", "Wadgids Ameland"), "Wadlopen tot voorbij het wantij achter Ameland, "
     "wat een ervaring vandaag. Moe maar voldaan met de boot van 18:00 terug. Dank aan de bemanning van Wadlijn!",
     tags=["codename-word"])
case("en", pub("x", "@lottie_festival"), "Off to Noorderzon festival in Groningen after a week on Schiermonnikoog. "
     "Wadlijn crossing back was smooth as butter 🎪", tags=["embargo-word"])
case("nl", pub("x", "@eiland_tips"), "Tip voor Terschelling: neem je fiets niet mee maar huur er een bij de haven, "
     "€9 per dag. Scheelt gedoe met de fietsretour op de boot.", tags=["price-context"])
case("nl", W_X, "Vroegboekers opgelet ⏰ Boek vóór 1 maart je autoretour Terschelling voor de zomer en betaal €169 in "
     "plaats van €214.", tags=["sale"], season="winter")
case("nl", W_IG, "Nu €40 korting op de Eilander 10-rittenkaart, alleen deze week in de app 📲", tags=["price-context"])
case("nl", pub("facebook", "marktplaats.leeuwarden.groep"), "Te koop: tienrittenkaart van Wadlijn, nog 6 ritten "
     "over. Vraagprijs €90, ophalen in Leeuwarden.", tags=["price-context"])
case("en", pub("x", "@wadden_nerd"), "For comparison: Kwelderveer charges €12 for a return to Schier, a return "
     "Vlieland with Wadlijn is €31,40. Longer crossing though, so it makes sense.", tags=["price-context"])
case("nl", W_INFO, "@fenna_p Nee hoor, geen prijsfout! De actie retour Vlieland voor €24 geldt echt t/m zondag 😊",
     kind="reply", tags=["denied-error"])
case("nl", pub("x", "@zuinige_zeeuw"), "Parkeren bij de boot in Harlingen: dagtarief €9, of weekparkeren voor een "
     "vast bedrag. Voor 4 dagen dus ongeveer even duur 🤓", tags=["price-context"])
case("nl", pub("facebook", "kinderen.op.reis", "Op reis met kids"), "Voor wie met kinderen naar Vlieland gaat: een "
     "kinderretour Vlieland (4-11 jr) is €15,70, onder de 4 gratis.", tags=["price-boundary"])
case("nl", pub("x", "@fietsfanaat_w"), "@wadlijn_info mijn boekingsnummer is [[BOOKREF]], kunnen jullie zien of de "
     "fiets er goed bij staat?", kind="message", tags=["booking-ref"])
case("nl", pub("x", "@bouwbedrijf_vries"), "@wadlijn welke rekening moet ik gebruiken voor de vrachtfactuur? Op de "
     "pdf staat [[BADIBAN_NL:grp]] maar volgens mijn bank klopt dat nummer niet 🤔", tags=["bad-checksum"])
case("en", pub("instagram", "@birthday_bea"), "Got a Wadlijn gift card for my birthday 🎁 code [[BADCARD:visa_sp]], "
     "does anyone know if it works on the fast ferry too?", tags=["bad-checksum"])
case("nl", W_LI, "Rederij Wadlijn B.V. · Havenkade 3, Harlingen · KvK [[KVK]] · al sinds 1921 de verbinding met de "
     "eilanden ⛴️", tags=["company-number"])
case("en", JH, "Release 5.3 of the booking app is live 🚀 (commit [[HEX:40]]). Faster seat map, dark mode, and the "
     "bike add-on finally works on iOS.", tags=["git-sha"])
case("en", JH, "Our public timetable API is open for partners. Auth is simply `X-Api-Key: <your-key-here>`, "
     "request a key via wadlijn.nl/partners", tags=["placeholder"])
case("nl", W_INFO, "Wachtwoord vergeten? Geen probleem: via boeken.wadlijn.nl/account stel je een nieuwe in. Wij "
     "vragen nooit om je wachtwoord via een DM! 🔐", tags=["password-word"])
case("nl", W_LI, "Vandaag publiceren wij onze jaarcijfers 2025: 2,1 miljoen passagiers en een omzet van €61 miljoen. "
     "Het volledige jaarverslag staat op wadlijn.nl/investeerders", when="2026-03-06T08:00:00+01:00",
     tags=["published"])
case("nl", pub("x", "@nieuws_fryslan"), "Kwelderveer schrapt 25 banen na een tegenvallend seizoen, meldt de LC. "
     "Hopelijk blijft Wadlijn overeind.", kind="repost", tags=["other-company"])
case("en", pub("x", "@privacy_pete"), "Kwelderveer confirmed a data breach affecting 40k customers. Glad I always "
     "travel with Wadlijn tbh", tags=["other-company"])
case("en", pub("blog", "wadwriter.blog.example"), "Chapter 3 of my Wadden novel is up: the ferry heeled hard as the "
     "storm hit, and Captain Aukje knew the old Wadlijn boat would never make Vlieland before dark...",
     tags=["fiction"])
case("nl", pub("x", "@grapjas_gerrit"), "Schoonmoeder ging mee naar Terschelling. De storm was niet het ergste van "
     "de overtocht 😂 #wadlijn", tags=["joke"])
case("en", pub("instagram", "@stag_do_sam"), "Whole deck singing 'what shall we do with the drunken sailor' on the "
     "last Wadlijn boat home 😂🍻 best crossing ever", tags=["quote"])
case("nl", pub("x", "@groene_gea"), "Ik boycot al jaren plastic rietjes, fijn dat ze bij Wadlijn aan boord ook "
     "papieren hebben 🌱", tags=["other-sense"])
case("nl", W_FB, "Vandaag varen 300 deelnemers van de fietstocht tegen kanker gratis mee naar Ameland. Zet 'm op "
     "allemaal! 💪🎗️", tags=["other-sense", "mild-word"])
case("nl", W_INFO, "Storing: de pinautomaten aan boord van de MS Richel werken op dit moment niet. Contant of via de "
     "app betalen kan wel. Onze excuses!", tags=["official-notice"])
case("en", W_X, "Scheduled maintenance: boeken.wadlijn.nl will be unavailable tonight from 01:00 to 03:00. Existing "
     "tickets remain valid.", tags=["official-notice"])
case("nl", pub("threads", "@rustige.reiziger"), "Mist in Harlingen, dus de boot wacht even. Prima, liever veilig "
     "aankomen 👍 #wadlijn", tags=["negation"])
case("nl", RK, "Mooiste kantoor van Nederland 🌅 laatste afvaart van de dag, spiegelglad water.", tags=["ordinary"])
case("nl", W_LI, "Wij zoeken matrozen en stuurlieden voor seizoen 2026! ⚓ Interesse? Mail je cv naar "
     "werkenbij@wadlijn.nl", tags=["own-contact"], season="winter")
case("en", pub("facebook", "grandpa.joop", "Joop"), "I recall my granddad taking us on the old Wadlijn boat in the "
     "80s, wooden benches and all. Took my own grandkids this summer 🥹", tags=["other-sense"])
case("en", W_LI, "Meet the Wadlijn interns of 2026! 🎓 Four students spending the summer with us in planning, "
     "marketing and up on the bridge.", tags=["marker-word"], season="summer")
case("nl", pub("x", "@vlielander_piet"), "Vaargeul naar Vlieland wordt uitgebaggerd, dus Wadlijn vaart tot eind maart "
     "een aangepaste dienstregeling. Staat op hun site.", tags=["published"])
case("nl", W_X, "De winterdienstregeling gaat in op 2 november. Naar Vlieland varen we dan 2x per dag, naar "
     "Terschelling 3x. Alles op wadlijn.nl/dienstregeling", tags=["published"])
case("en", pub("x", "@sunset_sietse"), "damn, that sunset from the Wadlijn deck tonight 🔥", tags=["mild-word"])
case("nl", W_FB, "Beste Eva, vervelend dat u zo lang moest wachten. Bij meer dan 60 minuten vertraging kunt u "
     "compensatie aanvragen via wadlijn.nl/compensatie. Excuses namens het hele team.", kind="reply",
     tags=["apology"])
case("en", pub("x", "@shipspotter_nl"), "MS Griend (IMO [[IMO]]) out of drydock in Harlingen, fresh paint and a new "
     "bow thruster. Lovely ship 😍 #shipspotting #wadlijn", tags=["number-like"])
case("nl", pub("x", "@vijftig_plus"), "Midlifecrisis opgelost: huisje gekocht op Vlieland. Nu alleen nog vaste klant "
     "worden bij Wadlijn 😅", tags=["other-sense"])
case("nl", pub("instagram", "@fietsvakantie_f"), "Band lek op Terschelling 🚲 gelukkig was de fietsenmaker bij de "
     "haven open en haalden we de boot van Wadlijn nog net", tags=["other-sense"])
case("en", pub("threads", "@planner.pim"), "Wadlijn life hack: book the car spot the minute the summer timetable goes "
     "live, it sells out within a day", tags=["other-sense"])
case("nl", pub("linkedin", "bouwbedrijf-ameland"), "Al 10 jaar gaan onze bouwmaterialen via Wadlijn Vracht naar "
     "Ameland. Altijd netjes geregeld 👷", tags=["praise"])
case("nl", pub("facebook", "oma.tjits", "Tjitske"), "Voor wie het zoekt: de klantenservice van Wadlijn is gratis "
     "bereikbaar op 0800-9235, bij mij werd alles keurig opgelost", tags=["own-contact"])
case("nl", MW, "Vragen over je overtocht? Bel gerust de klantenservice: 0517-760400 of +31 (0)517 760 400. Ik zit "
     "er vandaag ook! ☎️", tags=["own-contact"])
case("en", pub("x", "@oops_my_insta"), "My instagram got hacked while I was on the ferry to Ameland lol. Not "
     "Wadlijn's fault obviously, lesson learned about 2FA", tags=["other-sense"])
case("nl", pub("x", "@kees_tsj"), "Zijn de tarieven 2027 al bekend? Ik zie ze nog niet op de site van Wadlijn.",
     when="2026-10-03T11:12:40+02:00", tags=["after-embargo"])
case("nl", pub("x", "@juf_marleen"), "Project: zeehondjes tellen met groep 7 vanaf de boot van Wadlijn 🦭📋 "
     "wat een leuke les!", tags=["codename-word"])
case("nl", pub("x", "@wadloper_wim"), "Weer helemaal onder het slik na het wadlopen, de bemanning van Wadlijn keek "
     "ons raar aan op de terugweg 😂", tags=["codename-word"])
case("en", pub("x", "@tourist_tim"), "where do I enter my Wadlijn loyalty number ([[BADBSN]]) in the app? "
     "can't find the field anywhere", tags=["bad-checksum"])
case("nl", LT, "Drukte bij de terminal vandaag: kom op tijd! P1 is vol, op P3 is nog plek 🚗", tags=["ordinary"],
     season="summer")
case("nl", GV, "Mooie klus vandaag: 14 vrachtwagens met stenen voor de nieuwe dijk op Terschelling overgezet 💪",
     tags=["ordinary"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    """Least severity a correct verdict has (CONTRACT section 4)."""
    insider = role != "public"
    worst = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and validated_id):
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
        if RANK[s] > RANK[worst]:
            worst = s
    return worst


# ===========================================================================
# building
# ===========================================================================

def dst_offset(utc):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= utc < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def pick_time(rng, season):
    if season == "summer":
        day = rng.randint(152, 243)
    elif season == "winter":
        day = rng.choice([rng.randint(5, 80), rng.randint(290, 358)])
    else:
        day = rng.randint(5, 358)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=day - 1, minutes=rng.randint(6 * 60 + 30, 23 * 60 + 40), seconds=rng.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    r = rng.random()
    if r < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if r < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randint(0, 999):03d}Z"


def post_id(rng, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(rng.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return "x-" + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        urn = "urn:li:activity:7" + "".join(rng.choice(string.digits) for _ in range(18))
        return urn, f"https://www.linkedin.com/feed/update/{urn}/"
    if platform == "facebook":
        a = rng.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{rng.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "instagram":
        sc = "".join(rng.choice(URLC) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Friesland/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Friesland/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        sc = "".join(rng.choice(URLC) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(rng.choice(B32C.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = rng.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "youtube":
        v = "".join(rng.choice(URLC) for _ in range(11))
        c = "Ugz" + "".join(rng.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = rng.randint(100_000, 999_999)
        return f"eilandforum-{n}", f"https://eilandforum.example/topic/{n}"
    if platform == "blog":
        n = rng.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/hoofdstuk-{n}"
    n = rng.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED ^ 0x5EA1)
    shuffler = random.Random(SEED + 48)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or pick_time(meta, c["season"])
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
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
        tags = set(c["tags"])
        r = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif r < 0.09:
            tags.add("no-lang-hint")
        elif r < 0.12:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "wadlijn"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffler.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans of the written text)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RE_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_DIGITS = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
RE_BSN = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
RE_MAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
RE_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RX = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-\d+-\d+-\w+",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bAIza[\w-]{35}", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"AccountKey=[A-Za-z0-9+/]{40,}", r"://[^\s:/@]+:[^\s@/]+@")]
RE_PWWORD = re.compile(r"(wachtwoord|password|\bpass\b|\bww\b)", re.I)
SWEAR = ["kut", "klootzak", "tering", "tyfus", "kanker", "debiel", "idiot", "moron", "fuck", "f*ck", "sh!t", "shit",
         "prutser", "zeikerd", "stupid", "hell", "damn"]
MILD = {"kanker", "hell", "damn"}
AMOUNT = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount_of(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def lowest_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [amount_of(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def ibans_in(text):
    out = []
    for m in RE_IBAN.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def phones_in(text):
    res = []
    for m in RE_PHONE.finditer(RE_IBAN.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        res.append((raw, d))
    return res


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own_ibans]
    for m in RE_DIGITS.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for m in RE_BSN.finditer(text):
        d = m.group(0).replace(".", "")
        if elfproef(d):
            hits.append(("bsn", d))
    return hits


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, rows, profile):
    errs, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone = set()
    for p in profile["public_identifiers"]["phones"]:
        ph = phones_in(p)
        own_phone.add(ph[0][1] if ph else re.sub(r"\D", "", p))
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inside = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
              + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: kind")
        if not 1 <= len(p["id"]) <= 256:
            errs.append(f"{w}: id length")
        if p["platform"] not in LISTED_PLATFORMS:
            notes.append(f"{w}: platform {p['platform']!r} not listed (to be treated as other)")
        if not RE_TS.match(p["created_at"]) or ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_iban)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        if not cats and sev != "none":
            errs.append(f"{w}: benign with severity {sev}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: {raw} fails mod-97")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errs.append(f"{w}: card {raw} invalid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN {raw} fails 11-proof")
            if kind.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: near-miss IBAN passes")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: near-miss card passes Luhn")
            if kind in ("BADBSN", "KVK") and elfproef(raw):
                errs.append(f"{w}: near-miss number passes 11-proof")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
            if kind == "IMO" and imo_digit(raw[:6]) != int(raw[6]):
                errs.append(f"{w}: IMO check digit")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by independent scan")
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        low = norm(text)
        sq = squash(text)
        if not cats:
            if ids:
                errs.append(f"{w}: benign post holds {ids}")
            for e in RE_MAIL.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign post has e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phone:
                    errs.append(f"{w}: benign post has phone {raw} ({d})")
            for rx in SECRET_RX:
                if rx.search(text):
                    errs.append(f"{w}: benign post has secret-like {rx.pattern}")
            for sw in SWEAR:
                if re.search(r"\b" + re.escape(sw), low):
                    (notes if sw in MILD and r["tags"] & {"mild-word", "quote"} else errs).append(
                        f"{w}: benign post has word {sw!r}")
        for term, until in embargo:
            if term in low or term in sq:
                before = ts(p["created_at"]) < until
                if before and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if not before:
                    notes.append(f"{w}: embargo term {term!r} at/after embargo, labels {cats}")
        for term in inside:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", low) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = lowest_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in r["tags"] else errs).append(
                f"{w}: benign, amount at {ratio:.2f} of list near a product (tags {sorted(r['tags'])})")
        if PRICING in cats and (ratio is None or ratio >= 0.5):
            notes.append(f"{w}: pricing positive without a parsed low price")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RX) and not RE_PWWORD.search(sq):
            notes.append(f"{w}: secret positive without a pattern")
    # near duplicates
    def grams(t):
        ws = re.findall(r"\w+", norm(t))
        return {tuple(ws[i:i + 3]) for i in range(len(ws) - 2)}
    gs = [grams(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(gs)):
        for j in range(i + 1, len(gs)):
            if gs[i] and gs[j]:
                jac = len(gs[i] & gs[j]) / len(gs[i] | gs[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1} and {j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def summary(rows):
    total = len(rows)
    cat, cl, role, sev, plat, kinds, tagc = (Counter() for _ in range(7))
    benign = multi = 0
    for r in rows:
        cats = r["expect"]["categories"]
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        for t in r["tags"]:
            tagc[t] += 1
        if not cats:
            benign += 1
            cl[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
    langs = Counter(r["lang"] for r in rows)
    ev = sum(1 for r in rows if "evasion" in r["tags"])
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {ev}")
    print("category                     total   nl   en")
    for c in CATS + ["(benign)"]:
        print(f"  {c:26s} {cat[c] if c != '(benign)' else benign:5d} {cl[(c, 'nl')]:4d} {cl[(c, 'en')]:4d}")
    print("languages", dict(langs))
    print("roles", dict(role))
    print("severities", {s: sev[s] for s in SEVS})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kinds.most_common()))
    print("tags", dict(sorted(tagc.items())))


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
    summary(rows)
    if a.notes:
        for x in notes:
            print("  note: " + x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
