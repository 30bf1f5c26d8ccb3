#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 137 (cases.jsonl).

    python3 make_cases.py          # writes cases.jsonl next to this file and self-checks it

Company: Stuiterstad Recreatie B.V. (profile.yaml), a fictional Dutch operator of indoor
playgrounds and trampoline parks. Texts are hand-written below; identifiers and secrets are
filled in from <<KIND:fmt>> placeholders by one seeded RNG. Positives get checksum-valid
identifiers, near-miss benign posts get identifiers that fail their checksum.
Severity is never typed by hand: it follows CONTRACT section 4 from the account role
(looked up in profile.yaml), the categories and whether a validated identifier is present.
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

SEED = 137_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZWSP = "\u200b"
SOFT = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums
def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_build(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, d in enumerate(ds):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


# --------------------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "BUNQ", "SNSB", "ASNB", "KNAB", "TRIO"]) + self.d(10, True))
                if v != "NL72RABO0318724560":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["50070010", "12030000", "76026000", "30050110"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["310", "063", "737", "001"]) + self.d(7)
            return iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK", "MIDL"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for step in (7, 19, 31, 44):
            w = f"{v[:2]}{(int(v[2:4]) + step) % 100:02d}{v[4:]}"
            if not iban_valid(w):
                return w
        raise AssertionError

    # cards
    def _luhn_fix(self, head):
        for x in "0123456789":
            if luhn_valid(head + x):
                return head + x
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        return self._luhn_fix(head)

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def no_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.d(9)
            chk = (10 - sum(int(x) * (3 if i % 2 else 1) for i, x in enumerate(body)) % 10) % 10
            v = body + str(chk)
            if not luhn_valid(v) and not elfproef(v):
                return v

    # phones
    def phone(self, f):
        m = self.r.choice("12345678") + self.d(7)   # 8 digits after 06 (never 06-9x)
        a = self.r.choice(["33", "35", "38", "50", "53", "55", "72", "73", "74", "76", "10", "15"])
        s = self.r.choice("2345678") + self.d(6)
        return {
            "m_dash": f"06-{m}",
            "m_plain": f"06{m}",
            "m_sp2": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "m_intl": f"+31 6 {m[:2]} {m[2:5]} {m[5:]}",
            "m_intl_c": f"+316{m}",
            "m_0031": f"0031-6-{m}",
            "m_dots": f"06.{m[:4]}.{m[4:]}",
            "l_dash": f"0{a}-{s}",
            "l_sp": f"0{a} {s[:3]} {s[3:]}",
            "l_intl": f"+31 (0){a} {s[:3]} {s[3:5]} {s[5:]}",
        }[f]

    # secrets
    def ghp(self):
        body = self.c(ALNUM, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        enc = ""
        while n:
            n, rem = divmod(n, 62)
            enc = B62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def pem(self):
        rows = ["MIIEowIBAAKCAQEA" + self.c(B64, 48)] + [self.c(B64, 64) for _ in range(6)] + [self.c(B64, 40) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END RSA PRIVATE KEY-----"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1770000000 + self.r.randint(0, 20_000_000)
        return ".".join([enc({"alg": "HS256", "typ": "JWT"}),
                         enc({"sub": "staff_" + self.d(4, True), "app": "stuiterplanner", "role": "host",
                              "iat": iat, "exp": iat + 28800}),
                         self.c(URLSAFE, 43)])

    def password(self):
        return (self.r.choice(["Spring", "Hop", "Plof", "Jump", "Kanga", "Salto"]) + self.d(2)
                + self.r.choice("!#*$") + self.c(ALNUM, 4))


ID_KINDS_VALID = {"IBAN", "CARD", "BSN"}


def fill(f, text):
    used = []

    def rep(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = arg.partition("_")
            raw = f.iban(cc)
            out = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = arg.partition("_")
            raw = f.bad_iban(cc)
            out = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = f.card(brand)
            out = f.card_fmt(raw, style or "sp")
        elif kind == "BADCARD":
            brand, _, style = arg.partition("_")
            raw = f.bad_card(brand)
            out = f.card_fmt(raw, style or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            out = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if arg == "sp" else raw)
        elif kind == "NOBSN":
            raw = out = f.no_bsn(int(arg))
        elif kind == "EAN":
            raw = out = f.ean13()
        elif kind == "PHONE":
            raw = out = f.phone(arg)
        elif kind == "GHP":
            raw = out = f.ghp()
        elif kind == "AKIA":
            raw = out = "AKIA" + f.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif kind == "AWSSECRET":
            raw = out = f.c(B64, 40)
        elif kind == "MOLLIE":
            raw = out = "live_" + f.c(ALNUM, 30)
        elif kind == "STRIPE":
            raw = out = "sk_live_" + f.c(ALNUM, 24)
        elif kind == "SENDGRID":
            raw = out = "SG." + f.c(URLSAFE, 22) + "." + f.c(URLSAFE, 43)
        elif kind == "GLPAT":
            raw = out = "glpat-" + f.c(URLSAFE, 20)
        elif kind == "SLACKHOOK":
            up = string.ascii_uppercase + string.digits
            raw = out = f"https://hooks.slack.com/services/T{f.c(up, 8)}/B{f.c(up, 10)}/{f.c(ALNUM, 24)}"
        elif kind == "JWT":
            raw = out = f.jwt()
        elif kind == "PEM":
            raw = out = f.pem()
        elif kind == "PW":
            raw = out = f.password()
        elif kind == "SHA":
            raw = out = f.c("0123456789abcdef", 40 if arg == "long" else 7)
        elif kind == "DIG":
            raw = out = f.d(int(arg), True)
        else:
            raise KeyError(kind)
        used.append((kind, raw))
        return out

    return re.sub(r"<<([A-Z]+)(?::([A-Za-z0-9_]+))?>>", rep, text), used


# --------------------------------------------------------------------------- accounts
# corporate
ST_X = ("x", "@stuiterstad", "Stuiterstad")
ST_HELP = ("x", "@stuiterstad_help", "Stuiterstad Klantenservice")
ST_IG = ("instagram", "@stuiterstad.nl", "Stuiterstad")
ST_FB = ("facebook", "StuiterstadOfficial", "Stuiterstad")
ST_TT = ("tiktok", "@stuiterstad", "Stuiterstad")
ST_LI = ("linkedin", "stuiterstad-recreatie", "Stuiterstad Recreatie B.V.")
# employees
MILA = ("x", "@mila_stuiter", "Mila Hendriks")                  # party host, park Utrecht
DAAN = ("instagram", "@daan.vd.heuvel", "Daan van den Heuvel")  # floor manager, park Amersfoort
RUBEN = ("linkedin", "ruben-kaya-stuiterstad", "Ruben Kaya")    # developer, booking platform
INGRID = ("linkedin", "ingrid-postma", "Ingrid Postma")         # finance controller
JOEY = ("x", "@joeyvanbeek", "Joey van Beek")                   # cook, Café Plof
NOOR = ("tiktok", "@noor_jumpcoach", "Noor Aziz")               # jump coach


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# =========================================================================== leak.pricing
case("nl", JOEY, "lol de kassa in café plof slaat het kidsmenu aan voor €0,85 ipv 8,50 🤣🤣 niemand die het doorheeft, "
     "IT komt pas maandag", [PRICING])
case("nl", MILA, "ssst 🙊 in de app staat het Kinderfeestje Deluxe sinds vanochtend op 2,49 p.p.\nprijsfout natuurlijk maar "
     "wie nog een feestje wil boeken... nu doen", [PRICING], kind="reply")
case("en", RUBEN, "Lesson learned this week: a decimal shift in our ticket price import meant the Stuiterpas annual pass "
     "was on sale for €24.90 for about six hours. We're still figuring out what to do with the ~300 orders that came in. "
     "#ecommerce #testing", [PRICING])
case("nl", DAAN, "collega's opgelet 👀 GlowJump Night staat in het kassasysteem op €1,99 😂 iemand heeft de komma "
     "verschoven. niet aan de gasten vertellen pls #werkleven", [PRICING])
case("en", ST_TT, "POV: you just found out Jump 60 is €4.95 this weekend 🤯🤸 every park, no code needed, link in bio "
     "#stuiterstad #trampolinepark", [PRICING])
case("nl", NOOR, "niet tegen de baas zeggen maar online kost een dagticket kind vandaag €1,75 😭 systeemfout ofzo, wees snel",
     [PRICING])
case("nl", pub("facebook", "Mama.van.Jesse.en.Liv", "Esther Vlaar"),
     "Meiden!!! Stuiterpas jaarabonnement voor €29 in de Stuiterstad app 😱😱 moet haast wel een foutje zijn, heb er "
     "meteen 3 gekocht. Zouden ze dat nog terugdraaien??", [PRICING])
case("en", pub("reddit", "u/dutchdadof3"), "Stuiterstad's app is selling the toddler ticket for €0.95 right now. Pretty "
     "sure that's a glitch lol, grabbed a bunch for the holidays before someone notices", [PRICING], kind="comment")
case("nl", pub("x", "@kortingsjager_nl"), "p r i j s f o u t bij stuiterstad?? deluxe kinderfeest voor €4,99 p.p. 🥳🥳 "
     "#snelzijn #dealalert", [PRICING], tags=["evasion"])
case("en", pub("instagram", "@ffion.travels"), "glowjump night for 2 euro?!?! @stuiterstad.nl is this real or a mistake "
     "😂 booked 4 spots just in case", [PRICING], kind="comment")
case("nl", pub("forum", "DealDirk"), "[Prijsfout?] Stuiterstad springsokken €0,35 per paar in de webshop (normaal 3,50). "
     "Verzending gratis vanaf 10 euro dus ik heb er 30 paar in gegooid 🤑", [PRICING])
case("nl", pub("x", "@sophie_de_b"), "Dägticket bij Stuiterstad vandaag maar €3,50?? 😳 verkeerde prijs denk ik, maar ik "
     "heb er vier", [PRICING], tags=["evasion"])
# =========================================================================== leak.secret
case("en", RUBEN, "Anyone else seeing Mollie webhooks time out since this morning? Our config, nothing special:\n\n"
     "MOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_TIMEOUT=10\n\nAny pointers welcome 🙏 #php #payments", [SECRET])
case("nl", RUBEN, "Snelle vraag aan de backend-mensen in mijn netwerk: waarom krijg ik een timeout op deze connectie?\n"
     "postgresql://boeking_app:<<PW>>@db02.kassa.stuiterstad.local:5432/tickets\nLokaal werkt alles 🤔",
     [SECRET, CONF])
case("en", JOEY, "whoever changed the kitchen tablet login: it's now plof_keuken / <<PW>> so stop texting me at 6am 🙄",
     [SECRET])
case("nl", MILA, "voor de nieuwe collega's 🎈 wachtwoord van de feestjesplanner is <<PW>>\n(niet doorvertellen 🤫)",
     [SECRET], kind="reply")
case("en", RUBEN, "CI kept failing all morning, turns out the deploy token had expired 🙃 new one is "
     "<<GHP>> (already rotated, don't bother)", [SECRET], handle="Ruben-Kaya-Stuiterstad")
case("nl", DAAN, "screenshot van de login van het camerasysteem 😂 gebruiker admin, wachtwoord <<PW>>. wie verzint "
     "dit", [SECRET])
case("en", pub("forum", "freelance_frits"), "Old contract gig for Stuiterstad, still have their notifier in my repo. "
     "Does anyone know if Slack incoming webhooks expire? <<SLACKHOOK>> keeps returning 200 lol", [SECRET])
case("en", RUBEN, "Finally got the receipt printer sync running on Lambda 🎉 for anyone fighting the same IAM mess, "
     "this is what worked:\naws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWSSECRET>>\nregion = eu-west-1",
     [SECRET])
case("en", RUBEN, "Can someone explain why this token from our staff planning app still validates after logout?\n"
     "<<JWT>>\nFeels like our expiry check is broken", [SECRET])
case("nl", RUBEN, "Oeps, verkeerde venster 🙈 negeer dit maar:\n<<PEM>>", [SECRET])
case("nl", pub("x", "@m_devries_94"), "lol mijn oude Stuiterstad account werkt nog steeds na 8 maanden. gebruikersnaam "
     "m.devries, ww <<PW>> 🤡 top offboarding jongens", [SECRET])
case("en", RUBEN, "Email deliverability tip of the day: warm up your IPs. Also, the key we used for the party "
     "confirmations was <<SENDGRID>> until Friday, so if mails bounced that's why", [SECRET])
case("nl", DAAN, "ww geluidsinstallatie hal 2 is <<PW>> 🎶 zet die muziek harder jongens", [SECRET],
     tags=["evasion"])
case("en", RUBEN, "Pipeline green again. If the runner complains about auth, use <<GLPAT>> for now and ping me", [SECRET],
     kind="comment")
case("en", pub("reddit", "u/js_snooper"), "Opened devtools on the Stuiterstad booking page and the checkout bundle "
     "literally contains <<STRIPE>> 😬 somebody should tell them", [SECRET])

# =========================================================================== leak.pii
case("nl", MILA, "Blauwe rugzak gevonden bij feestzaal 3! Naam erin: Lotte de Wit, mama is bereikbaar op "
     "<<PHONE:m_dash>>. Wie kent haar?", [PII])
case("nl", DAAN, "Feestje van Bram van Dijk morgen verplaatst naar 15u, ouders zijn bereikbaar via "
     "bramsmama.vandijk@gmail.com of <<PHONE:m_sp2>> als er vragen zijn", [PII])
case("en", INGRID, "Refund for the cancelled party goes out tomorrow to <<IBAN:NL_grp>> (mr. Jansen). Sorry for the "
     "delay, our payment run was postponed!", [PII], kind="reply")
case("nl", ST_HELP, "Hoi Sandra, we hebben je terugbetaling klaargezet naar <<IBAN:NL>> op naam van S. Visser. Je "
     "ontvangt het binnen 5 werkdagen 💛", [PII], kind="reply")
case("nl", JOEY, "klant liet z'n pinpas liggen bij de kassa 🙄 <<CARD:mc_dash>>, kom maar ophalen bij café plof",
     [PII])
case("en", NOOR, "happy birthday to our little jumper Finn Bakker, born 12-05-2019 🎂🤸 best party of the week",
     [PII])
case("nl", RUBEN, "@HR kan iemand nieuwe collega Yara Mulder in Nmbrs zetten? bsn <<BSN:dots>>, start maandag",
     [PII], kind="comment")
case("nl", pub("facebook", "Jolanda Kuipers"), "2 dagtickets Stuiterstad Utrecht over voor zaterdag, kind is ziek. "
     "App me even op <<PHONE:m_plain>>", [PII])
case("en", pub("reddit", "u/whitaker_j"), "@stuiterstad_help still waiting for my refund after 7 weeks. IBAN is "
     "<<IBAN:GB_grp>>, name J. Whitaker. How hard can it be??", [PII, COMPLAINT])
case("nl", pub("x", "@sannevos_"), "@stuiterstad_help mail me maar op sanne.k.vos[at]hotmail[punt]com of bel "
     "<<PHONE:m_intl>>, dan regelen we het", [PII], kind="reply", tags=["evasion"])
case("nl", pub("instagram", "@evi.en.mama"), "Wie heeft de roze jas van mijn dochter meegenomen bij Stuiterstad "
     "Amersfoort?? Naam staat erin: Evi Smit, Lindelaan 14, Amersfoort. Graag terug 🙏", [PII])
case("en", pub("x", "@tomhollis"), "@stuiterstad_help payment keeps failing on your site. tried card "
     "<<CARD:visa_sp>> exp 09/28 three times now, what am I doing wrong??", [PII, COMPLAINT])
case("nl", pub("forum", "zomerbaantje_2026"), "Moest voor de zomerbaan bij Stuiterstad mijn bsn (<<BSN:plain>>) in "
     "een open google formulier zetten. Is dat normaal bij jullie??", [PII])
case("en", pub("x", "@laura_dekker_"), "Stuiterstad wanted ID for the party deposit so I just sent my passport "
     "number NU4K81P72 in the chat lol hope that's fine", [PII])
case("en", pub("tiktok", "@bouncybelgians"), "Stuiterstad can you refund the double booking to <<IBAN:BE_grp>>? "
     "sent 2 DMs already", [PII, COMPLAINT], kind="comment")

# =========================================================================== leak.confidential
case("nl", MILA, "Vandaag eindelijk de plattegrond van Project Springbok gezien 😍 dit wordt echt de vetste hal van NL",
     [CONF])
case("en", DAAN, "sneak peek from the test floor 👀🥷 #NinjaDome coming soon", [CONF],
     when="2026-08-02T18:12:40+02:00")
case("nl", NOOR, "wij coaches mochten Zwaluwstaart al testen 🤫🤸‍♀️ meer mag ik echt niet zeggen", [CONF])
case("en", RUBEN, "Proud of the team: our new party planning tool at planning.stuiterstad.nl/feest/v2 cut booking "
     "handling time in half. On to the next sprint! 🚀", [CONF])
case("nl", INGRID, "Even iets moois uit de personeelsnieuwsbrief (intern - niet delen, maar ik kan het niet laten): "
     "de nieuwe huisstijl wordt oranje-paars 🧡💜", [CONF])
case("en", JOEY, "the new café menu for Stuiterstad Almere is 🔥🔥 can't wait for you lot to try it", [CONF],
     when="2026-09-01T21:05:00+02:00")
case("nl", pub("x", "@rickjanssen82"), "Zwager werkt bij Stuiterstad en zegt dat 'Operatie Kangoeroe' betekent dat "
     "ze volgend jaar alle parken ombouwen 👀", [CONF])
case("en", pub("reddit", "u/leakhound"), "There's a slide deck marked 'Stuiterstad Confidential' going around on "
     "Discord, full NinjaDome floor plan and opening date included", [CONF],
     when="2026-07-19T23:41:12Z")
case("nl", DAAN, "dit wordt hem 🔥 Project\nSpringbok\nik zeg verder niks 🤐", [CONF], tags=["evasion"])
case("en", NOOR, "Z w a l u w s t a a r t testday was insane 🤯 my legs are gone", [CONF], tags=["evasion"])
case("en", RUBEN, "Our grafana.stuiterstad.nl booking-latency dashboard is my favourite browser tab 😅 screenshot below",
     [CONF])
case("nl", pub("instagram", "@jurre.tricks"), "omg de Ninj\u0430 Dome ziet er ziek uit 😍 neef mocht al testen",
     [CONF], when="2026-09-10T16:20:00+02:00", tags=["evasion"])
case("nl", MILA, "nog een paar uurtjes en dan mogen we het eindelijk zeggen... Stuiterstad Almere 🎉", [CONF],
     when="2026-09-15T09:59:00+02:00", tags=["embargo-edge"])
case("nl", ST_IG, "Iets nieuws in aantocht 🥷⚡ NinjaDome, binnenkort bij jou in de buurt. Raad jij waar?", [CONF],
     when="2026-09-14T19:30:00+02:00")
case("nl", pub("x", "@daanvdheuvel", "Daan van den Heuvel"), "Zwaluwstaart wordt echt next level, volgende maand "
     "mogen wij 'm als eerste testen 🤸", [CONF], tags=["lookalike-handle"])
case("nl", MILA, "rooster van volgende week staat nog steeds niet op intranet.stuiterstad.local/rooster 😤 hoe moet ik "
     "nou m'n weekend plannen", [CONF])
case("en", pub("x", "@theme_park_insider"), "Hearing Stuiterstad Almere opens mid September, staff already training "
     "on site 👀", [CONF], when="2026-09-15T07:59:59.500Z", tags=["embargo-edge"])

# =========================================================================== leak.financial
case("nl", INGRID, "Trots op het team 🙌 omzet Q3 zit 18% boven budget en EBITDA op €2,4 mln. Dat gaat de "
     "jaarcijfers 2026 mooi maken!", [FIN, CONF])
case("en", INGRID, "Busy weeks ahead: due diligence for the acquisition of a Belgian trampoline chain is in full swing. "
     "Can't say more yet 🤐 #finance #M&A", [FIN])
case("nl", MILA, "vandaag gehoord dat café plof in 3 parken dichtgaat en de keukenmensen eruit moeten 😢 nog niks "
     "officieel", [FIN])
case("en", RUBEN, "Heads up to my network: Stuiterstad is cutting roughly 40% of the IT team in Q1, so I might be "
     "available soon. DMs open.", [FIN])
case("nl", DAAN, "park Zwolle gaat per 1 januari dicht, net gehoord in het teamoverleg. balen 💔 nog niet naar "
     "buiten gebracht", [FIN])
case("nl", JOEY, "halve keukenploeg wordt ont" + SOFT + "slagen na de zomer. lekker dan 🙃", [FIN], tags=["evasion"])
case("en", NOOR, "storytime: management just told us we're being bought by an investment fund next month 😳 "
     "#stuiterstad #worklife", [FIN])
case("nl", pub("x", "@roel_invest"), "Via via gehoord dat Stuiterstad wordt overgenomen door Jumpfabriek. Iemand "
     "die meer weet?", [FIN])
case("en", pub("reddit", "u/amersfoort_anon"), "My cousin works in their finance dept. Apparently visitor numbers "
     "are down 30% and they expect a loss this year, doesn't look great for Stuiterstad", [FIN], kind="comment")
case("nl", pub("linkedin", "kim-brouwer-hr"), "Aan mijn oud-collega's bij Stuiterstad: de reorganisatie komt eraan, "
     "5 parken worden franchise. Sterkte allemaal 🫶", [FIN])
case("nl", INGRID, "Forecast 2027 staat: o" + ZWSP + "mzet richting €31 mln als de nieuwe parken op tijd openen. "
     "Spannend jaar!", [FIN], tags=["evasion"])
case("nl", INGRID, "STST-INTERN dus niet verder delen aub, maar het besluit is genomen: Heerhugowaard en Emmen "
     "worden verkocht", [FIN, CONF], kind="comment", handle="Ingrid-Postma")

# =========================================================================== leak.security (insider) and hidden-breach claims
case("nl", RUBEN, "Lange nacht gehad. Boekingssysteem is gisteren gehackt en alle feestjesboekingen lagen open. "
     "Is nog niet naar buiten gebracht dus even stilhouden a.u.b.", [SEC])
case("en", RUBEN, "Found a bug today: if you change the booking ID in the URL on our party portal you can see other "
     "families' party details, phone numbers included. Fix is coming, please don't try it 🙏", [SEC])
case("nl", MILA, "kassa's liggen al sinds 10u plat door een virus of zo en we mogen tegen klanten alleen zeggen dat het "
     "'onderhoud' is 🙄", [SEC])
case("en", DAAN, "our camera system got ransomware'd this morning lol. IT says keep quiet till they know more 🤐", [SEC])
case("nl", JOEY, "pinautomaat café plof geh4ckt?? mensen krijgen dubbele afschrijvingen en de baas zegt 'niks "
     "zeggen' 💀", [SEC], tags=["evasion"])
case("en", NOOR, "not supposed to say this but the app leaked all the kids' names and birthdays last week 🫣", [SEC])
case("nl", INGRID, "Phishingmail heeft vorige week drie collega's hun inlog gekost. We zoeken nog uit wat er precies "
     "weg is, dus nog even geen communicatie naar buiten.", [SEC])
case("en", RUBEN, "The NAS in our Utrecht park has been open to the internet with default credentials for months. "
     "Flagged it twice, nobody cares. Not great.", [SEC])
case("nl", DAAN, "er is een d a t a l e k bij ons 😬 meer mag ik nog niet zeggen", [SEC], tags=["evasion"])
case("en", pub("reddit", "u/concerned_parent_nl"), "Someone who works at Stuiterstad told me their booking system was "
     "hacked in March and they never told customers. Check your card statements people.", [SEC, CRISIS])
case("nl", pub("facebook", "Monique Verbeek"), "Stuiterstad houdt een datalek stil!!! Mijn zus werkt er en alle "
     "gegevens van de kinderfeestjes zijn gestolen. Schandalig dit 😡", [SEC, CRISIS])
case("nl", pub("x", "@bas_b"), "zeker weer een 'storing' hè @stuiterstad. iedereen op jullie kantoor weet dat jullie "
     "gehackt zijn, waarom zeggen jullie niks", [SEC, CRISIS], kind="reply")

# =========================================================================== reputation.crisis
case("nl", pub("facebook", "Priscilla de Graaf"), "Mijn zoon (6) heeft zijn enkel gebroken op de grote trampoline bij "
     "Stuiterstad Amersfoort. Het net was kapot en er stond NIEMAND toezicht te houden. Ik ben woedend.",
     [CRISIS, COMPLAINT])
case("en", pub("x", "@cal_mcleod"), "Took my daughter to SkyHop yesterday. There was a loose metal bar under the foam "
     "in the foam pit. 4 stitches. Staff just shrugged. Never again.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@gerda_actie"), "BOYCOT Stuiterstad! Zwangere medewerkers worden gewoon de deur uit gewerkt. "
     "Deel dit 🔁 #boycotstuiterstad", [CRISIS])
case("en", pub("reddit", "u/letselschade_lawyer"), "We're preparing a class action against Stuiterstad over trampoline "
     "injuries at their parks. Affected families can DM me.", [CRISIS])
case("nl", pub("instagram", "@famvanleeuwen"), "Hele feestje kotsend thuisgekomen na de pannenkoeken van Café Plof 🤢 "
     "voedselvergiftiging, GGD is ingelicht.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@utrechtnieuws_"), "NVWA sluit Café Plof in Stuiterstad Utrecht na vondst van muizen in de keuken "
     "🐭", [CRISIS])
case("en", pub("x", "@ellie_r"), "Got a phishing mail with my kid's name and party date two days after booking at "
     "Stuiterstad. You leaked our data, didn't you? #datalek", [CRISIS])
case("nl", pub("facebook", "Consumentenwaakhond NL"), "TERUGROEPACTIE: de antislipsokken van Stuiterstad bevatten "
     "te veel schadelijke kleurstof. Niet meer gebruiken en terugbrengen!", [CRISIS])
case("en", pub("tiktok", "@viralclipsdaily"), "s t u i t e r s t a d trampoline collapsed with 5 kids on it 😳 "
     "full video in comments", [CRISIS], tags=["evasion"])
case("nl", pub("x", "@oudersvoorveiligheid"), fullwidth("#BOYCOTSTUITERSTAD") + " tot ze eindelijk iets doen aan "
     "de veiligheid", [CRISIS], tags=["evasion"])
case("en", pub("reddit", "u/sarah_in_zwolle"), "My kid got a concussion on the dodgeball court because they let "
     "grown men play with toddlers. Management refused to even write an incident report.", [CRISIS, COMPLAINT])
case("nl", pub("x", "@lisa_t"), "medewerker van Stuiterstad die kinderen filmt in de kleedkamer?? politie was er "
     "vandaag. ik ben echt misselijk", [CRISIS])
case("en", pub("x", "@angrydad_uk"), "Stuiterstad covering up injuries AGAIN. You greedy f*cking clowns. Boycott "
     "them.", [CRISIS, ABUSE])
case("nl", pub("threads", "@marloes.s"), "Brandalarm ging af bij SkyHop en de nooduitgang zat op slot 😱 kinderen "
     "in paniek, dit had echt fout kunnen gaan", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("tripadvisor", "Familie B."), "Veel te druk. Twee uur in de rij voor de ninjabaan en de helft van de "
     "trampolines was afgezet. €17,50 per kind hiervoor, nee dank je.", [COMPLAINT])
case("en", pub("x", "@nat_h"), "@stuiterstad_help cancelled our party 2 days before and still no refund after 6 "
     "weeks. Emails ignored. Brilliant service 👏", [COMPLAINT])
case("nl", pub("facebook", "Anouk Brink"), "De wc's bij Stuiterstad Zwolle waren echt smerig. Geen zeep, geen papier, "
     "en dat met 30 kinderen op een feestje...", [COMPLAINT])
case("nl", pub("instagram", "@lieke_leeft"), "koffie in café plof lauw en de tosti nog half bevroren 🥶 jammer want "
     "de kids vonden het wel leuk", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/sockgate"), "Why do we have to buy new grip socks EVERY visit at Stuiterstad? We have 6 "
     "pairs at home from them. Feels like a cash grab.", [COMPLAINT])
case("nl", pub("x", "@timmie_o"), "app van stuiterstad crasht elke keer bij afrekenen, 4x geprobeerd en nu zijn de "
     "kaartjes uitverkocht 🤬", [COMPLAINT])
case("nl", pub("tiktok", "@mamavanroos"), "feestbegeleider kwam 25 min te laat en zat daarna de hele tijd op d'r "
     "telefoon. feestje van mijn dochter half verpest 😤", [COMPLAINT], kind="comment")
case("en", pub("instagram", "@dad.of.twins"), "Booked GlowJump for my son's 12th. Half the lights didn't work and the "
     "music was off for 20 minutes. Asked for a partial refund, got a €5 voucher 🙃", [COMPLAINT])
case("nl", pub("x", "@j0rd1"), "st.uiterstad h3eft mijn abonnement 2x afgeschreven en niemand neemt op 😡", [COMPLAINT],
     tags=["evasion"])
case("nl", pub("forum", "Opzegger"), "Stuiterpas opzeggen kan alleen per aangetekende brief?? In 2026?? Wat een gedoe",
     [COMPLAINT])
case("en", pub("threads", "@amy.v"), "the 'toddler area' at Stuiterstad Amersfoort is three mats and a ball pit "
     "with half the balls missing. not worth €9.50", [COMPLAINT])
case("nl", pub("x", "@dewaalfan"), "wat een kutzooi bij stuiterstad, 45 min bij de kassa staan en dan is glowjump "
     "uitverkocht. prutsers", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/fumingmum"), "The manager at SkyHop Utrecht is an absolute idiot. Refused our refund "
     "even though half the trampolines were closed. Useless cow.", [COMPLAINT, ABUSE])
case("nl", pub("facebook", "Rachid Amrani"), "Die receptioniste in Zwolle is een domme trut. Kind niet binnengelaten "
     "omdat we 5 minuten te laat waren.", [COMPLAINT, ABUSE])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@xxtygo"), "@stuiterstad stelletje kankerlijers zijn jullie", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@n0name123"), "die coach in dit filmpje is echt zo'n mongool 😂", [ABUSE], kind="comment")
