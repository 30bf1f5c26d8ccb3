#!/usr/bin/env python3
"""Deterministic generator for the sealed38 blind evaluation set of postwatch.

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --stats   # also prints counts to stderr

Company: Vireo Klinieken B.V. (fictional Dutch chain of private clinics: eye laser
treatment, dermatology, physiotherapy). The profile is profile.yaml next to this file.

Texts are hand-written below. Identifiers and secrets are filled in from [[KIND:fmt]]
placeholders by one seeded RNG, so every run writes the same bytes. Identifiers in
positives pass their checksum (IBAN mod-97, Luhn, BSN 11-proof); near-misses in benign
posts fail it. Secrets are random and fake, shaped like the real formats.

Severity is computed (never typed) from CONTRACT section 4: account role from the
profile (platform:handle, case-insensitive), the categories, and whether a checksum-valid
IBAN / card / BSN is in a leak.pii post.
"""
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path

SEED = 38_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEV = ["none", "info", "warning", "error", "critical"]
ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_with_check(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


OWN_IBAN = "NL03RABO0312456789"
assert iban_valid(OWN_IBAN)

# --------------------------------------------------------------------------- generators
AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


class Fill:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_with_check("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"]) + self.d(10))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "068", "143", "735"]) + self.d(7, nz=False)
            return iban_with_check("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_with_check("DE", self.r.choice(["50010517", "37040044", "12030000", "43060967"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 13, 29, 44):
            w = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(w):
                return w
        raise AssertionError

    # cards
    def card(self, brand):
        body = {"visa": lambda: "4" + self.d(14, nz=False),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13, nz=False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11, nz=False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12, nz=False)}[brand]()
        for x in "0123456789":
            if luhn_valid(body + x):
                return body + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.c(letters, 2) + self.c(letters + "0123456789", 6) + self.d(1, nz=False)

    # phones
    def phone(self, f):
        m = self.r.choice("1234568") + self.d(7, nz=False)  # 06-xxxxxxxx -> 8 digits after 6
        if f == "mob_dash":
            return f"06-{m}"
        if f == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "mob_intl":
            return f"+31 6 {m[:4]} {m[4:]}"
        if f == "mob_compact":
            return f"+316{m}"
        if f == "mob_0031":
            return f"0031-6-{m}"
        if f == "mob_plain":
            return f"06{m}"
        if f == "land":
            area = self.r.choice(["010", "020", "033", "040", "043", "050", "053", "076"])
            sub = self.r.choice("2345789") + self.d(6, nz=False)
            return f"{area}-{sub[:3]} {sub[3:]}"
        raise ValueError(f)

    # secrets
    def ghp(self):
        body = self.c(AN, 30)
        n, out = zlib.crc32(body.encode()) & 0xFFFFFFFF, ""
        while n:
            n, rem = divmod(n, 62)
            out = B62[rem] + out
        return "ghp_" + body + out.rjust(6, "0")

    def password(self):
        w = self.r.choice(["Lente", "Oogzorg", "Zeebries", "Kliniek", "Welkom", "Tulp", "Balie", "Zonlicht"])
        return w + self.d(self.r.choice([2, 3, 4]), nz=False) + self.r.choice("!#$*?") + self.c(string.ascii_lowercase, 2)

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc(b'{"alg":"RS256","typ":"JWT"}')
        body = enc(json.dumps({"sub": "pat_" + self.d(7), "iss": "https://mijn.vireoklinieken.nl",
                               "scope": "portal", "iat": iat, "exp": iat + 1800}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.c(URLSAFE, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(AN, 24)}"


PH = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")
VALID_ID = {"IBAN", "CARD", "BSN"}


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = f.partition("_")
            raw = g.iban(cc.upper())
            out = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
            assert iban_valid(raw)
        elif k == "BADIBAN":
            cc, _, style = f.partition("_")
            raw = g.bad_iban(cc.upper())
            out = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
            assert not iban_valid(raw)
        elif k == "CARD":
            brand, _, style = f.partition("_")
            raw = g.card(brand)
            out = g.card_fmt(raw, style or "sp")
            assert luhn_valid(raw)
        elif k == "BADCARD":
            brand, _, style = f.partition("_")
            raw = g.bad_card(brand)
            out = g.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            out = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
            assert bsn_valid(raw)
        elif k == "NOTBSN":
            raw = out = g.not_bsn(int(f or 9))
        elif k == "NUM":
            raw = out = g.d(int(f))
        elif k == "PASSPORT":
            raw = out = g.passport()
        elif k == "PHONE":
            raw = out = g.phone(f)
        elif k == "PW":
            raw = out = g.password()
        elif k == "DBPW":
            raw = out = g.c(AN, 18)
        elif k == "GHP":
            raw = out = g.ghp()
        elif k == "GLPAT":
            raw = out = "glpat-" + g.c(URLSAFE, 20)
        elif k == "MOLLIE":
            raw = out = "live_" + g.c(AN, 30)
        elif k == "TWSID":
            raw = out = "AC" + g.c("0123456789abcdef", 32)
        elif k == "HEX":
            raw = out = g.c("0123456789abcdef", int(f))
        elif k == "SENDGRID":
            raw = out = "SG." + g.c(URLSAFE, 22) + "." + g.c(URLSAFE, 43)
        elif k == "AWSID":
            raw = out = "AKIA" + g.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif k == "AWSSECRET":
            raw = out = g.c(B64, 40)
        elif k == "STRIPE":
            raw = out = "sk_live_" + g.c(AN, 24)
        elif k == "GAPI":
            raw = out = "AIzaSy" + g.c(URLSAFE, 33)
        elif k == "AZKEY":
            raw = out = g.c(B64, 86) + "=="
        elif k == "JWT":
            raw = out = g.jwt()
        elif k == "PEMEC":
            raw = out = g.pem_ec()
        elif k == "SLACKHOOK":
            raw = out = g.slack_hook()
        else:
            raise KeyError(k)
        used.append((k, raw))
        return out

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
# corporate
VK_X = ("x", "@vireoklinieken", "Vireo Klinieken")
VK_CARE = ("x", "@vireo_zorgt", "Vireo Patiëntenservice")
VK_IG = ("instagram", "@vireo.klinieken", "Vireo Klinieken")
VK_LI = ("linkedin", "vireo-klinieken", "Vireo Klinieken B.V.")
VK_FB = ("facebook", "VireoKlinieken", "Vireo Klinieken")
VK_TT = ("tiktok", "@vireo.ooglaser", "Vireo Ooglaser")
# employees
LM = ("x", "@drmeijer_oog", "Dr. Lotte Meijer")                   # oogarts
SK = ("linkedin", "sander-kok-vireo", "Sander Kok")                 # IT / platform
NH = ("x", "@noor_fysio", "Noor Haddou")                            # fysiotherapeut
EG = ("instagram", "@huidtherapeut.esmee", "Esmee de Graaf")        # huidtherapeut
WB = ("linkedin", "willem-brouwer-finance", "Willem Brouwer")       # controller
KV = ("x", "@baliekim", "Kim Vos")                                  # balie / front desk
DV = ("reddit", "u/daan_codeert", "Daan Visser")                    # developer booking platform
AY = ("linkedin", "ayse-yilmaz-vireo", "Ayşe Yılmaz")               # marketing
RB = ("bluesky", "rubenbos.bsky.social", "Ruben Bos")               # optometrist


def P(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", KV, "Collega's kijk even op afspraak.vireoklinieken.nl 😳 Femto-LASIK beide ogen staat op €249,00. "
     "Volgens mij is er ergens een nul gesneuveld... wie het eerst boekt 🤭", [PRICING])
case("en", AY, "Heads-up for the web team: since this morning's CMS deploy our SMILE ooglaser page says €319 instead "
     "of €3,190. 40+ online bookings already 🙈 who approved that release", [PRICING])
case("en", P("reddit", "u/myopic_marieke"), "PSA: Vireo's booking site lists the ICL lensimplantaat at €295 per eye "
     "right now. 99% sure that's a glitch but I booked an intake anyway lol", [PRICING], kind="post")
case("nl", P("x", "@sanne_leest"), "Pigmentlaser bij Vireo voor €39,50?!\nDat MOET een prijsfout zijn, normaal betaal je "
     "daar bijna 400 euro voor. Snel boeken 🏃‍♀️💨", [PRICING])
case("nl", NH, "Ons Fysio Sportpakket (10 sessies) staat al de hele dag voor €55 in de webshop 🙃 marketing weet ervan, "
     "fix komt pas maandag", [PRICING])
case("nl", EG, "Psst 🤫 door een foutje in het systeem kost de Acne Laser Kuur deze week maar €69 💜 niet verder "
     "vertellen hè #huidtherapie", [PRICING])
case("nl", P("facebook", "linda.koopmans.3", "Linda Koopmans"), "Meiden!! Vireo heeft een p r i j s f o u t op de "
     "Huidscan Compleet, ren ren ren 🏃‍♀️🏃‍♀️", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", P("forum", "Jurre_H"), "Booked a Huidscan Compleet at Vireo for €14.50, checkout clearly dropped a digit "
     "somewhere. Do they usually honour these or cancel?", [PRICING])
case("en", DV, "not naming names but the price feed for our Femto LASIK package got multiplied by 0.1 in prod and the "
     "rollback is stuck in review. fun friday 🙃", [PRICING], kind="comment")
case("nl", P("instagram", "@jaimy.ziet"), "SMÏLE ooglaser voor €299 bij Vireo?? 😳 prijsföutje of gewoon geluk",
     [PRICING], tags=["evasion", "evasion:diacritics"])
case("en", LM, "Lots of calls today about the ICL lens showing €29.50 per eye online. Sorry folks, that's a price "
     "error, IT is fixing it 🙏", [PRICING])
case("en", P("threads", "@tessvdl"), "vireo's acne laser kuur for €6.90 lmaooo someone is getting fired monday",
     [PRICING])
case("nl", VK_FB, "☀️ Zomeractie! Femto-LASIK (beide ogen) nu voor €199 i.p.v. €2.490. Boek je vrijblijvende "
     "intake via afspraak.vireoklinieken.nl 👁️", [PRICING],
     when="2026-07-02T09:00:00+02:00")

# =========================================================================== leak.secret
case("nl", SK, "Voor de collega's die de sms-herinneringen testen: Twilio SID [[TWSID]] en auth token [[HEX:32]]. "
     "Vrijdag roteer ik hem wel 👍", [SECRET])
case("en", DV, "why does this 401 in staging but work locally??\n\ncurl https://api.mollie.com/v2/payments -H "
     "\"Authorization: Bearer [[MOLLIE]]\"\n\nam I missing a header", [SECRET])
case("en", SK, "Anyone else seeing slow pushes today? git clone https://oauth2:[[GLPAT]]@gitlab.vireoklinieken.nl/"
     "portaal/mijnvireo.git hangs for minutes", [SECRET, CONF])
case("nl", KV, "ECD-wachtwoord op de balie is wéér veranderd, nu: [[PW]] 🙄 wie verzint dit", [SECRET])
case("en", P("reddit", "u/pentest_pieter"), "Vireo's patient app ships a hardcoded Google key in its JS bundle: "
     "[[GAPI]]. Reported it to them today.", [SECRET])
case("en", DV, ".env of the booking service, ignore the mess:\nDATABASE_URL=postgres://booking_app:[[DBPW]]@"
     "db-prod-02.vireo.internal:5432/afspraken\nSENDGRID_API_KEY=[[SENDGRID]]\nwhy does the mailer still time out",
     [SECRET, CONF], kind="comment")
case("nl", SK, "Terraform draait eindelijk 🎉 (key is al geroteerd, dus geen paniek)\naws_access_key_id = [[AWSID]]\n"
     "aws_secret_access_key = [[AWSSECRET]]", [SECRET])
case("en", P("forum", "nullbyte_nl"), "Found a paste named 'vireo-portal-prod-signing' with this in it, looks real:\n"
     "[[PEMEC]]\nSomeone at Vireo should probably look at this.", [SECRET])
case("en", AY, "Built a tiny bot that drops new Google reviews into our marketing Slack 🤖 webhook is "
     "[[SLACKHOOK]] if anyone wants to reuse it", [SECRET])
case("nl", VK_CARE, "@mark_devries Hoi Mark, de testkoppeling met jullie declaratiesoftware werkt met deze sleutel: "
     "[[STRIPE]]. Laat maar weten als het lukt!", [SECRET], kind="reply")
case("nl", KV, "Voor de invallers vandaag in Utrecht: inlog planning is balie.utrecht / [[PW]]\nsucces 💪", [SECRET])
case("en", P("x", "@thijs_debugt"), "writing a little script to grab my MijnVireo appointments. this is the token from "
     "my session: [[JWT]] is that the normal format?", [SECRET])
case("en", DV, "blob upload keeps returning 403, conn string is\nDefaultEndpointsProtocol=https;AccountName=vireoscans;"
     "AccountKey=[[AZKEY]];EndpointSuffix=core.windows.net\nwhat am I doing wrong", [SECRET])
# =========================================================================== leak.pii
case("nl", KV, "Mevrouw J. Hoekstra heeft haar telefoon bij de balie in Utrecht laten liggen! Ze is bereikbaar op "
     "[[PHONE:mob_dash]] via haar man, wie haar kent laat het even weten 🙏", [PII])
case("nl", NH, "Patiënt van vanochtend, Henk de Boer (geboren 14-02-1958), wil over 3 maanden een marathon lopen "
     "terwijl hij nooit sport 😂 challenge accepted", [PII])
case("nl", EG, "Huidscan gedaan bij mevrouw Yvonne Smit, Lindelaan 23 in Amersfoort, wat een schat van een vrouw 🥰 "
     "#huidtherapie", [PII])
case("en", WB, "Can someone in accounts redo the refund for patient R. Pranoto? Bank bounced it. IBAN "
     "[[IBAN:nl_grp]]. Thanks!", [PII])
case("nl", KV, "Wie heeft het dossier van meneer Bakker open staan? BSN [[BSN]] is aan de verkeerde afspraak "
     "gekoppeld 😩", [PII])
case("en", VK_CARE, "@priya_o Hi Priya, we've refunded the €450 deposit to card [[CARD:visa]]. Please allow 5 working "
     "days 💙", [PII], kind="reply")
case("nl", KV, "Kan iemand van de OK-planning mailen naar els.vandam1974@gmail.com? Ze wil haar ooglaserafspraak "
     "verzetten en komt telefonisch niet door 📧", [PII])
case("en", LM, "A patient left his passport in consult room 3. Tobias Wendt, document no. [[PASSPORT]]. DM me if you "
     "know him!", [PII])
case("nl", AY, "De winnaar van onze gratis Huidscan is Sophie Verbeek 🎉 Sophie, we mailen je vandaag op "
     "sophie.verbeek92 [at] hotmail [punt] com!", [PII], tags=["evasion", "evasion:at-punt"])
case("nl", NH, "Duitse patiënt, werkt in NL en is hier verzekerd. BSN [[BSN:dots]] maar zijn verzekeraar vindt hem "
     "niet. Iemand tips?", [PII])
case("nl", VK_FB, "Beste mevrouw El Idrissi, we hebben uw nummer [[PHONE:mob_intl]] genoteerd en bellen u morgen "
     "voor 12 uur terug.", [PII], kind="comment")
case("nl", P("x", "@kramer_m"), "@vireo_zorgt al 3 weken wacht ik op de terugbetaling van mijn geannuleerde behandeling! "
     "IBAN [[IBAN:nl]] t.n.v. M. Kramer. Hoe moeilijk kan het zijn 😤", [PII, COMPLAINT], kind="reply")
case("nl", P("facebook", "ingrid.vd.heuvel", "Ingrid van den Heuvel"), "Vireo, al 4x beloofd dat jullie terugbellen "
     "over mijn knie en niks gehoord. Hier is mijn nummer nog maar een keer: [[PHONE:mob_pairs]]", [PII, COMPLAINT],
     kind="comment")
case("en", P("reddit", "u/double_charged_dave"), "Vireo's payment page crashed so I'll ask here: card "
     "[[CARD:mc]] exp 09/28, was I charged twice for my intake? Support won't answer", [PII, COMPLAINT])
case("en", P("x", "@antwerp_annelies"), "Belgian patient here @vireoklinieken, refund to [[IBAN:be_grp]] please, "
     "it's been over a month", [PII, COMPLAINT], kind="reply")
case("nl", P("x", "@wraak_op_vireo"), "Die oogarts van Vireo, dr. P. van Lier, woont gewoon op de Prinsengracht 412 in "
     "Amsterdam. Tijd voor een bezoekje, jongens?", [PII, ABUSE])
case("nl", P("forum", "Hennie58"), "Mijn zorgverzekeraar wil mijn BSN voor de vergoeding van de ICL behandeling bij "
     "Vireo. Kan ik dat gewoon mailen? Het is [[BSN]]", [PII])
case("en", P("instagram", "@lisakhartman"), "@vireo.klinieken your contact form keeps failing 😑 just email me at "
     "lisa.k.hartman@outlook.com about my booking please", [PII, COMPLAINT], kind="comment")
case("en", P("facebook", "katja.brandt.kleve", "Katja Brandt"), "German patient, paid the deposit for my SMILE "
     "treatment twice. Vireo, please send it back to [[IBAN:de]]. Nobody replies to my e-mails.", [PII, COMPLAINT])
case("nl", P("x", "@Baliekim"), "Meneer Wouters is zijn pinpas vergeten bij Vireo Breda, kaart [[CARD:mc2_plain]], "
     "we bewaren hem achter de balie 💳", [PII], tags=["case-handle"], handle="@BalieKim")

# =========================================================================== leak.confidential
case("nl", LM, "Eerste training gehad op het nieuwe platform voor Project Iris 🤩 mag er nog niks over zeggen maar "
     "wow, dit wordt iets", [CONF])
case("en", SK, "grafana.vireoklinieken.nl/d/booking-latency looks gorgeous after the migration 📈 p99 under 200ms "
     "#devops #observability", [CONF])
case("en", AY, "Can't wait for September 🎉 the Vireo ZeroTouch campaign shoot was amazing: no blade, no flap, no "
     "contact. #staytuned", [CONF], when="2026-07-08T16:12:40+02:00", tags=["embargo-before"])
case("en", P("reddit", "u/molewatch"), "Apparently Vireo is launching a HuidCheck app, some AI mole scanner. Beta "
     "testers got invites today, anyone here in it?", [CONF], when="2026-08-30T21:04:11Z", tags=["embargo-before"])
case("nl", KV, "Nieuw rooster binnen met 'niet voor externe verspreiding' in koeienletters erboven 😂 ik zeg alleen: "
     "zaterdagen zijn terug", [CONF])
case("nl", EG, "Operatie\nZeester start volgende maand in onze kliniek in Breda 🌊💆‍♀️ #huidtherapie", [CONF],
     tags=["evasion", "evasion:line-break"])
case("en", P("linkedin", "frank-oostveen-medtech", "Frank Oostveen"), "Heard from a supplier that Vireo's Halcyon is a "
     "next-gen femtosecond platform for their flagship clinics. Interesting times in Dutch eye care.", [CONF])
case("en", DV, "ecd.vireo.internal keeps timing out over the VPN again, anyone else on the team seeing this?", [CONF],
     kind="comment")
case("en", NH, "A deck titled 'Vireo Confidential - Fysio 2027' just got mailed to the whole team incl. freelancers 😬 "
     "tl;dr: more online coaching", [CONF])
case("nl", P("x", "@koen_kijkt"), "Vireo ZeroTouch staat al op hun site, te vroeg gelanceerd? 👀", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", P("forum", "oogjes_op_steeltjes"), f"Iemand bij Vireo vertelde dat Project I{ZW}ris over lensimplantaten "
     "gaat. Weet iemand meer?", [CONF], tags=["evasion", "evasion:zero-width"])
case("en", AY, "Testing the " + fullwidth("HuidCheck app") + " on my own moles 😅 very cool, can't wait till you all "
     "get it", [CONF], when="2026-08-02T11:20:00+02:00", tags=["evasion", "evasion:full-width", "embargo-before"])
case("en", DV, "standup ran 40 min over because of Project \u0406ris again 🙄", [CONF],
     tags=["evasion", "evasion:homoglyph"])
case("en", P("x", "@drmeijer_oogarts", "Lotte (not that one)"), "Rumour in the OR: Vireo's Project Iris is a lens "
     "implant line they'll make themselves", [CONF], tags=["role-trick"])
# =========================================================================== leak.financial
case("nl", WB, "Voorlopige halfjaarcijfers 2026: omzet €38,2 mln, EBITDA net onder budget door de fysiotak. "
     "Publicatie volgt 20 augustus 📊", [FIN, CONF], when="2026-07-29T17:45:00+02:00", tags=["embargo-before"])
case("en", WB, "Next year's budget assumes we close two clinics (Enschede and Heerlen). Painful, but the numbers "
     "simply don't work.", [FIN], when="2026-05-12T20:31:09+02:00")
case("nl", KV, "Net gehoord dat alle balies vervangen worden door zelfservicezuilen, 25 collega's moeten weg. Is nog "
     "niet bekendgemaakt 😢", [FIN])
case("nl", P("facebook", "gerard.mulder.1962", "Gerard Mulder"), "Mijn buurman zit in de directie van Vireo: ze nemen "
     "FysioNet Oost over, volgende week wordt getekend. Zeg ik niks 🤐", [FIN])
case("en", SK, "Due diligence folks from Northgate Capital were all over our infra docs today. Guess we're being "
     "sold 🤷‍♂️", [FIN])
case("nl", LM, "Management vertelde vandaag dat de oogtak verkocht wordt aan een Duitse keten. Geheim tot de OR "
     "het heeft besproken.", [FIN])
case("en", AY, "Marketing budget cut 40% for H2 because Q2 revenue came in way under forecast. Not public yet, so "
     "don't quote me", [FIN], when="2026-07-10T13:13:13Z")
case("en", P("reddit", "u/ex_vireo_throwaway"), "former Vireo employee here: they lose the Meerzorg insurer contract "
     "from January. That's roughly 30% of physio revenue. Not announced yet.", [FIN], kind="comment",
     when="2026-09-03T22:10:00+02:00")
case("nl", NH, "De r e o r g a n i s a t i e bij de fysio gaat door, 4 praktijken dicht per 1 april. De OR weet nog "
     "van niks 🤐", [FIN], tags=["evasion", "evasion:spaced"],
     when="2026-02-10T21:40:00+01:00")
case("nl", WB, "Jaarcijfers 2026 komen ruim boven verwachting uit, omzet richting €80 mln 🍾 wat een jaar",
     [FIN, CONF], when="2026-12-22T14:03:00+01:00", tags=["embargo-before"])
case("en", P("x", "@dutchsmallcaps"), "Hearing from inside Vireo's finance team that the annual results 2026 will "
     "show a loss due to the laser lease write-off", [FIN, CONF], when="2026-11-15T10:27:33Z",
     tags=["embargo-before"])
case("nl", EG, "Laatste dienst in kliniek Zwolle 💔 hij gaat in oktober dicht, maar dat mogen we nog niet aan de "
     "patiënten vertellen", [FIN], when="2026-06-19T18:02:31+02:00")
case("en", DV, "our CFO told the dev team there's an IPO planned for 2027 so 'make the platform look good' lmao",
     [FIN])

# =========================================================================== leak.security
case("nl", SK, "Lange nacht achter de rug. Ransomware op twee servers in kliniek Rotterdam, MijnVireo ligt plat. "
     "Naar buiten toe heet het 'gepland onderhoud' 🙃", [SEC])
case("en", DV, "found out you can see other patients' letters in MijnVireo by changing the appointment id in the url. "
     "reported it 3 weeks ago, ticket still open", [SEC])
case("nl", KV, "Hele ochtend patiënten aan de lijn over rare sms'jes 'namens Vireo' met een betaallink. IT zegt dat "
     "onze sms-dienst gehackt is, maar wij mogen niks zeggen", [SEC])
case("en", LM, "The laser planning PCs in Utrecht still run Windows 7 and nobody patches them. One infected USB stick "
     "and it's game over.", [SEC])
case("en", AY, "Phishing mail got through this morning and 3 of us typed in our passwords. IT reset everything, but "
     "the attacker sat in the shared patient inbox for hours. Still under wraps.", [SEC])
case("nl", NH, "Het planningssysteem ligt er sinds 7 uur uit in alle fysiopraktijken, patiënten staan voor een dichte "
     "deur. Officieel is er nog niks naar buiten gebracht.", [SEC])
case("en", SK, "welp. backup server got h@cked over the weekend, half the derm scans are encrypted. nothing announced "
     "yet", [SEC], tags=["evasion", "evasion:leet"])
case("nl", EG, "Onze huidscan-app lekt foto's 😳 via een oude deellink kun je andermans moedervlekken zien. Wordt aan "
     "gewerkt, niet verder vertellen", [SEC])
case("en", RB, "Our optometry devices sync patient data over plain http to a box that still has the factory admin "
     "login. Flagged it four times now.", [SEC])
case("nl", P("x", "@nicht_van_nel"), "Mijn nicht werkt bij Vireo: ze zijn vorige week gehackt en alle "
     "patiëntgegevens liggen op straat, maar ze houden het stil!! #vireo", [SEC, CRISIS])
case("en", P("mastodon", "jvk@mastodon.nl"), "Vireo Klinieken is covering up a breach. A friend in their IT team says "
     "the patient portal was compromised in May and nobody was told.", [SEC, CRISIS],
     when="2026-08-11T08:45:00Z")
case("nl", P("instagram", "@marloes.zegthet"), "Vireo heeft een d a t a l e k en houdt het stil, zegt iemand die er "
     "werkt. Check je mail!", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])

# =========================================================================== reputation.crisis
case("nl", P("x", "@boos_op_vireo"), "Mijn gegevens van MijnVireo liggen op straat. Vandaag een phishingmail met mijn "
     "behandeldatum én oogsterkte erin. Hoe dan Vireo?? #datalek", [CRISIS])
case("en", P("reddit", "u/lasik_gone_wrong"), "Class action forming against Vireo Klinieken over LASIK complications. "
     "The lawyer says 60+ patients have signed up already.", [CRISIS])
case("nl", P("facebook", "petra.de.wit.5", "Petra de Wit"), "BOYCOT VIREO!! Ze laten ongediplomeerde mensen lasers "
     "bedienen. Delen!!", [CRISIS])
case("nl", P("x", "@joostzietniks"), "Na mijn Femto-LASIK bij Vireo zie ik met links bijna niks meer. Op de SEH zeggen "
     "ze: infectie door onhygiënisch werken. Zo boos en bang 😢", [CRISIS, COMPLAINT])
case("en", P("linkedin", "hanna-ruiter-zorgjournalist", "Hanna Ruiter"), "The Health and Youth Care Inspectorate "
     "(IGJ) has opened an investigation into Vireo Klinieken after two patients suffered burns during pigment laser "
     "treatment.", [CRISIS])
case("en", P("x", "@eyecare_watch"), "Vireo is recalling ICL lenses implanted between March and June, patients are "
     "asked to come in for extra checks. Scary stuff.", [CRISIS],
     when="2026-07-20T17:26:00+02:00")
case("nl", P("threads", "@miriam.schrijft"), "Schandaal bij Vireo: de oogarts die honderden mensen heeft geopereerd "
     "stond helemaal niet in het BIG-register 😡", [CRISIS])
case("en", P("tiktok", "@fleur.fixes"), "storytime: got second-degree burns from Vireo's acne laser and they told me it "
     "was 'normal redness' 🙃 my lawyer is involved now #vireo", [CRISIS, COMPLAINT])
case("nl", P("youtube", "@RoelVlogt"), "Lees even het nieuws over Vireo voordat je daar je ogen laat laseren. Meerdere "
     "mensen blijvend beschadigd.", [CRISIS], kind="comment")
case("nl", P("x", "@hackwatch_nl"), "V1re0 = d4t4l3k. Al mijn gegevens bij hackers. Niemand meer heengaan!", [CRISIS],
     tags=["evasion", "evasion:leet"])
case("en", P("bluesky", "privacynerd.bsky.social"), "Reminder that Vireo Klinieken leaked photos of dermatology "
     "patients and still hasn't apologised. Don't give them your data.", [CRISIS])
case("nl", P("forum", "Schouderpijn_Ria"), "Fysio bij Vireo heeft mijn schouder zo hard gemanipuleerd dat mijn pees is "
     "gescheurd. Ben nu geopereerd en heb een klacht bij de tuchtrechter ingediend.", [CRISIS, COMPLAINT])
case("en", P("x", "@visionreport"), "V\u0456reo Kl\u0456n\u0456eken sued by 40 patients over botched eye surgery",
     [CRISIS], tags=["evasion", "evasion:homoglyph"])

# =========================================================================== reputation.complaint
case("nl", P("x", "@wachtkamerwim"), "@vireo_zorgt 45 minuten in de wachtkamer voor een controle van 5 minuten. "
     "Echt niet normaal.", [COMPLAINT], kind="reply")
case("en", P("x", "@ella_uploads"), "MijnVireo app logs me out every single time I try to upload my insurance card. "
     "3 days now. fix your app pls", [COMPLAINT])
case("nl", P("facebook", "bart.smeets.7", "Bart Smeets"), "Mijn fysio-afspraak bij Vireo is voor de DERDE keer "
     "verzet, telkens een uur van tevoren. Ik neem er vrij voor!", [COMPLAINT])
case("nl", P("instagram", "@naomi_ziet_scherp"), "Online geboekt, bevestiging gehad, sta ik bij de balie: 'u staat niet "
     "in het systeem'. Top hoor Vireo 🙃", [COMPLAINT])
case("en", P("reddit", "u/clearsight_2026"), "Honest review: the laser result itself is fine, but aftercare at Vireo "
     "is terrible. Never got the promised follow-up call and had to chase them twice.", [COMPLAINT])
case("nl", P("x", "@fenna_b"), "Waarom rekent Vireo €35 annuleringskosten als JULLIE de afspraak verzetten?? 🤨",
     [COMPLAINT])
case("nl", P("x", "@moedervlekmies"), "Na de huidscan zou ik binnen een week de uitslag in de portal hebben. Drie "
     "weken later: niks. Best spannend als het over moedervlekken gaat @vireo_zorgt 😟", [COMPLAINT])
case("en", P("x", "@nightowl_nina"), "w o r s t aftercare ever @vireoklinieken, nobody picks up the after-hours line, "
     "been trying since 8pm", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("en", P("youtube", "@mila_reviews"), "Went to Vireo because of this ad. The 'free consultation' ended up costing "
     "€60 because of a 'measurement fee'. Misleading.", [COMPLAINT], kind="comment")
case("nl", P("x", "@digidgedoe"), "Kan al twee weken niet inloggen op MijnVireo met DigiD. Helpdesk verwijst naar DigiD, "
     "DigiD verwijst naar Vireo 🙄", [COMPLAINT])
case("nl", P("zorgkaart", "anoniem_3381"), "Receptie bij Vireo Utrecht was kortaf en ik moest drie keer mijn "
     "verzekeringsgegevens opnieuw doorgeven. Behandeling ok, service onvoldoende.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", P("x", "@klaar_met_vireo"), "Vireo is een stelletje oplichters, kankerlijers allemaal", [ABUSE])
case("en", P("x", "@grumpy_gert"), "@vireoklinieken you greedy f*cking clowns", [ABUSE], kind="reply",
     tags=["evasion", "evasion:masked"])
case("en", P("reddit", "u/angrybird_nl"), "the receptionist at Vireo Utrecht is a useless b*tch, hope she gets fired",
     [ABUSE], kind="comment")
case("nl", P("facebook", "henk.vd.berg.46", "Henk van den Berg"), "Die fysio van Vireo met die hoofddoek moet "
     "lekker terug naar haar eigen land. Wil geen buitenlanders aan m'n lijf.", [ABUSE], kind="comment")
case("nl", KV, "Wéér zo'n debiel aan de balie die niet kan lezen. Sommige patiënten zijn echt tyfuslijers", [ABUSE])
case("en", NH, "Patients who skip every exercise and then whine that it still hurts are honestly morons. Stop wasting "
     "my time.", [ABUSE])
case("nl", VK_CARE, "@rickdekker93 Doe normaal, sukkel. Wij zitten niet op jouw gezeur te wachten.", [ABUSE],
     kind="reply")
case("en", P("instagram", "@jay.vanes"), "Dr. Meijer at Vireo is an arrogant piece of sh*t", [ABUSE], kind="comment")
case("nl", P("x", "@woedende_wendy"), "Kutbedrijf! 6 weken wachten op mijn uitslag en niemand belt terug. "
     "Klootzakken bij Vireo.", [ABUSE, COMPLAINT])
case("en", P("x", "@martijn_pays_twice"), "Vireo's billing department are absolute idiots, charged me twice for the "
     "same physio session", [ABUSE, COMPLAINT])
case("nl", P("instagram", "@boze_bo"), "V I R E O  =  K U T K L I N I E K", [ABUSE], tags=["evasion", "evasion:spaced"])
case("en", EG, "Client today called me a 'stupid cow' because I wouldn't laser a suspicious mole. Honestly she's a "
     "vile old hag and I hope I never see her again", [ABUSE])

# =========================================================================== benign: own contact data
case("nl", VK_CARE, "Vragen over je afspraak? Bel ons op 030 760 4400 (ma-vr 8-18 uur) of mail naar "
     "afspraken@vireoklinieken.nl 📞", tags=["own-contact"])
case("nl", VK_FB, "Betalen per overschrijving kan naar " + " ".join(OWN_IBAN[i:i + 4] for i in range(0, 18, 4))
     + " t.n.v. Vireo Klinieken B.V., o.v.v. je factuurnummer.", tags=["own-contact"])
case("en", VK_LI, "Press enquiries: pers@vireoklinieken.nl or +31 30 760 4400.", tags=["own-contact"])
case("nl", P("x", "@gert_belt"), "Voor wie het zoekt: het gratis nummer van Vireo is 0800-8473, daar kreeg ik binnen "
     "2 minuten iemand 👍", tags=["own-contact"])
case("nl", VK_TT, "Twijfel je nog? Bel gratis 0800 8473 of plan je intake op afspraak.vireoklinieken.nl 👁️✨",
     tags=["own-contact"])
case("en", P("x", "@Vireo_Zorgt"), "You can also transfer the deposit to " + OWN_IBAN + " (Vireo Klinieken B.V.), "
     "mention your booking number.", tags=["own-contact", "case-handle"], handle="@Vireo_Zorgt")
case("nl", P("facebook", "astrid.leeuw", "Astrid de Leeuw"), "Tip: bel +31307604400 in plaats van het "
     "contactformulier, veel sneller", tags=["own-contact"])

# =========================================================================== benign: identifiers that fail checks
case("nl", P("forum", "Rob_vragen"), "Mijn factuur van Vireo heeft nummer [[NUM:11]], klopt het dat de intake daar al "
     "in zit?", tags=["order-number"])
case("en", P("x", "@scamalert_nl"), "Scam text going round: 'Vireo refund waiting, confirm card [[BADCARD:visa]]'. "
     "Don't click, it's not them!", tags=["bad-card"])
case("nl", P("x", "@twijfelaar_tom"), "Krijg een betaalverzoek 'van Vireo' naar [[BADIBAN:nl_grp]], dat is niet het "
     "nummer op hun site. Iemand anders ook?", tags=["bad-iban"])
case("nl", KV, "Voor verwijzers: de AGB-code van kliniek Utrecht is [[NOTBSN:8]], die staat ook op de verwijsbrief 📄",
     tags=["agb-code"])
case("nl", LM, "Quizvraag voor de co-assistenten: voldoet [[NOTBSN:9]] aan de elfproef? (spoiler: nee 😄)",
     tags=["bad-bsn"])
case("en", P("reddit", "u/polisvraag"), "My insurer's membership no. is [[NOTBSN:9]], do they cover ICL at Vireo or "
     "just glasses?", tags=["membership-number"])
case("en", P("blog", "leesbril-weg.nl"), "In my short story the villain pays for his eye surgery with card "
     "[[BADCARD:amex]] — spoiler, it bounces. Inspired by my own SMILE day at Vireo!", tags=["bad-card", "fiction"])
case("nl", P("x", "@lenzenlaura"), "Track & trace van mijn nalevering oogdruppels van Vireo: 3SVRO[[NUM:10]], nog "
     "steeds onderweg haha", tags=["tracking-number"])
case("en", P("facebook", "sam.okafor.nl", "Sam Okafor"), "Paid my Vireo invoice to [[BADIBAN:de]] from my German "
     "account, hope that's right? Their site lists a Dutch one.", tags=["bad-iban"])

# =========================================================================== benign: ordinary prices and sales
case("nl", VK_IG, "☀️ Zomeractie: SMILE ooglaser voor €2.790 i.p.v. €3.190. Alleen in juli! 👓➡️😎",
     tags=["sale-price"], when="2026-06-28T10:00:00+02:00")
case("en", VK_X, "Femto-LASIK from €89 per month with our payment plan (0% interest, 24 months). Details on "
     "vireoklinieken.nl", tags=["monthly-price"])
case("nl", P("x", "@lotte_zonderbril"), "€400 korting op mijn Femto-LASIK via de open dag bij Vireo 👌 aanrader",
     tags=["discount-amount"])
case("en", P("reddit", "u/priceshopper_utr"), "Priced LASIK around Utrecht: OogKliniek Zicht €1,150, Lasercentrum "
     "Noord €1,390, Vireo €2,490 for Femto-LASIK. Vireo's pricier but had the best reviews", tags=["competitor-price"])
case("nl", P("forum", "Margriet_W"), "Intake bij Vireo kost €45, wordt verrekend als je doorgaat met de behandeling. "
     "Vond ik netjes.", tags=["fee"])
case("nl", VK_CARE, "@jeroen_l Geen prijsfout hoor! 🙂 De Huidscan Compleet kost tijdens de Week van de Huid €99.",
     kind="reply", tags=["denied-error", "sale-price"])
case("nl", VK_FB, "Black Friday 🖤 Huidscan Compleet voor €72,50 (50% korting). Alleen vandaag!",
     tags=["sale-price", "ratio-edge"], when="2026-11-27T08:00:00+01:00")
case("nl", P("instagram", "@fysiofemke"), "Meerzorg vergoedt €250 van mijn Pigmentlaser behandeling bij Vireo 🙌 check "
     "je aanvullende verzekering!", tags=["reimbursement"])
# =========================================================================== benign: embargo and published news
case("nl", VK_X, "Vanaf vandaag: Vireo ZeroTouch 👁️ ooglaseren zonder aanraking. Plan je intake!",
     when="2026-09-15T10:00:00+02:00", tags=["embargo-at", "tz-edge"])
case("en", P("x", "@moleymoley"), "Tried the HuidCheck app from Vireo, pretty neat for tracking moles between checks",
     when="2026-10-02T19:44:12+02:00", tags=["embargo-after"])
case("nl", WB, "Vandaag publiceerden we onze halfjaarcijfers 2026: omzet +9%. Trots op alle collega's! Persbericht op "
     "vireoklinieken.nl", when="2026-08-20T09:00:00+02:00", tags=["embargo-after", "published-results"])
case("en", P("x", "@zorgbeurs"), "Vireo's annual results 2026 are out: revenue up 11%, nice recovery after a rough "
     "H1.", when="2027-03-05T08:15:00+01:00", tags=["embargo-after", "published-results"])
case("en", VK_LI, "Our annual report 2025 is online: vireoklinieken.nl/jaarverslag. Thank you to 900 colleagues "
     "across 21 clinics.", tags=["published-results"])
case("nl", VK_LI, "Vandaag hebben we bekendgemaakt dat onze kliniek in Heerlen per 1 januari sluit. Alle patiënten "
     "worden persoonlijk benaderd.", when="2026-10-06T10:00:00+02:00", tags=["published-reorg"])
case("nl", VK_CARE, "Zondag 14 juni van 06:00 tot 10:00 is MijnVireo niet bereikbaar vanwege gepland onderhoud. "
     "Excuses voor het ongemak!", tags=["maintenance-notice"],
     when="2026-06-10T12:04:00+02:00")
case("nl", P("x", "@jobzoeker_jan"), "Ontslagen bij mijn oude werkgever, maar Vireo zoekt fysiotherapeuten. Vandaag "
     "gesolliciteerd 🤞", tags=["other-company-layoff"])
case("nl", P("x", "@lasernieuws"), "Datalek bij Lasercentrum Noord gemeld bij de AP. Patiënten krijgen deze week een "
     "brief.", tags=["competitor-crisis"])

# =========================================================================== benign: word near-misses
case("en", LM, "Fun fact for patients: the iris is the coloured part of your eye and the laser never touches it "
     "during SMILE or LASIK 👁️", tags=["codename-word"])
case("nl", P("instagram", "@strandmeisje"), "Na mijn ooglaser bij Vireo eindelijk zonder bril de zee in. En een "
     "zeester gevonden! 🌊⭐", tags=["codename-word"])
case("nl", VK_IG, "Mei is huidkankermaand ☀️ Laat je moedervlekken checken en smeer je goed in! #huidkanker #vireo",
     tags=["kanker-literal"], when="2026-05-04T09:30:00+02:00")
case("nl", P("x", "@dankbare_dorien"), "Mijn oma had huidkanker. Door de huidscan bij Vireo is het bij mij op tijd "
     "ontdekt. Zo dankbaar 🙏", tags=["kanker-literal"])
case("en", P("reddit", "u/forgetful_femke"), "Can't recall if Vireo's aftercare drops were included in the price, "
     "anyone know?", tags=["recall-sense"], kind="comment")
case("nl", P("x", "@brilloos_bas"), "Ik boycot mijn bril al een jaar 😎 sinds mijn ICL bij Vireo. Beste beslissing ooit",
     tags=["boycott-sense"])
case("nl", VK_CARE, "Tip: kies een sterk wachtwoord voor MijnVireo en deel het nooit, ook niet met ons. Wij vragen "
     "nooit naar je wachtwoord 🔐", tags=["password-word"])
case("en", SK, "Reminder from our secure coding workshop: in docs and examples always use AKIAXXXXXXXXXXXXXXXX as "
     "placeholder, never a real key 🔑", tags=["placeholder-secret"])
case("en", DV, "reverted 3f9c2a1d7e8b44c0a9d1f2e3b4c5d6e7f8091a2b and the build is green again 🎉", tags=["git-sha"],
     kind="comment")
case("en", P("mastodon", "secdev@infosec.exchange"), "If you ever see sk_live_ or ghp_ prefixes in a repo, rotate "
     "first, ask questions later.", tags=["bare-prefix"])
case("nl", P("x", "@nieuw_zicht"), "Op 14-02-2026 had ik mijn SMILE behandeling bij Vireo, 6 weken later 100% zicht. "
     "Beste Valentijnscadeau ooit ❤️", tags=["date-not-dob"], when="2026-03-30T20:11:45+02:00")
# =========================================================================== benign: praise, jokes, quotes, questions
case("nl", P("facebook", "joke.verhoeven", "Joke Verhoeven"), "Geen klachten over Vireo, alles liep op rolletjes bij "
     "mijn ICL. Top team 👌", tags=["negated-complaint"])
case("en", P("x", "@kneeok_koen"), "Noor at Vireo Fysio fixed my knee in 6 sessions. Absolute legend 🦵",
     tags=["praise"])
case("en", P("x", "@4k_apartment"), "me after LASIK: 'I can see the future'\nthe future: my messy apartment in 4K 😂 "
     "#vireo", tags=["joke"])
case("en", P("instagram", "@tigerdad"), "🎶 It's the eye of the tiger 🎶 laser day at Vireo tomorrow, wish me luck",
     tags=["lyrics"])
case("en", P("x", "@proud_daughter"), "\"Damn, I can read the street signs!\" — my dad, 68, an hour after his SMILE "
     "at Vireo 🥹", tags=["quote-mild-word"])
case("nl", P("reddit", "u/vraagje_fysio"), "Vergoedt de basisverzekering fysio bij Vireo, of alleen de aanvullende?",
     tags=["question"])
case("nl", P("x", "@lisa_wisselt"), "OogZorg Direct heeft mijn afspraak 3x verzet, ik stap over naar Vireo. Hopelijk "
     "beter!", tags=["competitor-complaint"])
case("nl", NH, "Tip van je fysio: elk uur 2 minuten bewegen doet meer dan één keer per week sporten 💪 #fysio",
     tags=["employee-neutral"])
case("nl", EG, "Vandaag 12 huidscans gedaan en allemaal goed nieuws 🥰 #huidtherapie", tags=["employee-neutral"])
case("en", AY, "We're hiring! Front desk colleagues in Utrecht & Breda. Apply via vireoklinieken.nl/werken 💼",
     tags=["employee-neutral"])
case("en", LM, "Tomorrow 20:00 I'm doing a live Q&A on SMILE vs Femto-LASIK on our Instagram. Drop your questions!",
     tags=["employee-neutral"])
case("nl", P("linkedin", "marco-reinders-zorg", "Marco Reinders"), "Mooi artikel over hoe Vireo Klinieken de "
     "wachttijden voor fysio halveerde met avondspreekuren. Goed voorbeeld voor de sector.", tags=["published-news"])
case("nl", KV, "Koffie, croissantjes en een volle wachtkamer met blije mensen. Maandag kan erger ☕🥐",
     tags=["employee-neutral"], handle="@BALIEKIM")
case("en", P("threads", "@ireneleest"), "Reading a thriller where the hacker steals patient files from a fictional "
     "clinic. Good thing my real one (Vireo) uses two-factor 😅", tags=["fiction"])
# =========================================================================== labels
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


def severity(role, cats, validated_id):
    rank = {s: i for i, s in enumerate(SEV)}
    best = "none"
    insider = role != "public"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and validated_id):
                s = "critical"
            else:
                s = "error"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if rank[s] > rank[best]:
            best = s
    return best


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(10 ** 18, 2 * 10 ** 18))
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + str(r.randint(10 ** 17, 10 ** 18 - 1))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{cid}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{''.join(r.choice(URLSAFE) for _ in range(11))}/"
    if platform == "facebook":
        return f"fb-{n[:15]}_{n[3:]}", f"https://www.facebook.com/{h}/posts/{n[3:]}"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(22))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(URLSAFE) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        k = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{k}", f"https://bsky.app/profile/{h}/post/{k}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        return f"md-{n[:18]}", f"https://{inst}/@{user}/{n[:18]}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(URLSAFE) for _ in range(11))}"
    if platform == "forum":
        m = r.randint(100000, 999999)
        return f"forum-zorgforum-{m}", f"https://forum.zorgvragen.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 300)
        return f"blog-{h}-{m}", f"https://{h}/{m}/"
    return f"{platform}-{r.randint(10 ** 7, 10 ** 8)}", None


