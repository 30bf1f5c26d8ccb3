#!/usr/bin/env python3
"""Sealed evaluation set 500 for postwatch: Umiko Sushi Bezorging B.V. (fictional).

Deterministic: a fixed seed drives every generated identifier, credential, date
and the case order. Writes cases.jsonl next to this file and self-checks it.
Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand.
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
rng = random.Random(500_2026)

# --------------------------------------------------------------------------
# generators: identifiers and credentials built like the real ones
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B32 = string.ascii_uppercase + "234567"


def _rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _group(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(grouped=False):
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"])
    bban = bank + _rand(string.digits, 10)
    s = "NL" + _iban_check("NL", bban) + bban
    assert iban_valid(s)
    return _group(s) if grouped else s


def iban_bad(grouped=True):
    s = iban()
    while True:
        cd = "%02d" % rng.randint(2, 98)
        bad = s[:2] + cd + s[4:]
        if not iban_valid(bad):
            return _group(bad) if grouped else bad


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def _luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c


def card(sep=" "):
    head = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = head + _rand(string.digits, 15 - len(head))
    num = body + _luhn_digit(body)
    assert luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def card_bad(sep=" "):
    num = card("").replace(" ", "")
    last = str((int(num[-1]) + rng.randint(1, 9)) % 10)
    bad = num[:-1] + last
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and int(d) != 0


def bsn():
    while True:
        first = _rand("123456789", 1) + _rand(string.digits, 7)
        s = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            v = first + str(s)
            assert bsn_ok(v)
            return v


def bsn_bad():
    v = bsn()
    bad = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(bad)
    return bad


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp"):
    body = _rand(B62, 30)
    return "%s_%s%s" % (prefix, body, b62(zlib.crc32(body.encode())).rjust(6, "0"))


def gh_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def aws_key():
    return "AKIA" + _rand(B32, 16)


def aws_secret():
    return _rand(ALNUM + "/+", 40)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "cust_" + _rand(string.digits, 7), "role": "customer",
               "iss": "https://api.umiko.nl", "iat": iat, "exp": iat + 3600}
    body = _b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def stripe_live():
    return "sk_live_" + _rand(ALNUM, 24)


def slack_bot():
    return "xoxb-%s-%s-%s" % (_rand(string.digits, 12), _rand(string.digits, 13), _rand(ALNUM, 24))


def openai_key():
    part = ALNUM + "_-"
    return "sk-proj-" + _rand(part, 74) + "T3BlbkFJ" + _rand(part, 74)


def anthropic_key():
    return "sk-ant-api03-" + _rand(ALNUM + "_-", 93) + "AA"


def openssh_key():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    blob = head + _rand(ALNUM + "+/", 70 * 4 - len(head) + 30)
    lines = [blob[i:i + 70] for i in range(0, len(blob), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = _rand(ALNUM + "!#%*?-", n)
        if any(c.isdigit() for c in p) and any(c.isupper() for c in p) and any(c.islower() for c in p):
            return p


def mobile(style):
    d = "6" + _rand(string.digits, 8)
    if style == "dash":
        return "0" + d[:1] + "-" + d[1:]
    if style == "spaced":
        return "06 %s %s %s %s" % (d[1:3], d[3:5], d[5:7], d[7:9])
    if style == "intl":
        return "+31 6 %s %s" % (d[1:5], d[5:])
    if style == "intl2":
        return "+316%s" % d[1:]
    return "0" + d


def landline():
    return "010-%s" % _rand(string.digits, 7)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
SEC, PII, PRICE, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                     "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(cats, who, text, lang, kind="post", at=None, brand=None):
    platform, handle = who.split(":", 1)
    CASES.append({"cats": sorted(set(cats)), "platform": platform, "handle": handle,
                  "text": text, "lang": lang, "kind": kind, "at": at, "brand": brand})


# ---- complaints ----------------------------------------------------------
add([COMPL], "x:@roosjeee",
    "@umiko_help bestelling om 18:40 geplaatst, om 20:05 eindelijk hier. alles koud, de misosoep lauw "
    "en de rijst plakte aan het deksel. echt niet oké voor bijna 40 euro 😤", "nl", kind="reply")
add([COMPL], "x:@jamie_eats",
    "ordered the Party Mix 24 from @umiko_nl and got zero gyoza and no soy sauce. like... the ONE thing "
    "you need with sushi?? third time this month", "en")
add([COMPL], "instagram:@foodie_fenna",
    "I specifically ordered the Green Garden because I'm vegetarian and there was salmon in it. Found "
    "out halfway through 🙄 would like an answer @umikosushi", "en", kind="comment")
add([COMPL], "x:@tdekker88",
    "Umiko app crasht elke keer bij het afrekenen en nu is er 2x €41,60 van mijn rekening afgeschreven. "
    "Bestelling nooit aangekomen. Wie gaat me helpen?", "nl", brand="Umiko")
add([COMPL], "reddit:u/lowtide_larry",
    "3 weeks and still no refund from Umiko for an order that never showed up. Every chat ends with "
    "\"we've escalated your case\". Escalated to where, the moon?", "en")
add([COMPL], "facebook:Marieke Hoekstra",
    "Jullie bezorger gooide de tas gewoon over het hek en reed weg zonder aan te bellen. Doos open, "
    "sushi over de tegels. Dit kan echt beter Umiko.", "nl", kind="comment")
add([COMPL], "tiktok:@kaylaa.xo",
    "rijst was zo hard als grind lol. 17 euro voor crunchy sushi die niet crunchy hoort te zijn 🙃 "
    "#umiko #nooitmeer", "nl")
add([COMPL], "threads:@bramm",
    "Trying to cancel Umiko Unlimited for the 4th time. The button just loops back to the "
    "'are you sure? 🍣' page. That's a dark pattern and you know it.", "en")
add([COMPL], "reddit:u/sushi_skeptic",
    "Anyone else notice Umiko has gone downhill? Two years ago the Sashimi Deluxe was thick cuts, "
    "properly fresh, worth every cent. My last three orders: paper-thin slices, fish going grey at the "
    "edges, rice in one solid clump. Same price. I emailed twice, got a 10% coupon and nothing changed. "
    "Done with them tbh.", "en")
add([COMPL], "x:@mvdlinden",
    "Bezorger staat bij het verkeerde huisnummer, zet mijn bestelling op 'bezorgd' en weg is ie. Zit "
    "hier met een lege maag en een app die zegt dat ik aan het eten ben. @umiko_help", "nl")
add([COMPL], "x:@gijsbertt",
    "wachtt nu al 2 uur op me bestelling en de tracker zegt steeds 'bijna bij je' ... ja hoor umiko, "
    "bijna dus. nooit weer", "nl")
add([COMPL], "facebook:Priya Raghoenath",
    "Vroeger zaten er 12 stuks in de Salmon Lover Box, vanavond tel ik er 10. Zelfde prijs. Denken "
    "jullie echt dat we niet kunnen tellen? 🤨", "nl", kind="comment")
add([COMPL], "forum:Kleine_Haring",
    "Klantenservice van Umiko is gewoon onbereikbaar. Telefonisch 40 minuten in de wacht, daarna "
    "verbinding verbroken. Mail: automatisch antwoord. Chat: 'buiten openingstijden' om 19u op een "
    "zaterdag. Hoe dan??", "nl")

# ---- crisis (+ complaint when first-hand harm) ---------------------------
add([CRISIS, COMPL], "x:@noaa_vd",
    "Gisteravond Sashimi Deluxe van Umiko gegeten en de hele nacht boven de wc gehangen. Mijn vriend "
    "ook. Vis was echt niet goed. Huisarts denkt voedselvergiftiging 🤢", "nl")
add([CRISIS, COMPL], "instagram:@mila.eats.ams",
    "Found a piece of GLASS in my Poke Tonijn from @umikosushi. Cut the inside of my lip, actual "
    "blood. I kept the box and the shard. How does this even happen??", "en")
add([CRISIS, COMPL], "facebook:Joost Brouwer",
    "Onze dochter heeft een notenallergie en kreeg een heftige reactie na de Green Garden Box. Er bleek "
    "pindasaus op te zitten die NIET op de allergenenlijst staat. EpiPen gezet, avond op de SEH. Umiko, "
    "dit had heel anders kunnen aflopen.", "nl")
add([CRISIS, COMPL], "x:@lucas_rtm",
    "the Umiko rider's e-bike battery started smoking right at my front door, then it literally burst "
    "into flames. my kid was standing next to it. nobody from @umiko_nl has called me back", "en")
add([CRISIS], "x:@rotterdam_zuid_nieuws",
    "NVWA sluit keuken van Umiko in Rotterdam-Zuid na vondst van muizen en vervuilde snijplanken. "
    "Bezorgen vanuit die locatie is per direct stilgelegd. (via Rijnmond)", "nl", kind="repost")
add([CRISIS], "x:@fairrides_nl",
    "Umiko riders take home less than €6/hour after costs. Until that changes: don't order. "
    "#BoycottUmiko #FairPay", "en")
add([CRISIS], "linkedin:erik-smeets-4b2",
    "De bond stapt naar de rechter: volgens de FNV zijn ruim 900 Umiko-bezorgers schijnzelfstandig. "
    "De zaak dient in november bij de kantonrechter in Rotterdam. Benieuwd wat dit voor de hele "
    "sector betekent.", "nl")
add([CRISIS], "mastodon:@wouter@mastodon.social",
    "In onze buurtapp krijgen nu 7 mensen die bij Umiko bestelden een sms met hun naam, adres én "
    "laatste bestelling erin, plus een 'betaallink'. Dat haal je niet uit de lucht. Umiko heeft ergens "
    "een datalek en zegt niks.", "nl")
add([CRISIS], "bluesky:@sanne-r.bsky.social",
    "Reports from Utrecht: around 30 guests at a company party fell ill after Umiko catering, several "
    "ended up in hospital. GGD is investigating.", "en")
add([CRISIS], "x:@nieuwsflits010",
    "Terugroepactie: Umiko haalt de Mochi Trio (alle smaken) uit het assortiment na meldingen van "
    "metaaldeeltjes. Klanten wordt gevraagd het product niet te eten.", "nl")
add([CRISIS], "youtube:@FoodReviewNL",
    "Undercover bij Umiko: medewerkers laten zien hoe zalm die drie dagen over datum is opnieuw wordt "
    "ingevroren en gewoon de deur uit gaat. Volledige reportage staat online.", "nl")
add([CRISIS], "x:@daphne_kralingen",
    "Just watched an Umiko rider blow through a red light on the Oostzeedijk and clip a kid on a bike. "
    "Kid's ok-ish, rider didn't even stop. These guys are a danger.", "en")
add([CRISIS], "x:@n0_m0re_sushi",
    "#B0yc0ttUm1k0 — ze betalen hun bezorgers een hongerloon en wie klaagt vliegt eruit. Bestel er "
    "niet meer en deel dit!!", "nl")
add([CRISIS], "reddit:u/kitchenrat_ams",
    "Video going around shows an Umiko shift manager in Amsterdam screaming racial slurs at two "
    "kitchen workers. Company still silent 48 hours later.", "en")

# ---- abuse ---------------------------------------------------------------
add([ABUSE], "x:@henkie_r", "Umiko is gewoon een kutbedrijf. Stelletje oplichters met sojasaus.", "nl")
add([ABUSE, COMPL], "x:@Jess_T_Ldn",
    "@umiko_help you useless clowns. 90 minutes for cold rice and a copy-paste 'sorry for the "
    "inconvenience' DM. Shove your apology up your ass.", "en", kind="reply")
add([ABUSE], "instagram:@djayy010",
    "die bezorger van jullie in Crooswijk is echt een vieze kankerlijer met z'n domme kop", "nl",
    kind="comment")
add([ABUSE], "facebook:Gerard van Dam",
    "Stuur nou eens een normale Hollandse jongen in plaats van die buitenlanders die geen woord "
    "Nederlands spreken. Terug naar je eigen land.", "nl", kind="comment")
add([ABUSE], "x:@angrycarl_",
    "@lisa_vleeuwen your 'cute' marketing won't hide that Umiko is run by idiots. hope you choke on "
    "your own rice, clown", "en", kind="reply")
add([ABUSE], "x:@mo_rdam", fullwidth("umiko") + " " + fullwidth("stelletje oplichters en klootzakken"), "nl")
add([ABUSE], "tiktok:@brammie.vlogt",
    "umiko = k4nker b3drijf en die m4n4ger van jullie is een d0mme l00ser", "nl", kind="comment")
add([ABUSE], "x:@ruben_bezorgt",
    "die klant in Kralingen is echt een achterlijke mongool, 1 ster omdat het regende. ja sorry dat ik "
    "het weer niet regel", "nl")
add([ABUSE], "threads:@vera.mkt",
    "Umiko's CEO is a greedy pig who'd sell his own mother for another 2% margin. Disgusting man.", "en")
add([ABUSE], "x:@jorisvb",
    "Het hele Umiko-team mag wat mij betreft de tering krijgen. Ordinaire zakkenvullers.", "nl")
add([ABUSE], "x:@tobi_xx",
    "Umiko = s\u0441\u0430mm\u0435rs run by \u0456d\u0456\u043ets", "en")
add([ABUSE], "x:@umiko_help",
    "@henkie_r zeur niet zo man, sukkel. Bestel dan lekker ergens anders.", "nl", kind="reply")

# ---- pricing -------------------------------------------------------------
add([PRICE], "instagram:@umikosushi",
    "🎉 Vrijdagknaller: de Party Mix 48 vandaag voor maar €5,95! Alleen in de app, op = op 🍣", "nl")
add([PRICE], "x:@snelle_jelle",
    "PRIJSFOUT bij Umiko 😳 Family Feast staat in de app voor €4,49. Snel bestellen voor ze het "
    "doorhebben!!", "nl")
add([PRICE], "reddit:u/deal_hunter_nl",
    "Sashimi Deluxe listed at €2.75 on bestel.umiko.nl right now. Pretty sure it's a pricing glitch, "
    "ordered four anyway lol", "en")
add([PRICE], "x:@lisa_vleeuwen",
    "Kan iemand van webshop even kijken? Chef's Choice staat nu voor €9,00 op de site ipv €49. Er komen "
    "al bestellingen binnen 😬", "nl")
add([PRICE], "x:@koopjeskoningin",
    "prijsfout bij umiko!! dragon roll €1,39 😍😍 #prijsfout #koopje", "nl")
add([PRICE], "reddit:u/frugal_fries",
    "Umiko Unlimited is showing €0.99/month at checkout for me. Error or promo? Either way I locked "
    "in a year.", "en")
add([PRICE], "facebook:UmikoSushiNL",
    "Zelf sushi rollen met het hele gezin? 🍙 De Thuismaak Kit is deze week maar €12,95!", "nl")
add([PRICE], "tiktok:@daan.rijdt.umiko",
    "pssst 🤫 er zit een prijsfout in de app, Poke Tonijn kost nu €3,15. niet zeggen dat je het van "
    "mij hebt", "nl")
add([PRICE], "x:@ollie_bakes",
    "the Party Mix 24 rang up at €8.00 at checkout?? is that a bug or is it my birthday", "en")
add([PRICE], "instagram:@mama_van_3",
    "Kids Bento for €0.89?? pretty sure that's a mistake on Umiko's end but I ordered 3 anyway 😅",
    "en")
add([PRICE], "x:@cheapeats_ams",
    "There's a price error on the Salmon Lover Box in the Umiko app right now. Go go go before they "
    "fix it 🏃", "en")
add([PRICE], "linkedin:mehmet-yilmaz-umiko",
    "Beste franchisenemers: door een fout in de kassa-update van vanochtend rekent het systeem de "
    "Sashimi 18 af voor € 7,50. Graag handmatig corrigeren tot de fix er is.", "nl")

# ---- financial -----------------------------------------------------------
add([FIN], "linkedin:sophie-verbeek-finance",
    "Trots op dit team 💪 Tweede helft van het jaar +22% omzet t.o.v. vorig jaar en de EBITDA is "
    "eindelijk positief. Officieel komt het pas in maart naar buiten, dus voor nu even onder ons 😉",
    "nl", at="2027-01-20T08:14:00Z")
add([FIN], "x:@koen_umiko",
    "ok the rumour is true: we're being acquired by Hanabi Food Group. deal's signed, announcement in "
    "2 weeks. wild times", "en")
add([FIN, CONF], "linkedin:anouk-de-graaf-ops",
    "Zware week. Operatie Zeewier betekent dat we per april 4 keukens sluiten en ongeveer 60 fte "
    "afbouwen. Ik sta achter de collega's die het treft.", "nl")
add([FIN], "x:@vriendvanbinnen",
    "mate of mine works at Umiko HQ: big reorg coming, one in three kitchens is getting shut down. "
    "not announced yet, you heard it here first", "en")
add([FIN], "bluesky:@jvdmeer.bsky.social",
    "Board signed off on the €15M Series C with Noordzee Capital today. Not announced yet, so act "
    "surprised next month 🙃", "en")
add([FIN], "linkedin:mehmet-yilmaz-umiko",
    "Prognose Q1 2027 voor de franchisegroep: ca. 310k bestellingen, 14% onder budget. Houd hier "
    "alvast rekening mee in jullie personeelsplanning.", "nl", at="2026-11-19T10:02:00Z")
add([FIN], "linkedin:umiko-sushi-bezorging",
    "Update voor medewerkers: als onderdeel van het besparingsprogramma vervallen per 1 juni 45 "
    "functies op het hoofdkantoor. Leidinggevenden informeren de betrokkenen deze week.", "nl")
add([FIN], "instagram:@chef.hiro.tanaka",
    "last weeks with this crew 😢 they're closing the Amsterdam West kitchen and letting all of us go "
    "end of the month. nobody's been told officially yet so shhh", "en")
add([FIN, CONF], "linkedin:sophie-verbeek-finance",
    "De jaarcijfers 2026 zijn rond: 41,2 miljoen omzet en 1,8 miljoen nettowinst. Dank aan iedereen "
    "voor de lange avonden!", "nl", at="2027-02-10T16:40:00Z")
add([FIN], "reddit:u/former_umikoan",
    "Former Umiko office guy here. They're in talks to buy Rollz Antwerpen, LOI was signed in "
    "September. Expect an announcement around Q1.", "en")
add([FIN], "mastodon:@noor_dev@techhub.social",
    "salary freeze + hiring freeze announced internally today. apparently cash runway is ~7 months. "
    "cool cool cool", "en")
add([FIN], "tiktok:@daan.rijdt.umiko",
    "baas zei vandaag dat alle bezorgers in Q2 via een uitzendbureau moeten en dat de helft niet "
    "terugkomt. lekker dan 🙃", "nl")

# ---- confidential --------------------------------------------------------
add([CONF], "x:@koen_umiko",
    "deploying Kappa-7 to staging tonight 🚀 if it holds we can finally kill the old ordering app",
    "en")
add([CONF], "x:@lisa_vleeuwen",
    "sneak peek van onze lentecampagne 🌸🍣 (staat officieel nog op 'niet extern delen' maar ik kon "
    "het niet laten)", "nl")
add([CONF], "mastodon:@noor_dev@techhub.social",
    "can someone from platform review my MR? https://gitlab.umiko.nl/platform/checkout/-/merge_requests/412 "
    "🙏 it's blocking the release", "en")
add([CONF], "instagram:@umikosushi",
    "Er komt iets nieuws aan... 👀 Omakase Thuis, binnenkort bij jou op tafel. Stay tuned!", "nl",
    at="2026-12-18T17:00:00Z")
add([CONF], "x:@zus_van_jan",
    "Mijn zus werkt bij Umiko en zegt dat de Umiko Dragon Box half januari uitkomt, met wagyu nigiri 🤤",
    "nl", at="2027-01-08T21:12:00Z")
add([CONF], "instagram:@chef.hiro.tanaka",
    "testing recipes for Project Hamachi all day 🐟 can't say more yet, but Antwerp is going to love it",
    "en")
add([CONF], "linkedin:mehmet-yilmaz-umiko",
    "Bijgevoegd de nieuwe franchisehandleiding v3 (UMIKO CONFIDENTIAL). Feedback graag voor vrijdag.",
    "nl")
add([CONF], "linkedin:anouk-de-graaf-ops",
    "Collega's: de roosters voor week 12 staan op hr.umiko.local/rooster/week12, inloggen met je "
    "personeelsnummer.", "nl")
add([CONF], "x:@koen_umiko",
    "Kap\u200bpa-7 beta just went out on the closed Play Store track, 200 testers. feedback in the "
    "usual channel pls", "en")
add([CONF], "tiktok:@daan.rijdt.umiko",
    "om 14u meeting over O p e r a t i e  Z e e w i e r en niemand weet waar het over gaat 😂", "nl")
add([CONF], "x:@antwerp_foodie",
    "Heb gehoord dat Umiko met '\u0420r\u043e\u0458\u0435\u0441t \u041d\u0430m\u0430\u0441h\u0456' "
    "naar Antwerpen komt 👀", "nl")
add([CONF], "bluesky:@jvdmeer.bsky.social",
    "the new dashboards on grafana.ops.umiko.nl are gorgeous. whoever built the latency heatmaps: "
    "respect", "en")
add([CONF], "x:@umiko_help",
    "@tdekker88 we hebben je melding doorgezet naar het betaalteam, intern ticket: "
    "intra.umiko.local/tickets/88213. Je hoort binnen 48 uur van ons.", "nl", kind="reply")
add([CONF], "x:@ruben_bezorgt",
    "nieuwe bezorgapp Kappa-7 vandaag getest, de route-optimalisatie is echt 10x beter dan die oude meuk",
    "nl")
add([CONF], "x:@lisa_vleeuwen",
    "FY2026 results deck is in final review 👀 big morning coming up for the whole team", "en",
    at="2027-02-15T12:30:00Z")
add([CONF], "x:@koen_umiko",
    "alleen intern hoor, maar: per 1 mei nieuwe bezorgzones in Den Haag en Leiden", "nl")

# ---- security ------------------------------------------------------------
add([SECU], "bluesky:@jvdmeer.bsky.social",
    "long night. someone got into our order database through an old admin panel we forgot to shut "
    "down. ~40k customer records. legal is still drafting the statement so not public yet 😮‍💨", "en")
add([SECU], "x:@koen_umiko",
    "lol our payment page has been down for 3 hours and nothing's been said to customers yet. the "
    "iDEAL callbacks just aren't coming in", "en")
add([SECU], "mastodon:@noor_dev@techhub.social",
    "found an IDOR in our order API today: bump the order id by one and you get someone else's name + "
    "address. patch won't ship till monday 🙃", "en")
add([SECU], "linkedin:anouk-de-graaf-ops",
    "Ransomware op de kassasystemen in 6 vestigingen. We draaien vanavond op pen en papier. Graag nog "
    "niet naar buiten brengen.", "nl")
add([SECU], "tiktok:@daan.rijdt.umiko",
    "onze bezorgapp ligt sinds 15u plat, we krijgen de ritten via whatsapp 😭 kantoor zegt niks tegen "
    "klanten dus als je eten laat is: daarom", "nl")
add([SECU], "x:@umiko_nl",
    "Aan alle teams: door een phishingmail zijn 3 klantenservice-accounts overgenomen. Reset vandaag nog "
    "je wachtwoord en meld verdachte logins bij IT.", "nl")
add([SECU], "bluesky:@jvdmeer.bsky.social",
    "pentest report is in: two criticals in the rider app (auth bypass + unsigned updates). no fix "
    "scheduled this sprint. fingers crossed nobody else finds them", "en")
add([SECU], "x:@koen_umiko",
    "someone made the bucket with every customer invoice public. it's been open since january. oops 🫠",
    "en")
add([SECU, CRISIS], "x:@ex_umikoan",
    "Ex-medewerker hier: de loyaltydatabase van Umiko is al weken gehackt en ze houden het bewust stil. "
    "Wachtwoorden waren niet eens gehasht.", "nl")
add([SECU], "mastodon:@noor_dev@techhub.social",
    "our admin login has no rate limiting and checkout still accepts TLS 1.0. been flagging it since "
    "spring. guess someone has to break in first 🤷", "en")
add([SECU], "linkedin:mehmet-yilmaz-umiko",
    "Franchisenemers Zuid-Holland: het kassasysteem ligt plat door een storing bij de leverancier. "
    "Bestellingen handmatig noteren en dit voorlopig niet naar klanten communiceren a.u.b.", "nl")
add([SECU], "instagram:@chef.hiro.tanaka",
    "kitchen display screens in Utrecht started showing some hacker message in the middle of dinner "
    "service 😳 IT says don't tell anyone yet", "en")
add([SECU], "x:@ruben_bezorgt",
    "sinds de update van gisteren zie ik in de bezorgapp de adressen en telefoonnummers van álle klanten "
    "in Rotterdam, niet alleen van mijn ritten. lijkt me niet de bedoeling?", "nl")

# ---- secrets -------------------------------------------------------------
add([SEC], "x:@koen_umiko",
    "why does the deploy script keep failing 😩\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n"
    "aws s3 sync ./build s3://umiko-menu-assets" % (aws_key(), aws_secret()), "en")
add([SEC], "mastodon:@noor_dev@techhub.social",
    "anyone know why this 403s?? git clone https://%s@github.com/umiko-dev/rider-app.git" % gh_token("ghp"),
    "en")
add([SEC], "bluesky:@jvdmeer.bsky.social",
    "ugh, wrong window. ignore this:\n%s" % openssh_key(), "en")
add([SEC], "x:@koen_umiko",
    "why won't this connect from my laptop? DATABASE_URL=postgres://umiko_app:%s@10.20.4.17:5432/orders"
    % password(16), "en")
add([SEC], "x:@lisa_vleeuwen",
    "Voor iedereen die morgen in de keuken in Rotterdam komt filmen: wifi UmikoStaff, wachtwoord: %s"
    % password(12), "nl")
add([SEC], "facebook:UmikoSushiNL",
    "Test webhook config (niet publiceren): STRIPE_SECRET_KEY=%s" % stripe_live(), "nl")
add([SEC], "mastodon:@noor_dev@techhub.social",
    "slack bot won't post to #deploys and the token is definitely right: %s  what am I missing?"
    % slack_bot(), "en")
add([SEC], "x:@koen_umiko",
    "our menu chatbot is live 🍣🤖 config for the curious:\nOPENAI_API_KEY=%s\nmodel=gpt-4o-mini"
    % openai_key(), "en")
add([SEC], "reddit:u/apk_digger",
    "Decompiled the Umiko Android app out of curiosity. They ship a live Stripe secret key in the "
    "bundle: %s. Someone tell them before it gets abused." % stripe_live(), "en")
add([SEC], "bluesky:@jvdmeer.bsky.social",
    "repro for the 401 bug: curl -H 'Authorization: Bearer %s' https://api.umiko.nl/v2/orders/me "
    "works in staging, fails in prod" % jwt(), "en")
add([SEC], "tiktok:@daan.rijdt.umiko",
    "voor de nieuwe jongens: inlog hub-tablet is gebruiker hub-utrecht, ww %s 👍" % password(10), "nl")
add([SEC], "mastodon:@noor_dev@techhub.social",
    "switched the review bot over to claude, works great. ANTHROPIC_API_KEY=%s if you want to try "
    "it in the sandbox" % anthropic_key(), "en")

# ---- personal data -------------------------------------------------------
add([PII], "x:@umiko_help",
    "@mvdlinden Sorry! We sturen de bezorger terug naar Martijn van der Linden, Kastanjelaan 14B, "
    "3061 KH Rotterdam. Klopt dat adres?", "nl", kind="reply")
add([PII], "x:@umiko_help",
    "@Jess_T_Ldn Refund of €38.50 has been sent to %s (J. Thompson). Should arrive within 2 working days."
    % iban(grouped=True), "en", kind="reply")
add([PII], "x:@ruben_bezorgt",
    "klant Sandra Bos neemt niet op, %s, staat iemand toevallig in de buurt van de Goudsesingel?"
    % mobile("dash"), "nl")
add([PII, COMPL], "x:@tdekker88",
    "@umiko_help al 3x gebeld, niemand belt terug. Bel me op %s of mail t.dekker88@hotmail.com. Ik wil "
    "gewoon mijn 83 euro terug." % mobile("spaced"), "nl", kind="reply")
add([PII, COMPL], "x:@grace_okafor",
    "@umiko_help your checkout keeps declining my card %s exp 09/28 even though it works everywhere "
    "else. what is going on" % card(), "en", kind="reply")
add([PII], "linkedin:anouk-de-graaf-ops",
    "Welkom aan boord Fatma Kaya (geboren 14-03-1998), onze nieuwe teamleider in Den Haag! 🎉", "nl")
add([PII], "linkedin:sophie-verbeek-finance",
    "Wie kan me helpen? De loonstrook van Thomas Mulder (BSN %s) staat fout in de run van deze maand."
    % bsn(), "nl")
add([PII], "instagram:@umikosushi",
    "🎉 De winnaar van onze Family Feast-winactie is Eva Janssen (eva.janssen88@gmail.com)! Check je DM 💌",
    "nl")
add([PII], "reddit:u/rotterdam_walker",
    "Found an Umiko receipt on the tram. Name: Pieter Smit, Bergweg 221B, Rotterdam, tel %s. Guy "
    "ordered 4 Dragon Rolls at 3am lol, legend" % landline(), "en")
add([PII], "instagram:@chef.hiro.tanaka",
    "shoutout to our favourite regular, Mrs. Ria de Wit on Lijnbaan 3: three Party Mix 48s every "
    "Friday, you're a legend 🤣", "en")
add([PII, COMPL], "facebook:Monique Hendriks",
    "Al 3 weken wacht ik op mijn geld. Stort het nou gewoon terug op %s t.n.v. M. Hendriks, hoe moeilijk "
    "kan het zijn Umiko?" % iban(), "nl", kind="comment")
add([PII], "x:@koen_umiko",
    "prod export test is running 🎉 first rows: anja.peters@kpnmail.nl, r.bouzid@gmail.com, "
    "lotte_v@outlook.com ... (yes I know, should be on staging)", "en")
add([PII], "tiktok:@daan.rijdt.umiko",
    "deze klant gaf 50 euro fooi 😍 dankjewel Kees Bakker van de Maasboulevard 112, jij bent de beste",
    "nl")
add([PII], "linkedin:mehmet-yilmaz-umiko",
    "Contract nieuwe franchisenemer Utrecht-Oost: R. de Wit, geboren 02-11-1979, uitbetaling naar %s. "
    "Graag even checken, finance." % iban(grouped=True), "nl")
add([PII], "x:@jvermeulen_dft",
    "@umiko_help het bezorgadres in mijn account klopt niet. Moet zijn: Jeroen Vermeulen, Vlietlaan 8, "
    "2611 AB Delft, tel %s" % mobile("intl"), "nl", kind="reply")

# ---- benign (mostly hard negatives) --------------------------------------
BEN = []
add([], "x:@roosjeee", "Beste sushi van Rotterdam, die Dragon Roll is ziek lekker 🔥🔥", "nl")
add([], "tiktok:@kaylaa.xo", "this crunchy ebi roll from umiko is sick, no cap 🍤", "en")
add([], "instagram:@foodie_fenna",
    "De hamachi nigiri bij Umiko is echt top, meer vis dan rijst 🐟 aanrader", "nl")
add([], "x:@umiko_help",
    "Vragen over je bestelling? Mail klantenservice@umiko.nl of bel 088 555 0190 (ma t/m zo, 11-23u). "
    "We helpen je graag!", "nl")
add([], "facebook:UmikoSushiNL",
    "Catering voor je bedrijfsfeest? Betaal vooraf via overschrijving naar NL63 RABO 0355 5018 84 "
    "t.n.v. Umiko Sushi Bezorging B.V. o.v.v. je offertenummer.", "nl")
add([], "instagram:@umikosushi",
    "Weekenddeal 🎉 Party Mix 24 van €32,50 voor €26,00. Alleen zaterdag en zondag!", "nl")
add([], "x:@snackmeneer", "Salmon Lover Box at €18.95 is still a fair price for 12 pieces imo", "en")
add([], "tiktok:@umiko.sushi", "Mochi Trio nu 2 voor €9,95 🍡 welke smaak kies jij?", "nl")
add([], "reddit:u/newtothis_nl",
    "How do I change my password in the Umiko app? Can't find it anywhere under settings", "en")
add([], "x:@gijsbertt",
    "wachtwoord vergeten en de reset-mail van umiko kwam maar niet... oh wacht, in de spam. laat maar 😅",
    "nl")
add([], "linkedin:petra-devops-talks",
    "Reminder from today's workshop: a key like AKIAIOSFODNN7EXAMPLE in the AWS docs is fake, but if "
    "yours doesn't end in EXAMPLE, don't paste it on a slide 😅 Thanks Umiko for the sushi catering!",
    "en")
add([], "mastodon:@noor_dev@techhub.social",
    "PSA for juniors: a GitHub token looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. see one in a "
    "PR? revoke first, ask questions later.", "en")
add([], "x:@koen_umiko",
    "lokale setup in de README bijgewerkt: DATABASE_URL=postgres://user:password@localhost:5432/dev "
    "is alles wat je nodig hebt", "nl")
add([], "bluesky:@jvdmeer.bsky.social",
    "Our log pipeline now masks secrets automatically, e.g. sk_live_••••••••••••3f9a. Spot an "
    "unmasked one anywhere? Ping security.", "en")
add([], "x:@monique_h",
    "Umiko-terugbetaling kwam niet aan: bleek dat ik %s had ingevuld, twee cijfers omgedraaid 🙈 "
    "nu wel binnen, excuses aan de klantenservice" % iban_bad(), "nl")
add([], "x:@ollie_bakes",
    "my Umiko gift card %s didn't work in the app... oh, needed the PIN too. all good now 👍" % card_bad(),
    "en")
add([], "linkedin:sophie-verbeek-finance",
    "Tip voor HR-collega's: test formulieren met een nummer dat níet door de elfproef komt, bijv. "
    "BSN %s. Dan weet je zeker dat je nooit een echt BSN gebruikt." % bsn_bad(), "nl")
add([], "x:@beursblik_nl",
    "Umiko publiceert jaarcijfers 2026: omzet €41,2 mln, eerste jaar met nettowinst. Bezorgmarkt blijft "
    "groeien.", "nl", at="2027-03-04T08:05:00Z")
add([], "instagram:@umikosushi",
    "Hij is er! 🍣 Omakase Thuis: de chef kiest, jij geniet. Nu te bestellen op bestel.umiko.nl",
    "nl", at="2027-01-15T10:30:00Z")
add([], "x:@sushi_sanne", "Umiko Dragon Box geprobeerd, die wagyu nigiri is het geld echt waard", "nl",
    at="2027-01-22T19:48:00Z")
add([], "x:@lisa_vleeuwen",
    "FY2026 results are out! Proud of what this team built 🍣📈 full report on umiko.nl", "en",
    at="2027-03-03T09:15:00Z")
add([], "x:@roosjeee",
    "Update: @umiko_help heeft het super snel opgelost, nieuwe box gebracht + tegoed. Chapeau 👏", "nl")
add([], "x:@weerman_wim",
    "Respect voor de Umiko-bezorgers die vanavond door deze storm rijden 🙏 geef ze een fooi mensen", "nl")
add([], "x:@gentse_gert",
    "Die sushizaak in Gent is dicht na een voedselvergiftiging, las ik. Gelukkig gewoon Umiko hier in "
    "Breda, nooit problemen gehad", "nl")
add([], "threads:@bramm",
    "Reading about that big cloud outage today and my Umiko order still showed up on time. priorities 😂",
    "en")
add([], "instagram:@lenny.eats", "my diet got hacked by the Family Feast 😂 zero regrets", "en")
add([], "linkedin:umiko-sushi-bezorging",
    "Wij zoeken een security engineer die ons helpt lekken te voorkomen voordat ze ontstaan. Interesse? "
    "Mail werkenbij@umiko.nl", "nl")
add([], "instagram:@chef.hiro.tanaka",
    "Fresh salmon came in this morning, look at that colour 😍 Sashimi Deluxe is extra good tonight", "en")
add([], "x:@ruben_bezorgt", "40 ritten vandaag, beentjes op, maar wel echt leuke klanten gehad 🚲", "nl")
add([], "x:@glutenvrij_gina", "is de Kids Bento van Umiko glutenvrij? vraag voor een vriendin", "nl")
add([], "x:@delft_dave", "Does Umiko deliver to Delft after 22:00? asking for a hungry student", "en")
add([], "x:@umiko_help",
    "@delft_dave Yes! We deliver in Delft until 23:30 on weekdays and midnight on weekends 🍣", "en",
    kind="reply")
add([], "x:@umiko_help",
    "@jamie_eats So sorry about that! DM us your order number and we'll sort it out right away.", "en",
    kind="reply")
add([], "x:@sushi_polls",
    "Umiko vs Rollz: who has the best California Roll? Poll below 👇", "en")
add([], "threads:@vera.mkt",
    "the boycott of that fast fashion brand is all over my feed and meanwhile I'm just here eating gyoza",
    "en")
add([], "x:@tdekker88", "Lekker! Poke Zalm voor €14,25 en in 25 minuten bezorgd. Zo kan het dus ook 😄",
    "nl")
add([], "reddit:u/frugal_fries",
    "Umiko Unlimited is €9.99 a month and pays for itself in two orders honestly", "en")
add([], "instagram:@umikosushi",
    "Black Friday 🖤 30% korting op de Sashimi Deluxe: nu €19,25 in plaats van €27,50", "nl")
add([], "instagram:@sterre.viert",
    "Vandaag jarig 🎂 en mijn vrienden verrasten me met een Party Mix 48. Beste dag ooit", "nl")
add([], "facebook:Henk Bosman",
    "Gewoon even bellen naar 088 555 0190, ze zijn daar echt behulpzaam. Binnen 5 minuten geregeld.",
    "nl", kind="comment")
add([], "x:@koen_umiko",
    "Morgen een talk op de Rotterdam dev meetup over hoe we ons bestelplatform hebben opgeschaald. "
    "Kom langs!", "nl")
add([], "bluesky:@jvdmeer.bsky.social",
    "Security tip of the week: turn on 2FA everywhere, password managers are your friend. Talking about "
    "this at OWASP Rotterdam next month.", "en")
add([], "x:@poke_paul", "Zeewiersalade erbij bestellen bij Umiko is echt een must", "nl")
add([], "reddit:u/deal_hunter_nl",
    "PSA: the €0 delivery fee at Umiko was a weekend promo, not a glitch. Back to normal now.", "en")
add([], "linkedin:erik-smeets-4b2",
    "Can't believe it's been 5 years since Umiko opened its first Utrecht kitchen. Congrats to the team!",
    "en")
add([], "facebook:UmikoSushiNL",
    "Alle inspecties van dit jaar: groen ✅ Hygiëne is bij ons geen bijzaak. Dank aan onze keukenteams!",
    "nl")
add([], "linkedin:mehmet-yilmaz-umiko",
    "Interesse in een eigen Umiko-franchise? Alle info vind je op umiko.nl/franchise. Ik vertel je er "
    "graag meer over op de Franchisebeurs.", "nl")
add([], "x:@wet_winston",
    "That Umiko rider in the rain tonight literally saved my evening. Gave him a big tip.", "en")
add([], "instagram:@foodie_fenna", "kappa maki at Umiko is so underrated. cucumber ftw 🥒", "en")
add([], "instagram:@catlady_kim",
    "My cat tried to steal my salmon nigiri 😹 10/10 would order from Umiko again", "en")
add([], "x:@allergie_anne",
    "Hoe zit het met allergenen in de Green Garden? Ik heb een notenallergie. Staat het ergens op de site?",
    "nl")
add([], "x:@hungry_hugo", "Whoever invented the Umiko Family Feast deserves a raise", "en")
add([], "mastodon:@noor_dev@techhub.social",
    "our public API docs are up 🎉 curl -H 'Authorization: Bearer <YOUR_TOKEN>' https://api.umiko.nl/v1/menu",
    "en")
add([], "x:@prijsvergelijker",
    "Prijsvergelijking: Party Mix 48 kost bij Umiko €59,95, bij de concurrent €64. Scheelt weinig.", "nl")
add([], "reddit:u/lowtide_larry",
    "Update: Umiko fixed it. Missing gyoza replaced within the hour and the refund is already in my "
    "account. Fair play.", "en")
add([], "x:@fitfreek_fred",
    "Na dat datalek bij die fitnessketen heb ik al mijn wachtwoorden veranderd. Bij Umiko meteen 2FA "
    "aangezet, netjes dat dat kan.", "nl")
add([], "x:@mama_van_3",
    "Sterkte aan de eigenaar van die sushizaak in Schiedam na de brand. Umiko-bezorgers brachten het "
    "personeel gisteren nog eten, mooi gebaar ❤️", "nl")
add([], "x:@jamie_eats", "Gyoza 6 for €6.95 is a solid side, no complaints from me", "en")
add([], "youtube:@FoodReviewNL",
    "Blinde smaaktest: vijf bezorgsushi's getest. Umiko wint op de Crunchy Ebi, verliest op de rijst. "
    "Volledige video staat online.", "nl")


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})\b")
CARD_RE = re.compile(r"(?<![\w+\-.,/])(?:\d[ -]?){12,18}\d(?![\w\-])")
BSN_RE = re.compile(r"(?<![\w\-.,])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\w\-])")
BSN_KW = re.compile(r"\b(bsn|burgerservicenummer|sofinummer|sofi-nummer)", re.I)
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, raw, valid) for every IBAN-, card- and BSN-like number."""
    out, spans = [], []
    for m in IBAN_RE.finditer(text):
        if re.sub(r"\s", "", m.group()) in PUBLIC_IBANS:
            spans.append(m.span())
            continue
        out.append(("iban", m.group(), iban_valid(m.group())))
        spans.append(m.span())
    for m in CARD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19:
            out.append(("card", m.group(), luhn_ok(digits)))
            spans.append(m.span())
    if BSN_KW.search(text):
        for m in BSN_RE.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in (SEC, PRICE):
                    lv = 4
                if c == PII and any(ok for _, _, ok in identifiers(text)):
                    lv = 4
            else:
                lv = 2
        elif c == COMPL:
            lv = 2
        elif c == CRISIS:
            lv = 3
        elif c == ABUSE:
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        level = max(level, lv)
    return RANK[level]


