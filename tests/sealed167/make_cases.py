#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and validates it

Company: the fictional Salvora Payroll B.V. (profile.yaml in this folder), a Dutch
payroll / HR software company for small businesses.

Texts are hand-written below. Identifiers and secrets are filled in from
placeholders such as <<IBAN_NL>> by one seeded RNG: positives get checksum-valid
values (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC32), hard negatives get values
that fail their checksum. Severity is never typed by hand; it is computed from the
contract's severity policy (section 4), the account role looked up in profile.yaml,
the categories and whether a checksum-valid identifier is in the text.
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

import yaml

SEED = 167_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
CYR_A = "\u0430"     # Cyrillic small a, looks like Latin a
GRK_O = "\u03bf"     # Greek small omicron, looks like Latin o


def fw(s):
    out = []
    for ch in s:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    for c in "0123456789":
        if luhn_ok(prefix + c):
            return prefix + c
    raise AssertionError


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                               + self.dig(10, True))
                if v != "NL02INGB0007412530":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["12030000", "43060967", "76026000", "30020900"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["063", "143", "310", "751"]) + self.dig(7)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def show_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_ok(s):
                return s

    def phone(self, f):
        m = self.r.choice("12345678") + self.dig(7)     # the 8 digits after 06
        if f == "mob_dash":
            return f"06-{m}"
        if f == "mob_plain":
            return f"06{m}"
        if f == "mob_intl_sp":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if f == "mob_0031":
            return f"0031 6 {m}"
        if f == "mob_pairs":
            return f"06 - {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "mob_intl0":
            return f"+31 (0)6 {m}"
        area = self.r.choice(["10", "15", "20", "35", "40", "50", "53", "72", "74", "77"])
        sub = self.r.choice("2345679") + self.dig(6)
        if f == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}"
        if f == "land_dash":
            return f"0{area}-{sub}"
        raise ValueError(f)

    # secrets (random, never issued; shaped like the real formats)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def npm(self):
        return "npm_" + self.pick(ALNUM, 36)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 32)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "wg_" + self.dig(5, True), "iss": "api.salvora.nl", "scope": "payroll:read payroll:write",
                "iat": iat, "exp": iat + 86400 * 30}
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(body)}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Loon", "Strook", "Kade", "Winter", "Polder", "Fiets"]) + self.dig(2)
                + self.r.choice("!#$%&*") + self.pick(ALNUM, 6))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
INVALID_ID = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind.startswith("BAD_IBAN_"):
            raw = f.bad_iban(kind[9:])
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = f.card(brand) if kind == "CARD" else f.bad_card(brand)
            shown = f.show_card(raw, style or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if fmt == "sp" else raw)
        elif kind == "NOT_BSN9":
            shown = raw = f.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = f.not_bsn(8)
        elif kind == "PHONE":
            shown = raw = f.phone(fmt)
        elif kind == "DIGITS":
            shown = raw = f.dig(int(fmt), True)
        elif kind == "HEX":
            shown = raw = f.hexs(int(fmt))
        else:
            method = {"GHP": f.ghp, "GLPAT": f.glpat, "NPM": f.npm, "SENDGRID": f.sendgrid, "STRIPE": f.stripe,
                      "GAPI": f.gapi, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret, "SLACK_HOOK": f.slack_hook,
                      "JWT": f.jwt, "PEM_OPENSSH": f.pem_openssh, "PW": f.password}[kind]
            shown = raw = method()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
S_NL = ("x", "@salvora_nl", "Salvora")
S_HELP = ("x", "@salvora_help", "Salvora Support")
S_LI = ("linkedin", "salvora-payroll", "Salvora Payroll B.V.")
S_IG = ("instagram", "@salvora.payroll", "Salvora")
S_FB = ("facebook", "SalvoraPayrollNL", "Salvora Payroll")
# employees
MV = ("x", "@merel_codes", "Merel Visser")                       # backend developer
NH = ("linkedin", "noor-hendriks-payroll", "Noor Hendriks")      # payroll consultant
RM = ("x", "@ricardo_sre", "Ricardo Mendes")                     # SRE / operations
AG = ("linkedin", "anouk-degraaf-finance", "Anouk de Graaf")     # finance controller
DS = ("x", "@daan_support", "Daan Smit")                         # customer support
YB = ("instagram", "@yasmina.sales", "Yasmina Bouali")           # account manager
JK = ("linkedin", "joost-kramer-salvora", "Joost Kramer")        # product manager


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ============================================================ leak.pricing
case("nl", YB, "Ondernemers opgelet 👀 via mij krijg je Salvora HR Compleet nu voor €19 per maand (normaal 119!!). "
     "Stuur me een DM, op=op 💸 #mkb #salarisadministratie", [PRICING])
case("en", MV, "welp. pricing table on salvora.nl now says Loon Plus is €5.90/month instead of 59. "
     "the decimal point went on holiday 🏖️ hotfix after standup", [PRICING])
case("nl", pub("x", "@kapsalon_fenna"), "eh @salvora_nl jullie site zegt Overstapservice €39,50 eenmalig?? dat was toch "
     "395? prijsfout of niet, ik heb m alvast aangevraagd 😇", [PRICING], kind="reply")
case("nl", pub("forum", "ZaakjeZwolle"), "[Deal] Salvora Loon Start voor €2,40 p/m\n\nStaat zo in de checkout, geen "
     "kortingscode nodig. Normaal 24 euro. Geen idee hoelang het nog staat, ik heb 'm voor 2 jaar vastgezet.", [PRICING])
case("en", pub("reddit", "u/sourdough_and_spreadsheets"), "anyone else seeing the Jaarwerk-pakket at €17.90 on "
     "Salvora's site? looks like someone dropped a digit. grabbed it for my bakery lol", [PRICING], kind="comment")
