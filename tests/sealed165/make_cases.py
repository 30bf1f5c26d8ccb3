#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set sealed165.

    python3 make_cases.py          # writes cases.jsonl next to this file

Company: Vrolijke Vos Speelgoed B.V. (profile.yaml here), a Dutch toy manufacturer
and toy-shop chain. Texts are hand-written below (CASES). Identifiers and secrets are
filled from <<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte
reproducible. Positives get checksum-valid identifiers; near-miss benign posts get
identifiers that fail their checksum.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (from profile.yaml, platform:handle, case-insensitive), the categories
and whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
Needs Python 3.9+ and PyYAML.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

SEED = 16520261
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_A = "\u0430"  # Cyrillic small a (looks like Latin a)
CYR_O = "\u043e"  # Cyrillic small o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


def spaced(s):
    return " ".join(s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(body):
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError(body)


def elfproef(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL43RABO0315479268"


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

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "10010010", "76050101", "50070010"]) + self.dig(10))
        if cc == "BE":
            first = self.r.choice(["063", "310", "734", "001"]) + self.dig(7)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def fmt_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and numbers that only look like one
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_id(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full) and not elfproef(full):
                return full

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return self.pick(letters, 2) + self.pick(letters + "0123456789", 6) + self.dig(1)

    # phones
    def phone(self, fmt):
        if fmt.startswith("m"):
            d8 = self.r.choice("12345678") + self.dig(7)
            return {
                "m_plain": f"06{d8}",
                "m_dash": f"06-{d8}",
                "m_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "m_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                "m_intl_c": f"+316{d8}",
                "m_0031": f"0031 6 {d8}",
                "m_paren": f"(06) {d8[:4]} {d8[4:]}",
                "m_intl0": f"+31 (0)6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            }[fmt]
        area = self.r.choice(["10", "13", "20", "23", "30", "35", "40", "43", "50", "53", "70", "73", "76", "492"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {
            "l_dash": f"0{area}-{sub}",
            "l_space": f"0{area} {sub[:3]} {sub[3:]}",
            "l_intl": f"+31 {area} {sub}",
        }[fmt]

    # secrets (random and fake, shaped like the real thing)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def slack_bot(self):
        return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def jwt(self):
        hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64u(json.dumps({"sub": "vosclub_" + self.dig(7, True), "iss": "app.vrolijkevos.nl",
                                "scope": "account orders", "iat": iat, "exp": iat + 7200},
                               separators=(",", ":")).encode())
        return f"{hdr}.{body}.{self.pick(B64URL, 43)}"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#-_*") + self.pick(ALNUM, 4))

    def sha(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = fmt.partition("_")
            raw = g.iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
            assert iban_valid(raw)
        elif kind == "BAD_IBAN":
            cc, _, style = fmt.partition("_")
            raw = g.bad_iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
            assert not iban_valid(raw)
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, style or "sp")
            assert luhn_valid(raw)
        elif kind == "BAD_CARD":
            brand, _, style = fmt.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, style or "sp")
        elif kind == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
            assert elfproef(raw)
        elif kind == "NOT_ID":
            raw = shown = g.not_id(int(fmt))
        elif kind == "EAN13":
            raw = shown = g.ean13()
        elif kind == "PASSPORT":
            raw = shown = g.passport()
        elif kind == "PHONE":
            raw = shown = g.phone(fmt)
        elif kind == "GHP":
            raw = shown = g.ghp()
        elif kind == "MOLLIE":
            raw = shown = g.mollie()
        elif kind == "AWS_ID":
            raw = shown = g.aws_id()
        elif kind == "AWS_SECRET":
            raw = shown = g.aws_secret()
        elif kind == "SLACK_HOOK":
            raw = shown = g.slack_hook()
        elif kind == "SLACK_BOT":
            raw = shown = g.slack_bot()
        elif kind == "GAPI":
            raw = shown = g.gapi()
        elif kind == "SENDGRID":
            raw = shown = g.sendgrid()
        elif kind == "STRIPE":
            raw = shown = g.stripe()
        elif kind == "PEM_SSH":
            raw = shown = g.pem_ssh()
        elif kind == "JWT":
            raw = shown = g.jwt()
        elif kind == "PW":
            raw = shown = g.pw()
        elif kind == "SHA":
            raw = shown = g.sha(int(fmt))
        elif kind == "DIG":
            raw = shown = g.dig(int(fmt), True)
        else:
            raise KeyError(kind)
        used.append((kind, raw))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VV = ("x", "@vrolijkevos", "Vrolijke Vos")
VV_HULP = ("x", "@vrolijkevos_hulp", "Vrolijke Vos Klantenservice")
VV_IG = ("instagram", "@vrolijkevos.nl", "Vrolijke Vos")
VV_FB = ("facebook", "VrolijkeVosSpeelgoed", "Vrolijke Vos Speelgoed")
VV_LI = ("linkedin", "vrolijke-vos-speelgoed", "Vrolijke Vos Speelgoed B.V.")
VV_TT = ("tiktok", "@vrolijkevos", "Vrolijke Vos")
# employees
MVL = ("x", "@maarten_vl_dev", "Maarten van Leeuwen")              # webshop developer
NH = ("instagram", "@noor.speelgoedwinkel", "Noor Hendriks")        # shop floor, Haarlem
RK = ("linkedin", "ruben-kramer-vv", "Ruben Kramer")                # IT operations
ID = ("linkedin", "ilse-dijkstra-vrolijkevos", "Ilse Dijkstra")     # finance / controlling
KS = ("x", "@keessmit_dc", "Kees Smit")                            # distribution centre Tilburg
YO = ("threads", "@yara.ontwerpt", "Yara Ouali")                    # toy designer, factory Helmond
DM = ("linkedin", "daan-meijer-qa", "Daan Meijer")                  # product safety / QA
FB = ("mastodon", "@fleurbos@toot.community", "Fleur Bos")          # marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle=None, hint=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", MVL, "wie heeft de deploy token in de README van de webshop-repo gezet?? <<GHP>>\n"
     "haal eruit aub, dit is een publieke fork 🤦", [SECRET], tags=["insider"])
case("en", RK, "Note to self before the holiday freeze, our order DB lives here:\n"
     "postgresql://shop_rw:<<PW>>@pg-orders02.vossenburcht.local:5432/orders\n"
     "if anyone has a better way to share this with the night shift lmk", [SECRET, CONF])
case("nl", MVL, "Betalingen in de shop falen sinds 14:00. Mollie zegt 'invalid api key' terwijl ik echt "
     "<<MOLLIE>> in de config heb staan?! iemand een idee #devlife", [SECRET], kind="post")
case("nl", KS, "nieuwe collega's in het DC: wifi van de handscanners is VV-Scan-DC, wachtwoord <<PW>> "
     "(niet aan de uitzendkrachten van het andere bureau geven 😉)", [SECRET])
case("en", pub("reddit", "u/jsbundle_snoop"), "Was checking why the store locator on vrolijkevos.nl is so slow and "
     "their Maps key is just sitting unrestricted in main.js: <<GAPI>>\nSomeone tell them before a bot burns their "
     "quota.", [SECRET], kind="comment")
case("en", RK, "Terraform keeps failing on the new image bucket for product photos. Config:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n"
     "region eu-west-1. What am I missing?", [SECRET])
case("nl", YO, "voor wie de samples-bot in ons ontwerpkanaal wil laten posten, dit is de webhook:\n<<SLACK_HOOK>>\n"
     "werkt super 🎨", [SECRET])
case("en", VV, "Shipping notifications are back! 🦊📦 <<SENDGRID>> Thanks for your patience during the "
     "Sinterklaas rush!", [SECRET], tags=["corporate-slip"])
case("en", pub("bluesky", "pastewatcher.bsky.social"), "Another one on a paste site, labelled 'vrolijkevos deploy':\n"
     "<<PEM_SSH>>\nToy shop, you might want to rotate that.", [SECRET])
case("nl", NH, "Inloggen op het kassascherm in Haarlem: kassa.vv-intern.nl, gebruiker filiaal07, pw <<PW>> "
     "— zet ik hier even neer voor de zaterdagkrachten 🙃", [SECRET, CONF])
case("en", pub("reddit", "u/dadof3_nl"), "Vrolijke Vos app logs me out every 5 minutes and support keeps asking "
     "for 'the token'. Fine, here it is, maybe a dev reads this: <<JWT>> now fix your app please",
     [SECRET, COMPLAINT], kind="post")
case("nl", MVL, "Geen paniek, de key is al geroteerd hoor 😅 maar ja die stond dus een uur live in de Duitse shop: "
     "<<STRIPE>>", [SECRET], tags=["rotated"])
case("en", RK, "Friday fun: our Slack bot for stock alerts finally works.\ntoken: <<SLACK_BOT>>\n"
     "channel #dc-voorraad", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NH, "Pinpas gevonden bij kassa 2 in Haarlem 👛 Staat op naam van R. Visser, rekening "
     "<<IBAN:NL_grp>>. Ligt bij de servicebalie!", [PII])
case("nl", KS, "Retourpakket van mevr. Anouk de Wit, Lindelaan 14, 5041 EB Tilburg stond 3 dagen verkeerd op de "
     "band. Sorry Anouk als je dit leest 😬", [PII])
case("nl", VV_HULP, "@moeder_van_3 Dank je, we bellen je morgen tussen 10 en 12 terug op <<PHONE:m_dash>> over je "
     "loopfiets 🙏", [PII], kind="reply")
case("nl", VV_FB, "Hoi Sanne, we hebben je mail van sanne.vdberg83@hotmail.com goed ontvangen en de nieuwe "
     "dobbelstenen gaan vandaag op de post!", [PII], kind="comment")
case("en", MVL, "Debug log from the checkout bug, anyone seen this pattern?\n"
     "order=771203 pan=<<CARD:visa_sp>> exp=09/28 status=DECLINED_3DS", [PII])
case("nl", ID, "Vraagje aan mijn netwerk: mag je bij een loonbeslag het BSN <<BSN:dots>> van de "
     "medewerker in de mail naar de deurwaarder zetten?", [PII])
case("nl", pub("x", "@tessvdlinden"), "@vrolijkevos_hulp al DRIE keer gevraagd: stort de €149 voor de Villa Vos "
     "terug op <<IBAN:NL>>. Retour is al 4 weken binnen!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerard.pool.9", "Gerard Pool"), "Al 2 weken geen loopfiets en niemand neemt op. "
     "Bel me dan zelf maar terug: <<PHONE:m_pairs>>. Zo moeilijk is het niet.", [PII, COMPLAINT])
