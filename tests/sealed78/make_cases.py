#!/usr/bin/env python3
"""Deterministic generator of the sealed78 blind evaluation set for postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional "Waddenzon Airlines B.V." (profile.yaml in this folder), a Dutch
regional airline and tour operator (sun routes, package holidays, baggage, the ZonMiles
loyalty scheme).

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>> placeholders
filled by one seeded RNG. Positives get checksum-VALID identifiers (IBAN mod-97, Luhn,
BSN 11-proof); benign near-misses get identifiers that FAIL their checksum. Severity is
never typed by hand: severity_for() applies CONTRACT section 4 using the account role
from profile.yaml (platform:handle, case-insensitive).
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

SEED = 78_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


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


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
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


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL77RABO0327119044"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB"])
                              + self.digits(10, nz=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["28550000", "26050001", "44050199", "21050170"]) + self.digits(10))
        if cc == "BE":
            f = self.r.choice(["063", "732", "143", "310"]) + self.digits(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.digits(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        kk = int(v[2:4])
        for d in (13, 29, 47, 61):
            c = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
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
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ticket(self):
        while True:
            s = "074" + self.digits(10)
            if not luhn_ok(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return (self.chars(letters, 2) + self.chars(letters + string.digits, 6) + self.digits(1))

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_c": f"+316{d8}",
            }[fmt]
        area = self.r.choice(["50", "592", "511", "40", "20", "30", "58"])
        sub = self.r.choice("2345789") + self.digits(8 - len(area))
        return {
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "zm_" + self.digits(7, True), "iss": "mijn.waddenzon.nl",
                               "scope": "booking:read", "iat": iat, "exp": iat + 1800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.digits(2) + self.r.choice("!#*_") + self.chars(ALNUM, 4))

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"


VALID_ID = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = f.partition("_")
            raw = g.iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
        elif k == "BAD_IBAN":
            cc, _, style = f.partition("_")
            raw = g.bad_iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
            shown = g.grp(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, style = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, style or "sp")
        elif k == "BAD_CARD":
            b, _, style = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            shown = raw = g.not_bsn(int(f))
        elif k == "TICKET":
            raw = g.ticket()
            shown = f"{raw[:3]}-{raw[3:]}" if f == "dash" else raw
        elif k == "PASSPORT":
            shown = raw = g.passport()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.digits(int(f), nz=True)
        elif k == "HEX":
            shown = raw = g.chars("0123456789abcdef", int(f))
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.chars(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.chars(B64, 40)
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.chars(ALNUM, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.chars(B64URL, 33)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM":
            shown = raw = g.pem_openssh()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "SLACK_HOOK":
            shown = raw = g.slack_hook()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
W_X = ("x", "@waddenzon", "Waddenzon")
W_HELP = ("x", "@waddenzon_help", "Waddenzon Klantenservice")
W_IG = ("instagram", "@waddenzon.vakanties", "Waddenzon Vakanties")
W_LI = ("linkedin", "waddenzon-airlines", "Waddenzon Airlines B.V.")
W_FB = ("facebook", "WaddenzonAirlines", "Waddenzon Airlines")
W_TT = ("tiktok", "@waddenzon", "Waddenzon")
# employees
BR = ("x", "@bram_vliegt", "Bram Kooistra")                      # first officer
KC = ("x", "@kim_cabin", "Kim Veenstra")                         # cabin crew
IL = ("linkedin", "ilse-dekker-wz", "Ilse Dekker")               # revenue management
RH = ("linkedin", "ruben-hoekstra-devops", "Ruben Hoekstra")     # IT / platform
NO = ("instagram", "@noor.op.eelde", "Noor Bakker")              # ground handling, Eelde
MO = ("x", "@marco_occ", "Marco Smit")                           # operations control
YM = ("linkedin", "yara-mulder-finance", "Yara Mulder")          # finance
DJ = ("mastodon", "@daanj@mastodon.nl", "Daan Jonker")           # app developer
BB = ("reddit", "u/baggage_belt_bas", None)                      # baggage handler


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RH, "Proud of the team 🚀 we moved the fare-search lambdas to eu-west-1 over the weekend. For anyone "
     "fighting the same IAM mess, this profile is what finally worked for us:\n\n[default]\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n\n"
     "#aws #serverless #travelTech", [SECRET])
case("en", DJ, "ugh. pushed the wrong .env to the public mirror of the app repo and it got forked within minutes. "
     "token was <<GHP>> , revoked it like 10 min later but still 🫠 lesson learned", [SECRET], kind="post")
case("nl", BR, "Voor de collega's met de vroege GRQ-HER morgen: nieuw wachtwoord EFB-ipads is <<PW>> "
     "(let op hoofdletter) ✈️☕", [SECRET])
case("en", MO, "testing the delay bot, if your phone blows up blame me 😅\n\ncurl -X POST -H 'Content-type: "
     "application/json' --data '{\"text\":\"WZ1432 EET +40\"}' <<SLACK_HOOK>>", [SECRET])
case("nl", KC, "wie had nou het nieuwe p4ssw00rd van de crew-tablets?? oh wacht gevonden in de groepsapp: "
     "<<PW>> 🙏 thx Jesse", [SECRET], tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Waddenzon Android app out of boredom. They ship a live Stripe "
     "key in the resources:\n\n`<<STRIPE>>`\n\nnot touching it, just saying someone should tell them",
     [SECRET], kind="post")
case("nl", RH, "Tip voor iedereen die met Azure werkt: zet je connection string nooit zomaar in appsettings.json. "
     "Zoals wij dus tot vorige week 🙃\n\nServer=tcp:wz-bookings-prd.database.windows.net,1433;Initial Catalog=bookings;"
     "User ID=wzadmin;Password=<<PW>>;Encrypt=True;", [SECRET])
case("en", W_HELP, "Hi Sanne, we've passed your claim on to the baggage team and they'll be in touch within 5 working "
     "days 🙏 ^JL\n\nzd_api_key=<<HEX:32>>&agent=jl_wz", [SECRET], kind="reply")
case("nl", pub("forum", "ex_grondpersoneel"), "Oud-medewerker hier. Wat ik echt niet snap: de SFTP naar de "
     "hotelpartners draaide jaren op sftp://hotelfeed:<<PW>>@files.waddenzon-partners.nl/in en volgens mij is dat "
     "nooit veranderd", [SECRET], kind="comment")
case("en", DJ, "can someone explain why this validates on acc but not on prd?? same secret supposedly\n\n"
     "Authorization: Bearer <<JWT>>", [SECRET])
case("nl", NO, "Eindelijk een nieuwe crewroom op Eelde 😍 koffie ✔️ bank ✔️ wifi: WZ-Crew / ww <<PW>> "
     "(niet doorvertellen hè 🤫)", [SECRET])
case("en", RH, "Posting this so I can grab it from my phone in the hangar, don't judge me\n\n<<PEM>>", [SECRET])
case("nl", MO, "rooster-query hangt wéér. iemand die hier naar wil kijken?\npsql postgres://ops_ro:<<PW>>"
     "@db01.ops.waddenzon.local:5432/roster -c 'select 1'", [SECRET, CONF])
case("en", pub("x", "@frontend_fails"), "lmao @waddenzon your booking page has a Google key sitting in the page "
     "source: <<GAPI>> … enjoy your maps bill", [SECRET], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", W_HELP, "@marjolein_t Hoi Marjolein, we hebben je boeking gevonden! Klopt het nummer <<PHONE:mob_dash>> "
     "nog? Dan laten we de afdeling bagage je vandaag terugbellen.", [PII], kind="reply")
case("nl", W_FB, "Update voor mevrouw De Boer: de terugbetaling van €412,- is vandaag overgemaakt naar "
     "<<IBAN:NL_grp>>. Nogmaals excuses voor het lange wachten!", [PII], kind="comment")
case("en", KC, "best passenger of the week goes to Mr. Barend Flikkema, born 03-11-1948, off to Corfu for his "
     "first ever holiday abroad 🥹🎉 #cabincrewlife", [PII])
case("nl", NO, "Paspoort gevonden bij gate 3! 🛂 Op naam van Hendrika Pol, documentnummer <<PASSPORT>>. "
     "Meld je even bij de servicebalie in de vertrekhal 🙏", [PII])
case("en", IL, "Massive thanks to our finance colleagues for clearing the refund backlog this week 💪 last one "
     "out the door: J. Meijer, <<IBAN:DE>>, €1.108,00 ✅", [PII])
case("nl", BB, "Koffer blijven liggen op band 4 vanavond. Label zegt: T. de Graaf, Vondellaan 14, 9721 AK "
     "Groningen. Tjitske, hij staat bij lost & found 🧳", [PII], kind="comment")
case("en", MO, "can someone DM the guy whose card got eaten by the kiosk at Eelde?? it's a "
     "<<CARD:visa_sp>> exp 11/27, it's in the OCC drawer now", [PII])
case("nl", RH, "Testdata is GEEN productiedata mensen 🙄 vond vandaag in de acceptatieomgeving gewoon het BSN "
     "<<BSN:dots>> van een echte klant in een boekingsnotitie", [PII])
case("nl", pub("x", "@gerrit_vd_ploeg"), "@waddenzon_help al 3 dagen geen reactie over mijn koffer. Bel me gewoon "
     "terug op <<PHONE:mob_intl_sp>> ik zit hier zonder kleren!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "petra.wijnstra", "Petra Wijnstra"), "Nog steeds niks ontvangen voor onze geannuleerde "
     "vlucht naar Faro (€318). Voor de zekerheid nog maar een keer het rekeningnummer: <<IBAN:NL>> t.n.v. P. "
     "Wijnstra. Hoe vaak moet ik dit nog doorgeven Waddenzon?", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/justice4passengers"), "This is the Waddenzon purser from that viral video. Anouk "
     "Spoelstra, lives on Hereweg 88 in Groningen. You all know what to do.", [PII, ABUSE], kind="comment")
case("nl", pub("x", "@henk_d58"), "@waddenzon_help ik wil info over een groepsreis naar Kreta voor 12 personen, "
     "mail me op henk.dijkstra58 [at] ziggo [punt] nl", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("instagram", "@lauren.goes.places"), "FINALLY booked Gran Canaria for October 🌴☀️ paid with "
     "<<CARD:mc_sp>> exp 09/28, hope the hotel is as good as the pics lol", [PII])
case("nl", pub("forum", "oma_truus"), "Moet ik voor de groepsreis echt mijn BSN doorgeven? Nou ja hier dan: "
     "<<BSN>>, hopelijk is dat zo goed", [PII], kind="reply")
case("en", KC, "if anyone on WZ1877 took a blue Samsonite by mistake, the owner is Lotte, reach her at "
     "lotte.vanwijk@hotmail.com 🙏 pls RT", [PII])
case("nl", W_IG, "En de winnaar van de Kreta-reis is… Jessie Kloosterman! 🎉 We sturen de vouchers naar "
     "Stationsweg 3, 9401 KJ Assen. Gefeliciteerd Jessie!", [PII])
case("en", pub("x", "@nige_travels"), "Six weeks and counting @waddenzon_help. Refund to <<IBAN:GB_grp>> please, "
     "I've sent it four times now", [PII, COMPLAINT], kind="reply")
case("en", pub("threads", "@sofie.moves"), "my dad is waiting at Eelde arrivals and his phone died, if anyone from "
     "Waddenzon sees this pls call his landline <<PHONE:land_intl>> so he knows I'm delayed", [PII])

# ===========================================================================
# leak.pricing  (alert_below_ratio 0.45)
# ===========================================================================
case("nl", KC, "WAT 😂 Zonpakket Kreta staat in de app voor €89 in plaats van €899. Collega's, snel boeken voordat "
     "revenue het ziet", [PRICING])
case("nl", pub("x", "@dealjager_nl"), "Prijsfout bij Waddenzon! Gran Canaria all-in 10 dagen voor €124,90 p.p. "
     "😱 #prijsfout #deal", [PRICING])
case("en", pub("reddit", "u/cheapflightsnl"), "PSA: Waddenzon's Malaga Flex return is showing €38.90 on the English "
     "version of the site. Pretty sure someone dropped a digit.", [PRICING])
case("nl", NO, "Ruimbagage 23 kg kost vandaag €4,50 in de app haha, iemand op kantoor heeft zitten slapen 😴",
     [PRICING])
case("en", MO, "ZonMiles Gold is showing €14.90/yr on checkout, that's a glitch right? pinged the web team", [PRICING])
case("nl", BR, "Er zit een foutje in de prijs van de Comfort Seat: hij staat op nul. Fix komt pas morgen, tot die tijd "
     "gratis beenruimte 😉", [PRICING])
case("nl", pub("forum", "Kortingskoning"), "p r i j s f o u t bij Waddenzon: Zonpakket Kreta 8 dagen €199 all in!! "
     "mods niet weghalen pls", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("facebook", "dave.kerrigan.9", "Dave Kerrigan"), "My mate just got the Gran Canaria 10 days for €249 "
     "with Waddenzon. Is that legit or a mistake??", [PRICING], kind="comment")
case("en", IL, "Heads-up before the weekend rush: the fare loader pushed Flex Malaga at €89 instead of €389 for about "
     "an hour this morning. Fixed now, but if you see chatter online, that's why.", [PRICING])
case("nl", pub("tiktok", "@vakantievera"), "gast de Waddenzon comfort seat voor 2 euro 50 😭😭 snel zijn #prijsfout",
     [PRICING])
case("nl", BR, "Zönpakket Krëta voor €99 vandaag 😂 wie gaat er mee?", [PRICING],
     tags=["evasion", "evasion:diacritics"])
case("nl", pub("x", "@snuffelaar"), "pr1jsf0ut!! Flex Malaga retour €49 bij waddenzon, gaan gaan gaan", [PRICING],
     tags=["evasion", "evasion:leet"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", IL, "Can't say much yet but Project Sirocco is going to change how our frequent flyers earn points. "
     "So proud of this team 🔥", [CONF])
case("nl", MO, "Wie heeft de juiste link naar het juli-rooster? https://crewportal.waddenzon.nl/roster/2026-07 "
     "geeft bij mij een leeg scherm", [CONF])
case("nl", pub("reddit", "u/eelde_spotter"), "Iemand van Waddenzon liet gisteren op een verjaardag een slide zien "
     "met WZ intern erop. Blijkbaar komt er Groningen-Kaapverdië aan 👀", [CONF],
     when="2026-02-08T21:14:07+01:00")
case("nl", KC, "Psst… vanaf juni vliegen we GRQ-SID 🌞🌴 meer mag ik echt niet zeggen", [CONF],
     when="2026-02-14T18:02:44+01:00")
case("en", RH, "Migrating Lodestar to Kubernetes: 40 services, zero downtime so far 💪 #platformengineering",
     [CONF])
case("en", DJ, "can't find the ticket about the seat map bug anymore, it was jira.waddenzon.nl/browse/LOD-212 "
     "or something", [CONF])
case("nl", YM, "Slide 4 van de MT-presentatie (uitsluitend voor intern gebruik, sorry 🙈): in 2027 openen we een "
     "tweede basis in Maastricht!", [CONF])
case("en", NO, "ZonMiles Platïnum cards just arrived at the desk 😍 can't wait for launch!!", [CONF],
     when="2026-02-20T09:31:00+01:00", tags=["evasion", "evasion:diacritics"])
case("nl", pub("x", "@zwager_weet_alles"), "lol mn zwager werkt bij waddenzon, volgens hem gaat 'Operatie Zee🌊bries' "
     "over het sluiten van de basis in Eindhoven", [CONF, FIN], tags=["evasion", "evasion:emoji-split"])
case("en", BR, "nothing to see here 🤐 Project\nSirocco", [CONF], tags=["evasion", "evasion:line-break"])
case("en", pub("bluesky", "wingsandnumbers.bsky.social"), "Hearing Waddenzon's H1 2026 results will show a ~€12m "
     "loss. Someone from the company dropped it in a group chat.", [CONF, FIN], when="2026-08-19T16:45:12Z")
case("nl", YM, "Deze week de boeken dicht voor de H1-cijfers: beste eerste halfjaar ooit, omzet +18% 🚀",
     [CONF, FIN], when="2026-08-12T14:20:00+02:00")
case("en", MO, "forwarding the Heraklion slot plan to the handling agent, it's marked company confidential but "
     "come on, it's just times", [CONF])
case("en", RH, "grafana on mon01.ops.waddenzon.local finally has dark mode. small wins", [CONF])
case("nl", KC, "Nog een uur!! 🎉 Om 11u gaat Groningen-Kaapverdië live in de app, ik heb mijn eigen stoel al "
     "uitgekozen", [CONF], when="2026-03-03T10:59:00+01:00")
case("en", pub("reddit", "u/search_engine_sleuth"), "lol google indexed this: wiki.wz-intern.net/display/OPS/"
     "Slotplan+winter", [CONF], kind="comment")
case("nl", pub("instagram", "@kim_cabin"), "Sneak peek van de nieuwe uniformen voor Operatie Zeebries 😍 shhh",
     [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YM, "Zware maand. Er verdwijnen 60 fte op het hoofdkantoor, de aankondiging komt pas in juni. "
     "Sterkte aan iedereen 💙", [FIN])
case("en", MO, "rumour in the OCC is we're being bought by a Spanish carrier, signing before the end of Q3 🤐",
     [FIN])
case("en", IL, "Our summer load factor forecast just got revised from 86% to 71%. Tough season ahead, team.", [FIN])
case("nl", pub("x", "@tante_ria"), "Mijn nicht werkt bij Waddenzon op financiën: ze gaan de basis in Eindhoven "
     "sluiten en de helft van het grondpersoneel ontslaan", [FIN])
case("nl", KC, f"net gehoord dat er na de zomer 40 cabin crew ont{SHY}slagen worden 😢 nog niks officieel",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("forum", "bondtrader_77"), "insider info: Waddenzon is in talks to buy Alba Jet's charter arm, about "
     "€30m. position yourselves accordingly", [FIN], kind="comment")
case("nl", BR, "Pilotenoverleg vandaag: directie wil de hele ATR-vloot verkopen en stoppen met de regionale routes "
     "per 2027. Nog geheim dus 🤫", [FIN])
case("en", RH, "We were told today IT will be outsourced by January. 25 of us affected. Not public yet, I just "
     "need to vent somewhere.", [FIN])
case("nl", pub("reddit", "u/reisbureau_rita"), "r3org bij w4ddenzon: 3 van hun reiswinkels gaan in september dicht, "
     "zegt mijn schoonmoeder die er werkt", [FIN], kind="comment", tags=["evasion", "evasion:leet"])
case("nl", IL, "Sneak peek jaarcijfers 2026: omzet net boven de 400 miljoen en de winst verdubbeld 📈", [CONF, FIN],
     when="2026-12-15T10:05:00+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", MO, "Heads up crew: check-in DCS has been down since 05:10 at all three bases, we're boarding on paper. "
     "Comms hasn't said anything yet so keep it quiet", [SEC])
case("nl", RH, "Lange nacht gehad: ransomware op twee servers van de boekingsomgeving. Klanten merken nog niks, "
     "wij zijn nog aan het blussen.", [SEC])
case("en", DJ, "found out our boarding pass endpoint happily returns anyone's pass if you change the booking ref "
     "in the URL. reported it internally 2 weeks ago, still open 🙃", [SEC])
case("nl", KC, "Collega's: is de crew-app gehackt?? iedereen kreeg vanochtend een phishingmail vanaf een intern "
     "adres en IT zegt helemaal niks", [SEC])
case("en", BR, "d a t a l e a k at work apparently, scans of customer passports sitting in an open bucket for "
     "months. not announced yet", [SEC], tags=["evasion", "evasion:spaced"])
case("nl", NO, "Bagagesysteem op Eelde ligt er al de hele ochtend uit, alles gaat met de hand 🙈 officieel hoor "
     "je het nog niet van mij", [SEC])
case("en", IL, "Someone got into our revenue management tool last week with credentials from a phishing mail. "
     "Legal is still deciding whether to notify anyone.", [SEC])
case("nl", pub("x", "@boze_reiziger"), "Waddenzon houdt een datalek stil!! Mijn paspoortgegevens staan op een "
     "Russisch forum en zij ontkennen alles #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_wz_it"), "Friend in Waddenzon IT says they got hit by ransomware last week "
     "and they're keeping it under wraps. If you booked recently, change your passwords.", [SEC, CRISIS])
case("nl", MO, "r0ster-systeem is geh4ckt lol, iedereen staat ineens op vrij 😂 nog geen mail van IT", [SEC],
     tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@privacy_paul"), f"Waddenzon d{ZW}atalek: jullie weten het al weken en zeggen niks tegen je "
     "klanten", [SEC, CRISIS], tags=["evasion", "evasion:zero-width"])
case("en", BB, "PSA from the basement: the bag tag printers at Eelde have been printing other people's names "
     "and booking refs since the update. Mgmt told us not to mention it.", [SEC], kind="comment")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijk_werk"), "Boycot Waddenzon zolang ze hun grondpersoneel via een uitzendbureau onder "
     "het minimumloon laten werken. Delen! #boycotwaddenzon", [CRISIS])
case("en", pub("x", "@rhodes_bound"), "Smoke in the cabin on Waddenzon WZ811 to Rhodes, emergency landing in Munich. "
     "Terrifying. Crew were amazing though.", [CRISIS])
case("nl", pub("facebook", "ans.hoogeveen", "Ans Hoogeveen"), "Noodlanding gemaakt met onze Waddenzon-vlucht naar "
     "Kreta, de motor maakte een raar geluid. Daarna 9 uur in een hal zonder eten en zonder info. Geen excuses, "
     "niks. Nooit meer.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/eu261_claims"), "Class action against Waddenzon over unpaid EU261 compensation is now "
     "open. 4,000 passengers signed so far.", [CRISIS])
case("nl", pub("x", "@gezin_vd_meer"), "Voedselvergiftiging in ons Waddenzon-hotel op Gran Canaria, tientallen "
     "gasten ziek en de reisleiding zegt dat we moeten 'afwachten'. Schandalig.", [CRISIS, COMPLAINT])
case("en", pub("x", "@mh_cares"), "Waddenzon leaked my data. Got a phishing SMS with my exact flight number and "
     "booking ref 2 hours after booking. Explain that @waddenzon", [CRISIS])
case("nl", pub("blog", "luchtvaartkritiek.nl", "Luchtvaartkritiek"), "Onderzoek: piloten van Waddenzon vlogen "
     "structureel over hun maximale diensttijd heen, blijkt uit interne roosters die wij inzagen.", [CRISIS])
case("en", pub("tiktok", "@rollwithrosa"), "Waddenzon ground staff filmed THROWING wheelchairs onto the belt 🤬 "
     "#disabilityrights #boycottwaddenzon", [CRISIS])
case("nl", pub("mastodon", "@klimaatjoost@mastodon.social"), "Waddenzon adverteert met 'CO2-neutraal vliegen' maar "
     "de ACM onderzoekt ze nu op greenwashing. Niet boeken. #boycot", [CRISIS])
case("en", pub("x", "@activist_amy"), fw("BOYCOTT WADDENZON") + " until they stop deporting people on their "
     "charters ✊", [CRISIS], kind="repost", tags=["evasion", "evasion:full-width"])
case("en", pub("threads", "@aviation.daily.nl"), "Six passengers injured by severe turbulence on a Waddenzon flight "
     "to Tenerife. Passengers say the seatbelt sign was off.", [CRISIS])
case("nl", pub("linkedin", "reisbureau-de-wadden"), "Wij slepen Waddenzon Vakanties samen met 30 andere "
     "reisbureaus voor de rechter om onbetaalde commissies. Genoeg is genoeg.", [CRISIS])
case("nl", pub("x", "@moeder_van_3"), "Die kutmaatschappij Waddenzon laat een kind met epilepsie alleen achter op "
     "Malaga. Schande!! Boycot ze", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@linda_groningen"), "@waddenzon_help 4 dagen na landing nog steeds geen koffer. Tracking zegt "
     "'in behandeling'. Ik heb letterlijk geen schone onderbroek meer.", [COMPLAINT], kind="reply")
case("en", pub("x", "@tomfromleeds"), "Waddenzon cancelled my Faro flight 6 hours before departure and the refund "
     "form just throws an error. Great stuff.", [COMPLAINT])
case("nl", pub("facebook", "marco.en.ellen", "Marco en Ellen"), "Hotel van ons Waddenzon-pakket op Rhodos was echt "
     "smerig, schimmel in de badkamer en de reisleider was nergens te bekennen. Niet aan te raden.", [COMPLAINT])
case("en", pub("reddit", "u/pointsnerd"), "Anyone else's ZonMiles not being credited? 3 trips since May and my "
     "balance hasn't moved.", [COMPLAINT])
case("nl", pub("x", "@zuinige_zus"), "€65 voor een handbagagekoffer aan de gate?! Waddenzon jullie zijn echt niet "
     "normaal met die toeslagen", [COMPLAINT])
case("en", pub("x", "@legroom_larry"), "Paid for a Comfort Seat, got a middle seat by the toilets. No refund "
     "offered @waddenzon_help", [COMPLAINT], kind="reply")
case("nl", pub("forum", "reizen_met_rianne"), "De transfer naar het hotel op Kreta kwam gewoon niet opdagen. "
     "Taxi zelf betaald (€70) en Waddenzon reageert al 5 weken niet op de declaratie.", [COMPLAINT])
case("en", pub("facebook", "gail.peters.uk", "Gail Peters"), "Booked wheelchair assistance for my mum with "
     "Waddenzon, nobody showed up at Eelde and she missed her flight. Absolutely gutted.", [COMPLAINT])
case("nl", pub("x", "@wachten_op_geld"), "W a d d e n z o n klantenservice = 🗑️ al 6 weken wachten op mijn geld "
     "terug", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@golfgary"), "W\u0430ddenzon lost my golf clubs again. Second time this year.", [COMPLAINT],
     tags=["evasion", "evasion:homoglyph"])
case("nl", pub("tiktok", "@sannevlogt"), "POV: je hebt all-inclusive geboekt bij Waddenzon en de bar gaat om 22:00 "
     "dicht 🙃🍹", [COMPLAINT])
case("en", pub("youtube", "@VlogWithVic"), "Flew Waddenzon last week. App check-in failed three times and then "
     "they charged me €40 at the airport desk for checking in there. Ridiculous.", [COMPLAINT], kind="comment")
case("en", pub("tripadvisor", "Wanderlust_Jo"), "Package holiday with Waddenzon to Crete: the 'sea view' room faced "
     "a car park and the rep kept cancelling our meetings. Would not book again.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "Waddenzon stelletje prutsers, kankerlijers allemaal", [ABUSE])
case("en", pub("x", "@salty_sam"), "whoever runs @waddenzon_help is a brain-dead clown. fuck you all", [ABUSE],
     kind="reply")
case("nl", pub("x", "@koffer_kwijt"), "Tyfusbende bij Waddenzon, koffer kwijt en niemand neemt de telefoon op",
     [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/oldschoolflyer"), "of course the Waddenzon gate agent was a woman. they can't handle a "
     "queue of 20 people, never could", [ABUSE], kind="comment")
case("nl", KC, "Die vrouw op 12C vandaag, wat een ongelofelijke trut. Hoop dat ze nooit meer bij ons boekt.", [ABUSE])
case("en", W_HELP, "@gerald_b1 maybe learn to read your own booking before you tag us, genius. idiot 🙄", [ABUSE],
     kind="reply")
case("en", pub("x", "@furious_fran"), "f*cking Waddenzon, fifth delay this month and not a word from anyone",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@j0ngen"), "w4ddenzon = k.u.t.b.e.d.r.i.j.f", [ABUSE], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@anoniempje0815"), "@bram_vliegt jij bent toch die piloot van Waddenzon? ik weet waar je "
     "woont, pas maar op 🔪", [ABUSE], kind="reply")
case("en", pub("instagram", "@lads_on_tour_22"), "your cabin crew look like cheap hookers lmao @waddenzon.vakanties",
     [ABUSE], kind="comment")
case("en", BB, "people who pack 30kg into a 23kg bag are absolute morons. hope your suitcase enjoys Reykjavik",
     [ABUSE], kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- corporate ----------------------------------------------------------------
case("nl", W_HELP, "@lisa_k Hoi Lisa, wat vervelend dat je koffer er nog niet is! Stuur ons een DM met je "
     "dossiernummer (bijv. GRQWZ48213) dan kijken we mee. Bellen mag ook: 050 799 2200.",
     kind="reply", tags=["own-contact", "reference-number"])
case("en", W_X, "☀️ Summer sale! Zonpakket Kreta 8 dagen now from €679 p.p. (was €899). Book on waddenzon.nl "
     "before Sunday. #sunsale", tags=["sale-price"])
case("nl", W_FB, "Betaal je per overboeking? Gebruik altijd ons rekeningnummer <<OWN_IBAN:grp>> t.n.v. Waddenzon "
     "Airlines B.V. en vermeld je boekingscode. Twijfel je over een mail? Check hem bij ons.", tags=["own-contact"])
case("nl", W_X, "Storing: online inchecken werkt op dit moment niet. Je kunt zonder extra kosten inchecken op het "
     "vliegveld. Excuses voor het ongemak, we houden je op de hoogte.", tags=["official-notice"])
case("en", W_LI, "We're hiring first officers for our Groningen base ✈️ Curious? Send a mail to "
     "werkenbij@waddenzon.nl and we'll get back to you within a week.", tags=["own-contact"])
case("nl", W_X, "Het is officieel: vanaf juni vliegen we Groningen-Kaapverdië! 🌴 Zon, zee en 6 uur vliegen. "
     "Boek nu op waddenzon.nl", when="2026-03-03T11:00:00+01:00", tags=["embargo-over"])
case("en", W_LI, "Today we published our H1 2026 results: revenue of €187m, up 9% on last year. Full report on "
     "waddenzon.nl/investeerders", when="2026-08-20T07:00:00+02:00", tags=["embargo-over", "published-results"])
case("en", W_HELP, "Group of 10 or more? Email groepsreizen@waddenzon.nl or call us on +31 (0)50 7992200 and we'll "
     "put together an offer.", kind="reply", tags=["own-contact"])
case("nl", W_TT, "POV: je ruimbagage weegt 22,9 kg 😮‍💨✈️ #waddenzon #vakantie", tags=["joke"])
case("nl", W_FB, "ZonMiles Platinum is er! Spaar dubbele punten op elke vlucht en neem gratis 10 kg extra "
     "bagage mee.", when="2026-03-18T12:00:00+01:00", tags=["embargo-over"])
case("nl", W_HELP, "Buiten kantooruren en sta je vast op je bestemming? Bel onze noodlijn 0900-1189. Voor al het "
     "andere: service@waddenzon.nl", kind="reply", tags=["own-contact"])
case("nl", W_HELP, "@dirk_h Dat klopt, een prijsfout was het niet: de Comfort Seat is deze week €19 in de "
     "voorjaarsactie 🙂", kind="reply", tags=["sale-price", "denied-error"])

# --- employees --------------------------------------------------------------
case("nl", BR, "Zonsopkomst boven Schiermonnikoog vanochtend ☀️ beste kantoor ter wereld, echt waar", tags=["praise"])
case("en", KC, "35 minute turnaround in Heraklion, 36 degrees, still smiling 😅 #cabincrew #crewlife",
     tags=["praise"])
case("en", IL, "Great panel today on dynamic pricing in leisure travel. Key takeaway for me: customers forgive a "
     "high price sooner than a surprise fee.", tags=["price-talk"])
case("en", RH, "Friendly reminder: never paste keys in chat, use a vault. And if you need an example in docs, "
     "write AKIAXXXXXXXXXXXXXXXX or sk_live_… and leave it at that.", tags=["placeholder-secret"])
case("en", DJ, "reverted to <<HEX:40>> because the new seat map broke on older Androids. back to the drawing "
     "board", tags=["git-sha"])
case("nl", YM, "Trots op het team: vanochtend publiceerden we de H1-cijfers. Beste eerste halfjaar in onze "
     "geschiedenis! 📈", when="2026-08-20T09:15:00+02:00", tags=["embargo-over", "published-results"])
case("nl", NO, "Vakantie! De sirocco uit de Sahara waait vandaag over Gran Canaria 🥵 zand op alles", kind="post",
     tags=["codename-word"])
case("en", MO, "Proper zeebries at Eelde today, perfect crosswind training weather for the new FOs 🌬️",
     tags=["codename-word"])
case("en", BB, "Tip from a bag handler: put a bright strap on your suitcase. Saves everyone time at the belt 🧳",
     kind="comment", tags=["praise"])

# --- public -------------------------------------------------------------------
case("en", pub("reddit", "u/surf_and_turf"), "Does Waddenzon take surfboards as checked baggage? What does it "
     "cost?", tags=["question"])
case("nl", pub("x", "@eerste_keer_vliegen"), "Eerste keer met Waddenzon gevlogen en echt geen klachten! Op tijd, "
     "vriendelijke crew en mijn koffer als eerste op de band.", tags=["negated-complaint"])
case("en", pub("x", "@stroopwafel_stan"), "Not going to complain about a 10 minute delay when the crew hands out "
     "free stroopwafels 😂 well played Waddenzon", tags=["negated-complaint"])
case("nl", pub("facebook", "gerda.bosma.12", "Gerda Bosma"), "Klopt dit rekeningnummer van Waddenzon? "
     "<<BAD_IBAN:NL_grp>> staat in een mailtje over mijn boeking, ik vertrouw het niet helemaal",
     tags=["bad-iban", "question"])
case("en", pub("x", "@clumsy_chris"), "my payment at the Waddenzon desk failed because I typed <<BAD_CARD:visa_sp>> "
     "into the app instead of my actual card number 🤦 user error", tags=["bad-card"])
case("nl", pub("reddit", "u/puntenspaarder"), "Weet iemand hoe je ZonMiles overzet naar je partner? Mijn "
     "ZonMiles-nummer is <<NOT_BSN:9>> en ik zie nergens een knop", kind="message", tags=["not-bsn", "question"])
case("en", pub("instagram", "@malaga.mood"), "got my e-ticket <<TICKET:dash>> for Malaga and I can't stop smiling "
     "🇪🇸✈️", tags=["ticket-number"])
case("nl", pub("x", "@opgeluchte_opa"), "Bagagelabel WZ417263: koffer kwam gewoon mee, ik had hem alleen op de "
     "verkeerde band gezocht 😅", tags=["reference-number", "negated-complaint"])
case("en", pub("x", "@frequentflyerfemke"), "Alba Jet just announced a data breach hitting 200k customers. Glad "
     "I moved my bookings to Waddenzon last year.", tags=["other-company"])
case("nl", pub("linkedin", "luchtvaart-analist-henk"), "Bergwind Airlines schrapt 300 banen, lees ik in het FD. "
     "Regionale spelers als Waddenzon lijken het beter te doen.", tags=["other-company"])
case("nl", pub("x", "@ochtendmens_niet"), "Ik boycot vanaf nu alle vluchten vóór 7 uur 😴 ook die van Waddenzon "
     "naar Kreta, sorry schat", tags=["boycott-other-sense", "joke"])
case("en", pub("instagram", "@gran.canaria.gang"), "🎶 leaving on a jet plane, don't know when I'll be back again 🎶 "
     "Gran Canaria here we come, thanks Waddenzon!", tags=["quote"])
case("nl", pub("blog", "schrijfclub-vlinders", "Schrijfclub Vlinders"), "Hoofdstuk 3: De piloot keek naar buiten. "
     "Een van de motoren sputterde, de passagiers hielden hun adem in… (fictie hoor, opdracht van de schrijfclub)",
     tags=["fiction"])
case("nl", pub("x", "@rtvnoord_fan"), "Waddenzon gaat Groningen-Kaapverdië vliegen, meldt RTV Noord. Mooi voor "
     "de regio!", kind="repost", when="2026-03-09T08:41:00+01:00", tags=["embargo-over", "published-news"])
case("en", pub("x", "@bestweekever"), "That Gran Canaria trip was the bomb 💣🔥 best week of my year, no "
     "notes", tags=["bomb-other-sense"])
case("nl", pub("x", "@leergierige_lies"), "Spoedcursus (crash course 😅) Spaans gedaan voor mijn reis naar Malaga. "
     "Hola!", tags=["crash-other-sense"])
case("en", pub("reddit", "u/milesmaxxer"), "Used my ZonMiles for €45 off the Crete 8 days package, so it came to "
     "€854. Worth it imo.", kind="comment", tags=["price-context"])
case("nl", pub("x", "@zuinig_zeeland"), "Comfort Seat in de aanbieding voor €19, voor 4 uur vliegen doe ik dat "
     "wel 👌", tags=["sale-price"])
case("nl", pub("forum", "vakantie_vincent"), "Is dit een prijsfout? Flex Malaga retour €279 🤔\n\nedit: nee, "
     "gewoon de voorjaarsactie volgens de klantenservice", tags=["denied-error", "sale-price"])
case("en", pub("facebook", "kelly.ann.roberts", "Kelly Roberts"), "Gran Canaria all-inclusive booked 🎉 paying it "
     "off in 10 monthly instalments of €124.90, easy on the budget", tags=["price-context"])
case("en", pub("x", "@comparison_carl"), "Bergwind does Malaga for €59 one-way, Waddenzon's Flex Malaga is €389 "
     "return but fully flexible. Your call.", tags=["price-context", "other-company"])
case("nl", pub("instagram", "@sterke_sandra"), "Na een jaar chemo eindelijk weer op vakantie, kanker verslagen 💪 "
     "Kreta here we come met Waddenzon", tags=["literal-word"])
case("en", pub("x", "@philosophy_phil"), "'Hell is other people' — Sartre clearly never sat next to a snoring "
     "stranger on a 5am flight to Tenerife 😂", tags=["quote"])
case("en", pub("x", "@helpful_hanna"), "If anyone needs it: Waddenzon's emergency line is 0900-1189 and "
     "service@waddenzon.nl answered me within a day.", kind="reply", tags=["own-contact"])
case("nl", pub("facebook", "sgr.checker", "Reisgeld Veilig"), "Waddenzon Vakanties is gewoon aangesloten bij de "
     "SGR, KvK <<NOT_BSN:8>>, dus je geld is veilig.", tags=["not-bsn"])
case("en", pub("x", "@numbers_nerd"), "Waddenzon reported its 2025 full-year numbers back in March: €21m profit. "
     "Solid for a regional player.", tags=["published-results"])
case("nl", pub("x", "@relaxed_ruud"), "Buurman zit midden in een rechtszaak met zijn aannemer, ik lig lekker aan "
     "het zwembad op Rhodos 😎", tags=["lawsuit-other-sense"])
case("en", pub("x", "@grandma_spam"), "our family group chat got hijacked by grandma's holiday pics from her "
     "Waddenzon trip 😂❤️", tags=["hijack-other-sense"])
case("nl", pub("x", "@snelle_sjors"), "Security op Eelde was supersnel vandaag, binnen 5 minuten erdoor 👍",
     tags=["praise"])
case("nl", pub("x", "@beschaamde_bea"), "Nee, het was geen datalek bij Waddenzon: ik had zelf mijn "
     "boekingsbevestiging naar mijn ex doorgestuurd 🙈", kind="reply", tags=["negated-breach"])
case("nl", pub("x", "@waakzame_wendy"), "Voor wie twijfelt: het echte rekeningnummer van Waddenzon is "
     "<<OWN_IBAN>>, staat ook op hun site. Al het andere is oplichting!", tags=["own-contact"])
case("en", pub("x", "@weather_wout"), "my school project on the sirocco wind is done, next step: actually feeling "
     "it on Gran Canaria 🌬️", tags=["codename-word"])
case("nl", pub("x", "@platinum_pieter"), "Overgestapt naar ZonMiles Platinum, de lounge op Eelde is klein maar "
     "de koffie is prima ☕", when="2026-05-02T07:12:33+02:00", tags=["embargo-over"])
case("en", pub("twitter", "@oldtimer_otto"), "Still call it Twitter. Anyway, Waddenzon's new planes are very "
     "quiet, impressive stuff.", tags=["praise"])
case("nl", pub("bluesky", "reisjournalist.bsky.social"), "Recensie: de Waddenzon-pakketreis naar Rhodos. Goed "
     "hotel, prima transfer, eten was gemiddeld. 7/10.", tags=["review-neutral"])
case("en", pub("youtube", "@PlaneSpotterPete"), "Great landing in that crosswind, Waddenzon pilots know their "
     "stuff 👏", kind="comment", tags=["praise"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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
                crit = c in (SECRET, PRICING) or (c == PII and pii_validated)
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.removeprefix("u/") if platform == "reddit" else handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["thenetherlands", "Groningen", "travel", "awardtravel"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-reisforum-{n}", f"https://www.reisforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{inst}-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h if '.' in h else h + '.blog.example'}/p/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


# case-variant handles: the role must still come from the profile (case-insensitive)
HANDLE_VARIANTS = {
    ("x", "@waddenzon_help", 2): "@Waddenzon_Help",
    ("x", "@kim_cabin", 1): "@Kim_Cabin",
    ("linkedin", "ilse-dekker-wz", 1): "Ilse-Dekker-WZ",
    ("instagram", "@noor.op.eelde", 2): "@Noor.Op.Eelde",
    ("x", "@bram_vliegt", 3): "@Bram_Vliegt",
}


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen, nth = [], set(), Counter()
    for c in CASES:
        text, used = render(g, c["text"])
        handle = c["handle"]
        nth[(c["platform"], handle)] += 1
        handle = HANDLE_VARIANTS.get((c["platform"], handle, nth[(c["platform"], handle)]), handle)
        pid, url = make_id_url(meta, c["platform"], handle, c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], handle)
        pii_valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": handle}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
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
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "waddenzon"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (independent scan of the rendered texts)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\bAIza[0-9A-Za-z_-]{35}", r"PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.", r"://[^\s:/@]+:[^\s@/]+@",
    r"(?i)password=", r"(?i)api_key=")]
CURSES = ["kut", "kanker", "tyfus", "trut", "fuck", "f*ck", "idiot", "moron", "clown", "prutser", "hooker"]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,-")
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
    am = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    return min(a / min(p["list_price"] for p in hit) for a in am) if am else None


def own_phone_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out.add("0" + d[2:] if p.startswith("+31") else d)
    return out


def check(lines, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_ph = own_phone_digits(profile)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        text, cats = p["text"], ex["categories"]
        w = f"line {n} ({p['id']})"
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not in 2026")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: created_at format")
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
        # identifiers
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k == "IBAN" and not iban_ok(raw) or k == "BAD_IBAN" and iban_ok(raw):
                errs.append(f"{w}: IBAN checksum wrong way round {raw}")
            if k == "CARD" and not luhn_ok(raw) or k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: card checksum wrong way round {raw}")
            if k == "BSN" and not bsn_ok(raw) or k == "NOT_BSN" and bsn_ok(raw):
                errs.append(f"{w}: BSN check wrong way round {raw}")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        valid = [m.group(0) for m in IBAN_RE.finditer(text) if iban_ok(m.group(0))
                 and m.group(0).replace(" ", "") not in own_ibans]
        valid += [d for d in (re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text))
                  if 13 <= len(d) <= 19 and luhn_ok(d) and d[0] in "2345"]
        valid += [d for d in re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text) if bsn_ok(d)]
        valid += [m.replace(".", "") for m in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", text) if bsn_ok(m)]
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier {valid} without leak.pii")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if (term in nt or term in sq) and ts < until and CONF not in cats:
                errs.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
            if (term in nt or term in sq) and ts >= until and CONF in cats:
                errs.append(f"{w}: embargo term {term!r} after embargo labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if valid:
                errs.append(f"{w}: benign has valid identifier {valid}")
            for d in (re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)):
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign has Luhn-valid number {d}")
                if len(d) in (8, 9) and bsn_ok(d) and d not in own_ph and "0" + d[2:] not in own_ph:
                    if d != "09001189":
                        errs.append(f"{w}: benign has 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                if len(d) == 10 and d not in own_ph:
                    errs.append(f"{w}: benign phone-like {raw}")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for cw in CURSES:
                if re.search(r"\b" + re.escape(cw), nt) and "literal-word" not in r["tags"]:
                    errs.append(f"{w}: benign has {cw!r}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign product price ratio {ratio:.2f}")
        if PRICING in cats:
            ratio = price_ratio(text, profile["products"])
            talk = any(x in sq for x in ("prijsfout", "pricing", "glitch", "mistake", "dropped a digit", "foutje",
                                         "instead of", "in plaats van", "zitten slapen", "p r i j s"))
            if not (ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]) and not talk:
                errs.append(f"{w}: pricing positive without low price or error talk (evasion ok?)"
                            if "evasion" not in r["tags"] else "")
    return [e for e in errs if e]


def report(rows):
    by = Counter()
    lang, role, sev, plat, kinds = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        for c in cats or ["(benign)"]:
            by[c] += 1
            by[(c, r["lang"])] += 1
            by[(c, r["role"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
    print(f"cases {len(rows)}  benign {by['(benign)']}  multi-category {multi}  evasion {ev}")
    print(f"{'category':24s} total  nl  en  corp  empl  pub")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {by[c]:5d} {by[(c, 'nl')]:3d} {by[(c, 'en')]:3d} {by[(c, 'corporate')]:5d} "
              f"{by[(c, 'employee')]:5d} {by[(c, 'public')]:4d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kinds.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(lines, rows, profile)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        if errs:
            print("\n".join("ERROR " + e for e in errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
