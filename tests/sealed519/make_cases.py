#!/usr/bin/env python3
"""Build the sealed evaluation set 519 (Baaklicht Eilandtochten, lighthouse & island boat tours).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it against CONTRACT section 4 and 6 and the checksum rules.
"""
import base64
import datetime as dt
import hashlib
import hmac
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
rng = random.Random(519519)

# ---------------------------------------------------------------------------
# generators for identifiers and credentials
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
B32 = string.ascii_uppercase + "234567"
B64URL = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp"):
    body = rand(ALNUM, 30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()) & 0xFFFFFFFF)}"


def gh_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF) == crc


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{sig}"


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(390))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def nl_iban(bank, spaced=False):
    acct = "".join(str(rng.randint(0, 9)) for _ in range(10))
    s = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    iban = f"NL{98 - n % 97:02d}{bank}{acct}"
    assert iban_ok(iban)
    if spaced:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


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


def card(prefix, sep=" "):
    while True:
        body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(prefix)))
        for last in range(10):
            if luhn_ok(body + str(last)):
                n = body + str(last)
                return sep.join(n[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0 and any(d)


def bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


# --- values used in the texts ------------------------------------------------
AKIA = aws_key_id()
AWS_SECRET = aws_secret()
GHP_DEPLOY = gh_token("ghp")
GHO_LEAKED = gh_token("gho")
STRIPE = "sk_live_" + rand(ALNUM, 34)
SLACK = f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}"
PG_PW = rand(string.ascii_letters + string.digits, 14)
GOOGLE = "AIza" + rand(string.ascii_letters + string.digits + "_-", 35)
OPENAI = "sk-proj-" + rand(B64URL, 64)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
JWT_CREW = jwt({"sub": "crew-0412", "name": "Y. de Graaf", "role": "deckhand", "vessel": "MS Zeester",
                "iat": 1781690400, "exp": 1781776800})
SSH_KEY = openssh_key()

IBAN_MO = nl_iban("INGB", spaced=True)
IBAN_PETRA = nl_iban("ABNA")
IBAN_MARRIT = nl_iban("SNSB", spaced=True)
CARD_CALLER = card("4539")
CARD_REDDIT = card("5168", sep="-")
BSN_KEES = bsn()
BSN_LIES = bsn()
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
COMPANY_IBAN_SPACED = " ".join(COMPANY_IBAN[i:i + 4] for i in range(0, len(COMPANY_IBAN), 4))
BAD_GH = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # docs-style fake, fails its CRC

ZW = "\u200b"
# full-width "Project Stormvogel"
FW_STORMVOGEL = "".join(chr(ord(c) + 0xFEE0) if c != " " else "\u3000" for c in "Project Stormvogel")
# Cyrillic o and a in "Kompasroos"
CY_KOMPAS = "K\u043emp\u0430sr\u043e\u043es"

# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "sec": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing", "con": "leak.confidential",
    "fin": "leak.financial", "scy": "leak.security",
}
CASES = []


def C(cats, platform, handle, lang, text, kind="post", date=None, name=None):
    CASES.append(dict(cats=[CAT[c] for c in cats.split()] if cats else [], platform=platform,
                      handle=handle, lang=lang, text=text, kind=kind, date=date, name=name))


# ---- complaints --------------------------------------------------------------
C("cmp", "x", "@wadloper_mieke", "nl",
  "@baaklicht_help 3 kwartier in de regen staan wachten in Harlingen en dan blijkt de Vlieland Dagtocht "
  "geannuleerd. Geen sms, geen mail, niks. Met 2 kleine kinderen. Echt top geregeld 👏🙄", kind="reply")
C("cmp", "x", "@tomhiggins_travels", "en",
  "Paid for the Sunset Lighthouse Cruise and the sun had set 40 min before we even left the harbour because "
  "the boat was late. @baaklicht any chance of a partial refund? Bit of a joke tbh")
C("cmp", "facebook", "gertjan.smit.71", "nl",
  "Al 5 weken wacht ik op mijn terugbetaling voor de geannuleerde Zeehondensafari. Drie keer gebeld, elke keer "
  "'we gaan ernaar kijken'. Ik begin het wel een beetje zat te worden Baaklicht.", name="Gert Jan Smit")
C("cmp", "instagram", "@janneke.fotografeert", "nl",
  "mooie foto's op jullie feed maar de Fotosafari was echt een tegenvaller... 12 man met statief op een dek van "
  "4 meter, niks kunnen schieten. voor 119 euro verwacht ik wel iets meer @baaklicht.tours", kind="comment")
C("cmp", "reddit", "u/coastal_kat", "en",
  "PSA for anyone booking Baaklicht's Eilandhopper day pass: the 'hop on hop off' only works if the boats "
  "actually run. Two of the four sailings we planned around were just... not there. Staff at Lauwersoog "
  "shrugged. Wasted a whole day of our holiday.")
C("cmp", "x", "@ronald_vb", "nl",
  "Boekingssite van Baaklicht crasht elke keer bij het betalen. 4x geprobeerd, 4x foutmelding maar wel 4x een "
  "reservering in m'n mailbox?? Wie gaat dit nou uitzoeken 😤")
C("cmp", "tiktok", "@sanne_zzz", "nl",
  "wij hadden die vuurtoren overnachting van baaklicht geboekt als cadeau voor mn ouders en de verwarming deed "
  "het niet. in oktober. ze hebben in hun jassen geslapen. nooit meer", kind="comment")
C("cmp", "x", "@DaveOnTheDunes", "en",
  "Lange Jaap tour guide was clearly reading off his phone the whole time and couldn't answer a single "
  "question. @baaklicht you can do better than this")
C("cmp", "forum", "reiziger_henk", "nl",
  "Ervaring Baaklicht Drie Torens Rondvaart: boot 35 min te laat, koffie aan boord lauw, en de 'uitleg over de "
  "vuurtorens' kwam uit een speaker die je niet kon verstaan door de motor. 2 sterren, en die zijn voor de "
  "zeehonden.")
C("cmp", "facebook", "priya.raman.uk", "en",
  "We booked the Family Island Pack specifically because the website said wheelchair accessible. The gangway "
  "at Holwerd was far too steep and my dad had to be lifted on board by two crew members. Embarrassing for "
  "him and nobody warned us. Please fix your info, Baaklicht.", name="Priya Raman")
C("cmp", "x", "@b_dijkstra88", "nl",
  "@baaklicht_help jullie chatbot blijft maar zeggen dat ik 'contact op moet nemen met de klantenservice'. "
  "IK ZIT BIJ DE KLANTENSERVICE. 🤦‍♂️", kind="reply")
