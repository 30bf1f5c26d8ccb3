#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed124 evaluation set.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch cleaning company "Sopkracht Schoonmaakdiensten B.V."
(profile.yaml). Texts are hand-written in CASES; identifiers and secrets are filled in
from <<PLACEHOLDERS>> by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers, hard negatives get ones that FAIL their
checksum. Every secret is random and fake, only shaped like the real thing.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (from profile.yaml, platform:handle, case-insensitive), the categories,
and whether a checksum-validated identifier (IBAN, card, BSN) is present.
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

SEED = 124_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
PLATFORMS = ["x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR = str.maketrans({"o": "\u043e", "e": "\u0435", "a": "\u0430", "p": "\u0440", "c": "\u0441"})


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Latin letters swapped for Cyrillic look-alikes."""
    return s.translate(CYR)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

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


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL66RABO0312445567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dg(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"]) + self.dg(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            f = self.r.choice(["063", "001", "734", "310"]) + self.dg(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "12030000"]) + self.dg(10))
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "MIDL", "NWBK"]) + self.dg(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.dg(14),
             "mc": lambda: "5" + self.r.choice("12345") + self.dg(13),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dg(11),
             "amex": lambda: self.r.choice(["34", "37"]) + self.dg(12)}[brand]()
        for d in string.digits:
            if luhn_ok(p + d):
                return p + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dg(9, True)
            if bsn_ok(s):
                return s

    def plain_number(self, n):
        """A digit string that is no BSN, no Luhn-valid card shape."""
        while True:
            s = self.dg(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.dg(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_0031": f"0031 6 {d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_paren": f"(06) {d8[:4]} {d8[4:]}", "mob_intl0": f"+31 (0)6 {d8}",
                    "mob_c": f"+316{d8}"}[f]
        area = self.r.choice(["30", "33", "35", "20", "10", "73", "40", "50", "26"])
        sub = self.r.choice("2345789") + self.dg(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[f]

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "klant_" + self.dg(6, True), "iss": "api.sopkracht.nl", "scope": "afspraken",
                               "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.ch(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.ch(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 22) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        w = self.r.choice(["Bezem", "Zeepsop", "Dweilen", "Emmer", "Stofdoek", "Poets", "Glans"])
        return w + self.dg(2) + self.r.choice("!#*$?") + self.ch(ALNUM, 4)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "DIGITS"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.plain_number(9)
        elif k == "NOT_BSN8":
            shown = raw = g.plain_number(8)
        elif k == "DIGITS":
            shown = raw = g.plain_number(int(f))
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.ch(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.ch(B64, 40)
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{g.dg(12, True)}-{g.dg(13, True)}-{g.ch(ALNUM, 24)}"
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.ch(up, 8)}/B{g.ch(up, 10)}/{g.ch(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.ch(ALNUM, 24 if f != "long" else 99)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.ch(B64URL, 33)
        elif k == "MOLLIE":
            shown = raw = "live_" + g.ch(ALNUM, 30)
        elif k == "SENDGRID":
            shown = raw = "SG." + g.ch(B64URL, 22) + "." + g.ch(B64URL, 43)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_RSA":
            shown = raw = g.pem_rsa()
        elif k == "PEM_OPENSSH":
            shown = raw = g.pem_openssh()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "SHA":
            shown = raw = g.ch("0123456789abcdef", int(f or 40))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
SK_X = ("x", "@sopkracht", "Sopkracht")
SK_HULP = ("x", "@sopkracht_hulp", "Sopkracht Klantenservice")
SK_IG = ("instagram", "@sopkracht.nl", "Sopkracht")
SK_LI = ("linkedin", "sopkracht-schoonmaakdiensten", "Sopkracht Schoonmaakdiensten B.V.")
SK_FB = ("facebook", "SopkrachtNL", "Sopkracht")
SK_TT = ("tiktok", "@sopkracht", "Sopkracht")
# employees
IL = ("x", "@ilse_poetst", "Ilse Verbeek")                       # home cleaner, Utrecht
KV = ("instagram", "@kevin.teamleider", "Kevin Brouwer")         # team leader office cleaning
NH = ("linkedin", "noor-haddou-sopkracht", "Noor Haddou")        # planner / operations
MS = ("linkedin", "martijn-smeets-finance", "Martijn Smeets")    # finance controller
YD = ("x", "@yusuf_bouwt_apps", "Yusuf Demir")                   # SopPlanner app developer
JV = ("facebook", "joyce.vandam.77", "Joyce van Dam")            # home cleaner, Amersfoort
MO = ("tiktok", "@mo_maakt_schoon", "Mohamed El Idrissi")        # office cleaner
LB = ("linkedin", "lotte-bosman-hr", "Lotte Bosman")             # HR
TD = ("linkedin", "thijs-dekker-devops", "Thijs Dekker")         # devops


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YD, "eeh collega's… de Thuis Plus staat sinds de deploy van vanmiddag op €22,90 p/m in de app ipv €229 😬\n"
     "iemand een komma zien vallen? rollback loopt", [PRICING])
case("en", pub("reddit", "u/flexdesk_fred"), "Sopkracht Kantoor Compleet is showing €89/month on their site right now. "
     "List is 890 afaik. Typo or an actual deal? asking for my 3-person office lol", [PRICING], kind="post")
case("nl", pub("facebook", "sharon.kuijpers.3", "Sharon Kuijpers"), "Meiden!!! Opleverpakket bij Sopkracht voor €34,90 🤑 "
     "dat moet toch een foutje zijn?? heb m meteen geboekt voor mn oude huurhuis, eens kijken of ze komen", [PRICING])
case("en", NH, "Heads-up team: because of an error in the B2B price table the Tapijt Pro is quoted at €17.90 instead of "
     "€179. Please do NOT confirm any orders at that price until finance has signed off. Thanks!", [PRICING])
case("nl", SK_IG, "🧽 ALLEEN VANDAAG 🧽\nSopkracht Thuis Basis voor €39 per maand!!\nBoek via de link in bio 💙 #schoonhuis #deal",
     [PRICING])
case("nl", pub("x", "@koopjesknaller_nl"), "p r i j s f o u t bij @sopkracht → Ramen XL voor 5,90 😂 snel zijn voor ze het zien",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("tiktok", "@lisa.zonder.stof"), "wacht. WACHT. sopkracht thuisplus voor 2 euro 29 in de app?? 🤯🤯 "
     "ik ga dit screenshotten #prijsfout #schoonmaak", [PRICING])
case("nl", IL, "Klanten bellen me op mn werktelefoon dat Tapijt Pro voor een tientje in de app staat 🙃 "
     "planning weet van niks. foutje in de prijzen denk ik, maar ik zeg niks tegen ze haha", [PRICING], kind="post")
case("en", pub("forum", "dealhunter_ams"), "[DEAL?] Sopkracht Thuis Plus €2,29/mo\n\nClearly a misprint, but checkout "
     "went through and I got a confirmation mail. Will update if they cancel.", [PRICING])
case("nl", MS, "Kleine prijsföut in de offertetool gevonden: Kantoor Compleet kwam er uit op €8,90 per maand 😅 "
     "Inmiddels gecorrigeerd, de facturen die al de deur uit zijn lopen we handmatig na.", [PRICING],
     tags=["evasion", "evasion:diacritics"])
case("en", pub("x", "@cheapskate_daan"), f"pr{ZW}ice gl{ZW}itch alert: Sopkracht Opleverpakket €29 instead of €349 "
     "go go go", [PRICING], tags=["evasion", "evasion:zero-width"])
case("nl", YD, "Thuis Basis staat sinds 9:00 voor €12,90 live 🙈 ticket: gitlab.sopkracht.nl/web/shop/-/issues/812 "
     "— fix mag pas na de release freeze", [PRICING, CONF])
case("en", pub("instagram", "@noodlesandnaps"), "just booked a Ramen XL window clean for €4.99 in the Sopkracht app 🤭 "
     "their pricing person is having a rough day", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YD, "why is the SopPlanner staging build failing on the maps screen 😩 key is <<GAPI>> and the console "
     "keeps saying it's restricted?? anyone", [SECRET])
case("nl", TD, "Tip voor iedereen met een CI-pipeline: haal je secrets uit je repo. Bij ons vond ik vandaag nog dit "
     "in een oude branch:\n\nMOLLIE_API_KEY=<<MOLLIE>>\n\nIs al ingetrokken hoor 😇 #devops #security", [SECRET])
case("en", TD, "Migration done 🎉 new read/write user for the scheduler:\n"
     "postgres://planner_rw:<<PW>>@db02.sopkracht.internal:5432/rooster\nping me if your jobs still point at db01",
     [SECRET, CONF])
case("nl", IL, "wie weet het wachtwoord van de gedeelde tablet in de bus?\no wacht het is <<PW>>, staat gewoon op de "
     "achterkant geplakt 🤦‍♀️", [SECRET])
case("nl", KV, "Nieuwe collega's 👋 inloggen op de medewerkers-app met je personeelsnummer, eerste keer is het "
     "wachtwoord <<PW>> (daarna zelf wijzigen!!) 💪 #teamsopkracht", [SECRET])
case("en", pub("reddit", "u/secrets_in_the_wild"), "Found this in a public repo belonging to someone at Sopkracht:\n\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\nReported it to them on Monday, "
     "still there.", [SECRET], kind="post")
case("en", YD, 'git clone https://<<GHP>>@github.com/sopkracht/sopplanner-app.git works on my laptop but not on '
     'the build server?? 😤', [SECRET])
case("en", TD, "Our crew-alert bot posts to <<SLACK_HOOK>> , so if you see weird messages in #planning-alerts that's "
     "my bot learning to talk", [SECRET])
case("nl", pub("forum", "apk_pluizer"), "Uit nieuwsgierigheid de SopPlanner APK uit elkaar gehaald en er staat gewoon "
     "een live Stripe key in: <<STRIPE>>\n\n@sopkracht doe er iets mee voordat iemand anders hem vindt", [SECRET])
case("nl", YD, "iemand die ziet waarom /api/afspraken een 403 geeft met deze token? verloopt pas over een uur\n<<JWT>>",
     [SECRET], kind="reply")
case("en", pub("mastodon", "@leakwatch@infosec.exchange"), "Sopkracht's deploy key has been sitting in a public gist "
     "for a week:\n<<PEM_RSA>>\n(yes, I emailed them twice)", [SECRET])
case("nl", SK_HULP, "@mvdlinden sorry voor het wachten! Probeer je het nog eens? Koppeling staat weer aan "
     "(bot: <<SLACK_BOT>>)", [SECRET], kind="reply")
case("nl", MO, "collega's van de nachtploeg: mailbot doet het weer, key voor de planning-mails is "
     "<<SENDGRID>> als je hem in de oude tool moet plakken", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", IL, "Mevrouw Hoogendijk op de Prinses Irenelaan 27 in Bilthoven had weer de hele keuken vol afwas staan 🙄 "
     "ik ben schoonmaker, geen vaatwasser", [PII])
case("nl", JV, "Wie van de collega's kan donderdag invallen bij fam. Rietveld? Van Goghstraat 112 in Amersfoort, "
     "sleutel ligt bij de buren op 114. Bel mij maar even <<PHONE:mob_dash>>", [PII])
case("en", NH, "Looking for a stand-in for our client Mr P. de Graaf (Stationsweg 8, Baarn) on Tuesday mornings. "
     "His number is <<PHONE:mob_intl>> if you want to introduce yourself.", [PII])
case("nl", SK_HULP, "@fatmayilmaz1 we hebben de €129 teruggestort op <<IBAN_NL:grp>>, binnen 2 werkdagen zou het "
     "zichtbaar moeten zijn 🙏", [PII], kind="reply")
case("nl", LB, "Welkom Agnieszka Nowak in team Utrecht! 💐 Geboren 14-02-1994 en nu al tien jaar ervaring in de "
     "schoonmaak. Fijn dat je er bent!", [PII])
case("nl", LB, "Kan iemand van salarisadministratie even kijken? BSN <<BSN:dots>> van onze nieuwe collega Marek staat "
     "nog niet goed in het systeem, daardoor geen loonstrook", [PII])
case("nl", pub("facebook", "ria.vos.1960", "Ria Vos"), "Al 3x gebeld, niemand belt terug. Schoonmaakster kwam vandaag "
     "wéér niet opdagen.\nBel me maar op <<PHONE:mob_pairs>> Sopkracht, dan leg ik het nog één keer uit",
     [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@jhartman84"), "@sopkracht_hulp still no invoice for March?? third time asking. send it to "
     "j.hartman84@gmail.com pls", [PII, COMPLAINT], kind="reply")
case("nl", pub("instagram", "@myrthe.woont"), "Misschien domme vraag maar kan ik in de SopPlanner app ook met deze "
     "creditcard betalen? <<CARD:visa_sp>> is van mijn werk", [PII], kind="comment")
case("en", KV, "Keycard for the Zuidas job tonight is with Dennis Bakker, Keizersgracht 401-2, Amsterdam. Grab it "
     "there before 6 👍", [PII])
case("nl", MO, "vragen over werken bij sopkracht? stuur gewoon een mailtje naar mn privé: mo.elidrissi [at] hotmail "
     "[punt] com 👊 #schoonmaakwerk", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("reddit", "u/brokentv_utrecht"), "The Sopkracht cleaner who knocked over my TV and denied it is Bogdan "
     "Ionescu, lives at Amperestraat 19 in Nieuwegein. Go tell him what you think of him.",
     [PII, COMPLAINT, ABUSE], kind="comment")
case("nl", YD, "iemand een idee waarom de import struikelt over deze regel?\n"
     "`Vermeulen;Henk;h.vermeulen@ziggo.nl;<<PHONE:mob_plain>>;Zonnebloemstraat 4;Houten`\nencoding?", [PII])
case("nl", pub("facebook", "r.bulut.nl", "Rukiye Bulut"), "Sopkracht, dit is nu de derde keer dat ik om mijn geld vraag. "
     "Hier nogmaals mijn rekeningnummer: <<IBAN_NL>> t.n.v. R. Bulut. Het gaat om €258!!", [PII, COMPLAINT])
case("nl", IL, "Staat er bij iemand anders ook een verkeerd BSN op de loonstrook? Bij mij staat <<BSN>>, dat is niet "
     "eens van mij 😂", [PII])
case("en", pub("x", "@lieve_in_gent"), "@sopkracht_hulp you charged me twice for the move-out clean. Refund to "
     "<<IBAN_BE:grp>> please, I've DMed it 5 times already", [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@buurman_bert"), "Die schoonmakers van Sopkracht bij dhr. Koster (Berkenlaan 8, Houten) laten "
     "altijd de voordeur wagenwijd open staan als ze de emmer gaan vullen", [PII])
case("en", pub("threads", "@expat_emma"), "lol Sopkracht asked for my bank details in a public reply. fine: "
     "<<IBAN_GB:grp>> — now send my deposit back, it's been 6 weeks", [PII, COMPLAINT])
case("nl", SK_HULP, "@anouk_k we zien dat de betaling met <<CARD:mc_sp>> is mislukt, probeer je het nog een keer via "
     "mijn.sopkracht.nl?", [PII], kind="reply", handle_as="@Sopkracht_Hulp")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", KV, "Memo on the break room wall says 'STRIKT VERTROUWELIJK' but honestly the new uniform colours are 🔥🔥",
     [CONF])
case("en", YD, "deploying to rooster.sopkracht.nl at 11 tonight, expect hiccups in the planning screens 🌙☕", [CONF])
case("nl", MO, "POV: je ziet op het prikbord 'NIET EXTERN DELEN' en je maakt er toch een tiktok van 😂📸 #schoonmaaklife",
     [CONF])
case("en", pub("reddit", "u/curious_homeowner"), "A friend who cleans for Sopkracht says they're testing SopPlanner 3 "
     "with photo check-ins of every room you clean. Bit creepy?", [CONF], when="2026-06-11T21:14:09+02:00")
case("nl", SK_LI, "Over precies één dag is het zover: Sopkracht Huisdier 🐾 Schoonmaak speciaal voor huishoudens met "
     "honden en katten. Stay tuned!", [CONF], when="2026-09-14T10:00:00+02:00")
case("nl", IL, f"project dw{ZW}eil gaat alles veranderen zeggen ze op kantoor, ik geloof er niks van 🙄",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", KV, "Teamuitje gaat niet door ivm Operatie\nWasbeer 🦝 (ja ik weet het, niks zeggen)",
     [CONF], tags=["evasion", "evasion:line-break"])
case("en", TD, "Finally moved our Grafana to grafana.ops.sopkracht.internal, dashboards load in under a second now 🚀",
     [CONF])
case("nl", pub("x", "@nieuwsgierig_nl"), "iemand van Sopkracht deelde net een link naar sleutelbeheer.sopkracht.nl/kluis "
     "en haalde hem 2 minuten later weer weg 👀", [CONF])
case("nl", YD, "Hydra-K is eindelijk door de acceptatietest 🎉 nu nog de migratie van de sleutelregistratie en dan "
     "kan de oude meuk uit", [CONF])
case("nl", NH, "Vandaag de eerste klantgesprekken over " + cyr("Project Dweil") + " gevoerd, mensen zijn enthousiast!",
     [CONF], tags=["evasion", "evasion:cyrillic"])
case("nl", pub("forum", "schoon_en_stil"), "Heb hier een pdf met 'Sopkracht intern – tarieven 2027' in de header. "
     "Zal ik hem posten of gaat dat te ver?", [CONF])
case("nl", pub("instagram", "@joyce.vandam", "Joyce van Dam"), "Mijn nieuwe werkschoenen zijn binnen 😍 en op kantoor "
     "hoor ik steeds Project Dweil vallen, benieuwd!!", [CONF])
case("en", pub("x", "@ILSE_POETST"), "the SopPlanner 3 beta on my phone is sooo much faster than the old app 😍",
     [CONF], when="2026-07-02T07:41:55+02:00", handle_as="@ILSE_POETST")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MS, "Trots op het team: de H1-cijfers 2026 laten 18% omzetgroei zien, en dat terwijl de markt krimpt 📈 "
     "Officiële publicatie volgt later deze maand.", [FIN, CONF], when="2026-08-19T17:32:10+02:00")
case("en", LB, "Tough weeks ahead. We'll be closing the Eindhoven branch and about 35 cleaners will lose their "
     "contracts before summer. Not public yet, but I want to be honest with my network.", [FIN])
case("nl", pub("x", "@zwager_weet_alles"), "Mijn zwager zit op het hoofdkantoor van Sopkracht en zegt dat ze worden "
     "overgenomen door een Belgische partij. Wordt mijn abonnement dan duurder?", [FIN])
case("nl", KV, "Morgen grote townhall want we verliezen het contract met de gemeente Utrecht 😬 zo'n 40% van ons "
     "kantoorwerk in één klap weg. Duimen voor iedereen 🤞", [FIN])
case("nl", NH, "De reorganisatie bij planning gaat door: regio's Noord en Oost worden samengevoegd en 6 planners "
     "worden boventallig. Wordt pas in oktober aangekondigd, dus even stil houden.", [FIN])
case("en", MS, "Operatie Wasbeer: due diligence at Glansploeg is done, closing expected 1 November. Nothing goes "
     "outside this room, people!", [CONF, FIN])
case("nl", IL, "ze gaan 20 thuisschoonmakers 0ntsl44n in regio den haag zegt mn leidinggevende. nog niet officieel 😔",
     [FIN], tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/ex_sopkracht"), "Ex-employee here. Sopkracht is about to report a loss for the first "
     "half, heard it's around -€2m. Not published yet, so take it with salt.", [FIN], kind="comment")
case("en", YD, "sprint cancelled 🙃 we're told the app team will merge with the devs of the company we're buying "
     "next month. guess I'll learn their codebase", [FIN])
case("nl", MS, "Eerste schatting jaarcijfers 2026: omzet rond €61 miljoen, marge onder druk door de cao-verhoging. "
     "Definitief beeld in maart.", [FIN, CONF], when="2026-12-18T16:05:00+01:00")
case("nl", LB, "Per direct vacaturestop en de 13e maand voor kantoorpersoneel wordt geschrapt. Dit horen jullie nog "
     "via de officiële weg, maar ik wil het niet langer voor me houden.", [FIN])
case("nl", MO, "wisten jullie dat de zaak verkocht wordt?? hoorde het van de regiomanager 😳 niks zeggen tegen de "
     "klanten", [FIN])
case("en", NH, "Closing the deal on Operatie 🦝 Wasbeer next week means double the routes for planning, so "
     "hiring planners soon 👀", [FIN, CONF], tags=["evasion", "evasion:emoji-split"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", YD, "ok so the SopPlanner API returns the key-safe codes of *all* clients if you change the id in the "
     "URL. reported internally 3 weeks ago, ticket still open 😬", [SEC])
case("nl", TD, "Rustige nacht gehad? Wij niet. Ransomware op de planningsserver, alle roosters van vandaag zijn weg. "
     "Nog niet naar buiten gebracht dus graag niet delen.", [SEC])
case("nl", KV, "Vannacht ingebroken in de sleutelkast op ons depot in Nieuwegein 😡 we weten nog niet hoeveel "
     "sleutels van klanten weg zijn en klanten zijn nog niet ingelicht", [SEC])
case("nl", IL, "app ligt er al sinds 6 uur uit, staat nergens en we mogen niks tegen klanten zeggen 🙄 sta hier voor "
     "een dichte deur", [SEC])
case("en", pub("reddit", "u/sister_knows"), "My sister works at Sopkracht. Their customer database with home "
     "addresses AND alarm codes got leaked last month and they're keeping it quiet. Absolute scandal.",
     [SEC, CRISIS], kind="post")
case("nl", YD, "we zijn g e h a c k t, dat is alles wat ik mag zeggen 🫠", [SEC], tags=["evasion", "evasion:spaced"])
case("en", TD, "Unpatched deserialisation bug in our scheduling backend since March; management decided to postpone "
     "the fix until after peak season. Writing it down here because I'm done arguing.", [SEC])
case("en", NH, "A phishing mail got through to 12 planners yesterday and 3 of them entered their credentials. IT is "
     "still checking what the attackers could see.", [SEC])
case("nl", pub("x", "@klokkenluider070"), "Sopkracht verzwijgt een d4t4l3k! Mijn buurvrouw werkt er, klantgegevens "
     "liggen al weken op straat en niemand wordt ingelicht", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
case("en", MO, "the door-code app glitch is wild 💀 I can see codes for houses that aren't even on my route. "
     "boss says keep quiet till it's fixed", [SEC])
case("nl", JV, "Let op collega's: via de werktelefoon-app kan iedereen jullie live locatie zien. IT weet het, wordt "
     "'binnenkort' opgelost. Niet doorvertellen aan klanten aub", [SEC])
case("nl", YD, "storing op rooster.sopkracht.nl: database corrupt na een mislukte update, herstel duurt tot morgen "
     "en klanten weten nog van niks 😓", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijk_werk"), "BOYCOT SOPKRACHT. Ze betalen hun schoonmakers onder het minimumloon via "
     "nep-zzp-constructies. Zeg je abonnement op!! #boycotsopkracht", [CRISIS])
case("en", pub("bluesky", "@nlnewsflash.bsky.social"), "BREAKING: labour inspectors raid Sopkracht offices in Utrecht "
     "over suspected illegal employment of cleaners", [CRISIS])
case("nl", pub("facebook", "danielle.smit.12", "Danielle Smit"), "Onze schoonmaakster van Sopkracht heeft chloor en "
     "ammoniak gemengd in de badkamer. Mijn dochter moest met benauwdheid naar de eerste hulp 😡😡",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@paranoid_pete"), "Got a scam text with my exact cleaning schedule AND my door code. Only "
     "Sopkracht has that info. Data breach much?? @sopkracht", [CRISIS])
case("nl", pub("reddit", "u/vakbondsman"), "FNV start een rechtszaak tegen Sopkracht om niet-uitbetaalde reisuren van "
     "honderden schoonmakers. Eindelijk.", [CRISIS], kind="post")
case("nl", pub("threads", "@petra_in_zeist"), "Sopkracht is onze huissleutel kwijtgeraakt en twee weken later is er "
     "ingebroken zonder braaksporen. Politie is ingelicht. Ik ben er kapot van.", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@officemgr_jo.bsky.social"), "Calling on every office manager: drop Sopkracht until they stop "
     "firing cleaners who get pregnant. #boycott", [CRISIS])
case("nl", pub("linkedin", "henk-arbo-adviseur", "Henk Jansen"), "Zorgwekkend: bij drie kantoren die door Sopkracht "
     "worden schoongemaakt zijn schoonmakers onwel geworden van een nieuw ontkalkingsmiddel. Wie weet hier meer van?",
     [CRISIS])
case("nl", pub("x", "@stopuitbuiting"), fw("BOYCOT SOPKRACHT") + " ze laten mensen 12 uur per dag poetsen voor een "
     "hongerloon", [CRISIS], tags=["evasion", "evasion:full-width"])
case("en", pub("youtube", "@consumentenclaim"), "The class action against Sopkracht for charging cancelled "
     "subscriptions is finally happening. Sign up via the link in the description.", [CRISIS], kind="comment")
case("en", pub("mastodon", "@anna_k@mastodon.nl"), "Sopkracht's app showed my home address and alarm code to another "
     "customer. I have the screenshots. This is a data breach, full stop.", [CRISIS])
case("nl", pub("x", "@ouders_de_regenboog"), "Schandalig: Sopkracht-bus rijdt bijna een kind aan bij basisschool De "
     "Regenboog en de chauffeur rijdt gewoon door. Bedrijf reageert nergens op.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@anke_uit_ede"), "Voor de 2e keer deze maand geen schoonmaker komen opdagen en de app zegt "
     "gewoon 'afgerond ✅'. ja ammehoela @sopkracht_hulp", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerrit.hol.5", "Gerrit Hol"), "Ramen laten lappen door Sopkracht en nu zie ik meer "
     "strepen dan eerst. €59 voor dit??", [COMPLAINT])
case("en", pub("trustpilot", "Marloes B."), "1 star. Cancelled my Thuis Plus in May, still charged in June AND July. "
     "Customer service says 'we are looking into it' every single time.", [COMPLAINT])
case("en", pub("x", "@waiting_wouter"), "@sopkracht_hulp been on hold for 47 minutes. 47. just to move my cleaning "
     "slot to Thursday", [COMPLAINT], kind="reply")
case("nl", pub("reddit", "u/oma_haar_vaas"), "Schoonmaker heeft de vaas van mijn oma gebroken en Sopkracht wil maar "
     "€25 vergoeden 'omdat het geen nieuwwaarde heeft'. Echt belachelijk.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@huisje_boompje_fien"), "Elke week een andere schoonmaker, steeds weer uitleggen waar de "
     "stofzuiger staat 😩 dat was toch niet de afspraak @sopkracht.nl", [COMPLAINT], kind="comment")
case("en", pub("linkedin", "sophie-de-boer-officemanager", "Sophie de Boer"), "Our office has been on Kantoor Compleet "
     "for a year. Last month the bins weren't emptied for three days and the kitchen smelled like a landfill. "
     "Expected better, Sopkracht.", [COMPLAINT])
case("nl", pub("x", "@lotje_afzeggen"), "s0pkr4cht app crasht elke keer als ik wil opzeggen, dus ik betaal gewoon "
     "door?? top service 👎", [COMPLAINT], tags=["evasion", "evasion:leet"])
case("nl", pub("tiktok", "@sanne.diy"), "storytime: sopkracht kwam mijn huis 'dieptereinigen' en de oven is nog net "
     "zo smerig 🫠 geld terug??", [COMPLAINT])
case("nl", pub("forum", "kees_opgezegd"), "Sleutel na opzegging nooit teruggekregen, 4 mails gestuurd naar Sopkracht, "
     "geen reactie. Iemand ervaring met hoe je dit afdwingt?", [COMPLAINT])
case("en", pub("mastodon", "@tom@fosstodon.org"), "The SopPlanner app logs me out every single day. Is it too much "
     "to ask to stay signed in?", [COMPLAINT])
case("nl", pub("facebook", "patrick.meulen.9", "Patrick van der Meulen"), "Wat een kutbedrijf. Drie keer afgezegd op "
     "de dag zelf en dan toch de volle mep rekenen. Stelletje oplichters.", [COMPLAINT, ABUSE])
case("en", pub("x", "@doorwide_open"), "f*cking joke of a company. cleaner left our front door unlocked ALL DAY "
     "@sopkracht", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@gewoonzeggen"), "Die Sopkracht-schoonmakers zijn allemaal debielen, kunnen nog geen emmer "
     "rechtop houden", [ABUSE])
case("en", pub("x", "@realtalk_rick"), "of course Sopkracht only hires immigrants who can't speak Dutch. go back "
     "where you came from", [ABUSE])
case("nl", KV, "@lindaaa_88 mevrouw, als u uw eigen troep niet kan opruimen moet u niet zeuren, trut", [ABUSE],
     kind="reply")
case("nl", SK_FB, "Meneer Wolters, als u zo blijft doen hoeft u ons niet meer te bellen hoor, clown.", [ABUSE],
     kind="reply")
case("en", pub("reddit", "u/fridaynightwatch"), "I know which Sopkracht girl cleans the Rabobank tower on Fridays. "
     "Let's all wait for her outside 😈", [ABUSE], kind="comment")
case("nl", pub("tiktok", "@nietzomaar"), "k*t schoonmakers van sopkracht, schorem is het", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("en", pub("x", "@angrybird_77"), "Sopkracht's CEO is a greedy parasite. Pathetic little man.", [ABUSE])
case("nl", IL, "mn planner is echt een tyfuslijer, 4 adressen in 3 uur?? zoek het zelf maar uit", [ABUSE])
case("nl", pub("instagram", "@wijkwacht_wim"), "die schoonmaakster met dat hoofddoekje moet je toch niet in je huis "
     "willen, regel dat even @sopkracht.nl", [ABUSE], kind="comment")
case("nl", pub("x", "@kort_en_bondig"), "Sopkracht = " + cyr("klootzakken") + ", punt.", [ABUSE],
     tags=["evasion", "evasion:cyrillic"])
case("en", MO, "shoutout to the idiot on the 4th floor who leaves his coffee cups everywhere, you absolute moron 🙃",
     [ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================


def benign(lang, acct, text, tags, **kw):
    case(lang, acct, text, [], tags=tags, **kw)


# corporate
benign("nl", SK_X, "Wist je dat je je schoonmaakafspraak tot 24 uur van tevoren gratis kunt verzetten in de "
       "SopPlanner app? 📲 #handig", ["service-info"])
benign("nl", SK_HULP, "@baswillems Vervelend om te horen! Mail je klantnummer even naar klantenservice@sopkracht.nl "
       "of bel 0800-7672, dan zoeken we het direct uit.", ["own-contact"], kind="reply")
benign("nl", SK_IG, "Onze WhatsApp-lijn is er weer 💬 06 4000 7700 (ma–za 8-20 uur)", ["own-contact"])
benign("nl", SK_LI, "We zoeken 25 schoonmakers in regio Utrecht! Vast contract, reiskosten vergoed, €15,20 per uur. "
       "Solliciteer via werkenbij@sopkracht.nl", ["own-contact", "price-talk"])
benign("nl", SK_FB, "Betaal je liever per overschrijving? Gebruik NL66 RABO 0312 4455 67 t.n.v. Sopkracht "
       "Schoonmaakdiensten B.V. o.v.v. je factuurnummer.", ["own-contact"])
benign("nl", SK_X, "Vanaf vandaag: Sopkracht Huisdier 🐶🐱 Extra aandacht voor haren, manden en krabpalen. "
       "Meer info op sopkracht.nl/huisdier", ["embargo-after"], when="2026-09-15T10:00:00+02:00")
benign("nl", SK_LI, "Vandaag publiceerden we onze H1-cijfers 2026: omzet +9%, 310 nieuwe collega's en een "
       "klanttevredenheid van 8,4. Dank aan iedereen die dit mogelijk maakt!", ["embargo-after", "published"],
       when="2026-08-27T07:30:00+02:00")
benign("nl", SK_X, "⚠️ Storing: de SopPlanner app is op dit moment niet bereikbaar. We werken aan een oplossing, "
       "je afspraken gaan gewoon door.", ["official-notice"])
benign("nl", SK_TT, "3 schoonmaakhacks met azijn die écht werken 🍋✨ #cleantok #sopkracht", ["hack-word"])
benign("nl", SK_HULP, "Let op: wij vragen NOOIT om je wachtwoord of pincode via WhatsApp of sms. Twijfel je? Bel "
       "030 799 4400.", ["own-contact", "password-word"])
benign("nl", SK_IG, "Eerste maand Thuis Basis met 25% korting: €96,75 in plaats van €129 🎉 Geldig t/m zondag.",
       ["price-talk", "sale"])
benign("en", SK_TT, "SopPlanner 3 is here 📸 photo checklists per room, live arrival times and a dark mode "
       "you asked for", ["embargo-after"], when="2026-10-01T09:12:44+02:00")
benign("nl", SK_FB, "Lente! ☀️ Ramen XL voor €59 per beurt, binnen én buiten. Plan hem in via de app.",
       ["price-talk"])

# employees
benign("nl", IL, "6 uur 's ochtends, heel het kantoor aan de Zuidas voor mij alleen, koptelefoon op 🎧 beste baan "
       "die er is", ["employee-chatter"])
benign("en", KV, "Team Utrecht crushed it this week 💪 120 offices, zero complaints. Proud of these legends",
       ["negation"])
benign("en", YD, "commit <<SHA>> finally fixes the dark mode contrast on Android 🌚", ["git-sha"])
benign("nl", MO, "dweilen met de kraan open zeggen ze dan 😂 maar bij ons heet dat gewoon maandagochtend "
       "#schoonmaak #kantoor", ["codename-word"])
benign("nl", JV, "Gefeliciteerd met je verjaardag Sandra! 🎂 Fijn dat je al 5 jaar in ons team zit", ["name-no-data"])
benign("en", LB, "We just published our annual diversity report – proud that 63% of our team leaders are women 💜",
       ["published"])
benign("nl", MS, "Mooie avond bij de brancheorganisatie over de nieuwe cao schoonmaak. Goede discussie over de "
       "loonsverhoging die in januari ingaat.", ["published"])
benign("en", TD, "PSA for devs: never put real keys in docs. Use placeholders like AKIAXXXXXXXXXXXXXXXX or "
       "ghp_… and rotate anything that slips out.", ["placeholder-secret"])
benign("nl", IL, "mijn wachtwoord van de app voor de 3e keer deze week vergeten, zit er een limiet op mn "
       "hersencellen ofzo 🙃", ["password-word"])
benign("en", KV, "Safety training day ⚠️ proper dilution, gloves on, and NEVER mix bleach with ammonia. Learned a "
       "lot today", ["safety-words"])

# public
benign("nl", pub("x", "@tevreden_tineke"), "Shoutout naar Fatima van Sopkracht, mijn huis is nog nooit zo schoon "
       "geweest ✨", ["praise"])
benign("en", pub("reddit", "u/threebed_nijmegen"), "Anyone on Sopkracht Thuis Plus? Is €229 a month worth it for a "
       "3-bedroom with two kids and a dog?", ["price-talk", "question"], kind="post")
benign("nl", pub("forum", "voorzichtige_vera"), "Kreeg een 'factuur' van Sopkracht met rekening <<BAD_IBAN_NL:grp>>. "
       "Hun echte rekening is toch NL66RABO0312445567? Phishing denk ik, niet betalen dus.",
       ["bad-checksum", "own-contact"])
benign("en", pub("x", "@cleanfreak_kim"), "Wow, Bezemklaar (the other cleaning app) just had a data breach. Glad "
       "I'm with Sopkracht tbh", ["other-company"])
benign("nl", pub("facebook", "marjolein.pieters", "Marjolein Pieters"), "Operatie grote schoonmaak is begonnen! "
       "Zolder, garage en de wasbeer-knuffel van de kleine in de wasmachine 🦝🧺", ["codename-word"])
benign("nl", pub("x", "@natte_voeten"), "Lekkage in de badkamer van de bovenburen, het water komt door het plafond "
       "😩 en net vandaag was Sopkracht geweest haha. Iemand een goede loodgieter?", ["leak-word"])
benign("en", pub("reddit", "u/crime_writer_nl"), "In my novel the cleaner finds a body in the server room. My own "
       "Sopkracht cleaner says her worst find was a forgotten tuna sandwich 😂", ["fiction"], kind="comment")
benign("en", pub("x", "@dishes_tomorrow"), "My Sopkracht cleaner judged my dishes so hard that I now do them before "
       "she comes. Best life hack ever.", ["joke", "hack-word"])
benign("nl", pub("instagram", "@vrijdag_schoon"), "🎶 'Vandaag is een mooie dag' zing ik elke vrijdag als Sopkracht "
       "weer is geweest ✨🏡", ["quote"])
benign("nl", pub("x", "@drie_jaar_blij"), "Nooit klachten gehad over Sopkracht, al drie jaar dezelfde schoonmaakster. "
       "Top!", ["negation"])
benign("en", pub("facebook", "liam.verhoef", "Liam Verhoef"), "Is the Opleverpakket still €349 or did they change "
       "it? Moving out of my flat in June", ["price-talk", "question"])
benign("nl", pub("x", "@rekenaar_ruud"), "Sopkracht heeft nu €50 korting op het Opleverpakket, dus €299. Nog steeds "
       "niet goedkoop maar het scheelt", ["price-talk", "discount-amount", "price-context"])
benign("nl", pub("reddit", "u/zzp_vergelijker"), "Thuis Plus is €229 per maand voor 8 uur, dus zo'n €28,60 per uur. "
       "Vergelijkbaar met een zzp'er eigenlijk, alleen hoef je zelf niks te regelen", ["price-talk", "price-context"],
       kind="comment")
benign("en", pub("x", "@marketplace_mia"), "Bezemklaar charges €19/month for their basic plan vs €129 for Sopkracht "
       "Thuis Basis. Not the same thing though, theirs is just a marketplace", ["price-talk", "price-context",
                                                                              "other-company"])
benign("nl", pub("linkedin", "jeroen-facilitair", "Jeroen Mulder"), "Zakelijk klant geworden bij Sopkracht: ze vroegen "
       "om ons KvK-nummer (<<NOT_BSN8>>) en btw-nummer, verder binnen een dag geregeld. Prima ervaring.",
       ["number-lookalike", "praise"])
benign("nl", pub("x", "@sollicitant_sam"), "Sopkracht vroeg bij mijn sollicitatie om mijn BSN, is dat normaal? (nee ik "
       "post hem hier niet, 123456789 is m niet 😜)", ["bad-checksum", "question"])
benign("en", pub("x", "@typo_tessa"), "The app said 'invalid IBAN' for <<BAD_IBAN_DE:grp>> and yeah, I had swapped "
       "two digits. My bad, all sorted now", ["bad-checksum"])
benign("en", pub("threads", "@fat_fingers_fred"), "SopPlanner kept rejecting <<BAD_CARD:visa_c>> and turns out I "
       "typed a 7 instead of a 1 🤦 thanks for the patience @sopkracht_hulp", ["bad-checksum"])
benign("nl", pub("x", "@factuur_vraag"), "@sopkracht_hulp factuur <<DIGITS:10>> is al betaald toch? Zie hem nog "
       "open staan in de app, maar misschien loopt dat achter", ["number-lookalike", "question"], kind="reply")
benign("en", pub("x", "@petparent_ams"), "Sopkracht just launched Sopkracht Huisdier, a pet-hair add-on. Finally, "
       "my couch thanks you 🐕", ["embargo-after", "published"], when="2026-09-20T12:03:11+02:00")
benign("en", pub("reddit", "u/smallcap_watcher"), "Sopkracht's H1 2026 results were decent, 9% growth according to "
       "their press release. Not bad in this market.", ["embargo-after", "published"],
       when="2026-09-01T19:45:00Z", kind="comment")
benign("nl", pub("x", "@fd_lezer"), "Bezemklaar schrapt 80 banen, las ik net in de krant. Hopelijk gaat Sopkracht niet "
       "dezelfde kant op", ["other-company"])
benign("nl", pub("instagram", "@kattenmama_kim"), "Mijn kat boycot de kattenbak sinds de Sopkracht-schoonmaakster hem "
       "zo grondig heeft schoongemaakt 😹", ["boycott-other-sense"])
benign("en", pub("x", "@landlord_happy"), "'Damn, this place is spotless' – my landlord after the Sopkracht move-out "
       "clean 🙌 deposit back in full", ["quote", "mild-word"])
benign("nl", pub("x", "@factuurfan"), "Handig trouwens: op mijn.sopkracht.nl kun je al je facturen als pdf downloaden",
       ["public-domain"])
benign("en", pub("reddit", "u/first_time_cleaner"), "How does Sopkracht handle keys? Do I need to be home for the "
       "first visit or can I leave one in a key safe?", ["question", "key-word"], kind="post")
benign("nl", pub("x", "@vergeetachtige_vince"), "Nee het is geen datalek, ik was gewoon vergeten mijn voordeur op "
       "slot te doen. Sopkracht had er niks mee te maken 😅", ["negation", "leak-word"])
benign("nl", pub("facebook", "wendy.klaassen", "Wendy Klaassen"), "Ramen voor €4,50 bij de supermarkt, XL portie 🍜 "
       "beste lunch na een dag schoonmaken", ["product-word"])
benign("en", pub("x", "@greek_myths_fan"), "Reading about the Hydra again, cut off one head and two grow back. "
       "Basically my laundry pile.", ["codename-word"])
benign("nl", pub("x", "@klantnummer_klaas"), "Voor wie het ook zoekt: Sopkracht is bereikbaar op +31 30 799 4400 en "
       "op WhatsApp +31640007700, ze reageerden binnen 10 min", ["own-contact", "praise"])


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


# ===========================================================================
# building posts
# ===========================================================================

def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(5 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(guess)
    t = guess - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-schoonthuis-{n}", f"https://forum.schoonthuis.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugy" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{sc}", f"https://www.threads.net/@{h}/post/{sc}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
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
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "sopkracht"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    orr.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
}
PROFANITY = ["kut", "tering", "tyfus", "klote", "klootzak", "debiel", "trut", "fuck", "f*ck", "shit", "idiot",
             "moron", "clown", "parasite", "schorem", "oplichter", "damn"]
MILD_OK = {"damn"}


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVISIBLE)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def found_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def valid_ids(text):
    hits = [("iban", v) for v, ok in found_ibans(text) if ok and v != OWN_IBAN]
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text):
        if bsn_ok(d):
            hits.append(("bsn", d))
    for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text):
        if bsn_ok(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = d[2:]
        elif raw.startswith("0031"):
            d = d[4:]
        else:
            d = d[1:]
        d = "0" + d.lstrip("0")
        out.append((raw, d))
    return out


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    ment = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not ment or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in ment)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    own_phones.add("08007672")
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{w}: handle missing")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{w}: bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: kind")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: duplicate id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} != {want}")
        r = meta[key]
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw) or k.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: iban checksum {k}")
            if k == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)) or k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: card checksum {k}")
            if k == "BSN" and not bsn_ok(raw) or k in ("NOT_BSN9", "NOT_BSN8", "DIGITS") and bsn_ok(raw):
                errors.append(f"{w}: bsn {k}")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        low = norm(text)
        if not cats:
            if ids:
                errors.append(f"{w}: benign with valid id {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for raw, d in phones_in(text):
                if d not in own_phones:
                    errors.append(f"{w}: benign with phone {raw} ({d})")
            for nm, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign with secret {nm}")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low):
                    (notes if word in MILD_OK else errors).append(f"{w}: benign with word {word}")
            rt = min_ratio(text, profile["products"])
            if rt is not None and rt < profile["pricing"]["alert_below_ratio"]:
                (notes if "price-context" in r["tags"] else errors).append(f"{w}: benign low price ratio {rt:.2f}")
        sq = squash(text)
        for term, until in embargo:
            if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", low) or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term} before until without confidential")
                if ts >= until and "leak.confidential" in cats and not any(
                        x in low for x in internal):
                    notes.append(f"{w}: embargo term after until but confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", low) or term in sq.replace(" ", ""):
                if "leak.confidential" not in cats:
                    errors.append(f"{w}: internal term {term} without confidential")
        if "leak.pricing" in cats:
            rt = min_ratio(text, profile["products"])
            if rt is None or rt >= 0.5:
                notes.append(f"{w}: pricing positive without parsed low price (ratio {rt})")
        parsed.append((p, cats, sev, role, r))
    sh = [shingles(p["text"]) for p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    (errors if jac > 0.5 else notes).append(f"lines {i + 1},{j + 1}: overlap {jac:.2f}")
    return errors, notes, parsed


def cross_check_stdnum(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for k, raw, _ in r["used"]:
            ok = None
            if k.startswith("IBAN_"):
                ok = si.is_valid(raw)
            elif k.startswith("BAD_IBAN"):
                ok = not si.is_valid(raw)
            elif k == "CARD":
                ok = sl.is_valid(raw)
            elif k == "BAD_CARD":
                ok = not sl.is_valid(raw)
            elif k == "BSN":
                ok = sb.is_valid(raw)
            elif k == "NOT_BSN9":
                ok = not sb.is_valid(raw)
            elif k == "NOT_BSN8":
                ok = not sb.is_valid("0" + raw)
            if ok is not None:
                n += 1
                if not ok:
                    bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    cat, cl, lang, role, sev, plat, tagc = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for p, cats, s, rl, r in parsed:
        lang[r["lang"]] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        if not cats:
            benign += 1
            cl[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
        for t in r["tags"]:
            tagc[t] += 1
    print(f"cases {len(parsed)}  benign {benign}  positive {len(parsed) - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat[c]:4d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'(benign)':24s} {benign:4d}  nl {cl[('(benign)', 'nl')]:3d}  en {cl[('(benign)', 'en')]:3d}")
    print("lang", dict(lang), " role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    print(cross_check_stdnum(rows))
    report(parsed)
    if a.notes:
        for x in notes:
            print("  note " + x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
