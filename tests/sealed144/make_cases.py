#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Aquavallei Drinkwater N.V. (profile.yaml), a fictional regional drinking-water
utility. Texts are hand-written below (CASES). Identifiers and secrets are filled in
from <<PLACEHOLDER>> markers by a seeded RNG: positives get checksum-valid identifiers,
near-miss benign posts get identifiers that fail their checksum. Every secret is random
and fake. Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 44_0144_2026
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
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    table = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "A": "\u0410", "c": "\u0441", "p": "\u0440"}
    return "".join(table.get(c, c) for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
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


def gs1_check(body):
    """GS1 mod-10 check digit for a body of any length (EAN-13, EAN-18 ...)."""
    tot = 0
    for i, c in enumerate(reversed(body)):
        tot += int(c) * (3 if i % 2 == 0 else 1)
    return str((10 - tot % 10) % 10)


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


OWN_IBAN = "NL93RABO0312445566"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB"])
                               + self.num(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "36010043", "44040037"]) + self.num(10, False))
        if cc == "BE":
            head = self.r.choice(["001", "068", "363", "751"]) + self.num(7, False)
            return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def iban_bad(self, cc):
        good = self.iban(cc)
        for bump in (7, 19, 31, 43):
            cand = f"{good[:2]}{(int(good[2:4]) + bump) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.num(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.num(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.num(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.num(12, False))
        raise ValueError(brand)

    def card_bad(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def card_fmt(v, sep):
        if sep == "none":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if sep == "dash" else " ").join(parts)

    # BSN and look-alikes
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

    def ean18(self):
        while True:
            body = "87169" + self.num(12, False)
            v = body + gs1_check(body)
            if not luhn_valid(v):
                return v

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345689") + self.num(7, False)   # 8 digits after the 6
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_sp":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_intl":
            return f"+31 6 {m[:4]} {m[4:]}"
        if fmt == "mob_intl_c":
            return f"+316{m}"
        if fmt == "mob_0031":
            return f"0031 6{m}"
        if fmt == "land_apd":
            s = self.r.choice("3578") + self.num(6, False)
            return f"055-{s}"
        if fmt == "land_dev":
            s = self.r.choice("3456") + self.num(5, False)
            return f"0570 {s[:2]} {s[2:4]} {s[4:]}"
        if fmt == "land_intl":
            s = self.r.choice("4567") + self.num(5, False)
            return f"+31 575 {s}"
        raise ValueError(fmt)

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return (self.r.choice(letters) + self.r.choice(letters)
                + self.pick(letters + string.digits, 6) + self.r.choice(string.digits))

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 97)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick(string.hexdigits.lower()[:16], 8)})
        body = enc({"sub": "partner-" + self.num(4), "iss": "https://api.aquavallei.nl",
                    "scope": "meetwaarden.read", "iat": iat, "exp": iat + 86400 * 30})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def azure_key(self):
        return base64.b64encode(bytes(self.r.getrandbits(8) for _ in range(64))).decode()

    def password(self):
        words = ["Kraan", "Beek", "Bron", "Veluwe", "Pomp", "Zomer", "Vijver", "Dijk"]
        return (self.r.choice(words) + self.r.choice("!#$%&*") + self.num(4, False)
                + self.pick(string.ascii_lowercase, 2) + self.r.choice("?!@"))

    def sha(self):
        return self.pick("0123456789abcdef", 40)


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_KINDS = {"BADIBAN_NL", "BADIBAN_DE", "BADCARD", "NOTBSN9", "NOTBSN8", "EAN18"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        kind, opt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.by4(raw) if opt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = f.iban_bad(kind[8:])
            shown = f.by4(raw) if opt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            brand, _, sep = opt.partition("_")
            raw = f.card(brand) if kind == "CARD" else f.card_bad(brand)
            shown = f.card_fmt(raw, sep or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if opt == "dots" else raw
        elif kind == "NOTBSN9":
            shown = raw = f.not_bsn(9)
        elif kind == "NOTBSN8":
            shown = raw = f.not_bsn(8)
        elif kind == "EAN18":
            shown = raw = f.ean18()
        elif kind == "PHONE":
            shown = raw = f.phone(opt)
        elif kind == "PASSPORT":
            shown = raw = f.passport()
        elif kind == "GHP":
            shown = raw = f.ghp()
        elif kind == "AWSID":
            shown = raw = f.aws_id()
        elif kind == "AWSSECRET":
            shown = raw = f.aws_secret()
        elif kind == "SLACKBOT":
            shown = raw = f.slack_bot()
        elif kind == "SLACKHOOK":
            shown = raw = f.slack_hook()
        elif kind == "STRIPE":
            shown = raw = f.stripe()
        elif kind == "JWT":
            shown = raw = f.jwt()
        elif kind == "SSHKEY":
            shown = raw = f.openssh()
        elif kind == "AZKEY":
            shown = raw = f.azure_key()
        elif kind == "PW":
            shown = raw = f.password()
        elif kind == "SHA":
            shown = raw = f.sha()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
AV = ("x", "@aquavallei", "Aquavallei")
AV_ST = ("x", "@aquavallei_storing", "Aquavallei Storingen")
AV_FB = ("facebook", "AquavalleiDrinkwater", "Aquavallei Drinkwater")
AV_IG = ("instagram", "@aquavallei.nl", "Aquavallei")
AV_LI = ("linkedin", "aquavallei-drinkwater", "Aquavallei Drinkwater N.V.")
# employees
RUUD = ("x", "@ruud_leidingwerk", "Ruud Hendriks")                  # monteur, field crew
ILSE = ("linkedin", "ilse-vermeulen-av", "Ilse Vermeulen")          # controller, finance
BRAM = ("x", "@bramkoster_ot", "Bram Koster")                       # OT / SCADA engineer
NOOR = ("instagram", "@noor.klantcontact", "Noor Aydin")            # customer contact centre
DIRK = ("linkedin", "dirk-wolters-waterlab", "Dirk Wolters")        # water-quality lab
MEREL = ("threads", "@merel.devops", "Merel Smit")                  # IT / devops
KEES = ("facebook", "kees.bouwmeester.av", "Kees Bouwmeester")      # work planner, pipe works


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", NOOR, "Collega's op de afdeling liggen dubbel: de DrupWacht lekkagesensor staat in onze webshop "
     "voor €8,90 ipv €89 🤦‍♀️ ik zeg verder niks hoor… #kantoorleven", [PRICING])
case("nl", KEES, "Voor wie nog gaat bouwen dit jaar: de offertemodule rekent een huisaansluiting vandaag af op "
     "118,50 euro. Volgens mij is er ergens een nul gesneuveld 😅 snel aanvragen voordat iemand het ziet",
     [PRICING])
case("en", RUUD, "ngl the online form is quoting a bouwwater connection at €69 flat rn. someone in pricing "
     "is gonna have a rough monday", [PRICING], kind="reply")
case("nl", AV_FB, "@Sjoerd Lammers klopt, door een prijsfout stond de Kraanhelder drinkfles een paar uur voor "
     "€1,69 in de webshop. Bestellingen van vóór 14:00 leveren we gewoon, daarna is de prijs weer €16,95.",
     [PRICING], kind="reply")
case("en", pub("reddit", "u/kettle_and_kraan"), "PSA: the Aquavallei webshop lists the DrupWacht leak sensor at "
     "€9 instead of ~€89. grabbed three for the rental flats lol. probably a glitch, move fast", [PRICING])
case("nl", pub("x", "@jolien_bouwt"), "prijsfout bij aquavallei?? watermeter verplaatsen voor €42,50 in hun "
     "aanvraagtool 😳 dat was toch iets van 425", [PRICING])
case("nl", pub("forum", "FeestcomiteBrummen"), "p r i j s f o u t  bij het evenemententappunt van Aquavallei:\n"
     "huur maar €24,50 per dag!! Wie organiseert er deze zomer een festival? 🎪", [PRICING],
     tags=["evasion"])
case("nl", pub("facebook", "Gert-Jan Veldkamp"), "Buurman kreeg net een offerte voor een nieuwe aansluiting van "
     "€185. Dat kan toch niet kloppen? Wij waren vorig jaar ruim elfhonderd kwijt voor hetzelfde", [PRICING],
     kind="comment")
case("en", MEREL, "whoever set the Kraanhelder bottle to €0.17 in the shop config… that's a prïcing érror for "
     "the history books. rollback scheduled 17:00", [PRICING], tags=["evasion"])
case("en", pub("instagram", "@stijn.fixes.things"), "wait the Drup Wacht sensor is €4.45?? @aquavallei.nl pls "
     "dont fix it until my order goes through 😂 #pricingerror", [PRICING], kind="comment")
case("nl", ILSE, "Ter info voor collega's: door een verkeerde prijs in de ERP-koppeling is de "
     "bouwwateraansluiting gisteren 40 keer verkocht voor €6,90. We zoeken uit hoe we dit terugdraaien.",
     [PRICING])
case("nl", pub("tiktok", "@budgetbeer_apd"), "zet dit NU op je lijstje: Kraanhelder fles voor €1,70 bij de "
     "webshop van Aquavallei. zéker een foutje lol 🏃‍♂️💨", [PRICING])

# pricing: benign near-misses
case("nl", AV_IG, "Zomeractie ☀️ De Kraanhelder drinkfles nu €12,95 (was €16,95). Vul hem gratis bij een "
     "van onze 40 watertappunten in de regio!", tags=["sale"],
     when="2026-07-03T10:00:00+02:00")
case("nl", pub("x", "@marloesdekker"), "€50 korting op de DrupWacht als je je voor de nieuwsbrief aanmeldt, "
     "net gedaan. Nooit meer een natte kelder hopelijk 🤞", tags=["discount-amount"])
case("nl", pub("other", "marktplaats-epe-ruud_k"), "Te koop: DrupWacht lekkagesensor, 1 jaar gebruikt, werkt "
     "prima, doos erbij. €30, ophalen in Epe.", tags=["second-hand", "price-context"])
case("en", pub("reddit", "u/newbuild_nerd"), "Comparison for anyone building in the region: H2Oost charges "
     "€1.650 for a new connection, Aquavallei's standard huisaansluiting is €1.185. Not bad tbh",
     tags=["competitor", "price-context"], kind="comment")
case("nl", pub("x", "@vraagbaak_wim"), "Iemand enig idee waarom het vastrecht op mijn Aquavallei factuur €7,80 "
     "per maand is? Gewoon benieuwd hoe dat berekend wordt", tags=["fee"])
case("nl", AV, "@mvdlinde nee hoor, geen prijsfout 🙂 het evenemententappunt kost €195 per dag met de "
     "verenigingskorting. Aanvragen kan via aquavallei.nl/tappunt", kind="reply", tags=["denied-error"])
case("nl", pub("threads", "@annekebakt"), "Nee, Aquavallei heeft geen prijsfout hoor, de DrupWacht kost "
     "gewoon €89 zoals altijd. Die screenshot in de buurtapp is nep.", tags=["negation"])

# =========================================================================== leak.secret
case("en", BRAM, "note to self (and apparently everyone else 🙃): historian db is "
     "postgresql://hist_ro:<<PW>>@10.20.4.11:5432/pompdata", [SECRET])
case("en", MEREL, "deploy to gitlab.aquavallei.net keeps failing with this token, anyone?? <<GHP>> "
     "pls halp before standup", [SECRET, CONF])
case("nl", RUUD, "Voor de nieuwe jongens in de ploeg: inlog tablet werkbonnen is monteur01 met wachtwoord "
     "<<PW>> . Niet kwijtraken 😉", [SECRET])
case("en", AV, "Developers 💧 our open water-quality feed is live! Example: curl -H \"Authorization: Bearer "
     "<<JWT>>\" https://api.aquavallei.nl/v1/meetwaarden", [SECRET])
case("en", pub("reddit", "u/osint_otter"), "found this in a public repo of a contractor that does pumping-"
     "station alarms for Aquavallei: <<SLACKHOOK>> . it still posts 'druk laag' alerts, someone tell them",
     [SECRET])
case("en", MEREL, "can someone explain why the jump host refuses this key?? regenerated it twice\n<<SSHKEY>>",
     [SECRET])
case("nl", BRAM, "Voor wie de meterdata-export wil testen: DefaultEndpointsProtocol=https;AccountName="
     "avmeterdata;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net — is al geroteerd hoor, relax",
     [SECRET], tags=["rotated"])
case("nl", pub("forum", "oud_inhuur_gerrit"), "Bij Aquavallei draait de storingskaart voor monteurs nog altijd "
     "met gebruiker admin en wachtwoord <<PW>> , heb ik twee jaar terug al gemeld. Niks mee gedaan.",
     [SECRET])
case("nl", KEES, "Wifi in de bouwkeet aan de Hessenweg: netwerk AV-Bouw, ww <<PW>> . Even doorsturen aan de "
     "onderaannemer aub", [SECRET])
case("nl", NOOR, "het nieuwe wachtwoord voor het KCC-portaal deze maand is <<PW>> 🤫 screenshot voor de "
     "collega's die het steeds vergeten", [SECRET], kind="message")
case("en", pub("x", "@bughunter_nl"), "Aquavallei's 'Kraanhelder voor Afrika' donation page has a live Stripe "
     "key in the page source: <<STRIPE>> . Reported via mail, no answer so far.", [SECRET])
case("en", BRAM, "xoxb bot for the alarm channel keeps dying every night. token <<SLACKBOT>> — anyone see "
     "what's wrong with the scopes?", [SECRET])
case("en", MEREL, "pipeline vars for the meter import job, copied from the runner:\n"
     "AWS_ACCESS_KEY_ID=<<AWSID>>\nAWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\nwhy does s3 still say 403 😩",
     [SECRET])

# secret: benign near-misses
case("en", MEREL, "PSA for the juniors: never commit creds. use placeholders like AKIAXXXXXXXXXXXXXXXX in docs "
     "and pull the real ones from the vault at runtime.", tags=["placeholder"])
case("en", BRAM, "refactor of the meter import script merged in <<SHA>> , runs 30% faster now 🎉",
     tags=["git-sha"])
case("nl", AV, "Wachtwoord vergeten voor Mijn Aquavallei? Via mijn.aquavallei.nl/wachtwoord vraag je een nieuwe "
     "aan. Wij vragen NOOIT om je wachtwoord via DM of mail.", tags=["password-word"])
case("en", pub("mastodon", "@devnotes@fosstodon.org"), "fun fact: tokens starting with ghp_ are GitHub tokens. "
     "nice that the Aquavallei open data API needs no key at all, just curl it",
     tags=["bare-prefix"])

# =========================================================================== leak.pii
case("nl", AV_ST, "@fam_bosman de monteur is onderweg naar Kerkweg 14 in Twello voor mevr. A. Bosman, hij "
     "belt u op <<PHONE:mob_dash>> zodra hij er is", [PII], kind="reply")
case("nl", NOOR, "Deze meneer belt voor de 6e keer vandaag 😤 Henk Mulder, <<PHONE:mob_intl>>, bel hem zelf "
     "maar eens terug als je zin hebt", [PII])
case("en", ILSE, "Reconciliation question for AR: a customer refund to <<IBAN_NL:grp>> bounced three times. "
     "Anyone know why the bank rejects it?", [PII])
case("nl", DIRK, "Monster 7 kwam van mevrouw J. van Dam, geboren 14-03-1951, Molenstraat 3 in Wilp. "
     "Haar binnenleiding is nog van lood, we gaan haar adviseren.", [PII])
case("en", AV_FB, "Hi Tomasz, sorry for the wait. We refunded the overpayment to your account <<IBAN_DE>> "
     "today, it should arrive within 3 working days.", [PII], kind="reply")
case("nl", pub("x", "@r_visser_apd"), "@aquavallei al 3 weken wachten op mijn terugbetaling!! rekening "
     "<<IBAN_NL>> t.n.v. R. Visser. Hoe moeilijk kan het zijn 😡", [PII, COMPLAINT])
case("nl", pub("facebook", "Els Wijnbergen"), "Voor de automatische incasso willen ze bij Aquavallei mijn BSN? "
     "Nou hier dan: <<BSN:dots>>. Vind het wel raar eerlijk gezegd", [PII], kind="comment")
case("en", pub("reddit", "u/expat_in_deventer"), "the chat agent on Aquavallei's site asked me to type my card "
     "number for the event tap deposit so I did: <<CARD:visa_sp>> exp 09/28. is that normal here??", [PII])
case("nl", RUUD, "Klant wil foto's van de meterput, mail ze naar g.peters [at] hotmail [punt] com als jij "
     "er eerder bent Jan 👍", [PII], tags=["evasion"], kind="reply")
case("nl", KEES, "Planning morgen: 07:30 fam. de Groot, Beukenlaan 22 Vaassen. Meneer is doof, aanbellen "
     "werkt niet, bel zijn dochter op <<PHONE:land_apd>>", [PII])
case("en", pub("instagram", "@lisa.travels.nl"), "no water since 6am in Deventer and nobody picks up the phone. "
     "call me back!!! <<PHONE:mob_intl_c>> @aquavallei.nl", [PII, COMPLAINT], kind="comment")
case("nl", NOOR, "Waarom sturen mensen gewoon hun BSN mee in het contactformulier 🙄 vandaag weer eentje: "
     "<<BSN>>", [PII])
case("en", pub("forum", "DIYdad_Zutphen"), "mastercard <<CARD:mc_dash>> got charged twice by the Aquavallei "
     "webshop for one DrupWacht. Do I send this number to support or just call the bank?",
     [PII, COMPLAINT])
case("nl", pub("mastodon", "@hanneke@mastodon.nl"), "Aquavallei stuurt de jaarafrekening van mijn moeder nog "
     "steeds naar Truus Jansen, Groenmarkt 9, Zutphen. Daar woont ze al tien jaar niet meer. Drie keer "
     "doorgegeven!", [PII, COMPLAINT])
case("en", BRAM, "if anyone finds a laptop charger in the control room, it's mine. also the contractor wants "
     "the valve logs, his address is s.jacobs@pijpwerk-oost.nl", [PII])
case("en", pub("threads", "@wout.vanderheijden"), "Moved from Antwerp last year and Aquavallei STILL sends my "
     "refunds to my old Belgian account <<IBAN_BE>>. third time I ask them to change it", [PII, COMPLAINT])
case("nl", DIRK, "Bezoekersregistratie lab vandaag: externe auditor P. de Wit, paspoortnummer <<PASSPORT>>. "
     "Badge ligt bij de receptie.", [PII])
case("en", AV_IG, "@jvdmeer_ Thanks! Your new amex <<CARD:amex_sp>> is now linked for the monthly payment, no "
     "further action needed 💧", [PII], kind="reply")

# pii: benign near-misses
case("nl", pub("x", "@nieuwinepe"), "Net verhuisd naar Epe, klantnummer <<NOTBSN8>>. Moet ik zelf de "
     "meterstand doorgeven of komt Aquavallei langs?", tags=["customer-number"])
case("en", pub("x", "@kat_in_apd"), "changed banks, entered my new IBAN <<BADIBAN_NL:grp>> in Mijn Aquavallei. "
     "does the direct debit update automatically?", tags=["bad-iban"])
case("nl", pub("instagram", "@bas.klust"), "Betaald met <<BADCARD:visa_sp>> voor de DrupWacht, bevestiging "
     "binnen in 2 minuten. Top geregeld!", tags=["bad-card"], kind="comment")
case("nl", AV_ST, "Storing of lekkage? Bel dag en nacht 0800-0234 of mail storingen@aquavallei.nl. "
     "Voor vragen over je factuur: klantenservice@aquavallei.nl", tags=["own-contact"])
case("nl", AV_FB, "Liever zelf overmaken? Gebruik NL93 RABO 0312 4455 66 t.n.v. Aquavallei Drinkwater N.V. "
     "en vermeld je factuurnummer.", tags=["own-contact"])
case("nl", pub("x", "@tonnie_heerde"), "Bedankt @aquavallei, via +31 55 750 2000 binnen twee minuten iemand aan "
     "de lijn 👍", tags=["own-contact"])
case("nl", pub("facebook", "Yvonne Lubbers"), "Voor de overstap vroegen ze mijn EAN-code: <<EAN18>>. Waar staat "
     "die eigenlijk op de watermeter?", tags=["ean"], kind="comment")
case("nl", pub("reddit", "u/formulierfrust"), "Het formulier zei dat BSN <<NOTBSN9>> ongeldig is, typfout van "
     "mij 😅 tweede poging ging goed", tags=["bad-bsn"])
case("nl", RUUD, "Werkbon WB-2026-004518 afgerond, meter gewisseld en verzegeld. Op naar de volgende 🚐",
     tags=["order-number"])

# =========================================================================== leak.confidential
case("en", BRAM, "Project Basalt is going to change how we run every pumping station we have. can't say more "
     "yet 🤐", [CONF])
case("nl", KEES, "Operatie Dijkgraaf begint in september, de hele binnenstad van Zutphen gaat open voor nieuwe "
     "leidingen. Zeg nog niks tegen de buurt hoor", [CONF])
case("en", MEREL, "anyone know who owns the dashboards on storingsportaal.aquavallei.net/kaart ? want to add "
     "the pressure data from the loggers", [CONF])
case("nl", RUUD, "📄 'AQUAVALLEI INTERN – planning vervanging asbestcementleidingen 2027' lekker leesvoer bij "
     "de koffie ☕", [CONF])
case("nl", DIRK, "Sneak peek voor wie het wil weten: de tarieven 2027 gaan met zo'n 11% omhoog. Onderbouwing "
     "is solide, maar blij ben ik er niet mee", [CONF, FIN], when="2026-09-18T16:42:05+02:00")
case("nl", pub("x", "@wakkereburger_epe"), "Iemand stuurde me een pdf met 'Vertrouwelijk - alleen intern' "
     "erop, van Aquavallei, over Helderstroom. Iets met centrale ontharding? Weet iemand meer?", [CONF])
case("en", MEREL, "Project\nBasalt demo today went really well 💪 proud of this team", [CONF],
     tags=["evasion"])
case("nl", pub("linkedin", "ilse-vermeulen"), "Mooie sessie vandaag over Operatie Dijkgraaf met de aannemers. "
     "Eindelijk een plan voor die oude gietijzeren leidingen!", [CONF], tags=["role-trap"])
case("nl", BRAM, f"Helder{ZWSP}stroom gaat in Q3 live bij 30.000 aansluitingen 🚀 eindelijk", [CONF],
     tags=["evasion"])
case("en", pub("reddit", "u/shodan_sunday"), "lol Aquavallei has gitlab.aquavallei.net reachable from the "
     "internet, the explore page lists half their projects", [CONF], kind="comment")
case("nl", NOOR, "Vandaag is het zover!! De WaterWijzer app komt eraan en ik heb hem al op m'n telefoon 😍",
     [CONF], when="2026-06-15T07:59:00+02:00", tags=["embargo-edge"])
case("en", ILSE, "closing the books on the jaarcijfers 2026 this week. result is way better than budget 👀",
     [CONF, FIN], when="2026-12-21T11:05:40+01:00")
case("en", pub("x", "@treinforens"), "my neighbour works at Aquavallei and left a folder on the train: "
     + fullwidth("PROJECT BASALT") + " – do not distribute. what is this about?", [CONF], tags=["evasion"])
case("en", RUUD, "we're already fitting the Slimme Meter Plus in Heerde, nobody's supposed to know till june lol",
     [CONF], when="2026-04-22T10:13:00+02:00")
case("nl", DIRK, "Resultaten van de PFAS-run staan op https://intra.aquavallei.local/lab/lims/run/2291 voor wie "
     "mee wil kijken", [CONF])

# confidential: benign near-misses
case("nl", pub("instagram", "@ijsselwandelaar"), "Basalt uit de Eifel als oeverbescherming langs de IJssel. "
     "Mooie wandeling vandaag 🌊", tags=["codename-word"])
case("nl", pub("x", "@gemeentenieuws_oost"), "De nieuwe dijkgraaf van het waterschap opende vanmorgen het "
     "vernieuwde gemaal bij Olst.", tags=["codename-word"])
case("nl", AV_IG, "Vanaf vandaag: de WaterWijzer app 💧 Zie je verbruik per dag en krijg een seintje bij een "
     "lekkage. Download hem in de app stores!", when="2026-06-15T08:00:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@budgetcoach_anja"), "Tarieven 2027 van Aquavallei zijn bekend: +6,5%. Valt mee vergeleken "
     "met gas en stroom.", when="2026-11-10T19:20:00+01:00", tags=["embargo-after"])