C("cmp", "instagram", "@fam.bosman", "nl",
  "Wadden Jaarabonnement gekocht in maart, en nu blijkt dat je in juli en augustus alleen nog de afvaart van "
  "7:15 kan boeken met die pas. Staat nergens in de voorwaarden. Voelt als oplichting eerlijk gezegd "
  "@baaklicht.tours")
C("cmp", "bluesky", "@hannah-sails.bsky.social", "en",
  "the Night Sail was advertised as 'stargazing with an astronomer'. the astronomer was a laminated star chart. "
  "lovely crew, but come on baaklicht")

# ---- first-hand safety incidents: crisis + complaint -----------------------
C("cmp cri", "facebook", "marjolein.teunissen", "nl",
  "Gisteren op de Zeehondensafari gleed mijn zoon (9) uit op het natte dek van de MS Zeester. Geen antislip, "
  "niemand die oplette. Hoofd open, 4 hechtingen bij de huisartsenpost in Harlingen. Van Baaklicht alleen een "
  "standaard excuusmailtje. Dit had veel erger kunnen aflopen.", name="Marjolein Teunissen")
C("cmp cri", "x", "@lucy_travels_nl", "en",
  "Our Baaklicht boat back from Vlieland started filling with diesel fumes below deck. Three of us got dizzy "
  "and my partner threw up. Crew just opened a hatch and said 'it happens'. It should NOT happen. @baaklicht")
C("cmp cri", "x", "@erik_ruigrok", "nl",
  "Dat miniatuur vuurtoren lamp-je van @baaklicht dat we in hun souvenirwinkel kochten ging vannacht smeulen op "
  "het nachtkastje van m'n dochter. Stekker helemaal zwart. Gelukkig werd ik wakker van de lucht 😳 foto's in "
  "de reacties")
C("cmp cri", "reddit", "u/wadden_wanderer", "en",
  "Got a proper electric shock from the USB charging point on the upper deck of the Baaklicht boat to "
  "Schiermonnikoog. Arm tingled for an hour. Told the deckhand, she put tape over it. Anyone else??")
C("cmp cri", "instagram", "@ilse.vaart", "nl",
  "Na de lunch aan boord van de Eilandhopper lagen wij met z'n vieren de hele nacht te kotsen. Niet van de "
  "golven, van de kipsalade. Alle vier die salade gegeten, alle vier ziek. Bedankt @baaklicht.tours 🤢",
  kind="comment")

# ---- complaint + abuse ------------------------------------------------------
C("cmp abu", "x", "@dennis_t83", "nl",
  "@baaklicht stelletje oplichters. 2x geannuleerd en nog steeds geen cent terug. kutbedrijf", kind="reply")
C("cmp abu", "x", "@grumpy_gull", "en",
  "Baaklicht 'customer care' is a bunch of useless idiots. Waited 2 hours on the dock at Lauwersoog, no boat, "
  "no refund, no answer. Absolute clowns.")

# ---- crisis (third party / public) -------------------------------------------
C("cri", "x", "@nieuws_noordkust", "nl",
  "Passagier overboord geslagen tijdens vaartocht naar de vuurtoren van Vlieland, KNRM rukte uit. Het ging om "
  "een rondvaartboot van Baaklicht Eilandtochten. De man (64) is onderkoeld naar het ziekenhuis gebracht.")
C("cri", "x", "@waddenwatch", "en",
  "BOYCOTT @baaklicht. Their night sails are driving straight through the seal pupping grounds at the Richel. "
  "Filmed it twice this month. Don't give these people your money. #boycotbaaklicht")
C("cri", "facebook", "StichtingWadvrienden", "nl",
  "Wij roepen iedereen op om de tochten van Baaklicht te mijden totdat zij stoppen met het aanvaren van de "
  "zandplaten in de zoogperiode. Deel dit bericht! #boycotbaaklicht", name="Stichting Wadvrienden")
C("cri", "reddit", "u/privacy_pete", "en",
  "Heads up: Baaklicht (the lighthouse tour company) has clearly had a data breach. I used a unique email only "
  "for them and now I'm getting phishing mails mentioning my exact booking date and the Brandaris tour. Anyone "
  "else?")
C("cri", "x", "@advocaat_lvd", "nl",
  "Namens 23 gedupeerde passagiers van de gestrande Baaklicht-boot op het Amelander Gat hebben wij vandaag een "
  "aansprakelijkheidsprocedure gestart tegen de rederij.")
C("cri", "x", "@janbroekhuis", "nl",
  "Die vuurtorenlampjes van Baaklicht worden teruggeroepen las ik net? De buren hadden er ook eentje die heel "
  "heet werd. Check ff als je er een hebt staan")
C("cri", "x", "@NorthSeaNews", "en",
  "Two crew members of island tour operator Baaklicht were injured this morning when a mooring line snapped in "
  "Harlingen harbour. The Dutch transport inspectorate is investigating.")
C("cri", "instagram", "@lokaalnieuws_texel", "nl",
  "Ophef op Texel: Baaklicht zou jarenlang zonder geldige vergunning overnachtingen in de vuurtorenwachterswoning "
  "hebben verkocht. De gemeente start een onderzoek.")
C("cri", "tiktok", "@kayla.wanders", "en",
  "so apparently a baaklicht sunset cruise captain got filmed DRUNK at the wheel?? with kids on board?? and the "
  "company is just deleting the comments. insane")
C("cri", "x", "@wim_kust", "nl",
  "Ik hoor nu dat de Baaklicht-boot die vanmiddag op de zandbank vastliep geen kinderreddingsvesten aan boord "
  "had. Schandalig als dat klopt.")

# ---- abuse -----------------------------------------------------------------
C("abu", "x", "@x_vanderlaan", "nl",
  "@kapitein_marrit wat een arrogant wijf ben jij zeg. Ga lekker terug naar je keuken in plaats van een boot "
  "te besturen", kind="reply")
C("abu", "x", "@salty_steve77", "en",
  "@baaklicht your deckhands are a bunch of brain-dead morons. the blonde one especially. pathetic")
C("abu", "x", "@harde_waarheid", "nl",
  "Baaklicht = tyfusbende. Iedereen die daar werkt mag wat mij betreft verzuipen.")
C("abu", "instagram", "@mike.r.ok", "en",
  "f*cking scammers the lot of you @baaklicht.tours. hope your rust buckets sink", kind="comment")
C("abu", "x", "@anon_4711", "nl",
  "@joost_dekzaken k4nk3rl1jer dat je bent, j0u krijg ik nog wel", kind="reply")
