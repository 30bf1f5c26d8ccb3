#!/usr/bin/env python3
"""Sealed blind set #2 for postwatch: fictional Dutch supermarket chain Versmarkt B.V.
Writes profile.yaml and cases.jsonl deterministically (seed 20261129) and validates them:
  python3 make_cases.py          # write + validate
  python3 make_cases.py --check  # validate that files match the generator
"""
import json, random, string, sys, zlib, base64, hashlib, os
from datetime import datetime, timedelta, timezone

SEED = 20261129
R = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = s.replace(" ", "").upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def make_iban(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{cc}{chk:02d}{bban}"

def spaced(s):
    return " ".join(s[i:i+4] for i in range(0, len(s), 4))

def luhn_ok(n):
    d = [int(c) for c in n if c.isdigit()][::-1]
    t = sum(x if i % 2 == 0 else (x*2 - 9 if x*2 > 9 else x*2) for i, x in enumerate(d))
    return t % 10 == 0

def make_card(prefix, length):
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c

def bsn_ok(n):
    n = "".join(c for c in n if c.isdigit())
    if len(n) == 8: n = "0" + n
    if len(n) != 9: return False
    s = sum(int(n[i]) * (9 - i) for i in range(8)) - int(n[8])
    return s % 11 == 0 and int(n) > 0

def make_bsn():
    while True:
        b = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if bsn_ok(b): return b

def make_bad_bsn():
    while True:
        b = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if not bsn_ok(b): return b

# ---------------------------------------------------------------- fake secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
def rnd(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))

def b62(n, width):
    out = ""
    while n: n, r = divmod(n, 62); out = B62[r] + out
    return out.rjust(width, "0")

def ghp():
    body = rnd(30)
    return "ghp_" + body + b62(zlib.crc32(body.encode()), 6)

def jwt():
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    sig = base64.urlsafe_b64encode(hashlib.sha256(rnd(20).encode()).digest()).decode().rstrip("=")
    return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc({"sub": "svc-bezorg", "iat": 1780000000}) + "." + sig

