#!/usr/bin/env python3
"""Deterministic generator for the sealed43 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Zilverdoek Bioscopen B.V.", a fictional Dutch cinema chain (profile.yaml).

Texts are hand-written below (the CASES list). Identifiers and secrets are filled in
from {{KIND:fmt}} placeholders by one seeded RNG, so output is byte-for-byte stable.
Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); hard
negatives get look-alikes that fail their checksum. All secrets are random fakes in
the shape of real ones (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: sev() derives it from the CONTRACT section 4 policy,
the account role (profile lookup by platform:handle, case-insensitive) and whether a
checksum-valid personal identifier is in the post.
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

SEED = 43_2026_0901
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SOFT = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def with_check(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(ds))
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# --------------------------------------------------------------------------
# seeded values
# --------------------------------------------------------------------------

class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = with_check("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"])
                               + self.d(10, lead=True))
                if v != "NL05RABO0347718290":
                    return v
        if cc == "BE":
            head = self.r.choice(["001", "063", "310", "735", "143"]) + self.d(7)
            return with_check("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return with_check("DE", self.r.choice(["50010517", "12030000", "76026000", "43060967"]) + self.d(10))
        if cc == "GB":
            return with_check("GB", self.r.choice(["MIDL", "NWBK", "MONZ", "BUKB"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14), "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12),
               "maestro": lambda: "6759" + self.d(11)}[brand]()
        for x in string.digits:
            if luhn(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(bad)
        return bad

    @staticmethod
    def card_fmt(v, f):
        if f == "tight":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, lead=True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in string.digits if ean_ok(body + x))
            if not luhn(full) and not elfproef(full):
                return full

    def phone(self, f):
        if f.startswith("m_"):
            x = self.r.choice("12345") + self.d(7)      # 8 digits after the 6
            return {"m_dash": f"06-{x}", "m_tight": f"06{x}", "m_intl": f"+31 6 {x[:4]} {x[4:]}",
                    "m_0031": f"0031 6 {x[:2]} {x[2:5]} {x[5:]}", "m_pairs": f"06 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}",
                    "m_intl0": f"+31 (0)6 {x}", "m_plus": f"+316{x}", "m_dots": f"06.{x[:4]}.{x[4:]}"}[f]
        area = self.r.choice(["10", "15", "20", "40", "43", "45", "50", "70", "71", "73", "76", "85"])
        sub = self.r.choice("2345678") + self.d(6)
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "zp_" + self.d(7, True), "iss": "mijn.zilverdoek.nl", "tier": "zilverpas",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.c(URLSAFE, 43)}"

    def openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        words = ["Popcorn", "Kassa", "Doek", "Filmrol", "Zaal", "Lamp", "Trailer", "Reel"]
        return self.r.choice(words) + self.d(2) + self.r.choice("!#$%&*") + self.c(ALNUM, 4)

    def value(self, kind, f):
        """Returns (raw, shown)."""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "BADIBAN_NL", "BADIBAN_BE"):
            cc = kind[-2:]
            raw = self.bad_iban(cc) if kind.startswith("BAD") else self.iban(cc)
            return raw, (" ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "sp" else raw)
        if kind in ("CARD", "BADCARD"):
            brand, _, fmt = f.partition("_")
            raw = self.bad_card(brand) if kind == "BADCARD" else self.card(brand)
            return raw, self.card_fmt(raw, fmt or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, (f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else f"{raw[:3]} {raw[3:6]} {raw[6:]}"
                         if f == "sp" else raw)
        if kind == "NOTBSN":
            raw = self.not_bsn(int(f or 9))
            return raw, raw
        if kind == "EAN":
            raw = self.ean()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(f)
            return raw, raw
        if kind == "GHP":
            raw = self.ghp()
        elif kind == "AKIA":
            raw = "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif kind == "AWSSECRET":
            raw = self.c(B64, 40)
        elif kind == "XOXB":
            raw = f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"
        elif kind == "HOOK":
            up = string.ascii_uppercase + string.digits
            raw = f"https://hooks.slack.com/services/T{self.c(up, 10)}/B{self.c(up, 11)}/{self.c(ALNUM, 24)}"
        elif kind == "STRIPE":
            raw = "sk_live_51" + self.c(ALNUM, 30 if f != "long" else 97)
        elif kind == "AIZA":
            raw = "AIzaSy" + self.c(URLSAFE, 33)
        elif kind == "JWT":
            raw = self.jwt()
        elif kind == "SSHKEY":
            raw = self.openssh()
        elif kind == "PW":
            raw = self.password()
        elif kind == "SHA":
            raw = self.c("0123456789abcdef", 40)
        else:
            raise KeyError(kind)
        return raw, raw


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
FAIL_KINDS = {"BADIBAN_NL", "BADIBAN_BE", "BADCARD", "NOTBSN", "EAN"}
PLACEHOLDER = re.compile(r"\{\{([A-Z_0-9]+)(?::([a-z0-9_]+))?\}\}")


def fill(rng, text):
    used = []

    def one(m):
        raw, shown = rng.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------

# corporate
ZD = ("x", "@zilverdoek", "Zilverdoek Bioscopen")
ZDHELP = ("x", "@zilverdoek_help", "Zilverdoek Klantenservice")
ZDIG = ("instagram", "@zilverdoek.bios", "Zilverdoek")
ZDLI = ("linkedin", "zilverdoek-bioscopen", "Zilverdoek Bioscopen B.V.")
ZDFB = ("facebook", "ZilverdoekBioscopen", "Zilverdoek")
ZDTT = ("tiktok", "@zilverdoekfilm", "Zilverdoek")
# employees
MARLOES = ("x", "@mdekker_zd", "Marloes Dekker")                       # vestigingsmanager Rotterdam
YOUSSEF = ("linkedin", "youssef-benali-zilverdoek", "Youssef Benali")  # platform engineer
LOTTE = ("x", "@lotte_projectie", "Lotte van Hal")                     # projectietechnicus Utrecht
EVA = ("linkedin", "eva-meijer-zd", "Eva Meijer")                      # finance controller
BRAM = ("instagram", "@bram.achterdebar", "Bram Rietveld")             # horeca Den Haag
NIELS = ("x", "@niels_codeert", "Niels Kramer")                        # app developer
ANOUK = ("linkedin", "anouk-de-graaf-zilverdoek", "Anouk de Graaf")    # marketing & programmering
SEM = ("threads", "@sem.ooms", "Sem Ooms")                             # kassa/floor Eindhoven


def p(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICE, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                      "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def C(lang, acct, text, cats=(), kind=None, at=None, tags=(), lang_hint=None, as_handle=None):
    plat, handle, name = acct
    CASES.append(dict(lang=lang, platform=plat, handle=as_handle or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), lang_hint=lang_hint))


# ==========================================================================
# leak.pricing
# ==========================================================================
C("nl", NIELS, "ehm. wie heeft er net de nieuwe tarieventabel uitgerold?? Zilverpas Onbeperkt staat in de app "
  "voor €2,49 p/m ipv €24,99 🙃\nrollback loopt, ff niet rondbazuinen pls", [PRICE])
C("nl", MARLOES, "Kassa's hier in Rotterdam slaan een IMAX-ticket aan voor €1,85. Hebben andere vestigingen dat "
  "ook? Tot er een fix is handmatig de prijs invoeren aan de balie!", [PRICE])
C("en", p("reddit", "u/popcorn_arbitrage"), "Zilverdoek's booking site is selling Lounge tickets for €2.10 right "
  "now. Decimal point clearly in the wrong spot. Grabbed four for Saturday, we'll see if they cancel lol",
  [PRICE])
C("nl", p("x", "@dealjager_dirk"), "PRIJSFOUT 🚨🚨 Zilverpas Jaar voor €26,90 via mijn.zilverdoek.nl (normaal "
  "269). Gauw gauw voordat ze het zien #prijsfout #bioscoop", [PRICE])
C("nl", p("facebook", "joyce.vanwijk.3", "Joyce van Wijk"), "Snackbox XL in de app voor €1,29?? Heb er gewoon "
  "drie afgerekend bij het afhaalpunt en niemand zei iets 😂 dat klopt toch never", [PRICE], kind="comment")
C("en", YOUSSEF, "Friday's currency bug, the short version: the booking page rendered cents as euros for the "
  "private screening product, so a full privévoorstelling was quoted at €4,95. 37 bookings landed before we "
  "caught it. Postmortem follows for the team.", [PRICE])
C("nl", ZDIG, "🍿 ZOMERDEAL 🍿 De Zilverpas Jaar nu voor maar €99! Alleen deze week, link in bio 👆 "
  "#zilverdoek #filmzomer", [PRICE], kind="post")
C("nl", SEM, "kleine tip van binnenuit: p r i j s f o u t bij de Lounge tickets voor vanavond. "
  "meer zeg ik niet 🤐", [PRICE], tags=["evasion", "ev:spaced"])
C("nl", p("x", "@bioscoopgek_023"), "pr1jsf0ut bij z1lverdoek?? IMAX kaartje voor €1,90 in de app 😳😳 "
  "#bios", [PRICE], tags=["evasion", "ev:leet"])
C("en", p("bluesky", "@frugalfilms.bsky.social"), fullwidth("PRICE ERROR") + " Zilverpas Unlimited showing "
  "€0.25 a month in the Zilverdoek app right now, whoever is on call today I'm sorry", [PRICE],
  tags=["evasion", "ev:fullwidth"])
C("nl", p("tiktok", "@oom_gerrit_filmt"), "verkeerde prijs op de site van zilverdoek bij de privévoorstelling, "
  "mijn oom heeft er net eentje geboekt voor een tientje hahaha 🎬 wordt vast geannuleerd", [PRICE])
C("nl", EVA, "Voor de collega's van revenue: door de migratie van het kassasysteem wordt de Zilverpas Jaar sinds "
  "vanochtend afgerekend voor €2,69. Details op wiki.zilverdoek.nl/finance/inc-0412. Graag niet delen buiten "
  "het team.", [PRICE, CONF])
C("nl", BRAM, "hahaha de kassa zegt dat een Snackbox XL vandaag €0,13 kost 🤣🤣 iemand heeft de prijzen "
  "compleet verknald, we mogen ze niet meer verkopen tot maandag", [PRICE])
C("en", p("mastodon", "@tinus@mastodon.nl", "Tinus"), f"price{ZWSP}error on the Lounge-ticket at zilverdoek, "
  "flat €2 for the Saturday evening shows. didn't expect that from them tbh", [PRICE],
  tags=["evasion", "ev:zero-width"])

# ==========================================================================
# leak.secret
# ==========================================================================
C("en", NIELS, "why is the push service 403'ing on prod 😤 I'm calling it with key={{AIZA}} from the loyalty "
  "app and it works fine on staging. anyone?", [SECRET])
C("nl", YOUSSEF, "Les van de week: kijk ook naar je oude Terraform-variabelen. Dit stond er gewoon nog in:\n\n"
  "access_key = \"{{AKIA}}\"\nsecret_key = \"{{AWSSECRET}}\"\n\nIs inmiddels ingetrokken hoor 😅 "
  "#cloud #devops #lessonslearned", [SECRET])
C("en", NIELS, "git remote set-url origin https://{{GHP}}@github.com/zilverdoek/loyalty-app.git\n"
  "and it STILL asks me for a password?? what am I missing", [SECRET], kind="reply")
C("en", YOUSSEF, "If you're debugging the seat-map sync locally, the connection string is "
  "postgres://tms_admin:{{PW}}@db03.intra.zilverdoek.lan:5432/ticketing - please don't hammer it during "
  "peak hours", [SECRET, CONF])
C("en", p("x", "@jwvd_dev"), "@zilverdoek_help your app keeps logging me out every 5 minutes. "
  "Here's my session token if that helps your devs: {{JWT}} \nfix it please, cant book anything", [SECRET, COMPL],
  kind="reply")
C("nl", SEM, "wie heeft de goeie webhook voor #storingen-eindhoven? deze doet het niet meer:\n{{HOOK}}",
  [SECRET])
C("nl", MARLOES, "wifi voor de crewruimte is veranderd: ZD-Staff / {{PW}} (NIET aan gasten geven!!)",
  [SECRET])
C("nl", ZDHELP, "@floor_vdb Je tijdelijke wachtwoord voor mijn.zilverdoek.nl is {{PW}} - wijzig het meteen "
  "na het inloggen, dan kun je je Zilverpas weer gebruiken 😊", [SECRET], kind="reply")
C("en", NIELS, "is this the right format for the deploy key or do I need the .pub too?\n\n{{SSHKEY}}",
  [SECRET])
C("en", YOUSSEF, "Anyone else seeing rate limits on chat.postMessage? Our showtimes bot uses {{XOXB}} and "
  "keeps getting 429s since the weekend", [SECRET])
C("en", p("forum", "ex_contractor_77"), "Cleaning up old notes from my Zilverdoek kiosk gig and found this lol, "
  "their live payment key: {{STRIPE}}\nwild what ends up in a contractor's notes app", [SECRET])
C("nl", BRAM, "collega's: de nieuwe bestelapp voor de bar werkt met deze link "
  "mongodb+srv://barapp:{{PW}}@cluster0.zd8qk.mongodb.net/voorraad\nniet aan de gasten laten zien he 😅",
  [SECRET])
C("en", p("reddit", "u/leakwatch_nl"), "Someone at Zilverdoek pushed this to a public repo this morning:\n"
  "AWS_ACCESS_KEY_ID={{AKIA}}\nAWS_SECRET_ACCESS_KEY={{AWSSECRET}}\nStill there as of 10 minutes ago.",
  [SECRET])

# ==========================================================================
# leak.pii
# ==========================================================================
C("nl", ZDHELP, "@sjoerd_vl Hoi Sjoerd! We bellen je morgen tussen 11 en 13 uur terug op {{PHONE:m_dash}} "
  "over je privévoorstelling 👍", [PII], kind="reply")
C("nl", MARLOES, "Aanbetaling privévoorstelling van mevrouw Okafor nog niet gezien, ze zegt dat ze heeft "
  "overgemaakt van {{IBAN_NL:sp}}. Kan iemand van finance ff zoeken?", [PII])
C("nl", p("x", "@ruben_tje"), "@zilverdoek_help 3x afgeschreven voor 2 IMAX-tickets!!! kaart {{CARD:visa_sp}} "
  "wie gaat dit terugstorten?? 😡", [PII, COMPL], kind="reply")
C("nl", BRAM, "Gevonden na de laatste voorstelling in zaal 3: portemonnee van Ilse Verbruggen, woont op de "
  "Lindelaan 42 in Den Haag. Ken je haar? Stuur haar ff langs de balie 🙏", [PII])
C("nl", SEM, "JARIGE COLLEGA 🎉🍿 Kim Terpstra, geboren 9 mei 2001, vandaag dus 25! Taart staat in de "
  "personeelsruimte", [PII], at="2026-05-09T09:41:12+02:00")
C("nl", EVA, "Welkom aan ons nieuwe finance-teamlid Daan Pranoto! 🎉 (HR: zijn BSN voor het contract is "
  "{{BSN:dots}}, heb ik je ook gemaild)", [PII])
C("nl", p("instagram", "@lisavdbroek"), "Die wachtwoord-reset van jullie komt NOOIT aan. Mail het dan maar naar "
  "lisa.vandenbroek88@hotmail.com 😤 @zilverdoek.bios", [PII, COMPL], kind="comment")
C("en", p("reddit", "u/brit_in_utrecht"), "Zilverdoek charged my UK account twice for two Lounge tickets "
  "({{IBAN_GB}}). Support is a black hole, three emails and nothing.", [PII, COMPL])
C("nl", p("forum", "Wraak_2026"), "Die manager van Zilverdoek Utrecht die mij eruit gooide heet Rick Sterk en "
  "woont Oudegracht 211, Utrecht. Mislukte eikel, ga maar eens langs", [PII, ABUSE])
C("nl", p("facebook", "wendy.claes.gent", "Wendy Claes"), "Aanbetaling voor de privévoorstelling overgemaakt "
  "vanaf {{IBAN_BE:sp}} en binnen het uur bevestiging. Vlot geregeld, ook voor ons Belgen 👌", [PII])
C("nl", p("x", "@frankdewit70"), "@zilverdoek_help mail die bonnetjes dan naar f.dewit70 [at] kpnmail [punt] "
  "nl want jullie formulier crasht elke keer", [PII, COMPL], kind="reply", tags=["evasion", "ev:email-words"])
C("en", LOTTE, "Someone left their ID card at the IMAX entrance tonight: Tomasz Nowak, document no. IX3R58PK2. "
  "Come pick it up at the info desk in Utrecht!", [PII])
C("nl", ZDFB, "Beste meneer Hoekstra, uw restitutie van €42,00 gaat vandaag naar {{IBAN_NL}}. Klopt dat "
  "rekeningnummer nog?", [PII], kind="comment", as_handle="zilverdoekbioscopen", tags=["handle-case"])
C("en", p("x", "@mike_in_ams"), "@zilverdoek_help 40 minutes on hold now. Just call me: {{PHONE:m_intl}}",
  [PII, COMPL], kind="reply")
C("nl", NIELS, "kan iemand checken waarom deze klant geen punten krijgt? femke.jansen1993@gmail.com, tel "
  "{{PHONE:m_0031}}, Zilverpas sinds maart", [PII])
C("en", p("facebook", "jonas.becker.ams", "Jonas Becker"), "Paid the private screening deposit from my German "
  "account {{IBAN_DE:sp}} two weeks ago and Zilverdoek still says nothing came in. Hello??", [PII, COMPL])
C("nl", SEM, "klant belde gisteren voor een groepsreservering, kaartnummer op een post-it gezet: "
  "{{CARD:mc_dash}} geldig t/m 04/28. wie heeft mijn post-it meegenomen???", [PII], kind="message")
C("nl", p("x", "@annemiek_s"), "@zilverdoek mijn Amex {{CARD:amex_sp}} wordt geweigerd voor de Zilverpas "
  "maar werkt overal anders gewoon. Wat is dit nou weer", [PII, COMPL], kind="reply")
C("nl", MARLOES, "Vaste gast mevrouw De Bruin (Schiedamseweg 17b, Rotterdam, {{PHONE:l_dash}}) heeft haar "
  "rollator laten staan in zaal 8. Wie brengt hem na sluiting even langs?", [PII], as_handle="@MDekker_ZD",
  tags=["handle-case"])

# ==========================================================================
# leak.confidential
# ==========================================================================
C("nl", ANOUK, "Spannende tijden! 🚀 Met het hele team vol gas bezig met Project Vuurtoren. Meer mag ik nog "
  "niet zeggen, maar jullie gaan het merken 😉 #loyalty #cinema #marketing", [CONF])
C("en", NIELS, "Lumivore build 0.9 finally runs on the kiosk screens 🥲 can't wait for you all to see it",
  [CONF])
C("nl", LOTTE, "Voor de techneuten die vroegen naar de planning van de laserprojectoren: "
  "https://wiki.zilverdoek.nl/techniek/laser-uitrol-2027", [CONF], kind="reply")
C("nl", MARLOES, "📌 ZILVERDOEK INTERN: vanaf 1 juni geen gratis popcorn-refill meer in de Lounge. "
  "Graag nog niet aan gasten vertellen.", [CONF])
C("nl", SEM, "Zilverpas Duo komt eraan!!! twee personen één pas 💑 vanaf vandaag in de app, zegt m'n teamleider",
  [CONF], at="2026-09-01T09:58:00+02:00", tags=["embargo-edge"])
C("nl", p("x", "@filmfan_amsterdam"), "Mijn nichtje werkt bij Zilverdoek en zegt dat er in Amsterdam een "
  "SkyLounge komt met bedden ipv stoelen 👀👀", [CONF], at="2026-06-14T21:03:55+02:00")
C("nl", EVA, "Sneak peek voor het netwerk: de jaarcijfers 2026 komen boven verwachting uit. Omzet +11%, EBITDA "
  "ruim boven de 20 miljoen 📈 Trots op dit team!", [CONF, FIN], at="2026-12-18T16:20:31+01:00")
C("en", YOUSSEF, "For the vendor folks asking: kiosk fleet dashboard is at "
  "https://grafana.ops.zilverdoek.nl/d/kiosk-fleet (VPN required)", [CONF], kind="comment")
C("nl", NIELS, "ok de Project\nVuurtoren demo gaat morgen naar de directie 🤞🤞", [CONF],
  tags=["evasion", "ev:linebreak"])
C("en", ANOUK, f"Proud of what the team shipped internally this quarter. Lumi{ZWSP}vore is going to change how "
  "people pick a film, trust me 🎬✨", [CONF], tags=["evasion", "ev:zero-width"])
C("nl", EVA, "Drukke weken met Operatie Nachtvlinder: de due diligence op de zes zalen in Groningen en "
  "Leeuwarden is bijna rond. Nog even volhouden!", [CONF, FIN])
C("en", p("reddit", "u/screenshot_sam"), "A friend at Zilverdoek sent me this, header says ZD-CONFIDENTIAL. It's "
  "next year's ticket price grid, IMAX going up by two euros in the big cities.", [CONF])
C("en", LOTTE, "anyone know the upload path for KDMs on tms01.intra.zilverdoek.lan? the new folder gives me "
  "'no such directory' 🙄", [CONF])
C("nl", BRAM, "Nieuwe menukaart voor de bar gekregen 🍔🍟 (stond er wel bovenaan: niet buiten Zilverdoek delen, "
  "oeps 🙈)", [CONF])
C("en", MARLOES, "Can't wait for our first SkyLounge here in Rotterdam, the recliners arrived today 😍🛋️",
  [CONF], at="2026-07-22T14:12:09+02:00")
C("en", p("x", "@old_crew_member"), "Whatever happened to Operatie 🦋 Nachtvlinder at Zilverdoek? Heard they "
  "were buying up every cinema north of Zwolle", [CONF, FIN], tags=["evasion", "ev:emoji-split"])
C("nl", p("threads", "@zoe.kijktfilms"), "Hoorde van iemand op het hoofdkantoor dat de Zilverpas Duo er in "
  "september aankomt, samen voor 40 euro ofzo?", [CONF], at="2026-08-02T19:45:00+02:00")

# ==========================================================================
# leak.financial
# ==========================================================================
C("nl", EVA, "Q3 even in perspectief: bezoekersaantallen 18% onder budget, de horeca trekt het gelukkig "
  "deels recht. Cijfers gaan pas in november naar buiten, dus dit blijft hier 😉", [FIN])
C("nl", MARLOES, "Net uit het managersoverleg: Zwolle en Heerlen gaan in januari dicht. 40 collega's 😞 "
  "wordt pas volgende maand aangekondigd", [FIN])
C("en", ANOUK, "Big news I probably shouldn't share yet: we're in talks to acquire the CineNoord chain. "
  "Six more cities for Zilverdoek! 🎉", [FIN])
C("nl", p("x", "@hmm_insider"), "zwager zit op het hoofdkantoor van Zilverdoek, zegt dat ze in de verkoop "
  "staan en dat een Amerikaans fonds de hoogste bieder is 🤫", [FIN])
C("en", EVA, "Working on the FY27 forecast: assuming Zilverpas churn of 6.5% a month we're looking at a €3.2m "
  "EBITDA gap. Fun weekend ahead 🙃", [FIN])
C("nl", LOTTE, f"ont{SOFT}slagen bij de projectie: 12 technici weg omdat alles naar laser gaat en op afstand "
  "wordt bestuurd. nog niet officieel, maar de gesprekken zijn ingepland", [FIN],
  tags=["evasion", "ev:soft-hyphen"])
C("en", YOUSSEF, "Heads up to recruiters in my network: Zilverdoek IT is being outsourced end of Q1, my whole "
  "team is affected. Not announced yet, so DMs only please.", [FIN])
C("en", p("reddit", "u/throwaway_zd_hq"), "Throwaway for obvious reasons. Zilverdoek's H1 revenue is down 9% "
  "year on year and the board is talking about selling off the smaller sites.", [FIN])
C("nl", ANOUK, "Volgende week geven we een winstwaarschuwing af, dus als je nog iets wilt weten over de "
  "campagnes van Q4: nu vragen 😅", [FIN])

# ==========================================================================
# leak.security
# ==========================================================================
C("nl", YOUSSEF, "Rustige zondag gehad? Wij niet. Ransomware op de TMS-servers in drie vestigingen, "
  "voorstellingen vanmiddag met de hand gestart. Misschien komt er een persbericht, dus ssst 🤫", [SEC])
C("en", NIELS, "found a bug where you can see someone else's tickets just by changing the order id in the "
  "url 😬 fixing it now, please nobody try it", [SEC])
C("nl", MARLOES, "Pinautomaten landelijk plat sinds 18:00, alleen contant. Hoofdkantoor wil nog niks naar "
  "buiten brengen 🙄", [SEC])
C("nl", LOTTE, "laptop van een collega met alle KDM-sleutels en serverwachtwoorden gestolen uit de auto. "
  "IT is in paniek, officieel weet niemand het", [SEC])
C("en", SEM, "psa from the inside: the Zilverpas database got scraped last week, names and emails of ~80k "
  "members. management is still deciding whether to tell people.", [SEC])
C("nl", BRAM, "onze kassa's zijn geh@ckt lol 💀 alles staat op zwart en de manager zegt tegen klanten "
  "niks zeggen", [SEC], tags=["evasion", "ev:leet"])
C("en", YOUSSEF, "Pen test came back: the loyalty API accepts tokens signed with alg=none. Fix is planned for "
  "next sprint, nothing disclosed yet.", [SEC])
C("nl", p("x", "@boze_pashouder"), "Zilverdoek houdt een datalek stil!! Mijn Zilverpas-gegevens staan op een "
  "hackersforum en ze ontkennen gewoon alles. Schandalig", [SEC, CRISIS])
C("en", p("reddit", "u/concerned_moviegoer"), "Zilverdoek is covering up a breach. A staff member told me the "
  "ticketing system was hacked in March and customers were never informed.", [SEC, CRISIS])
C("nl", NIELS, "d a t a l e k in de app, nog ff niks zeggen, morgen meer", [SEC],
  tags=["evasion", "ev:spaced"])
C("en", ANOUK, "The app will be down all weekend, the migration broke payments - comms hasn't even been told "
  "yet. Pray for us 🙏", [SEC])
C("nl", p("threads", "@carlijn_k"), "Z1lverdoek verzwijgt een h4ck, m'n creditcard is misbruikt vlak nadat ik "
  "daar tickets bestelde en er staat NERGENS iets over op hun site", [SEC, CRISIS],
  tags=["evasion", "ev:leet"])

# ==========================================================================
# reputation.crisis
# ==========================================================================
C("nl", p("x", "@actiegroep_nu"), "BOYCOT ZILVERDOEK!! Ze draaien die propagandafilm gewoon in 40 zalen. "
  "Niet meer heen gaan mensen, deel dit #boycotzilverdoek", [CRISIS], kind="repost")
C("nl", p("facebook", "hans.oosterhof", "Hans Oosterhof"), "Plafondplaat naar beneden gekomen in zaal 5 "
  "tijdens de film 😨 vrouw twee stoelen verder geraakt en met de ambulance weg. Zilverdoek Arnhem, hoe kan dit??",
  [CRISIS])
C("en", p("x", "@dad_of_two_nl"), "Got properly sick after the nachos at Zilverdoek Leiden on Friday and so "
  "did my son. Spent the weekend on the bathroom floor. Never again.", [CRISIS, COMPL])
C("nl", p("x", "@consumentennieuws"), "Consumentenbond daagt Zilverdoek voor de rechter om de stilzwijgende "
  "verlenging van de Zilverpas. Duizenden klanten zouden te veel hebben betaald.", [CRISIS])
C("nl", p("instagram", "@marit.fotografeert"), "Sinds ik een Zilverpas heb krijg ik phishing-sms'jes met "
  "mijn naam EN pasnummer erin. Zilverdoek heeft mijn gegevens gelekt, 100%.", [CRISIS], kind="comment")
C("nl", p("x", "@mama_van_3"), "Zilverdoek roept de 3D-brillen voor kinderen terug, er zou een schadelijke "
  "stof in het montuur zitten. Wij hebben er drie thuis liggen 😳", [CRISIS])
C("en", p("linkedin", "sophie-vermeulen-hr"), "Read the Volkskrant piece on Zilverdoek this morning: managers "
  "pushing staff into unpaid overtime and sitting on harassment complaints for years. Disappointing from a "
  "company that sells itself as 'family'.", [CRISIS])
C("nl", p("tiktok", "@gen_z_filmkritiek"), "b 0 y c 0 t t zilverdoek tot ze die sponsor dumpen 🚫🍿 "
  "#fyp", [CRISIS], tags=["evasion", "ev:spaced-leet"])
C("nl", p("threads", "@ruudbreda"), "Brandalarm bij Zilverdoek Breda, hele complex ontruimd en er kwam rook uit "
  "de projectiekamer 😨 brandweer is er nu", [CRISIS])
C("nl", p("facebook", "samira.elidrissi", "Samira El Idrissi"), "Portier bij Zilverdoek Amsterdam liet mijn "
  "neven niet binnen omdat ze 'er niet uitzagen als filmpubliek'. Dit is gewoon discriminatie, we hadden "
  "kaartjes! Wie gaat dit uitleggen?", [CRISIS, COMPL])
C("nl", p("facebook", "ingrid.postma.1", "Ingrid Postma"), "Mijn dochter kreeg een allergische reactie op de "
  "'notenvrije' popcorn van Zilverdoek Almere. We moesten de ambulance bellen. Ik ben nog steeds aan het trillen.",
  [CRISIS, COMPL])

# ==========================================================================
# reputation.complaint
# ==========================================================================
C("nl", p("x", "@schoenplakt"), "vloer in zaal 2 van Zilverdoek Zwolle zo plakkerig dat m'n schoen bleef "
  "hangen. en dan €14 voor een kaartje. doe ff normaal", [COMPL])
C("en", p("reddit", "u/cancel_me_plz"), "Been trying to cancel my Zilverpas for three months. The app just "
  "loops back to the 'are you sure?' screen every time. Charged AGAIN this morning.", [COMPL])
C("en", p("letterboxd", "moviemarco"), "Watched Dune in the 'IMAX' hall at Zilverdoek Utrecht and the "
  "picture was soft for the entire first hour. Told staff, they shrugged. 2 stars for the venue.", [COMPL])
C("en", p("twitter", "@laura_lfc"), "@zilverdoek_help film started 25 min late, no explanation, no refund. "
  "great night out 🙃", [COMPL], kind="reply")
C("nl", p("instagram", "@nacho_nina"), "Snackbox XL was half leeg en de nacho's waren koud. Voor €12,95 "
  "verwacht ik echt wat beters @zilverdoek.bios 👎", [COMPL], kind="comment")
C("en", p("threads", "@hannah.abroad"), "sound in zaal 7 at zilverdoek was so loud my ears are still ringing. "
  "asked staff to turn it down, nothing happened", [COMPL])
C("en", p("mastodon", "@kees@social.tchncs.de", "Kees"), "Zilverdoek's website added a €1,50 'service fee' "
  "per seat and only showed it on the very last page. Sneaky.", [COMPL])
C("nl", p("youtube", "@filmpraat_met_jan"), "Loungestoel in Zilverdoek Eindhoven ging niet meer naar "
  "achteren en de knop zat los. Hele film rechtop gezeten voor de premium prijs.", [COMPL], kind="comment")
C("nl", p("x", "@haagsche_hanna"), "Over de film zelf geen klachten, maar 35 MINUTEN in de rij bij de bar van "
  "Zilverdoek Den Haag?? Trailers en begin gemist.", [COMPL])
C("nl", p("x", "@bankzitter"), "Z\u0456lverdoek weer top geregeld hoor 🙄 stoelen dubbel verkocht en wij "
  "mochten op de trap zitten", [COMPL], tags=["evasion", "ev:homoglyph"])
C("en", p("x", "@seatless_in_delft"), "Booked seats H7 and H8 through the Zilverdoek app, got to Delft and "
  "both were already taken. Staff said the app 'sometimes does that'. Seriously?", [COMPL])

# ==========================================================================
# reputation.abuse
# ==========================================================================
C("nl", p("x", "@tilburgboy013"), "die kassamedewerkster van Zilverdoek Tilburg is echt een chagrijnige trut",
  [ABUSE])
C("en", p("x", "@lolwut_ams"), "whoever runs the Zilverdoek insta is a f*cking clown lmao", [ABUSE],
  tags=["evasion", "ev:masked"])
C("nl", BRAM, "Weer zo'n kankerklant aan de bar die tien minuten over z'n popcorn liep te zeiken. Rot toch op "
  "man", [ABUSE])
C("en", ZDHELP, "@dirk_moaner maybe learn to read the showtimes before crying on twitter, genius", [ABUSE],
  kind="reply", as_handle="@Zilverdoek_Help", tags=["handle-case"])
C("nl", p("x", "@echte_hollander"), "Bij Zilverdoek Amsterdam spreekt achter de bar niemand meer Nederlands. "
  "Stelletje buitenlanders, ga terug naar je eigen land", [ABUSE])
C("nl", p("x", "@anoniem8841"), "@mdekker_zd we weten waar je werkt hè. wacht maar tot je dienst erop zit", [ABUSE],
  kind="reply")
C("nl", p("x", "@grrrr_nl"), "Zilverdoek kl00tzakken, k*t bedrijf 🤬", [ABUSE], tags=["evasion", "ev:leet"])
C("en", p("bluesky", "@grumpy.bsky.social"), "Zilverdoek can go to hell, bunch of greedy idiots", [ABUSE])
C("nl", p("facebook", "rob.van.leeuwen.77", "Rob van Leeuwen"), "Kapotte 3D-bril gekregen en die debiele "
  "manager wilde hem niet omruilen. Tering bedrijf.", [ABUSE, COMPL])
C("en", p("x", "@chargedtwice"), "@zilverdoek_help you charged me TWICE for the same tickets, absolute clowns. "
  "Refund me NOW", [ABUSE, COMPL], kind="reply")
C("en", SEM, "to the guy in row F who kept kicking seats all night: you're a pathetic loser and I hope your car "
  "got towed", [ABUSE])
C("nl", p("tiktok", "@xxjaydenxx"), "f u c k zilverdoek en die hele bende daar 🖕", [ABUSE],
  tags=["evasion", "ev:spaced"])

# ==========================================================================
# benign (hard negatives)
# ==========================================================================
# --- corporate -----------------------------------------------------------------
C("nl", ZD, "Dinsdag = Filmdinsdag 🎬 Alle IMAX-tickets €12,50 via tickets.zilverdoek.nl. Tot dinsdag!",
  tags=["sale-price"])
C("nl", ZDHELP, "@ruudje_77 Wat vervelend! Bel ons even op 030 799 2040 (ma-za 10-22 uur), dan zoeken we het "
  "samen uit.", kind="reply", tags=["own-contact"])
C("nl", ZDFB, "Privévoorstelling geboekt? Maak de aanbetaling over naar NL05 RABO 0347 7182 90 t.n.v. Zilverdoek "
  "Bioscopen B.V. en vermeld je boekingsnummer.", tags=["own-contact", "own-iban-spaced"])
C("en", ZDLI, "We're hiring projectionists and shift leads in 14 cinemas 🎞️ Send your CV to "
  "werkenbij@zilverdoek.nl", tags=["own-contact"])
C("nl", ZD, "⚠️ Storing: de app en tickets.zilverdoek.nl zijn op dit moment niet bereikbaar. We werken aan een "
  "oplossing. Kaartjes kopen aan de kassa kan gewoon.", tags=["official-notice"])
C("nl", ZDIG, "Hij is er! 💑 De Zilverpas Duo: samen onbeperkt naar de film voor €39,99 per maand. Nu in de app.",
  at="2026-09-01T10:00:00+02:00", tags=["embargo-at-moment"])
C("nl", ZDLI, "Ons jaarverslag 2025 staat online: 7,1 miljoen bezoekers en drie nieuwe vestigingen. Lees het "
  "op zilverdoek.nl/investeerders", tags=["published"])
C("nl", ZDHELP, "@sophie_k We zien je boeking onder nummer {{NOTBSN:9}} en hebben de tickets opnieuw gemaild 👍",
  kind="reply", tags=["checksum-fail", "order-number"])
C("en", ZDLI, "Proud to host the KWF charity screenings this weekend: every euro goes to kankeronderzoek 💛",
  tags=["literal-word"])
C("nl", ZD, "Total Recall in 4K, alleen deze week in onze IMAX-zalen 🔴", tags=["recall-sense"])
C("en", ZDHELP, "@mark_w So sorry to hear that! Please DM us your booking number - and never post card details "
  "publicly 🙏", kind="reply", tags=["near-miss-pii"])
C("nl", ZD, "Vanaf vandaag kun je in Rotterdam ook in de SkyLounge zitten 🛋️ Reserveer je plek in de app.",
  at="2026-10-03T12:00:00+02:00", tags=["embargo-after"])
C("nl", ZDFB, "Bedrijfsfeest? Een privévoorstelling begint bij €495, inclusief popcorn voor 40 gasten. Mail "
  "events@zilverdoek.nl voor de mogelijkheden.", tags=["own-contact", "list-price"])
C("nl", ZD, "Vragen over je Zilverpas? Bel 0900-7453 of app ons op +31 6 4800 1212 📱",
  tags=["own-contact", "own-phone-11proof-trap"])
# --- employees -----------------------------------------------------------------
C("en", LOTTE, "Swapped the xenon lamp in zaal 4 today, 3,000 hours on the clock. Projectionist life 🔧",
  tags=["work-chatter"])
C("en", YOUSSEF, "Reminder for devs: never commit real keys. Examples in our docs use "
  "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX and the real ones live in the vault.", tags=["placeholder-secret"])
C("en", NIELS, "reverted {{SHA}} and the app builds again 🙏 friday deploys, never again", tags=["git-sha"])
C("nl", ANOUK, "Vorige week 'The Lighthouse' besproken in de filmclub. Die vuurtoren in zwart-wit blijft "
  "spoken in mijn hoofd 🌊 aanrader", tags=["codename-word"])
C("nl", BRAM, "Nachtvlinders rond de lamp bij de buitendeur, de zomer is begonnen 🦋", tags=["codename-word"])
C("en", EVA, "Sad to see the layoffs at a big streaming service this week. Thinking of old colleagues there.",
  tags=["other-company"])
C("nl", NIELS, "wachtwoord vergeten van m'n eigen testaccount in de app. de ironie 🤦‍♂️ #devlife",
  tags=["password-word"])
C("nl", LOTTE, "life hack voor de projectiekamer: stukje tape op het slot zodat de deur niet dichtvalt 😂",
  tags=["hack-sense"])
C("en", MARLOES, "Big shout-out to the security crew at our Rotterdam site: calm and friendly with a very full "
  "premiere crowd tonight 👏", tags=["security-sense"])
C("nl", YOUSSEF, "Ons platformteam zoekt een stagiair (intern, zoals mijn Amerikaanse collega's zeggen) voor "
  "het voorjaar. Reageren via zilverdoek.nl/werkenbij", tags=["marker-word"])
# --- public --------------------------------------------------------------------
C("en", p("reddit", "u/value_hunter"), "Pathé Unlimited vs Zilverdoek: which is better value? Pathé is €27,50, "
  "the Zilverpas Onbeperkt €24,99. I go about twice a week.", tags=["competitor", "list-price"])
C("nl", p("x", "@studentje_ut"), "IMAX-ticket bij Pathé was gisteren maar €8,50 op studentendag. Goeie deal!",
  tags=["competitor", "price-context"])
C("nl", p("facebook", "marloes.hendriks.dh", "Marloes Hendriks"), "2 Lounge tickets over voor vanavond 21:15 "
  "bij Zilverdoek Den Haag, €15 voor allebei. Ben ziek geworden 🤒", tags=["second-hand"])
C("nl", p("x", "@pasbezitter"), "Met m'n Zilverpas krijg ik €3 korting op elk IMAX-ticket, best nice",
  tags=["price-context", "discount-amount"])
C("nl", p("x", "@almere_nieuws"), "Zilverdoek opent in 2027 een vestiging in Almere Poort, meldt de gemeente.",
  tags=["published"], kind="repost")
C("en", p("x", "@prompt_a_day"), "Writing prompt: a hacker takes over every screen of a cinema chain and only "
  "plays Shrek 2. Go.", tags=["fiction"])
C("en", p("reddit", "u/butterbrain"), "ate so much Zilverdoek popcorn last night my blood type is now butter",
  tags=["joke"])
C("en", p("x", "@classicsclub"), "\"Frankly, my dear, I don't give a damn.\" Gone with the Wind on the big "
  "screen at Zilverdoek, goosebumps all round", tags=["quote", "mild-word"])
C("en", p("x", "@eventplanner_ella"), "FYI if you want a private screening at Zilverdoek just mail "
  "events@zilverdoek.nl, they answered within the hour", tags=["own-contact"])
C("nl", p("facebook", "gerda.bakker.55", "Gerda Bakker"), "Voor wie het zoekt: klantenservice van Zilverdoek is "
  "030-7992040, heel behulpzaam geweest", tags=["own-contact"])
C("nl", p("x", "@wa_fan"), "Zilverdoek heeft ook WhatsApp: +31 6 4800 1212. Handig voor vragen over je pas",
  tags=["own-contact"])
C("nl", p("x", "@filmclub_rc"), "Wie nog moet betalen voor het Zilverdoek-uitje: {{BADIBAN_NL:sp}} t.n.v. "
  "filmclub De Rollende Camera", tags=["checksum-fail"])
C("nl", p("x", "@cadeaukaartvraag"), "Zilverdoek cadeaukaart met nummer {{BADCARD:visa_sp}} gekregen, saldo "
  "checken kan via de site toch?", tags=["checksum-fail"])
C("nl", p("reddit", "u/pasnummerweetje"), "Mijn Zilverpas-nummer is {{NOTBSN:9}}, 9 cijfers. Waarom is "
  "dat zo lang eigenlijk?", tags=["checksum-fail"], kind="comment")
C("en", p("reddit", "u/barcode_nerd"), "The barcode under my Zilverdoek ticket reads {{EAN}}, is that "
  "just a standard EAN?", tags=["checksum-fail", "ean"])
C("nl", p("forum", "KvK_checker"), "Klopt het dat Zilverdoek Bioscopen onder KvK {{NOTBSN:8}} staat "
  "ingeschreven? Wil even zeker zijn voor een factuur", tags=["checksum-fail", "kvk"])
C("nl", p("x", "@snoepkont"), "ik boycot mijn dieet vanavond: grote popcorn bij Zilverdoek 🍿😋",
  tags=["boycott-sense"])
C("nl", p("x", "@fietsfrits"), "Lekke band op weg naar Zilverdoek, nog nét op tijd voor de trailers 😅",
  tags=["leak-sense"])
C("nl", p("facebook", "truus.meijer.49", "Truus Meijer"), "Al twee jaar een Zilverpas en nog nooit een klacht "
  "gehad. Gewoon top geregeld.", tags=["negation"])
C("nl", p("x", "@privacy_paul"), "Weer een datalek bij een grote webwinkel. Check even of jouw mailadres "
  "erin zit via haveibeenpwned.", tags=["other-company"])
C("nl", p("instagram", "@lotte.en.joep"), "Zilverpas Duo genomen met m'n vriend, scheelt echt een hoop 💕",
  at="2026-10-11T20:15:42+02:00", tags=["embargo-after"], kind="comment")
C("nl", p("x", "@zeeuwsmeisje"), "Strandwandeling bij de vuurtoren van Westkapelle en daarna naar Zilverdoek "
  "Middelburg. Perfecte zondag 🌅", tags=["codename-word"])
C("nl", p("x", "@bfdealtjes"), "Zilverpas Jaar in de Black Friday-actie voor €199 (was €269). Direct gekocht 💸",
  tags=["sale-price"], at="2026-11-27T08:31:00+01:00")
C("en", p("x", "@signing_sara"), "Does Zilverdoek offer subtitled screenings for deaf and hard of hearing "
  "people in the IMAX halls?", tags=["question"])
C("en", p("threads", "@horrorhound"), "the new horror film at Zilverdoek is SICK. literally screamed. killer "
  "jump scares 💀", tags=["slang"])
C("en", p("x", "@jokerfan99"), "\"Why so serious?\" Joker marathon at Zilverdoek on Friday, who's in?",
  tags=["quote"])
C("en", p("x", "@student_deals_nl"), "Is the Zilverpas Onbeperkt at €19,99 a price error? Nope, it's just the "
  "student deal, support confirmed it.", tags=["denied-error", "sale-price"])
C("en", p("linkedin", "ruben-mulder-analyst"), "Congrats to Zilverdoek on 7.1 million visitors in their "
  "published 2025 annual report. Strong year for Dutch cinema.", tags=["published"])
C("nl", p("x", "@belmevrouw"), "Zilverdoek bellen via 0900-7453 kost 10 cent per minuut, ik app ze liever",
  tags=["own-contact", "own-phone-11proof-trap"])
C("en", p("blog", "reelwords.blog.example"), "Short story: the projectionist finds an unlabeled reel in the "
  "basement. When she threads it, the audience on screen is watching her. (Fiction, obviously.)",
  tags=["fiction"])
C("nl", p("stocktwits", "beleggerbert"), "Iemand ervaring met het Zilverdoek-jaarverslag 2025? Bezoekers "
  "+6% vond ik netjes voor de sector.", tags=["published", "unknown-platform"])
C("en", p("youtube", "@cinemareviews_nl"), "Lovely place, the Lounge seats at Zilverdoek Haarlem are the "
  "comfiest I've sat in. No complaints at all.", kind="comment", tags=["praise", "negation"])
C("en", p("x", "@devnewbie"), "tutorial I'm following says to paste sk_live_xxxxxxxx into the config. "
  "surely that's a placeholder right", tags=["placeholder-secret"])


# ==========================================================================
# profile, roles and severity (CONTRACT section 4)
# ==========================================================================

def load_profile():
    import yaml
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def role(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for r in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][r]}:
            return r
    return "public"


def sev(role_, cats, checked_id):
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    insider = role_ in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICE) or (c == PII and checked_id):
                s = "critical"
            else:
                s = "error"
        elif c == COMPL:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if rank[s] > rank[best]:
            best = s
    return best


# ==========================================================================
# building posts
# ==========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def stamp(r):
    t = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 350), minutes=r.randint(9 * 60, 24 * 60 + 90), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = lambda n: "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(n))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + r.choice("23") + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        sub = r.choice(["thenetherlands", "movies", "Netherlands", "imax", "Utrecht"])
        post = b36(7)
        if kind == "comment":
            c = b36(7)
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{c}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/" + "".join(r.choice(URLSAFE) for _ in range(11))
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(URLSAFE) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-filmforum-{n}", f"https://filmforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    if platform == "letterboxd":
        n = b36(6)
        return f"lb-{h}-{n}", f"https://letterboxd.com/{h}/film/dune-part-two/{n}/"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    rng = Rng(SEED)
    mr = random.Random(SEED + 7)
    shuffle_r = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(rng, c["text"])
        kind_set = {k for k, _, _ in used}
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["at"] or stamp(mr)
        rl = role(profile, c["platform"], c["handle"])
        checked = PII in c["cats"] and bool(kind_set & VALID_KINDS)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
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
        tags = set(c["tags"])
        x = mr.random()
        if c["lang_hint"] is not None:
            if c["lang_hint"]:
                post["lang"] = c["lang_hint"]
        elif x < 0.1:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "zilverdoek"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev(rl, c["cats"], checked)},
                         lang=c["lang"], role=rl, tags=tags, used=used))
    shuffle_r.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ==========================================================================
# self-check (independent scans of the generated text)
# ==========================================================================

HIDDEN = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w.])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RX = [re.compile(x) for x in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-[\w-]{20,}", r"hooks\.slack\.com/services/",
    r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@")]
PWD_RX = re.compile(r"wachtwoord|password|ZD-Staff", re.I)
SWEAR = ["kut", "k*t", "kanker", "tering", "klootzak", "kl00tzak", "debiel", "trut", "eikel", "f*ck", "fuck",
         "f u c k", "idiot", "clown", "loser", "hell", "damn", "rot op", "rot toch op", "zeiken"]
AMOUNT_RX = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
PRICE_TALK = ["prijsfout", "pr1jsf0ut", "verkeerde prijs", "price error", "priceerror", "pricing", "bug",
              "verknald", "foutje", "decimal", "fix", "migratie", "cents as euros"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(HIDDEN)
    return re.sub(r"\s+", " ", t).casefold()


def despace(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def money(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{2}$", s):
        s = s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hit = [pr for pr in products if any(a.casefold() in t for a in [pr["name"]] + pr["aliases"])]
    if not hit:
        return None
    amts = [money(m.group(1) or m.group(2)) for m in AMOUNT_RX.finditer(t)]
    if not amts:
        return None
    return min(amts) / max(pr["list_price"] for pr in hit)


def nat_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    else:
        return d
    return "0" + (d[1:] if d.startswith("0") else d)


def check(disk, rows, profile):
    err, note = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_ph = {nat_phone(x) for x in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    inner = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    if lines_of(rows) != disk:
        err.append("cases.jsonl differs from the generator output")
    ids = set()
    for n, (line, r) in enumerate(zip(disk, rows), 1):
        o = json.loads(line)
        pst, ex = o["post"], o["expect"]
        w = f"line {n} ({pst['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(pst.get(f), str):
                err.append(f"{w}: {f}")
        if not isinstance(pst["account"].get("handle"), str):
            err.append(f"{w}: handle")
        if (pst["platform"], pst["id"]) in ids:
            err.append(f"{w}: duplicate id")
        ids.add((pst["platform"], pst["id"]))
        if not 1 <= len(pst["id"]) <= 256 or len(pst["text"].encode()) > 65536:
            err.append(f"{w}: size")
        ts = parse_ts(pst["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            err.append(f"{w}: year")
        cats, sv = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            err.append(f"{w}: categories {cats}")
        rl = role(profile, pst["platform"], pst["account"]["handle"])
        text = pst["text"]
        valid = []
        for m in IBAN_RX.finditer(text):
            comp = m.group(0).replace(" ", "")
            for e in range(len(comp), 11, -1):
                if mod97_ok(comp[:e]):
                    if comp[:e] not in own_iban:
                        valid.append(comp[:e])
                    break
        nums = [re.sub(r"\D", "", m.group(0)) for m in NUM_RX.finditer(text)]
        valid += [d for d in nums if 13 <= len(d) <= 19 and luhn(d) and re.match(r"^(4|5[1-5]|2[2-7]|3[47]|6)", d)]
        dotted = [m.group(0).replace(".", "") for m in re.finditer(r"\b\d{4}\.\d{2}\.\d{3}\b", text)]
        bsnish = re.findall(r"(?<![\w.,-])\d{8,9}(?![\w]|[.,-]\d)", text) + dotted
        bsnish += [d for d in nums if len(d) == 9]
        valid += [d for d in bsnish if len(d) == 9 and elfproef(d)]
        want = sev(rl, cats, PII in cats and bool(valid))
        if want != sv:
            err.append(f"{w}: severity {sv} but policy gives {want}")
        if bool(valid) and PII not in cats:
            err.append(f"{w}: valid identifier {valid} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                err.append(f"{w}: {kind} not in text")
            ok = {"IBAN": mod97_ok, "CARD": luhn, "BSN": elfproef}
            if kind in VALID_KINDS and not ok[kind.split("_")[0]](raw):
                err.append(f"{w}: {kind} fails its checksum")
            if kind.startswith("BADIBAN") and mod97_ok(raw) or kind == "BADCARD" and luhn(raw) \
                    or kind in ("NOTBSN", "EAN") and (elfproef(raw) or luhn(raw)):
                err.append(f"{w}: negative {kind} passes a checksum")
            if kind == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                err.append(f"{w}: ghp crc")
        nt, sq = norm(text), despace(text)
        for term, until in emb:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    err.append(f"{w}: embargo term {term} before {until} unlabelled")
                if ts >= until and CONF in cats:
                    err.append(f"{w}: embargo term {term} after {until} labelled confidential")
        for term in inner:
            if term in nt or term in sq:
                if CONF not in cats:
                    err.append(f"{w}: internal term {term!r} unlabelled")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    err.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = nat_phone(m.group(0))
                if len(d) == 10 and d not in own_ph:
                    err.append(f"{w}: benign phone {m.group(0)}")
            for rx in SECRET_RX:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        err.append(f"{w}: benign secret-like {m.group(0)[:16]}")
            for s in SWEAR:
                if re.search(r"(?<!\w)" + re.escape(s), nt):
                    (note if r["tags"] & {"mild-word", "literal-word", "quote"} else err).append(
                        f"{w}: benign word {s!r}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"]:
                (note if "price-context" in r["tags"] else err).append(f"{w}: benign price ratio {ratio:.2f}")
        if PRICE in cats and not (ratio is not None and ratio < 0.5) and not any(x in sq for x in PRICE_TALK):
            note.append(f"{w}: pricing label without low ratio or error talk")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RX) and not PWD_RX.search(text):
            err.append(f"{w}: secret label without a secret shape")
        if PII in cats and not (valid or EMAIL_RX.search(text) or PHONE_RX.search(text)):
            note.append(f"{w}: pii without a scanned identifier (name+address/birth date/ID no.)")
    return err, note


def report(rows):
    from collections import Counter
    cat, lang, rl, sv, plat, tag = (Counter() for _ in range(6))
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            cat[(c, r["lang"])] += 1
            cat[(c, r["role"])] += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        rl[r["role"]] += 1
        sv[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        tag.update(r["tags"])
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    print(f"  {'category':24s} total  nl  en corp  emp  pub")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {cat[c]:5d} {cat[(c, 'nl')]:3d} {cat[(c, 'en')]:3d} {cat[(c, 'corporate')]:4d} "
              f"{cat[(c, 'employee')]:4d} {cat[(c, 'public')]:4d}")
    print("  lang", dict(lang), " role", dict(rl))
    print("  severity", {s: sv[s] for s in SEVERITIES})
    print("  platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--notes", action="store_true")
    a = ap.parse_args()
    prof = load_profile()
    rows = build(prof)
    if not a.check:
        OUT.write_text("".join(lines_of(rows)), encoding="utf-8")
        print(f"wrote {len(rows)} cases to {OUT}")
        return 0
    err, note = check(OUT.read_text(encoding="utf-8").splitlines(keepends=True), rows, prof)
    report(rows)
    if a.notes:
        for x in note:
            print("  note", x)
    for x in err:
        print("  ERROR", x)
    print(f"{len(err)} error(s), {len(note)} note(s)")
    return 1 if err else 0


if __name__ == "__main__":
    sys.exit(main())