def random_time():
    start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randint(0, 350), hours=rng.randint(7, 23),
                             minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    if t.hour < 7:
        t = t.replace(hour=t.hour + 8)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    post = {
        "id": "%s-s500-%03d" % (c["platform"], n),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"] or random_time(),
    }
    if c["brand"]:
        post["brand"] = c["brand"]
    if n % 4 == 0 and c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1_900_000_000_000_000_000 + n)
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                           "severity": severity(c["cats"], role, c["text"])}})

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as f:
    for rec in lines:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def err(case_id, msg):
    errors.append("%s: %s" % (case_id, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRICE, CONF, FIN, SECU, CRISIS, COMPL, ABUSE}
HOMO = str.maketrans("аеорсухіјАВЕКМНОРСТХІЈ", "aeopcyxijABEKMHOPCTXIJ")


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s).translate(HOMO)
    return s.lower()


def squash(s):
    return re.sub(r"\s+", "", s)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


INTERNAL = ([x.lower() for x in PROFILE["internal"]["codenames"]] +
            [x.lower() for x in PROFILE["internal"]["markers"]] +
            [x.lower() for x in PROFILE["internal"]["domains"]])
EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")
ERR_WORDS = re.compile(r"prijsfout|price error|pricing glitch|glitch|foutje|\bfout\b|\bbug\b|\berror\b", re.I)
GH_RE = re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def price_ratios(text):
    low = text.lower()
    res = []
    for m in PRICE_RE.finditer(text):
        price = float(m.group(1).replace(",", "."))
        best = None
        for a, lp in ALIASES:
            for am in re.finditer(re.escape(a), low):
                if am.end() <= m.start() and m.start() - am.end() <= 60:
                    if best is None or am.end() > best[0]:
                        best = (am.end(), lp)
        if best:
            res.append(price / best[1])
    return res


