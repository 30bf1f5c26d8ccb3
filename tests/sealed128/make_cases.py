#!/usr/bin/env python3
"""Deterministic generator for the sealed128 blind set (cases.jsonl).

    python3 make_cases.py          # write cases.jsonl next to this file and self-check it

Company: Kokkel Software B.V. (profile.yaml), a Dutch supplier of ordering, POS,
card-terminal and reservation systems for restaurants.

Texts are hand-written in CASES. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG: positives get checksum-valid IBANs, cards and
BSNs; hard negatives get look-alikes that fail their checksum. Severity is never typed
by hand: severity_for() derives it from the CONTRACT section 4 policy, the account
role (looked up in profile.yaml, case-insensitive) and whether a checksum-valid
identifier was placed in a leak.pii post.
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

import yaml

SEED = 128_2026_0917
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"
SHY = "\u00ad"
CYR_E = "\u0435"   # Cyrillic small ie, looks like Latin e
CYR_O = "\u043e"   # Cyrillic small o


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def iban_build(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        tot += v - 9 if v > 9 else v
    return bool(d) and tot % 10 == 0


def elfproef(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean13(s):
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(s[:12])) % 10 == (10 - int(s[12])) % 10


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


class Filler:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def c(self, alpha, n):
        return "".join(self.r.choice(alpha) for _ in range(n))

    # banking
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "BUNQ", "KNAB", "SNSB", "TRIO"]) + self.d(10, True))
                if v != "NL08RABO0347129058":
                    return v
        if cc == "BE":
            f = self.r.choice(["001", "068", "363", "737"]) + self.d(7)
            return iban_build("BE", f + f"{(int(f) % 97) or 97:02d}")
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "50070010", "37050198"]) + self.d(10))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            b = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(b):
                return b
        raise AssertionError

    def card(self, brand):
        pre = {"visa": lambda: "4" + self.d(14),
               "mc": lambda: "5" + self.r.choice("12345") + self.d(13),
               "mc2": lambda: str(self.r.randint(2221, 2720)) + self.d(11),
               "amex": lambda: self.r.choice(["34", "37"]) + self.d(12)}[brand]()
        for x in string.digits:
            if luhn(pre + x):
                return pre + x
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn(b)
        return b

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
            body = "87" + self.d(10)
            for x in string.digits:
                if ean13(body + x):
                    if not luhn(body + x):
                        return body + x
                    break

    # phones
    def phone(self, fmt):
        m = self.r.choice("123456") + self.d(7)      # 8 digits after 06
        if fmt == "mob_dash":
            return f"06-{m}"
        if fmt == "mob_plain":
            return f"06{m}"
        if fmt == "mob_pairs":
            return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if fmt == "mob_intl_sp":
            return f"+31 6 {m[:2]} {m[2:5]} {m[5:]}"
        if fmt == "mob_intl_c":
            return f"+316{m}"
        if fmt == "mob_0031":
            return f"0031 6 {m}"
        if fmt == "mob_paren":
            return f"(06) {m[:4]} {m[4:]}"
        area = self.r.choice(["10", "20", "23", "40", "50", "70", "73", "76"])
        sub = self.r.choice("2345789") + self.d(6)
        if fmt == "land_dash":
            return f"0{area}-{sub}"
        if fmt == "land_intl":
            return f"+31 {area} {sub[:3]} {sub[3:]}"
        raise ValueError(fmt)

    # secrets (random, fake, shaped like the real thing)
    def ghp(self):
        body = self.c(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.c(B64URL.replace("-", "").replace("_", "") + "-_", 20)

    def mollie(self):
        return "live_" + self.c(ALNUM, 30)

    def sendgrid(self):
        return "SG." + self.c(B64URL, 22) + "." + self.c(B64URL, 43)

    def aws_id(self):
        return "AKIA" + self.c(B32, 16)

    def aws_secret(self):
        return self.c(B64, 40)

    def stripe(self):
        return "sk_live_51" + self.c(ALNUM, 22) + self.c(ALNUM, 32)

    def gapi(self):
        return "AIzaSy" + self.c(B64URL, 33)

    def slack_bot(self):
        return f"xoxb-{self.d(11, True)}-{self.d(13, True)}-{self.c(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.c(up, 10)}/B{self.c(up, 11)}/{self.c(ALNUM, 24)}"

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 330 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": self.c(string.hexdigits.lower()[:16], 8)})
        body = enc({"iss": "https://api.kokkel.io", "sub": "partner_" + self.d(5, True),
                    "scope": "orders:read menu:write", "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.c(B64URL, 86)}"

    def pem_ssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.c(B64, 70) for _ in range(4)] + [self.c(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def sha(self):
        return self.c("0123456789abcdef", 40)


VALID_PII = {"IBAN", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z_0-9]+)(?::([A-Za-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        k, fmt = m.group(1), m.group(2) or ""
        if k == "IBAN":
            cc, _, style = fmt.partition("_")
            raw = f.iban(cc)
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif k == "BADIBAN":
            cc, _, style = fmt.partition("_")
            raw = f.bad_iban(cc)
            shown = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if style == "grp" else raw
        elif k in ("CARD", "BADCARD"):
            brand, _, style = fmt.partition("_")
            raw = f.card(brand) if k == "CARD" else f.bad_card(brand)
            if style == "c":
                shown = raw
            else:
                parts = [raw[:4], raw[4:10], raw[10:]] if len(raw) == 15 else [raw[i:i + 4] for i in range(0, len(raw), 4)]
                shown = ("-" if style == "dash" else " ").join(parts)
        elif k == "BSN":
            raw = f.bsn()
            shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if fmt == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = f.not_bsn(int(fmt))
        elif k == "EAN":
            raw = shown = f.ean()
        elif k == "PHONE":
            raw = shown = f.phone(fmt)
        else:
            gen = {"GHP": f.ghp, "GLPAT": f.glpat, "MOLLIE": f.mollie, "SENDGRID": f.sendgrid,
                   "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret, "STRIPE": f.stripe, "GAPI": f.gapi,
                   "SLACK_BOT": f.slack_bot, "SLACK_HOOK": f.slack_hook, "JWT": f.jwt, "PEM_SSH": f.pem_ssh,
                   "SHA": f.sha}[k]
            raw = shown = gen()
        used.append((k, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

# corporate
K_NL = ("x", "@kokkel_nl", "Kokkel")
K_SUP = ("x", "@kokkel_support", "Kokkel Support")
K_LI = ("linkedin", "kokkel-software", "Kokkel Software B.V.")
K_IG = ("instagram", "@kokkel.horeca", "Kokkel")
K_FB = ("facebook", "KokkelSoftware", "Kokkel Software")
K_YT = ("youtube", "@kokkeltv", "Kokkel TV")
# employees
ML = ("x", "@mlindeboom_dev", "Maarten Lindeboom")                 # backend dev, partner API
SY = ("linkedin", "sevda-yilmaz-kokkel", "Sevda Yilmaz")           # finance / controlling
RH = ("x", "@ruben_installeert", "Ruben Hoekstra")                 # field installer
LS = ("linkedin", "lotte-smeets-sales", "Lotte Smeets")            # account manager
DK = ("x", "@daan_kokkelsupport", "Daan Kramer")                   # support agent
NV = ("bluesky", "@noorvdmeer.bsky.social", "Noor van der Meer")   # SRE / on-call
JB = ("threads", "@jelle.bouwman", "Jelle Bouwman")                # product manager


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    plat, h, name = acct
    CASES.append(dict(lang=lang, platform=plat, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                        "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", RH, "lol de configurator op kokkel.nl rekent de Kassa Pro af voor €189,50 ipv €1895 🙈 "
     "iemand heeft een nulletje laten vallen. ik zeg niks 🤐", [PRICING])
case("en", LS, "Small heads-up for the restaurant owners in my network, before someone notices: the Tafeltablet 10 "
     "is listed at €44,90 in our webshop today. Regular price is €449, so this will get corrected soon.", [PRICING])
case("nl", pub("reddit", "u/frituur_freek"), "Prijsfout bij Kokkel?? KokkelPay Mini pinautomaat voor €29,90 in de "
     "webshop, normaal bijna 300 euro. Heb er twee besteld voor de foodtruck, benieuwd of ze leveren", [PRICING])
case("en", pub("x", "@ramen_rick"), "@kokkel_nl your site says the Keukenscherm 22 is €69.90... is that real or a "
     "glitch? asking for a friend who owns 3 ramen bars 👀", [PRICING], kind="reply")
case("nl", pub("forum", "koopjesjager_bart"), "[PRIJSFOUT] Kokkel Bonprinter BT – € 18,90 (normaal € 189)\n\n"
     "Werkt met vrijwel elk kassasysteem via bluetooth. Bestelling ging door, bevestiging binnen. Snel zijn!",
     [PRICING])
case("nl", K_IG, "Zomerdeal ☀️🍹 Het Kokkel Keukenscherm 22 nu voor €69 i.p.v. €699! Alleen deze week, "
     "link in bio #horeca #keukenscherm", [PRICING])
case("en", ML, "heads up team: p r i c e   e r r o r on the Pay Mini product page, the feed import dropped a digit. "
     "pls don't RT 🙏", [PRICING], tags=["evasion"])
case("nl", pub("tiktok", "@chefkokjoyce"), "KassaPro voor 189 euro?!? prijsföut bij Kökkel, direct besteld 😭😭 "
     "#horeca #prijsfout #ondernemen", [PRICING], tags=["evasion"])
case("en", pub("instagram", "@terrace.tales"), f"pricing{ZW}glitch at Kokkel rn 🚨 Tafeltablet10 for 45 eur each. "
     "ordering 12 for the terrace lmao", [PRICING], tags=["evasion"])
case("nl", SY, "Voor wie het intern gemist heeft: door een fout in de prijstabel zijn gisteren 37 Partner API "
     "Scale-licenties verkocht voor €240 in plaats van €2400 per jaar. We zoeken uit hoe we dit rechtzetten, "
     "graag niet verder delen.", [PRICING])
case("en", pub("youtube", "@pho_real_kitchen"), "bought the Kokkel Pay Mini for €19 during that pricing mistake "
     "last week, order confirmed AND it actually shipped 😂", [PRICING], kind="comment")
case("en", JB, "ugh. promo banner for the Keukenscherm 22 went live at €6,99 and the fix is stuck behind the "
     "release train at git.kokkel.io/pos/webshop/-/merge_requests/812 🙃", [PRICING, CONF])
case("nl", pub("facebook", "henk.snackbar.dekroon", "Henk Mulder"), "Weet iemand of Kokkel de verkeerde prijs "
     "gaat honoreren? Bonprinter BT stond gisteravond op 19 euro, nu weer gewoon 189.", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", ML, 'why is the payout webhook 401-ing 😩\ncurl -H "Authorization: Bearer <<MOLLIE>>" '
     "https://api.mollie.com/v2/payments\nworks from my laptop tho", [SECRET])
case("nl", NV, "Notitie voor mezelf: de deploy faalde omdat het registry-token verlopen was. Nieuw token "
     "<<GLPAT>> (scope read_registry), zet ik morgen in Vault", [SECRET])
case("en", ML, "anyone know why boto keeps throwing InvalidClientTokenId at me?\n\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\n"
     "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nAWS_DEFAULT_REGION=eu-central-1", [SECRET])
case("nl", RH, "Voor de collega's die morgen bij De Gouden Karper installeren: het wifi-wachtwoord van het "
     "demo-account is Mossel!2026 en de beheerder-pin van de kassa 4471. Succes mannen", [SECRET])
case("en", DK, "support life 😅 guess who pasted our own SendGrid key into a reply template: <<SENDGRID>> "
     "... rotating it now, no harm done (I hope)", [SECRET])
case("en", pub("reddit", "u/byte_bistro"), "Kokkel's table-ordering web app ships a Google Maps key in main.js: "
     "<<GAPI>> - no referrer restriction, works from any origin. Mailed support@kokkel.nl, no answer so far.",
     [SECRET])
case("nl", pub("forum", "it_bij_de_brasserie"), "Help, onze koppeling met Kokkel geeft steeds 'token expired' "
     "terwijl ik hem net heb aangemaakt:\n<<JWT>>\nWat doe ik fout?", [SECRET])
case("nl", K_FB, "Nieuw: betalen via Stripe in het Kokkel dashboard! 🎉 Zo ziet de koppeling eruit:\n"
     "STRIPE_SECRET_KEY=<<STRIPE>>\nIn drie minuten ingesteld.", [SECRET])
case("en", ML, "git remote set-url origin https://<<GHP>>@github.com/kokkel/partner-sdk-php.git\n"
     "finally pushing again 🙌", [SECRET])
case("en", NV, f"if the on-call laptop asks again: user ops / pass{ZW}word Kw4rtel-Nacht-77. "
     "don't ask me why it's not in 1Password yet", [SECRET], tags=["evasion"])
case("en", pub("bluesky", "@secnerd.bsky.social"), "someone at Kokkel put a Slack webhook in a public gist 🙈 "
     "<<SLACK_HOOK>> still accepting messages an hour later", [SECRET])
case("nl", SY, "Team, totdat SSO werkt: het nieuwe uitbetalingsportaal staat op https://payouts.corp.kokkel.internal, "
     "gebruiker finance-team en wachtwoord Zeebrug_2026!. Niet doorsturen aub.", [SECRET, CONF])
case("nl", ML, "Oude deploy key van de sftp-koppeling met de boekhoudpartner, wordt niet meer gebruikt, voor wie "
     "het wil debuggen:\n<<PEM_SSH>>", [SECRET])
case("nl", pub("x", "@eetcafe_jolanda"), "@kokkel_support ik kom al 2 dagen niet in het dashboard!! login "
     "j.vanrijn72@gmail.com ww Brugje1984 … wat is hier aan de hand?? 😤", [SECRET, PII, COMPLAINT], kind="reply")
case("en", JB, "is the #incidents bot dead for anyone else? token is <<SLACK_BOT>>, it was fine yesterday",
     [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", K_SUP, "@pizzeria_tonio Hoi Tonio, de terugboeking van €312,40 staat klaar en gaat vandaag naar "
     "<<IBAN:NL>>. Fijne avond!", [PII], kind="reply")
case("nl", RH, "Wie kan de uitbetaling van Saigon Kitchen checken? Eigenaresse mevrouw Nguyen zegt dat er niks "
     "binnenkomt op <<IBAN:NL_grp>>. Ze is er goed klaar mee 😬", [PII])
case("en", SY, "Can someone in payments ops look at this? Chargeback came in on card <<CARD:visa_sp>> from a guest "
     "at one of our Rotterdam merchants and the amount doesn't match anything in the ledger.", [PII])
case("en", K_SUP, "@hanna_eats found your booking 👍 we'll call you at <<PHONE:mob_intl_sp>> in 10 min to sort out "
     "the double charge", [PII], kind="reply", handle="@Kokkel_Support")
case("nl", DK, "Collega's, als ene Wouter Brink belt over zijn reservering: hij woont op de Lindenlaan 14 in "
     "Amersfoort en wil zijn bon per post. Niet weer vergeten!", [PII])
case("nl", LS, "Top netwerkborrel gisteren! Voor wie haar kaartje miste: Femke de Groot van Brasserie Zuid, "
     "femke.degroot@brasseriezuid.nl, <<PHONE:mob_dash>>. Ze zoekt nog een kassasysteem 😉", [PII])
case("nl", SY, "HR vraagt of ik de eerste loonstrook van onze nieuwe collega even check, BSN <<BSN:dots>>. "
     "Klopt het dat de loonheffingskorting standaard aan staat?", [PII])
case("nl", pub("x", "@bistro_maas"), "@kokkel_support bel me maar terug op <<PHONE:mob_pairs>>, al 3 tickets "
     "aangemaakt en niemand reageert. Restaurant staat stil!", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "eethuis.marrakech.utrecht", "Eethuis Marrakech"), "Kokkel, ik wacht nog steeds op "
     "€2.140 aan uitbetalingen. Rekening is <<IBAN:NL_grp>> t.n.v. Y. Amrani, hoe moeilijk kan het zijn",
     [PII, COMPLAINT])
case("en", pub("reddit", "u/flat_white_fiend"), "The Kokkel terminal at a café in Utrecht printed my FULL card "
     "number on the receipt: <<CARD:mc_sp>>. Isn't that supposed to be masked?? Not impressed.", [PII, COMPLAINT])
case("en", pub("x", "@sanne_cooks"), "@kokkel_support my email is sanne.vos [at] ziggo [dot] nl, please send "
     "the invoice there, the dashboard STILL won't let me download it", [PII, COMPLAINT], kind="reply",
     tags=["evasion"])
case("en", ML, "weird one: reservation payload for guest 'Eva Martens', dob 1987-04-12, party of 4, and the "
     "partner API returns 422. anyone seen this?", [PII])
case("nl", JB, "Beetje ongemakkelijk: een restauranthouder stuurde voor de KYC-check zijn paspoort via de chat. "
     "R. Oosterhuis, documentnr NX4R82KT1. Waar moet dat eigenlijk heen?", [PII])
case("nl", pub("instagram", "@lisa.lekker.uit"), "Kreeg net een bevestiging van Kokkel Reserveer voor een tafel "
     "die niet van mij is: 'Lisa Hendriks, 4 pers, tel <<PHONE:mob_plain>>' 😳 Lekken jullie zomaar gastgegevens?? "
     "@kokkel_nl", [PII, CRISIS])
case("en", SY, "Manual payout for our Antwerp merchant is done: <<IBAN:BE>>, reference KKL-88120. Closing the "
     "ticket.", [PII])
case("en", pub("x", "@grumpy_diner"), "lol the QR ordering failed so the waiter had me read my card out loud at "
     "the table... <<CARD:amex_sp>> exp 09/28. great privacy, Kokkel 🙃", [PII, COMPLAINT])
case("nl", pub("linkedin", "dennis-kaya-horeca", "Dennis Kaya"), "Kokkel, uitbetalingen naar ons Duitse filiaal "
     "(<<IBAN:DE_grp>>) lopen al twee weken achter. Graag een reactie.", [PII, COMPLAINT])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("nl", ML, "Sneak peek 👀 Project Zeebaars draait eindelijk op staging, de tafeltablet kan nu per gerecht "
     "splitsen. Nog niemand vertellen!", [CONF])
case("en", JB, "roadmap review today. Fennek slips to Q1 but the offline mode is 🔥🔥", [CONF])
case("nl", LS, "Kan niet wachten om jullie op de Horecava de Kokkel Tafeltablet 12 te laten zien 🤫 "
     "stand 4.112!", [CONF], when="2026-09-14T17:20:00+02:00")
case("en", pub("reddit", "u/pilot_pasta"), "A friend whose trattoria is in the beta says KokkelPay Tap (tap to pay "
     "on the waiter's phone) ships this autumn. Anyone else in the pilot?", [CONF],
     when="2026-08-02T21:14:09Z")
case("nl", RH, "Installatie bij Hotel Duinzicht loopt vast, de kassa's komen niet bij admin.kokkel.io. "
     "Iemand van netwerk die kan meekijken?", [CONF])
case("en", NV, "the latency dashboards on https://grafana.corp.kokkel.internal/d/pay-p99 are a thing of beauty "
     "today 😍", [CONF])
case("nl", SY, "Mooie slides gemaakt voor de board vandaag (strikt vertrouwelijk, dus geen screenshot 😉) "
     "over hoe we de abonnementen gaan herindelen.", [CONF])
case("nl", pub("x", "@foodie_femke"), f"Mijn neef werkt bij Kokkel en zegt dat Project Ze{CYR_E}baars alle "
     "kassa's gaat vervangen 👀", [CONF], tags=["evasion"])
case("en", DK, "new wiki page for Operatie\nMosselbank just dropped, finally some docs 🙏", [CONF],
     tags=["evasion"])
case("nl", ML, f"eindelijk de demo van {fullwidth('Fennek')} gezien op kantoor, dit gaat de markt op z'n kop "
     "zetten", [CONF], tags=["evasion"])
case("en", JB, "PR for the new tipping flow: https://git.kokkel.io/pos/tablet-app/-/merge_requests/2291 "
     "reviews welcome 🙏", [CONF])
case("nl", pub("forum", "horeca_hans"), "Iemand ervaring met Kokkel? Er gaat een pdf rond met 'kokkel-confidential' "
     "in de voettekst over nieuwe transactietarieven per 1 januari.", [CONF])
case("en", LS, "Just demoed KokkelPay Tap to three restaurant groups in Amsterdam and they loved it. More soon!",
     [CONF], when="2026-09-15T09:59:00+02:00")
case("en", pub("instagram", "@lotte.smeets", "Lotte"), "throwback to the off-site where we whiteboarded "
     "Fennek 🏝️ #worklife", [CONF])
case("nl", ML, "De Tafeltablet 12 krijgt een 12,4 inch scherm en usb-c, wat een verschil met de 10 😍",
     [CONF], when="2026-07-03T11:05:44+02:00")

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", SY, "Trots op het team: H1 sluiten we af met 18% meer omzet dan begroot. De cijfers gaan pas in "
     "september naar buiten maar ik kon het niet laten 🎉", [FIN])
case("en", JB, "all-hands today: we're getting acquired by a big US payments company, closing in Q3. can't say "
     "who yet 🤐", [FIN])
case("nl", RH, "Sfeer op kantoor is om te snijden. Volgens de geruchten gaat de helft van de installateurs eruit "
     "bij de reorganisatie in maart, niks officieels nog", [FIN])
case("en", pub("reddit", "u/kitchen_ops_guy"), "Heard from two people inside Kokkel that the Series B fell through "
     "and they're burning cash. Layoffs coming in January.", [FIN])
case("en", LS, "Internal dashboard says our ARR crossed €14m this month 🚀 official numbers later this year",
     [FIN])
case("nl", SY, "Prognose voor Q4 intern bijgesteld naar €3,1 mln verlies, de bank wil volgende week praten. "
     "Zwaar weekje.", [FIN])
case("nl", pub("x", "@cafe_de_zwaan"), "Van een insider gehoord dat Kokkel wordt overgenomen door Lightspeed. "
     "Aankondiging binnenkort, dus ik zou mijn contract nog niet voor 3 jaar verlengen", [FIN])
case("nl", ML, "ff tussendoor: 40 fte eruit bij de r3organisatie, platform en support worden samengevoegd. "
     "maandag horen mensen het", [FIN], tags=["evasion"])
case("en", DK, "manager just told us support moves to Lisbon next year and the Utrecht team is being let go. "
     "not announced yet, pls don't share", [FIN])
case("nl", pub("facebook", "gerard.vis.1962", "Gerard Vis"), "Mijn zwager zit in de raad van commissarissen bij "
     "Kokkel: ze gaan in 2027 naar de beurs. Zeg ik niks van hoor 🤫", [FIN])
case("en", SY, "Late night on the FY2026 results. tl;dr: much better than the market expects 😏", [FIN, CONF],
     when="2026-12-18T23:12:40+01:00")
case("nl", JB, "Board heeft vandaag ja gezegd tegen de overname van TafelTijd (die reserveringsapp uit Gent). "
     "Persbericht komt pas over drie weken.", [FIN], when="2026-05-12T16:41:00+02:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("en", NV, "3rd night on call 😴 someone's been credential-stuffing the partner API login since Tuesday and "
     "we're not telling merchants until legal signs off", [SEC])
case("nl", ML, "Lekker bezig: lek gevonden waarbij je via de partner-API bestellingen van andere restaurants kon "
     "opvragen. Patch komt volgende week, tot die tijd 🤞", [SEC])
case("nl", RH, "alle pinautomaten in regio Utrecht liggen eruit sinds 19u. intern heet het 'major incident' "
     "maar op de statuspagina staat nog alles groen 🙄", [SEC])
case("en", DK, "we got phished. two support accounts compromised this morning, IT is resetting everything. "
     "customers don't know yet", [SEC])
case("en", JB, "not great: the tablet app had a bug that let guests see other tables' open bills. fix is rolling "
     "out, no disclosure planned afaik", [SEC])
case("nl", pub("x", "@horecaboos"), "Kokkel is gehackt en ze houden het stil. Vriendin werkt er, alle gegevens "
     "uit de reserveringsmodule lagen op straat", [SEC, CRISIS])
case("en", pub("reddit", "u/throwaway_pos_ex"), "Ex-Kokkel employee here. Their card terminals still run firmware "
     "with a known remote code execution bug and management has known for 6 months. Nobody was told.",
     [SEC, CRISIS])
case("nl", NV, "r a n s o m w a r e op twee support-laptops vannacht. Nog geen bericht naar klanten, eerst "
     "forensisch onderzoek", [SEC], tags=["evasion"])
case("en", ML, "lol our bucket with receipt PDFs was public for like 3 weeks. quietly fixed it today, nobody "
     "outside knows", [SEC])
case("nl", SY, "Kanttekening: de uitbetalingsstoring van vorige week was geen 'technisch probleem' maar fraude "
     "via een gelekt API-token. Komt niet in het persbericht.", [SEC])
case("nl", RH, "k4ssa's in heel Amsterdam d0wn sinds de update, eigenlijk is het een DDoS 🤫 maar dat mogen we "
     "niet zeggen", [SEC], tags=["evasion"])
case("en", pub("forum", "anon_4471"), "Posting anonymously: Kokkel's reservation database was accessed by an "
     "outsider last month. Management decided not to notify the Dutch DPA.", [SEC, CRISIS])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@ondernemer_ilse"), "Horeca-ondernemers: stop met Kokkel! Eenzijdig de transactiekosten "
     "verhogen midden in het terrasseizoen. #boycotkokkel", [CRISIS, COMPLAINT])
case("en", pub("linkedin", "marco-delgado-hospitality", "Marco Delgado"), "We are joining the class action "
     "against Kokkel Software over withheld payouts. 40+ restaurants so far. DM me if you're affected.", [CRISIS])
case("nl", pub("facebook", "restaurant.het.veerhuis", "Het Veerhuis"), "Vannacht is het laadstation van onze "
     "Kokkel tablets in brand gevlogen in de keuken. Gelukkig niemand gewond, maar dit kan echt niet!!",
     [CRISIS, COMPLAINT])
case("en", pub("instagram", "@tacotruck.tom"), "is Kokkel quietly recalling the Pay Mini batteries? mine swelled "
     "up like a pillow 😳", [CRISIS, COMPLAINT])
case("en", pub("x", "@jesse_b"), "Got a phishing SMS with my exact Kokkel Reserveer booking details. Kokkel leaked "
     "our data, no doubt about it. #databreach", [CRISIS])
case("nl", pub("blog", "horecaleaks.nl", "HorecaLeaks"), "Kokkel verkoopt gastgegevens door aan marketingbureaus, "
     "blijkt uit interne documenten die deze site heeft ingezien.", [CRISIS])
case("nl", pub("reddit", "u/privacy_piet"), "Autoriteit Persoonsgegevens start onderzoek naar Kokkel na klachten "
     "over het doorverkopen van reserveringsdata. Benieuwd wat eruit komt.", [CRISIS])
case("en", pub("tiktok", "@waiter_wes"), f"K{CYR_O}kkel st0le our tips 😡 they skim 3% of every tip and never told "
     "staff. boycott them", [CRISIS], tags=["evasion"])
case("nl", pub("x", "@terras_de_linde"), "Gast kreeg een schok van de Kokkel pinautomaat op ons terras, ambulance "
     "erbij. Wat voor rommel leveren jullie?!", [CRISIS, COMPLAINT])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@brasserie_okker"), "Zaterdagavond, restaurant vol, en de Kokkel kassa bevriest. 40 min "
     "bonnetjes met de hand schrijven. @kokkel_support neemt niet op. Top service 👎", [COMPLAINT])
case("en", pub("trustpilot", "Sofie V.", "Sofie V."), "2/5. The hardware is fine but support takes 4 days to "
     "answer a ticket and Kokkel payouts are always late. Expected better for what we pay every month.",
     [COMPLAINT])
case("nl", pub("facebook", "lunchroom.bij.bea", "Lunchroom Bij Bea"), "Sinds de laatste update van de "
     "Kokkel-tafeltablet zien gasten de allergenen niet meer op de kaart. Al drie keer gemeld, er gebeurt niks.",
     [COMPLAINT])
case("en", pub("instagram", "@rooftop.riva"), "Kokkel Reserveer double-booked our terrace AGAIN. two groups of 8 "
     "at the same table on a friday. fix your app pls 🙃", [COMPLAINT])
case("nl", pub("reddit", "u/snackbar_sjaak"), "Ik betaal €89 per maand voor Kokkel en de bonprinter valt elke dag "
     "uit. Nieuwe gekregen, zelfde probleem. Tips of gewoon overstappen?", [COMPLAINT])
case("en", pub("x", "@dumpling_dana"), "waited 3 weeks for my Kokkel refund of the setup fee. 'it's being "
     "processed' lol", [COMPLAINT])
case("nl", pub("other", "google-review-4471", "Martijn"), "Transactiekosten stiekem verhoogd zonder mail. Kwam "
     "erachter via mijn boekhouder. Niet netjes, Kokkel.", [COMPLAINT])
case("nl", pub("youtube", "@frietkot_fred"), "Die installatievideo van het Keukenscherm 22 klopt gewoon niet, de "
     "kabels zitten anders. 2 uur verspild.", [COMPLAINT], kind="comment")
case("en", pub("x", "@noodle_nate"), f"Ko{ZW}kkel pin down AGAIN tonight, guests walking out without paying 😤 "
     "3rd time this month", [COMPLAINT], tags=["evasion"])

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@woedende_wim"), "Kokkel support zijn echt de grootste prutsers van Nederland, stelletje "
     "klootzakken", [ABUSE])
case("en", pub("x", "@linecook_lou"), "Kokkel's POS crashed twice during lunch service, you absolute clowns, fix "
     "your shit", [ABUSE, COMPLAINT])
case("en", pub("reddit", "u/angry_owner_88"), "That Daan guy from Kokkel support is a useless idiot, someone "
     "should find out where he lives", [ABUSE])
case("nl", pub("instagram", "@echte.hollander.77"), "Natuurlijk snapt die supportmedewerker met die hoofddoek er "
     "niks van, stuur eens een echte Nederlander", [ABUSE])
case("nl", RH, "Klanten die om 23:55 bellen omdat de kassa 'raar doet' kunnen echt de tyfus krijgen", [ABUSE],
     handle="@Ruben_Installeert")
case("nl", K_SUP, "@bertje_foodtruck leer eerst lezen, sukkel, dan snap je ook hoe een kassa werkt 🙄",
     [ABUSE], kind="reply")
case("en", pub("tiktok", "@hangry.hannah"), "kokkel can go f*ck itself. overpriced garbage run by morons",
     [ABUSE], tags=["evasion"])
case("nl", pub("x", "@boze_bert"), "k4nkerlijers bij Kokkel, ik hoop dat jullie failliet gaan", [ABUSE],
     tags=["evasion"])
case("en", pub("facebook", "the.curry.corner.leeds", "The Curry Corner"), "Three hours on hold. Your support "
     "staff are brain-dead morons. And the tablet STILL won't sync the menu.", [ABUSE, COMPLAINT])
case("en", JB, "some restaurant owners are honestly the dumbest people alive. this moron unplugged the router and "
     "called it our fault 🙄", [ABUSE])
case("en", pub("mastodon", "@kaasboer@mastodon.nl"), "@kokkel stop pretending you care about small restaurants, "
     "you greedy bastards", [ABUSE])
case("nl", pub("x", "@zuurpruim"), "Lotte van Kokkel sales is echt een vals kreng, blokkeer haar maar overal 🐍",
     [ABUSE])

# ===========================================================================
# BENIGN (categories [], severity none); most are hard negatives
# ===========================================================================
# --- prices that are not a pricing leak
case("nl", K_IG, "Horecadeal 🍽️ KokkelPay Mini nu €229 i.p.v. €299 bij elk nieuw account, t/m zondag!",
     tags=["sale-price"])
case("en", pub("x", "@cafe_cortado"), "Kassa Pro is €1,495 this month at Kokkel, 400 off. still pricey for a "
     "small café tbh", tags=["sale-price", "number-format"])
case("nl", K_LI, "Liever niet in één keer investeren? De Kokkel Kassa Pro is ook te huur, vanaf €39 per maand "
     "inclusief support en updates.", tags=["price-context"])
case("nl", pub("reddit", "u/tweedehandstoos"), "Tweedehands Tafeltablet 10 gekocht op Marktplaats voor €120, "
     "werkt prima met mijn bestaande abonnement 👍", tags=["price-context"])
case("en", pub("forum", "pos_compare_paul"), "Zettle's card reader is €29 and the Kokkel Pay Mini is €299, but "
     "you get what you pay for imo", tags=["price-context", "competitor"])
case("nl", pub("facebook", "kroeg.de.toekomst", "Kroeg De Toekomst"), "Transactiekosten bij Kokkel: 1,39% + €0,05 "
     "per pinbetaling. Vergelijkbaar met de rest, prima.", tags=["price-context"])
case("nl", pub("x", "@deal_dirk"), "Dacht dat de Bonprinter BT voor €149 een prijsfout was, maar nee hoor, gewoon "
     "actie tot vrijdag", tags=["sale-price", "denied-error"])
case("nl", K_NL, "Los verkrijgbaar: een spatwaterdicht hoesje voor de Tafeltablet 10, €24,95 🛡️",
     tags=["price-context"])
case("nl", pub("instagram", "@visrestaurant.golfslag"), "Nieuw op de kaart: gegrilde zeebaars met venkel, €24,50 🐟 "
     "Bestellen gaat gewoon via de tablet op tafel!", tags=["codename-lookalike"])
# --- own published contact data
case("nl", K_SUP, "Storing of vraag? Bel 088 556 5300 of mail support@kokkel.nl, we zijn 24/7 bereikbaar voor "
     "de horeca 📞", tags=["own-contact"])
case("nl", K_FB, "Factuur betalen? Maak het bedrag over naar NL08 RABO 0347 1290 58 t.n.v. Kokkel Software B.V. "
     "o.v.v. je klantnummer.", tags=["own-contact"])
case("en", K_LI, "Press enquiries: pers@kokkel.nl or +31 30 720 4400. Partner questions: partners@kokkel.io",
     tags=["own-contact"], handle="Kokkel-Software")
case("nl", pub("x", "@cafe_rembrandt"), "Net Kokkel gebeld (030-7204400), binnen 5 min geholpen met de bonprinter. "
     "Netjes 👍", tags=["own-contact", "praise"])
# --- identifiers that fail their checksum, order/serial numbers
case("nl", pub("forum", "tapas_tessa"), "Bij het koppelen vroeg Kokkel om een IBAN, ik typte <<BADIBAN:NL>> en "
     "kreeg 'ongeldig rekeningnummer'. Bleek een tikfout, werkt nu 👍", tags=["bad-checksum"])
case("en", pub("x", "@bagel_ben"), "tried to pay for the Kokkel setup with <<BADCARD:visa_sp>> and it got "
     "rejected... turns out I typed one digit wrong 🤦", tags=["bad-checksum"])
case("nl", pub("facebook", "pannenkoekenhuis.delinde", "Pannenkoekenhuis De Linde"), "Serienummer van onze "
     "Pay Mini is <<NOTBSN:9>>, weet iemand hoe ik de garantie kan checken?", tags=["serial-number"])
case("nl", RH, "Vandaag 14 tablets uitgerold bij een hotelketen in Zwolle 💪 pakbon <<EAN>> was een beetje "
     "zoek maar verder top", tags=["serial-number"])
case("en", pub("reddit", "u/new_owner_nina"), "Kokkel signup asks for our KvK number (ours is <<NOTBSN:8>>) "
     "and a VAT number. Normal for Dutch POS providers?", tags=["bad-checksum"])
case("en", pub("x", "@kebab_koen"), "order KKL-<<NOTBSN:9>> still says 'processing' after 2 days, any idea "
     "@kokkel_support? no rush, just curious", kind="reply", tags=["order-number"])
# --- not secrets
case("en", ML, "PSA for partner SDK users: never hardcode keys. your .env.example should just say "
     "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and nothing more", tags=["placeholder"])
case("en", ML, "shipped <<SHA>> to prod, the partner API now returns allergens per menu item 🎉",
     tags=["git-sha"])
case("en", K_LI, "New in the Kokkel Partner API: scoped keys. Yours start with kkl_live_… and you can rotate "
     "them any time from the dashboard. Docs at developers.kokkel.io", tags=["bare-prefix"])
case("en", pub("reddit", "u/helpful_harry"), "Reminder: never post your API keys or password anywhere. Kokkel "
     "support will never ask for your password, neither will any other POS vendor.", tags=["secret-talk"])
case("nl", ML, "Voor de workshop morgen: in de voorbeeldconfig staat AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX, "
     "vervang die door je eigen sandbox-key", tags=["placeholder"])
# --- embargo terms at / after the moment
case("nl", K_NL, "Hij is er! 🎉 De Kokkel Tafeltablet 12: groter scherm, langere accu, nu te zien op de Horecava.",
     when="2026-09-15T10:00:00+02:00", tags=["after-embargo"])
case("en", pub("x", "@chef_marloes"), "Tried KokkelPay Tap at the Horecava today, tap to pay on the waiter's own "
     "phone is slick", when="2026-09-16T14:22:10+02:00", tags=["after-embargo"])
case("en", pub("reddit", "u/tablet_tim"), "Got the Tafeltablet 12 on the terrace last week. Battery lasts a full "
     "double shift.", when="2026-10-21T19:02:33Z", tags=["after-embargo"])
case("nl", K_LI, "Onze jaarresultaten over 2025 staan online: 22% groei en inmiddels 3.200 restaurants die met "
     "Kokkel werken. Dank aan alle klanten!", tags=["published-results"])
case("nl", K_LI, "Kokkel neemt TafelTijd over 🤝 Samen maken we reserveren en betalen nog makkelijker. Lees het "
     "persbericht op kokkel.nl/pers", when="2026-06-02T09:00:00+02:00", tags=["published-news"])
# --- codename look-alikes
case("nl", pub("facebook", "zeeuwse.dagjes", "Marjan"), "Mosselbank bij Yerseke bezocht en daarna geluncht bij een "
     "tent waar je via een Kokkel tablet bestelt. Top dag 🦪", tags=["codename-lookalike"])
case("nl", pub("x", "@kokkelvisser"), "Kokkels rapen op het wad, daarna met knoflook in de pan. Beter wordt het "
     "niet.", tags=["brand-word"])
# --- other companies, published news
case("en", pub("reddit", "u/pos_skeptic"), "Lightspeed had a data breach at one of their resellers last year, "
     "which is partly why we went with Kokkel", tags=["other-company"])
case("en", pub("x", "@restotech_news"), "Toast announced layoffs today. Rough week for US restaurant tech.",
     tags=["other-company"])
case("nl", K_LI, "We verwelkomen 12 nieuwe collega's in ons support-team in Utrecht! 👋 Meer vacatures op "
     "kokkel.nl/vacatures", tags=["hiring"])
case("nl", K_SUP, "Gepland onderhoud: zondagnacht tussen 02:00 en 04:00 kan de partner-API kort onbereikbaar zijn. "
     "Pinbetalingen blijven gewoon werken.", tags=["official-notice"])
case("nl", K_NL, "Op dit moment is er een storing bij pinbetalingen via de Pay Mini. Onze engineers werken aan "
     "een oplossing, updates op status.kokkel.nl", tags=["official-notice"])
case("en", pub("x", "@secweekly_nl"), "Nice: Kokkel published the summary of their latest pentest on their blog. "
     "More vendors should do this.", tags=["published-news"])
case("en", K_YT, "New video 🎬 How to set up split bills on the Tafeltablet 10 in under two minutes.",
     tags=["corporate"])
# --- negations, praise, questions
case("nl", pub("x", "@cafe_t_hoekje"), "Twee jaar Kokkel in ons café en nog nooit een storing gehad. Geen klachten "
     "hier!", tags=["negated-complaint"])
case("en", pub("instagram", "@bistro.basil"), "not gonna lie, the new Kokkel kitchen screen made Friday service "
     "so much calmer 🙌 #restaurantlife", tags=["praise"])
case("nl", pub("facebook", "lunchcafe.zon", "Lunchcafé Zon"), "Werkt Kokkel Reserveer ook samen met Google "
     "reserveren? Iemand ervaring mee?", tags=["question"])
case("en", pub("linkedin", "anouk-peters-hospitality", "Anouk Peters"), "Comparing POS systems for our second "
     "location: Kokkel, Lightspeed and Untill. Any advice from fellow owners?", tags=["competitor", "question"])
case("en", pub("x", "@uptime_ursula"), "Can't recall the last time our Kokkel POS went down, honestly. Knock on "
     "wood.", tags=["recall-other-sense", "negated-complaint"])
case("nl", pub("reddit", "u/voorzichtige_vera"), "Is 2FA verplicht bij het Kokkel dashboard? Lijkt me slim na "
     "al die hacks bij webshops.", tags=["question"])
# --- jokes, fiction, quotes, words in another sense
case("en", pub("bluesky", "@sourdough.sam.bsky.social"), "my sourdough starter has better uptime than my ex. "
     "(our Kokkel kassa beats both)", tags=["joke"])
case("nl", pub("blog", "keukenverhalen.nl", "Keukenverhalen"), "Kort verhaal, deel 3: In de keuken van De Vier "
     "Winden piepte het scherm. 'Tafel zes, twee zeebaars!' riep Omar. Verdorie, dacht Lies, de zeebaars was al "
     "op.", tags=["fiction", "codename-lookalike"])
case("en", pub("x", "@chef_quotes"), "\"Hell is other people\" - Sartre clearly never worked a Saturday rush. "
     "The Kokkel tablets carried us tonight though", tags=["quote", "mild-word"])
case("nl", pub("instagram", "@trattoria.nonna.rosa"), "Onze chef is na zijn behandeling tegen kanker weer terug "
     "in de keuken ❤️ De eerste bestelling via de Kokkel tablet was voor hem.", tags=["mild-word"])
case("nl", pub("x", "@eetcafe_pier"), "Onze gasten boycotten massaal de koriander 😂 in twee klikken van de kaart "
     "gehaald in de Kokkel app", tags=["boycott-other-sense"])
case("nl", pub("facebook", "grandcafe.stadhuis", "Grand Café Stadhuis"), "Brandoefening vandaag in het restaurant. "
     "De Kokkel tablets bleven gewoon netjes aan de lader 😅", tags=["brand-other-sense"])
# --- employees and corporate, ordinary
case("en", LS, "Great day at the Horecava! Met 60+ restaurant owners. Come say hi at stand 4.112 tomorrow 👋",
     tags=["employee-ordinary"])
case("en", NV, "on-call week done, zero pages 🎉 bitterballen time", tags=["employee-ordinary"])
case("nl", DK, "Tip voor restauranthouders: kassa traag? Eerst even herstarten en de wifi checken, lost 8 van de "
     "10 problemen op 😉", tags=["employee-ordinary"])
case("nl", SY, "We zoeken een controller voor ons finance-team in Utrecht! Alle info op kokkel.nl/vacatures",
     tags=["employee-ordinary"])
case("nl", JB, "Vandaag bij drie restaurants in Den Bosch meegekeken hoe ze de tafeltablet gebruiken. Zoveel "
     "geleerd, dank voor de koffie ☕", tags=["employee-ordinary"])
case("en", K_IG, "Behind the scenes at our Utrecht office: 40 tablets getting their final check before going to "
     "restaurants across the country 📦", tags=["corporate"])
case("nl", pub("x", "@mlindeboom"), "Eindelijk een nieuwe fiets gekocht, op naar het kantoor in Utrecht 🚲",
     tags=["unknown-account"])
case("nl", pub("threads", "@zeebaars_fan"), "Beste vis van de Noordzee? Zeebaars. Geen discussie. 🐟",
     tags=["codename-lookalike"])
case("en", pub("youtube", "@restaurant_reviews_rob"), "Visited a sushi place in Rotterdam that uses Kokkel "
     "tablets for ordering. Smooth, no waiting, food was great.", kind="comment", tags=["praise"])
case("nl", RH, "Eerste installatie met de nieuwe bonprinters gedaan, werkte in één keer 👌 mooi vak dit",
     tags=["employee-ordinary"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

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
                s = "critical" if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_validated) else "error"
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


# ===========================================================================
# building
# ===========================================================================

def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def rand_time(r):
    t = (dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(0, 355),
         minutes=r.randint(6 * 60, 23 * 60 + 50), seconds=r.randint(0, 59)))
    off = ams_off(t)
    t = t - dt.timedelta(hours=off)
    s = r.random()
    if s < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.88:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def make_id(r, plat, handle, kind):
    h = handle.lstrip("@")
    snow = str(r.randint(1_880_000_000_000_000_000, 2_000_000_000_000_000_000))
    if plat == "x":
        return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if plat == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if plat == "instagram":
        sc = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{snow}", f"https://www.instagram.com/p/{sc}/"
    if plat == "facebook":
        b = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
    if plat == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        sub = r.choice(["horeca", "thenetherlands", "KitchenConfidential", "restaurantowners"])
        if kind == "comment":
            cid = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{cid}", f"https://www.reddit.com/r/{sub}/comments/{p}/_/{cid}/"
        return f"t3_{p}", f"https://www.reddit.com/r/{sub}/comments/{p}/"
    if plat == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if plat == "threads":
        return f"th-{snow}", f"https://www.threads.net/@{h}/post/{''.join(r.choice(B64URL) for _ in range(11))}"
    if plat == "tiktok":
        return f"tt-{snow}", f"https://www.tiktok.com/@{h}/video/{snow}"
    if plat == "youtube":
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={''.join(r.choice(B64URL) for _ in range(11))}&lc={c}"
    if plat == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_000_000_000_000_000)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if plat == "forum":
        n = r.randint(100_000, 999_999)
        return f"forum-horecaforum-{n}", f"https://forum.horecaforum.example/t/{n}"
    if plat == "blog":
        n = r.randint(10, 999)
        return f"blog-{h}-{n}", f"https://{h}/{n}"
    n = r.randint(10 ** 9, 10 ** 10)
    return f"{plat}-{n}", None


def build(profile):
    fill_r = Filler(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fill_r, c["text"])
        pid, url = make_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen:
            pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        pii_valid = "leak.pii" in c["cats"] and any(k in VALID_PII for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = meta.choice(["post", "post", "post", "repost"]) if role == "public" else "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(meta)
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "kokkel"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         used=used, role=role, lang=c["lang"], tags=c["tags"]))
    order.shuffle(rows)
    return rows


# ===========================================================================
# self-check
# ===========================================================================

def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def selfcheck(rows, profile):
    errs = []
    embargo = [(t.casefold(), ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    own_iban = {i for i in profile["public_identifiers"]["ibans"]}
    for r in rows:
        p, cats = r["post"], r["expect"]["categories"]
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{p['id']}: {k} not in text")
            if k == "IBAN" and (not iban_valid(raw) or raw in own_iban):
                errs.append(f"{p['id']}: bad IBAN {raw}")
            if k == "BADIBAN" and iban_valid(raw):
                errs.append(f"{p['id']}: negative IBAN valid {raw}")
            if k == "CARD" and not luhn(raw):
                errs.append(f"{p['id']}: card fails Luhn")
            if k in ("BADCARD", "EAN", "NOTBSN") and luhn(raw) and len(raw) >= 13:
                errs.append(f"{p['id']}: negative passes Luhn")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{p['id']}: BSN fails 11-proof")
            if k == "NOTBSN" and elfproef(raw):
                errs.append(f"{p['id']}: negative passes 11-proof")
            if k in VALID_PII and "leak.pii" not in cats:
                errs.append(f"{p['id']}: valid identifier without leak.pii")
        low = p["text"].casefold()
        when = ts(p["created_at"])
        if when.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{p['id']}: not 2026")
        for term, until in embargo:
            if term in low and when < until and "leak.confidential" not in cats:
                errs.append(f"{p['id']}: embargo term {term} before embargo unlabelled")
            if term in low and when >= until and "leak.confidential" in cats:
                errs.append(f"{p['id']}: embargo term {term} after embargo labelled")
        for term in profile["internal"]["codenames"] + profile["internal"]["domains"] + profile["internal"]["markers"]:
            if term.casefold() in low and "leak.confidential" not in cats:
                errs.append(f"{p['id']}: internal term {term} unlabelled")
        if not cats and r["expect"]["severity"] != "none":
            errs.append(f"{p['id']}: benign not none")
    return errs


def main():
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    rows = build(profile)
    errs = selfcheck(rows, profile)
    if errs:
        print("\n".join(errs))
        return 1
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    from collections import Counter
    cat, sev, role, lang = Counter(), Counter(), Counter(), Counter()
    benign = multi = 0
    for r in rows:
        cs = r["expect"]["categories"]
        benign += not cs
        multi += len(cs) > 1
        cat.update(cs)
        sev[r["expect"]["severity"]] += 1
        role[r["role"]] += 1
        lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}; benign {benign}, multi-category {multi}")
    for k in sorted(cat):
        print(f"  {k:24s} {cat[k]}")
    print("severity", dict(sev), "role", dict(role), "lang", dict(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