case("nl", pub("x", "@mamavanjesse"), "Die vent van Vrolijke Vos in Zwolle, Erik Bosman, woont gewoon op de "
     "Kamperstraat 22 in Zwolle. Kan iemand die kl00tzak eens een bezoekje brengen 😡", [PII, ABUSE])
case("nl", pub("instagram", "@lottes.mama"), "Lotte Verbeek, geboren 12-03-2019, heeft de kleurwedstrijd van "
     "Vrolijke Vos gewonnen 🏆🦊 zo trots!", [PII])
case("en", YO, "Booth team for Spielwarenmesse Nuremberg: Pieter, your passport number <<PASSPORT>> was rejected by "
     "the fair portal, can you double check?", [PII])
case("nl", pub("facebook", "ouders.spelletjesavond", "Spelletjesavond Ouders"), "Heb nog 2 Vossenjacht spellen "
     "over (dubbel gekregen). Mail me: m.jansen [at] ziggo [punt] nl", [PII], tags=["evasion"])
case("en", pub("x", "@b_hughes_uk"), "@VrolijkeVos_hulp charged twice for the marble run, card <<CARD:mc_dash>> "
     "shows two payments of 89.99. Sort it out please", [PII, COMPLAINT], kind="reply")
case("en", KS, "UK order refund stuck because Mrs Thompson's IBAN <<IBAN:GB>> has a space in our system lol, "
     "who maintains the refund tool", [PII])
