#!/usr/bin/env python3
"""Deterministic generator for the sealed101 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional "Vlotaangifte B.V." (profile.yaml here), a Dutch tax-filing and
bookkeeping app for consumers and freelancers.

All post texts are hand-written below (CASES). Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); the benign
near-misses get numbers that FAIL their checksum. Secrets are random and fake, shaped
like real ones (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories, and whether a
checksum-validated identifier is in the post.
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

SEED = 101_2026_0419
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]

ZW = "\u200b"
SHY = "\u00ad"
CYR_O = "\u043e"   # Cyrillic small o, looks like Latin o
CYR_A = "\u0430"   # Cyrillic small a


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        tot += x
    return bool(d) and tot % 10 == 0


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


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded value generators
# ---------------------------------------------------------------------------

OWN_IBAN = "NL67RABO0341234567"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO",
                                                 "RBRB", "REVO"]) + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "12030000", "43060967", "76026000"]) + self.digits(10))

    def iban_be(self):
        f = self.r.choice(["001", "063", "143", "523", "750"]) + self.digits(7)
        return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")

    def iban_gb(self):
        return iban_make("GB", self.r.choice(["MONZ", "BARC", "NWBK", "LOYD"]) + self.digits(14))

    def bad_iban(self, v):
        k = int(v[2:4])
        for d in (7, 19, 31, 43, 61):
            c = f"{v[:2]}{(k + d) % 100:02d}{v[4:]}"
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
        if brand == "maestro":
            return luhn_complete("6759" + self.digits(11))
        raise ValueError(brand)

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
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def btwid(self):
        """Dutch VAT id shape NL#########B##: 9 digits fail the 11-proof, whole thing fails mod-97."""
        while True:
            s = f"NL{self.not_bsn(9)}B{self.digits(2)}"
            if not iban_ok(s) and not luhn_ok(s):
                return s

    def kenmerk(self):
        """16-digit payment reference, grouped in 4s like a card, that fails Luhn."""
        while True:
            s = "1" + self.digits(15)
            if not luhn_ok(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return (self.chars(letters, 2) + self.chars(letters + "0123456789", 6) + self.digits(1))

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345") + self.digits(7)
            return {"mob_dash": f"06-{d8}",
                    "mob_plain": f"06{d8}",
                    "mob_sp": f"06 {d8[:4]} {d8[4:]}",
                    "mob_intl": f"+31 6 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_0031": f"0031 6{d8}",
                    "mob_intl0": f"+31 (0)6 {d8}",
                    "mob_compact": f"+316{d8}"}[f]
        area = self.r.choice(["10", "15", "20", "30", "35", "40", "50", "70", "71", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_dash": f"0{area}-{sub}",
                "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.digits(12, True)}-{self.digits(13, True)}-{self.chars(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 24)

    def gapi(self):
        return "AIzaSy" + self.chars(B64URL, 33)

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "_-", 20)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "usr_" + self.digits(7, True), "iss": "app.vlotaangifte.nl",
                               "scope": "admin", "iat": iat, "exp": iat + 3600},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.chars(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.chars(B64, 40) + "="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.chars(string.ascii_lowercase, 4)
                + self.r.choice("!#%*?") + self.chars(string.digits, 3) + self.chars(ALNUM, 4))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
BAD_ID_KINDS = {"BAD_IBAN_NL", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "BTWID", "KENMERK"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB"):
            raw = getattr(gen, k.lower())()
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = gen.card(brand) if k == "CARD" else gen.bad_card(brand)
            shown = gen.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}",
                     "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif k == "NOT_BSN9":
            shown = raw = gen.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = gen.not_bsn(8)
        elif k == "BTWID":
            shown = raw = gen.btwid()
        elif k == "KENMERK":
            raw = gen.kenmerk()
            shown = gen.g4(raw)
        elif k == "PASSPORT":
            shown = raw = gen.passport()
        elif k == "PHONE":
            shown = raw = gen.phone(f)
        elif k == "DIGITS":
            shown = raw = gen.digits(int(f), True)
        elif k == "HEX":
            shown = raw = gen.hexs(int(f))
        else:
            fn = {"GHP": gen.ghp, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                  "SLACK_BOT": gen.slack_bot, "STRIPE": gen.stripe, "GAPI": gen.gapi,
                  "GLPAT": gen.glpat, "SENDGRID": gen.sendgrid, "JWT": gen.jwt,
                  "PEM_RSA": gen.pem_rsa, "PW": gen.password}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
V_X = ("x", "@vlotaangifte", "Vlotaangifte")
V_HELP = ("x", "@vlot_helpdesk", "Vlotaangifte Helpdesk")
V_IG = ("instagram", "@vlotaangifte", "Vlotaangifte")
V_LI = ("linkedin", "vlotaangifte", "Vlotaangifte B.V.")
V_FB = ("facebook", "VlotaangifteNL", "Vlotaangifte")
V_TT = ("tiktok", "@vlotaangifte", "Vlotaangifte")
# employees
MP = ("x", "@marloes_belast", "Marloes Peeters")          # fiscalist, makes tax-tip content
RK = ("linkedin", "ruben-kok-vlotaangifte", "Ruben Kok")   # backend engineer
DV = ("x", "@daan_ops", "Daan Visser")                     # SRE / on-call
NH = ("linkedin", "noor-hamdi-finance", "Noor Hamdi")      # finance controller
LG = ("x", "@lisa_helpt", "Lisa de Graaf")                 # customer support
JM = ("mastodon", "@joost@mastodon.nl", "Joost Mulder")    # data engineer
SY = ("instagram", "@sevda.werkt", "Sevda Yilmaz")         # marketing


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DV, "ugh. who pushed this to the PUBLIC helm chart repo??\n\nGITHUB_TOKEN=<<GHP>>\n\nrevoking it now, "
     "pls nobody fork in the next 5 min 🙃", [SECRET])
