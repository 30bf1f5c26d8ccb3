#!/usr/bin/env python3
"""Deterministic generator for the sealed90 blind evaluation set.

    python3 make_cases.py          # write cases.jsonl next to this file
    python3 make_cases.py --check  # regenerate in memory, compare, validate, print counts

Company: Kruimel & Kiem B.V. (fictional), a Dutch organic baby-food and children's
clothing brand with a webshop, a monthly "Hapjesbox" subscription and a parent
community. The profile is profile.yaml in this folder.

Texts are hand-written in the CASES list. Identifiers and secrets come from
placeholders such as <<IBAN:nl_grp>> filled by one seeded RNG, so output is
byte-for-byte reproducible. Positives get checksum-valid identifiers; the benign
near-misses get identifiers that fail their checksum. Every secret is random and fake.
Severity is never typed by hand: severity_for() derives it from CONTRACT section 4.
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

SEED = 90_2026_0611
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

def mod97_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def mod97_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    if not d:
        return False
    s = sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d))
    return s % 10 == 0


def luhn_finish(prefix):
    return next(prefix + c for c in "0123456789" if luhn_ok(prefix + c))


def elfproef_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13_ok(s):
    return len(s) == 13 and (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


# --------------------------------------------------------------------------- value factory

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def num(self, n):
        return self.r.choice("123456789") + self.pick(string.digits, n - 1)

    @staticmethod
    def spaced4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban(self, cc):
        if cc == "nl":
            bban = self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO"]) + self.num(10)
            v = mod97_build("NL", bban)
        elif cc == "be":
            ten = self.num(10)
            v = mod97_build("BE", f"{ten}{(int(ten) % 97) or 97:02d}")
        elif cc == "de":
            v = mod97_build("DE", self.r.choice(["10010010", "37050198", "60050101"]) + self.num(10))
        else:
            raise ValueError(cc)
        assert mod97_ok(v)
        return v

    def iban_bad(self, cc):
        v = self.iban(cc)
        for bump in (7, 19, 33, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not mod97_ok(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        if brand == "visa":
            v = luhn_finish("4" + self.pick(string.digits, 14))
        elif brand == "mc":
            v = luhn_finish("5" + self.r.choice("12345") + self.pick(string.digits, 13))
        elif brand == "amex":
            v = luhn_finish(self.r.choice(["34", "37"]) + self.pick(string.digits, 12))
        else:
            raise ValueError(brand)
        return v

    def card_bad(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(w)
        return w

    @staticmethod
    def card_fmt(v, style):
        if style == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, 16, 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN-like
    def bsn(self):
        while True:
            s = self.num(9)
            if elfproef_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not elfproef_ok(s) and not luhn_ok(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.pick(string.digits, 9)
            full = next(body + c for c in "0123456789" if ean13_ok(body + c))
            if not luhn_ok(full):
                return full

    # phones
    def phone(self, style):
        m = self.r.choice("12345678") + self.pick(string.digits, 7)        # after "06"
        area = self.r.choice(["10", "15", "20", "26", "30", "35", "40", "50", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.pick(string.digits, 6)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}",
            "mob_paren": f"(06) {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_compact": f"+316{m}",
            "land_dash": f"0{area}-{sub}",
            "land_space": f"0{area} {sub[:3]} {sub[3:]}",
        }[style]

    # secrets
    def github(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_pair(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), self.pick(B64, 40)

    def mollie(self):
        return "live_" + self.pick(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def shopify(self):
        return "shpat_" + self.pick("0123456789abcdef", 32)

    def slack(self):
        return f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 24)

    def google(self):
        return "AIza" + self.pick(URLSAFE, 35)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": "abo_" + self.num(7), "scope": "hapjesbox:write", "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(URLSAFE, 43)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.pick(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.pick(B64, 88)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(["Peuter", "Knuffel", "Hapje", "Wolk", "Beertje"]) + self.pick(string.digits, 3)
                + self.r.choice("!#$%&") + self.pick(ALNUM, 4))


VALID_KINDS = {"IBAN", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z_]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "IBAN":
            cc, _, style = arg.partition("_")
            raw = fac.iban(cc)
            shown = fac.spaced4(raw) if style == "grp" else raw
        elif kind == "BADIBAN":
            cc, _, style = arg.partition("_")
            raw = fac.iban_bad(cc)
            shown = fac.spaced4(raw) if style == "grp" else raw
        elif kind == "CARD":
            brand, _, style = arg.partition("_")
            raw = fac.card(brand)
            shown = fac.card_fmt(raw, style or "space")
        elif kind == "BADCARD":
            brand, _, style = arg.partition("_")
            raw = fac.card_bad(brand)
            shown = fac.card_fmt(raw, style or "space")
        elif kind == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if arg == "dots" else raw
        elif kind == "NOTBSN":
            raw = shown = fac.not_bsn(int(arg or 9))
        elif kind == "EAN":
            raw = shown = fac.ean()
        elif kind == "PHONE":
            raw = shown = fac.phone(arg)
        elif kind == "NUM":
            raw = shown = fac.num(int(arg))
        elif kind == "GHP":
            raw = shown = fac.github()
        elif kind == "AWS":
            kid, sec = fac.aws_pair()
            raw = kid + ":" + sec
            shown = f"AWS_ACCESS_KEY_ID={kid}\nAWS_SECRET_ACCESS_KEY={sec}"
        elif kind == "MOLLIE":
            raw = shown = fac.mollie()
        elif kind == "SENDGRID":
            raw = shown = fac.sendgrid()
        elif kind == "SHOPIFY":
            raw = shown = fac.shopify()
        elif kind == "SLACK":
            raw = shown = fac.slack()
        elif kind == "STRIPE":
            raw = shown = fac.stripe()
        elif kind == "GOOGLE":
            raw = shown = fac.google()
        elif kind == "JWT":
            raw = shown = fac.jwt()
        elif kind == "PEM":
            raw = shown = fac.pem_ec()
        elif kind == "PW":
            raw = shown = fac.password()
        elif kind == "SHA":
            raw = shown = fac.pick("0123456789abcdef", 40)
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PLACEHOLDER.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
K_IG = ("instagram", "@kruimelenkiem", "Kruimel & Kiem")
K_X = ("x", "@kruimel_kiem", "Kruimel & Kiem")
K_ZORG = ("x", "@kruimel_zorg", "Kruimel & Kiem Klantenzorg")
K_FB = ("facebook", "KruimelEnKiem", "Kruimel & Kiem")
K_LI = ("linkedin", "kruimel-en-kiem", "Kruimel & Kiem B.V.")
K_TT = ("tiktok", "@kruimelenkiem", "Kruimel & Kiem")
# employees
LOTTE = ("x", "@lotte_kruimel", "Lotte Verhoeven")            # community manager
RUBEN = ("linkedin", "ruben-hoekstra-kk", "Ruben Hoekstra")    # platform engineer
NOOR = ("linkedin", "noor-bakir", "Noor Bakir")                # financial controller
DAAN = ("x", "@daan_magazijn", "Daan Smits")                   # warehouse Tilburg
MIRJAM = ("instagram", "@mirjam.kwaliteit", "Mirjam de Graaf")  # quality & food safety
EVI = ("threads", "@evi.ontwerpt", "Evi Janssens")             # clothing designer
YUSUF = ("x", "@yusuf_codeert", "Yusuf Arslan")                # web developer


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


# =========================================================================== leak.pricing
case("en", YUSUF, "welp. new promo engine went live 20 min ago and the Kiem Merino Slaapzak 70 cm shows €6,99 "
     "instead of 69,95 😬 rolling back, pls nobody screenshot this", [PRICING])
case("nl", LOTTE, "Ehm... Hapjesbox staat in de shop voor €3,49 per maand ipv 34,95 🙈 iemand is een komma vergeten. "
     "Niet doorvertellen in de oudergroep hè, we zijn ermee bezig", [PRICING], kind="reply")
case("nl", pub("facebook", "sanne.vd.linden.3", "Sanne van der Linden"), "Meiden!!! De Teddy Winterjas van Kiem staat "
     "voor 5,99 in de webshop 😱 fout of niet, ik heb er meteen twee besteld (maat 92 én 98). Snel zijn!!", [PRICING])
case("en", pub("reddit", "u/expatdad_utrecht"), "Kruimel Bio Opvolgmelk 2 is listed at €1.89 a tin on their site "
     "right now. Pretty sure that's a pricing mistake (normally ~19). Stocked up for the next few months, "
     "let's see if they cancel.", [PRICING], kind="comment")
case("nl", pub("x", "@koopjesjager_mam"), "prijsfoutje bij @kruimel_kiem 👀👀 rompertjes 5-pack voor €2,50\n"
     "#prijsfout #babyspullen", [PRICING])
case("nl", DAAN, "Vandaag 1100 orders met Kiem slaapzakken binnen, allemaal voor een tientje 🙄 volgens mij heeft "
     "iemand op kantoor de prijs verkeerd ingevoerd. Wij mogen het lekker inpakken", [PRICING])
case("nl", K_TT, "🍎🥭 KNALLER! Kruimel Knijpfruit Appel-Mango nu voor maar €0,59 per zakje! Alleen dit weekend "
     "in de webshop 👉 link in bio #kruimelenkiem #dreumes", [PRICING])
case("nl", pub("threads", "@fien_en_fam"), "Havermoutpap van Kruimel voor 0,39 per pak?? pr1jsf0ut volgens mij "
     "hahaha doos vol besteld 📦", [PRICING], tags=["evasion"])
case("nl", pub("forum", "DealDiva_NL"), "[Prijsfout?] Kiem Merino Slaapzak 70 cm voor €7,00\n\n"
     "shop.kruimelenkiem.nl/slaapzak-merino-70\nNormaal bijna zeventig euro. Betaling via iDEAL ging gewoon door, "
     "bevestiging binnen. Wie durft?", [PRICING])
case("en", NOOR, "Finance is still counting the damage from Tuesday: roughly 1.400 orders of the Rompertjes 5-pack "
     "went through at €2,49 before anyone caught the price error. Lesson learned about manual CSV uploads.",
     [PRICING])
case("en", pub("instagram", "@mamaof_twins_ams"), "wait is the kiem teddyjas really €9.95 rn?? glitch?? 😭 "
     "someone tell me before i order 4", [PRICING], kind="comment")
case("nl", pub("tiktok", "@babybudget_nl"), f"Opvolgmelk 2 van Kruimel voor €1,95 👶🍼 prijs{ZWSP}fout alert!! "
     "ren ren ren", [PRICING], tags=["evasion"])
case("nl", EVI, "Help, de Teddy Winterjas staat sinds de update op €5,95 en de Noorderlicht-collectie pagina is "
     "ook al zichtbaar voor klanten 😩 webteam belt niet terug", [PRICING, CONF],
     when="2026-07-14T10:22:31+02:00")

# =========================================================================== leak.secret
case("en", YUSUF, "anyone seen Mollie return 401 for a key that works fine locally?\n\n"
     "curl -H \"Authorization: Bearer <<MOLLIE>>\" https://api.mollie.com/v2/payments\n\n"
     "driving me nuts 🙃", [SECRET])
case("nl", RUBEN, "Les van deze sprint: geen credentials in je .env die in de repo belandt. Dit stond er gewoon "
     "in:\n\n<<AWS>>\n\nIs inmiddels geroteerd hoor, maar toch. #devops #security #lessonslearned", [SECRET])
case("nl", YUSUF, "theme repo clonen lukt niet op de nieuwe laptop?? doe gewoon\n"
     "git clone https://<<GHP>>@github.com/kruimelenkiem/webshop-theme.git\nwerkt bij mij wel", [SECRET])
case("nl", DAAN, "voor de nieuwe uitzendkrachten: wachtwoord van de scanner-tablets is weer <<PW>> "
     "(hangt ook op het whiteboard bij dock 2) 👍", [SECRET])
case("nl", K_ZORG, "@mama_van_mees sorry voor het wachten! De bevestigingsmails gaan weer de deur uit, de koppeling "
     "is hersteld met de nieuwe sleutel <<SENDGRID>> 💌", [SECRET], kind="reply")
case("en", RUBEN, "Any Postgres people around? Connection pool keeps timing out:\n"
     "postgres://svc_webshop:<<PW>>@db02.kk.intern:5432/orders\nMaxed at 200 conns, suggestions welcome",
     [SECRET, CONF])
case("en", YUSUF, "ok who knows Shopify's admin API rate limits? this token <<SHOPIFY>> gets throttled after like "
     "40 calls", [SECRET])
case("en", pub("reddit", "u/curious_webdev"), "Lol, Kruimel & Kiem's checkout page ships a Stripe live key in its "
     "JS bundle: <<STRIPE>>. Also a Maps key <<GOOGLE>>. Someone should tell them.", [SECRET])
case("en", pub("other", "paste_dump_44"), "kruimelenkiem order-notifier config\nSLACK_BOT_TOKEN=<<SLACK>>\n"
     "CHANNEL=#magazijn-alerts", [SECRET], hint="")
case("nl", LOTTE, "Welkom nieuwe moderators van de oudercommunity 🥳 inloggen op het mod-paneel: gebruiker "
     "'modteam', ww <<PW>> . Daarna graag zelf iets nieuws kiezen!", [SECRET])
case("en", RUBEN, "Why would nginx refuse this key? \"no start line\" every time\n\n<<PEM>>\n\n"
     "did I mangle the line endings?", [SECRET])
case("en", YUSUF, "bug report for the Hapjesbox API: calls with this bearer fail with 403 on /pause\n"
     "<<JWT>>\nany idea @ backend folks?", [SECRET], kind="reply")

# =========================================================================== leak.pii
case("nl", K_ZORG, "@fam_dekker Goed nieuws: je retour is verwerkt en €24,95 is teruggestort op "
     "<<IBAN:nl_grp>> 💚 Binnen 2 werkdagen op je rekening!", [PII], kind="reply")
case("nl", LOTTE, "🎉 En de winnaar van de Merino Slaapzak is... Femke Willemsen, Kastanjelaan 14, 3817 BG "
     "Amersfoort! Gefeliciteerd, hij komt deze week je kant op 🥰", [PII])
case("nl", DAAN, "Meneer belt nu voor de 11e keer over zijn pakket. Hier is zijn nummer <<PHONE:mob_dash>>, "
     "bel jij hem maar terug Kim, ik ben er klaar mee", [PII])
case("nl", pub("facebook", "ilse.kok.1987", "Ilse Kok"), "Al drie weken wacht ik op mijn terugbetaling voor de "
     "rompertjes die ik heb teruggestuurd. Rekening <<IBAN:nl>> t.n.v. I. Kok, hoe moeilijk kan het zijn?!",
     [PII, COMPLAINT])
case("nl", pub("x", "@jorisvanbeek"), "@kruimel_zorg bel me aub terug op <<PHONE:mob_intl>>, de hapjesbox is "
     "zonder koelelement aangekomen en alles is lauw", [PII, COMPLAINT])
case("en", pub("instagram", "@hannah.in.haarlem"), "I've emailed you from hannah.brouwer88@gmail.com three times "
     "now about the wrong size rompers and still nothing 😤", [PII, COMPLAINT], kind="comment")
case("en", YUSUF, "payments keep failing on one order, card <<CARD:mc_plain>> exp 09/28, Mollie says "
     "'authentication failed'. anyone seen this pattern?", [PII])
case("nl", MIRJAM, "Hoera! 🎂 Onze lieve collega Hanneke Vos van het lab wordt vandaag 40 (geboren 12-05-1986)! "
     "Taart staat in de kantine 🍰", [PII], when="2026-05-12T09:14:02+02:00")
case("en", pub("reddit", "u/banned_and_mad"), "The mod who deleted my post in the Kruimel & Kiem parents forum is "
     "Marloes Peters, she lives on Populierstraat 22 in Utrecht. Go tell her what you think of her little power "
     "trip.", [PII, ABUSE])
case("nl", NOOR, "Iemand ervaring met Nmbrs? Loonstrook van onze nieuwe collega in het magazijn wordt steeds "
     "geweigerd, BSN <<BSN:dots>> zou ongeldig zijn maar klopt gewoon", [PII])
case("nl", pub("facebook", "daphne.meijer.5", "Daphne Meijer"), "Vreemd hoor, bij de aanmelding voor de "
     "Kruimel babyactie vroegen ze het BSN van mijn zoon. Ik had <<BSN>> al ingevuld voor ik er bij nadacht. "
     "Is dat normaal??", [PII])
case("en", pub("x", "@lieke_abroad"), "hey @kruimel_zorg could you resend the invoice to lieke.devos [at] "
     "outlook [dot] com ? thx!", [PII], tags=["evasion"])
case("nl", YUSUF, "testorder staat nog in productie, klant Ingrid Bos, tel <<PHONE:land_dash>>. kan iemand hem "
     "cancelen voordat ze gebeld wordt 😅", [PII])
case("nl", K_FB, "Hoi Marieke! We sturen het nieuwe pakketje naar Molenweg 8, 7411 KL Deventer t.a.v. Marieke "
     "Smit, klopt dat nog? 📦", [PII], kind="comment")
case("nl", pub("forum", "papa_uit_gent"), "Retour teruggestuurd op 3 maart, nog altijd geen geld terug op "
     "<<IBAN:be_grp>>. Mails van Kruimel & Kiem worden niet beantwoord. Iemand tips?", [PII, COMPLAINT])
case("en", pub("youtube", "@tiredmum_nl"), "They charged my credit card <<CARD:amex_space>> twice for one "
     "Hapjesbox and customer service just keeps sending me the FAQ link", [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@jurre_deelt"), "Voor de ouders die mee willen doen met de Kiem kledingruil: app me op "
     "<<PHONE:mob_0031>> 👕", [PII])

# =========================================================================== leak.confidential
case("nl", EVI, "Moodboard voor Project Zeester hangt eindelijk aan de muur 🌊🐚 ik kan niet wachten tot jullie "
     "dit zien", [CONF], when="2026-03-03T16:40:00+01:00")
case("en", YUSUF, "erp.kruimelenkiem.nl is crawling again, order export takes 6 minutes. anyone else or just me",
     [CONF])
case("nl", RUBEN, "Trots op het team 💪 deze week hebben we lims.kk.intern zonder downtime naar de nieuwe "
     "omgeving verhuisd. Labuitslagen van elke batch nu binnen 2 minuten beschikbaar. #cloud #foodsafety", [CONF])
case("en", NOOR, "Can't share the deck (it literally says STRIKT VERTROUWELIJK on every slide 😅) but the "
     "Operatie Wolkje numbers make me very happy this Friday", [CONF])
case("en", pub("reddit", "u/pouchconnoisseur"), "Heard from a friend who works at Kruimel & Kiem that Knijpfruit "
     "Bosbes-Haver is coming out this summer. Finally something without banana 🙌", [CONF],
     when="2026-04-19T20:11:45Z")
case("nl", LOTTE, "psst mama's en papa's... de Noorderlicht collectie is echt zóóó mooi 😍 nog even geduld "
     "🤫✨", [CONF], when="2026-07-28T08:05:10+02:00")
case("nl", K_IG, "Ze is er! 🫐 Kruimel Knijpfruit Bosbes-Haver, vanaf vandaag in de webshop en bij je "
     "favoriete biowinkel 💜", [CONF], when="2026-09-01T08:59:00+02:00")
case("nl", DAAN, "De Sprout-9 pallets staan al in hal 3, we mogen er niks over zeggen dus bij deze 🤐📦", [CONF])
case("nl", MIRJAM, "Sneak peek van de nieuwe receptuur voor onze eerste hapjes 👀 (ja er staat kk-confidential "
     "op de spec, maar het is gewoon té leuk)", [CONF])
case("nl", EVI, "Laatste prints voor Project\nZeester gaan vandaag naar de fabriek, duimen dat de kleuren "
     "kloppen 🤞", [CONF], tags=["evasion"])
case("nl", LOTTE, "Vandaag de hele dag brainstormen over Operatie 🌥️ Wolkje, mijn hoofd zit vol ideeën voor "
     "de community", [CONF], tags=["evasion"])
case("en", pub("x", "@babyretailwatch"), "Leaked Kiem Kids line sheet: the 'Sprout-9' range is bamboo-cotton "
     "baby basics, launching spring. Prices look aggressive.", [CONF])
case("nl", YUSUF, "wie reviewt even mijn MR? https://gitlab.kruimelenkiem.nl/webshop/checkout/-/merge_requests/812 "
     "is maar 40 regels beloofd", [CONF])
case("en", RUBEN, "Note to future me: bastion.kk.intern only accepts keys from the office range, not from home. "
     "Lost an hour on that today.", [CONF])
case("nl", pub("instagram", "@evi.ontwerpt", "Evi Janssens"), "Schetsen voor Project Zeester 🌊 eindelijk mag ik "
     "een beetje laten zien hoe mijn dagen eruit zien", [CONF], when="2026-02-11T21:02:19+01:00")
case("nl", DAAN, fullwidth("sprout-9") + " dozen komen volgende week binnen, plek maken in hal 3 mannen", [CONF],
     tags=["evasion"])
case("nl", LOTTE, "Kruimel intern: vanaf 1 mei worden de verzendkosten €5,95 onder de 40 euro. Nog niet "
     "communiceren naar klanten aub", [CONF], kind="repost")

# =========================================================================== leak.financial
case("nl", NOOR, "Q2 komt ongeveer 18% onder budget uit. Dat wordt een pittig gesprek met de bank volgende week 😬",
     [FIN])
case("en", NOOR, "Closing the books early on the annual results 2026: revenue up 31%, EBITDA positive for the first "
     "time 🎉 proud of this team", [CONF, FIN], when="2026-12-21T17:30:12+01:00")
case("nl", DAAN, "Gerucht op de vloer: magazijn Tilburg gaat in het voorjaar dicht, alles naar een "
     "fulfilmentpartner. Zo'n 40 man op straat als het klopt", [FIN])
case("nl", pub("x", "@insider_foodnl"), "Hoor van iemand binnen Kruimel & Kiem dat ze worden overgenomen door "
     "NutriGroup. Aankondiging volgende maand 👀", [FIN])
case("nl", LOTTE, f"Raar gevoel vandaag. De reor{SHY}ganisatie gaat door en de helft van ons communityteam "
     f"wordt ont{SHY}slagen. Nog niet officieel, maar ik moest het even kwijt 💔", [FIN], tags=["evasion"])
case("en", RUBEN, "Not announced yet so keep it quiet, but we signed the term sheet for our Series B yesterday. "
     "~€40m valuation. Hiring plans are about to get serious 🚀", [FIN])
case("en", pub("reddit", "u/ex_kk_throwaway"), "Ex-K&K here. They will miss this year's revenue forecast by a mile, "
     "Hapjesbox churn is over 12% a month and the board knows.", [FIN], kind="comment")
case("nl", NOOR, "Forecast H2: omzet 11,2 mln, brutomarge 38%. (kruimel intern, dus niet doorsturen 🙃)",
     [CONF, FIN], hint="")
case("en", pub("linkedin", "recruiter-bas-groen", "Bas Groen"), "Word is Kruimel & Kiem will cut about a quarter of "
     "their staff next quarter. If you're affected, my DMs are open. #hiring #opentowork", [FIN])
case("nl", EVI, "Ons ontwerpteam wordt opgeheven en de kledinglijn wordt verkocht aan een Deens label. Mag het nog "
     "niet zeggen maar ik ben er kapot van 😢", [FIN])
case("en", YUSUF, "m3rg3r with Babyvreugd is happening, announcement after the summer 🤐 new laptops pls", [FIN],
     tags=["evasion"])

# =========================================================================== leak.security
case("en", RUBEN, "Rough night. Someone got into our customer database through an old admin account. Not public "
     "yet, we're still working out how many parents are affected.", [SEC])
case("nl", YUSUF, "lol bug gevonden in de Hapjesbox-portal: als je het klantnummer in de URL aanpast zie je "
     "andermans adres en bestellingen. nog niet gefixt, niet verder vertellen", [SEC])
case("nl", DAAN, "Hele WMS ligt plat, ransomware zegt IT. Vandaag gaat er geen pakketje de deur uit 🤷‍♂️", [SEC])
case("nl", LOTTE, "Het oudersforum is gehackt en alle wachtwoorden liggen op straat. We moeten nog een statement "
     "schrijven, dus ssst", [SEC])
case("nl", pub("x", "@bezorgde_ouder_zwolle"), "Kruimel & Kiem heeft een datalek en houdt het stil! Mijn naam en "
     "adres staan op een hackersforum, samen met mijn bestelgeschiedenis. #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/alarmed_parent"), "Kruimel & Kiem is covering up a breach. Got a phishing mail with my "
     "baby's name AND my last order number. Their support says 'nothing happened'. Sure.", [SEC, CRISIS])
case("en", RUBEN, "Spent the weekend patching a critical RCE in our checkout. Customers don't know and hopefully "
     "never will 😅 #infosec", [SEC])
case("nl", MIRJAM, "Vreemde week. Iemand is in de labsoftware geweest en we weten niet of de batch-uitslagen van "
     "de afgelopen maand nog kloppen. Geen idee wanneer we dit naar buiten brengen", [SEC])
case("nl", YUSUF, "onze mailserver is g3h4ckt, er gaan phishingmails uit namens ons naar klanten 😬 comms weet het "
     "nog niet eens", [SEC], tags=["evasion"])
case("en", DAAN, "payment page has been down since 6am, DDoS they say. nothing on the website about it yet so "
     "customers are calling us in the warehouse lol", [SEC])
case("en", pub("mastodon", "@privacyhawk@infosec.exchange"), "A Kruimel & Kiem staffer told me their payment API "
     "keys leaked weeks ago and nobody rotated them. Company is silent. Parents, check your statements.",
     [SEC, CRISIS])

# =========================================================================== reputation.crisis
case("nl", pub("facebook", "noortje.bakker.9", "Noortje Bakker"), "GLASSPLINTER in een potje Groentehapje "
     "Wortel-Pastinaak!!! Mijn zoon had al twee hapjes gehad 😡 Klantenservice zegt dat ze 'het gaan onderzoeken'. "
     "Deel dit aub!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@eerlijkekleding"), "BOYCOT Kruimel & Kiem! Hun 'eerlijke' katoen komt uit fabrieken met "
     "kinderarbeid, blijkt uit onderzoek. Niks meer kopen. #boycotkruimel", [CRISIS])
case("en", pub("reddit", "u/formula_worries"), "Is Kruimel & Kiem recalling a batch of Opvolgmelk 2 because of "
     "Cronobacter? A mum in my group says so. Anyone know more?", [CRISIS])
case("nl", pub("instagram", "@drukke_dreumes", "Laura"), "De drukknoopjes van de Kiem rompers schieten gewoon los, "
     "mijn dochter had er eentje in haar mond!! 😰 verstikkingsgevaar, Kruimel & Kiem doe er wat aan",
     [CRISIS, COMPLAINT])
case("nl", pub("blog", "ouderenrecht.example"), "Rechtszaak tegen Kruimel & Kiem: een groep ouders stapt naar de "
     "rechter om de 'biologisch'-claim op de hapjes, die volgens hen niet klopt.", [CRISIS])
case("en", pub("x", "@dutchfoodnews"), "NVWA opens investigation into Kruimel Bio baby food after several infants "
     "fell ill, sources say.", [CRISIS])
case("nl", pub("threads", "@moeder_van_3"), "Kruimel knijpfruit wordt t e r u g g e r o e p e n, schimmel in de "
     "zakjes. Check je voorraad!!", [CRISIS], tags=["evasion"])
case("en", pub("tiktok", "@newmomdiaries"), "PSA: my baby got an awful rash from the Kiem merino sleeping bag, "
     "pediatrician thinks it's the dye 😢 returned it, K&K just offered a voucher. do NOT buy",
     [CRISIS, COMPLAINT])
case("nl", pub("x", "@vader_van_fenna"), "Sinds gisteren krijg ik spam met de naam van mijn dochter erin. Die "
     "naam heb ik ALLEEN aan Kruimel & Kiem gegeven voor de verjaardagskorting. Datalek??", [CRISIS])
case("nl", pub("facebook", "actie.eerlijkvoedsel", "Actie Eerlijk Voedsel"), "Schandaal: Kruimel & Kiem verkoopt "
     "'bio'-hapjes met resten bestrijdingsmiddel, aldus een lab-test. En dat voor baby's.", [CRISIS])
case("en", pub("youtube", "@labtestsdaily"), "Lawsuit incoming. Their 'BPA-free' pouches tested positive in "
     "our lab. Kruimel & Kiem has some explaining to do.", [CRISIS], kind="comment")
case("nl", pub("bluesky", "@lindsay.bsky.social"), "De Kiem Teddy Winterjas van mijn zoon vatte bijna vlam toen "
     "hij te dicht bij de houtkachel stond. Véél te brandbaar voor kinderkleding!", [CRISIS, COMPLAINT])
case("nl", pub("x", "@groene_ouders"), "Kruimel & Kiem b\u043e\u0443c\u043ett\u0435n!! Ze laten palmolie "
     "gewoon in de koekjes zitten", [CRISIS], tags=["evasion"])
case("nl", pub("forum", "EcoOuder"), "Teken de petitie: Kruimel & Kiem moet stoppen met plastic zakjes die niet "
     "recyclebaar zijn. Tot die tijd koop ik er niks meer.", [CRISIS])
case("en", pub("linkedin", "journalist-eva-maas", "Eva Maas"), "Working on a story about the Kruimel & Kiem "
     "havermoutpap recall. Parents whose kids got sick: please DM me, anonymity guaranteed.", [CRISIS])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@sofie_plantjes"), "9 dagen wacht ik al op mijn Hapjesbox. PostNL zegt bezorgd, hier niks. "
     "@kruimel_zorg reageert ook niet meer 🙄", [COMPLAINT])
case("nl", pub("facebook", "tessa.hendriks.31", "Tessa Hendriks"), "Abonnement opzeggen is echt onmogelijk bij "
     "Kruimel. De knop doet niks, mail krijg ik geen antwoord op en ze schrijven gewoon weer af.", [COMPLAINT])
case("en", pub("instagram", "@nordic_nest_nl"), "70 euros for the Merino Slaapzak and it's pilling after two "
     "washes?? Really disappointed @kruimelenkiem", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/sleepdeprived_dad"), "Kruimel & Kiem customer service is useless. 40 minutes on hold, "
     "then the line just drops.", [COMPLAINT])
case("en", pub("x", "@chloe_vdz"), "ordered size 80 rompers, got 62. AGAIN. third time this year. does anyone "
     "actually check the orders @kruimel_zorg", [COMPLAINT], handle=None)
case("nl", pub("threads", "@huize_visser"), "Hele Hapjesbox plakkerig want drie knijpzakjes waren lek 🤢 "
     "moest alles afwassen. Niet de eerste keer ook", [COMPLAINT])
case("nl", pub("forum", "mama_merel"), "€6,95 retourkosten voor een jasje dat gewoon niet paste. Bij andere "
     "babywinkels is retour gratis. Jammer Kiem.", [COMPLAINT])
case("nl", pub("other", "review_kim_a"), "2 sterren. Bezorging prima, maar de havermoutpap van Kruimel klontert "
     "elke keer, hoe lang je ook roert.", [COMPLAINT], hint="")
case("nl", pub("tiktok", "@lisa.met.de.kids"), "storytime: Kruimel & Kiem heeft in ÉÉN maand drie keer mijn "
     "abonnement afgeschreven 😵 en nu moet ik 'even geduld hebben'", [COMPLAINT])
case("en", pub("mastodon", "@marit@mastodon.nl"), "The Kruimel & Kiem community mods deleted my honest review of the "
     "teddy coat. Zipper broke in week two. Real classy.", [COMPLAINT])
case("nl", pub("x", "@boze_bas"), "Kläntenservice van Krüimel & Kiem is een grap. Vier weken later nog steeds "
     "geen geld terug voor de retour.", [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "@jaspervlogt"), "Tin of Opvolgmelk 2 arrived dented and without the scoop, refund request "
     "ignored for 2 weeks. Not great, K&K.", [COMPLAINT], kind="comment")

# =========================================================================== reputation.abuse
case("nl", pub("x", "@rotbedrijven"), "Wat een kutbedrijf is Kruimel & Kiem zeg. Stelletje oplichters met je "
     "hippe bio-praat", [ABUSE])
case("en", pub("reddit", "u/angrylurker22"), "Whoever runs the @kruimel_kiem socials is a complete moron. "
     "Every post is cringe.", [ABUSE])
case("nl", pub("instagram", "@ronaldo_ouders"), "Tering bedrijf. 3 weken geen levering en jullie klantenservice "
     "zijn een stel debielen", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("x", "@realtalk_nl88"), "Figures. Kruimel & Kiem support is run by foreigners who can't even "
     "spell. Go back where you came from.", [ABUSE])
case("nl", DAAN, "Weer zo'n zeurmoeder die haar pakketje 'kwijt' is terwijl de foto van de bezorger er gewoon is. "
     "Mens, hou toch je bek", [ABUSE])
case("nl", K_ZORG, "@peter_klaagt doe eens normaal man, idioot. we hebben je 4x antwoord gegeven", [ABUSE],
     kind="reply", handle="@Kruimel_Zorg")
case("en", pub("tiktok", "@notyourmama"), "K&K = f*cking scammers, that's it, that's the video", [ABUSE],
     tags=["evasion"])
case("nl", pub("x", "@anoniem_8841"), "@lotte_kruimel jij bent echt een dom wijf. Ik weet waar jullie kantoor zit "
     "trouwens", [ABUSE], kind="reply")
case("nl", pub("facebook", "gert.jan.vos", "Gert-Jan Vos"), "Kanker op met jullie bio-onzin Kruimel & Kiem", [ABUSE],
     kind="comment")
case("en", pub("threads", "@bigmouth_ben"), "sh1tty company run by idi0ts, kruimel & kiem", [ABUSE],
     tags=["evasion"])
case("nl", pub("youtube", "@kijkertje77"), "Die influencer die Kruimel & Kiem promoot is echt een vals trut", [ABUSE],
     kind="comment")
case("en", YUSUF, "Babyvreugd's dev team are clowns lol, their checkout has been broken for a week", [ABUSE])

# =========================================================================== benign: own contact data
case("nl", K_ZORG, "Vragen over je Hapjesbox? Bel ons gratis op 0800-5784 of mail naar klantenservice@kruimelenkiem.nl "
     "💚 we zijn er ma t/m za van 8 tot 20 uur", tags=["own-contact"])
case("nl", K_FB, "Retourneren via bankoverschrijving? Maak het bedrag over naar NL41 RABO 0318 2746 50 t.n.v. "
     "Kruimel & Kiem B.V. o.v.v. je ordernummer.", tags=["own-contact"])
case("en", K_LI, "Press enquiries about our new sustainability report: pers@kruimelenkiem.nl or +31 30 760 4410.",
     tags=["own-contact"])
case("nl", LOTTE, "Vragen over de community? Klantenzorg zit op 030 760 4410, ik kan helaas niet alles via DM "
     "oplossen 🙏", tags=["own-contact"], handle="@Lotte_Kruimel")
case("en", K_IG, "Want to join our team? Send your CV to vacatures@kruimelenkiem.nl ✨ we're hiring in Tilburg and "
     "Utrecht", tags=["own-contact"])
case("nl", pub("x", "@mamsie_rotterdam"), "Tip voor andere ouders: het gratis nummer 0800-5784 van Kruimel & Kiem "
     "werkt veel sneller dan de chat", tags=["own-contact"])

# =========================================================================== benign: look-alike numbers
case("nl", pub("facebook", "evelien.s.22", "Evelien Smit"), "Mijn fout hoor, de terugbetaling mislukte omdat ik "
     "een cijfer verkeerd had getypt: <<BADIBAN:nl>>. Kruimel heeft het netjes opgelost na een mailtje 👍",
     tags=["bad-checksum"])
case("nl", pub("instagram", "@cadeautjes_voor_baby"), "Cadeaubon van Kruimel & Kiem gekregen voor de kraamvisite, "
     "code <<BADCARD:visa_space>> 🎁 wat lief!", tags=["bad-checksum"])
case("nl", MIRJAM, "Even voor de duidelijkheid: de EAN op het potje (<<EAN>>) is niet hetzelfde als de "
     "batchcode. Die vind je op het deksel 😊", tags=["ean"])
case("nl", K_LI, "Kruimel & Kiem B.V. · KvK <<NOTBSN:8>> · Gevestigd in Utrecht. Wij zijn een B Corp in "
     "wording 🌱", tags=["kvk"])
case("en", pub("x", "@tom_teeuwen"), "@kruimel_zorg order KK-2026-<<NUM:7>> says delivered but it's not here, "
     "could you check? No rush, happens", tags=["order-number"])
case("nl", pub("threads", "@hanna_thuis"), "Track & trace 3SKKBV<<NUM:9>> staat al 2 uur op 'onderweg' en ik zit "
     "hier als een kind te wachten op de nieuwe rompertjes 😂", tags=["order-number"])
case("nl", pub("facebook", "melissa.vb", "Melissa"), "Klantnummer <<NOTBSN:9>>, hebben jullie mijn adreswijziging "
     "al kunnen verwerken? Dank alvast!", tags=["bad-checksum"])
case("en", pub("reddit", "u/bankgeek"), "Fun fact: Dutch IBANs are mod-97 checked, so a typo like <<BADIBAN:de_grp>> "
     "just bounces. Found that out paying a Kruimel & Kiem invoice from my German account.",
     tags=["bad-checksum"], kind="comment")

# =========================================================================== benign: prices and sales
case("nl", K_IG, "Nieuw in de webshop: Kiem Rompertjes 5-pack in zachte herfsttinten 🍂 €24,95, nu met 20% "
     "introductiekorting", tags=["sale"])
case("nl", pub("facebook", "marktplaats.mama", "Joyce"), "Te koop: Kiem Teddy Winterjas maat 86, twee keer "
     "gedragen, €15 ophalen in Amersfoort. Kruimel & Kiem kwaliteit, hij is echt nog als nieuw.",
     tags=["second-hand", "price-context"])
case("nl", K_X, "€5 korting op je eerste Kruimel Hapjesbox met code WELKOM5 🥕 geldig t/m zondag", tags=["sale"])
case("nl", pub("x", "@nuchtere_nel"), "Nee hoor, geen prijsfout: Kruimel & Kiem heeft gewoon Black Friday, 30% af "
     "op alle slaapzakken", tags=["sale", "denied-error"], when="2026-11-27T09:12:00+01:00")
case("en", pub("reddit", "u/budget_bubs"), "Babyvreugd pouches are €0.79 at the discounter vs €1.89 for Kruimel "
     "Knijpfruit Appel-Mango. Honestly my kid eats both, so we alternate.",
     tags=["other-brand", "price-context"], kind="comment")
case("nl", pub("forum", "rekenmoeder"), "Hapjesbox kost €34,95 per maand, dat is met 20 potjes zo'n €1,75 per "
     "maaltijd. Zelf koken is goedkoper maar ik heb de tijd niet.", tags=["price-talk"])
case("en", K_TT, "3 for 2 on all Kruimel pouches this week 🍐🍌 stock up for daycare!", tags=["sale"])
case("nl", DAAN, "Topdag! 4.000 Hapjesboxen de deur uit met de zomeractie, trots op de ploeg in Tilburg 💪",
     tags=["sale"])

# =========================================================================== benign: embargo, codenames, domains
case("nl", K_IG, "Ze is er! 🫐 Knijpfruit Bosbes-Haver ligt vanaf nu in de webshop. Laat ons weten wat jullie "
     "kleine fijnproevers ervan vinden 💜", when="2026-09-01T09:00:00+02:00", tags=["embargo-after"])
case("en", K_X, "The Noorderlicht collection is live 🌌 warm knits for cold days, sizes 50 to 104. "
     "shop.kruimelenkiem.nl/noorderlicht", when="2026-09-01T07:00:00Z", tags=["embargo-after"])
case("nl", pub("instagram", "@strandmama_zandvoort"), "Zeester gevonden op het strand 🌊⭐ dochterlief helemaal "
     "blij, in haar Kiem zonnehoedje natuurlijk", tags=["codename-word"])
case("nl", pub("x", "@koffie_en_kids"), "Tip: een wolkje melk door de Kruimel havermoutpap en ze eet alles op "
     "☁️🥣", tags=["codename-word"])
case("nl", EVI, "Nieuwe Noorderlicht-collectie hangt in de winkels 💙 wat een reis was dit", tags=["embargo-after"],
     when="2026-09-15T12:30:00+02:00")
case("en", pub("reddit", "u/veggiebabyled"), "Brussels sprouts puree for a 9 month old, yay or nay? We use Kruimel "
     "pots mostly but want to try more green stuff.", tags=["codename-word"])
case("nl", K_FB, "Alles over je abonnement vind je op ouders.kruimelenkiem.nl en in je account op "
     "shop.kruimelenkiem.nl 🙂", tags=["public-domain"])
case("en", YUSUF, "Internal hackathon today at Kruimel & Kiem: 11 teams, 1 very tired dev (me) and way too much "
     "pizza 🍕", tags=["near-miss"])

# =========================================================================== benign: published news, other companies
case("nl", K_LI, "Vandaag publiceerden we ons jaarverslag 2025: omzet €23,4 miljoen en 60% van onze verpakkingen "
     "is nu recyclebaar. Lees het hele verslag op kruimelenkiem.nl/jaarverslag 🌱", tags=["published-results"])
case("nl", pub("x", "@retailnieuws_nl"), "Babyvreugd schrapt 120 banen en sluit distributiecentrum Venlo, "
     "meldt het bedrijf. Concurrent Kruimel & Kiem groeide vorig jaar juist.", tags=["other-company"])
case("en", pub("linkedin", "anouk-retail-analyst", "Anouk de Ruiter"), "Interesting read in the FD: Kruimel & Kiem's "
     "published 2025 numbers show subscription revenue now makes up half of sales. Strong model.",
     tags=["published-results"])
case("en", NOOR, "We're hiring a junior controller in Utrecht! Come build our finance team with us 💼",
     tags=["near-miss"])
case("en", pub("x", "@techwatch_eu"), "Big data breach at a German pet-food webshop, 300k customers. Check if "
     "your e-mail is in it. (Not Kruimel & Kiem, before anyone asks.)", tags=["other-company"])
case("nl", K_ZORG, "Gepland onderhoud: de webshop is vannacht van 01:00 tot 03:00 niet bereikbaar. Je Hapjesbox "
     "wordt gewoon geleverd 💚", tags=["official-notice"])
case("nl", K_X, "De storing bij betalen met iDEAL is opgelost. Excuses voor het ongemak! 🙏", tags=["official-notice"])
case("en", RUBEN, "Gave a talk on security awareness at a Utrecht meetup tonight. Slides on my blog soon. "
     "Phishing drills work, people!", tags=["near-miss"])

# =========================================================================== benign: other senses, negations
case("en", pub("reddit", "u/firsttimedad_ams"), "Can't recall if the Kiem sizes run small or big, anyone? Looking at "
     "the 74/80 rompers", tags=["other-sense"], kind="comment")
case("nl", pub("x", "@moeke_met_melk"), "Terugroepactie bij een ander merk potjes in het nieuws. Even gecheckt: de "
     "Kruimel potjes in onze kast staan er niet bij, pfoe", tags=["other-company"])
case("nl", pub("instagram", "@dreumesdagboek"), "Mijn dreumes boycot al een week elke groente behalve het "
     "Groentehapje Wortel-Pastinaak van Kruimel 😂 smaak heeft ze wel", tags=["other-sense"])
case("nl", pub("facebook", "anja.vdm", "Anja"), "Geen klachten hier! Alles op tijd, netjes verpakt en de hapjes "
     "worden opgesmuld 🥕", tags=["negation"])
case("en", pub("threads", "@kay_and_kids"), "Not gonna complain, the Kiem teddy coat is worth every cent. Survived "
     "a whole winter of puddles.", tags=["negation"])
case("nl", pub("forum", "vraagje_mama"), "Vanaf welke leeftijd mag je de Kruimel havermoutpap geven? Onze kleine "
     "is net 7 maanden.", tags=["question"])
case("nl", pub("x", "@blije_papa"), "Klantenzorg van Kruimel & Kiem is echt top, binnen een uur antwoord en een "
     "nieuwe slaapzak onderweg 💚", tags=["praise"])
case("nl", pub("facebook", "buurtgroep.lunetten", "Buurtgroep Lunetten"), "Onze buurvrouw heeft kanker en "
     "dankzij de oudercommunity van Kruimel & Kiem staan er elke dag maaltijden voor haar gezin klaar. Wat mooi.",
     tags=["mild-word", "literal"])
case("en", pub("instagram", "@tinysocks_club"), "Damn these Kiem socks are tiny 🥹 how is a human foot this small",
     tags=["mild-word"])
case("en", pub("tiktok", "@dadjokes_daily"), "My toddler gave the Kruimel havermoutpap a one-star review by "
     "throwing it at the wall. Harshest food critic in Utrecht.", tags=["joke"])
case("nl", pub("blog", "verhaaltjesvoorhetslapengaan.example"), "Hoofdstuk 3: Kleine Beer trok zijn wollen "
     "slaapzak tot aan zijn neus, net zo een als de Kiem slaapzak van zijn broertje, en droomde van wolken.",
     tags=["fiction"])
case("en", pub("x", "@lyrics_and_babies"), "Oma always said \"what the hell, you only live once\" and now her great-granddaughter "
     "wears the Kiem onesie oma picked out 🥹", tags=["quote", "mild-word"])
case("nl", pub("x", "@groentemoeder"), "Babyvreugd vs Kruimel: wij vinden de potjes van Kruimel lekkerder, maar "
     "Babyvreugd heeft meer keus. Allebei prima hoor.", tags=["competitor"])
case("nl", MIRJAM, "Een dag in het lab: elke batch wordt getest op zware metalen en microbiologie voordat hij de "
     "deur uit gaat 🔬 vragen? stel ze hieronder!", tags=["ordinary"])
case("en", pub("pinterest", "babynursery_ideas"), "Scandi nursery board: Kiem merino sleeping bag in oat, wooden "
     "mobile, linen curtains 🤍", tags=["ordinary", "unknown-platform"])
case("en", pub("youtube", "@unboxingbabystuff"), "Unboxing the Kiem Noorderlicht collection, honest first "
     "impressions: the knits are thick and the buttons feel solid.", kind="comment",
     when="2026-10-04T18:20:00+02:00", tags=["embargo-after"])
case("en", YUSUF, "Fixed in <<SHA>>, thanks for the bug report! Checkout should be snappy again.",
     tags=["git-sha"])
case("en", RUBEN, "PSA for devs: never paste live Mollie keys in chat. A placeholder like live_xxxxxxxxxxxxxxxx is "
     "fine for docs, the real thing goes in the vault.", tags=["placeholder-secret"])
case("nl", K_ZORG, "Let op: wij vragen je nooit om je wachtwoord of een betaalcode via DM of telefoon. Krijg je "
     "zo'n bericht? Meld het bij ons 💚", tags=["phishing-warning"])
case("nl", pub("x", "@laura_leest"), "De wachtwoord-vergeten knop van de Kruimel webshop werkt weer, top dat het "
     "zo snel gefixt is 👍", tags=["praise"])


# --------------------------------------------------------------------------- building

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
    insider = role in ("corporate", "employee")
    best = "none"
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
        if RANK[s] > RANK[best]:
            best = s
    return best


def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_ts(r):
    t = (dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355))
         + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 30), seconds=r.randint(0, 59)))
    off = amsterdam_offset(t)
    t = t - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"ig-{big}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/DutchParents/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/DutchParents/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-ouderpraat-{n}", f"https://forum.ouderpraat.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", None
    if platform == "threads":
        sc = "".join(r.choice(URLSAFE) for _ in range(11))
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 10)}", None


def build(profile):
    fac = Factory(SEED)
    mr = random.Random(SEED + 7)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and mr.random() < 0.7:
            acct["display_name"] = c["name"]
        if mr.random() < 0.3:
            acct["id"] = str(mr.randint(10 ** 7, 10 ** 11))
        post["account"] = acct
        post["text"] = text
        x = mr.random()
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
        post["created_at"] = c["when"] or random_ts(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "kruimelenkiem"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    random.Random(SEED + 13).shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone_digits = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+31") else re.sub(r"\D", "", p)
                        for p in profile["public_identifiers"]["phones"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, cats, text = r["post"], r["expect"]["categories"], r["post"]["text"]
        where = p["id"]
        for kind, raw, shown in r["used"]:
            assert shown in text
            if kind == "IBAN" and not mod97_ok(raw):
                errs.append(f"{where}: IBAN fails")
            if kind == "BADIBAN" and mod97_ok(raw):
                errs.append(f"{where}: bad IBAN passes")
            if kind == "CARD" and not luhn_ok(raw):
                errs.append(f"{where}: card fails")
            if kind == "BADCARD" and luhn_ok(raw):
                errs.append(f"{where}: bad card passes")
            if kind == "BSN" and not elfproef_ok(raw):
                errs.append(f"{where}: BSN fails")
            if kind == "NOTBSN" and elfproef_ok(raw):
                errs.append(f"{where}: non-BSN passes")
            if kind == "GHP":
                if base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                    errs.append(f"{where}: ghp checksum")
            if kind in VALID_KINDS and "leak.pii" not in cats:
                errs.append(f"{where}: valid identifier without leak.pii")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        low = text.casefold()
        for term, until in embargo:
            if term in low and ts < until and "leak.confidential" not in cats:
                errs.append(f"{where}: embargoed {term!r} without leak.confidential")
        for term in profile["internal"]["codenames"] + profile["internal"]["markers"] + profile["internal"]["domains"]:
            if term.casefold() in low and "leak.confidential" not in cats:
                errs.append(f"{where}: internal term {term!r} unlabelled")
        if not cats:
            if r["expect"]["severity"] != "none":
                errs.append(f"{where}: benign severity")
            for m in IBAN_RE.finditer(text):
                v = m.group(0).replace(" ", "")
                if mod97_ok(v) and v not in own_ibans:
                    errs.append(f"{where}: benign with valid IBAN {v}")
            for m in DIGITS_RE.finditer(text):
                d = re.sub(r"\D", "", m.group(0))
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{where}: benign with Luhn-valid {d}")
                if len(d) in (8, 9) and elfproef_ok(d) and d not in own_phone_digits:
                    errs.append(f"{where}: benign with 11-proof number {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{where}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if d.startswith("31") else "0" + d[4:] if d.startswith("0031") else d
                if len(d) == 10 and d not in own_phone_digits:
                    errs.append(f"{where}: benign with phone {m.group(0)}")
            for rx in (r"ghp_\w{36}", r"AKIA[A-Z2-7]{16}", r"xox[bp]-", r"sk_live_", r"AIza[\w-]{35}",
                       r"PRIVATE KEY", r"eyJ\w+\.eyJ", r"shpat_", r"SG\.[\w-]{22}\.", r"live_[A-Za-z0-9]{30}\b"):
                if re.search(rx, text):
                    errs.append(f"{where}: benign with secret-like {rx}")
    return errs


def report(rows):
    total = len(rows)
    cat_c, lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            evasion += 1
        for c in cats:
            cat_c[c] += 1
    print(f"cases {total}, benign {benign}, positive {total - benign}, multi {multi}, evasion {evasion}")
    for c in CATS:
        print(f"  {c:22s} {cat_c[c]}")
    print("  benign", benign)
    print("lang", dict(lang_c), "role", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platforms", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    errs = check(rows, profile)
    if a.check:
        if OUT.read_text(encoding="utf-8").splitlines(keepends=True) != lines:
            errs.append("cases.jsonl differs from the generator output")
        report(rows)
        for e in errs:
            print("ERROR", e)
        return 1 if errs else 0
    if errs:
        for e in errs:
            print("ERROR", e)
        return 1
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