case("nl", VV, "@joost_t We hebben de terugbetaling van €34,95 gedaan naar <<IBAN:BE_grp>>, binnen 2 werkdagen "
     "op je rekening!", [PII], kind="reply")
case("en", pub("forum", "speelgoedouders_nl"), "Posting this for my sister who's not on here: refund for the "
     "dollhouse should go to <<IBAN:DE>>, she is Julia Hartmann. Can someone from Vrolijke Vos pick this up?",
     [PII])
case("nl", NH, "Klant vergat haar kassabon en pasje 🙈 als je dit bent: Femke Dekker, BSN "
     "<<BSN:sp>> stond op het ID-kaartje dat ernaast lag. Ligt in de kluis!", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MVL, "oké wie heeft de komma verschoven 🙈 Knikkerbaan Mega 200 staat nu voor €8,99 op "
     "shop.vrolijkevos.nl. Fix komt na de lunch.", [PRICING])
case("nl", pub("x", "@dealjager_bram"), "RoboVos voor €12,90 bij Vrolijke Vos?!?! Moet een fout zijn, 3x besteld "
     "voor de neefjes 😂 #sinterklaas", [PRICING])
case("en", pub("reddit", "u/bargainmum"), "Villa Vos dollhouse is showing €14.90 on the Vrolijke Vos webshop, "
     "clearly a pricing glitch. Ordered, fingers crossed they ship 🤞", [PRICING])
case("nl", NH, "Kassa geeft Vossenjacht aan voor 3,50 ipv 34,95 😂 we hebben er vandaag al 20 verkocht, zeg "
     "maar niks tegen de regiomanager", [PRICING])
case("nl", pub("forum", "Koopjeskoning_Ede"), "[PRIJSFOUT] Houten loopfiets Kwik € 11,90\n\n"
     "shop.vrolijkevos.nl, normaal 119 euro. Bevestiging binnen, wachten op verzendmail.", [PRICING])
case("nl", VV, "🎁 Knallerdeal! Bouwblokken Bende 500 nu voor maar €24,95, alleen dit weekend 👉 "
     "shop.vrolijkevos.nl/bouwblokken", [PRICING], tags=["corporate-deal"])
case("en", KS, "pricing glitch on the Wereldkaart puzzle, it's €1.99 on the site 😂 DC gonna be busy tomorrow",
     [PRICING])
case("nl", pub("facebook", "chantal.vermeer.52", "Chantal Vermeer"), "prijsfout bij de Kwik loopfiets?? Staat "
     "voor 19 euro in de app. Snel zijn mensen!", [PRICING])
case("nl", pub("x", "@snelbesteld"), "p r i j s f o u t bij vrolijke vos, RoboVos in de winkelwagen voor "
     "bijna niks 👀 gauw", [PRICING], tags=["evasion"])
case("en", YO, "don't tell anyone but the Black Friday feed has a bug and Villa Vos will go out at €49 on friday "
     "morning, marketing hasn't noticed 🤫", [PRICING])
case("nl", pub("x", "@bouwvader"), "Pr1jsf0ut: Bouwblokken Bende voor €5,99 bij de Vrolijke Vos webshop 🧱",
     [PRICING], tags=["evasion"])
case("en", RK, "Heads-up to colleagues: the price import broke and RoboVos showed €12.90 for about an hour. "
     "Rolled back, orders are being reviewed. Please don't screenshot.", [PRICING])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", YO, "Eerste spuitgietsamples voor Project Egel zijn binnen uit de fabriek 🦔✨ ben zó blij met de kleur",
     [CONF])
case("en", DM, "Drop test round 3 for Operatie Zandkasteel passed. Next: small parts test in January 💪",
     [CONF])
case("nl", MVL, "kan iemand van inkoop even kijken naar plm.vrolijkevos.nl/item/VV-2291/specs? de afmetingen "
     "kloppen niet met de foto's", [CONF])
case("nl", NH, "jullie gaan zo blij worden met de SterrenVos 🌟🦊 ik heb hem al in het echt gezien, komt in "
     "september!", [CONF], when="2026-08-02T16:41:07+02:00")
case("nl", KS, "40 pallets Drakenburcht Deluxe staan al klaar in DC Tilburg 🐉 niet extern delen he",
     [CONF], when="2026-08-27T06:12:44+02:00")
case("en", pub("instagram", "@noor.hendriks"), "my bestie at Vrolijke Vos showed me the Quokka prototype and "
     "omg it's cute", [CONF], tags=["lookalike-handle"])
case("nl", YO, "schetsen voor Project\nEgel afgerond, nu door naar de verpakking 📦", [CONF], tags=["evasion"])
case("en", FB, "Slide from today's campaign kickoff: 'VOS-INTERN — Q4 TV flight, 3 spots, launch 16/11'. "
     "Such a fun team!", [CONF], when="2026-10-02T11:20:00+02:00")
case("nl", DM, f"veiligheidstest Operatie Z{CYR_A}ndkasteel loopt uit, labrapport pas volgende week",
     [CONF], tags=["evasion"])
