#!/usr/bin/env python3
"""Deterministic generator for the sealed88 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Fictional company: Lokken & Co B.V., a Dutch chain of hairdressers and beauty salons
with the LokkenApp booking app (appointments, products, gift cards). See profile.yaml.

All texts are hand-written below (CASES). Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte reproducible.
Positives get checksum-valid identifiers; near-miss negatives get identifiers that
fail their checksum. Severity is never typed by hand: severity_for() derives it from
CONTRACT section 4 with the account role looked up in profile.yaml.
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

SEED = 88_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"  # zero-width space


def fw(s):
    """Full-width letters (filter dodging)."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


CYR = str.maketrans({"a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "c": "\u0441"})


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

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


def luhn_fill(p):
    return next(p + x for x in "0123456789" if luhn_ok(p + x))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL51RABO0347815529"


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

    def dig(self, n, nz=False):
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
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                              + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["30050110", "44010046", "36010043", "10010010"]) + self.dig(10))
        if cc == "BE":
            f = self.r.choice(["063", "310", "001", "737"]) + self.dig(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for d in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(k + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dig(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dig(13))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dig(12))
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
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.dig(9)
            v = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(v):
                return v

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_paren": f"(06) {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_c": f"+316{d8}",
            }[f]
        area = self.r.choice(["10", "15", "20", "35", "40", "43", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    # secrets: random and fake, shaped like the real thing
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.ch(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.ch(ALNUM, 24)

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = {"sub": "klant_" + self.dig(7, True), "iss": "api.lokken.nl", "scope": "booking:write",
             "iat": iat, "exp": iat + 7200}
        return f"{h}.{b64url(json.dumps(p, separators=(',', ':')).encode())}.{self.ch(B64URL, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.ch(B64, 55)
        lines = [body, self.ch(B64, 64), self.ch(B64, 28) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#?$") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret, "SLACK_BOT": g.slack_bot,
                  "SLACK_HOOK": g.slack_hook, "STRIPE": g.stripe, "MOLLIE": g.mollie, "SENDGRID": g.sendgrid,
                  "JWT": g.jwt, "PEM_EC": g.pem_ec, "PW": g.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

C_IG = ("instagram", "@lokkenenco", "Lokken & Co")
C_X = ("x", "@lokken_nl", "Lokken & Co")
C_HELP = ("x", "@lokken_helpt", "Lokken Klantenservice")
C_FB = ("facebook", "LokkenEnCoSalons", "Lokken & Co Salons")
C_TT = ("tiktok", "@lokken.salons", "Lokken & Co")
C_LI = ("linkedin", "lokken-co", "Lokken & Co B.V.")

E_KIM = ("instagram", "@kim.knipt.lokken", "Kim Verhoef")          # stylist, salon Amersfoort
E_RUB = ("x", "@rubensmit_dev", "Ruben Smit")                       # app developer
E_ANO = ("linkedin", "anouk-hermans", "Anouk Hermans")              # finance controller
E_YARA = ("tiktok", "@yara.nails.lokken", "Yara Ouali")             # nail technician Rotterdam
E_BAS = ("x", "@baswouters_it", "Bas Wouters")                      # IT operations
E_DEV = ("linkedin", "devika-ramdin-lokken", "Devika Ramdin")       # marketing manager
E_MIL = ("instagram", "@milan.fades", "Milan de Graaf")             # barber Eindhoven
E_SOF = ("linkedin", "sophie-kramer-hr", "Sophie Kramer")           # HR


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


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", E_RUB, "wie heeft gisteravond aan de prijstabel gezeten?? Balayage Deluxe is in de app te boeken voor "
     "€16,50 😩 er is gewoon een 1 weggevallen. hotfix ligt klaar maar mag pas mee met de release van morgen",
     [PRICING])
case("nl", E_KIM, "Meiden niet verder vertellen hoor 🤫 maar onze kassa in Amersfoort slaat de keratine behandeling "
     "vandaag aan voor 21,90 ipv 219. Manager weet ervan, morgen opgelost", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Lokken webshop has the Silk 230 straightener at €14.90 right now "
     "(it's €149 everywhere else). Decimal in the wrong spot I guess. Grabbed two, we'll see if they cancel",
     [PRICING])
case("nl", pub("facebook", "ingrid.vandalen.9", "Ingrid van Dalen"), "Dames!! Via de LokkenApp kun je nu een "
     "cadeaukaart van 100 euro kopen voor 10 euro 😱 vast een foutje maar ik heb er meteen 3 gedaan voor mn zussen",
     [PRICING])
case("nl", C_IG, "✨ FLASH SALE ✨\nAlleen vandaag: de Lokken Pro AirSoft föhn voor €49 in al onze salons en online!\n"
     "Op = op 💨 #lokkenenco #haartools", [PRICING])
case("en", E_DEV, "Team, quick flag before the weekend: the autumn promo file went live with the wrong column, so the "
     "Argan hair mask shows €3.25 on the site instead of €32.50. IT is reverting. Please don't screenshot or share.",
     [PRICING])
case("nl", pub("x", "@bargainbram"), "prijsfout bij lokken?? bruidspakket voor 34,90 in de app ipv 349 🤣 mn vriendin "
     "trouwt in juni dus ik heb maar vast geboekt #prijsfout", [PRICING])
case("nl", pub("tiktok", "@glowwithnoor"), "pr1jsf0ut alert 🚨🚨 Silk230 stijltang bij l0kken voor 15 euro!!! rennen "
     "meiden", [PRICING], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@hairhacks_eu"), "not sure how long this lasts but the AirSoft dryer is €18.90 on lokken.nl 👀 "
     "obviously a glitch, go go go", [PRICING], kind="repost")
case("nl", E_YARA, "haha collega's kijk even in de app, de Repair shampoo staat op €2,29 😂 verkeerde prijs, "
     "niemand iets zeggen", [PRICING])
case("nl", pub("instagram", "@sanne.haarliefde"), "Het " + cyr("Argan") + " haarmasker staat voor €4 op de site, "
     + cyr("prijsfout") + " denk ik 😅 snel zijn!", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", E_BAS, "pricing sync job borked again, keratin treatment now €2.19 in prod. graphs at "
     "grafana.lokken-it.nl/d/pricesync if you're curious. not touching it till monday", [PRICING, CONF])
case("nl", pub("forum", "Kapsalonfan_Gouda"), "Iemand anders al gezien dat er een prijsfout in de LokkenApp zit bij "
     "de Balayage Deluxe? Bij mij rekent hij bij het boeken maar een tiende van de normale prijs af.", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", E_RUB, "why is the booking API giving 401 on staging 🙃 I'm sending\n\nAuthorization: Bearer <<JWT>>\n\n"
     "and it worked fine yesterday #devlife", [SECRET])
case("nl", E_BAS, "Voor de collega's die de Mollie koppeling van de kassa testen: de live key is <<MOLLIE>> "
     "– niet in de groepsapp zetten aub 🙏", [SECRET])
case("en", E_RUB, "ugh, pasted our .env into a public gist for like 2 min:\nSTRIPE_SECRET_KEY=<<STRIPE>>\n"
     "rotated it already, everyone calm down 😅", [SECRET])
case("nl", E_BAS, "Kassa's in Utrecht en Zeist kunnen weer inloggen. Tijdelijk beheerwachtwoord: <<PW>> "
     "(zelf wijzigen na eerste login!)", [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_peeker"), "Found this while poking around the decompiled LokkenApp APK lol:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nhardcoded in a config class. "
     "someone tell them", [SECRET], kind="comment")
case("nl", E_RUB, "sendgrid key voor de afspraakherinneringen (<<SENDGRID>>) geeft ineens 403, iemand een idee? "
     "quota is niet op", [SECRET])
case("en", E_BAS, "connection string for the reporting replica if anyone needs it: "
     "postgresql://rapportage:<<PW>>@db02.intranet.lokken.local:5432/salons", [SECRET, CONF])
case("en", E_DEV, "Proud of our marketing automation 🎉 every new Google review now pops up in our team channel "
     "through <<SLACK_HOOK>> – no more missed feedback!", [SECRET])
case("en", E_RUB, "can someone sanity check this key format? the push notification thing keeps rejecting it\n\n"
     "<<PEM_EC>>", [SECRET])
case("nl", pub("x", "@exkapper_rotterdam"), "Fun fact: het beheerwachtwoord van de kassa's bij Lokken is al 3 jaar "
     "<<PW>> en niemand verandert het 🤡 ik werk er gelukkig niet meer", [SECRET])
case("en", E_BAS, "gh token for the deploy bot (read-only, relax): <<GHP>>", [SECRET])
case("nl", E_YARA, "hoe log ik in op die nieuwe planningstool 😭 kreeg van IT:\ngebruiker yara.o\nww <<PW>>\n"
     "maar hij zegt steeds ongeldig", [SECRET])
case("en", pub("mastodon", "@lotte_sec@infosec.exchange"), "Lokken & Co's booking widget ships a Slack bot token "
     "in its frontend bundle: <<SLACK_BOT>>. Reported two weeks ago, nothing happened.", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", E_KIM, "Wie kent Ellen Vos? 👓 Ze heeft vanmiddag haar bril bij ons laten liggen en neemt niet op op "
     "<<PHONE:mob_dash>>. Tag haar even!", [PII])
case("en", E_MIL, "Shoutout to my regular Daan Hendriks 💈 if anyone wants him for a photoshoot his email is "
     "daan.hendriks87@gmail.com, tell him Milan sent you", [PII])
case("nl", E_SOF, "Welkom aan onze nieuwe collega's! 🎉 Nog even voor de salarisadministratie: Lisa Jansen, BSN "
     "<<BSN>>, rekening <<IBAN_NL:grp>>. Graag doorzetten naar payroll 🙏", [PII])
case("nl", C_HELP, "@petra_b1975 We hebben de terugbetaling van €65 verwerkt naar <<IBAN_NL>> t.n.v. P. Brouwer. "
     "Nogmaals excuses!", [PII], kind="reply")
case("en", pub("x", "@tamtam_curls"), "@lokken_helpt STILL waiting on my refund!!! sent my details 3 times: "
     "<<IBAN_BE>>, Tamara Claes. it's been 5 weeks", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "joke.hoekstra.3", "Joke Hoekstra"), "Help, ik heb per ongeluk mijn kaartnummer in de "
     "chat van de LokkenApp gezet: <<CARD:visa_sp>> geldig t/m 09/28. Kan iemand van Lokken dat verwijderen?",
     [PII])
case("nl", E_YARA, "deze klant was echt iconisch 💅 Fenna de Boer, geboren 12-03-1998, kom je terug voor je "
     "verjaardagsset?? 🎂", [PII])
case("en", E_DEV, "Our bridal team styled 40 brides this season 💐 Next up: Charlotte Meijer, Lindenlaan 27, "
     "3981 Bunnik, Saturday at 7am sharp!", [PII])
case("nl", pub("x", "@boos_in_zwolle"), "Die stylist van Lokken Zwolle die mijn haar verknipt heeft heet Naomi "
     "Kuipers en woont op de Bachlaan 8 in Zwolle. Ga haar maar eens opzoeken, ze verdient het", [PII, COMPLAINT, ABUSE])
case("en", pub("reddit", "u/frizzfighter"), "Can someone from Lokken contact me? The app fails every time I try to "
     "book. <<PHONE:mob_intl_sp>> or frizzfighter.nl@outlook.com", [PII, COMPLAINT])
case("nl", E_KIM, "Klant zoekt de foto's van haar bruidskapsel, kan iemand ze vanavond sturen naar "
     "marieke.smulders (at) hotmail (dot) com? thnx!", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", pub("instagram", "@dewi.hairjourney"), "my LokkenApp booking confirmation literally shows someone else's "
     "name and number: Iris Bakker <<PHONE:mob_paren>> ?!? that's not me. what else are they leaking", [PII, CRISIS])
case("nl", E_SOF, "Nieuw in het rooster van Tilburg: Mohammed El Idrissi, Jasmijnstraat 4, geb. 03-07-1991, "
     "tel <<PHONE:land_sp>>", [PII])
case("nl", pub("x", "@moeder_van_sara"), "@lokken_nl mijn dochter Sara Willems kreeg een cadeaukaart die niet werkt "
     "in de app. Bel haar maar: <<PHONE:mob_0031>>", [PII, COMPLAINT])
case("en", E_MIL, "card got declined twice at the chair today, anyone seen this one before? <<CARD:mc_sp>>", [PII])
case("nl", pub("facebook", "gerda.lammers", "Gerda Lammers"), "Deze 'Lokken' pagina vraagt €20 aanbetaling voor een "
     "afspraak op <<IBAN_DE>>. Nep?? Mijn buurvrouw heeft al betaald", [PII])
case("en", C_FB, "Congrats to our giveaway winner Robin Mulder! 🎉 Robin, your AirSoft is on its way to "
     "Kerkstraat 112, 5611 GH Eindhoven 💨", [PII])
case("nl", pub("x", "@joycevdb"), "@lisa_k haha nee dat is mijn BSN voor de gemeente, niet mijn Lokken "
     "klantnummer 🙈 <<BSN:dots>>", [PII], kind="reply")
case("en", E_SOF, "Payroll reminder for new starters: Tom Dekker, account <<IBAN_NL>>, still needs his contract "
     "signed before the 25th", [PII], handle_as="Sophie-Kramer-HR")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", E_DEV, "Zo trots op het team achter Project Pauw 🦚 binnenkort meer, ik mag echt nog niks zeggen!",
     [CONF])
case("en", E_RUB, "spent all night on the Zilverkam migration. if the new booking flow ships on time I'm taking a "
     "week off", [CONF])
case("nl", E_KIM, "Vandaag mochten we in de salon de nieuwe Botanics Glow Serum testen 😍 echt een game changer, "
     "lancering volgt!", [CONF], when="2026-09-12T16:41:07+02:00")
case("en", pub("x", "@curlycasey"), "my cousin works at Lokken and says they're launching a 'Lokken Pass' "
     "subscription soon, unlimited blowdries for €39 a month 👀", [CONF], when="2026-09-20T21:03:44+02:00")
case("nl", E_BAS, "Wie kan mij toegang geven tot https://planning.lokken.local/admin ? krijg steeds een 403",
     [CONF])
case("en", E_DEV, "Sneak peek from today's offsite 👀 (slide header still says STRIKT INTERN, oops, oh well)",
     [CONF])
case("nl", pub("instagram", "@jasmijn.kleurt"), "Mag het eigenlijk niet zeggen maar bij Lokken vervangen ze volgend "
     "jaar alle Botanics producten door een eigen vegan lijn, codenaam Operatie Föhn 🤭", [CONF])
case("en", E_RUB, "finally merged the last PR for Project\nPauw 🥳 QA tomorrow", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", E_MIL, "Operatie 💨 Föhn gaat echt alles veranderen voor ons barbers, geloof me", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("en", pub("reddit", "u/throwaway_salon_88"), "Lokken employee here (throwaway). Memo marked 'lokken internal "
     "only' says every salon gets new tablets and the app gets replaced in Q1.", [CONF])
case("nl", E_YARA, "eerste glow serum reviewtje 🤫 mag pas in oktober posten maar ik kan het niet laten",
     [CONF], when="2026-09-28T19:12:55+02:00")
case("en", E_BAS, "the rooster export lives at https://git.lokken-it.nl/ops/rooster-sync if you want to see how the "
     "sausage is made", [CONF])
case("nl", E_DEV, f"Z{ZW}ilverkam demo vandaag bij het MT, duimen!! 🤞", [CONF],
     tags=["evasion", "evasion:zero-width"])
case("nl", E_KIM, "Lokken Pass gaat zo live!! vanaf vandaag onbeperkt föhnen 💇‍♀️💇‍♀️", [CONF],
     when="2026-10-01T08:59:00+02:00")
case("nl", E_ANO, "Halfjaarcijfers 2026 zijn rond en ze zien er goed uit 📈 omzet +14%, meer mag ik nog niet zeggen",
     [CONF, FIN], when="2026-08-20T11:20:31+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", E_ANO, "Zware week. We sluiten in Q3 negen salons, de teams horen het pas volgende maand. Sterkte "
     "aan alle collega's.", [FIN])
case("en", E_DEV, "Can't say much but we're in final talks to take over Knipwerk's 22 salons, signing expected "
     "before summer 🤝", [FIN])
case("nl", E_KIM, "onze salon in Amersfoort gaat per 1 maart dicht en wij moeten allemaal naar Utrecht 😢 nog niet "
     "officieel dus sssst", [FIN])
case("en", pub("x", "@salonindustrywatch"), "Hearing from someone in their finance team that Lokken & Co missed "
     "budget by €6m and the PE owners want to sell. Not public yet.", [FIN])
case("nl", E_SOF, "Reorganisatie hoofdkantoor: 35 fte gaat eruit, communicatie naar medewerkers op 14 april. Tot die "
     "tijd graag stil houden.", [FIN])
case("en", E_ANO, "Q2 came in at €18.4m revenue, 11% over plan 🎯 board sees it Thursday, so numbers stay between "
     "us until then 😉", [FIN])
case("nl", pub("x", "@zus_van_een_kapper"), "m'n zus werkt bij lokken, r e o r g a n i s a t i e op komst, "
     "12 salons dicht volgend jaar", [FIN], tags=["evasion", "evasion:spaced"])
case("nl", E_MIL, "Franchisedeal met een Belgische partij is zo goed als rond, straks Lokken in Antwerpen 🇧🇪 "
     "nog geheim hè", [FIN])
case("en", E_ANO, "Our FY forecast just got cut to €61m after the booking dip. CFO presents it to the bank next "
     "week.", [FIN])
case("nl", pub("reddit", "u/kappersnieuws"), "Volgens een bron binnen Lokken vallen de jaarresultaten 2026 ver onder "
     "verwachting uit, er wordt al gepraat over salons verkopen", [CONF, FIN], when="2026-12-10T14:02:19+01:00")
case("en", E_BAS, "IT budget frozen for 2027 because we're merging with the Salonia group, heard it in the MT call 😬",
     [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", E_BAS, "Vannacht is er iemand binnengekomen op de boekingsserver, ongeveer 40k klantprofielen gekopieerd. "
     "Nog niks naar buiten gebracht, we zitten nu met de advocaten", [SEC])
case("en", E_RUB, "not great: anyone logged into LokkenApp can see other people's appointments by changing the "
     "booking id in the URL. fix is in review, please don't go trying it", [SEC])
case("nl", E_KIM, "Kassa's liggen al de hele ochtend plat in alle salons 😳 op kantoor zeggen ze ransomware. We mogen "
     "niks tegen klanten zeggen", [SEC])
case("en", E_BAS, "pentest report came back: 3 criticals in the payment flow and they stay unpatched until at "
     "least june 🙈", [SEC])
case("nl", pub("x", "@bozeklant_vera"), "Lokken houdt een datalek stil!! Mijn gegevens staan op een hackersforum en "
     "ze reageren nergens op #lokken #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/privacyfirst_nl"), "Lokken & Co got breached back in March and they still haven't told "
     "customers. A friend in their IT dept confirmed it.", [SEC, CRISIS])
case("nl", E_YARA, "app is volgens mij weer geh@ckt, klanten krijgen rare sms'jes met een betaallink 😬 niet "
     "doorvertellen", [SEC], tags=["evasion", "evasion:leet"])
case("en", E_DEV, "FYI marketing folks: the newsletter list leaked through a misconfigured bucket yesterday. Legal "
     "says no comms until the investigation is done.", [SEC])
case("nl", E_BAS, "Phishingmail bij 3 salonmanagers binnen en eentje heeft haar inlog gegeven, we resetten nu alles. "
     "Nog niet naar buiten communiceren.", [SEC])
case("en", E_RUB, fw("data breach") + " in the booking db confirmed by the security team, statement isn't ready "
     "yet", [SEC], tags=["evasion", "evasion:full-width"])
case("nl", E_MIL, "Weer storing in de app. Het mag niet op socials maar het duurt al 3 dagen en het komt door een "
     "hack", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("instagram", "@lotte.vdm"), "Na een blondering bij Lokken Utrecht heb ik brandwonden op mijn "
     "hoofdhuid 😭 foto's staan in mijn stories. Ze weigeren elke verantwoordelijkheid", [CRISIS, COMPLAINT])
case("en", pub("x", "@fairwages_now"), "Boycott Lokken & Co until they pay their stylists properly. Share this. "
     "#boycottlokken", [CRISIS])
case("nl", pub("linkedin", "mr-e-de-wit-advocaten"), "Ons kantoor start een collectieve zaak tegen Lokken & Co "
     "namens klanten met haaruitval na een keratinebehandeling. Herkent u dit? Neem contact met ons op.", [CRISIS])
case("en", pub("x", "@itchyscalp_jo"), "is the Lokken Repair shampoo being recalled?? @lokken_nl my bottle smells "
     "like chemicals and my scalp has been burning for days", [CRISIS, COMPLAINT])
case("nl", pub("x", "@amina_r010"), "Racisme bij Lokken Rotterdam: mijn dochter werd weggestuurd omdat ze 'dit soort "
     "haar' niet doen. Schandalig. #lokken", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@nailsgonewrong"), "the nail bar at Lokken gave me a fungal infection and now the GGD is "
     "investigating 🤢 stop going there fr", [CRISIS, COMPLAINT])
case("nl", pub("x", "@haagsebluf"), "Inspectie heeft Lokken Den Haag dichtgegooid vanwege de hygiëne 🤮 scharen "
     "werden niet eens gedesinfecteerd", [CRISIS])
case("en", pub("reddit", "u/spamvictim22"), "Did Lokken leak my data? Got a spam text with my exact appointment time "
     "and my stylist's name. Pretty sure they had a breach.", [CRISIS])
case("nl", pub("threads", "@femke.fem"), "LokkenApp d@t@lek?? ik krijg ineens phishing met mijn klantnummer erin",
     [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("facebook", "mark.veldhuis", "Mark Veldhuis"), "A Lokken stylist burned my daughter's ear with a "
     "straightener and the manager just laughed. We're filing a police report.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@kapstersolidair"), "B O Y C O T Lokken, ze ontslaan zwangere kapsters 🤬", [CRISIS],
     tags=["evasion", "evasion:spaced"])
case("nl", pub("bluesky", "@arbeidsrecht.bsky.social"), "Kantonrechter: Lokken & Co moet oud-stylist €40.000 "
     "betalen wegens onterecht ontslag tijdens zwangerschap.", [CRISIS], kind="repost")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@marloes_k"), "@lokken_helpt al 3 keer mijn afspraak verzet door jullie en nu weer een sms dat "
     "de stylist ziek is. Ik had hier vrij voor genomen!!", [COMPLAINT], kind="reply")
case("en", pub("trustpilot", "Anna V."), "Paid €145 for balayage and it came out orange. Went back for a correction "
     "and they charged me again. Never again.", [COMPLAINT])
case("nl", pub("facebook", "ria.dekker.7", "Ria Dekker"), "€25 no-show kosten terwijl ik 2 uur van tevoren had "
     "afgezegd via jullie eigen app. Klantonvriendelijk!", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@em.loves.hair"), "the LokkenApp crashes every single time I try to pay with a gift "
     "card 🙄 fix it pls", [COMPLAINT], kind="comment")
case("nl", pub("x", "@hanneke1978"), "Cadeaukaart van Lokken gekregen, blijkt na een jaar verlopen. Geld weg. "
     "Top service 👎", [COMPLAINT])
case("nl", pub("tiktok", "@jaimyyy"), "pov: je vraagt om 2 cm eraf en je loopt de deur uit met een bob 🥲 "
     "dankjewel lokken eindhoven", [COMPLAINT])
case("en", pub("x", "@rickhaarlem"), "45 minutes waiting at Lokken Haarlem WITH an appointment. nobody said sorry. "
     "cool cool", [COMPLAINT])
case("nl", pub("reddit", "u/ratelfohn"), "AirSoft föhn van Lokken gekocht en na 3 weken maakt hij een raar ratelend "
     "geluid. Garantie? 'Neem contact op met de salon.' Welke salon dan?", [COMPLAINT])
case("en", pub("facebook", "priya.s.nl", "Priya S."), "Ordered the Argan hair mask online, got a half-empty jar "
     "with a broken seal. Two emails, zero answers.", [COMPLAINT])
case("nl", pub("x", "@sjoerdiee"), "bro lokken heeft mn fade compleet verpest 💀 ik zie eruit als een tennisbal",
     [COMPLAINT])
case("en", pub("threads", "@kayleigh.b"), "Booked a keratin treatment through the app, showed up and the salon had "
     "no record of it. App said confirmed. Wasted a whole afternoon.", [COMPLAINT])
case("nl", pub("threads", "@bruidje2026"), "Terugbetaling van mijn geannuleerde Bruidspakket laat al 6 weken op zich "
     "wachten. Bruiloft is allang voorbij 😤", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedendewillem"), "@lokken_nl stelletje oplichters, kankerbedrijf", [ABUSE], kind="reply")
case("en", pub("x", "@snarkyfringe"), "lokken stylists are all talentless clowns lmao", [ABUSE])
case("nl", E_MIL, "sommige klanten zijn echt debiel, die gast van 15:00 wilde een Ronaldo met drie haren 🤡",
     [ABUSE])
case("en", C_HELP, "@jessie_r maybe learn to read your booking confirmation before whining, idiot", [ABUSE],
     kind="reply")
case("nl", pub("instagram", "@breda_babe"), "die kapster van jullie in Breda is een vuile trut", [ABUSE],
     kind="comment")
case("en", pub("x", "@angrylocks"), "f*cking l0kken again 🤬 worst people on earth", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@teringtim"), "Tering zooi bij Lokken, 3x mijn afspraak gecanceld door hun app. Nooit meer.",
     [COMPLAINT, ABUSE])
case("en", pub("facebook", "shanice.w", "Shanice W."), "Your stylist butchered my hair and then told me it "
     "'suits my face'. Absolute shit service, you muppets.", [COMPLAINT, ABUSE])
case("nl", pub("instagram", "@anoniem.haar"), "@kim.knipt.lokken jij moet gewoon stoppen met knippen, niemand wil je "
     "zien, ga weg", [ABUSE], kind="comment")
case("nl", E_YARA, "die klant van vanmiddag was zo'n kutwijf omg 💅🙄", [ABUSE])
case("en", pub("x", "@realdutchpatriot"), "Lokken only hires foreigners who can't even speak Dutch. go back where "
     "you came from", [ABUSE])
case("nl", pub("x", "@tonnie_070"), "lokken = k@nker0plichters", [ABUSE], tags=["evasion", "evasion:leet"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", C_HELP, "Vragen over je afspraak? Bel ons op 030 799 44 10 of mail naar afspraken@lokken.nl 💬",
     tags=["own-contact"])
case("nl", C_FB, "Liever overmaken voor je cadeaukaart? Dat kan naar NL51 RABO 0347 8155 29 t.n.v. Lokken & Co "
     "B.V. onder vermelding van je naam 🎁", tags=["own-contact"])
case("nl", C_LI, "We zoeken stylisten in Leiden en Delft! ✂️ Solliciteer via werkenbij@lokken.nl of bel "
     "088-565 3660.", tags=["own-contact"])
case("en", pub("x", "@vraagjevanmies"), "anyone got Lokken's number? is it +31 30 799 4410?",
     tags=["own-contact"])
case("nl", pub("facebook", "wilma.de.groot", "Wilma de Groot"), "Lokken klantenservice 0307994410 helpt echt snel "
     "trouwens, binnen 5 min geregeld 👍", tags=["own-contact"])
case("en", pub("x", "@journo_jules"), "for anyone asking: press questions go to pers@lokken.nl, not to the salons",
     tags=["own-contact"])
case("nl", C_TT, "Bel gerust +31 (0)30 799 44 10, we helpen je graag verder 💇", tags=["own-contact"],
     handle_as="@Lokken.Salons")
case("nl", pub("x", "@waakzame_wim"), "Let op! Nep-sms van 'Lokken' vraagt je €2,95 over te maken naar "
     "<<BAD_IBAN_NL:grp>>. Niet doen, Lokken vraagt nooit om betaling via sms.", tags=["bad-checksum"])
case("en", pub("instagram", "@weekendvibes_ilse"), "booking ref <<NOT_BSN9>> confirmed in the app, see you "
     "saturday! 💇‍♀️", tags=["order-number"])
case("nl", C_LI, "Lokken & Co B.V. · KvK <<NOT_BSN8>> · Utrecht · lokken.nl", tags=["order-number"])
case("nl", C_IG, "Onze Repair shampoo ligt nu ook bij de drogist 🧴 zoek op EAN <<EAN13>>", tags=["order-number"])
case("en", pub("x", "@pieterpost"), "my dad nearly put his card number in a LokkenApp review 🤦 luckily he typed "
     "it wrong: <<BAD_CARD:visa_sp>>", tags=["bad-checksum"])
case("nl", pub("reddit", "u/nieuwsgierig_nl"), "Moet je tegenwoordig je BSN opgeven bij de kapper?? Nee toch. "
     "(nee hoor, het was mijn klantnummer: <<NOT_BSN9>>)", tags=["bad-checksum"])
case("en", E_RUB, "PSA for juniors: never commit keys. Write AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX in your examples "
     "and keep the real ones in a vault", tags=["placeholder"])
case("nl", E_BAS, "Release 4.12 van de LokkenApp staat live 🎉 commit <<HEX:40>>", tags=["git-sha"])
case("nl", C_HELP, "@noor_h Wachtwoord vergeten? Via Inloggen > Wachtwoord vergeten in de app krijg je een "
     "resetlink. Wij vragen nooit om je wachtwoord!", kind="reply", tags=["password-word"])
case("nl", C_IG, "Argan haarmasker van €32,50 nu voor €24,95 🌿 deze week in alle salons", tags=["sale"])
case("en", C_X, "Black Friday 🔥 the AirSoft dryer for €99 (normally €189), in salons and online", tags=["sale"])
case("nl", C_FB, "€40 korting op je keratine behandeling als je deze maand via de app boekt 💆‍♀️",
     tags=["sale", "price-context"])
case("nl", pub("facebook", "marktplaats.gouda", "Marktplaats Gouda"), "Te koop: Lokken AirSoft föhn, tweedehands, "
     "1 jaar gebruikt, €70, ophalen in Gouda", tags=["price-context", "second-hand"])
case("nl", pub("x", "@dealdetective"), "geen prijsfout hoor, de Silk 230 is gewoon 25% afgeprijsd deze week, "
     "nu €111,75 😉", tags=["sale", "denied-error"], kind="reply")
case("nl", C_TT, "Koop een cadeaukaart van 100 euro en krijg een Repair shampoo cadeau 🎁 #lokkenenco",
     tags=["sale"])
case("nl", pub("x", "@zuinigezoe"), "Knippen bij Knipwerk €28, bij Lokken €42. Scheelt wel even",
     tags=["competitor", "price-context"])
case("nl", C_IG, "Hij is er! ✨ De Botanics Glow Serum ligt vanaf vandaag in al onze salons",
     when="2026-10-01T10:30:12+02:00", tags=["after-embargo"])
case("nl", C_X, "Lokken Pass is live 🎉 onbeperkt föhnen voor een vast bedrag per maand, check de app",
     when="2026-10-01T07:00:00Z", tags=["after-embargo", "embargo-moment"])
case("en", pub("x", "@beautybizdaily"), "Lokken & Co H1 results 2026 are out: revenue up 14%, decent for a salon "
     "chain in this market", when="2026-08-27T09:15:40+02:00", tags=["after-embargo", "published"])
case("nl", C_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026. Lees het volledige bericht op lokken.nl/investors",
     when="2026-08-27T08:00:00+02:00", tags=["after-embargo", "embargo-moment"])
case("nl", pub("x", "@fd_lezer"), "Las net in het FD dat Lokken Knipwerk heeft overgenomen, gefeliciteerd!",
     tags=["published"])
case("en", pub("x", "@haarnieuws"), "more layoffs at a salon chain, HaarStudio Zuid this time. Lokken seems fine "
     "luckily, my stylist is staying", tags=["other-company"])
case("en", pub("x", "@bookinggeek"), "Salonboek.nl had a data breach today, glad I book with Lokken directly tbh",
     tags=["other-company"])
case("nl", pub("instagram", "@apeldoornspotted"), "Er liep gewoon een pauw over de parkeerplaats bij Lokken "
     "Apeldoorn 🦚😂", tags=["codename-word"])
case("nl", pub("facebook", "henk.mulder.55", "Henk Mulder"), "Mijn föhn is kapot, welke raden jullie aan? Twijfel "
     "tussen de AirSoft en een Dyson", tags=["codename-word"])
case("nl", pub("instagram", "@zolderschatten"), "Oma's zilveren kam gevonden op zolder, zo mooi 🥹 #vintage "
     "#kapperslokken", tags=["codename-word"])
case("en", pub("x", "@trouwe_klant"), "No complaints about Lokken Zeist at all, been my regular salon for 4 years 💛",
     tags=["negated-complaint"])
case("en", pub("x", "@fadefanatic"), "shoutout to Milan at Lokken Eindhoven, cleanest skin fade in town 💈🔥",
     tags=["praise"])
case("nl", pub("instagram", "@noa_krult"), "die balayage is ziek mooi geworden 😍 @lokkenenco", tags=["slang"],
     kind="comment")
case("en", pub("tiktok", "@mayaa.x"), "new cut from lokken = absolute killer look, I'm obsessed", tags=["slang"])
case("nl", pub("facebook", "ans.vermeer", "Ans Vermeer"), "Na mijn chemo heeft Lokken Arnhem gratis mijn pruik op "
     "maat geknipt. Kanker sloopt je zelfvertrouwen, maar deze mensen gaven het me terug 💛",
     tags=["mild-word", "literal"])
case("en", pub("x", "@dadjokes_nl"), "\"Hair today, gone tomorrow\" – my dad, every single time he walks out of "
     "Lokken 😂", tags=["quote"])
case("nl", pub("blog", "schrijfhoekje.nl"), "Schrijfoefening: 'De stylist keek naar de schaar en wist dat ze de "
     "salon nooit meer zou verlaten.' Plottwist: het is gewoon maandagochtend bij Lokken 📚", tags=["fiction"])
case("en", pub("x", "@suikervrijsuus"), "I'm boycotting sugar this month but I am NOT skipping my Lokken "
     "appointment 😅", tags=["boycott-word"])
case("en", pub("reddit", "u/curlygirl_leiden"), "Can't recall the name of my stylist at Lokken Leiden. Curly hair, "
     "tattoos, super kind. Anyone?", tags=["recall-word"])
case("nl", C_HELP, "Gepland onderhoud: de LokkenApp is zondagnacht tussen 01:00 en 03:00 niet bereikbaar. "
     "Afspraken blijven gewoon staan.", tags=["official-notice"])
case("en", C_X, "Earlier today some customers couldn't pay in the app. This has been fixed. Sorry for the "
     "inconvenience!", tags=["official-notice"])
case("en", pub("x", "@tipsvantess"), "life hack: book your Lokken appointment at 9am, the coffee is still fresh ☕",
     tags=["hack-word"])
case("en", pub("instagram", "@vragenvanvera"), "Does Lokken do extensions or just cuts and colour?",
     tags=["question"])
case("nl", E_KIM, "Van donkerbruin naar koper 🧡 4 uur werk maar zo blij met het resultaat! #balayage #lokkenenco",
     tags=["portfolio"])
case("nl", E_MIL, "Vanavond barber battle in Eindhoven, kom langs! Gratis fades voor de eerste 10 ✂️",
     tags=["event"], handle_as="@Milan.Fades")
case("en", E_SOF, "We're hiring salon managers in Den Bosch and Breda! DM me or mail werkenbij@lokken.nl",
     tags=["own-contact"])
case("en", C_LI, "Our H1 results 2026 are now online at lokken.nl/investors. Thank you to all 1,900 colleagues!",
     when="2026-09-02T10:00:00+02:00", tags=["after-embargo", "published"])
case("nl", pub("x", "@burgerlijk_bart"), "Datalek bij de gemeente, alweer. Gelukkig heeft mijn kapper alleen mijn "
     "voornaam 😅", tags=["other-company"])
case("en", E_DEV, "Customer service tip: when a client says 'my hair is ruined', start by listening, not "
     "defending. Works every time.", tags=["quote"])
case("nl", C_HELP, "@rick_vdm Dat is geen prijsfout hoor: de Repair shampoo is deze week 2 halen, 1 betalen 😊",
     kind="reply", tags=["denied-error"])
case("nl", pub("x", "@blijeklant_jan"), "Bedankt @lokken_helpt, cadeaukaartprobleem binnen 10 minuten opgelost 🙏",
     tags=["praise"])
case("nl", pub("facebook", "sportmama.linda", "Linda"), "Ze proberen je te lokken met gratis proeflessen en dan zit "
     "je vast aan een jaarabonnement. Typisch sportschool.", tags=["brand-word"])
case("en", pub("reddit", "u/straightordie"), "Is the Silk 230 worth €149? My old straightener just died and I'm "
     "torn", tags=["list-price"])
case("en", E_BAS, "on to the next sprint 🚀 great work team", tags=["neutral"])
case("nl", E_ANO, "Trots dat ik vanaf vandaag als controller bij Lokken & Co mag werken!", tags=["neutral"])
case("nl", pub("x", "@zzp_zanna"), "Factuur van Lokken netjes ontvangen, btw-nummer NL<<NOT_BSN9>>B01 stond er "
     "gewoon op", tags=["order-number"])
case("en", pub("youtube", "@hairbyhanna"), "I tested the Lokken AirSoft against three other dryers, full review in "
     "the video. Spoiler: it's quieter than the Dyson", kind="comment", tags=["review"])
case("nl", pub("stocktwits", "beleggertje"), "Lokken is geen beursfonds toch? Dacht even dat ik ze kon kopen 😅",
     tags=["question"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    k = f"{platform}:{handle}".casefold()
    if k in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if k in {a.casefold() for a in profile["accounts"]["employee"]}:
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
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t -= dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform == "x":
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-kapperspraat-{n}", f"https://forum.kapperspraat.example/t/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "lokken"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# independent checks
# ---------------------------------------------------------------------------

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(x) for x in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[0-9A-Za-z-]{20,}",
    r"hooks\.slack\.com/services/", r"\bsk_live_\w{20,}", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).replace(ZW, "")
    return re.sub(r"\s+", " ", t).casefold()


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                if comp[:end] != OWN_IBAN:
                    hits.append(("iban", comp[:end]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    lp = [p["list_price"] for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    am = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    return min(am) / min(lp) if lp and am else None


def own_phone_digits(profile):
    out = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        out.add("0" + d[2:] if p.startswith("+31") else d)
    return out


def check(lines, rows, profile):
    errors, notes = [], []
    own_e = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_p = own_phone_digits(profile)
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f}")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: year")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(p["text"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} != {want}")
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw) or k.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: iban {raw}")
            if k == "CARD" and not luhn_ok(raw) or k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: card {raw}")
            if k == "BSN" and not bsn_ok(raw) or k.startswith("NOT_BSN") and bsn_ok(raw):
                errors.append(f"{w}: bsn {raw}")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid id not re-found")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid id {ids} without leak.pii")
        text = p["text"]
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_e:
                    errors.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("0031"):
                    d = "0" + d[4:]
                elif raw.startswith("+31"):
                    d = d[2:]
                    d = d if d.startswith("0") else "0" + d
                if len(d) == 10 and d not in own_p:
                    errors.append(f"{w}: benign phone {raw}")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errors.append(f"{w}: benign secret-like {rx.pattern}")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errors).append(f"{w}: benign ratio {ratio:.2f}")
        nt = norm(text)
        for t, until in emb:
            if t in nt:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {t!r} before {until} unlabelled")
                if ts >= until and not cats:
                    notes.append(f"{w}: embargo term {t!r} at/after embargo, benign")
        for t in internal:
            if re.search(r"(?<![\w.])" + re.escape(t) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"{w}: internal term {t!r} unlabelled")
        if "leak.pricing" in cats:
            ratio = price_ratio(text, profile["products"])
            notes.append(f"{w}: pricing ratio {ratio}")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES):
            notes.append(f"{w}: secret without pattern (password in text)")
    return errors, notes


def report(rows):
    cat, catl = Counter(), Counter()
    lang, role, sev, plat = Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
            catl[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  multi {multi}  evasion {ev}")
    for c in CATEGORIES + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}  nl {catl[(c, 'nl')]:3d}  en {catl[(c, 'en')]:3d}")
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
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes = check(lines, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note " + x)
    for e in errors:
        print("  ERROR " + e)
    print(f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
