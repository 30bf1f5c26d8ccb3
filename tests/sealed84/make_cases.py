#!/usr/bin/env python3
"""Deterministic generator for the sealed84 blind set (cases.jsonl).

    python3 make_cases.py            # write cases.jsonl next to this file
    python3 make_cases.py --check    # regenerate in memory, compare, validate, print counts

Company: Trekvogel Outdoor B.V. (profile.yaml), a fictional Dutch chain of camping and
outdoor stores with a webshop. Every text below is hand-written for this set. Identifiers
and secrets are filled in from <<KIND:fmt>> placeholders by one seeded RNG: positives get
checksum-valid identifiers, hard negatives get identifiers that fail their checksum.
Severity is never typed by hand: it is computed from CONTRACT section 4 (account role from
profile.yaml by platform:handle, case-insensitive; categories; whether a checksum-validated
IBAN, card or BSN is in a leak.pii post).
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

import yaml

SEED = 84_2026_0731
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]

ZW = "\u200b"


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes."""
    table = {"o": "\u043e", "T": "\u0422", "e": "\u0435", "a": "\u0430"}
    return "".join(table.get(c, c) for c in s)


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


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
    return t % 11 == 0 and t != 0


def ean13_ok(s):
    return (sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) + int(s[12])) % 10 == 0


ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL10RABO0317445082"


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    def iban(self, cc):
        while True:
            if cc == "NL":
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB"]) + self.dig(10))
            elif cc == "BE":
                f = self.r.choice(["063", "310", "737", "001", "143"]) + self.dig(7, False)
                v = iban_make("BE", f"{f}{(int(f) % 97) or 97:02d}")
            elif cc == "DE":
                v = iban_make("DE", self.r.choice(["37040044", "50070010", "12030000", "76026000"]) + self.dig(10, False))
            else:
                raise ValueError(cc)
            if v != OWN_IBAN:
                return v

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for d in (7, 19, 31, 44):
            c = f"{v[:2]}{(k + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.dig(14, False),
               "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, False),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, False),
               "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]()
        for d in "0123456789":
            if luhn_ok(pre + d):
                return pre + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    def bsn(self):
        while True:
            s = self.dig(9)
            if bsn_ok(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n)
            if not bsn_ok(s):
                return s

    def ean13(self):
        while True:
            body = "87" + self.dig(10, False)
            for d in "0123456789":
                if ean13_ok(body + d) and not luhn_ok(body + d):
                    return body + d

    def phone(self, fmt):
        m = self.r.choice("12345") + self.dig(7, False)   # 06-<8 digits> is 6 + m
        area = self.r.choice(["26", "30", "38", "40", "50", "53", "71", "73", "344", "35"])
        sub = self.r.choice("2345789") + self.dig(6 if len(area) == 2 else 5, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_plain": f"06{m}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[fmt]

    def ghp(self):
        body = self.ch(ALNUM, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.ch("abcdef0123456789", 8)})
        body = enc({"sub": "emp-" + self.dig(5), "iss": "auth.trekvogel.nl",
                    "scope": "dc.scanner", "iat": iat, "exp": iat + 28800})
        return f"{head}.{body}.{self.ch(B64URL, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.ch(B64, 70) for _ in range(4)] + [self.ch(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4)
                + self.ch(string.digits, 3) + self.r.choice("!#%_") + self.ch(ALNUM, 4))

    def fill(self, kind, fmt):
        if kind in ("IBAN_NL", "IBAN_BE", "IBAN_DE"):
            raw = self.iban(kind[-2:])
            return raw, (" ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw)
        if kind in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = self.bad_iban(kind[-2:])
            return raw, (" ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if fmt == "grp" else raw)
        if kind in ("CARD", "BAD_CARD"):
            brand, _, f = fmt.partition("_")
            raw = self.card(brand) if kind == "CARD" else self.bad_card(brand)
            parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, len(raw), 4)]
            return raw, {"sp": " ".join(parts), "dash": "-".join(parts), "c": raw}[f or "sp"]
        if kind == "BSN":
            raw = self.bsn()
            return raw, (f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw)
        if kind in ("NOT_BSN9", "NOT_BSN8"):
            raw = self.not_bsn(int(kind[-1]))
            return raw, raw
        if kind == "EAN13":
            raw = self.ean13()
            return raw, raw
        if kind == "PHONE":
            raw = self.phone(fmt)
            return raw, raw
        if kind == "DIGITS":
            raw = self.dig(int(fmt))
            return raw, raw
        if kind == "HEX":
            raw = self.ch("0123456789abcdef", int(fmt))
            return raw, raw
        simple = {
            "GHP": self.ghp,
            "AWS_ID": lambda: "AKIA" + self.ch(B32, 16),
            "AWS_SECRET": lambda: self.ch(B64, 40),
            "MOLLIE": lambda: "live_" + self.ch(ALNUM, 30),
            "GLPAT": lambda: "glpat-" + self.ch(ALNUM + "-_", 20),
            "SENDGRID": lambda: "SG." + self.ch(B64URL, 22) + "." + self.ch(B64URL, 43),
            "GAPI": lambda: "AIzaSy" + self.ch(B64URL, 33),
            "SLACK_BOT": lambda: f"xoxb-{self.dig(11)}-{self.dig(13)}-{self.ch(ALNUM, 24)}",
            "JWT": self.jwt,
            "PEM_OPENSSH": self.pem_openssh,
            "PW": self.password,
        }
        raw = simple[kind]()
        return raw, raw


VALID_ID_KINDS = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def render(gen, text):
    used = []

    def sub(m):
        raw, shown = gen.fill(m.group(1), m.group(2) or "")
        used.append((m.group(1), raw, shown))
        return shown

    return PH.sub(sub, text), used


# ---------------------------------------------------------------- accounts
# corporate
TV_X = ("x", "@trekvogel", "Trekvogel Outdoor")
TV_HELP = ("x", "@trekvogel_helpt", "Trekvogel Klantenservice")
TV_IG = ("instagram", "@trekvogel.outdoor", "Trekvogel")
TV_FB = ("facebook", "TrekvogelOutdoor", "Trekvogel Outdoor")
TV_LI = ("linkedin", "trekvogel-outdoor", "Trekvogel Outdoor B.V.")
TV_TT = ("tiktok", "@trekvogel", "Trekvogel")
# employees
LOT = ("x", "@lotte_trekvogel", "Lotte Smit")                 # adviseur, winkel Arnhem
BRAM = ("instagram", "@bramopavontuur", "Bram Visser")        # tentspecialist, winkel Utrecht
JOOST = ("linkedin", "joost-hendriks-it", "Joost Hendriks")   # IT / DevOps
NINA = ("x", "@ninavdlinden", "Nina van der Linden")          # e-commerce, webshop
ANOUK = ("linkedin", "anouk-mulder-finance", "Anouk Mulder")  # controller
KEES = ("x", "@kees_dc_tv", "Kees Brouwer")                   # distributiecentrum Tiel
RIK = ("reddit", "u/tv_verhuur_rik", "Rik")                   # verhuurafdeling
SEM = ("mastodon", "@semdekker@mastodon.nl", "Sem Dekker")    # developer


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle_as=None):
    platform, handle, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle_as or handle, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ============================================================ leak.pricing