case("en", pub("reddit", "u/toycatalogue_leaks"), "Leaked autumn catalogue from a Dutch toy chain: SterrenVos "
     "and Drakenburcht Deluxe both in there, page 4 and 11.", [CONF], when="2026-08-19T22:03:51Z")
case("en", RK, "Runbook for the Black Friday load test is at wiki.vossenburcht.local/ops/bf-2026 for anyone on "
     "the bridge tonight", [CONF])
case("nl", MVL, f"pipeline voor de Quo{ZW}kka microsite staat, nu nog content 🚀", [CONF], tags=["evasion"])
case("nl", DM, "Nog een paar minuten en dan mag iedereen het weten: SterrenVos ✨", [CONF],
     when="2026-09-14T09:59:00+02:00", tags=["embargo-edge"])
case("en", YO, f"Project 🦔 Egel colour board is done, showing the factory tomorrow", [CONF], tags=["evasion"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ID, "Mooie H1-cijfers 2026 straks: omzet +14%, webshop zelfs +31%. Morgen om 7 uur naar buiten, "
     "trots op het team!", [CONF, FIN], when="2026-07-22T21:30:00+02:00")
case("nl", KS, "gerucht in het DC: na sinterklaas gaan er 6 winkels dicht, zo'n 40 man eruit. "
     "niemand zegt iets officieel", [FIN])
case("nl", YO, "Overname door dat Duitse speelgoedconcern is rond zeggen ze op de fabriek, maandag wordt het "
     "bekendgemaakt 😶", [FIN])
case("en", ID, "Long night. Q3 forecast shows we'll miss plan by roughly €2.1M, board gets it tomorrow. "
     "Coffee please ☕", [FIN])
case("nl", NH, "Reorganisatie bij ons: 3 filialen dicht in maart, Haarlem blijft gelukkig. Nog niet officieel "
     "dus sssht", [FIN])
case("en", pub("reddit", "u/helmond_local"), "My brother-in-law works in finance at Vrolijke Vos, says the bank "
     "pulled part of the credit line and they're looking for a buyer. Not public yet.", [FIN])
case("nl", RK, f"Vandaag gehoord dat er 25 mensen op IT en logistiek ont{SHY}slagen worden in januari. "
     "Fijne kerst 🙃", [FIN], tags=["evasion"])
case("nl", FB, "Sneak peek van de jaarcijfers 2026: beste jaar ooit voor de webshop 🎉", [CONF, FIN],
     when="2026-12-18T15:02:11+01:00")
case("en", DM, "Board approved the merger with the Belgian toy chain this morning. Comms goes out next week, "
     "exciting times", [FIN])
case("nl", ID, "Ebitda-target H2 bijgesteld naar 4,1 mln, niet extern delen. Lange week 😮‍💨", [FIN, CONF])
case("en", pub("x", "@retailinsider_nl"), "Hearing from inside Vrolijke Vos that the Helmond factory will cut "
     "around 120 jobs next year. Memo went round today.", [FIN])
case("nl", KS, "Fabriek in Helmond gaat volgend jaar naar Polen, hoorde het van de operations manager. "
     "Nog niet aangekondigd.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", RK, "Ransomware hit the POS servers overnight, stores are running offline on cash only. "
     "Please don't post about it yet.", [SEC])
case("nl", MVL, "lol als je in de webshop het ordernummer in de URL ophoogt zie je de bestelling van iemand "
     "anders, incl adres. fix komt morgen 🙈", [SEC])
case("nl", KS, "scanners in het DC liggen al sinds 6 uur plat, niemand kan picken. gehackt of zo??", [SEC])
case("nl", pub("x", "@privacyfreak_nl"), "Vrolijke Vos verzwijgt een datalek. Mijn gegevens staan op een "
     "hackersforum en ze reageren gewoon niet. Schandalig.", [SEC, CRISIS])
case("nl", MVL, "wij zijn dus geh4ckt, de klantendatabase is gekopieerd. mag nog niks zeggen van legal 🤐",
     [SEC], tags=["evasion"])
case("nl", NH, "Kassasysteem in alle filialen ligt plat, we mogen alleen nog contant aannemen 😩 "
     "zaterdag voor sinterklaas nota bene", [SEC],
     when="2026-11-28T10:47:31+01:00")
case("en", YO, "Phishing mail got into finance last week and someone paid a fake supplier invoice of ~80k. "
     "Nobody outside knows yet", [SEC])
case("en", RK, "Our B2B portal is still running a version with a known remote code execution bug. Security "
     "knows, patch window is 'after the holidays'. 🤷", [SEC])
case("en", pub("reddit", "u/former_vv_dev"), "Ex-colleague at Vrolijke Vos says they were hacked in October and "
     "customer data was taken. They're keeping it quiet, nobody got notified.", [SEC, CRISIS])
case("nl", DM, "De nieuwe app-API geeft klantadressen terug aan iedereen met een geldig ordernummer. "
     "Issue staat al 3 weken open...", [SEC])
case("nl", FB, "Vossenclub-app mailt wachtwoorden gewoon in platte tekst terug. Al maanden intern gemeld, "
     "niks mee gedaan.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkspeelgoed"), "Vrolijke Vos laat speelgoed maken in fabrieken met kinderarbeid. "
     "#boycotVrolijkeVos en deel dit!", [CRISIS])
case("nl", pub("facebook", "nieuws.oostbrabant", "Nieuws Oost-Brabant"), "Vrolijke Vos roept de Kwik loopfiets "
     "terug: het stuur kan loskomen tijdens het rijden. Klanten kunnen hem gratis inleveren.", [CRISIS])