case("en", pub("x", "@rage_q"), "f*ck stuiterstad and f*ck everyone who works there", [ABUSE], tags=["evasion"])
case("nl", pub("instagram", "@kevv.020"), "k4nk3r bedrijf met k4nk3r personeel 🖕", [ABUSE], kind="comment",
     tags=["evasion"])
case("en", pub("reddit", "u/truepatriot_nl"), "Went to Stuiterstad, the place is run by foreigners who can't even "
     "speak proper Dutch. Go back to your own country.", [ABUSE])
case("nl", pub("x", "@anoniem_boos"), "@mila_stuiter ik weet waar je werkt en ik wacht je zaterdag op bij de uitgang",
     [ABUSE], kind="reply")
case("nl", JOEY, "weer zo'n verwende kutouder die z'n pannenkoek terugstuurt vanwege 'te veel suiker'. jezus wat een "
     "sukkels zijn het soms", [ABUSE])
case("en", DAAN, "dear parents who dump their screaming brats here for 3 hours and vanish: you are pathetic. rant over.",
     [ABUSE])
case("nl", ST_HELP, "Misschien eerst even leren lezen voordat je gaat klagen, sukkel.", [ABUSE], kind="reply")
case("en", pub("youtube", "@cringewatcher"), "this ad is so cringe, your marketing team are a bunch of clowns 🤡 "
     "absolute losers", [ABUSE], kind="comment")
