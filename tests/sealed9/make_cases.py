#!/usr/bin/env python3
"""Sealed eval set 9 for postwatch: fictional Dutch online pharmacy "Pilbox B.V.".

    python3 make_cases.py          # write profile.yaml + cases.jsonl, then validate
    python3 make_cases.py --check  # validate only (regenerates in memory and compares)

Stdlib + PyYAML. Deterministic (SEED). Severities are computed by severity_for()
(CONTRACT section 4), never typed by hand. Positives get checksum-valid identifiers,
benign look-alikes get identifiers that fail their checksum.
"""
import base64, datetime as dt, json, random, re, string, sys, zlib
from pathlib import Path
import yaml

SEED = 90417
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROF = HERE / "profile.yaml"
TAXONOMY = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"]
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
KINDS = ["post", "reply", "repost", "comment", "message"]
ZW, SHY = "\u200b", "\u00ad"


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in s)


# ------------------------------------------------------------------ checksums
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
    t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch) * (2 if i % 2 else 1)
        t += x - 9 if x > 9 else x
    return bool(d) and t % 10 == 0


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


OWN_IBAN = iban_make("NL", "INGB0006271840")

# ------------------------------------------------------------------ profile
PROFILE = {
    "company": "Pilbox B.V.",
    "brands": ["Pilbox", "Pilbox Apotheek", "PilboxApp"],
    "accounts": {
        "corporate": ["x:@pilbox_nl", "x:@pilbox_zorg", "instagram:@pilbox.nl",
                      "linkedin:pilbox-bv", "facebook:PilboxApotheek"],
        "employee": ["x:@marloes_pilbox", "linkedin:daan-kok-pilbox", "linkedin:yasmina-bouali",
                     "x:@rickhuisman", "x:@ineke_apotheker"],
    },
    "public_identifiers": {
        "emails": ["service@pilbox.nl", "pers@pilbox.nl", "privacy@pilbox.nl"],
        "phones": ["+31 30 760 0400", "0800-7452"],
        "ibans": [OWN_IBAN],
        "domains": ["pilbox.nl", "www.pilbox.nl", "app.pilbox.nl"],
    },
    "internal": {
        "domains": ["corp.pilbox.internal", "gitlab.pilbox.nl", "wiki.pilbox.nl", "vpn.pilbox.nl"],
        "codenames": ["Project Kwartel", "Operatie Duizendblad", "Project Tidewater"],
        "markers": ["strikt vertrouwelijk", "pilbox internal only"],
    },
    "embargo": [
        {"terms": ["Pilbox Telezorg", "Telezorg-consult"], "until": "2026-03-02T08:00:00Z"},
        {"terms": ["Pilbox Duo", "jaarresultaten 2026", "H2-cijfers 2026", "FY2026 results"],
         "until": "2027-03-05T07:00:00Z"},
    ],
    "products": [
        {"sku": "PB-D3F", "name": "Pilbox Vitamine D3 Forte 100 tabletten",
         "aliases": ["Vitamine D3 Forte", "D3 Forte"], "list_price": 14.95, "currency": "EUR"},
        {"sku": "PB-BPM", "name": "Pilbox SmartPressure bloeddrukmeter",
         "aliases": ["SmartPressure", "Smart Pressure"], "list_price": 89.00, "currency": "EUR"},
        {"sku": "PB-DISP", "name": "Pilbox MediDispenser",
         "aliases": ["MediDispenser", "Medi Dispenser"], "list_price": 249.00, "currency": "EUR"},
        {"sku": "PB-TEMP", "name": "Pilbox OorTemp thermometer",
         "aliases": ["OorTemp", "OorTemp Pro"], "list_price": 44.95, "currency": "EUR"},
        {"sku": "PB-SLW", "name": "Pilbox SlaapWel melatonine spray",
         "aliases": ["SlaapWel spray", "SlaapWel"], "list_price": 12.49, "currency": "EUR"},
    ],
    "pricing": {"alert_below_ratio": 0.5},
}

# ------------------------------------------------------------------ generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = string.ascii_letters + string.digits + "+/"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62)
        o = B62[r] + o
    return o or "0"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dg(self, n, nz=True):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s

    def ch(self, a, n):
        return "".join(self.r.choice(a) for _ in range(n))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["ABNA", "INGB", "RABO", "SNSB", "BUNQ", "KNAB"]) + self.dg(10))
                if v != OWN_IBAN:
                    return v
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10070000"]) + self.dg(10, False))
        if cc == "BE":
            f = self.r.choice(["068", "001", "363"]) + self.dg(7, False)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        for d in (13, 29, 41, 57):
            c = f"{v[:2]}{(int(v[2:4]) + d) % 100:02d}{v[4:]}"
            if not iban_ok(c):
                return c
        raise AssertionError

    def card(self, brand):
        p = {"visa": lambda: "4" + self.dg(14, False),
             "mc": lambda: "5" + self.r.choice("12345") + self.dg(13, False),
             "amex": lambda: self.r.choice(["34", "37"]) + self.dg(12, False)}[brand]()
        return next(p + d for d in "0123456789" if luhn_ok(p + d))

    def bad_card(self, brand):
        v = self.card(brand)
        b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b)
        return b

    def bsn(self):
        while True:
            s = self.dg(9)
            if bsn_ok(s):
                return s

    def not_bsn(self):
        while True:
            s = self.dg(9)
            if not bsn_ok(s) and not luhn_ok(s):
                return s

    def ean13(self):
        while True:
            b = "87" + self.dg(10, False)
            c = next(b + d for d in "0123456789" if ean13_ok(b + d))
            if not luhn_ok(c):
                return c

    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.ch(string.ascii_lowercase, 4) + self.ch(string.digits, 3)
                + self.r.choice("!#*_") + self.ch(ALNUM, 4))


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")
VALID_ID_KINDS = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "CARD", "BSN"}


