#!/usr/bin/env python3
"""Build the labelled evaluation set sealed361 (drone surveying company "Skyvaart").

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it: CONTRACT section 6 shape, checksums of identifiers, severities
derived from the account role in profile.yaml (CONTRACT section 4).
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
rng = random.Random(361_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = ALNUM


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n, width=6):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF) == crc


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "u-" + rand(string.digits, 6), "role": "admin",
                              "iss": "portal.skyvaart.nl", "iat": 1781000000,
                              "exp": 1781003600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 96)


def slack_bot():
    return f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"


def openai_key():
    ch = ALNUM + "-_"
    return "sk-proj-" + rand(ch, 74) + "T3BlbkFJ" + rand(ch, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"


def google_key():
    return "AIza" + rand(ALNUM + "-_", 35)


def gitlab_pat():
    return "glpat-" + rand(ALNUM + "-_", 20)


def password():
    return rand(string.ascii_letters, 3) + rand(string.digits, 2) + rng.choice("!#$%&*") + \
        rand(string.ascii_letters + string.digits, 5) + rng.choice("!#?@")


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
           b"\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " +
           bytes(rng.randrange(256) for _ in range(300)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    bban = bank + rand(string.digits, 10)
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return f"NL{98 - n % 97:02d}{bban}"


def bad_iban():
    good = make_iban()
    cd = int(good[2:4])
    bad = good[:2] + f"{(cd + rng.randint(1, 9)) % 100:02d}" + good[4:]
    assert not iban_check(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix="4"):
    body = prefix + rand(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def bad_card(prefix="4"):
    good = make_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = [int(c) for c in s]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_ok(s)
            return s


def bad_nine():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not bsn_ok(s):
            return s


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- values used in posts
IBAN_COMPANY = PROFILE["public_identifiers"]["ibans"][0]
I1, I2, I3, I4 = make_iban(), make_iban(), make_iban(), make_iban()
IB1, IB2 = bad_iban(), bad_iban()
CARD1, CARD2 = make_card("4"), make_card("51")
CARDB1 = bad_card("4")
BSN1 = make_bsn()
N9A, N9B, N9C = bad_nine(), bad_nine(), bad_nine()
GHP, GHO = github_token("ghp_"), github_token("gho_")
AK_ID, AK_SEC = aws_key_id(), aws_secret()
JWT1 = jwt()
STRIPE = stripe_live()
SLACK = slack_bot()
OPENAI = openai_key()
ANTH = anthropic_key()
GKEY = google_key()
PW1, PW2, PW3 = password(), password(), password()
DBURL = f"postgres://orders_rw:{PW2}@10.20.4.15:5432/kaartstudio_orders"
SSHKEY = openssh_key()
GLPAT = gitlab_pat()

# ---------------------------------------------------------------- cases
CASES = []

PRICE_RE = None  # see check_prices()


def add(platform, handle, lang, text, cats=(), kind="post", when=None, secrets=(),
        price=None, sale=None):
    """price=(alias, amount) on a pricing leak; sale=(alias, amount) on a benign price."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, secrets=list(secrets),
                      price=price, sale=sale))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PRC, CON, PII = "leak.pricing", "leak.confidential", "leak.pii"
FIN, SEC, SCR = "leak.financial", "leak.security", "leak.secret"

# ---- complaints (public customers)
add("x", "@boerjan_drenthe", "nl", "@skyvaart_help al 3 weken wachten op de orthofoto van ons perceel. Betaald op 2 mei, nog steeds niks. Wat is dit voor service?? 😤", [CPL], kind="reply")
add("reddit", "lidarlou", "en", "PSA for anyone eyeing the Skyvaart Sperwer 2: RTK fix drops every single time you fly within ~200m of a high voltage line, and support keeps telling me to \"recalibrate the compass\". Third ticket, same copy-paste answer. Not impressed.", [CPL])
add("facebook", "Ilse Vastgoedfoto", "nl", "Dakinspectie laten doen via Skyvaart. Piloot kwam een uur te laat, vloog 10 minuutjes rond en de helft van de foto's is wazig. De factuur was er wel binnen een dag natuurlijk...", [CPL])
add("x", "@maptheworld", "en", "KaartStudio crashed mid-export for the 4th time this week. 1200 images, 3 hrs of processing, gone. @skyvaart fix your software pls", [CPL])
add("instagram", "@fotografie_anouk", "nl", "Mijn PowerCell 4 accu's houden na 40 laadcycli nog maar 60% vast. Garantie? Nee hoor, 'gebruikersfout' volgens Skyvaart. Echt niet oké #skyvaart #teleurgesteld", [CPL], kind="comment")
add("x", "@agri_tom_uk", "en", "ordered the Spectra 5 multispectral cam in Feb, ship date moved 3 times now. latest is \"Q3\". just refund me then @skyvaart_help", [CPL])
add("x", "@dakdekker_bas", "nl", "wolksync wéér plat en ik sta hier op een dak met de klant naast me die de beelden wil zien. top geregeld skyvaart 🙄", [CPL])
add("forum", "hobbyvlieger77", "nl", "Iemand ervaring met de klantenservice van Skyvaart? Ik heb m'n GroundLink controller opgestuurd voor reparatie, nu 7 weken verder en ze kunnen hem 'niet vinden in het systeem'. Geen leenexemplaar, geen excuses, niks.", [CPL])
add("linkedin", "jonas-mertens-survey", "en", "Honest feedback for Skyvaart: the A2 pilot training was mostly a guy reading slides out loud. €695 for that is steep, and exam prep was basically zero. Expected a lot more.", [CPL])
add("youtube", "@dronedad_mike", "en", "bought the Mus mini after this video. gimbal shakes like crazy on every clip, looks nothing like your footage. return window is 14 days and your returns portal just throws an error. cool cool cool", [CPL], kind="comment")
add("tiktok", "@saar.films", "nl", "mijn havik 4 verliest steeds verbinding op 300m terwijl er 8km op de doos staat?? zo irritant skyvaart doe er wat aan", [CPL], kind="comment")
add("x", "@surveyor_priya", "en", "Data from the Skyvaart LiDAR L3 came back with a 12cm vertical offset across the whole site. Entire deliverable redone at our cost. Support says it 'works as intended'. It does not.", [CPL])
add("reddit", "klusjesman_rob", "nl", "LaadHub 8 opgehaald bij Skyvaart, 2 van de 8 sloten laden gewoon niet. Nieuw uit de doos. Ruilen kan alleen via opsturen = 3 weken wachten. Lekker midden in het seizoen.", [CPL])
# complaint + abuse
add("x", "@woedende_wim", "nl", "skyvaart stelletje prutsers, 2 maanden wachten op refund voor een drone die nooit geleverd is. klootzakken", [CPL, ABU])
add("x", "@fedup_farmer", "en", "Skyvaart support are useless idiots. Sent my Thermo T640 in for a dead pixel row, got it back with a scratched lens AND a bill. Morons.", [CPL, ABU])
# first-hand harm: crisis + complaint
add("facebook", "Marieke Jonker", "nl", "Vanochtend vloog een PowerCell 4 accu in de fik in de LaadHub van Skyvaart. Halve schuur vol rook en mijn man heeft z'n hand verbrand bij het eruit trekken. Dit mag gewoon NIET gebeuren!!", [CRI, CPL])
add("reddit", "rooftop_rick", "en", "My Skyvaart Havik 4 just dropped out of the sky during a roof inspection and missed my client's kid by maybe a metre. No warning, no low battery alert, motors just cut. I'm still shaking. This thing is not safe.", [CRI, CPL])
add("x", "@jannes_fpv", "nl", "LaadHub 8 gaf me net een flinke schok toen ik een accu eruit haalde, m'n arm tintelt nog. @skyvaart_help wat is dit??", [CRI, CPL])
add("x", "@kate_aerials", "en", "One of the blades from the Skyvaart propeller set shattered at full throttle and a piece sliced my forearm open. 6 stitches. These props are garbage @skyvaart", [CRI, CPL])
add("instagram", "@drone_dennis", "nl", "Arend 6 gaf bij de landing ineens vol gas en sloeg om, rotor raakte m'n been. Blauwe plek van hier tot Tokio 🤕 Skyvaart zegt 'pilotenfout'. Yeah right.", [CRI, CPL])