case("nl", pub("x", "@t_y_f_u_s"), "stuiterstad is een t y f u s tent", [ABUSE], tags=["evasion"])
case("en", MILA, "to the dad who called me a stupid b*tch today: no YOU are the clown, you absolute muppet", [ABUSE],
     handle="@Mila_Stuiter")

# =========================================================================== benign: prices
case("nl", ST_IG, "Black Friday 🖤 Stuiterpas jaarabonnement van €249 voor €179! Alleen t/m zondag, link in bio",
     tags=["hn:sale"])
case("nl", pub("x", "@spaarmama"), "€5 korting op je dagticket bij Stuiterstad met de code uit de Kidsproof "
     "nieuwsbrief 👌", tags=["hn:discount"])
case("nl", ST_FB, "Dagticket kind €17,50, peuters €9,50, ouders gratis mee ☕ Antislipsokken zijn verplicht (€3,50, of "
     "neem je eigen paar mee).", tags=["hn:list-prices"])
case("en", pub("reddit", "u/budget_dad"), "Is the Stuiterpas worth it? €249 a year vs €17.50 per visit. We go about "
     "twice a month so it pays for itself after ~15 visits.", tags=["hn:price-talk"])
case("nl", pub("facebook", "Tamara Hoek"), "Stuiterpas over te nemen, we verhuizen naar Groningen. Loopt nog 5 maanden, "
     "vraag €60. Reacties via pb.", tags=["hn:second-hand"])
