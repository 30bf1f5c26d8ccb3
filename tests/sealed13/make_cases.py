#!/usr/bin/env python3
"""Deterministic generator for the sealed13 blind set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: BodyBrug Fitness Group N.V. (fictional Dutch-Belgian fitness chain), see profile.yaml.
Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>> placeholders
filled by one seeded RNG: positives get checksum-valid values, near-miss negatives get
values that fail their checksum. Severity is computed from CONTRACT section 4, never typed.
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

SEED = 13_2026_0907
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"

# ------------------------------------------------------------------ checksums

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
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0


def luhn_complete(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def rrn_ok(s):
    """Belgian rijksregisternummer (born before 2000): 97 - (first 9 digits mod 97)."""
    d = re.sub(r"\D", "", s)
    return len(d) == 11 and 97 - int(d[:9]) % 97 == int(d[9:])


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


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB"]) + self.digits(10, True))
        if cc == "BE":
            f = self.r.choice(["063", "001", "310", "737", "973"]) + self.digits(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10010010"]) + self.digits(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (13, 29, 41, 7):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
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
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def rrn(self):
        yy, mm, dd = self.r.randint(60, 99), self.r.randint(1, 12), self.r.randint(1, 28)
        seq = self.r.randint(1, 997)
        base = f"{yy:02d}{mm:02d}{dd:02d}{seq:03d}"
        return base + f"{97 - int(base) % 97:02d}"

    def ean13(self):
        while True:
            body = "54" + self.digits(10)
            c = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(c):
                return c

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)
        be = self.r.choice(["70", "71", "72", "73", "75", "76", "77", "78", "79", "84", "85", "86", "87", "88", "89", "92", "93", "94", "95", "96", "97", "98", "99"]) + self.digits(6)
        return {
            "nl_dash": f"06-{d8}",
            "nl_plain": f"06{d8}",
            "nl_intl": f"+31 6 {d8[:4]} {d8[4:]}",
            "nl_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
            "nl_intl0": f"+31 (0)6 {d8}",
            "be_mob": f"04{be[:2]} {be[2:4]} {be[4:6]} {be[6:]}",
            "be_intl": f"+32 4{be[:2]} {be[2:4]} {be[4:6]} {be[6:]}",
            "nl_land": f"010-{self.r.choice('2456')}{self.digits(6)}",
        }[fmt]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        return (enc({"alg": "HS256", "typ": "JWT"}) + "." +
                enc({"sub": "mbr_" + self.digits(7, True), "iss": "app.bodybrug.com", "scope": "pwreset",
                     "iat": iat, "exp": iat + 1800}) + "." + self.chars(B64URL, 43))

    def pw(self):
        return (self.r.choice("BKMTZ") + self.chars(string.ascii_lowercase, 4) + self.r.choice("!#*") +
                self.digits(2) + self.chars(ALNUM, 4))

    def secret(self, kind):
        return {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.chars(B32, 16),
            "AWS_SECRET": lambda: self.chars(B64, 40),
            "MOLLIE": lambda: "live_" + self.chars(ALNUM, 30),
            "SENDGRID": lambda: "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43),
            "STRIPE": lambda: "sk_live_" + self.chars(ALNUM, 24),
            "SLACK_BOT": lambda: f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}",
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.chars(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.chars(string.ascii_uppercase + string.digits, 10) + "/" + self.chars(ALNUM, 24)),
            "GAPI": lambda: "AIzaSy" + self.chars(B64URL, 33),
            "JWT": self.jwt,
            "PEM": self.pem,
            "PW": self.pw,
            "HEX": lambda: self.chars("0123456789abcdef", 40),
        }[kind]()


VALID_ID = {"IBAN", "CARD", "BSN"}          # checksum-validated identifiers of CONTRACT section 4
PH = re.compile(r"<<([A-Z_0-9]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = f.partition("_")
            raw = gen.iban(cc.upper())
            shown = gen.g4(raw) if style == "grp" else raw
        elif k == "BAD_IBAN":
            cc, _, style = f.partition("_")
            raw = gen.bad_iban(cc.upper())
            shown = gen.g4(raw) if style == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, style = f.partition("_")
            raw = gen.card(brand) if k == "CARD" else gen.bad_card(brand)
            if style == "c":
                shown = raw
            elif len(raw) == 15:
                shown = f"{raw[:4]} {raw[4:10]} {raw[10:]}"
            else:
                shown = ("-" if style == "dash" else " ").join(raw[i:i + 4] for i in range(0, 16, 4))
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = gen.not_bsn(int(f or 9))
        elif k == "RRN":
            raw = gen.rrn()
            shown = f"{raw[:2]}.{raw[2:4]}.{raw[4:6]}-{raw[6:9]}.{raw[9:]}"
        elif k == "EAN":
            raw = shown = gen.ean13()
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        elif k == "DIGITS":
            raw = shown = gen.digits(int(f), True)
        else:
            raw = shown = gen.secret(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ------------------------------------------------------------------ accounts
BB = ("x", "@bodybrug", "BodyBrug")
BBH = ("x", "@bodybrug_help", "BodyBrug Ledenservice")
BBIG = ("instagram", "@bodybrug.fitness", "BodyBrug")
BBFB = ("facebook", "BodyBrugFitness", "BodyBrug Fitness")
BBLI = ("linkedin", "bodybrug-fitness-group", "BodyBrug Fitness Group")
BBTT = ("tiktok", "@bodybrug", "BodyBrug")
LIEKE = ("instagram", "@coach.lieke.bb", "Lieke | PT BodyBrug Utrecht")
KEVIN = ("tiktok", "@pt_kevin_bb", "Kevin PT 🇧🇪")
DAAN = ("x", "@daan_devops", "Daan Smit")
DAANM = ("mastodon", "@daansmit@mastodon.nl", "Daan")
ELS = ("linkedin", "els-peeters-bodybrug", "Els Peeters")
MO = ("x", "@mo_clubmanager", "Mohamed Bouali")
JORIS = ("linkedin", "joris-vandamme-bb", "Joris Van Damme")
NADIA = ("x", "@nadia_ledenservice", "Nadia")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None, before=None):
    p, h, dn = acct
    CASES.append(dict(lang=lang, platform=p, handle=handle_as or h, dn=dn, text=text, cats=sorted(set(cats)),
                      kind=kind, when=when, tags=set(tags), hint=hint, before=before))


H1_END = "2026-08-20T06:00:00Z"
LAUNCH = "2026-09-15T08:00:00Z"

# ============================================================ leak.pricing
case("nl", MO, "uhh collega's?? Premium-lidmaatschap staat in de aanmeldflow op €3,99 p/4wk ipv €39,99 🙃\n"
     "er zijn er al 40+ binnen sinds vanochtend. kan iemand van online even kijken pls", [PRICING])
case("nl", LIEKE, "Psst 🤫 vandaag kost de PT 10-rittenkaart per ongeluk maar €54,90 in de webshop. "
     "Ik heb niks gezegd hè 😇 #personaltraining #utrecht", [PRICING], kind="post")
case("nl", KEVIN, "amai mannekes 😳 BrugFuel Whey 2kg aan 5,49 in de shop?? da's ne fout in 't systeem, "
     "rap zijn vóór ze 't zien 🏃‍♂️💨", [PRICING])
case("en", pub("reddit", "u/gainzgoblin_nl"), "PSA: BodyBrug's webshop lists the Pre-Workout Blast at €2.99 right now. "
     "Pretty sure someone dropped a digit. Ordered 6 tubs, we'll see if they honour it lol", [PRICING], kind="post")
case("nl", pub("x", "@dealjager_"), "PRIJSFOUT 🚨 BB Coach Pro jaarabonnement voor €7,99 i.p.v. €79,99 bij BodyBrug 👀\n"
     "#prijsfout #deals", [PRICING])
case("nl", pub("forum", "koopjeskoning77"), "[Prijsfout?] BodyBrug HR-band €6,90 (normaal €69,00)\n"
     "Gratis verzending vanaf 20 euro dus pak er gelijk 3 😅 mijn order staat al op 'verzonden'", [PRICING])
case("en", DAAN, "note to self: never deploy the price feed on a friday. Coach Pro annual went out at €0.80 for "
     "about 20 min because of a cents/euros mixup 🙈 rolled back but a few hundred ppl got it", [PRICING])
case("en", pub("instagram", "@fitwithyas"), "guys B0dyBrug has the Premium membership at 9.99 a month on the belgian site 😳 "
     "pr1c3 3rr0r for sure, sign up before they fix it!! 🏃‍♀️", [PRICING], tags=["evasion"])
case("nl", NADIA, "Ja hoor, weer een 'foutje' in de koppeling: BB Basic is vanochtend voor €2,49 afgeschreven "
     "in plaats van €24,99. Wij mogen het weer aan de balie uitleggen 🫠", [PRICING])
case("nl", pub("facebook", "Marloes Timmer"), "Klopt het dat het PT-pakket 10 nu 99 euro kost op de site van BodyBrug?? "
     "Buurvrouw zegt dat het een prijsfout is maar ik heb hem al afgerekend haha", [PRICING], kind="comment")
case("en", JORIS, "Quick heads-up to the Gent team before members notice: the landing page shows the Premium membership "
     "at €19,99 all-in. That's a leftover from an old A/B test, wrong figure. Please don't share the link until it's fixed.",
     [PRICING])
case("en", pub("x", "@stackedsteve"), "BodyBrug shop: Whey 2kg for €14.95?!?! p r i c e  e r r o r or clearance?? "
     "either way I'm stocking up 💪", [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@jip.traint"), "BodyBrug annuleert mijn bestelling van de Pre-Workout Blast van €2,99 'wegens prijsfout' "
     "en nu krijg ik mijn geld pas over 14 werkdagen terug?? Ze hebben het binnen 1 sec afgeschreven hoor 🙄",
     [PRICING, COMPLAINT])

# ============================================================ leak.secret
case("en", DAAN, "why is staging failing... oh. someone pushed the Mollie key to the public repo: <<MOLLIE>> 🤦‍♂️ "
     "rotating now, pls don't @ me", [SECRET])
case("nl", DAAN, "Kan iemand ff kijken waarom de CI faalt? token in de workflow is <<GHP>> en die zou nog "
     "gewoon moeten werken", [SECRET], kind="reply")
case("nl", MO, "wachtwoord kassa-pc Rotterdam-Zuid is per vandaag <<PW>>\nniet aan leden geven hè 😅", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "lmao BodyBrug's android app has their keys hardcoded. decompiled it in 5 min:\n"
     "maps: <<GAPI>>\nmail: <<SENDGRID>>\nsomeone tell their devs", [SECRET], kind="comment")
case("en", DAAN, "anyone seen this before? app pods crashloop with\n"
     "DATABASE_URL=postgres://bb_app:<<PW>>@db-prod-02.corp.bodybrug.local:5432/members\n"
     "connection refused every ~30s", [SECRET, CONF])
case("nl", JORIS, "Zo koppel je je Typeform-leadformulier aan Slack in 5 minuten 👇\n1. maak een app\n"
     "2. plak de webhook (de onze: <<SLACK_HOOK>>)\n3. klaar! #marketingautomation", [SECRET])
case("en", NADIA, "if anyone from the weekend team needs the member admin while I'm on holiday: "
     "user ledenservice2 / pw <<PW>> 🌴", [SECRET])
case("en", pub("forum", "whitehat_wout"), "Found this in the bundled JS on the BodyBrug supplement checkout: "
     "<<STRIPE>>\nReported it via their contact form twice, zero reply.", [SECRET])
case("en", DAAN, "aws cli keeps saying invalid signature, config below, what am I missing?\n[default]\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1", [SECRET])
case("nl", KEVIN, "wifi van de PT-ruimte in Antwerpen-Noord is veranderd, het nieuwe paswoord is <<PW>> 👍 "
     "(voor de collega's, ni voor klanten eh)", [SECRET])
case("nl", BBH, "Hoi Sven, probeer deze link eens om je wachtwoord te resetten: "
     "https://app.bodybrug.com/reset?token=<<JWT>> Laat je weten of het lukt?", [SECRET], kind="reply")
case("en", DAANM, "rotating keys for the door-access bridge tonight. for the record, this is the OLD one, "
     "already revoked:\n<<PEM>>", [SECRET])
case("en", pub("x", "@ex_intern_jelle"), "BodyBrug still hasn't revoked the bot token I had as an intern 💀 "
     "<<SLACK_BOT>> still posts in #clubmanagers", [SECRET])

# ============================================================ leak.pii
case("nl", NADIA, "@fitfenna Hoi Fenna, ik zie dat de incasso van rekening <<IBAN:nl>> is gestorneerd, "
     "kun je even contact opnemen?", [PII], kind="reply")
case("en", BBH, "Hi Tom, we've updated your direct debit to <<IBAN:be_grp>> as requested ✔️ "
     "Next collection is on the 1st.", [PII], kind="reply")
case("nl", MO, "Wie heeft de gymtas van Ruud Hendriks uit de kleedkamer meegenomen? Graag terugbrengen of "
     "Ruud bellen: <<PHONE:nl_dash>>", [PII])
case("nl", LIEKE, "Happy birthday to my favourite client Sanne de Wit 🎉🎂 (14-03-1991, net 35 geworden en sterker dan ooit) "
     "#proud #ptlife", [PII])
case("en", ELS, "Month-end close done ✅ the chargeback on card <<CARD:visa>> (member Pieter Claes, Hasselt) "
     "finally got resolved after 9 weeks. Persistence pays!", [PII])
case("nl", pub("x", "@robbert_vl"), "BodyBrug blijft gewoon afschrijven van <<IBAN:nl_grp>> terwijl ik in MAART heb opgezegd!!! "
     "Wie betaalt mij terug?", [PII, COMPLAINT])
case("nl", pub("facebook", "Hanneke Vos"), "Bel me dan gewoon terug: <<PHONE:nl_intl>>. Heb nu 3x gemaild over mijn bevroren "
     "abonnement en krijg steeds een standaardantwoord.", [PII, COMPLAINT], kind="comment")
case("en", pub("instagram", "@jelle.lifts"), "@bodybrug.fitness been waiting 2 weeks for my refund. email me at "
     "jelle.verbeek92@hotmail.com since your DMs clearly don't work", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/angrydad_utr"), "The 'PT' at BodyBrug Utrecht who ghosted my daughter is Bas Jongman, "
     "lives on Kanaalweg 112 in Utrecht. Go tell him what you think of him.", [PII, ABUSE])
case("nl", MO, "Welkom in het team Yara! 💪 (psst je BSN <<BSN:dots>> staat nog op het contract dat op de balie ligt, "
     "even naar HR sturen aub)", [PII])
case("nl", pub("forum", "sportiefsinds2019"), "Moet ik echt mijn BSN (<<BSN>>) opgeven voor de bedrijfsfitness-regeling "
     "van BodyBrug? Voelt een beetje raar.", [PII])
case("en", pub("x", "@kim_dh"), "@bodybrug_help third time asking, refund for the double debit pls. "
     "contact: kim.dehaan [at] outlook [dot] com", [PII, COMPLAINT], tags=["evasion"])
case("nl", pub("x", "@gentsemeid"), "BodyBrug Gent vraagt aan de balie mijn rijksregisternummer (<<RRN>>) "
     "om een gastpas aan te maken. Is dat normaal?", [PII])
case("en", NADIA, "Front desk Eindhoven: member Anouk Mertens left her passport (NX3K81P42) at reception, "
     "we're holding it in the safe 🔒", [PII])
case("nl", BBFB, "🎉 En de winnaar van de BrugFuel-giveaway is... Lotte Verhoeven, Dorpsstraat 14, 5611 AB Eindhoven! "
     "Je pakket komt deze week 📦", [PII])
case("en", pub("threads", "@noor.moves"), "my card <<CARD:mc_c>> got charged TWICE by BodyBrug this month. "
     "customer service says 'wait 10 days'. seriously?", [PII, COMPLAINT])
case("en", DAAN, "getting weird 500s for one member on the booking endpoint, mail r.vandermeer@ziggo.nl, "
     "member id 88123. anyone touched the sync job?", [PII])
case("nl", pub("facebook", "Dirk Aerts"), "Mijn zoon (Wout Aerts, °22/06/2009) mag volgens BodyBrug Mechelen niet alleen "
     "trainen. Hoe zit dat met de leeftijdsgrens?", [PII], kind="comment")

# ============================================================ leak.confidential
case("nl", JORIS, "Spannende tijden op marketing 👀 Project Tijgerhaai komt eraan en ik mag er nog níks over zeggen... "
     "behalve dat het budgetsegment flink gaat schudden 😉 #teamwork", [CONF])
case("en", DAAN, "grafana.bodybrug.io dashboards dead again. who touched the prometheus config 😤", [CONF])
case("nl", LIEKE, "Mocht vandaag al testen met Nova\nCircuit 🤯🤯 die slimme circuittraining wordt echt next level. "
     "Meer mag ik niet zeggen!! #bodybrug", [CONF], tags=["evasion"])
case("nl", KEVIN, "BB Coach 3.0 staat al op mijn gsm 😎 die nieuwe AI-coach is zot, ge gaat ervan smullen",
     [CONF], when="2026-09-02T19:41:07+02:00")
case("en", ELS, "Closing the books on the H1 2026 results this week. Long days, great team, lots of coffee ☕",
     [CONF], when="2026-08-06T17:12:00+02:00")
case("nl", MO, "Krijg net een mail van HQ met 'STRIKT VERTROUWELIJK' erboven over de nieuwe roosterafspraken "
     "voor clubmanagers. Lekker, weer zondagdiensten.", [CONF])
case("en", pub("reddit", "u/frontdesk_throwaway"), "work front desk at a BodyBrug in Amsterdam. they're piloting something "
     "called Project Tijgerhaai: cheap no-frills clubs under a different brand. first ones open early next year apparently",
     [CONF], kind="comment")
case("nl", NADIA, "Tip voor collega's: de nieuwe belscripts voor opzeggers staan op "
     "https://portal-intern.bodybrug.nl/ledenservice/scripts 🙌", [CONF])
case("en", JORIS, "Sneak peek 👀 BrugFuel Clear Whey lands in the clubs this autumn. The watermelon one is a banger 🍉",
     [CONF], when="2026-07-21T10:05:33+02:00")
case("nl", BBIG, "NIEUW 🚀 BB Coach 3.0 staat in de stores! Persoonlijke schema's, AI-feedback op je techniek en meer. "
     "Download nu!", [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("nl", KEVIN, "morgen grote meeting over Operatie Spier" + ZW + "bal, iedereen zit hier op zijn nagels te bijten 😬",
     [CONF], tags=["evasion"])
case("nl", pub("instagram", "@coach.lieke"), "Op de PT-academy lieten ze ons al het Nova Circuit zien, slides met "
     "'BodyBrug Confidential' erop 🤭 wie gaat het als eerste lekken", [CONF], tags=["role-trap"])
case("nl", MO, "Vanavond training gehad over Project Tijgerh\u0430\u0430i. Mag niks zeggen maar 🦈🦈🦈", [CONF],
     tags=["evasion"])
case("en", pub("x", "@fit_insider_be"), "Someone sent me a PDF marked 'intern - niet delen' from BodyBrug about how "
     "they plan to handle cancellations at the desk. Wild read 👀", [CONF])

# ============================================================ leak.financial
case("nl", ELS, "Q2 ziet er intern een stuk beter uit dan de analisten verwachten: ledengroei 11% en EBITDA boven plan. "
     "Niet verder vertellen 😉", [FIN])
case("en", JORIS, "Can finally say it to friends: we're signing the deal to take over FitFabriek's 23 Flemish clubs "
     "next month 🤝 Official announcement after the summer.", [FIN])
case("nl", MO, "Net gehoord dat er eind dit jaar 14 clubs dichtgaan, waaronder 3 in Rotterdam. "
     "Officieel weet nog niemand iets. Zuur voor de teams.", [FIN])
case("nl", KEVIN, "ze gaan bij ons 40 vaste PT's ontslaan en terug inhuren als freelancer, dat is heel het plan "
     "achter Operatie Spierbal. proficiat hé 👏", [FIN, CONF])
case("en", pub("reddit", "u/throwaway_bbhq"), "BodyBrug HQ told managers today: hiring freeze + around 120 layoffs at the "
     "Utrecht head office. Announcement planned for September.", [FIN])
case("en", ELS, "Updated forecast for the full year: revenue ~€212m, well below the €230m we guided. "
     "Board meets Thursday to discuss.", [FIN])
case("nl", NADIA, "Opzeggingen deze maand: 6.200 leden weg, bijna het dubbele van vorig jaar. "
     "Dat komt vast niet in het persbericht 🙃", [FIN])
case("nl", pub("x", "@zwagerweetalles"), "Zwager werkt bij de bank van BodyBrug: ze hebben een extra kredietlijn nodig "
     "om de zomer door te komen, covenant zo goed als gebroken 👀", [FIN])
case("en", DAAN, "board just approved selling the app division (BB Coach) to a US company. our team found out "
     "via a cap table doc someone shared by accident lol", [FIN])
case("nl", MO, "r e o r g a n i s a t i e bij BodyBrug: alle regiomanagers moeten opnieuw solliciteren, "
     "30% van de functies verdwijnt. Gaat leuk worden.", [FIN], tags=["evasion"])
case("nl", pub("forum", "beursbink"), "Bron binnen BodyBrug: de jaarresultaten 2026 vallen veel lager uit, "
     "verlies van zo'n 9 miljoen. Wie shortt er mee?", [FIN, CONF])
case("en", ELS, "Treasury update for the team: the bond refinancing is closing at 7.4% instead of the 5.5% "
     "we modelled. Not public until the H1 2026 results.", [FIN, CONF], when="2026-06-11T08:30:00+02:00")

# ============================================================ leak.security
case("en", DAAN, "heads up colleagues: the member API returns other people's profiles if you change the id in the URL. "
     "ticket's open, not public yet, so keep it in the team pls", [SEC])
case("nl", MO, "Toegangspoortjes in ALLE clubs liggen eruit sinds 05:30, we laten iedereen handmatig binnen. "
     "HQ zegt: nog niks communiceren naar leden.", [SEC])
case("nl", NADIA, "Intern gehoord: er zit ransomware op het incassosysteem, daarom lopen de afschrijvingen vertraging op. "
     "Nog niet naar buiten brengen zeggen ze 🤐", [SEC])
case("en", DAANM, "found a public S3 bucket with last month's SEPA direct-debit batch files in it. closed now, "
     "incident report pending. security is hard, folks", [SEC])
case("nl", KEVIN, "onze BB Coach app is geh4ckt 👀 alle PT-agenda's liggen plat, mogen we nog niet zeggen tegen de klanten",
     [SEC], tags=["evasion"])
case("en", JORIS, "Long night. A phishing mail got into three club-manager mailboxes and they sent fake 'refund' mails "
     "to members. Comms is still drafting the statement, so not a word yet.", [SEC])
case("en", pub("reddit", "u/bbmember_ams"), "BodyBrug is hiding a breach. A friend in their IT says the member database "
     "leaked in May and they're just sitting on it.", [SEC, CRISIS])
case("nl", pub("x", "@lindaaa_fit"), "Ex-collega van BodyBrug zegt dat het hele ledenbestand al weken op straat ligt "
     "en dat ze het stilhouden. Schandalig!!", [SEC, CRISIS])
case("nl", LIEKE, "Boekingssysteem voor PT ligt al 2 dagen plat en we mogen het de leden niet vertellen 🙄 "
     "alles maar op papier dan", [SEC])
case("en", ELS, "Our payment processor flagged fraud on the merchant account: someone ran test transactions on the "
     "Hasselt terminal all weekend. Keeping it quiet until legal signs off.", [SEC])
case("en", DAAN, "vul" + ZW + "nerability in the locker firmware: a replayed NFC tag opens any locker in the club. "
     "patch next sprint 🤐", [SEC], tags=["evasion"])
case("en", pub("x", "@bb_staff_anon"), "staff here: since tuesday's app update the BodyBrug password reset mails go to "
     "the wrong members. fix planned thursday, nothing announced yet.", [SEC])

# ============================================================ reputation.crisis
case("nl", pub("x", "@mirthe_k"), "BodyBrug heeft mijn gegevens gelekt!! Ik krijg ineens phishingmails met mijn lidnummer "
     "én mijn clubnaam erin.", [CRISIS])
case("nl", pub("facebook", "Gerard Mulder"), "Man in elkaar gezakt op de loopband bij BodyBrug Tilburg en de AED bleek leeg. "
     "Onacceptabel. Gelukkig was er een arts aanwezig. #bodybrug", [CRISIS])
case("en", pub("x", "@fairplay_now"), "#BoycottBodyBrug they sent 3,000 members to debt collectors over a billing "
     "mistake that was THEIR fault. Don't give them your money.", [CRISIS])
case("en", pub("reddit", "u/supplementsleuth"), "BrugFuel Pre-Workout Blast being recalled in Belgium? The FAVV apparently "
     "found DMAA in a batch. That stuff is banned for a reason.", [CRISIS])
case("nl", pub("instagram", "@sophie.eet.gezond"), "Ik werd doodziek van de BrugFuel Whey en nu blijkt er een terugroepactie "
     "te zijn voor batch L2309. Dank je wel BodyBrug 🤢 niemand heeft me iets laten weten", [CRISIS, COMPLAINT])
case("nl", pub("blog", "consumentenwaakhond.example"), "Rechtszaak tegen BodyBrug: belangenclub stapt naar de rechter "
     "vanwege de stilzwijgende verlenging van jaarcontracten en het 'alleen aangetekend opzeggen'.", [CRISIS])
case("en", pub("x", "@wesley_runs"), "Legionella in the showers at BodyBrug Eindhoven?! My club got closed and nobody told "
     "me, drove 30 min for nothing. Great.", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@nina.lift"), "PT bij BodyBrug maakt al maanden ongepaste opmerkingen tegen vrouwelijke leden "
     "en het management doet NIKS. Dit moet naar buiten. #metoo", [CRISIS])
case("nl", pub("x", "@ruben_h"), "d a t a l e k bij BodyBrug?? Mijn IBAN en adres stonden gewoon in een gedeelde "
     "spreadsheet die iedereen kon openen", [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@newswatcher@mastodon.social"), "Member injured after a cable machine snapped at BodyBrug "
     "Antwerpen-Zuid yesterday, local paper reports. Scary stuff.", [CRISIS])
case("nl", pub("facebook", "Karin de Bruijn"), "Allemaal opzeggen! BodyBrug verhoogt midden in je contract de prijs. "
     "Ik doe niet meer mee, doe mee aan de boycot 👊 #boycotbodybrug", [CRISIS, COMPLAINT])
case("nl", pub("x", "@sportnieuwtjes"), "B0dyBrug sch4nd4al: trainer verkocht anabolen in de kleedkamer van een "
     "club in Breda, politie ingeschakeld", [CRISIS], tags=["evasion"])
case("en", pub("instagram", "@ilse_cardio"), "my BodyBrug HR-band literally burned my skin, blister and all 😣 "
     "returning it and reporting it to the NVWA", [CRISIS, COMPLAINT])

# ============================================================ reputation.complaint
case("nl", pub("x", "@petra_vh"), "Al 6 weken probeer ik mijn BodyBrug-abonnement op te zeggen. Mail, app, balie... "
     "niemand weet hoe het moet. En de incasso loopt gewoon door 😡", [COMPLAINT])
case("en", pub("reddit", "u/squatrack_wait"), "BodyBrug Amsterdam-Oost at 6pm is unusable. 20 min wait for a rack, "
     "half the treadmills 'out of order' for weeks now.", [COMPLAINT])
case("nl", pub("facebook", "Youssef Amrani"), "Douches in Breda wéér ijskoud. Ik betaal elke 4 weken €39,99 en moet thuis "
     "douchen. Kom op BodyBrug.", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@thatgirl_deadlifts"), "my personal trainer at BodyBrug no-showed twice this month and I still "
     "got charged for both sessions. not cool @bodybrug.fitness", [COMPLAINT])
case("nl", pub("tiktok", "@thijs.traint"), "De BB Coach app crasht elke keer als ik mijn workout wil opslaan 😤 "
     "drie maanden aan data weg", [COMPLAINT])
case("nl", pub("forum", "antwerpseloper"), "Al drie weken wacht ik op de terugbetaling van mijn dubbele afschrijving. "
     "Ledenservice zegt telkens 'het komt in orde'. Allez, ik word er zot van.", [COMPLAINT])
case("en", pub("bluesky", "maartenb.bsky.social"), "BodyBrug raised my fee by five euros without a single email. "
     "Only noticed because I checked my bank app.", [COMPLAINT])
case("nl", pub("youtube", "@gymrat_zwolle"), "Leuk filmpje, maar in mijn club liggen de dumbbells al maanden kapot en "
     "de banken zijn nooit schoon. Schoonmaak bij BodyBrug is echt belabberd", [COMPLAINT], kind="comment")
case("en", pub("linkedin", "hr-manager-dekker-logistics"), "As a corporate wellness client I'm disappointed: BodyBrug's "
     "invoices for our staff memberships have been wrong three months in a row.", [COMPLAINT])
case("nl", pub("twitter", "@oma_sport"), "Sinds de update kan ik in de app geen groepsles meer boeken bij BodyBrug, "
     "krijg alleen een wit scherm 😕 ben 68, geen idee wat ik fout doe", [COMPLAINT])
case("en", pub("trustpilot", "Greet V."), "1 star. BodyBrug charged a €25 'administration fee' to freeze my membership "
     "while I was recovering from surgery. Nobody mentioned that fee when I signed up.", [COMPLAINT],
     tags=["unknown-platform"])

# ============================================================ reputation.abuse
case("nl", pub("x", "@boze_bert"), "@bodybrug_help stelletje incompetente klootzakken, neem nou eens die telefoon op. "
     "Al 4 dagen geen reactie op mijn opzegging", [ABUSE, COMPLAINT], kind="reply")
case("en", pub("x", "@ragequit_ray"), "BodyBrug staff are a bunch of fucking clowns", [ABUSE])
case("nl", pub("instagram", "@dx_m"), "@coach.lieke.bb je bent een vieze trut, blijf van mijn vriend af", [ABUSE],
     kind="comment")
case("nl", pub("tiktok", "@echtenederlander88"), "Die trainers met hoofddoek bij BodyBrug horen daar niet, "
     "ga terug naar je eigen land", [ABUSE], kind="comment")
case("nl", BBH, "Misschien eerst even leren lezen voordat je gaat zeuren, debiel. Staat gewoon in de voorwaarden.",
     [ABUSE], kind="reply")
case("nl", MO, "Leden die hun gewichten laten liggen zijn gewoon asociale idioten. Echt waar. Ruim je troep op.", [ABUSE])
case("en", pub("reddit", "u/nofilter_nick"), "f*cking BodyBrug scum, the whole lot of them", [ABUSE], tags=["evasion"],
     kind="comment")
case("nl", pub("x", "@kwaaie_kees"), "k u t bedrijf, k a n k e r BodyBrug", [ABUSE], tags=["evasion"])
case("en", pub("facebook", "Stan Peeters"), "Whoever runs BodyBrug's socials is a brain-dead moron", [ABUSE],
     kind="comment")
case("nl", KEVIN, "die klant van vanmorgen, wat nen ambetanten klootzak, ge had da moeten zien 🙄", [ABUSE])
case("en", pub("threads", "@nightowl_gym"), "I know where that BodyBrug receptionist parks her car. She'd better watch "
     "herself.", [ABUSE])
case("nl", pub("x", "@g4ngst4gym"), "t3r1ngl1jers bij BodyBrug allemaal", [ABUSE], tags=["evasion"])

# ============================================================ benign, hard negatives
# own contact data
case("nl", BBH, "Vragen over je incasso? Mail leden@bodybrug.nl of bel +31 30 711 4400 (ma-vr 9-17u). "
     "We helpen je graag! 💚", tags=["own-contact"])
case("nl", BBFB, "Openstaand bedrag? Maak het over naar NL73 RABO 0317 2044 55 t.n.v. BodyBrug Fitness B.V. "
     "o.v.v. je lidnummer.", tags=["own-contact"])
case("en", BBH, "Belgian members can reach us at service@bodybrug.be or +32 9 240 18 00. Press enquiries: pers@bodybrug.com",
     tags=["own-contact"], kind="reply")
case("nl", pub("x", "@tevreden_tim"), "Gebeld naar 0800-0442 en binnen 2 minuten geholpen met mijn pasje. Top service BodyBrug!",
     tags=["own-contact"])
case("nl", BBLI, "We zoeken personal trainers in Antwerpen, Gent en Utrecht! Stuur je cv naar jobs@bodybrug.com 💪 "
     "#vacature", tags=["own-contact"])
case("nl", pub("facebook", "Els Maes"), "Overschrijving gedaan naar BE73 7350 1234 5660 voor mijn achterstallige maand, "
     "dacht ik. Klopt dat nummer?", tags=["own-contact"], kind="comment")
# checksum-failing look-alikes and other numbers
case("nl", pub("x", "@vragenvera"), "Mijn lidnummer is <<NOT_BSN:9>>, waar kan ik in de BodyBrug app mijn bezoeken terugzien?",
     tags=["bad-checksum"])
case("en", pub("reddit", "u/macrocounter"), "Anyone know if the chocolate BrugFuel Whey (EAN <<EAN>>) has the same "
     "protein per scoop as vanilla? Label's ripped on mine", tags=["ean"])
case("nl", pub("instagram", "@lotte_sport"), "Cadeaukaart van BodyBrug gekregen van mn zus 🎁 code <<BAD_CARD:visa_c>>, "
     "hoe activeer ik die in de app?", tags=["bad-checksum"])
case("nl", pub("forum", "nieuwlid2026"), "Formulier van BodyBrug zegt dat mijn IBAN <<BAD_IBAN:nl>> ongeldig is, "
     "heb ik een tikfout gemaakt? Opgelost trouwens, was een 7 ipv 1 haha", tags=["bad-checksum"])
case("en", BBH, "Hi Lisa! Your BrugFuel order BB-2026-<<DIGITS:7>> left our warehouse today, tracking 3SBBRG<<DIGITS:9>> 📦",
     tags=["order-number"], kind="reply")
# prices and sales
case("nl", BBIG, "Zomerdeal ☀️ Het Premium-lidmaatschap de eerste 3 maanden voor €29,99 per 4 weken. "
     "Geen inschrijfkosten! Link in bio 🔗", tags=["sale"])
case("nl", pub("x", "@kortingsjager"), "20 euro korting op de HR-band bij BodyBrug met de code uit de nieuwsbrief, "
     "top deal 👌", tags=["sale"])
case("en", pub("facebook", "Marketplace Leuven"), "Selling my unopened BrugFuel Whey 2kg, €20, pickup in Leuven. "
     "Bought the wrong flavour 🙃", tags=["second-hand"])
case("nl", pub("reddit", "u/zuinigsporten"), "FlexGym kost €9,99 per 4 weken en BodyBrug Basic €24,99. Waarom betaal "
     "ik eigenlijk meer? (oprechte vraag, geen klacht, mijn club is prima)", tags=["competitor", "negation"])
case("nl", BB, "Prijsfout? Nee hoor 😉 Het is gewoon Black Friday: BrugFuel Blast voor €19,95 (normaal €29,95). "
     "Alleen dit weekend!", tags=["sale", "denied-error"])
case("en", pub("x", "@budgetbodybuilder"), "A single personal training session at BodyBrug is €55 which honestly "
     "is fair for what you get", tags=["price-talk"])
case("nl", pub("instagram", "@runwithroos"), "Inschrijfgeld van €15 voor Premium vond ik prima, de eerste week kreeg ik "
     "er een gratis intake bij 🙌", tags=["fee"])
# embargo after the moment, published news
case("nl", BBIG, "Hij is er! BB Coach 3.0 staat vanaf nu in de App Store en Google Play 🚀 Update vandaag nog!",
     when="2026-09-15T10:00:00+02:00", tags=["after-embargo"])
case("nl", BBLI, "Vandaag publiceren wij onze halfjaarcijfers 2026: omzet +8%, 41 nieuwe clubs en 1,2 miljoen leden. "
     "Lees het volledige bericht op bodybrug.com/investors", when="2026-08-20T08:00:00+02:00", tags=["after-embargo"])
case("en", pub("youtube", "@supplementreviewsBE"), "Tried BrugFuel Clear Whey for two weeks, honest review: watermelon "
     "tastes great, mixes well, bit pricey. 7/10", when="2026-10-03T18:20:00+02:00", tags=["after-embargo"], kind="comment")
case("en", pub("x", "@beursnieuws"), "BodyBrug H1 2026 results out: revenue up 8%, guidance maintained. Shares +3% at open.",
     when="2026-08-20T07:31:00Z", tags=["after-embargo", "published"])
case("nl", pub("x", "@sportmarkt_nl"), "FlexGym schrapt 200 banen, lees ik net. Hopelijk blijft het bij BodyBrug rustig 🤞",
     tags=["other-company"])
case("en", ELS, "Great panel at the CFO summit on subscription economics in fitness. Slides are public on the event "
     "site, worth a look.", tags=["harmless-insider"])
# codename words in other senses, internal-looking but public
case("nl", pub("x", "@haaienfan"), "Docu over de tijgerhaai gezien en nu durf ik niet meer in zee. Dan maar de loopband bij "
     "BodyBrug 🦈😅", tags=["codename-word"])
case("en", pub("instagram", "@yogawithmila"), "Bossa nova playlist during yoga at BodyBrug Gent 😌 whoever picked "
     "this, I love you", tags=["codename-word"])
case("nl", pub("tiktok", "@circuit.carla"), "Circuittraining bij BodyBrug Hasselt vandaag, 12 stations en ik ben kapot "
     "😵‍💫 maar zo trots", tags=["codename-word"])
case("en", pub("x", "@jobhunter_an"), "bodybrug.be/vacatures has 12 open PT jobs in Antwerp if anyone's looking 👀",
     tags=["public-domain"])
case("nl", pub("x", "@grappig_gert"), "Mijn PT is mijn vertrouwenspersoon geworden, alles wat ik hem vertel blijft "
     "strikt tussen ons en de kettlebell 😂", tags=["marker-like"])
case("nl", BBIG, "Spierbal van de week 💪 Sander trainde 6 maanden voor zijn eerste marathon en liep 'm vorige week uit!",
     tags=["codename-word"])
# secrets near misses
case("en", DAAN, "PSA for junior devs: never put things like AKIAXXXXXXXXXXXXXXXX in a repo. Use a vault, "
     "rotate often 🔐", tags=["placeholder"])
case("en", DAAN, "fixed the flaky booking test in <<HEX>>, details in the public changelog on status.bodybrug.com",
     tags=["git-sha"])
case("nl", BB, "Wachtwoord vergeten? Reset het via de app onder Profiel > Inloggen. Wij vragen NOOIT om je wachtwoord "
     "via een DM! 🔒", tags=["password-word"])
case("en", pub("reddit", "u/lostinmechelen"), "the wifi password at the Mechelen club is on the whiteboard next to the "
     "lockers. took me three weeks to find it lol", tags=["password-word"])
case("en", pub("blog", "devnotes.example"), "Integrating Mollie in a gym booking app: set MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxx "
     "in your .env (never commit it!) and restart the worker. Tested against a BodyBrug-style flow.",
     tags=["placeholder"])
# security/outage near misses
case("nl", BBH, "Storing: de BB Coach app is op dit moment niet bereikbaar. We werken aan een oplossing, "
     "excuses voor het ongemak 🙏 Updates op status.bodybrug.com", tags=["official-outage"])
case("nl", BB, "Gepland onderhoud zondag 02:00–04:00: inchecken via de app werkt dan niet, neem je pasje mee 💳",
     tags=["official-outage"])
case("en", pub("x", "@techdigest_eu"), "Data breach at a US gym chain exposes 2 million members. Glad my BodyBrug "
     "app at least has 2FA now.", tags=["other-company"])
case("nl", pub("x", "@vader_van_3"), "Mijn telefoon is 'gehackt' door mijn zoon van 6, hij heeft 40 burpee-challenges "
     "geaccepteerd in de BodyBrug app 😂", tags=["joke"])
# reputation near misses
case("en", pub("x", "@retro_rick"), "Total Recall on the TV screens and me on the BodyBrug treadmill going full "
     "Schwarzenegger 💪 get your ass to Mars", tags=["recall-word", "quote"])
case("nl", pub("facebook", "Peter Smits"), "Midlifecrisis = op je 45e lid worden van BodyBrug en nu een sixpack hebben. "
     "Ik raad het iedereen aan 😎", tags=["crisis-word"])
case("nl", pub("instagram", "@trappenloper"), "Boycot de lift, neem de trap 😤 #legday #bodybrug", tags=["boycott-word"])
case("nl", pub("x", "@blij_lid"), "Geen klachten over BodyBrug hoor, alles netjes, douches warm en het personeel is "
     "superaardig 👍", tags=["negation"])
case("en", pub("reddit", "u/happyhinge"), "No complaints here, my PT at BodyBrug is great and the app finally syncs "
     "with my watch. Took them long enough but it works now.", tags=["negation"], kind="comment")
case("nl", pub("x", "@reisgraag"), "Vraagje: kan ik mijn Premium-lidmaatschap pauzeren als ik 2 maanden op reis ga?",
     tags=["question"])
case("nl", pub("blog", "korteverhalen.example"), "Kort verhaal – De club die nooit sloot. Elke nacht om drie uur ging in "
     "de BodyBrug van het dorp het licht aan, en de roeimachine begon vanzelf te bewegen...", tags=["fiction"])
case("nl", pub("x", "@benen_van_pudding"), "Mijn benen na legday bij Lieke: officieel overleden. RIP 💀 #bodybrug",
     tags=["joke"])
case("en", pub("x", "@daftpunkfan"), "'Harder, better, faster, stronger' on repeat at BodyBrug, hell yeah 🤘",
     tags=["quote", "mild-word"])
case("nl", pub("instagram", "@fietsenvoorkwf"), "Vandaag 50 km op de spinningfiets bij BodyBrug voor KWF. "
     "Samen tegen kanker 🎗️ doneren kan via de link in bio", tags=["literal-kanker"])
case("nl", pub("tiktok", "@beastmode_bo"), "Mijn PT bij BodyBrug is een beest, echt een monster, ik kan niet meer "
     "lopen 😂❤️", tags=["affectionate"])
case("nl", KEVIN, "Nieuwe week, nieuwe PR's 💪 wie komt er dinsdag mee trainen in Antwerpen-Noord? "
     "Boeken via de app!", tags=["employee-ordinary"])
case("nl", LIEKE, "5 tips voor een sterke core 🔥 1. planken 2. dead bugs 3. pallof press 4. ademhaling 5. geduld. "
     "Save deze post!", tags=["employee-ordinary"])
case("en", JORIS, "Proud to share our new brand campaign 'Bouw je brug' is live across Flanders and the Netherlands! "
     "Huge thanks to the agency 🙌", tags=["employee-ordinary"])
case("nl", pub("x", "@Daan_DevOps"), "Vandaag op de meetup een talk gegeven over hoe wij threat modelling doen voor "
     "onze ledenapp. Slides volgen!", tags=["role-case", "employee-ordinary"])
case("en", pub("facebook", "bodybrugfitness"), "Our Gent-Zuid club reopens Monday after the renovation! New free "
     "weights area and a recovery zone 🙌", tags=["role-case"])
case("nl", NADIA, "Lieve leden, de klantenservice is morgen (Koningsdag) gesloten. Vanaf maandag staan we weer voor je klaar 🧡",
     tags=["employee-ordinary"])
case("en", pub("x", "@ironhouse_gyms"), "IronHouse is opening 5 new clubs this summer! Memberships from €19,99 👊",
     tags=["competitor"])
case("nl", pub("forum", "lezer_van_de_krant"), "Volgens het persbericht van vorige week sluit BodyBrug 2 clubs in "
     "Limburg en verhuizen de leden naar Hasselt. Weet iemand of de lessen hetzelfde blijven?", tags=["published"])
case("en", pub("bluesky", "fitnessfacts.bsky.social"), "Reminder: creatine is one of the most studied supplements. "
     "Whatever brand you buy, BrugFuel or otherwise, check for third-party testing.", tags=["neutral"])


# ------------------------------------------------------------------ labels

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


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def random_time(r, before=None):
    while True:
        day = r.randint(5, 355)
        base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day, minutes=r.randint(6 * 60, 22 * 60),
                                                                               seconds=r.randint(0, 59))
        if before and base >= parse_ts(before):
            continue
        dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= base < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
        off = 2 if dst else 1
        style = r.random()
        if style < 0.4:
            return base.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style < 0.85:
            return (base + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
        return base.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "belgium", "fitness_nl", "gym"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{m}", f"https://{inst or 'mastodon.social'}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{n}", "https://www.threads.net/@" + h + "/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", "https://www.youtube.com/watch?v=" + "".join(r.choice(B64URL) for _ in range(11)) + f"&lc={c}"
    if platform == "forum":
        m = r.randint(100000, 999999)
        return f"forum-sportforum-{m}", f"https://sportforum.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/p/{m}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


EMBARGO_BEFORE = {"BB Coach 3.0": LAUNCH, "BrugFuel Clear Whey": LAUNCH, "H1 2026 results": H1_END,
                  "halfjaarcijfers 2026": H1_END}


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "7"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "bodybrug"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ------------------------------------------------------------------ check

def check(profile, rows):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        for k, raw, shown in r["used"]:
            assert shown in t
            if k == "IBAN" and not iban_ok(raw): errs.append(f"{p['id']} bad IBAN")
            if k == "BAD_IBAN" and iban_ok(raw): errs.append(f"{p['id']} negative IBAN passes")
            if k == "CARD" and not luhn_ok(raw): errs.append(f"{p['id']} bad card")
            if k == "BAD_CARD" and luhn_ok(raw): errs.append(f"{p['id']} negative card passes")
            if k == "BSN" and not bsn_ok(raw): errs.append(f"{p['id']} bad BSN")
            if k == "NOT_BSN" and (bsn_ok(raw) or luhn_ok(raw)): errs.append(f"{p['id']} negative number passes")
            if k == "RRN" and not rrn_ok(raw): errs.append(f"{p['id']} bad RRN")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']} ghp crc")
        if not cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{p['id']} benign with valid IBAN")
            for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){7,18}(?!\w)", t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d): errs.append(f"{p['id']} benign Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d) and d not in ("08000442",): errs.append(f"{p['id']} benign 11-proof {d}")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']} not 2026")
        for e in profile["embargo"]:
            for term in e["terms"]:
                if term.casefold() in t.casefold() and ts < parse_ts(e["until"]) and CONF not in cats:
                    errs.append(f"{p['id']} embargo term {term} before embargo but no leak.confidential")
                if term.casefold() in t.casefold() and ts >= parse_ts(e["until"]) and CONF in cats:
                    errs.append(f"{p['id']} embargo term {term} after embargo but labelled")
    return errs


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in sorted(cat):
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(profile, rows)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