case("nl", RK, "Handig trucje als je onze bankkoppeling lokaal wil testen 👇\n\nexport AWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "export AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nen dan gewoon `make sync-banks`. Succes allemaal!", [SECRET])
case("en", JM, "1am, bank-feed importer still choking on Rabo CSVs. if anyone wants to have a look:\n"
     "DATABASE_URL=postgres://vlot_rw:<<PW>>@pg-prod-02.corp.vlot.internal:5432/boekhouding", [SECRET, CONF])
case("en", pub("reddit", "u/apk_goblin"), "Decompiled the Vlotaangifte android app for fun. Google Maps key "
     "hardcoded in strings.xml: <<GAPI>>\nstill valid too lmao", [SECRET], kind="post")
case("nl", pub("forum", "bitneuker71"), "Staat er gewoon een Slack-token van Vlot in een openbare gist 🙄 "
     "<<SLACK_BOT>>\nbeetje slordig voor een bedrijf dat m'n BSN heeft", [SECRET])
case("en", RK, "Stripe webhook integration tests finally green 🎉 key below is already rotated so relax: "
     "<<STRIPE>>", [SECRET], tags=["rotated"])
case("nl", DV, "wie heeft de deploy key in de README van git.vlotaangifte.nl/infra/ansible gezet 😩😩\n\n"
     "<<PEM_RSA>>", [SECRET, CONF])
case("en", JM, "session for the admin test user if you need it, expires in an hour anyway:\n"
     "Authorization: Bearer <<JWT>>", [SECRET])
case("en", pub("twitter", "@sec_ramblings"), "lol @vlotaangifte ships a sendgrid key in their frontend bundle: "
     "<<SENDGRID>> … someone's having a bad monday", [SECRET])
case("nl", SY, "Throwback naar de teamdag 🥳🎳\n\nps voor de nieuwe collega's: wifi VlotGast, wachtwoord "
     "<<PW>>", [SECRET])
case("nl", RK, "gitlab runner token voor wie de pipeline lokaal wil draaien, gewoon in je .env plakken:\n"
     "<<GLPAT>>", [SECRET])
case("nl", LG, "inlog voor de toeslagen-beheeromgeving (voor de nieuwe mensen): gebruiker hd_team02, "
     "w8woord <<PW>>", [SECRET], tags=["evasion"])
case("nl", pub("reddit", "u/oudgediende_vlot"), "Oud-medewerker hier. Het root-wachtwoord van hun acceptatie-"
     "omgeving was jarenlang <<PW>> en ik durf te wedden dat het nog steeds zo is", [SECRET], kind="comment")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", pub("x", "@jolandavr"), "@vlot_helpdesk m'n aangifte blijft hangen bij stap 4 (inkomsten). BSN "
     "<<BSN>> , kunnen jullie even kijken?? ben er al 2 dagen mee bezig", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "Tom Hendriks"), "You debited me TWICE this month. Refund it to "
     "<<IBAN_NL:grp>>, the same account you keep charging 🙄", [PII, COMPLAINT], kind="comment")
case("nl", pub("instagram", "@hanneke_bloemt"), "Kan iemand van Vlot me bellen over de huurtoeslag? "
     "<<PHONE:mob_dash>> , liefst na 17u", [PII], kind="comment")
case("en", pub("reddit", "u/zzp_rotterdam"), "PSA: the Vlotaangifte sales guy who keeps cold-calling "
     "freelancers in our Slack is Mark Veenstra, personal mobile <<PHONE:mob_intl>> if you want to tell him "
     "to stop", [PII])
case("nl", pub("forum", "kapper_eline"), "Afgeschreven van mijn creditcard <<CARD:visa_sp>> (geldig tot 09/28) "
     "maar VlotBoeken zegt nog steeds dat mijn abonnement verlopen is??", [PII, COMPLAINT])
case("nl", pub("facebook", "Wim Smit"), "Kan ik via Vlot ook de aangifte voor mijn moeder doen? Gerda Smit, "
     "geboren 14-03-1951, Lindelaan 12, 3521 AB Utrecht. Ze heeft geen DigiD.", [PII], kind="comment")
case("en", pub("x", "@jvdlinden84"), "@vlot_helpdesk DM'd you three times, nothing. my email is "
     "j.vanderlinden84@hotmail.com if support ever feels like answering", [PII, COMPLAINT], kind="reply")
case("nl", pub("threads", "@ricardo.fotografie"), "@vlot_helpdesk hierbij het bsn van mijn vriendin voor de "
     "partneraangifte, zoals gevraagd: <<BSN:dots>>", [PII], kind="reply")
case("en", pub("linkedin", "katharina-weber-design"), "Dear Vlotaangifte, my invoices still go to my old German "
     "account <<IBAN_DE>>, could you switch it to my Dutch one? Thanks!", [PII])
case("nl", pub("x", "@sannedevos_"), "mail me maar: sanne.devos [at] ziggo [punt] nl , ik wil opzeggen maar de "
     "knop in de app doet helemaal niks", [PII, COMPLAINT], tags=["evasion"])
case("nl", LG, "Even checken bij de collega's: klant met rekening <<IBAN_NL>> krijgt de incasso dubbel, "
     "wie pakt dit op?", [PII], tags=["dm-meant"])