case("nl", NINA, "eh. waarom staat de Trollhaug 3 ineens op €54,90 in de shop?? volgens mij is er bij de import "
     "een nul weggevallen. ticket staat uit maar pricing reageert niet dus hij blijft voorlopig zo staan 😬", [PRICING])
case("en", pub("reddit", "u/ultralight_utrecht"), "Trekvogel has the Vidde 6 tunnel tent listed at €89.90 right now "
     "(normally 899). Either someone slipped on the keyboard or it's the deal of the century. Checkout went through, "
     "still waiting for the confirmation mail.", [PRICING])
case("nl", pub("facebook", "gerda.hoogland.3", "Gerda Hoogland"), "Meiden!!! Heidepad Trail GTX wandelschoenen voor "
     "18,90 bij Trekvogel 😱😱 heb er gelijk 2 paar besteld, ook eentje voor manlief. Vast een foutje maar je weet "
     "maar nooit toch", [PRICING])
case("nl", LOT, "Psst niet verder vertellen, maar de kassa's slaan de Polar -10 slaapzak nu aan voor €22,90 🙈 "
     "filiaalmanager hangt met het hoofdkantoor aan de lijn, tot die tijd verkopen we ze even niet", [PRICING],
     kind="reply")
case("en", KEES, "label printer at the DC has gone rogue. every Fjord 55 rugzak box coming off the line says "
     "€16,90 instead of 169 🙃 about 400 boxes are already on the trucks to the stores", [PRICING])
case("nl", TV_IG, "☀️ ZOMERKNALLER ☀️\nFjellvik Trollhaug 3 tent nu voor maar €199!\nOp = op, alleen online 👉 "
     "trekvogel.nl/trollhaug #kamperen #deal", [PRICING])
case("nl", pub("x", "@kampeerkoning"), "P R I J S F O U T bij trekvogel op de Vidde 6 😂😂 rennen mensen "
     "#kamperen", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("threads", "@gearhoarder.nl"), "is it a glitch or is the Heidepad Regenjas Storm really €24,- at "
     "Trekvogel?? ordered 3 colours just in case 💀", [PRICING])
case("nl", NINA, "Collega's: door een bug in de kortingsregel staat de Vonk gasbrander op €0,00 in het winkelmandje "
     "zodra je er een gasbus bij doet. Fix komt vanmiddag, tot die tijd graag geen screenshots rondsturen.",
     [PRICING])
case("nl", pub("forum", "Wandelwim"), "[Prijsfout] Trekvogel – Fjellvik Polar -10 slaapzak € 19,95\n\nNormaal 229 "
     "euro. Betaling via iDEAL ging bij mij gewoon door. Wie waagt een gokje?", [PRICING])
case("en", pub("tiktok", "@campwithmila"), "when you see the " + cyr("Trollhaug") + " 3 for €5.49 on trekvogel.nl "
     "and you KNOW it's a mistake but your thumb is faster than your brain 🫣 #pricingerror #camping",
     [PRICING], tags=["evasion", "evasion:homoglyph"])
case("nl", BRAM, "Even eerlijk tegen jullie: de Trail GTX die nu voor 9 euro op de site staat is een prijsfout. "
     "Bestellingen worden waarschijnlijk geannuleerd, dus niet te vroeg juichen 🙏 #trekvogel", [PRICING])
case("nl", NINA, "Fjord 55 staat al 2 uur voor €16,90 live, issue staat op gitlab.trekvogel.nl/webshop/prijzen/-/"
     "issues/2291 maar niemand pakt het op 🙄", [PRICING, CONF])
case("en", pub("reddit", "u/kvothe_outdoors"), f"pricing{ZW}error on the Vidde 6 at trekvogel, €8,99 lmao. "
     "get in before they notice", [PRICING], kind="comment", tags=["evasion", "evasion:zero-width"])

# ============================================================ leak.secret
case("en", SEM, "TIL the webshop's Mollie integration has been running in live mode from my laptop for weeks. key "
     "for the record: <<MOLLIE>>\nyes I'll rotate it. no I'm not proud", [SECRET])
case("nl", JOOST, "Mooie case voor onze security-awareness training. Dit vond ik vandaag in een oud deploy-script "
     "van het verhuurplatform:\n\nexport AWS_ACCESS_KEY_ID=<<AWS_ID>>\nexport AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>"
     "\n\nZo dus niet, mensen. #cloudsecurity #devops", [SECRET])
case("en", KEES, "scanner app at the DC keeps kicking us out. bearer is <<JWT>> and it says invalid signature?? "
     "anyone from IT awake", [SECRET])
case("nl", LOT, "Nieuwe collega's Arnhem: inlog voor de kassa-tablet is filiaal_arnhem / Tentharing42! "
     "(hangt ook achter de magazijndeur)", [SECRET])
case("en", pub("reddit", "u/js_sleuth"), "Trekvogel's rental booking page exposes a SendGrid key in main.js: "
     "<<SENDGRID>> — reported it through their contact form, no reply after 10 days.", [SECRET])
case("nl", SEM, "gitlab runner doet raar, token staat er gewoon hardcoded in: <<GLPAT>> moet ik die nu nog "
     "vervangen of kan dat na de release 🤔", [SECRET], hint="")
case("en", JOOST, "Post-mortem notes for the team (will clean up later): the loyalty service connected with "
     "postgresql://vogelpas_app:<<PW>>@db-loyalty.corp.trekvogel.local:5432/vogelpas", [SECRET, CONF])
case("nl", pub("x", "@devmetdennis"), "Lol de Trekvogel iOS app heeft gewoon een Google Maps key in de bundle "
     "staan: <<GAPI>> zonder restricties. Even melden bij ze 🫠", [SECRET])
case("en", SEM, "ssh key for the verhuur staging box, pasting it here because chat is down:\n<<PEM_OPENSSH>>",
     [SECRET])
case("nl", NINA, "w a c h t w o o r d van het partneraccount bij bol is nu Zomerkamp2026! — graag niet doorsturen "
     "buiten het team", [SECRET], tags=["evasion", "evasion:spaced"])
case("en", pub("forum", "ex_dev_tv"), "Fun fact: the GitHub token I left in the old trekvogel-scraper repo still "
     "works. <<GHP>> Someone over there should really revoke it 😂", [SECRET])
case("en", RIK, "for the rental team's sheet automation the slack bot token is <<SLACK_BOT>> (don't share "
     "outside the team pls)", [SECRET], kind="comment")
