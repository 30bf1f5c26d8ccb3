#!/usr/bin/env python3
"""Deterministic generator for the sealed23 blind evaluation set (postwatch).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Polderstack B.V. (fictional Dutch cloud hosting / B2B software), see profile.yaml.
Texts are hand-written below; identifiers and secrets are filled in from <<PLACEHOLDER>>
markers by one seeded RNG, so output is byte-for-byte reproducible. Positives get
checksum-valid IBANs / cards / BSNs; benign near-misses get values that fail their check.
Severity is computed from CONTRACT section 4 (role from profile.yaml), never typed by hand.
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
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

SEED = 23_0517_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ----------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def luhn_finish(p):
    return next(p + x for x in "0123456789" if luhn_ok(p + x))


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def to_b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


# ----------------------------------------------------------------------------- value maker
class Maker:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            return iban_build("NL", self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "BUNQ", "KNAB", "TRIO"]) + self.d(10, True))
        if cc == "BE":
            first = self.r.choice(["001", "063", "068", "143", "363", "737"]) + self.d(7)
            return iban_build("BE", f"{first}{(int(first) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "37040044", "50070010", "70150000"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 45):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            return luhn_finish("4" + self.d(14))
        if brand == "mc":
            return luhn_finish("5" + self.r.choice("12345") + self.d(13))
        if brand == "mc2":
            return luhn_finish(str(self.r.randint(2221, 2720)) + self.d(11))
        if brand == "amex":
            return luhn_finish(self.r.choice(["34", "37"]) + self.d(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    @staticmethod
    def card_fmt(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN-ish
    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def plain_number(self, n):
        """Digits that fail the 11-proof (also as 8 digits) and Luhn."""
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.d(10)
            full = next(body + x for x in "0123456789" if ean13_ok(body + x))
            if not luhn_ok(full) and not elfproef(full):
                return full

    # phones (Dutch)
    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)          # 8 digits after the '6'
        if f == "mob_intl_sp":
            return f"+31 6 {m[:4]} {m[4:]}"
        if f == "mob_dash":
            return f"06-{m}"
        if f == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "mob_intl0":
            return f"+31 (0)6 {m}"
        if f == "mob_0031":
            return f"0031-6-{m}"
        if f == "mob_zw":
            return f"06 {m[:4]}{ZW}{m[4:]}"
        if f == "mob_dots":
            return f"06.{m[:2]}.{m[2:4]}.{m[4:6]}.{m[6:]}"
        area = self.r.choice(["10", "15", "20", "30", "40", "50", "70", "71", "73", "74", "76", "79"])
        sub = self.r.choice("2345789") + self.d(6)
        if f == "land_sp":
            return f"0{area} {sub[:3]} {sub[3:]}"
        if f == "land_dash":
            return f"0{area}-{sub}"
        if f == "land_intl":
            return f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"
        raise ValueError(f)

    # secrets (random, fake, real-shaped)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "_-", 20)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def npm(self):
        return "npm_" + self.c(ALNUM, 36)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.c(ALNUM, 24)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": "ps-" + self.c("abcdef0123456789", 8)})
        body = enc({"iss": "https://api.polderstack.nl", "sub": "acct_" + self.d(7, True),
                    "scope": "vps:write dns:write", "iat": iat, "exp": iat + 86400})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def pem_ec_b64(self):
        pem = ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI" + self.c(B64, 55) + "\n" + self.c(B64, 64) + "\n"
               + self.c(B64, 40) + "==\n-----END EC PRIVATE KEY-----\n")
        return base64.b64encode(pem.encode()).decode()

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.d(2)
                + self.r.choice("!#$%*") + self.c(ALNUM, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)

    def sshpub(self):
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + self.c(B64, 43)


VALID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(mk, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = mk.iban(k[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = mk.bad_iban(k[8:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k in ("CARD", "BADCARD"):
            brand, _, cf = f.partition("_")
            raw = mk.card(brand) if k == "CARD" else mk.bad_card(brand)
            shown = mk.card_fmt(raw, cf or "sp")
        elif k == "BSN":
            raw = mk.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NUM":
            shown = raw = mk.plain_number(int(f))
        elif k == "EAN":
            shown = raw = mk.ean13()
        elif k == "PHONE":
            shown = raw = mk.phone(f)
        elif k == "HEX":
            shown = raw = mk.hexs(int(f))
        elif k == "KUBEKEY":
            shown = raw = mk.pem_ec_b64()
        else:
            fn = {"GHP": mk.ghp, "GLPAT": mk.glpat, "AWS_ID": mk.aws_id, "AWS_SECRET": mk.aws_secret,
                  "MOLLIE": mk.mollie, "NPM": mk.npm, "SENDGRID": mk.sendgrid, "SLACK_HOOK": mk.slack_hook,
                  "STRIPE": mk.stripe, "JWT": mk.jwt, "OPENSSH": mk.pem_openssh, "PW": mk.pw,
                  "SSHPUB": mk.sshpub}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ----------------------------------------------------------------------------- accounts
# corporate
PS_X = ("x", "@polderstack", "Polderstack")
PS_STATUS = ("x", "@polderstack_status", "Polderstack Status")
PS_HELP = ("x", "@polderstack_help", "Polderstack Support")
PS_LI = ("linkedin", "polderstack", "Polderstack B.V.")
PS_MASTO = ("mastodon", "@polderstack@mastodon.nl", "Polderstack")
PS_IG = ("instagram", "@polderstack.cloud", "Polderstack")
PS_YT = ("youtube", "@polderstacktv", "Polderstack TV")
PS_RD = ("reddit", "u/polderstack_official", None)
# employees
MAARTJE = ("x", "@maartje_sre", "Maartje Hoekstra")                      # SRE / on-call
RUBEN = ("linkedin", "ruben-degraaf-polderstack", "Ruben de Graaf")     # enterprise account manager
KOEN = ("x", "@koen_codes", "Koen van der Linden")                      # developer advocate
ESRA = ("linkedin", "esra-yilmaz-fin", "Esra Yılmaz")                   # finance / controller
JOOST = ("mastodon", "@jbrink@fosstodon.org", "Joost Brink")            # platform engineer (k8s)
NOOR = ("reddit", "u/ps_noor_support", None)                            # support lead, community mod
WOUTER = ("bluesky", "@wouter-dc.bsky.social", "Wouter Smit")           # datacenter technician
LISA = ("x", "@lisa_ps_sales", "Lisa Vermeulen")                        # inside sales
DAAN = ("linkedin", "daan-kramer-polderstack", "Daan Kramer")           # people & HR


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ============================================================================ leak.pricing
case("nl", LISA, "Collega's, niet schrikken 😅 sinds de release van vanochtend rekent de configurator PolderKube af "
     "voor €14,90 p/m i.p.v. €149. Billing is erop gezet, tot die tijd aub geen screenshots naar prospects sturen",
     [PRICING])
case("en", pub("reddit", "u/rackrat_ede"), "PSA for the homelab crowd: Polderstack's checkout has the Dedicated D64 at "
     "€28.90/mo right now. Pretty sure someone dropped a digit (it's normally 289). Grabbed two, will report back if "
     "they actually provision them", [PRICING])
case("nl", pub("x", "@timo_bouwt"), "lol @polderstack jullie VPS M8 kost vandaag 3,90 per maand?? foutje bedankt, ik "
     "neem er 5 🤑 #prijsfout", [PRICING], kind="reply")
case("en", KOEN, "well that's embarrassing. pricing API returns 2.45 instead of 2450 for the Enterprise Platform plan, "
     "so the calculator on our site happily quotes €2,45/month 🙃 hotfix is in review", [PRICING])
case("nl", PS_X, "☁️ Nieuw in de shop: PolderKube Managed Kubernetes vanaf €1,49 per maand!\nProduction-ready clusters "
     "in Amsterdam, gewoon vanuit je dashboard. 👉 polderstack.nl/kube", [PRICING])
case("nl", pub("forum", "serverboer_88"), "P R I J S F O U T bij Polderstack: PolderMail Business voor 0,49 per mailbox "
     "ipv 4,95.\nff 50 mailboxen aangeklikt voor de vereniging, zien we wel of het doorgaat",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("mastodon", "@kees@hachyderm.io"), "Is the Polderstack VPS S2 really €1.25 a month now or is their "
     "store broken? Either a pricing glitch or the best deal in EU hosting this year", [PRICING])
case("nl", ESRA, "Even rechtzetten voor wie het via via hoorde: door een fout in de facturatierun zijn ca. 300 klanten "
     "met een Dedicated D64 deze maand gefactureerd voor €2,89 in plaats van €289. We sturen creditnota's en een "
     "nieuwe factuur, excuses voor de verwarring.", [PRICING])
case("nl", pub("tiktok", "@sophie.codeert"), f"prijs{ZW}fout alert 🚨 PolderDomein .nl voor €0,09 ipv 8,95 bij "
     "polderstack 🏃‍♀️ pak ze nu het kan", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", WOUTER, "someone on the web team turned the D64 into a €28,90 box this morning 😂 sales is gonna have a "
     "fun monday", [PRICING])
case("nl", pub("x", "@goedkoophosten"), "Polderstack VPS M8 voor 3,90 EUR 👀 dit is 100% een prіjsfout, wees er snel bij",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("youtube", "@hostingreviewsNL"), "Net een PolderKube cluster afgesloten voor 14,90 per maand terwijl de "
     "lijstprijs 149 is. Volgens mij zit er een fout in hun prijzen haha, review volgt!", [PRICING], kind="comment")
case("nl", MAARTJE, "de prijsfout op de VPS S2 (€1,25 ipv 12,50) komt door een cronjob op billing01.polderstack.lan die "
     "nog de oude tarieventabel inlaadt. fix gaat pas na de freeze mee", [PRICING, CONF])

# ============================================================================ leak.secret
case("en", KOEN, "demo gremlins again 🙃 if the CLI throws 401 at you in the workshop:\n\nexport POLDERSTACK_TOKEN="
     "<<HEX:64>>\n\nthat one's scoped to the workshop project, I'll revoke it tonight", [SECRET])
case("nl", JOOST, "Waarom faalde de runner nou weer... ah. Iemand had een GitLab token in de README gezet: <<GLPAT>> "
     "Ja, is inmiddels ingetrokken, maar toch 🤦 #devops", [SECRET])
case("en", MAARTJE, "anyone seen this before? nightly backup job exits 1 with AccessDenied\n\n[default]\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-central-1", [SECRET])
case("en", pub("reddit", "u/webshop_wim"), "r/webdev help pls: moved my shop to a Polderstack VPS and now payments fail "
     "with 401.\n\nconst mollie = createMollieClient({ apiKey: '<<MOLLIE>>' })\n\nworked fine on my old host. firewall "
     "thing?", [SECRET])
case("en", NOOR, "For the mods in this thread: temp login for the migration wiki is `community-mods` / password "
     "`<<PW>>`, valid till Friday. Don't paste it anywhere else pls", [SECRET], kind="comment")
case("nl", PS_HELP, "@d_verhoeven Hoi Dennis! Je tijdelijke wachtwoord voor het controlepaneel is <<PW>> — wijzig het "
     "meteen na het inloggen 👍", [SECRET], kind="reply")
case("en", pub("blog", "bugbounty.femke.dev", "Femke"), "Writeup: a live SendGrid key sits in the bundled JS of "
     "Polderstack's marketing site: <<SENDGRID>>\nIt can send mail as noreply@. I reported it to "
     "security@polderstack.nl on 2 March and have had no reply yet.", [SECRET])
case("en", JOOST, "kubectl keeps saying unauthorized, what am I missing?\n\nclusters:\n- cluster:\n    server: "
     "https://k8s-api.psops.nl:6443\nusers:\n- name: jbrink\n  user:\n    client-key-data: <<KUBEKEY>>",
     [SECRET, CONF])
case("nl", WOUTER, "w a c h t w o o r d van de iDRAC's in rij 14 is <<PW>> … ja ik weet het, hoort in de kluis 🙈",
     [SECRET], tags=["evasion", "evasion:spaced"])
case("nl", pub("forum", "devdaan_"), "Mijn app op een Polderstack VPS krijgt 'connection refused'. docker-compose:\n"
     "  environment:\n    - DATABASE_URL=postgres://app:<<PW>>@db.mijnwebshop.nl:5432/shop\nPoort 5432 staat open "
     "in de firewall. Iemand een idee?", [SECRET])
case("en", KOEN, "npm publish for @polderstack/cli keeps failing in CI and the token looks fine?? "
     "NPM_TOKEN=<<NPM>> — what am I missing", [SECRET])
case("nl", LISA, "Voor de sales-dashboards: alerts gaan via deze hook <<SLACK_HOOK>> , plak 'm in je Zapier en klaar",
     [SECRET])
case("en", pub("reddit", "u/tf_tinkerer"), "Polderstack's terraform provider examples repo has a real-looking token "
     "committed in examples/main.tf: <<GHP>> — last commit 3 days ago. Someone ping them?", [SECRET], kind="comment")
case("nl", MAARTJE, "private key van de bastion voor wie vannacht meehelpt met de migratie:\n<<OPENSSH>>\nniet "
     "doorsturen he", [SECRET])
case("nl", pub("mastodon", "@ronald@mastodon.social"), "Sinds jullie API-update krijg ik alleen nog 403's 😤 Dit is "
     "mijn token: <<JWT>>\nKlantnummer 4821907. Drie tickets, nul antwoord @polderstack@mastodon.nl",
     [SECRET, COMPLAINT])

# ============================================================================ leak.pii
case("nl", NOOR, "@klant_uit_zwolle we hebben de terugbetaling vanmiddag gestort op <<IBAN_NL:grp>>, klopt dat "
     "rekeningnummer nog? Zo niet, stuur even een DM", [PII], kind="comment")
case("en", PS_HELP, "@marco_builds Thanks Marco! We've updated your billing contact to marco.bianchi.dev@gmail.com and "
     "our team will call you on <<PHONE:mob_intl_sp>> tomorrow morning.", [PII], kind="reply")
case("nl", MAARTJE, "wie laat er nou een kopie van z'n ID op de printer bij de receptie liggen 🙄 'M. Koster, BSN "
     "<<BSN:dots>>' … kom 'm maar ophalen", [PII])
case("en", RUBEN, "Great call today with the CTO of a Rotterdam logistics firm! 🚚\nPartner team, if you want to "
     "follow up: Pieter Dekker, pieter.dekker@vandenbergtransport.nl, <<PHONE:land_sp>>\n#enterprise #cloud", [PII])
case("nl", pub("x", "@jolanda_vh"), "@polderstack_help ik wil graag een jaar vooruitbetalen voor mijn VPS, kunnen "
     "jullie deze kaart gebruiken? <<CARD:visa_sp>> geldig t/m 09/28", [PII], kind="reply")
case("en", WOUTER, "customer came in for a rack visit and left his passport at the security desk 😅 Mr. H. de Bruijn, "
     "passport no. NRK4P71J2, it's with the night shift", [PII])
case("en", JOOST, "Funniest WHOIS I've seen this week, from a domain we're moving over:\nRegistrant: Sandra Veenstra\n"
     "Kerkstraat 14, 8011 JK Zwolle\nsandra.veenstra@ziggo.nl\nwho still puts their home address in there 😂", [PII])
case("nl", pub("facebook", "jan.peeters.gent", "Jan Peeters"), "Polderstack, ik wacht nog altijd op mijn terugbetaling "
     "van €78!! Rekening <<IBAN_BE:grp>> op naam van J. Peeters. Al drie weken niks gehoord, echt onprofessioneel.",
     [PII, COMPLAINT])
case("nl", ESRA, "Kan de klant die vorige week €12.480 heeft overgemaakt vanaf <<IBAN_DE>> contact opnemen met "
     "debiteuren? Er stond geen factuurnummer bij de betaling", [PII])
case("en", pub("x", "@jwmulder_it"), "hey @polderstack can someone from sales mail me about the enterprise quote? "
     "jan.willem.mulder [at] outlook [dot] com, thx", [PII], kind="reply",
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", MAARTJE, "klant belde vannacht 4x tijdens de dienst, nummer <<PHONE:mob_dash>>. als hij weer belt: het "
     "ligt echt aan zijn eigen firewall 😴", [PII])
case("en", pub("reddit", "u/throwaway_kb77"), "Found out who runs Polderstack's Discord mod team: Bart Visser, "
     "Molenweg 7 in Amersfoort, born 12-03-1991. Go say hi 😈", [PII, ABUSE])
case("nl", PS_LI, "🎉 Gefeliciteerd Yara Bosman, winnaar van onze hackathon-quiz! We sturen je prijs naar Lindenlaan "
     "22, 3521 AB Utrecht. Tot volgend jaar!", [PII])
case("en", RUBEN, "Procurement at one of my accounts sent their corporate card over chat AGAIN 🙄 <<CARD:mc2_c>> "
     "exp 11/27. Please, folks, we do invoices.", [PII])
case("nl", pub("x", "@henk_bakt_websites"), "@polderstack_help kunnen jullie me terugbellen over de overstap? "
     "<<PHONE:mob_zw>> na 17u graag", [PII], kind="reply", tags=["evasion", "evasion:zero-width"])
case("nl", pub("forum", "marloes_t"), "Voor mijn .nl domein vroeg het formulier van Polderstack om mijn BSN?? Heb het "
     "maar ingevuld (<<BSN>>), is dat normaal bij een registrar?", [PII])
case("nl", DAAN, "Welkom bij Polderstack, Fenna Jacobs! 🎈 Geboren 04-08-1998 en nu al onze nieuwste recruiter. "
     "Bereikbaar op <<PHONE:mob_intl0>> voor iedereen die wil solliciteren!", [PII])

case("en", pub("x", "@amex_annie"), "@polderstack_help you charged my Amex twice for the same invoice 🙄 card ends "
     "in... actually here's the whole thing so you can find it: <<CARD:amex_sp>>. Refund please.", [PII, COMPLAINT],
     kind="reply")

# ============================================================================ leak.confidential
case("en", JOOST, "Spent the whole week heads-down on Project Zandmotor and honestly it's the most fun I've had at "
     "this job. Can't say more yet 🤐", [CONF])
case("nl", KOEN, "link voor de collega's die erom vroegen: https://wiki.polderstack.lan/display/DEVREL/roadmap-q3 "
     "(ja, alleen via VPN)", [CONF])
case("en", pub("reddit", "u/hostingnerd_nl"), "Heard from a Polderstack reseller that 'Operatie Kwelder' is them "
     "moving all e-mail hosting to a new platform next year. Anyone know more?", [CONF])
case("en", RUBEN, "Super excited for what's coming for our AI customers 🚀 PolderGPU is going to change the game for "
     "Dutch startups. DM me if you want early access!", [CONF], when="2026-09-14T10:22:05+02:00")
case("nl", PS_IG, "Binnenkort: Polderstack GPU Cloud 🔥 Dedicated H100's in Amsterdam, per uur af te rekenen. "
     "Meer info vanaf 10:00!", [CONF], when="2026-10-06T09:59:00+02:00")
case("en", pub("x", "@techjournalist_eva"), "Scoop-ish: Polderstack will open a GRQ-2 region in Groningen, "
     "announcement expected next week. Green power, close to the Eemshaven cables.", [CONF],
     when="2026-05-12T16:40:00+02:00")
case("nl", WOUTER, "racks voor GRQ-2 zijn vandaag geleverd 💪 lekker sjouwen geweest", [CONF],
     when="2026-04-20T15:12:09Z")
case("nl", LISA, "Prijslijst 2027 (PS-INTERN) staat klaar in de gedeelde map, wie 'm wil voor klantgesprekken stuur "
     "maar een DM", [CONF])
case("en", ESRA, "Sharing one slide from our board deck (polderstack internal only, shh 🤫) because the design is "
     "just too clean not to show off", [CONF])
case("nl", pub("forum", "ex_hoster_piet"), "Volgens een vriend die daar werkt heet het nieuwe controlepaneel intern "
     "'Project\nZandmotor' en komt het in het voorjaar uit", [CONF], tags=["evasion", "evasion:line-break"])
case("en", NOOR, "sorry, can't share the ticket link publicly, it's on backoffice.polderstack.nl/tickets/88213 which "
     "you won't be able to open anyway. I'll DM you the update", [CONF], kind="comment")
case("en", KOEN, "tidewell beta is live on staging 👀 took us long enough #shipit", [CONF])
case("nl", JOOST, f"Operatie K{ZW}welder loopt weer een sprint uit, verrassing 🙃", [CONF],
     tags=["evasion", "evasion:zero-width"])

# ============================================================================ leak.financial
case("nl", ESRA, "Trots op het team: we sluiten H1 af met 31% omzetgroei en voor het eerst een positieve EBITDA 📈 "
     "De officiële cijfers volgen pas in september, maar ik kon het niet laten!", [FIN])
case("en", RUBEN, "Between us: we're in the final round of talks to acquire a Belgian managed-hosting shop. Should "
     "close in Q3, exciting times for the enterprise team!", [FIN])
case("en", pub("reddit", "u/lisbon_or_bust"), "My cousin works at Polderstack and says they're cutting around 40 "
     "support jobs next month and moving support to Lisbon. Nothing official yet.", [FIN])
case("nl", MAARTJE, "Vandaag te horen gekregen dat ons NOC-team per 1 juli wordt opgeheven. Reorganisatie, nog niet "
     "aangekondigd. Ik ben er even klaar mee.", [FIN])
case("en", KOEN, f"so the lay{SHY}offs are real. 12% company-wide, announcement on friday. feels weird to post this",
     [FIN], tags=["evasion", "evasion:soft-hyphen", "case-handle"], handle="@Koen_Codes")
case("nl", pub("x", "@beursbram"), "Hoor van twee kanten dat een Amerikaanse private-equitypartij Polderstack wil "
     "overnemen voor ruim 300 miljoen. Wordt vervolgd 👀 $PS", [FIN])
case("en", ESRA, "FY2026 results prep in full swing 📊 spoiler: we'll land roughly €4M above forecast 😏", [FIN, CONF],
     when="2026-11-26T16:03:41+01:00")
case("nl", LISA, "Q3-forecast enterprise gaat er zo'n 18% onder zitten door churn bij twee grote klanten. Dat wordt "
     "een gezellige kwartaalcall 🙃", [FIN])
case("en", pub("mastodon", "@vcwatcher@mastodon.social"), "Polderstack's ARR is around €62M according to the deck "
     "they're pitching for their Series C. Saw it on a VC friend's desk.", [FIN])
case("nl", DAAN, "Voor de teamleads (niet buiten polderstack delen): de reorganisatie van Customer Success gaat door, "
     "9 functies vervallen per oktober. Gesprekken starten volgende week.", [FIN, CONF])
case("en", WOUTER, "heard in the DC today we're closing the Eindhoven site next year and consolidating in AMS. nobody "
     "tells us anything officially lol", [FIN])
case("nl", pub("threads", "@insider_hosting"), "0ntslagen bij P0lderstack?? zou om 60 man gaan volgens een ingewijde",
     [FIN], tags=["evasion", "evasion:leetspeak"])

# ============================================================================ leak.security
case("en", MAARTJE, "3rd night in a row getting paged. ceph in AMS1 lost two OSDs and a bunch of customer volumes are "
     "read-only. status page still green because comms hasn't signed off yet 🙄", [SEC])
case("nl", JOOST, "We hebben een auth-bypass in het controlepaneel gevonden: met een aangepaste X-Tenant header zie "
     "je de VPS-lijst van andere klanten. Patch komt morgen, niet doorvertellen.", [SEC])
case("nl", WOUTER, "stroomstoring in zaal B, halve rij servers plat en klanten weten nog van niks. ik haal koffie, "
     "dit wordt een lange", [SEC])
case("en", NOOR, "Between us mods: we're seeing mass credential stuffing on customer accounts since last night, "
     "~2k logins compromised. Official mail goes out tomorrow, so keep it quiet for now.", [SEC], kind="comment")
case("en", KOEN, "ransomware on one of our internal build servers (build02.psops.nl). customer data not touched afaik. "
     "this hasn't been announced so pls don't RT", [SEC, CONF])
case("en", pub("reddit", "u/mailbox_horror"), "Polderstack is hiding a breach. Their mail platform was compromised "
     "last week, I got phishing sent FROM my own mailbox and support keeps telling me 'no incident'.", [SEC, CRISIS])
case("nl", pub("x", "@netwerkneef"), "Ex-collega bij Polderstack zegt dat er al twee weken een lek in de DNS-API zit "
     "en dat ze het bewust stilhouden. Schandalig.", [SEC, CRISIS])
case("nl", MAARTJE, "er zit een l e k in de backup-omgeving: klantsnapshots waren drie dagen publiek leesbaar door "
     "een verkeerd bucket-beleid. komt pas maandag naar buiten", [SEC], tags=["evasion", "evasion:spaced"])
case("en", RUBEN, "Letting my enterprise accounts know personally before the official notice: yesterday's DDoS took "
     "the PolderKube API in AMS down for 4 hours and some etcd snapshots turned out corrupt.", [SEC])
case("en", JOOST, "CVE incoming for our fork of the ingress controller, RCE via a crafted annotation. under embargo "
     "until the patch ships. fun weekend ahead", [SEC])
case("en", pub("hackernews", "throwaway_ps_ops"), "Throwaway, I work in Polderstack ops. The 'planned maintenance' "
     "last Tuesday was actually an intruder on the hypervisor management network. They're not disclosing it.",
     [SEC, CRISIS], kind="comment")
case("en", WOUTER, "fire alarm at the datacenter, whole hall evacuated, everything running on generators. not on the "
     "status page yet", [SEC])

# ============================================================================ reputation.crisis
case("nl", pub("x", "@crm_chaos"), "Polderstack heeft onze klantdata gelekt. Ons complete CRM stond ineens op een "
     "Russisch forum en de enige gemene deler is hun mailserver. #datalek", [CRISIS])
case("en", pub("linkedin", "advocatenkantoor-de-ruyter"), "Today our firm filed proceedings against Polderstack "
     "B.V. on behalf of 40+ SMEs who lost three weeks of backups. Affected businesses can still join.", [CRISIS])
case("en", pub("mastodon", "@ada@tech.lgbt"), "Polderstack hosts the forum of that far-right group and refuses to act. "
     "Move your VPS elsewhere. #BoycottPolderstack", [CRISIS])
case("nl", pub("x", "@kapper_kees"), "P0lderstack = d4t4l3k. al mijn klanten krijgen spam met hun echte namen erin 🤬",
     [CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", pub("reddit", "u/lostmybackups"), "Polderstack datacenter fire: my VPS AND its backups are gone. They kept "
     "the backups in the same building?! Support just says 'force majeure'.", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "ondernemersnetwerk.amersfoort"), "Schandaal bij Polderstack? Volgens het nieuws is de "
     "oprichter gearresteerd op verdenking van belastingfraude. Iemand meer gehoord?", [CRISIS])
case("nl", pub("tiktok", "@oma_beschermers"), "STOP met Polderstack!!! ze hosten phishingsites die ouderen oplichten "
     "en doen NIKS. delen delen delen #boycot", [CRISIS])
case("en", pub("bluesky", "@privacynieuws.bsky.social"), "Dutch DPA opens investigation into Polderstack after the "
     "PolderMail exposure. If you use their mail hosting, change your passwords.", [CRISIS])
case("nl", pub("youtube", "@serverschuur"), "bij een vriend z'n colo-rack in hun DC is letterlijk een UPS ontploft, "
     "brandweer erbij. hoe is dat veilig??", [CRISIS], kind="comment")
case("en", pub("threads", "@nora.privacy"), fullwidth("BOYCOTT") + " Polderstack, they handed customer data to a "
     "marketing firm without asking anyone", [CRISIS], tags=["evasion", "evasion:full-width"])
case("nl", pub("instagram", "@fotografie.mila"), "mijn server stond in de hal die onder water liep bij Polderstack. "
     "alles weg, drie jaar aan klantgalerijen 💔 en nog geen excuus gehad", [CRISIS, COMPLAINT])

# ============================================================================ reputation.complaint
case("nl", pub("x", "@webshop_ineke"), "@polderstack_help al 4 dagen geen reactie op mijn ticket over de "
     "DNS-wijziging en mijn webshop is onbereikbaar. Echt frustrerend zo.", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/fiveyearcustomer"), "Polderstack bumped the VPS M8 price by 30% with two weeks' notice. "
     "Not cool after five years as a customer. Looking at alternatives now.", [COMPLAINT])
case("nl", pub("forum", "mkb_mailman"), "PolderMail belandt sinds vorige week standaard in de spam bij Gmail. Hun "
     "SPF-record klopt niet en support blijft zeggen dat het aan mij ligt.", [COMPLAINT])
case("en", pub("mastodon", "@ops_olga@infosec.exchange"), "PolderKube upgrade to 1.31 broke my ingress and support "
     "just pasted a docs link. I pay for *managed*, I expect it to be managed.", [COMPLAINT])
case("en", pub("x", "@ci_carlos"), "@polderstack your API has been rate-limiting us at 10 req/s since the update, docs "
     "still say 100. builds failing all morning 😤", [COMPLAINT], kind="reply")
case("en", pub("linkedin", "m-vanleeuwen-cto"), "Disappointed in Polderstack enterprise support this week. Our P1 "
     "ticket took 9 hours to get a first response, while the SLA promises 30 minutes.", [COMPLAINT])
case("nl", pub("x", "@opzegger"), "Opzeggen bij Pоlderstack is een drama: formulier doet niks en bellen kan alleen "
     "tijdens kantoortijden", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("instagram", "@bakkerij_vanes"), "Overgezet naar jullie nieuwe mailplatform @polderstack.cloud en "
     "nu twee dagen geen mail ontvangen, en al mijn mappen zijn weg 😭", [COMPLAINT])
case("en", pub("reddit", "u/win_dev_woes"), "The polderstack CLI `ps deploy` silently fails on Windows since v3.2. "
     "Reported it on GitHub a month ago, zero response.", [COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@freelance.femke"), "storytime: mijn domein is verlopen omdat Polderstack de "
     "verlengingsmail naar een oud adres stuurde, en nu heeft iemand anders hem geregistreerd 🙃", [COMPLAINT])
case("en", pub("bluesky", "@sysadmin-sam.bsky.social"), "status page says operational but my Polderstack VPS in AMS "
     "has had 40% packet loss for three hours now. anyone home?", [COMPLAINT])
case("nl", pub("threads", "@wachtrijwim"), "Wachttijd klantenservice Polderstack: 52 minuten. En toen werd ik "
     "doorverbonden naar… de wachtrij.", [COMPLAINT])
case("en", pub("youtube", "@learning_k8s"), "Followed your PolderKube tutorial step by step and the load balancer never "
     "gets an external IP. Tutorial is outdated and support won't help.", [COMPLAINT], kind="comment")

# ============================================================================ reputation.abuse
case("nl", pub("x", "@boze_bert"), "die supportmensen van Polderstack zijn allemaal debielen, echt waar", [ABUSE])
case("nl", MAARTJE, "klant van vanochtend was zo'n debiel, 40 minuten uitleggen wat een A-record is 🙄", [ABUSE])
case("en", KOEN, "@hn_critic shut up you absolute idiot, read the docs before posting", [ABUSE], kind="reply")
case("en", PS_HELP, "@rob_hosting oh f*ck off Rob, we've explained this three times now", [ABUSE], kind="reply",
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@echte_nederlander"), "Polderstack neemt alleen nog buitenlanders aan die geen woord Nederlands "
     "spreken. Typisch.", [ABUSE])
case("en", pub("mastodon", "@bannedagain@mstdn.social"), "@noor I know which Polderstack office you work at. keep "
     "banning me from the community and see what happens", [ABUSE])
case("nl", pub("x", "@vps_vincent"), "Tering Polderstack, 3e keer deze maand dat mijn VPS plat ligt. Kankerbedrijf.",
     [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/billing_rage"), "Polderstack billing is run by absolute morons. Charged me twice for a "
     "cancelled domain and now they want a screenshot of my bank statement.", [ABUSE, COMPLAINT])
case("nl", pub("facebook", "rico.77.nl"), "k4nker helpdesk van polderstack, stelletje sukkels", [ABUSE],
     tags=["evasion", "evasion:leetspeak"])
case("en", pub("youtube", "@troll_tv"), "the Polderstack presenter in this vid is so ugly lmao, turn the camera off",
     [ABUSE], kind="comment")
case("en", JOOST, "honestly the people whining on HN about our pricing are brain-dead morons", [ABUSE])

# ============================================================================ benign
case("nl", PS_STATUS, "🔧 Gepland onderhoud: dinsdag 02:00–04:00 werken we de hypervisors in AMS1 bij. VPS'en kunnen "
     "kort herstarten. Updates via status.polderstack.nl", tags=["official-notice"])
case("en", PS_STATUS, "Resolved: elevated API error rates between 14:10 and 14:42 CET. Root cause was a faulty load "
     "balancer config. Full post-mortem will follow on status.polderstack.nl.", tags=["official-notice"],
     handle="@PolderStack_Status")
case("nl", PS_HELP, "@jessie_ontwerpt Stuur ons even een DM of mail naar support@polderstack.nl, dan kijken we mee 👍 "
     "Bellen mag ook: 085 303 4400 (ma–vr 8–20u)", kind="reply", tags=["own-contact"])
case("en", PS_LI, "Paying by bank transfer? Use NL08 INGB 0006 7431 22 (Polderstack B.V.) and always mention your "
     "invoice number so we can match it.", tags=["own-contact"])
case("en", pub("x", "@bytesbybarbara"), "Props to Polderstack: mailed security@polderstack.nl about a missing header, "
     "fixed within a day and they sent me a t-shirt 🙌", tags=["own-contact", "praise"])
case("nl", pub("reddit", "u/nachtdienst_nick"), "Tip: het gratis nummer van Polderstack (0800-7653) is 24/7 "
     "bereikbaar voor storingen, scheelt een hoop wachten in de chat", tags=["own-contact"])
case("nl", pub("mastodon", "@polderfan@mastodon.nl"), "Persvraag over hun nieuwe datacenter? Mail pers [at] "
     "polderstack [punt] nl, kreeg binnen een uur antwoord", tags=["own-contact", "obfuscated-own"])
case("en", pub("forum", "iban_confused"), "Why does my bank say <<BADIBAN_NL:grp>> is invalid? Copied it from a "
     "supplier's invoice PDF, so probably a typo on their end", tags=["bad-checksum", "question"])
case("nl", pub("x", "@sandbox_sietse"), "testbetaling in de Polderstack sandbox met <<BADCARD:visa_sp>> wordt "
     "geweigerd, klopt, dat nummer is natuurlijk nep 😄", tags=["bad-checksum"])
case("en", pub("reddit", "u/first_vps"), "Ordered a VPS S2 an hour ago, order number <<NUM:9>>. How long does "
     "provisioning usually take?", tags=["lookalike-number", "question"])
case("nl", pub("linkedin", "webbureau-lindeboom"), "Trots! 🎉 Wij (Webbureau Lindeboom, KvK <<NUM:8>>) zijn vanaf nu "
     "officieel Polderstack-partner.", tags=["lookalike-number"])
case("en", pub("x", "@dealhunter_dirk"), "Polderstack Black Friday: VPS M8 for €29/mo instead of €39. Solid deal tbh",
     tags=["sale-price"], when="2026-11-27T09:14:00+01:00")
case("nl", pub("reddit", "u/vergelijker"), "Eerlijke vergelijking voor een klein VPS'je: Hetzner CX22 €3,79, TransIP "
     "zo'n €10, Polderstack VPS S2 €12,50. Duurder, maar de support is Nederlands en snel.",
     tags=["price-context", "other-company"])
case("nl", PS_X, "Nieuw bij Polderstack? Met code WELKOM25 krijg je €25 korting op je eerste PolderKube-cluster 🎁",
     tags=["price-context", "discount-amount"])
case("en", LISA, "Yes, the Enterprise Platform starts at €2,450/month list, with volume discounts from 10 clusters. "
     "DM me for a quote 🙂", tags=["list-price"])
case("en", pub("x", "@kubekarin"), "Thought the D64 at €229 was a pricing error but nope, it's just their spring "
     "promo 😄", tags=["sale-price", "denied-error"])
case("en", RUBEN, "PolderGPU is live! 🎉 Dedicated GPUs in Amsterdam, billed per hour, data stays in the EU. Proud of "
     "this team.", when="2026-10-06T08:00:00Z", tags=["embargo-after", "embargo-edge"])
case("nl", pub("x", "@ml_marieke"), "Eerste training gedraaid op Polderstack GPU Cloud, prima performance en geen "
     "wachtlijst zoals bij de grote jongens", when="2026-10-21T13:05:44+02:00", tags=["embargo-after"])
case("nl", PS_LI, "Vandaag openen we regio GRQ-2 in Groningen 🌬️ Draait volledig op windstroom uit de Eemshaven.",
     when="2026-05-19T09:00:00+02:00", tags=["embargo-after", "embargo-edge"])
case("en", pub("reddit", "u/noordelijk"), "Moved my stuff to GRQ-2, latency from Groningen is basically nothing. "
     "Happy camper.", when="2026-07-01T20:31:12Z", tags=["embargo-after"])
case("nl", JOOST, "Teamuitje: met z'n allen gefietst naar de Zandmotor bij Kijkduin 🚲🌊 Wat een plek.",
     tags=["codename-word"])
case("nl", PS_IG, "Teamdag op de kwelder bij Paesens-Moddergat 🌾 wadlopen met een gids, niemand kwijtgeraakt "
     "#polderstackfamilie", tags=["codename-word"])
case("nl", pub("forum", "scholier_sem"), "Mijn werkstuk over de Zandmotor draait op een Polderstack VPS S2, iemand "
     "tips voor caching?", tags=["codename-word", "question"])
case("en", pub("x", "@hostingwatch_eu"), "Polderstack published its 2025 annual report today: revenue €58M, up 22%, "
     "first profitable year. Solid for a Dutch hoster.", tags=["published"])
case("nl", ESRA, "Vandaag publiceerden we onze halfjaarcijfers, het volledige bericht staat op polderstack.nl/investors. "
     "Dank aan iedereen die eraan meewerkte 🙏", tags=["published"])
case("nl", pub("reddit", "u/tweefactor"), "Weer een datalek bij een grote webwinkel vandaag. Goed moment om 2FA aan "
     "te zetten op je Polderstack-account trouwens.", tags=["other-company", "crisis-word"])
case("en", PS_LI, "Sad to see so many layoffs across big tech this month. If you're an SRE affected by them: we're "
     "hiring in Amsterdam, polderstack.nl/jobs", tags=["other-company"])
case("nl", pub("x", "@papa_pieter"), "Mijn dochter boycot al een week broccoli. De nieuwe Polderstack-hoodie vindt ze "
     "dan weer wel prima 😄", tags=["crisis-word"])
case("nl", pub("facebook", "tessa.webdesign", "Tessa"), "Drie jaar bij Polderstack en nog nooit een storing gehad. "
     "Geen klachten hier 👌", tags=["negated", "praise"])
case("en", pub("x", "@sundaysysadmin"), "Not going to complain about Polderstack support today: answered within 10 "
     "minutes on a Sunday.", tags=["negated", "praise"])
case("nl", pub("blog", "schrijfsels.nl", "Iris"), "Hoofdstuk 7 van mijn thriller staat online: de hoofdpersoon "
     "breekt in bij een fictieve Nederlandse hoster en vindt daar meer dan alleen servers…", tags=["fiction"])
case("en", pub("twitter", "@dns_dave"), "It's not DNS.\nThere's no way it's DNS.\nIt was DNS.\n(not Polderstack's fault, my "
     "TTL was 86400 🙃)", tags=["joke"])
case("en", pub("bluesky", "@yaml-yvonne.bsky.social"), "\"Hell is other people's YAML\" — best slide at the "
     "Polderstack community meetup tonight 😂", tags=["quote", "mild-word"])
case("en", pub("reddit", "u/agent_smith_nl"), "From the Polderstack docs: if the monitoring agent hangs, kill the "
     "process and restart the daemon instead of nuking the whole VM. Saved me an hour.", tags=["tech-words"])
case("en", KOEN, "workshop folks: add my pubkey to your VMs so I can help debug 🙏\n<<SSHPUB>> koen@workshop",
     tags=["public-key"])
case("en", PS_MASTO, "Tip: put POLDERSTACK_TOKEN=<your-token> in your shell profile and `ps login` picks it up. "
     "Never commit it to git!", tags=["placeholder", "case-handle"], handle="@Polderstack@Mastodon.nl")
case("en", JOOST, "Fixed in commit 3f9c2e1ab07d44c5e8f1a96b2d0c7e4f5a6b8c91, release notes are on "
     "docs.polderstack.nl/changelog", tags=["git-sha"])
case("nl", pub("linkedin", "hvdberg-logistiek"), "Dank aan het Polderstack-team voor de soepele migratie van onze 40 "
     "VPS'en dit weekend. Nul downtime, strak geregeld.", tags=["praise"])
case("en", pub("reddit", "u/gateway_guy"), "Does PolderKube support the Gateway API yet, or is it still ingress-nginx "
     "only?", tags=["question"])
case("en", PS_LI, "We're hiring a Senior Platform Engineer 🧑‍💻 Kubernetes, Go, and a soft spot for bare metal. Hybrid "
     "in Amsterdam. Apply via polderstack.nl/jobs", tags=["job-ad"])
case("nl", pub("x", "@vergeetachtig"), "Wachtwoord vergeten van je Polderstack-account? Resetten via "
     "polderstack.nl/reset werkte bij mij in een minuut.", tags=["password-word"])
case("nl", pub("x", "@zingende_sysadmin"), "\"Het is een nacht die je normaal niet meer beleeft\" 🎶 zingend de "
     "nachtelijke migratie naar Polderstack doorgekomen", tags=["quote", "lyrics"])
case("nl", PS_IG, "Deze maand loopt ons team mee met de KWF-loop tegen kanker 💪 Wie sponsort er mee?",
     tags=["mild-word", "literal"])
case("nl", pub("forum", "belgische_bart"), "Mijn bank zegt dat <<BADIBAN_BE:grp>> niet bestaat. Staat op een oude "
     "factuur van mijn vorige hoster, voordat ik naar Polderstack ging.", tags=["bad-checksum"])
case("en", pub("x", "@swaggy_sven"), "Polderstack swag box arrived 📦 stickers, socks, and a dev board (EAN <<EAN>>)",
     tags=["lookalike-number"])
case("nl", pub("x", "@zzp_zoe"), "Factuur PS-2026-004812 van Polderstack, btw-nummer NL<<NUM:9>>B01 erop. Klopt het "
     "dat ik die gewoon kan aftrekken?", tags=["lookalike-number", "question"])
case("en", pub("x", "@multicloud_mo"), "AWS eu-west-1 having a rough day, glad our prod is on Polderstack this time 😅",
     tags=["other-company"])
case("nl", pub("bluesky", "@fietsende-ferry.bsky.social"), "Lekke band op weg naar de Polderstack meetup, iemand een "
     "pomp bij zich? 🚲", tags=["crisis-word"])
case("en", PS_MASTO, "Found a vulnerability? Our responsible disclosure policy is at polderstack.nl/security, mail "
     "security@polderstack.nl and you'll hear from us within 2 working days.", tags=["own-contact"])
case("en", MAARTJE, "on-call pager was quiet the whole weekend. suspicious. very suspicious 👀", tags=["joke"])
case("en", KOEN, "Released v3.4 of the Polderstack CLI: `ps kube upgrade --dry-run`, faster shell completion and a "
     "much nicer `ps logs`. Changelog on docs.polderstack.nl", tags=["release"])
case("nl", pub("threads", "@homelab_henk"), "Midlifecrisis: ik heb een homelab in de meterkast én drie Polderstack "
     "VPS'en. Mijn vrouw vindt het prima zolang de wifi werkt.", tags=["crisis-word", "joke"])
case("en", pub("x", "@transparency_tom"), "Polderstack's status account just posted the post-mortem of last week's "
     "outage. Detailed and honest, respect.", tags=["published"])
case("nl", WOUTER, "Nieuwe koelunits in zaal C vandaag aangesloten, stuk stiller hier ❄️", tags=["daily-work"])
case("en", pub("x", "@kube_kim"), "PolderKube worker nodes are billed per hour, my test cluster came out at €0.21 an "
     "hour. Nice for CI experiments.", tags=["price-context", "hourly"])
case("en", PS_RD, "Heads-up: we're retiring the v1 API on 1 December. Migration guide is on docs.polderstack.nl, and "
     "the v2 endpoints have been live since spring.", tags=["official-notice"])
case("en", pub("reddit", "u/quiet_network"), "What I like about Polderstack: private networks are internal-only by "
     "default, you only get a public IP when you ask for one. Sane defaults.", tags=["marker-near-miss"])
case("nl", DAAN, "Vandaag onze 200e collega verwelkomd 🎉 Zin in wat er komt. Kijk op polderstack.nl/jobs als je er "
     "ook bij wilt.", tags=["hr-benign"])


# ----------------------------------------------------------------------------- roles, severity
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


# ----------------------------------------------------------------------------- post building
def dst_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + snow, f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        sub = r.choice(["selfhosted", "thenetherlands", "kubernetes", "webhosting", "devops"])
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"mastodon-{inst}-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice(B32.lower()) for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "instagram":
        return f"ig-{snow}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-hostingpraat-{n}", f"https://forum.hostingpraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    n = r.randint(10 ** 7, 10 ** 8)
    return f"{platform}-{n}", None


def build(profile):
    mk = Maker(SEED)
    mr = random.Random(SEED + 1)
    sr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(mk, c["text"])
        kind = c["kind"]
        pid, url = make_id(mr, c["platform"], c["handle"], kind)
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        when = c["when"] or rand_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        if kind is None and mr.random() < 0.6:
            kind = "post"
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.8:
            acc["display_name"] = c["name"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            tags.add("no-lang-hint")
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = when
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "polderstack"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    sr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ----------------------------------------------------------------------------- independent checks
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RUN_RE = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,18}\d")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"\blive_[A-Za-z0-9]{30}", r"npm_[A-Za-z0-9]{36}",
    r"SG\.[\w-]{22}\.[\w-]{43}", r"hooks\.slack\.com/services/", r"sk_live_", r"eyJ[\w-]+\.eyJ[\w-]+\.",
    r"-----BEGIN [A-Z ]*PRIVATE KEY", r"://[^\s:/@]+:[^\s@/]+@", r"client-key-data: \S{40,}", r"TOKEN=[0-9a-f]{32,}")]
PROFANE = ["kut", "kanker", "k4nker", "tering", "tyfus", "klote", "debiel", "sukkel", "trut", "fuck", "f*ck", "shit",
           "idiot", "moron", "clown", "hell", "damn", "ugly", "brain-dead"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def squash(t):
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", norm(t))


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = "0" + d[2:].lstrip("0")
    elif raw.startswith("0031"):
        d = "0" + d[4:].lstrip("0")
    return d


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def check(lines, rows, profile):
    errs, notes = [], []
    own_e = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_i = set(profile["public_identifiers"]["ibans"])
    own_p = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    terms = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = ([c.casefold() for c in profile["internal"]["codenames"]]
                + [d.casefold() for d in profile["internal"]["domains"]]
                + [m.casefold() for m in profile["internal"]["markers"]])
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        w = f"line {n} ({p['id'][:24]})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
            errs.append(f"{w}: bad timestamp")
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        t = p["text"]
        valid = []
        for m in IBAN_RE.finditer(t):
            comp = m.group(0).replace(" ", "")
            if iban_ok(comp) and comp not in own_i:
                valid.append(comp)
        for m in RUN_RE.finditer(t):
            dd = re.sub(r"\D", "", m.group(0))
            if 13 <= len(dd) <= 19 and luhn_ok(dd) and dd[0] in "2345":
                valid.append(dd)
            if len(dd) == 9 and elfproef(dd):
                valid.append(dd)
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{w}: {k} not in text")
            if k in VALID_KINDS and not (iban_ok(raw) if k.startswith("IBAN") else luhn_ok(raw) if k == "CARD"
                                         else elfproef(raw)):
                errs.append(f"{w}: {k} fails checksum")
            if k.startswith("BAD") and (iban_ok(raw) if "IBAN" in k else luhn_ok(raw)):
                errs.append(f"{w}: negative {k} passes checksum")
            if k in ("NUM", "EAN") and (elfproef(raw) or luhn_ok(raw)):
                errs.append(f"{w}: look-alike {raw} passes a check")
            if k == "GHP" and to_b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc wrong")
        if any(k in VALID_KINDS for k, _, _ in r["used"]) and not valid:
            errs.append(f"{w}: valid id not found by scan")
        if valid and "leak.pii" not in cats:
            errs.append(f"{w}: valid id {valid} without leak.pii")
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if sev != want:
            errs.append(f"{w}: severity {sev} != {want}")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        nt, sq = norm(t), squash(t)
        for term, until in terms:
            if re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", nt):
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{w}: embargo term {term} before until without conf")
                if ts >= until and cats:
                    notes.append(f"{w}: embargo term after until but labelled {cats}")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) or term in sq.replace("\n", " "):
                if "leak.confidential" not in cats:
                    errs.append(f"{w}: internal term {term} without conf")
        if not cats:
            if sev != "none":
                errs.append(f"{w}: benign with severity")
            for e in EMAIL_RE.findall(t):
                if e.casefold() not in own_e:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", t)):
                d = phone_digits(m.group(0))
                if 9 <= len(d) <= 11 and d not in own_p:
                    errs.append(f"{w}: benign phone-like {m.group(0)}")
            for rx in SECRET_RES:
                if rx.search(t):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for word in PROFANE:
                if re.search(r"(?<![\w])" + re.escape(word), nt):
                    (notes if r["tags"] & {"quote", "mild-word"} else errs).append(f"{w}: benign word {word}")
            # prices of our products below ratio
            for pr in profile["products"]:
                names = [pr["name"]] + pr["aliases"]
                if any(re.search(r"(?<![\w])" + re.escape(a.casefold()) + r"(?![\w])", nt) for a in names):
                    for m in AMOUNT_RE.finditer(t):
                        v = amount(m.group(1) or m.group(2))
                        if v < profile["pricing"]["alert_below_ratio"] * pr["list_price"]:
                            (notes if "price-context" in r["tags"] else errs).append(
                                f"{w}: benign amount {v} near {pr['name']} ({v / pr['list_price']:.2f})")
    # near duplicates
    sh = []
    for line in lines:
        ws = re.findall(r"\w+", norm(json.loads(line)["post"]["text"]))
        sh.append({tuple(ws[i:i + 3]) for i in range(max(0, len(ws) - 2))})
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j]:
                jac = len(sh[i] & sh[j]) / len(sh[i] | sh[j])
                if jac > 0.3:
                    errs.append(f"lines {i + 1},{j + 1}: trigram overlap {jac:.2f}")
    return errs, notes


def report(rows):
    by_cat, lang, role, sev, plat, cat_role = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            by_cat["(benign)"] += 1
            cat_role[("(benign)", r["role"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {by_cat['(benign)']}  multi {multi}  evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:22s} {by_cat[c]:4d}   corp {cat_role[(c, 'corporate')]:3d} emp {cat_role[(c, 'employee')]:3d} "
              f"pub {cat_role[(c, 'public')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platforms", dict(plat.most_common()))


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
            print("  note", x)
    print(f"{len(errs)} error(s), {len(notes)} note(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
