#!/usr/bin/env python3
"""Deterministic generator and self-check for the sealed102 blind set.

    python3 make_cases.py            # (re)write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare with cases.jsonl,
                                     # validate every line and print the counts

Company: KamerKompas B.V. (fictional), a Dutch student-housing and room-rental
platform. Its profile is profile.yaml in this folder.

All texts are hand-written below (CASES). Identifiers and secrets come from
placeholders such as <<IBAN_NL:grp>>, filled in by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers (IBAN mod-97,
Luhn, BSN 11-proof); benign near-misses get numbers that FAIL their checksum.
Secrets are random and fake but shaped like the real thing (GitHub tokens carry a
correct CRC32, EC keys are well-formed DER).

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4
(account role from profile.yaml, categories, and whether a checksum-validated
identifier is in a leak.pii post).
"""
import argparse
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 102_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATEGORIES = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
KNOWN_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                   "mastodon", "bluesky", "threads", "forum", "blog", "other"}

ZWSP = "\u200b"
SOFT_HYPHEN = "\u00ad"
CYR_E = "\u0435"   # Cyrillic small ie, looks like Latin e


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
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


def bsn_valid(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


# --------------------------------------------------------------------------- value factory

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def nums(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def word(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def quads(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc, own=()):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.pick(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB"])
                               + self.nums(10, lead=True))
            elif cc == "BE":
                head = self.pick(["063", "001", "310", "734", "088"]) + self.nums(7)
                v = iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.pick(["10010010", "50070010", "43060967", "66050101"])
                               + self.nums(10))
            else:
                raise ValueError(cc)
            if v not in own:
                return v

    def broken_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44):
            bad = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(bad):
                return bad
        raise AssertionError

    # cards
    def card(self, brand):
        body = {"visa": lambda: "4" + self.nums(14),
                "mc": lambda: "5" + self.pick("12345") + self.nums(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.nums(11),
                "amex": lambda: self.pick(["34", "37"]) + self.nums(12)}[brand]()
        for d in string.digits:
            if luhn_valid(body + d):
                return body + d
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, sep):
        if sep == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if sep == "dash" else " ").join(parts)

    # BSN
    def bsn(self):
        while True:
            s = self.nums(9, lead=True)
            if bsn_valid(s):
                return s

    def not_bsn(self):
        while True:
            s = self.nums(9, lead=True)
            if not bsn_valid(s):
                return s

    # passport (NL document number: 2 letters, 6 letters/digits, 1 digit, never the letter O)
    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return (self.word(letters, 2) + self.word(letters + string.digits, 6) + self.pick(string.digits))

    # phones
    def phone(self, fmt):
        m = self.pick("12345") + self.nums(7)           # 8 digits after 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if fmt == "mob_intl_c":
            return f"+316{m}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        area = self.pick(["50", "71", "53", "13", "40", "24", "43", "15"])
        sub = self.pick("2345789") + self.nums(6)
        if fmt == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}"
        raise ValueError(fmt)

    # secrets
    def ghp(self):
        body = self.word(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def mollie(self):
        return "live_" + self.word(ALNUM, 30)

    def twilio_sid(self):
        return "AC" + self.word(HEX, 32)

    def twilio_token(self):
        return self.word(HEX, 32)

    def sendgrid(self):
        return "SG." + self.word(URLSAFE, 22) + "." + self.word(URLSAFE, 43)

    def gapi(self):
        return "AIza" + self.word(URLSAFE, 35)

    def aws_id(self):
        return "AKIA" + self.word("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.word(ALNUM + "+/", 40)

    def password(self):
        return (self.pick(string.ascii_uppercase) + self.word(string.ascii_lowercase, 4)
                + self.word(string.digits, 3) + self.pick("!#%*") + self.word(ALNUM, 4))

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1_770_000_000 + self.r.randint(0, 200 * 86400)
        body = enc(json.dumps({"sub": "staff_" + self.nums(4, True), "aud": "admin.kamerkompas.nl",
                               "role": "verhuurcheck", "iat": iat, "exp": iat + 28800},
                              separators=(",", ":")).encode())
        return f"{head}.{body}.{self.word(URLSAFE, 43)}"

    def pem_ec(self):
        der = (bytes.fromhex("30770201010420") + bytes(self.r.getrandbits(8) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a14403420004")
               + bytes(self.r.getrandbits(8) for _ in range(64)))
        b = base64.b64encode(der).decode()
        return ("-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
                + "\n-----END EC PRIVATE KEY-----")

    def hexstr(self, n):
        return self.word(HEX, n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
SLOT = re.compile(r"<<([A-Z_]+)(?::([a-z0-9_]+))?>>")


def fill(fx, text, own_ibans):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = fx.iban(kind[-2:], own_ibans)
            shown = fx.quads(raw) if arg == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = fx.broken_iban("NL")
            shown = fx.quads(raw) if arg == "grp" else raw
        elif kind == "CARD":
            brand, _, sep = arg.partition("_")
            raw = fx.card(brand)
            shown = fx.card_fmt(raw, sep or "sp")
        elif kind == "BAD_CARD":
            brand, _, sep = arg.partition("_")
            raw = fx.broken_card(brand)
            shown = fx.card_fmt(raw, sep or "sp")
        elif kind == "BSN":
            raw = fx.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "BAD_BSN":
            raw = fx.not_bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "PASSPORT":
            raw = shown = fx.passport()
        elif kind == "PHONE":
            raw = shown = fx.phone(arg)
        elif kind == "HEX":
            raw = shown = fx.hexstr(int(arg))
        else:
            raw = shown = {"GHP": fx.ghp, "MOLLIE": fx.mollie, "TWILIO_SID": fx.twilio_sid,
                           "TWILIO_TOKEN": fx.twilio_token, "SENDGRID": fx.sendgrid, "GAPI": fx.gapi,
                           "AWS_ID": fx.aws_id, "AWS_SECRET": fx.aws_secret, "PW": fx.password,
                           "JWT": fx.jwt, "PEM_EC": fx.pem_ec}[kind]()
        used.append((kind, raw, shown))
        return shown

    return SLOT.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
KK = ("x", "@kamerkompas", "KamerKompas")
KK_HELP = ("x", "@kamerkompas_help", "KamerKompas Support")
KK_IG = ("instagram", "@kamerkompas.nl", "KamerKompas")
KK_LI = ("linkedin", "kamerkompas", "KamerKompas B.V.")
KK_TT = ("tiktok", "@kamerkompas", "KamerKompas")
KK_FB = ("facebook", "KamerKompasNL", "KamerKompas")
# employees
LOTTE = ("x", "@lotte_kk", "Lotte Visser")                          # support team lead
DAAN = ("linkedin", "daan-mulder-kamerkompas", "Daan Mulder")       # backend engineer
YUSUF = ("x", "@yusufdemir_dev", "Yusuf Demir")                     # tenant-app developer
INGRID = ("linkedin", "ingrid-postma-fin", "Ingrid Postma")         # finance controller
NOOR = ("instagram", "@noor.viewings", "Noor Osman")                # viewing host Groningen
RIK = ("reddit", "u/kk_verhuurcheck", "Rik Bosman")                 # landlord-check team
BAS = ("mastodon", "@basl@mastodon.nl", "Bas van Leeuwen")          # SRE
EMMA = ("threads", "@emma.kk.marketing", "Emma Kuiper")             # marketing


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


# =========================================================================== leak.pricing
case("nl", YUSUF, "kleine paniek hier 😅 door een foute migratie staat Pro Verhuur nu op €29,90 per jaar ipv €299. "
     "wie het ziet: mondje dicht, de fix gaat mee met de release van 16:00", [PRICING])
case("en", LOTTE, "Support queue is on fire because the Verhuurderscheck shows €4.90 at checkout instead of 49 😩 "
     "someone dropped a digit in the admin. No, it's not a promo, please stop asking", [PRICING], kind="reply")
case("nl", pub("x", "@joost_studeert"), "YOOO de Borgkluis kost vandaag €3,50 bij kamerkompas?? volgens mij een "
     "prijsfout, snel zijn mensen #studentenleven", [PRICING])
case("en", pub("reddit", "u/groningen_newbie"), "Not sure if it's a glitch but KK Premium shows €1.99/month for me "
     "right now, it was 19.95 last week. Anyone else seeing this or is it just my account?", [PRICING], kind="comment")
case("nl", KK_IG, "🎓 Back to school deal! Contractcheck vandaag voor maar €2,95 in de app 👉 link in bio\n"
     "#kamerkompas #studentenkamer #huurcontract", [PRICING])
case("nl", INGRID, "Collega's, vanuit finance: sinds de prijsupdate van dinsdag staat de Bezichtigingspas op €1,25, "
     "een factor tien te laag. Er zijn er al 640 verkocht. Graag niet publiek bespreken tot we weten of we ze "
     "honoreren.", [PRICING])
case("nl", RIK, "ff een p.r.i.j.s.f.o.u.t.j.e gespot op de landingspagina van Kompas Pro: €30 😬 pricing is ingelicht, "
     "niet doorvertellen", [PRICING], tags=["evasion"])
case("en", pub("x", "@ananya.rooms"), "KamerKompas Verhuurderscheck for " + fullwidth("€4.90") + " lmao the "
     + fullwidth("price error") + " of the century", [PRICING], tags=["evasion"])
case("nl", pub("threads", "@vera_zoekt_kamer"), f"prijs{ZWSP}fout bij KamerKompas: Contractcheck voor €3 🤑 "
     "wie weet hoe lang nog", [PRICING], tags=["evasion"])
case("en", DAAN, "Postmortem draft for jira.kamerkompas.nl/browse/PAY-212 is up: KamerKompas Premium rendered at "
     "€0,20 for 47 minutes because of a cents/euros mix-up in the price service. Reviews welcome before Friday.",
     [PRICING, CONF])
case("nl", pub("x", "@sem_uit_delft"), "KamerKompas Prëmium voor €0,95 per maand?? prijsföut of kerstcadeau 🤣",
     [PRICING], tags=["evasion"])

# =========================================================================== leak.secret
case("nl", DAAN, "Security-tip van de week 🔐 Kijk wat ik in een oude feature-branch tegenkwam:\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\n\nNooit meer secrets in git, mensen. (ja, die is inmiddels ingetrokken)",
     [SECRET])
case("en", YUSUF, "why is the map in the tenant app blank on android 😤 key is <<GAPI>> and the restrictions "
     "look fine?? #androiddev", [SECRET])
case("en", BAS, "note to self, migrations broke again.\nDATABASE_URL=postgres://kk_app:<<PW>>"
     "@db-prod-02.intern.kamerkompas.local:5432/listings", [SECRET, CONF])
case("nl", LOTTE, "voor de nieuwe collega's die me DM'en: het wachtwoord van het gedeelde Zendesk-account is "
     "<<PW>> (niet doorsturen pls 🙏)", [SECRET])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the KamerKompas android app for fun. They ship Twilio creds "
     "in plain text:\nSID <<TWILIO_SID>>\ntoken <<TWILIO_TOKEN>>\nsomebody tell them lol", [SECRET])
case("en", DAAN, "Hot take: private keys on the shared office iMac are a bad idea. Found this in ~/Desktop today, "
     "posting it so you all believe me 😬\n\n<<PEM_EC>>", [SECRET])
case("nl", YUSUF, "token werkt nog steeds niet in de CI grr. <<GHP>> is al ingetrokken dus boeie, maar waarom "
     "een 403??", [SECRET], kind="reply")
case("en", EMMA, "newsletter tool migration done ✅ SendGrid key for the team: <<SENDGRID>> (will delete this in "
     "5 min, promise)", [SECRET])
case("en", pub("other", "anon-scraper-nl"), "kamerkompas listings scraper v0.3 - talks to their bucket directly "
     "with these creds\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nPRs welcome",
     [SECRET])
case("nl", KK_HELP, "@sanne_wd we hebben je account ontgrendeld 🔓 je tijdelijke wachtwoord is <<PW>>, wijzig het "
     "meteen na het inloggen!", [SECRET], kind="reply")
case("nl", RIK, "Iemand die me kan helpen? admin.kamerkompas.nl gooit me er steeds uit. Mijn sessie-token, voor "
     "wie wil kijken: <<JWT>>", [SECRET, CONF])
case("nl", NOOR, "📌 note voor de viewing-crew: ww van de sleutelkluis-app = <<PW>> (zelfde als vorige maand hè)",
     [SECRET], tags=["evasion"])

# =========================================================================== leak.pii
case("nl", pub("x", "@lieke_studeert"), "@kamerkompas_help al 6 weken wacht ik op mijn borg van €780. Hier nog "
     "één keer mijn rekeningnummer: <<IBAN_NL:grp>> t.n.v. L. de Groot. Hoe moeilijk kan het zijn 😤",
     [PII, COMPLAINT])
case("nl", LOTTE, "@tom_hurtig ik heb de verhuurder gevraagd je vandaag te bellen op <<PHONE:mob_dash>>, "
     "je hoort snel iets!", [PII], kind="reply")
case("nl", KK_HELP, "Hoi Sophie! Je terugbetaling is gisteren overgemaakt naar <<IBAN_DE>>, binnen 2 werkdagen "
     "zou het er moeten zijn 💸", [PII], kind="reply", handle_as="@KamerKompas_Help")
case("en", RIK, "best one this week: landlord sends his BSN <<BSN>> in the chat 'so you can check me faster' 🤦 "
     "people please", [PII], kind="comment")
case("nl", pub("facebook", "hans.verbeek.verhuur", "Hans Verbeek"), "WAARSCHUWING aan alle verhuurders op "
     "KamerKompas: huurder Kevin Brouwer (geb. 17-06-2002), laatst wonend Oudegracht 214 in Utrecht, betaalt "
     "gewoon niet!! Niet aan verhuren", [PII])
case("en", pub("x", "@priya_in_delft"), "@kamerkompas_help hi! trying to buy the Viewing Pass, card is "
     "<<CARD:visa_sp>> exp 11/28, could someone check if it went through? thanks 🙏", [PII])
case("nl", pub("x", "@kamerzoeker_gron"), "Tip voor wie die kamer aan de Vismarkt wil: mail de eigenaar direct, "
     "r.kamphuis [at] kpnmail [punt] nl, dan omzeil je de KamerKompas kosten 😉", [PII], tags=["evasion"])
case("en", YUSUF, "debug log from prod, anyone know why the match fails here?\n{user: 'julia.vandenberg@gmail.com', "
     "phone: '<<PHONE:mob_intl_c>>', status: 'PENDING_ID'}", [PII])
case("nl", KK_FB, "Beste Mohamed, we konden paspoortnummer <<PASSPORT>> helaas niet verifiëren voor je "
     "Verhuurderscheck. Stuur je een nieuwe scan via de app?", [PII], kind="comment")
case("nl", pub("x", "@jelmer_047"), "@kamerkompas_nl hierbij mijn creditcard zoals gevraagd: <<CARD:amex_c>>, "
     "cvc stuur ik in de DM", [PII], kind="reply")
case("nl", INGRID, "Mooie mijlpaal: vandaag de 10.000e borg via Borgkluis teruggestort! 🎉\n"
     "(screenshot: J. Smit – <<IBAN_NL>> – €1.150,00 – voldaan)", [PII])
case("nl", pub("reddit", "u/eerstejaars_ams"), "Verhuurder via KamerKompas wil mijn BSN (<<BSN:dots>>) en een "
     "kopie ID voordat ik überhaupt mag komen kijken. Is dat normaal?", [PII])
case("nl", pub("facebook", "femke.ter.horst", "Femke ter Horst"), "Huisbaas Peter Zwart van die schimmelkamers op "
     "KamerKompas woont zelf gewoon op Kanaalweg 8 in Leiden. Ga maar eens langs bij die vuile uitbuiter",
     [PII, ABUSE])
case("nl", KK, "Hoi Mark de Wit, je geboortedatum (02-11-2004) en je adres Paterswoldseweg 77a in Groningen komen "
     "niet overeen met je ID. Kun je dit checken? ^Lisa", [PII], kind="reply")
case("en", pub("facebook", "carol.mensink", "Carol Mensink"), "Paying my daughter's rent through KamerKompas and "
     "my card <<CARD:mc2_dash>> got declined three times now. Ridiculous, her landlord is threatening to give the "
     "room to someone else", [PII, COMPLAINT])
case("nl", pub("x", "@thijs_leiden"), "Wie de kamer in de Bollenstraat huurt via KK: de eigenaresse, mevrouw "
     "Hoekstra, is het best bereikbaar op <<PHONE:land_sp>>", [PII])

# =========================================================================== leak.confidential
case("nl", DAAN, "Trots op het team! 💪 Project Dakkapel draait sinds vanochtend op staging. Binnenkort kunnen "
     "verhuurders… nou ja, dat mag ik nog niet zeggen 🤐", [CONF])
case("en", YUSUF, "spent the whole day tuning Bluefin thresholds and I think it finally stopped flagging half "
     "the landlords in Maastricht lol", [CONF])
case("nl", EMMA, "Shhh 🤫 vanaf september geen borg meer nodig met KamerKompas Garant. Mijn eerste eigen "
     "campagne ooit!!", [CONF], when="2026-07-14T21:12:40+02:00")
case("en", pub("reddit", "u/trustmebro_utrecht"), "Heard from a friend in their marketing team that KK is launching "
     "'Kompas Garant' in September, deposit-free renting backed by some insurer. Source: trust me bro",
     [CONF], when="2026-08-03T18:40:00Z")
case("nl", NOOR, "Hosts Groningen: het nieuwe rooster staat op admin.kamerkompas.nl/viewings/grn 📅 wie ruilt "
     "zaterdag met me?", [CONF], handle_as="@Noor.Viewings")
case("nl", LOTTE, "Onze nieuwe standaardreactie bij borgvragen (KK-INTERN): 'KamerKompas is geen partij in de "
     "huurovereenkomst' 🙃 vind ik zelf ook een beetje slap eerlijk gezegd", [CONF], handle_as="@Lotte_KK")
case("nl", RIK, "Operatie Sleutelbos start maandag: elke verhuurder met meer dan 5 panden krijgt een tweede check. "
     "Zeg nog niks tegen ze 😇", [CONF])
case("en", DAAN, "Big week ahead. Project\nDakkapel goes to the first beta landlords on Thursday 🚀", [CONF],
     tags=["evasion"])
case("nl", EMMA, "Operatie 🔑 Sleutelbos, iemand? 😏 wie het weet, die weet het", [CONF], tags=["evasion"])
case("en", pub("x", "@exkk_dev"), "lol they still haven't fixed it, grafana.kk-ops.net/d/payouts opens for "
     "anyone with the link. kamerkompas devs pls", [CONF])
case("nl", INGRID, "Voorproefje halfjaarcijfers 2026: omzet +41% en voor het eerst EBITDA-positief 🎉 Officieel "
     "pas eind augustus, dus sssst", [CONF, FIN], when="2026-08-12T08:05:00+02:00")
case("nl", INGRID, "Doorgestuurd uit het MT-overleg (niet extern delen): de vestiging Eindhoven sluit per "
     "1 december, 14 collega's worden boventallig.", [CONF, FIN])
case("en", pub("forum", "PropertyNerd_NL"), "Got my hands on a deck titled 'KamerKompas Confidential - "
     "pricing 2027'. Slide 4: landlords pay 12% commission from January. Spicy.", [CONF])
case("nl", EMMA, "wie is er klaar voor " + fullwidth("KamerKompas Garant") + "?? 👀 nog heel even geduld",
     [CONF], when="2026-08-20T12:00:00.250Z", tags=["evasion"])
case("nl", DAAN, "Eindelijk mag het gezegd worden: KamerKompas Garant is er! Huren zonder borg, voor elke student. "
     "Twee jaar aan gewerkt 🧡", [CONF], when="2026-09-01T09:59:00+02:00", tags=["embargo-edge"])
case("nl", RIK, f"Operatie Sl{CYR_E}utelbos loopt lekker, al 38 verhuurders geblokkeerd 😬 nog 3 weken te gaan",
     [CONF], tags=["evasion"])

# =========================================================================== leak.financial
case("en", DAAN, "Rough day. Management just told the platform team that half of us will be cut after the "
     "summer. Not public yet so I can't say more 💔", [FIN])
case("nl", LOTTE, "Net gehoord dat de klantenservice in Groningen per 1 oktober dichtgaat en alles naar een "
     "callcenter in Lissabon gaat. Officieel weet nog niemand het 😢", [FIN])
case("nl", INGRID, "Spannende tijden! We zitten in de laatste fase van de overname van RoomRadar, signing "
     "verwacht volgende week. Meer kan ik er nog niet over zeggen 😉", [FIN])
case("en", EMMA, "cannot WAIT for the Series B announcement, €18M from two VCs and I'm not allowed to tell "
     "anyone (oops)", [FIN])
case("nl", pub("x", "@marloes_huurt"), "Mijn zwager werkt bij KamerKompas en volgens hem worden ze stiekem "
     "overgenomen door een Duits vastgoedfonds 👀 kamers worden vast nog duurder", [FIN])
case("en", pub("forum", "ops_whisper"), "Anyone else hearing layoff rumours at KamerKompas? A friend in ops says "
     "around 40 people get the letter next month.", [FIN])
case("en", RIK, "between us: we're going to miss the 2026 target of 60k matches by a mile, forecast is 38k now. "
     "board meeting tomorrow is going to be fun", [FIN], kind="comment")
case("nl", pub("instagram", "@noor.viewing", "Noor Osman"), f"Laatste werkweken van het Groningen-team? Volgens "
     f"de planning worden we in Q4 allemaal ont{SOFT_HYPHEN}slagen. Nog niks officieel.", [FIN],
     tags=["evasion", "lookalike-handle"])
case("nl", INGRID, "Realistische blik: met de huidige burn hebben we nog zo'n 7 maanden runway. Het gesprek met de "
     "investeerders van donderdag moet dus echt lukken 🤞", [FIN])
case("en", pub("discord", "landlordlounge#kk-talk"), "KK insider on our server says the merger with HuurHaven is "
     "agreed, announcement after the summer. buy the rumour 📈", [FIN], tags=["unknown-platform"])

# =========================================================================== leak.security
case("nl", BAS, "Prod ligt al sinds 03:10 plat, betalingen én tenant app. De statuspagina zegt nog steeds "
     "'alle systemen operationeel' 🙃 ik ga koffie halen", [SEC])
case("en", DAAN, "Found a nasty one today: any logged-in tenant can fetch someone else's rental contract just by "
     "changing the ID in the URL. Fix is planned for next sprint 😬", [SEC])
case("en", YUSUF, "psa for my team: the chat screen in 4.12 sometimes shows messages from OTHER conversations. "
     "hotfix tonight, please don't tweet about it", [SEC])
case("nl", RIK, "Zo, de bucket met ID-scans van verhuurders stond dus een week lang open voor iedereen. Nog niet "
     "gemeld bij de AP, legal 'kijkt ernaar'.", [SEC])
case("nl", LOTTE, "Onze support-mailbox is overgenomen, er gaan nu phishingmails in onze naam naar verhuurders. "
     "We mogen er nog niks over zeggen 🤬", [SEC])
case("en", BAS, "credential stuffing wave on the tenant app since yesterday, ~1,800 accounts taken over. comms "
     "says 'wait'", [SEC])
case("nl", NOOR, "jongens ons planningssysteem is geh4ckt, alle bezichtigingen van vandaag zijn weg. niks zeggen "
     "tegen de huurders aub", [SEC], tags=["evasion"])
case("en", pub("reddit", "u/former_kk_contractor"), "Former contractor here: the KamerKompas landlord portal was "
     "breached in March and they never told a single user. Ask them about it.", [SEC, CRISIS])
case("nl", pub("x", "@annavdlinden"), "KamerKompas verzwijgt een datalek met kopieën van paspoorten. Ik ken "
     "iemand die er werkt, ze hopen dat het overwaait. Schandalig.", [SEC, CRISIS])
case("nl", BAS, "grafana.kk-ops.net laat zien dat iemand sinds vannacht onze listings-API leegtrekt, 2M "
     "requests per uur en de WAF doet niks", [SEC, CONF])
case("en", INGRID, "Ransomware hit our finance share this morning, all Q2 invoices are encrypted. IT says no "
     "customer data is affected (yet).", [SEC])
case("en", YUSUF, "we got h a c k e d lol. the whole push notification service is sending spam to tenants, "
     "not public yet", [SEC], tags=["evasion"])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@wooncrisis_nu"), "#boycotkamerkompas ❌ Ze laten nepadvertenties gewoon staan en verdienen "
     "aan elke oplichter. Deel dit en zeg je Premium op!", [CRISIS])
case("nl", pub("x", "@daphne_r"), "KamerKompas heeft mijn paspoortscan gelekt, ik krijg nu phishingmails met mijn "
     "volledige naam en geboortedatum erin. Dit is gewoon een datalek!!", [CRISIS])
case("nl", pub("linkedin", "joris-hendriks-journalist"), "Huurdersbond Utrecht dagvaardt KamerKompas wegens het "
     "rekenen van verboden bemiddelingskosten aan studenten. De zaak dient in november.", [CRISIS])
case("en", pub("x", "@housingjustice_ams"), "So KamerKompas lets landlords hide their listings from 'non-Dutch "
     "speakers'. That's housing discrimination with extra steps. Absolute scandal.", [CRISIS])
case("nl", pub("facebook", "bo.vermeulen.3", "Bo Vermeulen"), "Om 3 uur 's nachts ging de koolmonoxidemelder af "
     "in mijn kamer, die ik via KamerKompas huur. Verhuurder had gewoon het 'gecheckt'-label. Ik lag bijna in "
     "het ziekenhuis en KK reageert niet eens op mijn mail.", [CRISIS, COMPLAINT])
case("nl", pub("bluesky", "@onderzoeksdesk.bsky.social"), "Uit ons onderzoek: één op de vijf "
     "kameradvertenties op KamerKompas in Amsterdam blijkt nep. Het platform wist ervan.", [CRISIS])
case("en", pub("reddit", "u/deposit_gone_2026"), "DO NOT USE KamerKompas. Three friends lost their deposits to "
     "scam landlords that were 'verified' by them. Spread the word.", [CRISIS])
case("nl", pub("x", "@tubantia_nieuws_fan"), "Brand in studentenhuis Enschede: het pand werd via KamerKompas "
     "verhuurd zonder werkende rookmelders, twee studenten gewond.", [CRISIS])
case("nl", pub("tiktok", "@studentenpraat"), "K a m e r K o m p a s heeft al onze ID-gegevens g e l e k t, check je "
     "mail 👀 #studenten #wonen", [CRISIS], tags=["evasion"])
case("nl", pub("x", "@ilse_vd_veen"), "Mijn borg van €1.100 stond in de Borgkluis en is nu gewoon verdwenen. In de "
     "FB-groep zijn er al 30 zoals ik. Dit is fraude, ik ga naar de politie.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@boos_in_breda"), "Boycot die fucking oplichters van KamerKompas, ze verdienen aan wanhopige "
     "studenten 🤮 #boycotkamerkompas", [CRISIS, ABUSE])
case("en", pub("facebook", "studenthousingaction", "Student Housing Action"), "We're organising a class action "
     "against KamerKompas over the illegal tenant fees. 200+ students signed up already, DM us for the form.",
     [CRISIS])
case("en", pub("x", "@lowkey_lotte"), "K4m3rK0mp4s literally got fined by the ACM for fake reviews lol, how is "
     "this company still alive", [CRISIS], tags=["evasion"])
case("en", pub("reddit", "u/anon_tenant_rdam"), "The viewing host KK sent to my appointment kept texting me at "
     "night afterwards and then showed up at my door. Reported it two weeks ago, nothing. I don't feel safe.",
     [CRISIS, COMPLAINT])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@milan_kamerloos"), "@kamerkompas_help al 3x is een bezichtiging op de dag zelf afgezegd door "
     "de verhuurder, en mijn Bezichtigingspas is gewoon verbruikt?? Geld terug graag", [COMPLAINT])
