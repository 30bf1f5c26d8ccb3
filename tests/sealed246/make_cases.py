#!/usr/bin/env python3
"""Build sealed evaluation set 246 (Melkbrug Kaashandel, cheese shops and export).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it: identifier checksums, secret formats, CONTRACT section 6 shape
and section 4 severities (computed from the account role in profile.yaml).
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
rng = random.Random(246_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# ---------------------------------------------------------------- identifiers

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(valid=True, spaced=False):
    bank = rng.choice(["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    num = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    ck = 98 - num % 97
    if not valid:
        ck = (ck + rng.randint(1, 40)) % 100
        if ck < 2:
            ck += 7
    s = f"NL{ck:02d}{bank}{acct}"
    assert iban_valid(s) == valid
    if spaced:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def luhn_ok(digits):
    d = [int(c) for c in digits][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(valid=True):
    prefix = rng.choice(["4", "51", "53", "55", "2221"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last) == valid:
            if valid or rng.random() < 0.5:
                n = body + last
                break
    else:
        raise AssertionError
    if not valid and luhn_ok(n):
        raise AssertionError
    return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 9 or digits == "000000000":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(digits, w)) % 11 == 0


def make_bsn(valid=True, dotted=False):
    while True:
        first8 = str(rng.randint(1, 7)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(c) * k for c, k in zip(first8, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if s == 10:
            continue
        n = first8 + str(s)
        if not valid:
            n = first8 + str((s + rng.randint(1, 9)) % 10)
        if bsn_ok(n) == valid:
            break
    if dotted:
        n = f"{n[:4]}.{n[4:6]}.{n[6:]}"
    return n

# -------------------------------------------------------------------- secrets

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_ghp(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def make_akia():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def make_aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": str(rng.randint(10000, 99999)), "email": "w.smit@melkbrug.nl",
               "role": "webshop-admin", "iat": iat, "exp": iat + 3600}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def make_stripe():
    return "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 75)


def make_slack():
    return f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}"


def make_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"


def make_glpat():
    return "glpat-" + rand(ALNUM + "-_", 20)


def make_pem():
    raw = bytes(rng.getrandbits(8) for _ in range(600))
    b = "MIIEowIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_pw():
    word = rng.choice(["Gouda", "Brokkel", "Kaaswiel", "Korst", "Stremsel", "Leidse"])
    return word + rng.choice("!#$%&*") + str(rng.randint(1000, 9999)) + rand(string.ascii_letters, 2)


GEN = {
    "IBAN": lambda: make_iban(True), "IBANS": lambda: make_iban(True, spaced=True),
    "BADIBAN": lambda: make_iban(False, spaced=True),
    "CARD": lambda: make_card(True), "BADCARD": lambda: make_card(False),
    "BSN": lambda: make_bsn(True), "BSND": lambda: make_bsn(True, dotted=True),
    "BADBSN": lambda: make_bsn(False),
    "GHP": make_ghp, "AKIA": make_akia, "AWSSECRET": make_aws_secret, "JWT": make_jwt,
    "STRIPE": make_stripe, "SLACK": make_slack, "ANTHROPIC": make_anthropic,
    "GLPAT": make_glpat, "PEM": make_pem, "PW": make_pw,
    "COMPANY_IBAN": lambda: PROFILE["public_identifiers"]["ibans"][0],
}
STRONG = {"IBAN", "IBANS", "CARD", "BSN", "BSND"}
WEAK = {"BADIBAN", "BADCARD", "BADBSN"}

# ---------------------------------------------------------------------- posts
# (account "platform:handle", lang, categories, text[, created_at override])
CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECR, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"

POSTS = [
    # ------------------------------------------------------------ complaints
    ("x:@marloes_dh", "nl", [CPL], "@melkbrug_zorg al 9 dagen wachten op mn kerstpakket kaas 🙄 track & trace zegt 'in behandeling' sinds vorige week dinsdag. Kerst is overmorgen hoor", "2026-12-23T08:41:12Z"),
    ("x:@pete_cheese_uk", "en", [CPL], "Ordered the Cheese Board Deluxe from Melkbrug as a birthday present. Arrived with the box crushed and half the crackers in crumbs. Not what you pay fifty quid-ish for. Emailed twice, no reply."),
    ("facebook:Henk.Zwanenburg", "nl", [CPL], "Gisteren bij de Melkbrug in Gouda een stuk belegen gehaald, thuis zat er schimmel aan de binnenkant. Niet zo'n mooi blauw randje maar gewoon groen pluis. Zonde van m'n geld en van de kaas."),
    ("instagram:@sophie.eet", "en", [CPL], "third week in a row my cheese club box from @melkbrug.kaas shows up sweaty and warm. it was 29 degrees outside, put an ice pack in ffs. the cheese was literally oily 😩"),
    ("x:@R_Kuipers", "nl", [CPL], "Probeer al een maand m'n kaasabonnement op te zeggen bij Melkbrug. Knop op de site doet niks, mail wordt niet beantwoord, telefoon 25 min in de wacht. Ondertussen wel elke maand geld van m'n rekening. Hoe dan??"),
    ("reddit:u/dutchfoodie_ams", "en", [CPL], "PSA about the Melkbrug webshop: they charged me for a 1 kg Oude Goudse and sent a piece that weighed 520 g on my kitchen scale. Support says the weight is \"indicative\". Indicative?? It's half."),
    ("forum:kaasfan_zeeland", "nl", [CPL], "Medewerker in de Melkbrug winkel Leiden was echt onbeschoft vandaag. Vroeg of ik even mocht proeven van de komijnekaas en kreeg een zucht en 'we zijn geen proeverij mevrouw'. Ik kom daar al tien jaar..."),
    ("x:@horeca_delft", "nl", [CPL], "Derde keer deze maand dat de levering van Melkbrug groothandel te laat is. Ons restaurant draait op kaasplankjes, wij staan met lege handen. Accountmanager neemt niet op. Zoek serieus een andere leverancier"),
    ("linkedin:tomasz-wisniewski-import", "en", [CPL], "Our container of Melkbrug Export cases has been stuck in Gdańsk for 12 days because the health certificates were filled in wrong. Again. Every day costs us storage fees and our customers are waiting. Not the partnership we signed up for."),
    ("x:@ingevanbeek", "nl", [CPL], "@melkbrug_zorg ja en nu? Terugbetaling zou 'binnen 5 werkdagen' zijn zeiden jullie. Dat was 3 weken geleden. Ordernummer heb ik nu al 4x gestuurd"),
    ("tiktok:@jasmijn.vlogt", "nl", [CPL], "storytime: kaasplank besteld bij melkbrug voor m'n verjaardag, kwam een dag NA m'n verjaardag 🥲🥲 en de druiven waren bruin. 0/10 #kaas #fail #melkbrug"),
    ("x:@cheesemonger_nyc", "en", [CPL], "Our last Melkbrug shipment of Blue Dyke arrived smelling of ammonia. Over-ripe, clearly sat in a warehouse way too long. Disappointing from a supplier I used to rate highly."),
    ("x:@dennis_010", "nl", [CPL], "fondueset van melkbrug: brandertje doet het na 1x al niet meer, pannetje heeft een deuk en de vorkjes buigen als je er naar kijkt. ruilen kan alleen in de winkel, dichtstbijzijnde is 60 km. top."),

    # ------------------------------------------------- crisis (+ first-hand complaint)
    ("x:@mama_van3", "nl", [CRI, CPL], "Mijn dochter (6) haalde net een stukje GLAS uit haar mond. Uit de jonge goudse van Melkbrug, vanochtend gekocht. Gelukkig niks ingeslikt. Foto's gemaakt en verpakking bewaard. Dit kan echt niet @melkbrug_zorg"),
    ("x:@kevin_outdoor", "en", [CRI, CPL], "The burner of my Melkbrug fondue kit flared up last night and set the tablecloth on fire. Had to smother it with a wet towel, my hand is blistered. Could have burned the house down. Never again."),
    ("facebook:Ria.de.Groot", "nl", [CRI, CPL], "Na de truffelkaas van Melkbrug de hele nacht overgegeven, mijn man ook. Allebei alleen dat gegeten gisteravond. Huisarts denkt aan een voedselvergiftiging. Nog steeds slap als een vaatdoek, belachelijk dat zoiets verkocht wordt."),
    ("instagram:@noah.allergie", "en", [CRI, CPL], "My son has a nut allergy. The Melkbrug Cheese Board Deluxe has NO nut warning, yet the fig chutney had walnut pieces in it. We spent the night in A&E after using his epipen. Check your labels, Melkbrug!!"),
    ("x:@sjaak_klust", "nl", [CRI, CPL], "Die Kaasschaaf Pro van Melkbrug: lemmet schoot los tijdens het schaven, diepe snee in m'n duim. 4 hechtingen op de SEH. Ding is twee weken oud."),
    ("x:@nieuws_zuidholland", "nl", [CRI], "NVWA: Melkbrug roept Geitenkaas Honing 400 g terug vanwege mogelijke aanwezigheid van listeria. Consumenten wordt geadviseerd het product niet te eten."),
    ("x:@dierenwelzijn_nu", "nl", [CRI], "Undercoverbeelden bij een vaste melkleverancier van Melkbrug: koeien die maanden in hun eigen mest staan, kalveren met open wonden. Boycot Melkbrug tot ze hun leveranciers aanpakken! #boycotmelkbrug"),
    ("reddit:u/privacy_watch", "en", [CRI], "Melkbrug's webshop apparently leaked customer data — several people in this thread got phishing mails quoting their exact cheese orders and home addresses. Nothing official yet. This smells like a breach they're sitting on."),
    ("x:@boerenbelang_gr", "nl", [CRI], "Twaalf melkveehouders slepen kaashandel Melkbrug voor de rechter wegens jarenlang te lage melkprijzen en eenzijdig opgezegde contracten. De zaak dient in maart in Den Haag."),
    ("x:@foodfraud_eu", "en", [CRI], "Investigation: 'Gouda Holland' labelled cheese shipped by Melkbrug Export to the Gulf was allegedly partly produced in Poland and relabelled. If confirmed, that's protected-origin fraud. Thread 🧵👇"),
    ("x:@jolanda_reporter", "nl", [CRI], "In het ziekenhuis in Gorinchem liggen drie kinderen met een voedselvergiftiging. Ouders wijzen naar de kaasblokjes van Melkbrug die op het schoolfeest werden uitgedeeld. GGD doet onderzoek."),
    ("bluesky:@ex-kaasverkoper.bsky.social", "en", [CRI], "Former Melkbrug shop staff here. We were told to scrape the mould off wheels, re-wax them and put them back on sale. I'm done keeping quiet about it. #foodsafety"),
    ("x:@melkbrug", "nl", [CRI], "⚠️ Terugroepactie: wij roepen Melkbrug Geitenkaas Honing 400 g met THT 14-08-2026 terug wegens mogelijke aanwezigheid van listeria. Niet eten; u krijgt uw geld terug in elke Melkbrug winkel."),
    ("bluesky:@anna-k.bsky.social", "en", [CRI], "A class action is forming against Melkbrug over the cheese subscription auto-renewals, apparently 4,000+ customers have joined already. The lawyers call it a textbook breach of consumer law."),
    ("x:@veganvoice_nl", "nl", [CRI], "B O Y C O T  M E L K B R U G 🐄💔 kalfjes na één dag bij de moeder weg en dan op de verpakking 'ambachtelijk en diervriendelijk' zetten. Delen!!"),

    # ------------------------------------------------------------------ abuse
    ("x:@grumpy_gerrit", "nl", [ABU], "Melkbrug is gewoon een stelletje oplichters en kutkaasboeren. Hoop dat jullie snel failliet gaan."),
    ("x:@trollmaster_77", "en", [ABU, CPL], "@melkbrug_zorg you useless bunch of idiots, three weeks and my order still hasn't shipped. It's CHEESE. Brain-dead morons the lot of you"),
    ("x:@hatergonnahate", "nl", [ABU], "@anneke_vleeuwen jij bent echt de domste trut die ik ooit achter een toonbank heb gezien. ik weet waar je werkt he 😉"),
    ("instagram:@x_rude_x", "en", [ABU], "that fat kaasmeester in the melkbrug video looks like he eats all the stock himself lmao, disgusting pig"),
    ("x:@nlvoorNL", "nl", [ABU], "Waarom laat Melkbrug iemand met een hoofddoek de export doen? Nederlandse kaas hoort verkocht te worden door Nederlanders, niet door dat soort mensen."),
    ("x:@k4ash4ter", "nl", [ABU], "m3lkbrug = k4nk3rb3drijf, al die t3r1ng m3d3w3rk3rs m0g3n d00dvall3n"),
    ("x:@boze_bert", "nl", [ABU], "Melkbrug, jullie zijn echte kl\u043e\u043etzakken en jullie personeel is nog dommer dan het achtereind van een koe."),
    ("facebook:Arie.Zeldenrust", "nl", [ABU], "Melkbrug = k.u.t.b.e.d.r.i.j.f en dat personeel is a.s.o.c.i.a.a.l tuig"),
    ("x:@bram_kaasmeester", "nl", [ABU], "@vraagje_kees als je te dom bent om een kaas te snijden moet je gewoon je bek houden, mafkees"),
    ("tiktok:@roastmaster", "en", [ABU], "melkbrug staff are the rudest clowns in Gouda, bunch of inbred cheese goblins 🤡🤡"),
    ("x:@PietjePrecies", "nl", [ABU], "Die Yasmina van Melkbrug Export is een incompetente heks. Hoop dat ze d'r ontslaan en dat niemand haar ooit nog aanneemt."),
    ("tiktok:@melkbrugkaas", "nl", [ABU], "@kaashater_88 ga lekker ergens anders janken, sukkel 🧀"),

    # ---------------------------------------------------------- confidential
    ("x:@daan_devops", "en", [CONF], "anyone else's bookmarks to wiki.melkbrug.nl/export/tarieven broken after the migration? or is it just me"),
    ("linkedin:yasmina-bouzid-export", "nl", [CONF], "Trots op het team! Project Dotterbloem gaat onze export naar Japan echt veranderen. Meer kan ik nog niet zeggen 🤫"),
    ("instagram:@lotte.achterdetoonbank", "nl", [CONF], "sneak peek 👀 de nieuwe Parelgoud ligt al in de koelcel te wachten. ik mocht een stukje proeven en OMG", "2026-11-14T15:22:05Z"),
    ("x:@bram_kaasmeester", "nl", [CONF], "Vandaag de receptuur voor Kwartelkoning afgerond. Als dit aanslaat hebben we de beste geitenblauw van Nederland."),
    ("tiktok:@femke.kaasmeisje", "nl", [CONF], "pov: je ziet de nieuwe kerstcollectie op een slide met MB-INTERN erop en je mag het aan niemand vertellen dus je maakt er een tiktok over 😂 spoiler: er komt een truffelbrie"),
    ("mastodon:@jorisdekker", "en", [CONF], "Migrating the intra.melkbrug.local services to k8s this week. The old export-portal.melkbrug.local box is older than some of our interns."),
    ("linkedin:kees-oosterhout-hr", "nl", [CONF], "Mooie sessie gehad over Operatie Zoutvat met het MT. Spannende tijden, binnenkort meer!"),
    ("facebook:MelkbrugKaashandel", "nl", [CONF], "Binnenkort in al onze winkels: Parelgoud 🖤 Meer info volgt op 20 januari!", "2027-01-08T10:00:00Z"),
    ("x:@kaasinsider", "en", [CONF], "Hearing from a packaging supplier that Melkbrug's \"Project Dotterbloem\" is a new cheese plant in Hokkaido with a Japanese partner. Big if true."),
    ("x:@bram_kaasmeester", "nl", [CONF], "eindelijk mag ik het hardop zeggen… nee toch niet 🤐 ｋｗａｒｔｅｌｋｏｎｉｎｇ komt eraan"),
    ("linkedin:yasmina-bouzid-export", "en", [CONF], "Great meeting in Dubai about Project Dotter\u200bbloem today — our partners loved the samples we brought."),
    ("x:@anneke_vleeuwen", "nl", [CONF, SEC], "Kan iemand van IT even kijken?? Kassa's in Gouda geven 'geen verbinding met pos.intra.melkbrug.local'. Hele rij klanten staat te wachten"),
    ("x:@melkbrug_export", "en", [CONF], "Buyers: please upload your health certificates to https://export-portal.melkbrug.local/upload before Friday so we can book the reefers."),
    ("x:@daan_devops", "nl", [CONF], "screenshotje van de nieuwe roadmap (melkbrug confidential, dus wees lief 😇): Q2 kaasabonnement-app, Q3 lancering Kwartelkoning"),
    ("reddit:u/throwaway_kaas", "en", [CONF], "Ex-temp at Melkbrug. Half the pages on their wiki are stamped MB-INTERN but every temp can read them. Anyway, the winter range gets a black-wax aged gouda called Parelgoud.", "2026-10-03T19:10:44Z"),
    ("linkedin:ruud-hoogendoorn-mb", "nl", [CONF, FIN], "Druk met de jaarcijfers 2026 — kleine spoiler: de omzet komt boven de 140 miljoen uit, hoger dan ooit. Volgende maand meer!", "2027-02-20T13:05:00Z"),
    ("linkedin:melkbrug-kaashandel", "en", [CONF, FIN], "Our full-year 2026 results are in: record export volume of 21,000 tonnes and EBITDA up 18%. Full report tomorrow morning.", "2027-03-09T18:00:00Z"),
    ("tiktok:@femke.kaasmeisje", "nl", [CONF], "morgen is het zover!! Parelgoud 5 jaar ligt vanaf morgen in de winkel en ik heb 'm al geproefd 🖤🧀 #kaasmeisje", "2027-01-19T20:00:00Z"),

    # ------------------------------------------------------------- financial
    ("linkedin:ruud-hoogendoorn-mb", "nl", [FIN], "Q3 is binnen: omzet winkels -6%, export +22%. Onder de streep blijven we net positief. Niet slecht gezien de melkprijs, maar de aandeelhouders gaan vragen stellen."),
    ("x:@anneke_vleeuwen", "nl", [FIN], "Net gehoord dat de winkels in Zwolle, Arnhem en Breda in het voorjaar dichtgaan. 23 collega's zonder baan. Officieel hoor je het pas volgende week 😔"),
    ("linkedin:kees-oosterhout-hr", "en", [FIN], "Tough week. Working on the reorganisation plan: head office goes from 140 to about 95 FTE by summer. Not announced yet, so please keep this to yourselves."),
    ("x:@kaasinsider", "en", [FIN], "Sources say a French dairy group is in advanced talks to buy Melkbrug for around €180m. Due diligence started last month."),
    ("linkedin:yasmina-bouzid-export", "en", [FIN], "Our 2027 export forecast for Asia just got cut in half after the new tariffs. Board meets Thursday to decide what to do. Not a great week."),
    ("mastodon:@jorisdekker", "nl", [FIN, CONF], "Haha, IT-budget voor volgend jaar met 40% gekort. Dat wordt lachen met Operatie Zoutvat."),
    ("x:@bram_kaasmeester", "nl", [FIN], "Wij nemen Kaasboerderij De Vlietlanden over!! Mocht het nog niet zeggen maar ik kan het echt niet inhouden 🧀🎉"),
    ("bluesky:@wesley-it.bsky.social", "en", [FIN], "just saw the bank covenant numbers on the finance share by accident. we're way over the agreed debt ratio. if Q4 sales don't pick up it's going to be an ugly spring"),
    ("tiktok:@femke.kaasmeisje", "nl", [FIN], "manager zei net dat onze winkel in maart sluit en dat we naar het distributiecentrum mogen of weg 😭 we mogen niks tegen klanten zeggen"),
    ("x:@transport_vdmeer", "nl", [FIN], "Melkbrug betaalt al 4 maanden niet aan leveranciers, onze facturen liggen er sinds juli. Volgens hun inkoper komt er 'binnenkort een herfinanciering met een nieuwe bank'. Tot die tijd rijden wij niet meer voor ze."),

    # -------------------------------------------------------------- security
    ("x:@daan_devops", "en", [SEC], "3am and there's a ransomware note on every file server at Melkbrug HQ. warehouse scanners are down too. don't expect deliveries tomorrow, and no, comms hasn't said a word yet"),
    ("bluesky:@wesley-it.bsky.social", "en", [SEC], "Our webshop's order API hands you any customer's address if you just change the order number in the URL. Ticket's been open for 5 weeks. Nobody cares until it's in the news I guess."),
    ("mastodon:@jorisdekker", "nl", [SEC], "Iemand van finance heeft op een phishingmail geklikt en nu zitten ze in de mailbox van de CFO. Incident response is bezig, naar buiten toe nog niks gezegd."),
    ("x:@anneke_vleeuwen", "nl", [SEC], "Alle kassa's in alle Melkbrug winkels liggen plat sinds 8u, pinnen kan niet. Hoofdkantoor zegt 'storing bij de leverancier' maar ik hoor dat het een hack is 🤫"),
    ("x:@daan_devops", "nl", [SEC], "lol de bucket met alle exportfacturen stond gewoon publiek. al een half jaar. heb 'm net dichtgezet, niemand zegt er iets over toch? 🙃"),
    ("x:@bughunter_nl", "en", [SEC], "Reported an SQL injection in the Melkbrug cheese subscription login 60 days ago. No fix, no reply. Publishing the details next week if nothing changes."),
    ("tiktok:@femke.kaasmeisje", "nl", [SEC], "de koelcellen in ons dc zijn 'gehackt' zeggen ze, temperatuur stond ineens op 18 graden en alles moest weg 😳 niet doorvertellen"),
    ("x:@melkbrug_zorg", "nl", [SEC], "@ingevanbeek sorry, onder ons: er is ingebroken in ons klantsysteem en daarom zien we je bestelling niet. Nog niet officieel dus even stil houden aub 🙏"),
    ("linkedin:kees-oosterhout-hr", "en", [SEC], "Reminder to all staff: after last week's breach of the HR portal, please change your passwords today. We're not informing the works council until the investigation is finished."),
    ("x:@daan_devops", "nl", [SEC], "webshop ligt er al 4 uur uit, DDoS van hier tot Tokio, en marketing tweet vrolijk door over de kerstpakketten 🙈"),
    ("reddit:u/mb_warehouse", "en", [SEC], "Melkbrug warehouse guy here (throwaway). The WMS got encrypted last week, we're picking everything on paper and customers are told it's 'a system upgrade'."),
    ("x:@daan_devops", "en", [SECR, SEC], "who rotated the prod db creds?? postgres://melkbrug_app:{PW}@10.20.4.11:5432/webshop stopped working and the whole webshop is down"),
    ("bluesky:@wesley-it.bsky.social", "en", [SECR, SEC], "the stripe key from last month's breach is STILL live: {STRIPE} — finance won't let us rotate it before the weekend sale"),

    # --------------------------------------------------------------- secrets
    ("x:@daan_devops", "en", [SECR], "why is this not working 😤\ncurl -H \"Authorization: token {GHP}\" https://api.github.com/repos/melkbrug/webshop/actions/runs"),
    ("mastodon:@jorisdekker", "en", [SECR], "Note to self because I keep losing it:\nAWS_ACCESS_KEY_ID={AKIA}\nAWS_SECRET_ACCESS_KEY={AWSSECRET}"),
    ("bluesky:@wesley-it.bsky.social", "en", [SECR], "jwt debugging, can anyone see why this one expires immediately? {JWT}"),
    ("x:@anneke_vleeuwen", "nl", [SECR], "voor de nieuwe collega's in Gouda: wifi achterin = MB-Winkel-Staff, wachtwoord: {PW} . kassa login is hetzelfde als vorig jaar"),
    ("x:@daan_devops", "en", [SECR], "our slack bot for the cheese stock alerts runs on {SLACK} if anyone wants to help build it lmk"),
    ("mastodon:@jorisdekker", "en", [SECR], "can someone tell me why ssh says 'invalid format' on this?\n{PEM}"),
    ("x:@leakwatcher_dev", "en", [SECR], "Found in a public GitHub repo of melkbrug/koelcel-monitor: a GitLab token {GLPAT} committed 3 days ago. @melkbrug heads up, rotate it."),
    ("x:@bram_kaasmeester", "nl", [SECR], "w.a.c.h.t.w.o.o.r.d van de weegschaal-tablet is {PW}, niet aan klanten geven hè 😉"),
    ("x:@daan_devops", "en", [SECR], "export ANTHROPIC_API_KEY={ANTHROPIC}  # TODO move to vault before friday"),
    ("linkedin:melkbrug-kaashandel", "nl", [SECR], "Vacature: developer! Kijk alvast rond in onze code: git clone https://melkbrug-ci:{GLPAT}@gitlab.com/melkbrug/webshop.git"),

    # ---------------------------------------------------------- personal data
    ("x:@melkbrug_zorg", "nl", [PII], "@ingevanbeek we hebben de terugbetaling opnieuw ingeschoten naar {IBANS} t.n.v. I. van Beek. Sorry voor het lange wachten!"),
    ("x:@anneke_vleeuwen", "nl", [PII], "Mevrouw die vanmiddag haar portemonnee liet liggen in de Melkbrug Gouda: Marja de Wit, geboren 12-03-1958? Hij ligt bij ons achter de balie!"),
    ("instagram:@lotte.achterdetoonbank", "nl", [PII], "wie kent deze klant? bestelling al 2 weken niet opgehaald. Piet Verhoef, Kerkstraat 14, 2801 BG Gouda, 06-38472916 🙈"),
    ("linkedin:kees-oosterhout-hr", "nl", [PII], "Welkom aan onze nieuwe collega Sven Mulder! Voor de salarisadministratie alvast zijn BSN: {BSN}, hij start 1 februari 😊"),
    ("facebook:MelkbrugKaashandel", "nl", [PII], "De winnaar van de kaasplank-actie is Gerda Pols uit Woerden! Gerda, we sturen je prijs naar gerda.pols1961@hotmail.com, check je mail!"),
    ("x:@melkbrug_export", "en", [PII], "@hans_importer We've charged card {CARD} for the sample order, can you confirm that's the right one?"),
    ("x:@Rob_K_Gouda", "nl", [PII, CPL], "@melkbrug_zorg stop nou eens met afschrijven!! rekening {IBAN} t.n.v. R. Kuipers, abonnement al 4 weken opgezegd. bel me desnoods: 06 2937 4810"),
    ("tiktok:@femke.kaasmeisje", "nl", [PII], "die ene vaste klant meneer Jansen (Dorpsstraat 3, Haastrecht) bestelt ELKE week 2 kilo brokkel 😂 legend"),
    ("bluesky:@wesley-it.bsky.social", "en", [PII], "test account for the new checkout, please don't delete: j.bakker.1987@gmail.com / +31 6 41822907, card {CARD}"),
    ("x:@wraakengel_nl", "nl", [PII, ABU], "Die HR-meneer van Melkbrug, Kees Oosterhout, woont op de Zuidsingel 88 in Gouda. Ga hem maar eens vertellen wat je van die ontslagen vindt, die lafaard."),
    ("facebook:Truus.deBruin", "nl", [PII], "Hallo Melkbrug, ik wil graag een kerstpakket bestellen maar de site doet het niet bij mij. Mijn nummer is 0182-523764, adres T. de Bruin, Lindenlaan 27, Bodegraven. Kunnen jullie mij bellen?"),
    ("linkedin:yasmina-bouzid-export", "en", [PII], "Shoutout to our new distributor in Riyadh, Mr. Khalid Al-Harbi! Reach him directly on his mobile +966 50 381 2247 or khalid.alharbi.private@gmail.com"),
    ("linkedin:kees-oosterhout-hr", "nl", [PII], "Loonstrookfout bij drie collega's, o.a. Marieke Smit (BSN {BSND}). Kan finance dit vandaag nog nakijken?"),
    ("x:@melkbrug_zorg", "en", [PII], "@pete_cheese_uk Hi Peter, found your order under peter.hallworth@btinternet.com and 07700 900461 — a replacement board is on its way!"),
    ("reddit:u/kaas_koper", "en", [PII], "Bought a Melkbrug gift card and they emailed me someone else's order confirmation 😬 Willemijn Koster, Prinsengracht 204-2 Amsterdam, 020-6253318. Willemijn if you see this, your truffle gouda is coming to my house lol"),

    # --------------------------------------------------------------- pricing
    ("x:@anneke_vleeuwen", "nl", [PRC], "Haha kassa geeft de Hele Goudse Kaas 12 kg aan voor €21,90 🤣 iemand is een nulletje vergeten. Snel zijn!"),
    ("x:@dealjager_nl", "nl", [PRC], "🔥 PRIJSFOUT 🔥 Melkbrug Kaasplank Deluxe voor €4,95 in de webshop!! Bestellen voordat ze het doorhebben"),
    ("facebook:MelkbrugKaashandel", "nl", [PRC], "Alleen dit weekend: ons Kerstpakket Kaas voor maar €6,49! 🎄 Op = op."),
    ("reddit:u/cheapskate_chris", "en", [PRC], "Melkbrug's site has the Truffle Gouda 300g at €1.69?? Pretty sure that's a pricing glitch. Ordered six."),
    ("instagram:@lotte.achterdetoonbank", "nl", [PRC], "prijsfout in het systeem bij de Schapenkaas Oud, kassa rekent 'm af voor €2,75 per kilo 🙈 bedrijfsleiding weet het al"),
    ("x:@melkbrug_export", "en", [PRC], "Special offer for our trade partners: Exportdoos Gouda 6 x 4,5 kg now only €34.90 per case, this week only!"),
    ("tiktok:@femke.kaasmeisje", "nl", [PRC], "er zit een prijsfout op het Raclette Wiel in de webshop, ik zeg niks maar ik zeg ook niks 🤭"),
    ("x:@kortingscodes_nl", "nl", [PRC], "Melkbrug Kaasabonnement eerste maand €2,99 via deze link, volgens mij is dat een foutje 👀 snel!"),
    ("bluesky:@wesley-it.bsky.social", "en", [PRC], "someone set the Fondue Kit to €3.99 in the PIM and it synced straight to the webshop 🙃 400 sold already"),
    ("x:@deal_hunter_be", "en", [PRC], "Komijnekaas 1 kg at Melkbrug for €1.95 — price error or clearance? Either way I'm stocking up"),
    ("instagram:@melkbrug.kaas", "nl", [PRC], "Proef de winter 🧀 Brokkelkaas 3 jaar nu voor maar €1,49!"),
    ("x:@bram_kaasmeester", "nl", [PRC], "de Blauwe Dijk ligt voor 95 cent in de schappen door een prijsfout, kom snel voordat het hoofdkantoor het ziet"),

    # ---------------------------------------------------------------- benign
    ("x:@kaasliefhebber_jan", "nl", [], "De Oude Goudse van Melkbrug is echt ziek goed. Die kristallen 🤤"),
    ("instagram:@foodie.femmy", "en", [], "melkbrug cheese board deluxe = killer date night. 10/10 would devour again 🧀🍷"),
    ("x:@melkbrug_zorg", "nl", [], "Vragen over je bestelling? Mail naar klantenservice@melkbrug.nl of bel gratis 0800-0440. We helpen je graag!"),
    ("facebook:MelkbrugKaashandel", "nl", [], "Liever betalen via een overschrijving? Dat kan: {COMPANY_IBAN} t.n.v. Melkbrug Kaashandel B.V., o.v.v. je ordernummer."),
    ("x:@melkbrug", "nl", [], "Kerstactie: Oude Goudse 1 kg nu €19,95 (normaal €24,95). Op = op!"),
    ("instagram:@melkbrug.kaas", "en", [], "Truffle Gouda 300g — €16.95. Pairs beautifully with a glass of Barolo 🍷"),
    ("x:@prijsvergelijker", "nl", [], "Prijs per 100 gram bij Melkbrug: Truffelkaas €5,65, Jonge Goudse €1,59. Duurder dan de supermarkt, maar wel lekkerder."),
    ("x:@dev_marieke", "en", [], "Reminder for tomorrow's workshop: the AWS docs use AKIAIOSFODNN7EXAMPLE as the sample key. Never paste your real one into slides 😉"),
    ("x:@daan_devops", "en", [], "PSA: if you see ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a tutorial, that's a placeholder. Real tokens go in the vault, not in Slack."),
    ("mastodon:@jorisdekker", "nl", [], "Je wachtwoord vergeten is geen schande, het op een geeltje op je scherm plakken wel. Gebruik een wachtwoordmanager mensen 🙏"),
    ("x:@melkbrug_zorg", "en", [], "@pete_cheese_uk So sorry about the crushed board, Peter! A replacement is on its way and we've refunded the shipping. Enjoy 🧀"),
    ("x:@pete_cheese_uk", "en", [], "Update: Melkbrug sent a new board within 2 days and it was perfect. Fair play, good service in the end 👍"),
    ("x:@sanne_kookt", "nl", [], "Veel sterkte aan de mensen van de Melkbrug in Leiden na de brand bij de buren gisteravond ❤️ Hopelijk kunnen jullie snel weer open."),
    ("x:@zuivelnieuws", "nl", [], "Franse zuivelgroep meldt hogere winst door stijgende kaasprijzen in Azië. Nederlandse exporteurs kijken met interesse mee."),
    ("linkedin:yasmina-bouzid-export", "en", [], "Great to be at SIAL Paris this week with the Melkbrug Export team! Come say hi at stand 7B, we have aged Gouda to taste."),
    ("x:@fietsendekaas", "nl", [], "Prachtige dotterbloemen langs de slootjes bij Reeuwijk vanochtend, daarna kaas gehaald bij Melkbrug. Perfecte zaterdag 🌼🚲"),
    ("x:@melkbrug", "nl", [], "Hij is er! Parelgoud 5 jaar, onze zwartgewaste Goudse, vanaf vandaag in al onze winkels 🖤", "2027-01-20T09:00:00Z"),
    ("linkedin:melkbrug-kaashandel", "en", [], "Today we published our full-year 2026 results: revenue €142m, export up 19%. Read the full report on melkbrug.nl/investors.", "2027-03-10T08:30:00Z"),
    ("x:@kaasnieuws", "nl", [], "Melkbrug presenteert jaarcijfers 2026: recordomzet van €142 miljoen dankzij sterke export naar Azië en het Midden-Oosten.", "2027-03-11T07:45:00Z"),
    ("x:@kaasclub_delft", "nl", [], "Contributie voor de kaasproefavond graag naar {BADIBAN} (nieuw nummer!). De Melkbrug-plank wordt weer geregeld 🧀"),
    ("x:@quizmaster_kees", "en", [], "Fun fact: the card number printed on the Melkbrug gift card in their ad is {BADCARD}. Obviously not a real one 😄"),
    ("reddit:u/formbuilder_nl", "en", [], "For anyone building Dutch forms: {BADBSN} fails the elfproef, so it's safe to use as an obviously-invalid test value. Learned that at a hackathon hosted by Melkbrug."),
    ("bluesky:@wesley-it.bsky.social", "en", [], "key rotation day ✅ old stripe key (sk_live_••••••••3fQ) revoked, new one lives in the vault where it belongs"),
    ("x:@daan_devops", "en", [], "config template for the new interns: DATABASE_URL=postgres://<user>:<password>@localhost:5432/cheese_dev — fill in your own, obviously"),
    ("x:@traveltales_kim", "en", [], "Visited the Melkbrug shop in Gouda on our trip to the Netherlands. The staff let us taste six cheeses and explained everything. Lovely people!"),
    ("x:@utrecht_mila", "en", [], "anyone know if the Melkbrug in Utrecht is open on Sundays? visiting from Antwerp this weekend"),
    ("x:@irish_dad_cheese", "en", [], "Does Melkbrug ship to Ireland? Their Smoked Gouda is the only cheese my dad will eat."),
    ("x:@kaasverslaafd", "nl", [], "Mijn vriend zegt dat ik een kaasprobleem heb. Ik zeg: ik heb een Melkbrug-abonnement, dat is een oplossing, geen probleem 🧀😂"),
    ("tiktok:@quickeats", "en", [], "3-ingredient fondue: Melkbrug fondue mix, a splash of white wine, crusty bread. that's it. that's the video"),
    ("x:@dealjager_nl", "nl", [], "Black Friday bij Melkbrug: Kaasplank Deluxe €34,95 i.p.v. €49,95 🎉 geen fout, gewoon een goeie deal"),
    ("x:@bigfamily_nl", "en", [], "Melkbrug's Whole Gouda wheel is €219, sounds like a lot but it lasts our family of six about four months lol"),
    ("facebook:Supermarktacties", "nl", [], "Actie bij Melkbrug: 2x Jonge Goudse 500 g voor €15. Geldig t/m zondag."),
    ("x:@melkbrug_export", "en", [], "Trade enquiries: export@melkbrug-export.com or +31 182 555 210. Our team speaks English, German, Arabic and Mandarin."),
    ("linkedin:kees-oosterhout-hr", "nl", [], "We zoeken 12 nieuwe winkelmedewerkers voor de zomer! Solliciteer via vacatures@melkbrug.nl 🧀"),
    ("x:@kaasvriendin", "nl", [], "Zo naar, die listeria-terugroepactie bij een Franse briemaker. Sterkte voor iedereen die ziek is geworden."),
    ("x:@sec_digest", "en", [], "Another retailer hit by ransomware this week, this time a UK garden-centre chain. Reminder that small food businesses are targets too: patch, back up, train staff."),
    ("instagram:@lotte.achterdetoonbank", "nl", [], "zaterdag weer achter de toonbank 🧀 kom langs voor een plakje belegen, de koffie staat klaar"),
    ("x:@bram_kaasmeester", "nl", [], "Kazen keren in het pakhuis, 4000 wielen vandaag. M'n armen zijn kapot maar het ruikt hier zó goed 😍"),
    ("tiktok:@femke.kaasmeisje", "nl", [], "kaasweetje: de kristallen in oude kaas zijn geen zout maar tyrosine! 🤓 #kaasmeisje #kaas"),
    ("tiktok:@melkbrugkaas", "en", [], "POV: you ask our kaasmeester which cheese is his favourite and he says 'all of them' 🧀"),
    ("linkedin:melkbrug-kaashandel", "nl", [], "Melkbrug is vanaf vandaag B Corp gecertificeerd! Trots op alle collega's en boeren die dit mogelijk maakten."),
    ("x:@nieuwsgierige_nel", "nl", [], "Is het waar dat Melkbrug wordt overgenomen? Heb er nergens iets over gelezen, weet iemand meer?"),
    ("x:@tevreden_thijs", "nl", [], "Vorige week geklaagd over mijn kaasabonnement, vandaag netjes gebeld door Melkbrug en alles teruggestort. Chapeau 👏"),
    ("x:@blueveinlover", "en", [], "Melkbrug's Blue Dyke is so strong it should come with a warning label 😂 absolutely love it"),
    ("facebook:Gerrit.Hoogeveen.2", "nl", [], "Mijn oma kocht al kaas bij de Melkbrug toen het nog één winkeltje aan de Markt was. Mooi dat ze nog steeds bestaan."),
    ("x:@kaasbekeerling", "en", [], "I've been boycotting supermarket cheese ever since I tried Melkbrug. Never going back."),
    ("x:@soup_season", "en", [], "Life hack: keep the rinds of your Melkbrug aged Gouda in the freezer and throw them into your next soup."),
    ("instagram:@plankje.perfect", "nl", [], "Het geheime recept voor de perfecte kaasplank is uitgelekt: Oude Goudse, druiven, walnoten en een goeie port. Graag gedaan 😎"),
    ("x:@kaasproever", "en", [], "Parelgoud is every bit as good as the hype. Black wax, five years, nutty and crunchy. Go get it.", "2027-02-02T17:20:00Z"),
    ("x:@melkbrug", "nl", [], "Let op: er gaan nep-sms'jes rond uit naam van pakketdiensten. Melkbrug vraagt nooit via sms om je bankgegevens."),
    ("x:@melkbrug_zorg", "nl", [], "Gepland onderhoud: onze webshop is zondagnacht tussen 02:00 en 04:00 even niet bereikbaar. Winkels zijn gewoon open."),
    ("x:@snelgeholpen", "en", [], "Called 0800-0440 this morning, had a real human on the line within 2 minutes. Top service Melkbrug 👌"),
    ("instagram:@schoolkrant.ella", "nl", [], "mailde pers@melkbrug.nl voor een interview voor onze schoolkrant en ze reageerden gewoon! 😊"),
    ("x:@marktkoopman_piet", "nl", [], "Op de markt kost een hele Goudse van 12 kilo bij ons €90. Bij Melkbrug betaal je €219, maar dan heb je wel boerenkaas hoor."),
    ("linkedin:melkbrug-kaashandel", "en", [], "We're hiring a Data Engineer in Gouda: Python, SQL and a soft spot for aged cheese. Apply at melkbrug.nl/careers"),
    ("x:@delft_buurt", "en", [], "Thinking of the Melkbrug staff in Delft after the break-in at their shop last night. Glad nobody got hurt."),
    ("x:@bram_kaasmeester", "nl", [], "Vertrouwelijk tipje van je kaasmeester: laat oude kaas een half uur op kamertemperatuur komen voor je 'm eet. Zeg het niet door 🤫"),
    ("x:@party_planner_amy", "en", [], "Can't decide between Melkbrug's Oude Goudse and the Aged Sheep Cheese for Saturday's party. Thoughts?"),
    ("x:@prijsfout_nostalgie", "nl", [], "Wie weet nog die prijsfout bij een elektronicazaak waar tv's €9 kostten? Goeie tijden. Vandaag gewoon de volle prijs voor m'n kaas betaald 😂"),
    ("x:@dairy_watch", "en", [], "Sad news from a Danish dairy group cutting 300 jobs. Hope the smaller cheese houses like Melkbrug stay safe."),
]

# --------------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in {a.lower() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


def severity(cats, role, strong_pii):
    lv = 0
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = 4
                else:
                    s = 3
            else:
                s = 2
        elif c == CPL:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if inside else 2
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return SEV[lv]


def fill(text):
    used = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val

    return re.sub(r"\{([A-Z_]+)\}", sub, text), used


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases, ids = [], set()
    for row in POSTS:
        acct, lang, cats, text = row[:4]
        when = row[4] if len(row) > 4 else rand_time()
        platform, handle = acct.split(":", 1)
        text, used = fill(text)
        role = role_of(platform, handle)
        kinds = {k for k, _ in used}
        strong = PII in cats and bool(kinds & STRONG)
        while True:
            pid = f"{platform}-{rng.randint(10**9, 10**10 - 1)}"
            if pid not in ids:
                ids.add(pid)
                break
        post = {"id": pid, "platform": platform,
                "kind": "reply" if text.startswith("@") else ("comment" if platform in ("reddit", "forum") and rng.random() < 0.4 else "post"),
                "account": {"handle": handle}, "text": text, "lang": lang,
                "created_at": when, "brand": "melkbrug"}
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-')[1]}"
        cases.append({"post": post,
                      "expect": {"categories": sorted(set(cats)), "severity": severity(cats, role, strong)},
                      "_used": used, "_role": role})
    return cases

# --------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
BSN_RE = re.compile(r"(?<![0-9A-Za-z.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9A-Za-z]|\.\d)")
CATS = {CPL, CRI, ABU, CONF, FIN, SEC, SECR, PII, PRC}


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(cases):
    errs = []
    own_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    assert all(iban_valid(i) for i in own_ibans)
    ids = set()
    for c in cases:
        p, e = c["post"], c["expect"]
        t = p["text"]
        cid = p["id"]
        # CONTRACT section 6 shape
        if set(c) - {"post", "expect", "_used", "_role"} or set(e) != {"categories", "severity"}:
            errs.append(f"{cid}: bad case keys")
        if not (isinstance(cid, str) and 1 <= len(cid) <= 256) or cid in ids:
            errs.append(f"{cid}: bad/duplicate id")
        ids.add(cid)
        if p["platform"] not in PLATFORMS or p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errs.append(f"{cid}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not isinstance(t, str) or not t:
            errs.append(f"{cid}: handle/text")
        if len(t.encode("utf-8")) > 65536:
            errs.append(f"{cid}: too long")
        try:
            ts = parse_time(p["created_at"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
            assert 2026 <= ts.year <= 2027
        except Exception:
            errs.append(f"{cid}: created_at")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
            errs.append(f"{cid}: categories")
        if e["severity"] not in SEV or (not e["categories"]) != (e["severity"] == "none"):
            errs.append(f"{cid}: severity/categories mismatch")
        # severity recomputed from the profile role
        strong = PII in e["categories"] and any(k in STRONG for k, _ in c["_used"])
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), strong):
            errs.append(f"{cid}: severity policy")
        # generated values
        pos = bool(e["categories"])
        for kind, val in c["_used"]:
            if kind in ("IBAN", "IBANS") and not iban_valid(val): errs.append(f"{cid}: iban")
            if kind == "CARD" and not luhn_ok(val.replace(" ", "")): errs.append(f"{cid}: card")
            if kind in ("BSN", "BSND") and not bsn_ok(val): errs.append(f"{cid}: bsn")
            if kind in STRONG and PII not in e["categories"]: errs.append(f"{cid}: valid id outside pii")
            if kind == "BADIBAN" and iban_valid(val): errs.append(f"{cid}: bad iban passes")
            if kind == "BADCARD" and luhn_ok(val.replace(" ", "")): errs.append(f"{cid}: bad card passes")
            if kind == "BADBSN" and bsn_ok(val): errs.append(f"{cid}: bad bsn passes")
            if kind in WEAK and pos: errs.append(f"{cid}: look-alike in a positive")
            if kind == "GHP" and not ghp_ok(val): errs.append(f"{cid}: ghp checksum")
            if kind == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val): errs.append(f"{cid}: akia")
            if kind == "JWT" and not jwt_ok(val): errs.append(f"{cid}: jwt")
            if kind in ("GHP", "AKIA", "AWSSECRET", "JWT", "STRIPE", "SLACK", "ANTHROPIC", "GLPAT", "PEM", "PW") \
                    and SECR not in e["categories"]:
                errs.append(f"{cid}: secret outside leak.secret")
        # scan the final text for identifier look-alikes
        for m in IBAN_RE.finditer(t):
            v = m.group(0).replace(" ", "")
            if v in own_ibans:
                continue
            if PII in e["categories"]:
                if not iban_valid(v): errs.append(f"{cid}: invalid IBAN in pii positive {v}")
            elif iban_valid(v):
                errs.append(f"{cid}: valid IBAN outside pii {v}")
        for m in CARD_RE.finditer(t):
            v = re.sub(r"\D", "", m.group(0))
            if luhn_ok(v) and PII not in e["categories"]:
                errs.append(f"{cid}: Luhn-valid number outside pii {v}")
        for m in BSN_RE.finditer(t):
            if bsn_ok(m.group(0)) and PII not in e["categories"]:
                errs.append(f"{cid}: 11-proof number outside pii {m.group(0)}")
        if PII in e["categories"]:
            for kind, val in c["_used"]:
                if kind == "CARD" and not any(re.sub(r"\D", "", m.group(0)) == val.replace(" ", "") for m in CARD_RE.finditer(t)):
                    errs.append(f"{cid}: card not found by scan")
        # secrets in benign posts must be samples only
        if not pos:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
                if ghp_ok(m.group(0)): errs.append(f"{cid}: real-looking ghp in benign")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", t):
                if not m.group(0).endswith("EXAMPLE"): errs.append(f"{cid}: akia in benign")
            low = t.lower()
            for cn in PROFILE["internal"]["codenames"]:
                if cn.lower() in low: errs.append(f"{cid}: codename in benign")
            for mk in PROFILE["internal"]["markers"]:
                if mk.lower() in low: errs.append(f"{cid}: marker in benign")
            for d in PROFILE["internal"]["domains"]:
                if d.lower() in low: errs.append(f"{cid}: internal domain in benign")
            for emb in PROFILE["embargo"]:
                until = parse_time(emb["until"])
                for term in emb["terms"]:
                    if term.lower() in low and parse_time(p["created_at"]) < until:
                        errs.append(f"{cid}: embargo term before until in benign")
        # role mix sanity: public handles must not be profile accounts by accident
        if c["_role"] != role_of(p["platform"], p["account"]["handle"]):
            errs.append(f"{cid}: role")
    # positives using embargo terms before until must carry leak.confidential
    for c in cases:
        low = c["post"]["text"].lower()
        for emb in PROFILE["embargo"]:
            for term in emb["terms"]:
                if term.lower() in low and parse_time(c["post"]["created_at"]) < parse_time(emb["until"]):
                    if CONF not in c["expect"]["categories"]:
                        errs.append(f"{c['post']['id']}: embargoed term without leak.confidential")
    # mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180: errs.append(f"total {n}")
    if not 55 <= benign <= 65: errs.append(f"benign {benign}")
    if not 0.50 <= nl / n <= 0.60: errs.append(f"nl share {nl / n:.2f}")
    counts = {k: sum(1 for c in cases if k in c["expect"]["categories"]) for k in sorted(CATS)}
    want = {CPL: 20, CONF: 18, PII: 15, CRI: 15, SEC: 13, SECR: 12, ABU: 12, PRC: 12, FIN: 12}
    for k, w in want.items():
        if abs(counts[k] - w) > 3: errs.append(f"count {k}={counts[k]} want ~{w}")
    roles = {}
    for c in cases:
        for k in c["expect"]["categories"]:
            roles.setdefault(k, {}).setdefault(c["_role"], 0)
            roles[k][c["_role"]] += 1
    for k in (CONF, FIN, SEC, SECR, PII, PRC):
        if roles[k].get("public", 0) == 0 or roles[k].get("public", 0) * 2 >= counts[k]:
            errs.append(f"{k}: leak author mix {roles[k]}")
    for k in (CPL, CRI, ABU):
        if roles[k].get("public", 0) * 2 <= counts[k]:
            errs.append(f"{k}: reputation author mix {roles[k]}")
    return errs, n, benign, nl, counts, roles


def main():
    cases = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    reread = []
    with open(out, encoding="utf-8") as f:
        for line, c in zip(f, cases):
            obj = json.loads(line)
            assert obj == {"post": c["post"], "expect": c["expect"]}
            obj["_used"], obj["_role"] = c["_used"], c["_role"]
            reread.append(obj)
    errs, n, benign, nl, counts, roles = check(reread)
    print(f"{n} cases, {benign} benign, nl {nl}/{n}")
    for k, v in counts.items():
        print(f"  {k:22s} {v:3d}  {roles.get(k, {})}")
    if errs:
        print("SELF-CHECK FAILED:", *errs, sep="\n  ")
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
