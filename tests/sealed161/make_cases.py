#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set sealed161.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

The company is the fictional mobile-network operator "Orvana Telecom B.V."
(profile.yaml). Texts are hand-written in the CASES list; identifiers and secrets
are filled in from <<KIND:fmt>> placeholders by one seeded RNG. Positives get
checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); hard negatives get
look-alikes that fail their check. Secrets are random and fake but shaped like the
real ones (GitHub and npm tokens carry a correct CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role from profile.yaml (platform:handle, case-insensitive), the
categories, and whether a checksum-valid IBAN, card or BSN is in the post.
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
from pathlib import Path

SEED = 161_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u041e"  # Cyrillic capital O, looks like Latin O
CYR_a = "\u0430"  # Cyrillic small a


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return bool(digits) and total % 10 == 0


def luhn_complete(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and total != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def crc_token(prefix, body):
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL25INGB0007351200"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, first_nonzero=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if first_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def group4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        bank = self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO", "RBRB"])
        while True:
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "30050110", "60050101", "76026000"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["001", "063", "310", "735", "091"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + self.digits(14))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
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
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_c": f"+316{d8}",
                "mob_intl0": f"+31 (0)6 {d8}",
            }[fmt]
        area = self.r.choice(["10", "15", "20", "30", "40", "43", "50", "53", "70", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    def jwt(self):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        payload = {"sub": "prt_" + self.digits(7, True), "iss": "partners.orvana.nl", "scope": "dealer:orders",
                   "iat": iat, "exp": iat + 7 * 86400}
        p = b64url(json.dumps(payload, separators=(",", ":")).encode())
        return f"{header}.{p}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind == "GHP":
            shown = raw = crc_token("ghp_", gen.chars(ALNUM, 30))
        elif kind == "NPM":
            shown = raw = crc_token("npm_", gen.chars(ALNUM, 30))
        elif kind == "GLPAT":
            shown = raw = "glpat-" + gen.chars(B64URL, 20)
        elif kind == "AWS_ID":
            shown = raw = "AKIA" + gen.chars(B32, 16)
        elif kind == "AWS_SECRET":
            shown = raw = gen.chars(B64, 40)
        elif kind == "SLACK_BOT":
            shown = raw = f"xoxb-{gen.digits(12, True)}-{gen.digits(13, True)}-{gen.chars(ALNUM, 24)}"
        elif kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = (f"https://hooks.slack.com/services/T{gen.chars(up, 8)}/"
                           f"B{gen.chars(up, 10)}/{gen.chars(ALNUM, 24)}")
        elif kind == "STRIPE":
            shown = raw = "sk_live_" + gen.chars(ALNUM, 24)
        elif kind == "GAPI":
            shown = raw = "AIzaSy" + gen.chars(B64URL, 33)
        elif kind == "JWT":
            shown = raw = gen.jwt()
        elif kind == "PEM_OPENSSH":
            shown = raw = gen.pem_openssh()
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.chars("0123456789abcdef", int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
O_NL = ("x", "@orvana_nl", "Orvana")
O_HELP = ("x", "@orvana_helpt", "Orvana Klantenservice")
O_IG = ("instagram", "@orvana.mobiel", "Orvana Mobiel")
O_LI = ("linkedin", "orvana-telecom", "Orvana Telecom B.V.")
O_FB = ("facebook", "OrvanaMobiel", "Orvana Mobiel")
O_TT = ("tiktok", "@orvana", "Orvana")
O_SB = ("x", "@snelbel", "Snelbel")
# employees
MVL = ("x", "@mvanleeuwen_orv", "Marloes van Leeuwen")         # radio/network engineer
DK = ("linkedin", "dennis-kok-orvana", "Dennis Kok")            # app developer
YS = ("x", "@yara.shop.ehv", "Yara Smit")                       # shop Eindhoven
IM = ("linkedin", "ingrid-meijer-orvana", "Ingrid Meijer")      # finance controller
BN = ("bluesky", "bram-noc.bsky.social", "Bram Hoekstra")       # network operations centre
LO = ("threads", "@lotte.orvana", "Lotte Dijkman")              # marketing
KK = ("reddit", "u/kabelkees_orv", "kabelkees_orv")             # IT operations
SV = ("x", "@sem_verkoop", "Sem Visser")                        # shop Rotterdam, sales
NB = ("linkedin", "noor-bakker-orvana", "Noor Bakker")          # HR


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """One labelled case. hint overrides the lang field ('' = leave it out)."""
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", SV, "jongens de Nova 5G staat in onze eigen webshop voor €42,90 😭 er is ergens een nul "
     "weggevallen. heb er vanochtend al drie aan de balie 'verkocht' voordat iemand het doorhad", [PRICING])
case("en", LO, "whoever scheduled the spring promo: Sim Only Onbeperkt is LIVE at €3,25/month instead of €32,50 "
     "and the campaign mails already went out. marketing channel is on fire rn 🔥🔥", [PRICING], kind="reply")
case("nl", YS, "Bij ons filiaal scant de Thuisbox 5G als een oplaadkabel, dus klanten rekenen €14,99 af. "
     "Iemand heeft de artikelcodes verwisseld, wij mogen niks zeggen tot het hersteld is 🙊", [PRICING])
case("nl", pub("reddit", "u/zomerdeals_nl"), "PSA: Reispas Wereld staat in de app voor €1,99 (normaal 19,99). "
     "Lijkt me een prijsfout, maar voor je zomervakantie zou ik snel zijn", [PRICING])
case("en", pub("x", "@jaydenplays"), "lmaooo orvana is selling the Nova 5G for 89 euro on their site rn, "
     "gotta be a glitch. ordered two 🏃‍♂️💨", [PRICING])
case("nl", pub("forum", "Gijs_uit_Ede"), "T h u i s b o x  5G voor €29,- in de Orvana webshop!!\n\nscreenshot in de "
     "bijlage, bestelling ging door. gok dat ze gaan annuleren maar proberen kan altijd",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", DK, "Friday retro, because transparency matters: a staging price file was promoted to production and "
     "the Orvana Nova 5G showed €4.29 for roughly twenty minutes. Rolled back, orders are being reviewed. "
     "Lessons learned below 👇 #engineering", [PRICING])
case("nl", pub("facebook", "ria.vandijk.33", "Ria van Dijk"), "In de Orvana winkel in Zwolle vertelde de verkoper "
     "dat de Sim Only 10GB per ongeluk voor €1,25 per maand in het systeem stond. Weet iemand of dat nog werkt?",
     [PRICING])
case("en", pub("tiktok", "@budgetbae.nl"), "0rvana price glitch 🚨 Sim Only 10GB for €2.50 a month, link in bio "
     "b4 they fix it #deal #simonly", [PRICING], tags=["evasion", "evasion:leet"])
case("en", KK, "Can confirm from the inside: the Thuisbox 5G at €49 is a pricing error, not a promo. Finance is "
     "losing it but orders are being honoured for now.", [PRICING], kind="comment")
case("nl", pub("instagram", "@noa.x.lifestyle"), "😱😱 Nova5G voor €129 bij Orvana?? dat kan toch niet kloppen, "
     "die kost normaal ruim 400", [PRICING])
case("nl", O_SB, "🔥 NIEUW bij Snelbel: Sim Only Onbeperkt voor maar €5 per maand! Alleen deze week, "
     "op = op. #snelbel", [PRICING])
case("en", pub("threads", "@lukas.on.tour"), "just landed in Bali and the Orvana app offers me the Reispas for "
     "0.99€?? is that a bug or a real deal, normally like 20 bucks", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DK, "Shipped the new shop finder in the Orvana app 🎉 Built it in two sprints with a great team. "
     "Config for the curious:\n\nMAPS_API_KEY=<<GAPI>>\nDEFAULT_ZOOM=12\n\n#android #kotlin", [SECRET])
case("en", KK, "boto3 keeps throwing AccessDenied on the billing export bucket, what am i missing?\n\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-central-1",
     [SECRET], kind="post")
case("nl", MVL, "wie heeft het wachtwoord van de dashboard-tv in de meldkamer veranderd? het was <<PW>> en nu "
     "kom ik er niet meer in 😤", [SECRET])
case("nl", DK, "Oeps, token stond in een publieke gist. Is al ingetrokken hoor, maar voor de volledigheid: "
     "<<GHP>> #devlife", [SECRET])
case("en", pub("x", "@sec_ruben"), "found a live Stripe key in the Orvana Android app bundle 🙃 <<STRIPE>> "
     "@orvana_helpt you may want to rotate that", [SECRET], kind="reply")
case("en", BN, "pasting the alert webhook here so @kabelkees can wire up the cell-site alarms: <<SLACK_HOOK>>",
     [SECRET], kind="reply")
case("nl", KK, "waarom krijg ik een timeout op de provisioning db?\n"
     "postgresql://sim_prov:<<PW>>@db-prov-02.corp.orvana.local:5432/simcards\nvanaf thuis via vpn", [SECRET, CONF])
case("nl", LO, "bot-token voor de stagiair zodat hij de socials-alerts kan lezen: <<SLACK_BOT>> "
     "niet doorsturen aub 🙏", [SECRET], kind="reply")
case("en", pub("forum", "hexhound"), "Orvana's dealer portal still embeds a long-lived token in the page source, "
     "copied it this morning:\n<<JWT>>\nNo idea why it's not expired yet.", [SECRET])
case("nl", DK, "Kan iemand zien waarom de buildserver deze key weigert? Permissions staan goed volgens mij\n\n"
     "<<PEM_OPENSSH>>", [SECRET], kind="comment")
case("nl", pub("x", "@ex_verkoper_jb"), "Lachen: mijn oude Orvana kassa-login werkt nog steeds, ww <<PW>> is in "
     "twee jaar nooit veranderd 😂", [SECRET])
case("nl", YS, "wifi voor de demotoestellen in de winkel, netwerk ORV-SHOP-EHV, w8woord <<PW>> "
     "(voor de collega's van de invalpool)", [SECRET], tags=["evasion", "evasion:leet"])
case("en", DK, "npm publish of our design-system package fails with 403, this is my .npmrc:\n"
     "//registry.npmjs.org/:_authToken=<<NPM>>\nany ideas?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YS, "Klant heeft het overstapformulier met haar BSN <<BSN>> er gewoon op laten liggen en is al weg. "
     "Ligt nu achter de kassa, hopelijk komt ze terug", [PII])
case("nl", SV, "meneer wilde z'n Nova afbetalen met kaart <<CARD:visa_sp>> maar die werd 3x geweigerd, "
     "uiteindelijk toch maar automatische incasso 😅", [PII])
case("nl", O_HELP, "Hoi Sandra, je aanvraag is doorgezet naar onze specialisten. We bellen je morgen tussen "
     "14:00 en 16:00 terug op <<PHONE:mob_dash>>. ^Tim", [PII], kind="reply")
case("nl", O_FB, "Beste Karel, de terugbetaling van €48,20 voor je dubbele factuur staat klaar en gaat naar "
     "<<IBAN_NL:grp>>. Houd rekening met 3 tot 5 werkdagen.", [PII], kind="comment")
case("en", NB, "Big congratulations to Jesse de Graaf, 40 today! 🎂 Born 2 May 1986 and still our fastest "
     "ticket closer. Cards welcome at his place, Kerkstraat 12 in Amersfoort 🎉", [PII])
case("en", KK, "ticket dump from the CRM, is this a duplicate or two customers?\n"
     "name: T. Oosterhuis | mail: t.oosterhuis@kpnmail.nl | iban: <<IBAN_DE>> | plan: SIMUNL", [PII])
case("nl", MVL, "Als iemand van field service in de buurt is: mevrouw J. Hendriks, Dorpsweg 44 in Wijhe, zit al "
     "drie weken zonder bereik en belt elke dag. Misschien even langs?", [PII])
case("en", SV, "customer left her email at the counter for the trade-in quote: m.ozturk [at] hotmail [dot] com, "
     "whoever from the Rotterdam shop has time, pls mail her back", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("x", "@femkevos_"), "@orvana_helpt mijn nummer <<PHONE:mob_intl_sp>> is al twee dagen dood na het "
     "overzetten naar eSIM. Geen bellen, geen data. Bel me aub terug!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "henk.brouwer.1961", "Henk Brouwer"), "Waarom is er deze maand twee keer afgeschreven "
     "van mijn rekening <<IBAN_NL>> ?? Klantnummer <<NOT_BSN8>>. Graag vandaag nog terugstorten, ik ben er klaar mee.",
     [PII, COMPLAINT])
case("en", pub("reddit", "u/throwaway_ut"), "the guy who yelled at my mum in the Orvana store at Utrecht Centraal is "
     "Kevin Brouwer, lives at Biltstraat 210. go tell him at his door what you think of him", [PII, ABUSE])
case("en", pub("instagram", "@mila.travels"), "new card arrived just in time to pay the Orvana roaming bill lol "
     "<<CARD:mc2_dash>> exp 09/29 never going to Switzerland again 💸", [PII, COMPLAINT])
case("nl", pub("x", "@kritische_kees"), "Orvana wil bij een simpel abonnement mijn BSN hebben?? <<BSN:dots>> staat "
     "gewoon op m'n ID, waarom moeten jullie dat opslaan. Belachelijk.", [PII, COMPLAINT])
case("nl", pub("forum", "pa_van_daan"), "Heb het sim-only contract overgezet op mijn zoon, Daan Willems, geboren "
     "03-11-2008. Moet ik dat nog ergens bij Orvana doorgeven of gaat dat vanzelf?", [PII])
case("en", pub("threads", "@lucas.fdz"), "@orvana still waiting on my refund after 6 weeks. email me at "
     "lucas.fernandes92@gmail.com since nobody answers the phone", [PII, COMPLAINT])
case("nl", pub("x", "@opa_gerrit"), "Orvana, bel me nou eens terug op <<PHONE:land_sp>>. Derde keer dat ik erom "
     "vraag en nog steeds niks gehoord", [PII, COMPLAINT])
case("nl", pub("x", "@sabrina_k"), "In de Orvana winkel hebben ze m'n paspoort gescand, nummer NW8KR2LD6, is dat "
     "normaal voor een abonnement? Voelt niet helemaal lekker", [PII])
case("nl", pub("facebook", "jens.peeters.be", "Jens Peeters"), "Voor wie meebetaalt aan de familiebundel: stort je "
     "deel voor de 1e op <<IBAN_BE>> (Jens). Orvana familiebundel blijft top trouwens 👌", [PII], hint="")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LO, "Ik kan echt niet wachten tot jullie Project Meridiaan zien 🤫 maanden aan gewerkt met het "
     "hele team, dit gaat de markt op zijn kop zetten", [CONF])
case("en", DK, "Proud of the squad on Operatie Noorderlicht: the rebuilt app core passed its first internal "
     "beta today. Onwards! 🚀", [CONF])
case("nl", MVL, "grafana op ran-mon.noc.orvana.net is weer stroop, wie draait er een query over 90 dagen?? 🐌",
     [CONF], handle_as="@MvanLeeuwen_ORV")
case("en", KK, "how do i get SSO working on jira.orvana.io from my home laptop, keeps looping back to login",
     [CONF], kind="post")
case("nl", SV, "Eindelijk, in september komt Orvana Unlimited Max. Echt onbeperkt, ook in de EU, met 5G SA "
     "🔥 ik ga hem zo hard verkopen", [CONF], when="2026-09-15T09:59:00+02:00")
case("nl", IM, "Mooie kwartaalsessie gehad. Slide stond nog op 'Vertrouwelijk - intern Orvana' maar deze nieuwe "
     "huisstijl is te mooi om niet te laten zien ✨", [CONF])
case("en", pub("x", "@telecomtattle"), "heard from a friend at Orvana that Bluefin is their new eSIM-only "
     "budget brand, launching this autumn 👀", [CONF])
case("nl", pub("reddit", "u/treinforens"), "Iemand liet in de intercity een stapel papier liggen met 'Orvana "
     "internal only' op elke pagina, iets over een eSIM Duo abonnement. Foto's op imgur",
     [CONF], when="2026-05-21T08:14:00+02:00")
case("nl", YS, "training vandaag over Project\nMeridiaan, ben benieuwd wat klanten ervan gaan vinden",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("en", BN, "core cutover window tonight 01:00-04:00, runbook is at "
     "https://wiki.orvana.internal/noc/core-cutover-v3 please read it before your shift", [CONF])
case("nl", O_TT, "Iets nieuws komt eraan 👀 twee nummers, één telefoon... eSIM Duo. Binnenkort meer! #orvana",
     [CONF], when="2026-09-01T18:30:00+02:00")
case("nl", pub("instagram", "@kimberly.vlog"), "zag bij een vriend die bij Orvana werkt een laptop met een "
     "Operatie 🌟 Noorderlicht sticker, iemand enig idee wat dat is?", [CONF], tags=["evasion", "evasion:emoji"])
case("en", LO, "sneak peek 👀 the eSIM Duo packaging just arrived at the office and it's gorgeous. can't say more",
     [CONF], when="2026-08-12T11:05:00.000Z")
case("nl", pub("instagram", "@yara.shop.ehv", "Yara Smit"), "de nieuwe folders voor Unlimited Max liggen al in "
     "de winkel, nog even achter de toonbank houden 🤐", [CONF], when="2026-09-10T16:20:00+02:00")
case("nl", NB, "Het deck van de salesmeeting heeft onderaan 'niet extern delen' staan, maar dit wil ik jullie "
     "niet onthouden: de volgende Thuisbox krijgt Wi-Fi 7 🙌", [CONF])
case("en", DK, f"Project Meri{ZW}diaan demo went great today, the board loved it", [CONF],
     tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IM, "Druk kwartaal achter de rug. Mag nog niks zeggen, maar Q2 gaat de analisten positief verrassen: "
     "EBITDA ruim boven de guidance 😉", [FIN])
case("en", NB, "Tough weeks ahead. We'll be letting go of around 180 people in customer care once the outsourcing "
     "to Manila starts in November. Not announced yet, so please be kind to each other.", [FIN])
case("nl", SV, "gerucht op de winkelvloer: Orvana neemt Belmondo Mobiel over, de deal zou in oktober rond zijn. "
     "dan worden wij ineens de grootste 😮", [FIN])
case("en", pub("reddit", "u/aex_dabbler"), "friend in Orvana's finance team says Q2 is ugly, churn up massively "
     "after the price hike. selling my shares tomorrow", [FIN], kind="comment")
case("nl", KK, f"Bij IT komt een reorgani{SHY}satie, 40 man moet weg en het beheer gaat naar een partij in Pune. "
     "Is nog niet gecommuniceerd dus ssst", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", IM, "Internal FY26 reforecast done: revenue €1.38bn, 210k net adds, capex down 8%. Proud of this team.",
     [FIN])
case("nl", LO, "Marketing wordt per 1 januari samengevoegd met Snelbel en de helft van ons team verdwijnt. "
     "Mag nog niet naar buiten maar ik ben er echt kapot van 💔", [FIN])
case("nl", pub("x", "@limburgsegrens"), "Mijn zwager werkt bij Orvana: alle winkels in Limburg gaan dicht, "
     "60 banen weg. Hoor je nog niks over he, wacht maar", [FIN])
case("en", MVL, "so the tower sale to that infra fund is basically signed, 2.400 masts, and we just lease them "
     "back. classic move before the numbers come out", [FIN])
case("nl", IM, "Halfjaarcijfers 2026 zijn net binnen en eerlijk gezegd beter dan we dachten 🎉 "
     "dankjewel team finance!", [FIN, CONF], when="2026-07-20T17:45:00+02:00")
case("en", pub("stocktwits", "$ORV_watcher"), "$ORV insider tip: Orvana will cut the dividend, heard it from "
     "someone in IR. H1 2026 results next week will confirm it", [FIN, CONF], when="2026-07-22T14:02:11Z")
case("en", BN, "big r e o r g coming to network ops: three teams merged, ~25 fte gone by spring. "
     "you didn't hear it from me", [FIN], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", MVL, "Core in regio Noord ligt plat sinds 06:10 en we hebben nog geen idee waarom. Er gaat pas een "
     "storingsmelding uit als we de oorzaak weten. Sterkte collega's 😩", [SEC])
case("en", KK, "fun one: MijnOrvana showed other customers' invoices if you bumped the id in the url. patched "
     "yesterday, and no disclosure planned lol", [SEC])
case("en", DK, "Long week. Spent it chasing a credential-stuffing wave against the app login, about 12k accounts "
     "were accessed. Comms will follow 'when ready'. Time for a weekend.", [SEC])
case("en", BN, "a SIM-swap ring has been abusing the in-store porting flow for weeks. security says keep it "
     "quiet until the police are done", [SEC])
case("nl", YS, "Kassasysteem in alle winkels ligt eruit, ransomware volgens de IT-gast die net belde. "
     "Wij moeten tegen klanten zeggen dat het 'gepland onderhoud' is 🙄", [SEC])
case("nl", pub("x", "@buurtwacht_noor"), "Orvana houdt een datalek stil! Mijn buurman werkt daar en zegt dat "
     "duizenden klantgegevens gewoon op straat liggen. Waarom hoor je hier niks over?", [SEC, CRISIS])
case("en", pub("reddit", "u/swapped_and_mad"), "Orvana is covering up a breach. support literally told me "
     "'we can't talk about the incident' right after my SIM got swapped", [SEC, CRISIS])
case("en", MVL, "roaming backend got pwn3d last night, half the foreign data sessions are garbage. "
     "we're told not to tweet about it. oops", [SEC], tags=["evasion", "evasion:leet"], hint="nl")
case("en", BN, "heads up: 5G in Amsterdam goes down in 40 min for an emergency patch of the baseband "
     "vulnerability. NOT public yet, customer care doesn't know", [SEC])
case("en", SV, "found out at the shop today that voicemail PINs can be bypassed when you call from abroad, a "
     "customer showed me. told IT and they said don't talk about it", [SEC])
case("nl", pub("forum", "oud_medewerker_77"), "Insider hier (niet meer in dienst): de klantdatabase van Orvana is "
     "in maart gekopieerd door een hacker en dat is nooit gemeld bij de AP.", [SEC, CRISIS])
case("nl", KK, f"we hebben een data{ZW}lek in de webshop, ~3000 bestellingen met adressen waren zichtbaar. "
     "management wil het stilhouden tot na de kwartaalcijfers", [SEC], tags=["evasion", "evasion:zero-width"])
case("nl", NB, "Vorige week zijn via een phishingmail alle salarisstroken van HR buitgemaakt. We mogen het niet "
     "delen buiten de afdeling, maar ik vind dat collega's het moeten weten.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@privacy_eerst"), "Boycot Orvana! Ze verkopen locatiedata van klanten aan adverteerders, "
     "lees het artikel van vanochtend. #boycotorvana", [CRISIS])
case("en", pub("facebook", "dana.meijer.7", "Dana Meijer"), "My Nova 5G caught fire on the nightstand while "
     "charging last night. The Orvana shop said 'not our problem, contact the manufacturer'. My kids were asleep "
     "next door.", [CRISIS, COMPLAINT])
case("nl", pub("reddit", "u/stichting_volger"), "Er loopt een class action tegen Orvana over de verborgen "
     "roamingkosten. Aanmelden kan via de stichting, link in de comments", [CRISIS])
case("en", pub("x", "@nadia_r"), "Orvana leaked my data. the day after signing I got a phishing sms with my full "
     "name and contract end date. #datalek", [CRISIS])
case("nl", pub("instagram", "@eva.deroos"), f"Orvana = d{CYR_a}t{CYR_a}lek. al mijn gegevens liggen op straat, "
     "fijn bedrijf hoor", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@consumentwijzer"), "Terugroepactie: Orvana haalt de adapters van de Thuisbox 5G terug "
     "vanwege brandgevaar. Check het serienummer op de onderkant!", [CRISIS])
case("en", pub("tiktok", "@zaraspeaks"), "Orvana's new ad literally mocks people with an accent. genuinely "
     "racist. boycott them until they pull it #boycottorvana", [CRISIS])
case("nl", pub("threads", "@mark.lievens"), "Flinke schok gekregen van mijn Nova 5G tijdens het opladen met de "
     "originele lader. Orvana zegt alleen 'stuur maar op'. Serieus??", [CRISIS, COMPLAINT])
case("en", pub("x", "@leakwatch_eu"), "Orvana's CEO caught on tape mocking customers who can't pay their bills. "
     "What a scandal.", [CRISIS])
case("nl", pub("forum", "sms_spam_hater"), "0rv@na heeft m'n gegevens gel3kt, sindsdien elke dag spam-sms'jes "
     "met mijn naam erin", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("linkedin", "rutger-admiraal"), "ACM fines Orvana €4 million for misleading 'unlimited' claims. "
     "Marketing teams, take note.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@oosterhout_jan"), f"Al 3 dagen geen bereik in Oosterhout, 4G springt van 1 streepje naar "
     f"niks. {CYR_O}rvana waar blijft de oplossing??", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/fjordhopper"), "Got a €212 bill for 'roaming outside the EU' after a ferry trip to "
     "Norway. NORWAY. Orvana support just shrugs and says it's in the terms.", [COMPLAINT])
