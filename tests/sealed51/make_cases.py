#!/usr/bin/env python3
"""Deterministic generator for the sealed51 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every line and print counts

Company: the fictional "Veldkamp Tuincentra B.V." (profile.yaml), a Dutch chain of
garden centres with a webshop, a pet corner, the Groenpas loyalty card and home
delivery of large items.

All post texts are hand written in the CASES list below. Identifiers and secrets are
filled in from placeholders like <<IBAN_NL>> by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); hard negatives get look-alikes that FAIL their checksum. Secrets
are random and fake but shaped like the real thing (GitHub tokens carry a correct
CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
using the account role from profile.yaml (platform:handle, case-insensitive), the
categories, and whether a checksum-validated identifier is in the text.
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

SEED = 51_2026_0607
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR_A = "\u0430"  # Cyrillic small a, looks like Latin a
CYR_E = "\u0435"  # Cyrillic small e
CYR_O = "\u043e"  # Cyrillic small o


def fullwidth(s):
    out = []
    for ch in s:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_build(country, bban):
    r = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{check:02d}{bban}"


def luhn_valid(num):
    d = re.sub(r"\D", "", num)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError(prefix)


def elfproef(num):
    d = re.sub(r"\D", "", num)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


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


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded values for placeholders
# ---------------------------------------------------------------------------

OWN_IBAN = "NL66RABO0312445567"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
            v = iban_build("NL", bank + self.digits(10))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["001", "063", "068", "310", "363", "734", "979"]) + self.digits(7, lead=False)
        return iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def iban_de(self):
        return iban_build("DE", self.r.choice(["10010010", "20070024", "37040044", "50070010"]) + self.digits(10))

    def broken_iban(self, good):
        for step in (7, 19, 31, 43, 61):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.digits(14, lead=False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.digits(13, lead=False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.digits(11, lead=False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.digits(12, lead=False))
        raise ValueError(brand)

    def broken_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    # BSN and numbers that must not look valid
    def bsn(self):
        while True:
            s = self.digits(9)
            if elfproef(s):
                return s

    def plain_number(self, n):
        while True:
            s = self.digits(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10, lead=False)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full) and not elfproef(full):
                return full

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7, lead=False)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_sp": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_intl_c": f"+316{d8}",
                "mob_0031": f"0031 6 {d8[:2]}{d8[2:5]} {d8[5:]}",
                "mob_paren": f"+31 (0)6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            }[fmt]
        if fmt == "be_mob":
            return f"+32 4{self.r.choice('5789')}{self.digits(1, lead=False)} {self.digits(2, lead=False)} " \
                   f"{self.digits(2, lead=False)} {self.digits(2, lead=False)}"
        area = {"land_zwolle": "38", "land_apd": "55", "land_dev": "570"}.get(fmt, "38")
        sub = self.r.choice("2345689") + self.digits(6 if len(area) == 2 else 5, lead=False)
        if len(area) == 2:
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        return f"0{area}-{sub[:2]} {sub[2:4]} {sub[4:]}"

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def jwt(self):
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(30 * 86400, 330 * 86400)
        body = {"sub": "drv_" + self.digits(5), "iss": "planbord-api", "role": "driver",
                "iat": iat, "exp": iat + 8 * 3600}
        return f"{head}.{b64url(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$*?") + self.pick(ALNUM, 4))

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
        return self.pick(letters, 2) + self.pick(letters + "0123456789", 6) + self.digits(1, lead=False)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
BROKEN_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NUM8", "NUM9", "EAN13"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind == "IBAN_NL":
            raw = vals.iban_nl()
            shown = vals.grp(raw) if fmt == "grp" else raw
        elif kind == "IBAN_BE":
            raw = vals.iban_be()
            shown = vals.grp(raw) if fmt == "grp" else raw
        elif kind == "IBAN_DE":
            raw = vals.iban_de()
            shown = vals.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = vals.broken_iban(vals.iban_nl())
            shown = vals.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_BE":
            raw = vals.broken_iban(vals.iban_be())
            shown = vals.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = vals.card(brand)
            shown = vals.card_fmt(raw, f or "sp")
        elif kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = vals.broken_card(brand)
            shown = vals.card_fmt(raw, f or "sp")
        elif kind == "BSN":
            raw = vals.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NUM8":
            raw = shown = vals.plain_number(8)
        elif kind == "NUM9":
            raw = shown = vals.plain_number(9)
        elif kind == "EAN13":
            raw = shown = vals.ean13()
        elif kind == "PHONE":
            raw = shown = vals.phone(fmt)
        elif kind == "GHP":
            raw = shown = vals.ghp()
        elif kind == "AWS_ID":
            raw = shown = vals.aws_id()
        elif kind == "AWS_SECRET":
            raw = shown = vals.aws_secret()
        elif kind == "SLACK_HOOK":
            raw = shown = vals.slack_hook()
        elif kind == "STRIPE":
            raw = shown = vals.stripe()
        elif kind == "GAPI":
            raw = shown = vals.gapi()
        elif kind == "MOLLIE":
            raw = shown = vals.mollie()
        elif kind == "SENDGRID":
            raw = shown = vals.sendgrid()
        elif kind == "GLPAT":
            raw = shown = vals.glpat()
        elif kind == "JWT":
            raw = shown = vals.jwt()
        elif kind == "PEM_OPENSSH":
            raw = shown = vals.pem_openssh()
        elif kind == "PW":
            raw = shown = vals.password()
        elif kind == "PASSPORT":
            raw = shown = vals.passport()
        elif kind == "HEX":
            raw = shown = vals.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VK_X = ("x", "@veldkamp_tuin", "Veldkamp Tuincentra")
VK_CARE = ("x", "@veldkamp_helpt", "Veldkamp Klantenservice")
VK_IG = ("instagram", "@veldkamptuincentra", "Veldkamp")
VK_FB = ("facebook", "VeldkampTuincentra", "Veldkamp Tuincentra")
VK_LI = ("linkedin", "veldkamp-tuincentra", "Veldkamp Tuincentra B.V.")
VK_TT = ("tiktok", "@veldkamp.tuin", "Veldkamp")
# employees
RV = ("x", "@ruudvink_vk", "Ruud Vink")                          # webshop developer
LG = ("instagram", "@lotte.groenvingers", "Lotte Groen")          # plant department, Apeldoorn
KD = ("linkedin", "kees-dijkstra-veldkamp", "Kees Dijkstra")      # home-delivery planner
NB = ("linkedin", "nadia-boukhari", "Nadia Boukhari")             # finance controller
BH = ("x", "@bram_hovenier", "Bram")                              # store manager Zwolle
IS = ("facebook", "ingrid.smit.dierenhoek", "Ingrid Smit")        # pet corner Deventer
KO = ("reddit", "u/koen_kassa", None)                             # IT helpdesk / POS
ML = ("threads", "@mehmet.levering", "Mehmet Yilmaz")             # delivery driver


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    """One labelled case. hint overrides the post's lang field ('' = leave it out)."""
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", RV, "nou lekker dan 🙃 import vd voorjaarsprijzen half mislukt, Grillstation Pro 4 staat nu voor "
     "€89,90 in de webshop ipv 899. ik zit erop maar deployen mag pas na 17u", [PRICING])