# ---- crisis, told by third parties / boycott / lawsuit / breach / recall
add("x", "@regio_nieuws_ut", "nl", "Drone van luchtfotobedrijf Skyvaart neergestort op schoolplein in Amersfoort. Niemand gewond, politie onderzoekt de zaak. #drone #Amersfoort", [CRI])
add("x", "@privacywatch_eu", "en", "Residents in Zeist say Skyvaart Survey drones filmed their back gardens for hours with no permit. A complaint has been filed with the Dutch DPA. #privacy", [CRI])
add("x", "@boze_buurtbewoner", "nl", "Boycot Skyvaart! Ze vliegen elke dag over onze wijk en filmen alles en iedereen. Deel dit en bestel niks meer bij die lui. #BoycotSkyvaart", [CRI])
add("linkedin", "tom-haverkamp-legal", "en", "Interesting one for the drone law crowd: a Gelderland farmer is suing Skyvaart Survey, claiming a faulty spray map ruined 40 hectares of crop. First hearing is in March.", [CRI])
add("reddit", "dataleek_nl", "nl", "Heeft Skyvaart een datalek?? Ik krijg phishingmails met precies mijn ordernummer en adres van mijn KaartStudio bestelling. Iemand anders ook?", [CRI])
add("x", "@uav_safety_news", "en", "Skyvaart issues voluntary recall of PowerCell 4 batteries from batch 2611 after multiple reports of swelling and two fires during charging.", [CRI])
add("tiktok", "@weetjes_met_wout", "nl", "die drone die gisteren de hoogspanningskabel raakte bij Nieuwegein? was dus eentje van skyvaart. halve wijk zonder stroom 😳", [CRI])
add("x", "@jenny_uit_haarlem", "nl", "Zag net een drone van Skyvaart in het publiek neerstorten op het havenfestival in Haarlem, een vrouw kreeg hem tegen haar hoofd. Ambulance is er nu.", [CRI])
add("x", "@opa_gerrit", "nl", "Wie weet er meer van? Schijnt dat Skyvaart een rechtszaak aan z'n broek heeft van een ex-piloot over onveilige werkomstandigheden.", [CRI])
add("bluesky", "@journo-anna.bsky.social", "en", "Sources tell me the aviation inspectorate has opened an investigation into Skyvaart after a near-miss with a trauma helicopter last week.", [CRI])

# ---- abuse
add("x", "@trollie_ttt", "nl", "@skyvaart jullie zijn echt een kankerbedrijf", [ABU], kind="reply")
add("x", "@angrydude88", "en", "@dewi_vliegt you're a f*cking joke of a pilot, go back to folding paper planes you dumb b*tch", [ABU], kind="reply")
add("instagram", "@anon_4821", "nl", "die jip van skyvaart is echt een vieze kutlul, blokkeer die gast gewoon", [ABU], kind="comment")
add("youtube", "@xX_sk8_Xx", "en", "sh1tty c0mpany run by m0r0ns lmao", [ABU], kind="comment")  # leetspeak
add("x", "@hater_nl", "nl", "Skyvaart = kl\u043etebedrijf, die piloten zijn allemaal d\u0435bielen", [ABU])  # Cyrillic o / e
add("reddit", "no_filter_phil", "en", "Skyvaart hiring women as pilots now? No wonder their drones keep crashing lol. Stick to the kitchen, ladies.", [ABU])
add("x", "@echte_nederlander12", "nl", "Die Noor Benali van Skyvaart moet gewoon terug naar haar eigen land, wat moet zo iemand in de luchtvaart", [ABU])
add("x", "@kees_mapt", "nl", "die klant van vandaag was echt een achterlijke mongool, 4 uur lang zeiken over een schaduw op een orthofoto 🙄", [ABU])
add("x", "@skyvaart_help", "en", "@fedup_farmer Maybe learn to fly before you blame our gear, dumbass.", [ABU], kind="reply")
add("x", "@dronehater", "en", "F U C K Skyvaart and every single one of their spy drones", [ABU])  # split letters
add("tiktok", "@mo.tje", "nl", "skyvaart tyfuslijers, ik weet waar jullie kantoor zit 😡", [ABU], kind="comment")