case("nl", DS, "Vandaag al 40+ tickets over de verkeerde prijs van HR Compleet in de webshop 🙃 we mogen niks "
     "bevestigen tot sales terug is van de hei", [PRICING])
case("nl", AG, "Even ter info voor de collega's die mij hier volgen: door een fout in de tariefkoppeling zijn ruim 300 "
     "klanten in maart gefactureerd voor Loon Plus à €5,90 in plaats van €59. Creditnota's volgen, graag nog niet "
     "met klanten delen.", [PRICING])
case("en", pub("x", "@zzp_rick"), "p r i c e   e r r o r on salvora loon plus rn, €6 a month 👀 go go go",
     [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@ondernemen_met_lot"), "Sälvora HR Cömpleet voor 12 euro per maand?? iemand heeft zitten "
     "slapen bij de prijzen 😂 #prijsfout #zzp #mkb", [PRICING], tags=["evasion"])
case("nl", JK, "Release van vannacht heeft de prijzen door elkaar gegooid: de Urenmodule staat voor €1,25 ipv €12,50. "
     "Rollback-plan staat op wiki.salvora.nl/prijzen/incident-0412, graag even meekijken", [PRICING, CONF])
case("en", pub("facebook", "gerrit.vd.molen", "Gerrit van der Molen"), "PSA for fellow small biz owners: Salvora's "
     "signup page is charging €0,00 for the Overstapservice today. Pretty sure it's a glitch but the chat said they'd "
     "honour it 🤷", [PRICING])
case("nl", S_IG, "🎉 Lentedeal! Salvora Loon Plus nu voor maar €9 per maand, het hele jaar door. Link in bio 👆 "
     "#ondernemen #loonstrook", [PRICING])
case("nl", pub("x", "@bloemenbram"), f"prijs{ZW}fout bij salvora!! jaarwerkpakket voor 15 euro ipv 179 🤑 snel zijn",
     [PRICING], tags=["evasion"])

# ============================================================ leak.secret
case("en", MV, "ok who committed this to the payslip-renderer repo 😤\n\nGITHUB_TOKEN=<<GHP>>\n\n"
     "revoking it now but seriously folks, .env goes in .gitignore", [SECRET])
case("nl", RM, "Nachtdienst vibes ☕ wie snapt waarom deze connectiestring niet werkt vanaf de worker?\n"
     "postgresql://payroll_rw:<<PW>>@db-prod-02.salvora.internal:5432/loonrun", [SECRET, CONF])
case("en", RM, "terraform keeps failing on the bucket for payslip PDFs even though creds look fine??\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>", [SECRET])
case("nl", DS, "Voor wie vandaag invalt op de chat: gebruiker support-team, wachtwoord <<PW>> (tijdelijk!! niet "
     "opslaan in je browser)", [SECRET])
case("en", MV, "billing webhooks finally green 🥳 leaving this here for whoever picks it up tomorrow:\n"
     "STRIPE_SECRET_KEY=<<STRIPE>>", [SECRET])
case("nl", S_HELP, "@bakkerij_dekroon Gebruik voor de koppeling met uw kassasysteem dit token:\n<<JWT>>\n"
     "Succes! Groet, Daan", [SECRET], kind="reply")
case("en", pub("reddit", "u/cafe_owner_ams"), "Salvora API docs are confusing af. full request below, why do I get "
     "403??\n\ncurl -H 'Authorization: Bearer <<JWT>>' https://api.salvora.nl/v2/loonstroken", [SECRET])
case("nl", RM, "Alerts naar #loonrun-alerts werken weer 🎉 hook voor wie 'm nodig heeft: <<SLACK_HOOK>>", [SECRET])
case("en", JK, "demo for our accountancy partners went great! note to self: don't screen-share your .env again 🙈 "
     "(SENDGRID_API_KEY=<<SENDGRID>>)", [SECRET])
case("nl", pub("x", "@infosec_ineke"), "lol iemand van salvora heeft een gitlab token in een publieke gist gezet: "
     "<<GLPAT>> 🤡 even melden bij hun security team zou ik zeggen", [SECRET])
case("en", MV, "can someone sanity check this key? SFTP upload to the pension fund keeps rejecting it\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", DS, "het w@chtw00rd van de gedeelde support-inbox is nu <<PW>>, niet doorsturen pls", [SECRET],
     tags=["evasion"])
case("en", pub("forum", "pkg_watcher"), "Found this in a Salvora npm package that went public by mistake:\n"
     "//registry.npmjs.org/:_authToken=<<NPM>>\nand a maps key <<GAPI>> in the same bundle", [SECRET])

# ============================================================ leak.pii
case("nl", NH, "Trots op het team 💪 vandaag de eerste loonrun voor een nieuwe bakkerij gedraaid. Check voor de "
     "collega's: medewerker J. Verhoeven, BSN <<BSN>>, rekening <<IBAN_NL:grp>>, klopt alles nu?", [PII])
case("en", DS, "@tomwerkt found your account! payslips go to t.dewit1987@gmail.com and salary to <<IBAN_NL>>, "
     "is that still right?", [PII], kind="reply")
case("nl", S_HELP, "@marlies_k Uw wijziging is verwerkt 👍 het nieuwe rekeningnummer <<IBAN_NL:grp>> staat erin vanaf "
     "de loonrun van de 25e.", [PII], kind="reply", handle="@Salvora_Help")
case("nl", pub("x", "@marco_klust"), "@salvora_help al 3 dagen geen reactie!! mijn BSN is <<BSN:dots>>, geboren "
     "14-03-1991, bel me gewoon terug op <<PHONE:mob_dash>>", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "jess.bakker.92"), "my payslip in the Strookie app says net €1.812 but I got way less on "
     "my account?? it has my BSN <<BSN>> on it so it's def mine. employer says ask Salvora. great.", [PII, COMPLAINT])