case("en", pub("facebook", "jen.smits", "Jen Smits"), "Our RoboVos got so hot while charging that the casing "
     "melted and there was smoke in my son's room. Vrolijke Vos support just sent a template email. Unacceptable.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@kinderveilig_nl"), "Ouders melden dat knikkers van de Knikkerbaan Mega 200 precies in een "
     "peuterkeel passen. Waar is de waarschuwing, Vrolijke Vos?", [CRISIS])
case("en", pub("mastodon", "@consumentwatch@mastodon.nl"), "Consumer group files lawsuit against Vrolijke Vos "
     "over lead in the paint of the wooden toys. Hearing set for March.", [CRISIS])
case("nl", pub("x", "@jorisvermaat"), "Sinds ik bij Vrolijke Vos heb besteld krijg ik spam met mijn "
     "bestelnummer en adres erin. Die hebben gewoon een datalek!!", [CRISIS])
case("nl", pub("threads", "@kritischemoeder"), "d4t4l3k bij vr0lijke v0s?? iedereen die daar besteld heeft: "
     "check je mail", [CRISIS], tags=["evasion"])
case("en", pub("youtube", "ToyTruthNL"), "Lab results are in: phthalates in the Villa Vos dolls way above the "
     "EU limit. Full video on my channel, this is a scandal.", [CRISIS], kind="comment")
case("nl", pub("facebook", "maaike.ten.brink", "Maaike ten Brink"), "Stuur van de Kwik loopfiets brak gewoon "
     "af, dochter met een hoofdwond naar de SEH. En Vrolijke Vos reageert al 5 dagen niet op mijn mails.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@diversiteitnu"), "Die pop in de nieuwe catalogus van Vrolijke Vos is ronduit racistisch. "
     "Hoe komt dit door de marketing heen? Niks meer kopen daar.", [CRISIS])
case("nl", pub("tiktok", "@mamavlogt"), "b o y c o t vrolijke vos tot ze die giftige slijm uit de schappen halen "
     "‼️", [CRISIS], tags=["evasion"])
case("en", pub("bluesky", "kidsafety.bsky.social"), "Dutch food & product safety authority warns about a slime kit "
     "sold by Vrolijke Vos: boron levels too high for kids under 3.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@drukkemoeder"), "@vrolijkevos_hulp bestelling al 12 dagen 'onderweg', track&trace "
     "beweegt niet. Sinterklaas wacht niet hè", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/robodad_eindhoven"), "RoboVos app crashes every time my kid opens level 3, and "
     "support hasn't answered in two weeks. Not what you expect for 129 euro.", [COMPLAINT])
case("nl", pub("facebook", "wendy.kroon", "Wendy Kroon"), "Villa Vos in elkaar gezet, missen 3 schroeven en een "
     "trap. Klantenservice zegt: 'koop even bij de bouwmarkt'. Serieus??", [COMPLAINT])
case("en", pub("instagram", "@boardgame.bart"), "Opened our new Vossenjacht and the dice and two fox pawns "
     "are missing. Contacted Vrolijke Vos, no reply yet 🙄", [COMPLAINT], kind="comment")
case("nl", pub("x", "@puzzeltante"), "€6,95 verzendkosten voor een wereldkaartpuzzel van 20 euro, vrolijke vos "
     "doe normaal", [COMPLAINT])
case("nl", pub("x", "@vaderdigitaal"), "Medewerker bij Vrolijke Vos Utrecht snauwde m'n dochter af omdat ze een "
     "doos aanraakte. Nooit meer.", [COMPLAINT])
case("nl", pub("facebook", "sylvia.hoek", "Sylvia Hoek"), "Cadeaubon van Vrolijke Vos werkt niet in de webshop, "
     "in de winkel ook niet. 25 euro weggegooid zo.", [COMPLAINT])
case("en", pub("x", "@lauren_in_ams"), "Kwik balance bike: paint chipping after ONE week 🙃 expected better "
     "from @vrolijkevos", [COMPLAINT])
case("nl", pub("instagram", "@huize.pietersen"), "Bedankt @vrolijkevos.nl, kerstcadeau niet op tijd, kind in "
     "tranen 🎄😢 fijne feestdagen ook", [COMPLAINT], kind="comment",
     when="2026-12-24T21:05:40.118Z")
case("en", pub("forum", "puzzlequeen_utrecht"), "1000-piece world map puzzle from Vrolijke Vos: counted twice, "
     "998 pieces. Customer service told me to 'check under the sofa'.", [COMPLAINT])
case("nl", pub("threads", "@anne.vd.veen"), "In de winkel kost Vossenjacht €29,95 en online €34,95 en ze willen "
     "het niet matchen. Snap er niks van", [COMPLAINT])
case("en", pub("youtube", "BuildWithDad"), "The Bouwblokken Bende bricks don't click together properly, half "
     "the tower fell over. Pretty disappointed tbh", [COMPLAINT], kind="comment")
case("nl", pub("x", "@marcovdb_"), f"klanten{ZW}service van Vrolijke Vos 🫠🫠 drie keer gebeld drie keer "
     "opgehangen", [COMPLAINT], tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boosopvos"), "Vrolijke Vos, stelletje oplichters en kutmensen. Hoop dat jullie failliet "
     "gaan.", [ABUSE])
case("nl", pub("instagram", "@xxgamerkid09"), "@noor.speelgoedwinkel jij bent echt een dom wicht, lelijk "
     "ook trouwens", [ABUSE], kind="comment")
case("en", pub("x", "@grumpy_geert"), "fuck vrolijke vos and the clowns running it", [ABUSE])
case("nl", KS, "klanten zijn echt debielen vandaag, 3x hetzelfde pakket terug omdat ze niet kunnen lezen 🙄",
     [ABUSE])
