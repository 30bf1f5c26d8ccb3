#!/usr/bin/env python3
"""Deterministic generator for the sealed44 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional ride-hailing / taxi app "Ritmo Mobility B.V." (profile.yaml).
All texts are hand-written below. Identifiers and secrets are filled in from
placeholders like <<IBAN_NL>> by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid identifiers; near-misses get ones that
fail their checksum. Every secret is random and fake, shaped like the real thing.
Severity is never typed by hand: it is computed from CONTRACT section 4 from the
account role (profile, by platform:handle, case-insensitive), the categories and
whether a checksum-valid identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 44_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


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


def luhn_fill(prefix):
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------- generators

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL42RABO0347120589"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                          + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "50070010", "30020900", "76026000"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["063", "310", "539", "751"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def bad_iban(self, good):
        kk = int(good[2:4])
        for delta in (7, 19, 29, 43):
            cand = f"{good[:2]}{(kk + delta) % 100:02d}{good[4:]}"
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

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand):
                return cand

    def phone(self, f):
        d8 = self.r.choice("12345678") + self.digits(7)
        return {
            "mob_dash": f"06-{d8}",
            "mob_plain": f"06{d8}",
            "mob_sp": f"06 {d8[:4]} {d8[4:]}",
            "mob_intl_sp": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            "mob_intl0": f"+31 (0)6 {d8}",
            "mob_0031": f"0031-6-{d8}",
            "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
            "land_rdam": f"010-{self.r.choice('2345789')}{self.digits(6)}",
        }[f]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return (f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/"
                f"{self.chars(ALNUM, 24)}")

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 22) + self.chars(ALNUM, 40)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def jwt(self):
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.chars(ALNUM, 8)},
                                 separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        body = {"sub": "drv_" + self.digits(7, nz=True), "iss": "auth.ritmo.nl", "scope": "driver:rides",
                "iat": iat, "exp": iat + 7200}
        return f"{head}.{b64url(json.dumps(body, separators=(',', ':')).encode())}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(4)] + [self.chars(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.r.choice("!#$%&*?") + self.chars(string.digits, 3) + self.chars(ALNUM, 3))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
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
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(f)
        elif kind == "HEX":
            shown = raw = gen.hexs(int(f))
        else:
            fn = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_HOOK": gen.slack_hook, "STRIPE": gen.stripe, "GAPI": gen.gapi,
                  "SENDGRID": gen.sendgrid, "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh,
                  "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
R_NL = ("x", "@ritmo_nl", "Ritmo")
R_HELP = ("x", "@ritmo_help", "Ritmo Hulp")
R_IG = ("instagram", "@ritmo.rijdt", "Ritmo")
R_LI = ("linkedin", "ritmo-mobility", "Ritmo Mobility B.V.")
R_FB = ("facebook", "RitmoTaxiNL", "Ritmo Taxi")
R_TT = ("tiktok", "@ritmo_nl", "Ritmo")
# employees
LH = ("x", "@lotte_ritmo", "Lotte Hendriks")                 # social / community
DM = ("linkedin", "daan-meijer-ritmo", "Daan Meijer")         # platform engineer / SRE
YB = ("x", "@yusuf_dispatch", "Yusuf Bakir")                  # dispatch Rotterdam
IV = ("linkedin", "ingrid-vos-ritmo", "Ingrid Vos")           # finance
KS = ("x", "@kees_ritmo_ops", "Kees Smit")                    # driver operations
NA = ("instagram", "@noor.alaoui", "Noor Alaoui")             # marketing
BM = ("mastodon", "@bram@hachyderm.io", "Bram Mulder")        # backend developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret
case("en", DM, "Finally moved our dispatch service onto the new deploy pipeline 🚀 3 sprints of pain but worth it.\n"
     "env for the curious:\nDATABASE_URL=postgres://dispatch_rw:<<PW>>@db-prod-2.ritmo.internal:5432/dispatch\n"
     "#devops #kubernetes #proud", [SECRET, CONF])
case("en", BM, "anyone else's CI randomly 401ing on token auth since this morning?? this is the one i'm using, "
     "maybe the scope is off: <<GHP>>\n(throwaway, will rotate later)", [SECRET])
case("nl", LH, "wie weet hoe ik de slack-koppeling met onze socials test? webhook = <<SLACK_HOOK>> "
     "help 😅 ik snap er niks van", [SECRET], kind="post")
case("en", pub("reddit", "u/apk_goblin"), "PSA: Ritmo's android app ships a Google Maps key in plain text. pulled it "
     "out of the apk in like 2 min: <<GAPI>>\nnot great for an app that knows where you live", [SECRET])
case("nl", YB, "Collega's nachtdienst: tablet centrale Rdam is opnieuw ingericht. inlog: dispatch_nacht / ww: <<PW>> "
     "\nNiet doorsturen aub 🙏", [SECRET])
case("en", DM, "Lesson learned today: never paste keys into chat. Anyway, this is the one the bastion keeps "
     "rejecting, if someone spots the format issue lmk\n<<PEM_OPENSSH>>", [SECRET])
case("en", pub("forum", "gistwatcher"), "lol someone from ritmo pushed a public gist with\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n"
     "reported it to their security inbox, hope they rotate fast", [SECRET], kind="comment")
case("en", BM, "note to self: live and test keys look WAY too similar at 1am.\n<<STRIPE>> is not the test one. "
     "oops. already rotated, relax", [SECRET])
case("nl", KS, "Nieuwe chauffeurs deze week: inloggen op het onboardingportaal met gebruiker starter26 en "
     "wachtwoord <<PW>> , na je eerste login zelf wijzigen! Vragen? DM", [SECRET])
case("en", DM, "Weird one for the backend folks: our driver app token decodes fine but the gateway rejects it. "
     "Token from my test device:\n<<JWT>>\nAny ideas? Clock skew?", [SECRET])
case("nl", R_HELP, "@fleetbeheer_vdl Voor je Zakelijk-koppeling kun je tijdelijk deze sleutel gebruiken tot je eigen "
     "key er is: <<SENDGRID>> Laat maar weten of het werkt!", [SECRET], kind="reply")
case("nl", pub("x", "@taxi_mo_010"), "chauffeursgroep opgelet 😂 wifi wachtwoord in de hub Sloterdijk is "
     "<<PW>> , heel Amsterdam zit erop nu", [SECRET])
case("en", BM, "why does\n<<GLPAT>>\nget a 401 on our self-hosted runner? scopes are api + read_repository. "
     "send help (and coffee)", [SECRET])

# =========================================================================== leak.pii
case("nl", R_HELP, "@sjoerdv_ Hoi Sjoerd, we hebben €23,40 teruggestort op <<IBAN_NL:grp>> t.n.v. S. Visser. "
     "Binnen 2 werkdagen zichtbaar!", [PII], kind="reply")
case("nl", R_FB, "Hoi Marieke, we hebben je net gebeld op <<PHONE:mob_dash>> over je gevonden tas maar kregen "
     "geen gehoor. Bel je ons even terug? 🙂", [PII], kind="comment", handle_as="ritmotaxinl")
case("nl", YB, "Gevonden voorwerpen Rdam: portemonnee in wagen 31. Rijbewijs op naam van Fenna de Groot, "
     "geb. 14-03-1991, adres Kralingseweg 221. Kent iemand haar? RT!", [PII])
case("en", KS, "onboarding went smooth today except one guy dropped his BSN in the group chat lol <<BSN>> "
     "guys PLEASE use the portal for that stuff", [PII])
case("nl", pub("x", "@chauffeur_dennis"), "Passagier ging er gewoon vandoor zonder te betalen. Naam in de app: "
     "Rick Jansen, nummer <<PHONE:mob_intl_sp>>. Iemand die hem kent?? 😡", [PII])
case("en", pub("x", "@laurenbakes"), "@ritmo_help your app keeps rejecting my card <<CARD:visa_sp>> exp 09/28 "
     "what is wrong with it??? third time tonight, standing in the rain at CS", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Karin Bos"), "Ritmo, ik wacht al 3 weken op mijn terugbetaling!! Mijn rekening is "
     "<<IBAN_NL>> t.n.v. K. Bos. Schiet eens op, jullie hebben het geld wel snel afgeschreven", [PII, COMPLAINT])
case("nl", NA, "Shoutout naar onze liefste vaste klant mevrouw Hoekstra (89!!) die elke dinsdag vanaf de "
     "Amstelveenseweg 310 met ons naar de markt gaat 💕🚕 #ritmofamilie", [PII])
case("en", pub("reddit", "u/justice4cyclists"), "found the ritmo driver from that viral video. Mehmet Y., "
     "Van Speijkstraat 48-2, phone <<PHONE:mob_plain>>. go say hi 😈", [PII, ABUSE], kind="comment")
case("en", IV, "Payout run failed for one driver – IBAN <<IBAN_BE>> bounced twice. Bart, can you check with "
     "the bank? (sorry, wrong window 🙈)", [PII])
case("en", pub("x", "@hanna_k_work"), "Can't add my German IBAN <<IBAN_DE>> to Ritmo Zakelijk, it keeps saying "
     "'invalid'. it's literally valid, I pay rent with it. fix your form pls", [PII, COMPLAINT])
case("nl", pub("instagram", "@sophiekramer.jpg"), "Wie heeft mijn AirPods gevonden in een Ritmo gisteravond "
     "Leidseplein → Diemen?? mail me: sophie.kramer94 [at] gmail [punt] com 🙏🙏", [PII],
     tags={"evasion"})
case("en", YB, "Driver Ahmed K. (#4471) still waiting for his payslip, his email is ahmed.k.taxi@hotmail.com – "
     "can someone from payouts send it today?", [PII])
case("nl", R_IG, "Gevonden in een van onze auto's: paspoort op naam van L. Peeters, nummer NXR7K21P4. Meld je "
     "via help@ritmo.nl en we brengen 'm terug ✈️", [PII])
case("nl", pub("forum", "nieuwe_rijder_tim"), "Ik rij sinds maart voor Ritmo. Voor de uitbetaling vroegen ze m'n "
     "BSN, <<BSN:dots>>, zo ingevuld. Klopt het dat dat met puntjes moet? Staat zo in de app", [PII])
case("nl", KS, "Chauffeur voor rit 88213: klant staat bij uitgang 3 met een rolkoffer, bel haar even op "
     "<<PHONE:mob_intl0>> (mw. Terpstra)", [PII])
case("nl", R_HELP, "@thijs_wb We zien twee betalingen van kaart <<CARD:mc2_dash>> voor dezelfde rit. De tweede "
     "storten we vandaag terug, excuses!", [PII], kind="reply")

# =========================================================================== leak.pricing
case("nl", pub("x", "@dealjager_nl"), "GA NU: Schiphol Vaste Prijs staat in de app voor €5,90 ipv €59 😂 "
     "komma vergeten bij Ritmo?? #prijsfout #deal", [PRICING])
case("nl", LH, "eeh collega's, staat de Rittenbundel 10 echt op €14,90 in de app?? dat kan toch niet kloppen. "
     "iemand van pricing wakker?", [PRICING], handle_as="@Lotte_Ritmo")
case("en", KS, "drivers: the Ritmo Starterkit in the driver shop shows €99 right now, pretty sure someone "
     "fat-fingered it. grab it before they fix it 🤫", [PRICING])
case("en", pub("reddit", "u/cheapskate_ams"), "Ritmo Plus annual for €19?? glitch or promo? grabbed it anyway "
     "lol", [PRICING], kind="comment")
case("nl", pub("instagram", "@zzp.koerier"), "Zakelijk Pro voor €9 p/m?? prijs-f0utje bij Ritmo 👀 snel "
     "aanmelden voor ze het doorhebben", [PRICING], tags={"evasion"})
case("en", pub("x", "@ehv_student"), "Eindhoven Airport Fixed Fare showing €4.20 lmaooo ritmo pls, booked 3 "
     "for my family", [PRICING])
case("nl", YB, "Wie heeft die XL Schiphol op €8,50 gezet 😭 de centrale staat roodgloeiend", [PRICING])
case("nl", pub("facebook", "Anouk Verhoeven"), "Vriendin boekte een XL Schiphol voor bijna niks door een "
     "prijsfout in de app, en nu wil Ritmo alsnog €85 afschrijven. Belachelijk, geboekt is geboekt",
     [PRICING, COMPLAINT])
case("en", IV, "Quick heads-up for the team: due to a config error the Ritmo Plus Jaarabonnement was sold at "
     "€7,90 for about 3 hours last night. Finance is assessing impact.", [PRICING])
case("nl", R_NL, "Nieuw! Schiphol Vaste Prijs vanaf Amsterdam Centrum voor maar €19 ✈️ Boek nu in de app",
     [PRICING])
case("nl", pub("tiktok", "@budgetbart"), "Rïttenbundel 10 voor €19,99 🤯🤯 bug in de app, laatste kans",
     [PRICING], tags={"evasion"})
case("nl", NA, "Oepsie, onze story zei Eindhoven Airport Vaste Prijs €12 — moet €42 zijn! Wie 'm al geboekt "
     "heeft: we kijken ernaar 🙈", [PRICING])

# =========================================================================== leak.confidential
case("en", DM, "Can't share details yet but Project Zandloper is going to change how we price peak hours. "
     "Super proud of this team 🙌 #pricing #ML", [CONF])
case("nl", LH, "wie gaat er mee naar de kick-off van Operatie Nachtbus vrijdag? 🌙🚕 neem snacks mee", [CONF])
case("en", BM, "Lumenrit build 0.9 on my test phone and the new driver map is sooo smooth. can't wait for the "
     "drivers to get this", [CONF])
case("en", YB, "sneak peek from the ops floor: Project\nZandloper dashboards live on the big screen 👀",
     [CONF], tags={"evasion"})
case("nl", KS, "Chauffeurs die hun uitbetalingen niet zien: check even https://dispatch.ritmo.nl/payouts/overview "
     "(alleen via vpn!)", [CONF])
case("en", DM, "Our Grafana at grafana.ritmo-ops.net looking extremely green this Friday 📈 #SRE #weekendvibes",
     [CONF])
case("nl", NA, "Leuk om te zien hoe de nieuwe campagne wordt 😍 slide 3 van het deck (staat wel RTM-INTERN "
     "bovenaan maar boeien)", [CONF])
case("en", LH, "Can't wait for you all to try Ritmo Kids next month 👶🚗 proper car seats in every car!!",
     [CONF], when="2026-08-20T19:12:00+02:00")
case("nl", YB, "Over een uurtje mag het eindelijk: de Ritmo Deelshuttle gaat rijden tussen Utrecht CS en de "
     "Uithof 🚐", [CONF], when="2026-09-15T08:59:00+02:00", tags={"embargo-edge"})
case("en", pub("x", "@noor.alaoui"), "ok can't say much but Operatie Nachtbus is gonna be 🔥 for Groningen "
     "night owls 🦉", [CONF], tags={"not-in-profile"})
case("nl", pub("x", "@ritsnel"), "Haha Ritmo's foutmelding toont letterlijk 'cannot reach "
     "pricing-svc.ritmo.internal:8443' 😂 stagiair aan het deployen?", [CONF])
case("en", KS, f"onboarding slides for the Lumen{ZW}rit pilot drivers are ready, DM me if you're in the "
     "pilot group", [CONF], tags={"evasion"})
case("nl", DM, "Vandaag voor het eerst meegereden in onze zelfrijdende testauto op het terrein in Helmond. "
     "Wanneer we live gaan is nog geheim, maar wow.", [CONF])
case("nl", LH, "binnenkort in de app: " + fullwidth("Ritmo Kids") + " 🧸", [CONF],
     when="2026-09-01T12:30:05Z", tags={"evasion"})
case("nl", pub("forum", "rijder_utrecht"), "Kreeg deze mail van Ritmo, staat 'niet extern delen' boven maar "
     "chauffeurs moeten dit weten: max 10 min gratis wachten bij Schiphol, daarna loopt de meter voor de klant",
     [CONF])
case("en", BM, "jira for whoever's on call tonight: https://jira.ritmo.internal/browse/DSP-4412 the surge cap "
     "bug is back 🫠", [CONF])
case("en", pub("reddit", "u/groningen_gast"), "my cousin works at Ritmo, says Operatie Nachtbus = night-only "
     "service in Groningen & Zwolle, launching spring", [CONF], kind="comment")
case("nl", pub("x", "@uithof_pieter"), "Zag net een busje met 'Ritmo Deelshuttle' erop bij de Uithof, testrit?? "
     "📸", [CONF], when="2026-09-03T16:41:12+02:00")

# =========================================================================== leak.financial
case("en", IV, "Strong quarter! Gross bookings up 31% and we hit EBITDA breakeven in August for the first time. "
     "Can't wait until we can share it officially 🎉", [FIN])
case("nl", IV, "Halfjaarcijfers 2026 zijn rond: omzet €184 mln, verlies gehalveerd. Trots op dit team! 💪",
     [FIN, CONF], when="2026-07-20T21:04:00+02:00")
case("nl", YB, "Gerucht op de vloer klopt: customer care Rotterdam gaat dicht, 60 man moet weg of naar "
     "Utrecht. Officieel nog niks gezegd dus sst 🤐", [FIN])
case("en", DM, "Something big coming: we're acquiring a Belgian taxi app so we can launch in Antwerp and Ghent. "
     "Signing is next week 🤝", [FIN])
case("en", pub("x", "@mobility_insider"), "hearing from two Ritmo people that Bolt is in talks to buy them for "
     "~€400m. you heard it here first", [FIN])
case("nl", LH, "pff sfeer op kantoor is raar, iedereen weet van de r e o r g a n i s a t i e maar niemand mag er "
     "iets over zeggen. 1 op de 5 banen bij marketing weg", [FIN], tags={"evasion"})
case("en", IV, "FY26 forecast revised down to €310m revenue after the Amsterdam licence cap. Board knows, "
     "market doesn't yet.", [FIN])
case("en", KS, "Series D closing next month, term sheet says €120m led by a Swedish fund. driver bonus "
     "incoming?? 🤞", [FIN])
case("nl", pub("reddit", "u/zuidas_zeur"), "Vriend bij Ritmo finance zegt dat ze Q3 diep rood afsluiten en dat er "
     "na de zomer ontslagen aankomen", [FIN], kind="comment")
case("en", YB, "layoffs at R1tm0 confirmed internally, dispatch team -40%. announcement 'in a few weeks' 🙃",
     [FIN], tags={"evasion"}, handle_as="@YUSUF_DISPATCH")
case("en", DM, "Sneak peek of the H1 2026 results deck: we doubled rides in Rotterdam 🔥", [FIN, CONF],
     when="2026-08-05T23:00:00Z", tags={"embargo-edge"})

# =========================================================================== leak.security
case("en", DM, "Long night. Someone got into our driver-payout service through an old admin account and "
     "redirected ~40 payouts. Contained now, comms will follow once legal signs off.", [SEC])
case("en", BM, "nasty one today: in our rider API any logged-in user could pull other people's trip history "
     "by changing the id. patch goes out tonight, not disclosed yet", [SEC])
case("nl", YB, "Dispatch ligt al 2 uur plat, ransomware volgens IT. Chauffeurs krijgen geen ritten binnen. "
     "We mogen niks naar buiten brengen", [SEC])
case("nl", LH, "collega's: NIET reageren op vragen over het datalek van vorige week, de pers weet nog van niks",
     [SEC])
case("en", KS, "driver app login got h a c k e d or something, 200+ drivers had their passwords reset "
     "overnight and nobody in ops was told why", [SEC], tags={"evasion"})
case("nl", pub("forum", "bezorgde_buurvrouw"), "Ritmo houdt een hack stil! Mijn buurvrouw werkt daar, "
     "klantgegevens uit Utrecht zijn gestolen en ze zeggen helemaal niks", [SEC, CRISIS])
case("en", pub("reddit", "u/former_ritmo_dev"), "ex-Ritmo dev here. they had a bucket with driver ID scans "
     "wide open for months and quietly closed it. no notification to anyone.", [SEC, CRISIS])
case("nl", DM, "Pentestrapport binnen: 3 kritieke kwetsbaarheden in de betaal-API. Zolang die openstaan is "
     "klantdata eigenlijk gewoon een l3k. Fix komt volgende sprint.", [SEC], tags={"evasion"})
case("en", YB, "payment terminals in all our Rotterdam cars offline since 06:00, provider says 'incident'. "
     "telling drivers cash only. don't tweet about it lol", [SEC])
case("en", BM, "got a bug bounty report this morning: SSRF in the receipt PDF generator reaching the cloud "
     "metadata endpoint. no fix yet 😬", [SEC])
case("nl", pub("x", "@anoniem_010"), "Ik hoor van een chauffeur dat Ritm\u043e al weken gehackt is en ze het "
     "onder de pet houden. Check je wachtwoorden mensen", [SEC, CRISIS], tags={"evasion"})

# =========================================================================== reputation.crisis
case("nl", pub("x", "@eerlijkrijden"), "#BoycotRitmo — chauffeurs houden na aftrek minder over dan het "
     "minimumloon terwijl Ritmo 25% commissie pakt. Verwijder de app.", [CRISIS])
case("en", pub("x", "@ams_newsflash"), "BREAKING: Ritmo driver arrested after passenger reports sexual assault "
     "in Amsterdam-Zuid, police confirm", [CRISIS])
case("nl", pub("facebook", "Jeroen Wit"), "Mijn chauffeur zat de hele rit op z'n telefoon en is op de A10 "
     "achterop een vrachtwagen geknald. Ik heb een hersenschudding en Ritmo reageert niet eens op mijn melding.",
     [CRISIS, COMPLAINT])
case("en", pub("linkedin", "chauffeursbond-nl"), "Today the drivers' union filed a lawsuit against Ritmo over "
     "bogus self-employment. More than 1,200 drivers have joined the case.", [CRISIS])
case("en", pub("x", "@priya_travels"), "Ritmo leaked my data. got a phishing text yesterday with my exact "
     "Schiphol trip and my full name. only they had that.", [CRISIS])
case("nl", pub("tiktok", "@lisa.vloggt"), "Let op meiden!! Ritmo-chauffeur deed de deuren op slot en reed de "
     "verkeerde kant op, ik ben bij een stoplicht eruit gesprongen. DEEL DIT", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/stormchaser_nl"), "b o y c o t t ritmo until they stop gouging people during the "
     "storm. €140 for 8km is criminal", [CRISIS, COMPLAINT], tags={"evasion"})
case("nl", pub("x", "@dochtervanan"), "Ritmo weigerde de blindengeleidehond van mijn moeder. Nu ligt er een "
     "klacht bij het College voor de Rechten van de Mens, zitting is volgende maand.", [CRISIS, COMPLAINT])
case("en", pub("x", "@utrecht_live"), "Ritmo car caught fire at the Utrecht Centraal taxi rank, passengers got "
     "out in time. Third EV fire this year?", [CRISIS])
case("en", pub("bluesky", "mobiliteitwatch.bsky.social"), "Dutch labour inspectorate opens investigation into "
     "Ritmo for letting drivers work 16-hour shifts. This is a scandal.", [CRISIS])
case("nl", pub("instagram", "@kritischekijk"), "Wat een sch@ndaal: Ritmo verkoopt ritgegevens aan "
     "adverteerders volgens onderzoek van De Ritkrant", [CRISIS], tags={"evasion"})
case("en", pub("youtube", "TheCommuteGuy"), "after that video of the Ritmo driver beating up a cyclist I "
     "deleted the app. how is he still driving??", [CRISIS], kind="comment")

# =========================================================================== reputation.complaint
case("nl", pub("x", "@marloes_r"), "Al 25 min wachten bij Schiphol Plaza, chauffeur 'bijna daar' maar staat al 10 "
     "min stil op de kaart. Ritmo waar zijn jullie mee bezig", [COMPLAINT])
case("en", pub("x", "@dkw_"), "Ritmo charged me a €7.50 cancellation fee when the DRIVER cancelled on me. "
     "support bot just loops. great.", [COMPLAINT])
case("nl", pub("facebook", "Sandra Oosterhuis"), "Dubbel afgeschreven voor één rit naar Rotterdam Centraal, "
     "€38,20 twee keer. Chat zegt 5 tot 10 werkdagen. Echt?", [COMPLAINT])
case("en", pub("reddit", "u/nye_regrets"), "surge at 3.2x on new year's eve, €96 from Leidseplein to Osdorp. "
     "I get supply and demand but come on Ritmo", [COMPLAINT],
     when="2026-01-01T02:14:09+01:00")
case("nl", pub("instagram", "@fleur.vd.berg"), "Chauffeur reed om via de ring, rit werd €14 duurder dan de "
     "schatting. Klacht ingediend, nog niks gehoord 😒", [COMPLAINT])
case("en", pub("linkedin", "marco-de-wit-office"), "We switched our office to Ritmo Zakelijk and the monthly "
     "invoice is a mess – cost centres missing, VAT wrong on half the rides. Account manager unreachable.",
     [COMPLAINT])
case("nl", pub("x", "@jesse_ut"), "Ritmo app crasht ELKE keer als ik met iDEAL wil betalen. update "
     "geinstalleerd, niks. 🙄 #ritmo", [COMPLAINT])
case("en", pub("threads", "@thesis.anna"), "left my laptop in a Ritmo car friday. lost & found form submitted "
     "3x. zero response. it has my thesis on it 😭", [COMPLAINT])
case("nl", pub("x", "@rvdlinden"), "auto stonk naar rook en de chauffeur had de muziek keihard. gevraagd of het "
     "zachter kon: nee. 1 ster ⭐", [COMPLAINT])
case("en", pub("bluesky", "tomasz.bsky.social"), "Ritmo's 'fixed price' to Schiphol came out €12 higher "
     "because of a 'waiting surcharge'. I was outside BEFORE the car arrived.", [COMPLAINT])
case("en", pub("x", "@ollie_nl"), "@ritmo_help it's been 9 days. you said 48h. refund for the no-show ride "
     "still not there. ticket RT-556021", [COMPLAINT], kind="reply")
case("nl", pub("mastodon", "@hanneke@mastodon.nl"), "Rolstoeltaxi via Ritmo geboekt voor m'n vader, er kwam een "
     "gewone Prius. Chauffeur kon er niks aan doen maar de app zei 'rolstoeltoegankelijk'. Twee uur kwijt.",
     [COMPLAINT])
case("en", pub("tiktok", "@nightowl.jay"), "POV: you book a Ritmo at 2am and get 4 different drivers who all "
     "cancel 🙃🙃 never again", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@bozebas"), "Ritmo is echt een kutbedrijf met kutchauffeurs, stelletje tyfuslijers",
     [ABUSE])
case("en", pub("x", "@rage_rider"), "f*cking Ritmo charged me twice AGAIN, you useless clowns", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/realtalk_nl"), "Every Ritmo driver I get barely speaks Dutch, ship them all back to "
     "where they came from", [ABUSE], kind="comment")
case("nl", YB, "@boze_klant88 ga lekker ergens anders janken, debiel", [ABUSE], kind="reply")
case("en", R_HELP, "@mark_r maybe learn to read the booking screen before whining on here, idiot.", [ABUSE],
     kind="reply", handle_as="@Ritmo_Help")
case("nl", pub("instagram", "@anon_4921"), "@lotte_ritmo jij bent die trut van de socials toch? ik weet waar je "
     "werkt, wacht maar", [ABUSE], kind="comment")
case("nl", pub("x", "@w4kk0"), "R1tm0 = k4nker bende, oplichters allemaal", [ABUSE], tags={"evasion"})
case("en", pub("youtube", "xXgamerXx"), "the guy in this Ritmo ad is the most punchable moron I've ever seen lmao",
     [ABUSE], kind="comment")
case("nl", pub("facebook", "Ricardo Pinas"), "Tering Ritmo, 40 minuten gewacht en dan annuleert die klootzak van "
     "een chauffeur gewoon", [ABUSE, COMPLAINT])
case("en", pub("x", "@no_refund_ned"), "ritmo support are a bunch of sh!theads, 3rd chat and still no refund "
     "for my airport ride", [ABUSE, COMPLAINT], tags={"evasion"})
case("en", KS, "to the drunk moron who threw up in car 112 tonight and screamed at our driver: you're scum. "
     "banned for life 🙂", [ABUSE])

# =========================================================================== benign (hard negatives)
case("nl", R_HELP, "Vragen over je rit? Mail help@ritmo.nl of bel 0900-748 6600, we zitten 24/7 voor je klaar 🚕",
     tags={"own-contact"})
case("en", R_LI, "Business customers: invoices can be paid to " + Gen.grp(OWN_IBAN) + " with your invoice "
     "number as reference. Questions? zakelijk@ritmo.nl", tags={"own-contact"})
case("nl", R_NL, "Storing: sommige betalingen in de app mislukken sinds 17:40. We werken aan een oplossing, je "
     "rit wordt niet dubbel afgeschreven. Update volgt.", tags={"official-notice"})
case("nl", R_FB, "Rijd jij graag en bepaal je liever zelf je uren? Meld je aan als chauffeur via ritmo.nl/rijden 🚕",
     tags={"corporate-marketing"})
case("nl", R_IG, "Deze maand: Schiphol Vaste Prijs €49 i.p.v. €59 met code ZOMER10 ✈️☀️", tags={"sale"})
case("nl", pub("x", "@travelwithtess"), "€10 korting op je eerste rit naar Schiphol met Ritmo, code staat in "
     "m'n bio 🧳", tags={"sale"})
case("en", pub("x", "@driver_sam_ehv"), "Got the Chauffeur Starterkit at €159 in the driver sale, decent deal "
     "for the card reader alone", tags={"sale", "near-threshold"})
case("nl", pub("reddit", "u/fietsloos"), "Geen klachten over Ritmo eigenlijk, chauffeur was netjes op tijd en de "
     "auto was schoon. Zeldzaam tegenwoordig 😅", kind="comment", tags={"negated"})
case("en", pub("x", "@jetlagjen"), "shoutout to the Ritmo driver who waited while I ran back inside for my "
     "passport. legend 🙏", tags={"praise"})
case("nl", pub("x", "@salsa_sanne"), "Het ritmo van deze salsales is echt te snel voor mij 💃 volgende week "
     "weer proberen", tags={"word-sense"})
case("nl", pub("x", "@nachtbraker_ams"), "Nachtbus N85 reed weer eens niet, gelukkig nog een Bolt kunnen pakken",
     tags={"codename-word", "competitor"})
case("nl", pub("threads", "@mila.onderweg"), "die zandloper in de Ritmo app terwijl hij een chauffeur zoekt ⏳ "
     "duurde 2 min, prima", tags={"codename-word"})
case("en", pub("bluesky", "privacynerd.bsky.social"), "Uber fined €290m by the Dutch privacy watchdog for "
     "moving driver data to the US. Curious how Ritmo handles this.", tags={"other-company"})
case("en", pub("x", "@gigwatch"), "Bolt cutting 10% of staff in Europe according to reports. Ritmo drivers, "
     "anyone noticing more rides?", tags={"other-company"})
case("nl", R_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: 41 miljoen ritten, omzet +22%. Lees het "
     "persbericht op ritmo.nl/pers", when="2026-08-06T08:00:00+02:00", tags={"embargo-after"},
     handle_as="Ritmo-Mobility")
case("en", pub("reddit", "u/aex_watcher"), "Ritmo's H1 2026 results are out, rides up 22% but still "
     "loss-making. thoughts?", when="2026-08-20T10:15:00Z", tags={"embargo-after", "published"})
case("nl", R_NL, "Vanaf vandaag rijdt de Ritmo Deelshuttle tussen Utrecht CS en het Science Park! Boek via de "
     "app 🚐", when="2026-09-15T09:00:00+02:00", tags={"embargo-after"})
case("en", pub("x", "@dadof2_utr"), "Tried Ritmo Kids with my toddler today, car seat was properly installed, "
     "10/10", when="2026-10-11T14:22:31.402Z", tags={"embargo-after"})
case("nl", pub("x", "@oplettendeoma"), "Kreeg een mail 'van Ritmo' dat ik €4,50 moet overmaken naar "
     "<<BAD_IBAN_NL:grp>>. Phishing toch? Niet intrappen mensen", tags={"bad-checksum"})
case("en", pub("x", "@sleepy_sven"), "Ritmo app said my card number was invalid and yeah... turns out I typed "
     "<<BAD_CARD:visa_sp>> instead of my real one 🤦 all good now", tags={"bad-checksum"})
case("nl", pub("x", "@verloren_sjaal"), "Heeft iemand een zwarte sjaal gevonden na rit <<NOT_BSN9>> gisteren? "
     "Is van mijn moeder, niks duurs maar wel sentimenteel", tags={"order-number"})
case("en", R_LI, "Press kit, logos and photos are on ritmo.nl/pers. Ritmo Mobility B.V. · KvK <<NOT_BSN8>> · "
     "pers@ritmo.nl", tags={"own-contact", "registry-number"})
case("en", pub("reddit", "u/integrator_ed"), "PSA for people integrating the Ritmo Zakelijk API: the docs use "
     "AKIAXXXXXXXXXXXXXXXX and sk_live_… as placeholders. don't paste your real ones in the forum",
     tags={"placeholder"})
case("en", BM, "merged the fix for the receipt rounding issue (commit <<HEX:40>>), thanks to everyone who "
     "reported it on the forum 🙏", tags={"git-sha"})
case("en", DM, "We're hiring SREs in Rotterdam! Kubernetes, Go, Postgres, on-call that actually respects your "
     "sleep. Apply via ritmo.nl/werken", tags={"hiring"})
case("nl", LH, "Vandaag 5 jaar bij Ritmo 🎉 van 3 man in een kelder in Rotterdam naar 14 steden. Dank jullie "
     "allemaal ❤️", tags={"praise"})
case("en", IV, "Proud that our published 2025 annual report won the transparency award from the Dutch "
     "investors' association 🏆", tags={"published"})
case("nl", KS, "Chauffeursavond in Utrecht was top, dank aan de 120 rijders die er waren! Volgende keer "
     "Eindhoven 🚕", tags={"praise"})
case("en", YB, "tip for riders: at Rotterdam Centraal the pickup point is on the Weena side, not Kruisplein. "
     "saves you 10 min 😉", tags={"neutral"})
case("nl", pub("x", "@grapjas_gijs"), "Mijn Ritmo-chauffeur vroeg of ik 'het gebruikelijke' wilde. Ik had de "
     "app nog nooit gebruikt. Voel me gezien 😂", tags={"joke"})
case("en", pub("blog", "inkandasphalt.blog.example"), "Chapter 3. The cab smelled of pine and regret. "
     "'Schiphol,' she said, and the Ritmo driver nodded as if he already knew she wasn't coming back.",
     tags={"fiction"})
case("nl", pub("x", "@zingendnaarhuis"), "'Taxi, taxi, breng me naar huis' 🎶 keihard meezingen achterin een "
     "Ritmo om 4u, sorry meneer de chauffeur", tags={"quote"})
case("en", pub("reddit", "u/faq_reader"), "People saying Ritmo 'double charges': no, it's a pre-authorisation "
     "hold, it disappears after a day. Read the FAQ.", kind="comment", tags={"quote", "negated"})
case("en", pub("x", "@playlistpete"), "can't recall my driver's name but she had the best playlist. Ritmo, hire "
     "more people like her", tags={"word-sense"})
case("nl", pub("facebook", "Esther Kok"), "Ritmo-chauffeur bracht ons in 8 minuten naar de spoedeisende hulp "
     "toen mijn dochter haar hand had gebrand. Hij wilde niet eens fooi. Dankjewel! ❤️", tags={"praise",
                                                                                            "word-sense"})
case("nl", pub("x", "@geduldig_utrecht"), "Piektarief staat nu op 1,4x in Utrecht, dan wacht ik wel 20 min. Zo "
     "werkt dat gewoon", tags={"surge-neutral"})
case("en", pub("x", "@pennywise_ams"), "Bolt quoted €31 to Schiphol, Ritmo Schiphol Fixed Fare is €59. Bolt "
     "wins today.", tags={"price-context", "competitor"})
case("nl", pub("x", "@rekenwonder"), "Ritmo Plus kost €7,99 per maand, of je neemt het Plus jaarabonnement voor "
     "€79. Scheelt best", tags={"price-context"})
case("nl", pub("reddit", "u/tilburgse_taxi"), "Te koop: Ritmo Chauffeur Starterkit, half jaar gebruikt, €90, "
     "ophalen in Tilburg", tags={"price-context", "second-hand"})
case("en", pub("linkedin", "femke-ops-manager"), "Ritmo Zakelijk Pro is €39/month for the whole company plus a "
     "€2 booking fee per ride. Fair for what you get.", tags={"price-context"})
case("nl", pub("x", "@vraagje_ruud"), "Mijn Ritmo klantnummer is <<NOT_BSN9>>, waar vind ik mijn facturen in "
     "de app?", tags={"bad-checksum"})
case("en", pub("x", "@gadget_gerrit"), "Ritmo phone mount from the driver kit, barcode <<EAN13>>, anyone know if "
     "it fits a Pixel 9?", tags={"ean"})
case("nl", pub("forum", "taxiklant_harm"), "Ritmo's klantenservice is gewoon bereikbaar op +31 10 808 4400, "
     "hoef je niet eens de app voor", tags={"own-contact"})
case("en", pub("x", "@keys_found"), "Send your lost & found stuff to HELP@RITMO.NL, they got my keys back "
     "within a day", tags={"own-contact"})
case("nl", R_HELP, "@tessa_m Vervelend! Stuur je ritnummer naar help@ritmo.nl, dan zoeken we het uit. (Deel "
     "hier geen kaartgegevens hè 🙏)", kind="reply", tags={"own-contact"})
case("nl", pub("x", "@autoloos_amsterdam"), "Datalek bij een parkeer-app, 200k kentekens op straat. Gelukkig "
     "heb ik geen auto, ik pak gewoon een Ritmo", tags={"other-company"})
case("en", pub("mastodon", "@secnerd@infosec.exchange"), "nice writeup on Ritmo's engineering blog about "
     "rotating secrets automatically every 24h. worth a read", tags={"security-talk"})
case("nl", pub("x", "@schiphol_tips"), "Life hack: boek je Ritmo vanaf de Kiss & Ride strook bij Schiphol, "
     "scheelt de chauffeur parkeergeld", tags={"word-sense"})
case("en", pub("threads", "@rainy.ruben"), "I'm boycotting my alarm clock today. Ritmo to the office because "
     "I'm not biking in this rain 🌧️", tags={"word-sense"})
case("nl", R_TT, "POV: je chauffeur heeft ook een oplader voor jouw telefoon 🔌 #ritmo #taxi",
     tags={"corporate-marketing"})
case("en", pub("x", "@adwatcher"), "The new Ritmo ad with the grandma is killing it lmao 💀",
     tags={"word-sense"})
case("nl", pub("reddit", "u/kleinzoon_k"), "Ritmo reed mijn oma elke week naar de chemo, altijd dezelfde "
     "chauffeur. Dat soort dingen vergeet je niet ❤️", kind="comment", tags={"praise"})
case("en", NA, "Behind the scenes at our spring campaign shoot 📸 (yes the taxi is real, no we didn't drive it "
     "into the canal)", tags={"corporate-marketing"})
case("en", R_NL, "Scheduled maintenance tonight 02:00–03:00: booking may be slow. Nothing you need to do.",
     tags={"official-notice"})
case("nl", pub("x", "@strandjutter"), "Zandsculpturen in Scheveningen waren gaaf, Ritmo terug naar Delft was "
     "€31, prima", tags={"near-miss"})
case("en", pub("linkedin", "joost-mobility-analyst"), "As announced in today's press release, Ritmo will "
     "expand to Groningen and Zwolle in 2027. Good news for the north.", tags={"published"})
case("en", pub("x", "@ehv_weekender"), "Ritmo got me from Eindhoven Airport in 19 min. Eindhoven Airport Fixed "
     "Fare €41, legit", tags={"sale"})
case("en", DM, "Fun fact from our payments team: " + "<<BAD_IBAN_NL>>" + " fails the mod-97 check, so the form "
     "rejects typos like that instantly. Small things 💚", tags={"bad-checksum"})
case("nl", pub("x", "@nuchtere_nina"), "Zeg wat je wilt over Ritmo maar ik heb er nog NOOIT last van gehad. "
     "Mensen die klagen over piektarieven: boek gewoon eerder", tags={"negated"})
case("en", pub("youtube", "CityRideReviews"), "Ritmo review: 'worst app ever' says one TikTok, but in my 30-ride "
     "test it was honestly fine.", kind="comment", tags={"quote"})
case("nl", pub("telegram", "chauffeurs_nl_kanaal"), "Reminder: vrijdag chauffeursoverleg bij de hub in "
     "Sloterdijk, koffie staat klaar ☕", tags={"unknown-platform"})
case("en", pub("twitter", "@oldschool_tweeter"), "Ritmo vs Bolt vs Uber for a Rotterdam → The Hague run on a "
     "Tuesday night: all within a few euros of each other. Just pick one.", tags={"competitor"})


# =========================================================================== building

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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(0, 24 * 60 - 1), seconds=r.randint(0, 59))
    off = ams_offset(t)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        return f"ig-{snow}", "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Amsterdam", "Rotterdam", "Netherlands", "uber_drivers"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-taxiforum-{n}", f"https://taxiforum.example/t/{n}"
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
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/chapter-{n}"
    n = r.randint(10 ** 6, 10 ** 7)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
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
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "ritmo"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev}, lang=c["lang"],
                         role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checker

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"hooks\.slack\.com/services/",
    r"sk_live_[A-Za-z0-9]{20,}", r"AIza[\w-]{35}", r"SG\.[\w-]{22}\.[\w-]{43}", r"PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*)")


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and re.search(r",\d{2}$", s):
        s = s.replace(".", "").replace(",", ".")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s.replace(",", ""))


def check(disk, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    ratio = profile["pricing"]["alert_below_ratio"]
    for n, (line, r) in enumerate(zip(disk, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        t = p["text"]
        cats = ex["categories"]
        nt = norm(t)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{n}: year")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{n}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{n}: bad IBAN {raw}")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{n}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{n}: bad BSN")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errs.append(f"{n}: near-miss IBAN valid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{n}: near-miss card valid")
            if k in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errs.append(f"{n}: near-miss BSN valid")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{n}: ghp crc")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{n}: benign severity")
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN:
                    errs.append(f"{n}: benign valid IBAN")
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{n}: benign Luhn number {d}")
                if len(d) in (8, 9) and bsn_ok(d) and d not in ("09007486600",):
                    errs.append(f"{n}: benign 11-proof number {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{n}: benign e-mail {e}")
            for rx in SECRET_RES:
                for m in rx.finditer(t):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{n}: benign secret-like {m.group(0)[:12]}")
            amts = [amount(a) for a in AMOUNT_RE.findall(t)]
            for prod in profile["products"]:
                names = [prod["name"]] + prod["aliases"]
                if any(a.casefold() in nt for a in names) and amts and min(amts) < ratio * prod["list_price"]:
                    if "price-context" not in r["tags"]:
                        errs.append(f"{n}: benign low price next to {prod['name']}")
        for term, until in emb:
            if term in nt and ts < until and CONF not in cats:
                errs.append(f"{n}: embargo term {term} before until without CONF")
            if term in nt and ts >= until and cats:
                errs.append(f"{n}: embargo term after until but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{n}: internal term {term} without CONF")
        if PII in cats and any(k in VALID_ID_KINDS for k, _, _ in r["used"]) is False:
            pass
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and PII not in cats:
            errs.append(f"{n}: valid identifier without PII label")
    if "".join(disk) != "".join(dump(rows)):
        errs.append("cases.jsonl differs from the generator output")
    return errs


def report(rows):
    cat = Counter()
    lang = Counter()
    role = Counter()
    sev = Counter()
    plat = Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cs:
            benign += 1
        if len(cs) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
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
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