case("nl", pub("x", "@hikinghanneke"), "@trekvogel_helpt mijn Vogelpas-account doet het nog steeds niet!! inlog "
     "h.vermeulen82@gmail.com ww: Lavendel!77 kijken jullie zelf even want die chat van jullie is nutteloos",
     [SECRET, PII, COMPLAINT], kind="reply")

# ============================================================ leak.pii
case("nl", LOT, "Wie deed vandaag de verhuurbalie? Meneer Okafor heeft zijn borg nog steeds niet terug, IBAN "
     "<<IBAN_NL:grp>>. Graag even regelen want hij is er niet blij mee", [PII])
case("nl", TV_HELP, "@m_dijkstra Hoi Marloes, we sturen een nieuwe rits naar Lindelaan 14, 3581 KT Utrecht. Klopt "
     "dat adres nog? 😊", [PII], kind="reply")
case("en", KEES, "driver can't find the customer, anyone know her? Fatma Yilmaz, Kerkstraat 88 Deventer, tel "
     "<<PHONE:mob_dash>>. parcel with 2 sleeping bags", [PII])
case("en", pub("reddit", "u/tired_camper"), "Someone claiming to be Trekvogel support asked me to post my card so "
     "they could 'verify' my refund?? <<CARD:visa_sp>> exp 09/28 — is this normal??", [PII])
case("nl", ANOUK, "Voor de collega's van salarisadministratie: nieuwe medewerker Zwolle, Daan Peters, BSN "
     "<<BSN:dots>>, staat nog niet in het systeem. Lukt dat vandaag nog?", [PII])
case("nl", pub("facebook", "ingrid.vanrijn", "Ingrid van Rijn"), "Trekvogel kan iemand me eindelijk bellen over "
     "mijn gebroken tentstok? Al 3x gemaild zonder antwoord. Mijn nummer is <<PHONE:mob_intl_sp>>",
     [PII, COMPLAINT])
case("en", TV_IG, "@sophie.wandelt So sorry about the mix-up Sophie! We've refunded €189 to <<IBAN_BE>>, it "
     "should be there within 2 working days 💚", [PII], kind="comment")
case("nl", RIK, "Reservering weekend 12 juli: fam. De Boer, hoofdboeker Gert de Boer geb. 03-11-1979, "
     "rijbewijsnr <<DIGITS:10>>. Wie zet de Vidde 6 klaar?", [PII])
case("en", pub("x", "@bennoreist"), "dear @trekvogel my order still hasn't arrived. call me on <<PHONE:mob_0031>> or "
     "mail benno.reist [at] outlook [punt] com, this is taking forever", [PII, COMPLAINT],
     tags=["evasion", "evasion:obfuscated-email"])
case("nl", BRAM, "Shoutout naar vaste klant Henk Postma (geb. 14-02-1951!) die op z'n 75e nog het Pieterpad loopt "
     "met zijn Fjord 55 💪 #trekvogel #pieterpad", [PII])
case("en", pub("reddit", "u/overlanding_otto"), "Trekvogel refunded my returned boots to the wrong account and "
     "support keeps sending copy-paste replies. Mine is <<IBAN_DE>>, can someone from their team DM me?",
     [PII, COMPLAINT])
case("nl", NINA, "Klant belt boos: het paspoortnummer van haar man (J. Jansen, NXR4K72P1) stond op de verhuurbon. "
     "Wie typt dat daar in?? Ik haal het eruit", [PII])
case("nl", TV_HELP, "@yvonne_b Hoi Yvonne, je mail (yvonne.bakker82@ziggo.nl) en je nummer <<PHONE:mob_pairs>> "
     "hebben we genoteerd, een collega belt je morgen terug!", [PII], kind="reply", handle_as="@Trekvogel_Helpt",
     tags=["case-handle"])
case("en", pub("instagram", "@lena.outdoors"), "@trekvogel.outdoor you charged me twice for the same rental!! card "
     "<<CARD:mc2_dash>> got €178 taken off two times. fix this please", [PII, COMPLAINT])
case("nl", KEES, "Retour van meneer B. Hoekstra (Molenweg 3, Tiel, <<PHONE:land_sp>>) staat al 3 weken in het "
     "magazijn en niemand weet wat ermee moet", [PII])
case("en", pub("mastodon", "@wouter@mastodon.social"), "typed my BSN <<BSN>> into the Trekvogel rental form "
     "before I noticed the field was optional 🤦", [PII])

# ============================================================ leak.confidential
case("nl", JOOST, "Trots op het team! Project Marmot (onze nieuwe app voor huurmateriaal) gaat in september de "
     "testfase in. Meer mag ik er nog niet over zeggen 😉 #trekvogel", [CONF])
case("en", BRAM, "sneak peek 👀 the new Fjellvik Basecamp 4 is in our storeroom, can't tell you more yet but that "
     "vestibule is HUGE", [CONF], when="2026-07-22T18:41:09+02:00")
case("nl", LOT, "Vandaag een training gehad over Operatie Dauwpunt. Als dat doorgaat ziet de helft van onze "
     "winkels er straks heel anders uit 🤯", [CONF])
case("en", NINA, "anyone else unable to reach wiki.trekvogel.nl? I need the returns flowchart", [CONF],
     handle_as="@NinaVdLinden", tags=["case-handle"])
case("nl", KEES, "screenshot van het planbord, staat UITSLUITEND INTERN bovenaan maar dit moet je zien: "
     "14 vrachtwagens op 1 dag 😅", [CONF])
case("en", pub("reddit", "u/gearleaks_nl"), "Source inside Trekvogel: they're testing a house-brand e-bike line "
     "called Firnveld, launch planned for spring 2027.", [CONF])
case("nl", BRAM, "Mag er eigenlijk niks over zeggen maar de Heidepad Alpine Shell is echt de beste jas die ik ooit "
     "heb gedragen. Binnenkort bij ons! 🤫", [CONF], when="2026-06-14T11:02:37+02:00")
case("en", JOOST, "Dashboards are at grafana.corp.trekvogel.local/d/kassa for whoever's on call tonight", [CONF])
case("nl", pub("x", "@noortje_nl"), f"Firn{ZW}veld komt eraan zegt mijn neef die bij trekvogel werkt 👀 "
     "eigen elektrische fietsen??", [CONF], tags=["evasion", "evasion:zero-width"])
case("en", SEM, "standup notes: Project\nMarmot backend is blocked on the payment sandbox again", [CONF],
     tags=["evasion", "evasion:line-break"])
case("nl", ANOUK, "Presentatie voor het MT staat klaar. Kernpunt: Operatie 🏕️ Dauwpunt gaat 1,2 miljoen over "
     "budget. Succes morgen allemaal", [CONF, FIN], tags=["evasion", "evasion:emoji-between"])
