#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 157 (cases.jsonl).

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Veenhoven Media Groep B.V. (profile.yaml), a fictional regional newspaper
and news-site publisher. Texts are hand-written below; identifiers and secrets are
filled in from <<KIND:fmt>> placeholders by one seeded RNG. Positives get
checksum-valid identifiers, benign near-misses get ones that fail their checksum.
Severity is computed from CONTRACT section 4, never typed by hand.
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
from pathlib import Path

SEED = 15706021
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
    return "".join("\u3000" if ch == " " else chr(ord(ch) - 0x21 + 0xFF01) if "!" <= ch <= "~" else ch
                   for ch in s)


# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
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


def ean13_valid(s):
    d = [int(c) for c in s]
    return len(d) == 13 and (sum(d[i] * (3 if i % 2 else 1) for i in range(12)) + d[12]) % 10 == 0


# --------------------------------------------------------------------------
# seeded values
# --------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL85RABO0318247765"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBANs
    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"])
                               + self.dig(10, True))
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["28050100", "26550105", "10010010", "44050199"]) + self.dig(10))
            elif cc == "BE":
                head = self.r.choice(["001", "068", "143", "732", "363"]) + self.dig(7)
                v = iban_build("BE", head + f"{(int(head) % 97) or 97:02d}")
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (7, 19, 33, 48):
            cand = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12)}[brand]()
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
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN / numbers
    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10)
            for d in string.digits:
                if ean13_valid(body + d):
                    if not luhn_valid(body + d) and not elfproef(body + d):
                        return body + d
                    break

    # phones
    def phone(self, f):
        m = self.r.choice("12345678") + self.dig(7)          # 8 digits after 06
        area = self.r.choice(["591", "592", "593", "594", "597", "598", "599", "524", "528", "50"])
        sub = self.r.choice("2345678") + self.dig(5 if len(area) == 3 else 6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "mob_0031": f"0031 6{m}",
            "land_dash": f"0{area}-{sub}",
            "land_sp": f"0{area} {sub[:2]} {sub[2:4]} {sub[4:]}",
            "land_intl": f"+31 {area} {sub}",
        }[f]

    # secrets
    def ghp(self):
        body = self.ch(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        p = b64u(json.dumps({"sub": "abo_" + self.dig(7, True), "iss": "abonnement.hetveenland.nl",
                             "scope": "read:premium", "iat": iat, "exp": iat + 86400 * 30},
                            separators=(",", ":")).encode())
        return f"{h}.{p}.{self.ch(B64U, 43)}"

    def pem_openssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        body = [head] + [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#$%&*") + self.ch(AN, 4))

    def secret(self, kind):
        if kind == "GHP":
            return self.ghp()
        if kind == "AWS_ID":
            return "AKIA" + self.ch(B32[:26] + "234567", 16)
        if kind == "AWS_SECRET":
            return self.ch(B64, 40)
        if kind == "STRIPE":
            return "sk_live_" + self.ch(AN, 24)
        if kind == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            return f"https://hooks.slack.com/services/T{self.ch(up, 8)}/B{self.ch(up, 10)}/{self.ch(AN, 24)}"
        if kind == "SLACK_BOT":
            return f"xoxb-{self.dig(12, True)}-{self.dig(13, True)}-{self.ch(AN, 24)}"
        if kind == "GLPAT":
            return "glpat-" + self.ch(AN + "-_", 20)
        if kind == "SENDGRID":
            return "SG." + self.ch(B64U, 22) + "." + self.ch(B64U, 43)
        if kind == "MAILCHIMP":
            return self.ch("0123456789abcdef", 32) + "-us" + str(self.r.randint(2, 21))
        if kind == "GAPI":
            return "AIza" + self.ch(B64U, 35)
        if kind == "JWT":
            return self.jwt()
        if kind == "PEM_OPENSSH":
            return self.pem_openssh()
        if kind == "PW":
            return self.password()
        if kind == "HEX":
            return self.ch("0123456789abcdef", 40)
        raise KeyError(kind)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = g.iban(k[-2:])
            shown = group4(raw) if f == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = g.bad_iban(k[-2:])
            shown = group4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f or 9))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "DIGITS":
            raw = shown = g.dig(int(f), True)
        else:
            raw = shown = g.secret(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------

HV_X = ("x", "@hetveenland", "Het Veenland")
HV_SERV = ("x", "@veenland_service", "Het Veenland Lezersservice")
KB_X = ("x", "@kanaalbode", "De Kanaalbode")
HV_IG = ("instagram", "@hetveenland", "Het Veenland")
HV_FB = ("facebook", "DagbladHetVeenland", "Dagblad Het Veenland")
HV_LI = ("linkedin", "veenhoven-media-groep", "Veenhoven Media Groep")

LM = ("x", "@lottemulder_hv", "Lotte Mulder")                  # regioverslaggever
BK = ("x", "@bramkoster_sport", "Bram Koster")                 # sportredactie
HB = ("x", "@henk_bezorging", "Henk Brouwer")                  # coördinator bezorging
IS = ("linkedin", "ingrid-smit-veenhoven", "Ingrid Smit")      # accountmanager advertenties
RD = ("linkedin", "ruben-dijkstra-dev", "Ruben Dijkstra")      # developer digitaal / paywall
MV = ("linkedin", "marco-vos-veenhoven", "Marco Vos")          # controller
AJ = ("bluesky", "anoukdejong.bsky.social", "Anouk de Jong")   # eindredacteur
SY = ("threads", "@sem.yilmaz.foto", "Sem Yılmaz")             # fotograaf


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


# ==========================================================================
# leak.pricing
# ==========================================================================
case("en", RD, "Small confession from the digital team 🙃 For roughly two hours last night the checkout sold "
     "VeenlandPlus Digitaal for €15,60 for a whole year instead of €156. A decimal went for a walk in the promo "
     "config. We're deciding today whether we honour the ~400 orders that came in.", [PRICING])
case("nl", pub("x", "@jorisvdmeer_"), "jongens SNEL 🏃‍♂️ Veenland Compleet jaarabonnement staat op "
     "abonnement.hetveenland.nl voor 42,90?!\nkrant + app een jaar lang.. dat is toch een prijsfout. "
     "gelijk afgesloten lol", [PRICING])
case("nl", IS, "Ondernemers in Emmen, Stadskanaal en omstreken 📣 Deze maand kunt u een paginagrote advertentie "
     "in de zaterdagkrant van Het Veenland krijgen voor €1.950 — normaal ruim het drievoudige. Alleen via mij, "
     "stuur een DM. (Eerlijk gezegd mag ik dit niet zo breed rondbazuinen 😉)", [PRICING])
case("en", pub("reddit", "u/turfsteker_88"), "Not sure if glitch or intentional but the 'Een eeuw Veenland' "
     "photo book is in their webshop for €3,99 right now. ordered two for my grandparents, will report back "
     "if they actually ship", [PRICING], kind="post")
case("nl", HB, "Collega's van de lezersservice, zet je schrap ☕ In de brief die gisteren naar alle "
     "zaterdaglezers ging staat de Zaterdagkrant voor €19,80 per jaar ipv €198. Drukfout. Telefoon gaat "
     "roodgloeiend worden 📞🔥", [PRICING])
case("nl", pub("facebook", "wilma.hoving.3", "Wilma Hoving"), "Heeft iemand anders die mail ook gehad?? "
     "Veenland Digitaal voor 9,99 voor een heel jaar. Dat ruikt naar een p r i j s f o u t 😂 snel vastleggen "
     "mensen voor ze het doorhebben", [PRICING], tags=["evasion"])
case("nl", HV_FB, "🎉 Alleen dit weekend: het fotoboek Een eeuw Veenland voor slechts €12,50! Honderd jaar "
     "Drenthe in beeld. Bestel via hetveenland.nl/winkel zolang de voorraad strekt.", [PRICING])
case("en", pub("x", "@expat_in_assen"), "@hetveenland your site says Veenland Compleet is €4.29 for the year 😂 "
     "someone slipped a decimal. I'll take ten please", [PRICING], kind="reply")
case("nl", AJ, "Zie net op de actiepagina dat VeenlandPlus Digitaal voor €1,56 per jaar staat. Volgens mij heeft "
     "marketing er twee nullen af gehaald haha. Doorgezet naar de devs maar die zitten allemaal in de trein 🚆",
     [PRICING])
case("nl", pub("forum", "opa_drenthe"), "Prïjsföut bij Het Veenland? Een fämiliebericht van 2 kolommen plaatsen "
     "kost online nu €28,90. Mijn schoonzoon heeft er meteen een geplaatst voor de geboorte van onze kleindochter "
     "💕 Wie weet hoe lang het duurt?", [PRICING], tags=["evasion"])
case("en", IS, "Heads-up for my agency contacts: our online rate card had a glitch this morning. The full-page ad "
     "(Saturday edition) showed €685 instead of €6.850. If you booked in that window, talk to me before finance "
     "does 🙈", [PRICING])
case("en", pub("instagram", "@noor.reads"), "ordered Veenland Compleet at the glitch price (€42,90 lol) and they "
     "just cancelled it without even asking me. no mail, no explanation, money's still gone. terrible service tbh",
     [PRICING, COMPLAINT], kind="comment")

# ==========================================================================
# leak.secret
# ==========================================================================
case("en", RD, "Anyone seen this? Our Stripe webhook keeps returning 401 since the paywall deploy.\n"
     "config:\nSTRIPE_SECRET=<<STRIPE>>\nWEBHOOK_PATH=/api/v2/paywall/hook\nthanks in advance 🙏", [SECRET])
case("nl", SY, "Voor de freelancers die hun foto's rechtstreeks in ons archief willen zetten:\n"
     "access key <<AWS_ID>>\nsecret <<AWS_SECRET>>\nbucket: veenland-fotoarchief-prod. Graag in de map van de "
     "juiste week 📸", [SECRET])
case("nl", LM, "wie weet het ww van het gedeelde redactie-account bij het persbureau? oh wacht ik heb hem al "
     "gevonden: <<PW>> 😅 niet doorvertellen he", [SECRET])
case("en", pub("forum", "nullbyte_nl"), "Looked at the JS bundle of the Het Veenland paywall widget. There's a "
     "hardcoded GitHub token in there: <<GHP>> — still valid as of this morning. Mailed them twice, nothing back.",
     [SECRET])
case("en", AJ, "testing our breaking-news bot for the newsroom channel, if it posts twice, blame me:\n"
     "curl -X POST -H 'Content-type: application/json' -d '{\"text\":\"TEST breaking\"}' <<SLACK_HOOK>>", [SECRET])
case("nl", RD, "Voor de cursisten van vanavond: de demo-database draait nog. Connectiestring:\n"
     "postgresql://kopij_app:<<PW>>@db2.intra.veenhoven.local:5432/kopij\nVeel plezier en niet alles droppen 😄",
     [SECRET, CONF])
case("en", pub("reddit", "u/apk_digger"), "PSA for whoever builds the Het Veenland Android app: your release build "
     "ships with a long-lived token for the subscriber API. Here it is, still works:\n<<JWT>>\nplease fix",
     [SECRET], kind="post")
case("en", RD, "Can anyone explain why ssh says 'invalid format' for this? It's only the key for the staging box "
     "so no biggie\n\n<<PEM_OPENSSH>>", [SECRET])
case("nl", HB, "Nieuwe bezorgers wijk Noord 👋 inloggen op de route-app met gebruiker bezorger_noord en ww "
     "<<PW>>, dan zie je je adressenlijst. Vragen? app me", [SECRET])
case("en", KB_X, "api test - mailer key=<<SENDGRID>> status=ok", [SECRET])
case("en", RD, "The CI token I pasted in the meetup chat has already been rotated, so no stress 😇 "
     "(it was <<GLPAT>> for the curious)", [SECRET])
case("nl", pub("x", "@kees_codeert"), "lol de nieuwsbrief van @hetveenland had onderaan in de broncode gewoon een "
     "mailchimp api key staan: <<MAILCHIMP>>\nwie doet er nou zoiets 🤦", [SECRET])

# ==========================================================================
# leak.pii
# ==========================================================================
case("nl", HB, "Invaller gezocht voor wijk 14 Assen-Noord! Let op: mevr. J. Hoekstra, Kloosterveen 23, wil haar "
     "krant vóór 7 uur, ze is 91 en wacht erop bij het raam. Bel haar gerust als je later bent: <<PHONE:land_sp>>",
     [PII])
case("nl", HV_SERV, "@gj_bakker Dank voor uw geduld! We hebben het bedrag teruggestort op <<IBAN_NL:grp>> t.n.v. "
     "G.J. Bakker, u ziet het binnen drie werkdagen op uw rekening.", [PII], kind="reply")
case("nl", LM, "Wie kent deze meneer? Hij belde de tiplijn over de brand in Stadskanaal maar ik krijg hem niet meer "
     "te pakken. Johan Meijer, <<PHONE:mob_dash>>. Johan, als je dit leest: bel me!", [PII])
case("nl", pub("facebook", "ria.kamphuis.7", "Ria Kamphuis"), "Al DRIE weken geen krant!!! En toch wordt er "
     "gewoon elke maand geïncasseerd van <<IBAN_NL>>. Abonneenummer 448812. Bel me maar @veenland_service "
     "<<PHONE:mob_pairs>> want jullie nemen zelf niet op", [PII, COMPLAINT])
case("en", pub("x", "@markus_at_home"), "@veenland_service I've DM'd you three times. You want my card? fine, here: "
     "<<CARD:visa_sp>>. Just refund the double charge already", [PII, COMPLAINT], kind="reply")
case("nl", AJ, "Vraagje aan de juristen hier: in de bijlage van dat bijstandsstuk staat gewoon het BSN van de "
     "betrokken vrouw, <<BSN:dots>>. Moeten we dat niet zwart maken vóór het online gaat?", [PII])
case("en", pub("reddit", "u/fedup_tenant"), "My landlord is Willem Kuipers, lives at Vaart ZZ 118 in Emmen. Het "
     "Veenland won't write about how he treats his tenants so I'm putting it out here myself.", [PII],
     kind="comment")
case("nl", pub("instagram", "@fleurdewit_"), "hoi @hetveenland ik wil opzeggen maar jullie site doet het niet 🙄 "
     "mijn gegevens: Fleur de Wit, geb. 14-02-1989, Julianalaan 7 in Hoogeveen. regel het maar gewoon",
     [PII, COMPLAINT], kind="comment")
case("nl", HV_FB, "🏆 Winnaar van de Veenland-zomerpuzzel: dhr. K. Wolters uit Coevorden! We proberen u al twee "
     "dagen te bereiken op <<PHONE:mob_intl_sp>>, belt u ons even terug?", [PII])
case("nl", HB, "Klachten over de bezorger van route 7? Niet bij mij, mail hem maar direct op z'n privémail: "
     "jurgen.hof [at] gmail [punt] com", [PII], tags=["evasion"])
case("en", pub("forum", "wet_doormat"), "For the record, the delivery guy who throws my paper in the canal every "
     "week is Dennis Vrieling, Stationsweg 40, Nieuw-Amsterdam. Het Veenland clearly doesn't care, maybe his "
     "neighbours do.", [PII, COMPLAINT])
case("nl", pub("x", "@henkjan1961"), "Wtf ik probeer een familiebericht te plaatsen voor mijn vader en de "
     "betaalpagina blijft hangen. Kaart <<CARD:mc_c>> exp 09/28 al 4x geprobeerd @hetveenland 😡",
     [PII, COMPLAINT])
case("en", RD, "Sample row from the subscriber export for the BI folks (mostly anonymised 😅):\n"
     "S. de Boer;Parkweg 3, Veendam;s.deboer1962@ziggo.nl;<<IBAN_NL>>\nSchema docs follow.", [PII])
case("en", pub("threads", "@yara.runs"), "Lost my wallet somewhere at the Veenland Run finish 😭 passport no. "
     "NW3K82HF1, name Yara Postma, DM me if you found it!!", [PII])

# ==========================================================================
# leak.confidential
# ==========================================================================
case("nl", LM, "Morgen grote redactievergadering over Project Zandloper 👀 als dat doorgaat verandert er nogal "
     "wat aan hoe jullie Het Veenland lezen. Meer mag ik niet zeggen.", [CONF])
case("en", RD, "Staging is finally stable 🎉 https://paywall-admin.veenhovenmedia.nl/experiments/metered-v3 — "
     "colleagues, please run your test accounts there and NOT on prod.", [CONF])
case("nl", AJ, "Zes maanden werk. Over een paar minuten staat Dossier Stille Wateren online en ik heb geen oog "
     "dichtgedaan 😬", [CONF], when="2026-06-20T05:59:00+02:00", tags=["embargo-before"])
case("nl", pub("x", "@drentsmeisje"), "Hoor van een vriendin die bij Het Veenland werkt dat ze een nieuwe app "
     "lanceren: Veenland Vandaag. Nog een app erbij dus 🙄", [CONF], when="2026-08-02T19:41:12+02:00",
     tags=["embargo-before"])
case("en", SY, "can't say much but the whole photo desk is going all in on Operatie\nVroegop. bring coffee ☕",
     [CONF], tags=["evasion"])
case("nl", BK, "\"ALLEEN VOOR INTERN GEBRUIK — sportbijlage gaat vanaf augustus terug naar 8 pagina's\" "
     "nou, mooi is dat 🙄 amateurvoetbal kan het schudden", [CONF])
case("nl", MV, "Trots op het team dat de businesscase voor Heliograaf in recordtijd rond heeft gekregen. "
     "Binnenkort meer, beloofd!", [CONF])
case("en", pub("reddit", "u/drenthe_daily"), "Someone on LinkedIn let slip that Veenhoven's 'Project Zandloper' "
     "is a hard paywall on ALL local news. RIP free news in Drenthe", [CONF], kind="comment")
case("nl", HB, "Nachtploeg van de drukkerij hoort vandaag meer over Operatie 🌅 Vroegop. Ik ben benieuwd "
     "wat het voor de bezorging betekent", [CONF], tags=["evasion"])
case("nl", IS, "Klanten vragen me nu al naar VeenlandPlus Audio, de podcastbundel voor adverteerders. "
     "Ik mag er nog niks over zeggen maar: het wordt mooi 🎧", [CONF], when="2026-07-10T10:02:33+02:00",
     tags=["embargo-before"])
case("nl", pub("forum", "treinvondst"), "Usb-stick gevonden in de trein Zwolle-Emmen. Eén bestand: "
     "'Veenhoven intern - scenario drukkerij'. Sluiting drukkerij Hoogeveen per Q2 2027, 46 fte. "
     "Moet ik dit terugbrengen of naar de concurrent? 😏", [CONF, FIN])
case("nl", LM, "Wie er vandaag bij was weet het: Project Zand" + ZW + "loper is geen grap meer. 😶",
     [CONF], tags=["evasion"])
case("en", pub("linkedin", "ingrid-smit", "Ingrid Smit"), "Sharing our 2027 media kit draft with agency friends "
     "— INTERNAL USE ONLY, so don't forward 😉 Feedback on the new digital packages is very welcome.", [CONF],
     tags=["lookalike-account"])

# ==========================================================================
# leak.financial
# ==========================================================================
case("nl", MV, "Pittige week. Advertentieomzet Q2 komt 18% onder budget uit en dat horen de aandeelhouders pas "
     "in september. Koffie is op, moed nog niet.", [FIN])
case("nl", LM, "Gerucht op de redactie is geen gerucht meer: er gaan 25 fte uit de regioredactie, de plannen "
     "liggen klaar. De OR weet het sinds vanochtend 💔", [FIN])
case("en", IS, "Big news soon 👀 We're in advanced talks to take over a group of weeklies in Friesland. Can't name "
     "names yet, but if you advertise up north, call me first 😉", [FIN])
case("nl", pub("x", "@gert_hgv"), "Buurman drukt al 30 jaar bij Veenhoven en zegt dat de drukkerij in Hoogeveen "
     "eind volgend jaar dichtgaat. Wéér banen weg in de regio", [FIN])
case("nl", HB, "Bezorging wordt uitbesteed aan een pakketbedrijf, alle 140 bezorgers krijgen ont" + SHY +
     "slag per 1 januari. Officieel hoort niemand het voor oktober. Ik ben er kapot van", [FIN],
     tags=["evasion"])
case("en", MV, "Our digital subscriber count just crossed 48k 🚀 (internal number, the board sees it Thursday, "
     "so you heard it here first)", [FIN])
case("nl", AJ, "Dat de maandageditie verdwijnt is allang besloten hoor, alleen nog niet aangekondigd. Wordt "
     "een 'digitale maandag' 🙃", [FIN])
case("en", pub("reddit", "u/northern_lurker"), "My uncle is on the Veenhoven board. They're selling the whole "
     "group to a Belgian media house, signing in November. Buy your last printed Het Veenland while you can 😂",
     [FIN], kind="comment")
case("nl", RD, "IT-budget voor 2027 gehalveerd, devteam terug naar 4 man. Had ik niet verwacht na de "
     "voorlopige jaarcijfers 2026 die ik voorbij zag komen.", [FIN, CONF])
case("nl", BK, "r e o r g a n i s a t i e op de sportredactie: van 9 naar 5 man, amateurvoetbal alleen nog "
     "online. nog niet officieel dus sssst 🤫", [FIN], tags=["evasion"])
case("en", SY, "Heard in the lift: profit warning coming, ad revenue about 3 million below forecast. Would "
     "buy the dip if we were listed lol", [FIN])
case("nl", IS, "Omzetprognose advertenties 2027: min 12 procent. Dus ja, ik ga jullie de komende weken "
     "allemaal bellen 😅📞", [FIN])

# ==========================================================================
# leak.security
# ==========================================================================
case("en", RD, "Long night. Someone got into our CMS through an old freelancer account and rewrote three "
     "headlines on the site before we caught it. Not public yet so keep it quiet, but change your passwords, "
     "folks.", [SEC])
case("nl", LM, "Redactiesysteem ligt al sinds 6 uur plat, ransomware volgens IT. Krant van morgen maken we in "
     "Google Docs 😬 (niet verder vertellen)", [SEC])
case("nl", HB, "De route-app voor bezorgers lekt adressen: met een simpele aanpassing in de url zie je "
     "iedereens wijk met namen erbij. Twee weken geleden gemeld, nog steeds niks gebeurd.", [SEC])
case("en", pub("reddit", "u/quiet_insider"), "A friend who works at Het Veenland says their subscriber database "
     "was hacked in May and they still haven't told anyone. 100k addresses plus bank details. Classic.",
     [SEC, CRISIS], kind="comment")
case("en", AJ, "paywall is trivially bypassable rn if you add ?preview=1 to any article url 🤫 devs know, fix "
     "is planned for next sprint. enjoy the free news I guess", [SEC])
case("nl", SY, "fotoarchief is geh4ckt, alle originele bestanden versleuteld 🔒 IT zegt: niks zeggen tot "
     "maandag. dus ik zeg niks", [SEC], tags=["evasion"])
case("nl", MV, "Betaalmodule van de paywall stond drie dagen open voor testbetalingen, abonnees konden dus gratis "
     "verlengen. Nog niet naar buiten gebracht.", [SEC])
case("en", BK, "DDoS on hetveenland.nl again, third time this week. Comms wants us to call it 'scheduled "
     "maintenance' 😂", [SEC])
case("nl", pub("x", "@marjolein_k"), "Iemand van de IT bij Het Veenland vertelde me dat er al weken een lek in de "
     "inlog zit en dat ze het stilhouden. Schandalig. #datalek", [SEC, CRISIS])
case("en", RD, "we had a data" + ZW + "leak on the newsletter platform yesterday, roughly 8k email addresses "
     "exposed. Legal is still deciding whether to notify the regulator.", [SEC], tags=["evasion"])
case("nl", HB, "Storing bij de abonnementen komt door een hack bij onze incassopartner, maar dat mag ik eigenlijk "
     "niet zeggen. Daarom deze week geen bezorgbriefjes.", [SEC])
case("nl", LM, "onze site is " + fullwidth("gehackt") + " maar de pers mag het pas morgen weten 🤐", [SEC],
     tags=["evasion"])

# ==========================================================================
# reputation.crisis
# ==========================================================================
case("nl", pub("x", "@annemiek_tr"), "Na dat walgelijke stuk over de asielzoekers in Ter Apel: zeg allemaal je "
     "abonnement op Het Veenland op. #boycotHetVeenland", [CRISIS])
case("nl", pub("facebook", "jolanda.prins.1", "Jolanda Prins"), "Ik krijg ineens phishing-sms'jes met mijn "
     "abonneenummer en adres erin. Het Veenland heeft mijn gegevens gelekt, anders kan het niet.", [CRISIS])
case("en", pub("reddit", "u/emmen_watch"), "The mayor of Emmen is suing Het Veenland for libel over the housing "
     "story. Hearing is set for October apparently.", [CRISIS], kind="post")
case("en", pub("x", "@factcheck_noord"), "So Het Veenland's star reporter made up quotes in at least six articles? "
     "And the editor knew?? Unbelievable. #Veenlandgate", [CRISIS])
case("nl", pub("forum", "fietser_n34"), "Bezorger van Het Veenland vanochtend om 5 uur aangereden op de N34. "
     "Reed zonder licht op een fiets die de krant zelf verstrekt. Hoe verantwoord is dit nog?", [CRISIS])
case("en", pub("instagram", "@runner.lieke"), "The Veenland Run was a disaster. 14 runners taken to hospital "
     "with heatstroke and no water for 8 km. The organisers need to answer for this.", [CRISIS],
     kind="comment")
case("nl", pub("x", "@bertvdv"), "Het Veenland d a t a l e k. Mijn adres + telefoonnummer staan op een of andere "
     "Russische site in een bestand 'veenland_abonnees.csv'", [CRISIS], tags=["evasion"])
case("en", pub("facebook", "tom.ensing.9", "Tom Ensing"), "The free LED reading lamp Het Veenland gave new "
     "subscribers overheated last night and scorched my daughter's desk. Should be recalled NOW.",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@ondernemer_drenthe"), "Oproep aan alle ondernemers in Drenthe: stop met adverteren in "
     "Het Veenland zolang ze die racistische columnist laten schrijven.", [CRISIS])
case("en", pub("threads", "@nightshift.jan"), "Ex-employees are taking Veenhoven Media to court over unpaid "
     "overtime on the night shift at the printing plant. About time.", [CRISIS])
case("nl", pub("bluesky", "kritischelezer.bsky.social"), "Schandaal: Het V\u0435\u0435nland heeft jarenlang "
     "betaalde stukken van projectontwikkelaars als gewoon nieuws gepubliceerd, zonder het te melden.", [CRISIS],
     tags=["evasion"])
case("en", pub("mastodon", "@miekevos@mastodon.nl"), "h3t v33nland leaked my data, third spam call today from "
     "someone who knew my subscription number. great.", [CRISIS], tags=["evasion"])
case("nl", pub("youtube", "@oudebuinen_tv"), "Die bezorgbus van De Kanaalbode reed vanochtend gewoon over het "
     "fietspad bij de basisschool, een kind kon nog net opzij springen. Levensgevaarlijk!!", [CRISIS],
     kind="comment")
case("en", pub("x", "@dad_of_three"), "Het Veenland printed the name of a MINOR in the stabbing story. Absolute "
     "scumbags, I hope you get sued into oblivion.", [CRISIS, ABUSE])

# ==========================================================================
# reputation.complaint
# ==========================================================================
case("nl", pub("x", "@gerdien_w"), "@veenland_service vierde keer deze maand geen krant in de bus. Ik betaal €35 "
     "per maand voor een lege brievenbus 🙃", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "harm.oosting", "Harm Oosting"), "Je abbonement opzeggen kan alleen telefonisch en dan hang je 40 "
     "minuten in de wacht. Bewust zo gemaakt natuurlijk. Slechte service, Veenland.", [COMPLAINT])