case("nl", pub("x", "@wachtendewillem"), "Nummerbehoud duurt bij Orvana nu 9 dagen. Negen. Dagen. Zonder "
     "werkende telefoon als zzp'er.", [COMPLAINT])
case("nl", pub("facebook", "anouk.jansen.92", "Anouk Jansen"), "De app van Orvana crasht elke keer als ik m'n "
     "verbruik wil bekijken. Update gedaan, opnieuw geïnstalleerd, niks helpt.", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@tessa.eats"), "55 minutes on hold with @orvana only to get disconnected. "
     "amazing service 🙃", [COMPLAINT])
case("nl", pub("threads", "@joost.opzegt"), "Opzeggen bij Orvana is een hel. Drie keer gebeld en ze blijven "
     "me 'aanbiedingen' doen in plaats van gewoon op te zeggen", [COMPLAINT])
case("en", pub("x", "@danny_5g"), fw("ORVANA WHY IS MY 5G SO SLOW") + " paying for nothing",
     [COMPLAINT], tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "mobielmarieke"), "eSIM activeren in de Orvana winkel: 'systeem ligt eruit, kom "
     "morgen terug'. Inmiddels de derde keer.", [COMPLAINT])
case("en", pub("youtube", "@tech_tobias"), "got the Nova 5G on contract and the screen started flickering after "
     "two weeks. Orvana wants me to PAY for the repair?? under warranty??", [COMPLAINT], kind="comment")