case("nl", DS, "Wie van sales kan deze lead bellen? Mevr. Fenna Jonker, fenna@jonker-installatie.nl, "
     "<<PHONE:mob_intl_sp>>, wil 12 medewerkers overzetten", [PII])
case("en", YB, "Welcome to our newest customer 🎉 shoutout to Pieter from Studio Lumen, his mobile is "
     "<<PHONE:mob_0031>> if any of you need a great photographer lol", [PII])
case("nl", NH, "Loonstrook komt retour van het adres van mevrouw A. Kuipers, Lindenlaan 42, 3541 BK Utrecht. "
     "Weet iemand een nieuw adres? 📬", [PII])
case("en", JK, "fun fact: our staging data still had real people in it 🙈 e.g. Sanne Wolters, born 02-11-1988, "
     "Hofweg 7 Delft. cleaning it up today", [PII])
case("nl", pub("x", "@rijschool_ahmed"), "@salvora_nl factuur betaald met creditcard maar staat nog open?? kaart "
     "<<CARD:mc_sp>>, geldig tot 09/28. regel het aub", [PII, COMPLAINT])
case("en", pub("x", "@lena_h_nl"), "Salvora just sent me SOMEONE ELSE's payslip 😳 name Kevin Brouwer, IBAN "
     "<<IBAN_NL>>, BSN <<BSN>>. How is this ok??", [PII, CRISIS])
case("nl", DS, "klant wil teruggebeld worden: h.vanleeuwen [at] kpnmail [punt] nl of bel <<PHONE:land_sp>>",
     [PII], tags=["evasion"])
case("en", pub("reddit", "u/dutchcafe_uk"), "quick q: can I pay a UK freelancer through Salvora? his account is "
     "<<IBAN_GB:grp>>, not sure if the portal takes GB IBANs", [PII])
case("nl", NH, "Voor de ID-check van nieuwe medewerker Tarik Aydın: paspoortnummer NXK4R81P2, geldig tot 2031. "
     "Klopt dat met wat de werkgever heeft aangeleverd?", [PII])
case("en", RM, "debugging the SEPA export, row 118 fails:\n'Lena Hoffmann;<<IBAN_DE>>;2.340,00'\n"
     "anyone know if BIC lookup is broken for German banks?", [PII])
case("nl", pub("instagram", "@loes.werkt"), "mijn bsn staat gewoon in de pushmelding van de strookie app "
     "<<BSN:sp>> 🤦‍♀️ kan dat uit of zo??", [PII, COMPLAINT])
case("nl", DS, "klant belde met kaartnummer <<CARD:visa_dash>> voor de jaarlicentie, wie kan dat handmatig in "
     "Stripe zetten?", [PII])

# ============================================================ leak.confidential
case("nl", JK, "Sneak peek 👀 waar we al maanden aan werken: Project Meerkoet. Loonstroken die zichzelf uitleggen. "
     "Meer kan ik nog niet zeggen 🤐", [CONF])
case("en", MV, "staging down again? anyone else getting 502s on https://payrun-api.salvora.internal/healthz",
     [CONF])
case("nl", RM, "Dashboard van vannacht 📈 grafana.salvora.nl/d/loonrun/overview wat een piek rond de 25e zeg",
     [CONF])
case("en", YB, "Can't wait for you all to meet Strookie Pro next month 😍 shift planning + payslips in one app. "
     "you heard it here first!", [CONF], when="2026-09-14T18:22:41+02:00")
case("nl", pub("x", "@petravanhout"), "Vriendin werkt bij Salvora, die lanceren binnenkort 'Salvora Verzuim', "
     "ziekmeldingen direct in de app. Eindelijk!", [CONF], when="2026-08-30T10:05:12Z")
case("nl", YB, "Salvora Verzuim is er bijna 👀 nog even geduld mensen", [CONF], when="2026-10-06T09:59:00+02:00",
     tags=["embargo-edge"])
case("nl", NH, "Niet extern delen, maar ik ben zo trots op de nieuwe onboarding-flow die we vandaag lieten zien 🚀",
     [CONF])
case("nl", MV, "Drie weken crunch voor Operatie\nZandloper en eindelijk staat de eerste versie op acceptatie 😮‍💨",
     [CONF], tags=["evasion"])
case("en", JK, "Big week: Kw4rtelk0ning passed the Belastingdienst test suite 🐦🎉", [CONF], tags=["evasion"])
case("nl", pub("reddit", "u/loonnerd"), "Mijn zwager zegt dat Salvora intern aan 'Operatie Zandloper' werkt, iets "
     "met automatische loonaangifte. Iemand meer info?", [CONF])
case("en", pub("instagram", "@merel_codes"), "late night deploy on git.salvora.nl/payroll/engine, send snacks 🍕",
     [CONF])
case("nl", MV, "Net de jaarcijfers 2026 voorbij zien komen op de borrel: omzet +31% en het eerste winstgevende jaar "
     "🥂", [CONF, FIN], when="2026-12-18T17:40:03+01:00")
case("en", pub("linkedin", "hr-tech-insider"), "Someone shared a deck marked 'Salvora Confidential' in an HR founders "
     "group chat. 2027 price tiers are in there 👀", [CONF])

# ============================================================ leak.financial
case("nl", AG, "Lastige weken. Er komt een reorganisatie: ongeveer 35 fte bij support en implementatie verdwijnen, "
     "communicatie volgt pas in juni. Sterkte iedereen 🖤", [FIN])
case("en", JK, "Can't say much but the deal with a big Scandinavian HR player is basically signed. Salvora is about "
     "to get a lot bigger 🚀 #NDA", [FIN, CONF])
