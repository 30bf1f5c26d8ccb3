#!/usr/bin/env python3
"""Sealed evaluation set 134 for postwatch: fictional marketplace "Maakbaar B.V.".

    python3 make_cases.py     # writes cases.jsonl next to this file and self-checks it

Deterministic (fixed seed). All texts are hand-written below; identifiers and secrets
are filled in from {{KIND:fmt}} placeholders by a seeded RNG. Positives get checksum-valid
IBANs / cards / BSNs, near-miss negatives get numbers that fail their checksum.
Severity is computed from CONTRACT section 4 (account role from profile.yaml), never typed.
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

SEED = 134_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def luhn_fill(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# --------------------------------------------------------------------------- generators

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

    def iban(self, cc):
        if cc == "NL":
            bank = self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB", "KNAB"])
            return iban_make("NL", bank + self.d(10, True))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50010517", "10020890", "76026000", "37050198"]) + self.d(10))
        if cc == "BE":
            f = self.r.choice(["310", "063", "735", "001"]) + self.d(7)
            return iban_make("BE", f + f"{(int(f) % 97) or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.d(14),
             "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
             "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
             "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        return luhn_fill(p)

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
            s = self.d(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.d(9)
            v = next(body + c for c in "0123456789" if ean_ok(body + c))
            if not luhn_ok(v) and not bsn_ok(v):
                return v

    def phone(self, f):
        m = self.r.choice("123456") + self.d(7)            # 8 digits after the 6
        area = self.r.choice(["10", "13", "15", "20", "23", "26", "35", "40", "50", "53", "58", "70", "73"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intlc": f"+316{m}",
            "mob_0031": f"0031-6-{m}",
            "mob_dots": f"06.{m[:4]}.{m[4:]}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def sendgrid(self):
        return "SG." + self.c(B64U, 22) + "." + self.c(B64U, 43)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        pl = {"sub": "staff_" + self.d(5, True), "iss": "beheer", "scope": "payouts:admin", "iat": iat,
              "exp": iat + 900}
        return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(pl) + "." + self.c(B64U, 43)

    def ssh_key(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.c(B64, 70) for _ in range(3)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice("BKMPSTW") + self.c(string.ascii_lowercase, 4) + self.d(3)
                + self.r.choice("!#*?") + self.c(ALNUM, 4))


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


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
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BADCARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN":
            raw = shown = g.ean()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIG":
            raw = shown = g.d(int(f), True)
        elif k == "HEX":
            raw = shown = g.c("0123456789abcdef", int(f))
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "AWS_ID":
            raw = shown = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            raw = shown = g.c(B64, 40)
        elif k == "MOLLIE":
            raw = shown = g.mollie()
        elif k == "STRIPE":
            raw = shown = "sk_live_" + g.c(ALNUM, 24)
        elif k == "RSTRIPE":
            raw = shown = "rk_live_" + g.c(ALNUM, 24)
        elif k == "GLPAT":
            raw = shown = g.glpat()
        elif k == "SENDGRID":
            raw = shown = g.sendgrid()
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.c(B64U, 33)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = f"https://hooks.slack.com/services/T{g.c(up, 8)}/B{g.c(up, 10)}/{g.c(ALNUM, 24)}"
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "SSH":
            raw = shown = g.ssh_key()
        elif k == "PW":
            raw = shown = g.pw()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
MB_X = ("x", "@maakbaar", "Maakbaar")
MB_HELP = ("x", "@maakbaar_help", "Maakbaar Klantenservice")
MB_IG = ("instagram", "@maakbaar.nl", "Maakbaar")
MB_LI = ("linkedin", "maakbaar", "Maakbaar B.V.")
MB_FB = ("facebook", "MaakbaarMarkt", "Maakbaar")
MB_TT = ("tiktok", "@maakbaar", "Maakbaar")
# employees
LOTTE = ("x", "@lotte_maakbaar", "Lotte Kuipers")                      # seller success
BRAM = ("x", "@bramvisser", "Bram Visser")                             # category & pricing
DAAN = ("linkedin", "daan-hoekstra-maakbaar", "Daan Hoekstra")         # payments engineer
ESRA = ("linkedin", "esra-yilmaz-fin", "Esra Yılmaz")                  # finance
NOOR = ("instagram", "@noor.maakt", "Noor de Graaf")                   # community manager
RUBEN = ("mastodon", "@rubenops@mastodon.nl", "Ruben Smit")            # SRE
JOOST = ("reddit", "u/joost_tns", None)                                # trust & safety


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    p, h, n = acct
    CASES.append(dict(lang=lang, platform=p, handle=handle_as or h, name=n, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", BRAM, "ehh wie heeft er aan de promotool gezeten?? Maakbaar Pro jaarabonnement staat nu op €17,90 in de "
     "checkout 😬 ik zie de upgrades binnenstromen, iemand van billing pls", [PRICING])
case("en", LOTTE, "ok not supposed to say this but the LP-2 label printer is €12.90 in the seller shop since this "
     "morning. somebody dropped a digit. grab one before finance wakes up lol", [PRICING])
case("nl", pub("reddit", "u/vilt_en_verf"), "PSA voor verkopers: de Fotobox Studio staat voor €8,90 in de "
     "verkopersshop. Vast een fout maar mijn bestelling ging er gewoon doorheen 🤷‍♀️", [PRICING], kind="post")
case("nl", pub("x", "@dealjager_anouk"), "p r i j s f o u t bij maakbaar!!! cadeaukaart 100 voor 10 euro in de app, "
     "snel zijn mensen 🏃‍♀️ #deal #maakbaar", [PRICING], tags=["evasion"])
case("en", pub("forum", "knitwit_NL"), "Anyone else get the Makersdag ticket for €6.50?\nCheckout said 6.50 instead "
     "of 65. Booked two, now waiting to see if they cancel them", [PRICING], kind="reply")
case("nl", NOOR, "Kleine tip van mij 🤭 het Startpakket kost vandaag maar €24,90 (sssst dat is écht niet de "
     "bedoeling, IT is ermee bezig) #makers #maakbaar", [PRICING])
case("nl", DAAN, "Bijzondere dag achter de rug. Door een fout in de valutaconversie stond het Pro-abonnement voor "
     "Belgische verkopers een uur lang op €1,79. Snel gefixt, maar de ruim 300 orders die toen binnenkwamen moeten "
     "we nog uitzoeken.", [PRICING])
case("en", pub("threads", "@crafty.kay"), "lmaooo \u041c\u0430akbaar has the L\u0420-2 label printer at €1,29 🤡 "
     "pricing glitch of the year, ordered 3", [PRICING], tags=["evasion"])
case("nl", pub("facebook", "ria.timmermans.3", "Ria Timmermans"), "Mijn schoonzus zegt dat de cadeaukaart van 100 "
     "euro in de Maakbaar app voor €19 te koop staat. Klopt dat? Lijkt me een foutje maar ik bestel er toch "
     "maar gauw een paar", [PRICING], kind="comment")
case("en", BRAM, "who pushed the spring promo config with 0.1 instead of 0.9 🙃 Fotobox Studio is live at €8.90 "
     "right now. rollback ETA 20 min, pls don't RT", [PRICING], handle_as="@BramVisser",
     when="2026-03-24T10:18:52.204Z")
case("nl", pub("tiktok", "@sophie.haakt"), "De prijsfóut op het Maakbaar Startpakket is nog steeds niet opgelost "
     "haha net nog eentje besteld 🎉 link in bio", [PRICING])
case("en", LOTTE, "@crochet_carla yes the Makersdag ticket price in the app is wrong, known bug on our side. we'll "
     "honour orders until 5pm but don't spread it around pls 🙏", [PRICING], kind="reply")
case("nl", pub("x", "@kralen_kim"), "Eerst zetten jullie de Fotobox Studio voor €9 online, ik bestel netjes, en nu "
     "wordt alles geannuleerd zonder uitleg en staat mijn geld nog vast. Belachelijke service @maakbaar_help",
     [PRICING, COMPLAINT])

# =========================================================================== leak.secret
case("en", RUBEN, "debugging the payout webhook, anyone spot what's wrong?\n\nMOLLIE_API_KEY={{MOLLIE}}\n"
     "PAYOUT_CALLBACK=https://beheer.maakbaar.nl/hooks/payout\n\n#python #help", [SECRET, CONF])
case("nl", DAAN, "Trots op het team! Eerste versie van de nieuwe uitbetalingsservice draait 🚀 Stukje config voor "
     "de nerds:\n\naws_access_key_id = {{AWS_ID}}\naws_secret_access_key = {{AWS_SECRET}}\nregion = eu-west-1",
     [SECRET])
case("en", pub("reddit", "u/jsbundle_diver"), "Found this in the Maakbaar seller dashboard's public JS bundle: "
     "{{STRIPE}}\nthat's a live secret key sitting in client code. someone should tell them", [SECRET],
     kind="comment")
case("nl", LOTTE, "Voor de nieuwe collega's bij verkopersondersteuning: het gedeelde supportaccount is "
     "gebruiker 'sellersupport', wachtwoord {{PW}} (niet aanpassen!!)", [SECRET])
case("en", RUBEN, "already rotated so whatever 🤷 but yes I pasted {{GHP}} into the wrong terminal during the "
     "demo", [SECRET])
case("en", pub("blog", "appsecnotes.example", "AppSec Notes"), "Teardown of the Maakbaar Android app (v5.2): the "
     "APK ships a hard-coded Maps key, {{GAPI}}, with no referrer restriction. I mailed their disclosure address "
     "three weeks ago and heard nothing back.", [SECRET])
case("nl", NOOR, "werkplek-tour 💻✨ nieuwe monitor, nieuwe plantjes... en oeps de webhook voor ons "
     "community-kanaal staat in beeld: {{SLACK_HOOK}} 🙈", [SECRET])
case("en", DAAN, "Can someone explain why our deploy still fails with this key? Pipeline log below\n\n{{SSH}}\n\n"
     "target: git.maakbaar.dev:2222", [SECRET, CONF])
case("nl", pub("forum", "ex_mk_dev"), "Iemand heeft dit op pastebin gezet, zou van Maakbaar zijn:\n"
     "postgres://payout_rw:{{PW}}@db-payouts.corp.maakbaar.lan:5432/payouts\nHeeft iemand ze al gemaild?",
     [SECRET, CONF])
case("en", BRAM, "why does the admin token expire so fast?? 15 min is nothing\n{{JWT}}", [SECRET])
case("nl", pub("x", "@breioma_truus"), "@maakbaar_help mijn wachtwoord is Breien1958!! en ik kom er al 3 dagen "
     "niet in, ik heb het 10x geprobeerd. Wat doen jullie fout??", [SECRET, COMPLAINT])
case("en", RUBEN, "note to self for staging mailer (prod one is the same, don't judge): {{SENDGRID}}", [SECRET])
case("nl", LOTTE, "@daan_hk werkt deze token nog voor de export? {{GLPAT}} ik krijg steeds 403", [SECRET],
     kind="reply", handle_as="@Lotte_Maakbaar")

# =========================================================================== leak.pii
case("nl", LOTTE, "@marieke_keramiek Ik heb je uitbetaling handmatig klaargezet naar {{IBAN_NL:grp}} (M. Jansen), "
     "zou morgen binnen moeten zijn 🙂", [PII], kind="reply")
case("nl", pub("facebook", "jolanda.bos.art", "Jolanda Bos"), "Koper wil niet via het platform betalen maar direct "
     "overmaken. Dus hier mijn rekening: {{IBAN_NL}} t.n.v. J. Bos. Mag dat eigenlijk wel bij Maakbaar? 🤔",
     [PII])
case("en", pub("x", "@tessmakesthings"), "my card {{CARD:visa_sp}} got charged TWICE by maakbaar for one "
     "order???? @maakbaar_help sort it out", [PII, COMPLAINT])
case("nl", NOOR, "En de winnaar van de #maakbaarmaakt giveaway is... Fenna de Wit, Lindengracht 112 in Haarlem! "
     "Je pakketje gaat morgen op de post 🎁💛", [PII])
case("en", DAAN, "KYC keeps rejecting this seller and I can't see why. BSN {{BSN:dots}}, born 02-11-1987, "
     "name matches the ID. Ideas, anyone from the Onfido side?", [PII])
case("nl", pub("reddit", "u/naaldenbreker"), "Deze verkoper reageert niet op berichten, hier z'n nummer voor wie "
     "hem ook zoekt: {{PHONE:mob_pairs}} (Henk, van die pottenbakkerij in Deventer)", [PII], kind="comment")
case("nl", pub("x", "@els_breit"), "Wie heeft er nog oude breinaalden over? Mail me: els.brouwer [at] ziggo [punt] "
     "nl of bel {{PHONE:mob_plain}} 🧶", [PII], tags=["evasion"])
case("en", LOTTE, "@buyer_jonas we refunded to {{IBAN_DE:grp}} (account holder Kühn), please allow 3-5 working "
     "days", [PII], kind="reply")
case("nl", ESRA, "Herkent iemand deze betaling? €2.340 binnen van {{IBAN_BE}} zonder omschrijving, afzender "
     "'L. Peeters'. Stuur me een DM als het van jouw shop is.", [PII])
case("en", pub("reddit", "u/firsttimeseller22"), "Maakbaar asked me to upload my passport for seller verification. "
     "Passport no. NXR8K2LP4, expires 2031. Is this normal??", [PII])
case("en", pub("x", "@hollyhobbyroom"), "why does maakbaar keep declining my amex {{CARD:amex_sp}}?? tried 4 "
     "times, other shops take it fine", [PII, COMPLAINT])
case("nl", MB_HELP, "@gerda_vilt Dank voor je geduld! We bellen je morgen tussen 10 en 12 terug op "
     "{{PHONE:mob_dash}} om de retour te regelen.", [PII], kind="reply")
case("nl", pub("x", "@petravanderzee"), "@maakbaar_help mijn BSN is {{BSN}} en toch zegt jullie verificatie "
     "'ongeldig'. Nu kan ik niks verkopen. Wat nu??", [PII, COMPLAINT], kind="reply")
case("nl", DAAN, "Sandbox lag eruit dus even getest met de kaart van een klant die ons belde: {{CARD:mc2_sp}}, "
     "exp 09/28. Werkte meteen 💪", [PII])
case("en", RUBEN, "grep'd the logs: both failing accounts are j.dekker84@outlook.com and saskia.m@kpnmail.nl, "
     "see https://beheer.maakbaar.nl/users?q=dekker if you have access", [PII, CONF])
case("nl", pub("instagram", "@houtwerk_by_yara"), "Deze 'klant' betaalt niet en blokkeert me: Yvonne Hendriks, "
     "Dorpsweg 41, 7451 AB Holten. {{PHONE:mob_intl}}. Niet bij haar leveren!!", [PII])

# =========================================================================== leak.confidential
case("en", DAAN, "Big milestone for Quillfeather this sprint: payouts in under ten minutes end to end. More soon 👀 "
     "#payments #engineering", [CONF])
case("nl", NOOR, "Psst... binnenkort kun je bij ons achteraf betalen met Maakbaar Pay Later 💸 niet "
     "doorvertellen hè!", [CONF], when="2026-09-12T19:41:07+02:00")
case("en", pub("reddit", "u/throwaway_mkbr"), "Someone in a seller Discord posted a PDF stamped \"Maakbaar internal "
     "only\", it's about a redesigned seller dashboard with AI listing text. Looks legit.", [CONF])
case("nl", RUBEN, "grafana.maakbaar.dev laat weer rare pieken zien, wie heeft er vanmiddag iets uitgerold? 🙄",
     [CONF])
case("nl", pub("x", "@sjaakie_knutselt"), "Mijn neef werkt bij maakbaar en zei dat Operatie\nKantklos over de "
     "verkoperskosten gaat 👀 benieuwd", [CONF], tags=["evasion"])
case("nl", DAAN, "Vanaf vandaag: Kopersgarantie Plus! Elke aankoop tot €500 extra beschermd 🛡️ Trots op wat we "
     "gebouwd hebben.", [CONF], when="2026-10-01T09:59:00+02:00")
case("en", ESRA, "Quote from this morning's all-hands deck (intern - niet delen, sorry 😅): \"new seller "
     "onboarding flow goes live in Q3, with instant ID checks\". Exciting times!", [CONF],
     when="2026-03-18T09:12:44+01:00")
case("en", pub("x", "@etsyrefugee"), "heard Project 🧶 Weefgetouw is an AI pricing assistant for sellers. "
     "if true that's huge", [CONF], tags=["evasion"])
case("nl", ESRA, "Halfjaarcijfers 2026 zijn af en ze zijn 🔥 GMV +38%, winstgevend voor het eerst. Morgen mag de "
     "wereld het weten!", [CONF, FIN], when="2026-08-19T22:30:00+02:00")
case("en", pub("x", "@jobboard_watch"), f"lol Quill{ZW}feather just leaked in a Maakbaar job ad, \"senior engineer, "
     f"payouts platform (Quill{ZW}feather)\"", [CONF], tags=["evasion"])
case("nl", JOOST, "Sneak peek: de moderatietool die we pas in het voorjaar uitrollen kan nep-'handgemaakt' "
     "herkennen aan de productfoto's. Eigenlijk mag ik nog niks laten zien maar ik ben te enthousiast", [CONF],
     kind="comment", when="2026-10-27T11:42:45+01:00")
case("en", pub("linkedin", "wouter-de-groot-fintech"), "Rumour in the payments scene: Maakbaar Pay Later launches "
     "this autumn. BNPL for handmade goods, hmm.", [CONF], when="2026-07-03T11:15:00Z")
case("nl", pub("instagram", "@noor.maakt.keramiek", "Noor | keramiek"), "Op de verkopersavond werd per ongeluk "
     "een slide over Project Weefgetouw getoond 😳 nieuwe commissiestructuur, meer mag ik niet zeggen",
     [CONF])

# =========================================================================== leak.financial
case("nl", ESRA, "Zware week. Volgende maand verdwijnen er bij ons ongeveer 60 plekken in support en marketing. De "
     "reorganisatie wordt pas in juni aangekondigd, dus ik zeg verder niks.", [FIN],
     when="2026-04-16T22:47:03+02:00")
case("en", BRAM, "can't say much but we're about to buy a certain knitting-pattern startup from Ghent 👀 "
     "signing next week", [FIN])
case("nl", DAAN, "Ons GMV ging in Q2 voor het eerst over de 40 miljoen. De cijfers komen pas in augustus naar "
     "buiten, maar ik moest het even kwijt 🙌", [FIN],
     when="2026-07-09T21:03:10+02:00")
case("en", pub("reddit", "u/utrecht_lurker"), "Friend at Maakbaar says they'll miss their revenue target by about "
     "25% and another round of layoffs is planned for September", [FIN], kind="comment",
     when="2026-06-23T08:40:55Z")
case("nl", LOTTE, f"Ze gaan het hele Gentse kantoor ont{SHY}slaan hoor, intern is het al rond 😢", [FIN],
     tags=["evasion"])
case("en", ESRA, "FY2026 forecast just got revised down to €31m revenue, board meets Thursday. Not public yet, "
     "so fingers crossed.", [FIN])
case("nl", pub("x", "@handelsblad_roddel"), "Gerucht: Ambachtplein neemt Maakbaar over, deal wordt eind deze "
     "maand getekend. Bron zit in de directie.", [FIN])
case("en", NOOR, "last day in the office before the big reorg 🥲 half the community team moves to Lisbon and "
     "nobody outside knows yet", [FIN])
case("nl", ESRA, "We ronden volgende week een Series C van €45 miljoen af 🎉 persbericht volgt pas in november, "
     "tot die tijd mondje dicht!", [FIN])
case("en", pub("forum", "stitchgossip"), "my gf works there: m4akb4ar is cutting 80 jobs in Utrecht next month, "
     "hasn't been announced", [FIN], tags=["evasion"])
case("en", RUBEN, "infra budget cut by 40% for H2 because revenue is way below plan. we're shutting the Frankfurt "
     "region. fun times (not public)", [FIN])

# =========================================================================== leak.security
case("nl", RUBEN, "Sinds vannacht kunnen verkopers elkaars uitbetalingsoverzicht zien als ze het ID in de URL "
     "aanpassen. Nog niet naar buiten gecommuniceerd, we zijn aan het patchen.", [SEC])
case("en", DAAN, "Long night. Someone brute-forced a chunk of seller accounts and changed their payout IBANs. "
     "Still counting how many, comms will go out later.", [SEC])
case("nl", LOTTE, "Als je vandaag niet kan inloggen: de database van de verkopersomgeving ligt eruit sinds 06:00 "
     "en we weten nog niet waarom. Je hebt het niet van mij 🤐", [SEC])
case("en", pub("reddit", "u/angry_buyer_ams"), "Maakbaar got hacked last month and they're keeping quiet about it. "
     "My name, address and order history are on a leak forum. Where's the notification??", [SEC, CRISIS])
case("nl", pub("x", "@quiltje"), "Waarom zegt Maakbaar NIKS over het lek? Mijn gegevens staan gewoon in een "
     "Telegram-groep 🤬 ze houden het stil #maakbaar #datalek", [SEC, CRISIS])
case("en", RUBEN, "PSA for colleagues: the image upload endpoint accepts SVGs with scripts in them, so stored XSS "
     "on every shop page. Not fixed yet, don't post about it 😅", [SEC])
case("nl", DAAN, "Uitbetalingen aan verkopers staan al twee dagen stil door een bug in de koppeling met de "
     "betaalprovider. Verkopers weten het nog niet, we hopen het vóór vrijdag op te lossen.", [SEC])
case("en", BRAM, f"we had a ran{ZW}somware scare on the finance laptops this morning, IT wiped 12 machines. keep "
     f"it quiet pls", [SEC], tags=["evasion"])
case("nl", NOOR, "Hele dag met IT gezeten: via een phishingmail had iemand toegang tot ons Instagram-beheer én de "
     "mailinglijst met 200k kopers 😰 er is nog niks naar buiten gebracht", [SEC])
case("en", pub("forum", "former_mkb_dev"), "Ex-Maakbaar dev here. The order API still returns buyers' home "
     "addresses to any logged-in seller, and management has known since March. They just sit on it.",
     [SEC, CRISIS], when="2026-05-16T15:50:25Z")
case("nl", RUBEN, "s t o r i n g bij de betaalprovider: checkout faalt voor zo'n 30% sinds 14:00 en er staat "
     "nog niks op de statuspagina", [SEC], tags=["evasion"])
case("en", LOTTE, "@seller_ann yeah we know, 2FA codes aren't going out since last night and security is looking "
     "at a possible SIM-swap thing. not official yet!", [SEC], kind="reply")

# =========================================================================== reputation.crisis
case("nl", pub("x", "@echtemakers"), "BOYCOT MAAKBAAR. Ze laten massaproductie uit fabrieken als 'handgemaakt' "
     "verkopen en pakken echte makers 15% af. #boycotmaakbaar", [CRISIS])
case("en", pub("reddit", "u/sellerunion_nl"), "Class action being prepared against Maakbaar by 300+ sellers over "
     "withheld payouts. The law firm's intake page is linked in the sidebar.", [CRISIS])
case("nl", pub("facebook", "anja.v.leeuwen", "Anja van Leeuwen"), "Geurkaars via Maakbaar gekocht en hij vloog "
     "gewoon in brand op de vensterbank 🔥 gordijn weg, en Maakbaar reageert niet eens op mijn mail.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@mum_of_three_nl"), "Wooden teething rings sold on Maakbaar have been recalled by the NVWA for "
     "lead in the paint. My daughter chewed on hers for weeks. How is this allowed?!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@marjon_haakt"), "Wtf mijn adres en telefoonnummer van mijn Maakbaar-account staan op een "
     "lijst die rondgaat in een Facebookgroep. Datalek?!", [CRISIS])
case("en", pub("tiktok", "@inkandclay"), "Maakbaar seller exposed for copying designs from indie illustrators, and "
     "Maakbaar refuses to take the listings down. this is a scandal, stitch this", [CRISIS])
case("nl", pub("x", "@kantklosclub"), "#b o y c o t maakbaar tot ze die commissieverhoging terugdraaien. Niks meer "
     "kopen, niks meer verkopen.", [CRISIS], tags=["evasion"])
case("en", pub("blog", "werkvloer-nieuws.example", "Werkvloer Nieuws"), "Employees at Maakbaar allege years of "
     "harassment by a senior manager; three complaints have been filed with the labour inspectorate.", [CRISIS])
case("nl", pub("x", "@ledlampje"), "Handgemaakte lamp via maakbaar gekocht, eerste keer aanzetten: schok en "
     "kortsluiting. Blijkt niet eens CE-gekeurd. Levensgevaarlijk!!", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@stoffenstudio"), fullwidth("BOYCOT") + " Maakbaar — ze verwijderen kritische "
     "reviews gewoon. Deel deze post!", [CRISIS], tags=["evasion"])
case("nl", pub("reddit", "u/purlpiraat"), "Datalek bij Maakbaar? Ik krijg sinds gisteren phishing-sms'jes waar "
     "mijn bestelnummer en naam in staan.", [CRISIS])
case("en", pub("bluesky", "@safekidsnl.bsky.social"), "Children's pyjamas sold on Maakbaar caught fire within "
     "seconds in a TV flammability test. Dozens of them are still listed.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@sieradenvansaar"), "Al 3 weken wachten op mijn uitbetaling van €412. Support stuurt alleen "
     "copy-paste antwoorden. @maakbaar_help serieus?", [COMPLAINT])
case("en", pub("x", "@potterpete"), "ordered a hand-thrown mug on maakbaar, arrived in pieces, and buyer "
     "protection says 'not eligible' because I reported it after 8 days. useless", [COMPLAINT])
case("nl", pub("facebook", "ilse.maakt", "Ilse"), "Commissie van 8 naar 12% zonder enige aankondiging. Hoe moeten "
     "kleine makers dit ophoesten? Ik denk er serieus over om te vertrekken bij Maakbaar.", [COMPLAINT])
case("nl", pub("x", "@lindavdberg_"), "Pakket is volgens track & trace bezorgd maar ik heb niks. Maakbaar zegt "
     "'neem contact op met de verkoper' en die reageert niet. Super frustrerend 😤", [COMPLAINT])
case("nl", pub("reddit", "u/zeepzaak"), "Zijn er meer verkopers wiens shop zomaar geblokkeerd is? Geen uitleg, "
     "geen reactie op mails, mijn hele inkomen ligt stil.", [COMPLAINT])
case("nl", pub("facebook", "h.koster.1962", "Hennie Koster"), "Klantenservice van Maakbaar is alleen bereikbaar "
     "via een chatbot die er niks van snapt. Ik wil gewoon een mens spreken!!", [COMPLAINT], kind="comment")
case("nl", pub("x", "@zilverdraad"), "de k-l-a-n-t-e-n-s-e-r-v-i-c-e van maakbaar reageert gewoon NIET. 9 dagen "
     "nu.", [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "@sewwithsam"), "Sold on Maakbaar for 6 months: listing fees ate my margin and search "
     "never showed my stuff. Wouldn't recommend it to new makers.", [COMPLAINT], kind="comment")
case("en", pub("bluesky", "@papercutpaula.bsky.social"), "maakbaar's new checkout forces buyers to make an "
     "account just to buy a €5 greeting card. lost two sales this week because of it", [COMPLAINT])
case("nl", pub("pinterest", "atelier_dotje"), "Sinds de update van de verkopersapp kan ik geen varianten "
     "(maten/kleuren) meer toevoegen bij Maakbaar. Al twee keer gemeld, niks gehoord.", [COMPLAINT], kind="comment")
case("en", pub("mastodon", "@wolwerk@mastodon.social"), "Maakbaar's payout fee went from €0.25 to €1 per transfer "
     "and they're calling it 'improving the service'. sure.", [COMPLAINT])
case("nl", pub("forum", "hobbyhoek_marion"), "Mijn retour is al op 2 mei aangekomen bij de verkoper, Maakbaar "
     "heeft de terugbetaling nog steeds niet vrijgegeven. Hoe lang nog?", [COMPLAINT], kind="reply",
     when="2026-06-04T18:37:36+02:00")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boze_bert"), "@maakbaar_help stelletje kutprutsers, leer eerst eens lezen", [ABUSE],
     kind="reply")
case("en", pub("x", "@xx_raginggrandma"), "maakbaar staff are a bunch of brainless clowns lmao", [ABUSE])
case("nl", pub("instagram", "@anoniem_1234"), "@noor.maakt.keramiek jouw 'kunst' op maakbaar is troep en jij bent "
     "een lelijke trut, stop er gewoon mee", [ABUSE], kind="comment")
case("en", pub("x", "@dan_the_woodman"), "f*cking maakbaar deleted my shop AGAIN without a reason, you absolute "
     "sh!tshow", [ABUSE, COMPLAINT], tags=["evasion"])
case("nl", LOTTE, "@klaagkoning ga lekker ergens anders huilen, sukkel", [ABUSE], kind="reply")
case("en", MB_X, "@troll_factory nobody asked, idiot", [ABUSE], kind="reply")
case("nl", pub("facebook", "gerrit.waakt", "Gerrit"), "Al die buitenlandse verkopers moeten van Maakbaar af, die "
     "horen hier gewoon niet. Weg ermee.", [ABUSE], kind="comment")
case("en", pub("reddit", "u/needlepointless"), "maakbaar support = m0r0ns, every single one of them", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("x", "@henkiepenkie"), "Tering Maakbaar met je tyfus-app, drie keer gecrasht tijdens het afrekenen",
     [ABUSE, COMPLAINT])
case("en", pub("youtube", "@rantcorner"), "whoever runs maakbaar's moderation is a pathetic loser, get a real job",
     [ABUSE], kind="comment")
case("nl", BRAM, "Die verkopers die janken over de commissie zijn gewoon zeurende amateurs. Zoek een echte baan "
     "🙄", [ABUSE])
case("en", pub("youtube", "@makermike"), "this guy reviewing maakbaar is a complete idiot, shut up already",
     [ABUSE], kind="comment")
case("nl", pub("x", "@geen_fan"), f"K{ZW}ut{ZW}bedrijf, Maakbaar. Echt waar.", [ABUSE], tags=["evasion"])

# =========================================================================== benign (hard negatives)
# -- prices
case("nl", MB_X, "Zomerdeal 🌞 Maakbaar Pro jaarabonnement nu €125 (30% korting) t/m zondag. Meer zichtbaarheid "
     "voor je shop! maakbaar.nl/pro", tags=["sale"])
case("nl", MB_IG, "Net begonnen als maker? Met code START50 krijg je €50 korting op het Startpakket 📦 "
     "#maakbaar #nieuweverkoper", tags=["sale"])
case("nl", pub("facebook", "marktplaats.mieke", "Mieke"), "Te koop: mijn LP-2 labelprinter, ruim een jaar "
     "gebruikt, doet het prima. €55 ophalen in Amersfoort.", tags=["second-hand"])
case("nl", pub("reddit", "u/beginnende_boetseerder"), "Even rekenen: Maakbaar vraagt 8% commissie + €0,35 per "
     "bestelling. Bij een oorbel van €14 hou ik dus ongeveer €12,53 over. Klopt dat?", kind="post", tags=["fee"])
case("en", LOTTE, "reminder for new sellers: Maakbaar Pro is €14.95 a month, or €179 if you pay for the whole "
     "year upfront. pick whatever suits your shop 🙂", tags=["monthly"])
case("nl", pub("forum", "fotograaf_fem"), "Bij Makerly kost zo'n opvouwbare lichtbak €29, de Fotobox Studio van "
     "Maakbaar is €89. Is die van Maakbaar dat verschil waard?", kind="reply", tags=["competitor"])
case("nl", MB_HELP, "@dennis_vb Dat klopt echt hoor: bij elke cadeaukaart van 100 krijg je deze week €10 extra "
     "tegoed. Geen fout dus, gewoon een leuke actie van ons 🎁", kind="reply", tags=["denied-error"])
case("nl", pub("instagram", "@wolwerk_wendy"), "Nieuwe sokken in de shop 🧦 handgebreid van merinowol, nu €12 per "
     "paar op Maakbaar! #handmade", tags=["seller-price"])
case("en", BRAM, "The LP-2 label printer at €129 is honestly the best thing I bought for my own little shop. "
     "Zero regrets.", tags=["list-price"])
# -- secrets look-alikes
case("nl", DAAN, "Tip voor developers: commit nooit je keys. Gebruik in voorbeelden een placeholder als "
     "AKIAXXXXXXXXXXXXXXXX en haal het echte werk uit een secrets manager. #security", tags=["placeholder"])
case("en", RUBEN, "deployed {{HEX:40}} to prod, fixes the typo on the help page that said 'sellres' 🙃",
     tags=["git-sha"])
case("nl", MB_HELP, "@anne_vilt Wachtwoord vergeten? Via maakbaar.nl/wachtwoord-vergeten stuur je jezelf een "
     "nieuwe link. Deel je wachtwoord nooit met ons of met anderen! 🔒", kind="reply", tags=["password-word"])
case("en", DAAN, "Friendly reminder to every shop builder out there: anything starting with sk_live_ does not "
     "belong in your frontend. Ever.", tags=["bare-prefix"])
# -- own contact data and failing numbers
case("nl", MB_HELP, "@thea_breit Vervelend! Bel ons gerust op 030 799 4200 of mail naar klantenservice@maakbaar.nl, "
     "dan zoeken we het samen uit.", kind="reply", tags=["own-contact"])
case("nl", MB_FB, "Betaal je je verkopersfactuur liever per overschrijving? Maak het bedrag over naar NL18 RABO "
     "0307 8945 12 t.n.v. Maakbaar B.V. en vermeld je factuurnummer.", tags=["own-contact"],
     handle_as="maakbaarmarkt")
case("nl", pub("x", "@opa_timmert"), "Heeft iemand 0800-6225 al geprobeerd? Dat is toch het gratis nummer van "
     "Maakbaar?", kind="reply", tags=["own-contact"])
case("en", MB_LI, "Press and partnership questions? Reach our team at pers@maakbaar.nl, sellers can always write "
     "to verkopers@maakbaar.nl.", tags=["own-contact"])
case("nl", pub("x", "@waakzame_wim"), "Let op, nep-mail namens Maakbaar! Ze vragen je 'verkoperskosten' over te "
     "maken naar {{BADIBAN_NL:grp}}. Niet doen, Maakbaar vraagt dat nooit.", tags=["bad-iban"])
case("nl", pub("x", "@sannes_sieraden"), "Bestelnummer {{NOTBSN:9}}, track & trace 3SMAAK{{DIG:9}}. Staat al 4 "
     "dagen op 'aangemeld', is dat normaal bij Maakbaar?", tags=["order-number"])
case("nl", pub("linkedin", "karel-smit-houtbewerking"), "Sinds vandaag officieel ingeschreven bij de KvK "
     "({{NOTBSN:8}}) en mijn eerste tafels staan op Maakbaar 🪵 ", tags=["kvk"])
case("en", pub("reddit", "u/giftcardq"), "Found an old Maakbaar voucher with code {{BADCARD:mc_sp}}, does anyone "
     "know if these expire?", kind="post", tags=["bad-card"])
case("nl", pub("forum", "zeepjes_zus"), "Moet ik voor mijn zeep een eigen barcode hebben om op Maakbaar te "
     "verkopen? Mijn leverancier gaf me {{EAN}} maar ik weet niet of dat nodig is.", tags=["ean"])
case("en", pub("x", "@grenzeloos_gebreid"), "Paying a German seller on Maakbaar, the invoice shows "
     "{{BADIBAN_DE}}, and my bank says the number is wrong. Typo on their side I guess?", tags=["bad-iban"])
# -- confidential look-alikes
case("nl", pub("instagram", "@weefjuf"), "Mijn nieuwe weefgetouw is binnen!! 🧶 Eerste project: een wandkleed "
     "voor de woonkamer. Straks in mijn Maakbaar-shop", tags=["codename-word"])
case("nl", pub("facebook", "kantklosgilde.zeeland", "Kantklosgilde Zeeland"), "Zaterdag open middag: kantklossen "
     "voor beginners. Neem je eigen kantklos mee als je die hebt, anders lenen wij er een.", tags=["codename-word"])
case("en", pub("instagram", "@inkwellinga"), "new quill feather pen + walnut ink = happiness ✒️ calligraphy "
     "cards are up on my Maakbaar shop tonight", tags=["codename-word"])
case("nl", MB_X, "Alles over verzenden, retouren en kopersbescherming lees je op help.maakbaar.nl/verzenden 📦",
     tags=["public-domain"])
case("nl", pub("x", "@bettie_borduurt"), "Voor het eerst Maakbaar Pay Later gebruikt voor mijn kerstinkopen, werkt "
     "prima en ik betaal in januari 👍", when="2026-11-14T20:02:00+01:00", tags=["after-embargo"])
case("nl", MB_X, "Vanaf vandaag: Kopersgarantie Plus 🛡️ Elke aankoop tot €500 extra beschermd, zonder "
     "meerprijs. Lees meer op maakbaar.nl/kopersgarantie", when="2026-10-01T10:00:00+02:00",
     tags=["embargo-moment"])
# -- financial look-alikes
case("nl", pub("linkedin", "jeroen-bakker-retailanalist"), "Maakbaar publiceert de halfjaarcijfers 2026: omzet "
     "+18%, voor het eerst winstgevend. Knap gedaan in een lastige markt.", when="2026-08-20T07:00:00+02:00",
     tags=["after-embargo", "published"])
case("en", pub("x", "@crafteconomics"), "Makerly is laying off 200 people after a rough year. Oof. Competition "
     "with Maakbaar and the big players is brutal.", tags=["other-company"])
case("nl", pub("bluesky", "@retailnieuws.bsky.social"), "Maakbaar neemt Breipatroon.be over, meldt het bedrijf "
     "vandaag in een persbericht. Bedrag niet bekendgemaakt.", tags=["published"])
case("en", ESRA, "Proud to share our published H1 2026 results with you all, link to the press release in the "
     "comments. Thank you to every seller who made this possible!", when="2026-09-02T12:00:00+02:00",
     tags=["after-embargo", "published"])
# -- security look-alikes
case("nl", MB_X, "Gepland onderhoud: zondag tussen 02:00 en 04:00 is de verkopersomgeving niet bereikbaar. "
     "Bestellingen plaatsen blijft gewoon mogelijk. 🛠️", tags=["official-notice"])
case("nl", MB_HELP, "Update: de storing bij uitbetalingen is opgelost, alle betalingen van vandaag worden "
     "vanavond alsnog verwerkt. Excuses voor het ongemak!", tags=["official-notice"])
case("nl", pub("x", "@vilt_veerle"), "Makerly heeft een datalek gehad 😬 blij dat mijn winkeltje bij Maakbaar "
     "zit.", tags=["other-company"])
case("en", pub("reddit", "u/ikeahacker_nl"), "Hacked an old IKEA shelf into a yarn display for my market stall, "
     "pics in the comments. Sells way better on Maakbaar since.", kind="post", tags=["word-sense"])
# -- crisis look-alikes
case("nl", pub("x", "@kattenmoeder"), "Mijn kat boycot haar nieuwe mand 🙄 heb hem nota bene via Maakbaar "
     "laten maken, prachtig ding", tags=["word-sense"])
case("en", pub("reddit", "u/forgetfulfiona"), "Can't recall the name of the seller who made those felt "
     "dinosaurs on Maakbaar, anyone?", kind="comment", tags=["word-sense"])
case("nl", pub("instagram", "@lichtjes_lies"), "Mijn sojakaarsen van Maakbaar branden zo mooi rustig 🕯️ geen "
     "roet, niks. Aanrader!", tags=["word-sense"])
case("en", pub("blog", "tinytales.example", "Tiny Tales"), "Chapter 4: the yarn shop burned down the night before "
     "the market, and Margit had nothing left but one skein and a Maakbaar account.", tags=["fiction"])
# -- complaint look-alikes
case("nl", pub("x", "@wilma_weeft"), "Nooit problemen gehad met uitbetalingen bij Maakbaar, altijd keurig op tijd "
     "👌", tags=["negated"])
case("nl", pub("facebook", "ans.haakt", "Ans"), "Niks te klagen over mijn bestelling, het vaasje is nog mooier dan "
     "op de foto 😍 Dank je Maakbaar!", tags=["negated"])
case("en", pub("x", "@firsttimebuyer_jo"), "How long does a payout usually take on Maakbaar? Just made my first "
     "sale 🥳", tags=["question"])
case("en", pub("threads", "@greta.glass"), "Shoutout to the Maakbaar support team, sorted my shipping label "
     "issue in 10 minutes!", tags=["praise"])
case("nl", pub("x", "@joke_naait"), "Mijn enige klacht over Maakbaar: ik geef er veel te veel geld uit 😅 "
     "#handmade", tags=["joke"])
# -- abuse look-alikes
case("en", pub("x", "@quiltqueen"), "\"Hell is other people\" said Sartre, who clearly never did a sewing class "
     "with 12 beginners 😂 (great class though, booked via Maakbaar)", tags=["quote", "mild-word"])
case("nl", pub("facebook", "riet.de.jong.7", "Riet de Jong"), "Mijn moeder heeft kanker gehad en breit nu "
     "mutsjes voor de kinderafdeling. Ze verkoopt ze via Maakbaar en alles gaat naar het ziekenhuis ❤️",
     tags=["literal"])
case("en", pub("tiktok", "@clay.by.cam"), "these maakbaar ceramics are straight fire 🔥 sick glaze work, killer "
     "price", tags=["slang"])
case("nl", pub("x", "@marloes_maakt"), "Ik ben zo'n sukkel, heb mijn eigen wolbestelling op Maakbaar twee keer "
     "geplaatst 🤦‍♀️", tags=["self"])
# -- general
case("nl", MB_IG, "Maker van de week: Jesse maakt speelgoed van restjes eikenhout 🪵 Bekijk zijn shop via de link "
     "in onze bio! #makervandeweek", tags=["corporate"])
case("en", MB_LI, "We're hiring! Join Maakbaar as a Seller Success Specialist in Utrecht. Questions? "
     "verkopers@maakbaar.nl", tags=["corporate", "own-contact"])
case("nl", NOOR, "Wat een dag op de Makersdag in de Jaarbeurs! 🎪 300 makers, duizenden bezoekers, en ik heb "
     "veel te veel oorbellen gekocht", tags=["employee-benign"], handle_as="@Noor.Maakt")
case("en", DAAN, "Our engineering blog post on how we rebuilt search for handmade products is live: "
     "maakbaar.nl/blog/zoeken. Great work by the whole team!", tags=["employee-benign", "published"])
case("nl", pub("twitter", "@oud_account_ria"), "Iemand een goede tip voor handgemaakte kerstcadeaus? Zit nu op "
     "Maakbaar te scrollen 🎄", tags=["question"],
     when="2026-12-02T20:14:09+01:00")
case("nl", pub("other", "marktforum_user88"), "Wie gaat er dit jaar naar de Makersdag van Maakbaar? Vorig jaar "
     "was super gezellig.", tags=["question"])

# --------------------------------------------------------------------------- build

def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
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


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355),
                                                                          minutes=r.randint(6 * 60, 23 * 60),
                                                                          seconds=r.randint(0, 59))
    off = dst_offset(base)
    u = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return u.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (u + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return u.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
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
            return f"t1_{c}", f"https://www.reddit.com/r/handwerken/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/handwerken/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"hwforum-{n}", f"https://forum.handwerkpraat.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    if platform == "pinterest":
        n = r.randint(10 ** 17, 10 ** 18)
        return f"pin-{n}", f"https://www.pinterest.com/pin/{n}/"
    n = r.randint(10 ** 8, 10 ** 9)
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
        created = c["when"] or rand_time(mr)
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
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "maakbaar"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, used=used, role=role,
                         lang=c["lang"], tags=c["tags"]))
    orr.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-check

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def self_check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        ts = parse_ts(p["created_at"])
        for k, raw, shown in r["used"]:
            assert shown in t
            if k.startswith("IBAN_"):
                assert iban_ok(raw), raw
            if k.startswith("BADIBAN"):
                assert not iban_ok(raw), raw
            if k == "CARD":
                assert luhn_ok(raw)
            if k == "BADCARD":
                assert not luhn_ok(raw)
            if k == "BSN":
                assert bsn_ok(raw)
            if k == "NOTBSN":
                assert not bsn_ok(raw)
        low = t.casefold()
        for term, until in emb:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term} before embargo without leak.confidential")
            if term in low and ts >= until and cats:
                errs.append(f"{p['id']}: embargo term after embargo but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", low) and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without leak.confidential")
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_ibans:
                    errs.append(f"{p['id']}: benign with valid IBAN")
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{p['id']}: benign with Luhn-valid number {d}")
            for d in re.findall(r"(?<![\w.])\d{8,9}(?![\w])", t):
                if bsn_ok(d) and d not in ("08006225",):
                    errs.append(f"{p['id']}: benign with 11-proof number {d}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{p['id']}: benign with e-mail {e}")
        if "reputation.spike" in cats:
            errs.append("spike on a post")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        print("\n".join(errs))
        return 1
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("categories:", dict(sorted(cat.items())))
    print("severity:", dict(sev), "roles:", dict(role), "lang:", dict(lang))
    print("multi:", sum(len(r["expect"]["categories"]) > 1 for r in rows),
          "evasion:", sum("evasion" in r["tags"] for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