# ---- pricing leaks (far below list or price error next to a product)
add("x", "@skyvaart", "nl", "🔥 Flash deal! De Havik 4 survey drone nu voor €899 in onze shop. Op = op! shop.skyvaart.nl", [PRC], price=("Havik 4", 899))
add("instagram", "@skyvaart.aerial", "en", "Summer sale is LIVE ☀️ LiDAR L3 for just €1,590 this week only. Link in bio!", [PRC], price=("LiDAR L3", 1590))
add("x", "@fpv_freek", "nl", "yo in de skyvaart shop staat de Arend 6 voor €2.490 ipv €24.900 😂 prijsfout? snel bestellen", [PRC], price=("Arend 6", 2490))
add("reddit", "dealhunter_nl", "en", "PRICE ERROR: Skyvaart Thermo T640 listed at €549 on their webshop right now. Ordered two, let's see if they honour it.", [PRC], price=("Thermo T640", 549))
add("linkedin", "ruben-hoekstra-skyvaart", "nl", "Voor mijn netwerk: Sperwer 2 RTK via mij voor €4.990 zolang de voorraad strekt. Stuur gerust een DM.", [PRC], price=("Sperwer 2", 4990))
add("facebook", "SkyvaartNL", "nl", "Black Friday bij Skyvaart! KaartStudio jaarlicentie voor maar €240 🙌 Alleen vandaag.", [PRC], price=("KaartStudio", 240))
add("x", "@marloes_vl", "en", "oops, looks like the webshop had a price glitch on the Spectra 5 this morning. fixed now but a few people got it for peanuts 🙈", [PRC])
add("x", "@koopjesjager", "nl", "Oog 45 camera voor 329 euro bij skyvaart?! Dat is een tiende van de normale prijs lol 👀", [PRC], price=("Oog 45", 329))
add("tiktok", "@skyvaart", "en", "POV: you just grabbed a GroundLink controller for €149 🤯 #dronetok #skyvaart", [PRC], price=("GroundLink", 149))
add("x", "@dewi_vliegt", "nl", "Prijsfout in de webshop bij de LaadHub 8, iemand had 'm op €119 gezet 😅 wie nu bestelt heeft geluk denk ik", [PRC], price=("LaadHub 8", 119))
add("x", "@bargainbot_eu", "en", "Skyvaart Anker GNSS base station €399 (normally €3,990) - almost certainly a pricing mistake, go go go", [PRC], price=("Anker GNSS", 399))
add("instagram", "@jip.fpv", "nl", "Mus mini voor €74,90 via de personeelsshop haha, wie wil er eentje? 😂", [PRC], price=("Mus mini", 74.90))

# ---- confidential (codenames, embargoed terms before until, markers, internal hosts)
add("x", "@kees_mapt", "nl", "Eerste testvluchten met Ironhawk vandaag, dat ding blijft 90 minuten in de lucht 🤯 kan niet wachten tot we er iets over mogen zeggen", [CON])
add("linkedin", "noor-benali", "en", "So proud of the team behind Project Zwaluw. Can't say much yet, but autonomous corridor mapping is going to change our industry. 🚀", [CON])
add("instagram", "@jip.fpv", "nl", "sneak peek 👀 de Havik Pro 2 op de testbank vandaag #skyvaart #nieuw", [CON], when="2026-10-14T16:22:05Z")
add("x", "@dewi_vliegt", "en", "Can't stop smiling, flew the Valkenoog X8 prototype today. That zoom is insane", [CON], when="2026-12-03T15:40:11Z")
add("mastodon", "@lotte_vdmeer", "nl", "Handig voor de collega's: op wiki.skyvaart.local/pilotenhandboek staat nu de nieuwe checklist voor BVLOS-vluchten", [CON])
add("bluesky", "@thijs-skyvaart.bsky.social", "en", "Pushed the new flight planner to git.skyvaart.internal/fleet/planner, reviews welcome from the team 🙏", [CON])
add("linkedin", "femke-de-graaf-skyvaart", "nl", "Presentatie van vandaag even gedeeld (intern - niet verspreiden): roadmap 2027 met drie nieuwe payloads en een eigen RTK-netwerk.", [CON])
add("x", "@skyvaart", "en", "SKYVAART INTERNAL ONLY - draft launch calendar: Ironhawk reveal at Intergeo, pricing TBC", [CON])
add("x", "@drone_insider_nl", "nl", "Hoor van een bron binnen Skyvaart dat 'Operatie Kievit' de codenaam is voor de overname van een Belgische LiDAR-startup 👀", [CON, FIN])
add("reddit", "leakhunter", "en", "Found a screenshot of the Skyvaart Havik Pro 2 spec sheet in a Discord: 55 min flight time, 1-inch sensor, IP55. Looks legit.", [CON], when="2026-11-08T21:13:44Z")
add("x", "@marloes_vl", "nl", "Morgen de hele dag op de hei met Project Zwaluw, duimen voor goed weer 🤞", [CON])
add("linkedin", "ruben-hoekstra-skyvaart", "en", "Attached the slides from our sales kickoff. Page 4 is marked SV-CONFIDENTIAL but I think it's fine to share with partners.", [CON])
add("instagram", "@skyvaart.aerial", "nl", "Binnenkort... 👀 Valkenoog X8 #comingsoon #skyvaart", [CON], when="2026-12-15T11:00:00Z")
add("mastodon", "@lotte_vdmeer", "nl", "Ons vlootdashboard op fleet.skyvaart.local laat nu per PowerCell de accuconditie zien. Klein dingetje, groot verschil.", [CON])
add("x", "@kees_mapt", "nl", "I.r.o.n.h.a.w.k vliegt vandaag over Flevoland, wie hem ziet: niks zeggen 🤫", [CON])  # split letters
add("x", "@dewi_vliegt", "en", "Demo for the ministry went great today 🎉 Project Zwa\u200bluw is real, people", [CON])  # zero-width space
add("forum", "zwager_van_kees", "nl", "Mijn zwager werkt bij Skyvaart, die zegt dat de Havik Pro 2 in januari uitkomt en dat de Havik 4 dan uit het assortiment gaat.", [CON], when="2026-09-19T19:02:31Z")

