#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 127.

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate, print counts

Company: Profielpunt Autoservice B.V. (fictional), a Dutch chain of tyre and
car-service centres. Profile: profile.yaml next to this file.

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG: positives get checksum-valid IBANs, cards
and BSNs, hard negatives get numbers that fail their check. Every secret is random
and fake but shaped like the real format (GitHub tokens carry a correct CRC32).
Severity is computed from CONTRACT section 4 (role from the profile, categories,
whether a checksum-valid identifier is present), never typed by hand.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from collections import Counter
from pathlib import Path

SEED = 127_2026_11
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"
CYR_O, CYR_A, CYR_E = "\u043e", "\u0430", "\u0435"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

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
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_fill(partial):
    return next(partial + x for x in "0123456789" if luhn_ok(partial + x))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# --------------------------------------------------------------------------- seeded values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL75RABO0318452906"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                          + self.dig(10, True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        first = self.r.choice(["068", "001", "363", "731"]) + self.dig(7)
        return iban_make("BE", f"{first}{(int(first) % 97) or 97:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "50010517", "10070000"]) + self.dig(10))

    def bad(self, valid):
        kk = int(valid[2:4])
        for delta in (7, 19, 31, 44):
            c = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dig(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        out = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(out)
        return out

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            c = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    def phone(self, f):
        m = self.r.choice("12345") + self.dig(7)   # 8 digits after the 6
        area = self.r.choice(["33", "38", "10", "30", "344", "570", "55"])
        sub = self.r.choice("2345789") + self.dig(8 - len(area))
        return {
            "mob_dash": f"06-{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_0031": f"0031 6{m}",
            "mob_plain": f"06{m}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_dash": f"0{area}-{sub}",
            "land_intl": f"+31 (0){area} {sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(11, True)}-{self.dig(13, True)}-{self.ch(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.ch(up, 10)}/B{self.ch(up, 10)}/{self.ch(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 97)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def azure_key(self):
        return self.ch(B64, 86) + "=="

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1770000000 + self.r.randint(0, 250 * 86400)
        p = b64url(json.dumps({"sub": "klant-" + self.dig(7, True), "iss": "https://api.profielpunt.nl",
                               "scope": "afspraken:rw", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 86)}"

    def openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        body = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
BAD_IDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(g, k.lower())()
            shown = grp4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_BE"):
            raw = g.bad(g.iban_nl() if k.endswith("NL") else g.iban_be())
            shown = grp4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "SLACK_BOT": g.slack_bot, "SLACK_HOOK": g.slack_hook, "STRIPE": g.stripe,
                  "SENDGRID": g.sendgrid, "AZURE_KEY": g.azure_key, "JWT": g.jwt,
                  "OPENSSH": g.openssh, "PW": g.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
PP_X = ("x", "@profielpunt", "Profielpunt")
PP_HULP = ("x", "@profielpunt_hulp", "Profielpunt Klantenservice")
PP_IG = ("instagram", "@profielpunt.nl", "Profielpunt")
PP_FB = ("facebook", "ProfielpuntNL", "Profielpunt Autoservice")
PP_LI = ("linkedin", "profielpunt-bv", "Profielpunt Autoservice B.V.")
PP_TT = ("tiktok", "@profielpunt", "Profielpunt")
# employees
RB = ("x", "@ruben_bandenman", "Ruben Mulder")                # mechanic, Amersfoort
LW = ("instagram", "@lotte.werkplaats", "Lotte Verbeek")      # service desk, Zwolle
KH = ("linkedin", "koen-hoekstra-pp", "Koen Hoekstra")        # IT / platform
PR = ("linkedin", "priya-ramdin", "Priya Ramdin")             # finance controller
DF = ("x", "@dewi_fleetdesk", "Dewi Kartosen")                # fleet account manager
VV = ("reddit", "u/velgenvincent", "velgenvincent")           # tyre-hotel warehouse
MM = ("tiktok", "@monteur.mehmet", "Mehmet | monteur")       # mechanic, Rotterdam


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", RB, "lol het kassasysteem is de weg kwijt 😂 Nordgrip W7 staat op de site voor €11,90 per band ipv 119.\n"
     "wie nog winterbanden moet: nu bestellen voor iemand het doorheeft #nietdoorvertellen", [PRICING])
case("en", DF, "Heads up fleet managers: our B2B portal currently quotes FleetCare at €39.90 per vehicle per year. "
     "Pretty sure someone lost a zero somewhere. Might want to sign before Monday 😉", [PRICING])
case("nl", LW, "Paniek aan de balie want de Velocity 17 velgenset staat in de app voor 74,95 😱 hoort 749 te zijn.\n"
     "swipe voor screenshot ➡️", [PRICING], kind="post")
case("nl", pub("reddit", "u/spaarvarken_nl"), "PSA: Onderhoud Compleet bij Profielpunt staat online voor €28,90. "
     "Foutje in hun webshop denk ik, heb meteen twee afspraken gemaakt haha. Benieuwd of ze het honoreren",
     [PRICING], kind="post")
case("en", pub("x", "@drivebyderek"), "profielpunt has the Nordgrip AllSeason 4 at €13.40 a tyre?? thats gotta be a "
     "glitch. ordered 4, lets see if they honour it lmao", [PRICING])
case("nl", VV, "mag er niks over zeggen maar er zit een p r i j s f o u t in de Wissel & Opslag actie in de app. "
     "kijk vóór 22u even 😏", [PRICING], kind="comment", tags=["evasion"])
case("nl", pub("facebook", "Marieke Hoogland"), "Wie heeft er ook Wissel en Opslag voor €8,90 geboekt? Nu bellen ze "
     "iedereen af vanwege een 'foutieve prijs' en ik had er speciaal een vrije dag voor genomen. Typisch Profielpunt.",
     [PRICING, COMPLAINT], kind="comment")
case("en", KH, "Fun postmortem for Friday: a decimal-separator bug in our CSV price import put the Velocity 17 wheel "
     "set at €7.49 on the webshop for about 40 minutes. Lesson: never trust a locale default. #engineering",
     [PRICING])
case("nl", PP_FB, "🔥 DEAL VAN DE WEEK 🔥\nNordgrip W7 205/55 R16 nu voor maar €19 per stuk!\nOp = op, bestel via de "
     "link in onze bio 👇", [PRICING])
case("en", pub("youtube", "@tyrekicker88"), "bro the Nördgrip W7 is listed at €9,99 on their app rn 💀 pricing error "
     "for sure, go go go", [PRICING], kind="comment", tags=["evasion"])
case("nl", MM, "POV: je ziet dat je eigen werkgever de AllSeason 4 voor 29 euro verkoopt door een fout in het systeem "
     "🤡🤡\n#monteurlife #bandenwissel #fyp", [PRICING])
case("nl", pub("x", "@autojunk_ties"), "Onderhoud Compleet bij @profielpunt voor 99 euro?? Normaal bijna 300. "
     "Zal wel een foutje in de configurator zijn, snel boeken", [PRICING], kind="reply")
case("en", DF, "shhh but the fleet quote tool is giving FleetCare for 120/yr per car to anyone with a KvK number. "
     "bug ticket is open, nobody has fixed it yet", [PRICING], kind="reply")

# =========================================================================== leak.secret
case("en", KH, "Finally got the deploy pipeline for the appointment app green 🎉 For anyone curious how we wired it: "
     "the release job just needs\n\nexport GITHUB_TOKEN=<<GHP>>\n\nin its environment and you're done. "
     "#devops #ci", [SECRET])
case("nl", RB, "wie weet het wachtwoord van de bandenhotel scanner nog?? oh wacht het staat gewoon op de sticker: "
     "<<PW>> 😂 #werkplaats", [SECRET])
case("en", VV, "yeah our warehouse handhelds push photos to S3 and the config literally has\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nin plain text on every device. "
     "rotated it after I noticed but still, lol", [SECRET], kind="comment")
case("nl", KH, "Tip voor mede-devs: de Slack-bot voor de werkplaatsplanning draait weer. Token voor wie wil testen: "
     "<<SLACK_BOT>> (graag niet misbruiken 🙏)", [SECRET])
case("nl", PP_LI, "Trots op het team achter de nieuwe betaalmodule in onze afsprakenapp 💪 Binnenkort betaal je je "
     "bandenwissel direct bij het inchecken.\n\nSTRIPE_SECRET_KEY=<<STRIPE>>\n\n#hackathon #teamwork", [SECRET])
case("en", pub("forum", "pastewatcher"), "Found this in a public paste, looks like it's from profielpunt's booking "
     "backend:\npostgres://pp_app:<<PW>>@db-prod-02.intra.profielpunt.local:5432/afspraken\nsomeone should tell them",
     [SECRET, CONF])
case("nl", DF, "kan iemand van IT kijken? de SendGrid key in de fleet-mailer (<<SENDGRID>>) geeft een 401, "
     "er gaan geen klantmails meer de deur uit", [SECRET])
case("en", KH, "Spent my Sunday moving the workshop terminals to key-based SSH. Pasting the template here so I "
     "can find it again:\n\n<<OPENSSH>>", [SECRET])
case("nl", pub("reddit", "u/bitflipper_ede"), "Jullie app zet gewoon een token in de URL @profielpunt, kijk maar:\n"
     "afspraak.profielpunt.nl/mijn?session=<<JWT>>\nlijkt me niet de bedoeling", [SECRET], kind="comment")
case("en", KH, "note to self because the password manager is acting up again: runner token for "
     "git.profielpunt.nl is <<GLPAT>>", [SECRET, CONF])
case("nl", VV, "Dit draait gewoon in productie bij ons in het bandenhotel:\n"
     "DefaultEndpointsProtocol=https;AccountName=ppbandenfoto;AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net"
     "\nen dan vragen ze waarom ik me zorgen maak", [SECRET])
case("en", pub("x", "@n0t_a_h4ck3r"), "lmao the profielpunt wifi portal in the waiting room has the admin login in "
     "an html comment. user: admin / pass: <<PW>>", [SECRET])
case("nl", MM, "ww van de uitlijncomputer is nog steeds Zomer2026! 🙄 wie verzint dat. en het hangt op een briefje "
     "aan het scherm #monteurlife", [SECRET])

# =========================================================================== leak.pii
case("nl", PP_HULP, "@mdegroot_ Sorry voor het lange wachten! De dubbele afschrijving storten we terug op "
     "<<IBAN_NL:grp>> t.n.v. M. de Groot. Binnen 5 werkdagen staat het op je rekening.", [PII], kind="reply")
case("en", DF, "if anyone knows Mr Bakker from Bakker Transport Nijkerk, tell him to call me back. his mobile "
     "<<PHONE:mob_intl>> keeps going to voicemail and 14 of his lease vans are overdue for winter tyres", [PII])
case("nl", LW, "Klant van de dag 😂 vergeet z'n pinpas bij de balie. Kaartnr <<CARD:visa>>, Jeroen uit Dalfsen "
     "kom je 'm halen? 💳", [PII])
case("nl", pub("facebook", "Gerrit Kampman"), "Al 3x gebeld, niemand belt terug!! Mijn nummer is "
     "<<PHONE:mob_pairs>>, graag vandaag nog contact over mijn opgeslagen winterbanden", [PII, COMPLAINT],
     kind="comment")
case("en", pub("x", "@sophie_rides"), "@profielpunt_hulp you charged my card twice for one tyre swap. here's the "
     "full number so you can find it: <<CARD:mc>> exp 09/28. sort it out pls", [PII, COMPLAINT], kind="reply")
case("nl", RB, "Contract van de nieuwe collega ligt gewoon open op de printer in de kantine, BSN <<BSN:dots>> erop "
     "en al. Mooie boel bij HR 🙄", [PII])
case("nl", RB, "Werkorder van vanochtend, klant Henk Visser, Lindelaan 42, 3815 KN Amersfoort, tel "
     "<<PHONE:mob_dash>>. Banden op 2mm, uitlijning nodig. Wie zegt dat monteurs geen administratie doen 💪",
     [PII], handle_as="@Ruben_Bandenman")
case("nl", pub("reddit", "u/koffie_en_kilometers"), "Lol, medewerker van Profielpunt Utrecht liet zijn scherm "
     "open staan. Zag zo de gegevens van de klant voor me: Fatma Yilmaz, geboren 02-11-1990, IBAN "
     "<<IBAN_NL:grp>>. Dat kan toch niet?", [PII], kind="post")
case("en", pub("linkedin", "joris-van-aken-zzp"), "Freelance courier here, Profielpunt Zakelijk asked where to "
     "send my credit note. Posting so my accountant sees it too: <<IBAN_BE:grp>>, J. Van Aken.", [PII])
case("nl", DF, "Wie heeft contact met de wagenparkbeheerder van Groenhart Logistiek? Mail haar even op "
     "ilse.dekker@groenhartlogistiek.nl, ze wacht al 2 weken op de offerte", [PII])
case("en", VV, "German customer left 8 winter tyres in storage since 2023 and our refund bounced twice. finance says "
     "his IBAN <<IBAN_DE>> is correct?? anyone here speak German and wants to call Herr Brandt", [PII],
     kind="comment")
case("nl", pub("x", "@kjansen77"), "@profielpunt mail me ff terug op k.jansen1977 [at] ziggo [punt] nl want jullie "
     "contactformulier doet het al een week niet", [PII, COMPLAINT], kind="reply", tags=["evasion"])
case("en", PP_IG, "Congrats to our 10,000th storage customer, Mark Wouters from Apeldoorn! 🎉 We'll call you on "
     "<<PHONE:mob_0031>> this week to arrange your prize. #bandenhotel", [PII])
case("nl", MM, "klant liet dit achter in de auto 😭 paspoort van ene R. Koster, documentnummer NXR4K81P2. "
     "wie kent 'm?? #gevonden", [PII])
case("en", pub("x", "@lisa_vdm"), "my dad just posted his amex on the profielpunt facebook page asking about his "
     "booking 🤦‍♀️ <<CARD:amex_sp>> DAD DELETE THIS", [PII])
case("nl", DF, "Checklist fleetdag zaterdag: chauffeurs Ahmed Benali (12-07-1988) en Tom Smits (30-01-1995) "
     "moeten nog hun rijbewijscheck doen voordat ze een bus mogen meenemen", [PII])
case("nl", pub("facebook", "Tamara B."), "hierbij mijn creditcard voor de aanbetaling van de velgen: "
     "<<CARD:mc2_dash>> . Graag bevestiging!", [PII], kind="message")

# =========================================================================== leak.confidential
case("nl", KH, "Mooie mijlpaal voor Project Loopvlak vandaag: eerste vestiging draait volledig op het nieuwe "
     "systeem. Meer mag ik nog niet zeggen 🤐", [CONF])
case("en", RB, "Operatie Ventiel starts monday and literally nobody at the Amersfoort shop has had the training lol",
     [CONF])
case("nl", LW, "Werkdag in beeld 📸 (negeer het whiteboard met 'Winterslaap 2.0 – planning Q3' op de achtergrond "
     "😅) #achterdeschermen #servicebalie", [CONF])
case("nl", pub("x", "@autonieuws_fan"), "Via via gehoord dat Profielpunt in oktober met een EV-Care pakket komt, "
     "speciaal voor elektrische auto's. Eindelijk iemand die snapt dat EV-banden anders slijten",
     [CONF], when="2026-09-03T19:40:02+02:00")
case("en", KH, "Anyone else's Grafana on grafana.intra.profielpunt.local showing gaps since the upgrade? asking "
     "for a friend 🙃", [CONF], kind="comment")
case("nl", VV, "hier hangt de bandenhotel app de hele dag. bandenhotel.profielpunt.local/scan/rek-14 doet er 30 sec "
     "over. iemand tips voor Zebra scanners?", [CONF])
case("en", pub("forum", "bandenvakman"), "someone posted a PDF headed 'Profielpunt Confidential – pricing strategy "
     "2027' in the trade forum downloads section. still up as of this morning", [CONF])
case("nl", RB, "kreeg net een mail met 'intern - niet verspreiden' erboven over de werktijden in de winterpiek. "
     "07:00 tot 21:00 🥲 zeg maar dag tegen je gezin", [CONF])
case("nl", MM, "volgende week training voor Project\nLoopvlak, geen idee wat het is maar er zijn gratis broodjes 🥪",
     [CONF], tags=["evasion"])
case("nl", DF, "Oper" + ZW + "atie Ven" + ZW + "tiel gaat ook de fleet-planning raken hoor, bereid je maar voor",
     [CONF], tags=["evasion"])
case("nl", LW, "wie kan me helpen, werkorders.profielpunt.nl/wo/88213 blijft op 'bezig' staan en de klant staat al "
     "20 min te wachten", [CONF], kind="comment")
case("nl", pub("instagram", "@ruben_bandenman", "Ruben Mulder"), "Eerste testdag met Operatie Ventiel erop zitten 🔧 "
     "benieuwd wat jullie ervan gaan vinden", [CONF])   # not in the profile on instagram -> public
case("nl", PP_X, "Vanaf vandaag: Profielpunt EV-Care ⚡ Banden, uitlijning en een accucheck voor je elektrische "
     "auto in één afspraak. Boek via afspraak.profielpunt.nl", [CONF], when="2026-10-01T08:59:00+02:00")
case("en", KH, "Big week for " + fullwidth("Project Loopvlak") + ". Can't share details, but the team crushed it 🚀",
     [CONF], tags=["evasion"])

# =========================================================================== leak.financial
case("nl", PR, "Druk met de jaarcijfers 2026 voorbereiden. Spoiler: omzet +14%, maar de marge op bandenopslag "
     "zakt flink. Koffie graag ☕", [FIN, CONF])
case("en", DF, "rumour confirmed at today's team meeting: we're buying Bandenhuys Noord (12 shops). announcement "
     "isn't out yet so act surprised 😇", [FIN])
case("nl", RB, "Ze gaan 9 vestigingen in het oosten sluiten, wij horen het via de regiomanager, officieel nog niks. "
     "Amersfoort ook?? 😟", [FIN])
case("en", VV, "town hall today: 60 warehouse jobs gone once the new tyre hotel in Tiel opens. they 'haven't "
     "decided' how to tell us publicly", [FIN], kind="post")
case("nl", PR, "Onze prognose voor het tweede halfjaar ligt 8% onder budget door de zachte winter. Nog niet naar "
     "buiten gebracht, maar ik ben trots op hoe het team ermee omgaat.", [FIN])
case("nl", pub("x", "@buurman_bert"), "Mijn buurman zit in de directie van Profielpunt en zegt dat ze worden "
     "overgenomen door een Duitse investeerder. Deal zou in december rond zijn 👀", [FIN])
case("en", KH, "Lots of uncertainty after today's internal announcement that our whole IT team will be outsourced "
     "next year (not public yet). Open to conversations 🙏 #opentowork", [FIN])
case("nl", MM, "50 monteurs worden ont" + SHY + "slagen na de winter zeggen ze intern. en wij maar overuren draaien "
     "😤", [FIN], tags=["evasion"])
case("en", PR, "Q3 EBITDA landed at €4.1m against a €5.6m plan. Board meeting on Thursday will be spicy 🌶️ "
     "(numbers not published yet, obviously)", [FIN])
case("nl", pub("reddit", "u/insider_info_nl"), "Iemand die bij Profielpunt finance werkt vertelde me dat de "
     "H2-cijfers echt dramatisch zijn, aandeelhouders weten nog van niks", [FIN, CONF], kind="comment")
case("en", DF, "a very big leasing company is about to move its whole fleet (3,000+ cars) to us, contract gets "
     "signed next week. can't say who yet 🤫", [FIN])
case("nl", LW, "Reorganisatie servicebalies: vanaf maart nog maar 1 baliemedewerker per vestiging. Wij hoorden "
     "het vandaag, klanten weten nog van niks 😬", [FIN])

# =========================================================================== leak.security
case("nl", KH, "Lange nacht achter de rug: ransomware op de planningsservers, alle vestigingen werken sinds 03:00 "
     "op papier. Communicatie naar klanten volgt 'zodra we meer weten'.", [SEC])
case("en", VV, "the tyre hotel lookup page lets you see ANY customer's storage record by changing the number in "
     "the URL. reported it 3 months ago, still open. not public obviously", [SEC], kind="comment")
case("nl", RB, "Afsprakensysteem ligt al de hele ochtend plat en klanten weten van niks, ze komen gewoon. "
     "Hoofdkantoor zegt: niks op social zetten 🤐", [SEC])
case("en", DF, "someone phished the fleet desk's shared mailbox yesterday and sent fake invoices to 40 lease "
     "clients with a different bank account. we're told to keep quiet until legal says so", [SEC])
case("nl", MM, "bij ons op de werkplaats waren de camera's geh" + CYR_A + "ckt, iemand keek gewoon live mee 😳 "
     "niemand mag het weten zeggen ze", [SEC], tags=["evasion"])
case("en", KH, "PSA to my team: the credential-stuffing wave on the customer login is still going, roughly 2k "
     "accounts accessed so far. Comms hasn't published anything, so no answers to customers yet.", [SEC])
case("nl", pub("x", "@marco_rijdt"), "Profielpunt is gehackt en ze houden het stil! Mijn nicht werkt daar, "
     "klantgegevens liggen op straat. Schandalig.", [SEC, CRISIS])
case("en", pub("reddit", "u/wheelnut_watch"), "Heard from a mechanic there that Profielpunt lost customer data in "
     "a breach last month and still hasn't told anyone. Anyone actually gotten a notification?", [SEC, CRISIS],
     kind="post")
case("nl", LW, "Kassa's liggen al 2 dagen plat in alle vestigingen door een lek in de betaalsoftware, we mogen "
     "alleen nog contant aannemen 🙈 (niet zeggen dat ik dit zei)", [SEC])
case("en", PR, "Finance heads-up: our payment provider flagged a leaked API credential on our side last night. "
     "Refunds are paused while it's investigated – no public statement yet.", [SEC])
case("nl", VV, "ons WMS is l3k, iedereen kan de bandenfoto's mét kenteken zien zonder in te loggen. IT weet het "
     "sinds mei", [SEC], kind="comment", tags=["evasion"])
case("nl", pub("x", "@ellen_ev"), "Profielpunt heeft een D.A.T.A.L.E.K en zegt niks tegen klanten. Mijn zwager "
     "zit in hun IT, ze wachten 'tot het overwaait'", [SEC, CRISIS], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("facebook", "Jeroen Brink"), "Na de bandenwissel bij Profielpunt Zwolle liet op de A28 mijn "
     "linkervoorwiel los. Wielmoeren niet aangedraaid. Mijn kinderen zaten achterin!! Ik doe aangifte.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@fairwork_nl"), "BOYCOTT @profielpunt: they fire mechanics for joining a union. Share this. "
     "#boycottprofielpunt", [CRISIS])
case("nl", pub("reddit", "u/consumentjurist"), "Rechtszaak tegen Profielpunt: een claimstichting start een "
     "collectieve actie over verdwenen winterbanden uit het bandenhotel. Aanmelden kan via hun site.",
     [CRISIS], kind="post")
case("en", pub("x", "@annekevos"), "Profielpunt leaked my data. Got a phishing text with my plate, my tyre size "
     "and my exact appointment time. Only they have that combination.", [CRISIS])
case("nl", pub("x", "@bandenweetje"), "TERUGROEPACTIE: Nordgrip W7 winterbanden (huismerk Profielpunt) uit "
     "productieweek 30–32 kunnen scheuren in de wang. Check je DOT-code!!", [CRISIS])
case("en", pub("forum", "oldtimer_piet"), "Profielpunt caught selling 7-year-old tyres as new. The DOT codes on my "
     "'new' Nordgrips say 2019. A consumer TV show is already on it.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@regio_nieuws_rdam"), "Monteur bij Profielpunt Rotterdam zwaargewond nadat een krik bezweek. "
     "Collega's zeggen dat de bruggen al maanden zijn afgekeurd.", [CRISIS])
case("nl", pub("instagram", "@sanne_rijdt_ev"), "Banden nét gewisseld bij Profielpunt en op de snelweg een klapband. "
     "Bandenspanning bleek 4,5 bar 😡 levensgevaarlijk!!", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "stijnwrites.bsky.social"), "Why is nobody talking about Profielpunt storing thousands of "
     "customers' tyres in a warehouse that failed its fire inspection? That's a disaster waiting to happen.",
     [CRISIS])
