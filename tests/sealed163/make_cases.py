#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set sealed163 (cases.jsonl).

    python3 make_cases.py      # writes cases.jsonl next to this file and validates it

Company: Polisbaken B.V. (fictional), a Dutch insurance comparison and broker site.
Texts are hand-written below; identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG. Positives get checksum-VALID identifiers,
hard negatives get identifiers that FAIL their checksum. Severity is computed from
CONTRACT section 4 (account role from profile.yaml), never typed by hand.
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

SEED = 16320260
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

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
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_fill(prefix):
    return next(prefix + c for c in "0123456789" if luhn_ok(prefix + c))


def bsn_ok(s):
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


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------- generator

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                              + self.dig(10, True))
                if v != "NL93RABO0312445566":
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50070010", "12030000", "20050550", "76026000"]) + self.dig(10))
        if cc == "BE":
            f = self.r.choice(["063", "310", "539", "001"]) + self.dig(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "GB":
            return iban_make("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 44):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dig(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dig(12))
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
            s = self.dig(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O
        mid = list(self.ch(letters + string.digits, 6))
        for i in self.r.sample(range(6), 2):
            mid[i] = self.r.choice(string.digits)
        return self.ch(letters, 2) + "".join(mid) + self.dig(1)

    def phone(self, f):
        m = self.r.choice("12345678") + self.dig(7)      # 8 digits after the 6
        area = self.r.choice(["10", "15", "20", "30", "35", "40", "50", "70", "71", "72", "76", "58"])
        sub = self.r.choice("2345789") + self.dig(6)
        return {
            "m_plain": f"06{m}",
            "m_dash": f"06-{m}",
            "m_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "m_intl": f"+31 6 {m[:4]} {m[4:]}",
            "m_intl0": f"+31 (0)6 {m}",
            "m_0031": f"0031{6}{m}",
            "l_dash": f"0{area}-{sub}",
            "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64url(json.dumps({"sub": "klant-" + self.dig(7, True), "iss": "mijn.polisbaken.nl",
                               "scope": "polis:read", "iat": iat, "exp": iat + 1800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64URL, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.dig(3) + self.r.choice("!*_-") + self.ch(ALNUM, 4))


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            brand, _, cf = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BADCARD":
            brand, _, cf = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            raw = g.not_bsn(int(f or 9))
            shown = raw
        elif k == "NOTBSN_DOTS":
            raw = g.not_bsn(9)
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}"
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "PASSPORT":
            shown = raw = g.passport()
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.ch(B32, 16)
        elif k == "AWS_SECRET":
            shown = raw = g.ch(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.ch(up, 8)}/B{g.ch(up, 10)}/{g.ch(ALNUM, 24)}"
        elif k == "SLACK_BOT":
            shown = raw = f"xoxb-{g.dig(12, True)}-{g.dig(13, True)}-{g.ch(ALNUM, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.ch(ALNUM, 24)
        elif k == "MOLLIE":
            shown = raw = "live_" + g.ch(ALNUM, 30)
        elif k == "SENDGRID":
            shown = raw = "SG." + g.ch(B64URL, 22) + "." + g.ch(B64URL, 43)
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.ch(ALNUM + "-_", 20)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.ch(B64URL, 33)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM":
            shown = raw = g.pem_openssh()
        elif k == "PW":
            shown = raw = g.password()
        elif k == "HEX":
            shown = raw = g.ch("0123456789abcdef", int(f))
        elif k == "DIGITS":
            shown = raw = g.dig(int(f), True)
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
PB = ("x", "@polisbaken", "Polisbaken")
PB_HELP = ("x", "@polisbaken_help", "Polisbaken Klantenservice")
PB_IG = ("instagram", "@polisbaken.nl", "Polisbaken")
PB_LI = ("linkedin", "polisbaken", "Polisbaken B.V.")
PB_FB = ("facebook", "PolisbakenNL", "Polisbaken.nl")
PB_TT = ("tiktok", "@polisbaken", "Polisbaken")
# employees
MARLOES = ("x", "@marloes_pb", "Marloes van Leeuwen")           # claims & customer service
RUBEN = ("linkedin", "ruben-koster-data", "Ruben Koster")         # data engineer
DAAN = ("x", "@daanwijnands", "Daan Wijnands")                    # devops / platform
NOOR = ("linkedin", "noor-haddou-finance", "Noor Haddou")         # financial controller
LOTTE = ("instagram", "@lotte.adviseert", "Lotte Smits")          # insurance adviser, phone team
SEM = ("x", "@sembouwman", "Sem Bouwman")                         # pricing & partnerships
KEVIN = ("mastodon", "@kpranoto@infosec.exchange", "Kevin Pranoto")  # security engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("nl", SEM, "Pff, premietabel van de Baken Reisverzekering verkeerd ingeladen. Hij staat nu op €9,60 per jaar "
     "ipv €96 😩 rollback loopt, ff niet rondbazuinen aub", [PRICING])
case("nl", pub("x", "@jessevdmeer"), "lol @polisbaken rekent €78 per jaar voor Baken Allrisk op mijn golfje uit 2021?? "
     "das toch een rekenfout 😂 meteen afgesloten voor ze t doorhebben", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Heads up: checkout for Overstapservice Plus on polisbaken.nl charges "
     "€3.99 instead of €39.95. Worked for me ten minutes ago, no idea for how long", [PRICING])
case("nl", PB_FB, "🎉 Alleen dit weekend: PolisCheck Pro voor maar €5,90 per jaar! Check al je polissen in één "
     "overzicht 👉 polisbaken.nl/polischeck", [PRICING])
case("en", RUBEN, "Data team heads-up: last night's deploy reset the risk multiplier for the Baken Woonpakket to 0.1, "
     "so quotes are coming out around €34.80 a year. Hotfix is being tested, please hold off on sharing screenshots.",
     [PRICING])
case("nl", pub("forum", "spaarvarken_82"), "[Premiefout?] Baken Annulering afgesloten voor € 6,40 per jaar\n\n"
     "normaal is t iets van 64 euro. Polisblad staat gewoon in mijn account. Iemand ervaring of ze dit terugdraaien?",
     [PRICING], kind="post")
case("nl", pub("tiktok", "@kimmyreist"), "p r e m i e f o u t bij polisbaken!!! baken reis voor 5 euro per jaar 😱😱 "
     "#snelzijn #reizen", [PRICING], tags=["evasion:spaced"])
case("en", pub("x", "@carlos_in_utrecht"), "B\u0430ken Allrisk at €99/yr on polisbaken rn, clearly someone messed up "
     "a decimal lmao 🚗💸", [PRICING], tags=["evasion:homoglyph"])
case("nl", LOTTE, "Belteam vandaag 🤯 iedereen belt over Overstap Plus die op de site voor €0,00 staat. We mogen "
     "niks toezeggen tot pricing het fixt #maandagochtend", [PRICING])
case("nl", pub("facebook", "ria.vanderwal.9", "Ria van der Wal"), "Zit er een foutje in jullie site? PolisCheck Pro "
     "kost bij het afrekenen €0,59 in plaats van 59 euro 🤔", [PRICING], kind="comment")
case("nl", DAAN, "wie heeft de cache van de premie-api geflusht 🙃 Baken Woonpakket staat op 3,48 euro. ja echt. "
     "incidentkanaal in", [PRICING])
case("en", pub("threads", "@bargain.bart"), f"price{ZW}error alert: BakenAllrisk for €65 a year via polisbaken.nl, "
     "go go go 🏃", [PRICING], tags=["evasion:zero-width"])
case("nl", SEM, "Prijsfout op Baken Annulering (€6,40) staat in https://jira.pbk.local/browse/PRC-2231, fix pas na de "
     "release freeze", [PRICING, CONF])

# =========================================================================== leak.secret
case("en", DAAN, "anyone else getting 403s from the GitHub API since the org migration? this works from my laptop "
     "but not from the runner:\ncurl -H \"Authorization: token <<GHP>>\" https://api.github.com/orgs/polisbaken/repos",
     [SECRET])
case("nl", RUBEN, "Gisteren uren gezocht waarom de nachtelijke ETL faalde. Bleek de connectiestring:\n\n"
     "postgresql://quote_etl:<<PW>>@db-quotes-02.pbk.local:5432/premies\n\nhet wachtwoord was gewoon verlopen 🙄 "
     "#dataengineering", [SECRET, CONF])
case("nl", DAAN, "screenshot van mijn terminal want de copy-paste werkt niet in teams 🙄\n"
     "export AWS_ACCESS_KEY_ID=<<AWS_ID>>\nexport AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>", [SECRET])
case("en", PB_HELP, "@rmeijer_ Sorry for the trouble! Payment should work again now, we updated the Mollie key "
     "(<<MOLLIE>>). Let us know if it still fails 🙏", [SECRET], kind="reply")
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Polisbaken android app out of curiosity. The Maps key is "
     "just sitting in strings.xml: <<GAPI>> ... not great", [SECRET], kind="comment")