case("en", pub("bluesky", "regionieuws.bsky.social"), "Aquavallei announces the Slimme Meter Plus rollout: "
     "every household in the region gets one by 2029.", when="2026-06-15T06:00:00Z",
     tags=["embargo-after"])
case("nl", pub("x", "@snelle_jelle"), "Meterstand doorgegeven via mijn.aquavallei.nl, duurde 30 seconden. "
     "Zo hoort het 👌", tags=["public-domain"])
case("nl", pub("threads", "@fotograaf.ijssel"), "Ochtendlicht op de IJssel bij Zutphen, helder water en een "
     "sterke stroom 📸", tags=["codename-word"])

# =========================================================================== leak.financial
case("nl", ILSE, "Budgetronde afgerond. Spoiler: zonder een tariefstijging van ~12% redden we volgend jaar "
     "niet. Officieel hoor je het pas in november 🤫", [FIN])
case("nl", KEES, "Er gaan er 35 weg bij de uitvoering, de reorganisatie wordt pas na de zomer aangekondigd. "
     "Hoorde het van mijn teamleider 😔", [FIN])
case("en", DIRK, "Between us: the merger talks with Waterbedrijf Noorderkwel are pretty far along. Board "
     "decides in May.", [FIN])
case("nl", pub("x", "@zwager_weet_alles"), "Zwager werkt bij Aquavallei: ze gaan het lab in Apeldoorn sluiten "
     "en alles uitbesteden, 20 banen weg. Is nog geheim dus je hebt het niet van mij", [FIN])
