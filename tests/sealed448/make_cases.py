#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed448 (Hoeve Appelvonk, fictional orchard).

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written; secrets
and identifiers are generated here with the checksums their real formats carry, then the
output is self-checked against CONTRACT sections 4 and 6.
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
SEED = 448_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
OWN_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = {S, P, PR, C, F, SEC, CR, CO, AB, "reputation.spike"}

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    body, check = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == check


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "kassa-07", "role": "backoffice", "iat": 1767225600,
                                 "exp": 1798761600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def pem():
    raw = bytes(rng.getrandbits(8) for _ in range(300))
    body = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_check(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return "%02d" % (98 - int(num) % 97)


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def gen_iban(bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "BUNQ", "ASNB"])
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    s = "NL" + iban_check("NL", bban) + bban
    assert iban_ok(s)
    return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    while True:
        s = gen_iban()
        d = list(s)
        pos = rng.randrange(8, len(d))
        d[pos] = str((int(d[pos]) + rng.randrange(1, 10)) % 10)
        s2 = "".join(d)
        if not iban_ok(s2):
            return s2


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card():
    c = gen_card()
    return c[:-1] + str((int(c[-1]) + rng.randrange(1, 10)) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def gen_bsn():
    while True:
        s = str(rng.randrange(1, 7)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randrange(1, 7)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


VALID_IDS = []   # (case_no, kind, value)
INVALID_IDS = []


def gen_token(name, case_no):
    kind = re.sub(r"_?\d+$", "", name)
    if kind == "IBAN":
        v = gen_iban(); VALID_IDS.append((case_no, "iban", v)); return v
    if kind == "IBANSP":
        v = group4(gen_iban()); VALID_IDS.append((case_no, "iban", v)); return v
    if kind == "BADIBAN":
        v = bad_iban(); INVALID_IDS.append((case_no, "iban", v)); return v
    if kind == "BADIBANSP":
        v = group4(bad_iban()); INVALID_IDS.append((case_no, "iban", v)); return v
    if kind == "CARD":
        v = group4(gen_card()); VALID_IDS.append((case_no, "card", v)); return v
    if kind == "CARDRAW":
        v = gen_card(); VALID_IDS.append((case_no, "card", v)); return v
    if kind == "BADCARD":
        v = group4(bad_card()); INVALID_IDS.append((case_no, "card", v)); return v
    if kind == "BSN":
        v = gen_bsn(); VALID_IDS.append((case_no, "bsn", v)); return v
    if kind == "BADBSN":
        v = bad_bsn(); INVALID_IDS.append((case_no, "bsn", v)); return v
    if kind == "GHP":
        return github_token("ghp_")
    if kind == "GHO":
        return github_token("gho_")
    if kind == "GHS":
        return github_token("ghs_")
    if kind == "AWSID":
        return aws_key_id()
    if kind == "AWSSEC":
        return aws_secret()
    if kind == "STRIPE":
        return "sk_live_" + rand(ALNUM, 24)
    if kind == "STRIPERK":
        return "rk_live_" + rand(ALNUM, 24)
    if kind == "SLACK":
        return "xoxb-%d-%d-%s" % (rng.randrange(10**10, 10**11), rng.randrange(10**12, 10**13), rand(ALNUM, 24))
    if kind == "SLACKHOOK":
        return "https://hooks.slack.com/services/T%s/B%s/%s" % (rand(string.ascii_uppercase + string.digits, 8),
                                                               rand(string.ascii_uppercase + string.digits, 10),
                                                               rand(ALNUM, 24))
    if kind == "OPENAI":
        return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
    if kind == "ANTH":
        return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
    if kind == "GOOGLE":
        return "AIza" + rand(URLSAFE, 35)
    if kind == "GLPAT":
        return "glpat-" + rand(URLSAFE, 20)
    if kind == "JWT":
        return jwt()
    if kind == "PEM":
        return pem()
    if kind == "PWD":
        return rand(ALNUM, 6) + rng.choice("!#$%&*") + rand(ALNUM, 5)
    raise KeyError(name)


# ---------------------------------------------------------------- the cases
CASES = []


def c(platform, handle, lang, cats, text, when=None, kind="post"):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats),
                      text=text, when=when, kind=kind))


# ============ COMPLAINTS (public) ============
c("x", "@linda_vdm", "nl", [CO],
  "Gezinskaart van €22,50 gekocht bij @appelvonk en de helft van de bomen was al kaal geplukt. "
  "Ladders met kapotte sporten, geen medewerker te zien. Nooit meer.")
c("facebook", "Marco Verhoef", "en", [CO],
  "Ordered the 5 liter bag-in-box from the Appelvonk webshop, it arrived leaking all over our hallway. "
  "Emailed twice, no reply in 9 days. Pretty poor tbh", kind="comment")
c("x", "@b_westerhof", "en", [CO],
  "@appelvonk_help ordered a juice crate on 2 Oct, still nothing. tracking has said 'being prepared' for 3 weeks now. hello??")
c("reddit", "u/tired_dad_utrecht", "en", [CO],
  "Went to Appelvonk pluktuin on Saturday. 45 minute queue just to get into the car park, "
  "one portaloo for hundreds of people and it was... not nice. Kids were miserable by the time we got to the trees. "
  "Won't be back this season.")
c("instagram", "@karinbaktniet", "nl", [CO],
  "Sorry hoor maar €18,50 voor een appeltaart die van onder nog half rauw is?? Boerenappeltaart m'n neus 😤 #appelvonk",
  kind="comment")
c("x", "@pietjanssen64", "nl", [CO],
  "Sapabonnement bij Appelvonk in juli opgezegd (bevestiging heb ik nog), en ze schrijven gewoon elke maand 29,95 af. "
  "Klantenservice belooft terugbellen, gebeurt nooit.")
c("threads", "@ellie.travels.nl", "en", [CO],
  "the lady at the farm shop till at appelvonk rolled her eyes at my mum for asking if they had oat milk. "
  "like??? we spent 60 euros there. so rude")
c("x", "@hdekker_", "nl", [CO],
  "Net een fles Elstar sap van @appelvonk opengedraaid, THT pas in maart maar het smaakt zuur en het bruist. "
  "Teruggebracht, 'ja dat kan gebeuren' en geen geld terug. Top.")