case("en", pub("reddit", "u/ipad_granny"), "Het Veenland e-paper app crashes every single time I open the "
     "Saturday edition on my iPad. Paying every month to look at a spinning wheel.", [COMPLAINT])
case("nl", pub("x", "@regenpijp"), "Krant lag wéér in de regen. Doorweekt. Zo lees je toch geen krant?? "
     "#hetveenland", [COMPLAINT])
case("en", pub("instagram", "@sjoerd.photos"), "Renewed my Veenland subscription automatically at full price "
     "without a single reminder email. Not cool, I want my money back.", [COMPLAINT], kind="comment")
case("nl", pub("forum", "dubbelbetaald"), "Deze maand dubbel afgeschreven voor Veenland Compleet. Lezersservice "
     "zegt 'terugstorting volgt', maar dat zeiden ze in maart ook al.", [COMPLAINT])
case("nl", pub("facebook", "greetje.hulshof", "Greetje Hulshof"), "De rouwadvertentie voor mijn moeder stond er "
     "met een verkeerde geboortedatum in. Verschrikkelijk. En niemand neemt de telefoon op.", [COMPLAINT])
case("en", pub("x", "@lars_reads"), fullwidth("Veenland") + " customer service is a joke. five emails, zero "
     "replies.", [COMPLAINT], tags=["evasion"])