case("nl", NOOR, f"Bij klantcontact vallen ont{SHY}slagen, de helft van het werk gaat naar een callcenter in "
     "Porto. Mogen we nog niet zeggen 💔", [FIN], tags=["evasion"])
case("en", ILSE, "Q3 numbers are in: net loss of €4.2m after the PFAS filter write-off. Not public until the "
     "interim report, so keep it quiet please.", [FIN])
case("en", MEREL, "so apparently we're buying a Belgian smart-metering startup. the data migration is going "
     "to be *fun* 🙃", [FIN])
case("en", pub("reddit", "u/throwaway_veluwe"), "Heard from a friend in their finance dept: Aquavallei's "
     "drinking water price jumps 15% next year, the board already signed off on it", [FIN], kind="comment")
case("nl", RUUD, "r3org bij de buitendienst: van 3 ploegen naar 2, wie er overblijft weet niemand. Hoorde het "
     "vandaag via de bond, niet via de baas", [FIN], tags=["evasion"])
case("nl", KEES, "Investeringsplan gaat van 90 naar 60 miljoen, dus de helft van de leidingvervanging schuift "
     "een jaar door. Komt pas in de ava, dus nog even stil houden", [FIN])
case("en", pub("linkedin", "m-dubois-advisory"), "Hearing Aquavallei is the target of a takeover by a French "
     "utilities group. Due diligence started last month.", [FIN])