c("facebook", "Gonnie Brinkman", "nl", [CO],
  "Appelkist Elstar 10 kg opgehaald, thuis uitgepakt: hele onderste laag bruin en zacht. Ik voel me echt genaaid eerlijk gezegd. "
  "Bovenop mooi, onderop rotzooi.", kind="comment")
c("x", "@treehugger_tom", "en", [CO],
  "Paid €65 for the adopt-a-tree thing at Appelvonk as a birthday gift in spring. The 'harvest box' was supposed to come in "
  "September. It's November. Nothing. @appelvonk_help anyone home?", when="2026-11-12T20:14:00Z")
c("instagram", "@fam.oosterhuis", "en", [CO],
  "Drove 40 min with three kids this morning to find the gate locked. Blossom walk cancelled and not one email to let us know. "
  "Kids in tears. Thanks a lot Appelvonk 😡")
c("reddit", "u/appletreeenjoyer", "en", [CO],
  "Did the juice pressing workshop at Appelvonk last weekend. 30+ people crammed round ONE press, my kids literally never got "
  "a turn. For €27.50 a head I expected a bit more than watching someone else's elbows.")
c("x", "@sterre_b", "nl", [CO],
  "kerstpakket van appelvonk bezorgd met een kapotte fles cider erin, alles plakt. 3 mails gestuurd, 0 reactie. "
  "echt jammer want het was een cadeau voor m'n schoonouders", kind="reply")
c("reddit", "u/nl_expat_jen", "en", [CO],
  "PSA / question: did anyone else get charged twice for their Appelvonk picking tickets through the plukkalender site? "
  "My bank shows 2x €15 same minute and their support just sends me an automated reply.")

# ============ COMPLAINT + CRISIS: first-hand safety ============
c("facebook", "Jolanda Smit", "nl", [CO, CR],
  "Onze dochter (9) is gisteren bij Appelvonk van zo'n plukladder gevallen. Ladder stond los op de helling, "
  "niemand van het personeel in de buurt. Pols gebroken, hele middag op de SEH. Ik ben zo boos.")
c("x", "@gregmcl", "en", [CO, CR],
  "Whole family sick after the Troebel Jonagold from @appelvonk. Two days of vomiting, the bottle was visibly bulging "
  "when I think back. Reported it, no answer. Check your bottles people.")
c("instagram", "@moederdier_maaike", "nl", [CO, CR],
  "GLASSCHERF in de appelstroop van Appelvonk. Mijn zoontje van 3 had 'm bijna in zijn mond. Foto's heb ik, pot bewaard. "
  "Hoe kan dit?!")
c("facebook", "Sarah Whitfield", "en", [CO, CR],
  "The hay ride at Appelvonk tipped on the bend by the pond this afternoon. My husband's leg got trapped under the wagon "
  "and he's now in hospital in Tiel. Nobody from the farm has even called to ask how he is.")
c("x", "@rikvanbeek", "en", [CO, CR],
  "A bottle of @appelvonk dry cider EXPLODED in my cupboard last night 💥 glass all the way into the hall and I cut my "
  "forearm cleaning it up. Is something wrong with your fermentation??")

# ============ CRISIS (third party / broadcast) ============
c("x", "@betuwenieuws", "nl", [CR],
  "NVWA: Hoeve Appelvonk roept Troebel Jonagold (75cl, THT t/m 14-03) terug vanwege te hoog gehalte patuline. "
  "Niet drinken, terugbrengen naar het verkooppunt.")
c("x", "@fairharvest_nl", "en", [CR],
  "Seasonal pickers at Appelvonk housed 8 to a container with no heating, paid per crate below minimum wage. "
  "Don't give them your money this autumn. #BoycotAppelvonk")
c("linkedin", "rianne-groot-advocatuur", "nl", [CR],
  "Namens zeven voormalige seizoenswerkers hebben wij vandaag een dagvaarding uitgebracht tegen Hoeve Appelvonk B.V. "
  "wegens achterstallig loon en onrechtmatige inhoudingen op huisvesting.")
c("facebook", "Buurtapp Buren-Noord", "nl", [CR],
  "LET OP: meerdere mensen hier krijgen phishingmails met hun eigen Appelvonk-bestelnummer en adres erin. "
  "Die webshop heeft dus gewoon gelekt. Verander je wachtwoorden!")
c("reddit", "u/foodwatcher_eu", "en", [CR],
  "Undercover footage just dropped showing Appelvonk spraying a pesticide that's been banned in the EU since 2020, "
  "right next to the pick-your-own rows where kids are eating apples straight off the tree.")
c("x", "@regio_tiel", "nl", [CR],
  "Kind (6) met ernstige allergische reactie naar ziekenhuis na bezoek aan pluktuin Appelvonk, meldt de GGD. "
  "Onderzoek naar wespennest bij de speeltuin loopt.")
c("tiktok", "@pluk.drama", "nl", [CR],
  "niet meer naar appelvonk gaan!! ze laten de plukkers in een schuur slapen zonder douche, deel dit zodat iedereen het weet 🙏 "
  "#boycot #appelvonk")
c("reddit", "u/ciderhead_nl", "en", [CR],
  "Heads up: Appelvonk cider recall, batch L2609 — bottles can over-carbonate and burst. Came through on the NVWA site this morning.")
c("x", "@gelderlandnws", "en", [CR],
  "E. coli outbreak: health officials link 11 cases to unpasteurised juice sold at the Appelvonk farm shop in the Betuwe.")
c("x", "@brandweer_rivierenland", "nl", [CR],
  "Grote brand in de sapschuur van een fruitbedrijf aan de Linge, Hoeve Appelvonk. Omwonenden: ramen en deuren dicht "
  "vanwege rook.")

# ============ ABUSE ============
c("x", "@hansboos71", "nl", [AB],
  "@appelvonk stelletje oplichters, kankerboeren zijn jullie", kind="reply")
c("instagram", "@dmitri.k", "en", [AB],
  "whoever runs this instagram is a brain dead idiot. delete your account lmao", kind="comment")
