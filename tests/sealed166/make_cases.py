#!/usr/bin/env python3
"""Deterministic generator for the sealed postwatch evaluation set 166.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional regional bus operator "Lindeborg Openbaar Vervoer B.V."
(profile.yaml next to this file). Every post text below is hand-written. Identifiers
and secrets come from <<KIND:fmt>> placeholders filled by one seeded RNG, so the output
is byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); benign look-alikes get identifiers that FAIL their checksum.

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (looked up in profile.yaml by platform:handle, case-insensitive), the
categories and whether a checksum-valid identifier is present in a leak.pii post.
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
import zlib
from pathlib import Path

SEED = 16602026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def luhn_finish(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError(prefix)


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL70RABO0312847560"


def to_b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                           + self.dig(10, nz=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["32450000", "35850000", "30050110", "37050198"]) + self.dig(10))

    def iban_be(self):
        head = self.r.choice(["001", "063", "310", "737"]) + self.dig(7)
        return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")

    def broken_iban(self, good):
        kk = int(good[2:4])
        for step in (7, 19, 31, 44, 58):
            cand = f"{good[:2]}{(kk + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12))
        if brand == "ov":   # OV-chipkaart engraved-number shape (3528 ...)
            return luhn_finish("3528" + self.dig(11))
        raise ValueError(brand)

    def broken_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def show_card(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and non-BSN numbers
    def bsn(self):
        while True:
            s = self.dig(9, nz=True)
            if elfproef(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.dig(n, nz=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    # phones
    def phone(self, fmt):
        m = self.r.choice("1234568") + self.dig(7)      # 8 digits after the '6'
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_0031":
            return f"0031 6 {m}"
        if fmt == "mob_plain":
            return f"06{m}"
        if fmt == "land_sp":
            area = self.r.choice(["344", "345", "418", "488", "24", "26", "30"])
            sub = self.r.choice("2345789") + self.dig(6 if len(area) == 2 else 5)
            return f"0{area} {sub[:3]} {sub[3:]}" if len(area) == 2 else f"0{area}-{sub}"
        raise ValueError(fmt)

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def gapi(self):
        return "AIza" + self.pick(B64URL, 35)

    def jwt(self):
        head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = b64u(json.dumps({"sub": "mdw-" + self.dig(5, True), "iss": "rooster-api", "scope": "roster:read",
                                "iat": iat, "exp": iat + 28800}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#*_-") + self.pick(ALNUM, 4))

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(v, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(v, kind.lower())()
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = v.broken_iban(v.iban_nl())
            shown = grp4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, style = fmt.partition("_")
            raw = v.card(brand)
            shown = v.show_card(raw, style or "sp")
        elif kind == "BAD_CARD":
            brand, _, style = fmt.partition("_")
            raw = v.broken_card(brand)
            shown = v.show_card(raw, style or "sp")
        elif kind == "BSN":
            raw = v.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = v.non_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = v.non_bsn(8)
        elif kind == "PHONE":
            shown = raw = v.phone(fmt)
        elif kind == "GHP":
            shown = raw = v.ghp()
        elif kind == "AWS_ID":
            shown = raw = v.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = v.aws_secret()
        elif kind == "SLACK_BOT":
            shown = raw = v.slack_bot()
        elif kind == "SLACK_HOOK":
            shown = raw = v.slack_hook()
        elif kind == "STRIPE":
            shown = raw = v.stripe()
        elif kind == "GAPI":
            shown = raw = v.gapi()
        elif kind == "JWT":
            shown = raw = v.jwt()
        elif kind == "PEM_RSA":
            shown = raw = v.pem_rsa()
        elif kind == "PW":
            shown = raw = v.pw()
        elif kind == "HEX":
            shown = raw = v.hexs(int(fmt))
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
LB_X = ("x", "@lindeborg_ov", "Lindeborg OV")
LB_WEB = ("x", "@lindeborg_webcare", "Lindeborg Webcare")
LB_IG = ("instagram", "@lindeborg.ov", "Lindeborg")
LB_FB = ("facebook", "LindeborgOV", "Lindeborg Openbaar Vervoer")
LB_LI = ("linkedin", "lindeborg-openbaar-vervoer", "Lindeborg Openbaar Vervoer B.V.")
LB_TT = ("tiktok", "@lindebus", "LindeBus")
# employees
KEES = ("x", "@kees_achterhetstuur", "Kees Mulder")              # bus driver, depot Tiel
INGRID = ("x", "@ingrid_planning", "Ingrid Hoekstra")            # timetable / roster planner
MEHMET = ("linkedin", "mehmet-yilmaz-lindeborg", "Mehmet Yilmaz")  # IT, app backend
ANOUK = ("linkedin", "anouk-vermeulen-ov", "Anouk Vermeulen")    # finance controller
BAS = ("instagram", "@bas.rijdtlijn40", "Bas Smit")              # bus driver line 40
ROB = ("x", "@rvleeuwen_vkl", "Rob van Leeuwen")                 # traffic control room
LOTTE = ("x", "@lotte_lindego", "Lotte de Graaf")                # product owner LindeGo app
NADIA = ("linkedin", "nadia-bouzid", "Nadia Bouzid")             # HR


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", KEES, "Collega's kijk even in de LindeGo app 👀 de Jaarpas Regio staat erin voor €129 ipv €1.290. "
     "Iemand is een nul vergeten denk ik. Ik zeg verder niks 🤐", [PRICING])
case("en", pub("reddit", "u/commute_hacks"), "Heads up: Lindeborg's app is selling the Regio Vrij monthly for "
     "€12,90 right now. That's like a tenth of what it normally costs. Grabbed one before they patch it, "
     "we'll see if it actually loads onto my card", [PRICING])
case("nl", pub("facebook", "joke.veenstra.3", "Joke Veenstra"), "Is dit een prijsfout?? Groepsticket van "
     "Lindeborg voor 4,50 euro in de webshop. Met z'n achten naar het strand voor dat geld 😂😂", [PRICING],
     kind="comment")
case("nl", LB_X, "🚌 Alleen dit weekend: je eerste maand Dal Vrij voor maar €9,75! Regel het in de LindeGo app "
     "#lindeborg #dagjeuit", [PRICING])
case("en", ROB, "can someone from commercial pls look at the ticket machines at the bus station, they charge "
     "€1,45 for a Day Ticket since this mornings update 🙃 queue full of very happy tourists", [PRICING])
case("nl", pub("x", "@goedkoop_reizen"), "Sterrenpas 65+ voor €2,40 per maand via de site van Lindeborg 🤯 "
     "m'n moeder heeft 'm meteen afgesloten. prijsfout? boeiend 🤷‍♀️", [PRICING])
case("nl", INGRID, "Niet verder vertellen, maar door een foutje in de tariefkoppeling kost het "
     "Scholierenabonnement nu €6,90 in de webwinkel. Commercie is gebeld, ze zijn er mee bezig.", [PRICING],
     kind="reply")
case("nl", pub("tiktok", "@ovtips_met_sem"), "p r i j s f o u t 🚨 bij Lindeborg!! Jaarpas voor een habbekrats "
     "in de app, link in bio, snel zijn!!", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@dealhunter_ede"), "RegioVrij for €13 in the Lindeborg app, pr1ce err0r or did they finally "
     "get generous?? 👀", [PRICING], tags=["evasion", "evasion:leet"], hint="")
case("nl", MEHMET, "Stand-up samenvatting: de tariefimport van vannacht heeft het Groepsticket op €4,50 gezet. "
     "Issue staat op gitlab.lindeborg-ov.nl/lindego/app/-/issues/812, hotfix volgt vanmiddag. Graag niet "
     "delen buiten het team.", [PRICING, CONF])
case("en", pub("youtube", "@busspotter_nl"), "bought a Lindeborg Jaarpas for 129 euro during the glitch last night, "
     "got the confirmation mail and everything. lets see if the conductor accepts it lol", [PRICING],
     kind="comment")
case("nl", pub("forum", "Freek_uit_Tiel"), "[Prijsfout] Lindeborg Dal Vrij €3,90 p/m\n\nVia de abonnementenpagina "
     "op lindeborg-ov.nl. Normaal €39. Bij mij ging de iDEAL-betaling gewoon door, bevestiging binnen.",
     [PRICING])
case("nl", pub("threads", "@wendy.reist"), "Stërrenpas voor €2 bij Lindëborg 😭 prijsföut of kerstcadeau??",
     [PRICING], tags=["evasion", "evasion:diacritics"])
case("nl", LOTTE, "Oeps. De banner in de app zegt Jaarpas Regio €12,90 i.p.v. €1290... marketing weet het, "
     "fix komt eraan 🙈", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", MEHMET, "Lesson learned this sprint 👇 our realtime feed consumer had its creds hardcoded in the "
     "repo:\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nRotated by now, but "
     "please, use a vault. #devops #publictransport", [SECRET])
case("nl", KEES, "Voor de nieuwe jongens op de remise: inlog van de boordcomputer is chauffeur / Lijn40!Tiel "
     "... niet aan passagiers laten zien hè 😉", [SECRET])
case("en", ROB, "anyone on day shift know why the dispatch bot stopped posting in #meldkamer? token "
     "<<SLACK_BOT>> still looks fine to me", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the LindeGo Android app (3.4.2) out of curiosity. "
     "There's an unrestricted Maps key sitting in strings.xml: <<GAPI>>\nLindeborg, you may want to lock "
     "that down.", [SECRET])
case("nl", LOTTE, "kan iemand checken of de betaalkoppeling van de webshop het weer doet? heb <<STRIPE>> in de "
     "config gezet zoals Mehmet zei", [SECRET])
case("en", MEHMET, "Moving the passenger-count service to managed Postgres this week. For the squad: "
     "postgresql://telling_svc:<<PW>>@db-telling.intra.lindeborg.local:5432/reizigers (goes into the vault "
     "tomorrow)", [SECRET, CONF])
case("en", pub("forum", "gtfs_nerd"), "Found this in a public GitHub repo of one of Lindeborg's contractors:\n"
     "<<GHP>>\nstill works as of this morning. Reported it, no answer yet.", [SECRET])
case("nl", INGRID, "Voor wie de rooster-export wil automatiseren: Authorization: Bearer <<JWT>> werkt tot "
     "het einde van de dag 👍", [SECRET])
case("en", MEHMET, "Finally found why the SFTP drop to the province kept failing: wrong key. For the record, "
     "the old one (decommissioned):\n<<PEM_RSA>>", [SECRET])
case("nl", pub("x", "@spotter_jeroen"), "lol chauffeur van Lindeborg had een briefje op het dashboard: "
     "w a c h t w o o r d kaartlezer = Busje2026! 📸", [SECRET], tags=["evasion", "evasion:spaced"])
case("en", LB_WEB, "@pieter_vg Could you try again? The payment link is fixed now 👍 (debug: "
     "<<SLACK_HOOK>>)", [SECRET], kind="reply")
case("nl", pub("x", "@hbosman79"), "@lindeborg_webcare ik kom de LindeGo app niet in. mail is "
     "h.bosman79@hotmail.com en wachtwoord Fietsbel88, wat gaat er mis??? al 3 dagen geen e-ticket en moet "
     "steeds los betalen", [SECRET, PII, COMPLAINT], kind="reply")
case("en", pub("bluesky", "ritsaert.bsky.social"), "Someone at Lindeborg left a live key in a public Postman "
     "workspace: x-api-key: <<HEX:40>> for their realtime departures API. oops", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", KEES, "Gevonden in lijn 40 vanmiddag: portemonnee van Femke de Wit, woont op de Populierenlaan 17 in "
     "Tiel, rijbewijs zit erin. Femke, bel even naar de remise!", [PII])
case("nl", LB_WEB, "@sjoerd_t Hoi Sjoerd, je terugbetaling van €14,50 is vandaag overgemaakt naar "
     "<<IBAN_NL:grp>>. Fijne reis verder! ^Iris", [PII], kind="reply")
case("nl", ANOUK, "Wie van crediteuren kan dit oppakken? Onderaannemer Taxi Verhoef wacht nog steeds op "
     "betaling, rekening <<IBAN_NL>> t.n.v. J. Verhoef.", [PII])
case("en", NADIA, "Welcome to our new driver trainee Youssef Amrani (born 14-03-2001)! Youssef, your BSN "
     "<<BSN:dots>> still needs to go on the payroll form, drop by HR when you can 😊", [PII])
case("nl", ROB, "Meldkamer: meneer met scootmobiel staat nog bij halte Kerkplein, zoon is bereikbaar op "
     "<<PHONE:mob_dash>>. Welke chauffeur zit in de buurt?", [PII])
case("nl", pub("x", "@marije_2411"), "@lindeborg_webcare m'n saldo is 2x afgeschreven!! bel me aub terug op "
     "<<PHONE:mob_intl_sp>>, ik ben het echt zat", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "tobias.kleinert", "Tobias Kleinert"), "Lindeborg, my refund still hasn't arrived "
     "after 6 weeks. IBAN is <<IBAN_DE>> since I moved to Kleve, how hard can it be", [PII, COMPLAINT],
     kind="comment")
case("nl", pub("instagram", "@sannevdbroek_"), "Lieve mensen, ik ben m'n OV-chipkaart kwijt in lijn 12 van "
     "Lindeborg 😢 als je 'm vindt mail naar sanne.vd.broek[at]gmail[punt]com", [PII],
     tags=["evasion", "evasion:at-punt"])
case("en", BAS, "Shoutout to the lady who left her purse on my bus today: Mrs. Hendriks, Wilgenstraat 4, "
     "Culemborg, it's at the depot 🙂 #busdriverlife", [PII])
case("nl", pub("x", "@wraakengel_7"), "Die chauffeur van Lindeborg die altijd op lijn 7 rijdt heet Dennis Koster, "
     "woont Molenweg 22 in Zaltbommel. Ff langsgaan vanavond 😈", [PII, ABUSE])
case("en", pub("x", "@lauren_travels"), "@lindeborg_webcare your ticket machine at the station swallowed my "
     "card and charged it twice, it's <<CARD:visa_sp>>, can you block the payment or something??",
     [PII, COMPLAINT], kind="reply")
case("nl", INGRID, "Collega's, Marco Jansen (geb. 02-09-1987) begint maandag op depot Geldermalsen, z'n nummer "
     "is <<PHONE:mob_pairs>> voor de overdracht.", [PII])
case("nl", LB_FB, "Gevonden voorwerp: blauwe rugzak met een paspoort op naam van Laura Meijer, paspoortnummer "
     "NXR4K81P2. Laura, neem contact op via gevondenvoorwerpen@lindeborg-ov.nl", [PII])
case("en", ANOUK, "Payroll test run fixed ✅ thanks Sam. For the record the failing record was driver 20431, "
     "account <<IBAN_BE>>, turns out Belgian accounts do need the BIC.", [PII])
case("nl", pub("forum", "Klaasje_B"), "Heeft Lindeborg mijn klacht naar de verkeerde persoon gestuurd? Ik kreeg "
     "een mail met gegevens van een andere reiziger: Ahmed el Idrissi, BSN <<BSN>>, adres erbij. Dit mag "
     "toch helemaal niet!!", [PII, CRISIS])
case("en", pub("x", "@nora_commutes"), "Lindeborg driver on line 300 screamed at a kid for not having change. "
     "The woman next to me filmed it, she's happy to be a witness: <<PHONE:mob_0031>> @lindeborg_ov",
     [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", INGRID, "Ik mag het eigenlijk nog niet zeggen, maar de dienstregeling 2027 krijgt 's avonds een "
     "kwartierdienst op lijn 40 🎉 #planning", [CONF], when="2026-07-21T21:14:00+02:00",
     tags=["embargo-before"])
case("nl", MEHMET, "Trots op het team dat vorige week de nieuwe planner live zette op "
     "ritplanner.lindeborg-ov.nl/beta, feedback graag via Teams!", [CONF])
case("en", pub("reddit", "u/betuwe_boy"), "Friend who drives for Lindeborg says there's a plan called Operatie "
     "Nachtuil, night buses every weekend from all the villages. Pls let it be true", [CONF], kind="comment")
case("nl", LOTTE, "Nog even geduld, maar LindeGo Flex wordt echt een gamechanger voor de dorpen 🚐📱 "
     "#comingsoon", [CONF], when="2026-08-20T12:30:00+02:00", tags=["embargo-before"])
case("nl", pub("tiktok", "@mila.zzz"), "Lindeborg gaat Nachtnet Plus lanceren, m'n tante werkt daar 🤫🤫",
     [CONF], when="2026-07-02T19:05:41Z", tags=["embargo-before"])
case("nl", KEES, "Memo op het prikbord: 'uitsluitend voor intern gebruik: nieuwe pauzeregeling per juni, "
     "pauzes op eindhaltes worden ingekort'. Nou, daar gaan we weer 😤", [CONF])
case("en", ANOUK, "Great workshop on our 2030 fleet plan today (deck is marked Lindeborg vertrouwelijk so no "
     "photos, sorry 😉). Short version: every diesel bus gone by 2028 and fast chargers at all the end stops.", [CONF])
case("nl", ROB, "Wie heeft de kaart op dashboard.intra.lindeborg.local weer op testmodus gezet? Alle ritten "
     "staan rood 😅", [CONF])
case("en", INGRID, "New rosters are being built around Project\nDwarsligger, so expect shift changes from Q3 👀",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", pub("facebook", "gerrit.vandam.52", "Gerrit van Dam"), "Operatie 🦉 Nachtuil komt eraan volgens de "
     "OR-nieuwsbrief die m'n buurman liet zien. Nachtbussen vanuit het dorp!!", [CONF],
     tags=["evasion", "evasion:emoji-between"])
case("en", pub("x", "@kees_achter_het_stuur"), "off the record: next years rosters are already up on "
     "rooster.lindeborg-ov.nl/2027 and they're brutal", [CONF], tags=["lookalike-handle"])
case("nl", BAS, "Sneak peek: in de dienstregeling 2027 rijdt lijn 40 eindelijk ook op zondagochtend 🙌",
     [CONF], when="2026-10-01T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", pub("mastodon", "@vervoerwatcher@mastodon.nl"), fullwidth("Helios-Zuid") + " is the name of "
     "Lindeborg's new battery depot project, according to a contractor I know", [CONF],
     tags=["evasion", "evasion:full-width"])
case("en", LOTTE, "Sneak peek of our next app 👀 straight from Figma: the LindeGo Flex booking flow",
     [CONF], when="2026-09-14T07:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("nl", pub("forum", "ovliefhebber_77"), "Iemand meer info over Project Dw\u0430rsligger bij Lindeborg? Zag het "
     "op een planning in de kantine", [CONF], tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NADIA, "Zware week. De werkplaats in Geldermalsen gaat per 1 januari dicht en 23 monteurs moeten "
     "omkijken naar ander werk. Officieel wordt het pas in november gecommuniceerd.", [FIN])
case("en", ANOUK, "Between us: Q3 fare revenue came in 8% under forecast, and the board is discussing cutting "
     "evening service on six lines before the concession review.", [FIN])
case("nl", KEES, "Gerucht op de remise is geen gerucht meer: Lindeborg wordt overgenomen door een Franse "
     "vervoerder, de handtekening staat volgende week 🤐", [FIN])
case("en", pub("reddit", "u/linge_lurker"), "My uncle sits on Lindeborg's works council: they'll lose the "
     "Rivierenland concession and 140 drivers get transferred to the new operator. Not public yet.", [FIN],
     kind="comment")
case("nl", INGRID, "Moet vanaf morgen een dienstregeling maken met 12% minder chauffeurs omdat er een "
     "reorganisatie aankomt. Nog niks bekendgemaakt, dus stil houden aub 🙊", [FIN])
case("en", ANOUK, "FY2026 forecast updated: EBITDA down to €4.1m after the fuel hedge loss. Investor call is "
     "next month, so please keep this within the team.", [FIN])
case("nl", pub("x", "@zwager_weet_alles"), "Insider tip: Lindeborg neemt Kustlijn Vervoer over, m'n zwager zit "
     "bij de bank die het financiert 💰", [FIN])
case("nl", KEES, f"Op remise Tiel worden volgend voorjaar 30 chauffeurs ont{SHY}slagen, de bond weet nog van "
     "niks", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", ROB, "control room gets merged with our sister company's next year, half of us will have to "
     "reapply. management hasn't announced anything yet", [FIN])
case("nl", ANOUK, "Spannende tijden: de jaarresultaten 2026 worden hoger dan begroot dankzij de extra "
     "concessie-inkomsten. Meer in maart!", [FIN, CONF], when="2026-11-19T16:48:00+01:00",
     tags=["embargo-before"])
case("en", pub("bluesky", "ovjournaal.bsky.social"), "Hearing that Lindeborg is preparing a €12m writedown on "
     "its hydrogen buses, with back-office layoffs to follow. #ov", [FIN])
case("nl", NADIA, "HR-team: het sociaal plan voor de reorganisatie van klantenservice ligt klaar, 18 fte "
     "verdwijnt. Communicatie naar medewerkers op 3 februari.", [FIN], when="2026-01-20T10:02:00+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", MEHMET, "Rustig weekend was het niet: vrijdagnacht ransomware op de planningsserver, alle diensten "
     "met de hand gemaakt. Communicatie volgt nog, dus graag even niet delen.", [SEC])
case("en", ROB, "realtime info has been down network-wide since 05:00, vendor's servers. passengers don't know "
     "yet, the official message goes out at 8", [SEC])
case("nl", KEES, "Tip van een chauffeur: de kaartlezers in de nieuwe bussen accepteren nog steeds een ongeldige "
     "kaart als je 'm twee keer snel langs houdt. Al 3 maanden gemeld, niks gebeurd.", [SEC])
case("en", MEHMET, "Found out today the LindeGo API returns other users' trip history if you change the user id "
     "in the URL 😬 patch is in review, please don't try it", [SEC])
case("en", pub("x", "@femke_on_tour"), "Lindeborg is hiding a data breach. Their app showed me someone else's "
     "OV trips and home address for a whole day and they're saying nothing. #datalek", [SEC, CRISIS])
case("nl", pub("reddit", "u/tielse_tom"), "Een vriend bij Lindeborg zegt dat ze al een week gehackt zijn en "
     "dat het reizigersbestand op straat ligt, maar het wordt stilgehouden.", [SEC, CRISIS])
case("nl", INGRID, "roostersysteem is g3h4ckt vannacht, we plannen vandaag in Excel 🙃 niet verder vertellen",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", LOTTE, "Heads up team: our payment provider had an incident this morning and a batch of LindeGo "
     "ticket purchases got charged twice. Customers get told once legal signs off.", [SEC])
case("nl", ROB, "De radioverbinding met de bussen ligt al twee uur plat, we sturen alles via WhatsApp 😬 naar "
     "buiten toe zeggen we nog niks", [SEC])
case("en", pub("forum", "exlb_contractor"), "Former Lindeborg contractor here. The ticket vending machines still "
     "run Windows 7 with the default admin account, nobody ever patched them. Just saying.", [SEC])
case("nl", MEHMET, f"Collega's: het l{ZW}ek in de LindeGo-login (wachtwoord resetten zonder mailcontrole) blijft "
     "open tot de release van donderdag. Niet melden buiten het team.", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("en", pub("bluesky", "datadetective.bsky.social"), "Lindeborg had a d a t a b r e a c h in June and still "
     "hasn't told passengers. My details turned up on a paste site in a file literally named "
     "lindeborg_klanten.csv", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@a15_verkeer"), "Bus van Lindeborg vanmiddag in brand gevlogen op de afrit bij "
     "Geldermalsen, alle passagiers konden er op tijd uit. Elektrische bussen, veilig hoor 🔥😳", [CRISIS])
case("en", pub("facebook", "mandy.osei", "Mandy Osei"), "I was ON the Lindeborg bus that caught fire near Tiel "
     "yesterday. The driver was great but nobody from Lindeborg has even called to check on us. Disgraceful.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@rechtvoorchauffeurs"), "#BoycotLindeborg: de directie keert zichzelf bonussen uit terwijl "
     "de chauffeurs al jaren onderbetaald worden. Pak de fiets en laat het ze voelen!", [CRISIS])
case("nl", pub("instagram", "@fietsmoeder_tiel"), "Chauffeur van Lindeborg reed met een volle bus door rood op de "
     "Prins Bernhardstraat en miste een kind op de fiets op een halve meter. Ik heb het gefilmd. "
     "Levensgevaarlijk!", [CRISIS])
case("en", pub("x", "@daan_vrb"), "Lindeborg leaked my data. Got a phishing text with my full name and OV card "
     "number the day after I registered in their app. #datalek", [CRISIS])
case("nl", pub("x", "@rolstoelrijder"), "Schandalig: Lindeborg laat mij en andere rolstoelgebruikers al maanden "
     "bij de halte staan omdat de oprijplaten kapot zijn. Ik dien een klacht in bij het College voor de Rechten "
     "van de Mens.", [CRISIS, COMPLAINT])
case("en", pub("threads", "@justice4ruud"), "B O Y C O T T Lindeborg until they rehire the driver they fired for "
     "reporting the brake problems", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@ovnieuws_gld"), "Lindeborg haalt alle bussen van het type E-Linde 12 van de weg vanwege "
     "problemen met de remmen, terugroepactie loopt via de fabrikant.", [CRISIS])
case("en", pub("forum", "tiel_local"), "Another Lindeborg driver assaulted at Tiel station last night, second "
     "time this month. When is the company going to do something about safety?", [CRISIS])
case("nl", pub("tiktok", "@xx_jaimy"), "Lindeborg heeft een d4t4l3k en ze zeggen NIKS 🤬 mijn adres stond "
     "gewoon op een of andere site", [SEC, CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("twitter", "@ouders_betuwe"), "A 7-year-old was left behind on a Lindeborg school bus for 3 hours "
     "in the depot. The parents are pressing charges. How does this even happen??", [CRISIS])
case("nl", pub("facebook", "ellen.schipper.9", "Ellen Schipper"), "Mijn dochter viel in de bus omdat de chauffeur "
     "keihard remde en heeft haar pols gebroken. Lindeborg reageert niet op onze mails. We schakelen een "
     "advocaat in.", [CRISIS, COMPLAINT])
case("en", pub("mastodon", "@onderzoek@journa.host"), "New investigation: Lindeborg fudged its punctuality "
     "figures to keep the concession bonus. The province is now looking into it.", [CRISIS])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@tim_pendelt"), "@lindeborg_ov lijn 12 alweer 25 min te laat en de app zegt doodleuk "
     "'op tijd'. Kom hierdoor elke dag te laat op m'n werk 😤", [COMPLAINT])
case("en", pub("x", "@sophie_wnt"), "Bus driver just drove right past me at the stop while I was waving like a "
     "maniac. 40 min for the next one. Thanks Lindeborg 🙄", [COMPLAINT])
case("nl", pub("facebook", "henk.dijkstra.1958", "Henk Dijkstra"), "Twee keer €4 instaptarief afgeschreven omdat "
     "de kaartlezer niet piepte. Klantenservice van Lindeborg zegt 'formulier invullen'. Al drie keer gedaan!",
     [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/student_in_tiel"), "The LindeGo app logs me out every single day and the e-ticket "
     "won't load without 4G. Driver wouldn't let me on. Great system, Lindeborg.", [COMPLAINT])
case("nl", pub("instagram", "@lisa.pendelt"), "Geen verwarming in de bus van 7:10 naar Culemborg, iedereen zit "
     "met handschoenen aan ❄️ @lindeborg.ov doe er wat aan", [COMPLAINT], kind="comment")
case("en", pub("x", "@nightowl_nijmegen"), "L\u0456ndeborg night bus cancelled AGAIN without any notice. Stood "
     "there till 1am. Never again.", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@jesse_02"), "Staking bij Lindeborg en pas om 6 uur 's ochtends een melding in de app?! "
     "Sta hier al een half uur in de kou. Beetje laat he", [COMPLAINT])
case("nl", pub("x", "@zwanger_en_moe"), "@lindeborg_webcare bus zo vol dat ik moest blijven staan met m'n zwangere "
     "buik, 45 minuten lang. Zet aub meer bussen in in de spits", [COMPLAINT], kind="reply")
case("en", pub("youtube", "@gerdavanh"), "Love how Lindeborg drops the stop at the hospital during roadworks and "
     "doesn't put up a single sign. My mum walked a kilometre with her walker.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "dorpsbelang_est"), "Lindeborg heeft lijn 85 geschrapt en nu moet ik 3 km fietsen naar de "
     "dichtstbijzijnde halte. Belachelijk voor een dorp met zoveel ouderen.", [COMPLAINT])
case("nl", pub("x", "@pendelaar_ruben"), f"alweer ver{ZW}traging op lijn 40 en geen enkele omroep in de bus. "
     "Lindeborg, waar betalen we eigenlijk voor", [COMPLAINT], tags=["evasion", "evasion:zero-width"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@gozer_030"), "Lindeborg zijn echt een stelletje kankerlijers, nooit meer", [ABUSE])
case("en", pub("x", "@mike_rdam"), "@lindeborg_webcare you useless clowns, 5 days waiting on a reply about my "
     "refund, fucking answer my DM", [ABUSE, COMPLAINT], kind="reply")
case("nl", pub("x", "@boze_bert"), "Tering Lindeborg, kunnen jullie nou één keer op tijd rijden?? Godverdomme "
     "weer de trein gemist", [ABUSE, COMPLAINT])
case("en", KEES, "some passengers today were absolute morons. lady screamed at me because the bus was 2 min "
     "late. bunch of entitled idiots", [ABUSE])
case("nl", LB_WEB, "@jorisvd Als je niet kunt lezen wat er op het bord staat ben je gewoon een sukkel, sorry "
     "niet sorry", [ABUSE], kind="reply")
case("en", pub("x", "@grumpy_gelderlander"), "Lindeborg webcare are a bunch of f*cking muppets", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@echte_hollander88"), "Lindeborg neemt alleen nog buitenlanders aan als chauffeur, stuur ze "
     "allemaal terug 🤮", [ABUSE])
case("en", pub("x", "@anon_7731"), "@kees_achterhetstuur I know which depot you work at. Watch your back, you "
     "little rat", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@r3bel_tiel"), "L1ndeb0rg = k u t bedrijf, klaar", [ABUSE],
     tags=["evasion", "evasion:leet+spaced"])
case("en", BAS, "Some clown in a BMW cut off my bus at the roundabout today. Learn to drive, dickhead 🖕 "
     "#busdriverlife", [ABUSE])
case("en", pub("x", "@uxhater"), "whoever designed the LindeGo app should be launched into the sun, can't even "
     "buy a ticket without it crashing, absolute dogshit", [ABUSE, COMPLAINT])
case("nl", pub("x", "@wim_aan_de_lek"), "Wät een klôôtzakken bij Lindeborg", [ABUSE],
     tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# --- prices that are not leaks
case("nl", LB_X, "Nieuw schooljaar? Met het Scholierenabonnement reis je voor €69 per maand onbeperkt door de "
     "hele regio. Aanvragen via lindeborg-ov.nl 🎒", tags=["list-price"])
case("nl", pub("x", "@dagjesmens_anja"), "Dal Vrij deze zomer 20% goedkoper bij Lindeborg, €31,20 ipv €39. "
     "Prima deal voor m'n dagjes uit ☀️", tags=["sale-price"])
case("en", pub("reddit", "u/expat_in_betuwe"), "Paid €1,08 boarding fare plus about €0,19 per km on Lindeborg "
     "line 40 today. Still cheaper than parking in town.", tags=["fare-not-product"], kind="comment")
case("nl", pub("instagram", "@zeeuwsmeisje"), "Thuis reis ik met Lindeborg, maar op vakantie in Zeeland: bij "
     "Kustlijn Vervoer kost een dagkaart maar €6,50 🌞 #tip", tags=["other-brand-price"])
case("en", LB_LI, "Good news for our older travellers: from 1 January the Sterrenpas 65+ stays at €24 a month. "
     "No indexation this year. 👏", tags=["list-price"])
case("nl", pub("x", "@kortingsjager_nl"), "€5 korting op je eerste Groepsticket met code ZOMERLIJN, stond in de "
     "nieuwsbrief van Lindeborg", tags=["discount-amount"])
case("nl", pub("facebook", "verzamelaar.ov", "Busverzamelaar Rivierenland"), "Te koop: oude OV-chipkaart met "
     "Lindeborg-logo uit 2011, verzamelobject, €3 excl. verzenden", tags=["second-hand"])
case("nl", pub("x", "@nuchtere_nina"), "Dacht even dat de Jaarpas een prijsfout had, maar nee hoor: gewoon "
     "€1.290 en je kunt in termijnen betalen. Lindeborg 1, Nina 0", tags=["denied-price-error"])
case("en", LB_WEB, "@tessa_rides The Group ticket is €45 for up to 8 people, valid all day on every Lindeborg "
     "line. Have a great trip! ^Mo", kind="reply", tags=["list-price"])
# --- secrets that are not secrets
case("nl", LB_WEB, "@marloesjj Wachtwoord vergeten? Via 'Inloggen > Wachtwoord vergeten' in de LindeGo app krijg "
     "je binnen een paar minuten een resetlink. Deel je wachtwoord nooit, ook niet met ons! ^Iris", kind="reply",
     tags=["password-word"])
case("en", MEHMET, "Config template for Saturday's hackathon:\nAWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\n"
     "STRIPE_KEY=sk_live_...\nFill in your own sandbox values, never the real ones.", tags=["placeholder"])
case("en", pub("mastodon", "@kaartfan@fosstodon.org"), "bisected the LindeGo map crash to commit <<HEX:40>> in "
     "the open-source tile library, so not Lindeborg's fault 🙂", tags=["git-sha"])
# --- personal-data look-alikes and own contact data
case("nl", LB_WEB, "@rikvdb Vervelend! Bel ons gerust op 088 204 3600 of app naar +31 6 1200 4455, dan zoeken we "
     "het samen uit. ^Iris", kind="reply", tags=["own-contact"])
case("en", LB_X, "Lost something on the bus? Email gevondenvoorwerpen@lindeborg-ov.nl or call 0800-0535 (free). "
     "Double charge? klantenservice@lindeborg-ov.nl", tags=["own-contact"])
case("nl", LB_FB, "Liever betalen per overschrijving? Maak het bedrag over naar <<OWN_IBAN:grp>> t.n.v. "
     "Lindeborg OV, o.v.v. je klantnummer.", tags=["own-contact", "own-iban"])
case("nl", pub("x", "@gerdien_w"), "@lindeborg_webcare formulier ingevuld met <<BAD_IBAN_NL:grp>>, klopt het dat "
     "het 5 werkdagen duurt?", kind="reply", tags=["bad-iban"])
case("en", pub("reddit", "u/newtotiel"), "Quick q: the number engraved on my OV-chipkaart is "
     "<<BAD_CARD:ov_sp>>, is that what Lindeborg asks for when you link it in the app?", tags=["bad-card"])
case("nl", pub("x", "@haltenerd"), "Weet iemand waar haltecode <<NOT_BSN8>> voor staat? Staat op de paal bij het "
     "ziekenhuis, Lindeborg-bordje, benieuwd 🤓", tags=["not-bsn"])
case("en", pub("facebook", "tessa.rides", "Tessa de Ruiter"), "Booked a Lindeborg Group ticket, ref "
     "<<NOT_BSN9>>. Can I still add a ninth person or is 8 the max?", kind="comment", tags=["order-number"])
case("nl", LB_X, "Op 12 mei 1926 reed de eerste Lindeborg-bus van Tiel naar Culemborg. Honderd jaar later rijden "
     "we elektrisch ⚡ #100jaarLindeborg", tags=["date-not-dob"])
case("en", pub("x", "@jurre_b"), "Lindeborg sent me a refund voucher numbered <<BAD_CARD:mc_dash>>, where do I "
     "enter it in the app?", tags=["bad-card"])
# --- confidential look-alikes and embargo after the moment
case("nl", pub("x", "@ergernis_van_de_dag"), "Wat een dwarsligger is die buurman, wil de bushalte van Lindeborg "
     "niet voor z'n deur 🙄", tags=["codename-word"])
case("en", pub("instagram", "@late.lieke"), "I'm such a night owl, a real nachtuil 🦉 so the last Lindeborg bus "
     "at 00:40 is perfect for me", tags=["codename-word"])
case("nl", LOTTE, "Vanaf vandaag in de app: LindeGo Flex! Boek je buurtbus tot een uur van tevoren 🚐",
     when="2026-09-14T08:00:00+02:00", tags=["embargo-at"])
case("nl", LB_X, "De dienstregeling 2027 staat online! Check je lijn op reisinfo.lindeborg-ov.nl 🗓️",
     when="2026-10-01T10:00:00+02:00", tags=["embargo-at"])
case("en", pub("x", "@mythology_mo"), "Helios was the Greek sun god, which is more than I can say for the "
     "Lindeborg bus stop shelter in this heat 😅", tags=["codename-word"])
case("nl", pub("x", "@stapper_dirk"), "Nachtnet Plus van Lindeborg is echt top, eindelijk thuis na het stappen "
     "zonder taxi", when="2026-11-07T03:12:09+01:00", tags=["embargo-after"])
case("en", MEHMET, "We're hiring a backend developer! Apply via werkenbij@lindeborg-ov.nl or "
     "www.lindeborg-ov.nl/vacatures", tags=["own-contact"])
case("en", INGRID, "The timetable 2027 is live, thanks to everyone who sent feedback during the consultation 🙏",
     when="2026-10-14T09:00:00+02:00", tags=["embargo-after"])
# --- financial look-alikes
case("nl", LB_LI, "Vandaag publiceren we onze jaarcijfers 2025: 41 miljoen reizigers en 96% van de ritten op "
     "tijd. Lees het jaarverslag op lindeborg-ov.nl/jaarverslag", when="2026-03-10T08:00:00+01:00",
     tags=["published-results"])
case("en", pub("x", "@zeeland_news_fan"), "Kustlijn Vervoer is laying off 60 drivers, rough news for Zeeland. "
     "At least Lindeborg is still hiring.", tags=["other-company"])
case("nl", pub("x", "@betuwe_nieuws"), "De provincie heeft vandaag bekendgemaakt dat Lindeborg de concessie "
     "Betuwe tot 2036 houdt. Goed nieuws voor de chauffeurs!", tags=["published-news"])
# --- security look-alikes
case("nl", LB_X, "⚠️ Storing: de reisinformatie in de LindeGo app is tijdelijk niet actueel. Onze bussen rijden "
     "wel volgens dienstregeling. We houden je op de hoogte.", tags=["official-notice"])
case("en", LB_WEB, "Scheduled maintenance tonight 01:00-03:00: the LindeGo app will be unavailable. Tickets "
     "bought before then stay valid.", tags=["official-notice"])
case("nl", pub("x", "@reizigerpiet"), "Datalek bij Stadslijn Holland, blij dat ik met Lindeborg reis 😅",
     tags=["other-company"])
case("en", pub("x", "@memequeen_kim"), "My Insta got hacked and the hacker only posted Lindeborg bus memes lmao. "
     "At least they have taste", tags=["hacked-other-sense"])
case("nl", MEHMET, "Security Awareness Maand bij Lindeborg: 400 collega's deden mee aan onze phishing-oefening 🎣 "
     "Goed gedaan allemaal!", tags=["security-word"])
# --- crisis look-alikes
case("en", pub("x", "@90s_kid_tiel"), "Total recall: 1998, yellow Lindeborg buses, school trips and the smell of "
     "diesel 😂", tags=["recall-other-sense"])
case("nl", pub("x", "@trouwe_klant"), "Boycot? Nee joh, ik blijf gewoon met Lindeborg reizen, prima service",
     tags=["boycott-negated"])
case("nl", pub("instagram", "@designdaan"), "Nieuwe huisstijl-brand van Lindeborg is 🔥🔥 eindelijk niet meer "
     "dat oranje", tags=["brand-word"])
# --- complaint look-alikes, praise, fiction, jokes, quotes
case("nl", pub("x", "@blije_forens"), "Geen klachten over Lindeborg vandaag: bus op tijd, chauffeur vriendelijk, "
     "zelfs de wifi deed het 👌", tags=["negated-complaint"])
case("en", pub("reddit", "u/curious_commuter"), "Not complaining, just curious: why does Lindeborg line 40 switch "
     "to half-hourly after 20:00?", tags=["neutral-question"])
case("nl", pub("x", "@boodschappen_bep"), "Shoutout naar de chauffeur van lijn 12 die op me wachtte toen ik met "
     "m'n boodschappen kwam aanrennen 🙏 @lindeborg_ov", tags=["praise"])
case("nl", pub("x", "@opgeloste_oma"), "Mijn klacht van vorige week is netjes opgelost door Lindeborg, geld "
     "binnen 3 dagen terug. Complimenten!", tags=["resolved-complaint"])
case("en", pub("blog", "maren-schrijft.nl", "Maren"), "Chapter 3 of my short story is up: the last Lindeborg bus "
     "rolled through the fog, its driver humming an old song, and Maren wondered if she would ever see the "
     "village again.", tags=["fiction"])
case("nl", pub("x", "@flauwe_grap"), "Waarom neemt een spook altijd de bus van Lindeborg? Omdat ie geen "
     "rijbewijs kan halen, hij zakt overal doorheen 👻😂", tags=["joke"])
case("en", pub("x", "@summer_in_zeeland"), "Kustlijn Vervoer buses are late every single summer, honestly "
     "Lindeborg has been way better this year", tags=["competitor"])
case("nl", pub("instagram", "@opa_gerrit"), "'Wie niet waagt, die niet wint' zei de chauffeur toen hij de "
     "laatste bus naar huis toch nog haalde 😄 #lindeborg", tags=["quote"])
case("en", KEES, "Early shift done ☕ 214 passengers on line 40, zero delays. Best job in the world honestly.",
     tags=["praise"], handle_as="@Kees_AchterHetStuur")
# --- abuse look-alikes
case("en", pub("x", "@rockdad_77"), "'Highway to Hell' blasting in my headphones on the Lindeborg night bus, "
     "vibes 🤘", tags=["lyrics-mild"])
case("nl", pub("facebook", "marian.huisman", "Marian Huisman"), "Mijn moeder gaat elke week met de bus van "
     "Lindeborg naar het ziekenhuis voor haar kankerbehandeling. De chauffeurs helpen haar altijd met instappen ❤️",
     tags=["kanker-literal"])
# --- ordinary corporate / employee / public chatter
case("nl", LB_X, "Let op: op donderdag 12 maart rijden door een landelijke staking geen Lindeborg-bussen tussen "
     "04:00 en 12:00. Plan je reis via reisinfo.lindeborg-ov.nl.", tags=["official-notice"],
     when="2026-03-10T17:00:00+01:00")
case("en", LB_LI, "We're hiring 60 bus drivers in the Betuwe region! Paid training and a permanent contract. "
     "Apply via werkenbij@lindeborg-ov.nl", tags=["own-contact"])
case("nl", LB_IG, "Maak kennis met Bas, al 22 jaar chauffeur op lijn 40 🚌💚 #gezichtenvanlindeborg",
     tags=["corporate-chatter"], handle_as="@Lindeborg.OV")
case("nl", pub("telegram", "ovgroep_gelderland"), "Iemand een tip hoe ik m'n OV-chipkaart aan de LindeGo app "
     "koppel?", tags=["unknown-platform", "neutral-question"])
case("en", LB_TT, "POV: you're the bus driver and someone finally says thank you 🥹 #lindebus #ov",
     tags=["corporate-chatter"])
case("nl", LB_WEB, "@noortje_b Dank je voor het compliment, we geven het door aan de chauffeur! ^Iris",
     kind="reply", tags=["corporate-chatter"], handle_as="@Lindeborg_Webcare")
case("nl", INGRID, "Vandaag 25 jaar in dienst bij Lindeborg 🎉 van kaartjesknipper tot planner. Dank aan alle "
     "collega's!", tags=["employee-chatter"])


# ===========================================================================
# profile, roles, severity (CONTRACT section 4)
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

def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}" if platform == "x" else f"tw-{snow}", f"https://x.com/{h}/status/{snow}"
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
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/OVinNederland/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/OVinNederland/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-busforum-{n}", f"https://busforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_999_999_999_999_999)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
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
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 11)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(vals, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and bool(kinds & VALID_IDS)
        sev = severity_for(role, c["cats"], validated)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.68:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        p = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.09:
            pass
        elif p < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "lindeborg"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                   for r in rows)


# ===========================================================================
# checks
# ===========================================================================

EMB_CHECK = True


def check(rows, profile):
    errs = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        if (p["platform"], p["id"]) in ids:
            errs.append(f"duplicate id {p['id']}")
        ids.add((p["platform"], p["id"]))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"bad time {p['id']}")
        if len(p["text"].encode()) > 65536:
            errs.append(f"too long {p['id']}")
        for kind, raw, _ in r["used"]:
            positive = bool(e["categories"])
            if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "OWN_IBAN") and not iban_valid(raw):
                errs.append(f"invalid IBAN in {p['id']}")
            if kind == "BAD_IBAN_NL" and (iban_valid(raw) or positive):
                errs.append(f"bad IBAN check {p['id']}")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"invalid card in {p['id']}")
            if kind == "BAD_CARD" and (luhn_valid(raw) or positive):
                errs.append(f"bad card check {p['id']}")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"invalid BSN in {p['id']}")
            if kind.startswith("NOT_BSN") and (elfproef(raw) or positive):
                errs.append(f"not-bsn check {p['id']}")
            if kind == "GHP":
                body, chk = raw[4:34], raw[34:]
                if to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") != chk:
                    errs.append(f"ghp crc {p['id']}")
        # embargo sanity: benign posts must not contain an embargoed term before its moment
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        for emb in profile["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for t in emb["terms"]:
                if t.casefold() in p["text"].casefold() and when < until and "leak.confidential" not in e["categories"]:
                    errs.append(f"embargo term before moment without label: {p['id']} {t}")
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for kind, raw, _ in r["used"]:
                if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE", "OWN_IBAN"):
                    assert s_iban.is_valid(raw), raw
                if kind == "BAD_IBAN_NL":
                    assert not s_iban.is_valid(raw), raw
                if kind == "CARD":
                    assert s_luhn.is_valid(raw), raw
                if kind == "BAD_CARD":
                    assert not s_luhn.is_valid(raw), raw
                if kind == "BSN":
                    assert s_bsn.is_valid(raw), raw
                if kind.startswith("NOT_BSN"):
                    assert not s_bsn.is_valid(raw.zfill(9)), raw
        print("python-stdnum cross-check: ok")
    except ImportError:
        pass
    return errs


def report(rows):
    from collections import Counter
    cat = Counter()
    sev = Counter()
    role = Counter()
    lang = Counter()
    plat = Counter()
    multi = evasion = benign = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs:
            cat[c] += 1
        if not cs:
            benign += 1
        if len(cs) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {len(rows)}  benign {benign}  multi {multi}  evasion {evasion}")
    for c in sorted(cat):
        print(f"  {c:22s} {cat[c]}")
    print("severity", dict(sev))
    print("roles", dict(role))
    print("lang", dict(lang))
    print("platforms", dict(plat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    data = dump(rows)
    errs = check(rows, profile)
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    if a.check:
        if OUT.read_text(encoding="utf-8") != data:
            sys.exit("cases.jsonl differs from the generator output")
        report(rows)
        print("ok")
        return
    OUT.write_text(data, encoding="utf-8")
    report(rows)


if __name__ == "__main__":
    main()
