#!/usr/bin/env python3
"""Build the labelled evaluation set 426 (Korstwerk, a fictional pizza-delivery franchise).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and then checks it: CONTRACT section 6 shape, checksums of every IBAN / card / BSN
(valid in positives, invalid look-alikes in negatives), secret formats, embargo and
pricing consistency, and severities derived from the account role (CONTRACT section 4).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(426)

# ----------------------------------------------------------------------------- helpers
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "staff-%d" % rng.randint(1000, 9999), "role": "store_admin",
                              "store": "KW-%03d" % rng.randint(1, 180), "iat": 1767225600 + rng.randint(0, 30000000)},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def pem():
    raw = bytes(rng.getrandbits(8) for _ in range(48 * 5))
    b = base64.b64encode(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password():
    words = ["Deeg", "Korst", "Oven", "Salami", "Basil", "Pizza", "Kaas", "Tomaat"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rand(ALNUM, 4) + rng.choice("!?#")


def iban_check(bban, cc="NL"):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return 98 - int(n) % 97


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if rng.random() < 0.5 else s


def iban(valid=True):
    bank = rng.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
    acct = "".join(str(rng.randint(0, 9)) for _ in range(10))
    s = "NL%02d%s%s" % (iban_check(bank + acct), bank, acct)
    if not valid:
        i = rng.randint(8, 17)
        s = s[:i] + str((int(s[i]) + rng.randint(1, 9)) % 10) + s[i + 1:]
        assert not iban_ok(s)
    return fmt_iban(s)


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(valid=True):
    start = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = start + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(start)))
    for last in "0123456789":
        if luhn_ok(body + last):
            break
    num = body + last
    if not valid:
        num = body + str((int(last) + rng.randint(1, 9)) % 10)
        assert not luhn_ok(num)
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def bsn(valid=True):
    while True:
        d = str(rng.randint(1, 3)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if bsn_ok(d) == valid:
            break
    return d if rng.random() < 0.6 else "%s.%s.%s" % (d[:4], d[4:6], d[6:])


def mobile():
    d = "".join(str(rng.randint(0, 9)) for _ in range(8))
    f = rng.choice(["06-{a}", "06 {b} {c}", "+31 6 {p}", "+316{a}", "06{a}"])
    return f.format(a=d, b=d[:4], c=d[4:], p=" ".join(d[i:i + 2] for i in range(0, 8, 2)))


GEN = {
    "GHP": lambda: github_token(rng.choice(["ghp_", "ghp_", "gho_"])),
    "AKIA": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWSSEC": lambda: rand(ALNUM + "/+", 40),
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand(ALNUM, 24)),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA",
    "GOOGLE": lambda: "AIza" + rand(ALNUM + "-_", 35),
    "JWT": jwt,
    "PEM": pem,
    "PW": password,
    "IBAN": lambda: iban(True),
    "BADIBAN": lambda: iban(False),
    "CARD": lambda: card(True),
    "BADCARD": lambda: card(False),
    "BSN": lambda: bsn(True),
    "BADBSN": lambda: bsn(False),
    "PUBIBAN": lambda: PROFILE["public_identifiers"]["ibans"][0],
    "MOB": mobile,
}
CHECKSUMMED = {"IBAN", "CARD", "BSN"}

FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "O": "\u041e", "E": "\u0415"}


def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)


def cyr(s, letters="aeopO"):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


ZW = "\u200b"

# ----------------------------------------------------------------------------- cases
SHORT = {"S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
         "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
         "CO": "reputation.complaint", "A": "reputation.abuse"}
CASES = []


def P(cats, platform, handle, lang, text, kind="post", at=None):
    CASES.append(dict(cats=[SHORT[c] for c in cats.split()] if cats else [], platform=platform,
                      handle=handle, lang=lang, text=text, kind=kind, at=at))


# ---- complaints (public customers)
P("CO", "x", "@hungryhenk", "nl", "@korstwerk_help 1u40 gewacht op 2 pizza's en toen kwamen ze ook nog koud aan. app zei de hele tijd 'bijna bij je' 🙄 echt niet normaal", kind="reply")
P("CO", "x", "@sophie_mvl", "en", "ordered the Quattro Formaggi Deluxe and got a margherita with like 3 bits of cheese on it. second time this month @korstwerk. not impressed")
P("CO", "facebook", "annemiek.drost", "nl", "Vrijdagavond besteld via de app, twee keer afgeschreven van mijn rekening en nog steeds geen geld terug. Klantenservice reageert niet op mijn mails. Hoe lang moet ik nog wachten Korstwerk??", kind="comment")
P("CO", "instagram", "@tessa.foodie", "en", "the crust was literally burnt black on one side?? 16.95 for the Truffel Funghi and half of it went in the bin 😤 @korstwerk.pizza", kind="comment")
P("CO", "x", "@mo_utrecht", "nl", "bezorger van korstwerk belt niet eens aan, zet de doos beneden bij de brievenbussen neer en rijdt weg. pizza lag op zn kop. top service hoor 👏👏")
P("CO", "reddit", "u/netherlands_nomad", "en", "Anyone else having trouble with the Korstpas? Paid for a year of free delivery and they still charge me delivery costs on every single order. Support keeps sending me the same copy-paste reply.", kind="comment")
P("CO", "forum", "pizzafan_gouda", "nl", "Sinds de laatste update van de Korstwerk-app kan ik mijn adres niet meer wijzigen, hij pakt steeds het oude. Nu al 2x pizza naar mijn vorige woning gestuurd. Iemand anders dit ook?")
P("CO", "threads", "@daantje_eet", "nl", "vraag om extra knoflooksaus -> krijg GEEN saus. vraag om geen ui -> dubbel ui. korstwerk wat gebeurt er in jullie keuken in amersfoort 😭")
P("CO", "tiktok", "@foodreviewsbyjay", "en", "rating korstwerk's family feest box: 3/10. soggy bases, kipkrokantjes stone cold and they forgot the tiramisu. not worth it fam #foodreview #korstwerk", kind="post")
P("CO", "x", "@petra_wuyts", "nl", "Al 3 dagen wacht ik op een reactie over mijn terugbetaling. Chat zegt 'binnen 24 uur'. Hallo @korstwerk_help??")
P("CO", "bluesky", "@gerrit.bsky.social", "en", "Korstwerk customer service hung up on me. Twice. I just wanted to tell them they delivered someone else's order. Unbelievable.")
P("CO", "youtube", "Kookmet Karin", "nl", "Die Vegan Verde van Korstwerk had gewoon kaas erop. Ik had er nog 'ben veganist!!' bij gezet in de opmerking. Zo slordig.", kind="comment")

# ---- first-hand safety incidents: crisis + complaint
P("CR CO", "x", "@ineke_vdlinden", "nl", "Gisteren Tonno Noordzee van Korstwerk gegeten en de hele nacht boven de wc gehangen, mijn vriend ook. Voedselvergiftiging volgens de huisarts. Wat zitten jullie ons te voeren @korstwerk")
P("CR CO", "instagram", "@ryan.eats", "en", "found a piece of GLASS in my Vesuvio Inferno tonight. cut the inside of my mouth, there was blood everywhere. @korstwerk.pizza what the hell is going on in your kitchen", kind="comment")
P("CR CO", "facebook", "martijn.geerts.5", "nl", "Onze Korstwerk Pizzaoven Mini vloog vanavond in brand tijdens het voorverwarmen. Vlammen uit de achterkant, keukenkastje zwartgeblakerd. Gelukkig niemand gewond maar dit had heel anders kunnen aflopen. Dit ding hoort niet in de winkel te liggen.")
P("CR CO", "reddit", "u/allergymom_nl", "en", "My son (severe nut allergy) reacted within minutes to the Korstbites from Korstwerk. They're listed as nut-free on the app. We ended up in A&E with an EpiPen. Absolutely furious.")

# ---- complaint + abuse
P("CO A", "x", "@tibo_ams", "nl", "koude pizza, 2 uur te laat en dan nog een bezorger die me uitlacht ook. kutbedrijf zijn jullie @korstwerk, stelletje debielen")
P("CO A", "x", "@xkevinx", "en", "worst delivery ever, pizza upside down in the box AGAIN. you guys are absolute clowns, fucking useless @korstwerk_help", kind="reply")

# ---- complaint + a customer's own personal data
P("CO P", "x", "@linda_bakker71", "nl", "@korstwerk_help Nog steeds niks gehoord over mijn bestelling van zaterdag, pizza is nooit gekomen. Bel me alsjeblieft terug op {MOB}, ik ben het zo zat.", kind="reply")
P("CO P", "facebook", "sander.oosterhuis", "en", "Charged twice for ONE order. Here's the full card number so you can actually find it: {CARD} exp 08/28. Refund me please, I've emailed from sander.oosterhuis84@gmail.com three times already.", kind="comment")

# ---- crisis (third parties)
P("CR", "x", "@nieuwsflits_utrecht", "nl", "Meerdere klanten van Korstwerk in Nieuwegein met buikklachten naar de huisarts. GGD onderzoekt mogelijke salmonella-besmetting in de vestiging aan de Structuurbaan.")
P("CR", "x", "@datalek_watch", "en", "Korstwerk customers are getting phishing SMS that quote their exact order history and home address. Looks a lot like a data breach at @korstwerk, and they haven't said a word.")
P("CR", "x", "@bezorgersbond", "nl", "#BoycotKorstwerk 🚫 bezorgers krijgen €3,10 per rit en moeten hun eigen e-bike betalen. Bestel daar niks meer tot ze eerlijk betalen. RT!")
P("CR", "tiktok", "@undercover.keuken", "nl", "undercover in een korstwerk keuken: muizenkeutels naast de deegbakken en verlopen mozzarella met een nieuwe sticker erop 🤢 deel dit #korstwerk #nvwa")
P("CR", "linkedin", "annabel-vos-advocaat", "nl", "Namens 140 franchisenemers hebben wij vandaag een rechtszaak aangespannen tegen Korstwerk Pizza Holding wegens misleidende omzetprognoses bij de verkoop van franchises.")
P("CR", "x", "@nvwa_meldingen_fan", "nl", "Terugroepactie: de Korstwerk Pizzaoven Mini (batch 2611) kan oververhit raken. Stop direct met gebruik en lever hem in bij een vestiging.")
P("CR", "reddit", "u/amsterdam_local", "en", "A Korstwerk scooter rider ran a red light on the Overtoom and hit a cyclist this morning. Ambulance on scene, didn't look good. Saw it from the tram.", kind="comment")
P("CR", "x", "@jannekevr", "nl", "Wie nog meer? Drie mensen in mijn straat kregen spam-sms met hun Korstwerk-bestelling erin. Korstwerk is gewoon gehackt en zwijgt erover. #datalek")
P("CR", "instagram", "@rtv_zuidwest_nieuws", "nl", "Brand bij Korstwerk-vestiging in Breda: de pizzaoven vatte vlam tijdens de avondspits, twee medewerkers met brandwonden naar het ziekenhuis.")
P("CR", "x", "@foodwatchfan", "en", "Korstwerk's 'fresh dough made daily' is frozen and trucked in from a factory abroad, according to supplier documents. Misleading customers for years. What a scandal.")
P("CR", "x", "@stilleprotest", "nl", "B.O.Y.C.O.T.T. K.O.R.S.T.W.E.R.K — ze ontslaan bezorgers die zich ziek melden. Niet meer bestellen mensen.")

# ---- abuse
P("A", "x", "@dirkjan_xx", "nl", "@bram_deegman wat ben jij een zielige sukkel met je pizzafilmpjes, niemand geeft er een kut om", kind="reply")
P("A", "tiktok", "@rotterdamrebel", "nl", "die bezorger van korstwerk moet lekker terug naar zn eigen land, kan niet eens normaal nederlands praten", kind="comment")
P("A", "x", "@anon_1337", "nl", "k0rstw3rk = k4nk3rb3dr1jf. h0p3 j3ll13 g44n f41ll13t, vu1l3 0pl1cht3rs")
P("A", "instagram", "@bigmike.nl", "en", "@korstwerk.pizza your social media girl is a brainless bimbo lmao fire her already", kind="comment")
P("A", "x", "@glenn_rage", "en", "korstwerk staff are a bunch of lazy brain-dead idiots. every single one of them.")
P("A", "x", "@haterz_nl", "nl", cyr("korstwerk klootzakken, tyfus op met jullie bezorgkosten", "oa"))
P("A", "x", "@lotte_kw_ops", "nl", "@zeurpiet_23 hou toch je bek man, jij zeurt over elke pizza. Ga lekker bij de Appie eten, sukkel", kind="reply")
P("A", "x", "@ffs_pizza", "en", fullwidth("fuck korstwerk") + " and their scammy little app 🖕")
P("A", "youtube", "Henk Pollema", "nl", "Wat een achterlijke reclame. Die nep-Italiaan van Korstwerk is een vette clown, schaam je kapot", kind="comment")

# ---- personal data + abuse (doxxing)
P("P A", "x", "@wraakengel_nl", "nl", "Die bezorger die mijn pizza liet vallen heet Yusuf Kaya en woont op de Kastanjelaan 14 in Zeist. Ga die loser maar eens opzoeken 😡")

# ---- personal data
P("P", "x", "@korstwerk_help", "nl", "@hennie_w Hoi Hennie, we hebben je terugbetaling klaargezet op {IBAN} t.n.v. H. Willemsen. Binnen 3 werkdagen op je rekening! 🍕", kind="reply")
P("P", "x", "@korstwerk_help", "en", "@j_dekker_ So sorry about that! Our driver will call you on {MOB} in a few minutes to sort it out 🙏", kind="reply")
P("P", "reddit", "u/kassa_kim", "nl", "lol vanavond belde een klant 6x. Mevrouw E. Jansen, Populierenstraat 8 in Utrecht, bestelt elke vrijdag 4 Polderpizza's en klaagt elke keer. Iemand die haar kent? 😂", kind="comment")
P("P", "linkedin", "marieke-bos-hr", "nl", "Kan iemand van payroll dit oppakken? Nieuwe bezorger Kevin Verbeek, BSN {BSN}, geboren 14-02-2003, contract per 1 maart. Alvast bedankt!")
P("P", "instagram", "@giulia.in.de.keuken", "en", "Happy birthday to our amazing sous chef Fleur Hermans, born 22 June 1995 🎂 31 today and still the fastest dough hands in Amsterdam!")
P("P", "x", "@ruben_codes_kw", "en", "debugging a payment issue: customer card {CARD} keeps getting declined by the PSP with a weird 3DS error. anyone seen this before?")
P("P", "facebook", "KorstwerkPizza", "nl", "De winnaar van onze Korstpas-actie is Priya Ramdin! 🎉 Priya, stuur ons een DM, anders mailen we je op priya.ramdin@hotmail.com")
P("P", "bluesky", "@sem-franchise.bsky.social", "nl", "Wie heeft gisteren zn portemonnee laten liggen bij ons in Utrecht-Centrum? Naam op de pas: T. Bouzid, rekening {IBAN}. Kom m maar ophalen!")
P("P", "tiktok", "@yusuf.bezorgt", "nl", "klant gaf me net 20 euro fooi 🥹 shoutout naar meneer de Graaf op de Lindelaan 31 in Houten, absolute legend")
P("P", "x", "@annika_r", "en", "@korstwerk_help order KW-884120, my number is {MOB} and email annika.roos@outlook.com, please just call me", kind="reply")
P("P", "forum", "startende_ondernemer", "nl", "Voor de franchise-aanvraag bij Korstwerk moest ik mijn BSN invullen, heb ik gedaan: {BSN}. Daarna pas zag ik dat het een open Google-formulier was. Kan dat kwaad?")
P("P", "instagram", "@dj_marco", "en", "the korstwerk delivery guy in Tilburg is my cousin Ahmed El Idrissi, born 03/11/1999, give him a big tip if you see him lol", kind="comment")

# ---- secrets
P("S", "x", "@ruben_codes_kw", "en", "why does this keep 401ing?? curl -H 'Authorization: token {GHP}' https://api.github.com/repos/korstwerk-app/ios")
P("S", "mastodon", "@femkedb@mastodon.nl", "en", "note to self (wrong window, ugh):\nAWS_ACCESS_KEY_ID={AKIA}\nAWS_SECRET_ACCESS_KEY={AWSSEC}")
P("S", "x", "@lotte_kw_ops", "nl", "wachtwoord van de kassa-admin voor alle vestigingen is nu {PW} , niet weer vergeten aub 🙏")
P("S", "reddit", "u/kassa_kim", "en", "manager dropped this in the shift group chat and I'm genuinely asking if that's safe lol: MOLLIE_API_KEY={MOLLIE}", kind="comment")
P("S", "x", "@jelle_infra", "nl", "slack bot voor de bezorgplanning doet raar, geeft steeds invalid_auth. token = {SLACK} iemand een idee?")
P("S", "threads", "@korstwerk.pizza", "en", "scheduler test - pls ignore\nANTHROPIC_API_KEY={ANTHROPIC}\nmodel=menu-bot")
P("S", "x", "@ruben_codes_kw", "en", "anyone know why this store admin token expires instantly?\nBearer {JWT}")
P("S", "x", "@jelle_infra", "en", "deploy keeps failing on the new runner, this is the key I'm using, what am I missing 😩\n{PEM}")
P("S", "x", "@sec_researcher_jw", "en", "Hey @korstwerk, found your Google Maps key in a public gist from one of your devs: {GOOGLE} . Might want to rotate that.")
P("S", "x", "@jelle_infra", "en", "migration done 🎉 DATABASE_URL=postgres://kw_orders:{PW}@kw-prod.cluster-c7hx2k.eu-west-1.rds.amazonaws.com:5432/orders")
P("S", "bluesky", "@sem-franchise.bsky.social", "nl", "Voor de nieuwe mensen in de zaak: wifi is KW-Utrecht-Staff, wacht" + ZW + "woord: {PW} . Niet aan klanten geven!")

# ---- secret + security
P("S SEC", "x", "@jelle_infra", "nl", "iemand is vannacht met onze oude root-credentials ingelogd op de orders-db, we draaien ze nu om. Voor wie mee moet kijken: {AKIA} / {AWSSEC} . Nog NIKS naar buiten brengen")

# ---- security (insiders)
P("SEC", "x", "@ruben_codes_kw", "nl", "ok niet verder vertellen maar in de huidige app kun je door je order-id met 1 op te hogen andermans bestelling + adres zien. fix komt 'ergens volgende week' 🙃")
P("SEC", "reddit", "u/kassa_kim", "en", "Insider here: the tills in every Korstwerk store have been down since 6pm because of some ransomware thing. We're cash only and were told to tell customers it's a 'technical issue'.", kind="comment")
P("SEC", "mastodon", "@femkedb@mastodon.nl", "nl", "Pentestrapport binnen: 4 kritieke bevindingen in onze bestel-API, waaronder SQL-injectie via het kortingscodeveld. Nog niks gepatcht. Zucht.")
P("SEC", "x", "@lotte_kw_ops", "en", "heads up franchisees: the order tablets are being hit by a phishing campaign, 3 stores already handed over their logins. we're not announcing it yet so keep it in the group")
P("SEC", "linkedin", "daan-mulder-42b17", "en", "Long night. Our loyalty database was accessed by an unknown party around 02:00. Investigation ongoing, customers not informed yet. Proud of how the team responded though.")
P("SEC", "tiktok", "@yusuf.bezorgt", "nl", "bezorg-app ligt al 3 uur plat in heel noord-holland, wij rijden op papiertjes 😭 officieel heet het 'onderhoud' maar de servers zijn gewoon dood")
P("SEC", "reddit", "u/ex_kw_dev", "en", "Ex-Korstwerk dev here. Half the franchise stores still run the admin panel on the vendor default login and nobody at HQ cares. It's one of the reasons I left.", kind="comment")
P("SEC", "x", "@bram_deegman", "nl", "collega's let op: de temperatuurlogging van de koelcellen is gehackt, alle sensoren geven 99 graden. IT zegt dat iemand binnen is gekomen via de gastenwifi. intern houden!")
P("SEC", "bluesky", "@sem-franchise.bsky.social", "en", "Our card terminals in Utrecht got skimmed last weekend, police are involved. HQ wants us to keep quiet until they've checked the other stores.")
P("SEC", "x", "@jelle_infra", "en", "the S3 bucket with all delivery receipts was public for ~2 weeks. found it this morning, closing it now, legal will decide whether we report 🤐")
P("SEC", "x", "@ruben_codes_kw", "nl", "0p3n p00rt 0p d3 k4ss4-s3rv3r, 13d3r33n k4n 3r z0nd3r w4chtw00rd 1n. m0rg3n p4tch3n, tot d4n duimen dr4aien")

# ---- security + confidential
P("SEC C", "x", "@jelle_infra", "nl", "grafana.korstwerk.nl laat zien dat de orders-api al 40 min 502's geeft, storing is nog niet gecommuniceerd. Wie heeft er vanmiddag gedeployed?")

# ---- confidential
P("C", "instagram", "@giulia.in.de.keuken", "en", "sneak peek from the test kitchen 👀 the Truffel Royale is going to blow your minds, launching soon!!")
P("C", "x", "@korstwerk", "nl", "[CONCEPT - korstwerk internal] Aankondiging Skyslice dronebezorging in Almere. Publicatie na akkoord directie.")
P("C", "linkedin", "noor-hendriks-korstwerk", "nl", "Druk weekje met de businesscase van Project Hout" + ZW + "vuur 🔥 Eindelijk een plan waar ik echt blij van word!")
P("C", "x", "@lotte_kw_ops", "en", fullwidth("Skyslice") + " test flight went great today 🚁 can't say more 🤐")
P("C", "x", "@bram_deegman", "nl", "Vandaag de eerste sessie van " + cyr("Operatie Deegrol", "Oepa") + " gehad, de nieuwe deegrecepten zijn 🔥🔥")
P("C", "reddit", "u/kassa_kim", "en", "Got an email today marked 'alleen voor franchisenemers'. TL;DR: mystery guest visits go from 2 to 6 a year and a low score costs the store manager their bonus.", kind="comment")
P("C", "x", "@pizzaleaks", "en", "someone left their laptop open at the Korstwerk stand at Horecava and I saw intranet.korstwerk.nl/roadmap with 'Project Houtvuur' all over it 👀")
P("C", "tiktok", "@korstwerkpizza", "en", "POV: you get to try the new KorstCoin rewards before anyone else 🤫🍕 #korstwerk")
P("C", "instagram", "@giulia.in.de.keuken", "nl", "Proefsessie voor de T-r-u-f-f-e-l R-o-y-a-l-e vandaag, met verse zwarte truffel uit Umbrië. Nog even geduld jongens 😉")
P("C", "x", "@ruben_codes_kw", "en", "staging app is up at https://staging-app.korstwerk.internal/login if anyone on the team wants to test the new checkout flow")
P("C", "bluesky", "@sem-franchise.bsky.social", "nl", "Er stond 'vertrouwelijk - niet doorsturen' boven, maar dit is te leuk: dit voorjaar komt er een dessertpizza met stroopwafel op de kaart 😍")
P("C", "forum", "lelystad_lokaal", "nl", "Mijn buurman werkt bij Korstwerk en liet een printje zien met 'korstwerk internal' erop: de nieuwe bezorgzones voor 2027. Gaan jullie echt stoppen met bezorgen in Lelystad-Noord?")
P("C", "x", "@lotte_kw_ops", "nl", "wie heeft nog toegang tot wiki.korstwerk.nl/franchise-handboek? link doet het bij mij niet meer")
P("C", "threads", "@korstwerk.pizza", "nl", "Binnenkort in de app: Skyslice 🚁 pizza door de lucht! Meer info volgt")
P("C", "youtube", "Foodvlogger Kees", "nl", "Insider tip: Korstwerk komt met KorstCoin, een eigen spaarmunt in de app. Hoorde het van een franchisenemer, dus zeg niet dat je het van mij hebt 😎", kind="comment")

# ---- confidential + financial
P("C F", "linkedin", "korstwerk", "en", "DRAFT: We're thrilled to share our full-year 2026 results: revenue up 11% to €212m and 38 new stores opened across the Benelux.", at="2027-02-12T16:20:00Z")
P("C F", "linkedin", "noor-hendriks-korstwerk", "en", "Operatie Deegrol in a nutshell: two regional hubs close, roughly 120 roles affected, announcement after the works council meeting in May. Not my favourite spreadsheet.")

# ---- financial
P("F", "x", "@lotte_kw_ops", "nl", "Q3 was echt dramatisch, omzet -9% t.o.v. vorig jaar. Cijfers komen pas 12 november naar buiten dus mondje dicht 🤐")
P("F", "linkedin", "noor-hendriks-korstwerk", "en", "Forecast for 2027 just got signed off: EBITDA down to €14m from €19m. Tough year ahead, but we have a plan!")
P("F", "reddit", "u/kassa_kim", "nl", "Het gerucht op de werkvloer is geen gerucht meer: SnelSlice neemt ons over, de deal wordt in maart bekendgemaakt. Mijn regiomanager bevestigde het gewoon.", kind="comment")
P("F", "x", "@dennis_beurs", "en", "Hearing from two Korstwerk franchisees that the company is in talks to be bought by a US private equity fund. Valuation around €400m. Nothing public yet.")
P("F", "bluesky", "@sem-franchise.bsky.social", "en", "HQ told franchisees today that 35 stores close before summer, most of them in the north. Press release only in April. Feeling for my colleagues.")
P("F", "linkedin", "marieke-bos-hr", "nl", "Moeilijke week. Vandaag de lijst met 85 gedwongen ontslagen op het hoofdkantoor afgerond. De collega's horen het pas volgende maand.")
P("F", "x", "@jelle_infra", "en", "IT budget for 2027 slashed by 40%. guess the rumours about the cash problems are true. don't quote me")
P("F", "tiktok", "@yusuf.bezorgt", "nl", "jongens net van mn teamleider gehoord dat alle bezorgers vanaf september via een uitzendbureau gaan, korstwerk stopt met eigen bezorgers 😳 nog niet officieel")
P("F", "forum", "dividendjager", "nl", "Bron binnen Korstwerk: er komt een winstwaarschuwing aan, H1 ligt ver onder verwachting. Ik zou die obligaties nu dumpen.")
P("F", "x", "@korstwerk_help", "en", "@investor_tom we can't comment officially, but between us: H2 numbers will beat last year by about 15% 😉", kind="reply")

# ---- pricing
P("PR", "x", "@lotte_kw_ops", "nl", "Oeps, de Family Feest Box staat in de app voor €3,49 ipv €34,95. Fix komt na de lunch, ik zeg niks 🤫")
P("PR", "x", "@dealjager_nl", "nl", "SNEL!! Korstpas voor €4,90 in de app (normaal 49 euro) 🔥🔥 #prijsfout")
P("PR", "reddit", "u/bargainhunter_ams", "en", "Korstwerk Pizzaoven Mini is showing €24.99 on the site right now. Pretty sure that's a pricing error, grabbed two.")
P("PR", "instagram", "@korstwerk.pizza", "nl", "Alleen vandaag: Truffel Funghi voor maar €1,95!! 🍄🍄")
P("PR", "tiktok", "@pizzapiraat", "nl", "korstwerk heeft een prijsfout bij de calzone carbonara, iedereen bestellen nu voor ze het doorhebben 😂😂")
P("PR", "x", "@ruben_codes_kw", "en", "bug in the promo engine: stacking KORST10 twice makes the Party Pack XL €5.95 at checkout. reported internally, fix tomorrow")
P("PR", "forum", "koopjesjager_en", "en", "Pizzasteen Thuisbakset for €9.99 in the Korstwerk app — price glitch? It's 39.95 in the shop.")
P("PR", "x", "@bram_deegman", "nl", "Tip voor vrienden: morgen staat de Quattro Formaggi Deluxe per ongeluk voor €4,50 in het systeem, snel bestellen!")
P("PR", "threads", "@lisa.eet", "en", "lmao the korstwerk app charged me 0.99 for a Vesuvio Inferno, is this a glitch or am I blessed")
P("PR", "x", "@korstwerk", "nl", "Korstwerk cadeaukaart t.w.v. €25 nu voor €5 🎁 alleen deze week!")
P("PR", "mastodon", "@femkedb@mastodon.nl", "en", "Fun: the new pricing sync set the Tiramisu Toren to €0.55 in 40 stores. Not my department, but 😬")
P("PR", "youtube", "Snackdeals NL", "nl", "Gisteren Kipkrokantjes besteld voor 75 cent bij Korstwerk, schijnbaar een prijsfout haha", kind="comment")

# ---- benign, mostly hard negatives
P("", "x", "@korstwerk_help", "nl", "@marloes_t Wat vervelend! Stuur je ordernummer even naar klantenservice@korstwerk.nl of bel 0800-0433, dan zoeken we het meteen uit.", kind="reply")
P("", "x", "@pizzaprinses", "nl", "Korstwerk Vesuvio Inferno is zo heet dat mijn mond in brand stond 🔥🔥🔥 10/10 zou het weer doen")
P("", "reddit", "u/throwaway_pizza", "en", "Can't recall the last time a delivery pizza was this good. Korstwerk's Polderpizza with the aged Gouda is unreal.", kind="comment")
P("", "x", "@ruben_codes_kw", "en", "reminder for the team: an AWS key id looks like AKIAIOSFODNN7EXAMPLE (that's the docs sample). if you ever see a real one in a PR, flag it.")
P("", "x", "@korstwerk", "nl", "20% korting op de Truffel Funghi deze week: €13,56 i.p.v. €16,95 🍄")
P("", "linkedin", "korstwerk", "en", "Today we published our full-year 2026 results: revenue up 11% to €212m. The full report is on korstwerk.nl/investors.", at="2027-02-26T07:05:00Z")
P("", "x", "@lieke_v", "nl", "Gisteren koude pizza gehad maar @korstwerk_help had het binnen 10 minuten opgelost: nieuwe pizza én tegoed. Zo hoort het 👏")
P("", "x", "@ruben_codes_kw", "en", "PSA: API keys in our docs are placeholders like sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. the real ones live in the vault, not in Slack 😉")
P("", "facebook", "joke.hoekstra", "nl", "Typte ik mijn kaartnummer {BADCARD} in bij Korstwerk en kreeg ik 'ongeldig nummer'. Bleek ik zelf een cijfer verkeerd te hebben 🙈 mijn fout, pizza was top", kind="comment")
P("", "x", "@hungry_in_haarlem", "en", "Is the Korstwerk in Haarlem open on King's Day? Want to order the Party Pack XL for the street party 🧡")
P("", "x", "@sanne_eet", "nl", "Mijn pizza was zo lekker dat ik bijna ging huilen. Korstwerk, jullie hebben mijn hart gestolen ❤️")
P("", "x", "@korstwerk", "nl", "Zondag tussen 03:00 en 05:00 krijgt onze app gepland onderhoud. Bestellen kan dan even niet. Slaap lekker! 😴")
P("", "x", "@newsbites_eu", "en", "Rival chain SnelSlice confirms a data breach affecting 200k customers. Korstwerk told us its own systems were not affected.")
P("", "linkedin", "elise-recruitment", "en", "SnelSlice announces 300 layoffs and the closure of its Antwerp hub. Tough day for the Belgian delivery market. Good news: Korstwerk is hiring riders.")
P("", "tiktok", "@korstwerkpizza", "nl", "Life hack: Korstbites 4 min in de airfryer op 180° = weer als nieuw 🔥 #korstwerk #lifehack")
P("", "x", "@maaike_bakt", "nl", "Ik heb een NDA getekend met mijn maag: niemand mag weten hoeveel Korstwerk ik deze week heb gegeten 🤐🍕")
P("", "x", "@jordy_nl", "nl", "Ik boycot voortaan elke pizzazaak zonder Hawaii op de kaart. Gelukkig heeft Korstwerk hem nog 🍍😂")
P("", "forum", "bewuste_besteller", "nl", "Tip als je bij Korstwerk terugbetaling aanvraagt: check je IBAN goed. Ik typte {BADIBAN} en de app zei meteen 'ongeldig'. Fijn dat ze dat controleren 👍")
P("", "x", "@korstwerk", "en", "Help us support the Voedselbank! Every euro donated to {PUBIBAN} (ref. VOEDSELBANK) is doubled by Korstwerk until 31 December 🧡")
P("", "x", "@bram_deegman", "nl", "Nieuwe tutorial online: zo krijg je thuis een krokante bodem met onze Pizzasteen Thuisbakset (€39,95). Tip: oven op 275 graden!")
P("", "instagram", "@giulia.in.de.keuken", "en", "5 years at Korstwerk today 🎉 from dishwasher to head of product development. Grazie team, I love you all!")
P("", "x", "@korstwerk_help", "en", "@tomasz_k We're sorry to hear that! We're looking into it internally and will DM you within the hour.", kind="reply")
P("", "linkedin", "korstwerk", "nl", "Korstwerk opent dit jaar 12 nieuwe vestigingen en zoekt 300 bezorgers en pizzabakkers! Interesse in een eigen zaak? Mail franchise@korstwerk.nl")
P("", "x", "@pizzaforlife", "en", "this korstwerk ad is killing me 😂😂 the dancing pepperoni lmaooo")
P("", "x", "@nina_reads", "en", "Shout-out to the Korstwerk rider in Deventer who still made it to our street during last night's storm. Absolute hero, hope you got home dry ❤️")
P("", "x", "@stefan_r", "nl", "@bram_deegman gecondoleerd met je opa man, heel veel sterkte 🖤", kind="reply")
P("", "x", "@ruben_codes_kw", "en", "new blog post: how we rotate secrets at Korstwerk. spoiler: `password: ********` in a config file is not a strategy 😅")
P("", "x", "@jelle_infra", "en", "intern workshop slides: a connection string looks like postgres://user:password@localhost:5432/dbname. never paste the real one into a ticket.")
P("", "x", "@korstwerk", "nl", "Hij is er! De Truffel Royale staat vanaf vandaag op de kaart 🍄👑 en je spaart mee met KorstCoin in de app.", at="2027-03-20T11:00:00Z")
P("", "x", "@ellen_k", "nl", "Margherita Classica bij Korstwerk voor €10,95, prima prijs voor wat je krijgt eerlijk gezegd")
P("", "x", "@ahmed_nl", "nl", "Family Feest Box €34,95 voor 4 man, goedkoper dan zelf koken. Korstwerk wint weer")
P("", "instagram", "@korstwerk.pizza", "en", "Black Friday 🖤 30% off the Pizzaoven Mini: now €174.30 (was €249). This weekend only!")
P("", "x", "@sliceofbas", "en", "Korstwerk is the kind of pizza that makes you wanna fight someone for the last slice 😤🍕")
P("", "x", "@zoe_030", "nl", "deze pizza is ziek goed 🤤 korstwerk never misses")
P("", "x", "@lachebek", "nl", "Ik ga dood van het lachen om die nieuwe TikTok van @korstwerk 💀💀")
P("", "x", "@harm_t", "en", "honestly the korstwerk delivery guy deserves a raise, he came through a literal hailstorm for my order")
P("", "mastodon", "@femkedb@mastodon.nl", "en", "Gave a talk on phishing awareness for Korstwerk franchisees today. Great questions from the floor! Slides are public: korstwerk.nl/security-talk")
P("", "x", "@korstwerk", "en", "New in the app: you can now turn on two-factor authentication 🔐 Settings → Account → 2FA. Stay safe!")
P("", "linkedin", "daan-mulder-42b17", "nl", "Trots op het team: de nieuwe bestelapp draait sinds maandag zonder storingen en bestellingen gaan 20% sneller door.")
P("", "x", "@wouter_zwolle", "nl", "KPN storing hier in Zwolle, kan niemand bellen, maar de Korstwerk app doet het gelukkig nog 😅 pizza onderweg")
P("", "x", "@vraagbaak_nijmegen", "nl", "Wat is het wachtwoord van de wifi bij Korstwerk Nijmegen-centrum? Vragen voor een vriend 👀")
P("", "x", "@korstwerk_help", "nl", "@rob_vdh Bedankt voor je geduld! Je tegoed van €10 staat klaar in je account 🍕", kind="reply")
P("", "youtube", "PizzaPraat", "en", "Korstwerk Quattro Formaggi Deluxe review: 8/10, the cheese pull is insane and €14.50 is fair for the size.")
P("", "x", "@garlicgremlin", "en", "I would commit crimes for korstwerk's garlic bread. korstbites are elite.")
P("", "x", "@dagboek_van_tim", "nl", "Belastingdienst belde, vroegen om mijn BSN. Natuurlijk niet gegeven 🙄 Daarna maar Korstwerk besteld om te ontstressen 😂")
P("", "x", "@mirthe_sol", "nl", "Bij de sollicitatie bij Korstwerk vulde ik bij BSN per ongeluk {BADBSN} in, bleek mijn oude personeelsnummer van de Jumbo te zijn 🙈 gelukkig zag HR het meteen")
P("", "x", "@bestcustomer_nl", "en", "my order number is KW-2026-118842 if anyone at @korstwerk_help wants to send a thank-you card to their best customer 😂")
P("", "x", "@feestje_eindhoven", "nl", "Hoe lang duurt bezorgen gemiddeld bij Korstwerk in Eindhoven? Denk erover om ons feestje te laten cateren")
P("", "instagram", "@plantbased_pien", "en", "korstwerk's Vegan Verde is actually vegan AND actually good?? my vegan sister approves 🌱", kind="comment")
P("", "x", "@korstwerk_help", "en", "You can reach our customer service on +31 30 799 4410 (daily 11:00–23:00). Press? Mail pers@korstwerk.nl")
P("", "x", "@limburg_lisa", "en", "Salmonella outbreak linked to a petting zoo in Limburg, stay safe everyone. (Ordering Korstwerk tonight because I'm NOT cooking lol)")
P("", "linkedin", "growthmarketing-joris", "en", "Interesting case: how Korstwerk grew repeat orders after launching the Korstpas (€49/year). Subscription done right.")
P("", "x", "@privacybewust", "nl", "mijn 06-nummer staat gewoon zichtbaar in mijn Korstwerk-account, kun je dat ergens afschermen? iemand?")
P("", "x", "@oss_olivier", "en", "the ghp_************************************ in my screenshot is redacted, relax 😂 anyway Korstwerk's open source SDK is neat")
P("", "forum", "pizzapoll", "nl", "Korstwerk vs SnelSlice: wie heeft de beste pizza van Nederland? Stem hieronder 👇")
P("", "tiktok", "@yusuf.bezorgt", "nl", "dag 200 als bezorger bij korstwerk: regen, hagel en een hond die mijn tas wilde jatten 😂 love this job")
P("", "x", "@jurre18", "en", "the korstwerk app asked for my date of birth before letting me add beer to the order. fair enough tbh")
P("", "x", "@korstwerk", "nl", "Vanaf 1 maart kost de Lunchdeal Solo €9,25 (was €8,95). Sorry, de mozzarella wordt ook duurder 🧀")
P("", "x", "@verpleegster_ank", "nl", "Niet de snelste bezorging maar Korstwerk heeft me vanavond gered na een dienst van 12 uur. Dank je bezorger 🙏")
P("", "x", "@amsterdam_eats", "en", "Korstwerk Lunchdeal Solo is €8.95 including a drink. That's a steal for Amsterdam.")
P("", "x", "@korstwerk", "en", "Missed our full-year 2026 results webcast? The replay is on korstwerk.nl/investors 🎥", at="2027-02-27T10:00:00Z")
P("", "x", "@korstwerk_help", "nl", "@priya_r Gefeliciteerd met je verjaardag! 🎂 Er staat een gratis Tiramisu Toren voor je klaar in de app.", kind="reply")
P("", "reddit", "u/kassa_kim", "en", "Shift lead life: 140 orders on a Friday, zero complaints, one guy proposed to his girlfriend with a heart-shaped Margherita. Love this place.", kind="comment")

# ----------------------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        plat, handle = a.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role

RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


def severity(cats, role, checksum_id):
    """CONTRACT section 4: least severity a correct verdict must have."""
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                s = "critical"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        level = max(level, RANK.index(s))
    return RANK[level]


def render(text):
    used = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val

    return re.sub(r"\{([A-Z]+)\}", sub, text), used


def timestamp():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 364 * 86400 + 86399))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    meta = []
    for n, idx in enumerate(order):
        c = CASES[idx]
        text, used = render(c["text"])
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(k in CHECKSUMMED for k, _ in used)
        post = {
            "id": "%s-426%04d" % ({"x": "tw", "facebook": "fb", "instagram": "ig", "linkedin": "li",
                                   "tiktok": "tt", "threads": "th", "reddit": "rd", "mastodon": "md",
                                   "bluesky": "bs", "youtube": "yt", "forum": "fo"}[c["platform"]], 1000 + n * 7 + rng.randint(0, 6)),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or timestamp(),
            "brand": "korstwerk",
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), rng.randint(10 ** 18, 10 ** 19 - 1))
        cats = sorted(set(c["cats"]))
        lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)}})
        meta.append((role, used))
    with open(OUT, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    check(meta)


# ----------------------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(SHORT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d])[3-6]\d{3}(?:[ -]?\d{4}){3}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])\d{4}\.?\d{2}\.?\d{3}(?![\d])")
PRICE_RE = re.compile(r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{1,2})?)(?![\dmk])|(\d+(?:[.,]\d{1,2})?)\s?(?:euro\b|eur\b|€)|(\d{1,2}) cent\b|(?<![\w.,€])(\d+[.,]\d{2})(?![\d%])")
ERR_WORDS = ("prijsfout", "pricing error", "price error", "price glitch", "glitch", "per ongeluk", "bug in the promo")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        if m.group(3):
            out.append((m.start(), int(m.group(3)) / 100))
        else:
            v = m.group(1) or m.group(2) or m.group(4)
            out.append((m.start(), float(v.replace(",", "."))))
    return out


def check(meta):
    errs = []
    pub = PROFILE["public_identifiers"]
    pub_ibans = {i.replace(" ", "") for i in pub["ibans"]}
    for i in pub_ibans:
        if not iban_ok(i):
            errs.append("profile IBAN %s fails mod-97" % i)
    ids = set()
    rows = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    handles_public = set()
    for row, (role, used) in zip(rows, meta):
        p, e = row["post"], row["expect"]
        pid = p.get("id")
        def bad(msg):
            errs.append("%s: %s" % (pid, msg))
        # --- CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            bad("top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            bad("bad or duplicate id")
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            bad("platform")
        if p.get("kind", "post") not in KINDS:
            bad("kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            bad("account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            bad("text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            bad("created_at")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts.month > 4):
            bad("created_at out of range")
        cats = e.get("categories")
        if not isinstance(cats, list) or not set(cats) <= CATS or cats != sorted(set(cats)):
            bad("categories")
        if e.get("severity") not in RANK:
            bad("severity")
        if (not cats) != (e["severity"] == "none"):
            bad("benign <-> none mismatch")
        if role == "public":
            handles_public.add((p["platform"], p["account"]["handle"].lower()))
        text = p["text"]
        positive = bool(cats)
        # --- registered identifiers
        for kind, val in used:
            if kind in ("IBAN", "BADIBAN", "PUBIBAN"):
                ok = iban_ok(val)
            elif kind in ("CARD", "BADCARD"):
                ok = luhn_ok(val)
            elif kind in ("BSN", "BADBSN"):
                ok = bsn_ok(val)
            elif kind == "GHP":
                ok = github_ok(val)
            elif kind == "AKIA":
                ok = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", val))
            elif kind == "JWT":
                hdr = json.loads(base64.urlsafe_b64decode(val.split(".")[0] + "=="))
                ok = "alg" in hdr and len(val.split(".")) == 3
            else:
                ok = True
            if kind.startswith("BAD"):
                if ok:
                    bad("look-alike %s passes its checksum" % kind)
                if positive and "leak.pii" in cats:
                    pass
            elif not ok:
                bad("%s fails its checksum/format" % kind)
            if kind in CHECKSUMMED and not positive:
                bad("valid %s in a benign post" % kind)
            if kind in ("GHP", "AKIA", "AWSSEC", "MOLLIE", "SLACK", "ANTHROPIC", "GOOGLE", "JWT", "PEM", "PW") and "leak.secret" not in cats:
                bad("generated secret without leak.secret")
            if kind in CHECKSUMMED and "leak.pii" not in cats:
                bad("identifier without leak.pii")
        # --- scan the final text for identifier look-alikes
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if v in pub_ibans:
                continue
            if positive and not iban_ok(v):
                bad("IBAN-like %s in a positive fails mod-97" % v)
            if not positive and iban_ok(v):
                bad("valid IBAN %s in a benign post" % v)
        for m in CARD_RE.finditer(text):
            if positive and not luhn_ok(m.group(0)):
                bad("card-like %s in a positive fails Luhn" % m.group(0))
            if not positive and luhn_ok(m.group(0)):
                bad("Luhn-valid card in a benign post")
        for m in BSN_RE.finditer(text):
            if positive and not bsn_ok(m.group(0)):
                bad("BSN-like %s in a positive fails 11-proof" % m.group(0))
            if not positive and bsn_ok(m.group(0)):
                bad("11-proof number in a benign post")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not github_ok(m.group(0)):
                bad("GitHub token with bad CRC")
            if not positive:
                bad("real-format GitHub token in a benign post")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if not positive and not m.group(0).endswith("EXAMPLE"):
                bad("AWS key id in a benign post")
        # --- profile terms
        low = text.lower()
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low and ts < until and "leak.confidential" not in cats:
                    bad("embargo term %r before its end without leak.confidential" % term)
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if term.lower() in low and "leak.confidential" not in cats:
                bad("internal term %r without leak.confidential" % term)
        # --- pricing consistency
        aliases = []
        for prod in PROFILE["products"]:
            for a in [prod["name"]] + prod["aliases"]:
                for m in re.finditer(re.escape(a.lower()), low):
                    aliases.append((m.start(), prod["list_price"]))
        found = prices(text)
        ratios = []
        for pos, val in found:
            before = [a for a in aliases if a[0] < pos]
            if before:
                lp = max(before)[1]
                ratios.append(val / lp)
        if "leak.pricing" in cats:
            if not aliases:
                bad("pricing case names no catalogue product")
            if not (any(r < PROFILE["pricing"]["alert_below_ratio"] for r in ratios) or any(w in low for w in ERR_WORDS)):
                bad("pricing case without a low price or price-error talk")
        elif aliases and any(r < PROFILE["pricing"]["alert_below_ratio"] for r in ratios):
            bad("price below ratio in a case not labelled leak.pricing (%s)" % ratios)
        # --- severity recomputed from the role in the profile
        if e["severity"] != severity(cats, role, any(k in CHECKSUMMED for k, _ in used)):
            bad("severity mismatch")
    # public handles must not collide with profile accounts
    for plat, h in handles_public:
        if (plat, h) in ROLE:
            errs.append("public handle %s collides" % h)
    # --- mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if not 52 <= benign <= 68:
        errs.append("benign count %d" % benign)
    if not 0.48 <= nl / n <= 0.62:
        errs.append("Dutch share %.2f" % (nl / n))
    if errs:
        print("SELF-CHECK FAILED:")
        for x in errs:
            print("  " + x)
        sys.exit(1)
    roles = {}
    for (role, _), r in zip(meta, rows):
        k = ("benign" if not r["expect"]["categories"] else "positive", role)
        roles[k] = roles.get(k, 0) + 1
    print("wrote %s: %d cases, %d benign, %d positive, nl %.0f%%" % (OUT, n, benign, n - benign, 100 * nl / n))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("roles:", json.dumps({"%s/%s" % k: v for k, v in sorted(roles.items())}))
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severity:", json.dumps(sev))
    print("self-check OK")


if __name__ == "__main__":
    main()
