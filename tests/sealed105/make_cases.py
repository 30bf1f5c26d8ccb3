#!/usr/bin/env python3
"""Deterministic generator for the sealed105 blind set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Lindewaerde Events B.V." (profile.yaml), a fictional Dutch wedding and
event-venue company (Kasteel Lindewaerde, Hoeve Klaverkamp, Smaakveld Catering).

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG: positives get checksum-valid IBANs, cards
and BSNs; benign look-alikes fail their checksum. Severity is computed from the
contract (section 4), never typed by hand. Needs Python 3.9+ and PyYAML.
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

SEED = 105_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_with_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# --------------------------------------------------------------------------- value factory

class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def nums(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
            v = iban_with_check("NL", bank + self.nums(10, lead=True))
            return v if v != "NL61RABO0312445560" else self.iban(cc)
        if cc == "BE":
            head = self.r.choice(["063", "310", "001", "734", "143"]) + self.nums(7)
            return iban_with_check("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_with_check("DE", self.r.choice(["30020900", "50070010", "37050198"]) + self.nums(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def _luhn_fill(self, head):
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.nums(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.nums(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.nums(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.nums(12)}[brand]()
        return self._luhn_fill(head)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.nums(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.nums(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.nums(9)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    def passport_nl(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.pick(string.digits, 1)

    # phones
    def phone(self, f):
        m = self.r.choice("12345678") + self.nums(7)          # the 8 digits after 06
        area = self.r.choice(["30", "33", "318", "343", "35", "26", "55", "73", "10", "20"])
        sub = self.r.choice("2345789") + self.nums(9 - len(area) - 1)
        table = {
            "m_dash": f"06-{m}",
            "m_plain": f"06{m}",
            "m_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "m_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "m_intl_c": f"+316{m}",
            "m_0031": f"0031 6 {m[:4]} {m[4:]}",
            "m_paren": f"(06)-{m[:4]}{m[4:]}",
            "l_dash": f"0{area}-{sub}",
            "l_intl": f"+31 {area} {sub}",
        }
        return table[f]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 28)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.nums(11, True)}-{self.nums(13, True)}-{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1772000000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "couple-" + self.nums(5, True), "iss": "boeken.lindewaerde.nl",
                    "scope": "guestlist:write", "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.pick(string.ascii_uppercase, 1) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.pick("!#$%&*", 1) + self.pick(ALNUM, 4))

    def hexstr(self, n):
        return self.pick("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
BAD_IDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
SLOT = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fx, text):
    used = []

    def one(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = fx.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = fx.bad_iban(kind[9:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = fx.card(brand) if kind == "CARD" else fx.bad_card(brand)
            shown = fx.card_fmt(raw, cf or "sp")
        elif kind == "BSN":
            raw = fx.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif kind == "NOT_BSN9":
            shown = raw = fx.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = fx.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = fx.ean13()
        elif kind == "PASSPORT":
            shown = raw = fx.passport_nl()
        elif kind == "PHONE":
            shown = raw = fx.phone(f)
        elif kind == "NUM":
            shown = raw = fx.nums(int(f), lead=True)
        elif kind == "HEX":
            shown = raw = fx.hexstr(int(f))
        else:
            method = {"GHP": fx.ghp, "MOLLIE": fx.mollie, "SENDGRID": fx.sendgrid, "STRIPE": fx.stripe,
                      "GAPI": fx.gapi, "AWS_ID": fx.aws_id, "AWS_SECRET": fx.aws_secret,
                      "SLACK_BOT": fx.slack_bot, "JWT": fx.jwt, "PEM": fx.pem_openssh,
                      "PW": fx.password}[kind]
            shown = raw = method()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
LW_IG = ("instagram", "@kasteellindewaerde", "Kasteel Lindewaerde")
LW_X = ("x", "@lindewaerde", "Lindewaerde Events")
LW_FB = ("facebook", "LindewaerdeEvents", "Lindewaerde Events")
LW_LI = ("linkedin", "lindewaerde-events", "Lindewaerde Events B.V.")
HK_TT = ("tiktok", "@hoeveklaverkamp", "Hoeve Klaverkamp")
# employees
NH = ("instagram", "@noor.weddingplanner", "Noor Hendriks")        # wedding planner
BK = ("x", "@bramkok_chef", "Bram Kok")                             # chef, Smaakveld Catering
EV = ("linkedin", "eline-vos-lindewaerde", "Eline Vos")              # finance controller
RD = ("linkedin", "ruben-dekker-it", "Ruben Dekker")                 # IT, booking platform
JS = ("x", "@jaspersmit_bediening", "Jasper Smit")                  # floor staff / bar
MB = ("threads", "@marloes.bos.sales", "Marloes Bos")               # sales
KY = ("facebook", "kevin.yilmaz.klaverkamp", "Kevin Yılmaz")        # location manager Hoeve
DW = ("mastodon", "@dewi@mastodon.nl", "Dewi Pranoto")              # devops


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

# =========================================================================== leak.pricing
case("nl", MB, "Eh collega's… wie heeft er aan de prijzen in het boekingsportaal gezeten?? "
     "Trouwpakket Compleet staat nu op €18,90 p.p. 😳 en er komen al boekingen binnen", [PRICING],
     handle="@Marloes.Bos.Sales", tags=["case-handle"])
case("en", JS, "lmao the bruidssuite is listed at €39.50 a night on the site rn, somebody dropped a zero. "
     "book it before marketing wakes up 😂", [PRICING], kind="post")
case("nl", pub("facebook", "Mirjam.vd.Heuvel", "Mirjam van den Heuvel"),
     "Mensen!!! Het Kasteel Exclusief Weekend van Lindewaerde staat voor €1.495 op hun site 😍😍 "
     "dat is toch een prijsfout? Wij hebben meteen geboekt, benieuwd of ze het nakomen", [PRICING])
case("nl", pub("reddit", "u/trouwstress_2026"),
     "Iemand ervaring met prijsfouten bij trouwlocaties? Wij boekten de Boerenbruiloft bij Hoeve Klaverkamp "
     "voor 59 euro p.p. (normaal 119), bevestiging en al. Nu mailen ze dat het een fout was en moeten we "
     "alsnog bijbetalen of annuleren. Zo balen.", [PRICING, COMPLAINT], kind="post")
case("en", pub("tiktok", "@sophie.plans.a.wedding", "Sophie"),
     "the Smaakveld walking dinner is showing €6.45 per person on the booking page 💀 pricing glitch or "
     "am i dreaming", [PRICING], kind="comment")
case("nl", KY, "Niet doorvertellen 🤫 maar in de nieuwe offertetool staat Trouwzaal Halve Dag op 129,50. "
     "Ruben is ermee bezig, tot die tijd niet naar verwijzen als klanten bellen", [PRICING])
case("nl", pub("instagram", "@feestbeest.femke", "Femke"),
     "p r i j s f o u t bij Hoeve Klaverkamp?? Borrelarrangement Tuinfeest voor €4,25 pp 🍾🍾 "
     "snel zijn mensen", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", LW_X, "@daan_and_mila Thanks for flagging! The Kasteel Exclusief Weekend briefly showed €149,50 "
     "because of a price error on our end. We're correcting it now and will get back to everyone who booked.",
     [PRICING], kind="reply")
case("nl", pub("x", "@bruidje_in_spe"),
     "Trouwpakket Cömpleet bij Lindewaerde voor €19 p.p. 🤯 fout in het systeem of een nieuwe actie??",
     [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", pub("threads", "@jorien.trouwt", "Jorien"),
     "Boeren" + ZWSP + "bruiloft voor 11,90 p.p. staat er nu op de site van de Hoeve, vast een typfout 😅 "
     "#trouwen2026 #boerenbruiloft", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", BK, "kitchen group chat is losing it: the webshop lists our Smaakveld walking dinner at 6,45 per "
     "head instead of 64,50. decimal point went for a walk 🚶‍♂️", [PRICING])
case("nl", pub("forum", "MarieLouise_82"),
     "Vraagje hier op het forum: wie heeft er ook geboekt tijdens die prijsfout van de Bruidssuite "
     "gisteravond? Wij kregen net een mail dat ze willen annuleren. Mag dat zomaar?", [PRICING], kind="reply")
case("en", NH, "Couples are DMing me screenshots of the Exclusief Weekend at €1,495 🙃 yes it's a pricing "
     "mistake, no we can't honour it, IT is on it. Please stop booking it lovelies 💛", [PRICING])

# =========================================================================== leak.secret
case("en", RD, "Proud of the team for shipping the new deposit flow 🎉 For the devs who asked how simple "
     "it is: MOLLIE_API_KEY=<<MOLLIE>> plus one webhook and you're done. #payments #fintech", [SECRET])
case("nl", DW, "argh, CI draait weer niet. heb het token nu even hardcoded om te testen:\n<<GHP>>\n"
     "(haal ik straks weg hoor)", [SECRET])
case("en", DW, "aws cli keeps giving AccessDenied on the wedding-photo bucket with\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nanyone? #aws #devops",
     [SECRET])
case("nl", RD, "Voor wie de rapportage-koppeling wil testen, deze string werkt bij mij:\n"
     "postgres://planning_app:<<PW>>@db2.intra.lindewaerde.local:5432/bookings", [SECRET, CONF])
case("nl", pub("instagram", "@lisa.flexwerk", "Lisa"),
     "Eerste week als flexer bij Lindewaerde 🥂 inloggen op het personeelsrooster: gebruiker lw_flex, "
     "wachtwoord <<PW>> 😂 zo simpel allemaal", [SECRET])
case("en", BK, "anyone know why the kitchen slack bot stopped posting the prep list? token is "
     "<<SLACK_BOT>> and it worked fine yesterday 🤷", [SECRET], kind="post")
case("nl", MB, "Nieuwsbrieftool doet raar, support vroeg om onze key… is dit het goede formaat? "
     "<<SENDGRID>>", [SECRET])
case("en", pub("reddit", "u/frontend_fiets"),
     "Found this in the page source of lindewaerde's booking form lol\n\nconst mapsKey = \"<<GAPI>>\";\n\n"
     "wedding venues and web dev, name a better duo", [SECRET], kind="comment")
case("en", DW, "note to self, sftp key for the photographer uploads:\n<<PEM>>", [SECRET])
case("nl", RD, "Debugging van de koppeling met het bruidsparenportaal, dit token komt terug:\n<<JWT>>\n"
     "Iemand die ziet waarom exp niet klopt?", [SECRET])
case("nl", LW_FB, "Hoi Tim, hierbij de key voor de koppeling met de cadeaubonnenshop zoals besproken: "
     "<<STRIPE>>\nGroetjes, team Lindewaerde", [SECRET], kind="comment")
case("nl", KY, "Alarmcode van de hoeve is vanaf vandaag anders. Nieuwe code staat in de map, en het "
     "wachtwoord van de kluis-app is <<PW>> . Niet verder delen!", [SECRET])
case("en", JS, "bar ipad pass is literally H o e v e 2 0 2 6 ! lol they never learn", [SECRET],
     tags=["evasion", "evasion:spaced"])
case("nl", DW, "Oeps, gisteren per ongeluk onze betaal-key in een publieke gist gezet: <<MOLLIE>> "
     "is al geroteerd hoor, geen paniek 🙈", [SECRET])

# =========================================================================== leak.pii
case("nl", NH, "Lieve bruidjes 💕 wie heeft dit zijden shawltje laten liggen na de bruiloft van zaterdag? "
     "Het is van Femke de Wit, haar nummer is <<PHONE:m_dash>>, app haar even als je haar kent!", [PII],
     handle="@Noor.WeddingPlanner", tags=["case-handle"])
case("en", MB, "refund for the Jansen-Okafor wedding keeps bouncing?? their IBAN <<IBAN_NL:grp>> "
     "according to the form. finance pls help 🙏", [PII])
case("nl", EV, "Nieuwe flexkrachten: stuur je BSN alsjeblieft NIET via WhatsApp. Vorige week kreeg ik "
     "zelfs een foto met 'BSN <<BSN:dots>>' erop van Daan. Gebruik het onboarding-formulier!", [PII])
case("en", JS, "guy at table 12 read his whole card out loud to pay the bar tab 😭 <<CARD:visa_sp>> "
     "exp 09/28, who does that", [PII])
case("nl", LW_FB, "Hoi Sanne! We hebben je nieuwe adres genoteerd: Sanne Vermeulen, Lindelaan 14, "
     "3941 BK Doorn. De proefdiner-uitnodiging gaat maandag de deur uit 💌", [PII], kind="reply")
case("en", NH, "Happy birthday to our bride-to-be Yasmin Achterberg, born 14-03-1996 🎂 only 40 days "
     "until your big day at the Hoeve!!", [PII])
case("nl", BK, "Allergenenlijst zaterdag:\n- Tom Hazelaar, NOTEN!! tel <<PHONE:m_intl>>, tafel 3\n"
     "- bruid glutenvrij\nniet vergeten jongens", [PII])
case("en", EV, "Fun thing from month-end close: one couple paid their deposit from <<IBAN_DE>> and wrote "
     "'for the prettiest castle in Utrecht' in the reference 🥹", [PII])
case("nl", JS, "bruidegom wou z'n mail achterlaten voor de foto's: m.hoekstra88 [at] hotmail [punt] com "
     "ik zet 't hier want ik raak briefjes altijd kwijt 🙈", [PII], tags=["evasion", "evasion:at-punt"])
case("en", RD, "Note for the night desk: guest Ana Ferreira, passport <<PASSPORT>>, arrives late for the "
     "Exclusief Weekend, please hold the key", [PII], kind="comment")
case("nl", LW_IG, "De winnaar van onze proefdiner-giveaway is… Mark Schouten, Kastanjelaan 7 in Zeist! 🎉 "
     "Je prijs komt deze week langs", [PII])
case("en", pub("x", "@kees_and_annemijn"),
     "@lindewaerde your payment page failed 3 times. here, just charge the deposit on this "
     "<<CARD:mc_dash>> already!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Tante.Gerda.55", "Gerda"),
     "Cadeautip voor de bruiloft van Joris & Priya op Kasteel Lindewaerde: ze sparen voor hun huwelijksreis 🌴 "
     "<<IBAN_NL>> t.n.v. J. Verbeek", [PII])
case("en", pub("instagram", "@emma.luuk.2026", "Emma & Luuk"),
     "WE'RE GETTING MARRIED at Hoeve Klaverkamp 💛🌾 RSVP straight to us: emma.luuk.wedding@proton.me or "
     "<<PHONE:m_0031>>", [PII])
case("nl", pub("x", "@stijn_afwas"),
     "@lindewaerde moet ik nou echt mijn BSN (<<BSN>>) in een open formulier zetten voor een bijbaan als "
     "afwasser? Lijkt me raar", [PII], kind="reply")
case("nl", pub("forum", "Wout_en_Elke"),
     "Wij hebben de aanbetaling gedaan vanaf ons Belgische rekening <<IBAN_BE:grp>>, Lindewaerde zegt dat "
     "er niks binnen is. Bank zegt dat het er al 3 weken af is. Heel frustrerend.", [PII, COMPLAINT])
case("en", pub("bluesky", "ritu-weds.bsky.social", "Ritu"),
     "If anyone from the Lindewaerde team sees this: our coordinator can reach my mum on "
     "<<PHONE:l_intl>> , my own phone is dead 😅", [PII])

# =========================================================================== leak.confidential
case("en", RD, "Shoutout to the team that migrated the planning tool overnight! planning.lindewaerde.nl "
     "loads 3x faster now 🚀", [CONF])
case("nl", MB, "Screenshot uit de nieuwe salesdeck (LW-INTERN, sorry 🙊) maar kijk die renders van de "
     "kasteeltuin dan 😍", [CONF])
case("en", pub("reddit", "u/castlecurious"),
     "My cousin works at Lindewaerde and says they're opening Landgoed Ooverwaert next summer, apparently "
     "it's massive. anyone heard more?", [CONF], when="2026-06-21T20:14:09+02:00", tags=["embargo-before"])
case("nl", KY, "Landgoed Ooverwaert 😍 eindelijk mogen we het zeggen!!", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", JS, "can't say much but Operatie\nKorenbloem means our weekends are about to get waaay busier 👀",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("en", pub("x", "@hr_nerd_utrecht"),
     "lol saw a link to wiki.lindewaerde.nl/huisregels-personeel in a job ad screenshot 👀", [CONF])
case("nl", BK, "Proefmenu voor het Goud Plus arrangement vandaag getest 🤤 truffel, kreeft, alles erop "
     "en eraan", [CONF], when="2026-07-08T16:40:00+02:00", tags=["embargo-before"])
case("en", NH, "Pro" + ZWSP + "ject Zwanen" + ZWSP + "hals demo today and omg couples will be able to pick "
     "their menu in the app 😍", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", pub("instagram", "@lisa.flexwerk", "Lisa"),
     "Vandaag training gehad over Project 🦢 Zwanenhals, dat wordt wat 😂", [CONF],
     tags=["evasion", "evasion:emoji-between"])
case("nl", LW_LI, "Niet extern delen: concept tarievenoverzicht 2027 voor de locatiemanagers, graag "
     "feedback voor vrijdag", [CONF])
case("en", pub("blog", "bridesbible.example", "Brides Bible"),
     "Rumour mill 💍 Lindewaerde's secret 'Velvetine' project is said to be a luxe elopement package. "
     "Heard it from a supplier under NDA 😉", [CONF])
case("nl", KY, "Nog even geduld mensen, " + fullwidth("Velvetine") + " komt eraan 🤐", [CONF],
     tags=["evasion", "evasion:fullwidth"])
case("nl", MB, "Operatie Korenbloem: we nemen dat partycentrum in Veenendaal over, deal is bijna rond 🍾",
     [CONF, FIN])
case("en", pub("linkedin", "gijs-hofman-av-techniek", "Gijs Hofman"),
     "Just finished the AV install for Lindewaerde. Their doc header literally says LINDEWAERDE CONFIDENTIAL, "
     "so no pics, but trust me the new ballroom is 🔥", [CONF])
case("en", MB, "Goud Plus-arrangement brochure just came back from the printer ✨", [CONF],
     when="2026-09-15T07:59:30Z", tags=["embargo-before", "tz-edge"])

# =========================================================================== leak.financial
case("nl", EV, "Jaarcijfers 2026 worden top: omzet +23%, EBITDA bijna verdubbeld 🥂 trots op dit team",
     [FIN, CONF], when="2026-12-18T17:22:00+01:00", tags=["embargo-before"])
case("en", BK, "heads up, they're cutting half the catering crew at the Hoeve after summer. heard it in "
     "the mgmt meeting i was serving at 😬", [FIN])
case("nl", KY, "Zeg nog niks tegen de vaste klanten, maar Hoeve Klaverkamp gaat per 1 januari dicht en "
     "wordt verkocht. Ik weet het sinds gisteren.", [FIN])
case("en", pub("reddit", "u/weddingnerd_nl"),
     "my friend in finance at Lindewaerde says they're being bought by a hotel chain, announcement in Q1",
     [FIN], kind="comment")
case("nl", EV, "Prognose Q3: 412 bruiloften, maar marge onder druk door energie en personeel. "
     "Moeten we deze maand nog met de bank bespreken…", [FIN])
case("nl", JS, "er worden 30 mensen ont" + SHY + "slagen in de bediening, hoorde het net van m'n "
     "leidinggevende 😔", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", MB, "Q3 numbers are in and bookings dropped 18% vs last year 😬 don't tell the couples lol, "
     "we'll spin it in the newsletter", [FIN])
case("nl", pub("x", "@leverancier_bloemen"),
     "Hoorde van iemand bij de financiële afdeling van Lindewaerde dat de bank het krediet heeft ingetrokken "
     "en ze een doorstart voorbereiden. Eerst zien dan geloven.", [FIN])
case("en", EV, "Board approved the bid for that castle in Gelderland today. €8.2m. Can't wait to tell "
     "you all more! #growth #hospitality", [FIN])
case("nl", KY, "Volgens de planning komt er een reorg4nisatie op de hoeve, 12 vaste plekken gaan weg",
     [FIN], tags=["evasion", "evasion:leet"])
case("en", RD, "Big week: due diligence on us kicked off and the data room is live. If you see "
     "consultants walking around the castle, that's why 😉", [FIN])

# =========================================================================== leak.security
case("nl", RD, "Ransomware op de planningsserver vannacht. Alles ligt plat, zaterdag draaien we de "
     "bruiloften op papier. Nog niet naar buiten communiceren graag.", [SEC])
case("en", DW, "the booking portal has an IDOR: change the booking id in the URL and you can see other "
     "couples' guest lists. ticket open since march 🙃", [SEC])
case("nl", JS, "de pinautomaten op de hoeve zijn al 2 dagen overgenomen door iemand, alle betalingen "
     "mislukken. tegen gasten zeggen we 'storing' 🙄", [SEC])
case("en", NH, "someone phished our planners inbox and sent fake invoices to 40 couples. we're not "
     "allowed to tell them yet 😞", [SEC])
case("nl", KY, "d4t4l3k bij de gastenlijsten, sst, komt maandag pas naar buiten", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", MB, "payment page has been down since 6am, couples can't pay deposits and management says "
     "keep quiet until it's fixed", [SEC])
case("nl", DW, "Bug in Project Zwanenhals: de wachtwoord-reset mail gaat naar het verkeerde bruidspaar. "
     "Nog niet gepatcht, dus niet te hard roepen", [SEC, CONF])
case("en", BK, "camera system at the castle got pwned, some random was watching the kitchen feed. "
     "IT says don't mention it to anyone", [SEC])
case("nl", EV, "Via een nepfactuur is er geld weggesluisd naar een 'leverancier'. Politie is ingeschakeld, "
     "de pers weet nog van niets.", [SEC])
case("en", pub("x", "@mad_bride_2026"),
     "Lindewaerde had a breach in April and they're HIDING it. I got a phishing mail with my exact wedding "
     "date and guest count. cover up much?", [SEC, CRISIS])
case("nl", pub("facebook", "Annemarie.Kuipers", "Annemarie Kuipers"),
     "Ze verzwijgen het, maar bij Lindewaerde zijn de gastenlijsten uitgelekt. Mijn tante kreeg spam met "
     "haar tafelnummer erbij 😡", [SEC, CRISIS])
case("nl", pub("tiktok", "@trouwtea", "trouwtea"),
     "Lindewaerde is g e h a c k t en ze houden het stil!! deel dit 📢", [SEC, CRISIS],
     tags=["evasion", "evasion:spaced"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@regionieuws_heuvelrug"),
     "Na een bruiloft op Kasteel Lindewaerde liggen zo'n 30 gasten ziek, salmonella wordt vermoed. "
     "De GGD onderzoekt de zaak.", [CRISIS])
case("en", pub("facebook", "Chloe.Verhoef", "Chloe Verhoef"),
     "Half of our guests got food poisoning at our own wedding at Hoeve Klaverkamp. Worst week of our lives "
     "and nobody from the venue has even called. Never again.", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@liefde.is.liefde", "Liefde is Liefde"),
     "Lindewaerde weigerde het huwelijk van twee vrouwen 'omdat het niet bij het kasteel past'. BOYCOT deze "
     "tent! Deel dit 🏳️‍🌈 #boycotlindewaerde", [CRISIS])
case("en", pub("reddit", "u/utrecht_local"),
     "A couple is suing Lindewaerde after the marquee came down during the speeches, two guests ended up in "
     "hospital", [CRISIS])
case("nl", pub("x", "@brandweer_fan"),
     "Brand in het koetshuis van Kasteel Lindewaerde, 150 feestgangers moesten worden geëvacueerd 🔥🚒",
     [CRISIS])
case("en", pub("linkedin", "sara-mol-journalist", "Sara Mol"),
     "Investigating reports that Smaakveld Catering (Lindewaerde) used undocumented workers at €4 an hour "
     "during wedding season. DM me if you know more.", [CRISIS])
case("nl", pub("forum", "Bas_en_Noa"),
     "Wij slepen Lindewaerde voor de rechter. Drie weken voor onze bruiloft annuleerden ze en de aanbetaling "
     "van €6.000 houden ze gewoon.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@echt_niet_oke"),
     "Niet meer trouwen bij L1ndewaerde, ze discrimineren gewoon. #b0yc0t", [CRISIS],
     tags=["evasion", "evasion:leet"])
case("en", pub("tiktok", "@flowergirlmom", "flowergirlmom"),
     "PSA the champagne tower at Kasteel Lindewaerde collapsed onto a flower girl, glass everywhere, "
     "ambulance came 😢", [CRISIS])
case("nl", pub("x", "@privacy_paula"),
     "Lindewaerde heeft een datalek: mijn paspoortkopie stond gewoon open via een deelbare link 😡",
     [CRISIS])
case("en", pub("bluesky", "gala-guest.bsky.social"),
     "Allergic reaction at a Smaakveld-catered gala last night, a guest was hospitalised after the "
     "'nut-free' dessert. Scary stuff.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@sanne_en_bart"),
     "@lindewaerde al 2 weken geen reactie op onze mail over de menukeuze. Bruiloft is over 5 weken. "
     "Hallo??", [COMPLAINT], kind="reply")
case("en", pub("instagram", "@mrs.vandijk.soon"),
     "The food was cold and the DJ you recommended didn't show up until 10pm. For €189 pp I expected "
     "a lot more, honestly.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "Ruud.Pelgrim", "Ruud Pelgrim"),
     "Aanbetaling van €2.500 in maart teruggevraagd, nog steeds niks. De klantenservice belooft elke keer "
     "'volgende week'.", [COMPLAINT])
case("nl", pub("trustpilot", "Jeroen & Kim"),
     "1 ster. Onze fotograaf mocht niet in de rozentuin 'vanwege een ander feest'. Niemand had ons dat van "
     "tevoren verteld.", [COMPLAINT])
case("en", pub("x", "@newlywed_nick"),
     "charged a €350 'corkage fee' that was nowhere in the quote. great way to start a marriage "
     "@lindewaerde 🙄", [COMPLAINT])
case("nl", pub("tiktok", "@trouwen_met_tess"),
     "onze planner is 3x gewisseld in één jaar en elke keer moesten we alles opnieuw uitleggen 😩 "
     "#lindewaerde", [COMPLAINT], kind="comment")
case("en", pub("other", "Hannah R."),
     "Booked the Bruidssuite, the room smelled of smoke and the jacuzzi didn't work. Asked for a discount "
     "and got a voucher for a coffee.", [COMPLAINT])
case("nl", pub("x", "@ikbenmaar_gast"), "Wat een sl3chte service bij Lindewaerde, wéér geen antwoord op "
     "m'n vraag over de shuttle", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("nl", pub("instagram", "@plantaardig.pien"),
     "De vegan optie was letterlijk een bord gegrilde groenten. Voor 64,50 p.p. mag je echt meer "
     "verwachten van Smaakveld 😕", [COMPLAINT])
case("nl", pub("reddit", "u/boos_bruidspaar"),
     "Lindewaerde wil ineens 15% meer voor ons pakket omdat de 'kosten gestegen zijn'. Contract is in 2025 "
     "getekend! Mag dat?", [COMPLAINT], kind="post")
case("en", pub("mastodon", "@joost@mastodon.social"),
     "Our wedding photos show half-built scaffolding right behind the ceremony spot at Lindewaerde. Nobody "
     "warned us about renovations. Gutted.", [COMPLAINT])
case("nl", pub("facebook", "Dirk.Meulenbelt", "Dirk Meulenbelt"),
     "Stelletje oplichters bij Lindewaerde, kutservice, onze aanbetaling zien we nooit meer terug",
     [COMPLAINT, ABUSE])
case("en", pub("x", "@greg_mcl"),
     "worst f*cking wedding venue, staff were rude and the bar closed at 11 when we paid until 1 "
     "@lindewaerde", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("youtube", "@TheVisserFamily"),
     "we had our wedding at Lindewaerde too, the sound system cut out three times during our first dance. "
     "never got an apology", [COMPLAINT], kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@fikkie_1999"), "Die planner van Lindewaerde is echt een debiel wijf", [ABUSE])
case("en", pub("reddit", "u/hotdogwater"), "lindewaerde staff are a bunch of clowns and morons lmao",
     [ABUSE], kind="comment")
case("nl", JS, "Bruidegom van vanavond was een ongelofelijke klootzak, hoop dat ze binnen een jaar "
     "gescheiden zijn", [ABUSE])
case("en", BK, "another bridezilla today. honestly these entitled idiots should just elope and leave us "
     "alone", [ABUSE])
case("nl", pub("instagram", "@echte_hollander_72"),
     "Die nieuwe kok van Lindewaerde is zeker ook zo'n gelukszoeker, stuur ze allemaal terug naar hun eigen "
     "land", [ABUSE], kind="comment")
case("nl", pub("x", "@zuurpruim"), "k*t tent Lindewaerde, kanker op met je 'exclusieve' kasteel",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("tiktok", "@nobody_asked_99"),
     "@hoeveklaverkamp nobody cares about your ugly barn, shut up you pathetic losers", [ABUSE], kind="comment")
case("nl", HK_TT, "@vera_klaagt als je zo'n zeikerd bent moet je gewoon niet bij ons trouwen hoor sukkel 🙄",
     [ABUSE], kind="reply")
case("en", pub("x", "@anon44721"), fullwidth("fuck lindewaerde") + " and everyone who works there",
     [ABUSE], tags=["evasion", "evasion:fullwidth"])
case("nl", pub("facebook", "Henk.de.Boer.77", "Henk de Boer"),
     "Tering Lindewaerde met jullie domme reclames overal in mijn tijdlijn", [ABUSE])
case("en", pub("x", "@bitter_exguest"),
     "@lindewaerde hope your castle burns down with your snobby owners still inside", [ABUSE], kind="reply")

# =========================================================================== benign
# own contact data
case("nl", LW_FB, "Aanbetaling overmaken? Dat kan naar NL61 RABO 0312 4455 60 t.n.v. Lindewaerde Events, "
     "o.v.v. je boekingsnummer 💍", tags=["own-contact"])
case("nl", LW_X, "Vragen over jullie trouwdag? Bel ons op +31 343 455 120 of mail trouwen@lindewaerde.nl 💌",
     tags=["own-contact"])
case("nl", pub("x", "@happy_jildou"), "Tip: bel gewoon 0343-455120, ze zijn daar super vriendelijk en "
     "denken echt met je mee", tags=["own-contact"])
case("en", LW_X, "@laura_vdm So sorry about the wait! Could you send your booking number to "
     "info@lindewaerde.nl? We'll sort the invoice today.", kind="reply", tags=["own-contact"])
case("nl", LW_IG, "Persvragen over de open dag? pers@lindewaerde.nl of 085 047 7730 📸",
     tags=["own-contact"], handle="@KasteelLindewaerde")
case("en", NH, "Booking questions go to our lovely team on 085-047 7730, I'm off until Monday 🌴",
     tags=["own-contact"])
# sales, prices, deposits, second-hand
case("nl", LW_IG, "Zaterdag open dag op Kasteel Lindewaerde 🏰 Proef het Trouwpakket Compleet, nu met "
     "20% vroegboekkorting: €151,20 p.p.", tags=["price"])
case("nl", pub("facebook", "Nina.en.Joep", "Nina & Joep"),
     "Wauw, de Boerenbruiloft bij Hoeve Klaverkamp is in de winteractie €99 p.p. Meteen geboekt 🥰",
     tags=["price"])
case("nl", LW_FB, "Hoe werkt betalen? Voor het Kasteel Exclusief Weekend vragen we €1.500 aanbetaling, "
     "de rest betaal je 6 weken voor je feest.", tags=["price", "price-context"])
case("nl", pub("reddit", "u/budgetbruid"),
     "Kasteel Hooghendael (dus niet Lindewaerde!) had gisteren een prijsfout, hele zaal voor €95. "
     "Inmiddels allemaal geannuleerd natuurlijk 🙃", tags=["price", "other-company"], kind="comment")
case("nl", LW_IG, "Nieuw bij Smaakveld: de Smaakveld walking dinner met Hollandse garnalen 🦐 "
     "vanaf €64,50 p.p.", tags=["price"])
case("nl", pub("instagram", "@vraagjes.van.vera"),
     "Wat kost trouwen bij Lindewaerde eigenlijk? Wij kregen een offerte van 189 p.p. voor het "
     "Trouwpakket Compleet, is dat normaal?", tags=["price"])
case("nl", pub("facebook", "Robin.Kramer.9", "Robin Kramer"),
     "Te koop: onze voucher voor de Bruidssuite, €150 (nieuwprijs 395). Gaan helaas uit elkaar, lang "
     "verhaal.", tags=["price", "price-context", "second-hand"])
case("en", pub("x", "@deal_hunter_nl"),
     "Borrelarrangement Tuinfeest for €34 pp this spring at the Hoeve, decent deal for a garden party",
     tags=["price"])
case("nl", MB, "Laatste kans: Halve Dag Trouwzaal op vrijdag voor €995 in plaats van €1.295, alleen in "
     "november! 🍂", tags=["price"])
case("en", KY, "We give €250 off the Boerenbruiloft for weekday weddings, just ask 😊", tags=["price"])
# embargo after / published
case("nl", LW_LI, "Vandaag openen we officieel Landgoed Ooverwaert, onze derde trouwlocatie 🌳 "
     "Welkom aan alle nieuwe collega's!", when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@wandelende_wim"), "Net een rondleiding gehad op Landgoed Ooverwaert, wat een "
     "plek 😍", when="2026-10-02T14:11:45+02:00", tags=["embargo-after"])
case("nl", LW_FB, "Vanaf vandaag te boeken: het Goud Plus arrangement met kreeft en truffel 🦞",
     when="2026-09-15T08:00:00Z", tags=["embargo-after"])
case("nl", LW_X, "Lindewaerde Events publiceert vandaag de jaarcijfers 2025: groei in bruiloften en "
     "zakelijke events. Het verslag staat op lindewaerde.nl", tags=["published"])
case("en", pub("linkedin", "events-insider-nl", "Events Insider NL"),
     "Lindewaerde won Best Wedding Venue at the Dutch Wedding Awards 2026, according to today's press "
     "release. Congrats!", tags=["published"])
# codename and term near-misses
case("nl", NH, "Bruidsboeket van vandaag: korenbloemen, witte ranonkels en een beetje eucalyptus 💙",
     tags=["codename-near"])
case("nl", pub("instagram", "@bloemenbydees"), "Korenbloemblauw als themakleur voor een boerenbruiloft, "
     "yes or no? 💙🌾", tags=["codename-near"])
case("nl", pub("threads", "@klusjesman.koen"), "Zwanenhals van de gootsteen vervangen, weer een "
     "zaterdag voorbij 🔧", tags=["codename-near"])
case("nl", pub("x", "@bruid_op_zoek"), "Operatie 'vind een trouwjurk' is geslaagd 😅 nu nog schoenen",
     tags=["codename-near"])
case("en", pub("reddit", "u/curious_planner"), "Is 'Project Runway' filming at a castle near Doorn? "
     "saw a fashion shoot there last week", kind="comment", tags=["codename-near"])
# other companies, other senses
case("nl", pub("x", "@horeca_hans"), "Zag dat partycentrum De Zwaluw 40 mensen ontslaat, triest voor de "
     "sector. Hopelijk vinden ze snel iets, Lindewaerde zoekt volgens mij nog bediening", tags=["other-company"])
case("en", pub("x", "@paperlists_only"), "Another venue chain, FeestPaleis, had a data breach last month. "
     "Glad our planner at Lindewaerde still does seating on paper 😅", tags=["other-company"])
case("nl", pub("facebook", "Lotte.Brink", "Lotte Brink"), "Kasteel Hooghendael reageert al weken niet op "
     "mijn mails. Iemand tips? Overweeg nu Lindewaerde", tags=["other-company"])
case("en", pub("instagram", "@annabelle.weds"), "I can't recall ever crying this much at a wedding. "
     "Kasteel Lindewaerde, you did it 😭", tags=["other-sense"])
case("nl", pub("x", "@feestneus"), "Wij boycotten officieel alle bruiloften zonder open bar 😤 gelukkig "
     "heeft Lindewaerde er een", tags=["other-sense", "joke"])
case("nl", HK_TT, "Dit is brand new: Hoeve Klaverkamp heeft nu een eigen ijskar 🍦 #boerenbruiloft",
     tags=["other-sense"])
case("en", pub("tiktok", "@bridesmaid.hacks"), "life hack for bridesmaids: pack plasters and safety pins, "
     "thank me later 😂 #lindewaerde", tags=["other-sense"])
case("en", BK, "220 covers on saturday and the brigade was on fire 🔥 so proud of this team",
     tags=["other-sense"])
case("nl", LW_LI, "Vrijdag hosten we het benefietgala van Stichting Samen tegen Kanker. De volledige "
     "opbrengst gaat naar onderzoek 💛", tags=["mild-word"])
# maintenance notices by the company
case("nl", LW_X, "Ons boekingsportaal is zondagnacht van 02:00 tot 06:00 niet bereikbaar wegens gepland "
     "onderhoud. Dank voor jullie geduld!", tags=["official-notice"])
case("en", LW_IG, "Scheduled maintenance: the couples portal is offline tonight 23:00–01:00. Your "
     "guest lists are safe, see you tomorrow 💍", tags=["official-notice"])
# checksum-failing look-alikes and other numbers
case("nl", LW_FB, "Let op: er gaan nepmails rond met ons logo en rekeningnummer <<BAD_IBAN_NL:grp>>. "
     "Dat is NIET ons nummer, betaal alleen via boeken.lindewaerde.nl", tags=["bad-checksum"])
case("nl", pub("instagram", "@mila.en.daan"), "Bevestiging binnen!! ordernummer <<BAD_CARD:visa_sp>> 🎉 "
     "nu nog een jurk", tags=["bad-checksum"])
case("nl", LW_LI, "Lindewaerde Events B.V. · KvK <<NOT_BSN8>> · Kasteellaan 1, Doorn", tags=["bad-checksum"])
case("nl", BK, "Nieuwe truffelolie binnen, EAN <<EAN13>>, echt belachelijk lekker", tags=["bad-checksum"])
case("en", pub("x", "@table_plan_tim"), "guest count 148, seating plan v9, quote ref <<NOT_BSN9>>. "
     "we're nearly there 😮‍💨", tags=["bad-checksum"])
case("en", pub("facebook", "Priya.Verbeek", "Priya Verbeek"),
     "Got a gift card for the Hoeve, code printed as <<BAD_CARD:amex_sp>>, does it work for drinks too?",
     tags=["bad-checksum"])
case("nl", pub("forum", "Kasper_T"), "Welke bank staat er op hun factuur? Ik heb <<BAD_IBAN_BE>> "
     "gekregen maar mijn bank-app zegt dat het nummer niet klopt", tags=["bad-checksum"])
case("nl", pub("x", "@tafelschikking"), "Reserveringsnummer LW-2026-<<NUM:6>> en tafel 14, alles "
     "geregeld 🎊", tags=["order-number"])
# secret-shaped but not secrets
case("nl", DW, "Tip voor juniors: zet nooit een echte key in je README, gebruik een placeholder als "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", tags=["placeholder"])
case("en", RD, "Hotfix for the date picker merged in <<HEX:40>> 🎉 Sunday weddings can be booked again "
     "in the public calendar", tags=["git-sha"])
case("en", DW, "the AWS docs example key AKIAIOSFODNN7EXAMPLE is not a leak, stop opening tickets about it 😅",
     tags=["placeholder"])
case("nl", JS, "wachtwoord vergeten van m'n eigen strava, iemand die weet hoe je dat reset? 😂",
     tags=["password-word"])
# praise, questions, jokes, fiction, quotes
case("nl", pub("x", "@bruid_mei"), "Geen enkele klacht over Lindewaerde, alles tot in de puntjes "
     "geregeld 🥹", tags=["negated-complaint"])
case("en", pub("instagram", "@thijs.and.olivia"), "zero complaints, honestly. the Hoeve team made our "
     "day ✨", tags=["negated-complaint"])
case("en", pub("instagram", "@olivia.speeches"), "My dad quoting Shakespeare in his speech: 'Love looks "
     "not with the eyes, but with the mind' 🥲 #lindewaerdewedding", tags=["quote"])
case("nl", pub("x", "@schoonzoon"), "Mijn schoonmoeder heeft de bruidstaart compleet vermoord, alleen "
     "de bovenste laag is over 😂 #lindewaerde", tags=["joke"])
case("nl", pub("blog", "schrijfseltjes.example", "Schrijfseltjes"),
     "Hoofdstuk 3 van mijn verhaal: de bruid glipt via de kasteeltuin weg, vlak voor het jawoord. "
     "(Het kasteel lijkt verdacht veel op Lindewaerde, ja 😉)", tags=["fiction"])
case("nl", pub("facebook", "Ellen.Schipper", "Ellen Schipper"), "Hoeveel gasten passen er eigenlijk in de "
     "orangerie van Kasteel Lindewaerde? Wij zitten op 90", tags=["question"])
case("en", pub("threads", "@goldenhour.gemma"), "Hoeve Klaverkamp at golden hour 🌾 best decision we "
     "made", tags=["praise"])
case("nl", NH, "5 tips voor een stressvrije bruiloft 👰 1. begin vroeg met je gastenlijst 2. kies één "
     "vaste contactpersoon 3. plan buffer in je draaiboek…", tags=["praise"])
case("nl", JS, "14 uur op de been vandaag, maar die bruid die huilde bij de speech van haar opa 🥹 "
     "daarom doe ik dit werk", tags=["praise"])
case("en", pub("x", "@cousin_of_the_bride"), "Our caterer (not Lindewaerde, thankfully) gave half the "
     "table food poisoning at my cousin's wedding. Booking Smaakveld for ours, no risks", tags=["other-company"])
case("nl", EV, "Vacature: we zoeken een financieel administratief medewerker voor 32 uur! "
     "Kijk op lindewaerde.nl/werken-bij 💼", tags=["praise"])


# =========================================================================== profile, roles, severity

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


def severity_for(role, cats, validated_id):
    """Least severity a correct verdict has (CONTRACT section 4); highest finding wins."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id):
                s = "critical"
            else:
                s = "error"
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


