#!/usr/bin/env python3
"""Deterministic generator for the sealed evaluation set 153 (cases.jsonl).

    python3 make_cases.py          # (re)write cases.jsonl next to this file
    python3 make_cases.py --stats  # regenerate in memory, self-check, print counts

Company: the fictional festival/concert ticketing platform "Stagegate Ticketing B.V."
(profile.yaml next to this file). Post texts are hand-written below; identifiers and
secrets are filled in from <<KIND:fmt>> placeholders by one seeded RNG. Positives get
checksum-valid identifiers (IBAN mod-97, Luhn, BSN 11-proof); the benign near-misses
get identifiers that fail their checksum. Severity is computed from the contract's
severity policy, never typed by hand.
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

SEED = 15320260611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    return s.translate(str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e"}))


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
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
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


OWN_IBAN = "NL18RABO0318472265"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def digits(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if nz and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def chars(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # IBANs
    def iban_nl(self):
        while True:
            v = iban_make("NL", self.r.choice(["INGB", "ABNA", "RABO", "SNSB", "BUNQ", "KNAB", "ASNB"])
                          + self.digits(10, True))
            if v != OWN_IBAN:
                return v

    def iban_de(self):
        return iban_make("DE", self.r.choice(["50010517", "10010010", "43060967", "30020900"]) + self.digits(10))

    def iban_be(self):
        first = self.r.choice(["001", "063", "310", "735", "091"]) + self.digits(7)
        chk = int(first) % 97 or 97
        return iban_make("BE", f"{first}{chk:02d}")

    def bad_iban(self, v):
        kk = int(v[2:4])
        for d in (13, 29, 31, 47):
            c = f"{v[:2]}{(kk + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    # cards
    def card(self, brand):
        pre = {"visa": lambda: "4" + self.digits(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.digits(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.digits(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.digits(12)}[brand]()
        for d in string.digits:
            if luhn_ok(pre + d):
                return pre + d
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

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.digits(9, True)
            if bsn_ok(s):
                return s

    def not_bsn(self, n=9):
        while True:
            s = self.digits(n, True)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.digits(10)
            c = next(body + d for d in string.digits if ean13_ok(body + d))
            if not luhn_ok(c) and not bsn_ok(c):
                return c

    # phones
    def phone(self, f):
        m = self.r.choice("123456") + self.digits(7)     # 8 digits after 06
        if f == "mob_dash":
            return f"06-{m}"
        if f == "mob_plain":
            return f"06{m}"
        if f == "mob_intl_sp":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if f == "mob_0031":
            return f"0031 6 {m[:4]} {m[4:]}"
        if f == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "be_mob":
            return f"+32 47{self.r.choice('0123456789')} {self.digits(2)} {self.digits(2)} {self.digits(2)}"
        if f == "land":
            area = self.r.choice(["030", "024", "050", "043", "071"])
            return f"{area}-{self.r.choice('2345678')}{self.digits(6)}"
        raise KeyError(f)

    # secrets
    def ghp(self):
        body = self.chars(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.chars(B32, 16)

    def aws_secret(self):
        return self.chars(B64, 40)

    def stripe(self):
        return "sk_live_" + self.chars(ALNUM, 24)

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.chars(up, 8)}/B{self.chars(up, 10)}/{self.chars(ALNUM, 24)}"

    def mollie(self):
        return "live_" + self.chars(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def gapi(self):
        return "AIza" + self.chars(B64URL, 35)

    def npm(self):
        return "npm_" + self.chars(ALNUM, 36)

    def glpat(self):
        return "glpat-" + self.chars(ALNUM + "-_", 20)

    def jwt(self):
        h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        p = b64url(json.dumps({"sub": "usr_" + self.digits(7, True), "iss": "api.stagegate.nl",
                               "scope": "orders:read resale:write", "iat": iat, "exp": iat + 7200},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.chars(B64URL, 43)}"

    def pem_ec(self):
        der = (bytes.fromhex("30770201010420") + bytes(self.r.getrandbits(8) for _ in range(32))
               + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + b"\x04"
               + bytes(self.r.getrandbits(8) for _ in range(64)))
        b = base64.b64encode(der).decode()
        body = "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
        return "-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----"

    def password(self):
        words = ["Festival", "Zomer", "Poort", "Bandje", "Dune", "Crew", "Podium", "Headliner"]
        return self.r.choice(words) + self.chars("!#$%*", 1) + self.digits(4) + self.chars(string.ascii_lowercase, 2)

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)


VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = getattr(g, k.lower())()
            shown = grp4(raw) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban(g.iban_nl())
            shown = grp4(raw) if f == "grp" else raw
        elif k == "CARD":
            brand, _, ff = f.partition("_")
            raw = g.card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BAD_CARD":
            brand, _, ff = f.partition("_")
            raw = g.bad_card(brand)
            shown = g.fmt_card(raw, ff or "sp")
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "BAD_BSN":
            raw = g.not_bsn(9)
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "EAN13":
            shown = raw = g.ean13()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "HEX":
            shown = raw = g.hexs(int(f))
        else:
            fn = {"GHP": g.ghp, "AWS_ID": g.aws_id, "AWS_SECRET": g.aws_secret, "STRIPE": g.stripe,
                  "SLACK_HOOK": g.slack_hook, "MOLLIE": g.mollie, "SENDGRID": g.sendgrid, "GAPI": g.gapi,
                  "NPM": g.npm, "GLPAT": g.glpat, "JWT": g.jwt, "PEM_EC": g.pem_ec, "PW": g.password}[k]
            shown = raw = fn()
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
SG_X = ("x", "@stagegate", "Stagegate")
SG_HELP = ("x", "@stagegate_help", "Stagegate Help")
SG_IG = ("instagram", "@stagegate.nl", "Stagegate")
SG_LI = ("linkedin", "stagegate-ticketing", "Stagegate Ticketing B.V.")
SG_TT = ("tiktok", "@stagegate", "Stagegate")
SG_FB = ("facebook", "StagegateNL", "Stagegate")

MV = ("x", "@mirjam_sg", "Mirjam Verhoef")                          # customer care team lead
DK = ("linkedin", "daan-kuipers-stagegate", "Daan Kuipers")         # backend developer
YO = ("x", "@yusuf_ops", "Yusuf \u00d6zdemir")                      # festival ops, gates
LV = ("linkedin", "lotte-verbeek-finance", "Lotte Verbeek")         # finance controller
NA = ("instagram", "@nina.at.stagegate", "Nina Arslan")             # marketing / social
BR = ("reddit", "u/bram_devops", "Bram")                            # devops
KC = ("threads", "@kees.crewlead", "Kees de Graaf")                 # crew lead wristbands
RS = ("mastodon", "@ruben@mastodon.nl", "Ruben Smit")               # security engineer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", YO, "lol wie heeft de Season Pass 2026 op €34,90 gezet 💀 staat al een uur zo live\nik zeg niks 🤐", [PRICING])
case("en", NA, "ok whoever set up the Duinrock weekendticket in the backend... checkout says €22.90 instead of 229 😬😂 "
     "people are already buying them\n#oops #duinrock", [PRICING])
case("en", pub("reddit", "u/festivalgoblin"), "PSA: Noorderlicht VIP is listed at €49,50 on stagegate rn (normally 495). "
     "pretty sure someone dropped a zero, grab it before they notice", [PRICING], kind="post")
case("nl", pub("x", "@dennis_raved"), "PRIJSFOUT bij Stagegate!!! Polderpop dagticket voor 8,95 🤑🤑 snel snel snel "
     "#prijsfout #polderpop", [PRICING])
case("nl", KC, "GatePay polsbanden in de crewshop staan nu op €1,25 ipv €12,50 🤦‍♂️ iemand bij IT is een nulletje vergeten. "
     "niet doorvertellen he", [PRICING])
case("nl", pub("forum", "festivalforum:ravenous_r"), "Jongens er zit een p r i j s f o u t in Stagegate Plus, "
     "jaarabonnement voor 5,90 ipv 59 euro. Hoe lang blijft dat staan denk je?", [PRICING], tags=["evasion"])
case("en", pub("facebook", "Sharon Mulder"), "My sister just got a Season Pass for €35 at the checkout?? Is that a mistake "
     "or some crazy promo, anyone know", [PRICING], kind="comment")
case("nl", SG_X, "🎉 FLASH SALE 🎉 Duinrock weekendticket nu voor maar €2,29! Alleen vandaag 👉 stagegate.nl/duinrock",
     [PRICING], tags=["corporate-typo"])
case("en", MV, "heads up team: Noorderlicht Live VIP shows as €4.95 in the resale widget, that's a price bug not a real "
     "listing. pls don't share screenshots while we fix it 🙏", [PRICING])
case("nl", pub("tiktok", "@lisa.festivibes"), "Polderpop dagtickët voor €9 bij stagegate 😳 pr1jsfout of wat?? link in bio",
     [PRICING], tags=["evasion"])
case("en", pub("bluesky", "jortvdm.bsky.social"), "stagegate pricing glitch: SG Plus annual membership checks out at "
     "€0.59. tried it, order went through lmao", [PRICING])
case("en", BR, "not officially saying anything but the price feed for the Season Pass is broken, it's pulling the "
     "kids tier so it shows 17.45 EUR. rolling back within the hour", [PRICING], kind="comment")

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", DK, "Proud of our new gate-scan pipeline 🚀 deploy snippet for the curious:\n\n"
     "STRIPE_SECRET=<<STRIPE>>\nREGION=eu-west-1\nWORKERS=12\n\n#engineering #festivaltech", [SECRET])
case("en", BR, "anyone know why boto keeps throwing AccessDenied on put_object? config:\n"
     "aws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nbucket is wristband-exports-prod",
     [SECRET])
case("en", RS, "note to self: stop pasting tokens in team chat. anyway the github token I pasted this morning "
     "(<<GHP>>) is revoked now so no drama", [SECRET])
case("nl", YO, "wifi bij de kassa's op het Duinrock terrein: netwerk SG-KASSA, wachtwoord <<PW>> 📶 "
     "deel 'm met je teamleads", [SECRET])
case("nl", KC, "Scanner-app inloggen werkt weer!\ngebruiker: gate_crew\nwachtwoord: <<PW>>\n(niet op insta zetten aub 🙏)",
     [SECRET])
case("en", pub("x", "@apkripper"), "lmao @stagegate your android app ships with a hardcoded maps key: <<GAPI>> "
     "decompiling took 2 min", [SECRET])
case("en", BR, "our #gate-alerts bot posts every failed scan to slack via <<SLACK_HOOK>>\nany tips on rate limiting "
     "during peak entry?", [SECRET])
case("nl", MV, "Collega's, de Mollie key voor de refund-tool voor wie hem vandaag nodig heeft: <<MOLLIE>> "
     "(morgen staat ie in de vault)", [SECRET])
case("nl", pub("forum", "festivalforum:webnerd_gijs"), "Gevonden in de paginabron van de checkout van stagegate:\n"
     "<<SENDGRID>>\nDat is toch gewoon een sendgrid api key?? Slordig hoor", [SECRET])
case("en", RS, "debugging the GatePay sync, conn string for whoever on the team is stuck:\n"
     "postgresql://gatepay_svc:<<PW>>@db-prod-02.corp.stagegate.internal:5432/topups", [SECRET, CONF])
case("en", DK, "Weird one: this token validates on staging but not prod. Anyone seen this with HS256?\n<<JWT>>",
     [SECRET])
case("en", BR, "accidentally put this in a public gist, deleted after ~5 min. am I fine or do I need to rotate?\n\n"
     "<<PEM_EC>>", [SECRET])
case("nl", YO, "ci nog steeds rood 😩 npm token in .npmrc is <<NPM>> en toch 401, wie helpt", [SECRET])
case("en", pub("x", "@streamsnitch"), "stagegate intern just flashed their gitlab token on a twitch stream 💀 "
     "<<GLPAT>> hope they rotate it", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", SG_HELP, "@femke_dj Hoi Femke, je terugbetaling van €178 is vandaag overgemaakt naar <<IBAN_NL:grp>>. "
     "Binnen 2 werkdagen op je rekening! ^MV", [PII], kind="reply", handle_as="@Stagegate_Help")
case("nl", MV, "@stagegate_help kan iemand deze klant terugbellen op <<PHONE:mob_intl_sp>>? opwaardering polsband "
     "kwijt, hij wacht al sinds vrijdag", [PII])
case("nl", KC, "VIP-lijst Noorderlicht zaterdag 👑\nR. Hoekstra (geb. 14-02-1991)\nS. Yilmaz (geb. 03-09-1987)\n"
     "bij twijfel ID checken!", [PII])
case("en", LV, "Chargeback week from hell. Card <<CARD:visa_sp>> disputed 14 Duinrock tickets in one go, bank says fraud. "
     "Anyone in payments ops seen this pattern before?", [PII])
case("nl", YO, "crew-registratie nog niet compleet voor Thijs van Leeuwen, BSN <<BSN:dots>>, kan iemand van HR dit "
     "even afmaken", [PII])
case("en", NA, "congrats to our Duinrock giveaway winner Jasmijn Kok 🎉 your wristband is on its way to "
     "Kastanjelaan 27, 6821 CD Arnhem!", [PII])
case("en", MV, "this guy keeps mailing the entire team, kevin.brouwer88@hotmail.com, can someone block him on the "
     "helpdesk too", [PII])
case("nl", YO, "naamswijziging Polderpop: paspoort NXK4R7P12 hoort bij Lisa Meijer, klopt met het ticket, "
     "doorlaten bij poort 3", [PII])
case("nl", pub("x", "@ellenvdheuvel"), "@stagegate_help al 6 weken wachten op mijn refund voor het afgelaste Zomerzand. "
     "Rekening is <<IBAN_NL>>, hoe moeilijk kan het zijn?!", [PII, COMPLAINT], kind="reply")
case("en", pub("facebook", "Gerard Pos"), "Can someone from Stagegate ring me on <<PHONE:mob_0031>> please, just a "
     "question about moving my tickets to my son's account", [PII], kind="comment")
case("en", pub("reddit", "u/doublecharged_dave"), "stagegate charged me twice, card <<CARD:mc_dash>> shows two payments "
     "of €229 for the same Duinrock weekend ticket. support says 'wait for the bank' 🙄", [PII, COMPLAINT])
case("nl", pub("instagram", "@maartje.dv"), "@stagegate.nl nieuw mailadres, kunnen jullie de tickets daarheen sturen? "
     "m.devos2004 [at] gmail [punt] com 🙏", [PII], kind="comment", tags=["evasion"])
case("en", pub("x", "@wout_ghent"), "@stagegate_help refund for the cancelled Noorderlicht show can go to my Belgian "
     "account <<IBAN_BE>> please, thanks!", [PII], kind="reply")
case("nl", pub("forum", "festivalforum:anoukkk"), "Moet je echt je BSN opgeven voor een gepersonaliseerd ticket? "
     "Ik heb het gedaan (<<BSN>>) maar nu twijfel ik. Normaal?", [PII])
case("en", pub("threads", "@jonas.b.de"), "german fan here 🇩🇪 stagegate wants an IBAN for the refund form, mine is "
     "<<IBAN_DE:grp>>, anyone know how long it takes?", [PII])
case("nl", pub("x", "@roos_op_reis"), "Betaald met creditcard <<CARD:amex_sp>> en nog steeds geen e-ticket. "
     "Drie mails gestuurd. @stagegate wat is dit?", [PII, COMPLAINT])
case("nl", SG_FB, "Hoi Marloes, we hebben je nummer <<PHONE:mob_dash>> en marloes.bakker@ziggo.nl genoteerd, een "
     "collega belt je morgen terug over je Noorderlicht tickets.", [PII], kind="comment")
case("nl", pub("facebook", "Bart Vos"), "Kan iemand van Stagegate me terugbellen op <<PHONE:be_mob>>? Ik kom uit Gent "
     "en vind nergens hoe ik mijn ticket moet overzetten", [PII], kind="comment")

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", DK, "Can't say much yet but Project Moshpit is going to change how resale works, forever 🚀 "
     "so proud of this team", [CONF])
case("nl", NA, "sneak peek 👀 het nieuwe Stagegate Flex ticket!! mag eigenlijk nog niet maar ik kon het niet laten 🙈",
     [CONF], when="2026-09-14T20:12:44+02:00")
case("en", pub("x", "@gigsinlondon"), "Apparently Stagegate Flex goes live today, a mate already sent me the landing "
     "page 👀", [CONF], when="2026-09-15T10:30:00+01:00", tags=["embargo-edge"])
case("nl", KC, "Operatie Zandloper start maandag, alle poortleads om 8u in de loods.\nNiet extern delen!", [CONF])
case("nl", MV, "wie kan er vanochtend ook niet inloggen op jira.stagegate.io 🙃", [CONF])
case("en", BR, "grafana.sg-ops.net shows p99 of 4s on checkout during the Duinrock drop (80k in the queue). "
     "normal for this kind of load?", [CONF], kind="post")
case("nl", LV, "Even uit de roadmap-slides (strikt vertrouwelijk, dus psst 🤫): GatePay Tap komt in september, eerst "
     "op Noorderlicht.", [CONF], when="2026-06-03T21:07:10+02:00")
case("en", pub("reddit", "u/throwaway_tix"), "friend who works there showed me 'Halcyon', some new dynamic pricing "
     "engine stagegate is building. looks shady tbh", [CONF], kind="comment")
case("nl", YO, "eindelijk mogen we testen met Project\nMoshpit op de crewcamping 🤘", [CONF], tags=["evasion"])
case("en", NA, "behind the scenes 🎬 at the GatePay T" + ZW + "ap shoot today… can't show you the product yet 🤫",
     [CONF], when="2026-08-27T16:40:02+02:00", tags=["evasion"])
case("nl", pub("facebook", "Henk Brouwers"), "Haha mijn neef werkt bij Stagegate en stuurde dit door: "
     "'STAGEGATE INTERNAL ONLY - draaiboek piekverkoop Duinrock'. Gaat dus om 10:00 open 😎", [CONF])
case("en", DK, "Wrote up our approach for colleagues, link: https://wiki.corp.stagegate.internal/display/RES/Resale+v3",
     [CONF])
case("nl", YO, "we draaien vanaf morgen " + fullwidth("Halcyon") + " op de kassa's van Polderpop, spannend 😅", [CONF],
     tags=["evasion"])
case("en", pub("x", "@ticketwatchnl"), "leaked roadmap says 'Stagegate Flex' tickets launch in sept, with a "
     "refund-anytime option 👀 #ticketing", [CONF], when="2026-08-02T13:15:00Z")
case("nl", pub("instagram", "@yusuf_ops"), "sneak peek van Operatie Zandloper 😎 morgen meer", [CONF],
     tags=["role-trap"])

# ===========================================================================
# leak.financial
# ===========================================================================
case("en", LV, "Can't wait for the H2-cijfers... ok I'll tell you: ticket volume +41% vs last year and the margin on "
     "resale fees doubled 📈", [CONF, FIN])
case("nl", LV, "Nieuws dat nog niet naar buiten mag: we nemen Tixxo over, de handtekening staat gepland voor 1 oktober.",
     [FIN])
case("nl", MV, "hoorde net dat de helft van klantenservice weg moet na de zomer. 25 man. nog niks officieel 😔", [FIN])
case("en", DK, "Project Moshpit is actually the merger with FestiFlow. Big week ahead 🤝", [CONF, FIN])
case("nl", BR, "directie vertelde ons vandaag dat de omzetprognose voor 2026 met 30% omlaag is na drie afgelaste "
     "festivals. vacaturestop vanaf maandag. gezellig", [FIN], kind="comment")
case("nl", pub("x", "@beurstips_bas"), "Van een insider gehoord: Stagegate gaat in maart naar de beurs, prospectus "
     "ligt al klaar 👀 #aandelen", [FIN])
case("en", pub("discord", "festival-chat#general:tomtom"), "my uncle sits on stagegate's board, says Global Stage Group "
     "is buying them for 180M, closing in Q1", [FIN], kind="message")
case("nl", KC, "reorganisatie bij de crewafdeling: 12 vaste krachten worden ont" + SHY + "slagen, wordt pas in november "
     "bekendgemaakt", [FIN], tags=["evasion"])
case("en", LV, "Preliminary: jaarcijfers 2026 will show our first profitable year, EBITDA ~€6.2M. Embargoed till "
     "March so keep it to yourselves 😉", [CONF, FIN])
case("en", YO, "big r e o r g coming at stagegate ops, 3 regional hubs closing, announcement end of Q3. you didn't "
     "hear it from me", [FIN], tags=["evasion"])
case("nl", pub("reddit", "u/cijferneuker"), "Q3-cijfers van stagegate uitgelekt via een slack-screenshot: €14M "
     "omzet, €2,1M verlies. nog niet gepubliceerd blijkbaar", [FIN])

# ===========================================================================
# leak.security
# ===========================================================================
case("en", BR, "resale API has an IDOR right now, you can pull anyone's ticket by incrementing the order id. patch is "
     "'scheduled for next sprint' 🤷", [SEC])
case("nl", RS, "vannacht een golf credential stuffing op stagegate-accounts, zo'n 3k accounts overgenomen. comms "
     "weet nog niet of we het klanten gaan vertellen.", [SEC])
case("nl", YO, "GatePay opwaarderen ligt al sinds 02:00 plat op Duinrock, buiten ons weet nog niemand het 🙈 "
     "communicatie pas morgen", [SEC], handle_as="@Yusuf_Ops")
case("nl", KC, "scanners op Polderpop laten sinds de update iedereen door, ook ongeldige codes. niet rondbazuinen", [SEC])
case("en", DK, "Fun discovery today: our password reset mails still contain the old password in plain text. Fixing "
     "it quietly before the audit 😅", [SEC])
case("nl", pub("x", "@festivalfee_nl"), "Stagegate is gehackt en ze houden het stil!! Vriend van me werkt daar, alle "
     "klantgegevens liggen op straat #datalek", [SEC, CRISIS])
case("en", pub("reddit", "u/insidertix"), "source inside stagegate says ransomware hit last week and they're calling it "
     "'maintenance'. customer data included. cover-up.", [SEC, CRISIS])
case("en", RS, "our b r e a c h post-mortem isn't public yet but yeah, the GatePay wallet DB was exposed for 9 days 😬",
     [SEC], tags=["evasion"])
case("nl", MV, "helpdesk verzuipt, de checkout ligt al 40 min plat en er staat nog niks op de statuspagina. "
     "heb je niet van mij gehoord", [SEC])
case("nl", NA, "ssst.. we zijn vannacht geh4ckt, de marketingmail is naar 200k mensen gegaan met een phishing-link. "
     "officiele mail komt morgen", [SEC], tags=["evasion"])
case("en", pub("facebook", "Priya Ramdin"), "Stagegate knew about the data leak for MONTHS and hid it. My friend in "
     "their IT dept confirmed it. Disgusting.", [SEC, CRISIS])
case("en", BR, "our WAF has been in log-only mode since march and nobody noticed, so effectively zero WAF on checkout 🙃",
     [SEC], kind="comment")

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@eerlijkefestivals"), "#BoycotStagegate: ze laten scalpers gewoon hun gang gaan via hun eigen "
     "resale. Deel dit en koop nergens meer via hen.", [CRISIS])
case("en", pub("reddit", "u/consumer_watch_nl"), "Consumer group is suing Stagegate over hidden service fees, "
     "class action filed in Amsterdam today", [CRISIS])
case("en", pub("x", "@mila_unique"), "stagegate leaked my data. I used an email ONLY for them and now I'm getting "
     "phishing about 'your Duinrock tickets'. data breach, 100%.", [CRISIS])
case("nl", pub("facebook", "Ingrid Smeets"), "Beelden van de ingang bij Polderpop: mensen vielen flauw in het gedrang "
     "nadat de Stagegate-scanners uitvielen. Dit had heel slecht kunnen aflopen.", [CRISIS])
case("en", pub("x", "@popnieuws_en"), "NOS: Stagegate employees sold thousands of tickets straight to scalpers, "
     "internal investigation launched", [CRISIS], kind="repost")
case("nl", pub("tiktok", "@waarheid.nu"), cyr("Stagegate") + " onder vuur: ticketfraude op grote schaal, politie doet "
     "onderzoek 🚨 #schandaal", [CRISIS], tags=["evasion"])
case("nl", pub("linkedin", "marieke-kamp-legal"), "De ACM is een onderzoek gestart naar de dynamische prijzen van "
     "Stagegate tijdens de voorverkoop van Duinrock. Dat kan een flinke boete worden.", [CRISIS])
case("en", pub("instagram", "@zoe.on.tour"), "my GatePay wristband got super hot and left a burn on my wrist 😡 pic in "
     "story. @stagegate.nl is this thing even safe??", [CRISIS, COMPLAINT])
case("nl", pub("x", "@tim_bakt"), "Mijn GatePay polsband begon te smelten aan de oplader?? Brandplek op m'n bureau. "
     "Geen reactie van Stagegate. Levensgevaarlijk", [CRISIS, COMPLAINT])
case("en", pub("x", "@ravesafe"), "d a t a  b r e a c h at stagegate?? check your inbox, phishing mails with REAL "
     "order numbers going around", [CRISIS], tags=["evasion"])
case("nl", pub("youtube", "UCfestivalpraat"), "Waarom praat niemand over de rechtszaak tegen Stagegate? Artiesten "
     "klagen ze aan omdat ze hun deel van de doorverkoopwinst nooit kregen.", [CRISIS], kind="comment")

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@joostvanbeek"), "Zomerzand is al 2 maanden afgelast en ik heb nog steeds mijn geld niet terug "
     "@stagegate_help. Elke keer 'we kijken ernaar'. Schiet eens op.", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/gateb_sufferer"), "anyone else's QR not scanning at Duinrock gate B? queued 90 min and then "
     "got sent to 'the help tent'. terrible experience with stagegate", [COMPLAINT], kind="post")
case("en", pub("x", "@anna_k_music"), "€7,50 service fee PER TICKET plus €2,95 'order costs'. stagegate you're having "
     "a laugh", [COMPLAINT])
case("nl", pub("instagram", "@sem.festival"), "Tegoed op mijn GatePay polsband nog steeds niet teruggestort na het "
     "festival, €32 😤 wanneer krijg ik dat terug @stagegate.nl", [COMPLAINT], kind="comment")
case("nl", pub("facebook", "Anouk Jansen"), "Mijn tickets staan al 3 weken op Stagegate Resale en de knop "
     "'annuleren' doet niks. Zit er nu aan vast. Klantenservice reageert niet.", [COMPLAINT])
case("nl", pub("tiktok", "@wachtrijkoningin"), "stagegate app crashte PRECIES op de seconde dat de voorverkoop "
     "opende 🙃 plek in de rij kwijt. bedankt voor niks", [COMPLAINT])
case("nl", pub("x", "@rik_fm"), "Naamswijziging kost €15?? Voor een vinkje in jullie systeem? Belachelijk @stagegate",
     [COMPLAINT])
case("en", pub("threads", "@holdmusic_hell"), "been on hold with stagegate for 52 minutes. fifty two. same 8 seconds of "
     "elevator music", [COMPLAINT])
case("nl", pub("forum", "festivalforum:dj_mo"), "Ervaring met Stagegate: e-ticket kwam nooit aan, spam gecheckt, alles. "
     "Helpdesk stuurt alleen standaardantwoorden. Nooit meer.", [COMPLAINT])
case("en", pub("mastodon", "@lena@mastodon.social"), "stagegate's refund form for cancelled events keeps rejecting my "
     "order number as 'invalid'. five tries now.", [COMPLAINT])
case("nl", pub("bluesky", "festivalfien.bsky.social"), "Leuk hoor, de wachtrij bij Stagegate: 45 minuten wachten en "
     "dan uitverkocht. Had op z'n minst even sorry kunnen zeggen.", [COMPLAINT])
case("en", pub("youtube", "UCravefam"), "wristband arrived broken, chip doesn't register. stagegate says 'buy a new one "
     "at the gate'. seriously??", [COMPLAINT], kind="comment")
case("nl", pub("x", "@lotte_lacht"), "kl@ntenservice van stagegate = n u l. 4 mails, 0 antwoord. #stagegate",
     [COMPLAINT], tags=["evasion"])
case("nl", pub("x", "@sjaak_boos"), "Stagegate kutbedrijf, 3 weken wachten op mijn refund en dan een bot die zegt "
     "'ticket niet gevonden'. Tyfuslijers.", [COMPLAINT, ABUSE])
case("en", pub("reddit", "u/polderpop_pain"), "stagegate support is run by absolute morons. charged me twice for a "
     "Polderpop day ticket and told me to 'wait for the bank'. fucking joke", [COMPLAINT, ABUSE], kind="comment")
case("en", pub("instagram", "@daan.raves"), "@stagegate.nl your gate staff are f*cking useless, scanner broke and they "
     "just shrugged for an hour", [COMPLAINT, ABUSE], kind="comment", tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@boze_bram88"), "@mirjam_sg jij bent echt de domste trut die ik ooit heb gesproken", [ABUSE],
     kind="reply")
case("nl", pub("x", "@nofestnoparty"), "stagegate medewerkers zijn hersenloze clowns, stuk voor stuk", [ABUSE])
case("en", YO, "@festivalfreak99 maybe learn to read before you whine, idiot", [ABUSE], kind="reply")
case("nl", SG_TT, "lol huil maar debiel 😂 #stagegate", [ABUSE], kind="comment")
case("nl", pub("forum", "festivalforum:echtnl"), "Typisch Stagegate, allemaal hoofddoekjes aan de kassa. "
     "Stuur ze terug naar hun eigen land.", [ABUSE])
case("en", pub("reddit", "u/angrytix"), "st4gegate can go f0ck itself, bunch of greedy b@stards", [ABUSE],
     kind="comment", tags=["evasion"])
case("nl", pub("x", "@kees_hater"), "Die Kees van de Stagegate crew is een vieze klootzak, ik weet waar je woont "
     "makker 👀", [ABUSE])
case("nl", KC, "die gasten van het beveiligingsbedrijf op Duinrock zijn echt kankermongolen", [ABUSE])
case("en", pub("instagram", "@edgy.ed"), "imagine working at stagegate lmao. losers. absolute bottom feeders", [ABUSE],
     kind="comment")

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
case("nl", SG_HELP, "Vragen over je refund voor een afgelast event? Mail refunds@stagegate.nl of bel +31 10 741 2200 "
     "(ma-vr 9-17u). We helpen je graag! 💚", tags=["own-contact"], handle_as="@StageGate_Help")
case("nl", SG_FB, "Liever betalen via overschrijving? Maak het bedrag over naar NL18 RABO 0318 4722 65 t.n.v. "
     "Stagegate Ticketing B.V. o.v.v. je bestelnummer.", tags=["own-contact"])
case("nl", pub("x", "@zenuwachtige_nadia"), "gratis nummer van stagegate opgeslagen, 0800-7824, voor als m'n "
     "tickets niet komen. vorig jaar waren ze super behulpzaam", tags=["own-contact"])
case("nl", SG_X, "Storing: de Stagegate-app is op dit moment slecht bereikbaar. We werken aan een oplossing, je tickets "
     "blijven gewoon geldig. Updates via help.stagegate.nl", tags=["official-notice"])
case("en", SG_X, "Scheduled maintenance tonight 02:00-04:00 CET: resale listings are paused for a bit. Nothing you "
     "need to do!", tags=["official-notice"])
case("nl", pub("x", "@duinfan"), "Early bird Duinrock weekendticket €189 ipv €229, netjes 👌 #duinrock",
     tags=["price-talk"])
case("en", pub("instagram", "@bo.wanders"), "used the €20 off code on my Season Pass 2026 🙌 see you at every "
     "festival this summer", tags=["price-talk"], kind="post")
case("nl", pub("reddit", "u/kostenkoning"), "Servicekosten op een Polderpop dagticket zijn €3,50, valt best mee "
     "vergeleken met vorig jaar", tags=["price-talk"], kind="comment")
case("nl", pub("facebook", "Rianne Kok"), "Te koop: 2x Duinrock weekendticket, €100 per stuk want ik kan niet meer. "
     "Overdracht gewoon via Stagegate Resale.", tags=["price-talk", "second-hand"])
case("en", SG_IG, "Spread the cost 💸 Season Pass 2026 in 4 payments of €87.25, no interest, no hassle.",
     tags=["price-talk", "instalment"])
case("nl", SG_X, "@joris_b Nee hoor, geen prijsfout: het Polderpop dagticket kost tijdens de actie €69,50 in plaats "
     "van €89,50. Gewoon een aanbieding! 😊", tags=["price-talk", "denied-error"], kind="reply")
case("en", pub("x", "@cheapskate_cas"), "Tixxo sells its Festival Pass for €99?? the stagegate season pass is 349, "
     "what am I missing", tags=["price-talk", "other-company"])
case("en", pub("x", "@flexfan"), "Just bought the new Stagegate Flex ticket, love that I can refund anytime",
     when="2026-09-15T12:00:00+02:00", tags=["embargo-after"])
case("en", SG_LI, "Today we launch GatePay Tap: pay at the bar with one tap of your phone. Live at all partner "
     "festivals from October.", when="2026-09-15T10:00:00Z", tags=["embargo-after"])
case("nl", pub("threads", "@sanne.danst"), "GatePay Tap geprobeerd op Noorderlicht, werkt top 👌",
     when="2026-10-04T22:41:09+02:00", tags=["embargo-after"])
case("en", pub("x", "@headbang_hugo"), "the moshpit during the closing set at Duinrock was INSANE 🤘",
     tags=["codename-word"])
case("nl", pub("x", "@wachtrijwendy"), "Kijken naar de zandloper in de wachtrij voor Polderpop 🤞🤞",
     tags=["codename-word"])
case("en", pub("reddit", "u/dutchmarkets"), "Stagegate published their 2025 annual report today: revenue €38M, up 22%. "
     "pretty solid for a Dutch scale-up", tags=["published"])
case("nl", pub("x", "@ticketnerd"), "Tixxo ontslaat 60 mensen, balen. hopelijk vinden ze snel wat (stagegate zoekt "
     "mensen trouwens)", tags=["other-company"])
case("nl", pub("x", "@zonaanbidder"), "Ik boycot dit jaar de regen. Duinrock, regel zon ☀️", tags=["other-sense"])
case("en", pub("instagram", "@smooth.entry"), "can't recall the last time festival entry went this smooth. scan, beep, "
     "in. nice one stagegate", tags=["other-sense", "praise"], kind="comment")
case("nl", pub("x", "@tevreden_tess"), "Geen klachten over Stagegate dit keer, refund binnen 3 dagen op mijn rekening. "
     "Zo hoort het 👍", tags=["negated"])
case("en", pub("facebook", "Rob Hendriks"), "\"Highway to hell\" as the opener with 40k people screaming along 🔥 "
     "thanks stagegate for getting us in on time", tags=["quote", "mild-word"])
case("nl", SG_LI, "We zoeken een Senior Backend Engineer voor ons resale-team in Rotterdam! Stuur je cv naar "
     "jobs@stagegate.nl 🚀", tags=["own-contact"])
case("en", pub("x", "@firsttimer_fay"), "@stagegate_help is this the right format for the refund form? "
     "<<BAD_IBAN_NL:grp>>", tags=["bad-checksum"], kind="reply")
case("en", DK, "QA tip: our checkout rejects test numbers like <<BAD_CARD:mc_sp>> because they fail the Luhn check 🤓 "
     "#testing", tags=["bad-checksum"])
case("nl", pub("forum", "festivalforum:newbie_noor"), "Mijn bestelnummer is <<NOT_BSN9>>, weet iemand hoe lang het "
     "duurt voor de tickets van Stagegate binnen zijn? Vorig jaar ging het snel", tags=["order-number"])
case("en", pub("x", "@gate4_gang"), "ticket barcode <<EAN13>> beeped green at gate 4, zero queue 😎",
     tags=["order-number"])
case("nl", YO, "testaccount voor de crewportal: gebruik het dummy-BSN <<BAD_BSN:dots>>, die faalt expres op de "
     "elfproef", tags=["bad-checksum"])
case("en", DK, "Our docs use AKIAXXXXXXXXXXXXXXXX as the example key. Please never paste real ones into tickets 🙏",
     tags=["placeholder-secret"])
case("en", BR, "fixed the timezone bug in our open-source lineup widget, commit <<HEX:40>>. PRs welcome",
     tags=["git-sha"], kind="post")
case("nl", pub("x", "@powerpiet"), "festival hack: neem een powerbank mee, dan kun je je Stagegate-ticket altijd "
     "laten zien 🔋", tags=["other-sense"])
case("en", pub("x", "@namechange_ok"), "shoutout to @stagegate_help for sorting my name change in 5 minutes 💯",
     tags=["praise"])
case("en", pub("reddit", "u/sellingmaybe"), "Does Stagegate resale cap prices at face value? thinking of selling my "
     "Polderpop day ticket", tags=["question"], kind="post")
case("nl", pub("x", "@kattenmens"), "Plot twist: mijn kat heeft met mijn creditcard een Season Pass 2026 gekocht. "
     "Hij gaat dit jaar naar alle festivals 🐈🎪", tags=["joke"])
case("en", pub("facebook", "Kim de Boer"), "Wow, FestiFlow had a data breach, 400k accounts. Glad I moved to "
     "stagegate last year", tags=["other-company"])
case("nl", pub("x", "@benefiet010"), "Vanavond benefietconcert tegen kanker, tickets via Stagegate en alle opbrengst "
     "gaat naar onderzoek 🎗️", tags=["mild-word", "literal"])
case("nl", SG_IG, "WIN 2 Duinrock weekendtickets! 🎉 Tag je festivalbuddy en volg @stagegate.nl. Winnaar maken we "
     "vrijdag bekend.", tags=["marketing"])
case("en", NA, "best part of my job: watching 30k people walk through the gates without a hitch 💚 #lifeatstagegate",
     tags=["praise"])
case("en", LV, "Proud to share our published 2025 annual report: revenue up 22% and our first B Corp certification. "
     "Link in the comments.", tags=["published"])
case("nl", MV, "Reminder: refunds voor het afgelaste Zomerzand gaan automatisch, je hoeft niks te doen. Vragen? "
     "refunds@stagegate.nl", tags=["own-contact"])
case("en", pub("x", "@amazed_anouk"), "stagegate's phone line +31 10 741 2200 actually picked up in 2 min, am I "
     "dreaming", tags=["own-contact"])
case("nl", pub("x", "@agenda_annemiek"), "Duinrock 06-07-2026 staat in m'n agenda 🎉 wie gaat er mee? tickets via "
     "stagegate", tags=["number-shape"])
case("en", SG_X, "Safety first: extra gates at the north entrance of Polderpop this weekend to keep queues short. "
     "Water points at every entrance 💧", tags=["official-notice"])
case("nl", pub("youtube", "UCnoorderfan"), "Wie zat er ook bij de Noorderlicht VIP? Dat uitzicht op het podium was "
     "echt next level", tags=["praise"], kind="comment")
case("en", pub("bluesky", "feesfair.bsky.social"), "big respect: stagegate now shows the service fee upfront instead "
     "of at the last step. more of this please", tags=["praise", "price-talk"])
case("nl", pub("x", "@tentje_tom"), "Onze tent was lek maar de vibes op Polderpop waren top ⛺️", tags=["other-sense"])
case("en", SG_HELP, "@dani_r So sorry to hear that! Could you DM us your order number? Please don't share personal "
     "details in public 🙏", tags=["care-reply"], kind="reply")
case("en", pub("x", "@scamspotter"), "stagegate always says they'll never ask for your password by DM. good, because "
     "someone pretending to be them just did 🙄 reported", tags=["other-sense"])
case("en", KC, "crew breakfast at 6, wristband scanners charged, let's go Duinrock 🌅", tags=["insider-benign"])
case("nl", pub("tiktok", "@polderpopmeisje"), "POV: je komt binnen bij Polderpop en je polsband piept meteen groen 😍",
     tags=["praise"])
case("en", pub("discord", "festival-chat#tickets:raverjoe"), "anyone got a spare Duinrock weekend ticket? will pay "
     "face value through stagegate resale", tags=["question"], kind="message")
case("nl", SG_X, "Let op: koop alleen tickets via stagegate.nl of Stagegate Resale. Tickets via Marktplaats kunnen "
     "vals zijn ⚠️", tags=["official-notice"])
case("en", pub("reddit", "u/setlistsleuth"), "that 'leaked' Duinrock setlist is fake btw, the band said so themselves",
     tags=["other-sense"], kind="comment")
case("en", pub("x", "@loud_lukas"), "headliner absolutely killed it tonight, and stagegate got us in within 10 min 🔥",
     tags=["other-sense"])
case("nl", pub("x", "@slimme_sophie"), "Servicekosten bij Tixxo €9 per ticket, bij Stagegate €3,50. Makkelijke keus.",
     tags=["price-talk", "other-company"])
case("en", pub("linkedin", "joost-event-tech"), "Great panel at ADE with Stagegate's CTO about fighting ticket touts. "
     "Recording is up on YouTube.", tags=["praise"])
case("nl", MV, "Leuk om te zien hoeveel mensen gisteren hun tickets zelf hebben overgezet via de app. Minder "
     "mailtjes voor ons, meer tijd voor de lastige vragen 😄", tags=["insider-benign"])
case("en", pub("mastodon", "@ticketprivacy@eupolicy.social"), "New EU rules on personalised tickets: platforms like "
     "Stagegate may ask for your name, but never your passport or BSN. Good.", tags=["other-sense"])
case("nl", pub("x", "@FestivalFrits"), "hoeveel is een Noorderlicht VIP eigenlijk? zie 495 staan, is dat incl "
     "servicekosten?", tags=["question", "price-talk"])


# ===========================================================================
# roles, severity, building
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


def ams_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


B36 = string.digits + string.ascii_lowercase


def make_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
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
        return f"fb-{a}_{b}", f"https://www.facebook.com/permalink.php?story_fbid={b}&id={a}"
    if platform == "reddit":
        p = "".join(r.choice(B36) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(B36) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/Festivals_NL/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/Festivals_NL/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"ff-{n}", f"https://festivalforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst or 'mastodon.social'}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3l" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{sc}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build(profile):
    g = Gen(SEED)
    mr = random.Random(SEED + 1)
    orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        pid, url = make_id_url(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
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
            acc["id"] = str(mr.randint(10 ** 8, 10 ** 12))
        post["account"] = acc
        post["text"] = text
        p = mr.random()
        if p < 0.09:
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
            post["brand"] = "stagegate"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    orr.shuffle(rows)
    return rows


def self_check(rows, profile):
    errs = []
    own = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    ids = set()
    emb = [(t.casefold(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in profile["embargo"] for t in e["terms"]]
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        if p["id"] in ids:
            errs.append(f"dup id {p['id']}")
        ids.add(p["id"])
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            if k.startswith("IBAN_") and (not iban_ok(raw) or raw in own):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if k == "BAD_IBAN_NL" and iban_ok(raw):
                errs.append(f"{p['id']}: negative IBAN passes")
            if k == "CARD" and not luhn_ok(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k == "BAD_CARD" and luhn_ok(raw):
                errs.append(f"{p['id']}: negative card passes")
            if k == "BSN" and not bsn_ok(raw):
                errs.append(f"{p['id']}: BSN fails")
            if k in ("BAD_BSN", "NOT_BSN9", "EAN13") and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(f"{p['id']}: look-alike passes a checksum")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{p['id']}: ghp crc")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and PII not in cats:
            errs.append(f"{p['id']}: valid identifier without leak.pii")
        low = p["text"].replace(ZW, "").casefold()
        for t, until in emb:
            if t in low and ts < until and CONF not in cats:
                errs.append(f"{p['id']}: embargo term {t} before {until} without confidential")
            if t in low and ts >= until and cats:
                errs.append(f"{p['id']}: embargo term after the moment but labelled {cats}")
    return errs


def stats(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cats:
            cat[(c, r["lang"])] += 1
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in sorted({k for k in cat if isinstance(k, str)}):
        print(f"  {c:24s} {cat[c]:4d}  nl {cat[(c, 'nl')]:3d}  en {cat[(c, 'en')]:3d}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stats", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    errs = self_check(rows, profile)
    for e in errs:
        print("ERROR", e)
    if a.stats:
        stats(rows)
        return 1 if errs else 0
    if errs:
        return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