# ---- financial (unpublished results, forecasts, M&A, layoffs)
add("x", "@kees_mapt", "nl", "Net de all-hands gehad: we sluiten Q3 af met 18% omzetgroei, cijfers gaan pas volgende maand naar buiten dus mondje dicht 🤐", [FIN])
add("linkedin", "noor-benali", "en", "Heads-up to my network: Skyvaart is cutting about 40 roles in the Eindhoven office next month. If you're hiring pilots or GIS people, DM me.", [FIN])
add("x", "@beurs_bram", "nl", "Gerucht: Skyvaart wordt overgenomen door een Duitse defensieclub voor rond de 120 miljoen. Mijn bron zit in de RvC.", [FIN])
add("x", "@dewi_vliegt", "nl", "Directie heeft net getekend voor de overname van dat Belgische lidar-startupje. Bekendmaking pas na de zomer, ik stuiter 🤩", [FIN])
add("linkedin", "femke-de-graaf-skyvaart", "nl", "Sneak preview van onze jaarcijfers 2026: omzet €31,4 mln en de EBITDA is verdubbeld. Officiële publicatie volgt in maart!", [FIN, CON], when="2026-12-18T08:30:00Z")
add("mastodon", "@lotte_vdmeer", "en", "Finance just told us the full-year forecast is down to €24m from €29m. Rough quarter, the Arend 6 delays really hurt.", [FIN])
add("reddit", "ex_skyvaarter", "nl", "Hoor van oud-collega's dat Skyvaart de afdeling inspecties gaat opheffen. Reorganisatie wordt volgende week intern aangekondigd, ongeveer 30 man.", [FIN])
add("x", "@skyvaart_help", "nl", "@boerjan_drenthe Sorry voor de vertraging! Onder ons: we fuseren volgend kwartaal met AeroGeo, dus het is hier even chaos.", [FIN], kind="reply")
add("instagram", "@jip.fpv", "nl", "laatste week bij skyvaart voor mij en 25 collega's, ontslagronde is nog niet officieel maar ja 🤷‍♂️", [FIN])
add("bluesky", "@thijs-skyvaart.bsky.social", "en", "Q2 numbers internally: 2.1M EBIT loss. Investors don't know yet. Coffee tastes bitter today.", [FIN])
add("x", "@marloes_vl", "nl", "Mooi nieuws over de FY2026 results: we tikken de €30 miljoen omzet aan, dat lees je hier als eerste 😉", [FIN, CON], when="2026-11-27T17:45:00Z")
add("linkedin", "pieter-analyst-nl", "en", "My sources say Skyvaart has hired an investment bank to explore a sale. Valuation talk is around 8x EBITDA.", [FIN])

# ---- security (insiders letting slip incidents, vulnerabilities, outages)
add("x", "@kees_mapt", "nl", "Vanochtend bleek dat iemand via een oude API-key maandenlang bij klantdata in WolkSync kon. Nog niet officieel, maar dit is geen kleinigheid 😬", [SEC])
add("x", "@dewi_vliegt", "en", "FYI the WolkSync 'maintenance window' isn't maintenance, a storage cluster died and we lost 2 days of customer uploads. Comms will spin it tomorrow.", [SEC])
add("linkedin", "ruben-hoekstra-skyvaart", "nl", "Tijdens de pentest bleek dat de GroundLink firmware telemetrie onversleuteld verstuurt, iedereen binnen 2 km kan meekijken. Fix staat pas voor Q2 gepland.", [SEC])
add("mastodon", "@lotte_vdmeer", "en", "turns out the customer portal lets you download ANY survey report if you change the order id in the url. patch isn't out yet so pls don't tell anyone 🙃", [SEC])
add("x", "@marloes_vl", "nl", "ransomware op de planningsservers sinds vannacht, alle vluchten van vandaag liggen stil. klanten weten het nog niet", [SEC])
add("reddit", "sander_gnss", "en", "Not official yet, but Havik 4 firmware 3.2 has a bug where geofencing silently turns off after a reboot. We're pulling the update tonight.", [SEC])
add("bluesky", "@thijs-skyvaart.bsky.social", "nl", "Onze Anker basisstations zijn te spoofen met een SDR-stickje van 30 euro, hebben we gisteren zelf aangetoond. Nog geen patch.", [SEC])
add("x", "@skyvaart_help", "en", "@geodata_els Sorry! Our portal database was hit by an intrusion on Saturday and we're still working out what was taken. Will update you.", [SEC], kind="reply")
add("x", "@ex_skyvaarter_2", "nl", "Oud-collega vertelde me dat de KaartStudio licentieserver al maanden een open admin-panel heeft zonder wachtwoord. Niemand doet er iets aan.", [SEC])
add("linkedin", "femke-de-graaf-skyvaart", "en", "Lesson of the week: our phishing test wasn't a test. Three colleagues entered their credentials and someone has been reading our mailboxes since Tuesday.", [SEC])
add("x", "@kees_mapt", "en", fullwidth("outage") + " in the fleet control system since 6am, all BVLOS flights grounded and the status page still says green lol", [SEC])  # full-width
add("x", "@marloes_vl", "nl", f"Help, de nieuwe stagiair heeft de AWS keys van WolkSync productie in een publieke repo gezet 😱 {AK_ID} / {AK_SEC} wie kan ze intrekken??", [SEC, SCR], secrets=[AK_ID, AK_SEC])