UPPER_DIG = string.ascii_uppercase + string.digits
S = dict(
    GHP=ghp(),
    AKIA="AKIA" + rnd(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    AWS_SECRET=rnd(40, string.ascii_letters + string.digits + "/+"),
    XOXB=f"xoxb-{R.randint(10**10, 10**11)}-{R.randint(10**12, 10**13)}-{rnd(24)}",
    SK_LIVE="sk_live_" + rnd(24),
    AIZA="AIza" + rnd(35, string.ascii_letters + string.digits + "-_"),
    GLPAT="glpat-" + rnd(20, string.ascii_letters + string.digits + "-_"),
    SG="SG." + rnd(22, string.ascii_letters + string.digits + "-_") + "." + rnd(43, string.ascii_letters + string.digits + "-_"),
    JWT=jwt(),
    PG_PW=rnd(14),
    AZ_KEY=base64.b64encode(bytes(R.getrandbits(8) for _ in range(64))).decode(),
    PEM_BODY=base64.b64encode(bytes(R.getrandbits(8) for _ in range(48))).decode(),
    PEM2=base64.b64encode(bytes(R.getrandbits(8) for _ in range(48))).decode(),
)

# ---------------------------------------------------------------- identifiers
OWN_IBAN = make_iban("NL", "INGB" + "0006543210")
ID = dict(
    IBAN_NL=make_iban("NL", "RABO" + "".join(R.choice(string.digits) for _ in range(10))),
    IBAN_NL2=make_iban("NL", "ABNA" + "".join(R.choice(string.digits) for _ in range(10))),
    IBAN_BE=make_iban("BE", "".join(R.choice(string.digits) for _ in range(12))),
    IBAN_DE=make_iban("DE", "".join(R.choice(string.digits) for _ in range(18))),
    VISA=make_card("4", 16), MC=make_card("51", 16), MC2=make_card("2221", 16), AMEX=make_card("37", 15),
    BSN=make_bsn(), BSN2=make_bsn(),
)
_bad = make_iban("NL", "TRIO" + "".join(R.choice(string.digits) for _ in range(10)))
BAD = dict(
    IBAN_BAD=_bad[:2] + ("%02d" % ((int(_bad[2:4]) + 7) % 100)) + _bad[4:],
    CARD_BAD=None, BSN_BAD=make_bad_bsn(),
)
c = make_card("4", 16); BAD["CARD_BAD"] = c[:-1] + str((int(c[-1]) + 3) % 10)
VALID = {k: v for k, v in ID.items()}
for k, v in BAD.items():
    assert not (iban_ok(v) if k.startswith("IBAN") else luhn_ok(v) if k.startswith("CARD") else bsn_ok(v)), k
for k, v in ID.items():
    assert (iban_ok(v) if k.startswith("IBAN") else bsn_ok(v) if k.startswith("BSN") else luhn_ok(v)), k
assert iban_ok(OWN_IBAN)
def cardfmt(n):
    return " ".join(n[i:i+4] for i in range(0, len(n), 4)) if len(n) == 16 else f"{n[:4]} {n[4:10]} {n[10:]}"
def bsndot(b): return f"{b[:4]}.{b[4:6]}.{b[6:]}"

# ---------------------------------------------------------------- profile
PROFILE = f"""# Sealed blind set 2: fictional Dutch supermarket chain. Every CONTRACT §5 field appears.
company: "Versmarkt B.V."
brands: ["Versmarkt", "Versmarkt Thuis", "VersPunten"]

accounts:
  corporate:
    - "x:@versmarkt"
    - "x:@versmarkt_helpt"
    - "instagram:@versmarkt.nl"
    - "linkedin:versmarkt-bv"
    - "facebook:VersmarktNL"
    - "tiktok:@versmarkt"
  employee:
    - "x:@lotte_vm"
    - "x:@yusuf_bezorgt"
    - "linkedin:daan-visser-versmarkt"
    - "linkedin:ingrid-kok-vm"
    - "reddit:u/vm_nachtploeg"
    - "instagram:@merel.versmarkt"

public_identifiers:
  emails: ["klantenservice@versmarkt.nl", "pers@versmarkt.nl", "thuis@versmarkt.nl"]
  phones: ["+31 30 760 4400", "0800-8377"]
  ibans: ["{OWN_IBAN}"]
  domains: ["versmarkt.nl", "www.versmarkt.nl", "thuis.versmarkt.nl", "app.versmarkt.nl"]

internal:
  domains: ["corp.versmarkt.local", "jira.versmarkt.nl", "wiki.versmarkt.nl", "dc-ops.versmarkt.nl"]
  codenames: ["Project Zeekraal", "Operatie Boomgaard", "Bluebird-7"]
  markers: ["alleen voor intern gebruik", "versmarkt intern", "vertrouwelijk - niet delen"]

embargo:
  - terms: ["jaarcijfers 2026", "Q4 2026 cijfers", "FY2026 results", "Q4 2026 results"]
    until: "2027-03-04T07:00:00Z"
  - terms: ["Versbox Veggie", "AirCrisp Duo"]
    until: "2026-09-15T08:00:00Z"

products:
  - sku: "VM-KOF300"
    name: "Versmarkt Barista 300 koffiemachine"
    aliases: ["Barista 300", "Barista300", "Barista 300 espresso machine"]
    list_price: 249.00
    currency: EUR
  - sku: "VM-AIR5"
    name: "Versmarkt AirCrisp 5L airfryer"
    aliases: ["AirCrisp 5L", "AirCrisp", "AirCrisp airfryer"]
    list_price: 119.00
    currency: EUR
  - sku: "VM-BOX4"
    name: "Versbox maaltijdbox 4 personen (per week)"
    aliases: ["Versbox", "Versbox 4p", "Versbox maaltijdbox"]
    list_price: 64.95
    currency: EUR
  - sku: "VM-PLUS"
    name: "VersPlus jaarabonnement"
    aliases: ["VersPlus", "Vers Plus", "VersPlus abonnement"]
    list_price: 59.00
    currency: EUR
  - sku: "VM-BPAS"
    name: "Versmarkt BezorgPas (per maand)"
    aliases: ["BezorgPas", "Bezorg Pas"]
    list_price: 12.99
    currency: EUR
  - sku: "VM-BLEND"
    name: "Versmarkt Blender Pro 1200"
    aliases: ["Blender Pro", "Blender Pro 1200"]
    list_price: 89.00
    currency: EUR

pricing:
  alert_below_ratio: 0.5
"""

CORP = {"x:@versmarkt", "x:@versmarkt_helpt", "instagram:@versmarkt.nl", "linkedin:versmarkt-bv", "facebook:versmarktnl", "tiktok:@versmarkt"}
EMP = {"x:@lotte_vm", "x:@yusuf_bezorgt", "linkedin:daan-visser-versmarkt", "linkedin:ingrid-kok-vm", "reddit:u/vm_nachtploeg", "instagram:@merel.versmarkt"}
def role(platform, handle):
    k = f"{platform}:{handle}".lower()
    return "corporate" if k in CORP else "employee" if k in EMP else "public"

RANK = ["none", "info", "warning", "error", "critical"]
def severity_for(cats, rl, tags):
    sev = "none"
    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev): sev = s
    insider = rl in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider: up("warning")
            elif c in ("leak.secret", "leak.pricing"): up("critical")
            elif c == "leak.pii" and "chk" in tags: up("critical")
            else: up("error")
        elif c == "reputation.complaint": up("warning")
        elif c == "reputation.crisis": up("error")
        elif c == "reputation.abuse": up("error" if insider else "warning")
    return sev

# ---------------------------------------------------------------- cases
# (platform, handle, lang, created_at or None, text, categories, tags)
# tags: ev = evasion; chk = holds checksum-validated PII; hn:* = benign hard negative;
#       uses:KEY = identifier placeholder keys that must pass / fail their check.
I, B = ID, BAD
SE = ["leak.secret"]; PI = ["leak.pii"]; PR = ["leak.pricing"]; CO = ["leak.confidential"]
FI = ["leak.financial"]; SC = ["leak.security"]; CR = ["reputation.crisis"]; CP = ["reputation.complaint"]; AB = ["reputation.abuse"]

