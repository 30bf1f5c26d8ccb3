#!/usr/bin/env python3
"""Held-out evaluation set 406 for postwatch: Zoutkoers B.V. (road salt / de-icing).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN, payment card and BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials have their real structure (GitHub CRC-32, JWT header);
  * severities are computed from CONTRACT section 4 and the account role that the
    profile gives, never typed by hand;
  * pricing annotations respect pricing.alert_below_ratio.
Run: python3 make_cases.py
"""
import base64
import collections
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 406
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}
COMPANY_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {}
for p in PROFILE["products"]:
    for n in [p["name"]] + list(p["aliases"]):
        PRODUCTS[n.lower()] = p
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "%s%02d%s" % (cc, chk, bban)


def iban_bad(iban):
    chk = int(iban[2:4])
    bad = "%s%02d%s" % (iban[:2], (chk + 37) % 97 + 2 if chk < 90 else chk - 11, iban[4:])
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_bad(card):
    bad = card[:-1] + str((int(card[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def bsn_make():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bsn_bad(bsn):
    bad = bsn[:-1] + str((int(bsn[-1]) + 1) % 10)
    assert not bsn_ok(bad)
    return bad


# ---------------------------------------------------------------- credentials
def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rstr(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "planner-17", "iss": "routewijs", "aud": "routewijs-api",
                              "scope": "routes:write depots:read", "iat": 1768460400,
                              "exp": 1768546800}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    priv = bytes(rng.randrange(256) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.randrange(2 ** 32))
    sec = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv + pub) + sstr(b"deploy@build01")
    sec += bytes(range(1, 1 + (-len(sec) % 8)))
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(sec))
    b = base64.b64encode(blob).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


ALNUM = string.ascii_letters + string.digits
V = {}
# personal identifiers
V["IBAN_CUST"] = spaced(iban_make("NL", "INGB" + rstr(string.digits, 10)))
V["IBAN_PUB"] = iban_make("NL", "ASNB" + rstr(string.digits, 10))
V["IBAN_EMP"] = spaced(iban_make("NL", "TRIO" + rstr(string.digits, 10)))
V["IBAN_BE"] = spaced(iban_make("BE", rstr(string.digits, 12)))
V["IBAN_BAD"] = spaced(iban_bad(iban_make("NL", "ABNA" + rstr(string.digits, 10))))
V["IBAN_BAD2"] = iban_bad(iban_make("NL", "BUNQ" + rstr(string.digits, 10)))
V["COMPANY_IBAN_SP"] = spaced(sorted(COMPANY_IBANS)[0])
c1 = card_make("4")
V["CARD_PUB"] = spaced(c1)
c2 = card_make("5" + str(rng.randint(1, 5)))
V["CARD_EMP"] = "-".join(c2[i:i + 4] for i in range(0, 16, 4))
V["CARD_BAD"] = spaced(card_bad(card_make("4")))
V["CARD_BAD2"] = card_bad(card_make("37", 15))
V["BSN1"] = bsn_make()
b2 = bsn_make()
V["BSN2"] = "%s.%s.%s" % (b2[:4], b2[4:6], b2[6:])
V["BSN_BAD"] = bsn_bad(bsn_make())
V["BSN_BAD2"] = bsn_bad(bsn_make())
V["PASSNO"] = rstr("ABCDEFGHIJKLMNPRSTUVWXZ", 2) + rstr("ABCDEFGHJKLMNPRSTUVWXZ0123456789", 6) + rstr(string.digits, 1)
# credentials
V["GHP"] = github_token("ghp_")
V["AKIA"] = "AKIA" + rstr(string.ascii_uppercase + "234567", 16)
V["AWSSECRET"] = rstr(ALNUM + "/+", 40)
V["SLACK"] = "xoxb-%s-%s-%s" % (rstr(string.digits, 12), rstr(string.digits, 13), rstr(ALNUM, 24))
V["JWT"] = jwt_make()
V["OPENAI"] = "sk-proj-" + rstr(ALNUM + "-_", 124) + "T3BlbkFJ" + rstr(ALNUM + "-_", 24)
V["SSHKEY"] = openssh_key()
V["STRIPE"] = "sk_live_51" + rstr(ALNUM, 97)
V["GMAPS"] = "AIza" + rstr(ALNUM + "-_", 35)
V["GLPAT"] = "glpat-" + rstr(ALNUM + "-_", 20)
V["DBPASS"] = rstr(ALNUM, 10) + rng.choice("!*~") + rstr(ALNUM, 5)
V["REDISPASS"] = rstr(ALNUM, 28)
V["WIFIPW"] = rng.choice(["Zoutberg", "Pekelbak", "Strooier"]) + rng.choice("!#$") + str(rng.randint(1000, 9999)) + "Mpl"
V["PORTALPW"] = rng.choice(["Winter", "IJzel", "Vorst"]) + str(rng.randint(10, 99)) + "#" + rstr(ALNUM, 5)

ZW = "\u200b"


def fw(s):
    """Full-width form of ASCII letters/digits (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def cyr(s):
    """Swap some Latin letters for Cyrillic look-alikes (evasion)."""
    return s.replace("o", "\u043e").replace("e", "\u0435").replace("a", "\u0430")


CAT = {
    "comp": "reputation.complaint", "cris": "reputation.crisis", "abuse": "reputation.abuse",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secr": "leak.secret", "pii": "leak.pii", "price": "leak.pricing",
}
ROLE = {"c": "corporate", "e": "employee", "p": "public"}
CASES = []


def add(role, platform, handle, lang, cats, text, at=None, kind=None, price=None, name=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=cats.split() if cats else [], text=text, at=at, kind=kind,
                      price=price, name=name))


# =================================================================== COMPLAINTS
add("p", "x", "@fietsfemke", "nl", "comp",
    "Al 3 dagen ijzel op het fietspad langs de Pelmolenweg en nog geen Zoutkoers-wagen gezien. "
    "Waar betaalt de gemeente jullie eigenlijk voor?? #gladheid #zwolle")
add("p", "x", "@dan_in_deventer", "en", "comp",
    "ordered a Big Bag 1000 from @zoutkoers on the 2nd, promised 48h delivery. it's the 9th. "
    "it's been snowing all week. great timing guys 🙃")
add("p", "facebook", "annemiek.post.71", "nl", "comp",
    "Zak KorrelKlaar 25 kg gekocht en het is één grote steenharde klomp. Moest er met een hamer op "
    "inslaan. Retour kan alleen als ik zelf naar Zwolle rij?? Nee dank je.", name="Annemiek Post")
add("p", "x", "@harm_wijhe", "nl", "comp",
    "@zoutkoers_storing 45 min in de wacht gestaan bij jullie storingslijn en toen werd ik gewoon "
    "opgehangen. Parkeerterrein van ons bedrijf is 1 grote ijsbaan, personeel kan er niet op.",
    kind="reply")
add("p", "linkedin", "tom-hughes-facilities", "en", "comp",
    "Third invoice in a row from Zoutkoers Winterdienst billing us for call-outs on nights when it "
    "didn't even freeze. Our facilities team has the temperature logs to prove it. Honestly disappointed "
    "after six years as a customer.")
add("p", "x", "@sleepless_in_zwolle", "en", "comp",
    "every single night at 03:10 that gritter with the beeping reverse alarm in our cul-de-sac, and it's "
    "6 degrees out. zoutkoers seriously, why are you salting above zero??")
add("p", "instagram", "@tuin_van_gijs", "nl", "comp",
    "Gazon helemaal geel langs de stoeprand door het zout dat jullie er met bakken op gooien. Tweede "
    "jaar op rij. Wie betaalt de nieuwe graszoden? @zoutkoers.nl 🌱➡️💀")
add("p", "reddit", "u/cold_commuter_NL", "en", "comp",
    "Is it just me or has Zoutkoers stopped doing the bike lanes in Kampen entirely? Cars get nicely "
    "salted roads, cyclists get a skating rink. Emailed them twice last week, zero reply.")
add("p", "x", "@vve_de_linde", "nl", "comp",
    "Winterabo Plus afgesloten voor onze VvE, contract zegt 'strooien vóór 07:00'. Vanochtend kwam er "
    "om 10:40 iemand. Bewoners moesten over het ijs naar hun auto. Hier betalen we niet voor @zoutkoers")
add("p", "tiktok", "@boerenzoon_max", "nl", "comp",
    "bestelde zoutkist 400 liter komt ie aan met een scheur van boven tot onder 🤡 klantenservice "
    "zegt 'stuur even een foto'. al 4x gedaan. #zoutkoers #klantonvriendelijk")
add("p", "bluesky", "@ellie-r.bsky.social", "en", "comp",
    "The Zoutkoers app says my street was 'treated 05:12'. I was out shovelling at 05:30. Nothing. "
    "Not a single grain. Who is checking this data?")
add("p", "forum", "wegbeheerder_anton", "nl", "comp",
    "Iemand anders ook gedoe met de Nevel 600 van Zoutkoers? Bij ons verstopt de sproeibalk om de paar "
    "ritten en hun monteur kan pas over twee weken. Midden in het seizoen, dus wij rijden met een "
    "halve vloot.")

# ---- complaint + crisis: first-hand harm by product or service
add("p", "x", "@lindadehond", "nl", "comp cris",
    "Onze Bobby heeft wonden aan z'n voetzolen van dat 'diervriendelijke' GladNix spul dat Zoutkoers "
    "over het hele plein strooit. Dierenarts: chemische brandwonden. Ik ben echt woedend 🐾😡")
add("p", "x", "@mark_hollis", "en", "comp cris",
    "A @zoutkoers spreader went past the school bus stop at full spray and soaked my daughter in brine. "
    "Her eyes were burning for an hour, we ended up at the GP. The driver didn't even stop.")
add("p", "facebook", "joyce.hendriks.kampen", "nl", "comp cris",
    "Volgens jullie eigen app was ons pad om 6u gestrooid. Om 7u ging ik onderuit op spiegelglad ijs, "
    "pols op twee plekken gebroken. Er lag NIKS. Zoutkoers, ik verwacht een telefoontje van jullie.",
    name="Joyce Hendriks")
add("p", "reddit", "u/handyman_rik", "en", "comp cris",
    "PSA: the handle on my Vorstvos Mini 120 snapped clean off mid-push and I went face first onto the "
    "ice. Four stitches in my chin. Cheap plastic hinge. Really not happy with Zoutkoers right now.")
add("p", "instagram", "@sanne.klust", "nl", "comp cris",
    "Emmer KorrelKlaar 10 kg opengetrokken, deksel schoot los en ik kreeg een lading zout recht in m'n "
    "oog. Halve dag op de huisartsenpost gezeten. Slechtste verpakking ooit 😤")

# ---- complaint + personal data (a customer exposing own data)
add("p", "x", "@g_timmermans", "nl", "comp pii",
    "@zoutkoers al 5x gemaild over mijn kapotte strooier, niemand reageert. Bel me dan gewoon: "
    "06-38 52 71 04 of mail g.timmermans1978@hotmail.com. Dit duurt nu drie weken!", kind="reply")
add("p", "x", "@priya_venkat", "en", "comp pii",
    "@zoutkoers you charged my card twice for one bag of KorrelKlaar. Here's the card so you can find "
    "it: ⟦CARD_PUB⟧, both charges on 17 Jan. Please sort it out.")

# ---- complaint + abuse
add("p", "x", "@woedende_wim", "nl", "comp abuse",
    "Zoutkoers stelletje prutsers en oplichters. Drie keer betaald, nul keer gestrooid. Jullie planners "
    "zijn gewoon te dom om een kaart te lezen.")
add("p", "x", "@gritless_in_ede", "en", "comp abuse",
    "hey @zoutkoers_storing your 'priority route' is a fucking joke. paid for 6am, got 11am. useless "
    "clowns, the lot of you.", kind="reply")

# =================================================================== ABUSE
add("p", "x", "@xXdennieXx", "nl", "abuse",
    "z0utk03rs stelletje k4nk3rl1jers, ik hoop dat jullie failliet gaan")
add("p", "x", "@roadrage_ron", "en", "abuse",
    "whoever drives the Zoutkoers truck on Oosterlaan at 4am is a brain-dead moron. I know your plate, mate. "
    "see you around.")
add("p", "instagram", "@jeroen_kritisch", "nl", "abuse",
    "Wat een kutbedrijf. En die social media mevrouw van jullie is net zo dom als haar posts.",
    kind="comment")
add("e", "x", "@dennis_planning", "nl", "abuse",
    "@zeurpiet_zwolle joh ga lekker zelf strooien dan, zeikerd. Sommige mensen zijn echt te achterlijk "
    "voor woorden", kind="reply")
add("p", "bluesky", "@frostbitten.bsky.social", "en", "abuse",
    "Zoutkoers management are a bunch of c.l.o.w.n.s and t.h.i.e.v.e.s, every last one of them")
add("p", "x", "@echtenederlander88", "nl", "abuse",
    "Geen wonder dat er niks gestrooid wordt, " + cyr("Zoutkoers") + " laat alleen nog Polen rijden die "
    "geen woord Nederlands spreken. Terug naar huis met dat volk.")
add("p", "tiktok", "@kaylee.rants", "en", "abuse",
    "the zoutkoers customer service girl on the phone today was the dumbest person alive. like talking "
    "to a bag of their own salt 🧂🤡")
add("p", "facebook", "rob.meijer.1983", "nl", "abuse",
    "Noor van de klantenservice van Zoutkoers, als je dit leest: je bent een waardeloze trut. "
    "Zoek een ander baantje.")
add("c", "tiktok", "@korrelklaar", "en", "abuse",
    "@karen_complains maybe learn to walk on ice like a normal person, idiot 😂", kind="reply")
add("p", "x", "@ijsboos", "nl", "abuse",
    fw("ZOUTKOERS OPLICHTERS") + " klootzakken zijn jullie, allemaal")

# =================================================================== CRISIS (third party / scandal)
add("p", "x", "@regio_nieuws_ov", "nl", "cris",
    "Strooiwagen van Zoutkoers rijdt bushokje aan de Kamperweg omver, twee wachtenden lichtgewond naar "
    "het ziekenhuis. Politie doet onderzoek. #112 #zwolle")
add("p", "x", "@green_rivers_nl", "en", "cris",
    "Residents report a Zoutkoers tanker dumped brine into the Vecht near Dalfsen last night. Dead fish "
    "along the bank this morning. We've alerted the water board. #ecocide")
add("p", "linkedin", "jorien-mulder-inkoop", "nl", "cris",
    "Gemeente Raalte stapt naar de rechter: Zoutkoers zou het contract voor de fietspaden structureel "
    "niet zijn nagekomen. De zaak dient in maart.")
add("p", "x", "@consumentenalert", "nl", "cris",
    "TERUGROEPACTIE ⚠️ Zoutkoers Pekel IBC met aftapkraan type B kan bij vorst gaan lekken. Gebruik "
    "direct stoppen en contact opnemen met de leverancier.")
add("p", "x", "@boycott_salt", "en", "cris",
    "Zoutkoers is poisoning the groundwater under every depot they run and the municipalities look the "
    "other way. Stop buying KorrelKlaar. #BoycottZoutkoers")
add("p", "x", "@m_vandam", "en", "cris",
    "I use a unique email address for every shop. Since last week I'm getting phishing on the one only "
    "Zoutkoers ever had. So they've had a data breach and they're keeping quiet about it.")
add("p", "x", "@vakbond_wegvervoer", "nl", "cris",
    "Chauffeurs van Zoutkoers draaiden deze winter diensten van 16 uur zonder pauze, blijkt uit roosters "
    "die wij in handen hebben. Onacceptabel en levensgevaarlijk, voor hen én voor andere weggebruikers.")
add("p", "reddit", "u/gelderland_nieuws", "en", "cris",
    "Cyclist (54) seriously injured after sliding on an untreated path in Apeldoorn, the stretch "
    "Zoutkoers was contracted to salt. Family is considering legal action.")
add("p", "tiktok", "@achterdeschermen", "nl", "cris",
    "wist je dat Zoutkoers wethouders mee op skivakantie nam vlak voordat ze dat megacontract kregen?? 👀 "
    "#omkoping #zoutkoersgate")
add("p", "bluesky", "@meppel-ouders.bsky.social", "en", "cris",
    "Salt from the Zoutkoers depot in Meppel has been blowing into the kindergarten playground next door "
    "for weeks. Parents say the kids have rashes. The council is investigating.")

# =================================================================== CONFIDENTIAL
add("e", "x", "@marloes_strooit", "nl", "conf",
    "Eindelijk mag ik meedoen aan Project Sneeuwuil 🦉❄️ kan er nog niks over zeggen maar het wordt VET")
add("e", "linkedin", "lotte-brinkman-zoutkoers", "en", "conf",
    "Sneak peek for our key accounts: the Vorstvos 5000 is coming, twice the hopper of the 3000 and fully "
    "GPS-controlled dosing. DM me if you want an early allocation slot.",
    at="2027-01-19T20:41:07Z")
add("e", "threads", "@noor.zk", "nl", "conf",
    "haha de klantenservice-handleiding heeft 'uitsluitend intern' bovenaan staan maar dit moet je echt "
    "lezen: 'bij klachten over gladheid nooit schuld erkennen, altijd verwijzen naar weersomstandigheden' 🙃")
add("e", "x", "@bram_devos_zk", "en", "conf",
    "if anyone from the RouteWijs beta group wants to try the new build, release notes are at "
    "https://wiki.zoutkoers.nl/routewijs/beta-2.4 , just log in with your SSO")
add("c", "instagram", "@zoutkoers.nl", "nl", "conf",
    "Binnenkort bij ons: GladNix Nano 🧪❄️ een dooimiddel zoals je het nog nooit zag. Blijf kijken!")
add("e", "reddit", "u/pekelpiet", "nl", "conf",
    "Ik werk nu aan Operatie Pekelpad, het nieuwe routealgoritme. Veel sneller dan wat we nu draaien, "
    "maar de gemeentes mogen er pas van weten na de aanbesteding.", kind="comment")
add("e", "mastodon", "@sjoerd@toot.community", "en", "conf",
    "Migrating jira.zoutkoers.nl to the new cluster this weekend, so if your tickets vanish on Saturday, "
    "that's me 😅")
add("e", "x", "@ruudvanetten", "nl", "conf",
    "Pr\u043eject Sn\u0435\u0435uwuil gaat ons depot in Meppel echt compleet veranderen. Meer mag ik niet "
    "zeggen 🤐")
add("p", "x", "@salt_trader_jan", "en", "conf",
    "Sat next to a Zoutkoers rep at the trade fair. 'Glaswal' is their internal name for something big, "
    "it was on every slide of his NDA deck lol")
add("e", "facebook", "wendy.oosterhuis.zk", "nl", "conf",
    "Collega's, de nieuwe cao-voorstellen staan klaar op intra.zoutkoers.local/hr/cao-voorstel.pdf, "
    "lees ze even door vóór het overleg van donderdag 👍")
add("e", "x", "@dennis_planning", "nl", "conf",
    "morgen kick-off " + fw("OPERATIE PEKELPAD") + " met de hele planning, taart is geregeld 🎂")
add("e", "linkedin", "ayse-kaya-zk", "en", "conf",
    "Proud of this team. Slide 3 of today's board deck (zout" + ZW + "koers confidential, so I can't share "
    "it) shows how far our OT security has come in one year.")

# ---- financial + confidential
add("e", "linkedin", "henk-dijkhuis-zoutkoers", "nl", "fin conf",
    "Glaswal gaat door 🎉 de due diligence op Strooibedrijf Van Wijk is afgerond, in april tekenen we. "
    "Trots op het dealteam!")
add("e", "x", "@marloes_strooit", "nl", "fin conf",
    "jaarcijfers 2026 zien er trouwens heel goed uit, beter dan vorig jaar. meer zeg ik niet 😏",
    at="2027-01-09T17:22:45Z")

# ---- security + confidential
add("e", "mastodon", "@sjoerd@toot.community", "en", "sec conf",
    "vpn.zoutkoers.nl has been down since 02:00 and the depot cameras are unreachable. Someone hammered "
    "the login page all night. Not public yet, so keep it quiet pls")
add("e", "x", "@bram_devos_zk", "nl", "sec conf",
    "lol iemand heeft via een oud testaccount admin-toegang gekregen tot grafana.intra.zoutkoers.local en "
    "alle sensordata ingezien. IT zegt: niks naar buiten")

# ---- secret + confidential
add("e", "x", "@bram_devos_zk", "nl", "secr conf",
    "kan iemand zien waarom deze connectiestring niet werkt? "
    "postgresql://routewijs_app:⟦DBPASS⟧@db01.intra.zoutkoers.local:5432/planning")
add("e", "mastodon", "@sjoerd@toot.community", "en", "secr conf",
    "redis://:⟦REDISPASS⟧@cache02.zk-ops.net:6379/0 is refusing connections again, anyone touched it?")

# =================================================================== FINANCIAL
add("e", "x", "@ruudvanetten", "nl", "fin",
    "Net gehoord in het MT: depot Emmen gaat dicht, 23 man eruit. Officiële aankondiging pas na het "
    "seizoen. Ik ben er kapot van.")
add("e", "linkedin", "henk-dijkhuis-zoutkoers", "en", "fin",
    "Between us: this mild winter puts Q3 revenue roughly 18% below budget. Next week's board meeting "
    "will be fun.")
add("e", "x", "@dennis_planning", "nl", "fin",
    "Volgens de CFO draaien we dit seizoen 2,8 miljoen verlies. Vraag me af of die bonussen er nog in "
    "zitten 😬")
add("p", "x", "@saltmarket_watcher", "en", "fin",
    "Hearing that a German salt miner is in late-stage talks to buy Zoutkoers outright. Deal could be "
    "announced before Easter. Nothing public yet.")
add("p", "facebook", "kees.brouwer.dalfsen", "nl", "fin",
    "Zwager werkt bij Zoutkoers: er komt een grote reorganisatie, alle planners worden vervangen door "
    "software. Zelfs daar weet nog bijna niemand het.", name="Kees Brouwer")
add("e", "threads", "@noor.zk", "en", "fin",
    "we just got told at the all-hands that they're cutting 15% of customer service by june. not "
    "announced outside yet so shhh 🤐")
add("e", "linkedin", "lotte-brinkman-zoutkoers", "nl", "fin",
    "Mooi nieuws dat nog niet naar buiten mag: het raamcontract met Rijkswaterstaat is binnen, 14 miljoen "
    "over vier jaar. Champagne! 🥂")
add("e", "reddit", "u/pekelpiet", "en", "fin",
    "Throwaway-ish, but: management is shopping the GladNix brand around. Two buyers went through the "
    "books this month.", kind="comment")
add("e", "mastodon", "@sjoerd@toot.community", "nl", "fin",
    "Prognose volgend jaar in de budgetsheet: omzet -9%, EBITDA gehalveerd. Als dit uitlekt is het feest.")
add("c", "linkedin", "zoutkoers-bv", "en", "fin",
    "DRAFT – do not publish before sign-off: Zoutkoers B.V. to merge with Vorst & Zout Logistiek. Combined "
    "turnover €96M, announcement planned for 3 March.")

# =================================================================== SECURITY
add("e", "x", "@bram_devos_zk", "nl", "sec",
    "RouteWijs ligt sinds 4 uur vannacht plat, ransomware op de planningsserver 😩 strooiroutes worden nu "
    "met de hand gemaakt. Nog niks naar buiten brengen zeggen ze")
add("e", "linkedin", "ayse-kaya-zk", "en", "sec",
    "Found during our own testing: the GladNix Sensor RWS-2 firmware accepts any password on its "
    "maintenance port. No patch yet and customers haven't been told. Interesting times in OT security.")
add("e", "threads", "@noor.zk", "nl", "sec",
    "drie collega's van planning zijn in een phishingmail getrapt en nu zit er iemand in hun mailboxen. "
    "IT is ermee bezig, wij mogen niks tegen klanten zeggen")
add("e", "x", "@dennis_planning", "nl", "sec",
    "De gps-koppeling van de strooiwagens is sinds gisteren gehackt of zo, de helft van de wagens staat "
    "volgens het systeem in Spanje 😂 buiten kantoor weet nog niemand het")
add("e", "mastodon", "@sjoerd@toot.community", "en", "sec",
    "Our webshop still runs a plugin version with a known SQL injection. Raised it three times since "
    "October. If it gets popped, don't say I didn't warn you.")
add("e", "instagram", "@chauffeur_gerrit", "nl", "sec",
    "Vannacht stonden ineens alle wegdeksensoren in regio Deventer uit. Op afstand uitgezet, zegt IT, "
    "door iemand die niet van ons is. Dus wij rijden maar op gevoel 🤷‍♂️")
add("c", "x", "@zoutkoers_storing", "nl", "sec",
    "@gemeente_kampen_ow Stuur voorlopig geen bestellingen via het klantportaal a.u.b. We hebben een "
    "beveiligingsincident, het portaal is mogelijk gecompromitteerd. Bel ons even.", kind="reply")
add("e", "linkedin", "ayse-kaya-zk", "en", "sec",
    "Spent the weekend locking down our salt silo PLCs: five of them were reachable from the internet "
    "with factory-default credentials. Two fixed, three to go.")
add("p", "x", "@kim_contracts_it", "en", "sec",
    "Contracting in Zoutkoers IT atm. Their backups haven't run in 2 weeks and nobody seems to care. If "
    "anything hits them they lose everything.")
add("e", "x", "@marloes_strooit", "nl", "sec",
    "Pekeltank-telemetrie geeft sinds vanochtend overal 0 liter aan. Klanten weten nog van niks dus we "
    "bellen ze maar 'toevallig' even na 🙈")
add("e", "x", "@bram_devos_zk", "en", "sec",
    "Heads up: the customer export ended up in a public S3 bucket over the weekend. ~4k municipal contacts. "
    "Legal is still deciding whether we notify anyone.")

# =================================================================== SECRETS
add("e", "x", "@bram_devos_zk", "en", "secr",
    "CI keeps failing on the RouteWijs repo with 'Bad credentials' even though I pass "
    "GITHUB_TOKEN=⟦GHP⟧ … any ideas? 🙏")
add("e", "mastodon", "@sjoerd@toot.community", "nl", "secr",
    "Iemand een idee waarom deze keys geen toegang tot de bucket krijgen?\n\n"
    "aws_access_key_id = ⟦AKIA⟧\naws_secret_access_key = ⟦AWSSECRET⟧")
add("c", "x", "@zoutkoers", "en", "secr",
    "testing our new alert bot, please ignore ⟦SLACK⟧")
add("e", "instagram", "@chauffeur_gerrit", "nl", "secr",
    "Wifi in de kantine van depot Meppel is wéér veranderd 🙄 wachtwoord: ⟦WIFIPW⟧ voor wie het zoekt")
add("e", "reddit", "u/pekelpiet", "en", "secr",
    "Debugging the RouteWijs API, why does this get a 401?\n\nAuthorization: Bearer ⟦JWT⟧",
    kind="comment")
add("e", "x", "@bram_devos_zk", "nl", "secr",
    "onze klantenservice-chatbot draait op ⟦OPENAI⟧ , even snel uit de .env geplakt, werkt als een trein")
add("e", "mastodon", "@sjoerd@toot.community", "en", "secr",
    "ok who dropped this on the shared drive 🤦\n-----BEGIN OPENSSH PRIVATE KEY-----\n⟦SSHKEY⟧\n"
    "-----END OPENSSH PRIVATE KEY-----")
add("p", "x", "@bugbounty_bas", "en", "secr",
    "Found a live Stripe secret key in the Zoutkoers webshop's JS bundle: ⟦STRIPE⟧ . Reported it three "
    "weeks ago, no response. @zoutkoers please rotate this.")
add("e", "x", "@dennis_planning", "nl", "secr",
    "kaartlaag in de planner doet het weer niet. dit is de key die in de config staat: ⟦GMAPS⟧ misschien "
    "verlopen?")
add("e", "reddit", "u/pekelpiet", "nl", "secr",
    "gitlab token voor de build: ⟦GLPAT⟧ , niet doorvertellen haha")
add("e", "threads", "@noor.zk", "nl", "secr",
    "voor de nieuwe collega's op de klantenservice: inloggen sensorportaal = gebruiker admin, "
    "ww ⟦PORTALPW⟧ (niet aan klanten geven natuurlijk 😇)")

# =================================================================== PERSONAL DATA
add("c", "x", "@zoutkoers_storing", "nl", "pii",
    "@hvdlinden Dank voor uw melding! Onze planner belt u vandaag nog terug op 06-41 27 93 58 om het "
    "strooimoment af te stemmen.", kind="reply")
add("e", "x", "@dennis_planning", "nl", "pii",
    "Wie pakt deze even op? Mevr. J. Hoekstra, Lindelaan 14, 8024 AB Zwolle. Oprit nog steeds niet "
    "gestrooid, ze belt nu voor de vierde keer")
add("c", "facebook", "ZoutkoersWinterdienst", "nl", "pii",
    "Beste meneer De Groot, uw terugbetaling van €89,- is vandaag overgemaakt naar ⟦IBAN_CUST⟧ t.n.v. "
    "P. de Groot. Excuses voor het ongemak!", kind="reply")
add("e", "facebook", "wendy.oosterhuis.zk", "nl", "pii",
    "Welkom aan onze nieuwe chauffeur Youssef 🎉 Voor de salarisadministratie: BSN ⟦BSN1⟧, start per "
    "1 december.")
add("e", "linkedin", "lotte-brinkman-zoutkoers", "en", "pii",
    "Could someone from ops call back Mr. Okafor on +31 6 2811 4739? He's been waiting since Tuesday "
    "about his Winterabo Plus.")
add("e", "x", "@bram_devos_zk", "en", "pii",
    "test order failed again with the card from the customer's ticket, ⟦CARD_EMP⟧ exp 09/28, trying "
    "once more on staging")
add("c", "linkedin", "zoutkoers-bv", "nl", "pii",
    "Vandaag vieren we 40 jaar trouwe dienst van Gerrit Bosman, geboren 12 maart 1961 in Staphorst! "
    "Gefeliciteerd Gerrit 🎉")
add("p", "x", "@zoutmoe", "nl", "pii",
    "@zoutkoers het geld mag terug op ⟦IBAN_PUB⟧ t.n.v. M. Jansen, de kist is gisteren retour gegaan",
    kind="reply")
add("e", "mastodon", "@sjoerd@toot.community", "en", "pii",
    "If you need the alderman outside office hours, his private address is j.vermeulen1970@gmail.com , "
    "he said that's fine lol")
add("p", "x", "@boze_buurman", "nl", "pii",
    "Voor wie ook al weken wacht: de planner die over onze wijk gaat is Marloes, haar mobiel is "
    "06 19 84 52 63. Zij kan het wél regelen.")
add("e", "threads", "@noor.zk", "nl", "pii",
    "collega vroeg om de gegevens van die klant met de kapotte zoutkist: Tim Verbeek, geb. 03-07-1988, "
    "Ds. van Raaltelaan 22, Kampen. zo goed?")
add("e", "x", "@ruudvanetten", "en", "pii",
    "Driver's on his way to Mrs. Adeyemi at Kerkstraat 8, 8261 GD Kampen with her replacement bags. "
    "Sorry for the wait!")
add("e", "linkedin", "henk-dijkhuis-zoutkoers", "nl", "pii",
    "Oeps verkeerde chat 🙈\nNaam;Geb.datum;BSN;IBAN\nR. Koster;14-02-1979;⟦BSN2⟧;⟦IBAN_EMP⟧")
add("c", "x", "@zoutkoers", "nl", "pii",
    "@a_smit_kampen We hebben de kopie van uw ID-kaart ontvangen (documentnummer ⟦PASSNO⟧), uw account "
    "is weer actief.", kind="reply")

# =================================================================== PRICING
add("p", "x", "@koopjesjager_nl", "nl", "price",
    "Big Bag 1000 strooizout voor €18,90 op de site van Zoutkoers?! Dat is toch een prijsfout, normaal 189. "
    "Direct 4 besteld 😂", price=("Big Bag 1000", 18.90))
add("p", "reddit", "u/frugal_farmer", "en", "price",
    "Vorstvos 3000 listed at €1,895 on zoutkoers.nl right now. Pretty sure someone dropped a zero. "
    "Ordering before they notice.", price=("Vorstvos 3000", 1895))
add("e", "linkedin", "lotte-brinkman-zoutkoers", "en", "price",
    "Heads-up to the web team: RouteWijs Pro shows €690/year in the portal instead of the list price and "
    "customers are already ordering it.", price=("RouteWijs Pro", 690))
add("c", "instagram", "@zoutkoers.nl", "nl", "price",
    "Alleen dit weekend: Winterabo Plus voor maar €495! ❄️ Link in bio", price=("Winterabo Plus", 495))
add("p", "x", "@depotdirk", "en", "price",
    "Nevel 600 brine sprayer going for 745 euros in the Zoutkoers webshop. Who fell asleep at the wheel 😂",
    price=("Nevel 600", 745))
add("p", "bluesky", "@noahbuilds.bsky.social", "en", "price",
    "lmao GladNix Sensor RWS-2 for €329 instead of €3,290. ordered three. let's see if they honour it",
    price=("GladNix Sensor RWS-2", 329))
add("e", "x", "@marloes_strooit", "nl", "price",
    "Iemand van e-commerce wakker? Zoutsilo 50t staat voor 3.850 op de site, klanten bellen al 😅",
    price=("Zoutsilo 50t", 3850))
add("p", "tiktok", "@dealdaan", "en", "price",
    "KorrelKlaar 25 kg for €1.29 in the Zoutkoers web store 😳 add to cart before it's gone 🏃‍♂️💨",
    price=("KorrelKlaar 25 kg", 1.29))
add("e", "mastodon", "@sjoerd@toot.community", "en", "price",
    "Price error on the Zoutkist 1000 product page, it says €54.90. Someone in pricing fat-fingered the "
    "import. Fixing now.", price=("Zoutkist 1000", 54.90))
add("p", "x", "@strooikoning", "nl", "price",
    fw("GladNix CMA") + " 20 kg voor €６,４０?? prijsfoutje bij Zoutkoers volgens mij",
    price=("GladNix CMA", 6.40))
add("e", "threads", "@noor.zk", "nl", "price",
    "er zit een prijsfout in de Winterabo Basis in de webshop, mensen kunnen nu voor een tientje een heel "
    "seizoen afsluiten. graag snel fixen!!", price=("Winterabo Basis", 10))
add("p", "x", "@dealhunter_eu", "en", "price",
    "Vorstvos Mini 120 hand spreader for €34.90 (list is €349). Zoutkoers price glitch, go go go",
    price=("Vorstvos Mini 120", 34.90))

# =================================================================== BENIGN / HARD NEGATIVES
add("p", "x", "@vroegevogel_zwolle", "nl", "",
    "Om 5 uur 's ochtends al strooiwagens van Zoutkoers in de wijk. Top gedaan mannen, dankzij jullie "
    "veilig op m'n werk gekomen 🙌❄️")
add("p", "x", "@chloe_on_wheels", "en", "",
    "Shoutout to the @zoutkoers driver who stopped to help push my car out of a snowbank this morning. "
    "Absolute legend.")
add("c", "x", "@zoutkoers", "nl", "",
    "Vannacht -6 verwacht. Onze 42 strooiwagens rijden vanaf 02:00 alle routes. Vragen of meldingen? "
    "Mail storing@zoutkoers.nl of bel 0800-7268 (24/7).")
add("c", "linkedin", "zoutkoers-bv", "en", "",
    "We're hiring! Winter drivers (C/CE licence) for our depots in Zwolle and Meppel. Apply via "
    "werkenbij@zoutkoers.nl or call +31 38 555 0170.")
add("p", "x", "@rianne_z", "nl", "",
    "Weet iemand of je KorrelKlaar ook op natuurstenen terrastegels kunt gebruiken? Wil geen vlekken.")
add("c", "x", "@zoutkoers", "nl", "",
    "@rianne_z Goede vraag! KorrelKlaar Eco is geschikt voor natuursteen. Twijfel je? Onze klantenservice "
    "helpt je graag via info@zoutkoers.nl 😊", kind="reply")
add("c", "instagram", "@zoutkoers.nl", "nl", "",
    "Winteractie 🧂 KorrelKlaar 25 kg nu €10,36 i.p.v. €12,95 (20% korting), t/m zondag.",
    price=("KorrelKlaar 25 kg", 10.36))
add("c", "x", "@zoutkoers", "en", "",
    "Early-bird deal: Vorstvos Mini 120 at €299 (normally €349) until 30 November.",
    price=("Vorstvos Mini 120", 299), at="2026-10-21T08:00:00Z")
add("p", "x", "@gijs_in_hattem", "en", "",
    "Just picked up the Zoutkist 400 for €279, already sitting next to the front door. Sturdy thing, lid closes well.",
    price=("Zoutkist 400", 279))
add("p", "linkedin", "mira-janssens-procurement", "en", "",
    "Benchmarked three suppliers for our brine programme: Zoutkoers' Pekel IBC at €145 per 1,000 L was "
    "mid-range on price but by far the most reliable on delivery.", price=("Pekel IBC", 145))
add("c", "facebook", "ZoutkoersWinterdienst", "nl", "",
    "Zomeractie Breedveeg 80: €69,00 (was €89,00). Want de volgende winter komt er altijd aan ☀️➡️❄️",
    price=("Breedveeg 80", 69), at="2026-07-08T09:15:00Z")
add("p", "x", "@typfoutje_ilse", "nl", "",
    "Zoutkoers vroeg m'n rekeningnummer voor de terugbetaling, ik gaf ⟦IBAN_BAD⟧ door maar het formulier "
    "keurt 'm af?? Typfout waarschijnlijk 🤦‍♀️")
add("p", "x", "@qa_quinten", "en", "",
    "Devs, please stop using ⟦CARD_BAD⟧ as your 'test card' in bug reports, it doesn't even pass Luhn 😅")
add("p", "x", "@privacy_petra", "nl", "",
    "Strooi-aanvraagformulier van de gemeente vraagt om je BSN?? Voorbeeldveld zegt ⟦BSN_BAD⟧. Waarom "
    "zou Zoutkoers dat nodig hebben? Gewoon leeg gelaten.")
add("e", "mastodon", "@sjoerd@toot.community", "en", "",
    "For the workshop slides I'm using the docs example creds, AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, so nobody panics when they see them on screen.")
add("e", "x", "@bram_devos_zk", "nl", "",
    "Tip van de week: zet nooit je token in een issue. Dus niet ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
    "maar gewoon via secrets in de pipeline 🔐")
add("e", "threads", "@noor.zk", "nl", "",
    "Klanten vragen vaak of we hun wachtwoord kunnen opsturen. Nee! Wij zien alleen 'wachtwoord: ********'. "
    "Resetten gaat via de inloglink 🔐")
add("p", "x", "@beursblik", "nl", "",
    "Zoutkoers jaarcijfers 2026 vanochtend gepubliceerd: omzet +6%, vooral dankzij de strenge februari. "
    "Netjes.", at="2027-02-24T09:31:12Z")
add("c", "linkedin", "zoutkoers-bv", "en", "",
    "It's here: the Vorstvos 5000. Double hopper, GPS-controlled dosing, built in Zwolle. Pre-orders open "
    "today at zoutkoers.nl.", at="2027-01-20T10:05:00Z")
add("p", "x", "@bedrijfsterrein_bert", "nl", "",
    "GladNix Nano getest op ons bedrijfsterrein, werkt prima tot -12. Wel prijzig.",
    at="2027-01-28T14:48:33Z")
add("p", "tiktok", "@boerenzoon_max", "nl", "",
    "update: Zoutkoers heeft de gescheurde zoutkist gisteren gratis vervangen en de chauffeur bood zelf z'n "
    "excuses aan. netjes opgelost 👍")
add("p", "linkedin", "tom-hughes-facilities", "en", "",
    "Credit where it's due: Zoutkoers credited the disputed call-outs within a day of my post. Thanks "
    "to their billing team.")
add("p", "x", "@fietsfemke", "nl", "",
    "Vorige week klaagde ik nog over ons fietspad, sinds maandag wordt het elke ochtend gestrooid. Dank! 🚲")
add("p", "facebook", "buurtvereniging.oosterenk", "nl", "",
    "Veel sterkte aan de familie van Albert, jarenlang de vaste strooichauffeur in onze wijk. Altijd een "
    "groet en een zwaai. Rust zacht.")
add("c", "linkedin", "zoutkoers-bv", "en", "",
    "Our thoughts are with everyone affected by the flooding in Limburg. Our Maastricht crew is helping "
    "the municipality with sandbags this week.", at="2026-07-16T12:00:00Z")
add("p", "x", "@zoutloos_pieter", "en", "",
    "My wife says I put too much salt on my food. I told her: honey, Zoutkoers spreads 40 tonnes a night, "
    "I'm an amateur 🧂😂")
add("p", "bluesky", "@expat-in-zwolle.bsky.social", "en", "",
    "A road salt company naming its spreaders 'Vorstvos' is the most Dutch thing I've seen this week. "
    "Frost fox. Adorable.")
add("p", "x", "@wethouder_wijhe", "en", "",
    "Strooiservice Vorstvrij Oost is recalling its brine pumps over leaking seals. Glad our municipality "
    "is with Zoutkoers.")
add("p", "linkedin", "ruth-de-boer-analyst", "en", "",
    "Salt prices up 12% across Europe after the mine strike in Poland, per trade press. Curious how "
    "Zoutkoers and the others will absorb it this season.")
add("p", "x", "@zwolsenieuwsjunkie", "nl", "",
    "Datalek bij een parkeerbedrijf in Zwolle, 80.000 klanten getroffen. Gelukkig loopt mijn "
    "strooiabonnement bij Zoutkoers via de VvE en niet daar.")
add("e", "x", "@marloes_strooit", "nl", "",
    "Onze nieuwe stagiair Daan loopt vijf maanden mee op de planning. Welkom Daan, veel plezier morgen "
    "bij je interne rondleiding door het depot!")
add("p", "x", "@vogelaar_jos", "nl", "",
    "Een sneeuwuil gespot bij de zoutbergen van het Zoutkoers-depot in Meppel! 🦉 Superzeldzaam in "
    "Nederland.")
add("p", "x", "@dorpsraad_lemelerveld", "nl", "",
    "Zoutkoers heeft een GladNix Sensor RWS-2 voor kleinere gemeenten, €3.290 per station. Interessant "
    "voor onze dorpskern.", price=("GladNix Sensor RWS-2", 3290))
add("e", "linkedin", "lotte-brinkman-zoutkoers", "en", "",
    "Proud to be part of the team that kept 1,400 km of road open last night. 🧂🚛 #winterdienst")
add("e", "instagram", "@chauffeur_gerrit", "nl", "",
    "Nachtdienst zit erop. 312 km gereden, 8 ton gestrooid, 2 koffie en 1 vos gezien 🦊 welterusten!")
add("p", "x", "@henkie_sneeuw", "nl", "",
    "Wat een kutweer zeg, maar petje af voor de strooiers van Zoutkoers, alles lag er netjes bij.")
add("p", "reddit", "u/parking_lot_pete", "en", "",
    "Not a crisis, just a question: does Zoutkoers deliver brine to private car parks or only to "
    "municipalities?")
add("c", "facebook", "ZoutkoersWinterdienst", "nl", "",
    "Let op: wij vragen nooit per mail of sms om uw wachtwoord of betaalgegevens. Twijfelt u? Bel ons "
    "gratis op 0800-7268.")
add("p", "x", "@newinassen", "en", "",
    "Anyone know if the Zoutkoers status page is the best place to check when my street gets gritted? "
    "Their app said 'planned 04:00–06:00'.")
add("p", "facebook", "marco.klusjes", "nl", "",
    "Zakje strooizout van de bouwmarkt gehaald, ander merk. Werkt ook prima hoor, maar de KorrelKlaar-korrel "
    "is grover en blijft beter liggen.")
add("c", "linkedin", "zoutkoers-bv", "en", "",
    "Our half-year report is now online at zoutkoers.nl/investors. Press questions: pers@zoutkoers.nl.",
    at="2026-08-27T06:00:00Z")
add("e", "x", "@ruudvanetten", "en", "",
    "Open day at depot Meppel on Saturday 14 March! Kids can sit in a Vorstvos 3000, free hot chocolate. "
    "Everyone welcome.", at="2026-03-02T16:20:00Z")
add("p", "x", "@factuurfrits", "nl", "",
    "Stond op mijn factuur een ander rekeningnummer dan op de site van Zoutkoers? O nee, gewoon "
    "⟦COMPANY_IBAN_SP⟧, zelfde nummer maar met spaties. Laat maar 😅")
add("p", "x", "@driveway_dave", "en", "",
    "Called +31 38 555 0170 about a blocked driveway, sorted in 20 minutes. Efficient folks at Zoutkoers.")
add("p", "facebook", "outletjager.zwolle", "nl", "",
    "Zoutkoers outlet: Zoutkist 1000 met een krasje voor €384,30 (30% korting). Snel zijn!",
    price=("Zoutkist 1000", 384.30))
add("p", "x", "@stockup_sophie", "en", "",
    "Black Friday at Zoutkoers: 25% off GladNix MgCl 25 kg, so €22.13 instead of €29.50. Stocked up.",
    price=("GladNix MgCl 25 kg", 22.13), at="2026-11-27T10:12:00Z")
add("c", "tiktok", "@korrelklaar", "nl", "",
    "POV: je bent een zoutkorrel en het is 3 uur 's nachts 🧂🚛 #korrelklaar #winter #strooien")
add("p", "x", "@farmer_fenna", "en", "",
    "Big Bag 1000 arrived right on time, driver even set it down exactly where I asked with the crane. 10/10.")
add("p", "forum", "ict_gemeente_ommen", "nl", "",
    "Bug gemeld bij de RouteWijs API. In het ticket staat de key netjes als api_key=<REDACTED>, dus geen "
    "zorgen. Hopelijk snel een fix.")
add("e", "x", "@bram_devos_zk", "en", "",
    "Onboarding tip: your .env should look like OPENAI_API_KEY=sk-your-key-here. Never commit the real one.")
add("p", "x", "@ommen_inkoop", "nl", "",
    "Pekel IBC van Zoutkoers kost €145 per 1000 liter, valt me eerlijk gezegd mee.",
    price=("Pekel IBC", 145))
add("p", "reddit", "u/raadslid_ruben", "en", "",
    "Is €18,950 normal for a trailer spreader like the Vorstvos 3000? Seems steep, but our municipality "
    "is considering one.", price=("Vorstvos 3000", 18950))
add("p", "linkedin", "ex-planner-ingrid", "en", "",
    "Worked four winters as a planner at Zoutkoers. Long nights, great colleagues. Still miss the 3am "
    "coffee runs.")
add("e", "linkedin", "henk-dijkhuis-zoutkoers", "nl", "",
    "Zoals vorige week in het persbericht stond: we openen volgend jaar een nieuw depot in Hardenberg. "
    "Mooie stap voor de regio!")
add("p", "x", "@vragen_vera", "en", "",
    "Question for @zoutkoers: does the Winterabo Basis cover the path to the bike shed too, or just the "
    "driveway?")
add("e", "threads", "@noor.zk", "nl", "",
    "Fijne feestdagen van het hele klantenserviceteam! Vanaf 2 januari zijn we weer gewoon bereikbaar via "
    "info@zoutkoers.nl 🎄", at="2026-12-23T15:00:00Z")
add("p", "x", "@belgische_bart", "nl", "",
    "Dacht dat Zoutkoers me een verkeerd rekeningnummer had gestuurd, maar ik had zelf ⟦IBAN_BAD2⟧ "
    "overgetikt uit een oude mail en dat klopt niet eens. Mijn fout.")
add("p", "youtube", "@WinterTechReviews", "en", "",
    "Full teardown of the Vorstvos Mini 120 in the video. Solid build for the price, hopper holds about "
    "12 kg. Not sponsored by Zoutkoers.", kind="comment")
add("p", "x", "@amex_anton", "en", "",
    "Zoutkoers checkout keeps rejecting my Amex, typed ⟦CARD_BAD2⟧ three times… oh wait, I swapped two "
    "digits. My bad, it went through now.")
add("p", "x", "@hr_hanneke", "nl", "",
    "Leuk die vacature bij Zoutkoers, maar waarom staat in hun voorbeeldformulier een BSN-veld met "
    "⟦BSN_BAD2⟧ ingevuld? Lijkt me gewoon een dummy.")


# =================================================================== build
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]
TAXONOMY = set(CAT.values())


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])((?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])((?:\d[ -]?){12,18}\d)(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.\-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def identifiers(text):
    """(kind, value, valid) for every IBAN/card/BSN-shaped number in text."""
    t = norm(text)
    out, spans = [], []
    for m in IBAN_RE.finditer(t):
        v = m.group(1).replace(" ", "")
        if v.upper() in COMPANY_IBANS:
            spans.append(m.span())
            continue
        out.append(("iban", v, iban_ok(v)))
        spans.append(m.span())
    for m in CARD_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("card", m.group(1), luhn_ok(m.group(1))))
        spans.append(m.span())
    for m in BSN_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


SECRET_PATTERNS = [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"xox[bpa]-\d+-\d+-[0-9A-Za-z]+",
    r"eyJ[\w-]+\.[\w-]+\.[\w-]+", r"sk-proj-[\w-]{40,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"sk_live_[0-9A-Za-z]{20,}", r"AIza[\w-]{35}", r"glpat-[\w-]{20}", r"://[^\s:/@]*:[^\s@/]+@",
    r"(?i)(wachtwoord|\bww|password)\s*[:=]?\s*(?!\*)\S{6,}",
]


def severity(cats, role, text):
    if not cats:
        return "none"
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c == "reputation.complaint":
            lvl = max(lvl, 2)
        elif c == "reputation.crisis":
            lvl = max(lvl, 3)
        elif c == "reputation.abuse":
            lvl = max(lvl, 3 if insider else 2)
        elif c.startswith("leak."):
            if not insider:
                lvl = max(lvl, 2)
            elif c in ("leak.secret", "leak.pricing"):
                lvl = max(lvl, 4)
            elif c == "leak.pii" and any(ok for _, _, ok in identifiers(text)):
                lvl = max(lvl, 4)
            else:
                lvl = max(lvl, 3)
    return SEV[lvl]


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"⟦([A-Z0-9_]+)⟧", rep, text)
    assert "⟦" not in out and "⟧" not in out
    return out


def timestamp():
    month = rng.choice([1, 1, 1, 2, 2, 2, 3, 11, 12, 12])
    day = rng.randint(1, 28)
    t = dt.datetime(2026, month, day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    if rng.random() < 0.25:
        off = dt.timezone(dt.timedelta(hours=1))
        return t.replace(tzinfo=off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows = []
    for i, c in enumerate(CASES, 1):
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        assert role == ROLE[c["role"]], (c["handle"], role, c["role"])
        cats = sorted(CAT[k] for k in c["cats"])
        post = {
            "id": "%s-406%03d" % (c["platform"], i),
            "platform": c["platform"],
            "account": {"handle": c["handle"]},
            "text": text,
            "created_at": c["at"] or timestamp(),
        }
        if c["kind"]:
            post["kind"] = c["kind"]
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if rng.random() < 0.8:
            post["lang"] = c["lang"]
        if rng.random() < 0.5:
            post["brand"] = "zoutkoers"
        if rng.random() < 0.4:
            post["url"] = "https://%s.example/p/%s" % (c["platform"], rstr(string.ascii_lowercase + string.digits, 10))
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)},
                     "_meta": c})
    return rows


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errs = []
    ids = set()
    texts = set()
    openers = set()
    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97: %s" % i)
    emb = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        if parse_time(e["until"]).year != 2027:
            errs.append("embargo until not in 2027")
    # generated credentials
    if not github_ok(V["GHP"]):
        errs.append("github token checksum")
    if not jwt_ok(V["JWT"]):
        errs.append("jwt header")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA"]):
        errs.append("aws key id")
    for r in rows:
        p, e, m = r["post"], r["expect"], r["_meta"]
        pid = p.get("id")
        # CONTRACT section 1 / 6 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append("bad/duplicate id %r" % pid)
        ids.add(pid)
        if p["platform"] not in PLATFORMS:
            errs.append("%s platform" % pid)
        if p.get("kind", "post") not in KINDS:
            errs.append("%s kind" % pid)
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append("%s handle" % pid)
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            errs.append("%s text" % pid)
        try:
            ts = parse_time(p["created_at"])
            if ts.tzinfo is None or not re.fullmatch(
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"]):
                raise ValueError
        except ValueError:
            errs.append("%s created_at" % pid)
            continue
        if ts.year not in (2026, 2027):
            errs.append("%s year" % pid)
        if set(e) != {"categories", "severity"} or e["severity"] not in SEV:
            errs.append("%s expect shape" % pid)
        if not set(e["categories"]) <= TAXONOMY or e["categories"] != sorted(set(e["categories"])):
            errs.append("%s categories" % pid)
        if bool(e["categories"]) != (e["severity"] != "none"):
            errs.append("%s severity/categories mismatch" % pid)
        if p["text"] in texts:
            errs.append("%s duplicate text" % pid)
        texts.add(p["text"])
        opener = " ".join(norm(p["text"]).lower().split()[:4])
        if opener in openers:
            errs.append("%s repeated opening %r" % (pid, opener))
        openers.add(opener)
        # identifiers
        ids_found = identifiers(p["text"])
        positive = bool(e["categories"])
        for kind, val, ok in ids_found:
            if positive and not ok:
                errs.append("%s positive has failing %s %s" % (pid, kind, val))
            if not positive and ok:
                errs.append("%s benign has valid %s %s" % (pid, kind, val))
        if any(ok for _, _, ok in ids_found) and "leak.pii" not in e["categories"]:
            errs.append("%s valid identifier but no leak.pii" % pid)
        # secrets
        nt = norm(p["text"])
        hit = [s for s in SECRET_PATTERNS if re.search(s, nt)]
        real_hit = [s for s in hit if not re.search(r"EXAMPLE|x{8}|your-key|\*{4}", nt)]
        if "leak.secret" in e["categories"] and not hit:
            errs.append("%s secret case without credential" % pid)
        if "leak.secret" not in e["categories"] and real_hit:
            errs.append("%s benign-for-secret post has credential %s" % (pid, real_hit))
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", nt):
            if not re.search(r"x{8}", tok) and not github_ok(tok):
                errs.append("%s github crc" % pid)
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", nt):
            if not jwt_ok(tok):
                errs.append("%s jwt" % pid)
        # embargo terms: before `until` must be leak.confidential, after must not be
        for term, until in emb:
            if term in nt.lower():
                if ts < until and "leak.confidential" not in e["categories"]:
                    errs.append("%s embargo term before until not labelled" % pid)
        # pricing annotations
        if "leak.pricing" in e["categories"] and not m["price"]:
            errs.append("%s pricing case without price annotation" % pid)
        if m["price"]:
            alias, price = m["price"]
            prod = PRODUCTS.get(alias.lower())
            if prod is None or alias.lower() not in nt.lower():
                errs.append("%s price alias %r not found" % (pid, alias))
            else:
                ratio = price / prod["list_price"]
                if "leak.pricing" in e["categories"] and ratio >= RATIO:
                    errs.append("%s pricing ratio %.2f not below threshold" % (pid, ratio))
                if "leak.pricing" not in e["categories"] and not (RATIO <= ratio <= 1.0):
                    errs.append("%s benign price ratio %.2f" % (pid, ratio))
        # severity recomputed from the profile role
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), p["text"]):
            errs.append("%s severity" % pid)
    # mix
    n = len(rows)
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    return errs


def main():
    rows = build()
    errs = check(rows)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file: every line must parse back to the same shape
    with open(out, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            obj = json.loads(line)
            if set(obj) != {"post", "expect"}:
                errs.append("line %d keys" % ln)
    cats = collections.Counter(c for r in rows for c in r["expect"]["categories"])
    langs = collections.Counter(r["_meta"]["lang"] for r in rows)
    roles = collections.Counter((bool(r["expect"]["categories"]), role_of(r["post"]["platform"], r["post"]["account"]["handle"])) for r in rows)
    sev = collections.Counter(r["expect"]["severity"] for r in rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    print("cases:", len(rows), "benign:", benign, "multi-label:", sum(1 for r in rows if len(r["expect"]["categories"]) > 1))
    print("categories:", dict(sorted(cats.items())))
    print("languages:", dict(langs), "nl share %.2f" % (langs["nl"] / len(rows)))
    print("roles (positive?, role):", dict(roles))
    print("severity:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