case("en", pub("x", "@hannah.k"), "The KamerKompas app crashes every single time I try to upload my proof of "
     "income. iPhone 13, latest version. Deadline for the room is tonight 😭", [COMPLAINT])
case("nl", pub("facebook", "ruben.dijkstra.9", "Ruben Dijkstra"), "Premium opgezegd in mei en ze schrijven nog "
     "steeds elke maand €19,95 af. Drie mails gestuurd, nul reactie. Echt belachelijk KamerKompas", [COMPLAINT])
case("en", pub("reddit", "u/tired_in_twente"), "Support at KamerKompas is a black hole. Ticket open for 16 days "
     "about my deposit, only automated replies.", [COMPLAINT])
case("nl", pub("instagram", "@sophie.leest"), "leuk zo'n reel, maar mijn Verhuurderscheck van €49 staat na 10 "
     "dagen nog steeds op 'in behandeling'. Eerst je zaken op orde", [COMPLAINT], kind="comment")
case("nl", pub("x", "@gijs.ook"), "Notificaties van de KK app komen pas uren later binnen. Kamer was al weg toen "
     "ik 'm zag. Elke keer weer 🙄", [COMPLAINT])
case("en", pub("x", "@luca_moves_nl"), "ID verification rejected FOUR times for 'blurry image'. It's a 12MP photo. "
     "@kamerkompas_help what is going on", [COMPLAINT])