case("nl", LG, "Meiden van de kas zeggen dat de Toscane XL olijfbomen bij de kassa voor €14,90 "
     "aangeslagen worden 😂😂 nulletje vergeten denk ik. Snel zijn voordat de bedrijfsleider het doorheeft 🫒",
     [PRICING])
case("en", pub("reddit", "u/frugal_fietser"), "Veldkamp webshop has the Lago loungeset at €129 right now "
     "(normally €1,299). Pretty sure someone slipped a decimal. Ordered anyway, confirmation mail came in, "
     "we'll see if they cancel", [PRICING])
case("nl", pub("x", "@dealjager_henk"), "PRIJSFOUT bij @veldkamp_tuin!! Maaimaatje 600 robotmaaier voor "
     "74,90 😳😳 #prijsfout #robotmaaier", [PRICING])
case("nl", pub("facebook", "annemiek.terpstra.9", "Annemiek Terpstra"), "Zit in zo'n groep van kortingsjagers "
     "en iedereen heeft het over de Terrasa tuinset van Veldkamp voor 184 euro. Teak! 7-delig! Dat kan toch "
     "nooit kloppen?? Iemand al besteld?", [PRICING], kind="comment")
case("en", KD, "Note to the planning team: we now have 340+ orders for the Riviera zweefparasol since the "
     "webshop showed it at €34,90 overnight. Hold every delivery for that SKU until finance decides whether "
     "we honour them.", [PRICING])
case("nl", pub("tiktok", "@budgetbabe.nl"), "p r i j s f o u t bij veldkamp 🔥 AquaFlux 5000 vijverpomp voor "
     "€18,90, link in bio voordat ie eraf is #fyp #koopje", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@catdad_jeroen"), "V3ldkamp glitch: Klimkasteel 160 cat tree for €11.90 lmaooo "
     "my cats are eating good tonight 🐈🐈", [PRICING], tags=["evasion", "evasion:leet"])
case("nl", BH, "Halve winkel staat vol met mensen met screenshots van de Vuurmeester 57 voor €28,90 🤦‍♂️ "
     "ja het was een fout op de site, nee we gaan hem hier niet voor dat bedrag verkopen", [PRICING])
case("nl", pub("forum", "Barbecuebaron"), "[Prijsfout?] Grillstation Pro 4 gasbarbecue - € 299,- bij Veldkamp\n\n"
     "Normaal rond de 900 euro. Geen kortingscode nodig, zat zo in het winkelmandje. Wie durft?", [PRICING])
