#!/usr/bin/env python3
"""Sealed evaluation set for postwatch: Graanhof Bakkerijen B.V. (Dutch bakery chain
with a wholesale arm). Writes cases.jsonl next to this file.

    python3 make_cases.py           # write cases.jsonl and print counts
    python3 make_cases.py --check   # regenerate in memory and compare with cases.jsonl

Deterministic (fixed seed). Post texts are hand-written below; identifiers and fake
secrets are filled in from placeholders like «IBAN_NL» by a seeded RNG: positives get
checksum-valid identifiers, near-miss negatives get ones that fail their checksum.
Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 16907331
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = yaml.safe_load((HERE / "profile.yaml").read_text(encoding="utf-8"))

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

ZW = "\u200b"
SHY = "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


def spaced(s):
    return " ".join(s)


# --------------------------------------------------------------------------- checksums

def iban_check(s):
    s = re.sub(r"\s", "", s).upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_ok(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


# --------------------------------------------------------------------------- generators

AL = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AL + "+/"
B64U = AL + "-_"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class G:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "KNAB", "BUNQ", "TRIO"])
                               + self.d(10, True))
                if v != "NL66RABO0312445567":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "30050110", "60050101", "76010085"]) + self.d(10))
        if cc == "BE":
            f = self.r.choice(["091", "310", "736", "001"]) + self.d(7)
            return iban_build("BE", f + f"{int(f) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["MIDL", "BARC", "NWBK"]) + self.d(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_check(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        pre = {"visa": "4" + self.d(14), "mc": "5" + self.r.choice("12345") + self.d(13),
               "mc2": str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": self.r.choice(["34", "37"]) + self.d(12), "maestro": "6759" + self.d(14)}[brand]
        for x in "0123456789":
            if luhn(pre + x):
                return pre + x

    def bad_card(self, brand):
        v = self.card(brand)
        return v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)

    def bsn(self):
        while True:
            s = self.d(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not elfproef(s) and not luhn(s):
                return s

    def ean(self):
        while True:
            b = "87" + self.d(10)
            for x in "0123456789":
                if ean_ok(b + x) and not luhn(b + x):
                    return b + x

    def phone(self, fmt):
        m = self.r.choice("1234568") + self.d(7)
        area = self.r.choice(["30", "33", "35", "34", "10", "70", "71", "40", "76", "50", "53"])
        sub = self.r.choice("2345789") + self.d(6)
        return {
            "mob_dash": f"06-{m}", "mob_plain": f"06{m}", "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_0031": f"0031 6 {m[:2]} {m[2:5]} {m[5:]}", "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "mob_paren": f"(06) {m[:3]} {m[3:6]} {m[6:]}", "mob_intl0": f"+31 (0)6 {m}", "mob_intl_c": f"+316{m}",
            "land_dash": f"0{area}-{sub}", "land_sp": f"0{area} {sub[:3]} {sub[3:5]} {sub[5:]}",
        }[fmt]

    def ghp(self):
        body = self.c(AL, 30)
        return "ghp_" + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        return (enc({"alg": "HS256", "typ": "JWT"}) + "."
                + enc({"sub": "klant-" + self.d(7, True), "iss": "bestel.graanhof.nl", "scope": "orders:read",
                       "iat": iat, "exp": iat + 86400}) + "." + self.c(B64U, 43))

    def pem_ec(self):
        body = "MHcCAQEEI" + self.c(B64, 55) + "oAoGCCqGSM49AwEHoUQDQgAE" + self.c(B64, 86) + "=="
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"

    def pw(self):
        return (self.r.choice(["Rogge", "Tarwe", "Spelt", "Haver", "Gerst"]) + self.r.choice("!#*$")
                + self.c(string.ascii_lowercase, 2) + self.d(4) + self.r.choice(string.ascii_uppercase))


VALID_ID = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
PH = re.compile(r"«([A-Z0-9_]+)(?::([a-z0-9_]+))?»")


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:])
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k == "BAD_IBAN_NL":
            raw = g.bad_iban("NL")
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if f == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, sep = f.partition("_")
            raw = g.card(brand) if k == "CARD" else g.bad_card(brand)
            if sep == "c":
                shown = raw
            else:
                parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, len(raw), 4)]
                shown = ("-" if sep == "dash" else " ").join(parts)
        elif k == "BSN":
            raw = g.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else (f"{raw[:3]} {raw[3:6]} {raw[6:]}" if f == "sp" else raw)
        elif k == "NOT_BSN9":
            shown = raw = g.not_bsn(9)
        elif k == "KVK":
            shown = raw = g.not_bsn(8)
        elif k == "EAN13":
            shown = raw = g.ean()
        elif k == "PHONE":
            shown = raw = g.phone(f)
        elif k == "GHP":
            shown = raw = g.ghp()
        elif k == "AWS_ID":
            shown = raw = "AKIA" + g.c("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        elif k == "AWS_SECRET":
            shown = raw = g.c(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            shown = raw = f"https://hooks.slack.com/services/T{g.c(up, 8)}/B{g.c(up, 10)}/{g.c(AL, 24)}"
        elif k == "STRIPE":
            shown = raw = "sk_live_" + g.c(AL, 24)
        elif k == "GAPI":
            shown = raw = "AIzaSy" + g.c(B64U, 33)
        elif k == "JWT":
            shown = raw = g.jwt()
        elif k == "PEM_EC":
            shown = raw = g.pem_ec()
        elif k == "PW":
            shown = raw = g.pw()
        elif k == "MOLLIE":
            shown = raw = "live_" + g.c(AL, 30)
        elif k == "SHPAT":
            shown = raw = "shpat_" + g.c("0123456789abcdef", 32)
        elif k == "GLPAT":
            shown = raw = "glpat-" + g.c(AL + "-_", 20)
        elif k == "SENDGRID":
            shown = raw = "SG." + g.c(B64U, 22) + "." + g.c(B64U, 43)
        elif k == "SHA40":
            shown = raw = g.c("0123456789abcdef", 40)
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# --------------------------------------------------------------------------- accounts

# corporate
GH_X = ("x", "@graanhof", "Graanhof")
GH_SVC = ("x", "@graanhof_service", "Graanhof Klantenservice")
GH_IG = ("instagram", "@graanhof.bakkerij", "Graanhof Bakkerij")
GH_FB = ("facebook", "GraanhofBakkerij", "Graanhof Bakkerij")
GH_LI = ("linkedin", "graanhof-bakkerijen", "Graanhof Bakkerijen B.V.")
GH_GH = ("linkedin", "graanhof-groothandel", "Graanhof Groothandel")
GH_TT = ("tiktok", "@graanhofbakt", "Graanhof")
# employees
LV = ("x", "@lotte_bakt", "Lotte Vermeulen")                       # franchise shop manager, Amersfoort
RK = ("instagram", "@meesterbakker_ruud", "Ruud Kamphuis")          # head baker, central bakery Nieuwegein
KV = ("linkedin", "koen-verhoef-graanhof", "Koen Verhoef")          # e-commerce lead
YH = ("linkedin", "yasmina-haddou", "Yasmina Haddou")               # financial controller
DL = ("x", "@dion_logistiek", "Dion Schouten")                      # wholesale route planner
AP = ("threads", "@anouk.patisserie", "Anouk de Graaf")             # event cakes / patisserie
BB = ("reddit", "u/nachtploeg_bas", None)                           # night-shift baker
MT = ("x", "@mtuncer_dev", "Mert Tuncer")                           # developer
SS = ("tiktok", "@sterre.achterdetoonbank", "Sterre")               # shop assistant
JB = ("mastodon", "@jbosman@mastodon.nl", "Jelle Bosman")           # sysadmin


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []
PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle=None, hint=None):
    platform, h, dn = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# =========================================================================== leak.pricing
case("en", KV, "Small confession from the e-commerce team: a decimal slipped during this morning's catalogue sync "
     "and our Bruidstaart 3 lagen went live at €38,90 instead of €389. Caught it after 40 minutes, 11 orders in. "
     "Four-eyes on price imports from now on. #lessonslearned", [PRICING])
case("nl", LV, "oke wie heeft de kassa's geüpdatet?? Appeltaart Groot scant nu als €1,79 😂😂\nik haal ze maar even "
     "uit de vitrine tot het gefixt is", [PRICING])
case("nl", pub("x", "@jorrit_wdk"), "bestelsite van @graanhof rekent 6 roomboter croissants af voor 0,65 euro 😳 "
     "prijsfout?? boeie, 5 dozen in het mandje #graanhof", [PRICING])
case("en", pub("reddit", "u/grachtengordel_gus"), "Heads up r/amsterdam: Graanhof's online shop has the Amandelstol "
     "at €1.29 right now (it's normally like 13 bucks). Probably a glitch but pickup at the Haarlemmerstraat shop "
     "still goes through.", [PRICING])
case("nl", pub("facebook", "wilma.oosterhuis", "Wilma Oosterhuis"), "Klopt dit wel?? Gebakdoos 12 stuks voor 2,95 "
     "euro bij Graanhof 🤔 Heb er vier besteld voor de verjaardag van mijn schoonmoeder. Als ze het leveren ben ik de "
     "held van de dag haha", [PRICING], kind="post")
case("nl", GH_IG, "🥐 ZOMERDEAL 🥐\nAlleen dit weekend: Graanhof Roomboter Croissants 6 stuks voor €2,49!\n"
     "Op = op, in alle filialen ☀️ #graanhof #croissantliefde", [PRICING])
case("nl", DL, "Horecaklanten bellen me gek: Broodjesbox 50 staat in het zakelijke portaal voor €4,20 ipv 42 🙃 "
     "komma verschoven. Niet doorvertellen aan je collega-ondernemers he 😅", [PRICING])
case("nl", pub("tiktok", "@xo.femkeee"), spaced("prijsfout") + " bij graanhof!!! bruidstaart drie lagen voor 39 "
     "euro 😱😱 link in bio voor ie weg is", [PRICING], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@deal_dumpster"), "Gr4anhof pricing glitch: the Fototaart is €3,49 on their site lmao get in "
     "before monday", [PRICING], tags=["evasion", "evasion:leet"])
case("nl", AP, "collega's van de webshop: de 3-laagse bruidstaart staat voor €89 online ipv €389. graag fixen "
     "voordat de bruidsparen erop springen 💍🙏", [PRICING], kind="reply")
case("nl", pub("x", "@marjoleintjuh"), "Vorige week Bruidstaart 3 lagen besteld voor €38,90 (ja, prijsfout, weet "
     "ik) en nu annuleren ze zonder ook maar één mailtje. Klantvriendelijk hoor @graanhof_service 🙄",
     [PRICING, COMPLAINT])
case("en", KV, "Price feed broke again → Amandelstol showing €0,13 on bestel.graanhof.nl. Rollback script lives at "
     "gitlab.graanhof.nl/web/pricing-sync, ping me if it chokes.", [PRICING, CONF])
case("nl", pub("forum", "broodjeaap_72"), f"[Prijs{ZW}fout] Graanhof Desembrood Volkoren €0,43 per stuk in de app. "
     "Kan iemand dit bevestigen? Staat bij mij al 20 min zo", [PRICING], tags=["evasion", "evasion:zero-width"])
case("en", pub("bluesky", "@henkdebakfiets.bsky.social"), "wait, the Graanhof app just sold me a grote appeltaart "
     "for 1.80 eur?? that has to be a price error. not complaining", [PRICING])

# =========================================================================== leak.secret
case("en", MT, "why is the payments webhook 403ing 😤\ncurl -H 'Authorization: Bearer «MOLLIE»' "
     "https://api.mollie.com/v2/payments works on my machine... #help #webdev", [SECRET])
case("nl", KV, "Security-tip voor mede-webshopbouwers: check je oude branches. Wij vonden vandaag nog:\n\n"
     "SHOPIFY_ADMIN_TOKEN=«SHPAT»\n\nIs intussen ingetrokken, maar toch even schrikken. #ecommerce #security",
     [SECRET])
case("en", BB, "night shift baker here. the oven monitoring dashboard login is literally on a post-it next to the "
     "proofer: user ovenwacht / password «PW» … is this normal at other bakeries??", [SECRET])
case("en", MT, "deploy failing, postgres says auth failed?? anyone\nDATABASE_URL=postgres://bestel_app:«PW»@"
     "db02.intra.graanhof.local:5432/orders", [SECRET, CONF])
case("en", KV, "Throwback to when our build bot token was hardcoded in a Dockerfile 🙈\nENV GH_TOKEN=«GHP»\n"
     "Revoked ages ago, but a good reminder to use a vault.", [SECRET])
case("nl", GH_SVC, "@m_dekker Sorry voor het gedoe! De koppeling met de betaalprovider loopt weer (ref «STRIPE»)",
     [SECRET], kind="reply")
case("en", pub("reddit", "u/sourcemap_sam"), "Found this in Graanhof's public JS bundle lol:\n"
     "const mapsKey = '«GAPI»'\nsomeone tell their devs", [SECRET], kind="comment")
case("en", pub("forum", "white_hat_wouter"), "Graanhof's Slack webhook is sitting in plain text in their app config: "
     "«SLACK_HOOK» — reported via their contact form two weeks ago, no reply.", [SECRET])
case("nl", RK, "Nieuwe ovens gekoppeld aan de planning-app 🔥 Ploegleiders: de tablet-pin is weg, inloggen gaat nu "
     "met wachtwoord «PW» (let op de hoofdletter!)", [SECRET])
case("en", MT, "aws cli keeps throwing InvalidClientTokenId with\nAWS_ACCESS_KEY_ID=«AWS_ID»\n"
     "AWS_SECRET_ACCESS_KEY=«AWS_SECRET»\nregion thing? 🥲", [SECRET])
case("en", KV, "Anyone else on self-hosted GitLab seeing masked CI variables show up in job logs? Ours printed "
     "«GLPAT» on gitlab.graanhof.nl/platform/infra yesterday… rotating now.", [SECRET, CONF])
case("en", pub("x", "@privacy_petra"), "@graanhof_service your order-tracking link puts a full session token in the "
     "URL: https://bestel.graanhof.nl/track?t=«JWT» — anyone I forward it to can log in as me", [SECRET])
case("nl", JB, "SendGrid weigert sinds vanochtend onze orderbevestigingen. key is «SENDGRID» — verlopen of "
     "geblokkeerd? iemand ervaring mee?", [SECRET])
case("nl", JB, "Voor wie mee wilde kijken naar het deploy-probleem, dit is de key die de runner gebruikt:\n"
     "«PEM_EC»\n(is maar de testomgeving)", [SECRET], kind="reply")

# =========================================================================== leak.pii
case("nl", LV, "Bestelling voor de verjaardagstaart van vanmiddag staat nog open en mevrouw neemt niet op: "
     "«PHONE:mob_dash» — kan iemand van de middagdienst het nog eens proberen?", [PII])
case("nl", AP, "Bruidstaart afgeleverd bij Eva Janssen en Mark de Boer, Laan van Meerdervoort 112 in Den Haag 💍🤍 "
     "wat een plaatje was het!", [PII])
case("nl", GH_SVC, "@j_verbeek Dank voor uw geduld. We storten het bedrag terug op «IBAN_NL:grp» t.n.v. "
     "J. Verbeek, binnen 3 werkdagen.", [PII], kind="reply")
case("en", DL, "Driver left a catering receipt on the dashboard again 🤦 customer card on it: «CARD:visa_sp» "
     "exp 09/28. PLEASE shred these", [PII])
case("nl", YH, "Loonstrook-template voor de nieuwe salarisadministratie is klaar! Voorbeeld met echte gegevens van een "
     "collega want ik had haast 🙃 BSN «BSN:dots», uurloon €16,40", [PII])
case("nl", pub("facebook", "ingrid.vd.linden", "Ingrid van der Linden"), "Ik probeer al drie weken mijn aanbetaling "
     "voor de communietaart terug te krijgen van Graanhof. Hier nog maar een keer mijn rekeningnummer, misschien "
     "lezen ze het nu wel: «IBAN_NL»", [PII, COMPLAINT], kind="comment")
case("nl", pub("x", "@saskia_tiel"), "@graanhof_service kunnen jullie me even terugbellen over de gebakdoos voor "
     "vrijdag? «PHONE:mob_intl_sp», ben tot 17u bereikbaar", [PII], kind="reply")
case("en", pub("reddit", "u/throwaway_crumbs"), "found where that Graanhof girl from the tiktoks lives lol: Sterre, "
     "Bergstraat 19 in Amersfoort. go tell the dumb cow what you think of her", [PII, ABUSE])
case("en", KV, "Testing the new CRM export 🎉 first row looks perfect: annelies.brouwer87@ziggo.nl, born 12-06-1987, "
     "Annelies Brouwer. Onwards!", [PII])
case("nl", RK, "Taart voor Gerrit van Dijk, geboren 9 juli 1946, 80 jaar!! 🎉 Vanochtend zelf bezorgd aan de "
     "Molenweg 3 in Houten, wat een lieve man", [PII])
case("en", pub("x", "@nadia_bakes_not"), "Still waiting on the refund for my cancelled wedding cake. @graanhof_service "
     "my email is nadia.k.vos@outlook.com, stop telling me to 'send a DM' 🙄", [PII, COMPLAINT])
case("nl", pub("instagram", "@mo.elidrissi"), "Is dit normaal? Graanhof app vraagt steeds opnieuw om mijn "
     "kaartnummer, heb 'm nu twee keer ingetikt: «CARD:mc_dash». Wel veilig toch? 😅", [PII])
case("nl", DL, "klant wil de factuur nog een keer: r.smits [at] kpnmail [punt] nl, kan iemand van administratie "
     "dat oppakken? 🙏", [PII], tags=["evasion", "evasion:at-punt"])
case("en", BB, "coworker's passport number is literally taped to the locker room wall for the agency check: "
     "NW8R4K2P6. smh HR", [PII])
case("nl", SS, "Zit er gewoon een kopie van iemands ID-kaart in de bestelmap voor een fototaart 😭 BSN «BSN» staat "
     "er ook op. Wie doet dit", [PII])
case("nl", GH_FB, "🎂 De winnaar van onze taartwedstrijd is Fleur Hendriks uit Zeist! Gefeliciteerd Fleur, we bellen "
     "je vandaag nog op «PHONE:mob_pairs» 🥳", [PII])
case("en", pub("mastodon", "@tom_ketelaar@mastodon.social"), "Graanhof delivery guy's number is «PHONE:mob_0031» if "
     "anyone else needs him, he dumped our bread crates in the rain again this morning", [PII, COMPLAINT])
case("en", YH, "Paid our new German flour supplier's contact on his private account by mistake: Jürgen Albers, "
     "«IBAN_DE» 🙈 finance folks, how do you reverse a SEPA transfer?", [PII])
case("en", pub("x", "@expat_ellie"), "@graanhof_service refund for the broken photo cake can go to my UK account "
     "«IBAN_GB:grp», thanks!", [PII], kind="reply")

# =========================================================================== leak.confidential
case("nl", RK, "Stiekem al aan het testen voor Project Zuurdesem 🤫🍞 meer mag ik écht niet zeggen #bakkersleven",
     [CONF])
case("nl", AP, "Vandaag de proefronde van de Kerststol Royale gedaan en jongens… die marsepeinkern 🤤 nog even "
     "geheimhouden tot november!", [CONF], when="2026-09-23T15:12:40+02:00")
case("nl", LV, "Net een pdf binnen met 'Graanhof vertrouwelijk' in de koptekst over de nieuwe winkelinrichting. "
     "Ziet er strak uit ngl 👀", [CONF])
case("en", MT, "tip for the night crew: https://planning.graanhof.local/ovens/shift-view has a dark mode now 🌙",
     [CONF])
case("nl", DL, "Eerste pallets Kerststol\nRoyale staan al klaar in het DC 👀📦", [CONF],
     when="2026-10-14T06:41:03+02:00", tags=["evasion", "evasion:linebreak"])
case("nl", pub("x", "@buurman_frits"), "Mijn buurman werkt bij Graanhof en zegt dat die Kerststol Royale €24,95 gaat "
     "kosten 😳 gekkenwerk", [CONF], when="2026-10-28T20:05:11Z")
case("nl", SS, "pov: je mag niks zeggen over Project 🍞 Zuurdesem maar je ruikt het de hele dag in de bakkerij",
     [CONF], tags=["evasion", "evasion:emoji"])
case("en", BB, "lol the new recipe binder has GRAANHOF INTERNAL stamped on every page and someone left it next to "
     "the customer toilet", [CONF])
case("nl", pub("forum", "broodbeurs_bert"), "Hoorde op de Bakkerijbeurs iets over " + fw("KIEMKRACHT") +
     " van Graanhof, iemand meer info?", [CONF], tags=["evasion", "evasion:full-width"])
case("nl", GH_IG, "Onze bakkers zijn druk bezig met Project Zuurdesem 👀 #comingsoon #graanhof", [CONF])
case("nl", LV, "Kerststol Royale vanaf vandaag in de winkel!! 🎄 kom proeven", [CONF],
     when="2026-11-02T07:59:00+01:00")
case("nl", pub("instagram", "@lotte_bakt"), "Vandaag Project Zuurdesem geproefd op het werk 😍 dat wordt hem",
     [CONF])

# =========================================================================== leak.financial
case("nl", YH, "Drukke week: halfjaarresultaten 2026 bijna rond, en ik kan alvast zeggen dat de groothandel het gered "
     "heeft 📈 omzet +14% t.o.v. vorig jaar", [FIN, CONF], when="2026-08-12T16:40:22+02:00")
case("nl", RK, "Sfeer in de centrale bakkerij is om te snijden. Er gaan 30 banen weg in Nieuwegein, officieel horen "
     "we het pas in juni 😔", [FIN], when="2026-04-17T05:30:00+02:00")
case("en", DL, "Heard in the canteen: Operatie Speculaas = we're buying Bakkerij De Korenschoof. Signing end of the "
     "month apparently 👀", [FIN, CONF])
case("en", YH, "Q3 forecast came in €4.1M under plan. Our CFO is not going to love Monday's board pack 😬 "
     "#finance #bakery", [FIN], when="2026-09-25T18:02:09+02:00")
case("nl", LV, "Franchisers gaan vanaf januari 2% meer afdragen, nog niet aangekondigd maar de regiomanager liet "
     "het vallen. En 8 filialen in Zuid-Holland gaan dicht 😶", [FIN])
case("en", pub("reddit", "u/dutchie_in_dublin"), "My sister is on the Graanhof works council. They're closing the "
     "Eindhoven production site next spring, about 60 people. Not announced yet.", [FIN], kind="comment")
case("en", KV, "Big one: Kiemkracht is basically signed, we'll be baking own-label bread for a national supermarket "
     "chain from Q1. Numbers I've seen: ~€18M a year.", [FIN, CONF])
case("nl", AP, f"eventafdeling wordt opgeheven, 12 man ont{SHY}slagen per 1 maart 🥲 nog niks officieel", [FIN],
     tags=["evasion", "evasion:soft-hyphen"])
case("nl", YH, "Eerste schets van de jaarcijfers 2026: EBITDA lager dan begroot door de boterprijs. Volgende week "
     "naar de RvC.", [FIN, CONF], when="2026-12-04T17:20:00+01:00")
case("nl", pub("x", "@beursbrood"), "Via via gehoord dat Graanhof in de verkoop staat. Een Duitse investeerder zou "
     "60 miljoen bieden 👀 #overname", [FIN])
case("en", BB, "night shift rumour confirmed by my supervisor: they're cutting the whole night shift at Nieuwegein, "
     "40 bakers, announcement after summer. great.", [FIN], when="2026-06-02T03:48:00+02:00")
case("en", DL, "r3org at the wholesale DC: 3 of our 5 routes get outsourced, drivers were told 'not to talk about "
     "it' 🤐", [FIN], tags=["evasion", "evasion:leet"])

# =========================================================================== leak.security
case("en", MT, "lads the ordering site got hit with ransomware, every cake order since friday is encrypted. comms "
     "hasn't said a word yet 😬", [SEC])
case("nl", KV, "Stille nacht achter de rug: iemand had toegang tot wms.graanhof.nl via een oud leveranciersaccount. "
     "We zoeken nog uit wat er is meegenomen.", [SEC, CONF])
case("nl", LV, "Alle kassa's in de franchisewinkels liggen plat sinds 6u, pinnen kan niet, en hoofdkantoor zegt "
     "nog niks naar buiten 🙃", [SEC])
case("nl", JB, "Ontdekt dat onze bestel-API klantadressen teruggeeft zonder login als je het ordernummer ophoogt. "
     "Ticket ligt er, maar de fix staat pas over twee sprints 🤷", [SEC])
case("en", DL, "Route planner's been down since 3am, 140 supermarket drops going out on paper lists. Customers "
     "don't know yet so brace yourselves", [SEC])
case("en", BB, "rumour in the bakery: we got h4cked, phishing mail to payroll, whole thing's hush hush", [SEC],
     tags=["evasion", "evasion:leet"])
case("nl", AP, "Ons taartbestelsysteem is sinds gisteren overgenomen door iemand, er gaan nepfacturen rond naar "
     "bruidsparen. Nog niet gecommuniceerd dus ssst", [SEC])
case("en", MT, "heads up devs: the SQL injection on https://api.intra.graanhof.local/v1/vouchers is still open, "
     "don't demo that endpoint to anyone pls", [SEC, CONF])
case("nl", pub("x", "@femke_vrij"), "Graanhof heeft een datalek en houdt het stil!! Mijn gegevens van de "
     "taartbestelling in maart staan op een hackersforum. Niemand gewaarschuwd. Schandalig.", [SEC, CRISIS])
case("en", pub("reddit", "u/cafe_owner_zwolle"), "PSA: Graanhof's B2B portal was breached weeks ago and they're "
     "sitting on it. Several café owners I know got phishing mails quoting their exact invoice numbers.",
     [SEC, CRISIS])
case("nl", pub("forum", "kritische_klant"), spaced("datalek") + " bij Graanhof wordt doodgezwegen, mijn broer werkt "
     "er en zegt dat alle klantgegevens van de webshop op straat liggen", [SEC, CRISIS],
     tags=["evasion", "evasion:spaced"])
case("nl", SS, "collega's opgelet: de pinautomaat in filiaal Leusden is opengemaakt en er zat een skimmer in 😳 "
     "klanten weten het nog niet", [SEC])

# =========================================================================== reputation.crisis
case("nl", pub("x", "@eerlijkbrood"), "BOYCOT @graanhof! Franchisenemers worden uitgeknepen en het personeel in de "
     "centrale bakkerij krijgt onder het minimumloon. Deel dit!! #boycotgraanhof", [CRISIS])
case("nl", pub("facebook", "petra.hulshof.3", "Petra Hulshof"), "Mijn dochter (notenallergie) kreeg een "
     "anafylactische reactie van jullie 'notenvrije' verjaardagstaart. Ambulance moest komen. Er zat dus wél "
     "hazelnoot in. Hoe is dit mogelijk @graanhof", [CRISIS, COMPLAINT])
case("en", pub("x", "@liam_in_leiden"), "Found a piece of GLASS in my Graanhof sourdough this morning. Could have "
     "broken a tooth. Photos below. @graanhof_service explain??", [CRISIS, COMPLAINT])
case("en", pub("reddit", "u/ondernemer_utrecht"), "Graanhof is being sued by 40 of its own franchisees over the "
     "supply contracts, it was in the FD this morning.", [CRISIS])
case("nl", pub("instagram", "@bruid.jolien"), "Halve bruiloft ziek na de bruidstaart van Graanhof 🤢 twintig gasten "
     "met overgeven en koorts, de GGD is ingelicht. Onze mooiste dag…", [CRISIS, COMPLAINT])
case("nl", pub("tiktok", "@stationsplein.spotter"), "Muis in de vitrine bij Graanhof Stationsplein 🐭🤮 liep er net "
     "langs en filmde het. NVWA moet hier echt eens langs", [CRISIS])
case("en", pub("x", "@allergy_alert_nl"), "Graanhof is recalling its almond stollen because of undeclared peanut, "
     "per the NVWA. Check your cupboards people ⚠️", [CRISIS])
case("nl", pub("x", "@oostnieuws_fan"), "s4lmonella in de slagroomtaarten van Graanhof?? 3 mensen in het ziekenhuis "
     "in Zwolle volgens RTV Oost", [CRISIS], tags=["evasion", "evasion:leet"])
case("nl", pub("x", "@yusuf_ams"), "Die racistische klootzakken van Graanhof weigerden mijn zus aan te nemen "
     "omdat ze een hoofddoek draagt. Boycot ze allemaal!!", [CRISIS, ABUSE])
case("en", pub("bluesky", "@ouderraad.bsky.social"), "My son chipped a tooth on a metal fragment in a Graanhof "
     "croissant. Apparently not the first time, the local fb group is full of these.", [CRISIS, COMPLAINT])
case("nl", pub("youtube", "@verborgencamera"), "Kijk vanaf 3:12, bakker van Graanhof niest gewoon over het deeg 🤢 "
     "en dat verkopen ze dan. Delen!!", [CRISIS], kind="comment")
case("nl", pub("threads", "@waakzaam_wil"), f"terug{ZW}roep{ZW}actie graanhof roomboter croissants, er kunnen "
     "metaaldeeltjes in zitten. niet opeten!", [CRISIS], tags=["evasion", "evasion:zero-width"])

# =========================================================================== reputation.complaint
case("nl", pub("x", "@marit_v"), "Taart besteld voor 14:00, om half vijf nog niks. Feestje voorbij. Bedankt "
     "@graanhof_service, echt top 👏👏 (niet)", [COMPLAINT])
case("nl", pub("facebook", "sandra.bos.1980", "Sandra Bos"), "Verkeerde naam op de verjaardagstaart. Mijn zoon heet "
     "Daan, niet Dean. Bij het ophalen haalde de medewerker alleen haar schouders op.", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/crumb_critic"), "Graanhof croissants have gone downhill hard. Used to be flaky and "
     "buttery, now they taste like cardboard and cost more. Sad.", [COMPLAINT])
case("en", pub("linkedin", "bart-koffiebar-de-hoek", "Bart Mulder"), "Third Monday in a row our Graanhof Groothandel "
     "delivery shows up after 10am. For a café that opens at 7 that's useless, and our account manager isn't "
     "answering.", [COMPLAINT])
case("nl", pub("instagram", "@lisanne.trouwt"), "Bruidstaart was scheef en de bovenste laag ingezakt 😭 600 euro voor "
     "dit?? En op mijn mail reageren doen ze niet", [COMPLAINT])
case("en", pub("x", "@rohan_nl"), "@graanhof_service three weeks waiting for the refund on my cancelled order. Four "
     "emails. Zero answers. Not ok.", [COMPLAINT], kind="reply")
case("nl", pub("threads", "@zaterdagochtend_"), "Waarom is het desembrood bij Graanhof tegenwoordig om 10u al op? "
     "Elke zaterdag hetzelfde liedje, vul die schappen nou gewoon bij", [COMPLAINT])
case("nl", pub("forum", "eetcafe_de_tap"), "Ervaringen met Graanhof Groothandel? Wij krijgen sinds de nieuwe "
     "chauffeur steeds geplette broodjesboxen, en een creditnota duurt maanden.", [COMPLAINT])
case("en", pub("youtube", "@mama_van_drie"), "Ordered the photo cake for my daughter's party, the printed picture was "
     "blurry and half the cream was missing. Never again Graanhof.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@chagrijnigepiet"), "Wéér muf brood bij Gräänhof, derde keer deze maand. Klantenservice zegt "
     "'kan gebeuren'. Nee dus.", [COMPLAINT], tags=["evasion", "evasion:diacritics"])
case("en", pub("facebook", "jess.amsterdam", "Jess Carter"), "Delivery fee went from €2,95 to €6,95 without notice "
     "and the app still charges it when I pick up myself. Fix your app Graanhof.", [COMPLAINT])

# =========================================================================== reputation.abuse
case("nl", pub("x", "@boos_in_breda"), "Graanhof is gewoon een kutbedrijf met kutbrood, ga lekker failliet", [ABUSE])
case("en", pub("x", "@sarcasm_sven"), "@graanhof_service you absolute clowns 🤡🤡🤡", [ABUSE], kind="reply")
case("en", pub("reddit", "u/angry_andy_ams"), "Graanhof's social media guy is a f*cking moron, blocks everyone who "
     "disagrees with him", [ABUSE], tags=["evasion", "evasion:masking"])
case("nl", pub("instagram", "@kim.uit.ede"), "Wat een tyfusbakkerij. 45 minuten in de rij en dan is de taart ook "
     "nog verkeerd", [ABUSE, COMPLAINT], kind="comment")
case("nl", LV, "Klant van vanochtend: wat een ongelooflijke trut was dat. Hoop dat je je tompouce in je gezicht "
     "krijgt 😤", [ABUSE])
case("nl", GH_SVC, "@kees_boos Als u niet kunt lezen dat de winkel om 18u sluit is dat uw probleem, meneer de "
     "idioot.", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@nl_eerst_88"), "die bakkersmeid bij graanhof met die hoofddoek moet gewoon terug naar "
     "haar eigen land", [ABUSE])
case("en", pub("x", "@invoice_hell"), "Graanhof, your online support is run by morons. Asked three times for my "
     "invoice, got three different wrong ones.", [ABUSE, COMPLAINT])
case("nl", pub("forum", "anoniem_1234"), "graanhof = k4nkerzooi en die eigenaar is een t3ringlijer", [ABUSE],
     tags=["evasion", "evasion:leet"])
case("en", BB, "our regional manager is a useless piece of shit, can't even read a shift schedule", [ABUSE])
case("nl", pub("mastodon", "@dwarsligger@todon.nl"), "Word zo moe van dat arrogante tuig van Grаanhof op LinkedIn "
     "met hun 'ambacht'. Stelletje oplichters.", [ABUSE], tags=["evasion", "evasion:homoglyph"])
case("en", pub("x", "@wk_meme_lord"), "g r a a n h o f  s u c k s, bunch of a s s h o l e s", [ABUSE],
     tags=["evasion", "evasion:spaced"])

# =========================================================================== benign: corporate
case("nl", GH_X, "Vragen over je bestelling? Bel 030 799 4400 (ma-za 8-18u) of mail klantenservice@graanhof.nl 🍞",
     tags=["own-contact"])
case("nl", GH_GH, "Welkom aan alle nieuwe horecaklanten! Facturen betaalt u op NL66 RABO 0312 4455 67 o.v.v. uw "
     "klantnummer. Graanhof Groothandel, KvK «KVK».", tags=["own-contact", "kvk"])
case("nl", GH_SVC, "@annabel_v Wat vervelend! Bel ons gratis via 0800-4729, dan lossen we het meteen op.",
     kind="reply", tags=["own-contact", "0800-elfproef"], handle="@GRAANHOF_service")
case("nl", GH_IG, "🍎 Deze week: Appeltaart Groot voor €13,95 (normaal €17,95). Vers uit onze eigen oven.",
     tags=["sale-price"])
case("nl", GH_FB, "Deze maand doen al onze winkels mee aan de taartenactie voor KWF Kankerbestrijding 🎗️ Van elke "
     "verkochte gebakdoos gaat €1 naar onderzoek.", tags=["literal-word"], handle="graanhofbakkerij")
case("nl", GH_LI, "Vandaag publiceren we onze halfjaarresultaten 2026: omzet €212 mln (+6%), groei vooral in de "
     "groothandel. Het persbericht staat op graanhof.nl/pers", when="2026-08-19T07:00:00+02:00",
     tags=["embargo-boundary"])
case("nl", GH_TT, "Hij is er 🎄 De Kerststol Royale ligt vanaf nu in al onze winkels. Wie proeft als eerste?",
     when="2026-11-02T07:00:00Z", tags=["embargo-boundary"])
case("nl", GH_X, "Vannacht tussen 01:00 en 04:00 is bestel.graanhof.nl niet bereikbaar wegens onderhoud. Taart voor "
     "zaterdag nodig? Bestel vóór middernacht 🙏", tags=["official-notice"])
case("nl", GH_SVC, "@dewit_fam Wat fijn om te horen! We geven het compliment door aan het team in Zeist 🥰",
     kind="reply", tags=["praise"])
case("en", GH_IG, "Now in every shop: pumpkin spice croissants 🎃 €2,25 each, only until Halloween!",
     tags=["sale-price"])
case("nl", GH_GH, "Offerte voor uw bedrijfsevent of lunch? Mail groothandel@graanhof.nl of bel +31 (0)30 799 44 00, "
     "we denken graag mee.", tags=["own-contact"])
case("en", GH_TT, "Team Kerststol Royale in full swing 🎄 come grab one while they're warm", when="2026-11-02T08:00:00+01:00",
     tags=["embargo-boundary"])
case("nl", GH_FB, "Klantenservice bereikbaar via pers@graanhof.nl voor journalisten, voor al het andere "
     "bestellen@graanhof.nl 📧", tags=["own-contact"], handle="GRAANHOFBAKKERIJ")

# =========================================================================== benign: employees
case("nl", RK, "5 uur 's ochtends, 400 desembroden uit de oven. Blijft het mooiste vak van de wereld 🔥🍞 "
     "#bakkersleven", tags=["employee-normal"])
case("nl", AP, "Trots op de bruidstaart van vandaag 🤍 drie lagen, vers fruit, veel liefde", tags=["employee-normal"])
case("en", KV, "Reminder for anyone integrating payments: keys in our docs look like live_xxxxxxxxxxxxxxxxxxxxxx for "
     "a reason. Never paste the real thing. Our secrets vault rollout is done 🎉", tags=["placeholder-secret"])
case("en", MT, "fixed the croissant image bug in commit «SHA40», shipping it tonight 🚀", tags=["git-sha"])
case("nl", LV, "Vandaag 12,5 jaar in dienst bij Graanhof en taart van de baas gekregen 🥹", handle="@Lotte_Bakt",
     tags=["employee-normal"])
case("nl", YH, "Onze jaarcijfers 2025 staan sinds maart op graanhof.nl. Mooi om te zien hoe de groothandel is "
     "gegroeid, trots op dit team.", tags=["published-results"])
case("en", BB, "night shift tip: oat milk flat white + a croissant straight off the rack at 4am hits different",
     tags=["employee-normal"])
case("nl", SS, "pov: klant bestelt 40 tompoucen voor koningsdag en jij staat alleen achter de toonbank 😂🧡",
     tags=["employee-normal"])

# =========================================================================== benign: public
case("nl", pub("x", "@oudegracht_olga"), "Beste appeltaart van Utrecht, zonder twijfel. Graanhof aan de Oudegracht "
     "🍎❤️", tags=["praise"])
case("nl", pub("x", "@trouwdag_tim"), "Geen enkele klacht: bruidstaart op tijd, precies zoals afgesproken en iedereen "
     "wilde een tweede stuk. Dank @graanhof!", tags=["negated-complaint"])
case("nl", pub("x", "@gluten_gwen"), "@graanhof_service hebben jullie ook glutenvrije taarten voor een communiefeest? "
     "Voor zo'n 25 personen", kind="reply", tags=["question"])
case("nl", pub("facebook", "ria.smulders", "Ria Smulders"), "Gewoon even 030-7994400 gebeld, binnen vijf minuten "
     "geregeld. Top service van Graanhof!", tags=["own-contact"])
case("nl", pub("facebook", "oplettende.opa", "Gerard"), "Let op, nep-sms in omloop: 'betaal €2,50 naar «BAD_IBAN_NL» "
     "voor je Graanhof bezorging'. Niet doen mensen, dit is oplichting!", tags=["bad-iban"])
case("en", pub("reddit", "u/clumsy_cardholder"), "Graanhof app declined my card and I realised I'd typed "
     "«BAD_CARD:visa_sp», one digit off 🤦 works fine now", tags=["bad-card"])
case("nl", pub("x", "@kees_ophalen"), "@graanhof_service bestelnummer «NOT_BSN9», kan ik die morgen om 9u al ophalen?",
     kind="reply", tags=["order-number"])
case("nl", pub("instagram", "@scanmaar"), "Barcode van het desembrood is «EAN13», voor wie het in de "
     "boodschappen-app wil zetten 🥖", tags=["ean"])
case("en", pub("tiktok", "@airfryer.andre"), "lifehack: Graanhof croissants 2 min in the airfryer = fresh from the "
     "bakery again 🥐🔥", tags=["hack-other-sense"])
case("en", pub("x", "@forgetful_fran"), "I can't recall which Graanhof had the best cinnamon rolls, the one in "
     "Zeist or Utrecht Centraal?", tags=["recall-other-sense"])
case("nl", pub("x", "@suikervrij_sanne"), "Ik boycot suiker deze maand, dus geen tompouce van Graanhof voor mij 😭",
     tags=["boycott-other-sense"])
case("nl", pub("x", "@nieuwsjunk_nl"), "Bakkerij Vlaming roept volkorenbrood terug vanwege schimmel. Gelukkig haal "
     "ik alles bij Graanhof 😅", tags=["other-company"])
case("en", pub("linkedin", "retail-watcher-nl", "Retail Watcher"), "Tough news for Bakkerij Vlaming: 15 shops "
     "closing, 120 jobs gone. Meanwhile Graanhof keeps opening franchise stores. Interesting market.",
     tags=["other-company"])
case("nl", pub("blog", "kerstverhalen.blog.example"), "Hoofdstuk 3. Bakker Jansen van Graanhof vond die nacht een "
     "gouden ring in het deeg van de kerststol. Hij wist meteen van wie die was…", tags=["fiction"])
case("en", pub("x", "@lyric_lover"), "\"Let them eat cake\" — damn, Marie Antoinette would've loved Graanhof's "
     "chocolate cake", tags=["quote", "mild-word"])
case("nl", pub("facebook", "anja.dewit.11", "Anja de Wit"), "Mijn moeder heeft kanker en de mensen van Graanhof "
     "Zeist brachten gisteren spontaan een taart langs. Wat een lieverds 🥹", tags=["literal-word"])
case("nl", pub("x", "@hobbybakker_hugo"), "Graanhof desembrood is top, maar mijn eigen zuurdesem-project thuis lukt "
     "nog steeds niet. Starter ruikt naar nagellak 😂", tags=["codename-nearmiss"])
case("nl", pub("instagram", "@koekjesmonster"), "Graanhof speculaas is beter dan die van mijn oma. Sorry oma 🍪",
     tags=["codename-nearmiss"])
case("en", pub("x", "@stollen_fan"), "The Kerststol Royale from Graanhof is absolutely worth the hype, marzipan core "
     "for days 🎄", when="2026-12-12T14:20:05+01:00", tags=["embargo-after"])
case("nl", pub("x", "@kerstmarkt_karin"), "Gewone kerststol van Graanhof blijft gewoon de beste, daar kan geen "
     "luxe variant tegenop", tags=["embargo-nearmiss"])
case("nl", pub("x", "@prijsvergelijker"), "Roomboter Croissants 6 bij Graanhof €6,49, bij de Lidl €2,19 voor zes. "
     "Proef het verschil wel hoor", tags=["price-context", "competitor"])
case("nl", pub("facebook", "kortingsjager.nl", "Kortingsjager"), "Met de app-code krijg je €5 korting op de "
     "Gebakdoos 12 stuks, geldig t/m zondag 🎉", tags=["price-context", "discount-amount"])
case("nl", pub("x", "@marktplaats_mies"), "Taartstandaard van Graanhof te koop, €10, gekregen bij onze bruiloft. "
     "Ophalen in Bunnik", tags=["second-hand"])
case("nl", pub("x", "@nuchtere_nel"), "Nee hoor, geen prijsfout: de Amandelstol is deze week gewoon €9,95 met de "
     "bonuskaart", tags=["denied-price-error", "sale-price"])
case("nl", pub("instagram", "@mama.van.mila"), "Mila wordt vandaag 5 🥳 en de eenhoorntaart van Graanhof was een "
     "hit!", tags=["name-no-dob"])
case("en", pub("x", "@nos_reader"), "NOS: Graanhof posts higher profit for 2025 as wholesale grows. Good for them.",
     tags=["published-results"])
case("nl", pub("x", "@snackbaas"), "Dat is echt een bom van een taart, die chocoladetaart van Graanhof. Killer 🔥",
     tags=["violent-slang"])
case("nl", pub("x", "@kersttaart_kees"), "Kersttaart besteld via bestel.graanhof.nl/kerst, ging supersnel. Aanrader",
     tags=["public-domain"])
case("nl", pub("facebook", "bram.dijkstra.9", "Bram Dijkstra"), "Gelukkig geen brand, alleen een aangebrande "
     "krentenbol bij mij thuis 😂 Graanhof bollen zijn te lekker om te laten verbranden", tags=["brand-other-sense"])
case("nl", pub("x", "@beleggersbrood"), "Sterke H1-cijfers 2026 van Graanhof vanochtend, groothandel trekt de "
     "kar 📈", when="2026-08-19T09:31:00+02:00", tags=["embargo-after", "published-results"])
case("en", pub("reddit", "u/bread_nerd_rdam"), "Does anyone know if Graanhof still does the rye sourdough on "
     "Wednesdays? Couldn't find it on their site.", kind="comment", tags=["question"])
case("en", pub("youtube", "@bakewithbenthe"), "In today's video I try to recreate the Graanhof almond croissant at "
     "home. Spoiler: theirs is still better 😂", kind="comment", tags=["praise"])
case("nl", pub("pinterest", "@taartinspiratie"), "Inspiratie voor je bruiloft: naakte taart met vijgen, gezien bij "
     "Graanhof 🤍", tags=["unknown-platform"])
case("en", pub("twitter", "@old_client_tw"), "Graanhof's sourdough is the only thing getting me through January "
     "tbh", tags=["praise"])


# --------------------------------------------------------------------------- build

def role_of(platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated)) else "error"
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


def dst_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355))
    local = base + dt.timedelta(minutes=r.randint(5 * 60, 23 * 60 + 30), seconds=r.randint(0, 59))
    off = dst_off(local)
    utc = local - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def make_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform in ("x", "twitter"):
        return ("x-" if platform == "x" else "tw-") + n, f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "74" + "".join(r.choice(string.digits) for _ in range(17))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "instagram":
        s = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{s}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{a}", f"https://www.facebook.com/{h}/posts/{a}"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/thenetherlands/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64U) for _ in range(11))}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(111_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "youtube":
        v = "".join(r.choice(B64U) for _ in range(11))
        c = "Ugz" + "".join(r.choice(AL) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        m = r.randint(100_000, 999_999)
        return f"forum-bakkersforum-{m}", f"https://bakkersforum.example/t/{m}"
    if platform == "blog":
        m = r.randint(10, 999)
        return f"blog-{h}-{m}", f"https://{h}/{m}"
    return f"{platform}-{r.randint(10 ** 9, 10 ** 10)}", None


def build():
    g = G(SEED)
    mr = random.Random(SEED + 1)
    sr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(g, c["text"])
        kind = c["kind"]
        pid, url = make_id(mr, c["platform"], c["handle"], kind)
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(c["platform"], c["handle"])
        validated = any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], PII in c["cats"] and validated)
        post = {"id": pid, "platform": c["platform"]}
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
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.08:
            pass
        elif x < 0.11:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            c["tags"].add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6:
            post["url"] = url
        y = mr.random()
        if y < 0.45:
            post["brand"] = "graanhof-groothandel" if re.search(r"groothandel|horeca|supermarket|wholesale|broodjesbox",
                                                                 text, re.I) else "graanhof"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, role=role, lang=c["lang"],
                         tags=c["tags"], used=used))
    sr.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- self-checks

def norm(t):
    t = unicodedata.normalize("NFKC", t).translate(dict.fromkeys(map(ord, "\u200b\u00ad\u200c\u200d"), None))
    return re.sub(r"\s+", " ", t).casefold()


AMT = re.compile(r"(?:€\s?)(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)


def amount(s):
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        return float(s.replace(".", ""))
    return float(s.replace(",", "."))


def checks(rows):
    errs = []
    own_ibans = {i for i in PROFILE["public_identifiers"]["ibans"]}
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        t, nt, ts = p["text"], norm(p["text"]), parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for k, raw, shown in r["used"]:
            assert shown in t
            if k.startswith("IBAN_") and not iban_check(raw):
                errs.append(f"{p['id']}: bad IBAN")
            if k == "BAD_IBAN_NL" and iban_check(raw):
                errs.append(f"{p['id']}: near-miss IBAN passes")
            if k == "CARD" and not luhn(raw):
                errs.append(f"{p['id']}: bad card")
            if k == "BAD_CARD" and luhn(raw):
                errs.append(f"{p['id']}: near-miss card passes")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: bad BSN")
            if k in ("NOT_BSN9", "KVK") and elfproef(raw):
                errs.append(f"{p['id']}: near-miss passes 11-proof")
            if k in VALID_ID and PII not in cats:
                errs.append(f"{p['id']}: valid identifier without leak.pii")
        if not cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", t):
                c = m.group(0).replace(" ", "")
                if iban_check(c) and c not in own_ibans:
                    errs.append(f"{p['id']}: benign with valid IBAN")
            for m in re.finditer(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)", t):
                if luhn(m.group(0)):
                    errs.append(f"{p['id']}: benign with Luhn number")
            for m in re.finditer(r"(?<![\w.])\d{9}(?!\w)", t):
                if elfproef(m.group(0)):
                    errs.append(f"{p['id']}: benign with 11-proof number")
        for e in PROFILE["embargo"]:
            until = parse_ts(e["until"])
            for term in e["terms"]:
                if term.casefold() in nt or term.casefold() in nt.replace("\n", " "):
                    if ts < until and CONF not in cats:
                        errs.append(f"{p['id']}: embargo term before until without CONF")
                    if ts >= until and CONF in cats:
                        errs.append(f"{p['id']}: embargo term after until labelled CONF")
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
            if term.casefold() in nt and CONF not in cats:
                errs.append(f"{p['id']}: internal term {term} without CONF")
        # pricing sanity
        prods = [pr for pr in PROFILE["products"] if any(a.casefold() in nt for a in [pr["name"]] + pr["aliases"])]
        amts = [amount(m.group(1) or m.group(2)) for m in AMT.finditer(nt)]
        ratio = min((a / min(pr["list_price"] for pr in prods) for a in amts), default=None) if prods else None
        if PRICING in cats and not (ratio is not None and ratio < 0.5) and "fout" not in nt and "glitch" not in nt \
                and "error" not in nt:
            errs.append(f"{p['id']}: pricing positive without low price or error talk")
        if not cats and ratio is not None and ratio < 0.5 and "price-context" not in r["tags"]:
            errs.append(f"{p['id']}: benign with low product price {ratio:.2f}")
    # near-duplicate texts
    sh = [set(zip(*(norm(r["post"]["text"]).split()[i:] for i in range(3)))) for r in rows]
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            if sh[i] and sh[j] and len(sh[i] & sh[j]) / len(sh[i] | sh[j]) > 0.4:
                errs.append(f"near-duplicate: {rows[i]['post']['id']} / {rows[j]['post']['id']}")
    return errs


def report(rows):
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {evasion}")
    for c in sorted(cat):
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role))
    print("severity", {s: sev[s] for s in SEVERITIES})
    print("platform", dict(plat.most_common()))


def main():
    rows = build()
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]
    errs = checks(rows)
    for e in errs:
        print("ERROR", e)
    if "--check" in sys.argv:
        same = OUT.read_text(encoding="utf-8") == "".join(lines)
        print("cases.jsonl matches generator:", same)
        report(rows)
        return 0 if same and not errs else 1
    if errs:
        return 1
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