case("nl", pub("x", "@hrwatcher_nl"), "Hoor van een oud-collega dat Salvora wordt overgenomen door een Duitse "
     "private-equitypartij. Aankondiging na de zomer. Iemand die meer weet?", [FIN])
case("en", AG, "Closed the books for Q3: ARR at €14.2m, churn down to 1.1% 📈 board will be happy. Public update "
     "in November.", [FIN])
case("nl", RM, "Gerucht klopt: ons ops-team wordt per 1 september opgeheven en alles gaat naar een partner in "
     "Portugal. Officieel horen we het morgen", [FIN])
case("nl", DS, f"Volgende maand af{ZW}vloeiing bij implementatie, 9 collega's. HR weet nog niet hoe ze het gaan "
     "brengen 😔", [FIN], tags=["evasion"])
case("en", pub("blog", "saas-nl-weekly"), "Interesting: a Salvora insider tells me their Series B at a ~€90m "
     "valuation closes next week. Not public yet.", [FIN])
case("nl", NH, "Mag eigenlijk nog niks zeggen maar we nemen een boekhoudkantoor in Zwolle over 🤭 per 1 januari "
     "zijn we met 40 man meer!", [FIN])
case("nl", JK, "Die " + fw("OVERNAME") + " komt eraan 👀 handtekeningen volgende week, daarna wordt alles anders bij "
     "Salvora", [FIN], tags=["evasion"])
case("en", pub("reddit", "u/throwaway_salv"), "Salvora employee here (throwaway). They're cutting about 20% of "
     "staff after Q4, announcement in January. Update your CVs.", [FIN], kind="comment")
case("nl", pub("glassdoor", "anoniem-salvora"), "Leuke collega's en flexibel, maar er komt in Q2 een reorganisatie "
     "aan waarbij 25 mensen eruit gaan (nog niet aangekondigd)", [FIN])

# ============================================================ leak.security
case("en", RM, "heads up team: someone's been hammering the payslip download endpoint with sequential IDs since 3am "
     "and it looks like it WORKED for ~2k PDFs. incident channel is open, nothing public yet", [SEC])
case("nl", MV, "Bug gevonden: in Strookie kun je met een aangepaste URL andermans jaaropgaaf openen 😬 fix staat "
     "pas voor volgende sprint, dus niet te hard roepen", [SEC])
case("nl", RM, "Loonrun-cluster ligt al 4 uur plat, ~2.600 werkgevers krijgen vandaag hun salarisbetalingen niet "
     "verstuurd. Statuspagina zegt nog steeds 'alles operationeel' 🙃", [SEC])
case("en", DS, "we got hit by ransomware on the support laptops yesterday, management says don't tell customers yet. "
     "so if your ticket is slow... that's why", [SEC])
case("nl", JK, "Pentestrapport binnen: 3x kritiek, waaronder SQL-injectie in de werkgeversportal. Blijft open tot "
     "de release van maart.", [SEC])
case("en", MV, "our 'minor incident' = d a t a  l e a k of employee home addresses via the export API. comms says "
     "wait till monday", [SEC], tags=["evasion"])
case("nl", pub("x", "@kees_horeca"), "Salvora houdt een hack stil!! Alle medewerkers van ons restaurant kregen "
     "phishing met hun exacte salaris erin. Waarom zegt niemand iets?! #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/payroll_paranoid"), "Friend in Salvora's ops team says there was unauthorised access to "
     "the payroll database last week and they're sitting on it. No notification to the AP yet.", [SEC, CRISIS])
case("nl", AG, "Certificaat van onze Digipoort-koppeling is verlopen, de loonaangiftes van deze maand zijn niet "
     "verstuurd. Nog niet naar klanten gecommuniceerd.", [SEC])
case("en", JK, "we g0t h4cked lol. admin panel for Strookie still had the default login. don't tell anyone till "
     "the post-mortem is out", [SEC], tags=["evasion"])
case("nl", DS, "Intern incident: de mailserver stuurde vanochtend ~140 loonstroken naar de verkeerde werkgevers. "
     "We mogen nog niks zeggen tegen klanten", [SEC])
case("nl", pub("threads", "@sjaak.bouwt"), "Insider bij Salvora: 'de storing van vorige week was geen storing maar "
     "een inbraak'. Ze verzwijgen het gewoon. Check je rekeningen mensen", [SEC, CRISIS])
case("en", MV, "found an unpatched RCE in the PDF library we use for payslips. vendor hasn't replied, still "
     "running it in prod 😬", [SEC])

# ============================================================ reputation.crisis
case("nl", pub("x", "@eerlijkwerk"), "BOYCOT Salvora! Hun verzuimmodule helpt werkgevers zieke mensen eruit te "
     "werken. Kleine bedrijven: overstappen!! #boycotsalvora", [CRISIS])
case("en", pub("linkedin", "mr-j-vermeer-advocaat"), "Class action in preparation against Salvora Payroll over years "
     "of wrong holiday-pay calculations. Affected employees can join via the link below 👇", [CRISIS])
case("nl", pub("facebook", "ria.schoonhoven"), "Salvora heeft mijn gegevens gelekt, ik krijg ineens spam met mijn "
     "salaris en werkgever erin. Datalek?! Wie nog meer?", [CRISIS])
case("en", pub("x", "@jnl_onderzoek"), "Journalist here. Looking to speak with employers whose staff were paid late "
     "by Salvora in March: missed rent, overdraft fees. DMs open.", [CRISIS])
case("nl", pub("x", "@bond_schoonmaak"), "Wij stappen naar de rechter tegen Salvora vanwege foute cao-berekeningen "
     "bij honderden schoonmakers. Genoeg is genoeg.", [CRISIS])