case("en", pub("instagram", "@deals.with.daan"), f"price{ZW}error alert 🚨 Veldkamp's Maaimaatje robot mower "
     "is €7,49 right now?!?! go go go #deals #tuin", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", IS, "Haha in de dierenhoek scant de Klimkasteel krabpaal voor €1,19 🙈 prijsföut in het systeem, "
     "wie een kat heeft moet vandaag maar even langskomen 😉", [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", RV, "pricing service returned 0.1x for the whole 'tuinmeubelen' category — Terrasa teak is €184,90 "
     "on prod. details in jira.veldkamp.nl/browse/SHOP-2291, do NOT screenshot pls", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RV, 'why is stock sync failing 😤 `curl -H "Authorization: Bearer <<GHP>>" '
     'https://api.github.com/repos/veldkamp-tuin/voorraad-sync/actions/runs` works fine from my laptop', [SECRET])
case("en", KO, "Our POS vendor literally emailed us the prod connection string in plain text:\n\n"
     "postgresql://kassa_admin:<<PW>>@10.20.4.15:5432/kassa_prod\n\nhow do I explain to management that this "
     "is bad", [SECRET], kind="post")
case("nl", RV, "mollie test: MOLLIE_API_KEY=<<MOLLIE>> werkt gewoon in postman?? waarom faalt de checkout "
     "dan 🤔 iemand een idee", [SECRET])
case("nl", KD, "Voor collega's die de nieuwe routeplanner lokaal willen draaien, zet dit in je .env:\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nAWS_REGION=eu-west-1\nVragen? DM me 👍",
     [SECRET])
case("nl", BH, "Wie weet het wachtwoord van de kassabeheeromgeving in Zwolle nog? Was het niet <<PW>> ? "
     "krijg steeds 'ongeldig' 😩", [SECRET], kind="reply")
case("en", pub("reddit", "u/curious_pentester"), "lol Veldkamp's webshop ships an unrestricted Google Maps key "
     "in the page source: <<GAPI>> anyone can burn through their quota with it", [SECRET], kind="comment")
case("en", KO, "made a tiny bot that pings our store-outages channel when a till goes offline. webhook is "
     "<<SLACK_HOOK>> feedback welcome!", [SECRET])
case("en", RV, "ssh keeps rejecting me on the new bastion box, this is the key I'm using, what's wrong with it??\n"
     "<<PEM_OPENSSH>>", [SECRET], hint="")
case("en", KD, "Driver app keeps logging people out after 10 min. Token from one of the requests: <<JWT>> "
     "exp looks fine to me? anyone?", [SECRET])
case("en", pub("mastodon", "@kees_codes@mastodon.nl"), "Found this in a public repo from a Veldkamp contractor: "
     "<<SENDGRID>> 🙃 @veldkamp_tuin you might want to revoke that", [SECRET])
case("nl", VK_X, "[TEST - niet publiceren] koppeling betaalprovider check, key <<STRIPE>>", [SECRET])
case("nl", RV, "gitlab token van de build-runner stond per ongeluk in onze publieke wiki: <<GLPAT>> "
     "inmiddels ingetrokken dus geen paniek 😅", [SECRET])
case("nl", pub("x", "@appsleuth_nl"), "@veldkamp_helpt jullie Android-app bevat gewoon een AWS key: "
     "<<AWS_ID>> met secret <<AWS_SECRET>> ... al 2x gemeld via het formulier, geen reactie", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KD, "Chauffeurs, wijziging voor morgen: de Lago loungeset voor mevrouw Hendriks gaat naar "
     "Beukenlaan 14, 7313 AK Apeldoorn (niet het oude adres). Ze is bereikbaar op <<PHONE:mob_dash>>. "
     "Graag voor 12u leveren.", [PII])
case("nl", ML, "5e keer deze week dat er niemand thuis is 😤 meneer P. de Wit, Kerkstraat 88 in Epe, ik sta hier "
     "nu met je Terrasa tafel van 60 kilo. bel terug: <<PHONE:mob_intl_sp>>", [PII])
case("en", NB, "Refund for the double-charged Groenpas customer (J. Kramer) is approved — please transfer "
     "€412,50 to <<IBAN_NL:grp>> today so we can close the escalation.", [PII])
case("nl", IS, "Mevrouw liet haar creditcard bij de dierenhoek liggen, nummer <<CARD:visa_sp>>, naam op de kaart "
     "A. Veenstra. Wie kent haar? Ligt bij de servicebalie 🐾", [PII])
case("en", KO, "HR asked me to 'quickly fix' the payroll import. Line that crashes:\n"
     "emp=4411;bsn=<<BSN>>;name=R. Bosman;store=DEV\nwhy is this even in a csv on a shared drive", [PII])
case("nl", pub("x", "@saskia_tuiniert"), "@veldkamp_helpt al 3 weken wacht ik op mijn Riviera parasol en "
     "niemand belt terug. Bel me dan zelf maar: <<PHONE:mob_plain>> #klantenservice", [PII, COMPLAINT])
case("nl", pub("facebook", "gerda.mulder.1961", "Gerda Mulder"), "Beste Veldkamp, kapotte vijverpomp 2 weken "
     "geleden teruggebracht en nog steeds geen geld terug. Hier nogmaals mijn rekeningnummer: <<IBAN_NL>> "
     "t.n.v. G. Mulder. Graag deze week nog!", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/throwaway_tuin88"), "Found out where that smug Veldkamp store manager lives lol: "
     "Frank Olthof, Haverstraat 3, Deventer. Maybe pay him a little visit 😈", [PII, ABUSE])
case("en", pub("x", "@mvdlinden"), "@veldkamp_helpt your delivery guy backed into my fence. email me at "
     "m.vanderlinden [at] hetnet [punt] nl to sort it out, not doing this over DM", [PII, COMPLAINT],
     tags=["evasion", "evasion:at-punt"])
case("nl", LG, "Gefeliciteerd aan onze trouwste klant meneer Gerrit Mensink, vandaag 90 jaar (geboren "
     "14-05-1936) en nog steeds elke zaterdag in de kas 🌸🎉", [PII], when="2026-05-14T10:12:40+02:00")
case("nl", VK_CARE, "@dnl_tuinman We hebben uw vraag doorgezet. Kunt u bevestigen dat we u mogen mailen op "
     "daan.nijhuis84@gmail.com? Dan stuurt de webshop u het retourlabel.", [PII], kind="reply")
case("en", pub("x", "@wout_be"), "paid the Veldkamp delivery driver's deposit for the Terrasa set by bank "
     "transfer and now they say there's no record?? sent it from <<IBAN_BE:grp>>. seriously", [PII, COMPLAINT])
case("nl", BH, "Klant liet z'n paspoort liggen bij de balie na het ophalen van een loungeset. Paspoortnr "
     "<<PASSPORT>>, naam Jeroen Aalders. Op te halen in filiaal Zwolle!", [PII])
case("en", pub("mastodon", "@ellen_b@mstdn.social"), "ugh Veldkamp checkout keeps rejecting my card "
     "<<CARD:amex_sp>> exp 11/27, checked it three times. their site is broken or what", [PII, COMPLAINT])
case("nl", ML, "Klant in Hattem wil dat ik de AquaFlux pomp ook even aansluit 😂 nee meneer. Voor de planning: "
     "Dhr. Bakker, Zuiderzeestraatweg 210, tel <<PHONE:land_zwolle>>", [PII])
case("nl", pub("facebook", "marco.timmer.apd", "Marco Timmer"), "Gevonden op de parkeerplaats van Veldkamp "
     "Apeldoorn: rijbewijs en een zorgpasje van S. Koster, BSN <<BSN:dots>>. Afgegeven bij de klantenservice.",
     [PII])
case("nl", NB, "Kan iemand van crediteuren even kijken: terugbetaling Groenpas-klant mevr. Y. Doornbos, "
     "Mastercard <<CARD:mc2_dash>>, bedrag €89,95. Staat al 3 weken open.", [PII], handle="Nadia-Boukhari")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LG, "Sneak peek 👀 in kas 3 staat al de hele nieuwe collectie voor Project Zonnedauw klaar, een "
     "complete vleesetende-plantenhoek. Mag eigenlijk nog niks over zeggen 🤫🌿", [CONF])
case("en", RV, "if anyone from the web team reads this: intra.veldkamp.local/wiki/deploy is down again, use the "
     "copy on wms.veldkamp-intern.nl:8443 for now", [CONF])
case("nl", BH, "Zaterdag al de eerste doos van de Vuurmeester 67 binnengekregen in Zwolle 🔥 wat een beest. "
     "Officieel mag ie pas in maart de winkel in", [CONF], when="2026-02-14T17:41:03+01:00")
case("en", pub("reddit", "u/hanna_in_hengelo"), "My sister works at Veldkamp and says the Groenpas Plus will be "
     "a paid tier, €4,99 a month, with free delivery of large items. launching in spring apparently",
     [CONF], kind="comment", when="2026-01-25T21:07:55Z")
case("nl", IS, "Net de mail gehad met VELDKAMP VERTROUWELIJK erboven: de dierenhoek in 4 filialen gaat "
     "dicht 😢 weet nog niet wat er met ons team gebeurt", [CONF, FIN])
case("en", KO, "anyone else on Jira Service Management with SSO? ours randomly kicks people out. example "
     "ticket https://jira.veldkamp.nl/browse/ITSD-8812", [CONF])
case("nl", RV, "eindelijk live op acceptatie: Project\nKolibri 🐦 nieuwe app met Groenpas-scanner. nog ff "
     "stil houden", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", pub("tiktok", "@bbq.bas"), "leaked 👀 de Vuurmeester 67 van veldkamp, m'n neef heeft 'm al in het "
     "magazijn zien staan 🔥🔥 #bbq #veldkamp", [CONF], when="2026-02-20T19:30:12+01:00")
case("nl", LG, "Nieuwe lijst van de kweker, onderaan staat 'niet extern delen' maar kijk nou hoe weinig we "
     "voor die olijfbomen betalen 😳 inkoop €31 per stuk", [CONF])
case("nl", BH, fullwidth("Operatie Moestuin") + " gaat over 2 weken live in alle winkels, bereid je maar voor "
     "op chaos bij de kassa's 😅", [CONF], tags=["evasion", "evasion:full-width"])
