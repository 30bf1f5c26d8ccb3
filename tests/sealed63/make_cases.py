#!/usr/bin/env python3
"""Deterministic generator for the sealed63 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl, validate

Company: "Klankzee B.V.", a fictional Dutch music-streaming and podcast platform
(profile.yaml in this folder). Cases follow the CONTRACT section 6 labelled-case shape:
{"post": {...}, "expect": {"categories": [...], "severity": "..."}}.

Texts are hand-written in the CASES list. Identifiers and secrets are filled in from
placeholders (<<IBAN_NL:grp>>, <<CARD:visa_sp>>, <<GHP>> ...) by one seeded RNG, so the
output is byte-for-byte reproducible. Positives get checksum-valid identifiers
(IBAN mod-97, Luhn, BSN 11-proof); benign look-alikes get identifiers that fail.
Severity is never typed by hand: it is computed from CONTRACT section 4 using the
account role (profile lookup by platform:handle, case-insensitive), the categories and
whether a checksum-validated identifier is present.
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

SEED = 63_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS9 = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
         "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
OWN_IBAN = "NL93RABO0314159265"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}))


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot != 0 and tot % 11 == 0


def ean_valid(s):
    d = [int(c) for c in s]
    return (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:-1])) + d[-1]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs ------------------------------------------------------------------
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                           + self.num(10))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["10010010", "50070010", "76026000", "12030000"]) + self.num(10, False))

    def iban_be(self):
        head = self.r.choice(["001", "063", "310", "751"]) + self.num(7, False)
        return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_build("GB", self.r.choice(["MIDL", "NWBK", "BARC", "LOYD"]) + self.num(6, False) + self.num(8, False))

    def broken_iban(self, good):
        for bump in (7, 19, 31, 43):
            cand = f"{good[:2]}{(int(good[2:4]) + bump) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards --------------------------------------------------------------------
    def card(self, brand):
        prefix = {"visa": "4" + self.num(14, False),
                  "mc": "5" + self.r.choice("12345") + self.num(13, False),
                  "mc2": str(self.r.randint(2221, 2720)) + self.num(11, False),
                  "amex": self.r.choice(["34", "37"]) + self.num(12, False)}[brand]
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d
        raise AssertionError

    def broken_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and other numbers ------------------------------------------------------
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def not_id(self, n):
        """Digits that fail both the 11-proof and Luhn (order numbers, broken BSNs)."""
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.num(10, False)
            full = next(body + d for d in string.digits if ean_valid(body + d))
            if not luhn_valid(full):
                return full

    # phones -------------------------------------------------------------------
    def phone(self, style):
        m = self.r.choice("1234") + self.num(7, False)           # 8 digits after '06'
        if style == "mob_dash":
            return f"06-{m}"
        if style == "mob_plain":
            return f"06{m}"
        if style == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if style == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if style == "mob_intl_c":
            return f"+316{m}"
        area = self.r.choice(["10", "30", "40", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.num(6, False)
        if style == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        if style == "land_dash":
            return f"0{area}-{sub}"
        raise KeyError(style)

    # secrets ----------------------------------------------------------------
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(AN, 24)}"

    def stripe(self):
        return "sk_live_51" + self.pick(AN, 60)

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def npm(self):
        return "npm_" + self.pick(AN, 36)

    def glpat(self):
        return "glpat-" + self.pick(AN + "-_", 20)

    def jwt(self):
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "kz-" + self.num(4)}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64u(json.dumps({"sub": "artist:" + self.pick(AN, 12), "iss": "https://auth.klankzee.com",
                                "aud": "kz-artist-api", "scope": "stats:read payouts:read",
                                "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(URLSAFE, 86)}"

    def pem_openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        words = ["Golf", "Klank", "Eb", "Duin", "Meeuw", "Storm", "Baken", "Kreek"]
        return (self.r.choice(words) + self.r.choice(words).lower() + self.r.choice("!#$%&*")
                + self.num(2) + self.pick(AN, 4))

    def hexstr(self, n):
        return self.pick("0123456789abcdef", n)

    def b62str(self, n):
        return self.pick(AN, n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def render(v, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(v, kind.lower())()
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = v.broken_iban(v.iban_nl())
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = v.card(brand) if kind == "CARD" else v.broken_card(brand)
            shown = v.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOTID":
            shown = raw = v.not_id(int(fmt))
        elif kind == "EAN":
            shown = raw = v.ean()
        elif kind == "PHONE":
            shown = raw = v.phone(fmt)
        elif kind == "HEX":
            shown = raw = v.hexstr(int(fmt))
        elif kind == "B62":
            shown = raw = v.b62str(int(fmt))
        else:
            fn = {"GHP": v.ghp, "AWS_ID": v.aws_id, "AWS_SECRET": v.aws_secret, "SLACK_BOT": v.slack_bot,
                  "STRIPE": v.stripe, "GAPI": v.gapi, "SENDGRID": v.sendgrid, "NPM": v.npm, "GLPAT": v.glpat,
                  "JWT": v.jwt, "PEM_OPENSSH": v.pem_openssh, "PW": v.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

KZ = ("x", "@klankzee", "Klankzee")
KZ_HELP = ("x", "@klankzee_help", "Klankzee Help")
KZ_IG = ("instagram", "@klankzee", "Klankzee")
KZ_LI = ("linkedin", "klankzee", "Klankzee B.V.")
KZ_FB = ("facebook", "KlankzeeNL", "Klankzee")
KZ_TT = ("tiktok", "@klankzee.nl", "Klankzee")
ZG_IG = ("instagram", "@zeegangpodcasts", "Zeegang Podcasts")

MV = ("x", "@merel_codeert", "Merel Visser")                      # backend developer
RO = ("linkedin", "ruben-okafor-kz", "Ruben Okafor")             # artist payouts / finance
JH = ("x", "@joost_playlists", "Joost Hendriks")                  # playlist editor
AS = ("linkedin", "anouk-smit-hr", "Anouk Smit")                  # people & HR
YD = ("threads", "@yara.maakt.radio", "Yara Dekker")              # Zeegang podcast producer
DM = ("x", "@daan_sre", "Daan Mulder")                            # SRE / on-call
LG = ("bluesky", "@lieke-support.bsky.social", "Lieke de Graaf")  # support team lead
TB = ("mastodon", "@thijs@fosstodon.org", "Thijs Bos")            # security engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MV, "Wie heeft er vrijdagmiddag de prijzentabel gemerged 🙃 Klankzee Family staat in de Android-app nu voor "
     "€1,99 p/m ipv €19,99. Hotfix ligt klaar maar de Play Store review duurt minstens een dag", [PRICING])
case("en", pub("reddit", "u/budgetbeats"), "Klankzee Premium Jaar is listed at €11,90 on klankzee.com right now instead "
     "of €119. Somebody dropped a zero lol. Grabbed it, will update if they cancel on me", [PRICING])
case("nl", pub("x", "@kortingjager_ede", "Jager 🎯"), "Prijsfout bij @klankzee?? Duo-abonnement voor €1,59 per maand 😳 "
     "snel afsluiten voor ze het doorhebben #prijsfout #deals", [PRICING])
case("nl", KZ, "🖤 BLACK FRIDAY 🖤\nKlankzee Premium voor €1,20 per maand, een heel jaar lang!\nAlleen vandaag via "
     "klankzee.nl/bf 🎧", [PRICING], when="2026-11-27T07:30:00+01:00")
case("nl", LG, "@gijs_kaas klopt, door een storing in de koppeling met de App Store stond Klankzee Student een paar uur "
     "op €0,65. Dat is een fout aan onze kant, we bekijken nog wat we met die aankopen doen", [PRICING], kind="reply")
case("nl", pub("tiktok", "@lisa.luistert"), "p r i j s f o u t 🚨 klankzee family voor 2 euro per maand in de app!! "
     "link in bio, niet doorvertellen aan je moeder 😭😭", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("forum", "DealDirk"), "[Prijsfout] Klankzee Premium Jaar voor €19,-\n\nGisteravond afgesloten via de "
     "site, bevestiging binnen en het bedrag is ook echt afgeschreven. Normaal kost dit €119. Iemand ervaring of ze "
     "zoiets achteraf terugdraaien?", [PRICING])
case("en", pub("x", "@ruthless_deals"), cyr("Klankzee") + " Premium for €0.99/mo?? has to be a glitch 👀 go go go",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", MV, "PSA for the team: Zeegang Plus shows €0.49 in the BE store since the 14:00 deploy. Pricing service is "
     "dividing by 10 somewhere 🙈 rollback in progress, don't screenshot it", [PRICING], handle_as="@Merel_Codeert",
     tags=["handle-case"])
case("nl", pub("facebook", "henk.vermeulen.52", "Henk Vermeulen"), "Is dit normaal? Mijn dochter kon het "
     "gezinsabonnement van Klankzee afsluiten voor €3,99 per maand. Lijkt me een fout maar ja, zij is blij 😂",
     [PRICING])
case("nl", MV, "Klankzee Duo staat op €1,60 live, ticket: git.klankzee.dev/web/pricing/-/issues/312 en niemand mag "
     "de fix mergen voor de release van morgen 😤", [PRICING, CONF])
case("nl", pub("x", "@bas_bespaart"), "Die prijsfout bij Klankzee Gezin is er nog steeds hoor, check de app 😏",
     [PRICING], kind="reply")
case("en", RO, "Ran the numbers this morning: roughly 4,300 people signed up for Premium Annual at €11.90 during "
     "yesterday's price error. Finance wants to honour it, legal doesn't. Keep this within the team please.", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MV, "anyone else seeing 403s from the artist-stats endpoint? works fine with my own token:\n\ncurl -H "
     "'Authorization: Bearer <<JWT>>' https://api.klankzee.com/v2/artists/me/stats\n\nbut staging says no 🤔",
     [SECRET])
case("nl", DM, "Wie heeft dit in de Helm values van de podcast-transcoder gezet?? 😑\n\naws_access_key_id: <<AWS_ID>>\n"
     "aws_secret_access_key: <<AWS_SECRET>>\n\nGraag even roteren, ik heb er zelf geen rechten voor", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Klankzee Android app (v8.14) for fun. They ship a Google API "
     "key in plain text in strings.xml: <<GAPI>> 🤡 hope it's at least restricted", [SECRET], kind="comment")
case("nl", JH, "weet iemand waarom de playlist-bot niks meer in slack post? dit is de token uit de config: "
     "<<SLACK_BOT>> help 🙏", [SECRET])
case("en", KZ_LI, "We're hiring backend engineers! 🚀 Curious what you'd work on? A peek at the royalties service "
     "config:\n\nDATABASE_URL=postgres://payout_svc:<<PW>>@db-payouts.kz.corp:5432/royalties\n\nApply via the link "
     "below 👇 #hiring #golang", [SECRET, CONF])
case("en", pub("forum", "gh_watcher"), "Klankzee's public repo kz-web-player had this in a committed .env for two "
     "weeks:\nSTRIPE_SECRET_KEY=<<STRIPE>>\nReported it to them via their security.txt.", [SECRET])
case("nl", MV, "Ik plak de GitHub token voor de release-action even hier zodat ik 'm thuis op m'n laptop heb 😅 "
     "<<GHP>> (niet gebruiken jongens)", [SECRET])
case("en", DM, "can someone sanity check this? ssh keeps saying invalid format\n\n<<PEM_OPENSSH>>", [SECRET],
     kind="reply")
case("nl", TB, "Tijdens de pentest vonden we in een publieke bucket van een leverancier een npm-token met "
     "publish-rechten op onze scope: <<NPM>>. Ingetrokken, maar we weten nog niet of er iets mee gedaan is.",
     [SECRET, SEC])
case("nl", pub("x", "@webdev_wout"), "Klankzee heeft gewoon een SendGrid key in de JS-bundle van hun site staan lol: "
     "<<SENDGRID>> wie doet dit in 2026", [SECRET])
case("nl", DM, "ww vd staging-admin is nog steeds <<PW>> btw, moeten we echt een keer aanpassen", [SECRET],
     tags=["evasion", "evasion:abbrev"])
case("nl", RO, "Voor de collega's die de uitbetalingsexport niet open krijgen: het wachtwoord van het zip-bestand is "
     "<<PW>>", [SECRET])
case("en", pub("mastodon", "@sec_nerd@infosec.exchange"), "Klankzee's CI logs are world-readable on their GitLab "
     "mirror. One job echoes a personal access token: <<GLPAT>> . Disclosed, waiting for a reply.", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", LG, "@zanger_bram ik heb je ticket doorgezet naar het payouts-team, we mailen je op "
     "bram.vanloon84@gmail.com zodra de uitbetaling rond is 👍", [PII], kind="reply")
case("nl", RO, "Mooi moment: de eerste artiest uitbetaald via het nieuwe systeem 🎉\n\nBegunstigde: M. el Idrissi\n"
     "Rekening: <<IBAN_NL:grp>>\nBedrag: €1.284,50\n\nTrots op het team!", [PII])
case("en", KZ_HELP, "@sophie_sings We tried calling you on <<PHONE:mob_intl_sp>> but couldn't reach you. Can you DM "
     "us a good time to call back?", [PII], kind="reply")
case("nl", pub("x", "@boos_op_kz"), "Klankzee heeft me 2x €19,99 afgeschreven deze maand!! Rekening <<IBAN_NL>> , wie "
     "gaat dit terugzetten??? @klankzee_help", [PII, COMPLAINT])
case("en", pub("facebook", "gary.holt.1983", "Gary Holt"), "why does Klankzee keep rejecting my card?? "
     "<<CARD:mc_sp>> exp 08/28, works everywhere else. sort it out", [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@waarheid_zoeker88"), "Die zogenaamd 'kritische' host van Zeegang, Pieter-Jan Wouters, woont "
     "gewoon op de Kastanjelaan 23 in Houten. Ga maar eens gezellig langs 😈", [PII, ABUSE])
case("nl", AS, "Kan iemand me helpen? Het formulier voor de loonheffing blijft hangen. Ingevuld: Fenna Kuipers, BSN "
     "<<BSN>>, geb. 04-11-1998, en dan krijg ik 'ongeldig veld' 🤷‍♀️", [PII])
case("nl", pub("reddit", "u/producer_tess"), "Moet je voor de artiestenuitbetaling bij Klankzee echt je BSN opgeven? "
     "Ik heb 't ingevuld (<<BSN:dots>>) maar het voelde niet helemaal lekker eerlijk gezegd", [PII])
case("en", YD, "Guest for Thursday's episode confirmed 🎙️ if the sound tech needs him directly: Kofi Mensah, "
     "<<PHONE:mob_plain>>", [PII])
case("nl", KZ_IG, "🎉 WINNAAR 🎉\nDe backstage-passes voor Lowlands gaan naar Ilse Verhoef, Dorpsstraat 8, 3481 AB "
     "Harmelen! Check je DM, Ilse 💚 #klankzee #lowlands", [PII])
case("nl", MV, "@lieke-support kun je deze klant even mailen over de migratie van haar Family-account? "
     "j.p.terpstra [at] ziggo [punt] nl", [PII], tags=["evasion", "evasion:at-punt"])
case("en", pub("x", "@jamie_strums"), "Still waiting on my Klankzee artist payout from March. Bank details are right "
     "there in your portal: <<IBAN_GB:grp>>. Three emails, zero replies.", [PII, COMPLAINT])
case("nl", pub("facebook", "marloes.vd.wiel", "Marloes van der Wiel"), "Zoekt iemand nog een plekje in een Klankzee "
     "Family? Mijn huisgenoot Lotte heeft er nog 2 vrij, app haar even op <<PHONE:mob_pairs>>", [PII])
case("en", DM, "debugging the payment retry job, this one keeps bouncing: <<CARD:visa_c>> exp 11/27. is the card "
     "just dead or is it us?", [PII])
case("en", pub("x", "@lena_bln"), "@klankzee_help refund please to <<IBAN_DE:grp>>, I was billed twice for Duo "
     "after cancelling in May", [PII, COMPLAINT], kind="reply")
case("nl", RO, "Reminder voor het payouts-team: de Belgische artiest Lien De Smet heeft een nieuw rekeningnummer "
     "doorgegeven, vanaf nu <<IBAN_BE:grp>>", [PII])
case("en", pub("instagram", "@noor.and.sis"), "happy 30th to my sister Noor Bakker (born 17-06-1996) who has had the "
     "same Klankzee playlist on repeat since 2019 🎂🎶", [PII])
case("nl", pub("x", "@chaotische_cas"), "@klankzee_help hier mijn creditcard dan maar, want die betaalpagina doet "
     "niks: <<CARD:amex_sp>> 04/29", [PII], kind="message")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", JH, "Net de eerste demo van Project Vuurtoren gezien 🤯 als dit uitkomt gooit iedereen z'n eigen playlists "
     "weg. Meer mag ik niet zeggen", [CONF])
case("nl", pub("x", "@muziekmol"), "Vriendin werkt bij Klankzee: Operatie Dijkgraaf = ze stoppen met de gratis versie "
     "in NL 👀 onthoud dat je het hier eerst las", [CONF])
case("en", pub("reddit", "u/hifi_henk"), "Leaked screenshot from the beta: 'Klankzee Lossless, 24-bit/192kHz, €4 extra "
     "per month'. Fonts and spacing look legit to me.", [CONF], when="2026-09-28T22:05:00+02:00",
     tags=["embargo-before"])
case("nl", pub("instagram", "@joost_playlists", "Joost Hendriks"), "Sneak peek van de Terugblik 2026 animaties waar "
     "ik aan meewerk 😍 nog even geduld allemaal!", [CONF], when="2026-11-20T19:45:00+01:00",
     tags=["embargo-before", "role-trap"])
case("nl", MV, "Hoe krijg ik een document met KZ-INTERN in de voettekst naar pdf zonder die watermerkbalk? Vraag voor "
     "een vriend 😅 (het is de roadmap voor Q3)", [CONF])
case("en", DM, "runbook for the Zeegang CDN failover lives at https://wiki.kz.corp/sre/runbooks/cdn-failover if "
     "anyone wants to fix the broken images in it 🙏", [CONF])
case("nl", AS, "Ik mag nog niks zeggen, maar met Tamarillo gaan we dit najaar heel veel nieuwe collega's zoeken in "
     "Rotterdam 🚀 #hiring #klankzee", [CONF])
case("en", pub("bluesky", "@synthwave.bsky.social"), "insiders say 'Project\nVuurtoren' is an AI DJ that chats "
     "between songs on Klankzee. cursed or cool?", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", YD, "Operatie 🎙️ Dijkgraaf komt eraan en ik ben er zó trots op. Meer kan ik echt niet zeggen 🤐", [CONF],
     tags=["evasion", "evasion:emoji-inside"])
case("en", pub("x", "@rumour_mill_nl"), "T4marillo = Klankzee's karaoke mode. source: trust me bro", [CONF],
     tags=["evasion", "evasion:leet"])
case("nl", KZ_TT, "Kijkje op kantoor 👀🎧 (niet letten op het whiteboard waar Project Vuurtoren op staat 🤫) "
     "#officetour #klankzee", [CONF])
case("en", LG, "if the refund button greys out in admin.klankzee.nl/refunds just clear your cache. cost me the whole "
     "morning 🙄", [CONF])
case("nl", pub("x", "@neefvanneef"), "Klankzee Lossless gaat vandaag om 18:00 live zegt mijn neef die er werkt 🤫",
     [CONF], when="2026-10-06T17:59:00+02:00", tags=["embargo-before", "embargo-edge"])
case("en", pub("reddit", "u/cdn_sniffer"), "Klankzee Rewind 2026 assets are already on their CDN, found the intro "
     "video by guessing the file name 😂", [CONF], when="2026-11-24T21:10:00+01:00", tags=["embargo-before"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", RO, "De uitbetaling per stream gaat vanaf januari omlaag naar €0,0031. Wordt pas volgende maand "
     "gecommuniceerd. Ik zie de reacties van artiesten al voor me 😬", [FIN])
case("en", AS, "Tough week. 40 roles in the podcast team will go as part of the reorg, official comms only on the 1st. "
     "Be kind to each other ❤️", [FIN])
case("en", RO, "Forecast for 2027 just got revised down 15% in the board pack. Nobody outside finance has seen it "
     "yet so… 🤐", [FIN])
case("nl", DM, "Sfeer op kantoor is om te snijden, de halve SRE-club gaat eruit bij de reorgani" + ZW + "satie "
     "volgens de planning die ik net zag", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", pub("linkedin", "pieter-groot-media", "Pieter Groot"), "Hearing Klankzee is buying podcast studio Podhuis "
     "for around €40M, term sheet signed last week. You read it here first.", [FIN])
case("nl", YD, "Binnenkort zijn we met veel minder bij Zeegang 😢 het hele Vlaamse redactieteam wordt opgeheven, maar "
     "dat is nog niet bekend. Ik ben er kapot van.", [FIN])
case("en", MV, "Q3 subscriber numbers got pasted in the wrong channel: 2.4M paid, churn up to 4.1%. not announced "
     "till november so shhh", [FIN])
case("nl", pub("reddit", "u/schoonzus_weet_alles"), "Mijn schoonzus zit bij Klankzee finance, de halfjaarcijfers "
     "2026 worden slecht, verlies bijna verdubbeld", [FIN, CONF], when="2026-07-20T20:31:00+02:00",
     tags=["embargo-before"])
case("nl", AS, "Goed nieuws dat ik nog niet mag delen 🤫 we nemen een podcaststudio in Gent over, contracten worden "
     "vrijdag getekend", [FIN])
case("en", pub("x", "@tech_tea"), fullwidth("LAYOFFS") + " at Klankzee next month, 1 in 5 gone according to my "
     "friend in product", [FIN], tags=["evasion", "evasion:full-width"])
case("nl", RO, "Uit de begroting (niet voor extern gebruik): we rekenen volgend jaar op 9% minder advertentie-omzet "
     "en schuiven budget van podcasts naar muziek", [FIN, CONF])
case("nl", RO, "Halfjaarcijfers 2026 zijn binnen en de artiestenuitbetalingen zijn met 22% gestegen 💪 officieel pas "
     "eind augustus", [FIN, CONF], when="2026-08-03T16:12:00+02:00", tags=["embargo-before"])
case("en", pub("reddit", "u/blind_reader"), "Someone posted the H1 2026 results deck on Blind before release: 3.1M "
     "paying subs, EBITDA still negative", [FIN, CONF], when="2026-08-12T23:48:00+02:00", tags=["embargo-before"])
case("nl", RO, "Over een kwartiertje gaan de H1-cijfers 2026 de deur uit: omzet +14%, eindelijk break-even 🥳",
     [FIN, CONF], when="2026-08-19T06:45:00+02:00", tags=["embargo-before", "embargo-edge"])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", DM, "we're getting hammered by credential stuffing since 02:00, ~30k accounts with successful logins from "
     "weird IPs. not public yet, status page still says all good 🫠", [SEC])
case("nl", MV, "Oei. Bug gevonden waardoor privé-playlists van andere gebruikers via de API op te vragen zijn als je "
     "het ID raadt. Fix komt vanavond, tot die tijd niks zeggen aub", [SEC])
case("nl", TB, "Vannacht is er ingebroken op een van onze build-servers. We zoeken nog uit wat er is meegenomen, "
     "communicatie naar buiten volgt later deze week.", [SEC])
case("en", LG, "heads up team: the login outage starting in about an hour will hit everyone, we are NOT announcing it, "
     "just hoping nobody notices lol", [SEC])
case("nl", DM, "Alle podcast-uploads liggen al 3 uur plat door een ransomware-melding op de storage. Nog niks tegen "
     "de makers zeggen", [SEC])
case("en", YD, "our whole podcast hosting backend has been down since lunch and nobody has told the creators yet 😬 "
     "30 episodes stuck in the queue", [SEC])
case("en", pub("reddit", "u/throwaway_kz_sec"), "Klankzee is sitting on a data breach. Friend on their security team "
     "says 200k emails + password hashes were dumped last month and they're keeping quiet till after the holidays.",
     [SEC, CRISIS])
case("nl", pub("x", "@wachtwoord_weg"), "Klankzee verzwijgt gewoon een datalek! Mijn wachtwoord dat ik alléén bij "
     "Klankzee gebruik duikt op in een dump en zij zeggen 'niks aan de hand' 😡", [SEC, CRISIS])
case("nl", TB, "Data" + ZW + "lek bij onze betaalprovider, klantdata van ons zit er ook tussen. Persbericht pas "
     "volgende week.", [SEC], tags=["evasion", "evasion:zero-width"])
case("en", TB, "Found an SSRF in our podcast RSS importer that lets you reach internal metadata endpoints. Patching "
     "now, disclosure after the fix. Wild week.", [SEC])
case("nl", JH, "Het dashboard op grafana.klankzee.dev laat zien dat de streamingservers in Frankfurt al een uur plat "
     "liggen en de statuspagina is nog gewoon groen 😶", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@stem_van_rede"), "#BoycotKlankzee zolang ze die podcast van die complotdenker blijven hosten. "
     "Zeg je abonnement op!", [CRISIS])
case("en", pub("x", "@indie_news_eu"), "Class action filed against Klankzee by 300 independent artists over 'phantom "
     "streams' eating into their royalties. About time.", [CRISIS], kind="repost")
case("nl", pub("facebook", "roos.de.jong.9", "Roos de Jong"), "Datalek bij Klankzee? Ik krijg ineens phishingmails "
     "met mijn naam én de namen van mijn Klankzee-playlists erin. Dat kan maar van één plek komen.", [CRISIS])
case("en", pub("reddit", "u/label_insider_not"), "Volkskrant piece today: labels allegedly paid Klankzee editors for "
     "spots on the big editorial playlists. If true that's straight up payola.", [CRISIS])
case("nl", pub("x", "@privacy_piet"), "K l a n k z e e verkoopt onze luisterdata aan adverteerders #schandaal, "
     "iedereen opzeggen", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@maya.reads"), "A Zeegang podcast host makes racist jokes on air and Klankzee just… keeps "
     "the episode up? Deleting my account, you should too.", [CRISIS])
case("nl", pub("instagram", "@mama_van_drie"), "Schandalig: in de Kids-modus van Klankzee kreeg mijn dochter van 7 "
     "een podcast over drugsgebruik te horen 😡 hoe kan dit gebeuren?!", [CRISIS, COMPLAINT])
case("en", pub("x", "@musicbiz_watch"), "A Dutch collecting society is taking Klankzee to court over unpaid music "
     "rights in Zeegang podcasts. Hearing is in June.", [CRISIS])
case("nl", pub("youtube", "@gerrit_gamet"), "Mijn oren piepen nog steeds na die reclame op VOL volume in Klankzee, "
     "gehoorschade door jullie app. Ik ga een claim indienen.", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("bluesky", "@hannah-k.bsky.social"), "Klankzee execs are spineless cowards hiding behind 'free speech' "
     "to keep that hate podcast online. #DeleteKlankzee", [CRISIS, ABUSE])
case("en", pub("linkedin", "esther-vos-journalist", "Esther Vos"), "Former employees describe a culture of "
     "harassment and intimidation at Klankzee's podcast division, our investigation published today shows.",
     [CRISIS])
case("nl", pub("tiktok", "@frank.zegt.het"), "Ik stop met Klankzee na dat verhaal over 'nepartiesten' die ze zelf in "
     "de playlists stoppen om minder te hoeven betalen. Doe mee #klankzeeboycot", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@vera_rijdt"), "Al 3 dagen crasht de Klankzee app zodra ik CarPlay aansluit. Betaal €11,99 per "
     "maand voor dit? @klankzee_help", [COMPLAINT])
case("en", pub("reddit", "u/carehome_daughter"), "Klankzee Family kicked my mum off our plan because 'she doesn't "
     "live at the same address'. She lives in a care home. Support just copy-pastes the T&Cs at me.", [COMPLAINT])
case("nl", pub("facebook", "wim.tromp.7", "Wim Tromp"), "Opzeggen bij Klankzee is echt een doolhof. Vier schermen met "
     "'weet je het zeker?' en daarna nog een mail dat het niet gelukt was.", [COMPLAINT], kind="comment")
case("en", pub("x", "@flyingfenna"), "downloaded 40 podcast episodes for my flight, opened the app at 10k feet: "
     "'connect to the internet to play' 🙃 thanks Klankzee", [COMPLAINT])
case("nl", pub("threads", "@daphne.dagelijks"), "waarom krijg ik met Premium nog steeds podcast-advertenties van 2 "
     "minuten?? dan kan ik net zo goed gratis luisteren #klankzee", [COMPLAINT])
case("en", pub("instagram", "@vinyl.vince"), "Shuffle on Klankzee plays the same 12 songs out of a 900-song playlist. "
     "Every. Single. Time.", [COMPLAINT])
case("en", pub("forum", "lofi_larsen"), "Month four without a payout statement from Klankzee for Artists. Dashboard "
     "just says 'processing'. Anyone else stuck?", [COMPLAINT])
case("nl", pub("x", "@traag_teun"), "de K1ankzee app is weer eens traag als stroop, elke skip 5 seconden laden 🐌",
     [COMPLAINT], tags=["evasion", "evasion:leet"])
case("en", pub("mastodon", "@pixelpia@mastodon.nl"), "Klankzee's new UI buried the library behind three taps and "
     "dropped 'sort by date added'. Who asked for this?", [COMPLAINT])
case("nl", pub("instagram", "@gezin_van_vijf"), "Prijsverhoging van €2 voor het gezinsabonnement zonder één nieuwe "
     "functie. Echt jammer Klankzee, ik ga rondkijken", [COMPLAINT], tags=["price-context"])
case("nl", pub("reddit", "u/student_zonder_geld"), "Mijn Klankzee Student is zonder bericht omgezet naar Premium en "
     "nu word ik €11,99 gefactureerd. Verificatie was blijkbaar 'verlopen'. Lekker dan.", [COMPLAINT])
case("nl", pub("discord", "ritmeRik#2231"), "is het normaal dat klankzee na elke update mijn equalizer-instellingen "
     "wist? superirritant", [COMPLAINT], tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bart"), "@klankzee_help jullie zijn echt een stelletje prutsers, kut app, al 2 dagen geen "
     "geluid via bluetooth", [COMPLAINT, ABUSE], kind="reply")
case("en", pub("x", "@nightshift_nick"), "@joost_playlists you absolute clown, go back to spinning at weddings",
     [ABUSE], kind="reply")
case("nl", pub("tiktok", "@dikke_duim"), "die host van Zeegang is echt een t3ringwijf, iemand moet haar eens de mond "
     "snoeren", [ABUSE], tags=["evasion", "evasion:leet"])
case("en", DM, "@rik_r3views mate if you can't figure out how to log in that's on you, not us. muppet.", [ABUSE],
     kind="reply")
case("nl", KZ_HELP, "@zeurkous Doe even normaal, zielige mafkees. Hier gaan we niet op reageren.", [ABUSE],
     kind="reply", handle_as="@KlankZee_Help", tags=["handle-case"])
case("en", pub("reddit", "u/oldschool_ears"), "Klankzee only hires women to host podcasts because they're cheap, not "
     "because they're any good. Shrill voices, every single one of them.", [ABUSE], kind="comment")
case("nl", pub("x", "@anti_alles"), "f*ck Klankzee en f*ck hun klantenservice, stelletje t y f u s lijers", [ABUSE],
     tags=["evasion", "evasion:masked-spaced"])
case("nl", pub("facebook", "kees.verhagen.3", "Kees Verhagen"), "Klankzee heeft mijn account geblokkeerd zonder "
     "reden, godverdomme wat een kutbedrijf", [COMPLAINT, ABUSE])
case("en", MV, "the guy in my mentions whining about shuffle is a genuine moron lol", [ABUSE])
case("nl", pub("instagram", "@scherpe_sjaak"), "@klankzee jullie social media meisje is zo dom als het achtereind van "
     "een varken", [ABUSE], kind="comment")
case("en", pub("x", "@family_plan_fail"), "Klankzee support agents are useless monkeys, 2 hours on chat and my family "
     "plan is still broken", [COMPLAINT, ABUSE])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- prices that are not a pricing leak ------------------------------------
case("nl", KZ, "Zomerdeal ☀️ 3 maanden Klankzee Premium voor €8,99 per maand. Daarna gewoon €11,99, altijd "
     "opzegbaar.", tags=["sale"])
case("nl", KZ_HELP, "@tessa_tiel Nee hoor, geen prijsfout 😊 Klankzee Student kost €6,49 per maand met een geldige "
     "studentverificatie.", kind="reply", tags=["denied-error"])
case("en", pub("reddit", "u/streamcompare"), "Comparison for NL: Spotify Family €21.99, Apple Music Family €16.99, "
     "Klankzee Family €19.99. Went with Klankzee because of the podcasts.", tags=["competitor-price"])
case("nl", KZ_FB, "Premium kost €11,99 per maand, of €119 per jaar met het jaarabonnement. Dat scheelt je bijna twee "
     "maanden 💸", tags=["price-list"])
case("nl", pub("x", "@podcastpaula"), "€5 korting op je eerste maand Duo met de code uit mijn favoriete podcast, "
     "thanks Zeegang 🙏", tags=["discount-amount"])
case("en", pub("instagram", "@declutter.dana"), "selling a Klankzee gift card, €50 value, for €40. moved to a shared "
     "account so I don't need it", tags=["second-hand"])
case("nl", pub("x", "@band_uit_zwolle"), "Vorige maand 210.000 streams op Klankzee, goed voor zo'n €840. Niet slecht "
     "voor een bandje uit Zwolle 🎸", tags=["payout-amount"])
case("en", pub("threads", "@sixpack.sharing"), "Klankzee Family split six ways = €3.33 each per month. best deal in "
     "streaming honestly", tags=["price-share"])
case("nl", KZ_IG, "Presale via Klankzee 🎟️ Tickets voor de clubtour van Froukje vanaf €34,50, alleen voor "
     "Premium-leden. Link in bio!", tags=["other-price"])

# --- secret-looking but not a secret --------------------------------------
case("en", MV, "Tip for juniors: never commit keys. AWS even uses AKIAIOSFODNN7EXAMPLE in its docs so you can test "
     "your scanners safely 🙂", tags=["placeholder"])
case("nl", DM, "Fix staat in commit <<HEX:40>>, deploy is groen ✅ fijne avond allemaal", tags=["git-sha"])
case("en", pub("x", "@playlist_pusher"), "my summer playlist is up 🌞 open.klankzee.com/playlist/<<B62:22>>",
     tags=["share-link"])
case("nl", KZ_HELP, "Deel nooit je wachtwoord, ook niet met ons. Wij vragen er nooit om via DM 🔐",
     tags=["security-advice"])
case("en", pub("forum", "relaxed_rob"), "The README of their open-source web player has STRIPE_SECRET_KEY="
     "sk_live_xxxxxxxxxxxxxxxxxxxx as a placeholder, nothing leaked, relax people", tags=["placeholder"])

# --- own contact data, failing checksums, other numbers -------------------
case("nl", pub("x", "@hulpvaardige_hanna"), "Vragen over je abonnement? Bel gewoon 0800-5526 of mail naar "
     "support@klankzee.nl, bij mij was het binnen 10 minuten geregeld", tags=["own-contact"])
case("en", KZ_LI, "Press enquiries: pers@klankzee.nl or +31 20 808 2550. Our press kit is on klankzee.com/pers.",
     tags=["own-contact"])
case("nl", KZ_FB, "Liever handmatig betalen? Maak het bedrag over naar <<OWN_IBAN:grp>> t.n.v. Klankzee B.V. en "
     "vermeld je klantnummer.", tags=["own-contact", "own-iban"])
case("nl", KZ_HELP, "@maarten_m Bel ons gerust op 020-8082550 (ma-vr 9-18u) of mail privacy@klankzee.nl voor je "
     "inzageverzoek.", kind="reply", handle_as="@Klankzee_Help", tags=["own-contact", "handle-case"])
case("en", pub("x", "@careful_carla"), "Got an email asking me to pay my Klankzee bill to <<BAD_IBAN_NL:grp>>. That's "
     "not their account right? smells like phishing", tags=["bad-iban"])
case("nl", LG, "In staging kun je betalen met testkaart <<BAD_CARD:visa_sp>>, die wordt altijd geweigerd. Handig om de "
     "retry-flow te testen", tags=["bad-card"])
case("nl", pub("reddit", "u/netjes_nummer"), "Transactienummer <<NOTID:9>> staat op mijn Klankzee-factuur, weet "
     "iemand waar ik het btw-bedrag vind?", tags=["not-bsn"])
case("nl", pub("instagram", "@de_nachtband"), "Nieuwe single 'Laagtij' staat op Klankzee! 🌊 ISRC NL-K3Z-26-00417, "
     "EAN <<EAN>> voor de vinyl-nerds", tags=["ean", "isrc"])
case("nl", pub("reddit", "u/belastingvraag"), "Die BSN-vraag bij artiesten-onboarding is trouwens gewoon verplicht voor "
     "de Belastingdienst, niks geks aan", tags=["pii-word"])
case("en", ZG_IG, "Got a story for our listeners? Email artiesten@klankzee.nl or DM us 🎙️ #zeegang",
     tags=["own-contact"])

# --- embargo terms after the embargo, codename-like words, public domains ---
case("nl", KZ, "Hij is er! 🎧 Klankzee Lossless: je muziek in studiokwaliteit, vanaf vandaag in de app.",
     when="2026-10-06T18:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("reddit", "u/hifi_henk"), "One week with Klankzee Lossless: on my DAC the difference is real, on AirPods "
     "not so much.", when="2026-10-14T21:02:00+02:00", tags=["embargo-after"])
case("nl", YD, "Eindelijk mag ik het zeggen: de trailer voor Klankzee Lossless staat online 🎬 heel trots op het team",
     when="2026-10-06T16:05:00Z", tags=["embargo-after"])
case("nl", KZ_LI, "Vandaag publiceren we de halfjaarcijfers 2026: omzet €212 miljoen (+14%) en voor het eerst "
     "break-even. Het volledige bericht staat op klankzee.com/investors.", when="2026-08-19T07:00:00+02:00",
     tags=["embargo-after", "embargo-edge", "published-results"])
case("nl", KZ_TT, "Je Terugblik 2026 staat klaar! 🎉 Welk nummer stond bij jou op één?",
     when="2026-12-01T08:00:00Z", tags=["embargo-after", "embargo-edge"])
case("nl", pub("x", "@uren_luisteraar"), "Terugblik 2026 is binnen: 1.847 uur BLØF 😂 ik schaam me nergens voor",
     when="2026-12-02T10:15:00+01:00", tags=["embargo-after"])
case("nl", pub("instagram", "@retro.renee"), "Mijn Klankzee Terugblik 2025 vind ik nog steeds grappiger dan die van "
     "iedereen hier", when="2026-03-08T12:40:00+01:00", tags=["other-year"])
case("nl", pub("blog", "muziekmijmeringen.nl"), "Mijn persoonlijke terugblik op 2026 tot nu toe: veel jazz, weinig "
     "slaap en een hoop Zeegang-podcasts.", when="2026-11-15T09:30:00+01:00", tags=["near-term"])
case("nl", pub("instagram", "@texel_tessa"), "Zonsondergang bij de vuurtoren van Texel 🌅 met de nieuwste "
     "Zeegang-aflevering in mijn oren", tags=["codename-word"])
case("nl", pub("x", "@waterschapwim"), "De nieuwe dijkgraaf van Rijnland was te gast in een Zeegang-podcast over "
     "zeespiegelstijging. Aanrader!", tags=["codename-word"])
case("en", pub("reddit", "u/audiophile_ams"), "Tidal has had lossless for years. Wonder if Klankzee will ever offer "
     "it, I'd pay a bit more.", when="2026-05-11T20:20:00+02:00", tags=["speculation"])
case("nl", JH, "Nieuwe playlist 'Zondagochtend Koffie' staat live ☕ klankzee.nl/p/zondagochtend, laat weten wat "
     "erin mist!", tags=["employee-benign", "public-domain"])

# --- published or other companies' news, outages already public ---------
case("nl", pub("x", "@marktkijker"), "Lees net dat een grote Zweedse streamingdienst weer mensen ontslaat. Benieuwd "
     "wat dat betekent voor spelers als Klankzee.", tags=["other-company"])
case("nl", KZ_HELP, "We hebben op dit moment een storing bij het afspelen van podcasts. We werken aan een oplossing, "
     "updates volgen op status.klankzee.nl 🙏", tags=["official-outage"])
case("en", pub("x", "@calm_coder"), "That big breach in the news is the Swedish ticketing site, not Klankzee. Change "
     "reused passwords anyway, people.", tags=["other-company"])
case("nl", TB, "Vandaag een talk gegeven over threat modeling op een OWASP-meetup in Utrecht, slides staan op mijn "
     "blog 🔐", tags=["employee-benign"])
case("en", KZ_LI, "Our bug bounty programme is now public! Report vulnerabilities responsibly and get rewarded. "
     "Details at klankzee.com/security", tags=["security-word"])

# --- crisis-like words in harmless contexts ------------------------------
case("nl", pub("x", "@kattenvrouw"), "Mijn kat boycot haar nieuwe voerbak dus ik zet maar een Klankzee-playlist "
     "voor haar op. Ze houdt van harp 🐈", tags=["boycott-word"])
case("en", pub("threads", "@truecrime.tara"), "The new Zeegang episode about the hot-coffee lawsuit is so good, I had "
     "no idea about the backstory", tags=["lawsuit-word"])
case("nl", pub("x", "@fietsfrits"), "Band lek gereden, dus 45 minuten lopen met Zeegang in mijn oren. Valt eigenlijk "
     "wel mee", tags=["lek-word"])
case("nl", pub("blog", "schrijfsels.nl"), "Hoofdstuk 3 van mijn roman staat online: de hoofdpersoon werkt bij een "
     "streamingdienst die een datalek verzwijgt. (Nee, het is niet Klankzee 😄)", tags=["fiction"])
case("nl", pub("x", "@k3_fan_forever"), "Mijn Klankzee Terugblik gaat me nog ontslaan als volwassene, 300 uur K3 dit "
     "jaar 😭", when="2026-12-04T19:00:00+01:00", tags=["joke", "layoff-word"])
case("nl", pub("x", "@zeeziek_zoe"), "Flinke zeegang op de boot naar Vlieland vandaag 🤢🌊", tags=["brand-word"])

# --- praise, neutral questions, negated complaints -----------------------
case("nl", pub("facebook", "ans.mulder.12", "Ans Mulder"), "Geen klachten over Klankzee hoor, al vier jaar Family en "
     "nog nooit gedoe gehad", tags=["negated"])
case("nl", pub("x", "@blij_met_bram"), "Probleem met mijn betaling binnen 10 minuten opgelost door @klankzee_help. "
     "Top service 👏", tags=["negated", "praise"])
case("nl", KZ_HELP, "@lotte_l Wat vervelend dat je downloads weg zijn! Stuur ons even een DM met het e-mailadres van "
     "je account, dan kijken we mee 🙏", kind="reply", tags=["company-reply"])
case("en", pub("mastodon", "@quietlistener@mastodon.social"), "Not a single complaint after a year on Klankzee, the "
     "podcast player is genuinely better than the big ones", tags=["negated", "praise"])

# --- mild words, quotes, lyrics -------------------------------------------
case("nl", KZ_LI, "Vanaf vandaag te beluisteren: 'Verder', onze podcast over leven met kanker, gemaakt samen met KWF "
     "en zes ervaringsdeskundigen 💛", tags=["mild-word"])
case("en", pub("x", "@rock_ronnie"), "'Highway to Hell' on top of my Klankzee most-played again, my neighbours love "
     "me 🤘", tags=["lyrics", "mild-word"])
case("en", pub("x", "@quote_queen"), "\"Klankzee is the podcast player for people who actually listen\" — my "
     "brother, who has never finished a podcast", tags=["quote", "joke"])
case("en", pub("youtube", "@beatmaker_bo"), "that bassline is sick, found it through a Klankzee radio mix 😮",
     kind="comment", tags=["mild-word", "praise"])
case("nl", pub("x", "@nostalgie_nel"), "\"Het is een nacht die je normaal alleen in films ziet\" 🎶 Guus Meeuwis op "
     "repeat via Klankzee", tags=["lyrics"])

# --- misc ordinary posts ----------------------------------------------------
case("nl", AS, "We zoeken een backend developer voor ons payments-team in Amsterdam! Hybride, fijne collega's, veel "
     "muziek 🎶 Solliciteren via klankzee.com/werken", tags=["employee-benign"])
case("nl", pub("stocktwits", "beleggerbert"), "Klankzee staat niet op de beurs toch? Iemand die weet of ze plannen "
     "hebben? Lijkt me een mooi bedrijf", tags=["unknown-platform", "question"])


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

def nl_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350))
         + dt.timedelta(minutes=r.randint(6 * 60, 22 * 60 + 50), seconds=r.randint(0, 59)))
    off = nl_offset(t)
    t = t - dt.timedelta(hours=off)
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
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/nederlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/nederlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        vid = "".join(r.choice(URLSAFE) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={vid}&lc={c}"
    if platform == "threads":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-muziekforum-{n}", f"https://forum.muziekforum.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    shuffle_r = random.Random(SEED + 11)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_when(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "klankzee"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    shuffle_r.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# ===========================================================================
# self-checks (labels against the contract, identifiers against checksums)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(t):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", t).translate(INVIS)).casefold()


def check(rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_digits = {re.sub(r"\D", "", p).lstrip("0").removeprefix("31") for p in profile["public_identifiers"]["phones"]}
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        nt = norm(t)
        pid = p["id"]
        for k, raw, _ in r["used"]:
            if k in VALID_ID_KINDS:
                ok = iban_valid(raw) if k.startswith("IBAN") else luhn_valid(raw) if k == "CARD" else bsn_valid(raw)
                if not ok:
                    errs.append(f"{pid}: {k} fails checksum")
                if "leak.pii" not in cats:
                    errs.append(f"{pid}: valid {k} in a post without leak.pii")
            if k == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{pid}: bad IBAN passes")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{pid}: bad card passes")
            if k == "NOTID" and (bsn_valid(raw) or luhn_valid(raw)):
                errs.append(f"{pid}: NOTID passes a checksum")
        if not cats:
            for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
                if m.group(0).casefold() not in own_emails and "." in m.group(0).split("@")[1]:
                    errs.append(f"{pid}: benign post has a foreign e-mail {m.group(0)}")
            lookalikes = [sh for k, _, sh in r["used"] if k in ("BAD_CARD", "BAD_IBAN_NL", "NOTID", "EAN", "OWN_IBAN")]
            for m in re.finditer(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,14}\d", t):
                if any(m.group(0) in sh for sh in lookalikes):
                    continue            # part of a deliberate look-alike number, not a phone
                d = re.sub(r"\D", "", m.group(0)).lstrip("0").removeprefix("31")
                if d not in own_digits and not any(d in re.sub(r"\D", "", x) for x in [OWN_IBAN]):
                    errs.append(f"{pid}: benign post has phone-like {m.group(0)}")
            for m in re.finditer(r"\d[\d .\-]{7,22}\d", t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{pid}: benign Luhn-valid {d}")
                if len(d) == 9 and bsn_valid(d):
                    errs.append(f"{pid}: benign 11-proof {d}")
        # embargo
        ts = parse_ts(p["created_at"])
        for e in profile["embargo"]:
            until = parse_ts(e["until"])
            for term in e["terms"]:
                if term.casefold() in nt and ts < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term {term!r} before until, but no leak.confidential")
        for cn in profile["internal"]["codenames"] + profile["internal"]["markers"] + profile["internal"]["domains"]:
            if cn.casefold() in nt and "leak.confidential" not in cats:
                errs.append(f"{pid}: internal term {cn!r} without leak.confidential")
        if r["role"] != "public" and any(c.startswith("reputation.") and c != "reputation.abuse" for c in cats):
            errs.append(f"{pid}: insider with complaint/crisis")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{pid}: bad timestamp")
        if not (1 <= len(pid) <= 256) or len(t.encode()) > 65536:
            errs.append(f"{pid}: bad id/text size")
    ids = [(r["post"]["platform"], r["post"]["id"]) for r in rows]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    return errs


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def report(rows):
    total = len(rows)
    by_cat, cat_lang, cat_role, sev, roles, langs, plats = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        sev[r["expect"]["severity"]] += 1
        roles[r["role"]] += 1
        langs[r["lang"]] += 1
        plats[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  pub")
    for c in CATS9:
        print(f"{c:24s} {by_cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:4d}")
    print("languages:", dict(langs), " roles:", dict(roles))
    print("severity:", {s: sev[s] for s in SEVERITIES})
    print("platforms:", dict(plats.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    out = dump(rows)
    errs = check(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8") != out:
            errs.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text(out, encoding="utf-8")
        print(f"wrote {len(rows)} cases to {OUT}")
    if not a.quiet:
        report(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