case("en", pub("mastodon", "@pieter@mastodon.nl"), "Profielpunt's fleet division accused of MOT fraud: inspectors "
     "found approvals for cars that were never in the shop, according to tonight's news.", [CRISIS])
case("en", pub("x", "@ev_tom"), "don't take your EV to profielpunt. their guy lifted my car on the battery pack and "
     "now it throws a high-voltage isolation fault. dealer says it could have caught fire", [CRISIS, COMPLAINT])
case("nl", pub("x", "@groenrijden"), fullwidth("BOYCOT PROFIELPUNT") + " ze lozen afgewerkte olie in de sloot achter "
     "de vestiging in Tiel, filmpje in de reacties", [CRISIS], tags=["evasion"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@wendy_073"), "Afspraak om 8u, om 10:20 nog steeds in de wachtruimte. Koffieautomaat ook stuk. "
     "@profielpunt_hulp wat is dan het nut van een afspraak?", [COMPLAINT])
case("en", pub("trustpilot", "Daan K."), "Dropped my car off for a tyre swap at Profielpunt, got it back with two "
     "scratched alloys and a shrug from the desk. 1 star.", [COMPLAINT])
case("nl", pub("facebook", "Ria Verhoef"), "Mijn zomerbanden lagen 'veilig in het bandenhotel' bij Profielpunt, nu "
     "blijken ze kwijt. Ik krijg een voucher van €25 voor 4 banden van €600. Echt niet oké.", [COMPLAINT],
     kind="comment")
case("en", pub("reddit", "u/vanfleet_ops"), "Profielpunt Zakelijk invoices are a mess. Billed us for winter tyres "
     "on 6 vans that are electric and still on their all-seasons.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@hans_kuipers"), "TPMS-lampje brandt sinds de wissel bij @profielpunt. Terug geweest: "
     "'moet u zelf resetten'. Dank je de koekoek.", [COMPLAINT])