c("x", "@echtenederlander", "nl", [AB],
  "Appelvonk laat alleen maar Polen en Roemenen plukken. Rot toch op naar je eigen land stelletje parasieten")
c("x", "@zuurpruim", "nl", [AB],
  "@appelvonk_help jullie zijn echt k4nk3rl1jers met je t4art van 18 euro", kind="reply")
c("tiktok", "@vibecheck_jay", "en", [AB],
  "appelvonk more like appel-ＦＵＣＫＩＮＧ-scam. ｓｃｕｍｂａｇｓ", kind="comment")
c("instagram", "@joost.plukt", "nl", [AB],
  "Vandaag weer een bus vol achterlijke mongolen uit de Randstad over de vloer gehad. Kunnen nog geen appel van een peer onderscheiden 🙄")
c("x", "@appelvonk_help", "nl", [AB],
  "@sterre_b ga lekker zeuren bij de Jumbo dan, zeikerd", kind="reply")
c("x", "@nobodyhere_", "en", [AB],
  "fuck appelvonk and fuck their overpriced hipster juice")
c("instagram", "@harvestwatcher99", "en", [AB],
  "@joost.plukt I know which village you live in. Watch your back next time you treat my kid like that", kind="comment")
c("facebook", "Erik Polman", "nl", [AB],
  "Аppelvonk = кutbedrijf met кutpersoneel. Klaar.", kind="comment")
c("x", "@grumpy_gert", "nl", [AB],
  "die eigenaar van appelvonk is een k.l.o.o.t.z.a.k en iedereen weet het")

# ============ PRICING ============
c("x", "@appelvonk", "nl", [PR],
  "🎄 Alleen vandaag in de webshop: het Kerstpakket Boomgaard voor maar €4,95! Op = op.", when="2026-12-04T09:12:00Z")
c("x", "@kortingkoning", "en", [PR],
  "lol the Appelvonk webshop has the sapkrat listed at €2.10. price error?? ordering ten before they notice")
c("instagram", "@noor.sapmeester", "en", [PR],
  "oops… till was set wrong this morning so our apple pie went out the door at €1.85 each 🙈 funny how nobody complained haha")
c("instagram", "@appelvonk.hoeve", "nl", [PR],
  "Adopteer een boom 🌳 Adoptieboom jaarabonnement nu voor €6,50! Inclusief naambordje en oogstpakket.")
c("reddit", "u/dealjager_nl", "nl", [PR],
  "PRIJSFOUT bij Appelvonk: Cider Droog 75cl voor €0,89 per fles in de webshop. Snel zijn!")
c("x", "@ruudboomgaard", "nl", [PR],
  "prijsfout in de shop, sap persen workshop staat op 2,75 ipv 27,50. wie kan dat even fixen voordat ie vol zit", kind="reply")
c("x", "@budgetbetty", "en", [PR],
  "bag-in-box for €4 at the Appelvonk farm shop today?! surely that's a mistake, grabbed three 😅")
c("facebook", "AppelvonkPluktuin", "nl", [PR],
  "Juf, meester: boek nu het Schoolreis pluk-arrangement vanaf €45 per klas! Inclusief huifkartocht en appelsap.")
c("x", "@deals_dieter", "nl", [PR],
  "Sapabonnement van Appelvonk voor €7,49 p/m via deze link, geen idee hoe lang dat nog werkt 👀")
c("linkedin", "lars-hoekstra-av", "en", [PR],
  "Quick heads-up to colleagues: there's a pricing error on our Christmas hamper listing, it shows €3.99. "
  "Working on a fix, please don't share the link.")
c("threads", "@frugal.fenna", "en", [PR],
  "Appelvonk apple crate, 10 kg of Elstar, €5. Either they've gone mad or someone fat-fingered the price tag lmao")
c("tiktok", "@appelvonk.sap", "nl", [PR],
  "Dit weekend: gezinskaart voor €2,50 🍎🍏 Neem de hele familie mee naar de pluktuin!")

# ============ FINANCIAL ============
c("x", "@mirjam_appelvonk", "nl", [F],
  "Omzet boerderijwinkel dit jaar komt uit op ca. 3,4 mln, dat is 18% onder budget. Dat gaat de bank niet leuk vinden als het "
  "in het verslag komt.")
c("linkedin", "eva-kuipers-appelvonk", "en", [F],
  "Can't say much yet but big news coming: we're being acquired by Veluwse Sapgroep, deal is expected to close in Q1. "
  "Exciting times for the team!")
c("facebook", "dirk.vanoosten.appelvonk", "nl", [F],
  "Na de oogst gaan er 12 vaste krachten uit in de winkel en de sapperij. Reorganisatie wordt pas in november aangekondigd "
  "dus hou het even voor je.")
c("x", "@yasmina_vk", "en", [F],
  "We just cut our Q3 juice sales forecast to -30% because of the hail damage. Nobody outside the company knows yet.")
c("reddit", "u/betuweboy", "en", [F],
  "My cousin works in the office at Appelvonk. Says the owners are selling half the orchard to a property developer next year, "
  "staff haven't been told.")
c("linkedin", "hoeve-appelvonk", "nl", [F],
  "Intern: EBITDA-doelstelling 2027 verlaagd van €620k naar €410k na herziening oogstverwachting. "
  "Bespreking met aandeelhouders 14 oktober.")
c("mastodon", "@gerrit@boerderij.social", "nl", [F],
  "Overname van Cidermakerij Bramenhof is rond, handtekeningen staan. Nog niet publiek dus ssst 🤐")
c("linkedin", "eva-kuipers-appelvonk", "en", [F],
  "Tough news I'm still processing: management plans to close the farm shop on weekdays and let 8 of us go from January. "
  "Nothing official yet, we were told in a closed meeting.")
c("x", "@geldwolf_nl", "nl", [F],
  "Zwager werkt bij de bank en zegt dat Appelvonk binnenkort surseance aanvraagt. Wie nog een sapabonnement heeft: opzeggen.")
c("instagram", "@noor.sapmeester", "en", [F],
  "margin on our juice line dropped to 4% this year 😬 not in any public report yet but wow, we need to talk about bottle costs")
c("linkedin", "lars-hoekstra-av", "nl", [F],
  "Fusiegesprekken met Sappers van de Betuwe lopen, due diligence start volgende week. Voor nu nog strikt tussen ons.")

