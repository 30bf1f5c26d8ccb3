#!/usr/bin/env python3
"""Deterministic generator for the sealed94 blind evaluation set.

    python3 make_cases.py           # writes cases.jsonl next to this file, then self-checks it
    python3 make_cases.py --check   # only regenerates in memory and validates cases.jsonl

Company: Werkbrug Uitzendgroep B.V. (fictional Dutch recruitment / temp / payroll agency),
see profile.yaml. All texts are hand-written below; identifiers and secrets are filled in
from <<KIND:fmt>> placeholders by one seeded RNG. Positives get checksum-valid identifiers,
hard negatives get identifiers that fail their checksum. Secrets are random and fake, but
shaped like real ones. Severity is computed from CONTRACT section 4, never typed by hand.
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
from pathlib import Path

SEED = 94_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR_E = "\u0435"  # Cyrillic small ie, looks like latin e
CYR_O = "\u043e"  # Cyrillic small o
CYR_A = "\u0430"  # Cyrillic small a


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


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return bool(d) and s % 10 == 0


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
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
B32 = string.ascii_uppercase + "234567"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return tok.startswith("ghp_") and len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.d(10, nz=True))
                if v != "NL46RABO0318274560":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "12030000", "20050550", "76010085"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["310", "063", "751", "143"]) + self.d(7)
            return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MONZ"]) + self.d(14))
        if cc == "PL":
            return iban_build("PL", self.d(24, nz=True))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 44):
            cand = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_valid(head + x):
                return head + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN-like
    def bsn(self):
        while True:
            s = self.d(9, nz=True)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, nz=True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    # phones (mobile: 06 + 8 digits)
    def phone(self, fmt):
        if fmt.startswith("land"):
            area = self.r.choice(["13", "40", "73", "77", "76", "10", "30", "492"])
            sub = self.r.choice("2345789") + self.d(6 if len(area) == 2 else 5)
            return {"land_dash": f"0{area}-{sub}",
                    "land_intl": f"+31 {area} {sub}"}[fmt]
        m = self.r.choice("12345") + self.d(7)
        return {"mob_dash": f"06-{m}",
                "mob_plain": f"06{m}",
                "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
                "mob_0031": f"0031 6 {m}",
                "mob_intl0": f"+31 (0)6 {m}",
                "mob_spaced": "0 6 " + " ".join(m),
                }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769900000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c("0123456789abcdef", 8)})
        body = enc({"sub": "kandidaat-" + self.d(7, True), "aud": "mijn.werkbrug.nl", "scope": "payslips:read",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!#$%&*") + self.c(ALNUM, 3))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)

    def uuid4(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fill(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind == "IBAN":                       # <<IBAN:NL>> or <<IBAN:NL_grp>>
            cc, _, style = fmt.partition("_")
            raw = f.iban(cc)
            shown = group4(raw) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = fmt.partition("_")
            raw = f.bad_iban(cc)
            shown = group4(raw) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = f.card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif kind == "BADCARD":
            brand, _, style = fmt.partition("_")
            raw = f.bad_card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "BADBSN":
            raw = shown = f.not_bsn(9)
        elif kind == "NUM8":
            raw = shown = f.not_bsn(8)
        elif kind == "NUM9":
            raw = shown = f.not_bsn(9)
        elif kind == "PHONE":
            raw = shown = f.phone(fmt)
        elif kind == "PASSPORT":
            raw = shown = f.passport()
        elif kind == "GHP":
            raw = shown = f.ghp()
        elif kind == "GLPAT":
            raw = shown = f.glpat()
        elif kind == "AWSID":
            raw = shown = f.aws_id()
        elif kind == "AWSSECRET":
            raw = shown = f.aws_secret()
        elif kind == "AZKEY":
            raw = shown = f.azure_key()
        elif kind == "SENDGRID":
            raw = shown = f.sendgrid()
        elif kind == "STRIPE":
            raw = shown = f.stripe()
        elif kind == "GAPI":
            raw = shown = f.gapi()
        elif kind == "SLACKHOOK":
            raw = shown = f.slack_hook()
        elif kind == "SLACKBOT":
            raw = shown = f.slack_bot()
        elif kind == "JWT":
            raw = shown = f.jwt()
        elif kind == "SSHKEY":
            raw = shown = f.pem_openssh()
        elif kind == "PW":
            raw = shown = f.password()
        elif kind == "HEX":
            raw = shown = f.hexs(int(fmt))
        elif kind == "UUID":
            raw = shown = f.uuid4()
        else:
            raise KeyError(kind)
        used.append((kind, fmt, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
WB_X = ("x", "@werkbrug", "Werkbrug Uitzenden")
WB_HELP = ("x", "@werkbrug_helpt", "Werkbrug Service")
WB_LI = ("linkedin", "werkbrug-uitzendgroep", "Werkbrug Uitzendgroep B.V.")
WB_IG = ("instagram", "@werkbrug.nl", "Werkbrug")
WB_FB = ("facebook", "WerkbrugUitzenden", "Werkbrug Uitzenden")
WB_TT = ("tiktok", "@werkbrugjobs", "Werkbrug Jobs")
# employees
LISA = ("linkedin", "lisa-hermans-werkbrug", "Lisa Hermans")        # recruiter W&S, Eindhoven
MO = ("x", "@mo_recruit", "Mohamed Ait Taleb")                       # intercedent logistiek, Venlo
KEVIN = ("x", "@kevin_payroll", "Kevin Schouten")                     # salarisadministratie
JOOST = ("linkedin", "joost-verhoeven-it", "Joost Verhoeven")          # IT / infra
ANOUK = ("instagram", "@anouk.vandam", "Anouk van Dam")                # vestigingsmanager Tilburg
RUBEN = ("linkedin", "ruben-smits-werkbrug", "Ruben Smits")            # finance controller
DEWI = ("x", "@dewi_werkt", "Dewi Kartosen")                           # accountmanager zorg
PIOTR = ("facebook", "piotr.nowak.werkbrug", "Piotr Nowak")            # coordinator huisvesting
SANDER = ("x", "@sander_dev_wb", "Sander Mulder")                      # webdeveloper


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
EV = "evasion"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LISA, "Kleine bekentenis op maandagochtend 🙈 onze offertetool heeft vorige week het W&S pakket "
     "doorgerekend voor €495 i.p.v. €4.950. Drie opdrachtgevers hebben al getekend... Legal kijkt ernaar, "
     "dus liever even geen likes haha", [PRICING],
     handle_as="Lisa-Hermans-Werkbrug")
case("nl", pub("x", "@ondernemer_ruud"), "@werkbrug jullie Vacature Premium staat nu voor €8,95 op de site 😂 "
     "typfoutje? heb er voor de zekerheid maar 4 afgerekend voor de zaak", [PRICING], kind="reply")
case("en", pub("reddit", "u/smallbiz_eindhoven"), "Heads up for anyone hiring: Werkbrug lists their Assessment "
     "Compleet at €125 right now (it's normally €1.250). Someone clearly dropped a zero. Booked two for our new "
     "shift leads, curious if they'll honour it", [PRICING])
case("nl", MO, "ff onder ons: door een bug in de webshop staat de VCA-basis training voor 24,50 ipv 245. "
     "NIET doorsturen naar je flexkrachten pls, wordt vanmiddag gefixt", [PRICING])
case("en", RUBEN, "Note for account managers: the FlexBrug Planner renewals that went out yesterday were invoiced "
     "at €199 instead of €1,990 because of a mapping error in the billing run. Credit notes will follow; please "
     "don't confirm anything to clients until finance has signed off.", [PRICING])
case("nl", pub("forum", "DealJager_040"), "Snel zijn mensen: p r i j s f o u t bij Werkbrug!\nAssessment Compleet "
     "voor €12,50\nafrekenen ging zonder problemen", [PRICING], tags=[EV, "ev:spaced"])
case("en", pub("x", "@hr_hannah_"), f"price{ZW}error at werkbrug lmao, Vacature Premium for €89 🏃‍♀️",
     [PRICING], tags=[EV, "ev:zero-width"])
case("nl", DEWI, "pr1jsf0utje op de FlexBrug Planner, staat nu voor €19,90 per jaar 🙃 zeg maar niks tegen je "
     "klanten", [PRICING], tags=[EV, "ev:leet"])
case("nl", WB_IG, "🎉 Zomerdeal voor ondernemers!\nHet Werving & Selectie pakket nu voor maar €1.250 "
     "(normaal €4.950) — alleen deze week. Link in bio 🔗", [PRICING])
case("nl", pub("tiktok", "@jobhopper_jaimy"), "wie heeft ook die VCA basis cursus bij werkbrug voor 5 euro geboekt "
     "💀 verkeerde prijs maar de betaling is gewoon gelukt", [PRICING])
case("en", KEVIN, "Whoever edited the price table in the client portal: Assessment Compleet now shows €1,25. "
     "Please fix before the clients notice 🙏", [PRICING], kind="reply")
case("en", pub("linkedin", "marco-hr-logistics", "Marco Visser"), "Not sure if this is a glitch, but Werkbrug just "
     "quoted us the Werving en Selectie pakket at €450 all-in. Their list price is close to 5k. Signing before "
     "someone notices 😇", [PRICING])
case("nl", JOOST, "Vacature Premium staat sinds vannacht voor €9,- in de shop, de prijs-sync op "
     "shopsync01.werkbrug.internal is omgevallen. Ticket loopt, graag niet delen.", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", JOOST, "Friday find 🙄 this was sitting in a PowerShell script on a shared team drive:\n\n"
     "DefaultEndpointsProtocol=https;AccountName=wbscanopslag;AccountKey=<<AZKEY>>;"
     "EndpointSuffix=core.windows.net\n\nThat's the storage account with scanned ID copies. Rotated it, but come on "
     "people. #security", [SECRET])
case("nl", MO, "kan iemand van IT ff kijken, de koppeling met de vacaturebank doet het niet meer. ik gebruik deze: "
     "api_key=<<HEX:32>> 🙏", [SECRET])
case("nl", KEVIN, "inloggen op het salarispakket lukt weer niet 😩 gebruiker kschouten, ww <<PW>> , wie kan het "
     "wel?", [SECRET])
case("en", pub("reddit", "u/frontend_frits"), "lol Werkbrug's vacancy map widget ships its Google key in plain JS: "
     "<<GAPI>> — no referrer restriction either. Someone tell them", [SECRET], kind="comment")
case("nl", SANDER, "Waarom faalt de deploy nou weer... in de pipeline staat gewoon\n"
     "GITHUB_TOKEN: <<GHP>>\nen toch 403 😤", [SECRET])
case("en", DEWI, "testing the new vacancy alerts bot, if #zorg-vacatures gets spammed blame me 😅 "
     "<<SLACKHOOK>>", [SECRET])
case("nl", pub("x", "@lotte_flexwerkt"), "de werkbrug app zet je inlogtoken gewoon in de link als je een "
     "loonstrook deelt?? hier de mijne: <<JWT>>", [SECRET])
case("en", PIOTR, "Kevin here is the key for the sftp to the pension fund, put it in your config\n<<SSHKEY>>",
     [SECRET], kind="comment")
case("nl", ANOUK, "Nieuwe kantoor wifi in Tilburg is live 🎉📶\nNetwerk: WB-Personeel\nWachtwoord: <<PW>>\n"
     "#nieuwkantoor #werkbrug", [SECRET])
case("en", SANDER, "why does this time out 🤔\npsql postgres://wb_app:<<PW>>@pg02.werkbrug.internal:5432/ats\n"
     "works fine from the office", [SECRET, CONF])
case("nl", SANDER, "Stripe geeft 'invalid request' op de checkout van de vacaturepakketten, iemand een idee? "
     "key = <<STRIPE>>", [SECRET], kind="reply")
case("en", pub("mastodon", "@bitflip@infosec.exchange"), "Some dev at Werkbrug (Dutch staffing agency) pushed a "
     "SendGrid key to a public repo: <<SENDGRID>> — reported it to them, hope they rotate 🤦", [SECRET])
case("nl", JOOST, "Voor de collega's die vragen waarom de cv-parser stuk is: draai hem lokaal met\n\n"
     "docker run -e AWS_ACCESS_KEY_ID=<<AWSID>> -e AWS_SECRET_ACCESS_KEY=<<AWSSECRET>> werkbrug/cv-parser\n\n"
     "dan zie je het zelf", [SECRET])
case("nl", DEWI, "het w.w. van het gedeelde zorgvacatures-account is nu <<PW>> , oude werkt niet meer!",
     [SECRET], tags=[EV, "ev:abbrev"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KEVIN, "wie zet er nou zijn BSN in het opmerkingenveld van z'n urenbriefje 🙄\n'BSN <<BSN>>, graag "
     "vakantiegeld eerder uitbetalen'\nja Henk, komt goed", [PII], handle_as="@Kevin_Payroll")
case("nl", LISA, "🔥 Topkandidaat beschikbaar! Ervaren reachtruckchauffeur, VCA + BHV, per direct inzetbaar in regio "
     "Eindhoven. Interesse? Bel hem gerust zelf: Marco de Wit, <<PHONE:mob_pairs>>", [PII])
case("nl", MO, "@jhonnyb_ je loon is gewoon overgemaakt hoor, naar <<IBAN:NL_grp>>. check je andere rekening even",
     [PII], kind="reply")
case("en", PIOTR, "For the new house in Venlo: Andrzej Kowalski (born 14-03-1991) and Tomasz moving in on Monday. "
     "Address is Grote Blokweg 17, Venlo. Key is at the office", [PII])
case("nl", ANOUK, "Maandag start onze nieuwe collega Sanne Verbeek 🌷 (geboren 02-07-1998 en ze woont letterlijk om de "
     "hoek, Hoogstraat 45 in Tilburg haha) welkom Sanne!!", [PII])
case("en", DEWI, "can someone send the signed contract to the nurse starting Thursday at De Linde? her mail is "
     "m.okafor84@gmail.com", [PII])
case("nl", KEVIN, "Klant betaalt zijn vacaturepakket met creditcard en zet het hele nummer in de mail 🤦 "
     "<<CARD:visa_sp>> exp 09/28. Wie heeft dit naar de algemene inbox gestuurd", [PII])
case("en", RUBEN, "Reminder to branch staff: advance payments go to the IBAN on file, nothing else. An example of "
     "what lands in our inbox: 'pls pay my reserveringen to <<IBAN:DE>> not my dutch account'. Don't just do it.",
     [PII])
case("en", PIOTR, "Marius your passport nr <<PASSPORT>> is expired in our system, bring the new one to the office "
     "tomorrow before 9 🙏", [PII], kind="comment")
case("nl", pub("x", "@yusuf_b_"), "@werkbrug_helpt al 3 weken GEEN salaris!! rekening is <<IBAN:NL>> en mn bsn "
     "<<BSN:dots>> dus stop met zeggen dat mijn gegevens niet kloppen", [PII, COMPLAINT])
case("en", pub("facebook", "ionut.popescu.1990", "Ionut Popescu"), "hello Werkbrug i send many times my bank nr "
     "<<IBAN:BE_grp>> (belgian bank) and still no money for week 23. call me <<PHONE:mob_intl>>",
     [PII, COMPLAINT])
case("nl", pub("x", "@gedumpt_door_hr"), "Die recruiter van Werkbrug die me ghostte heet Lisa en woont op de "
     "Kruisstraat 12 in Eindhoven. Misschien ff langsgaan 🙂", [PII, ABUSE])
case("en", pub("reddit", "u/dutchcourage22"), "PSA: if you email Werkbrug payroll, don't do what I did and paste "
     "your whole card number (<<CARD:mc2_c>>) to pay back an advance lol. They replied telling me to cancel the card",
     [PII])
case("nl", pub("x", "@wouter_040"), "Stuur je cv maar naar mijn vriendin, zij zit bij Werkbrug: j.vermeulen [at] "
     "hotmail [punt] com", [PII], tags=[EV, "ev:at-punt"])
case("nl", MO, "Uitzendkracht geeft BSN <<BSN:sp>> op maar het portaal zegt 'ongeldig'. Iemand die dit eerder "
     "had?", [PII])
case("en", pub("linkedin", "charlotte-hr-foodpack", "Charlotte Willems"), "Werkbrug just emailed us the complete file "
     "of someone who is NOT our employee: CV, passport copy and BSN <<BSN>> of a man called Ricardo Mendes. This is "
     "a serious data breach. Who do I even call?", [PII, CRISIS])
case("en", pub("x", "@jamie_in_nl"), "Werkbrug paid my holiday money into my old UK account <<IBAN:GB_grp>>, "
     "which has been closed since March 🙃 three emails, zero replies", [PII, COMPLAINT])
case("nl", WB_HELP, "@tanja_mol We hebben je gegevens aangepast: IBAN <<IBAN:NL>> staat nu in ons systeem. Fijne "
     "dag! ^Ruud", [PII], kind="reply")
case("nl", WB_FB, "🎁 De winnaar van onze zomerwinactie is bekend: Jeroen Pauwels! Jeroen, we bellen je vandaag nog "
     "op <<PHONE:mob_0031>> 🎉", [PII])
case("nl", pub("facebook", "bianca.knoops", "Bianca Knoops"), "Werkbrug bel me nou eens terug!! <<PHONE:mob_spaced>>",
     [PII, COMPLAINT], tags=[EV, "ev:spaced-digits"])
case("nl", pub("threads", "@kim.zzp"), "Rekening voor de VCA via Werkbrug betaald met amex <<CARD:amex_sp>>, "
     "bevestiging nog niet binnen. iemand anders ook?", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LISA, "Spannende tijden! Ik kan nog niet veel kwijt over Project Zwaluw, maar als dit doorgaat wordt "
     "Werkbrug dé flexpartner in de Brabantse zorg 🚀", [CONF])
case("en", SANDER, "anyone know why grafana.werkbrug.internal throws a 502 since the migration?", [CONF])
case("nl", ANOUK, "Beetje huiswerk mee naar huis 📚 'WB-INTERN tarievenkaart 2027' shhh 🤫 #werkbrug", [CONF])
case("en", DEWI, "Can't wait for Werkbrug Zorgflex to go live, finally a decent way to fill care shifts 💙",
     [CONF], when="2026-09-14T19:42:10+02:00")
case("nl", pub("x", "@nieuwsgierige_nel"), "Mijn zwager werkt bij Werkbrug en had het over Operatie Klaproos. "
     "Weet iemand wat dat is?", [CONF])
case("en", pub("reddit", "u/flexwatcher"), "Saw a slide from Werkbrug's roadmap: FlexBrug 3.0 will auto-match temps "
     "to shifts and do payroll in one app. Big if true.", [CONF], when="2026-06-22T12:03:44Z")
case("en", JOOST, f"So proud of the team grinding on Tide{ZW}water this quarter 🌊 can't say more yet",
     [CONF], tags=[EV, "ev:zero-width"])
case("nl", LISA, fullwidth("Project Zwaluw") + " gaat volgende maand van start. Kan niet wachten!",
     [CONF], tags=[EV, "ev:full-width"])
case("nl", pub("instagram", "@mo_recruit"), "Kick-off van Operatie Klaproos vandaag, geheimzinnig hè 😎",
     [CONF], tags=["non-profile-handle"])
case("nl", MO, "Operatie 🌺 Klaproos begint eindelijk, hele regio Venlo gaat op de schop 👀", [CONF],
     tags=[EV, "ev:emoji-between"])
case("nl", WB_LI, "Vandaag lanceren we FlexBrug 3.0! 🚀 Plannen, klokken en je loonstrook in één app. "
     "Meer op werkbrug.nl/flexbrug", [CONF], when="2026-10-01T08:59:00+02:00", tags=["embargo-edge"])
case("nl", pub("forum", "ex_intercedent"), "Voor wie nog toegang heeft: het intranet staat op "
     "intranet.werkbrug.internal, daar vind je ook alle tarieven per klant", [CONF])
case("nl", DEWI, "Oeps krijg net een mail met 'vertrouwelijk - alleen intern: nieuwe marges per opdrachtgever' in "
     "mijn privé inbox 😬 iemand heeft de verkeerde Dewi gekozen", [CONF])
case("en", SANDER, "Tidewater sprint demo went great today 🚀 #proud #devlife", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", RUBEN, "Tough quarter ahead: we now forecast a 9% revenue drop in logistics staffing for Q3. The board "
     "discusses the cost plan next week.", [FIN])
case("nl", ANOUK, "Laatste weken in vestiging Breda 😢 hij gaat per 1 september dicht, samen met Roosendaal en Oss. "
     "Is nog niet officieel dus sst", [FIN])
case("nl", MO, "Als klopt wat ik hoor nemen we FlexForce Nederland over 👀 deal is zo goed als rond", [FIN])
case("nl", pub("x", "@bosschenaar73"), "Mijn zus werkt op het hoofdkantoor van Werkbrug: ze gaan na de zomer 120 "
     "kantoorbanen schrappen. Echt waar, wordt binnenkort bekend gemaakt", [FIN])
case("en", LISA, "We lost our biggest client this week (a well-known parcel company, about €30m a year). The "
     "team is gutted. Management will announce something soon.", [FIN])
case("nl", KEVIN, f"reorg bij payroll, 8 man ont{SHY}slagen volgende maand. ik hoop dat ik mag blijven 🤞", [FIN],
     tags=[EV, "ev:soft-hyphen"])
case("en", pub("reddit", "u/throwaway_wb"), "Insider here (not saying which dept). Werkbrug is in talks to be "
     "sold to a private equity firm, LOI was signed last week.", [FIN])
case("en", DEWI, "Our H1 2026 results are going to surprise people, EBITDA almost doubled 📈", [FIN, CONF],
     when="2026-07-21T21:15:03+02:00")
case("en", PIOTR, "Colleagues, dont tell the workers yet but the Distrivo contract in Venlo stops end of this "
     "month. 85 people without work", [FIN])
case("nl", pub("forum", "brabantse_flexer"), f"Bij W{CYR_E}rkbrug gaan ze 0ntsl@gen doorvoeren, hele regio zuid "
     "wordt samengevoegd", [FIN], tags=[EV, "ev:homoglyph-leet"])
case("nl", RUBEN, "Druk met het deck voor de Q2-cijfers 2026... marge gezakt naar 4,1%, au", [FIN, CONF],
     when="2026-07-30T08:11:27.412Z")
case("nl", JOOST, "Na de fusie met Jobvast gaat de helft van IT naar Den Bosch, zag ik net in de plannen. Niemand "
     "weet het nog", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", JOOST, "Lange nacht achter de rug: ransomware op twee fileservers van de vestigingen. Nog niet naar "
     "buiten gebracht, dus graag discreet", [SEC])
case("en", SANDER, "found an open bucket with ~40k candidate CVs this morning 😬 locking it down now, pls don't "
     "RT", [SEC])
case("nl", KEVIN, "phishingmail gehad en 2 collega's hebben hun login van het salarispakket ingevuld. IT zoekt het "
     "uit, klanten weten nog van niks", [SEC])
case("nl", MO, "FlexBrug app ligt plat, volgens IT een DDoS. zeg maar tegen je mensen dat het onderhoud is 🙊",
     [SEC])
case("en", DEWI, "b r e a c h at work today, the candidate portal showed other people's payslips for a few hours. "
     "not public yet", [SEC], tags=[EV, "ev:spaced"])
case("nl", pub("x", "@arbeidsmigrant_nl"), "Werkbrug is gehackt en ze houden het stil!! mijn loonstrook stond "
     "gewoon op een of ander forum", [SEC, CRISIS])
case("en", pub("reddit", "u/it_friend_says"), "Werkbrug is covering up a breach. A friend in their IT says the "
     "candidate database was dumped in June and nothing has been announced.", [SEC, CRISIS])
case("nl", ANOUK, "Hele vestiging kan niet inloggen en er zit iemand in ons mailaccount die namens ons facturen "
     "rondstuurt 😱 IT zegt: niks tegen klanten zeggen", [SEC])
case("en", JOOST, "Found today: the payslip download on our candidate portal lets you fetch anyone's payslip by "
     "changing the number in the URL. Patch is coming, not disclosed yet.", [SEC])
case("nl", pub("forum", "flexkracht_zuid"), "Bij Werkbrug is het weer raak, geh4ckt en ze verzwijgen het 🤐",
     [SEC, CRISIS], tags=[EV, "ev:leet"])
case("en", PIOTR, "Workers, the app had a hack, your passport scans maybe were seen by others. Official letter "
     "comes later, please dont post about it", [SEC])
case("en", SANDER, "intrusion alerts all night from siem.werkbrug.internal, someone is poking around in the ATS. "
     "nothing announced yet", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@saskia_kritisch"), "Zembla gezien? Werkbrug filterde kandidaten met een migratieachtergrond "
     "eruit op verzoek van klanten. Schandalig. #boycotWerkbrug", [CRISIS])
case("nl", pub("facebook", "fnv.limburg.actief", "FNV Limburg actief"), "De vakbond sleept Werkbrug voor de rechter "
     "wegens structurele onderbetaling van honderden arbeidsmigranten. Werkte jij via hen? Meld je!", [CRISIS])
case("en", pub("x", "@warehouse_watch"), "A Werkbrug temp was crushed under a falling pallet at a DC in Tilburg "
     "today. These agencies send people in without any training.", [CRISIS])
case("en", pub("instagram", "@fair.work.now"), "Stop using Werkbrug. They put migrant workers 8 to a room and take "
     "€140 a week for it. Boycott them. 🚫", [CRISIS])
case("nl", pub("reddit", "u/lekkerbezig"), "Volgens mij zijn mijn gegevens gelekt via Werkbrug, ik krijg ineens "
     "sms'jes met mijn volledige naam en het adres dat ik alleen bij hen heb opgegeven", [CRISIS])
case("en", pub("facebook", "marek.zielinski.77", "Marek Zielinski"), "In my Werkbrug house was fire last night, "
     "no smoke alarm, i told them 3 times. now i sleep in the car. very bad service", [CRISIS, COMPLAINT])
case("nl", pub("x", "@koelcel_kees"), "Via Werkbrug in een vrieshuis gezet zonder handschoenen of instructie, nu "
     "bevriezingsletsel aan twee vingers en niemand belt me terug", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@payjustice.bsky.social"), "Class action being prepared against Werkbrug over unpaid "
     "holiday allowance. DM us if you worked through them between 2022 and 2025.", [CRISIS])
case("nl", pub("x", "@nadia_spreekt"), "d i s c r i m i n a t i e bij Werkbrug, ik heb het zwart op wit: "
     "'liever geen hoofddoek bij deze klant'", [CRISIS], tags=[EV, "ev:spaced"])
case("nl", pub("tiktok", "@waarheid.flex"), "Wérkbrüg schandaal 😳 nepvacatures plaatsen om cv's te verzamelen en "
     "door te verkopen?! deel dit", [CRISIS], tags=[EV, "ev:diacritics"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("indeed", "Anonieme sollicitant"), "Recruiter van Werkbrug belde drie keer, gesprek ingepland, "
     "daarna nooit meer iets gehoord. Zeer onprofessioneel.", [COMPLAINT])
case("en", pub("facebook", "vasile.rusu.3", "Vasile Rusu"), "Werkbrug took €95 from my salary for housing but i "
     "left that house 2 weeks ago. nobody answers at the office", [COMPLAINT])
case("nl", pub("x", "@productie_bakkerij_ml"), "Derde keer deze maand dat de uitzendkrachten van @werkbrug niet "
     "komen opdagen. Lijn ligt stil. Regel het nou eens", [COMPLAINT])
case("en", pub("reddit", "u/pickerpete"), "FlexBrug app logs me out every 5 minutes and I can't clock my hours. "
     "Now 6 hours missing on my payslip and Werkbrug support just says 'reinstall'", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@milan_on_shift"), "Loonstrook van @werkbrug.nl klopt wéér niet, 12 uur te weinig 😤",
     [COMPLAINT])
case("nl", pub("linkedin", "annelies-teamlead-zorg", "Annelies Brouwer"), "Teleurgesteld in Werkbrug: vier "
     "maanden W&S traject en twee kandidaten voorgesteld die niet eens de juiste BIG-registratie hadden.",
     [COMPLAINT])
case("en", pub("x", "@nightshift_noor"), "@werkbrug cancelled my shift AGAIN 30 min before start. an hour on the "
     "bus for nothing. any compensation? no? thought so", [COMPLAINT])
case("nl", pub("threads", "@dave.zzp"), "Jaaropgave 2025 nog steeds niet binnen van Werkbrug, aangifte moet de deur "
     "uit 🙄", [COMPLAINT])
case("en", pub("glassdoor", "Former temp, Venlo"), "Werkbrug: planners change your schedule by WhatsApp at 11pm, "
     "hours are paid late and the housing is overpriced. Would not recommend.", [COMPLAINT])
case("en", pub("mastodon", "@lena@mastodon.nl"), "Applied for a warehouse job through Werkbrug, they had me do an "
     "unpaid 'trial day' and then ghosted me.", [COMPLAINT])
case("nl", pub("x", "@flexfenna"), "s l e c h t s t e uitzendbureau ooit, 4 weken wachten op mn reserveringen "
     "@werkbrug", [COMPLAINT], tags=[EV, "ev:spaced"])
case("nl", pub("x", "@boze_bas_"), "stelletje klootzakken bij Werkbrug, wéér 20 uur niet uitbetaald",
     [COMPLAINT, ABUSE])
case("en", pub("x", "@grumpy_loader"), "Werkbrug you f*cking clowns, third month in a row my payslip is wrong",
     [COMPLAINT, ABUSE], tags=[EV, "ev:masked"])
case("nl", pub("youtube", "@truckertijn"), "Leuk filmpje over hoe fijn werken via Werkbrug is, maar ik wacht al "
     "5 weken op mijn eindafrekening", [COMPLAINT], kind="comment")
case("en", pub("twitter", "@ops_manager_ops"), "Werkbrug invoiced us 160 hours for a temp who worked 120. Second time "
     "this quarter. Not impressed.", [COMPLAINT])
case("nl", pub("bluesky", "@jorrit.bsky.social"), "Inschrijven via mijn.werkbrug.nl lukt al dagen niet, foutmelding "
     "bij het uploaden van mijn ID. Helpdesk onbereikbaar.", [COMPLAINT])
case("nl", pub("x", "@chauffeur_cor"), f"W{CYR_E}rkbrug heeft mijn pensioenpremie 2 jaar lang niet afgedragen, "
     "blijkt nu. En niemand neemt op.", [COMPLAINT], tags=[EV, "ev:homoglyph"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@tygo_xx"), "@mo_recruit je bent echt een nutteloze debiel, hoepel op", [ABUSE], kind="reply")
case("en", pub("x", "@anon88812"), "that Werkbrug recruiter Anouk is an ugly cow, someone should teach her a lesson",
     [ABUSE])
case("nl", MO, "weer een Pool die niet komt opdagen, dat volk is echt niet te vertrouwen", [ABUSE])
case("en", KEVIN, "@daan_r2 learn to read your own payslip you absolute idiot", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@skrrtflex"), "werkbrug = tyfusbedrijf 🤮🤮", [ABUSE])
case("en", pub("instagram", "@no.filter.nl"), "every recruiter at werkbrug is a brainless b*tch, no exceptions",
     [ABUSE], tags=[EV, "ev:masked"])
case("nl", WB_HELP, "@kees_1971 misschien eerst leren lezen voordat je gaat lopen zeuren, sukkel", [ABUSE],
     kind="reply", handle_as="@Werkbrug_Helpt")
case("en", pub("forum", "nightpicker"), "werkbrug r3cruiters are sh1t, bunch of m0rons the lot of them", [ABUSE],
     tags=[EV, "ev:leet"])
case("nl", pub("x", "@zeurkous"), "Die Dewi van Werkbrug is echt een domme trut", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", WB_X, "Vacature: orderpicker Tilburg 📦 €14,71 per uur + reiskosten, ochtend- en middagdienst. "
     "Reageer via vacatures@werkbrug.nl of bel 040 820 3300.", tags=["own-contact"])
case("nl", WB_HELP, "Storing opgelost ✅ De FlexBrug app werkt weer. Excuses voor het ongemak! Vragen? "
     "Bel gratis 0800-9375.", tags=["own-contact", "official-notice"])
case("nl", WB_FB, "Let op: oplichters versturen nepmails uit naam van Werkbrug. Wij vragen NOOIT om je "
     "wachtwoord. Twijfel je? Mail info@werkbrug.nl", tags=["own-contact", "password-word"])
case("en", WB_LI, "Today we published our H1 2026 results: revenue up 6%, with strong growth in healthcare "
     "staffing. Full report on werkbrug.nl/investors", when="2026-08-06T07:30:00+02:00", tags=["embargo-after"])
case("nl", WB_IG, "FlexBrug 3.0 is live! 🚀 Download de nieuwe app en plan je diensten in een paar tikken.",
     when="2026-10-01T09:00:00+02:00", tags=["embargo-edge"])
case("nl", pub("x", "@thijs_planner"), "Net Werkbrug Zorgflex geïnstalleerd voor onze afdeling, ziet er strak "
     "uit 👌", when="2026-10-14T13:05:51+02:00", tags=["embargo-after"])
case("nl", pub("facebook", "buurtvereniging.oost", "Buurtvereniging Oost"), "Project zwaluwnesten in de wijk: "
     "we zoeken vrijwilligers om nestkasten op te hangen 🐦", tags=["codename-near"])
case("nl", pub("x", "@fotograaf_fleur"), "Klaprozen langs de A2 bij Weert, wat een kleurenpracht vanochtend 🌺",
     tags=["codename-near"])
case("nl", pub("x", "@ruud_knie"), "Operatie aan mijn knie geslaagd 💪 zes weken thuis. Werkbrug regelt de "
     "ziektewet gelukkig netjes", tags=["codename-near", "praise"])
case("nl", pub("x", "@eerlijke_erik"), "Eerlijk is eerlijk: geen enkele klacht over Werkbrug, elke week netjes op "
     "tijd betaald 👌", tags=["negated-complaint"])
case("en", pub("reddit", "u/switched_agency"), "FlexForce Nederland had a data breach last year, one of the reasons "
     "I moved to Werkbrug. Been fine so far.", kind="comment", tags=["other-company"])
case("nl", pub("linkedin", "duurzaam-kantoor-nl", "Duurzaam Kantoor"), "Mooi dat ook Werkbrug meedoet aan de boycot "
     "van wegwerpbekers op kantoor ☕♻️", tags=["word-other-sense"])
case("en", pub("linkedin", "student-career-tips", "Career Tips NL"), "Interview tip I got from a Werkbrug recruiter: "
     "never lie about a gap in your CV, just explain it. Solid advice.", tags=["praise"])
case("nl", pub("x", "@emma_eerstedag"), "lekke band en dus te laat op mijn eerste werkdag via werkbrug 🙈 gelukkig "
     "moest de teamleider erom lachen", tags=["word-other-sense"])
case("nl", WB_IG, "Voorjaarsactie 🌷 Vacature Premium nu €716 (20% korting) t/m 30 april!", tags=["sale-price"])
case("nl", WB_LI, "€100 korting op Assessment Compleet bij boeking vóór 1 juni. Ideaal voor je nieuwe "
     "teamleiders.", tags=["discount-amount"])
case("en", pub("x", "@budget_boss"), "Uitzendhuys charges €99 for their VCA course, Werkbrug's VCA-basis training "
     "is €245 but the exam fee is included. Worth it imo", tags=["other-company-price"])
case("nl", pub("facebook", "kwekerij.vanleeuwen", "Kwekerij Van Leeuwen"), "Tip voor collega-kwekers: de FlexBrug "
     "Planner kun je ook per maand afnemen, €179 per maand. Handig in het seizoen.", tags=["monthly-price"])
case("nl", KEVIN, "Tip: het salarispakket weigert IBANs met een fout controlegetal, zoals <<BADIBAN:NL_grp>>. "
     "Check je nummer dus even goed bij je inschrijving 👍", tags=["bad-iban"])
case("en", SANDER, "QA note: checkout now rejects card numbers that fail the Luhn check before we even call the "
     "PSP, e.g. <<BADCARD:mc_sp>>. Saves a roundtrip 🙌", tags=["bad-card"])
case("nl", pub("x", "@omgedraaid"), "Werkbrug-portal zei dat <<BADBSN>> geen geldig BSN was. Klopte, twee cijfers "
     "omgedraaid 🤦 nu wel gelukt", tags=["bad-bsn"])
case("nl", WB_X, "Vacaturenummer <<NUM9>>: heftruckchauffeur in Oss, direct starten! 🚛", tags=["number-not-id"])
case("nl", WB_LI, "Werkbrug Uitzendgroep B.V. · KvK <<NUM8>> · NEN-4400-1 gecertificeerd · lid van de ABU",
     tags=["number-not-id"])
case("nl", WB_FB, "Voorschot terugbetalen? Maak het over naar NL46 RABO 0318 2745 60 t.n.v. Werkbrug Uitzendgroep "
     "B.V. en vermeld je personeelsnummer.", tags=["own-contact", "own-iban"])
case("nl", pub("x", "@twijfelaar_tim"), "Werkbrug vraagt me de borg voor de kamer over te maken naar "
     "NL46RABO0318274560, klopt dat rekeningnummer?", tags=["own-iban", "question"])
case("en", pub("x", "@freelance_journo"), "Anyone know if pers@werkbrug.nl is the right address for press "
     "questions about the new Tilburg office?", tags=["own-contact", "question"])
case("nl", WB_LI, "Wij zijn bereikbaar op werkdagen van 8:00 tot 18:00 via +31 (0)40 820 33 00 🕗",
     tags=["own-contact"])
case("nl", pub("instagram", "@jade.werkt"), "Urenbriefje week 18 eindelijk goedgekeurd ✅ (ref WB-2026-18-44721) "
     "weekend!!", tags=["number-not-id"])
case("en", SANDER, "Docs reminder: put STRIPE_SECRET=sk_live_<your-key-here> in your local .env and never commit the "
     "real one. Same goes for AKIAXXXXXXXXXXXXXXXX style placeholders in examples.", tags=["placeholder-secret"])
case("nl", JOOST, "Hotfix voor de urenregistratie staat live 🎉 commit <<HEX:40>>, dank aan het hele team",
     tags=["git-sha"])
case("nl", WB_HELP, "Wachtwoord vergeten? Via mijn.werkbrug.nl/reset stel je een nieuw wachtwoord in. Wij vragen "
     "nooit om je wachtwoord via DM 🔒", tags=["password-word", "own-domain"])
case("en", pub("x", "@shiftlife_sam"), "therapist: and what do you do for fun?\nme: refresh the Werkbrug app every "
     "10 min to see if new shifts dropped 😂", tags=["joke"])
case("nl", pub("blog", "schrijfsels.example", "Schrijfsels"), "Hoofdstuk 4 van mijn thriller (fictie!) staat online: "
     "een uitzendbureau wordt gehackt en alle loonstroken verdwijnen. Dank aan Werkbrug, waar ik voor de research "
     "een dag mocht meelopen.", tags=["fiction"])
case("en", pub("x", "@philo_phil"), "'Hell is other people' — Sartre. Clearly never worked a Monday shift with the "
     "Werkbrug crew, they're great 😄", tags=["quote", "mild-word"])
case("nl", pub("facebook", "linda.verhoef.5", "Linda Verhoef"), "Mijn moeder heeft kanker en Werkbrug gaf me zonder "
     "gedoe vrij om bij haar te zijn. Dank jullie wel ❤️", tags=["mild-word", "praise"])
case("en", pub("linkedin", "careers-coach-eline", "Eline de Boer"), "Sad to read that a big Dutch logistics firm is "
     "cutting 300 jobs. If you're affected: Werkbrug has open roles in Venlo and Tilburg.", tags=["other-company"])
case("en", pub("x", "@cheese_memories"), "Total recall: my very first job was through Werkbrug in 2009, packing "
     "cheese in Gouda 🧀", tags=["word-other-sense"])
case("nl", pub("instagram", "@noor.start"), "Dankjewel @werkbrug.nl voor de snelle plaatsing! Maandag begin ik 🎉",
     tags=["praise"])
case("en", pub("reddit", "u/tue_student"), "Werkbrug or Uitzendhuys for weekend work as a student in Eindhoven? "
     "Any experiences?", tags=["question"])
case("nl", LISA, "Wij zoeken een collega-recruiter voor ons team in Eindhoven! Zin in? Mail je cv naar "
     "vacatures@werkbrug.nl 💼", tags=["own-contact"])
case("en", PIOTR, "Reminder: the bus to the DC leaves 05:30 from Venlo station. Questions? Call the office "
     "+31 40 820 3300", tags=["own-contact"])
case("nl", pub("x", "@burger_bram"), "Weer een datalek bij een gemeente, hoe vaak nog? Fijn dat mijn uitzendbureau "
     "(Werkbrug) alles via een beveiligd portaal doet", tags=["other-company"])
case("en", pub("x", "@denbosch_local"), "Werkbrug office on the Markt on fire?? nvm, it was smoke from the bakery "
     "next door, all good, nobody hurt", tags=["retracted-rumour"])
case("nl", pub("x", "@fd_lezer"), "De halfjaarcijfers 2026 van Werkbrug vallen wat tegen volgens het FD, vooral "
     "logistiek krimpt", when="2026-08-07T10:12:00+02:00", tags=["embargo-after", "published-news"])
case("nl", WB_HELP, "@lotje_b Vervelend om te horen! Stuur ons een DM met je personeelsnummer, dan zoeken we het "
     "vandaag nog uit 🙏", kind="reply", tags=["support-reply"])
case("nl", pub("x", "@cursist_cas"), "Let op: bij Werkbrug betaal je €25 administratiekosten als je de VCA-basis "
     "training moet herkansen. Wel even rekening mee houden", tags=["fee"])
case("nl", WB_LI, "Tot €2.000 korting op het Werving & Selectie pakket als je drie vacatures tegelijk uitzet. "
     "Vraag je accountmanager!", tags=["discount-amount"])
case("nl", WB_HELP, "@bas_ondernemer Nee hoor, geen prijsfout: Vacature Basis kost tijdelijk €295, actie loopt t/m "
     "zondag 😊", kind="reply", tags=["denied-error"])
case("nl", WB_X, "Nieuwe vacature: zorgassistent nachtdienst in Helmond 🌙 werkbrug.nl/vacatures/<<UUID>>",
     tags=["uuid"])
case("nl", WB_HELP, "Neem op je eerste werkdag je ID-bewijs mee. Je BSN vul je zelf in via mijn.werkbrug.nl, nooit "
     "via DM of WhatsApp 🔐", tags=["id-word"])
case("nl", WB_TT, "Wist je dat je bij Werkbrug je uren gewoon in de FlexBrug app klokt? ⏱️ #uitzendwerk #bijbaan",
     tags=["product-mention"])
case("nl", pub("forum", "vraagbaak_flex"), "Heeft iemand ervaring met de Assessment Compleet van Werkbrug? Kost "
     "€1.250, is het dat waard voor een teamleider-functie?", tags=["list-price"])
case("en", WB_LI, "Planned maintenance: mijn.werkbrug.nl will be unavailable on Sunday 02:00–04:00 CET. Payslips "
     "are available again right after.", tags=["official-notice", "own-domain"])
case("nl", pub("x", "@zwaluw_spotter"), "Eerste boerenzwaluw van het jaar gezien bij de Biesbosch 🐦 voorjaar!",
     tags=["codename-near"])


# ===========================================================================
# building
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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


def ams_hours(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_ts(r):
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355),
                                                                        minutes=r.randint(5 * 60, 23 * 60),
                                                                        seconds=r.randint(0, 59))
    off = ams_hours(t)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        p = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{p}", f"https://www.facebook.com/{h}/posts/{p}"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            cmt = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{cmt}", f"https://www.reddit.com/r/werkzoeken/comments/{p}/_/{cmt}/"
        return f"t3_{p}", f"https://www.reddit.com/r/werkzoeken/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-flexpraat-{n}", f"https://forum.flexpraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/hoofdstuk-{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    r = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, *_ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and r.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and r.random() < 0.7:
            acct["display_name"] = c["name"]
        if r.random() < 0.3:
            acct["id"] = str(r.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = r.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        ts = random_ts(r)
        post["created_at"] = c["when"] or ts
        if url and r.random() < 0.6:
            post["url"] = url
        if r.random() < 0.45:
            post["brand"] = "werkbrug"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": x["post"], "expect": x["expect"]}, ensure_ascii=False) + "\n" for x in rows)


# ===========================================================================
# self-check (independent of any detector)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RE = re.compile(r"ghp_|glpat-|AKIA[A-Z2-7]{16}|xox[bp]-|hooks\.slack|sk_live_[A-Za-z0-9]{20}|AIza[\w-]{35}|"
                       r"PRIVATE KEY|eyJ[\w-]+\.eyJ|://[^\s:/@]+:[^\s@/]+@|api_key=|AccountKey=|SG\.[\w-]{22}\.")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def check(text_lines, rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0408203300", "08009375"}
    emb = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    prods = profile["products"]
    ids = set()
    for n, (line, row) in enumerate(zip(text_lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if not RFC3339.match(p["created_at"]) or ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        # identifiers
        for kind, fmt, raw, shown in row["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw):
                errs.append(f"{w}: IBAN invalid")
            if kind == "BADIBAN" and iban_valid(raw):
                errs.append(f"{w}: bad IBAN valid")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card invalid")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{w}: bad card valid")
            if kind == "BSN" and not bsn_valid(raw):
                errs.append(f"{w}: BSN invalid")
            if kind in ("BADBSN", "NUM8", "NUM9") and bsn_valid(raw):
                errs.append(f"{w}: number passes 11-proof")
            if kind == "GHP" and not ghp_valid(raw):
                errs.append(f"{w}: ghp checksum")
        validated = any(k in VALID_ID for k, *_ in row["used"])
        if validated and "leak.pii" not in cats:
            errs.append(f"{w}: valid identifier without leak.pii")
        want = severity_for(role, cats, "leak.pii" in cats and validated)
        if want != sev:
            errs.append(f"{w}: severity {sev} != {want}")
        nt = norm(text)
        when = ts(p["created_at"])
        for term, until in emb:
            if term in nt and when < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term} before embargo, unlabelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term} unlabelled")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign severity")
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{w}: benign valid IBAN")
            for m in DIGIT_RUN.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{w}: benign Luhn number {d}")
                if len(d) == 9 and bsn_valid(d):
                    errs.append(f"{w}: benign 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = re.sub(r"^(0031|31)0?", "0", d) if m.group(0).startswith(("+", "0031")) else d
                if d not in own_phone_digits and len(d) >= 9:
                    errs.append(f"{w}: benign phone {m.group(0)}")
            if SECRET_RE.search(text) and "placeholder-secret" not in row["tags"]:
                errs.append(f"{w}: benign secret-like text")
            # prices of our products
            mentioned = [x for x in prods if any(a.casefold() in nt for a in [x["name"]] + x["aliases"])]
            if mentioned:
                lp = min(x["list_price"] for x in mentioned)
                for m in AMOUNT_RE.finditer(nt):
                    a = amount(m.group(1) or m.group(2))
                    if a / lp < profile["pricing"]["alert_below_ratio"] and not (
                            row["tags"] & {"other-company-price", "monthly-price", "fee", "discount-amount"}):
                        errs.append(f"{w}: benign low price {a} vs {lp}")
    return errs


def report(rows):
    from collections import Counter
    cat, lang, role, sev, plat, cl = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = benign = 0
    for x in rows:
        cats = x["expect"]["categories"]
        lang[x["lang"]] += 1
        role[x["role"]] += 1
        sev[x["expect"]["severity"]] += 1
        plat[x["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in x["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, x["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}   corp {cl[(c, 'corporate')]:2d} emp {cl[(c, 'employee')]:2d} "
              f"pub {cl[(c, 'public')]:2d}")
    print("  lang", dict(lang), " role", dict(role))
    print("  severity", {s: sev[s] for s in SEVERITIES})
    print("  platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    data = dump(rows)
    if not a.check:
        OUT.write_text(data, encoding="utf-8")
        print(f"wrote {len(rows)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8")
    errs = check(disk.splitlines(), rows, profile)
    if disk != data:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