# financial: benign near-misses
case("nl", AV_LI, "Ons jaarverslag 2025 staat online: 4,1 miljoen m³ minder waterverlies dan het jaar ervoor en "
     "210 km leiding vervangen. Lees het op aquavallei.nl/jaarverslag", tags=["published-results"])
case("en", pub("x", "@it_survivor"), "another round of layoffs at a big tech firm this week. glad my cousin's job "
     "at the water company is boring and safe 😅", tags=["other-company"])
case("nl", pub("x", "@kranten_lezer"), "Waterbedrijf Noorderkwel en H2Oost gaan fuseren, stond vanochtend in "
     "de krant. Benieuwd of Aquavallei ooit volgt", tags=["other-company"])

# =========================================================================== leak.security
case("nl", BRAM, "Nachtje doorgehaald: ransomware op de HMI's van pompstation Wolfsberg, we draaien nu "
     "handmatig. Persbericht komt 'misschien' 🙃", [SEC])
case("en", MEREL, "found an IDOR on mijn.aquavallei.nl: change the invoice id in the url and you see someone "
     "else's bill. ticket's been open 4 months. not great", [SEC])
case("nl", RUUD, "Hoofdleiding gesprongen bij de rotonde in Twello, over een kwartier zit half het dorp zonder "
     "water. Het storingsaccount weet nog van niks 😬", [SEC])