# ============ CONFIDENTIAL (some with financial/security) ============
c("linkedin", "eva-kuipers-appelvonk", "en", [C],
  "Can't share details, but Project Goudrenet is going to completely change how you buy juice from us. Stay tuned!")
c("facebook", "AppelvonkPluktuin", "nl", [C],
  "Presentatie Operatie Steenuil - alleen voor intern gebruik. Zie bijlage voor de planning per perceel.")
c("x", "@yasmina_vk", "en", [C],
  "can someone send me the harvest plan link? I had https://wiki.appelvonk.local/oogst/planning-2027 but it 404s",
  kind="reply")
c("instagram", "@noor.sapmeester", "en", [C],
  "Sneak taste of the Appelvonk Cider Brut tonight 🥂 those bubbles!! you'll have to be patient a little longer x",
  when="2026-11-21T19:40:00Z")
c("x", "@sapspeurder", "nl", [C],
  "Buurman werkt bij Appelvonk en vertelde dat ze met Perenvonk komen, een perensap met prik. Dus dat.",
  when="2026-09-14T12:05:00Z")
c("linkedin", "lars-hoekstra-av", "nl", [C, F],
  "Concept jaarcijfers 2026 ligt bij de accountant: omzet +9%, nettowinst bijna verdubbeld. Trots op dit team!",
  when="2027-01-22T16:30:00Z")
c("x", "@mirjam_appelvonk", "nl", [C],
  "appelvonk vertrouwelijk: nieuwe inkoopvoorwaarden flessen gaan per 1 jan in, glas wordt 22% duurder. wie had dit gemaild??")
c("reddit", "u/orchard_gossip", "en", [C],
  "Got this forwarded from a friend: 'niet doorsturen - intern: pick-your-own season starts 2 Sept at the earliest due to late "
  "blossom, don't tell customers until the 15th'. Sooo plan accordingly I guess")
c("mastodon", "@gerrit@boerderij.social", "nl", [C],
  "git clone https://git.appelvonk-intern.nl/webshop/checkout.git werkt niet meer vanaf thuis, moet ik via de vpn?")
c("linkedin", "eva-kuipers-appelvonk", "en", [C],
  "Working on a sparkling apple-elderflower for summer 2027 with our cellar team. Not announced yet so shh, but I'm so proud of it")
c("x", "@ruudboomgaard", "nl", [C],
  "Ореrаtiе Steenuil gaat volgende week echt beginnen, de eerste percelen worden al gerooid")
c("instagram", "@joost.plukt", "nl", [C],
  "kan niks zeggen maar B.l.o.e.s.e.m.n.a.c.h.t wordt echt vet 🤫🍎")
c("tiktok", "@sanne.achterdeschuur", "nl", [C],
  "pov: je mag niks zeggen over Project Gou\u200bdre\u200bnet maar je wil het zo graag 😭 #werkleven #boomgaard")
c("threads", "@appelvonk.hoeve", "nl", [C],
  "Behind the scenes bij de fotoshoot voor Perenvonk 📸🍐 Binnenkort meer!", when="2026-10-08T14:00:00Z")
c("x", "@insidebetuwe", "en", [C],
  "Leaked deck marked 'Appelvonk vertrouwelijk' shows they're planning a second pick-your-own site in Brabant with a café. "
  "Opening 2028 apparently.")
c("linkedin", "lars-hoekstra-av", "en", [C, F],
  "Fun fact: 'Project Goudrenet' is our internal name for the Bramenhof takeover. Board signs off Thursday.")
c("instagram", "@noor.sapmeester", "nl", [C],
  "ＢＬＯＥＳＥＭＮＡＣＨＴ 🌸🌙 binnenkort… meer mag ik niet zeggen")

# ============ SECURITY ============
c("x", "@yasmina_vk", "nl", [SEC],
  "Vanochtend een skimmer-script in onze webshop checkout gevonden 😳 Geen idee hoe lang het er al zat. "
  "Klanten weten nog van niks, IT is bezig.")
c("linkedin", "lars-hoekstra-av", "en", [SEC],
  "Our pick-day booking system has been down for six hours now. Database corrupted after last night's update, "
  "we're telling customers it's 'maintenance'. Long day ahead.")
c("facebook", "dirk.vanoosten.appelvonk", "nl", [SEC],
  "Iemand is op onze mailserver binnengekomen, er gaan nu phishingmails uit vanaf ons eigen winkeladres. "
  "Officieel zeggen we nog niks.")
c("x", "@ruudboomgaard", "en", [SEC],
  "just found out the admin panel of our picking calendar has no login at all lol. /admin is open to the entire internet")
c("mastodon", "@gerrit@boerderij.social", "nl", [C, SEC],
  "erp.appelvonk.local ligt eruit sinds vannacht, op elk scherm een losgeldbrief. Niemand mag het nog naar buiten brengen.")
c("x", "@appelvonk", "nl", [SEC],
  "Interne update: alle kassasystemen in de boerderijwinkel liggen plat door een onbekende storing, mogelijk een inbraak. "
  "Klanten vertellen dat het een pinstoring is.")
c("instagram", "@noor.sapmeester", "en", [SEC],
  "so apparently our whole customer database sat wide open in a cloud bucket for 2 weeks. IT is cleaning up, "
  "nobody has reported it anywhere yet")
c("x", "@mirjam_appelvonk", "en", [SEC],
  "Bank just called: the card terminals in our shop have been compromised, customers' cards are being used for fraud. "
  "We're keeping it quiet for now.")
c("x", "@yasmina_vk", "en", [SEC],
  "SQL injection in our webshop search box still not patched after 3 weeks 🤦 reported it twice internally")
c("tiktok", "@sanne.achterdeschuur", "nl", [SEC],
  "fun fact: het gasten-wifi in onze winkel hangt op hetzelfde netwerk als de kassa's 😬 iedereen kan er gewoon bij")
c("reddit", "u/it_guy_tiel", "en", [SEC],
  "Friend who does IT for Appelvonk says they got hit by ransomware last night. Webshop will be 'under maintenance' all week, "
  "they haven't announced anything.")
