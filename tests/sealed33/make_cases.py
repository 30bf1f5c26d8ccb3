#!/usr/bin/env python3
"""Deterministic generator for the sealed33 blind set (Duinhelder Drinkwater N.V.).

    python3 make_cases.py      # writes cases.jsonl next to this file

Texts are hand-written below. Identifiers and secrets come from <<KIND:fmt>>
placeholders filled by one seeded RNG: positives get checksum-valid values,
near-miss negatives get values that fail their checksum. Severity is computed
from CONTRACT section 4 (role from profile.yaml), never typed by hand.
"""
import base64, datetime as dt, json, random, re, string, sys, zlib
from pathlib import Path

SEED = 33_2026_0517
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"
SEVERITIES = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
ZW = "\u200b"

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1

def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"

def luhn_ok(d):
    d = re.sub(r"\D", "", d); t = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        t += x
    return bool(d) and t % 10 == 0

def luhn_complete(p):
    return next(p + c for c in "0123456789" if luhn_ok(p + c))

def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) == 8: s = "0" + s
    if len(s) != 9: return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0 and t != 0

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

def b62(n):
    o = ""
    while n:
        n, r = divmod(n, 62); o = B62[r] + o
    return o or "0"

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class Gen:
    def __init__(self, seed): self.r = random.Random(seed)
    def d(self, n, nz=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        return (self.r.choice("123456789") + s[1:]) if nz and s[0] == "0" else s
    def c(self, alpha, n): return "".join(self.r.choice(alpha) for _ in range(n))
    @staticmethod
    def g4(s): return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_make("NL", self.r.choice(["INGB", "RABO", "ABNA", "SNSB", "ASNB", "BUNQ", "TRIO", "KNAB"]) + self.d(10, True))
                if v != "NL38BNGH0285012345": return v
        if cc == "BE":
            f = self.r.choice(["068", "001", "737"]) + self.d(7)
            return iban_make("BE", f"{f}{int(f) % 97 or 97:02d}")
        if cc == "DE":
            return iban_make("DE", self.r.choice(["37040044", "50010517", "10070000"]) + self.d(10))
    def bad_iban(self, cc):
        v = self.iban(cc)
        for k in (13, 29, 41, 7):
            b = f"{v[:2]}{(int(v[2:4]) + k) % 100:02d}{v[4:]}"
            if not iban_ok(b): return b
    def card(self, brand):
        if brand == "visa": return luhn_complete("4" + self.d(14))
        if brand == "mc": return luhn_complete("5" + self.r.choice("12345") + self.d(13))
        if brand == "amex": return luhn_complete(self.r.choice(["34", "37"]) + self.d(12))
    def bad_card(self, brand):
        v = self.card(brand); b = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_ok(b); return b
    @staticmethod
    def fmt_card(v, f):
        if f == "c": return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if f == "dash" else " ").join(parts)
    def bsn(self):
        while True:
            s = self.d(9, True)
            if bsn_ok(s): return s
    def not_bsn(self, n):
        while True:
            s = self.d(n, True)
            if not bsn_ok(s) and not luhn_ok(s): return s
    def phone(self, f):
        m = self.r.choice("12345") + self.d(7)  # 8 digits after 06
        if f == "mob_dash": return f"06-{m}"
        if f == "mob_plain": return f"06{m}"
        if f == "mob_intl": return f"+31 6 {m[:4]} {m[4:]}"
        if f == "mob_pairs": return f"06 {m[:2]} {m[2:4]} {m[4:6]} {m[6:]}"
        if f == "mob_0031": return f"0031-6-{m}"
        if f == "mob_intl0": return f"+31 (0)6 {m}"
        area = self.r.choice(["23", "72", "252", "71", "20"])
        sub = self.r.choice("2345789") + self.d(8 - len(area))
        if f == "land_dash": return f"0{area}-{sub}"
        if f == "land_sp": return f"0{area} {sub[:3]} {sub[3:]}"
        raise KeyError(f)
    def ghp(self):
        b = self.c(ALNUM, 30)
        return "ghp_" + b + b62(zlib.crc32(b.encode()) & 0xFFFFFFFF).rjust(6, "0")
    def jwt(self):
        h = b64url(b'{"alg":"HS256","typ":"JWT"}')
        iat = 1767225600 + self.r.randint(0, 280 * 86400)
        p = b64url(json.dumps({"sub": "klant-" + self.d(7, True), "iss": "mijn.duinhelder.nl",
                               "scope": "facturen", "iat": iat, "exp": iat + 1800},
                              separators=(",", ":")).encode())
        return f"{h}.{p}.{self.c(B64URL, 43)}"
    def pem(self):
        body = "MIIEowIBAAKCAQEA" + self.c(B64, 64 * 6 - 16)
        lines = [body[i:i + 64] for i in range(0, len(body), 64)] + [self.c(B64, 40) + "="]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
    def pw(self):
        return (self.r.choice(string.ascii_uppercase) + self.c(string.ascii_lowercase, 4)
                + self.c(string.digits, 3) + self.r.choice("!#$%?") + self.c(ALNUM, 4))

VALID_ID = {"IBAN_NL", "IBAN_BE", "IBAN_DE", "CARD", "BSN"}
PH = re.compile(r"<<([A-Z0-9_]+)(?::([a-z0-9_]+))?>>")