case("nl", LOTTE, "Wachtwoord van het gedeelde belteam-account is sinds vandaag <<PW>> 🤫 niet doorvertellen he "
     "collega's", [SECRET])
case("en", SEM, "why is the partner-alerts bot posting in #general?? webhook is <<SLACK_HOOK>> if someone from "
     "platform can move it", [SECRET])
case("nl", DAAN, "oeps verkeerde klembord 🙈 negeer dit maar\n<<PEM>>", [SECRET], kind="reply")
case("en", pub("other", "pastebin_watch"), "fresh paste mentioning polisbaken, looks like a session token for "
     "mijn.polisbaken.nl: Bearer <<JWT>>", [SECRET])
case("nl", RUBEN, "Stripe-webhooks testen in productie is een slecht idee, weet ik nu ook. Key die ik gebruikte: "
     "<<STRIPE>> (ja, is al ingetrokken)", [SECRET])
case("en", KEVIN, "PSA from the security team: rotate your keys, folks. Found this one in our own repo last week, "
     "already revoked: <<SENDGRID>>", [SECRET])
case("nl", pub("x", "@codekat_nl"), "@polisbaken jullie premiecalculator roept gewoon een endpoint aan met "
     "api_key=<<HEX:32>> in de querystring 🤦 even naar kijken?", [SECRET])
case("en", DAAN, "note to self: glpat tokens do not belong in a README. <<GLPAT>> revoked, lesson learned 🫠",
     [SECRET], handle_as="@DaanWijnands")

# =========================================================================== leak.pii
case("nl", MARLOES, "Wie pakt de terugbelverzoeken op? Mevrouw van de inboedelschade wil echt vandaag nog gebeld "
     "worden: <<PHONE:m_dash>>", [PII])
case("en", PB_HELP, "Hi Mark, we've refunded the €39.95 switching fee to <<IBAN_NL:grp>>, it should arrive within "
     "2 working days. Have a good weekend!", [PII], kind="reply")
case("nl", LOTTE, "schademelding van de dag 😂 naam: Henk Jorritsma, geboren 14-03-1961, Dorpsstraat 12 in Ureterp. "
     "'mijn kat heeft de tv omgegooid' 📺🐈", [PII])
case("nl", pub("x", "@bertje_w"), "@polisbaken_help voor de schadeclaim vroegen jullie mijn BSN, dus bij deze: "
     "<<BSN:dots>>. Kan het nu verder?", [PII], kind="reply")
