#!/usr/bin/env python3
"""Deterministic generator for the sealed122 blind evaluation set.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Kantlijn Boekhandels B.V. (fictional Dutch bookshop chain, see profile.yaml).
Texts are hand-written below; identifiers and secrets are filled in from <<KIND:fmt>>
placeholders by one seeded RNG. Positives get checksum-valid identifiers, hard
negatives get look-alikes that fail their checksum. Severity is never typed by hand:
it is computed from CONTRACT section 4 (role from profile.yaml, categories, and
whether a checksum-validated identifier is in a leak.pii post).
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

SEED = 122_2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZWSP = "\u200b"
SOFT = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def mod97_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


def with_iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(s):
    ds = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        tot += d
    return bool(ds) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# --------------------------------------------------------------------------- value factory

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
URLSAFE = AN + "-_"


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def quad(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    # IBAN
    def iban(self, cc):
        if cc == "NL":
            return with_iban_check("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "TRIO", "ASNB"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["063", "310", "001", "734", "143"]) + self.d(7, lead=False)
            return with_iban_check("BE", f"{head}{int(head) % 97 or 97:02d}")
        if cc == "DE":
            return with_iban_check("DE", self.r.choice(["50070010", "37050198", "12030000", "76026000"]) + self.d(10, lead=False))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 43, 61):
            c = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not mod97_ok(c):
                return c
        raise AssertionError

    # payment cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14, lead=False),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13, lead=False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11, lead=False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12, lead=False),
                "maestro": lambda: "6759" + self.d(11, lead=False)}[brand]()
        for x in "0123456789":
            if luhn(head + x):
                return head + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        out = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(out)
        return out

    @staticmethod
    def card_fmt(v, f):
        if f == "plain":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.d(9)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n)
            if not elfproef(s) and not luhn(s):
                return s

    def isbn(self):
        while True:
            body = "97890" + self.d(7, lead=False)
            for x in "0123456789":
                if ean_ok(body + x):
                    if not luhn(body + x):
                        v = body + x
                        return f"{v[:3]}-{v[3:5]}-{v[5:9]}-{v[9:12]}-{v[12]}"
                    break

    def ean(self):
        while True:
            body = "871" + self.d(9, lead=False)
            for x in "0123456789":
                if ean_ok(body + x):
                    if not luhn(body + x):
                        return body + x
                    break

    def nl_doc(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.pick(letters, 2) + self.pick(letters + "0123456789", 6) + self.d(1, lead=False)

    # phones
    def phone(self, f):
        if f.startswith("m"):
            x = self.r.choice("12345") + self.d(7, lead=False)   # 8 digits after '06'
            return {"m_dash": f"06-{x}", "m_plain": f"06{x}", "m_intl": f"+31 6 {x[:4]} {x[4:]}",
                    "m_pairs": f"06 {x[:2]} {x[2:4]} {x[4:6]} {x[6:]}", "m_0031": f"0031 6 {x}",
                    "m_paren": f"+31 (0)6 {x[:2]} {x[2:5]} {x[5:]}", "m_dots": f"06.{x[:2]}.{x[2:4]}.{x[4:6]}.{x[6:]}",
                    "m_compact": f"+316{x}"}[f]
        area = self.r.choice(["10", "15", "20", "23", "30", "35", "40", "50", "58", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6, lead=False)
        return {"l_dash": f"0{area}-{sub}", "l_sp": f"0{area} {sub[:3]} {sub[3:]}",
                "l_intl": f"+31 {area} {sub[:3]} {sub[3:5]} {sub[5:]}"}[f]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def npm(self):
        body = self.pick(AN, 30)
        return "npm_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(URLSAFE, 20)

    def akia(self):
        return "AKIA" + self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def stripe(self):
        return "sk_live_" + self.pick(AN, 24)

    def google(self):
        return "AIzaSy" + self.pick(URLSAFE, 33)

    def sendgrid(self):
        return "SG." + self.pick(URLSAFE, 22) + "." + self.pick(URLSAFE, 43)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(AN, 24)}"

    def jwt(self):
        head = b64u(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        body = {"sub": "pas_" + self.d(7), "iss": "api.kantlijn.nl", "scope": "loyalty:read orders:read",
                "iat": iat, "exp": iat + 7200}
        return f"{head}.{b64u(json.dumps(body, separators=(',', ':')).encode())}.{self.pick(URLSAFE, 43)}"

    def openssh(self):
        first = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [first] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.pick(string.digits, 3) + self.r.choice("!#*_") + self.pick(AN, 4))

    def sha(self):
        return self.pick("0123456789abcdef", 40)


CHECKED_IDS = {"IBAN", "CARD", "BSN"}
TOKEN = re.compile(r"<<([A-Z_0-9]+)(?::([a-z0-9_]+))?>>")


def fill(fac, text):
    used = []

    def one(m):
        k, f = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = f.partition("_")
            raw = fac.iban(cc.upper())
            shown = fac.quad(raw) if style == "grp" else raw
        elif k == "BADIBAN":
            cc, _, style = f.partition("_")
            raw = fac.bad_iban(cc.upper())
            shown = fac.quad(raw) if style == "grp" else raw
        elif k == "CARD":
            brand, _, style = f.partition("_")
            raw = fac.card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif k == "BADCARD":
            brand, _, style = f.partition("_")
            raw = fac.bad_card(brand)
            shown = fac.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = fac.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOTBSN":
            raw = shown = fac.not_bsn(int(f or 9))
        elif k == "ISBN":
            shown = fac.isbn()
            raw = shown.replace("-", "")
        elif k == "EAN":
            raw = shown = fac.ean()
        elif k == "DOC":
            raw = shown = fac.nl_doc()
        elif k == "PHONE":
            raw = shown = fac.phone(f)
        elif k == "DIG":
            raw = shown = fac.d(int(f))
        else:
            fn = {"GHP": fac.ghp, "NPM": fac.npm, "GLPAT": fac.glpat, "AKIA": fac.akia, "AWSSECRET": fac.aws_secret,
                  "STRIPE": fac.stripe, "GOOGLE": fac.google, "SENDGRID": fac.sendgrid, "SLACKHOOK": fac.slack_hook,
                  "JWT": fac.jwt, "OPENSSH": fac.openssh, "PW": fac.password, "SHA": fac.sha}[k]
            raw = shown = fn()
        used.append((k, raw, shown))
        return shown

    return TOKEN.sub(one, text), used


# --------------------------------------------------------------------------- accounts

# corporate
K_X = ("x", "@kantlijn", "Kantlijn")
K_CARE = ("x", "@kantlijn_helpt", "Kantlijn Klantenservice")
K_IG = ("instagram", "@kantlijn.boeken", "Kantlijn Boekhandels")
K_LI = ("linkedin", "kantlijn-boekhandels", "Kantlijn Boekhandels B.V.")
K_FB = ("facebook", "KantlijnBoekhandels", "Kantlijn")
K_TT = ("tiktok", "@kantlijnleest", "Kantlijn leest #BookTok")
# employees
MV = ("x", "@marloes_leest", "Marloes Verbeek")                        # filiaalmanager Haarlem
DK = ("instagram", "@boekverkoper_daan", "Daan Kuipers")               # boekverkoper Groningen
RK = ("linkedin", "ruben-kowalski-kantlijn", "Ruben Kowalski")         # platform engineer e-books
IM = ("linkedin", "ingrid-van-der-meulen", "Ingrid van der Meulen")    # controller
YA = ("x", "@yusuf_dc", "Yusuf Aydın")                                 # distributiecentrum Tilburg
SE = ("threads", "@sophie.events", "Sophie Elzinga")                   # auteursevenementen
LB = ("bluesky", "@lotte-codeert.bsky.social", "Lotte Bos")            # webshop developer
JH = ("mastodon", "@jhendriks@mastodon.nl", "Joris Hendriks")         # teamlead klantenservice


def P(platform, handle, name=None):
    return (platform, handle, name)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.secret

case("en", LB, "ugh CI on the webshop repo is red AGAIN. can someone sanity check this before i lose my mind\n\n"
     "export GITLAB_TOKEN=<<GLPAT>>\nnpm ci && npm run build:shop", [SECRET])
case("nl", RK, "Voor de collega's die vroegen hoe de nachtelijke epub-export draait, gewoon zo:\n"
     "AWS_ACCESS_KEY_ID=<<AKIA>>\nAWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\nbucket: epub-archief-prod. Succes ermee!", [SECRET])
case("nl", MV, "tip voor de invallers in Haarlem zaterdag:\nkassa login = haarlem.kassa2\nww = <<PW>>\n(niet verder vertellen hè 😇)", [SECRET], kind="post")
case("en", LB, "note to future me: live key for the gift card checkout is <<STRIPE>> - the test one kept 401ing so whatever", [SECRET])
case("en", P("reddit", "u/bytebookworm"), "lmao found this in Kantlijn's minified js bundle:\n\nconst mapsKey=\"<<GOOGLE>>\"\n\n"
     "store locator key just sitting there. someone tell their devs", [SECRET], kind="comment")
case("en", RK, "Webhook for #ebook-alerts in case anyone on the migration crew needs it while I'm on leave: <<SLACKHOOK>>", [SECRET])
case("nl", DK, "Eindelijk de nieuwe laptop van de zaak werkend 💻📚 Post-it op het scherm zegt admin / <<PW>> dus dat onthoud ik wel 😂 #boekverkoperleven", [SECRET])
case("en", LB, "why does the deploy box keep rejecting this key??? generated it fresh this morning\n\n<<OPENSSH>>", [SECRET], kind="reply")
case("nl", P("forum", "devnieuws_kees", "Kees"), "Iemand van Kantlijn heeft z'n GitHub token in een publieke gist laten staan: <<GHP>> 🤦 "
     "Wie kent daar iemand? Lijkt me niet de bedoeling", [SECRET])
case("nl", RK, "Waarom krijg ik een timeout op deze?? \npostgres://ebooks_rw:<<PW>>@db-epub01.kantlijn.local:5432/catalogus\n"
     "vanaf thuis werkt het wel via de vpn", [SECRET, CONF])
case("en", LB, "debugging the Kantlijnpas app, this is the token it hands back after login:\n<<JWT>>\nexp looks off by an hour?? timezone bug strikes again", [SECRET])
case("nl", K_LI, "Wij zoeken een Senior Backend Developer! 📚💻 Zo ziet je eerste dag eruit:\n"
     "`SENDGRID_API_KEY=<<SENDGRID>>`\n...en daarna koffie met het team. Solliciteer via kantlijn.nl/vacatures", [SECRET])
case("nl", YA, "wifi voor de uitzendkrachten in het dc → netwerk KL-Magazijn, w8woord <<PW>>  ff doorsturen in de groepsapp", [SECRET], tags={"evasion"})
case("en", LB, "rotated already so don't bother 🙃 but this was our npm publish token for the design system: <<NPM>>", [SECRET])

# =========================================================================== leak.pii

case("nl", P("x", "@ankevdl_", "Anke"), "@kantlijn_helpt al 3x gebeld over mijn bestelling en niemand belt terug. "
     "Hier dan maar: <<PHONE:m_dash>>, bel me gewoon!!", [PII, COMPLAINT], kind="reply")
case("nl", P("facebook", "Roel Smulders"), "Wie wil mijn Kantlijnpas-tegoed overnemen? 40 euro aan punten, maak 25 over op "
     "<<IBAN:nl_grp>> t.n.v. R. Smulders en ik stuur de code", [PII], kind="comment")
case("nl", K_CARE, "@lezeres_anke Hoi Anke! Je pakket is opnieuw verstuurd naar Lindenlaan 14, 3581 GX Utrecht. "
     "Klopt dat adres nog? Groetjes, Mirjam", [PII], kind="reply")
case("en", K_CARE, "@tomreadsalot Hi Tom, sorry again! We've refunded €23,99 to the card you gave us on the phone "
     "(<<CARD:visa_sp>>), should land in 3-5 working days 📚", [PII], kind="reply")
case("nl", JH, "Klant vandaag aan de lijn, mevrouw Hoogendijk, had haar BSN <<BSN:dots>> in het opmerkingenveld van haar "
     "bestelling gezet 'voor de zekerheid'. Hoe dan.", [PII])
case("en", SE, "authors for saturday's signing in Haarlem, ping them directly if the trains are a mess again:\n"
     "Eva Rademaker <<PHONE:m_intl>>\nKoen Lindeboom <<PHONE:m_pairs>>", [PII])
case("en", P("instagram", "@lisareads.nl", "Lisa 📖"), "FINALLY got my Lumo 7 Kleur 😍😍 selling my old e-reader, "
     "email me at lisa.vbeek94@gmail.com if interested!! #bookstagram #ereader", [PII])
case("nl", MV, "Gefeliciteerd aan onze trouwste klant, meneer Willem Brouwer, vandaag 85 geworden! (geb. 3 april 1941) "
     "Komt al sinds de opening elke dinsdag z'n krant en een thriller halen 🎂📚", [PII], when="2026-04-03T10:12:44+02:00")
case("en", P("reddit", "u/mossy_tortoise"), "PSA: Kantlijn's order confirmation mails are showing OTHER people's details. "
     "Mine said deliver to 'J. Bakker, Molenstraat 7, 2011 KA Haarlem'. That's not me. They leaked customer data, "
     "who knows how many", [PII, CRISIS])
case("nl", P("x", "@sannevdhoek", "Sanne"), "Wie heeft mijn Lumo gevonden in de sprinter Utrecht-Amersfoort? 😭 Groen hoesje. "
     "Mailen naar sanne.vd.hoek [at] ziggo [punt] nl, beloning!!", [PII], tags={"evasion"})
case("nl", K_FB, "🎄 De winnaar van onze kerstpuzzel is Fenna de Graaf uit Zwolle! Fenna, je boekenpakket gaat naar "
     "Thorbeckegracht 22, check even je mail (fenna.degraaf@kpnmail.nl) 🎉", [PII], when="2026-12-21T11:00:00+01:00")
case("nl", P("linkedin", "geert-vermeulen-antwerpen", "Geert Vermeulen"), "Zes weken wachten op een terugbetaling van "
     "Kantlijn voor een geannuleerd evenement. Nogmaals voor de duidelijkheid, het gaat naar <<IBAN:be_grp>>. "
     "Dit kan toch niet zo moeilijk zijn?", [PII, COMPLAINT])
case("en", YA, "whoever left their wallet at the dc pickup desk: ID card says Mehmet Yilmaz, doc nr <<DOC>>, "
     "come grab it before friday lol", [PII])
case("nl", IM, "Betaling van klant P. Jongsma blijft hangen op de zakelijke rekening, zijn kaartnummer <<CARD:mc2_dash>> "
     "wordt telkens geweigerd. Kan iemand van payments meekijken?", [PII])
case("nl", P("tiktok", "@noor.leest", "Noor"), "net gesolliciteerd als zaterdaghulp bij Kantlijn 🤞🤞 moest echt alles invullen, "
     "BSN <<BSN>>, adres, alles. spannend!! #bijbaan", [PII])
case("en", P("x", "@joostreads"), "@kantlijn_helpt your checkout keeps failing and my card is FINE: <<CARD:amex_sp>> exp 09/28. "
     "what more do you want from me", [PII, COMPLAINT], kind="reply")
case("nl", JH, "Teruggebeld naar de verkeerde klant omdat het nummer verkeerd in het ticket stond 🙈 "
     "voor wie het oppakt: juiste nummer van mevr. Dekker is <<PHONE:l_sp>>", [PII])
case("en", P("mastodon", "@quietreader@mastodon.social"), "@kantlijn_helpt DMs aren't working for me so posting it "
     "here: <<IBAN:de>> for the refund. thanks for sorting it out!", [PII])

# =========================================================================== leak.pricing

case("nl", P("x", "@dealjager_nl", "Dealjager"), "Lumo 7 Kleur staat op kantlijn.nl voor €21,90 😳😳 snel zijn voordat ze het zien!!", [PRICING])
case("en", P("reddit", "u/ereader_enjoyer"), "Kantlijn pricing glitch? Lumo 10 Note is €39.90 at checkout. Ordered two, "
     "let's see if they honour it", [PRICING])
case("nl", MV, "Collega's let op: de Klassiekers cassette staat in de kassa op €24,90 ipv €249. NIET verkopen tot het gefixt is!", [PRICING])
case("nl", DK, "Haha de prijsstickers van de Lumo 6 zeggen €12,90 🙈 iemand is de komma vergeten in het dc #maandagochtend", [PRICING])
case("nl", K_X, "🔥 Alleen vandaag: de Lumo 10 Note voor €99,- 🔥 Op = op, bestel via kantlijn.nl", [PRICING])
case("nl", P("facebook", "Mariska Oosterhuis"), "Boekenbox Jeugd voor €8,99 in de app?? Is dat een foutje of echt? "
     "Heb er maar 3 besteld voor de kleinkinderen 😂", [PRICING], kind="comment")
case("en", P("forum", "plakband_pete"), "PSA: the Onbeperkt jaarabonnement is €11.90 for a full year if you go through the "
     "Belgian checkout. Obviously a mistake, grab it while it lasts", [PRICING])
case("en", YA, "psst the L-u-m-o 6 is €14,99 on the webshop rn, someone fat-fingered the import 🤫", [PRICING], tags={"evasion"})
case("nl", P("threads", "@koopjeskoningin", "Ilse"), "ＰＲＩＪＳＦＯＵＴ bij Kantlijn‼️ Lumo 10 Note voor €49 in de winkelmand, "
     "net afgerekend 🏃‍♀️💨", [PRICING], tags={"evasion"})
case("en", LB, "guess who shipped a decimal bug to prod 🙃 Klassiekers box went out at €2.49 for about 20 minutes before we caught it", [PRICING])
case("nl", P("x", "@bas_leest"), "Lumo 6 voor €64 in de Kantlijn app?! Dat is net minder dan de helft, prijsfout toch?", [PRICING])
case("en", P("tiktok", "@booktok.bram", "Bram"), "POV: Kantlijn has a price error on the Lumo 7 Kleur and you're refreshing "
     "checkout at 2am 😭 #booktok #deals", [PRICING])
case("nl", SE, "Er ging iets mis met de kortingscode voor de signeersessie: de Klassiekerscassette kwam bij afrekenen op €0,00 uit 🤦‍♀️ wordt aan gewerkt", [PRICING])
case("en", IM, "Heads-up for the Operatie Kaftpapier stores: during the clearance weeks the Lumo 6 goes out at €59. "
     "Don't share outside the project group.", [PRICING, CONF])

# =========================================================================== leak.confidential

case("en", LB, "staging for the new checkout is up at https://staging.kantlijn.local/checkout if you're on the VPN, "
     "feedback welcome before thursday", [CONF])
case("nl", RK, "Mooie mijlpaal vandaag: alle 1,2 miljoen epubs zijn over naar Codex Noord. Trots op dit team! 🚀", [CONF])
case("nl", DK, "Mocht vandaag al even spelen met de Lumo 8 Pro 😍 dat scherm!!! #kantlijn #ereader #nogevengeduld", [CONF],
     when="2026-07-14T16:22:05+02:00")
case("en", P("x", "@wimreadsbooks"), "my friend at kantlijn showed me the Lumo Scribe, it has a PEN. launching in september apparently 👀", [CONF],
     when="2026-08-30T21:03:44Z")
case("nl", SE, "Ik kan echt niet wachten tot jullie horen wie 'Nachtvlinders van Rotterdam' heeft geschreven 🤐🦋", [CONF],
     when="2026-09-20T19:45:00+02:00")
case("en", IM, "The deck literally says KANTLIJN CONFIDENTIAL on every slide but honestly the store teams deserve to see it", [CONF])
case("nl", YA, "wie snapt deze plattegrond van HQ: 'NIET VOOR EXTERN GEBRUIK - nieuwe indeling magazijn, zones B en C samengevoegd'. "
     "waar moeten de pallets dan heen??", [CONF])
case("nl", P("reddit", "u/pixelpluizer"), "Lol iemand van Kantlijn heeft in hun eigen Insta-story een screenshot gezet met "
     "backoffice.kantlijn.nl/orders/zoeken in de adresbalk", [CONF], kind="comment")
case("nl", MV, "Wie heeft de planning voor Project\nEzelsoor nog? Moet 'm vandaag doorsturen naar de filialen", [CONF], tags={"evasion"})
case("nl", DK, "Operatie 📦 Kaftpapier gaat hier in Groningen als eerste van start, meer mag ik echt niet zeggen 😶", [CONF],
     tags={"evasion"})
case("en", LB, "Codex" + ZWSP + " Noo" + ZWSP + "rd cutover moved to sunday night. pray for us 🙏", [CONF], tags={"evasion"})
case("en", SE, "Under NDA but omg the author we booked for the December event in Rotterdam is HUGE 🤯 "
     "ticket sales are going to melt the site", [CONF])
case("nl", IM, "Operatie Kaftpapier betekent concreet dat we in 2027 negen filialen sluiten, de rest krijgt een nieuwe inrichting. Zwaar jaar.",
     [CONF, FIN])
case("en", IM, "Drafting the H1 2026 results deck this week: revenue +14% yoy, e-books carrying us, stores flat. Long nights ahead",
     [CONF, FIN], when="2026-07-28T08:30:00+02:00")
case("nl", P("tiktok", "@gadgetgijs", "Gijs"), fullwidth("LUMO 8 PRO") + " gespot in de kast bij Kantlijn Utrecht 👀👀 #leak #ereader",
     [CONF], when="2026-09-12T13:15:09+02:00", tags={"evasion"})
case("nl", MV, "Pr\u043eject Ezelsoor gaat live in de testwinkels, spannend!! Nu nog de kassa's 😅", [CONF], tags={"evasion"})
case("nl", P("x", "@boekenmol"), "Lumo 8 Pro staat al in de webshop?? Direct weer weg maar ik zag 'm echt", [CONF],
     when="2026-09-15T09:59:00+02:00")
case("nl", P("instagram", "@marloes_leest", "Marloes"), "Achter de schermen bij de voorbereidingen voor Project Ezelsoor ✨ "
     "#kantlijn #nieuwewebshop", [CONF])

# =========================================================================== leak.financial

case("nl", IM, "Mag eigenlijk niks zeggen maar Q3 omzet ligt 8% onder budget, dus reken maar niet op een bonus dit jaar 😬", [FIN])
case("nl", YA, "gerucht op de vloer: DC Tilburg gaat dicht en alles gaat naar een externe logistieke partij. 60 man op straat. top.", [FIN])
case("en", MV, "Store managers were told this morning that Kantlijn is being acquired by a Scandinavian group. Announcement in November. "
     "Keep it quiet pls", [FIN])
case("en", P("reddit", "u/lazy_sunday_reader"), "My aunt works at Kantlijn HQ and says they're cutting half the customer service team "
     "and moving it to Portugal next spring", [FIN], kind="comment")
case("en", IM, "Forecast just got revised: EBITDA down to 4.1M from 6.0M for the year. Board meets Thursday. Pray for us finance folks", [FIN])
case("nl", RK, "Team e-books gaat in januari op in de nieuwe 'digital' unit, twaalf fte minder. Wordt vrijdag pas aangekondigd.", [FIN])
case("nl", SE, "Het eventteam wordt per 1 maart opgeheven, ik ben een van de ont" + SOFT + "slagen collega's… nog niet officieel dus sst", [FIN],
     tags={"evasion"})
case("nl", P("x", "@uitgeefster_j"), "Hoor van een vertegenwoordiger dat Kantlijn de overname van Boekhuis Ter Linde al rond heeft, "
     "wordt pas volgende maand bekendgemaakt", [FIN])
case("en", DK, "sales in our store dropped 30% since the webshop free shipping change. got the numbers today, brutal. not public yet", [FIN])
case("nl", YA, "0nt5l4gen in het dc volgende maand, ze zeggen 40 man. nog niet naar buiten gebracht dus je hebt het niet van mij", [FIN],
     tags={"evasion"})
case("en", P("stocktwits", "KNTL_bull"), "heard from someone inside Kantlijn that Q3 like-for-like is -6%, numbers out next week. "
     "not looking great", [FIN])

# =========================================================================== leak.security

case("nl", RK, "Sinds 04:00 kunnen klanten geen e-books downloaden en we zien rare requests op de licentieserver. "
     "Nog geen statement naar buiten, dus even onder ons houden.", [SEC])
case("en", LB, "found a bug where you can see anyone's order just by changing the number in the URL on the webshop. "
     "reported it internally, still not fixed 😬", [SEC])
case("nl", YA, "alle scanners en de wms in het dc liggen plat, iets met ransomware zeggen ze. we mogen er niks over posten maar ja", [SEC])
case("en", JH, "our ticket tool has been showing other customers' addresses in the preview pane since monday. "
     "we've been told not to say anything yet", [SEC])
case("nl", MV, "Phishingmail 'van de Kantlijnpas-afdeling' kwam vanochtend binnen en drie collega's hebben hun login ingevuld… IT is ermee bezig", [SEC])
case("en", P("x", "@angrybookdad"), "Kantlijn got hacked and they're hiding it. login page down for 2 days, not a word, and my password "
     "reset came from some weird domain. what are you covering up?", [SEC, CRISIS])
case("nl", P("reddit", "u/vla_met_vellen"), "Kantlijn verzwijgt een datalek. Mijn maat werkt bij de helpdesk en zegt dat er "
     "klantgegevens zijn buitgemaakt, maar ze doen alsof er niks aan de hand is", [SEC, CRISIS])
case("nl", RK, "d a t a l e k bij de Onbeperkt-backend, zo'n 20k accounts. Persbericht komt pas als legal akkoord geeft.", [SEC],
     tags={"evasion"})
case("en", LB, "our s3rv3rs got pwn3d last night and the e-book DRM keys might be out there. not public yet obvs", [SEC], tags={"evasion"})
case("en", DK, "the customer wifi in our store is wide open to the staff network. told IT three months ago, still nothing 🙃", [SEC])
case("nl", SE, "ticketsite voor de boekenbeurs ligt al 6 uur plat, we weten nog niet waarom en mogen niks communiceren tot marketing iets zegt", [SEC])
case("en", P("bluesky", "@sec-researcher-mo.bsky.social", "Mo"), "Kantlijn has an open Elasticsearch with customer orders. Reported it two "
     "weeks ago, and they still pretend nothing's wrong. Customers deserve to know.", [SEC, CRISIS])

# =========================================================================== reputation.crisis

case("nl", P("x", "@leesvrij_nl"), "BOYCOT Kantlijn! Ze halen boeken van queer auteurs uit de schappen in hun Brabantse winkels. "
     "Schandalig. #boycotkantlijn", [CRISIS])
case("nl", P("facebook", "Judith Kramer"), "Mijn Lumo 7 Kleur werd zo heet tijdens het opladen dat het scherm bol kwam te staan. "
     "Mijn dochter had hem op haar bed liggen!! En Kantlijn reageert gewoon niet op mijn mail.", [CRISIS, COMPLAINT])
case("en", P("blog", "boekenvak.example", "Boekenvak Nieuws"), "Author collective sues Kantlijn over unpaid e-book royalties: "
     "a claim of €2.3M was filed at the Amsterdam district court on Monday.", [CRISIS])
case("en", P("x", "@carefulcarla"), "Kantlijn recalling the Lumo 6 charger?? got an email saying stop using it immediately, fire risk. "
     "mine's been plugged in next to my bed for months", [CRISIS])
case("nl", P("instagram", "@woke.lezer", "Lezer"), "#b0yc0tkantlijn — ze verkopen nog steeds dat racistische pamflet op de toonbank. "
     "Niet meer kopen daar!!", [CRISIS], tags={"evasion"})
case("en", P("tiktok", "@mama.of.3", "Daphne"), "A bookshelf fell on a kid at the Kantlijn signing event in Utrecht today, "
     "ambulance came. how is nobody talking about this???", [CRISIS])
case("en", P("reddit", "u/tea_and_tomes"), "Kantlijn data breach? I'm getting phishing mails that quote my exact order history "
     "from their shop. They leaked our data. Furious.", [CRISIS])
case("nl", P("x", "@kritischeklant"), "d4t4l3k bij Kantlijn?? Mijn pasnummer en adres staan gewoon op een forum. Jullie zijn verantwoordelijk!!",
     [CRISIS], tags={"evasion"})
case("en", P("linkedin", "marc-de-boer-retail", "Marc de Boer"), "Kantlijn reportedly under investigation by the ACM for "
     "coordinating e-book prices with two publishers. If true, a serious scandal for Dutch book retail.", [CRISIS])

# =========================================================================== reputation.complaint

case("nl", P("x", "@moniek_b"), "Besteld op 2 december, 'morgen in huis' zeiden ze. Het is nu de 19e en nog steeds geen boeken. "
     "Topservice @kantlijn 🙃", [COMPLAINT], when="2026-12-19T20:14:03+01:00")
case("en", P("x", "@not_a_morning_person"), "my Kantlijn Onbeperkt sub renewed even though I cancelled in october. "
     "ticket open for 3 weeks now. great.", [COMPLAINT])
case("nl", P("facebook", "Henk Wassenaar"), "Boek kwam binnen met een gescheurde kaft en koffievlekken op de eerste pagina's. "
     "Nieuw?? Echt niet. Ik verwacht beter van een boekhandel.", [COMPLAINT], kind="comment")
case("en", P("reddit", "u/marginalia_marta"), "Lumo 10 Note freezes every single time I open a PDF. This is the second replacement, "
     "same issue. Kantlijn support just keeps saying 'reset it'.", [COMPLAINT])
case("nl", P("instagram", "@boekenwurm.zeeland", "Femke"), "Signeersessie 2 uur van tevoren afgelast terwijl wij uit Zeeland kwamen 😤 "
     "en geld terug? Nee hoor, een 'tegoedbon'. Bedankt Kantlijn.", [COMPLAINT], kind="comment")
case("nl", P("goodreads", "truus_leest", "Truus"), "Kantlijnpas punten zijn na de app-update gewoon verdwenen. 1200 punten weg en "
     "de klantenservice zegt dat ze niks zien in het systeem.", [COMPLAINT])
case("en", P("threads", "@lena.pages", "Lena"), "ebook I PAID for just vanished from my Kantlijn library. DRM error every time "
     "I try to redownload. paying for nothing tbh", [COMPLAINT])
case("nl", P("x", "@gefrustreerd_"), "k l a c h t: 4x gebeld, 4x in de wacht, 4x opgehangen. Kantlijn klantenservice is een lachertje", [COMPLAINT],
     tags={"evasion"})
case("en", P("youtube", "Readingwithrik", "Rik"), "Unboxing my Lumo 7 Kleur and there's a dead line down the middle of the screen "
     "straight out of the box. Kantlijn wants ME to pay return shipping. nope.", [COMPLAINT], kind="comment")
case("nl", P("mastodon", "@piet@mastodon.nl"), "Dubbel afgeschreven voor één bestelling bij Kantlijn en de terugbetaling duurt "
     "'tot 30 dagen'. Sorry?", [COMPLAINT])
case("nl", P("x", "@boos_boekje"), "Kantlijn, jullie zijn echt de grootste prutsers van Nederland. Derde keer het verkeerde boek geleverd. "
     "Klootzakken.", [COMPLAINT, ABUSE])
case("en", P("x", "@refund_pls"), "@kantlijn_helpt your agent literally called me stupid for asking about my refund?? "
     "fuck this company, still no money back", [COMPLAINT, ABUSE], kind="reply")
case("en", P("bluesky", "@commutereader.bsky.social"), "The Kantlijn reading app logs me out every five minutes and loses my place "
     "in the book. Unusable on the train.", [COMPLAINT])
case("nl", P("facebook", "Astrid Pauwels"), "Cadeaubon van €25 werkt niet in de webshop, alleen in de winkel?? Stond nergens bij. "
     "Hele verjaardagscadeau verpest.", [COMPLAINT])

# =========================================================================== reputation.abuse

case("nl", P("x", "@jeroen_xx"), "Die lange verkoper bij Kantlijn Haarlem is echt een debiel 😂😂", [ABUSE])
case("en", P("reddit", "u/hotdog_philosopher"), "Kantlijn staff are a bunch of clowns and their CEO is a complete moron", [ABUSE],
     kind="comment")
case("en", P("instagram", "@patriot_pieter"), "Kantlijn Rotterdam is full of headscarf cashiers now. Go back to your own country, "
     "this is a DUTCH bookshop", [ABUSE], kind="comment")
case("nl", MV, "Klant zeurt 20 minuten over een korting van €2 en gaat dan zonder iets weg. Wat een kutwijf. #retaillife", [ABUSE])
case("en", K_TT, "@bookhater99 nobody asked, idiot 🙄", [ABUSE], kind="reply")
case("en", P("x", "@ragequit_ray"), "kantlijn can go f*ck themselves, absolute sh1tshow of a company", [ABUSE], tags={"evasion"})
case("nl", P("x", "@tt_tygo"), "Kantlijn is een k.a.n.k.e.r bedrijf, tering op met jullie reclames", [ABUSE], tags={"evasion"})
case("nl", P("x", "@anoniem12837"), "@marloes_leest we weten waar jij werkt. Haarlem toch? Kijk maar uit als je om zes uur "
     "naar buiten loopt.", [ABUSE], kind="reply")
case("en", YA, "courier driver today was a total f-ing idiot, blocked the dock for an hour and then yelled at us", [ABUSE])
case("nl", P("youtube", "Kees B", "Kees"), "die irritante tyfusmuts in de nieuwe Kantlijn-reclame, elke keer weer", [ABUSE], kind="comment")

# =========================================================================== benign (hard negatives)

# own published contact data
case("nl", K_CARE, "Vragen over je bestelling? Mail naar klantenservice@kantlijn.nl of bel 030 799 44 00 (ma t/m za 9-18u) 📚",
     tags={"own-contact"})
case("en", K_X, "Press inquiries about the Boekenweek program: pers@kantlijn.nl • +31 30 799 4400", tags={"own-contact"})
case("nl", K_FB, "Steun de Boekenbus! 🚌📚 Elke donatie gaat naar schoolbibliotheken in Utrecht. Overmaken kan naar "
     "NL16 RABO 0318 2736 45 t.n.v. Kantlijn Boekhandels B.V. o.v.v. Boekenbus", tags={"own-contact"})
case("nl", P("x", "@tevreden_tineke"), "Net gebeld met 0800-2345 van Kantlijn, binnen twee minuten geholpen 👍", tags={"own-contact", "praise"})
case("en", JH, "If your order's stuck: evenementen@kantlijn.nl handles event tickets, klantenservice@kantlijn.nl everything else. "
     "We read everything, promise", tags={"own-contact"})
# look-alike numbers that fail their checksum
case("nl", K_CARE, "@rob_leest Fijn dat het gelukt is! Bestelnummer KL-<<NOTBSN:9>> staat nu op 'verzonden' 😊", kind="reply",
     tags={"checksum-fail"})
case("nl", P("instagram", "@leesclub.delft", "Leesclub Delft"), "Boek van de maand 📖 ISBN <<ISBN>>, te koop bij Kantlijn Delft. "
     "Aanrader voor wie van trage romans houdt!", tags={"checksum-fail"})
case("nl", P("x", "@pechvogel_p"), "Had een typfout in mijn eigen rekeningnummer op het Kantlijn-retourformulier gezet "
     "(<<BADIBAN:nl>>), daarom kwam het geld niet aan. Mijn fout dus, excuses @kantlijn_helpt!", tags={"checksum-fail"})
case("en", P("x", "@scamwatch_nl"), "Got a text 'from Kantlijn' asking me to confirm card <<BADCARD:mc_sp>>. Not even a real card "
     "number, lol. Blocked.", tags={"checksum-fail"})
case("nl", DK, "Nieuwe barcodescanner in de winkel doet het! Getest met <<EAN>> ✅📚", tags={"checksum-fail"})
case("nl", P("forum", "boekhoud_bert"), "Die nepfactuur had niet eens een geldig rekeningnummer: <<BADIBAN:de>>. "
     "Controlegetal klopte niet. Gewoon weggooien.", tags={"checksum-fail"})
case("nl", K_LI, "Kantlijn Boekhandels B.V. · KvK <<NOTBSN:8>> · Oudegracht 201, Utrecht. Wij zijn 42 winkels en één webshop vol verhalen.",
     tags={"checksum-fail"})
# sales and price talk
case("nl", K_IG, "Zomerdeal ☀️ De Lumo 7 Kleur nu €169 (was €219). Alleen deze week, in alle winkels en online!", tags={"price-talk"})
case("nl", K_X, "Met je Kantlijnpas €30 korting op de Lumo 10 Note, alleen dit weekend 🎁", tags={"price-talk"})
case("nl", K_FB, "Kantlijn Onbeperkt: lees zoveel je wilt voor €9,99 per maand, of neem het Onbeperkt jaarabonnement voor €119.",
     tags={"price-talk"})
case("nl", P("facebook", "Tim Verhoef"), "Verkoop mijn gebruikte Lumo 6, twee jaar oud, werkt prima. €45, ophalen in Delft.",
     tags={"price-talk"}, kind="post")
case("en", P("instagram", "@cozycornerbooks", "Cozy"), "Cute sleep cover for my Lumo 7 was only €14,95 at the Kantlijn till 🥰 #bookstagram",
     tags={"price-talk"})
case("nl", P("x", "@lezersvoordeel"), "Kindle Paperwhite voor €99 bij Leesberg deze week, iemand ervaring mee?", tags={"price-talk", "competitor"})
case("nl", K_CARE, "@dealjager_nl Geen prijsfout hoor 😉 De Boekenbox Jeugd is deze week echt €69,95!", kind="reply", tags={"price-talk"})
case("en", K_X, "Black Friday 🖤 Lumo 10 Note €239 (40% off), today only while stock lasts", tags={"price-talk"},
     when="2026-11-27T07:00:00+01:00")
case("nl", P("reddit", "u/koopjesjager"), "Prijsfout bij een Duitse webshop op een Kobo Libra, €19. Kantlijn doet zoiets nooit haha",
     tags={"price-talk", "competitor"})
# embargo terms at or after the embargo moment
case("nl", K_X, "Hij is er! De Lumo 8 Pro 🖊️✨ Vanaf nu te bestellen op kantlijn.nl", when="2026-09-15T08:00:00Z", tags={"embargo-after"})
case("nl", P("x", "@vroege_vogel"), "Lumo Scribe net besteld, eindelijk een e-reader waarop ik kan schrijven 🖊️",
     when="2026-09-15T10:00:00+02:00", tags={"embargo-after"})
case("nl", P("blog", "boekenvak.example", "Boekenvak Nieuws"), "Kantlijn publiceert halfjaarresultaten 2026: omzet +6%, "
     "e-books groeien het hardst.", when="2026-08-20T07:31:00+02:00", tags={"embargo-after", "published"})
case("nl", SE, "Eindelijk mag ik het zeggen: Nachtvlinders van Rotterdam is van Merel Stoutjesdijk 🦋📚 signeersessie 14 november!",
     when="2026-10-02T10:12:00+02:00", tags={"embargo-after"})
# codename near-misses
case("nl", P("x", "@bieb_brigitte"), "Wie zet er nou een ezelsoor in een boek van de bieb 😤 doe gewoon een boekenlegger", tags={"codename-word"})
case("en", P("instagram", "@giftwrapgirl"), "wrapped all the Kantlijn gifts in old kaftpapier from my school days 😂📚", tags={"codename-word"})
case("en", P("x", "@rarebookrob"), "Codex Seraphinianus finally back in stock at Kantlijn Amsterdam! go go go", tags={"codename-word"})
# published results, other companies
case("en", P("linkedin", "sanne-visser-analyst", "Sanne Visser"), "Kantlijn's 2025 annual report is out: revenue €212M, "
     "e-book subscriptions up 31%. Solid year for Dutch book retail.", tags={"published"})
case("nl", P("x", "@boekenvakkie"), "Leesberg schrapt 80 banen bij de winkels, sterkte aan alle boekverkopers daar 💔", tags={"other-company"})
case("en", P("reddit", "u/papercut_pam"), "Paperhaven UK had a data breach last week, glad all my stuff is with Kantlijn tbh",
     tags={"other-company"})
# other senses of risky words
case("en", P("x", "@forgetfulfran"), "I can't recall the title of that novel about a lighthouse keeper, bought it at Kantlijn last "
     "summer. Anyone?", tags={"word-sense"})
case("nl", P("instagram", "@kattenmens", "Mies"), "Mijn kat boycot haar nieuwe mand en slaapt liever op mijn stapel Kantlijn-boeken 😹",
     tags={"word-sense"})
case("nl", P("x", "@vergeetachtig"), "Mijn geheugen is één groot datalek, ben alweer vergeten welke boeken ik al heb 🤦", tags={"word-sense"})
# negated complaints
case("nl", P("x", "@blij_met_boeken"), "Geen klachten over Kantlijn hoor, bestelling binnen een dag en netjes verpakt 👌", tags={"negated"})
case("en", P("threads", "@slowreader", "Jo"), "Not complaining at all, my Lumo 6 battery lasts weeks. Kantlijn did good.", tags={"negated"})
case("nl", P("facebook", "Gerda Mulder"), "Dacht dat mijn pakket kwijt was, lag gewoon bij de buren. Dus geen gezeur van mij 😅",
     tags={"negated"}, kind="comment")
# quotes, fiction, jokes, mild words
case("en", P("x", "@sartre_stan"), "'Hell is other people.' Heaven is a Kantlijn store on a rainy Sunday ☔📚", tags={"quote", "mild-word"})
case("nl", K_IG, "Nieuw in de winkel: 'Leven met kanker', het eerlijke boek van oncoloog Hanneke Zijlstra. Een aanrader. 💛",
     tags={"mild-word"})
case("en", P("blog", "thrillerjunkie.example", "Thriller Junkie"), "In chapter 12 the detective finds the victim's passport and a "
     "stack of bank cards hidden in the bookshop's back room. Best Dutch thriller I read this year.", tags={"fiction"})
case("nl", P("x", "@stapelaar"), "Mijn boekenstapel is zo hoog dat ik een reorganisatie nodig heb 😂 iemand tips voor kasten?",
     tags={"joke"})
case("en", P("x", "@nightowlreads"), "'Damn,' he whispered, 'the key was under the mat all along.' Finished De Stille Kade in one night.",
     tags={"quote", "mild-word"})
# praise, questions, ordinary corporate and employee posts
case("en", P("x", "@poetrypeter"), "Shoutout to the Kantlijn staff in Groningen for tracking down that out-of-print poetry book for me ❤️",
     tags={"praise"})
case("nl", K_TT, "3 boeken die je deze zomer MOET lezen 📚☀️ #BookTok #kantlijnleest", tags={"ordinary"})
case("nl", SE, "Zaterdag signeersessie met Eva Rademaker in Haarlem 🎉 kaartjes via evenementen.kantlijn.nl", tags={"ordinary"})
case("en", RK, "We're hiring platform engineers who love books 📚 Apply via the careers page on kantlijn.nl", tags={"ordinary"})
case("nl", K_CARE, "Gepland onderhoud: vannacht tussen 01:00 en 04:00 is de e-bookwinkel niet bereikbaar. Excuses voor het ongemak!",
     tags={"official-notice"})
case("en", K_X, "We know some of you can't download e-books right now. Our team is on it, updates will follow here.",
     tags={"official-notice"})
case("nl", MV, "Leesclub vanavond in de winkel was weer zo gezellig, volgende maand lezen we 'De Stille Kade' ☕", tags={"ordinary"})
case("nl", YA, "Piekdrukte in het dc, 14.000 pakketten vandaag de deur uit. Respect voor de hele ploeg 💪📦", tags={"ordinary"})
# secret look-alikes
case("en", LB, "PSA for juniors: never paste stuff like sk_live_... or AKIAXXXXXXXXXXXXXXXX into slack. use the vault, always.",
     tags={"secret-lookalike"})
case("en", RK, "Fixed the epub cover cropping bug in <<SHA>>, thanks to everyone who reported it!", tags={"secret-lookalike"})
case("nl", P("x", "@tevreden_klant"), "Wachtwoord van mijn Kantlijn-account vergeten, reset-mail kwam binnen een minuut. Fijn!",
     tags={"secret-lookalike"})
# case-variant handles of known accounts (roles still from the profile)
case("nl", K_CARE, "@leesmoeder Graag gedaan! Fijne leesavond 📚", kind="reply", handle_as="@Kantlijn_Helpt", tags={"handle-case"})
case("en", P("linkedin", "Ruben-Kowalski-Kantlijn", "Ruben Kowalski"), "Great talk at the Dutch Tech Days about offline-first "
     "reading apps. Slides on my profile!", tags={"handle-case"})


# --------------------------------------------------------------------------- build

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_checked):
    sev = "none"
    insider = role != "public"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SECRET, PRICING) or (c == PII and pii_checked) else "error"
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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def dst_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    base = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 350),
                                                                            minutes=r.randint(6 * 60 + 30, 23 * 60 + 40),
                                                                            seconds=r.randint(0, 59))
    off = dst_offset(base)
    utc = base - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return "x-" + big, f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return "ig-" + big, "https://www.instagram.com/p/" + "".join(r.choice(URLSAFE) for _ in range(11)) + "/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return "t1_" + c, f"https://www.reddit.com/r/boeken/comments/{p}/_/{c}/"
        return "t3_" + p, f"https://www.reddit.com/r/boeken/comments/{p}/"
    if platform == "threads":
        return "th-" + big, f"https://www.threads.net/@{h}/post/" + "".join(r.choice(URLSAFE) for _ in range(11))
    if platform == "bluesky":
        k = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{k}", f"https://bsky.app/profile/{h}/post/{k}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(113_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "tiktok":
        return "tt-" + big, f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        return "yt-" + c, "https://www.youtube.com/watch?v=" + "".join(r.choice(URLSAFE) for _ in range(11)) + "&lc=" + c
    if platform == "forum":
        n = r.randint(100000, 999999)
        return f"forum-lezersplein-{n}", f"https://forum.lezersplein.example/t/{n}"
    if platform == "blog":
        n = r.randint(100, 9999)
        return f"blog-{h}-{n}", f"https://{h}/posts/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED * 7 + 1)
    order = random.Random(SEED * 7 + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        checked = PII in c["cats"] and any(k in CHECKED_IDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], checked)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.6:
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
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "nl" if c["lang"] == "en" else "en"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or some_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "kantlijn"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         tags=tags, used=used))
    order.shuffle(rows)
    return rows


def lines_of(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- self-check

INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_RUN = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
RE_MAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-().]{7,16}\d")
RE_SECRET = re.compile(r"ghp_\w{36}|npm_\w{36}|glpat-[\w-]{20}|AKIA[A-Z2-7]{16}|sk_live_\w{20,}|AIza[\w-]{35}|SG\.[\w-]{22}\.[\w-]{43}"
                       r"|hooks\.slack\.com/services/|PRIVATE KEY-----|eyJ[\w-]+\.eyJ|://[^\s:/@]+:[^\s@/]+@")
SWEAR = ["kut", "kanker", "tering", "tyfus", "klootzak", "debiel", "prutser", "fuck", "f*ck", "shit", "sh1t", "idiot", "moron",
         "clown", "hell", "damn"]


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def digits_phone(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("0031"):
        d = d[4:]
    elif raw.startswith("+31"):
        d = d[2:]
    else:
        return d
    return "0" + (d[1:] if d.startswith("0") else d)


def amounts(t):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)", t):
        s = m.group(1).rstrip(".,")
        if "," in s:
            s = s.replace(".", "").replace(",", ".") if re.search(r",\d{1,2}$", s) else s.replace(",", "")
        elif re.search(r"\.\d{3}$", s):
            s = s.replace(".", "")
        out.append(float(s))
    return out


def check(disk, rows, profile):
    errs = []
    own_mail = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_iban = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_phone = {digits_phone(p) for p in profile["public_identifiers"]["phones"]}
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]]
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in profile["embargo"] for t in e["terms"]]
    for n, (line, r) in enumerate(zip(disk, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        t = p["text"]
        nt = norm(t)
        cats = ex["categories"]
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{n}: not 2026")
        for k, raw, shown in r["used"]:
            assert shown in t
            if k == "IBAN" and not mod97_ok(raw): errs.append(f"{n}: iban")
            if k == "BADIBAN" and mod97_ok(raw): errs.append(f"{n}: bad iban passes")
            if k == "CARD" and not luhn(raw): errs.append(f"{n}: card")
            if k == "BADCARD" and luhn(raw): errs.append(f"{n}: bad card passes")
            if k == "BSN" and not elfproef(raw): errs.append(f"{n}: bsn")
            if k in ("NOTBSN", "ISBN", "EAN") and (elfproef(raw) or luhn(raw)): errs.append(f"{n}: look-alike passes")
            if k in ("GHP", "NPM") and base62(zlib.crc32(raw[4:34].encode())).rjust(6, "0") != raw[34:]:
                errs.append(f"{n}: token crc")
        for term, until in emb:
            if term in nt:
                if ts < until and CONF not in cats: errs.append(f"{n}: embargo term {term} unlabelled")
                if ts >= until and CONF in cats: errs.append(f"{n}: embargo term {term} after until but labelled")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", nt) and CONF not in cats:
                errs.append(f"{n}: internal term {term} unlabelled")
        if not cats:
            for m in RE_IBAN.finditer(t):
                if mod97_ok(m.group(0)) and m.group(0).replace(" ", "") not in own_iban:
                    errs.append(f"{n}: benign valid iban")
            for m in RE_RUN.finditer(t):
                d = re.sub(r"\D", "", m.group(0))
                if (13 <= len(d) <= 19 and luhn(d)) or (len(d) in (8, 9) and elfproef(d) and d not in own_phone):
                    errs.append(f"{n}: benign checksum-valid number {m.group(0)}")
            for m in RE_MAIL.finditer(t):
                if m.group(0).casefold() not in own_mail: errs.append(f"{n}: benign mail {m.group(0)}")
            for m in RE_PHONE.finditer(RE_IBAN.sub(" ", t)):
                d = digits_phone(m.group(0).strip())
                if len(d) == 10 and d not in own_phone:
                    errs.append(f"{n}: benign phone {m.group(0)}")
            for m in RE_SECRET.finditer(t):
                if m.group(0) == "AKIAXXXXXXXXXXXXXXXX":
                    continue
                errs.append(f"{n}: benign secret-like {m.group(0)[:12]}")
            for w in SWEAR:
                if re.search(r"\b" + re.escape(w), nt) and w not in ("hell", "damn", "kanker"):
                    errs.append(f"{n}: benign swear {w}")
            for prod in profile["products"]:
                if any(a.casefold() in nt for a in [prod["name"]] + prod["aliases"]):
                    low = [a for a in amounts(t) if a / prod["list_price"] < profile["pricing"]["alert_below_ratio"]]
                    if low and "price-talk" not in r["tags"]:
                        errs.append(f"{n}: benign low price {low} near {prod['name']}")
        want = severity_for(r["role"], cats, PII in cats and any(k in CHECKED_IDS for k, _, _ in r["used"]))
        if want != ex["severity"]:
            errs.append(f"{n}: severity")
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{n}: categories")
        if len(t.encode()) > 65536:
            errs.append(f"{n}: too long")
    ids = [(json.loads(l)["post"]["platform"], json.loads(l)["post"]["id"]) for l in disk]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    return errs


def report(rows):
    by_cat, cat_lang, by_role, by_sev, by_plat, by_lang = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        by_role[r["role"]] += 1
        by_sev[r["expect"]["severity"]] += 1
        by_plat[r["post"]["platform"]] += 1
        by_lang[r["lang"]] += 1
        if not cats:
            by_cat["(benign)"] += 1
            cat_lang[("(benign)", r["lang"])] += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            by_cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
    print(f"cases {len(rows)}  multi-category {multi}  evasion {ev}")
    for c in CATS + ["(benign)"]:
        print(f"  {c:24s} {by_cat[c]:4d}  nl {cat_lang[(c, 'nl')]:3d}  en {cat_lang[(c, 'en')]:3d}")
    print("roles", dict(by_role), "\nseverity", {s: by_sev[s] for s in SEVERITIES}, "\nlang", dict(by_lang))
    print("platforms", dict(by_plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = lines_of(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        report(rows)
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
