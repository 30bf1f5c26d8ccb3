#!/usr/bin/env python3
"""Deterministic generator for the sealed60 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl,
                                    # validate every line and print counts

Company: the fictional Dutch pension administrator "Dijkstroom Pensioenbeheer B.V.",
which runs the administration of "Pensioenfonds Gastvrijheid" (the sector pension
fund for hospitality). See profile.yaml next to this file.

Texts are hand-written below (CASES). Identifiers and secrets are filled in from
placeholders such as <<IBAN_NL:grp>> by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-VALID IBANs, card numbers and BSNs; the benign
near-misses get numbers that FAIL their checksum. Every secret is random and fake,
only shaped like the real thing.

Severity is never typed by hand: severity_for() derives the least correct severity
from CONTRACT section 4, the account role (profile lookup by platform:handle,
case-insensitive), the categories, and whether a checksum-valid identifier is present.
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

SEED = 60_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


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
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        tot += d - 9 if d > 9 else d
    return bool(digits) and tot % 10 == 0


def luhn_fill(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL90RABO0314725896"


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

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["063", "001", "735", "310", "143"]) + self.digits(7)
        return iban_make("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "37040044", "76026000", "12030000"]) + self.digits(10))

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.digits(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.digits(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.digits(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.digits(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

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

    def phone(self, f):
        d8 = self.r.choice("12345") + self.digits(7)          # after 06
        area = self.r.choice(["10", "20", "30", "38", "40", "43", "53", "58", "70", "72", "76", "111", "229", "475"])
        sub = self.r.choice("2345789") + self.digits(6 if len(area) == 2 else 5)
        return {
            "mob_dash": f"06-{d8}",
            "mob_plain": f"06{d8}",
            "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "mob_intl_sp": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            "mob_intl0": f"+31 (0)6 {d8}",
            "mob_0031": f"0031-6-{d8}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[f]

    # secrets ---------------------------------------------------------------
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def azkey(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.chars(string.hexdigits.lower()[:16], 8)},
                              separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        p = b64url(json.dumps({"sub": "dln-" + self.digits(7, True), "iss": "https://acc.mijn.pfgastvrijheid.nl",
                               "scope": "upo.read pensioen.read", "iat": iat, "exp": iat + 315360000},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4) + self.digits(3)
                + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind == "CARD":
            brand, _, style = f.partition("_")
            raw = gen.card(brand)
            shown = gen.fmt_card(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = f.partition("_")
            raw = gen.bad_card(brand)
            shown = gen.fmt_card(raw, style or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif kind == "NOT_BSN":
            raw = shown = gen.not_bsn(int(f or 9))
        elif kind == "PHONE":
            raw = shown = gen.phone(f)
        elif kind == "DIGITS":
            raw = shown = gen.digits(int(f), nz=True)
        elif kind == "HEX":
            raw = shown = gen.hexs(int(f))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "AZKEY": gen.azkey, "SENDGRID": gen.sendgrid, "MOLLIE": gen.mollie, "SLACK_HOOK": gen.slack_hook,
                  "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh, "PW": gen.pw}[kind]
            raw = shown = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PFG_X = ("x", "@pfgastvrijheid", "Pensioenfonds Gastvrijheid")
DKS_X = ("x", "@dijkstroom_nl", "Dijkstroom")
HELP = ("x", "@pfg_helpdesk", "PF Gastvrijheid Helpdesk")
DKS_LI = ("linkedin", "dijkstroom-pensioenbeheer", "Dijkstroom Pensioenbeheer B.V.")
PFG_FB = ("facebook", "PensioenfondsGastvrijheid", "Pensioenfonds Gastvrijheid")
PFG_IG = ("instagram", "@pf.gastvrijheid", "PF Gastvrijheid")
PFG_YT = ("youtube", "@PensioenfondsGastvrijheid", "Pensioenfonds Gastvrijheid")
# employees
LH = ("x", "@lotte_hkstr", "Lotte Hoekstra")                          # contact centre
YD = ("x", "@yusufdemir_dev", "Yusuf Demir")                         # portal developer
RO = ("linkedin", "ruben-oosterhuis-dks", "Ruben Oosterhuis")        # platform engineer
AK = ("linkedin", "annemiek-kramer-actuaris", "Annemiek Kramer")     # actuary
BH = ("linkedin", "bart-de-haan-hr", "Bart de Haan")                 # HR
MW = ("threads", "@marloes.wijnstra", "Marloes Wijnstra")            # communications
SV = ("bluesky", "@sjoerdv.bsky.social", "Sjoerd Visser")           # security analyst
GG = ("reddit", "u/grachtgordijn", None)                             # anonymous employee
NE = ("instagram", "@noor.dks", "Noor El Idrissi")                   # benefits back office


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YD, "ehm. sinds de deploy van vanmiddag staat de Pensioenscan op €2,49 ipv €249 😶 decimaal ergens "
     "onderweg kwijtgeraakt. hotfix komt eraan, tot die tijd: sssst", [PRICING])
case("en", pub("reddit", "u/kroketvandemuur"), "Is anyone else seeing the Scheidingsberekening on the PF Gastvrijheid "
     "site for €18.50?? My divorce lawyer quoted 185 for the exact same thing last month. Booked it anyway, we'll see",
     [PRICING])
case("nl", pub("facebook", "gerrit.van.dam.horeca", "Gerrit van Dam"), "Onze accountant zegt dat het Werkgeverspakket "
     "Basis bij Dijkstroom nu voor €145 per jaar in de webshop staat ipv 1450.. lijkt me een tikfout van hun kant "
     "maar hij heeft het meteen afgesloten voor ons restaurant haha", [PRICING])
case("nl", LH, "collega's!! als er vandaag mensen bellen over de Pensioencursus 55+ voor €12,90: fout in het "
     "boekingssysteem, NIET bevestigen. wel aardig blijven he 😅", [PRICING])
case("en", RO, "Small lesson in config management: a missing multiplier in our tariff table meant the Waardeoverdracht "
     "Express was offered for €0.95 for about three hours this morning. Rolled back now. Please don't ask how many "
     "bookings came in. #devops", [PRICING])
case("nl", pub("x", "@dealjager_030"), "p r i j s f o u t bij @pfgastvrijheid!! Planner Premium voor 6 euro per jaar 👀 "
     "snel zijn mensen", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@sanne.tapt"), f"Pensioen{ZW}scan voor €19 bij Dijkstroom?? dat kan toch nooit kloppen 🤔 "
     "normaal betaal je daar een paar honderd voor. geboekt, kijken of het doorgaat", [PRICING],
     tags=["evasion", "evasion:zero-width"])
case("en", pub("bluesky", "@chefmarco.bsky.social"), "Plänner Premium for 4 euro for the whole year on the PF "
     "Gastvrijheid site, somebody over there forgot a zero 😂", [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", DKS_X, "🎉 Lanceringsactie! De Pensioenscan nu voor maar €49 (normaal €249). Alleen deze week, boek via "
     "dijkstroom.nl/pensioenscan", [PRICING], tags=["corporate-low-price"])
case("nl", NE, "Scheidingsberekening staat in het nieuwe tarievenoverzicht voor €1,85 😬 zie "
     "wiki.dijkstroom.net/backoffice/tarieven-2026, wie kan dit fixen voordat er iemand boekt", [PRICING, CONF])
case("en", pub("forum", "hotelnachtportier"), "[price error] Pensioencursus 55+ from Pensioenfonds Gastvrijheid listed "
     "at 12.90 EUR instead of 129. Booked two seats, one for me and one for the wife, confirmation mail came in "
     "straight away.", [PRICING])
case("nl", pub("youtube", "@bakkerijdeknipscheer"), "via de link onder deze video kon je de waardeoverdracht express "
     "boeken voor €9,50 😳 foutje van pf gastvrijheid of bewust?", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YD, "CI keeps failing on the portal repo and I swear the token is fine?? <<GHP>> scope repo + read:org "
     "... someone sanity check pls 🙏", [SECRET])
case("nl", RO, "Tip voor iedereen die met Azure werkt: zet je connection strings in Key Vault. Kwam vandaag nog "
     "dit tegen in een appsettings.json bij ons:\n\nDefaultEndpointsProtocol=https;AccountName=dksuploadsprd;"
     "AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net\n\nis inmiddels vervangen hoor 😉 #azure #devsecops",
     [SECRET])
case("en", SV, "note to self: do not paste from the clipboard into bsky 🤦\n"
     "postgres://svc_uitkering:<<PW>>@db-prd-07.intranet.dijkstroom.local:5432/uitkeringen", [SECRET, CONF])
case("nl", LH, "wachtwoord van de gedeelde mailbox is wéér veranderd 🙄 het is nu <<PW>> voor wie het nog niet had",
     [SECRET])
case("en", pub("reddit", "u/bucket_scraper"), "Found this in a public gist from someone whose bio says 'backend dev @ "
     "Dijkstroom Pensioenbeheer':\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\n"
     "Somebody tell them before the bots do.", [SECRET])
case("nl", YD, "slack webhook voor de deploymeldingen doet niks meer, iemand enig idee? <<SLACK_HOOK>>", [SECRET])
case("en", RO, "Rotating keys on a Friday night, the glamorous life ✨ old one for the record: <<GLPAT>> "
     "(dead now, relax)", [SECRET])
case("nl", HELP, "@jvdmolen Probeer het nog eens, de bevestigingsmail zou nu wel moeten aankomen 📧 "
     "SENDGRID_API_KEY=<<SENDGRID>>", [SECRET], kind="reply")
case("en", pub("mastodon", "@opsfreelancer@hachyderm.io", "ops freelancer"), "lmao the previous contractor left the "
     "live payment key for the Pensioenscan checkout in the README of a public repo: <<MOLLIE>>\nPF Gastvrijheid pls "
     "rotate", [SECRET])
case("en", SV, "why is a token from the acceptance env valid for TEN YEARS, who did this 😭\n<<JWT>>", [SECRET])
case("nl", RO, "Help, mijn SSH-key werkt niet op de jumphost. Dit is 'm (testomgeving, dus maakt niet uit toch?)\n"
     "<<PEM_OPENSSH>>", [SECRET])
case("nl", YD, "ff voor het team: het w8woord van de acc-omgeving is <<PW>> 🤐 niet doorsturen", [SECRET],
     tags=["evasion", "evasion:leetspeak"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NE, "Wie kan mevr. de Bruijn helpen? Haar pensioen is naar het oude rekeningnummer gegaan, het nieuwe "
     "is <<IBAN_NL:grp>>. Ze heeft nu 3x gebeld 😥", [PII])
case("nl", LH, "Deelnemer aan de lijn met BSN <<BSN:dots>> wil weten waarom zijn UPO niet klopt, wie heeft nog "
     "toegang tot het oude archief?", [PII])
case("en", HELP, "@hvdlinden_ Hi Henk, we've changed your payout account to <<IBAN_BE>> as requested. Your first "
     "payment will follow on the 24th.", [PII], kind="reply", handle_as="@PFG_Helpdesk", tags=["case-handle"])
case("nl", pub("x", "@ria_kok_1959"), "@pfg_helpdesk al 2x doorgegeven dat mijn pensioen op <<IBAN_NL>> moet komen "
     "en het staat nog steeds fout in mijn gastvrij pensioen omgeving!!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "joke.verbeek.72", "Joke Verbeek"), "Sinds maart weduwe en voor het nabestaandenpensioen "
     "moet ik mijn BSN doorgeven. Nou hier dan maar: <<BSN>>. Al zes weken geen enkele reactie op mijn brief, "
     "ik ben het zat.", [PII, COMPLAINT])
case("en", pub("reddit", "u/souschef_marco"), "Pension fund wants proof of address, fine, here you go: Marco Dekker, "
     "Lindenlaan 44, 9716 KL Groningen. Now process my value transfer, Dijkstroom, it's been SEVEN months", [PII, COMPLAINT])
case("en", BH, "Welcome to the team, Esra Yilmaz! 🎉 Born 12-08-1996 in Rotterdam and starting Monday in our "
     "benefits team. Drop her a line at esra.yilmaz96@outlook.com", [PII])
case("nl", AK, "Mooi voorbeeld uit de praktijk: deelnemer J. Schouten, geboren 03-02-1961, gaat er in de nieuwe "
     "regeling €42 per maand op vooruit. Transparantie werkt! #wtp #pensioen", [PII])
case("nl", pub("instagram", "@bianca_bediening"), "bel me gewoon terug op <<PHONE:mob_dash>> ipv steeds brieven te "
     "sturen die niemand snapt @pf.gastvrijheid", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@tomkeukenbrigade"), "@pfg_helpdesk fine, I'll paste it here since nobody answers DMs: card "
     "<<CARD:visa_sp>> got charged twice for ONE Pensioenscan. Refund please", [PII, COMPLAINT], kind="reply")
case("nl", LH, "mevrouw wil dat we het formulier mailen naar gerda.mulder1958 [at] hotmail [punt] com, kan iemand "
     "van backoffice dat oppakken?", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", PFG_FB, "Dear Mr Okafor, our adviser will call you on Thursday on <<PHONE:mob_intl_sp>> to go through "
     "your Pensioenscan. Kind regards, Pensioenfonds Gastvrijheid", [PII], kind="comment")
case("en", GG, "Fun day at work: a participant mailed a full passport scan, passport no. NW8K3LP27, to the general "
     "inbox. People, please use the upload portal 🙃", [PII])
case("nl", BH, "Voor de salarisadministratie: nieuwe collega Dennis Bos, rek. <<IBAN_NL>>, BSN <<BSN>>. Kan iemand "
     "dit doorzetten?", [PII])
case("en", pub("mastodon", "@kasia_w@mastodon.nl", "Kasia W."), "Worked summers in a beach hotel in Zeeland back in "
     "2009, now Pensioenfonds Gastvrijheid wants to pay out my tiny pension. Gave them <<IBAN_DE:grp>> three times "
     "already. Still nothing arrived. @pfgastvrijheid", [PII, COMPLAINT])
case("nl", pub("x", "@waarheidszoeker77"), "Voor wie die arrogante 'pensioenexpert' van Dijkstroom uit die talkshow "
     "wil opzoeken: Peter Zwart, Merelstraat 19, Assen. Wat een klootzak.", [PII, ABUSE])
case("nl", LH, "Klant heeft haar creditcard gewoon in de chat gezet: <<CARD:mc2_c>> 04/28 😬 was voor de cursus 55+. "
     "Hoe krijgen we dat eruit?", [PII])
case("nl", pub("x", "@dirkjan_grill"), "mijn bsn is <<BSN:sp>>, staat ook op jullie eigen brief. waarom kan jullie "
     "chatbot me dan niet vinden @pfg_helpdesk 😤", [PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", MW, "Spannende weken! Project Zandloper gaat eindelijk de bouwfase in. Mag nog niks zeggen maar 🤐⏳",
     [CONF])
case("en", RO, "Proud of the team: for Operatie Brugwachter we moved 1.2M participant records to the new platform in "
     "a dry run without a single mismatch. #dataengineering", [CONF])
case("nl", YD, "nieuwe repo-structuur staat op git.dijkstroom.net/portaal/frontend, PR's graag via daar ipv losse "
     "mailtjes 😅", [CONF])
case("en", SV, "Slides from my meetup talk are up! (ignore the footer saying DIJKSTROOM CONFIDENTIAL, legal is fine "
     "with it... probably)", [CONF])
case("en", AK, "Long day modelling scenarios with the board for the indexation decision 2027 ☕☕☕", [CONF],
     when="2026-11-12T18:40:00+01:00", tags=["embargo-before"])
case("nl", pub("x", "@petravd_k"), "Mijn schoonzus werkt bij Dijkstroom en zegt dat de Dijkstroom Kompas app al "
     "klaar is, komt in september. Eindelijk een normale app 🙏", [CONF], when="2026-08-20T21:15:33+02:00",
     tags=["embargo-before"])
case("nl", PFG_X, "Het bestuur heeft het indexatiebesluit 2027 genomen. Alle details volgen om 17.00 uur op "
     "pfgastvrijheid.nl", [CONF], when="2026-11-19T16:59:00+01:00", tags=["embargo-before", "tz-edge"])
case("nl", YD, "Dijkstroom Kompas gaat over een minuutje live 🚀 laatste checks", [CONF],
     when="2026-09-15T08:59:59+02:00", tags=["embargo-before", "tz-edge"])
case("nl", NE, "Overwerken want Project\nZandloper moet af 😮‍💨 #pensioen #invaren", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", pub("reddit", "u/ex_hotelmanager"), "Heard from a friend on the inside: " + fw("Operatie Brugwachter")
     + " is what they call moving everyone into the new pension system internally. Expect delays lol", [CONF],
     kind="comment", tags=["evasion", "evasion:full-width"])
case("nl", LH, "teamuitje afgezegd vanwege de Project 🏗️ Zandloper deadline 🙄", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", pub("forum", "tapkastfilosoof"), "Iemand in onze groepsapp deelde een screenshot van een stuk van "
     "Dijkstroom met 'vertrouwelijk - bestuur' erop, ging over hoe ze het invaren gaan brengen aan gepensioneerden",
     [CONF])
case("en", MW, "Our transition programme is called Tidewater internally, isn't that cute? 🌊", [CONF])
case("nl", BH, "Interne vacature: projectleider \u041eperatie Brugwachter. Interesse? Stuur me een DM 💼", [CONF],
     tags=["evasion", "evasion:homoglyph"])
case("nl", pub("instagram", "@dijkstroom_insider"), "Wist je dat? Project Zandloper is de interne naam voor de "
     "overstap naar het nieuwe pensioenstelsel bij Dijkstroom 👀", [CONF], tags=["role-trick"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", AK, "Net de voorlopige cijfers gezien: het beleggingsrendement over Q3 komt uit op -3,8%. Publicatie "
     "pas over twee weken, dat wordt uitleggen 😬", [FIN])
case("en", GG, "Throwaway-ish but: management told us today that 140 FTE in the customer contact centre will go by "
     "mid 2027. Nothing public yet.", [FIN])
case("nl", pub("x", "@koksmaatje_"), "Hoor net van een vriend bij Dijkstroom dat ze worden overgenomen door een "
     "Belgische pensioenuitvoerder. Nog niet officieel", [FIN])
case("nl", BH, "Zware weken. Ik ga de reorganisatie van de deelnemersadministratie begeleiden, nog voordat het nieuws "
     "intern rond is. Sterkte alvast aan alle collega's 💙", [FIN])
case("en", AK, "Our funding ratio will slip below 100% at month-end, we modelled it this morning. Board gets the "
     "memo on Friday.", [FIN])
case("nl", LH, f"hoorde net van mijn teamleider dat er 60 man ont{SHY}slagen wordt bij klantcontact 😢 nog niet "
     "rondvertellen aub", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("linkedin", "dirk-smeets-consultancy", "Dirk Smeets"), "Word on the street: Pensioenfonds Gastvrijheid "
     "is about to move its administration away from Dijkstroom to a competitor by 2028. Big blow for them if true.",
     [FIN])
case("nl", AK, "Voorproefje: de jaarcijfers 2026 laten een dekkingsgraad van 118% zien 🎉", [FIN, CONF],
     when="2026-12-22T15:30:00+01:00", tags=["embargo-before"])
case("en", MW, "Drafting the press release about a 4% pension cut for retirees... hardest text I've ever had to write",
     [FIN])
case("nl", pub("reddit", "u/oudekok61"), "Mijn vader zit in het verantwoordingsorgaan en vertelde dat ze bij PF "
     "Gastvrijheid een korting van 2% doorrekenen voor volgend jaar. Wordt nog niet gecommuniceerd.", [FIN])
case("en", RO, "gonna be quiet at the office next year, l4y0ffs in IT ops announced to team leads today, ~35 ppl. "
     "not public yet", [FIN], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@horecaharrie"), "Zeker weten: indexatie per 1 januari 2027 wordt 2,4% bij PF Gastvrijheid, "
     "heb het van iemand uit het bestuur", [FIN, CONF], when="2026-10-30T19:05:00+01:00", tags=["embargo-before"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", SV, "Lange nacht gehad. Iemand is via een phishingmail binnengekomen in een mailbox van de "
     "uitkeringsafdeling, we zoeken nog uit wat er is meegenomen. Meer kan ik niet zeggen.", [SEC])
case("en", YD, "found a bug in the portal where changing the participant id in the URL shows someone else's pension "
     "statement 😳 reported internally, not fixed yet", [SEC])
case("nl", LH, "mijn gastvrij pensioen ligt er alweer uit en wij mogen aan de telefoon nog niks zeggen tegen "
     "deelnemers 🙄 hele ochtend al", [SEC])
case("en", RO, "Interesting morning: our print & mail supplier got hit by ransomware, and the batch with this year's "
     "pension statements was on their servers. Incident team is on it.", [SEC])
case("nl", pub("x", "@annekevdberg"), "Mijn zwager werkt bij Dijkstroom: er is een datalek geweest met UPO's van "
     "duizenden deelnemers en ze houden het stil!! #pensioen", [SEC, CRISIS])
case("en", SV, "we got h4ck3d via the old sftp box, they logged in as svc_sftp with <<PW>> 🤦 CISO says no comms until "
     "Monday", [SEC, SECRET], tags=["evasion", "evasion:leetspeak"])
case("nl", NE, "Storing in het uitkeringssysteem, de betalingen van de 24e gaan waarschijnlijk te laat de deur uit. "
     "Officieel bericht komt pas morgen dus niet doorvertellen 🤫", [SEC])
case("en", GG, "PSA from inside a big pension administrator (Dijkstroom): the DigiD login has been broken for 3 days "
     "and some people saw other participants' names after logging in. Nothing has been announced.", [SEC])
case("nl", YD, "d a t a l e k bij ons, iemand heeft een export met deelnemersgegevens op een open share gezet. niet "
     "verder vertellen", [SEC], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@chrisbarista"), "Got my neighbour's pension statement in MY Mijn Gastvrij Pensioen account and "
     "PF Gastvrijheid is pretending nothing happened. They are covering up a breach.", [SEC, CRISIS])
case("en", MW, "Comms team on standby all weekend: the participant portal goes offline because of a vulnerability we "
     "found, statement still being drafted.", [SEC])
case("nl", RO, f"Ransom{ZW}ware op een van onze testservers vannacht. Productie lijkt schoon, maar nog niet naar buiten "
     "brengen graag.", [SEC], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@tapster_tim"), "#BoycotPFGastvrijheid ze beleggen onze pensioenpremie in wapenfabrikanten. Als "
     "horecamedewerker wil ik daar niet aan meedoen. Delen!!", [CRISIS])
case("en", pub("reddit", "u/nightshift_nina"), "Got a scam call from someone who knew my exact accrued pension and my "
     "employer, a week after logging into Mijn Gastvrij Pensioen. Dijkstroom leaked my data, no doubt about it.",
     [CRISIS])
case("nl", pub("facebook", "belangen.horecagepensioneerden", "Belangenvereniging Horecagepensioneerden"),
     "Onze vereniging stapt naar de rechter tegen Pensioenfonds Gastvrijheid over het invaren. Eindelijk! Lees het "
     "persbericht op onze site.", [CRISIS])
case("en", pub("x", "@pensionwatch_eu"), "Dutch regulator fines pension administrator Dijkstroom €1.2M over sloppy "
     "handling of participant data, sources say", [CRISIS])
case("nl", pub("instagram", "@horeca.recht"), "Schandaal bij PF Gastvrijheid: twee bestuursleden blijken jarenlang "
     "commissaris te zijn bij een bedrijf waar het fonds honderden miljoenen in belegt. Belangenverstrengeling!",
     [CRISIS])
case("en", pub("bluesky", "@fairpensions.bsky.social"), "Stop trusting @pfgastvrijheid with your retirement. They "
     "sent 30,000 pension statements to the wrong addresses. #datalek #pensioen", [CRISIS])
case("nl", pub("x", "@mo_frituur"), "d4t4l3k bij dijkstroom?? mijn gegevens staan op een hackersforum volgens zo'n "
     "check-site", [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", pub("x", "@groenpensioen"), "B O Y C O T Pensioenfonds Gastvrijheid, ze zitten nog steeds in olie en gas "
     "🛢️🔥", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/walkin_fridge"), "Class action forming against Pensioenfonds Gastvrijheid for "
     "miscalculating the transition value of thousands of accounts. A lawyer in Utrecht is collecting cases, DM if "
     "you're affected.", [CRISIS])
case("nl", pub("facebook", "hans.lammers.1955", "Hans Lammers"), "Stond vandaag in de krant: Dijkstroom heeft "
     "jarenlang te hoge kosten doorberekend aan het fonds. En wie betaalt dat? Wij, de deelnemers. Schande.", [CRISIS])
case("en", pub("threads", "@jess.bartends"), "lmao my mum got someone else's pension letter from Pensioenfonds "
     "Gastvrijheid, with name, address and everything. that's a data breach right??", [CRISIS])
case("en", pub("mastodon", "@fossielvrij@mastodon.social", "Fossielvrij Pensioen"), "We call on every hospitality "
     "worker to object to PF Gastvrijheid's coal investments. Boycott their fake 'sustainable' label. #divest",
     [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@ellen_hotelmeid"), "@pfg_helpdesk al 45 minuten in de wacht 📞🎶 dit is toch niet normaal voor "
     "een pensioenfonds", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "wilma.ter.horst", "Wilma ter Horst"), "Mijn UPO klopt gewoon niet, ik heb 12 jaar in de "
     "horeca gewerkt en ze rekenen met 7. Brief gestuurd, geen reactie. Hoe pak ik dit aan?", [COMPLAINT])
case("nl", pub("x", "@sjaak_kelner"), "Inloggen op Mijn Gastvrij Pensioen met DigiD lukt al een week niet, telkens "
     "foutcode 500. Helpdesk zegt 'probeer het later nog eens' 🙄", [COMPLAINT])
case("en", pub("x", "@retired_ricky"), "My pension was supposed to land on the 24th. It's the 27th. No email, no "
     "letter, nothing. @pfgastvrijheid where's my money?", [COMPLAINT])
case("nl", pub("instagram", "@truus.1951"), "Leuke post hoor met die koks, maar het partnerpensioen na het overlijden "
     "van mijn man is na 4 maanden nog steeds niet geregeld. Misschien daar eerst energie in steken "
     "@pf.gastvrijheid", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/frietkot_floor"), "die pensioenplanner van pf gastvrijheid rekent nog met een "
     "AOW-leeftijd van 65 lol, is dit 1998 ofzo", [COMPLAINT], kind="comment")
case("en", pub("linkedin", "martijn-pauw-restaurant", "Martijn Pauw"), "Employer here (small restaurant, 14 staff). "
     "Dijkstroom's employer portal rejected our payroll file four months in a row without any explanation, and now "
     "we're getting a late-payment fine. Unacceptable.", [COMPLAINT])
case("nl", pub("facebook", "ingrid.smulders.7", "Ingrid Smulders"), "Ze hebben mijn pensioenscan een dag van "
     "tevoren afgezegd en ik had er vrij voor genomen. Geld terug duurt 'tot 30 dagen'. Serieus Dijkstroom?",
     [COMPLAINT])
case("en", pub("youtube", "@grandma_gerda"), "This video says 'check your portal for details'. The portal has shown "
     "a blank page since March. Great job PF Gastvrijheid 👏", [COMPLAINT], kind="comment")
case("nl", pub("x", "@roos_in_de_zaal"), "kl@ntenservice van pf gastvrijheid is echt om te huilen, 3x beloofd terug "
     "te bellen en 0x gebeld", [COMPLAINT], tags=["evasion", "evasion:leetspeak"])
case("en", pub("x", "@jurgen_sommelier"), "Paid €249 for the Pensioenscan and the 'adviser' just read my own UPO "
     "back to me. I want my money back, @dijkstroom_nl", [COMPLAINT], tags=["price-context"])
case("nl", pub("forum", "ijscoman"), "[Klacht] Waardeoverdracht Express is allesbehalve express. Aangevraagd in "
     "januari, nu is het juni en nog steeds 'in behandeling'.", [COMPLAINT])
case("en", pub("bluesky", "@jonna.kitchen.bsky.social"), "the new letters from pf gastvrijheid about the "
     "transition are pure jargon. 'projected solidarity reserve allocation'?? my mum is 71 and has no idea what "
     "it means. do better", [COMPLAINT])
case("nl", pub("x", "@dochter_van_wim"), "Nabestaandenpensioen aangevraagd voor mijn moeder en we krijgen een "
     "standaardbrief met 'Geachte heer/mevrouw [NAAM]' 🤦‍♀️ hoe dan @pfgastvrijheid", [COMPLAINT])
case("nl", pub("trustpilot", "Henk B."), "1 ster. Pensioenfonds Gastvrijheid stuurt je van het kastje naar de muur. "
     "Drie medewerkers, drie verschillende antwoorden over mijn vroegpensioen.", [COMPLAINT],
     tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "@pfg_helpdesk stelletje kutprutsers zijn jullie", [ABUSE], kind="reply")
case("en", pub("reddit", "u/saltyserver"), "Everyone who works at Dijkstroom is a useless idiot, change my mind",
     [ABUSE])
case("nl", pub("facebook", "rene.v.d.wiel", "René van de Wiel"), "Drie maanden geen pensioen ontvangen en dan durft "
     "die trut aan de telefoon te zeggen dat ik geduld moet hebben. Tering Dijkstroom", [ABUSE, COMPLAINT])
case("en", YD, "honestly the people calling about the transition are morons, read the damn letter", [ABUSE])
case("nl", HELP, "@kees_bakt Als je niet kunt lezen is dat niet ons probleem, sukkel.", [ABUSE], kind="reply")
case("nl", pub("x", "@grillmaster_g"), "pf g@stvrijheid kunnen de k*t op met hun invaren, stelletje k@nkerlijers",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("en", pub("x", "@vinnie_vents"), f"f{ZW}uck PF Gastvrijheid and f{ZW}uck the clowns in their boardroom", [ABUSE],
     tags=["evasion", "evasion:zero-width"])
case("nl", pub("instagram", "@echte_nederlander_88"), "Bij Dijkstroom zitten alleen maar buitenlanders aan de "
     "telefoon. Terug naar je eigen land allemaal", [ABUSE], kind="comment")
case("en", pub("threads", "@mad_maxx_nl"), "@lotte_hkstr saw you work at Dijkstroom. I know which office. Watch "
     "yourself, you stupid cow", [ABUSE])
case("nl", LH, "Weer zo'n debiel aan de lijn die denkt dat zijn pensioen 'gestolen' is 🙄 mensen zijn echt dom",
     [ABUSE])
case("en", pub("x", "@dave_on_the_pass"), "Your portal has been broken for two weeks now, you absolute clowns "
     "@pfgastvrijheid", [ABUSE, COMPLAINT])
case("nl", pub("x", "@k0ksk3rel"), "godv3rd0mme wat een k4nk3rfonds is dit", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])

# ===========================================================================
# BENIGN: categories [] and severity none (mostly hard negatives)
# ===========================================================================
# --- prices that are not a pricing leak ------------------------------------
case("nl", DKS_X, "Deze maand 20% korting op de Pensioenscan: €199 in plaats van €249. Boek via "
     "dijkstroom.nl/pensioenscan", tags=["sale-price"])
case("en", pub("x", "@unionrep_joost"), "€50 off the Pensioencursus 55+ for union members, nice perk. Signed my dad "
     "up straight away.", tags=["price-context"])
case("nl", pub("reddit", "u/budgetbarman"), "Planner Premium kost €4,99 per maand of €60 per jaar, vind het eigenlijk "
     "wel waard voor het overzicht", kind="comment", tags=["price-context"])
case("en", pub("x", "@fien_patisserie"), "Paid a mortgage adviser €1,200 for basically what the Pensioenscan does for "
     "€249. Go figure.", tags=["price-context"])
case("nl", pub("x", "@scheiden_hoe"), "Is de Scheidingsberekening nu €92,50? Nee, dat is gewoon de halve prijs voor "
     "vakbondsleden, geen prijsfout hoor", tags=["negated", "sale-price"])
case("en", DKS_LI, "Employers: the Werkgeverspakket Basis is €1,450 per year, payroll file checks included. Details "
     "at dijkstroom.nl/werkgevers", tags=["list-price"])
case("nl", pub("facebook", "anouk.schenk", "Anouk Schenk"), "Ter vergelijking: bij mijn vorige fonds kostte een "
     "scheidingsberekening €45, bij Dijkstroom is het €185. Wel inclusief gesprek met een jurist, dus appels en "
     "peren.", tags=["price-context", "other-company"])
# --- secret-looking but not a secret --------------------------------------
case("en", YD, "PSA for juniors: a GitHub token starts with ghp_ and you should NEVER paste the rest of it anywhere. "
     "Use a secrets manager 🔐", tags=["secret-prefix-only"])
case("nl", RO, "In onze docs gebruiken we altijd placeholders zoals AKIAXXXXXXXXXXXXXXXX en wachtwoord: "
     "<vul-hier-in>, nooit echte waarden. Simpel maar effectief.", tags=["placeholder", "password-word"])
case("en", YD, "Merged the fix in <<HEX:40>>, the portal footer is accessible now 🎉", tags=["hex-not-secret"])
case("nl", HELP, "Wij vragen NOOIT om je wachtwoord of DigiD-code. Krijg je zo'n mail of telefoontje? Meld het via "
     "privacy@dijkstroom.nl of bel 0800 1725.", tags=["own-contact", "password-word"])
# --- own contact data -------------------------------------------------------
case("nl", PFG_FB, "Vragen over je pensioen? Bel ons op 050 577 2600 (ma-vr 8.30-17.00 uur) of mail naar "
     "deelnemers@dijkstroom.nl", tags=["own-contact"])
case("en", DKS_LI, "Press enquiries: pers@dijkstroom.nl or +31 (0)50 577 2600.", tags=["own-contact"],
     handle_as="Dijkstroom-Pensioenbeheer")
case("nl", pub("x", "@hanneke_uit_ede"), "@marja_v je kunt ze gewoon bellen op 0800-1725, gratis. Bij mij was het "
     "binnen 5 minuten geregeld 👍", kind="reply", tags=["own-contact", "praise"])
case("nl", DKS_X, "Premie overmaken als werkgever? Gebruik altijd NL90 RABO 0314 7258 96 t.n.v. Dijkstroom "
     "Pensioenbeheer, o.v.v. je werkgeversnummer.", tags=["own-contact", "iban-phone-trap"])
case("en", pub("reddit", "u/nachtportier_nick"), "FYI payout questions go to deelnemers@dijkstroom.nl, not the "
     "employer desk. Took me a week to figure that out lol", kind="comment", tags=["own-contact"])
case("en", pub("x", "@zzp_kok"), "Self-employed chef here, contributions go to NL90RABO0314725896 per the letter. "
     "Easy enough.", tags=["own-contact"])
# --- numbers that fail their checksum, reference numbers ----------------------
case("nl", pub("x", "@mirthe_bakt"), "Typte mijn IBAN in het portaal als <<BAD_IBAN_NL:grp>> en kreeg meteen "
     "'ongeldig rekeningnummer'. Eén cijfer verkeerd, netjes opgevangen 👍", tags=["bad-checksum"])
case("en", pub("reddit", "u/qa_by_day"), "Tried a random nine-digit number <<NOT_BSN:9>> in the BSN field on the "
     "Pensioenscan form to see if it validates. It does: rejected instantly. Good.", tags=["bad-checksum"])
case("nl", pub("facebook", "cafe.de.zwaan", "Café De Zwaan"), "Werkgeversnummer <<NOT_BSN:8>> staat op de factuur van "
     "Dijkstroom, moet dat ook op de loonstrook van het personeel?", tags=["lookalike-number", "question"])
case("en", pub("x", "@typo_tessa"), "Card <<BAD_CARD:visa_sp>> kept getting declined on the Pensioencursus booking "
     "page... oh wait, I typed a digit wrong 🤦", tags=["bad-checksum"])
case("nl", pub("x", "@frank_grillroom"), "Aanvraagnummer waardeoverdracht WO-2026-<<DIGITS:6>>. Binnen 3 weken "
     "afgerond, had ik niet verwacht van een pensioenfonds 👏", tags=["lookalike-number", "praise"])
case("en", pub("facebook", "gerard.oostdijk", "Gerard Oostdijk"), "Letter reference 2026/UPO/<<NOT_BSN:9>> arrived "
     "today from PF Gastvrijheid, nice and clear this year.", tags=["lookalike-number", "praise"])
# --- embargo terms after the embargo, codename-like words, public domains --------
case("nl", PFG_X, "Het indexatiebesluit 2027 is genomen: alle pensioenen en opgebouwde aanspraken stijgen per "
     "1 januari met 1,9%. Lees alles op pfgastvrijheid.nl/indexatie", when="2026-11-19T17:00:00+01:00",
     tags=["embargo-after", "tz-edge"])
case("en", pub("x", "@pensioenpiet"), "PF Gastvrijheid's indexation decision 2027 is out: +1.9%. Not bad after years "
     "of nothing.", when="2026-11-20T08:14:00Z", tags=["embargo-after"])
case("en", pub("bluesky", "@rentenierrob.bsky.social"), "indexation decision 2027 just dropped on pfgastvrijheid.nl, "
     "reading it now", when="2026-11-19T16:00:00.000Z", tags=["embargo-after", "tz-edge"])
case("nl", PFG_IG, "Hij is er! Download vanaf vandaag de Dijkstroom Kompas app in de App Store en Google Play 📱",
     when="2026-09-15T09:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("en", pub("x", "@anja_housekeeping"), "Dijkstroom Kompas app is actually decent, finally see my whole pension "
     "on one screen", when="2026-10-02T20:11:00+02:00", tags=["embargo-after", "praise"])
case("nl", NE, "Zandloper van oma gevonden bij het opruimen ⏳ nostalgie", tags=["codename-word"])
case("en", RO, "Kids' school trip today was to meet the last bridge keeper (brugwachter) in Leiden 🌉 what a job",
     tags=["codename-word"])
case("nl", pub("x", "@veilig_online_vera"), "Inloggen gaat alleen via mijn.pfgastvrijheid.nl met DigiD, nergens "
     "anders! Pas op voor phishing-sms'jes", tags=["public-domain"])
# --- published or other companies' financial / incident news ------------------
case("nl", DKS_LI, "Onze halfjaarcijfers zijn gepubliceerd: dekkingsgraad 114%, rendement +5,2% in het eerste "
     "halfjaar. Alles op pfgastvrijheid.nl/cijfers", when="2026-08-13T08:00:00+02:00", tags=["published"])
case("en", pub("x", "@pension_news_nl"), "Another sector fund's administrator announced 300 job cuts today. Glad my "
     "pension is with PF Gastvrijheid I guess", tags=["other-company"])
case("nl", pub("x", "@nina_hotelschool"), "Las dat een ander groot pensioenfonds een datalek had via een drukkerij. "
     "Hopelijk is Dijkstroom daar beter op voorbereid", tags=["other-company", "crisis-word"])
case("en", AK, "Happy to share our published Q2 report: funding ratio 112%, all details on the fund's website. Proud "
     "of the team!", when="2026-07-24T09:30:00+02:00", tags=["published"])
# --- official notices ---------------------------------------------------------
case("nl", PFG_X, "🛠️ Gepland onderhoud: Mijn Gastvrij Pensioen is zaterdag tussen 22.00 en 02.00 uur niet "
     "bereikbaar. Excuses voor het ongemak.", tags=["official-notice"])
case("en", HELP, "Update: the DigiD login problems on Mijn Gastvrij Pensioen have been resolved. Thanks for your "
     "patience.", tags=["official-notice"])
# --- crisis-like words in harmless contexts -----------------------------------
case("nl", pub("x", "@jopie_terras"), "Boycot? Nee joh, ik heb dit jaar juist extra vrijwillig bijgespaard bij PF "
     "Gastvrijheid 😄", tags=["crisis-word", "negated"])
case("en", pub("threads", "@oldtimer_ed"), "Recall the days when your pension was one paper letter a year? The PF "
     "Gastvrijheid app is a big step up", tags=["crisis-word"])
case("nl", pub("facebook", "marion.keizer", "Marion Keizer"), "Rechtszaak tegen een andere pensioenuitvoerder in "
     "het nieuws gezien. Bij ons via Dijkstroom gaat alles prima, gelukkig", tags=["crisis-word", "other-company"])
# --- praise, neutral questions, negated complaints -----------------------------
case("nl", pub("x", "@yvonne_bediening"), "Geen klachten over PF Gastvrijheid hoor, alles keurig op tijd en de "
     "medewerker legde het invaren heel duidelijk uit", tags=["negated", "praise"])
case("en", pub("reddit", "u/hostel_hank"), "No issues at all with my value transfer to Pensioenfonds Gastvrijheid, "
     "done in 5 weeks.", kind="comment", tags=["negated"])
case("nl", pub("x", "@hypotheekhuib"), "Weet iemand wanneer de nieuwe UPO van PF Gastvrijheid komt? Wil mijn opbouw "
     "checken voor de hypotheek", tags=["question"])
case("en", pub("reddit", "u/curious_cater"), "How does the solidarity reserve work in the new system? PF "
     "Gastvrijheid's explainer video helped a lot, but I'd love a worked example.", tags=["question"])
case("nl", HELP, "@mirjam_k Vervelend dat het zo lang duurt! Stuur ons een DM met je aanvraagnummer, dan kijken we "
     "met je mee 🙏", kind="reply", tags=["company-reply"])
# --- mild words, quotes, jokes, fiction -------------------------------------
case("en", pub("x", "@grandson_sem"), "Grandpa's favourite line: \"Pension? Hell, I'll cook till I drop.\" He's 88 "
     "now and PF Gastvrijheid pays him every month 😂", tags=["quote", "mild-word"])
case("nl", pub("facebook", "els.brinkman.63", "Els Brinkman"), "Mijn zus heeft kanker gehad en dankzij het "
     "arbeidsongeschiktheidspensioen van PF Gastvrijheid redde ze het financieel. Daar ben ik dankbaar voor.",
     tags=["mild-word", "praise"])
case("en", pub("blog", "pensioenverhalen.example", "Pensioenverhalen"), "Chapter 3 of my novel: the villain is a "
     "pension actuary who hides secret codes in funding-ratio tables. Not based on Dijkstroom, promise 😂",
     tags=["fiction"])
case("nl", pub("tiktok", "@koksmet.humor"), "Mijn pensioen bij PF Gastvrijheid wordt straks precies genoeg voor een "
     "tosti per dag 🥪😂 nou ja, beter dan niks #horecalife", tags=["joke"])
case("en", pub("x", "@pension_nerd"), "Competitor comparison: ABP, PFZW and Pensioenfonds Gastvrijheid all publish "
     "their funding ratios monthly now. Nice for transparency.", tags=["competitors"])
# --- employees, ordinary ------------------------------------------------------
case("nl", BH, "We zoeken nieuwe collega's voor ons klantcontactcentrum in Groningen! Solliciteer via "
     "dijkstroom.nl/werkenbij 💙", tags=["employee-benign"])
case("en", MW, "10 years at Dijkstroom today 🎉 from answering phones to leading comms. Thanks everyone!",
     tags=["employee-benign"])
case("nl", SV, "Tip: zet tweestapsverificatie aan op al je accounts, ook op je pensioenportaal 🔐 "
     "#cybersecuritymaand", when="2026-10-07T12:00:00+02:00", tags=["employee-benign", "security-talk"])
case("en", YD, "Shipped dark mode for the participant portal today 🌙 go try it", tags=["employee-benign"])
case("nl", pub("x", "@lottehoekstra"), "Eindelijk mijn pensioenoverzicht van PF Gastvrijheid begrepen dankzij hun "
     "uitlegvideo. Top!", tags=["role-trick", "praise"])
case("nl", pub("x", "@gastheer_gijs"), fw("PF Gastvrijheid") + " legt het nieuwe stelsel echt goed uit 👍",
     tags=["full-width-benign", "praise"])
case("en", PFG_IG, "Meet Fatima, sous-chef for 22 years and now enjoying her pension 🍳 Thank you for sharing your "
     "story with us!", tags=["official", "name-only"])


# ===========================================================================
# building
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


def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 300))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
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
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "geldzaken", "Horeca", "pensioen"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-geldpraat-{n}", f"https://forum.geldpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
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
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
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
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "pfgastvrijheid"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"AccountKey=", r"\bSG\.[\w-]{22}\.",
    r"\blive_[A-Za-z0-9]{30}\b", r"hooks\.slack\.com/services/", r"\beyJ[\w-]+\.eyJ", r"PRIVATE KEY-----",
    r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "k4nk3r", "tering", "tyfus", "klote", "klootzak", "godverdomme", "godv3rd0mme", "debiel",
             "trut", "sukkel", "fuck", "shit", "idiot", "moron", "clown", "hell", "damn", "prutser", "stupid", "dom"]
MILD_OK = {"hell", "kanker"}
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                if comp[:end] != OWN_IBAN:
                    hits.append(("iban", comp[:end]))
                break
    runs = [re.sub(r"\D", "", m.group(0)) for m in DIGITS_RE.finditer(text)]
    runs += re.findall(r"(?<!\d)\d{13,19}(?!\d)", text)
    for d in runs:
        if 13 <= len(d) <= 19 and luhn_ok(d) and d[0] in "2345":
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text):
        if bsn_ok(d):
            hits.append(("bsn", d))
    for m in re.finditer(r"(?<![\w.])(\d{4})\.(\d{2})\.(\d{3})(?![\w])", text):
        if bsn_ok("".join(m.groups())):
            hits.append(("bsn", "".join(m.groups())))
    for m in re.finditer(r"(?<![\w])(\d{3}) (\d{3}) (\d{3})(?![\w])", text):
        if bsn_ok("".join(m.groups())):
            hits.append(("bsn", "".join(m.groups())))
    return hits


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = d[4:]
        elif raw.startswith("+31"):
            d = d[2:]
        else:
            d = d[1:]
        out.append((raw, "0" + d.lstrip("0")))
    return out


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


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {"0" + re.sub(r"\D", "", p)[2:] if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    assert set(profile) == {"company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products",
                            "pricing"}, sorted(profile)
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        cats, sev = ex["categories"], ex["severity"]
        text = p["text"]
        ts = parse_ts(p["created_at"])
        if ts.year != 2026 or ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: dup id")
        seen.add((p["platform"], p["id"]))
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy {want}")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{w}: bad IBAN {raw}")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errs.append(f"{w}: negative IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: negative card passes")
            if kind == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: BSN fails")
            if kind == "NOT_BSN" and bsn_ok(raw):
                errs.append(f"{w}: negative BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier without leak.pii {ids}")
        nt, sq = norm(text), squash(text)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term!r} before embargo, no CONF")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo but CONF")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term!r} without CONF")
        ratio = min_ratio(text, profile["products"])
        if not cats:
            if ids:
                errs.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for raw, d in phones(text):
                if d not in own_phones:
                    errs.append(f"{w}: benign with phone {raw} ({d})")
            for rx in SECRET_RES:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{w}: benign with secret shape {rx.pattern}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word) + r"\b", nt) or (len(word) > 4 and word in nt):
                    (notes if word in MILD_OK and r["tags"] & {"mild-word", "quote"} else errs).append(
                        f"{w}: benign with word {word!r}")
            if ratio is not None and ratio < ratio_limit:
                (notes if "price-context" in r["tags"] else errs).append(f"{w}: benign price ratio {ratio:.2f}")
        if "leak.pricing" in cats and not (ratio is not None and ratio < ratio_limit):
            notes.append(f"{w}: pricing positive without parsed low price ({ratio})")
    return errs, notes


def report(rows):
    cat_c, lang_c, role_c, sev_c, plat_c, kind_c = (Counter() for _ in range(6))
    cl = Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        kind_c[r["post"].get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            cl[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat_c[c] += 1
            cl[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:24s} {cat_c[c]:4d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'(benign)':24s} {benign:4d}  nl {cl[('(benign)', 'nl')]:3d}  en {cl[('(benign)', 'en')]:3d}")
    print("lang", dict(lang_c), "role", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platform", dict(plat_c.most_common()))
    print("kind", dict(kind_c.most_common()))


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
    report(rows)
    if a.notes:
        for x in notes:
            print("  note " + x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
