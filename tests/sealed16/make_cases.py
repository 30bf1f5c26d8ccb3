#!/usr/bin/env python3
"""Deterministic generator for the sealed16 blind set (TulpAir B.V., budget airline).

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate, print counts

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>> placeholders
filled by a seeded RNG: positives get checksum-valid IBANs, cards and BSNs; hard negatives get
values that fail their checksum. Severity is computed from CONTRACT section 4, never typed.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from collections import Counter
from pathlib import Path

SEED = 16072026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"
CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "A": "\u0410", "T": "\u0422", "i": "\u0456"}


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cy(s, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[c] if c in letters else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL81RABO0318047726"


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

    def dg(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"]) + self.dg(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10010010", "50070010", "37050198", "20050550"]) + self.dg(10, False))
        if cc == "BE":
            first = self.r.choice(["001", "068", "363", "734", "096"]) + self.dg(7, False)
            return iban_make("BE", f"{first}{(int(first) % 97) or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "HBUK", "NWBK", "LOYD"]) + self.dg(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 13, 29, 31, 47):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dg(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.dg(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dg(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dg(12, False)}[brand]()
        for d in "0123456789":
            if luhn_ok(pre + d):
                return pre + d
        raise AssertionError

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
            s = self.dg(9)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dg(n)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dg(10, False)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dg(7, False)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_0031": f"0031 6 {d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_intl0": f"+31 (0)6 {d8}", "mob_intl_c": f"+316{d8}"}[f]
        area = self.r.choice(["10", "13", "30", "43", "45", "73", "76", "77", "499"])
        sub = self.r.choice("2345789") + self.dg(8 - len(area), False)
        return {"land_dash": f"0{area}-{sub}", "land_intl": f"+31 {area} {sub}",
                "be_mob": f"+32 4{self.dg(2, False)} {self.dg(2, False)} {self.dg(2, False)} {self.dg(2, False)}"}[f]

    def passport(self):
        L = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.ch(L, 2) + self.ch(L + "0123456789", 6) + self.dg(1, False)

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "pax_" + self.dg(7), "iss": "book.tulpair.nl", "scope": "manage_booking",
                               "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dg(2, False)
                + self.r.choice("!*-_~") + self.ch(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:]); shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:]); shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_"); raw = g.card(b); shown = g.fmt_card(raw, ff or "sp")
        elif k == "BADCARD":
            b, _, ff = f.partition("_"); raw = g.bad_card(b); shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.dg(int(f))
        elif k == "PASSPORT":
            raw = shown = g.passport()
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "AWS_ID":
            raw = shown = "AKIA" + g.ch(B32, 16)
        elif k == "AWS_SECRET":
            raw = shown = g.ch(B64, 40)
        elif k == "SLACK_BOT":
            raw = shown = f"xoxb-{g.dg(12)}-{g.dg(13)}-{g.ch(ALNUM, 24)}"
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = f"https://hooks.slack.com/services/T{g.ch(up, 8)}/B{g.ch(up, 10)}/{g.ch(ALNUM, 24)}"
        elif k == "STRIPE":
            raw = shown = "sk_live_51" + g.ch(ALNUM, 97) if f == "long" else "sk_live_" + g.ch(ALNUM, 24)
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.ch(B64URL, 33)
        elif k == "GLPAT":
            raw = shown = "glpat-" + g.ch(ALNUM + "_-", 20)
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "PEM_OPENSSH":
            raw = shown = g.pem_openssh()
        elif k == "PW":
            raw = shown = g.pw()
        elif k == "HEX":
            raw = shown = g.ch("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

T_X = ("x", "@tulpair", "TulpAir")
T_HELP = ("x", "@tulpair_help", "TulpAir Help")
T_IG = ("instagram", "@tulpair", "TulpAir")
T_TT = ("tiktok", "@tulpair", "TulpAir")
T_LI = ("linkedin", "tulpair-airlines", "TulpAir B.V.")
T_FB = ("facebook", "TulpAirNL", "TulpAir")
MV = ("x", "@captain_maarten", "Maarten Visser")
LW = ("instagram", "@lotte.flies", "Lotte de Wit")
LWT = ("tiktok", "@lotte.flies", "Lotte ✈️")
RH = ("linkedin", "ruben-hendriks-tulpair", "Ruben Hendriks")
YO = ("x", "@yasmina_occ", "Yasmina Ouali")
EV = ("linkedin", "eline-vandijk-tulpair", "Eline van Dijk")
KR = ("x", "@kees_ramp_ein", "Kees Rademakers")
DB = ("threads", "@dewi.boarding", "Dewi Boersma")
NS = ("mastodon", "@nielsb@mastodon.nl", "Niels Brouwer")
JB = ("x", "@jorrit_codes", "Jorrit Bakker")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    p, h, dn = acct
    CASES.append(dict(lang=lang, platform=p, handle=handle_as or h, dn=dn, text=text, cats=sorted(set(cats)),
                      kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("en", RH, "Morning team 👋 quick one before standup: the overnight fare-rules deploy mangled the ancillaries "
     "table. The checked bag 20kg is showing €4,20 instead of €42 in the app since ~03:00. Hotfix is queued behind "
     "the release train, so please no screenshots in the group chats.", [PRICING])
case("nl", pub("x", "@bramvanloon_"), "YOOO TulpClub Gold voor €24,90 in de app?? dat moet een prijsfout zijn 😂😂 direct "
     "afgerekend, sorry @tulpair", [PRICING])
case("nl", pub("reddit", "u/vliegtuigspotter040"), "[Prijsfout] TulpPass 10 vluchten voor €89 ipv €899\n\nVia "
     "book.tulpair.nl, betaling ging gewoon door en ik heb een bevestiging. Iemand ervaring of ze zoiets honoreren?",
     [PRICING])
case("en", pub("facebook", "sharon.vdmeer", "Sharon van der Meer"), "Anyone else seeing XL Legroom seats for 2 euros "
     "on TulpAir flights out of Rotterdam?? Pretty sure thats a glitch lol, grabbed 4 for the whole family before "
     "they notice", [PRICING])
case("nl", KR, "collega's bij de balie: kassa rekent de skitas nu af voor €5,50 ipv €55 🙃 systeem is de weg weer "
     "kwijt, even niet rondbazuinen graag", [PRICING])
case("en", LW, "not me finding out the TulpFlex bundle costs €5.90 on the crew rebooking screen today 👀 someone in "
     "revenue is having a rough monday #crewlife #oops", [PRICING], kind="post")
case("nl", T_FB, "🌷 Alleen vandaag! Handbagage Plus 10 kg voor maar €9 bij elke boeking in de app. Op = op! ✈️",
     [PRICING])
case("nl", pub("threads", "@joeyyy.nl"), "p r i j s f o u t bij tulpair!!! 20kg koffer voor 3 euro 🧳💨 ren",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@dealhunter_eu"), fw("PRICE ERROR") + " TulpAir Club Gold for €19 on the Belgian site, go go go",
     [PRICING], tags=["evasion", "evasion:full-width"])
case("nl", pub("x", "@mo_reist"), "TulpPass voor €79 😳 is dit een " + cy("prijsfout", "o") + " of gewoon Black Friday?? "
     "heb er eentje, kijken wat er gebeurt", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("youtube", "@budgetflyerNL"), "Booked the Flex bundle for €0,59 last night during the TulpAir pricing "
     "bug. Still in my booking this morning 😂", [PRICING], kind="comment")
case("nl", YO, "Ruimbagage 20 kg staat sinds vannacht op €4,20 live. Zie jira.tulpair.nl/browse/ANC-2291, "
     "revenue mag pas fixen na de change freeze 🙄", [PRICING, CONF])

# =========================================================================== leak.secret
case("en", RH, "PSA from our mobile team 🙈 we found this hard-coded in an old build of the TulpAir app:\n\n"
     "GOOGLE_MAPS_KEY=<<GAPI>>\n\nIt's restricted now, but check your Android resource files, folks. "
     "#androiddev #appsec", [SECRET])
case("nl", NS, "kan iemand meekijken waarom de deploy faalt? AWS_ACCESS_KEY_ID=<<AWS_ID>> "
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>> regio eu-west-1, blijf AccessDenied krijgen #aws", [SECRET])
case("en", YO, "ops bot in slack is dead AGAIN 😩 token <<SLACK_BOT>> gives invalid_auth. someone from IT pls 🙏",
     [SECRET], kind="reply")
case("nl", KR, "Wachtwoord crewnet voor de rampploeg is deze maand <<PW>> 👍 niet weer kwijtraken jongens", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the TulpAir Android APK out of curiosity. They ship a live "
     "payment key in strings.xml: <<STRIPE>>\n\nReported it to them two weeks ago, no reply. 🤦", [SECRET])
case("nl", JB, "github actions weigert mijn token <<GHP>> sinds de org-migratie, iemand een idee? #devops", [SECRET])
case("en", T_HELP, "@jjanssen91 Could you try this link once more? book.tulpair.nl/manage?session=<<JWT>> "
     "Let us know if it works! ^Mila", [SECRET], kind="reply")
case("nl", pub("forum", "ZwarteDoos"), "Dit staat gewoon leesbaar in een publieke config van ze:\n"
     "postgres://booking_admin:<<PW>>@pnr-db.intra.tulpair.local:5432/pnr\nSlordig hoor TulpAir.",
     [SECRET, CONF])
case("en", MV, "EFB iPad refuses to sync again. IT said re-enter the password so for my FO tomorrow: <<PW>> 😅 "
     "...wait this isn't the group chat", [SECRET])
case("en", NS, "debugging ssh to the bastion, why does it say invalid format??\n<<PEM_OPENSSH>>", [SECRET])
case("nl", YO, "Wie heeft de webhook van #occ-vertragingen aangepast? <<SLACK_HOOK>> post niks meer sinds gisteren",
     [SECRET])
case("nl", KR, "wacht" + ZW + "woord wifi crewroom RTM is nu <<PW>> (mag niet op het bord staan van de baas haha)",
     [SECRET], tags=["evasion", "evasion:zero-width"])
case("en", JB, "ugh gitlab CI keeps rejecting <<GLPAT>> after the SSO switch. anyone?? #gitlab", [SECRET])

# =========================================================================== leak.pii
case("nl", LW, "Jarige aan boord vandaag! 🎂 Mevrouw Ria Jansen uit Veldhoven, geboren 14-03-1948, vierde haar "
     "verjaardag op weg naar Málaga 💐 hele cabine zong mee", [PII])
case("en", T_HELP, "@mark_dekker We've updated the contact number on your booking to <<PHONE:mob_intl_sp>> and sent "
     "the confirmation to m.dekker84@gmail.com 👍", [PII], kind="reply")
case("nl", T_HELP, "@fam_vermeulen De terugbetaling van €312,40 is vandaag overgemaakt naar <<IBAN_NL:grp>> t.n.v. "
     "P. Vermeulen. Het kan 1-2 werkdagen duren.", [PII], kind="reply")
case("nl", pub("x", "@rkramer_ehv"), "@tulpair_help al 6 weken wachten op mijn refund!! nog 1x dan: <<IBAN_NL>> "
     "t.n.v. R. Kramer. Vlucht TP2231 geannuleerd en niemand die reageert", [PII, COMPLAINT])
case("en", pub("facebook", "gary.whitlock.9", "Gary Whitlock"), "TulpAir charged me TWICE for the same bag. Card "
     "<<CARD:visa_sp>>, exp 09/28. Refund it now please, this is ridiculous", [PII, COMPLAINT])
case("nl", KR, "Paspoort gevonden bij gate C4 in EIN: S. de Boer, paspoortnr <<PASSPORT>>, geboren 02-11-1991. "
     "Ligt bij lost & found 👍", [PII])
case("en", DB, "pax from 14C yelled at me for 20 mins so here's his number if anyone wants to have a word 😤 "
     "<<PHONE:mob_dash>>", [PII])
case("nl", KR, "nieuwe collega kan niet in het roosterportaal, BSN <<BSN>> staat er niet in?? HR help 🙄", [PII])
case("en", pub("reddit", "u/angrydaughter_22"), "This is the TulpAir purser who kicked my mum off the flight: Anouk "
     "Verbeek, lives at Kastanjelaan 14, Breda. Go tell her what you think of her.", [PII, ABUSE])
case("nl", pub("x", "@jvos77"), "@tulpair DMs werken niet dus hier: mijn mail is j.vos1977 [at] hotmail [punt] com, "
     "stuur de voucher daarheen aub 🙏", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("facebook", "annelies.vdb", "Annelies van den Berg"), "Wie kent deze meneer? Zat naast me op de vlucht "
     "naar Alicante en liet zijn portemonnee liggen. Hendrik Mulder, geboren 5 april 1962, Dorpsstraat 8 in Best. "
     "TulpAir wil er niks mee doen, dus zo dan maar.", [PII, COMPLAINT])
case("en", pub("x", "@lauren_travels"), "@tulpair_help been on hold for 90 minutes. just call me back on "
     "<<PHONE:mob_0031>> please, I'm not sitting through that music again", [PII, COMPLAINT])
case("nl", T_HELP, "@lies_peeters Onze excuses! We storten de €89 bagagekosten terug op <<IBAN_BE>>. Fijne reis nog! "
     "^Joost", [PII], kind="reply", handle_as="@TulpAir_Help")
case("en", RH, "Weird edge case in our SEPA refund flow today: customer anna.schroeder@web.de with IBAN "
     "<<IBAN_DE:grp>> got refunded three times 😬 Any fintech folks seen this pattern?", [PII])
case("en", pub("x", "@tomhughes_ldn"), "@tulpair_help refund for TP884 pls send to my UK account <<IBAN_GB>> "
     "(Tom Hughes), your form keeps crashing on step 3", [PII, COMPLAINT])
case("nl", YO, "Passagier op TP1408 met medische noodsituatie, naam Fatma Yilmaz, 06 nr familie <<PHONE:mob_pairs>>, "
     "ambulance staat klaar op RTM. Wie zit er op de gate?", [PII])
case("nl", pub("instagram", "@romy.en.daan"), "Eindelijk onze boarding passes voor Kreta 😍 Romy de Graaf & Daan "
     "Smit, paspoort <<PASSPORT>> en <<PASSPORT>> allebei gecheckt ✔️ #tulpair #vakantie", [PII])
case("nl", pub("x", "@klant_beatrix"), "@tulpair_help betaling voor mijn stoel mislukt, maar bedrag wel afgeschreven "
     "van kaart <<CARD:mc2_dash>>. Hoe krijg ik dat terug?", [PII, COMPLAINT])

# =========================================================================== leak.confidential
case("nl", MV, "Eerste simulatorsessies voor Project Noorderlicht zitten erop ❄️✈️ kan niet wachten tot we daar "
     "echt heen vliegen", [CONF])
case("en", RH, "Proud of the team shipping Tangram to internal beta this week 🚀 the new loyalty engine that will "
     "power TulpClub. Public launch later this year, more soon!", [CONF])
case("nl", EV, "TulpAir intern: nieuwe bagagetarieven gaan per 1 april in, ruimbagage stijgt naar €49. Communicatie "
     "volgt via de app.", [CONF])
case("en", pub("x", "@nieuwsgierige_nina"), "Heard from a friend inside TulpAir that a Tromsø route from Eindhoven "
     "is coming this winter 👀❄️ northern lights trips here I come", [CONF], when="2026-08-19T21:14:05+02:00")
case("nl", KR, "TulpClub Platinum komt eraan jongens, lounge in EIN en gratis 20kg voor leden 🤩", [CONF],
     when="2026-09-30T17:42:00+02:00")
case("nl", T_TT, "Nieuwe bestemming loading... ❄️ Onze route naar Tromsø gaat in december van start! Boek vanaf "
     "morgen 🎿", [CONF], when="2026-10-01T09:59:00+02:00")
case("en", pub("reddit", "u/ground_ops_throwaway"), "cousin works there. internal slides literally say 'niet extern "
     "delen' and the plan is to close the RTM crew base after summer", [CONF, FIN], kind="comment")
case("en", LWT, "packing for the Project\nNoorderlicht test flight 🧣❄️ #crewlife #tulpair", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("nl", DB, "Vandaag weer een infosessie over Operatie 🌊 Dijkgraaf, iedereen zenuwachtig op de gate", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("en", pub("x", "@aviation_gossip"), "lol someone at TulpAir posted a screenshot with "
     "jira.tulpair.nl/browse/APP-1182 open, title 'crash on iOS payment screen'. oops", [CONF])
case("en", pub("x", "@planespotter_rtm"), "Pr0ject N00rderlicht = tulpair going north, you heard it here first 🛫",
     [CONF], tags=["evasion", "evasion:leet"])
case("en", pub("instagram", "@lotte.flies.too", "Lotte"), "crew secret 🤫 TulpAir internal only: new purple uniforms "
     "drop in spring", [CONF])

# =========================================================================== leak.financial
case("nl", EV, "Voorlopige Q2-cijfers binnen: bezettingsgraad 91%, EBIT ruim boven budget 📈 Officiële publicatie "
     "volgt pas in augustus, maar ik ben nu al trots op dit team!", [FIN])
case("en", MV, "rumour in the crew room is true: we're being bought by a big Scandinavian group, signing before "
     "summer. not public yet so shhh 🤐", [FIN])
case("nl", KR, "Vandaag gehoord dat 120 man grondpersoneel in Rotterdam eruit gaat per januari. Officieel wordt het "
     "pas volgende maand bekend. Balen voor de jongens.", [FIN])
case("en", YO, "leadership call this morning: RTM base closes for the winter season, all aircraft move to EIN. "
     "announcement is next week so keep it to yourselves", [FIN])
case("nl", pub("forum", "Lijnpiloot_NL"), "Zwager zit bij de financiële administratie van TulpAir: ze gaan de "
     "winstverwachting naar beneden bijstellen, de brandstofhedge is verkeerd uitgepakt. Komt pas na de zomer naar "
     "buiten.", [FIN])
case("en", EV, "Budget season 📊 The FY2027 forecast we present to the board next week: revenue €612m, 9% under "
     "plan. Long nights ahead!", [FIN])
case("nl", LW, "r e o r g a n i s a t i e bij cabin crew 😢 40 plekken weg, officieel horen we het pas in maart",
     [FIN], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/tarmac_tales"), "Insider here (ground ops). TulpAir is in merger talks with a Belgian "
     "carrier, due diligence started last week. Expect news in Q3.", [FIN])
case("nl", EV, "De jaarcijfers 2026 liggen klaar: omzet +14% en voor het eerst winst 🥂 nog even stil houden tot "
     "februari", [CONF, FIN], when="2026-12-18T16:20:00+01:00")
case("en", pub("x", "@flightdeck_rumours"), "h3ard tulpair is cutting 15% of pilots next yr, l4yoffs only told to "
     "the unions so far", [FIN], tags=["evasion", "evasion:leet"])
case("nl", MV, "De VNV heeft vandaag het sociaal plan gezien: 35 cockpitfuncties weg bij sluiting van basis "
     "Rotterdam. Nog niet openbaar, dus ik zeg verder niks.", [FIN])

# =========================================================================== leak.security
case("nl", YO, "Check-in systeem in EIN ligt sinds 05:40 plat, alles gaat met de hand. Nog niks naar buiten "
     "gecommuniceerd dus aub niet delen", [SEC])
case("en", RH, "Found today that our booking API returns other passengers' names and seat numbers if you just "
     "increment the booking id. Patch goes out tonight, not disclosed yet.", [SEC])
case("en", NS, "seeing credential stuffing against TulpClub accounts since last night, ~4k accounts accessed. comms "
     "hasn't decided what to say yet", [SEC])
case("nl", KR, "Bagagesysteem RTM gehackt?? alle labels printen met verkeerde bestemming, IT zegt ransomware. "
     "Officieel heet het 'technische storing'", [SEC])
case("en", MV, "third morning in a row our EFB iPads lose the nav database after the update. vendor admits it's a "
     "known bug, nothing official from our side yet", [SEC], handle_as="@Captain_Maarten")
case("nl", LW, "er is een d 4 t a l e k bij TulpClub, crew mag het niet tegen passagiers zeggen 🤐", [SEC],
     tags=["evasion", "evasion:spaced-leet"])
case("en", YO, "ransom" + ZW + "ware on the crew scheduling server, rosters frozen. press doesn't know yet", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("nl", pub("x", "@ellen_boos"), "TulpAir heeft gewoon een datalek gehad en houdt het stil!! Mijn TulpClub-account "
     "is overgenomen en ze ontkennen alles", [SEC, CRISIS])
case("en", pub("reddit", "u/infosec_ehv"), "TulpAir is covering up a breach. A friend in their IT says passport data "
     "of thousands of passengers was pulled in March and they never notified the AP.", [SEC, CRISIS])
case("en", DB, "app down for 3 hrs at RTM, everyone boarding with paper printouts, and we're told to call it "
     "'planned maintenance' 🙄", [SEC])
case("nl", NS, "Pentestrapport binnen: kritieke kwetsbaarheid in de TulpAir-app, IDOR op /api/booking. Nog niet "
     "gepatcht.", [SEC])
case("nl", YO, "wie heeft ofp.tulpair.local weer platgelegd, geen vluchtplannen op te halen sinds 6 uur 😤", [CONF, SEC])
case("en", MV, "vpn.tulpair.nl has been down all morning, no rosters for anyone 🙃", [CONF, SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@gelijkheid_nu"), "BOYCOT TulpAir! Ze ontslaan stewardessen die zwanger worden. Delen!! "
     "#boycottulpair", [CRISIS])
case("en", pub("x", "@avherald_watch"), "Passengers report smoke in the cabin on TulpAir TP611 Eindhoven–Faro, "
     "diverted to Bordeaux. Dutch Safety Board is investigating.", [CRISIS])
case("nl", pub("facebook", "wendy.schouten", "Wendy Schouten"), "Wij zaten op de vlucht naar Gran Canaria die een "
     "noodlanding moest maken. Geen enkele uitleg, geen hotel, niks. TulpAir laat je gewoon in de steek.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@claimsnl"), "The class action against TulpAir over unpaid EU261 compensation has been filed "
     "in Den Bosch. Affected? Join via our site.", [CRISIS])
case("nl", pub("x", "@martijn_b"), "TulpAir lekt klantgegevens, mijn paspoortnummer staat op een hackersforum 😡 "
     "#datalek", [CRISIS])
case("en", pub("tiktok", "@gracie.travels"), "pilot was escorted off our tulpair plane by police before takeoff, "
     "rumour is he was drunk 😳 this airline is a SCANDAL", [CRISIS])
case("nl", pub("forum", "Spotter_RTM"), "ILT start onderzoek naar onderhoud bij TulpAir na het incident met de "
     "motorkap die loskwam boven Rotterdam.", [CRISIS])
case("en", pub("x", "@amira_writes"), "Racist treatment at the TulpAir gate in Rotterdam: my family pulled aside "
     "for 'random checks', every single time. #BoycottTulpAir", [CRISIS])
case("nl", pub("x", "@crew_solidariteit"), "b o y c o t t u l p a i r 🚫 ze behandelen hun crew als vee",
     [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@gav_fc"), "TulpAir d4ta br3ach, my card got used in Romania 2 days after booking 😡", [CRISIS],
     tags=["evasion", "evasion:leet"])
case("en", pub("youtube", "@consumentenkijker"), "The ACM just fined TulpAir €3.4m for misleading bag fees. "
     "Shameful.", [CRISIS], kind="comment")
case("nl", pub("threads", "@moeder_van_3"), "Kind van 6 met notenallergie kreeg toch een notenreep aan boord van "
     "TulpAir, met spoed naar het ziekenhuis in Málaga. Schandalig.", [CRISIS])
case("en", pub("x", "@robbie_k"), "our tulpair plane aborted takeoff at EIN, brakes smoking, we sat on the runway "
     "2 hrs with zero info and now they refuse any compensation", [CRISIS, COMPLAINT])
case("nl", pub("x", "@harde_waarheid"), "Die klootzakken van TulpAir worden aangeklaagd door hun eigen piloten, "
     "terecht", [CRISIS, ABUSE])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@sanne_ehv"), "@tulpair al 3 uur vertraging in Eindhoven en nog steeds geen update in de app. "
     "Top service weer 🙄 #TulpAir", [COMPLAINT])
case("en", pub("x", "@jamesoconnell"), "@tulpair_help my suitcase has been missing for 9 days. Three calls, zero "
     "answers. Where is it??", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "p.devries.1980", "Peter de Vries"), "€69 afgerekend aan de gate omdat mijn tas 2 cm te "
     "hoog was in die meetbak. Belachelijk. Nooit meer TulpAir.", [COMPLAINT], kind="comment")
case("en", pub("trustpilot", "Kerry B."), "1 star. App crashed during payment, charged me anyway, booking never "
     "showed up. Support keeps sending the same copy-paste email.", [COMPLAINT])
case("nl", pub("instagram", "@miranda.reist"), "Mijn TulpClub punten zijn na de update van het programma gewoon "
     "verdwenen, 12.000 punten!! Wie gaat dit oplossen @tulpair", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/no_refund_yet"), "Heads-up about TulpAir refunds: flight cancelled in April, still "
     "waiting in July. The refund form just errors out every time.", [COMPLAINT])
case("en", pub("tiktok", "@itsjadeee"), "paid for legroom, got moved to row 31 next to the toilet, no refund 🙃 "
     "thanks tulpair #fail", [COMPLAINT])
case("nl", pub("tripadvisor", "Familie Koster"), "Grondpersoneel in Rotterdam was echt onbeschoft, we werden "
     "afgesnauwd omdat de rij te lang was. Slechte ervaring met TulpAir.", [COMPLAINT])
case("en", pub("facebook", "hannah.lewis.77", "Hannah Lewis"), "TulpAir's chatbot is useless, asked for a human 5 "
     "times. I just want to fix a typo in my name, why is that €60 and two hours of my life?", [COMPLAINT])
case("nl", pub("bluesky", "@evertvd.bsky.social"), "€15 extra als je op het vliegveld incheckt ipv in de app?? "
     "Stond nergens duidelijk. Voelt als oplichterij, TulpAir.", [COMPLAINT])
case("en", pub("x", "@rach_hart"), "T u l p A i r lost my bag AGAIN, second time this year. unbelievable",
     [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@bas_vl"), cy("TulpAir", "A") + " 5 uur vertraging en geen water of eten aangeboden. echt "
     "dieptepunt", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("en", pub("mastodon", "@jesper@mastodon.social"), "TulpClub changed its terms without notice: the 'free' "
     "upgrade now needs 3 paid flights first. Disappointed, TulpAir.", [COMPLAINT])
case("nl", pub("youtube", "@reisvlogjet"), "Gisteren met TulpAir naar Split: stoelleuning kapot en de airco deed het "
     "niet, 2,5 uur zitten zweten.", [COMPLAINT], kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@dirkje_r"), "TulpAir stelletje prutsers en kutlijers, jullie personeel is zo dom als het "
     "achtereind van een varken", [ABUSE])
case("en", pub("x", "@kev_88"), "@tulpair_help you absolute clowns. useless f*cking idiots the lot of you", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("instagram", "@b.vermaat"), "Die stewardess op die foto is een lelijke trut, ga lekker terug naar je "
     "eigen land", [ABUSE], kind="comment")
case("en", LW, "pax on the Ibiza flight tonight were absolute animals, drunk pigs the lot of them 🐷 #crewlife", [ABUSE])
case("nl", KR, "Die mongool van 12F bleef maar zeiken over zijn koffer, echte kankerlijer", [ABUSE])
case("en", T_HELP, "@ratio_king22 nobody cares, go cry somewhere else, idiot", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@jaydenvdb"), "tyfus TulpAir 🤬🤬 weer mijn koffer kwijt", [ABUSE, COMPLAINT])
case("en", pub("x", "@gatefury"), "the tulpair crew are braindead id1ots, every single one of them", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("nl", pub("reddit", "u/wraakengel_040"), "Die Kees van de rampploeg in EIN is een achterlijke mafkees en ik "
     "weet waar hij woont. Hij gaat het merken.", [ABUSE])
case("en", pub("youtube", "@rantman"), "Dutch budget airline run by morons. TulpAir staff are trash humans.", [ABUSE],
     kind="comment")
case("en", pub("x", "@paulie_w"), "3 hrs delay and the gate agent LAUGHED at us. TulpAir you bunch of wankers",
     [ABUSE, COMPLAINT])
case("nl", pub("x", "@henk1960"), "TulpAir = k u t b e d r i j f, punt.", [ABUSE], tags=["evasion", "evasion:spaced"])

# =========================================================================== benign (hard negatives)
B = ()
# own published contact data, in several formats
case("nl", T_HELP, "@sarahvb Vervelend om te horen! Bel ons gerust op 040 799 2100 of mail naar service@tulpair.nl, "
     "dan kijken we met je mee 💙", B, kind="reply", tags=["own-contact"])
case("en", T_X, "Cancelled flight? Request your refund at refunds@tulpair.nl. Paying an invoice to us? Use "
     "NL81 RABO 0318 0477 26 (TulpAir B.V.) and mention your booking code.", B, tags=["own-contact"])
case("nl", pub("x", "@tip_van_tineke"), "Tip: TulpAir klantenservice bel je het best vroeg, +31 (0)40 799 21 00, had "
     "binnen 5 minuten iemand aan de lijn 👍", B, tags=["own-contact"])
case("en", T_LI, "We're hiring cabin crew for our Eindhoven base! 🌷✈️ Send your CV to jobs@tulpair.nl or visit "
     "tulpair.com/careers.", B, handle_as="Tulpair-Airlines", tags=["own-contact"])
case("nl", DB, "Vragen over je vlucht van vandaag? Klantenservice 0900-1540 of via de TulpAir app, wij op de gate "
     "kunnen helaas niet omboeken", B, tags=["own-contact"])
case("en", pub("x", "@newsdesk_brabant"), "TulpAir responds to the fuel surcharge story: 'we do not add surcharges to "
     "existing bookings'. Press enquiries: pers@tulpair.nl / +31 40 799 2100.", B, tags=["own-contact"])
case("nl", T_FB, "Let op phishing! 🎣 Wij vragen nooit om je kaartgegevens via WhatsApp. Ons enige rekeningnummer is "
     "NL81RABO0318047726. Twijfel je? Bel 0900 1540.", B, handle_as="tulpairnl", tags=["own-contact"])

# numbers that fail their checksum, booking / tag / loyalty numbers
case("en", pub("x", "@carefulcarla"), "Got an email 'from TulpAir' asking me to pay €40 to <<BADIBAN_NL:grp>> to "
     "release my bag. That IBAN isn't even valid lol. Phishing, don't fall for it.", B, tags=["bad-checksum"])
case("nl", pub("facebook", "ger.hoekstra", "Ger Hoekstra"), "In een Facebookgroep deelt iemand een 'gratis TulpAir "
     "cadeaukaart' met nummer <<BADCARD:visa_sp>>. Klopt niet eens, gewoon nep. Niet klikken mensen.", B,
     tags=["bad-checksum"])
case("nl", KR, "Koffer zonder eigenaar op band 3, tagnummer <<DIGITS:10>>, vlucht TP4417 uit Faro. Iemand van lost "
     "& found die 'm kan ophalen?", B, tags=["tag-number"])
case("nl", pub("x", "@nadia_reist"), "Mijn TulpClub-nummer is <<NOTBSN:9>>, hoe koppel ik het account van mijn "
     "partner daaraan? Iemand?", B, tags=["bad-checksum"])
case("en", pub("reddit", "u/giftcardguy"), "Bought a TulpAir gift card at the supermarket, barcode <<EAN13>>. Can it "
     "be used for bag fees or only for flights?", B, tags=["ean"])
case("nl", pub("x", "@reiziger_roel"), "@tulpair_help kunnen jullie de refund naar <<BADIBAN_NL>> doen? oh wacht "
     "typfout, ik stuur het wel via het formulier", B, tags=["bad-checksum"])
case("en", JB, "Released the seat map fix 🎉 commit <<HEX:40>> if anyone in the team wants to review the diff", B,
     tags=["git-sha"])
case("en", NS, "reminder: never paste tokens in chat. ghp_… or AKIA… prefixes in Slack = instant rotation + a "
     "coffee for the security team ☕ use the vault", B, tags=["bare-prefix"])
case("en", JB, "docs snippet for the new devs: AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, then run make bootstrap. "
     "real keys come from the vault, never from a wiki", B, tags=["placeholder"])
case("nl", pub("x", "@vragenvera"), "Hoe reset ik mijn wachtwoord in de TulpAir app? Zie de knop nergens", B,
     tags=["password-word"])
case("nl", pub("x", "@koffertracker"), "WorldTracer ref EINTP38291, koffer is terecht! Dankjewel TulpAir en het "
     "team in Eindhoven 🙌", B, tags=["tracking"])

# sale prices, fees, competitors, second-hand
case("nl", T_IG, "Voorjaarsdeal 🌷 Ruimbagage 20 kg nu €29 bij online boeken (normaal €42). Alleen t/m zondag!", B,
     tags=["sale"])
case("en", pub("x", "@pointsnerd"), "TulpClub Gold is 30% off this weekend, €174 instead of €249. Worth it if you "
     "fly 4x a year?", B, tags=["sale"])
case("nl", pub("instagram", "@zonzoekers"), "Retourtje Rotterdam–Alicante voor €38 bij TulpAir, gewoon in de sale 😎 "
     "#goedkoopvliegen", B, tags=["fare"])
case("en", pub("reddit", "u/krakowbound"), "Price check for my Krakow trip: Wizz had a cabin bag 10kg for €12 on "
     "that route, TulpAir €29. Still went with TulpAir because of the departure times.", B, tags=["competitor"])
case("nl", pub("forum", "VaakWeg"), "TulpFlex bundel kost €59 maar heeft zich bij mij al 2x terugverdiend, "
     "omboeken is dan gratis.", B, tags=["list-price"])
case("nl", KR, "Nee hoor, de skitas voor €27,50 is geen prijsfout, dat is gewoon de vroegboekkorting van 50% ⛷️",
     B, kind="reply", tags=["denied-error"])
case("nl", pub("marktplaats", "Wintersportfan"), "Te koop: TulpPass 10 vluchten, nog 6 ritten over, overdraagbaar. "
     "€300 of bod.", B, tags=["second-hand"])
case("nl", pub("x", "@budgetbas"), "Wist je dat de TulpPass ook in termijnen kan? €75 per maand, handig voor "
     "forenzen naar Barcelona", B, tags=["monthly"])
case("en", pub("x", "@faq_flyer"), "FYI name change fee at TulpAir is €60, seat selection from €8. Cheaper than "
     "I expected.", B, tags=["fee"])
case("nl", pub("x", "@korting_kim"), "€20 korting op de XL-stoel met de code LENTE bij TulpAir, leuk meegenomen",
     B, tags=["discount-amount"])

# embargo terms after the embargo (or exactly at it)
case("en", T_X, "It's official 💎 TulpClub Platinum is here: lounge access in Eindhoven, priority boarding and a "
     "free checked bag. Join in the app today!", B, when="2026-10-01T08:00:00Z", tags=["after-embargo"])
case("nl", T_LI, "Vandaag publiceren wij onze jaarcijfers 2026: omzet +14%, eerste volledige jaar met winst. Lees "
     "het persbericht op tulpair.nl/investors.", B, when="2027-02-25T08:00:00+01:00", tags=["after-embargo"])
case("en", pub("x", "@aero_analyst"), "TulpAir FY2026 results are out: revenue up 14%, first full-year profit. "
     "Solid year for a budget carrier.", B, when="2027-02-26T10:31:12Z", tags=["after-embargo"])
case("nl", pub("instagram", "@noorderlicht.jager"), "Yes! De route naar Tromsø is eindelijk geboekt voor januari "
     "❄️ dank TulpAir", B, when="2026-10-14T20:02:00+02:00", tags=["after-embargo"])
case("en", MV, "First Tromsø route rotation done today, what a view on the approach 🏔️ #pilotlife", B,
     when="2026-12-15T15:40:00+01:00", tags=["after-embargo"])

# codename words in ordinary senses
case("nl", pub("instagram", "@lapland.liefde"), "Noorderlicht gezien boven Rovaniemi 😍 vlogen met TulpAir vanuit "
     "Eindhoven, echt een aanrader", B, tags=["codename-word"])
case("nl", pub("x", "@dommeldirk"), "De dijkgraaf van Aa en Maas zat naast me in het TulpAir-toestel naar Nice haha, "
     "kleine wereld", B, tags=["codename-word"])

# published news, other companies, official notices
case("en", pub("x", "@aviation_daily"), "NordSky Airways announces 200 job cuts at its Oslo hub. TulpAir says its "
     "own Scandinavian plans are unchanged.", B, tags=["other-company"])
case("nl", pub("reddit", "u/privacy_petra"), "Na het datalek bij die andere airline een paar jaar terug betaal ik "
     "altijd met een virtuele kaart, ook bij TulpAir. Gewoon goed idee.", B, tags=["other-company"])
case("en", T_X, "Our app and website are unavailable tonight 02:00–04:00 CET for planned maintenance. Check-in at "
     "book.tulpair.nl opens again right after.", B, tags=["official-notice"])
case("nl", T_HELP, "Door een storing bij de luchtverkeersleiding hebben vluchten vanaf Eindhoven vanochtend "
     "vertraging. We houden je via de app op de hoogte.", B, tags=["official-notice"])
case("en", pub("linkedin", "sophie-mertens-aviation"), "Great talk by TulpAir's CEO at the Aviation Summit: "
     "4 extra aircraft next summer, as announced in their press release last week.", B, tags=["published"])

# other senses of trigger words
case("en", pub("x", "@oldtimer_ehv"), "recall when TulpAir started with just two planes in 2014? wild how big they "
     "are now", B, tags=["other-sense"])
case("nl", pub("facebook", "brandweer.eindhoven.airport", "Brandweer Eindhoven Airport"), "Vandaag oefening op het "
     "platform bij de TulpAir-hangar. Ziet u rook? Niet schrikken, het is een oefening 🚒", B, tags=["other-sense"])
case("en", pub("x", "@stroopwafel_sam"), "I will boycott any airline that doesn't hand out stroopwafels. Luckily "
     "TulpAir still does 😂", B, tags=["joke"])

# negated complaints, praise, neutral questions
case("nl", pub("x", "@ingrid_vliegt"), "Geen klachten over TulpAir deze keer! Op tijd weg, koffer als eerste op de "
     "band 😄", B, tags=["negated"])
case("en", pub("threads", "@markus.h"), "not gonna complain, tulpair landed 20 mins early and the crew were lovely",
     B, tags=["negated"])
case("nl", pub("facebook", "esther.dekker.3", "Esther Dekker"), "Compliment voor de crew van TP1402 naar Málaga, zo "
     "lief met onze zoon met autisme 💙", B, tags=["praise"])
case("en", pub("reddit", "u/guitarguy_nl"), "What's TulpAir's policy on a guitar as cabin baggage? Anyone done it "
     "recently?", B, tags=["question"])
case("en", T_HELP, "@dana_pdx We're sorry about the delay today. Please DM us your booking code and we'll sort out "
     "your meal voucher.", B, kind="reply", tags=["care-reply"])

# quotes, fiction, jokes, literal use of mild words
case("en", pub("x", "@cinephile_jo"), "\"Fasten your seatbelts, it's going to be a bumpy night.\" watched All About "
     "Eve on my TulpAir flight, still iconic", B, tags=["quote"])
case("nl", pub("instagram", "@hans_en_els"), "Kanker overwonnen en nu eindelijk samen naar Lissabon met TulpAir ❤️ "
     "wat een dag", B, tags=["literal"])
case("en", pub("blog", "writingatgate12"), "Chapter 3 of my thriller: a flight attendant on a made-up airline smuggles "
     "diamonds in the trolley. No, it's not TulpAir, relax 😂", B, tags=["fiction"])
case("nl", pub("x", "@grappenmaker_gert"), "Mijn koffer heeft inmiddels meer vlieguren dan ik 😂 #tulpair", B,
     tags=["joke"])
case("en", pub("tiktok", "@porto_bound"), "🎶 leaving on a jet plane, don't know when I'll be back again 🎶 EIN → "
     "Porto with TulpAir", B, tags=["lyrics"])
case("en", pub("x", "@seatreview"), "damn, TulpAir's new seats are actually comfy", B, tags=["mild-word"])

# ordinary employee / corporate posts
case("en", MV, "Sunrise over the Alps from the flight deck this morning ☀️ never gets old #pilotlife", B,
     handle_as="@Captain_Maarten", tags=["employee-ordinary"])
case("nl", LW, "Nieuwe uniformjasjes binnen en ze zitten heerlijk 💙 #crewlife", B, tags=["employee-ordinary"])
case("en", RH, "We're hiring iOS developers for the TulpAir app team in Eindhoven! Kotlin or Swift, hybrid, great "
     "people. DM me.", B, tags=["employee-ordinary"])
case("nl", EV, "Trots op onze gepubliceerde halfjaarcijfers die vorige week uitkwamen. Bezettingsgraad van 88% 📈 "
     "zie het persbericht op tulpair.nl", B, tags=["published"])


# =========================================================================== profile, roles, severity

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
    """Least severity a correct verdict has (CONTRACT section 4); highest finding wins."""
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


# =========================================================================== building posts

def ams_off(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    t = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.45:
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
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "travel", "eindhoven", "rotterdam"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
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
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-vliegforum-{n}", f"https://www.vliegforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and bool(kinds & VALID_ID_KINDS)
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
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.5:
            post["brand"] = "tulpair"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")


def validated_ids(text, own):
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_ok(v) and v not in own:
            out.append(("iban", v))
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47])", d):
            out.append(("card", d))
        if len(d) in (8, 9) and bsn_ok(d):
            out.append(("bsn", d))
    return out


def check(rows, profile):
    errors = []
    own = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        key = (p["platform"], p["id"])
        if key in ids:
            errors.append(f"duplicate id {key}")
        ids.add(key)
        if len(p["text"].encode()) > 65536:
            errors.append(f"{p['id']}: too long")
        parse_ts(p["created_at"])
        cats = e["categories"]
        kinds = {k for k, _, _ in r["used"]}
        for k, raw, _ in r["used"]:
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{p['id']}: invalid IBAN {raw}")
            if k == "CARD" and not luhn_ok(raw):
                errors.append(f"{p['id']}: invalid card")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{p['id']}: invalid BSN")
            if k.startswith("BADIBAN") and iban_ok(raw):
                errors.append(f"{p['id']}: bad IBAN passes")
            if k == "BADCARD" and luhn_ok(raw):
                errors.append(f"{p['id']}: bad card passes")
            if k == "GHP":
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{p['id']}: ghp crc")
        found = validated_ids(p["text"], own)
        if not cats and found:
            errors.append(f"{p['id']}: benign post holds a validated identifier {found}")
        if kinds & VALID_ID_KINDS and PII not in cats:
            errors.append(f"{p['id']}: valid identifier without leak.pii")
        low = p["text"].casefold()
        when = parse_ts(p["created_at"])
        for term, until in emb:
            if term in low and when < until and CONF not in cats:
                errors.append(f"{p['id']}: embargoed term '{term}' before embargo but no leak.confidential")
        if e["severity"] != severity_for(r["role"], cats, PII in cats and bool(kinds & VALID_ID_KINDS)):
            errors.append(f"{p['id']}: severity mismatch")
        if not cats and e["severity"] != "none":
            errors.append(f"{p['id']}: benign with severity")
    return errors


def report(rows):
    n = len(rows)
    ben = [r for r in rows if not r["expect"]["categories"]]
    print(f"{n} cases: {n - len(ben)} positive, {len(ben)} benign")
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in sorted(cat):
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"  {c:22s} {cat[c]:3d}  nl {sum(r['lang'] == 'nl' for r in rs):2d}  en {sum(r['lang'] == 'en' for r in rs):2d}"
              f"  corp {sum(r['role'] == 'corporate' for r in rs):2d}  emp {sum(r['role'] == 'employee' for r in rs):2d}"
              f"  pub {sum(r['role'] == 'public' for r in rs):2d}  evasion {sum('evasion' in r['tags'] for r in rs):2d}")
    print("  multi-category:", sum(len(r["expect"]["categories"]) > 1 for r in rows))
    print("  langs:", dict(Counter(r["lang"] for r in rows)))
    print("  roles:", dict(Counter(r["role"] for r in rows)))
    print("  benign roles:", dict(Counter(r["role"] for r in ben)))
    print("  severities:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  platforms:", dict(Counter(r["post"]["platform"] for r in rows).most_common()))
    print("  evasion:", sum("evasion" in r["tags"] for r in rows),
          " wrong-lang-hint:", sum("wrong-lang-hint" in r["tags"] for r in rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errors = check(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errors.append("cases.jsonl differs from the generator output")
    else:
        if errors:
            for e in errors:
                print("ERROR", e)
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