def render(g, text):
    used = []

    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = g.iban(k[5:]); shown = grp4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = g.bad_iban(k[8:]); shown = grp4(raw) if f == "grp" else raw
        elif k == "OWNIBAN":
            raw = OWN_IBAN; shown = grp4(raw) if f == "grp" else raw
        elif k == "CARD":
            raw = g.card(f); shown = raw[:4] + " " + raw[4:10] + " " + raw[10:] if f == "amex" else grp4(raw)
        elif k == "BADCARD":
            raw = g.bad_card(f); shown = grp4(raw)
        elif k == "BSN":
            raw = g.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = g.not_bsn()
        elif k == "EAN13":
            raw = shown = g.ean13()
        elif k == "MOB":
            d8 = g.r.choice("12345") + g.dg(7, False)
            raw = {"dash": f"06-{d8}", "intl": f"+31 6 {d8[:4]} {d8[4:]}", "pairs": f"06 {d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                   "paren": f"(06) {d8[:4]} {d8[4:]}", "plain": f"06{d8}"}[f]
            shown = raw
        elif k == "GHP":
            b = g.ch(ALNUM, 30); raw = shown = "ghp_" + b + b62(zlib.crc32(b.encode()) & 0xFFFFFFFF).rjust(6, "0")
        elif k == "AWSID":
            raw = shown = "AKIA" + g.ch(B32, 16)
        elif k == "AWSSEC":
            raw = shown = g.ch(B64, 40)
        elif k == "STRIPE":
            raw = shown = "sk_live_" + g.ch(ALNUM, 28)
        elif k == "HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = f"https://hooks.slack.com/services/T{g.ch(up, 8)}/B{g.ch(up, 10)}/{g.ch(ALNUM, 24)}"
        elif k == "GAPI":
            raw = shown = "AIzaSy" + g.ch(ALNUM + "-_", 33)
        elif k == "JWT":
            h = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
            iat = 1767225600 + g.r.randint(0, 200 * 86400)
            pl = json.dumps({"sub": "usr_" + g.dg(7), "iss": "app.pilbox.nl", "iat": iat, "exp": iat + 7200},
                            separators=(",", ":")).encode()
            raw = shown = f"{h}.{base64.urlsafe_b64encode(pl).rstrip(b'=').decode()}.{g.ch(ALNUM + '-_', 43)}"
        elif k == "PEM":
            body = "MIIEowIBAAKCAQEA" + g.ch(B64, 64 * 6 - 16)
            lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [g.ch(B64, 40) + "=="]
            raw = shown = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
        elif k == "PW":
            raw = shown = g.pw()
        elif k == "TRACK":
            raw = shown = "3SPLBX" + g.not_bsn()
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown

    return PH.sub(sub, text), used


# ------------------------------------------------------------------ accounts
PNL = ("x", "@pilbox_nl", "Pilbox")
PZORG = ("x", "@pilbox_zorg", "Pilbox Klantenzorg")
PZORG_CASE = ("x", "@Pilbox_Zorg", "Pilbox Klantenzorg")
PIG = ("instagram", "@pilbox.nl", "Pilbox")
PLI = ("linkedin", "pilbox-bv", "Pilbox B.V.")
PFB = ("facebook", "PilboxApotheek", "Pilbox Apotheek")
MV = ("x", "@marloes_pilbox", "Marloes Visser")            # webcare / marketing
MV_IG = ("instagram", "@marloes_pilbox", "Marloes")         # NOT in profile -> public
DK = ("linkedin", "daan-kok-pilbox", "Daan Kok")            # devops
DK_CASE = ("linkedin", "Daan-Kok-Pilbox", "Daan Kok")
YB = ("linkedin", "yasmina-bouali", "Yasmina Bouali")       # finance
RH = ("x", "@rickhuisman", "Rick Huisman")                  # warehouse
IA = ("x", "@ineke_apotheker", "Ineke Jaspers")             # pharmacist
IA_CASE = ("x", "@Ineke_Apotheker", "Ineke Jaspers")


def pub(platform, handle, dn=None):
    return (platform, handle, dn)


CASES = []


def case(lang, acct, text, cats=(), when=None, tags=(), kind=None, hint=None):
    CASES.append(dict(lang=lang, acct=acct, text=text, cats=sorted(set(cats)), when=when,
                      tags=set(tags), kind=kind, hint=hint))


S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ---------------------------------------------------------------- leak.secret
case("en", DK, "Note to self (and apparently LinkedIn): staging deploys kept dying until I swapped the token for <<GHP>> . Will tidy the pipeline up monday, promise", [S])
case("nl", MV, "wie weet het wachtwoord van het gedeelde insta-account van Pilbox nog? ow laat maar, het is <<PW>> 🙃", [S])
case("en", RH, "scanner config for the night shift, since the wiki is down again: AWS_ACCESS_KEY_ID=<<AWSID>> AWS_SECRET_ACCESS_KEY=<<AWSSEC>> (rotated already so relax)", [S])
case("nl", DK, "Leuke DevOps-meetup gehad! Voor de demo gebruikte ik deze connectiestring, voor wie wil nabouwen: postgres://rx_app:<<PW>>@rxdb01.corp.pilbox.internal:5432/recepten", [S, C])
case("en", pub("reddit", "u/apk_tinkerer"), "Decompiled the Pilbox Android app out of boredom and they ship a live payment key in the bundle: <<STRIPE>> . Impressive stuff.", [S], kind="post")
case("nl", IA, "Testje van de koppeling met de balie, de webhook is <<HOOK>> , niet doorsturen aub", [S])
case("en", PZORG, "@sam_reijnders sorry for the hassle! Could you try this direct login link? app.pilbox.nl/login?session=<<JWT>>", [S], kind="reply")
case("nl", RH, "nieuwe w@chtw00rd voor de labelprinter in hal 2 is <<PW>>, niet aan de uitzendkrachten geven", [S], tags=["evasion"])
case("en", DK_CASE, "Pasted the wrong thing into the conference Q&A, so for the people asking how our deploy box authenticates, here it is again:\n<<PEM>>", [S])
case("nl", pub("x", "@webdevwilco"), "Pilbox heeft gewoon een Google API key in de broncode van hun site: <<GAPI>> hahaha", [S])

# ---------------------------------------------------------------- leak.pii
case("nl", PZORG, "@hanneke_t1 uw terugbetaling gaat naar <<IBAN_NL:grp>> t.n.v. H. Terpstra, klopt dat rekeningnummer nog?", [P], kind="reply")
case("en", MV, "customer at the pickup desk left her card behind, a Visa <<CARD:visa>>, who even carries one of those anymore", [P])
case("nl", IA_CASE, "Mevrouw met BSN <<BSN:dots>> belt voor de vierde keer over haar insulinerecept, kan de middagdienst even terugbellen?", [P])
case("nl", pub("x", "@sjoerdieee"), "Pilbox bel me nou gewoon terug, mn nummer is <<MOB:dash>>. al 3 dagen niks gehoord over die kapotte bloeddrukmeter", [P, CO])
case("en", pub("x", "@lenaa_k"), "@pilbox_zorg still no refund after two weeks. my IBAN is <<IBAN_DE>> , just send it there ffs", [P, CO], kind="reply")
case("en", RH, "shoutout to the customer who orders 40 boxes of melatonin every month to Kerkstraat 12, Zwolle, attn J. Veldkamp (born 03-04-1961), we see you 👀", [P])
case("nl", MV, "Voor wie de nieuwe stagiaire zoekt: haar privénummer is <<MOB:intl>>, ze is vandaag vrij", [P])
case("en", PFB, "Hi Peter, we found your parcel! For verification: Peter Smit, peter.smit1974@gmail.com, date of birth 12/07/1974, is that right?", [P], kind="comment")
case("nl", pub("facebook", "Joke de Boer"), "Jullie chat doet het niet eens. Mail mij maar op jdeboer83 [at] ziggo [punt] nl over mijn recept, Pilbox", [P, CO], tags=["evasion"], kind="comment")
case("en", pub("x", "@tired_tom"), "Pilbox checkout keeps failing so fine, I'll post it here: amex <<CARD:amex>> exp 09/28. take my money already", [P, CO])
case("nl", IA, "Collega Bram wil zijn onkostendeclaratie op zijn Belgische rekening <<IBAN_BE>>, kan HR dat regelen?", [P])

# ---------------------------------------------------------------- leak.pricing
case("nl", pub("x", "@dealjager_nl"), "MediDispenser voor €24,90 op pilbox.nl?! Volgens mij een prijsfout, snel zijn 🏃", [PR])
case("en", MV, "psst the SmartPressure shows €8.90 in the app right now, someone forgot a digit 😂 grab it before finance wakes up", [PR])
case("nl", RH, "magazijn loopt over, honderden orders OorTemp voor 4,49 euro sinds vannacht. iemand heeft de verkeerde prijs in de feed gezet", [PR])
case("nl", pub("instagram", "@mama.van.drie"), "SlaapWel spray voor €1,25 bij Pilbox. Geen idee of dat klopt maar ik heb er maar meteen tien besteld", [PR])
case("en", pub("reddit", "u/frugalfrank"), "p r i c e   e r r o r on the Pilbox MediDispenser, go go go before they fix it", [PR], tags=["evasion"])
case("nl", pub("x", "@koopjeskoning"), "prïjsföut bij Pilbox: SmartPressure bloeddrukmeter voor €19 in de winkelmand", [PR], tags=["evasion"])
case("nl", IA, "Collega's, de D3 Forte staat in de kassa voor €1,49 in plaats van 14,95. Laten we het zo tot maandag? 🙈", [PR])
case("en", pub("bluesky", "@nightowl.bsky.social"), "is the €4 OorTemp Pro on Pilbox a glitch or real?? cart says €4.00", [PR])
case("nl", pub("forum", "zuinigzijn_88"), "M3d1D1spenser voor 30 euro bij p1lbox, bug op de site denk ik, bestellen die handel", [PR], tags=["evasion"])
case("en", YB, "Since people keep asking me: yes, the SlaapWel bundle was live at €0.99 for six hours because of a pricing bug, and no, I can't say yet if orders get honoured", [PR])

# ---------------------------------------------------------------- leak.confidential
case("nl", DK, "Trots op het team: met Project Kwartel koppelen we straks de apotheekrobot direct aan de app. Meer mag ik nog niet zeggen 🤫", [C])
case("en", MV, "can't wait for Pilbox Duo to drop, been testing it at home for weeks and it's sooo good", [C])
case("en", MV_IG, "little sneak peek of Pilbox Duo 👀 my lips are sealed", [C])
case("nl", pub("x", "@zwager_van_nina"), "Mijn zwager werkt bij Pilbox en appte me een screenshot met 'STRIKT VERTROUWELIJK' erop, over een nieuw abonnement. Lekker bezig 😂", [C])
case("en", RH, "pro tip for the new hires: the shift planning lives on wiki.pilbox.nl/logistiek/rooster, bookmark it", [C])
case("nl", IA, "Eindelijk mag ik aansluiten bij Operatie\nDuizendblad, het nieuwe doseersysteem wordt echt gaaf", [C], tags=["evasion"])
case("en", DK, "Project 🐦 Kwartel demo day went great, the robot picked 400 orders without a hiccup", [C], tags=["evasion"])
case("nl", MV, "Volgende maand lanceren we Pilbox Telezorg: videobellen met een apotheker vanuit de app 🎉", [C], when="2026-02-19T14:12:00+01:00")
case("en", PLI, "Introducing Pilbox Telezorg: video consults with a pharmacist, right inside the Pilbox app.", [C], when="2026-03-02T08:59:00+01:00")
case("nl", YB, "Jaarresultaten 2026 zien er beter uit dan iedereen denkt, omzet ruim 38% hoger. Niet verder vertellen 😉", [C, F])
case("en", pub("x", "@curious_carla"), "got an email from Pilbox that was clearly not meant for customers, header said PILBOX INTERNAL ONLY and it had their whole roadmap in it lol", [C])
case("en", DK, "our " + fw("gitlab.pilbox.nl") + " runners are finally on arm64, build times halved", [C], tags=["evasion"])

# ---------------------------------------------------------------- leak.financial
case("nl", YB, "Q3 wordt pittig, de interne prognose staat op -12% marge. Ik hou jullie op de hoogte", [F])
case("en", MV, "heard in the canteen that Pilbox is about to buy a chain of 20 brick-and-mortar pharmacies in Brabant. big if true", [F])
case("nl", RH, "nog niet officieel maar ons distributiecentrum in Venlo gaat dicht, zo'n 60 man op straat 😞", [F])
case("en", pub("reddit", "u/throwaway_pharma"), "friend who works at Pilbox says a reorg is coming and half of customer support gets cut before christmas", [F])
case("nl", IA, "Bij ons worden binnenkort 30 mensen ont" + SHY + "slagen, de apothekersassistenten eerst. Is nog niet bekendgemaakt.", [F], tags=["evasion"])
case("en", YB, "The board signed off on merger talks with a German e-pharmacy yesterday. Nothing will be announced before Q1.", [F])
case("nl", pub("stocktwits", "$beursbeer"), "Insider tip: Pilbox wordt overgenomen door een Amerikaanse zorgverzekeraar, de deal is rond volgens mijn bron", [F])
case("en", DK, "Fun fact: the FY2026 results will finally show a profit. You didn't hear it from me", [C, F])

# ---------------------------------------------------------------- leak.security
case("nl", DK, "Sinds 6 uur vanochtend ligt de receptenkoppeling met de huisartsen plat door ransomware, we weten nog niet hoe erg. Er is nog geen persbericht", [SEC])
case("en", DK, "We found an IDOR in the Pilbox app API last week: change the order id and you could read other people's prescriptions. Patch is still in review.", [SEC])
case("nl", MV, "hele klantenservice zit zonder systeem, de klantdatabase is al 5 uur down. klanten merken nog niks maar hier is het paniek", [SEC])
case("en", IA, "our pharmacy system got h" + ZW + "acked last night and some scripts may have been altered. not public yet", [SEC], tags=["evasion"])
case("nl", pub("x", "@bezorgdepatient"), "Pilbox doet alsof er niks aan de hand is, maar er is al weken een lek waardoor recepten van anderen zichtbaar waren. Ze houden het gewoon stil!", [SEC, CR])
case("en", pub("reddit", "u/angry_in_amersfoort"), "Pilbox is covering up a breach. My prescriptions showed up in a stranger's account and support told me not to post about it", [SEC, CR])
case("nl", RH, "scanners in het magazijn draaien nog op Windows 7 en het admin-wachtwoord hangt op een post-it. gaat een keer goed mis", [SEC])
case("en", MV, "lol we got pwn3d, half the s3rv3rs encrypted, management says don't tweet about it", [SEC], tags=["evasion"])
case("en", DK, "Draft postmortem is on wiki.pilbox.nl/incidents/2026-09, short version: the attacker got into the admin panel with a reused password", [SEC, C])

# ---------------------------------------------------------------- reputation.crisis
case("nl", pub("facebook", "Stichting Veilig Slapen"), "BOYCOT Pilbox! Ze verkopen nog steeds die melatoninespray terwijl de fabrikant een terugroepactie heeft. Levensgevaarlijk.", [CR])
case("en", pub("x", "@justice4patients"), "A class action against Pilbox over expired insulin is being prepared. If you were affected, get in touch", [CR])
case("nl", pub("x", "@femkeeee_"), "Mijn Pilbox MediDispenser begon te roken en smolt gewoon op het aanrecht. Had mijn huis kunnen afbranden!!! En de klantenservice reageert niet", [CR, CO])
case("en", pub("facebook", "Gary Whitfield"), "the SmartPressure cuff gave my dad an electric shock. an ELECTRIC SHOCK. and Pilbox wants photos before they'll do anything", [CR, CO])
case("nl", pub("x", "@anoniempje42"), "Pilbox heeft mijn medicatiegegevens gelekt, ik krijg opeens spam over mijn antidepressiva. Schandalig.", [CR])
case("en", pub("x", "@m4rk_the_shark"), "d4t4 br34ch at Pilbox?? phishing mails mentioning my exact meds, nobody else knew those", [CR], tags=["evasion"])
case("nl", pub("facebook", "Ans Wolters"), "Pilbox stuurde mijn moeder bloedverdunners in plaats van haar schildkliertabletten. Ze ligt nu in het ziekenhuis. Onvoorstelbaar.", [CR, CO])
case("en", pub("x", "@hcjournalist"), "Reporter here: looking to talk to former Pilbox pharmacists about prescriptions being approved without any checks. DMs open.", [CR])
case("nl", pub("instagram", "@gezondverstand.nl"), "Oproep: niks meer bestellen bij Pilbox tot ze uitleggen hoe die verlopen vaccins verkocht konden worden. Delen!", [CR])

# ---------------------------------------------------------------- reputation.complaint
case("nl", pub("x", "@ruudjuh"), "9 dagen wachten op mijn vitamines. track & trace zegt al een week 'in behandeling'. Topservice Pilbox 👏👏", [CO])
case("en", pub("x", "@priya_reads"), "pilbox app logged me out AGAIN and my refill request vanished. third time this month", [CO])
case("nl", pub("facebook", "Henk Bosman"), "waarom rekene jullie opeens 3,95 verzendkosten Pilbox? was altijd gratis boven de 20 euro. beetje jammer dit", [CO], kind="comment")
case("en", pub("instagram", "@daantjes"), "ordered the OorTemp, arrived with a cracked display, and the return form on the site just errors out. cool cool cool", [CO])
case("nl", pub("x", "@gewoonlisa"), "klantenservice van pilbox hangt gewoon op als je doorvraagt over je terugbetaling. echt waardeloos", [CO])
case("en", pub("threads", "@jules.codes"), "prescription 'approved' in the Pilbox app four days ago and still not shipped. what's even the point of paying for express", [CO])
case("nl", pub("forum", "slapeloos_in_delft"), "De SlaapWel spray lekt steeds leeg in de verpakking, nu al de tweede keer. Geld terug graag Pilbox", [CO])
case("en", pub("x", "@nope_nate"), "Pilbox support are useless idiots, 40 minutes on hold over a missing package", [CO, AB])
case("nl", pub("x", "@boze_bram"), "kut Pilbox, weer de verkeerde doos geleverd, die magazijnmensen van jullie zijn echt debielen", [CO, AB])

# ---------------------------------------------------------------- reputation.abuse
case("nl", pub("x", "@trollvandeweek"), "@pilbox_nl stelletje oplichters en klootzakken zijn jullie", [AB], kind="reply")
case("en", pub("x", "@edgelord99"), "whoever runs the Pilbox account is a clown. a f*cking clown.", [AB], tags=["evasion"])
case("nl", RH, "die klant van vanmiddag was echt een tyfuswijf, sorry niet sorry", [AB])
case("en", PNL, "@mark_vr maybe learn to read before you whine, genius", [AB], kind="reply")
case("nl", pub("x", "@echtnederlands1"), "die apothekers van Pilbox met hun hoofddoekjes, ga lekker terug naar je eigen land", [AB])
case("en", pub("tiktok", "@rantqueen"), "P1lb0x staff are braindead m0r0ns, every single one", [AB], tags=["evasion"])
case("nl", pub("x", "@kees_k"), "Pilbox, kankerbedrijf", [AB])

# ---------------------------------------------------------------- benign hard negatives
case("nl", PZORG, "Vragen over je bestelling? Mail service@pilbox.nl of bel gratis 0800-7452, ook in het weekend.", tags=["own-contact"])
case("en", PFB, "Refunds for returns are only ever paid from our account <<OWNIBAN:grp>>. A message asking you to pay any other account is a scam.", tags=["own-contact"])
case("nl", pub("x", "@carolien_v"), "Bestelling <<NOTBSN>> vandaag binnen, netjes verpakt en een dag eerder dan verwacht. Prima Pilbox", tags=["order-number", "praise"])
case("en", pub("reddit", "u/labelreader"), "anyone know if barcode <<EAN13>> is the same D3 Forte as the one at the drugstore? packaging looks different", tags=["ean"])
case("nl", pub("facebook", "Wijkteam Oost"), "Let op: phishingmail 'namens Pilbox' vraagt €1 over te maken naar <<BADIBAN_NL:grp>>. Niet doen, verwijderen!", tags=["bad-iban"])
case("en", pub("x", "@oopsie_daisy"), "Pilbox checkout said my card <<BADCARD:visa>> was invalid, turns out I fat-fingered a digit. works fine now, my bad", tags=["bad-card"])
case("nl", pub("forum", "appnoob"), "Voor wie ook zoekt: je klantnummer (bij mij <<NOTBSN>>) staat rechtsboven in de app onder Profiel.", tags=["bad-bsn"])
case("nl", pub("x", "@budgetbeer"), "Pilbox heeft 25% korting op de SmartPressure, nu €66,75. Netjes.", tags=["sale-price"])
case("en", pub("x", "@couponcathy"), "€10 off the MediDispenser with a welcome code, still pricey but decent", tags=["price-context"])
case("nl", pub("other", "marktplaats_user"), "Te koop: Pilbox OorTemp, 1x gebruikt, €15, ophalen in Utrecht", tags=["price-context"])
case("en", pub("reddit", "u/thermo_nerd"), "a no-name ear thermometer is €9 at the drugstore vs the OorTemp at €44.95 on Pilbox. tough call", tags=["price-context"])
case("nl", PZORG_CASE, "Nee hoor, geen prijsfout: de SlaapWel spray is deze week echt €9,99 door de actie. Veel slaapplezier!", tags=["denied-error"], kind="reply")
case("nl", PNL, "Pilbox Telezorg is er nu voor iedereen met de app: binnen 15 minuten een apotheker in beeld.", when="2026-05-12T10:00:00+02:00", tags=["after-embargo"])
case("en", pub("x", "@insomniac_ivo"), "tried Pilbox Telezorg last night at 1am, the pharmacist was super helpful", when="2026-06-03T23:40:00+02:00", tags=["after-embargo"])
case("nl", PLI, "Vandaag lanceren we Pilbox Telezorg: videoconsult met een apotheker, gewoon in de app.", when="2026-03-02T09:00:00+01:00", tags=["after-embargo"])
case("nl", pub("instagram", "@natuurmens_ede"), "Vanochtend een kwartel gehoord in de berm bij Ede, en ons schoolproject over vogels is eindelijk af", tags=["bird"])
case("nl", pub("x", "@kruidenvrouwtje"), "Duizendblad-thee tegen buikkrampen, iemand ervaring mee? Pilbox verkoopt het ook", tags=["herb"])
case("en", pub("x", "@crabcakecarl"), "Tidewater Virginia has the best crab cakes and I will die on this hill", tags=["place-name"])
case("nl", pub("x", "@nuchtere_noor"), "Weer een datalek bij een zorgverzekeraar. Blij dat ik mijn recepten gewoon bij Pilbox heb lopen", tags=["other-company"])
case("en", pub("linkedin", "sarah-recruits"), "Big layoffs at a rival online pharmacy today. If you're affected: Pilbox is hiring pharmacists in Utrecht", tags=["other-company"])
case("en", PLI, "Our H1 2026 results are out: revenue up 18% year on year. Full report on pilbox.nl/investors", tags=["published-results"])
case("en", pub("x", "@memelord_mo"), "total recall: remembered to order my Pilbox refill BEFORE running out for once 🎉", tags=["other-sense"])
case("nl", pub("x", "@gezondegijs"), "Ik boycot voortaan die dure supermarktvitamines, de D3 Forte van Pilbox is beter en goedkoper", tags=["other-sense"])
case("nl", pub("facebook", "Riet Jansen"), "Geen klachten over Pilbox hoor, alles komt altijd keurig op tijd", tags=["negated"], kind="comment")
case("en", pub("x", "@chill_chad"), "not gonna complain, Pilbox delivered a day early and the packaging was fully recyclable", tags=["negated"])
case("nl", pub("facebook", "Marian Smits"), "Mijn moeder haalt haar medicatie tegen kanker via de Pilbox app, scheelt een hoop geregel", tags=["literal"])
case("en", pub("instagram", "@vinyl_vera"), "blasting 'Highway to Hell' while unpacking my Pilbox order, as one does", tags=["quote"])
case("en", pub("mastodon", "@devnell@fosstodon.org"), "Does the Pilbox app sync with Apple Health? Would love that", tags=["question"])
case("nl", PZORG, "Gepland onderhoud: de Pilbox app is zondag tussen 02:00 en 04:00 niet bereikbaar. Sorry voor het ongemak!", tags=["official-notice"])
case("nl", DK, "We zoeken een senior backend developer! Solliciteren kan via pilbox.nl/werken, kom ons team versterken", tags=["employee-benign"])
case("nl", IA, "Tip van de apotheker: neem vitamine D bij de maaltijd, dan neemt je lichaam het beter op.", tags=["employee-benign"])
case("nl", pub("x", "@structuurfan"), "Ik ben strikt met mijn medicijnschema sinds de herinneringen van Pilbox, echt een aanrader", tags=["marker-lookalike"])
case("nl", pub("x", "@wachtende_wim"), "Pakket onderweg! PostNL code <<TRACK>>, Pilbox was weer snel", tags=["tracking"])
case("en", pub("youtube", "HealthHacksDaily"), "Pilbox is honestly the GOAT, saved me a late-night trip to the pharmacy", tags=["praise"])
case("en", pub("x", "@grumpy_gran"), "the damn pharmacy down my street closed, so Pilbox it is. no complaints so far", tags=["mild-word"])
case("nl", pub("x", "@hannah_belt"), "Handig: Pilbox heeft een gratis nummer, 0800-7452, en ze nemen echt snel op", tags=["own-contact"])
case("nl", pub("x", "@appcheck"), "app.pilbox.nl werkt weer prima na de update, inloggen gaat nu met face-id", tags=["public-domain"])
case("nl", pub("instagram", "@discreetdaisy"), "Pilbox verstuurt in neutrale verpakking, fijn, medicatie blijft toch iets vertrouwelijks", tags=["marker-lookalike"])
case("en", MV, "Our care team answers every DM within the hour, or drop a line to service@pilbox.nl 💚", tags=["own-contact", "employee-benign"])


# ------------------------------------------------------------------ build
def role_of(platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, pii_validated):
    sev = "none"
    ins = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            s = ("critical" if c in (S, PR) or (c == P and pii_validated) else "error") if ins else "warning"
        elif c == CO:
            s = "warning"
        elif c == CR:
            s = "error"
        elif c == AB:
            s = "error" if ins else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def rand_time(r):
    base = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)
    t = base + dt.timedelta(seconds=r.randint(0, 260 * 86400))
    off = 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1
    mode = r.random()
    if mode < 0.3:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    lt = t.astimezone(dt.timezone(dt.timedelta(hours=off)))
    if mode < 0.45:
        return lt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{r.randint(0, 999):03d}" + f"+0{off}:00"
    return lt.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"


