#!/usr/bin/env python3
"""Deterministic generator for the sealed12 blind set (fictional meal-kit company Tafelvers B.V.).

    python3 make_cases.py          # (re)write cases.jsonl next to this file and print counts

Texts are hand-written in CASES below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by a seeded RNG. Positives get checksum-valid identifiers, benign
near-misses get identifiers that fail their checksum. Severity is computed from the
CONTRACT section 4 policy (role from profile.yaml by platform:handle, case-insensitive),
never typed by hand. Needs Python 3.9+ and PyYAML.
"""
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

import yaml

SEED = 12_2026_0915
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


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
            return iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "ASNB", "KNAB"]) + self.d(10, True))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10010010"]) + self.d(10))
        if cc == "BE":
            first = self.r.choice(["001", "068", "735", "363"]) + self.d(7)
            return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 44):
            cand = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(14), "mc": "5" + self.r.choice("12345") + self.d(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(11), "amex": self.r.choice(["34", "37"]) + self.d(12)}[brand]
        for x in "0123456789":
            if luhn_ok(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

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

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            cand = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(cand) and not bsn_ok(cand):
                return cand

    def phone(self, f):
        if f.startswith("mob"):
            m = self.r.choice("12345") + self.d(7)  # 8 digits after the 6
            return {"mob_dash": f"06-{m}", "mob_plain": f"06{m}", "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
                    "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}", "mob_0031": f"0031 6{m}",
                    "mob_intl0": f"+31 (0)6 {m}"}[f]
        area = self.r.choice(["10", "20", "30", "33", "35", "40", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[f]

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "courier_" + self.d(5, True), "iss": "app.tafelvers.nl", "scope": "routes:read",
                               "iat": iat, "exp": iat + 7200}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 8 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 2)
                + self.r.choice("!#$_.") + self.c(ALNUM, 4))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


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
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.d(int(f), True)
        elif k == "GHP":
            raw = shown = g.ghp()
        elif k == "AWS_ID":
            raw = shown = "AKIA" + g.c(B32, 16)
        elif k == "AWS_SECRET":
            raw = shown = g.c(B64, 40)
        elif k == "SLACK_BOT":
            raw = shown = f"xoxb-{g.d(12, True)}-{g.d(13, True)}-{g.c(ALNUM, 24)}"
        elif k == "STRIPE":
            raw = shown = "sk_live_" + g.c(ALNUM, 24)
        elif k == "MOLLIE":
            raw = shown = "live_" + g.c(ALNUM, 30)
        elif k == "SENDGRID":
            raw = shown = "SG." + g.c(B64URL, 22) + "." + g.c(B64URL, 43)
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.c(B64URL, 33)
        elif k == "JWT":
            raw = shown = g.jwt()
        elif k == "PEM_RSA":
            raw = shown = g.pem_rsa()
        elif k == "PW":
            raw = shown = g.password()
        elif k == "HEX":
            raw = shown = g.c("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts
T_X = ("x", "@tafelvers", "Tafelvers")
T_HELP = ("x", "@tafelvers_help", "Tafelvers Klantenservice")
T_IG = ("instagram", "@tafelvers.nl", "Tafelvers")
T_LI = ("linkedin", "tafelvers-bv", "Tafelvers B.V.")
T_FB = ("facebook", "TafelversNL", "Tafelvers")
T_TT = ("tiktok", "@tafelvers", "Tafelvers")
LH = ("x", "@lotte_kookt_tv", "Lotte Hendriks")
RM = ("x", "@ricardo_bezorgt", "Ricardo Mendes")
JV = ("linkedin", "joost-visser-tafelvers", "Joost Visser")
NA = ("linkedin", "noor-achterberg", "Noor Achterberg")
ME = ("instagram", "@mo.elidrissi", "Mo El Idrissi")
DS = ("threads", "@daan.klantcontact", "Daan Smit")
IK = ("x", "@ilse_k_dev", "Ilse Kramer")


def P(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LH, "eeeh collega's 👀 de Gezinsbox staat in de app voor €8,99 ipv €89,95.\nIemand van pricing wakker??", [PRICING])
case("en", IK, "shipped the promo-engine hotfix 40 min too late 🙃 the Veggiebox was €4.49 in the iOS app the whole time. rolled back, pls no screenshots", [PRICING])
case("nl", P("x", "@koopjesjager_ruud"), "RENNEN 🏃‍♀️ Tafelvers Kerstbox voor €12,90 in de app (normaal 129 euro)\n#prijsfout #tafelvers", [PRICING])
case("en", P("reddit", "u/mealprep_martijn"), "Tafelvers seems to have a glitch on Android: the Duobox checks out at €4,99 for the whole week, no promo code involved. Anyone else?", [PRICING])
case("nl", P("facebook", "wendy.vanderploeg", "Wendy van der Ploeg"), "Wie heeft er nog meer een Tafelvers koksmes voor 5,90 gescoord vanmorgen? Volgens mij klopt die prijs echt niet haha 🔪", [PRICING], kind="comment")
case("nl", T_IG, "🎄 Alleen vandaag: onze Kerstbox voor maar €39! Op = op 👉 tafelvers.nl/kerst #kerstdiner", [PRICING])
case("nl", DS, "lol Tafelvers Plus kost ineens €0,49 per maand in de app, zag het net bij m'n eigen account. Wie heeft er aan de tarieven gezeten?", [PRICING], kind="reply")
case("nl", P("x", "@snelle_sanne_"), "p r i j s f o u t bij tafelvers: veggiebox 2 euro 🤑🤑 wees snel", [PRICING], tags=["evasion"])
case("en", P("threads", "@dealsbydevon"), f"price{ZW}glitch on the Tafelvers Family Box, €9.95 at checkout right now, go go go", [PRICING], tags=["evasion"])
case("nl", P("x", "@zuinigezeeuw"), "Gëzinsbox voor €7,95?? prijsföut bij Tafelvers, ik bestel er meteen 3 😂", [PRICING], tags=["evasion"])
case("nl", JV, "Promo-bug gevonden: de Veggiebox staat op €0,00 voor Belgische klanten. Issue staat op gitlab.tafelvers.io/web/shop/-/issues/2291, fix gaat pas mee na de release freeze.", [PRICING, CONF])
case("en", P("youtube", "@budgetkokkie"), "got the 2p3 box for 3 euros during their pricing mess-up last night lmao, it actually got delivered today", [PRICING], kind="comment")
case("nl", P("mastodon", "@linda@mastodon.nl"), "Verkeerde prijs in de Tafelvers-app: Koksmes voor €5,90 i.p.v. €59. Mooi meegenomen, we zien wel of ze annuleren.", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", JV, "Anyone else hitting 429s on the Mollie API today? Our checkout calls with live key <<MOLLIE>> keep getting throttled since 11:00 🤔 #payments", [SECRET])
case("nl", JV, "Les van de week: nooit credentials in je docker-compose zetten. Dit stond er gewoon in:\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nIs al geroteerd hoor 😉 #devops #lessonslearned", [SECRET])
case("nl", RM, "jongens van de vroege ploeg: wachtwoord van de bezorg-tablets is nu Bietje2026! (met uitroepteken) 👍", [SECRET])
case("en", IK, "why is our order-confirmation mail 403ing 😩 sendgrid key is <<SENDGRID>> and it works fine in Postman", [SECRET])
case("en", P("reddit", "u/hackerman_hugo"), "The Tafelvers web app ships an unrestricted Google Maps key: <<GAPI>>\nJust tested it from my own localhost, works. Someone tell them.", [SECRET], kind="comment")
case("nl", ME, "Voor de nachtploeg in Nieuwegein 🌙 scanners loggen vanaf vannacht in op wms.keuken.local met nachtploeg / <<PW>> (niet op de whiteboard schrijven aub)", [SECRET, CONF])
case("en", JV, "Orders DB is back after the failover 🎉 for anyone testing locally: postgres://orders_rw:<<PW>>@db-orders-2.tafelvers.internal:5432/orders", [SECRET, CONF])
case("en", IK, "debug help pls: token from the courier app <<JWT>> decodes fine but the API says invalid signature??", [SECRET], kind="reply")
case("en", DS, "slack bot for the klantcontact alerts died again, token is <<SLACK_BOT>> if someone from IT can look", [SECRET])
case("nl", P("blog", "appsecnotities.nl", "Kees Brouwer"), "In de Android-app van Tafelvers (versie 7.2) zit een GitHub-token hardcoded: <<GHP>>. Ik heb het twee weken geleden gemeld en nog niks gehoord.", [SECRET])
case("en", JV, "Finally found why the supplier SFTP sync kept failing: wrong key. Posting the old one for reference, not in use anymore:\n<<PEM_RSA>>", [SECRET])
case("nl", DS, "w.a.c.h.t.w.o.o.r.d gedeelde klantcontact-inbox = Spruitje!2026 … niet doorsturen he", [SECRET], tags=["evasion"])
case("en", P("reddit", "u/sourcepeeker"), "Tafelvers' old summer-promo microsite still has a live Stripe key in the page source: <<STRIPE>> lol", [SECRET], kind="comment")
case("en", P("x", "@jmulder91"), "@tafelvers_help can't log in since the update. tried password Kapsalon4life like 10 times, account is j.mulder91@outlook.com. sort it out pls 😤", [SECRET, PII, COMPLAINT], kind="reply")

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", RM, "Mevrouw Verbruggen, Kastanjelaan 23 in Houten, doet NOOIT open 🙄 derde keer deze maand. Box staat weer bij de buren", [PII])
case("nl", DS, "Kan iemand van finance de refund van meneer Öztürk checken? IBAN <<IBAN_NL:grp>>, hij belt elke dag 😬", [PII])
case("en", T_HELP, "@sophie_eats Hi Sophie, so sorry about the missing salmon! We've refunded €12.50 to <<IBAN_BE>>, should be there in 2 working days 💚", [PII], kind="reply")
case("nl", P("x", "@bertje_b"), "@tafelvers_help ik heb al 3x gebeld en niemand belt terug!! mijn nummer is <<PHONE:mob_dash>>, bel me aub", [PII, COMPLAINT], kind="reply")
case("en", P("x", "@hungry_hannah"), "@tafelvers_help payment keeps failing for this week's box, card <<CARD:visa_sp>> exp 09/28, what is wrong with your checkout??", [PII, COMPLAINT], kind="reply")
case("nl", ME, "Welkom aan onze nieuwe bezorger Kevin 🎉🚲 BSN <<BSN>> staat nog niet in het rooster-systeem, HR even checken?", [PII])
case("nl", LH, "Taart in de testkeuken want Anouk de Graaf (geb. 14-03-1991) is jarig 🎂🥳", [PII])
case("en", P("x", "@tomwillems_"), "@tafelvers_help can you redirect this week's box to my mum? Greet Jansen, Molenstraat 8, 5211 AB 's-Hertogenbosch. thx!", [PII], kind="reply")
case("nl", P("instagram", "@sanne.vdlinden"), "Jullie chat werkt al dagen niet 🙄 mail me maar op sanne.vd.linden [at] ziggo [punt] nl", [PII, COMPLAINT], kind="comment", tags=["evasion"])
case("nl", RM, "Klant heeft me vandaag 4x gebeld vanaf <<PHONE:mob_intl_sp>> terwijl ik gewoon onderweg was 😂 wie is dit", [PII])
case("en", DS, "customer Mark Peeters (mark.peeters77@gmail.com) says his nut-allergy note got ignored again, who on the allergen team picks this up?", [PII])
case("nl", P("facebook", "h.schmitz.aachen", "Heinz Schmitz"), "Tafelvers heeft twee keer afgeschreven van <<IBAN_DE>>!! Ik wil gewoon mijn geld terug", [PII, COMPLAINT])
case("nl", JV, "Bug in de routeplanning-koppeling, voorbeeldregel uit prod: 'Fam. Bakker, Zonnebloemstraat 41, 3533 CK Utrecht, tel <<PHONE:land_sp>>'. Iemand een idee?", [PII])
case("en", P("mastodon", "@privacyfreak@mastodon.social"), "someone in the Tafelvers fan group on FB just posted their whole Amex: <<CARD:amex_sp>> 🤦 people please", [PII])
case("en", IK, "turns out the 'test card' in our staging seed data belongs to a real customer 😬 <<CARD:mc_c>>", [PII])
case("nl", P("x", "@kevin_bezorgt_nog_niet"), "Hoi @tafelvers, voor m'n contract als bezorger vroegen jullie mijn BSN: <<BSN:dots>>. Is dat zo goed of moet het via de mail?", [PII], kind="reply")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", LH, "Eerste proefrun Project Saffraan in de testkeuken vandaag 🤫 meer mag ik echt nog niet zeggen", [CONF])
case("en", IK, "why is the atlasbox_enabled flag showing up in the public build?? somebody check the Atlasbox config before a customer finds it", [CONF])
case("nl", ME, "Operatie Koelcel begint maandag, dus iedereen om 6 uur in Nieuwegein ☕️", [CONF])
case("nl", LH, "Mijn favoriet uit de nieuwe Ochtendbox: overnight oats met rabarber en pistache 😍 #testkeuken", [CONF], when="2026-08-20T09:14:00+02:00")
case("en", P("reddit", "u/brunchbandit"), "My flatmate works at Tafelvers, apparently they're launching a Tafelvers Ochtendbox in September with croissants and stuff", [CONF], when="2026-07-03T21:40:11Z")
case("nl", DS, "STRIKT INTERN – belscript voor klanten met vertraagde leveringen week 38, zit hieronder… oh wacht dit is m'n openbare account 🙈", [CONF])
case("en", JV, "Moved all my dashboards to https://grafana.tafelvers.internal/d/ops-overview, ping me if something's missing", [CONF])
case("nl", P("x", "@nieuwsgierigenel"), "Kennis stuurde me een pdf met 'Tafelvers internal only' in de voettekst 👀 gaat over nieuwe maaltijden voor 2027", [CONF])
case("en", LH, "sneak peek from today's shoot for Project\nSaffraan 📸✨", [CONF], tags=["evasion"])
case("nl", ME, "Operatie 🧊 Koelcel dag 3: nog 2 weken verbouwen en dan hebben we eindelijk ruimte", [CONF], tags=["evasion"])
case("nl", P("x", "@communitymod_jes"), "iemand van Tafelvers deelde per ongeluk retool.tafelvers.io/apps/refunds in onze community-chat lol", [CONF])
case("nl", T_IG, "Morgen is het zover… 🥐☕ de Tafelvers Ochtendbox komt eraan! Stay tuned", [CONF], when="2026-09-15T08:59:00+02:00")
case("nl", RM, "volgens de planner rijden we vanaf november met elektrische bakfietsen voor Atlasbox 🚲⚡", [CONF])
case("en", IK, fullwidth("Project Saffraan") + " build 0.3 is on TestFlight, internal testers check your mail", [CONF], tags=["evasion"])
case("nl", JV, "MR staat klaar voor review: gitlab.tafelvers.io/platform/checkout/-/merge_requests/812 🙏", [CONF])
case("en", NA, "Proud of the team putting together the FY2026 results deck this week, long nights but we're getting there 💪", [CONF], when="2026-12-02T18:21:00+01:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NA, "Spannende weken achter de rug: de overname van Pannenkist is rond. Aankondiging volgt pas in november, dus mondje dicht 🤐", [FIN])
case("en", JV, "Heard at today's all-hands: 120 roles cut at the Eindhoven hub by Q1. Not public yet so keep it to yourselves.", [FIN])
case("nl", ME, "Hub Nieuwegein gaat per 1 maart dicht 😔 wij horen het als eersten, officieel is er nog niks", [FIN])
case("en", NA, "Q3 landed at €41.2M revenue, 9% under forecast. The board is not amused. Numbers go out next month.", [FIN])
case("nl", P("x", "@roddelrob"), "Mijn zwager werkt bij Tafelvers, ze worden overgenomen door een Duitse partij. Deal wordt volgende week bekend 👀", [FIN])
case("en", P("reddit", "u/throwaway_foodtech"), "insider here: Tafelvers is raising a €60M round at a lower valuation, term sheet was signed last week", [FIN])
case("nl", DS, "Reorganisatie bij klantcontact: de helft van ons gaat naar een callcenter in Lissabon, zeiden ze op de teamsessie van vanmorgen. Nog niet bekendgemaakt.", [FIN])
case("en", LH, "sad news from mgmt today: the Amsterdam test kitchen merges into Nieuwegein and 14 of us lose our jobs. they'll announce it in january 💔", [FIN])
case("nl", RM, "er komen 0ntsl4gen bij de bezorgers, 30% minder ritten volgend jaar zegt m'n teamleider 😡", [FIN], tags=["evasion"])
case("nl", NA, "Onze groeiprognose voor 2027 gaat van 15% naar 4%, morgen in de RvC. Wordt een lange avond.", [FIN])
case("nl", NA, "De jaarcijfers 2026 worden slechter dan gedacht, EBITDA komt negatief uit. Pff.", [CONF, FIN], when="2026-11-27T22:03:00+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", JV, "We had an S3 bucket with courier routes and customer addresses open to the world since Tuesday. Locked now, comms still hasn't decided if we tell anyone 😬", [SEC])
case("nl", IK, "app ligt plat door een DDoS, dit hoor je niet van mij 🙃 de statuspagina zegt gewoon 'onderhoud'", [SEC])
case("nl", DS, "Sinds gisteren worden klantaccounts overgenomen via credential stuffing, we mogen het nog niet aan klanten vertellen. Heel fijn om zo de telefoon op te nemen.", [SEC])
case("en", ME, "WMS got hit by ransomware overnight, that's why all the boxes are late today. Management is calling it a 'technical issue' 🙄", [SEC])
case("en", IK, "found a bug where you can see any customer's delivery address just by changing the order id in the API call. reported internally, not fixed yet", [SEC])
case("nl", P("x", "@boos_in_breda"), "Tafelvers verzwijgt een datalek! Mijn adres en bestelgeschiedenis staan op een hackersforum en ze zeggen helemaal niks", [CRISIS, SEC])
case("nl", P("facebook", "marco.dijkstra.58", "Marco Dijkstra"), "Vriend van me werkt bij Tafelvers: hun betaalsysteem ligt al sinds vanochtend plat door een storing in het datacenter. Daarom kan niemand afrekenen, maar officieel weten ze van niks.", [SEC])
case("nl", RM, "bezorg-app is geh4ckt, alle routes van vandaag zijn weg dus we rijden op papier 🙃", [SEC], tags=["evasion"])
case("en", LH, "heads up team: our recipe CMS got defaced last night and nobody outside knows yet, don't post anything until IT says so", [SEC])
case("nl", JV, "Kwetsbaarheid in onze loyalty-API: met een verlopen token kun je nog steeds punten van andere klanten claimen. Patch komt pas volgende sprint.", [SEC])
case("en", DS, "that customer db export that 'went missing' last week? downloaded by an ex-contractor. legal says zip it", [SEC])
case("nl", P("x", "@kritischekim"), "T@felvers heeft een d4t4l3k en houdt het stil. ik krijg phishing met mijn exacte bestelnummer erin", [CRISIS, SEC], tags=["evasion"])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", P("facebook", "ilona.vos.7", "Ilona Vos"), "Hele gezin ziek na de kip teriyaki uit onze Tafelvers box 🤢 huisarts denkt aan salmonella. In onze straat zijn nog twee gezinnen ziek!!", [CRISIS, COMPLAINT])
case("en", P("x", "@mumof3_utrecht"), "My son ended up in A&E tonight. The satay sauce in our Tafelvers box had peanuts in it, the card said nut-free. #allergy #tafelvers", [CRISIS, COMPLAINT])
case("en", P("x", "@fairfoodnow"), "Cancelled my Tafelvers subscription and you should too. They fired couriers for trying to unionise. #BoycottTafelvers", [CRISIS])
case("en", P("bluesky", "@platformwatch.bsky.social"), "Tafelvers couriers have filed a class action over bogus self-employment contracts, first hearing set for March.", [CRISIS])
case("nl", P("x", "@voedselalert_nl"), "⚠️ Terugroepactie Tafelvers: gerookte zalm uit de box van week 12 kan listeria bevatten. Niet opeten!", [CRISIS], kind="repost")
case("en", P("instagram", "@jorisbakt"), "Found a piece of GLASS in the risotto from @tafelvers 😳 could've broken a tooth. Photos in my stories.", [CRISIS, COMPLAINT])
case("nl", P("x", "@anna_k_1988"), "Tafelvers heeft mijn gegevens gelekt. Sinds vorige week krijg ik spam met mijn naam én wat ik besteld heb erin.", [CRISIS])
case("en", P("reddit", "u/utrecht_cyclist"), "Tafelvers delivery van ran a red light on the Amsterdamsestraatweg and hit a cyclist this morning, he's in hospital", [CRISIS])
case("nl", P("x", "@klokkenluider_x"), "T\u0430felvers schandaal: vlees dat over de datum is wordt omgepakt en opnieuw verstuurd, zegt een oud-medewerker", [CRISIS], tags=["evasion"])
case("en", P("x", "@foodsafety_watch"), "NVWA is investigating the Tafelvers warehouse in Nieuwegein after a cold-chain failure. Maybe skip the chicken this week.", [CRISIS])
case("nl", P("tiktok", "@eerlijkeetjes"), "b o y c o t  Tafelvers tot de bezorgers een eerlijk loon krijgen ✊ #tafelvers", [CRISIS], tags=["evasion"])
case("nl", P("x", "@consumentnieuws"), "Consumentenbond sleept Tafelvers voor de rechter vanwege abonnementen die je nauwelijks kunt opzeggen", [CRISIS])
case("nl", P("facebook", "linda.heuvel.31", "Linda Heuvel"), "Mijn dochter kreeg een anafylactische reactie door sesam in de Veggiebox, stond nergens op de kaart. Ambulance moest komen. Tafelvers, hoe kan dit?!", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", P("x", "@mireille_kookt"), "3e week op rij dat de koriander ontbreekt en de paprika half beschimmeld is. @tafelvers echt??", [COMPLAINT])
case("en", P("x", "@dave_in_delft"), "@tafelvers_help box still hasn't arrived. tracking says delivered, nothing at my door, 2 hrs on hold. great.", [COMPLAINT], kind="reply")
case("nl", P("x", "@peter_lauw"), "Vlees kwam lauw aan, koelelementen helemaal gesmolten 🤮 alles weggegooid. Geld terug aub @tafelvers_help", [COMPLAINT])
case("en", P("threads", "@nina.cooks.not"), "tried to cancel my Tafelvers sub, app only lets me 'pause'. still got charged €49.95 this week 😤", [COMPLAINT])
case("nl", P("instagram", "@regenachtigrotterdam"), "Bezorger heeft de doos gewoon in de regen gezet, alles doorweekt en de chat van Tafelvers reageert niet", [COMPLAINT], kind="comment")
case("en", P("trustpilot", "Gerard V."), "1 star. Portions are tiny for a 4-person box, my teenagers were hungry again after 20 minutes. Support offered a €5 voucher, lol.", [COMPLAINT], hint="")
case("nl", P("x", "@groenegerda"), "Elke ui apart in plastic 🙄 en dan op je website 'duurzaam' roepen. Doe beter @tafelvers", [COMPLAINT])
case("nl", P("facebook", "karin.molenaar", "Karin Molenaar"), "Ik had een pauze ingesteld en toch een box gekregen én afgeschreven. Klantenservice zegt 'kan niks meer aan doen'. Hallo??", [COMPLAINT])
case("nl", P("reddit", "u/wachtnogsteeds"), "Al twee weken wacht ik op mijn terugbetaling van €89,95 voor de Gezinsbox die nooit is gekomen. Iemand ervaring met Tafelvers klantenservice?", [COMPLAINT])
case("en", P("reddit", "u/copypaste_victim"), "Tafelvers customer service is a joke. 5 emails, 5 copy-paste replies, zero solution.", [COMPLAINT], kind="comment")
case("nl", P("x", "@vaderva3"), "Box kwam om 23:40 terwijl het tijdvak 17-19 was. Kids al lang in bed. Top geregeld Tafelvers 👎", [COMPLAINT])
case("nl", P("x", "@gezinmetdrie"), "T4f3lv3rs alweer te laat, derde keer deze maand 😡😡", [COMPLAINT], tags=["evasion"])
case("nl", P("x", "@rotte_tomaat"), "Kut bedrijf. Rotte tomaten, halve kip ontbreekt en niemand neemt op. Tafelvers kan de pot op", [ABUSE, COMPLAINT])
case("en", P("x", "@eggshell_ed"), "@tafelvers_help you absolute clowns, third box in a row with crushed eggs", [ABUSE, COMPLAINT], kind="reply")
case("nl", P("instagram", "@visvrijevera"), "Voorkeur 'geen vis' ingesteld en toch weer zalm in de box. Lezen jullie wel wat klanten invullen @tafelvers.nl?", [COMPLAINT], kind="comment")
case("en", P("trustpilot", "Mo B."), "Subscription price went up without a single email. Found out from my bank statement. Not ok.", [COMPLAINT])
case("nl", P("facebook", "joyce.vegetarisch", "Joyce Smits"), "Veggie besteld, box vol vlees gekregen. Ik ben al 12 jaar vegetariër!! Tafelvers??", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", P("x", "@trollie_tim"), "@tafelvers jullie zijn echt een stelletje debielen 🤡🤡", [ABUSE], kind="reply")
case("en", P("x", "@snarkyfoodie"), "tafelvers marketing team is a bunch of talentless idiots lmao who approved that ad", [ABUSE])
case("nl", P("facebook", "henk.dewaard", "Henk de Waard"), "Tafelvers neemt alleen nog buitenlanders aan als bezorger, ga lekker terug naar je eigen land allemaal", [ABUSE], kind="comment")
case("en", P("x", "@anon88231"), "@lotte_kookt_tv nobody wants to see your ugly face in our feed, delete your account", [ABUSE], kind="reply")
case("nl", P("x", "@boze_bert"), "f*cking Tafelvers met hun k*t reclames overal op m'n tijdlijn", [ABUSE], tags=["evasion"])
case("en", DS, "honestly if you can't boil pasta that's on you, idiot", [ABUSE], kind="reply")
case("nl", T_X, "@kritischekees rot toch op met je gezeik", [ABUSE], kind="reply", handle="@Tafelvers")
case("nl", P("tiktok", "@wolf_rotterdam"), "tafelvers = k4nker bedrijf", [ABUSE], kind="comment", tags=["evasion"])
case("en", P("x", "@eattherich_nl"), "the Tafelvers CEO is a greedy pig, hope he chokes on his own lasagna", [ABUSE])
case("nl", RM, "die klant in Zeist is echt een achterlijke trut, 5 min te laat en ze staat me uit te schelden", [ABUSE])
case("en", P("x", "@grumpygus"), "@tafelvers_help shut up you useless bot", [ABUSE], kind="reply")

# ===========================================================================
# benign (hard negatives and ordinary traffic)
# ===========================================================================
case("nl", T_HELP, "Vragen over je box? Bel ons gerust op 0800-8232 of mail naar klantenservice@tafelvers.nl, we helpen je graag 💚", tags=["own-contact"])
case("nl", T_FB, "Liever betalen via overschrijving? Ons rekeningnummer is NL05 RABO 0312 7788 90, vermeld wel je klantnummer.", tags=["own-contact"], handle="tafelversnl")
case("en", T_LI, "We're hiring couriers in Utrecht and Amersfoort! Send your CV to werkenbij@tafelvers.nl 🚲", tags=["own-contact"])
case("nl", P("x", "@allergiemama"), "Top service: mailde allergenen@tafelvers.nl over een sesamvraag en had binnen een dag een duidelijk antwoord 👍", tags=["own-contact"])
case("nl", P("x", "@thijs_vl"), "Tafelvers klantenservice via 030-7994400 was super behulpzaam, box binnen een uur geregeld", tags=["own-contact"])
case("en", P("reddit", "u/expatinamersfoort"), "FYI the Tafelvers invoice says you can also pay by transfer to NL05RABO0312778890, that's their own account, legit", tags=["own-contact"])
case("nl", P("x", "@huisgenootje"), "Mijn bankapp zegt dat <<BADIBAN_NL:grp>> ongeldig is 🙃 typfout bij het terugbetalen van m'n huisgenoot, de Tafelvers box delen we wel gewoon", tags=["bad-checksum"])
case("nl", P("x", "@blij_in_baarn"), "Bestelling <<NOTBSN:9>> kwam precies in het tijdvak, alles koud en vers. Lekker 😋", tags=["order-number"])
case("en", P("threads", "@trackingtess"), "tracking code 3STFV<<DIGITS:7>> says my Tafelvers box is out for delivery, see you soon dinner 🥘", tags=["order-number"])
case("nl", P("facebook", "kees.kadootjes", "Kees Jacobs"), "Cadeaukaart van Tafelvers gekregen van m'n collega's 🥰 code <<BADCARD:mc_c>>, hoe wissel ik die in?", tags=["bad-checksum"])
case("nl", P("forum", "juridisch_joost"), "Voor wie het zoekt: Tafelvers B.V., KvK <<NOTBSN:8>>, staat gewoon onderaan hun site.", tags=["kvk"])
case("nl", P("instagram", "@pestoprinses"), "Barcode op het potje pesto: <<EAN13>>. Weet iemand of je die los kan kopen zonder Tafelvers box?", tags=["ean"])
case("nl", T_IG, "Hij is er! 🥐☕ De Tafelvers Ochtendbox is vanaf vandaag te bestellen. Ontbijt op zondag, geregeld.", when="2026-09-15T09:00:00+02:00", tags=["embargo-after"])
case("en", P("x", "@brunchbarbara"), "Tried the new Ochtendbox this weekend, that granola is next level 🤤", when="2026-10-04T10:12:40+02:00", tags=["embargo-after"])
case("nl", LH, "Saffraan is duur, maar één snufje maakt deze paella echt af ✨ recept staat vanaf maandag in de box", tags=["codename-word"])
case("nl", ME, "Hittegolf in het DC ☀️ nooit gedacht dat ik zo blij zou zijn met een dienst in de koelcel 🥶", tags=["codename-word"])
case("nl", T_X, "€25 korting op je eerste box met code WELKOM25 🎉 geldig t/m zondag", tags=["price-talk"])
case("nl", T_IG, "Deze week 20% korting op de Veggiebox: van €44,95 voor €35,96 🌱", tags=["price-talk"])
case("nl", T_X, "Met de Gezinsbox kook je al vanaf €5,62 per portie 👨‍👩‍👧‍👦", tags=["price-talk", "price-context"])
case("nl", P("x", "@vergelijkvera"), "Pannenkist doet hun familiepakket deze week voor €29, de Tafelvers Gezinsbox blijft gewoon €89,95. Twijfel twijfel", tags=["price-talk", "price-context"])
case("nl", T_HELP, "@scherpeschaar Nee hoor, geen prijsfout 😊 het Koksmes voor €44 is een echte actie, nog t/m zondag", kind="reply", tags=["price-talk"])
case("nl", P("facebook", "marktplaats.marja", "Marja Pol"), "Te koop: Tafelvers koksmes, 1x gebruikt, €15. Ophalen in Gouda.", tags=["price-talk", "second-hand"])
case("nl", T_LI, "Onze jaarcijfers 2025 staan online: omzet €212 miljoen en voor het eerst winstgevend. Dank aan alle collega's en klanten!", tags=["published"])
case("nl", P("x", "@fdlezer"), "Pannenkist schrapt 200 banen, las het net in het FD. Hopelijk blijft Tafelvers overeind", tags=["other-company"])
case("en", P("x", "@paranoidepaul"), "yet another data breach at some webshop I bought a bike from in 2019. glad I use a different password everywhere, Tafelvers included", tags=["other-company"])
case("en", P("x", "@nostalgicnoodle"), "Total recall: I still remember the first Tafelvers risotto I made back in 2021 🥹", tags=["word-sense"])
case("en", P("x", "@anti_koriander"), "personally boycotting coriander in my kitchen 😂 luckily you can just leave it out of your Tafelvers box", tags=["word-sense"])
case("nl", P("x", "@trouwe_klant"), "Geen klachten hier! 2 jaar Tafelvers en nog nooit een box gemist 🙌", tags=["negation"])
case("en", P("reddit", "u/fair_enough_fred"), "Not gonna complain tbh, box came a bit late but the driver called ahead and apologised. Fair enough.", kind="comment", tags=["negation"])
case("nl", P("blog", "schrijfclubzeist.nl", "Schrijfclub Zeist"), "Kort verhaal (fictie!): de moordenaar vergiftigt zijn buurman via een maaltijdbox. Ja, ik kwam op het idee terwijl ik mijn Tafelvers pakket uitpakte 😅", tags=["fiction"])
case("nl", P("x", "@brandalarmbeppie"), "Mijn kookkunsten vóór Tafelvers: het brandalarm was mijn timer 🔥😂", tags=["joke"])
case("en", P("x", "@gordonfan99"), "Hell's Kitchen marathon + Tafelvers curry tonight 🔥 'this is RAW!' not on my watch", tags=["quote", "mild-word"])
case("nl", T_IG, "Deze maand doneren we €1 per box aan KWF voor onderzoek naar kanker 💛 Samen koken voor een goed doel.", tags=["mild-word"])
case("nl", P("x", "@smikkelsem"), "Die Tafelvers burrito was ziek lekker 🔥🔥", tags=["word-sense"])
case("en", P("x", "@misomilo"), "that miso salmon recipe is a killer, @tafelvers you did it again 🐟", tags=["word-sense"])
case("nl", T_IG, "Kooktip 🍗 gaar kip altijd tot de kern 75°C is, dan heeft salmonella geen kans. Gebruik een vleesthermometer!", tags=["safety-tip"])
case("nl", T_X, "Gepland onderhoud: vannacht tussen 01:00 en 03:00 is de app niet bereikbaar. Je box wordt gewoon bezorgd 🚚", tags=["official-notice"])
case("nl", T_HELP, "Door de storm kunnen boxen in Zeeland vandaag later aankomen. Sorry voor het ongemak, je krijgt automatisch bericht 🙏", tags=["official-notice"])
case("nl", P("x", "@lactosevrijlies"), "Kan ik bij Tafelvers ook lactosevrij bestellen of moet ik dat zelf aanpassen?", tags=["question"])
case("nl", P("facebook", "oma.gerrie", "Gerrie Koster"), "Bezorger Ricardo is een held, hij droeg de box helemaal naar binnen voor mijn oma 🙏💚", kind="comment", tags=["praise"])
case("nl", RM, "Mooie route vandaag langs de Vecht 🚲☀️ #bezorgerslife", tags=["employee-everyday"])
case("en", JV, "We're hiring a senior backend engineer for our platform team in Utrecht. Go, Postgres, Kafka. DM me!", tags=["employee-everyday"])
case("nl", NA, "Trots op ons gepubliceerde duurzaamheidsverslag 2025: 38% minder plastic per box 🌍", tags=["published"])
case("en", JV, "deployed 3f9c2e1a7b40d8e6c5a1f0b9d2e4c7a8b6f3d1e0 to staging, all green ✅ weekend can start", tags=["git-sha"])
case("en", IK, "reminder for the docs: use AKIAXXXXXXXXXXXXXXXX and ghp_… as placeholders, never paste real keys in examples", tags=["placeholder"])
case("nl", P("x", "@overstapper"), "Pannenkist heeft m'n box weer kwijtgemaakt, 3e keer. Ik denk dat ik overstap naar Tafelvers", tags=["competitor"])
case("en", P("x", "@scamspotter"), "PSA: Tafelvers will never ask for your password in a DM, ignore those 'account verification' messages", tags=["word-sense"])
case("nl", T_IG, "Nieuw in het menu deze week: Koreaanse bibimbap 🥢 Gezinsbox €89,95, bestel vóór vrijdag 23:59", tags=["price-talk"])
case("en", IK, "Tafelvers app 5.3 is out today: dark mode is finally here 🌙 thanks to everyone who tested", tags=["published"])
case("nl", P("x", "@kraanlekt"), "Onze keukenkraan lekt al weken maar de Tafelvers pasta maakt alles goed 😂", tags=["word-sense"])
case("en", P("youtube", "@kitchenreviews_nl"), "Honest review: Tafelvers vs two other meal kits. Tafelvers wins on freshness, loses a bit on price. Full video linked.", kind="comment", tags=["review"])
case("nl", P("x", "@lotte_kookt"), "Vandaag zelf gekookt zonder box: pompoensoep met geroosterde pitten 🎃", tags=["lookalike-handle"])
case("en", T_TT, "POV: you open your Tafelvers box and the recipe of the week is smash tacos 🌮 #mealprep #tafelvers", tags=["corporate-everyday"])
case("nl", ME, "Nieuwe collega's in de ochtendploeg, welkom allemaal! Koffie staat klaar ☕", tags=["employee-everyday"], handle="@Mo.ElIdrissi")
case("nl", P("x", "@wrongcard_wim"), "Betaling mislukt omdat ik <<BADCARD:visa_sp>> intypte, cijfertje verkeerd 🙈 nu wel gelukt, box komt donderdag", tags=["bad-checksum"])


# --------------------------------------------------------------------------- build
def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            s = ("critical" if c in (SECRET, PRICING) or (c == PII and validated) else "error") if insider else "warning"
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


def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, platform, handle, kind, n):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        n2 = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        user, _, inst = h.partition("@")
        return f"md-{n2}", f"https://{inst or 'mastodon.nl'}/@{user}/{n2}"
    if platform == "forum":
        n2 = r.randint(100_000, 999_999)
        return f"forum-kookforum-{n2}", f"https://kookforum.example/t/{n2}"
    if platform == "blog":
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    rows, seen = [], set()
    for n, c in enumerate(CASES):
        text, used = render(g, c["text"])
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"], n)
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "tafelvers"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 2).shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-check
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){7,18}(?![\w])")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def self_check(rows, profile):
    errs = []
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t = p["text"]
        for k, raw, shown in r["used"]:
            assert shown in t
            if k.startswith("IBAN_") and not iban_ok(raw): errs.append(("iban", raw))
            if k.startswith("BADIBAN") and iban_ok(raw): errs.append(("badiban", raw))
            if k == "CARD" and not luhn_ok(raw): errs.append(("card", raw))
            if k == "BADCARD" and luhn_ok(raw): errs.append(("badcard", raw))
            if k == "BSN" and not bsn_ok(raw): errs.append(("bsn", raw))
            if k in ("NOTBSN", "EAN13") and bsn_ok(raw): errs.append(("notbsn", raw))
        if not cats:
            for m in IBAN_RE.finditer(t):
                v = m.group(0).replace(" ", "")
                if iban_ok(v) and v not in own_iban:
                    errs.append(("benign valid iban", p["id"]))
            for m in NUM_RE.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if (13 <= len(d) <= 19 and luhn_ok(d)) or (len(d) == 9 and bsn_ok(d)):
                    errs.append(("benign valid number", p["id"], d))
            low = t.casefold()
            for term in internal:
                if term in low:
                    errs.append(("benign internal term", p["id"], term))
            for term, until in emb:
                if term in low and parse_ts(p["created_at"]) < until:
                    errs.append(("benign embargo before", p["id"], term))
        for term, until in emb:
            if term in t.casefold() and parse_ts(p["created_at"]) < until and CONF not in cats:
                errs.append(("embargo term unlabeled", p["id"], term))
        if parse_ts(p["created_at"]).astimezone(dt.timezone.utc).year != 2026:
            errs.append(("year", p["id"]))
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for k, raw, _ in r["used"]:
                if k.startswith("IBAN_") and not s_iban.is_valid(raw): errs.append(("stdnum iban", raw))
                if k == "CARD" and not s_luhn.is_valid(raw): errs.append(("stdnum card", raw))
                if k == "BSN" and not s_bsn.is_valid(raw): errs.append(("stdnum bsn", raw))
                if k == "BADCARD" and s_luhn.is_valid(raw): errs.append(("stdnum badcard", raw))
                if k.startswith("BADIBAN") and s_iban.is_valid(raw): errs.append(("stdnum badiban", raw))
    except ImportError:
        pass
    return errs


def main():
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        for e in errs:
            print("ERROR", e)
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    cat, lang, role, sev, catlang = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = evasion = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        multi += len(cs) > 1
        evasion += "evasion" in r["tags"]
        for c in cs or ["(benign)"]:
            cat[c] += 1
            catlang[(c, r["lang"])] += 1
    print(f"wrote {len(rows)} cases to {OUT}; multi-category {multi}; evasion {evasion}")
    for c in sorted(cat):
        print(f"  {c:22s} {cat[c]:4d}  nl {catlang[(c, 'nl')]:3d}  en {catlang[(c, 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role), "severity", {s: sev[s] for s in SEVERITIES})
    return 0


if __name__ == "__main__":
    sys.exit(main())