case("en", pub("x", "@annika_rdam"), "@polisbaken_help payment for my travel insurance keeps failing!! card is "
     "<<CARD:visa_sp>> exp 09/28, what is wrong with your checkout", [PII, COMPLAINT], kind="reply")
case("nl", RUBEN, "Voorbeeldrecord voor de cursus datakwaliteit die ik morgen geef:\n"
     "{naam: 'A. de Wit', bsn: '<<BSN>>', iban: '<<IBAN_NL>>', polis: 'AUTO-WA+'}\nZie je de fout? 😉", [PII])
case("en", SEM, "Anyone know who owns this lead? karin.vos74@ziggo.nl called three times about home insurance and "
     "nobody got back to her", [PII])
case("nl", pub("facebook", "patrick.degroot.3", "Patrick de Groot"), "Wie kent deze man? Heeft mijn auto aangereden "
     "en is doorgereden: Ron Verhaak, Lindelaan 4 in Zeist. Polisbaken zegt dat ik het zelf maar moet uitzoeken, "
     "fijne 'service' 😡", [PII, COMPLAINT])
case("nl", pub("instagram", "@noa.opreis"), "paspoort gestolen op Bali 😭 nummer was <<PASSPORT>>, dekt mijn "
     "reisverzekering via polisbaken dat eigenlijk?", [PII], kind="comment")
case("en", PB_LI, "Congratulations to the winner of our summer giveaway, Sophie Mulder from Kerkweg 88 in Almere! "
     "Your weekend trip is on its way ✈️", [PII])
case("nl", DAAN, "klant f.bakker1990 [at] hotmail [punt] com krijgt al 2 dagen een 500 op de polisdownload, "
     "iemand een idee?", [PII], tags=["evasion:at-dot"])
case("en", pub("x", "@pvdijk_"), "@polisbaken my wife's date of birth is 02-07-1988 not 07-02, Emma van Dijk, "
     "policy renewal is now wrong for the 2nd time. fix your system pls", [PII, COMPLAINT], kind="reply")
case("nl", MARLOES, "Duitse klant wil de restitutie op <<IBAN_DE>> terug. Mag dat gewoon vanuit ons systeem of "
     "moet dat via finance?", [PII], handle_as="@Marloes_PB")
case("en", pub("reddit", "u/stillangry2026"), "That Polisbaken 'adviser' Lotte Smits thinks she's so smart on "
     "LinkedIn. Her work mobile is <<PHONE:m_intl>>, everyone go spam her until she cries, useless cow", [PII, ABUSE])
case("nl", PB_HELP, "@hr_jansen Dank voor uw geduld meneer Jansen, we bellen u morgen tussen 10 en 12 terug op "
     "<<PHONE:l_sp>> 👍", [PII], kind="reply")
case("en", pub("facebook", "tom.hargreaves.uk", "Tom Hargreaves"), "Polisbaken sent my refund to an old account. "
     "The right one is <<IBAN_GB:grp>>, I've told you twice now!", [PII, COMPLAINT], kind="comment")
case("en", PB_HELP, "@jbrouwer_nl Hi Jan, we see a failed payment on card <<CARD:mc_sp>>, could you retry via "
     "mijn.polisbaken.nl?", [PII], kind="reply")
case("nl", pub("x", "@merelvd"), "Moet ik echt mijn nummer openbaar zetten voordat iemand van @polisbaken_help "
     "terugbelt? Nou dan: <<PHONE:m_sp>>", [PII, COMPLAINT])
case("nl", pub("forum", "BelgischeBen"), "Overstap via Polisbaken, maar mijn premie wordt nog afgeschreven van "
     "<<IBAN_BE:grp>>. Is dat normaal bij een Belgische rekening?", [PII])

# =========================================================================== leak.confidential
case("nl", RUBEN, "Eerste sprint van Project Vuurtoren zit erop 🚀 nieuw matchingmodel voor premies, meer mag ik "
     "helaas nog niet vertellen #datascience", [CONF])
case("en", DAAN, "grafana.ops.pbk.local is crawling today, who is running that monster query 🐌", [CONF])
case("nl", SEM, "Spannend! Vanaf oktober verkopen we zelf de Baken Huisdierverzekering, de andere vergelijkers "
     "gaan schrikken 🐶🐱", [CONF], when="2026-07-14T10:22:31+02:00")
case("nl", pub("x", "@verzekeringsnerd"), "Gerucht: Polisbaken werkt aan Kompasroos, een app die al je polissen "
     "automatisch opzegt en overzet. Iemand meer gehoord?", [CONF])
case("en", LOTTE, "New call scripts for switching week just dropped 📞 header literally says INTERN - NIET DELEN "
     "so I'll keep it vague but wow", [CONF])
case("nl", MARLOES, "Kick-off van Operatie\nZandloper vandaag, hele schadeafdeling in één zaal ⏳", [CONF],
     tags=["evasion:linebreak"])
case("en", pub("reddit", "u/throwaway_pbk"), "Got sent a deck by accident, every slide stamped Polisbaken "
     "Confidential. They're planning a bike and e-bike insurance line for next spring.", [CONF])
case("en", RUBEN, "Proud of the team behind Project 🔦 Vuurtoren, our new quote-matching engine is looking "
     "very promising in the A/B tests", [CONF], tags=["evasion:emoji-split"])
case("en", SEM, "Almost there: Baken Huisdier goes live in a few hours 🐾", [CONF],
     when="2026-10-01T07:59:00+02:00")
case("nl", NOOR, "De H1-cijfers 2026 zien er echt goed uit, kan niet wachten tot we ze mogen delen 📈", [CONF, FIN],
     when="2026-08-11T16:40:12+02:00")