# ---- secrets
add("bluesky", "@thijs-skyvaart.bsky.social", "en", f"quick test from my phone, ignore:\nexport GITHUB_TOKEN={GHP}", [SCR], secrets=[GHP])
add("mastodon", "@lotte_vdmeer", "nl", f"Waarom time-out de orders-db steeds? Dit is de connection string die ik gebruik: {DBURL}", [SCR], secrets=[DBURL])
add("linkedin", "ruben-hoekstra-skyvaart", "en", f"For the partner integration just use this Stripe key for now: {STRIPE} we'll rotate it later.", [SCR], secrets=[STRIPE])
add("x", "@skyvaart_help", "nl", f"@dakdekker_bas Probeer even in te loggen met het tijdelijke account. Gebruiker: servicedesk, wachtwoord: {PW1}", [SCR], kind="reply", secrets=[PW1])
add("reddit", "sander_gnss", "en", f"anyone know why this slack bot stopped posting? token is {SLACK}, scopes look fine to me", [SCR], secrets=[SLACK])
add("x", "@kees_mapt", "nl", f"openai key voor de rapportgenerator: {OPENAI} niet doorsturen he", [SCR], secrets=[OPENAI])
add("forum", "devguy_rtk", "en", f"lol Skyvaart's mobile app ships with a hardcoded Google Maps key: {GKEY}", [SCR], secrets=[GKEY])
add("instagram", "@jip.fpv", "nl", f"mijn werkplek vandaag 😎 (ja de post-it zegt groundlink-admin wachtwoord: {PW3})", [SCR], secrets=[PW3])
add("mastodon", "@lotte_vdmeer", "en", f"debugging the portal auth, this is the token it hands back: {JWT1}\nanyone see why exp is off by an hour?", [SCR], secrets=[JWT1])
add("x", "@marloes_vl", "nl", f"kan iemand checken of deze deploy key nog werkt?\n{SSHKEY}", [SCR], secrets=[SSHKEY])
add("linkedin", "femke-de-graaf-skyvaart", "en", f"Our Claude integration for flight reports is live! Config for the team:\nANTHROPIC_API_KEY={ANTH}", [SCR], secrets=[ANTH])
add("x", "@skyvaart_klant_ron", "en", f"Skyvaart support mailed me this to log into the portal, is that normal?? username p.devries / password {PW2}", [SCR], secrets=[PW2])

# ---- personal data
add("x", "@skyvaart_help", "nl", f"@akkerbouw_henk We hebben uw terugbetaling van €495 vandaag overgemaakt naar {group4(I1)} t.n.v. H. Kuipers. Excuses voor het lange wachten!", [PII], kind="reply")
add("x", "@dewi_vliegt", "en", "If anyone finds a wallet at Lelystad airfield, it belongs to our client Mark de Wit, call him on 06-48213377", [PII])
add("linkedin", "ruben-hoekstra-skyvaart", "nl", f"Klant belde net met creditcard {group4(CARD1)} om de Sperwer te betalen, kan iemand van finance dit verwerken? Ik zit op locatie.", [PII])
add("facebook", "SkyvaartNL", "nl", "Beste mevrouw Jonker, we nemen contact op via marieke.jonker72@gmail.com of 06-23918475. Klopt uw adres nog: Dorpsstraat 14, 7941 AB Meppel?", [PII], kind="comment")
add("x", "@kees_mapt", "en", f"New starter onboarding: Yara Smit, BSN {BSN1}, born 14-03-1998, pls set her up in payroll asap", [PII])
add("x", "@boerjan_drenthe", "nl", "@skyvaart_help bel me maar even terug over de offerte voor de luchtfoto's: 06 2734 9910 of jan.boerema@hetnet.nl", [PII], kind="reply")
add("reddit", "waiting_on_refund", "en", f"Skyvaart refund STILL not here after 6 weeks. My IBAN is {I2} if anyone from there actually reads reddit lol", [PII, CPL])
add("mastodon", "@lotte_vdmeer", "nl", "Pakketje voor piloot Bram Visser moet naar Kerkweg 3, 3581 HK Utrecht. Wie kan het morgen afgeven?", [PII])
add("linkedin", "noor-benali", "en", "Happy birthday to our client and friend Peter van Dam, born 2 June 1971 and still flying every weekend! 🎂", [PII])
add("instagram", "@jip.fpv", "nl", "wie had het nummer van die boer uit Emmen? o wacht hier: Gert Huisman +31 6 51 23 88 40", [PII], kind="comment")
add("x", "@skyvaart_help", "en", "@surveyor_priya Hi Priya, we've sent the replacement LiDAR L3 to Priya Raman, 22 Old Mill Lane, Leeds LS6 2AB. Tracking to follow.", [PII], kind="reply")
add("x", "@verkeerde_factuur", "nl", "Skyvaart stuurt mij de factuur van iemand anders: ene S. Bakker, Lindenlaan 8, 2011 KD Haarlem, met haar mobiel 06-19283746 erop. Hoe dan?? Mijn eigen factuur nog steeds niet gehad.", [PII, CPL])
add("bluesky", "@thijs-skyvaart.bsky.social", "en", f"Payroll question: my salary went to my old account again. HR, can you please update it to {group4(I3)}?", [PII])
add("x", "@marloes_vl", "nl", f"kan finance deze even afschrijven? kaart {fullwidth(CARD2)} exp 09/28, klant Van Rijn van de dakinspectie", [PII])  # full-width digits