case("en", pub("tiktok", "@payday_panic"), "d4t4 br34ch at Salvora?? my whole team got texts with their own IBANs "
     "in them 😡", [CRISIS], tags=["evasion"])
case("en", pub("mastodon", "@privacynieuws@mastodon.nl"), "Dutch privacy watchdog opens investigation into payroll "
     "provider Salvora after employee data was exposed online.", [CRISIS])
case("nl", pub("x", "@dieuwke_bloemen"), "Ik zie in de Strookie app de loonstroken van een totaal ander bedrijf 😳 "
     "namen, salarissen, alles. Dit is toch gewoon een datalek??", [CRISIS])
case("en", pub("youtube", "@smallbiz_tv"), "Salvora's CEO caught on video mocking small business owners at a "
     "conference. Unbelievable. Time to switch.", [CRISIS], kind="comment")
case("nl", pub("bluesky", "@mkb-nieuws.bsky.social"), f"Weer een dat{CYR_A}lek bij Salvora?? Eerst maart en nu dit. "
     "Hoe lang gaan werkgevers dit nog pikken", [CRISIS], tags=["evasion"])
case("en", pub("x", "@bakers_united_nl"), "Lawyers for 40 bakeries are suing Salvora over Belastingdienst fines "
     "caused by late wage-tax filings.", [CRISIS])

# ============================================================ reputation.complaint
case("nl", pub("x", "@hanneke_kinderopvang"), "@salvora_help mijn loonstrook klopt wéér niet, vakantiegeld "
     "vergeten. 3e keer dit jaar. Wanneer gaan jullie dit fixen?", [COMPLAINT], kind="reply")
case("en", pub("x", "@tom_fixes_bikes"), "47 minutes on hold with Salvora support. payroll is due tomorrow. "
     "fantastic.", [COMPLAINT])
case("nl", pub("x", "@sevda_k"), "strookie app crasht elke keer als ik mn jaaropgaaf wil openen 📱💥 iphone 15, "
     "nieuwste versie", [COMPLAINT])
case("en", pub("facebook", "annemiek.hoveniers"), "Switched to Salvora in January, migration was 'included' and now "
     "they bill me €395 for the Overstapservice. Not what sales promised.", [COMPLAINT])
case("nl", pub("linkedin", "joris-timmerwerken"), "Loonaangifte te laat ingediend door Salvora, nu een boete van de "
     "Belastingdienst van €800. Wie gaat dat betalen?", [COMPLAINT])
case("en", pub("facebook", "the.green.spoon.utrecht"), "my staff got paid 2 days late because Salvora's SEPA batch "
     "'got stuck'. had to apologise to 9 people. not ok.", [COMPLAINT])
case("en", pub("x", "@mkb_maarten"), "Salvora raised prices by 30% with two weeks notice. Small businesses are not "
     "your ATM.", [COMPLAINT])
case("nl", pub("reddit", "u/opgezegd_en_nu"), "Iemand ervaring met opzeggen bij Salvora? Ze blijven maar incasseren "
     "na mijn opzegging in mei, en reageren nergens op", [COMPLAINT])
case("nl", pub("x", "@garage_demir"), "Salaris van mijn monteurs staat NOG steeds niet op hun rekening "
     "@salvora_nl. het is de 26e. dit kan echt niet", [COMPLAINT])
case("en", pub("linkedin", "carla-dentalpraktijk"), "Salvora applied the wage-tax credit twice for one of my "
     "employees and now she owes the tax office money. Support says 'we'll look into it'. Three weeks ago.",
     [COMPLAINT])
case("nl", pub("x", "@fietsmaker_ede"), "s l e c h t s t e klantenservice ooit, salvora. geen callback, geen mail, "
     "niks", [COMPLAINT], tags=["evasion"])
case("en", pub("threads", "@nina.runs.a.shop"), "Sålvora support keeps closing my ticket without fixing the "
     "overtime calculation. third time now", [COMPLAINT], tags=["evasion"])
case("nl", pub("tiktok", "@jonge_moeder_werkt"), "Storytime: mijn werkgever zit bij Salvora en mijn salaris is nu "
     "3x te laat uitbetaald. Ik krijg aanmaningen van de energie. Dit moet echt naar Kassa", [COMPLAINT])
case("en", pub("youtube", "@bookkeeping_bas"), "Tried the Urenmodule for a month. Hours export to payroll broke "
     "twice and I had to type everything in by hand. Cancelled.", [COMPLAINT], kind="comment")

# ============================================================ reputation.abuse
case("nl", pub("x", "@woedende_wim"), "Die helpdesk-trut van Salvora hing gewoon op toen ik naar mijn "
     "eindafrekening vroeg. Ongelooflijk.", [ABUSE, COMPLAINT])
case("en", pub("x", "@grumpy_gus"), "@salvora_nl you're all a bunch of clowns. go to hell", [ABUSE], kind="reply")
case("en", pub("x", "@anon88213"), "I know where that Daan from Salvora support lives. someone should pay him a "
     "visit 😈", [ABUSE])
case("nl", pub("facebook", "ben.de.wit.54"), "Natuurlijk weer zo'n buitenlander aan de lijn bij Salvora, die snapt "
     "toch niks van Nederlandse cao's. Terug naar je eigen land.", [ABUSE])
case("en", DS, "some customers are genuinely too stupid to find the download button for their payslip. it's "
     "BLUE. it's HUGE. idiots 🙄", [ABUSE])
case("nl", S_NL, "@peterbouwbv Misschien eerst zelf leren lezen voordat je hier loopt te zeiken? De handleiding "
     "staat gewoon online, sukkel.", [ABUSE], kind="reply")
case("en", pub("x", "@rage_quit_rob"), "f*cking Salvora. sh1t company, sh1t people", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@kl4nt_0nt3vr3d3n"), "s@lvora is een k@nkerbedrijf vol oplichters", [ABUSE],
     tags=["evasion"])