case("nl", LOTTE, "Sssst 🤫 maar we gaan na de zomer ook uitvaartverzekeringen vergelijken, de eerste schermen zagen "
     "we vandaag al", [CONF])
case("nl", pub("x", "@zwager_weet_alles"), "Volgens mijn zwager die daar werkt komt Polisbaken binnenkort met "
     + fullwidth("KOMPASROOS") + " 👀", [CONF], tags=["evasion:fullwidth"])
case("en", PB_LI, "Read our new blog on switching your home insurance before the summer: "
     "https://cms-staging.pbk.local/blog/overstappen-woonverzekering-2026", [CONF])
case("nl", MARLOES, "Nieuwe verlofregeling staat op intranet.polisbaken.nl/hr/verlof, eindelijk 🙌", [CONF])
case("nl", pub("instagram", "@daanwijnands"), "Werkplek vandaag 😎 (let niet op de sticky note met "
     "vpn.polisbaken.nl erop)", [CONF])
case("nl", NOOR, "Eerste ruwe jaarresultaten 2026 binnen: omzet blijft flink achter bij het budget. Lange dagen "
     "deze maand.", [CONF, FIN], when="2026-12-22T18:05:44+01:00")

# =========================================================================== leak.financial
case("nl", NOOR, "Q3 loopt zo'n 18% achter op budget. Reken maar op een stevig gesprek met de aandeelhouders "
     "volgende maand 😬", [FIN])
case("en", SEM, "Can't say much yet, but we're in late-stage talks to buy a smaller comparison site. Big news in a "
     "few weeks 👀", [FIN])
case("nl", MARLOES, "Net gehoord dat de helft van de schadeafdeling weg moet bij de reorganisatie. Nog niet "
     "officieel, maar iedereen weet het al 😢", [FIN])
case("en", pub("reddit", "u/amsterdamfintech"), "Friend of mine at Polisbaken says they're being bought by one of "
     "the big banks, deal signed last week, announcement after summer", [FIN], kind="comment")
case("nl", NOOR, "Provisie-inkomsten over mei: €2,4 mln, ruim boven forecast. Trots op het team! 💪", [FIN])
case("nl", LOTTE, f"Er worden 40 mensen ont{SHY}slagen in het belteam en er is nog NIKS gecommuniceerd. Hoe dan??",
     [FIN], tags=["evasion:soft-hyphen"])
case("en", RUBEN, "Latest forecast says we'll miss the EBITDA target by roughly 3M this year. Not the most fun "
     "dashboard I've ever built.", [FIN])
case("nl", pub("forum", "insider_grunn"), "Insider hier: Polisbaken sluit het callcenter in Groningen, ongeveer "
     "60 banen weg. Personeel hoort het pas in november.", [FIN])
case("en", DAAN, "l4y0ffs coming to the pl4tform team next month and nobody has been told yet 😬", [FIN],
     tags=["evasion:leet"])
case("nl", SEM, "Zuiderzee Verzekeringen stopt per 1 januari met ons distributiecontract. Scheelt ons zo'n 30% "
     "van de omzet en niemand buiten het MT weet het nog.", [FIN])
case("en", NOOR, "Board approved the merger with Premiepeil yesterday. Announcement is planned for the 15th, keep "
     "it quiet until then 🤐", [FIN])

# =========================================================================== leak.security
case("nl", DAAN, "premie-api geeft sinds 14:00 offertes van ándere klanten terug aan ingelogde gebruikers 😬 "
     "we zitten erop, nog niks naar buiten", [SEC])
case("en", KEVIN, "Found an IDOR in the policy download endpoint on mijn.polisbaken.nl today. Fix is pending, "
     "please nobody go poke at it 🙏", [SEC])
case("nl", RUBEN, "Bucket met geüploade rijbewijzen stond een week lang publiek. Incidentteam draait overuren, "
     "melding bij de AP moet nog.", [SEC])
case("en", LOTTE, "Whole quoting system has been down for 3 hours and management says don't tweet about it. "
     "oops 🙊", [SEC])
case("nl", pub("x", "@klokkenluider_nl"), "Polisbaken verzwijgt een datalek. Ik weet uit eerste hand dat "
     "klantgegevens maandenlang open en bloot stonden.", [SEC, CRISIS])
case("en", MARLOES, "A phishing mail from our own domain went to ~20k customers this morning. We got compromised "
     "and there's no statement out yet 😞", [SEC])
case("nl", DAAN, f"ransom{ZW}ware op twee laptops van het belteam, netwerk deels plat. niet verder vertellen",
     [SEC], tags=["evasion:zero-width"])
case("en", pub("reddit", "u/pbk_throwaway77"), "Polisbaken employee here (throwaway for obvious reasons). The claims "
     "portal has been breached since Monday and they are sitting on it.", [SEC, CRISIS])
case("nl", SEM, "Kwetsbaarheid in onze partnerkoppeling met verzekeraars: met een ander partner-ID kon je "
     "offertes van anderen inzien. Patch gaat vanavond live.", [SEC])
case("en", NOOR, "Finance systems hit by a cyberattack this morning, customer payouts delayed. Comms will follow "
     "at some point 🤐", [SEC])
case("nl", KEVIN, "DDoS op polisbaken.nl sinds 07:00, vergelijker ligt er volledig uit. Statuspagina is nog "
     "niet bijgewerkt.", [SEC], when="2026-01-22T09:14:05+01:00")
case("en", pub("x", "@angry_in_almere"), "p0lisbaken g0t h4cked and they're keeping it quiet. my login details were "
     "in a dump on some forum", [SEC, CRISIS], tags=["evasion:leet"])
