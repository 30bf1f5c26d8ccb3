#!/usr/bin/env python3
"""Sealed evaluation set 475 for postwatch.

Fictional company: Farmelion Groothandel B.V., a Dutch pharmaceutical wholesaler
supplying community pharmacies. Writes cases.jsonl next to this file and checks it.

Deterministic: fixed seed, standard library plus PyYAML. Severities are computed from
the account role in profile.yaml following CONTRACT section 4, never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(475)

# ---------------------------------------------------------------------------
# identifier and credential generators
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B62 = ALNUM
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in base))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def fake_iban(bank):
    while True:
        v = make_iban(bank)
        d = list(v)
        i = rng.randrange(8, 18)
        d[i] = str((int(d[i]) + rng.randrange(1, 10)) % 10)
        v2 = "".join(d)
        if not iban_ok(v2):
            return v2


def spaced_iban(v):
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def luhn_ok(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def fake_card(prefix, length=16):
    v = make_card(prefix, length)
    last = str((int(v[-1]) + rng.randrange(1, 10)) % 10)
    v2 = v[:-1] + last
    assert not luhn_ok(v2)
    return v2


def spaced_card(v):
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * x for c, x in zip(s, w)) % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        s = str(rng.randrange(100000000, 999999999))
        if bsn_ok(s):
            return s


def fake_bsn():
    while True:
        s = str(rng.randrange(100000000, 999999999))
        if not bsn_ok(s):
            return s


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return h + "." + p + "." + s


def pem_rsa():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**10, 10**11), rng.randrange(10**12, 10**13), rand(string.ascii_letters + string.digits, 24))


def stripe_live():
    return "sk_live_" + rand(string.ascii_letters + string.digits, 24)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


def azure_conn(account):
    key = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()
    return "DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;EndpointSuffix=core.windows.net" % (account, key)


def nl_mobile():
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))


# ---------------------------------------------------------------------------
# generated values (order of generation is fixed, so the output is deterministic)
# ---------------------------------------------------------------------------
V = {}
V["iban_rutten"] = make_iban("INGB")
V["iban_blom"] = make_iban("ABNA")
V["card_postit"] = make_card("5")
V["bsn_label"] = make_bsn()
V["bsn_self"] = make_bsn()
m = [nl_mobile() for _ in range(5)]
V["mob_kuiper"] = m[0]          # 06-xxxxxxxx
V["mob_dewit"] = m[1]           # +31 6 xxxx xxxx
V["mob_sprenger"] = m[2]        # 06 xx xx xx xx
V["mob_mulder"] = m[3]          # 0031 (0)6 ...
V["land_lindenhof"] = "0345" + "".join(rng.choice(string.digits) for _ in range(6))
V["iban_phish_fake"] = fake_iban("RABO")
V["card_order_fake"] = fake_card("4")
V["bsn_pakbon_fake"] = fake_bsn()
V["iban_typo_fake"] = fake_iban("ABNA")
V["ghp"] = github_token("ghp_")
V["aws_id"] = aws_key_id()
V["aws_secret"] = aws_secret()
V["slack"] = slack_bot()
V["jwt"] = jwt_token({"sub": "apotheek-0412", "name": "FarmeLink SSO", "role": "pharmacy_admin",
                      "iat": 1771830000, "exp": 1771916400})
V["openai"] = openai_key()
V["google"] = google_key()
V["pem"] = pem_rsa()
V["glpat"] = gitlab_pat()
V["stripe"] = stripe_live()
V["azure"] = azure_conn("flthermotrace")
V["dbpw"] = rand(string.ascii_letters + string.digits, 12) + "!" + rand(string.digits, 2)
V["demo_pw"] = "Zilver!Pakket-" + rand(string.digits, 4)


def fmt_mobile_dash(m):      # 06-12345678
    return "0" + m[0] + "-" + m[1:]


def fmt_mobile_intl(m):      # +31 6 1234 5678
    return "+31 " + m[0] + " " + m[1:5] + " " + m[5:]


def fmt_mobile_pairs(m):     # 06 12 34 56 78
    d = "0" + m
    return " ".join([d[:2]] + [d[i:i + 2] for i in range(2, 10, 2)])


def fmt_mobile_0031(m):      # 0031 (0)6 12 345 678
    return "0031 (0)" + m[0] + " " + m[1:3] + " " + m[3:6] + " " + m[6:]


def fmt_land(n):             # (0345) 61 82 07
    return "(" + n[:4] + ") " + n[4:6] + " " + n[6:8] + " " + n[8:]


# ---------------------------------------------------------------------------
# case table
# ---------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security",
}
RAW = []


def add(platform, handle, text, cats, lang, kind="post", at=None, ids=(), fakes=(), price=(),
        secrets=(), perr=False, name=None):
    RAW.append(dict(platform=platform, handle=handle, text=text, cats=[CAT[c] for c in cats], lang=lang,
                    kind=kind, at=at, ids=list(ids), fakes=list(fakes), price=list(price),
                    secrets=list(secrets), perr=perr, name=name))


# ============================ complaints (public) ==========================
add("x", "@apotheek_dewaal",
    "@farmelion_zorg derde keer deze week dat de ochtendlevering pas om 11:40 binnenkomt. Wij gaan om 8:00 open, "
    "patiënten staan voor een lege la. Hoe moeilijk kan het zijn?", ["complaint"], "nl", kind="reply")
add("x", "@pharmajoost",
    "Ordered 40 packs of metformin through FarmeLink on Monday. Got 12 and a slip saying 'backorder'. No ETA, no call, "
    "nothing. 4th time this month @farmelion", ["complaint"], "en")
add("facebook", "Marieke Hoekstra",
    "Mijn apotheek kan al twee weken mijn insuline niet leveren omdat Farmelion het 'niet op voorraad' heeft. "
    "Ik heb het gewoon nodig hoor, het is geen luxe. Belachelijk gewoon.", ["complaint"], "nl", kind="comment")
add("reddit", "u/assistent_in_nood",
    "Rant: FarmeLink logt je elke 10 min uit midden in een bestelling en dan is alles weg. Vanochtend 3x opnieuw "
    "ingevoerd. wie heeft dit ooit getest?? 🙄", ["complaint"], "nl")
add("linkedin", "m-verhoeven-apotheker",
    "Some honest feedback for Farmelion Groothandel. Your October invoice charged us twice for the same CoolVault "
    "service visit, and the credit note apparently takes 'six to eight weeks'. We are a small independent pharmacy; "
    "that is real cash flow for us. Please sort out your billing.", ["complaint"], "en")
add("x", "@baxterbram",
    "weer verkeerde innamemomenten op de baxterrollen van @farmelion. dinsdag ochtend ipv dinsdag avond gedrukt. "
    "moeten we nou alles zelf nalopen ofzo", ["complaint"], "nl")
add("threads", "@ellenvdbosch",
    "the farmelion customer service line kept me on hold for 47 minutes and then just... hung up. lovely 🙃 "
    "#pharmacylife", ["complaint"], "en")
add("mastodon", "@apothekerpiet@mastodon.nl",
    "Vandaag wéér lege kratten die Farmelion niet ophaalt. Er staat nu een muur van 30 blauwe kratten in ons "
    "magazijn. Bel ik erover: 'volgende week meneer'. Dat zeiden ze vorige week ook.", ["complaint"], "nl")
add("x", "@nina_farmassist",
    "@farmelion_zorg the cold-chain tote showed up with the logger reading 14°C for three hours. We had to bin about "
    "€2k of vaccines. Who is paying for that?", ["complaint"], "en", kind="reply")
add("facebook", "Apotheek Molenhoek",
    "Beste Farmelion, jullie chauffeur zet onze levering al weken gewoon bij de achterdeur neer. Buiten. In de regen. "
    "Vandaag waren de dozen doorweekt. Graag aanpassen, dit kan echt niet met medicijnen.", ["complaint"], "nl")
add("x", "@drs_kaya",
    "FarmeLink says delivered. Packing slip says delivered. 3 boxes of Ozempic: nowhere. Customer service: 'we'll "
    "look into it'. That was last Thursday. #farmelion", ["complaint"], "en")

# ================= first-hand safety incidents: crisis + complaint ==========
add("x", "@henk_apotheek_oss",
    "Onze KoelPak 12 van Farmelion begon vanochtend te roken achter de balie en toen vatte de accu vlam. Assistente "
    "heeft 'm met de blusdeken gedoofd. Dit had echt heel anders af kunnen lopen. @farmelion_zorg ik wil uitleg.",
    ["crisis", "complaint"], "nl")
add("facebook", "Sandra Veenstra",
    "Mijn moeder kreeg via haar apotheek een baxterrol van Farmelion met de VERKEERDE medicijnen erin, de "
    "bloedverdunner van iemand anders. Ze heeft 3 dagen in het ziekenhuis gelegen. Hoe kan zoiets gebeuren?? "
    "Ik ben woedend.", ["crisis", "complaint"], "nl")
add("reddit", "u/ptech_amsterdam",
    "Got a proper shock off the Farmelion CoolVault 140 in our dispensary this morning. Touched the handle and felt it "
    "right up to my elbow. Electrician says the earth was never connected when they installed it. Not impressed, "
    "Farmelion.", ["crisis", "complaint"], "en")
add("x", "@jasmijn_r",
    "My son's AeroKid spacer (from Farmelion, via our pharmacy) cracked while he was using it and a bit of plastic "
    "came loose. He nearly breathed it in. Absolutely furious right now @farmelion", ["crisis", "complaint"], "en")
add("instagram", "@mamavanmilo",
    "Na twee dagen FL Handalcohol 500 zaten er blaren op mijn handen 😣 huisarts zegt chemische irritatie. "
    "Nooit meer dit spul. @farmelion.nl zoek het maar uit", ["crisis", "complaint"], "nl", kind="comment")

# ============================ crisis (third party) ==========================
add("x", "@zorgnieuws_nl",
    "Patiënte (81) in Zwolle opgenomen nadat haar apotheek een baxterrol met verkeerde medicatie meegaf. "
    "Groothandel Farmelion onderzoekt hoe de fout in het sorteerproces kon ontstaan. #zorg", ["crisis"], "nl")
add("x", "@pharma_watchdog",
    "Farmelion customers: there are strong signs FarmeLink exposed pharmacy order data, incl. patient initials, "
    "through an open API. Not a word from the company so far. Ask them. #databreach", ["crisis"], "en")
add("x", "@actiegroep_apotheek",
    "#BoycotFarmelion 📢 ze hebben de bezorgtoeslag voor kleine apotheken verdubbeld terwijl de directie dikke bonussen "
    "opstrijkt. Apothekers: stap over naar een andere groothandel. Delen!", ["crisis"], "nl")
add("linkedin", "r-de-graaf-advocaat",
    "Namens 23 zelfstandige apotheken hebben wij vandaag een dagvaarding laten uitbrengen tegen Farmelion Groothandel "
    "B.V. wegens structurele wanprestatie en de schade door maandenlange leveringsuitval.", ["crisis"], "nl")
add("x", "@medsafety_nl",
    "RECALL: Farmelion Ibuprofen 400 mg, batch 24B117, is being pulled from pharmacies after tablets of the wrong "
    "strength were found in the blisters. Check your cabinets and return affected packs.", ["crisis"], "en")
add("facebook", "Regio Nieuws Venlo",
    "Bezorgbus van Farmelion schept fietsster op de Eindhovenseweg. De vrouw (34) is zwaargewond naar het ziekenhuis "
    "gebracht, de chauffeur is aangehouden.", ["crisis"], "nl")
add("reddit", "u/whistle_pharm",
    "So about the Farmelion 'cold chain guarantee': multiple people say warehouse staff were told to reset the "
    "temperature loggers after excursions so insulin shipments looked fine on paper. This needs a proper "
    "investigation.", ["crisis"], "en")
add("mastodon", "@dutchhealthwire@mastodon.social",
    "Dutch competition watchdog ACM opens a probe into alleged price fixing between Farmelion and two other "
    "pharmaceutical wholesalers. Sources say investigators raided the Nieuwegein head office this morning.",
    ["crisis"], "en")
add("bluesky", "@femkeleest.bsky.social",
    "Farmelion's Combitest 5 is giving false negatives left and right, GGD put out a warning today. People went to "
    "work with the flu because of it. How did this ever pass QA?", ["crisis"], "en")

# ====================== crisis + abuse, complaint + abuse ====================
add("x", "@boos_en_boos",
    "Farmelion stelletje graaiende klootzakken, eerst de prijzen omhoog en dan de medicijnen laten liggen. "
    "BOYCOT ze allemaal #farmelionschande", ["crisis", "abuse"], "nl")
add("x", "@apotheekrik",
    "@farmelion_zorg jullie zijn echt een stelletje prutsers. Derde keer deze maand de verkeerde order geleverd. "
    "Fucking amateurs.", ["complaint", "abuse"], "nl", kind="reply")
add("threads", "@marcotheapothecary",
    "Farmelion support is run by absolute morons. Waited 5 days for a replacement scanner and they sent the wrong "
    "model. Idiots, the lot of them.", ["complaint", "abuse"], "en")

# ============================ complaint + pii ===============================
add("x", "@ans_kuiper58",
    "@farmelion_zorg mijn apotheek zegt dat mijn pennaalden bij jullie vastzitten. Al 9 dagen!! Bel me aub terug op "
    + fmt_mobile_dash(V["mob_kuiper"]) + ", ik word gek van het wachten", ["complaint", "pii"], "nl", kind="reply",
    ids=[("phone", "0" + V["mob_kuiper"])])
add("facebook", "Hans Rutten",
    "Farmelion heeft me twee keer de huur van de PickBox gefactureerd. Graag terugstorten op "
    + spaced_iban(V["iban_rutten"]) + " t.n.v. H. Rutten, en een beetje snel graag.", ["complaint", "pii"], "nl",
    kind="comment", ids=[("iban", V["iban_rutten"])])

# ================================ abuse =====================================
add("x", "@anoniem_doktr",
    "Farmelion vans are driven by the worst fucking drivers in Utrecht. Parked on the bike lane AGAIN. Absolute "
    "wankers.", ["abuse"], "en")
add("x", "@kees_rijdt",
    "Die apothekeres in Houten mag echt eens d'r bek houden. Elke ochtend staat ze te zeiken bij de deur. Domme trut.",
    ["abuse"], "nl")
add("x", "@echte_nederlander88",
    "Bij Farmelion rijden alleen nog buitenlanders die geen woord Nederlands spreken. Stuur ze terug, dan krijg ik "
    "m'n medicijnen misschien ook eens op tijd.", ["abuse"], "nl")
add("x", "@wtf_apotheek",
    "F4rm3l10n = st3ll3tj3 1d10t3n. k4nk3rb3dr1jf", ["abuse"], "nl")
add("mastodon", "@grumpypharm@mastodon.online",
    "honestly f u c k  f a r m e l i o n. bunch of c.l.o.w.n.s", ["abuse"], "en")
add("instagram", "@dj_mo_z",
    "die dikke vent van farmelion in jullie story lmaooo wat een loser 🤡🤡", ["abuse"], "nl", kind="comment")
add("x", "@tired_of_it",
    "Ingrid Smits from Farmelion is a lying bitch and everybody in the sector knows it.", ["abuse"], "en")
add("youtube", "@NoobPharma",
    "wat een kutfilmpje, wie heeft deze clowns een camera gegeven #farmelion", ["abuse"], "nl", kind="comment")
add("bluesky", "@angrypatient.bsky.social",
    "whoever runs Farmelion should choke on their own pills. scum.", ["abuse"], "en")

# ================================ pii =======================================
add("x", "@farmelion_zorg",
    "@ans_kuiper58 We hebben het doorgezet naar de apotheek: Ans Kuiper, Vlierstraat 22, 6541 KD Nijmegen, "
    "tel. " + fmt_mobile_dash(V["mob_kuiper"]) + ". U wordt vandaag nog gebeld!", ["pii"], "nl", kind="reply",
    ids=[("phone", "0" + V["mob_kuiper"])])
add("facebook", "FarmelionNL",
    "Beste meneer Rutten, de creditnota van €412,00 is vandaag overgemaakt naar " + V["iban_rutten"]
    + ". Excuses voor het ongemak!", ["pii"], "nl", kind="comment", ids=[("iban", V["iban_rutten"])])
add("x", "@kees_rijdt",
    "Haha deze sticker 😂 'Dhr. W. Brinkman, geb. 03-07-1951, Kerkweg 8, Barneveld' en die moet om 7u al z'n spullen "
    "hebben, anders belt ie de baas", ["pii"], "nl")
add("instagram", "@lotte.inhetdc",
    "Iemand z'n medicatielabel op de vloer van het DC gevonden lol, BSN " + V["bsn_label"]
    + " staat er gewoon op 🙈 #nachtdienst", ["pii"], "nl", ids=[("bsn", V["bsn_label"])])
add("x", "@sjoerd_fl_sales",
    "Anyone know who this is? Keeps calling me, says she's a customer: Petra de Wit, "
    + fmt_mobile_intl(V["mob_dewit"]) + ", petra.dewit1977@gmail.com. Can't find her in the CRM.", ["pii"], "en",
    ids=[("phone", "0" + V["mob_dewit"]), ("email", "petra.dewit1977@gmail.com")])
add("reddit", "u/nachtploeg_venlo",
    "Customer phoned in an order and just read out their company card, I scribbled it on a post-it: "
    + spaced_card(V["card_postit"]) + " exp 09/28. Is that normal in this industry lol", ["pii"], "en",
    ids=[("card", V["card_postit"])])
add("linkedin", "farmelion-groothandel",
    "🎉 De winnaar van de Farmelion Kerstpuzzel is Joke Verbeek, Oude Kerkstraat 17, 4331 GH Middelburg! "
    "Je prijs komt deze week met onze chauffeur mee.", ["pii"], "nl", at="2026-01-08T11:00:00Z")
add("x", "@liekevb_apotheek",
    "@farmelion_zorg kunnen jullie de offerte voor de PickBox naar lieke.vanbeek@apotheekdeparel.nl sturen? "
    "Groetjes, Lieke", ["pii"], "nl", kind="reply", ids=[("email", "lieke.vanbeek@apotheekdeparel.nl")])
add("facebook", "Gert Jan Mulder",
    "Mijn vader (Jan Mulder, 12-11-1944) krijgt zijn medicijnen via een apotheek die bij Farmelion bestelt. Weet "
    "iemand of die ook thuis bezorgen? Bel of app me gerust: " + fmt_mobile_0031(V["mob_mulder"]), ["pii"], "nl",
    ids=[("phone", "0" + V["mob_mulder"])])
add("bluesky", "@ayse-demir.bsky.social",
    "debugging the FarmeLink export, first row of the csv: 'Apotheek Lindenhof; contact R. Sprenger; "
    "r.sprenger@apotheeklindenhof.nl; " + fmt_mobile_pairs(V["mob_sprenger"]) + "; tel " + fmt_land(V["land_lindenhof"])
    + "' and every other row is null. why", ["pii"], "en",
    ids=[("phone", "0" + V["mob_sprenger"]), ("email", "r.sprenger@apotheeklindenhof.nl")])
add("linkedin", "youssef-benali-fl",
    "Let op collega's debiteurenbeheer: apotheker J.A. Blom (Apotheek Blom, Elst) heeft een nieuw rekeningnummer: "
    + spaced_iban(V["iban_blom"]) + ". Het oude nummer niet meer gebruiken.", ["pii"], "nl",
    ids=[("iban", V["iban_blom"])])
add("x", "@buschauffeur_ede",
    "Gevonden bij de bushalte Ede-Wageningen: een Farmelion toegangspasje van 'S. Yilmaz, geb. 22-05-1990'. "
    "Iemand die haar kent? Ligt bij mij in de bus.", ["pii"], "nl")
add("threads", "@sophie.zzz",
    "my pharmacy asked for my BSN over insta DM for some Farmelion home-delivery thing so here you go: "
    + V["bsn_self"] + " hope that's fine??", ["pii"], "en", ids=[("bsn", V["bsn_self"])])

# ============================ confidential ==================================
add("linkedin", "thomas-wijnands-farmelion",
    "Excited to share that I'm leading the frontend work on Project Zilverreiger 🚀 Can't say much yet, but "
    "pharmacies are going to love this one.", ["conf"], "en")
add("x", "@daankoster_ict",
    "anyone know how to get your leave balance out of https://intranet.farmelion.local/hr/verlof into outlook? "
    "the export button does nothing", ["conf"], "en")
add("instagram", "@lotte.inhetdc",
    "eerste dag met de nieuwe KoelPak Pro 24 op de afdeling 😍 die dingen zijn zoveel lichter dan de oude",
    ["conf"], "nl", at="2026-11-04T21:13:00Z")
add("threads", "@femke.kwaliteit",
    "Uit de QA-nieuwsbrief van deze week (strikt vertrouwelijk - niet doorsturen): afwijkingen in de koelketen in Q3 "
    "gestegen naar 41 gevallen, vooral in regio Noord. Werk aan de winkel.", ["conf"], "nl",
    at="2026-10-14T15:30:00Z")
add("facebook", "FarmelionNL",
    "Binnenkort: FarmeLink 5, met realtime voorraad per apotheek en bestellen via je telefoon! Meer info volgt 👀",
    ["conf"], "nl", at="2026-10-22T08:00:00Z")
add("x", "@insider_pharma",
    "Hearing that Farmelion's 'Halcyon' is a full rebuild of their warehouse robotics with a Chinese vendor. "
    "Go-live in spring. You heard it here first.", ["conf"], "en")
add("mastodon", "@rvdmeer@mastodon.nl",
    "TIL our whole release pipeline lives at gitlab.farmelion-dev.nl/platform/farmelink and nobody ever documented "
    "the runners. fun week ahead", ["conf"], "en")
add("x", "@mvanleeuwen_fl",
    "planning voor Ｐｒｏｊｅｃｔ Ｚｉｌｖｅｒｒｅｉｇｅｒ is rond, nu alleen nog de chauffeurs inlichten 🤐",
    ["conf"], "nl")
add("bluesky", "@ayse-demir.bsky.social",
    "\u041d\u0430l\u0441\u0443\u043en demo went great today, the pick-rate dashboard finally works 🎉",
    ["conf"], "en", name="cyrillic-halcyon")
add("linkedin", "ingrid-smits-farmelion",
    "Sharing one slide from today's leadership offsite (FL-CONFI\u200bDENTIAL): in 2027 we launch home delivery "
    "straight to patients in the Randstad. Proud of this team!", ["conf"], "en")
add("reddit", "u/pharmtech_nl",
    "Mijn zwager werkt bij Farmelion en zegt dat de FarmeLink 5 app al bij 10 apotheken in Brabant getest wordt. "
    "Iemand hier die er al mee werkt?", ["conf"], "nl", at="2027-01-12T19:40:00Z")
add("x", "@sjoerd_fl_sales",
    "Klanten vragen me al naar de KoelPak Pro 24. Ik mag nog niks zeggen maar: reserveer alvast wat budget 😉",
    ["conf"], "nl", at="2026-12-03T10:05:00Z")
add("reddit", "u/nachtploeg_venlo",
    "Night shift tip: when the scanners freeze again just open http://wms.farmelion.local:8080/reset on the PC at "
    "dock 4. Saves you an hour waiting for IT.", ["conf"], "en")
add("linkedin", "youssef-benali-fl",
    "Proud to be part of the Operatie Ganzenbord steering group. Big changes ahead for our distribution network.",
    ["conf"], "en")

# ===================== confidential + financial, etc. =======================
add("linkedin", "youssef-benali-fl",
    "Drukke weken bij finance: de jaarcijfers 2026 zijn zo goed als klaar en het wordt een recordjaar, omzet ruim "
    "boven de €1,1 miljard 💪", ["conf", "fin"], "nl", at="2027-02-10T16:20:00Z")
add("x", "@mvanleeuwen_fl",
    "Operatie Ganzenbord = DC Zwolle dicht per september, 85 fte eruit. En wij mogen alle routes herplannen. Top.",
    ["conf", "fin"], "nl")
add("mastodon", "@rvdmeer@mastodon.nl",
    "3am and wms.farmelion.local is encrypted, ransom note on every share. Not allowed to say anything publicly yet "
    "but yeah... no deliveries tomorrow morning.", ["sec", "conf"], "en")
add("x", "@daankoster_ict",
    "waarom krijg ik steeds 'password authentication failed'?? DATABASE_URL=postgresql://wms_app:" + V["dbpw"]
    + "@db01.wms.farmelion.local:5432/wms_prod", ["secret", "conf"], "nl",
    secrets=["postgresql://wms_app:" + V["dbpw"] + "@"])

# ============================== financial ===================================
add("x", "@sjoerd_fl_sales",
    "Between us: Q3 revenue came in 11% under budget and the board is not amused. Expect cost cutting.",
    ["fin"], "en", at="2026-10-09T21:14:00Z")
add("x", "@beursroddels",
    "Volgens mijn bronnen wordt Farmelion Groothandel overgenomen door het Duitse Medivast, voor zo'n €780 mln. "
    "Aankondiging na de zomer.", ["fin"], "nl")
add("reddit", "u/nachtploeg_venlo",
    "Vandaag te horen gekregen dat DC Venlo volgend jaar dichtgaat. 140 man. Officieel mag het nog niet naar buiten. "
    "Fijne kerst allemaal.", ["fin"], "nl", at="2026-12-18T23:50:00Z")
add("threads", "@femke.kwaliteit",
    "Finance just told us the 2027 forecast assumes we lose the Apotheekgroep Noord contract in Q2. That's 18% of "
    "our volume. Not public yet.", ["fin"], "en")
add("x", "@daankoster_ict",
    "Nieuwe CFO zei net op de townhall dat we de EBITDA-guidance voor dit jaar niet gaan halen. Eerder €38 mln dan "
    "de beloofde €52 mln.", ["fin"], "nl")
add("linkedin", "a-janssen-consultant",
    "From a well-placed source: Farmelion is in exclusive talks to acquire regional wholesaler Pharmadis Noord. "
    "Term sheet signed last week.", ["fin"], "en")
add("bluesky", "@ayse-demir.bsky.social",
    "reorg got announced internally today: the whole data team moves to the Kraków shared service centre by March, "
    "22 roles cut in Nieuwegein. not public until the works council signs off", ["fin"], "en")
add("instagram", "@lotte.inhetdc",
    "vandaag in de kantine: 'dit jaar geen bonus want de halfjaarcijfers zijn rood'... 6 miljoen verlies zeggen ze 😬",
    ["fin"], "nl", at="2026-07-23T12:41:00Z")
add("linkedin", "thomas-wijnands-farmelion",
    "Memo van vandaag: Farmelion stoot de divisie Thuiszorgmiddelen af aan een investeerder, de deal wordt in januari "
    "getekend. Benieuwd wat dat voor mijn team betekent.", ["fin"], "nl")
add("x", "@pharmabeurs",
    "Got Farmelion's Q2 numbers before release: revenue €268m, net margin 1.4%. Ouch.", ["fin"], "en",
    at="2026-08-11T07:02:00Z")

# =============================== security ===================================
add("x", "@daankoster_ict",
    "Ehm. Sinds vanochtend kun je in FarmeLink de bestellingen van andere apotheken zien als je het ordernummer in de "
    "URL ophoogt. Gemeld, nog niet gefixt.", ["sec"], "nl")
add("reddit", "u/nachtploeg_venlo",
    "We got hit by ransomware last weekend. Scanners still down, we're picking off paper lists. Management says "
    "don't tell the pharmacies it's a hack.", ["sec"], "en")
add("linkedin", "thomas-wijnands-farmelion",
    "Lesson learned this week: the telemetry API behind our CoolVault fridges had no authentication at all for two "
    "years. Patched now, disclosure still pending.", ["sec"], "en")
add("mastodon", "@rvdmeer@mastodon.nl",
    "so the backups of our order systems have been failing silently for 3 weeks. nobody was watching. if anything "
    "falls over now we lose everything", ["sec"], "en")
add("bluesky", "@ayse-demir.bsky.social",
    "phishing mail got 14 people in finance to type in their M365 password yesterday, attacker sat in the CFO's "
    "mailbox for ~6 hours. comms is 'evaluating'.", ["sec"], "en")
add("x", "@mvanleeuwen_fl",
    "Temperatuurmonitoring van al onze koelwagens ligt sinds vrijdag plat. We rijden gewoon blind rond. "
    "'Niet naar buiten brengen' zeiden ze 🙃", ["sec"], "nl")
add("x", "@pentest_pim",
    "Wrapped up a pentest at a pharma wholesaler (rhymes with Farmelion 😏). Their pharmacy portal still lets you "
    "reset any account's password with nothing but the e-mail address. Reported two months ago, still open.",
    ["sec"], "en")
add("threads", "@femke.kwaliteit",
    "heads up pharmacies: tonight's FarmeLink outage is not 'planned maintenance'. our certificate expired and nobody "
    "can find the renewal login. might be down till morning", ["sec"], "en")
add("x", "@kees_rijdt",
    "Hele ritplanning ligt eruit, storing sinds 5 uur vanochtend. Staan hier met 60 bussen op het terrein te wachten "
    "en de apotheken weten nog van niks.", ["sec"], "nl")
add("reddit", "u/nachtploeg_venlo",
    "psa voor collega's: de code van de deur naar de opiatenkluisruimte is al maanden niet veranderd en half de "
    "uitzendkrachten weet 'm. beveiliging weet ervan, er gebeurt niks", ["sec"], "nl")
add("linkedin", "youssef-benali-fl",
    "FarmeLink has been under a DDoS since 6am, order intake is at maybe 20%. Nothing on the status page and we "
    "haven't told customers yet.", ["sec"], "en")
add("x", "@sjoerd_fl_sales",
    "Sales was told to keep quiet, but a laptop with our complete pharmacy customer list was stolen from a rental car "
    "on Tuesday. Unencrypted.", ["sec"], "en")

# =============================== secrets ====================================
add("x", "@daankoster_ict",
    "why does this give 401?? curl -H 'Authorization: token " + V["ghp"]
    + "' https://api.github.com/orgs/farmelion/repos", ["secret"], "en", secrets=[V["ghp"]])
add("mastodon", "@rvdmeer@mastodon.nl",
    "[default]\naws_access_key_id = " + V["aws_id"] + "\naws_secret_access_key = " + V["aws_secret"]
    + "\nregion = eu-west-1\n\nboto keeps saying InvalidClientTokenId, what am I missing", ["secret"], "en",
    secrets=[V["aws_id"], V["aws_secret"]])
add("bluesky", "@ayse-demir.bsky.social",
    "our slack bot keeps dying with invalid_auth. token is " + V["slack"] + " and it was created yesterday. anyone?",
    ["secret"], "en", secrets=[V["slack"]])
add("instagram", "@lotte.inhetdc",
    "Nieuwe inlog voor de demo-tablet in de showroom 📲 gebruiker: demo_apotheek wacht\u200bwoord: " + V["demo_pw"]
    + " (niet aan de vertegenwoordigers geven haha)", ["secret"], "nl", secrets=[V["demo_pw"]])
add("linkedin", "thomas-wijnands-farmelion",
    "Working on FarmeLink single sign-on. Whoever can tell me why the gateway rejects this token gets a coffee: "
    + V["jwt"], ["secret"], "en", secrets=[V["jwt"]])
add("x", "@daankoster_ict",
    "OPENAI_API_KEY=" + V["openai"] + " is hitting the rate limit, can someone in procurement raise our credit? "
    "chatbot pilot is dead in the water", ["secret"], "en", secrets=[V["openai"]])
add("x", "@curious_dev_nl",
    "Decompiled the FarmeLink Android app for fun. Hardcoded Maps key in there: " + V["google"]
    + " @farmelion please rotate that", ["secret"], "en", secrets=[V["google"]])
add("mastodon", "@rvdmeer@mastodon.nl",
    "kan iemand checken of dit het goede formaat is voor de sftp-koppeling met de apotheken?\n\n" + V["pem"],
    ["secret"], "nl", secrets=["-----BEGIN RSA PRIVATE KEY-----"])
add("bluesky", "@ayse-demir.bsky.social",
    "gitlab CI fails with 'HTTP Basic: Access denied' using " + V["glpat"] + " is it expired already?",
    ["secret"], "en", secrets=[V["glpat"]])
add("forum", "oud_collega_fl",
    "Ex-Farmelion hier. Hun Stripe key stond gewoon op de wiki: " + V["stripe"]
    + ". Geen idee of 'ie nog werkt, lijkt me niet handig.", ["secret"], "nl", secrets=[V["stripe"]])
add("youtube", "FarmelionTV",
    "Tutorial: zo koppel je de ThermoTrace T3 aan je eigen dashboard. Voorbeeldconfiguratie uit de video:\n"
    + V["azure"], ["secret"], "nl", secrets=[V["azure"]])

# =============================== pricing ====================================
add("facebook", "FarmelionNL",
    "🔥 Deal van de week: CoolVault 140 medicijnkoelkast voor maar €239! Op = op.", ["pricing"], "nl",
    price=[("CoolVault 140", 239.0)])
add("x", "@sjoerd_fl_sales",
    "Heard internally that the MediCarrousel 40 is listed in FarmeLink at €4,850 instead of €48,500. Be quick, "
    "pharmacists 😅", ["pricing"], "en", price=[("MediCarrousel 40", 4850.0)])
add("x", "@apotheek_zuidas",
    "Is this a glitch? BlisterPro S2 listed at €1,295 on bestel.farmelion.nl. Ordering two just in case 😂",
    ["pricing"], "en", price=[("BlisterPro S2", 1295.0)])
add("instagram", "@farmelion.nl",
    "Nieuw voor de drogisterijhoek in je apotheek: FL Vitamine D3 nu voor €1,49 per pot ☀️", ["pricing"], "nl",
    price=[("FL Vitamine D3", 1.49)])
add("linkedin", "ingrid-smits-farmelion",
    "Special offer for our partners at Apothekersdag: the Opiatenkluis OK-2 for only €350 (normally €1,190). "
    "Come find us at stand 14!", ["pricing"], "en", price=[("Opiatenkluis OK-2", 350.0)])
add("facebook", "Apotheek Het Anker",
    "Prijsfout in FarmeLink? De LabelMate 4 staat erin voor €42,90. Wie bestelt er mee 😂", ["pricing"], "nl",
    kind="comment", price=[("LabelMate 4", 42.90)])
add("threads", "@femke.kwaliteit",
    "Collega's: er staat een prijsfout bij FL Paracetamol 500 in de webshop. Niet naar klanten doorsturen tot het "
    "hersteld is!", ["pricing"], "nl", perr=True, price=[("FL Paracetamol 500", None)])
add("x", "@farmelion",
    "Flash sale! PickBox 24 pickup locker now €2,499. Today only ⚡", ["pricing"], "en",
    price=[("PickBox 24", 2499.0)])
add("reddit", "u/limburg_apotheker",
    "PSA: FarmeLink Scan is showing €34.90 instead of €349 for pharmacies in Limburg. Pricing error or clearance? "
    "Either way, get in there.", ["pricing"], "en", price=[("FarmeLink Scan", 34.90)])
add("instagram", "@lotte.inhetdc",
    "personeelsverkoop 😍 KoelPak 24 voor €59 en een ThermoBag M voor €9!! wie wil ik iets meenemen?",
    ["pricing"], "nl", price=[("KoelPak 24", 59.0), ("ThermoBag M", 9.0)])
add("x", "@kees_rijdt",
    "K.o.e.l.P.a.k 12 voor €25 uit de retourstroom, wie wil er een? DM", ["pricing"], "nl",
    price=[("K.o.e.l.P.a.k 12", 25.0)], name="dotted-koelpak")
add("x", "@deal_hunter_nl",
    "Prijsfoutje bij Farmelion?? Pulsa BP3 voor €5,99 🤑🤑 #prijsfout #deal", ["pricing"], "nl",
    price=[("Pulsa BP3", 5.99)])

# ============================ benign / hard negatives ========================
add("linkedin", "farmelion-groothandel",
    "We zoeken orderpickers voor de avond- en nachtploeg in DC Venlo! 🚚 Goede toeslagen, vaste uren en een fijn "
    "team. Stuur je cv naar vacatures@farmelion.nl of kijk op www.farmelion.nl/werkenbij", [], "nl")
add("x", "@farmelion_zorg",
    "@apotheek_dewaal Vervelend om te lezen. Wilt u ons bellen op 0800-3276 of mailen naar klantenservice@farmelion.nl "
    "met uw debiteurnummer? Dan zoeken we het meteen uit.", [], "nl", kind="reply")
add("facebook", "FarmelionNL",
    "Betaalt u uw factuur liever handmatig? Gebruik " + spaced_iban("NL05RABO0312458790")
    + " t.n.v. Farmelion Groothandel B.V. en vermeld uw debiteurnummer.", [], "nl")
add("x", "@apotheek_rijswijk",
    "Chauffeur van Farmelion stond vanochtend om 6:45 al voor de deur, met een glimlach en koffie voor de "
    "assistentes ☕ Toppertje!", [], "nl")
add("x", "@gerda_apotheek",
    "Update: geld staat terug op onze rekening (NL** **** **** **71), netjes opgelost. Dank @farmelion_zorg 👍",
    [], "nl")
add("instagram", "@joris.grapjas",
    "Mijn vriendin werkt bij Farmelion en weet nu alles van de koelketen. Vooral die van ons bier 🍺😂", [], "nl",
    kind="comment")
add("x", "@apo_ass_nienke",
    "Does anyone know if FarmeLink works on an iPad? Or only on the PC behind the counter?", [], "en")
add("linkedin", "k-de-boer-logistiek",
    "Medivast Pharma Logistics announces 300 job cuts in Germany. Tough day for the sector. I hope the Dutch "
    "wholesalers, Farmelion included, can keep things stable for pharmacies here.", [], "en")
add("instagram", "@farmelion.nl",
    "Deze maand 20% korting op de KoelPak 12: van €189 voor €151,20 ❄️ Bestel via FarmeLink.", [], "nl",
    price=[("KoelPak 12", 151.20)])
add("x", "@martijn_apo",
    "ThermoTrace T3 kost €89, best prijzig, maar we hebben er nog nooit een koelketenprobleem mee gemist.", [], "nl",
    price=[("ThermoTrace T3", 89.0)])
add("x", "@wantrouwige_wim",
    "Kreeg een 'factuur' namens Farmelion: €312 overmaken naar " + spaced_iban(V["iban_phish_fake"])
    + ". Klopt dat nummer eigenlijk wel? Voelt als phishing", [], "nl", fakes=[("iban", V["iban_phish_fake"])])
add("reddit", "u/bestelgek",
    "Waarom zijn de bestelnummers in FarmeLink zo lang? " + spaced_card(V["card_order_fake"])
    + " lijkt wel een creditcard 😅", [], "nl", fakes=[("card", V["card_order_fake"])])
add("instagram", "@lotte.inhetdc",
    "Pakbon " + V["bsn_pakbon_fake"] + " heeft vandaag het record: 212 regels in één order 😮💪 #orderpicken",
    [], "nl", fakes=[("bsn", V["bsn_pakbon_fake"])])
add("mastodon", "@rvdmeer@mastodon.nl",
    "friendly reminder that AKIAIOSFODNN7EXAMPLE is the example key from the AWS docs. please stop reporting it to "
    "security 😅", [], "en")
add("linkedin", "thomas-wijnands-farmelion",
    "Pro tip for our devs: never paste real tokens in tickets. In docs we use placeholders like "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.", [], "en")
add("linkedin", "farmelion-groothandel",
    "Vandaag publiceren we onze jaarcijfers 2026: een jaar waarin we meer apotheken dan ooit op tijd beleverden. "
    "Lees het volledige jaarverslag op www.farmelion.nl/investor", [], "nl", at="2027-03-02T07:30:00Z")
add("instagram", "@farmelion.nl",
    "Hij is er! De KoelPak Pro 24 ❄️ lichter, langer koud en met ingebouwde logger. Vanaf vandaag te bestellen.",
    [], "nl", at="2027-01-19T10:00:00Z")
add("facebook", "Apotheek De Linde",
    "Veel sterkte aan de familie en collega's van Piet, ruim 30 jaar onze vaste chauffeur van Farmelion. "
    "We gaan hem missen.", [], "nl")
add("x", "@drukke_dokter",
    "Lekker snel geleverd vandaag, om 7 uur stond alles er al 👌 #farmelion", [], "nl")
add("x", "@daankoster_ict",
    "Lifehack voor apothekersassistenten: zet je vaste bestelregels als favorietenlijst in FarmeLink, scheelt elke "
    "ochtend 10 minuten.", [], "nl")
add("x", "@farmelion",
    "Brandoefening in DC Nieuwegein vanochtend: in 4 minuten stond iedereen buiten. Goed gedaan team! 🧯", [], "nl")
add("x", "@apotheeknieuws",
    "Terugroepactie bij een Belgische fabrikant van hoestsiroop. Farmelion laat weten dat het eigen huismerk er niet "
    "onder valt.", [], "nl")
add("x", "@pharmacist_lena",
    "Is it just me or is FarmeLink actually fast now? Put in 60 lines in about 4 minutes this morning.", [], "en")
add("linkedin", "ingrid-smits-farmelion",
    "Tien jaar bij Farmelion vandaag. Begonnen als accountmanager in Brabant, nu met een geweldig team door heel "
    "Nederland. Dank aan iedereen!", [], "nl")
add("x", "@farmelion",
    "Let op: er gaan nepmails rond namens Farmelion met een link naar een betaalpagina. Twijfel je? Bel ons op "
    "0800-3276. Wij vragen nooit om je wachtwoord.", [], "nl")
add("threads", "@femke.kwaliteit",
    "Mooie sessie gegeven op het KNMP-congres over temperatuurbewaking in de keten. Dank voor alle goede vragen!",
    [], "nl")
add("x", "@pharmtech_joe",
    "FarmeLink's new stock dashboard is honestly killer 🔥 finally see backorders before the patient does", [], "en")
add("linkedin", "farmelion-groothandel",
    "Dit najaar brachten we samen met onze apotheken ruim 1,2 miljoen griepvaccins op de juiste temperatuur op de "
    "juiste plek. Dank aan alle chauffeurs!", [], "nl", at="2026-11-27T09:30:00Z")
add("x", "@zorgeconomie",
    "Farmelion published its half-year figures this morning: revenue +4%, margin slightly squeezed by higher "
    "transport costs. Press release is on farmelion.nl.", [], "en", at="2026-08-20T08:15:00Z")
add("x", "@apotheekjournaal",
    "Apotheekketen Salvea krijgt een nieuwe eigenaar, een Scandinavische investeerder. Hun vaste groothandel blijft "
    "Farmelion, zegt de woordvoerder.", [], "nl")
add("mastodon", "@farmelion@zorg.social",
    "We read every complaint and every compliment. Our care team is there 7 days a week on +31 30 760 4400 or at "
    "klantenservice@farmelion.nl.", [], "en")
add("bluesky", "@curiouspatient.bsky.social",
    "Genuine question: how does a wholesaler like Farmelion keep insulin cold during a heatwave? Ice packs? Fridge "
    "vans? Always wondered.", [], "en")
add("x", "@kees_rijdt",
    "Vanaf vandaag in een elektrische bus 🔌 stil, snel en geen diesellucht meer in de cabine. Mooi werk Farmelion",
    [], "nl")
add("x", "@farmelion_zorg",
    "Gepland onderhoud: FarmeLink is zaterdag tussen 02:00 en 06:00 niet bereikbaar. Spoedbestellingen? Bel 0800-3276.",
    [], "nl")
add("threads", "@typografietim",
    "Is Farmelion a pun on 'pharma' and 'lion'? Either way that logo is elite 🦁", [], "en")
add("x", "@assistent_noor",
    "Hoe verander ik mijn wachtwoord in FarmeLink? Kan de knop nergens vinden 🙈", [], "nl")
add("x", "@pharmacy_owen",
    "Shoutout to the Farmelion night shift. My pharmacy didn't run out of insulin once over the holidays.", [], "en",
    at="2026-01-05T18:22:00Z")
add("reddit", "u/bp_curious",
    "Pulsa BP3 for €59.95 at my local pharmacy, seems to be the standard price everywhere. Anyone using it? Accurate?",
    [], "en", price=[("Pulsa BP3", 59.95)])
add("instagram", "@farmelion.nl",
    "Tijdelijk: DoseWeek XL voor €9,99 (was €12,50) 💊 Handig voor wie veel medicijnen per dag heeft.", [], "nl",
    price=[("DoseWeek XL", 9.99)])
add("reddit", "u/eli5_pharma",
    "ELI5: why do pharmacies buy from wholesalers like Farmelion instead of straight from the manufacturer?", [], "en")
add("linkedin", "farmelion-groothandel",
    "Morgen spreekt Ingrid Smits op de Apothekersdag over medicijntekorten en wat groothandels daaraan kunnen doen. "
    "Zien we je daar?", [], "nl")
add("linkedin", "thomas-wijnands-farmelion",
    "Our PickBox pilot in Utrecht is officially live, press release is on farmelion.nl. Patients can now collect "
    "their meds 24/7.", [], "en")
add("reddit", "u/astma_papa",
    "Does the AeroKid spacer fit a Ventolin inhaler or do I need an adapter? Pharmacy says yes, box says nothing.",
    [], "en")
add("facebook", "VV Oranje Boys",
    "Trots! Farmelion wordt de nieuwe shirtsponsor van onze JO11 ⚽ Dank jullie wel!", [], "nl")
add("x", "@patient_paul",
    "My pharmacist explained the amoxicillin shortage is nationwide and not Farmelion's fault. Fair enough.",
    [], "en")
add("bluesky", "@drivingdan.bsky.social",
    "Rough week for the Farmelion drivers with all that snow. Saw one carrying crates through a drift. Respect.",
    [], "en", at="2026-02-11T20:05:00Z")
add("linkedin", "farmelion-groothandel",
    "Ons jaarverslag over 2025 staat online, inclusief het duurzaamheidsverslag. Download via www.farmelion.nl",
    [], "nl")
add("x", "@beleggenmetbas",
    "Farmelion's FY2026 results came out this morning. Solid growth, better than I expected.", [], "en",
    at="2027-03-03T09:12:00Z")
add("x", "@apotheek_weesp",
    "Die chauffeurs van Farmelion zijn gestoord snel met uitladen, binnen 3 minuten weer weg 😂", [], "nl")
add("instagram", "@lotte.inhetdc",
    "doodmoe na de jaarlijkse inventarisatie maar alles klopte tot op de laatste doos 🙌", [], "nl")
add("x", "@cyberjunkie_nl",
    "Hackers took down a Belgian hospital's systems yesterday. Good moment to check your own backups, pharmacies "
    "included.", [], "en")
add("x", "@sjoerd_fl_sales",
    "Najaarsactie: bij 10 dozen NitrilGuard krijg je 15% korting, dus €8,46 per doos. Vraag je accountmanager.",
    [], "nl", price=[("NitrilGuard", 8.46)])
add("facebook", "Ria Smulders",
    "€5,49 voor FL Handalcohol 500 vind ik eigenlijk prima, ruikt niet zo naar ziekenhuis ook.", [], "nl",
    kind="comment", price=[("FL Handalcohol", 5.49)])
add("linkedin", "p-hendriks-apotheker",
    "We chose the MediCarrousel 60 (€72,500) after comparing three vendors. Installation by Farmelion was smooth and "
    "on schedule.", [], "en", price=[("MediCarrousel 60", 72500.0)])
add("bluesky", "@ayse-demir.bsky.social",
    "redacted for obvious reasons: sk-proj-************************ — the bug is in our retry loop, not in the key",
    [], "en")
add("x", "@pharmacist_mo",
    "Farmelion called me back within ten minutes about our missing tote. Turned out it went to the pharmacy next "
    "door. Sorted. Credit where it's due.", [], "en")
add("youtube", "FarmelionTV",
    "Nieuwe video: zo werkt de MediCarrousel 40 in een drukke stadsapotheek. Vragen over de video? Mail "
    "pers@farmelion.nl", [], "nl")
add("threads", "@katlady.apo",
    "my cat has been sleeping in the empty Farmelion cool box for three days now. 10/10 product apparently 🐈📦",
    [], "en")
add("mastodon", "@rvdmeer@mastodon.nl",
    "Rolled out FarmeLink 5 to all pharmacies today after the launch. Zero incidents so far, very proud of this team.",
    [], "en", at="2027-02-01T17:45:00Z")
add("x", "@pharmacy_ellie",
    "Our order reference 'FL-2026-0813' looked like a phone number to my new colleague, she tried to call it 😂 "
    "love a Farmelion Monday", [], "en")

# ---------------------------------------------------------------------------
# build, label severities, write
# ---------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


def severity(cats, role, ids):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = 3
                if c in ("leak.secret", "leak.pricing"):
                    lvl = 4
                if c == "leak.pii" and any(k in ("iban", "card", "bsn") for k, _ in ids):
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(c)
        s = max(s, lvl)
    return SEV[s]


def stamp(r):
    if r["at"]:
        return r["at"]
    start = dt.datetime(2026, 1, 2, 6, 0, 0)
    t = start + dt.timedelta(seconds=rng.randrange(0, 350 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(RAW)
    random.Random(4750).shuffle(order)
    RAW[:] = order
    out = []
    used = set()
    for r in RAW:
        while True:
            pid = "%s-%d" % (r["platform"], rng.randrange(10**9, 10**10))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(r["platform"], r["handle"])
        post = {"id": pid, "platform": r["platform"], "kind": r["kind"],
                "account": {"handle": r["handle"]}, "text": r["text"], "lang": r["lang"],
                "created_at": stamp(r), "brand": "farmelion"}
        if r["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (r["handle"].lstrip("@"), pid.split("-")[1])
        cats = sorted(set(r["cats"]))
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, r["ids"])},
                    "_raw": r, "_role": role})
    return out


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def digits(s):
    return re.sub(r"\D", "", s)


SECRET_PATTERNS = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"sk_live_[0-9A-Za-z]{16,}"),
    re.compile(r"xox[abpr]-[0-9A-Za-z-]{20,}"),
    re.compile(r"glpat-[\w-]{20}"),
    re.compile(r"AIza[\w-]{35}"),
    re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}"),
    re.compile(r"sk-(proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ"),
    re.compile(r"\w+://[^:\s/]+:[^@\s]+@"),
    re.compile(r"(?i)(wachtwoord|password|passwd)\s*[:=]\s*[^\s*•]{4,}"),
]


def check(cases):
    errs = []
    prof = PROFILE
    pub_ibans = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
    pub_phones = {digits(p) for p in prof["public_identifiers"]["phones"]}
    pub_phones |= {("0" + p[2:]) if p.startswith("31") else p for p in pub_phones}
    pub_emails = {e.lower() for e in prof["public_identifiers"]["emails"]}
    conf_terms = ([d.lower() for d in prof["internal"]["domains"]] + [c.lower() for c in prof["internal"]["codenames"]]
                  + [mk.lower() for mk in prof["internal"]["markers"]])
    products = {}
    for p in prof["products"]:
        for a in [p["name"]] + p["aliases"]:
            products[a.lower()] = p["list_price"]
    ids_seen = set()
    for n, c in enumerate(cases):
        post, exp, r, role = c["post"], c["expect"], c["_raw"], c["_role"]
        tag = "case %d (%s): " % (n, post["id"])
        # ---- CONTRACT section 6 / section 1 shape
        line = json.dumps({"post": post, "expect": exp}, ensure_ascii=False)
        back = json.loads(line)
        if set(back) != {"post", "expect"}:
            errs.append(tag + "bad top-level keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256:
            errs.append(tag + "bad id")
        if post["id"] in ids_seen:
            errs.append(tag + "duplicate id")
        ids_seen.add(post["id"])
        if post["platform"] not in PLATFORMS:
            errs.append(tag + "bad platform")
        if post["kind"] not in KINDS:
            errs.append(tag + "bad kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + "bad handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
            errs.append(tag + "bad text")
        try:
            ts = parse_ts(post["created_at"])
            if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
                errs.append(tag + "created_at out of range")
        except Exception as e:  # noqa
            errs.append(tag + "bad created_at %s" % e)
        if exp["severity"] not in SEV:
            errs.append(tag + "bad severity")
        if exp["categories"] != sorted(set(exp["categories"])):
            errs.append(tag + "categories not sorted/unique")
        if any(x not in CAT.values() for x in exp["categories"]):
            errs.append(tag + "unknown category")
        if (exp["categories"] == []) != (exp["severity"] == "none"):
            errs.append(tag + "benign/none mismatch")
        if exp["severity"] != severity(exp["categories"], role_of(post["platform"], post["account"]["handle"]), r["ids"]):
            errs.append(tag + "severity does not follow policy")
        text = post["text"]
        flat = ZW.sub("", text)
        low = flat.lower()
        benign = not exp["categories"]
        cats = set(exp["categories"])
        # ---- declared identifiers
        for kind, val in r["ids"]:
            if kind == "iban":
                ok = iban_ok(val) and val in re.sub(r"\s", "", text)
            elif kind == "card":
                ok = luhn_ok(val) and val in digits(text)
            elif kind == "bsn":
                ok = bsn_ok(val) and val in digits(text)
            elif kind == "phone":
                ok = val[1:] in digits(text)
            elif kind == "email":
                ok = val in text
            else:
                ok = False
            if not ok:
                errs.append(tag + "declared %s %s missing or invalid" % (kind, val))
            if "leak.pii" not in cats:
                errs.append(tag + "declared identifier in a post without leak.pii")
        for kind, val in r["fakes"]:
            bad = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            present = (val in re.sub(r"\s", "", text)) if kind == "iban" else (val in digits(text))
            if bad or not present:
                errs.append(tag + "look-alike %s %s passes its checksum or is missing" % (kind, val))
            if not benign:
                errs.append(tag + "look-alike in a positive post")
        # ---- global scan: any checksum-valid identifier must be declared in a pii post
        nospace = re.sub(r"\s", "", flat)
        for mm in re.finditer(r"NL\d{2}[A-Z]{4}\d{10}", nospace):
            v = mm.group(0)
            if iban_ok(v) and v not in pub_ibans and ("iban", v) not in r["ids"]:
                errs.append(tag + "undeclared valid IBAN " + v)
        for mm in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", flat):
            v = digits(mm.group(0))
            if luhn_ok(v) and ("card", v) not in r["ids"]:
                errs.append(tag + "undeclared Luhn-valid number " + v)
        for mm in re.finditer(r"(?<![\d.])\d{9}(?![\d])", flat):
            v = mm.group(0)
            if bsn_ok(v) and ("bsn", v) not in r["ids"] and not any(v in d for k, d in r["ids"]):
                errs.append(tag + "undeclared 11-proof number " + v)
        # ---- benign: no personal contact data except the company's own
        if benign:
            for mm in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", flat):
                if mm.group(0).lower() not in pub_emails:
                    errs.append(tag + "e-mail in benign post " + mm.group(0))
            scan = flat
            for ib in re.finditer(r"NL\d{2}(?:\s?[A-Z0-9]{4}){3}\s?[A-Z0-9]{2}", scan):
                scan = scan.replace(ib.group(0), " ")
            for mm in re.finditer(r"(?<!\d\s)(?<!\d-)(?:\+31|0031|(?<![\d\w-])0)[\s\-()]*(?:\d[\s\-()]*){7,10}", scan):
                d = digits(mm.group(0))
                d = "0" + d[2:] if d.startswith("31") else d
                d = "0" + d[4:] if d.startswith("0031") else d
                if d.rstrip() not in pub_phones and len(d) >= 9:
                    errs.append(tag + "phone-like number in benign post " + mm.group(0))
            for pat in SECRET_PATTERNS:
                for mm in pat.finditer(flat):
                    if "EXAMPLE" in flat[mm.start():mm.end() + 20]:
                        continue
                    if mm.group(0).startswith("gh") and not github_token_ok(mm.group(0)):
                        continue
                    errs.append(tag + "secret-like string in benign post " + mm.group(0)[:30])
        # ---- secrets
        for s in r["secrets"]:
            if s not in text:
                errs.append(tag + "declared secret missing")
            if s.startswith("gh") and not github_token_ok(s):
                errs.append(tag + "github token checksum wrong")
            if s.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", s):
                errs.append(tag + "bad AWS key id")
            if s.startswith("eyJ"):
                hdr = json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "=="))
                if "alg" not in hdr or s.count(".") != 2:
                    errs.append(tag + "bad JWT")
        if "leak.secret" in cats:
            if not r["secrets"] or not any(p.search(flat) for p in SECRET_PATTERNS):
                errs.append(tag + "secret case without a recognisable credential")
        elif r["secrets"]:
            errs.append(tag + "secrets declared on a non-secret case")
        # ---- confidential terms and embargo
        for t in conf_terms:
            if t in low and "leak.confidential" not in cats:
                errs.append(tag + "internal term %r without leak.confidential" % t)
        for emb in prof["embargo"]:
            until = parse_ts(emb["until"])
            for t in emb["terms"]:
                if t.lower() in low:
                    before = parse_ts(post["created_at"]) < until
                    if before and "leak.confidential" not in cats:
                        errs.append(tag + "embargo term %r before until, not labelled" % t)
                    if benign and before:
                        errs.append(tag + "benign post with embargo term before until")
        # ---- pricing
        for alias, val in r["price"]:
            key = alias.lower()
            lp = products.get(key)
            if lp is None and r["name"] == "dotted-koelpak":
                lp = products.get(key.replace(".", ""))
            if lp is None:
                errs.append(tag + "unknown product alias %r" % alias)
                continue
            if alias not in text:
                errs.append(tag + "product alias not in text")
            if "leak.pricing" in cats:
                if not r["perr"] and not (val < prof["pricing"]["alert_below_ratio"] * lp):
                    errs.append(tag + "pricing positive not below ratio")
            elif val is not None and val < 0.7 * lp:
                errs.append(tag + "benign price too low (%s vs %s)" % (val, lp))
        if "leak.pricing" in cats and not r["price"]:
            errs.append(tag + "pricing case without declared product price")
        if "leak.pricing" in cats and r["perr"] and "prijsfout" not in low and "price error" not in low:
            errs.append(tag + "price-error case without price-error talk")
        if benign and "€" in flat:
            mentioned = [a for a in products if re.search(r"(?<![\w])" + re.escape(a) + r"(?![\w])", low)]
            if mentioned and not r["price"]:
                errs.append(tag + "benign post with product and price but no declared price")
    # ---- mix
    n = len(cases)
    nb = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d not in 170-180" % n)
    if not 55 <= nb <= 65:
        errs.append("benign count %d far from 60" % nb)
    return errs


def main():
    cases = build()
    errs = check(cases)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read and validate the file as written
    lines = open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8").read().splitlines()
    assert len(lines) == len(cases)
    for ln in lines:
        o = json.loads(ln)
        assert set(o) == {"post", "expect"} and set(o["expect"]) == {"categories", "severity"}
    from collections import Counter
    cc = Counter(cat for c in cases for cat in c["expect"]["categories"])
    langs = Counter(c["post"]["lang"] for c in cases)
    roles = Counter(c["_role"] for c in cases)
    sev = Counter(c["expect"]["severity"] for c in cases)
    nb = sum(1 for c in cases if not c["expect"]["categories"])
    multi = sum(1 for c in cases if len(c["expect"]["categories"]) > 1)
    print("cases", len(cases), "benign", nb, "multi-label", multi)
    print("categories", dict(sorted(cc.items())))
    print("languages", dict(langs), "roles", dict(roles))
    print("severities", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
