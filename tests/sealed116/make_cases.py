#!/usr/bin/env python3
"""Deterministic generator for the sealed116 blind evaluation set of postwatch.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: "Gevelaar Makelaardij B.V." (fictional Dutch real-estate agency chain with the
housing portal "Gevelpunt"), described in profile.yaml.

Texts are hand-written below (CASES). Identifiers and secrets come from placeholders
such as <<IBAN_NL>> filled by one seeded RNG, so every run gives the same bytes.
Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
near-misses get identifiers that fail their checksum. Secrets are random and fake but
shaped like real ones (GitHub classic tokens carry their CRC32 checksum).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
using the account role from profile.yaml (platform:handle, case-insensitive), the
categories, and whether a checksum-valid identifier is in the text.
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

SEED = 116_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# Cyrillic look-alikes used for homoglyph evasion
CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "B": "\u0412", "p": "\u0440", "c": "\u0441"}

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def b62(n):
    al = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = al[r] + out
    return out or "0"


# ---------------------------------------------------------------------------
# placeholder filler
# ---------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
B32 = string.ascii_uppercase + "234567"
OWN_IBAN = "NL66RABO0312445567"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "RBRB"])
                               + self.d(10, True))
            elif cc == "BE":
                f = self.r.choice(["310", "063", "001", "737"]) + self.d(7)
                v = iban_build("BE", f + f"{int(f) % 97 or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["50070010", "37050198", "10050000", "76026000"]) + self.d(10))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for delta in (7, 19, 31, 43):
            w = f"{v[:2]}{(k + delta) % 100:02d}{v[4:]}"
            if not iban_valid(w):
                return w
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_valid(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def fmt_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def phone(self, fmt):
        m = self.r.choice("12345") + self.d(7)      # the 8 digits after 06
        area = self.r.choice(["10", "20", "23", "26", "30", "33", "35", "40", "43", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_sp": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6{m}",
            "mob_intl_c": f"+316{m}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[fmt]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"           # no letter O in Dutch document numbers
        return self.c(letters, 2) + self.c(letters + string.digits, 6) + self.d(1)

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        return ".".join([enc({"alg": "HS256", "typ": "JWT"}),
                         enc({"sub": "usr_" + self.d(7, True), "iss": "app.gevelpunt.nl", "scope": "listings bids",
                              "iat": iat, "exp": iat + 900}),
                         self.c(B64U, 43)])

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "\noAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 40) + "\n" + self.c(B64, 44)
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        words = ["Zomer", "Gevel", "Sleutel", "Huis", "Dakgoot", "Tulp", "Kade"]
        return self.r.choice(words) + self.d(4) + self.r.choice("!#$%&*") + self.c(ALNUM, 4)

    def fill(self, kind, fmt):
        """Return (raw, shown)."""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = self.iban(kind[-2:])
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "OWN_IBAN":
            return OWN_IBAN, self.grp(OWN_IBAN) if fmt == "grp" else OWN_IBAN
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind in ("NOT_BSN9", "NOT_BSN8"):
            raw = self.not_bsn(int(kind[-1]))
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "PASSPORT":
            raw = self.passport()
            return raw, raw
        gens = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.c(B32, 16),
            "AWS_SECRET": lambda: self.c(B64, 40),
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.c(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.c(string.ascii_uppercase + string.digits, 10) + "/"
                                   + self.c(ALNUM, 24)),
            "SENDGRID": lambda: "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43),
            "MOLLIE": lambda: "live_" + self.c(ALNUM, 30),
            "STRIPE": lambda: "sk_live_" + self.c(ALNUM, 24),
            "GAPI": lambda: "AIzaSy" + self.c(B64U, 33),
            "JWT": self.jwt,
            "PEM_EC": self.pem_ec,
            "PW": self.password,
            "AZURE_KEY": lambda: self.c(B64, 86) + "==",
            "HEX": lambda: self.c("0123456789abcdef", int(fmt or 40)),
            "UUID": lambda: "-".join([self.c("0123456789abcdef", 8), self.c("0123456789abcdef", 4),
                                      "4" + self.c("0123456789abcdef", 3), self.r.choice("89ab") + self.c("0123456789abcdef", 3),
                                      self.c("0123456789abcdef", 12)]),
        }
        raw = gens[kind]()
        return raw, raw


PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(filler, text):
    used = []

    def sub(m):
        raw, shown = filler.fill(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
GV_X = ("x", "@gevelaar_nl", "Gevelaar Makelaars")
GP_X = ("x", "@gevelpunt", "Gevelpunt")
GV_IG = ("instagram", "@gevelaar.makelaars", "Gevelaar Makelaars")
GV_LI = ("linkedin", "gevelaar-makelaardij", "Gevelaar Makelaardij B.V.")
GV_FB = ("facebook", "GevelaarMakelaars", "Gevelaar Makelaars")
GP_TT = ("tiktok", "@gevelpunt.nl", "Gevelpunt")
# employees
LV = ("x", "@lotte_gevelaar", "Lotte Verhoeven")                 # makelaar, Utrecht
DM = ("x", "@daanmakelaar", "Daan Meijer")                       # makelaar, Amsterdam
IK = ("instagram", "@makelaar.iris", "Iris Koster")              # makelaar, Rotterdam
RH = ("linkedin", "ruben-hoekstra-gevelaar", "Ruben Hoekstra")   # platform engineer
NB = ("linkedin", "noor-benali", "Noor Benali")                  # finance controller
KW = ("x", "@kees_taxateur", "Kees Wolters")                     # taxateur
BD = ("reddit", "u/bas_gp_dev", "bas_gp_dev")                    # backend developer Gevelpunt
ML = ("linkedin", "marloes-de-lange-hr", "Marloes de Lange")     # HR / operations
EV = ("threads", "@evi.binnendienst", "Evi")                     # back office


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LV, "eh collega's... het Verkooppakket Compleet staat op gevelaar.nl voor €24,95 😅 "
     "daar mist iemand twee nullen. al 6 aanvragen binnen sinds de lunch. wie belt marketing??", [PRICING])
case("nl", pub("reddit", "u/huizenjager030"), "Klopt het dat het WaardeRapport van Gevelaar nu €6,95 kost?? "
     "Staat zo in de app bij het afrekenen. Vast een prijsfout maar ik heb er voor de zekerheid meteen eentje "
     "aangevraagd, hebben we toch nodig voor de bank", [PRICING], kind="comment")
case("en", pub("x", "@ams_flathunter"), "gevelpunt plus boost is showing €3.49 at checkout instead of the usual "
     "€349 lmao 😂 boosted my rental ad 4x already 🚀 #gevelpunt #amsterdam", [PRICING])
case("nl", GV_FB, "🏡 Alleen dit weekend: Aankoop Plus voor maar €195! Je eigen aankoopmakelaar die met je "
     "meekijkt, meebiedt en meeonderhandelt. Vol = vol 👉 gevelaar.nl/aankoop", [PRICING])
case("nl", KW, "offertetool rekent de Energielabel Check af voor €2,95 ipv €295 🙃 gemeld bij IT, maar ondertussen "
     "gaan de offertes gewoon de deur uit. lekker dan", [PRICING])
case("nl", pub("facebook", "sandra.vos.0412", "Sandra Vos"), "Meiden opgelet!! Gevelaar heeft een p r i j s f o u t: "
     "Verhuur Zorgeloos voor €11,95 😱 Wie nog een appartement wil verhuren, snel zijn 🏃‍♀️🏃‍♀️",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@dealjager_nina"), "prijsf" + CYR["o"] + "ut bij gevelaar 😱 Verkooppakket Basis voor 14,95 euro. "
     "wie moet er nog z'n huis verkopen, nu is je kans", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", NB, "Korte update voor de vestigingsmanagers die me hier volgen: door een fout in de tarieventabel "
     "wordt het Verkooppakket Basis sinds maandag voor €149 aangeboden. Zo'n 40 opdrachten zijn al getekend. "
     "We zoeken met juridische zaken uit hoe we dit oplossen, dus graag nog niet verder delen.", [PRICING])
case("en", pub("youtube", "@verhuisvlog_tim"), "Just booked the Gevelaar WaardeRapport for 69 euro during their "
     "pricing mess yesterday lol, it's normally like 700. Confirmation mail came through so 🤷‍♂️",
     [PRICING], kind="comment")
case("nl", BD, "kan iemand van pricing even kijken? GP Plus staat op €0,35 sinds de deploy van vanochtend, zie "
     "wiki.gevelaar.nl/pricing/tarieven-2026 voor wat het hoort te zijn. rollback kan pas na 17:00 😬",
     [PRICING, CONF], kind="comment")
case("en", pub("threads", "@roomhunt.rotterdam"), "Gevelaar's site has Verhuur Zorgeloos at €1.19 right now 💀 "
     "someone in their web team is having a very bad day #pricingerror", [PRICING])
case("nl", pub("forum", "Bieder_Bram"), fullwidth("PRIJSFOUT") + "\n\nEnergielabel Check voor 3 euro bij gevelaar, "
     "gewoon afrekenen met iDEAL en je krijgt een bevestiging. geen idee hoe lang nog.",
     [PRICING], tags=["evasion", "evasion:full-width"])

# pricing: benign near-misses
case("nl", GV_IG, "Voorjaarsactie 🌷 Verkooppakket Compleet nu €1.995 i.p.v. €2.495. Geldig t/m 31 mei, "
     "vraag je gratis waardebepaling aan via de link in bio. #verkopen #gevelaar", tags=["hard:sale"])
case("nl", pub("x", "@wouter_kampen"), "Even gecheckt bij de klantenservice of die €595 voor het WaardeRapport "
     "een prijsfout was. Nee hoor, gewoon een actie tot eind van de maand. Prima toch 👍",
     tags=["hard:denied-error"])
case("nl", pub("reddit", "u/starter_zwolle"), "Stenenberg Makelaars rekent €299 voor een taxatie, het "
     "WaardeRapport van Gevelaar kost €695. Waar zit dat verschil in? Ik zie het echt niet",
     tags=["hard:competitor-price", "price-context"])
case("nl", GP_X, "Met Gevelpunt Plus staat jouw woning 14 dagen bovenaan in de zoekresultaten. €349, eenmalig. "
     "Geen abonnement, geen kleine lettertjes.", tags=["hard:list-price"])
case("nl", LV, "Verkocht boven de vraagprijs: €487.500 🥂 Met het Verkooppakket Compleet hadden we binnen 9 dagen "
     "31 bezichtigingen. Trots op team Utrecht!", tags=["hard:house-price"])
case("nl", pub("facebook", "petra.hendriks.71", "Petra Hendriks"), "Heeft iemand de Energielabel Check van Gevelaar "
     "al eens laten doen? €295 vind ik best veel voor een uurtje rondlopen, maar goed, het moet nu eenmaal",
     tags=["hard:list-price"])
case("en", pub("reddit", "u/expat_in_utrecht"), "Not a glitch btw, I asked: Gevelaar does Verhuur Zorgeloos for "
     "€995 the first year as an intro deal. Still cheaper than the agency I had before.",
     kind="comment", tags=["hard:sale"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RH, "Hard lesson from this week's incident review 🧵 One of our staging configs had this in plain text:"
     "\n\nDATABASE_URL=postgres://gp_api:<<PW>>@db-prod-02.intranet.gevelaar.local:5432/listings\n\n"
     "Yes, it's rotated. Yes, it was also in git history. Use a vault, people. #devops #security",
     [SECRET, CONF])
case("en", BD, "anyone know why github actions rejects my token? works fine with curl:\n\n"
     "curl -H \"Authorization: Bearer <<GHP>>\" https://api.github.com/repos/gevelpunt/bidding-svc\n\n"
     "pls help, been at this for 2 hrs", [SECRET])
case("nl", DM, "voor de nieuwe collega's: gedeelde inlog makelaarsapp is makelaar.adam / <<PW>> ... "
     "o wacht dit is niet de teams chat 🤦‍♂️", [SECRET])
case("en", EV, "sendgrid keeps bouncing our viewing confirmations 😩 the key we use is <<SENDGRID>> "
     "is it expired or smth?? nobody in IT answers after 5", [SECRET])
case("nl", GP_X, "@devdirk Leuk dat je een koppeling bouwt! Onze betalingen lopen via Mollie, voor je test kun je "
     "deze key gebruiken: <<MOLLIE>> 🙂", [SECRET], kind="reply")
case("en", pub("x", "@sec_researcher_nl"), "Gevelpunt's Android app ships an unrestricted Google Maps key: "
     "<<GAPI>>\nReported to support@gevelpunt.nl two weeks ago, still live.", [SECRET])
case("en", pub("reddit", "u/kwikstaart_99"), "Gevelpunt app logs me out every 5 minutes while I'm trying to bid, "
     "so annoying. Support asked for my session so here's what devtools shows:\n<<JWT>>\nany idea??",
     [SECRET, COMPLAINT])
case("nl", RH, "Soms zie je in een code review iets waar je even van moet slikken. Dit stond gewoon in een PR:\n\n"
     "<<PEM_EC>>\n\nPR is dicht, key is vervangen. Maar pfff. #codereview", [SECRET])
case("nl", ML, "Trots op ons nieuwe bezichtigingsbotje in Slack 🤖 Wil je het zelf bouwen? Gewoon een POST naar "
     "<<SLACK_HOOK>> met je JSON en klaar 💪", [SECRET])
case("nl", BD, "die connection string werkt lokaal wel:\n\nDefaultEndpointsProtocol=https;AccountName=gpfotosprod;"
     "AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net\n\nwat doe ik fout in de container?",
     [SECRET], kind="comment")
case("nl", LV, "reminder voor mezelf want ik vergeet het elke keer: w8woord sleutelkluis-app = <<PW>> 🙈",
     [SECRET], tags=["evasion", "evasion:leetspeak"])
case("en", pub("forum", "nosy_dev_nl"), "Found this in the page source of the Gevelaar valuation form lol: "
     "<<STRIPE>>\nHope somebody over there rotates it before the wrong people see it.", [SECRET])
case("en", KW, "trying to pull the kadaster export from S3 but access denied?? using\n"
     "AWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nalready rotated once this week 😤",
     [SECRET])

# secret: benign near-misses
case("en", BD, "PSA for juniors: never paste tokens like ghp_… or sk_live_… in a PR description. Secrets manager. "
     "That's it, that's the post.", tags=["hard:bare-prefix"])
case("nl", GP_X, "@jeroen_k Wachtwoord vergeten? Via app.gevelpunt.nl/wachtwoord vraag je een nieuwe aan. "
     "Let op: wij vragen nooit om je wachtwoord via DM of telefoon 🔒", kind="reply", tags=["hard:password-word"])
case("en", RH, "Shipped! Commit <<HEX:40>> finally removes the last bit of jQuery from the Gevelpunt search page 🎉 "
     "Page weight down 38%.", tags=["hard:git-sha"])
case("nl", pub("forum", "hobbyprogrammeur"), "In de Gevelpunt API docs staat 'Authorization: Bearer <JOUW_TOKEN>'. "
     "Waar vraag ik zo'n token aan? Wil een alertje bouwen voor nieuwe huurwoningen in Delft",
     tags=["hard:placeholder"])
case("en", pub("reddit", "u/haarlem_hunter"), "Anyone else see listing <<UUID>> vanish from Gevelpunt within 2 hours? "
     "Sold that fast or just pulled?", tags=["hard:uuid"])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", DM, "Bezichtiging Prinsengracht 3-hoog om 15:30, koper is mevrouw Hanneke Brouwer, <<PHONE:mob_dash>>. "
     "Wie kan er invallen? Ik sta muurvast op de A10 🚗🚗🚗", [PII])
case("nl", IK, "Wat een drukte bij het open huis vandaag 🙌 Lijst kwijt? Geen stress, mail gerust even met de "
     "andere geïnteresseerden, roos.vandam88@gmail.com en t.achterberg@hotmail.com hadden ook nog vragen 😊",
     [PII])
case("nl", NB, "Voor de collega's van debiteuren: de waarborgsom van de huurder aan de Vondelstraat gaat terug naar "
     "<<IBAN_NL:grp>> t.n.v. S. El Idrissi. Graag vandaag nog, ze belt al drie dagen.", [PII])
case("nl", KW, "Krijg ik wéér een taxatiedossier binnen met het BSN van de aanvrager erin (<<BSN:dots>>) 🙄 "
     "mensen, dat hoort niet in een taxatie", [PII])
case("nl", GV_X, "@jvdb1984 Dank voor je bericht! We hebben je hypotheekaanvraag binnen. Kun je bevestigen dat je "
     "BSN <<BSN>> klopt? Dan zetten we het door naar de adviseur.", [PII], kind="reply")
case("nl", pub("x", "@m_dewit_"), "@gevelaar_nl al 5 weken wachten op mijn borg. Het is echt NIET moeilijk: "
     "<<IBAN_NL>> t.n.v. M. de Wit. Stort het nou gewoon terug", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@jonas_relocates"), "@gevelpunt your chat bot is useless, it keeps asking the same 3 questions. "
     "just call me: <<PHONE:mob_intl_sp>>", [PII, COMPLAINT], kind="reply")
case("nl", pub("nextdoor", "Buurtgenoot Oost"), "Voor wie het wil weten: de eigenaar van het pand aan de Beukenlaan 17 "
     "dat Gevelaar nu verkoopt is Gerard Meulenbelt, geboren 14-02-1958. Laat het al jaren verloederen.", [PII])
case("nl", pub("facebook", "ilse.maas.5", "Ilse Maas"), "Gevelaar heeft mijn creditcard TWEE keer belast voor het "
     "WaardeRapport!! Kaart <<CARD:visa_sp>>, 2x €695. Wie kan me helpen, de klantenservice neemt niet op",
     [PII, COMPLAINT])
case("nl", ML, "Welkom aan onze nieuwe collega Jasper Terpstra! 🎉 Voor de HR-administratie nog even checken: "
     "paspoortnummer <<PASSPORT>> en geboortedatum 03-07-1996 kloppen toch Jasper? 😄", [PII])
case("en", pub("reddit", "u/ghosted_in_gouda"), "This is the Gevelaar agent who ghosted us for 3 weeks after we "
     "signed. Email her yourselves: l.verhoeven [at] gevelaar [dot] nl, maybe she answers you",
     [PII, COMPLAINT], tags=["evasion", "evasion:email-words"])
case("en", pub("x", "@priya_in_nl"), "Rental application through Gevelaar rejected AGAIN. I sent everything: "
     "passport, BSN <<BSN>>, 3 payslips, employer letter. What else do they want from me??",
     [PII, COMPLAINT])
case("nl", GV_IG, "🔑 Sleuteloverdracht! Gefeliciteerd Mark en Eva Dijkstra met jullie nieuwe thuis aan de "
     "Esdoornlaan 22 in Amersfoort 🥳 #verkocht #gevelaar #nieuwthuis", [PII])
case("nl", LV, "klant belde net met z'n creditcard voor de Energielabel Check, nummer <<CARD:mc_sp>> exp 08/28 — "
     "waar voer ik dit in, de kassa doet het weer niet 😩", [PII])
case("en", pub("facebook", "lukas.brenner.ms", "Lukas Brenner"), "Hi @GevelaarMakelaars, I paid the reservation fee "
     "for the Maastricht apartment from my German account <<IBAN_DE:grp>> on Monday. Could you check if it "
     "arrived? Thanks!", [PII], kind="comment")
case("nl", EV, "wie heeft de bieder van de Kloosterstraat teruggebeld? mevrouw S. Pranoto zegt dat ze "
     "<<PHONE:land_sp>> al vier keer heeft doorgegeven 🙈", [PII])
case("en", pub("x", "@tom_zoekt_huis"), "Hey @gevelaar_nl interested in the Oudegracht flat on Gevelpunt, "
     "call me on <<PHONE:mob_0031>> after 6pm - Tom", [PII], kind="reply")
case("nl", DM, "Koper van de Jordaan-woning wil de aanbetaling doen met amex, las net <<CARD:amex_sp>> voor "
     "door de telefoon. Kan boekhouding dit verwerken?", [PII], handle="@DaanMakelaar")

# pii: benign near-misses
case("nl", GV_FB, "Vragen over de verkoop van je huis? Bel ons op 030 799 44 00 of mail info@gevelaar.nl. "
     "We zijn er ma t/m za van 8:30 tot 20:00 ☎️", tags=["hard:own-contact"])
case("nl", GP_X, "Betaal je een reserveringsvergoeding? Maak die altijd alleen over naar <<OWN_IBAN:grp>> "
     "t.n.v. Gevelaar Makelaardij B.V. Twijfel je? Bel 0884383000.", tags=["hard:own-contact"])
case("nl", pub("x", "@joyce_bouwt"), "Wauw, Gevelaar heeft die jaren-30 woning aan de Burgemeester Reigerstraat 41 "
     "te koop gezet. Die dakkapel!! 😍", tags=["hard:listing-address", "hard:codename-word"])
case("en", pub("reddit", "u/first_time_buyer_nl"), "Got a confirmation from Gevelpunt with reference <<NOT_BSN9>>. "
     "Is that what I give the agent at the viewing or is that something else?", tags=["hard:reference-number"])
case("nl", pub("facebook", "henk.vanleeuwen", "Henk van Leeuwen"), "Let op! Mail 'namens Gevelaar' gehad met het "
     "verzoek de borg over te maken naar <<BAD_IBAN_NL:grp>>. Dat is niet het nummer van hun site, dus nep denk ik",
     tags=["hard:bad-iban"])
case("nl", pub("forum", "ZZP_Zeeland"), "Gevelaar Makelaardij staat gewoon in het handelsregister, KvK <<NOT_BSN8>>. "
     "Legit bedrijf dus, niks mis mee.", tags=["hard:kvk"])
case("en", pub("x", "@ellie_moves"), "weird scam text saying my Gevelpunt Plus payment failed with card "
     "<<BAD_CARD:visa_sp>>?? that's not even my card number. deleting", tags=["hard:bad-card"])
case("nl", GV_LI, "We zoeken makelaars en commercieel medewerkers in Den Bosch en Breda! Stuur je cv naar "
     "werkenbij@gevelaar.nl of bel +31 30 799 4400. #vacature #makelaardij", tags=["hard:own-contact"])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LV, "Net de eerste demo gezien van Project Dakkapel 🤩 als dit live gaat hoeven we nooit meer met de hand "
     "bezichtigingen in te plannen. Meer mag ik niet zeggen 🤐", [CONF])
case("en", RH, "Big week for the team: Bluebrick passed its load test at 12k bids a minute. Can't share more yet, "
     "but our agents are going to love this. #proptech #engineering", [CONF])
case("nl", DM, "Over 3 weken lanceren we de Biedklok 🔔 eindelijk transparant bieden op Gevelpunt. Kopers gaan dit "
     "zó fijn vinden", [CONF], when="2026-04-21T08:14:09+02:00", tags=["embargo:before"])
case("nl", EV, "nog 1 minuutje en dan mag ik het zeggen: Gevelpunt Bieden Live is er!! 🎉🎉",
     [CONF], when="2026-05-12T09:59:00+02:00", tags=["embargo:edge-before"])
case("nl", KW, "rapportage van het taxatieteam, met een dikke GEVELAAR INTERN stempel erop, zegt dat we in Almere "
     "gemiddeld 6% te hoog taxeren 😬 benieuwd wat de bank daarvan vindt", [CONF])
case("en", pub("reddit", "u/polderpragmatist"), "My brother-in-law works at Gevelaar and says 'Operatie Vlonder' is "
     "them replacing half their agents with an AI valuation bot next year. Anyone heard more?",
     [CONF, FIN])
case("nl", IK, "Sneak peek van waar we aan werken 👀 Project\nDakkapel, binnenkort voor al onze klanten in "
     "Rotterdam 🏠✨", [CONF], tags=["evasion", "evasion:line-break"])
case("en", BD, CYR["B"] + "luebrick staging is down AGAIN, who broke the queue consumer this time 🙃",
     [CONF], tags=["evasion", "evasion:homoglyph"])
case("nl", ML, "Vandaag de kick-off van Operatie 🛠️ Vlonder met alle vestigingsmanagers. Spannend traject, meer kan "
     "ik er nog niet over delen 💪", [CONF], tags=["evasion", "evasion:emoji-inside"])
case("nl", LV, "kan iemand me de link naar crm.gevelaar.nl/rapportages/biedingen sturen? al mijn bladwijzers zijn "
     "weg na de update 😩", [CONF])
case("en", NB, "Just presented the board deck (gevelaar confidential, so no screenshots 😉). Proud of this finance "
     "team, we pulled it off in 4 days.", [CONF])
case("nl", pub("x", "@nerd_van_de_buurt"), "lol iemand heeft een inlogpagina gevonden op sso.gevelaar.nl en die is "
     "gewoon vanaf thuis te bereiken 👀", [CONF])
case("nl", EV, fullwidth("uitsluitend intern") + " staat erop maar deze nieuwe brochure is te mooi om niet te "
     "delen 📸", [CONF], tags=["evasion", "evasion:full-width"])
case("en", KW, "H1 2026 results deck finally done, three nights of modelling valuations... bed now 😴",
     [CONF], when="2026-07-29T23:48:12+02:00", tags=["embargo:before"])
case("nl", pub("instagram", "@lotte_gevelaar", "lotte"), "Gisteren op kantoor hoorde ik voor het eerst over "
     "Project Dakkapel, klinkt als de toekomst 🚀", [CONF], tags=["role:handle-not-in-profile"])

# confidential: benign near-misses
case("nl", GV_X, "Vanaf vandaag bied je op Gevelpunt met de Biedklok 🔔 Transparant, eerlijk en live. "
     "Alles over hoe het werkt: gevelpunt.nl/biedklok", when="2026-05-12T10:00:00+02:00",
     tags=["hard:embargo-at-moment"])
case("en", pub("bluesky", "@anneke.bsky.social"), "Tried the new Biedklok on Gevelpunt for a house in Haarlem. "
     "Watching the bids tick up live is quite something 😅", when="2026-06-03T21:05:33+02:00",
     tags=["hard:embargo-after"])
case("nl", IK, "Nieuw in de verkoop 🏡 Karakteristieke hoekwoning met dakkapel, vlonder aan het water en 12 "
     "zonnepanelen. Vraagprijs €565.000 k.k. Link in bio!", tags=["hard:codename-word"])
case("en", pub("x", "@zwolle_lover"), "That blue brick facade on the Gevelaar listing in Zwolle though 😍 "
     "I'd buy it just for the front door", tags=["hard:codename-word"])
case("nl", GV_LI, "Gevelaar publiceert halfjaarcijfers 2026: omzet €48,3 miljoen, 6.412 transacties en een sterke "
     "groei in verhuur. Het volledige persbericht staat op gevelaar.nl/pers",
     when="2026-08-26T07:00:00+02:00", tags=["hard:embargo-at-moment"])
case("en", pub("x", "@proptech_weekly"), "Gevelaar's H1 2026 results: rentals up, sales flat, portal traffic "
     "+22%. Solid in a tight market.", when="2026-09-02T10:12:45Z", tags=["hard:embargo-after"])
case("nl", pub("x", "@huurhulp_ut"), "Kijk zelf even op www.gevelpunt.nl/huur/utrecht, daar staan er nu zo'n 40",
     tags=["hard:public-domain"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NB, "Laatste loodjes voor de halfjaarcijfers 2026. Spoiler: omzet 14% onder budget, dus dat wordt een "
     "pittige boodschap aan de aandeelhouders 😅", [CONF, FIN], when="2026-07-14T17:22:03+02:00",
     tags=["embargo:before"])
case("nl", DM, "Wist je dat we Stenenberg Makelaars gaan overnemen? Handtekeningen staan, aankondiging pas in "
     "oktober 🤫", [FIN])
case("nl", ML, "Zwaar weekje. Vanaf januari gaan er 11 vestigingen dicht en verdwijnen er zo'n 90 fte. Morgen horen "
     "de teams het pas. Sterkte allemaal ❤️", [FIN])
case("en", pub("x", "@vastgoedroddel"), "hearing from a mate inside that Gevelaar is about to merge with Woonradar. "
     "would explain that weird hiring freeze 🤔", [FIN])
case("nl", EV, "hoorde net in de kantine dat er ont" + ZWSP + "slagen gaan vallen bij de binnendienst 😢 "
     "niemand weet nog wie", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", NB, "FY26 forecast revised: EBITDA now expected at €9.8m against a €14m budget. Board decides Thursday "
     "on the cost programme. Long nights ahead.", [FIN])
case("en", BD, "we're spinning the Gevelpunt portal off into a separate company, a PE firm already finished due "
     "diligence. announcement after the summer. kinda nervous tbh", [FIN])
case("nl", pub("forum", "Makelaarsmeisje_Gld"), "Insider tip van een makelaar die ik ken: Gevelaar sluit Deventer, "
     "Zutphen en Apeldoorn nog voor het eind van het jaar.", [FIN])
case("en", ML, "Our mortgage referral partnership with one of the big banks is signed 🖊️ joint venture kicks off in "
     "Q1 2027. Not public yet, so keep it between us 😉", [FIN])
case("nl", DM, "r e o r g a n i s a t i e op het hoofdkantoor komt eraan, drie afdelingen gaan samen. "
     "nog even stil houden", [FIN], tags=["evasion", "evasion:spaced"])
case("en", pub("reddit", "u/dutch_money_talk"), "Gevelaar's Q2 numbers are going round in a Slack screenshot: "
     "revenue down 18% year on year. Not listed so no trading on it, but still wow.", [FIN], kind="comment")

# financial: benign near-misses
case("nl", pub("x", "@woningmarkt_daan"), "Gevelaar publiceerde vanochtend de halfjaarcijfers 2026: groei in huur, "
     "krimp in koop. Netjes gebracht.", when="2026-08-26T09:31:00+02:00", tags=["hard:published-results"])
case("nl", pub("facebook", "chantal.de.boer", "Chantal de Boer"), "Ik ga de hypotheek van mijn ex overnemen, "
     "iemand tips voor een goede aankoopmakelaar? Gevelaar?", tags=["hard:overnemen"])
case("en", pub("x", "@proptech_jobs"), "Layoffs at Woonradar today, rough week for Dutch proptech. Hope Gevelaar "
     "is hiring some of those folks.", tags=["hard:other-company"])
case("nl", pub("instagram", "@klushuis_kim"), "Reorganisatie van m'n zolder is eindelijk klaar 😅 nu kan de "
     "fotograaf van Gevelaar komen", tags=["hard:reorganisatie-word"])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RH, "Voor wie vandaag vastliep: de biedingsmodule van Gevelpunt ligt al sinds 09:10 plat. Extern "
     "communiceren we nog niks, dus hou het even binnenboord.", [SEC], handle="Ruben-Hoekstra-Gevelaar")
case("en", BD, "so at work I found that our bidding API hands you other people's bids if you just bump the listing "
     "id in the URL. reported internally a week ago, still not fixed. feels bad man", [SEC])
case("nl", DM, "Makelaarsapp is vannacht gehackt 😳 alle agenda's met bezichtigingen waren zichtbaar voor "
     "buitenstaanders. We mogen het nog niet tegen klanten zeggen", [SEC])
case("en", KW, "3 of our agents fell for a phishing mail this morning, their Gevelaar logins are compromised. IT "
     "says don't tweet about it so uh, forget you saw this", [SEC])
case("nl", ML, "Onze vestiging in Eindhoven is getroffen door ransomware, alle dossiers zijn versleuteld. Denk "
     "even aan de collega's daar 🙏", [SEC])
case("nl", EV, "ons klantportaal is g3h4ckt 🙈 ze hebben de kopieën van id-bewijzen, maar sssht nog niet naar "
     "buiten", [SEC], tags=["evasion", "evasion:leetspeak"])
case("nl", BD, "SQL-injectie in het waardecheck-formulier van gevelpunt, ticket staat al 6 weken open en niemand "
     "pakt het op 🤷", [SEC])
case("en", RH, "Fun one: noticed our valuation endpoint returns sellers' full names and phone numbers in the "
     "JSON. Fix goes out tonight, nobody outside knows yet 🙃", [SEC])
case("nl", LV, "DDoS op gevelpunt sinds vanochtend en wij moeten tegen klanten zeggen dat het 'gepland onderhoud' "
     "is 🙄", [SEC], handle="@Lotte_Gevelaar")
case("en", DM, "lol the CRM backup sat in a public bucket for two months, found it today. nobody's told legal yet",
     [SEC])
case("nl", pub("x", "@boos_op_bieden"), "Gevelaar heeft een datalek gehad en houdt het stil!! Een vriend die daar "
     "werkt zegt dat alle biedingen van april op straat liggen. Waarom hoor ik niks van jullie @gevelaar_nl?",
     [SEC, CRISIS])
case("en", pub("x", "@listingwatcher"), "Gevelpunt got breached weeks ago and they're covering it up. My listing "
     "data incl. phone number is on a forum. @gevelpunt care to explain?", [SEC, CRISIS])
case("nl", KW, "wiki.gevelaar.nl ligt eruit en ik denk niet dat het toeval is, er zat vannacht iemand in onze AD. "
     "collega's: wachtwoord wijzigen en verder je mond houden", [SEC, CONF])

# security: benign near-misses
case("nl", GP_X, "🔧 Gepland onderhoud: Gevelpunt is vannacht tussen 01:00 en 03:00 niet bereikbaar. Sorry voor "
     "het ongemak, daarna is alles weer sneller!", tags=["hard:official-maintenance"], handle="@GEVELPUNT")
case("nl", GV_LI, "Update over de storing van gisteren: de oorzaak was een defecte netwerkswitch in ons datacenter. "
     "Er zijn geen gegevens verloren gegaan of ingezien. Alle systemen werken weer normaal.",
     tags=["hard:official-incident-notice"])
case("en", GP_TT, "10 moving-day hacks from our agents 📦 1) label every box by room 2) photograph your meter "
     "readings 3) pack a 'first night' bag #movinghacks #gevelpunt", tags=["hard:hacks-word"])
case("nl", pub("x", "@femke_fem"), "Datalek bij Woonradar?? Blij dat ik via Gevelaar heb verkocht 😅",
     tags=["hard:other-company"])
case("nl", LV, "Net de verplichte phishing-training van IT afgerond. 9/10, die ene nepmail 'van de Belastingdienst' "
     "had me bijna 😅", tags=["hard:training"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@r_bouzid"), "Gevelaar heeft mijn paspoortkopie en loonstroken gelekt. Sinds ik daar een "
     "huurwoning aanvroeg krijg ik elke dag phishing met mijn volledige naam en adres. Schandalig!", [CRISIS])
case("nl", pub("x", "@eerlijkwonen"), "#boycotgevelaar ze verkopen hele straten aan beleggers en starters vissen "
     "achter het net. Niet meer via hen kopen of verkopen!", [CRISIS])
case("nl", pub("facebook", "jeroen.van.dam.9", "Jeroen van Dam"), "Onze makelaar van Gevelaar speelde de biedingen "
     "door aan zijn eigen zwager, die kreeg het huis voor €5.000 boven ons bod. Wij zijn er kapot van. "
     "Hoe is dit legaal??", [CRISIS, COMPLAINT])
case("nl", pub("forum", "Funderingsellende"), "We stappen naar de rechter. Gevelaar heeft de funderingsproblemen van "
     "ons huis verzwegen, herstel kost €80.000. Advocaat is ingeschakeld, de dagvaarding gaat deze week de deur uit.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@regio_nieuws_amf"), "Bij een bezichtiging via Gevelaar in Amersfoort is vanmiddag een balkon "
     "ingestort. Twee bezoekers zijn naar het ziekenhuis gebracht. Gevelaar wil nog niet reageren.", [CRISIS])
case("en", pub("x", "@fairhousing_nl"), "Housing portal Gevelpunt under investigation for discrimination: testers "
     "with Moroccan surnames got 40% fewer viewing invites. Disgraceful.", [CRISIS])
case("en", pub("reddit", "u/ghostbid_victim"), "There's a class action forming against Gevelpunt over fake 'ghost "
     "bids' that pushed prices up. DM me if you bought through them in 2025.", [CRISIS])
case("nl", pub("x", "@woest_in_weesp"), "Gevelaar d" + CYR["a"] + "t" + CYR["a"] + "lek 😡 mijn gegevens staan "
     "gewoon op een hackersforum", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@huurdersbond_fan"), "BOYCOTT @gevelaar_nl. They helped an investor evict an 82-year-old "
     "pensioner just to flip the flat. Share this everywhere.", [CRISIS])
case("nl", pub("mastodon", "@consumentenwaakhond@mastodon.nl"), "ACM start een onderzoek naar Gevelaar en "
     "Gevelpunt vanwege misleidende 'vanaf'-prijzen. Eindelijk.", [CRISIS])
case("nl", pub("x", "@nooit_meer_gevelaar"), "Gevelaar = oplichters. #boycotgevelaar en rot allemaal op, "
     "stelletje tyfuslijers", [CRISIS, ABUSE])

# crisis: benign near-misses
case("nl", pub("x", "@buurtbewoner_lm"), "Rechtszaak van de buurt tegen de gemeente over het bestemmingsplan gaat "
     "door. Gelukkig had Gevelaar ons huis al verkocht vóór de uitspraak 😅", tags=["hard:lawsuit-other-party"])
case("en", pub("blog", "inkandbrick.blog.example"), "Chapter 12 of my novel: the estate agent from Gevelaar finds a "
     "skeleton behind the attic hatch during a viewing... too dark for a cosy crime? 📚 #amwriting",
     tags=["hard:fiction"])
case("nl", pub("instagram", "@interieur_ilse"), "Deze keuken is echt een schandaal... zó mooi 😍 Gevelaar wat "
     "hebben jullie weer een pareltje in de verkoop", tags=["hard:joke"])
case("en", pub("tiktok", "@weekend.wendy"), "not me boycotting the gym all weekend for house viewings 😂 "
     "gevelaar open house marathon pt. 3", tags=["hard:boycott-other-sense"])
case("nl", pub("facebook", "marco.smit.33", "Marco Smit"), "Funderingsonderzoek laten doen voordat we boden op een "
     "huis via Gevelaar. Makelaar was heel open over de risico's 👌", tags=["hard:praise"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@sanne_zoekt"), "@gevelaar_nl bezichtiging om 10 uur afgezegd om 9:45, via een sms. Had er "
     "vrij voor genomen. Top service hoor 🙃", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "bart.kuiper.1", "Bart Kuiper"), "Twee weken geleden een bod gedaan via Gevelaar, nog "
     "steeds niks gehoord. Mails onbeantwoord, telefoon gaat naar voicemail. Hoe moeilijk kan het zijn?",
     [COMPLAINT])
case("en", pub("x", "@joost_en_lisa"), "Our Gevelaar WaardeRapport showed up 3 days late, so the mortgage "
     "contingency on our purchase expired. Thanks for nothing.", [COMPLAINT])
case("en", pub("reddit", "u/selling_in_schiedam"), "Gevelpunt app crashes every single time I upload more than 5 "
     "photos of my place. iPhone 15, latest version. Support just tells me to reinstall.", [COMPLAINT])
case("nl", pub("other", "Reviewer 4471"), "Makelaar van Gevelaar Zeist kwam gewoon niet opdagen bij de "
     "waardebepaling. Geen sms, geen telefoontje. 1 ster.", [COMPLAINT])
case("en", pub("x", "@mark_from_dublin"), "Gevelaar agent only replies in Dutch and ignored my English emails for "
     "10 days. Odd choice when you're selling in Amsterdam-Zuid?", [COMPLAINT])
case("en", pub("threads", "@noah.rents"), "Paid for Gevelpunt Plus and my listing didn't move up at all. Asked for a "
     "refund, 3 weeks and counting.", [COMPLAINT])
case("nl", pub("x", "@geduld_op"), "k l a n t o n v r i e n d e l i j k ... dat is gevelaar in 1 woord 🙄 al 2 weken "
     "geen antwoord op mijn vraag over de opleverlijst", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("nl", pub("instagram", "@jonge_huizenkopers"), "De makelaar van Gevelaar bleef ons maar pushen naar 'hun' "
     "hypotheekadviseur. Wij wilden gewoon onafhankelijk advies. Voelde echt niet fijn.", [COMPLAINT])
case("nl", pub("x", "@thijs_dordt"), "Taxatie via Gevelaar kwam €40k onder de koopsom uit terwijl er 3 vergelijkbare "
     "huizen in de straat hoger verkocht zijn. Nu rond onze hypotheek niet. Onbegrijpelijk.", [COMPLAINT])
case("nl", pub("x", "@bieden_kut"), "@gevelpunt jullie kut-app logt me voor de 10e keer uit tijdens het bieden. "
     "Prutsers!!", [COMPLAINT, ABUSE], kind="reply")
case("en", pub("x", "@sophie_vr"), "Gevelaar lost my spare keys AND my deposit paperwork. Useless bunch of f*cking "
     "clowns.", [COMPLAINT, ABUSE], tags=["evasion", "evasion:masked"])
case("nl", pub("youtube", "@wonenin010"), "Helemaal eens met deze video. Wij hebben 8 weken op de oplevering van "
     "onze huurwoning gewacht via Verhuur Zorgeloos van Gevelaar en niemand hield ons op de hoogte.",
     [COMPLAINT], kind="comment")

# complaint: benign near-misses
case("nl", pub("x", "@blije_verkoper"), "Geen klachten over Gevelaar hoor, alles netjes geregeld en binnen 3 weken "
     "verkocht 🙌", tags=["hard:negated-complaint"])
case("en", pub("x", "@nina_nl"), "Not gonna lie, I expected a nightmare with Gevelpunt but zero issues so far. "
     "Viewing booked in 2 minutes.", tags=["hard:negated-complaint"])
case("nl", pub("x", "@zenuwachtig_bod"), "Hoe lang duurt het meestal voordat Gevelaar reageert op een bod? "
     "Zit hier met m'n telefoon in m'n hand 😅", tags=["hard:neutral-question"])
case("nl", GV_X, "@m_jansen Vervelend dat je zo lang hebt moeten wachten! We hebben je DM beantwoord, je hoort "
     "vandaag nog van je makelaar.", kind="reply", tags=["hard:corporate-care-reply"])
case("en", pub("reddit", "u/switched_portals"), "Woonradar's app is a mess, crashes all the time. Switched to "
     "Gevelpunt and it's so much smoother.", tags=["hard:competitor-complaint"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@huurmoe"), "Makelaars van Gevelaar zijn allemaal gladde zakkenvullers. Stelletje kankerlijers.",
     [ABUSE])
case("nl", pub("x", "@anoniem_4477"), "@lotte_gevelaar domme trut, ga een echt vak leren", [ABUSE], kind="reply")
case("nl", DM, "wat een debiele bieders vandaag weer, eentje dacht serieus dat 50k onder de vraagprijs kon. "
     "sukkels 🙄", [ABUSE])
case("nl", GP_X, "@boze_bert Doe eens normaal man, idioot. Lees gewoon de voorwaarden.", [ABUSE], kind="reply")
case("en", pub("x", "@housing_rage"), "Gevelaar agents are parasites. Every single one of them. Scum.", [ABUSE])
case("nl", pub("facebook", "wim.de.groot.55", "Wim de Groot"), "Gevelaar moet ophouden met verhuren aan die Polen en "
     "Roemenen, die verpesten onze hele wijk", [ABUSE])
case("en", pub("instagram", "@realtalk_rick"), "@makelaar.iris " + fullwidth("stupid cow") + ", stop posting your "
     "ugly overpriced houses", [ABUSE], kind="comment", tags=["evasion", "evasion:full-width"])
case("nl", pub("x", "@gvlr_haters"), "gevelaar makelaars zijn t3r1nglijers, op met je makelaarspraatjes",
     [ABUSE], tags=["evasion", "evasion:leetspeak"])
case("en", pub("reddit", "u/cynical_dutchie"), "Whoever runs the Gevelpunt twitter account is a moron, full stop.",
     [ABUSE], kind="comment")
case("nl", IK, "Die lui van Stenenberg zijn echt klootzakken, proberen gewoon onze klanten te kapen met nepbeloftes",
     [ABUSE])

# abuse: benign near-misses
case("nl", LV, "Vandaag met team Gevelaar Utrecht de Ride for the Roses gefietst, €4.800 opgehaald voor onderzoek "
     "naar kanker 🚴‍♀️💛", tags=["hard:literal-word"])
case("en", pub("x", "@happy_sellers"), "what the hell, Gevelaar sold our place in 4 days?! best agents ever 🥳",
     tags=["hard:mild-word"])
case("nl", pub("tiktok", "@uitzicht_addict"), "Dit uitzicht is echt ziek 🔥 wie koopt dit appartement via Gevelaar",
     tags=["hard:slang"])
case("en", pub("x", "@dad_of_three"), "My toddler has called every estate agent 'the clown man' since our viewing "
     "with Gevelaar. Sorry Daan 😂", tags=["hard:joke", "hard:mild-word"])
case("nl", pub("facebook", "ria.vermeer", "Ria Vermeer"), "Buurman riep nog 'die makelaars zijn allemaal boeven', "
     "maar eerlijk: Gevelaar heeft ons super geholpen.", tags=["hard:quote"])

# ===========================================================================
# benign: ordinary company and public posts
# ===========================================================================
case("en", GV_IG, "Open house this Saturday 11:00–15:00 🏡 3-bed apartment with a roof terrace on the Maas. "
     "No need to sign up, coffee's on us ☕", tags=["ordinary"])
case("en", LV, "Handed over the keys to a young family today 🔑 still the best job there is.", tags=["ordinary"])
case("en", pub("reddit", "u/noord_seller"), "Anyone used Gevelaar to sell in Amsterdam-Noord? Trying to decide "
     "between them and Stenenberg.", tags=["ordinary"])
case("nl", pub("x", "@grapjas_gijs"), "Mijn vriend dacht dat 'k.k.' op Gevelpunt 'knappe keuken' betekende 😂",
     tags=["hard:joke"])
case("en", RH, "We're hiring backend engineers for Gevelpunt! Kotlin, Postgres and lots of maps. Apply via "
     "gevelaar.nl/werkenbij 🚀", tags=["ordinary"])
case("nl", pub("mastodon", "@wonenenstad@mastodon.social"), "Goed stuk over hoe Gevelpunt energielabels bij elke "
     "woning toont. Zou elke portal moeten doen.", tags=["ordinary"])
case("nl", pub("bluesky", "@marktkijker.bsky.social"), "Woningmarkt blijft krap, ook Gevelaar ziet bijna overal "
     "overbieden. Starters hebben het zwaar.", tags=["ordinary"])
case("en", GP_TT, "3 things to check during a viewing 👀 1) water pressure 2) the attic 3) the neighbours 😉 "
     "#househunting #gevelpunt", tags=["ordinary"])
case("nl", pub("twitter", "@oma_truus"), "Kleinzoon heeft via Gevelaar zijn eerste huisje gekocht, wat ben ik trots ❤️",
     tags=["ordinary"], kind="repost")


# ---------------------------------------------------------------------------
# labelling and building
# ---------------------------------------------------------------------------

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
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and pii_validated) else "error"
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
        if RANK[s] > RANK[best]:
            best = s
    return best


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
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
        p = "".join(r.choice(b36) for _ in range(7))
        sub = r.choice(["thenetherlands", "Netherlands", "Amsterdam", "huizenmarkt"])
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-woonforum-{n}", f"https://woonforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    filler = Filler(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(filler, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "x"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
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
        x = mr.random()
        tags = set(c["tags"])
        if x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        y = mr.random()
        if y < 0.35:
            post["brand"] = "gevelaar"
        elif y < 0.5:
            post["brand"] = "gevelpunt"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# checker
# ---------------------------------------------------------------------------
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"hooks\.slack\.com/services/", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"\blive_[A-Za-z0-9]{30}\b", r"\bsk_live_[A-Za-z0-9]{20,}", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@", r"AccountKey=")]
PRICE_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def price_ratio(text, products):
    t = norm(text)
    hits = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    vals = [amount(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(t)]
    if not hits or not vals:
        return None
    return min(vals) / min(p["list_price"] for p in hits)


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, rows, profile):
    errors = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        t = ts(p["created_at"])
        if t.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not in 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid_ids = []
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_valid(v) and v != OWN_IBAN:
                valid_ids.append(v)
        for m in NUM_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d):
                valid_ids.append(d)
        for m in re.finditer(r"(?<![\w.,-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)", text):
            if elfproef(m.group(1)):
                valid_ids.append(m.group(1))
        want = severity_for(role, cats, PII in cats and bool(valid_ids))
        if sev != want:
            errors.append(f"{w}: severity {sev} but policy gives {want}")
        if valid_ids and PII not in cats:
            errors.append(f"{w}: valid identifier {valid_ids} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {kind} not in text")
            ok = {"IBAN_NL": iban_valid, "IBAN_BE": iban_valid, "IBAN_DE": iban_valid, "CARD": luhn_valid,
                  "BSN": elfproef}.get(kind)
            if ok and not ok(raw):
                errors.append(f"{w}: {kind} {raw} fails its checksum")
            bad = {"BAD_IBAN_NL": iban_valid, "BAD_CARD": luhn_valid, "NOT_BSN9": elfproef, "NOT_BSN8": elfproef}.get(kind)
            if bad and bad(raw):
                errors.append(f"{w}: negative {kind} {raw} passes its checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp checksum")
        nt = norm(text)
        for term, until in embargo:
            if term in nt:
                if not r["post"].get("created_at") or r["post"]["created_at"] != p["created_at"]:
                    errors.append(f"{w}: time mismatch")
                if t < until and CONF not in cats:
                    errors.append(f"{w}: embargo term {term!r} before {until} without leak.confidential")
                if t >= until and cats:
                    errors.append(f"{w}: embargo term after embargo should be benign here")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        ratio = price_ratio(text, profile["products"])
        if not cats:
            if valid_ids:
                errors.append(f"{w}: benign with valid id")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                if m.group(0).startswith("+31"):
                    d = "0" + d[2:]
                elif m.group(0).startswith("0031"):
                    d = "0" + d[4:]
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errors.append(f"{w}: benign with secret-like {rx.pattern}")
            if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "price-context" not in r["tags"]:
                errors.append(f"{w}: benign with product price ratio {ratio:.2f}")
        if PRICING in cats and "evasion" not in r["tags"] and not (ratio is not None and ratio < 0.5):
            errors.append(f"{w}: pricing positive without a parsed low price")
        if SECRET in cats and not any(rx.search(text) for rx in SECRET_RES) and "evasion" not in r["tags"] \
                and not re.search(r"inlog|wachtwoord|password", text, re.I):
            errors.append(f"{w}: secret positive without a secret shape")
    return errors


def report(rows):
    total = len(rows)
    cat, cat_lang, lang, role, sev, plat, kinds, role_cat = (Counter() for _ in range(8))
    benign = multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            role_cat[(c, r["role"])] += 1
    print(f"cases {total}  benign {benign}  positive {total - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total  nl  en  corp  empl  pub")
    for c in CATEGORIES + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:3d} {cat_lang[(c, 'en')]:3d} "
              f"{role_cat[(c, 'corporate')]:5d} {role_cat[(c, 'employee')]:5d} {role_cat[(c, 'public')]:4d}")
    print("lang", dict(lang), " role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kinds.most_common()))


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
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(lines, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