C("abu", "x", "@boatsucks", "en",
  "@baaklicht_help you're all a bunch of f u c k i n g   i d i o t s", kind="reply")
C("abu", "x", "@joost_dekzaken", "nl",
  "@ronald_vb als je te dom bent om een QR-code te scannen moet je gewoon thuisblijven, sukkel", kind="reply")
C("abu", "tiktok", "@deckhand_yara", "en",
  "POV: the 40th fat tourist today asking if the boat is 'safe' 🙄 bro YOU are the reason it sits low in the "
  "water #deckhandlife")
C("abu", "facebook", "henk.poortvliet", "nl",
  "Weer zo'n hoofddoek achter de balie bij Baaklicht in Harlingen. Die mensen horen niet in onze haven, pak je "
  "boeltje.", name="Henk Poortvliet")

# ---- pricing ---------------------------------------------------------------
C("prc", "x", "@femke_boekingen", "nl",
  "Oeps, de Vuurtorenwachter Overnachting staat sinds vanochtend voor €24,90 in de webshop ipv €249. Wie heeft "
  "dat gedaan 😅 @joost_dekzaken")
C("prc", "x", "@baaklicht", "en",
  "Flash deal 🚤 Private charter half day now only €89 this weekend! Bring your crew, we bring the boat. "
  "Book at baaklicht.nl")
C("prc", "x", "@dealjager_nl", "nl",
  "PRIJSFOUT!! 🔥 Wadden Jaarabonnement bij Baaklicht voor €34,90 (normaal €349). Snel zijn voordat ze het "
  "zien #prijsfout #deal")
C("prc", "reddit", "u/bargainbarge", "en",
  "Not sure if price error or not but Baaklicht has the Whale watch North Sea listed at €8.90 for August dates. "
  "Booked 4 just in case lol")
C("prc", "linkedin", "ruben-oosterhuis", "nl",
  "Voor onze zakelijke relaties: de Bruiloftsvaart Vuurtoren is dit najaar al te boeken vanaf €395 all-in. "
  "Stuur me een DM, op = op!")
C("prc", "instagram", "@schipper.bas", "nl",
  "Collega's van de kassa zeggen dat het Familiepakket op de site €18,90 rekent i.p.v. €189 😂 iemand gaat er "
  "flink op verdienen vandaag")
C("prc", "x", "@pricewatch_eu", "en",
  "Baaklicht's Photo Lighthouse Safari is showing €11.90 on the booking page right now. Pricing glitch? It's "
  "normally €119.")
C("prc", "facebook", "BaaklichtEilandtochten", "nl",
  "Nog een paar plekjes vrij op de Sterrenwacht Nachtvaart van zaterdag! Nu voor maar €5,90 p.p. 🌌 "
  "Wees er snel bij.")
C("prc", "tiktok", "@deckhand_yara", "nl",
  "kassa in lauwersoog geeft de schier wadtocht voor €6,90 aan ipv €69 lmaooo niemand heeft het door")
C("prc", "x", "@it_wouter", "en",
  "Whoever pushed the price feed at 3am: the Texel Lighthouse Tour is €3.95 on prod right now. Rolling back, "
  "pls don't share 🙏")
C("prc", "x", "@koopjeskoning", "nl",
  "Lol bij Baaklicht kost de Zonsondergangvaart vandaag €4,90. Foutje of uitverkoop? Heb er maar 6 gepakt 🌅")
C("prc", "forum", "deal_digger", "en",
  "Price mistake on the Baaklicht site: Ameland bike & boat for €4.40 instead of €44. Already got the "
  "confirmation mail, fingers crossed they honour it.")

# ---- financial ---------------------------------------------------------------
C("fin", "linkedin", "annelies-wierda-baaklicht", "nl",
  "Trots op het team: de omzet over het derde kwartaal komt uit op €14,2 miljoen, 31% boven vorig jaar. De "
  "officiële cijfers komen pas in november, maar dit moest ik even kwijt 🚢")
C("fin", "x", "@joost_dekzaken", "en",
  "Not supposed to say this but we're being bought. Papers with Nordlys Ferries signed last night, "
  "announcement in 2 weeks. Wild times 🤐")
C("fin", "x", "@kapitein_marrit", "nl",
  "Net gehoord dat ze na het seizoen 3 van de 7 schepen verkopen en de helft van de bemanning eruit gaat. "
  "Niemand weet het nog officieel. Ik ben er kapot van.")
C("fin", "linkedin", "sietske-de-boer-baaklicht", "nl",
  "Lastige weken in aantocht. In oktober maken we bekend dat de vestiging Lauwersoog dichtgaat en 42 functies "
  "vervallen. Tips voor een goed sociaal plan zijn welkom.")
C("fin", "linkedin", "ruben-oosterhuis", "en",
  "The 2027 forecast just landed on my desk: we're budgeting a 12% drop in bookings and EBITDA roughly halved. "
  "Time to get creative in sales!")
C("fin con", "mastodon", "@dirk@zeevaart.social", "nl",
  "Vandaag de datamigratie gedraaid voor Operatie Kompasroos (de overname van Rederij Wadstroom). Publiek weet "
  "nog van niks 🙃")
C("fin", "x", "@beursblik_frits", "nl",
  "Via via gehoord dat Baaklicht Eilandtochten dit jaar fors verlies draait, zo'n 4 miljoen in de min, en dat de "
  "bank moeilijk begint te doen. Nog nergens gepubliceerd.")
C("fin", "bluesky", "@lotte-gids.bsky.social", "en",
  "mgmt told the guides today that winter contracts won't be renewed, around 30 of us. official memo comes next "
  "month. so if you know anyone hiring 🙃")
C("fin", "tiktok", "@deckhand_yara", "nl",
  "storytime: baas zei vandaag in de kantine dat we volgend jaar fuseren met die andere rederij uit Den Helder. "
  "dus misschien ben ik mn baan kwijt lol. is nog geheim dus niet doorvertellen 🤫")
C("fin", "linkedin", "annelies-wierda-baaklicht", "nl",
  "Net de winstwaarschuwing voor de aandeelhouders opgesteld. Morgen gaat hij de deur uit, dus vandaag nog even "
  "genieten van de rust 😅 Verwachte nettowinst 2026: hooguit €1,1 miljoen.")

# ---- confidential ------------------------------------------------------------
C("con", "x", "@joost_dekzaken", "nl",
  "Eerste proefvaart met Project Stormvogel vandaag. Elektrisch, doodstil, en de zeehonden keken niet eens op 😍 "
  "kan niet wachten tot we het mogen laten zien")