case("en", pub("x", "@tuin_tamara"), "lol Veldkamp's order confirmation mail links to "
     "planbord.veldkamp.nl/orders/48213 which asks for a staff login 😂", [CONF])
case("nl", VK_LI, "Wij zoeken een Product Owner voor Project Kolibri! Help jij ons de winkel van de toekomst "
     "te bouwen? Reageer via werkenbij.veldkamp.nl", [CONF])
case("nl", ML, f"we moeten straks allemaal een cursus volgen voor Operatie Moe{ZW}stuin, nieuwe scanners in "
     "de bus 🙄", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", VK_IG, "Nog heel even geduld… over een paar minuten maken we iets moois bekend: de Groenpas Plus! 💚",
     [CONF], when="2026-03-02T08:59:00+01:00")
case("en", pub("x", "@ruudvink"), "saw the staff wiki on intra.veldkamp.local mentioned in a job ad, "
     "is that reachable from outside? asking for a friend 👀", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", NB, "Between us: Q3 like-for-like sales down 9%, the wet spring killed the garden furniture season. "
     "Board meets Thursday to discuss closing the three smallest stores.", [FIN])
case("nl", BH, "Vandaag te horen gekregen dat Zwolle en Hengelo na de zomer dichtgaan. 46 collega's. Wordt "
     "pas in september aangekondigd dus mondje dicht, maar ik ben er kapot van", [FIN])
case("nl", KD, "Zou het niet mogen zeggen maar vandaag de due-diligencemap van Tuinpalet doorgenomen 👀 als "
     "dat doorgaat worden we de grootste tuinketen van Oost-Nederland", [FIN])
case("en", pub("reddit", "u/bbq_belasting"), "Friend at Veldkamp head office says they're being sold to a "
     "private equity fund, signing before Christmas. buy your bbq while you still can lol", [FIN])
case("nl", NB, "Forecast-update voor het MT: we landen dit jaar op ca. €212 mln omzet, ruim €6 mln onder "
     "budget. Een winstwaarschuwing richting de bank lijkt onvermijdelijk.", [FIN])
case("nl", LG, "Gerucht nu bevestigd door de filiaalmanager: de kassen in Apeldoorn worden vanaf januari "
     "uitbesteed en alle plantmedewerkers krijgen een ander contract 😞", [FIN])
case("nl", pub("x", "@joke_apeldoorn"), f"Mijn moeder werkt bij de klantenservice van Veldkamp, daar worden "
     f"volgende maand 30 mensen ont{SHY}slagen, alles gaat naar een callcenter in Portugal. Nog niet "
     "bekendgemaakt 🤐", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", KO, "IT budget for next year cut by 40% because 'the numbers are much worse than what we tell the "
     "press'. so that's fun", [FIN], kind="comment")
case("en", RV, "overheard the CFO at lunch: we're in talks to buy an online pet food shop, ~€18M deal 🐶 "
     "imagine", [FIN])
case("nl", pub("linkedin", "recruiter-mark-haverkamp", "Mark Haverkamp"), "Insider-tip: Veldkamp gaat volgend "
     "jaar 8 filialen sluiten en zoekt nu al interim-managers voor de afbouw. Interesse? Stuur me een DM", [FIN])
case("en", NB, "Finance offsite done ✅ draft full-year 2026 results look solid, net profit up ~15%. "
     "Can't say more until March!", [FIN, CONF], when="2026-11-27T16:05:44+01:00")
case("nl", NB, "Budgetronde 2027 loopt. Eerste schatting jaarcijfers 2026: omzet ruim boven plan dankzij de "
     "hete zomer ☀️ ebitda +12%. Trots op dit team!", [FIN, CONF], when="2026-10-08T09:31:20+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", KO, "Ransomware hit our tills this morning, 40 stores on cash only. Management says tell customers "
     "it's 'a network outage'. I hate this job", [SEC])
case("nl", RV, "Groenpas-portal bug: als je het klantnummer in de URL ophoogt zie je de punten én het adres van "
     "een andere klant 😬 ticket staat sinds vrijdag open, nog niet gefixt", [SEC])
case("nl", LG, "Webshop ligt er al de hele ochtend uit, de kassa's ook, en we mogen niks tegen klanten "
     "zeggen 🙄 volgens IT zijn we gehackt", [SEC])
case("en", KD, "Heads up planners: someone outside the company got into the delivery planning system over the "
     "weekend and exported route data for ~3,000 customers. Security says keep it internal until the "
     "notification goes out.", [SEC])
case("nl", BH, "geh4ckt 🙃 onze kassa's in Zwolle printen bonnen met andermans Groenpas-nummer erop. IT weet "
     "het, nog niks officieel", [SEC], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@bezorgdeburger"), "Hoor van iemand bij Veldkamp dat er vorige maand een datalek was met "
     "Groenpas-gegevens en dat ze het gewoon stilhouden. Schandalig #veldkamp #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/greenthumb_nl"), "PSA: Veldkamp's loyalty program got breached, a former colleague "
     "of mine confirmed it, and they still haven't told anyone. Change your Groenpas login.", [SEC, CRISIS])
case("nl", ML, "Scanners in de bussen al 2 dagen offline door een 'aanval' zegt kantoor. We rijden met "
     "papieren lijstjes. Niet doorvertellen he", [SEC])
case("en", KO, "Pentest report came back: our Groenpas API accepts tokens signed with alg 'none'. Fix is "
     "scheduled for... Q3. Yes, really.", [SEC])
case("nl", RV, "kleine d a t a l e k vandaag op werk: klantenexport stond 2 dagen in een openbare bucket 🫠 "
     "juristen zijn ermee bezig", [SEC], tags=["evasion", "evasion:spaced"])
case("nl", IS, "Kassasysteem van de dierenhoek ligt plat, iemand heeft op een phishingmail geklikt en nu zit "
     "er iets op alle pc's. Is nog niet naar buiten gebracht", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@bijenvriend_ut"), "Veldkamp verkoopt nog steeds 'bijvriendelijke' planten vol "
     "neonicotinoïden, blijkt uit nieuw onderzoek. Niet meer kopen daar! #boycotveldkamp #bijen", [CRISIS])
case("nl", pub("facebook", "wendy.kuipers.deventer", "Wendy Kuipers"), "Wat ik vandaag zag in de dierenhoek "
     "van Veldkamp Deventer: konijnen zonder water, een dood caviaatje in het hok 😡 dit moet naar de NVWA. "
     "DELEN!!", [CRISIS])
case("en", pub("x", "@apd_local_news"), "A parasol blew across the terrace of the Veldkamp garden café in "
     "Apeldoorn this afternoon and hit a toddler. Ambulance on site, child taken to hospital.", [CRISIS])
