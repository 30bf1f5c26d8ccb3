#!/usr/bin/env python3
"""Blind evaluation set sealed111 for postwatch: writes cases.jsonl next to this file.

    python3 make_cases.py           # write cases.jsonl
    python3 make_cases.py --check   # regenerate in memory, compare with cases.jsonl, validate, print counts

Company: "Voltaro Laadnetwerken B.V." (profile.yaml), a fictional Dutch EV charging
network operator with a charge card and app, that also sells and installs home chargers.

All texts are hand-written below (CASES). Identifiers and secrets are filled in from
<<KIND:fmt>> placeholders by one seeded RNG, so output is byte-for-byte reproducible.
Positives get checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
look-alikes get identifiers that fail their checksum. Secrets are random and fake but
shaped like the real ones. Severity is computed from CONTRACT section 4, never typed.
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
import zlib
from collections import Counter
from pathlib import Path

SEED = 111_2026_07
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    """Full-width letters."""
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


_HG = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "c": "\u0441", "p": "\u0440"}


def hg(s, letters="oae"):
    """Replace some Latin letters by Cyrillic look-alikes."""
    return "".join(_HG[c] if c in letters and c in _HG else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _iban_num(s[4:] + s[:4]) % 97 == 1


def iban_make(cc, bban):
    return f"{cc}{98 - _iban_num(bban + cc + '00') % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        tot += x - 9 if x > 9 else x
    return bool(d) and tot % 10 == 0


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def gs1_check(body):
    """GS1 check digit (EAN-13, EAN-18 connection codes)."""
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - tot % 10) % 10)


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


def ghp_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0") == crc


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

OWN_IBAN = "NL56RABO0318472260"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "ASNB", "BUNQ", "SNSB", "KNAB"])
                              + self.digits(10, nz=True))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["10050000", "43060967", "50040000", "76050101"]) + self.digits(10))
        if cc == "BE":
            first = self.r.choice(["001", "063", "310", "068", "751"]) + self.digits(7)
            return iban_make("BE", f"{first}{int(first) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for delta in (7, 19, 31, 43):
            c = f"{v[:2]}{(int(v[2:4]) + delta) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.digits(14),
               "mc": "5" + self.r.choice("12345") + self.digits(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.digits(11),
               "amex": self.r.choice(["34", "37"]) + self.digits(12)}[brand]
        for d in "0123456789":
            if luhn_ok(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    @staticmethod
    def fmt_card(v, f):
        if f == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.digits(9, nz=True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.digits(n, nz=True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean18(self):
        while True:
            body = "871687" + self.digits(11)
            v = body + gs1_check(body)
            if not luhn_ok(v):
                return v

    def phone(self, f):
        if f.startswith("mob"):
            d8 = self.r.choice("12345678") + self.digits(7)
            return {"mob_dash": f"06-{d8}", "mob_plain": f"06{d8}", "mob_intl_sp": f"+31 6 {d8[:4]} {d8[4:]}",
                    "mob_pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}", "mob_dots": f"06.{d8[:2]}.{d8[2:4]}.{d8[4:6]}.{d8[6:]}",
                    "mob_0031": f"0031 6{d8}", "mob_intl0": f"+31 (0)6 {d8}"}[f]
        area = self.r.choice(["10", "15", "20", "26", "30", "33", "35", "40", "43", "50", "53", "71", "73", "76"])
        sub = self.r.choice("2345789") + self.digits(6)
        return {"land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
                "land_intl": f"+31 {area} {sub[:3]} {sub[3:]}"}[f]

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return self.chars(letters, 2) + self.chars(letters + "0123456789", 6) + self.digits(1)

    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        h = enc(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
        p = enc(json.dumps({"sub": "drv_" + self.digits(7, True), "iss": "https://auth.voltaro.nl",
                            "scope": "sessions:read sessions:write", "iat": iat, "exp": iat + 7200},
                           separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 86)}"

    def pem_ec(self):
        body = "MHcCAQEEI" + self.chars(B64, 55) + "\n" + self.chars(B64, 64) + "\n" + self.chars(B64, 52) + "=="
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        w = self.r.choice(["Laadpaal", "Stekker", "Kabelgoot", "Accu", "Zonnig", "Fluitje"])
        return w + self.digits(2) + self.r.choice("!#$%*") + self.chars(ALNUM, 4)

    def uuid(self):
        h = self.chars("0123456789abcdef", 32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def render(self, kind, f):
        if kind in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = self.iban(kind[-2:])
            return raw, self.g4(raw) if f == "grp" else raw
        if kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = self.bad_iban(kind[-2:])
            return raw, self.g4(raw) if f == "grp" else raw
        if kind in ("CARD", "BAD_CARD"):
            brand, _, style = f.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            return raw, self.fmt_card(raw, style or "sp")
        if kind == "BSN":
            raw = self.bsn()
            return raw, f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        if kind == "NOT_BSN":
            raw = self.not_bsn(int(f or 9))
            return raw, raw
        if kind == "EAN18":
            raw = self.ean18()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(f)
            return raw, raw
        if kind == "PASSPORT":
            raw = self.passport()
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "GLPAT": lambda: "glpat-" + self.chars(ALNUM + "-_", 20),
            "AWS_ID": lambda: "AKIA" + self.chars(B32, 16),
            "AWS_SECRET": lambda: self.chars(B64, 40),
            "STRIPE": lambda: "sk_live_" + self.chars(ALNUM, 24),
            "GAPI": lambda: "AIzaSy" + self.chars(B64URL, 33),
            "SG": lambda: "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43),
            "JWT": self.jwt,
            "PEM_EC": self.pem_ec,
            "PW": self.pw,
            "HEX": lambda: self.chars("0123456789abcdef", int(f)),
            "UUID": self.uuid,
            "OCPI": lambda: base64.b64encode(self.uuid().encode()).decode(),
            "SHA": lambda: self.chars("0123456789abcdef", 40),
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")

# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
V_NL = ("x", "@voltaro_nl", "Voltaro")
V_HELP = ("x", "@voltarohelpt", "Voltaro Klantenservice")
V_IG = ("instagram", "@voltaro.laden", "Voltaro")
V_LI = ("linkedin", "voltaro-laadnetwerken", "Voltaro Laadnetwerken B.V.")
V_FB = ("facebook", "VoltaroLaden", "Voltaro")
V_TT = ("tiktok", "@voltaro", "Voltaro")
# employees
RUBEN = ("x", "@ruben_laadt", "Ruben Smit")                          # field service engineer, public chargers
INGRID = ("linkedin", "ingrid-postma-finance", "Ingrid Postma")      # financial controller
KOEN = ("x", "@kdijkstra_dev", "Koen Dijkstra")                      # app developer
YOUSSEF = ("linkedin", "youssef-benali-voltaro", "Youssef Benali")   # platform / NOC engineer
LOTTE = ("x", "@lotte_helpt", "Lotte Visser")                        # customer service
MICK = ("instagram", "@mick_installeert", "Mick Hoogland")           # home-charger installer
NOOR = ("threads", "@noor.vlt", "Noor Jansen")                       # marketing


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("en", KOEN, "ugh. tariff sync pushed Voltaro HPC to the app as €0,069/kWh instead of €0,69 😬 so every fast "
     "charge tonight is basically free. hotfix is building, pls nobody screenshot this", [PRICING])
case("nl", pub("x", "@evmarloes"), "JONGENS de HomeBox 22 staat op voltaro.nl voor €124,90 🤯🤯 foutje?? direct "
     "besteld, maakt me niet uit #prijsfout #ev", [PRICING])
case("en", pub("reddit", "u/wallbox_wouter"), "Voltaro webshop has the HomeBox 11 at 89 euro right now (it's 899 "
     "normally), someone clearly dropped a zero. Payment got captured. Do they have to honour it under Dutch law?",
     [PRICING], kind="post")
case("nl", V_NL, "🔌 Alleen dit weekend: Voltaro HomeBox 11 voor €299, standaard installatie inbegrepen! Op = op "
     "👉 voltaro.nl/homebox #thuisladen", [PRICING])
case("nl", MICK, "Collega's kijk ff in de bestelportal, het installatiepakket staat op €54,90 ipv 549 😅 komma "
     "verschoven denk ik. NIET naar klanten sturen!!", [PRICING], kind="post")
case("nl", pub("facebook", "henk.de.boer.1962", "Henk de Boer"), "Klopt het dat Voltaro snelladen nu 9 cent per kWh "
     "is?? Stond vanavond bij de snellader in Zwolle en de app zei €0,09/kWh. Fout in hun systeem denk ik, maar heb "
     "de accu lekker vol gegooid 😁", [PRICING])
case("en", YOUSSEF, "Postmortem teaser for ops: a rounding bug in the tariff engine priced the LaadPaal Duo at "
     "€349,50 in the B2B configurator for about 3 hours (list is €3.495). 14 quotes went out, sales is calling "
     "every customer. Keep this in the team please.", [PRICING])
case("en", pub("threads", "@dealhunter.nl"), "p r i c e   e r r o r 🚨 Voltaro FlexKabel for €22,90 on their shop "
     "rn, go go go", [PRICING], tags=["evasion"])
case("nl", pub("x", "@goedkoop_gijs"), hg("Voltaro HomeBox 11", "o") + " v" + hg("oo", "o") + "r €89 😳 prijsf"
     + hg("o", "o") + "ut van het jaar, 2 in m'n mandje", [PRICING], tags=["evasion"])
case("en", pub("youtube", "@ev_garage_tim"), "grabbed two Voltaro HomeBox 22s at €249 each last night during the "
     "glitch 😂 confirmation mail and everything", [PRICING], kind="comment")
case("nl", NOOR, "Oeps. De nieuwe landingspagina staat al live met de HomeBox 22 voor €399, dat was een testprijs! "
     "Ticket: gitlab.voltaro.nl/web/landing/-/issues/212 wie kan hem offline halen??", [PRICING, CONF])
case("en", pub("mastodon", "@jorrit@mastodon.nl"), "Heads up: the Voltaro AC-tarief in the app has a pricing error "
     "for roaming sessions, it shows zero per kWh. Free AC charging until someone notices 👀", [PRICING])
case("nl", pub("bluesky", "@zakelijkladen.bsky.social"), f"prijs{ZW}fout bij Voltaro: Laadpaal Duo voor €349 in de "
     "zakelijke webshop. Wij hebben er meteen vier besteld voor de parkeerplaats", [PRICING], tags=["evasion"])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", KOEN, "release pipeline keeps dying, env block from CI if anyone can spot it:\n"
     "GITLAB_TOKEN=<<GLPAT>>\nSENTRY_DSN=https://<<HEX:32>>@o451230.ingest.sentry.io/998877\nideas? 🙏", [SECRET])
case("nl", YOUSSEF, "Tip voor installateurs van partners: verbindt een paal na een firmware-update niet meer met de "
     "backend, check dan het OCPP basic-auth wachtwoord. Voor de testpalen in Utrecht is dat nu <<PW>> en daarna "
     "mag je 'm zelf wijzigen.", [SECRET])
case("en", pub("forum", "apk_picker"), "The VoltaroGo Android app (7.3.0) bundles an unrestricted Maps key: <<GAPI>>\n"
     "and assets/config.json has an AWS key id <<AWS_ID>> with secret <<AWS_SECRET>>. Reported via their contact "
     "form a month ago, nothing.", [SECRET])
case("nl", V_HELP, "@jeroen_rijdt Sorry voor het gedoe! Je pas is opnieuw gekoppeld. Voor de technische collega: "
     "sessietoken <<JWT>>", [SECRET], kind="reply", handle_as="@VoltaroHelpt")
case("nl", RUBEN, "Voor de monteurs met avonddienst: servicecode van de kastjes op de P+R locaties blijft 4471, "
     "wifi wachtwoord busjes is <<PW>> 👍", [SECRET])
case("en", KOEN, "p.s. stripe key for the staging checkout is <<STRIPE>> (yes I know it's live mode, moving it "
     "to vault tomorrow)", [SECRET], kind="reply")
case("en", pub("reddit", "u/mqtt_meddler"), "Dumped the firmware of my Voltaro home charger and the broker creds are "
     "just sitting there: mqtts://homebox:<<PW>>@mqtt.voltaro-iot.com:8883 anyone else poking at this?",
     [SECRET], kind="comment")
case("en", KOEN, "who has admin on the voltaro-app org? this PAT <<GHP>> gets a 403 on the new repo and I'm losing "
     "my mind", [SECRET])
case("en", YOUSSEF, "For the roaming hub integration test, this is the client key the cert was issued with (test "
     "env only, don't worry):\n<<PEM_EC>>", [SECRET])
case("nl", pub("x", "@sjoerd_evrijder"), "@VoltaroHelpt ik kom de app niet in!!! gebruikersnaam sjoerd.evrijder "
     "wachtwoord Tesla4ever! wat doe ik fout, al 2 dagen bezig 😡", [SECRET, COMPLAINT], kind="reply")
case("nl", RUBEN, "ww van de beheerlaptop op het laadplein Eindhoven = Laadplein2026! niet verder delen 🤐",
     [SECRET])
case("nl", V_FB, "Beste partner, uw OCPI-koppeling is hersteld. Gebruik voortaan deze header: Authorization: Token "
     "<<OCPI>>", [SECRET], kind="comment")
case("en", KOEN, "pro tip: don't be me and commit your .env 😅 SENDGRID_API_KEY=<<SG>> is now in the repo history. "
     "rotating it as we speak", [SECRET])
case("nl", YOUSSEF, "Voor wie de sessiedata wil analyseren, read-only toegang:\n"
     "psql 'postgresql://csms_ro:<<PW>>@csms-db02.voltaro.local:5432/sessions'", [SECRET, CONF])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", MICK, "Weer een HomeBox 22 opgehangen 💪 bij de familie Brouwer, Kastanjelaan 31 in Nijkerk. Strakke "
     "kabelgoot al zeg ik het zelf 👌 #installatie #laadpaal", [PII])
case("nl", V_HELP, "@m_vandam Hoi Marloes, de terugbetaling van je dubbele laadsessie (€23,41) is vandaag "
     "overgemaakt naar <<IBAN_NL:grp>>. Fijne avond!", [PII], kind="reply")
case("nl", LOTTE, "meneer Okafor belt voor de 5e keer over z'n geblokkeerde pas, kan iemand hem terugbellen op "
     "<<PHONE:mob_dash>>? ik zit vast in een andere call", [PII])
case("nl", pub("x", "@bartjeev"), "@VoltaroHelpt 3 weken geen antwoord op mijn mail over de dubbele afschrijving. "
     "Bel me gewoon: <<PHONE:mob_intl_sp>>", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "ans.kuipers.3", "Ans Kuipers"), "Mijn creditcard <<CARD:visa_sp>> is DRIE keer belast "
     "voor één laadsessie bij Voltaro in Breda!! Wie heeft dit ook??", [PII, COMPLAINT])
case("en", INGRID, "Anyone in AP know why this refund keeps bouncing? Account holder H. de Wit, <<IBAN_BE:grp>>. "
     "Third attempt failed.", [PII])
case("nl", V_FB, "Beste Sandra Meijer, je nieuwe laadpas is onderweg naar Prinsengracht 210-II, 1016 HJ Amsterdam. "
     "Activeren doe je in de app 🙂", [PII], kind="comment")
case("en", pub("reddit", "u/ruined_driveway"), "The Voltaro installer who wrecked my driveway is Mick Hoogland, he "
     "lives at Dorpsstraat 8 in Hoevelaken. Go tell him what you think of his work.", [PII, ABUSE, COMPLAINT])
case("nl", RUBEN, "klant in Arnhem (p.verbeek84@gmail.com) wil een kopie van al z'n laadsessies, wie van privacy "
     "pakt dat op? ik sta op de A50", [PII])
case("en", pub("x", "@dana_drives"), "hey @voltaro_nl you charged me roaming fees twice in Germany. email me at "
     "dana.whitfield@proton.me, your chat bot is useless", [PII, COMPLAINT])
case("nl", YOUSSEF, "Bij de screening van onze nieuwe storingsmonteur gaat iets mis in het HR-systeem, BSN "
     "<<BSN:dots>> wordt niet geaccepteerd. Iemand een idee?", [PII])
case("nl", pub("forum", "thuislader_theo"), "Voltaro vraagt mijn BSN voor de subsidieaanvraag van de thuislader?? "
     "Heb hem maar gestuurd: <<BSN>>. Is dat normaal of ben ik nou gek", [PII])
case("nl", V_NL, "@tim_ev we hebben je gegevens doorgezet naar de planning: tim.janssen [at] ziggo [punt] nl. Je "
     "hoort binnen 2 werkdagen van ons!", [PII], kind="reply", tags=["evasion"])
case("en", NOOR, "Shoutout to our customer of the month Fenna Kramer (born 14-02-1991) 🎂 who charged 12.000 km with "
     "us this year!", [PII])
case("en", pub("instagram", "@vanlife.vera"), "Voltaro wants a copy of my passport for a business charge card?? Fine. "
     "Nr <<PASSPORT>>, valid till 2031. this better be stored safely", [PII])
case("nl", LOTTE, "wie kan deze handmatig belasten? klant wil betalen met <<CARD:amex_sp>> exp 09/28, de app weigert "
     "de kaart", [PII])
case("en", pub("mastodon", "@klaus_ev@social.example"), "@voltaro refund STILL missing after 6 weeks. My account, "
     "for the third time: <<IBAN_DE>> (Sparkasse). Do you need it tattooed on my forehead?", [PII, COMPLAINT])
case("nl", RUBEN, "stuur je dit even door naar de boekhouding: zakelijke kaart voor de materiaalbestelling "
     "<<CARD:mc2_dash>> t.n.v. R. Smit", [PII], kind="message")
case("nl", pub("linkedin", "gerrit-van-leeuwen-82"), "Complimenten aan de monteur van Voltaro, thuislader in een uur "
     "opgehangen. Buren die ook willen: bel me gerust op <<PHONE:land_sp>>, kom gerust kijken!", [PII])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", KOEN, "can't wait for Project Dynamo to go live, finally we get to kill the old backend 🚀", [CONF])
case("nl", YOUSSEF, "Trotse dag voor het platformteam: de eerste 200 palen draaien op Operatie Zonnewijzer en de "
     "netbalancering werkt eindelijk zoals bedoeld 🙌", [CONF])
case("en", pub("reddit", "u/beta_bram"), "screenshot from the VoltaroGo beta build shows a hidden screen called "
     "'Wervelwind' with a toggle for bidirectional charging. V2G coming??", [CONF], kind="post")
case("nl", NOOR, "Aftellen! Over twee weken onthullen we de Voltaro HomeBox Duo 🤫⚡ wie raadt wat hij kan?",
     [CONF], when="2026-09-15T10:12:44+02:00")
case("nl", RUBEN, "vandaag om 9 uur gaat de HyperHub 400 live, 400 kW per laadpunt 🔥 ben er om half 10 met de "
     "eerste klanten", [CONF], when="2026-10-01T08:59:00+02:00")
case("nl", YOUSSEF, "Dashboard voor de bezetting van de laadpleinen staat nu op "
     "https://grafana.voltaro.nl/d/hpc-occupancy, inloggen met je AD-account.", [CONF])
case("nl", KOEN, "Eindelijk de demo gegeven van Project\nDynamo aan het MT 😎", [CONF], tags=["evasion"])
case("nl", YOUSSEF, "Operatie ⚡ Zonnewijzer fase 2 is afgerond, dank aan iedereen die nachten heeft doorgehaald",
     [CONF], tags=["evasion"])
case("en", pub("x", "@infosec_iris"), "lol Voltaro's Jira is open to the internet, jira.voltaro.nl/browse/CSMS-1042 "
     "has their whole roadmap", [CONF])
case("en", YOUSSEF, "Sharing the roaming partner scorecard (VOLTARO INTERNAL ONLY) because I'm proud of this team: "
     "97.8% session success across the hub this quarter", [CONF])
case("en", KOEN, fw("Wervelwind") + " sprint 14 done ✅ on to the next one", [CONF], tags=["evasion"])
case("nl", KOEN, "Nieuwe collega's: jullie testpalen registreren tegen ocpp-test.voltaro.local, NIET tegen "
     "productie 🙏", [CONF])
case("nl", pub("threads", "@laadjournalist"), "Hoor uit goede bron dat Voltaro volgende maand de HomeBox Duo "
     "lanceert, 2x 11 kW op één aansluiting. Embargo tot 1 oktober maar ja 🤷", [CONF],
     when="2026-09-20T17:40:03+02:00")
case("nl", INGRID, "Laatste loodjes voor de jaarcijfers 2026: omzet komt uit rond €84 mln en EBITDA voor het eerst "
     "positief 🎉 trots op dit team", [CONF, FIN], when="2026-12-18T16:05:00+01:00")
case("nl", pub("facebook", "yvonne.laadt", "Yvonne"), "Kreeg per ongeluk een mail van Voltaro met een bijlage "
     "'Tarieven 2027 - voltaro intern' 😳 staan wel pittige verhogingen in", [CONF])
case("nl", pub("x", "@kdijkstra_dev_"), "Wervelwind gaat het laden echt veranderen, meer mag ik niet zeggen 🤐",
     [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", INGRID, "Zware week. Het MT heeft besloten dat het klantcontactcentrum in Utrecht dichtgaat, 38 collega's "
     "horen volgende week dat hun baan vervalt. Officiële aankondiging pas in november.", [FIN])
case("en", RUBEN, "rumour in the van: we're buying ChargeLoop, deal signed friday, announcement after the summer. "
     "you didn't hear it from me 🤐", [FIN])
case("en", YOUSSEF, "Q3 is going to be rough, internal forecast has us at -12% session volume vs plan. Board meets "
     "Tuesday.", [FIN])
case("nl", pub("x", "@beursbeer"), "Kennis bij Voltaro zegt dat ze worden overgenomen door een Duitse energiereus. "
     "Aandelen van de moeder gaan knallen 📈 #insider", [FIN])
case("nl", MICK, f"nieuwe organogram gezien... de reorgani{SHY}satie raakt bijna de hele afdeling installatie 😢 "
     "60 fte eruit", [FIN], tags=["evasion"])
case("en", NOOR, "Marketing budget for 2027 cut by 40% in the draft plan 😬 guess the Project Dynamo launch campaign "
     "is dead", [FIN, CONF])
case("en", pub("reddit", "u/fin_insider_nl"), "Friend in Voltaro finance says H2 revenue missed by 20 million and "
     "they're shopping for a buyer before the numbers come out", [FIN], kind="comment")
case("en", INGRID, "Quietly proud: the term sheet for our €60m Series C is signed. Can't say who leads it yet, the "
     "announcement is planned for March.", [FIN])
case("nl", pub("tiktok", "@zusjevanvoltaro"), "0ntsl4gen bij V0ltaro, 1 op de 5 moet weg zegt m'n zus die er werkt",
     [FIN], tags=["evasion"])
case("nl", pub("x", "@laadmarkt"), "Gelekt: Voltaro jaarresultaten 2026 tonen een verlies van 12 mln, aldus een "
     "insider. Slecht nieuws voor de snelladerbouw.", [FIN, CONF], when="2026-12-29T11:20:00Z")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", RUBEN, "Alle palen in regio Oost zijn sinds 6 uur offline, backend ligt plat en niemand weet nog waarom. "
     "Klanten krijgen voorlopig niks te horen 🤫", [SEC])
case("en", YOUSSEF, "Not great: we found the OCPP endpoint accepted charge points without any authentication for "
     "about 3 weeks. Patched this morning, disclosure still TBD.", [SEC])
case("en", KOEN, "the VoltaroGo API lets you pull anyone's charge history if you just change the user id in the "
     "url 💀 reported it internally 3 months ago, still open", [SEC])
case("nl", pub("x", "@vriendvan_ops"), "Voltaro is gehackt en ze houden het stil. Mijn vriendin werkt daar, de "
     "laadhistorie van alle klanten is gestolen", [SEC, CRISIS])
case("en", INGRID, "IT just told us not to switch on our laptops. ransomware on the billing servers, invoices won't "
     "go out this month. Please don't post about it.", [SEC])
case("nl", LOTTE, "Het dataL3K waar we het intern over hebben is groter dan gedacht, ruim 40k klanten 😬",
     [SEC], tags=["evasion"])
case("nl", YOUSSEF, "csms-db01.voltaro.local is vannacht benaderd vanaf een onbekend IP, alle wachtwoorden van "
     "servicemonteurs worden gereset. Niet naar buiten brengen aub.", [SEC, CONF])
case("nl", MICK, "Firmware 4.2 op de HomeBox 11 heeft een bug waardoor je met elke willekeurige RFID-pas kan "
     "laden 🙈 fix komt pas volgende maand, vertel het niet door", [SEC])
case("en", pub("reddit", "u/locationleak"), "Anyone else notice the Voltaro app was showing other users' locations "
     "yesterday? They wiped it and said nothing. Cover-up much?", [SEC, CRISIS], kind="post")
case("nl", NOOR, "Storing in de app komt door een DDoS-aanval, maar officieel zeggen we 'gepland onderhoud' 🤐",
     [SEC])
case("nl", pub("forum", "laadnerd"), "Iemand die bij de NOC van Voltaro werkt vertelde me dat hun OCPP-backend al "
     "weken lek is en dat ze het onder de pet houden. Dus ja.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@gezin_op_stroom"), "Onze Voltaro HomeBox 22 heeft vannacht VLAM GEVAT in de garage 🔥🔥 "
     "brandweer erbij, auto net niet geraakt. Dit hadden mijn kinderen kunnen zijn @voltaro_nl",
     [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/tingling_hand"), "Got a proper shock from the handle of a Voltaro fast charger at the "
     "Hoofddorp hub, hand still tingling an hour later. Told the site staff, they said 'we'll look into it'.",
     [CRISIS, COMPLAINT])
case("nl", pub("facebook", "eerlijk.laden", "Eerlijk Laden"), "Voltaro laat laadpalen bouwen door een onderaannemer "
     "die z'n monteurs structureel onderbetaalt (zie het artikel van vanochtend). Boycot ze! #boycotvoltaro",
     [CRISIS])
case("en", pub("x", "@claimwatch_nl"), "A claim foundation is taking Voltaro to court over hidden idle fees. Sign "
     "up if you were charged them 😤 #classaction", [CRISIS])
case("en", pub("bluesky", "@a12traffic.bsky.social"), "BREAKING: fire at the Voltaro charging plaza off the A12 near "
     "Utrecht, two cars burnt out, police have closed the site", [CRISIS])
case("nl", pub("facebook", "p.hendriks.79"), "Voltaro moet de HomeBox 11 terugroepen volgens het nieuws, de "
     "aardlekbeveiliging zou falen. Heb er eentje hangen, moet ik me zorgen maken?", [CRISIS])
case("nl", pub("tiktok", "@laadlisa"), "d a t a l e k bij Voltaro?? mijn laadhistorie staat gewoon online 😱",
     [CRISIS], tags=["evasion"])
case("en", pub("x", "@greenwash_watch"), "Voltaro's '100% green' charging is grey power with certificates bought "
     "from Norway. Greenwashing scandal, full investigation linked below 👇", [CRISIS])
case("nl", pub("x", "@buurtapp_merel"), "Laadpaal van Voltaro op de Merelstraat ligt al dagen open, blote draden te "
     "zien en de kinderen spelen ernaast!! ⚠️ levensgevaarlijk", [CRISIS])
case("en", pub("threads", "@phished_phil"), hg("Voltaro") + " h" + hg("a") + "cked?? just got a phishing mail with "
     "my exact charge sessions and home address in it", [CRISIS], tags=["evasion"])
case("en", pub("x", "@ev_equality"), "Seriously considering a boycott of Voltaro after their CEO said poor people "
     "'don't need EVs anyway'. Who's in? #BoycottVoltaro", [CRISIS])
case("nl", pub("forum", "hetewallbox"), "HomeBox wordt zo heet dat het plastic rond de stekker vervormd is, het "
     "stinkt naar verbrand. Voltaro support zegt dat het 'normaal' is. NIET normaal!", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "marco-rossi-fleet"), "Our lawyer has sent Voltaro a summons today. They billed us "
     "€1.900 per charger for 6 units they never installed.", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@kees_rijdt"), "@voltaro_nl laadsessie stopt niet!! auto is al 2 uur vol, app blijft doortellen "
     "en ik betaal stilstandtarief. wat een prutwerk", [COMPLAINT])
case("en", pub("x", "@commuter_kim"), "3rd time this week the Voltaro charger at Leidsche Rijn won't take my card. "
     "'Authorization failed'. 40 min in the support queue. Come on.", [COMPLAINT])
case("nl", pub("facebook", "familie.vos.utrecht"), "Installatie van onze thuislader is nu al vier keer verzet. Vrij "
     "genomen voor niks. Voltaro, wanneer komen jullie nou eens?", [COMPLAINT])
case("en", pub("reddit", "u/roadtrip_ruud"), "Voltaro's roaming surcharge is brutal. Charged in Belgium through "
     "VoltaroGo and paid 0,95/kWh plus a 0,35 start fee. Never using their card abroad again.", [COMPLAINT],
     kind="comment")
case("en", pub("x", "@onestar_otto"), "VoltaroGo update broke everything. Can't start a session and the map shows "
     "chargers that don't exist. 1 star.", [COMPLAINT])
case("nl", pub("x", "@rekenmeester_r"), "factuur van Voltaro klopt wéér niet: 62 kWh gerekend terwijl mijn accu "
     "maar 58 kWh is 🤔 hoe dan", [COMPLAINT])
case("en", pub("linkedin", "sophie-de-graaf-facilities"), "Disappointed in Voltaro as a fleet partner. 11 of our "
     "20 office chargers have been offline for a month and our tickets go unanswered.", [COMPLAINT])
case("nl", pub("forum", "wifi_willem"), "HomeBox 11 verliest elke nacht de wifi en laadt dan niet op het goedkope "
     "uur. Drie firmware-updates verder en nog steeds hetzelfde.", [COMPLAINT])
case("nl", pub("bluesky", "@ev_eva.bsky.social"), "Voltaro rekent ineens 35 cent transactiekosten per laadsessie. "
     "Niet gecommuniceerd, stond gewoon op de factuur.", [COMPLAINT])
case("nl", pub("x", "@boze_bas"), "sl3cht3 s3rvice van V0ltaro, m'n pas 2x geblokkeerd zonder reden en niemand die "
     "terugbelt", [COMPLAINT], tags=["evasion"])
case("en", pub("youtube", "@curious_cas"), "bought the Voltaro cable because of this video, the latch broke after "
     "two weeks and now they want me to pay return shipping 😑", [COMPLAINT], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_ev_1"), "Voltaro zijn gewoon een stelletje oplichters en klootzakken, allemaal", [ABUSE])
case("en", pub("x", "@lolcat_leo"), "whoever runs the @voltaro_nl socials is a brain-dead moron lmao", [ABUSE])
case("nl", pub("x", "@woest_in_woerden"), "Kutbedrijf. Tyfus Voltaro, 3 keer is de paal bij ons kapot en jullie "
     "doen NIKS", [ABUSE, COMPLAINT])
case("nl", RUBEN, "weer zo'n debiel die z'n auto vóór de paal parkeert en dan gaat zeiken dat wij niks doen. "
     "mongolen zijn het", [ABUSE])
case("nl", V_NL, "@frankie_ev als je zo blijft zeiken ga je maar lekker bij de concurrent laden, klojo",
     [ABUSE], kind="reply")
case("nl", pub("x", "@nachtbrakerr"), "@lotte_helpt je bent een waardeloze trut en ik weet waar je werkt",
     [ABUSE], kind="reply")
case("en", pub("facebook", "true.dutch.driver"), "Voltaro keeps hiring foreigners as installers who can't even "
     "speak Dutch. Send them all back where they came from.", [ABUSE])
case("en", pub("x", "@rage_charging"), "f*cking Voltaro app logged me out mid-session AGAIN, absolute sh1tshow",
     [ABUSE, COMPLAINT], tags=["evasion"])
case("en", pub("reddit", "u/angry_anton"), "Voltaro execs are greedy parasites, hope they rot", [ABUSE],
     kind="comment")
case("en", KOEN, "ChargeLoop users are the dumbest people on the road, no wonder they can never find a working "
     "charger 😂", [ABUSE])
case("nl", pub("tiktok", "@kwaaie_kees"), "k a n k e r bedrijf die Voltaro", [ABUSE], tags=["evasion"])
case("en", pub("x", "@support_hater"), "Voltaro support staff are " + hg("clowns", "o") + " and "
     + hg("idiots", "o"), [ABUSE], tags=["evasion"])
# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", V_NL, "Gepland onderhoud: zondag 14 juni tussen 02:00 en 05:00 kan het starten van laadsessies via de "
     "app haperen. Je laadpas werkt gewoon. Meer info op status.voltaro.nl", tags=["official-notice"],
     when="2026-06-10T12:00:00+02:00")
case("nl", V_HELP, "@kees_rijdt Vervelend! Bel ons even op 030 799 44 00 (dag en nacht), dan zetten we de sessie "
     "op afstand stop.", kind="reply", tags=["own-contact"])
case("nl", V_FB, "Liever per overschrijving betalen? Dat kan naar NL56 RABO 0318 4722 60 t.n.v. Voltaro "
     "Laadnetwerken B.V. o.v.v. je factuurnummer.", tags=["own-contact"])
case("nl", V_LI, "We zoeken storingsmonteurs in Noord-Holland! 🔧 Rijbewijs B, NEN 3140 is een pre. Reageer via "
     "werkenbij@voltaro.nl", tags=["own-contact"], handle_as="Voltaro-Laadnetwerken")
case("en", V_LI, "Press enquiries about our network expansion: pers@voltaro.nl or +31 (0)30 7994400.",
     tags=["own-contact"])
case("nl", pub("x", "@tevreden_truus"), "Tip: loopt een Voltaro paal vast, bel het storingsnummer 0800-7733. "
     "Gratis en ze waren binnen 5 minuten klaar 👍", tags=["own-contact"])
case("nl", pub("facebook", "alert.oma.annie"), "Let op! Oplichters sturen nepfacturen namens Voltaro met "
     "rekeningnummer <<BAD_IBAN_NL:grp>>. Niet betalen, echte facturen staan gewoon in de app.",
     tags=["bad-checksum"])
case("en", pub("x", "@blije_bram"), "order <<BAD_CARD:visa_sp>> arrived today, 3 days flat, neat 👍 "
     "@voltaro_nl", tags=["bad-checksum"])
case("nl", pub("forum", "vraagje_vera"), "Mijn klantnummer bij Voltaro is <<NOT_BSN:9>>, kan ik daarmee ook "
     "inloggen in de app of alleen met mijn e-mailadres?", tags=["bad-checksum"])
case("nl", V_IG, "Voltaro Laadnetwerken B.V. · KvK <<NOT_BSN:8>> · Utrecht · Wij bouwen aan laden om de hoek ⚡",
     tags=["bad-checksum"], handle_as="@Voltaro.Laden")
case("nl", pub("forum", "zonnige_sander"), "Voor de aanvraag van een thuislader vroeg Voltaro mijn EAN-code, "
     "<<EAN18>>. Die staat gewoon op je energienota hoor, geen geheim.", tags=["look-alike"])
case("en", pub("x", "@schiphol_sam"), "Charger NL*VLT*E04471*02 at Schiphol P3 is back, solid 150 kW again ⚡",
     tags=["look-alike"])
case("en", pub("reddit", "u/expense_erik"), "Session <<UUID>> says completed, 41 kWh, €26,65. Just noting it for "
     "my expense report, all good.", kind="comment", tags=["look-alike"])
case("nl", KOEN, "Release 7.4.0 van VoltaroGo staat in de stores 🎉 (commit <<SHA>>). Dank aan iedereen die heeft "
     "meegetest!", tags=["look-alike"])
case("en", KOEN, "Our public API docs have a quickstart now: curl -H 'Authorization: Bearer <YOUR_TOKEN>' "
     "https://api.voltaro.nl/v1/chargers. Feedback welcome!", tags=["placeholder"])
case("en", pub("mastodon", "@devdaan@fosstodon.org"), "Reminder if you're integrating the Voltaro API: never "
     "commit keys like sk_live_... or AKIA... to git. Env vars, people.", tags=["placeholder"])
case("nl", V_HELP, "Wachtwoord vergeten? Tik in de app op Inloggen > Wachtwoord vergeten en je krijgt binnen een "
     "minuut een mail.", tags=["password-word"])
case("nl", V_NL, "Zomeractie ☀️ Voltaro HomeBox 11 nu €699 (normaal €899), inclusief 5 jaar garantie.",
     tags=["sale-price"])
case("nl", pub("x", "@leasemaarten"), "€200 korting op de HomeBox 22 via de regeling van mijn werkgever 👌",
     tags=["sale-price", "discount-amount"])
case("nl", pub("facebook", "ev.petra"), "Thuislader leasen bij Voltaro: HomeBox 11 voor €17,50 per maand, "
     "installatie erbij. Best een goede deal toch?", tags=["sale-price", "monthly"])
case("nl", pub("other", "marktplaats-deventer"), "Te koop: Voltaro HomeBox 11, 2 jaar oud, werkt perfect. €250, "
     "ophalen in Deventer.", tags=["sale-price", "second-hand"])
case("nl", pub("reddit", "u/twijfelaar_tom"), "ChargeLoop wallbox voor €399 of de Voltaro HomeBox 11 voor €899, is "
     "dat verschil het waard?", tags=["sale-price", "other-brand"])
case("nl", pub("x", "@lachende_lars"), "Haha ChargeLoop had gisteren een prijsfout, hun wallbox voor €39. Al "
     "geannuleerd natuurlijk. Bij Voltaro zie ik dat nooit gebeuren 😂", tags=["other-company"])
case("nl", V_NL, "@sjaak_ev Geen prijsfout hoor 😉 de HomeBox 22 is deze week echt €999 tijdens onze Black Friday "
     "actie", kind="reply", tags=["sale-price", "denied-error"])
case("en", V_NL, "Black Friday: FlexKabel for €139 this week only, while stocks last 🔌", tags=["sale-price"])
case("nl", pub("x", "@rekenende_rik"), "Thuis laden kost me €0,24 per kWh, Voltaro snelladen €0,69. Voor de lange "
     "ritten prima te doen.", tags=["price-context"])
case("nl", V_NL, "Hij is er! De HyperHub 400: tot 400 kW per laadpunt, de eerste locatie opent vandaag langs de A2 "
     "bij Vianen ⚡", tags=["embargo-over"], when="2026-10-01T09:00:00+02:00")
case("nl", pub("x", "@reviewrik"), "Review: de Voltaro HomeBox Duo na een maand. Twee auto's tegelijk laden op één "
     "aansluiting werkt gewoon top.", tags=["embargo-over"], when="2026-11-06T20:31:17+01:00")
case("nl", pub("x", "@fietsende_femke"), "Ouwe fiets met een dynamo en tóch een EV 😂 Voltaro laadpas in de ene zak, "
     "fietslampje in de andere", tags=["codename-word"])
case("nl", pub("instagram", "@tuin_en_stroom"), "Onze nieuwe zonnewijzer staat naast de Voltaro thuislader, zon en "
     "stroom in één plaatje ☀️🔌", tags=["codename-word"])
case("nl", INGRID, "Vandaag publiceerden we onze halfjaarcijfers: 9.400 nieuwe laadpunten en 31% omzetgroei. Trots "
     "op het team! Persbericht op voltaro.nl/nieuws", tags=["published-results"], when="2026-08-12T08:15:00+02:00")
case("nl", pub("linkedin", "kees-laadinfra"), "Ontslagen bij een grote Duitse laadpaalfabrikant, 800 banen weg. "
     "Hopelijk geen gevolgen voor de leveringen aan Voltaro en de andere netwerken.", tags=["other-company"])
case("en", pub("x", "@happy_hanna"), "I can't recall the last time a Voltaro charger let me down. Solid network.",
     tags=["word-sense"])
case("en", pub("x", "@zonnige_zoe"), "been boycotting petrol stations for years 😎 it's just Voltaro and my solar panels now",
     tags=["word-sense"])
case("nl", pub("facebook", "tevreden.thijs"), "Geen klachten over Voltaro hoor. Twee jaar thuislader, nooit een "
     "storing gehad.", tags=["negation"])
case("nl", pub("x", "@factcheck_fleur"), "Nee, Voltaro is níet gehackt, dat bericht ging over een phishingmail van "
     "oplichters. Check de bron voor je paniek zaait.", tags=["negation"])
case("nl", pub("blog", "korteverhalen.blog.example"), "Kort verhaal #23: om middernacht zoemt de laadpaal op het "
     "plein. De laatste auto van de stad drinkt stroom terwijl de regen valt, en niemand kijkt.", tags=["fiction"])
case("en", pub("x", "@grapjas_gert"), "My EV has more range anxiety than I have social anxiety. Luckily there's a "
     "Voltaro charger round the corner 😅", tags=["joke"])
case("en", pub("x", "@rockende_rob"), "'Highway to Hell' on the radio while fast charging at Voltaro in Hengelo 🤘",
     tags=["quote", "mild-word"])
case("nl", NOOR, "Vandaag fietsen we 200 km voor KWF Kankerbestrijding! Dank aan het team voor het sponsoren van "
     "de volgauto's, allemaal geladen bij Voltaro 💛", tags=["mild-word"])
case("nl", pub("x", "@dankbare_daan"), "Chapeau @voltaro_nl, monteur was binnen het uur ter plaatse en de paal doet "
     "het weer.", tags=["praise"])
case("en", pub("reddit", "u/nordic_roadtrip"), "Is the Voltaro charge card accepted in Denmark? Planning a road "
     "trip this summer.", kind="post", tags=["question"])
case("nl", V_HELP, "@eva_laadt Deel je kaartnummer of IBAN nooit openbaar 🙏 Stuur ons een DM, dan kijken we meteen "
     "naar je factuur.", kind="reply", tags=["data-word"])
case("nl", LOTTE, "Vragen over zakelijk laden voor je wagenpark? Mail gerust naar zakelijk@voltaro.nl, mijn "
     "collega's helpen je graag!", tags=["own-contact"])
case("nl", V_NL, "Nieuw laadplein geopend aan de Energieweg 5 in Zwolle: 12 snelladers en een overdekte wachtruimte.",
     tags=["address-no-name"])
case("nl", V_IG, "Vandaag 10 jaar Voltaro! Opgericht op 3 maart 2016 in een garage in Houten 🎂",
     tags=["date-no-name"], when="2026-03-03T09:30:00+01:00")
case("en", pub("x", "@greenlight_gijs"), "status.voltaro.nl says all green and my charger is working again 👍",
     tags=["public-domain"])
case("nl", V_LI, "Je gegevens behandelen we vertrouwelijk en we verkopen nooit je laaddata. Lees onze "
     "privacyverklaring op voltaro.nl/privacy", tags=["data-word"])
case("nl", pub("x", "@nieuwsjager"), "Brand bij een laadplein van ChargeLoop in Duitsland, gelukkig niemand gewond. "
     "Voltaro-palen in de buurt waren gewoon in bedrijf.", tags=["other-company"])
case("en", pub("tiktok", "@ev.tips.tessa"), "EV life hack: precondition your battery 20 min before a Voltaro fast "
     "charge, saves ages at the plug", tags=["word-sense"])
case("nl", pub("forum", "grensganger_gert"), "Incasseert Voltaro ook van een Duitse rekening? Het voorbeeld in de "
     "handleiding is DE00 1234 5678 9012 3456 78, dus ik neem aan van wel?", tags=["bad-checksum"])
case("nl", RUBEN, "Mooie dag in Groningen, 8 nieuwe palen aangesloten en alles in één keer groen in de app 💚",
     tags=["employee-ordinary"], handle_as="@Ruben_Laadt")
case("nl", pub("x", "@beleggende_bea"), "Voltaro jaarcijfers 2025 waren netjes, benieuwd wat ze volgend jaar doen",
     tags=["published-results"])
case("en", pub("x", "@ac_andy"), "Voltaro AC charging at 0,45/kWh isn't the cheapest around but the network "
     "density makes up for it", tags=["sale-price"])
case("en", YOUSSEF, "Great panel at the EVS conference on smart charging and grid congestion. Slides are public on "
     "the conference site, worth a read.", tags=["employee-ordinary"])
case("en", V_TT, "POV: you find a free Voltaro fast charger on a Friday evening 🥹⚡ #evlife", tags=["ordinary"])
case("en", pub("x", "@insurance_ines"), "Factuurnummer 2026-0611-4471 from Voltaro came in the mail, paid it via "
     "the app in 30 seconds. Nice and smooth.", tags=["look-alike"])


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

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
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1,
                                                                                         tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    t = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    b36 = string.digits + string.ascii_lowercase
    if platform in ("x", "twitter"):
        return f"x-{n}", f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        return f"ig-{n}", f"https://www.instagram.com/p/{''.join(r.choice(B64URL) for _ in range(11))}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = "".join(r.choice(b36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(b36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/elektrischrijden/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/elektrischrijden/comments/{p}/"
    if platform == "forum":
        k = r.randint(100_000, 999_999)
        return f"forum-evforum-{k}", f"https://forum.ev-rijders.example/topic/{k}"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        k = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{k}", f"https://{inst or 'mastodon.social'}/@{user}/{k}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "blog":
        k = r.randint(10, 999)
        return f"blog-{h}-{k}", f"https://{h}/{k}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        used = []

        def sub(m):
            raw, shown = gen.render(m.group(1), m.group(2) or "")
            used.append((m.group(1), raw, shown))
            return shown

        text = PH.sub(sub, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and mr.random() < 0.65:
            kind = "post"
        if kind is not None:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7:
            acc["display_name"] = c["dn"]
        if mr.random() < 0.3:
            acc["id"] = str(mr.randint(10 ** 7, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "voltaro"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"ghp_[A-Za-z0-9]{36}", r"glpat-[\w-]{20}", r"AKIA[A-Z2-7]{16}", r"sk_live_[A-Za-z0-9]{20,}",
    r"AIza[\w-]{35}", r"SG\.[\w-]{22}\.[\w-]{43}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.",
    r"[a-z+]+://[^\s:/@]+:[^\s@/]+@")]
CARD_IIN = re.compile(r"^(4|5[1-5]|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47])")


def check(lines, rows, profile):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in profile["internal"]["codenames"] + profile["internal"]["markers"]
                + profile["internal"]["domains"]]
    ids = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        obj = json.loads(line)
        p, ex = obj["post"], obj["expect"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f} missing")
        if (p["platform"], p["id"]) in ids:
            errs.append(f"{w}: duplicate id")
        ids.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        cats = ex["categories"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY for c in cats):
            errs.append(f"{w}: bad categories {cats}")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        for kind, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {kind} not in text")
            ok = {"IBAN_NL": iban_ok, "IBAN_DE": iban_ok, "IBAN_BE": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}.get(kind)
            if ok and not ok(raw):
                errs.append(f"{w}: {kind} fails checksum")
            if kind.startswith("BAD_IBAN") and iban_ok(raw):
                errs.append(f"{w}: bad IBAN passes")
            if kind == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{w}: bad card passes")
            if kind == "NOT_BSN" and bsn_ok(raw):
                errs.append(f"{w}: not-bsn passes")
            if kind == "GHP" and not ghp_ok(raw):
                errs.append(f"{w}: ghp crc")
        valid = [v for v in (re.sub(r"\s", "", m.group(0)) for m in IBAN_RE.finditer(text))
                 if iban_ok(v) and v not in own_ibans]
        valid += [d for d in (re.sub(r"\D", "", m.group(0)) for m in NUM_RE.finditer(text))
                  if 13 <= len(d) <= 19 and luhn_ok(d) and CARD_IIN.match(d)]
        valid += [d for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) if bsn_ok(d)]
        valid += [m.replace(".", "") for m in re.findall(r"\b\d{4}\.\d{2}\.\d{3}\b", text) if bsn_ok(m.replace(".", ""))]
        want = severity_for(role, cats, "leak.pii" in cats and bool(valid))
        if ex["severity"] != want:
            errs.append(f"{w}: severity {ex['severity']} != {want}")
        if valid and "leak.pii" not in cats:
            errs.append(f"{w}: valid id {valid} without leak.pii")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign not none")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(text):
                    errs.append(f"{w}: benign secret-like {rx.pattern}")
            for d in re.findall(r"(?<![\w.,-])\d{8}(?![\w]|[.,-]\d)", text):
                if bsn_ok(d):
                    errs.append(f"{w}: benign 8-digit passes 11-proof")
        low = text.casefold()
        for term, until in embargo:
            if term in low and ts < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term} before end without leak.confidential")
            if term in low and ts >= until and "leak.confidential" in cats:
                errs.append(f"{w}: embargo term after end labelled confidential")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", low) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term} without leak.confidential")
    return errs


def report(rows):
    cat = Counter()
    lang_c, role_c, sev_c, plat_c = Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang_c[r["lang"]] += 1
        role_c[r["role"]] += 1
        sev_c[r["expect"]["severity"]] += 1
        plat_c[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        multi += len(cats) > 1
        ev += "evasion" in r["tags"]
        for c in cats:
            cat[(c, r["role"])] += 1
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY:
        print(f"  {c:22s} {cat[c]:3d}  corp {cat[(c, 'corporate')]:2d}  emp {cat[(c, 'employee')]:2d}  "
              f"pub {cat[(c, 'public')]:2d}")
    print("lang", dict(lang_c), "role", dict(role_c))
    print("severity", {s: sev_c[s] for s in SEVERITIES})
    print("platform", dict(plat_c.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if not a.check:
        OUT.write_text("".join(lines), encoding="utf-8")
        print(f"wrote {len(lines)} cases to {OUT}")
        return 0
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    errs = check(disk, rows, profile)
    if disk != lines:
        errs.append("cases.jsonl differs from the generator output")
    report(rows)
    for e in errs:
        print("ERROR", e)
    print(f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