def render(gen, text):
    used = []
    def sub(m):
        k, f = m.group(1), m.group(2) or ""
        if k.startswith("IBAN_"):
            raw = gen.iban(k[5:]); shown = gen.g4(raw) if f == "grp" else raw
        elif k.startswith("BADIBAN_"):
            raw = gen.bad_iban(k[8:]); shown = gen.g4(raw) if f == "grp" else raw
        elif k == "CARD":
            b, _, fm = f.partition("_"); raw = gen.card(b); shown = gen.fmt_card(raw, fm or "sp")
        elif k == "BADCARD":
            b, _, fm = f.partition("_"); raw = gen.bad_card(b); shown = gen.fmt_card(raw, fm or "sp")
        elif k == "BSN":
            raw = gen.bsn(); shown = f"{raw[:4]}.{raw[4:6]}.{raw[6:]}" if f == "dots" else raw
        elif k == "NOTBSN":
            raw = shown = gen.not_bsn(int(f or 9))
        elif k == "PHONE":
            raw = shown = gen.phone(f)
        elif k == "DIGITS":
            raw = shown = gen.d(int(f), True)
        elif k == "GHP":
            raw = shown = gen.ghp()
        elif k == "AWS_ID":
            raw = shown = "AKIA" + gen.c(B32, 16)
        elif k == "AWS_SECRET":
            raw = shown = gen.c(B64, 40)
        elif k == "SLACK_HOOK":
            up = string.ascii_uppercase + string.digits
            raw = shown = f"https://hooks.slack.com/services/T{gen.c(up, 8)}/B{gen.c(up, 10)}/{gen.c(ALNUM, 24)}"
        elif k == "MOLLIE":
            raw = shown = "live_" + gen.c(ALNUM, 30)
        elif k == "SENDGRID":
            raw = shown = "SG." + gen.c(B64URL, 22) + "." + gen.c(B64URL, 43)
        elif k == "GAPI":
            raw = shown = "AIza" + gen.c(B64URL, 35)
        elif k == "AZKEY":
            raw = shown = gen.c(B64, 86) + "=="
        elif k == "JWT":
            raw = shown = gen.jwt()
        elif k == "PEM":
            raw = shown = gen.pem()
        elif k == "PW":
            raw = shown = gen.pw()
        elif k == "HEX":
            raw = shown = gen.c("0123456789abcdef", int(f))
        else:
            raise KeyError(k)
        used.append((k, raw, shown))
        return shown
    return PH.sub(sub, text), used

# ---------------------------------------------------------------- accounts
# corporate
DH_X = ("x", "@duinhelder", "Duinhelder Drinkwater")
DH_CARE = ("x", "@duinhelder_webcare", "Duinhelder Webcare")
DH_FB = ("facebook", "DuinhelderDrinkwater", "Duinhelder")
DH_IG = ("instagram", "@duinhelder.water", "Duinhelder")
DH_LI = ("linkedin", "duinhelder-drinkwater", "Duinhelder Drinkwater N.V.")
# employees
KEES = ("x", "@kees_leidingwerk", "Kees Brouwer")            # pipe fitter
LOTTE = ("instagram", "@lotte.labwerk", "Lotte Verbeek")     # lab analyst
RAVI = ("linkedin", "ravi-ramdin-ict", "Ravi Ramdin")        # IT / OT
INGRID = ("linkedin", "ingrid-hoekstra-dh", "Ingrid Hoekstra")  # controller
NOOR = ("x", "@noor_kcc", "Noor El Idrissi")                  # customer contact
BAS = ("threads", "@bas.opdebouw", "Bas Smit")                # works planner
DAAN = ("bluesky", "daanvos.bsky.social", "Daan Vos")         # portal developer

def pub(platform, handle, dn=None): return (platform, handle, dn)