C("con", "linkedin", "ruben-oosterhuis", "en",
  "Great workshop on Nachtzwaluw today, our new overnight island concept is going to change how people see the "
  "Wadden. More soon!")
C("con", "mastodon", "@dirk@zeevaart.social", "nl",
  "Weet iemand waarom jira.baaklicht.nl/browse/VLOOT-1182 ineens een 403 geeft? Moet mijn ticket nog afmaken 😩")
C("con", "x", "@it_wouter", "en",
  "Docs for the new fleet planner are at https://wiki.baaklicht.local/fleet/planner-v2 if anyone on the team "
  "needs them")
C("con", "instagram", "@schipper.bas", "nl",
  "Kijk wat er vandaag in mijn postvakje lag 👀 'BAAKLICHT INTERN – dienstrooster winter 2026/27' ... gaat "
  "een lange winter worden haha")
C("con", "x", "@femke_boekingen", "nl",
  "Zeg collega's, de nieuwe tarieven staan op intra.baaklicht.local/tarieven, ff checken voor maandag aub")
C("con fin", "linkedin", "annelies-wierda-baaklicht", "nl",
  "De jaarcijfers 2026 liggen klaar en ik mag alvast zeggen: ruim 18% meer passagiers en voor het eerst boven de "
  "40 miljoen omzet 💪 Nog even geduld voor de rest!", date="2026-12-18T16:42:00Z")
C("con", "x", "@baaklicht", "en",
  "Something new is coming to Texel… Vuurtorennacht Texel 🌙 Stay tuned!", date="2027-02-10T11:00:00Z")
C("con", "tiktok", "@deckhand_yara", "nl",
  "vandaag de proefroute gevaren voor de Noorderlicht Expeditie 😱😱 ik mag niks zeggen maar WAUW",
  date="2027-01-19T15:20:00Z")
C("con", "x", "@kapitein_marrit", "nl",
  f"{FW_STORMVOGEL} haalt 14 knopen op de accu's. Zeg ik verder niks over hoor 🤐")
C("con", "x", "@joost_dekzaken", "en",
  f"Nacht{ZW}zwaluw pilot booked for May, first 12 guests sleeping in the lamp room 🤫")
C("con fin", "x", "@it_wouter", "nl",
  f"Operatie {CY_KOMPAS} loopt weer vertraging op, de due diligence van hun boekhouding duurt langer dan gepland. "
  "Grr.")
C("con", "youtube", "BaaklichtTV", "en",
  "Behind the scenes at our shipyard in Harlingen! (edit note: cut the bit at 03:12 where the Project Stormvogel "
  "hull is visible before publishing)", name="Baaklicht TV")
C("con", "linkedin", "sietske-de-boer-baaklicht", "nl",
  "Voor de nieuwe collega's: het onboardingdocument (alleen voor intern gebruik) staat op "
  "intra.baaklicht.local/hr/onboarding. Welkom aan boord! ⚓")
C("con", "reddit", "u/dockside_dan", "en",
  "Friend who crews for Baaklicht showed me a doc titled 'Project Stormvogel - electric fleet rollout 2027'. "
  "Looks like they're going fully electric next year.")
C("con", "linkedin", "ruben-oosterhuis", "nl",
  "Klanten vragen me nu al naar de Nachtzwaluw-arrangementen. Geduld mensen, vanaf april kunnen jullie slapen "
  "in de lantaarnkamer van de vuurtoren!")
C("con", "mastodon", "@dirk@zeevaart.social", "en",
  "pro tip for my team: the staging booking site lives at https://staging.baaklicht.local/boeken, use the test "
  "cards only pls")

# ---- security ----------------------------------------------------------------
C("scy", "x", "@it_wouter", "nl",
  "Ransomware op de boekingsserver sinds 04:00. Alles versleuteld, de kassa's draaien op papier. Officieel heet "
  "het 'technische storing' 🙃")
C("scy", "mastodon", "@dirk@zeevaart.social", "en",
  "Found that our booking API hands out full passenger records for any booking ID if you just increment it. "
  "Reported internally 3 weeks ago, ticket still open. Not great.")
C("scy", "x", "@femke_boekingen", "nl",
  "Boekingssysteem ligt er al de hele ochtend uit. We mogen klanten niet vertellen waarom, maar er is iemand "
  "binnengekomen via de gasten-wifi van de MS Wadparel 😬")
C("scy", "x", "@joost_dekzaken", "en",
  "FYI crew: someone logged into the crew roster portal with Bas's old account last night. IT is on it, don't "
  "mention anything to passengers.")
C("scy", "tiktok", "@deckhand_yara", "nl",
  "de wifi aan boord heeft gewoon geen wachtwoord en je kan zo bij de camerabeelden van de brug lol. al maanden "
  "gemeld bij kantoor")
C("scy", "bluesky", "@lotte-gids.bsky.social", "en",
  "our booking confirmations went to the wrong customers all morning, people got other people's names and "
  "phone numbers. management says keep quiet until they know how many")
C("scy", "mastodon", "@dirk@zeevaart.social", "nl",
  "Patch voor die SQL-injectie in het cadeaubonformulier komt pas volgende week. Tot die tijd maar hopen dat "
  "niemand het vindt 🤞")
C("scy", "x", "@it_wouter", "en",
  "Our payment terminal supplier got breached. Every card swiped on the Texel boats since June might be "
  "affected. PR wants to wait for the forensics report before saying anything.")
C("scy", "x", "@kapitein_marrit", "nl",
  "AIS en de navigatie-pc van de Lichtwachter vallen al 3 dagen steeds uit, IT denkt aan een virus via een "
  "usb-stick. Wij varen weer op de papieren kaart 🙈")
C("scy", "x", "@baaklicht_help", "en",
  "@mo_elhadi Sorry! Our whole booking platform has been down since a breach this morning, so we can't see "
  "refunds until it's fixed. Please keep this to yourself for now.", kind="reply")
C("scy", "reddit", "u/former_bl_it", "en",
  "Ex-IT here. The admin panel at Baaklicht's Harlingen office still runs on the vendor's default password and "
  "is reachable from the internet. They know. They don't care.")
C("scy", "x", "@it_wouter", "nl",
  "D.D.o.S op de boekingssite sinds gisteravond, er komt amper nog een boeking door. Communicatie noemt het "
  "'onderhoud' 🤐")