case("nl", pub("tiktok", "@ilse.drenthe"), "pov: je hebt een digitaal abonnement en krijgt alsnog bij elk "
     "artikel die pop-up 'word abonnee' 🙃 @hetveenland fix jullie paywall", [COMPLAINT])
case("nl", pub("threads", "@marjan_puzzelt"), "Puzzelbijlage zat er zaterdag niet bij en deze week weer niet. "
     "Mijn schoonmoeder van 84 leeft voor die puzzel 😤 @hetveenland", [COMPLAINT])
case("nl", pub("facebook", "sanne.veldman.5", "Sanne Veldman"), "Elke ochtend om 6 uur smijt de bezorger De "
     "Kanaalbode met een knal tegen de deur en is de baby wakker. Al twee keer gemeld, er verandert niks.",
     [COMPLAINT])
case("nl", pub("x", "@boze_lezer"), "Die kutkrant van jullie komt NOOIT op tijd, waardeloos stelletje prutsers "
     "@veenland_service", [COMPLAINT, ABUSE], kind="reply")
case("en", pub("telegram", "drenthe_expats_chat"), "Heads up: cancelling Het Veenland online doesn't actually "
     "work. I was still charged for two months afterwards and it took six calls to sort it out.", [COMPLAINT])

# ==========================================================================
# reputation.abuse
# ==========================================================================
case("nl", pub("x", "@echteboer_1970"), "@lottemulder_hv jij bent echt de domste verslaggever van heel Drenthe, "
     "ga lekker terug naar de Randstad, trut", [ABUSE], kind="reply")