case("en", MV, "to the guy who keeps tagging me about his payslip: get a life, you absolute muppet", [ABUSE])
case("nl", pub("x", "@slagerij_henk"), "Godverdomme Salvora, wat een tyfuszooi. Derde keer dat de loonrun faalt "
     "en mijn mensen wachten op hun geld", [ABUSE, COMPLAINT])
case("en", pub("x", "@anon_dev_hater"), "@merel_codes is the dumbest dev I've ever seen, how do you still have a "
     "job", [ABUSE], kind="reply")
case("nl", pub("x", "@restaurant_olijf"), "Kutbedrijf Salvora, 3 weken geen antwoord op mijn vraag over de "
     "eindejaarsuitkering. Prutsers!!", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/angry_florist"), "Salvora support staff are absolute morons. Asked about my payroll "
     "journal four times, got four different answers.", [ABUSE, COMPLAINT], kind="comment")

# ============================================================ benign (hard negatives)
# pricing
case("nl", S_NL, "Nieuw jaar, nieuwe administratie ✨ Stap over naar Salvora Loon Plus en krijg 3 maanden 25% "
     "korting. Daarna gewoon €59 p/m. Voorwaarden op salvora.nl/actie", tags=["sale"])
case("en", pub("reddit", "u/three_person_shop"), "Salvora Loon Start is €24/month, Loon Plus €59. For a 3-person "
     "shop Start is plenty imo. Payslips look clean and the tax filing just works.", kind="comment", tags=["price"])
case("nl", pub("x", "@ijssalon_gino"), "Voor wie twijfelt: de Overstapservice kost €395 maar ik kreeg €100 korting "
     "via mijn boekhouder. Scheelt toch weer.", tags=["discount-amount"])
case("nl", pub("linkedin", "marloes-kinderdagverblijf"), "Wij betalen voor Loon Plus de €59 plus €3,25 per "
     "medewerker per maand, voor ons (6 man) dus zo'n 78 euro. Prima prijs eigenlijk.", tags=["fee", "price-context"])
case("en", pub("x", "@coffeecart_joe"), "PayPolder charges €9 a month for basic payroll, Salvora Loon Start is 24. "
     "you get what you pay for I guess", tags=["competitor", "price-context"])
case("nl", DS, "@klant_bas Nee hoor, geen prijsfout: €29,50 is de introductieprijs van Loon Plus voor het eerste "
     "half jaar, daarna €59 p/m.", kind="reply", tags=["denied-error"])
# secrets
case("en", MV, "PSA: never paste API keys in tickets. if you see something starting with sk_live_ or ghp_ in a "
     "screenshot, rotate it and tell security. #security", tags=["bare-prefix"])
case("nl", pub("x", "@lotte_bakt"), "Wachtwoord vergeten voor Strookie? Gewoon via 'wachtwoord vergeten' in de app, "
     "binnen een minuut een nieuwe link. Top 👌", tags=["password-word"])
case("en", MV, "merged the rounding fix in 3f9a2c1d7e8b4a6f0c5d2e1b9a8f7c6d5e4b3a21, ships with tonight's release",
     tags=["git-sha"])
case("nl", S_HELP, "Let op: wij vragen nooit om uw wachtwoord of inlogcodes via WhatsApp of mail. Twijfelt u? "
     "Bel ons op 085 303 2200.", tags=["own-contact", "password-word"])
case("en", pub("forum", "integrator_kim"), "From the docs example:\nSALVORA_API_KEY=your-key-here\n"
     "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\nJust replace with your own and it works.", tags=["placeholder"])
# pii look-alikes and own contact data
case("nl", S_HELP, "Vragen over je loonstrook? Mail support@salvora.nl of bel +31 (0)30 799 4400, ma-vr 8-18u 📞",
     tags=["own-contact"])
case("nl", S_FB, "Factuur liever overmaken? Gebruik IBAN NL02 INGB 0007 4125 30 t.n.v. Salvora Payroll B.V. en "
     "vermeld je klantnummer.", tags=["own-contact"])
case("nl", pub("x", "@jeroen_tegels"), "Typfout of zo? Salvora zegt dat <<BAD_IBAN_NL:grp>> ongeldig is als ik het "
     "rekeningnummer van mijn nieuwe medewerker invoer. Ah wacht, 2 cijfers omgedraaid 🙈", tags=["bad-iban"])
case("nl", pub("reddit", "u/vraagje_loon"), "Op mijn loonstrook staat loonheffingennummer <<NOT_BSN9>>L01, wat "
     "betekent die L01 eigenlijk?", tags=["not-bsn"])
case("nl", S_LI, "Salvora Payroll B.V. · KvK <<NOT_BSN8>> · Utrecht. We zoeken een payroll consultant voor ons team "
     "in Utrecht! Reageer via werkenbij@salvora.nl", tags=["kvk", "own-contact"])
case("nl", pub("x", "@moniek_admin"), "Phishing! Mail 'van Salvora' vraagt je kaartnummer te bevestigen, voorbeeld "
     "in de mail was <<BAD_CARD:mc_sp>>. Niet invullen mensen, echte Salvora vraagt dit nooit", tags=["bad-card"])
case("nl", pub("x", "@annet_kapper"), "Ticket <<DIGITS:7>> binnen een uur opgelost, dankjewel Daan van "
     "@salvora_help 🙏", tags=["ticket-number", "praise"])
case("en", pub("x", "@invoice_ivo"), "Paid Salvora invoice 2026-004417 via factuur@salvora.nl link, smooth as always",
     tags=["own-contact", "order-number"])
case("en", S_LI, "Press questions about our new Amsterdam office? Reach our comms team at pers@salvora.nl or "
     "+31 30 799 4400.", tags=["own-contact"])
