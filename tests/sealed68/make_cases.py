#!/usr/bin/env python3
"""Deterministic generator for the sealed68 blind evaluation set.

    python3 make_cases.py          # writes cases.jsonl next to this file

Company: Femkracht Studios B.V. (fictional), a Dutch chain of fitness studios for
women with a booking/coaching app (see profile.yaml next to this file).

Texts are hand-written below (CASES). Identifiers and secrets are filled in from
[[KIND:fmt]] placeholders by one seeded RNG, so every run gives the same bytes.
Labelled PII positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN
11-proof); hard negatives get look-alikes that FAIL their checksum. Secrets are
random and fake but shaped like the real thing (GitHub tokens carry their CRC32).

Severity is computed, never typed: CONTRACT section 4 applied to the account role
(from profile.yaml, by platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier is in a leak.pii post.

Only the standard library and PyYAML are needed. The script also runs a set of
self-checks on its own output (labels vs. profile) and stops if one fails.
"""
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

import yaml

SEED = 68_2026_0311
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEV = ["none", "info", "warning", "error", "critical"]
ZWSP = "\u200b"

SECRET, PII, PRICING, CONF, FIN, SEC = (
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    return sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d)) % 10 == 0


def elfproef_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# --------------------------------------------------------------------------
# seeded values
# --------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"
OWN_IBAN = "NL80INGB0007864213"