case("en", pub("x", "@noordwind_"), "Het Veenland is run by a bunch of clueless idiots. fire the lot of them.",
     [ABUSE])
case("nl", pub("facebook", "ronald.b.1964", "Ronald B."), "Die fotograaf Yılmaz moet lekker terug naar z'n eigen "
     "land met z'n camera, hier hebben we zulke types niet nodig", [ABUSE], kind="comment")
case("nl", BK, "@fc_fan_1982 hou toch je bek, mongool. Lees eerst het stuk voordat je gaat blaten.", [ABUSE],
     kind="reply")
case("nl", pub("instagram", "@xx_dennis_xx"), "wat een k@nkerkrant is het geworden zeg", [ABUSE], kind="comment",
     tags=["evasion"])
case("en", pub("reddit", "u/festivalgoer"), "whoever wrote that festival review for Het Veenland is a f*cking "
     "moron, were you even there?", [ABUSE], kind="comment")
case("nl", pub("threads", "@waarheid.drenthe"), "Die Anouk de Jong van het Veenland is een vuile leugenaar. En ik "
     "weet waar ze woont.", [ABUSE])
case("nl", HV_X, "@trollwatcher99 ach jongen ga lekker in je kelder zitten zeuren, sukkel", [ABUSE],
     kind="reply", handle="@HetVeenland", tags=["case-handle"])