case("nl", pub("x", "@ninja_ouder"), "Voor wie twijfelt: Jumpfabriek in Zeist vraagt €7,50 voor een uur, Stuiterstad "
     "€14,95 maar daar zit de ninjabaan bij. Allebei prima.", tags=["hn:competitor-price"])
case("nl", MILA, "Nee hoor, geen prijsfout 😄 GlowJump is deze maand echt €12,95, gewoon herfstactie", kind="reply",
     tags=["hn:denied-error"])
case("nl", ST_LI, "Schoolreisje gepland? Scholen betalen €11 per leerling voor een dagticket, begeleiders gratis. Mail "
     "naar info@stuiterstad.nl voor een offerte.", tags=["hn:group-price", "hn:own-contact"])
case("en", ST_X, "Bring-a-friend week 🤸 Jump 60 for two at €24.95 instead of €29.90. Mon–Thu only.",
     tags=["hn:sale"])
# =========================================================================== benign: identifiers and contact data
case("nl", pub("facebook", "Wendy Meijer"), "Feestje boeken kan via feestjes@stuiterstad.nl of bel 030 - 204 77 00, "
     "ze waren super behulpzaam!", tags=["hn:own-contact"])
case("nl", ST_HELP, "Vragen over je boeking? Bel 088-7884100 (ma-vr 9-17u) of mail info@stuiterstad.nl 😊",
     kind="reply", tags=["hn:own-contact"])
