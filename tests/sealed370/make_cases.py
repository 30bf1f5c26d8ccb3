#!/usr/bin/env python3
"""Build the sealed evaluation set 370 (Vitrano Ruitherstel, windscreen repair).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it: checksums of identifiers, CONTRACT section 6 shape, severity
per CONTRACT section 4 computed from the account role in profile.yaml.
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
SEED = 370_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLE[key.lower()] = role

# ---------------------------------------------------------------- checksums
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    s = bank + acct + "NL00"
    check = 98 - int("".join(str(int(c, 36)) for c in s)) % 97
    iban = "NL%02d%s%s" % (check, bank, acct)
    assert iban_ok(iban)
    return iban


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = str(rng.randint(1, 3)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def spoil_last(num):
    return num[:-1] + str((int(num[-1]) + 1) % 10)


def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- secrets
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))


def make_openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    text = base64.b64encode(blob).decode()
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def make_password(n=14):
    pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%&*?@"]
    chars = [rng.choice(p) for p in pools] + [rng.choice("".join(pools)) for _ in range(n - 4)]
    rng.shuffle(chars)
    return "".join(chars)


G = {}
G["iban_refund"] = make_iban("INGB")
G["iban_ronald"] = make_iban("RABO")
G["iban_lotte"] = make_iban("ASNB")
G["iban_sanne_klant"] = make_iban("ABNA")
G["card_dash"] = make_card("4")
G["card_public"] = make_card("52")
G["bsn_youssef"] = make_bsn()
# look-alikes for negatives (must fail their checksum)
G["iban_bad1"] = spoil_last(make_iban("RABO"))
G["iban_bad2"] = spoil_last(make_iban("INGB"))
G["card_bad1"] = spoil_last(make_card("4"))
G["card_bad2"] = spoil_last(make_card("51"))
G["bsn_bad"] = spoil_last(make_bsn())
# secrets
G["ghp"] = make_github("ghp_")
G["gho"] = make_github("gho_")
G["akia"] = "AKIA" + rand(B32, 16)
G["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
G["stripe"] = "sk_live_51" + rand(ALNUM, 96)
G["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13), rand(ALNUM, 24))
G["openai"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
G["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
G["google"] = "AIza" + rand(URLSAFE, 35)
G["gitlab"] = "glpat-" + rand(URLSAFE, 20)
G["mollie"] = "live_" + rand(ALNUM, 30)
G["jwt"] = make_jwt({"sub": "fleet-api-client-0417", "role": "fleet_admin", "iss": "booking.vitrano",
                     "iat": 1767225600, "exp": 1798761600})
G["sshkey"] = make_openssh_key()
G["pw_tablet"] = make_password(12)
G["pw_pg"] = make_password(16)
G["pw_mysql"] = make_password(18)
G["pw_portal"] = make_password(13)
G["iban_public"] = PROFILE["public_identifiers"]["ibans"][0]
G["iban_ronald_sp"] = group4(G["iban_ronald"])
G["iban_lotte_sp"] = group4(G["iban_lotte"])
G["iban_sanne_dots"] = ".".join(G["iban_sanne_klant"])
G["card_dash_sp"] = group4(G["card_dash"])
G["card_public_dash"] = group4(G["card_public"], "-")
G["card_bad1_sp"] = group4(G["card_bad1"])
G["card_bad2_sp"] = group4(G["card_bad2"])
G["bsn_youssef_dots"] = "%s.%s.%s" % (G["bsn_youssef"][:4], G["bsn_youssef"][4:6], G["bsn_youssef"][6:])

# ---------------------------------------------------------------- cases
CASES = []
ZW = "\u200b"


def c(platform, handle, lang, text, cats=(), kind="post", at=None, ids=(), price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(cats),
                      kind=kind, at=at, ids=list(ids), price=price, name=name))


COMP, CRIS, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints ------------------------------------------------------------
c("x", "@marloes_rijdt", "nl",
  "3e keer dat de monteur van @vitrano_nl gewoon niet komt opdagen. Vrij genomen voor niks. "
  "Tijdvak 8-12, om 13u nog niks, geen telefoon geen sms. Top service 🙃", [COMP])
c("x", "@dan_commutes", "en",
  "Had my windscreen replaced by Vitrano last week and now there's a whistling noise above 80 km/h "
  "and water dripping on the passenger side every time it rains. Earliest re-check slot is in 3 weeks. Not impressed.", [COMP])
c("facebook", "gerda.hoogeveen.7", "nl",
  "Sterretje laten repareren bij Vitrano, 89 euro betaald en nu loopt er een scheur van 20 cm dwars door "
  "mijn zicht. Volgens de klantenservice 'kan dat gebeuren bij kou'. Ja dag. Nu mag ik alsnog een hele ruit "
  "en mijn eigen risico betalen. Nooit meer.", [COMP], name="Gerda Hoogeveen")
c("instagram", "@fenna.fotografeert", "nl",
  "Kras over de hele motorkap na de ruitvervanging 😤 en natuurlijk 'die zat er al'. Fijn hoor @vitrano.ruit, "
  "ik heb gewoon foto's van vóór jullie kwamen. #vitrano #nietblij", [COMP], kind="comment")
c("x", "@HarmvdZ", "nl",
  "@vitrano_helpt al 40 min in de wacht voor een simpele vraag over m'n schadeclaim. Chat zegt "
  "'een medewerker komt zo bij u' sinds 09:12. Serieus??", [COMP], kind="reply")
c("threads", "@kiwi.in.utrecht", "en",
  "vitrano rescheduled my appointment FOUR times. every time a text the night before 'helaas, fitter ziek'. "
  "i work shifts, i can't keep doing this. just say you don't have enough fitters lol", [COMP])
c("forum", "Bennie_Golf7", "nl",
  "Regensensor doet raar sinds Vitrano de voorruit heeft vervangen. Wissers gaan random aan op een droge dag. "
  "Terug geweest, 'gelpad vervangen', werkt nog steeds niet. Iemand ervaring mee of moet ik naar de dealer?", [COMP])
c("x", "@fleetmgr_tom", "en",
  "Running 30 vans on Vitrano FleetCare and the invoicing is a shambles. Double-billed for three jobs in October, "
  "credit note still missing after 6 weeks, account manager has gone quiet. Reconsidering the contract.", [COMP])
c("tiktok", "@yaraa.xo", "nl",
  "pov: je auto staat al 3 dagen met plastic en tape voor het raam omdat vitrano 'het glas niet op voorraad heeft' 🫠🫠 "
  "#vitrano #klantenservice #waaromdan", [COMP])
c("facebook", "mike.verhagen.nl", "en",
  "The AquaWipe set I bought from Vitrano started juddering and leaving streaks after two weeks. "
  "Asked for a refund, got offered a 10% voucher instead. Cheers for nothing.", [COMP], name="Mike Verhagen")
c("bluesky", "@pietje.bsky.social", "nl",
  "Afspraak via de app gemaakt, bevestiging gekregen, monteur staat bij m'n óúde adres in Zwolle. Woon al 2 jaar in "
  "Deventer en dat staat gewoon goed in m'n account. Wie test die app eigenlijk bij Vitrano", [COMP])
c("x", "@ronald_1968", "nl",
  "@vitrano_helpt nog steeds geen terugbetaling van die dubbele afschrijving!! Maak het nou gewoon over naar "
  "<<iban_ronald_sp>> t.n.v. R. Smit, dan zijn we er klaar mee. Dossiernummer staat in jullie eigen mail.",
  [COMP, PII], kind="reply", ids=[("iban", "iban_ronald")])
c("facebook", "chloe.brennan.ams", "en",
  "Nobody at Vitrano calls me back about the cracked replacement glass. Fine, here's my number AGAIN: 06-41827356. "
  "Ring me before Friday or I'm going to the Geschillencommissie.", [COMP, PII], name="Chloe Brennan")
c("x", "@kevin_rijdt_hard", "nl",
  "Vitrano kankerbedrijf. 2 weken wachten op een ruit en dan sturen ze een prutser die m'n dashboard sloopt. "
  "Stelletje oplichters.", [COMP, ABU])
c("reddit", "u/grumpy_in_gouda", "en",
  "The Vitrano fitter who came today was a complete moron. Left glass shards all over the driver's seat and then argued "
  "with me about it. Useless idiots, the lot of them.", [COMP, ABU])
c("instagram", "@stefan.k_", "nl",
  "jullie zijn echt de grootste sukkels van nederland @vitrano.ruit, 3x gebeld en nog steeds geen afspraak 🤡🤡",
  [COMP, ABU], kind="comment")
# first-hand safety incidents: crisis + complaint
c("reddit", "u/tdi_wagon_guy", "en",
  "PSA if your car has lane assist: Vitrano swapped my windscreen and skipped the ADAS calibration. On the A12 the car "
  "kept steering itself toward the verge, nearly put me in the ditch at 100 km/h. Dealer had to recalibrate, "
  "€210 out of my pocket, Vitrano won't refund.", [COMP, CRIS])
c("x", "@anoukonderweg", "nl",
  "Op de A28 kwam gisteren bij 110 de rubberrand van mijn voorruit los en de ruit begon te klapperen. Vorige week nog "
  "vervangen door Vitrano. Ik heb letterlijk op de vluchtstrook zitten trillen, dit had heel anders kunnen aflopen.",
  [COMP, CRIS])
c("facebook", "priya.raman.080", "en",
  "The Vitrano fitter left primer all over my dashboard and my 4-year-old got it on his hands and in his eye. "
  "Spent the evening at the huisartsenpost. Nobody warned us that stuff is toxic and nobody has called back.",
  [COMP, CRIS], name="Priya Raman")
c("forum", "Ruud_Caddy", "nl",
  "Na het plaatsen van een HeatView voorruit door Vitrano begon het te smeulen bij de connector onder de ruit. "
  "Rook in de auto, stekker eruit getrokken, brandplek in de hemelbekleding. Klacht ingediend, nog niks gehoord.",
  [COMP, CRIS])
c("x", "@biker_jules", "en",
  "A Vitrano van reversed into me while I was on my bike outside my own house this morning. Bruised hip, bent wheel. "
  "The fitter said 'sorry mate' and drove off to his next job. Unreal.", [COMP, CRIS])

# ---- crisis only -------------------------------------------------------------
c("x", "@nieuwsflits_ov", "nl",
  "BREAKING: consumentenorganisatie roept op tot boycot van Vitrano na onderzoek naar ruiten zonder E-keurmerk. "
  "'Klanten rijden mogelijk rond met onveilig glas.' #vitrano #boycot", [CRIS])
c("x", "@privacywatch_eu", "en",
  "Reports that Vitrano's booking system exposed customer names, plate numbers and home addresses. If you booked a "
  "windscreen repair this year, assume your data is out there. Has Vitrano said anything yet? #databreach", [CRIS])
c("facebook", "StichtingRuitgedupeerd", "nl",
  "Wij starten een collectieve rechtszaak tegen Vitrano Ruitherstel wegens niet-uitgevoerde ADAS-kalibraties. "
  "Ook gedupeerd? Meld je aan via onze website, deelname is kosteloos.", [CRIS], name="Stichting Ruitgedupeerd")
c("reddit", "u/amersfoort_nieuws", "en",
  "Fitter injured after windscreen shattered during installation on a driveway in Amersfoort-Vathorst. "
  "Vitrano van cordoned off, ambulance and police on scene.", [CRIS])
c("tiktok", "@autokees", "nl",
  "LET OP: Vitrano roept HeatView voorruiten terug die na maart zijn geplaatst, de verwarmingsdraden kunnen oververhit "
  "raken!! Check je factuur 👇 #terugroepactie #vitrano", [CRIS])
c("x", "@boosburger", "nl",
  "Niet meer naar Vitrano gaan mensen. Ze laten hun fitters 14 uur per dag rijden zonder pauze, kwam net in de uitzending. "
  "#BoycotVitrano", [CRIS])
c("linkedin", "henk-de-graaf-advocatuur", "en",
  "Our firm has filed suit against Vitrano Ruitherstel B.V. on behalf of 48 fleet customers over systematic overbilling "
  "under FleetCare contracts. We expect more claimants to join.", [CRIS])
c("forum", "Mareike_B", "nl",
  "Mijn buurman is vorige week gewond geraakt toen zijn net door Vitrano geplaatste achterruit op de A1 uit het frame "
  "kwam en tegen de auto achter hem klapte. Politie heeft er een rapport van gemaakt.", [CRIS])
c("bluesky", "@ctrl-alt-dave.bsky.social", "en",
  "so Vitrano customer data is apparently for sale on a forum. sample has names, phone numbers and licence plates. "
  "company still silent. great.", [CRIS])
c("instagram", "@mama_van_drie_", "nl",
  "Deel dit aub!! Vitrano-busje scheurde vanmiddag door de schoolzone bij De Regenboog in Veenendaal, een kind kon nog "
  "net op tijd wegspringen. Kenteken doorgegeven aan de politie.", [CRIS])

# ---- abuse -----------------------------------------------------------------------
c("x", "@sjaakie_1990", "nl",
  "@mehmet_vitrano ga lekker terug naar je eigen land, jullie soort kan niet eens een ruit recht zetten", [ABU], kind="reply")
c("x", "@x_rated_rex", "en", "vitrano fitters are braindead apes. every single one of them. fuck this company", [ABU])
c("instagram", "@dtjeuh", "nl",
  "@sanne.ruitfitter wat doe jij nou in een busje, terug naar de keuken schatje 😂 vrouwen en gereedschap pfff",
  [ABU], kind="comment")
c("x", "@mehmet_vitrano", "nl",
  "@boze_klant_88 als je nog 1x mijn collega uitscheldt kom ik je persoonlijk even opzoeken, debiel", [ABU], kind="reply")
c("x", "@vitrano_helpt", "en",
  "@karenwithacar maybe learn to drive instead of crying to us, you absolute clown. Cracks don't appear by magic.",
  [ABU], kind="reply")
c("tiktok", "@h4terrr", "nl", "v1tr4n0 = k4nk3rz00i, st3lletj3 0pl1cht3rs 🖕", [ABU])
c("x", "@ghosty_bnb", "en", "@vitrano_nl you are all f.u.c.k.i.n.g i.d.i.o.t.s", [ABU], kind="reply")
c("reddit", "u/bolle_bart", "nl",
  "Die Vitrano-fitter van vanochtend was een vette klооtzаk, schold m'n vrouw uit voor dom wijf omdat de auto "
  "niet op de oprit stond.", [ABU])
c("reddit", "u/ruitpiet_vtr", "en",
  "Honestly the customers on the Almere route are the worst. Subhuman trash who can't even park. "
  "Avoid that route if you value your sanity.", [ABU])

# ---- pricing ----------------------------------------------------------------------
c("x", "@vitrano_nl", "nl",
  "Winteractie! ❄️ De Vitrano Voorruit Premium Akoestisch nu voor maar €89 inclusief montage. Op=op, boek via "
  "afspraak.vitrano.nl", [PRI], price=("Vitrano Voorruit Premium Akoestisch", 89))
c("instagram", "@vitrano.ruit", "nl", "Ruitpas Plus voor een heel jaar: €9,- 🤩 Link in bio!", [PRI],
  price=("Vitrano Ruitpas Plus", 9))
c("x", "@eline_vdlinden", "nl",
  "Collega's, vanaf morgen staat HeatView in de shop voor 149 euro, dat is toch de nieuwe actieprijs? 🔥", [PRI],
  price=("Vitrano Voorruit HeatView", 149))
c("facebook", "VitranoRuitherstel", "en",
  "Fleet managers: Vitrano FleetCare now just €19 per vehicle per year. Sign up your whole fleet today!", [PRI],
  price=("Vitrano FleetCare", 19))
c("reddit", "u/koopjesjager_nl", "nl",
  "PRIJSFOUT bij Vitrano!! ADAS Kalibratie voor €18,90 in de webshop, snel boeken voordat ze het doorhebben", [PRI],
  price=("Vitrano ADAS Kalibratie", 18.90))
c("x", "@dealhunter_eu", "en",
  "Vitrano's site is listing panoramic roof glass at €129 instead of €1290, looks like a price error. "
  "Booked two already lol", [PRI], price=("Vitrano Panoramadak glas", 129))
c("tiktok", "@dave_ruitendokter", "nl",
  "psst StarFix Duo staat nu op 12 euro in de app 🤫 zeg maar niet dat ik het gezegd heb", [PRI],
  price=("Vitrano StarFix Duo", 12))
c("linkedin", "vitrano-ruitherstel", "en",
  "Camper season is coming! Our Camper Voorruit replacement now from €299 all-in, fitted on your driveway.", [PRI],
  price=("Vitrano Camper Voorruit", 299))
c("x", "@joostkalibreert", "nl",
  "Volgens mij is er iets misgegaan met de prijzen, achterruit vervangen staat op €38,90 ipv €389. "
  "Iemand van e-commerce al wakker?", [PRI], price=("Vitrano Achterruit vervanging", 38.90))
c("facebook", "wendy.kramer.1983", "nl",
  "Haha ik heb net het IJsvrij Winterpakket besteld voor €3,99. Foutje bij Vitrano denk ik 😅", [PRI],
  price=("Vitrano IJsvrij Winterpakket", 3.99), name="Wendy Kramer")
c("facebook", "VitranoRuitherstel", "nl",
  "Alleen dit weekend: Vitrano Voorruit Standaard voor €149 incl. montage en kalibratie. Wees er snel bij!", [PRI],
  price=("Vitrano Voorruit Standaard", 149))
c("instagram", "@sanne.ruitfitter", "en",
  "Customers keep asking me about the ClearShield Pro for €9.90 on the website... pretty sure that's a pricing mistake "
  "but go get it while it lasts 😂", [PRI], price=("Vitrano ClearShield Pro", 9.90))

# ---- confidential -------------------------------------------------------------------
c("linkedin", "ingrid-mulder-vitrano", "nl",
  "Trots op het team: Project Basalt gaat in maart live bij alle 140 fitters. Eindelijk een planning die wél werkt!", [CONF])
c("x", "@joostkalibreert", "nl",
  "Testrit met de eerste Vitrano HUD-Glass ruit in de Model Y van de baas. Projectie is messcherp 👌",
  [CONF], at="2026-10-14T16:40:00Z")
c("x", "@vitrano_nl", "en",
  "Tomorrow morning 👀 HUD-Glass lands at Vitrano: head-up display ready windscreens for 30+ models. Set your alarms!",
  [CONF], at="2027-01-18T20:00:00Z")
c("instagram", "@sanne.ruitfitter", "nl",
  "Nieuwe werkinstructie binnen, staat met koeienletters VITRANO INTERN bovenaan 😂 stap 3: 'bij tijdsdruk oude kitrups "
  "laten zitten'. Ik zeg niks hoor", [CONF])
c("reddit", "u/ruitpiet_vtr", "en",
  "If anyone on the fitter team needs the new rota it's up on https://planning.vitrano.local/rota/week47 (VPN needed obviously)",
  [CONF])
c("x", "@eline_vdlinden", "nl",
  "Hele middag brainstorm over een merknaam voor Kwartsdruppel, ik stem voor 'ClearView Night' 🌙", [CONF])
c("reddit", "u/anoniemeglazenier", "nl",
  "Zwager werkt bij Vitrano en zegt dat ze onder de naam Kwartsdruppel een zelfherstellende coating aan het ontwikkelen "
  "zijn. Zou mooi zijn als dat echt werkt.", [CONF])
c("linkedin", "ravi-ramdin-it", "en",
  "Migrated all our pipelines from Jenkins to https://git.vitrano.nl/platform/ci-templates this quarter. Proud of the team!",
  [CONF])
c("facebook", "VitranoRuitherstel", "nl",
  "Oeps, verkeerd bestand gedeeld in het vorige bericht: 'Tarieven verzekeraars 2027 – niet extern delen'. "
  "Kan iemand van social dit aub weghalen?", [CONF])
c("x", "@mehmet_vitrano", "nl",
  "Operatie IJzerhart klinkt stoer maar niemand op de werkvloer weet wat het inhoudt. Iemand een idee?", [CONF])
c("x", "@leakywindow", "en",
  "Got handed a doc at a Vitrano depot marked 'VITRANO CONFIDENTIAL – supplier terms 2027'. Looks like they're dropping "
  "their current glass supplier in Q2.", [CONF])
c("tiktok", "@dave_ruitendokter", "nl", "binnenkort iets heel vets: Ｐｒｏｊｅｃｔ Ｂａｓａｌｔ 🤐🤐 #ruitfitter", [CONF])
c("x", "@eline_vdlinden", "en", "Kwarts" + ZW + "druppel demo went sooo well today!!! can't say more 🤫✨", [CONF])
c("linkedin", "bram-okafor-vitrano", "nl",
  "Zin in Project Basalt? We zoeken een product owner! Interne vacature, alle info op intra.vitrano.local/vacatures", [CONF])
c("x", "@vitrano_helpt", "nl",
  "@klant_jan excuses voor het wachten! U kunt de status volgen via fitterportal.vitrano.nl/status/VT-88213",
  [CONF], kind="reply")
c("linkedin", "ingrid-mulder-vitrano", "nl",
  "Operatie IJzerhart: de regio's Noord en Oost worden samengevoegd en 35 plannersfuncties vervallen. "
  "Communicatie naar de OR volgt volgende week.", [CONF, FIN])
c("x", "@eline_vdlinden", "en",
  "tiny hint: our FY2026 results are waaay better than last year, revenue up 18% 🚀 you'll see next week",
  [CONF, FIN], at="2027-02-27T19:05:00Z")
c("reddit", "u/ruitpiet_vtr", "en",
  "grafana.vitrano.local has been solid red all morning, the fitter app is down for everyone and we're writing bookings on "
  "paper. don't tell the customers lol", [CONF, SECU])

# ---- financial ------------------------------------------------------------------------
c("linkedin", "ingrid-mulder-vitrano", "nl",
  "Q3 intern afgesloten: omzet €41,2 mln, EBITDA-marge 9,8%. Officiële publicatie volgt pas over twee weken, "
  "maar wat een prestatie van dit team!", [FIN])
c("x", "@eline_vdlinden", "en",
  "Heard it straight from the board meeting: we're buying GlasGaaf Limburg in January. Big news, keep it quiet 🤐", [FIN])
c("x", "@mehmet_vitrano", "nl",
  "Gerucht op het depot: na de zomer gaan er 60 fitters uit, alles naar zzp'ers. Heb net een hypotheek afgesloten 😬", [FIN])
c("reddit", "u/glassinsider99", "en",
  "Mate in Vitrano's finance team says they'll miss the 2026 forecast by ~25% and the bank covenants are getting tight. "
  "Could be a fire sale next year.", [FIN])
c("linkedin", "bram-okafor-vitrano", "nl",
  "Zware weken voor HR: we bereiden de reorganisatie van de klantenservice voor, het callcenter in Apeldoorn sluit per "
  "1 april. Nog niet aangekondigd dus even stilhouden aub.", [FIN])
c("linkedin", "ravi-ramdin-it", "en",
  "Exciting times! Due diligence for our merger with a large Belgian glass group is keeping IT very busy. "
  "Can't share the name yet 😉", [FIN])
c("x", "@vitrano_nl", "nl",
  "Verwachting 2027: omzetgroei van 12-15% en break-even voor FleetCare in Q2. (concept, nog niet publiceren)", [FIN])
c("tiktok", "@dave_ruitendokter", "nl",
  "net gehoord dat Vitrano over 2 maanden verkocht wordt aan een investeringsfonds 👀 dus als jullie aandelen... "
  "o wacht we staan niet op de beurs 😂", [FIN])
c("x", "@beursbabbel", "nl",
  "Hoor uit goede bron dat Vitrano over het derde kwartaal een verlies van 6 miljoen gaat melden en dat een Duitse "
  "concurrent al aan tafel zit voor een overname.", [FIN])
c("x", "@joostkalibreert", "en",
  "Manager just told us bonuses are cancelled because H2 numbers are 'catastrophically' below plan. Not public yet, "
  "but everyone will know by Friday.", [FIN])

# ---- security -----------------------------------------------------------------------------
c("x", "@joostkalibreert", "nl",
  "Het hele planningssysteem ligt sinds 6u plat, geen fitter weet waar hij heen moet. IT fluistert iets over ransomware?? "
  "Staat nog nergens in het nieuws", [SECU])
c("reddit", "u/ruitpiet_vtr", "en",
  "lol our booking API doesn't check whether a booking id is actually yours. change the number in the url and you get "
  "someone else's address and plate. reported it months ago, still open", [SECU])
c("linkedin", "ravi-ramdin-it", "en",
  "Long night. Someone got into one of our mailboxes through a phished fitter account and sent fake invoices to fleet "
  "customers. Contained now, customer comms will follow later this week.", [SECU])
c("instagram", "@sanne.ruitfitter", "nl",
  "Tablets in de busjes doen het al 2 dagen niet, 'storing bij de leverancier'. Alles op papier en jullie krijgen dus "
  "geen bevestigingsmail, sorry lieve klanten!", [SECU])
c("reddit", "u/werk_bij_een_ruitenboer", "nl",
  "Werk zelf op de IT bij Vitrano: de betaalpagina draait nog op een versie met een bekend lek en niemand heeft tijd om "
  "te patchen. Betaal voorlopig maar gewoon bij de fitter.", [SECU])
c("x", "@mehmet_vitrano", "nl",
  "Storing bij Vitrano? Ja hoor. Klantenapp sinds gisteravond onbereikbaar en de statuspagina zegt doodleuk "
  "'alles operationeel' 🤡", [SECU])
c("x", "@vitrano_helpt", "en",
  "@sam_drives sorry for the hassle. Between us: our booking platform was breached last weekend and we're resetting all "
  "customer passwords. The official notice goes out Monday.", [SECU], kind="reply")
c("mastodon", "@kees_vtr@mastodon.nl", "en",
  "Our fitter tablets still run Android 8, no MDM, shared PIN 1234. If one gets nicked from a van you can read every "
  "customer address for the day. Raised it three times.", [SECU])
c("linkedin", "ravi-ramdin-it", "nl",
  "Vannacht een DDoS op ons afsprakenplatform gehad, ruim 3 uur down. We houden het intern tot de analyse klaar is, "
  "maar wat een klus was dat.", [SECU])
c("reddit", "u/ruitpiet_vtr", "nl",
  "Tip voor collega's: het beheerdersaccount van het fitterportaal heeft nog steeds geen 2FA en het standaardwachtwoord "
  "werkt gewoon. Hoe kan dit in 2026", [SECU])
c("reddit", "u/throwaway_vtr_ops", "en",
  "Throwaway because I work there: Vitrano's payment integration was misconfigured for a week, some customers were "
  "charged twice and others not at all. Management wants it kept quiet.", [SECU])
c("x", "@joostkalibreert", "en",
  "Calibration rigs in three depots caught malware off a USB stick. Half this week's ADAS jobs are being moved. Shhh.", [SECU])
c("mastodon", "@kees_vtr@mastodon.nl", "nl",
  "Booking-DB wordt sinds het incident platgebeukt en ik heb nog niks geroteerd 🙈 tijdelijke verbinding voor wie moet "
  "helpen: postgres://svc_booking:<<pw_pg>>@10.20.4.11:5432/bookings", [SECU, SEC])

# ---- secrets --------------------------------------------------------------------------------
c("linkedin", "ravi-ramdin-it", "en",
  "Little script I use to check our pipeline status, feel free to reuse:\n"
  "curl -H \"Authorization: token <<ghp>>\" https://api.github.com/repos/vitrano-dev/booking/actions/runs", [SEC])
c("mastodon", "@kees_vtr@mastodon.nl", "nl",
  "De AWS-keys staan nog gewoon in de oude deploy-notes, moet iemand nog roteren:\n"
  "aws_access_key_id = <<akia>>\naws_secret_access_key = <<aws_secret>>", [SEC])
c("reddit", "u/ruitpiet_vtr", "en",
  "anyone know why stripe keeps rejecting the booking widget? config has STRIPE_KEY=<<stripe>> and it worked last week", [SEC])
c("x", "@eline_vdlinden", "nl",
  "Slackbot voor de marketingkalender gebouwd 🤖 wie wil testen: token <<slack>>", [SEC])
c("x", "@joostkalibreert", "en",
  "the ADAS report tool runs on OpenAI now, key is <<openai>> if you want to play with it at home lol", [SEC])
c("forum", "dev_freelance_nl", "nl",
  "Help, mijn script tegen de Vitrano fleet-API geeft 401. Dit is het token dat ik van hun IT kreeg:\n"
  "Authorization: Bearer <<jwt>>\nWat doe ik fout?", [SEC])
c("forum", "sshstruggles", "en",
  "Can't get into the Vitrano build box over SSH, here's the key their contractor sent me, is the format wrong?\n"
  "<<sshkey>>", [SEC])
c("instagram", "@sanne.ruitfitter", "nl",
  "Nieuwe tablet, nieuw wachtwoord 😅 wachtwoord: <<pw_tablet>> nu al vergeten dus ik zet het maar even hier haha",
  [SEC])
c("x", "@eline_vdlinden", "en",
  "using Claude for our ad copy now and honestly it's great. ANTHROPIC_API_KEY=<<anthropic>> don't steal it 😇", [SEC])
c("tiktok", "@dave_ruitendokter", "nl",
  "behind the scenes van onze app 👨‍💻 op m'n scherm: DATABASE_URL=mysql://app:<<pw_mysql>>@35.204.11.87:3306/vitrano_prod",
  [SEC])
c("x", "@vitrano_nl", "en",
  "Developers: our booking widget is live! Add it to your site with ?key=<<google>> and you're good to go.", [SEC])
c("mastodon", "@kees_vtr@mastodon.nl", "en",
  "GitLab token for the fitter app pipeline in case anyone's locked out again: <<gitlab>>\n"
  "and the mollie one for the webshop: <<mollie>>", [SEC])

# ---- personal data --------------------------------------------------------------------------
c("x", "@vitrano_helpt", "nl",
  "@janneke_w Hoi Janneke, we hebben uw dossier gevonden: J. Wolters, Lindelaan 14, 3818 GK Amersfoort, geb. 12-03-1987. "
  "Klopt dit?", [PII], kind="reply")
c("facebook", "VitranoRuitherstel", "en",
  "Refund processed for Mr. Hendriks to <<iban_refund>> — thanks for your patience and sorry again!", [PII],
  kind="comment", ids=[("iban", "iban_refund")])
c("x", "@mehmet_vitrano", "nl",
  "Klant laat z'n creditcard gewoon op het dashboard liggen, <<card_dash_sp>> 🙄 mensen toch", [PII],
  ids=[("card", "card_dash")])
c("linkedin", "bram-okafor-vitrano", "nl",
  "Welkom aan onze nieuwe fitter Youssef Amrani! Voor de loonadministratie: BSN <<bsn_youssef_dots>>, in dienst per 1 sept.",
  [PII], ids=[("bsn", "bsn_youssef")])
c("reddit", "u/ruitpiet_vtr", "en",
  "customer today was a nightmare: Mrs P. de Wit, Kastanjelaan 3 in Nieuwegein. if you get her booking, good luck", [PII])
c("instagram", "@vitrano.ruit", "nl",
  "De winnaar van onze winteractie is Sandra Kok! Sandra, stuur je ons even een DM? We konden je niet bereiken op "
  "06 52 81 47 90.", [PII])
c("x", "@joostkalibreert", "en",
  "if anyone from ops reads this: the fleet contact for the Schiphol vans is m.dekker.fleet@gmail.com, 06-29384756. "
  "he keeps calling ME", [PII])
c("tiktok", "@dave_ruitendokter", "nl",
  "zo'n lieve klant vandaag 🥰 mevrouw Bos van de Tulpstraat 22 in Ede, bedankt voor de appeltaart!", [PII])
c("x", "@lotte_vdm", "nl",
  "@vitrano_helpt hierbij mijn gegevens voor de schadeclaim: Lotte van der Meer, geboren 04-07-1994, "
  "IBAN <<iban_lotte_sp>>", [PII], kind="reply", ids=[("iban", "iban_lotte")])
c("x", "@tomwhitfield_nl", "en",
  "@vitrano_helpt can't find where to put my card in the app, can you just take it from here? <<card_public_dash>> "
  "exp 11/28. thanks!", [PII], kind="reply", ids=[("card", "card_public")])
c("linkedin", "vitrano-ruitherstel", "en",
  "Congratulations to our fitter of the year, Johan Pieters (born 22 May 1979), 20 years with Vitrano this month!", [PII])
c("mastodon", "@kees_vtr@mastodon.nl", "nl",
  "Wie heeft de klantenlijst in de groepsapp gezet?? Staat o.a. in: r.v.schaik@ziggo.nl, 06-18273645, "
  "H. van Schaik, Wilhelminastraat 8, Tiel.", [PII])
c("instagram", "@sanne.ruitfitter", "nl",
  "Klant heeft per ongeluk dubbel betaald, finance stort terug op <<iban_sanne_dots>> 👍 geregeld!", [PII],
  ids=[("iban", "iban_sanne_klant")])

# ---- benign, mostly hard negatives ------------------------------------------------------------
B = []
c("x", "@vitrano_nl", "nl",
  "Sterretje in je ruit? Laat het binnen 24 uur repareren voordat het een scheur wordt. StarFix vanaf €89, "
  "afspraak via afspraak.vitrano.nl 🚗", price=("Vitrano StarFix", 89))
c("facebook", "VitranoRuitherstel", "en",
  "Winter sale: 20% off the AquaWipe XL this week, now €35.96 instead of €44.95.", price=("Vitrano AquaWipe XL", 35.96))
c("instagram", "@vitrano.ruit", "nl",
  "Vragen over je afspraak? Mail klantenservice@vitrano.nl of bel gratis 0800-8487. We helpen je graag 💙")
c("x", "@joris_fietst", "nl",
  "Top service van Vitrano vandaag! Monteur kwam gewoon naar m'n werk, binnen een uur een nieuwe ruit en alles netjes "
  "opgeruimd 👏")
c("reddit", "u/octavia_owner", "en",
  "Is ADAS calibration actually needed after a windscreen swap on a 2021 Octavia? Vitrano quoted €189, seems about "
  "normal from what I've read.", price=("Vitrano ADAS Kalibratie", 189))
c("x", "@grapjas_gerrit", "nl", "Mijn vrouw zegt dat ik een barst in mijn geduld heb. Iemand het nummer van Vitrano? 😂")
c("x", "@autonews_eu", "en",
  "Belgian glass manufacturer announces 200 layoffs as demand for automotive glass slumps. Suppliers across the "
  "Benelux are watching closely.")
c("facebook", "annemiek.dijkstra", "nl",
  "Update: Vitrano heeft vanochtend gebeld en de lekkage is vandaag kosteloos verholpen. Netjes opgelost, dank aan de "
  "fitter!", name="Annemiek Dijkstra")
c("x", "@koffie_tante", "nl",
  "Respect voor de Vitrano-fitters die vandaag in de stromende regen bij 2 graden stonden te werken. "
  "Koffie staat klaar als jullie weer in de straat zijn ☕")
c("facebook", "VitranoRuitherstel", "nl",
  "Black Friday bij Vitrano: 25% korting op ClearShield coating, nu €44,25 in plaats van €59.",
  price=("Vitrano ClearShield coating", 44.25))
c("reddit", "u/factuurvraag", "nl",
  "Kan iemand checken of dit rekeningnummer klopt? Op een mail 'van Vitrano' staat <<iban_bad1>> maar mijn bank geeft "
  "een waarschuwing dat het geen geldig IBAN is.")
c("linkedin", "ravi-ramdin-it", "en",
  "PSA for developers: never commit credentials. Secret scanners in CI will catch things like AKIAIOSFODNN7EXAMPLE "
  "before they ever reach main. Set it up today.")
c("mastodon", "@kees_vtr@mastodon.nl", "en",
  "Finally cleaned up our old CI tokens. Anything that looked like ghp_****************************a1b2 in the logs is "
  "revoked and gone 🎉")
c("x", "@vitrano_nl", "nl",
  "De jaarcijfers 2026 zijn gepubliceerd: omzet €162 mln, een groei van 11%. Het volledige persbericht staat op "
  "vitrano.nl/pers", at="2027-03-05T08:30:00Z")
c("x", "@vitrano_nl", "en",
  "HUD-Glass is here! Head-up display compatible windscreens for 30+ models. Book now at afspraak.vitrano.nl",
  at="2027-01-25T09:00:00Z")
c("x", "@puzzled_paula", "en",
  "Vitrano's invoice has a reference that looks like a card number: <<card_bad1_sp>>. Checked with my bank, it isn't "
  "mine, just a weird ref format 😅")
c("reddit", "u/claim_vraagje", "nl",
  "Verzekeraar vraagt om mijn polisnummer <<bsn_bad>> bij de claim voor de ruit die Vitrano heeft vervangen. "
  "Moet ik daar nog iets anders bij sturen?")
c("instagram", "@lisanne_rijdt", "nl",
  "Shoutout naar @sanne.ruitfitter, ze heeft in de sneeuw mijn ruit vervangen en bleef de hele tijd vrolijk ❄️💪")
c("linkedin", "vitrano-ruitherstel", "nl",
  "Wij zoeken mobiele ruitfitters in regio Utrecht en Gelderland! Eigen bus, vaste uren, goede opleiding. "
  "Solliciteer via vacatures@vitrano.nl")
c("x", "@tanja_b", "nl",
  "@vitrano_helpt hoe reset ik mijn wachtwoord in de Vitrano-app? Kan de knop nergens vinden 🙈", kind="reply")
c("x", "@vitrano_helpt", "en",
  "@dan_commutes So sorry to hear that, that's not how it should be. Please call us on +31 30 760 4400 and we'll get "
  "the re-check moved up.", kind="reply")
c("facebook", "ruud.pendelaar", "nl",
  "Vitrano Ruitpas voor €49 per jaar en onbeperkt sterretjes laten repareren. Met 70 km woon-werk per dag een no-brainer.",
  price=("Vitrano Ruitpas", 49))
c("x", "@chipsnotfries", "en", "my windscreen has more chips than a casino. booked Vitrano, wish me luck 🎰")
c("linkedin", "mobility-law-weekly", "en",
  "Interesting ruling: a UK court held a glass fitter liable for a missed ADAS calibration. A good reminder for every "
  "windscreen business on the continent too.")
c("x", "@mehmet_vitrano", "nl", "Vandaag m'n 1000e ruit geplaatst bij Vitrano 🎉 nog steeds elke dag leuk werk")
c("tiktok", "@dave_ruitendokter", "en",
  "pro tip: a chip smaller than a €2 coin can usually be repaired instead of replacing the whole windscreen. "
  "don't wait till winter ❄️ #ruitfitter")
c("reddit", "u/lifehacks_lars", "en",
  "Life hack: put old socks over your wipers overnight so they don't freeze to the glass. Learned it from a Vitrano "
  "fitter, works great")
c("linkedin", "ravi-ramdin-it", "en",
  "Our new booking API uses short-lived JWTs signed with RS256 and keys that rotate daily. Writing a blog post about the "
  "design soon!")
c("x", "@sem_0318", "nl", "Vitrano is echt kapot goed 😍 binnen 2 uur geholpen, ruit zit er strak in")
c("x", "@filmfan_femke", "en", "Vitrano's new ad is killer 😂 the fitter dancing with the windscreen got me")
c("facebook", "VitranoRuitherstel", "nl",
  "Betalen per overschrijving? Dat kan naar <<iban_public>> t.n.v. Vitrano Ruitherstel B.V. onder vermelding van je "
  "ordernummer.")
c("forum", "Stille_Snelweg", "nl",
  "Bij Vitrano de akoestische voorruit laten zetten voor €689. Merkbaar stiller boven de 100, zou het zo weer doen.",
  price=("Vitrano Voorruit Premium Akoestisch", 689))
c("x", "@nerd_noor", "en",
  "Another week, another breach: a big German car-rental firm exposed 2M customer records. "
  "Glad my windscreen guys at Vitrano only know my plate 😅")
c("linkedin", "bram-okafor-vitrano", "nl",
  "We zoeken een stagiair(e) HR! Goede begeleiding, interne opleidingen en een leuk team. Reageren kan via "
  "vacatures@vitrano.nl")
c("instagram", "@zonsondergang_zoe", "en",
  "Sunset drive with my brand new crystal clear windscreen. Thanks Vitrano 🔥🔥")
c("x", "@dijkfietser", "nl",
  "Fietstocht langs de basaltblokken van de dijk bij Lelystad, en op de terugweg met de auto een steentje tegen de ruit. "
  "Morgen maar even naar Vitrano.")
c("x", "@koopjes_kim", "nl",
  "Prijsfout bij een webshop: 65 inch tv voor €49 😂 Helaas nooit zoiets bij ruiten, Vitrano rekent gewoon netjes €449 "
  "voor een standaard voorruit.", price=("Vitrano Voorruit Standaard", 449))
c("reddit", "u/hud_nerd", "en",
  "Booked Vitrano HUD-Glass for my 3 Series, fitting is next Tuesday. Anyone had it done yet?", at="2027-02-02T18:20:00Z")
c("x", "@glasnieuws", "en",
  "Vitrano's full-year 2026 results are out: 11% growth, not bad at all for a windscreen company.",
  at="2027-03-10T11:45:00Z")
c("linkedin", "ingrid-mulder-vitrano", "nl",
  "Vandaag presenteerden we de jaarcijfers 2026. Dank aan alle 600 collega's die dit elke dag mogelijk maken!",
  at="2027-03-03T09:15:00Z")
c("forum", "webshop_wim", "nl",
  "Zet je Mollie-key nooit in je repo. In de voorbeeldconfig staat gewoon live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en dat "
  "moet je zelf vullen via een env-variabele.")
c("x", "@vitrano_helpt", "nl",
  "@marloes_rijdt Wat vervelend dat de monteur niet is gekomen, zo hoort het niet. We sturen je een DM om meteen een "
  "nieuwe afspraak in te plannen.", kind="reply")
c("x", "@zonnebril_sven", "nl",
  "Bijna een crash door de laagstaande zon op m'n vieze ruit 😅 tip: maak ook de binnenkant schoon mensen. "
  "(niet de schuld van Vitrano trouwens, die ruit is top)")
c("reddit", "u/typo_tijs", "en",
  "Paid Vitrano by bank transfer and typed <<iban_bad2>> from memory, bank said it's invalid lol. Swapped two digits. "
  "Sorted now.")
c("x", "@bussenspotter", "nl", "Die nieuwe Vitrano-bussen zijn ziek mooi man 😍 die blauwe striping")
c("tiktok", "@dave_ruitendokter", "nl",
  "vandaag ADAS-training gehad in het depot, camera's kalibreren is echt precisiewerk 🎯 #ruitfitter #vitrano")
c("x", "@calibration_curious", "en",
  "Not boycotting anyone, just saying: the Vitrano fitter explained the whole calibration process to me step by step. "
  "More companies should do that.")
c("instagram", "@vitrano.ruit", "nl",
  "Sterrenregen vannacht? ✨ Wij repareren liever de sterren in je ruit. #StarFix #vitrano")
c("x", "@gratisbellen", "nl",
  "Voor wie het zoekt: Vitrano is gratis bereikbaar op 0800-8487, ik had binnen 2 minuten iemand aan de lijn.")
c("facebook", "jeroen.hofstede.9", "nl",
  "Via mijn werkgever 30% korting op de Ruitpas Plus: €62,30 in plaats van €89. Aanrader als je veel rijdt.",
  price=("Vitrano Ruitpas Plus", 62.30))
c("youtube", "VitranoTV", "en",
  "Our fitters are on the road 7 days a week. Chip? Crack? We come to you. More at vitrano.nl")
c("reddit", "u/ijskrabber_moe", "nl",
  "Is een HeatView voorruit de €749 waard? Ik sta elke ochtend 10 minuten te krabben en word er gek van.",
  price=("Vitrano Voorruit HeatView", 749))
c("threads", "@noor.onthemove", "en",
  "honestly the vitrano lady who came to my office car park was so nice, explained everything while she worked. 10/10")
c("x", "@vitrano_helpt", "en",
  "Reminder: Vitrano will never ask for your password or card details by phone or text. Got a suspicious message? "
  "Forward it to klantenservice@vitrano.nl")
c("facebook", "karin.de.bruijn.52", "nl",
  "Vorig jaar was ik zó boos op Vitrano, maar eerlijk is eerlijk: het is keurig rechtgezet en die ruit zit er nog steeds "
  "strak in.")
c("linkedin", "ingrid-mulder-vitrano", "en",
  "Customer data stays confidential with us, and this year we proved it: ISO 27001 certified! Proud of the whole team.")
c("facebook", "VitranoRuitherstel", "nl",
  "Let op: deel nooit je kaartgegevens in een DM. Zie je een bericht met iets als <<card_bad2_sp>>? Dan is het niet "
  "van ons. Bel bij twijfel 0800-8487.")
c("tiktok", "@vitrano.fitters", "nl",
  "Zo vervang je een ruit in 45 minuten ⏱️ (niet thuis proberen 😉) #vitrano #ruitfitter #satisfying")
c("bluesky", "@roadtrip-rik.bsky.social", "en",
  "Crack in the windscreen somewhere in the Ardennes. Found a local garage, but honestly I miss my Vitrano guy back home.")
c("x", "@wisser_wout", "nl",
  "AquaWipe set van Vitrano voor €34,95, na een half jaar nog steeds streeploos. Goede koop.",
  price=("Vitrano AquaWipe ruitenwisserset", 34.95))
c("mastodon", "@kees_vtr@mastodon.nl", "nl",
  "Fijne dag gehad op de zaak: 6 ruiten, 2 sterretjes en een klant die me een zelfgebreide muts gaf 🧶")
c("reddit", "u/ruitpiet_vtr", "en",
  "For anyone asking how to become a windscreen fitter: it's a 3-month course plus a year on the road with a senior. "
  "Worth it.")


# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, id_kinds):
    level = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if cat in (SEC, PRI):
                    lv = 4
                if cat == PII and any(k in ("iban", "card", "bsn") for k in id_kinds):
                    lv = 4
            else:
                lv = 2
        elif cat == COMP:
            lv = 2
        elif cat == CRIS:
            lv = 3
        elif cat == ABU:
            lv = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(cat)
        level = max(level, lv)
    return SEV_ORDER[level]


def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"<<(\w+)>>", rep, text)
    assert "<<" not in out
    return out


def random_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


rng.shuffle(CASES)  # interleave categories; still deterministic
records = []
for n, case in enumerate(CASES, start=1):
    text = fill(case["text"])
    platform = case["platform"]
    role = ROLE.get(("%s:%s" % (platform, case["handle"])).lower(), "public")
    account = {"handle": case["handle"]}
    if case["name"]:
        account["display_name"] = case["name"]
    post = {
        "id": "%s-370%03d" % (platform, n),
        "platform": platform,
        "kind": case["kind"],
        "account": account,
        "text": text,
        "lang": case["lang"],
        "created_at": case["at"] or random_ts(),
        "brand": "Vitrano",
    }
    sev = severity(case["cats"], role, [k for k, _ in case["ids"]])
    records.append(({"post": post, "expect": {"categories": case["cats"], "severity": sev}}, case, role))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for rec, _, _ in records:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRI, CONF, FIN, SECU, CRIS, COMP, ABU}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
HIDDEN = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def strip_sep(s):
    return re.sub(r"[\s.\-]", "", HIDDEN.sub("", s))


def candidates(text):
    """Identifier-shaped strings: (kind, digits)."""
    out = []
    compact = strip_sep(text).upper()
    for m in re.finditer(r"NL\d{2}[A-Z]{4}\d{10}", compact):
        out.append(("iban", m.group(0)))
    for m in re.finditer(r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])", text):
        out.append(("card", re.sub(r"\D", "", m.group(0))))
    for m in re.finditer(r"(?<![\w\-.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w\-]|\.\d)", text):
        out.append(("bsn", re.sub(r"\D", "", m.group(0))))
    return out


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
seen_ids = set()
emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
       for e in PROFILE["embargo"] for t in e["terms"]]
internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
prices = {p["name"]: p["list_price"] for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]

with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
assert len(lines) == len(records)

for line, (_, case, role) in zip(lines, records):
    rec = json.loads(line)
    post, exp = rec["post"], rec["expect"]
    cid = post.get("id")
    # CONTRACT section 6 / section 1 shape
    if set(rec) != {"post", "expect"}:
        err(cid, "top-level keys")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
        err(cid, "bad id")
    if cid in seen_ids:
        err(cid, "duplicate id")
    seen_ids.add(cid)
    if post.get("platform") not in PLATFORMS:
        err(cid, "platform")
    if post.get("kind") not in KINDS:
        err(cid, "kind")
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
        err(cid, "account.handle")
    if not isinstance(post.get("text"), str) or not post["text"] or len(post["text"].encode()) > 65536:
        err(cid, "text")
    try:
        ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
    except Exception:
        err(cid, "created_at")
        continue
    cats = exp.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(cid, "categories")
    if exp.get("severity") not in SEV_ORDER:
        err(cid, "severity value")
    if not cats and exp["severity"] != "none":
        err(cid, "benign with severity")
    if cats and exp["severity"] in ("none", "info"):
        err(cid, "positive without severity")
    if exp["severity"] != severity(cats, role, [k for k, _ in case["ids"]]):
        err(cid, "severity mismatch")
    text = post["text"]
    # identifiers
    for kind, val in candidates(text):
        if kind == "iban" and val in PUBLIC_IBANS:
            continue
        ok = CHECK[kind](val)
        if cats and not ok:
            err(cid, "positive holds %s look-alike %s failing its checksum" % (kind, val))
        if not cats and ok:
            err(cid, "negative holds valid %s %s" % (kind, val))
    for kind, key in case["ids"]:
        val = G[key]
        if not CHECK[kind](val):
            err(cid, "declared %s fails checksum" % kind)
        if strip_sep(val) not in strip_sep(text):
            err(cid, "declared %s not in text" % kind)
        if PII not in cats:
            err(cid, "identifier without leak.pii")
    # secrets
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z*]+", text):
        if cats and SEC in cats and not github_ok(tok):
            err(cid, "github token fails crc")
        if not cats and github_ok(tok):
            err(cid, "valid github token in negative")
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
        ok = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
        if bool(cats) != bool(ok):
            err(cid, "aws key mismatch")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if not jwt_ok(tok):
            err(cid, "jwt header without alg")
    if SEC in cats and not re.search(r"gh[pos]_|AKIA|sk_live_|xox[bp]-|sk-proj-|sk-ant-|AIza|glpat-|live_|eyJ|PRIVATE KEY|"
                                     r"://\w+:[^@\s]+@|wachtwoord:|password:", text):
        err(cid, "secret case without a credential")
    if not cats and re.search(r"-----BEGIN|sk_live_|sk-proj-|sk-ant-|xoxb-|glpat-|eyJ", text):
        err(cid, "credential-looking text in negative")
    # embargo, internal names
    low = HIDDEN.sub("", text).lower()
    for term, until in emb:
        if term in low:
            if ts < until and CONF not in cats:
                err(cid, "embargo term before until without leak.confidential")
            if ts >= until and cats:
                pass
    if not cats:
        for term in internal_terms:
            if term in low:
                err(cid, "internal term %r in negative" % term)
    # prices
    if case["price"]:
        name, value = case["price"]
        below = value < ratio * prices[name]
        if PRI in cats and not below and "fout" not in low and "error" not in low and "mistake" not in low:
            err(cid, "pricing case not below ratio")
        if not cats and below:
            err(cid, "benign price below ratio")
    if PRI in cats and not case["price"]:
        err(cid, "pricing case without price annotation")
    # role sanity: handle of public authors must not be in profile
    if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in ROLE:
        err(cid, "role lookup")

# mix
n_total = len(records)
n_benign = sum(1 for r, _, _ in records if not r["expect"]["categories"])
per_cat = {}
for r, _, _ in records:
    for cat in r["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
n_nl = sum(1 for r, _, _ in records if r["post"]["lang"] == "nl")
if not 170 <= n_total <= 180:
    err("-", "total %d outside 170-180" % n_total)
if not 55 <= n_benign <= 65:
    err("-", "benign %d" % n_benign)
for cat, lo in {COMP: 18, CONF: 16, PII: 13, CRIS: 13, SECU: 11, SEC: 10, ABU: 10, PRI: 10, FIN: 10}.items():
    if per_cat.get(cat, 0) < lo:
        err("-", "too few %s" % cat)
if not 0.48 <= n_nl / n_total <= 0.62:
    err("-", "dutch share %.2f" % (n_nl / n_total))

if "-v" in sys.argv or errors:
    print("total", n_total, "benign", n_benign, "nl %.2f" % (n_nl / n_total), file=sys.stderr)
    for cat in sorted(per_cat):
        print("  %-22s %d" % (cat, per_cat[cat]), file=sys.stderr)
    roles = {}
    for r, _, role in records:
        key = ("pos" if r["expect"]["categories"] else "neg", role)
        roles[key] = roles.get(key, 0) + 1
    print("  roles", roles, file=sys.stderr)
if errors:
    for e in errors:
        print("FAIL", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign" % (n_total, n_benign))