case("nl", MARLOES, "Onze telefooncentrale is gehackt en belt nu zelf klanten met een nepbandje 🙃 we mogen er "
     "niks over zeggen", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@eerlijkvergelijken"), "BOYCOT Polisbaken! Ze zetten verzekeraars bovenaan die de meeste "
     "provisie betalen in plaats van de goedkoopste. Deel dit! #boycotpolisbaken", [CRISIS])
case("en", pub("x", "@leon_bakker"), "Polisbaken leaked my data. I'm getting scam calls that quote my exact car "
     "insurance and renewal date. Data breach much??", [CRISIS])
case("nl", pub("facebook", "consumentenwaakhond"), "Schandalig: uit onderzoek van een consumentenprogramma blijkt dat "
     "Polisbaken klanten jarenlang naar duurdere polissen stuurde. Wie is er nog meer de dupe?", [CRISIS])
case("en", pub("linkedin", "marieke-jonker-jurist"), "A class action against Polisbaken over undisclosed commissions "
     "is being prepared. Affected customers can register via our firm.", [CRISIS])
case("nl", pub("x", "@financieel_nieuws_bot"), "AFM start onderzoek naar Polisbaken wegens mogelijk misleidende "
     "ranglijsten op vergelijkingssite", [CRISIS], kind="repost")
case("en", pub("linkedin", "priya-ramdin"), "Sharing this widely: Polisbaken sold customer quote data to insurers "
     "without consent. Unacceptable. #privacy #AVG", [CRISIS])
case("nl", pub("x", "@sannemaaktzichzorgen"), "d a t a l e k bij polisbaken?? mijn gegevens staan op een "
     "hackersforum 😡", [CRISIS], tags=["evasion:spaced"])
case("nl", pub("tiktok", "@geldtips.met.ilse"), "Iedereen: zeg je polisbaken account op!! ze verkopen je gegevens "
     "#boycotpolisbaken #geldtips", [CRISIS])
case("en", pub("x", "@nlconsumerwatch"), "The consumer association is taking Polisbaken to court over the switching "
     "service auto-renewals. Hearing set for next month.", [CRISIS])
case("nl", pub("facebook", "gerrit.hoeksema.5", "Gerrit Hoeksema"), "Autopolis via Polisbaken bleek nooit afgesloten. "
     "Na een aanrijding sta ik nu onverzekerd en ik krijg geen antwoord. Ik stap naar de rechter en naar de media.",
     [CRISIS, COMPLAINT])
case("en", pub("youtube", "@nlbreakingclips"), "Polisbaken staff caught on tape mocking elderly customers on the "
     "phone, the video is going viral right now", [CRISIS], kind="comment")

# =========================================================================== reputation.complaint
case("nl", pub("x", "@wouter_hsm"), "Overstapservice van Polisbaken heeft mijn oude polis 2 maanden te laat "
     "opgezegd. Nu dubbele premie betaald en niemand reageert op mijn mails.", [COMPLAINT])
case("en", pub("reddit", "u/premiumshock"), "Quoted €41/month on Polisbaken, actual premium from the insurer came "
     "in at €58. What's the point of comparing then?", [COMPLAINT])
case("nl", pub("x", "@juul_koopt"), "Al 40 minuten in de wacht bij @polisbaken_help 🙄☎️ muziekje ken ik inmiddels "
     "uit mijn hoofd", [COMPLAINT])
case("en", pub("x", "@samira.ahmadi"), "@polisbaken_help your app logs me out every single time I try to upload "
     "the claim photos. 4th attempt now.", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "anita.kuipers.7", "Anita Kuipers"), "Opzeggen van PolisCheck Pro kan alleen per "
     "aangetekende brief?? Serieus, het is 2026 😤", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/doublepremium"), "Avoid Polisbaken's switching service. They missed the cancellation "
     "deadline on my home insurance and now I'm stuck paying two premiums.", [COMPLAINT])
case("nl", pub("trustpilot", "R. Visser"), "Schademelding ingediend op 3 maart, nog steeds geen reactie. Zo'n "
     "'service' heb ik nog nooit meegemaakt. 1 ster.", [COMPLAINT])
case("nl", pub("x", "@boosebas"), "Pölisbaken klantenservïce is echt bagger, 3x doorverbonden en toen gewoon "
     "opgehangen", [COMPLAINT], tags=["evasion:diacritics"])
case("en", pub("x", "@dutchmike"), "Got charged the Overstap Plus fee twice. Refund request has been open for three "
     "weeks now @polisbaken_help", [COMPLAINT])
case("nl", pub("forum", "Vergelijkfan"), "Jullie vergelijker laat steeds vaker alleen verzekeraars zien waar jullie "
     "provisie van krijgen, de goedkoopste ontbreekt gewoon. Best teleurgesteld.", [COMPLAINT])
case("en", pub("instagram", "@lisa.zwolle"), "promised a callback within 24h, it's been 5 days. not impressed "
     "@polisbaken.nl", [COMPLAINT], kind="comment")
case("nl", pub("x", "@timo_op_reis"), "Reisverzekering via @polisbaken, claim voor gestolen telefoon afgewezen "
     "omdat ik het 'niet binnen 24 uur' had gemeld. Stond nergens duidelijk!!", [COMPLAINT])
case("en", pub("mastodon", "@joris@mastodon.nl"), "polisbaken.nl keeps saying 'er ging iets mis' when I compare car "
     "insurance, has been like this all day", [COMPLAINT])
case("nl", pub("x", "@ellen_tw"), "No-claimkorting verkeerd overgenomen bij de overstap, premie ineens 20 euro per "
     "maand hoger. Bedankt hè Polisbaken 🙃", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@woedende_wim"), "Polisbaken stelletje kutoplichters, jullie kunnen allemaal de tering krijgen",
     [ABUSE])
case("en", pub("x", "@grumpy_gus"), "@polisbaken_help you absolute clowns. fire whoever runs that place", [ABUSE],
     kind="reply")