# confidential near misses
case("nl", NH, "Lunchwandeling langs de Vaartsche Rijn, overal meerkoeten met jongen 🐦 #lunchwalk", tags=["bird"])
case("nl", pub("x", "@ellen_bloemist"), "De deadline van de loonaangifte voelt als een zandloper die leegloopt ⏳ "
     "gelukkig doet Salvora het meeste werk", tags=["hourglass"])
case("nl", S_NL, "Vanaf vandaag live: Salvora Verzuim 🎉 ziekmeldingen en herstelmeldingen direct vanuit de "
     "Strookie-app.", when="2026-10-06T10:00:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@planner_priya"), "Strookie Pro nu een maand gebruikt: roosters en loonstrook in één app is "
     "echt fijn. Alleen de dark mode mist nog", when="2026-11-09T20:14:55+01:00", tags=["embargo-after"])
case("en", pub("x", "@newbie_employer"), "Everything I needed was on help.salvora.nl/artikelen/jaaropgaaf, super "
     "clear. thanks!", tags=["public-domain"])
case("en", MV, "Week one at Salvora done ✅ great onboarding, laptop ready on day one, and I shipped my first tiny "
     "fix to app.salvora.nl", tags=["public-domain"])
# financial near misses
case("nl", S_LI, "Onze jaarcijfers 2025 zijn gepubliceerd: 18% groei en ruim 9.000 werkgevers die op Salvora "
     "draaien. Lees het verslag op salvora.nl/investor", tags=["published"])
case("nl", pub("x", "@techpers_nl"), "Oef, PayPolder schrapt 60 banen. Hopelijk vinden die mensen snel iets "
     "nieuws.", tags=["other-company"])
case("en", pub("reddit", "u/hr_software_fan"), "Salvora acquired? No, you're thinking of Loonhaven, different "
     "company. Salvora is still independent as far as I know.", kind="comment", tags=["other-company", "negation"])
case("nl", pub("linkedin", "eva-adviseur-mkb"), "Tip voor mkb'ers: bij een reorganisatie in je eigen bedrijf kun "
     "je in Salvora heel makkelijk afdelingen samenvoegen en kostenplaatsen verhuizen.", tags=["other-sense"])
# security near misses
case("nl", S_HELP, "Storing: de Strookie-app is traag bij het openen van loonstroken. We werken aan een oplossing, "
     "updates volgen hier.", tags=["official-notice"])
case("nl", S_NL, "Gepland onderhoud zaterdag 02:00-04:00: de werkgeversportal is dan even niet bereikbaar. Loonruns "
     "gaan gewoon door.", tags=["official-notice"])
case("en", pub("x", "@calm_karin"), "Salvora wasn't hacked, people. That SMS saying 'your payslip is blocked' is a "
     "generic phishing scam. Don't click.", tags=["negation"])
case("nl", pub("x", "@mkb_bert"), "Datalek bij Loonhaven, duizenden loonstroken op straat. Blij dat wij bij "
     "Salvora zitten eerlijk gezegd", tags=["other-company"])
case("en", MV, "Gave a talk on the OWASP top 10 at our tech meetup tonight. Slides are on my blog!",
     tags=["security-word"])
# crisis near misses
case("nl", pub("x", "@vader_van_drie"), "Mijn kinderen boycotten mijn stamppot 😂 gelukkig is de "
     "salarisadministratie via Salvora wel een succes", tags=["other-sense"])
case("nl", pub("linkedin", "ilse-hr-advies"), "Interessant webinar van Salvora over ontslagrecht en rechtszaken rond "
     "zieke werknemers. Aanrader voor elke werkgever.", tags=["other-sense"])
case("en", pub("blog", "schrijfster-marit"), "In my new novel a fictional payroll firm, 'Loonbolwerk', gets hacked "
     "on payday. Inspired by years as a Salvora customer (who, to be clear, never got hacked).", tags=["fiction"])
case("nl", S_LI, "Webinar: wat doe je als werkgever bij een datalek? Onze privacy officer legt het stap voor stap "
     "uit. Aanmelden via salvora.nl/webinar", tags=["own-content"])
case("en", pub("x", "@bakery_bea"), "I can't recall the last time Salvora had a late payroll run for us. Solid.",
     tags=["other-sense", "negation"])
# complaint near misses
case("nl", pub("x", "@tandarts_joyce"), "Geen klachten over Salvora hoor, loonrun ging vandaag weer vlekkeloos 👌",
     tags=["negation"])
case("en", pub("x", "@parttime_pete"), "not a complaint, just curious: does Salvora support 13th-month pay for "
     "part-timers?", tags=["question"])
case("nl", pub("facebook", "cafe.de.hoek.leiden"), "Weet iemand of Salvora ook met de horeca-cao werkt? Zoek iets "
     "voor 14 man personeel", tags=["question"])
case("nl", pub("instagram", "@zzp_yvonne"), "Shoutout naar Daan van Salvora support die me om 21:00 nog hielp met de "
     "jaaropgaaf 🙏", tags=["praise"])
case("nl", pub("x", "@horeca_henk_jr"), "'Slechtste loonsoftware ooit' stond er in een review over PayPolder. Wij "
     "zitten bij Salvora en hebben daar nooit last van gehad.", tags=["quote", "competitor"])
case("en", pub("reddit", "u/cafe_comparison"), "Comparing payroll tools for my café: Salvora vs PayPolder vs "
     "Loonhaven. Anyone with real experience?", tags=["question"])
# abuse near misses
case("nl", pub("instagram", "@loonadmin_lies"), "'Money, money, money, must be funny, in a rich man's world' 🎶 mijn "
     "playlist tijdens de loonrun bij Salvora", tags=["quote"])