c("tiktok", "@sanne.achterdeschuur", "en", [SEC],
  "day in the life at the farm: webshop down all day because someone in the office clicked a phishing link 💀 #farmlife")
c("linkedin", "eva-kuipers-appelvonk", "nl", [SEC],
  "Alle medewerkerswachtwoorden vandaag gereset na een inbraak op onze Microsoft-accounts. Extern nog niet gecommuniceerd, "
  "dus graag even stil houden.")

# ============ SECRETS ============
c("x", "@ruudboomgaard", "en", [S],
  "any idea why the deploy fails? using token {GHP} and github just says 'bad credentials'")
c("mastodon", "@gerrit@boerderij.social", "en", [S],
  "boto3 keeps throwing AccessDenied, config below:\naws_access_key_id = {AWSID}\naws_secret_access_key = {AWSSEC}\nregion = eu-west-1")
c("x", "@yasmina_vk", "en", [S],
  "Stripe webhooks failing on the webshop, locally it works fine with this key: {STRIPE} help?")
c("linkedin", "lars-hoekstra-av", "en", [S],
  "For the colleagues building the stock bot: the Slack token is {SLACK}, ping me if it stops working.")
c("instagram", "@noor.sapmeester", "nl", [S],
  "onze nieuwe chatbot voor de webshop draait op deze key: {OPENAI} vet he 🤖")
c("x", "@mirjam_appelvonk", "en", [S],
  "testing the recipe assistant, key {ANTH} — why does it keep answering in German")
c("mastodon", "@gerrit@boerderij.social", "nl", [S],
  "sleutel voor de backupserver, even hier gezet zodat ik hem thuis heb:\n{PEM}")
c("x", "@yasmina_vk", "en", [S],
  "the kassa API returns 401 with this: Authorization: Bearer {JWT}")
c("tiktok", "@sanne.achterdeschuur", "nl", [S],
  "collega vraagt hoe je bij de webshop-database komt: postgres://shop_admin:{PWD}@webshop-db.cx81ab.eu-central-1.rds.amazonaws.com:5432/webshop")
c("x", "@appelvonk_help", "nl", [S],
  "@mirjam_appelvonk inlog backoffice kassa: gebruiker beheer, wachtwoord: {PWD} (niet doorgeven)", kind="reply")
c("reddit", "u/secscanner_nl", "en", [S],
  "Appelvonk left AWS creds in a public repo of their webshop theme lol: AKIA key {AWSID} with secret {AWSSEC}. Reported it to them.")
c("mastodon", "@gerrit@boerderij.social", "nl", [S, C],
  "CI-token voor https://git.appelvonk-intern.nl is {GLPAT}, zet hem maar in je .env")

# ============ PERSONAL DATA ============
c("x", "@appelvonk_help", "nl", [P],
  "@marieke_h Hoi Marieke, we hebben de €22,50 teruggestort naar {IBANSP} t.n.v. M. Hendriks. Binnen 2 werkdagen binnen!",
  kind="reply")
c("facebook", "AppelvonkPluktuin", "nl", [P],
  "🎉 De winnaar van ons kerstpakket is Sophie de Wit, Kerkstraat 14, 4112 AB Beusichem! Gefeliciteerd Sophie, we komen hem brengen.")
c("x", "@mirjam_appelvonk", "nl", [P],
  "Meneer Brouwer heeft nu 3x gebeld over z'n kist, wie belt hem terug? 06-41 27 83 90")
c("x", "@j_vermeulen84", "nl", [P],
  "@appelvonk_help bel me aub terug over die dubbele afschrijving: 06 12 93 47 58 of mail naar j.vermeulen84@gmail.com", kind="reply")
c("x", "@annabellee", "en", [P],
  "@appelvonk_help it's been 3 weeks, just refund the tickets to {IBAN} please, name A. Lee", kind="reply")
c("facebook", "dirk.vanoosten.appelvonk", "nl", [P],
  "Nieuwe plukker Tomasz Nowak begint maandag, BSN {BSN}, kan iemand hem in het rooster en de loonadministratie zetten?")
c("instagram", "@noor.sapmeester", "nl", [P],
  "Klant heeft haar creditcard laten liggen bij de kassa: {CARD}, op naam van A. de Graaf. Bel ons even!")
c("facebook", "AppelvonkPluktuin", "nl", [P],
  "Gefeliciteerd Henk Mulder (geboren 3 juli 1951), al 40 jaar onze trouwste plukker! 🎂🍎")
c("linkedin", "lars-hoekstra-av", "en", [P],
  "Exported the newsletter list for the agency, first rows for reference: karin.smits@ziggo.nl, p.dejong@kpnmail.nl, "
  "h.ozturk1979@hotmail.com")
c("reddit", "u/lostandfound_tiel", "en", [P],
  "Someone dropped their card at the Appelvonk farm shop car park, number {CARD} exp 09/28. Anyone know this person?")
c("x", "@ruudboomgaard", "en", [P],
  "Address of that complaining customer: the Bakker family, Dorpsstraat 88, 4101 CK Culemborg. Gonna drop by with a pie tomorrow.")
c("facebook", "Kim van Dijk", "en", [P],
  "I'm the mum who lost a blue jacket at the Appelvonk playground today! If found please call me on +31 6 2837 4451 🙏")
c("instagram", "@joost.plukt", "nl", [P],
  "Tikkie voor het personeelsuitje: maak €15 over naar Lars, {IBAN} t.n.v. L. Hoekstra 🍻")
c("linkedin", "eva-kuipers-appelvonk", "nl", [P],
  "Paspoortnummer van onze nieuwe seizoenskracht Marek Kowalski is NX7R84KP2, kan HR dat doorzetten naar de uitzender?")
c("x", "@wraakengel_b", "nl", [P, AB],
  "Die Joost van Appelvonk heet Joost Verbeek, geboren 12-04-1996, woont op de Lindelaan 3 in Buren. "
  "Laten we die eikel eens een bezoekje brengen.")

# ============ BENIGN / HARD NEGATIVES ============
c("x", "@appelvonk", "nl", [],
  "De pluktuin is weer open vanaf 6 september! 🍎 Plukkaart €7,50, kinderen tot 4 jaar gratis. Tot snel!", when="2026-08-28T08:00:00Z")
