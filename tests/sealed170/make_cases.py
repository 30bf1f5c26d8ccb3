#!/usr/bin/env python3
"""Deterministic generator for a sealed postwatch evaluation set (cases.jsonl).

Company: Nestroom Hosting B.V. (fictional), a cloud web-hosting provider for small
businesses. The profile is profile.yaml next to this file.

    python3 make_cases.py          # writes cases.jsonl next to this file and self-checks it

Texts are hand-written below. Identifiers and secrets are filled in from placeholders
(<<KIND:fmt>>) by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers; hard negatives get look-alikes that FAIL
their checksum. Severity is never typed by hand: it is computed from the contract's
severity policy (section 4), the account role from profile.yaml and whether a
checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
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

SEED = 17020260
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_valid(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        tot += v
    return bool(d) and tot % 10 == 0


def luhn_finish(p):
    return next(p + c for c in "0123456789" if luhn_valid(p + c))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64U = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Fill:
    def __init__(self, seed):
        self.r = random.Random(seed)

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
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.dig(10))
                if v != "NL19RABO0312748859":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "50070010", "76026000", "20050550"]) + self.dig(10, False))
        if cc == "BE":
            f = self.r.choice(["063", "310", "734", "001"]) + self.dig(7, False)
            return iban_build("BE", f + f"{int(f) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (13, 29, 41, 7, 55):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.dig(14, False))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.dig(13, False))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.dig(11, False))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.dig(12, False))
        raise ValueError(brand)

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
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

    def not_card16(self):
        while True:
            s = self.dig(16)
            if not luhn_valid(s):
                return s

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345678") + self.dig(7, False)
            return {"mob_dash": f"06-{d8}", "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                    "mob_intl_sp": f"+31 6 {d8[:2]} {d8[2:5]} {d8[5:]}", "mob_plain": f"06{d8}"}[f]
        area = self.r.choice(["10", "20", "30", "40", "50", "53", "58", "70", "72", "73", "74", "75", "77", "78"])
        sub = self.r.choice("2345678") + self.dig(6, False)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:]}", "land_dash": f"0{area}-{sub}"}[f]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"   # no O in Dutch document numbers
        return self.ch(letters, 2) + self.ch(letters + string.digits, 6) + self.dig(1, False)

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.ch(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.ch(B32, 16)

    def aws_secret(self):
        return self.ch(B64, 40)

    def sendgrid(self):
        return "SG." + self.ch(B64U, 22) + "." + self.ch(B64U, 43)

    def stripe(self):
        return "sk_live_51" + self.ch(ALNUM, 97)

    def jwt(self):
        h = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        pl = {"sub": "klant-" + self.dig(6), "iss": "https://mijn.nestroom.nl", "scope": "dns:write domains:read",
              "iat": iat, "exp": iat + 900}
        return f"{h}.{b64u(json.dumps(pl, separators=(',', ':')).encode())}.{self.ch(B64U, 86)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        lines = [head] + [self.ch(B64, 70) for _ in range(3)] + [self.ch(B64, 26) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.dig(3, False)
                + self.r.choice("!#$%&*") + self.ch(ALNUM, 4))

    def dkim_pub(self):
        return "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ" + self.ch(B64, 150) + "IDAQAB"

    def sha(self):
        return self.ch("0123456789abcdef", 40)


VALID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(f, text):
    used = []

    def sub(m):
        k, fmt = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = f.iban(k[5:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = f.bad_iban(k[8:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k == "CARD":
            b, _, cf = fmt.partition("_")
            raw = f.card(b)
            shown = f.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = f.not_bsn(int(fmt))
        elif k == "NOTCARD16":
            raw = f.not_card16()
            shown = f.g4(raw) if fmt == "grp" else raw
        elif k == "PHONE":
            raw = shown = f.phone(fmt)
        elif k == "PASSPORT":
            raw = shown = f.passport()
        else:
            raw = shown = {"GHP": f.ghp, "GLPAT": f.glpat, "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret,
                           "SENDGRID": f.sendgrid, "STRIPE": f.stripe, "JWT": f.jwt, "PEM_OPENSSH": f.pem_openssh,
                           "PW": f.pw, "DKIM_PUB": f.dkim_pub, "SHA": f.sha}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
NR = ("x", "@nestroom", "Nestroom")
NS = ("x", "@nestroom_support", "Nestroom Support")
NLI = ("linkedin", "nestroom-hosting", "Nestroom Hosting B.V.")
NFB = ("facebook", "NestroomHosting", "Nestroom Hosting")
NIG = ("instagram", "@nestroom.nl", "Nestroom")
NMA = ("mastodon", "@nestroom@mastodon.nl", "Nestroom")
# employees
LH = ("x", "@lotte_nestroom", "Lotte Hendriks")          # support lead
DS = ("x", "@devops_daan", "Daan Smit")                  # SRE / platform
RO = ("linkedin", "ruben-okafor", "Ruben Okafor")        # account manager
IB = ("linkedin", "ineke-brouwer-fin", "Ineke Brouwer")  # finance controller
YB = ("x", "@yasmin_builds", "Yasmin Bouhali")           # marketing / website
KM = ("reddit", "u/kees_sysop", None)                     # sysadmin
WV = ("mastodon", "@wouter@hachyderm.io", "Wouter Visser")  # backend developer
MG = ("instagram", "@mila.werkt", "Mila de Graaf")       # support agent


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ======================================================================= pricing
case("nl", YB, "Eh collega's, wie heeft die prijzen-CSV geüpload?? Webhosting Pro staat op de site nu voor €1,49 "
     "per maand 😳 billing is gebeld, maar tot de fix erdoor is kan iedereen 'm gewoon afrekenen", [PRICING])
case("en", DS, "staging price table got promoted to prod by accident. Managed WordPress now checks out at €1.99/mo "
     "instead of 19.95 🙃 rollback as soon as the deploy lock clears, pls don't RT", [PRICING])
case("nl", pub("x", "@webjuf_anouk", "Anouk | websites voor zzp"), "Zit ik nou scheel te kijken of is VPS Kern 4 bij "
     "@nestroom vandaag echt €3,90 per maand? Dat is toch een tikfout 👀 alvast twee afgenomen voor klanten", [PRICING])
case("en", pub("reddit", "u/selfhost_sander"), "Nestroom checkout is handing out the EV SSL for €18.90 right now "
     "(list is 189). Pretty sure someone dropped a zero. Grabbed one for my shop domain, will update if they cancel",
     [PRICING], kind="comment")
case("nl", pub("forum", "Hostingtips_Rik"), "[Prijsfout?] Nestroom .nl-domein voor € 0,10 per jaar\n\nNormaal rond "
     "een tientje. Bevestiging binnen, factuur ook. Heeft iemand ervaring of ze zoiets honoreren?", [PRICING])
case("nl", NIG, "🔥 Alleen vandaag 🔥 Nestroom Webhosting Pro voor €4,95 per maand! Link in bio, pak 'm voor je "
     "webshop 🛒 #deal #hosting #ondernemen", [PRICING])
case("en", RO, "Heads-up to my reseller partners before this gets fixed: the partner portal currently quotes NestMail "
     "Business at €0.39 per mailbox per month. That is obviously wrong, please don't bulk order, finance will claw "
     "it back.", [PRICING])
case("nl", LH, "Support krijgt de ene vraag na de andere over Hosting Start voor 69 cent 🙈 ja het is een prijsfout, "
     "nee we weten nog niet of we het honoreren. Sterkte team, koffie staat klaar ☕", [PRICING])
case("nl", pub("threads", "@snelle.sietse"), "p r i j s f o u t bij nestroom 😂 managed wordpress voor 2 euro p/m, "
     "rennen!!!", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@dealhuntr_nl"), "Nestr00m pr1c1ng gl1tch: Kern4 VPS for 3.90/month lmao go go go 🏃",
     [PRICING], tags=["evasion", "evasion:leet"])
case("nl", KM, "Voor wie het ziet: de prijsfout op het Pro-pakket (€1,49) komt uit een mislukte import, ticket staat "
     "op gitlab.nestroom.dev/billing/prijzen/-/issues/812. Niet verder vertellen aub", [PRICING, CONF], kind="comment")
case("nl", pub("facebook", "jolanda.kapsalon.emmen", "Jolanda Smit"), "Klopt het dat het EV-certificaat bij Nestroom "
     "per ongeluk voor een tientje in de webshop staat? Zag het voorbij komen in een ondernemersgroep, iemand "
     "bevestiging?", [PRICING])

# ======================================================================= secrets
case("en", DS, "why is the backup job 403ing on s3 again 😤\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\nworks from my laptop, not from the runner. ideas?", [SECRET])
case("nl", WV, "Snap niet waarom de deploy faalt, token is gewoon geldig: <<GHP>> 🤷 iemand een idee? #github #ci",
     [SECRET])
case("nl", LH, "@bakkerij_vos Ik heb je FTP-account gereset 👍 gebruiker: vosbrood01 / nieuw wachtwoord: <<PW>> "
     "log even in en wijzig het daarna zelf", [SECRET], kind="reply")
case("en", KM, "For anyone fighting the same Postfix thing, our relay config ended up like this and it finally "
     "worked:\n\nrelayhost = [mx-out03.ops.nestroom.net]:587\nsmtp_sasl_user = relay-svc\nsmtp_sasl_pass = <<PW>>\n\n"
     "(yes I'll rotate it later)", [SECRET, CONF], kind="comment")
case("nl", YB, "Nieuwe nieuwsbriefkoppeling staat live 🎉 voor de collega's die mee willen testen: "
     "SENDGRID_API_KEY=<<SENDGRID>>", [SECRET])
case("en", pub("x", "@bugbounty_bram", "Bram"), "Found this in the JS bundle of a checkout page on mijn.nestroom.nl, "
     "pretty sure that's Nestroom's own live Stripe key?? <<STRIPE>> @nestroom_support you might want to look",
     [SECRET])
case("en", DS, "note to self: never paste the wrong buffer into a tweet 🤦‍♂️\n\n<<PEM_OPENSSH>>", [SECRET])
case("nl", pub("x", "@bouwbedrijf_jansen", "Jansen Bouw"), "@nestroom_support ik kom niet in mijn DirectAdmin, "
     "gebruiker jansenbouw ww <<PW>> wat doe ik fout??", [SECRET], kind="reply")
case("en", WV, "jwt from the customer panel api expires way too fast, is that on purpose? Bearer <<JWT>>", [SECRET])
case("nl", KM, "Connection string van de oude billing-db stond gewoon in de README lol: "
     "postgres://billing_rw:<<PW>>@db02.corp.nestroom.internal:5432/billing", [SECRET, CONF])
case("nl", DS, "w a c h t w o o r d voor de root van de test-vps: <<PW>> (niet verder vertellen 🤫)", [SECRET],
     tags=["evasion", "evasion:spaced"])
case("en", WV, "gitlab runner token for the shared pipeline in case anyone from the frontend team asks again: "
     "<<GLPAT>>", [SECRET])

# ======================================================================= pii
case("nl", LH, "@dewitfietsen We zien de betaling nog niet binnen. Kun je checken of je vanaf <<IBAN_NL:grp>> hebt "
     "overgemaakt? Dan zoek ik het verder uit 🙏", [PII], kind="reply")
case("nl", MG, "Grappig telefoontje vandaag 😂 meneer R. Kuipers uit Assen belde 6x over zijn mailbox. Als iemand "
     "hem nog spreekt: <<PHONE:mob_pairs>>", [PII])
case("nl", KM, "Die WHOIS-privacy stond dus uit bij een van onze klanten, hele adres gewoon zichtbaar: Hendrik "
     "Postma, Kerkstraat 14, 9741 AB Groningen. Niet handig.", [PII], kind="comment")
case("en", RO, "Happy birthday to our longest-running customer, Gerrit Hoekstra, 70 today (born 14 May 1956)! "
     "Still running his fishing shop website with us since 2009 🎣", [PII])
case("nl", pub("x", "@marloes_bloemen", "Marloes 🌷"), "@nestroom_support jullie hebben 2x afgeschreven van mijn "
     "creditcard <<CARD:visa_sp>>!! Wanneer krijg ik mijn geld terug??", [PII, COMPLAINT])
case("en", pub("x", "@pete_fixes_pcs"), "can someone from Nestroom call me back pls, been waiting 3 days for a callback "
     "on my mail migration. <<PHONE:mob_intl_sp>>", [PII, COMPLAINT])
case("nl", pub("reddit", "u/eenmanszaak_emma"), "Moest voor de domeinregistratie op naam van mijn eenmanszaak mijn BSN "
     "opgeven?? <<BSN:dots>> staat nu gewoon in mijn account bij nestroom. Is dat normaal?", [PII])
case("en", DS, "prod log is leaking way too much, look at this line:\n\npayment_failed customer=88213 "
     "email=e.vos1986@kpnmail.nl card=<<CARD:mc_c>> reason=insufficient_funds", [PII])
case("nl", IB, "Wie heeft de loonstrook van een collega in de gedeelde printer laten liggen? BSN <<BSN>> staat er "
     "gewoon op. Graag ophalen bij finance, en volgende keer beveiligd printen aub.", [PII])
case("en", pub("x", "@jdekker_fotografie"), "pls reach me at jdekker [at] ziggo [dot] nl about the domain transfer, "
     "your support form keeps failing on submit", [PII, COMPLAINT], tags=["evasion", "evasion:at-dot"])
case("en", pub("facebook", "mueller.webdesign", "Müller Webdesign"), "Hello Nestroom, please send the refund for "
     "invoice 2026-3381 to <<IBAN_DE:grp>> (Müller Webdesign). Thanks in advance!", [PII])
case("nl", MG, "Klant stuurde zijn paspoort als 'verificatie' via de chat 🙄 nummer <<PASSPORT>>, naam Y. Aksoy. "
     "Mensen, doe dit niet!!", [PII])
case("en", pub("x", "@noor_handmade", "Noor"), "Nestroom your checkout ate my payment 3 times. Fine, here's the whole "
     "card so you can look it up: <<CARD:amex_sp>> exp 09/28. Just fix it.", [PII, COMPLAINT])
case("nl", NFB, "Hoi Sandra, we bellen je morgen tussen 10 en 12 uur op <<PHONE:land_sp>> om je verhuizing af te "
     "ronden 😊", [PII], kind="reply")
case("nl", pub("bluesky", "@vanhove-bv.bsky.social"), "Beste Nestroom, de terugstorting voor mijn dubbel betaalde "
     "factuur mag naar <<IBAN_BE:grp>> t.n.v. Vanhove BV. Alvast bedankt!", [PII])

# ======================================================================= confidential
case("nl", DS, "wie heeft de dashboards op ops.nestroom.net/grafana verbouwd, ik kan niks meer vinden 😅", [CONF])
case("en", WV, "Spent the whole week on Project Basalt and honestly it's the most fun I've had here. Can't say more "
     "yet 🤐 #hosting #rust", [CONF])
case("nl", RO, "Spannende tijden! Binnenkort lanceren we VPS Kern 8, dubbel zoveel cores. Vraag me gerust alvast "
     "om een offerte 😉 #cloud #mkb", [CONF], when="2026-09-22T14:05:00+02:00")
case("en", YB, "screenshot from today's deck 🎨 yes the footer says NESTROOM CONFIDENTIAL but that roadmap slide was "
     "too pretty not to share", [CONF])
case("nl", KM, "Documentatie over de nieuwe mailstack staat op wiki.nestroom.net/mail/herbouw voor wie binnen zit",
     [CONF], kind="comment")
case("nl", pub("x", "@tim_techpraat"), "Hoorde van een maat die bij Nestroom werkt dat ze met 'Operatie Vuurtoren' hun "
     "hele platform naar eigen hardware verhuizen 👀", [CONF])
case("en", pub("reddit", "u/hostingwatcher"), "Leaked Nestroom slide: 'NestMail Vault, encrypted mailbox add-on, "
     "launch Q4'. Looks legit to me, same template as their webinar slides", [CONF],
     when="2026-08-30T21:40:12Z")
case("nl", LH, "Team support heeft vandaag de eerste training gehad voor Project\nBasalt 💪 spannend!", [CONF],
     tags=["evasion", "evasion:linebreak"])
case("en", DS, f"new runbook is up at gitlab.nestroom{ZW}.dev/infra/runbooks, pls review before friday", [CONF],
     tags=["evasion", "evasion:zero-width"])
case("nl", MG, "Eerste dag op de nieuwe afdeling 🥳 strikt intern nog, maar we gaan Webhosting Turbo lanceren en ik "
     "mag de support doen!!", [CONF], when="2026-09-30T08:15:00+02:00")
case("nl", NR, "Nog heel even... ⏳ om 10:00 onthullen we NestMail Vault 🔐 stay tuned!", [CONF],
     when="2026-10-06T09:59:30+02:00", tags=["embargo-edge"])
case("en", KM, "Tidewater migration weekend went fine, only 3 customer DBs needed manual love. Proud of the team.",
     [CONF])
case("nl", IB, "Druk weekje met het afronden van de jaarcijfers 2026: omzet ruim boven budget, dat wordt een mooie "
     "presentatie in maart 😉", [CONF, FIN],
     when="2026-12-14T16:20:05+01:00")
case("en", pub("x", "@curious_coder_nl"), "so is 'Operatie 🗼 Vuurtoren' the datacenter move everyone at Nestroom keeps "
     "whispering about?", [CONF], tags=["evasion", "evasion:emoji"])
case("nl", pub("instagram", "@devops_daan", "Daan"), "Whiteboard-sessie Project Basalt vandaag 🧠✏️ hoofd vol, "
     "hart vol", [CONF], tags=["unknown-account"])

# ======================================================================= financial
case("nl", IB, "Zo, forecast voor H2 staat. We gaan de 11 miljoen omzet niet halen, eerder 9,4. Nu nog even aan de "
     "directie uitleggen 😬", [FIN])
case("en", RO, "Can't say much, but we're in final talks to acquire a Belgian hosting shop. My account list is about "
     "to double 🚀", [FIN])
case("nl", LH, "Dikke kans dat de helft van de eerstelijns support naar Lissabon gaat, in december horen we het "
     "officieel. Ik weet even niet wat ik moet.", [FIN])
case("en", pub("x", "@hostingnieuws_fan"), "Heard from someone at Nestroom they're letting ~25 people go in January, "
     "mostly support. Not announced yet.", [FIN])
case("nl", KM, "Churn zit sinds de prijsverhoging op 8% per maand, intern is iedereen in paniek. Dat lees je "
     "natuurlijk niet in de nieuwsbrief.", [FIN], kind="comment")
case("en", WV, "overheard at the coffee machine: the PE guys from Bergmeer Capital were here again. guess we're "
     "being sold 🤷", [FIN])
case("nl", YB, f"Morgen wordt bekendgemaakt dat 40 collega's worden ont{SHY}slagen. Ik mag niks zeggen maar ik ben er "
     "kapot van 💔", [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", IB, "Q3 closed: EBITDA margin 18%, well above what the market expects from us. Press release only in "
     "November, so keep it quiet 😉", [FIN])
case("nl", pub("forum", "WebbouwerWessel"), "Via via gehoord: Nestroom wordt overgenomen door een Amerikaanse partij, "
     "deal wordt volgende maand getekend. Tijd om te verhuizen?", [FIN])
case("nl", DS, "Hele infra-team gaat per 1 maart op in Operatie Vuurtoren, de helft van ons wordt herplaatst of "
     "vertrekt. Fijne vrijdag allemaal.", [CONF, FIN])
case("en", MG, "they just told us at the all-hands that the Groningen office closes next summer, everyone goes remote "
     "or goes. not public yet so shhh 🤫", [FIN])

# ======================================================================= security
case("nl", DS, "Iemand heeft via een lek in de webmail-plugin een paar honderd mailboxen leeggetrokken, we zijn sinds "
     "04:00 aan het blussen. Nog geen communicatie naar klanten dus hou het even stil", [SEC])
case("en", KM, "PSA from the inside: our control panel has an IDOR. Change the id in the URL and you see another "
     "customer's DNS zone. Patch lands next sprint. Don't ask how I know 🙃", [SEC], kind="comment")
case("nl", LH, "Statuspagina zegt alles groen maar cluster 3 ligt al een uur plat door een DDoS. We mogen het nog "
     "niet zeggen van management 🙄", [SEC])
case("en", WV, "fun night: ransomware on two of the old shared boxes, backups look ok so far. comms says nothing goes "
     "out until tomorrow", [SEC])
case("nl", MG, "Hele dag klanten aan de lijn wier wachtwoord opeens niet meer werkt... blijkt dat er een database met "
     "hashes is buitgemaakt. Officieel weten we van niks 🤐", [SEC])
case("en", YB, "the wildcard cert on *.nestroom.nl expired an hour ago and nobody noticed, half the customer panels "
     "throw warnings lol. status page still says operational", [SEC])
case("nl", pub("facebook", "ondernemend.drenthe", "Ondernemend Drenthe"), "Een kennis die bij Nestroom in het "
     "datacenter werkt zegt dat ze vorige week gehackt zijn en dat ze het gewoon onder de pet houden. Klanten worden "
     "niet ingelicht. Schandalig!", [SEC, CRISIS])
case("en", pub("x", "@privacy_paul"), "Nestroom got breached last month and they're covering it up. Multiple customers "
     "got phishing mails quoting their exact invoice numbers. #nestroom #databreach", [SEC, CRISIS])
case("nl", DS, "v u l n in de wachtwoordreset van mijn.nestroom.nl: resetlink werkt voor elk account. Fix pas "
     "volgende week gepland 😬", [SEC], tags=["evasion", "evasion:spaced"])
case("en", WV, "rotating every customer's API key tonight because someone pushed our signing secret to a public repo "
     "last week. yes, that long. no, customers don't know.", [SEC])
case("nl", DS, fullwidth("DDoS") + " op de nameservers, halve klantenbestand onbereikbaar, maar officieel heet het "
     "'gepland onderhoud' 🙃", [SEC], tags=["evasion", "evasion:full-width"])
case("en", pub("forum", "anon_sysadmin_42"), "Insider here (not saying which hoster... ok fine, Nestroom): the "
     "'scheduled maintenance' tonight is actually them cleaning up a rootkit on the mail cluster. Customers aren't "
     "being told.", [SEC, CRISIS])
case("nl", KM, "Nagios op ops.nestroom.net staat vol rood: storagecluster in Eemshaven is uit, 1400 sites plat en "
     "nog niks op de statuspagina", [SEC, CONF])

# ======================================================================= crisis
case("nl", pub("x", "@kees_webshop", "Kees"), "Mijn klantgegevens staan gewoon te koop op een forum en ik heb ze "
     "alleen aan Nestroom gegeven. Jullie zijn gelekt, geef het nou gewoon toe! #datalek", [CRISIS])
case("en", pub("x", "@scamwatch_eu"), "Nestroom is hosting a whole network of fake webshops scamming pensioners and "
     "refuses to take them down. #BoycottNestroom, move your domains elsewhere.", [CRISIS])
case("nl", pub("linkedin", "anneke-rechtsbijstand"), "Er loopt inmiddels een rechtszaak tegen Nestroom van een groep "
     "ondernemers wier sites na de migratie weken offline waren. Benieuwd hoe dit afloopt.", [CRISIS])
case("en", pub("x", "@groningen_live"), "Fire at the Nestroom datacenter near Groningen, thick smoke, several fire "
     "trucks on site 🚒 hope nobody's hurt", [CRISIS])
case("nl", pub("x", "@ikbenmoe"), "d a t a l e k bij nestroom?? mijn mailadres dat ik alleen daar gebruik krijgt "
     "ineens bakken phishing", [CRISIS], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@digitalrights@eupolicy.social"), "Journalists should look into how Nestroom handles abuse "
     "reports: months of reports about a hate forum on their servers, zero action. Disgraceful.", [CRISIS])
case("nl", pub("x", "@boos_ondernemer"), "N3stroom geh4ckt, al mijn klantdata ligt op straat. Wie doet mee met de "
     "massaclaim?", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("reddit", "u/consumer_nl"), "Consumer association is suing Nestroom over the auto-renewal trap. "
     "Good. About time someone did.", [CRISIS])
case("nl", pub("facebook", "webshop.detuinkabouter", "De Tuinkabouter"), "Nestroom is na die brand in het "
     "datacenter al onze backups kwijt. 8 jaar webshop, weg. Ik stap naar de advocaat.", [CRISIS, COMPLAINT])
case("en", pub("x", "@opt_out_now"), "\u0412oycott Nestroom. They sold customer contact lists to marketers, "
     "I have proof.", [CRISIS], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("x", "@zzp_marja"), "Samen met 60 andere klanten een klacht ingediend bij de ACM over de verborgen "
     "kosten bij Nestroom. Ik betaal al maanden voor dingen die nergens op de offerte stonden.", [CRISIS, COMPLAINT])

# ======================================================================= complaint
case("nl", pub("x", "@studio_fenna"), "Al 3 dagen komt er geen mail binnen op mijn zakelijke adres en @nestroom "
     "zegt steeds 'we kijken ernaar'. Ik mis hierdoor klanten!!", [COMPLAINT])
case("en", pub("x", "@agency_lars"), "migrated my agency's 14 sites to Nestroom and the forced PHP 8.3 upgrade broke "
     "every single one. 'please restore a backup' is not support, guys", [COMPLAINT])
case("nl", pub("x", "@bakker_bart"), "Waarom moet ik 45 minuten in de wacht bij @nestroom_support om één DNS-record "
     "aan te passen. Laat dat gewoon in het panel werken 😩", [COMPLAINT])
case("en", pub("facebook", "lisa.illustrates", "Lisa"), "Nestroom auto-renewed my domain for another year after I "
     "cancelled in writing. Refund request ignored twice. Not impressed.", [COMPLAINT])
case("nl", pub("forum", "Marco_WP"), "Let's Encrypt-certificaat wordt al een week niet vernieuwd bij Nestroom, "
     "bezoekers krijgen een waarschuwing in de browser. Ticket <<NOTBSN:9>> staat nog steeds op open.", [COMPLAINT])
case("en", pub("x", "@joris_bikes"), "site down AGAIN. 4th time this month @nestroom. what exactly am I paying you "
     "for every month", [COMPLAINT])
case("nl", pub("instagram", "@koffiebar.deboom"), "Prijsverhoging van bijna 30% zonder fatsoenlijke aankondiging, "
     "dank je Nestroom. Wij gaan verhuizen.", [COMPLAINT])
case("en", pub("reddit", "u/wp_tinkerer"), "Nestroom shared hosting is painfully slow in the evenings, TTFB of 3 "
     "seconds on a plain WordPress install. Support just tells me to upgrade.", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "marian.naaistudio", "Marian"), "Ik krijg een factuur voor een mailbox die ik nooit "
     "besteld heb en niemand reageert op mijn mails. Slechte service Nestroom 👎", [COMPLAINT])
case("en", pub("x", "@kevin_b_dev"), "t e r r i b l e support from nestroom, 9 days and my domain transfer still "
     "hasn't started", [COMPLAINT], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@webshop_ilse"), "Wat een gedoe met die verhuisservice. Webshop 2 dagen offline terwijl @nestroom "
     "'binnen een uur' beloofde. Omzet kwijt.", [COMPLAINT])
case("en", pub("lemmy", "@martijn@lemmy.world"), "Email to Gmail keeps landing in spam since we moved to "
     "NestMail. SPF/DKIM all green on our side. Support closed the ticket without an answer.", [COMPLAINT],
     tags=["unknown-platform"])
case("en", pub("x", "@tinywebshop"), "Nestroom charges €2.50/month extra just to get SSL on Webhosting Start. It's "
     "2026, SSL should be included. Annoying.", [COMPLAINT], tags=["price-context"])

# ======================================================================= abuse
case("nl", pub("x", "@randomrant88"), "@nestroom stelletje prutsers, jullie support is een stel debielen", [ABUSE])
case("en", pub("x", "@angrysysop"), "whoever runs @nestroom_support is a braindead clown. go f*ck yourselves",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", LH, "@zeurkont_83 Als je zo tegen mijn collega's blijft schelden mag je lekker oprotten naar een andere "
     "hoster, klootzak", [ABUSE], kind="reply")
case("en", pub("x", "@ruined_saturday"), "@nestroom your mail servers have been down for 6 hours and your support "
     "line just hangs up. absolute shit company run by morons", [ABUSE, COMPLAINT])
case("nl", pub("x", "@sanne_zeurt"), "Die Lotte van Nestroom is echt een trut, hangt gewoon op als je vraagt waarom "
     "je site al twee dagen plat ligt", [ABUSE, COMPLAINT])
case("en", pub("x", "@truthteller_nl"), "of course Nestroom support is useless, it's all foreigners who can't even "
     "speak proper Dutch lmao", [ABUSE])
case("nl", pub("x", "@h4ter_nl"), "k4nker0p met je hosting N3stroom, t3ringbedrijf", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", NS, "@grumpy_dev_99 maybe learn what DNS is before whining at us, genius. idiot 🙄", [ABUSE], kind="reply",
     handle_as="@Nestroom_Support")
case("nl", pub("x", "@wouter_z"), "@nestroom tyfusbedrijf. punt.", [ABUSE], kind="reply")
case("en", pub("x", "@anon_77_", None), "I know where your support guy Daan lives. You clowns had better watch it.",
     [ABUSE])
case("nl", pub("tiktok", "@vloekvlog"), "wat een " + fullwidth("kutbedrijf") + " is nestroom ook 🙄 #hosting",
     [ABUSE], tags=["evasion", "evasion:full-width"])
case("en", WV, "customers who run wordpress with 47 plugins and then cry at us are honestly the dumbest f***ing "
     "people alive", [ABUSE])

# ======================================================================= benign
case("nl", NS, "Gepland onderhoud 🛠️ dinsdagnacht 02:00–04:00 voeren we updates uit op mailcluster 2. Je mail blijft "
     "bewaard en komt daarna alsnog binnen. Actuele status: status.nestroom.nl", tags=["official-notice"])
case("en", NR, "We're aware some customers on our Amsterdam shared cluster see slow load times. Engineers are on it, "
     "follow status.nestroom.nl for updates.", tags=["official-notice"])
case("nl", NS, "Vragen over je factuur? Mail facturen@nestroom.nl of bel 0800-0990 (gratis, werkdagen 8–20 uur).",
     tags=["own-contact"])
case("nl", NFB, "Betaal je liever per overschrijving? Gebruik IBAN NL19 RABO 0312 7488 59 t.n.v. Nestroom Hosting B.V. "
     "en vermeld je klantnummer.", tags=["own-contact"])
case("nl", LH, "Liever bellen dan chatten? Dat kan gewoon: +31 50 303 4400 😊 we zitten klaar tot 22:00",
     tags=["own-contact"])
case("nl", pub("x", "@veilig_online_nl"), "Tip: abuse@nestroom.nl reageert echt snel als je phishing op een van hun "
     "servers meldt. Binnen een uur offline 👍", tags=["own-contact"])
case("nl", NIG, "Zomeractie ☀️ Webhosting Pro de eerste 3 maanden voor €9,95 p/m (normaal €14,95). Geldt ook voor "
     "verhuizingen!", tags=["sale"])
case("nl", pub("x", "@kortingsjager_kim"), "Met code NESTJE krijg je €3 korting op je eerste maand Webhosting Start, "
     "stond in de nieuwsbrief 📩", tags=["price-context"])
case("nl", pub("reddit", "u/vergelijker"), "Vergelijking: HostHaven rekent €2,49 p/m voor hun instappakket, bij "
     "Nestroom is Webhosting Start €6,95. Wel veel meer opslag en mailboxen bij Nestroom.",
     tags=["price-context", "competitor"])
case("en", pub("x", "@careful_carla"), "Got an invoice 'from Nestroom' asking me to pay to <<BADIBAN_NL:grp>>. That is "
     "not their IBAN, the real one is on their site. Phishing, be careful out there!", tags=["bad-checksum"])
case("nl", pub("x", "@jaap_codeert"), "Mijn bestelnummer bij nestroom is 16 cijfers lang (<<NOTCARD16:grp>>) 😂 wie "
     "verzint zoiets", tags=["bad-checksum"])
case("nl", pub("x", "@hanneke_yoga"), "Ticket <<NOTBSN:9>> netjes opgelost door Nestroom support, site draait weer. "
     "Top service 👏", tags=["bad-checksum", "praise"])
case("nl", NLI, "Nestroom Hosting B.V. · KvK <<NOTBSN:8>> · Gevestigd in Groningen sinds 2011 · We're hiring!",
     tags=["bad-checksum"])
case("en", DS, "deployed <<SHA>> to prod, the new nameserver code is live 🎉 took us three sprints", tags=["git-sha"])
case("en", WV, "PSA: live Stripe keys start with sk_live_… and belong in your .env, not in your theme's "
     "functions.php. Our support sees this weekly 😅", tags=["bare-prefix"])
case("nl", NS, "Zet dit TXT-record bij je domein voor DKIM:\n\nv=DKIM1; k=rsa; p=<<DKIM_PUB>>\n\nDaarna even 1–2 uur "
     "wachten op de DNS.", tags=["public-key"])
case("en", pub("x", "@cautious_carl"), "PSA: Nestroom will never ask for your password by phone. Got a scam call "
     "today, hung up and reported it to abuse@nestroom.nl", tags=["own-contact"])
case("nl", LH, "Vrije dag: fietsen naar de vuurtoren van Westkapelle 🚲🌊 batterij opladen", tags=["codename-word"])
case("nl", KM, "Nieuw aanrechtblad van basalt geplaatst, weekendje klussen done. Volgende week weer servers.",
     tags=["codename-word"], kind="comment")
case("nl", YB, "Het is zover: VPS Kern 8 is live! 🚀 Dubbel zoveel cores voor dezelfde prijs per core. Check "
     "nestroom.nl/vps", when="2026-10-06T10:00:00+02:00", tags=["embargo-over"])
case("nl", NR, "NestMail Vault is er 🔐 versleutelde mailboxen voor ondernemers die privacy serieus nemen. Alles "
     "over de lancering op nestroom.nl/vault", when="2026-10-06T08:00:00.000Z", tags=["embargo-over"])
case("nl", pub("x", "@snelsite_sven"), "Webhosting Turbo van Nestroom getest, echt merkbaar sneller dan mijn oude "
     "pakket. Aanrader voor webshops.", when="2026-10-20T19:12:44+02:00", tags=["embargo-over"])
case("nl", NLI, "Vandaag publiceerden we onze halfjaarcijfers: 12% groei in het aantal klanten. Het volledige "
     "persbericht lees je op nestroom.nl/pers", tags=["published"])
case("en", pub("x", "@hosting_watch"), "Sad to see HostHaven laying off 60 people. Hosting market is brutal right now. "
     "Glad my sites are at Nestroom.", tags=["other-company"])
case("nl", pub("x", "@2fa_evangelist"), "Weer een datalek bij een grote webwinkel. Heeft niets met mijn hoster "
     "(Nestroom) te maken, maar zet alsjeblieft overal 2FA aan mensen!", tags=["other-company"])
case("nl", YB, "Nieuwe brand guidelines binnen 💚 ons logo krijgt een frissere kleur. #nestroom #branding",
     tags=["other-sense"])
case("nl", pub("x", "@fotograaf_femke"), "Domein van mijn oude hoster naar Nestroom overgenomen in 10 minuten, de "
     "verhuisservice deed alles. Chapeau 👏", tags=["praise", "other-sense"])
case("nl", pub("facebook", "bloemist.anja", "Anja"), "Geen klachten over Nestroom hoor, 4 jaar en nog geen seconde "
     "downtime gemerkt.", tags=["negated"])
case("en", pub("reddit", "u/http3_fan"), "Does Nestroom support HTTP/3 on their shared packages? Couldn't find it in "
     "the docs.", tags=["question"])
case("nl", pub("x", "@devmeisje"), "Nachtmerrie vannacht: droomde dat mijn hele WordPress-site gehackt was. Wakker "
     "geworden, alles draaide nog gewoon bij Nestroom 😅 #developerproblems", tags=["fiction"])
case("en", pub("x", "@late_night_dns"), "'Hello darkness my old friend' — me at 3am waiting for DNS propagation. "
     "Nestroom's TTL was fine, it was me.", tags=["quote"])
case("nl", pub("facebook", "m.vanderveen", "Martin"), "Mijn vader is vorig jaar aan kanker overleden. Nestroom heeft "
     "me heel lief geholpen zijn blog op mijn naam te zetten. Dankjewel ❤️", tags=["mild-word"])
case("en", YB, "Calling for a boycott of pineapple pizza at the Nestroom hackathon 🍍🚫 (jk, it was gone in five "
     "minutes)", tags=["other-sense", "joke"])
case("en", pub("x", "@mailbox_mo"), "If I recall correctly NestMail Business gives you 50 GB per mailbox? Thinking of "
     "moving our team over.", tags=["other-sense", "question"])
case("nl", pub("x", "@mkb_marco"), "Storing bij Serverkaai vandaag, half Nederland zonder mail. Wij bij Nestroom "
     "nergens last van 🙌", tags=["competitor"])
case("en", pub("x", "@bakes_by_bo"), "shoutout to Mila at Nestroom support, fixed my MX records in five minutes flat "
     "🙌", tags=["praise"])
case("nl", RO, "Ondernemers in Drenthe: Managed WordPress vanaf €19,95 p/m, inclusief dagelijkse backups en "
     "staging. Vraag me gerust om een demo.", tags=["sale"])
case("nl", pub("x", "@snelle_service"), "+31503034400 gebeld, binnen 2 minuten had ik iemand van Nestroom aan de "
     "lijn. Zo hoort het", tags=["own-contact", "praise"])
case("nl", pub("forum", "Verhuizer_Henk"), "Bel die gratis lijn even, 0800 0990, die helpen je met de verhuizing van je "
     "domein naar Nestroom.", tags=["own-contact"])
case("nl", NS, "Klopt! Je verhuiscode vraag je zelf op in mijn.nestroom.nl onder Domeinen → Verhuizen. Lukt het "
     "niet? Stuur ons even een DM.", kind="reply", tags=["own-domain"])
case("en", pub("x", "@dns_dude"), "Point your A record to 203.0.113.42, wait for the TTL and you're done. Nestroom's "
     "docs explain it well.", tags=["ip-address"])
case("en", pub("linkedin", "dutch-hosting-awards"), "Congratulations to Nestroom Hosting, winner of 'Best SME "
     "Hosting 2026' at this year's Dutch Hosting Awards!", tags=["published"])
case("nl", pub("blog", "schrijfster-ilona.nl", "Ilona"), "In mijn nieuwe thriller werkt de hoofdpersoon bij een "
     "fictieve hoster die gehackt wordt. Nee, het is niet Nestroom, daar host ik deze blog gewoon zelf 😄",
     tags=["fiction"])
case("nl", pub("x", "@boze_buurman"), "Ziggo ligt er weer uit, ik kan niet bij mijn site. Niet de schuld van Nestroom, "
     "hun statuspagina is helemaal groen.", tags=["other-company"])
case("nl", pub("x", "@actie_annelies"), "Nee hoor, geen prijsfout: Webhosting Start is deze maand gewoon €4,95 als "
     "actie. Staat ook in hun nieuwsbrief.", tags=["sale", "negated"])
case("en", NR, "Price update: from 1 January Webhosting Start goes from €6.95 to €7.45 per month. Existing contracts "
     "keep their current price until renewal.", tags=["sale"])
case("en", pub("x", "@git_gud_gert"), "GitHub tokens look like ghp_… and if you paste one into a Nestroom ticket, "
     "support will tell you to revoke it straight away. Good policy.", tags=["bare-prefix"])
case("nl", MG, "Eerste maand bij Nestroom support zit erop! Leukste collega's ooit 💜 #werkgeluk", tags=["employee-life"])
case("nl", pub("instagram", "@techtoer_tom"), "Rondleiding gehad in het datacenter van Nestroom in Eemshaven. Koud, "
     "luid, fantastisch 🤓", tags=["praise"])
case("en", pub("x", "@invoice_q"), "Why does the Nestroom invoice have a 9-digit number like <<NOTBSN:9>> at the top? "
     "Is that my customer number?", tags=["bad-checksum", "question"])
case("nl", pub("instagram", "@logo_lieke"), "Net mijn eerste .nl-domein gekocht bij Nestroom voor €9,95 per jaar, nu "
     "nog een logo 😁", tags=["sale"])
case("en", pub("x", "@fair_feedback"), "Someone in my mentions called Nestroom support 'idiots' lol. They literally "
     "fixed my site in 10 minutes. Wrong target, buddy.", tags=["quote", "mild-word"])
case("nl", pub("x", "@hostingvergelijk"), "Prijsfout bij HostHaven: hun VPS voor €1 per maand 😂 bij Nestroom "
     "gewoon normale prijzen, geen gedoe", tags=["competitor"])
case("en", NMA, "We're hiring! Junior sysadmin in Groningen, hybrid. All info on nestroom.nl/werken-bij", tags=["jobs"])
case("nl", NR, "Storing opgelost ✅ De mailvertraging van vanochtend is verholpen. Excuses voor het ongemak; de oorzaak "
     "lees je op status.nestroom.nl", tags=["official-notice"])
case("nl", pub("x", "@mailtjes_mieke"), "Goeie uitleg over SPF en DMARC in de kennisbank van Nestroom. Mijn mails "
     "komen nu eindelijk wél aan.", tags=["praise"])
case("nl", pub("x", "@vraagje_vera"), "Wie weet het mailadres van Nestroom support? Ah gevonden: support [at] "
     "nestroom [punt] nl, voor wie het ook zoekt", tags=["own-contact"])
case("nl", pub("linkedin", "webinar-veilig-ondernemen"), "Webinar morgen: hoe voorkom je een #datalek in je webshop? "
     "Met een gastspreker van Nestroom over back-ups en 2FA.", tags=["other-sense"])
case("en", NS, "Sorry to hear that! Could you DM us your domain name? Please don't post customer numbers or "
     "passwords publicly 🙏 Or call us on 050 303 44 00.", kind="reply", tags=["own-contact"])
case("nl", pub("x", "@ondernemer_otto"), "Even een compliment: de overstap naar NestMail ging soepel, alle oude "
     "mail stond er na een uur in. Dank @nestroom_support", tags=["praise"])
case("en", DS, "Great talk at the Dutch hosting meetup tonight about IPv6-only stacks, slides are on my blog 📊",
     tags=["employee-life"])
case("nl", pub("x", "@pietje_print"), "Ik zoek een hoster voor mijn drukkerij, iemand ervaring met Nestroom of "
     "Serverkaai? Vooral de mail moet goed zijn.", tags=["question", "competitor"])


# ---------------------------------------------------------------- building
def load_profile():
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
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated)) \
                    else "error"
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


def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(t)
    t_utc = t - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if platform == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
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
        sub = r.choice(["webhosting", "thenetherlands", "selfhosted", "sysadmin"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 115_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-webhostingtalk-nl-{n}", f"https://forum.hostingpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fill = Fill(SEED)
    mr = random.Random(SEED + 11)
    order = random.Random(SEED + 23)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(fill, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
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
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
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
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "nestroom"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev}, lang=c["lang"],
                         role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ---------------------------------------------------------------- self-check
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bsk_live_[A-Za-z0-9]{20,}", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"\bglpat-[\w-]{20}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@")]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur|cent)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def amount(s):
    s = s.rstrip(".,")
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    return float(s)


def self_check(rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_ibans = set(profile["public_identifiers"]["ibans"])
    assert all(iban_valid(i) for i in own_ibans)
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t, nt = p["text"], norm(p["text"])
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN")
            if k.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: BSN fails")
            if k in ("NOTBSN", "NOTCARD16") and (elfproef(raw) or luhn_valid(raw)):
                errs.append(f"{p['id']}: negative number passes a checksum")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        ibans = [m.group(0).replace(" ", "") for m in IBAN_RE.finditer(t)]
        valid_ids = [i for i in ibans if iban_valid(i) and i not in own_ibans]
        valid_ids += [d for d in (re.sub(r"\D", "", m.group(0)) for m in NUM_RE.finditer(t))
                      if 13 <= len(d) <= 19 and luhn_valid(d)]
        valid_ids += [d.replace(".", "") for d in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?!\w)|(?<![\w.])\d{9}(?!\w)", t)
                      if elfproef(d)]
        if valid_ids and PII not in cats:
            errs.append(f"{p['id']}: valid identifier {valid_ids} without leak.pii")
        if not cats:
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_emails:
                    errs.append(f"{p['id']}: benign with e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(t):
                    errs.append(f"{p['id']}: benign with secret shape")
            names = [(a.casefold(), pr["list_price"]) for pr in profile["products"] for a in [pr["name"]] + pr["aliases"]]
            lps = [lp for a, lp in names if a in nt]
            if lps:
                for m in AMOUNT_RE.finditer(nt):
                    v = amount(m.group(1) or m.group(2))
                    if v / min(lps) < profile["pricing"]["alert_below_ratio"] and not (
                            r["tags"] & {"price-context", "competitor"}):
                        errs.append(f"{p['id']}: benign with low price {v} near a product")
        for term, until in embargo:
            if term in nt and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {term} before until, unlabelled")
            if term in nt and ts >= until and cats:
                errs.append(f"{p['id']}: embargo term after until but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without confidential")
    return errs


def main():
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    if errs:
        print("\n".join(errs))
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    cc, sev, lang, role = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        for c in r["expect"]["categories"] or ["(benign)"]:
            cc[c] += 1
        sev[r["expect"]["severity"]] += 1
        lang[r["lang"]] += 1
        role[r["role"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print("categories:", dict(sorted(cc.items())))
    print("multi:", sum(len(r["expect"]["categories"]) > 1 for r in rows),
          "evasion:", sum("evasion" in r["tags"] for r in rows))
    print("severity:", dict(sev), "lang:", dict(lang), "role:", dict(role))
    return 0


if __name__ == "__main__":
    sys.exit(main())