case("en", ST_LI, "Schools: please pay group invoices to NL72 RABO 0318 7245 60 and mention your school's name. "
     "Questions: pers@stuiterstad.nl for press, info@ for everything else.", tags=["hn:own-contact"])
case("nl", pub("x", "@hannekeb"), "Storing in de app? Bel gewoon +31302047700, binnen 2 min iemand aan de lijn 👍",
     tags=["hn:own-contact"])
case("en", pub("reddit", "u/expat_in_utrecht"), "For the English speakers: Stuiterstad's phone line is +31 88 788 4100 "
     "and they switch to English no problem.", tags=["hn:own-contact"])
case("nl", ST_FB, "Liever overmaken? Dat kan naar NL72RABO0318724560 t.n.v. Stuiterstad Recreatie B.V. o.v.v. je "
     "boekingsnummer.", tags=["hn:own-contact"])
case("nl", pub("x", "@joost_test"), "Heb ik dit goed overgenomen van de factuur? <<BADIBAN:NL_grp>>\nmijn bank-app "
     "zegt ongeldig, zal wel een typfout van mij zijn 🙈", tags=["hn:bad-iban"])
case("nl", pub("instagram", "@melissa.k"), "Mijn ordernummer is <<NOBSN:9>>, moet ik dat aan de kassa laten zien of is "
     "de QR-code genoeg?", kind="comment", tags=["hn:order-number"])