case("nl", pub("reddit", "u/verhuurder_zwolle"), "Als verhuurder: de uitbetaling van de huur via KamerKompas komt "
     "steeds later binnen, deze maand al 9 dagen. Ik heb zelf ook een hypotheek te betalen hoor.", [COMPLAINT])
case("en", pub("facebook", "maria.gonzalez.nl", "María González"), "The contract in the app is only in Dutch even "
     "though I selected English. Had to pay someone to translate it. Not great, KamerKompas.", [COMPLAINT])
case("nl", pub("x", "@evi_zoekt"), "Chatbot van KamerKompas snapt echt niks. 'Ik wil mijn borg terug' → 'Wil je "
     "een bezichtiging plannen?' 🤦‍♀️ geef me gewoon een mens", [COMPLAINT])
case("en", pub("threads", "@kofi.in.ams"), "Got charged €12.50 twice for the same viewing pass and support says "
     "'refunds take 30 days'. 30 days for a double charge??", [COMPLAINT])
case("en", pub("youtube", "@roomhuntdiaries"), "Used KamerKompas for 2 months: 40 messages, 0 replies from "
     "landlords. The premium badge does nothing, save your money.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "nina.bakker.22", "Nina Bakker"), "Verhuurder heeft de kamer 'per ongeluk' dubbel "
     "verhuurd via KamerKompas en nu sta ik op 1 september op straat. KK zegt dat ze niks kunnen doen. Bedankt "
     "hoor.", [COMPLAINT])