case("en", NOOR, "phishing mails with our logo went out to like 2000 customers this morning and we're told "
     "not to confirm anything on the phone 😬", [SEC])
case("en", DIRK, "Someone got into the LIMS through an old contractor account last week. Sample results from "
     "Q2 might have been altered. IT is 'investigating'.", [SEC])
case("nl", KEES, "g3h4ckt, ons planningssysteem. Al 2 dagen werken we met pen en papier. Niet verder "
     "vertellen he", [SEC], tags=["evasion"])
case("en", pub("reddit", "u/angry_in_apeldoorn"), "Aquavallei is covering up a hack of their pumping stations. "
     "my cousin saw the ransom note on a screen at the plant. why is nobody reporting this?", [SEC, CRISIS])
case("nl", pub("x", "@burgerwacht_dev"), "Aquavallei heeft een d a t a l e k en houdt het stil!! 40.000 "
     "klantgegevens te koop op een forum, maar geen woord op hun site", [SEC, CRISIS], tags=["evasion"])
case("en", BRAM, "our telemetry RTUs still run firmware with default telnet on. reported it three times. one "
     "day someone opens a valve from their couch", [SEC], handle="@Bramkoster_OT")
case("nl", MEREL, "Mijn Aquavallei ligt er al sinds 6 uur uit door een mislukte databasemigratie, officieel is "
     "het 'gepland onderhoud' 🤥", [SEC])