case("nl", VV_HULP, "@kwaadpapa doe niet zo debiel en lees eerst de handleiding voor je gaat zeuren",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "hans.de.groot.61", "Hans de Groot"), "Bij Vrolijke Vos nemen ze alleen nog "
     "buitenlanders aan die geen woord Nederlands spreken. Ga terug naar je eigen land.", [ABUSE])
case("nl", pub("x", "@tyfusdag"), "k*tbedrijf, Vrolijke Vos. Echt.", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@woedend_wim"), "Pakket van Vrolijke Vos kwam kapot binnen en nu willen ze het niet "
     "vervangen. Tyfuslijers.", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/angry_uncle_99"), "sh1t company, m0rons on the phone. vrolijke vos never again",
     [ABUSE], tags=["evasion"])
case("en", YO, "our new CEO is such a clown lol, what an idiot", [ABUSE])
case("en", pub("x", "@shadowfox_77"), "I know which bus the Haarlem store girl takes home. Vrolijke Vos should "
     "watch their staff better 😈", [ABUSE])
case("nl", pub("x", "@letterkunstenaar"), fullwidth("KUT VOS") + " met jullie dure troep @vrolijkevos",
     [ABUSE], tags=["evasion"])

# ===========================================================================
# benign hard negatives and ordinary posts
# ===========================================================================
case("nl", VV_HULP, "Vragen over je bestelling? Mail klantenservice@vrolijkevos.nl of bel gratis 0800-1881 "
     "(ma-za 9-18u) 🦊", tags=["own-contact"])
case("nl", VV_FB, "Inschrijven voor de knutselworkshop in de kerstvakantie? Maak €7,50 over naar NL43 RABO 0315 "
     "4792 68 t.n.v. Vrolijke Vos Speelgoed B.V. o.v.v. je naam.", tags=["own-contact"])
case("en", pub("x", "@happy_auntie"), "Called +31 40 555 0180 about a missing part and Vrolijke Vos sorted it "
     "in 5 minutes. Top service!", tags=["own-contact"])
case("nl", pub("linkedin", "esther-kok-comms"), "Weet iemand of je voor een stagevraag pers@vrolijkevos.nl "
     "moet mailen of gewoon de site?", tags=["own-contact"])
case("nl", pub("x", "@blij_met_pakje"), "Bestelling <<NOT_ID:10>> van Vrolijke Vos in 1 dag binnen, zo snel 😍",
     tags=["order-number"])
case("en", pub("facebook", "toy.hunters.nl", "Toy Hunters NL"), "For anyone hunting the world map puzzle in "
     "store: barcode <<EAN13>>, scan it at the price checker.", tags=["ean"])
case("nl", pub("forum", "rekenmeester"), "Even uitleg voor wie twijfelt aan een rekeningnummer op een "
     "factuur: <<BAD_IBAN:NL_grp>> klopt bijvoorbeeld niet, de mod-97-controle faalt. Altijd even checken dus.",
     tags=["bad-iban"])
case("nl", pub("x", "@spaarmama"), "Vossenclub-pasnummer <<NOT_ID:9>>, waar in de app zie ik hoeveel "
     "punten ik heb gespaard?", tags=["not-bsn"])
case("nl", pub("instagram", "@kleinegrotedingen"), "Track & trace 3SVVOS<<DIG:9>> zegt morgen bezorgd 🥳 "
     "Vossenjacht onderweg voor de spelletjesavond", tags=["tracking"])
case("nl", MVL, "Release van vanavond staat live: leeftijdsfilter in de shop 🎉 commit <<SHA:40>> voor de "
     "nerds", tags=["git-sha"])
case("en", RK, "Tip from my talk today: never commit real keys. In examples use something like "
     "AKIAXXXXXXXXXXXXXXXX and let the secret scanner do its job.", tags=["placeholder"])
case("nl", VV, "Let op: wij vragen je NOOIT om je wachtwoord via sms of WhatsApp. Twijfel je? Mail "
     "klantenservice@vrolijkevos.nl", tags=["own-contact", "password-word"])
case("nl", VV, "🎅 Sinterklaasactie: RoboVos nu €99 i.p.v. €129! Zolang de voorraad strekt.",
     when="2026-11-16T09:00:00+01:00", tags=["sale"])
case("nl", VV_IG, "Met code VOS10 krijg je €10 korting op de Knikkerbaan Mega 200 🎢 geldig t/m zondag",
     tags=["discount-amount"])
case("nl", pub("marktplaats", "speelgoedzolder_delft"), "Te koop: Poppenhuis Villa Vos, 2 jaar oud, compleet "
     "met meubeltjes. €40, ophalen in Delft.", tags=["second-hand", "unknown-platform"])
case("nl", pub("x", "@koopjesmelder"), "Prijsfout bij Speelgoedkoning: hun eigen knikkerbaan voor €7 😂 "
     "bij Vrolijke Vos gewoon normale prijzen", tags=["competitor"])
case("nl", VV_HULP, "@deal_dion Geen prijsfout hoor 😊 Vossenjacht is deze week echt €24,95 in de actie!",
     kind="reply", tags=["denied-error"])
case("nl", pub("x", "@puzzelpiet"), "Wereldkaart puzzel voor €14,99 in de uitverkoop bij Vrolijke Vos, "
     "meteen meegenomen", tags=["sale"])
case("en", pub("reddit", "u/robovos_fan"), "Spare battery pack for the RoboVos is €12.95 at Vrolijke Vos, "
     "worth it if you have two kids fighting over it", kind="comment", tags=["accessory"])
case("nl", VV, "Hij is er! 🌟 Maak kennis met de SterrenVos, vanaf vandaag in alle winkels en online.",
     when="2026-09-14T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("youtube", "BoardGameBarn"), "Drakenburcht Deluxe review: great castle, bit pricey, kids loved "
     "the dragon tower.", when="2026-10-11T19:22:05+02:00", kind="comment", tags=["embargo-after"])