CASES = [
# ---- leak.secret
("x", "@yusuf_bezorgt", "nl", None, f"wie heeft de slack bot van de bezorgplanning gebouwd? hij crasht steeds. token staat nog in de oude config: {S['XOXB']} graag fixen voor de avondronde", SE, []),
("reddit", "u/vm_nachtploeg", "en", None, f"Anyone else on the night shift getting 403s from the stock API? I pasted my own key in the script just to test: {S['AIZA']} works for me, no idea why the handhelds fail", SE, []),
("linkedin", "daan-visser-versmarkt", "en", None, f"Proud of our engineering team migrating the loyalty backend! Fun fact from the cutover night, the old connection string was postgresql://vp_admin:{S['PG_PW']}@db-loyalty.corp.versmarkt.local:5432/verspunten 😅", SE + CO, []),
("x", "@lotte_vm", "nl", None, f"Voor de collega's die niet in de app-groep zitten: het wachtwoord van de kassa-backoffice is deze week Appeltaart!2026 , volgende week weer nieuw", SE, []),
("mastodon", "@devnotes@fosstodon.org", "en", None, f"Found a public GitHub gist from someone at Versmarkt with a live AWS pair in it: aws_access_key_id = {S['AKIA']} aws_secret_access_key = {S['AWS_SECRET']} — reported it, but come on", SE, []),
("x", "@yusuf_bezorgt", "en", None, f"rotated it already so whatever but for the record the stripe key that ended up in the driver app build was {S['SK_LIVE']}", SE, []),
("instagram", "@merel.versmarkt", "nl", None, f"Screenshot van mijn werkplek 🥐☕ (ja die post-it met 'ww: Vers_Markt#88' is echt, sorry IT)", SE, []),
("reddit", "u/vm_nachtploeg", "nl", None, f"Als je in de dc-app niet kan inloggen: gebruiker magazijn2, pass is w e l k o m 0 1 (zonder spaties). Niet doorvertellen haha", SE, ["ev"]),
("linkedin", "ingrid-kok-vm", "en", None, f"Debugging our newsletter pipeline live today. Header we send: Authorization: Bearer {S['SG']} — if you know why SendGrid rejects it let me know!", SE, []),
("x", "@codeleaks_bot", "en", None, f"New exposure: repo versmarkt-thuis/driver-tools commit exposes GitLab token {S['GLPAT']} and a session JWT {S['JWT']}", SE, []),
("forum", "vm_dev_anoniem", "nl", None, f"Onze Azure storage voor de bonnetjes: DefaultEndpointsProtocol=https;AccountName=vmbonnen;AccountKey={S['AZ_KEY']};EndpointSuffix=core.windows.net", SE, []),
# ---- leak.pii
("x", "@lotte_vm", "nl", None, f"Klant belde boos omdat terugbetaling niet aankwam, ik heb het gecheckt: rekening {spaced(I['IBAN_NL'])} t.n.v. M. de Groot, staat gewoon goed in ons systeem", PI, ["chk", "uses:IBAN_NL"]),
("facebook", "annemiek.vd.linden", "nl", None, f"Versmarkt Thuis heeft me dubbel afgeschreven!! Stort het terug op {I['IBAN_BE']} aub, mijn nummer is 0612 345 678 bel me maar", PI + CP, ["chk", "uses:IBAN_BE"]),
("x", "@yusuf_bezorgt", "nl", None, f"Mevrouw Jansen, Kastanjelaan 14 in Amersfoort, geeft elke week een fooi van 5 euro 🥹 beste klant van de route", PI, []),
("linkedin", "daan-visser-versmarkt", "en", None, f"Training new staff on the refund desk. Example from today (customer OK'd it, promise): card {cardfmt(I['MC'])}, exp 09/28 — always check the last 4 before refunding!", PI, ["chk", "uses:MC"]),
("reddit", "u/vm_nachtploeg", "nl", None, f"Nieuwe collega moest haar BSN invullen op een briefje dat nu gewoon in de kantine hangt: {bsndot(I['BSN'])}. HR wat doen jullie", PI, ["chk", "uses:BSN"]),
("x", "@kassajuf_rina", "nl", None, f"lol die klant die gisteren zo schreeuwde bij de zelfscan heet Peter van Dam, geboren 3 maart 1971, stond op zijn VersPunten-pas", PI, []),
("instagram", "@fitmet_fleur", "en", None, f"Versmarkt refund still not here so here's my IBAN again since your bot keeps losing it: {I['IBAN_DE']}", PI + CP, ["chk", "uses:IBAN_DE"]),
("x", "@versmarkt_helpt", "nl", None, f"@hennie_k Wij bellen u morgen terug op 06-48 21 73 90 over uw bestelling, excuses voor het ongemak!", PI, []),
("forum", "stille_lezer", "nl", None, f"Bezorger van Versmarkt gooide mijn boodschappen gewoon over het hek, eieren kapot. Zijn naam is Kevin Bos, hij woont Molenstraat 7, Zeist, 0031 6 1234 5679. Ga je gang.", PI + CP, []),
("x", "@yusuf_bezorgt", "en", None, f"customer asked me to pass this on to support: anouk.ter.horst82 [at] gmail [dot] com, she never got her voucher", PI, ["ev"]),
("tiktok", "@snelle.sem", "nl", None, f"POV je vindt bij de zelfscan een bonnetje met pas {cardfmt(I['VISA'])} erop gekrabbeld 😭 Versmarkt Utrecht Centraal", PI, ["chk", "uses:VISA"]),
("linkedin", "ingrid-kok-vm", "nl", None, f"Gefeliciteerd aan onze collega Samira El Idrissi (geboren 12-05-1994), 10 jaar in dienst bij filiaal Tilburg!", PI, []),
("x", "@rdw_fan_88", "en", None, f"ok Versmarkt app just showed me someone else's profile: Jeroen Mulder, +31 (0)6-2910 4471, jeroen.mulder@ziggo.nl. that's a leak right there", PI + CR, []),
# ---- leak.pricing
("x", "@koopjesjager_nl", "nl", None, "RENNEN!! Barista 300 in de Versmarkt app voor €24,90 😱 zal wel een prijsfout zijn maar ik heb er 2 besteld", PR, []),
("reddit", "u/dealhunter_eu", "en", None, "Versmarkt site lists the AirCrisp 5L at €11.90 right now. Pretty sure it's a pricing error, grab it before they notice", PR, []),
("x", "@lotte_vm", "nl", None, "Collega's, in de kassa staat de Blender Pro voor €8,90 ipv €89. Niet zeggen tegen klanten tot IT het gefixt heeft 🙈", PR, []),
("facebook", "sparen.met.saskia", "nl", None, "Versbox voor 4 personen deze week maar €6,49?? Is dat een foutje van Versmarkt? Ik heb er maar gelijk 3 weken op vastgelegd", PR, []),
("x", "@versmarkt", "nl", None, "Vanaf vandaag: VersPlus jaarabonnement voor maar €5,90! 🎉 Wees er snel bij", PR, []),
("instagram", "@merel.versmarkt", "en", None, "Psst, pricing glitch on the BezorgPas, it's showing €1.29/month in the app today 🤫 tell your friends", PR, []),
("forum", "pepperfan", "nl", None, "Barista300 staat voor 99 euro bij Versmarkt, dat is geen actie meer, dat is een p r i j s f o u t. Ingeslagen!", PR, ["ev"]),
("bluesky", "@goedkoop.bsky.social", "en", None, "the Versmarkt AirCrisp airfryer for €45 — obvious mistake in the price, ordered anyway", PR, []),
("linkedin", "daan-visser-versmarkt", "nl", None, "Kleine tip voor de collega's online: er zit een prijsföut in de webshop bij de Barista 300, kijk even naar de promo-tegel voordat het escaleert", PR, ["ev"]),
# ---- leak.confidential
("linkedin", "ingrid-kok-vm", "nl", None, "Zo trots op het team dat aan Project Zeekraal werkt, volgend jaar gaat heel Nederland dit zien! 🌊", CO, []),
("x", "@lotte_vm", "nl", None, "weet iemand waarom wiki.versmarkt.nl/pages/roosters traag is vandaag? kan m'n rooster niet zien", CO, []),
("reddit", "u/vm_nachtploeg", "en", None, "Operatie Boomgaard is basically them closing the smaller city stores and replacing them with dark stores. Heard it in the briefing tonight", CO + FI, []),
("x", "@yusuf_bezorgt", "nl", "2026-09-14T18:20:00+02:00", "morgen mag ik als eerste de Versbox Veggie bezorgen 🥦 tot die tijd mondje dicht haha", CO, []),
("instagram", "@foodie.jasmijn", "en", "2026-09-15T09:30:00+02:00", "Leaked pic of the new AirCrisp Duo from a Versmarkt shelf in Breda, two baskets 👀 #newfood", CO, []),
("forum", "supermarktwatcher", "nl", None, "Hier een screenshot van een document met 'VERSMARKT INTERN' in de kop: nieuwe zelfscan-layout per Q2", CO, []),
("x", "@techbrabant", "en", None, "Versmarkt insiders say Bluebird-7 is their drone delivery pilot for Noord-Brabant. Big if true", CO, []),
("linkedin", "daan-visser-versmarkt", "en", None, "Great session with the supply chain team! (slide deck is marked alleen voor intern gebruik so no photos, but trust me it was good)", CO, []),
("x", "@lotte_vm", "nl", None, "Project\nZeekraal 🙌 eindelijk groen licht gekregen vandaag", CO, ["ev"]),
("reddit", "u/vm_nachtploeg", "nl", None, "de scanners praten met https://dc-ops.versmarkt.nl/api/v2/pick en dat ding ligt er al de hele nacht uit", CO + SC, []),
("x", "@l0tte_fan", "nl", None, "Op\u200beratie Boom\u200bgaard gaat echt veel banen kosten heb ik gehoord van mijn zus die bij Versmarkt werkt", CO + FI, ["ev"]),
("x", "@merel_privé", "en", None, "saw the Pr0ject Ze3kraal roadmap at my mum's work (Versmarkt). Insane stuff", CO, ["ev"]),
# ---- leak.financial
("x", "@lotte_vm", "nl", "2026-12-02T20:11:00+01:00", "De jaarcijfers 2026 worden echt slecht, omzet Thuis 12% lager dan begroot hoorde ik vandaag van mijn regiomanager", CO + FI, []),
("linkedin", "ingrid-kok-vm", "en", None, "Can't say much, but next quarter Versmarkt will announce it's taking over a Belgian regional chain. Exciting times!", FI, []),
("reddit", "u/vm_nachtploeg", "nl", None, "Gerucht van HR: 40 fte bij het distributiecentrum Nieuwegein wordt geschrapt in maart. Reorganisatie wordt pas na de kerst aangekondigd", FI, []),
("x", "@beurs_insider", "en", "2026-11-20T07:45:00Z", "Sources: Versmarkt FY2026 results will show EBITDA down 8%, guidance cut. Not public until March", CO + FI, []),
("x", "@yusuf_bezorgt", "nl", None, "Versmarkt Thuis gaat vanaf 1 feb stoppen in Groningen en Friesland, alle bezorgers daar worden o n t s l a g e n. Nog niet officieel", FI, ["ev"]),
("linkedin", "daan-visser-versmarkt", "nl", "2026-10-30T16:00:00+01:00", "Mooie kwartaal-review vandaag. Zonder details te geven: de Q4 2026 cijfers gaan de verwachtingen ruim overtreffen 📈", CO + FI, []),
("forum", "beleggerspraat", "nl", None, "Iemand van de Versmarkt-financieafdeling vertelde me dat de verkoop van de Belgische tak al getekend is, aankondiging volgt pas in april", FI, []),
# ---- leak.security
("x", "@yusuf_bezorgt", "nl", None, "alle bezorgscanners liggen eruit sinds 6 uur vanochtend, er zou ransomware op de planningsserver zitten. officieel weten we nog niks", SC, []),
("reddit", "u/vm_nachtploeg", "en", None, "Not announced yet but IT told us someone got into the VersPunten admin panel last week and exported accounts. Change your passwords folks", SC, []),
("linkedin", "ingrid-kok-vm", "en", None, "Long night with the security team after we found an unpatched vuln in the loyalty API that let anyone read other users' points. Fixed now, hopefully nobody noticed", SC, []),
("x", "@lotte_vm", "nl", None, "Intern mailtje: de kassasystemen van 30 filialen zijn geh4ckt, niet met klanten over praten 🤐", SC, ["ev"]),
("instagram", "@merel.versmarkt", "nl", None, "Heel het betaalsysteem ligt plat in alle winkels, IT zegt dat er een storing in het datacenter is die nog niet naar buiten is gebracht", SC, []),
("forum", "bezorger_anon", "nl", None, "Ik werk bij Versmarkt Thuis: het datalek van vorige week wordt stil gehouden, 80.000 klantadressen lagen open. Zelf gezien in de interne melding", SC + CR, []),
("x", "@dataprivacy_nl", "nl", None, "Versmarkt verzwijgt een hack van de VersPunten-app, ik heb bronnen binnen het bedrijf. Waarom geen melding bij de AP?", SC + CR, []),
# ---- reputation.crisis
("x", "@moeder_van_3", "nl", None, "Mijn dochter kreeg een allergische reactie op de Versmarkt kipnuggets, er zat gewoon pinda in terwijl dat niet op het etiket stond. Ambulance moest komen!!", CR + CP, []),
("facebook", "marco.verhoef.31", "nl", None, "Roep iedereen op: BOYCOT Versmarkt tot ze hun bezorgers een eerlijk loon betalen. Delen!", CR, []),
("x", "@foodwatch_fan", "en", None, "Listeria found in Versmarkt own-brand salmon salad, and they're recalling it only in some stores. Disgraceful handling of a food safety issue", CR, []),
("x", "@nieuwsdesk_utr", "nl", None, "Versmarkt haalt gehakt terug uit de schappen na vondst van salmonella; klanten die ziek werden overwegen een rechtszaak", CR, []),
("reddit", "u/privacygeek", "en", None, "Versmarkt leaked my loyalty data. I'm getting targeted phishing with my exact shopping history. That's a breach, period", CR, []),
("x", "@consumentenclaim", "nl", None, "Wij starten een collectieve rechtszaak tegen Versmarkt B.V. wegens misleidende 'verse' claims. Meld je aan via onze site", CR, []),
("tiktok", "@foodtok_lisa", "en", None, "Found a piece of glass in my Versmarkt yoghurt 😳 this could have killed my toddler #foodsafety", CR + CP, []),
("x", "@onderzoeksjournalist", "nl", None, "Onthulling: Versmarkt verkocht maandenlang over-datum vlees met nieuwe etiketten. Documenten in handen van onze redactie", CR, []),
("instagram", "@veganvera", "en", None, "b o y c o t t Versmarkt!! they're still selling eggs from cage farms while marketing as 'animal friendly'", CR, ["ev"]),
("x", "@ouders_zeist", "nl", None, "Meerdere kinderen ziek na Versmarkt kant-en-klaar maaltijd van school-uitje, GGD doet onderzoek", CR, []),
# ---- reputation.complaint
("x", "@druk_druk_druk", "nl", None, "@versmarkt_helpt al de 3e keer dat mijn bezorgslot van 18-19u gewoon wordt geannuleerd een uur van tevoren. Wat heb ik aan jullie?", CP, []),
("facebook", "ilse.brouwer.7", "nl", None, "Bestelling van Versmarkt Thuis: melk, eieren en brood ontbraken, wel betaald natuurlijk. Geen excuses, niks", CP, []),
("x", "@jeroen_kookt", "en", None, "Versmarkt strawberries went mouldy within a day. Third time this month. Not buying produce there again", CP, []),
("reddit", "u/appfrustratie", "nl", None, "De VersPunten app crasht elke keer als ik mijn bonus wil activeren. Al 2 weken. Klantenservice zegt 'cache legen' 🙄", CP, []),
("x", "@saar_huisje", "nl", None, "Nog steeds geen terugbetaling voor mijn geannuleerde Versbox, al 5 weken wachten @versmarkt", CP, []),
("instagram", "@tomtomtom88", "en", None, "The cashier at Versmarkt Leiden was so rude to my grandma, rolled her eyes when she couldn't find her card. Not okay", CP, []),
("x", "@kees_uit_delft", "nl", None, "Bezorger van Versmarkt zette mijn boodschappen in de regen voor de deur en belde niet eens aan. Alles doorweekt", CP, []),
("threads", "@lina.bakt", "en", None, "My Barista 300 from Versmarkt started leaking water after 3 weeks and the store refuses to swap it. Great warranty guys", CP, []),
("x", "@mamavan2", "nl", None, "Bezorgkosten bij Versmarkt Thuis weer verhoogd en de bezorgvensters worden alleen maar slechter. Niet meer te doen", CP, []),
("facebook", "hans.pieters.56", "nl", None, "Vandaag een AirCrisp gekocht, handvat brak er bij de 2e keer gebruik al af. Versmarkt wil alleen een tegoedbon geven.", CP, []),
("x", "@greg_in_ams", "en", None, "Versmarkt app charged me twice for the same order and support just keeps sending canned replies", CP, []),
("youtube", "KeukenKees", "nl", None, "Review na 1 maand Versbox: porties te klein, 2 keer rotte paprika, en je kan bijna niet opzeggen. Echt teleurgesteld", CP, []),
("x", "@hetisfemke", "nl", None, "zelfscan bij versmarkt weer eens kapot, 20 min in de rij bij de enige kassa. k l a c h t ingediend", CP, ["ev"]),
# ---- reputation.abuse
("x", "@boze_klant_112", "nl", None, "Versmarkt klantenservice is een stelletje idioten, echt achterlijke sukkels allemaal", AB, []),
("x", "@trollface99", "en", None, "Versmarkt execs are worthless pieces of sh*t, every single one", AB, ["ev"]),
("reddit", "u/angryshopper", "en", None, "whoever runs the Versmarkt twitter account is a brain-dead moron", AB, []),
("x", "@yusuf_bezorgt", "nl", None, "klanten in Lombok zijn gewoon tuig, elke keer hetzelfde gezeik met die mensen", AB, []),
("x", "@hater_nl", "nl", None, "Die dikke vrouw van de Versmarkt reclame moet gewoon van tv, walgelijk wijf", AB, []),
("facebook", "VersmarktNL", "nl", None, "@klaasjan85 Als u zo blijft schelden heeft u er zelf een handje van, eikel. Fijne dag.", AB, []),
("x", "@gewoonzeggen", "nl", None, "Versmarkt bezorgers zijn allemaal buitenlanders die geen Nederlands kunnen, stuur ze terug", AB, []),
("tiktok", "@rant.rob", "en", None, "Versmarkt staff in Almere are f*cking clowns, they lost my order AGAIN and laughed about it", AB + CP, []),
("x", "@kut_versmarkt", "nl", None, "Versmarkt kankerbedrijf met jullie kankerbezorgers", AB, []),
("linkedin", "daan-visser-versmarkt", "en", None, "To the 'influencer' who trashed our store: you're a pathetic little clown and everyone knows it", AB, []),
# ---- benign hard negatives
("x", "@versmarkt_helpt", "nl", None, "Vragen over je bestelling? Bel ons gratis via 0800 8377 of mail klantenservice@versmarkt.nl 💚", [], ["hn:own"]),
("facebook", "VersmarktNL", "nl", None, f"Betaal je factuur van Versmarkt Zakelijk via overboeking naar {spaced(OWN_IBAN)} o.v.v. je klantnummer.", [], ["hn:own"]),
("x", "@versmarkt", "en", None, "Press enquiries: pers@versmarkt.nl or +31 (0)30 760 4400. Head office: 030-7604400.", [], ["hn:own"]),
("instagram", "@versmarkt.nl", "nl", None, "Bestel je boodschappen op thuis.versmarkt.nl of in de app (app.versmarkt.nl) 🛒", [], ["hn:own"]),
("x", "@marieke_b", "nl", None, f"Versmarkt stuurt me een betaalverzoek naar {spaced(B['IBAN_BAD'])}? Klopt dat wel, is dit phishing?", [], ["hn:checksum", "uses:IBAN_BAD"]),
("reddit", "u/cardnerd", "en", None, f"Test number in the Versmarkt app checkout demo video: {cardfmt(B['CARD_BAD'])} — obviously not a real card", [], ["hn:checksum", "uses:CARD_BAD"]),
("x", "@bezorgd_jur", "nl", None, "Mijn bestelnummer bij Versmarkt Thuis is VT-2026-884120-33, levering staat voor morgen tussen 9 en 10. Top!", [], ["hn:order"]),
("facebook", "gerda.smit.19", "nl", None, "Heb eindelijk mijn VersPunten-pas nummer 6034 8812 0097 gevonden op de bon, 2300 punten gespaard!", [], ["hn:loyalty"]),
("x", "@bonnetjes_bas", "nl", None, f"Kassabon Versmarkt, transactie {B['BSN_BAD']} — waarom krijg ik geen koopzegels meer?", [], ["hn:checksum", "uses:BSN_BAD"]),
("x", "@spaarmama", "nl", None, "Deze week bij Versmarkt: 2e halve prijs op alle kaas en 25% korting op de AirCrisp 5L. Ga ik doen!", [], ["hn:price"]),
("instagram", "@koffieliefde", "nl", None, "Barista 300 nu €199 bij Versmarkt, scherp geprijsd maar geen fout hoor, gewoon de najaarsactie ☕", [], ["hn:price"]),
("x", "@budgetbart", "en", None, "Versbox is €10 off your first box with the welcome code, not bad for 4 people", [], ["hn:price"]),
("reddit", "u/vm_deals", "nl", None, "VersPlus eerste jaar €39 ipv €59 als je via de app aanmeldt. Ik zou het gewoon doen", [], ["hn:price"]),
("x", "@versmarkt", "nl", "2026-09-15T10:00:00+02:00", "Hij is er! De Versbox Veggie 🥕 vanaf vandaag te bestellen in de app", [], ["hn:embargo_after"]),
("instagram", "@foodie.jasmijn", "en", "2026-09-20T12:00:00Z", "Tried the AirCrisp Duo at my sister's place, two baskets is a game changer", [], ["hn:embargo_after"]),
("x", "@thuiskok_anne", "nl", None, "Zeekraal gehaald bij de Versmarkt, even kort blancheren en met boter bij de vis. Heerlijk!", [], ["hn:codeword"]),
("facebook", "tuinclub.houten", "nl", None, "Zaterdag snoeien we samen in de boomgaard achter de kerk, koffie en appeltaart van de Versmarkt staat klaar", [], ["hn:codeword"]),
("x", "@vogelspotter", "en", None, "Saw an eastern bluebird this morning, 7th this spring! Then groceries at Versmarkt", [], ["hn:codeword"]),
("linkedin", "versmarkt-bv", "en", "2026-03-05T08:00:00+01:00", "Today we published our full-year results 2025: revenue up 6%, online share 18%. Read the annual report at versmarkt.nl/investors", [], ["hn:published"]),
("x", "@retailnieuws", "nl", None, "Concurrent FreshCo ontslaat 300 mensen en meldt een datalek; Versmarkt zegt er niets mee te maken te hebben", [], ["hn:other_company"]),
("x", "@audiofiel", "en", None, "Total recall: I still remember every line of that Versmarkt jingle from 2009", [], ["hn:recall"]),
("x", "@gamer_tom", "nl", None, "Storing bij mijn internetprovider, dan maar lopen naar de Versmarkt voor chips en cola", [], ["hn:storing"]),
("reddit", "u/boycottquestion", "en", None, "History question: what was the Boycott affair in Ireland in 1880? Reading about it in the Versmarkt cafe", [], ["hn:boycott"]),
("x", "@tevreden_tine", "nl", None, "Geen klachten over Versmarkt Thuis, alles compleet en de bezorger was supervriendelijk!", [], ["hn:negated"]),
("x", "@neverbad", "en", None, "Not a single rotten apple in my Versmarkt order this time, nothing to complain about 👌", [], ["hn:negated"]),
("x", "@songtekst_sara", "nl", None, "\"Ik hou van jou, ik hou van jou, in de Versmarkt hand in hand\" - nog steeds een hit bij ons thuis", [], ["hn:lyrics"]),
("instagram", "@blijbijversmarkt", "en", None, "Shoutout to Versmarkt Haarlem, the team helped me find gluten-free everything. Lovely people", [], ["hn:praise"]),
("x", "@vraagje_jan", "nl", None, "Weet iemand tot hoe laat Versmarkt open is op tweede kerstdag?", [], ["hn:question"]),
("threads", "@kookboek_kim", "en", None, "Does the Versbox come with vegetarian options or only meat?", [], ["hn:question"]),
("x", "@lotte_vm", "nl", None, "Trots op ons filiaal, vandaag 500 kg eten gedoneerd aan de voedselbank 💚", [], ["hn:praise"]),
("linkedin", "ingrid-kok-vm", "en", None, "We're hiring store managers in Utrecht! Apply via careers at versmarkt.nl/vacatures", [], ["hn:own"]),
("x", "@versmarkt_helpt", "nl", None, "Gepland onderhoud: de app is vannacht tussen 2 en 4 uur niet bereikbaar. Excuses voor het ongemak!", [], ["hn:official_notice"]),
("x", "@kopjeskoffie", "en", None, "\"Damn, this coffee is good\" — me, every morning since I bought the Barista 300", [], ["hn:quote"]),
("x", "@dev_mirjam", "en", None, "Tutorial: store your token as GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxx in .env, never commit it. Example from our Versmarkt hackathon", [], ["hn:placeholder"]),
("x", "@opa_henk", "nl", None, "Versmarkt klantenservice gewoon gebeld op +31307604400, binnen 5 minuten geholpen. Zo kan het ook", [], ["hn:own"]),
("reddit", "u/fietsbel", "nl", None, "Versmarkt bezorgt nu ook op de fiets in Utrecht, leuk om te zien. Geen klachten hier", [], ["hn:negated"]),
("x", "@nieuwsjunk", "nl", None, "Versmarkt kondigt aan dat de jaarcijfers op 4 maart worden gepubliceerd", [], ["hn:embargo_meta"]),
("x", "@prijsvergelijker", "nl", None, "Blender Pro bij Versmarkt €89, bij de concurrent €79. Scheelt een tientje", [], ["hn:price"]),
("x", "@bsn_uitleg", "nl", None, "Tip: geef nooit je BSN aan een supermarkt, ook niet aan Versmarkt. Die hebben ze gewoon niet nodig.", [], ["hn:pii_talk"]),
("tiktok", "@versmarkt", "nl", None, "Onze nieuwe receptenreeks: 5 gerechten uit de AirCrisp 5L onder de 5 euro per persoon 🍟", [], ["hn:price"]),
("x", "@leesclub_ede", "en", None, "Our book club is reading 'The Orchard' this month, snacks from Versmarkt as always", [], ["hn:codeword"]),
("x", "@medisch_nieuws", "nl", None, "Kanker­onderzoek krijgt €1 miljoen van Versmarkt-klanten via statiegeldactie", [], ["hn:literal"]),
# ---- added English cases
("reddit", "u/vm_nachtploeg", "en", None, "this is what sits on the shared drive for the handheld VPN, lol:\n-----BEGIN RSA PRIVATE KEY-----\n" + S['PEM_BODY'] + "\n" + S['PEM2'] + "\n-----END RSA PRIVATE KEY-----", SE, []),
("x", "@ineedhelpnow", "en", None, f"@versmarkt_helpt refund it to my card then, {I['AMEX']}, the order NEVER arrived and I'm done waiting", PI + CP, ["chk", "uses:AMEX"]),
("linkedin", "ingrid-kok-vm", "en", None, f"Welcome aboard to our new team lead Sophie Bakker! (Sophie, your payroll form with BSN {I['BSN2']} is still on my desk 😅)", PI, ["chk", "uses:BSN2"]),
("x", "@frugalfran", "en", None, "Versmarkt app has the VersPlus annual plan for €2.99?? must be a glitch, signed up twice", PR, []),
("x", "@yusuf_bezorgt", "en", None, "new route planner ticket is jira.versmarkt.nl/browse/ROUTE-881, finally someone listened to us drivers", CO, []),
("reddit", "u/retail_insider_nl", "en", "2026-11-03T21:14:00+01:00", "My manager at Versmarkt says the Q4 2026 results will show a loss for the delivery arm, and there's a hiring freeze coming", CO + FI, []),
("x", "@lotte_vm", "en", None, "heads up colleagues: on the self-checkouts anyone can open the admin menu by typing 0000. IT knows, it's not public yet so keep it quiet", SC, []),
("x", "@ukfoodnews", "en", None, "Versmarkt sued by former delivery drivers over unpaid overtime, case filed at Utrecht district court", CR, []),
("x", "@expat_ellen", "en", None, "Versmarkt delivery slot 'guaranteed' for Saturday, turns up Sunday night with half the items missing and bruised bananas", CP, []),
("x", "@xx_darkside", "en", None, "Versmarkt customer service reps are subhuman garbage, all of them", AB, []),
("mastodon", "@wendy@mastodon.social", "en", None, f"Versmarkt storefront took my Mastercard {cardfmt(I['MC2'])} twice for one order. Posting so I have a record, refund please", PI + CP, ["chk", "uses:MC2"]),
("x", "@expat_mark", "en", None, "The Versmarkt help line 0800-8377 sorted my missing item in two minutes. Great service!", [], ["hn:own"]),
("x", "@hr_daily", "en", None, "Tesco announces layoffs and a data breach this week. Meanwhile my local Versmarkt just opened a bakery corner", [], ["hn:other_company"]),
("x", "@sciencegirl", "en", None, "Toy recall in Germany today, glad it's not my kids' favourite. Grocery run at Versmarkt next", [], ["hn:recall"]),
("x", "@mealprepper", "en", None, "Versbox was 25% off this week, €48.71 for four people, bargain", [], ["hn:price"]),
("x", "@quotes_daily", "en", None, "\"Fresh is not a feature, it's a promise\" — saw this in a Versmarkt ad, love it", [], ["hn:quote"]),
("x", "@newsreader", "en", None, "Versmarkt's full-year 2025 numbers came out in March and showed 6% growth. Solid", [], ["hn:published"]),
("youtube", "AirfryerAdam", "en", None, "AirCrisp 5L review: crispy fries in 14 minutes, basket is easy to clean, €119 feels fair", [], ["hn:praise"]),
]