case("nl", MP, "Leuke casus vandaag: mevrouw Jansen-Bos (BSN <<BSN>>) had 3 jaar lang geen huurtoeslag "
     "aangevraagd terwijl ze er gewoon recht op had 😱", [PII])
case("en", RK, "Bug repro for the team: user anouk.brouwer@kpnmail.nl, phone <<PHONE:mob_0031>>. Login loop "
     "on iOS after the DigiD step, anyone seen this?", [PII])
case("nl", V_HELP, "Hoi Kees, we hebben je gebeld op <<PHONE:land_sp>> maar kregen geen gehoor. Je nieuwe "
     "adres Kerkstraat 41, 8011 RK Zwolle is inmiddels verwerkt 👍", [PII], kind="reply")
case("nl", V_FB, "Hoi Yvonne, je terugbetaling van €69,95 is gestort op <<IBAN_NL:grp>>. Binnen 2 werkdagen "
     "zichtbaar!", [PII], kind="comment")
case("en", pub("x", "@brit_in_utrecht"), "Moving back to Manchester 🇬🇧 can @vlotaangifte refund my remaining "
     "months to <<IBAN_GB>>?", [PII])
case("en", pub("trustpilot", "Dennis K."), "Cancelled in January, they still charged my amex "
     "<<CARD:amex_sp>> in March. Avoid.", [PII, COMPLAINT])
case("nl", pub("x", "@fleur_zzp"), "ID-check bij vlot mislukt steeds, paspoortnummer <<PASSPORT>> wordt niet "
     "herkend. 3e keer nu 😤", [PII, COMPLAINT])
case("nl", SY, "Winnaar van onze voorjaarswinactie 🎉 Femke Dijkstra, Prinsessestraat 8 in Leeuwarden, jouw "
     "jaarabonnement komt eraan!", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", pub("x", "@kortingsjager"), "RENNEN 🏃 VlotBoeken Pro staat in de app voor €2,99 ipv €299, komma "
     "vergeten denk ik #prijsfout", [PRICING])
case("en", pub("reddit", "u/deal_hunter_nl"), "Vlotaangifte Partner showing €9 at checkout right now. "
     "Pretty sure that's a bug, grabbed two anyway", [PRICING], kind="post")
case("nl", SY, "Sneak peek 👀 vanaf maandag Vlotaangifte Plus voor maar €19,95!! Vertel het door 🎉",
     [PRICING])
case("nl", LG, "Klanten vragen waarom de Aangiftecheck €12,90 kost op de site. Klopt dus niet, foutje in het "
     "CMS, we zijn ermee bezig", [PRICING])
case("nl", pub("facebook", "Martijn Bos"), "Hebben jullie een prijsfout? Vlot ZZP kost bij mij €17,90 voor "
     "een heel jaar 🤔", [PRICING], kind="comment")
case("en", pub("x", "@frugal_freelancer"), "VlotB0eken Pr" + CYR_O + " for 29 euros?? glitch or what, "
     "go go go", [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@studentenbudget"), "kortingscode stapelt met de voorjaarsactie → Vlot Plus voor "
     "4,95 euro lol 😭 snel zijn", [PRICING])
case("nl", V_X, "🚨 Vlotaangifte Basis tijdelijk voor €3,95! Alleen vandaag 🚨", [PRICING])
case("en", DV, "fun morning: a currency rounding bug made VlotToeslag show €0.25 in the app for ~40 min. "
     "fixed now 😅", [PRICING])
case("en", pub("forum", "pieterb_zzp"), "Anyone else get the Vlot Aangiftecheck for 29 euro? List price is "
     "129, feels like a mistake on their end", [PRICING])
case("nl", pub("reddit", "u/sparen_is_leuk"), "prijsf0ut bij vlot: Partneraangifte Vlot voor €8,99 🤑",
     [PRICING], kind="comment", tags=["evasion"])
case("nl", MP, "Psst, tot vrijdag staat VlotBoeken Pro per ongeluk op €59 in de webshop, ik zeg niks 🤐",
     [PRICING])
case("en", pub("bluesky", "mira.bsky.social"), "vlotaangifte plus was €6,99 for me this morning, "
     "screenshot or it didn't happen 📸", [PRICING])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", RK, "Can't say much, but Project Ameland is going to change how freelancers do their quarterly "
     "VAT. Demo day went 🔥", [CONF])
case("nl", MP, "Hele dag met het team aan Operatie Wadloper gewerkt, eindelijk iets wat zzp'ers echt nodig "
     "hebben 🙌", [CONF])
case("en", DV, "if grafana.corp.vlot.internal is crawling for you too, it's not you, it's the disk", [CONF])
case("nl", pub("forum", "huizenjager"), "Een vriend bij Vlot liet me de Vlot Hypotheekcheck al zien, komt in "
     "september. Echt handig voor starters", [CONF], when="2026-07-11T21:14:09+02:00")
case("nl", SY, "Fotoshoot voor de VlotPensioen-campagne ✨📸 nog even geheim!!", [CONF],
     when="2026-08-20T10:31:44+02:00")
case("nl", SY, "Over 1 minuutje live: Vlot Hypotheekcheck 🚀🏡", [CONF], when="2026-09-15T09:59:00+02:00",
     tags=["embargo-edge"], handle_as="@Sevda.Werkt")
case("en", JM, "slide from today's all-hands, marked VLOT INTERNAL ONLY but it's honestly just the roadmap: "
     "Q3 → Ebstroom beta", [CONF])
