#!/usr/bin/env python3
"""Generator for the sealed66 blind evaluation set (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Garavia Parkeren B.V. (fictional Dutch parking-garage operator), see profile.yaml.
Texts are hand-written in the CASES list below. Identifiers and secrets come from
placeholders such as <<IBAN_NL>>, filled by one seeded RNG, so output is byte-for-byte
reproducible. Positives get checksum-valid identifiers; benign near-misses get ones that
fail their checksum. Severity is computed from CONTRACT section 4, never typed by hand.
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
from collections import Counter
from pathlib import Path

SEED = 66_2026_0417
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def mod97_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def with_iban_check(cc, bban):
    rem = int("".join(str(int(ch, 36)) for ch in bban + cc + "00")) % 97
    return f"{cc}{98 - rem:02d}{bban}"


def luhn_valid(num):
    d = [int(x) for x in re.sub(r"\D", "", num)][::-1]
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


# --------------------------------------------------------------------------- placeholder values

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL72INGB0007415926"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = with_iban_check("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB", "TRIO"])
                                    + self.d(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return with_iban_check("DE", self.r.choice(["10050000", "20070000", "30060601", "50070010"]) + self.d(10, False))
        if cc == "BE":
            ten = self.r.choice(["001", "068", "310", "735"]) + self.d(7, False)
            return with_iban_check("BE", ten + f"{(int(ten) % 97) or 97:02d}")
        if cc == "GB":
            return with_iban_check("GB", self.r.choice(["BARC", "LOYD", "NWBK", "HBUK"]) + self.d(6) + self.d(8, False))
        raise ValueError(cc)

    def broken_iban(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 33, 58):
            c = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not mod97_valid(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        prefix = {"visa": "4" + self.d(14, False),
                  "mc": "5" + self.r.choice("12345") + self.d(13, False),
                  "mc2": str(self.r.randint(2221, 2720)) + self.d(11, False),
                  "amex": self.r.choice(["34", "37"]) + self.d(12, False),
                  "maestro": "6761" + self.d(14, False)}[brand]
        for last in string.digits:
            if luhn_valid(prefix + last):
                return prefix + last
        raise AssertionError

    def broken_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        groups = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(groups)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def non_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn_valid(s):
                return s

    # phones
    def phone(self, style):
        m = self.r.choice("123456") + self.d(7, False)   # 8 digits after the 06
        area = self.r.choice(["10", "15", "20", "30", "40", "43", "50", "70", "71", "73", "76", "78", "79"])
        sub = self.r.choice("2345678") + self.d(6, False)
        return {
            "m_dash": f"06-{m}",
            "m_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "m_intl": f"+31 6 {m[:4]} {m[4:]}",
            "m_intl0": f"+31 (0)6 {m[:2]} {m[2:5]} {m[5:]}",
            "m_0031": f"0031-6-{m}",
            "m_plain": f"06{m}",
            "m_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}",
            "l_dash": f"0{area}-{sub}",
            "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "de": f"+49 171 {self.d(7, False)}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while crc:
            crc, rem = divmod(crc, 62)
            enc = B62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
        head = enc(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        body = enc(json.dumps({"sub": "svc-lpr-" + self.d(4), "aud": "lpr-events", "iat": iat,
                               "exp": iat + 86400}, separators=(",", ":")).encode())
        return f"{head}.{body}.{self.pick(B64U, 43)}"

    def pem(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(B64, 70) for _ in range(4)]
        rows.append(self.pick(B64, 22) + "==")
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#$%&*") + self.pick(ALNUM, 3))

    def fill(self, kind, arg):
        if kind == "IBAN":
            raw = self.iban(arg[:2])
            return raw, self.spaced4(raw) if arg.endswith("_sp") else raw
        if kind == "BADIBAN":
            raw = self.broken_iban(arg[:2])
            return raw, self.spaced4(raw) if arg.endswith("_sp") else raw
        if kind == "OWNIBAN":
            return OWN_IBAN, self.spaced4(OWN_IBAN) if arg == "sp" else OWN_IBAN
        if kind in ("CARD", "BADCARD"):
            brand, _, style = arg.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.broken_card(brand)
            return raw, self.card_fmt(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        if kind == "NOTBSN":
            raw = self.non_bsn(int(arg))
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(arg)
            return raw, raw
        if kind == "NUM":
            while True:
                raw = self.d(int(arg))
                if not luhn_valid(raw) and not elfproef(raw):
                    return raw, raw
        if kind == "HEX":
            raw = self.pick("0123456789abcdef", int(arg))
            return raw, raw
        if kind == "GHP":
            raw = self.ghp()
        elif kind == "AWSID":
            raw = "AKIA" + self.pick(BASE32, 16)
        elif kind == "AWSKEY":
            raw = self.pick(B64, 40)
        elif kind == "SLACKBOT":
            raw = f"xoxb-{self.d(12)}-{self.d(13)}-{self.pick(ALNUM, 24)}"
        elif kind == "SLACKHOOK":
            up = string.ascii_uppercase + string.digits
            raw = f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"
        elif kind == "STRIPE":
            raw = "sk_live_51" + self.pick(ALNUM, 97) if arg == "long" else "sk_live_" + self.pick(ALNUM, 24)
        elif kind == "MOLLIE":
            raw = "live_" + self.pick(ALNUM, 30)
        elif kind == "GAPI":
            raw = "AIzaSy" + self.pick(B64U, 33)
        elif kind == "JWT":
            raw = self.jwt()
        elif kind == "PEM":
            raw = self.pem()
        elif kind == "PW":
            raw = self.password()
        else:
            raise KeyError(kind)
        return raw, raw


PLACEHOLDER = re.compile(r"<<([A-Z]+)(?::([A-Za-z0-9_]+))?>>")
VALIDATED = {"IBAN", "CARD", "BSN"}     # checksum-validated personal identifiers
BROKEN = {"BADIBAN", "BADCARD", "NOTBSN", "NUM"}


def render(filler, text):
    used = []

    def sub(m):
        raw, shown = filler.fill(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PLACEHOLDER.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
G_NL = ("x", "@garavia_nl", "Garavia")
G_HELP = ("x", "@garavia_helpt", "Garavia Klantenservice")
G_IG = ("instagram", "@garaviaparkeren", "Garavia Parkeren")
G_LI = ("linkedin", "garavia-parkeren", "Garavia Parkeren B.V.")
G_FB = ("facebook", "GaraviaParkeren", "Garavia Parkeren")
G_TT = ("tiktok", "@garavia.go", "GaraviaGo")
# employees
KEES = ("x", "@kees_garage020", "Kees Mulder")                       # garage manager Amsterdam-Zuid
NOOR = ("linkedin", "noor-haddou-dev", "Noor Haddou")                # backend developer, plate recognition
LINDA = ("x", "@linda_vdlinden", "Linda van der Linden")             # customer service
BART = ("linkedin", "bart-wijnands-finance", "Bart Wijnands")        # finance controller
YUSUF = ("instagram", "@yusuf.handhaving", "Yusuf Demir")            # parking enforcement
EVI = ("mastodon", "@evi_ops@mastodon.nl", "Evi Jacobs")             # SRE / ops
SANDER = ("reddit", "u/slagboom_sander", None)                       # technician barriers & chargers
MARLOES = ("threads", "@marloes.garavia", "Marloes Kok")             # marketing


def pub(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(lang, acct, text, cats=(), kind=None, at=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, at=at, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
add("nl", LINDA, "help 😅 telefoon staat roodgloeiend: in de app kost de Seizoenspas Centrum ineens €114 ipv €1.140. "
    "iemand bij tarieven heeft een nul laten vallen. wat zeggen we tegen die mensen??", [PRICING])
add("en", pub("reddit", "u/parkeerhacker"), "Garavia app has the Dagticket for Rotterdam Centraal at €2.95 right now. "
    "Pretty sure it's a glitch, it's normally 29.50. booked the whole week lmao", [PRICING], kind="post")
add("nl", pub("x", "@sjoerd_rijdt"), "uurtarief Centrum bij @garavia_nl staat op 0,48 per uur 😳😳 komma verschoven of "
    "is dit de nieuwe normaal #prijsfout", [PRICING])
add("en", NOOR, "Draft post-mortem for the team: a rounding bug in the tariff service divided the Nachtabonnement by "
    "ten, so for about three hours customers were offered €6.40/month. Fix merged, refunds still open.\n\n"
    "Please don't screenshot the dashboards.", [PRICING])
add("nl", G_IG, "🎉 STUNTWEEK 🎉\nEventParking bij de Kuip voor maar €5 (normaal €27,50)! Alleen via de GaraviaGo app, "
    "op = op 🏟️ #garavia #deKuip", [PRICING])
add("nl", pub("facebook", "ingrid.hoogeveen.1", "Ingrid Hoogeveen"), "Laadbundel 100 kWh voor 4,90 in de Garavia app?? "
    "Dat klopt toch niet, normaal 49 euro. Heb er snel 3 gekocht voor het geval dat 😇", [PRICING])
add("en", pub("x", "@dealdaddy_nl"), "p r i c e   e r r o r 👀 Garavia Zakelijk 10 showing €169/month instead of "
    "€1.690, someone forgot a zero. small businesses go go go", [PRICING], tags=["evasion:spaced"])
add("nl", KEES, "Betaalautomaat op P3 verkoopt het dagticket voor €1,50 🤦‍♂️ al sinds 7 uur vanochtend. Gemeld bij "
    "tarieven, tot die tijd parkeert half Zuid voor een euro vijftig", [PRICING])
add("en", pub("youtube", "@carsandcoffee_rdam"), "lol the Garavia season pass Centrum is €11.40 in the app rn. "
    "tariff glitch for sure, grabbed one before they notice", [PRICING], kind="comment")
add("nl", pub("threads", "@brammetje.b"), f"prijs{ZWSP}fout bij garavia 😂 nachtabo voor €0,64 per maand, wie durft",
    [PRICING], tags=["evasion:zero-width"])
add("nl", MARLOES, "Oeps. De nieuwsbrief is net verstuurd met het Dagticket voor €9,50 erin 🙈 moet €29,50 zijn. "
    "Rectificatie komt eraan, ff niet verder delen aub", [PRICING])
add("nl", SANDER, "Tarieftabel is verkeerd ingeladen, op ops.garavia.nl/tarieven staat EventParking op €2,75. "
    "Wordt vanavond rechtgezet, tot die tijd rekenen de automaten dat bedrag", [PRICING, CONF])
add("en", pub("bluesky", "@evdriver.bsky.social"), "Gäravia prïcing errör?? charging bundle 100 for €3.90 in the app, "
    "normally 49 😂", [PRICING], tags=["evasion:diacritics"])

# =========================================================================== leak.secret
add("en", NOOR, "Debugging our plate-recognition webhook, anyone seen this? Works from Postman, fails from cron:\n\n"
    "curl -H 'Authorization: Bearer <<JWT>>' https://lpr.ops.garavia.nl/v2/events\n\nHelp appreciated 🙏",
    [SECRET, CONF])
add("nl", EVI, "Tip voor wie met Terraform werkt: zet je state-bestand NOOIT in een publieke bucket 😬 Vond er vandaag "
    "eentje met\naws_access_key_id = <<AWSID>>\naws_secret_access_key = <<AWSKEY>>\nis al ingetrokken hoor. "
    "#devops #terraform", [SECRET])
add("en", SANDER, "Why does the charger backend keep rejecting my token? using <<GHP>> for the firmware repo and "
    "it worked fine yesterday. Anyone?", [SECRET], kind="post")
add("nl", LINDA, "kan iemand van ICT me helpen, inloggen in het klantsysteem lukt niet meer. gebruiker lvdlinden, "
    "ww <<PW>> 😩 al 3x geprobeerd", [SECRET])
add("en", NOOR, "Small win today: payouts for the EventParking flow finally work 🎉 (don't judge the config)\n\n"
    "MOLLIE_API_KEY=<<MOLLIE>>\nMOLLIE_PROFILE=pfl_event_rdam", [SECRET])
add("nl", G_HELP, "@ramon_010 Sorry voor het ongemak! De betaalmodule is opnieuw gekoppeld (key <<STRIPE>>), "
    "probeer je het nog een keer?", [SECRET], kind="reply")
add("en", EVI, "psql postgres://lpr_reader:<<PW>>@db02.intra.garavia.local:5432/plates keeps timing out from the new "
    "runner. firewall? dns? ideas welcome", [SECRET, CONF])
add("en", pub("reddit", "u/apk_poker"), "Decompiled the GaraviaGo APK for fun. Hard-coded in there: a Maps key "
    "<<GAPI>> and a Slack webhook <<SLACKHOOK>> 🙃 come on Garavia", [SECRET])
add("nl", SANDER, "Nieuwe laadpaal-gateway ingericht, sleutel even hier geplakt zodat ik er thuis bij kan 🙃\n\n<<PEM>>",
    [SECRET])
add("nl", KEES, "slagboom-bot in #garage-zuid reageert niet meer. ze hebben me token <<SLACKBOT>> gegeven, "
    "waar moet ik die invullen?", [SECRET], handle="@Kees_Garage020")
add("en", pub("blog", "mobility-hacks.example", "Mobility Hacks"), "Part 2 of poking at parking apps. Garavia's web "
    "checkout still ships a live Stripe secret in its JS bundle: <<STRIPE:long>>. Reported to them, no answer yet.",
    [SECRET])
add("nl", NOOR, "Camera's bij P+R Noord draaien nog met admin / <<PW>> als login. Kunnen we dat vóór de audit "
    "aanpassen? @ICT", [SECRET])
add("nl", pub("x", "@frankie_vos"), "@garavia_helpt inloggen in GaraviaGo lukt niet, wachtwoord <<PW>> wordt steeds "
    "afgewezen terwijl het echt klopt. al 2 dagen zo!!", [SECRET, COMPLAINT], kind="reply")

# =========================================================================== leak.pii
add("nl", LINDA, "@hanneke_r ik heb je terugbetaling klaargezet naar <<IBAN:NL_sp>>, klopt dat nummer? anders "
    "even DMen 🙂", [PII], kind="reply")
add("en", YUSUF, "Same guy AGAIN in the disabled bay at P2 🙄 Mr R. Koster, Van Speijkstraat 112, Den Haag. "
    "Third fine this month, some people never learn", [PII])
add("nl", pub("facebook", "wim.de.groot.58", "Wim de Groot"), "Garavia, ik wacht al 5 weken op de restitutie van mijn "
    "seizoensabonnement!! Rekening <<IBAN:NL>>, bel me op <<PHONE:m_dash>>. Dit is echt belachelijk.",
    [PII, COMPLAINT])
add("en", pub("x", "@tessa_drives"), "@garavia_helpt the app charged my card twice for the same stay. here's the full "
    "number so you can look it up: <<CARD:visa_sp>> exp 09/28. sort it out pls", [PII, COMPLAINT], kind="reply")
add("nl", KEES, "Wie is de eigenaar van de zwarte Tesla op plek 14? Portemonnee laten liggen, rijbewijs op naam van "
    "Dirk-Jan Verhoeven, geboren 14-03-1979. Bel even naar de garage 👍", [PII])
add("en", BART, "Note for legal: the BSN of customer E. Bakker (<<BSN:dots>>) ended up attached to the disputed "
    "fine file by mistake. Who should get this?", [PII])
add("nl", LINDA, "Collega's: bezwaar van mevrouw Y. Öztürk is toegekend, kan iemand haar terugbellen op "
    "<<PHONE:m_intl>>? Ik ben er morgen niet", [PII])
add("en", pub("reddit", "u/levelminus2"), "PSA to whoever lost their wallet at the Garavia garage on the Coolsingel: "
    "passport NW8K27F31, name Lisa de Graaf. Handed it in at the booth.", [PII])
add("nl", pub("x", "@jorrit_vd"), "@garavia_helpt account geblokkeerd en niemand reageert. mail me gewoon op "
    "jorrit.vandam84@gmail.com 😤", [PII, COMPLAINT], kind="reply")
add("en", MARLOES, "Winner of our EV charging giveaway is Sophie Jansen 🎉⚡ voucher goes to "
    "sophie.jansen92@outlook.com, Sophie check your inbox!", [PII])
add("nl", G_FB, "Beste meneer De Wit, we hebben uw bezwaar ontvangen. Onze reactie gaat per post naar "
    "Lindelaan 7, 3431 AB Nieuwegein.", [PII], kind="comment")
add("nl", pub("instagram", "@petra.vds"), "Garavia kunnen jullie me even mailen over de bewonersvergunning? "
    "p.vandersteen [at] kpnmail [punt] nl. Alvast dank!", [PII], tags=["evasion:obfuscated-email"])
add("en", NOOR, "Stack trace from prod if anyone from payments is around:\nPaymentDeclined card=<<CARD:mc_plain>> "
    "holder=M. Visser amount=29.50 garage=RTD-07", [PII])
add("nl", pub("tiktok", "@nadia_rijdt"), "Garavia vraagt bij bezwaar om mijn BSN?? nou vooruit: <<BSN>>. "
    "Nu wel graag mijn 72 euro terug 🙄", [PII, COMPLAINT])
add("en", pub("x", "@grace_in_rtm"), "someone left a credit card in the pay machine on level -2 at Garavia "
    "Markthal: <<CARD:amex_sp>>, name P. Bos. gave it to the attendant", [PII])
add("nl", KEES, "Collega's, nachtportier Ahmed is bereikbaar op <<PHONE:m_pairs>> voor als de slagboom weer "
    "vastzit 👍", [PII])
add("en", pub("facebook", "olivia.grant.uk", "Olivia Grant"), "Third time asking @garavia_nl: refund my cancelled "
    "event parking to my UK account <<IBAN:GB_sp>> (Olivia Grant). It's been a month.", [PII, COMPLAINT])

# =========================================================================== leak.confidential
add("nl", NOOR, "Trots op het team: de eerste tests van Project Slagboom herkennen 98% van de kentekens, ook in "
    "stromende regen 🌧️ meer mag ik nog niet zeggen!", [CONF])
add("en", pub("reddit", "u/mick_rotterdam"), "My brother-in-law works for Garavia and says Operatie Nachtwacht means "
    "they'll rip out all the old pay machines and go plate-only next year", [CONF])
add("nl", SANDER, "Kentekenkompas draait sinds vannacht in schaduwmodus in Garage Noord 🤫 tot nu toe nul "
    "false positives", [CONF])
add("en", EVI, "Has anyone got the new occupancy dashboards on grafana.ops.garavia.nl working? Looking for the "
    "per-level panel", [CONF])
add("nl", MARLOES, "Sneak peek 👀 binnenkort in GaraviaGo Plus: automatisch in- en uitchecken op je kenteken. "
    "Nog even geduld!", [CONF], at="2026-09-14T19:22:10+02:00", tags=["embargo-before"])
add("en", pub("x", "@utrecht_commuter"), "Laadpas Flex?? Saw a flyer for it in the Garavia garage at Hoog Catharijne, "
    "thought that wasn't out yet", [CONF], at="2026-09-28T08:41:00+02:00", tags=["embargo-before"])
add("nl", KEES, "Memo van vandaag met 'niet voor externe verspreiding' erop: nachtdiensten worden per november "
    "12 uur lang. Zet het hier toch even neer want dit slaat nergens op", [CONF])
add("en", BART, "Slide 3 of the board deck (GARAVIA INTERNAL ONLY) still has the wrong garage count, can someone "
    "fix it before Thursday?", [CONF])
add("nl", SANDER, "Vandaag de eerste camera's opgehangen voor Project\nSlagboom 📸 ziet er strak uit",
    [CONF], tags=["evasion:line-break"])
add("nl", YUSUF, "Training gehad over Operatie 🦉 Nachtwacht vandaag. Ben benieuwd hoe het uitpakt op straat",
    [CONF], tags=["evasion:emoji"])
add("en", NOOR, "Spec for the new tariff engine is up at https://intra.garavia.local/wiki/tariefmotor-v4 , "
    "comments welcome before Friday", [CONF])
add("nl", MARLOES, "Nog even... om 8 uur gaat de Laadpas Flex live ⚡ wij zijn er klaar voor!", [CONF],
    at="2026-10-01T07:59:30+02:00", tags=["embargo-before"])
add("en", pub("forum", "parkeerpraat_ruud"), f"Anyone know what Garavia's Kenteken{ZWSP}kompas is? Saw the name on "
    "a contractor's laptop in the lift", [CONF], tags=["evasion:zero-width"])
add("nl", pub("x", "@kees_garage010"), "Project Slagboom gaat alle kassa's in Rotterdam vervangen, hoorde ik op "
    "kantoor. Eindelijk", [CONF], tags=["lookalike-handle"])
add("en", EVI, "New runners are live on gitlab.garavia-it.nl, please move your pipelines over this week 🚀",
    [CONF])

# =========================================================================== leak.financial
add("nl", BART, "De halfjaarcijfers 2026 zien er beter uit dan gedacht: bezettingsgraad 81%, omzet +11% 📈 "
    "binnenkort meer!", [FIN, CONF], at="2026-08-10T16:45:00+02:00", tags=["embargo-before"])
add("en", pub("reddit", "u/brabant_beleggen"), "Rumour: Garavia is buying all 23 ParkPunt garages in Brabant, deal "
    "closes next month. Source: friend on their legal team.", [FIN])
add("nl", KEES, "Net gehoord dat de bemande kassa's in alle garages per 1 januari verdwijnen, ruim 40 man op straat. "
    "Officieel horen we het pas na de zomer 😔", [FIN])
add("en", EVI, "Budget review today: infra spend down 30% next year and two ops teams get merged. Not announced yet "
    "so keep it quiet 🤐", [FIN])
add("nl", pub("forum", "Vastgoedvincent"), "Zwager zit bij Garavia in de directie: de garages in Groningen gaan naar "
    "een Duitse belegger. Nog niks officieel.", [FIN])
add("en", BART, "Q3 forecast revised down by €4m after the washed-out event season. Board hears it Tuesday.",
    [FIN])
add("nl", SANDER, f"Techniek gaat in de reor{SHY}ganisatie van 3 regio's naar 1, de helft van de monteurs mag "
    "solliciteren op z'n eigen baan. Hou het binnen aub", [FIN], tags=["evasion:soft-hyphen"])
add("en", NOOR, "Can't say much but the H1 2026 results will make the EV team very happy ⚡📈", [FIN, CONF],
    at="2026-08-20T12:05:00Z", tags=["embargo-before"])
add("nl", pub("x", "@beurs_insider_nl"), "Gerucht: Garavia wordt overgenomen door een Frans infrafonds, "
    "aandeelhouders zijn al akkoord #insider", [FIN])
add("en", MARLOES, "Heads up marketing crew: campaign budget is frozen from next month. There's a merger announcement "
    "coming in October we can't talk about yet 🤫", [FIN])
add("nl", LINDA, "Klantenservice gaat per maart naar een extern bureau in Lissabon. Ons is net verteld dat we het "
    "niet mogen delen, dus bij deze niet gedeeld 🙃", [FIN])
add("nl", pub("forum", "cijfervreter"), "Hoor dat de H1-cijfers 2026 van Garavia flink tegenvallen, verlies door de "
    "bouwkosten in Utrecht.", [FIN, CONF], at="2026-08-03T21:14:00+02:00", tags=["embargo-before"])

# =========================================================================== leak.security
add("nl", EVI, "Vannacht ransomware op twee servers van de betaalautomaten in Garage Centrum. Klanten merken nog "
    "niks, communicatie pas als we weten wat er weg is. Lange nacht ☕", [SEC])
add("en", NOOR, "Found an IDOR in our app API this morning: change the session id and you get someone else's parking "
    "history and plates. Patch coming, not disclosed yet 😬", [SEC])
add("nl", KEES, "Kentekencamera's bij P4 liggen al 2 dagen plat, iedereen rijdt via de intercom naar binnen. "
    "Klanten weten van niks en dat moet zo blijven zegt de regio 🙄", [SEC])
add("en", SANDER, "Shhh but the charger firmware still has a hardcoded telnet login, any kid with a laptop can stop "
    "charging in the whole Zuidas garage. Reported internally 3 months ago, nothing.", [SEC])
add("nl", pub("x", "@rotterdam_rob"), "Bij Garavia zijn alle kentekens en betaalgegevens gelekt en ze houden het "
    "stil. Vriend van me werkt daar bij ICT. #datalek", [SEC, CRISIS])
add("en", pub("reddit", "u/throwaway_parker"), "Garavia had a breach last week, source is an ops guy I know. "
    "Customers haven't been told. Change your app password.", [SEC, CRISIS])
add("nl", LINDA, "Net een briefing gehad: via een phishingmail zat iemand in het klantsysteem, paar duizend accounts. "
    "Nog niet naar buiten brengen zei de teamleider 😬", [SEC])
add("en", EVI, "we got h4cked. plate database dump is on a paste site, PR wants us quiet until monday",
    [SEC], tags=["evasion:leetspeak"])
add("nl", YUSUF, "Handhavingsapp laat sinds gisteren bij iedereen de foto's en adressen van ándere overtreders "
    "zien 🤦‍♂️ ICT weet het, officieel is er niks aan de hand", [SEC])
add("en", NOOR, "Outage incoming: the payment provider certificate expires tonight and nobody renewed it. Barriers "
    "will open for free until we fix it. Not public yet.", [SEC])
add("nl", pub("forum", "p4rkeer_paul"), "d a t a l e k bij Garavia, wordt onder de pet gehouden. mijn abonnement "
    "stond met adres op een of ander forum", [SEC, CRISIS], tags=["evasion:spaced"])
add("nl", pub("x", "@tim_tweewieler"), "G\u0430ravia heeft een d\u0430talek en zegt niks, collega's van mijn vrouw "
    "werken daar. Check je rekening", [SEC, CRISIS], tags=["evasion:homoglyph"])

# =========================================================================== reputation.crisis
add("nl", pub("x", "@rijnmond_ooggetuige"), "Autobrand in de Garavia garage aan de Coolsingel, hele niveau -2 staat "
    "vol rook 😱 brandweer is er. Laadpaal?? #rotterdam", [CRISIS])
add("en", pub("x", "@privacyfirst_nl"), "#BoycottGaravia: they've been quietly selling plate-recognition data to "
    "insurers, according to this morning's investigation. RT if you're done with them.", [CRISIS])
add("nl", pub("facebook", "stichting.eerlijk.parkeren", "Stichting Eerlijk Parkeren"), "Wij beginnen een massaclaim "
    "tegen Garavia vanwege onterechte naheffingen via kentekenherkenning. Aanmelden via onze site.", [CRISIS])
add("en", pub("instagram", "@ev_mom_amstelveen"), "My car's charging cable MELTED at a Garavia charging spot in "
    "Amstelveen. smoke everywhere and nobody from staff came for 20 minutes. This is dangerous @garaviaparkeren",
    [CRISIS, COMPLAINT])
add("nl", pub("x", "@stationsplein_sanne"), "Stuk plafond van niveau -1 in de Garavia garage Stationsplein naar "
    "beneden gekomen 😳 gelukkig niemand geraakt. Hoe kan dit", [CRISIS])
add("en", pub("x", "@mark_pauwels"), "Garavia leaked my data. Got a text quoting my plate AND my season pass number "
    "asking me to 'verify payment'. Only they have that combo.", [CRISIS])
add("nl", pub("tiktok", "@lotte.ldn"), "d4t4l3k bij G4ravia?? mn kenteken en adres staan gewoon op een forum 😱",
    [CRISIS], tags=["evasion:leetspeak"])
add("en", pub("threads", "@fair_parking_now"), "Garavia enforcement staff told to ignore disabled badges and fine "
    "anyway to hit targets. Screenshots of the group chat are everywhere. Disgusting.", [CRISIS])
add("nl", pub("x", "@buurt_delfshaven"), "Die oplichters van Garavia slepen gewoon auto's weg van bewoners MET "
    "vergunning. Stelletje tuig. #boycotgaravia", [CRISIS, ABUSE])
add("nl", pub("x", "@nieuws_utrecht"), "Kind geraakt door slagboom in Garavia-garage Utrecht, ouders stappen naar "
    "de rechter", [CRISIS])
add("en", pub("reddit", "u/sparky_maas"), "Is Garavia recalling the wallboxes they put in the Maastricht garages? "
    "Electrician mate says they overheat under load.", [CRISIS])
add("nl", pub("facebook", "h.jonker.74", "Hans Jonker"), "Auto stond aan de Garavia laadpaal en nu is de accu total "
    "loss, ruikt naar verbrand plastic. Garavia reageert niet 😡", [CRISIS, COMPLAINT])
add("nl", pub("x", "@eerlijk_rijden"), fullwidth("BOYCOT GARAVIA") + " ze verkopen kentekendata door aan "
    "incassobureaus", [CRISIS], tags=["evasion:full-width"])

# =========================================================================== reputation.complaint
add("nl", pub("x", "@jeroen_vd"), "@garavia_helpt slagboom ging wéér niet open bij het uitrijden, kwartier met een rij "
    "toeterende auto's achter me en de intercom neemt niet op. elke week hetzelfde 🙄", [COMPLAINT], kind="reply")
add("en", pub("x", "@amira_k"), "Garavia app billed me for 9 hours when I was parked for 2. plate recognition clearly "
    "never logged my exit. refund pls @garavia_helpt", [COMPLAINT])
add("nl", pub("facebook", "marjan.smit.3", "Marjan Smit"), "Seizoenspas opgezegd in maart en ze schrijven nog steeds "
    "elke maand af. Drie keer gebeld, drie keer 'we zetten het door'. Zo frustrerend.", [COMPLAINT])
add("en", pub("reddit", "u/tesla_tom_nl"), "Every EV spot in the Garavia garage near Centraal is taken by petrol cars "
    "and staff couldn't care less. Paid for a charging bundle for nothing.", [COMPLAINT])
add("nl", pub("tiktok", "@kimmy.rdam"), "naheffing van 72 euro gekregen terwijl ik gewoon betaald had via GaraviaGo 🤡 "
    "bezwaar ingediend, 6 weken verder nog niks gehoord", [COMPLAINT])
add("en", pub("x", "@stadiondave"), "event parking at the stadium was a shambles, 50 min to get out, ONE pay machine "
    "working, and that's €27.50 of my money. never again garavia", [COMPLAINT])
add("en", pub("youtube", "@nightshift_nurse"), "Paid for a monthly night permit and now the garage closes at 1am?? "
    "Nobody told us. I want my money back.", [COMPLAINT], kind="comment")
add("nl", pub("forum", "ondernemer_kralingen"), "Ervaring met Garavia Zakelijk? Wij huren 10 plekken en de helft van de "
    "tijd staan er vreemde auto's op. Handhaving doet niks, klantenservice verwijst naar de site.", [COMPLAINT])
add("nl", pub("x", "@robbert_h"), "kenteken niet herkend bij inrijden → ticket getrokken, bij uitrijden snapt de "
    "automaat het niet en moet ik het 'verloren ticket' tarief betalen 🙃 €45. Top service Garavia", [COMPLAINT])
add("nl", pub("bluesky", "@fietsendeforens.bsky.social"), "Waarom rekent GaraviaGo bij elke betaling €0,35 "
    "transactiekosten zonder het ergens te vermelden? Voelt als oplichting.", [COMPLAINT])
add("en", pub("reddit", "u/concertgoer_ams"), "Booked event parking through the app, showed up, garage 'full'. No "
    "refund because I 'didn't arrive before 18:00'. Garavia what kind of policy is that", [COMPLAINT])
add("nl", pub("instagram", "@wendy.on.wheels"), "Laadpas Flex werkt niet bij de paal op -2 😤 drie keer geprobeerd, "
    "Garavia app zegt 'onbekende pas'", [COMPLAINT], at="2026-10-20T17:31:00+02:00", tags=["embargo-after"])
add("en", pub("linkedin", "sandra-de-boer-hr"), "Disappointed with Garavia Zakelijk: our invoices have been wrong three "
    "months in a row and account management doesn't respond.", [COMPLAINT])

# =========================================================================== reputation.abuse
add("nl", pub("x", "@straatkoning_020"), "Die handhavers van Garavia zijn echt kankerlijers, staan elke dag in mijn "
    "straat te loeren", [ABUSE])
add("en", pub("x", "@angryinamstel"), "@garavia_helpt your staff are brain-dead morons, every single one of them",
    [ABUSE], kind="reply")
add("nl", pub("x", "@dennis_xx"), "@linda_vdlinden jij bent echt een domme trut, ga een echte baan zoeken",
    [ABUSE], kind="reply")
add("en", KEES, "People who park across two EV spots are absolute idiots. Yes you, white Range Rover on -1. Moron.",
    [ABUSE])
add("nl", YUSUF, "Weer zo'n Pool die denkt dat hij overal mag parkeren 🙄 die lui leren het nooit", [ABUSE],
    handle="@Yusuf.Handhaving")
add("en", pub("x", "@vent_machine"), "f*cking Garavia double charged me AGAIN, worst parking company in the country",
    [ABUSE, COMPLAINT], tags=["evasion:masked"])
add("nl", pub("facebook", "ron.peters.77", "Ron Peters"), "Garavia is echt k*t service, 40 minuten in de wacht voor "
    "een simpele vraag over mijn abonnement. Klootzakken.", [ABUSE, COMPLAINT], tags=["evasion:masked"])
add("en", pub("x", "@nobody_1987"), "I know which garage you work at @kees_garage020. I'll be waiting for you after "
    "your shift.", [ABUSE], kind="reply")
add("nl", G_NL, "@boosopgarage als je niet kunt lezen wat er op het bord staat, moet je misschien niet autorijden 🙄",
    [ABUSE], kind="reply")
add("en", pub("threads", "@rage.parker"), "garavia = bunch of greedy c*nts", [ABUSE], tags=["evasion:masked"])
add("nl", pub("tiktok", "@gewoon_jay"), "g4r4v14 k4nk3rb3dr1jf 🤮", [ABUSE], tags=["evasion:leetspeak"])
add("en", pub("x", "@lurker_0101"), "Whoever runs Garavia's twitter is a clown. Go touch grass.", [ABUSE])
add("nl", pub("x", "@boze_bewoner"), "Tyfus Garavia, wéér een naheffing terwijl ik gewoon een vergunning heb!!",
    [ABUSE, COMPLAINT])

# =========================================================================== benign (hard negatives)
# own contact data
add("nl", G_HELP, "@jeroen_vd Vervelend! Stuur je kenteken en de datum even naar klantenservice@garavia.nl of bel "
    "010-744 2200 (ma-za 8-20u), dan zoeken we het uit 🙏", kind="reply", tags=["own-contact"],
    handle="@Garavia_Helpt")
add("nl", G_FB, "Naheffing betalen? Maak het bedrag over naar <<OWNIBAN:sp>> t.n.v. Garavia Parkeren B.V. onder "
    "vermelding van het kenmerk op de brief.", tags=["own-contact"])
add("nl", G_NL, "Vragen over je seizoenspas? Bel gratis 0800-GARAVIA (0800-4272842) 📞", tags=["own-contact"])
add("nl", pub("x", "@femke_fietst"), "tip: bezwaar tegen een naheffing van Garavia gaat het snelst via "
    "bezwaar@garavia.nl, binnen een week antwoord 👍", tags=["own-contact"])
add("en", G_LI, "Press enquiries: pers@garavia.nl or +31 (0)10 744 2200.", tags=["own-contact"])
add("nl", pub("x", "@hulpvaardige_henk"), "Voor wie het zoekt: het rekeningnummer van Garavia voor naheffingen is "
    "<<OWNIBAN>>, staat ook gewoon op hun site", tags=["own-contact"])
add("nl", LINDA, "Vragen? Bel ons gewoon: +31107442200 😊 ik zit vandaag aan de lijn", tags=["own-contact"])
add("en", G_LI, "Garavia Zakelijk: fleet parking for your whole team. Talk to us at zakelijk@garavia.nl 🚗",
    tags=["own-contact"])
# numbers that fail checks, order / ticket / registry numbers
add("nl", pub("instagram", "@miriam_mk"), "Cijfer in mijn rekeningnummer verkeerd overgetypt (<<BADIBAN:NL_sp>>), "
    "geen wonder dat de betaling niet aankwam 🤦‍♀️ eigen schuld, Garavia had het binnen een dag opgelost",
    tags=["bad-checksum"])
add("en", NOOR, "Our checkout tests now use <<BADCARD:visa_sp>>, which deliberately fails Luhn, and the form "
    "rejects it like it should ✅", tags=["bad-checksum"])
add("nl", pub("x", "@sven_op_pad"), "Die 9 cijfers op mijn parkeervergunning (<<NOTBSN:9>>) zijn gewoon het "
    "vergunningnummer hoor, geen BSN 😅", tags=["bad-checksum"])
add("nl", pub("facebook", "lisanne.ter.horst", "Lisanne ter Horst"), "Reserveringsnummer <<NUM:10>> voor "
    "EventParking zaterdag, wie wil m overnemen? Kan hem in de app doorzetten", tags=["order-number"])
add("nl", G_LI, "Garavia Parkeren B.V. · KvK <<NOTBSN:8>> · Weena 300, Rotterdam", tags=["registry-number"])
add("en", pub("x", "@max_v"), "Garavia support asked for my transaction number, it's <<NUM:12>> if anyone else had "
    "the same double scan at Markthal this morning. They fixed it in 5 min, nice", tags=["order-number"])
add("de", pub("facebook", "klaus.berger.62", "Klaus Berger"), "Falsche IBAN beim Garavia-Formular eingegeben "
    "(<<BADIBAN:DE>>), jetzt klappt's mit der richtigen. Danke fürs schnelle Feedback!", tags=["bad-checksum"],
    hint="")
# secrets that are not secrets
add("en", NOOR, "PSA for the docs: use MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as a placeholder and never "
    "paste the real one in a README 🙏", tags=["placeholder"])
add("en", pub("blog", "secure-by-default.example", "Secure by Default"), "The AWS docs use AKIAIOSFODNN7EXAMPLE as "
    "their sample key id. If your scanner flags that in a parking app's README, tune your scanner.",
    tags=["placeholder"])
add("en", EVI, "My weekend project (a free-spot finder for Leiden garages) builds again, the fix was commit "
    "<<HEX:40>> 🎉", tags=["git-sha"])
add("nl", NOOR, "Reminder: classic GitHub tokens beginnen met ghp_… en fine-grained met github_pat_… "
    "Roteer alles wat ouder is dan 90 dagen 🔁", tags=["bare-prefix"])
# prices that are fine
add("nl", G_IG, "Zomerdeal ☀️ Seizoenspas Centrum nu met 25% korting: €855 in plaats van €1.140. Alleen t/m "
    "31 juli!", at="2026-07-02T10:00:00+02:00", tags=["price-ok"])
add("nl", G_NL, "Early bird: EventParking voor de WK-finale in de Kuip voor €16,50 als je vóór vrijdag boekt (normaal €27,50) ⚽",
    tags=["price-ok"])
add("nl", pub("x", "@student_stijn"), "Dagticket bij Garavia voor €12 met de studentenkorting, kan slechter 👍",
    tags=["price-ok", "near-threshold"])
add("nl", pub("facebook", "anja.bouwman.8", "Anja Bouwman"), "Seizoenspas Centrum betaal ik in termijnen, €95 per maand. "
    "Prima te doen eigenlijk", tags=["price-ok", "monthly"])
add("nl", pub("x", "@kuip_fan_1908"), "Voor wie morgen naar de Kuip gaat: bij ParkPunt €9 voor de hele dag, Garavia "
    "EventParking €27,50 maar dan sta je wel naast de ingang. Keuzes 😄", tags=["price-ok", "competitor"])
add("nl", G_TT, "⚡ €10 korting op je eerste Laadbundel 100 kWh met code LAAD10 ⚡ #elektrischrijden",
    tags=["price-ok", "discount-amount"])
add("nl", pub("threads", "@parkeertips"), "Verloren ticket kost bij Garavia €45, dus maak even een foto van je "
    "parkeerkaartje 😉", tags=["fee"])
add("nl", G_HELP, "@snelle_sander Nee hoor, geen prijsfout: het Nachtabonnement voor €38,40 per maand (40% korting) "
    "is echt een actie 🙂", kind="reply", tags=["price-ok", "denied-error"])
# embargo terms at / after the embargo
add("nl", G_LI, "Vandaag publiceert Garavia de halfjaarcijfers 2026: omzet €64,2 miljoen, bezettingsgraad 79%. "
    "Het persbericht staat op garavia.nl/pers", at="2026-08-27T07:00:00+02:00", tags=["embargo-at"])
add("en", pub("reddit", "u/dutch_smallcaps"), "Garavia's H1 2026 results are out, decent numbers, EV charging "
    "revenue doubled", at="2026-08-27T09:12:44Z", tags=["embargo-after"])
add("nl", G_IG, "Hij is er! 🚗✨ GaraviaGo Plus: automatisch in- en uitrijden op kenteken. Update je app!",
    at="2026-10-01T08:00:00+02:00", tags=["embargo-at"])
add("nl", pub("instagram", "@lieke.laadt"), "Laadpas Flex gehaald, werkt in alle Garavia garages. Scheelt weer een "
    "pasje in mijn portemonnee", at="2026-10-12T11:03:00+02:00", tags=["embargo-after"])
add("nl", MARLOES, "Eindelijk mag ik het zeggen: GaraviaGo Plus is live! 🎉 Trots op dit team",
    at="2026-10-01T06:00:00.000Z", tags=["embargo-at"])
# codename and domain near-misses
add("nl", pub("x", "@wouter_wint"), "Slagboom bij de Garavia garage ging vandaag in één keer open, kenteken meteen "
    "herkend. Zo hoort het 👍", tags=["codename-word"])
add("nl", pub("instagram", "@gezin_de_bruin"), "Met de kids naar De Nachtwacht in het Rijksmuseum, geparkeerd bij "
    "Garavia Museumplein. Top plek 🖼️", tags=["codename-word"])
add("nl", G_NL, "Je parkeergeschiedenis en facturen vind je op mijn.garavia.nl/historie 📄", tags=["public-domain"])
# published news, other companies
add("nl", pub("x", "@mobiliteit_nu"), "Datalek bij parkeerapp ParkPunt: 200.000 kentekens op straat. Blij dat ik bij "
    "Garavia parkeer eigenlijk", tags=["other-company"])
add("en", pub("linkedin", "joost-analyst"), "Garavia's published annual report mentions 14 new garages in 2027. "
    "Solid expansion plan for the Randstad.", tags=["published"])
add("nl", G_NL, "RT @rtvrijnmond: Garavia opent nieuwe garage met 200 laadpunten bij Feyenoord City", kind="repost",
    tags=["published"])
add("nl", pub("x", "@fd_lezer"), "ParkPunt schrapt 80 banen, las ik in het FD. Hopelijk blijft Garavia buiten schot",
    tags=["other-company"])
# crisis / abuse words in other senses
add("nl", pub("x", "@fietsfanaat_ria"), "Ik boycot al jaren de auto in de binnenstad, fiets is sneller 🚲 "
    "(behalve als het regent, dan toch maar Garavia 😅)", tags=["crisis-word"])
add("en", pub("reddit", "u/forgetful_fenna"), "I can't recall which level I parked on at the Garavia garage. Does "
    "the app show it?", tags=["crisis-word", "question"])
add("nl", G_FB, "Afgelopen week brandoefening gehouden in onze garage aan de Weena. Zie je ooit echt rook: "
    "meteen 112 bellen 🚒", tags=["crisis-word"])
add("nl", pub("facebook", "joke.de.ruiter", "Joke de Ruiter"), "Parkeren bij het ziekenhuis voor de "
    "kankerbehandeling van mijn moeder is gratis gemaakt door Garavia. Dank jullie wel ❤️",
    tags=["literal-word", "praise"])
add("en", pub("x", "@lyricsandcars"), "'Highway to Hell' on the radio while I spiral down into the Garavia garage 🤘",
    tags=["quote", "mild-word"])
add("en", pub("blog", "inkt-en-olie.example", "Inkt & Olie"), "Chapter 3 of my crime story: the killer leaves the car "
    "on level -3 of a Garavia garage and pays cash so no plate is logged. Feedback welcome!", tags=["fiction"])
add("nl", pub("x", "@grapjas_gijs"), "Mijn relatie met Garavia: elke ochtend zie ik jullie slagboom eerder dan mijn "
    "vriendin 😂", tags=["joke"])
# praise, questions, ordinary posts
add("nl", pub("twitter", "@tevreden_tim"), "GaraviaGo werkt prima trouwens, kenteken wordt altijd herkend en betalen gaat "
    "vanzelf. Geen klachten 👌", tags=["negated"])
add("en", pub("x", "@seasonpass_sue"), "Not a single issue with Garavia in 3 years of season pass. Barrier opens, app "
    "works, done.", tags=["negated"])
add("en", pub("x", "@carla_jumpstart"), "Shoutout to the Garavia attendant at Zuidplein who helped me jumpstart my car "
    "at 11pm. Legend.", tags=["praise"])
add("nl", pub("x", "@vraagje_vera"), "Kan ik met de GaraviaGo app ook betalen bij de P+R in Capelle?",
    tags=["question"])
add("nl", KEES, "10 jaar bij Garavia vandaag 🎉 van het kassahokje naar garagebeheerder. Dank aan het hele team "
    "Zuid!", tags=["employee-benign"])
add("nl", SANDER, "Vandaag 12 nieuwe laadpalen geplaatst in Garage Noord. Mooi werk mannen ⚡", tags=["employee-benign"])
add("nl", G_HELP, "Let op: zaterdag tussen 02:00 en 05:00 is de GaraviaGo app niet beschikbaar door onderhoud. "
    "Slagbomen werken gewoon op kenteken.", tags=["official-notice"])
add("nl", G_NL, "Storing: in garage Centrum wordt je kenteken op dit moment niet herkend. Trek een ticket, je betaalt "
    "het normale tarief. We werken aan een oplossing.", tags=["official-notice"])
add("nl", G_LI, "We zoeken een medior backend developer voor ons kentekenherkenningsteam! Bekijk de vacature op "
    "garavia.nl/werken 🚀", tags=["corporate-benign"])
add("en", pub("hackernews", "parkingpundit"), "Interesting how Dutch operators like Garavia went fully plate-based. "
    "Anyone know how they handle foreign plates?", tags=["question", "unknown-platform"])
add("nl", pub("instagram", "@garavia.parkeren"), "Fanaccount 🚗 Mooiste garage van Nederland? Garavia Markthal, "
    "die verlichting 😍", tags=["lookalike-handle", "praise"])


# --------------------------------------------------------------------------- profile / severity

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def account_role(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def least_severity(role, cats, validated_pii):
    insider = role != "public"
    worst = "none"
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in (SECRET, PRICING) or (c == PII and validated_pii):
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
        if RANK[s] > RANK[worst]:
            worst = s
    return worst


# --------------------------------------------------------------------------- building

def stamp(r):
    """Random 2026 timestamp, rendered in UTC, Amsterdam local offset, or with milliseconds."""
    day = r.randint(3, 362)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1,
                                                                         minutes=r.randint(6 * 60, 23 * 60 + 50),
                                                                         seconds=r.randint(0, 59))
    dst = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= base < dt.datetime(2026, 10, 25, 1,
                                                                                   tzinfo=dt.timezone.utc)
    off = 2 if dst else 1
    utc = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return base.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"{platform}-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        sub = "rotterdam" if r.random() < 0.5 else "thenetherlands"
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "threads":
        code = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-parkeerpraat-{n}", f"https://forum.parkeerpraat.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    filler = Filler(SEED)
    meta = random.Random(SEED + 7)
    shuffle = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(filler, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = account_role(profile, c["platform"], c["handle"])
        sev = least_severity(role, c["cats"], PII in c["cats"] and bool(kinds & VALIDATED))
        created = c["at"] or stamp(meta)

        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acc["display_name"] = c["name"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 13))
        post["account"] = acc
        post["text"] = text
        tags = set(c["tags"])
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.14:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "garavia"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    shuffle.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- validation

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def validate(rows, profile):
    errs = []
    own = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}
    assert all(mod97_valid(i) for i in own), "own IBAN invalid"
    embargo = [(t.lower(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{pid}: bad timestamp")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{pid}: too long")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= set(CATS):
            errs.append(f"{pid}: categories")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{pid}: benign with severity")
        if e["categories"] and e["severity"] == "none":
            errs.append(f"{pid}: positive without severity")
        for kind, raw, _ in r["used"]:
            if kind == "IBAN" and not mod97_valid(raw):
                errs.append(f"{pid}: IBAN invalid")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{pid}: card invalid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{pid}: BSN invalid")
            if kind == "BADIBAN" and mod97_valid(raw):
                errs.append(f"{pid}: bad IBAN passes")
            if kind == "BADCARD" and luhn_valid(raw):
                errs.append(f"{pid}: bad card passes")
            if kind == "NOTBSN" and elfproef(raw):
                errs.append(f"{pid}: non-BSN passes")
            if kind in VALIDATED and not e["categories"]:
                errs.append(f"{pid}: valid identifier in benign post")
            if kind in VALIDATED and PII not in e["categories"]:
                errs.append(f"{pid}: valid identifier without leak.pii")
            if kind == "IBAN" and raw in own:
                errs.append(f"{pid}: own IBAN used as PII")
        low = p["text"].lower()
        for term, until in embargo:
            if term in low:
                before = ts(p["created_at"]) < until
                if before and CONF not in e["categories"]:
                    errs.append(f"{pid}: embargo term before embargo but not confidential")
                if not before and CONF in e["categories"]:
                    errs.append(f"{pid}: embargo term after embargo labelled confidential")
    ids = [r["post"]["id"] for r in rows]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    texts = [r["post"]["text"] for r in rows]
    if len(texts) != len(set(texts)):
        errs.append("duplicate texts")
    n = len(rows)
    if not 150 <= n <= 180:
        errs.append(f"{n} cases, want 150-180")
    per = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in CATS:
        if per[c] < 10:
            errs.append(f"{c}: only {per[c]} positives")
    return errs


def report(rows):
    per = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"cases: {len(rows)}  benign: {benign}  positive: {len(rows) - benign}  "
          f"multi-label: {sum(1 for r in rows if len(r['expect']['categories']) > 1)}  "
          f"evasion: {sum(1 for r in rows if any(t.startswith('evasion') for t in r['tags']))}")
    print("languages:", dict(Counter(r["lang"] for r in rows)))
    print("roles:", dict(Counter(r["role"] for r in rows)))
    print("severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("platforms:", dict(Counter(r["post"]["platform"] for r in rows)))
    for c in CATS:
        rs = [r for r in rows if c in r["expect"]["categories"]]
        print(f"  {c:22s} {len(rs):3d}  nl={sum(r['lang'] == 'nl' for r in rs):2d} "
              f"en={sum(r['lang'] == 'en' for r in rs):2d}  "
              + " ".join(f"{k}={v}" for k, v in sorted(Counter(r['role'] for r in rs).items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = validate(rows, profile)
    for e in errs:
        print("ERROR:", e, file=sys.stderr)
    out = "".join(lines_of(rows))
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != out:
            errs.append("cases.jsonl differs from generator output")
            print("ERROR: cases.jsonl differs from generator output", file=sys.stderr)
    else:
        OUT.write_text(out, encoding="utf-8")
    report(rows)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