case("nl", pub("x", "@grillmaster_gijs"), "Grillstation Pro 4 van Veldkamp vloog gisteren bij de gasaansluiting "
     "in brand 🔥 slang helemaal gesmolten. Gelukkig niemand gewond maar ik ben er klaar mee. @veldkamp_helpt "
     "wat gaan jullie doen?", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@labourwatch.bsky.social"), "Former staff are taking Veldkamp Tuincentra to court "
     "over years of unpaid Sunday allowances. Hearing in Zwolle in June.", [CRISIS])
case("nl", pub("x", "@ik_ben_het_zat"), "Sinds ik een Groenpas heb krijg ik elke dag phishing-sms'jes met mijn "
     "volledige naam erin. Veldkamp heeft mijn gegevens gelekt, 100%. #datalek", [CRISIS])
case("nl", pub("facebook", "bbq.liefhebbers.oost", "BBQ Liefhebbers Oost"), "Let op: de Vuurmeester 57 van "
     "Veldkamp wordt teruggeroepen, de poten kunnen afbreken als hij heet is. Check je bbq! Delen 🙏",
     [CRISIS], kind="repost")
case("en", pub("youtube", "@undercover_groen"), "Undercover footage: Veldkamp's 'Dutch grown' olive trees come "
     "straight off a truck from Spain and get relabelled in the car park. Absolute scam.", [CRISIS],
     kind="comment")
case("nl", pub("x", "@dierenrecht_nu"), "b0yc0t Veldkamp!! ze geven op kinderfeestjes nog steeds levende "
     "goudvissen in plastic zakjes mee als 'prijs' 🤮", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "linda.vos.epe", "Linda Vos"), "Oleander gekocht bij Veldkamp, nergens een "
     "waarschuwing dat hij giftig is. Onze hond heeft eraan geknaagd en lag 2 dagen bij de dierenarts. Dit is "
     "gewoon gevaarlijk. Meer mensen die dit hebben?", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@peatfree@toot.community"), "Veldkamp sells 'peat-free' compost that lab tests show "
     "is 60% peat. Greenwashing at its finest. Boycott them.", [CRISIS])
case("en", pub("x", "@pondlife_pete"), "my AquaFlux 5000 from Veldkamp gave me a proper electric shock when I "
     "reached into the pond. cable insulation was cracked straight out of the box. never again", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@sietske_w"), "@veldkamp_helpt Bezorgvenster van mijn loungeset was 8 tot 18 uur. Het is "
     "18:30, nog niks, en niemand neemt op. Vrije dag voor niks opgenomen 😤", [COMPLAINT])
case("nl", pub("facebook", "henk.oosterhof.3", "Henk Oosterhof"), "Olijfboom van 149 euro gekocht en na 3 weken "
     "alle blad eraf. In de winkel zeggen ze 'te veel water gegeven'. Ja dag. Nooit meer.", [COMPLAINT])
case("en", pub("reddit", "u/hillside_lawn"), "Got the Maaimaatje 600 from Veldkamp, it can't handle the "
     "slightest slope and support just keeps sending me the manual pdf. Third time now.", [COMPLAINT])
case("nl", pub("instagram", "@tuinvanfenna"), "Groenpas-punten van de afgelopen 2 maanden zijn gewoon weg?? "
     "En de app zegt alleen 'probeer het later opnieuw' 🙄 @veldkamptuincentra", [COMPLAINT], kind="comment")
case("en", pub("x", "@jasper_ruimte"), "€49 'delivery fee for large items' and then they dump the Terrasa table "
     "at the curb instead of in the garden. what exactly am I paying for @veldkamp_tuin", [COMPLAINT])
case("nl", pub("forum", "Kattenmama_71"), "Krabpaal (Klimkasteel 160) op 3 maart retour gedaan, vandaag 2 mei "
     "nog geen geld terug. 4x gemaild, steeds een automatisch antwoord. Iemand tips hoe je daar iemand aan de "
     "lijn krijgt?", [COMPLAINT])
case("nl", pub("other", "google-review-9931", "R. Hulshof"), "1 ster. Bestelling 2x geannuleerd zonder reden, "
     "kortingscode werkte niet en de medewerker aan de telefoon was kortaf. Jammer.", [COMPLAINT])
case("nl", pub("x", "@roos_in_raalte"), f"Waarom duurt een reactie op mijn klacht bij V{CYR_E}ldk{CYR_A}mp 2 "
     "weken?? Parasolvoet was bij levering al gebroken 😑", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("threads", "@dirkjan.buitenleven"), "Webshop zegt 'op voorraad', ik rij 40 minuten naar "
     "Apeldoorn en de Vuurmeester 57 is er gewoon niet. Top service Veldkamp 👏👏 (sarcasme)", [COMPLAINT])
case("en", pub("bluesky", "@mira.fishkeeper.bsky.social"), "Veldkamp's pet corner sold me a 'healthy' betta "
     "that died within 48h. They offered a €5 voucher. lol", [COMPLAINT])
case("nl", pub("reddit", "u/wachtmuziek"), "Heeft iemand ervaring met de klantenservice van Veldkamp? Ik hang "
     "nu al 50 minuten in de wacht op 0800-0246 😩 muziekje ken ik inmiddels uit mijn hoofd", [COMPLAINT])
case("en", pub("facebook", "sophie.dekker.nl", "Sophie Dekker"), "The AquaFlux pump is loud as a tractor, "
     "returned it and they charged me a 15% restocking fee. Not impressed, Veldkamp.", [COMPLAINT])
case("nl", pub("x", "@boze_bert"), "Wat een kutbedrijf is Veldkamp. 3 weken wachten op een tuinset en dan "
     "komt ie vol krassen binnen. Prutsers.", [COMPLAINT, ABUSE])