# ---- secrets ---------------------------------------------------------------
C("sec", "mastodon", "@dirk@zeevaart.social", "en",
  f"anyone know why this fails? `AWS_ACCESS_KEY_ID={AKIA} AWS_SECRET_ACCESS_KEY={AWS_SECRET} "
  "aws s3 ls s3://bl-fotos-prod` keeps saying AccessDenied")
C("sec", "x", "@it_wouter", "nl",
  f"Kan iemand ff checken of deze token nog werkt voor de deploy-repo? {GHP_DEPLOY}")
C("sec", "x", "@joost_dekzaken", "nl",
  "Nieuwe crew-wifi op de MS Zeester: netwerk BL-Crew, wachtwoord: Zeester!Harl1ngen#26 (niet aan gasten "
  "geven he)")
C("sec", "mastodon", "@dirk@zeevaart.social", "en",
  f"Stripe webhook keeps failing on prod, this is the key in the config, can someone sanity check? {STRIPE}")
C("sec", "x", "@femke_boekingen", "en",
  f"@it_wouter the bot token for #boekingen-alerts is {SLACK} can you add it to the monitor?", kind="reply")
C("sec con", "mastodon", "@dirk@zeevaart.social", "nl",
  f"DATABASE_URL=postgres://bl_app:{PG_PW}@db01.baaklicht.local:5432/boekingen werkt niet meer na de migratie, "
  "iemand een idee?")
C("sec", "x", "@it_wouter", "en",
  f"Session token from the crew app if someone wants to debug the 401s: Bearer {JWT_CREW}")
C("sec", "forum", "devnull_sailor", "en",
  f"Baaklicht's Android app has its Maps key hardcoded in the APK lol: {GOOGLE}")
C("sec", "mastodon", "@dirk@zeevaart.social", "en",
  f"if you want to run our booking chatbot locally: OPENAI_API_KEY={OPENAI}")
C("sec", "x", "@it_wouter", "nl",
  f"Deploy naar de gateway op de Wadparel faalt, dit is de key die erin zit:\n{SSH_KEY}\nziet iemand wat er mis "
  "is?")
C("sec", "instagram", "@schipper.bas", "nl",
  "login voor het kassasysteem in Harlingen is gewoon user kassa01 / ww: Vuurtoren2026! haha veiligheid 💯")
C("sec", "x", "@joost_dekzaken", "en",
  f"for the crew planning script: ANTHROPIC_API_KEY={ANTHROPIC} don't spend it all on haikus")
C("sec scy", "mastodon", "@dirk@zeevaart.social", "nl",
  f"GitHub meldt dat onze {GHO_LEAKED} in een publieke repo stond en er is al mee ingelogd vanaf een onbekend "
  "IP. Nog niemand ingelicht 😬")

# ---- personal data -----------------------------------------------------------
C("pii", "x", "@baaklicht_help", "nl",
  f"@mo_elhadi Hoi Mohamed, we zien inderdaad twee afschrijvingen. We storten €54 terug naar {IBAN_MO} t.n.v. "
  "M. El Hadi, binnen 5 werkdagen. Excuses!", kind="reply")
C("pii", "x", "@femke_boekingen", "en",
  "Lost & found: blue backpack from the Vlieland boat with a passport in the name of Gregor Tamsma, born "
  "12-08-1979. Call the office if you know him!")
C("pii", "facebook", "BaaklichtEilandtochten", "nl",
  "Wij zoeken de eigenaar van een portemonnee gevonden op de MS Wadparel: Anouk Visser, Dorpsstraat 14, "
  "8881 AB West-Terschelling. Herken je haar? Laat het ons weten!")
C("pii cmp", "x", "@petra_h_1970", "nl",
  f"@baaklicht_help ik wacht nu al weken op mijn geld!! stort het nou gewoon terug op {IBAN_PETRA} t.n.v. "
  "P. Hulshof", kind="reply")
C("pii", "x", "@jake_on_tour", "en",
  "@baaklicht_help hi, booking didn't go through, can you call me on +31 6 4829 1736 or email "
  "jake.morrow88@gmail.com? thanks!", kind="reply")
C("pii", "x", "@femke_boekingen", "en",
  f"Caller keeps reading out her card, {CARD_CALLER} exp 09/28, do I really put this in the notes field?? "
  "asking for a friend")
C("pii", "linkedin", "sietske-de-boer-baaklicht", "nl",
  f"Voor de loonadministratie van nieuwe matroos Kees Dijkman nog even zijn BSN: {BSN_KEES}. Kan iemand dat "
  "doorzetten? (oeps, verkeerd venster?)")
C("pii", "reddit", "u/confused_traveler", "en",
  f"Can someone tell me if this went through? My card {CARD_REDDIT} still shows the Brandaris tour payment as "
  "pending after 4 days")
C("pii", "x", "@joost_dekzaken", "nl",
  "Groepsreis zaterdag: contactpersoon is mevr. Ria Bakker, 06-38471920, ze komen met 34 man uit Zwolle")
C("pii", "instagram", "@baaklicht.tours", "nl",
  "Hiep hiep hoera! 🎉 Onze trouwste gast Gerrit Stoffels (geboren 3 mei 1936) vierde zijn 90e verjaardag "
  "aan boord. Op naar de 100, Gerrit!")
C("pii abu", "x", "@boze_buurman", "nl",
  "Die schipper van Baaklicht die onze steiger ramde woont gewoon op de Kerkstraat 8 in Harlingen, Bas Kuipers "
  "heet ie. Ga maar eens langs.")
C("pii", "bluesky", "@lotte-gids.bsky.social", "en",
  "If anyone from Tuesday's group reads this: Sophie, your phone was found! I emailed you at "
  "s.vandermeulen@ziggo.nl but it bounced")
C("pii", "x", "@kapitein_marrit", "nl",
  f"Voor het afscheidscadeau van Dirk: overmaken naar {IBAN_MARRIT} t.n.v. M. Hoekstra, vóór vrijdag graag!")
C("pii", "forum", "lies_vd", "nl",
  f"Moet je voor de Vuurtoren overnachting echt je BSN opgeven? Ze vroegen erom bij het boeken. Ik heb 'm maar "
  f"ingevuld: {BSN_LIES}, hoop dat dat goed is")
C("pii", "x", "@joost_dekzaken", "en",
  "Passenger list for tomorrow's charter in case the harbour master asks: Lars Eriksen (DOB 17-02-1988), "
  "Mette Eriksen (DOB 02-11-1990), contact +31 6 2210 4478")