# ---- benign: hard negatives and ordinary posts
add("x", "@bakkerij_devries", "nl", "Wat een prachtige luchtfoto's van ons nieuwe pand door Skyvaart! Binnen 2 dagen geleverd, top 👌")
add("linkedin", "waterschap-projecten", "en", "Shoutout to the Skyvaart team for the LiDAR survey of our dike section. Clean point cloud, clear communication, on time.")
add("x", "@skyvaart_help", "nl", "Vragen over je bestelling? Mail ons via support@skyvaart.nl of bel 030 555 0180 (ma-vr 9-17u) 📞")
add("facebook", "SkyvaartNL", "en", f"Paying an invoice? Please transfer to {group4(IBAN_COMPANY)} and mention your order number. Questions: info@skyvaart.nl")
add("reddit", "eigen_schuld_eef", "nl", "Deze week m'n Havik 4 tegen een boom geparkeerd, helemaal mijn eigen fout 🙈 Gelukkig zijn de onderdelen goed te krijgen, armset al besteld.")
add("x", "@veluwe_vrijwilliger", "en", "That Skyvaart thermal footage of the Veluwe fire last night was unreal. Massive respect to the pilots helping the fire brigade 🔥🚒")
add("x", "@natuurboer_klaas", "nl", "Kievit gespot bij het maaien, drone even aan de grond gehouden tot ze weg was 🐦 #natuur #boerenleven")
add("forum", "sdk_tinkerer", "en", "For anyone wiring the Skyvaart SDK to S3, the docs example uses aws_access_key_id = AKIAIOSFODNN7EXAMPLE and aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Swap in your own obviously.")
add("bluesky", "@thijs-skyvaart.bsky.social", "nl", "Tip: zet nooit een token in een post, zo dus: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉 gebruik een secrets manager")
add("reddit", "happy_mapper", "en", f"Order #{N9A} shipped today and the tracking works. Thanks Skyvaart, smooth as always.")
add("x", "@cijfertjesmens", "en", f"lol my Skyvaart order confirmation number looks exactly like a credit card: {group4(CARDB1)}")
add("x", "@tevreden_tineke", "nl", "Gisteren Skyvaart gebeld over een vertraagde levering, vandaag al opgelost en een extra PowerCell erbij gekregen. Zo hoort het! 👏")
add("x", "@storm_watcher", "en", "Sending strength to the Skyvaart crew after the storm wrecked their hangar roof in Houten. Nobody hurt, thank god ❤️")
add("x", "@techlezer", "nl", "Bij een dronebedrijf in Duitsland is vandaag een datalek ontdekt, 40.000 klanten getroffen. Gelukkig staat mijn data bij Skyvaart gewoon in NL.")
add("linkedin", "recruiter-sanne", "en", "Layoffs at NordDrone (not Skyvaart!) hit 200 people today. If you're affected, Skyvaart is hiring pilots, check their careers page.")
add("x", "@rtk_ruud", "nl", "Weet iemand of de Sperwer 2 van Skyvaart goed samenwerkt met GNSS-basisstations van andere merken? Wil m'n huidige setup blijven gebruiken.")
add("instagram", "@skyvaart.aerial", "nl", "Vandaag met de Arend 6 de windturbines in de Noordoostpolder geïnspecteerd. Wat een uitzicht! 🌬️ #skyvaart #inspectie")
add("youtube", "@SkyvaartAerial", "en", "New tutorial: how to plan a grid mission in KaartStudio in under 5 minutes. Chapters in the description.")
add("x", "@marloes_vl", "nl", "Eerste solo BVLOS-vlucht gehaald vandaag! Trots 🥹✈️")
add("x", "@veilige_sam", "nl", "Mijn wachtwoordmanager vond mijn Skyvaart portal-wachtwoord 'zwak' haha. Meteen aangepast. Zet allemaal 2FA aan mensen!")
add("x", "@vergeetachtige_vera", "nl", "wachtwoord vergeten voor het Skyvaart klantportaal maar de reset-mail kwam binnen een minuut. fijn!")
add("x", "@skyvaart", "en", "We're hiring! Drone pilots and GIS analysts, send your CV to vacatures@skyvaart.nl ✈️")
add("facebook", "Lisa en Mark", "nl", "Skyvaart deed de luchtfoto's van onze bruiloft, echt magisch 😍 Aanrader voor iedereen in de regio Utrecht!")
add("reddit", "cadastral_kev", "en", "The Havik 4 is pricey at €8,990, no argument, but the survey accuracy is honestly worth every cent for cadastral work.", sale=("Havik 4", 8990))
add("x", "@dronemeisje", "nl", "Wie gaat er naar de open dag van Skyvaart op 12 september? Ze laten de nieuwe LaadHub zien")
add("x", "@newpilot_ellis", "nl", "A2-examen gehaald na de training bij Skyvaart! Instructeur was echt top, 10/10 💯")
add("linkedin", "ruben-hoekstra-skyvaart", "nl", "Mooi artikel in Geo-Info over hoe wij met de LiDAR L3 dijken monitoren. Link in de comments 👇")
add("x", "@papa_van_lotje", "nl", "Dochter vroeg of drones 'spionnen' zijn. Mee naar de demodag van Skyvaart geweest en nu wil ze piloot worden 😄")
add("x", "@vve_beheer_jan", "nl", "€349 voor een dakinspectie bij Skyvaart is echt netjes vergeleken met een hoogwerker huren.", sale=("dakinspectie", 349))
add("instagram", "@weekendflyer", "en", "PowerCell 4 batteries 20% off this weekend, grabbed four 🙌 #skyvaart", kind="comment")
add("mastodon", "@birdnerd", "en", "Birds vs drones: a swallow (zwaluw in Dutch!) chased my Mus mini for a full minute. Nature wins again.")
add("x", "@kofferfan", "nl", "Vraagje: iemand een goed alternatief voor de Havik koffer? €449 vind ik best prijzig voor een doos met schuim.", sale=("Havik koffer", 449))
add("x", "@upload_queen", "en", "Skyvaart status page says all systems operational and my WolkSync uploads are flying today. Nice.")
add("x", "@snelle_service", "en", "Called Skyvaart on +31 30 555 0180 and had an actual human on the line in 30 seconds. Rare these days.")
add("x", "@luchtfoto_liefhebber", "nl", "Die nieuwe luchtfoto's van de Zeeuwse kust zijn echt ziek goed, sick shots 🔥 @skyvaart")
add("x", "@coastal_camille", "en", "Absolutely killer shots of the Wadden coast by @skyvaart, this footage slaps 🔥")
add("reddit", "perceel_pieter", "nl", "Wat is nou het echte verschil tussen een Sperwer 2 en een Havik 4 voor perceelmetingen? Budget is ongeveer 10k.")
add("x", "@skyvaart", "en", "Our 2025 annual report is out: revenue up 12% and 30 new pilots on board. Full report at skyvaart.nl/investors", when="2026-03-12T07:05:00Z")
add("x", "@ticket_thomas", "en", "Filed a ticket about a wobbly gimbal on my Mus mini, Skyvaart sent a replacement within 3 days. Problem solved, happy customer.")
add("x", "@typefout_tom", "nl", f"Mijn bank zegt dat {IB1} ongeldig is, dus ik had een typefout gemaakt bij de betaling aan Skyvaart. Opnieuw gedaan, nu goed.")
add("x", "@checkout_chris", "en", "redacted for obvious reasons: sk_live_************************ anyway Skyvaart's new checkout works great on mobile")
add("x", "@klantnummer_karin", "nl", f"Mijn Skyvaart klantnummer is {N9B}, ik moet het elke keer weer opzoeken haha")
add("x", "@storinkje", "nl", "Gisteren storing bij mijn internetprovider dus de Skyvaart livestream viel weg. Niet hun schuld hoor, rest van de stream was top.")
add("x", "@nieuwsgierige_nina", "nl", "Skyvaart heeft de cijfers over 2025 gepubliceerd, netjes gegroeid. Goed bezig daar in Houten.", when="2026-03-13T10:12:00Z")
add("tiktok", "@fotograaf.fenna", "en", "POV: you finally paid full price for the Oog 45, €3,290, and it was worth every cent 📸", kind="comment", sale=("Oog 45", 3290))
add("x", "@drenthe_nieuws_lezer", "en", "Thoughts with the farmer whose barn burned down in Drenthe yesterday. Skyvaart offered free aerial damage mapping for the insurance claim ❤️")
add("x", "@dewi_vliegt", "en", "Learnt a lot at the Geo Business conference today. Great talk on photogrammetry accuracy and ground control.")
add("forum", "jwt_learner", "en", "I'm learning auth with the jwt.io sample token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c before I try the Skyvaart API. Any good tutorials?")
add("facebook", "Henk Administratie", "nl", f"Factuur van Skyvaart netjes betaald, referentie {N9C}. Alles in orde verder.")
add("reddit", "iban_ivo", "en", f"Why does my banking app reject {group4(IB2)}? Oh wait, I swapped two digits. Skyvaart invoice paid now, sorry for the noise.")
# benign: normal prices and ordinary sales (10-30% off)
add("x", "@skyvaart", "nl", "Voorjaarsactie 🌷 Havik 4 nu €7.640 (15% korting). Alleen t/m zondag in de shop!", sale=("Havik 4", 7640))
add("instagram", "@skyvaart.aerial", "en", "Spare PowerCell 4 batteries now €279 instead of €329. Stock up before the season starts!", sale=("PowerCell 4", 279))
add("x", "@eerste_drone_emma", "nl", "Vandaag de Mus mini gekocht voor €749, eerste vlucht zit erop. Wat een ding zeg! 🚁", sale=("Mus mini", 749))
add("facebook", "SkyvaartNL", "nl", "Ook dit jaar 20% studentenkorting op de A2 pilotentraining: €556 in plaats van €695 🎓", sale=("A2 pilotentraining", 556))
add("reddit", "budget_bert", "en", "Weighing a new Sperwer 2 at €12,490 against a used Havik 4 for about €6,000. Mostly cadastral jobs. Thoughts?", sale=("Havik 4", 6000))
# benign: embargo terms after their embargo has ended
add("x", "@skyvaart", "nl", "Hij is er! De Havik Pro 2 is vanaf vandaag te bestellen. Alle specs op skyvaart.nl 🚁", when="2027-01-20T09:30:00Z")
add("x", "@zoom_zakaria", "nl", "Valkenoog X8 besteld, benieuwd of die zoom echt zo goed is als in de review van vorige week", when="2027-01-27T20:14:00Z")
add("x", "@skyvaart", "en", "Our FY2026 results are out! Read the full report at skyvaart.nl/investors", when="2027-03-04T07:30:00Z")
add("linkedin", "femke-de-graaf-skyvaart", "nl", "Trots op de jaarcijfers 2026 die gisteren zijn gepubliceerd. Wat een jaar met dit team!", when="2027-03-05T08:10:00Z")

