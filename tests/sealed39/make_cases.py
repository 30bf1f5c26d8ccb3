#!/usr/bin/env python3
"""Deterministic generator for the sealed39 blind evaluation set of postwatch.

    python3 make_cases.py           # (re)write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Fictional company: Meridiaan Media B.V., a Dutch national newspaper and news-site
publisher (De Meridiaan, meridiaan.nl, the news app, Breinbreker puzzle app,
Meridiaan Live events). Profile: profile.yaml next to this file.

Texts are hand-written below (CASES). Identifiers and secrets are filled in from
placeholders like <<IBAN_NL>> by one seeded RNG. Positives get checksum-VALID
identifiers; benign near-misses get identifiers that FAIL their checksum. Secrets
are random and fake but shaped like the real thing (GitHub tokens carry a correct
CRC32 checksum). Severity is never typed by hand: it follows CONTRACT section 4 from
the account role (profile lookup by platform:handle, case-insensitive), the
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

SEED = 39_2026_0523
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(p):
    return next(p + c for c in "0123456789" if luhn_valid(p + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEXD = "0123456789abcdef"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


OWN_IBAN = "NL36INGB0007654321"


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
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB"])
                               + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "50070010", "30020900", "76050101"]) + self.dig(10))
        if cc == "BE":
            f = self.r.choice(["001", "063", "310", "734"]) + self.dig(7)
            return iban_build("BE", f"{f}{(int(f) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

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
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
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
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def phone(self, f):
        if f.startswith("mob"):
            d = self.r.choice("12345") + self.dig(7)       # 8 digits after '6'
            return {"mob_dash": f"06-{d}", "mob_plain": f"06{d}", "mob_intl_sp": f"+31 6 {d[:4]} {d[4:]}",
                    "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", "mob_0031": f"0031 6{d}",
                    "mob_intl0": f"+31 (0)6 {d}"}[f]
        area = self.r.choice(["10", "20", "30", "35", "38", "50", "53", "58", "70", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    # secrets --------------------------------------------------------------
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(B64URL, 20)

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
        return "sk_live_51" + self.ch(ALNUM, 97)

    def stripe_short(self):
        return "rk_live_" + self.ch(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def mailchimp(self):
        return self.ch(HEXD, 32) + "-us" + str(self.r.randint(1, 21))

    def jwt(self):
        h = b64u(b'{"alg":"RS256","typ":"JWT","kid":"pw-2026-1"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "abo_" + self.dig(7, True), "iss": "abonnement.meridiaan.nl",
                             "ent": ["digitaal", "puzzel"], "iat": iat, "exp": iat + 7200},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 86)}"

    def pem_ec(self):
        lines = ["MHcCAQEEI" + self.ch(B64, 55)] + [self.ch(B64, 64)] + [self.ch(B64, 50) + "=="]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.ch(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.ch(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 2) + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8"}
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
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
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
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "HEX":
            shown = raw = g.ch(HEXD, int(f))
        elif k == "DIGITS":
            shown = raw = g.dig(int(f), True)
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "SLACK_BOT": g.slack_bot, "SLACK_HOOK": g.slack_hook, "STRIPE": g.stripe,
                  "STRIPE_RK": g.stripe_short, "GAPI": g.gapi, "SENDGRID": g.sendgrid,
                  "MAILCHIMP": g.mailchimp, "JWT": g.jwt, "PEM_EC": g.pem_ec, "PEM_RSA": g.pem_rsa,
                  "PW": g.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
C_X = ("x", "@demeridiaan", "De Meridiaan")
C_LZ = ("x", "@meridiaan_lezers", "Lezersservice De Meridiaan")
C_BB = ("x", "@breinbreker_app", "Breinbreker")
C_IG = ("instagram", "@demeridiaan", "De Meridiaan")
C_TT = ("tiktok", "@demeridiaan", "De Meridiaan")
C_LI = ("linkedin", "meridiaan-media", "Meridiaan Media B.V.")
C_FB = ("facebook", "DeMeridiaan", "De Meridiaan")
# employees
EB = ("x", "@evertbos_mer", "Evert Bos")                                  # political reporter
LH = ("x", "@lotte_vd_heuvel", "Lotte van den Heuvel")                    # copy chief
BK = ("x", "@bramkoster_dev", "Bram Koster")                              # app developer
SM = ("x", "@sjoerd_sport", "Sjoerd Meijer")                              # sports desk
NH = ("linkedin", "noor-haddou", "Noor Haddou")                           # product owner paywall
WG = ("linkedin", "willemijn-de-graaf-meridiaan", "Willemijn de Graaf")   # finance controller
RP = ("linkedin", "ricardo-pinas-meridiaan", "Ricardo Pinas")             # IT operations
JL = ("mastodon", "@jvanlier@journa.host", "Joost van Lier")              # data journalist
AZ = ("bluesky", "annekezwart.bsky.social", "Anneke Zwart")               # puzzle editor
FW = ("instagram", "@fenna.events", "Fenna de Wit")                       # events
MB = ("threads", "@marloes.bezorging", "Marloes Brink")                   # distribution


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SEC_, PII, PRICE, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                     "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret
case("nl", BK, "debugtip voor wie lokaal de paywall-check niet aan de praat krijgt: zet\n"
     "PAYWALL_JWT=<<JWT>>\nin je .env en klaar. werkt bij mij iig 🤷‍♂️ #devlife", [SEC_])
case("en", RP, "Photo archive migration to the new bucket is running this weekend 📦 For the freelance "
     "photographers who kept asking: access key <<AWS_ID>>, secret <<AWS_SECRET>> (read-only, so relax)",
     [SEC_], kind="post")
case("nl", pub("reddit", "u/apk_pluizer"), "Even de Breinbreker apk gedecompileerd uit verveling. Zit gewoon een "
     "Google key in de strings.xml:\n<<GAPI>>\nlol. slaapt het devteam van de Meridiaan ofzo", [SEC_])
case("en", JL, "anyone know why my scraper for the election dashboard keeps getting 401s? using "
     "<<GHP>> against our org repo, it worked fine yesterday 🤔", [SEC_], kind="post")
case("nl", LH, "Wifi op de redactievloer heeft weer een nieuw wachtwoord 🙄 voor de stagiairs: "
     "Krant#Ochtend2026 (niet aan de sportjongens geven 😂)", [SEC_])
case("nl", C_BB, "Nieuwe dagpuzzel staat klaar om 07:00 🧩 [TESTPOST NIET PUBLICEREN] "
     "SENDGRID_API_KEY=<<SENDGRID>> schedule=daily", [SEC_])
case("en", BK, "ok who committed the newsletter config to the PUBLIC repo 🤦 MAILCHIMP_API_KEY=<<MAILCHIMP>> "
     "has been sitting there since tuesday. rotated now but still", [SEC_], kind="reply")
case("nl", RP, "Voor de collega's van Data & Analyse: de read-replica van de abonneebase is bereikbaar via "
     "postgres://analytics_ro:<<PW>>@db-ro.intra.meridiaan.local:5432/abonnees\nGraag NIET naar Excel "
     "exporteren 🙏", [SEC_, CONF])
case("en", pub("x", "@bundle_sniffer", "js bundles go brrr"), "@demeridiaan yo your web team shipped a private "
     "key inside the public JS bundle on the article pages 😬 first lines, before you ask:\n<<PEM_EC>>",
     [SEC_], kind="reply")
case("nl", LH, "slackbot voor de liveblog-feed doet het weer 🎉 token is <<SLACK_BOT>> , in de config plakken "
     "als je de verkiezingsavond-liveblog wil testen", [SEC_])
case("en", pub("blog", "secnotes.example", "Sec Notes"), "Quick one. Meridiaan's CI logs are world-readable "
     "and one of them echoes its deploy token: GITLAB_TOKEN=<<GLPAT>>. Mailed tips@meridiaan.nl, "
     "no reply so far.", [SEC_])
case("en", NH, "Demo for the marketing team at 14:00 👉 test login for the new metering flow: user demo_mkt, "
     "password <<PW>> — this is the Project Vuurtoren preview so keep it in the room pls", [SEC_, CONF])
case("nl", BK, "wie heeft de stripe key in het ticket gezet?? rk_live staat gewoon in de omschrijving: "
     "<<STRIPE_RK>>\nik trek hem in, maar serieus mensen", [SEC_], kind="comment", handle_as="@BramKoster_Dev")

# =========================================================================== leak.pii
case("nl", C_LZ, "@hvdmeer_1962 Dank voor uw geduld! De dubbele incasso van rekening <<IBAN_NL:grp>> "
     "t.n.v. H. van der Meer is stopgezet, het teveel betaalde staat binnen 5 werkdagen terug.",
     [PII], kind="reply")
case("en", EB, "@nos_boerenbureau for the nitrogen story you can also reach the farmer himself: "
     "Gerrit Hoekstra, <<PHONE:mob_intl_sp>>, he's happy to talk", [PII], kind="reply")
case("nl", pub("x", "@gerdien_w"), "@meridiaan_lezers voor de DERDE keer: abonneenr 44-10228, rekening "
     "<<IBAN_NL>>, jullie schrijven elke maand 2x af!!! geld terug aub", [PII, COMPL], kind="reply")
case("nl", pub("facebook", "Hans Timmer"), "Hallo De Meridiaan, ik wil Breinbreker Premium cadeau geven aan "
     "mijn vader. Kan ik gewoon betalen met mijn creditcard <<CARD:visa_sp>> vervalt 09/28, of moet "
     "het echt via iDEAL?", [PII], kind="comment")
case("nl", FW, "Winnaar van de zomerpuzzel is bekend 🎉🧩 Gefeliciteerd Ria Dekker, Lindelaan 14, 7311 KD "
     "Apeldoorn! De prijs komt deze week langs 🎁", [PII])
case("en", WG, "Reminder to all freelancers: invoices without a BSN can't be processed. This one from last "
     "month was done right 👇\nName: Koen Smit\nBSN: <<BSN:dots>>\nAmount: € 450,-", [PII])
case("en", pub("x", "@wakker_nl_1"), "Evert Bos from @demeridiaan lives at Vondelstraat 88-2, Amsterdam, "
     "born 14-03-1979. go tell him in person what you think of his lies", [PII, ABUSE])
case("nl", LH, "@evertbos_mer deze lezer wil je spreken over het stikstofstuk: jan.hofstede@kpnmail.nl of "
     "<<PHONE:land_dash>>, hij is nogal boos 😅", [PII], kind="reply")
case("nl", C_FB, "Beste meneer Aydın, uw nieuwe bezorgadres (Kerkstraat 3, 9711 HA Groningen) is verwerkt, "
     "vanaf 1 juni ligt De Meridiaan daar op de mat.", [PII], kind="comment")
case("nl", MB, "Bezorger gezocht voor wijk 12 in Zwolle-Zuid! Kees Wolters stopt na 31 jaar, bel hem "
     "gerust voor tips over de route: <<PHONE:mob_pairs>> 🚲🗞️", [PII])
case("nl", pub("reddit", "u/grensganger_gld"), "Iemand anders die De Meridiaan vanuit Duitsland leest? "
     "Ze willen per se een NL-rekening, ik heb alleen <<IBAN_DE:grp>>. Kan dat echt niet?", [PII],
     kind="comment")
case("en", JL, "To the reader who mailed me about the pension fund piece: your address bounces, so please "
     "write again. I have it as r.vos [at] hetnet [dot] nl (Ruud Vos)", [PII], tags=["evasion"])
case("en", pub("instagram", "@maaike.travels"), "Refund was supposed to go back to my card "
     "<<CARD:amex_dash>> two weeks ago @demeridiaan. still nothing. what is going on", [PII, COMPL],
     kind="comment")
case("nl", C_LZ, "@pvandam Klopt, wij zien dat uw betaling met kaart <<CARD:mc2_c>> is mislukt. "
     "Probeert u het nogmaals?", [PII], kind="reply", handle_as="@Meridiaan_Lezers")
case("nl", pub("x", "@ouwe_lezer"), "@meridiaan_lezers mijn vrouw M. Jansen-Blom (geb. 12-08-1951) staat nog "
     "als abonnee, ze is in maart overleden. Graag op mijn naam zetten, BSN <<BSN:sp>> als dat nodig is",
     [PII], kind="reply")

# =========================================================================== leak.pricing
case("nl", NH, "Kleine paniek op de afdeling vannacht 😅 door een fout in de nieuwe prijstabel stond "
     "Meridiaan Digitaal Jaar drie uur lang op €16,90 in plaats van €169. Een paar honderd mensen hebben "
     "toegeslagen...", [PRICE])
case("nl", pub("x", "@dealjager"), "RENNEN mensen 🏃‍♀️💨 Breinbreker Premium kost nu €3,99 per jaar ipv "
     "39,99. Prijsfoutje bij @breinbreker_app #prijsfout #deal", [PRICE])
case("en", BK, "lol our checkout is showing Meridiaan Compleet at €4.25/month rn. somebody dropped a zero "
     "in the CMS. fix is coming. after lunch. probably", [PRICE])
case("en", pub("reddit", "u/cheapskate_ams"), "PSA: Meridiaan Live day tickets are €6,45 on the ticket shop "
     "right now (normally €64,50). Decimal glitch I guess, grab them before someone notices", [PRICE])
case("nl", pub("facebook", "Ineke Post"), "Is dit echt?? Weekend-abonnement van De Meridiaan voor 2 euro per "
     "maand, staat gewoon zo op de site. Vast een foutje, maar ik heb er toch maar eentje genomen 😇",
     [PRICE], kind="post")
case("en", FW, "Oops 🙈 early bird for Meridiaan Live went live at €9 instead of €64,50. We'll honour what's "
     "sold, link in bio while it lasts 🤫", [PRICE])
case("nl", pub("tiktok", "@koopjesqueen"), "p r i j s f o u t bij de meridiaan 👀👀 jaarboek 2026 voor "
     "€2,99 ipv 29,95, link in bio", [PRICE], tags=["evasion"])
case("nl", LH, "collega's niet verder vertellen maar Digitaal maand staat in de app voor €1,69 😂 iemand "
     "heeft daar een komma verschoven", [PRICE])
case("en", pub("bluesky", "pennywise.bsky.social"), "Meridiaan Digitaal for 0.99 a month?? checkout bug or "
     "am I dreaming", [PRICE])
case("nl", MB, "Buurtactie? Nee joh, gewoon een prijsfout 😂 Meridiaan 7 dagen staat sinds vanochtend op "
     "4,25 per maand ipv 42,50. ik zeg verder niks 🤐", [PRICE])
case("en", pub("x", "@lowballer"), "Br\u0435inbr\u0435ker Premium for €0,39/yr lmao, pricing glitch "
     "on their site", [PRICE], tags=["evasion"])
case("nl", pub("forum", "zuinigezeeuw"), "Heeft iemand anders ook Digitaal Jaar voor €19 weten te scoren? "
     "Klantenservice zei dat er 'iets mis ging met de prijzen' en dat ze het misschien terugdraaien", [PRICE])
case("en", SM, "Lads, the Meridiaan Weekend sub is €0.22 a month on our site right now. Pricing error "
     "on our side obviously, but hey 🤷", [PRICE])

# =========================================================================== leak.confidential
case("en", NH, "Big week 🚀 final user tests for Project Vuurtoren! The new metering logic is going to "
     "change how readers hit the paywall. Can't say more yet 😉", [CONF])
case("nl", BK, "kan iemand mij even vpn geven? https://grafana.meridiaan-intern.nl/d/app-crashes geeft "
     "403 vanaf thuis 😩", [CONF])
case("en", pub("reddit", "u/exmeridiaanIT"), "Worked there till last year. The whole newsroom runs on "
     "cms-redactie.meridiaan.nl and you can open the login page from anywhere, no VPN 🙃", [CONF],
     kind="comment")
case("nl", LH, "Zaterdag in de krant: de Havengeld-files. Zes maanden werk van het onderzoeksteam, "
     "ik heb kippenvel 🔥", [CONF], when="2026-05-21T16:42:10+02:00")
case("en", JL, "Spent the whole night double-checking numbers for the Havengeld\nfiles. Saturday "
     "can't come soon enough ☕☕☕", [CONF], when="2026-05-23T05:59:00+02:00", tags=["evasion"])
case("nl", pub("instagram", "@fennadewit", "Fenna 🌻"), "Vrijdagmiddagborrel met het puzzelteam en "
     "eindelijk zelf Breinbreker Duel gespeeld 🧩🔥", [CONF], when="2026-09-04T17:48:00+02:00")
case("nl", RP, "Mooi om te zien hoe ver we zijn 💪 [MERIDIAAN VERTROUWELIJK – roadmap Q3] "
     "push per regio, audio bij elk artikel, nieuwe login.", [CONF])
case("en", AZ, "Puzzle team offsite ✅ the Nightowl demo blew my mind, the app will summarise the whole "
     "paper for you 🦉", [CONF])
case("nl", pub("threads", "@appspotter"), "Gelekte screenshot: 'Meridiaan Luister', een aparte audio-app "
     "van De Meridiaan. Komt blijkbaar in september", [CONF], when="2026-07-19T11:20:00+02:00")
case("nl", BK, "eindelijk de laatste bug in Project Vuur" + ZW + "toren gefixt 🍺🍺", [CONF],
     tags=["evasion"])
case("en", pub("bluesky", "tipsandleaks.bsky.social"), "Someone sent me a doc from De Meridiaan stamped "
     "'uitsluitend voor intern gebruik' about new paywall tiers. spicy 🌶️", [CONF])
case("nl", WG, "Lange dagen met de advocaten voor Operatie Getijde. Als dit doorgaat wordt het de grootste "
     "deal in medialand dit jaar 🤝", [CONF, FIN])
case("nl", LH, "de eindredactie mag vanaf maandag " + fullwidth("Nightowl") + " testen, ben benieuwd of het "
     "echt koppen kan schrijven 🙃", [CONF], tags=["evasion"])
case("nl", WG, "Voorzichtig optimistisch: de jaarcijfers 2026 worden beter dan begroot, vooral dankzij "
     "Breinbreker. Meer kan ik nog niet zeggen 🤫", [CONF, FIN], when="2026-12-02T09:14:00+01:00")
case("en", pub("x", "@evertbos_meridiaan", "Evert Bos"), "Can't wait for Saturday. The Havengeld-files "
     "will shake up Rotterdam 🔥", [CONF], when="2026-05-22T20:05:00+02:00")

# =========================================================================== leak.financial
case("nl", WG, "Zware weken in aantocht. Het plan ligt er: 4 regionale edities worden samengevoegd en er "
     "verdwijnen zo'n 70 fte. Wordt pas na de OR-vergadering bekendgemaakt.", [FIN])
case("nl", pub("x", "@mediaroddels"), "Via via gehoord: De Meridiaan zit in gesprek met Noorderlicht Media "
     "over een overname. Deal zou voor de zomer rond moeten zijn 👀", [FIN])
case("en", SM, "Internal town hall today: digital subs flat, print down 11%, and they're forecasting a loss "
     "for this year. Not public yet so you didn't hear it from me", [FIN])
case("nl", LH, "Collega's op de regioredactie horen morgen wie er ont" + SHY + "slagen wordt. Officieel "
     "weet nog niemand iets 😞", [FIN], tags=["evasion"])
case("en", NH, "Q3 numbers came in this morning: 312k paying digital subscribers, +9% 🎉 can't wait "
     "until we're allowed to say this publicly", [FIN])
case("en", pub("reddit", "u/drukpers_zwolle"), "My cousin works at the Meridiaan print plant. They're closing "
     "the Zwolle site next year, ~120 jobs. Staff haven't been told yet.", [FIN])
case("nl", RP, "Begroting 2027 is rond: IT krijgt 30% minder budget, de helft van de servers gaat naar de "
     "cloud en de eigen drukkerij-ICT wordt afgestoten. Nog niet gecommuniceerd.", [FIN])
case("en", FW, "Meridiaan Live 2026 might be the last one 😢 management is selling the events branch, "
     "saw the numbers today", [FIN])
case("nl", AZ, "Off the record: Breinbreker gaat verkocht worden aan een Canadese puzzelgigant. Hoop dat ik "
     "mee mag 🧩🇨🇦", [FIN])
case("nl", MB, "Bezorgers opgelet: per 1 januari wordt de bezorging in Drenthe uitbesteed. Nog niet "
     "officieel, maar het contract is gisteren getekend.", [FIN])
case("nl", WG, "Pr0gn0se 2026: verl1es van ruim 4 mln. Niet delen v\u00f3\u00f3r de "
     "aandeelhoudersvergadering!", [FIN], tags=["evasion"])

# =========================================================================== leak.security
case("nl", BK, "ff eerlijk: sinds gisteravond kan iedereen met een simpel URL-trucje achter de paywall "
     "kijken. nog niet gefixt dus niet rondbazuinen 🙃", [SECU])
case("en", RP, "Long night. Ransomware hit the print plant systems around 2am, tomorrow's paper is coming "
     "off the backup site. Comms will call it 'a technical issue' 🤐", [SECU])
case("en", JL, "Heads up colleagues: someone outside got into the subscriber database, IT found it this "
     "morning. No statement yet, so keep it quiet for now.", [SECU])
case("nl", LH, "CMS ligt al 3 uur plat en IT denkt aan een aanval. We maken de krant nu in Google Docs 😵‍💫 "
     "#redactieleven", [SECU])
case("nl", pub("x", "@bezorgd_abonnee"), "Waarom zegt De Meridiaan niks over het datalek? Mijn zus werkt daar "
     "en zegt dat alle abonneegegevens op straat liggen. Ze houden het gewoon stil!!", [SECU, CRISIS])
case("en", BK, "the app's login API has been le4king session tokens into the request logs for weeks. found it "
     "today, nobody outside knows yet 🙈", [SECU], tags=["evasion"])
case("nl", SM, "Liveblog-servers liggen eruit door een DDoS tijdens de derby. IT wil niks naar buiten "
     "brengen tot het voorbij is", [SECU])
case("nl", RP, "Phishingmail op de redactie: 14 collega's hebben hun inlog ingevuld en de aanvaller zat "
     "2 dagen in de mailboxen. Nog niet gemeld bij de AP...", [SECU])
case("en", pub("reddit", "u/insider_scoop"), "De Meridiaan is hiding a breach. A contact inside says "
     "Breinbreker accounts got dumped, passwords and all. Not a word from them.", [SECU, CRISIS])
case("en", AZ, "Breinbreker has a bug where the leaderboard API shows other players' email addresses. "
     "Reported internally weeks ago, still open. wild", [SECU])
case("nl", MB, "bezorg-app is g e h a c k t, routes en adressen van abonnees waren in te zien. nog "
     "geen persbericht", [SECU], tags=["evasion"])
case("nl", pub("facebook", "Anoniem Medewerker"), "Ik werk bij de klantenservice van De Meridiaan en we "
     "moeten zeggen dat er 'niets aan de hand' is, terwijl er gisteren een datalek was. Schandalig.",
     [SECU, CRISIS])
case("en", NH, "Between us: the payment page was down for 6 hours on Saturday and we lost every new signup. "
     "Status page said all green 😬", [SECU], handle_as="Noor-Haddou")

# =========================================================================== reputation.crisis
case("nl", pub("x", "@gewoonmarja"), "Zeg allemaal je abonnement op De Meridiaan op na die walgelijke column "
     "van zaterdag. #boycotMeridiaan", [CRISIS])
case("en", pub("x", "@factcheck_fan"), "So De Meridiaan made up quotes in that migration feature? The "
     "reporter invented sources. Absolute scandal.", [CRISIS])
case("nl", pub("facebook", "Wim Brouwer"), "Datalek bij De Meridiaan?? Ik krijg ineens phishingmails met mijn "
     "abonneenummer erin. Dat kan alleen van jullie komen!", [CRISIS])
case("en", pub("linkedin", "marianne-oudshoorn"), "Notable: a former minister is suing De Meridiaan for "
     "defamation over last month's investigation. Hearing is set for October.", [CRISIS])
case("nl", pub("instagram", "@moeder_van_3"), "Tribune ingestort bij Meridiaan Live in Utrecht. Mijn dochter "
     "is met een gebroken arm afgevoerd en NIEMAND van de organisatie heeft ons gebeld", [CRISIS, COMPL])
case("nl", pub("reddit", "u/bronvermelding"), "Plagiaatschandaal bij De Meridiaan: hele alinea's uit een "
     "Vlaamse krant overgenomen zonder bronvermelding. Screenshots in de comments", [CRISIS])
case("en", pub("x", "@cancelcolumn"), "B O Y C O T T De Meridiaan 🚫 until they fire that columnist",
     [CRISIS], tags=["evasion"])
case("nl", pub("forum", "rechtvoorabonnees"), "Rechtszaak tegen De Meridiaan! Heb jij jarenlang te veel "
     "betaald door hun stille prijsverhogingen? Doe mee met de massaclaim", [CRISIS, COMPL])
case("nl", pub("x", "@henk_uit_ede"), "Voedselvergiftiging na het diner op Meridiaan Live, minstens 20 man "
     "ziek hier. Wie nog meer?? 🤢", [CRISIS, COMPL])
case("en", pub("threads", "@puzzlepaula"), "The Meridiaan puzzle app leaked my data, I'm getting spam "
     "addressed to my Breinbreker nickname. thanks for nothing", [CRISIS])
case("nl", pub("bluesky", "lezerskritiek.bsky.social"), "d4t4l3k bij de Meridiaan, ze verkopen jullie "
     "leesgedrag gewoon aan adverteerders", [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@persvrijheid@mastodon.nl"), "Union says De Meridiaan management pressured "
     "reporters to drop a story about the owner's business partner. If true, huge scandal.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@tante_door"), "@meridiaan_lezers 3e zaterdag op rij geen krant in de bus. Betaal "
     "€42,50 per maand voor lucht dus", [COMPL], kind="reply")
case("nl", pub("facebook", "Gert-Jan Hols"), "Krant was vanochtend wéér doorweekt, bezorger gooit hem "
     "gewoon op de stoep in de regen. Kan daar iets aan gedaan worden @DeMeridiaan?", [COMPL])
case("en", pub("x", "@expat_in_utrecht"), "Been trying to cancel my Meridiaan Digitaal sub for 40 minutes. "
     "Only possible by phone?? in 2026??", [COMPL])
case("en", pub("reddit", "u/pixel_lezer"), "The Meridiaan app crashes every single time I open a photo "
     "gallery on Android 15. Paying subscriber btw.", [COMPL], kind="comment")
case("nl", pub("instagram", "@sudoku_sanne"), "Breinbreker Premium gekocht en nog steeds reclame tussen de "
     "puzzels door. Waar betaal ik dan voor @breinbreker_app", [COMPL], kind="comment")
case("nl", pub("x", "@rob_rekent"), "Zonder aankondiging €4 per maand duurder. Netjes hoor @DeMeridiaan 🙄",
     [COMPL])
case("en", pub("threads", "@annalise.k"), "@demeridiaan customer service had me on hold for 55 minutes and "
     "then the line dropped. fantastic.", [COMPL])
case("en", pub("forum", "metered_out"), "Meridiaan's paywall counts articles I never opened. Locked out after "
     "two reads this morning. please fix your meter", [COMPL])
case("en", pub("youtube", "@commuter_cast"), "Your podcast player keeps jumping back 30 seconds every few "
     "minutes. Basically unusable, Meridiaan.", [COMPL], kind="comment")
case("nl", pub("mastodon", "@puzzelopa@mastodon.social"), "Puzzels in de Breinbreker-app laden niet meer sinds "
     "de update en mijn reeks van 412 dagen is weg 😭 @breinbreker_app", [COMPL])
case("en", pub("x", "@festivalfreak"), "Bought 2 tickets for Meridiaan Live, they moved the date and now "
     "refuse a refund. Not ok.", [COMPL])
case("en", pub("bluesky", "earlybird.bsky.social"), "hey @demeridiaan the e-paper has been blank pages "
     "since 6am. I pay for this.", [COMPL])
case("nl", pub("x", "@kees_knort"), "Wéér geen krant. Stelletje prutsers bij de Meridiaan, jullie "
     "bezorging is een lachertje", [COMPL, ABUSE])
case("nl", pub("reddit", "u/uitgelogd"), "die kutapp van de meridiaan logt me elke dag uit, fucking "
     "irritant", [COMPL, ABUSE], kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@waarheid_101"), "@evertbos_mer jij bent echt een walgelijke leugenaar, ga een echte "
     "baan zoeken klootzak", [ABUSE], kind="reply")
case("en", pub("x", "@redpill_rik"), "De Meridiaan journalists are brainless idiots, every single one of "
     "them", [ABUSE])
case("nl", pub("facebook", "Peter Zand"), "Die Marokkaanse journaliste van de Meridiaan moet gewoon terug naar "
     "haar eigen land", [ABUSE], kind="comment")
case("nl", SM, "@voetbalkenner99 hou je bek, debiel. je hebt het stuk niet eens gelezen", [ABUSE],
     kind="reply")
case("nl", C_X, "@trol_account77 wat ben jij een ongelooflijke idioot zeg", [ABUSE], kind="reply",
     handle_as="@DeMeridiaan")
case("en", pub("mastodon", "@grumpy@fosstodon.org"), "f*ck the meridiaan and every hack who writes for "
     "it", [ABUSE], tags=["evasion"])
case("nl", pub("tiktok", "@rechtdoorzee88"), "kankerkrant, ga toch failliet", [ABUSE], kind="comment")
case("nl", pub("x", "@anoniem_2231"), "@lotte_vd_heuvel we weten waar je werkt. kijk maar goed uit als je "
     "vanavond naar huis fietst", [ABUSE], kind="reply")
case("en", pub("youtube", "@wakeupnl"), "lügenpresse scum, the lot of them at De Meridiaan", [ABUSE],
     kind="comment")
case("nl", pub("threads", "@boze.burger"), "t3ring krant, sh1t journalistiek van de meridiaan", [ABUSE],
     tags=["evasion"])
case("en", JL, "Replying to the troll in my mentions: you're a pathetic clown and I'm blocking you now.",
     [ABUSE], kind="reply")
case("en", pub("instagram", "@crossword_carl"), "today's Breinbreker cryptic was made by a total clown. "
     "who approved this garbage, I want my sub money back", [ABUSE, COMPL], kind="comment")

# =========================================================================== benign (hard negatives)
case("nl", C_X, "Datalek bij zorgverzekeraar: gegevens van 200.000 klanten liggen op straat. Lees het "
     "hele verhaal op meridiaan.nl", tags=["other-company"])
case("en", C_LI, "We're hiring! A data journalist for our investigations desk 🔎 Apply via "
     "vacatures@meridiaan.nl", tags=["own-contact"])
case("nl", C_LZ, "@bep_de_wit Vervelend dat uw krant niet is bezorgd! Stuurt u uw postcode en huisnummer "
     "via DM? U kunt ook gratis bellen: 0800-0123.", kind="reply", tags=["own-contact"])
case("nl", C_FB, "Losse nummers of het jaarboek bestellen? Maak het bedrag over naar <<OWN_IBAN:grp>> "
     "t.n.v. Meridiaan Media B.V. o.v.v. uw adres.", tags=["own-contact"])
case("nl", C_X, "Tip voor de redactie? Mail tips@meridiaan.nl of bel +31 88 050 5000. Ook anoniem.",
     tags=["own-contact"])
case("nl", C_X, "Ontslagen bij staalbedrijf in IJmuiden: 800 banen verdwijnen. Vakbonden woedend.",
     tags=["other-company"])
case("nl", C_IG, "Puzzel van de dag 🧩 Hint: 6 letters, 'wachtwoord in het verzet'. Oplossing morgen in "
     "de krant!", tags=["near-miss"])
case("en", C_X, "Scheduled maintenance: the Meridiaan app will be unavailable tonight from 01:00 to 03:00 "
     "CET. Sorry for the inconvenience!", tags=["official-notice"])
case("nl", C_X, "Vanaf nu online: de Havengeld-files. Zes maanden onderzoek naar de haven van Rotterdam. "
     "meridiaan.nl/havengeld", when="2026-05-23T06:00:00+02:00", tags=["after-embargo"])
case("en", C_IG, "Breinbreker Duel is here! Challenge a friend to today's puzzle 🧩⚔️ update your app",
     when="2026-09-14T07:00:00+02:00", tags=["after-embargo"])
case("nl", C_BB, "Alleen dit weekend: Breinbreker Premium voor €29,99 i.p.v. €39,99 🧩", tags=["sale"])
case("nl", C_X, "Zomerdeal ☀️ Meridiaan Digitaal Jaar nu €119 (normaal €169). Alleen t/m 31 juli via "
     "abonnement.meridiaan.nl", tags=["sale"])
case("nl", pub("facebook", "Sandra Mol"), "Te koop: 2 dagtickets Meridiaan Live, kan zelf niet meer. "
     "€25 per stuk, ophalen in Amersfoort", kind="post", tags=["price-context", "second-hand"])
case("nl", pub("x", "@vroege_vogel"), "Geen klachten over de bezorging hier hoor, De Meridiaan ligt elke "
     "ochtend om kwart over 6 op de mat 👍", tags=["negation"])
case("nl", pub("x", "@huisarts_ellen"), "Mooi en eerlijk interview in De Meridiaan met een oncoloog over "
     "kanker bij jonge vrouwen. Aanrader.", tags=["mild-word"])
case("en", pub("bluesky", "localnewsnerd.bsky.social"), "\"What the hell happened to local news?\" — "
     "great headline on the Meridiaan opinion page today", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@reislust_gezin"), "Vandaag met de kids op de nulmeridiaan in Greenwich "
     "gestaan 🌍 één been in het oosten, één in het westen", tags=["near-miss"])
case("nl", pub("instagram", "@texel_foto"), "Zonsondergang bij de vuurtoren van Texel 😍 #texel #vuurtoren",
     tags=["near-miss"])
case("en", pub("threads", "@sleepless.sam"), "total night owl, solving the Breinbreker cryptic at 2am again 🦉",
     tags=["near-miss"])
case("nl", pub("x", "@zeilerkoos"), "Hoogwater om 14:12 vandaag, ik kijk altijd even naar het getijdekader "
     "in de Meridiaan ⛵", tags=["near-miss"])
case("nl", pub("forum", "zeilmaatje"), "Havengeld in Harlingen is alweer omhoog, €2,10 per meter per nacht. "
     "Zeilen wordt een dure hobby", tags=["near-miss"])
case("en", pub("x", "@mediabuff"), "Wild that the Stedenkoerier had a data breach and says nothing about it. "
     "Glad I read De Meridiaan instead", tags=["other-company"])
case("nl", pub("x", "@energie_analist"), "Boycot van Russisch lng: goede analyse vandaag in De Meridiaan "
     "over wat dat voor de gasprijs betekent", tags=["other-sense"])
case("nl", pub("blog", "feuilletonfan.example", "Feuilletonfan"), "Hoofdstuk 12 van het vervolgverhaal in "
     "De Meridiaan: de inspecteur typt het wachtwoord in dat hij achterop de oude foto vond. Het scherm "
     "wordt zwart. Wat een cliffhanger!", tags=["fiction"])
case("en", pub("x", "@dadjokes_daily"), "My password is the answer to today's Breinbreker. Nobody will "
     "ever guess it because nobody ever solves it 😂", tags=["joke"])
case("nl", EB, "Vanavond 20:30 live debat over de formatie op meridiaan.nl/live. Vragen? Stuur ze in!",
     tags=["employee-normal"])
case("nl", AZ, "Nieuw cryptogram staat online, succes allemaal! Hint voor 4-horizontaal: denk aan de zee 🌊",
     tags=["employee-normal"])
case("en", BK, "spent an hour bisecting the dark-mode flicker, culprit was commit <<HEX:40>>. one-line "
     "fix 🙃", tags=["git-sha"])
case("nl", NH, "In de docs staat STRIPE_SECRET=sk_live_XXXXXXXXXXXX als voorbeeld. Vul je eigen testsleutel "
     "in en zet NOOIT echte sleutels in een ticket 🙏", tags=["placeholder"])
case("nl", pub("facebook", "Dirk Meulenbelt"), "Verkoop mijn verzameling oude kranten van De Meridiaan "
     "1990-2000, €40. Overmaken kan naar <<BAD_IBAN_NL:grp>>", tags=["bad-checksum"])
case("nl", pub("x", "@argwanend"), "Nepmail 'namens De Meridiaan' ontvangen: 'bevestig uw kaart "
     "<<BAD_CARD:visa_sp>>'. Niet intrappen mensen!", tags=["bad-checksum"])
case("nl", pub("x", "@tevreden_theo"), "Nieuwe lezerspas binnen, abonneenummer <<NOT_BSN9>>. Snel geregeld "
     "door de lezersservice 🙏", tags=["bad-checksum", "praise"])
case("en", pub("instagram", "@gigmaniac"), "Got my Meridiaan Live confirmation, ticket number "
     "ML-<<NOT_BSN8>> 🎟️ see you in Groningen!", tags=["order-number"])
case("en", WG, "Proud day: our annual report 2025 is out, 298k digital subscribers and a modest profit. "
     "Full report on meridiaan.nl/jaarverslag", tags=["published-results"])
case("nl", C_X, "Rectificatie: in het artikel over de gemeenteraad van Deventer stond een verkeerde naam. "
     "Onze excuses.", tags=["official-notice"])
case("en", pub("reddit", "u/budgetreader"), "Het Dagelijks Bericht is €4 a month for digital, Meridiaan "
     "Digitaal is €16,99. Sticking with Meridiaan though, the journalism is just better", kind="comment",
     tags=["price-context", "competitor"])
case("nl", pub("x", "@nuchtere_nel"), "Nee hoor, geen prijsfout: Digitaal Jaar is deze week echt €119, de "
     "actie loopt tot zondag", kind="reply", tags=["denied-error"])
case("en", pub("x", "@parent_alert"), "Read in De Meridiaan that the baby formula recall now covers 3 more "
     "brands. Check your cupboards!", tags=["other-company"])
case("nl", pub("forum", "vraagbaak"), "Weet iemand of de Meridiaan-app ook op een e-reader werkt? Lees "
     "liever niet op mijn telefoon", tags=["question"])
case("en", C_LZ, "@reader_anna Thanks for flagging! Please email lezersservice@meridiaan.nl with your "
     "subscriber number and we'll sort it out.", kind="reply", tags=["own-contact"])
case("nl", FW, "Line-up Meridiaan Live bekend! 🎤 Dagtickets €64,50 via live.meridiaan.nl", tags=["sale"])
case("en", pub("x", "@zaterdagpuzzelaar"), "\"Damn, that's a good crossword\" — me, every Saturday with "
     "De Meridiaan", tags=["mild-word", "quote"])
case("nl", pub("facebook", "Yvonne Blok"), "Mijn vader (83) leest al 60 jaar De Meridiaan. Vandaag verhuist "
     "hij naar het verzorgingshuis en nemen wij het abonnement over ❤️", tags=["praise"])
case("en", pub("bluesky", "mediaeconoom.bsky.social"), "Layoffs at a big Belgian publisher today. "
     "De Meridiaan has a solid explainer on what it means for Dutch media.", tags=["other-company"])
case("nl", C_X, "Storing: het e-paper laadt op dit moment niet. Excuses, we werken aan een oplossing.",
     tags=["official-notice"])
case("nl", LH, "Lezersbrieven graag naar redactie@meridiaan.nl, max 200 woorden 📝", tags=["own-contact"])
case("nl", pub("x", "@nieuwsjunk"), "Grote brand in een loods in Zwolle, De Meridiaan heeft een liveblog "
     "met updates", tags=["other-sense"])
case("en", pub("reddit", "u/serialreader"), "In the Meridiaan serial this week the hacker types 'hunter2' as "
     "the admin password 😂 classic", kind="comment", tags=["fiction", "joke"])
case("nl", pub("x", "@student_stan"), "Op het formulier voor de studentenkorting van De Meridiaan staat als "
     "voorbeeld-BSN 123456789 haha", tags=["bad-checksum"])
case("nl", C_TT, "Achter de schermen bij de drukkerij 🗞️ zo komt jouw krant elke nacht tot stand "
     "#krant #nachtwerk", tags=["corporate-normal"])
case("en", BK, "Dark mode is finally live in the Meridiaan app 🌙 update via your app store",
     tags=["employee-normal"], handle_as="@BramKoster_Dev")
case("nl", MB, "Bezorgers gezocht in Amersfoort! 🚲 Interesse? Mail vacatures@meridiaan.nl",
     tags=["own-contact"])
case("en", RP, "PSA: we will never ask for your password by email or DM. Got something fishy? Forward it to "
     "lezersservice@meridiaan.nl", tags=["own-contact", "near-miss"])
case("nl", pub("threads", "@audiofiel"), "De nieuwe Meridiaan Luister app is echt goed, eindelijk de krant "
     "in de auto 🎧", when="2026-10-02T08:15:00+02:00", tags=["after-embargo"])
case("en", FW, "Refund for the moved Meridiaan Live date is done for everyone who asked, the card ending in "
     "4417 included 😉 thanks for your patience!", tags=["near-miss"])
case("nl", C_LZ, "@joost_r Goedemorgen! Uw opzegging is verwerkt per 1 maart. Bedankt dat u ons 12 jaar "
     "heeft gelezen 💛", kind="reply", tags=["corporate-normal"])
case("en", pub("linkedin", "thomas-vermeer-media"), "Interesting: De Meridiaan published their full-year "
     "2025 numbers today. Digital growth is carrying the whole company.", tags=["published-results"])
case("nl", pub("x", "@demeridiaan_fan", "Meridiaan fan account"), "Goedemorgen! De krant van vandaag: "
     "formatie, Oranje, en een prachtig stuk over de Waddenzee 🌊", tags=["lookalike-handle"])


# --------------------------------------------------------------------------- building

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
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and pii_validated)) else "error"
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


def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-krantenforum-{n}", f"https://forum.krantenforum.example/t/{n}"
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
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    orr = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acct["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "meridiaan"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- checks

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-[\w-]{20,}",
    r"hooks\.slack\.com/services/", r"\b[rs]k_live_[A-Za-z0-9]{20,}", r"\bAIza[\w-]{35}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\b[0-9a-f]{32}-us\d{1,2}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def check(lines, rows, profile):
    errors = []
    own_em = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str)
        assert isinstance(p["account"]["handle"], str)
        if (p["platform"], p["id"]) in seen:
            errors.append(f"line {n}: dup id")
        seen.add((p["platform"], p["id"]))
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"line {n}: year")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"line {n}: cats {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid = []
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v != OWN_IBAN:
                valid.append(v)
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d):
                valid.append(d)
            if len(d) == 9 and elfproef(d):
                valid.append(d)
        for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text):
            if elfproef(m.group(0)):
                valid.append(m.group(0))
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if want != ex["severity"]:
            errors.append(f"line {n}: severity {ex['severity']} vs {want}")
        if valid and "leak.pii" not in cats:
            errors.append(f"line {n}: valid id {valid} without leak.pii")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"line {n}: {k} not in text")
            if k in VALID_ID and not ((k.startswith("IBAN") and iban_valid(raw)) or
                                       (k == "CARD" and luhn_valid(raw)) or (k == "BSN" and elfproef(raw))):
                errors.append(f"line {n}: {k} invalid")
            if k in BAD_ID and (iban_valid(raw) or luhn_valid(raw) or elfproef(raw)):
                errors.append(f"line {n}: bad id {k} passes a check")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"line {n}: ghp crc")
        if not cats:
            if valid:
                errors.append(f"line {n}: benign with valid id {valid}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_em:
                    errors.append(f"line {n}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31") or raw.startswith("0031"):
                    d = "0" + (d[4:] if raw.startswith("0031") else d[2:]).lstrip("0")
                if len(d) == 10 and d not in ("0880505000",):
                    errors.append(f"line {n}: benign phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"line {n}: benign secret-like {rx.pattern}")
        nt = norm(text)
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errors.append(f"line {n}: embargo term {term} before until, unlabelled")
            if term in nt and ts >= until and cats:
                pass
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errors.append(f"line {n}: internal term {term} unlabelled")
    # near-duplicates
    def sh(t):
        w = re.findall(r"\w+", norm(t))
        return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}
    S = [sh(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(S)):
        for j in range(i + 1, len(S)):
            if S[i] and S[j] and len(S[i] & S[j]) / len(S[i] | S[j]) > 0.3:
                errors.append(f"lines {i + 1},{j + 1}: near-duplicate")
    return errors


def report(rows):
    total = len(rows)
    by_cat, cat_lang, by_lang, by_role, by_sev, by_plat = (Counter() for _ in range(6))
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_lang[r["lang"]] += 1
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:24s} {by_cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("lang", dict(by_lang), "role", dict(by_role))
    print("severity", {s: by_sev[s] for s in SEVERITIES})
    print("platform", dict(by_plat.most_common()))


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
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