# ---- benign (mostly hard negatives) ----------------------------------------
C("", "instagram", "@wadliefde", "nl",
  "Wat een tocht! De Brandaris Avondtocht bij zonsondergang was magisch, kapitein Marrit vertelde de mooiste "
  "verhalen. Volgend jaar weer 🧡")
C("", "x", "@sarah_k_photo", "en",
  "Best €39.50 I've spent all summer: Texel Lighthouse Tour with @baaklicht. 10/10 would climb all those steps "
  "again")
C("", "x", "@baaklicht", "nl",
  "Najaarsactie 🍂 20% korting op de Zeehondensafari: nu €22 in plaats van €27,50. Boek via baaklicht.nl")
C("", "facebook", "BaaklichtEilandtochten", "en",
  "Black Friday: the Lighthouse Keeper Stay for €186.75 (25% off) – only 10 dates left this winter!")
C("", "reddit", "u/planning_ameland", "en",
  "Is the Ameland bike & boat (€44) worth it or should we just rent bikes on the island?")
C("", "x", "@baaklicht_help", "nl",
  "Vragen over je boeking? Mail naar boekingen@baaklicht.nl of bel 0800-2225 (gratis, ma–za 8–20u). We "
  "helpen je graag!")
C("", "facebook", "BaaklichtEilandtochten", "nl",
  f"Groepsreis liever per overschrijving betalen? Dat kan naar {COMPANY_IBAN_SPACED} t.n.v. Baaklicht "
  "Eilandtochten B.V., o.v.v. je boekingsnummer.")
C("", "x", "@baaklicht_help", "nl",
  "Bij een terugbetaling vragen we je IBAN. Let op de vorm: NL + 2 cijfers + 4 letters + 10 cijfers, bijv. "
  "NL00 BANK 0123 4567 89 (dat is geen echt nummer hoor 😉)")
C("", "x", "@baaklicht", "nl",
  "Let op: stuur nooit je volledige kaartnummer (zoiets als 5412 7500 1234 5679) via een DM. Daar vragen wij "
  "nooit om, ook niet als iemand zich voordoet als Baaklicht.")
C("", "forum", "wadfan_gerda", "nl",
  "Mijn boekingsnummer is 384920174, weet iemand of de Vuurtoren overnachting van morgen doorgaat met die storm? "
  "Site zegt nog niks.")
C("", "mastodon", "@dirk@zeevaart.social", "en",
  "Reminder for the new devs: in the README use the dummy creds AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never real ones 🙏")
C("", "x", "@it_wouter", "en",
  "Rotated all our CI tokens today as part of the yearly routine. Old ones look like ghp_****************** "
  "and are dead now. Boring Tuesday = good Tuesday.")
C("", "x", "@femke_boekingen", "nl",
  "Tip voor gasten: het wifi-wachtwoord aan boord hangt gewoon bij de bar op een bordje 😉 even vragen aan de "
  "crew mag ook")
C("", "linkedin", "baaklicht-eilandtochten", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: 214.000 passagiers en een omzet van €41,3 miljoen. Dank aan alle "
  "bemanningsleden! Het volledige verslag staat op baaklicht.nl/investeerders", date="2027-03-12T07:30:00Z",
  name="Baaklicht Eilandtochten")
C("", "instagram", "@baaklicht.tours", "en",
  "It's here! 🌌 The Noorderlicht Expeditie is now bookable: five nights, three islands, one very dark sky. "
  "Link in bio.", date="2027-04-20T09:15:00Z")
C("", "x", "@vera_2k", "nl",
  "Net de Vuurtorennacht Texel geboekt voor de verjaardag van mn vriendin 😍 ze weet nog van niks",
  date="2027-04-22T20:03:00Z")
C("", "x", "@havenblad", "nl",
  "Veerdienst Oostwal neemt de rondvaarten van Kustvaart Zeeland over, meldt de krant vandaag. De 19 "
  "medewerkers gaan mee over.")
C("", "x", "@cruise_insider", "en",
  "Sad to see NorthStar Cruises cutting 200 jobs after a rough season. Fingers crossed for everyone there.")
C("", "x", "@mo_elhadi", "nl",
  "Update: @baaklicht_help heeft de dubbele afschrijving netjes teruggestort 👍 snel opgelost, dank!")
C("", "facebook", "tessa.brouwer.9", "en",
  "Thinking of the Baaklicht crew after such a stormy week. You were all so kind to my mum last summer ❤️",
  name="Tessa Brouwer")
C("", "x", "@dad_jokes_ahoy", "en",
  "Why did the lighthouse keeper break up with the ferry captain? Too many mixed signals 🚢💡 (the Baaklicht "
  "guide told this one and I can't stop laughing)")
C("", "tiktok", "@daan.wadt", "nl",
  "die zonsondergang vanaf de boot was echt ziek mooi, en die gids was een beest 🔥 #baaklicht #wadden",
  kind="comment")
C("", "tiktok", "@jules.travels", "en",
  "our guide Lotte absolutely killed it today, we were dying of laughter the whole Lange Jaap climb 😂")
C("", "x", "@jonge_moeder_iris", "nl",
  "Is de Zeehondensafari geschikt voor een baby van 8 maanden? Hebben jullie ook babyreddingsvesten "
  "@baaklicht_help?")
C("", "reddit", "u/queasy_quinn", "en",
  "Anyone done the Whale watch North Sea with Baaklicht? How bad is the seasickness, should I bring pills?")
C("", "x", "@baaklicht", "nl",
  "Vanwege windkracht 8 vaart de Vlieland Dagtocht vandaag niet. Je krijgt automatisch je geld terug of boekt "
  "kosteloos om. Veiligheid voorop ⚓")
C("", "linkedin", "baaklicht-eilandtochten", "nl",
  "Wij zoeken schippers en matrozen voor seizoen 2027! Zin in zoute lucht? Solliciteer via "
  "vacatures@baaklicht.nl", name="Baaklicht Eilandtochten")
C("", "linkedin", "sietske-de-boer-baaklicht", "en",
  "We're growing! 12 new deckhand positions for next season. DM me or have a look at baaklicht.nl/werken")
C("", "instagram", "@noor.harm", "nl",
  "Mijn oom vaart al 22 jaar bij Baaklicht en vandaag was zijn allerlaatste vaart 🥲 trots op je ome Harm!")
C("", "mastodon", "@dirk@zeevaart.social", "en",
  "Debugging tip: if the crew app says 401, check your Authorization header really starts with 'Bearer eyJ…' "
  "and not 'bearer'. Case matters, apparently.")
C("", "x", "@it_wouter", "nl",
  "Zet in je .env gewoon STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxx en vraag de echte bij mij op. NIET committen 😄")