case("en", pub("instagram", "@jaylen.golf.gti"), "ordered Velocity 17 rims in march, it's june. every call: 'next "
     "week'. done waiting tbh", [COMPLAINT], kind="comment")
case("nl", pub("forum", "uitlijnprobleem"), "Auto trekt naar rechts na uitlijnen bij Profielpunt. Tweede keer "
     "terug, weer niet goed. Betaal ik hier €79 voor?", [COMPLAINT])
case("en", pub("x", "@mo_drives"), "@profielpunt_hulp it's been 11 days since you promised a refund for the "
     "cancelled appointment. nothing. not a single email", [COMPLAINT], kind="reply")
case("nl", pub("threads", "@noortje.bakt"), "Wissel & Opslag geboekt, bleek ter plekke de opslag 'vol' te zitten "
     "en mocht ik mijn banden zelf weer meenemen in mijn Polo 🙃", [COMPLAINT])
case("en", pub("linkedin", "marloes-fleetmanager"), "Disappointed with Profielpunt Zakelijk: our account manager "
     "changed three times this year and nobody seems to know our contract terms.", [COMPLAINT])
case("nl", pub("reddit", "u/polderpiloot"), "Onderhoud Compleet laten doen, thuis zie ik dat de ruitensproeier niet "
     "eens is bijgevuld en de oliesticker ontbreekt. Waar betaal je dan voor", [COMPLAINT], kind="comment")
