#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set sealed131 (cases.jsonl).

    python3 make_cases.py          # write cases.jsonl next to this file and validate it

Company: "Nachtwacht Beveiliging B.V." (profile.yaml), a fictional Dutch
home-security and alarm-monitoring company.

Texts are hand-written below (CASES). Identifiers and secrets come from
placeholders like <<IBAN_NL>> filled by one seeded RNG, so every run gives the
same bytes. Positives get checksum-valid identifiers; benign near-misses get
identifiers that fail their checksum. Severity is computed from CONTRACT section 4
(account role from profile.yaml by platform:handle, case-insensitive), never typed.
"""
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

import yaml

SEED = 131_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    table = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441"}
    return "".join(table.get(c, c) for c in s)


# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


# ---------------------------------------------------------------- generator

class Gen:
    def __init__(self, r):
        self.r = r

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["063", "310", "735", "001"]) + self.dig(7, False)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50010517", "37040044", "76026000"]) + self.dig(10, False))
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "HBUK", "NWBK"]) + self.dig(14, False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.dig(14, False),
               "mc": "5" + self.r.choice("12345") + self.dig(13, False),
               "mc2": str(self.r.randint(2221, 2720)) + self.dig(11, False),
               "amex": self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]
        for d in string.digits:
            if luhn_valid(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

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

    def ean13(self):
        while True:
            b = "87" + self.dig(10, False)
            for d in string.digits:
                if ean_valid(b + d):
                    if not luhn_valid(b + d):
                        return b + d
                    break

    def phone(self, f):
        if f.startswith("mob"):
            d = self.r.choice("12345") + self.dig(7, False)     # 8 digits after the 6
            return {"mob_dash": f"06-{d}", "mob_plain": f"06{d}", "mob_sp": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                    "mob_intl": f"+31 6 {d[:4]} {d[4:]}", "mob_intl0": f"+31 (0)6 {d}",
                    "mob_0031": f"0031-6-{d}", "mob_34": f"06 {d[:4]} {d[4:]}"}[f]
        area = self.r.choice(["30", "33", "35", "38", "40", "73", "76", "53", "50", "24"])
        sub = self.r.choice("2345789") + self.dig(6, False)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    # secrets
    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.ch("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def slack(self):
        return f"xoxb-{self.dig(11)}-{self.dig(13)}-{self.ch(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.ch(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43)

    def gapi(self):
        return "AIzaSy" + self.ch(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "klant-" + self.dig(7), "aud": "mijn.nachtwacht.nl", "scope": "password_reset",
                    "iat": iat, "exp": iat + 1800})
        return f"{head}.{body}.{self.ch(B64URL, 43)}"

    def openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dig(3, False)
                + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))

    def hexs(self, n):
        return self.ch("0123456789abcdef", n)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "IBAN_GB", "CARD", "BSN"}
BAD_KINDS = {"BAD_IBAN_NL", "BAD_IBAN_BE", "BAD_CARD", "NOT_BSN9", "NOT_BSN8", "EAN13"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = g.card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = g.bad_card(b)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (
                f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "NOT_BSN8":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "DIGITS":
            shown = raw = g.dig(int(f))
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret, "SLACK": g.slack,
                  "MOLLIE": g.mollie, "SENDGRID": g.sendgrid, "GAPI": g.gapi, "JWT": g.jwt,
                  "OPENSSH": g.openssh, "PW": g.pw}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts

# corporate
NW_X = ("x", "@nachtwacht_nl", "Nachtwacht")
NW_HELP = ("x", "@nachtwacht_help", "Nachtwacht Klantenservice")
NW_IG = ("instagram", "@nachtwacht.beveiliging", "Nachtwacht Beveiliging")
NW_LI = ("linkedin", "nachtwacht-beveiliging", "Nachtwacht Beveiliging B.V.")
NW_FB = ("facebook", "NachtwachtBeveiliging", "Nachtwacht Beveiliging")
# employees
MO = ("x", "@mo_bouzid", "Mohamed Bouzid")                     # meldkamer operator
LOTTE = ("linkedin", "lotte-verhoeven-nw", "Lotte Verhoeven")  # partner & sales
RICK = ("x", "@rick_installeert", "Rick de Graaf")             # installer
DAAN = ("linkedin", "daan-smits-nachtwacht", "Daan Smits")     # DevOps
INGRID = ("linkedin", "ingrid-kramer-finance", "Ingrid Kramer")  # finance
KEES = ("instagram", "@kees.surveillance", "Kees Mulder")      # mobile guard
NADIA = ("threads", "@nadia.vdmeer", "Nadia van der Meer")     # customer service
JOOST = ("reddit", "u/joost_nw_dev", None)                     # app developer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =====================================================================
# leak.pricing
# =====================================================================
case("nl", RICK, "Jongens in de monteursapp gaat het helemaal los 😂 op de webshop staat het Startpakket Thuis "
     "voor €89,- ipv €899. Iemand is een nulletje vergeten. Ik heb niks gezegd he", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "Nachtwacht webshop has the Buitencamera 2K at €22.90 right now?? "
     "pretty sure it's normally 229. grabbed two, will update if they cancel", [PRICING], kind="post")
case("nl", pub("x", "@koopjesjager_040"), "PRIJSFOUT 🚨🚨 Grendel Smart Lock voor 27,90 bij nachtwacht.nl\n\nrennen "
     "mensen #prijsfout #slimslot", [PRICING])
case("nl", NW_FB, "🔥 Alleen dit weekend: de Nachtwacht Centrale 3 alarmsysteem voor slechts €129! Op = op 👉 "
     "shop.nachtwacht.nl/centrale3", [PRICING])
case("en", LOTTE, "Quick one for the installer partners in my network: a sync issue in the partner portal is "
     "showing the Videodeurbel at €17,90 instead of the normal tariff. Please hold off on bulk orders at that "
     "price, we're correcting it today 🙏", [PRICING])
case("nl", pub("facebook", "henk.wouters.1958", "Henk Wouters"), "Mn schoonzoon zegt dat je bij Nachtwacht nu het "
     "Zorgeloos abonnement voor €2,99 per maand kan afsluiten?? normaal is het bijna 30 euro. klopt dat of is "
     "het weer zo'n nepbericht", [PRICING], kind="comment")
case("nl", pub("x", "@dealtjes_daan"), "p r i j s f o u t bij nachtwacht: Rookmelder Plus voor €8,90 😳 "
     "wie heeft er nog geen rookmelder", [PRICING], tags=["evasion:spaced"])
case("en", pub("tiktok", "@budgetbaas"), "Nachtw4cht pr1c3 3rr0r on the Centrale 3 lmaooo €59 for a whole alarm "
     "system 💀 link in bio before they fix it", [PRICING], tags=["evasion:leet"], hint="")
case("nl", NADIA, "pff halve dienst aan de lijn gehangen met mensen die de buitencamera 2K voor €2,29 hebben "
     "besteld. Ja het is een fout in de prijs, nee we leveren hem niet voor dat bedrag 🙃", [PRICING])
case("en", pub("forum", "SlotenSjors"), "[Price glitch] Nachtwacht Rookmelder Plus 3-pack for €26,70 in total "
     "(list is €89 EACH)\n\nOrder confirmation came in, payment via iDEAL went through. Anyone know if they "
     "honour these?", [PRICING])
case("nl", KEES, "Collega's zeggen dat het Grendel slot in de personeelsshop per ongeluk op €2,79 staat 😂😂 "
     "als iemand er eentje voor mij wil bestellen graag", [PRICING], kind="comment")
case("nl", pub("bluesky", "@sparen.bsky.social"), f"prijs{ZWSP}fout? Videodeurbel van Nachtwacht voor €19 in de "
     "app. Gisteren was ie nog 179", [PRICING], tags=["evasion:zero-width"])
case("en", DAAN, "Price feed sync job crashed overnight and pushed the Centrale 3 and the Startpakket live at ~10% "
     "of list (€59,90 / €89,90). Rollback running, dashboard for the curious colleagues: "
     "https://grafana.nachtwacht.nl/d/shop-sync", [PRICING, CONF])

# =====================================================================
# leak.secret
# =====================================================================
case("en", DAAN, "PSA from ops: please stop pasting tokens in Teams chats. Found this one in a channel with 80 "
     "people today, already revoked:\n<<GHP>>\nUse the vault. Thank you. 🙏 #devops", [SECRET])
case("nl", JOOST, "Iemand ervaring met AWS IoT Core voor alarmpanelen? Onze staging weigert te verbinden met "
     "deze keys:\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1\n\n"
     "policy lijkt goed te staan", [SECRET], kind="post")
case("nl", RICK, "wie heeft het wachtwoord van de monteurstablet veranderd?? het was <<PW>> en nu kom ik er niet "
     "meer in, sta hier in een kruipruimte in Zeist 😤", [SECRET])
case("nl", pub("x", "@sloppy_sec_nl"), "Lekker dan, een beveiligingsbedrijf. De live Mollie key van Nachtwacht "
     "staat gewoon in de JavaScript van hun webshop: <<MOLLIE>>\nIemand daar wakker?", [SECRET])
case("nl", NW_HELP, "@ruud_alarm Vervelend dat de reset-mail niet aankomt! Probeer deze link eens: "
     "https://mijn.nachtwacht.nl/reset?token=<<JWT>>", [SECRET], kind="reply")
case("nl", MO, "nachtdienst 🦉 en het meldkamerdashboard gooit me elke 10 min eruit. login mbouzid / ww <<PW>> "
     "werkt alleen nog op de oude pc naast het raam 🙄", [SECRET], handle="@Mo_Bouzid")
case("en", JOOST, "here's the compose snippet, maybe it helps someone:\n\n  MQTT_URL=mqtts://panel_fleet:<<PW>>"
     "@mqtt.nw-intra.local:8883\n  MQTT_TOPIC=panels/+/state\n\nreconnect loop still happens every ~90s",
     [SECRET, CONF], kind="comment")
case("en", pub("mastodon", "@binwalk_bart@infosec.exchange"), "Decompiled the Nachtwacht Android app for fun. "
     "Google API key hardcoded in strings.xml: <<GAPI>>\nNot restricted by package name either. Sent a note to "
     "pers@nachtwacht.nl", [SECRET])
case("nl", JOOST, "waarom pakt ssh deze key niet?? permissions staan op 600\n\n<<OPENSSH>>\n\nserver zegt "
     "gewoon 'Permission denied (publickey)'", [SECRET], kind="post")
case("en", pub("x", "@repo_watcher"), "lol Nachtwacht's frontend repo is public and has a SendGrid key in "
     ".env.example: <<SENDGRID>>\nthat's a real one, not a placeholder", [SECRET], hint="nl")
case("nl", NADIA, "wie heeft het wachtwoord van ons klantenservice-account op X veranderd?? <<PW>> werkt niet "
     "meer en ik heb 40 DM's open staan", [SECRET])
case("en", MO, "monitoring-room bot went silent again 😩 token in the config is <<SLACK>>, can someone from IT "
     "check if it got revoked", [SECRET], kind="reply")
case("nl", RICK, "Notitie voor mezelf want ik vergeet het altijd: fam. Jansen, Lindenlaan 14 in Bunnik, "
     "alarmcode 7391#, reservesleutel onder de bloempot bij de achterdeur 🙈", [SECRET, PII])

# =====================================================================
# leak.pii
# =====================================================================
case("nl", RICK, "Klant wil vandaag nog een extra bewegingsmelder op de zolder: Marloes de Haan, Vondellaan 33 "
     "Woerden. bel haar even op <<PHONE:mob_dash>> als je eerder klaar bent @jurre_monteur", [PII])
case("nl", INGRID, "Incasso mislukt bij een klant, rekening <<IBAN_NL:grp>> t.n.v. P. Hoekstra. Kan iemand "
     "van debiteuren checken of dat een typefout is in ons systeem?", [PII], kind="comment")
case("nl", pub("facebook", "yvonne.smeets.77", "Yvonne Smeets"), "Nachtwacht heeft ALWEER twee keer het "
     "abonnement afgeschreven!! Dit is mijn rekening <<IBAN_NL>>, kijk zelf maar in jullie systeem. Ik wil "
     "gewoon mijn geld terug", [PII, COMPLAINT])
case("en", pub("x", "@lisa_in_leiden"), "@nachtwacht_help my card <<CARD:visa_sp>> got charged twice for "
     "March, please sort out a refund, this is the second time", [PII, COMPLAINT], kind="reply",
     when="2026-04-03T08:12:55.120Z")
case("nl", KEES, "Nachtelijke opvolging in Hilversum: mevrouw Van Dijk (geb. 14-03-1941) was gevallen en had "
     "de halszender ingedrukt. Ambulance erbij, het gaat gelukkig goed met haar 🙏 #surveillance",
     [PII])
case("nl", INGRID, "Voor de ND-pas van onze nieuwe surveillant Tim Bakker heb ik alleen nog bevestiging van zijn "
     "BSN nodig, klopt <<BSN:dots>>? Dan kan de aanvraag vandaag de deur uit.", [PII], kind="comment")
case("en", pub("reddit", "u/jveldkamp84"), "Nachtwacht support literally told me to post my details in the "
     "thread so they can find my account?? fine: Jeroen Veldkamp, jeroen.veldkamp84@outlook.com, "
     "<<PHONE:mob_intl>>. Now fix my app login", [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@r_kuipers"), "Weet iemand hoe je de Grendel koppelt aan Google Home? Mail me maar even "
     "op r.kuipers [at] ziggo [punt] nl, dan stuur ik screenshots", [PII], tags=["evasion:at-punt"])
case("en", NW_HELP, "@j_vermeulen We've rescheduled the engineer to Tuesday between 8 and 12. Just confirming "
     "the address for Mr J. Vermeulen: Pastoorstraat 7, 5261 AB Vught. Engineer can reach you on "
     "<<PHONE:mob_34>>", [PII], kind="reply", handle="@Nachtwacht_Help")
case("nl", NADIA, "Klant leest z'n hele creditcard voor aan de telefoon terwijl ik zeg dat het niet hoeft: "
     "<<CARD:mc_dash>>, vervaldatum er nog achteraan. mensen toch 🙈", [PII])
case("en", pub("x", "@daphne_vd"), "Nachtwacht wants a passport scan before they'll replace my smart lock?? "
     "Fine, here: NW5R82K91, Daphne van Dalen. Happy now? Still no lock.", [PII, COMPLAINT])
case("nl", pub("x", "@stijn_antwerpen"), "@nachtwacht_help jullie mogen het restbedrag van de opzegging storten "
     "op <<IBAN_BE:grp>>, ik wacht al drie weken", [PII, COMPLAINT], kind="reply")
case("en", KEES, "shoutout to Mr. Pieterse on Molenweg 4 in Baarn for the coffee at 3am after his alarm went "
     "off 😂☕ best call-out of the month", [PII])
case("nl", LOTTE, "Gezocht: een partner-installateur die morgen in Breda een offerte kan maken bij dhr. Öztürk, "
     "<<PHONE:mob_intl0>>. Stuur me even een DM!", [PII])
case("en", pub("facebook", "gareth.pryce.3", "Gareth Pryce"), "Moved back to Cardiff in May and Nachtwacht still "
     "hasn't refunded my deposit. Account is <<IBAN_GB>>, it's not complicated.", [PII, COMPLAINT])
case("nl", pub("forum", "Mieke_Delft"), "Nachtwacht vraagt mijn BSN voor een kredietcheck bij een "
     "alarmabonnement?? Het formulier staat al half ingevuld in mijn account: BSN <<BSN>>, geboren "
     "02-09-1986. Is dat wel normaal?", [PII])
case("nl", MO, "@d_brouwer zet je je nieuwe nummer even in de app? We hebben nu nog <<PHONE:land_dash>> staan "
     "als eerste contactpersoon, dat is je oude vaste lijn", [PII], kind="reply")

# =====================================================================
# leak.confidential
# =====================================================================
case("nl", DAAN, "Trots op het team dat Project Steenuil vandaag naar de testfase heeft gebracht 🦉 Nieuw "
     "fundament voor de meldkamer. Meer mag ik er nog niet over zeggen!", [CONF])
case("en", JOOST, "anyone used the Hikvision SDK for person detection on edge devices? working on something we "
     "call Egelschild internally, need to kill false alarms caused by cats", [CONF], kind="post")
case("nl", MO, "De nieuwe wachtrijpagina van de meldkamer is echt 🔥 grafana.nachtwacht.nl/d/alarmqueue "
     "(oh wacht jullie kunnen niet inloggen haha)", [CONF])
case("nl", RICK, "Eerste testinstallatie van de Grendel Pro 2 bij mn eigen voordeur 🔐 nog even stilhouden he",
     [CONF], when="2026-09-12T19:41:07+02:00")
case("en", pub("reddit", "u/throwaway_alarm_guy"), "A friend who works there showed me a deck stamped NACHTWACHT "
     "CONFIDENTIAL about a combined smoke/heat sensor called Vuurwacht 360, due in October. Looked legit.",
     [CONF], when="2026-07-30T22:10:45Z", kind="post")
case("nl", LOTTE, "Partners, houd begin oktober vrij! We lanceren de Vuurwacht 360 en jullie krijgen als eerste "
     "de demokits 🚒 #installateurs #brandveiligheid", [CONF], when="2026-09-02T09:15:00+02:00")
case("en", NADIA, "lunch talk today was all about Operatie\nDwaallicht 👀 nobody knows what it means for our "
     "team yet", [CONF], tags=["evasion:linebreak"])
case("nl", INGRID, "Het document 'Begroting 2027 – UITSLUITEND INTERN' staat per ongeluk open in de gedeelde "
     "partnermap. Kan iemand het even dichtzetten?", [CONF])
case("en", pub("x", "@streamsniper_nl"), "lol someone at Nachtwacht left their screen share on during a webinar: "
     "jira.nachtwacht.nl/browse/MK-3310 'meldkamer failover test fails again'", [CONF])
case("nl", KEES, "Project 🦉 Steenuil gaat de nachtdiensten zóveel makkelijker maken, vandaag de demo gezien 🤩",
     [CONF], tags=["evasion:emoji"])
case("nl", JOOST, "onze build-agent build04.nw-intra.local valt steeds weg na een uur, iemand tips voor Jenkins "
     "agents op ARM?", [CONF], kind="post")
case("nl", NW_IG, "Sneak peek 👀 Iets nieuws voor je voordeur… de Grendel Pro 2 komt eraan. Raad jij wat er "
     "nieuw is? 🔐", [CONF], when="2026-09-28T18:00:00+02:00")
case("nl", LOTTE, "Benieuwd naar de H1-cijfers volgende maand, wat een halfjaar is het geweest! 💪",
     [CONF], when="2026-07-16T08:30:00+02:00")
case("nl", INGRID, "halfjaarcijfers 2026: omzet +18%, EBITDA eindelijk positief. Mag nog niemand weten maar ik ben "
     "zo trots op dit team 🥂", [CONF, FIN], when="2026-08-19T21:04:00+02:00")
case("nl", pub("x", "@monteur_mark"), fullwidth("Nachtwacht Confidential") + " stempel op een pdf die rondgaat "
     "in de installateursgroep lol, gaat over nieuwe tarieven", [CONF], tags=["evasion:full-width"])
case("nl", NW_LI, "Onze halfjaarcijfers 2026 zijn binnen: omzetgroei van 18% en voor het eerst een positieve "
     "EBITDA. Dank aan alle collega's en klanten!", [CONF, FIN], when="2026-08-20T07:59:00+02:00")

# =====================================================================
# leak.financial
# =====================================================================
case("nl", INGRID, "Q3 gaat ruim onder forecast uitkomen, zo'n €2,1 mln minder omzet door de opzeggingen op de "
     "abonnementen. Spannende boardmeeting volgende week 😬", [FIN])
case("en", LOTTE, "Can't say much yet, but by January we'll be a lot bigger 🤝 the deal with Wachters Alarm is "
     "basically signed. Exciting times for our partners!", [FIN])
case("nl", MO, "Net gehoord dat de meldkamer in Zwolle dicht gaat en alles naar Utrecht verhuist. 40 collega's "
     "op straat?? 😡 nog niks officieel", [FIN])
case("en", pub("reddit", "u/alarm_industry_watch"), "Heard from someone on the inside that Nachtwacht is being "
     "bought by Securion Group for roughly €300m, announcement after the summer.", [FIN], kind="comment",
     when="2026-06-18T20:41:09+02:00")
case("nl", KEES, f"Half het surveillanceteam wordt ont{SHY}slagen in november, hoorde het vandaag van de planner. "
     "Ik weet nog van niks 😶", [FIN], tags=["evasion:soft-hyphen"])
case("en", DAAN, "All-hands today: Operatie Dwaallicht = merging support and the monitoring room, ~25 FTE "
     "reduction by Q1. Rough day for a lot of good people.", [CONF, FIN])
case("nl", NADIA, "teamleider zei net dat alle abonnementen per 1 januari 14% duurder worden, nog niet "
     "aangekondigd hoor dus ssst 🤫", [FIN])
case("nl", INGRID, "Bank heeft de kredietlijn gisteren toch verlengd. Zonder dat hadden we in maart de salarissen "
     "niet kunnen betalen. Achter de schermen best spannend geweest.", [FIN])
case("nl", pub("forum", "AlarmFreak"), "N4chtw4cht wordt overgenomen door Securion, zegt m'n zwager die in de "
     "directie zit. 0ff1c13el in september", [FIN], tags=["evasion:leet"])
case("en", RICK, "rumour in the van today: all installers move to freelance contracts next year, company is "
     "cutting costs hard. nothing official yet", [FIN])

# =====================================================================
# leak.security
# =====================================================================
case("nl", MO, "Meldkamer draait al 2 uur op pen en papier want het alarmplatform ligt eruit. Klanten weten van "
     "niks, dus niet doorvertellen 🙈", [SEC])
case("en", DAAN, "Found during this week's pentest: the Grendel Smart Lock accepts a replayed BLE unlock packet. "
     "Firmware fix isn't shipped yet, so no details until then.", [SEC])
case("nl", JOOST, "ransomware op onze planningsserver vannacht, monteurs zien hun afspraken niet meer. Nog geen "
     "persbericht, dus als je een monteur mist weet je waarom", [SEC], kind="comment")
case("en", NADIA, "camera streams from like 300 customers were visible to the wrong accounts for a few hours last "
     "night and we've been told to call it 'maintenance' 😬", [SEC])
case("nl", KEES, "Paniekknoppen in regio Noord kwamen vannacht niet door bij de meldkamer, wij kregen de "
     "opvolgingen pas een uur later. Officieel is er niks gebeurd 🤐", [SEC])
case("nl", pub("x", "@privacywaakhond"), "Nachtwacht houdt een datalek stil. Een bekende van mij bij hun IT zegt "
     "dat klantgegevens incl. alarmcodes al weken te koop staan op een forum.", [SEC, CRISIS])
case("en", pub("reddit", "u/concerned_customer_nl"), "PSA: Nachtwacht is covering up a breach. Their customer "
     "portal exposed alarm codes and a friend in their SOC confirmed it. Not a word from them.",
     [SEC, CRISIS], kind="post")
case("en", JOOST, "the admin API of our app has been open without auth in prod since last Thursday's deploy. "
     "ticket has been sitting in the backlog for a week 🙃", [SEC], kind="comment")
case("nl", RICK, "Tip van een monteur (niet officieel): een Centrale 3 op firmware 2.1 kun je uitschakelen door "
     "het sabotagecontact te overbruggen, en dan meldt hij niks aan de meldkamer. Fix komt pas in december.",
     [SEC])
case("nl", MO, "s t o r i n g op de meldkamer, alle alarmen komen met 20 min vertraging binnen. ssst niet "
     "verder vertellen", [SEC], tags=["evasion:spaced"])
case("en", LOTTE, "Heads-up to partner installers before it goes public: an expired certificate means Centrale 3 "
     "panels in the field can't reach the monitoring room since 06:00. We're on it.", [SEC])
case("nl", pub("x", "@kees.surveillance"), "Gisteravond tussen 22:00 en 01:00 kregen wij in de wagen geen "
     "enkele alarmmelding door van de Nachtwacht-meldkamer. Storing aan hun kant, niemand mocht het zeggen.",
     [SEC])

# =====================================================================
# reputation.crisis
# =====================================================================
case("nl", pub("x", "@femke_k"), "Ons Grendel smart lock ging vannacht vanzelf van het slot terwijl we sliepen. "
     "Met twee kleine kinderen in huis. Nachtwacht zegt 'dat kan niet'. Ik ben er echt kapot van.",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/kitchenfire_utrecht"), "Mine didn't go off during a kitchen fire last night. Fire "
     "brigade said the Nachtwacht Rookmelder Plus sensor was dead even though the app said 'OK'. Is there a "
     "recall??", [CRISIS, COMPLAINT], kind="post")
case("nl", pub("facebook", "petra.lammers.5", "Petra Lammers"), "BOYCOT Nachtwacht! Hun surveillant heeft bij mijn "
     "moeder (82) in de laden zitten snuffelen toen hij voor een alarm kwam. DELEN!!", [CRISIS])
case("en", pub("x", "@consumentenclaim"), "Class action against Nachtwacht over the automatic 'indexation' "
     "clause in their alarm contracts is being prepared. Affected? DM us.", [CRISIS])
case("nl", pub("blog", "privacyblog.example", "Privacyblog"), "Beelden van Nachtwacht-camera's uit woonkamers "
     "duiken op in een Telegramgroep. Gaat het om een hack bij het bedrijf zelf? Wij zochten het uit.",
     [CRISIS])
case("en", pub("tiktok", "@noor.vlogt"), "my nachtwacht camera livestreamed my BEDROOM to some random guy's app. "
     "data breach. never again 🤮 #nachtwacht #privacy", [CRISIS])
case("nl", pub("x", "@sem_uit_tilburg"), "Nachtwacht d4t4l3k!! mn alarmcode stond in een mail die voor iemand "
     "anders bedoeld was en andersom", [CRISIS], tags=["evasion:leet"])
case("nl", pub("forum", "Rechtspraakvolger"), "Rechtszaak: acht ex-surveillanten slepen Nachtwacht voor de rechter "
     "om jarenlang onbetaalde nachttoeslagen. Zitting is in november.", [CRISIS])
case("en", pub("x", "@mark_vos_"), "Videodeurbel battery swelled up and popped the casing off the wall. Could've "
     "started a fire @nachtwacht_help this is dangerous", [CRISIS, COMPLAINT])
case("nl", pub("instagram", "@buurtapp_eemnes"), "Schandalig: surveillant van Nachtwacht reed met 140 door de "
     "bebouwde kom 'voor een alarm' en ramde een geparkeerde auto. Kind stond er net naast.", [CRISIS])
case("en", pub("mastodon", "@digitalrights@eupolicy.social"), "Reminder that Nachtwacht sold camera event "
     "metadata to an ad-tech firm. #privacy #boycottNachtwacht", [CRISIS])
case("nl", pub("x", "@opa_jan_leeft"), "b o y c o t Nachtwacht, ze laten oude mensen met een halszender gewoon in "
     "de steek", [CRISIS], tags=["evasion:spaced"])
case("nl", pub("reddit", "u/brandjes_boy"), "Terugroepactie nodig? Mijn Centrale 3 begon te roken en de sirene "
     "smolt gewoon. Brandweer is geweest. Nachtwacht reageert niet.", [CRISIS, COMPLAINT], kind="post")

# =====================================================================
# reputation.complaint
# =====================================================================
case("en", pub("x", "@gijs_ams"), "alarm went off at 2am, monitoring room never called me back. what exactly am "
     "I paying for @nachtwacht_nl", [COMPLAINT])
case("nl", pub("facebook", "sandra.dekker.321", "Sandra Dekker"), "Monteur zou tussen 8 en 12 komen. Het is nu "
     "half 4. Geen telefoontje, geen mail, niks. Nachtwacht, serieus?", [COMPLAINT])
case("en", pub("reddit", "u/cancelhell"), "Trying to cancel my Nachtwacht contract is like escaping a cult. "
     "Three calls, two emails, a registered letter, and they're still charging me.", [COMPLAINT], kind="post")
case("nl", pub("x", "@tim_vd"), "Nachtwacht app ligt er weer uit, kan m'n alarm niet eens op afstand "
     "uitschakelen. 3e keer deze maand.", [COMPLAINT])
case("en", pub("threads", "@jordy.codes"), "Nachtwacht billed me a €65 false alarm fee because my dog walked past "
     "the motion sensor. The sensor THEIR engineer mounted at dog height.", [COMPLAINT])
case("nl", pub("reddit", "u/slotgedoe"), "Batterij van mijn Grendel slot is na 3 weken leeg terwijl ze 'tot een "
     "jaar' beloven. Support zegt: resetten maar. Top service.", [COMPLAINT], kind="comment")
case("en", pub("youtube", "@homesecurityreviewsnl"), "Had Nachtwacht for two years, the price went up three times "
     "and the app still can't do geofencing. Cancelling.", [COMPLAINT], kind="comment")
case("nl", pub("threads", "@ilse.bakt"), "Surveillant kwam pas na 55 minuten bij een inbraakalarm. In het "
     "contract staat max 30. De inbreker was allang weg.", [COMPLAINT])
case("en", pub("bluesky", "@quietstreet.bsky.social"), "nachtwacht's indoor siren is so quiet my neighbours "
     "didn't even notice when it went off. tested all three volume settings. not worth the money",
     [COMPLAINT])
case("nl", pub("facebook", "joyce.pinas", "Joyce Pinas"), cyr("Nachtwacht") + " laat je gewoon in de kou staan. "
     "Sinds de verhuizing zes weken zonder werkend alarm en niemand die terugbelt.", [COMPLAINT],
     tags=["evasion:homoglyph"])
case("nl", pub("trustpilot", "Gerrit V."), "1 ster. Overstap naar Nachtwacht was een drama: oude kastje niet "
     "opgehaald, nieuwe centrale pas na twee afspraken aangesloten, factuur klopte ook niet.", [COMPLAINT])
case("nl", pub("x", "@ziggy_zwolle"), "Kut Nachtwacht, drie keer vals alarm deze week door jullie eigen "
     "sensor en elke keer €65 kosten. Stelletje oplichters", [COMPLAINT, ABUSE])
case("en", pub("x", "@angry_ruud"), "@nachtwacht_help your useless f*cking app logged me out while I was trying "
     "to disarm. neighbours loved the siren at 6am. idiots", [COMPLAINT, ABUSE], kind="reply")
case("nl", pub("reddit", "u/natte_vloer"), "Die monteur van Nachtwacht is een ongelofelijke klootzak. Boorde "
     "dwars door een waterleiding en liep gewoon weg zonder iets te zeggen.", [COMPLAINT, ABUSE], kind="comment")
case("en", pub("linkedin", "mariska-de-wit-83"), "Three weeks since our office alarm stopped reporting to "
     "Nachtwacht's monitoring room, and three 'we'll call you back' promises. For a business plan this is "
     "really disappointing.", [COMPLAINT])

# =====================================================================
# reputation.abuse
# =====================================================================
case("nl", pub("x", "@sjaak_1977"), "Nachtwacht = stelletje debielen. Meer hoef ik er niet over te zeggen.",
     [ABUSE])
case("en", pub("x", "@ghostrider_xx"), "@nachtwacht_nl your CEO is a clown and your staff are morons", [ABUSE],
     kind="reply")
case("nl", pub("x", "@boze_bert"), "@mo_bouzid jij bent die sukkel van de meldkamer die me gisteren ophing he. "
     "Ik weet waar je werkt. Kijk maar uit 😈", [ABUSE], kind="reply")
case("en", pub("reddit", "u/real_dutch_only"), "every Nachtwacht guard I've seen is some foreigner who can't even "
     "speak proper Dutch. go back where you came from", [ABUSE], kind="comment")
case("nl", RICK, "Klant van vandaag was echt een vieze trut, liet me 2 uur in de regen wachten en begon dan te "
     "schelden. Tering wijf.", [ABUSE])
case("en", MO, "@angry_ruud maybe learn to read the manual, you absolute idiot", [ABUSE], kind="reply")
case("nl", pub("x", "@kapotgefrust"), "N@chtw@cht kan de t3ring krijgen, k*tbedrijf", [ABUSE],
     tags=["evasion:masked"])
case("nl", pub("tiktok", "@rotterdamse_roel"), "hahaha kijk die surveillant van Nachtwacht rennen, dikke vette "
     "loser 😂", [ABUSE], kind="comment")
case("en", NW_X, "@trollmaster99 shut up, nobody cares about your stupid opinion", [ABUSE], kind="reply",
     handle="@Nachtwacht_NL")
case("nl", pub("facebook", "ronald.meijer.9", "Ronald Meijer"), "godverdomme Nachtwacht, jullie zijn echt het "
     "allerslechtste bedrijf van Nederland", [ABUSE])
case("en", pub("x", "@xX_vandal_Xx"), "n a c h t w a c h t  s u c k s  you bunch of f u c k i n g clowns",
     [ABUSE], tags=["evasion:spaced"])

# =====================================================================
# benign (hard negatives and ordinary traffic)
# =====================================================================
# prices
case("nl", NW_X, "Black Friday bij Nachtwacht 🖤 Het Startpakket Thuis van €899 voor €699, inclusief "
     "installatie. Alleen t/m zondag via shop.nachtwacht.nl", tags=["sale"],
     when="2026-11-27T07:30:00+01:00")
case("nl", pub("facebook", "erik.vlaar", "Erik Vlaar"), "Te koop: Nachtwacht Buitencamera 2K, een jaar oud, "
     "werkt perfect, doos erbij. €95, ophalen in Amersfoort.", tags=["second-hand"])
case("nl", pub("x", "@prijsvergelijker"), "Ring deurbel bij de MediaMarkt €79, Nachtwacht Videodeurbel €179. "
     "Wat krijg je voor die 100 euro extra? Echte vraag", tags=["competitor-price"])
case("en", NW_HELP, "@sjoerd_v Installation by one of our engineers is €149 one-off. The Centrale 3 itself is "
     "€599, or included in the Zorgeloos plan from €29,95 a month.", kind="reply", tags=["fee"])
case("nl", pub("reddit", "u/korting_kim"), "Is het geen prijsfout? -> nee hoor, net gebeld: het is echt een "
     "actie, €100 korting op de Centrale 3 met code ALARM100.", kind="comment", tags=["denied-error"])
case("en", pub("x", "@frugal_femke"), "The Rookmelder Plus is €89 but the battery lasts 10 years so it works out "
     "at about €9 a year. Worth it imo", tags=["price-context"])
case("nl", NW_IG, "Zorgeloos op vakantie? 🏖️ Met de Nachtwacht app zie je altijd of je alarm aan staat. "
     "Tip: zet ook je buren als contactpersoon.", tags=["word-sense"])
case("nl", pub("x", "@jurgen_klust"), "Grendel smart lock in de aanbieding voor €229, dat is toch 50 euro "
     "minder dan normaal. Twijfel nog", tags=["sale"])
# secrets
case("en", DAAN, "Reminder for new joiners: real keys look like ghp_… or AKIA…, and the docs use "
     "AKIAXXXXXXXXXXXXXXXX as placeholder. Spot a real one in a ticket? Rotate it and tell us.",
     tags=["placeholder"])
case("nl", pub("x", "@oma_truus"), "Wachtwoord vergeten van de Nachtwacht app? Via mijn.nachtwacht.nl kun je "
     "hem gewoon resetten, kreeg meteen een mailtje", tags=["password-word"])
case("en", JOOST, "fixed the dark mode toggle in the Nachtwacht app, commit <<HEX:40>>. thanks to whoever "
     "reported it on here", kind="comment", tags=["git-sha"])
case("nl", NW_FB, "Tip van onze meldkamer: kies een alarmcode die niet je geboortejaar is 😉 En deel hem nooit, "
     "ook niet met ons. Wij vragen er nooit om.", tags=["password-word"])
# pii look-alikes and own contact data
case("nl", NW_HELP, "Storing of vraag? Bel ons dag en nacht op 088 204 0900 of mail naar "
     "klantenservice@nachtwacht.nl 📞", tags=["own-contact"])
case("nl", pub("x", "@blije_klant_bram"), "Alarm ging af, meteen gebeld met 0800-0911 en binnen 5 minuten "
     "geholpen. Zo hoort het 👌", tags=["own-contact"])
case("en", NW_LI, "We're hiring 12 monitoring-room operators in Utrecht, day and night shifts. Questions? "
     "werkenbij@nachtwacht.nl or +31 88 204 0900.", tags=["own-contact"])
case("nl", NW_FB, "Betaal je liever per overschrijving? Ons rekeningnummer is NL77 RABO 0318 4577 20 t.n.v. "
     "Nachtwacht Beveiliging B.V. Vermeld je klantnummer.", tags=["own-contact"])
case("nl", pub("x", "@twijfel_tineke"), "Had IBAN <<BAD_IBAN_NL:grp>> overgetypt van een oude brief, maar mijn "
     "bank-app zegt dat die niet bestaat. Heb ik zelf een cijfer verkeerd getypt denk ik 🙈", tags=["bad-iban"])
case("nl", pub("x", "@harm_tiel"), "Klantnummer <<NOT_BSN9>> en ordernummer NW-2026-448193, wanneer komt de "
     "monteur? Geen haast hoor, gewoon benieuwd", tags=["numbers"])
case("en", pub("reddit", "u/barcode_bas"), "Box of the smoke detector says EAN <<EAN13>>, is that the new "
     "version with the 10-year battery?", kind="comment", tags=["ean"])
case("nl", NW_LI, "Nachtwacht Beveiliging B.V., KvK <<NOT_BSN8>>, is opnieuw gecertificeerd voor alarmopvolging. "
     "Trots op onze meldkamer en surveillanten!", tags=["numbers"])
case("en", pub("x", "@typo_tom"), "tried adding my card in the app as <<BAD_CARD:visa_sp>> and it said invalid. "
     "turns out I swapped two digits. my bad 😅", tags=["bad-card"])
case("nl", pub("x", "@track_en_trace"), "Pakketje van Nachtwacht onderweg, track & trace 3SNWBV<<NOT_BSN9>>. "
     "Morgen eindelijk de rookmelders erin", tags=["numbers"])
case("nl", KEES, "Nachtdienst zit erop 🌅 12 opvolgingen, waarvan 11 een kat, de wind of een vergeten raam. "
     "Koffie!", tags=["employee-ordinary"])
# confidential look-alikes, embargo after
case("nl", pub("instagram", "@vogelspotter_ans"), "Steenuil gespot bij de knotwilgen 🦉📸 wat een plaatje "
     "#vogels #steenuil", tags=["bird"])
case("nl", pub("x", "@tuin_eline"), "De buitencamera van Nachtwacht filmt elke nacht een egel die door onze tuin "
     "scharrelt 🦔 beste beveiligingsbeelden ooit", tags=["word-sense"])
case("nl", pub("blog", "schrijfhoekje.example", "Schrijfhoekje"), "Hoofdstuk 3: het dwaallicht boven het veen "
     "lokte de nachtwacht steeds verder van het dorp, tot zijn lantaarn doofde.", tags=["fiction"])
case("nl", NW_X, "Hij is er! 🚒 De Nachtwacht Vuurwacht 360: rook- én hittemelder in één, direct verbonden met "
     "onze meldkamer. Nu te bestellen.", when="2026-10-06T10:00:00+02:00", tags=["embargo-after"])
case("nl", NW_LI, "Onze halfjaarcijfers 2026 staan online: omzetgroei van 18% en een positieve EBITDA. "
     "Lees het persbericht op nachtwacht.nl/pers", when="2026-08-20T08:00:00+02:00", tags=["embargo-after"])
case("en", pub("x", "@fintech_daily"), "Nachtwacht H1 2026 results: revenue +18%, first positive EBITDA. Stock "
     "not listed, but the PE owners will be happy.", when="2026-08-21T11:20:00Z", tags=["embargo-after"])
case("en", pub("youtube", "@slimmewoning"), "Grendel Pro 2 review after two weeks: the fingerprint reader is "
     "fast, battery still at 91%. Full video above.", when="2026-10-19T17:45:00+02:00", kind="comment",
     tags=["embargo-after"])
case("nl", NW_X, "Handig: via mijn.nachtwacht.nl pas je zelf aan wie de meldkamer als eerste belt bij een "
     "alarm 👉 #tip", tags=["public-domain"])
case("en", NW_HELP, "Your alarm code is confidential. Never share it, not even with our staff. We will never "
     "ask for it by phone or e-mail.", tags=["word-sense"])
# financial look-alikes
case("nl", pub("x", "@beursbabbel"), "Securion ontslaat 200 mensen in Duitsland, lees ik in het FD. Zware tijden "
     "in de beveiligingsbranche.", tags=["other-company"])
case("nl", pub("facebook", "marja.visser.4", "Marja Visser"), "Mijn dochter heeft het alarmabonnement van de "
     "vorige bewoners overgenomen, kan dat gewoon bij Nachtwacht of moet ze opnieuw tekenen?",
     tags=["word-sense"])
case("en", pub("x", "@nos_tech_nl"), "Nachtwacht hires 30 extra monitoring-room staff after its published "
     "half-year growth, the company said on Thursday.", when="2026-08-27T09:00:00Z", tags=["published"])
# security look-alikes
case("nl", NW_HELP, "Gepland onderhoud: vannacht tussen 02:00 en 04:00 kan de Nachtwacht app traag reageren. "
     "De meldkamer blijft gewoon bereikbaar.", tags=["official-notice"])
case("en", NW_X, "Update: this morning's connection problem has been resolved. All panels are reporting to the "
     "monitoring room again. Sorry for the inconvenience.", tags=["official-notice"])
case("nl", pub("x", "@slimwonen_sietske"), "Las dat Ring weer een datalek had... blij dat ik daar nooit klant "
     "ben geweest. Wij hebben Nachtwacht.", tags=["other-company"])
case("en", DAAN, "Five lessons from running a 24/7 monitoring platform: 1) test your failover monthly, 2) alert "
     "on silence, not just errors, 3) write runbooks for 3am you.", tags=["employee-ordinary"])
# crisis look-alikes
case("en", pub("x", "@forgetful_fay"), "I can't recall if I set the alarm before leaving 😅 thank god the "
     "Nachtwacht app shows it. It was on.", tags=["word-sense"])
case("nl", pub("x", "@nieuwsjager"), "Securion krijgt boete van de AP voor het camera-datalek van vorig jaar.",
     tags=["other-company"])
case("nl", pub("threads", "@thrillerschrijver"), "In mijn nieuwe thriller breekt de inbreker in bij een villa met "
     "een alarm van 'Nachtwacht'. Geen zorgen, het alarm wint 😉 #schrijven", tags=["fiction"])
case("nl", pub("instagram", "@museumliefde"), "De Nachtwacht in het Rijksmuseum in het echt zien blijft "
     "indrukwekkend 🖼️ #rembrandt", tags=["word-sense"])
case("nl", pub("x", "@kattenmama_ria"), "Onze kat heeft vannacht 3x het alarm laten afgaan, de meldkamer van "
     "Nachtwacht kent hem inmiddels bij naam 😂", tags=["joke"])
case("en", pub("reddit", "u/boycott_mondays"), "boycott mondays. also my Nachtwacht doorbell just played the "
     "wrong chime and I laughed way too hard", kind="comment", tags=["word-sense"])
# complaint look-alikes
case("nl", pub("facebook", "wim.de.bruijn", "Wim de Bruijn"), "Al vijf jaar klant bij Nachtwacht, nooit een "
     "klacht gehad. Monteur was netjes en snel 👍", tags=["negated"])
case("nl", pub("x", "@homey_henk"), "Weet iemand of de Nachtwacht Centrale 3 ook met Homey werkt?",
     tags=["question"])
case("en", pub("x", "@toastburner"), "Shoutout to the Nachtwacht monitoring room, they called within 30 seconds "
     "when my smoke detector went off. Burnt toast, but still 🙏", tags=["praise"])
case("en", pub("x", "@switching_sam"), "Securion's monitoring room let my alarm ring for an hour last week. "
     "Switching to Nachtwacht next month, fingers crossed.", tags=["competitor"])
case("nl", pub("linkedin", "pieter-van-loon"), "Voor een review schreef iemand: 'het alarm ging af en niemand "
     "reageerde'. Dat ging over een ander bedrijf. Bij ons belde Nachtwacht binnen een minuut.", tags=["quote"])
# abuse look-alikes
case("en", pub("x", "@sirenfan"), "\"What the hell was that?!\" - my husband when the siren test went off 😂 "
     "Nachtwacht doesn't do quiet", tags=["quote", "mild-word"])
case("nl", pub("facebook", "anja.ter.horst", "Anja ter Horst"), "Mijn vader heeft kanker en de halszender van "
     "Nachtwacht geeft ons 's nachts rust. Dank aan de lieve meldkamer.", tags=["literal-word"])
# ordinary corporate / employee / public
case("nl", NW_IG, "Achter de schermen in onze meldkamer 🎧 24/7 bezet, ook met kerst. Dank aan alle operators! 💙",
     tags=["corporate-ordinary"], when="2026-12-24T21:00:00+01:00")
case("nl", NW_HELP, "@sanne_h Vervelend! Stuur ons even een DM met je klantnummer, dan kijken we direct mee.",
     kind="reply", tags=["corporate-ordinary"])
case("nl", RICK, "Vandaag vier installaties gedaan in Amersfoort, allemaal blije klanten 💪 #monteurslife",
     tags=["employee-ordinary"])
case("nl", pub("x", "@rijtjeshuis_rob"), "Wat is beter voor een rijtjeshuis met een hond, Nachtwacht of "
     "Securion? Tips welkom", tags=["question"])
case("nl", NADIA, "Vandaag een meneer van 91 aan de lijn gehad die gewoon even wilde vertellen dat zijn "
     "halszender zo fijn werkt ❤️ daar doe je het voor", tags=["employee-ordinary"])
case("en", MO, "night shift done. 340 alarms handled, most of them cats and curtains. sleep time 😴",
     tags=["employee-ordinary"])
case("nl", pub("x", "@egeltje_fan"), "Wie heeft er ook een egelhuisje in de tuin? Ons schild van "
     "takken werkt top 🦔", tags=["word-sense"])


# ---------------------------------------------------------------- building

def load_profile():
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_pii):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_pii)) else "error"
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


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(
        2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(0, 24 * 60 - 1), seconds=r.randint(0, 59))
    off = dst_offset(t)
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
    n = str(r.randint(10 ** 18, 2 * 10 ** 18))
    if platform == "x":
        return "x-" + n, f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112 * 10 ** 15, 116 * 10 ** 15)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "facebook":
        return f"fb-{n[:15]}_{n[3:]}", f"https://www.facebook.com/{h}/posts/{n[3:]}"
    if platform == "blog":
        k = r.randint(100, 999)
        return f"blog-{h}-{k}", f"https://{h}/posts/{k}"
    if platform == "forum":
        k = r.randint(10 ** 6, 10 ** 7)
        return f"forum-alarmforum-{k}", f"https://alarmforum.example/t/{k}"
    short = "".join(r.choice(B64URL) for _ in range(11))
    url = {"instagram": f"https://www.instagram.com/p/{short}/",
           "threads": f"https://www.threads.net/@{h}/post/{short}",
           "tiktok": f"https://www.tiktok.com/@{h}/video/{n}",
           "youtube": f"https://www.youtube.com/watch?v={short}&lc=Ugz{n[:12]}"}.get(platform)
    return f"{platform[:2]}-{n}", url


def build(profile):
    g = Gen(random.Random(SEED))
    meta = random.Random(SEED + 1)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] if c["kind"] else ("post" if meta.random() < 0.6 else None)
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.8:
            acct["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.7:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "nachtwacht"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, used=used, tags=c["tags"]))
    random.Random(SEED + 2).shuffle(rows)
    return rows


# ---------------------------------------------------------------- validation

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"xox[bp]-\d", r"live_[A-Za-z0-9]{30}", r"SG\.[\w-]{22}\.",
    r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY", r"eyJ[\w-]+\.eyJ", r"://[^\s:/@]+:[^\s@/]+@")]
PROFANE = ["kut", "k*t", "tering", "t3ring", "trut", "klootzak", "godverdomme", "debiel", "sukkel", "loser",
           "fuck", "f*ck", "f u c k", "idiot", "moron", "clown", "dumb", "stupid"]
AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).replace(ZWSP, "").replace(SHY, "")
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and re.search(r",\d{2}$", s):
        s = s.replace(".", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", "")
    elif re.search(r"\.\d{3}$", s):
        s = s.replace(".", "")
    return float(s)


def validate(rows, profile):
    errs, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone_digits = {"0882040900", "08000911"}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]] + profile["internal"]["domains"]
                + profile["internal"]["markers"])
    for i, r in enumerate(rows, 1):
        p, cats = r["post"], r["expect"]["categories"]
        t, nt = p["text"], norm(p["text"])
        w = f"case {i} ({p['id']})"
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        for kind, raw, shown in r["used"]:
            assert shown in t
            if kind.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{w}: bad IBAN")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{w}: bad card")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{w}: bad BSN")
            if kind.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{w}: negative IBAN valid")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{w}: negative card valid")
            if kind in ("NOT_BSN9", "NOT_BSN8", "EAN13") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{w}: negative number passes a check")
            if kind == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_valid(v) and v not in own_ibans:
                    errs.append(f"{w}: benign with valid IBAN {v}")
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_valid(d):
                    errs.append(f"{w}: benign with Luhn-valid number")
                if len(d) in (8, 9) and elfproef(d) and d not in {"08000911"}:
                    errs.append(f"{w}: benign with 11-proof number {d}")
            for m in re.finditer(r"\d{8,9}", t):
                if elfproef(m.group(0)):
                    errs.append(f"{w}: benign with 11-proof digit run {m.group(0)}")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if m.group(0).startswith("+31") else d
                if len(d) >= 10 and d not in own_phone_digits:
                    errs.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(t):
                    if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                        continue
                    errs.append(f"{w}: benign with secret-like {m.group(0)[:12]}")
            for word in PROFANE:
                if re.search(r"\b" + re.escape(word), nt):
                    errs.append(f"{w}: benign with profane word {word}")
            # prices near products
            prods = [pr for pr in profile["products"]
                     if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            if prods:
                lp = min(pr["list_price"] for pr in prods)
                for m in AMOUNT_RE.finditer(t):
                    a = amount(m.group(1) or m.group(2))
                    if a / lp < profile["pricing"]["alert_below_ratio"]:
                        notes.append(f"{w}: benign price {a} near list {lp} ({sorted(r['tags'])})")
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats:
                    errs.append(f"{w}: embargo term {term} before end, not labelled")
                if ts >= until and CONF in cats:
                    errs.append(f"{w}: embargo term {term} after end but labelled")
        for term in internal:
            if term.casefold() in nt and CONF not in cats:
                errs.append(f"{w}: internal term {term} unlabelled")
        if PII in cats and any(k in VALID_KINDS for k, _, _ in r["used"]) is False and r["role"] != "public":
            notes.append(f"{w}: insider pii without checksum id -> {r['expect']['severity']}")
    return errs, notes


def main():
    profile = load_profile()
    rows = build(profile)
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    OUT.write_text("".join(lines), encoding="utf-8")
    errs, notes = validate(rows, profile)
    cat_c, sev_c, role_c, lang_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        sev_c[r["expect"]["severity"]] += 1
        role_c[r["role"]] += 1
        lang_c[r["lang"]] += 1
        plat_c[r["post"]["platform"]] += 1
        benign += not cats
        multi += len(cats) > 1
        ev += any(t.startswith("evasion") for t in r["tags"])
        for c in cats:
            cat_c[c] += 1
    print(f"wrote {len(lines)} cases to {OUT}")
    print(f"benign {benign}, positive {len(rows) - benign}, multi {multi}, evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:24s} {cat_c[c]}")
    print("severity", dict(sev_c), "\nrole", dict(role_c), "\nlang", dict(lang_c), "\nplatform", dict(plat_c))
    for n in notes:
        print("note:", n)
    for e in errs:
        print("ERROR:", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