c("x", "@appelvonk_help", "nl", [],
  "Vragen over je bestelling? Mail winkel@appelvonk.nl of bel 0345-820410 (ma-za 9-17u). We helpen je graag!")
c("linkedin", "hoeve-appelvonk", "nl", [],
  "Groothandelsklanten: betaal je factuur voortaan op {COIBAN} o.v.v. het factuurnummer. Vragen? groothandel@appelvonk.nl")
c("threads", "@lisa.eet.lekker", "en", [],
  "best apple pie I've had in YEARS. Appelvonk farm shop, go go go 😍🥧")
c("x", "@marjoleinnn", "nl", [],
  "mijn appelsap-verslaving is officieel een crisis 😂 3 liter Elstar sap van Appelvonk per dag, stuur hulp")
c("instagram", "@sapliefhebber", "en", [],
  "Killer deal this week: Appelvonk bag-in-box 20% off, €11.96 instead of €14.95. Stocked up 🧃", kind="comment")
c("facebook", "AppelvonkPluktuin", "nl", [],
  "BLACK FRIDAY 🖤 Sapkrat 6x1 liter nu €16,80 in plaats van €21,00. Alleen dit weekend!", when="2026-11-27T07:00:00Z")
c("x", "@voedselnieuws", "nl", [],
  "Terugroepactie bij een Duitse sapproducent wegens glasdeeltjes. Appelvonk laat weten dat hun sappen er niets mee te maken hebben.")
c("mastodon", "@gerrit@boerderij.social", "nl", [],
  "Voor de kassatraining gebruiken we een nepnummer als rekening: {BADIBAN}. Geen echte rekening dus, geen paniek.")
c("x", "@yasmina_vk", "en", [],
  "Stripe test card keeps getting declined in staging, we typed {BADCARD} — turns out that's not even a valid number 🤦")
c("reddit", "u/payroll_nerd", "nl", [],
  "Vraagje: op de voorbeeldloonstrook van mijn nieuwe werk (Appelvonk) staat BSN {BADBSN}. Dat kan nooit echt zijn toch? "
  "Klopt de elfproef niet eens.")
c("linkedin", "lars-hoekstra-av", "en", [],
  "Reminder for the IT newbies: the AWS docs use AKIAIOSFODNN7EXAMPLE with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as sample "
  "credentials. Never put real ones in tickets.")
c("x", "@ruudboomgaard", "nl", [],
  "Oude token ghp_**************************** is ingetrokken en vervangen, niks aan de hand. Bedankt voor de melding!")
c("instagram", "@appelvonk.hoeve", "nl", [],
  "Hij is er! 🥂 De Appelvonk Cider Brut ligt vanaf vandaag in onze boerderijwinkel en webshop.", when="2027-04-02T09:00:00Z")
c("linkedin", "hoeve-appelvonk", "nl", [],
  "Onze jaarcijfers 2026 zijn gepubliceerd: omzet +9%, en we investeren in een nieuwe sapperij. Lees het verslag op appelvonk.nl.",
  when="2027-03-10T08:00:00Z")
c("x", "@gregmcl_", "en", [],
  "Update: @appelvonk_help replaced my leaking juice box within two days and threw in some apple chips. Complaint withdrawn, "
  "great service 👍")
c("facebook", "Annemiek Voskuilen", "nl", [],
  "Sterkte aan iedereen bij Appelvonk na die vreselijke hagelbui. Zonde van al dat werk 😢 We komen zeker weer plukken.",
  kind="comment")
c("x", "@hondenmama_ilse", "en", [],
  "Are dogs allowed at the Appelvonk pick-your-own? On a lead obviously 🐶")
c("threads", "@ruben.fotografeert", "nl", [],
  "Wat een kanjers van appels dit jaar bij Appelvonk 🍎 fotootje van de Goudreinetten, die kleur!")
c("instagram", "@joost.plukt", "nl", [],
  "Eerste dag als plukbegeleider bij Appelvonk. Wat een leuk team en wat een uitzicht 🌳☀️")
c("x", "@lifehacks_nl", "nl", [],
  "Hack van de dag: bevries appelsap in ijsblokjesvormen en gooi ze in je ijsthee. Wij gebruiken die van Appelvonk 🧊")
c("instagram", "@cidertester", "en", [],
  "This dry cider from Appelvonk is the bomb 💣 crisp, not too sweet. €8.95 well spent.")
c("facebook", "Wendy Claassen", "nl", [],
  "Zoekt Appelvonk nog seizoenskrachten voor de oogst? Moet ik dan naar info@appelvonk.nl mailen?", kind="comment")
c("x", "@daytripdave", "en", [],
  "Day trip to Appelvonk with the kids: hay ride, picked a bag of Elstar, pie in the barn. 10/10 would pick again")
c("linkedin", "sofie-maes-foodbiz", "en", [],
  "Sad to read about the layoffs at a big Belgian juice maker this week. Hope smaller producers like Appelvonk keep doing well.")
c("linkedin", "hoeve-appelvonk", "nl", [],
  "Ons duurzaamheidsverslag 2025 staat online: 30% minder water, zonnepanelen op de koelcel en 100% herbruikbare kratten.")
c("x", "@mirjam_appelvonk", "nl", [],
  "Vandaag 400 kilo Elstar geperst. Armen doen pijn maar het sap is goud 💪🍏")
c("reddit", "u/budgetfoodie_nl", "en", [],
  "Appelvonk Elstar juice at €3.95 a liter is honestly a steal compared to the supermarket stuff.")
c("x", "@moeder_van_drie", "nl", [],
  "Mijn kinderen hebben zo ongeveer de halve boomgaard leeggeplunderd vandaag 😅 sorry Appelvonk, we betalen per kilo hoor!")
c("mastodon", "@gerrit@boerderij.social", "en", [],
  "Note for the API docs: send `Authorization: Bearer <your-token>` and never paste the real token in an issue.")
c("linkedin", "lars-hoekstra-av", "nl", [],
  "Voorbeeld uit de cursus: postgres://GEBRUIKER:WACHTWOORD@HOST:5432/DATABASE. Vul zelf in, nooit committen!")