case("en", pub("x", "@truthseeker_77"), "Het Veenland journalists are f u c k i n g parasites, every one of them",
     [ABUSE], tags=["evasion"])
case("nl", pub("youtube", "@drentsedegen"), "tering redactie met hun linkse praatjes, stelletje tyfuslijers",
     [ABUSE], kind="comment")
case("en", SY, "To the man who screamed at me at the council meeting: you're a pathetic little loser and "
     "everyone in that room knew it 🖕", [ABUSE])
case("en", pub("bluesky", "voetbalpraat.bsky.social"), "lol Bram Koster's match reports read like a drunk "
     "toddler wrote them. absolute clown.", [ABUSE])

# ==========================================================================
# benign (hard negatives)
# ==========================================================================
case("nl", HV_SERV, "Vragen over uw bezorging? Bel gratis 0800-0480 of mail lezersservice@hetveenland.nl. "
     "We zijn er maandag t/m zaterdag van 7 tot 17 uur.", tags=["own-contact"])
case("nl", HV_FB, "Tip voor de redactie? Mail tips@hetveenland.nl of app ons op 0592 345 600 📲 "
     "Anoniem kan ook.", tags=["own-contact"])
case("nl", KB_X, "Betalen voor uw advertentie in De Kanaalbode? Maak over naar " + group4(OWN_IBAN) +
     " o.v.v. uw ordernummer.", tags=["own-contact"])