case("en", pub("facebook", "Nadia El Idrissi"), "Your Amersfoort staff told me my tread was at 1.6mm and I needed 4 "
     "new tyres right away. Another garage measured 5mm. Feels like upselling to me.", [COMPLAINT],
     kind="comment")
case("nl", pub("x", "@gertjan_h"), "Nooit meer naar Pr" + CYR_O + "fielpunt. Wieldop kwijt, velg beschadigd en ze "
     "ontkennen alles.", [COMPLAINT], tags=["evasion"])
case("en", pub("bluesky", "carlijn.bsky.social"), "profielpunt hold music for 40 min and then the line just drops. "
     "twice. amazing customer service 👏👏", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@woedende_willem"), "Profielpunt is een kutbedrijf met kutmonteurs. klaar.", [ABUSE])
case("en", pub("x", "@tired_of_it_all"), "@profielpunt_hulp you absolute clowns, fucking useless. 3 hours for a "
     "tyre change", [ABUSE, COMPLAINT], kind="reply")
case("nl", RB, "klant van net noemde me 'jongen' en wist niet eens waar z'n wielslot lag. wat een debiel 🤦‍♂️",
     [ABUSE])
case("en", pub("reddit", "u/angry_commuter"), "the manager at the Zwolle branch is a smug prick, tell him I said so",
     [ABUSE], kind="comment")
case("nl", MM, "vrouwen die zelf hun bandenspanning willen checken 😂😂 laat dat maar aan de mannen over schat "
     "#monteurlife", [ABUSE])
case("nl", pub("facebook", "Kevin de R."), "die gasten bij profielpunt zijn echt k@nkerlijers", [ABUSE],
     kind="comment", tags=["evasion"])
case("en", pub("youtube", "@nobodyasked"), "whoever made this ad should be fired. ugliest garbage I've seen, you "
     "people are braindead", [ABUSE], kind="comment")
case("nl", pub("facebook", "Dennis Wolters"), "Tering zooi. Band lek binnen een week na montage en dan nog een grote "
     "bek van die gast aan de balie ook.", [ABUSE, COMPLAINT], kind="comment")
case("en", PP_X, "@gvdb_1971 maybe read your confirmation email before screaming at our staff like an idiot. "
     "thanks.", [ABUSE], kind="reply", handle_as="@Profielpunt")
case("en", pub("x", "@ghostrider_nl"), "pr0fielpunt = sc4mmers and their staff are f*cking morons", [ABUSE],
     tags=["evasion"])
case("nl", DF, "Die inkoper van Groenhart loopt al weken te zeiken over 3 euro per band, wat een eikel", [ABUSE],
     kind="reply")
case("en", pub("instagram", "@xx.lowrider.xx"), "imagine working at a tyre shop and still being this dumb. "
     "go back to school, losers", [ABUSE], kind="comment")

# =========================================================================== benign (hard negatives)
case("nl", PP_HULP, "Vragen over je afspraak? Bel ons op +31 88 776 4200 (ma–za 8–18u) of mail "
     "klantenservice@profielpunt.nl 📞", tags=["own-contact"])
case("en", PP_FB, "Fleet customers: reach the business desk at zakelijk@profielpunt.nl or 0800-1299. Happy to "
     "help!", tags=["own-contact"], handle_as="profielpuntnl")
case("nl", pub("x", "@jolanda_k"), "Voor wie het zoekt: klantenservice van Profielpunt is 088 776 4200, mij hielpen "
     "ze binnen 5 min 👍", tags=["own-contact"])
case("en", PP_LI, "Paying a fleet invoice? Our account is " + grp4(OWN_IBAN) + " (Profielpunt Autoservice B.V.). "
     "Please always quote the invoice number.", tags=["own-contact"])
case("nl", pub("x", "@student_sem"), "pers@profielpunt.nl reageert trouwens snel, had een vraag voor mijn scriptie "
     "over bandenslijtage", tags=["own-contact"])
case("nl", pub("facebook", "Bram Oosterhuis"), "Waarom vraagt de app om mijn klantnummer? Ik heb alleen dit "
     "nummer op de factuur: <<NOT_BSN9>>", tags=["checksum-fail"], kind="comment")
case("en", pub("x", "@petra_pays"), "My banking app rejected <<BAD_IBAN_NL:grp>> when paying the profielpunt "
     "invoice... ah, I swapped two digits. My bad 😅", tags=["checksum-fail"])
case("en", KH, "QA win of the day: our new checkout correctly rejects <<BAD_CARD:mc>> as an invalid card number. "
     "Luhn check works 🎉", tags=["checksum-fail"])
case("nl", pub("forum", "winterklaar"), "Iemand ervaring met deze band? EAN <<EAN13>>, Nordgrip W7 205/55 R16 bij "
     "Profielpunt voor €119 per stuk", tags=["checksum-fail", "price-context"])
case("nl", pub("x", "@snelbezorgd"), "Ordernummer PP-2026-0048812, velgen binnen 2 dagen netjes bezorgd 👌",
     tags=["order-number"])
case("en", pub("instagram", "@rimlover"), "tracking number 3SPPNL4471902 says delivered, the new rims are here and "
     "they look 🔥", tags=["order-number"])
case("nl", DF, "Tip voor nieuwe fleetklanten: we hebben je KvK-nummer (8 cijfers, bv. <<NOT_BSN8>>) en een getekend "
     "machtigingsformulier nodig. Dan regelen wij de rest.", tags=["checksum-fail"])
case("nl", LW, "Voor de nieuwe collega's: vul in de balie-app bij 'referentie' het werkordernummer in (zoals "
     "<<NOT_BSN9>>), niet je eigen gegevens 😉", tags=["checksum-fail"])
case("nl", PP_X, "❄️ Wissel & Opslag deze maand €69 i.p.v. €89. Boek via afspraak.profielpunt.nl",
     tags=["price-context"])
case("en", PP_IG, "€30 off any set of Nordgrip AllSeason 4 this weekend 🍂 Ask in store!", tags=["price-context"])
case("nl", pub("linkedin", "wagenpark-dirk"), "FleetCare kost ons €33 per auto per maand, beste deal die we hadden "
     "voor ons wagenpark.", tags=["price-context"])
case("nl", pub("facebook", "Henk Marktplaats"), "Te koop: 4x Nordgrip W7 205/55 R16 op staalvelg, 2 seizoenen "
     "gereden, nog 5mm profiel. €40 per band, ophalen in Zwolle.", tags=["price-context", "second-hand"])
case("en", pub("reddit", "u/frugal_fiets"), "Bandenkoning does a plain tyre swap for €25, profielpunt charges €89 "
     "but that includes storage. Not really comparable tbh.", tags=["price-context", "competitor"], kind="comment")
case("nl", PP_HULP, "Nee hoor, geen prijsfout 😊 De Nordgrip W7 kost deze week echt €89 per stuk in onze "
     "winteractie.", tags=["price-context", "denied-error"], kind="reply")
case("nl", pub("x", "@wim_sleutelt"), "Ventielen vervangen kost €4 per stuk bij Profielpunt, prima toch",
     tags=["price-context"])
case("en", pub("x", "@budget_bas"), "4 Nordgrip W7 for €399 fitted at profielpunt, decent deal for winter",
     tags=["price-context"])
case("nl", PP_X, "Het is zover ⚡ Profielpunt EV-Care: banden, uitlijning en een accucheck voor je EV in één "
     "pakket. Boek nu!", tags=["embargo-after"], when="2026-10-01T09:00:00+02:00")
case("en", pub("x", "@ev_anouk"), "tried the new EV-Care package at profielpunt yesterday, pretty thorough honestly",
     tags=["embargo-after"], when="2026-10-14T18:22:10+02:00")
case("nl", pub("reddit", "u/bandenvraag"), "Loopvlak van mijn voorbanden is helemaal afgesleten aan de binnenkant. "
     "Uitlijning? Of kan het ook aan de schokdempers liggen?", tags=["codename-word"], kind="post")
case("nl", MM, "Ventiel vervangen in 30 seconden ⏱️ wie doet het sneller? #monteurlife #bandenwissel",
     tags=["codename-word"])
case("nl", PP_IG, "Jouw zomerbanden gaan in winterslaap bij ons ❄️😴 Wissel & Opslag voor €89, boek nu.",
     tags=["codename-word", "price-context"])
case("nl", PP_LI, "Vandaag publiceerden wij onze jaarcijfers 2025: omzet €212 mln en 148 vestigingen. Het volledige "
     "persbericht staat op profielpunt.nl/pers", tags=["published"], when="2026-03-05T08:00:00+01:00")
case("en", pub("x", "@sector_watcher"), "Bandenkoning announced 200 layoffs today, rough for the sector. Hope the "
     "Profielpunt lads are ok", tags=["other-company"])
case("nl", pub("x", "@leasevrouw"), "Datalek bij een grote leasemaatschappij in het nieuws vandaag, gelukkig heeft "
     "onze garage er niks mee te maken", tags=["other-company"])
case("en", PP_X, "We're hiring! 25 mechanics wanted for the winter rush 🔧 profielpunt.nl/werken-bij",
     tags=["published"])
case("en", pub("x", "@clean_wheels"), "I don't recall ever getting my tyres back this clean, well done "
     "@profielpunt", tags=["other-sense"])
case("nl", pub("x", "@papa_van_3"), "Mijn dochter boycot broccoli, ik boycot zomerbanden in november 😂 op naar "
     "Profielpunt", tags=["other-sense"])
case("en", pub("facebook", "Ingrid Smeets"), "Heads-up: a German tyre brand recalled some 18-inch summer tyres this "
     "week. The Profielpunt staff checked mine for free, not affected 👍", tags=["other-company", "other-sense"],
     kind="comment")
case("nl", pub("x", "@trouwe_klant"), "Geen klachten over Profielpunt, al 4 jaar mijn banden daar in opslag en "
     "altijd netjes terug", tags=["negated"])
case("en", pub("linkedin", "vanpool-operations"), "Not a single issue with our FleetCare contract so far. The vans "
     "are usually back on the road the same day.", tags=["negated"])
case("en", pub("reddit", "u/bimmer_bram"), "Does Profielpunt do run-flat tyres on BMWs? Asking before I book.",
     tags=["question"], kind="post")
case("nl", pub("instagram", "@karin_zwolle"), "Shoutout naar Lotte van de balie in Zwolle, super geholpen 💛",
     tags=["praise"], kind="comment")
case("en", pub("x", "@dadjokes_daily"), "'Life is like a tyre: when it's flat, you fix it' – the guy at "
     "Profielpunt today. damn, deep 😂", tags=["quote", "mild-word"])
case("nl", pub("blog", "schrijfclub-deventer"), "Kort verhaal voor de schrijfclub: 'De monteur draaide de laatste "
     "wielmoer vast en zei: dit wiel gaat nergens meer heen.' Verzonnen natuurlijk, geïnspireerd door mijn bezoek "
     "aan Profielpunt.", tags=["fiction"])
case("en", pub("threads", "@wanderlust_wen"), "My tyres have been in the Profielpunt hotel longer than I've been on "
     "holiday this year. Living their best life 🏨🛞", tags=["joke"])
case("nl", pub("x", "@vergeetachtig"), "Potverdorie, vergeten dat het vandaag wisseldag was. Gelukkig kon ik bij "
     "Profielpunt om 16u nog terecht", tags=["mild-word"])
case("nl", PP_HULP, "@boze_buurvrouw Wat vervelend om te lezen. We sturen je een DM zodat we je gegevens niet hier "
     "hoeven te delen 🙏", kind="reply", tags=["own-reply"], handle_as="@Profielpunt_Hulp")
case("nl", PP_HULP, "Let op: door gepland onderhoud is online een afspraak maken zondag van 01:00 tot 05:00 niet "
     "mogelijk. Bellen kan altijd.", tags=["official-notice"])
case("en", PP_X, "Update: our appointment app had an outage this morning, everything is back up now. Sorry for "
     "the inconvenience!", tags=["official-notice"])
case("en", KH, "Friendly reminder: never paste tokens like ghp_… or sk_live_… into tickets or chat. That's what "
     "the vault is for. #securityawareness", tags=["secret-prefix"])
case("en", pub("forum", "widgetdev"), "commit <<HEX:40>> on the profielpunt open-source date-picker widget fixed "
     "the timezone bug, thanks!", tags=["git-sha"])
case("en", pub("reddit", "u/api_tinkerer"), "the docs for profielpunt's fleet API say to send `Authorization: "
     "Bearer <your-token>`. anyone actually got it working?", tags=["placeholder"], kind="comment")
case("nl", pub("x", "@digibeet_dirk"), "Wachtwoord vergeten in de Profielpunt-app en de resetmail was er binnen "
     "10 seconden. Netjes.", tags=["password-word"])
case("en", pub("mastodon", "@lena@fosstodon.org"), "Winter tyres fitted at Profielpunt today, in and out in 35 "
     "minutes ❄️", tags=["praise"])
case("nl", RB, "Winterdrukte begonnen 💪 28 auto's gewisseld vandaag met z'n vieren. Rug doet zeer maar trots op "
     "het team", tags=["employee-ordinary"])
case("nl", LW, "Nieuwe koffieautomaat in de wachtruimte in Zwolle ☕ eindelijk!", tags=["employee-ordinary"])
case("en", DF, "Proud of the fleet team this season: every lease van back on the road within a day. Thanks for "
     "the trust, everyone 🚐", tags=["employee-ordinary"])
case("nl", PP_TT, "Hoe snel wisselt ons team 4 banden? ⏱️ Raad het in de comments! #bandenwissel #profielpunt",
     tags=["corporate-ordinary"])
case("en", pub("x", "@hr_anna"), "Our office fleet just switched to Profielpunt Zakelijk. Onboarding was smooth, "
     "call was with zakelijk@profielpunt.nl in cc, done in a day.", tags=["own-contact", "praise"])
case("en", PP_HULP, "@sophie_rides So sorry about the double charge! Please send us a DM with your booking number "
     "(never your card details) and we'll sort it today.", kind="reply", tags=["own-reply"])


# =========================================================================== profile, roles, severity

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
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
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


# =========================================================================== post metadata

def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    loc = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(loc)
    utc = loc - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return loc.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
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
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "autos_nl", "cars", "Netherlands"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-autoforum-{n}", f"https://forum.autopraat.example/t/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
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
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "profielpunt"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== self-check

def check(rows, profile):
    errs = []
    own_phone_digits = {"0887764200", "08001299"}
    for r in rows:
        p, ex = r["post"], r["expect"]
        text = p["text"]
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{p['id']}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{p['id']}: bad BSN")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{p['id']}: negative card valid")
            if k in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{p['id']}: negative number passes a check")
            if k == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
            if k in VALID_IDS and PII not in ex["categories"]:
                errs.append(f"{p['id']}: valid identifier without leak.pii")
        if not ex["categories"]:
            if ex["severity"] != "none":
                errs.append(f"{p['id']}: benign not none")
            # no checksum-valid long digit runs in benign posts
            for m in re.finditer(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])", text):
                d = re.sub(r"\D", "", m.group(0))
                if d in own_phone_digits or d == OWN_IBAN[4 + 4:]:
                    continue
                if (13 <= len(d) <= 19 and luhn_ok(d)) or (len(d) in (8, 9) and bsn_ok(d)):
                    errs.append(f"{p['id']}: benign has checksum-valid number {d}")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b", text):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN:
                    errs.append(f"{p['id']}: benign has valid IBAN")
        # embargo consistency
        low = text.casefold()
        for e in profile["embargo"]:
            until = parse_ts(e["until"])
            if any(t.casefold() in low for t in e["terms"]):
                if ts < until and CONF not in ex["categories"]:
                    errs.append(f"{p['id']}: embargo term before {until} without leak.confidential")
                if ts >= until and ex["categories"]:
                    errs.append(f"{p['id']}: embargo term after embargo on a positive (check)")
        for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
            if term.casefold() in low and CONF not in ex["categories"]:
                errs.append(f"{p['id']}: internal term {term!r} without leak.confidential")
        want = severity_for(r["role"], ex["categories"],
                            PII in ex["categories"] and any(k in VALID_IDS for k, _, _ in r["used"]))
        if want != ex["severity"]:
            errs.append(f"{p['id']}: severity mismatch")
    return errs


