#!/usr/bin/env python3
"""Deterministic generator for the sealed53 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: the fictional Dutch home-care organisation in profile.yaml.
Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by a seeded RNG: positives get checksum-VALID IBANs, cards
and BSNs, hard negatives get numbers that FAIL their checksum. All secrets are
random and fake, shaped like real ones. Severity is computed from the contract's
policy (section 4), never typed by hand.
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

SEED = 53_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen
CYR_E = "\u0435"  # Cyrillic small ie, looks like Latin e
CYR_H = "\u041d"  # Cyrillic capital en, looks like Latin H


def fullwidth(s):
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


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


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            x = x - 9 if x > 9 else x
        tot += x
    return tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def b62(n):
    al = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = al[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# seeded placeholder values
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B64 = AN + "+/"
B64U = AN + "-_"
OWN_IBAN = "NL51RABO0317462095"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s, k=4):
        return " ".join(s[i:i + k] for i in range(0, len(s), k))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "TRIO"])
                               + self.dig(10))
                if v != OWN_IBAN:
                    return v
        if cc == "BE":
            head = self.r.choice(["063", "001", "750", "143"]) + self.dig(7, nz=False)
            return iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["28050100", "26550105", "44050199", "35060190"]) + self.dig(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 33, 45):
            cand = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        prefix = {"visa": "4" + self.dig(14, nz=False),
                  "mc": "5" + self.r.choice("12345") + self.dig(13, nz=False),
                  "amex": self.r.choice(["34", "37"]) + self.dig(12, nz=False)}[brand]
        for d in string.digits:
            if luhn_valid(prefix + d):
                return prefix + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, sep=" "):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return sep.join(parts)

    def bsn(self):
        while True:
            s = self.dig(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.pick(letters, 2) + self.pick(letters + string.digits, 6) + self.dig(1, nz=False)

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.dig(7, nz=False)
            return {"mob_dash": f"06-{d8}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
                    "mob_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_intl0": f"+31 (0)6 {d8}"}[fmt]
        area = self.r.choice(["570", "572", "571", "548", "529"])
        sub = self.r.choice("2345689") + self.dig(5, nz=False)
        return {"land_sp": f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
                "land_dash": f"0{area}-{sub}"}[fmt]

    # secrets ---------------------------------------------------------------
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def akia(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def password(self):
        word = self.r.choice(["Tulp", "Fiets", "Kaneel", "Merel", "Duin", "Lente"])
        return word + self.dig(2, nz=False) + self.r.choice("!#$%&*") + self.pick(AN, 4)

    def azure_key(self):
        return self.pick(B64, 86) + "=="

    def stripe(self):
        return "sk_live_" + self.pick(AN, 24)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def sendgrid(self):
        return f"SG.{self.pick(B64U, 22)}.{self.pick(B64U, 43)}"

    def jwt(self):
        hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = {"sub": "fam_" + self.dig(7), "iss": "familienet.heliantha.nl", "scope": "family:read",
                "iat": iat, "exp": iat + 86400}
        return f"{hdr}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(B64U, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 64 * 3 - 9 + 32)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def openai(self):
        return "sk-proj-" + self.pick(B64U, 74) + "T3BlbkFJ" + self.pick(B64U, 74)

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = f.iban(kind[-2:])
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = f.bad_iban(kind[-2:])
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind == "OWN_IBAN":
            raw = OWN_IBAN
            shown = f.grp(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, sep = fmt.partition("_")
            raw = f.card(brand) if kind == "CARD" else f.bad_card(brand)
            shown = raw if sep == "c" else f.card_fmt(raw, "-" if sep == "dash" else " ")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN":
            raw = shown = f.not_bsn(int(fmt or 9))
        elif kind == "PASSPORT":
            raw = shown = f.passport()
        elif kind == "PHONE":
            raw = shown = f.phone(fmt)
        else:
            raw = shown = {
                "GHP": f.ghp, "AKIA": f.akia, "AWS_SECRET": f.aws_secret, "PW": f.password,
                "AZURE_KEY": f.azure_key, "STRIPE": f.stripe, "SLACK_HOOK": f.slack_hook,
                "SENDGRID": f.sendgrid, "JWT": f.jwt, "PEM_EC": f.pem_ec, "OPENAI": f.openai,
                "GAPI": f.gapi, "HEX40": lambda: f.hexs(40),
            }[kind]()
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
H_X = ("x", "@heliantha_zorg", "Heliantha Thuiszorg")
H_KLANT = ("x", "@heliantha_klant", "Heliantha Klantcontact")
H_IG = ("instagram", "@helianthathuiszorg", "Heliantha Thuiszorg")
H_LI = ("linkedin", "heliantha-thuiszorg", "Heliantha Thuiszorg B.V.")
H_FB = ("facebook", "HelianthaThuiszorg", "Heliantha Thuiszorg")
# employees
INEKE = ("x", "@wijkzuster_ineke", "Ineke Mulder")                # district nurse, Olst
KEES = ("x", "@planner_kees", "Kees Brouwer")                     # visit planner
RUUD = ("linkedin", "ruud-hendriks-heliantha", "Ruud Hendriks")   # ICT infrastructure
MARLOES = ("linkedin", "marloes-vandijk-control", "Marloes van Dijk")  # controller
YAS = ("instagram", "@nurse.yasmina", "Yasmina Bouzid")           # nurse
ANOUK = ("facebook", "anouk.terhorst.52", "Anouk ter Horst")      # team lead
FEMKE = ("tiktok", "@zuster_femke", "Femke Terpstra")             # care worker
JOOST = ("bluesky", "@joostsmit.bsky.social", "Joost Smit")       # FamilieNet developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
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
case("nl", JOOST, "oké wie heeft vannacht de prijsimport gedraaid 😅 de MediMaatje staat in de webshop voor €44,90 "
     "ipv €449. ik zit erbovenop maar mag pas na 17:00 deployen", [PRICING])
case("en", pub("reddit", "u/zwolse_kleindochter"), "Heads up: the Heliantha webshop has the Zorgbed Comfort (normally "
     "around €1.895) listed at €189,50. Pretty sure someone dropped a digit. My gran actually needs one so... ordered 🤞",
     [PRICING])
case("nl", pub("facebook", "sylvia.hofman.9", "Sylvia Hofman"), "Meiden!! Valsensor Set van Heliantha voor €27,90 😱 "
     "normaal bijna 280 euro. Meteen voor mama besteld, benieuwd of ze m leveren haha", [PRICING])
case("nl", H_FB, "🌙 Nieuw: Heliantha Nachtwacht Thuis. Vier weken nachtelijke zorg aan huis, vanaf €115. Rustig "
     "slapen, voor u én uw familie 💛\nMeer info: heliantha.nl/nachtwacht", [PRICING], kind="post")
case("nl", ANOUK, "Collega's even ter info: als cliënten naar de Rollator Licht vragen, de webshop rekent sinds "
     "gisteren maar €24,90 af. Klopt natuurlijk niet, ICT is ermee bezig. Niet zelf gaan bestellen he 😉", [PRICING])
case("nl", pub("x", "@dealjager_dev"), "pr1jsf0ut bij @heliantha_zorg 👀 Heliantha alarmknop voor €18,90, normaal 189. "
     "snel zijn mensen #deal #pr1jsf0ut", [PRICING], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@mantelzorgmarja"), "Is dit nou een fout of een actie? Personenalarm Basis bij Heliantha voor €104 "
     "ipv €189. Staat nergens dat het korting is 🤔", [PRICING], tags=["ratio-edge"])
case("en", YAS, "ok who did this 😂 staff webshop shows the 10-urenpakket at €3,95 🙈 someone forgot two zeros. "
     "not ordering it, promise", [PRICING])
case("nl", pub("forum", "Wouter_Hellendoorn"), "[PRIJSFOUT] Heliantha Zorgbed Comfort – € 18,95\n\n"
     "Link: heliantha.nl/winkel/zorgbed-comfort\nVan €1.895 naar €18,95, lijkt me een kommafout. Order ging gewoon "
     "door, betaald met iDEAL. Wie durft?", [PRICING])
case("nl", pub("x", "@gerdien_b"), f"M{CYR_E}diMaatj{CYR_E} voor €45 bij H{CYR_E}liantha?? 🤯 snap er niks van maar ik "
     "bestel er gelijk 2", [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", pub("tiktok", "@noor.koopt"), "not me ordering the Heliantha fall sensor kit for €2.79 at 2am 💀 price "
     "glitch season #fyp", [PRICING])
case("en", RUUD, "Post-mortem note for my network (lightly sanitised): our nightly price sync from pim.heliantha.local "
     "died halfway, so the Valsensor Set sat at €27,90 on the public shop for about six hours. Lesson learned: sanity-"
     "check price ratios before you publish.", [PRICING, CONF])
case("nl", pub("mastodon", "@hanneke@mastodon.nl"), "Heliantha heeft een flinke prijsfout op de pagina van de "
     "Nachtwacht Thuis, je betaalt bijna niks voor vier weken nachtzorg. Iemand moet ze even bellen denk ik",
     [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", JOOST, "why does the familienet deploy keep failing with 403 😩\n\n"
     "git clone https://<<GHP>>@github.com/heliantha-zorg/familienet-web.git\n\nworks on my machine™", [SECRET])
case("nl", RUUD, "Afgelopen week bij een audit gevonden in een oud PowerShell-script:\n\n"
     "$AccessKey = \"<<AKIA>>\"\n$SecretKey = \"<<AWS_SECRET>>\"\n\nIs uiteraard al ingetrokken, maar het blijft "
     "schrikken. Scan je repo's, mensen! #cybersecurity #zorgIT", [SECRET])
case("nl", KEES, "voor de nieuwe invalkrachten: tablet-login van team Olst is planning.olst / <<PW>> , zet het ff in je "
     "notities 🙏", [SECRET])
case("en", JOOST, "anyone seen this before?\npsql: FATAL: sorry, too many clients already\nconn: "
     "postgresql://fn_sync:<<PW>>@db02.heliantha.local:5432/familienet\nalready bumped max_connections 🤷",
     [SECRET, CONF])
case("nl", YAS, "nieuwe telefoon, alles opnieuw instellen 🙄 ECD-app blijft om inlog vragen: yasmina.bouzid / <<PW>> "
     "waarom onthoudt hij het nou niet", [SECRET])
case("en", RUUD, "Can anyone explain why this connection string stopped working after our tenant migration?\n"
     "DefaultEndpointsProtocol=https;AccountName=hthbackupprod;AccountKey=<<AZURE_KEY>>;EndpointSuffix=core.windows.net",
     [SECRET])
case("en", pub("reddit", "u/bundle_sniffer"), "PSA for Heliantha (Dutch home care company): the FamilieNet web app "
     "ships a live Stripe key in main.js: <<STRIPE>>\nPlease rotate it. Emailed them last week, no answer.", [SECRET])
case("nl", pub("forum", "k3rnelpanic"), "Lol, Heliantha heeft hun Slack-webhook gewoon in een publieke repo staan: "
     "<<SLACK_HOOK>>\nIemand die daar werkt mag het even doorgeven.", [SECRET])
case("nl", JOOST, "mails van FamilieNet komen niet aan bij gmail-adressen. key is <<SENDGRID>> , is die misschien "
     "verlopen? iemand ervaring met SendGrid?", [SECRET])
case("nl", H_KLANT, "@m_vanleeuwen Sorry voor het ongemak! Via deze link kunt u direct inloggen op FamilieNet: "
     "https://familienet.heliantha.nl/sso?token=<<JWT>>", [SECRET], kind="reply")
case("en", RUUD, "openssl keeps saying 'unable to load private key' 🤔 pasted it below, what am I missing?\n\n<<PEM_EC>>",
     [SECRET])
case("nl", pub("x", "@ex_wijkteam"), "Ben 2 jaar weg bij Heliantha en het teamwachtwoord van het ECD is nog steeds "
     "<<PW>> 🤡 zo veilig als een open deur", [SECRET])
case("en", JOOST, "playing with LLM summaries of shift handovers (synthetic data only!!)\n"
     "export OPENAI_API_KEY=<<OPENAI>>\nresults are... mixed", [SECRET])
case("nl", KEES, "route-optimalisatie doet raar sinds vanochtend, Maps geeft REQUEST_DENIED op key <<GAPI>> 🤔 iemand?",
     [SECRET])
# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", INEKE, "Wie kan vanavond de avondronde bij mevr. Hoogeveen overnemen? Bergweg 27 in Olst, sleutel ligt "
     "bij de buren op nr 29. Ik lig met koorts op de bank 🤒", [PII])
case("nl", KEES, "Waarom vindt het ECD deze cliënt niet?? BSN <<BSN:dots>> staat gewoon op de verwijzing van de "
     "huisarts 😤", [PII])
case("en", YAS, "Happy 95th to my favourite client, Mr. Pieter Wolters! 🎂 Born 3 May 1931 and still beats me at "
     "klaverjassen every Tuesday 💛 #nurselife", [PII])
case("nl", ANOUK, "Voor het afscheidscadeau van Sandra (na 31 jaar!!) 🎁 graag €5 p.p. overmaken naar Marjan: "
     "<<IBAN_NL:grp>> t.n.v. M. Kuipers o.v.v. 'Sandra'", [PII])
case("nl", pub("facebook", "wilma.ten.brinke", "Wilma ten Brinke"), "Al 2 weken probeer ik iemand van Heliantha te "
     "spreken over de zorg van mijn moeder. Niemand belt terug. Mijn nummer is <<PHONE:mob_pairs>>, dan weten jullie "
     "het ook maar.", [PII, COMPLAINT])
case("nl", pub("x", "@r_oosterhof"), "@heliantha_klant jullie hebben het 10-urenpakket 2x afgeschreven van mijn "
     "creditcard <<CARD:mc>> !! wanneer krijg ik mijn geld terug??", [PII, COMPLAINT])
case("en", pub("reddit", "u/expat_in_deventer"), "Dad just moved here to be near us and Heliantha needs his BSN for the "
     "intake. It's <<BSN>>. Does anyone know if they also need a GP referral first?", [PII], kind="post")
case("nl", H_KLANT, "@b_degraaf Goed nieuws: de wijkverpleegkundige komt morgen om 9.30 uur bij uw moeder, mevr. De "
     "Graaf, Lindelaan 3 in Raalte. Fijne avond!", [PII], kind="reply")
case("nl", pub("facebook", "jos.vanaken.be", "Jos Van Aken"), "Mijn vader woont net over de grens en wacht al 3 "
     "maanden op terugbetaling van Heliantha. Rekening staat er gewoon op: <<IBAN_BE:grp>>. Hoe moeilijk kan het "
     "zijn", [PII, COMPLAINT])
case("nl", INEKE, "@zuster_femke stuur de wondfoto's van meneer Smit even naar mijn privé: ineke.mulder71 [at] "
     "hotmail [punt] com, het ECD doet weer moeilijk", [PII], kind="reply", tags=["evasion", "evasion:at-punt"])
case("en", pub("x", "@lena_kr"), "Paid Heliantha twice for my Oma's home help. Refund to <<IBAN_DE>> please, it's been "
     "6 weeks @heliantha_klant", [PII, COMPLAINT])
case("nl", KEES, "dochter van dhr. Jansen wil teruggebeld worden op <<PHONE:land_sp>> over de nieuwe bezoektijden, "
     "wie pakt het op?", [PII])
case("nl", pub("instagram", "@marjolein.vd.veen"), "Heliantha vraagt voor de 3e keer een kopie van het paspoort van "
     "mijn man voor de intake. Hier, zet het maar op internet: paspoortnr <<PASSPORT>> 🙄", [PII, COMPLAINT])
case("nl", H_IG, "🎉 100 jaar! Mevrouw Geertruida Bakker (geboren 12 februari 1926) woont nog altijd zelfstandig aan "
     "de Molenweg in Wijhe, met een beetje hulp van team Wijhe. Van harte gefeliciteerd! 🌻", [PII])
case("nl", pub("x", "@henkdebruin58"), "Heliantha reageert niet op mail dus bel mij maar: <<PHONE:mob_dots>>. Gaat "
     "over de zorg voor mijn vrouw, die al 4 dagen niemand heeft gezien", [PII, COMPLAINT],
     tags=["evasion", "evasion:dotted-phone"])
case("nl", pub("facebook", "petra.nijland.3", "Petra Nijland"), "Bij Heliantha hebben ze het verkeerde BSN van mijn "
     "moeder aan de gemeente doorgegeven. Het hare is <<BSN>>, niet dat andere nummer. Nu is haar Wmo-indicatie "
     "gewoon weg!!", [PII, COMPLAINT])
case("en", pub("instagram", "@tessa.ontheroad"), "Moving mum into her new flat this week 🏡 if the Heliantha nurse "
     "needs me: <<PHONE:mob_intl>>, new address is Kerkstraat 12B, 8131 BK Wijhe for Mrs. Annie Dijkstra 😊",
     [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", KEES, "Project Zwaluw gaat echt alle wijkroutes omgooien per januari. Ben benieuwd hoe ik dat aan de teams "
     "ga uitleggen 😬", [CONF])
case("en", RUUD, "Spent the weekend tuning queries on ecd-prod-02.heliantha.local, report load went from 14s to 900ms "
     "🚀 #dba #healthcareIT", [CONF])
case("nl", YAS, "Memo van vanochtend, er staat 'HELIANTHA INTERN' boven maar dit moet iedereen weten: we krijgen "
     "eindelijk nieuwe tablets 🙌", [CONF])
case("en", JOOST, "FamilieNet 3.0 beta is 🔥 video calls with the nurse built right in. can't wait for you all to see it",
     [CONF], when="2026-08-20T21:14:09+02:00")
case("nl", pub("facebook", "gea.lubbers", "Gea Lubbers"), "Mijn buurvrouw werkt bij Heliantha en zegt dat 'Operatie "
     "Klaproos' betekent dat de nachtzorg in Salland stopt en dat er mensen uit moeten. Weet iemand meer?",
     [CONF, FIN])
case("en", JOOST, "tonight's side quest: wiring the new scheduler into Project\nZwaluw without breaking the old API 🫠",
     [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", ANOUK, "Het nieuwe rooster staat klaar! https://rooster.heliantha.nl/team/olst-oost/week-37 ✌️ kijk even "
     "of je diensten kloppen", [CONF])
case("nl", INEKE, "Over een uurtje mag het eindelijk: de Heliantha Thuismonitor gaat live 🎉 wij werken er al maanden "
     "mee in Olst", [CONF], when="2026-09-15T08:59:00+02:00", tags=["embargo-edge"])
case("en", H_LI, "Heliantha Confidential – DRAFT: Strategy 2027 'Care closer to home'. Three pillars: digital first "
     "for families, fixed teams per neighbourhood, and nurse-led intake. Feedback to the board by Friday.", [CONF])
case("nl", INEKE, "Wij testen de Thuismonitor al bij 5 cliënten, echt een uitkomst. Eén meneer belde zelf om te "
     "zeggen dat hij beter slaapt 💛", [CONF], when="2026-06-11T19:40:22+02:00")
case("en", pub("reddit", "u/wijkzorg_watcher"), "Someone on LinkedIn briefly posted slides from Heliantha's 'Project "
     "Zwaluw'. Looks like they want to plan nurses purely by algorithm. Anyone else see them before they vanished?",
     [CONF], kind="post")
case("nl", FEMKE, "staat op intranet.heliantha.nl/nieuws dat we vanaf volgende maand in de app moeten klokken 🙄 "
     "#zorgleven", [CONF])
case("nl", MARLOES, fullwidth("HELIANTHA INTERN") + " bijlage bij de kwartaalrapportage: wie heeft de laatste versie? "
     "Ik zie er drie op de schijf staan 😅", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", pub("instagram", "@zuster_femke", "Femke"), "Volgende maand starten we met Polderlicht in ons team, "
     "spannend 🤞 #zorg #wijkteam", [CONF], tags=["unknown-account"])
case("nl", MARLOES, "Eerste schets jaarcijfers 2026: we eindigen rond de €1,2 mln positief, beter dan begroot 💪 "
     "(nog niet verder delen graag)", [CONF, FIN])
case("en", pub("x", "@sanne_mb"), "My sister works at Heliantha and says FamilieNet 3.0 will finally have video calls "
     "with the nurse. About time tbh", [CONF], when="2026-07-02T10:05:48Z")
case("nl", KEES, "Operatie 🌺 Klaproos: vanaf maart geen nachtdiensten meer vanuit Olst, heb ik dat goed begrepen? 🤔",
     [CONF, FIN], tags=["evasion", "evasion:emoji-split"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", MARLOES, "Forecast Q3 is binnen: de wijkverpleging komt €2,4 mln tekort en de RvB overweegt 60 fte te "
     "schrappen. Zware tijden. #zorgfinanciering", [FIN])
case("nl", ANOUK, "Lieve collega's, ik hoorde vandaag dat team Raalte per 1 januari wordt opgeheven. Nog niks tegen "
     "cliënten zeggen aub, het wordt pas in november bekendgemaakt 😢", [FIN])
case("en", pub("linkedin", "bart-ooms-zorgadvies", "Bart Ooms"), "Hearing from two sources that Heliantha Thuiszorg is "
     "about to be acquired by Zorggroep Oosterlicht. Deal could be signed before year end. #healthcare #MandA", [FIN])
case("nl", KEES, "Aanbesteding Wmo Deventer verloren 😞 volgend jaar 40% minder uren huishoudelijke hulp. Geen idee "
     "wat dat voor de planning betekent", [FIN])
case("en", MARLOES, "Insurer negotiations wrapped: our tariff goes down 6% for 2027, which puts us roughly €1.1M under "
     "budget. Time for some tough choices.", [FIN])
case("nl", YAS, "Gerucht klopt echt hoor: we gaan fuseren met ThuisPlus. Officieel pas in maart, sssst 🤫", [FIN])
case("nl", INEKE, f"Vandaag op het teamoverleg: er vallen ont{SHY}slagen bij de huishoudelijke hulp, vooral in "
     f"Raalte. Ben er kapot van", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("reddit", "u/dutchmum_82"), "Mum works at Heliantha; they told staff this week there will be layoffs in "
     "home help in Q1. Nothing public yet.", [FIN], kind="comment")
case("nl", pub("facebook", "richard.wessels.7", "Richard Wessels"), "Mijn schoonzus werkt bij Heliantha en haar "
     "salaris komt deze maand later 'wegens liquiditeit'. Gaan ze failliet of zo??", [FIN])
case("nl", H_LI, "HELIANTHA INTERN — concept kwartaalbericht: omzet Q3 €21,3 mln (-4%), kosten inhuur +18%, "
     "verwachte bezetting wijkteams 87%.", [CONF, FIN])
case("en", JOOST, "the 2027 plan went round internally: FamilieNet budget cut in half, app team folded into central IT. "
     "cool cool cool", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", INEKE, "ECD ligt er sinds 6 uur uit 😩 we rijden met uitgeprinte lijstjes van gisteren, geen idee welke "
     "medicatie gewijzigd is. Nog niks officieels gehoord", [SEC])
case("en", RUUD, "Long night. Ransomware hit our planning environment around 02:00, we're restoring from backups now. "
     "Please be patient with our nurses today 🙏", [SEC])
case("nl", FEMKE, "laptop van een collega gejat uit de auto, met alle dossiers van ons team erop 😳 melding bij de AP "
     "komt 'later' zeggen ze", [SEC])
case("en", JOOST, "fun find today: in FamilieNet you can open any client's care plan by changing the number in the URL. "
     "ticket's open, fix probably next sprint 🙃", [SEC])
case("nl", KEES, "planning-app is vannacht g3hackt, alle routes van vandaag zijn weg. wij bellen iedereen handmatig 📞",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", pub("x", "@concerned_kid_nl"), "Friend at Heliantha says their client records were breached weeks ago and "
     "management is keeping it quiet. Families haven't been told a thing.", [SEC, CRISIS])
case("nl", pub("facebook", "ilse.vos.33", "Ilse Vos"), "Heliantha verzwijgt een datalek! Mijn zus werkt daar en ze "
     "mogen er niks over zeggen. Schande.", [SEC, CRISIS])
case("nl", YAS, "alarmcentrale van de personenalarmen lag vannacht 3 uur plat 😳 niemand kon alarm slaan. Officieel "
     "mag ik hier niks over zeggen", [SEC])
case("en", MARLOES, "Phishing got through to finance this week, two mailboxes compromised. Auditors not informed yet, "
     "we're still 'assessing'.", [SEC])
case("nl", RUUD, "ecd-db01.heliantha.local is gecompromitteerd, we halen alles offline. Collega's: niet inloggen tot "
     "nader bericht", [SEC, CONF])
case("en", JOOST, f"ransom{ZW}ware on the file server 🫠 pls don't ask, not allowed to talk about it yet", [SEC],
     tags=["evasion", "evasion:zero-width"])
case("en", pub("reddit", "u/tante_truus"), "Heliantha had a ransomware attack in May, my aunt's file was in it and "
     "they're covering it up. Nobody got a letter.", [SEC, CRISIS], kind="comment")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("facebook", "martin.huisman.12", "Martin Huisman"), "Mijn vader lag 9 uur op de grond omdat Heliantha "
     "de ochtendronde gewoon 'vergeten' was. Hij had dood kunnen zijn. Dit is levensgevaarlijk!!", [CRISIS, COMPLAINT])
case("en", pub("x", "@zorgrechten"), "BOYCOTT @heliantha_zorg. They fired the nurse who reported unsafe staffing. "
     "Share this. #BoycottHeliantha", [CRISIS])
case("nl", pub("blog", "sallandnieuws.example"), "IGJ start onderzoek naar Heliantha Thuiszorg na overlijden van cliënt "
     "in Raalte. De inspectie wil weten of er te weinig personeel was ingeroosterd.", [CRISIS])
case("nl", pub("facebook", "yvonne.smeenk", "Yvonne Smeenk"), "Heliantha heeft mijn gegevens gelekt!! Mijn naam en "
     "diagnose stonden in een mail naar 200 mensen. DATALEK. Ik stap naar de AP.", [CRISIS])
case("en", pub("reddit", "u/worried_in_zwolle"), "Are Heliantha MediMaatje dispensers being recalled? Ours released a "
     "double dose of my mother's pills last night. Scary stuff.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@zorgwaakhond"), "Rechtszaak tegen Heliantha wegens zorgfraude: miljoenen gedeclareerd voor "
     "zorg die nooit geleverd is 🤬 #zorgfraude", [CRISIS])
case("en", pub("x", "@truth_in_care"), "H3liantha sc4ndal: nurses told to skip visits and still bill them. spread the "
     "word", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("instagram", "@fnv_jongeren_salland"), "#BoycotHeliantha tot ze hun zorgmedewerkers fatsoenlijk "
     "behandelen ✊", [CRISIS])
case("en", pub("facebook", "amy.lindqvist", "Amy Lindqvist"), "A Heliantha nurse gave my grandma someone else's "
     "medication yesterday. She's in hospital now. I am shaking.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@dochtervan"), "De Valsensor Set van Heliantha begon te smelten en te roken in de slaapkamer van "
     "mijn moeder 😱 gelukkig was ik er. Niet kopen!!", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "stichting-zorgclaim", "Stichting Zorgclaim"), "A class action is being prepared against "
     "Heliantha over the FamilieNet data leak. Affected families can register with our foundation.", [CRISIS])
case("nl", pub("x", "@kijker_2026"), f"schandaal bij {CYR_H}eliantha: cliënten urenlang in natte bedden laten liggen, "
     "zegt de uitzending van gisteren", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("facebook", "ria.kamphuis", "Ria Kamphuis"), "Voor de 3e keer deze week komt de zuster pas om 11 uur. "
     "Mijn moeder zit dan al drie uur in haar nachtjapon te wachten. Heliantha, wat is dit??", [COMPLAINT])
case("en", pub("x", "@dan_vdb"), "Every. Single. Visit. A different nurse. Mum has dementia and doesn't recognise anyone "
     "anymore. @heliantha_zorg please sort this out", [COMPLAINT])
case("nl", pub("x", "@annemiek_z"), "45 minuten in de wacht bij Heliantha klantcontact en toen werd ik gewoon "
     "afgebroken. Top service 👏👏", [COMPLAINT])
case("nl", pub("facebook", "gerrit.jan.klein", "Gerrit-Jan Klein"), "FamilieNet laat al een week geen rapportages "
     "zien. Ik woon 200 km verderop en weet nu niet hoe het met pa gaat. Heliantha reageert niet op mails.",
     [COMPLAINT])
case("en", pub("reddit", "u/hours_dont_add_up"), "Got an invoice from Heliantha for 12 hours of home help in October. "
     "She had 6. Support says 'the system is right'. Anyone else?", [COMPLAINT])
case("nl", pub("zorgkaart", "Cliënt uit Raalte"), "Bezoek werd 2x zonder bericht geannuleerd. Niemand belt, niemand "
     "biedt excuses aan. 1 ster voor Heliantha.", [COMPLAINT])
case("nl", pub("x", "@jwbuitenhuis"), "7 minuten. Zo lang duurde het bezoek vandaag. Steunkousen aan, deur uit. "
     "Heliantha noemt dat 'persoonlijke zorg' 🙄", [COMPLAINT])
case("en", pub("reddit", "u/alarmed_daughter"), "Heliantha's Personenalarm Basis keeps going off for no reason and "
     "the technician cancelled twice. Mum is scared of the thing now.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "bennie.oldenhof", "Bennie Oldenhof"), "Rollator Licht van Heliantha: wiel na 2 weken "
     "afgebroken. 3 mails gestuurd, geen antwoord. Jammer hoor.", [COMPLAINT])
case("nl", pub("instagram", "@kleindochter_lotte"), f"slechtste thuiszorg ooit 🤮 H{CYR_E}liantha, mijn oma zit "
     "sinds 8 uur te wachten en het is nu half 12", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@mikejansma"), "Signed my dad up for Nachtwacht Thuis. The night nurse didn't show on 2 of the 5 "
     "nights. €1150 for this?", [COMPLAINT])
case("nl", pub("zorgkaart", "Dochter van cliënt"), "App zegt dat de zuster om 8:12 geweest is. Ze is niet geweest. "
     "Mijn moeder heeft geen ontbijt gehad en niemand van Heliantha neemt op.", [COMPLAINT])
case("nl", pub("x", "@pietje_b"), "@heliantha_klant stelletje prutsers, alweer vergeten de steunkousen aan te trekken "
     "bij mijn vader. Kunnen jullie ook maar iets goed doen?", [COMPLAINT, ABUSE], kind="reply")
# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("facebook", "harm.dijkhuis", "Harm Dijkhuis"), "Die nieuwe zuster van Heliantha is echt een vieze "
     "trut, zeg ik gewoon.", [ABUSE])
case("en", pub("x", "@real_dutch_pride"), "Heliantha keeps sending foreigners in headscarves who can barely speak Dutch. "
     "Go back where you came from.", [ABUSE])
case("nl", INEKE, "@sjaakie1961 rot toch op met je gezeik, klootzak. Kom zelf maar eens om 7 uur 's ochtends wassen",
     [ABUSE], kind="reply")
case("en", H_KLANT, "@dave_nl Learn to read, idiot. It's literally on our website.", [ABUSE], kind="reply")
case("en", pub("x", "@angrybob77"), "f*cking Heliantha clowns, every last one of you", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("facebook", "anon.wraak", None), "Femke van Heliantha, ik weet waar je woont en ik kom je een keer "
     "opzoeken. Let maar op.", [ABUSE], kind="comment")
case("en", pub("reddit", "u/nopenopenope"), "sh1t company full of m0rons. thats it thats the post", [ABUSE],
     kind="comment", tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@tonnie_g"), "stelletje mongolen bij Heliantha, echt waar", [ABUSE])
case("en", JOOST, "people who call the helpdesk because they can't find the login button on FamilieNet are honestly "
     "morons 🙃", [ABUSE])
case("en", pub("x", "@grumpy_gert"), "Heliantha's CEO is a greedy pig. Hope she chokes on her bonus.", [ABUSE])
case("nl", pub("x", "@anoniempje"), fullwidth("kutbedrijf") + " Heliantha, " + fullwidth("tyfuslijers") + " allemaal",
     [ABUSE], tags=["evasion", "evasion:full-width"])

# ===========================================================================
# BENIGN (hard negatives mostly)
# ===========================================================================
case("nl", H_X, "We zoeken wijkverpleegkundigen (niveau 5) in Olst-Wijhe en Raalte! 32-36 uur, e-bike of leaseauto. "
     "Vragen? Mail werkenbij@heliantha.nl 💛 #vacature #wijkverpleging", tags=["own-contact"])
case("nl", H_FB, "Vragen over uw zorg of een bezoek? Bel gratis 0800-4353 (dag en nacht) of 088 430 2700 tijdens "
     "kantooruren.", tags=["own-contact", "own-phone-bsn-shape"])
case("nl", H_KLANT, "@ans_wolters Vervelend dat het niet lukt! Wilt u uw gegevens sturen naar "
     "klantcontact@heliantha.nl? Dan bellen we u morgen terug.", kind="reply", tags=["own-contact"])
case("nl", H_LI, "Dankzij donaties kon de Vriendenkring dit jaar 40 duofietsen kopen 🚲 Ook steunen? Maak over naar "
     "<<OWN_IBAN:grp>> t.n.v. Heliantha Thuiszorg o.v.v. Vriendenkring.", tags=["own-iban"])
case("nl", pub("x", "@bertha_k"), "Vannacht om 3 uur 0800-4353 gebeld omdat pa benauwd was, binnen 20 minuten stond "
     "er een zuster. Petje af Heliantha 🙏", tags=["own-contact", "praise"])
case("nl", H_FB, "⚠️ Let op: er gaan nepberichten rond waarin gevraagd wordt de eigen bijdrage over te maken naar "
     "<<BAD_IBAN_NL:grp>>. Dit is NIET ons rekeningnummer. Twijfelt u? Bel 088 430 2700.",
     tags=["bad-iban", "own-contact"])
case("en", pub("reddit", "u/new_to_salland"), "Quick question: the Heliantha letter says client number "
     "<<NOT_BSN:8>>. Is that what I give the municipality, or do they want something else?", tags=["not-bsn"])
case("nl", H_LI, "Voor verwijzers en huisartsen: onze AGB-code is <<NOT_BSN:8>> en ons KvK-nummer <<NOT_BSN:8>>. "
     "Aanmelden kan via heliantha.nl/verwijzers.", tags=["not-bsn"])
case("en", RUUD, "In our privacy training we use the classic test number 4111 1111 1111 1112 (deliberately invalid) "
     "to show how the DLP filter masks card numbers. Works nicely.", tags=["bad-card"])
case("nl", H_X, "Het BSN op onze voorbeeldbrief (123456789) is fictief. Vul op het intakeformulier altijd uw eigen "
     "BSN in.", tags=["not-bsn"])
case("nl", INEKE, "Prachtige ochtend in de Dorpsstraat, zon op de fiets en de eerste zwaluwen boven de weilanden "
     "🐦☀️ #wijkzuster", tags=["codename-word"])
case("nl", H_IG, "Personenalarm Basis deze maand voor €149 (normaal €189) 🔔 Veilig thuis, ook 's nachts. Link in bio.",
     tags=["sale"])
case("nl", H_FB, "Valsensor Set: nu €50 korting bij aanmelding via uw eigen wijkteam. Vraag ernaar bij uw "
     "wijkverpleegkundige!", tags=["sale", "price-context"])
case("nl", pub("facebook", "gonnie.wiggers", "Gonnie Wiggers"), "Wij betalen €19,95 per maand voor het abonnement op "
     "de Personenalarm Basis van Heliantha. Werkt prima en geeft rust.", tags=["price-context"])
case("nl", pub("facebook", "marktplaats.deventer.groep", None), "Te koop: Heliantha Rollator Licht, 1 jaar oud, "
     "weinig gebruikt. €60, ophalen in Deventer.", tags=["price-context", "second-hand"])
case("nl", pub("x", "@vraagje_jan"), "De MediMaatje van Heliantha kost €449, bij ThuisPlus krijg je een dispenser in "
     "bruikleen voor €99 per jaar. Waar zit dat verschil in?", tags=["price-context", "competitor"])
case("nl", H_KLANT, "@jbosch Geen prijsfout hoor 🙂 het Thuishulp 10-urenpakket kost in de actieweek echt €295. Vanaf "
     "maandag weer €395.", kind="reply", tags=["denied-error", "sale"])
case("nl", H_X, "Vandaag lanceren we de Heliantha Thuismonitor: slimme sensoren die uw wijkteam helpen op tijd te "
     "zijn. Lees meer op heliantha.nl/thuismonitor", when="2026-09-15T09:00:00+02:00", tags=["embargo-after"])
case("en", JOOST, "FamilieNet 3.0 is live!! 🎉 two years of work. go try the video calls", when="2026-09-15T07:00:00Z",
     tags=["embargo-after"])
case("en", YAS, "Two weeks with the Heliantha Thuismonitor in our area and honestly the families love it 💛",
     when="2026-10-03T18:22:51+02:00", tags=["embargo-after"])
case("en", pub("x", "@kees_expat"), "FamilieNet 3.0 video call with mum's nurse just now, surprisingly smooth 👍",
     when="2026-11-21T15:02:13.418Z", tags=["embargo-after", "praise"])
case("nl", pub("instagram", "@oma_en_ik"), "Klaprozen langs de dijk bij Olst 🌺 oma vertelt dat ze ze vroeger plukte "
     "voor op de keukentafel", tags=["codename-word"])
case("nl", H_LI, "Ons jaarverslag 2025 staat online: 1.840 medewerkers, 9.200 cliënten en een 8,4 voor "
     "cliënttevredenheid. Lees het op heliantha.nl/jaarverslag", tags=["published"])
case("nl", pub("x", "@privacynerd_nl"), "Weer een datalek bij een zorgverzekeraar, dit keer ZekerZorg. Wanneer leren "
     "ze het nou eens?", tags=["other-company"])
case("en", pub("linkedin", "lieke-verhoef", "Lieke Verhoef"), "Sad to read that ThuisPlus is cutting 120 jobs. Thinking "
     "of all the carers affected. Heliantha and others are hiring, if that helps anyone.",
     tags=["other-company"])
case("nl", H_FB, "Gepland onderhoud: FamilieNet is zondagnacht tussen 01:00 en 03:00 niet bereikbaar. Excuses voor het "
     "ongemak.", tags=["official-notice"])
case("nl", H_KLANT, "Storing: onze telefoonlijn is op dit moment slecht bereikbaar. Bij spoed belt u 112, anders graag "
     "via klantcontact@heliantha.nl. We houden u op de hoogte.", tags=["official-notice", "own-contact"])
case("en", pub("facebook", "helen.groot", "Helen Groot"), "I can't recall the name of the nurse who came on Sunday but "
     "she was so kind to my dad. Thank you Heliantha ❤️", tags=["recall-other-sense", "praise"])
case("nl", pub("x", "@kleinzoon_tim"), "Oma boycot sinds vanochtend de griesmeelpudding, maar de zuster van Heliantha "
     "kreeg haar toch aan de vla 😂", tags=["boycott-other-sense", "joke"])
case("nl", pub("facebook", "dini.rozendaal", "Dini Rozendaal"), "Ik lees hier veel gemopper, maar wij hebben geen enkele "
     "klacht over Heliantha. Vaste zusters, altijd op tijd.", tags=["negated-complaint"])
case("nl", H_LI, "Palliatieve zorg bij kanker vraagt veel van families. Onze wijkverpleegkundigen ondersteunen ook de "
     "mantelzorgers. Lees het verhaal van team Raalte op onze site.", tags=["literal-kanker"])
case("en", YAS, "“Let us never consider ourselves finished nurses.” – Florence Nightingale 🕯️ Happy International "
     "Nurses Day! #12mei", tags=["quote"])
case("nl", pub("blog", "pennevrucht.example"), "Kort verhaal: De laatste ronde.\n\nZuster Marit fietst door de regen "
     "naar haar laatste cliënt. In haar tas: een thermoskan, een wondpakket en een gestolen koekje van de vorige "
     "meneer. 'Je bent laat,' zegt mevrouw. 'Ik ben altijd laat,' zegt Marit, 'maar ik kom wel.'", tags=["fiction"])
case("nl", FEMKE, "POV: je hebt 14 cliënten, 1 fiets en een lekke band 🚲💨 #wijkzorg #thuiszorgleven",
     tags=["joke", "lek-other-sense"])
case("en", pub("x", "@opa_zoeker"), "Does Heliantha also do wijkverpleging in Apeldoorn or just Salland? Asking for my "
     "grandad.", tags=["question"])
case("en", pub("instagram", "@familie.ter.beek"), "Shoutout to the Heliantha team in Raalte. Patient, funny and always "
     "on time. Damn, we're lucky.", tags=["praise", "mild-word"])
case("en", RUUD, "Reminder for devs: in docs and examples use placeholders like AKIAXXXXXXXXXXXXXXXX, never real keys. "
     "Our CI now blocks the build when it finds something that looks like one.", tags=["placeholder-secret"])
case("en", JOOST, "added a pre-commit hook that rejects anything starting with ghp_… or sk_live_… should've done that "
     "years ago", tags=["placeholder-secret"])
case("en", JOOST, "fixed the DST bug in the open-source visit-planner lib, commit <<HEX40>> if you want to cherry-pick "
     "it", tags=["git-sha"])
case("nl", H_X, "Tip: deel nooit je wachtwoord van FamilieNet, ook niet met ons. Wij vragen er nooit om 🔐",
     tags=["password-word"])
case("nl", INEKE, "Lekke band bij km 34 van de ronde 🙃 gelukkig had de buurman van mijn laatste adres een plaksetje",
     tags=["lek-other-sense"])
case("nl", pub("instagram", "@annet_uitjes"), "Met oma naar De Nachtwacht in het Rijksmuseum 🖼️ rolstoel gratis te "
     "leen en entree €22,50. Echt een aanrader!", tags=["product-word"])
case("nl", pub("x", "@leo_bakker"), "Valsensor Set van Heliantha is onderweg, bestelnummer HT-2026-0488213. Ben "
     "benieuwd!", tags=["order-number"])
case("nl", pub("x", "@wijkzorg_nl"), "De zorgcrisis zie je overal. Ook Heliantha heeft nog 30 vacatures open, dus ben "
     "je wijkverpleegkundige: solliciteer!", tags=["crisis-word"])
case("nl", H_IG, "Deze week volgen al onze teams de training 'Privacy in de wijk': hoe voorkom je een datalek als je "
     "met de tablet op pad bent? 🔐", tags=["datalek-word"])
case("en", pub("reddit", "u/nan_rocks"), "my nan sings Highway to Hell every time the Heliantha nurse turns up at 7am "
     "and honestly it's the best part of the visit", kind="comment", tags=["quote", "mild-word"])
case("nl", ANOUK, "Zoals gisteren in de krant en op onze website stond: team Wijhe en team Olst gaan samen verder. Voor "
     "cliënten verandert er niks 💛", tags=["published"])
case("nl", pub("facebook", "jannie.hulst", "Jannie Hulst"), "Ik had mijn klacht gewoon naar Klantcontact@Heliantha.nl "
     "gestuurd en binnen een dag antwoord. Netjes opgelost!", tags=["own-contact", "negated-complaint"])
case("en", pub("x", "@expat_mike"), "For anyone looking: Heliantha's office line is +31 88 430 2700, they speak "
     "English too 👍", tags=["own-contact"])
case("en", pub("x", "@scam_watch_nl"), "Anyone else getting letters asking to pay 'Heliantha' into <<BAD_IBAN_DE>>? "
     "Smells like a scam, the real one only uses a Dutch account.", tags=["bad-iban"])
case("en", pub("reddit", "u/thumbs_too_big"), "Heliantha's payment page rejected my card when I typed "
     "<<BAD_CARD:visa>>, turns out I swapped two digits lol. Works now.", kind="comment", tags=["bad-card"])
case("nl", INEKE, "Wie kent het: cliënt geeft een BSN op dat niet klopt (<<NOT_BSN:9>>), ECD weigert het, terecht 😅 "
     "even bellen met de dochter dan", tags=["not-bsn"])
case("nl", KEES, "Vandaag 23 adressen gepland in 8121 en 8131, record!! 🚗💨 #planning", tags=["postcode"])
case("nl", pub("facebook", "wim.ter.horst", "Wim ter Horst"), "Zorgbed Comfort van Heliantha nu €1.229 in de opruiming, "
     "wij hebben er een voor opa gekocht. Ligt heerlijk zegt hij.", tags=["sale", "ratio-edge"])
case("nl", pub("x", "@zelfbetaler"), "Eigen bijdrage voor de thuishulp betaal ik gewoon handmatig naar <<OWN_IBAN>>, "
     "staat onderaan de factuur.", tags=["own-iban"])
case("nl", MARLOES, "Trots op het team: onze jaarcijfers 2025 zijn vandaag gepubliceerd, met een klein positief "
     "resultaat. Dank aan iedereen die er hard aan werkte!", tags=["published"])
case("en", pub("mastodon", "@ingrid@mastodon.nl"), "Is there a Heliantha number I can call at night? I found "
     "0800-4353 on their site, is that the right one?", tags=["own-contact", "question"])


# ===========================================================================
# profile, roles and severity
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, validated_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in (SECRET, PRICING) or (c == PII and validated_id)
                s = "critical" if crit else "error"
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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# building
# ===========================================================================

def local_offset(t_utc):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t_utc < end else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = local_offset(local)
    utc = local - dt.timedelta(hours=off)
    p = r.random()
    if p < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x":
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{sc}", f"https://www.instagram.com/p/{sc}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Netherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Netherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-zorgforum-{m}", f"https://zorgforum.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/p/{m}"
    m = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{m}", None


CASE_VARIANTS = {  # a few posts spell a known handle with other casing
    ("x", "@heliantha_klant", 1): "@Heliantha_Klant",
    ("x", "@planner_kees", 2): "@Planner_Kees",
    ("linkedin", "ruud-hendriks-heliantha", 1): "Ruud-Hendriks-Heliantha",
    ("facebook", "HelianthaThuiszorg", 2): "helianthathuiszorg",
    ("instagram", "@nurse.yasmina", 3): "@Nurse.Yasmina",
}


def build(profile):
    fill = Filler(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen, nth = [], set(), Counter()
    for c in CASES:
        text, used = render(fill, c["text"])
        nth[(c["platform"], c["handle"])] += 1
        handle = CASE_VARIANTS.get((c["platform"], c["handle"], nth[(c["platform"], c["handle"])]), c["handle"])
        pid, url = post_id(meta, c["platform"], handle, c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or rand_time(meta)
        role = role_of(profile, c["platform"], handle)
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None:
            roll = meta.random()
            kind = "post" if roll < 0.55 else ("repost" if roll < 0.6 else None)
        if kind is not None:
            post["kind"] = kind
        acct = {"handle": handle}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        roll = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif roll < 0.1:
            pass
        elif roll < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "heliantha"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# independent checks
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d .\-()]{7,16}\d")
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|eur)\b", re.I)
SECRETS = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_[A-Za-z0-9]{20,}",
                                    r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY", r"eyJ[\w-]+\.eyJ",
                                    r"://[^\s:/@]+:[^\s@/]+@", r"SG\.[\w-]{22}\.", r"sk-proj-", r"AccountKey=",
                                    r"hooks\.slack\.com/services/T")]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def low_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    amts = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not amts:
        return None
    return min(amts) / min(p["list_price"] for p in hit)


def check(lines, rows, profile):
    errs = []
    own_ibans = set(profile["public_identifiers"]["ibans"])
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {re.sub(r"\D", "", p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    ratio_limit = profile["pricing"]["alert_below_ratio"]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        valid = []
        for m in IBAN_RE.finditer(text):
            comp = m.group(0).replace(" ", "")
            if iban_valid(comp) and comp not in own_ibans:
                valid.append(comp)
        for m in RUN_RE.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and re.match(r"^(4|5[1-5]|3[47]|2[2-7])", d):
                valid.append(d)
        for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
                [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
            if elfproef(d):
                valid.append(d)
        want = severity_for(role, cats, PII in cats and bool(valid))
        if want != sev:
            errs.append(f"{w}: severity {sev}, policy {want}")
        if valid and PII not in cats:
            errs.append(f"{w}: valid identifier {valid} without leak.pii")
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: IBAN invalid")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: card fails Luhn")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: bad card passes")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: BSN fails")
            if kind == "NOT_BSN" and elfproef(raw):
                errs.append(f"{w}: not-BSN passes")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        nt = norm(text)
        if not cats:
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign has e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else d
                if len(d) == 10 and d not in own_phone_digits:
                    errs.append(f"{w}: benign has phone {m.group(0)}")
            for rx in SECRETS:
                if rx.search(text.replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{w}: benign has secret-like {rx.pattern}")
            rt = low_ratio(text, profile["products"])
            if rt is not None and rt < ratio_limit and "price-context" not in r["tags"]:
                errs.append(f"{w}: benign with price ratio {rt:.2f}")
        if PRICING in cats:
            rt = low_ratio(text, profile["products"])
            talk = any(k in nt for k in ("prijsfout", "pr1jsf0ut", "glitch", "kommafout", "klopt natuurlijk niet",
                                         "forgot two zeros", "dropped a digit", "snap er niks van"))
            if not ((rt is not None and rt < ratio_limit) or talk):
                errs.append(f"{w}: pricing without low price or error talk")
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargoed {term!r} before {until} without leak.confidential")
                if ts >= until and cats:
                    errs.append(f"{w}: {term!r} after embargo but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{w}: internal term {term!r} without leak.confidential")
    return errs


def report(rows):
    tot = len(rows)
    cat, cl, role, sev, plat, kind, lang = (Counter() for _ in range(7))
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        kind[r["post"].get("kind", "(default)")] += 1
        if not cats:
            benign += 1
            cl[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
            cl[(c, r["lang"])] += 1
    print(f"cases {tot}  benign {benign}  positive {tot - benign}  multi {multi}  evasion {evasion}")
    for c in TAXONOMY + ["(benign)"]:
        print(f"  {c:24s} {cat[c] if c in cat else benign if c == '(benign)' else 0:4d}  nl {cl[(c, 'nl')]:3d}  "
              f"en {cl[(c, 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))
    print("kind", dict(kind.most_common()))


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
