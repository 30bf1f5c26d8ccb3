#!/usr/bin/env python3
"""Deterministic generator and checker for the sealed64 blind set (cases.jsonl).

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch coworking / flexible office provider "Plekwerk Coworking B.V."
(profile.yaml next to this file). All post texts are hand-written in the CASES list below.
Identifiers and secrets come from <<PLACEHOLDER>> tokens filled by one seeded RNG, so the
output is byte-for-byte reproducible. Positives get checksum-valid identifiers (IBAN mod-97,
Luhn, BSN 11-proof); near-miss benign posts get numbers that FAIL their checksum. Secrets are
random and fake, shaped like real ones (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: it is computed from CONTRACT section 4 with the account role
looked up in profile.yaml (platform:handle, case-insensitive).
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

SEED = 64_2026_0519
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

ZWSP = "\u200b"
SOFT = "\u00ad"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445"}


def wide(s):
    """Full-width variant of ASCII text."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch
                   for ch in s)


def cyr(s, letters="e"):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return "".join(CYR[ch] if ch in letters and ch in CYR else ch for ch in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _num36(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _num36(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _num36(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x = x - 9 if x > 9 else x
        tot += x
    return tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return len(s) == 13 and sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL12RABO0341872265"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "BUNQ", "KNAB", "SNSB", "TRIO"])
                               + self.d(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "30050110", "60050101", "76026000"]) + self.d(10))
        if cc == "BE":
            f = self.r.choice(["063", "310", "001", "737"]) + self.d(7)
            return iban_build("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.d(14))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 31, 43):
            cand = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, how):
        if how == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if how == "dash" else " ").join(parts)

    # BSN and other number shapes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10)
            v = next(body + c for c in "0123456789" if ean_valid(body + c))
            if not luhn_valid(v) and not elfproef(v):
                return v

    # phones
    def phone(self, fmt):
        if fmt.startswith("mob"):
            n = self.r.choice("12345") + self.d(7)      # 8 digits after '06'
            return {
                "mob_dash": f"06-{n}",
                "mob_plain": f"06{n}",
                "mob_pairs": f"06 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                "mob_intl_sp": f"+31 6 {n[:4]} {n[4:]}",
                "mob_0031": f"0031 6 {n}",
                "mob_intl0": f"+31 (0)6 {n[:2]} {n[2:5]} {n[5:]}",
            }[fmt]
        area = self.r.choice(["10", "20", "30", "40", "70", "13", "26", "50", "73"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
            "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}",
        }[fmt]

    # secrets
    def github(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.pick(AN, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def gapi(self):
        return "AIza" + self.pick(B64U, 35)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "mbr_" + self.d(6, True), "iss": "app.plekwerk.nl", "scope": "member",
                    "iat": iat, "exp": iat + 3600})
        return f"{head}.{body}.{self.pick(B64U, 43)}"

    def pem_ec(self):
        l1 = "MHcCAQEEI" + self.pick(B64, 55)
        l2 = self.pick(B64, 64)
        l3 = self.pick(B64, 34) + "=="
        return f"-----BEGIN EC PRIVATE KEY-----\n{l1}\n{l2}\n{l3}\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Haven", "Kade", "Loods", "Sluis", "Pier"]) + self.d(4)
                + self.r.choice("!#$*?") + self.pick(AN, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
NEAR_MISS = {"BADIBAN_NL", "BADIBAN_BE", "BADCARD", "NOBSN9", "NOBSN8", "EAN"}
TOKEN = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        kind, opt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = fac.iban(kind[5:])
            shown = fac.spaced4(raw) if opt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = fac.broken_iban(kind[8:])
            shown = fac.spaced4(raw) if opt == "grp" else raw
        elif kind == "CARD":
            brand, _, how = opt.partition("_")
            raw = fac.card(brand)
            shown = fac.card_fmt(raw, how or "sp")
        elif kind == "BADCARD":
            brand, _, how = opt.partition("_")
            raw = fac.broken_card(brand)
            shown = fac.card_fmt(raw, how or "sp")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if opt == "dots" else raw
        elif kind == "NOBSN9":
            raw = shown = fac.non_bsn(9)
        elif kind == "NOBSN8":
            raw = shown = fac.non_bsn(8)
        elif kind == "EAN":
            raw = shown = fac.ean()
        elif kind == "PHONE":
            raw = shown = fac.phone(opt)
        elif kind == "GHP":
            raw = shown = fac.github()
        elif kind == "AWSID":
            raw = shown = fac.aws_id()
        elif kind == "AWSSECRET":
            raw = shown = fac.aws_secret()
        elif kind == "SLACKBOT":
            raw = shown = fac.slack_bot()
        elif kind == "SLACKHOOK":
            raw = shown = fac.slack_hook()
        elif kind == "MOLLIE":
            raw = shown = fac.mollie()
        elif kind == "SENDGRID":
            raw = shown = fac.sendgrid()
        elif kind == "GAPI":
            raw = shown = fac.gapi()
        elif kind == "JWT":
            raw = shown = fac.jwt()
        elif kind == "PEMEC":
            raw = shown = fac.pem_ec()
        elif kind == "PW":
            raw = shown = fac.password()
        elif kind == "HEX":
            raw = shown = fac.hexs(int(opt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PW_X = ("x", "@plekwerk", "Plekwerk")
PW_HELP = ("x", "@plekwerk_help", "Plekwerk Support")
PW_IG = ("instagram", "@plekwerk.community", "Plekwerk Community")
PW_LI = ("linkedin", "plekwerk-coworking", "Plekwerk Coworking B.V.")
PW_FB = ("facebook", "PlekwerkNL", "Plekwerk")
PW_TT = ("tiktok", "@plekwerk", "Plekwerk")
# employees
LV = ("x", "@lotte_plekwerk", "Lotte Vermeer")                      # community manager Rotterdam
DM = ("linkedin", "daan-mulder-plekwerk", "Daan Mulder")            # platform engineer
YA = ("instagram", "@yusuf.at.plekwerk", "Yusuf Aydın")             # host Utrecht
IS = ("linkedin", "ingrid-smits-fin", "Ingrid Smits")               # finance controller
BK = ("x", "@bram_facility", "Bram Kuipers")                        # facility / building access
NE = ("threads", "@noor.events", "Noor El Idrissi")                 # events lead
RH = ("bluesky", "@rubenhendriks.bsky.social", "Ruben Hendriks")    # app developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LV, "Eh collega's… in de app staat de Vaste Plek ineens op €44,50 per maand ipv €445 😬 "
     "komma kwijtgeraakt bij de tariefupdate denk ik. Kan iemand van product ff kijken voordat de hele "
     "community het doorheeft?", [PRICING])
case("en", pub("reddit", "u/flexdeskfinder"), "Anyone else seeing Plekwerk Flex at €26.50/month on "
     "boeken.plekwerk.nl? It's normally 265. Signed up for 12 months just in case, will update if they cancel",
     [PRICING])
case("nl", pub("x", "@merel_maakt"), "Privékantoor 4p voor €189 per maand bij @plekwerk?!? Dat moet een "
     "prijsfout zijn. Screenshot gemaakt, contract getekend, we gaan het zien 😅", [PRICING])
case("nl", PW_IG, "☕ Nieuw seizoen, nieuwe plannen! Boek de Havenkamer nu voor €18,50 per dagdeel 🔑 "
     "Link in bio\n\n#plekwerk #vergaderen #rotterdam", [PRICING])
case("en", DM, "Friday deploy lesson #37: a rounding change in our tariff service turned the Dagpas into "
     "€3.25 for about two hours. Rolled back, finance is counting the bookings. Please don't pass the "
     "screenshot around 🙏", [PRICING])
case("nl", pub("x", "@koffie_en_code"), "p r i j s f o u t bij Plekwerk: PlekPas 10 voor €27,50 🏃‍♀️💨 "
     "wie het eerst komt", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("threads", "@jip.freelancet"), cyr("Plekwerk", "e") + " Flex voor 9 euro per maand 🤯 fóutje in "
     "hun systeem volgens mij, heb er meteen drie maanden van gepakt", [PRICING],
     tags=["evasion", "evasion:homoglyph"])
case("en", IS, "Heads-up for colleagues who follow me here: an import error in the new tariff table means "
     "Virtueel Kantoor shows €8,90 per month on the website since this morning. We're on it. Please don't "
     "repost.", [PRICING])
case("en", pub("x", "@startup_sjoerd"), "virtual office at plekwerk for €8.90 a month?? must be a glitch. "
     "grabbed it anyway, my 'company' now has an Amsterdam address for the price of a sandwich 🥪",
     [PRICING])
case("nl", YA, "Kassa aan de balie rekent dagpassen af voor €0,33 vandaag 🙈 IT is ermee bezig, tot die tijd "
     "schrijven we alles op een briefje. Niet doorvertellen he 🤫", [PRICING], handle_as="@Yusuf.At.Plekwerk")
case("nl", pub("facebook", "joost.hermans.9", "Joost Hermans"), f"prijs{ZWSP}fout!! Vaste Plek bij Plekwerk "
     "Strijp voor €44 per maand, wie komt er naast me zitten 😂", [PRICING],
     tags=["evasion", "evasion:zero-width"])
case("nl", DM, "Tarieven zijn stuk: Plekwerk Flex staat live op €2,65 (zie beheer.plekwerk.nl/tarieven/flex). "
     "Rollback staat klaar maar moet eerst langs de change board 🙄", [PRICING, CONF])

# ===========================================================================
# leak.secret
# ===========================================================================
case("nl", DM, "Wat ik deze week weer tegenkwam in een code review: keys gewoon in de docker-compose.\n\n"
     "  AWS_ACCESS_KEY_ID=<<AWSID>>\n  AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\n\n"
     "Is al ingetrokken hoor. Gebruik een secrets manager mensen 🙏 #devops #cloud", [SECRET])
case("en", RH, "ok why does the Actions runner get a 403 on our private repo when this works fine from my "
     "laptop?? git clone https://<<GHP>>@github.com/plekwerk/members-app.git 🙃", [SECRET])
case("en", DM, "Mollie webhooks in our booking flow keep timing out after 15s. Setup is basically\n"
     "const mollie = createMollieClient({ apiKey: '<<MOLLIE>>' })\nAny Dutch devs who've seen this?",
     [SECRET])
case("en", PW_HELP, "@sofie_builds Sorry about that! Try logging in with this temporary session token from "
     "our side: <<JWT>> it's valid for an hour 👍", [SECRET], kind="reply", handle_as="@Plekwerk_Help")
case("nl", pub("x", "@ruud_rdam"), "Bij Plekwerk Houthaven hangt het wachtwoord van het toegangspaneel gewoon op "
     "een post-it naast de deur: <<PW>> 🤦‍♂️ beveiligingsniveau: koffiehoek", [SECRET])
case("nl", BK, "Voor de collega van de nachtdienst: inlog toegangscontroller is admin / <<PW>> op "
     "https://toegang.plekwerk.internal, badge-export zit onder Rapporten", [SECRET, CONF])
case("en", RH, "notifications to our #frontdesk channel silently fail. posting to <<SLACKHOOK>> returns 200 "
     "but nothing ever shows up. slack why", [SECRET])
case("en", DM, "Pro tip: when psql refuses your connection, check the boring stuff first. Mine was\n"
     "postgresql://booking_svc:<<PW>>@db01.plekwerk.internal:5432/bookings\nwrong port in prod 🤦",
     [SECRET, CONF])
case("en", RH, "our maps bill for the locations page went from €40 to €900 overnight. key is <<GAPI>> and "
     "it's restricted to app.plekwerk.nl… or so I thought", [SECRET])
case("en", pub("reddit", "u/gistwatcher"), "Found an EC private key in a public gist from someone at Plekwerk. "
     "Not touching it, but wow:\n\n<<PEMEC>>\n\nMailed them, no reply so far.", [SECRET])
case("nl", LV, "@yusuf.at.plekwerk wachtwoord van de community-insta voor dit weekend is <<PW>> , niet "
     "kwijtraken 🙏", [SECRET], kind="reply")
case("en", RH, "SendGrid keeps bouncing our booking confirmations with a 401 🤔 env has "
     "SENDGRID_API_KEY=<<SENDGRID>> anyone?", [SECRET])
case("en", NE, "event check-in scanner died again 😩 if anyone from the ticketing vendor reads this: "
     "https://api.tickethub.example/v1/events/8812/attendees?api_key=<<HEX:32>> returns a 500", [SECRET])
case("en", pub("x", "@apk_teardown"), "Plekwerk's Android app ships a Slack bot token in plain text, took me "
     "5 min with jadx: <<SLACKBOT>>\ndo better", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YA, "Welkom in de community, Sanne de Wit! 🎉 Nieuwe vaste member op de 3e verdieping. Wil je "
     "haar spreken over illustraties? Bel gerust <<PHONE:mob_dash>> 🖍️", [PII])
case("nl", PW_HELP, "@thijs_verbeek We hebben je borg van €250 teruggestort op <<IBAN_NL:grp>>, reken op 2 "
     "werkdagen. Sorry voor het wachten!", [PII], kind="reply")
case("en", NE, "Founders Dinner guest list for the caterer (sorry for posting here, DMs are broken):\n"
     "- Mark Visser mark.visser@bureauvisser.nl\n- Eline Bos eline.bos@gmail.com\n- Tarik Amrani "
     "t.amrani@hey.com\nall vegetarian except Mark", [PII])
case("nl", pub("x", "@rdekker_design"), "@plekwerk_help al 3 weken wachten op mijn borg. Stort het nou gewoon "
     "terug op <<IBAN_NL>> t.n.v. R. Dekker, dank", [PII, COMPLAINT])
case("en", pub("reddit", "u/nomad_nina"), "Trying to add my card in the Plekwerk app and it keeps saying "
     "'invalid'. Number is <<CARD:visa_sp>> exp 09/28, did I typo something?", [PII])
case("nl", pub("x", "@stiltezone_sam"), "Die vent die elke dag het belhokje bij Plekwerk Houthaven bezet "
     "houdt: Koen Brouwer, Spaarndammerstraat 212, Amsterdam. Ga maar eens bij hem aanbellen 😡",
     [PII, ABUSE])
case("nl", BK, "Badge doet het niet voor: Floor Hendriks, geb. 14-03-1991, badgenr 004127. Wie zit er "
     "vandaag op de backoffice?", [PII])
case("nl", IS, "Welkom Mehmet Kaya, onze nieuwe host in Utrecht! 🎉 (payroll: BSN <<BSN:dots>>, start 1 mei)",
     [PII])
case("nl", pub("x", "@zzp_lisa"), "Zit bij Plekwerk Strijp mijn btw-aangifte te doen en de site van de "
     "Belastingdienst pakt mijn BSN niet: <<BSN>>. Iemand een idee?", [PII])
case("nl", pub("linkedin", "jan-smit-copy", "Jan Smit"), "Ik stop per 1 juni met mijn vaste plek bij Plekwerk "
     "Utrecht. Zoek je er een? Mail me op jan.smit [at] ziggo [punt] nl dan regelen we de overdracht",
     [PII], tags=["evasion", "evasion:obfuscated-email"])
case("en", NE, "Need to register our keynote speaker with building security by noon: Anna Kowalski, "
     "passport no. EK4829173. Reception Maashaven pls confirm 🙏", [PII])
case("nl", pub("facebook", "wendy.oosterhout", "Wendy Oosterhout"), "Plekwerk heeft mijn abonnement TWEE keer "
     "afgeschreven van mijn creditcard <<CARD:mc_sp>>!! Niemand neemt op. Ik wil gewoon mijn geld terug.",
     [PII, COMPLAINT])
case("en", DM, "Debugging a weird sync issue between the app and our CRM. Log line:\n"
     "member_id=88123 email=l.dijkstra@outlook.com phone=<<PHONE:mob_intl_sp>> status=SYNC_FAIL\n"
     "Anyone know HubSpot webhooks well?", [PII])
case("nl", PW_X, "@gijs_ontwerpt Voor de fotostudio kun je het beste Emma bellen, onze host in Eindhoven: "
     "<<PHONE:mob_pairs>> 📸", [PII], kind="reply")
case("nl", YA, "Gevonden voorwerpen 📦 portemonnee van Kim Jansen (geb. 02-11-1988, Lindenlaan 4, Zeist). Kim, "
     "hij ligt bij de balie!", [PII])
case("en", pub("x", "@tom_walsh_ux"), "@plekwerk_help 6 weeks and my day pass refund is still nowhere. "
     "Account: <<IBAN_GB:grp>>, T. Walsh. Sort it out please", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", pub("instagram", "@lotte.vermeer", "Lotte Vermeer"), "Mag nog niks zeggen maar Project Meerpaal "
     "gaat Rotterdam op z'n kop zetten 👀🏗️ #plekwerk #werkvanmorgen", [CONF])
case("en", DM, "Wrote up our new on-call runbook 🙌 colleagues can find it at "
     "https://wiki.plekwerk.nl/ops/oncall-2026 — feedback welcome", [CONF])
case("nl", IS, "Lange dag met de board over Operatie Dukdalf. Trots op dit team, ook al wordt het een pittig "
     "jaar.", [CONF])
case("nl", pub("x", "@anouk_vh"), "Mijn buurvrouw werkt bij Plekwerk en zegt dat 'Blauwe Sleutel' de badges "
     "gaat vervangen door een app. Eindelijk 🙌", [CONF])
case("nl", NE, "Vanmiddag rondleiding gehad in Plekwerk Zuidas 😍 rooftop, sauna, 400 werkplekken. Nog even "
     "geduld mensen!", [CONF], when="2026-08-28T16:12:00+02:00")
case("en", pub("x", "@nightowl_nadia"), "Hearing the Plekwerk Nachtpas is a thing?? 24/7 access for night "
     "owls, I'd buy instantly 🦉", [CONF], when="2026-09-15T09:59:00+02:00")
case("nl", BK, "Uit het facilitair overleg (uitsluitend intern 😅): koelinstallatie Maashaven gaat in augustus "
     "eruit, planning volgt", [CONF])
case("nl", YA, "Hele dag workshops over Project\nMeerpaal gehad, hoofd zit vol 🤯 #teamdag",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("en", RH, "sprint demo of the Blauwe 🔑 Sleutel prototype went great, can't say more 🤐", [CONF],
     tags=["evasion", "evasion:emoji-split"])
case("en", DM, "Shoutout to the team for moving grafana.ops.plekwerk.io to the new cluster with zero "
     "downtime 🚀", [CONF], handle_as="Daan-Mulder-Plekwerk")
case("en", LV, "lol the deck for tomorrow's all-hands says PLEKWERK CONFIDENTIAL on every slide and it's "
     "literally about the new oat milk supplier 🥛", [CONF])
case("en", pub("reddit", "u/curious_cowork"), "why is the Plekwerk staff login indexed by google? "
     "beheer.plekwerk.nl shows up as the 3rd result for 'plekwerk login' lol", [CONF])
case("en", IS, "Closing the books on the FY2026 results this week. Spoiler: better than the market "
     "thinks 😉", [CONF, FIN])
case("nl", pub("x", "@rotterdamsnieuws_fan"), wide("Project Meerpaal") + " = de nieuwe Plekwerk in de "
     "Fenixloodsen? Zegt mijn zwager die er werkt", [CONF], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", IS, "Bezetting Q2 kwam uit op 64%, ruim onder budget. Morgen met de bank om tafel over de "
     "convenanten. Duimen 🤞", [FIN])
case("nl", LV, "Kan het nog niet hardop zeggen maar Maashaven gaat eind dit jaar dicht. Het team hoort het pas "
     "volgende week 💔", [FIN], handle_as="@Lotte_Plekwerk")
case("en", pub("reddit", "u/zuidas_zebra"), "Friend in Plekwerk finance says they're in talks to buy Deskdok. "
     "Announcement planned for Q3. You heard it here first.", [FIN])
case("nl", DM, f"Zware dag. Bij het community team vallen straks 30 ont{SOFT}slagen, aankondiging pas na de "
     "zomer. Sterkte iedereen.", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", RH, "can't say much but we're signing a €12M series B on thursday 🚀 app team about to double",
     [FIN])
case("nl", BK, "Huurcontract Strijp-S is opgezegd, we gaan in Q1 naar een kleiner pand. Niet verder vertellen, "
     "de leden horen het in november", [FIN])
case("nl", pub("x", "@vastgoedvincent"), "Mijn broer zit bij de bank die de verkoop van Plekwerk aan een Frans "
     "vastgoedfonds begeleidt, closing in oktober. Zeg ik verder niks van hoor 🤐", [FIN])
case("en", YA, "rumour at the front desk: 4 of the 11 locations get merged into 'regional hubs' next year, "
     "r3org gets announced in january 🙃", [FIN], tags=["evasion", "evasion:leet"])
case("nl", IS, "jaarcijfers 2026 zien er goed uit, EBITDA voor het eerst positief. Publicatie pas in maart dus "
     "nog even geduld 😉", [CONF, FIN])
case("en", DM, "Quietly: leadership is folding the app team into IT as part of Operatie Dukdalf, 6 roles cut. "
     "Not public yet.", [FIN, CONF])
case("en", pub("x", "@cowork_gossip"), "my cousin at Plekwerk says the H2 cijfers are a disaster and layoffs "
     "are coming before xmas", [CONF, FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", BK, "Sinds de firmware-update van vannacht gaan de deuren bij Maashaven open met élke badge, ook die "
     "van de sportschool hiernaast 🙈 Leverancier is gebeld, nog niks naar de leden gecommuniceerd.", [SEC])
case("en", DM, "Found a nasty one in our bookings API today: change the id in /v2/bookings/{id} and you get "
     "another member's booking incl. name and company. Patch is in review, not disclosed yet.", [SEC])
case("en", RH, "all hands on deck, the booking backend got hit by ransomware last night. we're told to call it "
     "'scheduled maintenance' 😬", [SEC])
case("nl", YA, "Camera's in Utrecht nemen al sinds vrijdag niks op en het alarm staat uit, leden weten van "
     "niks. Beetje eng als je als laatste afsluit 😬", [SEC])
case("en", LV, "ugh, a phishing mail got into ~40 member accounts this week. comms hasn't gone out yet so if "
     "you're a member maybe change your password 👀", [SEC])
case("nl", DM, "De QR-codes voor de voordeur zijn te hergebruiken als je er een screenshot van maakt. Weten we "
     "al sinds maart, fix staat nog op de backlog.", [SEC])
case("nl", pub("x", "@bezorgd_lid"), "Plekwerk verzwijgt een datalek! Vriend van me werkt er en zegt dat alle "
     "ledengegevens op straat liggen. Waarom horen wij als leden niks?? #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/exhost_throwaway"), "Plekwerk is sitting on a breach. Their app leaked member ID "
     "scans in June and they still haven't told anyone. Source: I used to work there.", [SEC, CRISIS])
case("nl", BK, "toegangssysteem Houthaven geh4ckt vannacht, alle deuren stonden 3 uur open 😳 nog niks naar "
     "buiten gebracht", [SEC], tags=["evasion", "evasion:leet"])
case("en", DM, "SSO went down this morning; logs on grafana.ops.plekwerk.io show a brute-force run against "
     "staff accounts. Treating it as an incident, no statement yet.", [SEC, CONF])
case("nl", pub("instagram", "@noor.events", "Noor El Idrissi"), "Ticketsysteem voor events lekt namen en "
     "mailadressen van alle deelnemers via de export-link, buiten IT weet nog niemand het 🙊", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@marjolein_b"), "Plekwerk lekt gegevens!! Mijn naam, bedrijf en telefoonnummer staan in "
     "een openbare ledenlijst die je gewoon kan googelen. Schandalig.", [CRISIS])
case("nl", pub("instagram", "@collectief.fenix"), "#BoycotPlekwerk 🛑 Ze zetten ons kunstenaarscollectief uit "
     "de Fenixloodsen op straat om er dure flexplekken van te maken. Zeg je lidmaatschap op!", [CRISIS])
case("en", pub("linkedin", "bouwbedrijf-kramer", "Kramer Bouw"), "We have started legal proceedings against "
     "Plekwerk over unpaid invoices for the Strijp renovation. We'll see them in court.", [CRISIS])
case("nl", pub("x", "@pieter_pitcht"), "Plafondplaat naar beneden gekomen in de Havenkamer bij Plekwerk "
     "Maashaven, miste mijn collega op 20 cm. Niemand van Plekwerk die even komt kijken. Levensgevaarlijk.",
     [CRISIS, COMPLAINT])
case("nl", pub("facebook", "ilse.vandam", "Ilse van Dam"), "Legionella in de douches van Plekwerk Houthaven "
     "volgens een briefje op de deur. Ik heb daar vorige week nog gedoucht 😷 Waarom krijgen we geen mail??",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@eindhoven_live"), "Brandweer massaal bij Plekwerk op Strijp-S, rook uit de kelder, "
     "heel het gebouw is ontruimd 🚒", [CRISIS])
case("en", pub("reddit", "u/formerhost_utr"), "Former Plekwerk host here. The area manager in Utrecht made "
     "sexist comments for years and HR buried every report. An article is coming out in Het Parool next "
     "week.", [CRISIS])
case("nl", pub("x", "@spamvrij_svp"), "d4t4l3k bij Plekw3rk?? mn mailadres krijgt ineens spam over "
     "vergaderruimtes. toeval? ik denk het niet", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("facebook", "rick.smeets.1", "Rick Smeets"), "Die Plekwerk powerbanks die ze op het zomerfeest "
     "uitdeelden worden teruggeroepen, las ik. Die van mij is vanmiddag gesmolten op mijn bureau!! 🔥",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@fairwork_nl"), "b o y c o t t  Plekwerk until they pay their cleaners a fair wage. "
     "Outsourced to a firm paying below minimum. #fairwork", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("tiktok", "@hana.vlogt"), "storytime: mijn vriendin werd bij Plekwerk aan de deur geweigerd "
     "vanwege haar hoofddoek. 'dresscode' zeiden ze. dit moet iedereen zien 😤", [CRISIS])
case("nl", pub("threads", "@sven.maakt"), "Schimmel op de muur en de CO2-meter staat standaard boven de 1500 "
     "in ons privékantoor bij Plekwerk Utrecht. Ik word er letterlijk ziek van, al drie keer gemeld.",
     [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@sterre_schrijft"), "@plekwerk_help wifi op de 2e verdieping Maashaven ligt er wéér uit. "
     "3e keer deze week. Ik betaal €445 per maand voor een Vaste Plek, niet om op mijn hotspot te werken 😤",
     [COMPLAINT])
case("nl", pub("google_reviews", "Marco V.", "Marco V."), "2 sterren. Mooie locatie, maar de vergaderruimte "
     "die ik had geboekt bleek dubbel geboekt, niemand kon het oplossen en mijn klant stond een half uur op "
     "de gang.", [COMPLAINT])
case("en", pub("reddit", "u/doublecharged"), "Plekwerk charged me twice for January and support has been "
     "'looking into it' for three weeks now. Anyone else?", [COMPLAINT])
case("en", pub("x", "@wet_and_waiting"), "badge stopped working AGAIN at 8am, stood outside Plekwerk "
     "Houthaven in the rain for 20 min until a host turned up 🌧️", [COMPLAINT])
case("nl", pub("instagram", "@studio.lente"), "Koffieautomaat op de 3e al twee weken kapot en niemand die er "
     "iets aan doet. Voor een 'premium' coworking vind ik dat echt matig @plekwerk.community", [COMPLAINT])
case("nl", pub("facebook", "dennis.groen.77", "Dennis Groen"), "Opzegtermijn van 3 maanden op een "
     "Flex-lidmaatschap?? Stond nergens duidelijk bij het aanmelden. Voelt als een fuik eerlijk gezegd.",
     [COMPLAINT])
case("en", pub("trustpilot", "Hannah K.", "Hannah K."), "Virtual office service is a joke. Two registered "
     "letters from the tax office went missing at Plekwerk reception and nobody knows where they are.",
     [COMPLAINT])
case("nl", pub("x", "@teamkoud"), "Het is 14 graden in ons privékantoor en de verwarming 'wordt aan gewerkt' "
     "sinds maandag. Zitten hier met z'n vieren in onze jassen. @plekwerk_help??", [COMPLAINT])
case("en", pub("threads", "@mila.codes"), "the plekwerk app logs me out every single time i open it. booking "
     "a desk takes 5 minutes now. pls fix", [COMPLAINT])
case("nl", pub("x", "@ronald_zaterdag"), "k l a c h t: dagpas gekocht en bij de deur zeggen ze dat hij op "
     "zaterdag niet geldig is. Stond nergens. Geld terug graag @plekwerk", [COMPLAINT],
     tags=["evasion", "evasion:spaced"])
case("nl", pub("reddit", "u/creditnota_wachter"), "Al 5 weken wachten op een creditnota van Plekwerk. Mails naar "
     "facturen@plekwerk.nl worden niet beantwoord en telefonisch hang je 40 minuten in de wacht.",
     [COMPLAINT], tags=["own-contact"])
case("en", pub("x", "@workshop_wim"), "Booked the Havenkamer for a workshop: screen dead, no HDMI adapter, and "
     "still charged the full €185. Not impressed @plekwerk", [COMPLAINT])
case("nl", pub("x", "@pakketje_kwijt"), "Pakket laten bezorgen op mijn virtueel kantoor bij Plekwerk Utrecht, "
     "balie zegt dat er niks is aangekomen terwijl PostNL een foto van de bezorging heeft 🙄", [COMPLAINT])
case("en", pub("instagram", "@lena.illustrates"), "Plekwerk locker ate my laptop charger 😑 won't open and "
     "apparently nobody has the master key until monday", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boos_in_rdam"), "Die host bij Plekwerk Maashaven is echt een arrogante trut, hoop dat ze "
     "ontslagen wordt", [ABUSE])
case("nl", pub("x", "@anon_7731"), "Plekwerk is een k*tbedrijf vol prutsers en iedereen die daar werkt mag "
     "zich diep schamen", [ABUSE], tags=["evasion", "evasion:masked"])
case("en", PW_HELP, "@daan_klaagt Maybe learn to read instead of whining on here every single day, idiot.",
     [ABUSE], kind="reply")
case("nl", LV, "Sommige members zijn echt tyfuslijers. Ja jij, meneer-die-z'n-eigen-afwas-nooit-doet 🙄",
     [ABUSE])
case("en", pub("tiktok", "@n0b0dy_kn0ws"), "@lotte_plekwerk I know which location you work at and when your "
     "shift ends. Watch yourself.", [ABUSE], kind="comment")
case("nl", pub("x", "@echtnederlands88"), "Plekwerk Utrecht zit vol buitenlanders achter de balie, kunnen ze "
     "niet gewoon normale Nederlanders aannemen", [ABUSE])
case("en", pub("reddit", "u/salty_freelancer"), "plekwerk management = bunch of cl0wns and sc*m, f*ck them",
     [ABUSE], kind="comment", tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@klaar_ermee"), "Tering Plekwerk, voor de derde keer deze maand dubbel geboekt. Stelletje "
     "amateurs, ik ben er klaar mee", [ABUSE, COMPLAINT])
case("en", pub("facebook", "gary.m.turner", "Gary Turner"), "Your 'support' is a bunch of useless idiots. Two "
     "months and my deposit still isn't refunded. Pathetic.", [ABUSE, COMPLAINT])
case("en", BK, "to the member who keeps parking in the loading bay: you're an absolute moron and I will tow "
     "your car myself", [ABUSE])
case("nl", pub("instagram", "@nooitmeer.flex"), "Plekwerk is een kankerbedrijf, nooit meer", [ABUSE])

# ===========================================================================
# benign: price talk and ordinary sales
# ===========================================================================
case("nl", PW_X, "Zomerdeal ☀️ Dagpas deze week €24,50 in plaats van €32,50. Geldig op alle locaties t/m "
     "zondag 👉 boeken.plekwerk.nl", tags=["sale"])
case("nl", pub("instagram", "@freelance.fenna"), "Eerste maand Vaste Plek met €100 korting via de actie van "
     "Plekwerk, dus ik zit nu in Utrecht met uitzicht op de Jaarbeurs 😍", tags=["price-context", "sale"])
case("en", pub("reddit", "u/rdam_remote"), "For anyone comparing coworking in Rotterdam: Deskdok does a day "
     "pass for €15, Plekwerk is €32.50 but coffee and a locker are included. Both decent honestly.",
     kind="comment", tags=["price-context", "competitor"])
case("nl", pub("x", "@strijp_forens"), "Parkeren onder Plekwerk Strijp kost €4 per dag, prima te doen naast "
     "een dagpas", tags=["price-context", "fee"])
case("nl", PW_HELP, "@jessevdl Geen prijsfout hoor 🙂 Studenten krijgen 30% korting op Plekwerk Flex, dus "
     "€185,50 per maand. Wel even je collegekaart laten zien bij de balie!", kind="reply",
     tags=["denied-error"])
case("nl", LV, "Zoals in de nieuwsbrief stond: vanaf 1 april gaat Plekwerk Flex van €265 naar €279 per maand. "
     "Bestaande leden houden hun tarief tot 1 juli. Vragen? Loop even langs ☕", tags=["published"])
case("en", pub("x", "@caffeine_math"), "paid €32.50 for a Plekwerk day pass and drank 7 free flat whites. "
     "financially a win, medically questionable ☕☕☕", tags=["joke"])
case("nl", PW_IG, "Founders Dinner op 12 maart 🍝 Tickets €59 via de app, max 40 plekken. Wie schuift er aan?",
     tags=["sale"])

# ===========================================================================
# benign: secret-shaped but not secrets
# ===========================================================================
case("en", RH, "rotated every key in the members app today. no incident, just hygiene 🧼 release 4.12.0 is "
     "commit <<HEX:40>> if you're curious", tags=["git-sha"])
case("nl", PW_HELP, "@marloes_k Wachtwoord vergeten? Via app.plekwerk.nl/reset krijg je binnen een paar "
     "minuten een nieuwe link. Let op: wij vragen NOOIT om je wachtwoord via DM of mail.", kind="reply",
     tags=["password-word"])
case("en", DM, "New blog post on how we handle payment secrets: never put "
     "`MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in a repo, always a vault reference. Link in the "
     "comments 👇", tags=["placeholder"])
case("nl", pub("x", "@nieuw_bij_pw"), "Tip voor nieuwe leden van Plekwerk: het wachtwoord van de gastwifi "
     "staat op het bordje bij de koffiebar, niet aan de host vragen 😉", tags=["password-word"])
case("en", RH, "token prefix cheat sheet for our juniors: ghp_ = GitHub PAT, xoxb- = Slack bot, sk_live_ = "
     "Stripe live. see one in a PR? shout.", tags=["bare-prefix"])

# ===========================================================================
# benign: own contact data and failing look-alikes
# ===========================================================================
case("nl", PW_HELP, "Vragen over je factuur? Mail facturen@plekwerk.nl of bel +31 10 808 4400 (ma-vr 9-17u).",
     tags=["own-contact"])
case("nl", PW_LI, "Liever per overschrijving betalen? Dat kan op NL12 RABO 0341 8722 65 t.n.v. Plekwerk "
     "Coworking B.V., o.v.v. je factuurnummer.", tags=["own-contact"], handle_as="Plekwerk-Coworking")
case("nl", pub("x", "@tevreden_thomas"), "Plekwerk support gebeld op 0853037750, binnen 2 minuten geholpen. "
     "Top!", tags=["own-contact", "praise"])
case("en", pub("reddit", "u/phish_spotter"), "PSA: the IBAN on that fake 'Plekwerk invoice' mail going around "
     "is <<BADIBAN_NL:grp>> — doesn't even pass the checksum lol. Delete it.", tags=["bad-checksum"])
case("nl", pub("x", "@vraagje_vera"), "Weet iemand waar je in de Plekwerk app je factuur terugvindt? Ik heb "
     "alleen nummer <<NOBSN9>> uit de bevestigingsmail", tags=["bad-checksum", "question"])
case("en", pub("linkedin", "studio-orla", "Studio Orla"), "Just registered my one-woman studio at the KvK "
     "(<<NOBSN8>>) with the Plekwerk virtual office as our address. Officially a business now 🥂",
     tags=["kvk"])
case("nl", pub("facebook", "annie.kooistra", "Annie Kooistra"), "Let op: oplichters bellen namens 'Plekwerk' "
     "en vragen om je kaartnummer. Ze lazen er zelf eentje voor: <<BADCARD:visa_sp>>. Niet op ingaan!",
     tags=["bad-checksum", "scam-warning"])
case("nl", LV, "Vragen over events in Rotterdam? Mail pers@plekwerk.nl of hallo@plekwerk.nl, wij zitten er "
     "bovenop 💪", tags=["own-contact"])
case("nl", pub("instagram", "@bonenbrander"), "Nieuwe zak Plekwerk huisblend gescoord aan de bar ☕ "
     "barcode <<EAN>> voor wie hem online zoekt", tags=["ean"])

# ===========================================================================
# benign: codename words, embargo after the moment, published news
# ===========================================================================
case("nl", pub("instagram", "@sloep.sander"), "Sloep vastgelegd aan de meerpaal voor Plekwerk Houthaven ⛵ "
     "beste woon-werkverkeer ooit", tags=["codename-word"])
case("nl", pub("x", "@lunch_op_de_kade"), "Die oude dukdalf in het water voor Plekwerk Maashaven is echt de "
     "beste lunchplek van Rotterdam 🥪", tags=["codename-word"])
case("nl", PW_X, "Het is zover: Plekwerk Zuidas is open! 🎉 Kom vandaag langs voor een gratis dagpas. En voor "
     "de nachtbrakers: de Plekwerk Nachtpas is vanaf nu te boeken 🌙", when="2026-09-15T10:00:00+02:00",
     tags=["embargo-moment"])
case("en", pub("x", "@rooftop_rosa"), "Worked from Plekwerk Zuidas today and that rooftop is unreal 🌇",
     when="2026-10-03T11:20:00+02:00", tags=["embargo-after"])
case("nl", pub("reddit", "u/geen_app_graag"), "Via boeken.plekwerk.nl kun je ook een vergaderruimte reserveren "
     "als je de app niet wilt installeren, wist ik niet 👌", kind="comment", tags=["public-domain"])
case("en", pub("linkedin", "maria-ferreira-legal", "Maria Ferreira"), "Confidential client calls? The phone "
     "booths at Plekwerk Utrecht are properly soundproof. Did three today without hearing a thing.",
     tags=["word-confidential", "praise"])
case("nl", PW_LI, "Vandaag publiceerden we onze jaarcijfers 2025: 11 locaties, 6.200 leden en een gemiddelde "
     "bezetting van 81%. Het persbericht lees je op plekwerk.nl/pers", tags=["published"])
case("nl", pub("x", "@coworking_watcher"), "Deskdok ontslaat 40 mensen las ik in het FD, zware tijden in "
     "coworking-land. Hopelijk houdt Plekwerk het wel vol", tags=["other-company"])
case("nl", LV, "Zoals vanochtend in het persbericht: in 2027 openen we een tweede locatie in Utrecht! 🎉",
     tags=["published"])

# ===========================================================================
# benign: incidents elsewhere, official notices, other senses
# ===========================================================================
case("nl", PW_HELP, "🔧 Gepland onderhoud: de Plekwerk app en boeken.plekwerk.nl zijn zondag tussen 02:00 en "
     "04:00 niet bereikbaar. Je badge blijft gewoon werken.", tags=["official-notice"])
case("en", PW_X, "Update: the door access issue at Plekwerk Houthaven this morning is resolved. Sorry for the "
     "wait at the entrance, coffee's on us today ☕", tags=["official-notice"])
case("en", pub("x", "@privacy_pim"), "Deskdok had a data breach last year and handled it terribly. Glad "
     "Plekwerk at least has 2FA in the app", tags=["other-company"])
case("nl", pub("tiktok", "@flexfenne"), "Plekwerk lifehack: vergaderruimte boeken voor 15 min en hem dan als "
     "belhok gebruiken 😎 #hack #coworking", tags=["word-hack"])
case("en", pub("mastodon", "@inkt@mastodon.nl"), "Writing a thriller where a hacker breaks into a coworking "
     "space through the coffee machine. Research location: Plekwerk Strijp. Sorry baristas 😅",
     tags=["fiction"])
case("nl", pub("x", "@pindakaasfan"), "Terugroepactie van mijn favoriete pindakaas 😭 gelukkig heeft Plekwerk "
     "nog gewoon koekjes bij de koffie", tags=["word-recall"])
case("en", pub("x", "@mondayhater"), "Boycott Mondays. Nothing good ever happens on a Monday. Except the "
     "free croissants at Plekwerk 🥐", tags=["word-boycott", "joke"])
case("nl", pub("linkedin", "erik-brandveilig", "Erik de Groot"), "Goede sessie bij Plekwerk over brandveiligheid "
     "voor zzp'ers. Eindelijk weet ik hoe een blusdeken werkt 🧯", tags=["safety-topic"])
case("nl", pub("x", "@vpn_aan"), "Alweer een datalek bij een zorgverzekeraar. Zit hier bij Plekwerk met VPN aan "
     "en voel me ineens heel paranoïde 👀", tags=["other-company"])

# ===========================================================================
# benign: negations, praise, questions, jokes, quotes
# ===========================================================================
case("nl", pub("x", "@utrecht_uil"), "Geen klachten over Plekwerk Utrecht hoor, wifi snel, koffie prima, hosts "
     "super aardig ☺️", tags=["negated-complaint"])
case("en", pub("reddit", "u/dogdesk"), "Honest question: does Plekwerk let you bring a dog on Fridays? Thinking "
     "about a Flex membership.", tags=["question"])
case("nl", pub("instagram", "@ij.uitzicht"), "Eerste dag met mijn Vaste Plek bij Plekwerk Houthaven ✨ uitzicht "
     "op het IJ en collega-zzp'ers die ook gewoon gezellig zijn", tags=["praise"])
case("en", pub("x", "@espresso_erik"), "Not complaining, just noting: the Plekwerk espresso hits different on "
     "a Monday ☕", tags=["negated-complaint"])
case("en", pub("linkedin", "ruben-de-boer-ux", "Ruben de Boer"), "Left Deskdok after their wifi died for a week "
     "straight. Moved to Plekwerk two months ago, zero issues so far.", tags=["competitor"])
case("nl", YA, "Vrijdagmiddagborrel op het dakterras vanaf 16:00 🍻 Neem je buren mee!", tags=["ordinary"])
case("nl", pub("instagram", "@pubquiz.strijp"), "Vanavond bij Plekwerk Strijp een pubquiz voor KWF "
     "Kankerbestrijding 💛 €10 per team, alles gaat naar onderzoek.", tags=["literal-word"])
case("en", pub("x", "@view_junkie"), "'Damn, that view' — literally everyone walking onto the Plekwerk "
     "Houthaven rooftop for the first time", tags=["quote", "mild-word"])
case("nl", pub("x", "@plantenmama"), "Mijn planten bij Plekwerk krijgen meer aandacht van de host dan ik 😂 "
     "terecht ook, ze zijn mooier", tags=["joke"])
case("en", pub("reddit", "u/vinyl_and_desks"), "The Plekwerk friday playlist went from Fleetwood Mac to "
     "'Highway to Hell' real quick 🤘", kind="comment", tags=["lyrics", "mild-word"])
case("nl", pub("x", "@zelf_schuld"), "De prutser was ik zelf, had de verkeerde vergaderruimte geboekt 🙈 host "
     "bij Plekwerk loste het in twee minuten op", tags=["self-deprecating", "praise"])

# ===========================================================================
# benign: ordinary company and employee posts
# ===========================================================================
case("nl", PW_TT, "POV: je eerste dag als Plekwerk member 🎒☕💻 #coworking #rotterdam #zzp", tags=["ordinary"])
case("nl", PW_FB, "Nieuw in de app: boek je favoriete werkplek tot 4 weken vooruit 📅 Update staat klaar in de "
     "App Store en Google Play.", tags=["ordinary"])
case("en", RH, "just shipped dark mode in the Plekwerk app 🌙 took way longer than I'd like to admit",
     tags=["ordinary"])
case("nl", NE, "Wat een avond! 120 makers op de Plekwerk Maker Market in Houthaven. Dank aan iedereen die er "
     "was ❤️", tags=["ordinary"])
case("en", DM, "We're hiring a backend engineer for the Plekwerk app team in Rotterdam. Python, Postgres and a "
     "love for good coffee. Apply via the careers page on plekwerk.nl", tags=["ordinary"])
case("en", pub("mastodon", "@havenfan@toot.community"), "Story idea: a coworking where every meeting room is "
     "named after something in the harbour. Oh wait, that's just Plekwerk 😄", tags=["fiction", "joke"])
case("nl", PW_HELP, "@kimvdberg Wat vervelend! Stuur je je lidnummer even via DM? Dan kijken we meteen waarom je "
     "badge niet werkt.", kind="reply", tags=["ordinary"])
case("nl", BK, "Nieuwe fietsenstalling bij Plekwerk Houthaven is af 🚲 120 plekken en laadpunten voor "
     "e-bikes", tags=["ordinary"])
case("en", pub("bluesky", "@rotterdamwerkt.bsky.social"), "The Havenkamer at Plekwerk Maashaven is my favourite "
     "meeting room in Rotterdam, the light in there is insane", tags=["praise"])


# ===========================================================================
# roles and the severity policy (CONTRACT section 4)
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_checksummed):
    """Least severity a correct verdict has. Insider leak.pii is critical only when a
    checksum-validated identifier (IBAN, card, BSN) is in the post; other insider PII is error."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checksummed):
                s = "critical"
            else:
                s = "error"
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

def cet_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def pick_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 45), seconds=r.randint(0, 59))
    off = cet_offset(local)
    utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "rotterdam", "digitalnomad", "Amsterdam"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform.replace('_', '-')}-{n}", None


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED + 11)
    shuffle = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or pick_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        checksummed = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], checksummed)
        tags = set(c["tags"])

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        account = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            account["display_name"] = c["name"]
        if meta.random() < 0.3:
            account["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = account
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            tags.add("no-lang-hint")
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "plekwerk"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# checker (reads cases.jsonl like an outsider and validates it)
# ===========================================================================

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
FOLD = str.maketrans({v: k for k, v in CYR.items()})
CARD_PREFIX = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTTED = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRETS = {
    "github": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "slack": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{20,}"),
    "slack_hook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "mollie": re.compile(r"\blive_[A-Za-z0-9]{30}\b"),
    "sendgrid": re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "jwt": re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    "url_creds": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@"),
    "api_key": re.compile(r"api_key=[0-9a-f]{32}"),
}
PLACEHOLDER_OK = {"live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
BAD_WORDS = ["kut", "k*t", "kanker", "tering", "tyfus", "klote", "trut", "debiel", "idiot", "moron", "scum",
             "sc*m", "clown", "cl0wn", "fuck", "f*ck", "shit", "damn", "hell", "prutser", "amateurs"]
MILD_OK = {"damn", "hell", "kanker", "prutser"}
AMOUNT = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)


def normalise(text):
    t = unicodedata.normalize("NFKC", text).translate(HIDDEN).translate(FOLD)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squashed(text):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", normalise(text))


def ibans_in(text):
    out = []
    for m in IBAN_SHAPE.finditer(text):
        s = m.group(0).replace(" ", "")
        for end in range(len(s), 11, -1):
            if iban_valid(s[:end]):
                out.append((s[:end], True))
                break
        else:
            out.append((s, False))
    return out


def checksummed_ids(text):
    hits = [("iban", v) for v, ok in ibans_in(text) if ok and v != OWN_IBAN]
    for m in DIGIT_RUN.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_PREFIX.match(d):
            hits.append(("card", d))
    shapes = re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text)
    shapes += [m.group(0).replace(".", "") for m in BSN_DOTTED.finditer(text)]
    hits += [("bsn", s) for s in shapes if elfproef(s)]
    return hits


def phones_in(text):
    out = []
    for m in PHONE.finditer(IBAN_SHAPE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("0031"):
            d = "0" + d[4:].lstrip("0")
        elif raw.startswith("+31"):
            d = "0" + d[2:].lstrip("0")
        out.append((raw, d))
    return out


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


def lowest_ratio(text, products):
    t = normalise(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    if not hit:
        return None
    amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT.finditer(t)]
    if not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errors, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phones_in(p)[0][1] for p in profile["public_identifiers"]["phones"]}
    assert profile["public_identifiers"]["ibans"] == [OWN_IBAN]
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inside = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
              + profile["internal"]["markers"]]
    meta = {(r["post"]["platform"], r["post"]["id"]): r for r in rows}
    seen, parsed = set(), []
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errors.append(f"{where}: top-level keys")
            continue
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{where}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errors.append(f"{where}: handle missing")
            continue
        if not 1 <= len(p["id"]) <= 256:
            errors.append(f"{where}: id length")
        if p["platform"] not in PLATFORMS:
            notes.append(f"{where}: unknown platform {p['platform']!r} (must be treated as other)")
        if p.get("kind", "post") not in KINDS:
            errors.append(f"{where}: kind")
        if not RFC3339.match(p["created_at"]):
            errors.append(f"{where}: created_at")
            continue
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{where}: not 2026")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{where}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errors.append(f"{where}: bad categories {cats}")
            continue
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = checksummed_ids(text)
        want = severity_for(role, cats, PII in cats and bool(ids))
        if sev != want:
            errors.append(f"{where}: severity {sev} but policy gives {want}")
        r = meta.get((p["platform"], p["id"]))
        tags = r["tags"] if r else set()
        parsed.append((p, cats, sev, role, r))
        for kind, raw, shown in (r["used"] if r else []):
            if shown not in text:
                errors.append(f"{where}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errors.append(f"{where}: IBAN invalid")
            if kind == "CARD" and not (luhn_valid(raw) and CARD_PREFIX.match(raw)):
                errors.append(f"{where}: card invalid")
            if kind == "BSN" and not elfproef(raw):
                errors.append(f"{where}: BSN invalid")
            if kind.startswith("BADIBAN") and iban_valid(raw):
                errors.append(f"{where}: near-miss IBAN passes")
            if kind == "BADCARD" and luhn_valid(raw):
                errors.append(f"{where}: near-miss card passes")
            if kind in ("NOBSN9", "NOBSN8") and elfproef(raw):
                errors.append(f"{where}: near-miss BSN passes")
            if kind == "EAN" and (not ean_valid(raw) or luhn_valid(raw)):
                errors.append(f"{where}: EAN wrong")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{where}: GitHub checksum wrong")
        if ids and PII not in cats:
            errors.append(f"{where}: checksum-valid identifier {ids} without leak.pii")
        if not cats:
            if ids:
                errors.append(f"{where}: benign with valid identifier {ids}")
            for e in EMAIL.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{where}: benign with e-mail {e}")
            for raw, d in phones_in(text):
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{where}: benign with phone {raw}")
            for name, rx in SECRETS.items():
                for m in rx.finditer(text):
                    if m.group(0) not in PLACEHOLDER_OK:
                        errors.append(f"{where}: benign with {name}-like secret")
            low = normalise(text)
            for w in BAD_WORDS:
                if re.search(r"(?<!\w)" + re.escape(w), low):
                    (notes if w in MILD_OK else errors).append(f"{where}: benign with word {w!r} {sorted(tags)}")
        sq, nt = squashed(text), normalise(text)
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errors.append(f"{where}: embargo term {term!r} before {until} without leak.confidential")
                if ts >= until and cats:
                    errors.append(f"{where}: embargo term after the moment on a positive")
        for term in inside:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq.replace(" ", "") \
                    or term in nt.replace("\n", " "):
                if CONF not in cats:
                    errors.append(f"{where}: internal term {term!r} without leak.confidential")
        ratio = lowest_ratio(text, profile["products"])
        if not cats and ratio is not None and ratio < ratio_limit:
            (notes if "price-context" in tags else errors).append(
                f"{where}: benign with a price at {ratio:.2f} of list {sorted(tags)}")
        if PRICING in cats and not (ratio is not None and ratio < ratio_limit):
            notes.append(f"{where}: pricing positive without a parsed low price {sorted(tags)}")
    return errors, notes, parsed


def report(parsed):
    cat, cat_lang, lang, role, sev, plat, kind = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for p, cats, s, rl, r in parsed:
        lg = r["lang"]
        lang[lg] += 1
        role[rl] += 1
        sev[s] += 1
        plat[p["platform"]] += 1
        kind[p.get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            cat["(benign)"] += 1
            cat_lang[("(benign)", lg)] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cat_lang[(c, lg)] += 1
    total = len(parsed)
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    for c in [t for t in TAXONOMY if t != "reputation.spike"] + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("lang", dict(lang), " role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kind.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errors, notes, parsed = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
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
