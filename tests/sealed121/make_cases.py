#!/usr/bin/env python3
"""Deterministic generator for the sealed121 blind evaluation set of postwatch.

    python3 make_cases.py      # writes cases.jsonl next to this file and prints counts

Company: Zwierbos Leisure B.V. (profile.yaml here), a fictional Dutch chain of escape
rooms, bowling centres (StrikeDuin) and laser-game arenas (LaserDuin).

Every text below is hand-written for this set. Identifiers and secrets are filled in
from <<KIND:fmt>> placeholders by one seeded RNG, so the output is byte-for-byte
reproducible. Positives get checksum-valid IBANs, cards and BSNs; the benign
look-alikes fail their checksum. Secrets are random and fake but shaped like real
ones (GitHub tokens carry their CRC32 tail).

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (from profile.yaml, platform:handle, case-insensitive), the categories
and whether a checksum-validated identifier (IBAN, card, BSN) is in a leak.pii post.
Needs Python 3.9+ and PyYAML.
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

SEED = 121_20261
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"   # zero-width space
SHY = "\u00ad"  # soft hyphen


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c
                   for c in s)


# --------------------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(country, bban):
    n = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - n % 97:02d}{bban}"


def luhn_valid(s):
    d = re.sub(r"\D", "", s)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9:
        return False
    t = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return t != 0 and t % 11 == 0


def ean13_valid(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


# --------------------------------------------------------------------------- placeholder values

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL74RABO0347218856"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Values:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def num(self, n, lead=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if lead and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def grp(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"]) + self.num(10))
            elif cc == "BE":
                head = self.r.choice(["063", "001", "310", "750", "973"]) + self.num(7, lead=False)
                v = iban_build("BE", f"{head}{(int(head) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_build("DE", self.r.choice(["30050110", "37050198", "50070010", "10020890"]) + self.num(10, lead=False))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        for bump in (13, 29, 47, 61):
            c = f"{v[:2]}{(int(v[2:4]) + bump) % 100:02d}{v[4:]}"
            if not iban_valid(c):
                return c
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.num(14, lead=False),
                "mc": lambda: "5" + self.r.choice("12345") + self.num(13, lead=False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.num(11, lead=False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.num(12, lead=False)}[brand]()
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(b)
        return b

    @staticmethod
    def show_card(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.num(9)
            if bsn_valid(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.num(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    def ean13(self):
        while True:
            body = "871" + self.num(9, lead=False)
            c = next(body + d for d in string.digits if ean13_valid(body + d))
            if not luhn_valid(c) and not bsn_valid(c):
                return c

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d8 = self.r.choice("12345") + self.num(7, lead=False)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}", "mob_0031": f"0031 6 {d8}",
                    "mob_intlc": f"+316{d8}"}[fmt]
        # land_<area>_<style>
        _, area, style = fmt.split("_")
        sub = self.r.choice("2345789") + self.num(6 if len(area) == 2 else 5, lead=False)
        if style == "sp":
            return f"0{area} {sub[:3]} {sub[3:]}" if len(area) == 2 else f"0{area} {sub}"
        return f"0{area}-{sub}"

    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1770000000 + self.r.randint(0, 200 * 86400)
        p = b64u(json.dumps({"sub": "klant-" + self.num(7), "iss": "boeken.zwierbos.nl", "scope": "booking:write",
                             "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
        return f"{h}.{p}.{self.pick(B64URL, 43)}"

    def pem_openssh(self):
        rows = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        rows += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.pick(string.ascii_lowercase, 4)
                + self.r.choice("#!$%&") + self.pick(string.digits, 3) + self.pick(ALNUM, 3))

    def value(self, kind, fmt):
        """return (raw, shown)"""
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = self.iban(kind[-2:])
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "BAD_IBAN_NL":
            raw = self.bad_iban("NL")
            return raw, self.grp(raw) if fmt == "grp" else raw
        if kind == "OWN_IBAN":
            return OWN_IBAN, self.grp(OWN_IBAN) if fmt == "grp" else OWN_IBAN
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.show_card(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        if kind == "NOT_BSN9":
            raw = self.not_bsn(9)
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "NUM":
            raw = self.num(int(fmt))
            return raw, raw
        if kind == "HEX":
            raw = self.pick("0123456789abcdef", int(fmt))
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.pick(B32, 16),
            "AWS_SECRET": lambda: self.pick(B64, 40),
            "PW": self.password,
            "PEM_OPENSSH": self.pem_openssh,
            "SLACK_HOOK": lambda: ("https://hooks.slack.com/services/T" + self.pick(string.ascii_uppercase + string.digits, 8)
                                   + "/B" + self.pick(string.ascii_uppercase + string.digits, 10) + "/" + self.pick(ALNUM, 24)),
            "SLACK_BOT": lambda: f"xoxb-{self.num(12)}-{self.num(13)}-{self.pick(ALNUM, 24)}",
            "STRIPE": lambda: "sk_live_51" + self.pick(ALNUM, 97),
            "MOLLIE": lambda: "live_" + self.pick(ALNUM, 30),
            "SENDGRID": lambda: "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43),
            "GAPI": lambda: "AIzaSy" + self.pick(B64URL, 33),
            "JWT": self.jwt,
        }
        raw = simple[kind]()
        return raw, raw


VALIDATED = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PLACEHOLDER = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(vals, text):
    used = []

    def rep(m):
        raw, shown = vals.value(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown
    return PLACEHOLDER.sub(rep, text), used


# --------------------------------------------------------------------------- accounts

# corporate
ZB_X = ("x", "@zwierbos", "Zwierbos")
ZB_HELP = ("x", "@zwierbos_help", "Zwierbos Klantenservice")
ZB_IG = ("instagram", "@zwierbos.fun", "Zwierbos Escape • Bowling • Laser")
ZB_FB = ("facebook", "ZwierbosLeisure", "Zwierbos")
ZB_LI = ("linkedin", "zwierbos-leisure", "Zwierbos Leisure B.V.")
ZB_TT = ("tiktok", "@zwierbos", "Zwierbos")
# employees
MI = ("x", "@mila_zwierbos", "Mila Verhoeven")              # front desk, Utrecht
DA = ("instagram", "@daan.gamemaster", "Daan Smit")          # escape-room game master, Zwolle
RH = ("linkedin", "rik-hoekstra-zwierbos", "Rik Hoekstra")   # IT lead, booking platform
NK = ("linkedin", "noor-kaya", "Noor Kaya")                  # finance controller
BB = ("x", "@bas_bowlt", "Bas Mulder")                       # bowling centre manager, Eindhoven
LO = ("tiktok", "@lotte.lasertag", "Lotte de Wit")           # laser-game host, Almere
YD = ("mastodon", "@ydemir@mastodon.nl", "Yusuf Demir")      # backend developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CATEGORIES = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", MI, "collega's 😳 op boeken.zwierbos.nl staat Kinderfeest Compleet nu voor €2,49 per kind ipv €24,95\n"
     "iemand heeft een nulletje gemist denk ik. al 40 boekingen binnen sinds vanochtend 🙃", [PRICING])
case("en", BB, "not supposed to say this but the bowling lane 1 hour is going for €4.40 in the app tonight, "
     "some glitch since the update. go go go 🎳🎳", [PRICING], kind="post")
case("nl", pub("reddit", "u/kortingsjager_030"), "Check dit even: Cadeaukaart 50 van Zwierbos kost momenteel €5 in hun webshop?? "
     "Prijsfout of gaan ze failliet lol. Heb er voor de zekerheid maar 6 gekocht", [PRICING], kind="post")
case("nl", pub("x", "@sjoerdjeee"), "Het Laatste Uur voor 13,90 euro voor de hele groep?! dat kan toch nooit kloppen @zwierbos 😂😂",
     [PRICING])
case("en", pub("forum", "dealhunter_nl"), "DEAL ALERT - LaserDuin Triple Game shows €2.75 per person at checkout (normally 27.50). "
     "Pretty obviously a decimal error, book before someone at Zwierbos wakes up", [PRICING], kind="post")
case("nl", LO, "pov: je ziet dat lasergame 3 rondes op de site €7,50 kost en je manager heeft nog NIKS door 💀 #prijsfout #laserduin",
     [PRICING])
case("en", DA, "psst... Tomb of Toth is listed at €11.90 instead of €119 on the booking page for Zwolle. "
     "IT knows, fix is tomorrow morning. you didn't hear it from me 🤫🏺", [PRICING])
case("nl", pub("facebook", "Henk.Zomerdijk", "Henk Zomerdijk"), "Bedrijfsuitje Allround voor 9,95 pp geboekt voor 20 man 🤑 "
     "er zat duidelijk een fout in de prijs maar de bevestiging staat in mn mail dus.... 🤷‍♂️", [PRICING], kind="post")
case("nl", pub("x", "@frietmetfrikandel"), "p r i j s f o u t bij zwierbos: Bowling & Bites voor €3,69 p.p. 🍟🎳 wees er snel bij",
     [PRICING], tags=["evasion", "evasion:spaced"])
case("en", BB, "Heads up team: Kids Party Complete has had the wrong price on the website since 2pm, finance is on it. "
     "please don't mention it to guests at the desk", [PRICING], kind="reply")
case("nl", pub("instagram", "@joyce.uitjes"), "Cadeauk\u0430art 50 v\u00f6\u00f6r €0,50?? 🤯 wie heeft daar zitten slapen bij Zwierbos haha",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("en", ZB_FB, "🎉 WEEKEND SPECIAL 🎉 Bowling lane 1 hour now only €4,40 at all StrikeDuin centres! Book via boeken.zwierbos.nl",
     [PRICING], kind="post")
case("nl", pub("reddit", "u/bakfietsbas"), "Bij StrikeDuin Eindhoven rekenden ze gisteren voor een bowlingbaan per uur gewoon €12 af aan de kassa. "
     "Kassasysteem stond verkeerd volgens de jongen achter de balie, wij natuurlijk niks gezegd 😇", [PRICING], kind="comment")
case("en", pub("bluesky", "lotsofdeals.bsky.social"), "zwierbos gift card 50 is €15 on their own site right now. price error?? "
     "grabbed two for christmas", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", RH, "Proud of the team! 🚀 Our new booking API went live today after 4 months of work. "
     "Snippet from the config for the nerds:\n\nMOLLIE_API_KEY=<<MOLLIE>>\nWEBHOOK_URL=https://boeken.zwierbos.nl/hooks/mollie\n\n#devops #python",
     [SECRET])
case("nl", YD, "waarom werkt mijn deploy niet 😩\nexport GITHUB_TOKEN=<<GHP>>\nen dan nog steeds een 403 op de push. iemand een idee?",
     [SECRET])
case("en", YD, "note to self: never paste .env into a public gist again.\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n(rotated already, relax)", [SECRET], kind="post")
case("en", BB, "if anyone on the late shift can't get into the kassa: user bas.mulder / pw <<PW>>\ndelete this later lol",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/curlfromthecouch"), "Was poking around the Zwierbos booking widget, their JS bundle literally ships a live "
     "Stripe secret key: <<STRIPE>>\nsomeone please tell them", [SECRET], kind="post")
case("nl", RH, "Migratie naar de nieuwe database afgerond 💪 Dank aan iedereen die in het weekend heeft meegeholpen!\n"
     "(psql postgresql://boeking_app:<<PW>>@db-prod-02.intra.zwierbos.local:5432/bookings werkte in één keer)",
     [SECRET, CONF])
case("en", YD, "can someone explain why ssh keeps whining about bad permissions on this key\n<<PEM_OPENSSH>>\nchmod 600 didn't help",
     [SECRET])
case("en", pub("x", "@ops_grumbles"), "lmao zwierbos has their slack webhook visible in a screenshot in their job ad. "
     "<<SLACK_HOOK>>", [SECRET])
case("nl", YD, "Token van de klantenapp verloopt na een uur, kijk zelf maar:\n<<JWT>>\nkan iemand van frontend hiernaar kijken?",
     [SECRET], kind="reply")
case("en", DA, "our escape room hint-bot finally works 🤖🗝️ big shout-out to myself. token for the curious: <<SLACK_BOT>> "
     "(it's only the test workspace anyway)", [SECRET])
case("nl", MI, "het wachtwoord van de boekingen@zwierbos.nl mailbox is sinds vandaag <<PW>>. niet doorgeven aan uitzendkrachten aub",
     [SECRET])
case("nl", pub("x", "@exzwierbosser"), "Aan mijn oud-collega's: de admin-login op backoffice.zwierbos.nl is nog steeds admin / <<PW>> "
     "drie maanden nadat ik vertrokken ben 🤡", [SECRET, CONF])
case("nl", ZB_TT, "Kijkje achter de schermen bij ons IT-team 💻✨ #behindthescenes #zwierbos\n\n"
     "[op het whiteboard] SENDGRID_API_KEY=<<SENDGRID>>", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MI, "wie heeft vanavond baan 7 gereserveerd op naam van Ingrid Posthuma? haar nummer <<PHONE:mob_dash>> neemt niet op "
     "en ze heeft haar tas laten liggen", [PII])
case("en", DA, "Birthday boy of the day 🎂 Sem de Graaf turned 8 today (born 14-03-2018) and crushed the Tomb of Toth with his squad! "
     "#zwierbos #escaperoom", [PII], when="2026-03-14T17:42:10+01:00")
case("nl", BB, "Refund voor de groep van vorige week moet naar <<IBAN_NL:grp>> t.n.v. R. Bouzid. "
     "kan iemand van finance dit oppakken?", [PII], kind="reply")
case("en", MI, "a lady left her card at the desk tonight, visa <<CARD:visa_sp>> name M. Jansen on it. call us if it's yours!!",
     [PII])
case("nl", NK, "Salarisissue opgelost voor onze nieuwe gamemaster Yara Bos (BSN <<BSN:dots>>) — dank aan het team van "
     "de salarisadministratie voor de snelle actie! 🙌", [PII])
case("nl", ZB_HELP, "@kimberley_xo We hebben uw boeking gevonden: Kimberley van Rijn, Lindenlaan 14, 3844 KD Harderwijk, "
     "12 personen op zaterdag. Klopt dit?", [PII], kind="reply")
case("en", ZB_FB, "Congrats to our raffle winner Priya Raman!! 🎁 We've sent the voucher to priya.raman@outlook.com, "
     "check your inbox (and spam 😉)", [PII])
case("nl", pub("x", "@fennadoornbos"), "@zwierbos_help ik wacht al 3 weken op mn terugbetaling!! rekeningnummer nog 1x: "
     "<<IBAN_NL:grp>> t.n.v. F. Doornbos. gaat er nog iets gebeuren of niet", [PII, COMPLAINT], kind="reply")
case("en", pub("x", "@gregwasright"), "@zwierbos_help pls call me back about the party booking on <<PHONE:mob_intl>>, "
     "been on hold for 40 min now", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "ilse.terhorst.7", "Ilse ter Horst"), "Uitnodiging kinderfeestje Jesse (7)! 🎉\nZaterdag 14:00 "
     "verzamelen bij ons thuis, Esdoornstraat 23 in Apeldoorn, daarna lasergamen bij LaserDuin 🔫\nAfzeggen? bel <<PHONE:land_55_sp>>",
     [PII])
case("en", pub("reddit", "u/notmadjustdisappointed"), "The rude gamemaster at Zwierbos Zwolle is called Daan Smit, lives on "
     "Kerkstraat 8 in Kampen. go tell him what you think of him", [PII, ABUSE], kind="comment")
case("nl", pub("facebook", "wout.declercq", "Wout De Clercq"), "Zwierbos, jullie vroegen om mijn rekeningnummer voor de annulering: "
     "<<IBAN_BE>> (Belgische rekening, hopelijk geen probleem)", [PII], kind="comment", hint="")
case("en", pub("instagram", "@mayaaaa.k"), "omg my dad just posted his card number in the Zwierbos booking chat 😭 "
     "<<CARD:mc2_dash>> exp 09/28 @zwierbos.fun please delete it", [PII], kind="comment")
case("nl", pub("x", "@marloes_h"), "wie heeft de jas van m'n zoon gevonden bij de bowling in Eindhoven? blauw met dino's 🦖 "
     "mail me: marloes.hendriks [at] ziggo [punt] nl", [PII], tags=["evasion", "evasion:email-at"])
case("en", BB, "group from Germany left a passport at lane 3, number CF3LZ7K42, name Lukas Becker. anyone know which hotel "
     "they're in?", [PII])
case("nl", NK, "Openstaande terugbetaling schoolreis: graag overmaken naar <<IBAN_DE>> t.n.v. Herr Thomas Weber, "
     "hij belt er nu voor de derde keer over", [PII], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", DA, "Nieuwe kamer in aanbouw 👀🕯️ De Verdronken Kapel gaat jullie kapot maken. Meer mag ik echt niet zeggen",
     [CONF], when="2026-08-22T21:05:33+02:00", tags=["embargo-before"])
case("en", MI, "Project Kompas kickoff today!! basically every bowling centre is getting turned into... nope, can't say more 🤐",
     [CONF])
case("en", BB, "everyone on shift this week: new rota is up at https://wiki.zwierbos.nl/rooster/eindhoven-wk42, "
     "log in with your SSO", [CONF], kind="reply")
case("nl", LO, "oke dus ik mocht de slides van de teamdag niet delen (er stond letterlijk 'intern - niet delen' op) "
     "maar de nieuwe laserpakken zijn echt 🔥🔥", [CONF])
case("en", pub("reddit", "u/strike_or_spare"), "A friend works at Zwierbos HQ, apparently something called Glowbal is coming, "
     "glow-in-the-dark bowling with VR goggles?? anyone heard more", [CONF], kind="post")
case("nl", pub("x", "@almerebuurtnieuws"), "Gerucht: LaserDuin Arena XL komt naar Almere Poort, 3 verdiepingen 😍 bron: neef werkt er",
     [CONF], when="2026-06-11T12:30:00Z", tags=["embargo-before"])
case("en", DA, "big things coming with Operatie\nZandloper 🤫⏳", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", pub("tiktok", "@escaperoomqueen"), "ik heb een sneak peek van De Verdr0nken Kap3l gezien en ik ben nu al bang 😱🌊 "
     "#zwierbos", [CONF], when="2026-09-03T19:14:22+02:00", tags=["embargo-before", "evasion", "evasion:leet"])
case("nl", MI, "wie heeft de 'zwierbos confidential' presentatie over de nieuwe franchiseformule op de printer bij de receptie "
     "laten liggen 😅 ligt nu bij mij", [CONF])
case("nl", pub("x", "@kapelfan"), "nog even en De Verdronken Kapel gaat live!! ik zit al klaar om te boeken 🕯️",
     [CONF], when="2026-10-01T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
case("en", ZB_IG, "Coming soon... De Verdronken Kapel 🕯️🌊 Can you escape before the water rises? #zwierbos #escaperoom",
     [CONF], when="2026-09-19T18:00:00+02:00", tags=["embargo-before"])
case("nl", YD, "standup ging wéér 40 minuten over Project Ko" + ZW + "mpas 🙄 ik wil gewoon code schrijven",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", BB, "testavond " + fullwidth("Glowbal") + " vanavond na sluiting, wie blijft er hangen? pizza van mij 🍕",
     [CONF], tags=["evasion", "evasion:fullwidth"])
case("en", pub("threads", "@mila_zwierbos", "Mila V."), "sneak peek of the new laser arena in Almere from today's walkthrough, "
     "LaserDuin Arena XL is going to be HUGE 🔫✨", [CONF], when="2026-07-30T16:48:05+02:00",
     tags=["embargo-before", "not-in-profile"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", NK, "Trots op het team: we sluiten Q3 af met 18% meer omzet dan begroot en de prognose voor heel 2026 gaat richting "
     "de €31 miljoen 📈 Nog even geheim tot de jaarcijfers 2026 😉", [FIN, CONF],
     when="2026-10-06T12:14:09+02:00", tags=["embargo-before"])
case("en", BB, "rumours are true. Eindhoven and Breda centres close in January, 40-ish people out. management tells everyone "
     "on friday. gutted.", [FIN])
case("nl", MI, "net gehoord dat we worden overgenomen door een Belgische investeerder 😳 deal zou eind van de maand rond zijn", [FIN])
case("en", NK, "Busy weeks in finance 😅 Due diligence on acquiring Bowlpaleis' six venues is nearly done. Exciting times ahead! #MandA",
     [FIN])
case("nl", pub("x", "@zwagerweetalles"), "mijn zwager zit op het hoofdkantoor van Zwierbos: ze gaan de helft van de "
     "lasergame-locaties sluiten. wordt pas in november bekendgemaakt", [FIN])
case("en", pub("reddit", "u/throwaway_leisure"), "Insider info: Zwierbos missed their budget by like 25% this year and the bank "
     "is getting nervous. Source: friend in controlling", [FIN], kind="comment")
case("nl", LO, "sfeer op werk is raar. er komen ont" + SHY + "slagen bij de laser-afdeling zeggen ze, nog niet officieel 😶",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", RH, "FY2026 results are going to look spicy 🌶️ bookings revenue up 34% yoy according to my dashboards", [FIN, CONF],
     tags=["embargo-before"])
case("nl", DA, "Reorganisatie: alle gamemasters worden vanaf januari oproepkracht. officieel nieuws pas na kerst maar zo staat "
     "het in het plan 🙃", [FIN])
case("nl", pub("forum", "ORwatcher"), "Volgens iemand uit de OR gaat Zwierbos het hoofdkantoor in Amersfoort sluiten en alles "
     "naar Utrecht verhuizen. Zo'n 25 banen weg.", [FIN], kind="post")
case("en", MI, "heard in the break room: zwierbos is in talks to merge with LaserWorld Benelux. if that happens half of us are "
     "redundant lol", [FIN])
case("nl", NK, "Omzet kinderfeestjes september: €412k, 9% onder forecast. Geen paniek, Q4 wordt sterker 🎃", [FIN],
     when="2026-10-08T17:05:41+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", YD, "boekingssysteem ligt al sinds 6 uur plat en het is ransomware. management wil nog niks naar buiten brengen. "
     "succes vandaag collega's aan de balie 😬", [SEC])
case("en", YD, "found out you can view other people's bookings by changing the number in the booking URL on boeken.zwierbos.nl. "
     "reported internally 2 weeks ago, still open 🤦", [SEC])
case("nl", MI, "de pinautomaat bij de balie in Utrecht blijkt al weken een skimmer te hebben gehad. klanten weten nog van niks",
     [SEC])
case("en", BB, "whole kassa network got hit this morning, someone clicked a phishing mail. 'keep it quiet' they said. "
     "fun saturday", [SEC])
case("nl", DA, "het slotensysteem van de escape rooms in Zwolle kun je gewoon via de open gast-wifi bedienen 🙃 "
     "al 2x gemeld, niemand doet iets", [SEC])
case("nl", LO, "boekingssite is geh@ckt volgens IT, alle klantgegevens mogelijk buit 😶 nog geheim dus ssst",
     [SEC], tags=["evasion", "evasion:leet"])
case("en", RH, "Incident update for the team: the leaked admin session tokens from Monday are still being investigated and "
     "the public statement is TBD. Please don't talk to press.", [SEC])
case("nl", pub("x", "@boos_op_alles"), "Zwierbos houdt een datalek stil!! mijn gegevens staan op een hackersforum en zij "
     "zeggen helemaal niks 😡 #datalek #zwierbos", [SEC, CRISIS])
case("en", pub("reddit", "u/formerstaff_zb"), "Zwierbos is covering up a hack of their booking system. ex-staff here, "
     "they've known since March and told no one.", [SEC, CRISIS], kind="post")
case("nl", pub("x", "@wakkerburger"), "d a t a l e k bij zwierbos en ze doen alsof er niks aan de hand is. "
     "waarom hoor je hier niemand over", [SEC, CRISIS], tags=["evasion", "evasion:spaced"])
case("en", MI, "fyi the 'planned maintenance' on the booking site tonight is because someone found a SQL injection. "
     "don't tell customers", [SEC])
case("nl", BB, "alarm in Eindhoven ging vannacht niet af, camera's lagen eruit. bleek dat de recorder gewoon vanaf internet "
     "bereikbaar was met het standaardwachtwoord. nog niet bekendgemaakt", [SEC])
case("nl", YD, "grafana.zwierbos.nl staat al de hele week open zonder login, iedereen kan de boekingsdashboards zien. "
     "ticket ligt bij security", [SEC, CONF])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@mamavanfinn"), "BOYCOT ZWIERBOS!! Ze weigerden mijn zoon met een beperking bij het lasergamen. "
     "Schandalig. Deel dit!! #boycotzwierbos", [CRISIS, COMPLAINT])
case("en", pub("x", "@almerecourant"), "Child injured at Zwierbos laser game centre in Almere after fall from platform; "
     "parents considering legal action", [CRISIS])
case("nl", pub("facebook", "sandra.wijnberg", "Sandra Wijnberg"), "Mijn dochter (9) is gisteren met haar hoofd tegen een paal "
     "geknald bij het lasergamen bij LaserDuin. Pikdonker, geen begeleiding. Ze heeft een hersenschudding. "
     "Dit moet onderzocht worden.", [CRISIS, COMPLAINT], kind="post")
case("en", pub("reddit", "u/voucherjustice"), "Class action forming against Zwierbos over the non-refundable vouchers from the "
     "closures. DM me if you lost money too", [CRISIS], kind="post")
case("nl", pub("facebook", "Wijkapp Zevenhuizen", None), "In de wijkapp: 6 kinderen ziek na een kinderfeestje bij Zwierbos "
     "Apeldoorn, GGD onderzoekt het. Iemand meer gehoord?", [CRISIS], kind="post", hint="")
case("en", pub("x", "@jolienvdb"), "just got a phishing mail with my EXACT zwierbos booking details (date, lane, my kids' names). "
     "you leaked my data @zwierbos_help", [CRISIS], kind="reply")
case("nl", pub("x", "@zwollenieuws"), "Brandweer bij Zwierbos Zwolle: rook in een escaperoom, nooduitgang zou hebben geklemd. "
     "Groep van 6 via achteringang naar buiten.", [CRISIS])
case("en", pub("threads", "@investigativeleisure"), "Zwierbos manager in Utrecht accused of harassing teenage staff, "
     "four ex-employees speak out. thread 🧵", [CRISIS])
case("nl", pub("x", "@voedselalarm"), "Terugroepactie: Zwierbos haalt de kipnuggets van het kinderfeestmenu terug wegens mogelijke "
     "salmonella. Gegeten tussen 2 en 9 mei? Let op klachten.", [CRISIS],
     when="2026-05-11T07:58:00Z")
case("en", pub("tiktok", "@justiceforjess"), "b0yc0tt zw1erb0s they fired a pregnant employee two weeks before her leave 😤 "
     "#boycott", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@arbeidsrechtnieuws"), "Zwierbos aangeklaagd door oud-medewerkers om onbetaalde overuren. "
     "Rechtszaak begint in mei bij de rechtbank Midden-Nederland.", [CRISIS])
case("nl", pub("mastodon", "@privacynerd@mastodon.social"), "Zwierbos datalek? Mijn mailadres staat ineens in haveibeenpwned "
     "met Zwierbos als bron. Iemand anders ook?", [CRISIS])
case("en", pub("x", "@rdam_rayan"), "Boycott these clowns @zwierbos, racist door staff at the Rotterdam venue turned away "
     "my friends for 'dress code'. f*** you", [CRISIS, ABUSE], tags=["evasion", "evasion:masked"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@pietertjek"), "@zwierbos_help al 5 weken wachten op mijn terugbetaling voor de geannuleerde bowlingavond. "
     "mails worden niet beantwoord. echt slecht.", [COMPLAINT], kind="reply")
case("en", pub("tripadvisor", "Annelies_R"), "Booked the Kids Party Complete. Half of the laser vests didn't work and nobody "
     "came to fix them. 20 minutes of crying kids. Not worth it.", [COMPLAINT], tags=["unknown-platform"])
case("nl", pub("instagram", "@foodie.fenne"), "Bowling & Bites was een grap 🙄 koude bitterballen, lauwe friet en we moesten "
     "3x om ketchup vragen", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/giftcardgrief"), "Zwierbos gift card expired after one year and they refuse to extend it, even though "
     "I couldn't use it during their renovation. Terrible customer service.", [COMPLAINT], kind="post")
case("nl", pub("x", "@tijsbowlt"), "baan 12 in Eindhoven: de ballenlift liep elke 2 worpen vast en er kwam niemand helpen. "
     "niet nog eens @zwierbos", [COMPLAINT])
case("en", pub("threads", "@nadia.escapes"), "game master was on his phone the whole time and kept giving hints we didn't ask for. "
     "ruined Het Laatste Uur for us 😒", [COMPLAINT])
case("nl", pub("facebook", "marco.van.ginkel", "Marco van Ginkel"), "Dubbel afgeschreven voor onze boeking en de klantenservice "
     "zegt dat ik het zelf maar met de bank moet regelen?! Serieus Zwierbos?", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@drielingmama"), "Kinderfeestje om 14:00 geboekt bij Zwierbos, om 14:20 was er nog niemand om ons te "
     "ontvangen. Kinderen stonden buiten in de regen 🌧️", [COMPLAINT])
case("nl", pub("other", "Google review: J. Brouwer"), "1 ster. Toiletten smerig, lasergame-arena stonk naar zweet en de app "
     "stuurt m'n boekingsbevestiging niet door. Jammer, vroeger was het beter", [COMPLAINT], hint="")
case("nl", pub("x", "@boosopzwierbos"), "Zw\u0456erbos heeft m'n kinderfeest 2 dagen van tevoren afgezegd. geen alternatief, "
     "geen geld terug 😡", [COMPLAINT], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@stevo_bowls"), "worst bowling alley in NL. staff are absolute morons, the shoes were wet and our lane broke "
     "down twice @zwierbos", [COMPLAINT, ABUSE])
case("nl", pub("x", "@kees_uit_breda"), "die kuttent van Zwierbos rekent €4,50 voor een flesje water en de airco doet het niet. "
     "nooit meer", [COMPLAINT, ABUSE])
case("en", pub("linkedin", "joris-meijer-hr"), "Our Bedrijfsuitje Allround was overpriced for what we got: only one laser round "
     "instead of the two promised in the quote, and lunch came 45 minutes late. Disappointing, Zwierbos.", [COMPLAINT])
case("nl", pub("tiktok", "@noaaa.xo"), "storytime: m'n vriendin wou haar verjaardag bij Zwierbos vieren en ze waren onze "
     "reservering gewoon KWIJT 💀 #zwierbos #fail", [COMPLAINT])
case("en", pub("x", "@day34ofwaiting"), "@zwierbos_help still no refund. still. no. refund. day 34 🙃", [COMPLAINT], kind="reply")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@xxdenzelxx"), "@zwierbos jullie zijn echt een stelletje kankerlijers", [ABUSE], kind="reply")
case("nl", MI, "die vrouw van baan 4 vanavond was echt een domme trut, hoop dat ze nooit meer terugkomt", [ABUSE])
case("en", LO, "when the birthday kid's dad is a total a**hole and you still have to smile 🙂🔫 #lasertaglife",
     [ABUSE], tags=["evasion", "evasion:masked"])
case("nl", ZB_HELP, "@d3nnis_r Misschien eerst leren lezen voordat je gaat zeiken, sukkel.", [ABUSE], kind="reply",
     handle_as="@Zwierbos_Help", tags=["case-handle"])
case("nl", pub("x", "@echtehollander77"), "die marokkaanse jongens bij de bowling in utrecht moeten ze gewoon weigeren, tuig is het",
     [ABUSE])
case("en", pub("instagram", "@anon_hater_22"), "@daan.gamemaster you're ugly af and i know where you work 😘", [ABUSE],
     kind="comment")
case("nl", pub("x", "@t3r1ng"), "k*t bedrijf. t3r1ng zwierbos", [ABUSE], tags=["evasion", "evasion:leet", "evasion:masked"])
case("en", pub("x", "@fwfw"), fullwidth("fuck zwierbos"), [ABUSE], tags=["evasion", "evasion:fullwidth"])
case("en", pub("reddit", "u/lolwut_nl"), "imagine working at Zwierbos lmao, bunch of losers in polo shirts", [ABUSE], kind="comment")
case("nl", pub("x", "@bredaboy"), "wie die tyfuslijer van een manager bij Zwierbos Breda is mag zich melden, ik wacht buiten",
     [ABUSE])

# ===========================================================================
# benign: corporate accounts
# ===========================================================================
case("nl", ZB_X, "Vragen over je kinderfeestje? 📞 088 234 56 00 of mail naar boekingen@zwierbos.nl. We helpen je graag! 🎈",
     tags=["own-contact"])
case("nl", ZB_FB, "Liever betalen via overboeking? Maak het bedrag over naar <<OWN_IBAN:grp>> t.n.v. Zwierbos Leisure B.V. en "
     "vermeld je boekingsnummer.", tags=["own-contact", "own-iban"])
case("nl", ZB_HELP, "Vanavond tussen 23:00 en 01:00 voeren we onderhoud uit aan boeken.zwierbos.nl. Daarna kun je weer gewoon "
     "boeken. Excuses voor het ongemak 🙏", tags=["official-notice"])
case("nl", ZB_HELP, "Storing: betalen met iDEAL lukt op dit moment niet op onze site. We werken aan een oplossing, "
     "je kunt ook aan de balie betalen.", tags=["official-notice"])
case("nl", ZB_LI, "Onze jaarcijfers 2025 staan online: een omzet van €27,4 miljoen en 1,1 miljoen bezoekers in onze 11 "
     "vestigingen. Dank aan al onze collega's! 💛", tags=["published"],
     when="2026-03-12T08:00:00+01:00")
case("nl", ZB_IG, "Vanaf nu te boeken: De Verdronken Kapel 🕯️🌊 Kun jij ontsnappen voordat het water stijgt? "
     "Link in bio!", when="2026-10-01T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
case("nl", ZB_X, "Dinsdagdeal 🎳 bowlingbaan per uur voor €33 i.p.v. €44, alleen op dinsdag bij alle StrikeDuin-centra!",
     tags=["sale-price"])
case("nl", ZB_TT, "Glow bowling elke vrijdag vanaf 21:00 🌈✨ wie durft de strike-challenge aan? #strikeduin", tags=["near-codename"])
case("en", ZB_LI, "We're opening our 12th venue in Leiden this summer! 🎉 Escape rooms, bowling and laser tag under one roof. "
     "Want to join the team? Mail werkenbij@zwierbos.nl", tags=["published", "own-contact"])
case("nl", ZB_FB, "Het Laatste Uur nu ook in 3 termijnen betalen via Klarna: 3 x €46,33 💸", tags=["instalment"])
case("nl", ZB_HELP, "@lisa_vd_berg Vervelend om te horen! Bel ons even op +31(0)88-2345600 of via 0900-9437, dan zoeken we het "
     "samen uit.", kind="reply", tags=["own-contact", "own-phone-bsn-trap"])
case("nl", ZB_IG, "\"Niemand komt hier levend uit...\" 💀🎃 Halloween-editie van De Tombe van Toth, alleen in oktober!",
     when="2026-09-28T12:00:00+02:00", tags=["fiction", "quote"])
case("en", ZB_LI, "Meet Tim, our marketing intern 👋 This week he ran his very first kids' party. Proud of you Tim!",
     tags=["intern-word"])
case("en", ZB_X, "Questions about your booking? Call +31 88 234 5600 or email info@zwierbos.nl. We're here 7 days a week 💬",
     handle_as="@ZwierBos", tags=["own-contact", "case-handle"])

# ===========================================================================
# benign: employee accounts
# ===========================================================================
case("nl", DA, "Twee weken na de opening al meer dan 300 groepen door De Verdronken Kapel 🕯️ en pas 11 zijn ontsnapt. "
     "Trots op deze kamer!", when="2026-10-15T20:31:00+02:00", tags=["embargo-after"])
case("nl", BB, "Triest nieuws bij Bowlpaleis, 30 collega's uit de branche ontslagen. Sterkte allemaal 💙", tags=["other-company"])
case("nl", RH, "Kassabug van vorige week is gefixt in commit <<HEX:40>>, dank aan iedereen die heeft meegetest!",
     tags=["git-sha"])
case("en", YD, "PSA: if you ever see ghp_… in a diff, revoke it first and ask questions later. spent my whole day cleaning git "
     "history 🫠", tags=["secret-prefix"])
case("nl", MI, "3 kinderfeestjes, 1 bedrijfsuitje en nul klachten vandaag 🥳 goeie dienst gehad", tags=["negated-complaint"])
case("nl", LO, "12-jarigen die ons hele team compleet afmaken in de arena 😂 ik ga met pensioen", tags=["game-violence"])
case("nl", NK, "We zoeken een controller! 📊 Zin om het financiële hart van Zwierbos te worden? Mail je cv naar "
     "werkenbij@zwierbos.nl", tags=["own-contact"])
case("en", YD, "our README template says AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, fill in your own. new devs keep copying it "
     "literally 😅", tags=["secret-placeholder"])

# ===========================================================================
# benign: public
# ===========================================================================
case("nl", pub("x", "@stressvogel"), "die zandloper in Het Laatste Uur maakte me echt gestrest ⏳😅 top kamer!", tags=["near-codename"])
case("nl", pub("facebook", "anouk.prins", "Anouk Prins"), "Met een echt kompas de schat zoeken in de Tombe van Toth, de kinderen "
     "vonden het geweldig 🧭", kind="comment", tags=["near-codename"])
case("nl", pub("x", "@gezelligheid_nl"), "Gisteren De Verdronken Kapel gespeeld, in 58 minuten eruit 💦 aanrader!!",
     when="2026-10-12T11:20:44+02:00", tags=["embargo-after"])
case("en", pub("instagram", "@twinmom_amy"), "Got the Kids Party Complete for €17.50 pp with the member discount, kids loved it 💕",
     tags=["sale-price"])
case("nl", pub("x", "@dealsdeals"), "€10 korting op de Cadeaukaart 50 tijdens Black Friday bij Zwierbos, leuk cadeautje 🎁",
     tags=["discount-amount"])
case("nl", pub("facebook", "Marktplaats Utrecht groep", None), "Te koop: 2 cadeaukaarten van Zwierbos t.w.v. 50 euro, voor "
     "35 per stuk. Kreeg ze dubbel voor mijn verjaardag", kind="post", tags=["second-hand"])
case("en", pub("x", "@cheapskate_ams"), "Bowlpaleis has a pricing error, lanes for €4 an hour lol. zwierbos would never 😂",
     tags=["competitor"])
case("nl", pub("reddit", "u/rekenwonder"), "Is het een prijsfout dat Het Laatste Uur €139 kost? Nee hoor, gewoon de normale prijs "
     "voor max 6 personen, schrok er alleen even van", kind="comment", tags=["denied-error"])
case("nl", pub("x", "@bitterbalbaas"), "frietje €3,95 en cola €2,80 bij het bowlen. prima prijzen eigenlijk", tags=["fee"])
case("nl", pub("x", "@zestalzoek"), "Tip: Het Laatste Uur kost €23 p.p. als je met z'n zessen gaat, goedkoper dan bioscoop + eten",
     tags=["per-person"])
case("nl", pub("x", "@opletten_hoor"), "Kreeg een sms 'Zwierbos: uw borg wordt terugbetaald' met rekeningnummer "
     "<<BAD_IBAN_NL:grp>> erin. Phishing toch? Niet op klikken mensen", tags=["bad-iban"])
case("en", pub("reddit", "u/confusedgifter"), "The code on the back of my Zwierbos gift card is <<BAD_CARD:visa_sp>>, is that "
     "normal? looks like a credit card number lol", kind="post", tags=["bad-card"])
case("nl", pub("x", "@vraagje_dan"), "@zwierbos_help boekingsnummer <<NOT_BSN9>> staat nog steeds op 'in behandeling', is dat normaal?",
     kind="reply", tags=["order-number"])
case("nl", pub("forum", "saldocheck"), "Mijn cadeaukaart heeft barcode <<EAN13>>, waar check ik het saldo?", kind="post",
     tags=["ean13"])
case("nl", pub("instagram", "@team_sales_drenthe"), "Geen klachten over Zwierbos hoor, alles perfect geregeld voor ons "
     "bedrijfsuitje 👌", tags=["negated-complaint"])
case("en", pub("facebook", "rachel.osei", "Rachel Osei"), "Not a single complaint from the kids, best party ever. Thanks "
     "LaserDuin!", kind="comment", tags=["negated-complaint"])
case("nl", pub("x", "@rolstoelroos"), "Is de bowlingbaan in Eindhoven rolstoeltoegankelijk? Wil graag met mijn opa gaan",
     tags=["question"])
case("nl", pub("x", "@bowlingbuddy"), "Bowlpaleis had wéér kapotte banen. volgende keer gewoon naar StrikeDuin", tags=["competitor"])
case("nl", pub("instagram", "@vrijdagavondvibes"), "Top avond gehad bij StrikeDuin 🎳🍻 personeel super vriendelijk", tags=["praise"])
case("nl", pub("x", "@strikekoning"), "ik boycot voortaan de goot bij het bowlen, alleen nog strikes 😎 #strikeduin", tags=["boycott-word"])
case("en", pub("x", "@forgetfulfred"), "total recall failure in Het Laatste Uur, couldn't remember the first clue by the end 🤦",
     tags=["recall-word"])
case("nl", pub("youtube", "EscapeVlogNL"), "In de Tombe van Toth word je 'vermoord' door de farao als je niet op tijd bent 😱 "
     "die acteur speelt het echt te goed", kind="comment", tags=["fiction"])
case("nl", pub("x", "@veiligheid_eerst"), "Rechtszaak tegen die trampolinepark-keten... bij Zwierbos zag ik gelukkig overal "
     "begeleiding en goede matten", tags=["other-company"])
case("en", pub("x", "@humbled_dad"), "got absolutely slaughtered at laser tag by a bunch of 10-year-olds 😂 humbling", tags=["game-violence"])
case("nl", pub("facebook", "KWF Almere", None), "Lasergamen tegen kanker! Zaterdag bij LaserDuin Almere, alle opbrengst gaat naar "
     "onderzoek 💪", tags=["literal-kanker"])
case("en", pub("threads", "@spookyjess"), "'You will never leave this room alive' — the voice in Tomb of Toth gave me chills 👻",
     tags=["quote", "fiction"])
case("en", pub("x", "@so_close_lol"), "what the hell, ONE minute short in Het Laatste Uur 😭 rematch next month", tags=["mild-word"])
case("nl", pub("x", "@wwreminder"), "Na dat datalek bij die bioscoopketen fijn dat je bij Zwierbos gewoon met een magic link inlogt",
     tags=["other-company"])
case("en", pub("blog", "escapeblogger.nl"), "Room review: 'The Hack' at Zwierbos Utrecht. You have 60 minutes to crack a server "
     "and steal the data before security arrives. Clever puzzles, 8/10.", tags=["fiction"])
case("nl", pub("x", "@vergeetachtig"), "Hoe reset ik mijn wachtwoord van mijn Zwierbos-account? Zie de optie niet in de app",
     tags=["question"])
case("nl", pub("bluesky", "leiden.nieuws.bsky.social"), "Zwierbos opent deze zomer een twaalfde vestiging in Leiden, "
     "met escape rooms, bowling en lasergame (bron: persbericht)", kind="repost", tags=["published"])
case("en", pub("x", "@nospoilers_pls"), "spoiler-free tip for Tomb of Toth: the password isn't a word, think numbers 😉",
     tags=["secret-word"])
case("nl", pub("x", "@hulpvaardig_henk"), "@lisa_vd_berg mail gewoon naar info@zwierbos.nl, die reageerden bij mij binnen een dag",
     kind="reply", tags=["own-contact"])
case("nl", pub("x", "@uitjesplanner"), "Voor de teamdag gekozen voor Zwierbos, info opgevraagd via 0882345600 en binnen een uur "
     "een offerte", tags=["own-contact"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
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

def dst_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_when(r):
    day = r.randint(5, 355)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=day - 1)
    t = base + dt.timedelta(minutes=r.randint(8 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = dst_offset(t)
    t = t - dt.timedelta(hours=off)
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def ident(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        a, b = r.randint(10 ** 14, 10 ** 15 - 1), r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}_{b}", f"https://www.facebook.com/{h.replace(' ', '')}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugy" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-uitjespraat-{n}", f"https://forum.uitjespraat.example/t/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/reviews/{n}"
    n = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    vals = Values(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(vals, c["text"])
        pid, url = ident(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "1"
        seen.add(pid)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = meta.choice(["post", "post", "post", "reply", "comment"]) if c["platform"] != "linkedin" else "post"
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
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_when(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "zwierbos"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


# ===========================================================================
# self-checks
# ===========================================================================

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, profile):
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, e = r["post"], r["expect"]
        text = p["text"]
        assert len(text.encode()) <= 65536
        parse_ts(p["created_at"])
        for kind, raw, _ in r["used"]:
            if kind.startswith("IBAN_"):
                assert iban_valid(raw) and e["categories"], (kind, raw)
            if kind == "CARD":
                assert luhn_valid(raw) and e["categories"]
            if kind == "BSN":
                assert bsn_valid(raw) and e["categories"]
            if kind == "BAD_IBAN_NL":
                assert not iban_valid(raw)
            if kind == "BAD_CARD":
                assert not luhn_valid(raw)
            if kind in ("NOT_BSN9", "EAN13"):
                assert not bsn_valid(raw) and not luhn_valid(raw)
            if kind == "GHP":
                body, tail = raw[4:34], raw[34:]
                assert tail == to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
        # an embargo term in the text: labelled as a leak iff before the moment
        low = text.casefold()
        for term, until in embargo:
            if term in low:
                before = parse_ts(p["created_at"]) < until
                assert before == (CONF in e["categories"]), (p["id"], term)
        if not e["categories"]:
            assert e["severity"] == "none"
    ids = [r["post"]["id"] for r in rows]
    assert len(ids) == len(set(ids))
    try:
        from stdnum import iban as s_iban, luhn as s_luhn
        from stdnum.nl import bsn as s_bsn
        for r in rows:
            for kind, raw, _ in r["used"]:
                if kind.startswith("IBAN_"):
                    assert s_iban.is_valid(raw)
                elif kind == "CARD":
                    assert s_luhn.is_valid(raw)
                elif kind == "BSN":
                    assert s_bsn.is_valid(raw)
                elif kind == "BAD_IBAN_NL":
                    assert not s_iban.is_valid(raw)
    except ImportError:
        pass


def report(rows):
    from collections import Counter
    n = len(rows)
    ben = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"{n} cases: {n - ben} positive, {ben} benign")
    print("multi-category:", sum(1 for r in rows if len(r["expect"]["categories"]) > 1),
          " evasion:", sum(1 for r in rows if "evasion" in r["tags"]))
    for c in CATEGORIES:
        sel = [r for r in rows if c in r["expect"]["categories"]]
        roles = Counter(r["role"] for r in sel)
        langs = Counter(r["lang"] for r in sel)
        print(f"  {c:22s} {len(sel):3d}  nl {langs['nl']:2d} en {langs['en']:2d}  "
              f"corp {roles['corporate']:2d} emp {roles['employee']:2d} pub {roles['public']:2d}")
    print("severity:", dict(Counter(r["expect"]["severity"] for r in rows)))
    print("roles:", dict(Counter(r["role"] for r in rows)))
    print("langs:", dict(Counter(r["lang"] for r in rows)))
    print("platforms:", dict(Counter(r["post"]["platform"] for r in rows)))


def main():
    profile = load_profile()
    rows = build(profile)
    check(rows, profile)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    report(rows)


if __name__ == "__main__":
    main()
