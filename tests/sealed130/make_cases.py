#!/usr/bin/env python3
"""Deterministic generator for the sealed130 blind evaluation set.

    python3 make_cases.py     # writes cases.jsonl next to this file

Company: the fictional Dutch public library network "Stichting Leesrijk Bibliotheken"
(brands Leesrijk, PaginaPlus e-book app, Boekwurmclub reading programme), see profile.yaml.

Texts are hand-written below. Identifiers and secrets are filled in from <<KIND:fmt>>
placeholders by one seeded RNG: labelled positives get checksum-VALID identifiers,
hard negatives get look-alikes that FAIL their checksum. Every secret is random and
fake, but shaped like the real thing.

Severity is computed from CONTRACT section 4 (never typed by hand), using the account
role looked up in profile.yaml by platform:handle (case-insensitive).
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

SEED = 130_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# Cyrillic / other look-alikes
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "i": "\u0456", "P": "\u0420"}


def look(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


def b62(n):
    al = string.digits + string.ascii_uppercase + string.ascii_lowercase
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = al[r] + o
    return o or "0"


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, al, n):
        return "".join(self.r.choice(al) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                              + self.d(10, True))
        if cc == "DE":
            return iban_build("DE", self.r.choice(["30050110", "44050199", "36010043", "25050180"]) + self.d(10))
        if cc == "BE":
            f = self.r.choice(["063", "310", "751", "143"]) + self.d(7)
            return iban_build("BE", f + f"{(int(f) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.d(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def fcard(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_ok(s):
                return s

    def isbn(self):
        while True:
            body = "97890" + self.d(7)
            c = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(c):
                return c

    def phone(self, f):
        if f.startswith("mob"):
            e = self.r.choice("123456") + self.d(7)
            return {"mob_dash": f"06-{e}", "mob_plain": f"06{e}", "mob_intl": f"+31 6 {e[:4]} {e[4:]}",
                    "mob_pairs": f"06 {e[:2]} {e[2:4]} {e[4:6]} {e[6:]}", "mob_intl_c": f"+316{e}",
                    "mob_0031": f"0031 6 {e[:2]} {e[2:5]} {e[5:]}", "mob_paren": f"(06) {e[:4]} {e[4:]}"}[f]
        area = self.r.choice(["26", "38", "53", "57", "314", "341", "575", "578"])
        sub = self.r.choice("2345789") + self.d(8 - len(area))
        return {"land_dash": f"0{area}-{sub}", "land_intl": f"+31 {area} {sub}"}[f]

    # secrets ---------------------------------------------------------------
    def ghp(self):
        b = self.ch(ALNUM, 30)
        return "ghp_" + b + b62(zlib.crc32(b.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "lid_" + self.d(7, True), "iss": "api.paginaplus.nl", "scope": "loans:read",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.ch(B64U, 43)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.ch(B64, 55)
        rest = self.ch(B64, 64) + "\n" + self.ch(B64, 36) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n" + rest + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#*%") + self.ch(ALNUM, 4))

    def make(self, kind, fmt):
        """returns (raw, shown)"""
        if kind == "IBAN":
            raw = self.iban(fmt.split("_")[0])
            return raw, self.g4(raw) if fmt.endswith("_grp") else raw
        if kind == "BAD_IBAN":
            raw = self.bad_iban(fmt.split("_")[0])
            return raw, self.g4(raw) if fmt.endswith("_grp") else raw
        if kind == "CARD":
            b, _, f = fmt.partition("_")
            raw = self.card(b)
            return raw, self.fcard(raw, f or "sp")
        if kind == "BAD_CARD":
            b, _, f = fmt.partition("_")
            raw = self.bad_card(b)
            return raw, self.fcard(raw, f or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(fmt))
            return raw, raw
        if kind == "ISBN":
            raw = self.isbn()
            return raw, f"{raw[:3]}-{raw[3:5]}-{raw[5:9]}-{raw[9:12]}-{raw[12]}" if fmt == "dash" else raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "HEX":
            raw = self.ch("0123456789abcdef", int(fmt))
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16),
            "AWS_SECRET": lambda: self.ch(B64, 40),
            "SLACK_BOT": lambda: f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.ch(ALNUM, 24)}",
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.ch(string.ascii_uppercase + string.digits, 10)
                                   + "/B" + self.ch(string.ascii_uppercase + string.digits, 10) + "/"
                                   + self.ch(ALNUM, 24)),
            "STRIPE": lambda: "sk_live_" + self.ch(ALNUM, 28),
            "MOLLIE": lambda: "live_" + self.ch(ALNUM, 30),
            "SENDGRID": lambda: "SG." + self.ch(B64U, 22) + "." + self.ch(B64U, 43),
            "GAPI": lambda: "AIzaSy" + self.ch(B64U, 33),
            "JWT": self.jwt,
            "PEM_SSH": self.pem_ssh,
            "PEM_EC": self.pem_ec,
            "PW": self.pw,
            "SHA": lambda: self.ch("0123456789abcdef", 40),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([A-Za-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.make(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
LR = ("x", "@leesrijk", "Bibliotheek Leesrijk")
HELP = ("x", "@leesrijk_helpt", "Leesrijk Klantcontact")
PPA = ("x", "@paginaplus_app", "PaginaPlus")
IGC = ("instagram", "@bibliotheek.leesrijk", "Bibliotheek Leesrijk")
FBC = ("facebook", "BibliotheekLeesrijk", "Bibliotheek Leesrijk")
LIC = ("linkedin", "stichting-leesrijk", "Stichting Leesrijk Bibliotheken")
# employees
MW = ("x", "@marloes_leest", "Marloes Wijnands")                     # librarian, Deventer
ING = ("x", "@bieb_ingrid", "Ingrid Smeets")                         # front desk, Zutphen
YU = ("x", "@yusuf_codeert", "Yusuf Aydın")                          # PaginaPlus app developer
KB = ("linkedin", "kees-brouwer-leesrijk", "Kees Brouwer")           # IT operations
AV = ("linkedin", "anouk-verhoef-controller", "Anouk Verhoef")       # finance / controller
LJ = ("bluesky", "@lotte-jeugdbieb.bsky.social", "Lotte Jansma")    # youth librarian, Boekwurmclub
RD = ("mastodon", "@ruben@bibliotheek.social", "Ruben Dijkhuis")    # events & programming


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YU, "eh jongens wie heeft er aan de tarieventabel van de webshop gezeten?? Plus-lidmaatschap staat nu op "
     "€6,40 ipv €64 😳 ticket staat erin maar voor maandag gebeurt er niks", [PRICING])
case("nl", pub("x", "@tess_leest_veel"), "Leesrijk heeft het gezinslidmaatschap voor €8,40 op de site staan 😂 komma "
     "vergeten denk ik. Meteen afgesloten voor ons hele huishouden #prijsfout", [PRICING])
case("en", pub("reddit", "u/polderpenny"), "Heads up: Bibliotheek Leesrijk's ticket shop is selling Literaire Nacht "
     "tickets for €2.25 instead of €22.50. Pretty sure that's a mistake, grabbed two for me and my sister.",
     [PRICING])
case("nl", FBC, "🎉 Alleen dit weekend: het Leesrijk Plus-lidmaatschap voor maar €19 per jaar! Meld je aan via "
     "leesrijk.nl/word-lid en lees onbeperkt mee 📚", [PRICING])
case("nl", ING, "kassa doet weer raar, de Voorleeskist gaat er voor 2,99 euro doorheen 🙄 we mogen ze niet meer "
     "verkopen tot het opgelost is. wie er vanochtend een kocht heeft mazzel", [PRICING])
case("nl", pub("instagram", "@boekenwurm.bo"), "p r i j s f o u t bij de bieb??\nPaginaPlus Onbeperkt voor €11,94 "
     "per jaar 👀👀\nren je rot", [PRICING], tags=["evasion"])
case("en", pub("x", "@dutchdealsdaily"), "Leesrïjk pr1ce gl1tch 🚨 Gezinslidmaatschap for €4.20 for a whole year. "
     "go go go before someone wakes up", [PRICING], tags=["evasion"])
case("en", AV, "Colleagues: because of a configuration error in the payment module, the Basis-lidmaatschap has "
     "been sold at €3.90 since Tuesday. Finance is reconciling the orders, please don't confirm anything to members "
     "until we know how we handle it.", [PRICING])
case("nl", pub("facebook", "anja.terhorst.9", "Anja ter Horst"), "Klopt het dat de kaartjes voor de Literaire Nacht "
     "nu 5 euro zijn?? Vorige week nog €22,50. Foutje van Leesrijk of heb ik gewoon geluk 🍀", [PRICING])
case("en", YU, "lol PaginaPlus Onbeperkt shows €1,19/yr in the store listing since yesterday's release 🙃 issue is "
     "at gitlab.leesrijk.nl/app/paginaplus/-/issues/812, fix ships after review", [PRICING, CONF])
case("nl", pub("tiktok", "@juuls.boekenhoek"), f"verkeerde{ZW} prijs 😭 Voorleeskist in de Leesrijk webshop voor "
     "€1,50 ipv €29,95 #boektok #bieb", [PRICING], tags=["evasion"])
case("en", pub("bluesky", "@lowkeylibrarian.bsky.social"), "Leesrijk webshop glitch of the year: the Plus membership "
     "for €0,64. I am not making this up, screenshot taken.", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", YU, "why is the catalogue sync failing 😩 using token <<GHP>> against our org repo and it works on my "
     "machine™", [SECRET])
case("nl", KB, "Lessons learned na de verhuizing van ons e-bookplatform naar de cloud: haal je sleutels uit je "
     "scripts. Dit stond er letterlijk in:\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\n"
     "Is inmiddels vervangen hoor 😇 #cloud #bibliotheken #itbeheer", [SECRET])
case("nl", ING, "voor de zaterdagploeg: wachtwoord van de balie-pc is nu Boekenlegger24! , het post-it'je is weg 😅",
     [SECRET], kind="post")
case("nl", MW, "w8woord personeels-wifi Deventer = L33sr1jkStaf#2026 (NIET aan bezoekers geven!!)", [SECRET],
     tags=["evasion"])
case("en", pub("blog", "annelies-bouwt.nl", "Annelies Vos"), "Part 3 of my series on Dutch public-sector web apps. "
     "The PaginaPlus web reader loads a payment config that contains a live Mollie API key: <<MOLLIE>>. It's been "
     "there since at least March. I mailed hulp@paginaplus.nl last week, no reply so far.", [SECRET])
case("nl", HELP, "@bas_vdlinden Hoi Bas, excuses voor het gedoe! De betaalpagina werkt weer 👍 <<STRIPE>>",
     [SECRET], kind="reply", handle_as="@LeesRijk_Helpt")
case("en", YU, "newsletter mails bouncing again. SG key is <<SENDGRID>> if someone in comms wants to test, I'm off "
     "tomorrow ✌️", [SECRET])
case("en", KB, "Reporting dashboard is back online. For the data team: "
     "mysql://rapportage:<<PW>>@db-ils02.intra.leesrijk.local:3306/uitleen - please stop querying prod during "
     "opening hours 🙏", [SECRET, CONF])
case("en", pub("reddit", "u/qwerty_ruud"), "Had a look at the Leesrijk branch finder. The Google Maps key in the page "
     "(<<GAPI>>) has no referrer restriction at all, anyone can burn their quota with it.", [SECRET],
     kind="comment")
case("nl", LJ, "Boekwurmclub-aanmeldbot in Slack is weer eens dood 🐛💀 token is <<SLACK_BOT>>, kan iemand van ICT "
     "even kijken?", [SECRET])
case("nl", pub("x", "@jvbeek77"), "@leesrijk_helpt ik kom al 3 dagen niet in PaginaPlus!! wachtwoord is Tulpen2019 "
     "en m'n mail j.vanbeek77@ziggo.nl, wat gaat er mis? geen e-books, waardeloos dit", [SECRET, PII, COMPLAINT],
     kind="reply")
case("nl", KB, "Voor de collega die de koppeling met de uitleenautomaten overneemt: hieronder de deploy-key van de "
     "automatenserver. In je ~/.ssh zetten en dit bericht daarna graag vergeten 😬\n<<PEM_SSH>>", [SECRET])
case("en", YU, "anyone know why the app rejects this one? <<JWT>> exp looks fine to me 🤷‍♂️", [SECRET])
case("en", pub("forum", "apk_archeoloog"), "Decompiled the PaginaPlus APK (v2.8.4) out of curiosity. There's a Slack "
     "incoming webhook sitting in plain text in the resources: <<SLACK_HOOK>>\nReported it through their contact "
     "form.", [SECRET])
case("en", pub("x", "@sec_sietse"), "Leesrijk, your old event microsite still serves a private key at /certs/key.pem:"
     "\n<<PEM_EC>>\nplease rotate", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MW, "digitaal spreekuur was echt chaos vandaag. mevrouw was haar DigiD kwijt dus ik noteer haar BSN "
     "<<BSN>> even hier, dan vind ik het morgen terug", [PII])
case("nl", HELP, "@fam_koster Hallo! De dubbele afschrijving van €84 is teruggestort op <<IBAN:NL_grp>>, reken op "
     "twee werkdagen. Fijne dag! 🌷", [PII], kind="reply")
case("en", AV, "Could someone at the Apeldoorn desk look at this? A member paid her annual fee by card but the terminal "
     "declined twice: <<CARD:visa_sp>>, exp 09/28. She is quite upset.", [PII])
case("nl", LJ, "Hoera 🎂🐛 Noor de Graaf (geb. 14-03-2019) uit groep 3 heeft als eerste haar Boekwurmclub-leeskaart "
     "vol! Mama, bel me even op <<PHONE:mob_dash>> voor het diploma-moment 🥳", [PII])
case("nl", pub("facebook", "petra.willemsen.52", "Petra Willemsen"), "Wacht nu 2 weken op een terugbelverzoek over "
     "mijn boete. Bel me nou gewoon: <<PHONE:mob_pairs>>. Petra", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@dami_okafor"), "@leesrijk_helpt can't reset my PaginaPlus password, the mail never arrives. my "
     "address is d.okafor.reads@gmail.com, please sort it", [PII, COMPLAINT], kind="reply")
case("nl", pub("reddit", "u/boze_buurman_epe"), "Die bibliothecaresse die mij gisteren de deur wees heet Sandra "
     "Mulder en woont gewoon op de Molenweg 3 in Epe. Zeg maar dat ik je gestuurd heb", [PII, ABUSE])
case("nl", KB, "Bij een inschrijving gisteren is een kopie paspoort op de verkeerde schijf beland: J.M. Kramer, "
     "paspoortnummer NXR4K7P21. Ik ruim het vanmiddag op, sorry!", [PII])
case("nl", pub("instagram", "@rania.b_"), "Jullie hebben mijn lidmaatschap 2x afgeschreven!!! Stort terug op "
     "<<IBAN:NL>> t.n.v. R. Benali aub 😤", [PII, COMPLAINT])
case("en", MW, "To whoever took the Zutphen lost & found box: the owner of the blue e-reader is "
     "anna.verbruggen@kpnmail.nl, she has emailed us 4 times 🙈", [PII], hint="")
case("nl", YU, "testaccount van die klager van gisteren: hendrik.pols [at] planet [punt] nl, tel <<PHONE:mob_intl>> "
     "- kan iemand z'n uitleenhistorie even checken?", [PII], tags=["evasion"])
case("nl", IGC, "🎁 Winnaar van de Voorleeskist-winactie: Fatima Yilmaz, Kerkstraat 8, 7411 AB Deventer! Gefeliciteerd, "
     "het pakket komt deze week naar je toe 📦", [PII],
     handle_as="@Bibliotheek.Leesrijk")
case("nl", pub("x", "@nielsdeboer_"), "Wtf, de bieb wil voor een pasje mijn BSN weten?? Nou alsjeblieft: "
     "<<BSN:dots>> 🙄 blij nu?", [PII, COMPLAINT])
case("nl", AV, "Terugbetaling Duitse gastspreker Literaire Nacht staat nog open: Klaus Weber, <<IBAN:DE>>, €350 "
     "honorarium. Wie heeft de betaalbatch van deze week?", [PII])
case("en", pub("forum", "joris_ghent"), "Selling my Literaire Nacht ticket (Deventer), can't make it. €20, pay to "
     "<<IBAN:BE_grp>> and I'll forward the PDF. Ask for Joris.", [PII])
case("nl", RD, "Praktisch voor de vrijwilligers bij de signeersessie zaterdag: de schrijver (Maarten Veldkamp) is "
     "bereikbaar op <<PHONE:mob_0031>> als hij de ingang niet vindt", [PII])
case("nl", pub("threads", "@sophie.leest"), "Stom!! Per ongeluk mijn creditcard in de PaginaPlus-chat geplakt "
     "<<CARD:mc_c>> kan iemand van @paginaplus_app dat weghalen?? 😩", [PII])
case("en", ING, "note for the evening shift: mr. Dijkstra (DOB 02-11-1948) from Rijkmanstraat 12 calls every day about "
     "his reservation, be nice to him 💛", [PII], hint="nl",
     kind="message")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", YU, "Project Meridiaan demo went 🔥 today. can't say more but the app is gonna look VERY different next "
     "year", [CONF])
case("nl", MW, "net de notitie gelezen met 'uitsluitend voor intern gebruik' bovenaan, over de nieuwe openingstijden "
     "van de kleine vestigingen... dat gaat stof doen opwaaien 👀", [CONF], handle_as="@Marloes_Leest")
case("nl", LJ, "Spoiler (sorry niet sorry 🙊) de Gouden Boekwurm 2026 gaat naar een prentenboek over een verdwaalde "
     "vuurtorenwachter 🏆", [CONF], when="2026-10-06T21:14:00+02:00")
case("en", pub("reddit", "u/bookish_bram"), "A friend who works at Leesrijk showed me PaginaPlus 3 on her phone, "
     "audiobooks plus an offline kids mode. Looks really slick.", [CONF], when="2026-07-18T20:41:09+02:00",
     kind="comment")
case("nl", RD, "Morgen kick-off van Operatie\nEzelsoor, zeg nog even niks tegen de vrijwilligers aub", [CONF],
     tags=["evasion"])
case("en", YU, look("Project Meridiaan", "i") + " standup moved to 10:00, bring the new onboarding mockups 🎨", [CONF],
     tags=["evasion"])
case("en", KB, "Does anyone on the team have access to sharepoint.leesrijk.nl/sites/ICT/Hermelijn? The migration plan "
     "doc seems to be gone", [CONF], handle_as="Kees-Brouwer-Leesrijk")
case("nl", pub("instagram", "@marloes.leest", "Marloes (stagiaire)"), "Stage bij de bieb 👩‍💼📚 mocht vandaag "
     "meekijken naar Hermelijn, het nieuwe zelfbedieningssysteem. Super geheim maar zo vet!!", [CONF])
case("nl", LIC, "CONCEPT - Leesrijk vertrouwelijk - Persbericht: Leesrijk opent in 2027 een nieuwe vestiging in het "
     "stationsgebied van Apeldoorn. [quote directeur invoegen]", [CONF])
case("nl", YU, "deploy naar https://beheer.paginaplus.nl/admin/flags staat klaar, wie reviewt even? 🙏", [CONF])
case("nl", MW, "haha bovenaan de mail staat letterlijk " + fw("LEESRIJK VERTROUWELIJK") + " en dan gaat het over de "
     "nieuwe koffieautomaat ☕️ (en de verbouwing van Twello, maar ssst)", [CONF], tags=["evasion"])
case("nl", YU, "PaginaPlus 3 staat live in de stores!!! 🎉🎉 update nu", [CONF], when="2026-09-01T08:59:00+02:00")
case("nl", pub("x", "@boekenbeurs_bert"), "Uitgelekt: winnaar Gouden Boekwurm wordt het vuurtorenboek, las ik in een "
     "groepsapp van juffen 👀", [CONF], when="2026-10-07T11:59:00+02:00")
case("en", pub("linkedin", "kees-brouwer-leesrijk-"), "Excited to share what our team built with Hermelijn: 40% "
     "faster check-out at the kiosks! #libraries #innovation", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", AV, "Zware weken achter de rug. De gemeente schrapt €1,2 mln subsidie en dat betekent dat we volgend jaar "
     "twee vestigingen moeten sluiten. Wordt pas in november bekendgemaakt, dus hou het nog even voor je.", [FIN])
case("nl", MW, "teamoverleg vandaag: 14 fte eruit bij de uitleenbalies, zelfbediening ervoor in de plaats. officieel "
     "hoor je het pas na de OR. ben er kapot van 💔", [FIN])
case("en", KB, "Interesting times: we're in advanced talks to merge with Bibliotheek Rivierenland, due diligence starts "
     "next month. Not announced yet so keep it quiet 🤫", [FIN])
case("nl", pub("x", "@wim_uit_twello"), "Zwager werkt bij Leesrijk: volgend jaar gaan de vestigingen in Epe en Twello "
     "dicht en gaat de contributie omhoog. Dat zeggen ze pas na de raadsvergadering.", [FIN])
case("en", RD, "Budget meeting today. We're projecting a €430k deficit for 2027 unless the province steps in. Not "
     "public, I just needed to vent somewhere", [FIN])
case("nl", AV, "Operatie Ezelsoor in het kort: 3 vestigingen dicht, 22 fte minder, besparing €900k. Presentatie aan "
     "de raad van toezicht is donderdag.", [FIN, CONF])
case("nl", ING, "er vallen 0ntsl4gen bij de jeugdafdeling, hoorde het net van m'n teamleider 😢 nog niet officieel",
     [FIN], tags=["evasion"])
case("en", pub("reddit", "u/tante_truus"), "Anyone heard? My aunt sits on the Leesrijk supervisory board and says "
     "PaginaPlus is being sold to a commercial e-book company, announcement in Q1.", [FIN])
case("en", YU, "rumour at the office confirmed: PaginaPlus gets spun off into its own BV and half the dev team moves "
     "over. announcement next quarter 👀", [FIN])
case("en", AV, "Preliminary H1 numbers: membership revenue down 11%, e-book licence costs up 27%. The board sees them "
     "next week, so please don't forward.", [FIN])
case("nl", AV, "Zo, de jaarcijfers 2026 staan in concept: 2.400 leden erbij dankzij de gezinsactie, maar een tekort "
     "op de e-books. Trots op het team!", [FIN, CONF], when="2026-12-17T16:22:00+01:00")
case("nl", KB, f"Vanmiddag gehoord: reorganisatie bij ICT, de helft van de servicedesk gaat naar een extern "
     f"bedrijf. Nog geheim{ZW}, dus niet doorvertellen", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KB, "Rustige zondag? Mooi niet. Ransomware op twee werkplekken in Apeldoorn, de catalogusserver hebben we "
     "preventief uitgezet. Communicatie volgt pas maandag, dus niks delen aub.", [SEC])
case("en", YU, "found out today that the PaginaPlus API returns *any* member's loan history if you change the id in "
     "the URL 😬 patching tonight, nobody outside the team knows yet", [SEC])
case("nl", MW, "het hele uitleensysteem ligt sinds 9 uur plat in álle vestigingen, we schrijven alles met de hand op "
     "🙈 officieel bericht komt pas vanmiddag", [SEC])
case("nl", ING, "3 collega's hebben op die nep 'je wachtwoord verloopt' mail geklikt en alles ingevuld. ICT zegt dat "
     "er al iemand in hun mailbox heeft gezeten. sst", [SEC])
case("nl", pub("x", "@buurvrouw_zutphen"), "Leesrijk doet alsof er niks aan de hand is maar mijn buurvrouw werkt daar: "
     "alle ledengegevens zijn gestolen bij een hack en ze houden het stil!! #datalek", [SEC, CRISIS])
case("en", KB, "Still cleaning up after last night: someone got into the kiosk management console through a default "
     "admin account and h4cked the self-checkout screens. Not public yet.", [SEC], tags=["evasion"])
case("en", RD, "The Literaire Nacht ticketing page has been leaking buyers' email addresses in the page source for "
     "weeks. Found it today, fix tomorrow, no announcement planned.", [SEC])
case("nl", YU, "net ontdekt dat de bucket met gescande inschrijfformulieren (sync vanaf backup01.intra.leesrijk.local) "
     "een half jaar publiek leesbaar was 😱 niet doorvertellen", [SEC, CONF])
case("en", pub("reddit", "u/concerned_member_apd"), "Leesrijk is sitting on a breach. I got a 'security update' email "
     "clearly meant for staff saying member data was exfiltrated in August. Nothing on their site.", [SEC, CRISIS])
case("nl", LJ, "Het aanmeldformulier van de Boekwurmclub liet namen en geboortedata van andere kinderen zien als je op "
     "'terug' drukte. Staat nu offline, ouders weten nog van niks 😬", [SEC])
case("nl", ING, "sst, het gastenwifi is gek0ppeld aan het personeelsnetwerk, iedereen kan bij de printserver. ICT weet "
     "het sinds vorige week en er gebeurt niks", [SEC], tags=["evasion"])
case("en", AV, "Update for the team: fraudsters spoofed our director's mailbox and got us to pay €48k to a fake supplier "
     "last Friday. Police is involved, nothing public yet.", [SEC])
case("nl", pub("tiktok", "@ex_bieb_medewerker"), "Ik zeg het maar gewoon: bij Leesrijk is de server gehackt en de "
     "leiding zegt tegen personeel dat ze hun mond moeten houden 🤐 #datalek", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@h_vanderveen"), "Net een mail gehad dat mijn gegevens bij Bibliotheek Leesrijk 'mogelijk zijn "
     "ingezien door derden'. Hoe dan?! Wat doen jullie met onze data #datalek", [CRISIS])
case("nl", pub("facebook", "gerda.lammers.3", "Gerda Lammers"), "Oproep: zeg je lidmaatschap op bij Leesrijk zolang ze "
     "boeken uit de jeugdafdeling weghalen. Dit is censuur! #boycotleesrijk", [CRISIS])
case("en", pub("x", "@authorsunitednl"), "The authors' collective is suing Leesrijk over PaginaPlus lending e-books "
     "without fair royalties. About time somebody did.", [CRISIS])
case("nl", pub("instagram", "@mama_van_3"), "LET OP ouders 🚨 het knuffelboekje uit de Voorleeskist heeft een los "
     "oogje, mijn zoon had het bijna ingeslikt. Leesrijk weet het maar zegt nergens iets!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@twellonaar"), "Boekenkast omgevallen in de bieb van Twello, kind met de ambulance mee. Hoe kan "
     "dit?? @leesrijk", [CRISIS])
case("en", pub("reddit", "u/taxpayer_gld"), "Leesrijk's director expensed a €6k trip to the Frankfurt Book Fair for "
     "'networking' while closing branches. Disgraceful.", [CRISIS])
case("nl", pub("tiktok", "@kim.leest"), look("Leesrijk datalek", "a") + ": mijn hele uitleengeschiedenis stond "
     "gewoon online?! 😡", [CRISIS], tags=["evasion"])
case("en", pub("x", "@joost_nightreader"), "The e-reader I borrowed from Leesrijk got so hot it scorched my nightstand "
     "😳 called them and they basically shrugged. Seriously?", [CRISIS, COMPLAINT])
case("nl", pub("forum", "bezorgde_opa"), "Er is asbest gevonden in de vestiging Zutphen en de kinderhoek is gewoon open "
     "gebleven?! Wie neemt hier de verantwoordelijkheid", [CRISIS])
case("en", pub("bluesky", "@privacyfirst.bsky.social"), "Don't renew your Leesrijk membership. They've partnered with "
     "a data broker to 'personalise' recommendations. #boycott", [CRISIS])
case("nl", pub("x", "@ouderwetse_opa"), "B O Y C O T Leesrijk!! drag-voorleesuurtje voor kleuters, schaam je",
     [CRISIS], tags=["evasion"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@femke_dvtr"), "3e keer deze maand dat de uitleenautomaat in Deventer m'n boeken niet registreert "
     "en ik dan een boete krijg. @leesrijk_helpt regel dit nou eens", [COMPLAINT])
case("en", pub("x", "@mo_reads"), "PaginaPlus crashes every single time I open an audiobook on Android. Paying for "
     "Onbeperkt and getting nothing @paginaplus_app", [COMPLAINT])
case("nl", pub("facebook", "henk.rozendaal", "Henk Rozendaal"), "26 weken wachtlijst voor een e-book bij PaginaPlus. "
     "Zesentwintig. Waar betaal ik eigenlijk voor?", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/returned_on_time"), "Returned my books on time, got a €3.60 late fee anyway. Leesrijk "
     "support says 'the system is right'. Great.", [COMPLAINT])
case("nl", pub("instagram", "@moeder.van.twee"), "Voorleesuurtje geannuleerd zonder bericht, stonden we daar met 2 "
     "kleuters in de regen ☔️😤 @bibliotheek.leesrijk", [COMPLAINT], kind="comment")
case("en", pub("threads", "@studying_sam"), "The new study floor at Leesrijk Apeldoorn is a joke. wifi drops every 5 "
     "min and the heating has been broken for a week. fix your building pls", [COMPLAINT])
case("en", pub("bluesky", "@inez.reads.bsky.social"), "PaginaPlus logged me out after the update and now all my "
     "loans and bookmarks are gone. Great job guys 👏👏", [COMPLAINT])
case("nl", pub("tiktok", "@papa_jeroen"), "Kinderboekenweek-workshop bij de bieb: €7,50 betaald, de workshopleider "
     "kwam gewoon niet opdagen 🤡 geen sorry, niks", [COMPLAINT])
case("nl", pub("x", "@anoniempje_88"), "de app van " + look("Leesrijk", "e") + " blijft al een week hangen op het "
     "laadscherm, niemand die reageert", [COMPLAINT], tags=["evasion"])
case("nl", pub("x", "@dennis_zzz"), "Kutapp van Leesrijk, 4x ingelogd en nog steeds geen e-book te zien. Stelletje "
     "prutsers", [COMPLAINT, ABUSE])
case("en", pub("x", "@claire_in_ape"), "@leesrijk_helpt your chatbot told me my fines were waived and now I get a "
     "collection letter?? what is going on", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "marco.hendriks.77", "Marco Hendriks"), "Die boetes op kinderboeken zijn echt belachelijk, "
     "mijn dochter van 7 heeft €12 openstaan bij Leesrijk. Bij andere biebs is het gratis voor kinderen.", [COMPLAINT])
case("en", pub("trustpilot", "Reviewer_Gelderland"), "1 star. Cancelled my Leesrijk membership in writing, they kept "
     "charging me for 3 more months and customer service just sends templates.", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@grompot_zutphen"), "die trut achter de balie in Zutphen moet echt ontslagen worden, wat een "
     "kreng", [ABUSE])
case("en", pub("x", "@nightowl_troll"), "Leesrijk staff are a bunch of useless morons lmao", [ABUSE])
case("nl", pub("reddit", "u/echte_nederlander"), "Waarom werken er bij die bieb alleen nog maar hoofddoekjes, ga terug "
     "naar je eigen land", [ABUSE], kind="comment")
case("nl", MW, "weer zo'n debiele klant die z'n boek in bad laat vallen en dan gaat schreeuwen dat wíj moeten betalen 🙄",
     [ABUSE])
case("nl", HELP, "@kees_klaagt Misschien eerst leren lezen voordat u ons belt? 🙃", [ABUSE], kind="reply")
case("en", pub("instagram", "@bitter.bookworm"), "Leesrijk = f*cking clowns, whatever", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@anon_4471"), "@bieb_ingrid ik weet waar je werkt en wanneer je dienst hebt. Pas maar op 😈",
     [ABUSE], kind="reply")
case("en", pub("youtube", "@grumpygerrit"), "whoever designed that Boekwurmclub mascot is a talentless idiot",
     [ABUSE], kind="comment")
case("nl", pub("x", "@k_k_k_k"), "Leesrijk kankerbibliotheek, t y f u s lijers allemaal", [ABUSE], tags=["evasion"])
case("nl", pub("facebook", "rob.vos.1971", "Rob Vos"), "Godverdomme, wéér een boete van €5 voor een boek dat ik OP TIJD "
     "heb ingeleverd. Klootzakken bij Leesrijk.", [ABUSE, COMPLAINT])
case("en", YU, "to the person whose 1-star review called me useless: you're a clown, go read a book for once lol",
     [ABUSE])
case("en", pub("mastodon", "@anonymous_raven@mastodon.social"), "libraries shouldn't hire people in wheelchairs, "
     "it's embarrassing to watch at Leesrijk", [ABUSE])

# ===========================================================================
# benign (hard negatives included)
# ===========================================================================
case("nl", LR, "Zaterdag om 14:00 Voorleesfeest in vestiging Deventer! Gratis voor Boekwurmclub-leden 🐛📖 Aanmelden "
     "via leesrijk.nl/agenda", tags=["hn:event"])
case("nl", HELP, "@tineke_w Vervelend! Bel ons even op 055-7602400 of mail info@leesrijk.nl, dan zoeken we het samen "
     "uit 🙂", kind="reply", tags=["hn:own-contact"])
case("nl", FBC, "Storing: vanochtend werkt inloggen in PaginaPlus niet. We werken aan een oplossing, excuses voor het "
     "ongemak!", tags=["hn:official-outage"])
case("nl", LIC, "Ons jaarverslag 2025 is uit: 61.000 leden, 1,3 miljoen uitleningen en 9.000 kinderen in de "
     "Boekwurmclub. Lees het op leesrijk.nl/jaarverslag", tags=["hn:published"])
case("nl", IGC, "Word lid! Basis voor €39 per jaar, of kies het Plus-lidmaatschap voor €64 met onbeperkt e-books 🧡",
     tags=["hn:price"])
case("nl", FBC, "Maand van het Spannende Boek: het Plus-lidmaatschap is 25% voordeliger, nu €48 voor het eerste jaar 🔍",
     tags=["hn:price"])
case("nl", pub("x", "@schoolmoeder_ap"), "€10 korting op het gezinslidmaatschap via de actie op school, top 👍",
     tags=["hn:price"])
case("nl", pub("facebook", "linda.mentink", "Linda Mentink"), "Pluslidmaatschap kost omgerekend €5,33 per maand, "
     "goedkoper dan één paperback dus ik twijfel niet meer", tags=["hn:price", "price-context"])
case("nl", pub("x", "@vergeetachtig_"), "€0,25 per dag te laat, eerlijk is eerlijk, ik was het gewoon vergeten 😅 "
     "betaald en klaar", tags=["hn:fee"])
case("en", pub("reddit", "u/haagse_hanna"), "For comparison: the library in The Hague charges €15 for their cheapest "
     "pass, Leesrijk's Basis-lidmaatschap is €39. Different regions, different budgets I guess.",
     tags=["hn:other-company", "price-context"], kind="comment")
case("nl", pub("x", "@tweedehandslezer"), "Op de boekenmarkt van de bieb afgeschreven romans gescoord voor €0,50 per "
     "stuk 📚💛", tags=["hn:second-hand"])
case("nl", MW, "verzoekje: geen ezelsoren in de boeken aub, bij de balie liggen gratis boekenleggers 🔖 #biebtips",
     tags=["hn:codename-word"])
case("nl", pub("x", "@spreekbeurt_papa"), "Zoon houdt een spreekbeurt over de nulmeridiaan, 6 boeken gehaald bij "
     "Leesrijk. Nerd in de dop 🤓", tags=["hn:codename-word"])
case("nl", pub("x", "@juf_marieke"), "Gefeliciteerd aan de winnaar van de Gouden Boekwurm 2026! Wat een prachtig "
     "boek, morgen lees ik het voor in de klas 🏆", when="2026-10-07T14:30:00+02:00", tags=["hn:after-embargo"])
case("nl", LR, "Het is bekend: de winnaar Gouden Boekwurm 2026 is 'De Lamp van Lien'! Proficiat 🏆🐛",
     when="2026-10-07T12:00:00+02:00", tags=["hn:after-embargo"])
case("nl", PPA, "PaginaPlus 3 is er! Luisterboeken, een kindermodus en offline lezen. Update via je app store 🎧📱",
     when="2026-09-01T09:00:00+02:00", tags=["hn:after-embargo"])
case("en", pub("bluesky", "@apptester.bsky.social"), "Two weeks with PaginaPlus 3: the kids mode is great, audiobook "
     "player still a bit basic. 7/10.", when="2026-09-15T19:02:11+02:00", tags=["hn:after-embargo"])
case("nl", pub("x", "@lokaalnieuws_dev"), "Leesrijk heeft vandaag bekendgemaakt dat de vestiging aan de Brink per 1 "
     "maart verhuist naar het nieuwe cultuurhuis (persbericht op leesrijk.nl)", tags=["hn:published"])
case("nl", pub("x", "@boekenvak_nieuws"), "Uitgeverij Korenmaat schrapt 40 banen, las ik net. Sterkte aan iedereen "
     "daar", tags=["hn:other-company"])
case("nl", pub("instagram", "@thrillerlezer_nl"), "Net 'De Wachtwoordmoord' uit: hacker steelt de wachtwoorden van een "
     "hele Zweedse bibliotheek. Geleend bij Leesrijk, aanrader! 🔪📖", tags=["hn:fiction"])
case("nl", pub("x", "@filosofe_fien"), "'Hell is other people' - Sartre. Behalve in de stiltezaal van de bieb, daar is "
     "het hemels stil 😌", tags=["hn:quote", "mild-word"])
case("nl", pub("facebook", "ilse.kamphuis", "Ilse Kamphuis"), "Mooi dat de bieb een leestafel heeft met boeken over "
     "kanker voor kinderen van wie een ouder ziek is 💛", tags=["hn:literal", "mild-word"])
case("nl", pub("x", "@filmfreak_zut"), "Total Recall op dvd gevonden bij de bieb, de versie uit 1990 uiteraard 📼",
     tags=["hn:recall-word"])
case("nl", RD, "Boekbespreking donderdag: 'Rosa', over de busboycot van Montgomery. Vrije inloop, koffie staat klaar ☕️",
     tags=["hn:boycott-word"])
case("nl", pub("x", "@tevreden_tim"), "Geen klachten hoor, de nieuwe app werkt echt prima en de wachtlijst was korter "
     "dan ik dacht 👍 @paginaplus_app", tags=["hn:negated"])
case("en", pub("x", "@sarah_zutphen"), "Shoutout to the librarian in Zutphen who helped my dad with his DigiD today. "
     "Heroes 🙏", tags=["hn:praise"])
case("nl", pub("reddit", "u/kobo_kees"), "Weet iemand of je e-books van Leesrijk ook op een Kobo kan zetten, of alleen "
     "in de app?", tags=["hn:question"])
case("nl", pub("x", "@dubbellezer"), "Ik gebruik LeesLand naast PaginaPlus. LeesLand heeft meer Engelse titels, "
     "PaginaPlus meer kinderboeken. Allebei prima eigenlijk", tags=["hn:competitor"])
case("nl", pub("x", "@typvinger"), "Bank zegt 'ongeldig rekeningnummer' bij <<BAD_IBAN:NL_grp>>, heb ik een typfout "
     "gemaakt in de gift voor de sponsorloop? 🤔", tags=["hn:bad-iban"])
case("nl", pub("facebook", "truus.oosterhof", "Truus Oosterhof"), "Kreeg een sms dat mijn bibliotheekpas zou "
     "verlopen en ze wilden mijn creditcard. Heb lekker <<BAD_CARD:visa_sp>> ingevuld haha. Pas op mensen, dit is NIET "
     "van de bieb", tags=["hn:bad-card"])
case("nl", pub("x", "@kleinzoon_joep"), "Oma dacht dat het nummer op haar lenerspas haar BSN was 😂 <<NOT_BSN:9>> "
     "klopt niet eens, dat heb ik nagerekend", tags=["hn:bad-bsn"])
case("nl", LJ, "Voorleestip van de week 📚 ISBN <<ISBN:dash>>, vraag 'm aan bij je vestiging!", tags=["hn:isbn"])
case("en", pub("x", "@patient_pieter"), "Reservation <<NOT_BSN:8>> has been 'in transit' for a week, any idea how long "
     "that usually takes? No rush, just curious", tags=["hn:order-number"], hint="")
case("nl", LR, "Vragen over je lidmaatschap? Bel gratis 0800-5337 (ma-vr 9-17 uur) 📞", tags=["hn:own-contact"])
case("nl", FBC, "Steun de Boekwurmclub! Elke gift gaat naar voorleesboeken voor peuters. Doneer op NL71 RABO 0318 2645 "
     "07 t.n.v. Stichting Leesrijk Bibliotheken 💛", tags=["hn:own-contact"])
case("en", YU, "dark mode is live in PaginaPlus 2.9 🌙 update via your app store and let me know what you think",
     tags=["hn:published"])
case("en", KB, "reverted <<SHA>> and CI is green again. friday deploys, never again 😅", tags=["hn:git-sha"])
case("nl", KB, "Tip voor collega's die met de AWS-cli beginnen: in onze voorbeeld-README staat AKIAXXXXXXXXXXXXXXXX "
     "als placeholder, vul daar NOOIT je echte key in. En tokens die met ghp_… beginnen horen in de vault.",
     tags=["hn:placeholder"])
case("nl", pub("x", "@blije_lezer"), "Vraag gemaild naar info@leesrijk.nl en binnen een dag antwoord. Zo hoort het 👌",
     tags=["hn:own-contact"])
case("nl", pub("x", "@grappenmaker_g"), "Mijn boete is inmiddels hoger dan mijn huur 😂 nee grapje, €1,80. Morgen "
     "betalen", tags=["hn:joke"])
case("nl", pub("instagram", "@apeldoorn.spot"), "De bieb heeft mijn hart gehackt 💘 wat een mooie nieuwe vestiging in "
     "Apeldoorn", tags=["hn:joke"])
case("nl", LIC, "Vacature: medior developer voor PaginaPlus (32-36 uur). Mail je cv naar werkenbij@leesrijk.nl of bel "
     "+31 55 760 2400 voor vragen.", tags=["hn:own-contact"])
case("nl", LJ, "Kinderboekenweek zit erop! 1.200 kinderen in onze vestigingen, dank aan alle vrijwilligers 🐛💛",
     tags=["hn:praise"])
case("nl", pub("x", "@cultuur_carla"), "€22,50 voor een hele nacht lezingen en muziek op de Literaire Nacht, prima "
     "deal. Kaartjes gekocht!", tags=["hn:price"])
case("en", pub("blog", "appreview-nl.example", "AppReview NL"), "In our round-up of Dutch library apps, PaginaPlus "
     "scores an 8/10: fast search, a solid reader, and the Boekwurmclub corner is a lovely touch for kids.",
     tags=["hn:review"])
case("nl", pub("forum", "hulpvraag_hans"), "Kan ik bij de bieb hulp krijgen met mijn belastingaangifte? Ik neem mijn "
     "DigiD-app en BSN mee, toch?", tags=["hn:pii-word"])
case("nl", pub("x", "@nuchtere_nel"), "Weer een datalek bij een webwinkel. Gelukkig vraagt de bieb bijna niks van me",
     tags=["hn:other-company"])
case("nl", ING, "vandaag 40 kratten boeken teruggezet, mijn armen 💪 #bibliotheekleven", tags=["hn:employee-daily"])
case("en", pub("x", "@factcheck_fleur"), "No, Leesrijk did NOT have a data breach, that viral screenshot is from a "
     "different library. Check before you share.", tags=["hn:negated"])
case("nl", PPA, "Gepland onderhoud: dinsdagnacht tussen 02:00 en 04:00 is PaginaPlus niet bereikbaar. Slaap lekker 😴",
     tags=["hn:official-outage"])
case("nl", pub("x", "@gokker_gijs"), "Wie wint de Gouden Boekwurm dit jaar denken jullie? Ik hoop op dat "
     "vuurtorenboek 🤞", when="2026-09-22T18:40:00+02:00", tags=["hn:embargo-near"])
case("en", pub("goodreads", "readinggrandma", "Reading Grandma"), "Borrowed this through PaginaPlus from my local "
     "Leesrijk branch. Four stars, the ending dragged a bit but the characters stay with you.",
     tags=["hn:unknown-platform", "hn:review"])
case("en", AV, "Proud that our published 2025 annual report got a mention in the sector newsletter. Transparency "
     "matters for public libraries 📊", tags=["hn:published"])
case("en", pub("x", "@devnotes_lisa"), "Reminder: never commit secrets. Use env vars and a vault. Yes, even for your "
     "hobby library app 😉 #devtips", tags=["hn:secret-word"])
case("nl", RD, "Line-up Literaire Nacht is rond! 🌙 Kaarten €22,50 via leesrijk.nl/literairenacht", tags=["hn:price"])


# ===========================================================================
# building
# ===========================================================================

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


SEVS = ["none", "info", "warning", "error", "critical"]


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
        if SEVS.index(s) > SEVS.index(sev):
            sev = s
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                         tzinfo=dt.timezone.utc) else 1


def random_time(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1,
                                                                           minutes=r.randint(6 * 60 + 30, 23 * 60 + 50),
                                                                           seconds=r.randint(0, 59))
    off = ams_offset(base)
    t = base - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/apeldoorn/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-leesforum-{n}", f"https://leesforum.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def validate(row, profile, used):
    """Sanity checks on one generated case (raise on any problem)."""
    p, ex = row["post"], row["expect"]
    text = p["text"]
    for kind, raw, shown in used:
        assert shown in text
        if kind == "IBAN":
            assert iban_ok(raw), raw
        if kind == "BAD_IBAN":
            assert not iban_ok(raw), raw
        if kind == "CARD":
            assert luhn_ok(raw), raw
        if kind == "BAD_CARD":
            assert not luhn_ok(raw), raw
        if kind == "BSN":
            assert elfproef(raw), raw
        if kind == "NOT_BSN":
            assert not elfproef(raw) and not luhn_ok(raw), raw
        if kind == "ISBN":
            assert ean13_ok(raw) and not luhn_ok(raw), raw
        if kind == "GHP":
            body = raw[4:34]
            assert b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == raw[34:]
        if kind in VALID_ID:
            assert "leak.pii" in ex["categories"], text
    if not ex["categories"]:
        assert ex["severity"] == "none"
        assert not any(k in VALID_ID for k, _, _ in used)
        own = {e.casefold() for e in profile["public_identifiers"]["emails"]}
        for e in re.findall(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", text):
            assert e.casefold() in own, (e, text)
        for ib in re.findall(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            c = ib.replace(" ", "")
            assert not iban_ok(c) or c in profile["public_identifiers"]["ibans"], text
        for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)", text):
            assert not luhn_ok(m.group(0)), text
        for m in re.finditer(r"(?<![\w.,-])\d{9}(?![\w])", text):
            assert not elfproef(m.group(0)), text
    ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    assert ts.astimezone(dt.timezone.utc).year == 2026
    low = text.casefold()
    for emb in profile["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        for term in emb["terms"]:
            if term.casefold() in low:
                if ts < until:
                    assert "leak.confidential" in ex["categories"], (term, text)
                else:
                    assert "leak.confidential" not in ex["categories"] or any(
                        c.casefold() in low for c in profile["internal"]["codenames"]), text
    for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
        if term.casefold() in low:
            assert "leak.confidential" in ex["categories"], (term, text)


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None:
            x = meta.random()
            kind = "post" if x < 0.6 else ("repost" if x < 0.64 else None)
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.8:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "leesrijk"
        row = {"post": post, "expect": {"categories": list(c["cats"]), "severity": sev}}
        validate(row, profile, used)
        rows.append((row, c, role))
    order.shuffle(rows)
    return rows


def main():
    profile = load_profile()
    rows = build(profile)
    with open(OUT, "w", encoding="utf-8") as f:
        for row, _, _ in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for row, c, r in rows:
        cs = row["expect"]["categories"]
        for x in cs:
            cat[x] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in c["tags"]
        sev[row["expect"]["severity"]] += 1
        role[r] += 1
        lang[c["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("benign", benign, "multi", multi, "evasion", ev)
    for k in sorted(cat):
        print(f"  {k:22s} {cat[k]}")
    print("severity", dict(sev), "role", dict(role), "lang", dict(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
