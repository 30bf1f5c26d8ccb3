#!/usr/bin/env python3
"""Deterministic generator for the sealed96 blind evaluation set.

    python3 make_cases.py          # writes cases.jsonl next to this file

Company: "Wagenwijs B.V.", a fictional Dutch second-hand car platform
(listings, inspections, financing, warranties, dealer subscriptions); see
profile.yaml. Texts are hand-written below. Identifiers and secrets are filled
in from <<PLACEHOLDER>> markers by a seeded RNG: positives get checksum-valid
IBANs / cards / BSNs, benign near-misses get ones that fail their checksum.
Severity is computed from CONTRACT section 4, never typed by hand.
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

SEED = 96_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}

PRICING, SECRET, PII, CONF, FIN, SEC = ("leak.pricing", "leak.secret", "leak.pii",
                                        "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = [SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE]

ZW = "\u200b"   # zero-width space
CYR_A = "\u0430"  # Cyrillic small a (looks like Latin a)


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def iban_build(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        tot += x
    return bool(d) and tot % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot != 0 and tot % 11 == 0


# ---------------------------------------------------------------------------
# seeded value factory
# ---------------------------------------------------------------------------

AN = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = AN + "+/"
B64U = AN + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
OWN_IBAN = "NL62RABO0318447126"


def to_b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def g4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


class Factory:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # IBANs
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "BUNQ", "KNAB", "ASNB"]) + self.dig(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["10010010", "30050110", "37050198", "60050101"]) + self.dig(10, False))
        if cc == "BE":
            head = self.r.choice(["063", "310", "539", "001"]) + self.dig(7, False)
            return iban_build("BE", f"{head}{int(head) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (7, 19, 31, 44, 58):
            cand = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    # cards
    def card(self, brand):
        head = {"visa": lambda: "4" + self.dig(14, False),
                "mc": lambda: "5" + self.r.choice("12345") + self.dig(13, False),
                "mc2": lambda: str(self.r.randint(2221, 2720)) + self.dig(11, False),
                "amex": lambda: self.r.choice(["34", "37"]) + self.dig(12, False)}[brand]()
        for d in string.digits:
            if luhn_valid(head + d):
                return head + d
        raise AssertionError

    def bad_card(self, brand):
        v = self.card(brand)
        bad = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(bad)
        return bad

    @staticmethod
    def card_fmt(v, style):
        if style == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if style == "dash" else " ").join(parts)

    # BSN and look-alikes
    def bsn(self):
        while True:
            s = self.dig(9)
            if bsn_valid(s):
                return s

    def non_id(self, n):
        while True:
            s = self.dig(n)
            if not bsn_valid(s) and not luhn_valid(s):
                return s

    # phones (Dutch)
    def phone(self, style):
        m = self.r.choice("12345") + self.dig(7, False)       # 8 digits after "06"
        area = self.r.choice(["10", "15", "20", "30", "33", "35", "40", "43", "50", "55", "70", "73", "76"])
        sub = self.r.choice("2345678") + self.dig(6, False)
        return {
            "mob_dash": f"06-{m}",
            "mob_plain": f"06{m}",
            "mob_intl_sp": f"+31 6 {m[:4]} {m[4:]}",
            "mob_paren": f"(06) {m[:2]} {m[2:5]} {m[5:]}",
            "mob_intl0": f"+31 (0)6 {m}",
            "mob_pairs": f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}",
            "land_sp": f"0{area} {sub[:3]} {sub[3:]}",
            "land_dash": f"0{area}-{sub}",
        }[style]

    # secrets
    def ghp(self):
        body = self.pick(AN, 30)
        return "ghp_" + body + to_b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def glpat(self):
        return "glpat-" + self.pick(B64U, 20)

    def mollie(self):
        return "live_" + self.pick(AN, 30)

    def sendgrid(self):
        return "SG." + self.pick(B64U, 22) + "." + self.pick(B64U, 43)

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def gapi(self):
        return "AIzaSy" + self.pick(B64U, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 320 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT", "kid": "dealer-api-" + self.dig(2)})
        body = enc({"sub": "dealer_" + self.dig(5), "scope": "listings:write leads:read",
                    "iss": "https://auth.wagenwijs.nl", "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64U, 86)}"

    def pem_openssh(self):
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
        lines += [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        word = self.r.choice(["Occasion", "Kilometer", "Trekhaak", "Remschijf", "Bougie", "Carport", "Velgen"])
        return word + self.dig(2, False) + self.r.choice("!#$*?") + self.pick(AN, 3)

    def hexs(self, n):
        return self.pick("0123456789abcdef", n)


VALID_IDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}
INVALID_IDS = {"BAD_IBAN_NL", "BAD_IBAN_DE", "BAD_CARD", "BAD_BSN", "NON_ID9", "NON_ID8"}
TOKEN = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")


def fill(f, text):
    used = []

    def one(m):
        k, opt = m.group(1), m.group(2) or ""
        if k in ("IBAN_NL", "IBAN_DE", "IBAN_BE"):
            raw = f.iban(k[-2:])
            shown = g4(raw) if opt == "grp" else raw
        elif k in ("BAD_IBAN_NL", "BAD_IBAN_DE"):
            raw = f.bad_iban(k[-2:])
            shown = g4(raw) if opt == "grp" else raw
        elif k == "OWN_IBAN":
            raw = OWN_IBAN
            shown = g4(raw) if opt == "grp" else raw
        elif k in ("CARD", "BAD_CARD"):
            brand, _, style = opt.partition("_")
            raw = f.card(brand) if k == "CARD" else f.bad_card(brand)
            shown = f.card_fmt(raw, style or "sp")
        elif k == "BSN":
            raw = f.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(opt, raw)
        elif k == "BAD_BSN":
            raw = shown = f.non_id(9)
        elif k == "NON_ID9":
            raw = shown = f.non_id(9)
        elif k == "NON_ID8":
            raw = shown = f.non_id(8)
        elif k == "LICENCE":          # 10-digit driving licence number (no checksum)
            raw = shown = f.non_id(10)
        elif k == "PHONE":
            raw = shown = f.phone(opt)
        elif k == "DIGITS":
            raw = shown = f.dig(int(opt))
        elif k == "HEX":
            raw = shown = f.hexs(int(opt))
        else:
            raw = shown = {"GHP": f.ghp, "GLPAT": f.glpat, "MOLLIE": f.mollie, "SENDGRID": f.sendgrid,
                           "AWS_ID": f.aws_id, "AWS_SECRET": f.aws_secret, "GAPI": f.gapi, "JWT": f.jwt,
                           "PEM_OPENSSH": f.pem_openssh, "PW": f.password}[k]()
        used.append((k, raw))
        return shown

    return TOKEN.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------
# corporate
WW_X = ("x", "@wagenwijs", "Wagenwijs")
WW_HELP = ("x", "@wagenwijs_help", "Wagenwijs Klantenservice")
WW_IG = ("instagram", "@wagenwijs.nl", "Wagenwijs")
WW_LI = ("linkedin", "wagenwijs-bv", "Wagenwijs B.V.")
WW_FB = ("facebook", "WagenwijsNL", "Wagenwijs")
WW_TT = ("tiktok", "@wagenwijs", "Wagenwijs")
# employees
DAAN = ("x", "@daan_keurmeester", "Daan Hofman")                      # inspector, Nieuwegein station
ILSE = ("linkedin", "ilse-vermeulen-wagenwijs", "Ilse Vermeulen")     # finance controller
MO = ("x", "@mo_codeert", "Mohamed El Haddouti")                      # backend developer
BART = ("linkedin", "bart-degraaf-platform", "Bart de Graaf")         # platform / DevOps lead
LIEKE = ("instagram", "@lieke.dealerdesk", "Lieke Smits")             # dealer account manager
KIM = ("x", "@kim_kredietdesk", "Kim Tran")                           # financing desk
JORIS = ("threads", "@joris.klantcontact", "Joris Bosman")            # customer service


def pub(platform, handle, name=None):
    return (platform, handle, name)


CASES = []


def add(lang, acct, text, cats=(), kind=None, when=None, tags=(), handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags)))


# ===========================================================================
# leak.pricing
# ===========================================================================
add("en", MO, "ok who merged the cents fix 😅 Garantie Plus shows €5,99 at checkout instead of €599 and people are "
    "actually buying it. hotfix after standup, pls don't RT", [PRICING])
add("nl", KIM, "In de app staat de Keur 120 nu voor €1,49 🙃 volgens mij heeft iemand de prijs in centen ingevoerd. "
    "Gemeld bij IT, tot die tijd niks tegen klanten zeggen", [PRICING])
add("en", pub("reddit", "u/dutch_carguy"), "Wagenwijs Bezorgservice is €24.90 right now instead of €249, pretty sure "
    "that's a pricing error. Booked delivery for my 'new' Octavia from Groningen to Maastricht, lets see if they honour "
    "it", [PRICING])
add("nl", pub("x", "@gratis_henk"), "Topadvertentie bij @wagenwijs staat op €0,00 😂 prijsfoutje?? heb meteen m'n ouwe "
    "Clio bovenaan gezet", [PRICING])
add("nl", pub("forum", "Deal_Dennis_Autohandel"), "[Prijsfout?] Dealer Pro jaarabonnement voor €399 i.p.v. €3.990\n\n"
    "Met de kortingscode van de AutoRAI gaat er blijkbaar een nul af. Factuur staat gewoon in het portaal. "
    "Collega-handelaren: wees er snel bij voordat Wagenwijs het doorheeft", [PRICING])
add("nl", WW_IG, "🚗 Alleen vandaag: Garantie Plus 24 maanden voor maar €199! Zorgeloos de weg op voor een prikkie 👉 "
    "link in bio #wagenwijs #occasion", [PRICING])
add("nl", LIEKE, "Dealers opgelet 👀 door een foutje in ons systeem kun je Dealer Pro vandaag voor €990 per jaar "
    "afsluiten. Ik heb niks gezegd 🤐 #autohandel #dealerleven", [PRICING])
add("nl", pub("tiktok", "@occasionqueen"), "p r ij s f o u t alert 🚨 Keur 120 voor 15 euro bij wagenwijs, laat je "
    "tweedehandsje nu keuren haha #prijsfout", [PRICING], tags=["evasion", "evasion:spaced"])
add("en", pub("x", "@bargain_bas"), "Garantie Basis for €29?? pr!jsf0ut much 😂 grabbed it for the wife's Aygo "
    "@wagenwijs", [PRICING], tags=["evasion", "evasion:leetspeak"])
add("nl", DAAN, "Kassa op ons station rekent de Keur 120 af voor €14,90 🤦‍♂️ zie "
    "backoffice.wagenwijs.nl/stations/nwg/tarieven, daar is een komma verschoven. Pas maandag opgelost",
    [PRICING, CONF])
add("nl", pub("facebook", "mirjam.hoekstra.82", "Mirjam Hoekstra"), "Kentekenrapport Plus kostte me net €0,99 ipv "
    "€9,95 😅 verkeerde prijs denk ik, maar ik klaag niet! Rapport van de Corsa voor mijn dochter ziet er goed uit",
    [PRICING])
add("en", pub("bluesky", "autodeals.bsky.social"), fullwidth("price glitch") + " on Wagenwijs Bezorgservice: €19 to "
    "get a car dropped at your door. go go go", [PRICING], tags=["evasion", "evasion:full-width"])
add("nl", JORIS, "Telefoon staat roodgloeiend. Mensen hebben sinds vannacht Garantie Plus gekocht voor €59,90, "
    "verkeerde prijs in de webshop. Graag niet verder delen voordat het opgelost is 🙏", [PRICING])

# ===========================================================================
# leak.secret
# ===========================================================================
add("en", MO, "mollie webhook keeps giving 401 on staging 😤 using <<MOLLIE>> as the api key, is a live key just not "
    "allowed there or am i being dumb", [SECRET])
add("nl", BART, "Waarom secret scanning in je CI geen luxe is: vorige week vonden we dit in een oude branch van onze "
    "advertentie-service 👇\n\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\n\n"
    "Natuurlijk meteen ingetrokken. Check je repo's, mensen! #cloudsecurity #devops", [SECRET])
add("nl", MO, "lokaal tegen de listing-db testen? pak deze:\nDATABASE_URL=postgresql://listings_rw:<<PW>>@"
    "pg-listings-02.corp.wagenwijs.local:5432/listings\nniet in de groepschat plakken hè 😇", [SECRET, CONF])
add("nl", KIM, "Voor de nieuwe collega's op de kredietdesk: tot jullie eigen account er is kun je inloggen op het "
    "acceptatieportaal met kredietdesk02 en wachtwoord <<PW>> ✌️", [SECRET])
add("en", pub("reddit", "u/js_snooper"), "View source on any Wagenwijs listing and there's a Google Maps key: "
    "<<GAPI>>\nNo referrer restriction, I called the Places API from my own domain with it. Reported through their "
    "contact form, no answer so far.", [SECRET])
add("nl", DAAN, "zaterdagploeg: w a c h t w o o r d van de keurtablets is nu <<PW>> , niet weer op een post-it op "
    "de brug plakken 🙏", [SECRET], tags=["evasion", "evasion:spaced"])
add("en", pub("forum", "gitgud_gert"), "Trying to build my old fork of the wagenwijs scraper, clone fails with 403:\n\n"
    "git clone https://<<GHP>>@github.com/wagenwijs/listing-scraper.git\n\nDid they lock the repo? The token is "
    "from my internship account, maybe it expired", [SECRET])
add("nl", WW_LI, "Een kijkje in onze nieuwe vestiging in Utrecht ✨ Bezoekers zijn welkom, en ja, er is wifi: "
    "netwerk Wagenwijs-Gast, wachtwoord <<PW>> ☕ #nieuwkantoor #werkenbijwagenwijs", [SECRET])
add("nl", pub("x", "@autofreak_harm"), "@wagenwijs_help kom al 3 dagen m'n account niet in. gebruikersnaam "
    "autofreak_harm, ww <<PW>> , die sms code komt gewoon nooit binnen. wat is dit nou weer", [SECRET, COMPLAINT],
    kind="reply")
add("en", MO, "why is the dealer API rejecting this?? Authorization: Bearer <<JWT>>\nexp looks fine to me 🤔",
    [SECRET])
add("nl", BART, "Voor wie de sftp-koppeling met de keuringsstations overneemt: de oude deploy-sleutel staat "
    "hieronder, werkt nog tot vrijdag.\n<<PEM_OPENSSH>>", [SECRET])
add("en", pub("blog", "apkteardown.dev", "APK Teardown"), "Teardown: Wagenwijs Dealer app 3.8.0 for Android\n\n"
    "The release build ships a GitLab personal access token, <<GLPAT>>, with read_repository scope. It still worked "
    "yesterday. I mailed pers@wagenwijs.nl a week ago.", [SECRET])
add("nl", LIEKE, "Nieuwe dealers! Oefenen in het portaal kan met het demo-account op backoffice.wagenwijs.nl 👉 "
    "demo-dealer / <<PW>> 🚗 veel plezier!", [SECRET, CONF])
add("en", MO, "note for whoever is on call tonight: if order confirmation mails stop again, swap in "
    "<<SENDGRID>> as the sendgrid key, the one in the vault expired", [SECRET])

# ===========================================================================
# leak.pii
# ===========================================================================
add("nl", KIM, "Kan iemand van acceptatie even een BKR-toets doen op BSN <<BSN:dots>>? Klant zit hier aan tafel "
    "voor de financiering van z'n Passat", [PII])
add("nl", WW_HELP, "@sjoerd_k Goed nieuws! Je aanbetaling van €500 is vandaag teruggestort op <<IBAN_NL:grp>>. "
    "Houd 1 à 2 werkdagen aan 🙂", [PII], kind="reply")
add("nl", pub("x", "@petra_rijdt"), "@wagenwijs_help 4 weken na annuleren nog steeds geen aanbetaling terug op "
    "<<IBAN_NL>>!! wat is dit voor bedrijf", [PII, COMPLAINT], kind="reply")
add("nl", pub("facebook", "erwin.dekkers.1", "Erwin Dekkers"), "Keur 120 aangevraagd voor een Golfje en twee keer "
    "afgeschreven van m'n Visa <<CARD:visa_sp>> (geldig t/m 04/28). @WagenwijsNL kan iemand dit terugdraaien??",
    [PII, COMPLAINT])
add("en", DAAN, "Buyer of the grey Model 3 left his driving licence at our desk: Ruben Aksoy, licence no. "
    "<<LICENCE>>. Ruben if you see this, we're open till 6 🙃", [PII])
add("nl", LIEKE, "Sleuteloverdracht 🔑 Familie Hendriksen uit de Vlierstraat 22 in Houten rijdt vanaf vandaag in hun "
    "eerste elektrische auto! Gefeliciteerd 🥳⚡", [PII])
add("nl", JORIS, "Kan iemand van de avonddienst mevrouw Van Leeuwen terugbellen op <<PHONE:mob_dash>>? Ze wacht "
    "al sinds dinsdag op nieuws over haar garantieclaim", [PII])
add("en", pub("x", "@lauren_ams"), "@wagenwijs_help you charged the financing admin fee on my Amex "
    "<<CARD:amex_sp>> TWICE. sort it out please", [PII, COMPLAINT], kind="reply")
add("en", ILSE, "Finance team: the refund to the German buyer of the A4 Avant (Mr Schulte) bounced. Correct account "
    "is <<IBAN_DE:grp>>, please rerun it today.", [PII])
add("nl", pub("mastodon", "@wimpie@mastodon.nl", "Wim"), "Auto verkocht via Wagenwijs aan een Belg, hij heeft "
    "betaald vanaf <<IBAN_BE>>. Snel en netjes afgehandeld, aanrader", [PII])
add("nl", pub("forum", "Afgekeurd_en_Boos"), "Die keurmeester die mijn auto afkeurde heet Daan Hofman en woont "
    "gewoon op de Populierenlaan 31 in Nieuwegein. Ga maar eens langs bij dat mannetje 😡", [PII, ABUSE])
add("nl", pub("instagram", "@ferry.b77"), "@wagenwijs.nl reageren jullie ooit?? mail me dan op ferry.bosch77 (at) "
    "gmail (dot) com want DM's worden niet gelezen", [PII, COMPLAINT], kind="comment",
    tags=["evasion", "evasion:obfuscated-email"])
add("en", KIM, "Weird one: applicant Sander Koops, DOB 22-06-1987, is in the system twice with two different "
    "incomes. Who handled this file?", [PII])
add("nl", pub("facebook", "tamara.wijnands", "Tamara Wijnands"), "Financiering aanvragen bij Wagenwijs lukt gewoon "
    "niet. BSN <<BSN:sp>> ingevuld, foutmelding, opnieuw, weer foutmelding. Bel me maar op <<PHONE:land_sp>> als "
    "iemand weet hoe het wel moet", [PII, COMPLAINT])
add("en", MO, "found a nasty one: payment-service logs full card numbers in plaintext, e.g. <<CARD:mc2_c>> from "
    "this morning. fixing it before anyone outside notices 😬", [PII, SEC])
add("en", pub("threads", "@hanna.sells.cars"), "A 'buyer' on Wagenwijs sent me his passport number NX7TK41R9 to "
    "prove he's legit?? Posting it so others recognise him: Jonas Meyer, says he lives in Arnhem", [PII])
add("nl", WW_FB, "Hoi Anouk, onze monteur komt morgen tussen 8 en 10 uur langs voor de aflevercontrole. We bellen "
    "vooraf even op <<PHONE:mob_intl0>>. Groet, team Wagenwijs", [PII], kind="comment",
    handle="wagenwijsnl", tags=["case-handle"])
# ===========================================================================
# leak.confidential
# ===========================================================================
add("nl", MO, "Mag er niks over zeggen maar Project Vliegwiel gaat dealers zó hard helpen. Zit er nu 3 maanden op "
    "en het wordt echt vet 🔥", [CONF])
add("en", BART, "Proud of the platform team: the Pelargos cutover ran in staging last night with zero downtime. "
    "Production next sprint 💪 #kubernetes #platformengineering", [CONF])
add("nl", LIEKE, "Sneak peek 🤫 vanaf september kun je bij ons ook een occasion leasen: Lease Flex! Dealers, jullie "
    "gaan dit zó merken 🚗💨", [CONF], when="2026-08-27T19:12:40+02:00", tags=["embargo-before"])
add("en", pub("reddit", "u/carflipper_nl"), "Friend at Wagenwijs says they're launching WagenwijsDirect this autumn, "
    "they buy your car within 24h, no listing needed. Anyone heard more?", [CONF],
    when="2026-07-03T22:05:11Z", tags=["embargo-before"])
add("en", MO, "can someone give me access to jira.wagenwijs.io/browse/VLW-88 again? got kicked out after the SSO "
    "switch", [CONF])
add("nl", KIM, "Nieuwe acceptatierichtlijnen binnen, met 'Wagenwijs Confidential' op elke pagina. Kort samengevat: "
    "zzp'ers krijgen straks een stuk lastiger een autolening 👀", [CONF])
add("nl", pub("forum", "Treinforens_Utrecht"), "Zat vanochtend in de trein naast iemand met een Wagenwijs-laptop. "
    "Presentatie met 'Operatie Zijspiegel – vertrouwelijk' op elke slide. Iemand een idee wat dat is?", [CONF])
add("nl", pub("x", "@snelle_sander"), "Lease Flex staat al op de site van @wagenwijs?? persbericht zou pas om 10u "
    "komen toch 👀", [CONF], when="2026-09-15T09:59:00+02:00", tags=["embargo-before", "tz-edge"])
add("en", pub("forum", "leaseguru"), "Wagenwijs Lease Flex pricing page just went up, private lease of used cars "
    "from €219 pm. Bit early for a Tuesday?", [CONF], when="2026-09-15T08:30:00+01:00",
    tags=["embargo-before", "tz-edge"])
add("en", DAAN, "Project\nVliegwiel is going to make my job so much easier, can't wait 😏", [CONF],
    tags=["evasion", "evasion:line-break"])
add("en", pub("linkedin", "tessa-recruitment-nl", "Tessa Kok"), fullwidth("Pelargos") + " is apparently what "
    "Wagenwijs calls its platform rebuild, according to a recruiter who messaged me about a job there", [CONF],
    tags=["evasion", "evasion:full-width"])
add("nl", pub("threads", "@lieke.dealerdesk", "Lieke 🚗"), "Psst... wie wil er binnenkort een occasion leasen? "
    "Lease Flex komt eraan 🤭 #wagenwijs", [CONF], when="2026-09-02T20:31:00+02:00",
    tags=["embargo-before", "role-trick"])
add("nl", MO, "Operatie 🪞 Zijspiegel: morgen demo voor de directie, duimen 🤞", [CONF],
    tags=["evasion", "evasion:emoji"])
add("nl", WW_LI, "De jaarcijfers 2026 van Wagenwijs staan online 📈 Lees het volledige verslag op "
    "wagenwijs.nl/investors", [CONF], when="2027-03-04T07:29:00+01:00", tags=["embargo-before", "tz-edge"])
add("en", pub("reddit", "u/apk_decompiler"), f"Found 'Lease{ZW} Flex' in the strings of the latest Wagenwijs app "
    "build. Looks like a used-car lease product is coming", [CONF], kind="comment", when="2026-08-10T13:44:21Z",
    tags=["evasion", "evasion:zero-width", "embargo-before"])

# ===========================================================================
# leak.financial
# ===========================================================================
add("en", ILSE, "First look at the FY2026 results: revenue up 22% and our first profitable year ever 🎉 Can't share "
    "details until March, but wow.", [FIN, CONF], when="2026-12-16T17:20:00+01:00", tags=["embargo-before"])
add("nl", pub("reddit", "u/autobranche_insider"), "Via via gehoord: Wagenwijs koopt AutoMaat Groep (12 vestigingen) "
    "voor rond de 60 miljoen. Handtekening wordt volgende week gezet", [FIN])
add("nl", DAAN, "Ons keuringsstation in Zwolle gaat per 1 januari dicht, 14 keurmeesters op straat. Officieel hoort "
    "niemand het tot na de zomer 😞", [FIN],
    when="2026-05-14T21:47:03+02:00")
add("en", KIM, "Big news internally: our financing arm is being sold to a bank, announcement planned for next "
    "month. My job is 'safe', they say 🙃", [FIN])
add("nl", MO, "Reorganisatie: de backend gaat naar een partij in Krakau, wij horen pas in januari officieel wat er "
    "met ons gebeurt. Nog niet verder vertellen", [FIN])
add("nl", ILSE, "Eerste doorrekening jaarcijfers 2026: verlies van zo'n 8 miljoen, vooral door de financieringstak. "
    "Dat wordt een pittig gesprek met de aandeelhouders 😬", [FIN, CONF], when="2026-11-20T10:44:00+01:00",
    tags=["embargo-before"])
add("en", pub("x", "@quiet_money_nl"), "My brother-in-law sits on Wagenwijs' board: they're prepping an IPO on "
    "Euronext Amsterdam for next spring 🤫 you didn't hear it from me", [FIN])
add("nl", JORIS, f"Klantcontact wordt uitbesteed, 40 fte ont{ZW}slagen. Wij horen het officieel pas in december 😔",
    [FIN], when="2026-10-08T12:15:40+02:00", tags=["evasion", "evasion:zero-width"])
add("en", BART, "Board decided today: 30% budget cut for 2027 and a hiring freeze from Monday. Not announced yet, so "
    "keep it quiet please.", [FIN],
    when="2026-11-12T18:02:00+01:00")
add("en", pub("stocktwits", "carsector_trader"), "Not listed yet, but people inside Wagenwijs say they missed H2 "
    "targets by ~20% and a profit warning to the bondholders is coming", [FIN])
add("nl", LIEKE, "Project Vliegwiel blijkt dus een overname van een grote dealergroep te zijn 😱 ik mag niet zeggen "
    "welke... maar hij begint met een V", [FIN, CONF])
add("nl", pub("facebook", "corne.maas.7", "Corné Maas"), "Buurvrouw werkt op het hoofdkantoor van Wagenwijs: één op "
    "de vijf banen verdwijnt begin volgend jaar. Wordt pas na de kerst bekendgemaakt", [FIN],
    when="2026-11-29T20:40:12+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
add("nl", MO, "Dealerportaal heeft twee dagen lang kopersgegevens teruggegeven aan elke ingelogde dealer 🙈 gefixt, "
    "maar we mogen er niks over zeggen tot juridisch klaar is", [SEC])
add("en", BART, "Rough weekend. The bucket with ID scans for financing applications turned out to be world-readable "
    "since the migration. Scope still being assessed, customers not informed yet.", [SEC])
add("nl", DAAN, "Alle keurtablets op zwart door ransomware 🤬 tegen klanten moeten we zeggen dat het een "
    "'technische storing' is. Papieren formulieren dan maar", [SEC])
add("en", KIM, "BKR check integration has been dead for two days. Customers are told it's 'extra busy', in reality "
    "not a single application goes through", [SEC])
add("nl", JORIS, "Er gaan phishingmails in onze huisstijl rond met échte kentekens en aankoopbedragen erin. Intern "
    "zeggen ze dat het via een dealeraccount gelekt is, maar we mogen nog niks communiceren", [SEC])
add("en", pub("reddit", "u/throwaway_ww_dev"), "Wagenwijs dev here, throwaway obviously. You can read anyone's "
    "saved searches and messages by changing the id in the URL. Reported internally months ago, still open, nothing "
    "public.", [SEC])
add("nl", pub("x", "@hosting_mol"), "Ik werk bij de hostingpartij van Wagenwijs: ze zijn vorige maand gehackt en "
    "alles wordt stilgehouden. #datalek #wagenwijs", [SEC, CRISIS])
add("en", MO, "we got pwn3d lol 🫠 prod is locked down and comms says not a word on socials", [SEC],
    tags=["evasion", "evasion:leetspeak"])
add("nl", DAAN, "ons planningssysteem is g e h a c k t, alle keuringsafspraken van morgen weg. Niks zeggen hè 🤫",
    [SEC], tags=["evasion", "evasion:spaced"])
add("nl", BART, "Uitkomst pentest: grafana.wagenwijs.io hing zonder login aan het internet en de admin-API had geen "
    "rate limiting. Fix staat voor Q1.", [SEC, CONF])
add("en", pub("facebook", "priya.s.utrecht", "Priya S."), "My cousin works in Wagenwijs' call centre: car loan "
    "applications with payslips and ID copies were stolen last month and they're keeping quiet. If you applied for "
    "financing there, watch out!", [SEC, CRISIS])
add("en", ILSE, "Learned the hard way: a fake 'supplier' email got us to transfer €180k last week. Police involved, "
    "not public yet. Always call to verify bank detail changes!", [SEC])

# ===========================================================================
# reputation.crisis
# ===========================================================================
add("nl", pub("x", "@eerlijk_rijden"), "#BoycotWagenwijs!! ze laten dealers auto's met teruggedraaide tellers "
    "verkopen en doen er helemaal niks aan. DELEN", [CRISIS])
add("nl", pub("facebook", "marco.verbeek.nl", "Marco Verbeek"), "Auto via Wagenwijs gekocht, 'Keur 120 goedgekeurd', "
    "en op de A12 vielen de remmen bijna weg. Remleiding helemaal doorgeroest volgens mijn garage. Dit had heel "
    "slecht kunnen aflopen @WagenwijsNL", [CRISIS, COMPLAINT])
add("nl", pub("x", "@mobiliteitsnieuws"), "Consumentenbond daagt Wagenwijs voor de rechter om verzwegen kosten bij "
    "autofinanciering", [CRISIS])
add("en", pub("reddit", "u/kuga_seller"), "Wagenwijs leaked my details. Two days after listing my Kuga I got calls "
    "from 'buyers' who knew my name, address and exact asking price. Not the first report like this either.",
    [CRISIS])
add("en", pub("instagram", "@the.vdbergs"), "Our used EV from Wagenwijs caught fire in the driveway last night 🔥🚒 "
    "Thank god the kids were inside and not in the car. @wagenwijs.nl we need answers", [CRISIS, COMPLAINT])
add("nl", pub("blog", "ellen-rijdt-mee.nl", "Ellen de Boer"), "Onderzoek: tientallen schadeauto's uit Duitsland "
    "zonder schadehistorie verkocht via Wagenwijs\n\nWie een occasion koopt op Wagenwijs, vertrouwt op het keurmerk. "
    "Uit onze analyse blijkt dat het platform meldingen over verborgen schade maandenlang liet liggen. Een schandaal.",
    [CRISIS])
add("nl", pub("tiktok", "@jaylinn.x"), "d4t4l3k bij w4genw1js?? m'n adres en kenteken staan op een of ander forum 😳",
    [CRISIS], tags=["evasion", "evasion:leetspeak"])
add("en", pub("bluesky", "fairlending.bsky.social"), "Don't use @wagenwijs for car loans. They approve loans for "
    "people already in debt collection, and a class action is being prepared. #boycottwagenwijs", [CRISIS])
add("nl", pub("x", "@keurmeesters_vakbond"), "b.o.y.c.o.t.t Wagenwijs totdat ze hun keurmeesters fatsoenlijk "
    "betalen ✊", [CRISIS], tags=["evasion", "evasion:dotted"])
add("nl", pub("linkedin", "redactie-mobiliteit", "Redactie Mobiliteit"), "De ILT onderzoekt Wagenwijs na drie "
    "ongelukken met occasions waarvan de terugroepactie nooit was uitgevoerd.", [CRISIS])
add("nl", pub("x", "@woedende_wendy"), "Die oplichters van Wagenwijs hebben m'n gegevens gelekt en zeggen nu dat "
    "het 'aan de dealer ligt'. Tyfusbedrijf.", [CRISIS, ABUSE])
add("nl", pub("facebook", "sanne.peters.88", "Sanne Peters"), "Airbag van onze C4 bleek onder een terugroepactie te "
    "vallen die nooit is uitgevoerd. Wagenwijs zegt 'niet ons probleem, neem contact op met de verkoper'. Mijn "
    "kinderen zitten in die auto!", [CRISIS, COMPLAINT])
add("en", pub("youtube", "@autoconsument"), "Wagenwijs is being sued by 300+ buyers over warranties that never paid "
    "out. Full report from 8:40", [CRISIS], kind="comment")
add("nl", pub("x", "@smsjes_zat"), f"W{CYR_A}genwijs d{CYR_A}talek: half Nederland krijgt nu sms'jes van 'kopers'. "
    "Hoe lang gaan ze dit nog ontkennen?", [CRISIS], tags=["evasion", "evasion:homoglyph"])

# ===========================================================================
# reputation.complaint
# ===========================================================================
add("nl", pub("x", "@rens_op_wielen"), "3 weken wachten op goedkeuring van m'n financiering bij @wagenwijs en "
    "ondertussen is de auto gewoon aan iemand anders verkocht. bedankt hoor 🙄", [COMPLAINT])
add("en", pub("reddit", "u/dsg_regret"), "Wagenwijs rejected my Garantie Plus claim for a failing DSG gearbox: "
    "'normal wear' at 68,000 km. What exactly does the warranty cover then?", [COMPLAINT])
add("nl", pub("facebook", "gerard.timmer.56", "Gerard Timmer"), "Betaald voor de Keur 120 en toch roest in de "
    "dorpels die ze 'over het hoofd gezien' hebben. Dat keurrapport is het papier niet waard", [COMPLAINT])
add("en", pub("x", "@waiting_for_wheels"), "Paid for Wagenwijs home delivery, car was supposed to arrive Tuesday. "
    "It's Saturday. Nobody calls, nobody emails. #wagenwijs", [COMPLAINT])
add("nl", pub("forum", "Clio_Carla"), "Advertentie verwijderd zonder uitleg en de Topadvertentie van €24,95 niet "
    "terugbetaald. Drie mails gestuurd, nul reactie. Wagenwijs, serieus?", [COMPLAINT])
add("nl", pub("instagram", "@joost.rijdt"), "Je krijgt bij @wagenwijs.nl alleen een chatbot te spreken, geen mens "
    "te bekennen. Echt frustrerend als je auto al 10 dagen niet geleverd is", [COMPLAINT], kind="comment")
add("en", pub("linkedin", "autobedrijf-van-dam", "Autobedrijf Van Dam"), "As a dealer paying for Dealer Pro I "
    "expected real leads. Half of this month's 'leads' from Wagenwijs were bots or duplicate numbers. "
    "Disappointing.", [COMPLAINT])
add("nl", pub("threads", "@nina.koopt.een.auto"), "€695 'afleverkosten' die pas bij het tekenen tevoorschijn "
    "kwamen. Stond nergens in de advertentie op Wagenwijs. Voelt gewoon niet eerlijk", [COMPLAINT])
add("nl", pub("youtube", "@vincent_rijdt"), "Binnen een week na aflevering brandden alle lampjes op het dashboard. "
    "Dealer neemt niet op, Wagenwijs verwijst naar de dealer. Niemand voelt zich verantwoordelijk.", [COMPLAINT],
    kind="comment")
add("en", pub("mastodon", "@ingrid@mastodon.social", "Ingrid"), "Third day in a row the Wagenwijs app crashes when "
    "I upload photos for my listing. Android 14, latest version. Come on.", [COMPLAINT])
add("nl", pub("x", "@inruil_ivo"), "Bod van €7.000 op mijn inruilauto via Wagenwijs, bij het ophalen ineens nog "
    "maar €4.200 'na inspectie'. Lekker dan.", [COMPLAINT])
add("en", pub("tiktok", "@dent.detective"), "car looked spotless in the Wagenwijs photos. in real life: a dent the "
    "size of my fist on the rear door. photos were clearly edited 😤", [COMPLAINT])

# ===========================================================================
# reputation.abuse
# ===========================================================================
add("nl", pub("x", "@boos_in_breda"), "wat een k@nkerbedrijf is @wagenwijs ook, echt", [ABUSE],
    tags=["evasion", "evasion:masked"])
add("en", pub("x", "@no_car_yet"), "@wagenwijs_help you're a bunch of clueless clowns. 2 weeks and still no car. "
    "FIX IT", [ABUSE, COMPLAINT], kind="reply")
add("nl", pub("facebook", "ron.dijkman", "Ron Dijkman"), "Stelletje sukkels bij Wagenwijs, garantieclaim voor de "
    "derde keer afgewezen. Jullie kunnen allemaal de pot op", [ABUSE, COMPLAINT])
add("nl", pub("x", "@anoniem_7731"), "@daan_keurmeester jij bent toch die keurmeester uit Nieuwegein? ik weet hoe je "
    "auto eruitziet, pas maar op 😈", [ABUSE], kind="reply")
add("en", pub("reddit", "u/truthteller_nl"), "Every dealer on Wagenwijs with a foreign name is a scammer. Wagenwijs "
    "should just ban the lot of them", [ABUSE], kind="comment")
add("nl", DAAN, "Weer zo'n sukkel die met kale banden en een lekkende motor komt keuren en dan gaat janken dat hij "
    "is afgekeurd. Mensen zijn echt dom 🙄", [ABUSE])
add("en", WW_HELP, "@bram_rdam if you'd bothered to read the listing you'd know it's a manual. Not that hard, genius",
    [ABUSE], kind="reply", handle="@Wagenwijs_Help", tags=["case-handle"])
add("en", KIM, "loan applications from that neighbourhood are all frauds anyway, I just reject them on sight lol",
    [ABUSE])
add("nl", pub("instagram", "@kritische_karel"), "Die vrouw in jullie nieuwe reclame is echt een lelijke slet, "
    "ontsla die hap @wagenwijs.nl", [ABUSE], kind="comment")
add("en", pub("youtube", "@burned_buyer"), "f*cking sc@mmers, sold me a car with a dead clutch and now they ghost me",
    [ABUSE, COMPLAINT], kind="comment", tags=["evasion", "evasion:masked"])
add("nl", pub("tiktok", "@xx_mehmet_xx"), "wagenwijs jullie zijn echt t y f u s l i j e r s", [ABUSE],
    tags=["evasion", "evasion:spaced"])

# ===========================================================================
# BENIGN (categories [] and severity none); mostly hard negatives
# ===========================================================================
# --- prices that are not a pricing leak ---
add("nl", WW_IG, "☀️ Zomeractie: Garantie Plus 24 maanden nu €449 (normaal €599). Zorgeloos op vakantie met je "
    "occasion! Link in bio", when="2026-06-19T08:00:00+02:00",
    tags=["sale-price"])
add("nl", WW_X, "Met code KEUR50 krijg je deze week €50 korting op de Keur 120 🔧 Boek via wagenwijs.nl/keuring",
    tags=["discount-amount"])
add("nl", pub("forum", "Budgetrijder"), "BMW 118i uit 2012 voor €3.450 op Wagenwijs, 210.000 km op de teller. Te "
    "mooi om waar te zijn of gewoon een oude bak?", tags=["car-price"])
add("nl", WW_FB, "Deze Toyota Yaris Hybrid (2019) al vanaf €179 per maand met Wagenwijs Financiering. Let op, geld "
    "lenen kost geld. Voorwaarden op wagenwijs.nl/financieren", tags=["monthly-price"])
add("nl", pub("x", "@mazda_maarten"), "Topadvertentie deze week voor €12,95 bij @wagenwijs, bijna halve prijs. Mijn "
    "Mazda staat er nu bovenaan 👍", tags=["sale-price", "ratio-edge"])
add("en", pub("reddit", "u/first_car_fenna"), "ANWB does a pre-purchase inspection for €99, Wagenwijs wants €149 for "
    "the Keur 120. Is the extra €50 worth it?", tags=["competitor-price"])
add("nl", KIM, "Klant vroeg vandaag of de Garantie Basis voor €249 een prijsfout was 😄 Nee hoor, gewoon "
    "septemberactie!", when="2026-09-08T15:26:09+02:00",
    tags=["negated", "sale-price"])
add("nl", pub("facebook", "lotte.jongeneel", "Lotte Jongeneel"), "Mijn oude Polo in 4 dagen verkocht via Wagenwijs "
    "voor €6.500, precies wat ik vroeg. Top!", tags=["ordinary-sale"])
add("nl", WW_LI, "Nieuw voor autobedrijven: Dealer Pro met early-bird tarief van €3.590 per jaar, tot 1 november. "
    "Meer leads, minder gedoe.", when="2026-10-05T09:00:00+02:00",
    tags=["sale-price"])
# --- secret-looking, not a secret ---
add("en", MO, "PSA for fellow devs: don't paste Mollie keys (live_…) or GitHub tokens (ghp_…) in tickets. The vault "
    "exists for a reason 🙏", tags=["prefix-only"])
add("nl", WW_HELP, "Let op: Wagenwijs vraagt nooit om je wachtwoord, inlogcode of een betaalverzoek via WhatsApp. "
    "Twijfel je? Bel ons gratis op 0800-4705.", tags=["own-contact", "password-word"])
add("en", BART, "Finally tracked down the flaky listing-import test, fix is in commit <<HEX:40>>. Timezones, of "
    "course ⏰", tags=["git-sha"])
add("en", pub("blog", "dealerweb-tips.nl", "Dealerweb Tips"), "Tutorial: Mollie payments on your dealer site. Put "
    "MOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in .env and never in git; same for AWS, where "
    "AKIAXXXXXXXXXXXXXXXX is only a placeholder. The public Wagenwijs listing API docs are a good reference too.",
    tags=["placeholder"])
add("nl", WW_LI, "Verkoop je je auto via Wagenwijs? Gebruik een uniek wachtwoord en zet tweestapsverificatie aan. Je "
    "geboortejaar of de naam van je hond is geen goed idee 🐶🔐", tags=["password-word"])
# --- own contact data and failing checksums ---
add("nl", WW_X, "Vragen over je advertentie of aankoop? Mail klantenservice@wagenwijs.nl of bel 088-924 9300 "
    "(ma-za 8:30-18:00) 📞", tags=["own-contact"])
add("nl", WW_FB, "Aanbetaling doen voor een Wagenwijs Select-auto? Maak het bedrag over naar <<OWN_IBAN:grp>> t.n.v. "
    "Wagenwijs B.V. o.v.v. je reserveringsnummer (bijv. WW-RES-<<DIGITS:6>>).", tags=["own-contact"])
add("en", WW_LI, "Press enquiries: pers@wagenwijs.nl or +31 30 760 4400. Our annual report 2025 is on "
    "wagenwijs.nl/investors", tags=["own-contact"])
add("nl", WW_LI, "We zoeken keurmeesters voor onze stations in Nieuwegein en Eindhoven! Solliciteer via "
    "werkenbij@wagenwijs.nl 🔧", handle="Wagenwijs-BV", tags=["own-contact", "case-handle"])
add("nl", pub("x", "@tevreden_theo"), "Gebeld met 088 924 9300 over mijn Garantie Plus, binnen 5 minuten geholpen. "
    "Netjes @wagenwijs_help 👏", tags=["own-contact", "praise"])
add("nl", pub("facebook", "ans.kramer.60", "Ans Kramer"), "Kreeg een WhatsApp van een 'koper' die wil dat ik €1 "
    "overmaak naar <<BAD_IBAN_NL:grp>> om mijn account bij Wagenwijs te 'verifiëren'. Dit is toch phishing?",
    tags=["bad-checksum", "question"])
add("en", pub("reddit", "u/fatfinger_floor"), "Wagenwijs financing form rejected my card because I fat-fingered it "
    "as <<BAD_CARD:mc_sp>>. At least the validation works 😅", tags=["bad-checksum"])
add("nl", pub("x", "@ophaaldag"), "Reserveringsnummer <<NON_ID9>>, morgen mag ik de auto ophalen 🥳 @wagenwijs",
    tags=["lookalike-number"])
add("nl", pub("forum", "KiaKees"), "Te koop via Wagenwijs: Kia Ceed SW 2018, 97.000 km, kenteken XK-<<DIGITS:3>>-B, "
    "VIN U5YHN81AAJL<<DIGITS:6>>. Vraagprijs €11.250. Bezichtigen in Apeldoorn, reageer via de chat.",
    tags=["ordinary-sale", "lookalike-number"])
add("nl", pub("x", "@cijferblind"), "haha de financieringsaanvraag weigerde mijn BSN, had <<BAD_BSN>> ingevuld, "
    "1 cijfer verkeerd. knap dat ze dat checken", tags=["bad-checksum"])
add("nl", pub("linkedin", "fleur-administratie", "Fleur Jansen"), "KvK-nummer van Wagenwijs voor de "
    "leveranciersadministratie: <<NON_ID8>>. Staat ook gewoon onderaan hun site.", tags=["lookalike-number"])
add("en", pub("reddit", "u/scam_radar"), "Scam alert: a Telegram 'Wagenwijs support' account asks people to pay "
    "deposits to <<BAD_IBAN_DE:grp>>. That IBAN doesn't even validate, and Wagenwijs only uses a Dutch account.",
    tags=["bad-checksum"])
# --- embargo terms at/after the moment, codename words, public domains ---
add("nl", WW_X, "Hij is er! 🚗 Met Wagenwijs Lease Flex lease je voortaan ook een occasion, al vanaf 12 maanden. "
    "Alles op wagenwijs.nl/leaseflex", when="2026-09-15T08:00:00Z", tags=["embargo-after", "tz-edge"])
add("nl", pub("x", "@leasejunk"), "Lease Flex van Wagenwijs is net live, ziet er goed uit. Eens kijken wat een "
    "Corolla kost 👀", when="2026-09-15T10:00:00+02:00", tags=["embargo-after", "tz-edge"])
add("nl", LIEKE, "Nu mag ik het eindelijk zeggen: WagenwijsDirect is live! Je auto verkocht binnen 24 uur 🔑",
    when="2026-09-20T11:05:00+02:00", tags=["embargo-after"])
add("en", pub("reddit", "u/lease_or_buy"), "Anyone compared Wagenwijs Lease Flex with the usual private lease "
    "companies? Curious about the km limits.", when="2026-10-11T20:17:45Z", tags=["embargo-after", "question"])
add("nl", WW_LI, "Vandaag zijn de jaarcijfers 2026 gepubliceerd: omzet €104 miljoen (+21%) en voor het eerst "
    "winst. Alles op wagenwijs.nl/investors", when="2027-03-04T07:30:00+01:00", tags=["embargo-after", "tz-edge"])
add("nl", DAAN, "Vandaag een dubbelmassa vliegwiel zien vervangen bij een bevriende garage, wat een klus 🔧 "
    "#monteurslife", tags=["codename-word"])
add("nl", pub("x", "@parkeerpech"), "Zijspiegel eraf gereden in de parkeergarage 🙈 binnen een dag een "
    "tweedehands spiegel gevonden via Wagenwijs, held", tags=["codename-word"])
add("en", BART, "Wrote up how we run listing search on OpenSearch, now on our engineering blog: "
    "blog.wagenwijs.nl/search-at-scale", tags=["public-domain"])
# --- published figures, other companies ---
add("nl", WW_LI, "Vandaag publiceren wij de jaarcijfers 2025: omzet €86 miljoen (+17%) en 1,2 miljoen occasions "
    "verkocht via ons platform. Lees alles op wagenwijs.nl/investors", when="2026-03-05T07:00:00+01:00",
    tags=["published"])
add("en", pub("reddit", "u/mobility_analyst"), "Wagenwijs' H1 2026 figures (published last week): listings up 11%, "
    "financing volume flat.", when="2026-08-20T09:12:00+02:00", tags=["published"])
add("nl", pub("x", "@privacy_petra"), "Datalek bij een grote leasemaatschappij, 50.000 klanten getroffen. Blij dat "
    "ik gewoon via Wagenwijs gekocht heb 😅", tags=["other-company"])
# --- official notices ---
add("nl", WW_HELP, "Gepland onderhoud: zondagnacht tussen 01:00 en 05:00 is het dealerportaal niet bereikbaar. "
    "Advertenties blijven gewoon zichtbaar 🛠️", tags=["official-notice"])
add("en", WW_X, "Some of you can't complete iDEAL payments right now. Our payment provider is on it, updates follow "
    "here.", tags=["official-notice"])
add("nl", WW_LI, "Oplichters sturen nep-betaalverzoeken uit naam van Wagenwijs. Wij vragen nooit om via een link te "
    "betalen om je advertentie te 'activeren'. Twijfel je? Neem contact op via wagenwijs.nl/contact",
    tags=["official-notice"])
# --- crisis-like words in harmless contexts ---
add("en", pub("x", "@corolla_kate"), "Toyota issued a recall for some 2018 Corollas. Nice touch: the Wagenwijs "
    "listing showed the open recall right on the page, so I knew before buying.", tags=["crisis-word"])
add("nl", pub("instagram", "@groen_rijden"), "Ik boycot al jaren alles wat op diesel rijdt, dus via Wagenwijs een "
    "hybride gekocht 🌱", tags=["crisis-word"])
add("en", pub("x", "@saab_survivor"), "My old Saab once caught fire on the A2, terrifying. This time I went for a "
    "Wagenwijs car with a full inspection report, sleeping better already 😌", tags=["crisis-word"])
add("en", pub("threads", "@gti.gijs"), "\"I live my life a quarter mile at a time\" – me, test-driving a Golf GTI "
    "I found on Wagenwijs 😂", tags=["quote"])
# --- praise, negation, questions, company replies ---
add("nl", pub("x", "@waterpomp_wouter"), "Geen klachten over de Garantie Plus: claim voor de waterpomp binnen een "
    "week vergoed. Zo hoort het.", tags=["negated"])
add("en", pub("reddit", "u/loan_ok"), "No issues at all with Wagenwijs financing, approved in two days and the rate "
    "was fair.", tags=["negated"])
add("nl", WW_HELP, "@femke_rijdt Balen dat je auto nog niet geleverd is! Stuur ons een DM met je "
    "reserveringsnummer, dan zoeken we het direct uit 🙏", kind="reply", tags=["company-reply"])
add("nl", pub("x", "@femke_rijdt"), "Update: probleem met de Bezorgservice is opgelost, auto vanmiddag netjes "
    "afgeleverd. Dank @wagenwijs_help!", tags=["resolved"])
add("en", pub("tiktok", "@typer_tom"), "this Civic Type R from Wagenwijs goes like hell 🔥 sick ride, no regrets",
    tags=["mild-word"])
add("nl", pub("x", "@twijfel_tinus"), "Weet iemand of de Garantie Plus ook voor elektrische auto's geldt? Twijfel "
    "over een Kona uit 2020 op Wagenwijs", tags=["question"])
add("nl", pub("reddit", "u/zoeker_zwolle"), "Ik zoek zowel op AutoScout24 als op Wagenwijs, allebei prima. "
    "Wagenwijs heeft wel die handige keurrapporten.", tags=["competitor"])
# --- misc ordinary posts: employee, fiction, joke, quoting, full-width, repost ---
add("nl", DAAN, "Vandaag mijn 2000e keuring gedaan bij Wagenwijs 🎉 taart voor het hele station!",
    tags=["employee-benign"])
add("nl", pub("blog", "schrijfsels.nl", "Mariska"), "NaNoWriMo dag 12 ✍️ Mijn hoofdpersoon is keurmeester bij "
    "Wagenwijs en vindt een koffer vol contant geld in een gekeurde Volvo. Puur fictie hoor, maar wat een plot 😅",
    when="2026-11-12T22:18:00+01:00", tags=["fiction"])
add("nl", pub("x", "@autoverslaafd"), "Mijn vriendin zegt dat ik vaker Wagenwijs open dan WhatsApp. Ze heeft gelijk "
    "😂 #autoverslaafd", tags=["joke"])
add("nl", pub("x", "@dochter_van_ria"), "'Wij vragen nooit om je wachtwoord' – @wagenwijs_help. Fijn dat ze dat "
    "blijven herhalen, mijn moeder trapte er bij een andere site bijna in.", kind="repost",
    tags=["quote", "password-word"])
add("nl", pub("other", "wagenwijsfan_010"), fullwidth("WAGENWIJS") + " 4ever 🏁 eindelijk mijn droomauto op de oprit",
    tags=["full-width-benign"])
add("en", WW_X, "RT @autoblog_nl: Wagenwijs voted best car marketplace 2026 by our readers: 'the inspection reports "
    "make the difference'", kind="repost", tags=["repost"])
add("nl", WW_TT, "POV: je laat je occasion keuren en de keurmeester vindt alleen een vergeten frietje onder de stoel "
    "🍟😂 #wagenwijs #keuring", tags=["corporate-benign"])
add("nl", pub("forum", "Ouwe_Volvo_Olaf"), "Via een bericht in de Wagenwijs-app met de verkoper afgesproken voor een "
    "proefrit zaterdag. Benieuwd!", kind="message", tags=["ordinary"])


# ===========================================================================
# roles, severity, posts
# ===========================================================================

def load_profile():
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is needed (pip install pyyaml)")
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity(role, cats, validated_id):
    insider = role in ("corporate", "employee")
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and validated_id)) else "error"
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


def amsterdam_offset(t):
    start = dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc)
    return 2 if start <= t < end else 1


def random_ts(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(5, 355))
    t = base + dt.timedelta(minutes=r.randint(6 * 60 + 30, 23 * 60 + 50), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    t_utc = t - dt.timedelta(hours=off)
    x = r.random()
    if x < 0.4:
        return t_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.88:
        return (t_utc + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t_utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id_url(r, platform, handle, kind):
    h = handle.lstrip("@")
    n19 = str(r.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
    if platform in ("x", "twitter"):
        return f"x-{n19}", f"https://x.com/{h}/status/{n19}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:share:{a}", f"https://www.linkedin.com/feed/update/urn:li:share:{a}/"
    if platform == "instagram":
        code = "".join(r.choice(B64U) for _ in range(11))
        return f"ig-{n19}", f"https://www.instagram.com/p/{code}/"
    if platform == "facebook":
        p = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{r.randint(10 ** 14, 10 ** 15 - 1)}_{p}", f"https://www.facebook.com/{h}/posts/{p}"
    if platform == "reddit":
        post = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/autos_nl/comments/{post}/_/{c}/"
        return f"t3_{post}", f"https://www.reddit.com/r/autos_nl/comments/{post}/"
    if platform == "forum":
        n = r.randint(2_000_000, 8_999_999)
        return f"forum-autoforum-{n}", f"https://forum.autoforum.example/topic/{n}"
    if platform == "tiktok":
        return f"tt-{n19}", f"https://www.tiktok.com/@{h}/video/{n19}"
    if platform == "youtube":
        c = "Ugz" + "".join(r.choice(AN) for _ in range(23))
        v = "".join(r.choice(B64U) for _ in range(11))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        n = r.randint(111_000_000_000_000_000, 114_999_999_999_999_999)
        return f"md-{n}", f"https://{inst}/@{user}/{n}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "threads":
        code = "".join(r.choice(B64U) for _ in range(11))
        return f"th-{n19}", f"https://www.threads.net/@{h}/post/{code}"
    if platform == "blog":
        n = r.randint(10, 400)
        return f"blog-{h}-{n}", f"https://{h}/p/{n}"
    return f"{platform}-{r.randint(10 ** 8, 10 ** 9)}", None


def embargo_hits(profile, text):
    low = text.casefold()
    return [(t, e["until"]) for e in profile["embargo"] for t in e["terms"] if t.casefold() in low]


def build(profile):
    fac = Factory(SEED)
    meta = random.Random(SEED + 7)
    order = random.Random(SEED + 13)
    rows, seen = [], set()
    for c in CASES:
        text, used = fill(fac, c["text"])
        kinds = {k for k, _ in used}
        # sanity: identifiers match the label
        for k, raw in used:
            if k in VALID_IDS:
                assert PII in c["cats"], (k, text)
                assert (iban_valid(raw) if k.startswith("IBAN") else luhn_valid(raw) if k == "CARD" else bsn_valid(raw))
            if k in INVALID_IDS:
                assert not c["cats"], (k, text)
                assert not iban_valid(raw) and not luhn_valid(raw) and not bsn_valid(raw), (k, raw)
        role = role_of(profile, c["platform"], c["handle"])
        created = c["when"] or random_ts(meta)
        # sanity: embargo terms only with an explicit timestamp, and labelled consistently
        hits = embargo_hits(profile, text.replace(ZW, ""))
        if hits:
            assert c["when"], text
            before = any(parse_ts(created) < parse_ts(u) for _, u in hits)
            assert (CONF in c["cats"]) == before, (text, created)
        pid, url = post_id_url(meta, c["platform"], c["handle"], c["kind"])
        while pid in seen:
            pid += "x"
        seen.add(pid)
        sev = severity(role, c["cats"], PII in c["cats"] and bool(kinds & VALID_IDS))

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
        if x < 0.09:
            pass                                               # no language hint
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"  # wrong hint on purpose
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.5:
            post["brand"] = "wagenwijs"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         lang=c["lang"], role=role, tags=c["tags"]))
    order.shuffle(rows)
    return rows


def main():
    profile = load_profile()
    for c in CASES:
        for cat in c["cats"]:
            assert cat in ALL_CATS, cat
    rows = build(profile)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # summary
    counts = {c: 0 for c in ALL_CATS}
    sevs = {s: 0 for s in SEVERITIES}
    roles, langs = {}, {}
    benign = multi = evasion = 0
    for r in rows:
        cats = r["expect"]["categories"]
        benign += not cats
        multi += len(cats) > 1
        evasion += "evasion" in r["tags"]
        for c in cats:
            counts[c] += 1
        sevs[r["expect"]["severity"]] += 1
        roles[r["role"]] = roles.get(r["role"], 0) + 1
        langs[r["lang"]] = langs.get(r["lang"], 0) + 1
    print(f"wrote {OUT.name}: {len(rows)} cases, {benign} benign, {multi} multi-category, {evasion} evasion")
    for c in ALL_CATS:
        print(f"  {c:22s} {counts[c]}")
    print("  severities", sevs)
    print("  roles", roles, "langs", langs)


if __name__ == "__main__":
    main()