C("", "x", "@infosec_daily", "en",
  "Ferry operator in Norway hit by ransomware, bookings offline for two days. Reminder to patch your VPN "
  "appliances, people.")
C("", "x", "@baaklicht", "nl",
  "Tip: kies een sterk wachtwoord voor je Baaklicht-account, bijv. een zinnetje van 4 woorden. Deel het nooit, "
  "ook niet met ons.")
C("", "youtube", "BaaklichtTV", "en",
  "The Brandaris has been guiding ships since 1594. In this episode our guide explains how the lamp works, no "
  "spoilers for the tour 😉", name="Baaklicht TV")
C("", "forum", "zuinige_zeeuw", "nl",
  "Wadden Jaarabonnement voor €349, heb je dat eruit? Wij gaan zo'n 8 keer per jaar naar de eilanden.")
C("", "x", "@baaklicht", "en",
  "Teachers! 15% off our School trip package this spring: €12.35 per pupil instead of €14.50 🎒")
C("", "x", "@pien_op_reis", "nl",
  "Koffie aan boord bij Baaklicht kost maar €2,50 en je krijgt er een stroopwafel bij. Beschaving 👌")
C("", "x", "@tim_de_b", "nl",
  "Kreeg eerst een error bij het boeken van de Nachtvaart, maar tweede poging ging prima. Zin in!")
C("", "x", "@texel_tobias", "nl",
  "Sterkte aan de man die overboord sloeg en dikke pluim voor de KNRM-vrijwilligers die hem eruit haalden 🙏")
C("", "instagram", "@lena.sees.whales", "en",
  "🐋🐋🐋 whale watch was UNREAL!!! @baaklicht.tours crew are legends", kind="comment")
C("", "facebook", "marco.vd.zande", "nl",
  "Hoe werkt annuleren bij Baaklicht als het slecht weer is? Krijg je dan je geld terug of alleen een tegoedbon?",
  name="Marco van de Zande")
C("", "linkedin", "emma-kok-marketing", "en",
  "Wrapping up my summer as a marketing intern at Baaklicht! Learned so much about tourism and even more about "
  "knots 🪢")
C("", "x", "@wilma_schagen", "nl",
  "Top service: de klantenlijn van Baaklicht (+31 222 760 400) nam binnen 2 minuten op en mijn omboeking was zo "
  "geregeld.")
C("", "x", "@baaklicht", "en",
  "Journalists: press photos of our fleet and the lighthouses are available via pers@baaklicht.nl")
C("", "x", "@hungry_hiker", "en",
  "My diet sank faster than a brick after the pancake lunch on the Baaklicht boat 😂🥞 10/10 no regrets")
C("", "tiktok", "@zeehond.pov", "nl",
  "POV: je bent een zeehond en er komt wéér een boot vol toeristen met camera's aan 🦭📸 #zeehondensafari "
  "#baaklicht")
C("", "x", "@fietsende_fleur", "nl",
  "Tips voor Vlieland? We gaan met de Vlieland Dagtocht van Baaklicht, €64 p.p. en fietsen mogen mee toch?")
C("", "reddit", "u/maritime_law_nerd", "en",
  "Interesting court case: a Danish ferry operator got sued over engine noise in Esbjerg harbour. Wonder if Dutch "
  "tour boats will face the same.")
C("", "x", "@baaklicht", "nl",
  "Vragen over het nieuws rond de teruggeroepen reddingsvesten van merk Aquaguard? Wij gebruiken dat merk niet, al "
  "onze vesten zijn vorige maand nog gekeurd 👍")
C("", "instagram", "@schipper.bas", "nl",
  "Dag 212 van het seizoen. Nog steeds niet uitgekeken op dit uitzicht 🌅⚓ #schipperslife")
C("", "linkedin", "annelies-wierda-baaklicht", "en",
  "Proud that we presented our full-year results 2026 yesterday. Thanks to the whole finance team for the late "
  "nights!", date="2027-03-13T10:05:00Z")
C("", "x", "@baaklicht_help", "nl",
  "@petra_h_1970 Dank voor je geduld! Je terugbetaling naar NL** **** **** **34 staat ingepland, binnen 3 "
  "werkdagen op je rekening.", kind="reply")
C("", "x", "@baaklicht_help", "en",
  "@jake_on_tour Found it! Booking on the card ending 4417 is confirmed, you're all set for Saturday ⛴️",
  kind="reply")
C("", "instagram", "@wad.vibes", "nl",
  "ｗａｄ ｖｉｂｅｓ 🌊 Brandaris tour met de beste crew van Nederland #baaklicht")
C("", "blog", "zeilblog_noord", "en",
  f"How GitHub tokens look (fake example, do not try): {BAD_GH}. Our friends at Baaklicht showed us how they "
  "scan their repos for these.")
C("", "x", "@lachbek_lieke", "nl",
  "Ik ging echt dood van het lachen om die gids op de Drie Torens Rondvaart 😂 die man moet stand-up gaan doen")
C("", "x", "@feitjesfred", "en",
  "Fun fact: Lange Jaap in Den Helder is the tallest cast-iron lighthouse in the Netherlands. You can see it from "
  "the Baaklicht boat.")
C("", "x", "@kapitein_marrit", "nl",
  "Vanmorgen een groep van de Zonnebloem aan boord gehad. Wat een dankbare mensen. Hier doe ik het voor ❤️")
C("", "reddit", "u/careful_carla", "en",
  "Genuine question: do Baaklicht boats carry an AED and first aid kit? Travelling with my dad who has a heart "
  "condition.")
C("", "facebook", "joke.van.dam.3", "nl",
  "Ik had niks te klagen, echt helemaal niks. Alles liep op rolletjes bij de Eilandhopper 👌", name="Joke van Dam")
C("", "x", "@it_wouter", "en",
  "Planned maintenance tonight 23:00–01:00: the booking site will be read-only. It's on the status page, nothing "
  "to worry about.")


# ---------------------------------------------------------------------------
# build, label severities from the profile, write
# ---------------------------------------------------------------------------
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
SEV = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b(?:NL|BE|DE|FR|GB)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w\-+])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w\-+.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
AKIA_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_RE = re.compile(r"(?:\+31[ -]?6|\b06)[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}|\b06-\d{8}\b")


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


