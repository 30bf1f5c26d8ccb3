#!/usr/bin/env python3
"""Deterministic generator for the sealed92 blind set (postwatch CONTRACT v1).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Vliegwiel Autoverhuur B.V." (fictional Dutch car rental; see profile.yaml).

Texts are hand-written below. Identifiers and secrets are filled in from
placeholders such as <<IBAN_NL:grp>> by one seeded RNG, so the output is
reproducible byte for byte. Positives get checksum-valid identifiers; benign
look-alikes get identifiers that fail their checksum. All secrets are random
and fake, but shaped like real ones.

Severity is never typed by hand: it is computed from CONTRACT section 4 with the
account role looked up in profile.yaml (platform:handle, case-insensitive).
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

SEED = 92_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"     # zero-width space
SHY = "\u00ad"    # soft hyphen
CYR_O = "\u043e"  # Cyrillic small o, looks like Latin o
CYR_A = "\u0430"  # Cyrillic small a


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


def spaced(s):
    return " ".join(s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x = x - 9 if x > 9 else x
        s += x
    return s % 10 == 0


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL72INGB0006543217"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"])
                               + self.d(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["063", "001", "310", "734", "973"]) + self.d(7)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "37050198", "10010010", "60050101"]) + self.d(10))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK", "LOYD"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        """Wrong check digits, and no prefix of it is a valid IBAN either."""
        while True:
            v = self.iban(cc)
            for delta in (7, 19, 31, 43):
                cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
                if not any(iban_valid(cand[:e]) for e in range(12, len(cand) + 1)):
                    return cand

    # cards
    def card(self, brand):
        prefix = {"visa": lambda: "4" + self.d(14),
                  "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                  "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                  "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in "0123456789":
            if luhn_valid(prefix + x):
                return prefix + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_valid(s) and not luhn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    # phones
    def phone(self, fmt):
        m = self.r.choice("12345678") + self.d(7)       # 8 digits after the 06
        area = self.r.choice(["10", "13", "15", "20", "23", "30", "35", "40", "45", "50", "70", "73"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_plain": f"06{m}",
            "mob_dash": f"06-{m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl_sp": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_0031": f"0031-6-{m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 56)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(string.hexdigits.lower(), 8)})
        body = enc({"sub": "usr_" + self.d(7, True), "iss": "app.vliegwiel.nl", "aud": "vwgo-mobile",
                    "scope": "bookings:read bookings:write", "iat": iat, "exp": iat + 30 * 86400})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def azure_key(self):
        return self.c(B64, 86) + "=="

    def pw(self):
        words = ["Balie", "Schiphol", "Vloot", "Sleutel", "Winter", "Kiosk", "Rijbaan", "Tulp"]
        return (self.r.choice(words) + self.d(2) + self.r.choice("!#$%*") + self.c(ALNUM, 4))

    def passport(self):
        letters = "ABCDEFGHIJKLMNPRSTUVWXYZ"   # no O in Dutch document numbers
        return self.c(letters, 2) + self.c(letters + "123456789", 6) + self.d(1)

    def hexs(self, n):
        return self.c("0123456789abcdef", n)

    def uuid(self):
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = group4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = group4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.card_fmt(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.card_fmt(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = g.not_bsn(int(f))
            shown = raw
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "GLPAT":
            raw = shown = g.glpat()
        elif k == "AWS_ID":
            raw = shown = g.aws_id()
        elif k == "AWS_SECRET":
            raw = shown = g.aws_secret()
        elif k == "STRIPE":
            raw = shown = g.stripe()
        elif k == "SENDGRID":
            raw = shown = g.sendgrid()
        elif k == "SLACK_HOOK":
            raw = shown = g.slack_hook()
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "PEM":
            raw = shown = g.pem()
        elif k == "AZURE_KEY":
            raw = shown = g.azure_key()
        elif k == "PW":
            raw = shown = g.pw()
        elif k == "PASSPORT":
            raw = shown = g.passport()
        elif k == "HEX":
            raw = shown = g.hexs(int(f))
        elif k == "UUID":
            raw = shown = g.uuid()
        elif k == "DIGITS":
            raw = shown = g.d(int(f), True)
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VW = ("x", "@vliegwiel", "Vliegwiel Autoverhuur")
VW_HELP = ("x", "@vliegwiel_help", "Vliegwiel Klantenservice")
VW_IG = ("instagram", "@vliegwiel.autoverhuur", "Vliegwiel")
VW_LI = ("linkedin", "vliegwiel-autoverhuur", "Vliegwiel Autoverhuur B.V.")
VW_FB = ("facebook", "VliegwielAutoverhuur", "Vliegwiel Autoverhuur")
VW_TT = ("tiktok", "@vliegwielnl", "Vliegwiel")
# employees
NB = ("x", "@nadia_balie_ams", "Nadia Boukhari")                   # desk agent, Schiphol
RH = ("linkedin", "ruud-hendriks-vliegwiel", "Ruud Hendriks")     # fleet manager
KD = ("x", "@kevin_codeert", "Kevin Dijkstra")                    # app developer
EM = ("linkedin", "esther-mulder-fin", "Esther Mulder")           # finance controller
JS = ("instagram", "@joep.schadeexpert", "Joep Smits")            # damage assessor, Eindhoven
NP = ("reddit", "u/vw_nachtploeg", None)                          # night shift, Eindhoven Airport desk
LV = ("threads", "@lotte.vliegwiel", "Lotte Verbruggen")          # marketing


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


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KD, "oké wie heeft er aan de tarieventabel gezeten 😅 Weekend Compact staat in de app voor €15,90 "
     "ipv €159. hotfix komt eraan, ff niet rondvertellen", [PRICING])
case("nl", pub("x", "@stijnonderweg"), "JONGENS. One-Way Benelux Amsterdam ➡️ Brussel voor €22,90 bij @vliegwiel 🤑\n"
     "dat kan nooit kloppen, meteen geboekt voor mei #prijsfout", [PRICING])
case("en", pub("reddit", "u/roadtrip_ruben"), "Vliegwiel's Dutch site has the Week SUV at €54.90 for seven days. "
     "Either their rate engine is having a meltdown or this is the deal of the decade. Booked it for August, "
     "confirmation came through, will update if they cancel.", [PRICING])
case("nl", VW_FB, "☀️ ZOMERDEAL ☀️ De Vliegwiel Premium Sedan 3-daags nu voor maar €39! Alleen dit weekend, "
     "boek via vliegwiel.nl/premium 🚗💨", [PRICING])
case("en", EM, "Colleagues on the desks: the rate sync from Friday night pushed EV Maandhuur out at €74.90 per month "
     "for new bookings. Revenue management is capping the damage, so please do not confirm any more of these "
     "manually until Monday.", [PRICING], kind="post")
case("nl", NB, f"balie-collega's opgelet: {spaced('prijsfout')} bij Zorgeloos Dekking in het kassasysteem, "
     "hij rekent €9 af 😬 niks tegen klanten zeggen tot IT belt", [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@moniquemoves"), "pov: je boekt de verhuisbus dagdeal van vliegwiel voor 12 euro en je "
     "vriend gelooft je niet 🥲📦 verhuizen op budget #prijsfout #vliegwiel", [PRICING])
case("en", pub("forum", "cheapskate_carl"), f"Vliegwiel One-Way Benelux for €19 right now, defo a price mis{ZW}take, "
     "app shows the same. Go go go", [PRICING], tags=["evasion"])
case("nl", pub("x", "@bargain_bas"), "W3ekend C0mpact voor 14 euro bij Vliegwiel 😂 iemand is een nul vergeten, "
     "snel zijn", [PRICING], tags=["evasion"])
case("en", LV, "marketing oops of the week 🫠 yesterday's newsletter said Week SUV from €49 instead of €549. "
     "correction mail goes out at 11, pls don't screenshot", [PRICING])
case("nl", RH, "Tariefprobleem in de Eindhoven-vloot: alle Premium Sedan boekingen sinds dinsdag zijn voor €39,90 "
     "doorgegaan. Overzicht op ops.vliegwiel.nl/incidents/2291, graag handmatig corrigeren vóór uitgifte.",
     [PRICING, CONF])
case("nl", pub("instagram", "@reislust.lisa"), "Vliegwiel heeft een verkeerde prijs op de One-Way Benelux staan, "
     "check snel de app voordat ze het door hebben 🏃‍♀️✨", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", KD, "booking webhook keeps 401ing in prod 🙃 tried with <<STRIPE>> and the test key, same result. "
     "anyone seen this? #stripe #devlife", [SECRET])
case("nl", RH, "Telematica-export naar S3 draait weer 🚐 Voor de leasepartners die meelezen: bucket staat in "
     "eu-west-1, toegang voorlopig met <<AWS_ID>> en secret <<AWS_SECRET>> totdat we rollen hebben ingericht.",
     [SECRET])
case("en", pub("blog", "jorisdecompiles.dev", "Joris"), "Decompiled VliegwielGo 5.3 for a weekend project. The "
     "SendGrid key is just sitting in res/values/strings.xml: <<SENDGRID>>\nEmailed them, no reply yet.", [SECRET])
case("nl", NB, "nieuw kassasysteem op Schiphol en het wachtwoord voor de nachtdienst is <<PW>> 🙄 wie verzint dit, "
     "hangt ook nog op een briefje naast de printer", [SECRET])
case("en", KD, "CI can't pull from gitlab.vliegwiel.nl since the runner upgrade. token in .gitlab-ci.yml is "
     "<<GLPAT>>, scopes look fine?? halp", [SECRET, CONF])
case("nl", NP, "Ons sleutelkastsysteem bij de balie heeft één admin-account voor iedereen: admin / <<PW>>. Staat op "
     "een post-it op de monitor. Ben ik de enige die dit niet normaal vindt?", [SECRET])
case("en", pub("reddit", "u/tokentinkerer"), "fun fact, the VliegwielGo session token never really expires. here's "
     "mine from last month, still works against their API:\n<<JWT>>", [SECRET], kind="comment")
case("nl", KD, "fleet-db weer bereikbaar 🎉 voor wie lokaal wil testen: "
     "mysql://vw_rw:<<PW>>@fleetdb02.vliegwiel.local:3306/fleet", [SECRET, CONF])
case("en", RH, "Found the reason the SFTP link with our tyre supplier kept failing: wrong key. For the record, "
     "this is the old one, should be revoked by now:\n<<PEM>>", [SECRET])
case("nl", pub("x", "@annekeflyer"), "@vliegwiel_help inloggen in de app lukt niet, ww is <<PW>> en ik heb al 3x "
     "gereset!! sta nu bij de balie zonder auto 😤", [SECRET, COMPLAINT], kind="reply")
case("en", LV, "Zapier → Slack hook for #social-wins, plug it into your flows: <<SLACK_HOOK>> (not for memes pls)",
     [SECRET])
case("nl", KD, "Schadefoto-upload faalt lokaal? Gebruik deze even:\nDefaultEndpointsProtocol=https;"
     "AccountName=vwschadefotos;AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net", [SECRET])
case("en", pub("mastodon", "@nullpointer@infosec.exchange"), "Someone at Vliegwiel pushed a GitHub token to their "
     "public desk-kiosk repo: <<GHP>> — still valid as of 10 min ago. Their security contact bounces.", [SECRET])
case("nl", NB, "Kiosk-login achter de balie, voor de vroege dienst: gebruiker balie01, w8woord <<PW>> "
     "(niet doorsturen he)", [SECRET], tags=["evasion"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", NB, "Mevrouw die vanochtend haar rijbewijs bij balie 3 liet liggen: Anouk de Haan, geboren 14-03-1991, "
     "we hebben hem veilig achter de balie! Kom je hem ophalen? 🙏", [PII])
case("nl", VW_HELP, "@m_verhoef Hoi Martijn, je borg van €300 wordt vandaag teruggestort op <<IBAN_NL>>. Sorry "
     "dat het zo lang duurde!", [PII], kind="reply")
case("en", JS, "For the wall of shame: Pieter Brouwer, Kerkstraat 14, 5611 GH Eindhoven, brought back the Week SUV "
     "with the bumper held on by tape 😂🩹 #schade #damageclaim", [PII])
case("nl", pub("x", "@frankvdl"), "@vliegwiel ik ben TWEE keer afgeschreven voor dezelfde huur!!\nkaart "
     "<<CARD:visa_sp>>, ophalen 20 juni Schiphol. Wanneer krijg ik mijn geld terug???", [PII, COMPLAINT])
case("en", pub("reddit", "u/lost_in_eindhoven"), "Vliegwiel desk guy at Eindhoven gave me his own number to sort my "
     "deposit, <<PHONE:mob_intl_sp>> (Daan), and now he never picks up. Useless.", [PII, COMPLAINT])
case("nl", EM, "Voor de salarisadministratie: nieuwe collega Yasmina El Idrissi, BSN <<BSN:dots>>, start 1 maart op "
     "Rotterdam The Hague Airport. Wie regelt haar pasje?", [PII])
case("en", RH, "Finance, can you push the refund for the German customer who got double-charged on the one-way "
     "to Düsseldorf? Thomas Krüger, <<IBAN_DE:grp>>. He's been waiting 3 weeks.", [PII])
case("nl", pub("facebook", "henk.achterberg.7", "Henk Achterberg"), "Wie kent deze man? Reed met een huurauto van "
     "Vliegwiel tegen mijn auto en reed door. Volgens de balie heet hij R. Vos en woont hij op de Lindelaan 8 in "
     "Hoofddorp. Ik ga aangifte doen.", [PII])
case("nl", NB, "Klant die zijn Ray-Ban in een Compact liet liggen: we hebben je mail (sander.kok88@gmail.com) "
     "maar je reageert niet 😅 ligt nog bij de balie", [PII])
case("en", pub("x", "@emma_travels_nl"), "@vliegwiel_help third time sending this because your chat bot keeps "
     "losing it: Emma Clarke, born 02/11/1988, licence <<DIGITS:10>>. Useless support honestly.",
     [PII, COMPLAINT], kind="reply")
case("nl", KD, "testbetaling faalt met een ECHTE kaart?? log zegt card=<<CARD:amex_c>> exp 09/28, wie heeft "
     "productiedata in test gezet 😳", [PII])
case("en", pub("threads", "@jwhitfield"), "ok @vliegwiel my deposit is STILL not back after five weeks. account is "
     "<<IBAN_GB:grp>>, name J. Whitfield. sort it out.", [PII, COMPLAINT])
case("nl", NB, "mevrouw Jansen zoekt haar kinderzitje nog, mail haar ff via l.jansen [at] ziggo [punt] nl als "
     "je morgen dienst hebt", [PII], tags=["evasion"])
case("nl", pub("x", "@kritischekoen"), "Balie van @vliegwiel wilde mijn BSN op het huurcontract 🤨 dus nu staat "
     "<<BSN>> gewoon op een stuk papier bij hun. Vind ik echt niet oké.", [PII, COMPLAINT])
case("en", VW, "@sjoerd_b So sorry about the mix-up! Our Schiphol team will call you back on <<PHONE:mob_intl0>> "
     "within the hour.", [PII], kind="reply")
case("nl", JS, "Creditcard van een klant in het handschoenenkastje gevonden 🙈 <<CARD:mc_sp>>, naam M. Bakker. "
     "Bel even naar de balie Eindhoven!", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", RH, "Mooie sessie vandaag over Project Zandloper 👀 de pilot met sleutelloos ophalen op Eindhoven gaat "
     "echt iets worden. Meer mag ik (nog) niet zeggen!", [CONF])
case("en", KD, "staging for the new checkout is up at https://checkout-v2.ops.vliegwiel.nl, feedback from the team "
     "welcome 🙌", [CONF])
case("nl", pub("x", "@neef_van_iemand"), "Mijn neef werkt bij Vliegwiel en zegt dat 'Operatie Dijkgraaf' betekent "
     "dat ze alle balies op Schiphol gaan vervangen door kiosken en dat de helft van het baliepersoneel eruit gaat 🤔",
     [CONF, FIN])
case("en", LV, "Can't wait for you all to see Vliegwiel Flex 🚗⚡ a monthly EV without the lease hassle. "
     "Counting down!!", [CONF], when="2026-09-02T19:45:12+02:00")
case("nl", NB, "Kreeg net een mail met 'intern - niet delen' erboven: vanaf juni geen contant geld meer aan de "
     "balie 💸 eindelijk", [CONF])
case("en", pub("reddit", "u/planespotter_ehv"), "Saw a Vliegwiel van at Eindhoven Airport with a 'Cobalt Runway - "
     "test vehicle' sticker and a lidar dome on the roof. Anyone know what that is?", [CONF])
case("nl", KD, "eerste demo van Project\nZandloper in de app 🔥 zelfs de PO was even stil", [CONF], tags=["evasion"])
case("nl", JS, "Operatie 🌊 Dijkgraaf week 3: alle schadefoto's lopen nu via de nieuwe flow, geen papier meer 💪",
     [CONF], tags=["evasion"])
case("en", KD, f"C{CYR_O}balt Runway sprint review went great, proud of this team", [CONF], tags=["evasion"])
case("nl", EM, "Dashboard bijgewerkt (vliegwiel internal only): bezetting per vestiging staat op "
     "wiki.vliegwiel.nl/finance/bezetting-q2", [CONF])
case("nl", pub("forum", "autohuurder_2000"), "Iemand hier had een screenshot gepost van grafana.ops.vliegwiel.nl "
     "met alle vestigingen en wachttijden erop. Is inmiddels weg maar ik heb hem nog.", [CONF])
case("en", RH, "Proud of the fleet team prepping 400 EVs for Flex by Vliegwiel 💚 big weeks ahead", [CONF],
     when="2026-08-21T11:03:27Z")
case("nl", pub("x", "@meme_monteur"), fullwidth("project zandloper") + " gespot op een whiteboard in de Vliegwiel "
     "lounge lol", [CONF], tags=["evasion"])
case("en", LV, "one more minute and we can finally say it… Vliegwiel Flex ⏳", [CONF],
     when="2026-09-15T08:59:00+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", EM, "H1-cijfers 2026 intern gepresenteerd: omzet +14%, maar de marge op one-way staat flink onder druk. "
     "Benieuwd hoe de markt eind juli reageert.", [FIN, CONF], when="2026-07-14T16:22:10+02:00")
case("en", NP, "Manager told us today the Eindhoven desk closes in October and about 30 of us are being let go. "
     "Nothing official yet, just venting.", [FIN])
case("nl", RH, "Spannende tijden: we zitten aan tafel met een grote Duitse verhuurder over een overname van onze "
     "Benelux-tak. Meer zodra het mag 🤝", [FIN])
case("en", pub("x", "@mobility_gossip"), "Hearing from a friend inside Vliegwiel that they're being bought by "
     "RijdDirect, signing next week. You heard it here first.", [FIN])
case("nl", NB, f"er worden 25 collega's op Schiphol ont{SHY}slagen, morgen pas officieel 😞 voel me echt rot",
     [FIN], tags=["evasion"])
case("en", EM, "FY26 revenue forecast just got revised down internally to €212m. Board meets Thursday, fingers "
     "crossed.", [FIN])
case("nl", pub("facebook", "marga.peeters.3", "Marga Peeters"), "Mijn zwager zegt dat Vliegwiel na de zomer alle "
     "vestigingen in Limburg dichtgooit. Staat nog nergens in het nieuws.", [FIN])
case("en", LV, "H2 marketing budget just got cut by 40% because of the reorganisation nobody is allowed to talk "
     "about yet 🙃", [FIN])
case("nl", KD, "r30rg4n1s4t13 bij IT intern aangekondigd, 1 op de 3 devs moet weg 💀", [FIN], tags=["evasion"])
case("en", RH, "Q3 fleet utilisation came in at 71%, way under plan. Numbers go out in November but between us "
     "it's not pretty.", [FIN])
case("nl", pub("reddit", "u/antwerpse_boekhouder"), "Vliegwiel gaat hun franchise in België verkopen, zegt een "
     "kennis bij hun accountantskantoor. Half augustus wordt het bekend gemaakt.", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", KD, "note to colleagues: the booking API returns other customers' reservations if you change the id in "
     "the URL. patch goes out tonight, pls don't talk about it outside", [SEC])
case("nl", NB, "Alle balies op Schiphol werken vandaag op papier, ransomware op de deskcomputers volgens IT. "
     "Naar buiten heet het 'storing' 🙄", [SEC])
case("en", NP, "The keyless pickup kiosks at Eindhoven accept any 4-digit PIN after three failed tries. Reported it "
     "twice internally, still not fixed.", [SEC])
case("nl", RH, "Telematica van de hele vloot ligt al 6 uur plat, we zien niet meer waar de auto's staan. Er is nog "
     "niks naar buiten gecommuniceerd.", [SEC])
case("en", pub("x", "@sceptical_sanne"), "A friend in Vliegwiel IT says they got hacked last week and management "
     "is keeping it quiet. Your licence scans might already be out there.", [SEC, CRISIS])
case("nl", KD, "d4t4l3k in de schadefoto-bucket, stond sinds maart gewoon publiek open. we zetten hem nu dicht. sst 🤫",
     [SEC], tags=["evasion"])
case("en", JS, "Damage app was down all morning. Turns out someone got into the admin panel with an old contractor "
     "login. IT says keep it quiet for now.", [SEC])
case("nl", pub("forum", "partner_insider"), "Ik werk bij een partner van Vliegwiel: hun klantportaal heeft een lek "
     "waardoor je andermans rijbewijsscans kunt downloaden. Ze weten het al weken en doen niks.", [SEC, CRISIS])
case("en", LV, "our newsletter tool got phished and sent a fake invoice mail to ~8k customers 😬 comms plan isn't "
     "ready yet so please don't repost anything", [SEC])
case("nl", NB, "hele boekingssysteem ligt er sinds 6 uur uit, rij tot aan de draaideur, en op de site staat nog "
     "helemaal niks 🫠", [SEC])
case("en", NP, "Found out tonight the payment terminals at our desk have been writing full card numbers to a text "
     "file on the shared PC. For months.", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@soufiane_r"), "BOYCOT @vliegwiel!! Mijn vriendin werd bij de balie op Schiphol geweigerd "
     "vanwege haar hoofddoek. Deel dit! #boycotvliegwiel", [CRISIS])
case("en", pub("reddit", "u/licence_leaked"), "Vliegwiel got breached. My driving licence scan is on a paste site "
     "with my booking reference right next to it. Thanks a lot.", [CRISIS])
case("nl", pub("facebook", "ilse.vandijk.12", "Ilse van Dijk"), "De remmen van onze huurauto van Vliegwiel "
     "weigerden op de A2, met de kinderen achterin. Gelukkig is er niks gebeurd maar dit mag NOOIT gebeuren.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@consumerwatch_nl"), "Consumer group files lawsuit against Vliegwiel over 'phantom damage' "
     "charges at airport desks. Class action open for sign-ups.", [CRISIS])
case("nl", pub("x", "@bezorgdevader"), "Vliegwiel verhuurt gewoon auto's met een openstaande terugroepactie?! Onze "
     "Compact had een airbag-recall die nooit was uitgevoerd. Levensgevaarlijk.", [CRISIS, COMPLAINT])
case("en", pub("tiktok", "@rentalreceipts"), "Vliegwiel fake damage scam exposed 🧵 they edit scratches into your "
     "return photos. Stop renting from them #boycott", [CRISIS])
case("nl", pub("reddit", "u/smsjes_spam"), "Datalek bij Vliegwiel? Ik krijg ineens phishing-sms'jes met mijn "
     "boekingsnummer en kenteken erin.", [CRISIS])
case("en", pub("mastodon", "@wim@mastodon.nl"), "Tyre blew out on the A4 twenty minutes after pickup from Vliegwiel "
     "Schiphol. Tread was bald. Could have died.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@boos_en_klaar"), f"{spaced('datalek')} bij vliegwiel, al mijn gegevens liggen op straat 😡",
     [CRISIS], tags=["evasion"])
case("en", pub("linkedin", "saar-de-wit-journalist", "Saar de Wit"), "Working on a story about Vliegwiel's deposit "
     "practices. Several customers say deposits of €1,000+ were held for months; a case is now pending at the "
     "rechtbank Amsterdam. DM me if you have experience with this.", [CRISIS])
case("en", pub("x", "@fairplay_fleur"), "v1i3gw13l b0yc0tt starts today. They billed a disabled customer €400 for "
     "a scratch from a wheelchair ramp.", [CRISIS], tags=["evasion"])
case("nl", pub("instagram", "@nieuwsflits.mobiliteit"), "Rechtszaak tegen Vliegwiel: oud-medewerkers slepen het "
     "bedrijf voor de rechter om jarenlang onbetaalde overuren aan de airportbalies.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@wendyopreis"), "45 minuten in de rij bij de Vliegwiel balie op Schiphol en dan hebben ze "
     "mijn categorie niet meer. Top begin van de vakantie 🙃", [COMPLAINT])
case("en", pub("trustpilot", "Gareth M."), "Charged €380 for a 'scratch' that was already on the car. I had "
     "photos, they didn't care. Deposit still not refunded after six weeks.", [COMPLAINT])
case("nl", pub("facebook", "rob.hermans.99", "Rob Hermans"), "Borg van €500 nog steeds niet terug, vijf weken na "
     "inleveren. Klantenservice zegt elke keer 'volgende week'. Zijn we nu echt zo ver?", [COMPLAINT], kind="comment")
case("en", pub("x", "@latearrival_lee"), "the VliegwielGo app crashed at the kiosk and wouldn't unlock the car. "
     "stood in a dark car park at Eindhoven for an hour with two kids", [COMPLAINT])
case("nl", pub("instagram", "@vera.op.pad"), "Auto stonk naar sigarettenrook en er lag nog zand in de kofferbak. "
     "Voor dat geld mag je echt beter verwachten @vliegwiel.autoverhuur", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/onewaywoes"), "One-way fee wasn't mentioned anywhere until I got to the desk. €95 extra "
     "for dropping in Rotterdam instead of Amsterdam. Feels scammy.", [COMPLAINT])
case("nl", pub("x", "@schadeclaim_sjaak"), "@vliegwiel_help vier mails gestuurd over die schadeclaim en nog geen "
     "antwoord. Hallo?? Iemand thuis?", [COMPLAINT], kind="reply")
case("en", pub("other", "reviewer_4471"), "They pushed the Zorgeloos Dekking on me at the desk, said I couldn't take "
     "the car without it. Pretty sure that's not even true.", [COMPLAINT])
case("nl", pub("threads", "@tanken_is_duur"), "brandstofbeleid van vliegwiel is een grap: tank vol ingeleverd, bon "
     "erbij, toch €68 tankkosten gerekend", [COMPLAINT])
case("en", pub("bluesky", "@marco-travels.bsky.social"), "Booked a Week SUV, got a tiny hatchback 'due to "
     "availability'. No discount, no apology. Never again @vliegwiel", [COMPLAINT])
case("nl", pub("x", "@flitspaal_fan"), "Waarom rekent Vliegwiel €45 administratiekosten voor het doorsturen van een "
     "boete van €29? Ze verdienen meer aan die bekeuring dan het CJIB", [COMPLAINT])
case("nl", pub("facebook", "daphne.koster", "Daphne Koster"), "De app rekent mijn kilometers dubbel. 1.240 km "
     "gereden volgens de teller, 2.480 op de factuur. Al twee keer gemeld.", [COMPLAINT])
case("en", pub("youtube", "@vanlifevince"), "returned the car at 23:10, drop-off box was jammed, now they're "
     "charging me an extra day. great service vliegwiel 👏👏", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/borgverhaal"), f"{spaced('Vliegwiel')} heeft mijn borg na 7 weken nog steeds niet "
     "teruggestort. Wie heeft tips om ze eindelijk in beweging te krijgen?", [COMPLAINT], tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "@vliegwiel stelletje klootzakken, ik hoop dat jullie failliet gaan", [ABUSE])
case("en", pub("x", "@anon88231"), "that blonde b*tch at the vliegwiel desk in eindhoven should be fired, "
     "disgusting attitude", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@geenborgmeer"), "Kutbedrijf. Drie uur in de wacht over mijn borg en dan hangen die debielen "
     "gewoon op", [ABUSE, COMPLAINT])
case("en", NB, "had a customer scream at me for 20 min about fuel charges. what an absolute moron 🙄 "
     "#airportlife", [ABUSE])
case("nl", JS, "weer zo'n tyfuslijer die zijn schade niet wil betalen 🤬 en dan nog gaan schreeuwen ook", [ABUSE])
case("nl", pub("facebook", "patriot.gerrit", "Gerrit"), "Bij Vliegwiel Schiphol staan alleen nog maar buitenlanders "
     "achter de balie die geen woord Nederlands spreken. Stuur ze allemaal terug.", [ABUSE])
case("en", pub("x", "@rage_rental"), "f*ck @vliegwiel, you clowns", [ABUSE], tags=["evasion"])
case("nl", VW_HELP, "@tim_ranty misschien eerst de voorwaarden leren lezen voordat je gaat zeiken, prutser",
     [ABUSE], kind="reply")
case("en", pub("reddit", "u/badtakebarry"), "Vliegwiel staff are scum. Every single one of them.", [ABUSE],
     kind="comment")
case("nl", pub("x", "@mopperman"), f"{spaced('kutbedrijf')} vliegwiel", [ABUSE], tags=["evasion"])
case("en", pub("reddit", "u/grudgeholder"), "Find the Nadia girl at the Vliegwiel Schiphol desk and tell her "
     "what a useless cow she is", [ABUSE])
case("nl", pub("x", "@boosheid_bv"), "Godverdomme, wéér €250 schadeclaim van Vliegwiel voor een krasje dat er al "
     "zat. Stelletje oplichters.", [ABUSE, COMPLAINT])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# corporate, own contact data and official notices
case("en", VW, "Planned maintenance: the VliegwielGo app is unavailable tonight from 01:00 to 03:00 CET. "
     "Desks at all airports keep running as normal.", tags=["official-notice"])
case("nl", VW_HELP, "Vragen over je borg? Mail ons via service@vliegwiel.nl of bel 088-345 6700 (ma-za 8-22u) 📞",
     tags=["own-contact"])
case("nl", VW_FB, "Borg liever vooraf overmaken? Dat kan naar NL72 INGB 0006 5432 17 t.n.v. Vliegwiel "
     "Autoverhuur, o.v.v. je boekingsnummer.", tags=["own-contact"])
case("nl", VW_LI, "Vandaag publiceerden we onze halfjaarcijfers 2026. Het volledige persbericht lees je op "
     "vliegwiel.nl/pers.", when="2026-07-30T07:00:00+02:00", tags=["embargo-after"])
case("nl", VW_IG, "Weekend Compact deze maand 20% voordeliger 🌷 €127 in plaats van €159 met code LENTE20",
     tags=["sale-price"])
case("en", VW, "It's here! 🎉 Vliegwiel Flex: a monthly EV subscription without the paperwork. "
     "Details on vliegwiel.nl/flex", when="2026-09-15T09:00:00+02:00", tags=["embargo-after"])
case("nl", VW_TT, "Die zandloper in de app is eindelijk verleden tijd 😅 laadtijden drie keer zo snel in de nieuwe "
     "versie", tags=["codename-word"])
case("nl", VW_HELP, "@joostvd Geen prijsfout hoor! De One-Way Benelux kost met de zomeractie echt €179 😉",
     kind="reply", tags=["denied-error", "sale-price"])
case("nl", VW_LI, "We zoeken baliemedewerkers voor Schiphol en Eindhoven ✈️ Solliciteer via jobs@vliegwiel.nl",
     tags=["own-contact"])
case("en", VW, "Heads-up: our Schiphol desk has temporarily moved to P3 because of roadworks. Shuttle every 10 min. "
     "Questions? +31 88 345 6700", tags=["own-contact", "official-notice"])
case("nl", VW_HELP, "@sofie_r Vervelend dat je moest wachten! Stuur je boekingsnummer even via DM, dan zoeken we "
     "het meteen uit 🙏", kind="reply", tags=["polite"])
case("nl", VW_FB, "Er gaan sms'jes rond die van ons lijken te komen. Die zijn niet van Vliegwiel: wij vragen nooit "
     "per sms om betaalgegevens. Twijfel je? Bel 0800-2468.", tags=["own-contact", "official-notice"])
case("en", ("x", "@Vliegwiel_Help", "Vliegwiel Klantenservice"), "Happy Friday from the care team! "
     "Reminder: pick-up photos in the app save you a lot of hassle at return 📸", tags=["polite"])
# employees
case("nl", NB, "Eerste dienst aan de nieuwe balie in vertrekhal 2, wat een uitzicht ✈️ goedemorgen allemaal!",
     tags=["polite"])
case("en", KD, "docs snippet for the new devs: export AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX (placeholder, get "
     "your own via SSO, never commit real ones)", tags=["placeholder-secret"])
case("en", KD, "merged <<HEX:40>> into main, app release tomorrow 🚀", tags=["git-sha"])
case("nl", RH, "Trots op het team: 96% van onze vloot in Eindhoven rijdt inmiddels elektrisch ⚡ #duurzaam "
     "#mobiliteit", tags=["polite"])
case("en", EM, "Interesting read on the layoffs at RijdDirect this week. Tough times across the mobility sector.",
     tags=["other-company"])
case("nl", JS, "Schadetip van de expert: maak bij het ophalen altijd foto's van alle vier de hoeken 📸 scheelt "
     "een hoop discussie achteraf", tags=["polite"])
case("en", ("reddit", "U/VW_Nachtploeg", None), "night shift at the airport desk pro tip: bring "
     "snacks. that's it, that's the post", tags=["polite"])
case("en", LV, "Behind the scenes of our summer campaign shoot on the beach at Scheveningen 🌊 the ads are live "
     "on all channels today", tags=["polite"])
# public
case("nl", pub("x", "@tevreden_tom"), "Super geholpen bij Vliegwiel Eindhoven, borg binnen twee dagen terug. "
     "Geen klachten!", tags=["negated-complaint"])
case("en", pub("reddit", "u/smooth_rider"), "Not a single issue with Vliegwiel this time. Quick pickup, clean car, "
     "no surprise fees. Would rent again.", tags=["negated-complaint"], kind="comment")
case("nl", pub("facebook", "joyce.ramdin", "Joyce Ramdin"), "Iemand ervaring met one-way huren van Amsterdam naar "
     "Antwerpen? Vliegwiel of Europcar?", tags=["question"])
case("en", pub("x", "@helpful_hanna"), "Vliegwiel's customer service number is 0800-2468 if anyone needs it, they "
     "sorted my booking in five minutes", tags=["own-contact"])
case("nl", pub("x", "@twijfelaar_t"), "Borg overgemaakt naar <<BAD_IBAN_NL:grp>> volgens de bevestigingsmail, is "
     "dat wel het rekeningnummer van Vliegwiel? Mijn bank-app geeft een waarschuwing.", tags=["bad-iban"])
case("nl", pub("x", "@cadeaubon_carla"), "Vliegwiel cadeaubon over, code <<BAD_CARD:visa_c>>, verloopt morgen. Wie "
     "wil hem hebben?", tags=["bad-card"])
case("nl", pub("x", "@geduldige_gert"), "Boekingsnummer <<NOT_BSN:9>> staat nog op 'in behandeling' maar de "
     "chat zegt dat het vandaag rond komt, prima", tags=["order-number"])
case("en", pub("reddit", "u/contract_curious"), "My rental contract lists 'Vliegwiel Autoverhuur B.V., KvK "
     "<<NOT_BSN:8>>' as lessor. Is that the same company as the VliegwielGo app?", tags=["kvk-number"])
case("nl", pub("x", "@waterschapwatcher"), "Net op het nieuws: de dijkgraaf van Rijnland gaat met pensioen. Wat doet "
     "een dijkgraaf eigenlijk precies?", tags=["codename-word"])
case("en", pub("x", "@moviebuff_mo"), "Total Recall on tonight at the drive-in and yes I'm taking my Vliegwiel "
     "rental 🍿🚗", tags=["other-sense"])
case("nl", pub("instagram", "@mama_van_twee"), "Mijn zoon van 5 wilde op Schiphol alleen maar naar de "
     "brandweerauto kijken in plaats van naar onze Vliegwiel huurauto 😂🚒", tags=["other-sense"])
case("en", pub("x", "@queue_counter"), "Sixt at Schiphol had a 40 minute queue today, Vliegwiel right next to "
     "them was empty. Just saying 🤷", tags=["competitor"])
case("nl", pub("reddit", "u/vergelijker"), "Week SUV bij Vliegwiel kost €549, bij een concurrent zag ik een SUV "
     "voor €240 per week maar zonder one-way optie. Dus toch Vliegwiel geworden.", tags=["price-context",
                                                                                       "competitor"])
case("en", pub("x", "@budget_bea"), "FYI the young driver fee on the Week SUV is €15 a day on top of the rate. "
     "Budget for it if you're under 23.", tags=["price-context", "fee"])
case("nl", pub("x", "@anwb_fan"), "Met de ANWB-korting €40 korting op de Premium Sedan 3-daags, netjes geregeld",
     tags=["price-context", "discount-amount"])
case("nl", pub("other", "marktplaats_verkoper"), "Te koop: ex-Vliegwiel verhuisbus, bouwjaar 2021, 98.000 km, "
     "nette staat, €14.750", tags=["second-hand"])
case("en", pub("x", "@markets_mila"), "Vliegwiel reported H1 2026 results this morning: revenue up 9% according "
     "to their press release.", when="2026-07-30T08:15:00.250Z", tags=["embargo-after", "published"])
case("nl", pub("threads", "@ev_ellen"), "Net Vliegwiel Flex geprobeerd, maandabonnement op een EV zonder gedoe. "
     "Goed idee!", when="2026-09-28T12:41:03+02:00", tags=["embargo-after"])
case("en", pub("blog", "pulp-by-pim.blog"), "Chapter 3 of my heist novel: the crew rents a getaway car from a "
     "Vliegwiel desk at Schiphol, pays cash and signs with a fake name. Feedback welcome!", tags=["fiction"])
case("nl", pub("x", "@grapjas_gijs"), "Vliegwiel zou een rijsimulator moeten verhuren voor iedereen die op "
     "Schiphol P3 achteruit probeert in te parkeren 😂", tags=["joke"])
case("en", pub("instagram", "@roadtrip.rox"), "'Highway to Hell' blasting in the Vliegwiel rental on the A4 🤘 "
     "best road trip ever", tags=["quote", "mild-word"])
case("nl", pub("facebook", "team.trappen", "Team Trappen"), "Volgende week rijdt er een Vliegwiel busje mee met "
     "onze fietstocht tegen kanker 🚴 Sponsor ons via de link in de bio!", tags=["mild-word"])
case("en", pub("x", "@infosec_ingrid"), "Yikes, RijdDirect confirmed a data breach affecting 200k customers. Glad "
     "I rent from Vliegwiel.", tags=["other-company"])
case("nl", pub("x", "@klimaatkees"), "Ik boycot al jaren het vliegtuig, dus voor de trip naar Italië huur ik een "
     "EV bij Vliegwiel 🌍", tags=["other-sense"])
case("en", pub("x", "@grateful_greg"), "Shoutout to the Vliegwiel team at Rotterdam, they stayed late so I could "
     "pick up after my delayed flight 🙏", tags=["polite"])
case("nl", pub("x", "@snelle_schade"), "Schadeformulier naar schade@vliegwiel.nl gestuurd, binnen een dag "
     "antwoord. Top.", tags=["own-contact"])
case("en", pub("reddit", "u/apidocs_andy"), "Funny that a rental company publishes API docs at all. They even "
     "explain that prod keys start with sk_live_… lol", tags=["bare-prefix"], kind="comment")
case("nl", pub("x", "@vertraagde_vera"), "Vlucht KL1776 had drie uur vertraging maar de Vliegwiel balie wachtte "
     "gewoon op ons. Chapeau!", tags=["polite"])
case("en", pub("reddit", "u/brussels_bound"), "Has anyone done the Vliegwiel one-way from Amsterdam to Brussels? "
     "How's the drop-off at Zaventem?", tags=["question"])
case("nl", pub("x", "@privacy_pien"), "Waarom vraagt een verhuurder wel je rijbewijs maar niet je BSN? O wacht, "
     "dat is juist goed. Privacy 👍", tags=["question"])
case("nl", pub("instagram", "@wifi_wendy"), "Die zandloper in de VliegwielGo app draait al vijf minuten... o nee, "
     "wifi stond uit 🤦‍♀️", tags=["codename-word"])
case("en", pub("x", "@deposit_diana"), "People keep saying Vliegwiel deposits take forever. Mine was back in three "
     "days. No complaints here.", tags=["negated-complaint"])
case("en", pub("x", "@typo_tim"), "My German bank said the IBAN I typed for my Vliegwiel invoice, "
     "<<BAD_IBAN_DE>>, was invalid. Turned out I swapped two digits. All sorted now.", tags=["bad-iban"])
case("en", pub("x", "@journo_jules"), "For the journalism students asking: Vliegwiel's press office is "
     "pers@vliegwiel.nl, +31 88 345 6700, straight from their newsroom page.", tags=["own-contact"])
case("nl", pub("x", "@blackfriday_bram"), "Weekend Compact voor €139 met de Black Friday actie, dik 12% korting. "
     "Prima deal.", tags=["sale-price"])
case("en", pub("x", "@vliegwiel_fan"), "Rented from Vliegwiel five times this year and every single pickup was "
     "smooth. Fan for life 🚗💛", tags=["lookalike-handle", "polite"])
case("en", pub("x", "@nos_volger"), "As announced in Vliegwiel's press release this morning, the Maastricht desk "
     "will close at the end of the year; staff move to Eindhoven.", tags=["published"])
case("nl", pub("x", "@dossier_dirk"), "Trackingcode van mijn schadedossier is <<UUID>>, handig dat je het in de "
     "app kan volgen", tags=["order-number"])
case("nl", pub("x", "@recall_rik"), "Eindelijk mijn eigen auto terug van de dealer na de terugroepactie van de "
     "fabrikant, dus de Vliegwiel huurauto mag weer terug 👋", tags=["other-sense"])
case("en", pub("linkedin", "daan-hr-consultant"), "Great panel on airport mobility today with speakers from "
     "Vliegwiel and Schiphol Group. Lots to think about.", tags=["polite"])
case("nl", pub("x", "@verhuizer_vince"), "Verhuisbus Dagdeal van Vliegwiel geboekt voor zaterdag, €129 voor een "
     "hele dag, prima te doen", tags=["list-price"])


# ===========================================================================
# building
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


def tz_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def random_time(r):
    day = r.randint(6, 355)
    minutes = r.randint(6 * 60, 23 * 60 + 50)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1, minutes=minutes,
                                                                              seconds=r.randint(0, 59))
    off = tz_offset(local)
    t_utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "travel", "personalfinance_nl"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{cid}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-autoforum-{n}", f"https://autoforum.example.nl/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_999_999_999_999_999)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3k" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "vliegwiel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check (independent look at the generated file)
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}", r"\bAKIA[A-Z2-7]{16}\b", r"\bsk_live_[A-Za-z0-9]{20,}",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"hooks\.slack\.com/services/", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"AccountKey=")]
SWEAR = ["kut", "kanker", "tering", "tyfus", "klootzak", "godverdomme", "debiel", "fuck", "f*ck", "shit",
         "moron", "scum", "clown", "prutser", "bitch", "b*tch", "hell", "damn"]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                if comp[:end] != OWN_IBAN:
                    out.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d):
            out.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text):
        if bsn_valid(d):
            out.append(("bsn", d))
    for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text):
        if bsn_valid(m.group(0)):
            out.append(("bsn", m.group(0)))
    return out


def phones(text):
    text = IBAN_RE.sub(" ", text)
    out = []
    for m in PHONE_RE.finditer(text):
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


def check(lines, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ph = {phones(p)[0][1] for p in profile["public_identifiers"]["phones"] if phones(p)}
    own_ph |= {"0" + re.sub(r"\D", "", p)[2:] for p in profile["public_identifiers"]["phones"] if p.startswith("+31")}
    until = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
             for e in profile["embargo"] for t in e["terms"]]
    inner = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    prods = profile["products"]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), (n, f)
        assert isinstance(p["account"]["handle"], str)
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{n}: duplicate id")
        seen.add(key)
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{n}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{n}: bad categories {cats}")
        text = p["text"]
        ids = valid_ids(text)
        role = role_of(profile, p["platform"], p["account"]["handle"])
        if ex["severity"] != severity_for(role, cats, PII in cats and bool(ids)):
            errs.append(f"{n}: severity mismatch")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{n}: {k} not in text")
            if k in VALID_ID and not (iban_valid(raw) if k.startswith("IBAN") else
                                      luhn_valid(raw) if k == "CARD" else bsn_valid(raw)):
                errs.append(f"{n}: {k} invalid")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{n}: bad iban passes")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{n}: bad card passes")
            if k == "NOT_BSN" and bsn_valid(raw):
                errs.append(f"{n}: not-bsn passes")
            if k == "GHP":
                body = raw[4:34]
                if base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                    errs.append(f"{n}: ghp crc")
        if ids and PII not in cats:
            errs.append(f"{n}: valid id {ids} without leak.pii")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errs.append(f"{n}: valid id not found by scan")
        nt = norm(text)
        for term, u in until:
            if term in nt and ts < u and CONF not in cats:
                errs.append(f"{n}: embargo term {term} before {u} unlabelled")
            if term in nt and ts >= u and CONF in cats:
                errs.append(f"{n}: embargo term {term} after embargo but labelled")
        for term in inner:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or \
                    re.search(r"[\w-]\." + re.escape(term) + r"(?!\w)", nt):
                if CONF not in cats:
                    errs.append(f"{n}: internal term {term} unlabelled")
        if not cats:
            if ids:
                errs.append(f"{n}: benign with valid id")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{n}: benign with e-mail {e}")
            for raw, d in phones(text):
                if len(d) == 10 and d not in own_ph:
                    errs.append(f"{n}: benign with phone {raw} ({d})")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errs.append(f"{n}: benign with secret-like {m.group(0)[:16]}")
            for w in SWEAR:
                if re.search(r"\b" + re.escape(w), nt) and not (w in ("hell", "kanker") and "mild-word" in r["tags"]):
                    errs.append(f"{n}: benign with word {w}")
            hit = [pp for pp in prods if any(a.casefold() in nt for a in [pp["name"]] + pp["aliases"])]
            if hit:
                amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
                lp = min(pp["list_price"] for pp in hit)
                if amts and min(amts) / lp < profile["pricing"]["alert_below_ratio"] \
                        and "price-context" not in r["tags"]:
                    errs.append(f"{n}: benign with low product price")
    return errs


def report(rows):
    from collections import Counter
    cat, lang, role, sev, plat, catlang, catrole = (Counter() for _ in range(7))
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
            catrole[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}  nl {catlang[(c, 'nl')]:2d} en {catlang[(c, 'en')]:2d}  "
              f"corp {catrole[(c, 'corporate')]:2d} emp {catrole[(c, 'employee')]:2d} pub {catrole[(c, 'public')]:2d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


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