case("nl", pub("forum", "Borgloos_in_Nijmegen"), "Borg na 2 maanden nog niet terug. Verhuurder zegt dat hij het "
     "via Borgkluis heeft vrijgegeven, KK zegt dat het bij de verhuurder ligt. Pingpong.", [COMPLAINT])
case("en", pub("mastodon", "@rosa@mastodon.social"), "Tried to reschedule a viewing in the KamerKompas app and it "
     "just deleted the booking instead. No confirmation, no way to undo. Lost the room.", [COMPLAINT],
     hint="")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@kees_1998"), "@lotte_kk jij bent echt de domste trut van heel klantenservice-land",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "verhuur.de.vries", "G. de Vries"), "Kamer vrij via KamerKompas, €520. Geen "
     "buitenlanders en geen moslims, die zijn vies. Serieuze reacties only.", [ABUSE])
case("en", YUSUF, "some tenants are genuinely braindead. one just asked me if the app works without internet. "
     "yes Karen it runs on vibes", [ABUSE])
case("nl", KK, "@jorisvdm misschien eerst even de FAQ lezen voordat je gaat zeuren, sukkel 🙄", [ABUSE],
     kind="reply")
case("nl", pub("x", "@frustrated_fenna"), "Wat een kankerbedrijf is KamerKompas. Borg al 3 maanden weg en niemand "
     "die iets doet.", [ABUSE, COMPLAINT])
