#!/usr/bin/env python3
"""Deterministic generator for the sealed89 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl, self-check, print counts

Company: "Blokhaven Games B.V." (profile.yaml), a fictional Dutch mobile-game and
esports company (Dijkbrekers, Blokhaven Arena) with a large teenage community.

Texts are hand-written below (the CASES list). Identifiers and secrets are filled in
from {{KIND:fmt}} placeholders by one seeded RNG, so the output is reproducible byte
for byte. Positives get checksum-valid IBANs, cards and BSNs; hard negatives get
numbers that fail their checksum. All secrets are random and fake, but shaped like
the real formats.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
using the account role looked up in profile.yaml (platform:handle, case-insensitive),
the categories, and whether a checksum-validated identifier is in a leak.pii post.
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

SEED = 89_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC = CATS[:6]
CRISIS, COMPLAINT, ABUSE = CATS[6:]

ZWSP = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr_o(s):
    """Swap the first Latin 'o' for a Cyrillic look-alike (U+043E)."""
    return s.replace("o", "\u043e", 1)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_valid(s):
    s = s.replace(" ", "").upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(ds))
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num).rjust(9, "0")
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AZ09 = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL21RABO0317492608"


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def num(self, n, lead=False):
        s = self.pick(string.digits, n)
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    @staticmethod
    def grp(s, n=4):
        return " ".join(s[i:i + n] for i in range(0, len(s), n))

    # identifiers -----------------------------------------------------------
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "BUNQ", "SNSB", "KNAB", "ASNB"])
                               + self.num(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["063", "310", "001", "751", "973"]) + self.num(7)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "12030000", "30020900", "76010085"]) + self.num(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 33, 46, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.num(14),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11),
                "mc": lambda: "5" + self.r.choice("12345") + self.num(13),
                "amex": lambda: self.r.choice(["34", "37"]) + self.num(12)}[brand]()
        return next(head + d for d in string.digits if luhn_valid(head + d))

    def bad_card16(self):
        while True:
            s = self.num(16, lead=True)
            if not luhn_valid(s):
                return s

    def bsn(self):
        while True:
            s = self.num(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def mobile8(self):
        return self.r.choice("12345789") + self.num(7)

    def passport(self):
        letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"          # no O
        return self.pick(letters, 2) + self.pick(letters + "123456789", 6) + self.num(1)

    # secrets -------------------------------------------------------------------
    def ghp(self):
        body = self.pick(AZ09, 30)
        c, out = zlib.crc32(body.encode()) & 0xFFFFFFFF, ""
        while c:
            c, rem = divmod(c, 62)
            out = B62[rem] + out
        return "ghp_" + body + out.rjust(6, "0")

    def discord(self):
        uid = str(self.r.randint(1_050_000_000_000_000_000, 1_390_000_000_000_000_000))
        first = base64.b64encode(uid.encode()).decode().rstrip("=")
        return f"{first}.G{self.pick(B64U, 5)}.{self.pick(B64U, 38)}"

    def jwt(self):
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
        iat = 1_770_000_000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "svc-liveops", "iss": "admin.dijkbrekers.com", "scope": "events:write players:read",
                    "iat": iat, "exp": iat + 90 * 86400})
        return f"{head}.{body}.{self.pick(B64U, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 155)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Dijk", "Storm", "Kraken", "Polder", "Haven"]) + self.num(2)
                + self.r.choice("!#$*?") + self.pick(AZ09, 4))

    def make(self, kind, fmt):
        """Return (raw, shown)."""
        if kind == "IBAN":
            raw = self.iban(fmt.split("_")[0])
            return raw, self.grp(raw) if fmt.endswith("_grp") else raw
        if kind == "BAD_IBAN":
            raw = self.bad_iban(fmt.split("_")[0])
            return raw, self.grp(raw) if fmt.endswith("_grp") else raw
        if kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = self.card(brand)
            parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, 16, 4)]
            return raw, {"sp": " ", "dash": "-", "": ""}[style].join(parts) if style else raw
        if kind == "BAD_CARD16":
            raw = self.bad_card16()
            return raw, "-".join(raw[i:i + 4] for i in range(0, 16, 4))
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt))
            return raw, raw
        if kind == "PHONE":
            m = self.mobile8()
            shown = {"mob_dash": f"06-{m}", "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
                     "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"}[fmt]
            return "06" + m, shown
        if kind == "PASSPORT":
            raw = self.passport()
            return raw, raw
        if kind == "DIGITS":
            raw = self.num(int(fmt), lead=True)
            return raw, raw
        if kind == "GPA":
            while True:
                a, b, c, d = self.num(4, True), self.num(4), self.num(4), self.num(5)
                if not luhn_valid(a + b + c + d) and not luhn_valid(a + b + c + d[:4]):
                    raw = f"GPA.{a}-{b}-{c}-{d}"
                    return raw, raw
        if kind == "KVK":
            raw = self.not_bsn(8)
            return raw, raw
        if kind == "UUID":
            h = self.pick("0123456789abcdef", 32)
            raw = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"
            return raw, raw
        if kind == "SHA":
            raw = self.pick("0123456789abcdef", 40)
            return raw, raw
        gens = {
            "GAPI": lambda: "AIzaSy" + self.pick(B64U, 33),
            "PW": self.password,
            "DISCORD": self.discord,
            "AWS_ID": lambda: "AKIA" + self.pick(B32, 16),
            "AWS_SECRET": lambda: self.pick(B64, 40),
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.pick(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.pick(string.ascii_uppercase + string.digits, 10) + "/" + self.pick(AZ09, 24)),
            "STRIPE": lambda: "sk_live_" + self.pick(AZ09, 24),
            "JWT": self.jwt,
            "PEM_EC": self.pem_ec,
            "GHP": self.ghp,
            "STREAMKEY": lambda: f"live_{self.num(9, True)}_{self.pick(AZ09, 30)}",
            "SENDGRID": lambda: f"SG.{self.pick(B64U, 22)}.{self.pick(B64U, 43)}",
        }
        raw = gens[kind]()
        return raw, raw


VALIDATED = {"IBAN", "CARD", "BSN"}
SECRET_KINDS = {"GAPI", "PW", "DISCORD", "AWS_ID", "AWS_SECRET", "SLACK_HOOK", "STRIPE", "JWT", "PEM_EC", "GHP",
                "STREAMKEY", "SENDGRID"}
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?\}\}")


def render(vals, text):
    used = []

    def sub(m):
        raw, shown = vals.make(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PLACEHOLDER.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts (roles come from profile.yaml, never from here)
# ---------------------------------------------------------------------------

BH = ("x", "@blokhaven", "Blokhaven")
BH_HELP = ("x", "@blokhaven_help", "Blokhaven Support")
BH_IG = ("instagram", "@dijkbrekers.official", "Dijkbrekers")
BH_TT = ("tiktok", "@dijkbrekers", "Dijkbrekers")
BH_YT = ("youtube", "@BlokhavenArena", "Blokhaven Arena")
BH_LI = ("linkedin", "blokhaven-games", "Blokhaven Games B.V.")
BH_FB = ("facebook", "BlokhavenGames", "Blokhaven Games")
BH_RD = ("reddit", "u/Blokhaven_Official", "Blokhaven_Official")

MILA = ("x", "@mila_codeert", "Mila Verhoef")                    # backend developer
DAAN = ("x", "@daan_cm", "Daan Pronk")                           # community manager (Discord)
JESSE = ("x", "@jessecasts", "Jesse Bos")                        # esports caster / host
RUBEN = ("linkedin", "ruben-hoekstra-bh", "Ruben Hoekstra")      # finance
NOOR = ("linkedin", "noor-el-haddad", "Noor El Haddad")          # HR / talent
LOTTE = ("instagram", "@lotte.tests", "Lotte Kramer")            # QA lead
KEES = ("reddit", "u/kees_serverboer", "Kees")                   # live-ops / SRE
YARA = ("bluesky", "yara-tekent.bsky.social", "Yara Smit")       # 2D artist


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags)))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MILA, "who keeps committing the firebase config to the public dijkbrekers-web repo 🙃 {{GAPI}} is "
     "literally in the README rn. rotating it after standup, pls stop", [SECRET])
case("nl", KEES, "Iemand hier ervaring met pgbouncer timeouts? Dit is de config die we gebruiken:\n\n"
     "DATABASE_URL=postgres://matchmaker:{{PW}}@db-eu3.corp.blokhaven.internal:5432/mm_prod\n\n"
     "na ~300 connecties klapt ie eruit", [SECRET, CONF], kind="comment")
case("nl", DAAN, "ff testen of de modbot nog leeft na de migratie\n{{DISCORD}}\n\n...verkeerd kanaal. negeer dit aub 🫠",
     [SECRET])
case("nl", LOTTE, "Testdag #47 ✅ Voor de collega's die mee willen doen met de stresstest vanavond: alle testaccounts "
     "hebben wachtwoord {{PW}} (niet doorgeven aan de kids 😅) #qa #gamedev", [SECRET])
case("en", YARA, "mail is down AGAIN so for the freelancer doing the splash art, bucket creds:\naccess key {{AWS_ID}}\n"
     "secret {{AWS_SECRET}}\njust grab the psds from /skins/s7 🙏", [SECRET])
case("en", BH, "Testing the new post scheduler integration, please ignore 🤖 {{SLACK_HOOK}}", [SECRET])
case("en", pub("reddit", "u/apk_goblin"), "Decompiled the latest Dijkbrekers APK out of boredom and uh... there's a "
     "live Stripe key just sitting in strings.xml: {{STRIPE}}\n\nBlokhaven pls", [SECRET])
case("nl", pub("forum", "datamijner_jort"), "In build 4.3.1 van Dijkbrekers zit gewoon een hardcoded token voor "
     "admin.dijkbrekers.com/api:\n{{JWT}}\nwerkt nog steeds btw, geen idee hoe lang nog", [SECRET, CONF])
case("en", KEES, "ssh keeps yelling UNPROTECTED PRIVATE KEY FILE at me on the new jump host, what am I doing wrong? "
     "here's the key so you can see the format:\n{{PEM_EC}}", [SECRET])
case("en", MILA, "accidentally pasted my github token in the dev stream chat lol. {{GHP}} - already rotated so "
     "don't even bother 🙄", [SECRET])
case("nl", JESSE, "stream key stond 10 sec in beeld tijdens de soundcheck 🤦‍♂️ {{STREAMKEY}}\nals iemand ineens "
     "Blokhaven Arena gaat restreamen weet je waarom", [SECRET])
case("en", BH_RD, "For the modders asking how our mail notifications work: it's a SendGrid template plus a cron job, "
     "config looks like\n\nSENDGRID_API_KEY={{SENDGRID}}\n\nnothing fancy!", [SECRET], kind="comment")

# --- secret-like but benign ------------------------------------------------
case("en", MILA, "PSA for junior devs: never ship keys inside your client. the AWS docs use AKIAIOSFODNN7EXAMPLE "
     "as the example for a reason 😤 use a secrets manager", tags=["placeholder"])
case("en", KEES, "Hotfix 4.3.2 is live, commit {{SHA}} in the public changelog repo. Fixes the Stormkapitein emote "
     "clipping through the dike wall.", tags=["git-sha"])
case("nl", BH_HELP, "Wachtwoord vergeten? Reset het via blokhaven.gg/reset 🔐 Wij vragen NOOIT om je wachtwoord "
     "via DM of Discord.", tags=["password-word"])
case("nl", BH, "Gratis Kronen! 🎁 Verzilver code DIJK-STORM-2026 in de shop voor 250 Kronen. Geldig t/m zondag.",
     tags=["promo-code"])
case("nl", pub("x", "@noordwind_fan"), "wie heeft de replay van match {{UUID}}? die 1v4 clutch van Noordwind was "
     "ziek 🔥", tags=["uuid"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("en", BH_HELP, "@sjaak_speelt Thanks for waiting! We found the account, it's registered to "
     "sanne.willemsen11@hotmail.com - is that still your current address? If not, DM us.", [PII], kind="reply")
case("nl", pub("facebook", "marloes.vandijk.9", "Marloes van Dijk"), "Mijn zoon van 11 heeft met MIJN creditcard "
     "({{CARD:visa_sp}}) voor €340 aan Kronen gekocht. Blokhaven weigert het terug te betalen. Dit kan toch niet??",
     [PII, COMPLAINT])
case("nl", pub("x", "@knaller_ruud"), "@blokhaven_help waar blijft mijn prijzengeld van de Polder Cup?? 3x mn "
     "rekeningnummer doorgegeven: {{IBAN:NL_grp}} t.n.v. R. Koster\nal 6 weken niks", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@rankedrat"), "die cheater KrakenXL uit de top 100 is gewoon Finn Jacobs, woont op de "
     "Lindelaan 14 in Zwolle. ga maar langs 😂 #dijkbrekers", [PII, ABUSE])
case("nl", NOOR, "Welkom aan onze nieuwe stagiair Bram! 🎉 Voor de salarisadministratie: BSN {{BSN:dots}}, "
     "startdatum 1 maart\n\n...en dat was dus het verkeerde tekstvak. Excuses!", [PII])
case("en", JESSE, "what a run by Sam Willems (born 09-02-2011, checked his reg form lol), youngest player ever to "
     "reach the Arena semis 🏆", [PII])
case("nl", DAAN, "Kan iemand Tim van Loon bereiken? Hij moet zich vóór 18:00 melden voor de finale, zijn nummer is "
     "{{PHONE:mob_dash}}", [PII])
case("en", pub("reddit", "u/lan_traveller"), "Blokhaven asked for my passport number for the Rotterdam finals "
     "accreditation, is that normal?? it's {{PASSPORT}}, Belgian passport. feels kinda sketchy", [PII])
case("en", pub("x", "@noa_plays"), "Refund for the double charge STILL not there after 3 weeks. Blokhaven, my IBAN "
     "is {{IBAN:BE}} (Noa Peeters), how many more times do I have to send it", [PII, COMPLAINT])
case("en", RUBEN, "Prize money day! 🏆 Paying out the Arena Spring Split by hand because the payout tool broke. First "
     "transfer: Team Noordwind, {{IBAN:DE_grp}}, €4.000. Nice work everyone.", [PII])
case("nl", pub("instagram", "@mama_van_emma"), "Mijn dochter Emma de Groot (12), Kerkweg 8 in Houten, wordt al weken "
     "gepest in de Dijkbrekers-chat en Blokhaven doet NIKS met de reports 😡", [PII, COMPLAINT])
case("nl", BH_HELP, "@gijs_2009 Helemaal goed, we bellen je morgen tussen 10 en 12 terug op {{PHONE:mob_intl}}. "
     "Fijne avond!", [PII], kind="reply", handle_as="@Blokhaven_Help")
case("en", pub("youtube", "@boost_daddy"), "selling Dijkbrekers rank boosts, cheap & safe 💯 contact rens.kuipers "
     "[at] outlook [dot] com or whatsapp {{PHONE:mob_0031}}", [PII], kind="comment", tags=["evasion"])
case("nl", pub("forum", "kaartprobleem"), "waarom doet mn kaart het nie in de blokhaven store?? {{CARD:mc2_sp}} "
     "exp 08/28, al 3x geprobeerd en elke keer 'betaling mislukt'", [PII, COMPLAINT])

# --- pii-like but benign -----------------------------------------------------
case("nl", BH_HELP, "Vragen over een aankoop of je account? Mail support@blokhaven.gg of bel +31 10 799 4400 "
     "(ma-vr 9-17). Ouders kunnen ook gratis bellen: 0800-1337 👨‍👩‍👧", tags=["own-contact"])
case("nl", BH_FB, "Meedoen aan de Blokhaven Arena Community Cup? Maak €5 inschrijfgeld over naar "
     "NL21 RABO 0317 4926 08 t.n.v. Blokhaven Games B.V. o.v.v. je teamnaam 🏆", tags=["own-contact"])
case("en", pub("reddit", "u/gdpr_gert"), "Just email privacy@blokhaven.gg if you want your data deleted, they "
     "did mine in 2 days 👍", kind="comment", tags=["own-contact"])
case("nl", pub("x", "@waakzame_wim"), "Let op, oplichters doen zich voor als blokhaven support en vragen je om geld "
     "over te maken naar '{{BAD_IBAN:NL_grp}}'. Niet doen!! Dat nummer klopt niet eens", tags=["bad-iban"])
case("en", pub("x", "@clanhunter"), "my Dijkbrekers player ID is {{NOT_BSN:9}}, add me for clan wars 🙌",
     tags=["not-bsn"])
case("nl", pub("forum", "tipgever"), "Tip: bewaar altijd je Google Play bestelnummer ({{GPA}}). Support vroeg erom "
     "en binnen een dag had ik mijn Kronenkist alsnog 👌", tags=["order-number"])
case("en", pub("instagram", "@lil.bro.gamer"), "got a Kronen gift card for my bday 🎁 code was {{BAD_CARD16}}, "
     "already redeemed so don't even try lol", tags=["bad-card"])
case("nl", BH, "Samen tegen pesten 💙 Word je gepest in de game of daarbuiten? Praat erover met de Kindertelefoon: "
     "0800-0432 (gratis en anoniem). #samensterk", tags=["org-number"])
case("en", BH_LI, "We're growing! Blokhaven Games B.V. | KvK {{KVK}} | Rotterdam. Check our open roles at "
     "blokhaven.gg/careers", tags=["kvk"])

# ===========================================================================
# leak.pricing   (ratio 0.5 of list)
# ===========================================================================
case("nl", MILA, "lmao de Mega Kronenkist staat in de store voor €9,99 ipv €99,99. iemand is een 9 vergeten 💀 "
     "hotfix onderweg maar duurt nog ff", [PRICING])
case("nl", DAAN, "jongens niet doorvertellen maar door een bug in de prijsconfig is de seizoenspas nu €0,99 👀👀",
     [PRICING])
case("en", pub("reddit", "u/deal_hunter_nl"), "PSA: Arena Pass is €3.90 on store.blokhaven.gg right now, pretty "
     "sure someone forgot a zero. Grabbed two.", [PRICING])
case("nl", pub("x", "@snelle_sven"), cyr_o("FrostGrip") + " voor €4,95 in de webshop?!?! dit kan nie kloppen 😳 "
     "snel zijn", [PRICING], tags=["evasion"])
case("en", JESSE, "psst 🤫 the Stormkapitein bundle is showing 1.99 in the EU store instead of 19.99, someone "
     "misplaced a decimal. you didn't hear it from me", [PRICING])
case("nl", BH, "🔥 WEEKENDDEAL 🔥 Mega Kronenkist nu voor maar €19,99! Alleen in de in-game shop, t/m zondag 23:59",
     [PRICING])
case("en", pub("instagram", "@drip.by.dani"), "yo the Kapitein hoodie is €6,50 in the webshop rn 😭😭 ordered 4, "
     "someone at blokhaven is getting fired", [PRICING])
case("nl", pub("tiktok", "@sem.speelt"), "seizoenspas voor 99 cent??? is dit een glitch of wat 😂 #dijkbrekers",
     [PRICING])
case("nl", LOTTE, "Regressietest dag 3: prijsfout gevonden, de FrostGrip staat LIVE op de NL-store voor €0,49 🙃 "
     "ticket ligt bij web #qa", [PRICING], handle_as="@Lotte.Tests")
case("en", pub("forum", "pricebot_nl"), "price error on the Blokhaven store atm: the Kronenkist checkout charges "
     "way less than it should. go go go before they fix it", [PRICING])
case("en", pub("x", "@tilted_tijn"), fullwidth("FrostGrip") + " for €4.99 lmaooo blokhaven what are u doing",
     [PRICING], tags=["evasion"])
case("nl", pub("facebook", "kevin.brouwer.77", "Kevin Brouwer"), "6500 Kronen voor €12,50 in de Play Store?? Is dit "
     "een fout of gewoon een actie? Heb hem maar meteen gekocht", [PRICING])

# --- prices that are fine ------------------------------------------------------
case("nl", BH_IG, "☀️ Zomersale! Season Pass -30%: nu €6,99 i.p.v. €9,99. Alleen dit weekend.",
     tags=["sale-price"], handle_as="@Dijkbrekers.Official")
case("nl", BH, "Met code FINALE10 krijg je €10 korting op je Arena Pass 🎟️ op = op", tags=["discount-amount"])
case("nl", pub("facebook", "anouk.t.92", "Anouk Timmer"), "2x Arena Pass voor de finale in Ahoy te koop, kan zelf "
     "niet meer 😞 €15 per stuk, ophalen in Schiedam", tags=["second-hand"])
case("nl", pub("x", "@twijfelkont"), "Riftmoor Legends pass €4,99 vs Dijkbrekers Season Pass €9,99... ik twijfel "
     "nog welke ik ga grinden", tags=["competitor-price"])
case("en", pub("reddit", "u/skin_collector"), "Stormkapitein skin is 1200 Kronen in the rotating shop this week, "
     "worth it or wait for the bundle?", tags=["ingame-currency"])
case("en", BH_HELP, "No, this isn't a price error 🙂 the Kronenkist bonus weekend is real: +20% extra Kronen on "
     "every chest until Monday.", tags=["denied-error"])
case("nl", pub("instagram", "@coolkid.jens"), "Black Friday: FrostGrip voor €34,95 gescoord, telefoon blijft "
     "eindelijk koel tijdens ranked 🧊", tags=["sale-price", "praise"])
case("nl", pub("x", "@zoekt_koeler"), "Iemand z'n oude FrostGrip kwijt? Zoek er eentje tweedehands voor ~€15",
     tags=["second-hand"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", YARA, "can't wait for you all to see what we're painting for Project Zandzak 🌊🎨 the concept art is "
     "unreal. 6 more months of keeping my mouth shut lol", [CONF])
case("nl", LOTTE, "Lange dag gehad: NDA playtest van de nieuwe modus met 40 kids uit Rotterdam 🎮 ze vonden het "
     "TE gek", [CONF])
case("nl", KEES, "Iemand een idee hoe je in grafana.bh-ops.net een dashboard deelt zonder dat de hele afdeling "
     "kan editen?", [CONF])
case("en", MILA, "sprint planning for Operatie\nSpringtij took 4 hours. four. hours. send coffee ☕", [CONF],
     tags=["evasion"])
case("en", pub("reddit", "u/stringdiver"), "datamined the 4.3 strings: 30+ lines referencing 'Moerasvuur' - new "
     "faction or new map?? screenshots in the comments", [CONF])
case("nl", JESSE, "Over een minuut mag ik het eindelijk zeggen op stage... Dijkbrekers Vloedgolf 🌊🌊 sorry, kon "
     "niet wachten", [CONF], when="2026-09-17T18:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", pub("x", "@leakhunter_eu"), "Dijk" + ZWSP + "brekers Vloedgolf trailer leaked on some forum, 2 min of "
     "gameplay, link in bio 👀", [CONF], when="2026-09-02T21:14:08+02:00", tags=["evasion", "embargo-before"])
case("nl", DAAN, "'intern - niet delen' staat er in koeienletters boven, maar ik vind de nieuwe clan-oorlogen te "
     "vet om stil te houden 😂 Q3 jongens", [CONF])
case("nl", RUBEN, "Les van vandaag: check je scherm vóór je gaat presenteren op een publiek webinar. Een halve "
     "minuut stond de slide 'Blokhaven Confidential - roadmap 2027' in beeld 😬", [CONF])
case("nl", pub("forum", "event_tracker"), "er gaat een link rond op discord naar "
     "gitlab.blokhaven.dev/live-ops/event-kalender, alle events tot eind volgend jaar staan erin", [CONF])
case("nl", MILA, cyr_o("Project") + " Zandzak build draait eindelijk op een iPhone 8 🥲 #gamedev", [CONF],
     tags=["evasion"])
case("en", BH_YT, "Tonight's finals start 19:00 CET 🏆 (overlay notes: admin.dijkbrekers.com/tools/overlay?event=finals)",
     [CONF])
case("en", LOTTE, "testing a hero today that hasn't been announced yet and omg... the ult 😱 can't say more. "
     "#gamedev #qa", [CONF], tags=["unreleased-no-term"])
case("nl", pub("instagram", "@lottetests", "Lotte"), "Mijn zus mocht mee naar een NDA playtest bij Blokhaven en ze "
     "vond de nieuwe modus echt ziek 🤩", [CONF], tags=["lookalike-handle"])

# --- confidential-looking but benign ----------------------------------------
case("nl", BH_LI, "Vorige week vulde ons team 2.000 zandzakken in Limburg samen met het Rode Kruis. Trots op deze "
     "dijkbrekers van het echte leven 💪", tags=["codeword-literal"])
case("nl", pub("instagram", "@eilandmeisje"), "Springtij op Terschelling vanavond 🌊 en ik zit gewoon Dijkbrekers "
     "te spelen op de boot", tags=["codeword-literal"])
case("nl", pub("x", "@queue_quinten"), "sinds de laatste update een vloedgolf aan nieuwe spelers in Dijkbrekers, "
     "queue times van 10 sec 👌", when="2026-05-12T20:31:00+02:00", tags=["embargo-partial"])
case("nl", BH, "Het is officieel: Dijkbrekers Vloedgolf komt op 15 oktober naar iOS en Android! 🌊 Trailer: "
     "dijkbrekers.com/vloedgolf", when="2026-09-17T19:00:00+02:00", tags=["embargo-at"])
case("en", pub("reddit", "u/trailer_nerd"), "Dijkbrekers: Vloedgolf trailer breakdown thread - what did you all "
     "spot in the harbour shot?", when="2026-09-18T10:12:44Z", tags=["embargo-after"])
case("en", pub("x", "@patchnotes_pim"), "patch notes are up on dijkbrekers.com/patch/4-3 👀 Stormkapitein finally "
     "got his hitbox fixed", tags=["public-domain"])
case("en", RUBEN, "Proud to share our half-year results 2026: revenue +18% and 2.1M monthly players 📈 Full report "
     "on blokhaven.gg/investors", when="2026-08-20T08:05:00+02:00", tags=["embargo-after", "published"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", RUBEN, "Closing the books on our H1 2026 results this week. Revenue up 31% and our first profitable "
     "half-year ever 📈 can't wait to share it officially!", [FIN, CONF], when="2026-08-11T17:20:00+02:00",
     tags=["embargo-before"])
case("nl", NOOR, "Zware week. Binnenkort nemen we afscheid van ruim 40 collega's; de reorganisatie wordt pas "
     "volgende maand aangekondigd. Ik ben er voor iedereen die wil praten 💔", [FIN])
case("en", MILA, "rumour at the office is l a y o f f s after summer, like 1 in 5 devs. nobody's said anything "
     "officially, we just see the meetings popping up in the calendar", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/beursgeit"), "A friend in Blokhaven's finance team says they're being acquired by Nordhall "
     "Entertainment, deal gets signed next week. You heard it here first.", [FIN])
case("nl", RUBEN, "Q3-omzet komt uit op €14,2 miljoen, ruim boven de forecast. Dat heb je niet van mij gehoord 😉 "
     "#blokhaven", [FIN], handle_as="Ruben-Hoekstra-BH")
case("en", JESSE, "they told us today the Blokhaven Arena league shuts down after this season 😔 not public yet, "
     "but pros, start looking at other leagues", [FIN])
case("nl", pub("x", "@aandelen_albert"), "Insider tip: Blokhaven gaat in maart naar de beurs, het prospectus ligt al "
     "klaar. Onthoud wie het je vertelde 📈", [FIN])
case("nl", LOTTE, "Vanmiddag gehoord dat de hele QA-afdeling per 1 januari naar Polen gaat. Nog niet officieel. Wat "
     "een dag 😶", [FIN])
case("en", YARA, "we signed the term sheet for the series B today 🥂 €22M!! announcement in two weeks so act "
     "surprised", [FIN])
case("nl", pub("forum", "cijferkoning"), "Via via de halfjaarcijfers 2026 van Blokhaven gezien: 3 miljoen verlies. "
     "Het loopt echt niet zo lekker als ze doen alsof", [FIN, CONF], when="2026-08-14T12:47:31+02:00",
     tags=["embargo-before"])
case("nl", DAAN, "het esports-team wordt opgeheven en de helft van community gaat er ook uit. de re" + ZWSP
     + "organisatie wordt pas in november bekendgemaakt 🙃", [FIN], tags=["evasion"])

# --- financial-looking but benign -----------------------------------------------
case("nl", BH_LI, "Blokhaven Games neemt de Utrechtse studio Pixelmolen over 🤝 Welkom aan 23 nieuwe collega's! "
     "Het persbericht lees je op blokhaven.gg/pers", tags=["published"])
case("nl", pub("x", "@fd_lezer"), "Las in het FD dat Blokhaven vorig jaar €38 miljoen omzet draaide, niet slecht "
     "voor een studio uit Rotterdam", tags=["published"])
case("en", pub("reddit", "u/industry_watch"), "Brutal week in the industry, Riftmoor Studios laid off 120 people. "
     "Hope they all land somewhere good. Blokhaven is hiring btw", tags=["other-company"])
case("en", BH_YT, "The Arena Winter Major prize pool is €75,000 🏆 the biggest in Benelux mobile esports history!",
     tags=["prize-pool"])
case("en", pub("x", "@stonks_stijn"), "Blokhaven's H1 2026 results are out, +18% revenue. not bad for a game about "
     "dikes 📈", when="2026-08-21T09:15:00+02:00", tags=["embargo-after", "published"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KEES, "We liggen eruit door een DDoS op de EU-matchmaking, al sinds 20:00. Officieel is er nog niks naar "
     "buiten gebracht dus sst 🤐", [SEC])
case("en", MILA, "found out today our password reset flow lets you reset ANY account if you know the player ID. "
     "fix isn't deployed yet 😬 fun times", [SEC], handle_as="@Mila_Codeert")
case("nl", DAAN, "Iemand heeft onze Discord overgenomen via 3 mod-accounts 🙃 we zijn het aan het oplossen maar "
     "mogen nog niks zeggen", [SEC])
case("en", LOTTE, "QA found a dupe exploit for infinite Kronen and it's been live for 2 weeks. nobody upstairs "
     "wants to announce it 🙄", [SEC])
case("en", pub("x", "@whistle_gamer"), "Blokhaven is hiding a breach. My cousin works there and says the player "
     "database got dumped last week. Change your passwords NOW", [SEC, CRISIS])
case("nl", pub("reddit", "u/bezorgde_pa"), "Ze houden het stil, maar het admin panel van Blokhaven is gehackt. Mijn "
     "neef werkt daar. Check de accounts van je kids!!", [SEC, CRISIS])
case("en", KEES, "welp, we got h4cked over the weekend. attackers sat on the build server for ~2 days. comms says "
     "keep quiet till monday", [SEC], tags=["evasion"])
case("nl", JESSE, "Finale van zondag wordt verplaatst: de toernooiservers zijn gecompromitteerd. Officiële "
     "mededeling volgt later vandaag, maar jullie horen het eerst van mij", [SEC])
case("en", YARA, "fun fact: our asset server was open to the whole internet for months. anyone could download "
     "unreleased skins. pls don't tell anyone i said this lol", [SEC])
case("nl", MILA, "er is een data" + ZWSP + "lek bij ons, e-mailadressen van spelers liggen op straat en ik mag het "
     "nog niet zeggen 😶", [SEC], tags=["evasion"])
case("en", pub("forum", "ex_insider_watch"), "An ex-Blokhaven dev said on Discord they knew about the account-"
     "takeover bug for months and just sat on it. Zero disclosure. Shameful.", [SEC, CRISIS])
case("nl", NOOR, "Collega's, let op: gisteren zijn 12 HR-mailboxen overgenomen via phishing, cv's van sollicitanten "
     "zijn mogelijk ingezien. Dit is nog niet gemeld, dus niet doorsturen.", [SEC])

# --- security-looking but benign ---------------------------------------------------
case("nl", BH, "🛠️ Gepland onderhoud: Dijkbrekers is dinsdag van 07:00 tot 09:00 offline voor de 4.4-update. Je "
     "Season Pass-voortgang blijft gewoon bewaard!", tags=["official-notice"])
case("en", BH_HELP, "We're aware some players can't log in right now. Our team is on it and we'll post an update "
     "here every 30 minutes. Sorry for the trouble 🙏", tags=["official-notice"])
case("nl", BH_IG, "Na alle berichten over datalekken bij andere apps: zo zet je tweestapsverificatie aan in "
     "Dijkbrekers 🔐 (swipe →)", tags=["other-company"])
case("en", pub("reddit", "u/careful_carl"), "Does Dijkbrekers have 2FA yet? asking because a friend lost his "
     "account in another game", tags=["question"])
case("en", BH_RD, "Our bug bounty is live 🐛 Found a security issue in Dijkbrekers? Report it via "
     "blokhaven.gg/security and earn up to €5,000.", tags=["official-notice"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "petra.janssen.5", "Petra Janssen"), "Lootboxen voor kinderen van 10?! Blokhaven verdient "
     "gewoon aan gokverslaving. Ouders, verwijder die app. #BoycotBlokhaven", [CRISIS])
case("en", pub("x", "@gamingnieuws_nl"), "Dutch parents file class action against Blokhaven over in-game purchases "
     "by minors, claim could reach €30M", [CRISIS])
case("en", pub("reddit", "u/angrydad_ut"), "The FrostGrip melted onto my son's phone and burned his hand. Blokhaven "
     "support sent a canned reply. Pictures below.", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@finale_bezoeker"), "Het podium bij de Arena finale zakte half in, 3 mensen gewond 😡 "
     "organisatie van Blokhaven is schandalig, niemand wist wat te doen", [CRISIS])
case("nl", pub("x", "@boze_bas"), "Blokhaven heeft onze gegevens gel3kt!!1 mijn mail krijgt nu phishing met mijn "
     "Dijkbrekers-gebruikersnaam erin", [CRISIS], tags=["evasion"])
case("en", pub("tiktok", "@tea.spiller"), "Blokhaven-sponsored streamer caught running fake Kronen giveaways to scam "
     "kids and Blokhaven STILL hasn't dropped him #DropHim", [CRISIS])
case("nl", pub("x", "@kansspelwatch"), "Kansspelautoriteit legt Blokhaven een boete op van €600.000 vanwege de "
     "Kronenkisten. Eindelijk.", [CRISIS])
case("en", pub("youtube", "@tech_tess"), "FrostGrip recall when?? mine started smoking while charging, there's a burn "
     "mark on my desk now", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("mastodon", "@fairplay@mastodon.nl"), "Calling for a boycott of Blokhaven Arena until they deal with "
     "the referee who made racist comments on stream. #BoycottBlokhavenArena", [CRISIS])
case("nl", pub("threads", "@oplettende_ouder"), "Ouders opgelet ⚠️ in de Dijkbrekers-chat benaderen volwassenen "
     "kinderen met 'gratis Kronen'. Blokhaven weet het en doet niks.", [CRISIS])
case("en", pub("discord", "@raidlord"), fullwidth("BOYCOTT BLOKHAVEN") + " until they stop selling lootboxes to "
     "literal children", [CRISIS], tags=["evasion", "unknown-platform"])
case("nl", pub("facebook", "sandra.meijer.31", "Sandra Meijer"), "De FrostGrip ging sissen en werd gloeiend heet in de "
     "hand van mijn dochter 😨 Blokhaven, haal dat ding uit de winkels!", [CRISIS, COMPLAINT])

# --- crisis words used otherwise --------------------------------------------------
case("en", pub("instagram", "@sleepy.sophie"), "#BoycottMondays 😴 Dijkbrekers all day instead", tags=["crisis-word"])
case("en", pub("reddit", "u/og_dijkbreker"), "Total recall: who remembers when Dijkbrekers had only 3 maps and no "
     "ranked? 2021 was wild", tags=["crisis-word"])
case("nl", pub("x", "@skinfanaat"), "Die nieuwe Stormkapitein skin is schandalig mooi 😍", tags=["crisis-word"])
case("en", pub("x", "@loot_lars"), "Riftmoor got sued over their loot boxes lol. glad Dijkbrekers only sells "
     "cosmetics", tags=["other-company"])
case("nl", BH_FB, "Veiligheid voorop 🔌 Gebruik je FrostGrip alleen met de meegeleverde kabel en nooit onder een "
     "deken. Meer info op blokhaven.gg/frostgrip", tags=["crisis-word"])
case("en", pub("blog", "harbourtales"), "Chapter 4 of my Dijkbrekers fanfic is up: the Stormkapitein burns the "
     "harbour to the ground and swears revenge on the dike guild. Comments welcome!", tags=["fiction"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@wachtende_wout"), "3 dagen geleden Kronen gekocht en nog steeds niks ontvangen. @blokhaven_help "
     "reageert ook niet op mn DM 😤", [COMPLAINT])
case("en", pub("reddit", "u/pingpong_pieter"), "matchmaking in Dijkbrekers has been a joke since 4.3. 200 ping "
     "every single game. fix your servers blokhaven", [COMPLAINT])
case("nl", pub("facebook", "ingrid.v.leeuwen", "Ingrid van Leeuwen"), "Kapiteinshoodie 4 weken geleden besteld bij "
     "Blokhaven, nog steeds niet binnen en geen track & trace. Beetje jammer voor een verjaardagscadeau.",
     [COMPLAINT])
case("en", pub("x", "@banned_bo"), "banned for 'cheating' with zero proof, and support sends me a bot reply. 2 years "
     "of progress gone. great job @blokhaven", [COMPLAINT])
case("nl", pub("instagram", "@team_zuidwal"), "Prijzengeld van de Arena Cup na 3 maanden nog steeds niet uitbetaald. "
     "Hoe dan @blokhaven??", [COMPLAINT])
case("nl", pub("tiktok", "@yoyo_jayden"), "seizoenspas gekocht maar de rewards zijn gwn niet unlocked bruh 💀 "
     "blokhaven fix dit", [COMPLAINT])
case("en", pub("youtube", "@rainy_rotterdam"), "Arena ticket app crashed at the entrance, waited 40 min in the rain "
     "and nobody from Blokhaven even said sorry", [COMPLAINT], kind="comment")
case("en", pub("threads", "@gadget_gwen"), "FrostGrip fan started rattling after one week and the clip already "
     "cracked. meh quality for 50 bucks", [COMPLAINT])
case("nl", pub("forum", "grote_zus"), "refund aangevraagd voor een per ongeluk gekochte Stormkapitein bundle "
     "(mijn broertje van 7), afgewezen zonder uitleg. Top service Blokhaven 👎", [COMPLAINT])
case("en", pub("reddit", "u/dad_of_three"), "Parental controls in Dijkbrekers are useless. My 9yo spent €120 without "
     "a single prompt and support says it's 'the parent's responsibility'.", [COMPLAINT], kind="comment")
case("nl", pub("mastodon", "@henk@social.example"), "Klantenservice van Blokhaven: 11 dagen wachten op een antwoord "
     "over een dubbele afschrijving. Serieus?", [COMPLAINT])
case("en", pub("facebook", "team.getij", "Team Getij"), "Paid the entry fee for the Arena qualifier, then our team got "
     "removed from the bracket without any explanation. Emails to esports@blokhaven.gg go unanswered.", [COMPLAINT])

# --- not complaints -------------------------------------------------------------------
case("nl", pub("x", "@blije_bente"), "Nog nooit problemen gehad met het uitbetalen van prijzengeld bij Blokhaven, "
     "binnen 5 dagen op mijn rekening 👌", tags=["negated"])
case("en", pub("reddit", "u/smooth_sailing"), "No lag at all since the 4.4 update, whatever they did to the servers "
     "it worked", tags=["negated"])
case("nl", pub("x", "@nieuwe_tel"), "Hoe zet ik mijn Dijkbrekers-account over naar een nieuwe telefoon? Vraag voor "
     "een vriend (ik) 😅", tags=["question"])
case("nl", BH_HELP, "@milan_speelt Wat balen dat je Kronen nog niet binnen zijn! Stuur ons even een DM met je "
     "bestelnummer, dan kijken we het meteen na 💙", kind="reply", tags=["company-reply"])
case("en", pub("x", "@switcher_sil"), "Riftmoor's matchmaking is completely broken this season. switching back to "
     "Dijkbrekers lol", tags=["other-company"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@tilt_tygo"), "@jessecasts slechtste caster ooit, kankerlijer, ga je schamen", [ABUSE],
     kind="reply")
case("nl", pub("discord", "@echte_gamer"), "vrouwen horen niet in esports, stuur die blokhaven caster maar terug naar "
     "de keuken", [ABUSE], tags=["unknown-platform"])
case("en", pub("x", "@salty_sander"), "f*cking clowns at blokhaven, every last one of u 🤡", [ABUSE],
     tags=["evasion"])
case("nl", pub("tiktok", "@r4ge.quit"), "tyfusbedrijf met je teringcommunitymanagers", [ABUSE], kind="comment")
case("nl", DAAN, "@rankedrat hou gewoon je bek, mongool. niemand vroeg om je mening", [ABUSE], kind="reply")
case("en", BH, "@salty_sander cry about it, you absolute moron 🤡", [ABUSE], kind="reply")
case("en", pub("youtube", "@anon_77812"), "I know where that caster Jesse lives. Watch your back at the finals, "
     "clown.", [ABUSE], kind="comment")
case("en", pub("instagram", "@void.main"), "blokhaven devs = braindead id10ts, every single one", [ABUSE],
     tags=["evasion"])
case("en", JESSE, "the other casting crew are talentless hacks and their fans are inbred morons lol", [ABUSE])
case("nl", pub("forum", "echte_nederlander"), "Dat Blokhaven een moslim als hoofdmoderator heeft zegt genoeg. Ga "
     "terug naar je eigen land.", [ABUSE])
case("nl", pub("x", "@woest_wessel"), "k u t b e d r i j f, blokhaven 🖕", [ABUSE], tags=["evasion"])

# --- mild words, quotes, jokes -------------------------------------------------------
case("nl", BH_LI, "Dit weekend streamen we 12 uur Dijkbrekers voor KiKa - Kinderen Kankervrij 💛 Elke donatie "
     "telt!", tags=["mild-word"])
case("en", BH_YT, "\"What the hell just happened?!\" - our casters after THAT 1v3 clutch in the semis 😱",
     tags=["quote", "mild-word"])
case("en", pub("x", "@skin_sjoerd"), "that Stormkapitein skin is a killer, sick animations 🔥", tags=["mild-word"])
case("nl", pub("x", "@grapjas_gijs"), "mijn moeder: 'je geeft meer uit aan Kronen dan aan eten'\nik: 🤡",
     tags=["joke"])
case("en", pub("reddit", "u/cast_enjoyer"), "that play by Noordwind was disgusting 🤢🔥 absolutely filthy mechanics",
     kind="comment", tags=["mild-word", "praise"])
case("en", pub("instagram", "@ahoy.night"), "🎶 we will, we will rock you 🎶 the Ahoy crowd at the Blokhaven Arena "
     "finals was INSANE", tags=["lyrics"])

# ===========================================================================
# ordinary posts
# ===========================================================================
case("nl", DAAN, "Eerste community-meetup in Rotterdam was 🔥 dank aan iedereen die kwam!", tags=["employee-benign"])
case("en", NOOR, "Happy to share that Blokhaven is a Great Place to Work 2026 🎉 we're hiring for 6 roles, see "
     "blokhaven.gg/careers", tags=["employee-benign"])
case("nl", LOTTE, "Eerste week als QA-lead bij Blokhaven zit erop 🎮 wat een leuk team", tags=["employee-benign"])
case("en", pub("reddit", "u/diamond_stuck"), "Which hero counters the Stormkapitein? I keep getting rolled in "
     "diamond", tags=["question"])
case("nl", KEES, "Bedankt voor de feedback over de matchmaking, ik heb het doorgezet naar het team 👍",
     kind="comment", tags=["employee-benign"])
case("en", BH_IG, fullwidth("DIJKBREKERS") + " x Ahoy 🏟️ see you at the finals", tags=["full-width-benign"])
case("en", YARA, "fan art friday! love seeing all your Stormkapitein drawings, keep them coming 🎨",
     tags=["employee-benign"])


# ===========================================================================
# profile, roles, severity (CONTRACT sections 1 and 4)
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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_validated):
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building
# ===========================================================================

def local_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = local_offset(t)
    t -= dt.timedelta(hours=off)          # the minutes above were local wall-clock time
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        sub = "Dijkbrekers"
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64U) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AZ09) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-gamehoek-{n}", f"https://forum.gamehoek.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}.blog.example/chapter-{n}"
    return f"{platform}-{snow}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.6 else None)
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
        if x < 0.09:
            pass                                           # no lang hint
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"   # wrong hint on purpose
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_when(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "blokhaven"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"],
                         role=role, tags=c["tags"], used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def flat(text):
    t = unicodedata.normalize("NFKC", text).translate(INVIS).replace("\u043e", "o")
    return re.sub(r"\s+", " ", t).casefold()


def self_check(rows, profile):
    errs = []
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codes = [c.casefold() for c in profile["internal"]["codenames"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        tag = f"{p['id']}: {p['text'][:40]!r}"
        for kind, raw, _ in r["used"]:
            if kind in ("IBAN",) and not iban_valid(raw):
                errs.append(f"{tag}: invalid IBAN in positive")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{tag}: invalid card")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{tag}: invalid BSN")
            if kind == "BAD_IBAN" and iban_valid(raw):
                errs.append(f"{tag}: bad IBAN passes")
            if kind in ("BAD_CARD16",) and luhn_valid(raw):
                errs.append(f"{tag}: bad card passes")
            if kind in ("NOT_BSN", "KVK") and elfproef(raw):
                errs.append(f"{tag}: not-BSN passes 11-proof")
            if kind in SECRET_KINDS and SECRET not in cats:
                errs.append(f"{tag}: secret placeholder but no leak.secret")
            if kind in VALIDATED and PII not in cats:
                errs.append(f"{tag}: valid identifier but no leak.pii")
        t = flat(p["text"])
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{tag}: not 2026")
        for term, until in emb:
            if term in t:
                if ts < until and CONF not in cats:
                    errs.append(f"{tag}: embargoed term before embargo but no leak.confidential")
                if not r["expect"]["categories"] and ts < until:
                    errs.append(f"{tag}: benign post holds embargoed term before embargo")
        if not cats:
            for cn in codes:
                if cn in t:
                    errs.append(f"{tag}: benign post holds codename {cn}")
            for d in profile["internal"]["domains"]:
                if d.casefold() in t:
                    errs.append(f"{tag}: benign post holds internal domain")
            if r["expect"]["severity"] != "none":
                errs.append(f"{tag}: benign with severity")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{tag}: too long")
    return errs


def report(rows):
    by_cat, cat_lang, by_role, by_sev, by_plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
            cat_lang[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in CATS + ["(benign)"]:
        n = by_cat[c] if c != "(benign)" else benign
        print(f"  {c:24s} {n:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("roles:", dict(by_role))
    print("severity:", {s: by_sev[s] for s in SEVERITIES})
    print("platforms:", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = self_check(rows, profile)
    if args.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
    else:
        if errs:
            print("\n".join(errs))
            return 1
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