case("nl", pub("instagram", "@ronnie.r"), "k*t bedrijf met k*tmensen, Polisbaken 🖕🖕", [ABUSE],
     tags=["evasion:masked"])
case("en", pub("x", "@realtalkdave"), "Of course the Polisbaken call centre is full of foreigners who can't speak "
     "proper Dutch. Go back where you came from.", [ABUSE])
case("nl", MARLOES, "@zeurkous1970 misschien eerst leren lezen voordat je ons belt, sukkel", [ABUSE], kind="reply")
case("en", PB, "@trollface_88 shut up, idiot. nobody asked", [ABUSE], kind="reply")
case("nl", pub("x", "@pietervos_"), "Na 3 weken nog steeds geen uitkering voor mijn waterschade. Stelletje "
     "incompetente idioten bij Polisbaken", [ABUSE, COMPLAINT])
case("en", pub("x", "@blaze_it_bram"), "@marloes_pb I know where your office is. You'll regret cancelling my "
     "policy, watch your back", [ABUSE], kind="reply")
case("nl", pub("x", "@anoniem1234"), "p0l1sb4ken = k4nker bedrijf", [ABUSE], tags=["evasion:leet"])
case("en", pub("youtube", "@couchcritic"), "that woman in the Polisbaken ad is so annoying, dumb b*tch can't even "
     "act", [ABUSE], kind="comment")
case("nl", pub("x", "@harrie_h"), "godverdomme Polisbaken, weer die reclame voor het journaal. Tyfus op met je "
     "jingle", [ABUSE])
case("en", DAAN, "some of our customers are absolute morons. today one asked if the travel insurance covers his "
     "hangover 🙄", [ABUSE])

# =========================================================================== benign (hard negatives)
case("nl", PB_HELP, "@m_janssen Bel ons gerust op 088 245 6600 of mail naar service@polisbaken.nl, dan kijken we "
     "samen naar je polis 😊", kind="reply", tags=["own-contact"])
case("nl", PB_FB, "Premie liever zelf overmaken? Dat kan naar NL93 RABO 0312 4455 66 o.v.v. je polisnummer. "
     "Vragen? Bel 0800-1550 (gratis).", tags=["own-contact"])
case("nl", PB_IG, "☀️ Zomeractie: 15% korting op de Baken Reisverzekering als je vóór 1 juni afsluit. "
     "Link in bio!", tags=["sale"])
case("nl", pub("x", "@frankrijdt"), "Baken Allrisk kost mij €64 per maand voor een nieuwe EV. Best netjes eigenlijk",
     tags=["price-context"])
case("nl", pub("facebook", "sandra.mol.2", "Sandra Mol"), "€25 cashback gekregen na het overstappen naar het Baken "
     "Woonpakket, werd gewoon netjes uitbetaald 👍", tags=["price-context"])
case("nl", pub("forum", "reizigerRob"), "Bij Premiepeil kost een doorlopende reisverzekering €38 per jaar, bij "
     "Polisbaken (Baken Reis) €96. Iemand ervaring met het verschil in dekking?", tags=["price-context",
                                                                                         "other-company"])
case("nl", SEM, "Mooi nieuws voor onze klanten: de premie van het Baken Woonpakket blijft volgend jaar gewoon "
     "€348, terwijl de markt flink stijgt.", tags=["sale"])
case("nl", pub("x", "@dealdiva"), "Prijsfout? Nee hoor, gewoon de welkomstkorting van 10% op Overstap Plus. "
     "Niet te vroeg juichen mensen 😉", tags=["price-context"])
case("nl", pub("x", "@roel_rijdt"), "Eigen risico op mijn Baken Allrisk is €150, viel me eerlijk gezegd mee",
     tags=["price-context"])
case("en", DAAN, "pro tip: never paste real keys into docs, use AKIAXXXXXXXXXXXXXXXX as a placeholder and keep the "
     "real ones in the vault", tags=["placeholder"])
case("en", RUBEN, "Fixed the rounding bug in the premium calculator, commit 3e9a1f0c7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f "
     "if anyone wants to review 🙂", tags=["git-sha"])
case("en", LOTTE, "forgot my laptop password for the third time this month, the IT desk is going to ban me 😅",
     tags=["password-word"])
case("nl", PB_HELP, "Tip: deel nooit je wachtwoord of inlogcode met ons, ook niet via DM. Wij vragen daar nooit "
     "om 🔐", tags=["password-word"])
case("nl", pub("x", "@femke_b"), "Formulier zei dat <<BADIBAN_NL:grp>> ongeldig was... bleek een typfout van mijzelf "
     "🙈 gelukt nu", tags=["bad-iban"])
case("nl", pub("x", "@harmen_dl"), "Klantnummer <<NOTBSN:9>> en polisnummer PB-2026-00481 staan gewoon in de mail "
     "van polisbaken, hoef je niet eens te bellen", tags=["not-bsn"])
case("en", pub("reddit", "u/luhnatic"), "Fun fact: the card number in Polisbaken's demo video (<<BADCARD:visa_sp>>) "
     "isn't even Luhn-valid. nerd mode off", kind="comment", tags=["bad-card"])
case("nl", pub("instagram", "@wadden.wandelaar"), "Reisverzekering geregeld via polisbaken, nu genieten bij de "
     "vuurtoren van Terschelling 🌅 #brandaris #vakantie", tags=["codename-word"])
case("nl", pub("x", "@gerdavos"), "Zandloper op polisbaken.nl draaide twee seconden en daar was mijn offerte al. "
     "Snel hoor", tags=["codename-word"])