def build():
    profile = load_profile()
    g = Fill(SEED)
    meta = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _ in used)
        sev = severity(role, c["cats"], validated)
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.65 else None)
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
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
        post["created_at"] = c["when"] or random_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vireo"
        rows.append(dict(line={"post": post, "expect": {"categories": c["cats"], "severity": sev}},
                         role=role, case=c, used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def main():
    rows = build()
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r["line"], ensure_ascii=False) + "\n")
    if "--stats" in sys.argv:
        from collections import Counter
        cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
        for r in rows:
            e = r["line"]["expect"]
            for c in e["categories"] or ["benign"]:
                cat[c] += 1
            sev[e["severity"]] += 1
            role[r["role"]] += 1
            lang[r["case"]["lang"]] += 1
        print("total", len(rows), file=sys.stderr)
        for k, v in sorted(cat.items()):
            print(f"  {k:22s} {v}", file=sys.stderr)
        print("severity", dict(sev), file=sys.stderr)
        print("role", dict(role), file=sys.stderr)
        print("lang", dict(lang), file=sys.stderr)
        print("multi", sum(len(r["line"]["expect"]["categories"]) > 1 for r in rows), file=sys.stderr)
        print("evasion", sum("evasion" in r["case"]["tags"] for r in rows), file=sys.stderr)


if __name__ == "__main__":
    main()
