#!/usr/bin/env python3
"""Deterministic generator for the sealed80 blind evaluation set of postwatch.

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional "Loonwerf B.V." (profile.yaml in this folder), a Dutch HR and
payroll software company for small businesses.

All texts are hand-written below. Identifiers and secrets are filled in from
placeholders such as <<IBAN_NL>> by one seeded RNG, so the output is reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof);
near-miss benign posts get identifiers that FAIL their checksum. Every secret is random
and fake, shaped like the real format (GitHub classic tokens carry a correct CRC32).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
the account role (from profile.yaml by platform:handle, case-insensitive), the
categories, and whether a checksum-validated identifier (IBAN, card, BSN) is present.
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

import yaml

SEED = 80_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

ZW = "\u200b"
SHY = "\u00ad"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "y": "\u0443",
       "x": "\u0445", "P": "\u0420", "H": "\u041d", "B": "\u0412"}


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


def cyr(s, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


def spaced(s):
    return " ".join(s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

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


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and tot != 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


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


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.digits(10, nz=True))
            if v != "NL72RABO0372815640":
                return v

    def iban_be(self):
        first = self.r.choice(["063", "001", "310", "735", "143"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50070010", "37040044", "20041133", "76026000"]) + self.digits(10))

    def bad_iban(self, v):
        kk = int(v[2:4])
        for d in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
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
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
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

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(cand) and not bsn_ok(cand):
                return cand

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return (self.chars(letters, 2) + self.chars(letters + "0123456789", 6) + self.digits(1))

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_plain": f"06{d8}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl0": f"+31 (0)6 {d8}",
                "mob_0031": f"0031-6-{d8}",
            }[fmt]
        area = self.r.choice(["10", "15", "20", "23", "30", "33", "35", "40", "45", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345678") + self.digits(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def github_pat(self):
        return "github_pat_11" + self.chars(string.ascii_uppercase + string.digits, 20) + "_" + self.chars(ALNUM, 59)

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def npm(self):
        return "npm_" + self.chars(ALNUM, 36)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 10)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 60)

    def gapi(self):
        return "AIza" + self.chars(B64URL, 35)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "wg_" + self.digits(5, True), "aud": "app.loonwerf.nl",
                               "scope": "payroll:read employees:read", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55) + "\n" + "oAoGCCqGSM49AwEHoUQDQgAE" + self.chars(B64, 40) + "\n" \
               + self.chars(B64, 22) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.r.choice("!#$%&*") + self.digits(3) + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_BE":
            raw = gen.bad_iban(gen.iban_be())
            shown = gen.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "NOT_BSN9":
            raw = gen.not_bsn(9)
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PASSPORT":
            shown = raw = gen.passport()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), nz=True)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        elif kind == "PW":
            shown = raw = gen.password()
        else:
            fn = {"GHP": gen.ghp, "GITHUB_PAT": gen.github_pat, "GLPAT": gen.glpat, "SENDGRID": gen.sendgrid,
                  "NPM": gen.npm, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_BOT": gen.slack_bot, "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe,
                  "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_EC": gen.pem_ec}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts (see profile.yaml)
# ---------------------------------------------------------------------------
LW = ("x", "@loonwerf", "Loonwerf")
LW_HELP = ("x", "@loonwerf_helpt", "Loonwerf Support")
LW_LI = ("linkedin", "loonwerf-bv", "Loonwerf B.V.")
LW_IG = ("instagram", "@loonwerf.nl", "Loonwerf")
LW_FB = ("facebook", "LoonwerfNL", "Loonwerf")
LW_YT = ("youtube", "@LoonwerfTV", "Loonwerf TV")

MO = ("x", "@mo_kaddouri", "Mohamed El Kaddouri")             # support team lead
EVA = ("linkedin", "eva-hoekstra-payroll", "Eva Hoekstra")    # implementation consultant
RUB = ("x", "@ruben_wolters", "Ruben Wolters")                # backend developer
KAR = ("linkedin", "karin-smit-lw", "Karin Smit")             # finance
JOO = ("mastodon", "@joost@hachyderm.io", "Joost Peeters")    # SRE
LIN = ("x", "@lindavdmeer", "Linda van der Meer")             # account manager
PRI = ("instagram", "@priya.werkt", "Priya Ramdin")           # recruiter
BAS = ("bluesky", "@bas-lw.bsky.social", "Bas de Graaf")      # product manager


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LIN, "lol de checkout rekent Salaris Plus nu af voor €8,90 p/m ipv 89 🙈 iemand heeft een nulletje laten "
     "vallen\ndev is ermee bezig, niet doorvertellen aan je klanten haha", [PRICING])
case("en", pub("reddit", "u/bakery_payroll_guy"), "Heads up for anyone running a small shop: Loonwerf's webshop lists "
     "the Tijdklok T2 at €39.90. That's the whole terminal, not a monthly fee. Pretty sure someone messed up, "
     "grabbed two for the bakery anyway 🤷", [PRICING])
case("nl", pub("facebook", "ondernemers.achterhoek.groep", "Ondernemers Achterhoek"),
     "Weet iemand of Loonwerf die prijs gaat honoreren?? Accountantsportaal stond gisteravond op 17,90 per maand "
     "ipv 179. Heb meteen voor een jaar afgesloten 😅", [PRICING], kind="comment")
case("nl", LW, "🎉 BLACK FRIDAY 🎉\nLoonwerf Salaris Plus voor maar €19 per maand!! Alleen vandaag 👉 loonwerf.nl/plus "
     "#mkb #salarisadministratie", [PRICING], when="2026-11-27T08:00:00+01:00")
case("en", BAS, "ugh. pricing table on the site is pulling the wrong field, Verlofplanner shows €1,50 instead of "
     "€15. fix is in review, pls don't screenshot 🙏", [PRICING])
case("nl", EVA, "Collega's: er bellen klanten over de Contractstudio voor €2,40 per maand. Dat is een fout in de "
     "prijsfeed, niet bevestigen aan de telefoon svp, Finance pakt het op.", [PRICING])
case("nl", pub("x", "@kapsalon_yara"), spaced("prijsfout") + " bij loonwerf!!! koppelingenbundel voor 2,90 🏃‍♀️💨 "
     "wie snel is", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@deal.dude.nl"), "Loonwerf pr1c1ng gl1tch 🚨 Tijdklok T2 for 4 euro in the webshop lmao "
     "#deals", [PRICING], tags=["evasion", "evasion:leet"])
case("nl", pub("forum", "ZZPmetpersoneel"), "[Prijsfout?] Loonwerf Salaris Basis €4,90/mnd\n\nStaat zo in de "
     "prijscalculator als je 'jaarlijks' aanvinkt. Normaal 49. Bestelling bevestigd, factuur nog niet binnen. "
     "Iemand ervaring hoe ze met zoiets omgaan?", [PRICING])
case("en", RUB, "shipped a hotfix for the promo code service. WELKOM26 was stacking with the partner code and gave "
     "the Accountant Portal away for €0 😬 how many signups? don't ask", [PRICING])
case("nl", LIN, "Deal van het jaar voor wie vóór vrijdag tekent: Accountantsportaal voor €59 pm (normaal 179) 🤫 "
     "staat allemaal op wiki.loonwerf.nl/sales/q3-acties, vraag me niet waarom", [PRICING, CONF])
case("nl", pub("tiktok", "@ondernemende.noor"), "POV: je hebt 1 medewerker en je ziet de Tijdklok T2 voor €3,99 "
     "bij loonwerf staan 😭😭 #prijsfout #ondernemen #zzp", [PRICING])
case("en", pub("twitter", "@hr_nerd_maartje"), "is this a pricing error or did @loonwerf lose the plot? Salaris Plus "
     "€0.89/month in the signup flow 👀", [PRICING], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUB, "anyone know why the exact-sync workflow keeps 403ing? works with my token locally:\n"
     "curl -H 'Authorization: Bearer <<GHP>>' https://api.github.com/repos/loonwerf/exact-sync/actions/runs", [SECRET])
case("nl", JOO, "Postmortem-tip van de dag: check je .env voordat je er een screenshot van maakt 🙃\n\n"
     "SENDGRID_API_KEY=<<SENDGRID>>\n\n(is al ingetrokken hoor)", [SECRET])
case("en", JOO, "terraform keeps whining about credentials, here's my provider block:\n\nprovider \"aws\" {\n"
     "  access_key = \"<<AWS_ID>>\"\n  secret_key = \"<<AWS_SECRET>>\"\n  region     = \"eu-central-1\"\n}\n\n"
     "what am I missing #terraform", [SECRET])
case("nl", LW_HELP, "@bakkerij_mol Excuses voor het gedoe! We hebben je toegang tot het accountantsportaal gereset. "
     "Tijdelijk wachtwoord: <<PW>> (graag direct wijzigen na inloggen) 🙏", [SECRET], kind="reply")
case("en", pub("reddit", "u/hrtool_builder"), "Trying to call the Loonwerf API from our own little HR tool and "
     "getting 401s. This is the token their OAuth flow gave me:\n\n<<JWT>>\n\nAm I putting it in the wrong header?",
     [SECRET])
case("nl", BAS, "slackbot voor de releasenotes doet het weer 🎉 voor wie mee wil testen, token: <<SLACK_BOT>>",
     [SECRET])
case("en", RUB, "psql \"postgresql://payroll_rw:<<PW>>@db-prod-02.intern.loonwerf.local:5432/loonrun\" just hangs "
     "on connect. vpn issue or me?", [SECRET, CONF])
case("nl", pub("forum", "koppelbaas_dev"), "Voor wie de adres-autocomplete in zijn Loonwerf-koppeling zelf bouwt, "
     "bij mij werkt deze config wel:\n\nMAPS_API_KEY=<<GAPI>>\nREGION=nl\n\nsucces!", [SECRET])
case("en", JOO, "which one of you pasted this into #random 😤\n\n<<PEM_EC>>\n\nrevoking, rotating, sighing", [SECRET])
case("nl", PRI, "Onboarding dag 1 ✅ laptop ✅ pasje ✅ en het vpn-wachtwoord gewoon op een post-it 🙈 "
     "(<<PW>>) #eerstewerkdag #werkenbijloonwerf", [SECRET])
case("en", pub("blog", "freelance-koen.dev"), "Part 3 of building a Loonwerf → GitLab payroll-report exporter. "
     "For the CI step I used a project token (glpat) like so:\n\nexport GITLAB_TOKEN=<<GLPAT>>\n\n"
     "Next time: scheduling the export after every payroll run.", [SECRET])
case("nl", RUB, f"w{ZW}achtwoord van de staging-db is weer veranderd?? ik heb nog <<PW>> in m'n notities staan",
     [SECRET], tags=["evasion", "evasion:zero-width"])
case("en", BAS, "release notes hook for the #product channel, paste it in your bookmarklet if you want the "
     "preview:\n<<SLACK_HOOK>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MO, "@fam_jansen ik zie het, de uitbetaling naar <<IBAN_NL:grp>> is teruggeboekt door de bank. Kunt u "
     "dat rekeningnummer even checken?", [PII], kind="reply")
case("nl", pub("x", "@rdewit_tegels"), "@loonwerf_helpt mijn salaris is al 2x niet overgemaakt. Rekening is "
     "<<IBAN_NL>>, t.n.v. R. de Wit. Wat is hier aan de hand??", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "kwekerij.vanleeuwen", "Kwekerij van Leeuwen"), "Kan iemand mij uitleggen waarom de "
     "loonstrook van mijn nieuwe medewerker er zo raar uitziet?\nNaam: Fenna Kuipers\nBSN <<BSN>>\nbruto 2.410 "
     "en dan netto maar 1.390??", [PII])
case("en", EVA, "Fun fact from today's implementation: we onboarded 40 employees for a Westland greenhouse in one "
     "go. Shoutout to the longest-serving one, Gerrit Verhoef, born 12 May 1957 and still full time 💪 #payroll",
     [PII])
case("nl", MO, "Klant belt al de hele middag, voor wie hem terug kan bellen: dhr. Yilmaz, <<PHONE:mob_dash>>, "
     "gaat over zijn loonaangifte van maart", [PII])
case("en", pub("reddit", "u/sad_payslip"), "Loonwerf sent MY payslip to my old employer's email?? so now my ex-boss "
     "knows what I earn. if anyone from Loonwerf reads this call me on <<PHONE:mob_intl_sp>>", [PII, CRISIS])
case("nl", pub("instagram", "@lotte.danst"), "vakantiegeld binnen!!! 🥳💸 dank @loonwerf.nl en werkgever. "
     "wie nog moet betalen voor de festivalkaarten: <<IBAN_NL:grp>> (Lotte) 🎪", [PII], kind="comment")
case("en", KAR, "Friendly reminder to clients: please don't email card details. Today someone sent us 'Visa "
     "<<CARD:visa_sp>> exp 09/28' to pay an invoice 🤦‍♀️ use the payment link on the invoice!", [PII])
case("nl", pub("forum", "MarloesdB"), "Mijn werkgever heeft via Loonwerf mijn contract gestuurd maar het adres klopt "
     "niet. Moet zijn: Marloes de Boer, Kastanjelaan 41, 7221 AB Steenderen. Waar kan ik dit zelf aanpassen?", [PII])
case("nl", PRI, "Vandaag een kandidaat gesproken voor de payroll-vacature, Thomas Brouwer "
     "(t.brouwer92@gmail.com), wat een talent!! Hopelijk zegt hij ja 🤞", [PII])
case("en", pub("x", "@sannedekker_"), "@loonwerf_helpt still no reply on my ticket after 6 days. mail me: sanne.dekker "
     "[at] ziggo [dot] nl", [PII, COMPLAINT], kind="reply", tags=["evasion", "evasion:at-dot"])
case("nl", pub("x", "@bart_schilderwerk"), "Belastingdienst zegt dat mijn loonaangifte niet klopt, Loonwerf zegt "
     "dat het aan de Belastingdienst ligt. BSN <<BSN:dots>>, regel het nou gewoon onderling 😡", [PII, COMPLAINT])
case("en", RUB, "debugging the SEPA export, this record breaks the XML:\n{name: 'K. Jansen', iban: '<<IBAN_BE>>', "
     "dob: '1979-02-11', city: 'Breda'}\nany idea why?", [PII])
case("nl", EVA, "Tip voor werkgevers: doe de ID-check bij indiensttreding goed! Vandaag bij een klant nog gezien: "
     "paspoort <<PASSPORT>> van mw. L. Hendriks, verlopen sinds maart.", [PII])
case("en", pub("x", "@tomasz_w_greenhouse"), "hi @loonwerf my salary from the greenhouse not arrived this month. "
     "my IBAN <<IBAN_DE:grp>> please check, 3 weeks now", [PII, COMPLAINT])
case("en", pub("x", "@jwbakker"), "@loonwerf_helpt why did you charge my card <<CARD:mc_dash>> twice this month?? "
     "two times €89 gone", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "horeca.ondernemers.nl", "Horeca Ondernemers NL"), "Medewerker (Ahmed B.) krijgt geen "
     "loonstrook in de Mijn Loonwerf app, BSN <<BSN:sp>>. Wie weet raad?", [PII], kind="comment")
case("nl", pub("x", "@jolien_hr"), "Nieuwe werkgever wil dat ik mijn 06 doorgeef aan de payroll helpdesk van "
     "Loonwerf, dus bij deze 🙃 Jolien Mulder, <<PHONE:mob_pairs>>", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", BAS, "Vandaag de eerste demo van Project Dijkgraaf gezien. Nieuwe rekenkern draait 4x zo snel als de "
     "oude. Kippenvel 🚀", [CONF])
case("en", RUB, "Ferrox drafted a complete employment contract from a WhatsApp conversation in 9 seconds. Not "
     "allowed to say more. yet. 👀", [CONF])
case("en", JOO, "grafana.ops.loonwerf.net is being weird again, every panel empty since 09:00. anyone else or just "
     "my browser?", [CONF])
case("en", LIN, "Slide from today's sales kickoff, it says 'Loonwerf internal only' but honestly too good not to "
     "share: Q3 pipeline €2.4M and 61 new accountancy firms in negotiation 📈", [CONF, FIN])
case("nl", PRI, "Sneak peek van de roadmap-muur op kantoor 🗺️✨ (uitsluitend intern, maar ssst) "
     "#werkenbijloonwerf #hr", [CONF])
case("nl", BAS, "Over twee weken lanceren we Loonwerf Flexpool 🎉 eindelijk flexkrachten inplannen en verlonen in "
     "één scherm. Ik kan niet wachten!", [CONF], when="2026-09-22T20:14:00+02:00", tags=["embargo-before"])
case("en", pub("x", "@payroll_pam"), "hearing Loonwerf Flexpool drops next month. anyone in the beta? how's the "
     "shift import?", [CONF], when="2026-09-30T11:42:10Z", tags=["embargo-before"])
case("nl", LIN, "Loonwerf Flexpool is LIVE!!! 🥳🥳", [CONF], when="2026-10-06T09:59:00+02:00",
     tags=["embargo-before", "tz-edge"])
case("nl", pub("x", "@oudcollega_lw"), "oud-collega's van Loonwerf: hoe staat het met Project\nDijkgraaf? "
     "alweer uitgesteld? 😂", [CONF], kind="reply", tags=["evasion", "evasion:linebreak"])
case("en", RUB, f"Fer{ZW}rox demo for the board went great today. They want it in Contractstudio before "
     "summer", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", RUB, "Wie heeft de merge request op git.loonwerf.io/payroll/rekenkern/-/merge_requests/812 gesloten "
     "zonder review?? 😤", [CONF])
case("nl", KAR, "Net een document met in de footer 'niet buiten Loonwerf delen' per ongeluk naar een klant "
     "gestuurd. Het is pas dinsdag.", [CONF])
case("en", KAR, "Closing the books for the H1 2026 results this week. Lots of late nights and cold pizza 🍕😴",
     [CONF], when="2026-07-09T22:05:00+02:00", tags=["embargo-before"])
case("en", pub("x", "@ruben_wolters_"), "heard from a friend on the inside that Project Dijkgraaf (the new Loonwerf "
     "payroll engine) slipped to 2027 lol", [CONF], tags=["lookalike-handle"])
case("nl", LIN, "Klant vroeg naar de nieuwe AI-contracten, ik zei alleen: " + cyr("Ferrox", "eo") +
     " komt eraan 😉", [CONF], tags=["evasion", "evasion:homoglyph"])
case("nl", JOO, "rollout van de nieuwe loonrun-workers gaat via deploy.intern.loonwerf.local, check de runbook als "
     "het weer vastloopt", [CONF], handle_as="@Joost@hachyderm.io", tags=["handle-case"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", KAR, "Trots op dit team: de omzet over het eerste halfjaar komt uit op €14,2 mln, ruim boven budget 💪 "
     "officieel volgt later 😉", [FIN], when="2026-07-14T18:30:00+02:00")
case("en", LIN, "Big news coming: we're acquiring Salarix. Deal signed last night 🥂 can't say more until the press "
     "release", [FIN], when="2026-04-08T07:45:00+02:00")
case("nl", MO, "Operatie Zandloper betekent dus dat een derde van support naar Lissabon gaat en wij hier… nou ja. "
     "nog niks officieel", [FIN, CONF])
case("en", pub("reddit", "u/throwaway_utrecht22"), "Friend at Loonwerf says they're cutting around 40 jobs in "
     "October, announcement after the summer. Anyone else heard that?", [FIN], kind="comment")
case("nl", BAS, "Churn in het accountantskanaal is dit kwartaal naar 9% gegaan. Moeten we echt fixen voor de "
     "boardmeeting van de 18e", [FIN])
case("en", KAR, "H1-cijfers are in: EBITDA turned positive for the first time in company history 🎉 (don't tell "
     "anyone until the 20th)", [FIN, CONF], when="2026-08-12T16:20:00+02:00", tags=["embargo-before"])
case("nl", PRI, "Dit is voorlopig mijn laatste vacature-post 😔 per 1 juli vacaturestop en er komt een "
     "reorganisatie aan bij ons.", [FIN], when="2026-05-27T12:10:00+02:00")
case("nl", LIN, spaced("overname") + " van Loonlijn is rond 🤐 zeg nog niks tegen klanten", [FIN],
     tags=["evasion", "evasion:spaced"])
case("en", pub("glassdoor", "Current Employee - Customer Success"), "Pros: nice colleagues, good coffee.\nCons: "
     "management told us in the all-hands that the 2026 revenue forecast for Loonwerf was cut from 31M to 24M and "
     "that layoffs are 'on the table'.", [FIN], tags=["unknown-platform"])
case("nl", KAR, "Financieringsronde van €18 miljoen zo goed als rond, term sheet is getekend. Zodra het mag vertel "
     "ik meer 🙌", [FIN])
case("nl", EVA, f"Slecht nieuws op de afdeling: 12 implementatieconsultants worden ont{SHY}slagen zodra het nieuwe "
     "jaar begint. Nog niet aangekondigd.", [FIN], tags=["evasion", "evasion:soft-hyphen"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RUB, "Ok dus in het accountantsportaal kon je met een ander klant-ID in de URL de loonstroken van andere "
     "bedrijven zien. Vanavond gefixt, vraag me niet hoe lang het al zo was 😬", [SEC])
case("en", JOO, "every payroll tax submission to the Belastingdienst has been failing since 14:00. status page "
     "still green because comms wants to 'wait and see' 🙃", [SEC])
case("nl", MO, "Vannacht ransomware op een van de interne fileservers. Klantdata lijkt veilig maar zeker weten "
     "doen we het nog niet. Niks tegen klanten zeggen tot de persverklaring er is", [SEC])
case("en", BAS, "PSA for colleagues: SSO login for the Accountant Portal can be bypassed with an old session "
     "cookie. patch ETA tomorrow, keep it quiet", [SEC])
case("nl", pub("x", "@dga_henk"), "Loonwerf heeft een datalek en houdt het stil. Mijn boekhouder kreeg loonstroken "
     "van een ánder bedrijf in zijn portaal. @loonwerf wanneer melden jullie dit bij de AP??", [SEC, CRISIS])
case("en", pub("reddit", "u/ex_lw_engineer"), "Loonwerf is covering up a breach. Ex-employee here: the bucket with "
     "payroll exports was publicly readable for weeks and they never told a single customer.", [SEC, CRISIS])
case("nl", EVA, "d4t4l3k bij een klantomgeving, loonstroken zichtbaar voor de verkeerde medewerkers. nog steeds "
     "niet gemeld. word hier zo moe van", [SEC], tags=["evasion", "evasion:leet"])
case("en", RUB, "backup job dumped the prod payroll db to a bucket with public read. found it this morning, locked "
     "now, nobody outside knows yet", [SEC])
case("nl", JOO, "Verlofplanner ligt er al 3 uur uit, alle klanten krijgen een 502 en status.loonwerf.nl staat nog "
     "op groen omdat niemand het durft te updaten", [SEC])
case("en", RUB, "found a " + fw("vulnerability") + " in our payslip PDF generator: you can make it read any file on "
     "the server. reported internally, not fixed", [SEC], tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "it_beheer_klant"), "Ik doe de IT bij een klant van Loonwerf. Hun API geeft bij een "
     "verlopen token soms de medewerkersdata van een andere werkgever terug. Gemeld via hun disclosure-formulier, "
     "nog geen fix.", [SEC])
case("en", KAR, "Payroll run for ~600 clients failed last night, salaries will be a day late for thousands of "
     "people. We're not announcing it until we know the cause", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@marco_installatie"), "Loonwerf lekt BSN's van werknemers!! Mijn loonstrook stond zomaar in het "
     "portaal van een ander bedrijf. Dit is toch gewoon een datalek?? #avg #privacy", [CRISIS])
case("en", pub("x", "@fairwork_now"), "Boycott Loonwerf. They cut off a small bakery's payroll mid-month over a "
     "billing dispute and 8 people didn't get paid. #BoycottLoonwerf", [CRISIS])
case("nl", pub("linkedin", "arbeidsrecht-actueel"), "Vakbond start rechtszaak tegen Loonwerf: de software zou "
     "jarenlang de vakantietoeslag van honderden flexwerkers te laag hebben berekend.", [CRISIS])
case("en", pub("reddit", "u/smb_owner_eindhoven"), "Class action forming against Loonwerf over the late salaries "
     "in May. DM me if your staff got paid late too, we have a lawyer.", [CRISIS])
case("nl", pub("x", "@kritische_kees"), "Schandaal bij Loonwerf: salarissen van duizenden mensen te laat en ze "
     "zeggen NIKS. Wie neemt hier verantwoordelijkheid? #loonwerf", [CRISIS])
case("nl", pub("facebook", "bouwbedrijf.zwart", "Bouwbedrijf Zwart"), "Wij stappen naar de rechter. Drie maanden "
     "op rij foute loonstroken door Loonwerf, een naheffing van de Belastingdienst en de helpdesk neemt gewoon niet "
     "op. Advocaat is ingeschakeld.", [COMPLAINT, CRISIS])
case("en", pub("x", "@annieb_"), "so @loonwerf had a " + spaced("data breach") + " and my whole payslip history is "
     "on some forum now?? great. just great", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("tiktok", "@privacy.pim"), "Stop met Loonwerf!! 🛑 ze verkopen jullie loongegevens door aan "
     "adverteerders (ja echt) #boycot #privacy #loonwerf", [CRISIS])
case("en", pub("x", "@newsjunkie_ams"), "Loonwerf emailed about 2,000 payslips to the wrong employers yesterday. "
     "How is this not front page news?", [CRISIS])
case("nl", pub("reddit", "u/gewoonjan"), "L00nwerf = datalekfabriek. m'n contract mét salaris stond gewoon in de "
     "mailbox van een collega", [CRISIS], kind="comment", tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@woedende_werkgever"), "Loonwerf zijn gewoon oplichters, jullie lekken ons BSN en doen "
     "niks. Stelletje klootzakken", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@installatiebedrijf_ok"), "@loonwerf_helpt al 5 dagen geen antwoord op mijn ticket over de "
     "loonaangifte. Deadline is morgen. Serieus?", [COMPLAINT], kind="reply")
case("en", pub("x", "@fietsenmaker_tim"), "The Exact Online link in Loonwerf has been broken for 2 weeks. I'm "
     "retyping every journal entry by hand. Paying 29/month for this?", [COMPLAINT])
case("nl", pub("facebook", "dierenspeciaalzaak.tessa", "Tessa"), "Vakantiegeld verkeerd berekend door Loonwerf, "
     "nu mag ik als werkgever aan 6 mensen uitleggen waarom ze te weinig hebben gekregen. Top service hoor 🙄",
     [COMPLAINT])
case("nl", pub("trustpilot", "Willem V."), "1 ster. Opzeggen kan alleen per aangetekende brief?? In 2026?? "
     "Drie keer gebeld, drie keer een ander verhaal.", [COMPLAINT], tags=["unknown-platform"])
case("en", pub("reddit", "u/parttime_panic"), "Verlofplanner keeps showing a negative leave balance for all my "
     "part-timers. Support just says 'known issue'. It has been 'known' since March.", [COMPLAINT])
case("en", pub("threads", "@cafe.demolen"), "Our Tijdklok T2 arrived with a cracked screen and the replacement "
     "takes SIX weeks. Staff are writing hours on paper like it's 1995", [COMPLAINT])
case("nl", pub("x", "@snackbar_deboer"), "Loonwerf helpdesk = " + spaced("wachtmuziek") + " 🎶 al 40 minuten",
     [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", pub("linkedin", "anouk-meijer-accountancy"), "As an accountant with 30 clients in the Loonwerf "
     "Accountantsportaal: the bulk export has been failing for over a week and nobody seems to care. Very "
     "disappointed.", [COMPLAINT])
case("nl", pub("mastodon", "@kim@mastodon.nl"), "Contractstudio genereert contracten met de verkeerde cao. Drie "
     "keer gemeld bij Loonwerf. Nog steeds niet opgelost.", [COMPLAINT])
case("en", pub("youtube", "@smallbiz_sam"), "Followed this tutorial step by step and the Moneybird sync still "
     "duplicates every employee. Been emailing support for a week, nothing.", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@rotterdamse_rik"), "Loonwerf is echt een kutbedrijf, stelletje prutsers", [ABUSE])
case("en", pub("x", "@grumpy_gary_nl"), "@loonwerf_helpt you absolute clowns. fuck off with your 'we value your "
     "feedback'", [ABUSE], kind="reply")
case("nl", pub("x", "@zzp_furieus"), "@mo_kaddouri jij bent echt de domste helpdeskmedewerker die ik ooit heb "
     "gesproken, idioot", [ABUSE], kind="reply")
case("en", RUB, "customer just called our payroll engine 'garbage' on the phone lol. mate, your 'HR department' is "
     "your mum with an Excel sheet, you absolute moron", [ABUSE])
case("nl", LW_HELP, "@jeroen_b77 Als je zo blijft schelden mag je je salarisadministratie lekker zelf doen, "
     "mafkees.", [ABUSE], kind="reply", handle_as="@Loonwerf_Helpt", tags=["handle-case"])
case("en", pub("x", "@roster_rage"), "f*ck loonwerf and f*ck their 'update' that wiped all our rosters for next "
     "week", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@friet_fred"), "wat een kl0tezooi die nieuwe app van loonwerf, alles crasht bij het openen "
     "van een loonstrook. tering", [ABUSE, COMPLAINT], tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "echte.nederlander.1961", "Henk"), "Natuurlijk werkt het niet, die hele helpdesk van "
     "Loonwerf zit vol buitenlanders die geen fatsoenlijk Nederlands spreken", [ABUSE], kind="comment")
case("en", pub("x", "@anon88421"), "I know where the Loonwerf CEO lives. I'll be waiting outside. you'll regret "
     "this", [ABUSE])
case("nl", pub("instagram", "@boze.barbara"), "Loonwerf = " + cyr("tyfus", "y") + "bedrijf", [ABUSE], kind="comment",
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("reddit", "u/nopenopenope"), "whoever designed the Loonwerf leave module is a braindead idiot",
     [ABUSE], kind="comment")
case("nl", LIN, "Die sales-lui van Salarix zijn echt achterlijke oplichters 🤡", [ABUSE])

# ===========================================================================
# benign
# ===========================================================================
case("nl", LW, "⚠️ Storing: de Verlofplanner is op dit moment niet bereikbaar. We werken aan een oplossing. "
     "Updates via status.loonwerf.nl", tags=["official-notice"])
case("nl", LW_HELP, "Vragen over je loonstrook? Bel ons op 030 799 44 00 (ma t/m vr 8:30–17:30) of mail naar "
     "support@loonwerf.nl 💬", tags=["own-contact"])
case("nl", LW_LI, "Let op: Loonwerf vraagt nooit om betaling naar een ander rekeningnummer dan NL72 RABO 0372 8156 "
     "40. Twijfel je over een factuur? Bel 088 562 0300 of mail facturen@loonwerf.nl.", tags=["own-contact"])
case("nl", pub("x", "@broodjeszaak_fien"), "Loonwerf support was vandaag super snel, binnen 10 minuten geholpen met "
     "de loonaangifte 👏", tags=["praise"])
case("nl", pub("reddit", "u/zesmanszaak"), "Geen klachten over Loonwerf eigenlijk. Draait al 2 jaar zonder gedoe "
     "voor onze 6 man.", kind="comment", tags=["negation"])
case("nl", LW_IG, "Nieuw bij Loonwerf? 🎉 De eerste 3 maanden Salaris Plus voor €69 per maand. Alleen voor nieuwe "
     "klanten, check loonwerf.nl/plus", tags=["sale-price"])
case("nl", pub("facebook", "marktplaats.zzp.groep", "Tweedehands ondernemers"), "Te koop: Tijdklok T2, 1 jaar "
     "oud, werkt perfect, doos nog aanwezig. €150, ophalen in Zwolle", tags=["price-context", "second-hand"])
case("nl", pub("x", "@accountant_ilse"), "Met de code van je accountant krijg je €20 korting op de Tijdklok T2, "
     "vraag ernaar 😉", tags=["price-context", "discount-amount"])
case("nl", LW_LI, "Vandaag publiceerden we onze halfjaarcijfers 2026: omzet +18%, meer dan 11.000 werkgevers "
     "verlonen via Loonwerf. Lees het persbericht op loonwerf.nl/pers", when="2026-08-20T09:00:00+02:00",
     tags=["embargo-after", "published"])
case("nl", LW, "Loonwerf Flexpool is vanaf vandaag beschikbaar! 🚀 Plan en verloon je flexkrachten in één scherm.",
     when="2026-10-06T10:00:00+02:00", tags=["embargo-at", "tz-edge"])
case("nl", pub("x", "@horeca_hanneke"), "Flexpool-module van Loonwerf getest met onze oproepkrachten, werkt "
     "prima. Import van de roosters ging in één keer goed", when="2026-11-03T14:22:00+01:00", tags=["embargo-after"])
case("nl", BAS, "Vandaag met het hele team dijken gewandeld met de dijkgraaf van het waterschap 🌊 wat een "
     "verhalen over hoogwater", tags=["codename-word"])
case("nl", pub("instagram", "@mama.van.drie"), "Leuk detail: de zandloper-animatie ⏳ in de app tijdens het laden "
     "van je loonstrook. Mijn dochter vindt hem prachtig 😄", tags=["codename-word"])
case("nl", pub("x", "@ondernemer_rob"), "Datalek bij Salarix in het nieuws. Even gecheckt bij Loonwerf, zij zijn "
     "niet geraakt. Pfff.", tags=["other-company"])
case("nl", PRI, "Zag dat Payrollio 80 banen schrapt. Sterkte aan iedereen daar 💛 Wij zoeken nog payroll-mensen, "
     "stuur je cv naar vacatures@loonwerf.nl", tags=["other-company", "own-contact"])
case("nl", pub("x", "@digitaal_dirk"), "Wij boycotten al jaren de papieren loonstrook 😄 alles digitaal via "
     "Mijn Loonwerf", tags=["other-sense"])
case("nl", pub("blog", "schrijfsels.nl"), "Fragment uit mijn roman in wording:\n\n'De salarisadministrateur "
     "staarde naar het scherm. Iemand had het hele loonbudget overgemaakt naar een rekening op Curaçao.'\n\n"
     "#schrijven #thriller", tags=["fiction"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn loonstrook is zo kort dat Loonwerf hem op een post-it zou kunnen "
     "printen 😂", tags=["joke"])
case("en", LW_LI, "\"Damn, payroll done before lunch.\" An actual quote from one of our customers today 😄",
     tags=["quote", "mild-word"])
case("nl", pub("x", "@nieuwe_werkgever"), "Waar vind ik in Mijn Loonwerf de jaaropgave van een medewerker? "
     "Personeelsnummer <<NOT_BSN9>>, staat niet onder documenten", tags=["bad-checksum", "question"])
case("nl", pub("linkedin", "vos-bouwadvies"), "Ons bedrijf (KvK <<NOT_BSN8>>) is per 1 april overgestapt naar "
     "Loonwerf. Tot nu toe prima bevallen.", tags=["bad-checksum"])
case("nl", pub("x", "@sjaak_tuinen"), "@loonwerf_helpt ik heb mijn rekeningnummer aangepast naar "
     "<<BAD_IBAN_NL:grp>>, klopt dat zo voor de volgende loonrun?", kind="reply", tags=["bad-checksum"])
case("en", RUB, "reminder: in staging use the fake card <<BAD_CARD:visa_sp>>, never a real one. it fails Luhn on "
     "purpose so it can never charge anything", tags=["bad-checksum"])
case("nl", pub("forum", "tijdklokfan"), "Barcode op de doos van mijn Tijdklok T2 is <<EAN13>>, klopt dat met "
     "wat jullie hebben? Wil zeker weten dat het geen namaak is", tags=["bad-checksum"])
case("en", RUB, "v4.12 is out 🎉 changelog on help.loonwerf.nl, tag points at <<HEX:40>>", tags=["git-sha"])
case("en", LW_YT, "In this video: connecting your own tools to the Loonwerf API. In the examples we use "
     "Authorization: Bearer <your-token-here> and API_KEY=sk_live_xxxxxxxxxxxxxxxx, never paste your real key "
     "in a video or chat!", tags=["placeholder-secret"])
case("nl", LW_FB, "Wij vragen je NOOIT om je wachtwoord via een DM of telefoontje. Krijg je zo'n bericht? Meld het "
     "via support@loonwerf.nl 🔒", tags=["password-word", "own-contact"])
case("en", pub("twitter", "@expat_eddie"), "Loonwerf helpdesk sorted my payslip question in 5 min, dialled +31 (0)30 "
     "799 4400 and got a human straight away 👍", tags=["own-contact", "praise"])
case("nl", LIN, "Deze week 5 nieuwe klanten op Salaris Basis, welkom allemaal! 👋", tags=["sales"])
case("nl", pub("x", "@kledingwinkel_ans"), "Salarix rekent €6 per loonstrook, Loonwerf Salaris Basis is €49 per "
     "maand vast. Voor ons met 14 man dus een stuk goedkoper.", tags=["price-context", "other-company"])
case("nl", pub("facebook", "fysio.de.brink", "Fysio De Brink"), "Kleine tip: een extra correctiestrook buiten "
     "de vaste loonrun kost bij Salaris Plus €2,50 per stuk. Prima te doen.", tags=["price-context", "fee"])
case("nl", LW_HELP, "@rutger_hvb De Tijdklok T2 kun je ook huren, vanaf €12 per maand inclusief onderhoud 👍",
     kind="reply", tags=["price-context", "lease"])
case("nl", LW_HELP, "@kees_vdb Nee hoor, geen prijsfout 😉 Salaris Plus is deze maand €75 voor nieuwe klanten "
     "(normaal €89).", kind="reply", tags=["denied-error", "sale-price"])
case("nl", pub("x", "@salarisvakblad"), "Loonwerf neemt sectorgenoot Salarix over, zo maakten beide bedrijven "
     "vanochtend bekend. De overname moet in het derde kwartaal zijn afgerond.",
     when="2026-04-15T10:12:00+02:00", tags=["published"])
case("en", pub("x", "@new_in_nl"), "can't recall where the leave balance report lives in Loonwerf, anyone?",
     tags=["other-sense", "question"])
case("nl", MO, "Lekke band onderweg naar de Loonwerf klantdag 🚲😅 toch nog op tijd", tags=["other-sense"])
case("nl", pub("x", "@productiviteitspiet"), "Loonwerf-hack: met Ctrl+K zoek je direct op medewerker. Scheelt me "
     "elke maand een half uur 🔥", tags=["other-sense"])
case("en", pub("reddit", "u/payroll_paranoid"), "Yikes, Payrollio exposed 12k payslips. Asked Loonwerf support, "
     "they confirmed they use a different hosting setup and aren't affected.", tags=["other-company"])
case("en", pub("x", "@expatfounder"), "Does Loonwerf handle the 30% ruling for expats properly? Thinking about "
     "switching from our accountant's spreadsheet", tags=["question"])
case("en", RUB, "Gave a talk at GoDays about calculating 13th-month pay for 11k employers without losing a cent "
     "to rounding. slides on my blog", tags=["talk"])
case("en", pub("threads", "@juna.bakes"), "the leave planner is honestly a killer feature, my staff book their own "
     "days off now and I don't have to chase anyone", tags=["other-sense", "praise"])
case("nl", LW_LI, "Nieuw op de blog: 5 tips om een datalek in je salarisadministratie te voorkomen 🔐 van "
     "sterke wachtwoorden tot wie er toegang heeft tot loonstroken.", tags=["advice"])
case("nl", EVA, "Karin Smit en ik geven op 14-03-2026 een webinar over de nieuwe pensioenregels voor werkgevers. "
     "Aanmelden via loonwerf.nl/webinar", when="2026-02-20T10:00:00+01:00", tags=["date-not-dob"])
case("nl", KAR, "Halfjaarcijfers 2026 staan online, fijn om het eindelijk met iedereen te kunnen delen! 📊",
     when="2026-08-21T08:30:00+02:00", tags=["embargo-after", "published"])
case("nl", LIN, "Intern gebruiken we zelf natuurlijk ook Loonwerf voor onze eigen salarissen 😄 eat your own "
     "dogfood", tags=["marker-word"])
case("nl", pub("x", "@stagiair_sem"), "Handleiding staat gewoon op help.loonwerf.nl/verlof/saldo, scheelt je een "
     "telefoontje", tags=["public-domain"])
case("nl", LW, "Loonwerf is opnieuw ISO 27001-gecertificeerd 🔒 Jouw loongegevens blijven in Nederland.",
     tags=["security-word"])
case("en", pub("instagram", "@rosa.runs.a.cafe"), "money money money 🎶 holiday pay landed on time thanks to "
     "@loonwerf.nl and my bookkeeper", tags=["lyrics"])
case("en", pub("blog", "ghostwriter-ines.blog"), "Short story idea: a payroll clerk at a tiny bakery discovers she's "
     "been paying a ghost employee for eleven years. The ghost has opinions about his pension.",
     tags=["fiction"])
case("en", LW_HELP, "@marit_v Thanks for the kind words! 💚 For anything else you can always reach us at "
     "support@loonwerf.nl or 088-5620300", kind="reply", tags=["own-contact"])
case("nl", pub("x", "@nijmegen_ondernemer"), "Factuur van Loonwerf ontvangen, betalen naar NL72RABO0372815640 "
     "klopt toch? Wil geen phishing intrappen", tags=["own-contact", "question"])
case("en", LW, "Scheduled maintenance: Sunday 02:00–04:00 the payslip archive will be read-only. Payroll runs "
     "are not affected. Details at status.loonwerf.nl", tags=["official-notice"])
case("nl", pub("x", "@fietskoerier_joep"), "Loonstrook check: bruto 2.650, netto 2.061, vakantiegeld 8% netjes "
     "gereserveerd. Mijn eerste echte baan 🥲 #volwassen", tags=["numbers"])
case("en", pub("bluesky", "@tessvdh.bsky.social"), "Spent the evening comparing payroll tools for my 4-person "
     "studio. Loonwerf, Salarix and Payrollio all look fine, leaning Loonwerf because of the leave planner.",
     tags=["comparison"])
case("nl", pub("reddit", "u/zorgvuldige_zzp"), "Tip: zet nooit je BSN in een openbare post, ook niet als je hulp "
     "zoekt bij de Loonwerf-helpdesk. Stuur het via het beveiligde formulier.", kind="comment", tags=["advice"])
case("en", pub("x", "@sec_researcher_nl"), "Kudos to Loonwerf for a smooth responsible disclosure process last "
     "year. Reported, fixed, published, and they credited me in the advisory. That's how it should be.",
     tags=["published", "security-word"])
case("en", pub("x", "@bookkeeper_bea"), "Loonwerf's Accountant Portal costs €179 a month for my practice. Pricey, "
     "but it replaced three other tools, so fair enough.", tags=["list-price"])
case("nl", JOO, "Vandaag 10 jaar in de IT. Begonnen als helpdesker, nu SRE. Dank aan iedereen die me onderweg "
     "geholpen heeft 💙", tags=["personal"])
case("en", pub("x", "@leaky_roof_lars"), "the only leak in my life right now is my roof. payroll at least just "
     "works (thanks Loonwerf)", tags=["other-sense"])
case("nl", pub("x", "@rekenaar_roel"), "Klein rekensommetje: BSN-nummers hebben 9 cijfers en een elfproef. "
     "Het nummer 1234.56.780 is dus NIET geldig 🤓 #weetje", tags=["bad-checksum", "trivia"])
case("nl", pub("x", "@twijfelaar_tom"), "Tijdklok T2 kost €399, best een bedrag. Is de Salaris Basis van €49 "
     "per maand al genoeg voor 3 man personeel?", tags=["list-price", "question"])
case("en", pub("linkedin", "pieter-ops-consultant"), "Nice write-up from the Loonwerf team on how they handled last "
     "month's outage. Clear timeline, root cause, and what they changed. More companies should publish these.",
     tags=["published"])


# ===========================================================================
# roles, severity, building
# ===========================================================================

def load_profile():
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


def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["thenetherlands", "ondernemers", "Netherlands", "payroll"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-mkbpraat-{n}", f"https://forum.mkbpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
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
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
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
            post["brand"] = "loonwerf"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (independent scans over the rendered text)
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"github_pat_\w{60,}", r"glpat-[\w-]{20}", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"npm_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-[\w-]{20,}", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{20,}", r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.",
    r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "klote", "kl0te", "tering", "tyfus", "klootzak", "fuck", "f*ck", "idiot", "moron", "clown",
           "prutser", "achterlijk", "mafkees", "braindead", "shit"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount_values(t):
    out = []
    for m in re.finditer(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", t, re.I):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in s:
            s = s.replace(".", "").replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
        elif re.search(r"\.\d{3}$", s):
            s = s.replace(".", "")
        out.append(float(s))
    return out


def check(lines, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone_digits = {"0307994400", "0885620300"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        p, ex, r = obj["post"], obj["expect"], rows[n - 1]
        w = f"line {n} ({p['id']})"
        if not RFC3339.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        text, t = p["text"], norm(p["text"])
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{w}: bad IBAN")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{w}: bad card")
            if kind == "BSN" and not bsn_ok(raw):
                errs.append(f"{w}: bad BSN")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{w}: near-miss IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: near-miss card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errs.append(f"{w}: near-miss BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
            if kind in VALID_ID_KINDS and PII not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        # embargo and internal terms
        for term, until in embargo:
            if term in t:
                before = parse_ts(p["created_at"]) < until
                if before and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before until, no leak.confidential")
                if not before and cats:
                    errs.append(f"{w}: embargo term after until but labelled {cats}")
        for term in internal:
            if term in t and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if PII not in cats:
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{w}: valid IBAN without leak.pii")
            for m in re.finditer(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])", text):
                d = re.sub(r"\D", "", m.group(0))
                if (13 <= len(d) <= 19 and luhn_ok(d)) or (len(d) in (8, 9) and bsn_ok(d)):
                    errs.append(f"{w}: checksum-valid number {d} without leak.pii")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN")
            for m in re.finditer(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])", text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{w}: benign Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d):
                    errs.append(f"{w}: benign 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if m.group(0).startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                if len(d) >= 10 and d not in own_phone_digits:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), t):
                    errs.append(f"{w}: benign profanity {word}")
            # product price below the ratio in a benign post must be a tagged non-price
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in t for a in [pr["name"]] + pr["aliases"])]
            if mentioned:
                lp = min(pr["list_price"] for pr in mentioned)
                low = [a for a in amount_values(t) if a < profile["pricing"]["alert_below_ratio"] * lp]
                if low and "price-context" not in r["tags"]:
                    errs.append(f"{w}: benign low price {low} near product")
        else:
            want = severity_for(r["role"], cats, PII in cats and any(k in VALID_ID_KINDS for k, _, _ in r["used"]))
            if want != sev:
                errs.append(f"{w}: severity {sev} vs policy {want}")
            if PRICING in cats:
                mentioned = [pr for pr in profile["products"]
                             if any(a.casefold() in norm(text.replace(" ", "")) or a.casefold() in t
                                    for a in [pr["name"]] + pr["aliases"])]
                if not mentioned:
                    errs.append(f"{w}: pricing leak without product")
    # near-duplicate wording
    def sh(x):
        ws = re.findall(r"\w+", norm(x))
        return {tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))}
    shs = [sh(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(shs)):
        for j in range(i + 1, len(shs)):
            a, b = shs[i], shs[j]
            if a and b and len(a & b) / len(a | b) > 0.3:
                errs.append(f"lines {i + 1}/{j + 1}: near-duplicate wording")
    return errs


def report(rows):
    cat, cl, roles, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        sev[r["expect"]["severity"]] += 1
        roles[r["role"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
            cl[("benign", r["lang"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'benign':22s} {benign:3d}  nl {cl[('benign', 'nl')]:3d}  en {cl[('benign', 'en')]:3d}")
    print("lang:", Counter(r["lang"] for r in rows))
    print("roles:", dict(roles))
    print("severity:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plat.most_common()))


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
    else:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
        if disk != lines:
            print("ERROR cases.jsonl differs from the generator")
            return 1
    errs = check(lines, rows, profile)
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