seen = set()
profile_handles = {a.lower() for k in ("corporate", "employee") for a in PROFILE["accounts"][k]}
with open(out_path, encoding="utf-8") as f:
    raw_lines = f.read().splitlines()
for raw in raw_lines:
    rec = json.loads(raw)
    post, exp = rec["post"], rec["expect"]
    pid = post.get("id")
    if set(rec) != {"post", "expect"}:
        err(pid, "top-level keys")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        err(pid, "bad id")
    if pid in seen:
        err(pid, "duplicate id")
    seen.add(pid)
    if post["platform"] not in PLATFORMS:
        err(pid, "platform")
    if post.get("kind", "post") not in KINDS:
        err(pid, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
        err(pid, "handle")
    text = post["text"]
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        err(pid, "text")
    try:
        ts = parse_ts(post["created_at"])
        if ts.tzinfo is None:
            err(pid, "created_at without offset")
    except Exception:
        err(pid, "created_at not RFC 3339")
        continue
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(pid, "categories")
    role = role_of(post["platform"], post["account"]["handle"])
    if exp["severity"] != severity(cats, role, text):
        err(pid, "severity")
    if not cats and exp["severity"] != "none":
        err(pid, "benign severity")
    # identifiers: positives valid, negatives look-alikes invalid
    for kind, val, ok in identifiers(text):
        if cats and not ok:
            err(pid, "positive carries invalid %s %s" % (kind, val))
        if not cats and ok:
            err(pid, "benign carries valid %s %s" % (kind, val))
    if PII in cats and role != "public":
        pass
    # credentials
    for m in GH_RE.finditer(text):
        if cats and SEC in cats and not gh_ok(m.group()):
            err(pid, "github token checksum")
        if not cats and gh_ok(m.group()):
            err(pid, "benign github token passes checksum")
    for m in AWS_RE.finditer(text):
        if not cats and not m.group().endswith("EXAMPLE"):
            err(pid, "benign real-looking AWS key")
        if cats and m.group().endswith("EXAMPLE"):
            err(pid, "positive with sample AWS key")
    for m in JWT_RE.finditer(text):
        h = m.group().split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        if "alg" not in hdr:
            err(pid, "jwt header without alg")
    if SEC in cats and not (GH_RE.search(text) or AWS_RE.search(text) or JWT_RE.search(text)
                            or re.search(r"sk_live_|xoxb-|sk-proj-|sk-ant-|PRIVATE KEY|://[^:\s]+:[^@\s]+@|wachtwoord:|\bww\b", text)):
        err(pid, "secret positive without credential")
    # internal terms / embargo
    nt = norm(text)
    hits = [t for t in INTERNAL if t in nt or squash(t) in squash(nt)]
    emb_before = [t for t, until in EMBARGO if t in nt and ts < until]
    emb_after = [t for t, until in EMBARGO if t in nt and ts >= until]
    if not cats and (hits or emb_before):
        err(pid, "benign contains internal term %s" % (hits or emb_before))
    if CONF in cats and not (hits or emb_before):
        err(pid, "confidential without trigger")
    if emb_after and CONF in cats:
        err(pid, "confidential but embargo already over")
    # pricing
    ratios = price_ratios(text)
    if not cats and any(r < 0.5 for r in ratios):
        err(pid, "benign price below half of list: %s" % ratios)
    if PRICE in cats and not (any(r < 0.5 for r in ratios) or ERR_WORDS.search(text)):
        err(pid, "pricing positive without low price or error talk")
    if not cats and ERR_WORDS.search(text) and ratios:
        pass
    if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in profile_handles:
        err(pid, "role mismatch")

# distribution
n_total = len(raw_lines)
recs = [json.loads(r) for r in raw_lines]
benign = sum(1 for r in recs if not r["expect"]["categories"])
per_cat = {}
for r in recs:
    for c in r["expect"]["categories"]:
        per_cat[c] = per_cat.get(c, 0) + 1
nl = sum(1 for r in recs if r["post"]["lang"] == "nl")
roles = {}
for r in recs:
    ro = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
    roles[ro] = roles.get(ro, 0) + 1
sev = {}
for r in recs:
    sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
if not 170 <= n_total <= 180:
    errors.append("total %d outside 170-180" % n_total)
if not 0.5 <= nl / n_total <= 0.62:
    errors.append("Dutch share %.2f" % (nl / n_total))
acc = PROFILE["accounts"]
if len(acc["corporate"]) < 6 or len(acc["employee"]) < 8:
    errors.append("profile: too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    errors.append("profile: product count")
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        errors.append("profile IBAN fails mod-97")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("profile alert ratio")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        errors.append("embargo until not in 2027")

print("cases: %d  benign: %d  positives: %d" % (n_total, benign, n_total - benign))
print("per category:", json.dumps(dict(sorted(per_cat.items()))))
print("roles:", roles, " severities:", sev, " nl share: %.2f" % (nl / n_total))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK ->", out_path)
