#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed70 blind evaluation set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: "Perronpas Travel B.V.", a fictional Dutch online ticket and travel agency
for trains and buses across Europe (see profile.yaml next to this file).

Every post text is written by hand in CASES below. Identifiers and secrets are
filled in from placeholders such as <<IBAN_NL:grp>> by one seeded RNG, so the
output is byte-for-byte reproducible. Labelled positives get checksum-VALID
identifiers (IBAN mod-97, Luhn, BSN 11-proof); hard negatives get look-alikes that
FAIL their checksum. Secrets are random and fake, shaped like the real thing
(GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: it follows CONTRACT section 4 from the account
role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories and whether a checksum-valid identifier (IBAN, card, BSN) is present.
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

SEED = 70_2026_0311
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "y": "\u0443", "x": "\u0445", "i": "\u0456", "P": "\u0420", "B": "\u0412"}


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


def cyr(s, letters):
    """Swap the given Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(country, bban):
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - num % 97:02d}{bban}"


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        tot += d - 9 if d > 9 else d
    return bool(digits) and tot % 10 == 0


def luhn_complete(partial):
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and tot != 0


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


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL87INGB0008441237"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            bank = self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
            v = iban_make("NL", bank + self.digits(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["37040044", "10070000", "50010517", "20041133"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["068", "001", "363", "735"]) + self.digits(7)
        return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (13, 29, 41, 57):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_complete("4" + self.digits(14))
        if brand == "mc":
            return luhn_complete("5" + self.r.choice("12345") + self.digits(13))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, f):
        return v if f == "c" else " ".join(v[i:i + 4] for i in range(0, len(v), 4))

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

    def phone(self, fmt):
        d8 = self.r.choice("12345") + self.digits(7)   # after '06'
        if fmt == "mob_intl_sp":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if fmt == "mob_spaced":
            return " ".join("06" + d8)
        if fmt == "mob_dash":
            return f"06-{d8}"
        raise ValueError(fmt)

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        body = {"sub": "partner_" + self.digits(5, True), "iss": "partner-api.perronpas.nl",
                "scope": "bookings:write", "iat": iat, "exp": iat + 7200}
        return f"{head}.{b64url(json.dumps(body, separators=(',', ':')).encode())}.{self.chars(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 18) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#*-_") + self.chars(ALNUM, 4))

    def value(self, kind, fmt):
        """Return (raw, shown)."""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(self, kind.lower())()
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban(self.iban_nl())
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "CARD":
            brand, _, f = fmt.partition("_")
            raw = self.card(brand)
            return raw, self.fmt_card(raw, f or "sp")
        if kind == "BAD_CARD":
            brand, _, f = fmt.partition("_")
            raw = self.bad_card(brand)
            return raw, self.fmt_card(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN9":
            raw = self.not_bsn(9)
            return raw, raw
        if kind == "NOT_BSN8":
            raw = self.not_bsn(8)
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.chars(B32, 16),
            "AWS_SECRET": lambda: self.chars(B64, 40),
            "MOLLIE": lambda: "live_" + self.chars(ALNUM, 30),
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.chars(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.chars(string.ascii_uppercase + string.digits, 10)
                                   + "/" + self.chars(ALNUM, 24)),
            "SENDGRID": lambda: "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43),
            "GLPAT": lambda: "glpat-" + self.chars(ALNUM + "_-", 20),
            "GAPI": lambda: "AIzaSy" + self.chars(B64URL, 33),
            "JWT": self.jwt,
            "PEM_OPENSSH": self.pem_openssh,
            "PW": self.password,
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PP_X = ("x", "@perronpas", "Perronpas")
PP_HELP = ("x", "@perronpas_help", "Perronpas Klantenservice")
PP_IG = ("instagram", "@perronpas.travel", "Perronpas")
PP_LI = ("linkedin", "perronpas-travel", "Perronpas Travel B.V.")
PP_FB = ("facebook", "PerronpasNL", "Perronpas")
PP_TT = ("tiktok", "@perronpas", "Perronpas")
# employees
LV = ("x", "@lotte_perron", "Lotte Verbeek")                      # customer-service team lead
DM = ("linkedin", "daan-mulder-perronpas", "Daan Mulder")        # backend engineer
RK = ("x", "@rubenkaya_dev", "Ruben Kaya")                         # app developer
IH = ("linkedin", "ingrid-hoekstra-fin", "Ingrid Hoekstra")       # finance controller
YE = ("x", "@yasmina_elb", "Yasmina El Baz")                      # rail partnerships
JS = ("instagram", "@joostonrails", "Joost Smit")                 # product manager
WG = ("bluesky", "@wesleydg.bsky.social", "Wesley de Graaf")      # SRE / on-call
MK = ("reddit", "u/mkoster_pp", "Marit Koster")                   # customer-service agent


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, display_name=dn,
                      text=text, cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags)))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", RK, "eh collega's 😬 de Europa Pass 15 staat in de app voor €44,90 ipv €449. iemand heeft bij de "
     "tariefimport een nul gesloopt. hotfix is onderweg, pls niet doorsturen", [PRICING])
case("nl", pub("reddit", "u/spoorvogel_ut"), "[Deal?] Perronpas heeft de Nachtcoupé Wenen nu voor 23,90 all-in staan. "
     "Dat kan nooit kloppen, normaal betaal je 239. Heb er toch twee geboekt voor oktober en de bevestiging "
     "gescreenshot, we zien wel.", [PRICING])
case("en", pub("x", "@backpackbenji", "Benji 🎒"), "yo @perronpas is this a glitch or nah?? Paris Flex 1st class "
     "showing €27.90 in the app 👀👀 booking 4 before someone wakes up", [PRICING])
case("nl", LV, "Lieve collega's van de CS-vloer die mij hier volgen: ja, de BusFlex 10 staat sinds 7u voor €12,90 "
     "online, het is een prijsfout. Bevestigingen NIET annuleren tot legal iets zegt. Koffie staat klaar ☕",
     [PRICING])
case("nl", PP_FB, "🎉 Alleen vandaag: de Benelux-dagkaart voor maar €9,99 in de PerronGo app! Op = op 🚆💨",
     [PRICING])
case("nl", pub("facebook", "gerda.wouters.3", "Gerda Wouters"), "Heeft iemand anders ook PerronGo Plus voor 4,90 "
     "voor een heel jaar zien staan?? Is normaal 49 euro. Vast een foutje maar ik heb m gewoon afgesloten hoor 😇",
     [PRICING])
case("nl", pub("tiktok", "@reismetroos"), fw("PRIJSFOUT") + " bij perronpas 😱😱 Europa Pass 7 voor 28 euro, link "
     "in bio voordat ze het fixen #interrail #reizen #budgettravel", [PRICING], tags=["evasion", "evasion:full-width"])
case("nl", pub("forum", "Koploper_88"), "p r i j s f o u t ?? Paris Flex staat bij perronpas voor € 29,- ipv € 279,-"
     "\n\nBij mij ging de betaling gewoon door, ideal en alles. Snel zijn!", [PRICING],
     tags=["evasion", "evasion:spaced"])
case("en", YE, "Note for our partner colleagues at ÖBB: a fare-table sync issue made our storefront sell the Vienna "
     "sleeper at €23.90 for ~40 min last night. About 300 bookings. I'll reach out this week on how we settle them.",
     [PRICING])
case("nl", pub("x", "@zeurkous_ams"), "Nachtcoupé Wenen voor €19?? pŕíjsfóut van het jaar 😂😂 @perronpas jullie "
     "stagiair heeft een slechte dag", [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", DM, "Postmortem-draft staat op jira.perronpas.nl/browse/PRICE-212: de EuropaPass 15 heeft ruim 2 uur voor "
     "€4,49 in de checkout gestaan door een cent/euro-verwarring in de nieuwe tariefservice. Feedback graag vóór "
     "vrijdag 🙏", [PRICING, CONF])
case("en", pub("instagram", "@noorzwerft"), "Price error at @perronpas.travel on the Benelux Day Pass?? It costs next "
     "to nothing in the app today, go go go 🏃‍♀️", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", DM, "Blij dat we eindelijk van Jenkins af zijn 🎉 Zo simpel ziet een productie-deploy er nu uit:\n\n"
     "export MOLLIE_API_KEY=<<MOLLIE>>\n./deploy.sh --env=prod --service=checkout\n\nVragen? Stuur me een DM. "
     "#devops #cicd", [SECRET])
case("en", RK, 'pls why does this 403 😭😭\ncurl -H "Authorization: token <<GHP>>" '
     "https://api.github.com/repos/perronpas/perrongo-android/actions/runs", [SECRET])
case("en", WG, "on-call brain at 3am: pasted the wrong buffer and it cross-posted 🙃 someone rotate this pls\n"
     "postgres://booking_rw:<<PW>>@db-prod-2.corp.perronpas.internal:5432/bookings", [SECRET, CONF])
case("en", pub("reddit", "u/apkpoker"), "Decompiled the PerronGo APK out of boredom. They ship a SendGrid key in "
     "plain text: <<SENDGRID>>\nMailed their help address two weeks ago, no reply. Do with that what you want.",
     [SECRET], kind="post")
case("nl", PP_HELP, "@maartje_reist Bedankt voor je geduld! Je e-ticket is opnieuw verstuurd 📩\n"
     "[auto-notify] <<SLACK_HOOK>>", [SECRET], kind="reply")
case("nl", RK, "iemand heeft net de prod keys in een publiek gist gezet 🙃 <<AWS_ID>> met secret <<AWS_SECRET>>. "
     "wie van jullie gaat roteren, ik zit in de trein", [SECRET])
case("nl", pub("forum", "spoorzoeker"), "Geloof het of niet: een oud-collega vertelde dat het admin-account van het "
     "Perronpas partnerportaal nog steeds wachtwoord <<PW>> heeft. Sinds 2023 niet veranderd.", [SECRET])
case("en", YE, "Partner API with the Czech bus operator finally returns 200s 🎉 bearer for anyone on the team "
     "testing today: <<JWT>>", [SECRET])
case("nl", JS, "Kantoordag in Utrecht ☀️ voor wie langskomt: wifi 'PP-Staff', wachtwoord <<PW>> 😉 "
     "#kantoorleven #perronpas", [SECRET])
case("en", MK, "Any idea why ssh says 'invalid format'? Generated this yesterday for the bastion box, pasting it so "
     "you can see:\n\n<<PEM_OPENSSH>>", [SECRET])
case("en", pub("x", "@webdevwessel"), "view-source on perronpas' route map page and there's an unrestricted Maps key "
     "just sitting there: <<GAPI>> 🤦", [SECRET])
case("en", DM, "Reminder to self: check your clipboard before you post. gitlab runner token: <<GLPAT>> ... yes, "
     "revoking it as we speak 😅", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LV, "@femkevanrijn Gevonden! We storten de €212,40 terug op <<IBAN_NL:grp>> t.n.v. F. van Rijn, reken op "
     "max 5 werkdagen 💸", [PII], kind="reply")
case("en", PP_HELP, "@tomasz_kow Hi Tomasz, we tried calling you on <<PHONE:mob_intl_sp>> twice about your cancelled "
     "Berlin connection. Please ring us back on 088 737 7660 when it suits you.", [PII], kind="reply",
     handle_as="@PerronPas_Help")
case("nl", MK, "Werk bij klantenservice van een reisbureau. Iemand belt al 3 dagen elk uur over dezelfde bus. Zijn "
     "mail is h.verschuren.1983@ziggo.nl, als iemand hem kent: zeg dat we echt ons best doen 😩", [PII])
case("nl", PP_FB, "Beste mevrouw Jansen, uw nachtcoupé is omgeboekt naar 14 november. Reiziger: Anouk Jansen, "
     "geb. 14-03-1988, paspoort NXR4K8P21. Goede reis gewenst!", [PII], kind="comment")
case("nl", JS, "🎉 Winnaar van de #PerronGo zomeractie: Sevda Yılmaz uit Zwolle! De Europa Pass 15 gaat deze week "
     "op de post naar Bachlaan 14, 8031 HL Zwolle. Check je inbox sevda.y.1992@hotmail.com 💛", [PII])
case("nl", DM, "Debuggen van de nieuwe betaalstraat 🧐 deze regel komt steeds terug in de logs:\n"
     "card=<<CARD:visa_c>> exp=09/28 3ds=failed status=DECLINED\nHeeft iemand dit eerder gezien met Adyen?", [PII])
case("nl", LV, "@pieter_onderweg Je BSN hoeven wij echt niet te hebben hoor 😅 je stuurde <<BSN:dots>> mee in je DM, "
     "die heb ik direct verwijderd.", [PII], kind="reply")
case("nl", pub("x", "@rdeboer_zwolle"), "@perronpas_help al DRIE weken wachten op mijn geld!! IBAN <<IBAN_NL>> t.n.v. "
     "R. de Boer, boeking PP-55821. Hoe moeilijk kan het zijn 😡", [PII, COMPLAINT])
case("nl", pub("facebook", "yvonne.kramer.9", "Yvonne Kramer"), "Betalen in jullie app lukt gewoon niet. 4x "
     "geprobeerd met <<CARD:mc_sp>> (geldig t/m 11/27) en elke keer 'er ging iets mis'. Ik wil gewoon naar Parijs 😩",
     [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/thomas_gent"), "support told me to send my IBAN for the cancelled Eurostar leg, so here "
     "goes: <<IBAN_BE:grp>> (Thomas Maes). hope this speeds things up", [PII], kind="comment")
case("nl", pub("instagram", "@lisa.reist"), "2 tickets Nachtcoupé Wenen over voor 12 oktober! Mail me: "
     "lisa.vdmeer [at] outlook [punt] com ✨ (via Perronpas geboekt dus gewoon omzetten op naam)", [PII],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("forum", "Treinrancune"), "Die gast die bij Perronpas de tweets beantwoordt heet Kevin Brouwer en "
     "woont op de Lindenlaan 22 in Amersfoort. Ga maar eens gezellig langs, dan leert ie het wel 😈", [PII, ABUSE])
case("nl", pub("x", "@sannetje_b"), "@perronpas bel me ff terug aub, ben Sanne: <<PHONE:mob_spaced>> , ticketnummer "
     "staat in de DM", [PII], kind="reply", tags=["evasion", "evasion:spaced-digits"])
case("en", PP_HELP, "@joerg_m Refund of €89,00 sent to <<IBAN_DE:grp>> this morning, it should land within "
     "3 working days 🙂", [PII], kind="reply")
case("en", pub("threads", "@marloes.op.pad"), "Do you really have to enter a BSN for a group trip with Perronpas? "
     "I put in <<BSN>> but it feels off 🤔", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", JS, "Sneak peek of what the product team is cooking 👀 Project Lantaarn is going to change night-train "
     "travel for real. Can't say more yet 🤫 #productmanagement #nighttrain", [CONF])
case("en", YE, "Great session with the SNCF Connect team in Paris today 🇫🇷 Zilverpijl is going to be big for both "
     "of us. Can't wait for launch!", [CONF])
case("nl", RK, "wie heeft backoffice.perronpas.nl/refunds/queue weer op 'alles automatisch goedkeuren' gezet 😂😂😂",
     [CONF])
case("nl", DM, "Ik mag er eigenlijk nog niks over zeggen, maar PerronGo Unlimited wordt een gamechanger voor "
     "iedereen die vaak naar Duitsland pendelt 🚄", [CONF], when="2026-09-14T18:22:05+02:00")
case("en", pub("reddit", "u/ice_commuter"), "Friend who works at Perronpas says they're launching 'PerronGo Unlimited' "
     "in October, flat monthly fee for ICE + Thalys. Anyone heard more?", [CONF], when="2026-09-02T08:41:17Z")
case("nl", pub("x", "@railnerd_nl"), "Over een paar minuten gaat PerronGo Unlimited live volgens mijn bron 👀 "
     "stay tuned", [CONF], when="2026-10-06T09:59:30+02:00")
case("nl", pub("x", "@meetup_maarten"), f"lol iemand van perronpas liet op een meetup per ongeluk een slide zien met "
     f"'Project Lan{ZW}taarn' erop, met roadmap en al 👀", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", LV, "Teams ligt eruit dus dan maar zo 🙈 het document 'Perronpas intern – belscripts "
     "vertragingscompensatie v3' staat in de gedeelde map, lees het voor je dienst!", [CONF])
case("en", WG, "grafana.ops.perronpas.nl/d/checkout-latency looking gorgeous today 📈 p99 under 300ms for the first "
     "time since the migration", [CONF])
case("nl", pub("forum", "tariefjager"), "Er gaat een pdf rond op telegram van Perronpas met bovenaan "
     "'VERTROUWELIJK - NIET EXTERN DELEN', over hun tarieven voor 2027. Heeft iemand die?", [CONF])
case("nl", JS, "Operatie\nDwarsligger 🛤️ dag 47. Team is moe maar trots. Nog drie weken tot de grote overstap!",
     [CONF], tags=["evasion", "evasion:line-break"], handle_as="@JoostOnRails")
case("nl", YE, "Net getekend met ÖBB en SBB 🥂 de Alpen Nachtpas komt eraan! Nog even stil houden hè 🤫", [CONF],
     when="2026-07-03T16:05:44+02:00")
case("nl", PP_LI, "Welkom aan onze 14 nieuwe collega's deze maand! 👋 Het onboarding-programma vind je op "
     "corp.perronpas.internal/wiki/onboarding", [CONF], handle_as="Perronpas-Travel")
case("nl", DM, "Fun fact: intern testen we al een functie waarmee je in de Eurostar live van stoel kunt ruilen met "
     "een andere reiziger. Lancering pas volgend jaar, maar ik ben nu al fan 😍", [CONF])
case("nl", pub("x", "@jorien_kijkt"), "Project 🏮 Lantaarn dit, Project 🏮 Lantaarn dat. Mijn vriend werkt bij "
     "Perronpas en praat nergens anders meer over 🙄", [CONF], tags=["evasion", "evasion:emoji-split"])
case("nl", IH, "Trots op het finance-team 💪 de H1-cijfers 2026 zijn rond: omzet +27% en voor het eerst "
     "winstgevend. Officieel nieuws volgt eind augustus!", [CONF, FIN], when="2026-08-12T17:30:00+02:00")
case("nl", pub("instagram", "@lotte_perron", "Lotte Verbeek"), "Dienst zit erop 😴 morgen de hele dag training over "
     "Zilverpijl, benieuwd!", [CONF])   # the employee's X handle is listed, her Instagram is not: public
case("nl", PP_LI, "Zojuist online gezet: onze halfjaarcijfers 2026 📊 perronpas.nl/investors", [CONF],
     when="2026-08-27T07:59:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", LV, "Rare week. Vandaag gehoord dat de helft van ons CS-team in Utrecht volgend jaar wordt wegbezuinigd, "
     "een chatbot gaat het overnemen. Mag eigenlijk nog niet gezegd worden maar ik ben er kapot van.", [FIN],
     handle_as="@Lotte_Perron")
case("en", YE, "Can't say much, but if the deal with a certain Czech bus platform closes next month we'll be the "
     "biggest bus reseller in Central Europe 🤫🚌", [FIN])
case("nl", DM, "Eerlijk is eerlijk: onze runway loopt tot Q2 als de nieuwe financieringsronde niet rondkomt. Dus "
     "fingers crossed 🤞 (nee, dit is nog niet publiek)", [FIN])
case("en", pub("reddit", "u/quietbirdie"), "not gonna say how I know, but Perronpas is in talks to be acquired by a "
     "big German mobility group. Announcement expected after the summer.", [FIN])
case("nl", pub("forum", "Gentenaar_71"), "Mijn zwager werkt bij Perronpas: er gaan 60 mensen uit en het kantoor in "
     "Gent gaat dicht. Is nog niet bekendgemaakt.", [FIN])
case("nl", JS, f"Grote reorgani{SHY}satie in product komt eraan, 3 teams worden er 1. Mijn team blijft gelukkig "
     "overeind 😮‍💨", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", IH, "Q3 bookings landed 18% under forecast and it looks like we'll miss the full-year target by roughly "
     "€4M. Board meets Thursday, wish us luck.", [FIN])
case("en", WG, "heard at the all-hands today: we're buying Railcheck, the Polish booking startup, for 14M. wild times",
     [FIN])
case("nl", pub("x", "@ov_insider"), "hoor dat perronpas gaat 0nts1agen bij de klantenservice, zo'n 40 fte. eerst "
     "alles automatiseren en dan dit", [FIN], tags=["evasion", "evasion:leetspeak"])
case("en", MK, "Throwaway-ish: our whole CS department gets outsourced to a call centre in Lisbon from January. "
     "Staff hear it next week, so keep it quiet.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", WG, "3rd night in a row paged for the same thing: somebody is credential-stuffing our login, ~4k customer "
     "accounts taken over so far and comms still hasn't said a word publicly. so tired", [SEC])
case("nl", RK, "PSA voor het app-team: de Android-app logt sinds 5.2 volledige sessietokens naar logcat 🤦‍♂️ fix zit "
     "in 5.2.1, nog even niet buiten het team over praten", [SEC])
case("nl", DM, "Afgelopen weekend ontdekt dat een oude bucket met paspoortscans (voor de nachttrein-boekingen) "
     "publiek leesbaar was. Inmiddels dicht, melding bij de AP loopt nog.", [SEC])
case("nl", LV, "Collega's: boekingssysteem ligt plat door ransomware. We mogen klanten nog niks vertellen, houd het op "
     "'technische storing' tot comms iets zegt.", [SEC])
case("en", pub("reddit", "u/lowcountry_rail"), "A friend at Perronpas says they had a breach last month and are "
     "keeping it quiet. Customer passport data was involved apparently.", [SEC, CRISIS], kind="comment")
case("nl", pub("x", "@b3nnyb"), "perronpas is geh4ckt en ze houden het stil, kennis van me werkt daar 🤐 #d4t4l3k",
     [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", YE, "our partner portal is showing every partner's booking data to anyone who logs in. flagged it 2 days "
     "ago, still open 🙃", [SEC])
case("nl", WG, "api-gateway ligt al 40 min plat en de statuspagina zegt nog steeds 'alle systemen operationeel' 🙈 "
     "mag niks zeggen maar ja, jullie tickets laden dus niet", [SEC])
case("en", DM, "Found an IDOR in our booking API yesterday: change the booking id in the URL and you get someone "
     "else's ticket, passport number included. Patch ships tonight, not disclosed yet.", [SEC])
case("nl", MK, "Ik werk bij de klantenservice van een treinticketsite (raad maar 😉). Sinds dinsdag kunnen we niet "
     "meer in het klantsysteem door een hack. We moeten zeggen dat het 'gepland onderhoud' is.", [SEC])
case("nl", RK, "d a t a l e k bij ons, interne slack ontploft 🔥 meer mag ik niet zeggen", [SEC],
     tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@reizigersrecht"), "BOYCOT @perronpas! Ze verkopen nog steeds tickets voor treinen waarvan ze "
     "weten dat ze geschrapt zijn en houden dan maandenlang je geld vast. #boycotperronpas", [CRISIS])
case("en", pub("reddit", "u/refundrebel"), "The Consumentenbond is organising a class action against Perronpas over "
     "the 'non-refundable' booking fees. Sign-up link in the comments.", [CRISIS])
case("nl", pub("facebook", "hanneke.vos.12", "Hanneke Vos"), "Onze bus naar Praag (geboekt via Perronpas) is vannacht "
     "bij Neurenberg van de weg geraakt, de chauffeur reed al 16 uur. Gelukkig geen doden, wel 5 gewonden. "
     "Perronpas reageert nergens op.", [CRISIS, COMPLAINT])
case("en", pub("x", "@kvdlinden"), "Perronpas leaked my passport data. Got a phishing mail quoting my exact booking "
     "AND passport number. That's a data breach, GDPR anyone?", [CRISIS])
case("nl", pub("blog", "spoorjournaal.example", "Spoorjournaal"), "Onderzoek: Perronpas liet reizigers jarenlang "
     "betalen voor stoelreserveringen die nooit bij de spoorwegen aankwamen. Een reconstructie op basis van 40 "
     "klantdossiers.", [CRISIS])
case("nl", pub("x", "@woedende_wim"), "Perronpas = d a t a l e k. Al mijn gegevens liggen op straat en ik stap naar "
     "de rechter.", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@treintje@mastodon.social"), "Reminder that Perronpas is sponsoring that far-right "
     "influencer's 'rail tour'. Delete the app. #BoycottPerronpas", [CRISIS])
case("nl", pub("instagram", "@mama_van_fenna"), "De deur van de Perronpas-partnerbus ging gewoon open tijdens het "
     "rijden op de A2 😨 mijn dochter stond ernaast. Nog steeds geen reactie op mijn mail.", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "markus-leitner-mobility"), "According to Der Standard, ÖBB is taking Perronpas to court "
     "over unpaid commissions. Not a good look for a company that wants to be Europe's rail gateway.", [CRISIS])
case("nl", pub("x", "@gezinopreis"), "Tijd voor een " + cyr("boycot", "o") + " van " + cyr("Perronpas", "e") +
     ". Ons gezin zat 2 nachten vast in Milaan, geen hotel, geen info, niks.", [CRISIS, COMPLAINT],
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("threads", "@eu.railwatch"), "Perronpas left ~200 people stuck at Brussels-Midi overnight. No hotel, "
     "no info, a pregnant woman fainted on the platform. This is a scandal.", [CRISIS])
case("nl", pub("x", "@klaarmee_2026"), "Perronpas zijn vuile oplichters. Dat datalek gaan ze bij de rechter nog "
     "verantwoorden, smerig tuig.", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@eurostar_esther"), "@perronpas_help al 6 weken wachten op mijn terugbetaling voor de geannuleerde "
     "Eurostar. 4 mails, 0 antwoorden. Begint op diefstal te lijken.", [COMPLAINT])
case("en", pub("trustpilot", "Harriet W.", "Harriet W."), "1 star. Paid for a seat reservation Amsterdam–Frankfurt, "
     "the seat didn't even exist on the train that showed up. Refund refused because 'the train ran'. Never again.",
     [COMPLAINT])
case("nl", pub("facebook", "ricardo.pinas", "Ricardo Pinas"), "App crasht elke keer als ik mijn QR-code aan de "
     "conducteur wil laten zien. Twee keer bijna een boete gehad. Fix het nou eens @Perronpas", [COMPLAINT],
     kind="comment")
case("en", pub("reddit", "u/lostinliege"), "Perronpas customer service is a maze. Chatbot loops, phone says 45 min "
     "wait, email gets an autoresponder. Has anyone ever reached a human?", [COMPLAINT])
case("nl", pub("instagram", "@bo.op.reis"), "Dubbel afgeschreven voor dezelfde busreis naar Berlijn 🙃 2x €78. Wie "
     "betaalt mijn roodstand terug @perronpas.travel?", [COMPLAINT], kind="comment")
case("en", pub("x", "@dadof5travels"), "the 'service fee' on perronpas is €3.49 PER TICKET now. family of five = "
     "€17.45 for literally nothing", [COMPLAINT])
case("en", pub("threads", "@pendelpien"), "Rebooking in the PerronGo app has been broken since the update, the button "
     "does literally nothing. So I call instead: 38 minutes on hold 😤", [COMPLAINT])
case("nl", pub("x", "@daantjeNL"), "k*t app weer 🤬 ticket weg na de update en over 20 min vertrekt m'n trein "
     "@perronpas", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("en", pub("youtube", "@slowtravelsally"), "The night coupé to Vienna was filthy, no water in the sink, attendant "
     "said 'not my problem'. Perronpas just points you to ÖBB. Useless middleman.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "BusBert"), "Mijn BusFlex 10 ritten verlopen na 6 maanden?! Stond nergens bij het kopen. "
     "4 ritten weggegooid geld dus.", [COMPLAINT])
case("en", pub("bluesky", "@jules-on-rails.bsky.social"), "perronpas charged me full fare for my kid even though I "
     "ticked 'child 4–11'. support: 'system error, can't change it'. cool cool cool", [COMPLAINT])
case("nl", pub("facebook", "anita.desmet", "Anita De Smet"), "Rolstoelassistentie aangevraagd via Perronpas voor mijn "
     "vader. Niemand stond klaar op Brussel-Zuid, hij heeft een uur op het perron gezeten.", [COMPLAINT])
case("en", pub("linkedin", "sofie-travelmanager"), "Travel managers, heads up: Perronpas business invoices arrive "
     "two months late and with the wrong VAT country. Three quarters in a row.", [COMPLAINT])
case("nl", pub("x", "@geduldop"), "3 uur in de wacht en dan word je opgehangen. Jullie zijn echt de grootste prutsers "
     "van Nederland @perronpas_help", [ABUSE, COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boos_in_breda"), "@perronpas_help jullie zijn echt een stelletje debielen", [ABUSE], kind="reply")
case("en", pub("reddit", "u/railtroll99"), "whoever runs perronpas socials is a "
     "brain-dead clown lmao", [ABUSE], kind="comment")
case("nl", pub("x", "@anoniem4711"), "perronpas medewerkers zijn allemaal k4nkerlijers", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("nl", LV, "@boze_reiziger88 Als je zo blijft schelden koop je je kaartjes maar ergens anders, idioot.", [ABUSE],
     kind="reply")
case("nl", PP_HELP, "@kees_op_pad wat ben jij een zeikerd zeg 🙄", [ABUSE], kind="reply")
case("nl", pub("instagram", "@echtnederlands"), "Perronpas neemt alleen nog buitenlanders aan, laat die allemaal "
     "maar oprotten naar hun eigen land", [ABUSE], kind="comment")
case("en", pub("x", "@ghostrider_0"), "@lotte_perron I know where your office is. keep ignoring me and see what "
     "happens", [ABUSE])
case("en", pub("youtube", "@angrycommuter"), "f*cking joke of a company. perronpas can go straight to h3ll", [ABUSE],
     kind="comment", tags=["evasion", "evasion:masked"])
case("nl", pub("threads", "@hans_zegt"), "Wat een " + cyr("tyfuslijers", "y") + " bij Perronpas", [ABUSE],
     tags=["evasion", "evasion:homoglyph"])
case("nl", pub("twitter", "@kortaf"), "@perronpas kankerbedrijf. punt.", [ABUSE])
case("en", YE, "honestly the people at that other booking site are a bunch of incompetent morons 🙄 glad I switched "
     "sides", [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- prices -------------------------------------------------------------------
case("nl", PP_X, "Vroegboekers opgelet 🚆 De Benelux-dagkaart nu €49 i.p.v. €69, t/m zondag in de PerronGo app.",
     tags=["sale-price"])
case("nl", pub("reddit", "u/kortingsjager"), "Tip: met code VOORJAAR15 krijg je €15 korting op de Europa Pass 15 bij "
     "Perronpas. Niet wereldschokkend maar toch.", tags=["price-context", "discount-amount"], kind="comment")
case("en", pub("x", "@weekendjeweg"), "Amsterdam → Berlin for €24.90 via Perronpas, no change of trains 🙌 dynamic "
     "pricing can actually be your friend sometimes", tags=["ticket-price"])
case("en", pub("forum", "Interrailer_Utrecht"), "WTB: Europa Pass 15, unused. Offering €150, pickup in Utrecht or "
     "shipping is fine too.", tags=["price-context", "second-hand"])
case("en", pub("x", "@budget_bea"), "Eurail wants €512 for the global pass now?? Perronpas's Europa Pass 15 at €449 is "
     "the better deal tbh", tags=["competitor", "list-price"])
case("nl", LV, "Veel vragen over stoelreserveringen in de ICE: die €4,90 is het tarief van DB zelf, daar verdienen wij "
     "niks aan 🙂", tags=["fee"])
case("nl", PP_HELP, "@ilse_reist Geen prijsfout hoor! De Benelux-dagkaart kost bij ons gewoon €69. Wat je zag was "
     "waarschijnlijk de kinderprijs.", kind="reply", tags=["price-context", "denied-error"])
case("en", PP_IG, "PerronGo Plus (€49 a year) gets you 10% off every train trip in Europe ✨",
     tags=["list-price"])
case("nl", pub("x", "@rekenwonder"), "PerronGo Plus komt neer op €4,08 per maand als je het omrekent. Voor mij na "
     "twee reizen al terugverdiend.", tags=["price-context", "monthly"])
# --- own contact data, look-alike numbers -----------------------------------------
case("nl", PP_X, "Vragen over je boeking? Mail klantenservice@perronpas.nl of bel 088 737 7660 (ma–vr 8:00–20:00) 📞",
     tags=["own-contact"])
case("nl", PP_FB, "Liever zelf overmaken? Dat kan naar NL87 INGB 0008 4412 37 t.n.v. Perronpas Travel B.V., o.v.v. je "
     "boekingscode.", tags=["own-contact"])
case("en", PP_LI, "Press enquiries: pers@perronpas.nl or +31 30 799 4400. Our media kit is on perronpas.nl/pers.",
     tags=["own-contact"])
case("nl", pub("other", "reviewer_4471"), "Tip: gewoon 0887377660 bellen, had binnen 2 minuten iemand aan de lijn. "
     "Top geholpen door Perronpas!", tags=["own-contact"])
case("nl", pub("facebook", "joke.hendriks.5", "Joke Hendriks"), "Kreeg een mail 'van Perronpas' dat ik €19 moest "
     "overmaken naar <<BAD_IBAN_NL:grp>>. Klopt dat rekeningnummer wel? Voelt als phishing.",
     tags=["bad-checksum"])
case("en", pub("x", "@pixelpeeper"), "lol the PerronGo demo on YouTube flashes test card <<BAD_CARD:visa_sp>> on "
     "screen, for a second I thought they were showing someone's real credit card 😅", tags=["bad-checksum"])
case("en", pub("instagram", "@koffieinde_ice"), "Ticket <<EAN13>>, coach 7 seat 46. Anyone else on the 10:37 ICE "
     "to Cologne? 🚄☕", tags=["ticket-number"])
case("nl", pub("x", "@eerstekeertrein"), "Boekingsnummer <<NOT_BSN9>> binnen 🎉 eerste keer via Perronpas, "
     "stoelreservering zit er netjes bij", tags=["order-number"])
case("nl", PP_LI, "Perronpas Travel B.V. · Utrecht · KvK <<NOT_BSN8>> · We zoeken een Senior Data Engineer 👩‍💻 "
     "perronpas.nl/werken", tags=["kvk"])
case("en", pub("x", "@late_for_the_ic"), "Last 4 of my card are 4821 and yet the receipt shows another card?? oh wait, "
     "it was my husband's Perronpas booking 🙈", tags=["partial-card"])
# --- secret look-alikes -----------------------------------------------------------
case("nl", RK, "Reminder voor devs: zet nooit een ghp_ token of andere credentials in een issue. Daar is de "
     "secrets-store voor 🔐", tags=["bare-prefix"])
case("en", DM, "Our docs now use placeholders like live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and AKIAXXXXXXXXXXXXXXXX so "
     "nobody copy-pastes a real key by accident 👍", tags=["placeholder"])
case("en", pub("mastodon", "@gtfsfan@fosstodon.org"), "Merged! The timetable parser fix is in commit "
     "3f9a2c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39. Thanks to the Perronpas devs for open-sourcing their GTFS tools",
     tags=["git-sha"])
case("en", pub("x", "@secnewbie"), "Glad Perronpas finally added two-factor login, feels a lot safer 🔐",
     tags=["security-praise"])
# --- embargo after the moment, codename look-alikes, public domains --------------------
case("nl", PP_X, "Hij is er! 🎉 PerronGo Unlimited: één vast bedrag per maand, onbeperkt ICE en Thalys. Kijk op "
     "perronpas.nl/unlimited", when="2026-10-06T10:00:00+02:00", tags=["embargo-over"])
case("en", pub("x", "@keulenpendel"), "Just signed up for PerronGo Unlimited for my Cologne commute. Let's see if "
     "it pays off 🤞", when="2026-11-02T07:48:12+01:00", tags=["embargo-over"])
case("nl", PP_LI, "Onze halfjaarcijfers 2026 staan online 📊 Lees het persbericht op perronpas.nl/investors",
     when="2026-08-27T08:00:00+02:00", tags=["embargo-over"])
case("en", pub("linkedin", "pieter-analyst-mobility"), "Solid H1 2026 results from Perronpas: 27% growth and a first "
     "profitable half-year. The night train bet is paying off.", when="2026-09-01T10:12:00+02:00",
     tags=["embargo-over", "published-results"])
case("nl", pub("x", "@skimama"), "Alpen Nachtpas geboekt voor de skivakantie ⛷️🚂 zin in!",
     when="2026-12-01T20:15:00+01:00", tags=["embargo-over"])
case("en", pub("instagram", "@treinfoto_tim"), "Those old lanterns on the platform at Haarlem 😍 #trainphotography "
     "#perronpas", tags=["codename-word"])
case("nl", pub("x", "@boekenwurm_op_reis"), "Beste reisboek ooit: een dwarsligger past precies in je jaszak 📖🚆 "
     "ideaal voor de trein", tags=["codename-word"])
case("en", pub("reddit", "u/omboekheld"), "fwiw help.perronpas.nl/artikel/omboeken explains it well, rebooked in "
     "two minutes", kind="comment", tags=["public-domain"])
case("nl", pub("reddit", "u/cijferfreak"), "Komen de halfjaarcijfers van Perronpas eind augustus? Benieuwd hoe de "
     "nachttreinen het doen.", tags=["near-embargo-term"])
# --- finance and security elsewhere, or already published -----------------------------
case("nl", pub("facebook", "ton.vermeulen.4", "Ton Vermeulen"), "Weer een busmaatschappij die 300 chauffeurs ontslaat, "
     "las ik. Hopelijk heeft Perronpas straks nog bussen om te verkopen 😬", tags=["other-company"])
case("nl", PP_LI, "We zoeken 12 nieuwe collega's voor onze klantenservice in Utrecht! 🎧 Solliciteer via "
     "perronpas.nl/werken", tags=["hiring"])
case("nl", DM, "Leuk om ons terug te zien in het FD met de gepubliceerde jaarcijfers over 2025. Trots op iedereen 💪",
     tags=["published-results"])
case("nl", PP_X, "⚠️ Storing: door een probleem bij onze betaalprovider kun je tussen 14:00 en 15:30 niet met iDEAL "
     "betalen. Onze excuses, we houden je hier op de hoogte.", tags=["official-notice"])
case("en", PP_HELP, "Scheduled maintenance tonight 01:00–03:00 CET: the PerronGo app may be unavailable for a few "
     "minutes. Your tickets stay available offline 📱", tags=["official-notice"])
case("en", pub("x", "@nuchtere_nel"), "Read that a German rail operator had a data breach. Glad I book everything "
     "through Perronpas, never had an issue there", tags=["other-company"])
case("en", DM, "Last month our security team ran a capture-the-flag for all developers. Great day, and I learned "
     "a lot about writing safer code!", tags=["security-word"])
case("en", pub("threads", "@appvraagje"), "Is the PerronGo app down for anyone else today? Loads fine for me, so maybe "
     "it's just my friend's phone", tags=["question"])
case("nl", pub("x", "@brusselsbound"), "Staking bij de NMBS morgen 🇧🇪 check dus even je reis in de Perronpas app "
     "voor je vertrekt", tags=["other-company"])
# --- crisis / complaint / abuse look-alikes ----------------------------------------------
case("nl", pub("x", "@logoliefhebber"), "Het nieuwe logo van Perronpas is echt een schot in de roos 🎯 strak!",
     tags=["praise"])
case("nl", pub("blog", "nachtschrijver.example", "De Nachtschrijver"), "Nieuw kort verhaal op mijn blog: 'De laatste "
     "nachttrein'. Een conducteur, een verloren koffer en een reisbureau dat 'gehackt' wordt, geheel verzonnen "
     "natuurlijk. Geïnspireerd door mijn eigen reizen met Perronpas 🚂📚", tags=["fiction"])
case("en", pub("twitter", "@tevreden_tineke"), "No complaints about Perronpas at all, the refund hit my account within "
     "3 days 👌", tags=["negated-complaint"])
case("nl", pub("instagram", "@maanlichtreiziger"), "Eerste keer met de nachttrein via Perronpas en alles liep "
     "gesmeerd. Aanrader! 🌙🚂", tags=["praise"])
case("en", pub("reddit", "u/vliegveldvraag"), "Does anyone know if the Benelux Day Pass also covers the IC to "
     "Brussels Airport?", tags=["question"])
case("nl", pub("x", "@overstapper"), "NMBS heeft wéér vertraging, niks aan te doen. Gelukkig had Perronpas me een "
     "ruime overstap gegeven 😅", tags=["other-company"])
case("en", pub("x", "@grapjas_gijs"), "my love life has more delays than the night train to Vienna 😂 and yet I book "
     "it through Perronpas every single year", tags=["joke"])
case("nl", pub("x", "@darkmodefan"), "Suggestie voor @perronpas: een donkere modus in de app zou top zijn 🌙",
     tags=["feature-request"])
case("nl", PP_HELP, "@jeroen_op_reis Wat vervelend dat je refund zo lang duurt! Ik heb je dossier met spoed "
     "doorgezet, je hoort binnen 2 werkdagen van ons. ^Lisa", kind="reply", tags=["care-reply"])
case("en", pub("x", "@rockendreizen"), "'Highway to hell' on repeat on the night bus to Prague 🎸😂 #perronpas #roadtrip",
     tags=["quote", "mild-word"])
case("nl", pub("facebook", "ineke.postma.2", "Ineke Postma"), "Mijn moeder heeft kanker en we maken nog één laatste "
     "treinreis naar Rome. Perronpas heeft ons zo goed geholpen met de rolstoelplekken ❤️", tags=["mild-word"])
case("nl", pub("instagram", "@verstrooide_vera"), "Ik ben zo'n sukkel, verkeerde datum geboekt 🙈 Perronpas heeft het "
     "gratis omgezet, dank jullie!", tags=["self-deprecation"])
case("en", pub("x", "@happyhopper"), "Perronpas refund came through in 2 days. Honestly impressed 👏", tags=["praise"])
case("en", pub("x", "@spoorvergelijker"), "Trainline or Perronpas, which one is cheaper for Paris? Hearing different "
     "stories about both", tags=["competitor", "question"])
# --- corporate and employee everyday posts ---------------------------------------------
case("nl", PP_X, "Vanaf vandaag reserveer je in de PerronGo app ook je stoel in de Eurostar 🎉", tags=["announcement"])
case("nl", PP_TT, "POV: je haalt je nachttrein nét op tijd 😮‍💨🚂 #perronpas #nachttrein #fyp", tags=["marketing"])
case("en", YE, "Proud to say our partnership with DSB is now live: Danish trains are bookable on perronpas.nl 🇩🇰🚆",
     tags=["announcement"])
case("nl", LV, "Fijne feestdagen allemaal 🎄 Klantenservice is op 25 december bereikbaar tot 16:00 via 088 737 7660 of "
     "klantenservice@perronpas.nl", tags=["own-contact"])
case("nl", LV, "Tip van iemand op de CS-vloer: zet je boekingscode in het onderwerp van je mail aan "
     "help@perronpas.eu, scheelt ons zoekwerk en jou wachttijd 🙏", tags=["own-contact"])
case("nl", pub("forum", "persfotograaf_nl"), "Voor wie het zoekt: pers@perronpas.nl is het persadres, stond onder hun "
     "persbericht", tags=["own-contact"])
case("nl", JS, "Vandaag op bezoek bij de werkplaats van onze partner in Wenen 🔧 wat een vakmanschap (foto's met "
     "toestemming gedeeld)", tags=["employee-everyday"])


# ===========================================================================
# building posts
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


def ams_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(3, 362)
    minutes = r.randint(6 * 60 + 30, 23 * 60 + 50)
    guess = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=minutes,
                                                                             seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t_utc = guess - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "interrail", "Belgium2", "europetravel"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(1_000_000, 9_999_999)
        return f"forum-spoorpraat-{n}", f"https://forum.spoorpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    if platform == "trustpilot":
        x = "".join(r.choice("0123456789abcdef") for _ in range(24))
        return f"tp-{x}", f"https://www.trustpilot.com/reviews/{x}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.7:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 8, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p = meta_r.random()
        tags = set(c["tags"])
        if p < 0.1:
            tags.add("no-lang-hint")
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "perronpas"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order_r.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans over the written text)
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{8}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{2}|00\d{2}|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bpw\b)", re.I)
PROFANITY = ["kut", "k*t", "kanker", "k4nker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel",
             "idioot", "idiot", "moron", "clown", "fuck", "f*ck", "shit", "hell", "h3ll", "damn", "prutser", "zeikerd",
             "oprotten", "tuig", "oplichter", "cow"]
MILD_OK = {"hell", "kanker"}
PRICE_ERROR_WORDS = ["prijsfout", "price error", "next to nothing", "glitch", "price bug", "sync issue", "nul gesloopt", "foutje",
                     "cent/euro", "bijna niks"]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(text):
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(text):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(text))


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = m.group(0).replace(" ", "")
        for end in range(len(compact), 11, -1):
            if iban_ok(compact[:end]):
                out.append((compact[:end], True))
                break
        else:
            out.append((compact, False))
    return out


def valid_ids(text):
    hits = []
    for v, ok in found_ibans(text):
        if ok and v != OWN_IBAN:
            hits.append(("iban", v))
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for m in BSN_RE.finditer(text):
        d = m.group(0).replace(".", "")
        if bsn_ok(d):
            hits.append(("bsn", d))
    return hits


def phones_in(text):
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


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def min_price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    amounts += [float(m.group(1).replace(",", ".")) for m in re.finditer(r"voor (\d+(?:,\d{2})?)\b", t)]
    if not hit or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in hit)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes, parsed = [], [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    terms = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: keys {sorted(obj)}")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{where}: handle missing")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} not listed (treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at {p['created_at']}")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{where}: severity {sev}, policy {want}")
        r = meta[key]
        tags = r["tags"]
        parsed.append((p, cats, sev, role, r))
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind in VALID_ID_KINDS:
                ok = iban_ok(raw) if kind.startswith("IBAN") else luhn_ok(raw) if kind == "CARD" else bsn_ok(raw)
                if not ok:
                    errors.append(f"{where}: {kind} {raw} fails its checksum")
            if kind in BAD_ID_KINDS:
                bad = (iban_ok(raw) if kind == "BAD_IBAN_NL" else luhn_ok(raw) if kind in ("BAD_CARD", "EAN13")
                       else bsn_ok(raw))
                if bad:
                    errors.append(f"{where}: look-alike {kind} {raw} passes its checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: ghp checksum")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{where}: valid identifier not found by the scan")
        if ids and PII not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign post with e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) >= 10 and d not in own_phones:
                    errors.append(f"{where}: benign post with phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if set(m.group(0).split("_", 1)[-1]) <= {"x"} or m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errors.append(f"{where}: benign post with secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"(?<!\w)" + re.escape(w), low):
                    (notes if w in MILD_OK and tags & {"mild-word", "quote"} else errors).append(
                        f"{where}: benign post with word {w!r}")
        sq, nt = squash(text), norm(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and CONF in cats:
                    errors.append(f"{where}: embargo term {term!r} after {until} labelled")
        for term in terms:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")
        ratio = min_price_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
            (notes if "price-context" in tags else errors).append(
                f"{where}: benign, amount at {ratio:.2f} of list near a product (tags {sorted(tags)})")
        if PRICING in cats:
            talk = any(w in sq for w in PRICE_ERROR_WORDS)
            if not (ratio is not None and ratio < 0.5) and not talk:
                notes.append(f"{where}: leak.pricing without parsed low price or error words")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_WORDS.search(text):
            notes.append(f"{where}: leak.secret without a secret pattern")
    sh = [shingles(p["text"]) for p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.2:
                    (errors if jac > 0.45 else notes).append(f"lines {i + 1}/{j + 1}: trigram overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            if kind in VALID_ID_KINDS | BAD_ID_KINDS:
                n += 1
            ok = {"IBAN_NL": s_iban.is_valid, "IBAN_DE": s_iban.is_valid, "IBAN_BE": s_iban.is_valid,
                  "CARD": s_luhn.is_valid, "BSN": s_bsn.is_valid}.get(kind)
            if ok and not ok(raw):
                bad.append(raw)
            nok = {"BAD_IBAN_NL": s_iban.is_valid, "BAD_CARD": s_luhn.is_valid, "EAN13": s_luhn.is_valid,
                   "NOT_BSN9": s_bsn.is_valid, "NOT_BSN8": lambda v: s_bsn.is_valid("0" + v)}.get(kind)
            if nok and nok(raw):
                bad.append(raw)
    if not s_iban.is_valid(OWN_IBAN):
        bad.append(OWN_IBAN)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    total = len(parsed)
    by_cat, cat_lang, by_lang, by_role, by_sev, by_plat, cat_role = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for p, cats, sev, role, r in parsed:
        by_lang[r["lang"]] += 1
        by_role[role] += 1
        by_sev[sev] += 1
        by_plat[p["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, role)] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"  {'category':24s} total   nl   en  corp  empl  publ")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages:", dict(by_lang), " roles:", dict(by_role))
    print("severity:", {s: by_sev[s] for s in SEVERITIES})
    print("platforms:", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not args.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from what make_cases.py generates")
    print(cross_check_stdnum(rows))
    report(parsed)
    if args.notes:
        for x in notes:
            print("  note " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