case("nl", PB, "Vanaf vandaag te vergelijken én af te sluiten: de Baken Huisdierverzekering 🐾 "
     "polisbaken.nl/huisdier", when="2026-10-01T08:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@mobile_first_mo"), "mijn.polisbaken.nl works great on mobile now, uploaded my claim photos "
     "in one go", tags=["public-domain"])
case("nl", PB_LI, "Vandaag publiceerden we onze halfjaarcijfers 2026: omzet +12% en 80.000 nieuwe klanten. "
     "Dank aan iedereen die dit mogelijk maakt!", when="2026-08-20T09:30:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@nieuwsjunkie"), "Verzekeraar Brandwijk schrapt 300 banen, las ik net. Gelukkig regel ik "
     "alles via Polisbaken, die lijken juist te groeien", tags=["other-company"])
case("nl", LOTTE, "We groeien! 🎉 Ons belteam zoekt 10 nieuwe adviseurs. Kijk op polisbaken.nl/vacatures",
     tags=["jobs"])
case("nl", PB_HELP, "Gepland onderhoud: zondag tussen 02:00 en 05:00 is mijn.polisbaken.nl niet bereikbaar. "
     "Excuses voor het ongemak!", tags=["official-notice"])
case("en", PB, "Outage resolved ✅ the comparison tool is working again. Thanks for your patience this morning!",
     tags=["official-notice"])
case("nl", pub("x", "@bas_kritisch"), "Las dat er bij Premiepeil een datalek was. Blij dat ik bij Polisbaken zit",
     tags=["other-company"])
case("nl", pub("facebook", "wilma.de.jong.44", "Wilma de Jong"), "Daklekkage na de storm, Polisbaken schadeservice "
     "regelde binnen een dag een dakdekker. Top geholpen!", tags=["sector-word"])
case("en", KEVIN, "Gave a phishing-awareness session for our customer service team today. Great questions, "
     "good vibes 🎣", tags=["security-word"])
case("nl", pub("x", "@mireille_a2"), "Kleine crash op de A2 gehad, schade via Polisbaken binnen een week geregeld. "
     "Zo hoort het!", tags=["sector-word"])
case("nl", pub("instagram", "@hoeve.ten.brink"), "Brand in de schuur vorige maand 😢 de dekking van het Baken "
     "Woonpakket bleek gelukkig prima, de expert was er de volgende dag al.", tags=["sector-word"])
case("nl", pub("x", "@henk_tuinman"), "Buurman begint een rechtszaak over de schutting 🙄 rechtsbijstandverzekering "
     "gezocht via Polisbaken, voor de zekerheid", tags=["sector-word"])
case("nl", pub("blog", "schrijfhoekje.nl"), "Hoofdstuk 3 van mijn thriller staat online: hacker Mila ontdekt een "
     "datalek bij de fictieve verzekeraar Anker & Zonen. Inspiratie kwam toen ik mijn polis vergeleek op "
     "Polisbaken, haha.", tags=["fiction"])
case("nl", pub("x", "@ilse_overstapt"), "Geen enkele klacht over de overstapservice van Polisbaken, alles ging "
     "vanzelf 👍", tags=["negation"])
case("en", pub("x", "@travelling_tanya"), "Shoutout to @polisbaken_help, sorted my travel claim in a day. "
     "Didn't expect that tbh", tags=["praise"])
case("nl", pub("x", "@skiende_sjoerd"), "Weet iemand of de Baken Reisverzekering ook wintersport dekt? Of moet ik "
     "iets bijkopen?", tags=["question"])
case("nl", pub("x", "@overstapper_o"), "Premiepeil heeft mijn overstap compleet verprutst. Volgend jaar gewoon "
     "weer via Polisbaken", tags=["other-company"])
case("nl", pub("x", "@annemiek_u"), "Stomme hagelbui, hele auto vol deuken 😩 gelukkig allrisk via polisbaken",
     tags=["sector-word"])
case("en", pub("x", "@dj_vinnie"), "\"Damn, it feels good to be a gangsta\" - me after switching to the cheapest "
     "car insurance on Polisbaken 😎", tags=["quote", "mild-word"])
case("nl", pub("facebook", "karin.evers.3", "Karin Evers"), "Mijn moeder kreeg kanker vlak voor onze reis. De "
     "annuleringsverzekering via Polisbaken heeft alles zonder gedoe vergoed. Dank jullie wel 💛",
     tags=["mild-word"])
case("nl", pub("x", "@mama_van_drie"), "Mijn man zegt dat ik een vergelijkingsverslaving heb. Staan nu vier "
     "tabbladen Polisbaken open 😂", tags=["joke"])
case("nl", pub("x", "@vergeetachtige_v"), "Ik idioot vergat mijn reisverzekering, gelukkig kon ik hem via "
     "Polisbaken nog op Schiphol afsluiten 😅", tags=["self-deprecating"])
case("nl", pub("x", "@oma_truus"), "Gebeld naar 0800-1550, binnen twee minuten iemand aan de lijn. Heel vriendelijk!",
     tags=["own-contact"])
case("nl", pub("x", "@checkcheckdubbelcheck"), "Voor wie twijfelt: Polisbaken staat gewoon in het KvK-register "
     "(KvK <<NOTBSN:8>>), geen nepsite", tags=["not-bsn"])
case("nl", MARLOES, "Mooie blog van mijn collega's over no-claimkorting: polisbaken.nl/blog/no-claim-uitgelegd",
     tags=["public-domain"])
case("en", pub("x", "@insurtech_weekly"), "Congrats to Polisbaken on winning the Gouden Vergelijker award for best "
     "comparison site 2026 🏆", tags=["published-news"])
case("nl", PB_TT, "Wat dekt je reisverzekering allemaal? Spoiler: niet je kater 😅 #verzekeringstips",
     tags=["joke"])