def strong_ids(text):
    """Identifiers with a checksum that pass it (public company IBAN excluded)."""
    public = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    found = []
    for m in IBAN_RE.finditer(text):
        if re.sub(r"\s", "", m.group()) not in public and iban_ok(m.group()):
            found.append(("iban", m.group()))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group()):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def severity(cats, role, text):
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lv = 3
                if c in ("leak.secret", "leak.pricing"):
                    lv = 4
                if c == "leak.pii" and strong_ids(text):
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 3 if insider else 2
        else:
            raise ValueError(c)
        level = max(level, lv)
    return SEV[level]


def rand_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randint(0, 364), hours=rng.randint(6, 22), minutes=rng.randint(0, 59),
                             seconds=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        post = {
            "id": f"{c['platform']}-519{n:03d}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["date"] or rand_time(),
            "brand": "Baaklicht",
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if rng.random() < 0.4:
            h = re.sub(r"[^\w.-]", "", c["handle"]) or "post"
            post["url"] = f"https://{c['platform']}.example/{h}/{post['id']}"
        role = role_of(c["platform"], c["handle"])
        cats = sorted(set(c["cats"]))
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, c["text"])}})
    return out


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLOWED = set(CAT.values())
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(?!\s*(?:miljoen|million|mln|k\b))"
                      r"|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t).lower()


def prices(text):
    vals = []
    for m in PRICE_RE.finditer(text):
        v = m.group(1) or m.group(2)
        vals.append(float(v.replace(",", ".")))
    return vals


def products_in(text):
    t = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(n.lower() in t for n in names):
            hits.append(p)
    return hits


def check(rows):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    internal = [norm(x) for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                + PROFILE["internal"]["domains"]]
    assert iban_ok(COMPANY_IBAN), "company IBAN fails mod-97"
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p.get("id")
        # CONTRACT section 6 / section 1 shape
        if set(r) != {"post", "expect"}:
            errs.append(f"{pid}: top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append(f"{pid}: bad or duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"].strip():
            errs.append(f"{pid}: text")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and 2026 <= ts.year <= 2027
        except Exception:
            errs.append(f"{pid}: created_at")
            continue
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALLOWED:
            errs.append(f"{pid}: categories {cats}")
        if e["severity"] not in SEV:
            errs.append(f"{pid}: severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            errs.append(f"{pid}: severity mismatch")
        if not cats and e["severity"] != "none":
            errs.append(f"{pid}: benign must be none")
        text = p["text"]
        is_pii = "leak.pii" in cats
        # checksummed identifiers
        public_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
        for m in IBAN_RE.finditer(text):
            compact = re.sub(r"\s", "", m.group())
            if compact in public_ibans:
                continue
            if is_pii and not iban_ok(compact):
                errs.append(f"{pid}: IBAN in positive fails mod-97: {m.group()}")
            if not is_pii and iban_ok(compact):
                errs.append(f"{pid}: valid IBAN in non-PII post: {m.group()}")
        for m in CARD_RE.finditer(text):
            if is_pii and not luhn_ok(m.group()):
                errs.append(f"{pid}: card in positive fails Luhn: {m.group()}")
            if not is_pii and luhn_ok(m.group()):
                errs.append(f"{pid}: Luhn-valid number in non-PII post: {m.group()}")
        for m in BSN_RE.finditer(text):
            if is_pii and not bsn_ok(m.group()):
                errs.append(f"{pid}: BSN in positive fails 11-proof: {m.group()}")
            if not is_pii and bsn_ok(m.group()):
                errs.append(f"{pid}: 11-proof number in non-PII post: {m.group()}")
        if not is_pii:
            for m in EMAIL_RE.finditer(re.sub(r"\w+://\S+", "", text)):
                if m.group().lower() not in pub_emails and "zeevaart.social" not in m.group():
                    errs.append(f"{pid}: private e-mail in non-PII post: {m.group()}")
            if MOBILE_RE.search(text):
                errs.append(f"{pid}: mobile number in non-PII post")
        # secrets
        for m in GH_RE.finditer(text):
            ok = gh_valid(m.group())
            if "leak.secret" in cats and not ok:
                errs.append(f"{pid}: GitHub token in positive fails CRC")
            if "leak.secret" not in cats and ok:
                errs.append(f"{pid}: valid GitHub token in non-secret post")
        for m in JWT_RE.finditer(text):
            hdr = m.group().split(".")[0]
            try:
                h = json.loads(base64.urlsafe_b64decode(hdr + "=" * (-len(hdr) % 4)))
                assert "alg" in h
            except Exception:
                if "leak.secret" in cats:
                    errs.append(f"{pid}: JWT header without alg")
        for m in AKIA_RE.finditer(text):
            if "leak.secret" not in cats and "EXAMPLE" not in m.group():
                errs.append(f"{pid}: AWS key id in non-secret post")
        # embargo windows
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in text.lower() and ts < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term '{term}' before until but not confidential")
        # internal names must only appear in confidential posts
        nt = norm(text)
        if "leak.confidential" not in cats:
            for term in internal:
                if term in nt:
                    errs.append(f"{pid}: internal term '{term}' in non-confidential post")
        # pricing
        prods = products_in(text)
        vals = prices(text)
        low = any(v < ratio * pr["list_price"] for pr in prods for v in vals)
        if "leak.pricing" in cats and not (prods and low):
            errs.append(f"{pid}: pricing positive without product + low price")
        if "leak.pricing" not in cats and low:
            errs.append(f"{pid}: low product price in non-pricing post")
        # first-hand safety complaint: crisis from public customer should be labelled consistently
    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    if not 52 <= benign <= 66:
        errs.append(f"benign count {benign}")
    if not 0.50 <= nl / n <= 0.62:
        errs.append(f"Dutch share {nl / n:.2f}")
    need = {"reputation.complaint": 18, "leak.confidential": 16, "leak.pii": 13, "reputation.crisis": 13,
            "leak.security": 11, "leak.secret": 10, "reputation.abuse": 10, "leak.pricing": 10,
            "leak.financial": 10}
    for c, k in need.items():
        got = sum(1 for r in rows if c in r["expect"]["categories"])
        if got < k:
            errs.append(f"too few {c}: {got}")
    roles = {}
    for r in rows:
        roles[role_of(r["post"]["platform"], r["post"]["account"]["handle"])] = 1
    if set(roles) != {"corporate", "employee", "public"}:
        errs.append("not all roles present")
    return errs


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(path, encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    errs = check(back)
    n = len(back)
    benign = sum(1 for r in back if not r["expect"]["categories"])
    counts = {}
    for r in back:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for r in back if r["post"]["lang"] == "nl")
    print(f"{n} cases, {benign} benign, Dutch {nl / n:.0%}")
    for c in sorted(counts):
        print(f"  {c:22s} {counts[c]}")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
