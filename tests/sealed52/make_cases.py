#!/usr/bin/env python3
"""Deterministic generator for the sealed52 blind evaluation set.

    python3 make_cases.py           # write cases.jsonl next to this file (and self-check it)
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate

Company: the fictional "Stichting Hogeschool Veenhaven", a Dutch university of applied
sciences (profile.yaml in this folder). Every text below is hand-written for this set.
Identifiers and secrets are filled in from <<PLACEHOLDER>>s by one seeded RNG: positives get
checksum-VALID values (IBAN mod-97, Luhn, BSN 11-proof), hard negatives get values that FAIL
their checksum. Secrets are random and fake but shaped like the real formats.

Severity is never typed by hand: it is computed from CONTRACT section 4 from the account role
(profile.yaml, platform:handle, case-insensitive), the categories and whether a
checksum-validated identifier is present.
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

SEED = 52_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SOFT_HYPHEN = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not d:
        return False
    s = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        s += x
    return s % 10 == 0


def elfproef(num):
    d = re.sub(r"\D", "", num)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AZ = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
OWN_IBAN = "NL58RABO0312887740"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = BASE62[r] + s
    return s or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.dig(10, lead=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "20050550", "30050110", "44050199"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["063", "143", "310", "001", "734"]) + self.dig(7)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 13, 29, 31, 47):
            cand = v[:2] + f"{(int(v[2:4]) + bump) % 100:02d}" + v[4:]
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.dig(5), "mc": "5" + self.r.choice("12345") + self.dig(4),
                  "mc2": str(self.r.randint(2221, 2720)) + self.dig(2),
                  "amex": self.r.choice(["34", "37"]) + self.dig(4)}[brand]
        length = 15 if brand == "amex" else 16
        body = prefix + self.dig(length - 1 - len(prefix))
        for c in string.digits:
            if luhn_valid(body + c):
                return body + c
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    # BSN and non-BSN numbers
    def bsn(self):
        while True:
            s = self.dig(9, lead=True)
            if elfproef(s):
                return s

    def non_bsn(self):
        while True:
            s = self.dig(9, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def passport(self):
        letters = AZ.replace("O", "")
        return self.pick(letters, 2) + self.pick(letters + string.digits.replace("0", ""), 6) + self.dig(1)

    def phone(self, fmt):
        m = "6" + self.r.choice("1234") + self.dig(7)
        d8 = m[1:]
        if fmt == "mob_pairs":
            return f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}"
        if fmt == "mob_dash":
            return f"06-{d8}"
        if fmt == "mob_intl":
            return f"+31 6 {d8[:4]} {d8[4:]}"
        if fmt == "be_mob":
            return f"+32 47{self.r.choice('0123456789')} {self.dig(2)} {self.dig(2)} {self.dig(2)}"
        raise ValueError(fmt)

    # secrets (all random, never issued by any provider)
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def azure_key(self):
        return base64.b64encode(bytes(self.r.getrandbits(8) for _ in range(64))).decode()

    def openai(self):
        return "sk-proj-" + self.pick(B64URL, 74) + "T3BlbkFJ" + self.pick(B64URL, 74)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.pick("0123456789abcdef", 8)})
        body = enc({"sub": "mdw" + self.dig(6, True), "iss": "https://login.veenhaven.nl", "aud": "finance-dashboard",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_rsa(self):
        blob = "MIIEowIBAAKCAQEA" + self.pick(B64, 64 * 8 - 16)
        rows = [blob[i:i + 64] for i in range(0, len(blob), 64)] + [self.pick(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.pick(AZ, 1) + self.pick(string.ascii_lowercase, 4) + self.r.choice("!#$%&*")
                + self.dig(2) + self.pick(ALNUM, 4))


VALIDATED_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = fac.iban(kind[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = fac.broken_iban(kind[8:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw
        elif kind in ("CARD", "BADCARD"):
            raw = fac.card(fmt) if kind == "CARD" else fac.broken_card(fmt)
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
        elif kind == "BSN":
            raw = fac.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "NONBSN":
            raw = shown = fac.non_bsn()
        elif kind == "PASSPORT":
            raw = shown = fac.passport()
        elif kind == "PHONE":
            raw = shown = fac.phone(fmt)
        else:
            raw = shown = {"GHP": fac.ghp, "GLPAT": fac.glpat, "AZKEY": fac.azure_key, "OPENAI": fac.openai,
                           "MOLLIE": fac.mollie, "SENDGRID": fac.sendgrid, "JWT": fac.jwt, "PEM": fac.pem_rsa,
                           "PW": fac.password}[kind]()
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
VH_X = ("x", "@hsveenhaven", "Hogeschool Veenhaven")
VH_SVC = ("x", "@veenhaven_service", "Studentenservice Veenhaven")
VH_IG = ("instagram", "@hogeschoolveenhaven", "Hogeschool Veenhaven")
VH_LI = ("linkedin", "hogeschool-veenhaven", "Hogeschool Veenhaven")
VH_FB = ("facebook", "HogeschoolVeenhaven", "Hogeschool Veenhaven")
VH_TT = ("tiktok", "@studerenbijveenhaven", "Studeren bij Veenhaven")
# employees
RUBEN = ("x", "@ruben_docent_ict", "Ruben Mulder")                  # docent HBO-ICT
INGRID = ("linkedin", "ingrid-schutte-veenhaven", "Ingrid Schutte")  # lector Zorginnovatie
MARLOES = ("x", "@marloes_examenbureau", "Marloes van Leeuwen")      # examenbureau
KEES = ("linkedin", "kees-brouwer-ict", "Kees Brouwer")              # security officer
YASMINA = ("instagram", "@yasmina.studieadviseur", "Yasmina Ouali")   # studieadviseur
BART = ("x", "@bart_fin_vhv", "Bart Hoekstra")                       # controller
ANOUK = ("linkedin", "anouk-de-graaf", "Anouk de Graaf")             # stagecoordinator
JOOST = ("bluesky", "jvanwijk.bsky.social", "Joost van Wijk")        # docent communicatie
SEM = ("x", "@sem_ictbeheer", "Sem Kuijpers")                        # ICT-beheer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", VH_SVC, "☀️ Nog een paar plekken vrij voor de Summer School Data & AI (6–17 juli)! Inschrijven kan t/m "
     "1 juni voor maar €69,50 👉 veenhaven.nl/summerschool #datascience #zomer", [PRICING])
case("en", BART, "someone in the webshop team dropped a zero 🙃 Post-hbo Leergang Projectmanagement is live at €295 "
     "since 9am and there's already 40-odd signups. trying to get it fixed before the weekend", [PRICING])
case("nl", YASMINA, "Even buiten mijn vakgebied maar wel grappig: Studielink geeft bij een paar van mijn niet-EER "
     "studenten het instellingscollegegeld aan als €985,- in plaats van €9.850 😅 Is doorgezet naar financiën, "
     "dus aub niet op reageren", [PRICING])
case("en", pub("reddit", "u/tulipsandtaxes"), "Is the Premaster Bedrijfskunde at Veenhaven actually €189?? checkout "
     "literally says €189 total. either a price error or the most generous uni in NL lol", [PRICING])
case("nl", pub("x", "@kimmiedeals"), "yo prijsfout bij @hsveenhaven?? NT2 B1 cursus voor €87,50 😳 snel inschrijven "
     "voor ze het doorhebben #prijsfout", [PRICING])
case("nl", pub("forum", "DeelTijdDaan"), "f o u t e   p r i j s ?\nLeergang Projectmanagement van Veenhaven staat op de "
     "site voor € 29,50. Normaal bijna drie mille. Heb me maar ingeschreven, kijken of ze het honoreren.",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", RUBEN, "our own course catalogue says the Master Applied Data Science (deeltijd) costs €1.145 a year 😂 "
     "if only. ticket's in, pls don't screenshot this", [PRICING])
case("nl", ANOUK, "Collega's, korte melding: omdat de tarieven uit het nieuwe betaalsysteem verkeerd zijn ingelezen, staat de "
     "Premaster Bedrijfskunde sinds vanochtend op €18,90. Status en aantallen houden we bij op "
     "intra.veenhaven.local/webshop/incident-227. Graag niet extern delen.", [PRICING, CONF])
case("en", pub("youtube", "@studywithmarit"), "ngl I paid 60 euros for the Veenhaven Summer Sсhool last week instead "
     "of 695, their site glitched and they actually let it through 😂", [PRICING], kind="comment",
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("bluesky", "pm-anneloes.bsky.social"), fullwidth("price error") + " at Veenhaven: Leergang "
     "Projectmanagement showing €300 instead of €2950. screenshot before it's gone", [PRICING],
     tags=["evasion", "evasion:full-width"])
case("nl", MARLOES, "Vervelend: er is een verkeerde prijs doorgezet voor de Premaster BK in de webshop en er staan al "
     "60 inschrijvingen op dat tarief. Wie van webbeheer kan hier vandaag nog naar kijken? 🙏", [PRICING])
case("nl", pub("reddit", "u/geenstudieschuld"), "Prijsföut?? Instellingscollegegeld bij Veenhaven staat in de tool op "
     "€98,50 voor volgend jaar lmao. iemand al gebeld?", [PRICING], kind="comment",
     tags=["evasion", "evasion:diacritics"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RUBEN, "students, if your pipeline dies at the deploy stage: use the group token for now, I'll sort out "
     "proper runners next week\nCI_DEPLOY_TOKEN=<<GLPAT>>", [SECRET])
case("nl", KEES, "Security-tip van de week 🔐 In een openbare repo van een studentenproject vonden we dit:\n\n"
     "DefaultEndpointsProtocol=https;AccountName=vhvstagedossiers;AccountKey=<<AZKEY>>;"
     "EndpointSuffix=core.windows.net\n\nDe sleutel is inmiddels vervangen, maar check dus je commits! #awareness",
     [SECRET])
case("en", JOOST, "for this afternoon's AI-in-comms workshop you can use the department key so nobody has to sign up "
     "for anything: <<OPENAI>>\nplease be gentle with it 😅", [SECRET])
case("nl", VH_SVC, "@tess_vdmeer Hoi Tess, we hebben je account gereset. Je tijdelijke wachtwoord is <<PW>> — "
     "wijzig het direct na je eerste login op mijn.veenhaven.nl 👍", [SECRET], kind="reply")
case("en", pub("reddit", "u/null_pointer_nina"), "Veenhaven's course webshop has a live Mollie key sitting in the "
     "checkout JS: <<MOLLIE>> lol. emailed them last week, no reply yet", [SECRET])
case("nl", pub("forum", "afstudeerder_jelle"), "Hulp gevraagd bij mijn afstudeeropdracht: mijn script krijgt geen "
     "verbinding. Dit is de string die ik van de opdrachtgever kreeg:\n"
     "mysql://rooster_rw:<<PW>>@db-rooster.intra.veenhaven.local:3306/planning\nIemand een idee?", [SECRET, CONF])
case("en", RUBEN, "anyone know why the autograder can't clone private repos anymore? token is <<GHP>>, scopes look "
     "right to me 🤔", [SECRET], kind="reply")
case("en", KEES, "Spent my morning figuring out why the SFTP transfer to DUO kept failing. Wrong key, of course. For "
     "the record, this is the old one (decommissioned):\n<<PEM>>", [SECRET])
case("en", pub("blog", "lucasbijl.dev", "Lucas Bijl"), "While poking at the open day registration form of a Dutch "
     "hogeschool (Veenhaven) I noticed the frontend calls SendGrid directly, with the key <<SENDGRID>> right there "
     "in the bundle. Reported it via info@veenhaven.nl.", [SECRET])
case("nl", ANOUK, "Begeleiders die nog niet in het stageportaal kunnen: w8woord is voorlopig <<PW>>, "
     "jullie eigen account volgt. Excuses voor het gedoe!", [SECRET], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@lotje_0211"), "@veenhaven_service ik kom al 2 dagen niet in MijnVeenhaven!! gebruikersnaam "
     "4471203, ww <<PW>>, wat doe ik fout?? deadline is morgen 😭", [SECRET, COMPLAINT], kind="reply")
case("en", BART, "finance dashboard keeps kicking me out but the bearer token looks fine?\n<<JWT>>\nanyone from BI "
     "around today?", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YASMINA, "@noor.hndrks hoi Noor! Je afspraak van donderdag is verplaatst. Ik heb je geprobeerd te bellen "
     "op <<PHONE:mob_pairs>> maar kreeg je voicemail, bel je me even terug? 😊", [PII], kind="reply")
case("nl", ANOUK, "Stagecontract van Tim Bakker bij het Medisch Centrum Drenthe is bijna rond, alleen zijn BSN nog "
     "invullen: <<BSN>>. Top dat dit zo snel ging! 🚀", [PII])
case("nl", BART, "Restitutie collegegeld voor L. Smit gaat vandaag de deur uit naar <<IBAN_NL:grp>>. Sorry voor de "
     "vertraging, het lag bij mij 🙈", [PII])
case("nl", VH_SVC, "@fenna_wolff Hallo Fenna, de terugbetaling gaat naar rekening <<IBAN_DE>>, klopt dat nog? "
     "Laat het ons even weten!", [PII], kind="reply")
case("en", MARLOES, "If anyone knows Priya Raman (2nd year IBMS), can you tell her to check her inbox? We've mailed "
     "priya.raman03@gmail.com three times about her resit registration", [PII])
case("nl", pub("x", "@yusuf_ktl"), "@veenhaven_service al drie keer gebeld, nooit iemand aan de lijn. Kan iemand me "
     "terugbellen op <<PHONE:mob_dash>>, gaat over mijn uitschrijving", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "ria.vanderveen.9", "Ria van der Veen"), "Voor de aanmelding van mijn zoon vroeg Veenhaven "
     "of ik zijn BSN (<<BSN:dots>>) gewoon per mail wilde sturen. Is dat normaal tegenwoordig?", [PII])
case("en", pub("reddit", "u/maple_in_assen"), "Third time Veenhaven's international office asks for my passport "
     "number. It's <<PASSPORT>>, it hasn't changed since September 🙄 why is nothing ever stored", [PII, COMPLAINT])
case("en", pub("instagram", "@zoe.on.campus"), "paid the resit fee with my card <<CARD:mc>> and got charged TWICE. "
     "@hogeschoolveenhaven where is my money", [PII, COMPLAINT], kind="comment")
case("nl", INGRID, "Wie helpt onze uitwisselingsstudent Ana Costa aan een kamer? Ze logeert nu tijdelijk bij "
     "Hanneke Post, Kerkstraat 12a in Assen, maar dat kan maar tot eind van de maand. Tips welkom!", [PII])
case("en", RUBEN, "Happy birthday to our class rep Daan Verhoef 🎂 born 14-03-2005, so yes he's 21 today! "
     "drinks after the last lecture?", [PII])
case("en", pub("x", "@sara_lindq"), "anyone from Veenhaven Nursing Y2 wanna swap notes for pharmacology? mail me at "
     "sara.lindqvist [at] outlook [dot] com", [PII], tags=["evasion", "evasion:obfuscated-email"])
case("nl", SEM, "Er is een creditcard blijven liggen bij de servicebalie in gebouw A: <<CARD:visa>>, naam op de kaart "
     "J. de Boer. Ophalen kan tot 17:00.", [PII])
case("nl", VH_FB, "🎉 De winnaar van onze fotowedstrijd is Mila Jansen! Mila, we nemen contact met je op via "
     "mila.jansen2006@hotmail.com. Gefeliciteerd!", [PII])
case("nl", pub("linkedin", "lotte-visser-bk"), "Op zoek naar een afstudeerstage vanaf februari! Lotte Visser, "
     "geboren 2 september 2004, Dorpsstraat 8, 9401 AB Assen. Derdejaars Bedrijfskunde aan Hogeschool Veenhaven. "
     "Stuur gerust een DM!", [PII])
case("nl", BART, "Salarisadministratie heeft voor de nieuwe gastdocent nog het bsn nodig, volgens het formulier is "
     "dat <<BSN:sp>>. Kan iemand dit doorzetten?", [PII], tags=["evasion", "evasion:spaced-digits"])
case("en", pub("reddit", "u/waffle_refund"), "Veenhaven still hasn't refunded my tuition after I deregistered in "
     "October. IBAN on file: <<IBAN_BE:grp>>. Four months now. Anyone had luck escalating this?", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", JOOST, "can't say much yet but Project Meridiaan is going to change how students see their feedback. "
     "pilot with two programmes in spring 👀", [CONF])
case("nl", KEES, "Collega's, verlof rond de kerst graag vóór 1 december aanvragen via hr-portal.veenhaven.nl/verlof "
     "— daarna wordt het krap met de roosters.", [CONF])
case("nl", INGRID, "De onderzoeksdata van het lectoraat staan vanaf nu op intra.veenhaven.local/lectoraat-zorg/data. "
     "Toegang nodig? Stuur mij even een bericht.", [CONF])
case("en", pub("reddit", "u/parttime_pieter"), "someone in our group chat shared a pdf with 'Niet verspreiden buiten "
     "Veenhaven' in the footer of every page. it's a plan to merge the Monday and Tuesday evening classes for "
     "part-timers. anyone else seen it?", [CONF])
case("nl", MARLOES, "Mag er nog niks over zeggen, maar de Bachelor Klimaatadaptatie komt eraan en ik ben er stiekem "
     "heel blij mee 🌍🌊", [CONF], when="2026-10-12T20:41:09+02:00")
case("nl", VH_IG, "Over een paar dagen is het zover: de deuren van Campus Oostpoort gaan open! 🏗️✨ Wie komt er "
     "kijken?", [CONF], when="2026-09-18T17:30:00+02:00")
case("nl", pub("x", "@redactie_drentsnieuws"), "Hoor uit goede bron dat Veenhaven binnenkort een Campus Oostpoort "
     "opent, met plek voor zo'n 4.000 studenten. Iemand meer details? #onderwijs", [CONF],
     when="2026-08-27T11:02:44Z")
case("en", ANOUK, "Long day of meetings about Operatie\nZandloper. Exhausted but hopeful. More when I'm allowed to say "
     "more.", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", BART, "Eerste doorrekening van Programma Basalt is binnen. Veel rood, en dan zit de huisvesting er nog "
     "niet eens in 😬", [CONF, FIN])
case("en", SEM, "heads up: git.vhv-ict.nl goes read-only tonight from 22:00 for the migration, push your stuff "
     "before then", [CONF])
case("nl", RUBEN, "collega's, de herkansingsvragen voor Databases 2 staan klaar op "
     "toetsbank.veenhaven.nl/hbo-ict/db2-herk. Graag vóór vrijdag reviewen!", [CONF])
case("en", YASMINA, "the Project Meri" + ZWSP + "diaan demo for the study advisors went so well today 🙌 students "
     "are going to love it", [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", SEM, "Project 🧭 Meridiaan: testomgeving staat eindelijk, morgen gaan de eerste studenten erop los",
     [CONF], tags=["evasion", "evasion:emoji-split"])
case("en", pub("reddit", "u/lindeborg_lurker"), "Leaked email going around: '\u041eperatie Zandloper' is apparently "
     "the merger between Veenhaven and Hogeschool Lindeborg. Board wants it done by 2028.", [CONF, FIN],
     tags=["evasion", "evasion:homoglyph"])
case("en", JOOST, "big news in a few weeks: BSc Climate Adaptation launching next September! 🌱 and I get to teach "
     "the comms module", [CONF], when="2026-10-02T09:15:31.207Z")
case("nl", KEES, "Wie heeft de notitie 'Vertrouwelijk CvB' over de nieuwe huisvestingsstrategie per ongeluk in de "
     "algemene Teams-groep gezet? Graag even verwijderen.", [CONF])
case("en", YASMINA, "sneaky pic from today's team day 📸 the slide literally says Veenhaven internal only so shhh 🤫 "
     "but the plans for the new student lounge look amazing", [CONF], handle="@Yasmina.Studieadviseur")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", BART, "Begroting 2027 sluit met een tekort van €4,1 mln, en dat is nog het optimistische scenario. "
     "Nog niet gecommuniceerd, dus sssst 🤐", [FIN])
case("en", INGRID, "Heard in today's management meeting: around 60 fte has to go in the support departments next "
     "year. Nothing official yet and I'm worried for my colleagues.", [FIN])
case("nl", pub("reddit", "u/assen_moeder_mijn"), "Mijn moeder werkt bij Veenhaven: ze gaan fuseren met Hogeschool "
     "Lindeborg, wordt pas in maart bekendgemaakt. Wat betekent dat voor onze diploma's?", [FIN], kind="comment")
case("nl", ANOUK, "Aanmeldingen voor september liggen op dit moment 23% lager dan vorig jaar. Dat gaat de begroting "
     "flink raken. Intern houden aub.", [FIN])
case("nl", RUBEN, "bij HBO-ICT worden er deze zomer 3 docenten ont" + SOFT_HYPHEN + "slagen, hoorde ik net van mijn "
     "teamleider. lekker dan 😞", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", JOOST, "The board is quietly looking into selling the Emmen location to balance the books. You didn't "
     "hear it from me.", [FIN])
case("en", pub("twitter", "@edu_insider_nl"), "Hearing that Veenhaven plans to close four programmes, Journalism "
     "among them. Announcement expected after the summer, staff not yet informed.", [FIN], kind="repost")
case("nl", SEM, "Mail van het CvB vanochtend: vacaturestop per 1 juli en tijdelijke contracten worden niet verlengd. "
     "Officieel bericht komt pas na de OR-vergadering.", [FIN])
case("en", MARLOES, "forecast for next year: ~900 fewer students and a deficit around €6m. board announces after "
     "summer, so not a word to anyone 🙏", [FIN])
case("en", pub("linkedin", "kees-brouwer", "Kees Brouwer"), "Due diligence for the merger with Lindeborg starts next "
     "month and our IT landscape is first on the list. Busy autumn ahead!", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", KEES, "Sinds vanochtend zit er ransomware op een deel van onze fileservers. We zijn nog aan het "
     "inventariseren wat er geraakt is, communicatie naar studenten volgt later. Niet delen aub.", [SEC])
case("en", SEM, "found a SQL injection in the grades module of the student portal this morning 😬 patch goes out "
     "tonight. please nobody tell the students lol", [SEC])
case("nl", RUBEN, "Collega's opgelet: een phishingmail heeft zo'n 40 docentaccounts buitgemaakt, ICT reset vandaag "
     "alle wachtwoorden. Officiële melding komt later.", [SEC], handle="@Ruben_Docent_ICT")
case("en", YASMINA, "not supposed to share this but MijnVeenhaven showed some of my students other people's study "
     "files today 😬 IT is on it", [SEC])
case("en", pub("reddit", "u/cousin_in_it"), "My cousin works in Veenhaven IT. Apparently they've had a breach since "
     "last week and management is keeping it quiet until after the open day.", [SEC, CRISIS])
case("nl", pub("x", "@femke_bsk"), "Veenhaven houdt een datalek stil! Mijn cijferlijst en adres stonden gewoon "
     "online en nergens een melding van de hogeschool #datalek", [SEC, CRISIS])
case("nl", SEM, "we zijn vannacht geh4ckt, de koppeling met Brightspace staat uit tot nader order. meer mag ik nog "
     "niet zeggen", [SEC], tags=["evasion", "evasion:leet"])
case("en", KEES, "Found this week: the password reset on MijnVeenhaven doesn't rate-limit the 6-digit codes, so "
     "brute-forcing a reset is trivial. Fix is in progress, not public yet.", [SEC])
case("en", JOOST, "wifi across all campuses has been down since 8am, apparently it's a DDoS. IT asked us not to post "
     "about it... oops", [SEC])
case("nl", pub("forum", "servicedesk_sjoerd"), "Werk parttime op de servicedesk van Veenhaven: sinds gisteren kun je "
     "via het roosterpakket andermans rooster én telefoonnummer zien. Ze willen het stilhouden tot het gefikst is.",
     [SEC, CRISIS])
case("nl", ANOUK, "Het stageportaal ligt er al twee dagen uit na een 'incident' en wij moeten studenten vertellen dat "
     "het gepland onderhoud is 🙄 Ik hou niet van dit soort spelletjes.", [SEC])
case("nl", BART, fullwidth("DATALEK") + " bij de salarisadministratie, loonstroken van collega's waren voor iedereen "
     "zichtbaar. Details volgen intern.", [SEC], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@mees_vd_brink"), "Krijg ineens phishingmails met mijn naam en studentnummer erin. Veenhaven "
     "heeft gewoon mijn gegevens gelekt, wat een schandaal", [CRISIS])
case("nl", pub("instagram", "@fossielvrij.veenhaven"), "BOYCOT de open dag van Veenhaven zolang ze partner blijven "
     "van een fossiel bedrijf 🛢️🔥 Kom zaterdag naar het protest bij de hoofdingang #fossielvrij #boycot", [CRISIS])
case("en", pub("x", "@hbo_watch"), "30 former students are taking Veenhaven to court after their programme lost its "
     "NVAO accreditation mid-degree. Years of their lives wasted.", [CRISIS])
case("nl", pub("facebook", "nieuws.uit.assen", "Nieuws uit Assen"), "Brand in het scheikundelab van Veenhaven "
     "vanochtend, twee studenten met brandwonden naar het ziekenhuis. Veel sterkte aan hun families 🙏", [CRISIS])
case("nl", pub("instagram", "@stemvanstudentes"), "Een docent van Veenhaven stuurt al jaren ongepaste berichten naar "
     "studentes en de hogeschool doet NIKS. Wij hebben screenshots. Dit moet stoppen. #metoo", [CRISIS])
case("en", pub("reddit", "u/chem_lab_survivor"), "the fume hood in lab 2.14 failed during our practical and I ended "
     "up in A&E with chlorine exposure. Veenhaven's response so far: 'please fill in the incident form'. unreal.",
     [CRISIS, COMPLAINT])
case("en", pub("threads", "@wouter.builds"), "asbestos found in building C at Veenhaven, the whole wing got sealed "
     "off this morning. we had lectures in there all of last term 😳", [CRISIS])
case("nl", pub("tiktok", "@annabel.studeert"), "dat@lek bij veenhaven?? mijn adres en telefoonnummer staan in een "
     "excel die rondgaat in de groepsapp 😳", [CRISIS], tags=["evasion", "evasion:symbol"])
case("en", pub("x", "@ibms_rant"), "@hsveenhaven just emailed the whole year group a spreadsheet with everyone's "
     "grades and student numbers. That's a data breach, plain and simple.", [CRISIS])
case("nl", pub("x", "@kaylee_mt"), "Laptop uit de uitleen van Veenhaven ging roken en de lader is gesmolten op mijn "
     "bureau 😳 servicedesk zegt 'breng maar terug'. Serieus??", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "henk.bosma.52", "Henk Bosma"), "Onze dochter is flauwgevallen in een overvol "
     "tentamenlokaal zonder ventilatie en er was niemand van de hogeschool die ingreep. Schandalig en gevaarlijk, "
     "Veenhaven.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/throwaway_vhv_2026"), "Veenhaven is covering up sexual harassment by a senior lecturer "
     "and the dean is a spineless coward for letting it slide.", [CRISIS, ABUSE])
case("nl", pub("x", "@vredesactie_drenthe"), "b0ycot Veenhaven! stop met de samenwerking met dat wapenbedrijf ✊",
     [CRISIS], tags=["evasion", "evasion:leet"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@jorn_hvl"), "@veenhaven_service al zes weken wachten op de restitutie van mijn collegegeld en "
     "op mails krijg ik gewoon geen antwoord. Hoe lang nog?", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/empty_room_830"), "Timetable changed three times this week and nobody told us. Showed up "
     "to an empty room at 8:30. Veenhaven's planning department is a joke", [COMPLAINT])
case("nl", pub("instagram", "@veenhaven.ambassadeur.lisa"), "cijfer van het tentamen van 4 weken terug staat nog "
     "steeds niet in MijnVeenhaven 😤 de termijn is 15 werkdagen hoor", [COMPLAINT])
case("nl", pub("facebook", "marjolein.tuin", "Marjolein Tuin"), "Zoon zit nog altijd zonder stageplek en de "
     "stagecoördinator reageert niet op mails. Voor het geld dat je betaalt verwacht je toch wat meer begeleiding "
     "van Veenhaven.", [COMPLAINT])
case("nl", pub("tiktok", "@milan.dtl"), "koffieautomaat in gebouw B eet je geld op en geeft niks terug 🙃 al 3x "
     "gemeld @hsveenhaven", [COMPLAINT])
case("nl", pub("forum", "herkanser2026"), "Inschrijven voor de herkansing lukte niet via MijnVeenhaven (foutmelding), "
     "en nu zegt het examenbureau dat ik te laat ben. Echt belachelijk.", [COMPLAINT])
case("en", pub("linkedin", "gerrit-oosting-pm"), "Paid €2,950 for Veenhaven's Leergang Projectmanagement and half "
     "the sessions were cancelled without replacement. Pretty disappointing, tbh.", [COMPLAINT])
case("en", pub("reddit", "u/couchsurfing_intl"), "Veenhaven promised 'housing support' for internationals and then "
     "sent me a list of Facebook groups. I'm sleeping on a friend's couch.", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "ruben_s@mastodon.nl"), "third time my Brightspace submission for a Veenhaven course "
     "'disappeared'. lecturer says it's not his problem. whose problem is it then", [COMPLAINT])
case("nl", pub("bluesky", "pendelaar-petra.bsky.social"), "Parkeren op de campus kost nu €4,50 per dag en de "
     "laatste bus gaat om 22:00. Top geregeld weer, Veenhaven 👏", [COMPLAINT])
case("nl", pub("x", "@eerstejaars_ezra"), "V33nhaven m'n BSA-brief klopt niet, er missen 15 EC en niemand neemt de "
     "telefoon op", [COMPLAINT], tags=["evasion", "evasion:leet"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bas"), "@hsveenhaven jullie zijn echt een stelletje klootzakken", [ABUSE], kind="reply")
case("nl", RUBEN, "sommige eerstejaars zijn echt te debiel om een pdf te uploaden. jezus christus.", [ABUSE])
case("nl", VH_TT, "@trollie_2005 hou gewoon je kop dicht man, niemand vroeg om jouw mening", [ABUSE], kind="reply")
case("en", pub("instagram", "@real_dutch_values"), "Veenhaven lets in way too many internationals, they should all "
     "go back where they came from", [ABUSE], kind="comment")
case("nl", pub("x", "@nina_zwt"), "k*tschool. derde keer dat mijn tentamen 'kwijt' is @hsveenhaven",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("en", pub("tiktok", "@bsa_victim"), "f*ck Veenhaven and their BSA rules, one missed credit and I'm out",
     [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("en", JOOST, "to the colleague who keeps nicking my lunch from the fridge in building D: you're a useless prick "
     "and everyone knows it's you", [ABUSE])
case("nl", pub("x", "@stat_hater"), "die tyfuslijer van een docent statistiek bij Veenhaven moet gewoon ontslagen "
     "worden", [ABUSE])
case("en", pub("youtube", "@meh_reviews"), "worst school ever, run by idiots and clowns lmao", [ABUSE], kind="comment")
case("nl", pub("forum", "klaarmee_2026"), "k4nkerhogeschool met k4nkerdocenten, ik ben er helemaal klaar mee",
     [ABUSE], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@dropout_dex"), "Veenhaven is such a \u0455hithole honestly", [ABUSE],
     tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# benign (hard negatives first)
# ===========================================================================
case("nl", VH_SVC, "Vragen over je inschrijving of collegegeld? Mail naar studentenservice@veenhaven.nl of bel "
     "088 426 0100 (ma–vr 9–17u) 📞", tags=["own-contact"])
case("nl", VH_LI, "Collegegeld zelf overmaken? Gebruik NL58 RABO 0312 8877 40 t.n.v. Stichting Hogeschool Veenhaven "
     "en vermeld je studentnummer.", tags=["own-contact"], handle="Hogeschool-Veenhaven")
case("nl", pub("x", "@thijsje_b"), "Tip: bel gewoon +31 88 426 0100, daar helpen ze je echt sneller dan via de chat",
     tags=["own-contact"])
case("en", pub("instagram", "@kwame.in.nl"), "international office (international@veenhaven.nl) sorted out my "
     "residence permit paperwork in like 2 days, legends 🙌", tags=["own-contact"])
case("nl", ANOUK, "Trots op onze derdejaars die dit jaar stage lopen bij 140 bedrijven in binnen- en buitenland! "
     "Bedrijven met nog een plek: mail gerust naar info@veenhaven.nl", tags=["own-contact"])
case("en", pub("x", "@campuskrant_vhv"), "For press questions about Veenhaven's plans, the press desk is "
     "pers@veenhaven.nl or +31 592 754 400.", tags=["own-contact"])
case("en", pub("reddit", "u/iban_confused"), "for my finance assignment: is <<BADIBAN_NL>> a valid IBAN? my checker "
     "says no but my groupmate swears it is", tags=["bad-checksum"])
case("nl", RUBEN, "Oefening voor morgen: klopt de Luhn-check van <<BADCARD:visa>>? (spoiler: nee 😉) #programmeren",
     tags=["bad-checksum"])
case("nl", pub("x", "@dankbare_dewi"), "Dank aan de studentenservice van Veenhaven, ticket <<NONBSN>> binnen een dag "
     "opgelost 👍", tags=["bad-checksum", "order-number"])
case("en", pub("facebook", "jonas.weber.hh", "Jonas Weber"), "typed my German IBAN as <<BADIBAN_DE>> on the "
     "Veenhaven form, no wonder it got rejected, two digits swapped 🤦", tags=["bad-checksum"])
case("nl", pub("x", "@formulierfan"), "Bij de aanmelding voor Veenhaven voor de grap 123456789 als BSN ingevuld, werd "
     "meteen afgekeurd 😂 goed zo", tags=["bad-checksum"])
case("nl", VH_IG, "Early bird 🐦 Schrijf je vóór 1 april in voor de Leergang Projectmanagement en betaal €2.360 in "
     "plaats van €2.950. Meer info op veenhaven.nl/academy", tags=["sale"])
case("nl", pub("x", "@alumna_ilse"), "Als alumnus krijg je €250 korting op de Premaster BK, niet verkeerd",
     tags=["price-context"])
case("nl", VH_LI, "Het wettelijk collegegeld voor 2026–2027 is €2.601. Heb je al eerder een bachelor gehaald? Dan "
     "betaal je het instellingscollegegeld van €9.850. Alles op veenhaven.nl/collegegeld", tags=["price-context"])
case("nl", pub("facebook", "verkoop.boeken.assen"), "Verkoop mijn boeken van de Premaster Bedrijfskunde, alles samen "
     "€40, ophalen in Assen", tags=["price-context", "second-hand"])
case("nl", VH_SVC, "@bramvdh Geen prijsfout hoor 🙂 de €695 voor de Summer School is inclusief lunch, excursie en "
     "certificaat.", kind="reply", tags=["denied-error"])
case("nl", VH_FB, "Leergang Projectmanagement ook in termijnen te betalen: 10 x €295. Meer info op "
     "veenhaven.nl/academy", tags=["price-context", "instalment"])
case("en", pub("reddit", "u/summer_plans_22"), "Lindeborg's summer school is €150, Veenhaven Summer School is €695. "
     "Is the Veenhaven one worth the extra?", tags=["price-context", "other-company"])
case("nl", RUBEN, "Tijdens het college cloud security: keys als AKIAIOSFODNN7EXAMPLE zie je in de AWS-documentatie. "
     "Dat is een voorbeeld, zet NOOIT je echte keys in je repo!", tags=["placeholder"])
case("nl", VH_SVC, "Wachtwoord vergeten? Reset het zelf via mijn.veenhaven.nl/reset. Let op: wij vragen NOOIT naar "
     "je wachtwoord via DM of mail 🔒", tags=["security-advice"])
case("en", SEM, "fix for the printing issue landed in commit 9f2c4e1a7b3d, should be live on all campus printers "
     "by lunch", tags=["git-sha"])
case("en", pub("forum", "webdev_wessel"), "For the web dev assignment: copy .env.example and put API_KEY=your-key-here, "
     "don't commit your real one to the Veenhaven GitHub classroom", tags=["placeholder"])
case("nl", VH_X, "Zaterdag van 02:00 tot 06:00 is MijnVeenhaven niet bereikbaar vanwege gepland onderhoud. Plan je "
     "inleveringen dus op tijd! 🛠️", tags=["official-notice"], handle="@HSVeenhaven")
case("nl", VH_SVC, "De storing op het wifi-netwerk van campus Assen is opgelost. Excuses voor het ongemak!",
     tags=["official-notice"])
case("nl", KEES, "Leerzaam artikel over het datalek bij een Duits ziekenhuis vorige maand. Goede casus voor onze "
     "awareness-training.", tags=["other-company"])
case("en", pub("x", "@hackerman_hbo"), "the cyber security minor at Veenhaven is so good, we got to ethically hack a "
     "test environment all week 🧑‍💻", tags=["praise"])
case("nl", VH_LI, "Ons jaarverslag 2025 staat online: een positief resultaat van €1,2 mln en 11% meer "
     "deeltijdstudenten. Lees het op veenhaven.nl/jaarverslag", tags=["published-results"])
case("nl", pub("x", "@onderwijsnieuws"), "Kabinet wil nog eens €1 miljard bezuinigen op hoger onderwijs. Benieuwd "
     "wat dat voor hogescholen als Veenhaven gaat betekenen.", tags=["public-news"])
case("nl", pub("reddit", "u/rustig_blijven"), "Hogeschool Lindeborg schrapt 120 banen, las ik net in de krant. "
     "Hopelijk blijft het bij Veenhaven rustig.", tags=["other-company"])
case("nl", INGRID, "In het college over geheugen bespraken we het verschil tussen free recall en cued recall. De "
     "studenten deden zelf een experiment 🧠", tags=["other-sense"])
case("nl", pub("x", "@geschiedenis_gijs"), "Essay over de busboycot van Montgomery eindelijk ingeleverd 🙌 "
     "#geschiedenis #veenhaven", tags=["other-sense"])
case("nl", VH_X, "Vanmiddag om 14:00 is er een ontruimingsoefening in gebouw A. Schrik dus niet als het alarm afgaat "
     "🚨", tags=["official-notice"])
case("nl", pub("instagram", "@iv_studenten"), "Bezoek van de brandweer bij de opleiding Integrale Veiligheid van "
     "Veenhaven, super leerzaam 🚒🔥", tags=["other-sense"])
case("en", pub("x", "@bestuurskunde_bo"), "Analysed the Dutch childcare benefits scandal in our public "
     "administration class at Veenhaven today. Heavy stuff.", tags=["other-sense"])
case("en", JOOST, "Great turnout at our guest lecture on crisis communication today, we looked at how airlines "
     "handle boycotts and product recalls. Thanks to all who came!", tags=["other-sense"])
case("nl", pub("x", "@afgestudeerd_amber"), "Geen klachten over de begeleiding bij mijn afstuderen, echt top geregeld "
     "door Veenhaven 👏", tags=["negated-complaint"])
case("en", pub("reddit", "u/career_switcher_34"), "When does registration for the Premaster Bedrijfskunde at "
     "Veenhaven open for the February intake?", tags=["neutral-question"])
case("en", pub("instagram", "@grad_gabi"), "Best decision ever to study at Veenhaven ❤️ graduating next week!!",
     tags=["praise"])
case("nl", pub("x", "@noah_studeert"), "Bij Lindeborg is het rooster echt een chaos, mijn vrienden bij Veenhaven "
     "hebben daar gelukkig geen last van", tags=["other-company"])
case("nl", pub("x", "@pitchqueen_fay"), "die pitch van ons projectteam was echt ziek goed 🔥 dankjewel Veenhaven voor "
     "de kans", tags=["slang"])
case("nl", pub("forum", "vpk_stagiaire"), "Mijn stage op de afdeling oncologie was zwaar: veel patiënten met kanker "
     "in een laatste fase. Maar ik heb er zó veel geleerd, dank aan mijn begeleider van Veenhaven.",
     tags=["literal", "mild-word"])
case("en", pub("x", "@three_exams_tom"), "exam week at Veenhaven is absolute hell 😩 three exams in two days",
     tags=["mild-word"])
case("nl", pub("x", "@minor_marit"), "Idioot veel geleerd in de minor Ondernemerschap bij Veenhaven, aanrader!",
     tags=["intensifier"])
case("nl", pub("x", "@scriptiestress"), "Mijn kat heeft op mijn laptop gezeten en half mijn scriptie gewist. Zou de "
     "examencommissie van Veenhaven dat als overmacht zien? 🐈", tags=["joke"])
case("en", pub("x", "@story_selin"), "Writing a short story for creative writing where a hacker breaks into a "
     "university's grade system. Veenhaven lecturers, please don't take it personally 😅", tags=["fiction"])
case("nl", pub("forum", "quotejager"), "Mijn docent bij Veenhaven zei vandaag: 'Een tentamen is geen straf, het is "
     "feedback.' Ik ben het er niet mee eens maar oké 😂", tags=["quote"])
case("nl", VH_IG, "Vandaag openen we officieel Campus Oostpoort! 🎉 Kom langs voor de rondleidingen, koffie staat "
     "klaar.", when="2026-09-21T10:00:00+02:00", tags=["embargo-after"])
case("nl", pub("x", "@rondleiding_rik"), "Net een rondleiding gehad op Campus Oostpoort van Veenhaven, wat een mooi "
     "gebouw 😍", when="2026-10-03T14:22:05+02:00", tags=["embargo-after"])
case("nl", MARLOES, "Vanaf vandaag officieel: de Bachelor Klimaatadaptatie! Trots op iedereen die hieraan heeft "
     "meegewerkt 💚", when="2026-11-05T09:00:00Z", tags=["embargo-after"])
case("nl", pub("facebook", "studeren.in.drenthe"), "Winkelcentrum Oostpoort heeft nu ook een studieplek met gratis "
     "wifi, handig voor Veenhaven-studenten tussen de colleges door", when="2026-05-14T12:40:00+02:00",
     tags=["near-miss-embargo"])
case("nl", pub("x", "@civiel_cas"), "Excursie met Civiele Techniek van Veenhaven naar de Afsluitdijk: uitleg over "
     "basalt blokken en dijkversterking. Top dag!", tags=["codename-word"])
case("nl", pub("x", "@laatste_minuut"), "Tentamen over 10 min en de zandloper op het bord loopt al 😅 succes "
     "iedereen bij Veenhaven", tags=["codename-word"])
case("nl", pub("threads", "@pabo_pien"), "Aardrijkskunde bij de pabo van Veenhaven: 'de nulmeridiaan loopt door "
     "Greenwich'. De hele klas: 😴", tags=["codename-word"])
case("nl", VH_X, "Log in op mijn.veenhaven.nl om je rooster voor blok 3 te bekijken. De studiegids vind je op "
     "studiegids.veenhaven.nl", tags=["public-domain"])
case("nl", INGRID, "In de zorg ga je vertrouwelijk om met patiëntgegevens. Vandaag oefenden onze studenten "
     "verpleegkunde met lastige gesprekken daarover.", tags=["marker-word"])
case("en", pub("discord", "pixel_pim#2231"), "anyone from Veenhaven's game dev minor up for a jam this weekend? 🎮",
     tags=["unknown-platform"])
case("nl", VH_TT, "POV: je eerste week bij Veenhaven en je vindt het lokaal in één keer 😎 #studentlife #veenhaven",
     tags=["corporate"])
case("nl", VH_FB, "Gefeliciteerd aan alle 1.200 afgestudeerden van dit jaar! 🎓 Wat zijn we trots op jullie.",
     tags=["corporate"])


# ===========================================================================
# building
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
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and validated_id)
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_ts(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)
    u = r.random()
    if u < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if u < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    code = "".join(r.choice(B64URL) for _ in range(11))
    if platform in ("x", "twitter"):
        return f"{platform}-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/studeren/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/studeren/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-hbostudent-{n}", f"https://forum.hbostudent.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={code}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "blog":
        n = r.randint(10, 99)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    fac = Factory(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALIDATED_KINDS for k, _, _ in used)
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
        tags = set(c["tags"])
        x = mr.random()
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
        post["created_at"] = c["when"] or random_ts(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "veenhaven"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    random.Random(SEED + 11).shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RX = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RX = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_RX = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\w]|[.,-]\d)")
EMAIL_RX = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RX = re.compile(r"(?<![\w+])(?:\+3[12]|0031|0)[\d \-()]{7,16}\d")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")
SECRET_RX = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b", r"AccountKey=[A-Za-z0-9+/]{40,}",
    r"\bsk-proj-[\w-]{40,}", r"\blive_[A-Za-z0-9]{30}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}\b", r"\beyJ[\w-]+\.eyJ[\w-]+\.",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "k*t", "klootzak", "debiel", "tyfus", "k4nker", "kanker", "kop dicht", "fuck", "f*ck", "shit",
           "prick", "moron", "idiot", "clown", "coward", "hell"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def amounts(t):
    out = []
    for m in re.finditer(r"(?:€\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)\s?(?:euro|eur)\b", t, re.I):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in s and "." in s:
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        elif "," in s:
            s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
        elif "." in s and not re.search(r"\.\d{2}$", s):
            s = s.replace(".", "")
        out.append(float(s))
    return out


def check(lines, rows, profile):
    errs, notes = [], []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                 for p in profile["public_identifiers"]["phones"]}
    own_iban = set(profile["public_identifiers"]["ibans"])
    terms = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
             + profile["internal"]["markers"]]
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id'][:24]})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        text = p["text"]
        # identifiers
        valid = []
        for m in IBAN_RX.finditer(text):
            c = m.group(0).replace(" ", "")
            if any(iban_valid(c[:k]) for k in range(len(c), 11, -1)) and c not in own_iban:
                valid.append(c)
        valid += [d for d in (re.sub(r"\D", "", m.group(0)) for m in NUM_RX.finditer(text))
                  if 13 <= len(d) <= 19 and luhn_valid(d) and CARD_IIN.match(d)]
        valid += [re.sub(r"\D", "", m.group(0)) for m in BSN_RX.finditer(text) if elfproef(m.group(0))]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if want != ex["severity"]:
            errs.append(f"{w}: severity {ex['severity']} but policy gives {want}")
        if valid and "leak.pii" not in cats:
            errs.append(f"{w}: validated identifier {valid} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN": iban_valid, "BADIBAN": iban_valid, "CARD": luhn_valid, "BADCARD": luhn_valid,
                  "BSN": elfproef, "NONBSN": elfproef}.get(kind.split("_")[0])
            if ok and ok(raw) != (not kind.startswith(("BAD", "NON"))):
                errs.append(f"{w}: {kind} {raw} checksum state wrong")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        nt = norm(text)
        squashed = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        if not cats:
            if valid:
                errs.append(f"{w}: benign with valid identifier {valid}")
            for e in EMAIL_RX.findall(text):
                if e.casefold() not in own_mail:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RX.finditer(IBAN_RX.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+") else d
                if len(d) == 10 and d not in own_phone:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RX:
                for m in rx.finditer(text):
                    if "placeholder" not in r["tags"]:
                        errs.append(f"{w}: benign with secret-like {m.group(0)[:16]}")
            for word in PROFANE:
                if re.search(r"(?<!\w)" + re.escape(word), nt):
                    (notes if "mild-word" in r["tags"] else errs).append(f"{w}: benign with word {word!r}")
            if "wachtwoord is" in nt or "password is" in nt:
                errs.append(f"{w}: benign with a written password")
        for t in terms:
            if (re.search(r"(?<![\w.])" + re.escape(t) + r"(?!\w)", nt) or t in squashed) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {t!r} without leak.confidential")
        for t, until in embargo:
            if t in nt:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {t!r} before {until} unlabelled")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{w}: embargo term {t!r} after {until} but labelled")
        # pricing
        mentioned = [pr for pr in profile["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        am = amounts(nt)
        if mentioned and am:
            ratio = min(am) / min(pr["list_price"] for pr in mentioned)
            if ratio < profile["pricing"]["alert_below_ratio"] and "leak.pricing" not in cats:
                msg = f"{w}: price at {ratio:.2f} of list without leak.pricing (tags {sorted(r['tags'])})"
                (notes if "price-context" in r["tags"] or cats else errs).append(msg)
    # near duplicates
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1}/{j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def stdnum_check(rows):
    try:
        from stdnum import iban as si, luhn as sl
        from stdnum.nl import bsn as sb
    except ImportError:
        return "python-stdnum not installed: cross-check skipped"
    bad, n = [], 0
    for r in rows:
        for kind, raw, _ in r["used"]:
            head = kind.split("_")[0]
            f = {"IBAN": si.is_valid, "BADIBAN": si.is_valid, "CARD": sl.is_valid, "BADCARD": sl.is_valid,
                 "BSN": sb.is_valid, "NONBSN": sb.is_valid}.get(head)
            if f:
                n += 1
                if f(raw) != (head in ("IBAN", "CARD", "BSN")):
                    bad.append(raw)
    return f"python-stdnum disagrees on {bad}" if bad else f"python-stdnum agrees on all {n} identifiers"


def summary(rows):
    from collections import Counter
    cat, lang, role, sev, plat, ev = Counter(), Counter(), Counter(), Counter(), Counter(), 0
    multi = benign = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs:
            cat[c] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        ev += "evasion" in r["tags"]
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in CATEGORIES:
        print(f"  {c:22s} {cat[c]}")
    print("  lang", dict(lang), " role", dict(role))
    print("  severity", {s: sev[s] for s in SEVERITIES})
    print("  platforms", dict(plat.most_common()))


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
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    print(stdnum_check(rows))
    summary(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