# =========================================================================== building

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/trouwen/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/trouwen/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "forum":
        k = r.randint(100_000, 999_999)
        return f"forum-trouwforum-{k}", f"https://trouwforum.example/topic/{k}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        k = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{k}", f"https://{inst or 'mastodon.social'}/@{user}/{k}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugy" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "blog":
        k = r.randint(10, 400)
        return f"blog-{h}-{k}", f"https://{h}/{k}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    fx = Factory(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fx, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = meta.choice(["post", "post", "post", "reply", "comment", "repost"]) \
                if c["platform"] not in ("linkedin", "blog") else "post"
        if kind:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            account["display_name"] = c["name"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "lindewaerde"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checks

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,14}\d")
IBANISH = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
SECRETISH = re.compile(r"ghp_\w{36}|AKIA[A-Z2-7]{16}|xox[bp]-|sk_live_\w{20}|live_[A-Za-z0-9]{30}\b|"
                       r"SG\.[\w-]{22}\.|AIza[\w-]{35}|PRIVATE KEY|eyJ\w+\.eyJ|://[^\s:/@]+:[^\s@/]+@")
BAD_WORDS = ["kut", "k*t", "kanker", "tering", "klootzak", "debiel", "wijf", "sukkel", "zeikerd", "fuck",
             "f*ck", "idiot", "moron", "clown", "loser", "shit", "oplichter"]


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    return re.sub(r"[\u200b\u00ad]", "", t).casefold()