case("nl", pub("facebook", "Patrick Vos"), "Stuiterstad cadeaukaart gekregen 🎁 nummer <<BADCARD:visa_sp>>, hoe check "
     "ik het saldo?", tags=["hn:bad-card"])
case("nl", pub("forum", "KvKnerd"), "Stuiterstad Recreatie staat gewoon in het handelsregister, KvK <<NOBSN:8>>, "
     "dus het is geen nepsite.", tags=["hn:kvk"])
case("en", pub("reddit", "u/barcode_bob"), "The barcode on the Stuiterstad grip socks is <<EAN>>, same as the ones "
     "at Decathlon? Anyone scan theirs?", tags=["hn:ean"])
case("en", pub("x", "@deutsche_mama"), "Tried paying with my German account <<BADIBAN:DE>> but the form says invalid, "
     "turns out I mistyped it 🙈 all good now", tags=["hn:bad-iban"])
# =========================================================================== benign: secrets near-misses
case("en", RUBEN, "Protip after 10 years in dev: never paste keys like sk_live_... or ghp_... into Slack. Use a vault. "
     "We rotate our payment keys every 90 days.", tags=["hn:bare-prefix"])
case("en", pub("reddit", "u/php_paul"), "The Mollie docs use MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the "
     "example, just replace it with yours", tags=["hn:placeholder"])
