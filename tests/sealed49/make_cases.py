#!/usr/bin/env python3
"""Deterministic generator for the sealed49 blind evaluation set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Polderpuls Festivals B.V. (fictional Dutch music-festival organiser), see
profile.yaml next to this file.

Every post text is written by hand in CASES below. Identifiers and secrets come from
placeholders such as <<IBAN_NL:grp>> filled by one seeded RNG, so the output is
byte-for-byte reproducible. Positives get checksum-VALID identifiers; benign near-misses
get identifiers that FAIL their checksum. Secrets are random and fake, but have the
shape of the real thing.

Severity is never typed by hand: severity_for() derives it from CONTRACT section 4,
using the account role looked up in profile.yaml (platform:handle, case-insensitive),
the categories, and whether a checksum-validated identifier (IBAN, card, BSN) is in
the post.
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

SEED = 49_2026_0711
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATEGORIES = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZWSP = "\u200b"
SHY = "\u00ad"
CYR_E = "\u0435"   # Cyrillic small ie, looks like Latin e


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
    if not d:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return tot % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_valid(prefix + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) + d[12]) % 10 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL57RABO0304127785"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def by4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
                           + self.dig(10, lead=True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_build("DE", self.r.choice(["10010010", "37040044", "50070010", "60050101"]) + self.dig(10))

    def iban_be(self):
        head = self.r.choice(["001", "063", "143", "310", "735"]) + self.dig(7)
        return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")

    def broken_iban(self, good):
        for step in (7, 19, 31, 43):
            cand = f"{good[:2]}{(int(good[2:4]) + step) % 100:02d}{good[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError(good)

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
        raise ValueError(brand)

    def broken_card(self, brand):
        good = self.card(brand)
        bad = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ".join(parts), "dash": "-".join(parts), "c": v}[style]

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9, lead=True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, lead=True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            full = next(body + c for c in "0123456789" if ean13_valid(body + c))
            if not luhn_valid(full):
                return full

    # phones (never the company's own)
    def phone(self, style):
        m = self.r.choice("1234568") + self.dig(7)          # 8 digits after 06
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_0031": f"0031-6-{m}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while n:
            n, k = divmod(n, 62)
            enc = B62[k] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def stripe(self):
        return "sk_live_51" + self.pick(AN, 60)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def sendgrid(self):
        return f"SG.{self.pick(B64U, 22)}.{self.pick(B64U, 43)}"

    def openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.r.choice("!#$%&*?") + self.pick(string.digits, 3) + self.pick(AN, 3))


VALIDATED_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(f, kind.lower())()
            shown = f.by4(raw) if fmt == "grp" else raw
        elif kind == "BAD_IBAN_NL":
            raw = f.broken_iban(f.iban_nl())
            shown = f.by4(raw) if fmt == "grp" else raw
        elif kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = f.card(brand) if kind == "CARD" else f.broken_card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif kind == "NOT_BSN9":
            shown = raw = f.not_bsn(9)
        elif kind == "NOT_BSN8":
            shown = raw = f.not_bsn(8)
        elif kind == "EAN13":
            shown = raw = f.ean13()
        elif kind == "PHONE":
            shown = raw = f.phone(fmt)
        elif kind == "GHP":
            shown = raw = f.ghp()
        elif kind == "MOLLIE":
            shown = raw = f.mollie()
        elif kind == "STRIPE":
            shown = raw = f.stripe()
        elif kind == "AWS_ID":
            shown = raw = f.aws_id()
        elif kind == "AWS_SECRET":
            shown = raw = f.aws_secret()
        elif kind == "SLACK_HOOK":
            shown = raw = f.slack_hook()
        elif kind == "SENDGRID":
            shown = raw = f.sendgrid()
        elif kind == "OPENSSH":
            shown = raw = f.openssh()
        elif kind == "PW":
            shown = raw = f.password()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
PP_X = ("x", "@polderpuls", "Polderpuls")
PP_HELP = ("x", "@polderpuls_help", "Polderpuls Klantenservice")
DD_IG = ("instagram", "@dijkdans.festival", "Dijkdans Festival")
VV_IG = ("instagram", "@veenvuurfestival", "Veenvuur Festival")
PP_FB = ("facebook", "PolderpulsFestivals", "Polderpuls Festivals")
PP_LI = ("linkedin", "polderpuls-festivals", "Polderpuls Festivals B.V.")
PP_TT = ("tiktok", "@polderpuls", "Polderpuls")
# employees
MV = ("x", "@merel_tickets", "Merel Visser")                    # ticketing & resale
DH = ("linkedin", "daan-hoekstra-finance", "Daan Hoekstra")     # finance controller
BL = ("x", "@bram_productie", "Bram van der Linde")             # site production
YK = ("instagram", "@yara.booking", "Yara Koster")              # programming / booking
SM = ("linkedin", "sven-mulder-pulspay", "Sven Mulder")         # cashless platform engineer
KJ = ("x", "@kimdejong_safety", "Kim de Jong")                  # security & safety
JO = ("reddit", "u/joost_pp_dev", "joost_pp_dev")               # app developer
LT = ("threads", "@lotte.crewcoord", "Lotte Terpstra")          # volunteer coordinator


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, month=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, month=month, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MV, "eeeh collega's?? 😬 het Dijkdans weekendticket staat in de shop voor €18,90 ipv €189. "
     "iemand heeft bij de prijsimport een nul laten vallen. ticketing is ermee bezig maar er zijn er al een stuk of 300 weg",
     [PRICING], month=2)
case("en", BL, "not my department but fyi: the Veenvuur combiticket checkout has been charging 24.90 instead of 249 "
     "since this morning's fee update. ticket team knows, pls stop DMing me about it", [PRICING], kind="reply", month=4)
case("nl", pub("x", "@nachtbrakerr_", "nachtbraker"),
     "RENNEN 🏃‍♀️🏃‍♂️ Nachtpolder nachtticket voor €6,25 in de app, dat moet een prijsfout zijn toch?? heb er al 4 lol #nachtpolder",
     [PRICING], month=9)
case("en", pub("reddit", "u/festivalfrugal"),
     "PSA: the Veenvuur glamping bell tent is listed at €46.50 on tickets.polderpuls.nl right now. Pretty sure they meant 465. "
     "Book it before someone notices (they might cancel, no idea)", [PRICING], month=3)
case("nl", PP_FB, "Nieuw in de merchshop 🧡 De Dijkdans Hoodie 2026 nu voor maar €5,99! Op = op. Bestellen via polderpuls.nl/shop",
     [PRICING], month=5)
case("nl", YK, "oké ik zeg niks maar er zit een p r i j s f o u t in het Dijkdans dagticket, staat op 9,45 😭 wie snel is...",
     [PRICING], tags=["evasion"], month=3)
case("en", pub("tiktok", "@lotsoflasers", "lasers & lemonade"),
     "guys the Dijkdans weekender is €19 on the app rn 😭😭 pricing glitch or early xmas?? go go go", [PRICING], month=1)
case("en", JO, "dev here (yes, at polderpuls). the comfort camping upgrade showing €8,50 is a rounding bug in the new checkout, "
     "we know. please don't spam it in every thread 🙏", [PRICING], kind="comment", month=6)
case("nl", pub("facebook", "Marloes Wijnberg", "Marloes Wijnberg"),
     "Heeft iemand anders ook de Veenvuur parkeerkaart voor 3 euro kunnen kopen? Volgens mij ging er iets fout met de prijs "
     "want vorig jaar was het 30", [PRICING], month=7)
case("en", pub("x", "@ravebird_nl"),
     "Dïjkdans wëekendticket for €29?!?! someone at polderpuls is getting fired today 💀 priçe errör",
     [PRICING], tags=["evasion"], month=2)
case("en", MV, "Heads up before the screenshots start flying: the Nachtpolder ticket at €0,62 was a decimal slip in our "
     "ticketing backend. We'll honour max 2 per order, the rest gets refunded.", [PRICING], month=10)
case("nl", pub("instagram", "@sophie.danst"),
     "waarom is de Veenvuur combi in de app ineens €99?? is dat een foutje of een actie? vorige week nog 249",
     [PRICING], kind="comment", month=5)

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", SM, "Proud of how the team scaled PulsPay top-ups to 40k per minute this summer 🚀 For the nerds, the env that made it work:\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nREDIS_URL=redis://default:<<PW>>@10.20.4.12:6379\nWORKERS=48\n\n#fintech #festivals #scaling",
     [SECRET], month=9)
case("en", JO, "if anyone from the team reads this: the slack webhook is hardcoded in the gate-scanner repo and that repo is public 🙃 "
     "<<SLACK_HOOK>>", [SECRET], kind="comment")
case("nl", BL, "wifi productiekantoor Dijkdans: PP-Prod-5G\nwachtwoord: <<PW>>\nniet rondsturen he 😅 (ja verkeerde app, ik weet het)",
     [SECRET], month=6)
case("en", MV, "@sven_mulder the token for the swap api is <<GHP>> can you check if it still has write access? 🙏",
     [SECRET], kind="reply")
case("en", pub("x", "@dd_raver_ollie", "Ollie"),
     "someone pasted this in the Dijkdans discord #general 10 min ago: <<STRIPE>> ... is that yours @polderpuls? 👀",
     [SECRET], hint="")
case("en", SM, "AWS creds for the temp staging bucket (already rotated, relax):\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nShowing how we template these in Terraform 👇", [SECRET])
case("en", JO, "ssh into our gate scanners keeps failing with this key, permissions look fine. what am I missing?\n\n<<OPENSSH>>",
     [SECRET])
case("nl", LT, "Vrijwilligers Veenvuur!! 💛 Jullie rooster staat op backstage.polderpuls.nl/rooster\n"
     "inloggen met crew2026 / <<PW>>\nvragen? stuur mij even een berichtje", [SECRET, CONF], month=7)
case("en", DH, "Anyone know why Power BI won't refresh? this is the connection string we use:\n"
     "Server=tcp:sqlfin01.database.windows.net,1433;Database=budget;User ID=dhoekstra;Password=<<PW>>;Encrypt=true",
     [SECRET])
case("nl", pub("forum", "oud_vrijwilliger_22"),
     "lol het oude crewaccount werkt gewoon nog: gebruiker crew2025 wachtwoord <<PW>> 🤡 misschien eens opruimen Polderpuls",
     [SECRET])
case("en", pub("mastodon", "@svenm@fosstodon.org", "Sven"),
     "note to self: sendgrid key for the ticket mailer is <<SENDGRID>> — move it to the vault before monday",
     [SECRET], tags=["trap-handle-other-platform"])
case("nl", PP_TT, "POV: je bent stagehand op Dijkdans 🎧 (wifi backstage: DD-Crew / <<PW>>, graag gedaan 😂) "
     "#dijkdans #behindthescenes #festivallife", [SECRET], month=6)

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MV, "@polderpuls_help kunnen jullie deze even terugstorten? klant Sanne de Graaf, <<IBAN_NL:grp>>, "
     "bestelling 48213. dank!!", [PII], kind="reply")
case("nl", PP_HELP, "@jorisvk93 Hoi Joris! We zien je bestelling. Een collega belt je vandaag nog op <<PHONE:mob_dash>>, "
     "klopt dat nummer? ^Mo", [PII], kind="reply", handle_as="@Polderpuls_Help")
case("nl", KJ, "Gevonden bij de EHBO-post Veenvuur: rijbewijs van Ahmed Bouzid, geb. 14-08-1999, Kastanjelaan 12 in Assen. "
     "Kan opgehaald worden bij de infobalie 🙂", [PII], month=8)
case("nl", LT, "Shift zaterdag bar 3:\nNoor <<PHONE:mob_pairs>>\nTim <<PHONE:mob_intl_sp>>\n"
     "bel elkaar als je later bent, ik heb geen bereik op het terrein", [PII], month=8)
case("en", DH, "Accounts payable, please sort this: our lighting freelancer Lukas Brenner got paid into <<IBAN_DE>> "
     "instead of his new account. Third time this quarter 🙃", [PII])
case("en", JO, "customer card that keeps failing top-up: <<CARD:amex_sp>> exp 08/28, she swears it works everywhere else. "
     "any idea why the 3DS step loops?", [PII], kind="comment")
case("nl", PP_FB, "🎉 Winnaar van de VIP-upgrade: Femke Jansen, Lindelaan 4, 3514 AB Utrecht! We sturen je polsbandjes "
     "deze week op. Gefeliciteerd!!", [PII], handle_as="polderpulsfestivals")
case("nl", LT, "@bas.meijer haha je hebt je gegevens in de groepschat gegooid: BSN <<BSN:dots>>, rekening <<IBAN_NL>>. "
     "heb het doorgezet naar payroll maar haal het even weg joh", [PII], kind="reply")
case("en", YK, "Who can pick up DJ Mireille's tour manager at Schiphol tomorrow? Her number: <<PHONE:mob_intl0>>, "
     "flight KL1004 lands 14:20 ✈️", [PII], month=6)
case("en", MV, "if your transfer failed, DM me or email my colleague Rik directly at rik.bakker87@gmail.com, "
     "he's handling the backlog this week", [PII], handle_as="@MEREL_TICKETS")
case("nl", pub("x", "@daphne_k", "Daphne"),
     "@polderpuls_help opwaarderen mislukt maar wél afgeschreven!! kaart <<CARD:visa_sp>>, 2x €40. graag terugstorten",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Peter de Boer", "Peter de Boer"),
     "Nog steeds mijn restsaldo niet terug na 6 weken. Mijn rekening is <<IBAN_NL:grp>> t.n.v. P. de Boer, "
     "hoe moeilijk kan het zijn??", [PII, COMPLAINT], kind="comment")
case("en", pub("x", "@lisavrmr"),
     "@polderpuls_help hoodie order STILL not here. email lisa.vermeer2002@hotmail.com, phone <<PHONE:mob_plain>>, do something",
     [PII, COMPLAINT], kind="reply")
case("nl", pub("x", "@jeroenh_", "Jeroen"),
     "heeft iemand nog een Veenvuur combi over? mail me op j.hendriks [at] ziggo [punt] nl, betaal gewoon de normale prijs 👍",
     [PII], tags=["evasion"], month=6)
case("en", pub("reddit", "u/brusselsbass"),
     "the refund form asks for an IBAN, does a Belgian one work? mine is <<IBAN_BE:grp>>", [PII], kind="comment")
case("nl", pub("forum", "kampeerkoning"),
     "Waarom vraagt PulsSwap eigenlijk om je BSN? ik heb 'm gewoon ingevuld (<<BSN>>) maar achteraf twijfel ik",
     [PII])
case("en", pub("x", "@tomharding_", "Tom"),
     "lost my passport at the Veenvuur camping!! number NW8KR29P4, name Tom Harding. if you find it pls bring it to the info tent 🙏",
     [PII], month=8)

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", YK, "Kan nog niks zeggen maar… Solenne Vaart heeft getekend voor de mainstage 🤫🔥 #dijkdans",
     [CONF], when="2026-09-12T21:14:07+02:00")
case("en", pub("x", "@lightsnlasers"),
     "my cousin does lights for polderpuls and says Koud Kanaal is closing Dijkdans next year 👀👀",
     [CONF], when="2026-10-03T13:02:44Z")
case("nl", BL, "eerste plattegrond van Project Grutto op tafel gehad. drie podia aan de Westerschelde, camping op de dijk. wordt vet 👀",
     [CONF])
case("en", SM, "Last sprint we shipped the NFC firmware for Wadloper, our next-gen wristband. 4x faster tap-to-pay. "
     "Can't wait for you to see it!", [CONF])
case("nl", DH, "Stukje uit onze board update (alleen intern, maar deze is te leuk): 83% van de bezoekers betaalt nu "
     "binnen 2 seconden aan de bar ⚡", [CONF])
case("nl", MV, "wie heeft er nog de slides van Operatie\nStormvloed? moet ze voor vrijdag hebben en de drive doet raar",
     [CONF], tags=["evasion"])
case("nl", pub("tiktok", "@zeeuwsmeisje"),
     "wat is Project 🐦 Grutto?? stond op een bouwhek bij de dijk met een polderpuls logo erop", [CONF], tags=["evasion"])
case("en", KJ, f"briefing for crew leads: evac routes for V{CYR_E}{CYR_E}nvuur Wintereditie are in the shared drive, read before thursday",
     [CONF], when="2026-09-20T08:41:12+02:00", tags=["evasion"])
case("nl", PP_TT, "Iets warms voor de koude maanden… 🔥❄️ Veenvuur Wintereditie. Meer info om 10:00!",
     [CONF], when="2026-10-01T09:59:00+02:00", tags=["embargo-edge"])
case("nl", LT, f"Wad{ZWSP}loper testdag zaterdag! wie helpt mee 200 bandjes te scannen? pizza van de zaak 🍕",
     [CONF], tags=["evasion"])
case("nl", pub("x", "@sjoerdjansma"),
     fullwidth("polderpuls confidential") + " stond gewoon op de slides die ze bij de infobalie hadden laten liggen 😂 "
     "iets met een nieuw festival in Zeeland", [CONF], tags=["evasion"])
case("en", SM, "First production samples of the PulsPay Band 3 landed in the office today 📦 battery lasts the full 4-day festival",
     [CONF], when="2026-11-30T16:22:05.318Z")
case("nl", pub("instagram", "@merel_tickets", "Merel"),
     "psst… Solenne Vaart op Dijkdans volgend jaar 🤫 meer mag ik niet zeggen",
     [CONF], when="2026-10-20T22:05:51+02:00", tags=["trap-handle-other-platform"])
case("en", DH, "Operatie Stormvloed is a go: the board approved our bid for Kustgeluid Events (€7.4m). Big step for the team!",
     [CONF, FIN])
case("nl", KJ, "Voor de nieuwe stewards: het evacuatieplan staat op https://docs.intra.polderpuls.local/safety/veenvuur-evac.pdf "
     "(alleen via vpn bereikbaar)", [CONF], month=7)

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", DH, "Interne prognose: Veenvuur sluit dit jaar af met zo'n €1,2 mln verlies, Dijkdans trekt het gelukkig recht. "
     "De jaarcijfers 2026 worden spannend 😅", [FIN, CONF], month=10)
case("nl", MV, "niet officieel maar Nachtpolder stopt na dit seizoen. directie heeft het vandaag tegen ons gezegd 😢 "
     "ik ga die nachten missen", [FIN], month=9)
case("en", BL, "rumour mill at HQ: half of production gets cut after Veenvuur, reorg gets announced in january. not great lads",
     [FIN], month=7)
case("en", pub("reddit", "u/numbersguy_ams"),
     "friend in their finance team says Polderpuls sold only 38k of the 60k Veenvuur tickets and the bank is getting nervous",
     [FIN], month=7)
case("en", SM, "Can't share much yet but the Stagewide deal means PulsPay gets spun off into its own company next spring. "
     "Exciting times 🚀", [FIN])
case("nl", YK, "booking budget voor 2027 is met 35% gekort dus sorry agents, minder grote namen volgend jaar 🥲", [FIN])
case("nl", KJ, f"50 man security gaat eruit na de zomer, de ont{SHY}slagen worden in oktober bekend gemaakt. check je contracten mensen",
     [FIN], tags=["evasion"], month=8)
case("nl", pub("x", "@rvdberg_", "Rik"),
     "mijn oom zit in de RvC van Polderpuls, ze worden volgens hem in Q1 overgenomen door een Brits bedrijf. ik zeg niks 🤐",
     [FIN])
case("en", DH, "Q3 numbers just came in (not public yet): revenue +18%, EBITDA €4.1m. Tough comp to beat next year 💪",
     [FIN], month=10)
case("nl", LT, "las in het MT-verslag dat de vrijwilligersvergoeding volgend jaar geschrapt wordt. "
     "en dat terwijl wij het hele terrein draaiende houden", [FIN])
case("en", pub("forum", "campsite_carl"),
     "Heard from an insider that Polderpuls will replace all paid camping staff with volunteers next year, "
     "there's a budget memo going around", [FIN])
case("nl", pub("x", "@fem_fatale_", "Femke"),
     "P0lderpu1s gaat failliet?? salarissen van juni te laat betaald zegt m'n vriendin die daar werkt",
     [FIN], tags=["evasion"], month=7)

# ===========================================================================
# leak.security
# ===========================================================================
case("en", SM, "Rough night. PulsPay top-up API went down at 23:10 and the bars are still running on paper vouchers. "
     "Not public yet, comms will post an update in the morning.", [SEC], month=6)
case("en", JO, "found a bug where you can replay a wristband NFC payload and pay twice with the same balance. "
     "not patched yet, fix goes live tomorrow hopefully", [SEC], kind="comment")
case("nl", KJ, "ticketscanners bij ingang Noord liggen al een half uur plat, we laten iedereen gewoon doorlopen. zeg maar niks 🤫",
     [SEC], month=6)
case("en", MV, "ransomware on the resale backend this morning 😵 still figuring out what got encrypted. please don't @ us yet",
     [SEC])
case("nl", BL, "onze mailserver is g e h a c k t, de hele crew kreeg phishing uit naam van de productieleiding. "
     "IT is ermee bezig, nog niks naar buiten", [SEC], tags=["evasion"])
case("nl", pub("x", "@woedendewillem"),
     "PulsPay is gehackt en ze houden het stil!! saldo van 3 vrienden in één nacht leeg en de klantenservice ontkent alles",
     [SEC, CRISIS], month=8)
case("en", pub("reddit", "u/quietcamper"),
     "Polderpuls is covering up a leak. I got a phishing mail with my exact order number and camping spot for Veenvuur. "
     "Not a word from them.", [SEC, CRISIS], month=8)
case("nl", pub("x", "@jorien_bar"),
     "sta bij de kassa op Dijkdans en het hele pinsysteem ligt er al een uur uit, we mogen het niet zeggen lol",
     [SEC], month=6, tags=["insider-not-in-profile"])
case("nl", LT, "als je in het crewportaal het nummer in de URL van je profiel aanpast zie je andermans adres 🫣 "
     "heb het gemeld, hopelijk snel gefixt", [SEC])
case("en", DH, "Our finance inbox was compromised yesterday and fake invoices went to three suppliers. "
     "We haven't told them yet, working with IT first.", [SEC])
case("en", pub("tiktok", "@noa.on.tour"),
     "dijkdans app h4cked?? my account shows someone else's tickets AND their home address. they're keeping quiet about it",
     [SEC, CRISIS], tags=["evasion"], month=5)
case("en", KJ, "cctv on the campsite has been offline since thursday and only 2 of us know. keep it that way till the contractor fixes it pls",
     [SEC], month=8)

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@vredesactie_anna"),
     "BOYCOT Dijkdans. Hoofdsponsor is een wapenfabrikant en Polderpuls ziet er geen probleem in. Niet naartoe gaan mensen "
     "#boycotdijkdans", [CRISIS])
case("en", pub("reddit", "u/barrierbruises"),
     "Crowd crush at the Dijkdans main stage exit last night. I got pinned against the barrier and couldn't breathe "
     "while staff just stood there. Never again.", [CRISIS, COMPLAINT], month=6)
case("en", pub("x", "@consumentjoost"),
     "Class action filed against Polderpuls over unrefunded PulsPay balances, Consumentenbond is joining apparently. about time",
     [CRISIS])
case("nl", pub("instagram", "@lieke.vd"),
     "komt er een terugroepactie voor die PulsPay bandjes?? mijn vriendin heeft brandwonden van dat ding om haar pols 😳",
     [CRISIS], kind="comment")
case("nl", pub("x", "@brabantsebas"),
     "Security bij Veenvuur heeft een jongen in elkaar getrapt bij de uitgang, filmpje gaat rond. Schandalig dit. #veenvuur",
     [CRISIS], month=8)
case("en", pub("x", "@kaylee_mp"),
     "my details from the Dijkdans presale are on a hacker forum. thanks polderpuls for leaking my data 👏👏", [CRISIS])
case("nl", pub("forum", "hittegolfhenk"),
     "Ik stond er zelf bij: drie mensen met een hitteberoerte afgevoerd bij Dijkdans en wij moesten €3,80 per flesje water "
     "betalen. Hoe dan.", [CRISIS, COMPLAINT], month=6)
case("nl", pub("x", "@ditiswendy"),
     "d a t a l e k bij polderpuls?? mijn mailadres zit in een dump van de Nachtpolder ticketverkoop",
     [CRISIS], tags=["evasion"])
case("en", pub("tiktok", "@mila.speaks"),
     "drink spiking at Nachtpolder and security told my friend she was 'just drunk'. this should be a scandal. share it",
     [CRISIS], month=11)
case("en", pub("x", "@stagecrewsteve"),
     "Stage roof at Veenvuur came down during soundcheck, 2 crew hurt. why is nobody talking about this", [CRISIS], month=8)
case("nl", pub("facebook", "Gerda Mulder", "Gerda Mulder"),
     "Boycot die klotefestivals van Polderpuls, stelletje oplichters", [CRISIS, ABUSE], kind="comment")
case("en", pub("bluesky", "noor-writes.bsky.social"),
     "Polderpuls quietly dropped the harassment helpline at Dijkdans this year. After everything that happened last summer?? "
     "#boycottdijkdans", [CRISIS], month=5)
case("nl", pub("mastodon", "@kees@mastodon.nl"),
     "Voedselvergiftiging na die kipburger bij Veenvuur, lag de hele nacht te kotsen in m'n tent en er zaten 20+ mensen bij de EHBO",
     [CRISIS, COMPLAINT], month=8)

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@hannekevr"),
     "Al 5 weken wachten op mijn restsaldo van PulsPay (€23,40). Mails worden niet beantwoord. Top service hoor 🙄",
     [COMPLAINT])
case("en", pub("x", "@matt_in_ams"),
     "2 hours in the entry queue at Dijkdans on saturday, missed the entire opening set. badly organised, do better",
     [COMPLAINT], month=6)
case("nl", pub("facebook", "Ilse Bos", "Ilse Bos"),
     "Camping Veenvuur stond blank na de bui en er was NIEMAND om te helpen. tent doorweekt, slaapzak kapot, "
     "eerste nacht in de auto geslapen", [COMPLAINT], month=8)
case("en", pub("reddit", "u/resell_regret"),
     "PulsSwap took €12 in fees when I resold one ticket, then the buyer cancelled and the fees weren't refunded. "
     "what a joke of a platform", [COMPLAINT])
case("nl", pub("instagram", "@fleurtjuh"),
     "de toiletten op zondag waren echt niet te doen. geen wc papier, geen water om je handen te wassen. "
     "voor 189 euro verwacht je beter", [COMPLAINT], kind="comment", month=6)
case("en", pub("x", "@annika_travels"),
     "e-tickets never arrived and @polderpuls_help keeps sending me the same copy-paste reply. festival is in 3 days!!",
     [COMPLAINT], month=8)
case("nl", pub("tiktok", "@lelystadlars"),
     "shuttlebus vanaf station Lelystad: anderhalf uur wachten in de regen. nooit meer 🥶", [COMPLAINT], month=6)
case("nl", pub("threads", "@rosanne.m"),
     "app crasht elke keer als ik mijn tokens wil bekijken en opwaarderen lukt ook niet. zo frustrerend 😤", [COMPLAINT])
case("nl", pub("forum", "comfortzone_niet"),
     "Comfort Camping upgrade betaald (€85) en we kregen een plek naast de afvalcontainers. Ik wil mijn geld terug.",
     [COMPLAINT], month=8)
case("en", pub("bluesky", "wheelie-jess.bsky.social"),
     "accessibility platform at Dijkdans was packed with people who didn't need it and staff did nothing. "
     "I use a wheelchair and saw zero of the headliner.", [COMPLAINT], month=6)
case("en", pub("facebook", "Chris Oakley", "Chris Oakley"),
     "Our Veenvuur glamping bell tent leaked all night long. Asked for a partial refund, 3 weeks later still nothing.",
     [COMPLAINT], month=9)
case("nl", pub("x", "@mo_elkadi"),
     "bandje werkte niet bij de bar, 3x naar de infobalie gelopen en elke keer een ander verhaal. avond verpest",
     [COMPLAINT])
case("nl", pub("x", "@Polderpuls_fan", "Polderpuls Fan 🎉"),
     "Jongens ik ben echt fan maar de rij voor de bar bij Veenvuur was 40 minuten. Meer personeel aub!!",
     [COMPLAINT], month=8, tags=["trap-lookalike-handle"])
case("en", pub("discord", "nightowl#2231"),
     "got charged twice for my Nachtpolder ticket and support closed my ticket without answering 😡",
     [COMPLAINT], kind="message", tags=["unknown-platform"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bert"), "Polderpuls stelletje graaiende klootzakken", [ABUSE])
case("en", pub("x", "@grumpy_gary77"), "whoever runs @polderpuls_help is a brain-dead moron", [ABUSE], kind="reply")
case("nl", BL, "@gerritjan_77 als je zo debiel bent om je tent in een greppel te zetten moet je nu niet lopen janken",
     [ABUSE], kind="reply", month=8)
case("en", PP_TT, "lol cry about it, loser 🤡", [ABUSE], kind="comment")
case("en", pub("instagram", "@beatsnbiceps"),
     "@yara.booking you booked that talentless cow again?? get a real job", [ABUSE], kind="comment")
case("nl", pub("x", "@echtemuziek_"),
     "weer een vrouw als afsluiter bij Dijkdans, kunnen ze niet gewoon een echte DJ boeken", [ABUSE])
case("en", pub("reddit", "u/saltyraver"), "f*cking clowns, every last one of them at Polderpuls", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("youtube", "Dennis V", "Dennis V"), "kankerfestival met een kankerorganisatie", [ABUSE], kind="comment")
case("nl", KJ, "@tessaaa_x ga lekker ergens anders huilen, tyfuslijer", [ABUSE], kind="reply")
case("nl", pub("x", "@powerbankpiet"),
     "3 uur in de rij en dan zeggen die sukkels van de security dat ik m'n powerbank moet inleveren. Idioten.",
     [COMPLAINT, ABUSE], month=6)
case("nl", pub("x", "@kevin_0031"), "p0lderpu1s is echt een t3r1ng bedrijf", [ABUSE], tags=["evasion"])
case("nl", pub("x", "@saskia_belt"), "wat een k*tservice van @polderpuls_help, 3x gebeld, 3x opgehangen",
     [COMPLAINT, ABUSE], tags=["evasion"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
B = "benign"
case("nl", PP_HELP, "Vragen over je bestelling? Mail naar tickets@polderpuls.nl of bel 085-303 12 00 (ma-vr 9-17u). "
     "In het weekend zitten we hier op X voor je klaar 💬", tags=[B, "own-contact"])
case("nl", PP_FB, "Groepsboeking voor 10+ personen? Maak het totaalbedrag over naar NL57 RABO 0304 1277 85 "
     "t.n.v. Polderpuls Festivals B.V. o.v.v. je groepsnaam.", tags=[B, "own-contact"])
case("en", pub("x", "@happyhannah"),
     "just called +31 85 303 1200 about my wristband and had it sorted in 2 minutes. who says customer service is dead ❤️",
     tags=[B, "own-contact"])
case("en", PP_LI, "We're hiring! Cashless Platform Engineer (PulsPay), Amsterdam/hybrid. Send your CV to vacatures@polderpuls.nl 🎧",
     tags=[B, "own-contact"], handle_as="Polderpuls-Festivals")
case("nl", pub("x", "@wachtendewouter"),
     "bestelnummer <<NOT_BSN9>> staat al op 'verzonden', hoelang duurt het meestal voor de polsbandjes binnen zijn?",
     tags=[B, "order-number"])
case("en", pub("reddit", "u/paperless_pete"),
     "the barcode under my Nachtpolder ticket is <<EAN13>>, do I need to print it or is my phone screen fine?",
     tags=[B, "ean13"], kind="comment")
case("nl", PP_LI, "Polderpuls Festivals B.V. · KvK <<NOT_BSN8>> · Herengracht 400, Amsterdam · pers@polderpuls.nl",
     tags=[B, "kvk", "own-contact"])
case("nl", PP_X, "⚠️ Let op: er gaan nepaccounts rond die om je kaartnummer vragen ('bevestig <<BAD_CARD:visa_sp>> voor je restitutie'). "
     "Wij vragen NOOIT om kaartgegevens via DM.", tags=[B, "bad-card"])
case("nl", pub("facebook", "Anouk Smeets", "Anouk Smeets"),
     "Kreeg een mail 'Polderpuls restitutie' met het verzoek €2 over te maken naar <<BAD_IBAN_NL:grp>>. Is dit echt of phishing?",
     tags=[B, "bad-iban"])
case("nl", pub("x", "@dewi_r"),
     "waar vind ik het nummer van mijn bandje? is het dat 04A39F12B86080 op de achterkant?", tags=[B, "serial"])
case("nl", DD_IG, "EARLY BIRD 🐣 Dijkdans weekendticket voor €149 t/m zondag 23:59. Daarna gaat ie naar de normale prijs. "
     "Wie gaat er mee?", tags=[B, "sale-price"], month=1, handle_as="@Dijkdans.Festival")
case("nl", pub("facebook", "Yvonne Kramer", "Yvonne Kramer"),
     "Verkoop 2 Dijkdans dagtickets, €40 per stuk, kan helaas niet meer 😢 Overdracht via PulsSwap, stuur maar een DM",
     tags=[B, "second-hand"], month=5)
case("nl", VV_IG, "Liever gespreid betalen? Je Veenvuur combiticket kan ook in 4 termijnen van €62,25. Check tickets.polderpuls.nl",
     tags=[B, "installment"], month=3)
case("nl", PP_X, "Vriendenactie! Neem iemand mee en krijg allebei €25 korting op je Veenvuur combiticket 🔥",
     tags=[B, "discount-amount"], month=4)
case("nl", pub("x", "@festivalfreek_ed"),
     "Zandloper Festival dagticket was €35 dit jaar, een tientje goedkoper dan vorig jaar. eens kijken of het de moeite is",
     tags=[B, "competitor-price"])
case("en", pub("reddit", "u/budgetbeats"),
     "token price this year: €3.80 each, a beer is 2 tokens, water taps are free 👍 planning my budget",
     tags=[B, "price-talk"], month=5)
case("nl", pub("instagram", "@shopaholic_sanne"), "Dijkdans hoodie in de uitverkoop, van 59,95 naar 39,95 🙌 direct gescoord",
     tags=[B, "sale-price"], month=9)
case("nl", MV, "Nee hoor, geen prijsfout 😉 het Nachtpolder nachtticket kost echt €45 als je voor vrijdag boekt. Gewoon early bird!",
     kind="reply", tags=[B, "denied-price-error"], month=9)
case("nl", pub("forum", "doorverkoper_daan"),
     "Ter info voor wie wil doorverkopen: PulsSwap rekent €4,50 servicekosten per ticket, de koper betaalt die.",
     tags=[B, "fee"])
case("en", JO, "PR merged (commit 9f2c4e1b), the Dijkdans app now shows your token balance offline too 🎉 "
     "rolling out with the next store update", tags=[B, "git-sha"])
case("en", SM, "Friendly reminder: never paste live payment keys in Slack. Use the vault. Our docs use "
     "live_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX as the placeholder for a reason 😉", tags=[B, "placeholder-secret"])
case("nl", VV_IG, "Wifi op de camping? Verbind met 'Veenvuur-Gasten', geen wachtwoord nodig 📶", tags=[B, "no-secret"], month=8)
case("nl", pub("x", "@appnoob_"), "hoe reset ik het wachtwoord van de Dijkdans app? kan het knopje niet vinden 🙈",
     tags=[B, "question"])
case("nl", pub("x", "@dijkdansdiehard"), "SOLENNE VAART OP DIJKDANS 2027 AAAAAH 😭😭😭 ik was er al bij maar nu helemaal",
     when="2026-11-18T08:12:40+01:00", tags=[B, "after-embargo"])
case("en", DD_IG, "IT'S HERE 🌊 Dijkdans 2027 first names: Koud Kanaal, Solenne Vaart, DJ Mireille and 40 more. Tickets from Friday!",
     when="2026-11-17T19:00:00+01:00", tags=[B, "after-embargo", "embargo-edge"])
case("nl", PP_X, "Daar is ie dan: Veenvuur Wintereditie! 🔥❄️ 3 dagen, 2 podia, sauna aan het meer. 12-14 februari.",
     when="2026-10-01T10:00:00+02:00", tags=[B, "after-embargo", "embargo-edge"])
case("nl", PP_LI, "Vandaag publiceren we onze jaarcijfers 2025: 212.000 bezoekers en een omzet van €31,4 mln. "
     "Dank aan iedereen die het mogelijk maakte 🙏", tags=[B, "published-results"], month=3)
case("nl", pub("instagram", "@vogelvrij_vera"), "grutto's gespot naast de camping van Veenvuur 🐦 wat een plek is dit",
     tags=[B, "codename-word"], month=5)
case("nl", DD_IG, "Stormvloed verwacht? Nee hoor 😎 zon en 24 graden dit weekend op Dijkdans. Smeer je in!",
     tags=[B, "codename-word"], month=6)
case("nl", pub("x", "@wadwandelaar"), "dag na Dijkdans gaan we wadlopen bij Pieterburen, wie gaat er mee 🥾",
     tags=[B, "codename-word"], month=6)
case("nl", pub("tiktok", "@jill.xo"), "backstage tour gewonnen bij Veenvuur!!! nog steeds aan het trillen 🤩",
     tags=[B, "internal-word"], month=8)
case("en", pub("x", "@helpful_hans"), "everything about camping rules is on tickets.polderpuls.nl/faq btw, saves you a DM",
     tags=[B, "public-domain"], kind="reply")
case("nl", pub("x", "@nieuwsjunk"), "Kustgeluid Events ontslaat 40 mensen las ik net, zonde van die club",
     tags=[B, "other-company"])
case("en", pub("linkedin", "pr-watcher-nl", "Esther Blom"),
     "Stagewide Group announces the acquisition of UK promoter Northfield Live, per their press release this morning.",
     tags=[B, "other-company"])
case("nl", DH, "Wij zoeken een financial controller met een festivalhart ❤️ Reageer via vacatures@polderpuls.nl",
     tags=[B, "own-contact"])
case("nl", PP_HELP, "Storing: opwaarderen via de app werkt op dit moment niet. Aan de bars kun je gewoon pinnen. "
     "We houden je hier op de hoogte.", tags=[B, "official-notice"], month=8)
case("en", SM, "Our postmortem of last summer's top-up outage is now public on the PulsPay engineering blog. "
     "Lessons learned, and what we changed.", tags=[B, "published-incident"], month=11)
case("nl", pub("x", "@frietfan"), "ik boycot officieel alle festivals zonder frietkraam. Veenvuur: geslaagd 🍟",
     tags=[B, "boycott-other-sense"], month=8)
case("en", pub("reddit", "u/privacyparanoid"),
     "Zandloper Festival had a data breach apparently, check haveibeenpwned if you bought tickets there",
     tags=[B, "other-company"])
case("en", pub("threads", "@danny.nights"), "can't recall the last time I danced this much. Nachtpolder you beauty",
     tags=[B, "recall-other-sense"], month=11)
case("nl", PP_X, "Vanwege onweer sluiten we de mainstage tijdelijk. Volg de aanwijzingen van de crew en zoek beschutting "
     "in de hallen. Update volgt.", tags=[B, "official-notice"], month=6)
case("en", pub("linkedin", "marketing-mo", "Mo Verhoeven"),
     "Great brand activation by the sponsor at Dijkdans this year, the silent disco bus was a hit. Case study coming soon.",
     tags=[B, "brand-other-sense"])
case("en", pub("blog", "festivalfics.example"),
     "fanfic idea: the Veenvuur mainstage is secretly a spaceship and the headliner is its captain. part 1 tonight 🚀",
     tags=[B, "fiction"])
case("nl", pub("instagram", "@lotje.festival"), "geen klachten hier! alles strak geregeld, zelfs de wc's waren schoon 🙌 #dijkdans",
     tags=[B, "negated-complaint"], month=6)
case("en", pub("x", "@smooth_sam"), "no complaints at all, got my PulsPay balance back within 2 days. smooth",
     tags=[B, "negated-complaint"])
case("nl", pub("facebook", "Hans Peters", "Hans Peters"),
     "Hoe lang duurt het meestal voordat je restsaldo terugkomt? Heb het gisteren aangevraagd", tags=[B, "question"])
case("nl", pub("x", "@kampeerkim"), "mijn luchtbed is lek 😭 iemand een pomp op veld C?", tags=[B, "leak-other-sense"], month=8)
case("en", pub("forum", "gate2fan"), "Shoutout to security at gate 2, super friendly even at 2am when everyone was a mess",
     tags=[B, "praise"])
case("nl", pub("tiktok", "@technotess"), "die drop van 23:40 was echt ziek 🤯🤯 de hele tent ging los",
     tags=[B, "slang-positive"])
case("en", pub("reddit", "u/subwoofer_sid"), "that bassline at Nachtpolder room 2 was filthy. absolutely sick set",
     tags=[B, "slang-positive"], kind="comment", month=11)
case("nl", PP_FB, "Samen tegen kanker 💜 Bij alle bars van Veenvuur kun je je restsaldo doneren aan KWF.",
     tags=[B, "literal-kanker"], month=8)
case("nl", pub("x", "@festivalfien"), "mijn vriend noemt me een festivalidioot omdat ik 4 festivals per jaar doe. klopt 😅",
     tags=[B, "joke"])
case("nl", KJ, "Bij nood altijd 112. Geen spoed maar wel politie nodig? 0900-8844. Op het terrein: EHBO bij de grote tent. "
     "Fijn weekend allemaal!", tags=[B, "public-service-number"], month=6)
case("nl", pub("x", "@blutbert"), "mijn bankrekening voelt zich na 3 dagen Veenvuur officieel gehackt door de frietkraam 💸😂",
     tags=[B, "joke"], month=8)
case("nl", KJ, "trots op het securityteam 💪 zondag rustig verlopen, alleen wat verloren sleutelbossen", tags=[B, "praise"], month=8)
case("nl", LT, "Vrijwilligers gezocht voor Veenvuur! Gratis ticket + crewcamping. Aanmelden via polderpuls.nl/crew 💛",
     tags=[B, "public-domain"], month=4)
case("en", pub("x", "@saunaseeker"), "ok Veenvuur Winter Edition with a sauna by the lake?? take my money",
     when="2026-10-05T19:30:02+02:00", tags=[B, "after-embargo"])


# ===========================================================================
# severity (CONTRACT section 4)
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


def severity_for(role, cats, pii_validated):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
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

def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_when(r, month=None):
    if month is None:
        month = r.randint(1, 12)
    day = r.randint(1, 28)
    local = dt.datetime(2026, month, day, tzinfo=dt.timezone.utc) + dt.timedelta(
        minutes=r.randint(8 * 60, 25 * 60 + 30), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{a}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        sub = r.choice(["Festivals_NL", "thenetherlands", "Netherlands", "aves"])
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64U) for _ in range(11))}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        c = "Ugy" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64U) for _ in range(11))}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-festivalforum-{n}", f"https://festivalforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


BRAND_OF = [("dijkdans", "dijkdans"), ("veenvuur", "veenvuur"), ("nachtpolder", "nachtpolder"), ("pulspay", "pulspay")]


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fac, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        when = c["when"] or random_when(meta, c["month"])
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and bool(kinds & VALIDATED_KINDS)
        sev = severity_for(role, c["cats"], validated)

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
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
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
        post["created_at"] = when
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.55:
            low = text.casefold()
            post["brand"] = next((b for k, b in BRAND_OF if k in low), "polderpuls")
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=set(c["tags"]), used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)


# ===========================================================================
# validation
# ===========================================================================

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CONFUSABLE = str.maketrans({CYR_E: "e", "\u0430": "a", "\u043e": "o", "\u0440": "p", "\u0441": "c"})
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)")
BSN_RE = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,-]\d)")
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65)")
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)
PROFANE = ["klootzak", "kanker", "tyfus", "tering", "t3r1ng", "debiel", "klote", "k*t", "f*ck", "moron", "loser",
           "scumbag", "idioten", "sukkel", "talentless", "clowns"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS).translate(CONFUSABLE)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in t)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def valid_ids(text):
    hits = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if iban_valid(v) and v != OWN_IBAN:
            hits.append(("iban", v))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if luhn_valid(d) and CARD_IIN.match(d):
            hits.append(("card", d))
    for m in BSN_RE.finditer(text):
        if elfproef(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


def check(rows, profile):
    errs = []
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codenames = [c.casefold() for c in profile["internal"]["codenames"]]
    markers = [m.casefold() for m in profile["internal"]["markers"]]
    idomains = [d.casefold() for d in profile["internal"]["domains"]]
    products = profile["products"]
    ratio = profile["pricing"]["alert_below_ratio"]
    texts = set()
    for i, r in enumerate(rows):
        p, e, where = r["post"], r["expect"], f"line {i + 1} ({r['post']['id']})"
        cats = set(e["categories"])
        t = p["text"]
        n = norm(t)
        squashed = re.sub(r"(?<=\b\w) (?=\w\b)", "", n)
        if t in texts:
            errs.append(f"{where}: duplicate text")
        texts.add(t)
        if not (1 <= len(p["id"]) <= 256) or not p["account"]["handle"] or len(t.encode()) > 65536:
            errs.append(f"{where}: invalid post shape")
        ts(p["created_at"])
        if not cats <= set(CATEGORIES):
            errs.append(f"{where}: unknown category")
        # identifiers
        for kind, raw, _ in r["used"]:
            if kind.startswith("IBAN") and not iban_valid(raw):
                errs.append(f"{where}: IBAN invalid")
            if kind == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: card invalid")
            if kind == "BSN" and not elfproef(raw):
                errs.append(f"{where}: BSN invalid")
            if kind == "BAD_IBAN_NL" and iban_valid(raw):
                errs.append(f"{where}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{where}: bad card passes")
            if kind in ("NOT_BSN9", "NOT_BSN8") and elfproef(raw):
                errs.append(f"{where}: look-alike passes the 11-proof")
            if kind == "EAN13" and (not ean13_valid(raw) or luhn_valid(raw)):
                errs.append(f"{where}: EAN")
        ids = valid_ids(t)
        placed = {k for k, _, _ in r["used"]} & VALIDATED_KINDS
        if ids and not placed:
            errs.append(f"{where}: unplanned checksum-valid identifier {ids}")
        if placed and PII not in cats:
            errs.append(f"{where}: validated identifier without leak.pii")
        # confidential signals
        before = [term for term, until in embargo if term in n and ts(p["created_at"]) < until]
        conf_sig = before or [c for c in codenames if c in n or c in re.sub(r"\s+", " ", n)] \
            or [m for m in markers if m in n] or [d for d in idomains if d in n]
        if conf_sig and CONF not in cats:
            errs.append(f"{where}: confidential signal {conf_sig} not labelled")
        for term, until in embargo:
            if term in n and CONF in cats and ts(p["created_at"]) >= until and not conf_sig:
                errs.append(f"{where}: embargo term after embargo labelled as leak")
        # pricing
        if "benign" in r["tags"]:
            if cats or e["severity"] != "none":
                errs.append(f"{where}: benign with labels")
            mentioned = [pr for pr in products if any(a.casefold() in n for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(n)]
            if mentioned and amts:
                low = min(amts) / min(pr["list_price"] for pr in mentioned)
                if low < ratio and not r["tags"] & {"second-hand", "installment", "discount-amount", "fee"}:
                    errs.append(f"{where}: benign price below ratio without reason tag")
            if any(w in n for w in PROFANE) and "literal-kanker" not in r["tags"]:
                errs.append(f"{where}: profanity in benign")
            if any(w in squashed for w in ["prijsfout", "datalek", "gehackt"]) and not r["tags"] & {
                    "denied-price-error", "joke"}:
                errs.append(f"{where}: trigger word in benign without tag")
        else:
            if not cats:
                errs.append(f"{where}: positive without categories")
        # severity recomputed independently of build()
        insider = r["role"] != "public"
        exp = "none"
        for c in cats:
            s = ("critical" if insider and (c in (SECRET, PRICING) or (c == PII and placed)) else
                 "error" if insider else "warning") if c.startswith("leak.") else \
                {COMPLAINT: "warning", CRISIS: "error", ABUSE: "error" if insider else "warning"}[c]
            exp = s if RANK[s] > RANK[exp] else exp
        if exp != e["severity"]:
            errs.append(f"{where}: severity {e['severity']} != {exp}")
    # cross-check identifiers with python-stdnum if available
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for kind, raw, _ in r["used"]:
                if kind.startswith("IBAN") and not s_iban.is_valid(raw):
                    errs.append(f"stdnum rejects IBAN in {r['post']['id']}")
                if kind == "CARD" and not s_luhn.is_valid(raw):
                    errs.append(f"stdnum rejects card in {r['post']['id']}")
                if kind == "BSN" and not s_bsn.is_valid(raw):
                    errs.append(f"stdnum rejects BSN in {r['post']['id']}")
                if kind == "BAD_IBAN_NL" and s_iban.is_valid(raw):
                    errs.append(f"stdnum accepts bad IBAN in {r['post']['id']}")
    except ImportError:
        pass
    return errs


def report(rows):
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"cases {len(rows)}  positives {len(rows) - benign}  benign {benign}  multi-label {multi}")
    for c in CATEGORIES:
        sub = [r for r in rows if c in r["expect"]["categories"]]
        roles = Counter(r["role"] for r in sub)
        langs = Counter(r["lang"] for r in sub)
        print(f"  {c:22s} {cat[c]:3d}  nl {langs['nl']:2d} en {langs['en']:2d}  "
              f"corp {roles['corporate']:2d} emp {roles['employee']:2d} pub {roles['public']:2d}  "
              f"evasion {sum(1 for r in sub if 'evasion' in r['tags'])}")
    print("  languages", dict(Counter(r["lang"] for r in rows)))
    print("  roles", dict(Counter(r["role"] for r in rows)))
    print("  severities", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  platforms", dict(Counter(r["post"]["platform"] for r in rows)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    data = dump(rows)
    errs = check(rows, profile)
    if errs:
        print("\n".join(errs), file=sys.stderr)
        sys.exit(1)
    if a.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != data:
            sys.exit("cases.jsonl differs from the generator output")
        print("cases.jsonl matches the generator and validates")
    else:
        OUT.write_text(data, encoding="utf-8")
        print(f"wrote {OUT}")
    report(rows)


if __name__ == "__main__":
    main()