def check(lines, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_digits = {"0" + re.sub(r"\D", "", p)[2:] if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    for i in own_iban:
        if not iban_valid(i):
            errs.append(f"own IBAN {i} fails mod-97")
    embargo = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        where = f"line {n} ({p['id']})"
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{where}: duplicate id")
        ids.add((p["platform"], p["id"]))
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{where}: {f} missing")
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not in 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{where}: bad categories {cats}")
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{where}: IBAN invalid")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{where}: bad IBAN is valid")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: card invalid")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{where}: bad card valid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{where}: BSN invalid")
            if kind in ("NOT_BSN8", "NOT_BSN9", "NUM") and elfproef(raw):
                errs.append(f"{where}: look-alike passes 11-proof")
            if kind == "EAN13" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{where}: EAN")
            if kind in VALID_IDS and "leak.pii" not in cats:
                errs.append(f"{where}: valid identifier without leak.pii")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode())).rjust(6, "0") != raw[34:]:
                errs.append(f"{where}: ghp crc")
        # every checksum-valid number or IBAN must be an intended PII positive (or our own IBAN)
        for m in re.finditer(r"(?<![\w.])\d{8,9}(?!\w)", text):
            if elfproef(m.group(0)) and "leak.pii" not in cats:
                errs.append(f"{where}: stray 11-proof number {m.group(0)}")
        for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)", text):
            if luhn_valid(m.group(0)) and "leak.pii" not in cats:
                errs.append(f"{where}: stray Luhn number {m.group(0)}")
        for m in IBANISH.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v not in own_iban and "leak.pii" not in cats:
                errs.append(f"{where}: stray IBAN {v}")
        nt = norm(text)
        if not cats:
            for e in EMAIL.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign with e-mail {e}")
            for m in PHONE.finditer(IBANISH.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else d
                if len(d) == 10 and d not in own_digits:
                    errs.append(f"{where}: benign with phone {m.group(0)}")
            if SECRETISH.search(text) and "placeholder" not in r["tags"]:
                errs.append(f"{where}: benign with secret shape")
            for w in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(w), nt) and not (w == "kanker" and "mild-word" in r["tags"]):
                    errs.append(f"{where}: benign with word {w}")
        squashed = re.sub(r"(?<=\w) (?=\w\b)", "", nt)
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errs.append(f"{where}: embargo term {term} before until, unlabelled")
        for term in internal:
            if (re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in squashed) \
                    and "leak.confidential" not in cats:
                errs.append(f"{where}: internal term {term} unlabelled")
        want = severity_for(r["role"], cats, "leak.pii" in cats and any(k in VALID_IDS for k, _, _ in r["used"]))
        if ex["severity"] != want or (not cats and ex["severity"] != "none"):
            errs.append(f"{where}: severity {ex['severity']} != {want}")
    # near duplicates (word trigrams)
    grams = []
    for line in lines:
        w = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        grams.append({tuple(w[i:i + 3]) for i in range(len(w) - 2)})
    for i in range(len(grams)):
        for j in range(i + 1, len(grams)):
            a, b = grams[i], grams[j]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errs.append(f"lines {i + 1},{j + 1}: near-duplicate wording")
    return errs


def report(rows):
    n = len(rows)
    cat, lang, role, sev, plat, catlang, catrole = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
            catrole[(c, r["role"])] += 1
    print(f"cases {n}  benign {benign}  positive {n - benign}  multi-category {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  pub")
    for c in CATS:
        print(f"{c:24s} {cat[c]:5d} {catlang[(c, 'nl')]:4d} {catlang[(c, 'en')]:4d} "
              f"{catrole[(c, 'corporate')]:5d} {catrole[(c, 'employee')]:5d} {catrole[(c, 'public')]:4d}")
    print("languages", dict(lang), " roles", dict(role))
    print("severities", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