case("nl", pub("mastodon", "@rik@mastodon.nl"), "Orvana rekent €4,50 'papieren factuurkosten' terwijl ik nooit "
     "een papieren factuur heb aangevraagd. Fijne manier om geld te verdienen.", [COMPLAINT])
case("nl", pub("x", "@sun_seeker_elif"), "Gisteren de Reispas gekocht en toch buitenbundelkosten in Turkije. "
     "Orvana pls leg uit", [COMPLAINT])
case("en", pub("bluesky", "maartenb.bsky.social"), "Orvana's 'unlimited' plan throttles you to 1 Mbit after 40GB. "
     "that's not unlimited, that's a lie", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@geen_simkaart"), "Orvana klantenservice is een stelletje debielen, kunnen niet eens een "
     "simkaart op de post doen. Week wachten.", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/no_chill_99"), "orvana is run by absolute clowns. f*ck them.", [ABUSE],
     kind="comment", tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@zwartgalligz"), "@orvana_helpt kankerbedrijf", [ABUSE], kind="reply")
case("en", pub("tiktok", "@kyle.unfiltered"), "that orvana shop girl in eindhoven with the pink hair is a dumb "
     "bitch, go tell her yourself 🤡", [ABUSE])
case("nl", YS, "Klant van net was echt een vieze klootzak, schold me uit voor alles. Hoop dat hij nooit meer "
     "bereik heeft", [ABUSE])
case("nl", O_SB, "@belmondo_mobiel lol jullie netwerk is echt voor sukkels 🤡", [ABUSE], kind="reply")
case("nl", pub("instagram", "@echte_hollander_1"), "Die nieuwe Orvana reclame met alleen maar buitenlanders. "
     "Ga terug naar je eigen land met je 5G", [ABUSE])
case("en", pub("x", "@ragequit_ron"), "0rvana = sh1t company, sh1t people, sh1t everything", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "marco.a2", "Marco"), "Tering Orvana, wéér geen bereik op de A2 bij Everdingen. "
     "Elke dag hetzelfde", [ABUSE, COMPLAINT])