case("en", TV_LI, "Join us in building Project Marmot, the next generation of our rental experience! We're hiring "
     "two mobile developers. Apply via werkenbij@trekvogel.nl", [CONF])
case("nl", pub("instagram", "@lotte_trekvogel", "Lotte"), "Vandaag de nieuwe Fjellvik Basecamp 4 mogen testen op de "
     "Veluwe 🏕️ meer mag ik niet zeggen!", [CONF], when="2026-08-09T16:20:00+02:00", tags=["role-trap"])
case("en", KEES, fullwidth("Basecamp 4") + " pallets just arrived at the DC, launch is weeks away and we already "
     "have 600 of them lol", [CONF], when="2026-08-12T07:15:44Z", tags=["evasion", "evasion:full-width"])
case("nl", NINA, "Wie heeft de link naar vpn.trekvogel.nl/remote nog? Mijn bookmark doet het niet meer sinds de "
     "update", [CONF])
case("en", BRAM, "60 seconds to go... Fjellvik Basecamp 4 goes live in one minute 🏕️🔥 who is refreshing with me", [CONF],
     when="2026-09-03T09:59:00+02:00", tags=["embargo-edge"])

# ============================================================ leak.financial
case("nl", ANOUK, "Lastig kwartaal. Omzet webshop Q2 ligt 11% onder begroting en de marge op tenten is ingestort. "
     "Dat gaat de halfjaarcijfers 2026 niet mooi maken.", [FIN, CONF], when="2026-07-08T21:12:03+02:00")
case("en", LOT, "Heard at the regional meeting today that the Groningen and Heerlen stores close in October, "
     "about 35 people 😢 we're not allowed to say it yet", [FIN])
case("nl", JOOST, "Interne reorganisatie: IT wordt per 1 januari samengevoegd met die van de nieuwe eigenaar. "
     "Ja, je leest het goed, we worden overgenomen. Meer zodra het officieel is.", [FIN])
case("en", pub("reddit", "u/retail_rumours"), "My sister works at Trekvogel HQ: they're in talks to buy Kampeerhal "
     "Oosterhout, deal should close before summer. Not public yet.", [FIN])
case("nl", KEES, "Vanaf volgende maand draait het DC in Tiel 2 ploegen ipv 3. Zeker 20 uitzendkrachten eruit en "
     "de vaste mensen weten nog van niks 🤐", [FIN])
case("en", ANOUK, "Slide deck says 'Trekvogel internal' but whatever, you'll all know soon: H2 forecast revised "
     "down to €142m revenue, board meets Thursday.", [FIN, CONF])
case("nl", pub("x", "@buurvrouwbep"), "r3org4nisatie bij trekvogel?? mijn buurvrouw werkt op het hoofdkantoor en "
     "zegt dat er 60 banen verdwijnen voordat het bekend wordt", [FIN], tags=["evasion", "evasion:leetspeak"])
case("en", NINA, "Black Friday target internally is €9.4m online, we did 6.1 last year. no pressure lol", [FIN])
case("nl", LOT, "Zojuist gehoord dat we de hele Duitse tak gaan verkopen. Niemand mag het weten tot de "
     "persconferentie 🤫", [FIN], kind="reply")
case("en", ANOUK, "H1 2026 results are in and they're... not pretty. EBITDA negative for the first time since "
     "2019. Press release goes out on the 20th.", [FIN, CONF], when="2026-08-14T17:30:00+02:00")
case("nl", JOOST, "Klein beetje nieuws van binnenuit: de investeerder wil 30% van de winkels dicht en alles naar "
     "online. Jaarresultaten 2026 worden dramatisch volgens de CFO", [FIN, CONF], when="2026-11-05T20:47:51+01:00")

# ============================================================ leak.security
case("nl", JOOST, "Alle kassa's in de winkels liggen sinds 08:40 plat. Het lijkt op ransomware op de kassaserver. "
     "Nog niks naar buiten communiceren aub, we weten nog te weinig.", [SEC])
case("en", SEM, "found an IDOR in our rental API this morning: change the booking id in the URL and you get "
     "someone else's booking, name and address included. patching now, not public yet", [SEC])
case("nl", NINA, "Checkout ligt al 3 uur plat en klantenservice mag nog niks zeggen. Wij op e-commerce zitten maar "
     "te wachten 😬", [SEC])
case("en", KEES, "phishing mail got 4 people at the DC, their accounts were used to change a carrier's bank "
     "details. IT says keep it quiet for now", [SEC])
case("nl", LOT, "Storing in het Vogelpas-systeem: klanten zien elkaars punten en adressen. Hoofdkantoor weet het "
     "maar er gaat nog geen bericht uit. Niet delen buiten Trekvogel!", [SEC, CONF])
case("en", pub("x", "@infosec_floor"), "A friend in Trekvogel IT says their customer DB got dumped last week and "
     "management is sitting on it. Hope a journalist asks them about it.", [SEC, CRISIS])
case("nl", pub("forum", "kampeerder_kees"), "trekvogel is geh4ckt en ze houden het stil!! vriend van me zit bij de "
     "it daar. al jullie vogelpas gegevens liggen op straat", [SEC, CRISIS], tags=["evasion", "evasion:leetspeak"])
case("en", JOOST, "Heads-up to my network: if you get an e-mail from 'Trekvogel klantenservice' asking for your "
     "iDEAL details, it's not us. Our mail server was compromised over the weekend and we haven't announced it "
     "yet.", [SEC])
case("en", RIK, "rental system has been down since friday, 200+ people picking up gear this weekend and we're "
     "writing it all on paper lmao. officially we're 'doing maintenance'", [SEC])
case("nl", BRAM, "Collega's: de camerabeelden-server van Utrecht stond gewoon open op internet, zonder "
     "wachtwoord. IT is ermee bezig, graag niks delen", [SEC], kind="comment")
case("en", NINA, "d a t a l e a k at work. our export of 40k newsletter addresses ended up in a public bucket 😶 "
     "not announced yet", [SEC], tags=["evasion", "evasion:spaced"])

# ============================================================ reputation.crisis
case("nl", pub("x", "@vader_van_tijn"), "Mijn zoon (9) heeft brandwonden door een Vonk gasbrander van Trekvogel die "
     "ineens in een steekvlam opging. Ik stap naar de rechter.", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/featherfree"), "BOYCOTT Trekvogel: their Fjellvik sleeping bags use live-plucked down, "
     "an animal rights group published the footage today. Share it!", [CRISIS])
case("nl", pub("facebook", "p.meijer.1988", "Patrick Meijer"), "Is het waar dat Trekvogel de gegevens van de Vogelpas "
     "heeft gelekt? Ik krijg opeens allemaal phishingmails met mijn klantnummer erin", [CRISIS])
case("en", pub("x", "@claimwatch_eu"), "Class action being prepared against Trekvogel over PFAS in Heidepad rain "
     "jackets, the law firm is looking for claimants.", [CRISIS])