SECRET, PII, PRICING, CONF, FIN, SEC = ("leak.secret", "leak.pii", "leak.pricing",
                                       "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPLAINT, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []
def case(lang, acct, text, cats=(), kind=None, when=None, handle_as=None, hint=None):
    p, h, dn = acct
    CASES.append(dict(lang=lang, platform=p, handle=handle_as or h, dn=dn, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, hint=hint))

# ================================================================ leak.pricing
case("nl", DAAN, "eh collega's?? LekAlert staat in de webshop voor €8,90 ipv €89. iemand heeft een nul gesloopt in de productfeed. ik kan er pas maandag bij 😬", [PRICING])
case("nl", NOOR, "Krijg nu al 6 telefoontjes of de huisaansluiting echt €118,50 kost op de site 🙃 nee dus, maar zolang het er staat kunnen ze 'm wel bestellen...", [PRICING], kind="reply")
case("en", RAVI, "Heads up for whoever owns the webshop config: the Tappunt shows EUR 245 instead of 2,450. Pricing glitch since the 04:00 import. Not my team, just saying.", [PRICING])
case("nl", BAS, "haha die kraanwaterflessen voor 1,25 op de site, dat is toch een tikfout? nou ik heb er alvast 20 besteld voor de ploeg 💧", [PRICING])
case("nl", DH_FB, "Goed nieuws voor bouwers! Bouwwateraansluiting deze maand voor maar €39,50 (normaal €395). Aanvragen via mijn.duinhelder.nl", [PRICING])
case("nl", pub("x", "@klusjesman_rob"), "Wie wil er een meterverplaatsing voor €46,50?? staat zo op duinhelder.nl 😂 prijsfout of kerstcadeau", [PRICING])
case("en", pub("reddit", "u/dutchdealhunter"), "[DEAL?] Duinhelder webshop has the LekAlert leak sensor at €4.45. Pretty sure that's an error, normal price is 89. Ordered 3, will report if they honour it.", [PRICING], kind="post")
case("nl", pub("facebook", "Sjaak Meijer"), "Ff checken hoor. Huisaansluiting nieuwbouw bij Duinhelder €185,- ?? Mn aannemer zei 1185. Foutje op hun site denk ik, ik heb em maar vast aangevraagd", [PRICING], kind="comment")
case("nl", pub("instagram", "@dealsvanmarloes"), "🚨 PRIJSFOUT 🚨 Duinhelder bidon (de kraanwaterfles) voor €0,12!!! snel zijn schatjes #deal #prijsfout", [PRICING])
case("nl", pub("x", "@tijn_bouwt"), "bouwwater aansluiting bij duinhelder voor 59 euro, normaal vier ruggen. verkeerde prijs in hun systeem lijkt me. screenshot gemaakt 📸", [PRICING])
case("en", pub("forum", "waterweetje"), "Anyone else see the new water connection listed at €11.85 on the Duinhelder site? Has to be a decimal error, list is 1185. Asking before I order.", [PRICING], kind="comment")
case("nl", KEES, "l e k a l e r t  voor 9 euro in de webshop 🤫 p r i j s f o u t, zeg niks tegen kantoor", [PRICING])
case("nl", pub("x", "@waterjunk"), "Duinhelder heeft weer een p.r.i.j.s.f.o.u.t: Tappunt voor €24,50 😂😂", [PRICING])

# ================================================================ leak.secret
case("en", DAAN, "debugging the meter-reading export with prod creds, don't judge:\n  AWS_ACCESS_KEY_ID=<<AWS_ID>>\n  AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nanyway it works now 🎉", [SECRET])
case("nl", RAVI, "Wie heeft de token voor de GIS-sync in een publieke gist gezet? <<GHP>> — ik roteer hem straks, maar dit mag echt niet meer gebeuren mensen.", [SECRET])
case("nl", DAAN, "Mollie incasso-koppeling getest op mijn laptop, key: <<MOLLIE>> . werkt top, morgen naar acceptatie", [SECRET], kind="reply")
case("nl", NOOR, "Voor de nieuwe collega's van het KCC: inlog wachtwoord van het gedeelde webcare-account is <<PW>> (niet doorvertellen 😉)", [SECRET])
case("en", RAVI, "Postmortem notes (sanitised lol): storage string was\nDefaultEndpointsProtocol=https;AccountName=dhmeterdata;AccountKey=<<AZKEY>>;EndpointSuffix=core.windows.net\nshould have been in Key Vault.", [SECRET])
case("en", DAAN, "if anyone needs to test the invoice API: Authorization: Bearer <<JWT>> (valid for 30 min, prod)", [SECRET])
case("nl", KEES, "de code van het sleutelkastje bij pompstation Zandweg is 4471 en het wachtwoord van de tablet in de bus is <<PW>> , staat toch overal op post-its", [SECRET])
case("en", pub("reddit", "u/curious_packet"), "Duinhelder's customer portal ships a Google Maps key in plain JS: <<GAPI>> . unrestricted too, I checked. someone tell their devs", [SECRET], kind="comment")
case("nl", pub("mastodon", "@bitvanger@infosec.exchange"), "Nou nou, Duinhelder, jullie mailer-key staat gewoon in een publieke repo: <<SENDGRID>> #responsibledisclosure", [SECRET])
case("en", RAVI, "Found this in the old deploy share, rotating it today:\n<<PEM>>\nif your server still uses it, it will break tonight.", [SECRET])
case("nl", DAAN, "slack alert-hook voor storingen, gebruik deze ipv die oude: <<SLACK_HOOK>>", [SECRET])
case("nl", RAVI, "db string uit de facturatie-config:\npostgresql://svc_factuur:<<PW>>@db03.intra.duinhelder.local:5432/facturatie\nwie heeft dit in de README gezet??", [SECRET, CONF])
case("en", DAAN, "p a s s w o r d for the staging portal admin is <<PW>> fyi, same as prod 🙈", [SECRET])

# ================================================================ leak.pii
case("nl", pub("x", "@marjan_h"), "@duinhelder_webcare jullie hebben 2x afgeschreven van <<IBAN_NL:grp>> !! Graag vandaag terugboeken, ik sta rood door jullie", [PII, COMPLAINT], kind="reply")
case("nl", pub("facebook", "Henk Dijkstra"), "Bel me nou eens terug: <<PHONE:mob_dash>>. Al 3 weken geen water in de schuur sinds jullie monteur er was.", [PII, COMPLAINT], kind="comment")
case("nl", NOOR, "Mevrouw belde net voor de derde keer, haar nummer is <<PHONE:mob_pairs>> als iemand van planning haar wil bellen, ik kom er niet doorheen 😩", [PII])
case("nl", KEES, "Afsluiting morgen bij fam. Terpstra, Duinroosweg 14 Bloemendaal, meneer is 88 en slecht ter been dus even aanbellen jongens", [PII])
case("en", INGRID, "Refund for the double direct debit approved, sending it to <<IBAN_NL>> (customer Jansen) today, finally closed that ticket.", [PII])
case("nl", NOOR, "Klant gaf zijn BSN <<BSN>> op in de chat voor kwijtschelding, ik weet niet waar ik het moet laten dus zet het hier even voor @bas", [PII])
case("en", pub("x", "@tom_in_haarlem"), "@duinhelder_webcare can't log into the portal, just take the payment on my card <<CARD:visa_sp>> exp 09/28 please, I'm done with this", [PII, COMPLAINT], kind="reply")
case("nl", pub("instagram", "@fleurtje_93"), "mijn mail is fleur.vandam93@gmail.com stuur die afrekening nou eindelijk even @duinhelder.water", [PII], kind="comment")
case("en", BAS, "Crew for Monday: contact for the Kerkstraat works is the resident Mr P. de Wit, mobile <<PHONE:mob_intl>>, born 12-03-1951, he's keen to complain so be nice", [PII])
case("nl", pub("forum", "BartvB"), "Ik heb een Belgische rekening, is dat een probleem voor de incasso? <<IBAN_BE>> is mijn rekeningnummer, krijg steeds een foutmelding", [PII])
case("nl", INGRID, "Betaalregeling goedgekeurd voor dhr. A. Yilmaz, BSN <<BSN:dots>>, rek. <<IBAN_NL:grp>>. Check even of de vorige termijn binnen is.", [PII])
case("en", pub("reddit", "u/annoyed_tenant"), "Duinhelder sent me someone else's bill. Name, address and everything: R. Bakker, Zeeweg 201, IJmuiden, tel <<PHONE:land_dash>>. Great privacy guys.", [PII, CRISIS], kind="post")
case("nl", NOOR, "Als iemand die meneer van de lekkage wil mailen: h.devries.1962[at]ziggo[punt]nl , hij wacht al sinds dinsdag", [PII])
case("nl", pub("x", "@s_ozturk"), "Duinhelder incasso mislukt weer terwijl <<IBAN_NL>> gewoon klopt. Wat is het probleem nou", [PII, COMPLAINT])
case("en", KEES, "The lady at Strandlaan 7 in Noordwijk (Mrs. Kok, DOB 02/11/1940) asked us to call her daughter on <<PHONE:mob_plain>> after the meter swap", [PII], kind="reply")
case("nl", pub("facebook", "Ria Koster"), "Hierbij mijn creditcard <<CARD:mc_dash>> want jullie incasso werkt nooit. Graag de achterstand innen en ophouden met die brieven!", [PII, COMPLAINT], kind="comment")

# ================================================================ leak.confidential
case("nl", BAS, "Vandaag eindelijk de kick-off van Project Zilverreiger 🐦 Mag nog niks zeggen maar het wordt groot voor de regio!", [CONF])
case("nl", KEES, "Wie weet waar de tekeningen voor Operatie Kwelder staan? ik kan ze niet vinden op gis.duinhelder.lan", [CONF], kind="reply")
case("en", RAVI, "Hydra-7 pilot on two pumping stations went live today. Great work team, can't share details yet 🚀", [CONF])
case("nl", LOTTE, "Sneak peek 👀 de nieuwe LekAlert Pro op mijn bureau, met ingebouwde druksensor! Eind september meer... #duinhelder", [CONF], when="2026-08-27T14:12:09+02:00")
case("nl", INGRID, "Net de slides voor de RvC af: tarieven 2027 gaan met 9% omhoog. Zwaar verhaal maar goed onderbouwd.", [CONF, FIN], when="2026-10-06T17:40:00+02:00")
case("en", DAAN, "screenshot of our new sprint board (jira.duinhelder.nl/browse/PORTAL-812) because I'm proud of the burndown 📈", [CONF])
case("nl", NOOR, "Ik mag het niet zeggen, maar in de memo stond echt 'intern - niet verspreiden' en toch ligt ie bij de koffieautomaat 😂 gaat over het nieuwe belscript", [CONF])
case("en", RAVI, "ok who put the scadaportaal.duinhelder.nl login page in a public Teams invite. please.", [CONF])
case("nl", pub("x", "@waterinsider"), "Hoor van een bron binnen Duinhelder dat 'Project Zilverreiger' een nieuwe zuivering in de duinen is. Wie weet meer?", [CONF])
case("nl", pub("reddit", "u/haarlemmerdijk"), "Op LinkedIn dook net een document op met 'Duinhelder vertrouwelijk' erop, over de afschrijving van oude gietijzeren leidingen. Iemand gaat op z'n donder krijgen", [CONF], kind="comment")
case("en", pub("x", "@utility_watch_nl"), "Leaked: Duinhelder's 2027 tariffs to rise ~9%, per a board deck seen by us.", [CONF, FIN], when="2026-10-20T09:05:00Z")
case("nl", LOTTE, "Project Zilver\nreiger monsters vandaag binnen 🧪 spannend!", [CONF])
case("nl", BAS, "Operatie 🌊 Kwelder fase 2 start na de zomer, planning staat, nu nog de aannemers", [CONF])
case("nl", DAAN, "jaarcijfers 2026 staan al in de conceptmap op intra.duinhelder.local/fin, wie heeft dat zo open gezet?", [CONF], when="2026-12-14T10:30:00+01:00")
case("en", LOTTE, "Our lab report template literally says DH-CONFIDENTIAL on every page and I'm posting the cover because the design is cute 💅", [CONF])
case("nl", pub("threads", "@ex_duinhelder"), "Mijn oud-collega's zeggen dat de LekAlert Pro in september komt, ik had hem al in handen 😏", [CONF], when="2026-07-02T20:44:00+02:00")
case("en", INGRID, "Embargo until 09:00 but whatever, the waterprijs 2027 is going up, plan your budgets 🤷‍♀️", [CONF, FIN], when="2026-11-02T08:59:00+01:00")

# ================================================================ leak.financial
case("nl", INGRID, "Prognose voor dit jaar: tekort van ruim €14 mln door de energiekosten. Nog niet naar buiten gebracht, dus dit blijft even tussen ons 😉", [FIN])
case("en", RAVI, "Rumour is confirmed internally: we're merging with AquaNoord next spring. Announcement not before June. Big changes for IT.", [FIN])
case("nl", NOOR, "Net gehoord dat het KCC met 30 fte krimpt bij de re" + ZW + "organisatie in het najaar. Niemand weet het nog officieel 😢", [FIN])
case("nl", BAS, "Volgens de plannen gaan 2 van de 4 buitendienst-steunpunten dicht in 2027, personeelsvergadering is pas volgende maand", [FIN])
case("en", INGRID, "Q3 came in at €6.2m operating result, way above budget. Aandeelhouders (the municipalities) hear it in December. Proud of the team!", [FIN])
case("nl", pub("x", "@gemeentewatcher"), "Mijn zwager werkt bij Duinhelder en zegt dat er 60 banen verdwijnen na de overname door AquaNoord. Nog niet bekend gemaakt.", [FIN])
case("en", pub("reddit", "u/raadslid_anon"), "Can't say how I know, but Duinhelder will ask the municipalities for a €40m capital injection this autumn. Not public yet.", [FIN], kind="comment")
case("nl", INGRID, "Begroting 2027 ligt klaar: investeringen gaan omlaag van 120 naar 85 mln, er moet bezuinigd worden. Wordt pas in november besproken", [FIN])
case("nl", KEES, "ze gaan ons toch o n t s l a a n hoor, de helft van de ploeg in Velsen weg begin volgend jaar. hoorde het van de teamleider", [FIN])
case("en", DAAN, "Insider tip lol: the portal team gets outsourced to an Indian vendor in Q1, contracts already signed. HR hasn't told anyone.", [FIN])
case("nl", pub("facebook", "Peter Groen"), "Vriend in de raad vertelde dat Duinhelder een verlies van 9 miljoen gaat melden. Weet iemand meer?", [FIN], kind="comment")
case("nl", RAVI, "Re:org ICT per 1 jan: OT en IT worden 1 afdeling, 12 functies vervallen. Staat nog nergens, dus stil houden", [FIN])

# ================================================================ leak.security
case("nl", RAVI, "Lange nacht. Ransomware op de facturatieserver, alles plat sinds 02:00. Officieel heet het 'onderhoud' 🙄", [SEC])
case("en", DAAN, "Found an IDOR in the customer portal today: change the invoice id in the URL and you see other people's bills. Not fixed yet, not disclosed yet.", [SEC])
case("nl", KEES, "Pompstation Zandweg ligt er morgen de hele dag uit, drukverlaging in heel Zandvoort. Klanten weten nog van niks, communicatie is nog aan het vergaderen", [SEC])
case("en", RAVI, "Someone logged into the SCADA HMI remotely with the vendor account last night. We're still figuring out who. Not public, obviously.", [SEC])
case("nl", NOOR, "Er zijn 40 collega's in de phishingmail getrapt en de mailboxen zijn gelezen. Wij mogen er niks over zeggen tegen klanten 🤐", [SEC])
case("en", LOTTE, "Lab LIMS has been down for 2 days and we're logging results on paper. The official line is 'everything normal' lol", [SEC])
case("nl", DAAN, "Lek in de wachtwoord-reset van MijnDuinhelder: je krijgt een reset-link voor ieder mailadres. Staat in de backlog, niet gemeld aan de AP", [SEC])
case("en", BAS, "Main line under the N200 is cracked, we shut the valve at 6. Whole of Heemstede-Zuid will be dry by tonight, press release isn't out yet", [SEC])
case("nl", pub("x", "@hackerhenk"), "Duinhelder doet alsof het 'technisch onderhoud' is maar hun facturatie is gewoon geh4ckt en ze houden het stil. Klantgegevens liggen op straat!", [SEC, CRISIS])
case("en", pub("reddit", "u/infosec_hobbyist"), "Duinhelder is covering up a breach. My contact inside says customer IBANs were exfiltrated weeks ago and they still haven't told anyone.", [SEC, CRISIS], kind="post")
case("nl", RAVI, "Kwetsbaarheid in onze telemetrie-gateways, firmware van 2019, poort 502 staat open naar internet. Patch pas volgende maand. Zeg het niet verder", [SEC])
case("nl", pub("facebook", "Dennis Vermeer"), "Mijn neef werkt bij Duinhelder: ze hebben al een week een hack in de systemen en zeggen er NIKS over. D 4 T 4 L 3 K en niemand mag het weten", [SEC, CRISIS], kind="comment")
case("en", KEES, "heads up we're doing a surprise 8hr shutdown in Bloemendaal-Noord tomorrow, notice letters weren't sent 🤦", [SEC])

# ================================================================ reputation.crisis
case("nl", pub("x", "@bezorgde_ouder"), "Mijn dochter en 4 klasgenoten ziek na het drinken van kraanwater in Zandvoort. E. coli?? Duinhelder zegt niks. Dit is gewoon gevaarlijk!!", [CRISIS, COMPLAINT])
case("en", pub("x", "@klimaatgroen"), "BOYCOT the Duinhelder bottle campaign: they're suing residents over unpaid bills during the pandemic. #boycottduinhelder", [CRISIS])
case("nl", pub("facebook", "Buurtvereniging Duinwijk"), "Wij starten een rechtszaak tegen Duinhelder vanwege de verzakte straat na hun leidingwerk. Doe mee en meld je schade!", [CRISIS])
case("nl", pub("x", "@nieuwsjager"), "SCHANDAAL: directeur Duinhelder kreeg €180.000 bonus terwijl de waterrekening omhoog ging. Ons geld!", [CRISIS])
case("en", pub("reddit", "u/pfas_watch"), "Duinhelder knew about PFAS levels above the guideline at the Zandweg intake for months and kept pumping. This is a public health scandal.", [CRISIS], kind="post")
case("nl", pub("instagram", "@hanna.ijmuiden"), "Datalek bij Duinhelder!! Mijn naam en rekeningnummer stonden op een afrekening van iemand anders 😡 #datalek #privacy", [CRISIS])
case("nl", pub("x", "@wijkraad_nrd"), "Oproep: betaal deze maand NIET aan Duinhelder tot ze de kookadviezen uitleggen. Betaalstaking! #Duinhelder", [CRISIS])
case("en", pub("youtube", "CityWaterTalks"), "Legionella found in the Duinhelder mains near the hospital and they only told the hospital. What about the rest of us?!", [CRISIS], kind="comment")
case("nl", pub("x", "@zandvoort_fm"), "Gaslek?? Nee: waterleiding van Duinhelder gesprongen, sinkhole op de Kerkstraat, auto erin gezakt. Bewoners woedend.", [CRISIS])
case("nl", pub("tiktok", "@mamavan3"), "Bruin water uit de kraan en mijn baby kreeg uitslag 😭 Duinhelder zegt 'onschadelijk' maar ik vertrouw het niet meer. Flessenwater dan maar", [CRISIS, COMPLAINT])
case("nl", pub("x", "@jeroen_zeeland"), "Duinhelder lekt klantgegevens!!1! Ik kreeg een mail met 300 adressen van andere klanten in de cc. D@talek van jewelste", [CRISIS])
case("nl", pub("x", "@dunewalker"), "b o y c o t  Duinhelder, laat ze maar eens voelen wat het is", [CRISIS])

# ================================================================ reputation.complaint
case("nl", pub("x", "@ellenb"), "@duinhelder_webcare al 40 minuten in de wacht bij jullie klantenservice. Echt belachelijk.", [COMPLAINT], kind="reply")
case("nl", pub("facebook", "Gerrit Post"), "Voorschot verhoogd van 22 naar 48 euro per maand zonder uitleg. Ik woon alleen en douche kort, klopt niks van", [COMPLAINT], kind="comment")
case("en", pub("x", "@expat_in_lisse"), "Duinhelder portal still won't let me submit my meter reading, 3rd day in a row of 'er is iets misgegaan'. Useless.", [COMPLAINT])
case("nl", pub("x", "@stratenmaker_nee"), "Straat ligt al 7 weken open voor jullie nieuwe leiding, Duinhelder. Ik kan mijn oprit niet op en niemand weet wanneer het klaar is", [COMPLAINT])
case("nl", pub("instagram", "@bakkerij_dehoek"), "Weer geen waterdruk vanochtend tijdens het bakken. Derde keer deze maand @duinhelder.water, dit kost ons echt omzet", [COMPLAINT], kind="comment")
case("en", pub("reddit", "u/newhomeowner_nl"), "Asked Duinhelder for a new connection in March. It's October. Every call a different answer. Is this normal?", [COMPLAINT], kind="post")
case("nl", pub("x", "@mo_achahbar"), "Monteur zou tussen 8-12 komen voor de watermeter, om 14u nog niemand en geen bericht. Vrije dag voor niks. Bedankt Duinhelder", [COMPLAINT])
case("nl", pub("nextdoor", "Wilma uit Overveen"), "Wie heeft er ook zo'n idiote jaarafrekening van Duinhelder gehad? 640 euro bijbetalen voor 2 personen. Ik heb bezwaar gemaakt maar hoor niks", [COMPLAINT])
case("nl", pub("x", "@lies_hoofddorp"), "Na de werkzaamheden komt er al 2 dagen troebel, wit water uit de kraan. Gebeld, 'laat maar even lopen'. Hoe lang dan??", [COMPLAINT])
case("nl", pub("threads", "@kim.dewaard"), "Verhuisd in mei, Duinhelder blijft incasseren op het oude adres. 4 mails, 0 reactie. Ik word er gek van", [COMPLAINT])
case("nl", pub("facebook", "Jolanda Smits"), "Aanmaning met €40 incassokosten terwijl ik het bedrag al lang betaald had. Excuses? Ho maar. Slechte service hoor", [COMPLAINT], kind="comment")
case("nl", pub("x", "@ruudje1975"), "Kl@ntenservice van Duinhelder is echt om te huilen, 3x doorverbonden en daarna opgehangen", [COMPLAINT])
case("en", pub("youtube", "Sandra V"), "The crew left a pile of sand and a broken fence in my garden after the pipe works. Duinhelder still hasn't sent anyone to fix it.", [COMPLAINT], kind="comment")
case("nl", pub("x", "@hdekker"), "Mijn LekAlert sensor geeft elke nacht vals alarm om 3 uur. Retour aangevraagd, geen reactie. Zonde van het geld", [COMPLAINT])

# ================================================================ reputation.abuse
case("nl", pub("x", "@boos_in_beverwijk"), "@duinhelder_webcare stelletje kutlijers zijn jullie, allemaal", [ABUSE], kind="reply")
case("en", pub("x", "@rage_tenant"), "whoever runs the Duinh\u0435lder twitter is a braindead clown lmao", [ABUSE])
case("nl", pub("facebook", "Ron W."), "Die monteurs van Duinhelder zijn echt tyfuslijers, stuur gewoon normale Nederlanders ipv die buitenlanders", [ABUSE], kind="comment")
case("nl", pub("x", "@xxdennisxx"), "Duinhelder k@nkerbedrijf, stelletje oplichters en dieven 🖕", [ABUSE])
case("en", pub("reddit", "u/throwaway_h2o"), "The woman at the Duinhelder desk is a stupid b*tch, hope she gets fired", [ABUSE], kind="comment")
case("nl", NOOR, "Sommige klanten zijn echt achterlijke debielen, vandaag weer een klant die niet weet wat een meterstand is 🙄 #kcclife", [ABUSE])
case("en", KEES, "customer in Heemstede called me a f*cking idiot so I told him to go to hell, what a pathetic loser", [ABUSE])
case("nl", pub("x", "@annoyed_anton"), "Duinhelder jullie zijn een stelletje k u t w i j v e n op die klantenservice, 2 uur wachten voor niks", [ABUSE, COMPLAINT])
case("nl", pub("instagram", "@mo.zandvoort"), "Die webcare trut van @duinhelder.water snapt er echt niks van. Al 3x mijn meterstand gestuurd, de rekening is nog steeds fout", [ABUSE, COMPLAINT], kind="comment")
case("en", pub("x", "@bigmike_nl"), "Duinhelder sh1t company, total morons, stop sending me bills for water I never used", [ABUSE, COMPLAINT])
case("nl", DH_CARE, "@gerda_vanl Mevrouw, als u niet kunt lezen is dat niet ons probleem. Doe niet zo dom en kijk op uw factuur.", [ABUSE], kind="reply")
case("nl", pub("tiktok", "@roastmaster"), "POV: je belt Duinhelder en krijgt een mongool aan de lijn 🤡🤡", [ABUSE])
case("nl", pub("x", "@fr3d"), "godverdomme Duinhelder, klootzakken, jullie hebben de straat gesloopt en laten het liggen", [ABUSE, COMPLAINT])

# ================================================================ benign
# corporate announcements and own contact data
case("nl", DH_X, "Werkzaamheden: dinsdag 14 april van 09:00 tot 15:00 geen water in de Zeeweg (IJmuiden) door vervanging van de hoofdleiding. Vragen? Bel 0800-0234.", [])
case("nl", DH_CARE, "@marco_hdp Vervelend dat u geen druk heeft! Wilt u uw postcode en huisnummer in een DM sturen? Of mail storingen@duinhelder.nl", [], kind="reply")
case("en", DH_LI, "We're hiring: OT security engineer (m/v/x) for our pumping stations. Apply at werkenbij.duinhelder.nl or mail werkenbij@duinhelder.nl", [])
case("nl", DH_FB, "Betaalt u liever niet via automatische incasso? Maak dan over naar NL38 BNGH 0285 0123 45 o.v.v. uw klantnummer.", [])
case("nl", DH_IG, "Kraanwater is 1000x goedkoper dan flessenwater 💧 Neem je eigen fles mee en vul 'm bij een van onze watertappunten in de stad! #duinhelder", [])
case("nl", DH_X, "Persvragen over het nieuwe pompstation? Neem contact op met pers@duinhelder.nl of +31 23 750 4400.", [])
case("nl", DH_CARE, "@sanne_k Uw klantnummer <<NOTBSN:8>> hoeft u niet te delen hier, stuur het liever via DM. Dan kijken we meteen mee!", [], kind="reply")
case("nl", DH_FB, "Storing opgelost ✅ In Heemstede-Zuid heeft iedereen weer water. Bedankt voor uw geduld, en excuses voor het ongemak.", [])
case("en", DH_LI, "Published today: our annual report 2025. Record investment in pipe replacement and 99.98% supply reliability. Read it on duinhelder.nl/jaarverslag", [])
case("nl", DH_X, "Geen kookadvies in Zandvoort: de extra controles van vanochtend zijn allemaal goed. Het water is veilig om te drinken.", [])
case("nl", pub("x", "@opa_joop"), "Duinhelder storingsnummer is 0800 0234 voor wie het zoekt, ze waren er binnen een uur bij ons 👍", [])
case("nl", pub("facebook", "Ineke Roos"), "Tip: je kunt je meterstand ook doorgeven via klantenservice@duinhelder.nl als het portaal het niet doet", [], kind="comment")
case("en", pub("x", "@expatnl_help"), "PSA for new arrivals: Duinhelder's number is 023 750 44 00, they speak English fine.", [])
case("nl", DH_CARE, "@jmulder Wat fijn dat het opgelost is! Prettige avond nog 😊", [], kind="reply")
# embargo after the moment
case("nl", DH_X, "Vandaag maken we de tarieven 2027 bekend: de gemiddelde waterrekening stijgt met €2,40 per maand. Alle info op duinhelder.nl/tarieven", [], when="2026-11-02T09:00:00+01:00")
case("en", pub("x", "@nos_regio"), "Duinhelder announces 2027 tariffs: average bill up 9% due to energy costs and pipe replacement.", [], when="2026-11-02T10:15:00Z")
case("nl", DH_IG, "Nieuw! De LekAlert Pro, met druksensor én app. Nu te bestellen 💧", [], when="2026-09-15T10:00:00+02:00")
case("nl", pub("threads", "@gadgetgerard"), "LekAlert Pro van Duinhelder binnen, eerste indruk: app is prima, sensor wat groot", [], when="2026-10-03T19:20:00+02:00")
# birds, landscapes, codename-ish words
case("nl", pub("instagram", "@vogelspot_kennemerland"), "Prachtige zilverreiger vanochtend bij het waterwingebied in de duinen 🐦 #vogels #zilverreiger", [])
case("nl", pub("x", "@wadloper"), "Wandeling over de kwelder bij Den Helder, wat een licht vandaag. Operatie geslaagd: geen natte voeten 😄", [])
case("en", pub("reddit", "u/mythology_nerd"), "The Hydra had nine heads, cut one off and two grow back. Kind of like my email inbox.", [])
# pricing near-misses
case("nl", DH_FB, "Actie: LekAlert sensor nu €66,75 (normaal €89). Op = op!", [])
case("nl", pub("x", "@zuinigzijn"), "€20 korting op de LekAlert bij Duinhelder met de code ZOMER. Aanrader als je een oude boiler hebt.", [])
case("nl", pub("forum", "vakman_dirk"), "Bij AquaNoord kost een huisaansluiting maar €495, bij Duinhelder het dubbele. Verschil in tarieven per regio blijkbaar.", [], kind="comment")
case("en", pub("facebook", "Kris Peeters"), "Selling my used LekAlert sensor, €25, works fine, moving abroad", [], kind="comment")
case("nl", pub("x", "@prijsjager_nl"), "PRIJSFOUT bij de Jumbo: 6 flessen spa voor 0,60! Of drink gewoon kraanwater van Duinhelder haha", [])
case("nl", NOOR, "Klant vroeg of de meterverplaatsing een prijsfout was op de site. Nee hoor, €465 klopt gewoon, staat in de tarievenlijst.", [])
case("en", DH_LI, "Building a home? A construction water connection is €395, and the Tappunt for events is €2,450 incl. installation.", [])
case("nl", pub("x", "@budgetbaas"), "Vastrecht Duinhelder is €7,12 per maand, gewoon een vast bedrag naast je verbruik. Niks mis mee", [])
# invalid identifiers / numbers
case("nl", pub("x", "@test_account_2"), "Ik probeerde IBAN <<BADIBAN_NL:grp>> in te vullen op mijn.duinhelder.nl maar hij zegt ongeldig, klopt ook want ik had een typfout 🙈", [])
case("en", pub("reddit", "u/cardnerd"), "Example from the payment page screenshot: <<BADCARD:visa_sp>>, which is not even a valid number, fails Luhn. Relax.", [], kind="comment")
case("nl", pub("forum", "meterkast"), "Mijn meternummer is <<NOTBSN:9>> en ik vind hem niet terug in het portaal. Iemand een idee?", [], kind="comment")
case("nl", pub("facebook", "Anton B."), "Factuurnummer <<DIGITS:10>> is nog steeds niet verwerkt, maar ach, ze zijn ermee bezig zeiden ze. Geduld dan maar.", [], kind="comment")
case("en", KEES, "Job ref <<NOTBSN:9>> done, 3 valves replaced on the Dreef, next one tomorrow morning 💪", [])
case("nl", pub("x", "@dehaan_a"), "Ticketnummer DH-<<DIGITS:7>> is opgelost, snel geregeld. Complimenten.", [])
# secrets near-misses
case("en", DAAN, "PSA: never paste tokens starting with ghp_ or live_ into chats. Use the vault. Yes, I'm looking at you.", [])
case("en", DAAN, "merged the fix in commit <<HEX:40>>, portal login should be snappier now", [])
case("nl", pub("x", "@digi_oma"), "Wachtwoord vergeten bij MijnDuinhelder, knop werkte meteen. Top!", [])
case("en", RAVI, "Config example for the new devs: API_KEY=<your-key-here>, AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX. Never commit real ones.", [])
# praise / negated complaints / neutral questions
case("nl", pub("x", "@karin_duin"), "Geen klachten over Duinhelder hoor, monteur was vriendelijk en alles netjes achtergelaten 👍", [])
case("en", pub("x", "@haarlem_mom"), "Not complaining at all: Duinhelder crew fixed our leak in the street within 2 hours. Respect 💙", [])
case("nl", pub("reddit", "u/vraagje123"), "Hoe geef je eigenlijk je meterstand door bij Duinhelder? Eerste keer in een eigen huis", [], kind="post")
case("en", pub("reddit", "u/expat_q"), "Is the tap water in Haarlem safe to drink? Coming from a country where you don't.", [], kind="post")
case("nl", LOTTE, "Vandaag 48 monsters geanalyseerd, allemaal ruim binnen de norm 🧪💧 Dit werk blijft leuk! #lableven", [])
case("nl", KEES, "Mooie dag gehad, nieuwe leiding in de Dorpsstraat ligt erin en de bewoners brachten koffie ☕", [])
case("en", BAS, "Proud of the crew: 2 km of old cast iron replaced this month without a single complaint.", [])
# other companies, other senses
case("nl", pub("x", "@techblog_nl"), "Datalek bij een Duitse energieleverancier: 200.000 klanten getroffen. Gelukkig niks met water te maken.", [])
case("en", pub("x", "@finance_daily"), "AquaNoord announces 45 layoffs in restructuring, published in their annual report today.", [])
case("nl", pub("facebook", "Marieke D."), "Terugroepactie van een kinderzitje bij de Kruidvat, check even je merk mensen!", [])
case("nl", pub("x", "@sportfan"), "Boycot van het WK? Ik kijk gewoon, met een glas kraanwater ernaast 😂", [])
case("nl", pub("x", "@lachebek"), "Mijn man zegt dat ik meer water verbruik dan heel Zandvoort. Sorry Duinhelder, lange douches zijn mijn hobby 🚿😂", [])
case("en", pub("blog", "shortfiction.example"), "In the story, the engineer at the water plant finds a hidden valve and a note: 'turn me at midnight'. She doesn't. Chapter two next week.", [])
case("nl", pub("instagram", "@festival_duinrell"), "Dank aan Duinhelder voor het watertappunt op ons festival! 10.000 bidons gevuld 🌞", [])
case("nl", pub("x", "@lotte_labwerk"), "Zo, de hele dag in het lab gestaan voor mijn studie, ik ben kapot 😴", [])
case("nl", pub("x", "@pieterpost"), "Waarom heet het eigenlijk kookadvies en niet kookplicht? Vraag ik me al jaren af", [])

# ---------------------------------------------------------------- severity and building
def load_profile():
    import yaml
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))

