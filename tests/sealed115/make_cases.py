#!/usr/bin/env python3
"""Deterministic generator (and light checker) for the sealed115 blind set.

    python3 make_cases.py           # write cases.jsonl next to this file
    python3 make_cases.py --check   # regenerate in memory, compare, validate, print counts

Company: Trapkracht Lease B.V. (fictional Dutch bike-lease company, see profile.yaml).
Texts are hand-written below. Identifiers and secrets are filled in from <<KIND:fmt>>
placeholders by one seeded RNG: positives get checksum-VALID IBANs, cards and BSNs,
benign near-misses get numbers that FAIL their checksum. Severity is never typed by
hand: it is computed from CONTRACT section 4 (account role from profile.yaml).
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

SEED = 115_2026_0923
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    num = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - num % 97:02d}{bban}"


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


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s)) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# --------------------------------------------------------------------------- value generator

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            return iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "TRIO", "ASNB"]) + self.d(10, True))
        if cc == "DE":
            return iban_make("DE", self.r.choice(["50070010", "12030000", "43060967", "76026000"]) + self.d(10))
        if cc == "BE":
            head = self.r.choice(["001", "068", "735", "363"]) + self.d(7)
            return iban_make("BE", f"{head}{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 33, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        head = {"visa": lambda: "4" + self.d(14),
                "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
                "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn_ok(head + x):
                return head + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    @staticmethod
    def fmt_card(v, f):
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return {"sp": " ".join(parts), "dash": "-".join(parts), "c": v}[f]

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
            full = next(body + x for x in string.digits if ean_ok(body + x))
            if not luhn_ok(full):
                return full

    def phone(self, f):
        m = self.r.choice("12345678") + self.d(7)      # the 8 digits after 06
        if f.startswith("mob"):
            return {"mob_dash": f"06-{m}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
                    "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}", "mob_0031": f"0031 6 {m}",
                    "mob_paren": f"(06) {m[:4]} {m[4:]}", "mob_sp4": f"06 {m[:4]} {m[4:]}",
                    "mob_intl_c": f"+316{m}"}[f]
        area = self.r.choice(["10", "15", "20", "23", "24", "30", "33", "35", "40", "50", "70", "72", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        return {"land_sp": f"0{area} {sub[:3]} {sub[3:]}", "land_dash": f"0{area}-{sub}"}[f]

    # secrets: random and fake, shaped like the real formats
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(ALNUM + "-_", 20)

    def aws_id(self):
        return "AKIA" + self.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 8)}/B{self.c(up, 10)}/{self.c(ALNUM, 24)}"

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1769904000 + self.r.randint(0, 200 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(ALNUM, 8)})
        body = enc({"sub": "lessee-" + self.d(7, True), "aud": "app.trapkracht.nl", "scope": "contracts bikes",
                    "iat": iat, "exp": iat + 86400 * 30})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_rsa(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 28) + "=="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4) + self.c(string.digits, 3)
                + self.r.choice("!#%*") + self.c(ALNUM, 4))

    def hexs(self, n):
        return self.c("0123456789abcdef", n)


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k.startswith("BAD_IBAN_"):
            raw = g.bad_iban(k[9:])
            shown = g.g4(raw) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, cf = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            shown = g.fmt_card(raw, cf or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(f, raw)
        elif k == "NOT_BSN":
            raw = shown = g.not_bsn(int(f))
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "PHONE":
            raw = shown = g.phone(f)
        elif k == "HEX":
            raw = shown = g.hexs(int(f))
        else:
            raw = shown = {"GHP": g.ghp, "GLPAT": g.glpat, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret,
                           "SENDGRID": g.sendgrid, "MOLLIE": g.mollie, "SLACK_HOOK": g.slack_hook,
                           "GAPI": g.gapi, "JWT": g.jwt, "PEM_RSA": g.pem_rsa, "PW": g.pw}[k]()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
TK_X = ("x", "@trapkracht", "Trapkracht Lease")
TK_SVC = ("x", "@trapkracht_service", "Trapkracht Service")
TK_IG = ("instagram", "@trapkracht.lease", "Trapkracht")
TK_LI = ("linkedin", "trapkracht-lease", "Trapkracht Lease B.V.")
TK_FB = ("facebook", "TrapkrachtLease", "Trapkracht Lease")
TK_TT = ("tiktok", "@trapkracht", "Trapkracht")
# employees
DAAN = ("x", "@daan_fietsmonteur", "Daan Kramer")                 # mobile mechanic
LOTTE = ("x", "@lotte_tk", "Lotte Smeets")                        # customer service
EVA = ("linkedin", "eva-mulder-trapkracht", "Eva Mulder")         # HR
MEHMET = ("linkedin", "mehmet-yilmaz-tk", "Mehmet Yılmaz")        # finance / payroll deductions
JORIS = ("instagram", "@joris.werkplaats", "Joris Hoekstra")      # workshop lead
KEVIN = ("x", "@kevin_devops_tk", "Kevin Bos")                    # app / devops
SOPHIE = ("linkedin", "sophie-van-dijk-tk", "Sophie van Dijk")    # employer accounts (B2B)
RUBEN = ("mastodon", "@ruben@fosstodon.org", "Ruben de Wit")      # backend
NADIA = ("threads", "@nadia.schadeclaims", "Nadia Amrani")        # theft claims


def pub(platform, handle, name=None):
    return (platform, handle, name)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle_as=None, hint=None):
    platform, handle, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("en", KEVIN, "uh oh. the employer portal is quoting the Pendel Pro 45 at €549,90 instead of €5.499 🙃 somebody "
     "dropped a digit in the import. fix is queued but won't be live before tonight's deploy window", [PRICING])
case("nl", pub("reddit", "u/fietsvandezaak_fan"), "Iemand anders ook? In het fietsplan-portaal van mijn werkgever staat "
     "de Trapkracht Vouwflits voor €179,90. Dat kan nooit de echte prijs zijn lol. Heb m meteen in mn winkelmandje "
     "gegooid #prijsfout", [PRICING])
case("nl", pub("x", "@marloes_fietst"), "@trapkracht_service jullie leasecalculator zegt dat de Bakfiets Kids me €3,80 "
     "per maand kost?? Lijkt me een foutje, maar als het klopt teken ik vandaag nog 😇", [PRICING], kind="reply")
case("nl", TK_IG, "☀️ ZOMERDEAL ☀️\nDe Gravelaar GX nu voor €499 via je werkgever! Op = op 🚲💨\n"
     "#trapkracht #fietsvandezaak #gravel", [PRICING])
case("nl", JORIS, "Nieuwe zending 625Wh accu's binnen en in het dealersysteem staan ze voor €74,90 😳 iemand op kantoor "
     "is een nulletje vergeten denk ik. Wij doen er niks mee hoor", [PRICING])
case("en", pub("facebook", "chris.lambert.utr", "Chris Lambert"), "Trapkracht's webshop has the Ringslot ART-3 down at "
     "€11.90 (normally €119). Grabbed four before anyone notices, cheers guys 😂", [PRICING])
case("nl", SOPHIE, "Les van vandaag: check je offerte twee keer. Bij een nieuwe klant ging de Pendel Pro 45 eruit voor "
     "€2.199 per fiets, terwijl de lijstprijs €5.499 is. Ze hebben al getekend... Iemand tips om dat netjes recht te "
     "zetten?", [PRICING])
case("nl", pub("tiktok", "@fietsmeisje.nl"), "p r i j s f o u t bij trapkracht 😱😱 stadsflits s1 voor 289 euro in de "
     "app, RENNEN #leasefiets #fyp", [PRICING], tags=["evasion", "evasion:spaced"])
case("nl", pub("x", "@goedkoopgeregeld"), "Stadsflits S1 stond gisteravond op €28,99 in de Trapkracht app 💀 "
     "pr1jsf0ut van het jaar, screenshot in de replies", [PRICING], tags=["evasion", "evasion:leet"])
case("en", MEHMET, "Post-mortem note for my finance colleagues: a currency-conversion bug showed the Gravelaar GX at "
     "23,49 EUR in the Belgian employer portal for two days. Around 40 orders came in at that price before we caught "
     "it. Please don't discuss this outside the team.", [PRICING])
case("en", pub("threads", "@dealsbytim"), f"price{ZW}error on the Trapkracht Accu 625Wh?? €7,49 in their app shop "
     "lmao, 2 already in my basket", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", KEVIN, "since the hotfix the calculator computes the Pendel Pro monthly rate as €0,95, which is obviously "
     "wrong 😬 ticket: admin.trapkracht.nl/tickets/PRC-2291, please don't screenshot it for the group chat",
     [PRICING, CONF], kind="reply")
case("en", pub("bluesky", "@velohacks.bsky.social"), fullwidth("price glitch") + " on the Trapkracht Ringslot ART-3 "
     "again, 12 euro in the app 🔒 go go go", [PRICING], tags=["evasion", "evasion:full-width"])

# =========================================================================== leak.secret
case("en", KEVIN, 'why does our GitHub Action fail with "Bad credentials"?? running curl -H "Authorization: Bearer '
     '<<GHP>>" against api.github.com/repos/trapkracht/app-android locally works fine 😤', [SECRET])
case("en", RUBEN, "Friendly reminder to never bake cloud keys into container images. Found this in one of ours during "
     "today's audit:\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n\n(revoked, relax) "
     "#devsecops", [SECRET])
case("nl", LOTTE, "Voor de nieuwe collega's op de servicedesk: gedeelde mailbox inloggen met servicedesk-team en "
     "wachtwoord Pedaal2026!Tk. Zelf niks aan veranderen anders zit iedereen buitengesloten 🙃", [SECRET])
case("nl", JORIS, "Werkplaats-update 🔧 nieuwe router hangt! Wifi: TK-Werkplaats, ww: Kettingvet#88 voor de monteurs "
     "die vanmiddag langskomen", [SECRET])
case("nl", KEVIN, "contractenservice draait weer ✅ wie lokaal wil debuggen: "
     "postgresql://lease_app:<<PW>>@pg02.intra.trapkracht.local:5432/contracts", [SECRET, CONF])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the Trapkracht lease app (Android 5.2.0) out of boredom. There's a "
     "SendGrid key just sitting in strings.xml: <<SENDGRID>> . Emailed them, no reply yet.", [SECRET])
case("nl", pub("x", "@jdevos_werkt"), "@trapkracht_service inloggen op mijn.trapkracht.nl lukt al 3 dagen niet!! "
     "gebruiker jeroen.devos@outlook.com, ww Tulpenveld25! wat is hier mis mee?? niemand neemt op",
     [SECRET, PII, COMPLAINT], kind="reply")
case("en", KEVIN, "testing the payment webhook again, mollie key for whoever picks up the ticket: <<MOLLIE>> (live env, "
     "be careful pls)", [SECRET])
case("en", RUBEN, "Spent the afternoon debugging the SFTP push of salary-deduction files to the payroll bureau. "
     "Culprit: stale host key. For reference, the old deploy key we just retired:\n<<PEM_RSA>>", [SECRET])
case("en", pub("blog", "janwillem.dev", "Jan-Willem"), "Intercepting my own lease-app traffic showed that the "
     "Trapkracht app sends a long-lived bearer token with every analytics call. Mine: <<JWT>> . It still works after a "
     "logout, which is worrying.", [SECRET])
case("nl", DAAN, "Voor de invallers morgen: de diagnose-laptop in de bus gaat open met Sp4ak!2026 🤫 niet in de "
     "whatsapp-groep zetten aub", [SECRET], tags=["prose-password"])
case("en", pub("reddit", "u/keyscanner"), "Their public Android repo still has a Maps key in the manifest: <<GAPI>> "
     "No referrer restriction either, so anyone can burn their quota.", [SECRET], kind="comment")
case("en", KEVIN, "CI needs a new runner token, temporary one for the git.trapkracht.io mirror: <<GLPAT>> rotate after "
     "friday", [SECRET, CONF])

# =========================================================================== leak.pii
case("nl", LOTTE, "@ilse_vermeer Hoi Ilse, de terugbetaling van je eigen risico is vandaag teruggestort op "
     "<<IBAN_NL:grp>>. Kan 2 werkdagen duren 🚲", [PII], kind="reply")
case("nl", TK_SVC, "@bram_zwolle We hebben een monteur ingepland voor donderdag tussen 8 en 12. Hij belt je vooraf op "
     "<<PHONE:mob_dash>>. Groetjes, Trapkracht Service", [PII], kind="reply", handle_as="@Trapkracht_Service",
     tags=["case-handle"])
case("nl", NADIA, "Rare dag op de schadeafdeling: derde diefstalmelding dit jaar op hetzelfde adres, mevr. Yvonne de "
     "Jong, Vlinderstraat 8 in Haarlem. Daar is toch iets mis met die schuur 🤔", [PII])
case("nl", EVA, "Welkom aan onze nieuwe collega Priya Raman (geboren 3 juli 1996), die per maandag het team "
     "werkgeversrelaties komt versterken! 🎉", [PII])
case("en", MEHMET, "Can someone in payroll ops fix this today: the deduction is still running for an employee of one "
     "of our clients who left in March, BSN <<BSN:dots>>. Third month in a row.", [PII])
case("nl", pub("x", "@t_wolters"), "@trapkracht_service ik ben al sinds april weg bij mijn werkgever en er wordt NOG "
     "STEEDS ingehouden. Stort het maar terug op <<IBAN_NL>>, ik wacht", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "gerda.postma.73", "Gerda Postma"), "Sinds 3 weken staat mijn fiets bij de reparatie en "
     "niemand laat iets horen. Bel me desnoods op <<PHONE:land_sp>> (overdag thuis) want via de app kom ik nergens. "
     "@TrapkrachtLease", [PII, COMPLAINT])
case("en", pub("instagram", "@expat.amy"), "your app keeps logging me out and support never writes back 😤 just email "
     "me at amy.whitfield88@gmail.com, I'm done with the chat bot", [PII, COMPLAINT], kind="comment")
case("en", pub("reddit", "u/double_charged"), "Trapkracht charged my theft excess twice on my card <<CARD:visa_sp>>. "
     "€50 x2. Support has been 'looking into it' for 2 weeks now.", [PII, COMPLAINT])
case("nl", DAAN, "Klant Wesley Brink, Rozengracht 113 Amsterdam, <<PHONE:mob_intl_sp>>: nu 3x voor een dichte deur "
     "gestaan. Iemand uit de buurt die hem kent? 🙄", [PII])
case("en", pub("x", "@anon_rage77"), "Trapkracht mechanic who 'lost' my bike: Sander Koster, lives at Beukenlaan 22, "
     "3581 Utrecht. Go say hi 😈", [PII, ABUSE])
case("nl", pub("x", "@sanne_oo"), "@trapkracht_service formulier werkt wéér niet, mail de aanvraag voor de vervangfiets "
     "maar naar sanne.oosterhout [at] kpnmail [punt] nl", [PII, COMPLAINT], kind="reply",
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", pub("forum", "Wout_Antwerpen"), "Lease afgelopen, fiets overgenomen. Betaald vanaf <<IBAN_BE:grp>> en alles "
     "was binnen een week netjes geregeld door Trapkracht 👍", [PII])
case("en", SOPHIE, "Shout-out to Mark de Wilde, HR lead at one of our new clients, for a smooth rollout! Employers who "
     "want the same setup can reach him directly at m.dewilde@bouwgroep-hendriks.nl or <<PHONE:mob_sp4>>.", [PII])
case("en", pub("mastodon", "@lena@norden.social", "Lena"), "Moved back to Germany and Trapkracht still hasn't paid back "
     "the two extra salary deductions. Sent my IBAN <<IBAN_DE:grp>> three times already. #trapkracht",
     [PII, COMPLAINT])
case("nl", NADIA, "Kopie paspoort bij een schadeclaim, prima, maar zet dan niet het nummer (NR7KB41P2) in de "
     "onderwerpregel van je mail 😅 gebeurt vaker dan je denkt", [PII])
case("en", LOTTE, "Customer read her card out over the phone for the excess payment, <<CARD:amex_dash>> exp 08/28. "
     "Who on the late shift can put it through the terminal?", [PII])
case("nl", pub("threads", "@mo_rijdt"), "waarom vraagt de trapkracht app ineens om mijn BSN?? ingevuld (<<BSN>>) en "
     "nu crasht ie elke keer. lekker dan", [PII, COMPLAINT])
case("nl", pub("instagram", "@daan_fietsmonteur", "Daan"), "Klant vergat haar telefoonhoesje in de bus, nummer staat "
     "op de achterkant: <<PHONE:mob_paren>>. Reageer als je Linda kent!", [PII], tags=["handle-other-platform"])
case("nl", pub("x", "@frank_vd_bosch"), "@trapkracht_service ophalen oude fiets graag na 17u, bel me op "
     "<<PHONE:mob_0031>> en dan spreken we iets af", [PII], kind="reply")
case("en", pub("reddit", "u/refund_pls_tk"), "Trapkracht refunded the buy-out to my old Mastercard that's been closed "
     "for ages. The right one is <<CARD:mc_dash>>, told them twice already. Useless process.", [PII, COMPLAINT])
case("nl", pub("facebook", "marco.veenstra.9", "Marco Veenstra"), "Mijn BSN is <<BSN:sp>>, dat moest ik van de "
     "Trapkracht app invullen voor de bijtelling?? Klopt dat wel?", [PII])

# =========================================================================== leak.confidential
case("en", KEVIN, "cannot wait for you all to see what Project Tandem does for employers 👀 been heads down on it since "
     "January. that's all I'm allowed to say", [CONF])
case("nl", SOPHIE, "Spannende tijden! Met Operatie Dynamo gaan we de markt voor zzp'ers openbreken, meer kan ik nog "
     "niet zeggen 😉 #fietsvandezaak", [CONF])
case("nl", JORIS, "Drie Moonrider-prototypes in de werkplaats vandaag 🤫🚲 foto mag niet, dus hier een foto van mijn "
     "koffie ☕", [CONF])
case("en", pub("reddit", "u/ebike_insider"), "My brother-in-law rides for their test team: the Stadsflits S2 gets a belt "
     "drive and an 85Nm motor. Launch is September apparently.", [CONF], when="2026-07-03T21:14:09+02:00",
     tags=["embargo-before"])
case("nl", EVA, "Onze HR-contactpersonen bij klanten gaan zó blij worden van Trapkracht Flex, eindelijk maandelijks "
     "opzegbaar 🙌", [CONF], when="2026-06-11T09:30:00+02:00", tags=["embargo-before"])
case("nl", DAAN, "wie heeft het dashboard van grafana.tk-ops.nl/d/werkplaats weer op de beamer in de kantine gezet 😂",
     [CONF])
case("nl", LOTTE, "@pieter_kr klopt, ik zie in admin.trapkracht.nl/contract/88213 dat je einddatum verkeerd staat. Ik "
     "pas het aan 👍", [CONF], kind="reply")
case("en", SOPHIE, "Sneak peek of our employer roadmap deck 🚀 (yes the footer says TK-INTERN, but it's only a "
     "timeline). Q1 portal redesign, Q2 fleet analytics, Q3 something big…", [CONF])
case("en", RUBEN, "Finally demoed Project\nTandem to the board today and nobody fell asleep 🎉", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", DAAN, "Operatie 🔧 Dynamo gaat de werkplaatsen flink op z'n kop zetten, dat kan ik je wel vertellen",
     [CONF], tags=["evasion", "evasion:emoji-inside"])
case("nl", pub("x", "@fietsroddel"), "Hoor van een bekende dat Trapkracht aan iets werkt dat Moonrider heet. Speed "
     "pedelec voor de jongere doelgroep?", [CONF])
case("nl", pub("instagram", "@bikeblog_utrecht"), "Gelekt! De Stadsflits S2 van Trapkracht: accu in het frame, "
     "komt in september 😍", [CONF], when="2026-09-22T09:59:00+02:00", tags=["embargo-before"])
case("en", RUBEN, "anyone know who owns the realm config on sso.intra.trapkracht.local? need a new client for the "
     "workshop tablets", [CONF])

# =========================================================================== leak.financial
case("en", MEHMET, "Can't share the deck yet, but our H1 2026 results will surprise a lot of people: revenue +31%, "
     "first profitable half-year ever 🚀", [FIN, CONF], when="2026-07-15T17:42:10+02:00", tags=["embargo-before"])
case("nl", EVA, "Moeilijke weken in aantocht. Bij de reorganisatie verdwijnen zo'n 40 fte bij de klantenservice en de "
     "mensen zelf weten het nog niet. Houd elkaar vast ❤️", [FIN])
case("nl", pub("reddit", "u/fietsfluisteraar"), "Vriend van me werkt op het hoofdkantoor van Trapkracht: ze worden "
     "overgenomen door een grote leasemaatschappij uit Frankfurt. Wordt in het najaar bekendgemaakt.", [FIN])
case("en", SOPHIE, "Gutted: our largest client, a hospital group with 9,000 leased bikes, is not renewing in January. "
     "Haven't told the wider company yet, so keep it quiet 🙏", [FIN])
case("nl", DAAN, "Net gehoord dat de werkplaats in Tilburg per 1 november dichtgaat. 12 monteurs moeten het maar zien "
     "te redden. Wordt pas volgende maand gecommuniceerd", [FIN], handle_as="@Daan_Fietsmonteur",
     tags=["case-handle"])
case("en", KEVIN, "all-hands just told us we're being acquired by Velomax Mobility, official announcement in 3 weeks. "
     "my options finally mean something lol", [FIN])
case("nl", MEHMET, "De jaarprognose gaat volgende week omlaag: we verwachten nog maar €14 mln EBITDA in plaats van "
     "€22 mln. Het bestuur is er nog over aan het praten.", [FIN])
case("nl", LOTTE, f"Collega's fluisteren dat er een over{ZW}name aankomt en dat het callcenter dan naar Lissabon "
     "verhuist 😬 60 man eruit", [FIN], tags=["evasion", "evasion:zero-width"])
case("en", pub("forum", "velo_trader"), "A friend in Trapkracht's treasury team says they'll breach a bank covenant "
     "this quarter and are negotiating a rescue loan. Not public yet.", [FIN])
case("en", RUBEN, "Term sheet signed for a €30M series C this morning 🎉 can't say who led it until the press release, "
     "but wow.", [FIN])
case("nl", JORIS, "Feest in de werkplaats 🎉 de H1-cijfers 2026 zijn binnen en we zitten ver boven budget, bonus "
     "incoming?", [FIN, CONF], when="2026-08-03T12:05:44+02:00", tags=["embargo-before"])
case("nl", EVA, f"Het plan voor de reorga{SHY}nisatie ligt klaar: alle regiokantoren dicht, 25 banen weg bij sales. "
     "Communicatie pas na de zomer.", [FIN], tags=["evasion", "evasion:soft-hyphen"])

# =========================================================================== leak.security
case("en", KEVIN, "so turns out mijn.trapkracht.nl let you download any lease contract PDF by changing the id in the "
     "url 🙃 since march. patch tonight, comms not decided yet", [SEC])
case("en", RUBEN, "Long night. Ransomware hit the workshop planning servers, we're restoring from backups. Customers "
     "haven't been told, so please don't ask me about it publicly 😶", [SEC])
case("nl", LOTTE, "App ligt al sinds 7 uur plat en volgens IT is er iemand binnengekomen via een oud admin-account. "
     "Wij mogen klanten alleen 'technische storing' zeggen 🙄", [SEC])
case("nl", DAAN, "Fun fact: de GPS-trackers in onze leasefietsen sturen hun locatie onversleuteld door, met een simpele "
     "app zie je elke fiets in de buurt. Al maanden gemeld, niks mee gedaan", [SEC])
case("nl", EVA, "Vorige week klikte een collega op een phishingmail en daarna heeft iemand een dag lang in de "
     "HR-mailbox meegelezen, loonstroken incluis. We zoeken nog uit of we het moeten melden.", [SEC])
case("en", pub("reddit", "u/tk_whistle"), "Trapkracht had a data breach in June and they're sitting on it. My mate in "
     "their IT department confirmed customer addresses were taken. Why no notification?", [SEC, CRISIS])
case("nl", pub("x", "@privacyfietser"), "Trapkracht verzwijgt een datalek! Bron binnen het bedrijf zegt dat de "
     "klantendatabase al weken te koop staat. #datalek", [SEC, CRISIS])
case("nl", JORIS, "we zijn geh4ckt en niemand mag het weten 🙊 alle werkbonnen van deze week zijn weg", [SEC],
     tags=["evasion", "evasion:leet"])
case("en", KEVIN, fullwidth("data breach") + " in prod since friday, legal says keep it quiet until monday 🤐", [SEC],
     tags=["evasion", "evasion:full-width"])
case("en", SOPHIE, "Awkward call today: our employer portal showed the salary-deduction data of three client companies "
     "to the wrong HR teams for a week. Legal is still deciding whether to notify anyone.", [SEC])
case("nl", JORIS, "Tip van de werkplaats (niet doorvertellen): elk Ringslot ART-3 gaat open met de app van een "
     "willekeurige andere gebruiker. Firmware-fix duurt nog weken 🔓", [SEC])
case("en", pub("forum", "throwaway_tk_it"), "IT guy at Trapkracht here (throwaway). Yesterday's 'maintenance' was us "
     "cleaning up after an intrusion. Management told us to call it an outage. Change your passwords.",
     [SEC, CRISIS])
case("en", KEVIN, "heads up friends: payments backend is down hard, every deduction file for this month will be late. "
     "status page still says green 😬", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@fam_verhoef"), "Vannacht vloog de accu van onze Trapkracht leasefiets in brand in de schuur 🔥 "
     "brandweer erbij, schuur weg. Trapkracht reageert nog niet eens. #ebike", [CRISIS, COMPLAINT])
case("nl", pub("facebook", "anouk.meijer.1988", "Anouk Meijer"), "Oproep: neem GEEN fiets van de zaak via Trapkracht. "
     "Ze volgen elke rit via GPS en delen dat met je werkgever. Deel dit bericht!", [CRISIS])
case("en", pub("reddit", "u/leaseworker"), "There's a class action being prepared against Trapkracht over deductions "
     "that kept running after people left their jobs. The law firm's site is already collecting claims.", [CRISIS])
case("nl", pub("blog", "fietsnieuws.example", "Fietsnieuws"), "Trapkracht roept 3.200 Bakfiets Kids terug vanwege "
     "scheurtjes in het frame bij de bak. Eigenaren wordt gevraagd voorlopig niet meer met kinderen te rijden.",
     [CRISIS])
case("en", pub("x", "@nina_rides"), "Front fork on my Trapkracht lease bike snapped at 25 km/h this morning. Stitches "
     "in my chin and a broken wrist. Nobody from the company has called. #trapkracht", [CRISIS, COMPLAINT])
case("nl", pub("threads", "@karin.vd.plas"), "Mijn naam, adres en salaris staan in een bestand dat op een hackersforum "
     "rondgaat, en de bron is volgens mijn werkgever Trapkracht. Dankjewel hoor.", [CRISIS])
case("nl", pub("tiktok", "@eerlijkfietsen"), "b o y c o t t r a p k r a c h t 🚫🚲 ze laten monteurs 60 uur per week "
     "werken voor een hongerloon", [CRISIS], tags=["evasion", "evasion:spaced"])
case("nl", pub("linkedin", "vakbond-fietsbranche", "Vakbond Fietsbranche"), "Namens 140 monteurs stappen we naar de "
     "rechter tegen Trapkracht Lease vanwege structureel onbetaald overwerk.", [CRISIS])
case("nl", pub("x", "@buurtwacht_ede"), "d4t4l3k bij tr4pkr4cht?? mn buurman kreeg een phishing-sms met zijn "
     "contractnummer erin 😳", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("instagram", "@dad.of.three"), "the brakes on our Trapkracht cargo bike failed on a downhill and my "
     "4-year-old fell out of the box. she's ok but I'm shaking. how is this bike even allowed?",
     [CRISIS, COMPLAINT], kind="comment")
case("nl", pub("reddit", "u/sollicitant_x"), "Schandalig: een recruiter van Trapkracht zei letterlijk dat ze 'liever "
     "geen hoofddoeken aan de balie' hebben. Dit moet openbaar worden.", [CRISIS])
case("nl", pub("x", "@rechtbanknieuws"), "Rechtszaak tegen \u0422rapkr\u0430cht aangespannen door oud-klanten, "
     "uitspraak in maart. Benieuwd!", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@robin_fietst"), "@trapkracht_service al 5 weken wacht ik op een nieuw achterwiel. Geen "
     "vervangfiets, geen update, niks. Hoe moeilijk kan het zijn?", [COMPLAINT], kind="reply")
case("en", pub("linkedin", "tom-aalbers", "Tom Aalbers"), "Left my employer in February and Trapkracht still takes €61 "
     "from my salary every month. Four emails, zero replies. Not the experience I was promised.", [COMPLAINT])
case("nl", pub("instagram", "@ellenvanrijn"), "De app laat me al een week geen afspraak maken voor onderhoud, steeds "
     "'er ging iets mis'. Superirritant 😤", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "petra.koning.nl", "Petra Koning"), "Fiets gestolen bij het station, aangifte gedaan, alles "
     "ingestuurd en nu wijst Trapkracht de claim af omdat het slot 'niet goedgekeurd' zou zijn. Terwijl ik dat slot "
     "van JULLIE kreeg!", [COMPLAINT])
case("en", pub("x", "@mikey_commutes"), "third time the mobile mechanic doesn't show. took the morning off for nothing. "
     "@trapkracht_service do better", [COMPLAINT])
case("nl", pub("x", "@lisa_dekker_"), "Helpdesk van Trapkracht is onbereikbaar. 45 minuten in de wacht en dan wordt de "
     "lijn verbroken. Elke keer weer.", [COMPLAINT])
case("nl", pub("threads", "@wendy.pendelt"), "Besteld: een Vouwflits maat M. Geleverd: maat XL met een kapotte "
     "standaard. Retour duurt 'minimaal 3 weken'. Top geregeld Trapkracht 👏🙄", [COMPLAINT])
case("en", pub("facebook", "hannah.price.nl", "Hannah Price"), "The GPS tracker Trapkracht fitted drains my battery "
     "overnight. Dealer says that's 'normal'. Losing 20% while the bike sits in the hallway is not normal.",
     [COMPLAINT])
case("en", pub("reddit", "u/expat_in_ede"), "Contract, app, helpdesk: all Dutch-only. As an international employee I "
     "can't even read what I'm signing with Trapkracht. Very frustrating.", [COMPLAINT])
case("nl", pub("x", "@geen_accu_meer"), "sl3chtste s3rvice ooit, trapkracht. 2 maanden wachten op een nieuwe accu 🙃",
     [COMPLAINT], tags=["evasion", "evasion:leet"])
case("nl", pub("trustpilot", "R. Haverkamp"), "1 ster. Ophaalservice van Trapkracht kwam niet opdagen, fiets bleef "
     "2 weken in de gang staan, maar de factuur voor 'gemiste afspraak' kreeg ik wel.", [COMPLAINT],
     tags=["unknown-platform"])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boze_burger_020"), "Trapkracht is echt een kutbedrijf en iedereen die daar werkt is een "
     "oplichter.", [ABUSE])
case("en", pub("x", "@zero_chill_zack"), "f*cking clowns at trapkracht lmao", [ABUSE],
     tags=["evasion", "evasion:masked"])
case("nl", pub("x", "@kees_k"), "@lotte_tk jij bent echt een domme trut, ga een ander baantje zoeken", [ABUSE],
     kind="reply")
case("nl", pub("facebook", "henk.b.1961", "Henk B."), "Weer zo'n buitenlander als monteur gestuurd door Trapkracht. "
     "Terug naar je eigen land jij.", [ABUSE])
case("nl", DAAN, "Klanten die hun fiets een half jaar in de regen laten staan en dan gaan janken: stelletje debielen "
     "zijn jullie", [ABUSE])
case("en", TK_SVC, "@gary_b0 honestly mate, you're an idiot if you think a bike survives being thrown in a canal",
     [ABUSE], kind="reply")
case("nl", pub("x", "@jeroen_wacht"), "6 weken in reparatie en nog steeds niks gehoord. Stelletje klootzakken bij "
     "Trapkracht", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/brakes_still_rub"), "useless morons. my bike came back from 'service' with the brakes "
     "rubbing worse than before.", [ABUSE, COMPLAINT], kind="comment")
case("nl", pub("tiktok", "@xx_fietshater"), "t3r1ng b3dr1jf dat trapkracht, hoop dat jullie failliet gaan 🖕",
     [ABUSE], tags=["evasion", "evasion:leet"])
case("en", pub("instagram", "@nightowl_utr"), "@joris.werkplaats saw your face in that video. pathetic. watch your "
     "back next time you're in Utrecht", [ABUSE], kind="comment")
case("nl", KEVIN, "Mensen die de app 1 ster geven omdat ze hun wachtwoord vergeten zijn... wat een mongolen", [ABUSE])

# =========================================================================== benign (hard negatives)
OWN_IBAN_GRP = "NL76 RABO 0312 8845 06"

case("nl", TK_SVC, "Vragen over je leasefiets? Bel ons op 030 799 4400 (ma-vr 8-18 uur) of mail naar "
     "service@trapkracht.nl 📞", tags=["own-contact"])
case("nl", TK_FB, f"Eigen risico na diefstal? Dat maak je over op {OWN_IBAN_GRP} o.v.v. je contractnummer. Nooit op "
     "een ander rekeningnummer!", tags=["own-contact"])
case("nl", pub("x", "@mirjam_op_de_fiets"), "Gewoon even 0800-8772 gebeld over mijn kapotte verlichting, binnen 10 "
     "minuten een afspraak. Zo kan het dus ook 👌", tags=["own-contact", "praise"])
case("en", TK_LI, "Trapkracht now works with 1,200 employers across the Benelux. Press enquiries: pers@trapkracht.nl",
     tags=["own-contact"])
case("nl", LOTTE, "Werkgever met vragen over het fietsplan? Stuur een mailtje naar werkgevers@trapkracht.nl, "
     "collega's reageren binnen een dag 🙂", tags=["own-contact"])
case("en", pub("x", "@pete_in_delft"), "called +31 30 799 4400 and got through in two minutes, kudos Trapkracht",
     tags=["own-contact", "praise"])
case("nl", TK_X, "⚠️ Let op: er gaan sms'jes rond die je vragen je eigen risico over te maken naar "
     "<<BAD_IBAN_NL:grp>>. Dat is NIET van ons. Ons enige rekeningnummer staat op trapkracht.nl.",
     tags=["checksum-fail"])
case("nl", pub("x", "@yvette_r"), "@trapkracht_service vraagje over contract <<NOT_BSN:9>>: kan ik de accu laten "
     "vervangen binnen de garantie?", kind="reply", tags=["checksum-fail"])
case("en", pub("reddit", "u/parking_confusion"), "Quick tip: the 16-digit number on your Trapkracht pass (mine is "
     "<<BAD_CARD:visa_sp>>) is just a member ID, not a payment card, so the bike-parking machine won't take it 😅",
     tags=["checksum-fail"])
case("nl", JORIS, "Nieuwe banden binnen 🛞 EAN <<EAN13>> voor wie hem ook in de bus wil hebben", tags=["ean"])
case("en", SOPHIE, "Welcome aboard to our newest client (KvK <<NOT_BSN:8>>)! 350 employees can lease a bike from next "
     "month 🚲", tags=["checksum-fail"])
case("en", KEVIN, "PSA for the api docs: use AKIAXXXXXXXXXXXXXXXX-style placeholders in examples, never real keys. "
     "reviewing PRs like a hawk this week 🦅", tags=["placeholder"])
case("en", RUBEN, "Bisected the flaky test down to commit <<HEX:40>>. Sometimes git blame is humbling.",
     tags=["git-sha"])
case("nl", TK_SVC, "Wachtwoord vergeten? Tik in de app op 'Wachtwoord vergeten' en je krijgt binnen een paar minuten "
     "een mail. Kies een nieuw wachtwoord van minstens 12 tekens 🔐", tags=["password-word"])
case("nl", TK_IG, "De Stadsflits S1 al vanaf €38 per maand via je werkgever 🚲 Inclusief onderhoud, verzekering en "
     "pechhulp. Check werkgevers.trapkracht.nl", tags=["price-context", "monthly-price"])
case("nl", TK_X, "Deze maand 20% korting op de Vouwflits: €1.439 in plaats van €1.799 bij aanschaf via je werkgever.",
     tags=["sale"])
case("nl", pub("reddit", "u/vergelijkert"), "Vergelijking: Wielwerk Lease rekent €1.099 voor hun eigen stadsfiets. De "
     "Stadsflits S1 van Trapkracht is duurder, maar daar zit onderhoud bij.",
     tags=["price-context", "other-company"])
case("nl", pub("forum", "oudeleasefiets"), "Na 36 maanden mijn Vouwflits overgenomen voor de restwaarde van €270. "
     "Rijdt nog als nieuw 👍", tags=["price-context", "residual"])
case("nl", pub("x", "@rekenmeester"), "Rekensom fiets van de zaak: 7% bijtelling over €2.899 is ca. €203 per jaar, nog "
     "geen €17 per maand netto. Prima deal voor een Stadsflits S1.", tags=["price-context", "fee"])
case("nl", pub("facebook", "bas.terpstra.zeist", "Bas Terpstra"), "Te koop: Gravelaar GX, na de lease overgenomen, "
     "2 jaar oud, nieuwe ketting. €900, ophalen in Zeist.", tags=["price-context", "second-hand"])
case("en", TK_LI, "€500 off the Pendel Pro 45 for every new contract signed in May ⚡", tags=["price-context",
                                                                                               "discount-amount"])
case("nl", TK_SVC, "@koen_rijdt Nee hoor, geen prijsfout! De Vouwflits staat deze week echt voor €1.349 in de actie 😊",
     kind="reply", tags=["denied-error"])
case("nl", TK_LI, "Vandaag publiceren we onze halfjaarcijfers 2026: omzet +18%, 64.000 fietsen in lease. Het volledige "
     "persbericht staat op trapkracht.nl/pers", when="2026-08-27T07:00:00+02:00", tags=["embargo-at"])
case("en", pub("bluesky", "@fintechfiets.bsky.social"), "Trapkracht's H1 2026 results are out: 18% revenue growth, "
     "not bad for a bike-leasing company", when="2026-08-28T10:12:31Z", tags=["embargo-after"])
case("nl", pub("instagram", "@lieke.rijdt"), "Eindelijk officieel: de Stadsflits S2 is er! Proefrit gemaakt, die "
     "riemaandrijving is heerlijk 😍", when="2026-09-23T18:40:12Z", tags=["embargo-after"])
case("nl", TK_X, "Het wachten is voorbij ✨ Maak kennis met Trapkracht Flex: je fiets van de zaak, maandelijks "
     "opzegbaar.", when="2026-09-22T10:00:00+02:00", tags=["embargo-at"])
case("nl", pub("instagram", "@tim.en.roos"), "Zondag met z'n tweeën op de tandem langs de Vecht ❤️ 60 km! (gewoon onze "
     "eigen tandem hoor, niet de Trapkracht-leasefiets 😉)", tags=["codename-word"])
case("nl", DAAN, "Klant vandaag met een dynamo uit 1985 op zijn oude fiets, die mocht mee naar de werkplaats als "
     "museumstuk 😄", tags=["codename-word"])
case("nl", TK_IG, "Operatie Winterklaar 🍂 laat je leasefiets in november gratis nakijken door onze monteurs. Plan "
     "het in via de app.", tags=["codename-near"])
case("nl", pub("x", "@kentekenkees"), "Datalek bij parkeerapp StadParkeren: 200.000 kentekens op straat. Gelukkig "
     "heeft mijn Trapkracht geen kenteken 😅", tags=["other-company"])
case("en", pub("linkedin", "annelies-brouwer", "Annelies Brouwer"), "Sad news from the bike industry: frame maker "
     "Sprintwiel is laying off 80 people. Thoughts with everyone affected. (Not a Trapkracht supplier as far as I "
     "know.)", tags=["other-company"])
case("en", pub("reddit", "u/winter_cyclist"), "I can't recall whether my Trapkracht contract covers a winter check, "
     "anyone know?", tags=["recall-sense"])
case("nl", TK_LI, "Vanochtend brandoefening op het hoofdkantoor 🚒 Binnen 4 minuten stond iedereen buiten, netjes naast "
     "de fietsenstalling.", tags=["brand-sense"])
case("nl", pub("x", "@saskia_010"), "Heel kantoor heeft het over de songfestival-boycot, ik fiets gewoon op mijn "
     "Trapkracht naar huis met een podcast aan 🎧", tags=["boycott-sense"])
case("nl", pub("x", "@ferry_pendelt"), "Geen klachten over Trapkracht hoor, vorige week de remmen laten stellen en "
     "binnen 2 dagen terug.", tags=["negated-complaint"])
case("en", pub("x", "@curious_commuter"), "Not a complaint, just curious: can I swap the saddle on my Trapkracht lease "
     "bike myself or does that void something?", tags=["negated-complaint"])
case("en", pub("instagram", "@gliding.gijs"), "\"Damn, it feels good to be a gangsta\" 🎶 me gliding past the traffic "
     "jam on my Trapkracht 😎", tags=["quote", "mild-word"])
case("nl", pub("x", "@forensfrits"), "Mijn Trapkracht is sneller dan de NS én staat minder vaak stil 😂 #forens",
     tags=["joke"])
case("nl", pub("blog", "korteverhalen.example", "Korte Verhalen"), "Hoofdstuk 3. Sem pakte de gloednieuwe bakfiets met "
     "het Trapkracht-stickertje van de buren, reed de polder in en keek niet meer om. Pas bij de dijk besefte hij wat "
     "hij had gedaan.", tags=["fiction"])
case("nl", TK_IG, "Ons team fietst zondag mee met de Tour du KWF tegen kanker 💪 Steun ons via de link in bio!",
     tags=["mild-word"])
case("nl", pub("reddit", "u/nieuwebaan2026"), "Hoe werkt het eigenlijk als ik van baan wissel terwijl mijn "
     "Trapkracht-contract nog loopt? Gaat de fiets mee?", tags=["question"])
case("nl", EVA, "We zoeken fietsenmakers! 🔧 Mobiele monteur in regio Utrecht, 32-40 uur. Solliciteren via "
     "trapkracht.nl/werken-bij", tags=["vacancy"])
case("nl", TK_SVC, "Storing: de Trapkracht app is op dit moment slecht bereikbaar. We werken aan een oplossing en houden "
     "je hier op de hoogte.", tags=["official-outage"])
case("en", TK_X, "Scheduled maintenance: mijn.trapkracht.nl will be unavailable on Sunday 02:00-04:00 CET. Booking a "
     "repair through the app keeps working.", tags=["official-outage"])
case("nl", pub("facebook", "jolien.vd.berg", "Jolien van den Berg"), "Fiets gestolen bij de Jaarbeurs 😢 aangifte "
     "gedaan en binnen 4 dagen stond er een vervangfiets van Trapkracht voor de deur. Chapeau!", tags=["praise"])
case("nl", pub("x", "@utrecht_oost_bewoner"), "Framenummer van mijn gestolen Stadsflits S1: WTK7Y20931. Zie je hem in "
     "Utrecht-Oost, laat het me weten!", tags=["serial"])
case("en", DAAN, "Winter tip from the workshop: charge your battery indoors and wipe the chain after salty roads. Your "
     "lease bike will thank you ❄️", tags=["employee-benign"])
case("en", KEVIN, "App v5.3.0 is rolling out: dark mode, faster booking and a rewritten repair tracker. Grab it from "
     "the store or read the notes at app.trapkracht.nl/release-notes", tags=["employee-benign"])
case("en", pub("reddit", "u/fleet_manager_nl"), "My employer switched from Wielwerk to Trapkracht this year. Has anyone "
     "compared the two on repair speed?", tags=["question", "other-company"])
case("nl", pub("instagram", "@amstel.ochtend"), "Ochtendritje langs de Amstel op mijn Trapkracht 💚🌅 beste "
     "arbeidsvoorwaarde ooit", tags=["praise"])
case("en", pub("x", "@wet_but_happy"), "What a hell of a ride this morning, 38 km in the rain on my Trapkracht and "
     "still smiling", tags=["mild-word"])
case("nl", TK_LI, "Trots: voor het derde jaar op rij uitgeroepen tot beste werkgeversdienst in de fietsbranche 🏆",
     handle_as="Trapkracht-Lease", tags=["case-handle"])
case("nl", MEHMET, "Mooie middag gehad op het congres over duurzame mobiliteit. Fiets van de zaak groeit hard in "
     "Nederland, en terecht.", tags=["employee-benign"])
case("nl", pub("x", "@buurman_bart"), "De interne monteurs van Trapkracht zijn echt top, mijn buurman zweert erbij",
     tags=["marker-near"])
case("en", pub("x", "@scam_spotter"), "Reminder: Trapkracht will never ask for your password by text message. Got a "
     "scam SMS today and reported it 👍", tags=["password-word"])
case("en", TK_X, "Our service team is reachable at service@trapkracht.nl and +31 30 799 4400. Never share your card "
     "number with anyone claiming to be us.", tags=["own-contact"])
case("nl", pub("x", "@hilversum_nieuws"), "Nieuw afhaalpunt van Trapkracht aan de Vaartweg 12 in Hilversum, handig "
     "voor iedereen in het Gooi!", tags=["business-address"])
case("nl", TK_TT, "POV: je ruilt de file in voor je fiets van de zaak 🚲💨 #trapkracht #fietsvandezaak",
     tags=["corporate"])
case("nl", pub("x", "@ov_fan"), "Zonder mijn Trapkracht had ik vandaag vastgestaan door de treinstoring, dikke "
     "aanrader 🙌", tags=["praise"])
case("en", pub("mastodon", "@greenmiles@mastodon.nl", "Greenmiles"), "Trapkracht publishes its CO2 savings per "
     "employer in the app now. Nice touch for sustainability reports.", tags=["praise"])


# --------------------------------------------------------------------------- building

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
        sev = s if RANK[s] > RANK[sev] else sev
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    t = dt.datetime(2026, 1, 2, 6, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(0, 16 * 60), seconds=r.randint(0, 59))
    style = r.random()
    if style < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.85:
        off = ams_offset(t)
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    big = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    b36 = string.digits + string.ascii_lowercase
    if platform == "x":
        return f"x-{big}", f"https://x.com/{h}/status/{big}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:share:{a}", f"https://www.linkedin.com/feed/update/urn:li:share:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{big[:17]}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        n = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{n}", f"https://www.facebook.com/{h}/posts/{n}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/fietsen/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/fietsen/comments/{p}/"
    if platform == "threads":
        return f"th-{big}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "tiktok":
        return f"tt-{big}", f"https://www.tiktok.com/@{h}/video/{big}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"masto-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"fietsforum-{n}", f"https://forum.fietsforum.example/topic/{n}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 7, 10 ** 9)
    return f"{platform}-{n}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        valid = "leak.pii" in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
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
        p = mr.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif p < 0.07:
            tags.add("no-lang-hint")
        elif p < 0.10:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or random_time(mr)
        if url and mr.random() < 0.7:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "trapkracht"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, lang=c["lang"], role=role,
                         tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# --------------------------------------------------------------------------- checker

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bglpat-[\w-]{20}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"\blive_[A-Za-z0-9]{30}\b", r"hooks\.slack\.com/services/", r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"://[^\s:/@]+:[^\s@/]+@")]
BAD_WORDS = ["kut", "kanker", "tering", "klootzak", "debiel", "trut", "mongol", "fuck", "f*ck", "idiot", "moron",
             "clown", "damn", "hell", "loser"]
MILD_OK = {"damn", "hell", "kanker"}
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def norm(t):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", t).translate(INVIS)).casefold()


def ids_in(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_ok(comp[:end]):
                if comp[:end] not in own_ibans:
                    hits.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        dgt = re.sub(r"\D", "", m.group(0))
        if 13 <= len(dgt) <= 19 and luhn_ok(dgt):
            hits.append(("card", dgt))
    for s in re.findall(r"(?<![\w.,-])\d{9}(?![\w])", text) + \
            [m.replace(".", "").replace(" ", "") for m in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b|\b\d{3} \d{3} \d{3}\b", text)]:
        if bsn_ok(s):
            hits.append(("bsn", s))
    return hits


def phone_digits(raw):
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+31"):
        d = d[2:]
    elif raw.startswith("0031"):
        d = d[4:]
    d = d.lstrip("0")
    return "0" + d


AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s:
        s = s if re.search(r"\.\d{2}$", s) else s.replace(".", "")
    return float(s)


def check(lines, rows, profile):
    errors, notes = [], []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phones = {phone_digits(p) for p in profile["public_identifiers"]["phones"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errors.append(f"{w}: {f} missing")
        if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", p["created_at"]):
            errors.append(f"{w}: bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errors.append(f"{w}: not 2026")
        if (p["platform"], p["id"]) in seen:
            errors.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errors.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        ids = ids_in(text, own_ibans)
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != sev:
            errors.append(f"{w}: severity {sev} != {want}")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errors.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw) or k.startswith("BAD_IBAN") and iban_ok(raw):
                errors.append(f"{w}: IBAN checksum wrong way round {raw}")
            if k == "CARD" and not luhn_ok(raw) or k == "BAD_CARD" and luhn_ok(raw):
                errors.append(f"{w}: card checksum wrong way round {raw}")
            if k == "BSN" and not bsn_ok(raw) or k == "NOT_BSN" and bsn_ok(raw):
                errors.append(f"{w}: BSN checksum wrong way round {raw}")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errors.append(f"{w}: ghp crc wrong")
        if any(k in VALID_ID for k, _, _ in r["used"]) and not ids:
            errors.append(f"{w}: valid identifier not re-found")
        if ids and "leak.pii" not in cats:
            errors.append(f"{w}: valid identifier {ids} without leak.pii")
        nt = norm(text)
        for term, until in emb:
            if term in nt:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{w}: embargo term {term!r} before embargo, not confidential")
                if ts >= until and "leak.confidential" in cats:
                    errors.append(f"{w}: embargo term {term!r} after embargo but labelled confidential")
        for term in internal:
            if term in nt and "leak.confidential" not in cats:
                errors.append(f"{w}: internal term {term!r} without leak.confidential")
        if not cats:
            if sev != "none":
                errors.append(f"{w}: benign with severity {sev}")
            if ids:
                errors.append(f"{w}: benign with valid identifier {ids}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errors.append(f"{w}: benign with e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                d = phone_digits(m.group(0))
                if len(d) == 10 and d not in own_phones:
                    errors.append(f"{w}: benign with phone {m.group(0)}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if m.group(0) != "AKIAXXXXXXXXXXXXXXXX":
                        errors.append(f"{w}: benign with secret-like {m.group(0)[:16]}")
            for bw in BAD_WORDS:
                if re.search(r"\b" + re.escape(bw), nt):
                    (notes if bw in MILD_OK and r["tags"] & {"mild-word", "quote"} else errors).append(
                        f"{w}: benign with word {bw!r}")
            # price below ratio near a product
            mentioned = [pr for pr in profile["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
            amts = [amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(nt)]
            if mentioned and amts:
                ratio = min(amts) / min(pr["list_price"] for pr in mentioned)
                if ratio < profile["pricing"]["alert_below_ratio"]:
                    (notes if "price-context" in r["tags"] else errors).append(
                        f"{w}: benign with price ratio {ratio:.2f} (tags {sorted(r['tags'])})")
    return errors, notes


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    cat_lang, cat_role = Counter(), Counter()
    multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"] or ["(benign)"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        multi += len(r["expect"]["categories"]) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
            cat_lang[(c, r["lang"])] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {len(rows)}  benign {cat['(benign)']}  multi-category {multi}  evasion {ev}")
    print(f"{'category':24s} total   nl   en  corp  empl  publ")
    for c in TAXONOMY + ["(benign)"]:
        print(f"{c:24s} {cat[c]:5d} {cat_lang[(c, 'nl')]:4d} {cat_lang[(c, 'en')]:4d} "
              f"{cat_role[(c, 'corporate')]:5d} {cat_role[(c, 'employee')]:5d} {cat_role[(c, 'public')]:5d}")
    print("languages", dict(lang), " roles", dict(role))
    print("severities", {s: sev[s] for s in SEVERITIES})
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
    errors, notes = check(disk, rows, profile)
    if disk != lines:
        errors.append("cases.jsonl differs from the generator output")
    report(rows)
    if a.notes:
        for x in notes:
            print("  note:", x)
    print(f"{len(errors)} error(s), {len(notes)} note(s)")
    for e in errors:
        print("  ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