c("x", "@appelvonk_help", "nl", [],
  "Wachtwoord vergeten voor je plukkalender-account? Klik op 'wachtwoord vergeten' op plukkalender.appelvonk.nl, dan sturen we een nieuwe link.")
c("facebook", "AppelvonkPluktuin", "nl", [],
  "Let op: vanaf 1 januari kost de plukkaart €8,00 (was €7,50). Gezinskaart blijft €22,50.", when="2026-12-15T10:00:00Z")
c("x", "@klaasvaak_", "en", [],
  "biggest crisis of my weekend: choosing between the appeltaart and the apple chips at Appelvonk. went with both obviously")
c("instagram", "@tuinvrouw_els", "en", [],
  "Huge respect to the picking staff at Appelvonk, 31 degrees and still cheerful and helpful 🙌")
c("facebook", "Priya Raman", "en", [],
  "Is the apple cinnamon jam from Appelvonk gluten free? Asking for my coeliac sister 🙂", kind="comment")
c("linkedin", "eva-kuipers-appelvonk", "en", [],
  "Proud moment: we passed our food safety audit this week with zero findings. Hats off to the cellar and shop teams.")
c("x", "@appelvonk_help", "nl", [],
  "De kassa's in de winkel werken weer. Sorry voor het wachten vanochtend, de pinstoring bij de bank is opgelost.")
c("x", "@appelvonk", "nl", [],
  "Onze nieuwe appel heeft nog geen naam! Stem mee: Rode Rakker of Zonnekus? 🍎 Reageer hieronder.")
c("x", "@frank_b_", "en", [],
  "Thanks @appelvonk_help! Double charge refunded within a day. That's how it should be done.", kind="reply")
c("instagram", "@snackjunkie", "en", [],
  "Appelvonk apple chips are 3 bags for €6.80 this week. I'm hooked 🍏")
c("facebook", "AppelvonkPluktuin", "nl", [],
  "Groepsuitje plannen? Bel 0800-2775 of mail info@appelvonk.nl voor een arrangement op maat.")
c("x", "@freddiepicks", "en", [],
  "Not an ad, I just really love their cloudy Jonagold. Appelvonk, never change 🧡")
c("reddit", "u/orchard_nerd", "en", [],
  "Anyone know what apple varieties Appelvonk grows? Saw Elstar, Jonagold and Goudreinet on the signs. Any Santana for allergy folks?")
c("x", "@tiel_vandaag", "nl", [],
  "Brand bij een fruitteler in Limburg vannacht, gelukkig geen gewonden. Appelvonk uit Buren biedt hulp aan met opslag in hun koelcel.")
c("linkedin", "hoeve-appelvonk", "en", [],
  "We're hiring a seasonal shop coordinator! Read the full vacancy on www.appelvonk.nl and send your CV to info@appelvonk.nl.")
c("instagram", "@appelvonk.hoeve", "nl", [],
  "Herfstvakantie = 20% korting op de huifkartocht: €4,80 per persoon 🚜🍂")
c("x", "@jurgen_nl", "en", [],
  "Paid by card at the farm shop, receipt only shows **** **** **** 4821. Nicely done.")
c("x", "@appelvonk", "en", [],
  "Our Christmas hamper is back 🎄 €39.95 with juice, jam, apple syrup and a bottle of dry cider. Order before 18 December!",
  when="2026-11-10T09:00:00Z")
c("facebook", "Tineke Broekhuis", "en", [],
  "Did the guided blossom walk at Appelvonk today. All those white and pink flowers, so beautiful 🌸", when="2026-04-18T15:20:00Z")
c("x", "@boekhouder_bert", "nl", [],
  "Test voor m'n cursisten: is {BADIBANSP} een geldig IBAN? Spoiler: nee, de controlecijfers kloppen niet.")
c("x", "@ruudboomgaard", "en", [],
  "Security training today at the farm. Lesson one: never share your password, not even with the apple trees 🍎🔒")
c("instagram", "@daphne_sapt", "en", [],
  "One year of the Appelvonk juice subscription. That box on the doorstep every month is still a little party 📦")
c("x", "@kees_debetuwe", "nl", [],
  "Cider Brut van Appelvonk al geproefd? Echt een aanrader bij de kaas 🧀🥂", when="2027-04-12T18:30:00Z")
c("tiktok", "@appelvonk.sap", "nl", [],
  "Zo maken wij ons sap: wassen, malen, persen, pasteuriseren, bottelen. Geen trucjes 🍏➡️🧃")
c("threads", "@hipster.hanna", "en", [],
  "ok this apple cider vinegar from appelvonk slaps. €6.50 and my salads are elite now")
c("x", "@nieuwsjunk_nl", "nl", [],
  "Overname in de sapwereld: een grote Belgische drankengroep koopt een Limburgse cidermaker. Zou de kleine boer hier ooit van profiteren?")
c("facebook", "AppelvonkPluktuin", "nl", [],
  "Schoolreisje? Het Schoolreis pluk-arrangement kost €145 per klas, inclusief huifkartocht, plukken en een beker appelsap voor elk kind.")


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


LEVELS = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, has_checked_id):
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if cat in (S, PR) or (cat == P and has_checked_id):
                    lv = 4
            else:
                lv = 2
        elif cat == CO:
            lv = 2
        elif cat == CR:
            lv = 3
        elif cat == AB:
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(cat)
        best = max(best, lv)
    return LEVELS[best]


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 31, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


TOKEN_RE = re.compile(r"\{([A-Z]+(?:_\d+)?)\}")


def fill(text, case_no):
    memo = {}

    def rep(m):
        name = m.group(1)
        if name == "COIBAN":
            return sorted(OWN_IBANS)[0]
        if name not in memo:
            memo[name] = gen_token(name, case_no)
        return memo[name]
    return TOKEN_RE.sub(rep, text)


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    out = []
    for n, idx in enumerate(order):
        cs = CASES[idx]
        text = fill(cs["text"], idx)
        role = role_of(cs["platform"], cs["handle"])
        checked = any(v[0] == idx for v in VALID_IDS)
        sev = severity(cs["cats"], role, checked)
        while True:
            pid = "%s-%d" % (cs["platform"], rng.randrange(10**9, 10**10))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": cs["platform"], "kind": cs["kind"],
                "account": {"handle": cs["handle"]}, "text": text, "lang": cs["lang"],
                "created_at": cs["when"] or random_time()}
        if n % 3 == 0:
            post["brand"] = "Appelvonk"
        out.append({"post": post, "expect": {"categories": sorted(set(cs["cats"])), "severity": sev},
                    "_idx": idx, "_role": role})
    return out