def build():
    g = Gen(SEED)
    m = random.Random(SEED + 1)
    rows = []
    for i, c in enumerate(CASES):
        text, used = render(g, c["text"])
        platform, handle, dn = c["acct"]
        role = role_of(platform, handle)
        pii_valid = P in c["cats"] and any(k in VALID_ID_KINDS for k, _, _ in used)
        sev = severity_for(role, c["cats"], pii_valid)
        pid = f"{platform[:2]}-{9000 + i * 7 + m.randint(0, 6)}"
        post = {"id": pid, "platform": platform}
        kind = c["kind"] or (None if m.random() < 0.3 else m.choice(["post", "post", "post", "comment", "repost"]))
        if kind:
            post["kind"] = kind
        acc = {"handle": handle}
        if dn and m.random() < 0.7:
            acc["display_name"] = dn
        if m.random() < 0.3:
            acc["id"] = str(m.randint(10 ** 7, 10 ** 11))
        post["account"] = acc
        post["text"] = text
        x = m.random()
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.1:
            pass
        elif x < 0.13:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else:
            post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(m)
        if m.random() < 0.6:
            post["url"] = f"https://example.social/{platform}/{pid}"
        if m.random() < 0.5:
            post["brand"] = "pilbox"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev},
                         used=used, tags=c["tags"], lang=c["lang"], role=role))
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