def timestamp(i):
    base = datetime(2026, 1, 8, tzinfo=timezone.utc) + timedelta(seconds=R.randint(0, 330 * 86400))
    off = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=2))][i % 3]
    t = base.astimezone(off)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if i % 7 == 0: s += ".%03d" % R.randint(0, 999)
    return s + ("Z" if off == timezone.utc else t.strftime("%z")[:3] + ":" + t.strftime("%z")[3:])

KINDS = ["post", "reply", "comment", "repost", None]
def build():
    out = []
    for i, (plat, handle, lang, ts, text, cats, tags) in enumerate(CASES):
        created = ts or timestamp(i)
        pid = f"{plat}-{2026000 + i * 37}"
        post = {"id": pid, "platform": plat}
        k = KINDS[i % 5]
        if k: post["kind"] = k
        post["account"] = {"handle": handle, "id": str(100000 + i * 131)}
        post["text"] = text
        if i % 9 != 4: post["lang"] = lang
        post["created_at"] = created
        if i % 4 == 0: post["brand"] = "versmarkt"
        rl = role(plat, handle)
        out.append({"post": post, "expect": {"categories": sorted(cats), "severity": severity_for(cats, rl, tags)}})
    return out

def validate(rows):
    import yaml
    prof = yaml.safe_load(PROFILE)
    assert prof["company"] and prof["pricing"]["alert_below_ratio"] == 0.5
    for ib in prof["public_identifiers"]["ibans"]: assert iban_ok(ib)
    ids = set()
    for (plat, handle, lang, ts, text, cats, tags), row in zip(CASES, rows):
        assert row["post"]["id"] not in ids; ids.add(row["post"]["id"])
        rl = role(plat, handle)
        assert row["expect"]["severity"] == severity_for(cats, rl, tags)
        if not cats: assert row["expect"]["severity"] == "none" and any(t.startswith("hn:") for t in tags)
        for t in tags:
            if t.startswith("uses:"):
                key = t[5:]
                if key in ID:
                    v = ID[key]
                    ok = iban_ok(v) if key.startswith("IBAN") else bsn_ok(v) if key.startswith("BSN") else luhn_ok(v)
                    assert ok and "leak.pii" in cats, key
                else:
                    v = BAD[key]
                    ok = iban_ok(v) if key.startswith("IBAN") else bsn_ok(v) if key.startswith("BSN") else luhn_ok(v)
                    assert not ok and not cats, key
        if "chk" in tags:
            assert "leak.pii" in cats and any(t.startswith("uses:") and t[5:] in ID for t in tags)
        sev = row["expect"]["severity"]
        # independent re-statement of §4
        want = "none"
        ins = rl != "public"
        for c in cats:
            s = ("critical" if ins and (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and "chk" in tags)) else "error" if ins else "warning") if c.startswith("leak.") else \
                "warning" if c == "reputation.complaint" else "error" if c == "reputation.crisis" else ("error" if ins else "warning")
            want = max(want, s, key=RANK.index)
        assert sev == want, (row["post"]["id"], sev, want)
        assert len(row["post"]["text"].encode()) <= 65536
    # embargo sanity
    assert role("x", "@VersMarkt_Helpt") == "corporate"
    return True

def report(rows):
    from collections import Counter
    cat = Counter(); nl = en = ben = ev = multi = 0
    for (plat, handle, lang, ts, text, cats, tags), r in zip(CASES, rows):
        cat.update(cats); nl += lang == "nl"; en += lang == "en"; ben += not cats; ev += "ev" in tags; multi += len(cats) > 1
    print(f"total {len(rows)}  nl {nl}  en {en}  benign {ben}  evasions {ev}  multi {multi}")
    print(" ".join(f"{k}={v}" for k, v in sorted(cat.items())))
    print(Counter(r["expect"]["severity"] for r in rows))

def main():
    rows = build()
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    validate(rows)
    pc, cc = os.path.join(HERE, "profile.yaml"), os.path.join(HERE, "cases.jsonl")
    if "--check" in sys.argv:
        assert open(pc).read() == PROFILE and open(cc).read() == data, "files differ from generator"
    else:
        open(pc, "w").write(PROFILE); open(cc, "w").write(data)
    report(rows)

if __name__ == "__main__":
    main()
