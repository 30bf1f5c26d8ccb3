#!/usr/bin/env python3
"""Deterministic generator for the sealed41 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory and compare with cases.jsonl

Company: "Tintel Dating B.V." (profile.yaml), a fictional dating app used in the
Netherlands and Belgium. Every text is hand-written below; identifiers and secrets
are filled in from {{KIND:fmt}} placeholders by a seeded RNG. Positive identifiers
pass their checksum (IBAN mod-97, Luhn, BSN 11-proof, Belgian national number
mod-97); negatives fail it. Severity is computed from CONTRACT section 4, never
typed by hand. Needs Python 3.9+ and PyYAML.
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

SEED = 41_2026_0707
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

ZWSP = "\u200b"


def fullwidth(s):
    return "".join(chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch)
                   for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def rrn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 11:
        return False
    base, cc = int(d[:9]), int(d[9:])
    return 97 - base % 97 == cc or 97 - int("2" + d[:9]) % 97 == cc


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------
AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
OWN_IBANS = {"NL15RABO0312556677", "BE03735041826384"}


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Vals:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.d(10, True))
            elif cc == "BE":
                first = self.r.choice(["001", "068", "083", "363", "735", "973", "143"]) + self.d(7)
                v = iban_build("BE", first + f"{int(first) % 97 or 97:02d}")
            else:
                v = iban_build("DE", self.r.choice(["10010010", "37040044", "50070010"]) + self.d(10))
            if v not in OWN_IBANS:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 13, 29, 31, 43):
            b = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_valid(b):
                return b
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(14), "mc": "5" + self.r.choice("1245") + self.d(13),
               "bancontact": "6703" + self.d(12)}[brand]
        for x in string.digits:
            if luhn(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def fmt_card(v):
        return " ".join(v[i:i + 4] for i in range(0, len(v), 4))

    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn(s):
                return s

    def rrn(self):
        y, m, dd = self.r.randint(75, 99), self.r.randint(1, 12), self.r.randint(1, 28)
        seq = self.r.randint(1, 997)
        base = f"{y:02d}{m:02d}{dd:02d}{seq:03d}"
        cc = 97 - int(base) % 97
        return f"{base[:2]}.{base[2:4]}.{base[4:6]}-{base[6:9]}.{cc:02d}"

    def gpa(self):
        while True:
            parts = [self.d(4, True), self.d(4), self.d(4), self.d(5)]
            if not luhn("".join(parts)):
                return "GPA." + "-".join(parts)

    def phone(self, fmt):
        if fmt.startswith("nl"):
            m = self.r.choice("12345") + self.d(7)   # digits after '06'
            return {"nl_dash": f"06-{m}",
                    "nl_intl": f"+31 6 {m[:4]} {m[4:]}",
                    "nl_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                    "nl_0031": f"0031 6{m}"}[fmt]
        p = self.r.choice(["470", "472", "475", "478", "484", "486", "495", "497"]) + self.d(6)
        return {"be_mob_sp": f"+32 {p[:3]} {p[3:5]} {p[5:7]} {p[7:]}",
                "be_slash": f"0{p[:3]}/{p[3:5]}.{p[5:7]}.{p[7:]}"}[fmt]

    # secrets (random, fake, shaped like the real ones)
    def ghp(self):
        body = self.c(AN, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def gh_pat(self):
        return "github_pat_11" + self.c(string.ascii_uppercase + string.digits, 20) + "_" + self.c(AN, 59)

    def stripe(self):
        return "sk_live_51" + self.c(AN, 22) + self.c(AN, 70)

    def gapi(self):
        return "AIzaSy" + self.c(B64U, 33)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AN, 24)}"

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def pem_ec(self):
        body = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" + self.c(B64, 140)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def password(self):
        return (self.r.choice("BDGKMPRTVZ") + self.c(string.ascii_lowercase, 4) + self.r.choice("!#$%&*")
                + self.c(string.digits, 3) + self.c(AN, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALIDATED_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}   # checksum-validated per CONTRACT section 3
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def render(v, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = v.iban(kind[-2:])
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = v.bad_iban(kind[-2:])
            shown = v.grp(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            raw = v.card(fmt)
            shown = v.fmt_card(raw)
        elif kind == "BAD_CARD":
            raw = v.bad_card(fmt)
            shown = v.fmt_card(raw)
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN":
            raw = shown = v.not_bsn(int(fmt))
        elif kind == "RRN":
            raw = shown = v.rrn()
        elif kind == "GPA":
            raw = shown = v.gpa()
        elif kind == "PHONE":
            raw = shown = v.phone(fmt)
        elif kind == "GHP":
            raw = shown = v.ghp()
        elif kind == "GH_PAT":
            raw = shown = v.gh_pat()
        elif kind == "STRIPE":
            raw = shown = v.stripe()
        elif kind == "GAPI":
            raw = shown = v.gapi()
        elif kind == "AWS_ID":
            raw = shown = v.aws_id()
        elif kind == "AWS_SECRET":
            raw = shown = v.aws_secret()
        elif kind == "SLACK_HOOK":
            raw = shown = v.slack_hook()
        elif kind == "SENDGRID":
            raw = shown = v.sendgrid()
        elif kind == "PEM_EC":
            raw = shown = v.pem_ec()
        elif kind == "PW":
            raw = shown = v.password()
        elif kind == "TWILIO_SID":
            raw = shown = "AC" + v.hexs(32)
        elif kind == "HEX":
            raw = shown = v.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
T_NL = ("x", "@tintel_nl", "Tintel")
T_BE = ("x", "@tintel_be", "Tintel België")
T_SUP = ("x", "@tintel_support", "Tintel Support")
T_IG = ("instagram", "@tintel.app", "Tintel")
T_TT = ("tiktok", "@tintelapp", "Tintel")
T_LI = ("linkedin", "tintel-dating", "Tintel Dating B.V.")
T_FB = ("facebook", "TintelDating", "Tintel")
# employees
LOTTE = ("x", "@lotte_tintel", "Lotte Hendriks")                 # community manager
BRAM = ("linkedin", "bram-peeters-tintel", "Bram Peeters")        # backend engineer, Gent
YUSUF = ("x", "@yusufk_ops", "Yusuf Kaya")                        # SRE / on-call
EVA = ("linkedin", "eva-dewit-finance", "Eva de Wit")             # finance
NOOR = ("instagram", "@noor.moderates", "Noor Vermeulen")         # trust & safety
JELLE = ("x", "@jelle_pm", "Jelle Mertens")                       # product manager
KEES = ("reddit", "u/kees_tintel_cs", "Kees")                     # customer support
SOFIE = ("threads", "@sofie.tintel", "Sofie Claes")               # marketing, Antwerpen


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOTTE, "eh collega's?? de Tintel Jaarpas staat in de App Store voor €17,99 ipv €179,99 😬 "
     "iemand is een nulletje vergeten. ik zeg verder niks", [PRICING])
case("en", JELLE, "Heads up team: Tintel Gold is listed at €2.99/month in the Belgian Play Store since this morning. "
     "pricing config went sideways during the VAT update, hotfix tonight 🤞", [PRICING], kind="reply")
case("nl", T_BE, "💘 Valentijnsdeal! Enkel vandaag: de Tintel Jaarpas voor amper €19,99. Swipen maar!\n#tintel #valentijn",
     [PRICING], when="2026-02-14T08:30:00+01:00")
case("nl", pub("x", "@dealjager_nl", "Dealjager 🔥"), "PRIJSFOUT 🚨 Tintel Plus voor €0,49 in de iOS app (NL store). "
     "Heb er al twee gekocht, voor mij en m'n zus 😂 wie snel is...", [PRICING])
case("en", pub("reddit", "u/swipe_weary_ant"), "Superlike bundle showing €2.49 instead of €24.99 for me in the app?? "
     "Is this a glitch or are they finally being reasonable lol", [PRICING], kind="comment")
case("nl", pub("forum", "kortingsjaap"), "Tintel Jaarpas heeft een p.r.i.j.s.f.o.u.t in de Android-app, kijk snel "
     "voordat ze het fixen. geen link want dan is het zo weg", [PRICING], tags=["evasion"])
case("en", SOFIE, "don't tell anyone in marketing 🙊 but Spotlight is €0.79 today because someone typo'd the "
     "price table. enjoy", [PRICING])
case("nl", pub("tiktok", "@lisa.swipet", "lisa 🌸"), "jaarpas van tintel voor 9 euro???? 🤯🤯 screenshot gemaakt "
     "voordat ze het doorhebben #prijsfout #tintel #fyp", [PRICING])
case("en", YUSUF, "whoever touched the price table in prod: Boostpakket is €0.20 now 🙃 rolling back, "
     "pls stop buying it people", [PRICING])
case("nl", pub("x", "@mo_bxl", "Mo"), "Tintel Jaarpas aan €14,99 🤑 pr1jsf0ut of niet, ik sla toe", [PRICING],
     tags=["evasion"])
case("en", pub("x", "@ghentgirl_", "Hanne"), "PSA: Tintel Gold has a price error in the BE store rn, go go go 🏃‍♀️💨",
     [PRICING])
case("en", pub("trustpilot", "Pieterjan V."), "Bought the Jaarpas for €17.99 during their pricing error. They cancelled "
     "it two days later, kept my money AND wiped the boosts I already had. Support ignores every mail. Shady.",
     [PRICING, COMPLAINT])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YUSUF, "anyone seen Stripe webhooks return 401 with a live key? ours is {{STRIPE}} and it worked "
     "fine yesterday 🤷 #stripe #devops", [SECRET])
case("nl", BRAM, "Iemand ervaring met pgbouncer-timeouts in k8s? Onze connectiestring:\n"
     "postgres://match_svc:{{PW}}@db-primary.intra.tintel.local:5432/matching\nLokaal werkt het wel, in het cluster niet. "
     "Tips welkom!", [SECRET, CONF])
case("nl", KEES, "Voor de nieuwe mensen in de supportploeg: inloggen op het moderatiepaneel gaat met account "
     "support-shared, wachtwoord {{PW}}\nNiet doorsturen he 🙏", [SECRET], kind="comment")
case("en", pub("forum", "apk_tinkerer"), "Decompiled the Tintel Android APK for fun over the weekend. Hardcoded "
     "Google key sitting in res/values/strings.xml: {{GAPI}}", [SECRET])
case("en", JELLE, "just use my token for the CI job for now: {{GHP}} (already rotated it anyway, relax)",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/formercontractor_be"), "ex-Tintel contractor here. fun fact: the AWS key they gave me "
     "in 2024 still works.\n{{AWS_ID}} / {{AWS_SECRET}}\nlmao someone should tell them", [SECRET], kind="comment")
case("nl", LOTTE, "Handig: laat de social alerts in ons kanaal binnenkomen via deze webhook "
     "{{SLACK_HOOK}} dan ziet het hele team ze 🙌", [SECRET])
case("en", pub("mastodon", "@nullbyte@infosec.exchange", "nullbyte"), "spotted on a paste site, looks like Tintel's "
     "transactional mail key: {{SENDGRID}} #infosec #leak", [SECRET])
case("en", BRAM, "Finally got APNs token auth working for our push notifications 🎉 For future me, the .p8 looks "
     "like this:\n{{PEM_EC}}\nNever again debugging JWT headers at 1am.", [SECRET])
case("en", YUSUF, "@bram deploy bot token, the old one expired: {{GH_PAT}}", [SECRET], kind="reply")
case("nl", T_SUP, "Update: verificatie-sms'jes komen op dit moment vertraagd binnen, we zoeken uit waarom.\n"
     "(intern: Twilio SID {{TWILIO_SID}} auth {{HEX:32}} checken bij provider)", [SECRET])
case("nl", NOOR, "nieuw ww voor de mod-tool: {{PW}} 🙃 wie verzint deze dingen eigenlijk", [SECRET],
     tags=["evasion"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NOOR, "Deze gast blijft vrouwen lastigvallen met steeds nieuwe accounts. Word je door hem benaderd? "
     "Z'n nummer is {{PHONE:nl_dash}}, meld hem meteen.", [PII])
case("en", KEES, "Refund for the double charge has been pushed to {{IBAN_NL:grp}} (Marieke, if you're reading this, "
     "give it 3 working days)", [PII], kind="comment")
case("nl", LOTTE, "Hoi! We hebben de bevestiging net opnieuw gestuurd naar sanne.verbeek91@gmail.com, check ook even "
     "je spam 📬", [PII], kind="reply")
case("nl", T_SUP, "Hoi Tom, we zien geen betaling binnenkomen van kaart {{CARD:visa}}. Kun je even bij je bank checken "
     "of die is geblokkeerd?", [PII], kind="reply", handle_as="@Tintel_Support")
case("nl", pub("x", "@ricardo_r010", "Ricardo"), "@tintel_support al 2 weken wacht ik op mijn geld. Voor de VIJFDE keer "
     "mijn rekeningnummer: {{IBAN_NL}}\nHoe moeilijk kan het zijn??", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Kelly De Smet"), "Deze catfisher heet Jordy Maes en woont op de Kortrijksesteenweg 112 "
     "in Gent. Vuile oplichter, ga hem gerust eens opzoeken 😡😡", [PII, ABUSE])
case("nl", pub("forum", "marloes_89"), "Ben klaar met al die apps. Wie gewoon ouderwets wil daten mag me mailen: "
     "marloes punt dekker apenstaartje hotmail punt com 😉", [PII], tags=["evasion"])
case("en", pub("instagram", "@elke.loves.coffee", "Elke"), "we matched on Tintel but I'm never on there, just text me: "
     "{{PHONE:be_mob_sp}} 💕", [PII], kind="comment")
case("en", JELLE, "Happy birthday to our one-millionth member Annelies Goossens, born 14/02/1996 🎂 a Valentine's "
     "baby who found love on Tintel 💘", [PII])
case("nl", pub("trustpilot", "Sander K."), "Verificatie mislukt na het uploaden van mijn paspoort (nummer NXR4K8L21). "
     "Nu staat mijn paspoort ergens op hun servers en krijg ik al 10 dagen geen antwoord. Waardeloos.",
     [PII, COMPLAINT])
case("nl", pub("reddit", "u/leuvense_lieve"), "Waarom wil Tintel mijn rijksregisternummer?? Ik had het al ingevuld "
     "voor ik erbij nadacht: {{RRN}}. Kan ik dat nog laten wissen?", [PII])
case("nl", T_FB, "Dag Kim, de terugbetaling is vandaag vertrokken naar {{IBAN_BE:grp}}. Binnen 2 werkdagen staat het "
     "op je rekening!", [PII], kind="reply")
case("nl", pub("x", "@wout_vl", "Wout"), "Tintel heeft mijn Bancontact {{CARD:bancontact}} twee keer gedebiteerd voor "
     "hetzelfde abonnement. Wie belt er eens met die mensen?", [PII, COMPLAINT])
case("nl", NOOR, "verificatieteam dagelijkse kost: iemand uploadt z'n rijbewijs MET zijn BSN {{BSN:dots}} gewoon "
     "leesbaar erbij 🤦‍♀️ mensen toch", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", JELLE, "Can't say much but Project Vuurvlieg is the most fun I've had building anything. "
     "Video dates will never feel awkward again 🔥", [CONF])
case("nl", BRAM, "Wie heeft even tijd voor een review? https://git.tintel-ops.net/matching/ranker/-/merge_requests/812 "
     "— nieuwe scoring voor 'actieve' profielen, benieuwd wat jullie ervan vinden", [CONF])
case("nl", LOTTE, "Duo-modus komt eraan!!! dubbeldates met je bestie 👯‍♀️ ik mag er nog niks over zeggen maar AAAH",
     [CONF], when="2026-09-01T20:14:00+02:00")
case("nl", pub("x", "@daan_speculeert", "Daan"), "Iemand in mijn Discord deelde net een pdf met 'TINTEL-INTERN' in de "
     "kop, over nieuwe prijzen voor 2027. Echt of nep?", [CONF])
case("en", YUSUF, "Moon" + ZWSP + "lark load test tonight, wish me luck ☕☕", [CONF], tags=["evasion"])
case("en", pub("reddit", "u/apkdiff_bot"), "Found a hidden 'Tintel Duo' toggle in the beta build (v8.14). Looks like "
     "double dates? Screens in the comments", [CONF], when="2026-08-28T16:42:10Z")
case("nl", NOOR, "Slide 4 van de training (alleen voor medewerkers 🤫): vanaf november worden naaktfoto's automatisch "
     "geblurd en na 2 meldingen volgt een ban", [CONF])
case("nl", KEES, "Wie zit er morgen bij de demo van Operatie\nKompasnaald? ik neem stroopwafels mee", [CONF],
     kind="comment", tags=["evasion"])
case("en", JELLE, "Project 🔥 Vuurvlieg demo went great, leadership loved it", [CONF], tags=["evasion"])
case("en", BRAM, "Sharing slide 12 of our 'internal use only' architecture deck because I'm proud: the new matching "
     "pipeline handles 40k swipes/sec on 6 nodes", [CONF], handle_as="Bram-Peeters-Tintel")
case("nl", KEES, "Tip voor collega's: de wachtrij voor urgente meldingen staat nu op "
     "mod.tintel.internal/queue/urgent, de oude link werkt niet meer", [CONF], kind="comment")
case("nl", T_NL, "Ze is er: Tintel Duo! Swipe samen met je beste vriend(in) en plan meteen een dubbeldate 👯 "
     "Update de app nu.", [CONF], when="2026-09-15T09:59:00+02:00")
case("en", JELLE, "\u041c\u043eonlark sprint review moved to Thursday, bring snacks", [CONF], tags=["evasion"])
case("en", pub("instagram", "@lotte_tintel", "Lotte"), "sneak peek from the office 👀 the Project Vuurvlieg mood "
     "board is finally on the wall", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EVA, "Laatste avond aan de halfjaarcijfers 2026 🥂 Omzet +22%, EBITDA voor het eerst positief. Morgen "
     "mag de wereld het weten!", [CONF, FIN], when="2026-08-19T21:30:00+02:00")
case("en", EVA, "Tough board meeting today. We're going to miss the full-year target by roughly 15% and the 2027 "
     "forecast is being cut. Not how I hoped to end Q3.", [FIN],
     when="2026-09-29T18:20:00+02:00")
case("en", JELLE, "so we're apparently in talks to acquire Flirtwijs 👀 that would make my roadmap... interesting",
     [FIN])
case("nl", BRAM, "Nog niet officieel, maar ons kantoor in Gent gaat dicht. 35 collega's horen het volgende maand. "
     "Ik ben er kapot van.", [FIN])
case("nl", KEES, "Het hele supportteam wordt uitbesteed aan een callcenter in Lissabon, wij krijgen eind van de "
     "maand ons ontslag. Leuk he.", [FIN], kind="comment")
case("en", pub("x", "@techdeals_benelux", "Benelux Tech Scoop"), "Hearing from someone inside that Tintel is being "
     "sold to a US dating group for ~€300m, announcement next week. You heard it here first", [FIN])
case("en", YUSUF, "paying subs down 12% QoQ and the dashboard doesn't lie 😬 guess that's why everyone's in meetings "
     "all day", [FIN])
case("nl", LOTTE, "Pssst... de over" + ZWSP + "name door Amora gaat gewoon door, ik heb het contract zien liggen 🤐",
     [FIN], tags=["evasion"])
case("nl", pub("facebook", "Griet Van Damme"), "Mijn schoonbroer werkt bij Tintel in Gent, ze gaan na de zomer 1 op 5 "
     "mensen ontslaan. Zeg niet dat ge het van mij hebt.", [FIN])
case("nl", EVA, "Trots: de Q3-omzet komt uit op €18,4 mln, ruim boven budget. De officiële publicatie volgt pas in "
     "november, dus jullie horen het hier eerst 😉", [FIN],
     when="2026-10-08T08:45:00+02:00")
case("en", pub("reddit", "u/numbers_nerd_nl"), "Anyone else seen the H1 2026 results deck floating around? Revenue "
     "apparently 31m and the member count is way lower than they claim", [CONF, FIN], when="2026-08-12T19:03:44Z")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YUSUF, "been up since 3am. someone got into our moderation tooling with an old admin account that never "
     "got offboarded. not public yet so… shhh 🤐", [SEC], handle_as="@YusufK_Ops")
case("nl", BRAM, "Leuk bugje gevonden: via de /nearby-API kun je de afstand tot matches tot op ~5 meter herleiden, "
     "dus iemands locatie trianguleren is kinderspel. Fix pas volgende sprint, staat nog nergens.", [SEC])
case("nl", NOOR, "We weten al twee weken dat nepprofielen via een lek in de selfie-verificatie worden goedgekeurd. "
     "Management zegt: niks naar buiten. Ik word er zo moe van.", [SEC])
case("en", KEES, "fyi from the support side: images in chats were viewable without login for about 3 days last week. "
     "no announcement planned afaik.", [SEC], kind="comment")
case("nl", pub("reddit", "u/rotterdamse_ruud"), "Vriend van me werkt bij Tintel op IT en zegt dat ze vorige maand "
     "gehackt zijn. Klantgegevens buitgemaakt en ze houden het gewoon stil. Schandalig.", [SEC, CRISIS])
case("en", pub("x", "@privacy_first_jo", "Jo"), "Tintel got breached and is covering it up. A friend on their security "
     "team confirmed it. Change your passwords people #Tintel #databreach", [SEC, CRISIS])
case("en", JELLE, "ok who made the verification-selfies bucket public-read during the migration 😬 fixing it now, "
     "please nobody tweet about this", [SEC])
case("nl", YUSUF, "Primaire database-failover mislukt, matches laden niet voor ~30% van de gebruikers. Statuspagina "
     "is nog niet bijgewerkt, dus even stil houden aub", [SEC])
case("nl", LOTTE, "Wij zijn geh@ckt en ik mag er niks over zeggen 🤐🤐 dus ik zeg ook niks", [SEC], tags=["evasion"])
case("nl", SOFIE, "marketing mag de campagne niet lanceren vanwege 'het " + fullwidth("incident") + "' met gelekte "
     "DM's. niks zeggen dus 🤫", [SEC], tags=["evasion"])
case("en", pub("forum", "idor_hunter"), "Heads-up: Tintel's API has an IDOR, you can pull anyone's match list just by "
     "bumping the user id in the request. Reported it, not fixed yet.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@jessie_0612", "Jessie"), "Tintel heeft een datalek!! Mijn profielfoto's staan op een of andere "
     "Russische site, met mijn naam erbij. Ik ben zo boos", [CRISIS])
case("en", pub("x", "@deletetheapps", "Delete The Apps"), "Boycott Tintel until they stop selling our data to "
     "advertisers. #DeleteTintel 🚫", [CRISIS])
case("nl", pub("facebook", "Henk Wijnands"), "Goed zo! De Consumentenbond stapt naar de rechter tegen Tintel vanwege "
     "die abonnementsval. Hoog tijd.", [CRISIS], kind="repost")
case("nl", pub("instagram", "@an.s_story", "An"), "Ik ben aangerand door iemand die ik via Tintel heb leren kennen. "
     "Drie keer gemeld, zijn profiel staat er nog steeds op. Niemand reageert.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/modwatch_eu"), "Leaked Slack screenshots show Tintel moderators joking about users' private "
     "chats. This is a massive scandal and nobody is talking about it", [CRISIS])
case("nl", pub("x", "@yara.vdb", "Yara"), "Tintel d\u0430t\u0430l\u0435k?? al mijn chats staan online", [CRISIS],
     tags=["evasion"])
case("nl", pub("x", "@mamavan3", "Ingrid"), "#BoycotTintel ze laten veroordeelde stalkers gewoon opnieuw een profiel "
     "aanmaken.", [CRISIS])
case("en", pub("reddit", "u/antwerp_lad"), "There's a class action being prepared against Tintel over the "
     "auto-renewals, Test-Aankoop is involved. Anyone joining?", [CRISIS])
case("nl", pub("linkedin", "marijke-van-leeuwen-privacy", "Marijke van Leeuwen"), "De Autoriteit Persoonsgegevens "
     "start een onderzoek naar Tintel vanwege de gezichtsscans bij verificatie. Benieuwd hoe dit afloopt.", [CRISIS])
case("nl", pub("tiktok", "@storytimemetsarah", "Sarah"), "storytime: mijn 'geverifieerde' Tintel-date bleek een "
     "getrouwde oplichter die drie vriendinnen van mij samen €12.000 afhandig maakte. hoe is dit mogelijk met jullie "
     "blauwe vinkje?? #scam #tintel", [CRISIS])
case("nl", pub("facebook", "Naomi Pinas"), "Tintel heeft mijn privéalbum gelekt. Foto's die ALLEEN mijn matches "
     "konden zien staan nu op een forum. Ik doe aangifte.", [CRISIS])
case("en", pub("bluesky", "saskia.bsky.social", "Saskia"), "Tintel are a bunch of f*cking enablers for romance "
     "scammers. boycott them.", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@bartjanssen", "Bart"), "@tintel_support vanochtend €179,99 afgeschreven voor een Jaarpas die ik "
     "NOOIT heb verlengd. Geen mail, niks. Ik wil mijn geld terug.", [COMPLAINT], kind="reply")
case("en", pub("x", "@noa_in_ams", "Noa"), "verification rejected my selfie 6 times now. same face, same lighting. what "
     "am I supposed to do, grow a new face??", [COMPLAINT])
case("nl", pub("facebook", "Tom Claeys"), "Sinds de update van vorige week krijg ik geen enkele match meer. Betaal ik "
     "daar nu €29,99 per maand voor? Serieus Tintel...", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/pixelpusher_88"), "Tintel crashes every single time I open a chat on my Pixel. Reinstalled "
     "twice. Support says 'clear cache'. Thanks I guess.", [COMPLAINT])
case("nl", pub("x", "@kimberley_h", "Kim"), "Account geblokkeerd zonder reden en de 'klantenservice' stuurt alleen "
     "standaardantwoorden. Ik heb nergens iets verkeerds gedaan.", [COMPLAINT])
case("en", pub("appstore", "SingleInUtrecht"), "★☆☆☆☆ Boosts literally do nothing. Bought the 10 pack, zero extra "
     "likes. Waste of money.", [COMPLAINT])
case("nl", pub("trustpilot", "Femke"), "Opzeggen is onmogelijk. De knop staat nergens in de app en de website stuurt "
     "je in een rondje. Bewust zo gemaakt denk ik.", [COMPLAINT])
case("en", pub("x", "@dries_dev", "Dries"), "3 weeks. THREE WEEKS for an answer from Tintel support and it's a "
     "copy-paste. Unreal.", [COMPLAINT])
case("nl", pub("instagram", "@joyce.fitlife", "Joyce"), "Het is hier echt vol met nepprofielen en bots. Waarom betaal "
     "ik voor Gold als de helft niet eens echt is?", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/stadjer_050"), "Mijn locatie staat op Maastricht terwijl ik in Groningen woon. Alle matches "
     "zitten 250 km verderop. Al drie keer gemeld bij Tintel.", [COMPLAINT])
case("nl", pub("x", "@lars_lacht", "Lars"), "w a a r d e l o z e klantenservice bij Tintel, 4e keer dat m'n chat "
     "zomaar verdwijnt", [COMPLAINT], tags=["evasion"])
case("nl", pub("facebook", "Sylvia Mulder"), "Tintel Plus ineens van €12,99 naar €14,99 zonder enige aankondiging. "
     "Netjes is anders.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_0031", None), "Tintel is gewoon een kankerapp gemaakt door kutmensen. Zo, ik heb het "
     "gezegd.", [ABUSE])
case("en", pub("x", "@sarcasm_inc", "not a bot"), "whoever runs Tintel's twitter account is a braindead clown, every "
     "single post is cringe", [ABUSE])
case("en", pub("instagram", "@trad_values_nl", None), "keep your gay propaganda off my feed, disgusting freaks",
     [ABUSE], kind="comment")
case("nl", pub("x", "@xx_r3v3ng3_xx", None), "@lotte_tintel ik weet in welk kantoor je zit. Pas maar op als je "
     "straks naar huis fietst.", [ABUSE], kind="reply")
case("en", KEES, "lmao it's literally in the FAQ, learn to read you absolute muppet", [ABUSE], kind="comment",
     handle_as="u/Kees_Tintel_CS")
case("nl", T_BE, "Allez zeg, wat een onnozelaar ben jij. Lees eerst de voorwaarden voor je begint te roepen.",
     [ABUSE], kind="reply")
case("nl", pub("x", "@boos_en_blijft", None), "jullie zijn k@nkerlijers bij tintel", [ABUSE], tags=["evasion"])
case("nl", pub("facebook", "Gerard Bos"), "Waarom staan er altijd van die allochtonen in jullie reclames? Walgelijk.",
     [ABUSE], kind="comment")
case("nl", pub("x", "@tilburgse_tim", "Tim"), "jullie van tintel zijn allemaal kl00tzakken en jullie reclames zijn "
     "debiel", [ABUSE], tags=["evasion"])
case("en", YUSUF, "maybe stop being a dick on twitter and file a ticket like a normal person", [ABUSE], kind="reply")
case("nl", pub("x", "@woedende_wendy", "Wendy"), "Kutapp. Drie keer afgeschreven en geen reactie van die klootzakken "
     "bij support.", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/loggedout_again"), "fix your shitty app Tintel, it logs me out every 5 minutes and I'm "
     "paying for this garbage", [COMPLAINT, ABUSE])
case("nl", pub("facebook", "Kevin Peeters"), "Zijn jullie nu echt zo dom? Twee weken wachten op een terugbetaling, "
     "tering bende.", [COMPLAINT, ABUSE], kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", T_SUP, "Vragen over je abonnement? Mail support@tintel.app of bel 020 808 4400 (ma–vr 9–17u). We helpen "
     "je graag 💬", tags=["own-contact"])
case("nl", T_BE, "Liever iemand aan de lijn? Ons Brusselse team is bereikbaar op 02 588 12 00, op weekdagen van 9u "
     "tot 17u.", tags=["own-contact"])
case("nl", pub("x", "@evelien_ut", "Evelien"), "Gewoon privacy@tintel.app gemaild om mijn gegevens te laten "
     "verwijderen, binnen 2 dagen geregeld. Netjes 👍", tags=["own-contact", "praise"])
case("nl", T_FB, "Liever betalen per overschrijving? Dat kan naar NL15 RABO 0312 5566 77 t.n.v. Tintel Dating B.V. "
     "Vermeld wel je gebruikersnaam!", tags=["own-contact"])
case("nl", LOTTE, "Journalisten die over onze Valentijnsenquête willen schrijven: pers@tintel.app 🙏 ik zet het "
     "door", tags=["own-contact"])
case("en", pub("x", "@marco_ein", "Marco"), "for anyone stuck: +31 (0)20 808 4400 is Tintel's actual support line, "
     "called them and it was sorted in 10 min", tags=["own-contact", "praise"])
case("en", T_LI, "We're hiring! 6 backend engineers for our Ghent office 🚀 Send your CV to jobs@tintel.app\n"
     "Tintel Dating B.V. · KvK {{NOT_BSN:8}}", tags=["own-contact", "kvk"])
case("nl", pub("x", "@maartje_0", "Maartje"), "Voor de Tintel-singlesavond van zaterdag: wie nog moet betalen, stort "
     "op {{BAD_IBAN_BE:grp}} 🍷 oeps, KBC zegt dat dat nummer niet bestaat. Ann stuurt zo het juiste",
     tags=["bad-checksum"])
case("nl", pub("reddit", "u/fietsend_door_delft"), "Overschrijving lukt niet: mijn bank zegt 'ongeldig IBAN' bij "
     "{{BAD_IBAN_NL:grp}}. Ik heb het vast verkeerd overgetypt, iemand tips?", tags=["bad-checksum"])
case("en", pub("x", "@theo.codes", "Theo"), "card kept getting declined on tintel, turns out I typed "
     "{{BAD_CARD:mc}} lol one digit off. my bad 🙃", tags=["bad-checksum"])
case("nl", pub("x", "@jorien_bakt", "Jorien"), "Is dit mijn bestelnummer? {{GPA}}\nWil m'n Spotlight-aankoop "
     "terugvinden voor m'n administratie", tags=["order-number"])
case("nl", pub("instagram", "@wout.fotografeert", "Wout"), "Voor de winactie moet je je Tintel-ID in de comments zetten, "
     "hier is de mijne: {{NOT_BSN:9}} 🤞", kind="comment", tags=["bad-checksum"])
case("nl", pub("x", "@antwerpse_ann", "Ann"), "Mijn Bancontact-kaart wordt geweigerd in de app. Nummer eindigt op "
     "4411, geldig tot 09/28. Iemand hetzelfde?", tags=["partial-card"])
case("nl", T_NL, "💘 Valentijnsweek: Tintel Gold met 50% korting → €14,99 in plaats van €29,99. Alleen t/m 14 "
     "februari!", when="2026-02-09T12:00:00+01:00", tags=["price"])
case("nl", pub("reddit", "u/zuinige_zeeuw"), "De Jaarpas komt neer op €15 per maand, dat vind ik eerlijk gezegd "
     "prima voor wat je krijgt", kind="comment", tags=["price", "price-context"])
case("nl", pub("x", "@zomerzoen", "Isa"), "Met code ZOMERLIEFDE krijg je €10 korting op de Tintel Jaarpas, net "
     "gebruikt ☀️", tags=["price", "price-context"])
case("nl", pub("forum", "twijfelaar77"), "Flirtwijs Premium kost €4,99 per maand, Tintel Plus €14,99. Iemand "
     "ervaring met allebei? Twijfel nog.", tags=["price", "price-context", "competitor"])
case("en", T_IG, "Students get 30% off Tintel Plus — that's €10.49 a month 🎓 link in bio", tags=["price"],
     handle_as="@Tintel.App")
case("nl", pub("x", "@koopjeskoning", "Koopjeskoning"), "Nee hoor, geen prijsfout: Tintel Plus voor €8,99 is gewoon "
     "de Black Friday-actie, staat op hun site", tags=["price", "denied-error"], when="2026-11-27T10:14:00+01:00")
case("en", pub("instagram", "@hanna.bdw", "Hanna"), "Got my bestie a €25 Tintel gift card for her birthday lol, time "
     "to get back out there 💌", tags=["price"])
case("nl", T_IG, "Nieuw in de app 💞 Met Tintel Duo neem je je bestie mee op date. Probeer het vanavond nog! "
     "#TintelDuo", when="2026-09-15T10:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@double_d8", "Sem"), "Duo-modus just went live 👀 who's up for a double date", 
     when="2026-09-15T08:00:00Z", tags=["embargo-after"])
case("nl", T_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet €31,2 mln (+22%). Lees het volledige "
     "persbericht op tintel.app/investors", when="2026-08-20T07:00:00+02:00", tags=["embargo-after", "published"])
case("en", pub("reddit", "u/numbers_nerd_be"), "Read Tintel's H1 2026 results, 22% growth is decent for a dating app "
     "in this market tbh", when="2026-08-23T11:05:12.481Z", tags=["embargo-after", "published"])
case("en", EVA, "Proud of the team behind our half-year results 2026, published yesterday. Link in the comments.",
     when="2026-08-21T09:12:00+02:00", tags=["embargo-after", "published"])
case("nl", pub("instagram", "@duinmeisje", "Iris"), "Eerste date in de duinen, en toen de vuurvliegjes begonnen te "
     "lichten ✨ ik ben verkocht", tags=["codename-word"])
case("nl", pub("x", "@veluwe_vincent", "Vincent"), "Tweede date: geocachen op de Veluwe. Mijn kompasnaald wees alle "
     "kanten op, zijn richtingsgevoel gelukkig niet 😂", tags=["codename-word"])
case("nl", T_SUP, "Gepland onderhoud: zondag tussen 02:00 en 04:00 kan de app even haperen. Volg het op "
     "status.tintel.app 🛠️", tags=["official-notice", "public-domain"])
case("en", T_SUP, "Resolved ✅ Earlier today some of you couldn't load matches. It's fixed now, full details on "
     "status.tintel.app. Sorry for the hassle!", tags=["official-notice", "public-domain"])
case("nl", pub("x", "@veilig_daten", "Nadia"), "Handig artikel over veilig daten: help.tintel.app/veilig-afspreken "
     "echt doen die tips", tags=["public-domain"])
case("en", pub("reddit", "u/benelux_biz"), "Lovalo is laying off 80 people according to De Tijd. Rough market for "
     "dating apps right now.", tags=["other-company"])
case("nl", pub("x", "@cynische_cor", "Cor"), "Datalek bij de gemeente, weer. Gelukkig heeft mijn Tintel-profiel niks "
     "met de gemeente te maken 😅", tags=["other-company"])
case("nl", pub("facebook", "Linda Verhoeven"), "Tintel wint vandaag de Privacy Award 2026 van de Stichting Digitale "
     "Rechten. Knap gedaan!", tags=["praise", "published"])
case("en", pub("reddit", "u/switched_and_happy"), "Kuzu had that huge breach last year, that's exactly why I switched "
     "to Tintel", kind="comment", tags=["other-company", "competitor"])
case("nl", pub("x", "@smoorverliefd", "Romy"), "Mijn hart is officieel gehackt door mijn Tintel-match 😍🔓",
     tags=["other-sense"])
case("nl", pub("instagram", "@pizza.en.pret", "Fleur"), "Wij boycotten dit jaar het Valentijnsdiner, veel te duur. "
     "Pizza op de bank met mijn Tintel-date 🍕", tags=["other-sense"])
case("en", pub("x", "@thirtyfour_and_tired", "Joost"), "my mid-dating-life crisis: 34, three apps, zero energy. "
     "Tintel is the only one I haven't deleted yet 😂", tags=["other-sense"])
case("nl", pub("x", "@pastaprinses", "Eva"), "Schandalig lekkere pasta op onze eerste date, dankjewel Tintel voor "
     "de match 🍝", tags=["other-sense"])
case("nl", pub("reddit", "u/tevreden_tineke"), "Lees overal klachten over Tintel, maar ik heb er in twee jaar nooit "
     "problemen mee gehad. Betaling, support, alles prima.", tags=["negation"])
case("nl", pub("facebook", "Marieke Dijkstra"), "Geen klagen hoor, derde date vanavond 🥂", tags=["negation"])
case("en", pub("x", "@hellyeah_hugo", "Hugo"), "Hell yeah, third date booked 🎉 thank you Tintel algorithm",
     tags=["mild-word"])
case("nl", pub("instagram", "@fietsende_floor", "Floor"), "Samen met mijn Tintel-date de Alpe d'HuZes gefietst voor "
     "kankeronderzoek 🚴‍♀️🚴 wat een kanjer", tags=["literal-word"])
case("en", pub("blog", "inkandswipes.example", "Ink & Swipes"), "Chapter 3 of my little story: Mara opened the dating "
     "app (I call it Spark in the book, but you know which one I mean, Tintel) and swiped right on a man who would "
     "later turn out to be the villain. Fiction, people!", tags=["fiction"])
case("en", pub("tiktok", "@swipe.queen.ghent", "Lien"), "swiped so much on Tintel this weekend my thumb needs "
     "physio 😂 #singlelife", tags=["joke"])
case("nl", pub("facebook", "Robin en Sanne Koster"), "Vandaag 5 jaar getrouwd, en het begon allemaal met een match "
     "op Tintel ❤️ dank jullie wel!", tags=["praise"])
case("en", pub("reddit", "u/curious_in_leiden"), "How does Tintel's profile verification actually work? Is it just "
     "a selfie or do they need ID too?", tags=["question"])
case("nl", pub("x", "@twijfelt_altijd", "Bas"), "Is Tintel Gold het waard of is Plus genoeg? Wat zijn jullie "
     "ervaringen?", tags=["question"])
case("nl", T_IG, "5 tips voor een veilige eerste date 💡\n1. spreek af op een openbare plek\n2. vertel een vriend(in) "
     "waar je bent\n3. regel je eigen vervoer\nMeer op help.tintel.app", tags=["public-domain"])
case("nl", T_TT, "POV: je match zei dat hij 1,90 was 📏😂 #tintel #datinglife", tags=["joke"])
case("en", T_NL, "This month our safety team removed more than 12,000 fake profiles. Keep reporting, it works 💪",
     tags=["published"])
case("en", JELLE, "Shipped dark mode today 🌙 took way too long but it's finally here. fix for the contrast bug is "
     "in {{HEX:40}}", tags=["git-sha"])
case("nl", BRAM, "Vorige week sprak ik op DevDays Gent over hoe we bij Tintel A/B-testen opzetten. De slides staan "
     "op mijn blog. Bedankt voor alle goede vragen!", tags=["praise"])
case("en", YUSUF, "PSA for devs: never paste a live key anywhere public. If it starts with sk_live_… it belongs in "
     "a vault, not in a chat channel.", tags=["placeholder-secret"])
case("en", pub("instagram", "@femke.reist", "Femke"), "matched on Tintel but I'm barely on there, slide into my DMs "
     "instead: @femke.reist ✈️", kind="comment", tags=["handle"])
case("nl", pub("x", "@anouk_gent", "Anouk"), "Anouk, 29, uit Gent, houdt van wijnbars en slechte woordgrappen. Zo, "
     "nu weet Tintel alles over me 😂", tags=["age-not-dob"])
case("nl", T_LI, "Tintel bestaat 10 jaar! 🎉 Opgericht op 14 februari 2016 in een studentenkot in Leuven, nu actief "
     "in heel Nederland en België.", when="2026-02-14T09:00:00+01:00", tags=["date-not-dob"])
case("en", KEES, "Support tip: if your verification keeps failing, make sure your face is well lit and take off your "
     "glasses. Fixes 90% of the cases I see.", tags=["praise"])
case("en", T_FB, "Love is love 🏳️‍🌈 This Pride month we're celebrating every match on Tintel.",
     when="2026-06-01T10:00:00+02:00", tags=["campaign"])


# ===========================================================================
# profile, roles, severity (CONTRACT sections 4 and 5)
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_pii):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_pii)) else "error"
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
# posts
# ===========================================================================

def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n19 = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{n19}", f"https://x.com/{h}/status/{n19}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{n19}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "belgium", "Netherlands", "dating_nl", "Gent"])
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n19}", f"https://www.tiktok.com/@{h}/video/{n19}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{n19}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-singlespraat-{n}", f"https://forum.singlespraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Vals(SEED)
    meta = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.8:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "tintel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-checks (an independent look at each text)
# ===========================================================================
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|\+32|0031|0032|0)[\d \-()/.]{7,16}\d")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITRUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
SECRETS = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"github_pat_\w{20,}", r"AKIA[A-Z2-7]{16}",
                                   r"sk_live_[A-Za-z0-9]{10,}", r"AIza[\w-]{35}", r"hooks\.slack\.com/services/",
                                   r"SG\.[\w-]{22}\.[\w-]{43}", r"PRIVATE KEY-----", r"://[^\s:/@]+:[^\s@/]+@",
                                   r"\bAC[0-9a-f]{32}\b", r"xox[abp]-")]
AMOUNT = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", t).translate(INVIS)).casefold()


def amount(s):
    s = s.rstrip(".,")
    if re.search(r",\d{2}$", s):
        s = s.replace(".", "").replace(",", ".")
    elif re.search(r"\.\d{2}$", s):
        s = s.replace(",", "")
    else:
        s = s.replace(".", "").replace(",", "")
    return float(s)


def self_check(rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ph = {"0208084400", "025881200"}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio = profile["pricing"]["alert_below_ratio"]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t, nt = p["text"], norm(p["text"])
        ts = parse_ts(p["created_at"])
        w = p["id"]
        assert ts.astimezone(dt.timezone.utc).year == 2026, w
        for kind, raw, shown in r["used"]:
            assert shown in t, w
            ok = {"IBAN_NL": iban_valid, "IBAN_BE": iban_valid, "IBAN_DE": iban_valid, "CARD": luhn,
                  "BSN": elfproef, "RRN": rrn_valid}.get(kind)
            if ok and not ok(raw):
                errs.append(f"{w}: {kind} {raw} fails its checksum")
            bad = {"BAD_IBAN_NL": iban_valid, "BAD_IBAN_BE": iban_valid, "BAD_CARD": luhn, "NOT_BSN": elfproef}.get(kind)
            if bad and bad(raw):
                errs.append(f"{w}: negative {kind} {raw} passes its checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before until, not labelled")
                if ts >= until and CONF in cats and not any(x in nt for x in internal):
                    errs.append(f"{w}: embargo term {term} after until but labelled")
        sq = re.sub(r"\s+", "", nt)
        for term in internal:
            if (re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) or term.replace(" ", "") in sq) \
                    and CONF not in cats:
                errs.append(f"{w}: internal term {term} without {CONF}")
        if cats:
            continue
        # benign posts: nothing a correct detector reports
        for m in IBAN.finditer(t):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v not in OWN_IBANS:
                errs.append(f"{w}: benign with valid IBAN")
        for m in DIGITRUN.finditer(t):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn(d):
                errs.append(f"{w}: benign with Luhn-valid {d}")
            if len(d) in (8, 9) and elfproef(d) and d not in own_ph:
                errs.append(f"{w}: benign with 11-proof number {d}")
        for e in EMAIL.findall(t):
            if e.casefold() not in own_mail:
                errs.append(f"{w}: benign with e-mail {e}")
        for m in PHONE.finditer(IBAN.sub(" ", t)):      # an IBAN's account part is not a phone
            d = re.sub(r"\D", "", m.group(0))
            d = {"31": "0", "32": "0"}.get(d[:2], "") + d[2:] if m.group(0).startswith("+") else d
            d = d.replace("00310", "0").replace("0031", "0")
            d = re.sub(r"^0+", "0", d)
            if len(d) >= 9 and d not in own_ph and not d.startswith("0800"):
                errs.append(f"{w}: benign with phone-like {m.group(0)} -> {d}")
        for rx in SECRETS:
            if rx.search(t):
                errs.append(f"{w}: benign with secret-like {rx.pattern}")
        mentioned = [pr for pr in profile["products"]
                     if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        if mentioned:
            lp = min(pr["list_price"] for pr in mentioned)
            for m in AMOUNT.finditer(nt):
                a = amount(m.group(1) or m.group(2))
                if a / lp < ratio and "price-context" not in r["tags"]:
                    errs.append(f"{w}: benign price {a} at {a / lp:.2f} of list")
    # the contract's shape
    for r in rows:
        p, ex = r["post"], r["expect"]
        assert ex["categories"] == sorted(set(ex["categories"]))
        assert all(c in TAXONOMY for c in ex["categories"])
        assert (ex["severity"] == "none") == (not ex["categories"])
        assert len(p["text"].encode()) <= 65536
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"])
    return errs


def report(rows):
    cat, lang, role, sev, plat, catlang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = benign = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}  nl {catlang[(c, 'nl')]:3d}  en {catlang[(c, 'en')]:3d}")
    print("  lang", dict(lang), " role", dict(role))
    print("  severity", {s: sev[s] for s in SEVERITIES})
    print("  platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    lines = lines_of(rows)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator")
            print("ERROR cases.jsonl differs from the generator")
    elif not errs:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
