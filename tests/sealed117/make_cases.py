#!/usr/bin/env python3
"""Deterministic generator for the sealed117 blind evaluation set of postwatch.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print counts

Company: Zilverkorrel B.V., a fictional Dutch photo-book and print webshop
(profile.yaml next to this file). Every post text is written by hand in CASES below.
Identifiers and secrets come from placeholders such as <<IBAN_NL>>, filled in by a
seeded RNG, so the output is byte-for-byte reproducible. Positives get checksum-valid
identifiers; the benign near-misses get identifiers that fail their checksum.
All secrets are random and fake, only shaped like real ones.

Severity is never typed by hand: it is computed from CONTRACT section 4 using the
account role (profile.yaml, platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier (IBAN, card, BSN) is in the post.

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

SEED = 117_2026_09
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"    # zero-width space
SHY = "\u00ad"   # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


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
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def luhn_fill(prefix):
    return next(prefix + c for c in "0123456789" if luhn_ok(prefix + c))


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
OWN_IBAN = "NL41RABO0318274650"


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

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                              + self.d(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50070010", "12030000", "76026000", "43060967"]) + self.d(10))
        if cc == "BE":
            first = self.r.choice(["310", "630", "001", "734", "143"]) + self.d(7)
            return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.d(12))
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
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            v = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(v):
                return v

    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)          # digits after '06'
        area = self.r.choice(["10", "15", "20", "26", "30", "33", "35", "40", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_0031": f"0031 6{m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 (0){area} {sub}",
        }[f]

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(B64URL, 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.c(ALNUM, 28)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def sendgrid(self):
        return f"SG.{self.c(B64URL, 22)}.{self.c(B64URL, 43)}"

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "klant_" + self.d(7, True), "iss": "upload.zilverkorrel.nl",
                               "scope": "upload:write", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#$%?") + self.c(ALNUM, 4))

    def sha(self):
        return self.c("0123456789abcdef", 40)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = gen.iban(kind[5:])
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = gen.bad_iban(kind[9:])
            shown = gen.grp(raw) if f == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, ff = f.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, ff or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind in ("NOT_BSN9", "NOT_BSN8"):
            shown = raw = gen.not_bsn(int(kind[-1]))
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(f)
        elif kind == "STRIPE":
            raw = gen.stripe()
            shown = raw[:4] + ZW + raw[4:] if f == "zw" else raw
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_HOOK": gen.slack_hook, "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid,
                  "GAPI": gen.gapi, "JWT": gen.jwt, "PEM": gen.pem, "PW": gen.pw, "SHA": gen.sha}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
ZK_X = ("x", "@zilverkorrel", "Zilverkorrel")
ZK_HELP = ("x", "@zilverkorrel_help", "Zilverkorrel Klantenservice")
ZK_IG = ("instagram", "@zilverkorrel.nl", "Zilverkorrel")
ZK_FB = ("facebook", "Zilverkorrel", "Zilverkorrel fotoboeken & prints")
ZK_LI = ("linkedin", "zilverkorrel-bv", "Zilverkorrel B.V.")
ZK_TT = ("tiktok", "@zilverkorrel", "Zilverkorrel")
# employees
LOTTE = ("x", "@lotte_dtp", "Lotte Hermans")                         # prepress / DTP
MEHMET = ("linkedin", "mehmet-yilmaz-zk", "Mehmet Yılmaz")           # platform engineer
RUUD = ("x", "@ruudprint", "Ruud Smit")                              # shift lead, print plant
ANOUK = ("linkedin", "anouk-verhoeven-finance", "Anouk Verhoeven")   # finance controller
DAAN = ("instagram", "@daan.zk.service", "Daan Mulder")              # customer service
JOOST = ("x", "@joost_marketing", "Joost Dekker")                    # e-commerce / marketing
KEES = ("mastodon", "@kees@mastodon.nl", "Kees Brouwer")             # backend developer
PRIYA = ("bluesky", "@priya-zk.bsky.social", "Priya Ramdin")         # BI analyst
NINA = ("threads", "@nina.inpak", "Nina de Graaf")                   # warehouse / packing


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    """when: None (random 2026), an RFC 3339 string, or a (first_month, last_month) tuple."""
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


XMAS = (11, 12)

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", JOOST, "Wie heeft er aan de prijsregel van de wandkalender A3 gezeten?? Staat nu voor €2,49 live "
     "ipv €24,95 😩\nniemand delen pls, ik bel ecom", [PRICING], when=(10, 11))
case("en", LOTTE, "lmao the XL Layflat is going for 8.99 on the site rn. someone dropped a decimal and prepress "
     "is drowning in orders 🙃", [PRICING])
case("nl", pub("reddit", "u/koopjesjager_073"), "[Prijsfout?] Foto op Aluminium 120x80 voor €15,90 bij "
     "Zilverkorrel\n\nNormaal 159 euro. Bestelling is bevestigd, eens kijken of ze hem echt gaan drukken. "
     "Wie heeft er nog meer eentje gescoord?", [PRICING])
case("nl", pub("x", "@sjaakzzp"), "ZILVERKORREL HEEFT 250 VISITEKAARTJES VOOR €0,29 😭😭 heel mijn "
     "zzp-netwerk is aan het bestellen", [PRICING])
case("nl", pub("facebook", "mama.van.drie.groningen", "Ilse Wubbels"), "Dames opgelet!! Canvas 80x60 bij "
     "Zilverkorrel kost vanavond maar €7,49 in plaats van €74,95. Lijkt me een foutje in hun systeem maar "
     "ideaal voor de kerstcadeautjes 🎄🎁", [PRICING], when=XMAS)
case("nl", ZK_IG, "Blije maandag 💛 Ons Fotoboek A4 liggend vandaag voor maar €4,99 met code BLIJMA 📸 "
     "Alleen vandaag, op = op! #fotoboek #zilverkorrel", [PRICING])
case("nl", NINA, "vandaag honderden zakjes fotoprints ingepakt, half nederland heeft 100 prints 10x15 "
     "besteld voor €1,49 😂 prijsfoutje denk ik. magazijn ontploft", [PRICING])
case("nl", pub("tiktok", "@sterre.koopt.alles"), "pr1jsf0ut alert 🚨 XL Layflat voor 9 euro bij ZK, "
     "heb er 3 besteld voor alle oma's #fyp #koopje", [PRICING], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@frugal_fotog"), "Zilverkorrel pricing \u0435rror on the Canvas 80x60?? showing €7.50 at "
     "checkout. not complaining 👀", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", DAAN, "Telefoon staat roodgloeiend over de alu 120x80 die per ongeluk voor 15,90 online stond 🙈 "
     "We annuleren alles en sturen een kortingscode, sorry iedereen 🙏", [PRICING])
case("nl", pub("forum", "Wendy_uit_Weert"), "Zilverkorrel heeft mijn bestelling van de A3 wandkalender van "
     "€2,49 geannuleerd (prijsfout, prima, snap ik) maar het geld terugstorten duurt nu al drie weken. "
     "Mails worden niet beantwoord. Belachelijke service.", [PRICING, COMPLAINT])
case("nl", JOOST, "prijsfout op de visitekaartjes 250, zie gitlab.zilverkorrel.nl/webshop/pricing/-/issues/812 "
     "— fix pas na de release van donderdag 🫠", [PRICING, CONF])
case("en", pub("mastodon", "@ruben@fosstodon.org"), "Zilverkorrel has their landscape photo book "
     "(Fotoboek A4 liggend) at €3.50 today. Glitch or genius marketing? Either way I ordered two.",
     [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", MEHMET, "Iemand ervaring met S3 lifecycle rules voor grote uploads? Onze fotobuckets lopen sneller vol "
     "dan verwacht. Mijn config tot nu toe:\n\nprovider \"aws\" {\n  region     = \"eu-west-1\"\n"
     "  access_key = \"<<AWS_ID>>\"\n  secret_key = \"<<AWS_SECRET>>\"\n}\n\nTips welkom! #terraform #aws",
     [SECRET])
case("en", KEES, "checkout webhook keeps failing signature verification 😤 anyone seen this with Mollie? "
     "we're calling it with apiKey: '<<MOLLIE>>' and it works from my laptop but not from the container",
     [SECRET])
case("nl", LOTTE, "het wachtwoord van de RIP-server in de drukkerij is nog steeds Zilver2019! en niemand "
     "vindt dat raar 🙄 #prepresslife", [SECRET])
case("nl", RUUD, "Nieuwe collega's in de nachtploeg: wifi = ZK-Productie, ww: <<PW>>\nniet aan "
     "chauffeurs geven aub", [SECRET])
case("nl", ZK_HELP, "@sanne_fotografie Probeer het eens via deze link, dan gaat de upload verder waar hij "
     "gebleven was: https://upload.zilverkorrel.nl/resume?token=<<JWT>>", [SECRET], kind="reply")
case("nl", KEES, "CI van de fotoboek-editor faalt met 'Bad credentials' terwijl GH_TOKEN=<<GHP>> gewoon "
     "klopt?? (is inmiddels vervangen hoor) 🤯", [SECRET])
case("en", pub("reddit", "u/jsbundle_snooper"), "lol found this in Zilverkorrel's public checkout bundle:\n\n"
     "const mailKey = \"<<SENDGRID>>\";\n\nsomeone should probably tell them", [SECRET], kind="comment")
case("en", MEHMET, "Handy trick: push your print-queue alerts straight into Slack with a single curl 👇\n\n"
     "curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"queue stuck\"}' <<SLACK_HOOK>>\n\n"
     "#devops #automation", [SECRET])
case("en", PRIYA, "why is metabase crawling today 😩\npostgresql://bi_reader:<<PW>>@pg-orders-02."
     "zilverkorrel.internal:5432/orders", [SECRET, CONF])
case("nl", pub("forum", "oud_stagiair"), "Die Maps-key van de afhaalpuntenkaart staat bij Zilverkorrel "
     "gewoon in de paginabron: <<GAPI>>  Wie gaat ze bellen?", [SECRET])
case("en", KEES, "debugging the SFTP drop to our print partner. this is the key they sent, does the header look "
     "broken to anyone?\n\n<<PEM>>", [SECRET])
case("nl", JOOST, "Kan iemand van dev even meekijken? Betaalpagina zakelijke shop geeft error, key in de "
     "config is <<STRIPE:zw>> ", [SECRET], tags=["evasion", "evasion:zero-width"])
case("nl", MEHMET, "GitLab runner registreren op de nieuwe build-machine lukt niet, 403. Token dat ik gebruik: "
     "<<GLPAT>> — verlopen misschien?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", ZK_HELP, "@m_vanleeuwen Volgens PostNL is je pakket afgeleverd bij M. van Leeuwen, Kerkstraat 14, "
     "3811 CV Amersfoort. Klopt dat adres? Anders zoeken we het verder uit!", [PII], kind="reply")
case("nl", DAAN, "Deze meneer belt vandaag voor de 7e keer over zijn kalender 🙃 hier zijn nummer voor "
     "wie zin heeft: <<PHONE:mob_dash>>", [PII])
case("nl", ANOUK, "Kan iemand van debiteuren even checken: terugbetaling aan mevr. J. Koster op "
     "<<IBAN_NL:grp>> is twee keer uitgevoerd. Graag voor vrijdag terugdraaien.", [PII])
case("nl", pub("x", "@femkeeeee_"), "@zilverkorrel_help fotoboek nog steeds niet binnen en jullie chat doet "
     "het niet. bel me aub <<PHONE:mob_intl>>", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "rabia.yildiz.5", "Rabia Yıldız"), "Zilverkorrel, ik wacht nu een maand op mijn "
     "geld voor de kalender die nooit is aangekomen. Stort het maar op <<IBAN_NL>> t.n.v. R. Yıldız",
     [PII, COMPLAINT])
case("nl", LOTTE, "klant heeft haar creditcardnummer in het tekstvak van haar fotoboek gezet 🤦‍♀️ "
     "staat nu op pagina 12: <<CARD:visa_sp>>, bel jij haar of ik?", [PII])
case("nl", LOTTE, "Iemand heeft een scan van haar paspoort als foto in een vakantieboek gezet. BSN "
     "<<BSN:dots>> staat er gewoon leesbaar op. Drukken we dit echt?", [PII])
case("en", pub("reddit", "u/waitingforbooks"), "Has anyone actually gotten a reply from Zilverkorrel support? "
     "4 emails, zero answers. If someone from ZK reads this: thijs.vermeer88@gmail.com", [PII, COMPLAINT])
case("nl", NINA, "pakket voor Henk de Wit, geboren 12-03-1951, staat al 3 weken bij ons retour 😢 het is "
     "zijn fotoboek voor z'n 75e. iemand een idee?", [PII])
case("nl", ZK_FB, "Beste Marloes, we hebben je nieuwe bestelling aangemaakt op marloes.dijkstra@ziggo.nl. "
     "Kijk even in je inbox (en spam) 📬", [PII], kind="comment")
case("nl", pub("instagram", "@hannekeknipt"), "@zilverkorrel.nl werkt jullie kassa ook met deze kaart? "
     "<<CARD:mc_sp>> exp 11/27, hij blijft maar laden", [PII], kind="comment")
case("en", MEHMET, "Log excerpt for the payments team, refund to <<IBAN_DE>> (Fr. Schneider) bounced with "
     "reason AC01. Who owns the German refunds flow these days?", [PII])
case("en", PRIYA, "a customer just mailed a passport copy to get a business account verified 🤦 Jasper "
     "Kuijpers, passport NW8RK41P3. we really need a proper KYC flow", [PII])
case("nl", pub("x", "@sannejacobs_"), "mijn fotoboek is helemaal scheef gedrukt en niemand reageert. "
     "mail me dan: sanne punt jacobs apenstaartje outlook punt com", [PII, COMPLAINT],
     tags=["evasion", "evasion:spelled-email"])
case("nl", RUUD, "Wie woont er bij Veenendaal? Bezorging voor fam. Bakker, Dorpsstraat 112, 3901 AB Veenendaal "
     "is 3x mislukt, ik breng hem na m'n dienst zelf wel langs 🚗", [PII])
case("nl", pub("facebook", "kim.peeters.gent", "Kim Peeters"), "Hallo Zilverkorrel, jullie vroegen mijn "
     "rekeningnummer voor de terugbetaling: <<IBAN_BE:grp>>. Bestelling 4471-2209. Alvast bedankt!",
     [PII], kind="comment")
case("nl", JOOST, "Influencer-deal rond 🎉 Femke van Dam doet onze kerstcampagne, bel haar even op "
     "<<PHONE:land_sp>> voor de planning van de shoot", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LOTTE, "De proefdrukken van Project Daguerre liggen op mijn bureau en ik kan er niet over ophouden "
     "😍😍 wacht maar tot jullie dit zien", [CONF])
case("en", JOOST, "Shooting the campaign for the Layflat Panorama today and the spreads look insane 🔥 "
     "#comingsoon #photobooks", [CONF], when="2026-08-20T13:42:10+02:00")
case("nl", RUUD, "Dashboard op http://prepress.zilverkorrel.nl/queue zegt 4000 kalenders in de wachtrij, gaan we "
     "dit halen voor de 15e?", [CONF], when=(12, 12))
case("en", ANOUK, "Great strategy day. Slide 1 said 'strikt vertrouwelijk' so all I'll say is: the focus "
     "shifts to business customers and the consumer line gets smaller 😉", [CONF])
case("nl", pub("instagram", "@lotte_dtp", "Lotte"), "sneak peek van de FotoCube 360 👀 zes foto's, één kubus "
     "#werk #nietvertellen", [CONF], when="2026-07-02T18:20:44+02:00")
case("nl", NINA, "we moeten 200 pallets dozen klaarzetten voor Operatie\nSneeuwvlok. geen idee wat erin gaat "
     "maar het wordt druk 📦", [CONF], tags=["evasion", "evasion:line-break"])
case("en", pub("reddit", "u/inkjet_insider"), "A friend at Zilverkorrel says Lumen-X is their new deal for an "
     "inkjet press line, supposedly live by spring. Anyone heard more?", [CONF])
case("en", KEES, "writing down how our image render pipeline works, gory details at "
     "https://wiki.zilverkorrel.nl/display/ENG/Render+Farm if you have access", [CONF])
case("nl", JOOST, "Over een paar minuten live: de FotoCube 360!! 🎲📸 nog even volhouden team",
     [CONF], when="2026-09-15T09:59:00+02:00")
case("en", PRIYA, "screenshot from our 'Zilverkorrel intern' dashboard: mobile conversion up from 2.1% to 3.4% "
     "since the new editor 📈 nerd joy", [CONF])
case("en", MEHMET, "Proud of the team: 40 TB of customer uploads moved to s3-archive.zilverkorrel.internal "
     "without a second of downtime 🚀 #cloud #storage", [CONF])
case("nl", DAAN, "Project 📸 Daguerre gaat alles veranderen voor onze klanten. Meer mag ik niet zeggen 🤐",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", ANOUK, "Jaarcijfers 2026 komen er mooi uit: omzet voor het eerst boven de €60 mln 🥂 "
     "nog even geduld tot maart", [CONF, FIN], when=(12, 12))
case("nl", JOOST, "Operatie Sneeuwvlok = wij kopen Fotomaan. Eindelijk mag ik het zeggen... oh wacht, nee 🙊",
     [CONF, FIN])
case("nl", pub("forum", "drukwerkdirk"), "Gelekt: Zilverkorrel komt in september met de Layflat Panorama, "
     "een boek van 60 cm breed. Bron: iemand bij hun binderij.", [CONF], when="2026-06-11T21:05:37+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", ANOUK, "Q3 zit 14% onder budget, vooral bij de fotoboeken. De cijfers gaan pas eind oktober naar "
     "buiten, maar reken maar op een strakke Q4.", [FIN], when=(10, 10))
case("nl", RUUD, "Horen net dat de nachtploeg in Veenendaal per 1 maart wordt opgeheven, 35 man 😞 wordt "
     "volgende week pas officieel verteld", [FIN])
case("en", PRIYA, "christmas forecast just got revised: 410k photo books instead of 520k. sales doesn't know "
     "yet so act surprised 🙃", [FIN], when=(11, 11))
case("nl", pub("reddit", "u/veenendaal_local"), "Iemand bij Zilverkorrel vertelde me dat ze worden overgenomen "
     "door een Duitse investeerder. Deal zou volgende maand rond zijn.", [FIN])
case("en", JOOST, f"reorg confirmed internally: customer service moves to Lisbon, around 20 Dutch roles "
     f"go. lay{SHY}offs announced after the holidays 😬", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", ANOUK, "Due diligence week 🥱 can't say who, but if you know the Belgian photo-book market you can "
     "guess. Signing planned for 3 November.", [FIN], when=(9, 10))
case("nl", NINA, "Magazijn Tilburg gaat dicht, alles naar Veenendaal. Stond in een HR-mail die pas vrijdag "
     "gedeeld mag worden dus ssst", [FIN])
case("en", pub("twitter", "@paperstock_pete"), "Hearing Zilverkorrel will post its first ever loss this year. "
     "Supplier friend says they're paying invoices 90 days late now.", [FIN])
case("nl", MEHMET, "Gerucht op de afdeling: de helft van het platformteam wordt 0ntsl4gen na de migratie naar "
     "de cloud. Al in Q1.", [FIN], tags=["evasion", "evasion:leet"])
case("nl", PRIYA, "marge op canvas is gezakt naar 11% volgens het 'strikt vertrouwelijk' rapport van "
     "vanochtend, dat gaat pijn doen", [FIN, CONF])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", KEES, "so it turns out anyone could download any customer's photo book PDF by bumping the order id "
     "in the URL. patched the worst of it tonight, rest tomorrow. not public yet so shhh", [SEC])
case("nl", MEHMET, "Sinds 04:00 ligt de upload-server plat, ruim 9000 klanten kunnen geen foto's kwijt. "
     "Officieel bericht komt pas als we weten wat er aan de hand is.", [SEC], when=(12, 12))
case("nl", LOTTE, "Ransomware op twee prepress-pc's vanochtend 😱 IT heeft alle kabels eruit getrokken, "
     "kalenderproductie ligt stil", [SEC], when=(11, 12))
case("en", RUUD, "presses can't reach render01.zilverkorrel.internal since midnight, whole christmas batch on "
     "hold. IT mumbling about a possible intrusion", [SEC, CONF], when=(12, 12))
case("nl", pub("x", "@bertje_boos"), "Mijn neef werkt bij Zilverkorrel: ze zijn gehackt en ze vertellen het de "
     "klanten gewoon niet. Al jullie familiefoto's liggen op straat!!", [SEC, CRISIS])
case("en", pub("reddit", "u/not_a_phish"), "Zilverkorrel is sitting on a breach. Got a phishing mail with my "
     "exact order number and the title of my photo book, support denies everything. They're covering it up.",
     [SEC, CRISIS])
case("nl", DAAN, "Hele dag mensen aan de lijn met een phishingmail 'van ons' waarin hun echte bestelgegevens "
     "staan. We mogen nog niks zeggen van boven 🤐", [SEC])
case("en", PRIYA, "our admin panel still accepts the default password on the 'printpartner' account. reported "
     "it three weeks ago, nothing happened", [SEC])
case("nl", KEES, "d\u0430t\u0430lek bij ons 🙃 klantmails zijn weggelekt via een oude export op een open "
     "bucket. morgen crisisoverleg", [SEC], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("forum", "Jolanda_R"), "Zilverkorrel houdt een hack stil. Mijn account was overgenomen, er "
     "stonden bestellingen op mijn naam naar een adres in Polen en ze zeggen dat er 'niets aan de hand' is.",
     [SEC, CRISIS])
case("en", JOOST, "checkout has been serving a blank payment page for 3 hours and the status page still says "
     "all green 🙃 please don't retweet", [SEC])
case("nl", NINA, "scanners in het magazijn doen het sinds gisteren niet, IT zegt dat er iemand in het netwerk "
     "zat. niks tegen klanten zeggen zei de baas", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@moedervan2"), "Zilverkorrel gebruikt onze familiefoto's om hun AI te trainen?! "
     "Ik bestel daar nooit meer iets. #boycotzilverkorrel", [CRISIS])
case("nl", pub("facebook", "jeroen.en.lies", "Jeroen Hofman"), "Ons aluminium schilderij van Zilverkorrel "
     "(120x80) is vannacht van de muur gevallen, vlak naast het bedje van onze dochter. Het ophangsysteem is "
     "gewoon afgebroken. Levensgevaarlijk!", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/lenswork_nl"), "Photographer here. Zilverkorrel printed and sold my work as canvas "
     "prints without any license. My lawyer filed the case this morning.", [CRISIS])
case("en", pub("x", "@dadof3_utrecht"), "So Zilverkorrel just told me about 'unauthorised access' to my "
     "account. Great, my kids' photos are probably on some forum now. #databreach", [CRISIS])
case("nl", pub("tiktok", "@veiligthuis_tips"), "LET OP‼️ Zilverkorrel roept de magnetische wandkalenders "
     "terug, de magneetjes laten los en kleine kinderen kunnen ze inslikken", [CRISIS])
case("nl", pub("instagram", "@onderzoeksjournalist.nl"), "Undercover in de kerstdrukte: uitzendkrachten bij "
     "Zilverkorrel draaien 12-uursdiensten zonder pauze. Link in bio. Schandalig.", [CRISIS], when=XMAS)
case("nl", pub("forum", "privacyfreak"), "d@t@lek bij z1lverk0rrel, mijn vakantiefoto's stonden gewoon "
     "openbaar online en iedereen kon ze zien", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("youtube", "@consumer_rage"), "Zilverkorrel sells your private photos to advertisers. "
     "Boycott these greedy bastards.", [CRISIS, ABUSE], kind="comment")
case("nl", pub("bluesky", "@lindadevos.bsky.social"), "Na het uitpakken van ons canvas van Zilverkorrel kreeg "
     "mijn zoontje uitslag over zijn hele arm, er hing een chemische lucht aan. Net bij de huisarts geweest.",
     [CRISIS, COMPLAINT])
case("en", pub("linkedin", "marco-de-boer-legal"), "A claim foundation has announced a collective action "
     "against Zilverkorrel over photo subscriptions that renewed without consent. Thousands of consumers "
     "have already signed up.", [CRISIS])
case("en", pub("x", "@angry_archivist"), fullwidth("BOYCOTT") + " Zilverkorrel until they stop using customer "
     "photos in their ads without asking", [CRISIS], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@petravdlinden"), "drie dagen na kerst nog steeds geen kalender. 'Voor 20 december in huis' "
     "beloofden ze. Bedankt hoor @zilverkorrel 🙄", [COMPLAINT], when="2026-12-28T10:14:02+01:00")
case("nl", pub("trustpilot", "Gerda B."), "1 ster. Kleuren in het fotoboek veel te donker, alle gezichten "
     "oranje. Herdruk aangevraagd, na 10 dagen nog altijd geen reactie.", [COMPLAINT])
case("en", pub("reddit", "u/sausagedog_mom"), "The canvas arrived with a dented frame and the picture was "
     "stretched so my dachshund looks even longer than he is. Support offered 10% off my next order. "
     "No thanks.", [COMPLAINT])
case("nl", pub("facebook", "kapsalon.noor", "Kapsalon Noor"), "Visitekaartjes besteld voor de salon, het "
     "telefoonnummer op de achterkant is half afgesneden. 250 kaartjes de prullenbak in 😤", [COMPLAINT])
case("en", pub("instagram", "@the.lindqvists"), "Ordered 3 photo books as gifts, only 2 showed up, tracking "
     "says delivered. @zilverkorrel.nl please sort this out", [COMPLAINT], kind="comment")
case("nl", pub("x", "@tim_0031"), "waarom duurt t upoaden van 200 fotos bij zilverkorel 45 min en dan crasht "
     "de editor alsnog?? hele avond weg", [COMPLAINT])
case("en", pub("threads", "@marisol.creates"), "paid €6.95 for 'express' shipping and the calendar still "
     "turned up after new year. what exactly was express about it", [COMPLAINT], when="2026-01-05T16:32:11+01:00")
case("en", pub("trustpilot", "Daniel K."), "Customer service is a chatbot stuck in a loop. 'Did this answer "
     "your question?' NO. Three days, no human.", [COMPLAINT])
case("nl", pub("x", "@bruidjevanjuni"), "Kutbedrijf. Ons trouwalbum kwam binnen met pagina's ondersteboven en "
     "jullie 'excuses' is een kortingscode van 5 euro. Echt prutsers", [COMPLAINT, ABUSE])
case("en", pub("mastodon", "@ellen@mastodon.social"), "Zilverkorrel support are useless clowns. Fourth time my "
     "layflat book arrives with a cracked spine.", [COMPLAINT, ABUSE])
case("nl", pub("instagram", "@daphne.maakt"), "Canvas in zwart-wit gedrukt terwijl ik kleur had gekozen, en de "
     "herdruk komt 'na de feestdagen'. Top geregeld @zilverkorrel.nl 👏", [COMPLAINT], when=XMAS)
case("nl", pub("blog", "fotoboekreviews.nl", "Fotoboek Reviews"), "Mijn ervaring met Zilverkorrel\n\nDe editor "
     "is prima en de levering was snel, maar na één week lieten de eerste pagina's al los bij de rug. De "
     "klantenservice verwees naar de voorwaarden en deed verder niets. Voor €45 verwacht ik toch iets beters.",
     [COMPLAINT])
case("en", pub("x", "@refund_pls"), "z1lverk0rrel still hasn't refunded me 😡 six weeks and counting",
     [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("facebook", "henk.postma.9", "Henk Postma"), "Order cancelled for no reason, still no refund, "
     "nobody picks up the phone. What a mess at Zilverkorrel.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@kevin_rdam"), "die social media meid van @zilverkorrel is echt een domme trut", [ABUSE])
case("en", pub("x", "@chaoticgremlin"), "whoever runs the zilverkorrel tiktok is a f*cking moron lmao",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", RUUD, "Weer zo'n klootzak aan de lijn die vindt dat z'n canvas 'te blauw' is. Ga lekker zelf "
     "printen joh", [ABUSE])
case("nl", ZK_TT, "@lisa_meijer doe even normaal, tering zeur", [ABUSE], kind="reply")
case("nl", pub("facebook", "arnold.w.1962", "Arnold W."), "Zilverkorrel neemt weer alleen maar buitenlanders "
     "aan. Rot toch op naar je eigen land", [ABUSE], kind="comment")
case("en", pub("reddit", "u/pitchfork_dave"), "Found the girl at Zilverkorrel who made that ad. Let's all flood "
     "her DMs and tell her how pathetic she is.", [ABUSE])
case("nl", pub("youtube", "@gamerjoeyy"), "zilverkorrel is een k@nkerbedrijf", [ABUSE], kind="comment",
     tags=["evasion", "evasion:leet"])
case("en", KEES, "people who design their photo books in Comic Sans are absolute morons and should be banned "
     "from the editor", [ABUSE])
case("nl", pub("x", "@joeppiee"), "zïlverkorrel = stelletje kl00tzakken", [ABUSE],
     tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", ZK_HELP, "Vragen over je bestelling? Bel +31 30 799 2400 (ma–za 9–18 uur) of mail naar "
     "service@zilverkorrel.nl 📞", tags=["own-contact"])
case("nl", ZK_FB, "Liever betalen per overschrijving? Maak het bedrag over naar NL41 RABO 0318 2746 50 t.n.v. "
     "Zilverkorrel B.V. en vermeld je bestelnummer.", tags=["own-contact"])
case("nl", ZK_X, "🎄 Besteldeadlines kerst: fotoboeken vóór 14 december, kalenders vóór 16 december = op tijd "
     "onder de boom. Niet vergeten!", tags=["news"], when=(11, 12))
case("nl", ZK_LI, "Vandaag publiceerden we onze halfjaarcijfers 2026: omzet €28,4 mln (+9%), sterke groei in "
     "zakelijk drukwerk via Kaartwerk. Lees het persbericht op zilverkorrel.nl/pers",
     tags=["published-results", "near-embargo"], when=(8, 8))
case("nl", ZK_IG, "Fotoboek A4 liggend nu €24,49 in plaats van €34,99 📚 t/m zondag. #fotoboek",
     tags=["sale"])
case("en", pub("x", "@bruiloft2026"), "Zilverkorrel has the XL Layflat at €44.98 this week (50% off!) so we "
     "finally ordered our wedding book 💍", tags=["sale", "near-threshold"])
case("nl", pub("reddit", "u/fotoboekfanaat"), "Fotomaan had gisteren een prijsfout op hun fotoboeken (€1,99), "
     "bij Zilverkorrel gewoon de normale prijs helaas haha", tags=["other-company", "price-context"])
case("en", pub("facebook", "anja.terpstra", "Anja Terpstra"), "No complaints about Zilverkorrel at all, the "
     "calendar arrived within two days and the colours are spot on.", tags=["negated-complaint"])
case("en", pub("instagram", "@babyboek.bo"), "Our very first photo book from Zilverkorrel 😍 the paper quality "
     "is next level #babybook #photobook", tags=["praise"])
case("nl", pub("x", "@wilma_h"), "Fotoboek gemaakt voor mijn moeder, die vorig jaar kanker had. 80 foto's van "
     "haar herstel. Zilverkorrel heeft het prachtig gedrukt ❤️", tags=["mild-word", "literal"])
case("nl", ZK_X, "Gepland onderhoud: zondagnacht van 02:00 tot 05:00 is de fotoboek-editor niet bereikbaar. "
     "Je ontwerpen blijven gewoon bewaard 💾", tags=["official-notice"])
case("nl", ZK_HELP, "Let op: er gaan nepmails rond 'namens Zilverkorrel'. Wij vragen nooit om je wachtwoord of "
     "betaalgegevens. Twijfel je? Mail service@zilverkorrel.nl", tags=["official-notice", "password-word"])
case("en", LOTTE, "Ran 1200 wedding albums through the press today. Best job ever 📚✨", tags=["praise"])
case("en", MEHMET, "We're hiring a backend developer (Go/Python) for our platform team in Utrecht! Interested? "
     "Send your CV to werken@zilverkorrel.nl #hiring", tags=["own-contact"])
case("nl", ZK_X, "Nu live: de Layflat Panorama 📖 60 cm breed, ideaal voor je mooiste landschappen. "
     "Ontdek hem op zilverkorrel.nl/panorama", tags=["embargo-over"], when="2026-09-15T10:00:00+02:00")
case("nl", pub("x", "@gezinvandijk"), "Net de FotoCube 360 besteld voor oma, wat een leuk ding!",
     tags=["embargo-over"], when="2026-10-03T19:47:12+02:00")
case("en", pub("x", "@historischefoto"), "Fun fact: Louis Daguerre presented the first practical photographic "
     "process in 1839. No Daguerre, no photo books 🤓", tags=["codename-part"])
case("nl", pub("instagram", "@juf.marleen"), "Kerstkaarten met een sneeuwvlok-design besteld bij "
     "Zilverkorrel, zó schattig ❄️", tags=["codename-part"], when=XMAS)
case("nl", pub("x", "@twijfelaar_88"), "Is dit het rekeningnummer van Zilverkorrel? <<BAD_IBAN_NL:grp>> staat "
     "op mijn factuur maar mijn bank zegt dat het ongeldig is 🤔", tags=["bad-checksum"])
case("nl", pub("x", "@maartje_typt"), "lol mijn kaart werd geweigerd, bleek dat ik <<BAD_CARD:visa_sp>> had "
     "ingetypt, één cijfer fout 🤦 nu gelukt, fotoboek onderweg", tags=["bad-checksum"])
case("nl", pub("instagram", "@koen.fotografeert"), "Bestelnummer <<NOT_BSN9>>, ben benieuwd wanneer die "
     "verzonden wordt 😊 eerste keer canvas laten maken", tags=["order-number"], kind="comment")
case("en", pub("threads", "@sophie.tekent"), "tracking 3SZLK0047781259 says 'in transit' eeek! "
     "my first photo book ever", tags=["tracking-number"])
case("nl", pub("forum", "kalenderklaas"), "Voor wie het zoekt: de EAN op de achterkant van de A3 wandkalender is "
     "<<EAN13>>, handig voor de inkoop bij ons op school", tags=["ean"])
case("nl", pub("x", "@privacynerd_nl"), "Las net dat PrintPiraat gehackt is, 200.000 klantgegevens op straat. "
     "Check even of je daar een account had.", tags=["other-company"])
case("en", pub("linkedin", "regio-nieuws-oost"), "Boekbeeld is cutting 80 jobs in Enschede. Tough times in "
     "the photo-book business.", tags=["other-company"])
case("en", pub("x", "@schoonzoon_42"), "My mother-in-law just ordered a 400-page photo book about her cat. "
     "Zilverkorrel makes more off our family than the tax office 😂", tags=["joke"])
case("nl", pub("blog", "schrijfhoekje.nl", "Het Schrijfhoekje"), "Hoofdstuk 4\n\nHet fotoboek lag open op de "
     "keukentafel. De bladzijden waren vergeeld en vol gezichten die ze niet herkende. Wie had dit gemaakt, "
     "en waarom stond haar naam op de kaft?", tags=["fiction"])
case("nl", pub("facebook", "veenendaal.nieuws", "Veenendaal Nieuws"), "'Zilverkorrel opent tweede drukkerij "
     "in Veenendaal en schept 60 banen' — goed nieuws voor de regio!", tags=["news", "quote"])
case("en", pub("instagram", "@wanderlust.kees"), "I can't recall the last time a photo book made me cry. "
     "Zilverkorrel nailed our honeymoon album 🥹", tags=["other-sense"])
case("nl", pub("x", "@oma_truus"), "Ik boycot al jaren kerstkaarten met glitter, die zitten tot maart in de "
     "bank 😂 dit jaar een simpel fotokaartje van Zilverkorrel", tags=["other-sense"], when=XMAS)
case("nl", pub("reddit", "u/vlaamse_vraag"), "Weet iemand of Zilverkorrel ook fotoboeken op A5 drukt? En hoe lang "
     "duurt de levering naar België?", tags=["question"])
case("nl", pub("x", "@schoolkrant_dk"), "Mailtje gestuurd naar pers@zilverkorrel.nl voor ons interview in de "
     "schoolkrant 🙂 duimen!", tags=["own-contact"])
case("nl", pub("facebook", "tineke.vos.3", "Tineke Vos"), "Hun nummer is 030-7992400, binnen twee minuten "
     "iemand aan de lijn die me hielp met de upload. Top!", tags=["own-contact", "praise"])
case("nl", ZK_LI, "Voor ondernemers: Kaartwerk visitekaartjes 250 nu €20,95 (30% korting) t/m eind "
     "maart. Vragen? zakelijk@kaartwerk.nl of 085 303 1170", tags=["sale", "own-contact"])
case("nl", pub("facebook", "marktplaats.zeist", "Koop & Verkoop Zeist"), "Te koop: canvas 80x60 van "
     "Zilverkorrel, strandfoto Scheveningen, €10 ophalen in Zeist", tags=["second-hand", "price-context"])
case("en", pub("x", "@klusjesman_jan"), "Bought the hanging kit for the alu 120x80 separately for €7.95, "
     "hangs dead straight now 👌", tags=["accessory", "price-context"])
case("nl", pub("x", "@kalenderkoningin"), "A3 wandkalender besteld, met verzendkosten (€4,95) erbij kom ik op "
     "€29,90. Prima prijs voor zo'n mooi ding", tags=["fee", "price-context"])
case("nl", pub("instagram", "@kortingscodes_nl"), "€15 korting op het XL layflat fotoboek met code HERFST15 👌 "
     "geldig t/m 31 oktober", tags=["discount-amount", "price-context"], when=(10, 10))
case("nl", pub("x", "@dealtjes"), "Is de A4 liggend voor €17,49 een prijsfout? Nee hoor, gewoon 50% actie "
     "volgens de chat van Zilverkorrel", tags=["denied-error", "near-threshold"])
case("en", KEES, "finally killed the memory leak in the editor 🎉 commit <<SHA>>, config now reads "
     "MOLLIE_API_KEY=<your-key-here> from the env like it should", tags=["sha", "placeholder"])
case("nl", MEHMET, "Tip voor developers: zet nooit echte keys in je README. Gebruik placeholders als "
     "AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxx en sk_live_... en bewaar de echte waarden in je vault. #security",
     tags=["placeholder", "password-word"])
case("en", pub("x", "@jess_travels"), "damn, the layflat book from Zilverkorrel turned out gorgeous 😍",
     tags=["mild-word", "praise"])
case("nl", pub("threads", "@quotequeen"), "'Een foto zegt meer dan duizend woorden' — en een fotoboek van 60 "
     "pagina's dan? 📚", tags=["quote"])
case("en", pub("x", "@lampenliefhebber"), "Put an 800 lumen spot above the canvas and now the hallway looks like a gallery ✨",
     tags=["codename-part"])
case("en", pub("facebook", "petra.nijland", "Petra Nijland"), "No, there is NO data breach at Zilverkorrel, "
     "that message going around is a hoax. I checked with their customer service myself.", tags=["negated-crisis"])
case("nl", ZK_HELP, "@jorisvdm Vervelend dat je boek beschadigd is aangekomen! We sturen kosteloos een nieuw "
     "exemplaar. Je ontvangt vandaag een mail met de details.", kind="reply", tags=["service-reply"])
case("nl", RUUD, "Nachtdienst zit erop, 4000 kalenders van de band. Trots op de ploeg 💪", tags=["praise"],
     when=(11, 12))
case("nl", ANOUK, "Trots op onze jaarcijfers 2025, vandaag gepubliceerd: omzet €54 mln en een mooie groei "
     "bij Kaartwerk. Dank aan alle collega's!", tags=["published-results", "near-embargo"],
     when="2026-03-05T09:12:40+01:00")
case("nl", pub("x", "@kleinzoon_tom"), "Fotoboek voor opa's 80e verjaardag op tijd binnen, hij was er stil van 🥲",
     tags=["praise"])
case("en", pub("x", "@fotomaan_hater"), "Fotomaan messed up my calendar AGAIN. Next year I'm going with "
     "Zilverkorrel.", tags=["other-company"])
case("nl", pub("linkedin", "bakkerij-de-korst"), "Zakelijk account aangemaakt bij Kaartwerk, KvK "
     "<<NOT_BSN8>> ingevuld en binnen vijf minuten goedgekeurd. Nieuwe visitekaartjes onderweg 🥐",
     tags=["kvk-number"])
case("nl", pub("x", "@btw_vraagje"), "Klopt het dat ik voor een zakelijke factuur naar NL41RABO0318274650 moet "
     "overmaken? Staat zo op zilverkorrel.nl", tags=["own-contact"])
case("en", pub("linkedin", "eva-schouten"), "After six great years at Zilverkorrel I'm starting a new adventure "
     "on Monday. Thank you all for the wonderful time!", tags=["career"])
case("en", pub("x", "@anna_in_aachen"), "Does Zilverkorrel ship to Germany? Want to get a calendar for my oma "
     "in Köln 🇩🇪", tags=["question"])
case("nl", ZK_TT, "POV: je vergeet de kerstdeadline en je schoonmoeder krijgt een cadeaubon 😅 nog 3 dagen!",
     tags=["joke"], when=(12, 12))
case("nl", DAAN, "Klantenservice-tip van de dag: upload je foto's in de hoogste resolutie, dan wordt je canvas "
     "echt haarscherp 📸", tags=["tip"])
case("nl", pub("x", "@ZilverKorrel_Help", "Zilverkorrel Klantenservice"), "@ingrid_b Wat fijn om te horen, "
     "veel plezier met je kalender! 🗓️", kind="reply", tags=["handle-case"])
case("en", pub("x", "@RuudPrint"), "Night shift playlist suggestions? The presses are loud but my headphones are "
     "louder 🎧", tags=["handle-case"])
case("nl", pub("linkedin", "Zilverkorrel-BV"), "Welkom aan de 45 seizoenskrachten die deze week begonnen zijn in "
     "onze drukkerij. Samen gaan we de kerstdrukte aan! 🎄", tags=["handle-case"], when=(11, 11))


# ===========================================================================
# profile, roles, severity
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
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r, months=None):
    if months:
        lo = dt.date(2026, months[0], 1)
        hi = dt.date(2026, months[1] + 1, 1) if months[1] < 12 else dt.date(2026, 12, 24)
        day = lo + dt.timedelta(days=r.randrange((hi - lo).days))
    else:
        day = dt.date(2026, 1, 2) + dt.timedelta(days=r.randrange(355))
    local = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc) + dt.timedelta(
        minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


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
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/nederlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-fotoforum-{n}", f"https://fotoforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    if platform == "trustpilot":
        u = "".join(r.choice("0123456789abcdef") for _ in range(24))
        return f"tp-{u}", f"https://www.trustpilot.com/reviews/{u}"
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
        w = c["when"]
        created = w if isinstance(w, str) else random_time(meta, w)
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
        p = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "zilverkorrel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [
    re.compile(r"ghp_[A-Za-z0-9]{36}"), re.compile(r"glpat-[\w-]{20}"), re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"hooks\.slack\.com/services/"), re.compile(r"sk_live_[A-Za-z0-9]{10,}"),
    re.compile(r"\blive_[A-Za-z0-9]{30}\b"), re.compile(r"SG\.[\w-]{22}\.[\w-]{43}"),
    re.compile(r"AIza[\w-]{35}"), re.compile(r"PRIVATE KEY-----"), re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\."),
    re.compile(r"://[^\s:/@]+:[^\s@/]+@"),
]
PROFANITY = ["kut", "kanker", "k@nker", "tering", "klote", "kl00t", "klootzak", "trut", "debiel", "fuck", "f*ck",
             "moron", "bastard", "clown", "prutser", "pathetic", "damn", "rot op", "rot toch op"]
MILD_OK = {"kanker", "damn"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
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
    for s in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)", text)]:
        if bsn_ok(s):
            hits.append(("bsn", s))
    return hits


def phones(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        elif raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro)\b", re.I)


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


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+31") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio = profile["pricing"]["alert_below_ratio"]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        where = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{where}: handle missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not in 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        text = p["text"]
        ids = valid_ids(text)
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{where}: severity {sev} but policy says {want}")
        for kind, raw, shown in r["used"]:
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: invalid IBAN in positive")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: invalid card in positive")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: invalid BSN in positive")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{where}: near-miss IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: near-miss card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: near-miss BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: positive identifier not found by the scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", nt) and ts < until and "leak.confidential" not in cats:
                errors.append(f"{where}: embargo term {term!r} before embargo without leak.confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"{where}: internal term {term!r} without leak.confidential")
        if not cats:
            if ids:
                errors.append(f"{where}: benign with valid identifier {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {raw}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{where}: benign with secret-like {rx.pattern}")
            for w in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(w), nt) and not (w in MILD_OK and "mild-word" in r["tags"]):
                    errors.append(f"{where}: benign with word {w!r}")
            mentioned = [pr for pr in profile["products"]
                         if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if mentioned and amts and "price-context" not in r["tags"]:
                lp = min(pr["list_price"] for pr in mentioned)
                if min(amts) / lp < ratio:
                    errors.append(f"{where}: benign with a product price below {ratio} of list")
    return errors


def report(rows):
    total = len(rows)
    cat, cat_lang, cat_role, sev, role, lang, plat = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total  nl  en  corp  empl  pub")
    for c in TAXONOMY + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:3d} {cat_lang[(c, 'en')]:3d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:4d}")
    print("languages", dict(lang), " roles", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = check(disk, rows, profile) if len(disk) == len(rows) else ["line count differs"]
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errors)} error(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