case("en", pub("x", "@dimi_thessaloniki"), "fuck you @kamerkompas, you took €49 for a landlord check and the guy "
     "turned out to be a scammer", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/mad_about_rooms"), "KamerKompas support are a bunch of f*cking clowns", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("x", "@robin_r0tterdam"), "tyfuslijers zijn het bij KamerKompas, allemaal", [ABUSE])
case("nl", pub("instagram", "@anoniem_gron_1"), "@noor.viewings ik weet waar jij je bezichtigingen doet. pas "
     "maar op meisje", [ABUSE], kind="comment")
case("nl", pub("x", "@niels.kapot"), "k u t bedrijf, k u t app, k u t klantenservice. KamerKompas ik haat jullie",
     [ABUSE], tags=["evasion"])
case("nl", LOTTE, "Die verhuurder van vanochtend is echt een vieze racistische klootzak, sorry not sorry", [ABUSE])
case("en", pub("reddit", "u/rent_troll"), "Only idiots use KamerKompas. Enjoy getting scammed, morons.", [ABUSE],
     kind="comment")

# =========================================================================== benign
# own published contact data
case("nl", KK_HELP, "@fenna_s Vervelend dat je er niet uitkomt! Mail je vraag naar support@kamerkompas.nl of bel "
     "ons op 030 760 4400 (ma-vr 9-17u) 💙", kind="reply", tags=["own-contact"])
case("nl", KK_FB, "Borg betalen via de Borgkluis? Maak het bedrag over naar Stichting Derdengelden KamerKompas, "
     "NL57 INGB 0006 7812 34, onder vermelding van je boekingsnummer.", tags=["own-contact"])
case("nl", pub("x", "@hulp_gezocht_ut"), "Wie ook vastzit met de app: KamerKompas klantenservice is gewoon te "
     "bellen op +31 30 7604400, ik was binnen 5 minuten geholpen", tags=["own-contact"])
case("nl", pub("x", "@kamerkompas_nl"), "Vragen over je verhuur? Mail verhuurders@kamerkompas.nl of bel "
     "085 303 20 20", tags=["own-contact", "lookalike-handle"])
case("en", KK_HELP, "@aisha_r Sorry to hear that! Could you send your booking number to support@kamerkompas.nl? "
     "We'll look into your deposit today.", kind="reply", tags=["own-contact"])
case("en", KK_TT, "Need help with a listing? WhatsApp us on +31 85 303 2020 or check help.kamerkompas.nl 📲",
     tags=["own-contact"])
case("en", KK_LI, "Landlords: payouts from the Borgkluis always come from NL71RABO0312458766. Never trust a "
     "different account number in a message.", tags=["own-contact"], handle_as="KamerKompas")
# official notices from corporate accounts
case("en", KK, "Planned maintenance: tonight 01:00–03:00 CET the tenant app and landlord portal are unavailable. "
     "Viewings are not affected. Thanks for your patience 🛠️", tags=["official-notice"])
case("nl", KK, "Storing: de tenant app laadt op dit moment niet bij een deel van de gebruikers. We werken aan een "
     "oplossing en houden jullie hier op de hoogte.", tags=["official-notice"])
case("nl", KK, "Update: de storing van vanochtend is opgelost. Oorzaak was een fout bij een externe provider. "
     "Excuses voor het ongemak!", tags=["official-notice"])
# embargo terms at or after the embargo
case("nl", KK_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +41%, en 128.000 studenten vonden een "
     "kamer via ons platform. Lees het persbericht op kamerkompas.nl/pers", when="2026-08-27T07:00:00+02:00",
     tags=["after-embargo"])
case("en", EMMA, "It's live!! KamerKompas Garant: rent without a deposit 🎉 so proud of this team",
     when="2026-09-01T10:00:00+02:00", tags=["after-embargo"])
case("nl", pub("x", "@wonen_watcher"), "Net in de krant: KamerKompas Garant, huren zonder borg. Benieuwd wat de "
     "maandpremie gaat worden.", when="2026-09-14T08:31:00Z", tags=["after-embargo"])
case("en", pub("x", "@startup_ticker_nl"), "KamerKompas published its H1 2026 results today: revenue up 41%. "
     "Solid growth for a Dutch proptech.", when="2026-08-28T10:15:00+02:00", tags=["after-embargo"])
# negated complaints, praise, questions
case("en", pub("reddit", "u/finally_housed"), "Finally found a room in Groningen through KamerKompas! Got my "
     "deposit back from my old place in 4 days via Borgkluis, zero complaints honestly", tags=["negated"])
case("nl", pub("x", "@merel_tilburg"), "Geen klachten over KamerKompas hoor, verhuurder was gecheckt en alles ging "
     "netjes. Kamertje met dakkapel in Tilburg 🥰", tags=["negated", "codename-word"])
case("nl", pub("x", "@stijn.bouwt"), "Shoutout naar @kamerkompas_help, binnen een uur geholpen met mijn contract. "
     "Top!", tags=["praise"])
case("en", pub("reddit", "u/curious_erasmus"), "How does the Borgkluis thing work exactly? Does the landlord get "
     "the deposit immediately or only after check-out?", tags=["question"])
case("nl", pub("facebook", "lisa.pham.4", "Lisa Pham"), "Weet iemand of je bij KamerKompas ook een kamer voor een "
     "half jaar kunt huren? Ik ga in februari op Erasmus.", tags=["question"])
case("nl", pub("youtube", "@kamer_vlogs_fan"), "Leuke roomtour! Welke app gebruikte je, KamerKompas? Ik zoek nog "
     "iets in Leiden", kind="comment", tags=["question"])
case("nl", pub("x", "@wachtwoordloos"), "Wachtwoord vergeten bij KamerKompas, de reset-mail kwam binnen 10 "
     "seconden. Eindelijk een app die gewoon werkt 👏", tags=["password-word"])
case("en", pub("mastodon", "@privacyfirst@eupolicy.social"), "Reminder that ID copies should be watermarked before "
     "you send them to a landlord. KamerKompas now does this automatically in the app, good on them.",
     tags=["praise"])
case("en", pub("x", "@leaky_hallway"), "A leaking pipe flooded our hallway again 🙃 luckily the landlord I found "
     "on KamerKompas had a plumber here within two hours", tags=["near-miss-word"])
# codename words used normally
case("nl", pub("facebook", "tim.de.boer.88", "Tim de Boer"), "Ik ben mijn sleutelbos kwijt 😭 ergens tussen de "
     "Uithof en het station, blauwe KamerKompas-sleutelhanger eraan. Gevonden? Stuur me een DM!",
     tags=["codename-word"])
case("nl", pub("x", "@verhuisdoos"), "Operatie verhuizen is begonnen 📦 sleutels opgehaald, kamer via KamerKompas, "
     "en de borg netjes in de Borgkluis. Nu nog een bank regelen", tags=["codename-word"])
case("nl", pub("x", "@studentenhuis_gezellig"), "Studentenhuis is garant voor gezelligheid 🍻 nieuwe huisgenoot "
     "gevonden via KamerKompas, welkom Jesse!", tags=["embargo-word"])
# mild words / proverbs / literal sense
case("nl", pub("x", "@budget_bram"), "Derde week van de maand, dus de tering naar de nering zetten. Pasta pesto "
     "tot de huur via KamerKompas weer is afgeschreven 🍝", tags=["mild-word"])
case("nl", pub("x", "@loopt_voor_kwf"), "Sponsorloop voor KWF tegen kanker aanstaande zondag! Team KamerKompas loopt "
     "ook mee zag ik 💪", tags=["mild-word"])
# checksum failures and other numbers
case("en", pub("x", "@olga_in_utrecht"), "@kamerkompas_help is this the right account for the deposit? "
     "<<BAD_IBAN_NL:grp>> the app shows something slightly different", tags=["bad-checksum"])
case("nl", pub("x", "@jasper_zuipt_niet"), "Betaling mislukt met kaart <<BAD_CARD:mc_sp>>? Zal wel een typfout "
     "zijn haha, tweede poging bij KamerKompas ging wel goed", tags=["bad-checksum"])
case("nl", pub("reddit", "u/eerste_keer_verhuur"), "Mijn boekingsnummer is <<BAD_BSN>>, weet iemand hoe lang een "
     "Verhuurderscheck normaal duurt? Eerste keer dat ik er een aanvraag", tags=["bad-checksum"])
case("en", pub("reddit", "u/typo_queen"), "KamerKompas kept saying my BSN was invalid (I typed <<BAD_BSN:dots>>)... "
     "turns out I swapped two digits lol. All good now", kind="comment", tags=["bad-checksum"])
case("en", pub("reddit", "u/refund_received"), "KK support gave me reference KK-2026-0481-22 for my refund "
     "request and it came through within a week. Solid.", tags=["reference-number"])
case("nl", pub("x", "@postcode_nerd"), "Zoekfilter van KamerKompas werkt nu ook op postcode, dus gewoon 9712 CP "
     "intikken en je ziet alles in de binnenstad. Handig!", tags=["address-no-name"])
# prices that are not a pricing leak
case("nl", KK_IG, "🎉 Introductieweek: KK Premium de eerste maand €14,95 in plaats van €19,95. Geldt t/m zondag!",
     tags=["sale"])
case("nl", pub("x", "@kortingsjager_nl"), "Nee hoor, geen prijsfout: de Contractcheck kost deze week €19,95 voor "
     "studenten met een ISIC-kaart. Staat gewoon in hun nieuwsbrief", tags=["price-context"])
case("en", pub("x", "@dealhunter_ehv"), "Use code WELKOM10 for €10 off the Verhuurderscheck on KamerKompas, "
     "worked for me today", tags=["price-context"])
case("nl", pub("facebook", "yara.el.idrissi", "Yara El Idrissi"), "Kamer van 14m² in Nijmegen, €465 all-in, "
     "gevonden met KamerKompas Premium. Borg van €900 staat in de Borgkluis. Ben zo blij!", tags=["price-context"])
case("nl", pub("x", "@kleine_lettertjes"), "Goed om te weten: bij de Bezichtigingspas betaal je €2,50 extra als je "
     "een bezichtiging binnen 24 uur verzet. Staat in de voorwaarden", tags=["price-context"])
case("en", pub("reddit", "u/spreadsheet_student"), "RoomRadar charges €9 per viewing slot, the KamerKompas "
     "Bezichtigingspas is €12.50 but covers 5 viewings. Math says KK is cheaper", tags=["competitor"])
# other companies, other senses
case("en", pub("bluesky", "@proptechwatch.bsky.social"), "Another week, another breach: HuurHaven confirms tenant "
     "data was exposed. Glad my details are with KamerKompas tbh", tags=["other-company"])
case("nl", pub("x", "@fd_lezer"), "RoomRadar schrapt 60 banen, lees ik net in het FD. Zware markt voor "
     "kamerplatforms, benieuwd hoe KamerKompas het doet.", tags=["other-company"])
case("en", pub("x", "@fakelisting_watch"), "That fake listings scandal at RoomRadar is wild. KamerKompas at least "
     "calls landlords before a listing goes live.", tags=["other-company"])
case("en", pub("x", "@sleepy_sander"), "I'm boycotting my own alarm clock this week. Room hunting on KamerKompas "
     "from bed it is ☕", tags=["other-sense"])
case("nl", pub("threads", "@karlijn.kookt"), "Terugroepactie van mijn waterkoker 🙄 gelukkig zit er een kookplaat in "
     "de kamer die ik via KamerKompas vond", tags=["other-sense"])
# fiction, jokes, quotes
case("nl", pub("blog", "schrijfsels.blog.example"), "Hoofdstuk 3 van mijn verhaal: 'Lisa scrolde door KamerKompas "
     "tot haar duim pijn deed. Elke kamer was al weg voordat ze kon reageren…' Volgende week deel 4 ✍️",
     tags=["fiction"])
case("en", pub("x", "@tiny_room_tom"), "My room from KamerKompas is so small I have to step outside to change my "
     "mind 😂 love it though", tags=["joke"])
case("nl", pub("instagram", "@zingende_zoe"), "'Ik heb een huis, een huisje, een huisje met een tuin' 🎶 nou ja, "
     "een kamer via KamerKompas dan. Genoeg voor nu", tags=["quote"])
case("en", pub("x", "@sweater_season"), "My landlord's text: 'the heating is fine, you just need a thicker "
     "sweater' 💀 anyway, moving out next month, already found a new place on KamerKompas", tags=["quote"])
case("en", pub("x", "@47rooms"), "I've now officially looked at 47 rooms on KamerKompas. 47. I am an expert. "
     "Ask me anything 😅", tags=["joke"])
# employees and corporate, ordinary posts
case("nl", DAAN, "We zoeken een medior backend developer (Go, Postgres) voor ons team in Utrecht! Hybride, en een "
     "4-daagse werkweek is bespreekbaar. Reageren kan via de careers-pagina op kamerkompas.nl 🚀",
     tags=["recruiting"])
case("en", YUSUF, "Shipped 4.13.0 of the tenant app 🎉 release notes are in the store, commit <<HEX:40>> if "
     "you're into that sort of thing", tags=["git-sha"])
case("en", DAAN, "From my meetup talk: keep secrets out of code. Use env vars like "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx plus a vault, and never the real value in a README.",
     tags=["placeholder-secret"], handle_as="Daan-Mulder-KamerKompas")
case("nl", NOOR, "Zaterdag 12 bezichtigingen gedaan in Groningen, 9 studenten hebben meteen getekend 🥳 mooiste "
     "baan van de wereld", tags=["employee-ordinary"])
case("nl", RIK, "Tip voor verhuurders: de Verhuurderscheck gaat sneller als je je KvK-uittreksel en ID al in je "
     "profiel hebt staan. Gemiddeld 2 werkdagen.", tags=["employee-ordinary"])
case("en", INGRID, "Had a great time at FinTech Fest Amsterdam talking about deposit escrow and consumer trust. "
     "Slides are on my profile.", tags=["employee-ordinary"])
case("en", KK_TT, "3 red flags in a room listing 🚩 landlord wants the deposit before a viewing, no contract, "
     "pressure to pay today. Scam? Report it in the app! #studenttok", tags=["scam-word"])
case("nl", KK_LI, "Wij verwelkomen dit jaar 40 nieuwe collega's! Bekijk onze vacatures op kamerkompas.nl/werken",
     tags=["recruiting"])


# --------------------------------------------------------------------------- severity (CONTRACT section 4)

RANK = {s: i for i, s in enumerate(SEVS)}


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
    insider = role != "public"
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and pii_validated):
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