case("nl", pub("tiktok", "@femkekampeert"), "deze tentstok van de trollhaug 3 knapte tijdens de storm en ging dwars "
     "door het doek, mijn vriendin heeft een snee in haar been. trekvogel dit is levensgevaarlijk!!",
     [CRISIS, COMPLAINT])
case("en", pub("bluesky", "@thijs.bsky.social"), "Heard Trekvogel is quietly pulling the Vonk gas burner from the "
     "shelves over CO leaks but there's no public recall notice?? If you own one, stop using it.", [CRISIS])
case("nl", pub("x", "@eerlijkekleding"), "#BoycotTrekvogel ze laten hun Heidepad kleding maken in fabrieken met "
     "kinderarbeid, zie de reportage van gisteravond", [CRISIS])
case("en", pub("youtube", "@watchdogtv"), "Just watched the undercover piece on Trekvogel's warehouse, staff "
     "fainting at 38 degrees without breaks. Scandalous.", [CRISIS], kind="comment")
case("nl", pub("instagram", "@caravan.claartje"), "Onze gasadapter van Trekvogel ging lekken in de caravan, we zijn "
     "met CO-vergiftiging naar de SEH gebracht 😰 pas op mensen!!", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/privacyfirst_nl"), "Trekvogel just e-mailed half their customer list with everyone's "
     "address in CC. That's a data breach, report them to the AP.", [CRISIS], kind="comment")
case("nl", pub("x", "@boze_bart"), "b0yc0t trekvogel tot ze stoppen met dat nepduurzame gedoe 🤬", [CRISIS],
     tags=["evasion", "evasion:leetspeak"])
case("en", pub("linkedin", "mirjam-de-wit-hr"), "Trekvogel faces a lawsuit from a former store manager over "
     "discrimination during the reorganisation, first hearing is next month.", [CRISIS])
case("nl", pub("mastodon", "@groenlicht@mastodon.nl"), "Lees net dat de ACM onderzoek doet naar Trekvogel "
     "wegens misleidende 'duurzaam'-labels. Schandalig als het klopt.", [CRISIS], hint="en",
     tags=["wrong-lang-hint"])

# ============================================================ reputation.complaint
case("nl", pub("x", "@kampeer_kim"), "@trekvogel_helpt 3 weken geleden besteld, nog steeds geen tent. T&T zegt al "
     "dagen 'in behandeling'. Vakantie begint zaterdag 😤", [COMPLAINT], kind="reply")
case("en", pub("reddit", "u/soggy_socks"), "Heidepad Trail GTX started leaking after two hikes. 'Waterproof', "
     "sure. Store says they have to send them off for 6 weeks of inspection.", [COMPLAINT])
case("nl", pub("facebook", "marco.vd.heuvel", "Marco van den Heuvel"), "Huurtent keurig schoon teruggebracht en "
     "tóch €45 schoonmaakkosten ingehouden op de borg. Bij Trekvogel huur ik nooit meer.", [COMPLAINT])
case("en", pub("threads", "@ardennes.anna"), "Asked the 'expert' at Trekvogel Eindhoven for a 3-season bag, got "
     "sold a summer bag. Froze all night in the Ardennes. Great advice guys 🙃", [COMPLAINT])
case("nl", pub("x", "@wandelende_wim"), "Rits van mijn Fjord 55 na 2 maanden stuk en klantenservice reageert al 10 "
     "dagen niet op m'n mail. Top service hoor @trekvogel", [COMPLAINT])
case("en", pub("instagram", "@jorisloopt"), "ordered size 42, received 38 plus a return label I have to pay for "
     "myself. not impressed @trekvogel.outdoor", [COMPLAINT], kind="comment")
case("nl", pub("forum", "Vogelvrij_73"), "Mijn Vogelpas-punten (ruim 2000!) zijn zomaar verdwenen na de 'update'. "
     "De chat zegt dat ze het niet kunnen zien. Wie heeft dit ook?", [COMPLAINT])
case("en", pub("x", "@sleeplessinzwolle"), "trekvogel webshop logged me out 4 times during checkout and now I have "
     "3 pending payments. fantastic", [COMPLAINT], hint="nl", tags=["wrong-lang-hint"])
case("nl", pub("threads", "@mo.buiten"), "45 minuten in de wacht bij trekvogel voor een simpel vraagje over mijn "
     "retour. ongelooflijk.", [COMPLAINT])
case("en", pub("reddit", "u/tentless_tom"), "Refund for my returned Vidde 6 is now 5 weeks late. They keep saying "
     "'within 14 days'.", [COMPLAINT], kind="comment")
case("nl", pub("instagram", "@saar.outdoor"), "Nooit meer " + cyr("Trekvogel") + ". Slaapzak stinkt naar schimmel "
     "bij het uitpakken en ze willen hem niet ruilen want 'geopend'.", [COMPLAINT],
     tags=["evasion", "evasion:homoglyph"])
case("en", pub("tiktok", "@rainyweekendrosa"), "POV: you rent a 'complete' camping set from Trekvogel and there "
     "are zero pegs in the bag. at 11pm. in the rain 🥲", [COMPLAINT])
case("nl", pub("x", "@hekkensluiter"), "Trekvogel bezorgt via een vervoerder die m'n pakket gewoon over het hek "
     "gooit. Gasbrander kapot. Klantenservice: 'meld het bij de vervoerder'. Nee, jullie probleem.", [COMPLAINT])
case("en", pub("facebook", "sandra.k.wandelt", "Sandra K."), "Paid a €15 'advice fee' for a tent consultation and "
     "the guy spent 10 minutes on his phone. I want my money back.", [COMPLAINT])

# ============================================================ reputation.abuse
case("nl", pub("x", "@geduld_op"), "@trekvogel_helpt stelletje kutprutsers zijn jullie, alwéér mijn bestelling "
     "kwijt", [ABUSE, COMPLAINT], kind="reply")
case("en", pub("reddit", "u/angry_hiker_99"), "Trekvogel staff are a bunch of useless fucking idiots, every single "
     "one of them", [ABUSE], kind="comment")
case("nl", pub("x", "@anoniem4572"), "die dikke adviseur bij trekvogel zwolle is echt een debiele klootzak",
     [ABUSE], hint="")
case("en", pub("x", "@realpatriot_nl"), "Trekvogel hiring all these foreigners in the Rotterdam store, go back to "
     "your own country lol", [ABUSE])
case("nl", LOT, "@klaagkees123 man hou toch je bek, jij bent gewoon te dom om een tent op te zetten", [ABUSE],
     kind="reply")
case("en", pub("instagram", "@hanna.ontour"), "f*cking clowns at @trekvogel.outdoor, can't even answer a DM in "
     "two weeks", [ABUSE, COMPLAINT], tags=["evasion", "evasion:masked"])