def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"

def severity_for(role, cats, pii_validated):
    sev = "none"; insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in (SECRET, PRICING) or (c == PII and pii_validated)) else "error"
            else:
                s = "warning"
        elif c == COMPLAINT: s = "warning"
        elif c == CRISIS: s = "error"
        elif c == ABUSE: s = "error" if insider else "warning"
        else: raise ValueError(c)
        if RANK[s] > RANK[sev]: sev = s
    return sev

def ams_off(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1

def rand_time(r):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=r.randint(3, 355),
                                                                       minutes=r.randint(6 * 60, 23 * 60), seconds=r.randint(0, 59))
    off = ams_off(base); t = base - dt.timedelta(hours=off); s = r.random()
    if s < 0.4: return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if s < 0.85: return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"

def make_id(r, platform, handle, kind):
    h = handle.lstrip("@").replace(" ", "")
    snow = str(r.randint(1_900_000_000_000_000_000, 2_020_000_000_000_000_000))
    if platform == "x": return f"x-{snow}", f"https://x.com/{h}/status/{snow}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "reddit":
        p = "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(7))
        return (f"t1_{p}" if kind == "comment" else f"t3_{p}"), f"https://www.reddit.com/r/haarlem/comments/{p}/"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "facebook":
        return f"fb-{r.randint(10**14, 10**15)}_{snow[:16]}", None
    return f"{platform}-{snow}", f"https://{platform}.example/p/{snow}"

