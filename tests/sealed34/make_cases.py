#!/usr/bin/env python3
"""Deterministic generator for the sealed34 blind set (postwatch CONTRACT v1, section 6).

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate

Company: Snuffl Marktplaats B.V. (profile.yaml), a fictional Dutch second-hand
marketplace app. Texts are hand-written below; identifiers and secrets are filled
in from <<KIND:fmt>> placeholders by a seeded RNG. Positives get checksum-valid
identifiers, negatives get ones that fail. Severity is computed from the policy
(CONTRACT section 4), never typed by hand.
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

SEED = 34034034
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"
OWN_IBAN = "NL91INGB0006815542"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW, SHY = "\u200b", "\u00ad"

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "BUNQ", "KNAB", "SNSB", "ASNB", "RBRB"]) + self.dig(10, True))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            f = self.r.choice(["063", "001", "735", "310"]) + self.dig(7)
            return iban_make("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10010010", "50070010", "37040044"]) + self.dig(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.dig(14),
             "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
             "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
        for d in string.digits:
            if luhn_ok(p + d):
                return p + d

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

    def phone(self, f):
        d8 = self.r.choice("12345") + self.dig(7)
        return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}", "mob_0031": f"0031 6{d8}",
                "mob_intl0": f"+31 (0)6 {d8}", "land": f"0{self.r.choice(['10', '20', '33', '40', '50', '73'])}-{self.r.choice('2345789')}{self.dig(6)}"}[f]

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        pl = {"sub": "usr_" + self.dig(7, True), "iss": "pay.snuffl.nl", "scope": "wallet:admin", "iat": iat, "exp": iat + 7200}
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(pl)}.{self.ch(B64URL, 43)}"

    def pem(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 22) + "="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dig(3)
                + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))

    def track(self):
        return "3SSNFL" + self.dig(9, True)


VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:]); shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:]); shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_"); raw = g.card(b); shown = g.fmt_card(raw, ff or "sp")
        elif k == "BADCARD":
            b, _, ff = f.partition("_"); raw = g.bad_card(b); shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "AWSID":
            raw = shown = "AKIA" + g.ch(B32, 16)
        elif k == "AWSSECRET":
            raw = shown = g.ch(B64, 40)
        elif k == "MOLLIE":
            raw = shown = "live_" + g.ch(ALNUM, 30)
        elif k == "STRIPE":
            raw = shown = "sk_live_" + g.ch(ALNUM, 24)
        elif k == "SLACK":
            raw = shown = f"xoxb-{g.dig(12, True)}-{g.dig(13, True)}-{g.ch(ALNUM, 24)}"
        elif k == "SENDGRID":
            raw = shown = "SG." + g.ch(B64URL, 22) + "." + g.ch(B64URL, 43)
        elif k == "GLPAT":
            raw = shown = "glpat-" + g.ch(ALNUM + "-_", 20)
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.ch(B64URL, 33)
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "PEM":
            raw = shown = g.pem()
        elif k == "PW":
            raw = shown = g.pw()
        elif k == "HEX":
            raw = shown = g.ch("0123456789abcdef", int(f))
        elif k == "TRACK":
            raw = shown = g.track()
        elif k == "DIG":
            raw = shown = g.dig(int(f), True)
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
S_NL = ("x", "@snuffl_nl", "Snuffl")
S_HELP = ("x", "@snuffl_help", "Snuffl Helpdesk")
S_IG = ("instagram", "@snuffl.nl", "Snuffl")
S_LI = ("linkedin", "snuffl-marktplaats", "Snuffl Marktplaats B.V.")
S_TT = ("tiktok", "@snuffl", "Snuffl")
S_FB = ("facebook", "SnufflNL", "Snuffl")
# employees
LOTTE = ("x", "@lotte_trust", "Lotte Verhoef")            # trust & safety lead
DAAN = ("linkedin", "daan-kuipers-snuffl", "Daan Kuipers")  # payments engineer
MEHDI = ("x", "@m_ouali_dev", "Mehdi Ouali")              # backend developer
INEKE = ("linkedin", "ineke-hoogland", "Ineke Hoogland")   # finance controller
BRAM = ("x", "@bram_supp", "Bram Smits")                  # customer support
YARA = ("instagram", "@yara.ontwerpt", "Yara Sedney")      # product designer
JOOST = ("reddit", "u/joost_ops", "joost_ops")             # SRE
RUBEN = ("mastodon", "@rubenm@mastodon.nl", "Ruben Mulder")  # security engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, hint=None, handle_as=None, tags=()):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, hint=hint, tags=set(tags)))


# ======================================================================= pricing
case("nl", MEHDI, "wie heeft de tarieven-config gemerged?? 😅 Snuffl Verzendlabel Middel gaat nu voor €0,70 de deur uit ipv 6,95. "
     "hotfix staat klaar, ff niet rondtoeteren aub", [PRICING])
case("en", BRAM, "yes I can confirm some of you see the Zakelijk Pro plan at €3.90/month. that's a glitch on our end, "
     "pls stop DMing me screenshots lol", [PRICING], kind="reply")
case("nl", pub("reddit", "u/koopjesjager_073"), "SNEL: Snuffl Plus voor €0,59 per maand in de app. Volgens mij een prijsfout, "
     "heb meteen een jaar vastgezet 🏃‍♂️💨", [PRICING])
case("en", pub("x", "@thriftqueen_ams"), "snuffl large shipping label for €1.35?? thats gotta be a bug. just bought 20 lmaooo", [PRICING])
case("nl", S_HELP, "Klopt Mirjam, de verzenddozen 10-pack stonden vanochtend per ongeluk voor €1,29 in de shop. "
     "Bestellingen tot 12:00 leveren we gewoon uit.", [PRICING], kind="reply")
case("nl", pub("x", "@dealtjes_nl"), "p r i j s f o u t bij snuffl 👀 topplaatsing voor €0,29 ipv €2,99, wees er snel bij",
     [PRICING], tags=["evasion"])
case("en", DAAN, "Mini post-mortem because people asked: for ~40 min yesterday our Verzendlabel Klein sold at €0.42 "
     "thanks to a rounding bug in the new pricing service. Lessons learned about decimal types 🙃", [PRICING])
case("nl", YARA, "alleen voor de stories 🤫 Snuffl+ deze week 99 cent ipv 5,99, eigenlijk een foutje in de backend maar ssst",
     [PRICING])
case("nl", pub("facebook", "Henk Wouters"), "Iemand anders ook dat label groot vandaag maar €2,50 kost?? Normaal 13,50. "
     "Vast een fout van Snuffl, ik zou het snel gebruiken", [PRICING], kind="comment")
case("en", pub("tiktok", "@resellrico"), "sn*ffl pro plan showing €4 instead of €39 💀 pricing error, go go go #resellertok",
     [PRICING], tags=["evasion"])
case("nl", pub("threads", "@nadia.verkoopt"), "topplaatsing kost bij mij €0,03 in de app lolll dat is toch de verkeerde prijs?",
     [PRICING])
case("nl", BRAM, "Voor wie belt over het Verzendlabel Middel van €0,69: ja, prijsfout. Nee, we draaien je bestelling niet terug. "
     "Graag gedaan 😉", [PRICING])
case("en", pub("bluesky", "flipsandfinds.bsky.social"), "Snuffl+ subscription just charged me €0.60 instead of 5.99, "
     "not complaining but someone fat-fingered a price 😂", [PRICING])

# ======================================================================= secrets
case("en", MEHDI, "oops my screenshot earlier had the .env in it. deleted, but for the record it was\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nalready rotated, chill", [SECRET])
case("en", DAAN, "Snippet from my talk on idempotent checkout webhooks:\n\nstripe.api_key = \"<<STRIPE>>\"\n\n"
     "(yes we run a small Stripe fallback next to Mollie)", [SECRET])
case("en", JOOST, "staging still points at postgresql://snuffl_app:<<PW>>@pg-stg-01.corp.snuffl.internal:5432/market "
     "and nobody wants to own the migration. sre life", [SECRET, CONF], kind="comment")
case("nl", RUBEN, "vreemd, deze clone faalt op de CI runner:\ngit clone https://<<GHP>>@github.com/snuffl/wallet-ledger.git\n"
     "iemand een idee?", [SECRET])
case("en", pub("x", "@apk_dissector"), "fun find: Snuffl's android apk ships with a hardcoded AWS key 🙃\n"
     "<<AWSID>> / <<AWSSECRET>>\nreported via their bug bounty, still live", [SECRET])
case("nl", BRAM, "wachtwoord van het gedeelde supportaccount is nu <<PW>> voor wie m kwijt was, niet weer op een post-it plakken!",
     [SECRET])
case("en", YARA, "new slackbot for design reviews is alive 🤖 token if you wanna play: <<SLACK>>", [SECRET])
case("nl", pub("forum", "pentest_piet"), "In de JS-bundle van snuffl.nl staat gewoon een SendGrid key: <<SENDGRID>> "
     "Daar kun je mails mee versturen als Snuffl. Netjes gemeld.", [SECRET])
case("nl", MEHDI, "kan iemand checken waarom dit admin token een 401 geeft op de wallet api?\nBearer <<JWT>>", [SECRET], kind="reply")
case("en", JOOST, "for the folks asking how our bastion key looks (don't judge the comment):\n<<PEM>>", [SECRET])
case("nl", MEHDI, "t ww van de kiosk-tv op kantoor is <<PW>> 🙃 zet m aub weer op het dashboard na de borrel",
     [SECRET], tags=["evasion"])
case("en", pub("blog", "devnotes.example"), "While profiling Snuffl's web app I noticed their Maps key in plain sight: "
     "<<GAPI>>. Not restricted by referrer either.", [SECRET])
case("nl", pub("x", "@cyb3r_sanne"), "Snuffl medewerker lekt per ongeluk een Mollie key in een tweet: <<MOLLIE>> "
     "(screenshot gemaakt voordat ie weg was)", [SECRET])

# ======================================================================= pii
case("nl", pub("facebook", "Ria Bosman"), "PAS OP voor deze oplichter op Snuffl!!! Ik heb €240 overgemaakt naar <<IBAN_NL>> "
     "t.n.v. K. de Wit voor een iPhone en nooit iets gekregen. Delen!!", [PII])
case("nl", pub("x", "@jessie_vdm"), "@snuffl_help mijn uitbetaling komt al 6 dagen niet aan 😡 rekening is <<IBAN_NL:grp>>, "
     "kunnen jullie nu eindelijk kijken??", [PII, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/sellerfromzwolle"), "this buyer Mark Jansen, Kerkstraat 12, Zwolle, ghosted me after I shipped. "
     "posting it so others know", [PII])
case("nl", pub("instagram", "@mama_van_drie"), "bel me maar op <<PHONE:mob_pairs>> voor de kinderwagen, de snuffl chat laadt "
     "mijn berichten al 2 dagen niet 🙄", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@kev_koopt"), "snuffl wallet won't accept my card <<CARD:visa>> exp 09/28 what am I doing wrong??",
     [PII, COMPLAINT])
case("nl", pub("forum", "twijfelaar88"), "Snuffl vraagt om ID-verificatie voor uitbetalingen. Moet ik mijn BSN <<BSN:dots>> "
     "nou echt in die chat zetten? Voelt raar.", [PII])
case("nl", pub("tiktok", "@lisa.thrift"), "stuur me gewoon een mailtje op lisa.vd.berg [at] gmail [punt] com want via snuffl "
     "reageer ik nooit op tijd 😅", [PII], tags=["evasion"])
case("en", pub("threads", "@warning_buyers"), "Sophie Kramer, born 14-03-1991, Dorpsweg 8 in Ede is running fake listings on snuffl. "
     "she blocks you after payment", [PII])
case("nl", pub("x", "@tim_verkoopt"), "@snuffl_help hier mijn nummer <<PHONE:mob_intl>>, bellen jullie me terug over de verificatie?",
     [PII], kind="reply")
case("nl", S_HELP, "Hoi Marieke! We zien je uitbetaling naar <<IBAN_NL>> klaarstaan, die staat morgen voor 12:00 op je rekening 💸",
     [PII], kind="reply")
case("en", BRAM, "heads up team: Jan Hofman (jan.hofman77@outlook.com) opened his 9th dispute this month. anyone seen him before?",
     [PII])
case("nl", LOTTE, "Deze verkoper, tel <<PHONE:mob_dash>>, Lindelaan 41 in Amersfoort, staat al op onze fraudelijst. "
     "Ziet iemand hem nog actief?", [PII])
case("en", DAAN, "debugging wallet top-ups at 1am. card <<CARD:mc>> declined three times with the same acquirer code, "
     "which makes zero sense", [PII])
case("nl", BRAM, "ID-check van een klant faalt steeds, BSN <<BSN>> komt gewoon niet terug uit de verificatie. bug bij de provider?",
     [PII])
case("en", YARA, "giveaway winner!! 🎉 Femke de Graaf, Vondelstraat 77 in Haarlem, your box of goodies ships monday 📦", [PII])
case("nl", S_IG, "Gefeliciteerd Thijs! 🥳 Je prijs gaat naar Molenweg 3, 4901 AB Oosterhout. Vragen? We bellen je op "
     "<<PHONE:mob_0031>>", [PII])
case("nl", pub("facebook", "Jeroen Claes"), "Belgische koper betaalde netjes via <<IBAN_BE>> maar Snuffl Pay blokkeert de "
     "betaling al 4 dagen. Wat is dit nou weer", [PII, COMPLAINT])
case("en", MEHDI, "why is this log line in prod 😩\nuser=noor.bakker@ziggo.nl session=<<JWT>> action=payout", [SECRET, PII])
case("en", pub("x", "@anna_kauft"), "scammer on snuffl asked me to pay to German account <<IBAN_DE>>, name 'T. Vogel'. "
     "don't fall for it", [PII])
case("nl", S_FB, "Hi Wendy, je claim staat op naam van W. Peters, geboren 02-11-1984. Klopt dat? Dan kunnen we verder.",
     [PII], kind="reply")

# ======================================================================= confidential
case("nl", MEHDI, "Project Ekster gaat echt alles veranderen aan hoe je zoekt op Snuffl. Kan niet wachten tot jullie het zien 👀",
     [CONF])
case("en", DAAN, "Thrilled to share that I'm now leading the payments track of Operatie Zandloper, our escrow rebuild. "
     "Hiring soon! #fintech", [CONF])
case("nl", YARA, "sneak peek van Snuffl Pay Later 🤫 mag eigenlijk nog niet maar kijk die flow dan",
     [CONF], when="2026-07-14T21:12:40+02:00")
case("nl", pub("x", "@buurvrouw_ingrid"), "m'n nicht werkt bij snuffl en zegt dat Snuffl Ophaalservice in september live gaat, "
     "dan komen ze je spullen gewoon ophalen", [CONF], when="2026-06-02T18:40:05+02:00")
case("en", BRAM, "quoting straight from the snuffl confidential refund playbook: anything over €500 needs two approvals. "
     "so no, I can't just click it", [CONF], kind="reply")
case("en", pub("reddit", "u/leakwatcher"), "someone posted a screenshot of jira.snuffl.io with a whole roadmap for "
     "'Project Ekster' on it. search rebuild + ML ranking apparently", [CONF])
case("nl", LOTTE, "Klaar met dag 1 van Project\nEkster, de fraudemodellen draaien eindelijk mee. Moe maar trots",
     [CONF], tags=["evasion"])
case("en", MEHDI, "3 more sprints of Operatie Zand" + ZW + "loper and then vacation 🏖️", [CONF], tags=["evasion"])
case("nl", LOTTE, "Collega's, de hoge-risico queue staat hier: https://admin.snuffl.tools/fraud/queue?filter=hoog "
     "graag vóór 17:00 leeg", [CONF])
case("nl", YARA, "oké nog één post over Snuffl Pay Later en dan houd ik erover op 🙈", [CONF],
     when="2026-10-01T08:59:00+02:00")
case("en", pub("linkedin", "lotte-verhoef-7a"), "Proud of our team: Hermelijn, our new seller-verification engine, "
     "cut fake accounts in half during the pilot.", [CONF])
case("nl", YARA, "Moodboard voor Hermelijn 🎨 (snuffl intern, maar te mooi om niet te laten zien)", [CONF])
case("en", pub("x", "@techroddelaar"), "hearing Operatie Zаndloper at Snuffl launches after summer. escrow for everything",
     [CONF], tags=["evasion"])

# ======================================================================= financial
case("nl", INEKE, "De H1-cijfers 2026 liggen klaar en ik mag niks zeggen, behalve: wallet-volume bijna verdubbeld 🚀",
     [FIN, CONF], when="2026-08-11T16:02:11+02:00")
case("nl", pub("x", "@reinier_zegt"), "hoor van een vriend bij Snuffl dat er na de zomer zo'n 60 man ontslagen wordt", [FIN])
case("en", BRAM, "rumour confirmed internally: Snuffl is getting bought by a big German classifieds group. "
     "deal gets signed next month apparently", [FIN])
case("en", DAAN, "Not public yet, but our internal forecast puts GMV at €410m this year. Never thought I'd see that from a "
     "little flea-market app.", [FIN])
case("nl", MEHDI, "grote reor" + SHY + "ganisatie bij ons aangekondigd, heel T&S gaat naar Lissabon. ik weet het even niet meer",
     [FIN], tags=["evasion"])
case("en", pub("reddit", "u/vc_gossip"), "insider info: Snuffl is raising a Series D at a €1.2bn valuation, "
     "announcement comes after Q3", [FIN])
case("nl", LOTTE, "Vandaag gehoord dat Trust & Safety gehalveerd wordt. Nog niet officieel. Geen idee of ik blijf.", [FIN])
case("en", INEKE, "Closing the books this week: we'll miss the H1 revenue target by about 12%. Board meets Thursday. "
     "Deep breaths.", [FIN])
case("nl", YARA, "overname van ruilapp Swapzo is rond!! 🤐 mag pas volgende week naar buiten", [FIN])
case("nl", pub("threads", "@zwagerweetalles"), "Snuffl gaat volgens mij naar de beurs, mijn zwager zit bij de bank die het regelt",
     [FIN])
case("en", JOOST, "can't say much but hiring freeze + budget freeze from monday. third round of cuts is coming", [FIN],
     kind="comment")
case("nl", pub("facebook", "Patrick B."), "0ntslagr0nde bij Snuffl op komst, 1 op de 4 moet weg zegt een kennis", [FIN],
     tags=["evasion"])
case("en", pub("x", "@marketmover_nl"), "Snuffl's half-year results 2026 will disappoint, my contact in their finance team "
     "says wallet fees dropped 18%", [FIN, CONF], when="2026-07-30T10:15:00Z")

# ======================================================================= security
case("nl", RUBEN, "Sinds vannacht een datalek in de wallet-API, klantgegevens waren op te vragen zonder auth. "
     "Nog niet naar buiten gebracht, dus shhh", [SEC])
case("en", JOOST, "payouts service has been down 5 hours and users aren't being told yet. we're scrambling", [SEC])
case("en", MEHDI, "found an IDOR in our messages endpoint, any logged-in user can read other people's chats. ticket filed, "
     "not fixed yet 😬", [SEC])
case("nl", LOTTE, "Account-takeover golf sinds gisteren, al 300+ accounts overgenomen. We communiceren het nog niet extern.",
     [SEC])
case("nl", pub("x", "@boze_verkoper"), "Snuffl houdt een hack stil!! vriend die daar werkt zegt dat de hele database gelekt is",
     [SEC, CRISIS])
case("en", DAAN, "Rough week. Our payment integration was writing partial card data to logs for months. Fixing it quietly "
     "before anyone notices.", [SEC])
case("nl", BRAM, "alles ligt plat hier... we zijn g e h a c k t en ik mag niks zeggen tegen klanten", [SEC], tags=["evasion"])
case("en", pub("reddit", "u/throwaway_snfl"), "Snuffl employee, throwaway for obvious reasons: there was a breach last week "
     "and they're not disclosing it", [SEC, CRISIS])
case("en", YARA, "pls stop asking in my dms 🙏 the app is down because of a ddos, we can't say it officially yet", [SEC])
case("en", RUBEN, "we've had an unpatched RCE in the image upload pipeline since March. management says 'after the release'.",
     [SEC])
case("en", JOOST, "kafka-03.corp.snuffl.internal has been dropping payout events all night, incident still open, "
     "customers have no idea", [SEC, CONF])
case("nl", MEHDI, "d4t4l3k bij ons vandaag, zeg niks 🤐", [SEC], tags=["evasion"])

# ======================================================================= crisis
case("nl", pub("x", "@petravanl"), "DATALEK bij Snuffl?! Mijn adres en telefoonnummer staan op een hackersforum, samen met "
     "duizenden anderen", [CRISIS])
case("nl", pub("facebook", "Stop Online Oplichting"), "BOYCOT Snuffl! Ze verdienen geld aan nepadvertenties en doen niks "
     "tegen oplichters. #boycotsnuffl", [CRISIS])
case("en", pub("reddit", "u/legaleagle_nl"), "The class action against Snuffl over frozen wallet balances is open for sign-ups. "
     "Lawyers say over 4,000 people joined already.", [CRISIS])
case("en", pub("x", "@nltechnews"), "ACM opens investigation into Snuffl's buyer protection claims after hundreds of complaints",
     [CRISIS])
case("nl", pub("x", "@dennis_utrecht"), "Bij een ophaalafspraak via Snuffl met een mes bedreigd en beroofd. Snuffl reageert "
     "alleen met een standaardmailtje.", [CRISIS, COMPLAINT])
case("en", pub("facebook", "Safe Kids NL"), "Recalled baby car seats are STILL being sold on Snuffl. Kids' safety at risk and "
     "the platform just lets it happen.", [CRISIS])
case("nl", pub("tiktok", "@waarheid.nl"), "Snuffl medewerkers lezen je privéberichten mee, bewezen!! schandaal 🚨", [CRISIS])
case("nl", pub("x", "@bezorgde_klant"), "d a t a l e k bij snuffl, check je mail en verander je wachtwoord", [CRISIS],
     tags=["evasion"])
case("en", pub("threads", "@courtwatch"), "Seller sues Snuffl after account frozen with €8,000 inside. Hearing set for "
     "next month.", [CRISIS])
case("en", pub("mastodon", "@eva@social.example"), "Snuffl leaked my passport scan. Got an email admitting 'unauthorised "
     "access to verification documents'. Unbelievable.", [CRISIS])
case("nl", pub("facebook", "Karin Meijer"), "Namaak oplader via Snuffl gekocht, vanochtend in brand gevlogen op de kinderkamer. "
     "En Snuffl weigert de koopbescherming 'want buiten termijn'.", [CRISIS, COMPLAINT])
case("en", pub("x", "@b0yc0tt_nu"), "#b0yc0tt Snuffl, they protect scammers and silence victims", [CRISIS], tags=["evasion"])
case("nl", pub("youtube", "@kijkertje"), "Na die Zembla-uitzending over Snuffl en de oplichtersbendes ben ik er klaar mee. "
     "Schandalig hoe ze slachtoffers afschepen.", [CRISIS], kind="comment")

# ======================================================================= complaints
case("nl", pub("x", "@gerda1962"), "Al 9 dagen wacht ik op mijn geld uit de Snuffl wallet. Klantenservice reageert niet. Heel slecht.",
     [COMPLAINT])
case("en", pub("x", "@jakeinrdam"), "jacket arrived ripped, snuffl buyer protection rejected my claim in like 2 minutes. "
     "what's the point of paying for it", [COMPLAINT])
case("nl", pub("facebook", "Ahmed K."), "verzendlabel betaald maar PostNL zegt dat het label ongeldig is, en snuffl stuurt me "
     "van het kastje naar de muur", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/smallsellerNL"), "service fee went up AGAIN? 5% + 0.70 per order on a €10 item is ridiculous, "
     "moving my stuff elsewhere", [COMPLAINT])
case("nl", pub("instagram", "@sterre.vintage"), "account geblokkeerd zonder uitleg en niemand die reageert 😤 @snuffl.nl "
     "ik verdien hier mijn huur mee", [COMPLAINT], kind="comment")
case("en", pub("x", "@mo_flips"), "reported the same scammer 3 times, profile still up. what is your trust & safety team even "
     "doing @snuffl_help", [COMPLAINT])
case("nl", pub("x", "@sjaak_verkoopt"), "Koper zegt 'niet ontvangen', Snuffl geeft hem gelijk zonder enig bewijs en ik ben m'n "
     "spullen én m'n geld kwijt. Top geregeld hoor.", [COMPLAINT])
case("en", pub("forum", "retro_ruben"), "Refund took 23 days and support copy-pasted the same answer 4 times. Never again.",
     [COMPLAINT])
case("nl", pub("youtube", "@huisvanhanna"), "waarom betaal ik 2,95 koopbeschermingskosten als het toch nooit werkt bij snuffl",
     [COMPLAINT], kind="comment")
case("en", pub("tiktok", "@dutchthrift"), "snuffl chat randomly translating my dutch msgs to english 😭😭 buyers think "
     "im a bot, fix ur app", [COMPLAINT])
case("nl", pub("x", "@robbie_r"), "snufl heeft me 2x afgescheven vor 1 label en nu kan ik niks terug krijge. wie kan ik bellen",
     [COMPLAINT])
case("en", pub("linkedin", "marjolein-okafor"), "Running a small refurb shop on Snuffl Zakelijk Pro: invoices have been wrong "
     "for three months and my account manager hasn't replied once.", [COMPLAINT])
case("nl", pub("bluesky", "timo.bsky.social"), "die verplichte ID-check is echt bagger, 3x foto geüpload en steeds 'mislukt'",
     [COMPLAINT])
case("en", pub("other", "jaap_vanderlinden"), "Snuffl support closed my ticket as 'solved' without answering. Twice.",
     [COMPLAINT])
case("nl", pub("tweakers", "Dr_Dirk"), "Sinds de laatste Snuffl-update log ik elke dag uit en moet ik opnieuw een sms-code "
     "aanvragen. Dat duurt soms 10 minuten.", [COMPLAINT])

# ======================================================================= abuse
case("nl", pub("x", "@woedend_w"), "Snuffl zijn gewoon een stelletje kankerlijers", [ABUSE])
case("en", pub("x", "@angryflipper"), "@snuffl_help you absolute morons, f*** off with your 'we understand your frustration'",
     [ABUSE], tags=["evasion"], kind="reply")
case("nl", pub("facebook", "Ronald V."), "die helpdesk van snuffl bestaat uit debielen, allemaal", [ABUSE], kind="comment")
case("en", pub("reddit", "u/real_talk_99"), "of course the snuffl support agents are all foreigners who can't read Dutch, "
     "typical immigrant call centre trash", [ABUSE])
case("nl", pub("x", "@jurre_020"), "kutapp, al 4x uitgelogd midden in het betalen", [ABUSE, COMPLAINT])
case("nl", BRAM, "zeur niet zo sukkel, lees gewoon de FAQ", [ABUSE], kind="reply")
case("en", S_HELP, "Maybe try reading the FAQ, genius. People like you are why our queue is clogged.", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@r3lschopper"), "k4nker snuffl met je k4nker koopbescherming", [ABUSE], tags=["evasion"])
case("en", pub("reddit", "u/pitchforks_out"), "let's find out where that snuffl T&S lady lives and make her life hell. "
     "she banned the wrong guy", [ABUSE], kind="comment")
case("nl", LOTTE, "die oplichters die we vandaag eruit gegooid hebben zijn echt zulke mongolen", [ABUSE])
case("en", pub("youtube", "@honest_henk"), "snuffl ceo is a clown 🤡 and a thief, hope he chokes on his bonus", [ABUSE],
     kind="comment")
case("nl", pub("instagram", "@x_zoe_x"), "＠ｓｎｕｆｆｌ．ｎｌ ｋｕｔｂｅｄｒｉｊｆ", [ABUSE], tags=["evasion"])

# ======================================================================= benign
B = []
case("nl", S_NL, "Actie! 📦 Deze week het Verzendlabel Middel voor €4,95 (normaal €6,95). Opruimen was nog nooit zo makkelijk.")
case("nl", pub("x", "@studentjelle"), "mn oude racefiets verkocht voor €60 op Snuffl. label groot was €13,50, dus nog steeds winst")
case("en", pub("reddit", "u/curious_seller"), "How does Snuffl's small shipping label (€4.25) compare to just going to the "
     "PostNL counter? Genuinely asking, first time selling.")
case("nl", pub("x", "@spaarvarken"), "€1 korting op Snuffl Plus met code VOORJAAR, gewoon een actie, geen fout hoor")
case("nl", pub("facebook", "Marco Pinto"), "Prijsfout? Nee joh, Snuffl Plus eerste maand €3,49 staat gewoon in de voorwaarden.",
     kind="comment")
case("nl", pub("instagram", "@opruimkoningin"), "iemand verkoopt een kinderfiets voor €5 op Snuffl 😳 geen prijsfout, gewoon "
     "opruimen voor de verhuizing. meteen gekocht!")
case("en", pub("x", "@pennypincher_ed"), "selling my old ps4 on snuffl for €95 incl controller, dm if interested")
case("en", MEHDI, "PSA for juniors: never paste keys like AKIAXXXXXXXXXXXXXXXX into tickets. use the vault, always")
case("en", DAAN, "Merged <<HEX:40>> today: Mollie webhooks are finally idempotent. Small win, big relief.")
case("nl", pub("forum", "codeklusser"), "Sinds 2021 beginnen GitHub tokens met ghp_… zodat scanners ze herkennen. Handig.")
case("nl", pub("x", "@vergeetachtig"), "wachtwoord vergeten bij Snuffl, reset-mail binnen een minuut binnen. top")
case("nl", pub("x", "@tevreden_truus"), "Snuffl klantenservice bereikbaar via support@snuffl.nl of 030 799 4400, binnen 5 min "
     "geholpen. Chapeau!")
case("nl", S_HELP, "Stuur je vraag naar support@snuffl.nl of bel gratis 0800-7683 (ma-za 9-18u) 💬", kind="reply")
case("nl", S_FB, "Facturen voor Zakelijk Pro kun je overmaken naar NL91 INGB 0006 8155 42 t.n.v. Snuffl Marktplaats B.V. "
     "Vermeld je factuurnummer.")
case("en", S_LI, "Press enquiries? Reach us at pers@snuffl.nl or +31 (0)30 799 4400.")
case("nl", pub("x", "@scherpe_sanne"), "Kreeg een 'Snuffl' phishingmail: betaal naar <<BADIBAN_NL>>. Klopt niet eens, "
     "controlegetal is fout. Niet intrappen!")
case("en", pub("reddit", "u/fraud_nerd"), "phishing mail pretending to be snuffl used a made-up card number <<BADCARD_visa>> "
     "in the 'receipt'. doesn't even pass luhn lol")
case("nl", pub("x", "@pakketje_binnen"), "Pakket eindelijk binnen! Track & trace <<TRACK>> werkte perfect via de Snuffl app 📦")
case("nl", pub("x", "@vraagje_v"), "Mijn Snuffl-bestelnummer is <<NOTBSN:9>>, waar vind ik de factuur? Kan het niet vinden in de app")
case("nl", pub("linkedin", "esra-yildiz-vintage"), "Zakelijk verkopen op Snuffl met KvK <<NOTBSN:8>>, tot nu toe erg fijn platform.")
case("nl", pub("x", "@tuinvogels_tom"), "Er zit een ekster in onze tuin die alle glimmende dingen jat 😂 net een snuffl-koper")
case("nl", pub("facebook", "Antiek & Zo"), "Te koop: antieke zandloper, koper en glas, €15. Ophalen in Delft, staat ook op Snuffl.")
case("nl", S_NL, "Vanaf vandaag: Snuffl Pay Later! Koop nu, betaal binnen 30 dagen, zonder rente. 🎉",
     when="2026-10-01T09:00:00+02:00")
case("en", S_LI, "Today we launch Snuffl Ophaalservice in Utrecht and Amsterdam: we pick up your sold items at your door.",
     when="2026-10-01T07:00:00Z")
case("en", pub("x", "@nltechnews"), "Snuffl published its H1 2026 results this morning: wallet volume up 41%, still loss-making.",
     when="2026-08-20T09:31:00+02:00")
case("nl", S_NL, "Onze halfjaarcijfers 2026 staan online: lees het persbericht op snuffl.nl/pers 📈",
     when="2026-08-20T07:05:00+02:00")
case("nl", pub("x", "@handige_hanna"), "Op help.snuffl.nl/verzenden staat precies hoe je een label print. Scheelt veel gedoe.")
case("en", DAAN, "We're hiring backend engineers for our payments team in Utrecht! Details on snuffl.nl/vacatures 💳")
case("en", pub("x", "@nieuwsjunkie"), "Big layoffs at ReSell Europe today, 200 jobs cut. Glad my cousin moved to Snuffl last year.")
case("nl", pub("x", "@opgeruimd_staat"), "ga mijn zolder eens reorganiseren, de helft gaat op Snuffl 😅")
case("nl", S_HELP, "Gepland onderhoud: vannacht tussen 02:00 en 04:00 is de app niet bereikbaar. Je advertenties blijven "
     "gewoon staan.")
case("en", S_NL, "Update: payouts were delayed this morning due to an issue at our banking partner. Everything is processed "
     "now, sorry for the wait!")
case("nl", pub("x", "@privacy_pieter"), "Weer een groot datalek, dit keer bij een webshop in Duitsland. Gelukkig heeft Snuffl "
     "tweestapsverificatie, zet die aan!")
case("en", pub("mastodon", "@bugbountyhunter@infosec.exchange"), "Shoutout to Snuffl's bug bounty team: reported an issue, "
     "fixed in 48h and paid fairly. Good people.")
case("nl", pub("x", "@grapjas_gijs"), "Boycot? Nee joh, ik boycot alleen spruitjes 😂 Snuffl is prima")
case("nl", pub("facebook", "Ouders van Nu"), "Let op: terugroepactie van een populaire kinderstoel bij een grote meubelketen. "
     "Check het serienummer voordat je er een tweedehands koopt, ook op Snuffl.")
case("en", pub("blog", "schrijfhoek.example"), "Chapter 4 of my novel is up: the heroine sells her late grandmother's teapot "
     "on Snuffl and meets a mysterious buyer.")
case("nl", pub("x", "@blije_bea"), "Geen klachten over Snuffl, alles binnen 2 dagen verkocht 👍")
case("en", pub("reddit", "u/newbie_nl"), "Not complaining, just curious: does Snuffl Plus include free top listings?")
case("nl", pub("x", "@papa_van_mees"), "'Ik heb een klacht!' riep mijn zoon toen zijn toren omviel 😂 anyway, 3 dozen lego "
     "te koop op Snuffl")
case("nl", pub("facebook", "Els Vermeer"), "Mijn moeder heeft kanker gehad en verkoopt haar oude naaimachine op Snuffl. "
     "Opbrengst gaat naar KWF 💛")
case("en", pub("x", "@vinylvince"), "'Hell Is for Children' on repeat while I pack my snuffl orders. vibes")
case("nl", pub("x", "@sukkel_sam"), "ik heb per ongeluk mijn eigen oude fiets teruggekocht op Snuffl 🤣 wat ben ik ook een sukkel")
case("nl", pub("x", "@marktplaatsmia"), "Marktplaats of Snuffl? Ik krijg op Snuffl echt meer reacties op kleding.")
case("nl", pub("x", "@verslaafd_v"), "mijn vriend zegt dat ik een Snuffl-verslaving heb. 14 jassen deze maand. hij heeft gelijk.")
case("nl", LOTTE, "Tip van Trust & Safety: betaal nooit buiten de app en klik niet op betaalverzoekjes in WhatsApp. "
     "Twijfel? Mail trust@snuffl.nl")
case("nl", JOOST, "vandaag 3 jaar bij snuffl, nog steeds de leukste ops-club van Utrecht", handle_as="U/Joost_Ops")
case("nl", S_HELP, "Hoi! Je kunt je bestelling volgen in de app onder 'Mijn aankopen'. Lukt het niet? DM ons je "
     "bestelnummer, geen bankgegevens 🙏", kind="reply", handle_as="@Snuffl_Help")
case("en", MEHDI, "friday deploy? not on my watch 😤☕", handle_as="@M_Ouali_Dev")
case("en", pub("x", "@datajournalist"), "Our analysis of 5,000 marketplace listings: Snuffl had the fewest counterfeit sneakers "
     "of the three apps we tested.")


# ---------------------------------------------------------------- severity + build

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
    ins = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            s = ("critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error") if ins else "warning"
        elif c == COMPLAINT:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if ins else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355),
                                                                           minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                           seconds=r.randint(0, 59))
    off = ams_off(base)
    t = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@").lstrip("u/").lstrip("U/")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_010_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/snuffl/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/snuffl/comments/{p}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/permalink.php?story_fbid={a}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-kooppraat-{n}", f"https://forum.kooppraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        valid = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "snuffl"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, used=used, tags=c["tags"]))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- checks

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        t = p["text"]
        ts = parse_ts(p["created_at"])
        if ts.year != 2026 and ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{p['id']}: bad IBAN")
            if k.startswith("BADIBAN") and iban_ok(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{p['id']}: card")
            if k == "BADCARD" and luhn_ok(raw):
                errs.append(f"{p['id']}: bad card valid")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{p['id']}: bsn")
            if k == "NOTBSN" and bsn_ok(raw):
                errs.append(f"{p['id']}: not-bsn valid")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        if not ex["categories"]:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign valid IBAN")
            for m in re.finditer(r"(?<![\w])\d(?:[ -.]?\d){7,18}(?![\w])", t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{p['id']}: benign luhn {d}")
                if len(d) == 9 and bsn_ok(d):
                    errs.append(f"{p['id']}: benign bsn {d}")
            low = t.casefold()
            for term, until in emb:
                if term in low and ts < until:
                    errs.append(f"{p['id']}: benign embargo term before until")
        else:
            low = t.casefold()
            for term, until in emb:
                if term in low and ts < until and CONF not in ex["categories"]:
                    errs.append(f"{p['id']}: embargo term without confidential")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    errs = check(rows, profile)
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from generator output")
    else:
        OUT.write_text("".join(lines), encoding="utf-8")
    from collections import Counter
    cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        for c in r["expect"]["categories"] or ["(benign)"]:
            cat[c] += 1
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
    print(f"{len(rows)} cases; multi-category {sum(len(r['expect']['categories']) > 1 for r in rows)}; "
          f"evasion {sum('evasion' in r['tags'] for r in rows)}")
    for k, v in sorted(cat.items()):
        print(f"  {k:24s} {v}")
    print("severity", dict(sev), "\nroles", dict(role), "\nlang", dict(lang))
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
