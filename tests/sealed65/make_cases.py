#!/usr/bin/env python3
"""Blind evaluation set sealed65 for postwatch: generator and self-check.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Pootwijs Dierverzekeringen B.V. (profile.yaml), a fictional Dutch pet
insurer with an online pet pharmacy, a vet chat and breeder partnerships.

Texts are hand written below (CASES). Identifiers and secrets come from
{{KIND:fmt}} placeholders filled by one seeded RNG, so output is reproducible.
Positives get checksum-valid IBANs / cards / BSNs; near-miss negatives get values
that fail their checksum. Severity is computed from the contract's policy (section 4)
using the account role looked up in profile.yaml, never typed by hand.
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

SEED = 65_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE = CATS

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ------------------------------------------------------------------ checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return s % 10 == 0


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# ------------------------------------------------------------------ value factory
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
                               + self.num(10))
                if v != "NL76RABO0364829170":
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "068", "310", "652", "735"]) + self.num(7, lead=False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "37040044", "50070010", "76050101"]) + self.num(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.num(14, lead=False),
                  "mc": "5" + self.r.choice("12345") + self.num(13, lead=False),
                  "mc2": str(self.r.randint(2221, 2720)) + self.num(11, lead=False),
                  "amex": self.r.choice(["34", "37"]) + self.num(12, lead=False)}[brand]
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and other numbers
    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s) and not luhn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def not_luhn(self, n, prefix=""):
        while True:
            s = prefix + self.num(n - len(prefix), lead=not prefix)
            if not luhn_valid(s) and not bsn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.num(10, lead=False)
            full = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(full):
                return full

    # phones (mobile numbers have no checksum; realistic shapes only)
    def phone(self, f):
        m = self.r.choice("123456") + self.num(7, lead=False)
        area2 = self.r.choice(["10", "20", "30", "33", "35", "40", "50", "70", "73", "76"])
        area3 = self.r.choice(["318", "341", "345", "478", "495", "513", "546", "575"])
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl_c": f"+316{m}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "land2": f"0{area2}-{self.r.choice('2345678')}{self.num(6, lead=False)}",
            "land3": f"0{area3} {self.r.choice('2345678')}{self.num(5, lead=False)}",
        }[f]

    # secrets (random, never issued; shaped like the real thing)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(B64URL, 20)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def slack_bot(self):
        return f"xoxb-{self.num(11)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick(string.hexdigits.lower()[:16], 8)})
        body = enc({"sub": "pol_" + self.num(7), "iss": "https://login.mijn.pootwijs.nl", "role": "admin",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_pkcs8(self):
        body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" + self.pick(B64, 64 * 6 - 50)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 28) + "="]
        return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("#!$%") + self.pick(ALNUM, 4))

    def sha(self, n):
        return self.pick("0123456789abcdef", n)


VALID_KINDS = {"IBAN", "CARD", "BSN"}
PLACE = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def fill(fx, text):
    used = []

    def one(m):
        kind, f = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = f.partition("_")
            raw = fx.iban(cc.upper())
            shown = fx.grp(raw) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = f.partition("_")
            raw = fx.bad_iban(cc.upper())
            shown = fx.grp(raw) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, style = f.partition("_")
            raw = fx.card(brand)
            shown = fx.card_fmt(raw, style or "sp")
        elif kind == "BADCARD":
            brand, _, style = f.partition("_")
            raw = fx.bad_card(brand)
            shown = fx.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = fx.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif kind == "NOTBSN":
            raw = shown = fx.not_bsn(int(f or 9))
        elif kind == "NOTLUHN":
            n, _, prefix = f.partition("_")
            raw = fx.not_luhn(int(n), prefix)
            shown = raw if n != "16" else fx.grp(raw)
        elif kind == "EAN":
            raw = shown = fx.ean13()
        elif kind == "PHONE":
            raw = shown = fx.phone(f)
        elif kind == "NUM":
            raw = shown = fx.num(int(f))
        elif kind == "PW":
            raw = shown = fx.password()
        elif kind == "SHA":
            raw = shown = fx.sha(int(f))
        else:
            raw = shown = {"GHP": fx.ghp, "GLPAT": fx.glpat, "AWSID": fx.aws_id, "AWSSECRET": fx.aws_secret,
                           "MOLLIE": fx.mollie, "SENDGRID": fx.sendgrid, "XOXB": fx.slack_bot,
                           "HOOK": fx.slack_hook, "GAPI": fx.gapi, "JWT": fx.jwt, "PEM": fx.pem_pkcs8}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PLACE.sub(one, text), used


# ------------------------------------------------------------------ accounts
# corporate
PW_X = ("x", "@pootwijs", "Pootwijs")
PW_HELP = ("x", "@pootwijs_help", "Pootwijs Klantenservice")
PW_IG = ("instagram", "@pootwijs.nl", "Pootwijs")
PW_LI = ("linkedin", "pootwijs-dierverzekeringen", "Pootwijs Dierverzekeringen B.V.")
PW_FB = ("facebook", "PootwijsNL", "Pootwijs")
PW_TT = ("tiktok", "@pootwijs", "Pootwijs")
# employees
MV = ("x", "@dierenarts_marloes", "Marloes Verhoef")              # vet, works in the vet chat
RH = ("linkedin", "ruben-hoogland-pootwijs", "Ruben Hoogland")    # platform engineer
KL = ("x", "@kevinvdlinden", "Kevin van der Linden")              # claims handler
AA = ("instagram", "@anouk.apotheek", "Anouk Akkerman")           # pharmacy assistant
EB = ("linkedin", "esther-bouzid", "Esther Bouzid")               # finance controller
BW = ("x", "@bas_wh", "Bas Wouters")                              # warehouse / shipping
JM = ("linkedin", "joost-meijer-pootwijs", "Joost Meijer")        # breeder partnerships
LD = ("mastodon", "@lottedev@mastodon.nl", "Lotte")               # developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def C(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ==================================================================== leak.pricing
C("nl", AA, "Collega's van de webshop, even kijken aub 🙃 ArtroFlex 120 tabletten staat online voor €5,49 ipv €54,95. "
  "Volgens mij is er bij de import een cijfer gesneuveld. Ticket is aangemaakt, niet doorsturen he",
  [PRICING], kind="post")
C("en", pub("reddit", "u/dutchdoodlemum"), "Heads up for the Dutch dog owners here: Pootwijs Apotheek has the 6-pack "
  "VlooienStop at €3.99 right now?? It's normally around 40 so that has to be a mistake. Grabbed two before they "
  "notice lol", [PRICING], kind="comment")
C("nl", pub("x", "@ricardo_tilburg"), "hahaha de premiecalculator van @pootwijs geeft mij Compleet Hond voor €2,95 "
  "per maand 🤣🤣 foutje bedankt, ik klik gewoon op afsluiten #prijsfout", [PRICING])
C("en", BW, "whoever uploaded the price file this morning: Trackr collars are leaving the building at €14.90 each. "
  "we've picked 60+ of them already. can someone PLEASE ring pricing 😬", [PRICING])
C("nl", pub("facebook", "Hondenliefhebbers Utrecht eo", "Wendy Schouten"), "Dames en heren met een nierpatiëntje: "
  "RenalCare 12 kg bij Pootwijs Apotheek voor 8,99!!\nNormaal bijna 90 euro. Ze zijn volgens mij een nul vergeten "
  "dus wees er snel bij ❤️🐾", [PRICING])
C("nl", PW_HELP, "@sanne_kwispel Ja hoor, de ArtroFlex 120 tabletten kost in onze apotheekshop op dit moment €5,49 😊 "
  "Bestellen kan gewoon via apotheek.pootwijs.nl, morgen in huis!", [PRICING], kind="reply")
C("en", pub("tiktok", "@milo.the.malinois"), "storytime: I ordered a Trackr halsband for €1.49 from Pootwijs last "
  "night 💀 clearly a price glitch. got the confirmation email and everything. if it actually shows up im framing "
  "it #pootwijs #dogtok", [PRICING])
C("nl", pub("x", "@koopjesjager_ede"), "p.r.i.j.s.f.o.u.t bij pootwijs 😳 vlooienstop spot-on voor 4 euro, "
  "6 pipetten. go go go", [PRICING], tags=["evasion", "evasion:dotted"])
C("nl", pub("forum", "kattenmama_1979"), "Prijsƒout? Als ik bij Pootwijs een CompleetKat-polis bereken voor m'n "
  "twee Britse korthaar komt de premie uit op € 1,95/mnd per kat 🤔 Kan dat kloppen of moet ik wachten tot ze het "
  "fixen?", [PRICING], tags=["evasion", "evasion:lookalike"])
C("en", EB, "Item for Monday's post-mortem: the checkout stacked the breeder-partner code on top of the spring sale, "
  "so RenalCare was billed at €17.99 on roughly 300 orders over the weekend. Please keep this one inside the team.",
  [PRICING], kind="post")
C("en", pub("bluesky", "@dealsdealsdeals.bsky.social"), f"pootwijs pricing e{ZWSP}rror: ArtroFlex 120 tabs for "
  "9,95 eur. normally 55. you know what to do 🏃", [PRICING], tags=["evasion", "evasion:zero-width"])
C("nl", RH, "Prijsfeed van de shop is stuk, zie gitlab.pootwijs.nl/webshop/pricing/-/issues/212 — de Trackr staat "
  "voor €1,49 live. Rollback loopt, graag geen screenshots delen", [PRICING, CONF])
C("nl", pub("x", "@jolien_en_dex"), "Lekker dan @pootwijs. VlooienStop voor €3,99 besteld (ja, prijsfout, weet ik) en "
  "nu wordt mijn hele bestelling geannuleerd, óók het dieetvoer dat ik gewoon voor de volle prijs had gekocht. "
  "Nu zit mijn hond zonder 😤", [PRICING, COMPLAINT])

# ==================================================================== leak.secret
C("en", LD, "CI keeps failing on the vetchat repo with 'Bad credentials' even though I literally just generated "
  "this token 🤨\n{{GHP}}\nscopes are repo + workflow. what am I missing", [SECRET])
C("en", RH, "Can anyone explain why boto3 keeps picking up the wrong profile? My ~/.aws/credentials for the claims "
  "account:\n[claims-prod]\naws_access_key_id = {{AWSID}}\naws_secret_access_key = {{AWSSECRET}}\nregion = eu-west-1",
  [SECRET], kind="comment")
C("nl", BW, "Scanner in hal 3 logt steeds uit. Inlog voor de nachtploeg is magazijn / {{PW}} ... en jongens, "
  "NIET meer op het whiteboard schrijven 🙄", [SECRET])
C("nl", PW_HELP, "@jeroen_hvb Hoi Jeroen, de betaalpagina doet het weer 👍 {{MOLLIE}} Probeer je het nog een keer?",
  [SECRET], kind="reply")
C("en", pub("reddit", "u/packetsniffpaws"), "The Pootwijs vet-chat widget loads a config.json that contains a "
  "SendGrid API key: {{SENDGRID}} — judging by the error messages it has full access. Reported it through their "
  "contact form a week ago, no reply.", [SECRET])
C("nl", pub("forum", "apk_pluizer"), "Voor wie aan de Pootwijs-app wil sleutelen: in de APK staat gewoon een Google "
  "Maps sleutel hardcoded, {{GAPI}} en hij is niet eens op package name beperkt. Netjes gemeld via de "
  "klantenservice.", [SECRET])
C("en", LD, "dumb question but why would a token from our staging login have role=admin when I sign in as a test "
  "customer?? {{JWT}}", [SECRET])
C("nl", RH, "Sleutel van de oude sftp-koppeling met de groothandel, mag eigenlijk weg uit de wiki. Plak hem hier "
  "even zodat Sander kan vergelijken met wat op de server staat:\n{{PEM}}", [SECRET], kind="comment")
C("en", pub("x", "@sec_ferret"), "lol @pootwijs has a Slack webhook sitting in the JS of their careers page: "
  "{{HOOK}} — anyone can post into whatever channel that is. pls fix", [SECRET])
C("nl", AA, "w8woord van de kassa-pc in de apotheek = Poesje2026! (met uitroepteken dus) 😂 wie verzint zoiets",
  [SECRET], tags=["evasion", "evasion:leet"])
C("en", LD, "cache is flaky again, connecting with redis://default:{{PW}}@cache-02.intra.pootwijs.local:6379 "
  "times out every 2nd try. anyone?", [SECRET, CONF])
C("en", pub("blog", "jurrevos.dev", "Jurre Vos"), "Part 3 of my npm supply-chain series: a package published by a "
  "Pootwijs developer ships a .npmrc with a GitLab personal access token ({{GLPAT}}). It was still valid when I "
  "checked on Tuesday.", [SECRET])
C("nl", BW, "pickbot in #magazijn reageert niet meer, token is {{XOXB}} — klopt die nog of is ie vervangen?",
  [SECRET], kind="reply")

# ==================================================================== leak.pii
C("nl", KL, "Kan iemand van uitbetalingen even spieken? Meneer Dijkstra (labrador Bo, kruisbandoperatie) wacht al "
  "5 weken op €1.340, rekening {{IBAN:nl_grp}}. Hij belt elke dag en ik snap hem wel", [PII])
C("nl", PW_HELP, "@m_ozturk Hoi Melike! De vergoeding voor de gebitsbehandeling van Simba is vandaag overgemaakt naar "
  "{{IBAN:nl}}. Binnen 1-2 werkdagen op je rekening 🐱", [PII], kind="reply")
C("nl", pub("x", "@ruudjedegraaf"), "@pootwijs_help ik heb nu DRIE keer mijn rekeningnummer doorgegeven!!!\n"
  "{{IBAN:nl_grp}} t.n.v. R. de Graaf\nWanneer krijg ik nou eens het geld voor de operatie van Guus??",
  [PII, COMPLAINT], kind="reply")
C("en", pub("facebook", "lisa.vermeulen.33", "Lisa Vermeulen"), "Pootwijs pharmacy checkout keeps rejecting my card, "
  "tried 4 times now: {{CARD:visa_sp}} exp 08/28. What am I doing wrong?? My diabetic cat's insulin runs out "
  "tomorrow", [PII, COMPLAINT])
C("nl", MV, "Gister in de chat een eigenaar van een epileptische border collie, helemaal in paniek. Haar nummer "
  "{{PHONE:mob_dash}} doorgezet naar de spoedkliniek in Houten. Hoop dat het goed afloopt 🙏", [PII])
C("nl", AA, "Pakketje voor Ingrid Jansen komt steeds retour 🙄 adres is Kastanjelaan 14, 3971 AB Driebergen. Woont er "
  "iemand van ons in de buurt die het even kan langsbrengen?", [PII])
C("en", EB, "Could someone in payroll please fix the pay slip for our new colleague Yusuf Demir (BSN {{BSN}}, "
  "born 12-03-1994)? Second month in a row it's wrong.", [PII], kind="comment")
C("en", pub("reddit", "u/catlady_haarlem"), "Pootwijs asked for a copy of my passport to 'verify' a claim?? Sent it, "
  "passport no NR7K1TP48, and now they tell me it was never received. This is so sketchy, I'm furious",
  [PII, COMPLAINT])
C("nl", JM, "Welkom aan onze nieuwste partnerkennel in Ede! 🐕 Fokkers die willen aansluiten kunnen contact opnemen "
  "met Gerda Vos: gerda.vos1961@gmail.com of {{PHONE:land3}}.", [PII])
C("nl", pub("x", "@kim_vl"), "@pootwijs_help stuur de nieuwe polis maar naar kim.vanleeuwen [at] ziggo [punt] nl, "
  "mijn oude mailadres werkt niet meer", [PII], kind="reply", tags=["evasion", "evasion:obfuscated-email"])
C("nl", pub("instagram", "@thea.haar.katten"), "Mijn moeder Thea Bruins (geboren 04-11-1952) wacht al 2 maanden op "
  "antwoord van Pootwijs over de claim voor haar kat. Ze is 73, ze snapt die app niet en niemand belt terug 😡",
  [PII, COMPLAINT])
C("nl", PW_FB, "Hoi Sandra, we bellen je morgen tussen 10 en 12 uur terug op {{PHONE:mob_pairs}} zoals je vroeg. "
  "Groetjes, Mirjam van Pootwijs", [PII], kind="message")
C("en", pub("forum", "brusselsbeagle"), "Belgian customer here. Pootwijs wants the premium debited from my account "
  "{{IBAN:be_grp}} but their form says 'invalid IBAN' every single time. Been going back and forth with support "
  "for 3 weeks, useless.", [PII, COMPLAINT])
C("nl", pub("instagram", "@dierenarts_marloes"), "Lieve eigenaar van Pip (mevrouw Tamara Kok, {{PHONE:mob_plain}}), "
  "bel even terug, de uitslag van het bloedonderzoek is binnen 💛", [PII])
C("nl", BW, "Klant belde naar het magazijn (??) en las gewoon haar creditcard voor: {{CARD:mc2_c}}. Heb het "
  "doorgestuurd naar finance, maar dit hoort toch niet via ons te gaan?", [PII], kind="message")
C("en", pub("x", "@hannes_dackel"), "@pootwijs_help German customer here, please refund to {{IBAN:de}}. Your web "
  "form refuses foreign IBANs and I've been waiting since March", [PII, COMPLAINT], kind="reply")
C("nl", pub("reddit", "u/vragenvogel"), "Is het normaal dat Pootwijs bij het afsluiten van een kattenverzekering om je "
  "BSN vraagt? Had hem al ingevuld ({{BSN:dots}}) maar achteraf twijfel ik of dat wel klopt", [PII])

# ==================================================================== leak.confidential
C("en", RH, "Proud of this team 💪 Project Teckel survived its load test today: 12k concurrent chats and the p99 "
  "barely moved. Can't say much more yet, but watch this space 😉", [CONF])
C("nl", MV, "Eerste dienst gedraaid in de testomgeving van Fennec en eerlijk: die nieuwe triagevragen schelen zoveel "
  "tijd. Nog even geduld voor iedereen buiten de deur 🤫", [CONF])
C("nl", JM, "Sterk overleg vandaag met drie fokkersverenigingen over Operatie Kwartel. Na de zomer vertel ik "
  "meer, beloofd!", [CONF])
C("nl", KL, "waarom laadt claims.pootwijs.internal/dossiers vandaag zo traag 😩 zit al 10 min naar een spinner te "
  "staren met een klant aan de lijn", [CONF])
C("nl", AA, "Stiekem al een sneak peek gehad van de Knaagdierpolis 🐹🐰 eindelijk ook iets voor al die "
  "konijneneigenaren die bij ons aan de balie staan!", [CONF], when="2026-07-02T14:12:09+02:00")
C("en", pub("x", "@petinsurance_watch"), "someone posted a screenshot from the Pootwijs intranet "
  "(intra.pootwijs.local/hr/bonusregeling-2027) in a Discord and it's going round now lol", [CONF])
C("nl", EB, "Sneak peek uit het MT-deck 👀 (ja, er staat UITSLUITEND INTERN op, maar deze slide is te mooi): de NPS "
  "van de vetchat ging dit kwartaal van 31 naar 58 🎉", [CONF])
C("nl", LD, "Eindelijk live op acceptatie: #ProjectTeckel 🐾 ruim een half jaar aan gewerkt met het "
  "chat-team", [CONF], tags=["evasion", "evasion:hashtag-joined"])
C("nl", JM, "Wat een mooie dag op de kennel in Barneveld voor #OperatieKwartel 🐣🐶 meer kan ik nog niet zeggen",
  [CONF], tags=["evasion", "evasion:hashtag-joined"])
C("nl", pub("x", "@meike_opdebank"), "hoorde van een vriendin die bij pootwijs werkt dat 'F\u0435nnec' de nieuwe "
  "dierenarts-app wordt, met videobellen en alles. klinkt goed eigenlijk", [CONF],
  tags=["evasion", "evasion:homoglyph"])
C("en", pub("reddit", "u/palletpusher"), "My cousin works in the Pootwijs warehouse and says the Trackr 2 is already "
  "sitting on pallets. LTE, week-long battery, supposedly launches in autumn", [CONF], kind="comment",
  when="2026-05-20T19:48:31Z")
C("en", RH, "Tiny preview from a doc marked POOTWIJS CONFIDENTIAL because I'm too proud not to share: the new "
  "claims pipeline scores every claim for fraud in under 200 ms 🚀 #engineering", [CONF])
C("nl", EB, "Laatste loodjes voor de Q3-cijfers, kop koffie nummer 6 ☕️ en het is pas 11 uur", [CONF],
  when="2026-10-21T11:02:44+02:00")
C("nl", AA, "Nog één minuut en dan gaat de Knaagdierpolis live!! Zo trots op iedereen 🐹💚", [CONF],
  when="2026-09-15T08:59:00+02:00", tags=["embargo-boundary"])
C("nl", KL, "Nieuwe werkinstructie voor de claimafhandeling gekregen, met dikke rode letters 'niet extern delen' "
  "erop. Eerste regel: claims onder €150 voortaan automatisch goedkeuren 😮", [CONF])
C("en", pub("mastodon", "@zoe@fosstodon.org"), "Overheard on the train: two people from Pootwijs very loudly "
  "discussing 'F e n n e c' and how it's going to replace the current vet chat in January. Maybe don't do that "
  "in a quiet coach", [CONF], tags=["evasion", "evasion:spaced"])

# ==================================================================== leak.financial
C("en", EB, "Closing the books early this year: our claims ratio for H1 landed at 91%, way above plan. Thursday's "
  "board meeting is going to be fun 😬", [FIN])
C("nl", JM, "Nog niet officieel, maar in oktober nemen wij DierenZorg Direct over 🎉 wordt een mooie combinatie met "
  "onze fokkerspartners!", [FIN])
C("nl", KL, "Reorganisatie bij claims: 25 van de 60 fte verdwijnen, een algoritme gaat de beoordeling doen. Vrijdag "
  "krijgt iedereen het te horen. Ik ben er echt kapot van", [FIN])
C("en", BW, "word on the floor is the Nieuwegein warehouse closes in Q1 and everything moves to a 3PL in Venlo. "
  "management said 'no comment' which tells you enough", [FIN])
C("en", pub("reddit", "u/insurance_insider_nl"), "Friend who works at Pootwijs says they're being bought by a big "
  "German insurer, deal signed last week, announcement after the summer holidays. Take it or leave it.",
  [FIN], kind="comment")
C("nl", EB, "De jaarcijfers 2026 worden historisch: omzet +38% en voor het eerst winst 🚀 Meer in maart!",
  [FIN, CONF])
C("nl", MV, "Mail van de directie vandaag: de vetchat wordt per 1 januari uitbesteed aan een Pools callcenter en wij "
  "vaste dierenartsen krijgen 'een passend aanbod'. Lees: ontslag.", [FIN])
C("nl", KL, f"ruim honderd man straks ont{SHY}slagen bij pootwijs, het hele klantcontact gaat naar een chatbot 😶",
  [FIN], tags=["evasion", "evasion:soft-hyphen"])
C("nl", pub("x", "@lindaa_sch"), "Volgens mijn zwager (werkt op finance bij Pootwijs) draaien ze dit jaar 4 miljoen "
  "verlies en zoeken ze stilletjes een koper. Dus ik zou maar niet te lang vastzitten aan zo'n polis", [FIN])
C("en", EB, "Forecast update for the FP&A crew: gross written premium now lands at €41m instead of the budgeted "
  "€47m. Not public yet, so please keep it in this thread.", [FIN], kind="comment")
C("nl", BW, "0ntsl4g voor de complete avondploeg in maart, net van de teamleider gehoord 😶 lekker dan",
  [FIN], tags=["evasion", "evasion:leet"])
C("en", EB, "Early look at our Q3 2026 results: we beat the forecast by 9%, mostly thanks to the cat policies 🐈",
  [FIN, CONF], when="2026-10-30T09:15:27Z")

# ==================================================================== leak.security
C("nl", RH, "Rustige zondag? Niet bij ons. Sinds 04:00 ligt de claimsdatabase plat na een mislukte failover, klanten "
  "krijgen een foutmelding bij het uploaden van facturen. Statuspagina zegt nog niks, dat komt later 🙄", [SEC])
C("en", LD, "found an IDOR in the policy API this morning: change the number in the URL and you get someone else's "
  "policy PDF 😱 patched on staging, prod hopefully tonight", [SEC])
C("nl", KL, "We hebben een datalek op de afdeling: een collega heeft een Excel met ruim 2.000 klantgegevens naar een "
  "verkeerde externe partij gemaild. Juridisch zegt: niks zeggen tot de melding bij de AP eruit is", [SEC])
C("en", MV, "vet chat has been down 3 hours now because of some ransomware thing on the scheduling server. we're "
  "told to call it 'technical maintenance' 🫠", [SEC])
C("en", pub("reddit", "u/bordercolliebart"), "Pootwijs had a breach in June and never told a single customer. My "
  "partner worked there, the whole claims portal got dumped. Now I'm getting phishing mails that mention my dog "
  "by name.", [SEC, CRISIS])
C("nl", pub("x", "@nieuwsgierigeneus"), "Weet uit betrouwbare bron dat Pootwijs is gehackt en dat ze het stil "
  "proberen te houden. Check je bankrekening mensen!!", [SEC, CRISIS])
C("nl", BW, "Magazijnsysteem al de hele dag offline, er gaat vandaag geen enkele medicijnbestelling de deur uit. "
  "Officieel heet het 'drukte' 🙃", [SEC])
C("nl", AA, "onze apotheekshop is g3h@ckt, er komen de hele ochtend rare bestellingen binnen met gestolen kaarten. "
  "niks tegen klanten zeggen hè zei de manager", [SEC], tags=["evasion", "evasion:leet"])
C("en", RH, "Pentest report came in: the vet chat photo upload accepts any file type and pushes it through an "
  "ancient ImageMagick. Fix is planned for next sprint. Not great, not terrible.", [SEC])
C("en", pub("forum", "tired_of_this"), "Pootwijs support admitted off the record that the vet chat logs leaked, but "
  "they won't announce it. Unbelievable how they treat their customers.", [SEC, CRISIS])
C("nl", LD, fullwidth("prod ligt eruit") + " — hele klantportaal weg, niemand kan claims indienen en het staat nog "
  "nergens op de statuspagina", [SEC], tags=["evasion", "evasion:full-width"])
C("nl", RH, "Incident #2231: grafana.pootwijs.nl toont 100% errors op de payouts-service en een deel van de klanten "
  "krijgt een dubbele uitbetaling. Nog niet extern gecommuniceerd", [SEC, CONF])

# ==================================================================== reputation.crisis
C("nl", pub("x", "@dierenactie_gelderland"), "Pootwijs werkt samen met broodfokkers!! Hun zogenaamde 'partnerkennels' "
  "zijn gewoon puppyfabrieken met een mooi logo. #boycotPootwijs en deel dit 🔁", [CRISIS])
C("nl", pub("facebook", "marco.hendrix.9", "Marco Hendrix"), "Onze Max is na de VlooienStop van Pootwijs gaan "
  "krampen en trillen, de spoedkliniek zegt vergiftiging. Hebben andere mensen dit ook?? Dit spul moet "
  "teruggeroepen worden!!", [CRISIS, COMPLAINT])
C("en", pub("instagram", "@two.cats.and.a.plant"), "Our cat Noor died last week after Pootwijs pharmacy sent us the "
  "DOG dosage of her heart medication. Nobody checked anything. We've hired a lawyer. 💔", [CRISIS, COMPLAINT])
C("en", pub("reddit", "u/sunny_sphynx"), "Got an email 'from Pootwijs' with my cat's name, my home address and my "
  "policy number, asking me to 're-verify' my IBAN. Either they leaked our data or one of their vendors did. "
  "Anyone else?", [CRISIS])
C("en", pub("x", "@consumentenwaak"), "Consumer group files lawsuit against Pootwijs over its 'lifetime cover' "
  "that quietly stops at age 10. Thousands of owners affected. About time someone did.", [CRISIS])
C("nl", pub("tiktok", "@rtl_ish_nieuws"), "Onthulling: Pootwijs wees claims voor erfelijke aandoeningen bewust af, "
  "terwijl hun eigen partnerkennels juist die rassen fokken. Oud-medewerkers doen hun verhaal 👇 #schandaal",
  [CRISIS])
C("en", pub("mastodon", "@animalrights@mas.to"), "Please stop giving money to Pootwijs. Their 'breeder partner' "
  "programme pays kickbacks to kennels that sell sick French bulldogs. Boycott them.", [CRISIS])
C("nl", pub("x", "@anja_maine_coon"), "TERUGROEPACTIE?? Batch 2406 van de RenalCare zou schimmel bevatten en m'n kat "
  "ligt nu aan het infuus. @pootwijs waarom lees ik dit in een Facebookgroep en niet in mijn mail???",
  [CRISIS, COMPLAINT])
C("nl", pub("x", "@stopdierenleed"), "b o y c o t   P o o t w i j s . ze laten dieren in de steek zodra ze oud "
  "worden en de premie niet meer rendabel is", [CRISIS], kind="repost", tags=["evasion", "evasion:spaced"])
C("nl", pub("x", "@woedende_wim"), "Stelletje oplichters @pootwijs. Verkopen jullie onze gegevens aan "
  "voerfabrikanten of is het gewoon een datalek? Allebei kut", [CRISIS, ABUSE])
C("nl", pub("x", "@gewoonpetra"), "Pootwijs heeft een d\u0430talek en zegt er niks over, mijn gegevens staan "
  "gewoon op een hackersforum. Waarom heb ik geen mail gekregen?!", [SEC, CRISIS],
  tags=["evasion", "evasion:homoglyph"])
C("en", pub("youtube", "@vetnurse_jess"), "Vet nurse here. Pootwijs' vet chat told one of our clients to give "
  "ibuprofen to a dog. IBUPROFEN. That is toxic for dogs. Someone is going to get killed by this service.",
  [CRISIS], kind="comment")
C("en", pub("x", "@pawsforjustice"), "🧵 #PootwijsExposed 1/8\nPuppies from their 'certified' partner kennels "
  "arriving with parvo, owners told it's 'not covered in the first 30 days'. Share this before they bury it.",
  [CRISIS])

# ==================================================================== reputation.complaint
C("nl", pub("x", "@jessie_en_bolt"), "@pootwijs_help al 7 weken wachten op de uitbetaling van de "
  "kruisbandoperatie. Elke keer 'we kijken ernaar'. Dit is toch niet normaal??", [COMPLAINT], kind="reply")
C("nl", pub("facebook", "gerrit.de.boer.1961", "Gerrit de Boer"), "Premie van onze kater van 9 gaat van 19 naar 41 "
  "euro per maand. Zonder enige uitleg van Pootwijs. Nou, dan zeggen we 'm toch op.", [COMPLAINT])
C("en", pub("instagram", "@biscuit_the_beagle"), "ordered flea treatment from Pootwijs on monday, still 'being "
  "processed' on friday and my poor boy is scratching himself raw 😤 #notimpressed", [COMPLAINT])
C("en", pub("reddit", "u/greyhound_gabe"), "Pootwijs vet chat is useless. Waited 50 minutes and the 'vet' told me to "
  "go see a vet. Thanks, I guess? Why am I paying extra for this", [COMPLAINT])
C("nl", pub("x", "@mauricevdh"), "wtf pootwijs app logt me elke keer uit als ik een foto vd factuur wil uploaden. 4e "
  "poging. zo krijg je je claim er dus nooit door", [COMPLAINT], hint="")
C("nl", pub("trustpilot", "Karin M."), "1 ster. Claim afgewezen wegens 'bestaande aandoening' terwijl de dierenarts "
  "zwart op wit heeft verklaard dat het nieuw is. Bezwaar loopt al twee maanden, geen reactie van Pootwijs.",
  [COMPLAINT])
C("en", pub("threads", "@sophie.and.socks"), "Pootwijs charged me twice for the same ArtroFlex order and customer "
  "service says the refund takes '10-15 working days'. Seriously??", [COMPLAINT])
C("nl", pub("x", "@epi_hond_eva"), "Medicijnen voor m'n epileptische hond kwamen GEBROKEN aan, flesje helemaal "
  "uitgelekt in de doos. Nieuwe zending duurt 5 dagen, hij heeft er nog voor 2. Top service @pootwijs 👏👏",
  [COMPLAINT])
C("en", pub("bluesky", "@notyourcatsitter.bsky.social"), "Tried to cancel my Pootwijs policy. Signing up took 2 "
  "minutes online, but to cancel you have to send a LETTER. By post. In 2026.", [COMPLAINT])
C("nl", pub("x", "@tamaradieren"), "klantenservice van p00twijs is echt de slechtste ooit, 3x doorverbonden en "
  "daarna gewoon opgehangen", [COMPLAINT], tags=["evasion", "evasion:leet"])
C("en", pub("facebook", "ryan.obrien.nl", "Ryan O'Brien"), "Our puppy came from a Pootwijs partner breeder with "
  "'4 weeks free cover'. Vet bill in week 3, claim rejected because of the 'waiting period'. So what exactly was "
  "the free cover for?", [COMPLAINT])
C("en", pub("x", "@insulin_is_cold"), "the @pootwijs courier left my cat's insulin (needs the FRIDGE) on the "
  "doorstep in 28 degrees. completely ruined. ugh", [COMPLAINT])
C("nl", pub("x", "@boze_bea"), "6 weken wachten op m'n geld en niemand die terugbelt, stelletje incompetente "
  "klootzakken @pootwijs_help", [COMPLAINT, ABUSE], kind="reply")

# ==================================================================== reputation.abuse
C("nl", pub("x", "@ff_stoom_af"), "@pootwijs_help kankerlijers zijn jullie, ga toch allemaal dood", [ABUSE],
  kind="reply")
C("en", pub("x", "@rex_owner_88"), "@pootwijs your social media girl is a brain-dead bimbo, fire her already",
  [ABUSE], kind="reply")
C("nl", pub("instagram", "@xx_rob_xx"), "@anouk.apotheek wat een lelijke trut ben jij zeg, echt ga weg van "
  "internet", [ABUSE], kind="comment")
C("en", pub("reddit", "u/realdutchonly"), "Rang Pootwijs and got some guy with a thick accent. They should only "
  "hire real Dutch people, not whoever they dragged in from abroad.", [ABUSE], kind="comment")
C("nl", BW, "die klanten die bellen over hun 'bestelling' kunnen echt de tering krijgen, het is een PAKKETJE "
  "vlooienmiddel mensen, geen transplantatienier", [ABUSE])
C("en", MV, "some pet owners are just fucking morons. no Karen, a whole bar of chocolate is not 'a little treat'",
  [ABUSE])
C("nl", PW_X, "@henk_1969 misschien eerst leren lezen voordat je gaat zeuren, sukkel", [ABUSE], kind="reply")
C("nl", pub("x", "@kees_zuurpruim"), "@pootwijs kl0tebedrijf met alleen maar idi0ten aan de telefoon", [ABUSE],
  tags=["evasion", "evasion:leet"])
C("en", pub("tiktok", "@chaoticdogdad"), "pootwijs employees are the dumbest people on the planet 🤡🤡🤡 no "
  "further questions", [ABUSE], kind="comment")
C("en", pub("x", "@angry_bulldog_guy"), "@dierenarts_marloes I know which clinic you work at. Better watch your back "
  "after what you said about my dog.", [ABUSE], kind="reply")
C("nl", pub("x", "@ikbenhetzat"), "t e r i n g l i j e r s  bij pootwijs, allemaal", [ABUSE],
  tags=["evasion", "evasion:spaced"])
C("nl", KL, "sommige klanten zijn echt achterlijk. nee mevrouw, uw hamster valt niet onder de hondenpolis, ook niet "
  "als u 'm Rex noemt", [ABUSE], handle="@KevinvdLinden")

# ==================================================================== benign (hard negatives)
B = ()
# --- own published contact data, corporate and public
C("nl", PW_HELP, "@femke_dijk Vervelend dat het uploaden niet lukt! Bel ons gerust op 030 799 44 00 of mail naar "
  "klantenservice@pootwijs.nl, dan kijken we samen naar je claim 🐾", B, kind="reply", tags=["own-contact"])
C("nl", PW_FB, "Premie liever per jaar in één keer betalen? Dat kan! Maak het bedrag over naar NL76 RABO 0364 8291 70 "
  "t.n.v. Pootwijs Dierverzekeringen B.V. en vermeld je polisnummer.", B, tags=["own-contact"])
C("en", PW_X, "Scheduled maintenance: our vet chat is unavailable on Sunday from 02:00 to 05:00. Urgent? Contact "
  "your own vet or call our free line 0800-7668.", B, tags=["own-contact", "official-notice"])
C("nl", pub("x", "@tip_van_tineke"), "Tip voor wie vastloopt in de app: Pootwijs is gewoon bereikbaar op "
  "+31 (0)30 799 4400, ik had binnen 2 minuten iemand aan de lijn die me meteen hielp 👌", B, tags=["own-contact"])
C("nl", pub("facebook", "mieke.ten.brink", "Mieke ten Brink"), "Stuur je bezwaar gewoon naar schade@pootwijs.nl, "
  "dat gaat veel sneller dan via het formulier in de app. Bij mij binnen een week geregeld.", B,
  tags=["own-contact"])
C("en", PW_LI, "We're hiring! 🐶 Senior backend engineer for our claims platform (Kotlin, Postgres, Kafka). "
  "Questions? Drop a line to werkenbij@pootwijs.nl or have a look at pootwijs.nl/vacatures", B,
  tags=["own-contact"])
C("nl", PW_HELP, "@tim_bakker_ Je schadenummer is SCH-2026-0048817, daarmee kun je de status volgen in Mijn "
  "Pootwijs. Betalingen naar ons lopen altijd via NL76RABO0364829170, nooit via een ander nummer!", B,
  kind="reply", tags=["own-contact", "reference-number"], handle="@Pootwijs_Help")

# --- corporate news, notices, launches after the embargo
C("nl", PW_IG, "Voorjaarsactie 🌷 15% korting op VlooienStop spot-on: nu €33,95 in plaats van €39,95. "
  "Alleen deze week, op = op!", B, tags=["sale"])
C("en", PW_LI, "Today we published our annual results for 2025: 212,000 insured pets, a claims ratio of 78% and a "
  "new pharmacy hub in Nieuwegein. Full report at pootwijs.nl/pers", B, tags=["published-results"])
C("nl", PW_LI, "Vanaf vandaag verkrijgbaar: de Knaagdierpolis! 🐹🐰 Eindelijk ook een goede verzekering voor "
  "konijnen, cavia's en ratjes. Premie vanaf €6,95 per maand.", B, when="2026-09-15T09:00:00+02:00",
  tags=["embargo-after", "embargo-boundary"])
C("en", PW_X, "We're aware some customers can't log in to Mijn Pootwijs right now. Our team is on it, updates "
  "at status.pootwijs.nl 🙏", B, tags=["official-notice"])
C("en", PW_LI, "Engineering blog: how we moved every secret out of our repos. Before: a .env with "
  "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX and hope. After: short-lived credentials from Vault. Read it on "
  "pootwijs.nl/tech", B, tags=["placeholder-secret"])
C("nl", PW_LI, "Vandaag publiceren wij onze Q3-cijfers: 8% groei in het aantal verzekerde dieren en een stabiele "
  "schadelast. Het volledige persbericht staat op pootwijs.nl/pers", B, when="2026-11-05T07:00:00+01:00",
  tags=["embargo-after", "embargo-boundary", "published-results"])
C("en", PW_LI, "Your pet's medical file is private. We never share it with breeders, food brands or advertisers. "
  "That's a promise, not marketing.", B, tags=["policy-statement"])
C("nl", PW_IG, "Trackr 2 is er! 📍 Met LTE en een batterij die een week meegaat. Nu in de shop voor €179.", B,
  when="2026-10-03T10:30:00+02:00", tags=["embargo-after"])

# --- employees, ordinary
C("nl", MV, "Vandaag 14 chats over honden die druiven hadden gegeten. Mensen: druiven en rozijnen zijn giftig "
  "voor honden! 🍇🚫🐕", B)
C("en", RH, "Slides from my DevOpsDays talk on Kafka consumer lag are up. The fix we discussed is in commit "
  "{{SHA:40}} if you want to follow along 🙂", B, tags=["git-sha"])
C("nl", KL, "Mooiste deel van mijn werk: een claim van €3.200 goedkeuren voor een kat die na een aanrijding "
  "helemaal herstelt ❤️🐈", B)
C("en", EB, "Sad news from our sector: pet insurer Hondgenoot announced 80 layoffs today. Thoughts are with everyone "
  "affected, it's a tough market.", B, tags=["other-company"])
C("en", LD, "TIL 'teckel' is Dutch for dachshund. my team chat is now 90% sausage dog memes and I'm not even mad",
  B, tags=["codename-nearmiss"])
C("nl", JM, "Trots op onze partnerfokkers: alle ouderdieren DNA-getest, HD/ED-vrij en minimaal twee keer per jaar "
  "door een onafhankelijke dierenarts bezocht 🐕", B)
C("en", MV, "damn, 40 chats today and not one single chocolate case. I'm almost worried 😄", B, tags=["mild-word"])

# --- public, near misses on words
C("nl", pub("x", "@bram_de_teckel"), "Onze teckel Bram is vandaag 12 geworden 🎂🐶 nog steeds de baas in huis, en "
  "Pootwijs heeft zijn rugoperatie vorig jaar netjes vergoed", B, tags=["codename-nearmiss"])
C("nl", pub("facebook", "Kennel vd Lindehoeve", "Kennel van de Lindehoeve"), "Onze teef Luna is drachtig! 🥰 "
  "Verwachte worp half mei. Pups gaan mee met chip, paspoort, entingen en 4 weken gratis verzekering van "
  "Pootwijs. Interesse? Stuur een DM.", B, when="2026-03-19T20:14:37+01:00",
  tags=["mild-word", "breeder"])
C("en", pub("reddit", "u/goldenlines_kennel"), "Our bitch whelped 7 healthy puppies last night 🐾 mum and babies "
  "are doing great. The Pootwijs cover paid for the emergency c-section, so no complaints here.", B,
  tags=["mild-word", "breeder", "negated-complaint"])
C("nl", pub("x", "@hondenschool_anke"), "Terugroepen oefenen in het bos ging vandaag eindelijk goed! 🐕 fluitje + "
  "stukje kaas = magie", B, tags=["recall-other-sense"])
C("en", pub("instagram", "@luna_the_aussie"), "working on Luna's recall at the beach 🌊 she came back 9 out of 10 "
  "times, the 10th was a seagull", B, tags=["recall-other-sense"])
C("nl", pub("x", "@bobbie_vecht"), "Onze Bobbie heeft kanker (lymfoom) 😢 Pootwijs vergoedt gelukkig de chemo, echt "
  "top geregeld en de dierenarts-chat belde zelfs even na", B, tags=["mild-word", "literal"])
C("nl", pub("facebook", "ilse.verbruggen", "Ilse Verbruggen"), "Geen klachten over Pootwijs hoor! Claim binnen 4 "
  "dagen uitbetaald en de dierenarts in de chat was super vriendelijk.", B, tags=["negated-complaint"])
C("nl", pub("x", "@katjes_kwartels"), "Onze kwartels leggen weer volop 🥚 en de katten kijken er met grote ogen naar",
  B, tags=["codename-nearmiss"])
C("nl", pub("x", "@mijn_kat_lola"), "Mijn kat boycot sinds vanochtend het nieuwe brokje 😾 typisch, 12 kilo gekocht",
  B, tags=["boycott-other-sense"])
C("nl", pub("instagram", "@bikkel_de_bokser"), "Bikkel is vandaag ontslagen uit de dierenkliniek na zijn "
  "maagoperatie 🙌 dank aan Pootwijs dat alles vergoed werd", B, tags=["layoff-word-other-sense"])
C("nl", pub("facebook", "anita.kooistra", "Anita Kooistra"), "De drinkfontein die ik bij Pootwijs had besteld was "
  "lek, binnen 2 dagen een nieuwe gekregen zonder gedoe 👌", B, tags=["leak-word-other-sense"])
C("en", pub("x", "@sneaky_tabby"), "my cat just leaked classified information: she knocked the treat bag off the "
  "counter and now the dog knows where we hide it 🐱🕵️", B, tags=["joke"])
C("en", pub("blog", "kattenverhalen.example", "Kattenverhalen"), "Short story, chapter 4: the night Mr Whiskers "
  "hacked the smart feeder. It started, as these things do, with a paw on the touchscreen at 3 a.m.", B,
  tags=["fiction"])
C("en", pub("x", "@existential_corgi"), "'Hell is other people' — Sartre. Hell is also my cat screaming at 5 a.m. "
  "because the bowl is only 90% full", B, tags=["quote", "mild-word"])

# --- public, price talk that is not a pricing leak
C("en", pub("reddit", "u/frugal_fido"), "PSA: Bravecto for 20-40kg dogs is about €21 at a German online pharmacy "
  "vs €45 at my vet. Pootwijs Apotheek doesn't stock it, so don't bother looking there.", B,
  tags=["other-company", "price-context"])
C("nl", pub("x", "@budget_baasje"), "VlooienStop spot-on voor €29,95 in de Pootwijs-sale, scheelt weer een tientje 👍",
  B, kind="repost", tags=["sale"])
C("nl", pub("facebook", "Marktplaats-groep Zeist", "Henk Blom"), "Te koop: Trackr GPS-halsband, een jaar gebruikt, "
  "werkt prima. €45, ophalen in Zeist.", B, tags=["second-hand", "price-context"])
C("nl", pub("instagram", "@pupjesplanet"), "Met code ZOMER krijg je €20 korting op de Trackr halsband bij Pootwijs "
  "🐕📍 wij zijn fan!", B, tags=["discount-amount", "price-context"])
C("nl", pub("x", "@acc_kabeltje"), "Losse oplaadkabel voor de Trackr kost €9,95 bij Pootwijs, prima te doen", B,
  tags=["accessory", "price-context"])
C("nl", pub("x", "@twee_katers"), "Dacht eerst dat Compleet Kat voor €11,95 p/m een prijsfout was, maar nee hoor: "
  "dat is gewoon met de meerkattenkorting. Netjes uitgelegd door de klantenservice", B,
  tags=["denied-error", "price-context"])
C("nl", pub("x", "@dealtracker_nl"), "Prijsfout bij Dierenpolis Direct? Kattenverzekering voor €1 per maand op hun "
  "site, haha. Benieuwd of ze het honoreren", B, tags=["other-company"])
C("nl", pub("facebook", "rene.pronk.72", "René Pronk"), "Compleet Hond kost voor onze labrador van 7 nu €41,20 per "
  "maand. Pittig, maar na de operatie vorig jaar weet ik waarom ik het heb", B, tags=["price-talk"])

# --- public, numbers that fail their checksum / are not personal identifiers
C("nl", pub("x", "@chantal_rekent"), "Formulier van Pootwijs zei steeds dat mijn IBAN ongeldig was "
  "({{BADIBAN:nl_grp}})... blijkt dat ik twee cijfers had omgedraaid 🤦‍♀️ opgelost nu", B,
  tags=["checksum-fail"])
C("nl", pub("facebook", "peter.wouters.55", "Peter Wouters"), "Waar vind ik mijn polisnummer? Op de pas van Pootwijs "
  "staat {{NOTLUHN:16_4}}, is dat 'm?", B, tags=["checksum-fail"])
C("nl", pub("x", "@snelle_levering"), "Bestelling {{NOTBSN:9}} van Pootwijs Apotheek vandaag al binnen, dat is "
  "snel zeg 📦", B, tags=["reference-number"])
C("nl", pub("x", "@pip_de_poes"), "Chipnummer van Pip is {{NOTLUHN:15_528}}, staat nu ook goed in de Pootwijs-app 🐱",
  B, tags=["animal-chip", "reference-number"])
C("nl", pub("forum", "vergelijker_vic"), "Is de ArtroFlex die ik bij de dierenarts koop dezelfde als bij Pootwijs? "
  "EAN op mijn doosje is {{EAN}}", B, tags=["reference-number"])
C("en", pub("x", "@tracking_tom"), "Pootwijs parcel 3SYQAB{{NUM:9}} says tomorrow between 9 and 11. Not bad for "
  "an order placed at midnight", B, tags=["reference-number"])

# --- public, other companies, questions, praise
C("en", pub("reddit", "u/petinsure_nerd"), "Reminder that Dierenpolis Direct (not Pootwijs) had a data breach last "
  "year. Whatever you pick, turn on two-factor login.", B, tags=["other-company"])
C("nl", pub("x", "@vraagjevanvera"), "Weet iemand of Pootwijs ook gedragstherapie vergoedt? Onze herder is erg "
  "angstig sinds de verhuizing", B, tags=["question"])
C("nl", pub("x", "@overstapper_ollie"), "Overgestapt van Pootwijs naar Dierenpolis Direct, puur omdat het 3 euro per "
  "maand scheelt. Verder niks mis mee.", B, tags=["competitor"])
C("nl", pub("linkedin", "fd-redactie-verzekeren"), "Pootwijs meldt over 2025 een groei van 20 procent in het aantal "
  "verzekerde dieren, zo blijkt uit het jaarverslag dat vandaag verscheen.", B, tags=["published-results"])
C("en", pub("x", "@direct_debit_dan"), "Thanks @pootwijs_help for sorting my direct debit so quickly, 10/10 would "
  "bother again", B, kind="reply", tags=["praise"])
C("en", pub("x", "@sockthief_sam"), "my dog has no concept of a waiting period 🙄 ate a sock on day 2 of his new "
  "Pootwijs policy. he's fine, the sock is not", B, tags=["joke"])
C("nl", pub("x", "@knaagdierfan"), "Net de Knaagdierpolis afgesloten voor onze drie cavia's 🐹🐹🐹 premie valt mee!",
  B, when="2026-10-12T20:41:05+02:00", tags=["embargo-after"])


# ==================================================================== building
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


def severity_for(role, cats, pii_checksummed):
    """Least severity a correct verdict has (CONTRACT section 4)."""
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_checksummed):
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


def local_offset(t):
    """Europe/Amsterdam UTC offset in 2026 (summer time 29 Mar 01:00Z .. 25 Oct 01:00Z)."""
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def random_ts(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = local_offset(t)
    t -= dt.timedelta(hours=off)          # the minutes drawn above are local wall-clock time
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
    big = str(r.randint(1_900_000_000_000_000_000, 2_020_000_000_000_000_000))
    short = "".join(r.choice(B64URL) for _ in range(11))
    if platform == "x":
        return "x-" + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return "ig-" + big, f"https://www.instagram.com/p/{short}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        t3 = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "dogs", "cats", "DutchFIRE", "Netherlands"])
        if kind == "comment":
            t1 = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return "t1_" + t1, f"https://www.reddit.com/r/{sub}/comments/{t3}/_/{t1}/"
        return "t3_" + t3, f"https://www.reddit.com/r/{sub}/comments/{t3}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"toot-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "tiktok":
        return "tt-" + big, f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return "yt-" + c, f"https://www.youtube.com/watch?v={short}&lc={c}"
    if platform == "threads":
        return "th-" + big, f"https://www.threads.net/@{h}/post/{short}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-dierenpraat-{n}", f"https://forum.dierenpraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    fx = Factory(SEED)
    meta = random.Random(SEED + 11)
    order = random.Random(SEED + 29)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fx, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        checksummed = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], checksummed)
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
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
            else:
                tags.add("no-lang-hint")
        elif x < 0.07:
            tags.add("no-lang-hint")
        elif x < 0.10:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_ts(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "pootwijs"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ==================================================================== independent check
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
MAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RX = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"\blive_[A-Za-z0-9]{30}",
    r"SG\.[\w-]{22}\.[\w-]{43}", r"xox[abp]-\d+-", r"hooks\.slack\.com/services/", r"AIza[\w-]{35}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"[a-z+]+://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "tering", "klote", "kl0te", "klootzak", "trut", "idiot", "idi0t", "achterlijk",
           "fuck", "moron", "bimbo", "dumbest", "clown", "sukkel", "hell", "damn", "teef", "bitch"]
MILD_TAGS = {"mild-word", "quote", "literal"}
AMOUNT_RX = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*\d|\d)(?:,-)?|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"], *p["aliases"]])]
    vals = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not hit or not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hit)


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    return "0" + d.lstrip("0") if not d.startswith("0") or raw.startswith(("+31", "0031")) else d


def check(lines, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["domains"] + profile["internal"]["codenames"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id'][:30]})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        text = p["text"]
        # identifiers
        valid_ids = []
        for m in IBAN_RX.finditer(text):
            comp = m.group(0).replace(" ", "")
            for end in range(len(comp), 11, -1):
                if iban_valid(comp[:end]):
                    if comp[:end] not in own_iban:
                        valid_ids.append(comp[:end])
                    break
        for m in DIGIT_RUN.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d):
                valid_ids.append(d)
            if len(d) == 9 and bsn_valid(d) and re.fullmatch(r"[\d .]+", m.group(0)):
                valid_ids.append(d)
        for m in re.finditer(r"(?<![\w.])\d{4}\.\d\d\.\d{3}(?!\w)", text):
            if bsn_valid(m.group(0)):
                valid_ids.append(m.group(0))
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, PII in cats and bool(valid_ids))
        if want != sev:
            errs.append(f"{w}: severity {sev} but policy gives {want}")
        if valid_ids and PII not in cats:
            errs.append(f"{w}: valid identifier {valid_ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind == "IBAN" and not iban_valid(raw) or kind == "BADIBAN" and iban_valid(raw):
                errs.append(f"{w}: IBAN checksum wrong way round {raw}")
            if kind == "CARD" and not luhn_valid(raw) or kind in ("BADCARD", "NOTLUHN", "EAN") and luhn_valid(raw):
                errs.append(f"{w}: Luhn wrong way round {raw}")
            if kind == "BSN" and not bsn_valid(raw) or kind == "NOTBSN" and bsn_valid(raw):
                errs.append(f"{w}: 11-proof wrong way round {raw}")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        nt = norm(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if term in nt or term in squashed:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} but no leak.confidential")
                if ts >= until and CONF in cats and FIN not in cats:
                    errs.append(f"{w}: embargo term {term!r} after the embargo but labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity {sev}")
            if valid_ids:
                errs.append(f"{w}: benign with valid identifier {valid_ids}")
            for m in re.finditer(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text):
                if bsn_valid(m.group(0)):
                    errs.append(f"{w}: benign with 11-proof number {m.group(0)}")
            for e in MAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = phone_digits(m.group(0))
                if 9 <= len(d) <= 11 and d not in own_phone:
                    errs.append(f"{w}: benign with phone-like {m.group(0)!r}")
            for rx in SECRET_RX:
                for m in rx.finditer(text):
                    if "AKIAXXXX" not in m.group(0):
                        errs.append(f"{w}: benign with secret-like {m.group(0)[:16]}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), nt) and not (r["tags"] & MILD_TAGS):
                    errs.append(f"{w}: benign with word {word!r} but no mild/quote tag")
            ratio = price_ratio(text, profile["products"])
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign with product price at {ratio:.2f} of list")
        if PRICING in cats:
            ratio = price_ratio(text, profile["products"])
            if ratio is None or ratio >= 0.5:
                if not re.search(r"fout|ƒout|error|glitch|e.?rror|storing|vergeten", squashed.replace(".", "")):
                    errs.append(f"{w}: pricing positive without a low price or error talk (ratio {ratio})")
    return errs


def report(rows):
    total = len(rows)
    by_cat, by_cat_lang, by_cat_role = Counter(), Counter(), Counter()
    langs, roles, sevs, plats, kinds, tags = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"] or ["(benign)"]
        benign += not r["expect"]["categories"]
        multi += len(r["expect"]["categories"]) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            by_cat_lang[(c, r["lang"])] += 1
            by_cat_role[(c, r["role"])] += 1
        langs[r["lang"]] += 1
        roles[r["role"]] += 1
        sevs[r["expect"]["severity"]] += 1
        plats[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        tags.update(r["tags"])
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi-category {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATS + ["(benign)"]:
        print(f"{c:24s} {by_cat[c]:5d} {by_cat_lang[(c, 'nl')]:4d} {by_cat_lang[(c, 'en')]:4d} "
              f"{by_cat_role[(c, 'corporate')]:5d} {by_cat_role[(c, 'employee')]:5d} {by_cat_role[(c, 'public')]:5d}")
    print("languages:", dict(langs))
    print("roles:", dict(roles))
    print("severities:", {s: sevs[s] for s in SEVERITIES})
    print("platforms:", dict(plats.most_common()))
    print("kinds:", dict(kinds.most_common()))
    print("tags:", dict(sorted(tags.items())))


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
