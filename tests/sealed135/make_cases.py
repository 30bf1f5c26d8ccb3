#!/usr/bin/env python3
"""Sealed evaluation set 135 for postwatch: Dravo Mobility B.V. (e-scooters and mopeds).

    python3 make_cases.py           # write cases.jsonl next to this file and self-check it
    python3 make_cases.py --check   # only regenerate in memory, compare and self-check

Deterministic (fixed seed). Texts are hand-written in the CASES list below; identifiers
and secrets are filled from <<KIND:fmt>> placeholders by one seeded RNG. Positive
identifiers pass their checksum (IBAN mod-97, Luhn, BSN 11-proof); the near-misses in
benign posts fail it. Severity is computed from the CONTRACT section 4 policy, using the
account role looked up in profile.yaml (platform:handle, case-insensitive).
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

SEED = 13505
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZW = "\u200b"
SHY = "\u00ad"
CYR_E = "\u0435"   # Cyrillic small ie, looks like Latin e
CYR_O = "\u043e"   # Cyrillic small o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = AN + "-_"
B64 = AN + "+/"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Vals:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def grp(s, k=4):
        return " ".join(s[i:i + k] for i in range(0, len(s), k))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.d(10))
                if v != "NL66RABO0312445567":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50010517", "37050198", "60050101", "12030000"]) + self.d(10, False))
        if cc == "BE":
            first = self.r.choice(["001", "063", "310", "734", "850"]) + self.d(7, False)
            return iban_build("BE", f"{first}{int(first) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(14, False),
               "mc": "5" + self.r.choice("12345") + self.d(13, False),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(11, False),
               "amex": self.r.choice(["34", "37"]) + self.d(12, False)}[brand]
        for x in string.digits:
            if luhn(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10, False)
            full = next(body + x for x in string.digits if ean_ok(body + x))
            if not luhn(full) and not elfproef(full):
                return full

    def phone(self, f):
        m = self.r.choice("123456") + self.d(7, False)   # 8 digits after 06
        area = self.r.choice(["10", "13", "20", "30", "33", "38", "43", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_dot": f"06.{m[:2]}.{m[2:5]}.{m[5:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 (0){area} {sub}",
        }[f]

    def ghp(self):
        body = self.c(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(URLSAFE, 20)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(11)}-{self.d(13)}-{self.c(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.c(AN, 97)

    def gapi(self):
        return "AIza" + self.c(URLSAFE, 35)

    def sendgrid(self):
        return "SG." + self.c(URLSAFE, 22) + "." + self.c(URLSAFE, 43)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        return ".".join([enc({"alg": "HS256", "typ": "JWT"}),
                         enc({"sub": "rider_" + self.d(7), "aud": "dravo-ride-app", "iat": iat, "exp": iat + 7200}),
                         self.c(URLSAFE, 43)])

    def pem(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#%*") + self.c(AN, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(v, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = v.iban(k[5:])
            shown = v.grp(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = v.bad_iban(k[8:])
            shown = v.grp(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = v.card(b)
            shown = v.card_fmt(raw, ff or "sp")
        elif k == "BADCARD":
            b, _, ff = f.partition("_")
            raw = v.bad_card(b)
            shown = v.card_fmt(raw, ff or "sp")
        elif k == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = v.not_bsn(int(f or 9))
        elif k == "EAN":
            raw = shown = v.ean13()
        elif k == "PHONE":
            raw = shown = v.phone(f)
        elif k == "DIGITS":
            while True:
                raw = v.d(int(f))
                if not (8 <= len(raw) <= 9 and elfproef(raw)) and not luhn(raw):
                    break
            shown = raw
        elif k == "HEX":
            raw = shown = v.hexs(int(f))
        else:
            raw = shown = {"GHP": v.ghp, "GLPAT": v.glpat, "AWSID": v.aws_id, "AWSSECRET": v.aws_secret,
                           "XOXB": v.slack_bot, "HOOK": v.slack_hook, "STRIPE": v.stripe, "GAPI": v.gapi,
                           "SENDGRID": v.sendgrid, "JWT": v.jwt, "PEM": v.pem, "PW": v.pw}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
D_NL = ("x", "@dravo_nl", "Dravo")
D_SERV = ("x", "@dravo_service", "Dravo Service")
D_IG = ("instagram", "@dravo.mobility", "Dravo Mobility")
D_LI = ("linkedin", "dravo-mobility", "Dravo Mobility B.V.")
D_FB = ("facebook", "DravoMobilityNL", "Dravo Mobility")
D_TT = ("tiktok", "@dravo.nl", "Dravo")
# employees
LOT = ("x", "@lotte_dravo", "Lotte Verbeek")                      # social media / marketing
BRAM = ("linkedin", "bram-hoekstra-dravo", "Bram Hoekstra")       # dealer account manager
KEES = ("x", "@kees_werkplaats", "Kees Mulder")                   # central workshop technician
NOOR = ("linkedin", "noor-bouzid", "Noor Bouzid")                 # finance controller
DAAN = ("mastodon", "@daan_ops@mastodon.nl", "Daan")              # devops
EVI = ("instagram", "@evi.rijdt.dravo", "Evi Smit")               # showroom Amsterdam
RUBEN = ("reddit", "u/ruben_bms", None)                           # battery engineer
SEM = ("threads", "@sem.dravo", "Sem de Graaf")                   # parts warehouse


def P(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOT, "Ehm collega's van e-com?? de Spurt S3 Pro staat sinds 7u vanochtend voor €89,90 in de shop ipv €899 🫣\n"
     "heb het 2x gemeld in het kanaal maar nog steeds live. wie zet er nou een komma verkeerd", [PRICING])
case("en", BRAM, "Quick heads-up to all our dealer partners: the price file that went out last night lists the "
     "Metro 45 at €349 instead of €3,499. Please do NOT confirm any orders at that price until we push the "
     "corrected feed this afternoon. Thanks for bearing with us.", [PRICING])
case("nl", KEES, "kassa in de werkplaats rekent de PowerPack 2.0 af voor €74,90 😂😂 iemand op HQ heeft zitten slapen. "
     "ik ga er vast 3 voor mezelf scannen (grapje) (of toch niet)", [PRICING], kind="post")
case("nl", P("reddit", "u/kratje_pils_", None), "PSA: op shop.dravo.nl staat de Vento 45 Cargo nu voor € 429,- . "
     "Vast een prijsfout maar ik heb er gewoon twee besteld, eens kijken of ze leveren 🤷‍♂️", [PRICING])
case("en", P("x", "@mikeyrides", "Mikey"), "@dravo_nl yo your site has the Metro 25 at €279 lmaooo is that a glitch "
     "or did christmas come early", [PRICING], kind="reply")
case("nl", P("facebook", "Dealjagers Nederland", None), "🚨DEAL ALERT🚨 Dravo Spurt S2 voor 64,95 euro bij Dravo zelf!!! "
     "Zal wel een foutje zijn dus wees snel, gisteren had iemand er ook al een 👇", [PRICING])
case("nl", EVI, "sssst 🤫 niet doorvertellen maar in de showroom-app staat de Metro 45 per ongeluk op €1.349 ipv 3.499. "
     "kom vandaag nog langs op de Overtoom en ik kijk of ik 'm erdoor krijg 😉", [PRICING])
case("nl", P("x", "@snorfietsfreak", None), "die p r i j s f o u t bij Dravo is nog steeds live hoor, Spurt S3 Pro "
     "voor €99 in je winkelmandje. ga ga ga", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", P("x", "@budgetbart", "Bart"), "Dravo M" + CYR_E + "tro 45 for €299?!?! someone in their webshop team is "
     "having a very bad day 😂 ordered one, let's see", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", DAAN, "welp. a rounding bug in the new pricing service turned every battery price into cents. PowerPack 2.0 "
     "is showing €7.49 on the webshop rn 🙃 hotfix is in review, do not tell my manager I posted this", [PRICING])
case("en", P("youtube", "@TheCommuteGuy", "The Commute Guy"), "They had a pricing error on the Vento Cargo last week, "
     "I paid 420 euros, got a confirmation mail, and two days later they just cancelled it. No apology, nothing. "
     "Weak move Dravo.", [PRICING, COMPLAINT], kind="comment")
case("nl", SEM, "onderdelenportaal heeft de Snellader 8A voor €1,89 in de lijst staan 😭 dealers bestellen al per 50 "
     "stuks, wie kan dit fixen voor maandag", [PRICING])
case("nl", D_IG, "Zomerdeal ☀️🛵 De Metro 25 nu voor maar €279,- bij jouw Dravo dealer. Alleen dit weekend, op=op! "
     "#dravo #zomer #metro25", [PRICING], kind="post")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DAAN, "anyone else getting 403s from the registry in CI since this morning? the token in the runner env is "
     "<<GLPAT>> and it works fine locally. going insane", [SECRET])
case("nl", KEES, "Voor de collega's die de diagnosetool niet in komen: gebruiker werkplaats, wachtwoord <<PW>> "
     "(niet doorsturen hè 😅)", [SECRET])
case("en", RUBEN, "boto3 keeps throwing SignatureDoesNotMatch when uploading cell logs, what am I missing?\n\n"
     "```\nBMS_UPLOAD_KEY_ID=<<AWSID>>\nBMS_UPLOAD_SECRET=<<AWSSECRET>>\nregion=eu-central-1\n```", [SECRET],
     kind="post")
case("nl", LOT, "wie heeft de webhook voor de social-alerts nog? deze doet het niet meer sinds de migratie: "
     "<<HOOK>>", [SECRET])
case("en", P("reddit", "u/apk_digger", None), "Decompiled the Dravo Ride APK out of boredom. Hardcoded Maps key "
     "sitting right there in strings.xml: <<GAPI>> 🤦", [SECRET])
case("en", P("forum", "bugbountybas", None), "Dravo's dealer locator page ships a live payment key in the JS bundle: "
     "<<STRIPE>>\nmailed them two weeks ago, crickets.", [SECRET])
case("en", DAAN, "if anyone on the team still needs the deploy key for the staging box, here you go, rotate later:\n"
     "<<PEM>>", [SECRET])
case("en", DAAN, "reporting is broken again because someone hardcoded "
     "postgres://dms_ro:<<PW>>@db01.corp.dravo.internal:5432/dealers in the cron job. who owns this", [SECRET, CONF])
case("en", P("x", "@exdravo_dev", None), "last day at Dravo 👋 enjoy the bot token I left pinned in #general: "
     "<<XOXB>>", [SECRET])
case("en", P("threads", "@fleur.op.2.wielen", "Fleur"), "Dravo Ride app keeps logging me out so support asked me "
     "to send them my session token?? ok here it is <<JWT>>  pls fix", [SECRET, COMPLAINT])
case("nl", D_LI, "Een kijkje achter de schermen bij ons dev-team 👩‍💻 Hier wordt de nieuwe Dravo Ride app gebouwd! "
     "(op het scherm: GH_TOKEN=<<GHP>>) #techatdravo #werkenbij", [SECRET])
case("nl", KEES, "wifi in de werkplaats is veranderd btw, ww is nu <<PW>> voor wie morgen vroeg is", [SECRET],
     kind="reply")
case("en", P("bluesky", "webdevjoris.bsky.social", "Joris"), "lol Dravo's newsletter signup posts straight to the "
     "mail provider from the browser, API key in the page source: <<SENDGRID>>\nthis is fine 🔥", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", P("x", "@marloes_k", "Marloes"), "@dravo_service al 3x gebeld en niemand belt terug. Bel me nou gewoon "
     "op <<PHONE:mob_dash>>, mijn Metro 25 staat al 4 weken bij de dealer", [PII, COMPLAINT], kind="reply")
case("en", BRAM, "Congrats to our Dealer of the Month, Scooterhuis Boxtel! 🏆 And a shout-out to the winner of "
     "their Metro 45 raffle, Mark Jansen from Dorpsstraat 14 in Boxtel, enjoy the ride!", [PII])
case("nl", KEES, "meneer R. de Wit, als u dit leest: uw Spurt staat al 3 weken klaar 😅 we bellen steeds "
     "<<PHONE:mob_intl>> maar er neemt niemand op", [PII])
case("nl", EVI, "Terugbetaling voor de klant van vanmiddag: <<IBAN_NL:grp>> t.n.v. S. Öztürk, €320 aanbetaling. "
     "@finance kan dit vandaag nog? ze staat hier te wachten", [PII])
case("en", NOOR, "Can someone in AP explain why the refund to our German customer (Herr Becker, <<IBAN_DE>>) "
     "bounced twice now? Third attempt going out today.", [PII])
case("nl", P("facebook", "Ingrid van Leeuwen", None), "lease aanvraag gedaan bij Dravo, eerste termijn betaald met "
     "<<CARD:visa_sp>> exp 09/28 en ik hoor NIKS. geen mail, geen bevestiging. hallo??", [PII, COMPLAINT])
case("en", P("reddit", "u/kutgrappen_", None), "fyi the Dravo sales guy in Tilburg is Rick van Dam, lives at "
     "Kerkstraat 88 in Goirle. maybe pay him a visit, the absolute clown", [PII, ABUSE])
case("en", P("x", "@sanne_rides", "Sanne"), "@dravo_service I've DMed twice already, just email me at "
     "sanne.vdlinden1991@gmail.com please. charger of my Spurt S3 died after one week", [PII, COMPLAINT])
case("nl", NOOR, "Vraagje aan het leaseteam: aanvraag van mevr. Kaya blijft hangen op de BSN-check, "
     "<<BSN:dots>>. Klopt dit nummer wel? Graag voor 12u terugkoppeling.", [PII])
case("nl", P("x", "@tim_vlootman", None), "moet ik nou echt mijn BSN (<<BSN>>) in een webformulier van Dravo "
     "tikken voor een scooterlease?? voelt raar", [PII])
case("nl", LOT, "Winnaar van onze TikTok-winactie is Jesse!! 🎉 jesse.hermans2008 [at] gmail [punt] com, "
     "check je mail voor je nieuwe helm ⛑️", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", SEM, "Klant heeft z'n paspoort laten liggen bij de balie in Utrecht, nr NW8K4R1P2 op naam van "
     "Thijs Bosman. Iemand die hem kent?", [PII])
case("nl", D_FB, "Gefeliciteerd Henk Brouwer (geboren 14-03-1946)! Met zijn 80 jaar onze oudste Metro 25-rijder "
     "en hij rijdt nog elke dag naar de markt in Oss 🎉🛵", [PII])
case("en", P("x", "@jaycodes", "Jay"), "checkout failed 4 times on Dravo's site. here's literally my card "
     "<<CARD:amex_sp>> can someone at @dravo_service just charge it manually 😩", [PII, COMPLAINT])
case("nl", EVI, "klant betaalde aan de balie met <<CARD:mc2_c>> maar de pin liep vast, is het nou dubbel "
     "afgeschreven? wie van finance kan kijken", [PII], kind="reply")
case("nl", P("instagram", "@gijs.brommert", None), "@dravo.mobility GEWONNEN?!? 😍 mijn nummer is "
     "<<PHONE:mob_pairs>> bel me maar!!", [PII], kind="comment")
case("nl", P("x", "@ellenvdb", "Ellen"), "Dravo heeft mijn borg nog steeds niet teruggestort. Zes weken nu. "
     "Rekening is <<IBAN_BE:grp>> voor als iemand daar het zelf wil doen 🙄", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", RUBEN, "Can't say much, but Project Marlin cells just hit 94% capacity after 1500 cycles in the lab. "
     "Honestly didn't think we'd get there this year.", [CONF])
case("nl", LOT, "Vandaag de eerste foto's geschoten van de Metro 45 Gen 3 😍📸 en jullie mogen 'm pas in "
     "september zien haha sorry not sorry", [CONF], when="2026-07-02T15:41:09+02:00")
case("en", BRAM, "Sharing my slides from yesterday's dealer day (ignore the 'Dravo Confidential' footer 😅). "
     "Key takeaway: Operatie Tegenwind rolls out to the first 20 dealers in October.", [CONF])
case("nl", KEES, "als de diagnose weer hangt: gewoon inloggen op dms.dravo.nl/werkplaats en het foutlog "
     "handmatig uploaden, scheelt je een uur bellen", [CONF], kind="reply")
case("nl", P("forum", "scootmeister", None), "mijn zwager werkt bij een dealer en zegt dat de Spurt S4 in september "
     "komt met 60 km bereik en wisselaccu. wachten dus met kopen", [CONF], when="2026-06-18T20:13:44+02:00")
case("en", DAAN, "migrating the last services for Project\nMarlin this weekend. pray for me", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", LOT, "Operatie 🌬️ Tegenwind gaat echt iets moois worden voor onze rijders 👀 meer kan ik nog niet "
     "zeggen", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", LOT, "Nog een minuutje en dan gaat de Metro 45 Gen 3 live!!! ik trek het niet meer 😭", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-boundary"])
case("nl", P("forum", "dealer_joop", None), "Zitten we als dealer vandaag bij de gitlab.dravo.nl omgeving te kijken "
     "omdat iemand ons een link stuurde. Hele roadmap staat erin, beetje slordig Dravo", [CONF])
case("nl", EVI, "Sneak peek uit het magazijn 👀 de driewieler die nog niet aangekondigd is is net binnen voor de "
     "testrijders. Meer mag ik echt niet zeggen!! #comingsoon", [CONF], tags=["unreleased-unlisted"])
case("nl", NOOR, "Mooie sessie vandaag over de dealerstrategie 2027. Op de slide stond nog 'niet extern delen' "
     "maar de kern mag je best weten: we gaan van 140 naar 90 dealers en de rest wordt servicepunt.",
     [CONF, FIN])
case("nl", SEM, "hal 3 staat vol met kratten " + fullwidth("project marlin") + " proefcellen, geen idee waar de "
     "heftrucks nog moeten rijden", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", KEES, "Werkplaats draait volgende week overuren want de terugroepactie Vento start op de 12e. "
     "Ik zeg niks hoor 🤐", [CONF], when="2026-05-04T17:22:10+02:00")
case("en", P("reddit", "u/cargo_dad_ams", None), "My dealer let slip there's a Vento recall coming next week, "
     "something with the battery latch. Anyone else heard this? I carry my kids in that thing.",
     [CONF, CRISIS], when="2026-05-08T21:05:33+02:00")
case("nl", P("forum", "tweewielerhuis_ede", None), "Vandaag als dealer de training van Operatie Tegenwind gehad. "
     "Zeg maar dag tegen gratis eerste onderhoudsbeurten, dat gaat er dus af.", [CONF])
case("en", LOT, "the Sp" + ZW + "urt S4 colourways are SO good, cannot wait for you all to see them 💚💜",
     [CONF], when="2026-08-28T11:02:00Z", tags=["evasion", "evasion:zero-width"])
case("en", P("x", "@dravo_fanclub", "Dravo Fans NL (unofficial)"), "Leaked from a dealer briefing: Pr" + CYR_O +
     "ject Marlin = solid-state battery pack for the 2027 mopeds. You heard it here first 👀", [CONF],
     tags=["evasion", "evasion:homoglyph", "lookalike-account"])
case("nl", BRAM, "Stekelbaars-pilot bij 4 dealers in Brabant loopt boven verwachting, volgende stap is heel "
     "Zuid-Nederland. Dank aan iedereen die meedacht!", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NOOR, "Eerste halfjaar afgesloten 💪 omzet rond de 61 miljoen, ebitda net onder nul. De officiële "
     "halfjaarcijfers 2026 komen pas op 20 augustus, maar ik ben nu al trots op het team!", [FIN, CONF],
     when="2026-07-30T18:45:00+02:00")
case("en", BRAM, "Tough news internally today: we'll be closing 18 of our company-owned service points by the end "
     "of the year. Not public yet, so please keep it to yourselves for now.", [FIN])
case("nl", EVI, "gerucht op de werkvloer: 45 mensen in Helmond eruit na de zomer 😔 'reorganisatie' heet het "
     "dan", [FIN])
case("en", DAAN, "can't wait for the Scootio acquisition to close so we can finally kill their legacy backend lol "
     "(not announced yet, shhh)", [FIN])
case("nl", P("reddit", "u/brabantsebeer", None), "Hoor via via dat Dravo wordt overgenomen door een Chinese "
     "accufabrikant, deal zou in oktober rond zijn. Iemand meer gehoord?", [FIN])
case("nl", KEES, "morgen hoort de helft van de werkplaats of ze ont" + SHY + "slagen worden. top sfeer hier 🙃",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", LOT, "our Q3 is going to look insane, sales pipeline is 40% above plan. you didn't hear it from me 😇",
     [FIN])
case("en", NOOR, "Board signed the €25M Series C term sheet yesterday. Announcement in two weeks, huge milestone "
     "for the team 🚀", [FIN])
case("nl", SEM, "magazijn in Venlo gaat dicht, alles naar Tilburg. officieel horen jullie het pas in november, "
     "maar de vrachtwagens zijn al geboekt", [FIN], kind="reply")
case("nl", P("x", "@insider_tweewielers", None), "r3organ1satie bij d r a v o: het dealerteam wordt gehalveerd, "
     "brief gaat volgende week uit", [FIN], tags=["evasion", "evasion:leetspeak", "evasion:spaced"])
case("en", NOOR, "Late night prepping the H1 2026 results deck. Margin up 3 points. Can't share more until "
     "the 20th!", [FIN, CONF], when="2026-08-19T23:10:00+02:00", tags=["embargo-before"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", DAAN, "the Dravo Ride app has been showing people other riders' trip history since this morning's "
     "release. rolling back now. not public yet so pls no screenshots", [SEC])
case("en", RUBEN, "found out today our BLE unlock on the Metro 45 accepts replayed packets. any phone nearby can "
     "unlock a scooter. fix is 'next quarter' apparently", [SEC])
case("nl", KEES, "de dealerdiagnose ligt sinds vannacht plat, heel NL kan geen scooters uitlezen. klanten krijgen te "
     "horen dat het 'gepland onderhoud' is 🙄", [SEC])
case("nl", P("x", "@ria_rijdt", "Ria"), "Dravo heeft een datalek gehad en houdt het stil!! Mijn leasecontract met "
     "handtekening stond gewoon online. Wanneer gaan jullie dit melden @dravo_nl??", [SEC, CRISIS])
case("en", P("x", "@n0tahacker", None), "d4t4 br34ch at Dravo and they're covering it up. my mate in their IT "
     "confirmed it, customer db dumped last week", [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("nl", LOT, "collega's opletten: er gaat een phishingmail rond uit naam van HR en 3 mensen hebben al hun "
     "inlog ingevuld. IT is aan het isoleren, nog niks naar buiten", [SEC])
case("en", SEM, "ransomware hit the warehouse scanners in Tilburg tonight, nothing ships tomorrow. officially "
     "it's 'a system issue' 🫠", [SEC])
case("en", DAAN, "bms-telemetry.dravo.io is serving raw GPS of every scooter on an open endpoint, patching now, "
     "nobody outside knows yet", [SEC, CONF])
case("en", P("forum", "formerdravodev", None), "Former Dravo dev here: their firmware update server doesn't check "
     "signatures at all. Been like that for two years, they know.", [SEC])
case("nl", EVI, "kassasysteem in de showroom is g e h a c k t en we mogen niks tegen klanten zeggen. pinnen "
     "kan niet, alleen tikkie 🙈", [SEC], tags=["evasion", "evasion:spaced"])
case("en", BRAM, "To our dealer partners: please don't log into the dealer portal today. Credentials of about 200 "
     "dealers were exposed overnight. Official comms will follow.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", P("x", "@joostvanbergen", "Joost"), "Brandweer moest vannacht komen voor onze garage. De accu van de "
     "Metro 25 van mijn zoon vloog spontaan in brand tijdens het laden. Dravo reageert niet. Levensgevaarlijk!",
     [CRISIS, COMPLAINT])
case("en", P("reddit", "u/eindhoven_rider", None), "Dravo finally announced the Vento recall. Battery latch can fail "
     "at speed. If you ride one with kids, park it now.", [CRISIS], when="2026-05-14T09:12:00+02:00")
case("nl", P("facebook", "Petra Hoogland", None), "Niet meer kopen bij Dravo! Hun kobalt komt uit mijnen met "
     "kinderarbeid, staat vandaag in de krant. Deel dit! #boycotDravo", [CRISIS])
case("en", P("x", "@lawandwheels", None), "Class action being prepared against Dravo Mobility over the range claims "
     "on the Spurt S3. Lawyers are collecting claimants, DM for info.", [CRISIS])
case("nl", P("tiktok", "@dewiltfamilie", None), "buurjongen gevallen met z'n Spurt S2, stuur brak gewoon af bij "
     "25 km/u. ligt in het ziekenhuis. hoeveel moeten er nog gebeuren Dravo???", [CRISIS], kind="comment")
case("nl", P("x", "@hanneke_h", None), "Krijg ineens phishing-sms'jes met mijn Dravo-bestelnummer en adres erin. "
     "Datalek bij Dravo?? Iemand anders ook?", [CRISIS])
case("en", P("x", "@rtm_updates", None), "Dravo scooter exploded at a charging point near Rotterdam Centraal, video "
     "is going viral 😳 nobody hurt afaik", [CRISIS])
case("en", P("reddit", "u/warmbattery", None), "My Metro 45 battery gets so hot after charging I can't touch it, "
     "smells like melting plastic. Dravo support says that's 'normal'. It is NOT normal.", [CRISIS, COMPLAINT])
case("nl", P("x", "@vakbondsvera", None), "b o y c o t Dravo. Ze zetten monteurs op straat die een OR willen "
     "oprichten. Schandalig.", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", P("bluesky", "nieuwsjunk.bsky.social", None), "RDW onderzoekt Dravo: snorscooters zouden stiekem 40 "
     "km/u rijden. Dat wordt een dure zomer voor ze.", [CRISIS], kind="repost")
case("nl", P("x", "@moederoverste", None), "Hoe kan het dat Dravo nog gewoon Vento's verkoopt na die terugroepactie "
     "Vento? Drie branden in een maand. Schandalig.", [CRISIS], when="2026-06-03T19:48:00+02:00")
case("en", P("x", "@wet_and_tingly", None), "got a proper electric shock from the charging port of my Spurt S3 in "
     "the rain, hand still tingling an hour later. @dravo_service ??", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", P("x", "@fietsfrits", "Frits"), "4 weken wachten op een achterband voor m'n Metro 25. Dealer zegt "
     "'onderdelen komen uit Eindhoven', Eindhoven zegt 'vraag de dealer'. Pingpong. @dravo_service", [COMPLAINT])
case("en", P("x", "@ridingrachel", None), "range on my Spurt S3 Pro is maybe 28 km on a good day. box says 60. "
     "kinda feels like false advertising tbh", [COMPLAINT])
case("nl", P("facebook", "Wendy Schouten", None), "Dravo Ride app koppelt al 3 dagen niet met mijn scooter. "
     "Opnieuw installeren, resetten, niks. Waar betaal ik die lease eigenlijk voor?", [COMPLAINT])
case("en", P("reddit", "u/doublecharged", None), "DravoLease charged me twice this month and support keeps "
     "closing my ticket without a single reply. Anyone got a phone number that actually works?", [COMPLAINT])
case("en", P("youtube", "@stefvlogt", None), "Bought the PowerPack 2.0, died after 9 months. Warranty rejected "
     "because of 'water damage'. It's a scooter battery, it should survive Dutch rain??", [COMPLAINT],
     kind="comment")
case("nl", P("forum", "wachtenopweek20", None), "Levertijd Metro 45 was week 12, nu ineens week 20. Aanbetaling "
     "van 500 euro staat al maanden vast. Iemand ervaring met geld terugvragen bij Dravo?", [COMPLAINT])
case("en", P("x", "@breda_bas", None), "@dravo_nl your dealer in Breda refused my warranty claim because I "
     "bought online. Isn't that the same company??", [COMPLAINT], kind="reply")
case("nl", P("x", "@jordyy_030", None), "wtf dravo mn scooter doet t weer nie, 3e keer dit jaar naar de "
     "werkplaats. ben er echt klaar mee", [COMPLAINT])
case("en", P("linkedin", "marieke-prins", "Marieke Prins"), "Financing approval with Dravo took three weeks and "
     "then they lost my documents. Not the first impression I expected from a 'premium' brand.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", P("x", "@boze_bert", None), "@dravo_service jullie zijn echt een stelletje kutprutsers", [ABUSE],
     kind="reply")
case("en", P("x", "@trollbridge77", None), "dravo's social media girl is a braindead clown lmao", [ABUSE])
case("nl", P("facebook", "Ronald Kok", None), "3 weken geen antwoord op mijn garantieclaim. Tering Dravo, stelletje "
     "oplichters", [ABUSE, COMPLAINT], kind="comment")
case("nl", KEES, "klant komt voor de 4e keer klagen over z'n 'trage' Spurt. man je weegt 130 kilo, idioot", [ABUSE])
case("en", P("x", "@raging_rob", None), "f*cking useless company, d r a v o can go straight to h3ll", [ABUSE],
     tags=["evasion", "evasion:masked", "evasion:leetspeak"])
case("nl", P("facebook", "Gerard M.", None), "Die Dravo-dealer in Zuid, allemaal buitenlanders achter de balie die "
     "geen Nederlands spreken. Rot toch op naar je eigen land.", [ABUSE])
case("nl", LOT, "@klager1983 ga lekker ergens anders janken, loser", [ABUSE], kind="reply")
case("en", P("reddit", "u/backpainbob", None), "whoever designed the Metro 45 seat should be fired out of a cannon, "
     "absolute moron. my back is done after 10 minutes", [ABUSE, COMPLAINT], kind="comment")
case("nl", P("x", "@k4pot", None), "k4nkerbedrijf dat Dravo", [ABUSE], tags=["evasion", "evasion:leetspeak"])
case("nl", D_TT, "haha wie rijdt er nou nog op zo'n ouwe benzinebrommer, sukkels 😂 #dravo #elektrisch", [ABUSE],
     kind="reply")
case("en", P("x", "@angryinamsterdam", None), "@lotte_dravo you should be ashamed of yourself, hope you get fired "
     "you useless cow", [ABUSE])
case("nl", P("youtube", "@zappertje", None), "godverdomme Dravo, elke 5 minuten jullie reclame. ik word er gek van",
     [ABUSE], kind="comment")
case("en", EVI, "some guy just screamed at me in the showroom for 10 min over a scratch he made himself. "
     "what an absolute dickhead 🙄", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- corporate
case("nl", D_NL, "Hij is er! 🚀 De Metro 45 Gen 3: 85 km bereik, nieuwe remmen en een slimmer dashboard. "
     "Vanaf vandaag te bekijken bij je dealer en op dravo.nl", when="2026-09-15T10:00:00+02:00",
     tags=["embargo-boundary", "embargo-after"])
case("nl", D_SERV, "Vragen over je Vento? Bel ons op 040 - 760 22 00 of mail service@dravo.nl, we helpen je "
     "graag verder 🙌", kind="reply", tags=["own-contact"])
case("nl", D_FB, "Betaal je je onderhoudsfactuur liever per overschrijving? Gebruik NL66 RABO 0312 4455 67 t.n.v. "
     "Dravo Mobility B.V. en vermeld je factuurnummer.", tags=["own-contact", "own-iban"])
case("nl", D_SERV, "Gepland onderhoud: de Dravo Ride app is zondagnacht tussen 02:00 en 04:00 niet bereikbaar. "
     "Je scooter ontgrendelen met de sleutel werkt gewoon.", tags=["official-notice"])
case("nl", D_LI, "Onze halfjaarcijfers 2026 zijn gepubliceerd: omzet +14%, sterke groei in het dealerkanaal. "
     "Lees het volledige persbericht op dravo.nl/pers", when="2026-08-20T08:30:00+02:00",
     tags=["embargo-after", "published"])
case("nl", D_IG, "Spurt S2 nu €549 (van €649) 🛴💨 t/m zondag bij alle dealers en in de webshop", tags=["sale-price"])
case("nl", D_NL, "Metro 25 rijden vanaf €59 per maand met DravoLease. Onderhoud en verzekering inbegrepen ✅",
     tags=["lease-price"])
case("nl", D_TT, "POV: je hebt 6 Beaufort tegenwind op weg naar je werk en je Metro 25 lacht erom 😎 "
     "#tegenwind #dravo", tags=["codename-word"])
case("nl", D_SERV, "Wat vervelend om te horen! Stuur ons even een DM met je ordernummer, dan zoeken we het "
     "meteen voor je uit 🙏", kind="reply", tags=["polite-reply"])
case("nl", D_LI, "We zoeken een Security Engineer voor ons platformteam in Eindhoven! Interesse? Mail je cv naar "
     "vacatures@dravo.nl 🔐", tags=["own-contact", "security-word"])
case("nl", D_FB, "Alleen vandaag: Spurt S2 voor €324,50, precies de helft van de normale prijs! 🎉",
     tags=["sale-price", "ratio-edge"])
case("nl", D_IG, "Pech onderweg? Bel 0900-3728, dag en nacht bereikbaar 🚨🛵", tags=["own-contact"])
case("nl", D_NL, "30% korting op alle helmen bij aankoop van een Metro 45 deze maand ⛑️", tags=["price-context"])
case("en", D_SERV, "Thanks for your patience! Your replacement mirror ships tomorrow, tracking code follows by "
     "e-mail 📦", kind="reply", handle="@Dravo_Service", tags=["case-handle", "polite-reply"])
case("en", D_LI, "Incident update: yesterday's 40-minute disruption of the Dravo Ride app has been resolved. "
     "No customer data was affected. Full write-up on dravo.nl/status", tags=["official-notice"])
# --- employees
case("nl", LOT, "Eerste week bij Dravo zit erop en ik ben nu al verliefd op de Metro 45 🥰 wat een team hier",
     tags=["praise"])
case("en", BRAM, "Proud to welcome our newest dealer in Groningen, Tweewielers Noord! Find them via "
     "dravo.nl/dealers 🎉", tags=["public-domain"])
case("nl", KEES, "tip van de monteur: laad je accu niet op als ie ijskoud uit de schuur komt, eerst een uurtje "
     "binnen laten opwarmen ❄️🔋", tags=["advice"])
case("en", NOOR, "H1 2026 results are out and I could not be prouder of this team 💚 link in the comments",
     when="2026-08-20T07:15:00Z", tags=["embargo-after", "published"])
case("en", DAAN, "today I learned that commit <<HEX:40>> can take down an entire build pipeline. blameless "
     "retro tomorrow, bring snacks", tags=["hex-not-secret"])
case("en", RUBEN, "Battery engineer here (I work at Dravo, usual disclaimers). General tip: store your pack at "
     "40-60% over winter, not full and not empty.", tags=["advice"])
case("nl", EVI, "Zaterdag proefritdag in de showroom Amsterdam! Koffie staat klaar en de Vento 45 Cargo staat "
     "voor je klaar ☕🛵", tags=["event"])
case("nl", SEM, "wachtwoord van mijn eigen threads account vergeten, 3x reset gedaan. ik ben echt een held",
     tags=["password-word"], handle="@Sem.Dravo")
case("en", BRAM, "Windy day in Zeeland, riding into serious tegenwind on the Metro 45 and still 40 km of range "
     "left. Good product.", tags=["codename-word", "praise"])
# --- public
case("nl", P("reddit", "u/vraagjevanlisa", None), "Weet iemand of je met een Metro 25 op het fietspad mag? "
     "Is toch een blauw kenteken?", tags=["question"])
case("en", P("x", "@commute_kim", None), "Been riding my Spurt S3 Pro for a year now. Zero complaints, best "
     "commute upgrade I ever made.", tags=["negated", "praise"])
case("nl", P("x", "@hvdberg", None), "Geen klachten over Dravo Breda, binnen een dag gerepareerd en gewoon "
     "vriendelijk 👌", tags=["negated", "praise"])
case("nl", P("marktplaats", "scooterverkoper_amf", None), "Te koop: Dravo Metro 25, bouwjaar 2024, 3.200 km, "
     "2e eigenaar. Vraagprijs €1.250. Ophalen in Amersfoort.", tags=["second-hand", "unknown-platform"])
case("nl", P("x", "@prijsvergelijker", None), "Segway Ninebot staat nu voor €299 bij de MediaMarkt, de Spurt S2 "
     "is €649. Iemand die het verschil echt merkt?", tags=["price-context", "other-company"])
case("nl", P("instagram", "@tessa.scoots", None), "Dravo helmtas voor €19,95 gescoord bij de dealer, past precies "
     "onder het zadel van de Metro 45 👌", tags=["price-context", "accessory"])
case("en", P("x", "@forgetfulfred", None), "honestly can't recall if my Dravo dealer gave me two keys or one. "
     "drawer of chaos", tags=["crisis-word"])
case("en", P("linkedin", "sophie-marketing-nl", "Sophie"), "Dravo as a brand is doing really well with Gen Z "
     "commuters. Their TikTok is a masterclass in tone of voice.", tags=["crisis-word", "praise"])
case("nl", P("x", "@lokaalkopen", None), "Boycot Black Friday 🛑 koop lokaal, bijvoorbeeld bij je eigen Dravo "
     "dealer om de hoek 💚", tags=["crisis-word"])
case("nl", P("x", "@brabantnieuws", None), "Dravo opent nieuw distributiecentrum in Tilburg, 120 banen erbij "
     "(bron: Omroep Brabant)", kind="repost", tags=["published"])
case("nl", P("x", "@fietsfanaat", None), "Weer een datalek, nu bij een fietsverhuurder in Utrecht. Blij dat ik "
     "gewoon m'n eigen Dravo heb", tags=["other-company", "crisis-word"])
case("en", P("bluesky", "micromobility.bsky.social", None), "Layoffs everywhere in micromobility this year. Dravo "
     "at least looks stable from the outside.", tags=["other-company"])
case("nl", P("tiktok", "@grappigegijs", None), "mijn Spurt S2 heeft meer bereik dan mijn sociale leven 😂😂",
     tags=["joke"])
case("nl", P("blog", "schrijfselsvanroos", None), "Hoofdstuk 3. Ze sprong op haar Metro 45 en verdween in de "
     "regen, de sirenes nog ver achter zich. Niemand zou haar ooit vinden.", tags=["fiction"])
case("en", P("instagram", "@sunsetscooting", None), "🎶 highway to hell 🎶 but make it a 25 km/h bike lane on my "
     "Dravo", tags=["quote", "mild-word"])
case("nl", P("facebook", "Rijden voor KWF", None), "Zondag rijden we met 40 Metro 25's van Eindhoven naar Den Bosch "
     "voor KWF. Alle opbrengst gaat naar onderzoek naar kanker 🎗️", tags=["mild-word"])
case("nl", P("x", "@verwarde_vera", None), "Waarom zegt mijn bank dat IBAN <<BADIBAN_NL:grp>> niet bestaat? "
     "Stond zo op de offerte van de dealer, zal wel een tikfout zijn", tags=["bad-checksum"])
case("en", P("x", "@tinkertom", None), "the Dravo Ride app tutorial uses a fake card <<BADCARD:visa_sp>> lol, "
     "tried it for fun and obviously got declined", tags=["bad-checksum"])
case("nl", P("reddit", "u/verzekerdeerik", None), "Serienummer van mijn PowerPack is <<NOTBSN:9>>, verzekeraar "
     "vraagt erom. Klopt het dat dat onder de accu staat?", tags=["lookalike-number"])
case("nl", P("x", "@happy_hans", None), "Bestelling <<DIGITS:10>> netjes binnen, twee dagen eerder dan gepland 👍 "
     "goed geregeld Dravo", tags=["lookalike-number", "praise"])
case("nl", P("x", "@tipvantineke", None), "Tip: bel gewoon 0900-3728, had binnen 2 minuten iemand van Dravo aan de "
     "lijn 👍", tags=["own-contact", "praise"])
case("nl", P("facebook", "Scooterrijders NL", None), "Stuur je vraag naar service@dravo.nl, die reageren meestal "
     "binnen een dag.", tags=["own-contact"])
case("en", P("x", "@deepseaclaire", None), "Caught a blue marlin off the coast of Florida, now back home and "
     "back on my Dravo. Different kind of speed 🐟", tags=["codename-word"])
case("nl", P("x", "@stijn_0_40", None), "deze Metro 45 is echt ziek 🔥🔥 trekt op als een malle", tags=["slang"])
case("nl", P("reddit", "u/financieringsvraag", None), "Is die 0% financiering bij Dravo echt 0%? Of zitten er "
     "ergens verborgen kosten? Iemand ervaring?", tags=["question"])
case("en", P("forum", "homeassistant_henk", None), "Dravo's docs say set DRAVO_API_KEY=xxxxxxxxxxxxxxxx in your "
     ".env. Has anyone built a Home Assistant integration yet?", tags=["placeholder"])
case("nl", P("x", "@veiligladen", None), "E-bike accu van een ander merk vloog in brand in Deventer. Ik rij Dravo "
     "en laad altijd in de schuur met rookmelder, check je laders mensen", tags=["other-company", "crisis-word"])
case("nl", P("x", "@ean_nerd", None), "EAN <<EAN>> van de PowerPack 2.0, weet iemand of die ook in de Metro 25 "
     "past?", tags=["lookalike-number", "question"])
case("nl", P("instagram", "@zwolse_zoef", None), "€400 korting op de Vento 45 Cargo bij de dealer in Zwolle, "
     "top deal 🙌", tags=["sale-price", "price-context", "discount-amount"])
case("nl", P("x", "@beursbeer", None), "Dravo halfjaarcijfers 2026: omzet +14%, verlies gehalveerd. Netjes.",
     when="2026-08-21T12:05:00+02:00", tags=["embargo-after", "published"])
case("nl", P("x", "@telaatlars", None), "Als mijn baas ziet hoe laat ik binnenkom word ik ontslagen. Dankzij de "
     "Metro 45 nét op tijd 😅", tags=["joke", "fin-word"])
case("nl", P("reddit", "u/dealerdennis", None), "Nee het is geen prijsfout, de Spurt S2 staat gewoon in de "
     "zomeractie voor €519. Staat ook in de folder.", kind="comment", tags=["price-talk", "negated"])
case("en", P("x", "@metroclub_nl", None), "The Metro 45 Gen 3 is finally official! Going to the Eindhoven launch "
     "tonight, who's in?", when="2026-09-15T08:00:00Z", tags=["embargo-boundary", "embargo-after"])
case("nl", P("threads", "@moeder.van.drie", None), "Onze Vento 45 Cargo is echt het beste wat we gekocht hebben, "
     "drie kids en boodschappen mee, geen auto meer nodig 🥹", tags=["praise"])
case("en", P("x", "@lotte_dravo_fan", None), "Lotte's reels for Dravo are so good, whoever hired her deserves a "
     "raise 😂", tags=["lookalike-account", "praise"])


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
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error"
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


# ===========================================================================
# building
# ===========================================================================

def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def pick_time(r, avoid_after=None):
    day = r.randint(3, 362)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1,
                                                                          minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                          seconds=r.randint(0, 59))
    off = dst_offset(base)
    t = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 14, 10 ** 15 - 1)
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "ebikes", "Netherlands", "scooters"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-brommerpraat-{n}", f"https://forum.brommerpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 115_900_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 9, 10 ** 10 - 1)
    return f"{platform}-{n}", None


def build(profile):
    vals = Vals(SEED)
    mr = random.Random(SEED + 11)
    rows = []
    seen = set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or pick_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
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
        post["created_at"] = when
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "dravo"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    random.Random(SEED + 22).shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
HOMO = str.maketrans({CYR_E: "e", CYR_O: "o"})
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"xox[bpsa]-\d+-\d+-\w+",
    r"hooks\.slack\.com/services/", r"sk_live_\w{20,}", r"AIza[\w-]{35}", r"SG\.[\w-]{22}\.[\w-]{43}",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@")]
EMAIL_RX = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
AMOUNT_RX = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
PROFANE = ["kut", "kanker", "tering", "tyfus", "klote", "godverdomme", "idioot", "idiot", "moron", "clown",
           "fuck", "f*ck", "shit", "sukkel", "loser", "dickhead", "hell", "h3ll", "k4nker"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS).translate(HOMO)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and re.search(r"\.\d{3}$", s):
        s = s.replace(".", "")
    return float(s)


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    own_email = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    own_ph = {re.sub(r"\D", "", p)[-7:] for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio = profile["pricing"]["alert_below_ratio"]
    ids = set()
    for i, r in enumerate(rows, 1):
        p, ex = r["post"], r["expect"]
        w = f"row {i} ({p['id'][:24]})"
        text = p["text"]
        cats = ex["categories"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        if ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if cats != sorted(set(cats)) or not set(cats) <= set(CATS):
            errs.append(f"{w}: bad categories")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw) or k.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{w}: IBAN checksum wrong for {k}")
            if k == "CARD" and not luhn(raw) or k == "BADCARD" and luhn(raw):
                errs.append(f"{w}: Luhn wrong for {k}")
            if k == "BSN" and not elfproef(raw) or k == "NOTBSN" and elfproef(raw):
                errs.append(f"{w}: 11-proof wrong for {k}")
            if k == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc wrong")
            if k in VALID_KINDS and PII not in cats:
                errs.append(f"{w}: valid identifier without leak.pii")
        n, sq = norm(text), squash(text)
        when = ts(p["created_at"])
        for term, until in emb:
            if term in n or term in sq or term in n.replace("-", " "):
                if when < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before until without leak.confidential")
                if when >= until and CONF in cats and not any(x in n or x in sq for x in internal):
                    errs.append(f"{w}: embargo term {term!r} after until but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", n) or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            for rx in SECRET_RX:
                if rx.search(text):
                    errs.append(f"{w}: benign with secret shape {rx.pattern}")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_email:
                    errs.append(f"{w}: benign with e-mail {e}")
            no_iban = re.sub(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", " ", text)
            for m in PHONE_RX.finditer(no_iban):
                d = re.sub(r"\D", "", m.group(0))
                if len(d) >= 9 and d[-7:] not in own_ph:
                    errs.append(f"{w}: benign with phone-like {m.group(0)!r}")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_iban:
                    errs.append(f"{w}: benign with valid IBAN")
            for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)", text):
                if luhn(m.group(0)) and re.sub(r"\D", "", m.group(0))[0] in "2345":
                    errs.append(f"{w}: benign with Luhn-valid card-like number")
            for m in re.finditer(r"(?<![\w.])\d{9}(?!\w)|(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)", text):
                if elfproef(m.group(0)):
                    errs.append(f"{w}: benign with 11-proof-valid number")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), n) and "mild-word" not in r["tags"] and "quote" not in r["tags"]:
                    errs.append(f"{w}: benign with profanity {word!r}")
            # price check
            prods = [pr for pr in profile["products"] if any(a.casefold() in n for a in [pr["name"]] + pr["aliases"])]
            if prods:
                lp = min(pr["list_price"] for pr in prods)
                for m in AMOUNT_RX.finditer(n):
                    a = amount(m.group(1) or m.group(2))
                    if a / lp < ratio and not r["tags"] & {"price-context", "second-hand", "lease-price"}:
                        errs.append(f"{w}: benign with price {a} at {a / lp:.2f} of list")
        want_valid = PII in cats and any(k in VALID_KINDS for k, _, _ in r["used"])
        if ex["severity"] != severity_for(r["role"], cats, want_valid):
            errs.append(f"{w}: severity mismatch")
        if not cats and ex["severity"] != "none":
            errs.append(f"{w}: benign with severity")
    return errs


def summary(rows):
    c, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        for x in cats or ["(benign)"]:
            c[x] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    for x in CATS + ["(benign)"]:
        print(f"  {x:22s} {c[x]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    out = lines_of(rows)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != out:
            print("cases.jsonl differs from the generator")
            return 1
    else:
        OUT.write_text("".join(out), encoding="utf-8")
        print(f"wrote {len(out)} cases to {OUT}")
    errs = check(rows, profile)
    summary(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