def build(profile):
    gen = Gen(SEED); mr = random.Random(SEED + 1); orr = random.Random(SEED + 2)
    rows, seen = [], set()
    for c in CASES:
        text, used = render(gen, c["text"])
        pid, url = make_id(mr, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in seen: pid += "1"
        seen.add((c["platform"], pid))
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALID_ID for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"] or ("post" if mr.random() < 0.6 else None)
        if kind: post["kind"] = kind
        acc = {"handle": c["handle"]}
        if c["dn"] and mr.random() < 0.7: acc["display_name"] = c["dn"]
        if mr.random() < 0.3: acc["id"] = str(mr.randint(10**8, 10**12))
        post["account"] = acc
        post["text"] = text
        x = mr.random()
        if c["hint"] is not None:
            if c["hint"]: post["lang"] = c["hint"]
        elif x < 0.1: pass
        elif x < 0.13: post["lang"] = "en" if c["lang"] == "nl" else "nl"
        else: post["lang"] = c["lang"]
        post["created_at"] = c["when"] or rand_time(mr)
        if url and mr.random() < 0.6: post["url"] = url
        if mr.random() < 0.5: post["brand"] = "duinhelder"
        rows.append(dict(post=post, expect={"categories": c["cats"], "severity": sev}, used=used, role=role, lang=c["lang"]))
    orr.shuffle(rows)
    return rows

def selfcheck(rows, profile):
    errs = []
    for r in rows:
        for k, raw, shown in r["used"]:
            if k.startswith("IBAN_") and not iban_ok(raw): errs.append(("iban", raw))
            if k.startswith("BADIBAN_") and iban_ok(raw): errs.append(("badiban", raw))
            if k == "CARD" and not luhn_ok(raw): errs.append(("card", raw))
            if k == "BADCARD" and luhn_ok(raw): errs.append(("badcard", raw))
            if k == "BSN" and not bsn_ok(raw): errs.append(("bsn", raw))
            if k in ("NOTBSN", "DIGITS") and not r["expect"]["categories"] and (bsn_ok(raw) or luhn_ok(raw)):
                errs.append(("benign number passes a checksum", raw))
            if k == "GHP" and b62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(("ghp", raw))
    if not iban_ok(profile["public_identifiers"]["ibans"][0]): errs.append(("own iban", ""))
    return errs

def main():
    profile = load_profile()
    rows = build(profile)
    errs = selfcheck(rows, profile)
    if errs:
        print(errs); return 1
    OUT.write_text("".join(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    from collections import Counter
    cat = Counter(); sev = Counter(); role = Counter(); lang = Counter()
    for r in rows:
        cs = r["expect"]["categories"]
        for c in cs or ["(benign)"]: cat[c] += 1
        sev[r["expect"]["severity"]] += 1; role[r["role"]] += 1; lang[r["lang"]] += 1
    print(f"wrote {len(rows)} cases to {OUT}")
    print(dict(sorted(cat.items()))); print(dict(sev)); print(dict(role)); print(dict(lang))
    print("multi:", sum(len(r["expect"]["categories"]) > 1 for r in rows))
    return 0

if __name__ == "__main__":
    sys.exit(main())
