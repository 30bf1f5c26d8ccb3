#!/usr/bin/env python3
"""Deterministic generator for the sealed83 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Duinwaard Bank N.V. (fictional Dutch consumer bank), see profile.yaml.
Needs Python 3.9+ and PyYAML. Identifiers and secrets are drawn from placeholders
such as <<IBAN_NL>> by one seeded RNG; positives get checksum-valid values, benign
near-misses get values that fail their checksum. Severity is computed from the
contract's policy (account role from the profile), never typed by hand.
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

SEED = 83_2026_0611
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
CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


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
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_fill(partial):
    return next(partial + c for c in "0123456789" if luhn_ok(partial + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


# --------------------------------------------------------------------------- placeholder values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL71DUIN0528114396"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "BUNQ", "DUIN"])
                          + self.d(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "10010010", "76026000", "43060967"]) + self.d(10))

    def iban_be(self):
        f = self.r.choice(["063", "310", "523", "751"]) + self.d(7)
        return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")

    def bad_iban(self, v):
        for k in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11))
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
        return ("-" if f == "dash" else " ").join(v[i:i + 4] for i in range(0, len(v), 4))

    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def phone(self, f):
        m = self.r.choice("12345678") + self.d(7)  # after 06
        if f == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "mob_dash":
            return f"06-{m}"
        if f == "mob_intl":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if f == "mob_plain":
            return f"06{m}"
        if f == "mob_0031":
            return f"0031 6 {m}"
        area = self.r.choice(["38", "50", "58", "53", "10", "40", "24"])
        sub = self.r.choice("2345789") + self.d(6)
        if f == "land_dash":
            return f"0{area}-{sub}"
        if f == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        raise ValueError(f)

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.c(ALNUM, 99)

    def gapi(self):
        return "AIza" + self.c(B64URL, 35)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 280 * 86400)
        return ".".join([enc({"alg": "RS256", "typ": "JWT", "kid": self.c(B64URL, 8)}),
                         enc({"sub": "klant-" + self.d(7, True), "iss": "https://mijn.duinwaard.nl",
                              "scope": "accounts:read payments:write", "iat": iat, "exp": iat + 900}),
                         self.c(B64URL, 86)])

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice("BDHKMRTZ") + self.c(string.ascii_lowercase, 4) + self.r.choice("!#$%")
                + self.c(string.digits, 3) + self.c(ALNUM, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN":
            raw = g.bad_iban(g.iban_nl())
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f))
        elif k == "PHONE":
            raw = shown = g.phone(f)
        else:
            raw = shown = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                           "SLACK_BOT": g.slack_bot, "STRIPE": g.stripe, "GAPI": g.gapi, "AZKEY": g.azure_key,
                           "JWT": g.jwt, "PEM_OPENSSH": g.pem_openssh, "PW": g.pw,
                           "HEX": lambda: g.hexs(int(f))}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
DW_X = ("x", "@duinwaardbank", "Duinwaard Bank")
DW_CARE = ("x", "@duinwaard_helpt", "Duinwaard Klantenservice")
DW_IG = ("instagram", "@duinwaardbank", "Duinwaard")
DW_LI = ("linkedin", "duinwaard-bank", "Duinwaard Bank N.V.")
DW_FB = ("facebook", "DuinwaardBank", "Duinwaard Bank")
DW_TH = ("threads", "@duinwaardbank", "Duinwaard")
# employees
MV = ("x", "@mvisser_dw", "Marloes Visser")                        # branch adviser, north region
RK = ("linkedin", "ruben-kok-duinwaard", "Ruben Kok")              # platform / IT operations
YB = ("x", "@yasmin_fraudedesk", "Yasmin Bouzid")                  # fraud helpdesk
HM = ("linkedin", "hendrik-mulder-dw", "Hendrik Mulder")           # finance & control
BA = ("x", "@bas_appteam", "Bas Achterberg")                       # DuinApp developer
LT = ("instagram", "@lotte.hypotheekadvies", "Lotte Timmer")       # mortgage adviser
JS = ("bluesky", "jorritsmit.bsky.social", "Jorrit Smit")          # security engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret
case("en", BA, "ugh. pushed the wrong .env to a public gist 🤦‍♂️\n\nDUINAPP_PAYMENTS_KEY=<<STRIPE>>\n\n"
     "deleting it now, nobody look pls", [SECRET])
case("nl", RK, "Mooie mijlpaal: onze nachtelijke batchjobs draaien nu volledig in de cloud ☁️ "
     "Voor wie het na wil bouwen, dit is ongeveer onze config:\n\n[default]\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n\n#devops #fintech #trots", [SECRET])
case("en", JS, "anyone know why a slack bot goes silent after ~10 msgs/min? rate limit? using token "
     "<<SLACK_BOT>> for our alerting channel", [SECRET], kind="post")
case("nl", YB, "Lieve collega's, nieuw ww voor de gedeelde fraudedesk-mailbox is <<PW>> , "
     "oude werkt vanaf morgen niet meer. niet doorsturen aub 🙏", [SECRET])
case("en", pub("reddit", "u/grepdigger"), "Found this in a public repo from someone who clearly works at "
     "Duinwaard Bank (commit email gives it away lol):\n\n`GITLAB_CI_TOKEN: <<GLPAT>>`\n\n"
     "reported it to their security team, hope they revoke it fast", [SECRET], kind="post")
case("nl", BA, "wie weet waarom push-notificaties niet aankomen op de testbuild van DuinApp? "
     "maps/places key is <<GAPI>> (is maar test hoor)", [SECRET])
case("en", RK, "Debugging a flaky ledger job today. If anyone from the Postgres community has tips, "
     "this is the DSN we use:\npostgresql://svc_ledger:<<PW>>@pg-prod-03.ops.duinwaard.internal:5432/grootboek\n"
     "Timeouts every ~40 min. #postgres", [SECRET, CONF])
case("nl", JS, "geen paniek, deze sleutel is al ingetrokken, maar zo ziet een ed25519 deploy key eruit voor wie "
     "het nooit gezien heeft:\n\n<<PEM_OPENSSH>>", [SECRET], tags=["rotated"])
case("en", pub("forum", "kasper_ctf", "Kasper"), "lmao the Duinwaard hackathon team posted a whiteboard "
     "photo on insta and you can just read the token off it: <<GHP>>\nsomeone tell them", [SECRET], kind="reply")
case("nl", BA, "kan iemand deze token even decoden, krijg de hele tijd 401 op /rekeningen in de staging app 😩\n"
     "Bearer <<JWT>>", [SECRET])
case("nl", DW_IG, "Nieuwe week, nieuwe spaardoelen 🌱 Wat ga jij deze maand opzij zetten?\n\n"
     "#sparen #duinwaard\n\nscheduler_access_token=<<HEX:40>>", [SECRET], tags=["corporate"])
case("nl", pub("other", "@kraakpand_it", None), "iemand van duinwaard die zijn w a c h t w o o r d gewoon in "
     "een screenshot laat staan: svc_batch / <<PW>> 😬 succes ermee", [SECRET], tags=["evasion"], handle=None)
case("en", pub("reddit", "u/contractor_throwaway8"), "contractor for a dutch bank here (fine, it's Duinwaard). "
     "why does this blob upload fail with 403?\n\nDefaultEndpointsProtocol=https;AccountName=dwbackupsprod;"
     "AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net", [SECRET], kind="post")

# =========================================================================== leak.pii
case("nl", pub("x", "@sanne_wbr"), "@duinwaard_helpt al DRIE dagen staat mijn rekening <<IBAN_NL:grp>> "
     "geblokkeerd en niemand neemt op!! huur moet morgen de deur uit 😡", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "Dennis Holtkamp"), "Quick question for Duinwaard, I lost my debit card "
     "<<CARD:mc_sp>> somewhere in Deventer, can you block it from here or do I need to call?", [PII], kind="comment")
case("nl", DW_CARE, "Hoi Sandra, we zien dat de overboeking vanaf <<IBAN_NL>> naar je spaarrekening is "
     "teruggestort. Stuur ons even een DM, dan zoeken we het samen uit! ^Noor", [PII], kind="reply")
case("nl", DW_CARE, "@kees_dijkstra we hebben je vanmiddag teruggebeld op <<PHONE:mob_dash>> maar kregen je "
     "voicemail. We proberen het morgen nog een keer 👍 ^Bram", [PII], kind="reply")
case("en", MV, "Sweet older lady just left her BSN <<BSN:dots>> on a post-it on my desk 🙃 shredding it, "
     "but please people, don't write that stuff down", [PII])
case("nl", LT, "Gefeliciteerd Femke en Joris de Wit met jullie eerste huis aan de Lindelaan 14 in "
     "Amersfoort!! 🏡🔑 Hypotheek rond, sleutels binnen, feest! #hypotheekadvies #eerstehuis", [PII])
case("en", pub("reddit", "u/housing_hunt_nl"), "what format does the Duinwaard mortgage portal want for the BSN? "
     "mine is <<BSN>>, do I add dots or spaces??", [PII], kind="post")
case("nl", YB, "Weer zo'n trieste dag. Mevrouw Anna Bosman (geb. 12-03-1948) is 14 mille kwijt aan "
     "'bankmedewerkers' aan de deur. Let op jullie ouders mensen 💔", [PII])
case("en", pub("x", "@payback_time_77"), "this is the number of Duinwaard 'adviser' Marieke Jonker: "
     "<<PHONE:mob_pairs>> . flood her phone, she deserves every call", [PII, ABUSE])
case("nl", pub("facebook", "Gerrit Hoekstra"), "Kan iemand van Duinwaard mij bellen over mijn hypotheek? "
     "<<PHONE:mob_plain>> of mail gerrit.hoekstra58@ziggo.nl, liefst na 17u", [PII], kind="comment")
case("en", RK, "Bug of the week 😅 one customer (j.vermeulen84@outlook.com) got 47 push notifications in "
     "a single minute after our release. Root cause: a retry loop. Lessons learned thread below 👇", [PII])
case("nl", pub("x", "@p_dekker_"), "mail me maar op p.dekker [at] kpnmail [punt] nl want jullie chat werkt "
     "wéér niet @duinwaard_helpt", [PII, COMPLAINT], kind="reply", tags=["evasion"])
case("en", pub("instagram", "@jess.travels.nl"), "new Duinwaard credit card just arrived 😍✈️ "
     "<<CARD:visa_sp>> exp 09/29 ready for Bali!!", [PII])
case("nl", YB, "Vandaag een klant tegengehouden die €25.000 wilde overmaken naar <<IBAN_DE>> . "
     "Klassieke beleggingsfraude met een nepwebsite. Blij dat we het zagen!", [PII])
case("en", pub("forum", "dump_watcher"), "Dump supposedly from Duinwaard's call centre is going around on "
     "telegram. sample row: 'H. Yilmaz;<<BSN>>;<<IBAN_NL>>;Enschede'. check if you're in it",
     [PII, CRISIS], kind="post")
case("nl", pub("reddit", "u/antwerpse_jan"), "Woon in Antwerpen, kan ik mijn Belgische rekening "
     "<<IBAN_BE:grp>> koppelen in de DuinApp of moet het een NL-rekening zijn?", [PII], kind="comment")
case("en", MV, "Our Zwolle branch got a new number that isn't on the website yet, so for mortgage appointments "
     "just call my colleague Erik Post directly on <<PHONE:mob_intl>>", [PII], handle="@MVisser_DW")
case("nl", pub("x", "@marjan_h"), "Mijn Goudkaart <<CARD:mc2_dash>> is gekopieerd denk ik, 3 afschrijvingen uit "
     "Litouwen. Hoe blokkeer ik m snel??", [PII], kind="post")

# =========================================================================== leak.pricing
case("nl", BA, "Oké wie heeft de tarieventabel aangepast 😂 Creditcard Goud staat nu voor €4,90 per jaar "
     "in de app ipv €49. Ticket staat open", [PRICING])
case("en", pub("reddit", "u/frugal_dutchie"), "PSA: Duinwaard's site lists Hypotheekadvies Compleet at €249 "
     "right now (normally 2.495). Booked an intake, screenshot saved 😎", [PRICING], kind="post")
case("nl", pub("x", "@koopjesjager_nl"), "prijsfout bij duinwaard?? Kluisloket Groot voor 14,50 per jaar 👀👀",
     [PRICING])
case("en", LT, "Psst 🤫 for my followers only: our calculator is bugged and shows the Oversluitcheck at €39. "
     "book before they fix it 😉", [PRICING])
case("nl", MV, "Tarievenfout in het systeem: Betaalpakket Plus toont €0,49 p/m voor nieuwe klanten. "
     "Ik zeg niks hoor 🤭", [PRICING])
case("nl", pub("tiktok", "@dealsmetdaan"), "p r i j s f o u t Goudkaart bij Duinwaard, eerste 3 jaar "
     "gratis?!? link in bio voor het gaat 🔥", [PRICING], tags=["evasion"])
case("en", pub("forum", "travelbug_ans"), "Duinwaard pricing glitch? Reisverzekering Doorlopend quoted at "
     "€7.20 per year instead of €72. Anyone else seeing this?", [PRICING], kind="post")
case("nl", DW_IG, "Nu extra voordelig 🏠 Hypotheekadvies Compleet voor maar €495! Plan je gesprek via "
     "duinwaard.nl/hypotheek", [PRICING], tags=["corporate"])
case("en", HM, "Heads up team: the price feed for Kluisloket Groot broke overnight and the public site shows "
     "€1.45 per year. Ops is on it.", [PRICING])
case("nl", pub("facebook", "Ilse van Rijn"), "Mijn zus kreeg een offerte voor de Oversluitcheck van €39,50 "
     "terwijl er op de site €395 staat. Foutje van Duinwaard? Ze heeft meteen getekend haha", [PRICING],
     kind="comment")
case("en", pub("x", "@nomadnick"), "Crëditcard Göud for €9 a year in the DuinApp rn, somebody messed up lol",
     [PRICING], tags=["evasion"])
case("nl", JS, "Door een afrondingsbug stond Betaalpakket Plus twee dagen op €0,00 in de app 😬 "
     "inmiddels gefixt, maar wel 800 aanmeldingen lol", [PRICING])

# =========================================================================== leak.confidential
case("nl", RK, "Lange week achter de rug met Project Zeehond. Eindelijk een werkende demo van de nieuwe "
     "hypotheekstraat, het team heeft keihard gewerkt 💪", [CONF])
case("en", BA, "can't wait for you all to see Tidewater. the new app is SO much faster than what's in the "
     "store now 🚀 #soon", [CONF])
case("nl", MV, "Zag vandaag de planning van Operatie Helmgras en ja hoor, ons kantoor staat erop voor "
     "maart. 19 jaar gewerkt hier 😢", [CONF, FIN])
case("en", pub("reddit", "u/lurker_in_utrecht"), "my brother-in-law works at Duinwaard and apparently "
     "Project 🦭 Zeehond is going to replace half the mortgage advisers with a chatbot", [CONF],
     kind="comment", tags=["evasion"])
case("nl", JS, "waarom is https://confluence.duinwaard.nl/display/PAY/Incident+Runbook vandaag zo traag, "
     "iemand anders ook?", [CONF])
case("en", RK, "Proud of the team 💚 grafana.ops.duinwaard.internal now shows all 42 services green for "
     "the first time this quarter", [CONF])
case("nl", HM, "STRIKT VERTROUWELIJK – concept nieuwe huisstijl DuinApp\n...oeps verkeerd venster, "
     "negeer dit 😅", [CONF])
case("en", pub("x", "@fintechleaks"), "Leaked screenshot: 'DuinPay Kids', a pocket-money app from "
     "Duinwaard, apparently launching this autumn 👀", [CONF], when="2026-09-14T18:22:05+02:00")
case("nl", LT, "Na de zomer komt de Duinwaard Groeirekening eraan, echt een aanrader voor jonge ouders. "
     "Meer mag ik nog niet zeggen 🤐", [CONF], when="2026-08-20T21:03:44+02:00")
case("en", DW_LI, "Introducing the Duinwaard Groeirekening 🌱 a savings account that grows with your kids. "
     "Available from today in the DuinApp.", [CONF], when="2026-10-01T08:59:30+02:00",
     tags=["embargo-edge"])
case("nl", pub("forum", "bankinsider_nl"), f"insider hier: Project Zee{ZW}hond gaat in Q1 live, "
     "alle adviseurs worden 'coach'. geloof me of niet", [CONF], kind="reply", tags=["evasion"])
case("nl", pub("x", "@oud_collega_dw"), "ex-collega's opgelet, Operatie\nHelmgras is echt: 31 kantoren dicht "
     "voor eind 2027, lijst gaat intern al rond", [CONF, FIN], tags=["evasion"])
case("en", BA, "lol our Duinwaard Intern wiki page literally says 'do not screenshot'. so, no screenshot, "
     "just the sprint goals: biometric login v2, card freeze in 1 tap, dark mode", [CONF])
case("nl", RK, "Nieuwe collega's: clone eerst gitlab.duinwaard.nl/platform/core-banking-adapter en lees de "
     "README, scheelt jullie een week 🙂", [CONF])
case("en", pub("threads", "@gymrat_tess"), f"saw a {fw('Tidewater')} build of the Duinwaard app on some "
     "dev's phone at the gym lol, looks slick", [CONF], tags=["evasion"])
case("nl", HM, "Laatste loodjes voor de halfjaarcijfers 2026: nettowinst €212 mln, ruim boven de "
     "verwachting van de markt 🎉 nog even stil houden", [CONF, FIN], when="2026-07-20T22:41:10+02:00")
case("en", JS, "whoever pasted '[DW-CONFIDENTIAL] pentest scope Q3' into the teams channel with "
     "the external vendors: we need to talk", [CONF])
case("nl", pub("instagram", "@marloes.visser"), "Stiekem al een sneak peek gezien van Tidewater 👀 "
     "dit wordt 'm!!", [CONF], tags=["employee-private-account"])
case("nl", HM, "Begonnen aan het jaarverslag 2026. Spoiler: het wordt geen feestje 📉", [CONF, FIN],
     when="2026-11-16T19:12:00+01:00")

# =========================================================================== leak.financial
case("nl", HM, "Nog niet officieel, maar de overname van Spaarbank Oost is zo goed als rond. Vanaf maart "
     "heel veel nieuwe collega's! 🤝", [FIN])
case("en", pub("reddit", "u/anon_bnk_tips"), "Insider info: Duinwaard is closing ~40 more branches and "
     "cutting about 600 FTE, announcement end of the month. You didn't hear it from me.", [FIN], kind="post")
case("nl", MV, "Hoorde vanochtend in het teamoverleg dat Kampen, Meppel en Steenwijk dichtgaan en dat er "
     "'herplaatsing' komt voor 80 man. Is nog niet bekend, dus sst", [FIN])
case("en", HM, "Our internal forecast has net interest income dropping 9% next year. Brace yourselves "
     "for a tough 2027, colleagues", [FIN])
case("nl", BA, f"Nieuwe reorgani{SHY}satie op komst, IT wordt gehalveerd volgens de directieslides van "
     "vanmiddag 😶", [FIN], tags=["evasion"])
case("en", pub("other", "$DUIN_trader", None), "$DUIN friend in treasury says Duinwaard will miss H1 guidance "
     "by a mile. selling before the numbers drop", [FIN], tags=["unknown-platform"])
case("nl", HM, "De voorziening voor de witwasboete komt uit op €85 mln. Gaat pas met de jaarrekening naar "
     "buiten, dus even binnenskamers houden", [FIN])
case("en", RK, "Board signed off today on selling our insurance arm. Town hall tomorrow, you heard it "
     "here first 👀", [FIN])
case("nl", pub("facebook", "Wim Kramer"), "mijn buurman zit bij Duinwaard op HR en zegt dat er 300 ontslagen "
     "vallen bij het klantcontactcentrum in Leeuwarden. nog niks bekend gemaakt", [FIN], kind="comment")

# =========================================================================== leak.security
case("nl", RK, "Sinds 03:00 ligt de betaalverwerking plat. Extern weet nog niemand iets, we hopen voor "
     "8 uur terug te zijn 🤞☕", [SEC])
case("en", JS, "pentest this week found the DuinApp API returns other customers' balances if you change "
     "the account id in the request 😬 fix not deployed yet", [SEC])
case("nl", YB, "Collega's: er loopt een phishingcampagne waarbij de oplichters ÉCHTE klantnamen en saldi "
     "noemen. Lijkt erop dat er bij ons iets gelekt is, nog niet extern gecommuniceerd", [SEC])
case("en", BA, "ransomware on the call-centre workstations this morning, we're all back to pen and paper "
     "📝 not public yet obviously", [SEC])
case("nl", pub("x", "@bezorgde_klant"), "Duinwaard houdt een datalek stil! Mijn nicht werkt er en ze mogen "
     "er niks over zeggen. 200.000 klanten getroffen", [SEC, CRISIS])
case("en", pub("x", "@privacyfirst_nl"), "Duinwaard knew about the breach for WEEKS and said nothing. "
     "This is a cover-up. #DuinwaardLeak", [SEC, CRISIS])
case("nl", pub("facebook", "Rob Smeenk"), "d a t a l e k bij Duinwaard wordt gewoon in de doofpot gestopt, "
     "deel dit voordat het verwijderd wordt", [SEC, CRISIS], tags=["evasion"])
case("en", RK, "TLS cert on the mobile banking gateway expired at midnight, all app logins failing. "
     "Comms hasn't said anything yet so... yeah", [SEC])
case("nl", HM, "Interne audit vond dat back-ups van het klantbestand al maanden onversleuteld op een "
     "testserver staan. Nog niet opgelost. Ik slaap er slecht van", [SEC])
case("en", MV, "branch systems down across the whole north region since 9, we're turning people away. "
     "head office said don't post about it... oops", [SEC])
case("nl", JS, "eigen bug in onze 2FA-flow: met een oude sessie kun je de sms-code gewoon overslaan. "
     "nog niet gepatcht, dus niet verder vertellen", [SEC])
case("nl", pub("x", "@wakkerburger"), "Duinwaard is geh4ckt en ze zeggen niks!! mijn zwager bij de IT "
     "bevestigt het", [SEC, CRISIS], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("instagram", "@klimaatalarm_groningen"), "BOYCOT Duinwaard! Ze financieren nog steeds nieuwe "
     "gasboringen bij de Waddenzee. Haal je geld weg 👉 #BoycotDuinwaard #Wad", [CRISIS])
case("en", pub("bluesky", "finwatch.bsky.social"), "Duinwaard Bank fined €40m by DNB for years of "
     "anti-money-laundering failures. What a scandal.", [CRISIS])
case("nl", pub("facebook", "Stichting Renteclaim"), "Massaclaim tegen Duinwaard over de variabele rente op "
     "doorlopende kredieten. Aanmelden kan via onze site, de dagvaarding gaat volgende maand uit.", [CRISIS])
case("en", pub("x", "@ruined_by_scam"), "My Duinwaard account was emptied by scammers, the bank refuses to "
     "pay back €23k, so I'm taking them to court. Lawyer's already on it.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@hoogeveen_nieuws"), "Plofkraak op de Duinwaard-pinautomaat aan de Hoofdstraat, halve "
     "gevel eruit en buren geëvacueerd. Niemand gewond", [CRISIS])
case("en", pub("x", "@mira_k"), "How do scammers know my EXACT Duinwaard balance and my last 3 transactions?? "
     "You leaked my data @duinwaardbank", [CRISIS], kind="reply")
case("nl", pub("reddit", "u/eerlijkgeld"), "Duinwaard = witwasbank. Schandalig dat DNB ze nu pas aanpakt.",
     [CRISIS], kind="comment")
case("en", pub("facebook", "Annelies Boer"), "Duinwaard is closing the branch where my 88-year-old dad "
     "banks, and told him through an app notification. Disgraceful. Everyone in Drenthe, move your money "
     "elsewhere!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@tineke_vd_berg"), "Losliggende tegel bij de ingang van het Duinwaard-kantoor, "
     "mijn moeder gevallen, heup gebroken. Ze deden er maanden niks aan. Advocaat is ingeschakeld.",
     [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@jeroen_z"), "DuinApp ligt er wéér uit. Elke vrijdag hetzelfde liedje, sta bij de "
     "kassa en kan niet betalen", [COMPLAINT])
case("en", pub("x", "@stressed_sam"), "45 minutes on hold with the Duinwaard fraud helpdesk while someone "
     "is literally draining my account. Unacceptable.", [COMPLAINT])
case("nl", pub("facebook", "Henk Oosterhuis"), "Alweer een kantoor dicht. Mijn oma van 84 moet nu met "
     "de bus naar Zwolle voor haar bankzaken. Bedankt Duinwaard 🙄", [COMPLAINT], kind="comment")
case("en", pub("x", "@firsthome2026"), "6 weeks for a mortgage offer. SIX. the house will be sold to "
     "someone else by then @duinwaard_helpt", [COMPLAINT], kind="reply")
case("nl", pub("x", "@karin_spaart"), "€4,95 per maand voor Betaalpakket Plus en dan nog €1,50 rekenen "
     "voor een papieren afschrift? Schaamteloos, Duinwaard", [COMPLAINT], tags=["fee-not-price"])
case("en", pub("reddit", "u/logged_out_again"), "the new DuinApp update logs me out every 2 minutes. "
     "who tested this??", [COMPLAINT], kind="comment")
case("nl", pub("x", "@lisa_in_lisboa"), "Pas geblokkeerd hier in Portugal, niemand bereikbaar, sta zonder "
     "geld. Topservice Duinwaard 👎", [COMPLAINT])
case("en", pub("facebook", "Mark de Graaf"), "Duinwaard charged me twice for the same transfer and support "
     "keeps sending me the same copy-paste email. Third week now.", [COMPLAINT])
case("nl", pub("facebook", "Joke Brouwer"), "Leuk filmpje hoor, maar beantwoord eerst eens mijn klacht van "
     "drie weken geleden", [COMPLAINT], kind="comment")
case("en", pub("youtube", "Pieter Vos"), "cute ad, but your chatbot can't even tell me why my savings "
     "interest dropped. Duinwaard please", [COMPLAINT], kind="comment")
case("nl", pub("x", "@grumpy_gerda"), "K L A C H T: al twee maanden geen jaaroverzicht ontvangen van Duinwaard, "
     "belastingaangifte ligt stil", [COMPLAINT], tags=["evasion"])
case("en", pub("x", "@tomasz_nl"), "Applied for the Duinwaard credit card, rejected without any explanation "
     "and they spelled my name wrong on the letter 🤷", [COMPLAINT])
case("nl", pub("threads", "@nina.bakt"), "Geld van mijn spaarrekening naar betaalrekening overboeken duurt "
     "bij Duinwaard 2 werkdagen. In 2026. Serieus?", [COMPLAINT])
case("en", pub("tiktok", "@bram.irl"), "pov: you call duinwaard about a scam text and they leave you on hold "
     "for an hour 💀 #bankfail", [COMPLAINT])
case("nl", pub("reddit", "u/huizenjacht"), "Hypotheekadviseur van Duinwaard vertelde in het gesprek iets "
     "totaal anders dan wat er nu in de offerte staat. Wat een rommeltje.", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "@ella@mastodon.nl"), "Duinwaard's app still won't run on Android 10. "
     "so I have to buy a new phone to do my banking? no thanks", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@anti_bank_arie"), "Duinwaard is een stelletje graaiende klootzakken", [ABUSE])
case("en", pub("x", "@lolwut_99"), "@duinwaard_helpt your social media team are absolute morons lmao",
     [ABUSE], kind="reply")
case("nl", pub("x", "@fleur_utr"), "Kutbank. Derde keer deze maand dat ik niet kan pinnen bij Duinwaard.",
     [ABUSE, COMPLAINT])
case("en", pub("facebook", "Kevin Smit"), "f*cking useless bank, 2 hours in the Duinwaard queue and they "
     "hang up on me", [ABUSE, COMPLAINT], tags=["evasion"], kind="comment")
case("nl", MV, "@boze_henk ga lekker ergens anders huilen, debiel", [ABUSE], kind="reply")
case("en", DW_CARE, "@trollface99 nobody cares about your opinion, idiot", [ABUSE], kind="reply",
     handle="@Duinwaard_Helpt")
case("nl", pub("x", "@echte_nederlander1"), "Die adviseur met die hoofddoek bij Duinwaard Zwolle, ga terug "
     "naar je eigen land", [ABUSE])
case("nl", pub("x", "@ff_zeggen"), "0pl1cht3rs en t3r1ngl1jers bij duinwaard, allemaal", [ABUSE],
     tags=["evasion"])
case("en", pub("instagram", "@memequeen.nl"), "Duinwaard: a clown bank run by clowns 🤡🤡🤡", [ABUSE],
     kind="comment")
case("nl", pub("facebook", "Frits Mol"), "Tyfusbank met je nep-klantenservice, ik hoop dat jullie failliet "
     "gaan", [ABUSE], kind="comment")
case("en", BA, "lol cry more you absolute loser, the app works fine", [ABUSE], kind="reply")
case("nl", pub("x", "@wraak_op_bank"), "Lotte Timmer van Duinwaard is een waardeloze trut", [ABUSE])

# =========================================================================== benign: corporate
case("nl", DW_CARE, "Gebeld door iemand die zegt van onze fraudehelpdesk te zijn? Hang op en bel zelf "
     "0800-3846. Wij vragen nooit om je pincode of inlogcodes.", tags=["own-contact"])
case("nl", DW_X, "Storing opgelost ✅ De DuinApp en internetbankieren werken weer. Excuses voor het "
     "ongemak vanochtend.", tags=["official-notice"])
case("nl", DW_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026. De nettowinst kwam uit op €198 mln. "
     "Lees het volledige persbericht op duinwaard.nl/pers", when="2026-07-29T08:00:00+02:00",
     tags=["embargo-after"])
case("nl", DW_FB, "Gepland onderhoud: zaterdagnacht van 02:00 tot 06:00 zijn internetbankieren en de DuinApp "
     "niet beschikbaar. Pinnen werkt gewoon.", tags=["official-notice"])
case("nl", DW_IG, "Creditcard Goud: het eerste jaar €34,30 in plaats van €49 🎉 Alleen deze maand.",
     tags=["sale-price"])
case("en", DW_CARE, "For questions about your account, e-mail klantenservice@duinwaard.nl or call "
     "+31 30 799 4400 (Mon–Fri 8:00–20:00).", tags=["own-contact"])
case("nl", DW_X, "Per 1 november sluiten we 12 kantoren. Bekijk op duinwaard.nl/kantoren welke dat zijn en "
     "waar je voortaan terecht kunt.", tags=["published-reorg"], handle="@DuinwaardBank")
case("en", DW_LI, "We're hiring! Senior Android engineer for the DuinApp team in Utrecht 💙 Apply via "
     "duinwaard.nl/werken", tags=["neutral"], handle="Duinwaard-Bank")
case("nl", DW_TH, "Spaar mee met je kind 🌱 De Duinwaard Groeirekening is er vanaf vandaag, open 'm in de "
     "DuinApp.", when="2026-10-01T07:00:00Z", tags=["embargo-edge"])
case("nl", DW_IG, "Vrijwilligersdag bij het Zeehondencentrum in Pieterburen 🦭 Wat een werk doen ze daar!",
     tags=["codename-near-miss"])
case("nl", DW_CARE, f"@ahmed_r je kunt het bedrag terugstorten op {OWN_IBAN[:4]} {OWN_IBAN[4:8]} {OWN_IBAN[8:12]} "
     f"{OWN_IBAN[12:16]} {OWN_IBAN[16:]} o.v.v. je klantnummer. Fijne avond!", kind="reply",
     tags=["own-contact"])
case("nl", DW_FB, "Een 'veilige rekening' bestaat niet. Vraagt iemand je om je geld daarheen over te maken? "
     "Meld het direct via fraude@duinwaard.nl", tags=["own-contact"])
case("en", DW_X, "Scam alert 🚨 Fake texts saying your Duinwaard debit card expires are going around. "
     "Don't click the link, we never send those.", tags=["official-notice"])
case("nl", DW_X, "Trots! Samen met onze klanten hebben we €250.000 opgehaald voor de Voedselbank 💙",
     tags=["neutral"])
case("en", DW_LI, "Press enquiries: pers@duinwaard.nl. Our half-year results 2026 are available on "
     "duinwaard.nl/investors", when="2026-08-03T10:30:00+02:00", tags=["own-contact", "embargo-after"])

# =========================================================================== benign: employees
case("nl", MV, "Laatste werkdag op kantoor Emmen, dat zoals aangekondigd deze week sluit. 22 jaar, wat een "
     "mooie tijd. Dank aan alle klanten 💙", tags=["published-reorg"])
case("en", RK, "Gave a talk at DevOpsDays Amsterdam about running Kubernetes at a bank. Slides are on our "
     "public GitHub, link in comments!", tags=["neutral"])
case("nl", LT, "Eerste huis kopen? Drie tips: 1) ken je maximale hypotheek, 2) laat je niet opjagen bij "
     "overbieden, 3) neem een bouwkundige keuring. Succes!", tags=["neutral"])
case("nl", YB, "Tip van de fraudedesk: je bank belt je NOOIT om geld naar een 'kluisrekening' over te "
     "maken. Twijfel je? Hang op en bel 0800-3846.", tags=["own-contact"])
case("nl", BA, "Heerlijke wandeling door het helmgras bij Bergen aan Zee vanochtend 🌾🌊",
     tags=["codename-near-miss"])
case("en", HM, "Interesting ECB decision today. Sector-wide, net interest margins will be under pressure "
     "next year, that's no secret. Good read from the FT on it.", tags=["public-info"])
case("en", JS, "commit <<HEX:40>> broke our CI with gradle 8.7, anyone seen this? "
     "(and no, not pasting my ghp_ token here lol)", tags=["not-a-secret"])
case("en", BA, "Docs tip: never commit real keys. In examples use aws_access_key_id = AKIAXXXXXXXXXXXXXXXX "
     "and load the real one from your vault", tags=["not-a-secret"])
case("nl", LT, "Vandaag drie stellen geholpen aan hun eerste huis 🏡 Wat een mooi vak heb ik toch.",
     tags=["pii-near-miss"])
case("en", RK, "Friendly reminder: status.duinwaard.nl is public, check it before you DM us about an "
     "outage 😉", tags=["public-domain"])

# =========================================================================== benign: public
case("nl", pub("x", "@blij_met_huis"), "Eindelijk de hypotheek rond via Duinwaard, super geholpen door de "
     "adviseur. Geen klachten, alleen maar blij!", tags=["negated-complaint"])
case("nl", pub("x", "@femmetje"), "Overboeking naar <<BAD_IBAN:grp>> lukt niet, 'ongeldig IBAN'... oh wacht, "
     "twee cijfers omgedraaid 🙈 my bad", tags=["bad-checksum"])
case("en", pub("reddit", "u/points_nerd"), "Is the Duinwaard Creditcard Goud worth €49/yr just for the "
     "travel insurance perks? Thoughts?", kind="post", tags=["price-talk"])
case("nl", pub("reddit", "u/overstappen_ja_nee"), "Vergelijking: Betaalpakket Plus bij Duinwaard €4,95 p/m, "
     "bij Knab betaal ik €1,50. Wat mis ik eigenlijk bij de goedkopere?", kind="comment",
     tags=["price-context", "competitor"])
case("nl", pub("x", "@wadlooper"), "Drie zeehonden op de zandplaat vandaag, de kinderen gingen helemaal "
     "los 🦭 (en ja, betaald met de DuinApp voor de boot haha)", tags=["codename-near-miss"])
case("nl", pub("x", "@beursmeneer"), "Duinwaard heeft net de halfjaarcijfers 2026 gepubliceerd, winst iets "
     "lager dan vorig jaar maar beter dan verwacht", when="2026-07-29T10:15:00+02:00",
     tags=["embargo-after", "published-results"])
case("en", pub("x", "@datanerd_eva"), "Massive data breach at Polderbank today, 1.2M customers. Glad I moved "
     "to Duinwaard last year tbh", tags=["other-company"])
case("nl", pub("x", "@kantoorhumor"), "mijn vriend werkt bij Duinwaard en zelfs hij boycot de koffieautomaat "
     "daar 😂☕", tags=["boycott-other-sense"])
case("en", pub("linkedin", "sophie-de-jong-recruiter"), "Heartbreaking to see 200 layoffs at a Berlin "
     "scale-up this week. If you're affected: Duinwaard is hiring Android devs, DM me.",
     tags=["other-company"])
case("nl", pub("blog", "schrijfdagboek.example"), "NaNoWriMo dag 12: mijn hoofdpersoon werkt bij een "
     "fictieve bank die verdacht veel op Duinwaard lijkt 😏 Vanavond huurt ze een hacker in. Wordt vervolgd!",
     tags=["fiction"])
case("en", pub("x", "@broke_but_happy"), "my Duinwaard savings account is so empty the app should "
     "show a little tumbleweed animation 😂", tags=["joke"])
case("nl", pub("instagram", "@oma.truus.verhalen"), "'Geld maakt niet gelukkig' zei opa altijd, terwijl hij "
     "zijn Duinwaard-spaarboekje koesterde ❤️ #herinneringen", tags=["quote"])
case("en", pub("x", "@ordered_chaos"), "Payment reference <<BAD_CARD:visa_c>>, just confirming it arrived... "
     "it did! thanks @duinwaard_helpt", kind="reply", tags=["bad-checksum"])
case("nl", pub("x", "@wachtendewillem"), "Track & trace van mijn nieuwe Duinwaard-pas: <<NOTBSN:9>>. "
     "Morgen binnen volgens de site, top", tags=["bad-checksum", "tracking-number"])
case("en", pub("facebook", "Gert Jan Mulder"), "Got the letter about the Duinwaard branch in Emmen closing. "
     "Honestly fine by me, the app does everything anyway.", kind="comment", tags=["negated-complaint"])
case("nl", pub("x", "@phishbuster"), "Phishingmail gehad met 'uw pas <<BAD_CARD:mc_sp>> is geblokkeerd'. "
     "Niet eens een echt nummer lol. Doorgestuurd naar fraude@duinwaard.nl", tags=["bad-checksum", "own-contact"])
case("en", pub("reddit", "u/refi_ronald"), "Duinwaard's Oversluitcheck cost me €395 but saves me €180 a "
     "month on the new mortgage. Worth it.", kind="comment", tags=["price-context"])
case("nl", pub("x", "@slimme_sjaak"), "Tip: €50 korting op Hypotheekadvies Compleet als je via je werkgever "
     "komt, check je personeelsportaal", tags=["price-context", "discount-amount"])
case("nl", pub("x", "@nuchtere_noor"), "Prijsfout bij de Goudkaart? Nee hoor, gewoon de welkomstactie: €34,30 "
     "het eerste jaar.", tags=["denied-price-error"])
case("nl", pub("reddit", "u/rentevergelijker"), "Hypotheekrente bij Duinwaard nu 3,79% voor 10 jaar vast. "
     "Iemand betere ervaringen elders?", kind="post", tags=["price-talk"])
case("en", pub("x", "@forgetful_fred"), "I can't recall my Duinwaard username for the life of me. is it "
     "my email address or the customer number?", tags=["recall-other-sense"])
case("nl", pub("facebook", "Basisschool De Duinpieper"), "Ons schoolproject Zeehondenopvang werd gesponsord "
     "door Duinwaard, dank jullie wel! 🦭💙", tags=["codename-near-miss"])
case("nl", pub("x", "@oplettende_oma"), "Fraudehelpdesk van Duinwaard: 0800-3846. Zet 'm in je telefoon, "
     "scheelt paniek als het ooit nodig is.", tags=["own-contact"])
case("en", pub("reddit", "u/history_buff_nl"), "Remember the 2008 crisis? My grandad kept his money at "
     "Duinwaard through all of it and never panicked once.", kind="comment", tags=["crisis-other-sense"])
case("nl", pub("instagram", "@rustig.leven"), "Kluisloket Groot gehuurd voor €145 per jaar, paspoorten en "
     "sieraden erin. Rustig gevoel 🔐", tags=["list-price"])
case("en", pub("x", "@goal_getter"), "\"You've got to be kidding me\" — my face when my DuinApp savings goal "
     "hit 100% 🥳", tags=["quote"])
case("nl", pub("x", "@darkmode_dirk"), "Niet boos, wel verbaasd: de DuinApp heeft eindelijk een donkere "
     "modus. Waarom duurde dat zo lang haha", tags=["negated-complaint"])
case("en", pub("mastodon", "@bart@mastodon.social"), "Boycotting Mondays from now on. Also Duinwaard's "
     "new dark mode is 🔥", tags=["boycott-other-sense"])
case("nl", pub("other", "tweakers:@hardwarehenk", None), "Iemand ervaring met de DuinApp op een Pixel 9? "
     "Werkt NFC-betalen goed?", tags=["neutral", "unknown-platform"])
case("en", pub("bluesky", "dutchexpat.bsky.social"), "Opened a Duinwaard account as an expat, took 20 min "
     "with my passport in the app. Painless!", tags=["praise"])
case("nl", pub("x", "@bijna_jarig"), "Mijn BSN zet ik natuurlijk niet online 😂 maar wel handig dat de "
     "hypotheekaanvraag van Duinwaard hem zelf ophaalt via DigiD", tags=["pii-near-miss"])
case("en", pub("x", "@dune_walker"), "Guided dune walk in Zeeland today, learned that marram grass is "
     "'helmgras' in Dutch. Sponsored by Duinwaard, nice touch 🌾", tags=["codename-near-miss"])
case("nl", pub("x", "@fintech_fan"), "DuinPay Kids is live! Net de app voor mijn dochter gedownload, ziet er "
     "leuk uit", when="2026-10-03T16:40:12+02:00", tags=["embargo-after"])
case("en", pub("x", "@kvk_karel"), "Company registered, KvK <<NOTBSN:8>>, business account opened with "
     "Duinwaard the same day 💪", tags=["bad-checksum", "kvk"])


# =========================================================================== profile & severity

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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


# =========================================================================== building

def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["thenetherlands", "geldzaken", "DutchFIRE"])
        if kind == "comment":
            cid = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{cid}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        return f"yt-Ugz{''.join(r.choice(ALNUM) for _ in range(20))}", None
    if platform == "forum":
        m = r.randint(100000, 999999)
        return f"forum-geldpraat-{m}", f"https://forum.geldpraat.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 400)
        return f"blog-{h}-{m}", f"https://{h}/{m}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        platform = c["platform"]
        handle = c["handle"]
        if platform == "other" and c["dn"] is None and "unknown-platform" in c["tags"] and handle.startswith("$"):
            platform = "stockforum"          # a platform name outside the contract's list
        if platform == "other" and handle.startswith("tweakers:"):
            platform, handle = "tweakers", handle.split(":", 1)[1]
        pid, url = make_id(mr, platform, handle, c["kind"])
        while (platform, pid) in seen:
            pid += "1"
        seen.add((platform, pid))
        role = role_of(profile, platform, handle)
        validated = PII in c["cats"] and any(k in VALID_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": platform}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": handle}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
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
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "duinwaard"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 9).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# =========================================================================== checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}",
                                      r"xox[bap]-", r"sk_live_", r"AIza[\w-]{35}", r"PRIVATE KEY",
                                      r"eyJ[\w-]+\.eyJ", r"AccountKey=", r"://[^\s:/@]+:[^\s@/]+@")]


def norm(t):
    t = unicodedata.normalize("NFKC", t).replace(ZW, "").replace(SHY, "")
    return re.sub(r"\s+", " ", t).casefold()


def check(lines, rows, profile):
    errs = []
    own_em = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    allowed = {"company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"}
    if set(profile) != allowed:
        errs.append(f"profile keys {sorted(profile)}")
    for p in profile["products"]:
        if set(p) != {"name", "aliases", "list_price", "currency"}:
            errs.append(f"product keys {sorted(p)}")
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        t = p["text"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{n}: dup id")
        ids.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{n}: year")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{n}: cats {cats}")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{n}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw):
                errs.append(f"{n}: bad iban {raw}")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{n}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{n}: bad bsn")
            if k == "BAD_IBAN" and iban_ok(raw):
                errs.append(f"{n}: neg iban valid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{n}: neg card valid")
            if k == "NOTBSN" and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{n}: neg bsn valid")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{n}: ghp crc")
            if k in VALID_IDS and PII not in cats:
                errs.append(f"{n}: valid id without pii")
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN:
                    errs.append(f"{n}: benign valid iban")
            for d in re.findall(r"\d[\d -]{7,22}\d", t):
                dd = re.sub(r"\D", "", d)
                if (13 <= len(dd) <= 19 and luhn_ok(dd)) or (len(dd) in (8, 9) and bsn_ok(dd)
                                                             and dd not in ("08003846",)):
                    errs.append(f"{n}: benign checksum-valid number {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_em:
                    errs.append(f"{n}: benign email {e}")
            for rx in SECRET_RES:
                if rx.search(t.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{n}: benign secret-like {rx.pattern}")
        nt = norm(t)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{n}: embargo term {term} before until without conf")
                if ts >= until and CONF in cats:
                    errs.append(f"{n}: embargo term {term} after until labelled conf")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt.replace("\n", " ")) and CONF not in cats:
                errs.append(f"{n}: internal term {term} without conf")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, PII in cats and any(k in VALID_IDS for k, _, _ in r["used"]))
        if want != ex["severity"]:
            errs.append(f"{n}: severity")
    return errs


def report(rows):
    from collections import Counter
    cat, role, sev, lang, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    ev = multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        lang[r["lang"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  multi {multi}  evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("roles", dict(role), "\nseverity", dict(sev), "\nlang", dict(lang), "\nplatforms", dict(plat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    prof = load_profile()
    rows = build(prof)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, prof)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