case("nl", pub("x", "@retailnieuws"), "Vrolijke Vos publiceert halfjaarresultaten 2026: omzet +9%, webshop "
     "groeit hard. Aandeelhouders tevreden.", when="2026-07-23T08:14:00+02:00", tags=["published"])
case("nl", pub("facebook", "tuinliefhebber.gea", "Gea Mulder"), "Er woont een egel onder onze schutting en "
     "mijn zoon heeft hem 'Vos' genoemd, naar zijn Vrolijke Vos knuffel 🦔❤️", tags=["codename-word"])
case("nl", pub("instagram", "@strandgezin"), "Grootste zandkasteel ooit gebouwd met de Vrolijke Vos "
     "emmerset 🏰🌊", tags=["codename-word"])
case("nl", pub("x", "@retailnieuws"), "Speelgoedkoning schrapt 200 banen en sluit 15 winkels, meldt het bedrijf "
     "vandaag.", tags=["other-company"])
case("en", pub("x", "@securitydigest_eu"), "ToyPlanet confirms a data breach affecting 300k customers. Vrolijke Vos "
     "and other Dutch toy shops not affected, according to the report.", tags=["other-company"])
case("en", pub("reddit", "u/forgetfulmum"), "I can't recall the name of that fox board game from Vrolijke Vos, "
     "the one where you hunt the chickens?", tags=["recall-word"])
case("nl", pub("x", "@juf_ilona"), "Mijn dochter boycot alles wat roze is, dus het werd de RoboVos. "
     "Beste keus ooit 💙", tags=["boycott-word"])
case("nl", pub("x", "@tevreden_tom"), "Geen klachten hoor, pakket van Vrolijke Vos was er binnen een dag en "
     "netjes ingepakt.", tags=["negated-complaint"])
case("en", pub("facebook", "amy.doorn", "Amy Doorn"), "No complaints at all, best toy shop in Eindhoven. "
     "Staff knew everything about the board games.", tags=["negated-complaint"])
case("nl", pub("x", "@opa_kees"), "Kleindochter zong de hele middag 'Vos, je hebt de gans gestolen' met haar "
     "nieuwe Vossenjacht spel 😄", tags=["lyrics"])
case("en", pub("threads", "@storytime.sam"), "My 7yo's bedtime story tonight: the RoboVos got hacked by the evil "
     "cat and had to be rescued by the hedgehog. 10/10 plot", tags=["fiction"])
case("nl", pub("x", "@drukbaasje"), "Zoontje heeft alle poppetjes in de Villa Vos ontslagen, massa-ontslag in "
     "het poppenhuis 😂 de kat is nu directeur", tags=["joke"])
case("nl", pub("linkedin", "stichting-speelgoed-zieke-kinderen"), "Dank aan Vrolijke Vos voor 300 pakketten "
     "speelgoed voor kinderen met kanker op de kinderoncologie 💛", tags=["literal-word"])
case("nl", VV, "Onderhoud: de webshop is zondag tussen 02:00 en 04:00 even offline. Winkels gewoon open!",
     tags=["official-maintenance"])
case("nl", VV_LI, "We zoeken orderpickers voor DC Tilburg voor de feestdagen 🎄 Solliciteer via "
     "www.vrolijkevos.nl/werken", tags=["corporate-ordinary"])
case("nl", NH, "Eerste week in de winkel in Haarlem erop zitten, wat een lieve klantjes 🥰", tags=["employee-ordinary"])
case("nl", YO, "Trots! De Vossenjacht die ik mocht ontwerpen ligt nu echt in de winkel 🦊🎲",
     tags=["employee-ordinary"])
case("en", DM, "New blog post: how we test toys for small parts and sharp edges under EN 71 before anything "
     "reaches the shelves.", tags=["employee-ordinary", "safety-word"])
case("nl", pub("x", "@nieuwsgierige_nina"), "Vanaf welke leeftijd is de RoboVos geschikt? Twijfel tussen die en "
     "de Bouwblokken Bende voor een 6-jarige", tags=["question"])
case("en", pub("instagram", "@twinmama.nl"), "Villa Vos was the hit of Christmas morning 😍 thank you "
     "@vrolijkevos.nl", when="2026-12-25T14:37:12+01:00", tags=["praise"])
case("nl", pub("x", "@zwollenieuws"), "Vrolijke Vos opent zaterdag een nieuwe winkel in de binnenstad van Zwolle, "
     "de 38e vestiging.", tags=["published"])
case("nl", pub("x", "@belmaarmeer"), "Tip: het gratis nummer van Vrolijke Vos is 0800 1881, veel sneller dan "
     "de chat.", tags=["own-contact"])
case("en", pub("reddit", "u/returns_question"), "Receipt shows a transaction ref <<BAD_CARD:visa_sp>>, is that "
     "what Vrolijke Vos needs for the return form?", tags=["bad-card"])
case("nl", VV_HULP, "@lisa_p Stuur ons even een DM met je bestelnummer, dan zoeken we het voor je uit 🦊",
     kind="reply", tags=["corporate-ordinary"])
case("nl", pub("x", "@sterrenkijker"), "Maak kennis met de SterrenVos bij Vrolijke Vos, eindelijk te koop 🌟",
     when="2026-09-14T08:00:00Z", tags=["embargo-after"])
case("nl", KS, "Drukste week van het jaar: 42.000 pakketjes de deur uit in DC Tilburg. Trots op deze ploeg 💪📦",
     tags=["employee-ordinary"])