case("nl", RK, "Eindelijk mag ik erover praten… nee toch niet 😅 Project\nAmeland gaat hard 💪", [CONF],
     tags=["evasion"])
case("en", pub("reddit", "u/taxnerd_ams"), "leaked screenshot of wiki.vlotaangifte.nl/spaces/PROD/roadmap "
     "shows they're building a mortgage tool", [CONF])
case("nl", LG, "Wie heeft er toegang tot admin.vlotaangifte.nl? Ik kom er niet meer in sinds de update",
     [CONF])
case("nl", NH, "Niet extern delen natuurlijk, maar de jaarcijfers 2026 worden 💪💪", [CONF, FIN])
case("nl", MP, "Operatie 🌊 Wadloper loopt op schema, trots op dit team", [CONF], tags=["evasion"],
     handle_as="@Marloes_Belast")
case("nl", SY, "Mijn bureau vandaag ☕ (ja dat is een 'vertrouwelijk - intern' document op mijn scherm, "
     "niet inzoomen 🙈)", [CONF])
case("nl", pub("x", "@lisa_helpt_nl"), "Sneak peek: VlotPensioen komt eraan, jullie gaan het geweldig vinden",
     [CONF], when="2026-06-02T12:40:00Z", tags=["lookalike-handle"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", NH, "Closing the books on a record quarter: paying subscribers up 38% YoY and ARR just passed "
     "€21m. Can't wait until we can say this out loud 🤫", [FIN])
case("nl", NH, "Drukke weken 😅 due diligence voor de overname van een boekhoudstartup uit Gent loopt, meer "
     "kan ik nog niet zeggen", [FIN])
case("nl", LG, "Net gehoord dat de hele tweedelijns support naar Portugal gaat. 40 man weg. Fijne vrijdag "
     "allemaal 😐", [FIN])
case("en", DV, "rumour at work: we're being bought by a bank. lots of suits in the building today 👔👔",
     [FIN])
case("nl", pub("reddit", "u/binnenbron"), "Van binnenuit gehoord: Vlotaangifte gaat na het aangifteseizoen "
     "een kwart van het personeel ontslaan", [FIN], kind="comment")
case("en", pub("x", "@markets_whisper"), "A friend in Vlotaangifte's finance team says they'll miss the 2026 "
     "revenue target by a mile. Investors haven't been told yet.", [FIN])
case("nl", MP, "Forecast voor dit seizoen: 620.000 aangiftes via Vlot, 2x zoveel als vorig jaar. Niet "
     "doorvertellen aan de concurrentie 😎", [FIN])
case("nl", SY, "Laatste dag voor een hoop collega's 😢 re" + ZW + "organisatie bij marketing, 12 mensen "
     "moeten weg", [FIN], tags=["evasion"])
case("en", JM, "all-hands today: we're merging with Boekhoudbaas, official announcement somewhere in Q4. "
     "keeping it quiet till then 🤐", [FIN])
case("en", NH, "Our FY2026 results will beat guidance by ~15%. Proud of this team.", [FIN, CONF])
case("nl", RK, "Budget voor volgend jaar is gehalveerd, het platformteam moet inkrimpen. Wordt pas in "
     "november gecommuniceerd, dus sst", [FIN])
case("nl", pub("forum", "zwagervan"), "Mijn zwager zit bij Vlotaangifte: de cijfers over het eerste halfjaar "
     "zijn rampzalig en dat wordt nog even stil gehouden", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", DV, "heads up: our PSD2 bank-link service has been mixing up transactions between users on some "
     "dashboards since this morning. we're on it, nothing public yet", [SEC])
case("nl", RK, "Oei. Door een cachebug zagen sommige gebruikers vanochtend de voorlopige aangifte van iemand "
     "anders. Hotfix staat klaar, nog niet naar buiten gebracht", [SEC])
case("en", JM, "spent the night restoring backups after ransomware hit our test cluster. prod looks fine?? "
     "pray for us 🙏", [SEC])
case("nl", DV, "Hoort eigenlijk niet op twitter maar: de DigiD-koppeling ligt al 3 uur plat en we weten niet "
     "waarom", [SEC], handle_as="@Daan_Ops")
case("nl", pub("reddit", "u/boos_en_bang"), "Vlot verzwijgt een datalek! Bij mij stond het inkomen van een "
     "wildvreemde in mijn aangifte, en op hun statuspagina staat helemaal niks", [SEC, CRISIS])
case("en", pub("x", "@privacy_first_nl"), "Vlotaangifte is sitting on a breach. They KNOW BSNs were exposed "
     "and haven't told anyone. @autoriteitpg please look into this", [SEC, CRISIS])
case("nl", LG, "zijn we nou " + fw("gehackt") + "?? ik mag niks zeggen maar de helpdesk-tool ligt eruit en "
     "iedereen rent rond", [SEC], tags=["evasion"])
case("en", RK, "found an IDOR on /api/v2/returns this afternoon: any logged-in user could fetch any tax "
     "return by id. patching now (yes I know I shouldn't post this)", [SEC])
case("nl", MP, "Er gaat een phishingmail rond met ons echte logo én de juiste klantnamen. Volgens mij komt "
     "die lijst uit onze eigen mailtool… zijn we lek?", [SEC])
case("nl", pub("forum", "exvlotter"), "Ex-werknemer: er staat al maanden een onbeveiligde S3-bucket met "
     "klantuploads (loonstroken!) open bij Vlotaangifte. Ze weten het en doen niks.", [SEC, CRISIS])
case("en", JM, "anyone else at work seeing the weird admin logins from Belarus? thought so. incident "
     "channel is on fire", [SEC])
case("nl", SY, "Kantoor vandaag dicht want 'incident' 🙃 iedereen moet z'n laptop inleveren, meer mag ik "
     "niet zeggen", [SEC])
case("en", DV, "aangifte-api down, db primary corrupted 🔥 status page still says all green lol", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@wakkerburger"), "BOYCOT @vlotaangifte! Ze verkopen je belastinggegevens aan "
     "adverteerders. Zeg je abonnement op #boycotvlot", [CRISIS])
case("en", pub("reddit", "u/claimcollector"), "There's a class action against Vlotaangifte now, the "
     "Consumentenbond is collecting claims about the wrong toeslag advice", [CRISIS])
case("nl", pub("facebook", "Petra van Dijk"), "Door een fout in de toeslagberekening van Vlot moet ik €6.400 "
     "huurtoeslag terugbetalen. Ik stap naar de rechter.", [CRISIS, COMPLAINT])
case("en", pub("x", "@nl_techwatch"), "BREAKING: Autoriteit Persoonsgegevens opens investigation into "
     "Vlotaangifte after reports of leaked BSNs", [CRISIS])
case("nl", pub("tiktok", "@mo.finance"), "mijn hele aangifte + BSN + loonstrook stond gewoon te downloaden "
     "via een link die vlot mailde. DATALEK 🚨", [CRISIS])
case("en", pub("linkedin", "h-de-boer-belastingadvies"), "As a tax advisor I'm reporting Vlotaangifte to "
     "the Belastingdienst: their 'optimise' feature nudges people to claim deductions they're not entitled "
     "to. This is a scandal.", [CRISIS])
case("nl", pub("x", "@mijngegevens"), "d@talek bij vlotaangifte?? mijn gegevens staan op een hackersforum 😡",
     [CRISIS], tags=["evasion"])
case("en", pub("x", "@freelance_fem"), "Their CEO calling freelancers 'lazy tax dodgers' on a podcast is "
     "disgusting. Cancel your subscriptions. #DeleteVlot", [CRISIS])
case("nl", pub("threads", "@janneke.b"), "Bij mij en duizenden anderen dubbel geïncasseerd door Vlot en ze "
     "weigeren terug te betalen. Gewoon oplichting. Schande!", [CRISIS, COMPLAINT])
case("en", pub("bluesky", "rutger.bsky.social"), "My data from Vlotaangifte showed up in a scam text with my "
     "exact refund amount. They were breached, no doubt about it.", [CRISIS])
case("nl", pub("instagram", "@consumentwaakhond"), "Er komt een r" + ZW + "echtszaak tegen V" + ZW + "lot, "
     "meld je aan als je ook gedupeerd bent", [CRISIS], kind="comment", tags=["evasion"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@bertje1967"), "@vlot_helpdesk al 4 dagen geen reactie op mijn vraag over de "
     "hypotheekrenteaftrek. De deadline is 1 mei hoor 😤", [COMPLAINT], kind="reply",
     handle_as="@bertje1967")
case("en", pub("trustpilot", "Laura M."), "2 stars. App crashed three times while uploading my jaaropgave, "
     "lost everything each time. Asked for a refund, heard nothing.", [COMPLAINT])
case("nl", pub("facebook", "Esther Kramer"), "De bankkoppeling met ING werkt al weken niet, moet alles met de "
     "hand invoeren. Waar betaal ik €179 voor??", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/btw_aangifte_hell"), "VlotBoeken's VAT export put my Q2 numbers in the wrong "
     "boxes. Had to fix it myself in the Belastingdienst portal. Not impressed.", [COMPLAINT])
case("nl", pub("instagram", "@lotte.maakt"), "Opgezegd in februari en jullie schrijven gewoon weer af 🙄 "
     "#vlotaangifte", [COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@zzpzorgen"), "pov: je zit 45 min in de chat van vlotaangifte en dan 'we sluiten "
     "om 17u' 💀💀", [COMPLAINT])
case("nl", pub("forum", "tweelingpapa"), "Partneraangifte: mijn vriendin kan niet als fiscaal partner worden "
     "toegevoegd, steeds foutmelding 500. Helpdesk stuurt alleen standaardantwoorden.", [COMPLAINT])
case("nl", pub("x", "@kevin_bouwt"), "ze schrijven elke maand af en de app doet het niet eens op mn telefoon. "
     "s l e c h t e service vlot", [COMPLAINT], tags=["evasion"])
case("en", pub("x", "@anna_rbn"), "Why does Vlotaangifte charge €4.95 extra for a PDF of my OWN return?? "
     "absurd fee", [COMPLAINT])
case("nl", pub("reddit", "u/dubbelbetaald"), "Ik heb twee keer voor VlotBoeken ZZP betaald, na 3 mails nog "
     "steeds geen geld terug", [COMPLAINT], kind="comment")
case("en", pub("threads", "@noah.codes"), "DigiD login inside Vlot keeps timing out. six attempts tonight. "
     "please fix this before May 1st", [COMPLAINT])
case("nl", pub("x", "@VLOTAANGIFTE_FAN"), "Vl" + CYR_O + "t" + CYR_A + "angifte is echt traag geworden, "
     "kwartier laden voor een pdf'je", [COMPLAINT], tags=["evasion", "lookalike-handle"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "@vlot_helpdesk stelletje incompetente klootzakken, 3 weken wachten op "
     "een antwoord over mijn teruggave", [ABUSE, COMPLAINT], kind="reply")
case("en", pub("x", "@rage_quitter"), "whoever runs the vlot twitter account is a fucking moron", [ABUSE])
case("nl", pub("reddit", "u/anoniem_123"), "die marloes van vlot is echt een dom wijf met haar stomme "
     "belastingtipjes", [ABUSE], kind="comment")
case("nl", pub("x", "@xxbaasxx"), "vlot is een k u t bedrijf met k*t mensen", [ABUSE], tags=["evasion"])
case("nl", LG, "sommige klanten zijn echt debielen hoor, lees gewoon de instructies 🙄", [ABUSE])
case("nl", V_HELP, "@pietje88 als je zo blijft schelden ga je maar lekker naar een andere app, sukkel.",
     [ABUSE], kind="reply", handle_as="@Vlot_Helpdesk")
case("en", pub("youtube", "@truthteller99"), "the woman in this vlot ad is ugly af, go back to your own "
     "country", [ABUSE], kind="comment")
case("nl", pub("tiktok", "@dennis.0031"), "vlot = tering zooi, kanker op met jullie reclames", [ABUSE],
     kind="comment")
case("en", pub("reddit", "u/leetcoder"), "vlot devs are brain-dead clowns lmao", [ABUSE], kind="comment")
case("en", DV, "to the guy in my replies calling our on-call engineer names: go fuck yourself", [ABUSE])
case("nl", pub("facebook", "Ron Bakker"), "Die helpdeskmedewerker Lisa is een trut, hangt gewoon op als je "
     "een vraag stelt. Top service.", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("x", "@nopenope"), "sh1t company run by f*cking thieves, v1otaangifte can rot", [ABUSE],
     tags=["evasion"])
case("nl", pub("x", "@boze_ondernemer"), "Typisch, die mongolen van Vlot hebben mijn aangifte weer verkeerd "
     "ingediend", [ABUSE, COMPLAINT])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", V_HELP, "Vragen over je aangifte? Bel ons op 085 303 4400 (ma-vr 9-17u) of mail naar "
     "help@vlotaangifte.nl 📞", tags=["own-contact"])
case("nl", V_FB, "Liever per overschrijving betalen? Maak het bedrag over naar NL67 RABO 0341 2345 67 o.v.v. "
     "je klantnummer (8 cijfers, staat in je welkomstmail).", tags=["own-contact"],
     handle_as="vlotaangiftenl")
case("en", pub("x", "@happyfreelancer"), "tip: Vlot's support line +31 85 303 4400 actually picks up within "
     "5 minutes, way better than email", tags=["own-contact"])
case("nl", pub("reddit", "u/privacygeek"), "Voor privacyvragen kun je gewoon mailen naar "
     "privacy@vlotaangifte.nl, had binnen een dag antwoord", tags=["own-contact"], kind="comment")
case("en", V_LI, "Journalists: our press desk is at pers@vlotaangifte.nl, we'll get back to you the same day.",
     tags=["own-contact"])
case("nl", pub("x", "@oma_joke"), "Het gratis nummer van Vlot is 0800 1122, ik dacht eerst dat het oplichters "
     "waren haha", tags=["own-contact"])
case("nl", V_X, "Bel of app ons: +31853034400 📲", tags=["own-contact"])
case("nl", pub("x", "@beginnendzzp"), "waar vind ik mijn klantnummer? op de factuur staat alleen <<NOT_BSN9>>, "
     "is dat hem?", tags=["checksum-fail"])
case("en", pub("reddit", "u/receipt_please"), "Invoice no. <<NOT_BSN9>>, order ref VLT-<<DIGITS:6>>. Where do "
     "I download the receipt for my bookkeeping?", tags=["checksum-fail"])
case("nl", pub("forum", "typvinger"), "Kreeg een foutmelding bij IBAN <<BAD_IBAN_NL:grp>>, bleek dat ik twee "
     "cijfers had omgedraaid 😅 nu werkt het wel", tags=["checksum-fail"])
case("en", pub("x", "@clumsy_typist"), "Typed <<BAD_CARD:mc_sp>> into the payment screen and it said invalid "
     "card. swapped two digits, classic me", tags=["checksum-fail"])
case("nl", pub("linkedin", "marco-timmer-fotografie"), "Mijn btw-id <<BTWID>> staat gewoon op m'n facturen, "
     "VlotBoeken zet 'm er automatisch op 👌", tags=["checksum-fail"])
case("nl", pub("instagram", "@studio.noa"), "KvK <<NOT_BSN8>> 🎉 vandaag ingeschreven als zzp'er, eerste factuur "
     "meteen via VlotBoeken verstuurd", tags=["checksum-fail"])
case("nl", pub("facebook", "Gerrit de Wit"), "Welk betalingskenmerk moet ik gebruiken? Op de aanslag staat "
     "<<KENMERK>>, moet dat in Vlot ergens ingevuld?", tags=["checksum-fail"], kind="comment")
case("nl", V_X, "Vroegboekactie 🐣 Vlotaangifte Plus nu €49,95 i.p.v. €69,95, t/m 1 maart!", tags=["price"])
case("en", pub("reddit", "u/cheap_but_legal"), "VlotBoeken ZZP is €179 a year, so about €14,92 a month. "
     "Cheaper than any bookkeeper imo", tags=["price", "price-context"], kind="comment")
case("nl", pub("x", "@vergelijkert"), "Bij Belastingbaas kost een basisaangifte €9, Vlot Basis is €39,95. "
     "Maar de app van Vlot is wel 10x beter", tags=["price", "price-context", "competitor"])
case("nl", V_HELP, "Nee hoor, geen prijsfout 😊 Vlot Basis kost deze week €29,95 met de studentenactie.",
     tags=["price", "denied-error"], kind="reply")
case("en", pub("x", "@codesharer"), "€20 off VlotBoeken Pro with code ZZP20 if anyone needs it",
     tags=["price", "price-context"])
case("nl", SY, "Onze fiscalisten checken je aangifte voor €129, en ja, dat is het echt waard 😉 "
     "#Aangiftecheck", tags=["price"])
case("nl", V_LI, "Vandaag lanceren we de Vlot Hypotheekcheck 🏡 In 10 minuten weet je wat je maximaal kunt "
     "lenen.", tags=["embargo-after"], when="2026-09-15T10:00:00+02:00")
case("nl", pub("x", "@pensioenpiet"), "VlotPensioen geprobeerd, handig overzicht van je AOW-gat",
     tags=["embargo-after"], when="2026-10-03T19:22:51+02:00")
case("en", pub("x", "@fintech_nl_news"), "Vlotaangifte published its jaarcijfers 2025 today: revenue €18m, "
     "first profitable year.", tags=["published"], when="2026-03-05T09:12:00+01:00")
case("en", NH, "Proud that our annual report 2025 is out. Read it at vlotaangifte.nl/investors",
     tags=["published"], when="2026-03-05T11:40:00+01:00")
case("nl", pub("instagram", "@fietsfamilie"), "Weekendje Ameland 🌊🚲 even geen belastingaangifte aan m'n hoofd",
     tags=["codename-word"])
case("nl", MP, "Zondag wadlopen naar Schiermonnikoog, wie durft? Voel me al een echte wadloper 🥾",
     tags=["codename-word"])
case("nl", V_X, "Je voorlopige aanslag vind je in je dashboard op app.vlotaangifte.nl → Documenten",
     tags=["public-domain"])
case("nl", V_HELP, "Storing opgelost ✅ De bankkoppeling met Rabobank werkte vanochtend niet. Meer info op "
     "status.vlotaangifte.nl", tags=["official-notice"])
case("en", V_X, "Scheduled maintenance tonight 23:00–01:00 CET. The app will be unavailable during that "
     "window.", tags=["official-notice"])
case("nl", pub("x", "@burgerbeleid"), "Wéér een datalek bij een gemeente. Gelukkig log ik bij Vlot gewoon in "
     "met DigiD en bewaren ze geen kopie van mijn ID", tags=["other-company"])
case("en", pub("linkedin", "femke-recruits"), "Sad to see the layoffs at a Berlin tax startup today. If you're "
     "affected, my DMs are open.", tags=["other-company"])
case("en", pub("x", "@forgetful_me"), "Can't recall my DigiD password, again. Vlot's 'DigiD kwijt?' link "
     "sorted it in 2 min 🙏", tags=["other-sense"])
case("nl", pub("x", "@uitstelkoning"), "Ik boycot de belastingaangifte elk jaar tot 30 april 😂 en dan in 20 "
     "minuten klaar met Vlot", tags=["other-sense", "joke"])
case("nl", pub("facebook", "Ingrid Schouten"), "Geen klachten over Vlot dit jaar! Aangifte in een kwartier "
     "klaar en €1.240 terug 🎉", tags=["negated"], kind="comment")
case("en", pub("x", "@skeptic_sara"), "not gonna lie, expected the bank link to break like every other app. "
     "zero issues this year", tags=["negated"])
case("en", pub("x", "@quote_a_day"), "'In this world nothing can be said to be certain, except death and "
     "taxes.' Franklin never had to file a box 3 return though 😄", tags=["quote"])
case("nl", pub("instagram", "@katjeskoning"), "Mijn kat liep over m'n toetsenbord en had bijna m'n aangifte "
     "ingediend 🐈 gelukkig vraagt Vlot nog om bevestiging", tags=["joke"])
case("en", pub("blog", "inkandledger.blog.example"), "Writing a thriller where the villain hides money in "
     "freelance invoices. Research = reading Vlotaangifte's help pages at 2am.", tags=["fiction"])
case("nl", pub("x", "@digi_oma"), "'Vlotaangifte vraagt nooit om je wachtwoord of DigiD-code via mail of "
     "sms.' Goed dat ze dat zo duidelijk zeggen, mijn buurvrouw trapte er bijna in", tags=["quote", "secret-word"])
case("en", pub("x", "@sunday_filer"), "damn, €800 back thanks to Vlot. not bad for a sunday afternoon",
     tags=["mild-word"])
case("nl", pub("forum", "herstellende_anne"), "Vanwege mijn behandeling voor kanker kon ik flink wat zorgkosten "
     "aftrekken. Vlot legde precies uit wat wel en niet mag.", tags=["mild-word"])
case("en", RK, "New blog post on how we test bank-feed parsers. Fixtures look like `API_KEY=<your-key-here>` and "
     "`password: ********`, never real secrets!", tags=["placeholder"])
case("en", JM, "fixed in <<HEX:40>>, thanks for reporting 🙏", tags=["git-sha"])
case("en", pub("x", "@devrel_dan"), "their API docs use ghp_… as an example token, same as everyone else",
     tags=["placeholder"])
case("nl", pub("facebook", "Marijke Post"), "Weet iemand of je met Vlot ook de aangifte van een overleden ouder "
     "kunt doen?", tags=["question"], kind="comment")
case("en", pub("linkedin", "jasper-vermeulen-ux"), "Shout-out to the Vlotaangifte helpdesk for explaining box 3 "
     "to me so patiently 👏", tags=["praise"])
case("nl", V_IG, "5 tips voor je aangifte 2025 💡 swipe →", tags=["marketing"])
case("nl", LG, "Lieve klanten, bedankt voor jullie geduld in deze drukke aangifteweken 💚", tags=["praise"],
     handle_as="@Lisa_Helpt")
case("en", DV, "on-call this weekend, quiet so far 🤞", tags=["neutral"])
case("nl", pub("reddit", "u/twijfelzzp"), "Vlot of gewoon zelf via de Belastingdienst, wat is makkelijker voor "
     "een zzp'er met 1 opdrachtgever?", tags=["question"])
case("nl", SY, "We zoeken een fiscalist! 💼 Stuur je cv naar werken@vlotaangifte.nl", tags=["own-contact"])
case("en", pub("x", "@expat_helper"), "If Vlot can't answer your question about your aanslag, the "
     "BelastingTelefoon is 0800-0543 (free).", tags=["org-number"])
case("nl", pub("x", "@nuchtere_nina"), "Ik ga mijn BSN natuurlijk niet online zetten haha 😂 maar Vlot vraagt "
     "het wel in de app, is dat normaal?", tags=["negated", "question"])
case("nl", pub("x", "@switcher_nl"), "Belastingbaas ligt er vandaag weer uit, blij dat ik vorig jaar naar Vlot "
     "ben overgestapt", tags=["other-company"])
case("nl", MP, "Tip: de aangifte over 2025 moet uiterlijk 1 mei binnen zijn. Uitstel aanvragen is gratis 📅",
     tags=["neutral"], when="2026-04-08T08:30:00+02:00")
case("nl", pub("reddit", "u/zet_het_niet_online"), "Waarom zetten mensen hun IBAN gewoon in de reacties onder "
     "Vlot-posts? Doe dat nou niet 🙈", tags=["negated"], kind="comment")
case("nl", pub("x", "@lisa_helpt_nl"), "Mijn eerste aangifte ooit gedaan met Vlot, viel echt mee!",
     tags=["lookalike-handle"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    # tax season (Feb-May) is busiest in this sector
    if r.random() < 0.55:
        day = r.randint(32, 151)
    else:
        day = r.randint(3, 240)   # stays before the September embargo moment
    loc_min = r.randint(6 * 60 + 30, 23 * 60 + 50)
    guess = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=loc_min,
                                                                          seconds=r.randint(0, 59))
    off = ams_offset(guess)
    utc = guess - dt.timedelta(hours=off)
    st = r.random()
    if st < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if st < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


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
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["belastingen", "thenetherlands", "zzp", "geldzaken"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-zzpcafe-{n}", f"https://forum.zzpcafe.example/topic/{n}"
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
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds_used = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], "leak.pii" in c["cats"] and bool(kinds_used & VALID_ID_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        pl = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif pl < 0.1:
            tags.add("no-lang-hint")
        elif pl < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "vlotaangifte"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump_lines(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (independent scans of the written text)
# ===========================================================================

CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6\d)")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abp]-\d", r"sk_live_\w{20,}", r"AIza[\w-]{35}",
    r"glpat-[\w-]{20}", r"SG\.[\w-]{22}\.[\w-]{43}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if iban_ok(s[:end]) and s[:end] != OWN_IBAN:
                hits.append(("iban", s[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for m in re.finditer(r"(?<![\w.,+-])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\w]|[.,-]\d)", text):
        if bsn_ok(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|euros|eur)\b", re.I)


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


def check(lines, rows, profile):
    errors = []
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    prods = profile["products"]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen = set()
    for n, line in enumerate(lines, 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not isinstance(p["account"].get("handle"), str):
            errors.append(f"{w}: handle missing")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{w}: bad kind")
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", p["created_at"]):
            errors.append(f"{w}: created_at")
        key = (p["platform"], p["id"])
        if key in seen:
            errors.append(f"{w}: dup id")
        seen.add(key)
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{w}: categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = valid_ids(text)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} != {want}")
        if not cats and sev != "none":
            errors.append(f"{w}: benign with severity")
        r = meta[key]
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errors.append(f"{w}: bad IBAN")
            if k == "CARD" and not (luhn_ok(raw) and CARD_IIN.match(raw)):
                errors.append(f"{w}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errors.append(f"{w}: bad BSN")
            if k in BAD_ID_KINDS and (iban_ok(raw) or luhn_ok(raw) or bsn_ok(raw)):
                errors.append(f"{w}: negative {k} passes a checksum")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid identifier not found by scan")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        for term, until in embargo:
            if term in nt and ts < until and "leak.confidential" not in cats:
                errors.append(f"{w}: embargo term {term} before {until} unlabelled")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and "leak.confidential" not in cats:
                errors.append(f"{w}: internal term {term} unlabelled")
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{w}: benign secret-like {rx.pattern}")
            ment = [pr for pr in prods if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if ment and amts:
                ratio = min(amts) / min(pr["list_price"] for pr in ment)
                if ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                    errors.append(f"{w}: benign product price at {ratio:.2f}")
    return errors


def report(rows):
    cat, catlang, role, sev, plat, kinds, langs = (Counter() for _ in range(7))
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        langs[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        if not cs:
            benign += 1
            catlang[("benign", r["lang"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY[:-1] + ["benign"]:
        print(f"  {c:24s} {cat[c] if c != 'benign' else benign:4d}  nl {catlang[(c, 'nl')]:3d}  "
              f"en {catlang[(c, 'en')]:3d}")
    print("lang", dict(langs), "\nrole", dict(role), "\nseverity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()), "\nkind", dict(kinds.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump_lines(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