class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def num(self, n, lead=True):
        x = self.s(string.digits, n)
        return (self.pick("123456789") + x[1:]) if lead and x[0] == "0" else x

    # banks -----------------------------------------------------------------
    def iban_nl(self):
        while True:
            v = make_iban("NL", self.pick(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                          + self.num(10, lead=False))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        head = self.pick(["001", "063", "068", "143", "731", "973"]) + self.num(7, lead=False)
        return make_iban("BE", head + f"{(int(head) % 97) or 97:02d}")

    def iban_de(self):
        return make_iban("DE", self.pick(["10010010", "37040044", "50070010", "76026000"]) + self.num(10, lead=False))

    @staticmethod
    def spoil_iban(v):
        for k in (7, 19, 31, 44, 58):
            cand = v[:2] + f"{(int(v[2:4]) + k) % 100:02d}" + v[4:]
            if not mod97_ok(cand):
                return cand
        raise AssertionError(v)

    # cards -----------------------------------------------------------------
    def _complete(self, body):
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return self._complete("4" + self.num(14, lead=False))
        if brand == "mc":
            return self._complete("5" + self.pick("12345") + self.num(13, lead=False))
        if brand == "mc2":
            return self._complete(str(self.r.randint(2221, 2720)) + self.num(11, lead=False))
        if brand == "amex":
            return self._complete(self.pick(["34", "37"]) + self.num(12, lead=False))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    # national numbers --------------------------------------------------------
    def bsn(self):
        while True:
            v = self.num(9)
            if elfproef_ok(v):
                return v

    def not_bsn(self, n):
        while True:
            v = self.num(n)
            if not elfproef_ok(v) and not luhn_ok(v):
                return v

    def ean13(self):
        while True:
            body = "871" + self.num(9, lead=False)
            full = next(body + c for c in string.digits if ean_ok(body + c))
            if not luhn_ok(full):
                return full

    # phones ------------------------------------------------------------------
    def phone(self, fmt):
        m = self.pick("12345689") + self.num(7, lead=False)     # 8 digits after the 6
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_0031": f"0031 6{m}",
        }[fmt]

    # secrets -----------------------------------------------------------------
    def ghp(self):
        body = self.s(AN, 30)
        crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while crc:
            crc, rem = divmod(crc, 62)
            enc = B62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def stripe(self, long=False):
        return "sk_live_" + ("51" + self.s(AN, 97) if long else self.s(AN, 24))

    def mollie(self):
        return "live_" + self.s(AN, 30)

    def sendgrid(self):
        return "SG." + self.s(URLSAFE, 22) + "." + self.s(URLSAFE, 43)

    def gapi(self):
        return "AIzaSy" + self.s(URLSAFE, 33)

    def aws_id(self):
        return "AKIA" + self.s(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.s(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.s(up, 8)}/B{self.s(up, 10)}/{self.s(AN, 24)}"

    def jwt(self):
        def enc(obj):
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1_767_225_600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "mbr_" + self.num(6), "iss": "app.femkracht.nl", "scope": "booking:write",
                "iat": iat, "exp": iat + 300}
        return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(body) + "." + self.s(URLSAFE, 43)

    def pem_p8(self):
        b = "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" + self.s(B64, 152)
        lines = [b[i:i + 64] for i in range(0, len(b), 64)]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def password(self, style):
        if style == "weak":
            return (self.pick(["Reformer", "Squat", "Kracht", "Balie", "Coach", "Zomer", "Spinning"])
                    + self.num(2 if self.r.random() < 0.5 else 4, lead=False) + self.pick("!#*$"))
        return self.s(AN, 10) + self.pick("!*-_") + self.s(AN, 6)

    def hexs(self, n):
        return self.s("0123456789abcdef", n)

    def uuid4(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.pick("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def grp(v):
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def card_fmt(v, f):
    if f == "c":
        return v
    parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
    return ("-" if f == "dash" else " ").join(parts)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
TOKEN = re.compile(r"\[\[([A-Z0-9_]+)(?::([a-z0-9_]+))?\]\]")


def fill(rng, text):
    kinds = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        kinds.append(k)
        if k == "IBAN_NL":
            v = rng.iban_nl()
            return grp(v) if f == "grp" else v
        if k == "IBAN_BE":
            v = rng.iban_be()
            return grp(v) if f == "grp" else v
        if k == "IBAN_DE":
            v = rng.iban_de()
            return grp(v) if f == "grp" else v
        if k == "BAD_IBAN_NL":
            v = rng.spoil_iban(rng.iban_nl())
            return grp(v) if f == "grp" else v
        if k == "BAD_IBAN_BE":
            v = rng.spoil_iban(rng.iban_be())
            return grp(v) if f == "grp" else v
        if k == "CARD":
            brand, _, style = f.partition("_")
            return card_fmt(rng.card(brand), style or "sp")
        if k == "BAD_CARD":
            brand, _, style = f.partition("_")
            return card_fmt(rng.bad_card(brand), style or "sp")
        if k == "BSN":
            v = rng.bsn()
            return f"{v[:4]}.{v[4:6]}.{v[6:]}" if f == "dots" else v
        if k == "NOT_BSN9":
            return rng.not_bsn(9)
        if k == "NOT_BSN8":
            return rng.not_bsn(8)
        if k == "EAN13":
            return rng.ean13()
        if k == "PHONE":
            return rng.phone(f)
        if k == "DIGITS":
            return rng.num(int(f))
        if k == "GHP":
            return rng.ghp()
        if k == "STRIPE":
            return rng.stripe(long=(f == "long"))
        if k == "MOLLIE":
            return rng.mollie()
        if k == "SENDGRID":
            return rng.sendgrid()
        if k == "GAPI":
            return rng.gapi()
        if k == "AWS_ID":
            return rng.aws_id()
        if k == "AWS_SECRET":
            return rng.aws_secret()
        if k == "SLACK_HOOK":
            return rng.slack_hook()
        if k == "JWT":
            return rng.jwt()
        if k == "PEM_P8":
            return rng.pem_p8()
        if k == "PW":
            return rng.password(f or "strong")
        if k == "HEX":
            return rng.hexs(int(f))
        if k == "UUID":
            return rng.uuid4()
        raise KeyError(k)

    return TOKEN.sub(one, text), kinds


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------

# corporate
FK_IG = ("instagram", "@femkracht.studios", "Femkracht Studios")
FK_X = ("x", "@femkracht", "Femkracht")
FK_HELP = ("x", "@femkracht_help", "Femkracht Ledenservice")
FK_FB = ("facebook", "FemkrachtStudiosNL", "Femkracht Studios")
FK_LI = ("linkedin", "femkracht-studios", "Femkracht Studios B.V.")
FK_TT = ("tiktok", "@femkrachtstudios", "Femkracht")
# employees
NOOR = ("instagram", "@coach.noor.fk", "Noor Haddou | PT")          # personal trainer, Utrecht
LISA = ("x", "@lisavk_codes", "Lisa van Kampen")                    # app developer
MARLOES = ("linkedin", "marloes-timmer-femkracht", "Marloes Timmer")  # finance
YARA = ("linkedin", "yara-dekker-fk", "Yara Dekker")                # franchise manager
ILSE = ("x", "@ilse_fk_zwolle", "Ilse Brouwer")                     # studio manager Zwolle
DEMI = ("tiktok", "@coachdemi", "Demi Verhoef")                     # nutrition coach
BRAM = ("linkedin", "bram-hoekstra-ops", "Bram Hoekstra")           # IT operations
SOPHIE = ("threads", "@sophie_fk", "Sophie Jansen")                 # front desk Amsterdam


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def C(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ==========================================================================
# leak.secret
# ==========================================================================
C("en", LISA, "note to whoever is on call tonight: the payments worker needs "
  "STRIPE_SECRET_KEY=[[STRIPE]] in the .env, vault migration isn't done yet 🙃 #devlife #fridaydeploy",
  [SECRET])
C("nl", BRAM, "Migratie van de ledenadministratie naar het nieuwe cluster is gelukt 🎉\n\nVoor de collega's die "
  "morgen verder gaan: postgresql://fk_app:[[PW]]@db02.fk-intern.nl:5432/leden\nVergeet niet de oude "
  "instance uit te zetten!", [SECRET, CONF])
C("nl", LISA, "iemand die mollie snapt?? krijg de hele tijd 401 terwijl de key gewoon goed in de config staat: "
  "[[MOLLIE]]\nom 7 uur gaat de nieuwe betaalflow live 😩", [SECRET], kind="reply")
C("en", pub("reddit", "u/apk_goblin"), "Was poking around the Femkracht Android app (apktool, nothing fancy) "
  "and this is just sitting in strings.xml:\n\nmaps_key = [[GAPI]]\nmail_key = [[SENDGRID]]\n\n"
  "someone should probably tell them lol", [SECRET])
C("nl", NOOR, "Voor de meiden die vanavond sluiten 🔑 kassa-iPad: gebruiker balie.utrecht / ww [[PW:weak]] "
  "en NIET aan leden geven hè 😂", [SECRET])
C("en", BRAM, "Finally got our GitHub Actions pipeline green after 3 days 🙌 Lesson learned: set GH_TOKEN "
  "properly at org level. Ours: [[GHP]] (yes it's scoped, relax)", [SECRET])
C("nl", pub("forum", "fitfan_2019"), "Ex-medewerker hier. Dit stond maandenlang gewoon in een publieke repo van "
  "Femkracht:\nAWS_ACCESS_KEY_ID=[[AWS_ID]]\nAWS_SECRET_ACCESS_KEY=[[AWS_SECRET]]\nzo gaan ze dus om met jullie "
  "spullen", [SECRET])
C("en", LISA, "anyone else's staging tokens dying after 5 min? minted this one an hour ago and the booking api "
  "already says 401:\n[[JWT]]", [SECRET], handle="@LisaVK_Codes")
C("nl", FK_X, "Weekendje workout? 💪 Met code BANDS10 krijg je €10 korting op de Booty Band set in onze shop! "
  "[[SENDGRID]]", [SECRET], tags=["price-discount"])
C("en", BRAM, "Some people asked how we sign push notifications for the Femkracht booking app. Pretty "
  "standard APNs .p8 setup:\n\n[[PEM_P8]]\n\nHappy to nerd out over coffee ☕", [SECRET])
C("nl", pub("x", "@sanne_sport88"), "@femkracht_help ik kom al 3 dagen de app niet in!! gebruikersnaam is "
  "gewoon m'n mail, wachtwoord Spinning!2024 en ik krijg steeds 'ongeldige gegevens'. wat is dit nou weer",
  [SECRET, COMPLAINT], kind="reply")
C("nl", ILSE, "btw wifi voor de trainers in Zwolle is veranderd: netwerk FK-Staff, w8woord = [[PW:weak]] 👍",
  [SECRET], tags=["evasion"])
C("en", LISA, "pushed the live key to a public gist for like 4 minutes. already rotated so chill 😅\n"
  "[[STRIPE:long]]", [SECRET])
C("en", pub("other", "anon_paste_7781"), "femkracht booking-sync config (found via google)\n"
  "DATABASE_URL=mysql://sync:[[PW]]@fk-prod-db.c7xk2p.eu-west-1.rds.amazonaws.com/booking\n"
  "SLACK_WEBHOOK=[[SLACK_HOOK]]", [SECRET])

# ==========================================================================
# leak.pii
# ==========================================================================
C("nl", SOPHIE, "Gevonden in kluisje 14 (Amsterdam-West): portemonnee van Jolanda Smit, Postjesweg 211-3 "
  "Amsterdam. Ligt bij de balie, wie kent haar? 🙏", [PII])
C("nl", ILSE, "Aan de dame met rekening [[IBAN_NL:grp]] die voor de 3e keer de incasso laat terugboeken: "
  "bel ons even, anders moeten we je toegang blokkeren 🙃", [PII])
C("en", NOOR, "Happy 60th to my strongest client Karin Vos (born 02-05-1966)!! 🎂 deadlift PR at 60, who's "
  "gonna stop her 💪 #femkracht #strongwomen", [PII], when="2026-05-02T18:12:40+02:00")
C("nl", YARA, "Stap 1 voor Femkracht Deventer ✅ Onze nieuwe franchisenemer Petra Wolters gaat van start! "
  "Vragen voor haar? petra.wolters78@gmail.com of [[PHONE:mob_pairs]]", [PII])
C("nl", DEMI, "story time: cliënt komt binnen met de verwijsbrief van de huisarts, BSN [[BSN:dots]] er gewoon "
  "op, Sandra vd Berg. heb hem daarna maar door de shredder gehaald 😅", [PII])
C("nl", pub("facebook", "Mariska.Ververs"), "Femkracht heeft deze maand 2x €69,95 afgeschreven!!! "
  "Terugstorten op [[IBAN_NL]] en wel vandaag graag. Klantenservice neemt niet op.", [PII, COMPLAINT])
C("en", pub("x", "@jesss_lifts"), "@femkracht_help you charged my card twice for the PT pack. it's "
  "[[CARD:visa_sp]], please refund the second one asap", [PII, COMPLAINT], kind="reply")
C("nl", pub("instagram", "@lottes.vriendinnen"), "Wie gaat er zaterdag mee naar de outdoor bootcamp van "
  "Femkracht in het Vondelpark?? App Lotte even op [[PHONE:mob_dash]], zij regelt de carpool 🚗💨", [PII])
C("en", pub("reddit", "u/banned_and_mad"), "The Femkracht Zwolle manager who kicked me out is Ilse Brouwer, she "
  "lives at Thorbeckegracht 41 in Zwolle. Go tell her what you think of her.", [PII, ABUSE])
C("nl", pub("x", "@mirjam_h84"), "@femkracht_help hierbij mijn gegevens voor de declaratie van de "
  "voedingscoaching: Mirjam Hoekstra, BSN [[BSN]], geb. 11-08-1984. Graag vandaag nog!", [PII], kind="reply")
C("nl", FK_HELP, "Hoi Fatma! We zien een lidmaatschap op naam van F. Yilmaz, geboortedatum 14-09-1991, klopt "
  "dat? Stuur ons even een DM dan zoeken we het samen uit 💜", [PII], kind="reply")
C("nl", FK_FB, "🎉 WINNAAR 🎉 3 maanden Unlimited gaat naar... Esra Kaya! Esra, we mailen je op "
  "esra.kaya92@hotmail.com, check ook je spam 😉", [PII], handle="femkrachtstudiosNL")
C("en", MARLOES, "Finance tip of the week: always double-check refund batches. Today a member refund of €599 "
  "almost went to [[IBAN_DE]] instead of her Dutch account [[IBAN_NL]]. Four-eyes principle, people!", [PII])
C("nl", SOPHIE, "ID-kaart laten liggen bij de balie: op naam van Mirjam de Graaf, nr IR7F23KD5. Kom je hem "
  "halen? Ligt veilig in de la 🔒", [PII])
C("nl", pub("instagram", "@mariekedijkstra_"), "Al 4 mails gestuurd over mijn opzegging en NIKS. Mail me dan "
  "zelf maar: marieke.dijkstra [at] ziggo [punt] nl @femkracht.studios", [PII, COMPLAINT],
  kind="comment", tags=["evasion"])
C("en", LISA, "why is anouk.peters@kpnmail.nl getting 3 booking confirmations per class 🤔 off to read "
  "some logs", [PII])
C("nl", ILSE, "Collega's Zwolle: creditcard gevonden bij de spinningfietsen. American Express op naam van "
  "L. Bos, [[CARD:amex_sp]]. Ligt in de kluis!", [PII])
C("nl", YARA, "Welkom bij de Femkracht-familie, Els Peeters 💜 Je franchisefee komt voortaan van "
  "[[IBAN_BE:grp]], dat hebben we aangepast in het systeem.", [PII])

# ==========================================================================
# leak.pricing
# ==========================================================================
C("nl", LISA, "Uhhh de app rekent nu €4,99 p/m voor het Unlimited lidmaatschap ipv €69,95 😬 hotfix komt "
  "eraan, niet RT'en pls", [PRICING])
C("nl", ILSE, "Collega's: de kassa zegt PT 10-rittenkaart = €59,90. NIET verkopen tot IT het heeft "
  "opgelost, echt niet!", [PRICING])
C("en", pub("reddit", "u/gymratgemma"), "Femkracht's website has the annual membership at €49 instead of €499 "
  "right now. signed up twice, let's see if they honour it 😂", [PRICING])
C("nl", pub("x", "@dealjager_nl"), "pr1jsf0ut bij Femkracht?? 12 weken voedingscoaching voor €24,90 in de "
  "app 🤑🤑 go go go", [PRICING], tags=["evasion"])
C("nl", DEMI, "snel snel 🏃‍♀️ de Booty Band set staat in de webshop voor €2,49 (hoort €24,95 te zijn). "
  "ik heb niks gezegd 🤐", [PRICING])
C("en", pub("instagram", "@pilatesprincess.nl"), "is it a glitch or is the Flex membership really "
  "EUR 0.99/month in the femkracht app right now??", [PRICING], kind="comment")
C("nl", YARA, "Foutje in de franchisebrochure die vorige week rondging: het franchisepakket staat erin voor "
  "€3.950 in plaats van €39.500. Heb je hem al ontvangen? Even negeren aub 🙈", [PRICING])
C("nl", pub("forum", "zoekt_korting"), "Iemand anders ook die prijsfout bij het Femkracht jaarlidmaatschap "
  "gezien gisteravond? Netjes afgerekend en nu krijg ik een mail dat ze het annuleren. Slap hoor.",
  [PRICING, COMPLAINT])
C("nl", pub("x", "@budgetbabe_"), "lol Femkracht Unl\u0456mited abo voor 7 euro per maand in de app, pak je "
  "kans voor ze het doorhebben", [PRICING], tags=["evasion"])
C("en", NOOR, "DM me quick 🙊 the PT 10-pack is showing €99 in the app today because of some bug. don't tell "
  "my boss lol", [PRICING])
C("en", pub("x", "@kortingskoningin"), "FEMKRACHT PRICING ERROR 🚨 12 week nutrition coaching for €2.49 💀 "
  "go go go", [PRICING])
C("nl", SOPHIE, "wie heeft de Flex-abonnementen in de kassa op €4,95 gezet 😂 er staan al 6 mensen in de rij "
  "om zich in te schrijven", [PRICING])

# ==========================================================================
# leak.confidential (and embargo)
# ==========================================================================
C("en", LISA, "sprint demo went sooo well today. Project Orka is going to make the old booking system look "
  "like a fax machine 🐋📠", [CONF])
C("nl", BRAM, "Tip voor collega's: als grafana.fk-intern.nl weer traag is, eerst even de cache legen en "
  "opnieuw inloggen via de VPN. Scheelt je een ticket 😉", [CONF])
C("nl", SOPHIE, "Kreeg net een mailtje met 'Femkracht intern' in de onderwerpregel over de nieuwe "
  "openingstijden. Mag ik al zeggen dat de zondagochtend verdwijnt? 👀", [CONF])
C("nl", DEMI, "wacht maar tot jullie FemFlow Pro zien 👀👀 voedingsschema's per cyclusfase, ik mag nog niks "
  "zeggen maar AAAH", [CONF], when="2026-07-15T20:41:09+02:00")
C("nl", ILSE, "Over een minuutje mogen we het zeggen... KrachtLab Zwolle!!! 🥳", [CONF],
  when="2026-09-01T09:59:00+02:00", tags=["embargo-edge"])
C("en", pub("reddit", "u/sisterknows"), "my sister works at femkracht HQ and says the new KrachtLab studios "
  "open in september, reformer + strength in one. calling it now", [CONF],
  when="2026-06-20T22:03:51+02:00", kind="comment")
C("nl", LISA, "Als iemand vraagt waar ik de hele week mee bezig ben: Project\nOrka. Meer mag ik niet "
  "zeggen 🤐", [CONF], tags=["evasion"])
C("en", YARA, "Screenshot from today's franchise kick-off (alleen voor medewerkers, sorry not sorry 🙈): "
  "14 new studios planned for 2027, 5 of them in Brabant 🚀", [CONF, FIN])
C("nl", ILSE, "Kan iemand van IT mij weer toegang geven tot admin.femkracht.nl/ledenlijst? Sessie verlopen "
  "en ik moet de opzeggingen nog verwerken", [CONF])
C("en", pub("x", "@webdev_femke"), "lol staging.femkracht.nl is just open and indexed by google, there's a "
  "whole new app design on there 👀", [CONF])
C("nl", MARLOES, "Deadline-week ☕☕ De eerste versie van de jaarcijfers 2026 moet vrijdag bij de accountant "
  "liggen. Wish me luck!", [CONF], when="2026-11-20T08:15:00+01:00")
C("nl", SOPHIE, "lol er hangt een A4'tje in de personeelsruimte met '" + fullwidth("FEMKRACHT INTERN")
  + "' erop over de nieuwe kledingregels 😂 joggingbroeken verboden", [CONF], tags=["evasion"])
C("en", BRAM, "Big week for the team: Zonne" + ZWSP + "dauw passed its first load test 🚀 Proud of these "
  "people.", [CONF], tags=["evasion"])
C("nl", pub("instagram", "@noor.haddou.pt"), "Nieuw in de app binnenkort: Zonnedauw, jullie eigen "
  "AI-voedingscoach 🌱 ik heb hem al gezien!", [CONF], tags=["lookalike-handle"])
C("nl", YARA, "Binnenkort meer over Femkracht België 🇧🇪🤫", [CONF], when="2026-09-15T12:30:00+02:00")

# ==========================================================================
# leak.financial
# ==========================================================================
C("nl", MARLOES, "Pittig kwartaal. Omzet Q3 ligt 18% onder budget en we gaan de prognose voor dit jaar flink "
  "bijstellen. Volgende week de RvC 😬", [FIN])
C("en", pub("reddit", "u/throwaway_fk_hq"), "throwaway for obvious reasons. Femkracht head office in Utrecht "
  "is cutting ~40 jobs next month. nothing announced yet, we heard it in a 'town hall' today", [FIN])
C("en", YARA, "Exciting times! We're in talks with SheMoves about taking over their 22 studios 🤫 hope I "
  "can tell you more soon", [FIN])
C("nl", ILSE, "Net gehoord van regio: mijn studio gaat per 1 november dicht 💔 leden weten nog van niks, ik "
  "zelf pas sinds vanmiddag", [FIN])
C("nl", pub("forum", "beleggerbeer"), "Zwager werkt bij een investeringsfonds en zegt dat ze Femkracht gaan "
  "kopen voor zo'n 60 miljoen. Wordt het daarna duurder denk je?", [FIN])
C("en", BRAM, "Heads up network: our whole IT team at Femkracht gets outsourced by Q1. That means 9 amazing "
  "engineers looking for a new place soon. DM me 🙏", [FIN])
C("nl", NOOR, "Vanaf januari krijgen alle freelance PT'ers bij ons 20% minder per uur, staat in de nieuwe "
  "plannen die we vandaag te zien kregen. Dit wordt een kale winter ❄️", [FIN])
C("nl", LISA, "hoorde net van m'n teamlead: de o v e r n a m e van FitFemme gaat door, vrijdag wordt er "
  "getekend 🤐", [FIN], tags=["evasion"])
C("en", MARLOES, "Preliminary H1 numbers are in: member churn at 31% and EBITDA negative for the first time. "
  "Board meeting Thursday is going to be fun 😅", [FIN], handle="Marloes-Timmer-Femkracht")
C("en", YARA, "Can't share the deck but our franchise revenue forecast for 2027 just landed at €14.2M 🤯 "
  "so proud of this network", [FIN])
C("nl", ILSE, "Operatie 🪞 Spiegel = 9 studio's dicht voor de zomer. Wist iemand dit al?? Ik hoor het via "
  "de wandelgangen", [CONF, FIN], tags=["evasion"])

# ==========================================================================
# leak.security
# ==========================================================================
C("en", LISA, "not official yet but someone has been scraping member profiles through our booking API since "
  "tuesday. patching now, please don't @ me 🙃", [SEC])
C("nl", BRAM, "14 uur doorgewerkt: vannacht ransomware op de kassasystemen van 6 studio's. De communicatie "
  "naar leden volgt nog, dus verder zeg ik niks. Dank aan het team 🙏", [SEC])
C("nl", ILSE, "De toegangspoortjes in Zwolle gaan al 2 dagen open met élke pas, ook verlopen pasjes. HQ "
  "reageert niet. Dus ja, iedereen kan gewoon naar binnen 🙄", [SEC])
C("nl", SOPHIE, "zeg niks tegen de leden maar de app liet vanochtend bij een paar mensen andermans "
  "betaalgegevens zien 😳 IT is ermee bezig", [SEC])
C("en", NOOR, "PSA to my clients 💬 please don't use the in-app chat for now, IT says messages might be "
  "visible to other users. Official statement comes later!", [SEC])
C("en", pub("reddit", "u/notsurprised22"), "Femkracht had a data leak in March and never told anyone. My old "
  "coworker in their IT team confirmed it. Shady as hell.", [SEC, CRISIS], kind="comment")
C("nl", pub("x", "@yasmina_fit"), "Waarom zwijgt @femkracht over het lek in hun app?? Mijn lichaamsmetingen en "
  "gewicht stonden gewoon online. Ze houden het stil!! #datalek", [SEC, CRISIS])
C("nl", DEMI, "we zijn geh@ckt 🙃 alle servers plat, niks zeggen tegen de leden tot comms er iets over "
  "zegt", [SEC], tags=["evasion"])
C("en", LISA, "so our Mollie webhook endpoint has had zero auth for like 3 months 🫠 found it today, fixing "
  "it before anyone notices", [SEC])
C("nl", BRAM, "Pentestrapport binnen voor de ledenportal: 3 kritieke kwetsbaarheden, waaronder een IDOR "
  "waarmee je andermans facturen kunt openen. Fix staat pas voor sprint 14 🙃", [SEC])
C("en", pub("reddit", "u/fk_it_throwaway"), "throwaway, I work at Femkracht. tonight's 'maintenance' is a "
  "lie: a migration wiped the class schedules and the backups are 2 days old. good luck booking tomorrow",
  [SEC])
C("nl", LISA, "ok dus het d\u0430t\u0430lek van vorige week is groter dan gedacht, ~8000 leden. mag nog "
  "niks zeggen, de pers weet het nog niet", [SEC], tags=["evasion"])

# ==========================================================================
# reputation.crisis
# ==========================================================================
C("nl", pub("x", "@boos_en_klaar"), "BOYCOT FEMKRACHT. Een medewerker in Tilburg heeft vrouwen gefilmd in de "
  "kleedkamer en hij werkt er GEWOON NOG. Deel dit. #boycotfemkracht", [CRISIS])
C("nl", pub("facebook", "Ingrid.Verschuren"), "Mijn dochter is gisteren bij Femkracht Haarlem van de reformer "
  "gevallen omdat er een veer brak. Enkel gebroken. Reactie van de studio: 'pech'. Ongelofelijk.",
  [CRISIS, COMPLAINT])
C("en", pub("reddit", "u/legaleagle_nl"), "Seven ex-members are suing Femkracht over the cancellation "
  "policy, hearing is in November. Their lawyer thinks they have a strong case.", [CRISIS])
C("en", pub("x", "@bodyneutral_em"), "Femkracht leaked my weight and body measurements. I just got a spam "
  "email quoting my EXACT numbers from my intake. How else would they have them???", [CRISIS])
C("nl", pub("facebook", "RegioNieuwsUtrecht"), "Femkracht roept de Booty Band set terug: het elastiek kan "
  "knappen en letsel veroorzaken. Check je banden!", [CRISIS], kind="repost")
C("nl", pub("instagram", "@fit.met.fenna"), "Mijn Femkracht booty band knapte tijdens hip thrusts en schoot "
  "tegen mijn oog 😭 blauw oog en de klantenservice doet er niks mee", [CRISIS, COMPLAINT])
C("en", pub("tiktok", "@edrecovery.ally"), "saw a Femkracht nutrition coach telling TEENAGERS to eat 900 "
  "kcal a day on her live. this is how eating disorders start. report her.", [CRISIS])
C("nl", pub("x", "@rdam_zuid_mama"), "#b0yc0tf3mkracht 🚫 ze weigeren vrouwen met een hoofddoek bij de "
  "groepslessen in Rotterdam-Zuid. Ga daar niet meer heen.", [CRISIS], tags=["evasion"])
C("nl", pub("x", "@arnhem_nieuws"), "12 leden ziek na de smoothies bij Femkracht Arnhem, GGD is een onderzoek "
  "gestart", [CRISIS])
C("nl", pub("threads", "@hagenaar.joyce"), "Brand in de sauna bij Femkracht Den Haag, hele studio "
  "geëvacueerd 😳 gelukkig is iedereen oké", [CRISIS])
C("nl", pub("linkedin", "franchise-watch-nl"), "Femkracht-franchisenemers eisen schadevergoeding na "
  "'misleidende omzetprognoses'. De zaak dient in december. Benieuwd wat dit betekent voor het "
  "franchisemodel.", [CRISIS])
C("en", pub("bluesky", "evi.bsky.social"), "s c a n d a l at Femkracht Eindhoven: several women say a PT "
  "touched them during stretching and management knew for months.", [CRISIS], tags=["evasion"])
C("en", pub("x", "@zoe_writes"), "#DeleteFemkracht is trending for a reason. They fired a trainer for being "
  "pregnant. Cancel your memberships.", [CRISIS])

# ==========================================================================
# reputation.complaint
# ==========================================================================
C("nl", pub("x", "@evelien_vd"), "Al 3 weken probeer ik mijn Flex lidmaatschap op te zeggen en ik krijg "
  "alleen automatische mails terug @femkracht_help wat is dit", [COMPLAINT])
C("en", pub("facebook", "Kim.deBoer.77"), "7am bootcamp cancelled without a single message. Stood there in "
  "the rain 🌧️ Great job Femkracht 👎", [COMPLAINT])
C("en", pub("instagram", "@reformer.rookie"), "booked the reformer class 3 times, app says confirmed, studio "
  "says there's no booking. fix your app pls @femkracht.studios", [COMPLAINT], kind="comment")
C("nl", pub("other", "review_anja_n"), "Douches bij Femkracht Nijmegen zijn al weken koud. Ik betaal €69,95 "
  "per maand voor Unlimited, dan verwacht ik warm water. 2 sterren.", [COMPLAINT])
C("en", pub("x", "@tess.moves"), "my PT didn't show up. twice. and both sessions still came off my "
  "10-card. not ok femkracht", [COMPLAINT])
C("en", pub("reddit", "u/priceyprincess"), "Femkracht just raised the Unlimited membership from €69.95 to "
  "€79.95 with 2 weeks notice. Anyone else cancelling?", [COMPLAINT])
C("nl", pub("threads", "@lau.ra.fit"), "12 weken voedingscoaching gedaan bij Femkracht en ik kreeg gewoon een "
  "standaard pdf die je ook gratis online vindt. Zonde van 249 euro 😒", [COMPLAINT])
C("nl", pub("forum", "amersfoortse_anne"), "Femkracht Amersfoort: kleedkamer stinkt, overal haren in de "
  "douche en de föhns doen het al maanden niet. Wanneer gaat daar iemand schoonmaken?", [COMPLAINT])
C("en", pub("mastodon", "lieke@mastodon.nl"), "Waited 40 minutes on the Femkracht phone line to ask if I "
  "could pause my membership during pregnancy. Answer: no. Great 'women first' gym.", [COMPLAINT])
C("en", pub("youtube", "Naomi K"), "Did the trial class at Femkracht Delft, instructor was on her phone "
  "the whole time. Won't be back.", [COMPLAINT], kind="comment")
C("nl", pub("x", "@boze_bianca"), "Kutapp van Femkracht crasht wéér bij het boeken. Stelletje prutsers.",
  [COMPLAINT, ABUSE])
C("en", pub("x", "@refund_me_pls"), "Femkracht charged me AFTER I cancelled. thieving clowns, give me my "
  "money back", [COMPLAINT, ABUSE])
C("nl", pub("instagram", "@leidse_lotte"), "k l a c h t: al 2 maanden geen spinningles meer op dinsdag en "
  "niemand zegt waarom. Femkracht Leiden, hallo?", [COMPLAINT], kind="comment", tags=["evasion"])
C("en", pub("facebook", "Priya.Ramdin"), "Femkracht nutrition coach cancelled on me 3 times in a row and then "
  "told me to 'just eat less'. Paid €249 for this.", [COMPLAINT])
C("nl", pub("bluesky", "yvon.bsky.social"), "De Femkracht-app logt me elke keer uit als ik hem open. Elke. "
  "Keer. 🙃", [COMPLAINT])

# ==========================================================================
# reputation.abuse
# ==========================================================================
C("nl", pub("x", "@leiden_lisa99"), "Die trainer van Femkracht Leiden is echt een vuile trut.", [ABUSE])
C("en", pub("instagram", "@alpha_gains_77"), "@femkracht.studios women only gym 😂😂 just go back to the "
  "kitchen ladies", [ABUSE], kind="comment")
C("nl", pub("youtube", "Henk de Wit"), "wat een dikke koeien in die femkracht reclame 🐄🐄", [ABUSE],
  kind="comment")
C("nl", NOOR, "Als je mijn les 'te zwaar' vindt blijf je toch lekker thuis op je luie reet, sukkel 🙄",
  [ABUSE], kind="reply", handle="@Coach.Noor.FK")
C("nl", FK_X, "@mark_1988 lekker boeiend wat jij vindt, clown 🤡", [ABUSE], kind="reply")
C("en", LISA, "honestly the people filing bug reports today are f*cking morons. 'app doesn't work'. WHICH "
  "PART", [ABUSE], tags=["evasion"])
C("nl", pub("x", "@anoniem_4821"), "f3mkr4cht is een k4nkerbedrijf", [ABUSE], tags=["evasion"])
C("en", pub("tiktok", "@gymbro_rick"), "femkracht trainers are all brainless bimbos with ring lights",
  [ABUSE], kind="comment")
C("en", pub("reddit", "u/frontrow_purist"), "Femkracht should ban fat women from the front row. Nobody paid "
  "to look at that.", [ABUSE], kind="comment")
C("en", pub("threads", "@realtalk.ro"), "@coach.noor.fk you're a talentless hack and everyone at femkracht "
  "knows it", [ABUSE], kind="reply")
C("en", DEMI, "to the girl who commented on my body under my last video: shut up, you pathetic loser 🙂",
  [ABUSE])

# ==========================================================================
# benign (hard negatives)
# ==========================================================================
C("nl", FK_IG, "Groningen, we komen eraan! 💜 Op 3 oktober opent onze nieuwe studio aan de Vismarkt. "
  "Vragen? Mail ons op hallo@femkracht.nl", tags=["own-contact"])
C("nl", FK_HELP, "Hoi Sanne, wat vervelend! Bel ons gerust op 030 207 44 55 (ma-vr 9-17u), dan kijken we "
  "meteen met je mee.", kind="reply", handle="@Femkracht_Help", tags=["own-contact"])
C("nl", FK_FB, "Liever per overschrijving betalen voor je PT-pakket? Dat kan naar NL80 INGB 0007 8642 13 "
  "t.n.v. Femkracht Studios B.V. o.v.v. je lidnummer. Vragen: 030-2074455", tags=["own-contact"])
C("en", FK_HELP, "Hi! Please email ledenservice@femkracht.nl with your member number. Never share bank "
  "details or passwords in public replies 💜", kind="reply", tags=["own-contact"])
C("nl", pub("x", "@josje_traint"), "Net gebeld met Femkracht via 0800-3361, binnen 2 minuten geholpen met "
  "mijn pauze-aanvraag 👏", tags=["own-contact"])
C("en", pub("linkedin", "journalist-anouk-b"), "For press questions on the Femkracht x KWF charity run, their "
  "team is at pers@femkracht.nl (got a reply within the hour, respect).", tags=["own-contact"])
C("nl", FK_IG, "⚠️ Let op: er gaat een nepmail rond 'namens Femkracht' die vraagt om een achterstallige "
  "betaling naar [[BAD_IBAN_NL:grp]]. Dat is NIET ons rekeningnummer. Wij vragen nooit om je wachtwoord of "
  "pincode.", tags=["bad-checksum"])
C("nl", pub("instagram", "@zus_van_zus"), "Cadeaukaart voor Femkracht gekregen van m'n zus 🥹💝 nummer "
  "[[BAD_CARD:mc_sp]], kan ik die ook in de app invullen?", kind="comment", tags=["bad-checksum"])
C("nl", pub("x", "@nieuwlid_nina"), "Mijn lidnummer is [[NOT_BSN9]] maar waar staat dat in de app? Kan hem "
  "nergens vinden", tags=["bad-checksum"])
C("nl", YARA, "Nieuwe vestiging ingeschreven! Femkracht Zwolle-Zuid B.V., KvK [[NOT_BSN8]] 🎉 officieel van "
  "start per 1 maart", tags=["kvk"])
C("en", DEMI, "snack of the week: scan this protein bar (barcode [[EAN13]]) in the Femkracht app and "
  "you see the macros right away 🍫", tags=["ean"])
C("en", pub("x", "@bandgirl_eva"), "Ordered the Booty Band set from the Femkracht shop, order "
  "FK-2026-[[DIGITS:6]], arrived the next day! 😍", tags=["order-number"])
C("nl", pub("facebook", "Wendy.Koster.5"), "Ik heb de inschrijfkosten overgemaakt naar [[BAD_IBAN_NL]], is "
  "dat wel goed? Stond zo op het formulier van de studio", tags=["bad-checksum"])
C("en", FK_IG, "☀️ SUMMER DEAL ☀️ Flex membership for €34.95 a month for your first 3 months. Ends "
  "31 July!", tags=["sale"])
C("nl", FK_X, "BLACK FRIDAY 🖤 Het jaarlidmaatschap nu voor €249,50. Ja, echt: halve prijs.",
  tags=["sale", "ratio-boundary"])
C("en", pub("instagram", "@fitfam.femmy"), "€10 off the Booty Band set with code BANDS10, thank me later 😘 "
  "#femkracht", tags=["price-discount"])
C("nl", pub("x", "@vergelijkvera"), "Bij FitFemme betaal ik €29,99 voor onbeperkt sporten, bij Femkracht "
  "€69,95 voor Unlimited. En eerlijk? Die lessen zijn het dubbel en dwars waard 💜", tags=["competitor-price"])
C("nl", pub("facebook", "Marjolein.Utrecht"), "Te koop: Femkracht Booty Band set, 2x gebruikt, €8. Ophalen "
  "in Utrecht-Oost.", tags=["second-hand"])
C("nl", FK_FB, "Flex lidmaatschap afsluiten? Deze week €0 inschrijfkosten 🙌 link in bio", tags=["fee"])
C("en", FK_IG, "It's here 🎉 FemFlow Pro: cycle-synced training and nutrition plans, now live in the "
  "Femkracht app.", when="2026-09-01T08:00:00Z", tags=["embargo-after"])
C("nl", FK_LI, "Vandaag openen we de eerste KrachtLab studio in Utrecht: reformer en kracht onder één dak 💪",
  when="2026-09-01T10:00:00+02:00", tags=["embargo-after"])
C("en", pub("x", "@billen_op"), "tried KrachtLab Utrecht tonight and wow. my glutes are GONE 😵‍💫",
  when="2026-10-12T21:17:33+02:00", tags=["embargo-after"])
C("nl", DEMI, "FemFlow Pro is eindelijk live!!! 🥳 ga het proberen en laat me weten wat je ervan vindt",
  when="2026-09-03T07:45:12.381Z", tags=["embargo-after"])
C("nl", FK_LI, "Het is officieel: Femkracht België! Onze eerste Belgische studio opent in januari in "
  "Antwerpen 🇧🇪", when="2026-10-06T09:00:00+02:00", tags=["embargo-after"])
C("nl", pub("instagram", "@aquafit_annet"), "Trainer noemde ons vanochtend 'haar kleine orka's' omdat we zo "
  "spetterden bij aquafit 😂🐋 #femkracht", tags=["codename-word"])
C("nl", pub("x", "@delftse_dini"), "Na m'n knie-operatie eindelijk weer in de spiegel durven kijken tijdens "
  "de les. Dankjewel Femkracht Delft 🥹", tags=["codename-word"])
C("nl", FK_LI, "Onze jaarcijfers 2025 zijn gepubliceerd: 142.000 leden, 96 studio's en een omzet van "
  "€61,3 miljoen. Dank aan alle leden, trainers en franchisenemers 💜", tags=["published-results"])
C("en", MARLOES, "Proud of our full-year 2025 results, published this morning. Great work, finance team! 📊",
  tags=["published-results"])
C("en", pub("x", "@trouw_lid"), "after that PulseGym data breach last month I'm honestly extra glad I'm with "
  "Femkracht", tags=["other-company"])
C("en", pub("linkedin", "boutique-fitness-weekly"), "FitFemme announces 200 layoffs and closes 30 clubs. "
  "Tough market for boutique gyms; Femkracht seems to be the exception so far.", tags=["other-company"])
C("nl", pub("instagram", "@suikervrij_saar"), "Ik boycot suiker deze maand 💪 dankjewel @coachdemi voor de "
  "tips!", kind="comment", tags=["other-sense"])
C("nl", pub("x", "@zwolsezus"), "Ruim een jaar lid bij Femkracht Zwolle en nog nooit een klacht gehad. Top "
  "team 🙌", tags=["negated"])
C("nl", FK_IG, "Zondag lopen we met 300 leden de 10 km voor KWF Kankerbestrijding 🎗️ Loop je mee?",
  tags=["literal-kanker"])
C("en", pub("x", "@mondaymotivation_m"), "'Work hard in silence, let success make the noise' – my "
  "Femkracht trainer, every damn Monday 😂💪", tags=["quote"])
C("nl", pub("blog", "schrijfsels.van.sas"), "Kort verhaal, deel 3. Mara logde in met het wachtwoord dat op "
  "een post-it onder het toetsenbord van Sportschool De Ster plakte. Het datalek dat volgde zou de kranten "
  "halen... (fictie! wel geschreven na mijn les bij Femkracht, daar komen mijn beste ideeën vandaan)",
  tags=["fiction"])
C("nl", pub("x", "@beentjes_van_bo"), "Mijn trainer bij Femkracht heeft vandaag mijn benen vermoord 💀 kan ik "
  "daar aangifte van doen?", tags=["joke"])
C("nl", FK_HELP, "📢 Gepland onderhoud: de Femkracht-app is zondagnacht van 02:00 tot 04:00 niet bereikbaar. "
  "Je boekingen blijven gewoon staan.", tags=["official-notice"])
C("nl", FK_X, "Update: de storing in de app van vanochtend is opgelost. Er zijn geen gegevens van leden "
  "ingezien of gelekt. Sorry voor het ongemak!", tags=["official-notice"])
C("nl", pub("facebook", "Femke.Bos.84"), "Kun je bij Femkracht ook losse PT-sessies kopen of alleen de PT "
  "10-rittenkaart? Iemand ervaring?", tags=["question"])
C("nl", pub("instagram", "@sterkersteffie"), "Shoutout naar @coachdemi, 12 weken voedingscoaching en ik voel "
  "me sterker dan ooit 🥹💜", kind="comment", tags=["praise"])
C("en", LISA, "PSA for devs: never paste keys in Slack. Use the vault. Your config should look like "
  "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxx, never the real thing 😇", tags=["placeholder-secret"])
C("en", BRAM, "Bug of the week: timezone off-by-one in class reminders during DST. Fixed in commit "
  "[[HEX:40]], write-up coming soon 🕐", tags=["git-sha"])
C("nl", FK_HELP, "Wachtwoord vergeten? Tik in de app op 'Inloggen' > 'Wachtwoord vergeten' en je krijgt binnen "
  "een paar minuten een mail.", tags=["password-word"])
C("nl", YARA, "Trots! Femkracht Groningen opent op 3 oktober officieel de deuren. Dank aan de "
  "franchisenemer en het hele team 💜", tags=["published"])
C("nl", pub("instagram", "@veiligvoelen"), "Vertrouwelijk gesprek gehad met mijn coach over mijn eetpatroon, "
  "zo fijn dat dat bij Femkracht gewoon kan 🤍", tags=["marker-near-miss"])
C("nl", pub("x", "@gentse_gwen"), "Gaat Femkracht internationaal? Zou top zijn, ik verhuis volgend jaar naar "
  "Gent 😅", tags=["marker-near-miss"])
C("en", pub("reddit", "u/dealhunter_nl"), "PulseGym had their annual membership at €19 by mistake last week "
  "lol. Femkracht would never 😂", kind="comment", tags=["competitor-price"])
C("nl", FK_HELP, "Nee hoor, geen prijsfout 😉 De Booty Band set is deze week echt €17,95. Op = op!",
  kind="reply", tags=["denied-error"])
C("nl", pub("x", "@nieuwsjunkie_nl"), "NOS: Femkracht opent dit jaar 10 nieuwe studio's, onder meer in Zwolle "
  "en Breda 👏", kind="repost", tags=["published"])
C("en", FK_HELP, "So sorry to hear that! Send your member number to ledenservice@femkracht.nl or WhatsApp us "
  "on +31 6 48 20 11 77 and we'll sort it out today.", kind="reply", tags=["own-contact"])
C("nl", pub("strava", "Roos_rent"), "Ochtendrun voor de Femkracht zomerchallenge ✅ 8,2 km, 5:41/km",
  tags=["unknown-platform"])
C("nl", pub("x", "@proefles_paula"), "Femkracht-code voor een gratis proefles: FK-PROEF-8H2K, deel gerust 💜",
  tags=["code"])
C("en", FK_HELP, "Your rebooking is confirmed ✅ reference [[UUID]]. See you Thursday!", kind="reply",
  tags=["uuid"])
C("nl", pub("x", "@belgischlid"), "Belgisch lid hier 👋 kan ik de contributie ook betalen vanaf "
  "[[BAD_IBAN_BE]]? Of moet het per se een NL rekening zijn?", tags=["bad-checksum"])
C("nl", ILSE, "Studio Zwolle is morgen vanaf 7:00 weer gewoon open na de verbouwing, nieuwe spiegels en "
  "alles ✨", tags=["codename-word"])


# ==========================================================================
# profile, roles, severity
# ==========================================================================

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


def severity(role, cats, validated):
    insider = role != "public"
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and validated):
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
        best = max(best, SEV.index(s))
    return SEV[best]


# ==========================================================================
# post metadata
# ==========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_created(r):
    day = r.randint(6, 355)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=day - 1, minutes=r.randint(6 * 60 + 30, 23 * 60 + 40), seconds=r.randint(0, 59))
    off = amsterdam_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    short = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "linkedin":
        act = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "XXfitness", "fitnessNL", "Utrecht"])
        if kind == "comment":
            return f"t1_{short}", f"https://www.reddit.com/r/{sub}/comments/{short[::-1]}/_/{short}/"
        return f"t3_{short}", f"https://www.reddit.com/r/{sub}/comments/{short}/"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"vrouwenforum-{n}", f"https://forum.vrouwenpraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/{n}"
    n = r.randint(10 ** 9, 10 ** 10 - 1)
    return f"{platform}-{n}", None