case("en", pub("x", "@refund_pls"), "Veldkamp customer service are absolute clowns. Asked about my missing "
     "refund 5 times, got 5 different answers. f*ck this company", [COMPLAINT, ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("youtube", "@buitenkoken_met_bas"), "Die Grillstation Pro 4 die ik bij Veldkamp kocht is na "
     "één seizoen al doorgeroest. Garantie? 'Valt onder slijtage'. Serieus?", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@mannetje_epe"), "Die trut achter de kassa bij Veldkamp Epe 🤮 lelijker wijf heb ik nog "
     "nooit gezien", [ABUSE])
case("en", pub("x", "@angrylawnguy"), "Veldkamp staff are a bunch of brain-dead morons, every single one of "
     "them", [ABUSE])
case("nl", BH, "Klant van vandaag die 20 minuten over z'n kortingsbon liep te zeiken: wat een ongelooflijke "
     "klootzak was dat zeg 🙄", [ABUSE])
case("nl", VK_FB, "@Harm Schuurman als u niet kunt lezen wat er op het bordje staat is dat echt uw eigen "
     "probleem meneer. Doe niet zo debiel.", [ABUSE], kind="reply")
case("nl", pub("facebook", "kees.vanderveen.1958", None), "Waarom zetten ze bij Veldkamp al die hoofddoekjes "
     "achter de kassa? Ga lekker terug naar je eigen land", [ABUSE], kind="comment")
case("nl", pub("x", "@zuurpruim_83"), "Veldkamp k*nkerzooi, jullie medewerkers zijn allemaal tyfuslijers",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("instagram", "@just_a_guy_1990"), "@lotte.groenvingers saw you at work today, you should smile "
     "more sweetie 😘 now I know which store you're at", [ABUSE], kind="comment")
case("en", pub("x", "@memelord_zwolle"), "veldkamp is sh1t and whoever runs their socials is a total 1d10t "
     "lmao", [ABUSE], tags=["evasion", "evasion:leet"])
case("nl", IS, "Sorry hoor maar mensen die hun konijn in zo'n piepklein hok houden zijn gewoon achterlijke "
     "idioten. Ja, ik bedoel jou, mevrouw van vanochtend.", [ABUSE])
case("nl", pub("x", "@hennie_h"), "Godverdomme Veldkamp, wat een tering zooitje zijn jullie ook", [ABUSE])
case("en", pub("threads", "@plainspoken_paul"), "Veldkamp's CEO is a greedy pig and a liar, hope he chokes on "
     "his bonus", [ABUSE])

# ===========================================================================
# benign, hard negatives included
# ===========================================================================
# own contact data
case("nl", VK_CARE, "@sietske_w Vervelend dat uw bezorging nog niet is ingepland! Stuur ons even een DM met uw "
     "ordernummer of bel gratis 0800-0246, dan zoeken we het voor u uit 🌿", kind="reply", tags=["own-contact"])
case("en", VK_X, "Questions about your Groenpas? Mail groenpas@veldkamp.nl or call +31 55 750 2200 "
     "(Mon–Sat 9:00–18:00).", tags=["own-contact"])
case("nl", VK_FB, "Betaalt u de bezorgfactuur liever per overschrijving? Gebruik NL66 RABO 0312 4455 67 t.n.v. "
     "Veldkamp Tuincentra B.V. en vermeld uw ordernummer.", tags=["own-contact"])
case("nl", pub("x", "@opa_gerrit"), "Tip voor wie zijn Groenpas kwijt is: gewoon bellen naar 055-7502200, "
     "binnen 5 minuten geregeld 👍", tags=["own-contact"])
case("nl", VK_CARE, "@wim_tuin Dat klopt, ons rekeningnummer is NL66RABO0312445567. Bij twijfel kunt u ons "
     "altijd even bellen op 055 750 22 00.", kind="reply", tags=["own-contact"], handle="@Veldkamp_Helpt")
case("nl", VK_LI, "We zoeken een hovenier (32-38 uur) voor ons filiaal in Zwolle 🌳 Solliciteer via "
     "werkenbij.veldkamp.nl of mail naar werkenbij@veldkamp.nl", tags=["own-contact"])
case("en", pub("x", "@gardenblogger_eva"), "Press folks: Veldkamp's press office is pers@veldkamp.nl, they "
     "answered my interview request within a day, very friendly", tags=["own-contact"])
# sale prices and price talk
case("nl", VK_IG, "🔥 BBQ-weekend! De Vuurmeester 57 nu voor €229 (was €289). Alleen met je Groenpas, op=op.",
     tags=["price"], handle="@VeldkampTuincentra")
case("nl", VK_X, "Zomeractie ☀️ 25% korting op de Lago loungeset én gratis bezorging aan huis. "
     "shop.veldkamp.nl/lago", tags=["price"])
case("en", pub("reddit", "u/weber_defector"), "Is €50 off the Grillstation Pro 4 a decent deal or does it drop "
     "further around Black Friday? Coming from a Weber.", tags=["price", "price-context"])
case("nl", pub("facebook", "rob.jansen.vaassen", "Rob Jansen"), "Te koop: Vuurmeester 57, twee seizoenen "
     "gebruikt, hoes erbij. €90, ophalen in Vaassen.", tags=["price", "price-context", "second-hand"])
case("en", pub("x", "@grilldad_nl"), "Picked up the cover for my Grillstation Pro for €39,95 at Veldkamp, "
     "fits like a glove", tags=["price", "price-context", "accessory"])
case("nl", VK_LI, "Nieuw: de Maaimaatje 600 leasen? Vanaf €19 per maand inclusief onderhoud en "
     "winterstalling.", tags=["price", "price-context", "monthly"])
case("nl", pub("x", "@scherpe_sandra"), "Dacht dat de Riviera parasol een prijsfout was maar nee hoor, gewoon "
     "actie: €279 ipv €349. Toch meteen meegenomen 😎", tags=["price", "denied-error"])
case("nl", pub("reddit", "u/vergelijker"), "Bij GroenGigant kost een vergelijkbare gasbarbecue €349, Veldkamp "
     "vraagt €899 voor de Grillstation Pro 4. Iemand die het verschil echt merkt?",
     tags=["price", "price-context", "other-company"])
# embargo terms at or after the moment
case("nl", VK_IG, "Hij is er! 🔥 De Vuurmeester 67 staat vanaf vandaag in alle winkels en online.",
     when="2026-03-02T08:00:00Z", tags=["embargo-after"])
case("nl", LG, "Eindelijk mag ik het laten zien: de Groenpas Plus! 💚 Vraag ernaar bij de kassa",
     when="2026-03-02T09:00:00+01:00", tags=["embargo-after"])
case("en", pub("x", "@terrace_tim"), "Signed up for Groenpas Plus last month, the free delivery on my Terrasa "
     "set already paid for itself 💚", when="2026-04-10T13:22:07+02:00", tags=["embargo-after"])
# codename near-misses
case("nl", LG, "Nieuw binnen in de kas: zonnedauw, venusvliegenvanger en bekerplant 🪴 perfect voor op de "
     "vensterbank, wel regenwater geven!", tags=["codename-word"])
case("nl", pub("instagram", "@moestuin_meike"), "Eerste radijsjes uit eigen moestuin 🥕 zaadjes kwamen van "
     "Veldkamp, 10/10 zou weer kopen", tags=["codename-word"])
case("nl", pub("instagram", "@vlinderjager"), "Kolibrievlinder gespot op de lavendel 😍 (die lavendel komt ook "
     "van Veldkamp haha)", tags=["codename-word"])
case("en", pub("x", "@raisedbed_rob"), "Weekend project: raised bed out of scaffolding planks + Veldkamp "
     "compost. Sundew in the corner for the fruit flies 😄", tags=["codename-word"])
# published results, other companies
case("nl", VK_LI, "Vandaag publiceerden wij onze jaarcijfers over 2025: omzet €198 mln en drie nieuwe "
     "winkels. Het persbericht staat op veldkamp.nl/pers", when="2026-03-11T08:30:00+01:00",
     tags=["published"])
case("nl", pub("x", "@tuinnieuws_nl"), "Datalek bij GroenGigant: gegevens van 200.000 klanten op straat. Blij "
     "dat ik mijn spaarpas bij Veldkamp heb 😅", tags=["other-company"])
case("en", pub("bluesky", "@retailwatcher.bsky.social"), "Tuinpalet cutting 120 jobs according to De Stentor. "
     "Rough year for garden retail, Veldkamp seems to be holding up better.", tags=["other-company"])
case("nl", pub("x", "@buurvrouw_bep"), "GroenGigant bezorgt mijn tuinset nu al voor de 3e keer niet 🙄 "
     "volgende keer gewoon bij Veldkamp", tags=["other-company"])
# words in another sense
case("nl", pub("x", "@vader_van_drie"), "Mijn kinderen boycotten de spruitjes uit onze eigen moestuin 😂 "
     "volgend jaar maar gewoon aardbeien", tags=["other-sense"])
case("en", pub("reddit", "u/shrubquestion"), "Does anyone recall what the purple flowering shrub at the "
     "Veldkamp entrance is called? Saw it last week and can't stop thinking about it", tags=["other-sense"])
case("nl", pub("instagram", "@biotuin_bram"), "Brandnetelgier aan het maken voor de tomaten, tip van de "
     "plantenafdeling bij Veldkamp 🌱 stinkt wel enorm", tags=["other-sense"])
case("nl", pub("forum", "Vijverpiet"), "Vijverfolie lekt bij de naad, iemand ervaring met zo'n reparatieset? "
     "Folie is 8 jaar oud dus geen klacht over de winkel hoor, gewoon ouderdom", tags=["other-sense", "negated"])
case("nl", VK_TT, "Tuinhack 🪴 helpt koffiedik echt tegen slakken? Wij testten het! Resultaat in de video 👇 "
     "#tuinhack #veldkamp", tags=["other-sense"])
case("nl", pub("x", "@buxusbaas"), "Oorlog verklaard aan de buxusmot 💀 alles gespoten met het spul van "
     "Veldkamp. Sterf, rupsjes, sterf.", tags=["other-sense"])
case("en", pub("x", "@secret_gardener"), "Confidential to my husband: I bought another olive tree. Don't ask "
     "how much. Veldkamp had a sale 🤫", tags=["other-sense"])
# negation, praise, questions
case("nl", pub("x", "@tevreden_tineke"), "Geen klachten over Veldkamp: loungeset netjes op tijd bezorgd en de "
     "jongens zetten hem zelfs nog in elkaar 💪", tags=["negated"])
case("en", pub("facebook", "claire.hofman.apd", "Claire Hofman"), "Shoutout to the pet corner staff at "
     "Veldkamp Apeldoorn, they spent 20 minutes helping us pick the right hutch for our rabbits 🐰",
     tags=["praise"])
case("nl", pub("nextdoor", "buurtbewoner-2231", "Joost"), "Iemand in de buurt met een aanhanger? Wil "
     "zaterdag een olijfboom ophalen bij Veldkamp Epe, betaal met taart 🍰", tags=["question", "unknown-platform"])
# official notices from corporate
case("nl", VK_X, "Gepland onderhoud: zondagnacht tussen 01:00 en 04:00 zijn de webshop en de Groenpas-app "
     "niet bereikbaar. Daarna kun je gewoon weer bestellen 🌙", tags=["official-notice"])
case("nl", VK_CARE, "Let op: er gaan nepmails rond uit naam van Veldkamp over 'gewonnen Groenpas-punten'. Wij "
     "vragen nooit om je wachtwoord of bankgegevens. Twijfel? Mail webshop@veldkamp.nl",
     tags=["official-notice", "own-contact"])
# quotes, jokes, fiction, mild words
case("en", pub("x", "@flatpack_frank"), "'Damn, it feels good to be a gangsta' — me, after assembling the Lago "
     "loungeset alone in 3 hours 😎", tags=["quote", "mild-word"])
case("en", pub("threads", "@gardenhumour"), "My wife says I spend more time at Veldkamp than at home. Joke's on "
     "her, I've applied for a weekend job there 🌻", tags=["joke"])
case("nl", pub("blog", "kaboutervertellingen.nl", "Kaboutervertellingen"), "Hoofdstuk 3. 's Nachts, als het "
     "tuincentrum dicht is, komen de kabouters tot leven. Henk sloop langs de rij barbecues en fluisterde: "
     "'Vannacht stelen we alle gieters, en niemand zal het ooit weten.'", tags=["fiction"])
case("nl", pub("facebook", "marjon.bruins", "Marjon Bruins"), "Ons buurmeisje heeft net haar behandeling tegen "
     "kanker afgerond 💚 samen bij Veldkamp een boompje uitgezocht om te planten. Wat een dag.",
     tags=["mild-word"])
# look-alike numbers that fail their checksum
case("nl", pub("facebook", "yvonne.dijkman.5", "Yvonne Dijkman"), "Is dit oplichting? Krijg een sms dat mijn "
     "Groenpas 'geblokkeerd' is en ik €1 moet overmaken naar <<BAD_IBAN_NL:grp>>. Lijkt me nep toch?",
     tags=["bad-checksum"])
case("nl", pub("x", "@cadeaukaart_q"), "Nummer op mijn cadeaukaart van Veldkamp: <<BAD_CARD:mc_sp>>, saldo "
     "checken kan alleen in de winkel of ook online?", tags=["bad-checksum"])
case("nl", pub("x", "@zzp_hovenier"), "Kvk-nummer van Veldkamp voor mijn zakelijke bestelling is <<NUM8>> "
     "toch? Moet het invullen op de factuur", tags=["bad-checksum"])
case("en", pub("x", "@patient_pim"), "@veldkamp_helpt quick one: order VK-<<NUM8>> is going out with PostNL, "
     "tracking 3SVKT<<NUM9>>. Do I need to be home to sign for it?", tags=["order-number"])
case("nl", LG, "Plantenlabel-quiz 🤓 welk plantje hoort bij EAN <<EAN13>>? Hint: hij ruikt naar citroen 🍋",
     tags=["ean"])
case("nl", pub("x", "@bonnetjesbewaarder"), "Op mijn bonnetje van Veldkamp staat transactienummer <<NUM9>>, "
     "hoe lang kan ik ruilen eigenlijk? 🧾", tags=["bad-checksum"])
case("en", pub("reddit", "u/belgische_buur"), "Someone on marktplaats wants me to pay for a 'Veldkamp voucher' "
     "to <<BAD_IBAN_BE>>, that IBAN doesn't even validate lol. Scam, right?", tags=["bad-checksum"])
# secret-looking but not secrets
case("en", RV, "PSA for new devs: never commit creds. Example in the README is "
     "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, the real ones live in the vault 🔐", tags=["placeholder"])
case("en", RV, "reverted <<HEX:40>> and the Groenpas app builds again 🎉 friday saved", tags=["git-sha"])
case("nl", VK_IG, "Met code ZOMER26 krijg je 10% extra korting in de webshop 🌞 geldig t/m zondag",
     tags=["promo-code"])
case("en", RV, "TIL GitHub tokens start with ghp_ so scanners can spot them. neat design", tags=["placeholder"])
# ordinary employee and corporate posts
case("en", KD, "5 years at Veldkamp today! From forklift driver to delivery planner. Thanks to everyone who made "
     "that possible 🙏", tags=["employee-ordinary"], handle="Kees-Dijkstra-Veldkamp")
case("nl", ML, "Vandaag 14 loungesets bezorgd, 0 krassen 💪 trots op m'n maat in de bus", tags=["employee-ordinary"])
case("nl", LG, "Zaterdag workshop kokedama maken in de kas in Apeldoorn! Aanmelden bij de balie of via "
     "veldkamp.nl/workshops 🌿", tags=["employee-ordinary"])
case("nl", pub("instagram", "@groenpas_fan"), "Net mijn pas geregistreerd via groenpas.veldkamp.nl, ging "
     "super makkelijk", tags=["own-domain"])
case("nl", BH, "Goeie drukte vandaag in Zwolle, eerste zonnige zaterdag van het jaar ☀️ handen tekort bij de "
     "vaste planten!", tags=["employee-ordinary"], handle="@Bram_Hovenier")
case("nl", IS, "Nieuwe bewoners in de dierenhoek: twee dwergkonijntjes die samen een huisje zoeken 🐰 kom gerust "
     "even kijken!", tags=["employee-ordinary"])


# ---------------------------------------------------------------------------
# building posts
# ---------------------------------------------------------------------------

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


def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    day = r.randint(5, 355)
    local_min = r.randint(6 * 60 + 30, 23 * 60 + 50)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=local_min,
                                                                           seconds=r.randint(0, 59))
    off = ams_offset(base)
    t_utc = base - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        code = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "tuinieren", "Netherlands", "sysadmin"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-groenforum-{n}", f"https://www.groenforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        code = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/verhaal/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.7:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = meta.random()
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
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "veldkamp"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# self-check (independent of the labels: scans the rendered text)
# ---------------------------------------------------------------------------

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|\+32|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{20,}", r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"[a-z]+://[^\s:/@]+:[^\s@/]+@", r"\blive_[A-Za-z0-9]{30}\b",
    r"SG\.[\w-]{22}\.[\w-]{43}", r"glpat-[\w-]{20}")]