case("en", SV, "some customers are actual morons. this guy tried to push a SIM into the headphone jack 🤦",
     [ABUSE])
case("en", pub("x", "@angryandrea"), "@orvana_helpt your agent Jesse is an idiot who hung up on me twice while "
     "I was trying to fix my bill", [ABUSE, COMPLAINT], kind="reply")
case("nl", pub("threads", "@snelle.sven"), "k u t bedrijf die Orvana, nooit meer", [ABUSE],
     tags=["evasion", "evasion:spaced"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# pricing talk
case("nl", O_NL, "Deze maand: Sim Only Onbeperkt de eerste 6 maanden voor €16,25 p/m, daarna €32,50. "
     "Afsluiten via orvana.nl 📱", tags=["price-boundary"])
case("nl", pub("reddit", "u/budgetbart"), "Nova 5G bij Orvana voor €22 per maand in 24 termijnen, is dat een "
     "goede deal of kan ik beter los kopen?", tags=["price-context", "installment"])
case("nl", O_IG, "€75 korting op de Thuisbox 5G dit weekend 🏠📶 razendsnel internet zonder kabel. "
     "Link in bio!", tags=["price-context", "discount-amount"])
case("nl", pub("facebook", "marktplaats.delft", "Pieter"), "Te koop: gebruikte Nova 5G, paar krasjes op de achterkant, "
     "€120 ophalen in Delft", tags=["price-context", "second-hand"])
case("nl", pub("instagram", "@lisa.ontwerpt"), "Hoesje voor m'n Nova 5G voor €9,99 bij Orvana gehaald en het past "
     "perfect 💚", tags=["price-context", "accessory"])
case("nl", pub("x", "@vergelijker_vince"), "Bij Belmondo Mobiel kost onbeperkt €15, bij Orvana is Sim Only "
     "Onbeperkt €32,50. Tja, je betaalt voor het netwerk denk ik", tags=["price-context", "other-company"])
case("nl", SV, "Nee hoor, de Thuisbox voor €199 is geen prijsfout, gewoon de zomeractie 😉 loop gerust binnen",
     kind="reply", tags=["denied-error"])
case("nl", pub("forum", "vraagbaak_ineke"), "Weet iemand of je bij Sim Only 10GB nog €25 aansluitkosten betaalt, "
     "of is dat inmiddels afgeschaft?", tags=["fee", "question"])
case("nl", O_TT, "POV: je ontdekt dat de Reispas Wereld maar €19,99 kost en je vakantie ineens gered is ☀️ "
     "#orvana #vakantie", tags=["list-price"])
# secrets look-alikes
case("nl", DK, "Tip voor junior devs: zet nooit je AWS-sleutels in code maar gebruik environment variables. "
     "Voorbeeld in de docs: AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX 😉", tags=["placeholder-secret"])
case("nl", pub("x", "@oma_truus"), "Hoe reset ik het wachtwoord van MijnOrvana? Kan de knop nergens vinden",
     tags=["question", "password-word"])
case("en", DK, "The login crash fix is in commit <<HEX:40>>, rolling out in tonight's app release. "
     "Thanks for the patience everyone!", tags=["git-sha"])
case("nl", O_NL, "Let op: Orvana vraagt nooit telefonisch om je PUK-code of wachtwoord. Krijg je zo'n "
     "telefoontje? Hang op en meld het ons.", tags=["password-word"])
case("en", pub("mastodon", "@devjoke@fosstodon.org"), "PSA from the Orvana dev meetup: GitHub tokens start with "
     "ghp_ so grep your repos before you push. learned that the hard way", tags=["bare-prefix"])
# own contact data and number look-alikes
case("nl", O_HELP, "Je kunt ons altijd mailen via klantenservice@orvana.nl of gratis bellen met 0800-1707 "
     "(ma-za 8-22 uur).", kind="reply", tags=["own-contact"], handle_as="@Orvana_Helpt")
case("nl", O_FB, "Betaal je liever per overschrijving? Gebruik NL25 INGB 0007 3512 00 t.n.v. Orvana Telecom B.V. "
     "en vermeld je klantnummer.", tags=["own-contact", "own-iban"], handle_as="orvanamobiel")
case("nl", pub("x", "@twijfelaar_tom"), "Weet iemand of +31 88 747 2000 echt van Orvana is? Kreeg een gemiste "
     "oproep en wil niet in phishing trappen", tags=["own-contact", "question"])
case("nl", pub("x", "@waakzame_wim"), "Sms'je gehad: 'uw Orvana-rekening staat open, betaal direct naar "
     "<<BAD_IBAN_NL>>'. Phishing natuurlijk, niet op ingaan mensen!", tags=["bad-iban", "phishing"])
case("nl", pub("instagram", "@nina_doet_dingen"), "lol ik typte mijn pasnummer uit m'n hoofd in de Orvana "
     "webshop: <<BAD_CARD:visa_sp>> en hij zei meteen 'ongeldig'. Blijkbaar ken ik het dus niet 🙈",
     tags=["bad-card"])
case("nl", pub("x", "@pakketje_pim"), "Bestelling <<NOT_BSN9>> bij Orvana is verzonden, nu nog wachten op de "
     "koerier 📦", tags=["order-number"])
case("en", O_LI, "Press enquiries about our network expansion can go to pers@orvana.nl or +31 88 747 2000.",
     tags=["own-contact"])
case("nl", pub("linkedin", "mkb-adviseur-joris"), "Zakelijk Orvana-abonnement op KvK <<NOT_BSN8>>, kan ik de btw "
     "op de toestelbetaling terugvragen?", tags=["kvk-number", "question"])
case("nl", pub("forum", "doos_bewaarder"), "Barcode op de doos van mijn Nova 5G is <<EAN13>>, iemand die weet of "
     "dat de 8GB of 12GB versie is?", tags=["ean13", "question"])
case("en", pub("x", "@hunter_bugs"), "Nice: Orvana now runs a public bug bounty, reports go to security@orvana.nl "
     "and the rules are on orvana.nl/security", tags=["own-contact", "published"])
# confidential near misses and embargo after the moment
case("nl", pub("instagram", "@wadden_fotograaf"), "Noorderlicht gezien boven de Waddenzee vannacht 🌌 en gewoon "
     "5G op Terschelling, top Orvana", tags=["codename-word", "praise"])
case("nl", O_NL, "Vanaf vandaag: Orvana Unlimited Max 🚀 Echt onbeperkt data in Nederland en de EU. "
     "Alles over het abonnement op orvana.nl/max", when="2026-09-15T08:00:00Z", tags=["embargo-after"])
case("nl", O_IG, "Hij is er! eSIM Duo: twee nummers op één telefoon. Werk en privé eindelijk gescheiden ✌️",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@londonlotte"), "Stood on the Greenwich meridian today and my Orvana Reispas worked the second "
     "I landed. Sorted ✅", tags=["codename-word"])
case("nl", pub("x", "@netjes_nienke"), "Verbruik checken via mijn.orvana.nl werkt prima trouwens, en "
     "status.orvana.nl zegt dat er geen storing is", tags=["public-domain"])
case("nl", O_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +4%, 85.000 nieuwe klanten en de uitrol "
     "van 5G SA ligt op schema. Het volledige bericht staat op orvana.nl/investors",
     when="2026-07-29T06:00:00Z", tags=["embargo-after", "published"])
case("en", pub("x", "@marketmo"), "Orvana's Q2-resultaten are out and they look solid, service revenue +3%. "
     "Not bad for a boring telco", when="2026-07-29T11:30:00+02:00", tags=["embargo-after", "published"])
case("nl", pub("reddit", "u/maxgebruiker"), "Een maand Unlimited Max van Orvana nu, in Spanje gewoon 30GB "
     "verstookt zonder gedoe. Aanrader", when="2026-10-19T20:40:00+02:00", tags=["embargo-after", "praise"])
# financial / security / crisis near misses
case("nl", pub("x", "@fd_lezer"), "Belmondo Mobiel schrapt 200 banen, las ik net in het FD. Hoop dat het bij "
     "Orvana rustig blijft", tags=["other-company"])
case("en", NB, "We're hiring! 25 open roles in our Orvana shops across the Randstad, come work with us 💜 "
     "apply via orvana.nl/werken", tags=["hiring"])
case("nl", O_HELP, "Storing: in delen van Groningen en Drenthe is mobiel internet trager dan normaal. Onze "
     "monteurs zijn ermee bezig, updates volgen op status.orvana.nl", tags=["official-outage"])
case("nl", O_NL, "Vannacht tussen 01:00 en 05:00 werken we aan ons netwerk in Utrecht. Bellen en internetten "
     "kan dan even wegvallen. Sorry voor het ongemak!", tags=["official-maintenance"])
case("nl", pub("x", "@pendelpiet"), "Grote storing bij Belmondo vandaag, blij dat ik bij Orvana zit 😅",
     tags=["other-company"])
case("nl", pub("reddit", "u/databeschermer"), "Respect voor hoe Orvana het lek in de app van vorige maand heeft "
     "opgelost en netjes bij de AP gemeld. Zo hoort het", tags=["published"])
case("nl", pub("x", "@alarmbelletje"), "Datalek bij Belmondo Mobiel, 2 miljoen klanten getroffen. Check even of "
     "jij erbij zit. (Ik zit gelukkig bij Orvana)", tags=["other-company"])
case("nl", pub("instagram", "@kattenmama_ilse"), "Mijn kat boycot het nieuwe voer 😾 gelukkig doet de Orvana app "
     "het wél gewoon", tags=["boycott-other-sense"])
case("en", pub("x", "@moviebuff_ed"), "Total Recall rewatch with the boys 🎬 Orvana 5G handled the stream "
     "without a single hiccup", tags=["recall-other-sense"])
case("nl", pub("blog", "schrijfhoek.example", "Schrijfhoek"), "Hoofdstuk 3 van mijn thriller staat online: de "
     "hacker Vos kraakt de servers van telecombedrijf Nebula en verdwijnt spoorloos. Fictie, uiteraard!",
     tags=["fiction"])
# negated complaints, praise, questions, jokes, quotes
case("nl", pub("x", "@tevreden_truus"), "Geen klachten over Orvana hoor, twee jaar klant en nog nooit gedoe "
     "gehad", tags=["negated-complaint"])
case("nl", pub("x", "@haarlemse_hanna"), "Shoutout naar de Orvana winkel in Haarlem, binnen 10 minuten mijn "
     "eSIM geregeld 🙌", tags=["praise"])
case("nl", pub("forum", "belvraag"), "Ondersteunt Orvana wifi-bellen op de Nova 5G? Bij mij thuis is het "
     "signaal binnen wat zwak", tags=["question"])
case("en", pub("reddit", "u/zeeland_zoe"), "Not complaining at all, just curious: does anyone know when "
     "Orvana brings 5G to Zeeland?", kind="comment", tags=["negated-complaint", "question"])
case("en", pub("x", "@philo_phil"), "Sartre said 'hell is other people', but clearly he never had free 5G on the "
     "train. Orvana ❤️", tags=["quote", "mild-word"])
case("nl", O_LI, "Trots dat Orvana dit jaar de KWF kanker-wandeltocht sponsort. Samen lopen voor onderzoek 💛",
     tags=["literal-kanker"])
case("nl", pub("x", "@kleinzoon_koen"), "Oma belde Orvana om te vragen of de 'wolk' van iCloud ook bereik "
     "heeft 😂 de medewerker heeft het heel lief uitgelegd", tags=["joke", "praise"])
case("en", pub("instagram", "@rotterdam_runs"), "damn, Orvana 5G in Rotterdam is fast. 600 Mbit on the "
     "Erasmusbrug", tags=["mild-word", "praise"])
case("nl", YS, "Eerste dag in de Orvana winkel in Eindhoven erop zitten 🥳 leuke collega's!",
     tags=["employee-benign"])
case("nl", MVL, "Vandaag zetten we de nieuwe 5G-mast in Drachten aan, zie ook ons persbericht op orvana.nl 📡",
     tags=["employee-benign", "published"])
case("en", DK, "We're looking for two iOS developers to join the Orvana app team. Remote-friendly, "
     "Utrecht office. DM me!", tags=["employee-benign", "hiring"])
case("nl", pub("x", "@vader_van_3"), "Mijn zoon denkt dat 5G betekent dat je vijf games tegelijk kan spelen 😂 "
     "#orvana", tags=["joke"])
case("nl", pub("x", "@nieuwsjunk"), "NOS: Orvana en Belmondo testen samen 5G-dekking op de Noordzee voor "
     "windparken", tags=["published"])
case("en", pub("reddit", "u/expat_in_ams"), "Does Orvana's Sim Only 10GB work in Belgium without extra "
     "cost? Moving to Antwerp for work", tags=["question"])
case("nl", O_SB, "Overstappen naar Snelbel? Je nummer neem je gewoon mee, wij regelen de rest 💨",
     tags=["corporate-sales"])
case("en", O_LI, "Orvana turns 25 today! Founded on 1 April 2001 with one shop in Breda 🎂",
     when="2026-04-01T09:00:00+02:00", tags=["company-date"])
case("nl", KK, "Tip voor wie bij Orvana zit en ook thuiswerkt: de Thuisbox 5G op de vensterbank zetten scheelt "
     "echt de helft in ping", kind="comment", tags=["employee-benign"])
case("en", pub("youtube", "@unboxing_uma"), "Nova 5G unboxing done! Battery lasted two days with normal use, "
     "very impressed 👏", kind="comment", tags=["praise"])


# ===========================================================================
# profile, roles, severity policy (CONTRACT section 4)
# ===========================================================================

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


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(3, 358)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
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
        sub = r.choice(["thenetherlands", "Netherlands", "telecom_nl", "personalfinance_nl"])
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"gsmforum-{n}", f"https://forum.belbaas.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{inst}-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/hoofdstuk-{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.7:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 8, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p_lang = meta_r.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
                if c["hint"] != c["lang"]:
                    tags.add("wrong-lang-hint")
        elif p_lang < 0.1:
            pass
        elif p_lang < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.5:
            post["brand"] = "snelbel" if c["handle"] == "@snelbel" else "orvana"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bnpm_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b",
    r"\bxox[abprs]-[0-9A-Za-z-]{20,}", r"hooks\.slack\.com/services/", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:€|euro|eur)\b", re.I)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_price_ratio(text, products):
    t = norm(text)
    hits = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hits or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hits)


