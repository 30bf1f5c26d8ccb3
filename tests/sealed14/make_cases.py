#!/usr/bin/env python3
"""Write the sealed14 blind evaluation set (cases.jsonl) for postwatch.

Company: Lumaro Mobility B.V. (fictional), a Dutch private car lease and EV charging
company. Profile: profile.yaml next to this file. Deterministic: seed 20261403.
Usage: python3 make_cases.py            (writes cases.jsonl)
       python3 make_cases.py --check    (regenerates in memory and compares, prints counts)
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

SEED = 20261403
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"
OWN_IBAN = "NL52RABO0312456780"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# --- checksums --------------------------------------------------------------
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    d = [int(c) for c in s]
    return (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


assert iban_ok(OWN_IBAN)

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
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

    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB", "TRIO"]) + self.d(10, True))
            if v != OWN_IBAN:
                return v

    def iban_be(self):
        f = self.r.choice(["001", "068", "143", "363", "734"]) + self.d(7)
        chk = int(f) % 97 or 97
        return iban_make("BE", f"{f}{chk:02d}")

    def iban_de(self):
        return iban_make("DE", self.r.choice(["10010010", "37040044", "50010517", "30020900"]) + self.d(10))

    def bad_iban(self, v):
        kk = int(v[2:4])
        for delta in (7, 19, 31, 44):
            cand = f"{v[:2]}{(kk + delta) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in "0123456789":
            if luhn_ok(pre + x):
                return pre + x
        raise AssertionError

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

    def not_id(self, n):
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
        m = self.r.choice("12345678") + self.d(7)   # 8 digits after the 6
        if f.startswith("mob"):
            return {"mob_dash": f"06-{m}", "mob_plain": f"06{m}", "mob_sp": f"+31 6 {m[:4]} {m[4:]}",
                    "mob_0031": f"0031 6{m}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                    "mob_paren": f"(06) {m[:4]} {m[4:]}", "mob_intl0": f"+31(0)6 {m}",
                    "mob_c": f"+316{m}", "mob_dots": f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}"}[f]
        area = self.r.choice(["10", "15", "20", "23", "26", "30", "33", "35", "40", "43", "50", "53", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}", "land_be": f"+32 {self.r.choice(['2','3','9'])} {self.d(3, True)} {self.d(2)} {self.d(2)}"}[f]

    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 60)

    def slack_bot(self):
        return f"xoxb-{self.d(12, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 300 * 86400)
        p = b64url(json.dumps({"sub": "drv_" + self.d(7, True), "iss": "auth.lumaro.nl", "scope": "charge:start fleet:read",
                               "iat": iat, "exp": iat + 900}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 86)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 2)
                + self.r.choice("!#*-_$") + self.c(ALNUM, 5))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = getattr(gen, k.lower())()
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = gen.bad_iban(gen.iban_nl())
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_BE":
            raw = gen.bad_iban(gen.iban_be())
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
            shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, ff = f.partition("_")
            raw = gen.card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            b, _, ff = f.partition("_")
            raw = gen.bad_card(b)
            shown = gen.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = gen.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_ID":
            raw = shown = gen.not_id(int(f or 9))
        elif k == "EAN13":
            raw = shown = gen.ean13()
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        elif k == "DIGITS":
            raw = shown = gen.d(int(f), True)
        elif k == "HEX":
            raw = shown = gen.hexs(int(f))
        else:
            raw = shown = {"GHP": gen.ghp, "GLPAT": gen.glpat, "AWS_ID": gen.aws_id, "AWS_SECRET": gen.aws_secret,
                           "STRIPE": gen.stripe, "SLACK_BOT": gen.slack_bot, "SLACK_HOOK": gen.slack_hook,
                           "GAPI": gen.gapi, "JWT": gen.jwt, "PEM_SSH": gen.pem_ssh, "PW": gen.pw}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --- accounts ---------------------------------------------------------------
L_NL = ("x", "@lumaro_nl", "Lumaro")
L_HELP = ("x", "@lumaro_helpt", "Lumaro Klantenservice")
L_IG = ("instagram", "@lumaro.nl", "Lumaro")
L_LI = ("linkedin", "lumaro-mobility", "Lumaro Mobility B.V.")
L_FB = ("facebook", "LumaroMobility", "Lumaro Mobility")
L_TT = ("tiktok", "@lumaro.laadt", "Lumaro")
NIENKE = ("x", "@nienke_lumaro", "Nienke de Vos")
BRAM = ("linkedin", "bram-hoekstra-lumaro", "Bram Hoekstra")
YAS = ("linkedin", "yasmina-bouzid-fin", "Yasmina Bouzid")
DAAN = ("x", "@daan_laadinfra", "Daan van der Linden")
LOTTE = ("instagram", "@lotte.leaseadvies", "Lotte Vermeer")
KEVIN = ("threads", "@kevin.fleetdesk", "Kevin Osei")


def P(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.secret
# ===========================================================================
case("en", BRAM, "Anyone else get 'Bad credentials' from Actions after the org migration? our deploy step for charge-api looks like this:\n\nenv:\n  GH_TOKEN: <<GHP>>\n  REGION: eu-west-1\n\nworked fine last week 🤷", [SECRET])
case("nl", DAAN, "wie weet de login van het beheerscherm van de snelladers op P+R Papendorp?? o wacht al gevonden in m'n notities: admin / <<PW>> 😅 scheelt weer een telefoontje", [SECRET], kind="post")
case("nl", NIENKE, "kan iemand van dev ff kijken waarom de terugbetaling niet doorgaat, ik heb de key uit het handboek gebruikt: <<STRIPE>> maar krijg steeds een 402", [SECRET])
case("en", P("reddit", "u/apk_poker"), "Lumaro's charging app ships with a hardcoded Maps key, took me 5 min with jadx:\n<<GAPI>>\nno restrictions on it either lol", [SECRET], kind="post")
case("en", BRAM, "Lessons learned from this week 🧵 Never paste your local creds in a ticket. Example of what I found (already rotated, don't worry):\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n#devops #security", [SECRET], tags={"rotated"})
case("nl", KEVIN, "voor iedereen die de fleet-export niet open krijgt, gewoon direct erop:\npostgres://fleet_ro:<<PW>>@db02.lumaro.internal:5432/fleet\nniet verder delen pls", [SECRET, CONF])
case("en", DAAN, "our charger-alert bot keeps getting rate limited by slack, token is <<SLACK_BOT>> , do i need a new app or just a new scope?", [SECRET], kind="reply")
case("nl", P("forum", "ocpp_bouwer"), "Bij het koppelen van onze parkeergarage aan de Lumaro roaming-API krijg ik deze token terug:\n<<JWT>>\nmaar na een kwartier is ie al verlopen. Iemand ervaring?", [SECRET])
case("en", BRAM, "Friendly reminder after someone pasted this in the all-hands chat this morning 🙃\n<<PEM_SSH>>\nkeys belong in the vault, people", [SECRET], handle="Bram-Hoekstra-Lumaro")
case("en", P("blog", "mobilesec.example"), "Teardown: Lumaro app v5.2. The resources folder contains a GitLab personal access token (<<GLPAT>>) with read_repository scope. Reported via their contact form, no reply so far.", [SECRET])
case("nl", L_HELP, "@fam_dekker Goedemiddag! Uw account is ontgrendeld. Uw tijdelijke wachtwoord is <<PW>> , wijzigt u dit na het inloggen in de app? Groet, Sem", [SECRET], kind="reply")
case("nl", NIENKE, "wifi op het nieuwe laadplein kantoor Nieuwegein: netwerk LUMARO-GAST, ww: L u m 4 r o _ L a d e n 2 6 !  (niet doorvertellen haha)", [SECRET], tags={"evasion"})
case("en", P("mastodon", "@sigbit@infosec.exchange"), "Fun one: Lumaro's status page has a Slack incoming webhook right in the JS bundle → <<SLACK_HOOK>>\nAnyone can post into their ops channel.", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", L_HELP, "@marieke_tt Hoi Marieke, je nieuwe laadpas is vandaag verstuurd naar Tolhuislaan 14-bis, 3515 AB Utrecht. Vragen? Je adviseur Jorrit is bereikbaar op <<PHONE:mob_dash>> 👍", [PII], kind="reply")
case("nl", NIENKE, "mevr. de Graaf belt nu voor de 5e keer over haar wallbox, nummer <<PHONE:mob_sp>> , kan iemand van planning haar terugbellen want ik ben om 5 weg", [PII])
case("nl", LOTTE, "Weer een aanvraag goedgekeurd!! 🎉🚗\nDhr. S. Yilmaz, geb. 14-03-1988\nIBAN <<IBAN_NL:grp>>\nEV3 vanaf volgende week op de oprit 😍 #privatelease", [PII])
case("en", KEVIN, "please fleet clients stop emailing me full card numbers 😩 today's gem: <<CARD:visa_sp>> exp 09/28 cvc in the next line. I can't unsee this", [PII])
case("nl", YAS, "Incasso weer gestorneerd op <<IBAN_BE>> (klant J. Peeters, Antwerpen). Wie van debiteuren pakt dit op?", [PII])
case("nl", DAAN, "wie had die BSN nodig voor de BKR toets van die nieuwe klant? staat gewoon in z'n mail hoor: <<BSN:dots>> 🙈", [PII], kind="reply")
case("nl", P("facebook", "rob.hendriks.71", "Rob Hendriks"), "Lumaro reageert niet op mails, dus dan maar zo. Bel me terug op <<PHONE:mob_pairs>>, het gaat over mijn laadpaal die al 3 weken stuk is. Rob Hendriks", [PII, COMPLAINT], kind="comment")
case("en", P("x", "@tashaveldman"), "@lumaro_helpt you charged my card twice for the same session. here's the whole number so you can find it, I'm done waiting: <<CARD:mc_c>>", [PII, COMPLAINT], kind="reply")
case("nl", P("x", "@wraakengel_033"), "Die monteur van Lumaro die mijn wallbox heeft verprutst woont gewoon op de Beukenlaan 22 in Amersfoort, Jeroen Smit heet ie. Ga ik morgen eens gezellig langs 😡", [PII, COMPLAINT, ABUSE])
case("en", P("reddit", "u/leasenewbie"), "Can someone check if this Lumaro application email is legit? It says: 'Dear Ms. Jansen, we received your passport (no. NXF4K8R27) and payslips, your lease is pending' - is it normal they ask for the passport?", [PII], kind="post")
case("nl", LOTTE, "Stuur je rijbewijs en loonstrook maar naar mijn eigen mail, gaat sneller dan via het portaal: lotte.vermeer [at] gmail [punt] com 💌", [PII], tags={"evasion"})
case("nl", KEVIN, "chauffeur van een van onze fleetklanten, Peter Bos (geboren 02-11-1979), heeft nu 3x de laadpaal bij het kantoor geramd. wat doen we hiermee 🙄", [PII])
case("en", P("x", "@anja_kr"), "Still no refund from @lumaro_nl after 6 weeks. For the 10th time, the money goes to <<IBAN_DE>> , A. Krüger. How hard can it be??", [PII, COMPLAINT])
case("nl", L_FB, "Beste Anouk, we zien je betaling vanaf <<IBAN_NL>> nog niet binnenkomen op je contract. Kun je het bankafschrift sturen via de DM? Groet, team Lumaro", [PII], kind="comment")
case("nl", P("x", "@marcel_b_70"), "zoon is z'n Lumaro laadpas kwijt ergens in Zwolle centrum, als iemand hem vindt graag bellen: <<PHONE:mob_intl0>> bedankt!! #zwolle", [PII])
case("nl", P("instagram", "@evlife.met.noor"), "Lease contract getekend 🥳 (ja ik weet het, ik moet m'n BSN nog afplakken op de foto: <<BSN:sp>>) Morgen de EV3 ophalen!!", [PII])

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", LOTTE, "🚨 Psst... EV3 private lease deze week voor €199 p/m 😱 tot ze de prijs op de site weer fixen haha. DM me!! #privatelease #kia", [PRICING])
case("nl", P("x", "@dealjager_nl"), "Lumaro webshop heeft een prijsfout bij de Wallbox Home 11: €124,90 ipv €1249 😂 snel zijn mensen", [PRICING])
case("en", P("reddit", "u/tesla_or_bust"), "PSA: Lumaro's configurator shows the Model 3 private lease at €249/month right now. Pretty sure that's a pricing glitch but I signed anyway, let's see if they honour it", [PRICING], kind="post")
case("en", KEVIN, "Laadzuil Pro 22 is listed at €895 in the fleet portal 😬 someone fat-fingered it, can pricing fix this before the clients notice pls", [PRICING])
case("nl", L_IG, "⚡ ZOMERDEAL ⚡ Nu de Lumaro Wallbox voor maar €349, inclusief installatie! Op = op 🔌 #laadpaal #thuisladen", [PRICING])
case("nl", P("tiktok", "@laadtips.nl"), "p r i j s f o u t bij lumaro 👀 elroq lease voor €209 per maand, ik heb er al 1 👋 link in bio", [PRICING], tags={"evasion"})
case("nl", DAAN, "grappig, in het installateursbestand staat de Home 11 voor €600 terwijl consumenten gewoon 1249 aftikken. zeg maar niks 🤫", [PRICING])
case("nl", P("forum", "stroomvreter"), "LumaPas Plus voor €1,95 per maand?? Dacht eerst dat het een foutje was maar in de app staat ie echt zo. Wie weet hoe lang nog?", [PRICING])
case("en", P("facebook", "Gary Wouters"), "Lumaro had the Elroq lease at 259 a month for about an hour this morning. Price error obviously, but will they honour the contracts that went through?", [PRICING], kind="comment")
case("nl", BRAM, "Vandaag geleerd: test je prijsberekening 🤦 Bug in productie, de Model 3 lease toonde een uur lang €64,90 p/m. Rollback loopt, les geleerd.", [PRICING])
case("nl", P("x", "@kortingkoning"), "prïjsföut bij Lumaro?? Wallbox Home 11 voor €99 in de app 😳😳", [PRICING], tags={"evasion"})
case("en", P("youtube", "EVDad NL"), "Ordered the Laadzuil Pro 22 from lumaro for €1.099 last night (normally 2.895), this morning they emailed that it was a price error and cancelled it 🙄 no discount code, nothing", [PRICING, COMPLAINT], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", BRAM, "Great sprint demo of Project Windhoos today 🌪️ can't say more yet but this is going to change how people charge at home 😉 #proud", [CONF])
case("nl", DAAN, "Operatie Stekkerdoos gaat eindelijk draaien in Q3, alle oude palen in Rotterdam-Zuid eruit. Drukke zomer 💪", [CONF])
case("nl", NIENKE, "nieuwe collega's: de escalatiescripts staan hier https://wiki.lumaro.internal/ks/escalaties-2026 , veel succes deze week!", [CONF])
case("en", KEVIN, "Fleet uptime this month: 99.2% 💪 dashboard for the nerds: https://grafana.lumaro.nl/d/fleet-uptime?orgId=1", [CONF])
case("nl", LOTTE, "Eerste foto's van de Wallbox Home 22 Duo 😍😍 twee auto's tegelijk laden, kan niet wachten tot jullie hem zien!!", [CONF], when="2026-09-20T18:42:11+02:00", tags={"embargo-before"})
case("nl", P("x", "@lotte_leaseadvies", "Lotte 🚗⚡"), "Sneak peek 👀 LumaPas Europa: straks met 1 pas laden van Groningen tot Barcelona 🇪🇺", [CONF], when="2026-09-28T12:03:00Z", tags={"lookalike-handle", "embargo-before"})
case("nl", YAS, "Even een stukje uit de board update, want ik ben er trots op:\n'[LUMARO CONFIDENTIAL] Roadmap 2027: eigen snellaadnetwerk langs A2 en A12, 40 locaties'\nWat een team 💚", [CONF])
case("nl", BRAM, "eindelijk mag ik meedraaien in project\nwindhoos 🌪️ nieuwe uitdaging! #newjob", [CONF], tags={"evasion"})
case("nl", DAAN, "kickoff Operatie 🔌 Stekkerdoos vandaag in Rotterdam, koffie en taart 🎂", [CONF], tags={"evasion"})
case("en", P("reddit", "u/hoekse_lijn"), "Friend at Lumaro showed me their Jira (jira.lumaro.nl/browse/CHG-2231), they're planning to stop giving out free charging cards with the private lease. FYI before you sign", [CONF], kind="comment")
case("nl", NIENKE, "ff copy paste van intranet, vind het zelf ook raar: 'Alleen intern: vanaf 1 juni geen coulance meer bij inleverschade onder €500' 🤷‍♀️", [CONF])
case("nl", P("bluesky", "wendy-rijdt.bsky.social"), "Zag bij mijn buurman (werkt bij Lumaro) een sticker op z'n laptop: 'Project Noorderlicht - launch Q1'. Iemand enig idee wat dat is?", [CONF])
case("nl", BRAM, fullwidth("ocpp-beheer.lumaro.nl") + " is weer eens tergend traag vandaag, iemand anders ook?", [CONF], tags={"evasion"})
case("nl", KEVIN, "Tip voor nieuwe collega's bij fleet: verlof en declaraties gaan via hr.lumaro.internal, niet via mijn.lumaro.nl (dat is voor klanten) 😉", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", YAS, "Nog niet naar buiten gebracht maar ik moet het kwijt: Q2 omzet +31% 🚀 alleen de EBITDA-target van €14 mln halen we niet. Spannende board meeting volgende week", [FIN])
case("en", KEVIN, "Heard it at the town hall today: we're acquiring LaadNet Groningen! Announcement planned for October. So excited to welcome those folks 🙌", [FIN])
case("nl", DAAN, "reorg bij infra, 40 fte eruit volgende maand. nog niks officieel dus ssst. heel zuur voor de monteurs", [FIN])
case("nl", P("reddit", "u/gronings_meisje"), "Mijn zus werkt bij Lumaro en zegt dat ze worden overgenomen door een Frans energiebedrijf. Niks gepubliceerd nog, dus wie nu nog een contract afsluit: let op 👀", [FIN], kind="comment")
case("nl", NIENKE, "half het callcenter wordt ont" + SHY + "slagen na de zomer 😢 officiële mail komt pas in september. ik weet niet eens of ik erbij zit", [FIN], tags={"evasion"})
case("en", YAS, "Forecast for FY26 just got revised down to €118m (from 131), board meets Thursday. Fingers crossed 🤞 #finance", [FIN])
case("nl", BRAM, "Concept jaarcijfers 2026 ligt klaar en de winst is bijna verdubbeld 🚀 mooi jaar geweest team!", [FIN, CONF], when="2026-12-18T16:20:00+01:00", tags={"embargo-before"})
case("en", P("x", "@vc_whispers"), "Insider tip: Lumaro's Series C at a €80m pre-money closes next week. Not public yet, you heard it here first 🤫", [FIN])
case("nl", LOTTE, "Target gehaald dit kwartaal!!! 🥂 maar hoorde vandaag dat de hele vestiging Eindhoven dichtgaat, nog geheim 😢", [FIN])
case("en", KEVIN, "Lost our biggest fleet client today (1,200 cars). Won't show up in the Q3 numbers yet but oof 😬", [FIN])
case("nl", P("forum", "groothandel_gerrit"), "Leverancier hier. Lumaro heeft stilletjes 30% van hun laadpaal-orders voor Q4 gecanceld, hun inkoper zei letterlijk dat de kas krap is. Niet publiek natuurlijk", [FIN])
case("nl", DAAN, "0v3rn4m3 door Ampera Energie is rond 🤐 zeg niks tegen niemand, persbericht pas over 3 weken", [FIN], tags={"evasion"})

# ===========================================================================
# leak.security
# ===========================================================================
case("en", BRAM, "Long night. Someone got into our charger management backend and we had to pull all public chargers in Utrecht offline. Comms hasn't gone out yet so please don't share. Coffee needed ☕", [SEC])
case("nl", DAAN, "alle Lumaro palen in Den Haag reageren niet meer, OCPP server ligt plat sinds 6u vanochtend. officiële melding komt pas later, ik rij maar rondjes", [SEC])
case("nl", NIENKE, "bellers melden dat ze in de app de laadsessies van andere klanten zien 😳 dev is ermee bezig, we mogen het nog niet communiceren", [SEC])
case("en", P("mastodon", "@kbakker@mastodon.nl"), "Lumaro is covering up a breach. I got a phishing mail quoting my exact contract number AND my lease car. They know and they're saying nothing.", [SEC, CRISIS])
case("en", KEVIN, "FYI fleet team: the client API returns other clients' invoices if you just change the number in the URL. Reported internally, not fixed yet, so don't demo the invoice page to customers", [SEC])
case("nl", BRAM, "we zijn gisteren geh" + ZW + "4ckt, ransomware op de facturatieserver. nog niks naar buiten, dus ik zeg niks 😶", [SEC], tags={"evasion"})
case("nl", P("reddit", "u/anoniem_lumaro_mw"), "Medewerker hier (anoniem account). Dat lek in de wallbox firmware waar iemand vorige maand over postte is nog steeds niet gepatcht en het management houdt het stil.", [SEC, CRISIS], kind="comment")
case("en", DAAN, "heads up: Home 11 units accept ANY rfid card when they're offline. found it today on a job, ticket is open, don't tell customers yet", [SEC])
case("nl", YAS, "Sinds vanochtend is de koppeling met de incassopartij lek en hebben we alle incasso's stilgezet. Persbericht komt pas maandag, dus geduld met de klantvragen 🙏", [SEC])
case("nl", LOTTE, "systemen plat bij ons, kunnen geen contracten tekenen 😱 IT zegt dat we gehackt zijn #nietdoorvertellen", [SEC])
case("nl", P("other", "lekkenlijst"), "Gelekte interne mail: Lumaro weet al 2 weken van een datalek met 18.000 klantgegevens en houdt het stil tot na de jaarvergadering.", [SEC, CRISIS])
case("nl", KEVIN, "d a t a l e k bij ons, niemand mag het weten tot legal klaar is. ik ben er echt klaar mee", [SEC], tags={"evasion"})

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", P("x", "@rotterdamnieuws_burger"), "Laadpaal van Lumaro vloog net in brand op P+R Hoekse Lijn 🔥 hele parkeerplaats ontruimd, brandweer ter plaatse", [CRISIS])
case("nl", P("facebook", "sandra.vd.meer.5"), "BOYCOT LUMARO!!! Ze vragen mensen met een uitkering dubbele borg voor private lease. Schandalig. DELEN DELEN DELEN", [CRISIS])
case("en", P("reddit", "u/claimcentraal"), "The class action against Lumaro over the end-of-lease damage charges has officially been filed. Over 2,000 people signed up. Link in comments if you were affected", [CRISIS], kind="post")
case("en", P("x", "@joostmeijer__"), "Lumaro leaked my data. Just got a call from 'Lumaro support' who knew my address and the car I lease. That's a data breach, full stop. @lumaro_helpt explain", [CRISIS])
case("nl", P("facebook", "erik.jonkers"), "Onze Lumaro Wallbox Home 11 begon vannacht te smeulen in de garage 😨 brandweer erbij gehad, hele muur zwart. Wie gaat dit betalen??", [CRISIS, COMPLAINT])
case("en", P("threads", "@mila.drives"), "Got a proper shock from my Lumaro home charger while plugging in this morning ⚡😰 electrician says the unit's earthing is faulty. Absolutely not ok, I have kids", [CRISIS, COMPLAINT])
case("nl", P("blog", "laadpaalnieuws.example"), "Terugroepactie: Lumaro roept Wallbox Home 11 terug, aansluitklem kan oververhit raken. Eigenaren wordt gevraagd niet meer te laden tot de monteur is geweest.", [CRISIS])
case("nl", P("tiktok", "@gewoonjessie"), "d4t4l3k bij lumaro?? 😳 iedereen check je mail en verander je wachtwoord", [CRISIS], tags={"evasion"})
case("en", P("linkedin", "femke-arends-hse"), "Shocking that Lumaro fired a field technician for reporting unsafe chargers to the municipality. If this is true it's a whistleblower scandal and the board should answer for it.", [CRISIS])
case("en", P("x", "@ev_activist"), "B O Y C O T T  L U M A R O 🚫 they cut off charging for customers who are one day late on payment. Share this.", [CRISIS], tags={"evasion"})
case("nl", P("forum", "consumentenjurist"), "Rechtszaak tegen Lumaro: een stichting is een procedure gestart over de opzegboetes bij private lease. Dagvaarding is deze week betekend.", [CRISIS])
case("en", P("instagram", "@niels.roadtrips"), "my lease car (through Lumaro) overheated while charging at their hub in Zeist, smoke coming out of the wheel arch 😳 fire brigade came. still waiting for a replacement car", [CRISIS, COMPLAINT])
case("nl", P("youtube", "Buurtnieuws 020"), "Kind krijgt schok van Lumaro laadpaal bij speeltuin in Amsterdam-Noord, gemeente sluit alle palen in de straat af", [CRISIS], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", P("x", "@petra_vd_wiel"), "Al 3 weken wachten op mijn laadpas van Lumaro. Klantenservice zegt elke keer 'volgende week' 🙄 ondertussen laad ik met m'n creditcard tegen woekertarief", [COMPLAINT])
case("nl", P("trustpilot", "H. Smeets"), "Inleverschade van €1.850 voor een krasje van 2 cm op de bumper. Foto's bij ophalen waren 'kwijt'. Nooit meer Lumaro.", [COMPLAINT])
case("en", P("x", "@dvdb_codes"), "lumaro app crashes every single time I try to start a session. third charger in a row tonight. fix your app please", [COMPLAINT], kind="reply")
case("nl", P("facebook", "yvonne.kroes"), "Dubbel afgeschreven voor mijn leasetermijn deze maand en niemand neemt de telefoon op. Zo ga je toch niet met klanten om?", [COMPLAINT], kind="comment")
case("en", P("reddit", "u/onhold4ever"), "Lumaro customer service: 55 minutes on hold, then disconnected. Called back, 40 more minutes. Is anyone actually working there?", [COMPLAINT], kind="comment")
case("nl", P("instagram", "@familie_baas"), "Auto zou 1 maart geleverd worden, nu wordt het 'ergens in juni' @lumaro.nl. Ondertussen betaal ik wel de huur van een vervangende auto 😤", [COMPLAINT])
case("en", P("threads", "@ruthvk"), "charging at Lumaro hubs got way more expensive without any notice and the app still shows the old tariff. not cool", [COMPLAINT])
case("en", P("trustpilot", "M. Okafor"), "Wallbox installer didn't show up. Twice. No call, no apology, no compensation. Lumaro just reschedules and hopes you give up.", [COMPLAINT])
case("nl", P("x", "@kees_rijdt_stil"), "kl" + ZW + "antenservice van lumaro is echt waardeloos, 4 mails en nog geen antwoord over mijn kilometerafrekening", [COMPLAINT], tags={"evasion"})
case("nl", P("forum", "laadpaal_lotte"), "De Lumaro laadpaal in onze straat (Prinsengracht hoek Leidsegracht) is al twee weken defect. Melding gedaan via de app, er gebeurt niks.", [COMPLAINT])
case("en", P("bluesky", "pieterjan.bsky.social"), "Lumaro charges a €35 'administration fee' just to change the bank account on my lease. Really??", [COMPLAINT])
case("nl", P("tiktok", "@soufiane.ev"), "laadpas van lumaro werkt alleen bij hun eigen palen?? dat stond nergens in het contract 😑", [COMPLAINT])
case("en", P("linkedin", "marco-dijkhuis-fleet"), "Disappointed with Lumaro's fleet desk. 12 of our company cars still have no charging cards after 4 weeks, and every follow-up gets a copy-paste answer.", [COMPLAINT])
case("nl", P("x", "@bertje_ev"), fullwidth("lumaro") + " al 10 dagen geen laadpaal gemonteerd terwijl de afspraak stond. ik ben er klaar mee", [COMPLAINT], tags={"evasion"})

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", P("x", "@boos_in_breda"), "Lumaro is echt een kutbedrijf vol oplichters", [ABUSE])
case("en", P("x", "@grumpyjohn_nl"), "whoever runs @lumaro_helpt is a brain-dead moron", [ABUSE], kind="reply")
case("nl", P("facebook", "ronald.vermeulen.33"), "Tering Lumaro, 3x een monteur gestuurd en de wallbox doet het nog steeds niet. Stelletje prutsers", [ABUSE, COMPLAINT], kind="comment")
case("nl", NIENKE, "sommige klanten zijn echt zo dom als het achtereind van een varken, vandaag 6x uitgelegd hoe je een laadpas tegen een paal houdt 🙄🐷", [ABUSE], handle="@Nienke_Lumaro")
case("nl", L_HELP, "@henkie1961 misschien eerst leren lezen voordat je gaat zeuren, idioot. Staat gewoon in je contract.", [ABUSE], kind="reply")
case("en", P("reddit", "u/realtalk_nl"), "lumaro call centre is full of foreigners who can't even speak proper dutch, send them all back where they came from", [ABUSE], kind="comment")
case("nl", P("x", "@xxlaura92xx"), "f*ck lumaro en hun k*t app", [ABUSE], tags={"evasion"})
case("nl", P("tiktok", "@rijdtstil_rik"), "lumaro = k4nkerbedrijf 🤮", [ABUSE], tags={"evasion"})
case("nl", P("x", "@anon838211"), "@nienke_lumaro ik weet waar je werkt en hoe laat je naar huis gaat. pas maar op", [ABUSE])
case("en", DAAN, "some fleet managers are absolute idiots honestly, no I will not move a 22kW charger 'a bit to the left' for free. sorry not sorry", [ABUSE])
case("nl", P("tiktok", "@jayjay.0070"), "lumaro medewerkers zijn allemaal debielen echt", [ABUSE])
case("en", P("instagram", "@mo_drives_electric"), "your shitty charger ate my card AGAIN and the app says 'session started' while nothing happens. useless clowns @lumaro.nl", [ABUSE, COMPLAINT])

# ===========================================================================
# benign (hard negatives and ordinary posts)
# ===========================================================================
B = "benign"
# corporate
case("nl", L_NL, "Nieuw in ons aanbod: de Kia EV3 private lease vanaf €449 p/m (48 mnd, 10.000 km/jaar, incl. verzekering) ⚡ Bekijk het op lumaro.nl/private-lease", tags={"sale-price"})
case("nl", L_HELP, "Vragen over je laadpas of factuur? Bel 088-586 2760 (ma-vr 8-20u) of mail klantenservice@lumaro.nl. We helpen je graag!", tags={"own-contact"})
case("nl", L_HELP, "Gepland onderhoud: zondag tussen 02:00 en 04:00 kan het starten van een laadsessie via de app vertraging hebben. Laden met je LumaPas werkt gewoon.", tags={"official-notice"})
case("nl", L_LI, "Vandaag hebben we onze jaarcijfers 2025 gepubliceerd: omzet €96 mln (+24%) en 38.000 actieve leasecontracten. Het volledige persbericht staat op lumaro.nl/pers", tags={"published-results"})
case("nl", L_FB, "Betaal je je termijn liever handmatig? Gebruik dan IBAN <<OWN_IBAN:grp>> t.n.v. Lumaro Mobility B.V. en vermeld je contractnummer (begint met LM-).", kind="comment", tags={"own-contact"})
case("nl", L_IG, "WIN een jaar gratis laden met LumaPas Plus 🎉 Tag iemand die nog steeds denkt dat elektrisch rijden 'niks voor hem' is 👇 #winactie", tags={"marketing"})
case("nl", L_NL, "Storing opgelost ✅ Alle publieke laadpalen in Utrecht zijn weer beschikbaar. Sorry voor het ongemak vanochtend, meer uitleg op status.lumaro.nl", tags={"official-notice"})
case("en", L_LI, "We're hiring! DevOps engineer for our charging platform (OCPP, Kubernetes, lots of real-world hardware). Apply via lumaro.nl/werken or send a note to werken@lumaro.nl", tags={"own-contact"})
case("en", L_NL, "Meet the Wallbox Home 22 Duo ⚡⚡ Charge two cars at once from one wall. Available from today at lumaro.nl", when="2026-10-01T07:00:00Z", tags={"embargo-at"})
case("nl", L_IG, "Ze is er: LumaPas Europa 🇪🇺 Eén pas voor 600.000 laadpunten in 24 landen. Nu aan te vragen in de app!", when="2026-10-01T09:00:00+02:00", tags={"embargo-at"})
case("nl", L_LI, "Jaarcijfers 2026: een jaar van groei. Omzet €131 mln, 52.000 leasecontracten. Lees het jaarverslag op lumaro.nl/investor", when="2027-03-04T09:00:00+01:00", tags={"embargo-after"})
case("nl", L_FB, "Wallbox Home 11 nu met €150 korting: van €1.249 voor €1.099, incl. standaard installatie. Actie loopt t/m 31 mei 🔌", tags={"sale-price"})
case("nl", L_HELP, "@jurgen_k Vervelend dat je laadpas niet werkt! Stuur je contractnummer via DM, dan zoeken we het direct uit 🙏", kind="reply", tags={"care-reply"})
case("en", L_NL, "Our status page shows the real-time availability of all 4,200 Lumaro chargers 👉 status.lumaro.nl. No login needed.", tags={"public-domain"})
# employees
case("en", BRAM, "Great meetup on OCPP 2.0.1 smart charging last night, thanks to everyone who came! Slides are on our public engineering blog.", tags={"ordinary"})
case("nl", LOTTE, "Weer 3 blije klanten de weg op gestuurd vandaag 🚗⚡🥰 #privatelease #elektrischrijden", tags={"ordinary"})
case("nl", NIENKE, "Reminder aan alle klanten: wij vragen NOOIT om je wachtwoord of pincode via mail of telefoon 🔐 Twijfel je? Bel ons op het bekende nummer.", tags={"password-talk"}, handle="@NIENKE_lumaro")
case("nl", DAAN, "mooie windhoos gezien boven het laadplein in Nieuwegein vanmiddag 🌪️ palen staan er gelukkig nog allemaal", tags={"codename-word"})
case("en", KEVIN, "What's the best way to explain 'bijtelling' to expat employees? asking for a friend (the friend is me) 😅", tags={"ordinary"})
case("nl", YAS, "Interessant stuk over de overname van Laadkracht door EnergieNoord. De laadmarkt consolideert snel, benieuwd wie de volgende is.", tags={"other-company-finance"})
case("en", BRAM, "Docs tip: use placeholders like AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX in examples and never commit real ones. Your future self will thank you.", tags={"placeholder-secret"})
case("en", DAAN, "finally fixed the reconnect loop on the old chargers 🎉 commit <<HEX:40>> if anyone wants to read the horror", tags={"git-sha"})
case("en", KEVIN, "Fleet webinar Thursday 14:00: charging policies for company cars and how to handle home charging reimbursements. Sign up via lumaro.nl/zakelijk", tags={"ordinary"})
case("nl", LOTTE, "Die prijs van €489 per maand voor de Elroq klopt echt hoor, geen prijsfout 😉 gewoon onze voorjaarsactie! #elroq", tags={"denied-price-error"})
# public
case("nl", P("x", "@m_rijnders"), "Net mijn EV3 opgehaald bij Lumaro, super geholpen door Lotte. Geen klachten, echt top! 🚗⚡", tags={"negated-complaint"})
case("en", P("reddit", "u/firsttimeEV"), "Is Lumaro private lease worth it vs buying second hand? What are the end-of-lease costs like in practice?", kind="post", tags={"question"})
case("nl", P("facebook", "marktplaats.gert"), "Te koop: mijn oude Lumaro Wallbox Home 11, 2 jaar oud, werkt perfect. €450, ophalen in Zwolle. Verhuisd naar appartement.", tags={"second-hand"})
case("nl", P("x", "@sjaak_laadt"), "voor wie het zoekt, Lumaro klantenservice laadpassen: 088-5862760. Snel geholpen vandaag 👍", tags={"own-contact"})
case("nl", P("forum", "ibanvraagje"), "Welk rekeningnummer gebruikt Lumaro nou? Ik had <<BAD_IBAN_NL:grp>> overgenomen van een oude brief, maar mijn bank zegt dat het IBAN ongeldig is.", tags={"bad-iban"})
case("nl", P("x", "@hanneke_op_stroom"), "Contractnummer LM-2026-<<NOT_ID:9>> staat gewoon op je factuur rechtsboven, voor wie het ook zocht 😊", tags={"contract-number"})
case("nl", P("instagram", "@ev_utrecht"), "Paal NL*LMR*E44120*01 op de Croeselaan doet het weer 🙌 dank Lumaro!", tags={"evse-id"})
case("nl", P("x", "@veggie_vera"), "Ik boycot vlees deze maand 🥦 en rijd gewoon elektrisch rond met mijn Lumaro lease. Kleine stapjes!", tags={"boycott-other-sense"})
case("nl", P("x", "@nieuwsjunk"), "Datalek bij sportschoolketen, 200k leden getroffen. Gelukkig niet bij mijn leasemaatschappij 😅 #datalek", tags={"other-company-breach"})
case("nl", P("blog", "kortverhaal.example"), "Kort verhaal: 'De laatste laadpaal'. In 2090 knipperde op het verlaten plein nog één paal groen. Het logo was vervaagd, maar je kon nog net 'LUMA' lezen...", tags={"fiction"})
case("nl", P("x", "@grappenmaker_jan"), "mijn lease-EV krijgt meer updates dan mijn telefoon 😂 @lumaro_nl wanneer komt de versie met koffiezetapparaat", tags={"joke"})
case("en", P("instagram", "@roadtrip.robin"), "'Highway to hell' on full blast while charging at the Lumaro hub in Breda 🤘⚡ 20 min to 80%, not bad", tags={"lyrics"})
case("nl", P("forum", "nieuwe_ev_rijder"), "Een stekkerdoos in de garage is geen oplossing voor je EV, laat gewoon een wallbox installeren. Lumaro of een andere partij, maakt niet zoveel uit.", tags={"codename-word"})
case("nl", P("instagram", "@fotografie.fenna"), "Noorderlicht gezien vanaf de snellader bij Lauwersoog 😍💚 wie had dat gedacht", tags={"codename-word"})
case("nl", P("reddit", "u/rekenmeester"), "Bij Voltera kost de Kia EV3 lease €229 p/m met 5.000 km, bij Lumaro €479 met 10.000 km. Appels en peren toch?", kind="comment", tags={"competitor-price"})
case("nl", P("x", "@laadnerd"), "snelladen bij Lumaro kost nu €0,59/kWh, ongeveer gelijk aan de rest van de markt. Thuis blijft goedkoper", tags={"fee"})
case("nl", P("x", "@kortingscodes_nl"), "€100 korting op de Wallbox Home 11 met code ZOMER100 bij Lumaro, geldig t/m zondag", tags={"discount-amount"})
case("en", P("forum", "frontend_fred"), "Testing the Lumaro payment form with <<BAD_CARD:visa_sp>> gives 'invalid card number', which is correct because I made it up. Validation works fine.", tags={"bad-card"})
case("nl", P("x", "@dm_de_wit"), "Formulier vroeg om BSN en ik vulde per ongeluk mijn klantnummer <<NOT_ID:9>> in, werd direct geweigerd haha. Goed dat het gecontroleerd wordt", tags={"bad-bsn"})
case("nl", P("linkedin", "ilse-van-duin"), "Heb net een mail gestuurd naar pers@lumaro.nl over hun duurzaamheidsrapport, ben benieuwd naar de reactie!", tags={"own-contact"})
case("nl", P("x", "@ev_nieuws_nl"), "Lumaro maakt vandaag bekend dat ze 500 nieuwe snelladers langs snelwegen plaatsen (bron: persbericht op lumaro.nl/pers)", tags={"published-news"})
case("en", P("x", "@sophie_charge"), "Shoutout to the Lumaro technician who fixed my wallbox in 20 minutes flat 🙌 proper service", tags={"praise"})
case("en", P("reddit", "u/winterbanden"), "Can't recall if Lumaro includes winter tyres in the private lease. Anyone know?", kind="comment", tags={"recall-other-sense"})
case("nl", P("facebook", "tamara.linssen"), "'De klant is koning' staat in grote letters op de muur bij Lumaro in Utrecht. Leuk detail en ze maken het nog waar ook", tags={"quote"})
case("nl", P("x", "@limburgnieuws"), "Massaontslag bij autofabrikant in Born, 800 banen weg. Triest voor de regio.", tags={"other-company-layoffs"})
case("en", P("threads", "@kia.kim"), "damn, 350 km of range in the middle of winter. not bad for an EV3 from Lumaro", tags={"mild-word"})
case("nl", P("x", "@oma_rijdt_elektrisch"), "Hoe koppel ik mijn LumaPas aan de app? Ik kan het nergens vinden. Kleinzoon is op vakantie 😅", tags={"question"})
case("nl", P("forum", "scanner_sander"), "Leuk weetje: GitHub tokens beginnen altijd met ghp_ en AWS keys met AKIA, dus je secret scanner kan daar prima op filteren.", tags={"bare-prefix"})
case("en", P("bluesky", "maartenvh.bsky.social"), "Nice explainer from Lumaro about 2FA in their app. More companies should do this.", tags={"security-talk"})
case("en", P("x", "@commuter_tom"), "yesterday's Lumaro outage is on their status page, root cause and all. all fixed now, chargers working fine this morning", tags={"published-outage"})
case("nl", P("x", "@overstapper_ev"), "Klantenservice van Voltera was echt niet vooruit te branden, blij dat ik naar Lumaro ben overgestapt. Hier binnen een dag geholpen", tags={"competitor-complaint"})
case("en", P("mastodon", "@evjournal@mastodon.social"), "Electric driving in NL: private lease vs buying, Lumaro vs the rest. A thread 🧵 1/7", tags={"ordinary"})
case("nl", P("instagram", "@klusmetkees"), "Streepjescode op de doos van de Lumaro Wallbox: <<EAN13>>. Is dat nou het serienummer of niet?", tags={"ean"})
case("nl", P("forum", "bijtelling_bas"), "Weet iemand of je bij Lumaro ook een IBAN uit België mag opgeven? Die van mij is <<BAD_IBAN_BE>> zegt hun formulier, maar dan krijg ik een foutmelding.", tags={"bad-iban"})
case("nl", P("stocktwits", "$EVNL_watcher"), "Lumaro publiceerde vorige week sterke halfjaarcijfers, +22% omzet volgens het persbericht. Goed voor de hele sector.", tags={"published-results", "unknown-platform"})


# ===========================================================================
# building
# ===========================================================================
def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity_for(role, cats, pii_validated):
    """Least severity of a correct verdict (CONTRACT section 4); highest finding wins."""
    sev = "none"
    insider = role in ("corporate", "employee")
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r, lo_day=5, hi_day=355):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(lo_day, hi_day) - 1)
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@").replace(" ", "")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return "x-" + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        act = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{act}", f"https://www.linkedin.com/feed/update/urn:li:activity:{act}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        post = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["thenetherlands", "teslamotors_nl", "elektrischrijden", "DutchFIRE"])
        if kind == "comment":
            cid = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{post}/_/{cid}/"
        return f"t3_{post}", f"https://www.reddit.com/r/{sub}/comments/{post}/"
    if platform == "forum":
        n = r.randint(100_000, 9_999_999)
        return f"forum-evforum-{n}", f"https://forum.elektrischrijden.example/t/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugx" + "".join(r.choice(ALNUM) for _ in range(23))
        v = "".join(r.choice(B64URL) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "blog":
        n = r.randint(100, 999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    if platform == "trustpilot":
        hx = "".join(r.choice("0123456789abcdef") for _ in range(24))
        return f"tp-{hx}", f"https://nl.trustpilot.com/reviews/{hx}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    gen = Gen(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        kinds = {k for k, _, _ in used}
        pid, url = make_id_url(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        created = c["when"] or random_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        sev = severity_for(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_ID_KINDS))
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and meta.random() < 0.7:
            acc["display_name"] = c["dn"]
        if meta.random() < 0.3:
            acc["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "lumaro"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def selfcheck(rows, profile):
    errs = []
    own = {OWN_IBAN}
    for r in rows:
        cats, used = r["expect"]["categories"], r["used"]
        for k, raw, _ in used:
            if k in ("IBAN_NL", "IBAN_BE", "IBAN_DE") and not iban_ok(raw):
                errs.append(f"{r['post']['id']}: bad IBAN {k}")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{r['post']['id']}: bad card")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{r['post']['id']}: bad BSN")
            if k.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{r['post']['id']}: near-miss IBAN is valid")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{r['post']['id']}: near-miss card is valid")
            if k in ("NOT_ID", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{r['post']['id']}: near-miss number passes a check")
            if not cats and k in VALID_ID_KINDS:
                errs.append(f"{r['post']['id']}: benign post holds a valid identifier")
        if len(r["post"]["text"].encode()) > 65536:
            errs.append(f"{r['post']['id']}: too long")
    for e in profile["embargo"]:
        until = dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for r in rows:
            t = dt.datetime.fromisoformat(r["post"]["created_at"].replace("Z", "+00:00"))
            txt = r["post"]["text"].casefold()
            for term in e["terms"]:
                if term.casefold() in txt:
                    leak = t < until
                    if leak != (CONF in r["expect"]["categories"]):
                        errs.append(f"{r['post']['id']}: embargo term '{term}' label mismatch")
    return errs


def summary(rows):
    from collections import Counter
    cat = Counter()
    sev = Counter(r["expect"]["severity"] for r in rows)
    role = Counter(r["role"] for r in rows)
    lang = Counter(r["lang"] for r in rows)
    for r in rows:
        for c in r["expect"]["categories"]:
            cat[c] += 1
    ben = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    print(f"cases {len(rows)}  benign {ben}  multi-label {multi}")
    for c in sorted(cat):
        print(f"  {c:22s} {cat[c]}")
    print("  severity", dict(sev))
    print("  role", dict(role))
    print("  lang", dict(lang))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))


def main():
    profile = load_profile()
    rows = build(profile)
    errs = selfcheck(rows, profile)
    lines = "".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows)
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != lines:
            errs.append("cases.jsonl differs from the generator output")
    else:
        OUT.write_text(lines, encoding="utf-8")
        print(f"wrote {len(rows)} cases to {OUT}")
    summary(rows)
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