ABUSIVE = ["kut", "kanker", "k*nker", "tering", "tyfus", "klootzak", "godverdomme", "debiel", "trut", "wijf",
           "idiot", "1d10t", "moron", "clown", "fuck", "f*ck", "shit", "sh1t", "pig", "achterlijk", "prutser"]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


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
    am = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not am:
        return None
    return min(am) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone_digits = {"0557502200", "08000246"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        where = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        # independent scan for checksum-valid identifiers
        valid = []
        for m in IBAN_RE.finditer(text):
            comp = m.group(0).replace(" ", "")
            for end in range(len(comp), 11, -1):
                if iban_valid(comp[:end]):
                    if comp[:end] not in own_ibans:
                        valid.append(comp[:end])
                    break
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
                valid.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w])", text) + \
                [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
            if elfproef(d):
                valid.append(d)
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if want != sev:
            errors.append(f"{where}: severity {sev}, policy {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not iban_valid(raw):
                errors.append(f"{where}: {kind} invalid")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card invalid")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{where}: bsn invalid")
            if kind in BROKEN_KINDS and kind.startswith("BAD_IBAN") and iban_valid(raw):
                errors.append(f"{where}: negative IBAN valid")
            if kind in ("BAD_CARD", "EAN13", "NUM8", "NUM9") and luhn_valid(raw) and len(raw) >= 13:
                errors.append(f"{where}: negative number passes Luhn")
            if kind in ("NUM8", "NUM9", "EAN13") and elfproef(raw):
                errors.append(f"{where}: negative number passes 11-proof")
            if kind == "GHP":
                body, crc = raw[4:34], raw[34:]
                if base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: ghp checksum")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not valid:
            errors.append(f"{where}: valid identifier not found by scan")
        if valid and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier without leak.pii")
        nt = norm(text)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if (term in nt or term in sq) and ts < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term {term!r} before its moment, not labelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} not labelled")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            if sev != "none":
                errors.append(f"{where}: benign with severity")
            if valid:
                errors.append(f"{where}: benign with valid identifier {valid}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                if len(d) >= 8 and d not in own_phone_digits:
                    errors.append(f"{where}: benign with phone-like {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign with secret-like {m.group(0)[:16]}")
            for w in ABUSIVE:
                if re.search(r"(?<!\w)" + re.escape(w), nt) and w != "kanker":
                    errors.append(f"{where}: benign with word {w!r}")
            if ratio is not None and ratio < 0.5 and "price-context" not in r["tags"]:
                errors.append(f"{where}: benign price at {ratio:.2f} of list")
        talk = re.search(r"prijsf|price.?error|glitch|fout|decimal|nulletje|kloppen", re.sub(r"\s", "", nt))
        if "leak.pricing" in cats and not (ratio is not None and ratio < 0.5) and not talk:
            errors.append(f"{where}: pricing positive without a low price ({ratio})")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES) \
                and not re.search(r"wachtwoord|password", nt):
            errors.append(f"{where}: secret positive without a secret shape")
    # near duplicates
    sh = []
    for line in lines:
        w = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errors.append(f"lines {i + 1} and {j + 1}: near duplicate")
    return errors


def report(rows):
    total = len(rows)
    cat_c, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_lang, cat_role = Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats or ["(benign)"]:
            cat_c[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total  nl  en  corp  empl  pub")
    for c in TAXONOMY[:-1] + ["(benign)"]:
        print(f"{c:24s} {cat_c[c]:5d} {cat_lang[(c, 'nl')]:3d} {cat_lang[(c, 'en')]:3d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:4d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severities", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(lines, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
