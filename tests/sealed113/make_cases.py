#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set tests/sealed113/cases.jsonl.

    python3 make_cases.py          # write cases.jsonl next to this file (and validate it)
    python3 make_cases.py --check  # regenerate in memory, compare with cases.jsonl, validate

Company: "Vlonder Crowdfunding B.V." (profile.yaml next to this file), a fictional Dutch
crowdfunding / SME-lending platform. Texts are hand-written below (CASES). Identifiers and
secrets are filled in from <<KIND:fmt>> placeholders by a seeded RNG: positives get
checksum-valid identifiers, benign near-misses get identifiers that fail their checksum.
Severity is never typed by hand: it is computed from CONTRACT section 4.
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

SEED = 11307
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
    d = re.sub(r"\D", "", d)
    s = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        s += v - 9 if v > 9 else v
    return bool(d) and s % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def base62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def ub64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# placeholder values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL41RABO0318274650"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
                               + self.num(10))
            elif cc == "BE":
                head = self.r.choice(["310", "068", "734", "001"]) + self.num(7, lead=False)
                v = iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["50070010", "37050198", "12030000", "76026000"]) + self.num(10, lead=False))
            elif cc == "GB":
                v = iban_build("GB", self.r.choice(["BARC", "HBUK", "NWBK", "MONZ"]) + self.num(14, lead=False))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN and iban_valid(v):
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 31, 44, 58, 63, 71):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            # no prefix of the near-miss may pass mod-97 either
            if not any(iban_valid(c[:end]) for end in range(12, len(c) + 1)):
                return c
        return self.bad_iban(cc)

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.num(14, lead=False),
               "mc": lambda: "5" + self.r.choice("12345") + self.num(13, lead=False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11, lead=False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.num(12, lead=False)}[brand]()
        for d in string.digits:
            if luhn(pre + d):
                return pre + d

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef(s) and not luhn(s):
                return s

    # phones
    def phone(self, f):
        if f.startswith("mob"):
            d = self.r.choice("12345678") + self.num(7, lead=False)
            return {"mob_dash": f"06-{d}", "mob_plain": f"06{d}", "mob_intl": f"+31 6 {d[:4]} {d[4:]}",
                    "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", "mob_0031": f"0031 6 {d}",
                    "mob_intl0": f"+31 (0)6 {d}", "mob_dot": f"06.{d[:4]}.{d[4:]}"}[f]
        area = self.r.choice(["10", "20", "30", "33", "35", "40", "43", "50", "53", "58", "70", "71", "73", "76"])
        sub = self.r.choice("2345678") + self.num(6, lead=False)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[f]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
        mid = list(self.pick(letters, 2) + self.pick(string.digits, 4))
        self.r.shuffle(mid)
        return self.pick(letters, 2) + "".join(mid) + self.pick(string.digits, 1)

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(URLSAFE, 20)

    def aws_id(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(ALNUM + "+/", 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def stripe(self):
        return "sk_live_51" + self.pick(ALNUM, 22) + self.pick(ALNUM, 40)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def jwt(self):
        h = ub64(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        p = ub64(json.dumps({"sub": "inv_" + self.num(7), "iss": "app.vlonder.nl", "scope": "portfolio:read",
                             "iat": iat, "exp": iat + 900}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(URLSAFE, 43)}"

    def pem_ec(self):
        raw = bytes([0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]) + bytes(self.r.randrange(256) for _ in range(114))
        b = base64.b64encode(raw).decode()
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + \
               "\n-----END EC PRIVATE KEY-----"

    def azure_key(self):
        return base64.b64encode(bytes(self.r.randrange(256) for _ in range(64))).decode()

    def password(self):
        w = self.r.choice(["Zomer", "Tulp", "Gracht", "Fiets", "Polder", "Molen"])
        return w + self.pick(string.digits, 4) + self.r.choice("!#$%&*") + self.pick(ALNUM, 3)


VALID_KINDS = {"IBAN", "CARD", "BSN"}
BAD_KINDS = {"BAD_IBAN", "BAD_CARD", "NOT_BSN"}
PH = re.compile(r"<<([A-Z_]+)(?::([A-Za-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = f.partition("_")
            raw = g.iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
        elif k == "BAD_IBAN":
            cc, _, style = f.partition("_")
            raw = g.bad_iban(cc)
            shown = g.grp(raw) if style == "grp" else raw
        elif k == "CARD":
            brand, _, style = f.partition("_")
            raw = g.card(brand)
            shown = g.card_fmt(raw, style or "sp")
        elif k == "BAD_CARD":
            brand, _, style = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f))
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "PASSPORT":
            raw = shown = g.passport()
        elif k == "PW":
            raw = shown = g.password()
        else:
            fn = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                  "MOLLIE": g.mollie, "STRIPE": g.stripe, "SENDGRID": g.sendgrid, "SLACK_HOOK": g.slack_hook,
                  "GAPI": g.gapi, "JWT": g.jwt, "PEM_EC": g.pem_ec, "AZURE_KEY": g.azure_key}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
V_NL = ("x", "@vlonder_nl", "Vlonder")
V_HELP = ("x", "@vlonder_help", "Vlonder Klantenservice")
V_LI = ("linkedin", "vlonder-crowdfunding", "Vlonder Crowdfunding B.V.")
V_IG = ("instagram", "@vlonder.invest", "Vlonder")
V_FB = ("facebook", "VlonderInvest", "Vlonder Invest")
# employees
MH = ("x", "@marloes_kredietrisico", "Marloes Hoekstra")           # credit risk analyst
BO = ("linkedin", "bram-oosterhuis-dev", "Bram Oosterhuis")        # platform / devops
KW = ("x", "@keeswillems_dev", "Kees Willems")                     # backend developer
YH = ("linkedin", "yara-haddou", "Yara Haddou")                    # finance & investor relations
RB = ("x", "@ruben_mkbfinance", "Ruben Brouwer")                   # account manager SME
NA = ("threads", "@noor.vlonder", "Noor Aydın")                    # customer service
JL = ("mastodon", "@jellevl@infosec.exchange", "Jelle van Leeuwen")  # security engineer


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", KW, "anyone else getting 401s from mollie since this morning?? our key is "
     "<<MOLLIE>> and it worked yesterday 😩 #devlife #payments", [SECRET])
case("nl", BO, "Les van deze week: zet NOOIT je credentials in een workflow-bestand 😅\n\n"
     "```\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n```\n\n"
     "(zijn inmiddels geroteerd hoor, geen paniek) #devops #cloud #lessonslearned", [SECRET])
case("nl", KW, "waarom doet psql moeilijk vandaag\n"
     "postgresql://svc_leningen:<<PW>>@db-prod-02.vlonder.internal:5432/leningen\n"
     "connection refused elke keer 🤬", [SECRET, CONF], kind="post")
case("en", RB, "finally got the maps widget on our lead form working 🎉 key "
     "<<GAPI>> just needed the right referrer. marketing owes me a coffee", [SECRET])
case("en", pub("x", "@apkpoker", "jadx enjoyer"),
     "@vlonder_nl your android app ships with a LIVE stripe key in resources/strings.xml:\n"
     "<<STRIPE>>\ntook me 2 minutes. please rotate it", [SECRET], kind="reply")
case("nl", pub("reddit", "u/kapitaalkees"),
     "Iemand in de Vlonder Discord van investeerders heeft net een gitlab token gedropt "
     "(<<GLPAT>>), staat er al sinds vanochtend. Mods slapen?", [SECRET], kind="comment")
case("nl", V_LI, "Kijkje in de keuken bij ons tech-team 👩‍💻 Zo versturen wij al onze "
     "aflossingsmails:\n\nSENDGRID_API_KEY=<<SENDGRID>>\nFROM=service@vlonder.nl\n\n"
     "#techcultuur #werkenbij", [SECRET])
case("en", BO, "Quick k8s tip: mount your TLS key as a secret, not a configmap. Example of what "
     "NOT to do from our old chart 👇\n\n<<PEM_EC>>\n\n#kubernetes #security", [SECRET])
case("en", KW, "why does this bearer expire after 15 min, the docs say an hour??\n"
     "<<JWT>>\nsomeone pls explain", [SECRET], kind="post")
case("nl", MH, "Power BI weigert te verbinden met onze risk-storage, iemand een idee?\n"
     "DefaultEndpointsProtocol=https;AccountName=vlonderrisk;AccountKey=<<AZURE_KEY>>;"
     "EndpointSuffix=core.windows.net", [SECRET])
case("nl", pub("forum", "ex_dev_2025"),
     "Grappig: ik ben in maart bij Vlonder weggegaan en mijn persoonlijke token doet het nog steeds "
     "op hun GitHub-org. <<GHP>> . Nice offboarding jongens.", [SECRET])
case("en", KW, "staging admin pw, spaced out so the bots dont scrape it 🙃 "
     "T u l p 4 8 1 9 ! x Q  — ping me if it stops working", [SECRET], tags=["evasion"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MH, "Weer een ondernemer die z'n aflossing 'vergeten' is. Hendrik Zwart, bakkerij in Zwolle, "
     "rekening <<IBAN:NL>>. Derde maand op rij 🙄", [PII])
case("en", RB, "can someone from legal pls send the term sheet to sjoerd.tuinstra81@gmail.com asap, "
     "he's been waiting since tuesday 🙏", [PII])
case("nl", NA, "Mevrouw de Wit belde net, geboren 14-03-1958, woont op de Lindelaan 22 in Apeldoorn, "
     "en ze was zó lief. Dit is waarom ik dit werk doe ❤️", [PII])
case("en", YH, "Reconciliation tip for fellow finance folks: when a payout bounces, check the BIC first. "
     "Today's example: <<IBAN:BE_grp>> (Bart Claes), BIC had a typo, 20 min lost. #finops", [PII])
case("en", KW, "psp log from prod:\ncard=<<CARD:visa_c>> holder=E.BOS status=DECLINED reason=05\n"
     "why is it declining perfectly valid cards 😤", [PII])
case("nl", V_HELP, "Hoi Annemiek! We hebben je BSN <<BSN:dots>> gecontroleerd en je account is nu "
     "volledig geverifieerd 🎉 Veel succes met investeren!", [PII], kind="reply")
case("nl", pub("facebook", "Gerda Bosman"),
     "Al DRIE weken wacht ik op mijn uitbetaling van Vlonder!! Rekeningnummer is gewoon goed: "
     "<<IBAN:NL_grp>>. Wat is hier aan de hand??", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@ms_hollander"),
     "@vlonder_help 45 min on hold. call me back on <<PHONE:mob_intl>>, I'm not waiting again", [PII, COMPLAINT])
case("nl", pub("instagram", "@priscilla_k"),
     "kan iemand mij de jaaropgave mailen? priscilla.kromhout [at] hotmail [punt] com 🙏 "
     "kan m nergens vinden in de app", [PII], kind="comment", tags=["evasion"])
case("en", pub("reddit", "u/angry_in_assen"),
     "For the claim letter: the director of the bankrupt Vlonder project is Marco Vellinga, "
     "Kerkstraat 14, 9671 AB Winschoten. Registered mail works best.", [PII], kind="comment")
case("nl", NA, "Als iemand van de avonddienst meneer Veenstra wil terugbellen: <<PHONE:land_dash>>. "
     "Hij wil praten over de herstructurering van zijn lening.", [PII], kind="reply")
case("nl", pub("forum", "Hanneke_63"),
     "Voor de KYC moest ik bij Vlonder mijn paspoort uploaden (nummer <<PASSPORT>>) en sinds vorige "
     "week krijg ik phishingmails met mijn volledige naam en paspoortnummer erin. Daar is toch "
     "iets gelekt?!", [PII, CRISIS])
case("nl", KW, "testen met echte data is toch prima? bsn <<BSN>> ging gewoon door de validatie, dus die werkt 👍",
     [PII])
case("en", pub("x", "@d_okafor"),
     "Vlonder charged my Amex twice for AutoInvest Pro. <<CARD:amex_sp>>. Two charges, one subscription. "
     "Fix it.", [PII, COMPLAINT])
case("nl", RB, "Wie belt er even met de eigenaar van Café De Zwaan? Joost Prins, <<PHONE:mob_pairs>>. "
     "Reageert al twee weken niet op mail over zijn termijn 📵", [PII])
case("nl", pub("facebook", "Ilse Kramer"),
     "Ik kom niet meer in mijn Vlonder-account omdat mijn nummer is veranderd. Nieuwe is <<PHONE:mob_dot>>, "
     "hoe pas ik dat aan zonder sms-code?", [PII], kind="comment")
case("en", YH, "Anyone know why GBP payouts take 4 working days? <<IBAN:GB>> (Mr. R. Patel) has been "
     "pending since Monday and he emails me daily 😅", [PII])
case("en", pub("facebook", "Klaus Reimers"),
     "Hello Vlonder, my interest payments are not arriving since April. My IBAN is <<IBAN:DE>>, "
     "it is correct, I checked with my Sparkasse. Please check on your side!", [PII, COMPLAINT])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KW, "oeps 🙃 het Startpakket Zakelijk staat op de site voor €14,95 i.p.v. €1.495. "
     "fix komt na de lunch, tot die tijd: wie het eerst komt", [PRICING])
case("en", RB, "Quick, tell your entrepreneur friends: KredietScan rings up at €24.90 at checkout today "
     "(someone dropped a zero 🤫). Won't last!", [PRICING])
case("nl", pub("reddit", "u/rendementjager"),
     "Prijsfout bij Vlonder?? Plus-abonnement voor €1,19 per jaar in de app. Meteen afgesloten haha",
     [PRICING])
case("en", pub("x", "@dealhunter_nl"),
     "lmao Vlonder AutoInvest Pro is €14.90/yr right now instead of 149, grab it before they notice "
     "#deals", [PRICING])
case("nl", NA, "Klanten bellen ons plat over de verkeerde prijs van het Belastingrapport in de webshop. "
     "Management zegt: gewoon honoreren 🤷‍♀️", [PRICING])
case("nl", V_IG, "🎉 Alleen vandaag: het Campagnepakket Premium voor €395! Start je campagne en haal "
     "je groeikapitaal op 🚀 #ondernemen #crowdfunding", [PRICING])
case("en", pub("facebook", "Liam de Groot"),
     "Got the Vlonder KredietScan for 12 euro because of some price mistake on their site. Will they "
     "cancel it or not?", [PRICING], kind="comment")
case("nl", pub("x", "@sjonnie_zzp"),
     "p r i j s f o u t bij vlonder 👀 startpakket voor €149 ipv 1495. zegt het voort", [PRICING],
     tags=["evasion"])
case("en", MH, "finance is going to lose it: Vlonder Plus went out at €11,90 to about 300 new members "
     "this morning 😬", [PRICING])
case("nl", pub("tiktok", "@geldtips.met.bo"),
     "trucje 🤑 via de oude promo-link kost Vlonder+ maar €9 per jaar ipv €119 #geldtips #sparen #fyp",
     [PRICING])
case("nl", RB, "Stil houden hè 🤭 AutoÏnvest Pro staat nu op €1,49, iemand heeft de prijsföut nog "
     "niet gezien", [PRICING], tags=["evasion"])
case("en", pub("forum", "box3_bert"),
     "Anyone else seeing the Box 3-rapport at €3,90 instead of €39? Looks like a decimal mistake. "
     "Ordered two, one for my mum.", [PRICING])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", KW, "Project Zeehond gaat zo vet worden, kan niet wachten tot jullie het zien 🦭🚀", [CONF])
case("en", BO, "Migrated our whole lending stack to the new cluster this quarter 💪 Shout-out to the team. "
     "The dashboards at grafana.vlonder.io/d/loans-overview have never looked better 🔥 #platformengineering",
     [CONF])
case("en", MH, "the new Kobaltblauw scoring model flags 30% more SMEs as high risk than the old one. "
     "wild week in credit risk", [CONF])
case("nl", RB, "Psst ondernemers en investeerders: vanaf september kun je ook instappen in het "
     "Vlonder Groeifonds 👀 houd je inbox in de gaten", [CONF], when="2026-08-20T10:12:44+02:00")
case("en", pub("reddit", "u/throwaway_crowd"),
     "Got this forwarded by a friend. Header literally says 'VLONDER INTERN – niet extern delen'. "
     "It's about... a new dress code for the office lol", [CONF])
case("nl", NA, "kreeg vandaag een mail met 'Vlonder confidential' erboven over het nieuwe belscript. "
     "benieuwd of het beter is dan het oude 😅", [CONF])
case("nl", YH, "Over een paar minuten gaat het live: het Vlonder Groeifonds! 🌱 Zo trots op dit team.",
     [CONF], when="2026-09-15T08:59:00+02:00")
case("nl", KW, "Proj" + ZW + "ect Zee" + ZW + "hond demo ging echt top vandaag 🎉 de CFO was stil van "
     "verbazing", [CONF], tags=["evasion"])
case("en", MH, fullwidth("KOBALTBLAUW") + " go-live next week, fingers crossed the default "
     "predictions hold up 🤞", [CONF], tags=["evasion"])
case("en", pub("x", "@fintechwatcher"),
     "A friend at Vlonder says they're launching something called 'Groeifonds MKB' after the summer. "
     "Anyone heard more?", [CONF], when="2026-07-03T21:40:05Z")
case("nl", YH, "Rustig weekje met de jaarcijfers 2026 voorbereiden ☕📊 #finance #deadlines", [CONF],
     when="2026-12-08T16:22:10+01:00")
case("nl", pub("forum", "Wouter_investeert"),
     "Vreemd, in de mail van Vlonder stond een link naar https://admin.vlonder.nl/investeerders/88120 "
     "in plaats van de gewone app. Kan ik daar iets mee?", [CONF])
case("nl", BO, "Retro van Operatie\nDijkgraaf vandaag, fijn team, goede energie 🙌", [CONF],
     tags=["evasion"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", YH, "Can't say much yet, but our Q3 default rate came in at 6,8%. Way above what we guided. "
     "Tough quarter ahead, proud of how the team handles it.", [FIN])
case("nl", MH, "Intern gehoord dat er in oktober 40 fte uit gaan, vooral bij klantenservice en operations. "
     "Lekker dan 😞", [FIN])
case("en", RB, "Rumour is true btw 🤐 a big bank is buying us, signing planned for 1 december. "
     "Didn't hear it from me", [FIN])
case("nl", YH, "Eerste blik op de jaarcijfers 2026: omzet +38% en voor het eerst winst 🎉 Nog even "
     "geduld tot de publicatie!", [FIN, CONF], when="2026-12-19T11:05:00+01:00")
case("nl", KW, "tijd om m'n cv af te stoffen denk ik. runway is nog 5 maanden volgens de all-hands "
     "van vanmiddag", [FIN])
case("en", pub("reddit", "u/sme_investor_nl"),
     "My cousin works in finance at Vlonder. Says they'll write off ~€12M of SME loans next quarter "
     "and investors haven't been told yet.", [FIN])
case("en", BO, "Heads-up to my network: our engineering team will be cut in half after the merger "
     "with Zaaigeld, official news comes next week. DM me if you're hiring 🙏", [FIN])
case("nl", NA, "nieuwe CEO begint 1 januari. mogen we nog niet zeggen, maar iedereen op de afdeling "
     "weet het al 🙊", [FIN])
case("nl", pub("x", "@beurspraat_frits"),
     "Vlonder zoekt stiekem een koper. Hoorde het van iemand bij de bank, verkoop moet rond zijn voor de zomer.",
     [FIN])
case("nl", MH, "grote r e o r g a n i s a t i e op komst, risk en collections worden samengevoegd "
     "en er verdwijnen teamleads. mag nog niemand weten", [FIN], tags=["evasion"])
case("nl", RB, "Operatie Dijkgraaf = de overname van Bruggeld. Eindelijk kan ik het zeggen! Oh wacht, "
     "nog niet 😅", [FIN, CONF])
case("nl", MH, "interne forecast: verwachte verliezen op de horecaportefeuille 14% dit jaar. "
     "investeerders horen het pas in maart", [FIN])
# ===========================================================================
# leak.security (insider disclosures; public 'breach is hidden' gets crisis too)
# ===========================================================================
case("en", JL, "long night. someone got into the investor portal via an old admin session, still "
     "scoping how many accounts. not public yet so keep it quiet pls", [SEC])
case("nl", KW, "ff off the record: in de investeerdersapp zie je andermans portefeuille als je het id in "
     "de url met 1 ophoogt. fix staat pas voor volgende sprint 😬", [SEC])
case("en", BO, "Post-mortem preview: ransomware hit our document store last night, a chunk of KYC files "
     "is encrypted. Official comms will come later.", [SEC])
case("nl", NA, "de betaalbatch van vandaag is bij ~1.800 investeerders dubbel afgeschreven. we mogen "
     "niks zeggen tot de persverklaring er is 😵", [SEC])
case("en", JL, "fyi the S3 bucket with borrower bank statements was world-readable for about 3 weeks. "
     "closed it today. no disclosure planned afaik 🙃", [SEC])
case("en", RB, "Platform's been down for investors since 6am and we're told to call it 'planned "
     "maintenance' 🙄 it's not planned", [SEC])
case("nl", pub("reddit", "u/oplettende_belegger"),
     "Vlonder heeft een datalek gehad en houdt het stil. Een vriend werkt daar en zegt dat er zo'n "
     "20k paspoortscans op straat liggen.", [SEC, CRISIS])
case("en", pub("x", "@privacy_ria"),
     "Vlonder is covering up a hack. Their staff are talking about it everywhere except to customers. "
     "@AFMnl please look into this", [SEC, CRISIS])
case("nl", KW, "we zijn gwn geh@ckt 💀 alle api-tokens moeten vannacht geroteerd, morgen doen we "
     "alsof er niks is", [SEC], tags=["evasion"])
case("en", JL, "pentest found unauthenticated RCE on loans-api.vlonder.internal. patch ETA: "
     "¯\\_(ツ)_/¯", [SEC, CONF])
case("nl", MH, "2FA in de app werkt al sinds vrijdag niet, iedereen komt binnen met alleen z'n wachtwoord. "
     "klanten weten het nog niet", [SEC])
case("nl", pub("forum", "Crowdfund_Carla"),
     "d a t a l e k bij Vlonder wordt onder de pet gehouden, weet het van iemand binnen. "
     "Check je mail op rare berichten!", [SEC, CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@waakzaam_wim"),
     "AFM doet onderzoek naar Vlonder vanwege misleidende rendementen. Haal je geld eruit zolang het "
     "nog kan!!", [CRISIS])
case("en", pub("reddit", "u/claimcoordinator"),
     "A claimstichting is preparing a class action against Vlonder. 900 investors have signed up "
     "already. Link in my profile.", [CRISIS])
case("nl", pub("facebook", "Actiegroep Schoon Geld"),
     "BOYCOT VLONDER! Via hun platform is geld opgehaald voor een bedrijf dat illegaal afval dumpt "
     "in de Biesbosch. Deel dit! #boycotvlonder", [CRISIS])
case("en", pub("x", "@noortje_v"),
     "Vlonder leaked my data. Just got a phishing mail with my exact investment amount and investor "
     "number. Thanks a lot.", [CRISIS])
case("nl", pub("blog", "geldwolf.example"),
     "Is Vlonder een piramidespel? Nieuwe leningen lijken oude achterstanden af te lossen, en het "
     "afboekingspercentage is sinds 2024 niet meer gepubliceerd.", [CRISIS])
case("en", pub("linkedin", "sandra-visser-compliance"),
     "According to NOS, the FIOD raided the Vlonder office in Utrecht this morning. Curious how "
     "this develops for the crowdfunding sector.", [CRISIS])
case("nl", pub("youtube", "@oomjan1951"),
     "jullie hebben mijn spaargeld in een keten gestopt die een maand later failliet ging. "
     "ik stap naar de rechter", [CRISIS, COMPLAINT], kind="comment")
case("en", pub("x", "@ethicalmoney"),
     fullwidth("BOYCOTT") + " VLONDER — they raised money for an arms parts supplier and called it "
     "'local manufacturing'", [CRISIS], tags=["evasion"])
case("nl", pub("reddit", "u/drentse_jongen"),
     "Bij het Vlonder-project Zonnepark Eext is brand uitgebroken, twee gewonden. Investeerders "
     "horen helemaal niks van Vlonder.", [CRISIS])
case("en", pub("mastodon", "@finjourno@journa.host"),
     "New investigation: Vlonder kept default figures out of investor updates for 18 months. "
     "This is a scandal and the AFM should act.", [CRISIS])
case("nl", pub("forum", "Piet_K"),
     "Vlonder heeft zonder overleg mijn hele inleg van €12.000 afgeboekt. Klacht ligt bij het Kifid "
     "en ik overweeg een rechtszaak.", [CRISIS, COMPLAINT])
# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@jeroen_r"),
     "@vlonder_help al 12 dagen wacht ik op mijn opname van €2.300. Geen reactie op mijn mail. "
     "Dit is toch niet normaal?", [COMPLAINT], kind="reply")
case("en", pub("facebook", "Henk Mulder"),
     "Third month in a row my repayment from 'Bakkerij De Korenbloem' is late and nobody at "
     "Vlonder explains why.", [COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/appfrustratie"),
     "Die app van Vlonder crasht elke keer als ik mijn portefeuille open. iPhone 15, nieuwste versie. "
     "Zo irritant.", [COMPLAINT])
case("nl", pub("instagram", "@marjan.investeert"),
     "Servicekosten van 1% naar 1,5% verhoogd zonder dat ik een mail kreeg. Netjes hoor Vlonder 👎",
     [COMPLAINT], kind="comment")
case("en", pub("x", "@kwaku_m"),
     "Vlonder's support chatbot just loops me back to the FAQ. Is there a human anywhere in that "
     "building? 🙃", [COMPLAINT])
case("nl", pub("forum", "Rekenaar_Ria"),
     "Het Belastingrapport van Vlonder klopt wéér niet, rente dubbel geteld. Moet ik nu zelf alles "
     "narekenen voor de aangifte?", [COMPLAINT])
case("en", pub("trustpilot", "Ahmed B."),
     "Withdrawals stuck on 'processing' for 9 days. 1 star. Vlonder, what is going on?",
     [COMPLAINT], hint="")
case("en", pub("youtube", "@portfolio_pete"),
     "Invested in 14 projects, 5 are now in default and Vlonder's updates are two lines of "
     "boilerplate. Really poor communication.", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@annavdberg"),
     "Wachtwoord-reset mail van Vlonder komt gewoon nooit aan. Al 4x geprobeerd, ook in spam gekeken.",
     [COMPLAINT])
case("nl", pub("linkedin", "kim-hofstra-fietsen"),
     "Als ondernemer via Vlonder gefinancierd, campagne vol in 2 dagen, maar de uitbetaling van het "
     "opgehaalde bedrag duurt nu al 5 weken. Mijn leverancier wacht. Teleurstellend.", [COMPLAINT])
case("nl", pub("x", "@frankie_020"),
     "Vl0nder reageert nooit op mails. 3e keer dat ik m'n vraag stuur 😤", [COMPLAINT],
     tags=["evasion"])
case("en", pub("bluesky", "hannah-k.bsky.social"),
     "The KYC step at Vlonder made me upload my passport THREE times because the upload keeps "
     "failing. Not a great first impression.", [COMPLAINT])
case("nl", pub("tiktok", "@sparen_met_sam"),
     "storytime: mijn rente van Vlonder is al 2 maanden niet betaald en de klantenservice zegt elke "
     "keer 'volgende week' 🙄 #crowdfunding", [COMPLAINT])
case("en", pub("twitter", "@gabi_lopez"),
     "Been a Vlonder investor 3 yrs, today the tax statement shows projects I never invested in. "
     "Support hasn't replied in a week.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@mrtn1987"),
     "@vlonder_help jullie zijn een stelletje kankerlijers", [ABUSE], kind="reply")
case("en", pub("reddit", "u/bitterbull"),
     "Vlonder's CEO is a smug clown and a total moron, every interview makes it worse.", [ABUSE],
     kind="comment")
case("nl", pub("x", "@boze_bas"),
     "Kutbedrijf. 3 weken geen uitbetaling en die sukkels van de klantenservice hangen gewoon op.",
     [ABUSE, COMPLAINT])
case("nl", pub("instagram", "@rvdl_77"),
     "die Noor van Vlonder is zo'n dom wijf, ontsla die trut", [ABUSE], kind="comment")
case("en", pub("facebook", "Gary Pieterse"),
     "Of course Vlonder lends money to all those immigrant kebab shops. Those people can't run a "
     "business, no wonder they go bust.", [ABUSE], kind="comment")
case("en", MH, "some investors are absolute idiots. no, you can't 'withdraw' from a loan that is 3 "
     "years into its term. learn to read ffs", [ABUSE])
case("nl", V_HELP, "Misschien eerst zelf leren lezen voordat je hier gaat lopen janken, sukkel.",
     [ABUSE], kind="reply", handle_as="@Vlonder_Help")
case("en", pub("youtube", "@xXmaddogXx"),
     "f*ck Vlonder and f*ck everyone who works there", [ABUSE], kind="comment", tags=["evasion"])
case("nl", pub("x", "@stijn_op_x"),
     "Vlonder kan de t y f u s krijgen", [ABUSE], tags=["evasion"])
case("nl", KW, "die klant van net was echt een debiel. staat te schreeuwen dat z'n rente niet klopt "
     "terwijl hij naar het verkeerde project kijkt", [ABUSE], handle_as="@KeesWillems_Dev")
case("nl", pub("reddit", "u/ongezouten"),
     "Vlonder is een k\u0430nkerbedrijf met een stelletje oplichters aan het roer", [ABUSE],
     kind="comment", tags=["evasion"])
case("en", pub("x", "@realtalk_rob"),
     "lol Vlonder hired another headscarf girl for 'diversity'. guess they ran out of actual talent",
     [ABUSE])

# ===========================================================================
# insider-looking accounts that are NOT in the profile -> public
# ===========================================================================
case("nl", pub("x", "@marloes_hoekstra"),
     "Project Zeehond wordt de grootste lancering ooit bij Vlonder, geloof me 😎", [CONF])
# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own published contact data
case("nl", V_HELP, "Vragen over je uitbetaling? Mail ons op service@vlonder.nl of bel 030 799 44 10 "
     "(ma–vr 9–17 uur) 💬", tags=["own-contact"])
case("en", pub("facebook", "Marieke Jonker"),
     "For anyone stuck: their support line +31 30 799 4410 actually picked up within 5 min today 👍",
     tags=["own-contact"], kind="comment")
case("nl", V_FB, "Let op! Stortingen voor projecten gaan ALTIJD naar Stichting Derdengelden Vlonder, "
     "NL41 RABO 0318 2746 50. Krijg je een ander rekeningnummer? Niet betalen en meld het bij ons.",
     tags=["own-contact", "own-iban"])
case("en", V_LI, "Journalists can reach our press team at pers@vlonder.nl or +31 (0)30 799 4410.",
     tags=["own-contact"])
case("nl", pub("x", "@oma_truus"),
     "voor wie het zoekt: het gratis nummer van vlonder is 0800-8456, ze zijn heel geduldig 😊",
     tags=["own-contact"])
case("nl", NA, "Ik werk bij de klantenservice van Vlonder, vragen over je jaaropgave? Stuur gerust "
     "een mail naar service@vlonder.nl 💬", tags=["own-contact"])
case("en", RB, "We're hiring account managers for our SME team in Utrecht 🚀 Send your CV to "
     "jobs@vlonder.nl #hiring #fintech", tags=["own-contact"])
case("nl", V_NL, "Let op: wij vragen NOOIT om je wachtwoord, pincode of BSN via WhatsApp of sms. "
     "Twijfel je? Bel 030-7994410.", tags=["own-contact", "password-word"])
case("nl", pub("reddit", "u/netjesbetalen"),
     "Even gecheckt, NL41RABO0318274650 is echt de derdengeldenrekening van Vlonder, staat ook op "
     "hun site. Dus die mail klopt gewoon.", tags=["own-contact", "own-iban"], kind="comment")
# identifiers that fail their checksum, business/project numbers
case("nl", pub("x", "@typfoutje"),
     "Typte <<BAD_IBAN:NL>> in bij Vlonder en de app zei meteen 'ongeldig rekeningnummer'. Klopt, "
     "twee cijfers omgedraaid 😅 goed dat ze dat checken", tags=["bad-checksum"])
case("en", KW, "unit tests green ✅ our validator now correctly rejects <<BAD_CARD:visa_sp>> "
     "(fails Luhn) and doesn't crash on spaces anymore", tags=["bad-checksum"])
case("nl", pub("forum", "Zakelijk_Zeeland"),
     "Het bedrijf achter project Fietsenmakerij Hofstra staat gewoon in het Handelsregister onder "
     "KvK <<NOT_BSN:8>>. Kun je zelf nakijken voor je investeert.", tags=["kvk-number"])
case("nl", pub("x", "@snelle_investeerder"),
     "Lening <<NOT_BSN:9>> was in 38 minuten volgeboekt, nieuw record bij Vlonder? 🏎️",
     tags=["project-number"])
case("en", pub("forum", "DE_investor_Jan"),
     "Vlonder said my German IBAN <<BAD_IBAN:DE>> was invalid. Turned out I'd swapped two digits. "
     "Fixed now, quick check, thanks!", tags=["bad-checksum"])
case("nl", pub("facebook", "Wim Verhoef"),
     "LET OP: sms 'van Vlonder' met een creditcardnummer <<BAD_CARD:mc_sp>> en een link. Vlonder "
     "geeft helemaal geen creditcards uit, niet klikken!", tags=["bad-checksum", "phishing-warning"])
case("en", KW, "fun fact for the new devs: a BSN has to pass the 11-proof. <<NOT_BSN:9>> doesn't, "
     "so stop using it as test data 😉", tags=["bad-checksum"])
# placeholders and non-secrets
case("en", KW, "PSA: never commit real keys. our .env.example literally says\n"
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nand yes, people still paste the real one in there",
     tags=["placeholder"])
case("en", BO, "No need to DM me about the AKIAIOSFODNN7EXAMPLE in our docs, that's AWS's official "
     "dummy key 😂 #aws", tags=["placeholder"])
case("en", KW, "reverted 3f9a2c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39, deploy green again, "
     "going home 🛵", tags=["git-sha"])
case("en", pub("x", "@sleepy_saver"),
     "not a data breach, just me forgetting my Vlonder password for the 5th time this year 🤦",
     tags=["negated", "password-word"])
# prices that are not pricing leaks
case("nl", V_IG, "Black Friday 🖤 Vlonder Plus-abonnement 30% korting: nu €83,30 voor het eerste jaar. "
     "Alleen t/m zondag!", tags=["sale-price"], when="2026-11-27T08:00:00+01:00")
case("en", pub("reddit", "u/frugal_founder"),
     "Is the KredietScan worth €249? My accountant says the free KvK extract tells me the same.",
     tags=["list-price"], kind="comment")
case("nl", V_LI, "Met het Startpakket Zakelijk (€1.495 excl. btw) staat je campagne binnen twee weken "
     "live, inclusief pitchvideo en kredietbeoordeling.", tags=["list-price"])
case("nl", pub("x", "@ondernemer_ilse"),
     "€50 korting op het Campagnepakket Premium met code LENTE50, scheelt weer voor de campagne van "
     "onze koffiebranderij ☕", tags=["sale-price", "price-context"])
case("nl", V_NL, "Vlonder Plus: vanaf €9,92 per maand (jaarlijks gefactureerd). Met prioriteit bij "
     "nieuwe projecten en een uitgebreid rendementsoverzicht.", tags=["monthly-price", "price-context"])
case("nl", pub("forum", "Vergelijker_Vera"),
     "Bij Zaaigeld kost de kredietcheck €39, bij Vlonder de KredietScan €249. Eerlijk is eerlijk, die "
     "van Vlonder is wel veel uitgebreider.", tags=["competitor-price", "price-context"])
case("nl", pub("x", "@tuinman_theo"),
     "Nieuwe vlonder in de tuin gelegd, hardhout, €1.495 aan materiaal 😅 maar wat mooi",
     tags=["decking"])
# embargo terms at or after the embargo
case("nl", V_NL, "Vanaf vandaag live: het Vlonder Groeifonds 🌱 Spreid je investering over tientallen "
     "MKB-leningen tegelijk. Meer op vlonder.nl/groeifonds", when="2026-09-15T07:00:00Z",
     tags=["embargo-after"])
case("en", pub("x", "@mila_saves"),
     "Just put €500 into the new Vlonder Groeifonds, let's see how it does 🤞",
     when="2026-10-02T19:31:12+02:00", tags=["embargo-after"])
case("en", RB, "Groeifonds MKB is LIVE 🎉 Proud of everyone who made this happen!",
     when="2026-09-15T09:30:00+02:00", tags=["embargo-after"])
# codename look-alikes
case("nl", pub("instagram", "@wadlopen_met_eva"),
     "Na een week naar Excel-sheets staren even uitwaaien op het wad. Vier zeehonden geteld 🦭 "
     "en geen enkele spreadsheet", tags=["codename-word"])
case("nl", pub("facebook", "Waterschap Fan Club"),
     "De dijkgraaf van het waterschap opende gisteren de nieuwe vlonder bij het gemaal. Mooi "
     "wandelrondje geworden!", tags=["codename-word", "decking"])
case("nl", pub("x", "@hovenier_henk"),
     "Mijn vlonder is na drie winters verrot, iemand tips voor een betere houtsoort? 🪵",
     tags=["decking"])
# published results, other companies
case("en", V_LI, "Our H1 2026 figures are out: €84M funded for 312 SMEs, default rate 3.1%. "
     "Full report at vlonder.nl/investor-relations 📈", tags=["published-results"])
case("en", pub("reddit", "u/crowdwatcher"),
     "Zaaigeld just announced 30 layoffs. Hope Vlonder is in better shape than that.",
     tags=["other-company"], kind="comment")
case("nl", pub("x", "@privacytip"),
     "Datalek bij Bruggeld (niet Vlonder, die concurrent). Check even of je daar een account had "
     "en wijzig je wachtwoord.", tags=["other-company", "password-word"])
# official notices
case("nl", V_HELP, "Storing: iDEAL-betalingen lopen vertraging op door een probleem bij een van de "
     "banken. We houden je hier op de hoogte.", tags=["official-notice"])
case("en", V_NL, "Scheduled maintenance Sunday 02:00–05:00 CET. app.vlonder.nl will be unavailable "
     "during that window.", tags=["official-notice"])
# negations and other senses
case("nl", pub("reddit", "u/oude_rot"),
     "5 jaar bij Vlonder, nooit een probleem gehad met uitbetalingen. Eén default, netjes "
     "afgehandeld met een deel terug.", tags=["negated"], kind="comment")
case("en", pub("x", "@happy_hamid"),
     "No complaints about Vlonder at all, support sorted my tax form within a day 🙌", tags=["negated"])
case("en", pub("reddit", "u/settingsnerd"),
     "Tip: the Vlonder app defaults to dark mode since the update, you can switch back under "
     "Settings > Display.", tags=["other-sense"], kind="comment")
case("nl", pub("x", "@bewust_belegd"),
     "Ik boycot al jaren fast fashion, daarom investeer ik via Vlonder in lokale ateliers 🧵",
     tags=["other-sense"])
case("nl", pub("reddit", "u/satirecheck"),
     "'Vlonder onder curatele' → nee hoor, dat was een aprilgrap van De Speld 😂 niks aan de hand",
     tags=["negated", "satire"], kind="comment", when="2026-04-01T12:15:00+02:00")
# fiction, jokes, quotes
case("nl", pub("blog", "schrijfhok.example"),
     "Hoofdstuk 7 van mijn roman: de boekhouder van het fictieve platform Kroosgeld ontdekt dat "
     "de directeur fraude pleegt. Wie wil meelezen?", tags=["fiction"])
case("en", pub("x", "@breadportfolio"),
     "My Vlonder portfolio is like my diet: diversified, but mostly bread. 3 bakeries lol 🥖",
     tags=["joke"])
case("nl", pub("threads", "@quotequeen"),
     "\"Money never sleeps\" — Gordon Gekko. Mijn rente bij Vlonder blijkbaar ook niet 😂",
     tags=["quote"])
case("nl", V_IG, "Trots dat we de campagne voor het inloophuis voor mensen met kanker in Amersfoort "
     "mogen hosten 💛 Al 80% opgehaald!", tags=["mild-word", "literal"])
# praise, questions, events
case("nl", pub("forum", "Vraagje_Vincent"),
     "Hoe werkt de belasting over rente uit Vlonder-leningen in box 3? Iemand ervaring mee?",
     tags=["question"])
case("en", pub("instagram", "@bakkerij_lente"),
     "Our bakery's expansion got 100% funded on Vlonder in 3 days!! Thank you to every single "
     "investor 🥐❤️", tags=["praise"])
case("nl", MH, "Interessante publicatie van de AFM over kredietrisico bij crowdfundingplatforms. "
     "Aanrader voor iedereen in de sector.", tags=["regulator-neutral"])
case("en", pub("linkedin", "eva-mulder-events"),
     "Panel tomorrow with speakers from Vlonder, Zaaigeld and the AFM on financing SMEs in uncertain "
     "times. See you in Utrecht!", tags=["event"])
case("en", BO, "We open-sourced our IBAN validation library 🎉 github.com/vlonder-oss/iban-check "
     "PRs welcome!", tags=["open-source"])
case("nl", V_NL, "Je jaaropgave 2025 staat klaar in je dashboard. Handig voor je aangifte 📄",
     tags=["official-notice"], when="2026-01-29T09:00:00+01:00")
case("en", JL, "Gave a talk on responsible disclosure at a meetup tonight. Our policy is at "
     "vlonder.nl/.well-known/security.txt — bounties for valid reports!", tags=["security-neutral"])
case("nl", pub("bluesky", "joris.bsky.social"),
     "Sinds ik via Vlonder in de lokale fietsenmaker heb geïnvesteerd krijg ik korting op mijn "
     "onderhoudsbeurt 😄 win-win", tags=["praise"])
case("en", pub("youtube", "@finance_with_fem"),
     "Great breakdown! I've had Vlonder for two years, 7% average, one late payment that got sorted. "
     "Solid.", tags=["praise"], kind="comment")
case("nl", YH, "Vandaag onze investor day gehad in Utrecht. Dank aan iedereen die kwam, de slides "
     "staan op vlonder.nl/investor-relations.", tags=["published-results"])
case("en", pub("telegram", "cf_nl_chat"),
     "Anyone joining the Vlonder webinar on diversification tonight? Heard they show the public "
     "default stats per sector.", tags=["question", "unknown-platform"])


# ===========================================================================
# building posts
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


def severity_for(role, cats, validated_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_id)) else "error"
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


def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def rand_time(r):
    day = r.randint(6, 355)
    local = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=day - 1, minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "twitter":
        return f"tw-{snow}", f"https://twitter.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        sub = r.choice(["beleggen", "thenetherlands", "DutchFIRE", "geldzaken"])
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-crowdpraat-{n}", f"https://forum.crowdpraat.example/topic/{n}"
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        v = "".join(r.choice(URLSAFE) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED * 7 + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = post_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated and PII in c["cats"])
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "vlonder"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 99).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent validation
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTTED_BSN = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,17}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b",
    r"\bsk_live_\w{20,}", r"\bSG\.[\w-]{22}\.[\w-]{43}", r"hooks\.slack\.com/services/", r"\bAIza[\w-]{35}",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"AccountKey=",
    r"://[^\s:/@]+:[^\s@/]+@")]