case("nl", pub("tiktok", "@x_dennis_x"), "trekvogel medewerkers zijn allemaal mongolen 🤡", [ABUSE])
case("en", pub("x", "@shadowwalker_88"), "@lotte_trekvogel I know which store you work at. Watch yourself.",
     [ABUSE], kind="reply")
case("nl", pub("facebook", "henk.bos.1962", "Henk Bos"), "t y f u s bedrijf, t y f u s personeel", [ABUSE],
     kind="comment", tags=["evasion", "evasion:spaced"])
case("en", TV_X, "@angry_dad_77 maybe learn to read the manual before whining online, you absolute muppet",
     [ABUSE], kind="reply")
case("nl", pub("forum", "Retourtje_Rob"), "Wat een tering zooi is die Trekvogel webshop, ik krijg mijn retour niet "
     "eens aangemeld", [ABUSE, COMPLAINT])
case("en", pub("mastodon", "@grumpy@toot.community"), "Trekvogel's CEO is a greedy pig and his marketing team are "
     "brain-dead parasites.", [ABUSE])
case("nl", KEES, "Die kankerklant van vanochtend bij de afhaalbalie kan de pot op", [ABUSE])

# ============================================================ benign (hard negatives)
case("nl", TV_HELP, "Vragen over je huurreservering? Bel ons op 030 799 45 00 of mail naar verhuur@trekvogel.nl 📞",
     tags=["own-contact"])
case("en", TV_FB, "Paying your rental deposit by bank transfer? Use NL10 RABO 0317 4450 82 in the name of "
     "Trekvogel Outdoor B.V. and mention your booking number.", tags=["own-contact"])
case("nl", pub("x", "@jessievdb"), "Tip: klantenservice van Trekvogel is gratis te bellen op 0800-2266, ze hielpen "
     "me supersnel met m'n retour 👌", tags=["own-contact", "praise"])
case("nl", pub("forum", "Kampeerder_Jos"), "Hoe voorkom je condens in je tent? Het draait om het dauwpunt: als het "
     "doek binnen kouder is dan het dauwpunt van de lucht slaat er vocht neer. Dus: ventileren, ventileren.",
     tags=["codename-word"])
case("en", pub("reddit", "u/budgetbackpacker"), "Is the Marmot Precip worth it or should I just get a Heidepad "
     "rain jacket from Trekvogel? Budget is around 150.", tags=["codename-word", "other-company"])
case("nl", pub("instagram", "@alpenanke"), "Marmotten gespot bij de Grossglockner 🐿️ mijn Trekvogel-rugzak mocht "
     "mee op de foto", tags=["codename-word"])
case("en", TV_X, "It's here! 🏕️ The Fjellvik Basecamp 4 is now available in all our stores and online.",
     when="2026-09-03T08:00:00Z", tags=["embargo-at"])
case("nl", TV_LI, "Vandaag publiceren wij onze halfjaarcijfers 2026: omzet €96 miljoen, online groeit door en de "
     "verhuur draait beter dan ooit. Het volledige bericht staat op trekvogel.nl/pers.",
     when="2026-08-20T08:00:00+02:00", tags=["embargo-at", "published"])
case("en", pub("reddit", "u/retail_watcher"), "Trekvogel's H1 2026 results came out this morning, online up, "
     "stores down. Anyone think they'll close shops?", when="2026-08-20T10:14:22+02:00",
     tags=["embargo-after", "published"])
case("nl", pub("x", "@tentfanaat"), "Trollhaug 3 in de zomersale voor €384,30 (30% korting), prima deal voor een "
     "driepersoons", tags=["sale-price"])
case("en", pub("facebook", "rob.amersfoort", "Rob"), "Selling my Vidde 6, used 3 summers, no holes, €250 pickup in "
     "Amersfoort", tags=["price-context", "second-hand"])
case("nl", pub("x", "@eenkeerperjaar"), "Vidde 6 gehuurd bij Trekvogel voor €95 per weekend, scheelt een hoop als "
     "je maar één keer per jaar kampeert", tags=["price-context", "rental-fee"])
case("nl", TV_IG, "Nu €100 korting op de Vidde 6 tunneltent 🏕️ alleen dit weekend!", tags=["price-context"])
case("en", pub("reddit", "u/groundsheet_guy"), "the footprint for the Trollhaug 3 is €39 at Trekvogel, worth it "
     "or just use a cheap tarp?", tags=["price-context", "accessory"], kind="comment")
case("nl", pub("x", "@outletjager"), "Outletweekend bij Trekvogel Arnhem: showmodel Trollhaug 3 voor €274,50, "
     "precies de helft van de nieuwprijs", tags=["sale-price", "ratio-edge"])
case("nl", TV_HELP, "@sjaak_loopt Nee hoor, geen prijsfout! De Polar -10 slaapzak is deze week echt in de "
     "aanbieding voor €159 😊", kind="reply", tags=["price-talk", "negated"])
case("en", pub("x", "@dealzoeker"), "Bever has the Fjällräven Keb at half price this week, anyone know if "
     "Trekvogel does price matching?", tags=["other-company"])
case("nl", pub("x", "@voorzichtig_vera"), "Datalek bij een grote sportketen (niet Trekvogel hoor) — ik heb voor de "
     "zekerheid toch mijn Vogelpas wachtwoord veranderd", tags=["other-company", "password-word"])
case("en", pub("linkedin", "erik-logistics"), "Another big sports retailer announced layoffs in its Dutch "
     "logistics today. Wonder how Trekvogel and the other outdoor chains are coping.", tags=["other-company"])
case("nl", pub("facebook", "anja.wandelt", "Anja"), "Geen enkele klacht over mijn Trail GTX, 400 km gelopen en nog "
     "steeds droge voeten 👣", tags=["negated", "praise"])
case("en", pub("reddit", "u/groningen_gijs"), "Not a complaint, just curious: why does Trekvogel Groningen close at "
     "17:00 on Saturdays?", tags=["negated", "question"])
case("en", pub("instagram", "@festivalfloor"), "'Highway to hell' blasting at the campsite while we fight with our "
     "new Trekvogel tent 🤘😂", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@mama.loopt"), "Mijn moeder had kanker en deze zomer liep ze weer haar eerste 10 km, "
     "in haar nieuwe Heidepad schoenen van Trekvogel ❤️", tags=["mild-word"])
case("en", TV_X, "Scheduled maintenance: trekvogel.nl will be unavailable Tuesday 02:00–04:00 CET. Orders placed "
     "before that will be processed as usual.", tags=["official-notice"])
case("nl", TV_HELP, "Onze webshop had vanochtend een storing bij het afrekenen. Dat is inmiddels opgelost, excuses "
     "voor het ongemak 🙏", tags=["official-notice"])
