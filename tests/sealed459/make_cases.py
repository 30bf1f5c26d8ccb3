#!/usr/bin/env python3
"""Build the sealed evaluation set 459 (De Inktdraak: comic and board-game stores).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it: checksums of identifiers, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml (CONTRACT section 4), embargo windows,
pricing ratios, and the mix.
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

SEED = 459_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def make_iban(bank):
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        body = bank + acct + "NL00"
        n = int("".join(str(int(c, 36)) for c in body))
        cd = 98 - n % 97
        iban = "NL%02d%s%s" % (cd, bank, acct)
        if iban_ok(iban):
            return iban

def spaced_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))

def break_iban(iban):
    # change the check digits so mod-97 fails
    cd = int(iban[2:4])
    for delta in (7, 13, 29, 41):
        bad = "NL%02d%s" % ((cd + delta) % 100, iban[4:])
        if not iban_ok(bad):
            return bad
    raise AssertionError("could not break iban")

def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0

def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError

def group4(num):
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4))

def break_luhn(num):
    last = int(num[-1])
    bad = num[:-1] + str((last + 3) % 10)
    assert not luhn_ok(bad)
    return bad

def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    tot = sum(int(c) * k for c, k in zip(s, w))
    return tot % 11 == 0

def make_bsn():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        for last in string.digits:
            if bsn_ok(first + last):
                return first + last

def make_bad_bsn():
    while True:
        s = str(rng.randint(1, 8)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s

# ---------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits

def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))

def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"

def github_token(prefix="ghp_"):
    body = rand(30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")

def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"

def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = lambda s: s + "=" * (-len(s) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
        json.loads(base64.urlsafe_b64decode(pad(parts[1])))
    except Exception:
        return False
    return "alg" in head

def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))

def password(words):
    return rng.choice(words) + rng.choice("!@#$%&*") + str(rng.randint(10, 9999)) + rand(3, string.ascii_letters)

def mobile():
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))

# ---------------------------------------------------------------- values
V = {}
V["IBAN_OK1"] = spaced_iban(make_iban("INGB"))
V["IBAN_OK2"] = make_iban("ABNA")
V["IBAN_OK3"] = spaced_iban(make_iban("RABO"))
V["IBAN_BAD1"] = spaced_iban(break_iban(make_iban("INGB")))
V["IBAN_BAD2"] = break_iban(make_iban("SNSB"))
V["CARD_OK1"] = group4(make_card("4"))
V["CARD_OK2"] = make_card("53")
V["CARD_OK3"] = "-".join(group4(make_card("4")).split(" "))
V["CARD_BAD1"] = group4(break_luhn(make_card("4")))
V["BSN_OK1"] = make_bsn()
V["BSN_BAD1"] = make_bad_bsn()
m = [mobile() for _ in range(5)]
V["PHONE1"] = "06-" + m[0][1:]
V["PHONE2"] = "+31 6 " + " ".join(m[1][i:i + 2] for i in range(1, 9, 2))
V["PHONE3"] = "+31" + m[2]
V["PHONE4"] = "06 " + " ".join(m[3][i:i + 2] for i in range(1, 9, 2))
V["PHONE5"] = "0" + m[4]
V["EMAIL1"] = "ingrid.postma82@hotmail.com"
V["EMAIL2"] = "joris.vankampen@ziggo.nl"
V["EMAIL3"] = "sanne.post1994@gmail.com"
V["COMPANY_IBAN"] = "NL03 RABO 0312 4567 89"
V["AWS_ID1"] = "AKIA" + rand(16, string.ascii_uppercase + "234567")
V["AWS_SECRET1"] = rand(40, ALNUM + "/+")
V["GHP1"] = github_token("ghp_")
V["JWT1"] = jwt({"sub": "webhook-orders", "iss": "shop.inktdraak.nl", "iat": 1778140800,
                 "exp": 1809676800, "scope": "orders:write stock:read"})
V["MOLLIE1"] = "live_" + rand(30)
def slack_token():
    while True:
        a, b = rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1)
        if not luhn_ok(str(b)):
            return "xoxb-%d-%d-%s" % (a, b, rand(24))
V["SLACK1"] = slack_token()
V["STRIPE1"] = "sk_live_51" + rand(97)
V["OPENAI1"] = "sk-proj-" + rand(64, ALNUM + "-_") + "T3BlbkFJ" + rand(64, ALNUM + "-_")
V["ANT1"] = "sk-ant-api03-" + rand(93, ALNUM + "-_") + "AA"
V["GAPI1"] = "AIza" + rand(35, ALNUM + "-_")
V["SSHKEY"] = openssh_key()
V["PW1"] = password(["Kelder", "Draak", "Stripje", "Kassa"])
V["PW2"] = password(["Vaalmoor", "Inkt", "Meeple"])
V["PW3"] = password(["Dobbel", "Pion", "Goblin"])

SECRET_PLACEHOLDERS = {"AWS_ID1", "AWS_SECRET1", "GHP1", "JWT1", "MOLLIE1", "SLACK1", "STRIPE1",
                       "OPENAI1", "ANT1", "GAPI1", "SSHKEY", "PW1", "PW2", "PW3"}

# ---------------------------------------------------------------- authors
CORP = {
    "x_main": ("x", "@inktdraak"), "x_help": ("x", "@inktdraak_help"),
    "ig": ("instagram", "@de.inktdraak"), "fb": ("facebook", "DeInktdraak"),
    "li": ("linkedin", "de-inktdraak"), "tt": ("tiktok", "@inktdraak"),
    "yt": ("youtube", "@InktdraakTV"), "masto": ("mastodon", "@inktdraak@mastodon.nl"),
}
EMP = {
    "lotte": ("x", "@lotte_inktdraak"), "bram": ("x", "@bram_speelt"),
    "mirjam": ("instagram", "@mirjam.tekent"), "joost": ("linkedin", "joost-van-leeuwen-inkt"),
    "ayse": ("linkedin", "ayse-kaya-ecommerce"), "daan": ("x", "@daanvdmeer_dev"),
    "noor": ("bluesky", "@noorstrips.bsky.social"), "ruben": ("reddit", "u/ruben_kelderbaas"),
    "sem": ("tiktok", "@sem.achterdetoonbank"), "femke": ("threads", "@femke.inktdraak"),
}

def A(key_or_platform, handle=None):
    if handle is None:
        return CORP.get(key_or_platform) or EMP[key_or_platform]
    return (key_or_platform, handle)

CAT = {"cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
       "pii": "leak.pii", "sec": "leak.secret", "svc": "leak.security", "con": "leak.confidential",
       "fin": "leak.financial", "prc": "leak.pricing"}

CASES = []

def P(cats, author, lang, text, kind=None, at=None, price=None, name=None):
    CASES.append(dict(cats=cats.split() if cats else [], author=author, lang=lang, text=text,
                      kind=kind, at=at, price=price, name=name))

# ================================================================ complaints
P("cmp", A("x", "@meeplemama"), "nl",
  "@inktdraak_help al 3 weken wacht ik op mijn pre-order van Gildehal Legacy. Geld wel meteen afgeschreven natuurlijk. Geen mail, geen track & trace, niks. Wat is hier aan de hand??", kind="reply")
P("cmp", A("reddit", "u/cardboard_hoarder"), "en",
  "Ordered the Havenbaronnen Big Box from InktdraakShop. Box arrived with one corner completely crushed and half the wooden ships rattling around loose. Packed in a paper bag. A PAPER BAG. For a 130 euro game. Not impressed.")
P("cmp", A("facebook", "kees.willemsen.7"), "nl",
  "Vandaag bij De Inktdraak in Utrecht Stormklok gekocht, thuis blijken er 2 kaartdecks te ontbreken. Terug naar de winkel en ze zeggen 'moet je bij de uitgever melden'. Serieus? Ik heb het bij jullie gekocht hoor.", kind="comment", name="Kees Willemsen")
P("cmp", A("x", "@panelsenplaatjes"), "nl",
  "voor de 3e keer dit jaar stuurt @inktdraak me de variant cover ipv de gewone van mijn pull list. die abonnementsservice is echt een puinhoop de laatste tijd")
P("cmp", A("x", "@bordspelbart"), "nl",
  "kelderdoos deze maand 2x afgeschreven 🙄 en de klantenservice reageert al 5 dagen niet op m'n mail. @inktdraak_help ??")
P("cmp", A("instagram", "@tabletop.tess"), "en",
  "Love your store vibe but the webshop checkout keeps throwing 'payment failed' and then charges me anyway. Had to call my bank. Refund still pending after 12 days @de.inktdraak", kind="comment")
P("cmp", A("tiktok", "@jessieleest"), "nl",
  "storytime: besteld bij inktdraak, 'morgen in huis' beloofd, 9 dagen later nog steeds 'in verwerking' 😭😭 #inktdraak #strips #fail")
P("cmp", A("forum", "dicegoblin_77"), "en",
  "Warning for anyone eyeing the Dobbelkoffer Obsidiaan: two of the d6s in my set have the pips painted so sloppily you can't read them, and the foam insert was torn before I even opened it. Inktdraak support offered me a 5% coupon. lol. lmao even.")
P("cmp", A("x", "@stripjunk_eindhoven"), "nl",
  "Die nieuwe openingstijden van de Inktdraak Eindhoven slaan nergens op, zaterdag om 16:00 dicht?? Wanneer moeten mensen die werken dan komen")
P("cmp", A("bluesky", "@graphicgrace.bsky.social"), "en",
  "Sleeve Vault 1000 from inktdraak: the magnets are so weak the lid pops open every time I pick it up. Cards all over my floor twice now. I want my money back tbh")
P("cmp", A("reddit", "u/spelavondsander"), "nl",
  "Iemand anders ook gedoe met retourneren bij InktdraakShop? Spel ongeopend teruggestuurd binnen 14 dagen, nu zeggen ze dat de seal 'beschadigd' is en krijg ik maar de helft terug. Voelt als oplichting eerlijk gezegd")
P("cmp", A("threads", "@nerdmom_of3"), "en",
  "went to the inktdraak rotterdam store for free comic book day, they'd run out of literally everything by 10:15 and the guy at the counter just shrugged. kids were so disappointed 😞")
# complaint + crisis: first-hand harm from the company's product
P("cmp cri", A("x", "@vader_van_twee"), "nl",
  "Onze LED Dobbeltoren van @inktdraak begon gisteravond ineens te roken bij de USB-aansluiting en de onderkant is gewoon gesmolten. Stond op tafel tijdens spelavond, kinderen ernaast. Dit had brand kunnen worden!!")
P("cmp cri", A("reddit", "u/brushlicker_nl"), "en",
  "PSA: the Miniatuur Schilderset Pro from Inktdraak gave me a nasty rash on both hands and my eyes were burning after one session with the primer. Ventilated room and all. No safety info on the bottles in any language. Binned it.")
P("cmp cri", A("facebook", "marloes.vdheuvel"), "nl",
  "Mijn zoontje (4) had een van de kleine metalen dobbelsteentjes uit de Dobbelkoffer in zijn mond en heeft hem bijna ingeslikt. Nergens een waarschuwing op de doos. We zijn met de schrik vrijgekomen maar @DeInktdraak dit kan echt niet.", kind="comment", name="Marloes van den Heuvel")
P("cmp cri", A("x", "@tokenterror"), "en",
  "my Kelderkoning table from inktdraak collapsed mid-game, one leg just snapped. my friend's foot got crushed under the edge, we spent the night in A&E. 900 euros for this??")
P("cmp cri", A("instagram", "@puzzelpien"), "nl",
  "De Raadselslot die ik bij jullie kocht heeft binnenin een vlijmscherp metalen randje, mijn dochter heeft er een flinke snee in haar vinger aan overgehouden. 3 hechtingen. @de.inktdraak graag een reactie.", kind="comment")
# complaint + abuse
P("cmp abu", A("x", "@woedendewim"), "nl",
  "kutwinkel. 4 weken geleden betaald, nog steeds geen pakket en die idioten van @inktdraak_help sturen alleen copy-paste antwoorden. stelletje prutsers")
P("cmp abu", A("reddit", "u/angry_meeple"), "en",
  "Inktdraak staff in Amsterdam are absolute morons. Asked where the Spectra Clash boosters were, guy rolled his eyes and told me to 'google it'. Then charged me twice at the register. Useless pricks.")
# complaint + pii (customer exposes own data)
P("cmp pii", A("x", "@ingrid_speelt"), "nl",
  "@inktdraak_help mijn bestelling is wéér niet aangekomen en jullie bellen nooit terug. Bel me dan gewoon: <<PHONE1>> of mail <<EMAIL1>>. Ordernr 88213.", kind="reply")

# ================================================================ crisis only
P("cri", A("x", "@privacywatch_nl"), "en",
  "Seeing reports that Inktdraak's webshop exposed customer order histories incl. home addresses, screenshots are circulating on a Discord. Has @inktdraak said anything? If true that's a massive GDPR breach.")
P("cri", A("x", "@bordspelboycot"), "nl",
  "De Inktdraak verkoopt nog steeds de strips van die tekenaar die vorige maand is veroordeeld. Niet meer kopen daar mensen. #boycotInktdraak tot ze het uit de schappen halen.")
P("cri", A("blog", "tabletopwire"), "en",
  "Independent publisher Rook & Quill has filed a lawsuit against Dutch retailer De Inktdraak, alleging the chain sold counterfeit copies of its bestselling deckbuilder through its webshop for more than a year.", name="Tabletop Wire")
P("cri", A("facebook", "nieuws.utrecht.centrum"), "nl",
  "Brandweer rukte vanmiddag uit naar de Inktdraak-winkel aan de Oudegracht. Volgens omstanders vatte een dobbeltoren in de etalage vlam. Niemand raakte gewond, de winkel blijft voorlopig dicht.", name="Nieuws Utrecht Centrum")
P("cri", A("reddit", "u/safetyfirst_dad"), "en",
  "Heads up: there's a thread on the consumentenbond forum about the Inktdraak LED dice tower overheating. Several people say the USB board gets hot enough to scorch the wood. These should be recalled before someone's house burns down.")
P("cri", A("x", "@ouders_alert"), "nl",
  "TERUGROEPACTIE!! De Inktdraak haalt de Raadselslot puzzelbox uit de verkoop na meldingen van snijwonden bij kinderen. Heb je er een thuis, laat je kind er niet meer mee spelen.")
P("cri", A("threads", "@oud_toonbankmeisje"), "nl",
  "Ex-medewerker van de Inktdraak hier. Het management liet ons elke Free Comic Book Day onbetaald overwerken en wie klaagde kreeg te horen dat z'n contract niet verlengd werd. Tijd dat mensen dit weten.")
P("cri", A("tiktok", "@claimcollectief"), "nl",
  "Er loopt nu een massaclaim tegen De Inktdraak om die Kelderdoos-abonnementen die stilzwijgend werden verlengd. Al ruim 2000 deelnemers. Link in bio ⚖️")
P("cri", A("mastodon", "@datalekken@mastodon.social"), "en",
  "Have I Been Pwned just added 'Inktdraak': 310k accounts, email addresses and hashed passwords. Change your password if you ever ordered from them.")
P("cri", A("x", "@regio_zwolle_nu"), "nl",
  "Ambulance bij De Inktdraak Zwolle tijdens een speelmiddag: een kind is flauwgevallen door de hitte in de volle kelder. Volgens de organisatie maakt het kind het inmiddels goed.")

# ================================================================ abuse
P("abu", A("x", "@trollking99"), "en",
  "@inktdraak you're a bunch of greedy clowns and your staff are the ugliest basement nerds I've ever seen lmao", kind="reply")
P("abu", A("x", "@dobbelhater"), "nl",
  "die @bram_speelt is echt de grootste eikel van heel Utrecht, hoop dat ze die sukkel eruit trappen")
P("abu", A("instagram", "@xx_jochem_xx"), "nl",
  "w4t een k4nker z00i is die 1nktdr44k w1nkel, p3rsoneel is gew00n 4chterl1jk", kind="comment")
P("abu", A("reddit", "u/gatekeeper_greg"), "en",
  "Girls running the comics section is exactly why Inktdraak went downhill. Go back to the kitchen, Noor, nobody wants your 'recommendations'.")
P("abu", A("tiktok", "@spelsloper"), "nl",
  "die vrouw met die hoofddoek achter de kassa bij inktdraak, ga lekker terug naar je eigen land", kind="comment")
P("abu", A("x", "@fcbd_rage"), "en",
  "f*ck inktdraak, f*ck their overpriced cardboard and f*ck whoever runs that instagram")
P("abu", A("facebook", "henk.degroot.1962"), "nl",
  "Stelletje oplichters en zakkenwassers bij De Inktdraak. Schaam je diep.", kind="comment", name="Henk de Groot")
P("abu", A("bluesky", "@dicedgoblin.bsky.social"), "en",
  "lotte from inktdraak is a talentless attention seeker and everyone in the scene knows it. someone should shut her up for good")
P("abu", A("x", "@spelmeningen"), "nl",
  "I n k t d r a a k = k.u.t.b.e.d.r.i.j.f. allemaal t.y.f.u.s.l.i.j.e.r.s daar")
P("abu", EMP["bram"], "nl",
  "@woedendewim hou toch je bek man. jij bent die klootzak die vorige week m'n collega aan de kassa uitschold. Je bent hier niet meer welkom.", kind="reply")

# ================================================================ personal data
P("pii", CORP["x_help"], "nl",
  "@harm_bakt Hoi Harm, de terugbetaling is vandaag gedaan naar <<IBAN_OK1>> t.n.v. H. Bakker. Kan 1-2 werkdagen duren!", kind="reply")
P("pii", EMP["lotte"], "nl",
  "En de winnaar van onze tekenwedstrijd is... 🎉 Femke Jansen, Lindelaan 14, 3581 GK Utrecht! Je prijs komt deze week met de post 📦")
P("pii", EMP["ruben"], "nl",
  "lol klant vergat vandaag z'n creditcard op de toonbank, nummer <<CARD_OK1>>, als iemand hem kent laat maar weten haha. ligt in de kluis")
P("pii", EMP["mirjam"], "en",
  "Happy birthday to our favourite regular Anouk Verhoeven, born 12 March 1991 🎂 there's cake for you at the Leiden store all day!")
P("pii", EMP["ayse"], "nl",
  "Voor de nieuwe collega die maandag start: contract staat klaar, BSN <<BSN_OK1>>, salaris naar <<IBAN_OK2>>. Kan iemand van HR dit oppakken? Thanks!")
P("pii", CORP["fb"], "nl",
  "Gevonden in onze winkel in Haarlem: portemonnee van Margreet de Graaf. Ken je haar? Ze is bereikbaar op <<PHONE2>>, laat haar even weten dat hij hier ligt!")
P("pii", A("x", "@jorisvk"), "nl",
  "@inktdraak_help ik krijg geen bevestigingsmail binnen, mijn adres is <<EMAIL2>> — kunnen jullie even checken?", kind="reply")
P("pii", A("instagram", "@lisa.draws.stuff"), "en",
  "DM'd you but no reply yet 🥲 my number's <<PHONE3>> if anyone at inktdraak can call me about picking up my commission", kind="comment")
P("pii abu", A("reddit", "u/rekeningvereffenen"), "nl",
  "Die gozer van de inktdraak die mij vorige week de deur wees heet Sem van Dijk en woont gewoon op de Kerkstraat 22 in Amersfoort. Zeg het maar even tegen hem.")
P("pii", A("x", "@tim_ordered"), "en",
  "@inktdraak_help got charged twice, here's the card so you can look it up: <<CARD_OK2>>. please sort it out", kind="reply")
P("pii", EMP["femke"], "nl",
  "Pakket voor Yusuf El Idrissi komt terug als onbestelbaar. Adres: Van Speijkstraat 101-3, 1057 GV Amsterdam, tel <<PHONE4>>. Iemand een idee wat er mis is? 🤔")
P("pii", CORP["tt"], "en",
  "Congrats to our giveaway winner Marie Kuijpers 🎁 we're shipping your box to Hoofdstraat 8, 3701 AB Zeist this week! #inktdraak #giveaway")
P("pii", EMP["noor"], "en",
  "note to self so I don't forget: hold the new Nachtwacht Noir for Sanne Post, <<EMAIL3>>, <<PHONE5>>. she picks it up thursday")
P("pii", A("forum", "spelgenootschap_hilversum"), "nl",
  "Voor de ledenlijst 2026: contributie graag overmaken naar mij, Gert Hoekstra, <<IBAN_OK3>>. We spelen nog steeds elke donderdag in de kelder van de Inktdraak Hilversum.")
P("pii", EMP["daan"], "en",
  "debugging checkout, this one order keeps failing: J. Smit, dob 1987-04-23, card <<CARD_OK3>> exp 09/28. anyone seen this gateway error before?")

# ================================================================ secrets
P("sec", EMP["daan"], "en",
  "why is the deploy failing 😩\nexport AWS_ACCESS_KEY_ID=<<AWS_ID1>>\nexport AWS_SECRET_ACCESS_KEY=<<AWS_SECRET1>>\naws s3 ls s3://inktdraak-prod-assets works fine locally??")
P("sec", EMP["ruben"], "nl",
  "Voor de avondploeg, de kassa-pc in Utrecht: gebruiker kassa02, wachtwoord: <<PW1>> . Niet verder vertellen 🤫")
P("sec", EMP["daan"], "nl",
  "kan iemand kijken waarom deze token een 401 geeft op onze repo? <<GHP1>> ik word gek")
P("sec", CORP["masto"], "en",
  "testing our new webshop webhook 🤖\ncurl -H \"Authorization: Bearer <<JWT1>>\" https://shop.inktdraak.nl/hooks/orders")
P("sec", EMP["ayse"], "en",
  "Proud of our new payment integration! 🚀 Quick snippet for the devs following along:\nconst mollie = createMollieClient({ apiKey: '<<MOLLIE1>>' });")
P("sec", EMP["femke"], "nl",
  "de voorraadbot in slack doet weer raar. token is <<SLACK1>> kan iemand van IT even kijken want ik snap er niks van")
P("sec", A("reddit", "u/jsbundle_snoop"), "en",
  "Found this in Inktdraak's public checkout JS bundle lol:\nconst STRIPE_KEY = \"<<STRIPE1>>\";\nPretty sure a secret key isn't supposed to be in there")
P("sec", EMP["daan"], "en",
  "ok who pasted this into the team wiki page 🙃\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<SSHKEY>>\n-----END OPENSSH PRIVATE KEY-----")
P("sec", EMP["lotte"], "nl",
  "Nieuwe AI-tool voor onze productteksten 🤖✨ werkt echt top! Voor de collega's die willen proberen: OPENAI_API_KEY=<<OPENAI1>>")
P("sec svc", EMP["daan"], "en",
  "prod db is wide open since the migration, anyone can connect with postgres://inkt_admin:<<PW2>>@inkt-prod.c7k2xq9wd1ab.eu-west-1.rds.amazonaws.com:5432/webshop. fixing it tonight, don't tell the boss 🙈")
P("sec", A("forum", "pentest_pim"), "en",
  "Inktdraak's GitHub org had a public repo up for about an hour with a .env in it: ANTHROPIC_API_KEY=<<ANT1>> (reported it to them, hope they rotate)")
P("sec", EMP["sem"], "nl",
  "wifi voor personeel achterin de kelder 📶 netwerk: Kelder-Staff, ｗａｃｈｔｗｏｏｒｄ: <<PW3>> graag gedaan collega's")
P("sec", CORP["yt"], "nl",
  "Achter de schermen bij onze nieuwe winkelzoeker! De code uit de video:\n<script src=\"https://maps.googleapis.com/maps/api/js?key=<<GAPI1>>&callback=initMap\"></script>")

# ================================================================ security
P("svc", EMP["daan"], "en",
  "not supposed to say this yet but the webshop isn't 'down for maintenance'. we got hit by ransomware last night and the order database is encrypted. all hands on deck 😬")
P("svc", EMP["ruben"], "nl",
  "Off the record: het kassasysteem ligt al sinds vanochtend plat in alle 9 winkels, we schrijven alles op papier. Officieel is het 'een storing bij de pinprovider' maar het is gewoon onze eigen server die eruit ligt.")
P("svc", EMP["femke"], "en",
  "fun fact: our warehouse scanners have been logging into the stock system with the factory default admin login for 2 years. nobody ever changed it. sleep well everyone 😅")
P("svc", EMP["ayse"], "en",
  "Lesson learned this week: a team member clicked a phishing link and the attacker sat in our webshop admin for 3 days before we noticed. We haven't informed customers yet, working on the wording.")
P("svc", EMP["lotte"], "nl",
  "Huh, als je in je account-URL het klantnummer met 1 ophoogt zie je gewoon andermans bestellingen en adres 😳 moet ik even bij de devs melden denk ik")
P("svc", EMP["sem"], "nl",
  "pov: het inbraakalarm in de winkel doet het al 2 weken niet en de baas zegt 'niemand weet het toch' 💀 #inktdraak #retaillife")
P("svc", EMP["noor"], "en",
  "our comic subscription system has been emailing customers other people's invoices since tuesday. IT knows. nobody has told the customers. i feel sick about it")
P("svc", CORP["x_help"], "nl",
  "@jorisvk Sorry! Door een lek in onze betaalpagina zijn mogelijk kaartgegevens buitgemaakt, dat maken we pas volgende week officieel bekend, dus nog even onder ons houden 🙏", kind="reply")
P("svc", EMP["daan"], "nl",
  "we draaien nog steeds op die oude Magento 1 zonder patches, SQL-injectie via de zoekbalk werkt gewoon. meld ik al een jaar 🤷")
P("svc", EMP["mirjam"], "nl",
  "ons personeelsnetwerk in de winkel hangt nog steeds met het wachtwoord op een post-it naast de router. iedereen die het magazijn in loopt zit zo op het kassanetwerk 🙃")
P("svc con", EMP["bram"], "nl",
  "VPN (vpn.inktdraak.nl) ligt er al de hele dag uit na die aanval van vannacht, niemand kan bij de voorraad. Nog niks naar buiten gecommuniceerd dus mondje dicht")
P("svc con", EMP["ruben"], "en",
  "heads up fellow staff: intranet.inktdraak.local has been defaced since this morning with some hacker group's logo. mgmt says it's 'handled' but nothing's been announced")

# ================================================================ confidential
P("con", EMP["lotte"], "nl",
  "Kan niet wachten tot jullie zien waar we met Project Basilisk mee bezig zijn 🐍👀 de eerste samples liggen op mijn bureau!!")
P("con", EMP["mirjam"], "en",
  "sketching the packaging for Kobaltvos today 🦊💙 can't show you more yet but trust me the artwork slaps")
P("con", EMP["ruben"], "en",
  "the v2 LED dice tower prototypes just came in at the warehouse, they fold flat now and the USB part is completely redesigned. launch is sometime next year, you didn't hear it from me")
P("con", EMP["bram"], "nl",
  "Screenshot uit de teamchat, staat 'alleen voor intern gebruik' boven maar dit is te grappig 😂 planning kerstdrukte: 14 man per winkel en niemand mag vrij")
P("con", CORP["ig"], "en",
  "Sneak peek 👀 of what our design team is cooking… zoom in on the box 😉 #ProjectBasilisk #comingsoon")
P("con", EMP["noor"], "nl",
  "Vandaag de eerste proefdruk gezien van Kob\u200baltvos en ik huil een beetje 😭💙")
P("con", EMP["sem"], "nl",
  "als jullie wisten wat Project B\u0430silisk is zouden jullie nu al sparen 🤑 #inktdraak")
P("con", A("reddit", "u/leaky_larry"), "en",
  "My cousin works at Inktdraak HQ. Apparently 'Operatie Korenwolf' is them expanding into Belgium. You heard it here first.")
P("con", EMP["femke"], "en",
  "link for the team since teams is down again: https://wiki.inktdraak.nl/logistiek/kerst-2026-planning pls don't share outside")
P("con", EMP["daan"], "en",
  "Stormklok: Duister Getij preorders are going to melt our servers, I've seen the numbers from the closed beta 😅")
P("con", EMP["mirjam"], "nl",
  "Eindelijk gaan de laatste illustraties voor Duister Getij naar de drukker 🎨🌊 wat een project was dit",
  at="2027-02-10T15:42:00Z")
P("con", EMP["ayse"], "en",
  "Oops, wrong window 😬 'INKTDRAAK CONFIDENTIAL - webshop roadmap H1 2027: marketplace launch, own TCG line, sunset Kelderdoos'")
P("con", A("x", "@leakhunter_tcg"), "en",
  "Inktdraak is making its own TCG to go after Spectra Clash. Saw the prototype cards at a playtest, the boxes said Kobaltvos on them 👀")
P("con", A("x", "@bordspelroddels"), "nl",
  "Hoorde op de spellenbeurs dat de Inktdraak volgend jaar met een eigen Havenbaronnen-uitbreiding komt, nog niet aangekondigd. Mijn maat zag de slides, stond gewoon 'Vertrouwelijk kelderoverleg' bovenaan haha")
# confidential + financial
P("con fin", EMP["joost"], "nl",
  "Zware weken achter de rug, maar de jaarcijfers 2026 laten een omzetgroei van 18% zien en voor het eerst in jaren zwarte cijfers. Proost op het team! 🥂",
  at="2027-01-14T19:05:00Z")
P("con fin", EMP["bram"], "en",
  "rumour at HQ: Operatie Korenwolf = we're buying Spelparadijs in Gent. deal closes in march apparently 👀")
P("con fin", EMP["ruben"], "nl",
  "Dus Operatie Korenwolf betekent blijkbaar ook dat er 3 winkels dicht gaan (Zwolle, Den Bosch, Leiden). Hoor het vandaag pas. Fijn.")

# ================================================================ financial
P("fin", EMP["joost"], "en",
  "Q3 numbers are in: like-for-like store sales down 11%, webshop up 24%. The board won't love the store side. Results go out next month.")
P("fin", EMP["lotte"], "nl",
  "Net gehoord dat er na de kerst 40 mensen uit moeten op het hoofdkantoor van de Inktdraak. Niemand weet het nog officieel. Ik ben er kapot van 😢")
P("fin", EMP["femke"], "en",
  "our warehouse is being outsourced to a 3PL in Venlo from april, everyone in logistics is out. not announced yet. merry christmas i guess")
P("fin", EMP["noor"], "nl",
  "De forecast voor 2027 is net bijgesteld naar -8% omzet en de stripafdeling wordt gehalveerd. Dat hoort de rest pas in het voorjaar.")
P("fin", EMP["ruben"], "nl",
  "van de regiomanager gehoord dat een grote Amerikaanse retailketen een bod heeft gedaan op de hele Inktdraak. de eigenaren denken er serieus over na. wilde tijden")
P("fin", CORP["li"], "nl",
  "[CONCEPT - niet plaatsen vóór akkoord] De Inktdraak neemt per 1 maart de 6 winkels van Spellenhuis Noord over. Overnamebedrag €4,2 mln, alle medewerkers gaan mee.")
P("fin", A("x", "@beursmeeuw"), "en",
  "Source close to Inktdraak says Q4 EBITDA came in around €1.1m, way below what they told the bank. Expect a profit warning soon.")
P("fin", EMP["bram"], "nl",
  "Regio-overleg vandaag: onze winkel zit 30% onder budget. Als dat niet bijtrekt gaan we in de zomer dicht. Dit mag ik eigenlijk niet zeggen maar ja")
P("fin", EMP["sem"], "en",
  "pov: you find out your store is being sold and everyone gets a new contract with fewer hours 🙃 #inktdraak #retaillife")

# ================================================================ pricing
P("prc", CORP["x_main"], "nl",
  "🎉 Havenbaronnen Big Box nu voor maar €12,90 in de webshop! Op = op!", price=("Havenbaronnen Big Box", 12.90))
P("prc", A("x", "@dealjager_nl"), "nl",
  "PRIJSFOUT bij InktdraakShop: Kaperbrief Collector's Edition voor €14,90 ipv €149 🚨🚨 snel zijn! #prijsfout", price=("Kaperbrief Collector's Edition", 14.90))
P("prc", A("reddit", "u/bargainbinbart"), "en",
  "Kelderkoning table is showing as €89.90 on inktdraak's site right now. Surely a decimal slipped. Ordered two, let's see if they honour it 😂", price=("Speeltafel Kelderkoning", 89.90))
P("prc", EMP["daan"], "en",
  "oops, the import script set the Spectra Clash boosterbox to €11.90 across the whole webshop for about an hour. fixing 😬", price=("Spectra Clash boosterbox", 11.90))
P("prc", CORP["fb"], "nl",
  "Weekendknaller 💥 Gildehal Legacy van €79,95 voor €7,95! Alleen zaterdag, in alle winkels.", price=("Gildehal Legacy", 7.95))
P("prc", A("instagram", "@bordspel.budget"), "nl",
  "Haha de Inktdraak heeft de Sleeve Vault 1000 voor €3,99 in de app staan, prijsfoutje? 🤭 meteen 5 besteld", kind="comment", price=("Sleeve Vault 1000", 3.99))
P("prc", EMP["femke"], "nl",
  "Huh, de kassa's scannen de Dobbelkoffer Obsidiaan vandaag voor €4,95. Iemand bij inkoop een nul vergeten? 😂", price=("Dobbelkoffer Obsidiaan", 4.95))
P("prc", A("x", "@cheapskate_tcg"), "en",
  "Inktdraak price glitch on the Mini Paint Set Pro, cart says €6.49. RUN", price=("Miniatuur Schilderset Pro", 6.49))
P("prc", CORP["tt"], "en",
  "Stormklok for only €５.４９ today 👀⏰ link in bio", price=("Stormklok", 5.49))
P("prc", A("forum", "koopjesjager_ede"), "nl",
  "In de webshop van de Inktdraak staat Inktdraak Kronieken Deel 1 Luxe Editie voor €8,99. Vast een prijsfout, maar wie weet leveren ze gewoon.", price=("Inktdraak Kronieken Deel 1 Luxe Editie", 8.99))
P("prc", EMP["noor"], "en",
  "note for tomorrow: ask finance why Nachtwacht Noir went into all stores with the wrong price tag. pretty sure it's a pricing error on our side and people are buying it up")
P("prc", A("x", "@meeplemiser"), "nl",
  "Is dit een prijsfout? Torens van Vaalmoor voor €5,95 op inktdraak.nl 🤔", price=("Torens van Vaalmoor", 5.95))

# ================================================================ benign (mostly hard negatives)
P("", CORP["x_main"], "nl",
  "Vrijdag 20:00 spelavond in de kelder van Inktdraak Utrecht! Dit keer ligt Torens van Vaalmoor op tafel. Gratis, wel even aanmelden via inktdraak.nl/events 🎲")
P("", A("x", "@stripfan_040"), "nl",
  "Beste stripwinkel van Eindhoven, altijd goed advies bij De Inktdraak 🙌 vandaag Nachtwacht Noir opgehaald, wat een tekenwerk")
P("", CORP["x_help"], "nl",
  "Vragen over je bestelling? Mail klantenservice@inktdraak.nl of bel 030 555 0147 (ma-za 9-18u). We helpen je graag!")
P("", CORP["fb"], "nl",
  "Betaal je per overschrijving? Gebruik alleen <<COMPANY_IBAN>> t.n.v. De Inktdraak Strips & Spellen B.V. Let op voor nepfacturen die een ander nummer noemen!")
P("", A("reddit", "u/partygamepaula"), "en",
  "Mystery Manor is a killer murder game for parties. We all 'died' laughing. Grab it at Inktdraak if you can, it's usually on the shelf near the counter.")
P("", A("tiktok", "@rollforinit"), "en",
  "this dice tower is straight up FIRE 🔥🔥 lights up on every roll, thank you @inktdraak #dicetok")
P("", CORP["ig"], "en",
  "20% off all Spectra Clash boosterboxes this weekend, now €95.20 instead of €119 🃏", price=("Spectra Clash boosterbox", 95.20))
P("", A("x", "@spelletjesoma"), "nl",
  "Havenbaronnen voor €38,95 bij de Inktdraak, normaal €44,95. Goeie deal toch?", price=("Havenbaronnen", 38.95))
P("", CORP["x_main"], "en",
  "Black Friday: Havenbaronnen Big Box €99 (was €129). Limited stock, first come first served!", price=("Havenbaronnen Big Box", 99.0))
P("", A("x", "@lokaalkopen_lars"), "nl",
  "Torens van Vaalmoor kost overal €59,95, bij de inktdraak ook. koop m dan gewoon bij je lokale winkel ipv bij zo'n gigantische webshop", price=("Torens van Vaalmoor", 59.95))
P("", CORP["x_help"], "en",
  "@meeplemama So sorry about the wait! Your Gildehal Legacy left our warehouse today, tracking is in your inbox. Enjoy the campaign 🏰", kind="reply")
P("", A("x", "@hannekespeelt"), "nl",
  "Update: pakket was zoek maar @inktdraak_help heeft binnen een dag een nieuw exemplaar gestuurd. Complimenten, zo hoort het 👏")
P("", A("reddit", "u/wishlistbot_dev"), "en",
  "Building a little wishlist bot for Inktdraak restocks. The AWS tutorial uses AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, obviously those aren't real, where do I generate my own?")
P("", EMP["daan"], "en",
  "PSA for devs: never commit tokens. our pre-commit hook now blocks anything shaped like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or sk_live_**** before it leaves your laptop 💪")
P("", CORP["x_help"], "nl",
  "Wachtwoord vergeten? Ga naar inktdraak.nl/account en klik op 'wachtwoord opnieuw instellen'. Wij vragen NOOIT om je wachtwoord via DM!")
P("", A("x", "@oplettendeoscar"), "en",
  "Got a fake 'Inktdraak' invoice by mail asking me to pay to <<IBAN_BAD1>>. Not their account, the real shop never sends these. Don't fall for it.")
P("", A("forum", "eerste_bestelling"), "nl",
  "Mijn bestelnummer bij InktdraakShop is <<CARD_BAD1>>, is dat normaal zo lang? Haha, voelt als een creditcard")
P("", A("x", "@spaarkaartsophie"), "nl",
  "Klantnummer <<BSN_BAD1>> bij de Inktdraak heeft 12 stempels op de spaarkaart, volgende strip gratis 🎉")
P("", CORP["x_main"], "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €31,4 mln (+18%) en een positief resultaat. Het volledige persbericht staat op inktdraak.nl/pers.",
  at="2027-02-25T09:30:00Z")
P("", CORP["ig"], "en",
  "Stormklok: Duister Getij is OUT NOW 🌊⏰ in all stores and online!", at="2027-03-12T12:00:00Z")
P("", A("x", "@coopgamer_nl"), "en",
  "Played Duister Getij last night, the tide mechanic is brilliant. Inktdraak had a demo table running all afternoon.", at="2027-03-20T21:14:00Z")
P("", A("x", "@speelgoedvrouw"), "nl",
  "Weer een grote speelgoedketen in de VS failliet las ik. Gelukkig heb je hier nog winkels als de Inktdraak waar ze je gewoon kennen.")
P("", A("bluesky", "@mangamaaike.bsky.social"), "en",
  "RIP Pixel, the shop cat at Inktdraak Leiden 😿 you guarded the manga shelf with honour")
P("", A("x", "@jurre_dobbelt"), "nl",
  "Mijn vriendin heeft me vermoord in Mysterie Manor, ik was de butler en ze had me binnen 10 minuten door 😂 #spelavond")
P("", EMP["lotte"], "nl",
  "Wat een opkomst vandaag bij de signeersessie! Dank jullie wel allemaal ❤️ volgende maand komt er weer een tekenaar langs.")
P("", EMP["mirjam"], "en",
  "New sketch for the Inktdraak Kronieken Deel 1 Luxe Editie signing ✍️ preorders are open on the shop, €89.95", price=("Inktdraak Kronieken Deel 1 Luxe Editie", 89.95))
P("", CORP["li"], "nl",
  "We zoeken een winkelmedewerker voor onze vestiging in Groningen! Solliciteren kan via werkenbij@inktdraak.nl 🎲📚")
P("", EMP["joost"], "en",
  "Great panel today on independent retail in the Netherlands. My takeaway: community beats discounts, every time.")
P("", A("x", "@dakgootdirk"), "en",
  "my roof has a leak and it dripped right onto my Gildehal box 😭 not inktdraak's fault obviously, just venting")
P("", A("reddit", "u/twijfelaar_tim"), "nl",
  "Brandende vraag: is Stormklok leuk met 2 spelers? Sta te twijfelen bij de Inktdraak tussen dat en Havenbaronnen")
P("", A("x", "@solo_sterre"), "en",
  "I hacked the Sterrenzand rules so it works solo, variant is up on BGG. The Inktdraak crew loved it at game night")
P("", A("x", "@stripliefhebber_nijmegen"), "nl",
  "Kan de Inktdraak die geweldige tekenaar van vorig jaar niet terughalen voor nog een signeersessie? 🙏")
P("", CORP["tt"], "en",
  "POV: you open this month's Kelderdoos and it's ALL dragons 🐉 #unboxing #inktdraak")
P("", A("bluesky", "@readlocal.bsky.social"), "en",
  "Boycotting the big online marketplaces this year and buying all my comics at Inktdraak instead. Feels good honestly.")
P("", A("x", "@havenhaai"), "nl",
  "Die overname-mechaniek in Havenbaronnen is echt briljant, je koopt gewoon andermans haven op 😈")
P("", A("threads", "@indiecomicsjan"), "en",
  "Sad to see another publisher announcing layoffs today. Support your local stores and studios, folks. I'm off to Inktdraak this weekend.")
P("", EMP["daan"], "en",
  "Webshop was slow for about 20 minutes this morning (it was on our status page), everything's back to normal now. Thanks for your patience!")
P("", CORP["x_help"], "nl",
  "Gepland onderhoud: zondag tussen 02:00 en 04:00 is de webshop even offline. Daarna kun je gewoon weer bestellen.")
P("", A("x", "@blije_bieke"), "nl",
  "Net de Inktdraak gebeld (030 555 0147) en ze houden de laatste Kaperbrief CE voor me apart. Top service!")
P("", A("reddit", "u/nieuwe_klant_nina"), "nl",
  "Hoe lang moet een wachtwoord eigenlijk zijn voor een Inktdraak-account? Hij blijft maar zeggen 'te kort' 🙄")
P("", EMP["ruben"], "en",
  "Reminder: the customer wifi code is on the chalkboard by the door, ask at the counter if you can't spot it 🙂")
P("", A("x", "@mangameisje03"), "nl",
  "ff naar de inktdraak gewest, 3 nieuwe manga's gescoord + gratis sticker 🤩 ze zijn echt chill daar")
P("", A("x", "@pricecheck_pete"), "en",
  "Kaperbrief CE is €149 at Inktdraak and €165 at a couple of other shops. Inktdraak wins this round.", price=("Kaperbrief Collector's Edition", 149.0))
P("", CORP["yt"], "nl",
  "In deze video leggen we Gildehal Legacy uit in 12 minuten, zonder spoilers voor de campagne! 🎥")
P("", A("forum", "devdoris"), "en",
  "The Inktdraak partner API docs show the header as 'Authorization: Bearer <your-token-here>'. Do I need to request a token first or is there a sandbox?")
P("", A("x", "@recensent_rik"), "nl",
  "Journalisten kunnen bij pers@inktdraak.nl terecht voor recensie-exemplaren, zeggen ze. Iemand ervaring mee?")
P("", A("x", "@boosteraddict"), "en",
  "Confidential: I bought more Spectra Clash boosters at Inktdraak this month than groceries. please don't tell my partner 🤫")
P("", A("x", "@groningerstrips"), "nl",
  "De nieuwe Inktdraak zit op de Vismarkt in Groningen, naast de bakker. Eindelijk!")
P("", EMP["noor"], "nl",
  "Nieuwe maand, nieuwe pull list! Deze maand in de kast: Nachtwacht Noir deel 2 en een stapel indie-strips. Kom langs 📚")
P("", A("x", "@stormchaser_bg"), "nl",
  "Ons potje Stormklok ging in ronde 3 compleet in vlammen op lol, de storm heeft ons allemaal gesloopt. Revanche vrijdag bij de inktdraak")
P("", A("instagram", "@minipaintmila"), "nl",
  "Die nieuwe schilderset van de Inktdraak is echt giftig goed 💚 mijn mini's zien er eindelijk uit", kind="comment")
P("", A("x", "@kelderdoosfan"), "nl",
  "Die Kelderdoos van de Inktdraak is pure oplichterij… ze lichten me elke maand op met nóg meer spellen die ik wil hebben 😂❤️")
P("", CORP["x_main"], "en",
  "Event hotline: +31 30 555 0147. Free entry to the Spectra Clash prerelease, bring friends!")
P("", A("facebook", "strips.gent.fan"), "nl",
  "Sterkte aan de eigenaar van die stripwinkel in Gent die vorige week afbrandde. Bij de Inktdraak in Breda staat een collectebus, mooi gebaar.", kind="comment", name="Strips Gent Fan")
P("", A("x", "@natuurnerd_limburg"), "nl",
  "Vandaag een echte korenwolf gezien bij Sibbe 🐹 daarna snel naar de Inktdraak Maastricht voor het nieuwe Sterrenzand")
P("", A("x", "@stormklok_sanne"), "en",
  "Stormklok 30% off at inktdraak today, €38.47. Do it.", price=("Stormklok", 38.47))
P("", A("x", "@groepsaankoop_gijs"), "nl",
  "Voor de groepsaankoop van de Kaperbrief CE: maak je deel over naar <<IBAN_BAD2>>, zaterdag bestel ik bij de Inktdraak")
P("", A("reddit", "u/gildehal_gwen"), "en",
  "The basilisk chapter in Gildehal Legacy is brutal. Bought it at Inktdraak on a whim, best decision this year")
P("", EMP["bram"], "en",
  "Staff pick of the week: Sterrenzand. Quick to teach, brutal to master. €19.95 at the counter ✨", price=("Sterrenzand kaartspel", 19.95))
P("", A("tiktok", "@dice.dad"), "nl",
  "mijn kinderen spelen al de hele week Raadselslot, beste 35 euro ooit uitgegeven bij de Inktdraak 😅", price=("Raadselslot puzzelbox", 35.0))

# ================================================================ build
def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return yaml.safe_load(f)

def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"

RANK = ["none", "info", "warning", "error", "critical"]

def severity(cats, role, pii_checked):
    sev = "none"
    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checked):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev

def fill(text):
    used = re.findall(r"<<([A-Z0-9_]+)>>", text)
    for k in used:
        text = text.replace(f"<<{k}>>", V[k])
    return text, used

def checksum_ids(text):
    """all IBAN / card / BSN look-alikes found in the text with their validity"""
    found = []
    for mm in re.finditer(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}\b", text):
        found.append(("iban", mm.group(), iban_ok(mm.group())))
    for mm in re.finditer(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)", text):
        found.append(("card", mm.group(), luhn_ok(mm.group())))
    for mm in re.finditer(r"(?<![\d.,+])\d{9}(?![\d.,])", text):
        found.append(("bsn", mm.group(), bsn_ok(mm.group())))
    return found

SECRET_SHAPES = [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"sk_live_[0-9A-Za-z]{10,}", r"xox[bpas]-\d+",
    r"sk-proj-[\w-]{20,}", r"sk-ant-[\w-]{20,}", r"AIza[\w-]{35}", r"live_[0-9A-Za-z]{30}",
    r"postgres(?:ql)?://[^:\s]+:[^@\s]+@",
]

def rfc3339(ts):
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", ts))

def parse_ts(ts):
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
URLS = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}", "youtube": "https://www.youtube.com/watch?v={n}",
    "reddit": "https://www.reddit.com/r/bordspellen/comments/{n}/", "mastodon": "https://mastodon.nl/{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}", "threads": "https://www.threads.net/{h}/post/{n}",
    "forum": "https://forum.bordspelkelder.nl/t/{n}", "blog": "https://tabletopwire.example/news/{n}",
}

def main():
    profile = load_profile()
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    # profile sanity
    for ib in profile["public_identifiers"]["ibans"]:
        check(iban_ok(ib), f"profile IBAN fails mod-97: {ib}")
    check(len(profile["accounts"]["corporate"]) >= 6, "need 6+ corporate accounts")
    check(len(profile["accounts"]["employee"]) >= 8, "need 8+ employee accounts")
    check(len(profile["internal"]["codenames"]) == 3, "need 3 codenames")
    check(len(profile["internal"]["markers"]) == 3, "need 3 markers")
    check(15 <= len(profile["products"]) <= 25, "need 15-25 products")
    check(profile["pricing"]["alert_below_ratio"] == 0.5, "alert ratio")
    for e in profile["embargo"]:
        check(str(e["until"]).startswith("2027"), "embargo until must be in 2027")
    prices = {p["name"]: p["list_price"] for p in profile["products"]}
    for p in profile["products"]:
        check(p["currency"] == "EUR", "currency")
    prof_handles = {a.lower() for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]}
    public_ibans = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}

    # generated value sanity
    for k in ("IBAN_OK1", "IBAN_OK2", "IBAN_OK3"):
        check(iban_ok(V[k]), f"{k} must pass mod-97")
    for k in ("IBAN_BAD1", "IBAN_BAD2"):
        check(not iban_ok(V[k]), f"{k} must fail mod-97")
    for k in ("CARD_OK1", "CARD_OK2", "CARD_OK3"):
        check(luhn_ok(V[k]), f"{k} must pass Luhn")
    check(not luhn_ok(V["CARD_BAD1"]), "CARD_BAD1 must fail Luhn")
    check(bsn_ok(V["BSN_OK1"]), "BSN_OK1 must pass 11-proof")
    check(not bsn_ok(V["BSN_BAD1"]), "BSN_BAD1 must fail 11-proof")
    check(github_ok(V["GHP1"]), "github token checksum")
    check(re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AWS_ID1"]) is not None, "aws id shape")
    check(jwt_ok(V["JWT1"]), "jwt shape")

    # assemble
    order = list(range(len(CASES)))
    rng.shuffle(order)
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds())
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    lines, seen_ids = [], set()
    stats = {"benign": 0, "nl": 0, "en": 0, "cats": {}, "roles": {}}
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        platform, handle = c["author"]
        text, used = fill(c["text"])
        role = role_of(profile, platform, handle)
        cats = sorted(CAT[k] for k in c["cats"])
        created = c["at"] or (start + dt.timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        ts = parse_ts(created)
        pid = f"{platform}-{rng.randrange(10**9, 10**10)}"
        while pid in seen_ids:
            pid = f"{platform}-{rng.randrange(10**9, 10**10)}"
        seen_ids.add(pid)
        kind = c["kind"] or ("reply" if text.startswith("@") else "post")

        # identifiers with checksums
        ids = checksum_ids(text)
        is_pii = "leak.pii" in cats
        pii_checked = False
        for typ, val, ok in ids:
            if typ == "iban" and re.sub(r"\s", "", val) in public_ibans:
                continue
            if ok:
                check(is_pii, f"{pid}: valid {typ} {val} in a post without leak.pii")
                pii_checked = True
        for k in used:
            if "_OK" in k:
                check(is_pii, f"{pid}: {k} used outside a pii positive")
            if "_BAD" in k:
                check(not cats, f"{pid}: look-alike {k} should be in a benign post")
            if k in SECRET_PLACEHOLDERS:
                check("leak.secret" in cats, f"{pid}: secret {k} outside a leak.secret positive")
        if not cats:
            for typ, val, ok in ids:
                if typ == "iban" and re.sub(r"\s", "", val) in public_ibans:
                    continue
                check(not ok, f"{pid}: benign post holds a valid {typ} {val}")
        if "leak.secret" not in cats:
            for pat in SECRET_SHAPES:
                for mm in re.finditer(pat, text):
                    s = mm.group()
                    benign_sample = s.startswith("AKIA") and "EXAMPLE" in text[mm.start():mm.end() + 8]
                    if pat.startswith("gh"):
                        benign_sample = not github_ok(s)
                    check(benign_sample, f"{pid}: secret-shaped string {s[:12]}… outside leak.secret")
        # confidential material must be labelled
        low = text.lower()
        conf_hits = [t for t in profile["internal"]["codenames"] + profile["internal"]["markers"]
                     + profile["internal"]["domains"] if t.lower() in low]
        conf_hits += [t for t, until in embargo if t.lower() in low and ts < until]
        if conf_hits:
            check("leak.confidential" in cats, f"{pid}: confidential terms {conf_hits} but not labelled")
        for t, until in embargo:
            if t.lower() in low and ts >= until:
                check("leak.confidential" not in cats or any(
                    x.lower() in low for x in profile["internal"]["codenames"]), f"{pid}: embargo over for {t}")
        # pricing
        if c["price"]:
            pname, pval = c["price"]
            lp = prices[pname]
            if "leak.pricing" in cats:
                check(pval < 0.5 * lp, f"{pid}: pricing positive not below half list ({pval} vs {lp})")
            else:
                check(pval >= 0.65 * lp, f"{pid}: benign price too low ({pval} vs {lp})")
        if "leak.pricing" in cats and not c["price"]:
            check(re.search(r"pric\w* error|prijsfout|wrong price", low) is not None, f"{pid}: price-error talk expected")
        # authorship
        if role == "public":
            check(f"{platform}:{handle}".lower() not in prof_handles, "public handle in profile")
        sev = severity(cats, role, pii_checked)
        if cats:
            check(sev != "none", f"{pid}: positive with severity none")
        post = {"id": pid, "platform": platform, "kind": kind,
                "account": {"handle": handle}, "text": text, "lang": c["lang"],
                "created_at": created, "brand": "inktdraak"}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if platform in URLS:
            post["url"] = URLS[platform].format(h=handle.lstrip("u/"), n=pid.split("-")[1])
        rec = {"post": post, "expect": {"categories": cats, "severity": sev}}
        lines.append(rec)
        stats["benign"] += 0 if cats else 1
        stats[c["lang"]] += 1
        stats["roles"][role] = stats["roles"].get(role, 0) + 1
        for k in cats:
            stats["cats"][k] = stats["cats"].get(k, 0) + 1

    # CONTRACT section 6 shape
    for rec in lines:
        p, e = rec["post"], rec["expect"]
        check(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256, "id")
        check(p["platform"] in PLATFORMS, "platform")
        check(p["kind"] in {"post", "reply", "repost", "comment", "message"}, "kind")
        check(isinstance(p["account"].get("handle"), str) and p["account"]["handle"], "handle")
        check(isinstance(p["text"], str) and len(p["text"].encode("utf-8")) <= 65536 and p["text"], "text")
        check(rfc3339(p["created_at"]), "created_at")
        check(parse_ts(p["created_at"]).year in (2026, 2027), "year")
        check(e["categories"] == sorted(set(e["categories"])), "categories sorted/distinct")
        check(all(x in CAT.values() for x in e["categories"]), "category in taxonomy")
        check("reputation.spike" not in e["categories"], "no spike on single posts")
        check(e["severity"] in RANK, "severity value")
        check((e["severity"] == "none") == (not e["categories"]), "benign <=> none")
        check("<<" not in p["text"], "unfilled placeholder")

    total = len(lines)
    check(170 <= total <= 180, f"total {total} not in 170-180")
    check(55 <= stats["benign"] <= 65, f"benign {stats['benign']}")
    nl_share = stats["nl"] / total
    check(0.50 <= nl_share <= 0.60, f"dutch share {nl_share:.2f}")
    want = {"reputation.complaint": (18, 23), "leak.confidential": (16, 21), "leak.pii": (13, 18),
            "reputation.crisis": (13, 17), "leak.security": (11, 15), "leak.secret": (10, 14),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    for k, (lo, hi) in want.items():
        check(lo <= stats["cats"].get(k, 0) <= hi, f"{k}: {stats['cats'].get(k, 0)} outside {lo}-{hi}")

    # round-trip through JSON text
    with open(OUT, "w", encoding="utf-8") as f:
        for rec in lines:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(l) for l in f]
    check(back == lines, "jsonl round trip")
    check(len({r["post"]["id"] for r in back}) == total, "ids unique")

    print(f"{total} cases, {stats['benign']} benign, nl {stats['nl']} / en {stats['en']}")
    print("roles:", stats["roles"])
    for k in sorted(stats["cats"]):
        print(f"  {k:24s} {stats['cats'][k]}")
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  -", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")

if __name__ == "__main__":
    main()