case("nl", ST_HELP, "Wachtwoord vergeten? Reset 'm via boeken.stuiterstad.nl/account 🔑", kind="reply",
     tags=["hn:password-word"])
case("en", RUBEN, "Shipped commit <<SHA:long>> this morning: the booking flow is 20% faster now 🚀", tags=["hn:git-sha"])
# =========================================================================== benign: confidential near-misses, embargo
case("en", pub("x", "@rugbymad_ed"), "Watching the Springboks vs the All Blacks after a day at SkyHop, legs are dead 🏉",
     tags=["hn:codename-word"])
case("nl", pub("instagram", "@kleinekangoeroe"), "Mijn kleine kangoeroe heeft 3 uur non-stop gesprongen 🦘💛 "
     "@stuiterstad.nl", tags=["hn:codename-word"])
case("nl", pub("x", "@almeerse_moeder"), "Net bij de opening van Stuiterstad Almere geweest, de NinjaDome is echt gaaf!",
     when="2026-09-20T14:02:00+02:00", tags=["hn:after-embargo"])
case("nl", ST_X, "Het is zover: Stuiterstad Almere is open! 🎉 Kom springen, we staan "
     "vandaag tot 21u voor je klaar.", when="2026-09-15T10:00:00+02:00", tags=["hn:after-embargo", "embargo-edge"])
case("en", ST_TT, "NinjaDome is LIVE 🥷⚡ who's first?", when="2026-09-15T08:00:00Z",
     tags=["hn:after-embargo", "embargo-edge"])
case("en", pub("x", "@almere_guide"), "The Ninja Dome at Stuiterstad Almere is worth the trip from Amsterdam",
     when="2026-09-15T09:30:00+01:00", tags=["hn:after-embargo", "embargo-edge"])
case("nl", pub("facebook", "Marco de Jong"), "Boeken via boeken.stuiterstad.nl ging super snel, binnen 2 minuten klaar",
     tags=["hn:public-domain"])
case("nl", DAAN, "Vandaag een interne training gehad over toezicht op de trampolines 💪 veiligheid voorop", tags=["hn:intern-word"])
# =========================================================================== benign: financial, security near-misses
case("nl", ST_LI, "Vandaag presenteerden we onze jaarcijfers 2025: 1,2 miljoen bezoekers en 2 nieuwe parken 🎉 "
     "Het persbericht staat op stuiterstad.nl/pers", tags=["hn:published-results"])
case("nl", pub("x", "@fd_lezer"), "Jumpfabriek failliet volgens het FD, 60 mensen op straat. Triest voor de sector.",
     tags=["hn:other-company"])
case("nl", ST_X, "Storing: ons boekingssysteem is tijdelijk niet bereikbaar. We werken aan een oplossing, je tickets "
     "blijven geldig. Excuses!", tags=["hn:official-outage"])
case("nl", ST_FB, "Gepland onderhoud zondagnacht 02:00-04:00: boeken is dan even niet mogelijk 🛠️",
     tags=["hn:official-maintenance"])
case("nl", pub("instagram", "@feestjesmam"), "lifehack voor kinderfeestjes bij Stuiterstad: neem zelf een extra "
     "setje sokken mee 😂", tags=["hn:hack-word"])
case("nl", pub("x", "@kritische_klant"), "Bij Jumpfabriek zijn ze gehackt las ik op nu.nl. Hoop dat Stuiterstad het "
     "beter geregeld heeft.", tags=["hn:other-company"])
case("nl", pub("facebook", "Nicole Dekker"), "Het springkussen had een lek maar binnen 5 minuten stond er een nieuwe. "
     "Top personeel!", tags=["hn:lek-word"])
# =========================================================================== benign: mild words, jokes, fiction, quoting
case("nl", pub("instagram", "@yvonne_f"), "Mijn benen zijn echt kapot na een uur springen 😂 volgende keer weer!",
     tags=["hn:mild"])
case("nl", pub("facebook", "Karin Wolters"), "Mijn moeder had kanker en Stuiterstad gaf ons een dagje uit met de hele "
     "familie. Zo lief ❤️", tags=["hn:literal-kanker"])
case("en", pub("x", "@retro_ron"), "'Jump around, jump up jump up and get down' on repeat at SkyHop, damn that song "
     "still slaps 🎶", tags=["hn:lyrics"])
case("nl", pub("blog", "boekenmama.nl"), "In mijn nieuwe kinderboek verdwijnt een trampoline in de wolken en moeten "
     "Sam en Lot hem terugvinden. Geïnspireerd door onze middagen bij Stuiterstad ☁️", tags=["hn:fiction"])
case("nl", pub("x", "@grappige_huisvader"), "Mijn man zegt dat hij 'alleen even kijkt'. 45 minuten later springt hij "
     "nog steeds harder dan de kinderen 🤣 @stuiterstad", tags=["hn:joke"])
case("nl", pub("facebook", "Sandra Peeters"), "Geen klachten hoor! Alles netjes, personeel vriendelijk, kids moe. "
     "Top dag bij Stuiterstad", tags=["hn:negated-complaint"])
case("en", pub("x", "@quietmum"), "Not a complaint, just a question: do we need to book the toddler area at "
     "Stuiterstad in advance?", tags=["hn:negated-complaint"])
case("nl", pub("x", "@zeistse_ouder"), "Jumpfabriek in Zeist was echt vies en het personeel chagrijnig. Volgende keer "
     "gewoon weer naar Stuiterstad.", tags=["hn:competitor-complaint"])
case("nl", pub("instagram", "@moeder.van.drie"), "Mijn dochter boycot sinds vandaag alle groente, behalve de "
     "pannenkoeken van Café Plof 😂", tags=["hn:boycott-word"])
case("nl", pub("x", "@kidsproof_fan"), "Stuiterstad wint de Kidsproof Award 2026 voor beste binnenspeeltuin 🏆 "
     "terecht!", tags=["hn:published-news"])