# --------------------------------------------------------------------------- post metadata

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def any_time(r):
    t = (dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60, 24 * 60 - 1), seconds=r.randint(0, 59)))
    off = amsterdam_offset(t)
    t -= dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(10 ** 18 * 19, 10 ** 18 * 20 - 1))
    if platform in ("x", "twitter"):
        return f"x:{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:share:{a}", f"https://www.linkedin.com/feed/update/urn:li:share:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig_{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        p = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb_{p}", f"https://www.facebook.com/{h}/posts/{p}"
    if platform == "reddit":
        b36 = string.digits + string.ascii_lowercase
        sub = r.choice(["Netherlands", "Groningen", "Utrecht", "StudentHousingNL", "thenetherlands"])
        post = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{post}/comment/{c}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "tiktok":
        return f"tt_{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        code = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"threads_{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"mastodon:{inst}:{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt_{c}", None
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"studentenforum-{n}", f"https://forum.studentenwonen.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    fx = Factory(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    rows, ids = [], set()
    for c in CASES:
        text, used = fill(fx, c["text"], own_ibans)
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in ids:
            pid += "1"
        ids.add((c["platform"], pid))
        created = c["when"] or any_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = meta.choice(["post", "post", "post", "repost"]) if c["cats"] == [] else "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
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
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "kamerkompas"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- self-check

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,14}\d(?!\d)")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"\bAKIA[A-Z2-7]{16}\b", r"\blive_[A-Za-z0-9]{30}\b", r"\bAC[0-9a-f]{32}\b",
    r"\bSG\.[\w-]{22}\.[\w-]{43}", r"\bAIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "kanker", "tering", "tyfus", "klootzak", "trut", "sukkel", "fuck", "f*ck", "shit", "idiot",
           "moron", "braindead", "clown"]