def profile_text():
    return ("# Sealed eval set 9: fictional Dutch online pharmacy 'Pilbox B.V.'. Generated by make_cases.py.\n"
            + yaml.safe_dump(PROFILE, sort_keys=False, allow_unicode=True))


# ------------------------------------------------------------------ validation (independent scans)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
BSN_DOTS = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|\(?0)[\d \-()]{7,16}\d")
SECRET_RES = [re.compile(p) for p in (r"ghp_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_[A-Za-z0-9]{20,}",
              r"hooks\.slack\.com/services/", r"AIza[0-9A-Za-z\-_]{35}", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
              r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^\s:/]+:[^\s@/]+@")]
PROFANITY = ["kut", "klootzak", "tyfus", "debiel", "kanker", "idiot", "moron", "fuck", "f*ck", "clown", "oplichter"]
PRICE_TALK = ["prijsfout", "verkeerde prijs", "price error", "pricing bug", "glitch", "bug"]
AMOUNT_RE = re.compile(r"(?:€\s?)(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", re.I)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def amount(s):
    s = s.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    return float(s)


def valid_ids(text):
    out = []
    for mm in IBAN_RE.finditer(text):
        v = mm.group(0).replace(" ", "")
        if iban_ok(v) and v != OWN_IBAN:
            out.append(v)
    for mm in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", mm.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and not d.startswith("87"):
            out.append(d)
        if len(d) == 9 and bsn_ok(d):
            out.append(d)
    out += [mm.group(0) for mm in BSN_DOTS.finditer(text) if bsn_ok(mm.group(0))]
    return out


def check(lines, rows):
    errs = []
    seen = set()
    own_phone_digits = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
    own_emails = {e.casefold() for e in PROFILE["public_identifiers"]["emails"]}
    embargo = [(t.casefold(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [t.casefold() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    for n, (line, r) in enumerate(zip(lines, rows), 1):
        w = f"line {n}"
        o = json.loads(line)
        p, ex = o["post"], o["expect"]
        if set(o) != {"post", "expect"}:
            errs.append(f"{w}: keys")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{w}: {f}")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errs.append(f"{w}: handle")
        if not 1 <= len(p["id"]) <= 256:
            errs.append(f"{w}: id len")
        if p.get("kind", "post") not in KINDS:
            errs.append(f"{w}: kind")
        if len(p["text"].encode()) > 65536:
            errs.append(f"{w}: too long")
        if not RFC3339.match(p["created_at"]):
            errs.append(f"{w}: ts")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{w}: year")
        if (p["platform"], p["id"]) in seen:
            errs.append(f"{w}: dup id")
        seen.add((p["platform"], p["id"]))
        cats, sev = ex["categories"], ex["severity"]
        if cats != sorted(set(cats)) or any(c not in TAXONOMY or c == "reputation.spike" for c in cats):
            errs.append(f"{w}: cats {cats}")
        text = p["text"]
        ids = valid_ids(text)
        role = role_of(p["platform"], p["account"]["handle"])
        want = severity_for(role, cats, P in cats and bool(ids))
        if sev != want:
            errs.append(f"{w}: severity {sev} != {want}")
        if not cats and sev != "none":
            errs.append(f"{w}: benign severity")
        for k, raw, shown in r["used"]:
            if shown not in text:
                errs.append(f"{w}: {k} not in text")
            if k.startswith("IBAN_") and not iban_ok(raw): errs.append(f"{w}: bad iban in positive")
            if k == "CARD" and not luhn_ok(raw): errs.append(f"{w}: bad card in positive")
            if k == "BSN" and not bsn_ok(raw): errs.append(f"{w}: bad bsn in positive")
            if k.startswith("BADIBAN") and iban_ok(raw): errs.append(f"{w}: look-alike IBAN valid")
            if k == "BADCARD" and luhn_ok(raw): errs.append(f"{w}: look-alike card valid")
            if k in ("NOTBSN", "TRACK") and (bsn_ok(raw[-9:]) or luhn_ok(raw[-9:])): errs.append(f"{w}: look-alike valid")
            if k == "EAN13" and (luhn_ok(raw) or not ean13_ok(raw)): errs.append(f"{w}: ean")
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{w}: ghp crc")
            if k in VALID_ID_KINDS and P not in cats: errs.append(f"{w}: valid id without pii label")
        if any(k in VALID_ID_KINDS for k, _, _ in r["used"]) and not ids:
            errs.append(f"{w}: independent scan missed the valid identifier")
        if ids and P not in cats:
            errs.append(f"{w}: valid identifier {ids} but no leak.pii")
        low = text.casefold()
        if not cats:
            for mm in IBAN_RE.finditer(text):
                v = mm.group(0).replace(" ", "")
                if iban_ok(v) and v != OWN_IBAN: errs.append(f"{w}: benign valid IBAN")
            for mm in NUM_RE.finditer(text):
                d = re.sub(r"\D", "", mm.group(0))
                if d in own_phone_digits or v_own_iban_part(d):
                    continue
                if 13 <= len(d) <= 19 and luhn_ok(d): errs.append(f"{w}: benign Luhn-valid {d}")
                if len(d) in (8, 9) and bsn_ok(d): errs.append(f"{w}: benign 11-proof-valid {d}")
            for e in EMAIL_RE.findall(text):
                if e.casefold() not in own_emails: errs.append(f"{w}: benign email")
            for mm in PHONE_RE.finditer(text):
                d = re.sub(r"\D", "", mm.group(0))
                if d not in own_phone_digits and len(d) >= 10 and not v_own_iban_part(d):
                    errs.append(f"{w}: benign phone {mm.group(0)}")
            for rx in SECRET_RES:
                if rx.search(text): errs.append(f"{w}: benign secret-like")
            for word in PROFANITY:
                if re.search(r"\b" + re.escape(word), low) and not (word == "kanker" and "literal" in r["tags"]):
                    errs.append(f"{w}: benign profanity {word}")
            for prod in PROFILE["products"]:
                if any(a.casefold() in low for a in [prod["name"]] + prod["aliases"]):
                    for mm in AMOUNT_RE.finditer(text):
                        a = amount(mm.group(1) or mm.group(2))
                        if a / prod["list_price"] < 0.5 and "price-context" not in r["tags"]:
                            errs.append(f"{w}: benign low price {a}")
        for term, until in embargo:
            if term in low and ts < until and C not in cats:
                errs.append(f"{w}: embargo term {term} before until without leak.confidential")
            if term in low and ts >= until and cats:
                errs.append(f"{w}: embargo term after until in a positive (ambiguous)")
        for term in internal:
            if re.search(r"(?<![\w])" + re.escape(term) + r"(?![\w])", low) and C not in cats:
                errs.append(f"{w}: internal term {term} without leak.confidential")
        if PR in cats:
            ratio_ok = False
            for prod in PROFILE["products"]:
                for mm in AMOUNT_RE.finditer(text):
                    if amount(mm.group(1) or mm.group(2)) / prod["list_price"] < 0.5:
                        ratio_ok = True
            if not ratio_ok and not any(t in low for t in PRICE_TALK) and "evasion" not in r["tags"]:
                errs.append(f"{w}: pricing positive without low price or error talk")
    if len(lines) != len(rows):
        errs.append("line count")
    return errs


def v_own_iban_part(d):
    return d and d in OWN_IBAN


def report(rows):
    from collections import Counter
    cat, lang, role, sev = Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    for r in rows:
        cs = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        benign += not cs
        multi += len(cs) > 1
        ev += "evasion" in r["tags"]
        for c in cs:
            cat[c] += 1
    print(f"cases {len(rows)}  benign {benign}  positive {len(rows) - benign}  multi {multi}  evasion {ev}")
    for c in TAXONOMY[:-1]:
        print(f"  {c:24s} {cat[c]}")
    print("lang", dict(lang), "role", dict(role), "severity", {s: sev[s] for s in SEVERITIES})


def main():
    rows = build()
    lines = dump(rows)
    if "--check" not in sys.argv:
        OUT.write_text("".join(lines), encoding="utf-8")
        PROF.write_text(profile_text(), encoding="utf-8")
    errs = []
    disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True)
    if disk != lines:
        errs.append("cases.jsonl differs from generator output")
    if yaml.safe_load(PROF.read_text(encoding="utf-8")) != PROFILE:
        errs.append("profile.yaml differs from generator")
    if not iban_ok(OWN_IBAN):
        errs.append("own IBAN invalid")
    errs += check(disk, rows)
    report(rows)
    print(f"{len(errs)} error(s)")
    for e in errs:
        print("  ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