PLACEHOLDERS = {"AKIAIOSFODNN7EXAMPLE", "live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
PROFANE = ["kut", "kanker", "tyfus", "t y f u s", "trut", "sukkel", "debiel", "idiot", "moron", "clown",
           "muppet", "f*ck", "fuck", "wijf", "k\u0430nker"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def ibans_in(text):
    out = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]):
                out.append((comp[:end], True))
                break
        else:
            out.append((comp, False))
    return out


def phones_in(text):
    out = []
    for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31") or raw.startswith("0031"):
            d = "0" + d[2 if raw.startswith("+") else 4:].lstrip("0")
        out.append((raw, d))
    return out


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{1,2}$", s) else s.replace(".", "")
    return float(s)


def validate(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_phones = {"0307994410", "08008456"}
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    products = profile["products"]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), (w, f)
        assert isinstance(p["account"]["handle"], str)
        assert 1 <= len(p["id"]) <= 256
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", p["created_at"]), w
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        text = p["text"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        ids = [v for v, ok in ibans_in(text) if ok and v not in own_ibans]
        ids += [d for d in (re.sub(r"\D", "", m.group(0)) for m in DIGIT_RUN.finditer(text))
                if 13 <= len(d) <= 19 and luhn(d) and CARD_IIN.match(d)]
        bsn_shapes = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text)
        bsn_shapes += [m.group(0).replace(".", "") for m in DOTTED_BSN.finditer(text)]
        ids += [d for d in bsn_shapes if len(d) == 9 and elfproef(d)]
        want = severity_for(role, cats, PII in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} but policy gives {want}")
        if ids and PII not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k == "IBAN" and not iban_valid(raw):
                errors.append(f"{w}: IBAN invalid")
            if k == "CARD" and not luhn(raw):
                errors.append(f"{w}: card invalid")
            if k == "BSN" and not elfproef(raw):
                errors.append(f"{w}: BSN invalid")
            if k == "BAD_IBAN" and iban_valid(raw):
                errors.append(f"{w}: bad IBAN valid")
            if k == "BAD_CARD" and luhn(raw):
                errors.append(f"{w}: bad card valid")
            if k == "NOT_BSN" and (elfproef(raw) or luhn(raw)):
                errors.append(f"{w}: look-alike passes a checksum")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode())).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
            if k in VALID_KINDS and not ids:
                errors.append(f"{w}: valid {k} not found by scan")
        emails = [e for e in EMAIL_RE.findall(re.sub(r"://\S+", " ", text)) if e.casefold() not in own_emails]
        phones = [raw for raw, d in phones_in(text) if d not in own_phones and len(d) == 10]
        if (emails or phones) and PII not in cats:
            errors.append(f"{w}: personal contact data {emails + phones} without leak.pii")
        secrets = [m.group(0) for rx in SECRET_RES for m in rx.finditer(text) if m.group(0) not in PLACEHOLDERS]
        if secrets and SECRET not in cats:
            errors.append(f"{w}: secret-like {secrets[0][:16]} without leak.secret")
        if SECRET in cats and not secrets and not re.search(r"wachtwoord|pw\b|password", text, re.I):
            errors.append(f"{w}: leak.secret without a secret")
        nt, sq = norm(text), squash(text)
        for term in codenames + idomains + markers:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errors.append(f"{w}: internal term {term!r} without leak.confidential")
        for term, until in embargo:
            if (term in nt or term in sq) and ts < until and CONF not in cats:
                errors.append(f"{w}: embargo term {term!r} before embargo without leak.confidential")
            if (term in nt or term in sq) and ts >= until and CONF in cats and "embargo-after" in r["tags"]:
                errors.append(f"{w}: embargo-after tagged but labelled confidential")
        ment = [pr for pr in products if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
        if ment and amts:
            ratio = min(amts) / min(pr["list_price"] for pr in ment)
            if ratio < profile["pricing"]["alert_below_ratio"] and not cats and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign with product price ratio {ratio:.2f}")
        if not cats:
            low = norm(text)
            for wd in PROFANE:
                if re.search(r"\b" + re.escape(wd), low) and not ("mild-word" in r["tags"] and wd == "kanker"):
                    errors.append(f"{w}: benign with word {wd!r}")
            for d in (re.sub(r"\D", "", m.group(0)) for m in DIGIT_RUN.finditer(text)):
                if 13 <= len(d) <= 19 and luhn(d):
                    errors.append(f"{w}: benign with Luhn-valid {d}")
            for d in bsn_shapes:
                if elfproef(d):
                    errors.append(f"{w}: benign with 11-proof-valid {d}")
    # near-duplicate wording
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(len(ws) - 2)})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errors.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errors


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}, multi-category {multi}, evasion {ev}")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            print("cases.jsonl differs from the generator output")
            return 1
    errors = validate(lines, rows, profile)
    report(rows)
    for e in errors:
        print("ERROR", e)
    if errors:
        return 1
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