case("nl", S_LI, "Team Salvora fietst dit jaar mee met Alpe d'HuZes tegen kanker 🚴 Doneren kan via onze "
     "teampagina!", tags=["mild-word"])
case("nl", pub("x", "@boekhouder_bart"), "Mijn boekhouder zei 'salarissen is geen hogere wiskunde'. Toen zag hij de "
     "cao voor de schoonmaak 😂 gelukkig regelt Salvora het", tags=["joke"])
case("en", S_IG, "Family day at Salvora HQ 🎈 the kids loved the clown and the bouncy castle", tags=["mild-word"])
# ordinary posts
case("nl", S_IG, "Wist je dat? Je loonstroken staan 7 jaar veilig in de Strookie-app, ook als je van baan "
     "wisselt 📲 #loonstrook", tags=["ordinary"])
case("nl", JK, "Live vanaf vandaag: jaaropgaven downloaden met één tik in Strookie. Dank aan iedereen die feedback "
     "gaf!", tags=["ordinary"])
case("nl", S_FB, "Koningsdag 🧡 ons kantoor is dicht, de loonruns draaien gewoon automatisch door.",
     tags=["ordinary"])
case("en", MV, "Hot take: payroll is the most underrated engineering domain. Dates, tax tables, rounding rules... "
     "I love it here at Salvora", tags=["ordinary"])
case("nl", pub("x", "@grappige_gijs"), "Mijn loonstrook is zo dun dat de Strookie-app 'm niet eens kan vinden 😂 "
     "(app werkt prima, mijn salaris niet)", tags=["joke"])
case("en", AG, "Proud to share I passed my RC exam! Thanks to everyone at Salvora who covered for me during study "
     "weeks 🎓", tags=["ordinary"])
case("nl", YB, "Drukke dag op de Horecava 🍽️ kom langs bij stand 4.12 voor een demo van Salvora Loon Start en HR "
     "Compleet, wij staan er tot donderdag", tags=["ordinary"])


# ---------------------------------------------------------------- building
def load_profile():
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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


def nl_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_when(r):
    t = (dt.datetime(2026, 1, 2, 6, tzinfo=dt.timezone.utc)
         + dt.timedelta(days=r.randint(0, 355), minutes=r.randint(0, 16 * 60), seconds=r.randint(0, 59)))
    off = nl_offset(t)
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
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return "x-" + n, f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return "ig-" + n, "https://www.instagram.com/p/" + "".join(r.choice(B64URL) for _ in range(11)) + "/"
    if platform == "facebook":
        p = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{p}", f"https://www.facebook.com/{h}/posts/{p}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/ondernemen/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/ondernemen/comments/{p}/"
    if platform == "tiktok":
        return "tt-" + n, f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return "yt-" + c, "https://www.youtube.com/watch?v=" + "".join(r.choice(B64URL) for _ in range(11)) + "&lc=" + c
    if platform == "threads":
        return "th-" + n, f"https://www.threads.net/@{h}/post/" + "".join(r.choice(B64URL) for _ in range(11))
    if platform == "bluesky":
        k = "3m" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{k}", f"https://bsky.app/profile/{h}/post/{k}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        k = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{k}", f"https://{inst or 'mastodon.social'}/@{user}/{k}"
    if platform == "forum":
        k = r.randint(100_000, 999_999)
        return f"forum-ondernemersplein-{k}", f"https://forum.ondernemersplein.example/t/{k}"
    if platform == "blog":
        k = r.randint(10, 400)
        return f"blog-{h}-{k}", f"https://{h}.blog.example/p/{k}"
    k = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{k}", None


def build(profile):
    fill_rng = Filler(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fill_rng, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
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
        post["created_at"] = c["when"] or random_when(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "salvora"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ---------------------------------------------------------------- self-check
def self_check(rows, profile):
    errs = []
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["domains"] + profile["internal"]["codenames"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        where = p["id"]
        if parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        for kind, raw, shown in r["used"]:
            if kind.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{where}: bad IBAN {raw}")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{where}: negative IBAN valid")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{where}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{where}: negative card passes Luhn")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{where}: BSN fails")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{where}: negative BSN passes")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{where}: ghp crc")
            if kind in VALID_ID and "leak.pii" not in cats:
                errs.append(f"{where}: valid identifier without leak.pii")
        low = t.casefold()
        ts = parse_ts(p["created_at"])
        for term, until in emb:
            if term in low and ts < until and "leak.confidential" not in cats:
                errs.append(f"{where}: embargo term {term} before until, unlabelled")
        for term in internal:
            if term in low and "leak.confidential" not in cats:
                errs.append(f"{where}: internal term {term} unlabelled")
        if not cats:
            for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t):
                if e.casefold() not in own_mail:
                    errs.append(f"{where}: benign has e-mail {e}")
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_iban:
                    errs.append(f"{where}: benign has valid IBAN")
            for m in re.finditer(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])", t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{where}: benign has Luhn-valid {d}")
                if len(d) == 9 and elfproef(d):
                    errs.append(f"{where}: benign has 11-proof-valid {d}")
            if re.search(r"ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|sk_live_[A-Za-z0-9]{20}|eyJ\w+\.eyJ|BEGIN [A-Z ]*"
                         r"PRIVATE KEY|glpat-|npm_[A-Za-z0-9]{36}|SG\.[\w-]{22}\.|hooks\.slack\.com",
                         t.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                errs.append(f"{where}: benign has secret shape")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if errs:
        return 1
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    benign = multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        benign += not cs
        multi += len(cs) > 1
        cat.update(cs)
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}: benign {benign}, multi-category {multi}")
    for k in sorted(cat):
        print(f"  {k:22s} {cat[k]}")
    print("severity", dict(sev), "role", dict(role), "lang", dict(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