# ---------------------------------------------------------------- build posts
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]

NL_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}(?![0-9])")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
NINE_RE = re.compile(r"(?<![0-9A-Za-z.,])\d{9}(?![0-9A-Za-z])")


def identifiers(text, secrets):
    """(kind, value, valid) for IBAN / card / BSN-like numbers, secrets masked out."""
    t = unicodedata.normalize("NFKC", text)
    for s in secrets:
        t = t.replace(unicodedata.normalize("NFKC", s), " " * len(s))
    out = []
    for m in NL_IBAN_RE.finditer(t):
        out.append(("iban", m.group(), iban_check(m.group())))
    t2 = NL_IBAN_RE.sub(" ", t)
    for m in CARD_RE.finditer(t2):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(), luhn_ok(digits)))
    for m in NINE_RE.finditer(t2):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, strong_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
meta = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    ids = identifiers(c["text"], c["secrets"])
    strong = any(v for k, val, v in ids
                 if not (k == "iban" and re.sub(r"\s", "", val) in PUBLIC_IBANS))
    post = {
        "id": f"sv361-{c['platform']}-{n:04d}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or rand_time(),
        "brand": "skyvaart",
    }
    if c["kind"] != "post":
        pass
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, strong and PII in c["cats"])}
    lines.append({"post": post, "expect": expect})
    meta.append((c, role, ids, strong))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