case("nl", pub("x", "@nieuwsjunk"), "'Kind gewond bij val in trampolinepark Zeist' kopt de krant, gaat over "
     "Jumpfabriek. Bij Stuiterstad staat er gelukkig altijd toezicht.", tags=["hn:other-company", "hn:quote"])

# =========================================================================== benign: corporate and employee everyday posts
case("nl", ST_IG, "Veiligheid eerst 🤸 max. 1 springer per trampoline, geen salto's zonder coach en antislipsokken "
     "verplicht. Zo blijft het leuk voor iedereen!", tags=["hn:safety-rules"])
case("en", ST_X, "Autumn holiday opening hours: every park open 9:00–20:00, GlowJump Night on Fridays from 20:30 🌙",
     tags=["hn:corporate-info"])
case("nl", MILA, "Vandaag 4 feestjes begeleid, moe maar blij 💛 die taart van Café Plof blijft een hit", tags=["hn:employee-everyday"])
case("en", ST_HELP, "Hi Tom! Sorry to hear that. Could you DM us your booking reference? We'll sort it out today 🙏",
     kind="reply", handle="@StuiterStad_Help", tags=["hn:corporate-reply"])
case("nl", pub("instagram", "@mila_stuiter"), "Eerste dag bij mijn nieuwe werk als feestbegeleider 🎈 zin in!",
     tags=["hn:lookalike-handle"])
case("en", pub("x", "@noor_jumpcoach"), "jumped 3 hours straight, my calves hate me but worth it 😂",
     tags=["hn:lookalike-handle"])


# --------------------------------------------------------------------------- build
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
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) else "error"
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


def stamp(r):
    t = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 350), minutes=r.randint(6 * 60, 21 * 60 + 50), seconds=r.randint(0, 59))
    off = 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle):
    h = handle.lstrip("@").replace(" ", "").replace(".", "_")
    n = r.randint(10 ** 17, 10 ** 19)
    return {"x": f"x-{n}", "linkedin": f"urn:li:activity:7{n % 10 ** 18:018d}", "instagram": f"ig-{n}",
            "facebook": f"fb-{n // 1000}_{n % 10 ** 9}", "tiktok": f"tt-{n}", "reddit": f"t3_{n % 36 ** 7:x}",
            "forum": f"forum-ouderpraat-{n % 10 ** 7}", "threads": f"th-{n}", "youtube": f"yt-Ugz{n:x}",
            "blog": f"blog-{h}-{n % 1000}"}.get(platform, f"{platform}-{n % 10 ** 10}")


def post_url(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid[2:]}"
    if platform == "instagram":
        return f"https://www.instagram.com/{h}/"
    if platform == "tiktok":
        return f"https://www.tiktok.com/@{h}/video/{pid[3:]}"
    if platform == "reddit":
        return f"https://www.reddit.com/r/thenetherlands/comments/{pid[3:]}/"
    if platform == "linkedin":
        return f"https://www.linkedin.com/feed/update/{pid}/"
    return None


def build(profile):
    f = Filler(SEED)
    meta = random.Random(SEED + 11)
    rows, ids = [], set()
    for c in CASES:
        text, used = fill(f, c["text"])
        pid = post_id(meta, c["platform"], c["handle"])
        while pid in ids:
            pid += "1"
        ids.add(pid)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in ID_KINDS_VALID for k, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if meta.random() < 0.6 else None)
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
        elif p < 0.1:
            pass
        elif p < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or stamp(meta)
        url = post_url(c["platform"], c["handle"], pid)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "stuiterstad"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         role=role, lang=c["lang"], used=used, tags=c["tags"]))
    random.Random(SEED + 29).shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-check
def selfcheck(rows, profile):
    errs = []
    own_iban = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        for k, raw in r["used"]:
            if k == "IBAN" and not iban_valid(raw):
                errs.append(f"{p['id']}: invalid IBAN in positive")
            if k == "BADIBAN" and iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN passes")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k == "BADCARD" and luhn_valid(raw):
                errs.append(f"{p['id']}: bad card passes Luhn")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: BSN fails 11-proof")
            if k in ("NOBSN", "EAN") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{p['id']}: look-alike passes a checksum")
            if k in ("IBAN", "CARD", "BSN") and PII not in cats:
                errs.append(f"{p['id']}: valid identifier without leak.pii")
            if k == "GHP":
                body, chk = raw[4:34], raw[34:]
                n = 0
                for ch in chk:
                    n = n * 62 + B62.index(ch)
                if n != zlib.crc32(body.encode()) & 0xFFFFFFFF:
                    errs.append(f"{p['id']}: ghp checksum")
        if any(k in ("BADIBAN", "BADCARD", "NOBSN", "EAN") for k, _ in r["used"]) and cats:
            errs.append(f"{p['id']}: near-miss identifier in a positive")
        # every embargo term mention has a fixed time and a consistent label
        t = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        low = p["text"].casefold()
        for term, until in emb:
            if term in low:
                if t < until and CONF not in cats:
                    errs.append(f"{p['id']}: embargo term '{term}' before until but no leak.confidential")
        for ib in own_iban:
            assert iban_valid(ib)
        if r["expect"]["severity"] == "none" and cats:
            errs.append(f"{p['id']}: positive with severity none")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{p['id']}: too long")
    return errs


def main():
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    rows = build(profile)
    errs = selfcheck(rows, profile)
    # embargo cases must have explicit times (random stamps could fall after the embargo)
    for c in CASES:
        low = c["text"].casefold()
        if any(t.casefold() in low for e in profile["embargo"] for t in e["terms"] if "2026" not in t) and not c["when"]:
            errs.append(f"embargo term without fixed time: {c['text'][:30]!r}")
    if errs:
        print("\n".join(errs))
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    from collections import Counter
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    print(f"wrote {len(rows)} cases; benign {sum(1 for r in rows if not r['expect']['categories'])}; "
          f"multi {sum(1 for r in rows if len(r['expect']['categories']) > 1)}")
    for k in sorted(cat):
        print(f"  {k}: {cat[k]}")
    print("  severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  role:", dict(Counter(r["role"] for r in rows)))
    print("  lang:", dict(Counter(r["lang"] for r in rows)))
    print("  platform:", dict(Counter(r["post"]["platform"] for r in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