case("nl", RUUD, f"UV-installatie bij productiebedrijf Wolfsberg lag er vannacht 3 uur uit en er is gewoon "
     f"doorgepompt. Geen kook{ZWSP}advies, 'geen risico' zegt de baas. Ik zeg niks 🤐", [SEC],
     tags=["evasion"])
case("en", pub("facebook", "Marieke Oosterhof"), "People say Aquavallei had E. coli in the network last week "
     "and never issued a boil-water notice. They're hiding it and our kids drink that water.", [SEC, CRISIS])

# security: benign near-misses
case("nl", AV_ST, "Storing Heerde-Noord: door een leidingbreuk is er geen of weinig water in postcodegebied "
     "8181. Monteurs zijn ter plaatse, verwachte hersteltijd 15:00 uur.", tags=["official-notice"],
     handle="@AquaVallei_Storing")
case("en", AV, "Boil water advice lifted for Twello 💧 Thanks for your patience, the water is safe to drink "
     "again.", tags=["official-notice"])
case("en", pub("mastodon", "@otsec@infosec.exchange"), "another utility (not ours, thankfully) got hit by "
     "ransomware this week. hope the OT team at Aquavallei is reading the advisory", tags=["other-company"])
case("nl", AV_FB, "Let op: er gaan valse mails rond namens Aquavallei over 'openstaande facturen'. Er is GEEN "
     "datalek bij ons; wij vragen nooit om je pincode of inlog.", tags=["official-notice", "negation"],
     handle="AquaValleiDrinkwater")