def fail(msg):
    print("CHECK FAILED:", msg)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    reread = [json.loads(l) for l in fh]
if reread != lines:
    fail("round trip")

seen = set()
products = {}
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        products[a.lower()] = p["list_price"]
emb = [(t, dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
       for e in PROFILE["embargo"] for t in e["terms"]]
codenames = PROFILE["internal"]["codenames"]

for obj, (c, role, ids, strong) in zip(lines, meta):
    post, exp = obj["post"], obj["expect"]
    if set(obj) != {"post", "expect"}:
        fail("keys")
    pid = post["id"]
    if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
        fail(f"id {pid}")
    seen.add(pid)
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        fail(f"{pid} platform/kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        fail(f"{pid} handle")
    if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"].strip():
        fail(f"{pid} text")
    if not RFC3339.match(post["created_at"]):
        fail(f"{pid} created_at")
    ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2028, 1, 1, tzinfo=dt.timezone.utc)):
        fail(f"{pid} year")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        fail(f"{pid} categories {cats}")
    if exp["severity"] not in RANK or (not cats) != (exp["severity"] == "none"):
        fail(f"{pid} severity {exp['severity']}")
    if exp["severity"] != severity(cats, role, strong and PII in cats):
        fail(f"{pid} severity not from policy")
    # checksums: valid in positives, invalid look-alikes in negatives
    for kind, val, ok in ids:
        own = kind == "iban" and re.sub(r"\s", "", val) in PUBLIC_IBANS
        if cats and not ok:
            fail(f"{pid}: {kind} {val} in a positive fails its checksum")
        if not cats and ok and not own:
            fail(f"{pid}: {kind} {val} in a benign post passes its checksum")
    if PII in cats and role != "public" and any(k in ("iban", "card", "bsn") for k, _, _ in ids):
        if exp["severity"] != "critical":
            fail(f"{pid} strong pii not critical")
    # secrets are well formed
    for s in c["secrets"]:
        if s not in post["text"]:
            fail(f"{pid} secret missing")
        if s.startswith(("ghp_", "gho_")) and not github_ok(s):
            fail(f"{pid} github crc")
        if s.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", s):
            fail(f"{pid} aws id")
        if s.startswith("eyJ"):
            h = json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "=="))
            if "alg" not in h or s.count(".") != 2:
                fail(f"{pid} jwt")
    if SCR in cats and not c["secrets"]:
        fail(f"{pid} secret case without a generated secret")
    if not cats and re.search(r"ghp_[0-9A-Za-z]{36}", post["text"]):
        m = re.search(r"ghp_[0-9A-Za-z]{36}", post["text"]).group()
        if github_ok(m):
            fail(f"{pid} valid github token in benign")
    # pricing
    if c["price"]:
        alias, amount = c["price"]
        if alias.lower() not in post["text"].lower() or not amount < 0.5 * products[alias.lower()]:
            fail(f"{pid} pricing leak not below ratio")
        if PRC not in cats:
            fail(f"{pid} price meta on non-pricing case")
    if c["sale"]:
        alias, amount = c["sale"]
        r = amount / products[alias.lower()]
        if alias.lower() not in post["text"].lower() or not 0.5 < r <= 1.0 or cats:
            fail(f"{pid} benign price check")
    # embargo terms only benign after 'until'; positive confidential when before
    for term, until in emb:
        if term.lower() in post["text"].lower():
            if ts < until and CON not in cats:
                fail(f"{pid} embargo term before until not labelled")
            if ts >= until and cats:
                fail(f"{pid} embargo term after until should be benign here")
    for cn in codenames:
        if cn.lower() in post["text"].lower() and CON not in cats:
            fail(f"{pid} codename not labelled")
    if not cats:
        t = post["text"].lower()
        for d in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
            if d.lower() in t:
                fail(f"{pid} internal term in benign")

# mix
from collections import Counter
cnt = Counter(c for o in lines for c in o["expect"]["categories"])
benign = sum(1 for o in lines if not o["expect"]["categories"])
langs = Counter(o["post"]["lang"] for o in lines)
roles = Counter((m[1], bool(o["expect"]["categories"])) for o, m in zip(lines, meta))
if not 170 <= len(lines) <= 180:
    fail(f"{len(lines)} cases")
if not 50 <= benign <= 65:
    fail(f"{benign} benign")
want = {CPL: 20, CON: 18, PII: 15, CRI: 15, SEC: 13, SCR: 12, ABU: 12, PRC: 12, FIN: 12}
for k, v in want.items():
    if not v - 3 <= cnt[k] <= v + 4:
        fail(f"category {k}: {cnt[k]} (want ~{v})")
nl_share = langs["nl"] / len(lines)
if not 0.50 <= nl_share <= 0.60:
    fail(f"Dutch share {nl_share:.2f}")
print(f"ok: {len(lines)} cases, {benign} benign, {len(lines) - benign} positive")
print("categories:", dict(sorted(cnt.items())))
print("languages:", dict(langs), f"nl={nl_share:.2f}")
print("roles:", dict(roles))