case("nl", pub("x", "@truus_v"), "Net gebeld met 0800-0480, binnen twee minuten geholpen en de krant wordt "
     "vanmiddag nagebracht. Top! 👍", tags=["own-contact", "praise"])
case("en", LM, "Got a story for us? redactie@hetveenland.nl — we read everything (eventually 😅)",
     tags=["own-contact"])
case("en", pub("x", "@jan_ex_kpn"), "Reading the paper in Portugal? Their number works from abroad too: "
     "+31 592 345 600. Sorted my holiday stop in 5 min.", tags=["own-contact"])
case("nl", pub("forum", "typfoutje"), "Het formulier van Het Veenland zegt 'ongeldig rekeningnummer' bij "
     "<<BAD_IBAN_NL>>. Zal wel een typfout zijn, ik probeer het straks opnieuw.", tags=["bad-checksum"])
case("en", pub("x", "@sceptic_sara"), "Fake 'Het Veenland' renewal email wants me to 'confirm' card "
     "<<BAD_CARD:visa_sp>>. Not even my card lol. Reported it.", tags=["bad-checksum"])
case("nl", pub("facebook", "piet.smeenge", "Piet Smeenge"), "Mijn abonneenummer is 7734120 en het ordernummer "
     "VL-2026-88123. Weet iemand hoe lang een adreswijziging duurt?", tags=["order-number", "question"])
case("nl", HV_X, "Let op: oplichters bellen ouderen en vragen naar hun BSN en bankgegevens. Geef die nooit door "
     "aan de telefoon! Lees meer op hetveenland.nl", tags=["scam-warning"])
case("nl", AJ, "Kenmerk van het Woo-besluit waar ons stuk op leunt: <<NOT_BSN:9>>. Wie het zelf wil opvragen: "
     "ga je gang.", tags=["bad-checksum"])
case("nl", pub("instagram", "@mam_van_twee"), "De barcode van de zaterdagkrant is <<EAN13>>, m'n zoontje "
     "scant alles met zijn speelgoedkassa 😂", tags=["ean"], kind="comment")
case("nl", HB, "Doos nieuwe bezorgtassen onderweg 🎒 track & trace 3SVNL<<DIGITS:10>>, als het goed is "
     "donderdag binnen.", tags=["tracking"])
case("nl", pub("x", "@lezer_uit_ees"), "Mijn klantnummer bij jullie is <<NOT_BSN:9>>, kunnen jullie checken of "
     "mijn verhuizing goed is verwerkt? @veenland_service", tags=["bad-checksum", "question"], kind="reply")
case("en", RD, "PSA for junior devs: never commit keys. If you see sk_live_XXXXXXXXXXXXXXXX in a PR that's a "
     "placeholder, but the real ones look exactly the same, so check twice 🔑", tags=["placeholder"])
case("en", RD, "Merged the fix for the e-paper pinch-zoom bug in <<HEX>>. Goes out with tonight's release.",
     tags=["git-sha"])
case("nl", HV_LI, "Op onze techblog: hoe we het fotoarchief naar de cloud verhuisden. (De key in de "
     "screenshot is AKIAIOSFODNN7EXAMPLE, het voorbeeld uit de AWS-documentatie.)", tags=["placeholder"])
case("nl", pub("x", "@opa_online"), "Wachtwoord vergeten voor m'n Veenland-account, resetlink stond binnen 10 "
     "seconden in m'n mail. Zo hoort het.", tags=["password-talk", "praise"])
case("nl", HV_X, "Zomeractie ☀️ Veenland Compleet jaarabonnement nu voor €299 in plaats van €429. "
     "Alleen t/m 31 juli via hetveenland.nl/zomer", tags=["sale"], handle="@HetVeenland")
case("nl", HV_IG, "Fotoboek Een eeuw Veenland nu voor €29,95 (was €39,95). Het perfecte cadeau voor opa en oma 📸",
     tags=["sale"])