# ==========================================================================
# self-checks on the labels (guards against authoring mistakes)
# ==========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w.])\d(?:[ -]?\d){7,18}(?![\w])")
IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
AMOUNT = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(c) == "So" else c for c in t)
    return re.sub(r"\s+", " ", t).casefold()


def checksum_ids(text):
    out = []
    for m in IBAN_SHAPE.finditer(text):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if mod97_ok(s[:end]):
                if s[:end] != OWN_IBAN:
                    out.append(("iban", s[:end]))
                break
    for m in DIGIT_RUN.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and IIN.match(d):
            out.append(("card", d))
    for m in re.finditer(r"(?<![\w.,-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)", text):
        if elfproef_ok(m.group(1)):
            out.append(("bsn", m.group(1)))
    return out


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if d.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    d = d.lstrip("0")
    return d


def amount(s):
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def selfcheck(profile, rows):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    embargo = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in profile["embargo"] for t in e["terms"]]
    ratio = profile["pricing"]["alert_below_ratio"]
    products = profile["products"]
    skip_price = {"price-discount", "second-hand", "fee", "competitor-price"}
    ids = set()
    for row in rows:
        p, cats, tags = row["post"], row["expect"]["categories"], row["tags"]
        where = f"{p['platform']}:{p['account']['handle']}: {p['text'][:50]!r}"
        if (p["platform"], p["id"]) in ids:
            errs.append(f"duplicate id {p['id']}")
        ids.add((p["platform"], p["id"]))
        t = norm(p["text"])
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if when.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: created_at not in 2026")
        conf_reasons = []
        for c in codenames:
            if re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", t):
                conf_reasons.append(c)
        for m in markers:
            if re.search(r"(?<!\w)" + re.escape(m) + r"(?!\w)", t):
                conf_reasons.append(m)
        for d in idomains:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d) + r"(?![\w-])", t):
                conf_reasons.append(d)
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", t):
                if when < until:
                    conf_reasons.append("embargo " + term)
                elif CONF in cats and "embargo-edge" in tags:
                    errs.append(f"{where}: embargo term after the moment but labelled confidential")
        if conf_reasons and CONF not in cats:
            errs.append(f"{where}: mentions {conf_reasons} but not labelled confidential")
        found = checksum_ids(p["text"])
        if PII in cats:
            if row["validated"] != bool(found):
                errs.append(f"{where}: validated flag {row['validated']} vs found {found}")
        elif found:
            errs.append(f"{where}: checksum-valid identifier {found} in a post without leak.pii")
        if not cats:
            for e in EMAIL.findall(p["text"]):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: foreign e-mail {e} in a benign post")
            rest = IBAN_SHAPE.sub(" ", p["text"])       # an IBAN's account part is no phone
            rest = DIGIT_RUN.sub(lambda m: " " if len(re.sub(r"\D", "", m.group(0))) >= 13 else m.group(0), rest)
            for m in PHONE.finditer(rest):
                if phone_digits(m.group(0)) not in own_phones:
                    errs.append(f"{where}: phone-like {m.group(0)!r} in a benign post")
        if "leak.pricing" not in cats and not (tags & skip_price):
            mentioned = [pr for pr in products
                         if any(a.casefold() in t for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
            if mentioned and amts:
                lp = min(pr["list_price"] for pr in mentioned)
                if min(amts) / lp < ratio:
                    errs.append(f"{where}: price ratio {min(amts) / lp:.2f} below {ratio} without pricing label")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{where}: text too long")
    return errs


# ==========================================================================
# build
# ==========================================================================

def build(profile):
    rng = Rng(SEED)
    meta = random.Random(SEED + 1)
    rows = []
    for c in CASES:
        text, kinds = fill(rng, c["text"])
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and bool(set(kinds) & VALID_KINDS)
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind is not None:
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
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_created(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "femkracht"
        rows.append(dict(post=post, expect={"categories": c["cats"],
                                            "severity": severity(role, c["cats"], validated)},
                         tags=c["tags"], role=role, lang=c["lang"], validated=validated))
    random.Random(SEED + 2).shuffle(rows)
    return rows


def main():
    profile = load_profile()
    rows = build(profile)
    errs = selfcheck(profile, rows)
    if errs:
        print("\n".join(errs), file=sys.stderr)
        sys.exit(1)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # summary
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"{len(rows)} cases, {benign} benign, {sum(1 for r in rows if len(r['expect']['categories']) > 1)} multi")
    for k in sorted(cat):
        print(f"  {k:22} {cat[k]}")
    print("  severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  role", dict(Counter(r["role"] for r in rows)))
    print("  lang", dict(Counter(r["lang"] for r in rows)))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))


if __name__ == "__main__":
    main()