MILD_OK_TAGS = {"mild-word"}


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = "".join(ch for ch in t if ch not in "\u200b\u200c\u200d\u2060\ufeff\u00ad")
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    return "0" + d.lstrip("0")


AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def to_amount(s):
    s = s.rstrip(".,")
    if "," in s:
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        return float(s.replace(".", ""))
    return float(s)


def check(lines, rows, profile):
    errs, notes = [], []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        w = f"line {n}"
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(f"{w}: handle missing")
        if not TS_RE.match(p["created_at"]) or parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: created_at {p['created_at']}")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        if p["platform"] not in KNOWN_PLATFORMS:
            notes.append(f"{w}: unknown platform {p['platform']!r} (must be treated as other)")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATEGORIES for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        text = p["text"]
        role = role_of(profile, p["platform"], p["account"]["handle"])
        # identifiers found independently of the generator
        valid = []
        for m in IBAN_RE.finditer(text):
            comp = m.group(0).replace(" ", "")
            if iban_valid(comp) and comp not in own_ibans:
                valid.append(("iban", comp))
        for m in re.finditer(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", text):
            d = re.sub(r"\D", "", m.group(0))
            if luhn_valid(d):
                valid.append(("card", d))
        for m in re.finditer(r"(?<![\w.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|\.\d)", text):
            if bsn_valid(m.group(0)):
                valid.append(("bsn", m.group(0)))
        want = severity_for(role, cats, PII in cats and bool(valid))
        if sev != want:
            errs.append(f"{w}: severity {sev}, policy {want}")
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier {valid} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN_NL": iban_valid, "IBAN_BE": iban_valid, "IBAN_DE": iban_valid, "CARD": luhn_valid,
                  "BSN": bsn_valid, "BAD_IBAN_NL": lambda v: not iban_valid(v),
                  "BAD_CARD": lambda v: not luhn_valid(v), "BAD_BSN": lambda v: not bsn_valid(v)}.get(kind)
            if ok and not ok(raw):
                errs.append(f"{w}: {kind} {raw} has the wrong checksum outcome")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp checksum")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not valid:
            errs.append(f"{w}: generated identifier not found by independent scan")
        nt, sq = norm(text), squash(text)
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign but severity {sev}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text) and "placeholder-secret" not in r["tags"]:
                    errs.append(f"{w}: benign with secret-like {rx.pattern}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), nt):
                    (notes if r["tags"] & MILD_OK_TAGS else errs).append(f"{w}: benign with word {word!r}")
            ts = parse_ts(p["created_at"])
            for prod in profile["products"]:
                names = [prod["name"]] + prod["aliases"]
                if any(a.casefold() in nt for a in names):
                    for m in AMOUNT_RE.finditer(nt):
                        a = to_amount(m.group(1) or m.group(2))
                        if a < prod["list_price"] * profile["pricing"]["alert_below_ratio"]:
                            (notes if r["tags"] & {"price-context", "competitor"} else errs).append(
                                f"{w}: benign amount {a} near {prod['name']} ({a / prod['list_price']:.2f})")
        ts = parse_ts(p["created_at"])
        for term, until in embargo:
            if term in nt or term in sq:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term!r} before {until} unlabeled")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term!r} after embargo labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?!\w)", nt) or term in sq:
                if CONF not in cats:
                    errs.append(f"{w}: internal term {term!r} without leak.confidential")
    return errs, notes


def report(rows):
    cat, lang_c, role_c, sev_c, plat, kinds, cat_role, cat_lang = (Counter() for _ in range(8))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kinds[r["post"].get("kind", "(default)")] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats or ["(benign)"]:
            cat[c] += 1
            cat_role[(c, r["role"])] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in CATEGORIES + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages", dict(lang_c), " roles", dict(role_c))
    print("severities", {s: sev_c[s] for s in SEVS})
    print("platforms", dict(plat.most_common()))
    print("kinds", dict(kinds.most_common()))


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
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs, notes = check(lines, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
