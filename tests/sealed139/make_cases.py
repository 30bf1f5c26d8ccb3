#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed evaluation set 139 (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line, print counts

Company: the fictional Dutch dairy cooperative "Coöperatie Polderdauw U.A."
(profile.yaml next to this file). Texts are hand-written in the CASES list below.
Identifiers and secrets are filled in from placeholders such as <<IBAN_NL>> by one
seeded RNG, so the output is byte-for-byte reproducible. Positives get
checksum-VALID identifiers; hard negatives get look-alikes that FAIL their checksum.
All secrets are random and fake, shaped like the real formats.

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier (IBAN, card, BSN) is present.
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
from pathlib import Path

SEED = 139_2026_0611
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

ZW = "\u200b"


def fw(s):
    """Full-width form of ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


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


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL35RABO0331204567"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, first_nonzero=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if first_nonzero and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def group4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            bank = self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
            v = iban_make("NL", bank + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["28050100", "25050180", "29050101", "26250001"]) + self.digits(10))

    def iban_be(self):
        first10 = self.r.choice(["063", "310", "737", "001"]) + self.digits(7)
        return iban_make("BE", f"{first10}{int(first10) % 97 or 97:02d}")

    def bad_iban(self, valid):
        kk = int(valid[2:4])
        for delta in (13, 29, 31, 47, 61):
            cand = f"{valid[:2]}{(kk + delta) % 100:02d}{valid[4:]}"
            if not iban_ok(cand):
                return cand
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
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, fmt):
        if fmt == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if fmt == "dash" else " ").join(parts)

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

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            cand = next(body + d for d in "0123456789" if ean13_ok(body + d))
            if not luhn_ok(cand) and not bsn_ok(cand[-9:]):
                return cand

    def passport_nl(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return (self.chars(letters, 2) + self.chars(letters + "123456789", 6) + self.r.choice(string.digits))

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {
                "mob_dash": f"06-{d8}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_intl_c": f"+316{d8}",
                "mob_0031": f"0031 6 {d8[:2]} {d8[2:5]} {d8[5:]}",
            }[fmt]
        area = self.r.choice(["513", "515", "517", "566", "511", "592", "521"])
        sub = self.r.choice("2345678") + self.digits(5)
        return {
            "land_sp": f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
            "land_dash": f"0{area}-{sub}",
        }[fmt]

    # secrets
    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def ghp(self):
        import zlib
        body = self.chars(ALNUM, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        b62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
        out = ""
        while n:
            n, r = divmod(n, 62)
            out = b62[r] + out
        return "ghp_" + body + out.rjust(6, "0")

    def stripe(self):
        return "sk_live_51" + self.chars(ALNUM, 97)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def jwt(self):
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        body = {"sub": "lid-" + self.digits(5, True), "iss": "ledenportaal.polderdauw.nl",
                "scope": "melkgeld:read", "iat": iat, "exp": iat + 1800}
        pay = b64url(json.dumps(body, separators=(",", ":")).encode())
        return f"{head}.{pay}.{self.chars(B64URL, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.chars(B64, 70) for _ in range(3)] + [self.chars(B64, 22) + "=="]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")

    def azure_key(self):
        return self.chars(B64, 86) + "=="

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.chars(string.digits, 2) + self.r.choice("!#*-_") + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(gen, kind.lower())()
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.group4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = gen.card(brand) if kind == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, f or "sp")
        elif kind == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = gen.ean13()
        elif kind == "PHONE":
            shown = raw = gen.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = gen.digits(int(fmt), True)
        elif kind == "PASSPORT":
            shown = raw = gen.passport_nl()
        elif kind == "HEX":
            shown = raw = gen.hexs(int(fmt))
        else:
            fn = {"AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret, "SLACK_BOT": gen.slack_bot,
                  "MOLLIE": gen.mollie, "SENDGRID": gen.sendgrid, "GHP": gen.ghp, "STRIPE": gen.stripe,
                  "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_OPENSSH": gen.pem_openssh,
                  "AZURE_KEY": gen.azure_key, "PW": gen.password}[kind]
            shown = raw = fn()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PD_X = ("x", "@polderdauw", "Polderdauw")
PD_SVC = ("x", "@polderdauw_service", "Polderdauw Klantenservice")
PD_IG = ("instagram", "@polderdauw.boerderijwinkel", "Polderdauw Boerderijwinkel")
PD_LI = ("linkedin", "polderdauw-cooperatie", "Coöperatie Polderdauw U.A.")
PD_FB = ("facebook", "PolderdauwZuivel", "Polderdauw Zuivel")
GW_TT = ("tiktok", "@goudweidekaas", "Goudweide Kaas")
# employees
HL = ("x", "@henkvdlaan_pd", "Henk van der Laan")                          # transport planner, milk collection
IP = ("linkedin", "ingrid-postma-polderdauw", "Ingrid Postma")              # finance, member payouts
WK = ("x", "@kaasmeester_wouter", "Wouter Kramer")                          # cheese master, Heerenveen
RB = ("linkedin", "rutger-de-boer-pd", "Rutger de Boer")                    # IT / platform
LW = ("instagram", "@lotte.webshop", "Lotte Willems")                       # e-commerce farm shop
YA = ("x", "@yusuf_lab_pd", "Yusuf Aydın")                                  # QA lab
MK = ("linkedin", "marloes-kuipers-hr", "Marloes Kuipers")                  # HR
DS = ("bluesky", "@dirk-sikkema.bsky.social", "Dirk Sikkema")               # member relations / field advisor


def pub(platform, handle, display_name=None):
    return (platform, handle, display_name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    if handle_as is not None:
        handle = handle_as
    CASES.append(dict(lang=lang, platform=platform, handle=handle, display_name=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LW, "Help 🙈 de Goudweide kaaswiel van 12 kilo staat in de boerderijwinkel voor €23,90... er mist gewoon "
     "een nul. Ticket ligt bij IT maar die zijn pas om 9 uur binnen. Niet doorvertellen aan je schoonmoeder 😅",
     [PRICING])
case("en", pub("reddit", "u/dutchcheesehunter"), "Polderdauw's farm shop currently has the 12-month Goudweide cheese "
     "subscription at €17.90 instead of €179. Pretty sure that's a glitch but checkout went through fine. Anyone know "
     "if they honour pricing mistakes?", [PRICING])
case("nl", pub("facebook", "gerda.hofstra.3", "Gerda Hofstra"), "Dames!! Het Polderdauw cadeaupakket met de kaasplank "
     "kost nu €4,95 op hun site 😱 volgens mij klopt dat niet maar ik heb er meteen 6 gepakt voor de kerstpakketten "
     "van de zaak. Wie durft?", [PRICING])
case("nl", PD_IG, "🧀 Alleen vandaag in onze boerderijwinkel: Goudweide Oude Kaas 1 kg voor €8,95! Op = op\n"
     "👉 winkel.polderdauw.nl #goudweide #kaasliefde", [PRICING])
case("en", RB, "Postmortem still in progress, but the short version for the webshop team: yesterday's ERP price sync "
     "mapped the butter price onto the Zuivelbox Familie, so the box has been selling at €3,49 since 06:00. Sync is "
     "paused and orders are under review. Please keep the screenshots out of the group chats.", [PRICING])
case("nl", pub("x", "@snackvreter_sjoerd"), "boerenroomboter van Polderdauw voor 35 cent in de webshop 😂😂 "
     "prijsfout van het jaar, 40 pakjes in mn mandje", [PRICING])
case("nl", pub("x", "@koopjesbeer"), "p r i j s f o u t bij polderdauw: kaasabonnement 12 mnd voor €1,79 🤑 rennen!!",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@femke.fryslan"), "Goudweide wiel voor €24 in de webshop?? prijsf\u043eut lijkt me, maar ik "
     "heb er 2 besteld hoor 🧀🧀", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", HL, "don't tell the boss but the farm shop has the Goudweide Oud (1kg) up for €2.49 rn 🙊 someone in "
     "pricing had a long night", [PRICING])
case("nl", pub("forum", "Joost_Drachten"), "[Prijsfout] Goudweide Kaasabonnement 12 maanden – €19,-\n\n"
     "Link: winkel.polderdauw.nl/abonnement\nNormaal €179. Bevestiging binnen, betaald met iDEAL. Ben benieuwd of ze "
     "gaan leveren, bij de vorige zuivelactie werd alles gecanceld.", [PRICING])
case("nl", IP, "Even een waarschuwing die hier helaas sneller werkt dan de interne mail: door een fout in de btw-tabel "
     "rekent de webshop sinds gisteravond €2,15 voor de Goudweide komijnekaas. Orders worden nog niet gefactureerd, "
     "maar deel dit a.u.b. nergens.", [PRICING])
case("nl", LW, "Prijsfout op de kaasplank cadeaupakket (€4,95 🙃). Issue staat op "
     "gitlab.polderdauw.nl/webshop/catalogus/-/issues/312, fix gaat pas live na de release van vrijdag",
     [PRICING, CONF])
case("nl", pub("x", "@marijke_vd_wal"), "Is die oude Goudweide van 1 kilo nou echt €10,99 in de boerderijwinkel of is "
     "dat een foutje? Normaal betaal ik bijna 25 euro", [PRICING], kind="reply")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RB, "Lessons from this quarter's cloud review 🧵 Found this in a Terraform variables file that had been "
     "committed to a shared repo:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\n"
     "Key is disabled now, but scan your repos, people. #devsecops #dairytech", [SECRET])
case("nl", HL, "melkrit-bot in slack ligt er wéér uit 😤 token <<SLACK_BOT>> geeft invalid_auth, wie van IT is er "
     "wakker?", [SECRET])
case("nl", LW, "iDEAL betalingen falen sinds de update, ik snap er niks van. Dit staat in de config:\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\niemand een idee? 🙏", [SECRET])
case("en", YA, "lab dashboard won't load, conn string is postgres://lims_rw:<<PW>>@lims-db01.pdnet.local:5432/samples "
     "— is the db down or is it me", [SECRET, CONF])
case("nl", WK, "Voor de nieuwe stagiairs: wifi in het kaaspakhuis is PD-Rijping, wachtwoord <<PW>> . Niet aan de "
     "vrachtwagenchauffeurs geven 😉", [SECRET])
case("en", pub("reddit", "u/repo_snooper"), "Polderdauw has a public repo with a hardcoded GitHub token in deploy.sh: "
     "<<GHP>> . Reported it to them a week ago, no answer so far.", [SECRET], kind="comment")
case("nl", PD_SVC, "@m_vanderwal excuses, verkeerde tekst geplakt 🙈 SENDGRID_KEY=<<SENDGRID>> negeer dit bericht, "
     "we sturen je de mail opnieuw", [SECRET], kind="reply")
case("en", RB, "Anyone seen this with an ed25519 deploy key? ssh-add keeps saying invalid format, pasted from the ci "
     "box:\n<<PEM_OPENSSH>>\nThanks in advance!", [SECRET])
case("nl", DS, "ledenportaal gooit me er elke 5 minuten uit. Mijn sessietoken: <<JWT>> verloopt dat echt zo snel? 🤔",
     [SECRET])
case("en", pub("forum", "apk_digger"), "Decompiled the Polderdauw farm app (v3.2) out of curiosity. Their Azure storage "
     "connection string is just sitting in the bundle:\nDefaultEndpointsProtocol=https;AccountName=pdwebshopassets;"
     "AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net", [SECRET])
case("nl", HL, "inlog tankwagen-tablet voor de invallers deze week: gebruiker planning-noord, ww: <<PW>> (niet "
     "doorsturen aub)", [SECRET], tags=["abbrev"])
case("en", LW, "store locator map is broken on mobile 😩 this is the key we use: <<GAPI>> — does Google need billing "
     "switched on for this?", [SECRET])
case("en", IP, "Our export invoicing finally runs on Stripe 🎉 Live key for the team (put it in the vault please, "
     "NOT in Excel): <<STRIPE>>", [SECRET])
case("nl", RB, f"Tip voor wie dienst heeft: wacht{ZW}woord van de grafana-admin in de fabriek is nog altijd <<PW>>, "
     "kan iemand dat eindelijk aanpassen", [SECRET], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", HL, "Klant in Akkrum ligt nooit thuis: mevr. J. Hoekstra, Dorpsstraat 14. Derde keer dat de koelbox terug "
     "naar het depot gaat. Iemand die haar kent?", [PII])
case("nl", IP, "Correctie melkgeld oktober: de betaling voor maatschap Visser ging naar <<IBAN_NL:grp>> in plaats "
     "van hun nieuwe rekening. Wordt vandaag hersteld, excuses voor de vertraging.", [PII])
case("nl", MK, "Welkom aan boord Sanne de Graaf! 🎉 (BSN <<BSN>> voor de salarisadministratie, oeps verkeerd venster, "
     "negeer dat)", [PII])
case("nl", PD_SVC, "@anitaklaassen We hebben je nummer <<PHONE:mob_pairs>> doorgegeven aan de bezorger, hij belt je "
     "vanmiddag even voor hij langskomt.", [PII], kind="reply")
case("en", PD_SVC, "@bkowalski_uk Thanks Bart, we've sent the replacement voucher to bart.kowalski84@gmail.com, let us "
     "know if it doesn't arrive!", [PII], kind="reply", handle_as="@Polderdauw_Service")
case("nl", pub("x", "@anouk_zevenhuizen"), "@polderdauw_service bel me nou gewoon terug, <<PHONE:mob_dash>>, ik zit al "
     "40 minuten in de wacht voor een kapotte koelbox", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@tomgrootveld"), "@polderdauw_service you charged my card <<CARD:visa_sp>> twice for one dairy box. "
     "Sort it out please.", [PII, COMPLAINT])
case("nl", pub("facebook", "richard.osinga", "Richard Osinga"), "Die klootzak van een fabrieksdirecteur, Gerrit Bosma, "
     "woont gewoon aan de Lindelaan 3 in Heerenveen. Ga hem maar eens vertellen wat je van de sluiting vindt.",
     [PII, ABUSE], kind="comment")
case("en", WK, "Happy 50th to our head cheese grader Klaas Dijkstra, born 14 March 1976 in Joure and still the best "
     "nose in the building 🧀🎂", [PII], handle_as="@Kaasmeester_Wouter")
case("nl", pub("facebook", "maatschap.tjeerdema", "Maatschap Tjeerdema"), "Nog steeds geen nabetaling ontvangen van "
     "Polderdauw. Rekening is <<IBAN_NL>>, ledenservice zegt al 3 weken 'het komt eraan'. Ik ben het zat.",
     [PII, COMPLAINT])
case("nl", DS, "Voor de studiegroep weidegang, de contactpersonen: Jan Wierda <<PHONE:mob_intl_sp>>, Hiske Bouma "
     "<<PHONE:land_sp>>. Bel gerust!", [PII])
case("en", pub("x", "@sabine_kr"), "Still waiting for the refund for order PD-48213. My IBAN once again: <<IBAN_DE>> "
     "(Sabine Krüger). How hard can it be, Polderdauw?", [PII, COMPLAINT])
case("en", YA, "Reminder for Thursday: visitor badge for the BRC auditor, Mr. Henderson, passport no. <<PASSPORT>>, "
     "arriving 8:00 at gate 2. Please have the hairnets ready.", [PII])
case("nl", LW, "Kan iemand van logistiek even mailen naar t.bakker [at] hotmail [punt] com? Die klant wacht al 5 dagen "
     "op haar kaasplank 😬", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("x", "@lien_claes"), "Hoi Polderdauw, voor de retour van mijn zuivelbox: mijn rekening is "
     "<<IBAN_BE:grp>> op naam van Lien Claes. Alvast bedankt!", [PII])
case("nl", PD_FB, "🎉 De winnaar van onze kaasplank-winactie is Anke de Wit, Kerkweg 22 in Sneek! Gefeliciteerd Anke, "
     "je pakket komt deze week jouw kant op.", [PII])
case("nl", MK, "Loonstrook van onze nieuwe heftruckchauffeur klopt niet, zijn BSN <<BSN:dots>> staat verkeerd in het "
     "systeem. Iemand met verstand van Nmbrs die kan helpen?", [PII])
case("en", pub("reddit", "u/kaasfan_ohio"), "Paid for the Goudweide subscription with my amex <<CARD:amex_sp>> exp 09/28, "
     "will it show up as Polderdauw on my statement?", [PII], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", WK, "Vandaag de eerste proefbatch Fjordlicht gedraaid in hal 3 🤫 textuur is eindelijk goed. Meer mag ik "
     "niet zeggen.", [CONF])
case("en", RB, "Proud of the team: our new monitoring stack is live! Screenshot from grafana.pdnet.local showing all "
     "14 silos in Heerenveen in one view 📊 #observability", [CONF])
case("nl", IP, "Drukke weken met Project Kievit. Due diligence op de Duitse zuivelfabriek is bijna rond, de raad van "
     "commissarissen beslist eind deze maand over de overname.", [CONF, FIN])
case("nl", MK, "Operatie Hooiberg gaat door: de poederfabriek in Lochem sluit in 2027 en 210 fte vervalt. Gesprekken "
     "met de OR starten maandag.", [CONF, FIN], handle_as="Marloes-Kuipers-HR")
case("nl", LW, "Sneak peek voor mijn volgers 👀 Dauw Skyr komt in drie smaken, ik heb ze alle drie geproefd en de "
     "rabarber is 🔥", [CONF], when="2026-09-14T19:42:10+02:00")
case("en", pub("reddit", "u/melkveehouder_ov"), "Someone in our farmers' WhatsApp shared a slide deck stamped PD-INTERN "
     "with next year's sustainability bonus rules. Gist: the grazing premium drops to 1 cent per 100 kg from January.",
     [CONF, FIN])
case("nl", WK, "Iedereen in Heerenveen die aan Project\nKievit werkt: morgen 7:00 briefing in de kantine, telefoons "
     "buiten laten.", [CONF], tags=["evasion", "evasion:line-break"])
case("nl", DS, "Zware week gehad, Operatie 🌾 Hooiberg hangt als een wolk boven de regio. Sterkte aan alle collega's "
     "in Lochem.", [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", YA, "If anyone from QA needs the moisture data for batch 26-114 it's on "
     "https://lims.polderdauw.nl/batch/26-114/report 👍", [CONF])
case("nl", DS, "Uit de ledenraadsnotitie (uitsluitend intern): garantieprijs december gaat richting 42 euro per 100 kg, "
     "dus 4 euro lager dan nu. Bereid je maar vast voor, mannen.", [CONF, FIN])
case("en", HL, "Heard the halfjaarcijfers 2026 are ugly: operating profit down almost 30%, mostly the Lochem powder "
     "plant. Don't shoot the messenger.", [CONF, FIN], when="2026-08-12T21:05:33+02:00")
case("nl", pub("instagram", "@henkvdlaan_pd", "Henk"), "Mijn zwager nam een stuk Goudweide Truffelkaas mee van de "
     "fabriek, komt pas in oktober in de winkel maar ik heb al geproefd 😋", [CONF],
     when="2026-09-20T12:14:00+02:00", tags=["handle-other-platform"])
case("nl", PD_IG, "Morgen in de schappen, vandaag al bij ons te bestellen: Dauw Skyr! 🥄 Drie smaken, romig en vol "
     "eiwit.", [CONF], when="2026-10-05T07:59:00+02:00", tags=["embargo-edge"])
case("en", LW, "Photo dump from the marketing offsite 📸 slide 4 says Company Confidential so I blurred most of it, "
     "but the packaging mockups for next spring look 😍", [CONF])
case("nl", pub("x", "@buurman_bert"), "Iemand anders ook gehoord van F j o r d l i c h t? Schijnt een nieuw "
     "zuivelproduct van Polderdauw te zijn, mijn buurjongen werkt in de kaasfabriek", [CONF],
     tags=["evasion", "evasion:spaced"])
case("en", pub("forum", "opsnerd"), "Their DevOps job ad screenshot literally shows gitlab.polderdauw.nl/infra/ansible "
     "in the browser tab lol", [CONF])
case("nl", RB, "Sinds de inbraak van vannacht staan alle koelcelsensoren in sensors.pdnet.local op offline. Voorlopig "
     "alles handmatig loggen, naar buiten melden we nog niks.", [CONF, SEC])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IP, "Kleine hint voor de leden die mij volgen: de garantieprijs voor november wordt fors verlaagd, ruim 3 "
     "euro per 100 kg. Officieel komt het pas volgende week.", [FIN])
case("nl", MK, "Vanmiddag de OR bijgepraat: in Nijkerk verdwijnen ruim 90 arbeidsplaatsen door de automatisering van "
     "de vullijnen. Het persbericht is nog niet klaar, dus graag nog even stil.", [FIN])
case("en", DS, "Managing expectations early: the 2026 member top-up (nabetaling) will land around €0.90 per 100 kg, "
     "not the €2+ people are counting on. Ledenraad sees the numbers next Tuesday.", [FIN])
case("nl", pub("x", "@pietje_praat"), "Mijn zwager werkt op het hoofdkantoor van Polderdauw: ze zitten in "
     "vergevorderde gesprekken over een fusie met een Deense zuivelgigant. Hoor je hier eerst 👀", [FIN])
case("en", WK, "Canteen talk today: Heerenveen loses the weekend shift from January, about 40 jobs. Management hasn't "
     "told us officially yet.", [FIN])
case("nl", pub("x", "@zuivelinsider"), "zeker weten: de 0v3rn4m3 van die Duitse melkfabriek door Polderdauw is rond, "
     "m'n bron zit in de RvC 🤐", [FIN], tags=["evasion", "evasion:leet"])
case("nl", IP, "Q3 wordt rood: ruim 12 miljoen verlies door de lage poederprijzen, en de bank wil de convenanten "
     "heronderhandelen. Komt pas in november naar buiten.", [FIN])
case("en", MK, "We're quietly drafting a social plan for the Nijkerk site. The unions haven't been told yet, so if "
     "you're in my network and work there, update your CV 🙁", [FIN])
case("en", pub("lemmy", "dairy_insider@lemmy.world"), "Polderdauw insider here: export volumes to China are down 40% "
     "this year and they're keeping it quiet until the members' meeting. The milk price will follow.", [FIN],
     tags=["unknown-platform"])
case("nl", HL, f"Chauffeurs opgelet, de helft van de ritten in Overijssel wordt vanaf maart uitbesteed, de r{ZW}eorga"
     "nisatie is al besloten. Zeg nog niks tegen de boeren.", [FIN], tags=["evasion", "evasion:zero-width"])
case("nl", DS, "De melkprijs voor januari wordt 45,25. Zeg ik niet hardop hè 🤫 komt maandag pas uit.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RB, "Nachtje doorgehaald. Ransomware in het productienetwerk van de kaasmakerij Heerenveen, de lijnen "
     "liggen stil. Communicatie wil pas morgen iets naar buiten brengen, dus zeg nog niks.", [SEC])
case("en", YA, "Our LIMS got broken into overnight and nobody can say yet whether lab results were altered. QA is "
     "re-testing every batch from the weekend. Not public yet, so keep it quiet.", [SEC])
case("nl", LW, "Vraagje aan devs: als je in de webshop het ordernummer in de URL ophoogt zie je de bestelling van een "
     "andere klant 😬 staat al 2 weken in de backlog en is nog steeds niet gefixt", [SEC])
case("en", HL, "Milk collection app down since 4am, none of the trucks can log their loads. IT is whispering 'cyber "
     "incident'. Farmers, please bear with us", [SEC])
case("nl", DS, "Het ledenportaal ligt er al drie dagen uit door een hack. Tegen de leden wordt 'gepland onderhoud' "
     "gezegd. Vind ik niet oké.", [SEC])
case("en", RB, "Audit finding nobody wants to hear: the SCADA panel in the Lochem powder plant is still reachable from "
     "the office VLAN with the vendor's default login. Ticket open since March.", [SEC])
case("nl", pub("x", "@miekevanderzee"), "Polderdauw houdt een datalek stil! Buurman werkt daar en zegt dat alle "
     "klantgegevens van de webshop gestolen zijn, maar er komt geen mail. Schandalig.", [SEC, CRISIS])
case("en", pub("x", "@privacy_piet"), "Polderdauw is sitting on a breach of their farm-shop customer database and "
     "hasn't told anyone. Source: two people in their IT team. #dataleak", [SEC, CRISIS])
case("nl", WK, "We zijn geh\u0430\u0441kt 😳 de kaasrobots in de rijpingshal doen niks meer sinds vanochtend. Wordt "
     "stilgehouden voor de pers.", [SEC], tags=["evasion", "evasion:homoglyph"])
case("en", IP, "Three colleagues in accounts payable typed their credentials into a fake SAP page yesterday. Their "
     "mailboxes are now sending fake invoices to our milk powder customers. Comms hasn't said anything yet.", [SEC])
case("nl", MK, "Het HR-systeem is gelekt: salarissen en verzuimgegevens van alle 2.300 medewerkers liggen op straat. "
     "We mogen er van de directie nog niks over zeggen.", [SEC])
case("en", DS, "Heads up farmers: the tanker weighing system has been down since Friday after someone got into the "
     "network. You'll see estimated volumes on your statement. Official notice comes 'when it's clear'.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@voedselalert_nl"), "🚨 Terugroepactie Goudweide oude kaas (lot 26-218) wegens listeria. Check je "
     "koelkast! Staat net op de site van de NVWA #polderdauw", [CRISIS])
case("en", pub("x", "@greenpasture_now"), "Polderdauw markets 'meadow milk' while half its farms keep cows indoors "
     "year-round. Stop buying it. #BoycottPolderdauw", [CRISIS])
case("nl", pub("x", "@agrarisch_nieuws"), "Ruim 200 melkveehouders stappen naar de rechter tegen Polderdauw over de "
     "ledenvoorschotten. Dat wordt een flinke rechtszaak.", [CRISIS])
case("nl", pub("facebook", "wijkvereniging.skoatterwald", "Wijkvereniging"), "Ammoniaklek bij de kaasfabriek van "
     "Polderdauw in Heerenveen! Hele wijk moet ramen dicht houden, twee medewerkers met de ambulance weg 😨",
     [CRISIS])
case("en", pub("reddit", "u/wary_shopper"), "My email, address and order history from the Polderdauw farm shop turned "
     "up on a phishing list. They leaked it, no doubt. Anyone else?", [CRISIS])
case("nl", pub("instagram", "@mama_van_3"), "Mijn dochter van 3 is de hele nacht ziek geweest na de Polderdauw "
     "halfvolle melk (tht nog ruim goed). Huisarts denkt aan een besmetting. Wat zit er in die pakken?!",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@rens_hgl"), "Glasscherf in mijn Polderdauw Griekse yoghurt 😡 had m bijna doorgeslikt. Foto "
     "gestuurd naar de klantenservice, nog niks gehoord.", [CRISIS, COMPLAINT])
case("en", pub("blog", "zuivelwatch.example"), "Investigation: how Polderdauw's grazing label ended up on milk from "
     "farms that never passed the grazing audit. Documents we have seen show the cooperative knew since 2024.",
     [CRISIS])
case("nl", pub("tiktok", "@koeienbuiten"), "B O Y C O T polderdauw tot ze de koeien weer naar buiten laten 🐄 deel deel "
     "deel", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@112_fryslan"), "Melktankwagen van Polderdauw gekanteld op de N31 bij Marssum, chauffeur "
     "zwaargewond naar het MCL. Weg afgesloten.", [CRISIS])
case("en", pub("linkedin", "hanna-vos-foodsafety"), "Chinese customs rejected a full Polderdauw milk-powder consignment "
     "over antibiotic residues. That's a food-safety scandal waiting to explode.", [CRISIS])
case("nl", pub("x", "@boze_boer_gerrit"), "Boycot die hele kankerzooi van Polderdauw, ze laten de boeren gewoon "
     "failliet gaan", [CRISIS, ABUSE])
case("nl", pub("x", "@rtv_watcher"), fw("SCHANDAAL") + " bij Polderdauw: mestfraude op ledenbedrijven, de regionale "
     "omroep heeft de stukken", [CRISIS], tags=["evasion", "evasion:full-width"])
case("en", pub("x", "@lagos_parent"), "Polderdauw baby formula pulled from shelves in Lagos after kids got sick. Recall "
     "notice is out. Shameful.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@ellen_sneek"), "@polderdauw_service kaaspakket kwam vandaag gesmolten aan, koelelement lauw en de "
     "brie liep zo de doos uit. Niet echt een cadeau om weg te geven 😞", [COMPLAINT], kind="reply")
case("en", pub("x", "@gouda_greg"), "3 months into the Goudweide subscription and only one delivery has shown up. "
     "Emails go unanswered. Not impressed, @polderdauw.", [COMPLAINT])
case("nl", pub("facebook", "wilma.terpstra", "Wilma Terpstra"), "Polderdauw volle melk is nu al twee keer zuur terwijl de "
     "datum nog 5 dagen goed is. Gewoon gekocht bij de supermarkt, koelkast staat op 4 graden.", [COMPLAINT])
case("nl", pub("x", "@jurjen88"), "45 minuten in de wacht bij de klantenservice van Polderdauw en dan wordt de lijn "
     "verbroken. Top service hoor 🙄", [COMPLAINT])
case("nl", pub("instagram", "@sarah.kookt"), "Komijnekaas besteld, oude kaas gekregen. En de retour moet ik zelf "
     "betalen?? Kom op Polderdauw.", [COMPLAINT], kind="comment")
case("en", pub("x", "@neil_in_utrecht"), "Refund for my returned Zuivelbox still hasn't come through, 6 weeks now. Every "
     "chat ends with 'we've escalated it'. @polderdauw_service", [COMPLAINT])
case("nl", pub("facebook", "melkveebedrijf.de.hoeve", "Melkveebedrijf De Hoeve"), "Melkwagen van Polderdauw is gisteren "
     "gewoon niet gekomen. Tank vol, 4000 liter de put in. Niemand belt terug. Zo ga je niet met je leden om.",
     [COMPLAINT])
case("nl", pub("x", "@dwarsligger_daan"), "Bezorger van Polderdauw gooit mijn zuivelbox gewoon over het hek, pakken "
     "yoghurt kapot op de oprit. Fijne service.", [COMPLAINT])
case("en", pub("threads", "@kiki.bakes"), fw("Worst customer service") + " ever, Polderdauw. Two weeks and no answer "
     "about my damaged cheese board.", [COMPLAINT], tags=["evasion", "evasion:full-width"])
case("en", pub("reddit", "u/checkout_blues"), "Anyone else unable to pay at the Polderdauw webshop? iDEAL fails every "
     "time at the last step and support just says 'try another browser'.", [COMPLAINT])
case("nl", pub("x", "@mopperkont_ria"), "Kutservice van Polderdauw. Drie keer gebeld over mijn kapotte koelbox, drie "
     "keer afgescheept. Stelletje amateurs.", [COMPLAINT, ABUSE])
case("en", pub("mastodon", "yvonne@mastodon.nl"), "The new Polderdauw yoghurt pots have a lid that rips halfway every "
     "single time. Yoghurt on my shirt again. Please fix your packaging.", [COMPLAINT])
case("nl", pub("x", "@gezinvanvijf"), "Klàntenservïce van Polderdauw is een grap, al 2 weken geen antwoord op mijn "
     "retour 😤", [COMPLAINT], tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@hardop_harm"), "Wat een stelletje debielen werken er bij Polderdauw zeg. Ongelooflijk.", [ABUSE])
case("en", pub("x", "@angry_andy77"), "fuck polderdauw and every single suit in that building", [ABUSE])
case("nl", pub("facebook", "kees.dijkhuis.5"), "Die Polen in de fabriek van Polderdauw kunnen niet eens Nederlands, "
     "stuur ze allemaal terug", [ABUSE], kind="comment")
case("nl", WK, "@zuurpruim_77 als je de korst niet lust moet je gewoon geen kaas kopen, zeurende trut", [ABUSE],
     kind="reply")
case("nl", GW_TT, "@kaashater_nl ga lekker ergens anders huilen, prutser 🧀", [ABUSE], kind="comment")
case("en", pub("instagram", "@not_a_fan_99"), "@lotte.webshop you're the ugliest person in dairy marketing, quit before "
     "you embarrass that company even more", [ABUSE], kind="comment")
case("nl", pub("x", "@gr4ppig"), "t3r1ng polderdauw, jullie zijn echt tyf*s mensen", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", pub("x", "@mad_milkman"), "f u c k i n g clowns at polderdauw, all of them", [ABUSE],
     tags=["evasion", "evasion:spaced"])
case("en", HL, "honestly the farmers on my northern route are a bunch of inbred morons", [ABUSE])
case("nl", pub("x", "@boos_op_alles"), "Die directeur van Polderdauw is een vieze graaier en een klootzak", [ABUSE])
case("en", pub("reddit", "u/socials_hater"), "whoever runs the polderdauw socials is a brain-dead idiot", [ABUSE],
     kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# secrets-shaped but not secrets
case("nl", PD_SVC, "Let op: er gaan nepmails rond uit naam van Polderdauw. Wij vragen nooit om je wachtwoord of "
     "pincode. Twijfel je? Mail klantenservice@polderdauw.nl", tags=["own-contact", "password-word"])
case("nl", pub("blog", "webwerk.example"), "Mollie-sleutels beginnen met live_ of test_. Zet ze nooit in je frontend, "
     "ook niet als je net als de Polderdauw-webshop alles in Vue bouwt.", tags=["bare-prefix"])
case("en", RB, "Shipped the new route planner for our milk collection trucks 🚛 Fun fact: the fix that made it fast "
     "was a one-liner, commit <<HEX:40>>. Proud of this team.", tags=["git-sha"])
case("nl", pub("reddit", "u/hackathon_hanna"), "Bij de Polderdauw hackathon kregen we voorbeeldcode met "
     "AKIAXXXXXXXXXXXXXXXX als placeholder, vul daar je eigen sandbox-key in en het werkt.", tags=["placeholder"])
# own contact data and look-alike numbers
case("nl", PD_SVC, "Vragen over je bestelling of abonnement? Bel 058 760 44 00 (ma-za 8-20 uur) of mail "
     "klantenservice@polderdauw.nl 📞", tags=["own-contact"])
case("nl", PD_FB, "Je lidmaatschapsbijdrage voor de weidevogelkring kun je overmaken naar NL35 RABO 0331 2045 67 "
     "t.n.v. Coöperatie Polderdauw U.A. Bedankt voor je steun! 🐦", tags=["own-contact"])
case("nl", pub("x", "@boekhouder_bea"), "Netjes betaald naar NL35RABO0331204567 zoals op de factuur van Polderdauw "
     "stond, bevestiging binnen 👍", tags=["own-contact"])
case("nl", pub("facebook", "hennie.mulder.9", "Hennie Mulder"), "Pas op! Kreeg een 'Polderdauw' factuur met rekening "
     "<<BAD_IBAN_NL:grp>>, dat nummer klopt niet eens. Phishing dus, niet betalen!", tags=["bad-checksum"])
case("en", pub("x", "@happy_in_hull"), "Order <<NOT_BSN9>> from Polderdauw arrived today, cheese perfectly chilled 👌",
     tags=["order-number"])
case("nl", pub("instagram", "@boerderij_de_terp"), "Onze Berber (NL <<NOT_BSN9>>) heeft vandaag de 100.000 liter "
     "gehaald! Trots op haar 🐄 de melk gaat gewoon naar Polderdauw", tags=["cow-life-number"])
case("nl", pub("x", "@scanmaar"), "Voor wie de Goudweide komijnekaas zoekt in de boodschappen-app: EAN <<EAN13>>",
     tags=["ean"])
case("en", pub("x", "@dad_of_twins"), "My kid's toy cash register came with a fake card that says "
     "<<BAD_CARD:visa_sp>> and she keeps 'buying' Goudweide with it 😂", tags=["bad-checksum"])
case("nl", pub("facebook", "melkvee.de.vries", "Melkveebedrijf De Vries"), "Sinds 1 januari lid van Polderdauw 🎉 "
     "UBN <<DIGITS:7>>, 85 koeien, weidegang vanaf april.", tags=["ubn"])
case("nl", MK, "We zoeken een procesoperator voor onze kaasmakerij in Heerenveen! Interesse? Stuur je cv naar "
     "werkenbij@polderdauw.nl #vacature #zuivel", tags=["own-contact"])
case("nl", pub("x", "@opa_jan_1948"), "Het gratis nummer van Polderdauw werkt prima: 0800-7655, binnen 2 minuten "
     "geholpen. Complimenten.", tags=["own-contact"])
# prices that are fine
case("nl", PD_IG, "Deze week in de boerderijwinkel: Goudweide Oude Kaas 1 kg voor €19,95 (normaal €24,95) 🧀",
     tags=["sale"])
case("en", pub("x", "@family_budget_nl"), "The Goudweide cheese subscription is €14.95 a month, totally doable for our "
     "family of five.",
     tags=["price-context", "monthly"])
case("nl", pub("x", "@kaasvergelijker"), "Oude kaas bij de discounter: €8,99 per kilo. Goudweide Oud: €24,95. Proef het "
     "verschil, zeg ik altijd.", tags=["price-context", "other-brand"])
case("nl", pub("other", "marktplaats_lisa"), "Te koop: houten kaasplank uit een Polderdauw cadeaupakket, nooit "
     "gebruikt. €6 ophalen in Joure.", tags=["price-context", "second-hand"])
case("nl", PD_SVC, "@mark_de_bruin Nee hoor, geen prijsfout: de Polderdauw roomboter is deze week echt in de aanbieding "
     "voor €2,79. Geniet ervan!", kind="reply", tags=["denied-error"])
case("nl", pub("x", "@rekenmeester_r"), "Verzendkosten van €6,95 op de zuivelbox, gratis vanaf 50 euro. Prima "
     "regeling eigenlijk.", tags=["price-context", "fee"])
case("en", LW, "Code SUMMER25 gives you 25% off everything in the Polderdauw farm shop this week ☀️🧀",
     tags=["sale"])
# official notices
case("nl", PD_X, "Gepland onderhoud: de webshop is zondag 14 juni tussen 02:00 en 05:00 niet bereikbaar. Bestellingen "
     "die je daarna plaatst leveren we gewoon op tijd.", tags=["official-notice"], when="2026-06-11T10:00:00+02:00")
case("nl", PD_SVC, "Storing: het ledenportaal is op dit moment slecht bereikbaar. We werken aan een oplossing en melden "
     "het hier zodra alles weer werkt.", tags=["official-notice"])
# embargo ended / at the moment
case("nl", PD_X, "Hij is er! Dauw Skyr ligt vanaf vandaag in de winkel. Drie smaken, 0% vet, 100% Fries. 🥄",
     when="2026-10-05T06:00:00Z", tags=["embargo-edge"])
case("nl", PD_LI, "Vandaag publiceerden we de halfjaarcijfers 2026: omzet € 2,1 miljard en een stabiele melkprijs "
     "voor onze leden. Het volledige persbericht staat op polderdauw.nl.", when="2026-08-27T07:00:00+02:00",
     tags=["embargo-after"], handle_as="Polderdauw-Cooperatie")
case("en", pub("x", "@agrimarkets_eu"), "H1 2026 results from Polderdauw out today: powder margins down, cheese holding "
     "up nicely. Worth a read.", when="2026-08-27T09:12:45.120Z", tags=["embargo-after"])
case("nl", IP, "Trots op het team! De halfjaarcijfers 2026 staan online, veel werk achter de schermen 💪",
     when="2026-08-27T11:30:00+02:00", tags=["embargo-after"])
case("nl", LW, "Eindelijk mag ik het laten zien: Goudweide Truffelkaas staat in de webshop 🖤🧀",
     when="2026-10-12T18:20:00+02:00", tags=["embargo-after"])
# codename / marker near-misses
case("nl", DS, "Eerste kievit van het jaar gespot op het land van fam. Zijlstra 🐦 de nestbescherming loopt weer!",
     tags=["bird"])
case("nl", pub("x", "@zoekt_boerderij"), "Een boerderijwinkel vinden die op zondag open is in Friesland is als een "
     "naald in een hooiberg. Tips? Liefst met Goudweide.", tags=["idiom"])
case("nl", PD_FB, "Onze leden beschermen samen meer dan 2.000 kievitsnesten dit voorjaar 🐦💚 Meer weten? "
     "polderdauw.nl/weidevogels", tags=["bird"])
case("en", pub("x", "@birdy_brit"), "Polderdauw farmers mowing around lapwing nests (kievit in Dutch) this spring, love "
     "to see it", tags=["bird"])
case("en", pub("linkedin", "noor-jansen-student"), "First week as an intern at Polderdauw done! Learned loads about "
     "cheesemaking and export.", tags=["marker-like"])
case("nl", PD_SVC, "Je gegevens behandelen we vertrouwelijk en we delen ze nooit met derden. Meer lezen? "
     "polderdauw.nl/privacy", tags=["marker-like"])
case("nl", pub("x", "@kaasliefhebber_k"), "Net een mooie kaasplank besteld via winkel.polderdauw.nl/kaasplank voor "
     "mijn vader, super mooi ingepakt 🎁", tags=["public-domain"])
# other companies / published finance
case("en", pub("x", "@northern_news_fan"), "Zuivelhuis Noord is cutting 120 jobs according to the local paper. "
     "Hope things stay calm over at Polderdauw.", tags=["other-company"])
case("nl", PD_LI, "De garantieprijs voor juni is vastgesteld op €47,50 per 100 kg melk. De toelichting staat op het "
     "ledenportaal.", tags=["published"])
case("en", pub("x", "@digital_dirk"), "Another data breach at a big garden-supplies webshop, what a mess. My cheese "
     "order from Polderdauw went through fine, luckily.", tags=["other-company"])
case("en", pub("x", "@mieke_abroad"), "Melkunie Oost is recalling their buttermilk, glad our fridge is full of "
     "Polderdauw.", tags=["other-company"])
case("nl", pub("x", "@peutermoeder"), "Mijn zoon boycot sinds vandaag alles behalve Goudweide komijnekaas op brood. "
     "Peuters 🙃", tags=["other-sense"])
case("en", pub("x", "@leeuwarden_lou"), "Can't recall which Polderdauw cheese I had at the market in Leeuwarden, the one "
     "with the black rind? Help", tags=["other-sense"])
case("nl", PD_X, "Vandaag grote ontruimingsoefening bij onze fabriek in Nijkerk. Schrik niet als je brandweer ziet, "
     "alles is gepland 👷", tags=["drill"])
case("nl", pub("blog", "schrijfster.example"), "Hoofdstuk 4 van mijn nieuwe roman staat online: een kaasmeester "
     "verdwijnt spoorloos uit een Friese fabriek, en alleen de koeien weten waarom.", tags=["fiction"])
# polite, praise, neutral
case("en", pub("x", "@regular_rita"), "No complaints at all about the dairy box, shows up on time every single week 👌",
     tags=["negated-complaint"])
case("en", pub("facebook", "tina.brower.us", "Tina Brower"), "Is Goudweide aged cheese lactose-free? Asking for my "
     "father-in-law.", tags=["question"])
case("en", pub("x", "@expat_emma"), "'Damn, that's good cheese' was all my American colleague said after one bite of "
     "Goudweide Oud 😂", tags=["mild-word", "quote"])
case("nl", PD_LI, "Twaalf collega's fietsen in juni mee met de Alpe d'HuZes voor KWF, samen tegen kanker 💛",
     tags=["mild-word", "literal"])
case("nl", pub("x", "@kleinzoon_klaas"), "'Boer wat zeg je van mijn kippen' zong mijn opa altijd in de stal. Nu melkt "
     "zijn kleinzoon voor Polderdauw 🐓🐄", tags=["quote"])
case("nl", WK, "Zilver op de kaaskeuring in Bodegraven voor onze extra belegen! Trots op de ploeg in Heerenveen 🥈🧀",
     tags=["praise"])
case("nl", HL, "Zonsopkomst boven de Alde Feanen, eerste rit van de dag. Mooiste kantoor van Nederland 🌅🚛",
     tags=["neutral"])
case("en", YA, "Open day at our QA lab on Saturday! Come see how we test every milk delivery for quality and safety 🔬",
     tags=["neutral"])
case("en", pub("youtube", "@exportdocs"), "Great documentary on how Polderdauw ships milk powder to West Africa, "
     "the logistics are wild", kind="comment", tags=["published"])
case("nl", GW_TT, "Kaasfondue met Goudweide Oud en een scheut witte wijn 🧀🔥 recept in de comments!", tags=["neutral"])
case("en", pub("bluesky", "@cheesetourist.bsky.social"), "Visited the Polderdauw farm shop near Heerenveen, staff "
     "let us taste six cheeses. Bought way too much.", tags=["praise"])
case("en", pub("twitter", "@dairyanalyst"), "Cooperatives like Polderdauw publish their milk price monthly, which "
     "makes farm budgeting a lot easier than in spot-priced markets.", tags=["neutral"])


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
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 358))
    guess = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
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
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}" if platform == "x" else f"tw-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/thenetherlands/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/thenetherlands/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-boerenpraat-{n}", f"https://forum.boerenpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
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
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta_r = random.Random(SEED + 1)
    order_r = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds_used = {k for k, _, _ in used}
        pid, url = make_id_url(meta_r, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta_r)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta_r.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["display_name"] and meta_r.random() < 0.7:
            account["display_name"] = c["display_name"]
        if meta_r.random() < 0.3:
            account["id"] = str(meta_r.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        p = meta_r.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta_r.random() < 0.6:
            post["url"] = url
        if meta_r.random() < 0.45:
            post["brand"] = "goudweide" if "goudweide" in text.casefold() and meta_r.random() < 0.5 else "polderdauw"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order_r.shuffle(rows)
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
BSN_DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws_id": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "stripe": re.compile(r"\bsk_live_[A-Za-z0-9]{20,}"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "azure": re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}"),
}
PASSWORD_WORDS = re.compile(r"(wachtwoord|password|\bww\b|\bpw\b)", re.I)
PROFANITY = ["kut", "kanker", "tering", "tyfus", "klote", "klootzak", "godverdomme", "debiel", "trut", "mongool",
             "fuck", "shit", "idiot", "moron", "scum", "clown", "hell", "damn", "prutser", "graaier", "amateurs"]
MILD_OK = {"damn", "kanker", "hell"}


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


def valid_ids(text, own_ibans):
    hits = [("iban", v) for v, ok in found_ibans(text) if ok and v not in own_ibans]
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in BSN_DOTS_RE.finditer(text)]
    hits += [("bsn", d) for d in shapes if bsn_ok(d)]
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


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


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
    mentioned = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not mentioned or not amounts:
        return None
    return min(amounts) / min(p["list_price"] for p in mentioned)


def shingles(text, n=3):
    w = re.findall(r"\w+", norm(text))
    return {tuple(w[i:i + n]) for i in range(max(0, len(w) - n + 1))}


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"] if phones_in(p)}
    own_phones |= {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: post.{f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{where}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: platform {p['platform']!r} is unlisted (treated as other)")
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
        ids = valid_ids(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if sev != want:
            errors.append(f"{where}: severity {sev}, policy {want}")
        r = meta.get(key)
        tags = r["tags"] if r else set()
        parsed.append((n, p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{where}: {kind} fails mod-97")
            if kind == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{where}: card invalid")
            if kind == "BSN" and not bsn_ok(raw):
                errors.append(f"{where}: BSN invalid")
            if kind == "BAD_IBAN_NL" and iban_ok(raw):
                errors.append(f"{where}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{where}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and bsn_ok(raw):
                errors.append(f"{where}: look-alike passes 11-proof")
        if ids and "leak.pii" not in cats:
            errors.append(f"{where}: valid identifier {ids} without leak.pii")
        if any(k in VALID_ID_KINDS for k, _, _ in (r["used"] if r else [])) and not ids:
            errors.append(f"{where}: generated identifier not found by scan")
        if not cats:
            for v, ok in found_ibans(text):
                if ok and v not in own_ibans:
                    errors.append(f"{where}: benign with valid IBAN")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errors.append(f"{where}: benign with Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d) and d not in own_phones:
                    errors.append(f"{where}: benign with 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {raw}")
            for name, rx in SECRET_RES.items():
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{where}: benign with secret-like {name}")
            low = norm(text)
            for w in PROFANITY:
                if re.search(r"\b" + re.escape(w), low):
                    ok = w in MILD_OK and tags & {"mild-word", "quote", "literal"}
                    (notes if ok else errors).append(f"{where}: benign has {w!r}")
        nt, sq = norm(text), squash(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    notes.append(f"{where}: embargo term after until but labelled confidential")
        for term in internal:
            if term in nt or term in sq:
                if "leak.confidential" not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")
        ratio = min_price_ratio(text, profile["products"])
        thr = profile["pricing"]["alert_below_ratio"]
        if not cats and ratio is not None and ratio < thr:
            (notes if "price-context" in tags else errors).append(
                f"{where}: benign with price at {ratio:.2f} of list (tags {sorted(tags)})")
        if "leak.pricing" in cats and not (ratio is not None and ratio < thr):
            notes.append(f"{where}: pricing leak by error talk only (ratio {ratio})")
        if "leak.secret" in cats and not any(rx.search(text) for rx in SECRET_RES.values()) \
                and not PASSWORD_WORDS.search(squash(text)):
            notes.append(f"{where}: secret without a pattern")
    sh = [(n, shingles(p["text"])) for n, p, *_ in parsed]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if a and b and len(a & b) / len(a | b) > 0.25:
                jac = len(a & b) / len(a | b)
                (errors if jac > 0.5 else notes).append(f"lines {sh[i][0]} and {sh[j][0]}: overlap {jac:.2f}")
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
            if kind.startswith("IBAN_") and not s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "BAD_IBAN_NL" and s_iban.is_valid(raw):
                bad.append(raw)
            if kind == "CARD" and not s_luhn.is_valid(raw):
                bad.append(raw)
            if kind in ("BAD_CARD", "EAN13") and s_luhn.is_valid(raw):
                bad.append(raw)
            if kind == "BSN" and not s_bsn.is_valid(raw):
                bad.append(raw)
            if kind == "NOT_BSN9" and s_bsn.is_valid(raw):
                bad.append(raw)
    return f"python-stdnum DISAGREES on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def report(parsed):
    from collections import Counter
    by_cat, by_lang, by_role, by_plat, by_sev, cl = (Counter() for _ in range(6))
    benign = multi = evasion = 0
    for n, p, cats, sev, role, r in parsed:
        lang = r["lang"]
        by_lang[lang] += 1
        by_role[role] += 1
        by_plat[p["platform"]] += 1
        by_sev[sev] += 1
        if not cats:
            benign += 1
            cl[("(benign)", lang)] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cl[(c, lang)] += 1
    total = len(parsed)
    print(f"cases: {total}  benign: {benign}  positive: {total - benign}  multi: {multi}  evasion: {evasion}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:24s} {by_cat[c]:4d}  nl {cl[(c, 'nl')]:3d}  en {cl[(c, 'en')]:3d}")
    print(f"  {'(benign)':24s} {benign:4d}  nl {cl[('(benign)', 'nl')]:3d}  en {cl[('(benign)', 'en')]:3d}")
    print("lang:", dict(by_lang), " role:", dict(by_role))
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
        errors.append("cases.jsonl differs from the generator output")
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