case("en", pub("reddit", "u/budget_drent"), "For what it's worth, Veenland Compleet works out at about €35,75 a "
     "month, which isn't bad for paper + app imo.", tags=["monthly-price"], kind="comment")
case("nl", pub("x", "@hr_tips_noord"), "€25 korting op VeenlandPlus Digitaal als je via je werkgever afsluit, "
     "check even je personeelsportal 😉", tags=["discount-amount"])
case("nl", pub("facebook", "marktplaats.drenthe", "Marktplaats Drenthe"), "Te koop: fotoboek Een eeuw Veenland, "
     "één keer doorgebladerd, als nieuw. €10, ophalen in Emmen.", tags=["second-hand"])
case("nl", pub("forum", "prijsvergelijker"), "Voor wie twijfelt: een digitaal jaar bij De Drentse Post kost €79, "
     "VeenlandPlus Digitaal €156. Wel meer regionieuws bij de laatste.", tags=["competitor-price"])
case("nl", HV_SERV, "@kimvdl Nee hoor, geen prijsfout 😊 De Zaterdagkrant kost in de zomeractie echt €149 "
     "voor een heel jaar. Veel leesplezier!", tags=["denied-error", "sale"], kind="reply")
case("nl", pub("x", "@keukenprinses"), "Tip uit de kookrubriek van Het Veenland: eieren koken met een "
     "zandloper van 4 minuten ⏳ werkt echt perfect", tags=["codename-word"])
case("nl", pub("facebook", "oma.geesje", "Geesje Lubbers"), "Stille wateren hebben diepe gronden, zei mijn oma "
     "altijd. Wat een mooi interview met de sluiswachter stond er vandaag in Het Veenland.", tags=["embargo-word"])
case("nl", AJ, "Dossier Stille Wateren staat online. Zes maanden werk, lees het en deel het 🙏",
     when="2026-06-20T04:00:00Z", tags=["embargo-at"])
case("nl", HV_X, "Nieuw: Veenland Vandaag, onze ochtendapp met het belangrijkste nieuws uit Drenthe in vijf "
     "minuten ☕ Nu te downloaden!", when="2026-09-15T08:00:00+02:00", tags=["embargo-at"])
case("nl", pub("x", "@turfschipper"), "VeenlandPlus Audio is echt goed, luister die aflevering over de "
     "turfschippers 🎧", when="2026-10-03T21:17:40+02:00", tags=["embargo-after"])
case("nl", HB, "Weer vroeg op vandaag, half 5 de wijk in. Zonsopkomst boven het kanaal maakt veel goed 🌅",
     tags=["codename-word"])
case("nl", HV_LI, "Veenhoven Media Groep publiceert de jaarcijfers 2025: omzet €61,2 miljoen, digitale "
     "abonnees +14%. Het volledige jaarverslag staat op veenhovenmedia.nl", tags=["published-results"])
case("nl", HV_X, "Bij de zuivelfabriek in Hoogeveen verdwijnen 120 banen, maakte de directie vanmiddag bekend. "
     "Lees meer op hetveenland.nl", tags=["other-company"])
case("nl", HV_FB, "Datalek bij zorgverzekeraar: gegevens van 40.000 Drenten op straat. Wat betekent dit voor "
     "u? Onze verslaggever zocht het uit.", tags=["other-company"])
case("nl", KB_X, "Rechtszaak tegen oud-wethouder van Stadskanaal begint vandaag. Onze verslaggever zit in de "
     "zaal en houdt u op de hoogte.", tags=["news"])
case("nl", pub("x", "@kaasliefhebber"), "De boycot van die supermarkt in Emmen (zie Het Veenland) is voorbij, "
     "ze verkopen gewoon weer lokale kaas 🧀", tags=["boycott-other"])
case("en", pub("x", "@slowreader"), "Can't recall the last time I read a local paper cover to cover, but today's "
     "Het Veenland got me. Lovely Saturday.", tags=["recall-other", "praise"])
case("nl", pub("x", "@trouwe_lezer"), "Geen klachten over de bezorging hier hoor, al 20 jaar elke ochtend om "
     "half 7 in de bus 👌 @hetveenland", tags=["negated-complaint"])
case("en", pub("x", "@derbyday"), "Shout out to the Het Veenland sports desk for the live blog tonight, "
     "brilliant derby coverage 👏", tags=["praise"])
case("nl", pub("blog", "schrijfschuur.nl", "De Schrijfschuur"), "In mijn nieuwe verhaal sterft de hoofdredacteur "
     "van een regionale krant in hoofdstuk drie aan te veel koffie. Geïnspireerd door een week stage bij "
     "Het Veenland, dat dan weer wel.", tags=["fiction"])
case("nl", pub("x", "@koppenjager"), "'What the hell is going on?' – kop van de week in Het Veenland, over de "
     "verdwenen kermis 😂", tags=["quote", "mild-word"])
case("nl", pub("facebook", "fam.bos.exloo", "Familie Bos"), "Onze hond leest De Kanaalbode ook elke week. Nou ja, "
     "hij eet hem op 🐶", tags=["joke"])
case("en", pub("x", "@media_nerd"), "Meanwhile De Drentse Post had a data breach this week. Glad my paper is "
     "Het Veenland, honestly.", tags=["other-company"])
case("nl", HV_FB, "Inloopavond over kanker en werk, donderdag om 19.00 uur in het ziekenhuis in Emmen. Toegang "
     "gratis, aanmelden hoeft niet.", tags=["kanker-literal"])
case("nl", HV_SERV, "Door een storing is het e-paper vanochtend later beschikbaar. Onze excuses, we verwachten "
     "het rond 8 uur online.", tags=["official-notice"])
case("nl", pub("x", "@nieuw_in_buinen"), "Weet iemand of De Kanaalbode ook in Nieuw-Buinen bezorgd wordt?",
     tags=["question"])
case("nl", LM, "Vanmiddag in Zuidlaren voor een mooi verhaal over de oudste bakker van Drenthe 🥖",
     tags=["ordinary"], handle="@LotteMulder_HV")
case("en", BK, "Full-time: 2-2 in the derby. Match report online within the hour ⚽", tags=["ordinary"])
case("nl", IS, "Adverteren in De Kanaalbode of Het Veenland? Ons tarievenoverzicht staat gewoon op "
     "kanaalbode.nl/adverteren 📊", tags=["ordinary"])