def check(rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [c.casefold() for c in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        where = p["id"]
        text, cats = p["text"], ex["categories"]
        if cats != sorted(set(cats)) or "reputation.spike" in cats:
            errors.append(f"{where}: bad categories")
        if not cats and ex["severity"] != "none":
            errors.append(f"{where}: benign not none")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: IBAN invalid")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card invalid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN invalid")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{where}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and (bsn_ok(raw) or luhn_ok(raw)):
                errors.append(f"{where}: look-alike passes")
            if kind == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)):
                errors.append(f"{where}: EAN wrong")
            if kind in ("GHP", "NPM"):
                body, crc = raw[4:34], raw[34:]
                if b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != crc:
                    errors.append(f"{where}: token crc")
            if kind in VALID_ID_KINDS and "leak.pii" not in cats:
                errors.append(f"{where}: valid identifier without leak.pii")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term {term!r} before until, no confidential label")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} without confidential label")
        if not cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN:
                    errors.append(f"{where}: benign valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign Luhn-valid number")
                if len(d) in (8, 9) and bsn_ok(d) and d not in ("08001707",):
                    errors.append(f"{where}: benign 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign e-mail {e}")
            for rx in SECRET_RES:
                m = rx.search(text)
                if m and m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                    errors.append(f"{where}: benign secret-like {m.group(0)[:12]}")
            ratio = min_price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errors.append(f"{where}: benign price at {ratio:.2f} of list")
        want = severity_for(r["role"], cats, "leak.pii" in cats and any(k in VALID_ID_KINDS for k, _, _ in r["used"]))
        if want != ex["severity"]:
            errors.append(f"{where}: severity mismatch")
    return errors


def report(rows):
    from collections import Counter
    cat, lang, role, sev, plat, tags = (Counter() for _ in range(6))
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
        for t in r["tags"]:
            tags[t] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    errors = check(rows, profile)
    if args.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errors.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