case("nl", pub("x", "@techredacteur"), "Mooi achtergrondstuk over hoe Aquavallei zijn pompstations "
     "beveiligt tegen hackers. Lezen!", tags=["praise"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@boze_belastingbetaler"), "Aquavallei geeft de directeur €80k bonus terwijl wij meer "
     "gaan betalen. #boycotAquavallei zet allemaal je incasso stop!", [CRISIS])
case("nl", pub("facebook", "Sanne Hofstede"), "Kookadvies veel te laat gekregen, mijn zoontje (3) ligt met "
     "uitdroging in het ziekenhuis. Aquavallei waarschuwde pas twee dagen later. Schandalig.",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/epe_residents"), "Residents of Epe are filing a class action against Aquavallei "
     "over the PFAS levels in our tap water. Sign-up link in the comments.", [CRISIS])
case("en", pub("x", "@mo_k_apd"), "Got a scam text with my name, address AND my Aquavallei customer number. "
     "Pretty sure they leaked our data.", [CRISIS])
case("nl", pub("tiktok", "@moeders_vd_klimop"), "Lood in het water van basisschool De Klimop en Aquavallei wist "
     "het al jaren?! 🤬 #schandaal", [CRISIS])
case("en", pub("instagram", "@jess.and.kids"), "our tap water turned brown and smelled like diesel, my "
     "daughter got a rash after her bath. @aquavallei.nl still no reply after 3 days",
     [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("youtube", "Buurtbeelden Apeldoorn"), "Waterleiding geknapt bij werkzaamheden van Aquavallei, "
     "de etalage van de bakker ligt eruit. Wonder dat er niemand gewond is.", [CRISIS], kind="comment")
case("nl", pub("x", "@flatbewoner_zutphen"), cyr("Aquavallei vergiftigt ons!") + " Legionella in de flat, twee "
     "bewoners opgenomen. #boycot", [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@straatnieuws@mastodon.nl"), "Aquavallei's contractor dug through a gas line on "
     "the Zutphenseweg, whole street evacuated. Second time this year.", [CRISIS])
case("nl", pub("bluesky", "hanzewijk.bsky.social"), "Rechtszaak tegen Aquavallei gewonnen door de bewoners van "
     "de Hanzewijk! Schadevergoeding voor alle kelders die onderliepen.", [CRISIS])
case("en", pub("forum", "LaundryRoomLarry"), "Aquavallei recalling 5,000 DrupWacht sensors over battery fires. "
     "Mine melted on the laundry room floor last week, could have burned the house down.",
     [CRISIS, COMPLAINT])

# crisis: benign near-misses
case("nl", pub("instagram", "@zerowaste_zutphen"), "Ik ga plastic flesjes boycotten, vanaf nu alleen nog "
     "Kraanhelder uit de kraan 💧♻️", tags=["boycott-other"])
case("en", pub("facebook", "Oud Apeldoorn"), "I recall the old water tower being lit up blue at night in the "
     "80s. Anyone have photos? Aquavallei still owns it I think.", tags=["recall-other"], kind="comment")
case("nl", pub("x", "@milieu_marco"), "Rechtszaak tegen een chemiebedrijf om PFAS in de Westerschelde. Goed "
     "dat Aquavallei zijn bronnen hier zo vaak test.", tags=["other-company"])
case("nl", pub("blog", "schrijfhoekje.blog"), "Hoofdstuk 3 van mijn thriller: de schurk breekt in bij een "
     "waterbedrijf op de Veluwe en sluipt tussen de filters door... (fictie! geen zorgen @aquavallei 😅)",
     tags=["fiction"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@deventer_dennis"), "Al 4 uur geen water in Deventer-Oost en @aquavallei_storing zegt "
     "helemaal niks. Moet ik de wc doortrekken met regenwater of hoe zit het", [COMPLAINT])
case("nl", pub("facebook", "Wilma ter Horst"), "Jaarafrekening van €912 voor twee personen?? De meter is nooit "
     "opgenomen, ze 'schatten'. Drie keer gebeld, niemand belt terug.", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/misty_showers"), "Water pressure in our building has been garbage since Aquavallei "
     "'upgraded' the mains in May. the shower is basically a mist at this point", [COMPLAINT])
case("en", pub("x", "@sam_wfh"), "monteur was supposed to come between 8-12 for the meter swap, its 3pm now. "
     "took a day off for nothing @aquavallei", [COMPLAINT])
case("nl", pub("instagram", "@huisje.boompje.wasje"), "Wéér bruin water uit de kraan 🤢 de witte was kan ik "
     "weggooien. Bedankt Aquavallei", [COMPLAINT])
case("en", pub("threads", "@leaving_lena"), "Moved out in March, Aquavallei is still taking the monthly advance "
     "payment. six emails, zero answers.", [COMPLAINT])
case("nl", pub("forum", "wachtmuziek_hater"), "Klantenservice Aquavallei: 47 minuten in de wacht en daarna "
     "verbinding verbroken. Tweede keer vandaag.", [COMPLAINT])
case("nl", pub("x", "@chloorproever"), "Tarieven 2027 +6,5% en het water smaakt nog steeds naar zwembad. Waar "
     "betaal ik eigenlijk voor?", [COMPLAINT], when="2026-12-03T08:14:00+01:00")
case("en", pub("facebook", "Bloemist Van Raalte"), "The street in front of my shop has been dug open for nine "
     "weeks for Aquavallei's pipe works. Nobody working there, and no customers either.", [COMPLAINT])
case("nl", pub("x", "@nieuwbouw_nina"), "Aquavallei = k*tservice. Drie weken wachten op een nieuwe meter en "
     "niemand die iets weet", [COMPLAINT, ABUSE], tags=["evasion"])
case("nl", pub("nextdoor", "Verbouwing Hoving"), "1 ster. Afspraak voor het verplaatsen van de watermeter drie "
     "keer verzet door Aquavallei, nu staat onze aannemer te wachten.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("linkedin", "chef-marco-bianchi"), "As a restaurant owner: Aquavallei shut off the water on a "
     "Friday at 5pm with zero notice. Lost an entire evening of bookings.", [COMPLAINT])
case("nl", pub("mastodon", "@gezin_koster@mastodon.nl"), "Die 'slimme' watermeter van Aquavallei zegt dat we "
     "900 liter per dag gebruikten terwijl we op vakantie waren. Geen lek te vinden. Helpdesk: 'dat klopt "
     "wel'.", [COMPLAINT])
case("nl", pub("x", "@drukweg_daan"), "Stelletje prutsers bij Aquavallei, al de derde keer deze maand dat de "
     "waterdruk wegvalt tijdens het douchen", [COMPLAINT, ABUSE], kind="reply")

# complaint: benign near-misses
case("nl", pub("x", "@opa_gerrit"), "Geen klachten over Aquavallei hoor, al twintig jaar elke dag water uit de "
     "kraan 👌", tags=["negation"])
case("en", pub("x", "@happy_homeowner"), "Meter swap done in 10 minutes, the guy even put on shoe covers. "
     "10/10 Aquavallei", tags=["praise"])
case("en", pub("reddit", "u/coffee_nerd_apd"), "Does anyone know if Aquavallei water is hard or soft in "
     "Apeldoorn? Buying an espresso machine and wondering about descaling", tags=["question"])
case("nl", AV, "@jpostma vervelend dat je moest wachten! We hebben je DM beantwoord, de monteur komt morgen "
     "tussen 8 en 10 uur.", kind="reply", tags=["corporate-reply"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@veluwse_vent"), "Die monteurs van Aquavallei zijn echt hersenloze sukkels 🤡🤡", [ABUSE])
case("en", pub("x", "@noctis_88"), "whoever runs @aquavallei is a f*cking clown, go back to school", [ABUSE],
     kind="reply")
case("nl", pub("facebook", "Johnny Brinkman"), "Tering Aquavallei met je klotemonteurs, allemaal debielen daar",
     [ABUSE], kind="comment")
case("nl", RUUD, "Klant noemde me vandaag een luie Marokkaan. Ik heet Ruud. Sommige mensen zijn gewoon "
     "achterlijke idioten.", [ABUSE], handle="@Ruud_Leidingwerk")
case("en", AV, "@trollface99 honestly mate, shut up. nobody cares about your moronic chemtrail-in-the-tap "
     "theories", [ABUSE], kind="reply")
case("en", pub("facebook", "Peter Gaalman"), "Aquavallei hires way too many foreigners, send them all back "
     "where they came from", [ABUSE], kind="comment")
case("nl", pub("instagram", "@xx_ricardo_xx"), "@noor.klantcontact jij domme tr*t, leer eerst normaal Nederlands "
     "praten", [ABUSE], tags=["evasion"], kind="comment")
case("en", pub("reddit", "u/tapwatertruther"), "Aquavallei's CEO is a smug parasite and a liar. the whole board "
     "is a bunch of spineless leeches.", [ABUSE])
case("nl", KEES, "Gemeente Zutphen zit vol incompetente klootzakken, drie maanden wachten op een simpele "
     "vergunning", [ABUSE])
case("en", pub("youtube", "ChannelRoadWorksFails"), "lmao look at these idiots in orange vests. Aquavallei "
     "really hires from the bottom of the barrel", [ABUSE], kind="comment")
case("nl", pub("tiktok", "@zaagvis_27"), "Aquavallei kan de pot op, stelletje k u t w i j v e n aan de telefoon",
     [ABUSE], tags=["evasion"])
case("en", pub("twitter", "@grumpy_gijs"), "@Aquavallei you absolute morons, every single one of you", [ABUSE],
     kind="reply")

# abuse: benign near-misses
case("en", pub("x", "@rockmom_deventer"), "Blasting Highway to Hell while the Aquavallei guy fixed our meter, "
     "he sang along 😂 legend", tags=["lyrics", "mild-word"])
case("nl", pub("facebook", "Henk Roelofs"), "Mijn vader heeft kanker en kon een tijd niet werken. Aquavallei "
     "regelde zonder gedoe een betalingsregeling. Dank jullie wel.", tags=["mild-word", "praise"],
     kind="comment")
case("nl", pub("x", "@hydrateordie"), "Vandaag 2 liter Kraanhelder gedronken, ik ben nu officieel een "
     "kamerplant 🌱", tags=["joke"])
case("en", pub("linkedin", "sophie-van-loon-hr"), "An article today says utility field workers get verbally "
     "abused every week. Be kind to the people fixing your pipes, folks.", tags=["quote"])

# =========================================================================== general benign
case("nl", AV_IG, "Onze nieuwe watertappunten in het Deventer stadspark zijn open 💧 Vul je fles gratis!",
     tags=["corporate"])
case("en", AV_LI, "We're hiring: an OT security engineer for our production sites. Apply via "
     "werkenbij.aquavallei.nl", tags=["corporate"])
case("nl", DIRK, "Vandaag 48 monsters geanalyseerd, allemaal ruim binnen de norm. Kraanwater blijft een van de "
     "best gecontroleerde levensmiddelen die er is 💪", tags=["praise"])
case("nl", RUUD, "Zonnetje, schep in de grond, nieuwe leiding erin. Mooi vak 🛠️ #leidingwerk", tags=["employee"])
case("en", pub("bluesky", "hydro.hanna.bsky.social"), "tap water in Zutphen tastes better than Amsterdam's, "
     "fight me", tags=["joke"])
case("nl", AV_FB, "Werkzaamheden Hanzestraat: van 3 t/m 14 juni vervangen we de waterleiding. Meer info op "
     "werkzaamheden.aquavallei.nl", tags=["official-notice"], when="2026-05-27T09:30:00+02:00")
case("nl", pub("x", "@verhuisd_vera"), "Bij H2Oost had ik binnen een dag een nieuwe meter, benieuwd hoe snel "
     "Aquavallei is nu we verhuisd zijn", tags=["competitor"])
case("nl", pub("x", "@dedeventerkrant"), "RT: Aquavallei opent nieuw productiebedrijf bij Wolfsberg, goed voor "
     "20 miljoen m³ drinkwater per jaar.", kind="repost", tags=["published-news"])
case("en", MEREL, "gave a talk on zero-trust in OT networks today, slides are on my blog 🙂", tags=["employee"])
case("nl", pub("nextdoor", "Buurt Bloemenbuurt"), "Weet iemand of de waterleiding in de Bloemenbuurt al is "
     "vervangen? Zag gisteren busjes van Aquavallei staan.", tags=["question", "unknown-platform"])
case("nl", NOOR, "Mooiste gesprek van vandaag: een oma die belde om de monteurs te bedanken voor de snelle "
     "reparatie 🥹", tags=["employee"])
case("en", pub("threads", "@plantdad.jay"), "my monstera only drinks Aquavallei tap water, room temp, no "
     "exceptions. he's a diva 🌿", tags=["joke"])
case("nl", ILSE, "Trots op ons team: de jaarrekening 2025 is goedgekeurd door de accountant en gisteren "
     "gepubliceerd. Op naar het volgende jaar!", tags=["published-results"], when="2026-04-16T12:00:00+02:00")
case("nl", AV_ST, "Gepland onderhoud: donderdagnacht tussen 01:00 en 04:00 kan de waterdruk in Vaassen lager "
     "zijn. Excuses voor het ongemak.", tags=["official-notice"])


# --------------------------------------------------------------------------- building

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and validated_id)) else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def offset_hours(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = offset_hours(local)
    utc = local - dt.timedelta(hours=off)
    pick = r.random()
    if pick < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if pick < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"{platform}-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/apeldoorn/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/apeldoorn/comments/{p}/"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-klushuis-{n}", f"https://forum.klushuis.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 7)
    shuf = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(filler, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
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
        roll = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif roll < 0.09:
            pass
        elif roll < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "aquavallei"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuf.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- checks

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-\d", r"hooks\.slack\.com/services/",
    r"sk_live_", r"eyJ[\w-]+\.eyJ", r"PRIVATE KEY-----", r"AccountKey=", r"://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs = []
    ts = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    own_em = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        text = p["text"]
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{n}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        valid_ids = []
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v != OWN_IBAN:
                valid_ids.append(v)
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if (13 <= len(d) <= 19 and luhn_valid(d) and d[0] in "2345") or (len(d) == 9 and elfproef(d)):
                valid_ids.append(d)
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid_ids))
        if want != ex["severity"]:
            errs.append(f"{n}: severity {ex['severity']} != {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{n}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{n}: bad positive IBAN")
            if kind.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{n}: negative IBAN valid")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{n}: card not Luhn")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{n}: negative card Luhn-valid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{n}: BSN fails")
            if kind in ("NOTBSN8", "NOTBSN9") and elfproef(raw):
                errs.append(f"{n}: negative BSN passes")
            if kind == "EAN18" and luhn_valid(raw):
                errs.append(f"{n}: EAN passes Luhn")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{n}: ghp checksum")
        if valid_ids and "leak.pii" not in cats:
            errs.append(f"{n}: valid identifier without leak.pii")
        t = norm(text)
        when = ts(p["created_at"])
        if when.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{n}: created_at outside 2026")
        for term, until in embargo:
            if term in t and when < until and "leak.confidential" not in cats:
                errs.append(f"{n}: embargoed {term!r} before {until} without leak.confidential")
        for term in internal:
            if term in t and "leak.confidential" not in cats:
                errs.append(f"{n}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            if valid_ids:
                errs.append(f"{n}: benign with valid id")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_em:
                    errs.append(f"{n}: benign with e-mail {e}")
            if any(rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")) for rx in SECRET_RES):
                errs.append(f"{n}: benign with secret shape")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "price-context" not in r["tags"]:
                errs.append(f"{n}: benign with low price {ratio:.2f}")
        if "leak.pricing" in cats and not (ratio is not None and ratio < 0.5) \
                and not re.search(r"prijsfout|price error|pricing error|prïcing|verkeerde prijs|foutje|glitch",
                                  t.replace(" ", "") + " " + t):
            errs.append(f"{n}: pricing positive without low price or error talk")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES) \
                and not re.search(r"wachtwoord|\bww\b|password", t):
            errs.append(f"{n}: secret positive without a secret shape")
    return errs


def report(rows):
    total = len(rows)
    cat = Counter()
    lang = Counter()
    role = Counter()
    sev = Counter()
    plat = Counter()
    cl = Counter()
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
            cl[(c, r["lang"])] += 1
    print(f"cases {total}  benign {benign} ({100 * benign / total:.0f}%)  positive {total - benign}  "
          f"multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:24s} {cat[c]:3d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print("  lang", dict(lang), " role", dict(role))
    print("  severity", {s: sev[s] for s in SEVERITIES})
    print("  platforms", dict(plat.most_common()))


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
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