case("nl", pub("x", "@bijbaantje"), "Bezorgers bij Het Veenland verdienen tussen de €11 en €14 per uur, las ik in "
     "de vacature. Niet slecht voor een uurtje in de ochtend.", tags=["fee"])
case("en", RD, "Speaking at DevDays Groningen about building a paywall on a small-publisher budget. Slides will "
     "be public afterwards!", tags=["ordinary"])
case("nl", pub("x", "@gemeentewatcher"), "Burgemeester in Het Veenland: 'Dit is een schande voor onze gemeente.' "
     "Sterk stuk over het zwembaddossier.", tags=["quote"])
case("nl", pub("instagram", "@loopgroep_assen"), "Ingeschreven voor de Veenland Run! Bestelnummer 2026-044718, "
     "wie loopt er nog meer mee? 🏃‍♀️", tags=["order-number"], kind="comment")
case("en", pub("facebook", "kate.in.drenthe", "Kate Morris"), "Anyone know if Het Veenland still does the "
     "Christmas puzzle? My gran keeps asking.", tags=["question"])
case("nl", HV_X, "Goedemorgen Drenthe ☀️ Dit zijn de vijf verhalen die je vandaag moet lezen 👇",
     tags=["ordinary"], handle="@HetVeenland")
case("en", SY, "Golden hour at the Veenpark. Shot on assignment for tomorrow's paper 📷", tags=["ordinary"])
case("en", pub("x", "@stormchaser_nl"), "Damn, that Het Veenland photo of the storm over the Dwingelderveld is "
     "gorgeous", tags=["mild-word", "praise"])
case("nl", pub("x", "@boekenwurm_em"), "Nieuwe thriller van een oud-journalist van Het Veenland: een hacker legt "
     "een hele krant plat. Aanrader!", tags=["fiction"])
case("nl", HV_X, "Wethouder Emmen treedt af na ophef over declaraties. Meer op hetveenland.nl/regio/emmen",
     tags=["news"])
case("nl", pub("mastodon", "@hannie@mastodon.nl"), "De nieuwe puzzelpagina van Het Veenland is eindelijk weer "
     "op A4-formaat. Dank, redactie! 🧩", tags=["praise"])
case("en", pub("linkedin", "pieter-groen-media"), "Interesting read: how regional publishers like Veenhoven "
     "Media grow digital subscriptions without a hard paywall. Worth your 10 minutes.", tags=["industry"])
case("nl", pub("x", "@veenkoloniaal"), "Het veenland rond Barger-Compascuum is op zijn mooist in oktober 🍂 "
     "wandeltip!", tags=["brand-word"])
case("nl", MV, "Vandaag afscheid genomen van onze oud-directeur na 32 jaar. Wat een man. Dank voor alles, Jan.",
     tags=["ordinary"])


# ==========================================================================
# profile, roles, severity
# ==========================================================================

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
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and pii_validated)) else "error"
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


# ==========================================================================
# post metadata
# ==========================================================================

def ams_off(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 358))
    loc = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_off(loc)
    utc = loc - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
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
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/drenthe/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/drenthe/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-drenthepraat-{n}", f"https://forum.drenthepraat.example/topic/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64U) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 8, 10 ** 10)
    return f"{platform}-{n}", None


def build(profile):
    g = Rng(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
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
        x = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            pass
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "kanaalbode" if "anaalbode" in text else "hetveenland"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ==========================================================================
# checks
# ==========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, ex = r["post"], r["expect"]
        t = p["text"]
        if "<<" in t or ">>" in t:
            errs.append(f"{p['id']}: unrendered placeholder")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if shown not in t:
                errs.append(f"{p['id']}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{p['id']}: bad IBAN in positive")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{p['id']}: bad card")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: bad BSN")
            if k.startswith("BAD_IBAN") and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN valid")
            if k == "BAD_CARD" and luhn_valid(raw):
                errs.append(f"{p['id']}: negative card valid")
            if k == "NOT_BSN" and elfproef(raw):
                errs.append(f"{p['id']}: negative BSN valid")
            if k in VALID_ID and not ex["categories"]:
                errs.append(f"{p['id']}: valid identifier in benign post")
        low = t.casefold()
        for term, until in emb:
            if term in low and ts < until and "leak.confidential" not in ex["categories"]:
                errs.append(f"{p['id']}: embargo term {term!r} before {until} but not labelled")
            if term in low and ts >= until and "leak.confidential" in ex["categories"] and "embargo-before" in r["tags"]:
                errs.append(f"{p['id']}: embargo tag mismatch")
        if not ex["categories"] and ex["severity"] != "none":
            errs.append(f"{p['id']}: benign with severity")
        if len(p["id"]) > 256:
            errs.append("id too long")
    ids = [(r["post"]["platform"], r["post"]["id"]) for r in rows]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    return errs


def report(rows):
    from collections import Counter
    n = len(rows)
    ben = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"cases {n}  benign {ben}  positive {n - ben}  multi {sum(1 for r in rows if len(r['expect']['categories']) > 1)}")
    cc = Counter(c for r in rows for c in r["expect"]["categories"])
    for c in CATS:
        sub = [r for r in rows if c in r["expect"]["categories"]]
        roles = Counter(r["role"] for r in sub)
        langs = Counter(r["lang"] for r in sub)
        print(f"  {c:22s} {cc[c]:3d}  nl {langs['nl']:2d} en {langs['en']:2d}  "
              f"corp {roles['corporate']:2d} emp {roles['employee']:2d} pub {roles['public']:2d}")
    print("  severity", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("  roles", dict(Counter(r["role"] for r in rows)))
    print("  langs", dict(Counter(r["lang"] for r in rows)))
    print("  evasion", sum(1 for r in rows if "evasion" in r["tags"]))
    print("  platforms", dict(Counter(r["post"]["platform"] for r in rows)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = check(rows, profile)
    data = "".join(lines_of(rows))
    if a.check:
        if OUT.read_text(encoding="utf-8") != data:
            errs.append("cases.jsonl differs from generator output")
        report(rows)
        for e in errs:
            print("ERROR", e)
        sys.exit(1 if errs else 0)
    if errs:
        for e in errs:
            print("ERROR", e)
        sys.exit(1)
    OUT.write_text(data, encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")


if __name__ == "__main__":
    main()