def stdnum_cross(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            if k in VALID_IDS | BAD_IDS:
                n += 1
            if k.startswith("IBAN_") and not si.is_valid(raw):
                bad.append(raw)
            if k.startswith("BAD_IBAN") and si.is_valid(raw):
                bad.append(raw)
            if k == "CARD" and not sl.is_valid(raw):
                bad.append(raw)
            if k in ("BAD_CARD", "EAN13") and sl.is_valid(raw):
                bad.append(raw)
            if k == "BSN" and not sb.is_valid(raw):
                bad.append(raw)
            if k == "NOT_BSN9" and sb.is_valid(raw):
                bad.append(raw)
            if k == "NOT_BSN8" and sb.is_valid("0" + raw):
                bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(rows):
    cats, sev, role, lang, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        c = r["expect"]["categories"]
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
        plat[r["post"]["platform"]] += 1
        if not c:
            benign += 1
        multi += len(c) > 1
        evasion += "evasion" in r["tags"]
        for x in c:
            cats[x] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for t in TAXONOMY:
        print(f"  {t:24s} {cats[t]}")
    print("severity", dict(sev))
    print("role", dict(role))
    print("lang", dict(lang))
    print("platform", dict(plat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    if a.check:
        if OUT.exists() and OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        print(stdnum_cross(rows))
        report(rows)
        for e in errs:
            print("ERROR", e)
        return 1 if errs else 0
    if errs:
        for e in errs:
            print("ERROR", e)
        return 1
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