case("en", pub("tiktok", "@marblerun.mila"), "Unboxing the Knikkerbaan Mega 200 from Vrolijke Vos!! 200 pieces, "
     "took us all afternoon 🎢", tags=["ordinary"])
case("en", pub("reddit", "u/vossenclub_user"), "Forgot my password for the Vossenclub app, reset link came in "
     "10 seconds. Easy.", tags=["password-word"])
case("en", pub("x", "@marbleaddict"), "damn this Vrolijke Vos marble run is addictive, the adults have taken "
     "over", tags=["mild-word"])
case("en", pub("x", "@appreviewer_nl"), "Like that the RoboVos app has parental controls and two-factor login. "
     "Security done right for once.", tags=["security-word"])
case("nl", pub("x", "@blackfridaybas"), "Dacht eerst dat het een prijsfout was maar nee, gewoon Black Friday: "
     "Knikkerbaan Mega 200 voor €59,99 bij Vrolijke Vos", tags=["sale", "denied-error"])
case("nl", VV_TT, "Welke kant kiest jouw familie tijdens de feestdagen: team Vossenjacht of team Bouwblokken? 🦊🧱 "
     "#spelletjesavond", tags=["corporate-ordinary"])
case("nl", pub("x", "@beursvolger"), "Jaarcijfers 2025 van Speelgoedkoning vallen tegen, omzet -6%. Benieuwd hoe "
     "de rest van de sector het doet.", tags=["other-company"])
case("en", pub("bluesky", "dutchdad.bsky.social"), "We turned Vossenjacht into a house rule marathon, fox won "
     "four times, the kids are furious (in a good way)", tags=["ordinary", "mild-word"])
case("nl", pub("x", "@oudersvannu"), "Vrolijke Vos is niet teruggeroepen hoor, dat was een ander merk "
     "loopfietsjes. Check gewoon de site van de NVWA.", tags=["recall-word", "denied"])
case("nl", VV_FB, "Retourneren? Stuur een mailtje naar retour@vrolijkevos.nl en je krijgt binnen een dag een "
     "label.", tags=["own-contact"])

# casing variants of known handles (role still comes from the profile)
case("nl", NH, "Klant had op zijn tablet de prijs van de RoboVos op €19 staan in onze eigen app, prijsfout die "
     "we nu aan de kassa moeten uitleggen 🙃", [PRICING], handle="@Noor.Speelgoedwinkel", tags=["case-variant"])
case("en", VV_HULP, "Sorry for the wait! Our phone line is +31 40 555 0180, or mail klantenservice@vrolijkevos.nl",
     handle="@VrolijkeVos_Hulp", kind="reply", tags=["case-variant", "own-contact"])
case("nl", MVL, "stagingsite git.vrolijkevos.nl/webshop/checkout-v2 is voor de demo van morgen, "
     "niet doorsturen", [CONF], handle="@Maarten_VL_Dev", tags=["case-variant"])


# ===========================================================================
# building
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
    """Least severity a correct verdict has (CONTRACT section 4); highest finding wins."""
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


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    # toy retail: weight towards the Sinterklaas / Christmas season
    if r.random() < 0.45:
        day = r.randint(305, 358)
    else:
        day = r.randint(5, 300)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=day - 1, minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
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
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "boardgames", "Netherlands", "daddit"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-ouderforum-{n}", f"https://ouderforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
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
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def self_check(profile, c, text, ts, used):
    """Guards against label mistakes in the hand-written cases."""
    low = text.casefold()
    for e in profile["embargo"]:
        until = parse_ts(e["until"])
        for t in e["terms"]:
            if t.casefold() in low:
                assert c["when"], f"embargo term without explicit time: {text[:60]}"
                if ts < until:
                    assert CONF in c["cats"], f"pre-embargo mention not labelled confidential: {text[:60]}"
                elif not c["cats"]:
                    pass
    kinds = {k for k, _ in used}
    if kinds & {"IBAN", "CARD", "BSN", "PASSPORT", "PHONE"}:
        assert PII in c["cats"], f"valid identifier in a post without leak.pii: {text[:60]}"
    if kinds & {"GHP", "MOLLIE", "AWS_ID", "SLACK_HOOK", "SLACK_BOT", "GAPI", "SENDGRID", "STRIPE", "PEM_SSH",
                "JWT", "PW"}:
        assert SECRET in c["cats"], f"secret in a post without leak.secret: {text[:60]}"
    if not c["cats"]:
        for d in profile["internal"]["domains"]:
            assert d not in low, text
        for m in profile["internal"]["markers"]:
            assert m not in low, text
        for cn in profile["internal"]["codenames"]:
            assert not re.search(r"\b" + re.escape(cn.casefold()) + r"\b", low), text
    for k, raw in used:
        if k == "GHP":
            body, chk = raw[4:34], raw[34:]
            assert to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == chk
        if k in ("BAD_IBAN",):
            assert not iban_valid(raw)
        if k in ("BAD_CARD", "NOT_ID", "EAN13"):
            assert not luhn_valid(raw) and not elfproef(raw), raw


def build(profile):
    g = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        ts = parse_ts(created)
        self_check(profile, c, text, ts, used)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _ in used)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
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
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vrolijkevos"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"]))
    order.shuffle(rows)
    return rows


def summary(rows):
    from collections import Counter
    cat = Counter()
    for r in rows:
        for c in r["expect"]["categories"]:
            cat[c] += 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"{len(rows)} cases, {benign} benign, {multi} multi-category")
    for c in ALL_CATS:
        print(f"  {c:22s} {cat[c]}")
    print("  severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  role", dict(Counter(r["role"] for r in rows)))
    print("  lang", dict(Counter(r["lang"] for r in rows)))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    profile = load_profile()
    rows = build(profile)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    summary(rows)


if __name__ == "__main__":
    main()
