#!/usr/bin/env python3
"""Blind evaluation set for postwatch: a Dutch mobile and home-internet provider.

    python3 make_cases.py           # write cases.jsonl next to this file, then validate it
    python3 make_cases.py --check   # only validate (regenerate in memory, compare bytes)

Deterministic (fixed seed). Needs Python 3.9+ and PyYAML (to read profile.yaml).
If python-stdnum is installed, every generated IBAN, card number and BSN is also
cross-checked with it.

Texts are written by hand in CASES below. Identifiers and secrets are drawn from a seeded
RNG through <<KIND:fmt>> placeholders: positives get checksum-VALID values (IBAN mod-97,
Luhn, BSN 11-proof); the look-alikes in benign posts FAIL their check. Secrets are random
and fake, but in the real formats (GitHub tokens carry their CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4, using
the account role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories, and whether a checksum-validated identifier is in the text.
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

SEED = 21_2026_0603
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
KNOWN_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                   "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_A = "\u0430"  # Cyrillic small a, looks like Latin a


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch
                   for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(s):
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


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL61RABO0312654789"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Draw:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                               + self.num(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "12030000", "37050198", "76026000"]) + self.num(10))
        if cc == "BE":
            head = self.r.choice(["310", "063", "143", "539"]) + self.num(7)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.num(14))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            bad = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(bad):
                return bad
        raise AssertionError

    # cards
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

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and numbers that are not
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
            body = "871" + self.num(9)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    # phones
    def phone(self, style):
        m = self.r.choice("123456") + self.num(7)          # the 8 digits after 06
        if style == "mob_dash":
            return f"06-{m}"
        if style == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if style == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if style == "mob_0031":
            return f"0031 6 {m}"
        if style == "mob_paren":
            return f"(06) {m[:4]} {m[4:]}"
        area = self.r.choice(["10", "20", "30", "40", "50", "70", "73", "76", "38", "53"])
        sub = self.r.choice("2345789") + self.num(6)
        if style == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        if style == "land_intl":
            return f"+31 {area} {sub[:3]} {sub[3:]}"
        raise ValueError(style)

    # secrets (fake, real formats)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "_-", 20)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        head = b64u(b'{"alg":"RS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "klant-" + self.num(7, lead=True), "iss": "https://mijn.lumenet.nl",
                "aud": "selfservice-app", "scope": "account:read invoices:read", "iat": iat, "exp": iat + 3600}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 86)}"

    def openssh(self):
        first = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [first] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 24) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 4))

    def sha(self):
        return self.pick("0123456789abcdef", 40)


VALIDATED = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
LOOKALIKE = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "EAN13"}
SLOT = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(d, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = d.iban(kind[5:])
            shown = d.spaced4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = d.broken_iban("NL")
            shown = d.spaced4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = d.card(brand)
            shown = d.card_fmt(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = fmt.partition("_")
            raw = d.broken_card(brand)
            shown = d.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = d.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = d.not_bsn(9)
        elif kind == "EAN13":
            shown = raw = d.ean13()
        elif kind == "PHONE":
            shown = raw = d.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = d.num(int(fmt), lead=True)
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = d.spaced4(raw) if fmt == "grp" else raw
        else:
            gen = {"GHP": d.ghp, "GLPAT": d.glpat, "SENDGRID": d.sendgrid, "AWS_ID": d.aws_id,
                   "AWS_SECRET": d.aws_secret, "SLACK_HOOK": d.slack_hook, "GAPI": d.gapi, "JWT": d.jwt,
                   "OPENSSH": d.openssh, "PW": d.password, "SHA": d.sha}[kind]
            shown = raw = gen()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
LN = ("x", "@lumenet", "Lumenet")
LH = ("x", "@lumenet_helpt", "Lumenet Helpt")
LIG = ("instagram", "@lumenet.nl", "Lumenet")
LFB = ("facebook", "LumenetNL", "Lumenet")
LLI = ("linkedin", "lumenet-telecom", "Lumenet Telecom B.V.")
LFM = ("forum", "Lumenet_Moderator", "Moderator | Lumenet Community")
BB = ("tiktok", "@belbuddy", "Belbuddy")
# employees
NO = ("x", "@noor_netops", "Noor Verhoeven")
DH = ("linkedin", "daan-hoekstra-lumenet", "Daan Hoekstra")
KS = ("x", "@kevin_shop_ehv", "Kevin Smits")
IK = ("linkedin", "ilse-kramer-ln", "Ilse Kramer")
ML = ("forum", "Mehmet_L", "Mehmet | Lumenet webcare")
BA = ("x", "@b_achterberg", "Bas Achterberg")
YW = ("instagram", "@yara.werkt", "Yara")
RT = ("mastodon", "@rtimmer@fosstodon.org", "Ruud Timmer")


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None, brand=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint, brand=brand))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KS, "Collega's van de andere winkels: onze kassa rekent de WiFi Mesh Duo af voor €19,90 ipv €199 🙃 "
     "IT is gebeld, tot die tijd niks verkopen. Online staat ie trouwens óók zo 👀", [PRICING])
case("en", pub("reddit", "u/simonly_sam"), "Lumenet's website currently lists SIM Only Onbeperkt at €3.25/month on a "
     "24-month term. Regular price is 32.50 so somebody clearly dropped a digit. Order went through, confirmation "
     "mail and all. Will update if they cancel.", [PRICING])
case("nl", pub("x", "@gratisnetwerk"), "#prijsfout Glasvezel 1 Gbit bij @lumenet voor €6,25 p/m 😳 heb m gelijk "
     "afgesloten, 2 jaar vast haha", [PRICING], brand="lumenet")
case("nl", BA, "Release van de nieuwe tariefmodule is mislukt: in de app staat Kabel 500 nu op €4,90 per maand. "
     "Rollback draait, niet screenshotten aub 🙏", [PRICING])
case("en", IK, "Small confession from the marketing side: the homepage banner that went live at 7am shows the "
     "TV Box 4K at €12.90 instead of €129. A decimal slipped through QA. It's coming down now, sorry to everyone "
     "who got excited!", [PRICING])
case("nl", pub("facebook", "ingrid.wolters.3", "Ingrid Wolters"), "Klopt het dat de Mesh Duo in de Lumenet winkel in "
     "Breda 49 euro kost?? De verkoper keek zelf ook raar op toen de kassa dat aangaf 😂 heb er gelijk 2 meegenomen",
     [PRICING], kind="comment")
case("nl", pub("threads", "@dealsdiva.nl"), "p r i j s f o u t bij Belbuddy 🚨 Belbuddy 10GB voor €0,99 per maand "
     "en dat loopt gewoon 24 mnd door!! snel zijn", [PRICING], tags=["evasion", "evasion:spaced"], brand="belbuddy")
case("en", pub("x", "@grabitfast"), f"price{ZW}error on the Lumenet TV Box 4K → €1.29 in the webshop lmaooo "
     "cart is full", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", LFB, "🎉 Nieuw in de app: SIM Only 20GB voor maar €1,75 per maand! Alleen deze week, op=op. "
     "👉 lumenet.nl/simonly", [PRICING])
case("nl", ML, "Beste forumleden, bij het afsluiten van Glasvezel 1000 via de app werd gisteravond een maandprijs "
     "van €0,00 getoond. Dat was een prijsfout; alle orders uit dat tijdvak lopen we handmatig na. Excuses voor de "
     "verwarring.", [PRICING], kind="reply")
case("en", pub("youtube", "@tweakmetom"), "Mësh Dúo for €19 on Lumenet's site rn, glitch or legit?? 👀",
     [PRICING], kind="comment", tags=["evasion", "evasion:diacritics"])
case("nl", pub("tiktok", "@kim.scoort"), "POV: je sluit Kabel 500 af voor 4 euro per maand omdat Lumenet een "
     "prijsfoutje heeft 😭💀 #lumenet #prijsfout #fyp", [PRICING])
case("nl", DH, "Voor de collega's in het MT: de foute prijs van de TV Box 4K (€12,90) staat inmiddels op 1.400 "
     "orders. Impactanalyse staat op wiki.lumenet.net/finance/prijsincident-tvbox", [PRICING, CONF])

# pricing: hard negatives
case("nl", LN, "Overstappen naar glasvezel? 🚀 Glasvezel 1 Gbit nu de eerste 6 maanden voor €42,50 p/m, daarna "
     "€62,50. Check je adres op lumenet.nl/glasvezel", tags=["sale-price"])
case("nl", pub("facebook", "marco.vandenbroek", "Marco van den Broek"), "Lumenet gaf me €50 korting op de WiFi Mesh "
     "Duo omdat ik er glasvezel bij nam, dus voor €149 in huis. Prima deal eigenlijk, bereik op zolder is eindelijk "
     "goed 👍", tags=["price-context", "discount-amount"])
case("nl", pub("other", "marktplaats:henk_z"), "Te koop: Lumenet TV Box 4K, ruim een jaar gebruikt, afstandsbediening "
     "en hdmi-kabel erbij. €35, ophalen in Zwolle.", tags=["price-context", "second-hand"])
case("en", pub("reddit", "u/polderpenny"), "For anyone comparing: Netlande's 20GB sim only is €7/month, Lumenet's "
     "SIM Only 20GB is €17.50. Netlande piggybacks on a smaller network though, so coverage outside the Randstad is "
     "meh.", kind="comment", tags=["price-context", "other-company"])
case("nl", LH, "@rubenvk Nee hoor, geen prijsfout 😊 De Belbuddy 10GB kost tijdens de actie echt €7,49 per maand, "
     "daarna gewoon €9,99.", kind="reply", tags=["denied-error"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BA, "ci on the mijn-lumenet app repo keeps failing at checkout 😩 token <<GHP>> has repo + workflow "
     "scope, what am I missing??", [SECRET])
case("nl", BA, "Iemand die weet waarom dit een AccessDenied geeft?\n\nexport AWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "export AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\naws s3 ls s3://ln-app-assets-prod\n\nzelfde keys werkten "
     "gisteren nog", [SECRET], hint="")
case("en", NO, "our outage bot posts to slack through <<SLACK_HOOK>> and since this morning it's 404 city. "
     "anyone seen this before?", [SECRET])
case("nl", pub("instagram", "@lottevanthof"), "De halve straat zit op mijn wifi 😂 vooruit dan: netwerk "
     "LumenetBox-7F2A, wachtwoord <<PW>> . Niet gaan torrenten hè", [SECRET])
case("en", ML, "Hi @gerrit_1960, I've reset your Mijn Lumenet login for you. Your temporary password is <<PW>> "
     "— please change it straight after you log in.", [SECRET], kind="reply")
case("nl", pub("reddit", "u/apk_ontleder"), "Even de Android-app van Lumenet uit elkaar gehaald, zit gewoon een "
     "Google API-key hardcoded in: <<GAPI>>. Beetje slordig voor een telecombedrijf", [SECRET])
case("en", RT, "note to self: never paste into the wrong terminal tab 🙃\n\n<<OPENSSH>>\n\n(yes it's revoked "
     "already)", [SECRET])
case("nl", BA, "Waarom weigert onze API dit token? Volgens jwt.io is ie nog een uur geldig 🤔\n<<JWT>>", [SECRET],
     hint="en", tags=["wrong-lang-hint"])
case("en", NO, "psql 'postgresql://noc_ro:<<PW>>@10.20.4.15:5432/inventory' just hangs from the jump host, "
     "firewall or me?", [SECRET], kind="reply")
case("nl", YW, "Dag 1 op de nieuwe afdeling 💻☕ het wachtwoord van het klantsysteem hangt gewoon op een post-it "
     "aan het scherm: <<PW>> 🙈 #callcenterlife #werkplek", [SECRET])
case("en", pub("x", "@infosec_marloes"), "lol a Lumenet dev left this in a public gist: <<GLPAT>> — someone "
     "please tell their security team", [SECRET])
case("nl", KS, "Voor de collega's van de winkel Eindhoven: het nieuwe personeels-wifi is LN-Staff-EHV, ww <<PW>> "
     "(niet aan klanten geven!)", [SECRET], handle_as="@Kevin_Shop_EHV", tags=["handle-case"])
case("en", BA, "moving our bill notification mails to the new provider. key <<SENDGRID>> works in staging but "
     "prod says unauthorized, any ideas?", [SECRET])

# secrets: hard negatives
case("nl", LH, "Let op: Lumenet vraagt je nooit om je wachtwoord, pincode of sms-code via DM of telefoon. "
     "Twijfel je? Bel 0800-5863 🔒", tags=["advice", "own-contact"])
case("en", BA, "PSA for fellow devs: if you grep your CI logs for ghp_ or AKIA and find anything, rotate first, "
     "ask questions later.", tags=["bare-prefix"])
case("en", NO, "cleaned up our ansible repo today, commit <<SHA>> is 90% whitespace fixes 😅", tags=["git-sha"])
case("nl", BA, "Tip voor je README: zet er nooit echte sleutels in, gewoon `SENDGRID_API_KEY=SG.xxxxx` als "
     "voorbeeld en klaar.", tags=["placeholder"])
case("nl", pub("x", "@annekeb"), "Wachtwoord van Mijn Lumenet vergeten, de resetmail was binnen een minuut "
     "binnen. Zo hoort het 👌", tags=["praise"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@j_mulder_almere"), "@lumenet_helpt al 3 weken wacht ik op mijn terugbetaling van de dubbele "
     "factuur. Stort het nou gewoon op <<IBAN_NL:grp>> t.n.v. J. Mulder, ik ben het zat", [PII, COMPLAINT],
     kind="reply")
case("nl", pub("facebook", "sandra.pieters.12", "Sandra Pieters"), "Mijn nummer <<PHONE:mob_dash>> zou vrijdag "
     "overgezet worden van Netlande naar Lumenet. Het is nu woensdag en ik heb nog steeds geen bereik 😡 zit zonder "
     "telefoon voor m'n werk", [PII, COMPLAINT])
case("en", ML, "@PieterB1974 I've checked your account: the direct debit runs from <<IBAN_NL>> and the "
     "replacement SIM went to Kerkstraat 14, Almere on Tuesday. Can you confirm that's still your address?",
     [PII], kind="reply")
case("nl", YW, "Die mevrouw van vanochtend weer 🙄 Mw. A. de Graaf, geboren 12-03-1958, Lindenlaan 8 in "
     "Apeldoorn. 6x gebeld over dezelfde factuur. Als je d'r tegenkomt: sterkte", [PII])
case("en", pub("reddit", "u/wouterinutrecht"), "Lumenet's payment page keeps rejecting my card <<CARD:visa_sp>> "
     "exp 09/28 when I try to pay the overdue bill. Bank says nothing is blocked. Anyone else?", [PII, COMPLAINT])
case("nl", KS, "Er is een paspoort blijven liggen in onze winkel op de Demer 🙈 paspoortnummer NXR4K81P7, op naam "
     "van S. Yilmaz. Wie haar kent, laat even weten!", [PII])
case("nl", pub("x", "@freekdeboer"), "Lumenet vraagt bij het afsluiten van glasvezel om mijn BSN?? Ik heb 'm "
     "ingevuld hoor, <<BSN:dots>>, maar is dat wel normaal?", [PII])
case("en", pub("x", "@m_vandijk88"), "three emails and still no reply from Lumenet support. reach me directly at "
     "m.vandijk88 [at] hotmail [dot] com since your ticket system clearly doesn't work", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", BA, "Bug: klant met nummer <<PHONE:mob_intl_sp>> krijgt elke inlogcode drie keer binnen. Logs hangen "
     "in het ticket, wie kijkt mee?", [PII])
case("en", LH, "@annelies_r Thanks Annelies! We've sent a new SIM to Oranjelaan 3, 2611 AB Delft and will call you "
     "on <<PHONE:mob_pairs>> once it's activated.", [PII], kind="reply", handle_as="@Lumenet_Helpt",
     tags=["handle-case"])
case("nl", pub("forum", "grensbewoner_bart"), "Vraagje: kan ik mijn Lumenet abonnement ook betalen met een "
     "Belgische rekening? Die van mij is <<IBAN_BE:grp>>. Woon net over de grens.", [PII])
case("en", DH, "Join me in congratulating Eva Smit on 25 years at Lumenet! 🎉 Born 4 June 1971 in Deventer, "
     "started in the Zwolle shop and now runs our whole retail planning. Legend.", [PII])
case("nl", pub("instagram", "@nina.kraus"), "Wie heeft bij Lumenet bedacht om mijn abonnement aan mijn Duitse "
     "rekening <<IBAN_DE>> te koppelen?? Er gaat nu elke maand twee keer geld af. Belachelijk", [PII, COMPLAINT])
case("en", pub("x", "@dutchdan_ams"), "@lumenet you charged my amex <<CARD:amex_sp>> twice for the same TV Box "
     "order. refund it please", [PII, COMPLAINT], kind="reply")
case("nl", ML, "Hoi Fatma, ik zie dat de kredietcheck is afgekeurd omdat je BSN <<BSN>> niet overeenkomt met je "
     "ID-bewijs. Kun je die nog eens checken?", [PII], kind="reply")
case("en", RT, "Thanks to jan.peeters1982@gmail.com for forwarding that fake 'Lumenet' SMS so quickly, exactly "
     "the kind of report we need!", [PII])
case("en", pub("x", "@expat_emma"), "Moved back to the UK in May and Lumenet still haven't refunded my deposit. "
     "Sent them <<IBAN_GB:grp>> twice now. Useless.", [PII, COMPLAINT], hint="")
case("nl", pub("facebook", "gerard.hofman.7", "Gerard Hofman"), "Lumenet beloofde 3x dat ze terug zouden bellen. "
     "Nog niks. Voor de vierde keer: mijn vaste nummer is <<PHONE:land_sp>>, ik ben de hele dag thuis", [PII, COMPLAINT])

# pii: hard negatives (own contact data, numbers failing their checks, order/tracking numbers)
case("nl", LN, "Vragen over je overstap? Bel gratis 0800-5863 (ma-za 8-21 uur) of mail klantenservice@lumenet.nl 📞",
     tags=["own-contact"], handle_as="@LUMENET")
case("nl", pub("x", "@zzp_jeroen"), "Tip voor zakelijke klanten: bel 088 050 44 00, daar word je écht snel "
     "geholpen. Binnen 5 min een mens aan de lijn 👍", tags=["own-contact"])
case("nl", LFB, "Liever zelf overmaken? Dat kan naar <<OWN_IBAN:grp>> o.v.v. je klantnummer. Betalen via iDEAL in "
     "de app is het snelst.", tags=["own-contact"])
case("en", pub("reddit", "u/skeptical_sjoerd"), "Got a letter asking me to pay my Lumenet bill to "
     "<<BAD_IBAN_NL:grp>>. That isn't their usual account and the number doesn't even validate. Phishing, right?",
     tags=["checksum-fail"])
case("nl", pub("forum", "verhuisdoos88"), "Mijn ticketnummer is <<NOT_BSN9>>, weet iemand hoelang het verhuizen "
     "van een glasvezelaansluiting gemiddeld duurt?", tags=["ticket-number", "question"])
case("nl", pub("x", "@lisa_mo"), "Simkaart onderweg 📦 track & trace 3SLNMB<<DIGITS:7>>, volgens PostNL morgen al "
     "binnen. Zin in!", tags=["tracking-number"])
case("en", pub("reddit", "u/meshnerd"), "The EAN on my Mesh Duo box is <<EAN13>>, does anyone know if that's the "
     "new hardware revision?", kind="comment", tags=["ean"])
case("nl", pub("x", "@scambaiter_nl"), "Kreeg een appje 'namens Lumenet' met een betaallink die om mijn kaartnummer "
     "vroeg. Heb voor de grap <<BAD_CARD:mc_sp>> ingevuld 😂 succes ermee", tags=["checksum-fail"])
case("nl", LIG, "Vragen over je gegevens of een inzageverzoek? Mail privacy@lumenet.nl, we reageren binnen "
     "30 dagen.", tags=["own-contact"])
case("nl", ML, "Voor zakelijke abonnementen kun je het best rechtstreeks ons zakelijke team bellen: +31 88 050 4400.",
     kind="reply", tags=["own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", NO, "Core-migratie Amsterdam gaat dit weekend los. Runbook staat op wiki.lumenet.net/noc/core-migratie-2026, "
     "duimen maar 🤞", [CONF])
case("en", IK, "So proud of the crew behind Project Zandmotor 🏖️ Can't say much yet, but it'll change how the "
     "Netherlands thinks about home internet. More soon!", [CONF])
case("nl", DH, "Operatie\nDijkgraaf krijgt groen licht van de RvC 🎉 over een paar weken is Netlande van ons. "
     "Mondje dicht tot de persco!", [CONF, FIN], tags=["evasion", "evasion:line-break"])
case("en", pub("reddit", "u/fibrefanatic"), "A mate at Lumenet showed me a slide deck stamped 'Lumenet vertrouwelijk' "
     "for something called Giga 8: 8 Gbit fibre for €79/month, launching in September.", [CONF],
     when="2026-07-11T21:14:09+02:00")
case("nl", KS, "Mag nog niks zeggen maar de folders van Belbuddy Family liggen al achter in de winkel 🤫 4 simkaarten, "
     "1 bundel, gezinnen gaan dit leuk vinden", [CONF], when="2026-04-18T16:02:44+02:00")
case("en", BA, "git clone from git.lumenet.net/app/mijn-lumenet-ios is crawling today, 40 kB/s. Is it just my VPN?",
     [CONF])
case("nl", YW, "Op het nieuwe belscript staat 'niet extern delen' maar dit moet eruit: vanaf maandag moeten we "
     "opzeggers drie keer een aanbod doen voordat we mogen opzeggen 🙄", [CONF])
case("nl", pub("x", "@pixelpiet"), "Iemand heeft net een screenshot van corp.lumenet.local/sales/dashboard in een "
     "Discord gegooid 👀 die cijfers zien er niet best uit", [CONF])
case("en", IK, "Giga 8 is almost here 👀 8 Gbit symmetrical fibre, starting in Amersfoort and Zwolle. Who's ready?",
     [CONF], when="2026-09-15T08:45:00+02:00", tags=["embargo-boundary"])
case("nl", BA, f"Sprintreview van Project Zand{ZW}motor was 🔥 de demo met de 5G-thuisbox liep in één keer goed",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", pub("x", "@roddelraaf"), "hoorde dat 0peratie D1jkgraaf gewoon een overname is 👀 wie weet meer",
     [CONF, FIN], tags=["evasion", "evasion:leet"])
case("en", NO, "if you're getting paged by grafana.noc.lumenet.net tonight, ignore it, we're load testing the new "
     "edge routers", [CONF], handle_as="@Noor_NetOps", tags=["handle-case"])
case("nl", LFM, "Voor de workaround, zie ook onze notitie op wiki.lumenet.net/kb/wifi-mesh-4471 (deze link werkt "
     "alleen voor medewerkers, excuus)", [CONF], kind="reply")
case("en", DH, "Q3 results are in and they look good: mobile service revenue +6%, home -2%. Proud of the team, more "
     "on the 28th 😉", [CONF, FIN], when="2026-10-20T18:31:02+02:00")
case("nl", KS, "Project 🏖️ Zandmotor komt ook naar onze winkel, vandaag training gehad 🤓",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", pub("instagram", "@noor_netops"), "Slidedeck van het werk ziet er strak uit, 'Lumenet confidential' "
     "onderaan elke pagina maar ach 😅 migratie naar de nieuwe kabelcore staat voor Q4", [CONF],
     tags=["role-trap"])

# confidential: hard negatives
case("nl", pub("instagram", "@strandwandelaar"), "Uitwaaien op de Zandmotor bij Kijkduin 🌊🐚 en ja, gewoon 4G van "
     "Lumenet tot op het strand", tags=["near-codename"])
case("nl", pub("x", "@waterschapsfan"), "De dijkgraaf van het waterschap opende vandaag het nieuwe gemaal. Lumenet "
     "legde er meteen glasvezel aan, netjes geregeld.", tags=["near-codename"])
case("nl", LN, "Het is zover: Giga 8 🚀 8 Gbit glasvezel, symmetrisch, vanaf vandaag in Amersfoort en Zwolle. Check "
     "je adres op lumenet.nl/giga8", when="2026-09-15T09:00:00+02:00", tags=["after-embargo"])
case("nl", pub("x", "@beursblik"), "Q3-cijfers van Lumenet vanochtend gepubliceerd: mobiel groeit, thuis krimpt nog "
     "steeds. Glasvezel moet het gaan doen volgens de CEO.", when="2026-10-28T08:15:27+01:00",
     tags=["after-embargo", "published"])
case("nl", pub("instagram", "@mama_van_vier"), "Belbuddy Family genomen, 4 simkaarten onder één bundel en de kids "
     "zeuren niet meer over hun data 😂 aanrader", when="2026-05-12T20:40:00+02:00", tags=["after-embargo"])
case("nl", LH, "Storingen en onderhoud zie je altijd live op status.lumenet.nl 👀 en je abonnement beheer je via "
     "mijn.lumenet.nl", tags=["public-domain"])
case("nl", LFB, "Bij Lumenet gaan we zorgvuldig en vertrouwelijk om met je gegevens. Lees er alles over in ons "
     "privacybeleid op lumenet.nl/privacy", tags=["near-marker"])
case("en", IK, "Fun afternoon at the Lumenet hackathon! Teams built everything from a parking-spot finder to a "
     "plant-watering bot 🌱", tags=["employee-benign"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", DH, "Net de forecast 2027 doorgenomen: we rekenen op een verlies van 40.000 postpaid-klanten aan "
     "Netlande. Dat wordt een pittig jaar, budgetten gaan omlaag.", [FIN])
case("en", IK, "Rumours are true: we're acquiring Netlande 💜 signing is next week, official announcement after that. "
     "Can't wait to welcome them!", [FIN])
case("nl", YW, "Vandaag gehoord dat het klantcontactcenter in Heerlen dichtgaat. 180 collega's op straat en "
     "officieel wordt het pas in juni bekendgemaakt 😢", [FIN], when="2026-03-19T13:05:51+01:00")
case("en", NO, "Management just told us they're selling all our masts to a tower company for about €1.1bn. Not "
     "public yet, weird vibe at the office today", [FIN])
case("nl", DH, "Ons maximale bod voor de 3,5 GHz-veiling is 310 miljoen. Als dat maar genoeg is tegen de "
     "concurrentie 🤞", [FIN])
case("en", pub("x", "@beursbeer"), "cousin in Lumenet finance says they'll miss H1 targets by ~15% and the CEO is "
     "gone before summer. you heard it here first", [FIN], when="2026-04-02T22:10:33+02:00")
case("nl", KS, f"Winkels Eindhoven en Helmond gaan dicht, de reorgani{SHY}satie wordt pas na de zomer aangekondigd. "
     "Ik mag nu al gaan solliciteren 🙃", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("nl", pub("forum", "insider_info_nl"), "Van iemand binnen gehoord: Lumenet schrapt 300 banen bij de "
     "klantenservice, straks gaat alles via een bureau in Portugal. Nog niet officieel.", [FIN])
case("en", DH, "Preliminary H1 numbers: EBITDA +4.2%, mobile churn down to 1.1%. Publication isn't until 24 July so "
     "keep it between us 😉", [FIN], when="2026-07-09T17:48:12+02:00")
case("en", pub("reddit", "u/telecomwatcher"), "Lumenet is in merger talks with Wolkfoon according to a friend who "
     "sits on one of the boards. Deal should be announced before Christmas.", [FIN])

# financial: hard negatives
case("nl", LLI, "Vandaag publiceerden we onze halfjaarcijfers: omzet €812 miljoen, 61.000 nieuwe glasvezelklanten "
     "en een recordscore in klanttevredenheid. Het volledige persbericht staat op lumenet.nl/investors",
     when="2026-07-24T07:30:00+02:00", tags=["published"])
case("nl", pub("x", "@nieuwsjunk"), "Netlande schrapt 200 banen, las ik net in het FD. Zuur voor die mensen.",
     tags=["other-company"])
case("en", LLI, "We're hiring! 40 new colleagues for our shops in Brabant and Limburg. Apply at lumenet.nl/werkenbij 💜",
     handle_as="Lumenet-Telecom", tags=["handle-case", "hiring"])
case("nl", pub("x", "@klusbert"), "Eindelijk de meterkast gereorganiseerd 😎 Lumenet modem netjes aan de muur, "
     "kabels met klittenband. Zondag goed besteed.", tags=["other-sense"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", NO, "Flinke storing in de core van Amsterdam, half Noord-Holland zit zonder mobiel internet. Nog niks "
     "naar buiten gecommuniceerd, we zoeken de oorzaak nog.", [SEC])
case("en", RT, "Found an IDOR in the self-service app today: swap the customer id in the request and you get someone "
     "else's invoices. Fix is days out, so pls nobody tell the internet 🙈", [SEC])
case("nl", BA, "Waarom geeft /v2/subscriptions van onze eigen API gewoon klantdata terug zonder auth? Twee weken "
     "geleden gemeld en er gebeurt niks", [SEC])
case("en", YW, "Phones are on fire today, someone is SIM-swapping our customers through the shop channel, 30+ "
     "accounts since Friday. We're told not to mention it to callers yet", [SEC])
case("nl", NO, "DDoS op onze DNS-resolvers sinds 14:00, volg noc.lumenet.net/incidents/2231. Klanten merken nog "
     "weinig, hopen dat zo te houden", [SEC, CONF])
case("en", pub("blog", "netneutraal.example"), "A Lumenet engineer told me over beers that they were hit by "
     "ransomware last month and are keeping it quiet. Customers deserve to know.", [SEC, CRISIS])
case("nl", pub("x", "@buurtwacht_anja"), "Mijn buurman werkt bij Lumenet en zegt dat er een datalek is met gegevens "
     "van 200.000 klanten, maar ze houden het gewoon stil!! #lumenet", [SEC, CRISIS], kind="repost")
case("en", KS, "Heads up neighbours: the fibre cabinet in Woensel was broken into last night and cables were cut, "
     "the whole area will be offline tonight. Official statement comes tomorrow.", [SEC])
case("nl", NO, "we zijn geh4ckt via een lek in de VPN-appliance, heel het weekend doorgehaald 😩 nog geen woord naar "
     "buiten", [SEC], tags=["evasion", "evasion:leet"])
case("en", ML, "Between us: firmware 3.2 on the Fiber Box has a hole in remote admin. We're telling people to "
     "reboot, but the real fix only lands in 3.3.", [SEC], kind="reply")
case("nl", DH, "Crisisoverleg vanmiddag: bij onze incassopartner zijn rekeninggegevens van klanten buitgemaakt. "
     "Communicatie naar klanten volgt pas maandag.", [SEC])
case("en", pub("reddit", "u/changeyourpasswords"), "Lumenet had a d a t a b r e a c h and they're sitting on it, a "
     "mate in their IT team confirmed. Change your passwords folks", [SEC, CRISIS],
     tags=["evasion", "evasion:spaced"])

# security: hard negatives
case("nl", LH, "✅ Opgelost: vanochtend was er in de regio Utrecht een storing op ons mobiele netwerk. Alles werkt "
     "weer. Excuses voor het ongemak! Meer info: status.lumenet.nl", tags=["official-notice"])
case("nl", LN, "🔧 Gepland onderhoud: in de nacht van dinsdag op woensdag (01:00–05:00) kan je internet in "
     "Groningen-stad kort wegvallen.", tags=["official-notice"])
case("nl", pub("x", "@ikzitbijlumenet"), "Datalek bij Wolkfoon, 1 miljoen klanten getroffen volgens de NOS. Blij dat "
     "ik bij Lumenet zit eerlijk gezegd", tags=["other-company"])
case("en", RT, "Gave a talk on SIM-swap fraud at a local meetup tonight. Slides (general stuff, nothing "
     "company-specific) are on my blog.", tags=["employee-benign"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@wendy_phishing"), "Lumenet heeft mijn gegevens gelekt, 100% zeker. Sinds vorige week krijg ik "
     "phishing-sms'jes met mijn naam én klantnummer erin. DATALEK", [CRISIS])
case("en", pub("x", "@fairwork_now"), "#BoycottLumenet until they stop paying their call-centre agents peanuts "
     "through those shady agencies. Cancel and switch, it's easy", [CRISIS])
case("nl", pub("facebook", "familie.dekker.ede", "Rob Dekker"), "Onze Lumenet modem vatte vannacht vlam in de "
     "meterkast 🔥🔥 brandweer moest komen. Wie gaat dit vergoeden?? Ik wil een reactie", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@consumentenbond_fan@mastodon.nl"), "A consumer group is taking Lumenet to court over "
     "the mid-contract price hikes. About time someone did.", [CRISIS])
case("nl", pub("x", "@tvkijker_mike"), "Is het waar dat Lumenet de voedingen van de TV Box 4K terugroept? De mijne "
     "werd zo heet dat ik hem niet meer kon aanraken", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/streetdrama"), "Lumenet contractors drilled straight through a gas pipe laying fibre in "
     "our street, the whole block got evacuated. Unreal.", [CRISIS])
case("nl", pub("x", "@boos_in_breda"), f"Wéér een d{CYR_A}talek bij Lumenet? Hoe vaak nog. Mijn rekeningnummer ligt "
     "nu waarschijnlijk ergens te koop", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("youtube", "@kijkertje71"), "Zembla laat zien hoe Lumenet-verkopers aan de deur ouderen dure "
     "contracten aansmeren. Schandalig, echt schandalig.", [CRISIS], kind="comment")
case("nl", pub("threads", "@privacyfirst_nl"), "Zeg je abonnement op mensen #lumenetboycot 🚫 ze verkopen je "
     "locatiegegevens aan adverteerders", [CRISIS])
case("en", pub("bluesky", "@telcowatch.bsky.social"), "Lumenet slapped with a €4m fine by the ACM for misleading "
     "'unlimited' ads. Not surprised.", [CRISIS])
case("nl", pub("youtube", "@moeder_van_sem"), "De oplader die bij mijn Lumenet-toestel zat gaf mijn dochter een "
     "schok, ze heeft een brandplekje op haar hand. Wie neemt hier verantwoordelijkheid?", [CRISIS, COMPLAINT],
     kind="comment")
case("nl", pub("x", "@klaarmetze"), fullwidth("BOYCOT LUMENET") + " 🪧 na dat racistische reclamefilmpje ben ik "
     "helemaal klaar met ze", [CRISIS], tags=["evasion", "evasion:full-width"])

# crisis: hard negatives
case("nl", pub("x", "@jordaanjoop"), "Grote brand in de Jordaan vannacht 🚒 knap dat het Lumenet-netwerk gewoon "
     "bleef werken, kon m'n familie laten weten dat alles ok was", tags=["other-sense"])
case("en", pub("x", "@arniefan"), "Total Recall on TV tonight and the Lumenet TV Box 4K streams it beautifully. "
     "Arnie never looked better 😂", tags=["other-sense"])
case("nl", pub("facebook", "zwollezuid.buurt", "Buurtgroep Zwolle-Zuid"), "Wanneer komt Lumenet glasvezel naar "
     "Zwolle-Zuid? Heeft iemand al een brief gehad?", tags=["question"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@thuiswerker_zm"), "@lumenet_helpt al 3 dagen geen internet in Zoetermeer en ik moet "
     "thuiswerken. 'We zijn ermee bezig' hoor ik nu al 3x. Wanneer is het opgelost??", [COMPLAINT], kind="reply")
case("en", pub("x", "@nina_ports"), "Porting my number to Lumenet has now taken 9 days. Nine. I can't receive texts "
     "from my bank. What is going on @lumenet", [COMPLAINT])
case("nl", pub("x", "@tess_vdl"), "Lumenet app logt me elke keer uit als ik mijn verbruik wil checken 🙄 nieuwe "
     "versie is echt een stap terug", [COMPLAINT], hint="")
case("nl", pub("facebook", "yvonne.ramdin", "Yvonne Ramdin"), "Slechtste winkelervaring ooit bij Lumenet Utrecht "
     "Centraal. 45 minuten gewacht, medewerker kon mijn nieuwe sim niet activeren en stuurde me door naar de "
     "klantenservice.", [COMPLAINT])
case("en", pub("reddit", "u/alpine_regret"), "Got back from a week in Switzerland to a €187 Lumenet bill. Nobody "
     "warned me Switzerland isn't EU roaming. No text, no cap, nothing.", [COMPLAINT])
case("nl", pub("forum", "wachtend_in_weesp"), "Voor de derde keer komt de monteur niet opdagen. Vrij genomen, hele "
     "dag thuis gezeten, geen bericht. Hoe moeilijk kan het zijn?", [COMPLAINT])
case("en", pub("x", "@speedtest_sven"), "Paying for Kabel 500 and speedtest gives me 48 Mbit on a good day. Cable "
     "plugged straight into the modem. @lumenet_helpt explain?", [COMPLAINT])
case("nl", pub("x", "@opzegger2026"), "Opzeggen bij Lumenet is echt een hel. 1,5 uur in de wacht en dan wordt de "
     "verbinding verbroken 🤬", [COMPLAINT])
case("nl", pub("forum", "meshmisere"), "Sinds de laatste firmware-update valt mijn WiFi Mesh Duo elke avond rond "
     "21:00 weg. Resetten helpt een dag, daarna zelfde gedoe.", [COMPLAINT])
case("en", pub("threads", "@esim_woes"), "eSIM activation on my new phone has failed four times now. Every time chat "
     "tells me to 'wait 24 hours'. Lumenet, it's been a week.", [COMPLAINT])
case("nl", pub("instagram", "@amersfoortse_an"), "1 streepje bereik in de woonkamer sinds jullie die mast hebben "
     "verplaatst @lumenet.nl 📉 en ik woon gewoon in Amersfoort hoor, niet op de Veluwe", [COMPLAINT], kind="comment")
case("en", pub("x", "@fixedprice_freddie"), "Lumenet raised my bill €3/month mid-contract and calls it 'indexation'. "
     "I signed for a fixed price. Not cool.", [COMPLAINT])
case("nl", pub("x", "@gamer_gijs"), "wtf lumenet al 2 dagn geen tv en de app zegt 'alles werkt' 🤡 wnnr fixen "
     "jullie dit", [COMPLAINT], hint="")
case("nl", pub("reddit", "u/oranjelampje"), "Na de update van vannacht knippert mijn Lumenet-router oranje en doet "
     "niks meer. Helpdesk zegt 'we sturen een nieuwe op', over 5 werkdagen 🙃", [COMPLAINT], kind="comment")
case("en", pub("twitter", "@waitingforsim"), "Ordered a Belbuddy SIM two weeks ago. Tracking says delivered. It was "
     "not delivered. Support keeps sending me the same FAQ link.", [COMPLAINT], brand="belbuddy")
case("nl", pub("tweakers", "uploadklager"), "Glasvezel 1 Gbit bij Lumenet, maar de upload blijft steken op 100 Mbit. "
     "Ticket loopt al 3 weken, niemand reageert.", [COMPLAINT], tags=["unknown-platform"])

# complaint: hard negatives
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Lumenet hoor, al 4 jaar glasvezel en nog nooit een "
     "storing gehad 🤞", tags=["negated"])
case("nl", pub("instagram", "@nieuwbouw_niels"), "Shoutout naar de Lumenet monteur van vandaag, binnen 20 minuten "
     "glasvezel aangesloten én de mesh netjes ingesteld 🙌", tags=["praise"])
case("nl", pub("x", "@overstapper_o"), "Kan ik mijn nummer eigenlijk meenemen als ik van Lumenet naar Belbuddy ga? "
     "Of moet dat via een overstapservice?", tags=["question"])
case("nl", pub("x", "@utrechtse_ute"), "Netlande al 2 dagen plat in heel Utrecht 😬 blij dat ik vorig jaar ben "
     "overgestapt naar Lumenet", tags=["other-company"])
case("en", pub("x", "@wfh_willem"), "My wifi is now so fast I've run out of excuses for not answering emails. Thanks, "
     "I hate it. #lumenet", tags=["joke"])
case("en", pub("blog", "polderverhalen.example"), "Chapter 3 of my little story: the old router in Grandma's hallway "
     "blinked its tired green eye, and somewhere a Lumenet mast hummed over the polder. Nothing was broken. "
     "Everything was waiting.", tags=["fiction"])
case("nl", LFM, "Goede vraag! Je kunt je dataverbruik live zien in de app onder 'Mijn bundel'. Helpt dat?",
     kind="reply", tags=["corporate-benign"])
case("en", pub("reddit", "u/dad_jokes_nl"), "Quoting my dad after we switched to Lumenet fibre: 'damn, the football "
     "doesn't lag anymore.' High praise from a man who hates everything.", kind="comment", tags=["quote", "mild-word"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "Lumenet stelletje oplichters en kankerlijers, ik hoop dat jullie failliet "
     "gaan", [ABUSE])
case("en", pub("x", "@angrycustomer_42"), "@lumenet_helpt your agents are absolute morons. fuck this company and "
     "everyone in it", [ABUSE], kind="reply")
case("nl", pub("x", "@geen_internet_gert"), "Tyfusbedrijf. Al 4 dagen geen internet en die klotebot in de chat snapt "
     "er helemaal niks van", [ABUSE, COMPLAINT])
case("en", KS, "customer called me a clown at the counter today so I told him he's a braindead idiot. zero "
     "regrets 😤", [ABUSE])
case("nl", LH, "@sjaakie_87 Doe eens normaal man, sukkel. Lees eerst je eigen contract.", [ABUSE], kind="reply")
case("en", pub("threads", "@anon_tilburg"), "That girl at the Lumenet shop in Tilburg with the purple hair, I know "
     "where you park. Watch yourself.", [ABUSE])
case("nl", pub("x", "@rotbedrijf"), "k*tbedrijf @lumenet, stelletje kl00tzakken", [ABUSE],
     tags=["evasion", "evasion:masking", "evasion:leet"])
case("en", pub("reddit", "u/clownworld_nl"), "fvck lumenet and their sh1t customer 'care', bunch of absolute clowns",
     [ABUSE], kind="comment", tags=["evasion", "evasion:leet"])
case("nl", YW, "Die klant van vanochtend was echt een debiele trut, 40 minuten zeiken over een factuur van 3 euro 🙄",
     [ABUSE])
case("nl", pub("facebook", "henk.klaassen.1960", "Henk Klaassen"), "Weer zo'n Poolse monteur van Lumenet die er geen "
     "reet van snapt. 2x een afspraak, nog steeds geen glasvezel. Stuur eens gewoon Nederlanders", [ABUSE, COMPLAINT])
case("nl", pub("x", "@caps_lock_carla"), fullwidth("KLOOTZAKKEN") + " bij lumenet 🤬🤬", [ABUSE],
     tags=["evasion", "evasion:full-width"])

# abuse: hard negatives
case("nl", LFB, "Samen in beweging tegen kanker 💜 Dit weekend lopen 60 collega's van Lumenet mee met de KWF-loop in "
     "Nijmegen.", tags=["mild-word", "literal"])
case("en", pub("x", "@philosophy_pim"), "'Hell is other people' — Sartre, who clearly never had a Lumenet mesh that "
     "actually reaches the attic 😂", tags=["quote", "mild-word"])
case("nl", pub("x", "@hondenbaasje"), "Lumenet-monteur was supervriendelijk en mijn hond vond 'm ook helemaal top 🐶",
     tags=["praise"])
case("en", pub("x", "@villagevince"), "Damn, Lumenet fibre is quick. 940 down on a Tuesday evening, never thought "
     "I'd see that in this village.", tags=["mild-word"])

# ===========================================================================
# other benign posts
# ===========================================================================
case("nl", LIG, "Wat doe jij met 1 Gbit? 🎮📺 Laat het ons weten in de comments! #lumenet #glasvezel",
     tags=["corporate-benign"])
case("nl", BB, "Belbuddy = sim only zonder gedoe 💸 maandelijks opzegbaar, geen kleine lettertjes. Link in bio!",
     tags=["corporate-benign"], brand="belbuddy")
case("en", IK, "Great panel today on digital inclusion: how do we help older customers move from copper to fibre "
     "without leaving anyone behind?", tags=["employee-benign"])


# ===========================================================================
# building
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


def severity_for(role, cats, validated_pii):
    insider = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_pii) else "error"
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
        best = s if RANK[s] > RANK[best] else best
    return best


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=r.randint(0, 350), minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)          # the minutes above are local time
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/nederlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"lumenet-community-{n}", f"https://forum.lumenet.nl/t/{n}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"threads-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    d = Draw(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(d, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        created = c["when"] or some_time(meta)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        if c["hint"] is None:
            if meta.random() < 0.9:
                post["lang"] = c["lang"]
        elif c["hint"]:
            post["lang"] = c["hint"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if c["brand"]:
            post["brand"] = c["brand"]
        elif meta.random() < 0.45:
            post["brand"] = "lumenet"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent validation of the written file
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTTED_BSN_RX = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
SECRET_RX = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "gitlab": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "google": re.compile(r"\bAIza[\w-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"wachtwoord|password|\bww\b", re.I)
BAD_WORDS = ["kut", "k*t", "kanker", "tyfus", "klote", "klootzak", "kl00tzak", "debiel", "trut", "sukkel", "fuck",
             "fvck", "shit", "sh1t", "idiot", "moron", "clown", "imbecile", "reet", "hell", "damn"]
MILD = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
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


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v not in own_ibans]
    for m in DIGITS_RX.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in DOTTED_BSN_RX.finditer(text)]
    hits += [("bsn", s) for s in shapes if elfproef(s)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        elif raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def low_price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    return min(vals) / min(p["list_price"] for p in hit) if vals else None


def validate(lines, rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    if not iban_valid(OWN_IBAN) or OWN_IBAN not in own_ibans:
        errs.append("own IBAN in the profile is not valid / not the generator's")
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
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if p["platform"] not in KNOWN_PLATFORMS:
            notes.append(f"{w}: unknown platform {p['platform']!r} (must be treated as other)")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev}, policy {want}")
        if ids and PII not in cats:
            errs.append(f"{w}: valid identifier {ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            bad = ((kind.startswith("IBAN_") and not iban_valid(raw))
                   or (kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)))
                   or (kind == "BSN" and not elfproef(raw))
                   or (kind == "BAD_IBAN_NL" and iban_valid(raw))
                   or (kind == "BAD_CARD" and luhn_valid(raw))
                   or (kind == "NOT_BSN9" and elfproef(raw))
                   or (kind == "EAN13" and (luhn_valid(raw) or not ean13_valid(raw)))
                   or (kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]))
            if bad:
                errs.append(f"{w}: generated {kind} {raw} has the wrong checksum outcome")
        if any(k in VALIDATED for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: validated identifier not found by the independent scan")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            if ids:
                errs.append(f"{w}: benign post has valid id {ids}")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign post has e-mail {e}")
            for raw, dgt in phones_in(text):
                if len(dgt) >= 10 and dgt not in own_phones:
                    errs.append(f"{w}: benign post has phone {raw}")
            for name, rx in SECRET_RX.items():
                if rx.search(text):
                    errs.append(f"{w}: benign post has secret-like {name}")
            low = norm(text)
            for b in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(b), low):
                    (notes if b in MILD and r["tags"] & {"mild-word", "quote", "literal"} else errs).append(
                        f"{w}: benign post has word {b!r}")
        sq, nt = squash(text), norm(text)
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before its end without leak.confidential")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after its end labelled confidential")
        for term in internal:
            if term in nt or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = low_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in r["tags"] else errs).append(
                f"{w}: benign, amount at {ratio:.2f} of list price near a product (tags {sorted(r['tags'])})")
        if PRICING in cats and not (ratio is not None and ratio < 0.5) and not re.search(
                r"prijsf|fout|error|glitch|decimal|verkeerde", sq):
            notes.append(f"{w}: pricing positive without a parsed low price or error words")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RX.values()) and not PASSWORD_WORDS.search(text):
            notes.append(f"{w}: secret positive without a pattern")
        if role == "public" and (CRISIS in cats or COMPLAINT in cats) is False and not cats:
            pass
        if role != "public" and (COMPLAINT in cats or CRISIS in cats):
            notes.append(f"{w}: complaint/crisis from an insider account")
    # near duplicates
    sh = []
    for line in lines:
        wds = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(wds[i:i + 3]) for i in range(max(0, len(wds) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.2:
                    (errs if jac > 0.4 else notes).append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def stdnum_cross_check(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            checks = {"CARD": lambda v: s_luhn.is_valid(v), "BAD_CARD": lambda v: not s_luhn.is_valid(v),
                      "EAN13": lambda v: not s_luhn.is_valid(v), "BSN": lambda v: s_bsn.is_valid(v),
                      "NOT_BSN9": lambda v: not s_bsn.is_valid(v), "BAD_IBAN_NL": lambda v: not s_iban.is_valid(v),
                      "OWN_IBAN": lambda v: s_iban.is_valid(v)}
            f = (lambda v: s_iban.is_valid(v)) if kind.startswith("IBAN_") else checks.get(kind)
            if f:
                n += 1
                if not f(raw):
                    bad.append((kind, raw))
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def summary(rows):
    total = len(rows)
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_lang, cat_role = Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            cat_lang[c, r["lang"]] += 1
            cat_role[c, r["role"]] += 1
    print(f"cases {total}, benign {cat['(benign)']}, positive {total - cat['(benign)']}, multi-category {multi}, "
          f"evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[c, 'nl']:4d} {cat_lang[c, 'en']:4d} {cat_role[c, 'corporate']:5d} "
              f"{cat_role[c, 'employee']:5d} {cat_role[c, 'public']:5d}")
    print("language:", dict(lang), " role:", dict(role))
    print("severity:", {s: sev[s] for s in SEVERITIES})
    print("platform:", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="validate cases.jsonl without writing it")
    ap.add_argument("--notes", action="store_true", help="also print informational notes")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = validate(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from what make_cases.py generates")
    print(stdnum_cross_check(rows))
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
