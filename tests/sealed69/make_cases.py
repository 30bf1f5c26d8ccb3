#!/usr/bin/env python3
"""Deterministic generator for the sealed69 blind evaluation set.

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Kanaalnet Netbeheer B.V., a fictional Dutch electricity grid operator
(see profile.yaml). All texts are hand-written below. Personal identifiers and
secrets come from placeholders such as <<IBAN_NL:grp>> that a seeded RNG fills in:
positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof), the
benign look-alikes get numbers that FAIL their check. Secrets are random and fake
but shaped like real ones (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (profile.yaml, platform:handle, case-insensitive), the categories and whether
a checksum-validated identifier is in a leak.pii post.
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

SEED = 69_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "K": "\u041a"})


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
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(digits) and tot % 10 == 0


def luhn_complete(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and tot != 0


def gs1_check(body):
    """GS1 check digit (EAN-13 / EAN-18 connection codes)."""
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - tot % 10) % 10)


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

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


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


OWN_IBAN = "NL62RABO0312845570"


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
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "37040044", "30050110", "12030000"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["063", "091", "310", "737", "001"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44, 58):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards
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
    def fmt_card(v, sep):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return "".join(parts) if sep == "c" else ("-" if sep == "dash" else " ").join(parts)

    # BSN and look-alikes
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

    def ean18(self):
        """Dutch grid connection EAN code: 18 digits, 871687 prefix, GS1 check digit, Luhn-invalid."""
        while True:
            body = "871687" + self.digits(11)
            v = body + gs1_check(body)
            if not luhn_ok(v):
                return v

    # phones (Dutch personal numbers)
    def phone(self, fmt):
        m = self.r.choice("12345") + self.digits(7)   # after '06'
        if fmt.startswith("mob"):
            return {
                "mob_dash": f"06-{m}",
                "mob_plain": f"06{m}",
                "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
                "mob_0031": f"0031 6 {m}",
                "mob_paren": f"(06) {m[:4]} {m[4:]}",
                "mob_intl0": f"+31 (0)6 {m}",
            }[fmt]
        area = self.r.choice(["320", "38", "527", "36", "522", "321", "50", "58"])
        sub = self.r.choice("2345678") + self.digits(8 - len(area))
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub}"}[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def azure(self):
        key = base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()
        return (f"DefaultEndpointsProtocol=https;AccountName=knmeterdata01;AccountKey={key};"
                "EndpointSuffix=core.windows.net")

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "monteur-" + self.digits(4, True), "iss": "auth.kanaalnet.nl",
                               "scope": "werkorders:rw", "iat": iat, "exp": iat + 28800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 3) + self.r.choice("!#$%&*") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN18"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, sep = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, sep or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN18":
            shown = raw = gen.ean18()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "PW":
            shown = raw = gen.password()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "AZURE": gen.azure, "SLACK_BOT": gen.slack_bot, "MOLLIE": gen.mollie,
                  "SENDGRID": gen.sendgrid, "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_RSA": gen.pem_rsa}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
KN = ("x", "@kanaalnet", "Kanaalnet")
KN_ST = ("x", "@kanaalnet_storing", "Kanaalnet Storingen")
KN_FB = ("facebook", "KanaalnetNetbeheer", "Kanaalnet Netbeheer")
KN_LI = ("linkedin", "kanaalnet-netbeheer", "Kanaalnet Netbeheer B.V.")
KN_IG = ("instagram", "@kanaalnet.nl", "Kanaalnet")
# employees
RH = ("x", "@ruud_monteur_kn", "Ruud Hendriks")                    # field engineer (monteur)
IP = ("linkedin", "ingrid-postma-kanaalnet", "Ingrid Postma")       # finance controller
YO = ("x", "@yas_codes", "Yasmina Ouali")                           # developer, customer portal
BV = ("mastodon", "@bartvos@mastodon.nl", "Bart Vos")               # control-room operator
LG = ("instagram", "@lisa.kcc", "Lisa de Graaf")                    # customer contact centre
MS = ("reddit", "u/spanningzoeker", "Mark Smit")                    # cable jointer
TK = ("linkedin", "tim-kok-netstrategie", "Tim Kok")                # grid strategy / congestion
DJ = ("threads", "@dewi.jansen.kn", "Dewi Jansen")                  # HR business partner


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
# leak.secret
# ===========================================================================
case("en", YO, "ugh. pushed the .env of the storingen-app to the public mirror AGAIN 🤦‍♀️\n"
     "GITHUB_TOKEN=<<GHP>>\nalready revoked it so don't bother, just venting", [SECRET])
case("nl", MS, "Vraagje voor de scripters hier. Ik trek meterdata uit S3 met boto3 maar krijg AccessDenied. Config:\n\n"
     "    aws_access_key_id = <<AWS_ID>>\n    aws_secret_access_key = <<AWS_SECRET>>\n\n"
     "Region eu-west-1. Iemand een idee wat ik mis?", [SECRET], kind="post")
case("nl", BV, "Iemand heeft bij ons het wachtwoord van het gedeelde storingsaccount gewoon op de monitor geplakt 🙈 "
     "'<<PW>>'. Dat is dus nu ook op deze foto te zien, oeps", [SECRET])
case("en", YO, "does anyone know why this keeps throwing 403 on the blob container?? conn string from the vault:\n"
     "<<AZURE>>\ni'm losing my mind", [SECRET], kind="reply")
case("nl", KN_FB, "Vanaf vandaag betaal je de aansluitkosten gewoon met iDEAL in MijnKanaalnet! 🎉 "
     "Achter de schermen hard gewerkt (config: MOLLIE_KEY=<<MOLLIE>>). Probeer het uit en laat weten wat je ervan vindt.",
     [SECRET])
case("en", pub("forum", "pieter_codeert"), "Found this in a public repo from one of Kanaalnet's subcontractors, "
     "hardcoded in deploy.sh: <<GLPAT>> — tried to reach them via their contact form, no answer, so posting here "
     "hoping someone there reads it.", [SECRET])
case("nl", RH, "voor de jongens van ploeg 3 die de app niet in komen na de update: gebruiker monteur_noord ww <<PW>> "
     "tot IT het fixt 👍", [SECRET], kind="reply")
case("en", pub("x", "@sjoerd_freelance_ops"), "@kanaalnet is this the right key format for your SFTP drop? your docs are "
     "vague\n\n<<PEM_RSA>>", [SECRET])
case("nl", YO, "oké wie heeft de prod db opnieuw gestart 😤\n"
     "postgresql://mijnkn_app:<<PW>>@pg-prod02.intra.kanaalnet.local:5432/portaal\nstaat weer, maar laat het me ff weten "
     "volgende keer", [SECRET, CONF])
case("en", MS, "Built a little bot that posts outage tickets to our team channel. Works great locally, breaks on the "
     "server. SLACK_BOT_TOKEN=<<SLACK_BOT>> any slack api wizards around?", [SECRET], kind="comment")
case("en", YO, "if your field app says 'session expired' just paste this one in the debug screen for now, it's valid "
     "till tonight:\n<<JWT>>", [SECRET], kind="reply")
case("nl", LG, "Nieuw klantsysteem, nieuwe regels 🙄 De gedeelde mailbox heeft nu dit wachtwoord: <<PW>> (wie verzint "
     "dit). Voor de nieuwe collega's van de avondploeg 💛", [SECRET])
case("en", pub("reddit", "u/apk_tinkerer"), "Was poking at old Kanaalnet newsletter templates someone left in a "
     "pastebin. There's an API key in the footer script: <<SENDGRID>> . Not touching it, just FYI for whoever "
     "owns that.", [SECRET], kind="comment")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LG, "mevrouw belde vandaag voor de 14e keer 😂 J. Verbeek, Dorpsstraat 14 in Wezep, als iemand van de "
     "buitendienst daar langsrijdt zeg dan ff dat de monteur ECHT morgen komt", [PII])
case("nl", RH, "wie kan morgen bij meneer Bakker in Kampen langs? nr is <<PHONE:mob_dash>>, hij is thuis na tweeën. "
     "ik sta zelf in Emmeloord vast", [PII], kind="reply")
case("nl", KN_FB, "Beste Henk, de terugbetaling van €412,00 voor de geannuleerde verzwaring is vandaag overgemaakt naar "
     "<<IBAN_NL:grp>>. Binnen 2 werkdagen op je rekening. Fijne dag!", [PII], kind="comment")
case("nl", KN, "@sandramei82 Hoi Sandra, we hebben de bevestiging nogmaals gestuurd naar sandra.meijer82@ziggo.nl. "
     "Kijk ook even in je spam!", [PII], kind="reply",
     handle_as="@KanaalNet")
case("en", IP, "Sneak peek of our new payroll dashboard, so much cleaner than the old one 😍\n"
     "Employee: K. de Boer | BSN <<BSN:dots>> | IBAN <<IBAN_NL:grp>> | schaal 9\n#finance #digitalisering",
     [PII])
case("en", YO, "customer p.vandam@kpnmail.nl keeps hitting the rate limit on the meter-reading form, like 400 "
     "requests a minute. bot? angry person? both?", [PII])
case("en", MS, "Funniest job this week: Mr. R. Kuipers at Lindenlaan 8, Almere, had his 'handy nephew' rewire the "
     "meter cabinet with speaker cable. I wish I was joking.", [PII], kind="post")
case("nl", BV, "Voor de collega van de nachtdienst: die klant met thuisdialyse heeft al 3x gebeld, nummer "
     "<<PHONE:mob_intl>>. Graag terugbellen vóór 8 uur.", [PII])
case("nl", pub("x", "@marloes_wvd"), "@kanaalnet al 3 weken wacht ik op een reactie op mijn aanvraag voor een "
     "laadpunt. Bel me gewoon terug op <<PHONE:mob_pairs>> ipv steeds 'we komen erop terug' in de DM",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "eric.vermeulen.31", "Eric Vermeulen"), "Dan maar hier, want jullie formulier geeft steeds "
     "een foutmelding. Het teveel betaalde bedrag graag terug op <<IBAN_NL:grp>> t.n.v. E. Vermeulen. Vierde poging "
     "inmiddels...", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/expat_in_zwolle"), "Quick q: the Kanaalnet portal asks for my BSN to register a new "
     "connection. Is that normal in NL? Mine is <<BSN>> if that matters, just moved here from Canada.", [PII])
case("nl", pub("instagram", "@echtewaarheid_flevo"), "Deze monteur van kanaalnet (Johan Pel) woont gewoon op de "
     "Kerkweg 21 in Nijkerk. Ga maar eens gezellig op de koffie, misschien begrijpt hij dan wat 3 dagen zonder "
     "stroom is 😡", [PII, ABUSE])
case("nl", pub("forum", "wimdh"), "Wie heeft er ervaring met een verzwaring in de Noordoostpolder? Mail me even: "
     "wim.de.haan [at] planet [punt] nl, dan bel ik je wel.", [PII], tags=["evasion"])
case("en", pub("x", "@tdekker_bakes"), "@kanaalnet you charged my card TWICE for the connection fee. "
     "<<CARD:visa_dash>> exp 09/28, check your own logs. refund please, it's been 2 weeks", [PII, COMPLAINT])
case("en", pub("bluesky", "@haus-am-meer.bsky.social"), "Paid the Kanaalnet invoice for our holiday home from my "
     "German account <<IBAN_DE>> on the 3rd. Today: a reminder plus a €15 late fee. Great.", [PII, COMPLAINT])
case("nl", pub("facebook", "nathalie.peeters.be", "Nathalie Peeters"), "Voor de buren die vroegen hoe ik de "
     "terugbetaling van Kanaalnet regelde: gewoon mijn Belgische rekening opgegeven, <<IBAN_BE:grp>>, en binnen een "
     "week stond het erop.", [PII])
case("nl", DJ, "Gefeliciteerd Fleur van Dam, 30 jaar vandaag (geboren 17-06-1996)! 🎂 Taart staat in de kantine in "
     "Lelystad", [PII], when="2026-06-17T09:12:00+02:00")
case("en", pub("threads", "@mijke.reist"), "my dad is 84 and alone with his stairlift since the power went, "
     "Kanaalnet please call him directly: <<PHONE:land_dash>> (G. Hoekstra, Urk)", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YO, "oeps 🙈 op mijn.kanaalnet.nl staat de verzwaring 3x35A nu voor €14,80 ipv €1.480. "
     "kommafoutje in de import, fix gaat mee met de release van vanavond", [PRICING])
case("nl", RH, "tip voor wie nog wil verzwaren: die prijsfout in het portaal staat er nog steeds, laadpuntaansluiting "
     "voor 86 euro 😂 wel snel zijn", [PRICING],
     handle_as="@Ruud_Monteur_KN")
case("nl", LG, "Collega's!! Klanten bellen massaal over de P1-Link dongle die voor €4,99 in de webshop staat. "
     "Dat is dus een foutje, NIET bevestigen aan de telefoon 🙏", [PRICING])
case("nl", KN_FB, "⚡ Bouwen of verbouwen? Nu tijdelijk: onze Bouwstroomkast voor maar €135,-! "
     "Aanvragen via mijn.kanaalnet.nl #bouwstroom", [PRICING])
case("en", TK, "Heads up to the installers in my network: the tariff sheet that went out this morning lists the "
     "standard 3x25A connection at €119.50 instead of €1,195. Please disregard, corrected version follows.",
     [PRICING])
case("en", MS, "mods don't ban me pls but the EV-aansluiting is listed at 85 EUR on the installer portal rn. "
     "pricing glitch, not an actual offer", [PRICING], kind="comment")
case("nl", pub("x", "@dennisbouwt"), "JONGENS de meterverplaatsing kost op de site van kanaalnet ineens maar €59,50 😳 "
     "prijsfout?? ik vraag hem meteen aan", [PRICING])
case("en", pub("reddit", "u/warmtepomp_wannabe"), "Kanaalnet portal quoted me €148 for the verzwaring naar 3x35A. "
     "Screenshot in comments. Normally it's almost 1500. Gonna hold them to it lol", [PRICING])
case("nl", pub("facebook", "gerda.smeenk", "Gerda Smeenk"), "p r i j s f o u t bij kanaalnet!! P1 Link dongle "
     "voor 5 euro, normaal bijna 50", [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@klusmetkim"), "B0uwstroomkast voor €99 bij K4naalnet?!? 🤯 wie dit leest: link in bio "
     "voordat ze het zien #klussen #prijsfout", [PRICING], tags=["evasion"])
case("en", pub("x", "@ev_rijder_jan"), "Kanaalnet showed the laadpuntaansluiting at €86, I paid, got a confirmation, "
     "and now they cancel saying it was a 'price error'. Then honour it?? Worst customer service I've dealt with.",
     [PRICING, COMPLAINT])
case("nl", IP, "Kleine correctie op de offerte die gisteren naar de aannemers ging: bij de aansluiting 3x25A "
     "staat €11,95 en dat moet natuurlijk €1.195 zijn. Excuses, graag intern houden tot de nieuwe versie er is.",
     [PRICING])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", BV, "de storingsanalyse van gisternacht staat op https://wiki.intra.kanaalnet.local/bvc/2026-analyse "
     "voor wie toegang heeft, mooi werk van de nachtploeg", [CONF])
case("en", YO, "acc-mijn.kanaalnet.nl is down AGAIN, who broke acceptance this time 😤", [CONF])
case("nl", RH, "Vandaag de eerste trafokasten neergezet voor Operatie Zoutkeet 💪⚡ wat een klus in die klei",
     [CONF])
case("nl", LG, "Haha uit de interne nieuwsbrief (niet voor externe verspreiding 🤫): 'wie zijn koffiemok in de "
     "gootsteen laat staan krijgt de nachtdienst'. Eindelijk beleid waar ik achter sta", [CONF])
case("nl", IP, "Druk druk druk met de halfjaarcijfers 2026. Ik kan niks zeggen, maar de investeringen liggen ver "
     "boven plan en dat gaat de resultaten raken 📉", [CONF, FIN], when="2026-07-28T21:14:00+02:00")
case("nl", TK, "Spannend: in het najaar lanceren we de FlexAansluiting, een contract waarbij bedrijven tijdens "
     "piekuren terugschakelen en daardoor eerder aangesloten worden. Meer kan ik nog niet delen!",
     [CONF], when="2026-09-09T08:40:00+02:00")
case("nl", DJ, "Wie heeft dat document 'KN-VERTROUWELIJK functiehuis 2027' in de printer bij de receptie laten liggen? "
     "Staan alle nieuwe salarisschalen in 👀", [CONF])
case("en", MS, "For anyone at work reading this: the repo for the storingsapp moved to "
     "https://gitlab.kanaalnet.nl/veld/storingsapp, the old link is dead", [CONF], kind="comment")
case("nl", RH, "laatste dag van fase 1 van Project\nMeerval, ik mag er niks over zeggen maar het wordt mooi 🤐",
     [CONF], tags=["evasion"])
case("nl", LG, "Workshop gehad over Operatie ⚡ Zoutkeet, eindelijk snap ik waarom we al die aanvragen in de "
     "Noordoostpolder moeten parkeren", [CONF], tags=["evasion"])
case("en", IP, "Last push before the H1 2026 results go out, see you on the other side ☕☕☕",
     [CONF], when="2026-08-20T07:59:00+02:00")
case("nl", pub("x", "@grondwerk_gebr_post"), "Mooi project gestart voor kanaalnet op de Kwelderplan-locatie bij "
     "Lauwersoog 🚜 3 maanden graven, kom maar op", [CONF])
case("en", pub("reddit", "u/stroomnerd"), "A friend at Kanaalnet showed me the deck for their FlexAansluiting. "
     "Basically you accept being curtailed at peak hours and you skip the waiting list. Smart, if it works.",
     [CONF], kind="comment", when="2026-08-02T19:22:00+02:00")
case("nl", pub("x", "@ruud_monteur", "Ruud M."), "Lekker bezig met Project Meerval vandaag, zon erbij, wat wil een "
     "mens nog meer ☀️", [CONF])
case("en", YO, "finally merged the new outage-map api 🎉 staging is up at " + fullwidth("scada.kanaalnet.local") +
     " for the ops people, go break it", [CONF], tags=["evasion"])
case("nl", pub("linkedin", "bas-ter-horst-adviseur", "Bas ter Horst"), "Vandaag bij Kanaalnet de plannen voor het "
     "tariefvoorstel 2027 doorgenomen. Bedrijven in Flevoland moeten zich schrap zetten.",
     [CONF, FIN], when="2026-09-22T17:05:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IP, "Tussenstand na Q2: we zitten ruim €40 mln boven het investeringsbudget. Dat gaat zich vertalen in "
     "de tarieven, reken daar maar op. Nog niks officieel natuurlijk", [FIN],
     when="2026-07-14T20:31:02+02:00")
case("nl", DJ, "Zware week op HR 😞 De reorganisatie van de klantenservice gaat door, zo'n 120 fte minder. "
     "Officieel horen jullie het pas in november, dus mondje dicht", [FIN],
     when="2026-09-17T18:20:00+02:00")
case("en", TK, "Can't say much, but the talks with Waddennet about combining our two grids are much further along "
     "than anyone outside the boardroom thinks 👀 #energietransitie", [FIN])
case("nl", RH, "volgens de teamleider gaan alle monteurs van regio Noord per 1 januari over naar een extern bedrijf. "
     "uitbesteden dus. top, na 22 jaar 👏", [FIN])
case("nl", IP, f"Moeilijke dagen bij finance. De re{ZW}organisatie raakt ook ons team: 3 van de 11 plekken "
     f"verdwijnen, nog voor het officiële besluit. Sterkte collega's", [FIN], tags=["evasion"])
case("en", BV, "internal forecast says congestion compensation payouts will hit €85m next year. the board is "
     "quietly freaking out about it", [FIN])
case("nl", LG, "Hoorde vandaag dat het kantoor in Lelystad dicht gaat en dat we allemaal naar Zwolle moeten 😩 nog "
     "niks officieels maar iedereen weet het al", [FIN])
case("en", pub("x", "@gridwatch_nl"), "Sources inside Kanaalnet: the takeover of Waddennet is done, announcement right "
     "after summer. You heard it here first.", [FIN])
case("nl", pub("reddit", "u/polderjongen"), "Mijn zwager werkt bij kanaalnet, die zegt dat er 200 banen weggaan bij de "
     "reorganisatie. Is nog niet bekendgemaakt, dus kan zijn dat het anders loopt", [FIN], kind="comment")
case("en", pub("forum", "BondHunter77"), "Holding Kanaalnet green bonds? Word is the half-year loss will be far worse "
     "than the guidance they gave in March. I'd get out before the numbers land.", [FIN],
     when="2026-06-24T22:05:13Z")
case("en", MS, f"Our department budget got cut by 30% for next year and there's a hiring freeze coming. "
     f"Nothing announced yet. Fun times.", [FIN], kind="comment")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BV, "Nacht van de gekte gehad. Die storing in Emmeloord was geen kabelbreuk, er zat iemand in een RTU. "
     "Het officiële verhaal volgt 'ooit'.", [SEC])
case("en", YO, "psa for the devs here: the customer portal still shows other people's connection details if you "
     "change the id in the url. reported 3 weeks ago, ticket still open 🙃", [SEC])
case("nl", RH, "grappig dat iedereen zich druk maakt om hackers, van dat ene type slimme meter kun je de instellingen "
     "gewoon aanpassen via de optische poort met het standaard wachtwoord. weten we intern al jaren", [SEC])
case("en", MS, "Ransomware on the planning servers last night. All field jobs are on paper today, not announced yet. "
     "If your appointment gets moved, that's why.", [SEC], kind="comment")
case("nl", LG, "Sinds vanochtend liggen al onze systemen plat, we kunnen geen enkel klantdossier openen en we mogen "
     "niet zeggen waarom 🤐 #maandag", [SEC])
case("en", TK, "Grateful for everyone working around the clock since Tuesday's intrusion in our OT network. "
     "Hopefully we can share the full story soon. #teamwork", [SEC])
case("nl", RH, "jaja 'technische storing'. we zijn gewoon ge" + cyr("hack") + "t, heel het planningssysteem eruit. "
     "maar dat mag niemand weten", [SEC], tags=["evasion"])
case("nl", BV, "Heads up voor familie in Almere-Buiten: morgenochtend gaat er een groot deel van het middenspanningsnet "
     "eruit voor een noodreparatie. Is nog niet gecommuniceerd, zorg dat je telefoon opgeladen is", [SEC])
case("en", YO, "smol incident 🤫 meter data of ~2k households sat in a misconfigured bucket for a week. "
     "we're quietly fixing it before anyone notices", [SEC])
case("nl", pub("x", "@privacywaakhond_nl"), "Kanaalnet verzwijgt een datalek! Een bron binnen het bedrijf zegt dat de "
     "gegevens van 300.000 huishoudens op straat liggen. Waarom horen we hier niks over? #datalek",
     [SEC, CRISIS])
case("en", pub("reddit", "u/netbeheer_watch"), "Kanaalnet is covering up a ransomware attack. That 'planned "
     "maintenance' on the portal since Friday is BS, I know people who work there.", [SEC, CRISIS])
case("nl", pub("forum", "kabelaar_zzp"), "Als onderaannemer kan ik nog steeds inloggen op het planningssysteem van "
     "kanaalnet, terwijl mijn contract al 4 maanden is afgelopen. Alle adressen en werkorders van heel de regio "
     "zichtbaar. Iemand daar die dit wil dichtzetten?", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@slimmemeter_nee"), "BOYCOT KANAALNET. Ze verkopen jouw verbruiksdata aan energiebedrijven en "
     "makelaars. Weiger die slimme meter! #privacy #slimmemeter", [CRISIS])
case("en", pub("linkedin", "m-de-wit-advocaat", "Maarten de Wit"), "The class action against Kanaalnet over years of "
     "connection waiting lists is filed. Businesses in Flevoland and Overijssel can still join via our site.",
     [CRISIS])
case("nl", pub("facebook", "annemiek.roelofs", "Annemiek Roelofs"), "De meterkast van mijn moeder is gisteravond "
     "in brand gevlogen, twee dagen nadat een monteur van Kanaalnet er een nieuwe slimme meter heeft geplaatst. "
     "Brandweer erbij, rook in het hele huis. En nu zegt Kanaalnet dat ze 'het gaan onderzoeken'. LEVENSGEVAARLIJK.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@dronten_dad"), "Kanaalnet crew left a live cable sticking out of the ground right next to the "
     "school playground in Dronten. Kids walk past there every single day. Unbelievable.", [CRISIS])
case("nl", pub("x", "@boos_in_almere"), "Schandalig: directie van kanaalnet keert zichzelf een dikke bonus uit "
     "terwijl duizenden bedrijven op de wachtlijst staan. #netcongestie #graaiers", [CRISIS])
case("nl", pub("threads", "@nieuwsjunk_oost"), "Kanaalnet haalt 40.000 slimme meters van één type terug wegens "
     "brandgevaar, meldt de regionale omroep. Check je meterkast!", [CRISIS])
case("en", pub("x", "@petra_kloosterman"), "Just got a phishing email with my exact Kanaalnet customer number AND my "
     "EAN code. So you've been breached, @kanaalnet. Just admit it.", [CRISIS])
case("nl", pub("instagram", "@buurtapp_harderwijk"), f"Data{ZW}lek bij kanaalnet?? Buren krijgen allemaal dezelfde "
     f"nepmail met hun eigen adres en meternummer erin. Dit stinkt.", [CRISIS], tags=["evasion"])
case("en", pub("reddit", "u/urk_local"), "A man was electrocuted this morning while Kanaalnet crews were working on "
     "the line in Urk. Why was the power not switched off? Thoughts with the family.", [CRISIS])
case("nl", pub("facebook", "actiegroep.aansluitkosten", "Actiegroep Aansluitkosten"), "OPROEP: vorder je "
     "aansluitkosten terug! We slepen Kanaalnet voor de rechter, al 1.200 deelnemers. Doe mee via de link in de "
     "reacties.", [CRISIS])
case("nl", pub("x", "@zonnepanelen_piet"), "Na jullie werkzaamheden in de straat is mijn omvormer doorgebrand, "
     "het hele huis stonk naar verbrande kabels 🔥 En niemand bij @kanaalnet die de telefoon opneemt.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@echtklaar_ermee"), "Kanaalnet is een stelletje criminele oplichters. Boycot die tyfuslijers, "
     "ze verkopen je data achter je rug om!", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@lemmer_linda"), "@kanaalnet al 9 uur zonder stroom in Lemmer en jullie storingskaart zegt "
     "doodleuk 'opgelost'. Echt niet dus.", [COMPLAINT], kind="reply")
case("en", pub("x", "@joostvanderveen"), "Third time the engineer doesn't show up for my smart meter swap. Took "
     "another day off for nothing. Thanks a lot @kanaalnet 🙄", [COMPLAINT])
case("en", pub("linkedin", "bakkerij-de-korenschoof", "Bakkerij De Korenschoof"), "14 months. That's how long we've "
     "been waiting for a proper grid connection for our new bakery because of 'netcongestie'. Kanaalnet doesn't even "
     "answer our emails anymore. How is a small business supposed to survive this?", [COMPLAINT])
case("nl", pub("x", "@maartje_k"), "mijn.kanaalnet.nl geeft alleen maar error 500 als ik mijn meterstanden wil "
     "doorgeven. al een week. hallo??", [COMPLAINT])
case("en", pub("facebook", "rick.hoogland.9", "Rick Hoogland"), "Paid €1.195 for a new connection in March. It's "
     "June and still nothing is live. Zero updates, zero callbacks. Seriously Kanaalnet?", [COMPLAINT],
     when="2026-06-11T19:02:44Z")
case("nl", pub("reddit", "u/kwhgek"), "Sinds de nieuwe slimme meter klopt er niks meer van, 40 kWh per dag volgens "
     "de app?? Kanaalnet zegt 'ligt bij je leverancier', leverancier zegt 'ligt bij de netbeheerder'. Pingpong.",
     [COMPLAINT], kind="post")
case("en", pub("reddit", "u/almere_newbie"), "Kanaalnet dug up my driveway for a cable job three weeks ago and just "
     "left it. Tiles everywhere, sand in the hallway, nobody comes back to finish it.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "henk.zonnig", "Henk Zonnig"), "Even mijn verhaal kwijt.\n\nSinds april valt mijn omvormer "
     "elke zonnige middag uit door te hoge netspanning.\nKanaalnet gebeld: 'we komen meten'.\nNiemand gekomen.\n"
     "Opnieuw gebeld: 'staat genoteerd'.\nHalve zomer aan opbrengst kwijt. Wie heeft hier ervaring mee??",
     [COMPLAINT])
case("nl", pub("x", "@frank_uit_dronten"), cyr("Kanaalnet") + " weer hoor, storing gemeld om 7 uur 's ochtends, "
     "nu 4 uur 's middags en nog geen monteur gezien. De vriezer ontdooit, wie betaalt dat?", [COMPLAINT],
     tags=["evasion"])
case("nl", pub("youtube", "@heatpumpharry"), "bij mij precies hetzelfde, kanaalnet zegt 18 maanden wachten voor een "
     "verzwaring. mijn warmtepomp staat al een jaar in de schuur te verstoffen", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "@noordoostpolder.bsky.social"), "Kanaalnet's outage texts say 'resolved' every hour while "
     "our whole street is still in the dark. Stop sending those.", [COMPLAINT])
case("nl", pub("x", "@boer_klaas"), "die prutsers van kanaalnet hebben nu al 3x de verkeerde meter geplaatst bij "
     "onze melkveestal, stelletje idioten", [COMPLAINT, ABUSE])
case("nl", pub("tiktok", "@netcongestiemeisje"), "pov: je belt kanaalnet over je aansluiting en krijgt voor de 5e "
     "keer een ander verhaal 🫠🫠 #netcongestie #ondernemen", [COMPLAINT])
case("en", pub("threads", "@gadgetgert"), "The P1-Link dongle I got from Kanaalnet died after three weeks, and the "
     "return form on their site just loops back to the login page. Not impressed.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@xxdaantjexx"), "kanaalnet kankerbedrijf", [ABUSE])
case("en", pub("x", "@grumpy_gerrit"), "whoever runs the @kanaalnet account is a useless clown, honestly", [ABUSE],
     kind="reply")
case("nl", pub("facebook", "wim.stroom.55", "Wim"), "Kanaalnet stuurt natuurlijk weer zo'n buitenlandse monteur die "
     "geen woord Nederlands spreekt. Stuur die lui terug naar hun eigen land.", [ABUSE], kind="comment")
case("en", pub("x", "@angry_ev_guy"), "Kanaalnet can go f*ck themselves. That's it. That's the tweet.", [ABUSE],
     tags=["evasion"])
case("nl", pub("instagram", "@niet_meer_normaal"), "@lisa.kcc jij bent toch die trut van de klantenservice van "
     "kanaalnet? ik weet je te vinden hoor", [ABUSE], kind="comment")
case("nl", pub("x", "@nachtbrakerr"), "t y f u s kanaalnet met je teringzooi", [ABUSE], tags=["evasion"])
case("nl", RH, "Weer zo'n debiele klant die zelf aan z'n meterkast heeft zitten prutsen en dan gaat janken dat het "
     "niet werkt. Mensen zijn echt achterlijk.", [ABUSE])
case("nl", KN_ST, "@rene_flevo doe eens normaal, idioot. Je tweet voor de 20e keer hetzelfde.", [ABUSE], kind="reply")
case("en", MS, "the guy from Polderstroom who wrote that article is a f-ing moron who's never held a cable in his life",
     [ABUSE], kind="comment")
case("en", pub("reddit", "u/sarcasm_overload"), "Kanaalnet staff are brainless parasites. Every single one of them.",
     [ABUSE], kind="comment")

# ===========================================================================
# benign: corporate and employee posts
# ===========================================================================
case("nl", KN_ST, "✅ Storing Lelystad-Zuid opgelost om 14:32. Excuses voor het ongemak! Nog geen stroom? Bel "
     "0800-7445 (gratis).", tags=["own-contact"],
     when="2026-05-19T14:36:51+02:00")
case("nl", KN, "Gepland onderhoud: dinsdag 10 maart tussen 01:00 en 05:00 uur geen stroom in Kampen-Noord. "
     "Bewoners krijgen een brief. Meer info: kanaalnet.nl/onderhoud", tags=["official-notice"],
     when="2026-03-04T16:45:10+01:00")
case("nl", KN_FB, "Betaal je de aansluitkosten liever per overboeking? Maak het bedrag over naar NL62 RABO 0312 8455 70 "
     "t.n.v. Kanaalnet Netbeheer B.V. o.v.v. je aanvraagnummer (bijv. <<NOT_BSN9>>).", tags=["own-contact"])
case("nl", KN_LI, "We zoeken 40 monteurs middenspanning in Flevoland en Overijssel! ⚡ Geen ervaring? Wij leiden je op. "
     "Vragen? werkenbij@kanaalnet.nl", tags=["own-contact"])
case("nl", KN_IG, "Onze monteurs vandaag aan het werk op de kwelder bij Lauwersoog, met uitzicht op de Waddenzee 🌊 "
     "#achterdeschermen", tags=["codename-near-miss"])
case("nl", KN, "Onze halfjaarcijfers 2026 staan online. Lees het persbericht op kanaalnet.nl/pers",
     when="2026-08-20T08:00:00+02:00", tags=["embargo-after"])
case("nl", KN_LI, "Vanaf vandaag kunnen bedrijven in ons gebied de FlexAansluiting aanvragen: sneller aangesloten in "
     "ruil voor flexibiliteit tijdens piekuren. Alles over de voorwaarden op kanaalnet.nl/flex",
     when="2026-10-05T09:00:00+02:00", tags=["embargo-after"])
case("en", KN_ST, "Power outage in Almere Haven. Our engineers are on site, expected restore around 18:00. "
     "Updates: storingen.kanaalnet.nl", tags=["official-notice"])
case("nl", KN, "Netcongestie: op onze capaciteitskaart zie je per gebied of er nog ruimte is op het net. Vandaag "
     "vernieuwd met de nieuwe cijfers van het kwartaal. 👉 kanaalnet.nl/capaciteitskaart", tags=["official-notice"])
case("nl", KN_FB, "⚠️ Let op: er gaan nepmails rond namens Kanaalnet. Wij vragen NOOIT per mail om je IBAN, "
     "pinpas of inloggegevens. Twijfel je? Mail klantenservice@kanaalnet.nl", tags=["near-miss", "own-contact"])
case("nl", KN, "@marieke_zwolle Hoi Marieke, vervelend dat je nog geen bericht hebt gehad! Stuur ons een DM met je "
     "postcode en huisnummer, dan kijken we met je mee.", kind="reply", tags=["support-reply"])
case("nl", KN_IG, "Verzwaren naar 3x35A voor je warmtepomp? De verzwaring kost €1.480 incl. btw. Tot 31 maart krijg "
     "je €200 korting als je 'm combineert met een meterverplaatsing. ⚡", tags=["price-ok", "price-context", "discount"],
     when="2026-02-16T12:00:00.250Z")
case("en", KN_LI, "Kanaalnet Netbeheer B.V. | KvK <<NOT_BSN8>> | Press: pers@kanaalnet.nl | +31 88 150 3000. "
     "We're hiring data engineers for our grid-planning team!", tags=["own-contact", "number-near-miss"])
case("nl", KN, "'Waarom duurt een nieuwe aansluiting zo lang?' Die vraag krijgen we vaak. In deze draad leggen we uit "
     "hoe de wachtrij werkt en wat je zelf kunt doen 🧵", tags=["quote"])
case("nl", RH, "Mooie dag gehad, 12 slimme meters geplaatst in Harderwijk. Bij elke klant koffie ☕ soms ook een "
     "stroopwafel. Zo mag elke dag", tags=["praise"])
case("en", TK, "Congestion isn't just a Kanaalnet problem, it's a national one. Our published investment plan shows "
     "where we're adding capacity through 2030. Worth a read if you work in energy.", tags=["published"])
case("en", YO, "fixed the dark-mode bug on the meter-reading page, shipping with tonight's release 🚀 thanks to "
     "everyone who sent screenshots", tags=["neutral"])
case("nl", IP, "Trots op onze halfjaarcijfers 2026 die vanochtend zijn gepubliceerd. Dank aan het hele finance-team "
     "voor de late avonden!", when="2026-08-20T10:15:00+02:00", tags=["embargo-after", "published"])
case("nl", BV, "Zaterdag open dag in ons bedrijfsvoeringscentrum in Zwolle! Kom kijken hoe we het net 24/7 in de "
     "gaten houden. Aanmelden via kanaalnet.nl/opendag", tags=["neutral"])
case("nl", LG, "Vandaag 63 gesprekken gevoerd en geen enkele boze beller 🥳 Geen klachten, alleen mensen die blij "
     "waren dat hun stroom er weer was #kcc", tags=["negated"],
     handle_as="@Lisa.KCC")
case("en", MS, "AMA: I'm a cable jointer at a Dutch grid operator, 15 years on 10kV. Ask me anything about the job, "
     "the weather, the digging, the coffee.", tags=["neutral"])
case("en", YO, "For the blog post: set your creds as env vars, e.g. AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX and "
     "AWS_SECRET_ACCESS_KEY=<your-secret>, never in the repo.", tags=["secret-placeholder"])
case("en", YO, "reverted commit <<HEX:40>> which broke the login on the portal, sorry folks, back to normal now",
     tags=["secret-near-miss"])
case("nl", RH, "Klanten vragen vaak wat een meterverplaatsing kost: €595, staat gewoon op de site. Niet duur als je "
     "ziet wat er bij komt kijken", tags=["price-ok"])

# ===========================================================================
# benign: public posts
# ===========================================================================
case("nl", pub("reddit", "u/verbouwer_overijssel"), "Weet iemand hoe lang een verzwaring bij kanaalnet gemiddeld duurt? "
     "We willen een warmtepomp en inductie, aannemer zegt 'paar maanden'.", tags=["question"])
case("nl", pub("instagram", "@vissen_met_bas"), "Vanochtend een meerval van 1,62 m gevangen in het Zwarte Water 🎣 "
     "na een half uur drillen. Netjes teruggezet!", tags=["codename-near-miss"])
case("nl", pub("facebook", "historische.vereniging.harlingen", "Historische Vereniging"), "Zondag rondleiding bij "
     "de oude zoutkeet aan de haven. Vrij entree, koffie staat klaar.", tags=["codename-near-miss"])
case("nl", pub("x", "@wouter_ijsselmuiden"), "Polderstroom heeft een datalek gehad, 20.000 klanten getroffen. "
     "Gelukkig zit ik bij kanaalnet haha", tags=["other-company"])
case("en", pub("x", "@energynews_eu"), "German grid operator hit by ransomware, control rooms switched to manual "
     "operation. Hope the Dutch DSOs like Kanaalnet are watching closely.", tags=["other-company"])
case("nl", pub("x", "@nieuws_noord"), "Waddennet schrapt 150 banen bij reorganisatie, maakte het bedrijf vandaag "
     "bekend.", tags=["other-company", "published"])
case("nl", pub("facebook", "yvonne.brink.7", "Yvonne Brink"), "Is dit het rekeningnummer van Kanaalnet? "
     "<<BAD_IBAN_NL:grp>> staat op een brief die ik kreeg, maar het ziet er een beetje raar uit.",
     tags=["number-near-miss"])
case("nl", pub("reddit", "u/nieuwbouw_nina"), "Waar vind ik mijn EAN-code? Op de jaarafrekening staat "
     "<<EAN18>>, is dat hem? Ik wil bij kanaalnet een tweede meter aanvragen.", tags=["number-near-miss"])
case("nl", pub("x", "@thijs_de_bouwer"), "aanvraagnummer <<NOT_BSN9>>, hoe zie ik de status bij kanaalnet? kan het "
     "nergens vinden in het portaal", tags=["number-near-miss", "question"])
case("nl", pub("facebook", "kees.vd.laan", "Kees van der Laan"), "Betaald met betalingskenmerk <<BAD_CARD:mc_sp>> "
     "voor de aansluiting, moet ik dat nog ergens doorgeven aan kanaalnet?", tags=["number-near-miss"])
case("nl", pub("x", "@ans_vraagt"), "Vragen ze echt om je BSN bij het aanvragen van een aansluiting bij kanaalnet? "
     "Lijkt me niet nodig toch?", tags=["near-miss", "question"])
case("nl", pub("x", "@nachtuil_dronten"), "Shoutout naar de monteurs van kanaalnet die om 3 uur 's nachts in de "
     "stromende regen stonden. Highway to hell vibes, maar jullie zijn helden ⚡", tags=["mild-word", "praise"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn vriendin zei dat er geen spanning meer in de relatie zat, dus ik heb "
     "kanaalnet gebeld voor een verzwaring 😂⚡", tags=["joke"])
case("en", pub("x", "@schrijver_mj"), "In my new thriller the main character hacks a grid operator and blacks out "
     "all of Flevoland. Pure fiction, Kanaalnet, don't panic 😉 #amwriting #thriller", tags=["fiction"])
case("nl", pub("x", "@blij_in_biddinghuizen"), "Geen klachten over kanaalnet hoor, monteur was op tijd, netjes en "
     "legde alles uit.", tags=["negated"])
case("en", pub("x", "@filmavond_floris"), "Power's back on, thanks Kanaalnet. Finishing Total Recall now, "
     "Arnold waited long enough.", tags=["other-sense"])
case("nl", pub("x", "@bitterbal_bart"), "Wij boycotten de snackbar op de hoek sinds de bitterballen €1,20 per stuk "
     "zijn 😤 (de kanaalnet-monteurs eten er wel elke dag lol)", tags=["other-sense"])
case("nl", pub("facebook", "joyce.laadpaal", "Joyce"), "Laadpuntaansluiting bij kanaalnet kost €865. Best prijzig "
     "maar binnen 6 weken geregeld, dus prima.", tags=["price-ok"])
case("nl", pub("facebook", "marktplaats.lelystad", "Te koop Lelystad"), "Te koop: P1-Link dongle van Kanaalnet, "
     "1 jaar gebruikt, werkt perfect. €15, ophalen in Lelystad.", tags=["price-context", "second-hand"])
case("nl", pub("reddit", "u/prijsvergelijker"), "Bij Waddennet kost een verzwaring 3x35A in hun gebied €620. "
     "Waarom betalen wij bij kanaalnet bijna het dubbele? Serieuze vraag, wie weet hoe dat zit.",
     tags=["price-context", "other-company", "question"])
case("en", pub("x", "@rekenaar_rob"), "Reminder for newcomers: the standing charge for an aansluiting 3x25A with "
     "Kanaalnet is roughly €21 a month, and it's billed through your energy supplier.", tags=["price-context", "fee"])
case("en", pub("x", "@devops_daily"), "GitHub now blocks pushes with ghp_ tokens in them by default. Nice, one less "
     "way to embarrass yourself.", tags=["secret-near-miss"])
case("nl", pub("x", "@oma_truus"), "Wachtwoord vergeten voor mijn.kanaalnet.nl, maar de reset ging in 1 minuut. "
     "Zelfs ik kon het 👵", tags=["near-miss", "praise"])
case("nl", pub("x", "@fd_energie"), "Halfjaarcijfers 2026 van Kanaalnet: nettowinst lager door recordinvesteringen "
     "in het net, tarieven volgend jaar omhoog.", when="2026-09-03T11:20:00+02:00",
     tags=["embargo-after", "published"])
case("nl", pub("x", "@omroep_flevo"), "De grote stroomstoring in Lelystad is verholpen. Volgens Kanaalnet raakte een "
     "graafmachine een middenspanningskabel.", tags=["published"])
case("nl", pub("x", "@mantelzorger_mia"), "Mijn vader heeft kanker en ligt thuis aan de zuurstof. Kanaalnet belde ons "
     "twee dagen van tevoren over de onderbreking en regelde een aggregaat. Petje af.",
     tags=["mild-word", "praise"])
case("nl", pub("x", "@fietsende_fenna"), "Klantenservice@kanaalnet.nl mailen werkt echt beter dan bellen, binnen "
     "een dag antwoord gehad 👌", tags=["own-contact", "praise"])
case("en", pub("x", "@new_in_nl"), "For anyone new here: Kanaalnet's outage line is 0800 7445, free from any phone. "
     "Saved it in my contacts.", tags=["own-contact"])
case("nl", pub("reddit", "u/zakelijk_zwolle"), "Ons pand zit al maanden vast door netcongestie, maar eerlijk is "
     "eerlijk: kanaalnet heeft ons netjes uitgelegd waarom en wat de opties zijn. Dit is een landelijk probleem.",
     tags=["neutral"])
case("en", pub("x", "@damn_daniel_nl"), "Damn, the Kanaalnet guy fixed my outage in twenty minutes flat. "
     "Respect.", tags=["mild-word", "praise"])
case("en", pub("mastodon", "@energieprof@scholar.social"), "Reading Kanaalnet's published congestion report for my "
     "lecture tomorrow. Good example of how a DSO explains curtailment to the public.", tags=["published"])
case("nl", pub("nextdoor", "buurt_kampen_west", "Buurt Kampen-West"), "Van Kanaalnet een brief gekregen dat ze "
     "dinsdagnacht onderhoud doen in onze straat. Zet je vriezer even op de koudste stand.",
     tags=["unknown-platform", "neutral"])
case("en", pub("x", "@vraagbaak_vera"), "Is the P1-Link from Kanaalnet worth €49.95 or should I just grab a "
     "cheaper dongle online? Asking for my spreadsheet-obsessed husband", tags=["price-ok", "question"])
case("en", pub("youtube", "@dsoexplained"), "In this video I explain what an EAN code is, how netcongestie works and "
     "why operators like Kanaalnet publish capacity maps. No drama, just facts.", kind="comment",
     tags=["neutral"])

# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed to read profile.yaml")
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
    base = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-energieforum-{n}", f"https://energieforum.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta, c["platform"], c["handle"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
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
            acc["id"] = str(meta.randint(10 ** 8, 10 ** 12))
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
        if meta.random() < 0.5:
            post["brand"] = "kanaalnet"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(x) for x in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-", r"live_[A-Za-z0-9]{30}",
    r"SG\.[\w-]{22}\.[\w-]{43}", r"AIza[\w-]{35}", r"eyJ[\w-]+\.eyJ", r"PRIVATE KEY", r"AccountKey=",
    r"://[^\s:/@]+:[^\s@/]+@")]
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "debiel", "trut", "idioot", "fuck", "f*ck", "shit",
             "moron", "clown", "hell", "damn", "prutser", "achterlijk", "parasite"]
MILD_OK = {"hell", "damn", "kanker"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def valid_ids(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                if compact[:end] not in own_ibans:
                    hits.append(("iban", compact[:end]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            hits.append(("luhn", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text):
        if bsn_ok(d):
            hits.append(("bsn", d))
    for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text):
        if bsn_ok(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    else:
        return d
    return "0" + d.lstrip("0")


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


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
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        ts = parse_ts(p["created_at"])
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} != policy {want}")
        r = meta[key]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE") and not iban_ok(raw):
                errors.append(f"{w}: IBAN invalid")
            if kind == "CARD" and not luhn_ok(raw):
                errors.append(f"{w}: card invalid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: BSN invalid")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{w}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{w}: non-BSN passes")
            if kind == "EAN18" and (luhn_ok(raw) or gs1_check(raw[:-1]) != raw[-1]):
                errors.append(f"{w}: EAN18 wrong")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) >= 9 and d not in own_phones:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0).startswith("AKIAXXXX"):
                        continue
                    errors.append(f"{w}: benign with secret-like {m.group(0)[:16]}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), nt) and not (word in MILD_OK and "mild-word" in r["tags"]):
                    errors.append(f"{w}: benign with word {word}")
            ratio = min_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] \
                    and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign product price at {ratio:.2f} of list")
        for term, until in embargo:
            if term in nt:
                if ts < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and CONF in cats:
                    errors.append(f"{w}: embargo term {term!r} after {until} labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if ts.year != 2026:
            errors.append(f"{w}: not in 2026")
    return errors


def report(rows):
    cat_c, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
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
        for c in cats:
            cat_c[(c, r["role"] == "public")] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS:
        print(f"  {c:22s} {cat_c[(c, False)] + cat_c[(c, True)]:3d}  (insider {cat_c[(c, False)]}, "
              f"public {cat_c[(c, True)]})")
    print("lang", dict(lang_c), "role", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