# ---------------------------------------------------------------- self-checks
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d*])(?:\d{4}[ -]){3}\d{4}(?!\d)|(?<!\d)\d{16}(?!\d)")
BSN_RE = re.compile(r"(?<![\d-])\d{9}(?![\d-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errors = []

    def err(row, msg):
        errors.append(f"{row['post']['id']}: {msg}")

    ids = [r["post"]["id"] for r in rows]
    if len(ids) != len(set(ids)):
        errors.append("duplicate ids")
    if not 170 <= len(rows) <= 180:
        errors.append(f"case count {len(rows)} outside 170-180")

    for r in rows:
        p, e = r["post"], r["expect"]
        # CONTRACT section 6 / section 1 shape
        if set(r) - {"post", "expect", "_idx", "_role"}:
            err(r, "unexpected top-level key")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                err(r, f"missing {f}")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(r, "bad id")
        if p["platform"] not in PLATFORMS:
            err(r, "bad platform")
        if p["kind"] not in KINDS:
            err(r, "bad kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(r, "bad handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            err(r, "bad text")
        if not RFC3339.match(p["created_at"]):
            err(r, "bad created_at")
        if not p["created_at"].startswith(("2026", "2027")):
            err(r, "created_at outside 2026/2027")
        if TOKEN_RE.search(p["text"]):
            err(r, "unfilled placeholder")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            err(r, "bad categories")
        if e["severity"] not in LEVELS:
            err(r, "bad severity")
        if not cats and e["severity"] != "none":
            err(r, "benign with severity")
        if cats and e["severity"] in ("none", "info"):
            err(r, "positive without severity")

        text = p["text"]
        low = text.lower()
        positive = bool(cats)
        role = r["_role"]
        # recompute severity independently from the profile role
        key = f"{p['platform']}:{p['account']['handle']}".lower()
        role2 = "corporate" if key in CORP else "employee" if key in EMPL else "public"
        if role2 != role:
            err(r, "role mismatch")

        # identifiers found in the text
        found_ibans = [m.group(0).replace(" ", "") for m in IBAN_RE.finditer(text)]
        found_cards = [m.group(0) for m in CARD_RE.finditer(text)]
        found_bsns = [m.group(0) for m in BSN_RE.finditer(text)]
        valid_found = False
        for ib in found_ibans:
            if ib.upper() in OWN_IBANS:
                if P in cats:
                    err(r, "own IBAN in a pii positive")
                continue
            ok = iban_ok(ib)
            if positive and not ok:
                err(r, f"invalid IBAN in positive {ib}")
            if not positive and ok:
                err(r, f"valid IBAN in negative {ib}")
            valid_found |= ok
        for cd in found_cards:
            ok = luhn_ok(cd)
            if positive and not ok:
                err(r, f"invalid card in positive {cd}")
            if not positive and ok:
                err(r, f"valid card in negative {cd}")
            valid_found |= ok
        for b in found_bsns:
            ok = bsn_ok(b)
            if positive and not ok:
                err(r, f"invalid BSN in positive {b}")
            if not positive and ok:
                err(r, f"valid BSN in negative {b}")
            valid_found |= ok
        if valid_found and P not in cats:
            err(r, "valid identifier but no leak.pii")
        # generated identifiers really ended up checked
        for (ci, kind, v) in VALID_IDS:
            if ci == r["_idx"]:
                okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind]
                if not okf(v) or v not in text or not positive or P not in cats:
                    err(r, f"generated valid {kind} problem")
        for (ci, kind, v) in INVALID_IDS:
            if ci == r["_idx"]:
                okf = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind]
                if okf(v) or v not in text or positive:
                    err(r, f"generated invalid {kind} problem")
        sev2 = severity(cats, role2, valid_found)
        if sev2 != e["severity"]:
            err(r, f"severity {e['severity']} != recomputed {sev2}")

        # GitHub tokens: real ones in positives pass CRC
        for tok in GH_RE.findall(text):
            if not github_token_ok(tok):
                err(r, "github token with bad checksum")
            if S not in cats:
                err(r, "github token without leak.secret")
        if any(not k.endswith("EXAMPLE") for k in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text)) and S not in cats:
            err(r, "AWS key without leak.secret")
        if "AKIA" in text and S in cats:
            for k in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", k):
                    err(r, "bad AWS key alphabet")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                err(r, "JWT header without alg")
            if S not in cats:
                err(r, "JWT without leak.secret")
        if "PRIVATE KEY-----" in text and S not in cats:
            err(r, "private key without leak.secret")

        # profile terms: codenames / markers / internal domains must be labelled confidential
        for term in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                     + PROFILE["internal"]["domains"]):
            if term.lower() in low and C not in cats:
                err(r, f"internal term '{term}' without leak.confidential")
        when = parse_time(p["created_at"])
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if when < until and C not in cats:
                        err(r, f"embargo term '{term}' before until without leak.confidential")
                    if when >= until and not positive:
                        pass  # allowed: embargo over
        # public handles never collide with the profile
        if role == "public":
            h = p["account"]["handle"].lower()
            if any(a.split(":", 1)[1] == h for a in CORP | EMPL):
                err(r, "public handle equals a profile handle")
    return errors


def main():
    rows = build()
    errors = check(rows)
    cat_counts = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            cat_counts[cat] = cat_counts.get(cat, 0) + 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the file to check it round-trips
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if [b["post"]["id"] for b in back] != [r["post"]["id"] for r in rows]:
        errors.append("round-trip mismatch")
    print(f"{len(rows)} cases, {benign} benign, nl {nl}/{len(rows)}")
    for k in sorted(cat_counts):
        print(f"  {k}: {cat_counts[k]}")
    if errors:
        print("SELF-CHECK FAILED:")
        for e_ in errors:
            print("  " + e_)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