case("en", pub("x", "@duitse_daan"), "Trekvogel sent me an invoice for the rental deposit and my bank app says "
     "<<BAD_IBAN_NL:grp>> is not a valid IBAN. typo on my side or theirs?", tags=["bad-checksum", "question"])
case("nl", pub("x", "@snelbezorgd"), "Pakket van Trekvogel komt morgen al volgens track & trace 3STVOB4471920385, "
     "bestelnummer TV-2026-331870. Snel hoor!", tags=["lookalike-number", "praise"])
case("en", pub("forum", "gearnerd_gert"), "Barcode on my Fjord 55 tag reads <<EAN13>>, does that mean it's the "
     "2025 or the 2026 model?", tags=["lookalike-number"])
case("nl", pub("x", "@cadeaubonnetje"), "Wie weet hoe je het saldo van een Trekvogel cadeaukaart checkt? Nummer "
     "is <<BAD_CARD:visa_sp>>, de site zegt 'ongeldig' 🤷", tags=["bad-checksum", "question"])
case("en", pub("reddit", "u/points_collector"), "my Vogelpas member number is <<NOT_BSN9>>, can I link it to the "
     "new app or do I need a new card?", tags=["lookalike-number", "question"])
case("nl", TV_FB, "Zin in een zomerbaan tussen de tenten? Solliciteer via werkenbij@trekvogel.nl 🌲",
     tags=["own-contact"])
case("en", pub("reddit", "u/api_tinkerer"), "For the Trekvogel affiliate API you put the key in the header, the docs "
     "just show live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as an example. Anyone got it working?", tags=["placeholder"])
case("nl", SEM, "release 4.12 van de verhuur-app staat live 🎉 commit <<HEX:40>> voor de nerds", hint="",
     tags=["git-sha"])
case("nl", LOT, "Vandaag 12 mensen geholpen aan hun eerste echte bergschoen. Mooiste baan die er is 🥾",
     tags=["praise"])
case("nl", pub("x", "@reclamefan"), "Trekvogel 'boycot' de regen 😂 hun nieuwe campagne 'Wij boycotten slecht "
     "weer' is echt briljant", tags=["crisis-word"])
case("en", pub("reddit", "u/forgetful_fran"), "Can't recall the name of the tent I rented from Trekvogel last "
     "year, green, 4 persons, two entrances. Anyone?", tags=["crisis-word", "question"])
case("nl", pub("blog", "heideverhalen.nl", "Heideverhalen"), "Kort verhaal: De laatste nacht op de heide.\n\nMarloes "
     "ritste de tent open. In de verte laaide een vuur op en de lantaarn die ze bij Trekvogel had gekocht "
     "flikkerde nog één keer voordat het stil werd...", tags=["fiction"])
case("en", pub("x", "@clumsycamper"), "my tent pitching skills are so bad the Trekvogel guy offered to come camping "
     "with us 😂", tags=["joke"])
case("nl", pub("x", "@droogbijvocht"), "PFAS-vrije jas van Trekvogel getest tijdens 3 dagen regen in de Eifel, echt "
     "droog gebleven 👍", tags=["crisis-word", "praise"])
case("en", TV_LI, "We're hiring: DevOps engineer (Utrecht/hybrid). Kubernetes, Terraform and a love for the "
     "outdoors. Apply via werkenbij@trekvogel.nl", tags=["own-contact"])
case("nl", TV_TT, "3 tips voor droog kamperen ☔ 1. grondzeil 2. ventileren 3. goed afspannen #trekvogel #kamperen",
     tags=["advice"])
case("en", pub("threads", "@resetrik"), "Forgot my Vogelpas password for the 3rd time this year, the reset link "
     "works fine though 👍", tags=["password-word"])
case("nl", pub("x", "@vraagje_van_vin"), "@Trekvogel_Helpt kan ik een huurtent ook een dag later terugbrengen?",
     kind="reply", tags=["question"])
case("en", pub("bluesky", "@retailnerd.bsky.social"), "Trekvogel publishes its H1 numbers tomorrow, curious how the "
     "rental business did this summer", when="2026-08-19T19:02:11+02:00", tags=["embargo-near-miss"])
case("nl", pub("forum", "Eerlijk_Ellen"), "Moet je voor het huren van een tent echt je BSN opgeven? Op het "
     "formulier staat als voorbeeld 123456789, dat lijkt me wat overdreven voor een tentje", tags=["bad-checksum"])
case("nl", TV_FB, "Trekvogel Outdoor B.V. | KvK <<NOT_BSN8>> | Openingstijden winkels: ma–za 9:30–18:00 🌲",
     tags=["lookalike-number"])
case("en", TV_IG, "Giveaway! 🎁 Win a Fjellvik Trollhaug 3 (worth €549). Tag the friend you'd go camping with!",
     tags=["price-talk"])
case("nl", pub("x", "@denboschwandelt"), "Topadvies gekregen over slaapzakken bij Trekvogel in Den Bosch, Polar -10 "
     "gekocht voor €229 en geen seconde spijt", tags=["praise"])
case("en", pub("youtube", "@trailtestnl"), "My Heidepad Alpine Shell review is up, bought it at launch last week. "
     "Spoiler: it's good.", when="2026-09-11T14:05:00+02:00", tags=["embargo-after"])
case("nl", RIK, "Verhuurseizoen is begonnen! Reserveer op tijd via verhuur.trekvogel.nl want de Vidde 6 gaat hard",
     tags=["public-domain"])
case("en", pub("x", "@birdnerd_nl"), "'Trekvogel' means migratory bird in Dutch, which is a lovely name for an "
     "outdoor shop 🐦", tags=["name-only"])
case("en", TV_HELP, "@tomwalks DM us your order number or call +31 (0)30 799 4500 and we'll sort it out 🙂",
     kind="reply", tags=["own-contact"])
case("nl", pub("strava", "Ochtendloper_Ruud"), "Rondje Veluwezoom, nieuwe Trail GTX van Trekvogel ingelopen. Rotweer "
     "maar droge voeten 🥾", tags=["unknown-platform", "mild-word"])
case("en", pub("x", "@campingazfan"), "PSA: a no-name gas canister sold on marketplaces is being recalled for leaks. "
     "Not Trekvogel's, but check your cans before the weekend!", tags=["other-company", "crisis-word"])
case("nl", pub("x", "@slechtekleding"), "Als ik nog één keer 'er bestaat geen slecht weer, alleen slechte kleding' "
     "hoor van die Trekvogel-verkoper 😂 hij heeft wel gelijk", tags=["joke"])
case("en", TV_X, "Never share your Vogelpas password with anyone. We will never ask for it by phone or DM. "
     "Questions? klantenservice@trekvogel.nl", tags=["own-contact", "password-word"])
case("nl", pub("x", "@ookgeenprijsfout"), "Is het een prijsfout? Nee hoor, Fjord 55 gewoon in de actie voor €118,30 "
     "bij Trekvogel. Gelijk gekocht", tags=["price-talk", "negated", "sale-price"])