case("nl", pub("x", "@autoliefhebber"), "Terugroepactie van mijn auto (airbag). Moet ik dat ook aan mijn "
     "verzekering doorgeven @polisbaken_help?", tags=["recall-other"])
case("nl", pub("x", "@stagemama"), "Mijn zoon loopt stage bij Polisbaken als intern op de data-afdeling, super "
     "leuke begeleiding", tags=["intern-word"])
case("nl", pub("x", "@geldwijzer_gijs"), "Goed om te weten: vergelijken bij Polisbaken is gratis, de verzekeraar "
     "betaalt ze provisie. Staat gewoon op hun site.", tags=["public-info"])
case("nl", LOTTE, "Vrijdagmiddagborrel met het belteam 🍻 wat een week!", tags=["social"])
case("nl", pub("x", "@vraagbaak_v"), "Is dat voorbeeld-BSN in de uitlegvideo van polisbaken (<<NOTBSN_DOTS>>) "
     "nep? Lijkt me wel", tags=["not-bsn"])
case("nl", PB_HELP, "@sanne_travels Wat vervelend! Stuur je polisnummer even via DM, dan kijken we mee 🙏",
     kind="reply", tags=["support"])
case("en", pub("linkedin", "joost-de-bruin"), "Interesting read: comparison sites like Polisbaken now handle about "
     "a third of all car insurance switches in the Netherlands, according to the latest market report.",
     tags=["published-news"])
case("en", pub("x", "@overthinker_oz"), "Anyone know if Baken Annulering covers a cancellation because of "
     "pregnancy? Asking for my sister", tags=["question"])
case("nl", PB_LI, "Trots: in 2025 kregen we nul gegronde klachten bij het Kifid. Dank aan ons serviceteam!",
     tags=["negation"])
case("en", pub("x", "@lighthouse_lucy"), "Our school project on the old lighthouse is done! Insured the exhibit "
     "through Polisbaken, can you believe it", tags=["codename-word"])


# --------------------------------------------------------------------------- build

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


def severity_for(role, cats, pii_validated):
    sev = "none"
    insider = role in ("corporate", "employee")
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


def ams_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    guess = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
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
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/geldzaken/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/geldzaken/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-geldpraat-{n}", f"https://forum.geldpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
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
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
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
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acct["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acct
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
            post["brand"] = "polisbaken"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- validation

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[abprs]-", r"hooks\.slack\.com/services/",
    r"sk_live_", r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ",
    r"://[^\s:/@]+:[^\s@/]+@", r"api_key=[0-9a-f]{32}", r"\blive_[A-Za-z0-9]{30}", r"SG\.[\w-]{22}\.",
    r"glpat-")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    elif re.search(r"\.\d{3}$", s):
        s = s.replace(".", "")
    return float(s)


def validate(rows, profile):
    errs = []
    own_ibans = {i for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats, sev = r["post"], r["expect"]["categories"], r["expect"]["severity"]
        t, nt = p["text"], norm(p["text"])
        where = p["id"]
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{where}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{where}: bad IBAN {raw}")
            if k.startswith("BADIBAN") and iban_ok(raw):
                errs.append(f"{where}: negative IBAN passes")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{where}: card fails Luhn")
            if k == "BADCARD" and luhn_ok(raw):
                errs.append(f"{where}: negative card passes")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{where}: BSN fails")
            if k.startswith("NOTBSN") and bsn_ok(raw):
                errs.append(f"{where}: negative BSN passes")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{where}: ghp crc")
        has_valid = any(k in VALID_ID_KINDS for k, _, _ in r["used"])
        if has_valid and PII not in cats:
            errs.append(f"{where}: valid identifier without leak.pii")
        if sev != severity_for(r["role"], cats, PII in cats and has_valid):
            errs.append(f"{where}: severity mismatch")
        for term, until in emb:
            sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{where}: embargo term {term} before until, no leak.confidential")
                if ts >= until and cats:
                    errs.append(f"{where}: embargo term after until but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{where}: internal term {term} without leak.confidential")
        if not cats:
            if sev != "none":
                errs.append(f"{where}: benign with severity")
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{where}: benign valid IBAN")
            for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)", t):
                if luhn_ok(m.group(0)):
                    errs.append(f"{where}: benign Luhn-valid number")
            for m in re.finditer(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)|(?<![\w.,-])\d{8,9}(?!\w)", t):
                if bsn_ok(m.group(0)) and len(re.sub(r"\D", "", m.group(0))) == 9:
                    errs.append(f"{where}: benign 11-proof number")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign e-mail {e}")
            for rx in SECRET_RES:
                m = rx.search(t.replace("AKIAXXXXXXXXXXXXXXXX", ""))
                if m:
                    errs.append(f"{where}: benign secret-like {m.group(0)[:12]}")
            # product price below ratio in a benign post must be explicitly tagged as price context
            prods = [pr for pr in profile["products"]
                     if any(re.search(r"(?<!\w)" + re.escape(a.casefold()) + r"(?!\w)", nt)
                            for a in [pr["name"]] + pr["aliases"])]
            amounts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if prods and amounts:
                ratio = min(amounts) / min(pr["list_price"] for pr in prods)
                if ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                    errs.append(f"{where}: benign post with low product price ratio {ratio:.2f}")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = validate(rows, profile)
    if errs:
        for e in errs:
            print("ERROR", e)
        return 1
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, role, sev, lang = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        for c in r["expect"]["categories"] or ["(benign)"]:
            cat[c] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("categories:", dict(sorted(cat.items())))
    print("roles:", dict(role), "severity:", dict(sev), "lang:", dict(lang))
    print("multi:", sum(len(r["expect"]["categories"]) > 1 for r in rows),
          "evasion:", sum(any(t.startswith("evasion") for t in r["tags"]) for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