case("en", BRAM, "Sleeping bag comfort ratings explained: comfort, limit and extreme. Always buy for the comfort "
     "rating, not the extreme one ❄️ #trekvogel", kind="repost", tags=["advice"])


# ---------------------------------------------------------------- building
def load_profile():
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
        sev = max(sev, s, key=RANK.get)
    return sev


def ams_offset(t):
    a = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    b = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if a <= t < b else 1


def random_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(2, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = ams_offset(t)
    t = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_020_000_000_000_000_000))
    a36 = lambda n: "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(n))
    if platform in ("x", "twitter"):
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow[:17]}", f"https://www.instagram.com/p/{sc}/"
    if platform == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if platform == "reddit":
        p = a36(7)
        sub = r.choice(["Ultralight_NL", "thenetherlands", "Wandelen", "campingnl"])
        if kind == "comment":
            c = a36(7)
            return f"t1_{c}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if platform == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-buitenleven-{n}", f"https://forum.buitenleven.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"mstdn-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/verhalen/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{platform}-{n}", (f"https://www.strava.com/activities/{n}" if platform == "strava" else None)


def build(profile):
    gen = Gen(SEED)
    mr = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = post_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        created = c["when"] or random_time(mr)
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
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
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x >= 0.1:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and mr.random() < 0.6:
            post["url"] = url
        if mr.random() < 0.45:
            post["brand"] = "trekvogel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"], used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ---------------------------------------------------------------- checker
INVIS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
DIGITS_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abprs]-\d", r"\bsk_live_\w{10,}",
    r"\bAIza[\w-]{35}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", r"\bglpat-[\w-]{20}", r"\bSG\.[\w-]{22}\.[\w-]{43}",
    r"\blive_[A-Za-z0-9]{30}\b")]
AMOUNT_RE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*)(?:,-)?|(\d[\d.,]*)(?:,-)?\s?(?:euro|euros|eur)\b", re.I)


def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(INVIS)
    return re.sub(r"\s+", " ", t).casefold()


def parse_amount(s):
    s = s.rstrip(".,")
    if "," in s and "." in s:
        d = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if d == "," else ",", "").replace(d, ".")
    elif "," in s:
        s = s.replace(",", ".") if re.search(r",\d{2}$", s) else s.replace(",", "")
    elif "." in s and not re.search(r"\.\d{1,2}$", s):
        s = s.replace(".", "")
    return float(s)


def min_ratio(text, products):
    t = norm(text)
    hit = [p for p in products if any(a.casefold() in t for a in [p["name"]] + p["aliases"])]
    am = [parse_amount(m.group(1) or m.group(2)) for m in AMOUNT_RE.finditer(t)]
    if not hit or not am:
        return None
    return min(am) / min(p["list_price"] for p in hit)


def valid_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        c = m.group(0).replace(" ", "")
        for e in range(len(c), 11, -1):
            if iban_ok(c[:e]):
                if c[:e] != OWN_IBAN:
                    out.append(("iban", c[:e]))
                break
    for m in DIGITS_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            out.append(("card", d))
    for d in re.findall(r"(?<![\w.,-])\d{9}(?![\w]|[.,-]\d)", text) + \
            [x.replace(".", "") for x in re.findall(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])", text)]:
        if bsn_ok(d):
            out.append(("bsn", d))
    return out


def shingles(t):
    w = re.findall(r"\w+", norm(t))
    return {tuple(w[i:i + 3]) for i in range(max(0, len(w) - 2))}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, rows, profile):
    errs = []
    own_emails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {"0307994500", "08002266"}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [x.casefold() for x in profile["internal"]["codenames"] + profile["internal"]["domains"]
                + profile["internal"]["markers"]]
    seen = set()
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        text, cats = p["text"], ex["categories"]
        w = f"line {n} ({p['id']})"
        for f in ("id", "platform", "text", "created_at"):
            assert isinstance(p[f], str), w
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: duplicate id")
        seen.add((p["platform"], p["id"]))
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: not 2026")
        if cats != sorted(set(cats)) or any(c not in CATS for c in cats):
            errs.append(f"{w}: bad categories")
        ids = valid_ids(text)
        role = role_of(profile, p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, "leak.pii" in cats and bool(ids))
        if want != ex["severity"]:
            errs.append(f"{w}: severity {ex['severity']} vs {want}")
        for kind, raw, shown in r["used"]:
            if kind in VALID_ID_KINDS and not ids:
                errs.append(f"{w}: valid id not found")
            if kind.startswith("BAD") and (iban_ok(raw) if "IBAN" in kind else luhn_ok(raw)):
                errs.append(f"{w}: negative passes checksum")
            if kind == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
        if ids and "leak.pii" not in cats:
            errs.append(f"{w}: valid id {ids} without leak.pii")
        nt = norm(text)
        sq = re.sub(r"\b(\w) (?=\w\b)", r"\1", nt)
        for term, until in embargo:
            if (term in nt or term in sq) and ts < until and "leak.confidential" not in cats:
                errs.append(f"{w}: embargo term {term} before until without confidential")
        for term in internal:
            if re.search(r"(?<![\w.])" + re.escape(term) + r"(?!\w)", nt) and "leak.confidential" not in cats:
                errs.append(f"{w}: internal term {term} without confidential")
        ratio = min_ratio(text, profile["products"])
        if ratio is not None and ratio < profile["pricing"]["alert_below_ratio"] and "leak.pricing" not in cats \
                and "price-context" not in r["tags"]:
            errs.append(f"{w}: low product price {ratio:.2f} without leak.pricing")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{w}: benign not none")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails:
                    errs.append(f"{w}: benign e-mail {e}")
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
                raw = m.group(0)
                d = re.sub(r"\D", "", raw)
                if raw.startswith("+31"):
                    d = "0" + d[2:].lstrip("0")
                if len(d) >= 8 and d not in own_phone_digits:
                    errs.append(f"{w}: benign phone-like {raw}")
            for rx in SECRET_RES:
                for m in rx.finditer(text):
                    if "xxxx" not in m.group(0):
                        errs.append(f"{w}: benign secret-like {m.group(0)[:12]}")
            if re.search(r"\b(kut|tering|tyfus|klootzak|debiel|fuck|f\*ck|mongol|idiot)", nt):
                errs.append(f"{w}: benign profanity")
    sh = [shingles(json.loads(l)["post"]["text"]) for l in lines]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.3:
                errs.append(f"lines {i + 1},{j + 1}: near-duplicate wording")
    return errs


def report(rows):
    n = len(rows)
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    multi = ev = benign = 0
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs:
            cat[c] += 1
        if not cs:
            benign += 1
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
    print(f"cases {n}  benign {benign}  positive {n - benign}  multi {multi}  evasion {ev}")
    for c in CATS:
        print(f"  {c:22s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


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
