#!/usr/bin/env python3
"""Build the labelled evaluation set cases.jsonl for sealed set 318 (Dravenmoor Chemie).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and then checks it against the contract (format, checksums, severities).

Post texts are hand-written. Secrets and personal identifiers are written as
{{PLACEHOLDER}} and generated here the way the real ones are built:
  {{GHP}} GitHub classic token (prefix + 30 chars + base62 CRC-32), {{AWS_ID}}, {{AWS_SECRET}},
  {{STRIPE}}, {{SLACK}}, {{OPENAI}}, {{GOOGLE}}, {{JWT}}, {{PEM}}, {{PWD}}, {{DBPWD}},
  {{IBAN}} / {{IBAN_SP}} (valid NL IBAN), {{CARD}} (Luhn-valid), {{BSN}} (11-proof),
  {{BAD_IBAN}}, {{BAD_CARD}}, {{BAD_BSN}} (look-alikes that fail their checksum),
  {{COMPANY_IBAN}} (the company's own published IBAN from the profile).
Severities are never typed: they are computed from the categories, the account role in
the profile and the identifiers found (CONTRACT section 4).
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
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(318318)

S = "leak.secret"
P = "leak.pii"
PR = "leak.pricing"
C = "leak.confidential"
F = "leak.financial"
SE = "leak.security"
CR = "reputation.crisis"
CO = "reputation.complaint"
AB = "reputation.abuse"
ALL_CATS = {S, P, PR, C, F, SE, CR, CO, AB, "reputation.spike"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B62 = ALNUM

# ---------------------------------------------------------------- checksums


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank, acct):
    r = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def luhn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and int(s) != 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

# ---------------------------------------------------------------- generators


def rs(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_ghp():
    body = rs(30)
    return rng.choice(["ghp_", "ghp_", "gho_"]) + body + b62(zlib.crc32(body.encode()), 6)


def gen_aws_id():
    return "AKIA" + rs(16, string.ascii_uppercase + "234567")


def gen_aws_secret():
    return rs(40, string.ascii_letters + string.digits + "/+")


def gen_stripe():
    return "sk_live_" + rs(24)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rs(12, string.digits), rs(13, string.digits), rs(24))


def gen_openai():
    a = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rs(74, a) + "T3BlbkFJ" + rs(74, a)


def gen_google():
    return "AIza" + rs(35, string.ascii_letters + string.digits + "_-")


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "m.elidrissi", "role": "planner", "iat": 1767225600 + rng.randrange(3000000),
                                 "exp": 1767225600 + 3000000 + rng.randrange(86400)}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def gen_pem():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519"
    raw += bytes(rng.randrange(256) for _ in range(290))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_pwd():
    w = rng.choice(["Kolom", "Tankput", "Fakkel", "Steiger", "Moerdijk", "Ketel"])
    return "%s%s%d%s" % (w, rng.choice(["!", "#", "$", "@"]), rng.randrange(10, 99), rs(4, string.ascii_letters))


def gen_dbpwd():
    return rs(18, string.ascii_letters + string.digits)


BANKS = ["RABO", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]


def gen_iban_compact():
    return make_iban(rng.choice(BANKS), rs(10, string.digits))


def spaced(i):
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4))


def gen_bad_iban():
    good = gen_iban_compact()
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + 7) % 97 or 11) + good[4:]
    assert not iban_ok(bad)
    return spaced(bad)


def gen_card():
    first = rng.choice(["4", "5" + rng.choice("12345")])
    partial = first + rs(15 - len(first), string.digits)
    n = partial + luhn_digit(partial)
    return " ".join(n[k:k + 4] for k in range(0, 16, 4))


def gen_bad_card():
    n = gen_card().replace(" ", "")
    bad = n[:-1] + str((int(n[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return " ".join(bad[k:k + 4] for k in range(0, 16, 4))


def gen_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def gen_bad_bsn():
    s = gen_bsn()
    bad = s[:8] + str((int(s[8]) + 1) % 10)
    assert not bsn_ok(bad)
    return bad


# ---------------------------------------------------------------- evasion helpers

CYR = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "c": "\u0441", "y": "\u0443", "B": "\u0412", "p": "\u0440"}


def cyr(s):
    return "".join(CYR.get(ch, ch) for ch in s)


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


ZW = "\u200b"

# ---------------------------------------------------------------- the posts

CASES = []


def c(platform, handle, lang, cats, text, kind="post", date=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)), text=text,
                      kind=kind, date=date, price=price, name=name))


# ---- complaints
c("x", "@verfmaker_jansen", "nl", [CO],
  "@dravenmoor_service al 3 weken wachten op 4 vaten Xyleen Mix. Elke keer 'volgende week'. Onze spuiterij staat stil "
  "en dat kost ons gewoon geld. Wie heeft daar eigenlijk de leiding??", kind="reply", date="2026-03-09T08:14:22Z")
c("linkedin", "sarah-whitfield-procurement", "en", [CO],
  "Third time this quarter that an Aceton IBC from Dravenmoor turned up with a cracked valve housing. We had to decant "
  "1000 litres in the yard in the rain. Your QA needs to get a grip, honestly.", name="Sarah Whitfield")
c("facebook", "Erik Brouwer Schildersbedrijf", "nl", [CO],
  "Factuur van Dravenmoor klopt wéér niet. Statiegeld voor 6 lege vaten niet verrekend en de klantenservice zegt "
  "\"we kijken ernaar\". Dat zeiden ze in maart ook al 🙄", kind="comment")
c("x", "@labtech_anouk", "en", [CO],
  "ordered LabGrade ACN from dravenmoor, the CoA in the box is for a totally different lot nr. can't use it in a "
  "validated method without the right cert. ticket open 9 days, zero response", date="2026-05-12T10:41:07Z")
c("x", "@tinus_tweewielers", "nl", [CO],
  "die ReSolv terugname van @dravenmoor is echt een grap. 2x afspraak, 2x niemand gekomen. staan hier nu 5 vaten "
  "afgewerkte verdunner in de werkplaats te stinken #klantonvriendelijk")
c("reddit", "u/klusjesman_ede", "nl", [CO],
  "Iemand anders ook gedoe met de nieuwe dop op Solvanta ClearStrip? Zit zo strak dat je er een waterpomptang voor "
  "nodig hebt en dan lekt ie alsnog langs de rand. Vroeger was het gewoon beter spul.", kind="comment")
c("x", "@ProCoatingsUK", "en", [CO],
  "@dravenmoor_service your webshop has been throwing 'error 500' at checkout since Monday. Tried three browsers "
  "and two laptops. Is anyone actually reading these?", kind="reply", date="2026-06-02T13:20:45Z")
c("instagram", "@autoschadeherstel_vos", "nl", [CO],
  "Batch White Spirit D40 van vorige week is troebel en ruikt anders dan normaal. Ontvetten lukt voor geen meter. "
  "Retour sturen kost ons ook weer een halve dag. Niet best @dravenmoor.chemie 👎", kind="comment")
c("reddit", "u/solventnerd", "en", [CO],
  "Mini-rant: Dravenmoor changed their SDS layout and the English sheet for n-Butylacetaat is just... missing "
  "section 8. Our EHS officer won't sign off without exposure limits. Emailed them twice, crickets.")
c("x", "@drukkerij_meulen", "nl", [CO],
  "Vrachtwagen van Dravenmoor blokkeerde vanochtend wéér een half uur onze laadkuil, en de chauffeur werd nog grof "
  "ook toen we er wat van zeiden. Fijne service hoor.")
c("x", "@schildersbedrijf_ruiter", "nl", [CO],
  "@dravenmoor_service nee dus, het is NIET opgelost. Weer een IBC met een lekkende afsluiter. En jullie mail van "
  "gisteren was gewoon een standaardtekst.", kind="reply")
# first-hand harm: complaint + crisis
c("x", "@hobbyboer_gerrit", "nl", [CO, CR],
  "Jerrycan Aceton Tech 25 van @dravenmoor lekte al in de bus onderweg. halverwege werd ik zo duizelig van de damp "
  "dat ik de vluchtstrook op moest. had echt fout kunnen gaan. hoe kan zo'n dop nou los zitten??",
  date="2026-04-18T16:02:33Z")
c("facebook", "Jason Miles", "en", [CO, CR],
  "Used Solvanta ClearStrip on an engine block, wearing nitrile gloves like the label says, and the glove literally "
  "dissolved. Chemical burns on two fingers and an evening in A&E. The label says nitrile is fine. It is NOT.",
  date="2026-07-21T19:44:10Z")
c("instagram", "@meubelmaker.sanne", "nl", [CO, CR],
  "Dit is mijn hand na één keer Solvanta GreenCut, het 'huidvriendelijke bio-oplosmiddel' 🤕 blaren tot aan m'n pols. "
  "Huisarts zegt chemische irritatie. Zo huidvriendelijk dus. Wel gemeld, nog geen reactie. #GreenCut",
  date="2026-08-03T11:15:00Z")
c("x", "@garage_dan_", "en", [CO, CR],
  "the 5L ClearStrip can split along the seam just sitting on my shelf and the fumes set off the smoke alarm... "
  "boiler pilot light is 2 metres away. could have had a fire in my garage. cheers Solvanta 🙃",
  date="2026-09-14T21:37:52Z")
c("facebook", "Ahmed Yilmaz", "nl", [CO, CR],
  "Onze monteur is gisteren onwel geworden na het openen van een vat Xyleen Mix van Dravenmoor. Het vat stond onder "
  "druk en spoot recht in zijn gezicht. Ambulance erbij gehad. Wij willen nu weleens weten wat er mis was met dat vat.")
# complaint + abuse
c("x", "@woedende_wim", "nl", [CO, AB],
  "Dravenmoor stelletje prutsers. 3e keer verkeerde vaten geleverd, MEK in plaats van EtAc. Kunnen jullie daar "
  "eigenlijk lezen of is dat te veel gevraagd?", date="2026-10-05T09:12:40Z")
c("x", "@mikeoncoatings", "en", [CO, AB],
  "4 weeks for ONE drum of toluene @dravenmoor_service. you useless muppets. seriously.", kind="reply")
# complaints that also expose the writer's own data
c("x", "@p_harlow_coat", "en", [CO, P],
  "@dravenmoor_service still no sign of the 6 drums promised for Tuesday. My direct line is +31 6 41 87 22 09 and "
  "email p.harlow@procoatings-uk.co.uk, please call me today.", kind="reply")
c("x", "@buyer_kowalski", "en", [CO, P],
  "@dravenmoor_service you charged my card twice for order 70412 😡 card {{CARD}} exp 09/28. pls fix asap",
  kind="reply")

# ---- crisis (no complaint of the writer's own)
c("x", "@bewoners_zevenbergen", "nl", [CR],
  "Alweer die zoete oplosmiddellucht over de wijk vannacht. Kinderen met hoofdpijn wakker. Dravenmoor ontkent alles. "
  "Wij stappen nu naar de rechter, advocaat is ingeschakeld. #Moerdijk #stank")
c("x", "@delta_nieuwsflits", "en", [CR],
  "BREAKING: fire brigade at the Dravenmoor Chemie site in Moerdijk after flames were seen near storage tanks. "
  "Residents told to keep windows and doors closed. More soon.")
c("x", "@nieuws_westbrabant", "nl", [CR],
  "Tientallen dode vissen in de haven naast Dravenmoor. Waterschap neemt monsters, vermoeden van een lozing van "
  "oplosmiddelen. Bedrijf wil nog niet reageren.")
c("linkedin", "anna-kowalczyk-hse", "en", [CR],
  "Heard from a contractor that a scaffolder was badly hurt at the Dravenmoor Moerdijk site yesterday after a flash "
  "fire during maintenance. Thoughts are with him. I hope the investigation is open about what went wrong.",
  name="Anna Kowalczyk")
c("x", "@groen_moerdijk", "nl", [CR],
  "Boycot Dravenmoor! Ze lozen al jaren troep in het Hollands Diep en de provincie kijkt weg. Koop geen Solvanta "
  "meer, deel dit bericht. #boycotdravenmoor")
c("x", "@chem_watchdog", "en", [CR],
  "Heads up: Dravenmoor is recalling Butylglycol 25 lot 2611-B, water contamination above spec per a notice sent to "
  "distributors. Check your stock before using it.")
c("reddit", "u/moerdijker1988", "nl", [CR],
  "Klopt het dat er gisteravond een explosie was bij Dravenmoor? Ik hoorde een enorme knal en zag een steekvlam van "
  "tientallen meters. Niemand zegt iets, gemeente ook niet.")
c("x", "@datahound_eu", "en", [CR],
  "Looks like a Dravenmoor customer database is up for sale on a forum: names, delivery addresses and order history "
  "of ~12k B2B clients. Not a word from Dravenmoor so far. Data breach?")
c("facebook", "Petra van Dongen", "nl", [CR],
  "Mijn vader heeft 30 jaar bij Dravenmoor gewerkt en is nu ernstig ziek door al die jaren oplosmiddeldampen. We "
  "beginnen een rechtszaak. Dit bedrijf wist ervan en deed niks.", name="Petra van Dongen")
c("x", "@stopchemie", "nl", [CR],
  cyr("Boycot") + " " + cyr("Dravenmoor") + " tot ze stoppen met lozen. Geen cent meer naar dit " + cyr("bedrijf") +
  ". #boycot #Moerdijk")
c("x", "@ruudkoster_dmc", "nl", [CR],
  "Net lekkage bij het laden van tolueen op de steiger, 2 collega's naar de EHBO met ademhalingsklachten. Hele pier "
  "ontruimd. Niet echt de nachtdienst die je wil.")

# ---- abuse
c("x", "@zzp_henk", "nl", [AB], "Dravenmoor = kankerbedrijf. Punt.")
c("x", "@bozeburen", "nl", [AB],
  "die t y f u s lijers van dr4v3nm00r kunnen de p3st krijgen, k4nk3rz00i is het daar")
c("x", "@anon77833", "en", [AB],
  "@dravenmoor_service your staff are a bunch of brain-dead clowns. go to hell.", kind="reply")
c("x", "@stille_wraak", "nl", [AB],
  "@ruudkoster_dmc ik weet waar je woont Koster. Kijk maar goed uit als je weer naar huis fietst na je dienst.",
  kind="reply")
c("reddit", "u/throwaway_rage", "en", [AB],
  "That HSE manager Karim Bouzid at Dravenmoor is a lying piece of shit and everyone on site knows it.",
  kind="comment")
c("facebook", "Rob de Graaf", "nl", [AB],
  "Natuurlijk gaat het mis bij Dravenmoor, de helft van die planners daar zijn Marokkanen die geen Nederlands kunnen "
  "lezen.", kind="comment")
c("x", "@greenrage", "en", [AB],
  "Dravenmoor execs should choke on their own fumes. Scum, every last one of them.")
c("x", "@mo_elidrissi", "nl", [AB],
  "@woedende_wim hou je bek eens man, sukkel. je bestelt zelf het verkeerde artikelnummer en dan gaan janken op "
  "twitter", kind="reply", date="2026-10-05T11:03:18Z")
c("x", "@klaar_met_dravenmoor", "nl", [AB],
  "Wat een waardeloze idioten zitten er bij de klantenservice van Dravenmoor. Echt hersenloos volk.")
c("instagram", "@r.vanleeuwen_art", "en", [AB],
  "ugly plant, ugly people. f*** off Dravenmoor 🖕🖕", kind="comment")
c("x", "@ad_hoc_boos", "nl", [AB],
  "D.r.a.v.e.n.m.o.o.r = s.t.e.l.l.e.t.j.e k.l.o.o.t.z.a.k.k.e.n")

# ---- confidential
c("linkedin", "sander-oosterhuis-dmc", "nl", [C],
  "Mooie dag met het team: de nieuwe procesdata-dashboards voor Project Halvemaan draaien eindelijk. Dank aan "
  "iedereen die heeft meegebouwd! #teamwork", name="Sander Oosterhuis")
c("x", "@ilse_op_de_site", "en", [C],
  "finally got the pilot distillation running for Ketelsteen, yields look way better than on the old column. can't "
  "say more yet 🤐")
c("instagram", "@joost.vd.tank", "nl", [C],
  "Nachtdienstje met uitzicht 🌙 btw als iemand de trenddata van K-301 zoekt: "
  "historian.dravenmoor.local/trend?tag=K301_TI_204")
c("linkedin", "hanneke-verbrugge", "en", [C],
  "Sharing our new onboarding deck with the HR community! It's marked 'uitsluitend voor intern gebruik' but honestly "
  "the structure is so good that others can learn from it 😊 link in the comments", name="Hanneke Verbrugge")
c("reddit", "u/nachtdienst_kolom3", "nl", [C],
  "Kan iemand helpen met een Grafana-query? Onze dashboards op grafana.dravenmoor.local geven sinds de update alleen "
  "nog lege panels.")
c("bluesky", "@lotte-dmc.bsky.social", "en", [C],
  "Can't wait for January!! Solvanta EcoSolv is going to blow everyone away, fully bio-based and cheaper than MEK 🌱 "
  "#sneakpeek", date="2026-11-14T15:22:03Z")
c("x", "@fleur_sales_dmc", "nl", [C],
  "Klanten vragen nu al naar EcoSolv 200, ik mag nog niks zeggen maar... 👀 de prijs wordt scherp",
  date="2026-12-03T10:05:41Z")
c("x", "@chemtrader_eu", "nl", [C],
  "Hoor van een leverancier dat Dravenmoor onder de naam Operatie Duinroos een tweede site in Antwerpen aan het "
  "voorbereiden is. Iemand meer info?")
c("x", "@former_dmc_contractor", "en", [C, SE],
  "lol Dravenmoor still has git.dravenmoor.nl reachable from the internet with the admin login page wide open and "
  "no 2FA. told them in spring when I was still on the project.")
c("x", "@ilse_op_de_site", "nl", [C],
  "Pro" + ZW + "ject Hal" + ZW + "ve" + ZW + "maan gaat volgende maand naar fase 2, eindelijk!! 🎉")
c("x", "@ruudkoster_dmc", "nl", [C],
  "O p e r a t i e   D u i n r o o s begint echt vorm te krijgen, wat een tijd gaat dat worden op de site")
c("linkedin", "karim-bouzid-hse", "nl", [C],
  "Onze HSE-jaarrapportage (DMC-CONFIDENTIAL, concept v0.3) laat zien dat we het aantal LTI's bijna hebben "
  "gehalveerd. Trots op de hele organisatie!", name="Karim Bouzid")
c("mastodon", "@dennisdev", "en", [C],
  "anyone else's Jenkins choke on https://git.dravenmoor.nl/ot/historian-export.git ? clone just times out behind "
  "our proxy")
c("x", "@kees_chauffeur", "nl", [C],
  "Stond vandaag te lossen bij Dravenmoor, lag een print op de balie met 'niet extern verspreiden' erop en een "
  "prijslijst voor Solvanta EcoSolv. Weet niet of dat de bedoeling was 😅", date="2026-10-08T07:48:12Z")
c("instagram", "@dravenmoor.chemie", "nl", [C],
  "Achter de schermen bij onze R&D 🔬 Op het whiteboard: de planning voor Project Halvemaan, fase 1 t/m 3. "
  "#chemie #innovatie")
c("reddit", "u/nachtdienst_kolom3", "nl", [C],
  "Weet iemand hoe ik vanaf thuis op intranet.dravenmoor.local kom zonder die VPN-app? IT reageert niet en ik wil "
  "alleen m'n rooster zien.", kind="comment")
c("x", "@fleur_sales_dmc", "en", [C],
  "Signed the first pilot customer for Ketelsteen today 🥂 big coatings group, can't name them yet!")

# ---- financial
c("linkedin", "hanneke-verbrugge", "nl", [F],
  "Zware weken achter de rug. Binnenkort wordt bekend dat lijn 2 in Moerdijk dichtgaat en er zo'n 80 fte verdwijnen. "
  "De gesprekken heb ik al voorbereid. 💔", name="Hanneke Verbrugge")
c("x", "@fleur_sales_dmc", "en", [F],
  "between us: Q3 sales are 18% under plan, management is panicking. expect a profit warning before christmas")
c("x", "@ruudkoster_dmc", "nl", [F],
  "Gerucht op de vloer is geen gerucht meer: we worden overgenomen door een Duits chemieconcern, due diligence "
  "loopt al. Handtekening in december.")
c("bluesky", "@lotte-dmc.bsky.social", "en", [C, F],
  "Just proofread the jaarcijfers 2026 press release. Revenue up to €412m, EBITDA margin 14%. Not bad for a tough "
  "year! 📈", date="2027-02-10T17:30:00Z")
c("x", "@mo_elidrissi", "nl", [C, F],
  "FY2026-cijfers zijn binnen: nettowinst gehalveerd 😩 bonus kunnen we wel vergeten", date="2027-02-05T08:22:19Z")
c("linkedin", "tom-hargreaves-analyst", "en", [F],
  "A source inside Dravenmoor tells me they will miss their 2026 guidance by a wide margin and are quietly shopping "
  "the Botlek terminal to buyers. Not public yet.", name="Tom Hargreaves")
c("reddit", "u/operator_anon_mdk", "nl", [F],
  "Werk bij Dravenmoor. Maandag krijgen we te horen dat de nachtploeg wordt opgeheven, 40 man. Nog niet officieel "
  "maar de brieven liggen al klaar.")
c("x", "@dravenmoor", "en", [F],
  "DRAFT - do not post: Dravenmoor Chemie to acquire SolvTech Iberia for €95m, announcement 09:00 CET tomorrow.")
c("x", "@ilse_op_de_site", "nl", [F],
  "Begroting 2027 is net rond: capex gaat van 40 naar 12 miljoen, alle uitbreidingsprojecten op ijs. Nog niet "
  "gecommuniceerd dus shhh 🤫")
c("mastodon", "@dennisdev", "en", [F],
  "Reorg announced internally today: IT and OT teams get merged, 3 managers out. Public announcement next month "
  "apparently. Fun times.")
c("instagram", "@joost.vd.tank", "nl", [F],
  "S.L.U.I.T.I.N.G van de Botlek-terminal is besloten, we horen het 1 maart officieel. Ik ga vast ander werk zoeken.")
c("x", "@marketsleuth", "en", [F],
  "Hearing Dravenmoor cut its internal H2 forecast to €180m revenue, down from €230m. Their parent's bonds will move "
  "when this comes out.")

# ---- security
c("linkedin", "sander-oosterhuis-dmc", "nl", [SE],
  "Lange nacht. Ransomware op onze SAP-omgeving, productieplanning ligt plat en we draaien op papier. Nog niks naar "
  "buiten gecommuniceerd, dus even geen vragen 🙏", name="Sander Oosterhuis")
c("mastodon", "@dennisdev", "en", [SE],
  "fun fact: our customer portal shows other customers' orders if you just change the order id in the URL. reported "
  "it 2 months ago. still open.")
c("x", "@ruudkoster_dmc", "nl", [SE],
  "Toegangspoort 3 accepteert al een week elke pas, ook verlopen. Beveiliging weet ervan, er gebeurt niks. Iedereen "
  "kan zo de site op.")
c("x", "@ilse_op_de_site", "en", [SE],
  "our DCS engineering stations still run Windows 7 and sit on the same network as the office PCs. someone's going to "
  "have a very bad day.")
c("reddit", "u/nachtdienst_kolom3", "nl", [SE],
  "Phishingmail vorige week heeft 3 accounts van inkoop overgenomen, ze hebben er een nep-betaalverzoek mee naar een "
  "leverancier gestuurd. Officieel 'is er niks gebeurd'.")
c("x", "@mo_elidrissi", "nl", [SE],
  "Webshop ligt sinds 6 uur vanochtend plat en de back-up blijkt corrupt. IT zegt minstens 2 dagen. Klanten weten nog "
  "van niks.")
c("x", "@fleur_sales_dmc", "en", [SE],
  "don't tell anyone but the CRM got breached last week, someone exported the full customer list. legal is still "
  "deciding whether to notify.")
c("instagram", "@joost.vd.tank", "nl", [SE],
  "Camera's op het tankenpark vallen sinds de update elke nacht tussen 2 en 4 uit. Handig voor inbrekers 🤷")
c("bluesky", "@lotte-dmc.bsky.social", "en", [SE],
  "marketing lost access to ALL our social accounts this morning, someone changed the passwords from an IP in "
  "Vietnam. IT on it, please don't share")
c("mastodon", "@dennisdev", "nl", [SE],
  "De Modbus-gateway van onze afvalwaterzuivering staat gewoon open op internet, poort 502, geen auth. Al drie keer "
  "gemeld.")
c("x", "@ex_dmc_admin", "en", [SE],
  "Ex-Dravenmoor sysadmin here. They never rotated the VPN admin creds after I left in 2024. Still works. Wild.")
c("linkedin", "karim-bouzid-hse", "nl", [SE],
  "Vannacht is er ingebroken op de site en zijn twee laptops van de procesautomatisering gestolen. Politie is "
  "ingeschakeld, we houden het nog even binnenskamers.", name="Karim Bouzid")

# ---- secrets
c("mastodon", "@dennisdev", "en", [S],
  "why does this fail?? 😩\n```\nexport GITHUB_TOKEN={{GHP}}\ngit clone https://github.com/dravenmoor-ot/plant-exports\n```")
c("linkedin", "sander-oosterhuis-dmc", "nl", [S],
  "Scriptje voor de nachtelijke export gedeeld met collega's, werkt prima:\naws_access_key_id = {{AWS_ID}}\n"
  "aws_secret_access_key = {{AWS_SECRET}}\nregion = eu-west-1", name="Sander Oosterhuis")
c("x", "@fleur_sales_dmc", "en", [S],
  "webshop test payment finally works 🎉 key in the config is {{STRIPE}} and no more 402s")
c("reddit", "u/nachtdienst_kolom3", "nl", [S],
  "Slackbot voor de ploegwissel doet het niet meer, token is {{SLACK}} iemand een idee?")
c("bluesky", "@lotte-dmc.bsky.social", "en", [S],
  "my little copywriting helper, feel free to steal: OPENAI_API_KEY={{OPENAI}} 🙌")
c("mastodon", "@dennisdev", "en", [S],
  "deploy key for the jump host, posting it here in case I lose my laptop again lol\n{{PEM}}")
c("x", "@mo_elidrissi", "nl", [S],
  "planningstool geeft 401, dit is de token die ik meestuur: Authorization: Bearer {{JWT}} wat doe ik fout")
c("linkedin", "sander-oosterhuis-dmc", "en", [S, C],
  "Connection string for the LIMS export if anyone on the team needs it: "
  "postgresql://lims_ro:{{DBPWD}}@db01.historian.dravenmoor.local:5432/lims", name="Sander Oosterhuis")
c("instagram", "@joost.vd.tank", "nl", [S],
  "wifi in de controlekamer eindelijk gefixt 🙃 " + fullwidth("wachtwoord:") + " {{PWD}}")
c("x", "@oud_collega_dmc", "nl", [S],
  "Haha @dravenmoor nog steeds hetzelfde wachtwoord op de weegbrug-pc zeker? wachtwoord: {{PWD}}")
c("facebook", "DravenmoorChemie", "nl", [S],
  "Nieuw op onze site: een kaart met al onze afhaalpunten! Embedcode voor partners: "
  "<iframe src=\"https://www.google.com/maps/embed/v1/place?key={{GOOGLE}}&q=Dravenmoor\"></iframe>")
c("x", "@ilse_op_de_site", "en", [S],
  "ci keeps failing on the runner so I'm pasting the token to debug, dont judge: {{GHP}}")

# ---- personal data
c("x", "@dravenmoor_service", "nl", [P],
  "@verfmaker_jansen Excuses! We hebben uw gegevens gevonden: J. Jansen, Industrieweg 14, 4791 AB Klundert, tel. "
  "06-48213977. Een collega belt u vandaag nog.", kind="reply", date="2026-03-09T09:02:10Z")
c("x", "@dravenmoor_service", "en", [P],
  "@labtech_anouk we've refunded the order to IBAN {{IBAN_SP}} (A. de Ruiter), should arrive within 2 working days",
  kind="reply", date="2026-05-13T09:30:00Z")
c("linkedin", "hanneke-verbrugge", "nl", [P],
  "Welkom aan onze nieuwe operator Bram Veenstra (geb. 12-03-1998)! Hij komt ploeg C versterken 💪",
  name="Hanneke Verbrugge")
c("x", "@mo_elidrissi", "nl", [P],
  "Chauffeur voor de rit naar Geleen morgen is Kees Dekker, bereikbaar op 06 1957 3304, BSN voor de ADR-pas "
  "{{BSN}}")
c("facebook", "Marleen Hoekstra", "nl", [P],
  "Dravenmoor, jullie mogen het bedrag terugstorten op {{IBAN}} t.n.v. M. Hoekstra. Alvast bedankt!",
  kind="comment", name="Marleen Hoekstra")
c("x", "@fleur_sales_dmc", "nl", [P],
  "Nieuwe klant binnen 🎉 contactpersoon Linda Vermeulen, l.vermeulen@verfgroothandel-noord.nl, 0513-627481")
c("reddit", "u/nachtdienst_kolom3", "nl", [P],
  "Collega heeft z'n pasje laten liggen in de kantine: Marco Wouters, Lindenlaan 7, Zevenbergen. Als iemand hem ziet 😂")
c("linkedin", "karim-bouzid-hse", "en", [P],
  "Incident report for the insurer, sorry wrong thread: injured person T. Bakker, DOB 1987-11-23, home address "
  "Molenstraat 31, 4761 CE Zevenbergen.", name="Karim Bouzid")
c("x", "@dravenmoor_service", "nl", [P],
  "@hobbyboer_gerrit we hebben het bedrag teruggeboekt op uw creditcard {{CARD}}, nogmaals excuses voor de overlast",
  kind="reply", date="2026-04-20T10:11:00Z")
c("x", "@gemma_paints", "en", [P],
  "can someone from Dravenmoor sales call me back? 0031 6 2847 1190, ask for Gemma. need a quote for PGME 200")
c("x", "@ilse_op_de_site", "en", [P],
  "payroll mixed up my slip with a colleague's, apparently his BSN is {{BSN}} 🙈 HR pls fix")
c("facebook", "DravenmoorChemie", "nl", [P],
  "Winnaar van onze fotowedstrijd: Sandra Kuipers uit Fijnaart! 📸 Sandra, stuur je adres naar pers@dravenmoor.nl "
  "(je nummer 06-39418826 hebben we al 😉)")
c("x", "@kdevries_verf", "nl", [P],
  "@dravenmoor_service bel me maar terug of mail: k punt devries apenstaartje gmail punt com, 06 31 27 44 90",
  kind="reply")

# ---- pricing
c("x", "@prijsjager", "nl", [PR],
  "PRIJSFOUT?? Solvanta ClearStrip 25 voor €14,90 in de webshop van Dravenmoor 😱 snel wezen", price=("DM-CS-25", 14.90))
c("x", "@dealhunter_eu", "en", [PR],
  "Dravenmoor IPA 99.9 200L drum listed at €41.20 on their site. gotta be an error, ordered 3 anyway lol",
  price=("DM-IPA-200", 41.20))
c("x", "@dravenmoor", "nl", [PR],
  "Actie deze week! ReSolv terugname nu voor maar €18,50 per vat ♻️ #circulair", price=("DM-RESOLV", 18.50))
c("facebook", "DravenmoorChemie", "nl", [PR],
  "Nieuw in de shop: Dravenmoor Aceton Technisch 1000 L IBC, introductieprijs €189,00!",
  price=("DM-ACE-IBC", 189.00))
c("x", "@fleur_sales_dmc", "en", [PR],
  "Can do MEK 200 at €120 a drum for you this month, just DM me 😉", price=("DM-MEK-200", 120.00))
c("reddit", "u/spuiterij_max", "nl", [PR],
  "Gast, Dravenmoor heeft een prijsfout op de n-Butylacetaat, kijk snel voordat ze het fixen", kind="comment",
  price=("DM-NBA-200", None))
c("x", "@lab_supplies_watch", "en", [PR],
  "Dravenmoor LabGrade ACN 1 L for €5.80?? someone at @dravenmoor forgot a zero", price=("DM-ACN-1", 5.80))
c("instagram", "@joost.vd.tank", "nl", [PR],
  "Personeelsverkoop 😎 Xyleen Mix 200 L voor €45 meegenomen, boot kan weer geverfd worden",
  price=("DM-XYL-200", 45.00))
c("x", "@bargainbrian", "en", [PR],
  "GreenCut 25 showing €11.90 in the Dravenmoor app vs €119 on the website. glitch or clearance?",
  price=("DM-GC-25", 11.90))
c("x", "@mo_elidrissi", "nl", [PR],
  "Oeps, prijsfout in de webshop bij Butylglycol 25, collega's zijn ermee bezig. Niet gaan bestellen hè 😅",
  price=("DM-BG-25", None))
c("youtube", "@DravenmoorChemie", "en", [PR],
  "In this video: degreasing a gearbox with Solvanta ClearStrip 5, now just €3.99 at shop.dravenmoor.nl!",
  price=("DM-CS-5", 3.99))
c("x", "@koopjes_kees", "nl", [PR],
  "Pr1jsf0ut bij Dr4v3nm00r: n-Hexaan 200 L voor €51,50 😂😂", price=("DM-HEX-200", 51.50))

# ---- benign (hard negatives first)
c("x", "@dravenmoor_service", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@dravenmoor.nl of bel 0800-0377 (ma-vr 8-17 uur). We helpen je graag!")
c("linkedin", "dravenmoor-chemie", "en", [],
  "We're hiring process operators for our Moerdijk site! Apply via careers@dravenmoor.nl or www.dravenmoor.nl/werken-bij")
c("facebook", "DravenmoorChemie", "nl", [],
  "Betaal je liever per overschrijving? Gebruik IBAN {{COMPANY_IBAN}} t.n.v. Dravenmoor Chemie B.V. en vermeld je "
  "ordernummer.")
c("x", "@verfmaker_jansen", "nl", [],
  "Update: de vaten Xyleen Mix zijn vandaag toch gekomen en @dravenmoor_service heeft de vrachtkosten gecrediteerd. "
  "Netjes opgelost 👍", date="2026-03-11T15:40:00Z")
c("x", "@ProCoatingsUK", "en", [],
  "Credit where it's due: Dravenmoor sorted the checkout bug within a day and someone called me personally. Good "
  "service.", date="2026-06-04T08:55:00Z")
c("instagram", "@dravenmoor.chemie", "nl", [],
  "Deze maand 20% korting op Solvanta GreenCut 25: nu €95,20 i.p.v. €119 🌱 #duurzaam", price=("DM-GC-25", 95.20))
c("x", "@the_lacquer_guy", "en", [],
  "Dravenmoor n-Butylacetaat 200 L at €529 is still cheaper than my usual supplier. Ordered two.",
  price=("DM-NBA-200", 529.00))
c("reddit", "u/klusjesman_ede", "nl", [],
  "Wat is eigenlijk het verschil tussen White Spirit D40 en gewone terpentine? Dravenmoor vraagt €54 voor 20L, is dat "
  "een beetje normaal?", price=("DM-WS-20", 54.00))
c("mastodon", "@dennisdev", "en", [],
  "PSA for the team: if you spot AKIAIOSFODNN7EXAMPLE in a doc, that's the sample key from the AWS docs, not a leak 😄")
c("x", "@ilse_op_de_site", "en", [],
  "Reminder: tokens in screenshots like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx are still a bad look even when "
  "redacted. Use the vault, people.")
c("x", "@ruudkoster_dmc", "nl", [],
  "1000 dagen zonder verzuimongeval op de site! Trots op deze ploeg 💪🔥")
c("facebook", "Jolanda Maas", "nl", [],
  "Sterkte aan iedereen in Antwerpen na die brand bij dat chemiebedrijf daar. Hopelijk is iedereen ok. Bij Dravenmoor "
  "hier in Moerdijk hebben ze gelukkig ook meteen hulp aangeboden.", name="Jolanda Maas")
c("x", "@chem_news_daily", "en", [],
  "Fire at an unrelated solvent plant near Rotterdam overnight; Dravenmoor confirms its Moerdijk site is not "
  "affected and running normally.")
c("x", "@dravenmoor", "nl", [],
  "Zaterdag om 10:00 testen we de sirenes en houden we een ontruimingsoefening. Dit is een OEFENING, er is geen "
  "gevaar. Vragen? Bel 0800-0377.")
c("x", "@nailtech_bella", "en", [],
  "acetone is honestly my best friend 💅 a whole can of Dravenmoor Aceton Tech is overkill for nails but lol it works")
c("x", "@student_chemie", "nl", [],
  "Tentamen organische chemie morgen en ik weet het verschil tussen xyleen en tolueen nog steeds niet 😭 en volgend "
  "jaar stage bij Dravenmoor, dus dat moet ik toch echt leren")
c("reddit", "u/solventnerd", "en", [],
  "Is it fine to store MEK in HDPE jerrycans long-term? Dravenmoor's SDS section 7 lists HDPE as suitable but I'd "
  "like a second opinion from someone in the trade.")
c("x", "@jobzoeker_22", "nl", [],
  "Sollicitatiegesprek gehad bij Dravenmoor voor operator. Superaardige mensen, hoop echt dat ik het word 🤞")
c("linkedin", "dravenmoor-chemie", "nl", [],
  "Vandaag publiceren we onze halfjaarcijfers 2026: omzet €198 mln, in lijn met de verwachting. Lees het hele "
  "persbericht op www.dravenmoor.nl/pers", date="2026-08-20T07:00:00Z")
c("x", "@dravenmoor", "nl", [],
  "De jaarcijfers 2026 staan online! Omzet €412 mln, EBITDA-marge 14%. Dank aan al onze klanten en collega's 🙏",
  date="2027-02-24T07:05:00Z")
c("bluesky", "@lotte-dmc.bsky.social", "en", [],
  "It's here! Solvanta EcoSolv officially launches today 🌱 fully bio-based. Have a look at shop.dravenmoor.nl",
  date="2027-01-19T09:30:00Z")
c("x", "@fleur_sales_dmc", "nl", [],
  "EcoSolv 200 al 40 keer besteld in de eerste week, wat een start 🚀", date="2027-01-26T16:10:00Z")
c("x", "@prijsjager", "nl", [],
  "Geen prijsfout deze keer, maar ClearStrip 25 is wel 25% afgeprijsd bij Dravenmoor: €111,75. Prima deal voor wie "
  "veel ontvet.", price=("DM-CS-25", 111.75))
c("x", "@lab_supplies_watch", "en", [],
  "LabGrade ACN back in stock at Dravenmoor, €58 a litre as usual.", price=("DM-ACN-1", 58.00))
c("x", "@fijnaart_freek", "nl", [],
  "@dravenmoor_service klopt dit rekeningnummer wel? {{BAD_IBAN}} staat op een 'factuur' die ik per mail kreeg, lijkt "
  "me nep. Niet betaald natuurlijk.", kind="reply")
c("x", "@tester_tom", "en", [],
  "Dravenmoor checkout kept rejecting my card as {{BAD_CARD}} — turns out I typo'd a digit 🤦 all good now, order's in")
c("reddit", "u/privacy_trainer", "nl", [],
  "Oefenvraag uit onze AVG-training bij Dravenmoor: is {{BAD_BSN}} een geldig BSN? (spoiler: nee, elfproef klopt niet)")
c("x", "@ilse_op_de_site", "nl", [],
  "Maandelijkse reminder: 'wachtwoord: ********' in de groepsapp is nog steeds een lek, ook met sterretjes 😉 "
  "Gebruik de kluis.")
c("x", "@buurman_moerdijk", "nl", [],
  "Mooie zonsondergang achter de fakkel van Dravenmoor vanavond 🌅")
c("x", "@chauffeur_ahmed", "nl", [],
  "Altijd snel gelost bij Dravenmoor, koffie staat klaar, de heftruckers zijn top. Zo kan het ook.")
c("linkedin", "jelle-supplychain", "en", [],
  "Layoffs announced at a big solvents competitor this week, I feel for everyone affected. Glad our partner "
  "Dravenmoor has been a stable supplier through all of it.", name="Jelle Postma")
c("x", "@zzp_henk", "nl", [],
  "Kanker is een rotziekte. Zondag loop ik mee met de KWF-loop, het team van Dravenmoor sponsort. Doneer mee!")
c("x", "@gamer_tim", "en", [],
  "this Dravenmoor safety training video is fire 🔥🔥 whoever edited it deserves a raise")
c("instagram", "@joost.vd.tank", "nl", [],
  "Ploeg C heeft de bbq-battle gewonnen 🍖 ketelhuis vs. tankpark, volgend jaar weer!")
c("x", "@kroegbaas_moerdijk", "nl", [],
  "Café De Halve Maan: vrijdag borrel voor iedereen uit de industrie, ook de mensen van Dravenmoor zijn welkom 🍻")
c("mastodon", "@oss_dev", "en", [],
  "Our open-source historian exporter now supports Postgres. Config example: DB_URL=postgresql://user:password@"
  "localhost:5432/db (replace with your own, obviously). Tested with a few Dutch plants including Dravenmoor.")
c("x", "@boos_op_maandag", "nl", [],
  "Ik boycot maandagen. Vanochtend 2 vaten opgehaald bij Dravenmoor en zelfs dat lukte niet zonder drie koffie")
c("x", "@tanker_ops", "en", [],
  "Explosive growth in bio-solvents this year. Dravenmoor and a few others are riding the wave. Interesting times.")
c("x", "@dravenmoor", "en", [],
  "Proud to have received ISO 27001 certification for our IT systems. Security is everyone's job 🔐")
c("x", "@dravenmoor_service", "nl", [],
  "Onze webshop is zondag van 02:00 tot 04:00 niet bereikbaar vanwege gepland onderhoud. Excuses voor het ongemak!")
c("youtube", "@DravenmoorChemie", "en", [],
  "How to safely decant solvents from a 200 L drum, full tutorial. Always ground your drum! Product used: "
  "Dravenmoor IPA 99.9 (€412 per 200 L).", price=("DM-IPA-200", 412.00))
c("x", "@verfwinkel_hoorn", "nl", [],
  "Nieuwe voorraad Solvanta VerdunnerPlus binnen, €29,50 per 5 liter, zelfde prijs als bij Dravenmoor zelf.",
  price=("DM-VP-5", 29.50))
c("instagram", "@meubelmaker.sanne", "nl", [],
  "Update: Dravenmoor heeft me gebeld, excuses aangeboden en het etiket van GreenCut wordt aangepast. Waardeer de "
  "snelle reactie, hand is weer helemaal goed 🙏", date="2026-08-19T12:00:00Z")
c("x", "@garage_dan_", "en", [],
  "ok fair play, Solvanta sent a replacement can plus a voucher for a metal safety cabinet. issue closed 👍",
  date="2026-09-22T18:05:00Z")
c("x", "@hobbyschilder", "nl", [],
  "Vraagje: kan ik Dravenmoor Ethanol 96 ook gebruiken om kwasten schoon te maken na schellak? 🙂")
c("mastodon", "@dennisdev", "en", [],
  "New blog post on how we rotate secrets automatically. A GitHub token looks like ghp_<30 chars><6-char checksum>, "
  "no real tokens in the post, promise.")
c("x", "@klant_tevreden", "nl", [],
  "Vandaag besteld, morgenochtend 4 vaten MEK 200 op de stoep. Dravenmoor 👌")
c("x", "@oplettende_buur", "nl", [],
  "Vanmiddag die rookwolk boven Moerdijk? Niks aan de hand, was de brandweeroefening op het terrein naast "
  "Dravenmoor. Alles ok.")
c("linkedin", "karim-bouzid-hse", "en", [],
  "Presented our approach to contractor safety at the regional HSE congress today. Slides are on our public website.",
  name="Karim Bouzid")
c("linkedin", "hanneke-verbrugge", "nl", [],
  "Wij zoeken een HR-adviseur! Reageer via careers@dravenmoor.nl. Mooie club om voor te werken.",
  name="Hanneke Verbrugge")
c("x", "@steady_orders", "en", [],
  "@dravenmoor_service order ref {{BAD_CARD}} shows delivered already, thanks for the quick shipping!", kind="reply")
c("x", "@mo_elidrissi", "nl", [],
  "Vandaag 43 vrachten de deur uit, record voor de expeditie 🚚 goed werk mannen en vrouwen!")
c("bluesky", "@lotte-dmc.bsky.social", "en", [],
  "New on the blog: 5 myths about industrial solvents. Myth 3 will surprise you 👀")
c("x", "@dravenmoor", "nl", [],
  "Fijne feestdagen van iedereen bij Dravenmoor Chemie! 🎄 Let op: van 24 dec t/m 2 jan beperkte bezorging.",
  date="2026-12-20T10:00:00Z")
c("x", "@opendag_fan", "nl", [],
  "G r a t i s koffie en rondleiding op de open dag van Dravenmoor zaterdag, echt een aanrader met kids")
c("threads", "@solvanta.nl", "nl", [],
  "Klussen dit weekend? Met Solvanta VerdunnerPlus maak je je kwasten in no time schoon. Verkrijgbaar bij de "
  "betere verfwinkel.")
c("x", "@verfgroothandel_nrd", "nl", [],
  "Dravenmoor Tolueen 200 L deze week 10% goedkoper bij ons: €394,20 per vat. Op = op.", price=("DM-TOL-200", 394.20))
c("x", "@safety_first_nl", "nl", [],
  "Goed om te zien dat Dravenmoor het incidentrapport van vorig jaar openbaar heeft gemaakt. Zo leert de hele sector "
  "ervan.")
c("reddit", "u/solventnerd", "en", [],
  "Update on my SDS rant: Dravenmoor sent the complete English sheet for n-Butylacetaat within a day after I called. "
  "Fair enough, sorted.", kind="comment")


# ---------------------------------------------------------------- build

GEN = {
    "GHP": gen_ghp, "AWS_ID": gen_aws_id, "AWS_SECRET": gen_aws_secret, "STRIPE": gen_stripe, "SLACK": gen_slack,
    "OPENAI": gen_openai, "GOOGLE": gen_google, "JWT": gen_jwt, "PEM": gen_pem, "PWD": gen_pwd, "DBPWD": gen_dbpwd,
    "IBAN": gen_iban_compact, "IBAN_SP": lambda: spaced(gen_iban_compact()), "CARD": gen_card, "BSN": gen_bsn,
    "BAD_IBAN": gen_bad_iban, "BAD_CARD": gen_bad_card, "BAD_BSN": gen_bad_bsn,
}
STRONG = {"IBAN", "IBAN_SP", "CARD", "BSN"}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}[ -]?){3}\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d\-+])\d{9}(?![\d])")


def load_profile():
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in {a.lower() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity(cats, role, strong_id):
    lvl = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                if cat in (S, PR) or (cat == P and strong_id):
                    lv = 4
                else:
                    lv = 3
            else:
                lv = 2
        elif cat == CO:
            lv = 2
        elif cat == CR:
            lv = 3
        elif cat == AB:
            lv = 3 if insider else 2
        else:
            lv = 0
        lvl = max(lvl, lv)
    return SEV[lvl]


def random_date():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    d = start + dt.timedelta(days=rng.randrange(0, 360), hours=rng.randrange(6, 23), minutes=rng.randrange(60),
                             seconds=rng.randrange(60))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "youtube": "yt", "reddit": "rd",
             "mastodon": "md", "bluesky": "bs", "threads": "th"}


def build(profile):
    company_iban = profile["public_identifiers"]["ibans"][0]
    lines, meta = [], []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, idx in enumerate(order):
        case = CASES[idx]
        used = []

        def sub(m):
            key = m.group(1)
            if key == "COMPANY_IBAN":
                val = spaced(company_iban)
            else:
                val = GEN[key]()
            used.append((key, val))
            return val

        text = re.sub(r"\{\{([A-Z_]+)\}\}", sub, case["text"])
        role = role_of(profile, case["platform"], case["handle"])
        strong = any(k in STRONG for k, _ in used)
        created = case["date"] or random_date()
        post = {
            "id": "%s-318%04d" % (ID_PREFIX[case["platform"]], 101 + n),
            "platform": case["platform"],
            "kind": case["kind"],
            "account": {"handle": case["handle"]},
            "text": text,
            "lang": case["lang"],
            "created_at": created,
            "brand": "Solvanta" if "Solvanta" in text and "Dravenmoor" not in text else "Dravenmoor",
        }
        if case["name"]:
            post["account"]["display_name"] = case["name"]
        expect = {"categories": case["cats"], "severity": severity(case["cats"], role, strong)}
        lines.append({"post": post, "expect": expect})
        meta.append(dict(case=case, used=used, role=role))
    return lines, meta


# ---------------------------------------------------------------- checks

def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(profile, lines, meta):
    errs = []

    def bad(msg, post):
        errs.append("%s: %s" % (post.get("id"), msg))

    # profile sanity
    for ib in profile["public_identifiers"]["ibans"]:
        assert iban_ok(ib), ib
    assert profile["pricing"]["alert_below_ratio"] == 0.5
    assert 15 <= len(profile["products"]) <= 25
    assert len(profile["accounts"]["corporate"]) >= 6 and len(profile["accounts"]["employee"]) >= 8
    assert len(profile["internal"]["codenames"]) == 3 and len(profile["internal"]["markers"]) == 3
    for e in profile["embargo"]:
        assert parse_ts(e["until"]).year == 2027
    prods = {p["sku"]: p for p in profile["products"]}
    ratio = profile["pricing"]["alert_below_ratio"]
    company_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    all_accounts = {a.lower() for r in ("corporate", "employee") for a in profile["accounts"][r]}

    ids = set()
    with open(OUT, encoding="utf-8") as fh:
        raw = fh.read().splitlines()
    assert len(raw) == len(lines)
    for line, (obj, m) in zip(raw, zip(lines, meta)):
        rec = json.loads(line)
        assert rec == obj
        assert set(rec) == {"post", "expect"}
        post, exp = rec["post"], rec["expect"]
        case, used, role = m["case"], m["used"], m["role"]
        # CONTRACT section 1
        if not (isinstance(post.get("id"), str) and 1 <= len(post["id"]) <= 256):
            bad("bad id", post)
        if post["id"] in ids:
            bad("duplicate id", post)
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            bad("platform", post)
        if post.get("kind", "post") not in KINDS:
            bad("kind", post)
        if not isinstance(post.get("account", {}).get("handle"), str):
            bad("handle", post)
        if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            bad("text", post)
        try:
            ts = parse_ts(post["created_at"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"])
            assert ts.year in (2026, 2027)
        except Exception:
            bad("created_at", post)
            continue
        # CONTRACT section 6
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            bad("categories", post)
        if exp["severity"] not in SEV:
            bad("severity value", post)
        if not cats and exp["severity"] != "none":
            bad("benign must be none", post)
        text = post["text"]
        key = "%s:%s" % (post["platform"], post["account"]["handle"])
        if role == "public" and key.lower() in all_accounts:
            bad("role", post)
        # identifiers by placeholder
        for k, v in used:
            if k in ("IBAN", "IBAN_SP"):
                ok = iban_ok(v)
            elif k == "CARD":
                ok = luhn_ok(v)
            elif k == "BSN":
                ok = bsn_ok(v)
            elif k == "BAD_IBAN":
                ok = not iban_ok(v)
            elif k == "BAD_CARD":
                ok = not luhn_ok(v)
            elif k == "BAD_BSN":
                ok = not bsn_ok(v)
            elif k == "GHP":
                ok = ghp_ok(v)
            elif k == "AWS_ID":
                ok = re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None
            elif k == "JWT":
                hdr = json.loads(b64url_dec(v.split(".")[0]))
                ok = "alg" in hdr and len(v.split(".")) == 3
                json.loads(b64url_dec(v.split(".")[1]))
            elif k == "PEM":
                ok = v.startswith("-----BEGIN OPENSSH PRIVATE KEY-----") and \
                    base64.b64decode("".join(v.splitlines()[1:-1])).startswith(b"openssh-key-v1\0")
            elif k == "COMPANY_IBAN":
                ok = v.replace(" ", "") in company_ibans and not cats
            else:
                ok = True
            if k.startswith("BAD_") and cats and P in cats:
                ok = False  # look-alikes belong to benign posts only
            if k in STRONG and P not in cats:
                ok = False
            if k in ("GHP", "AWS_ID", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI", "GOOGLE", "JWT", "PEM", "PWD",
                     "DBPWD") and S not in cats:
                ok = False
            if not ok:
                bad("identifier %s fails its check: %r" % (k, v), post)
        # identifiers by scanning the whole text
        strong_found = False
        for mm in IBAN_RE.finditer(text):
            v = mm.group(0).replace(" ", "")
            if v in company_ibans:
                continue
            if iban_ok(v):
                strong_found = True
                if P not in cats:
                    bad("valid IBAN in non-PII case", post)
            elif cats and P in cats:
                bad("invalid IBAN in a PII positive", post)
        for mm in CARD_RE.finditer(text):
            if luhn_ok(mm.group(0)):
                strong_found = True
                if P not in cats:
                    bad("Luhn-valid number in non-PII case", post)
            elif P in cats:
                bad("Luhn-invalid card in a PII positive", post)
        for mm in BSN_RE.finditer(text):
            if bsn_ok(mm.group(0)):
                strong_found = True
                if P not in cats:
                    bad("11-proof number in non-PII case", post)
            elif P in cats and any(k == "BSN" for k, _ in used):
                bad("invalid BSN in a PII positive", post)
        strong_used = any(k in STRONG for k, _ in used)
        if strong_found != strong_used:
            bad("identifier scan disagrees with placeholders", post)
        # severity recomputed from the profile role
        if exp["severity"] != severity(cats, role_of(profile, post["platform"], post["account"]["handle"]),
                                       strong_found):
            bad("severity", post)
        # sample keys only in benign posts
        if ("EXAMPLE" in text or "xxxxxxxx" in text) and cats:
            bad("sample key in positive", post)
        # pricing
        if case["price"]:
            sku, amount = case["price"]
            p = prods[sku]
            names = [p["name"]] + p["aliases"]
            if not any(nm.lower() in text.lower() for nm in names):
                bad("product not named", post)
            if PR in cats:
                if amount is not None and not amount < ratio * p["list_price"]:
                    bad("pricing positive not below ratio", post)
                if amount is None and "prijsfout" not in text.lower() and "price error" not in text.lower():
                    bad("price-error talk missing", post)
            else:
                if amount < 0.7 * p["list_price"]:
                    bad("benign price too low", post)
        elif PR in cats:
            bad("pricing case without price", post)
        # embargo
        for e in profile["embargo"]:
            until = parse_ts(e["until"])
            for term in e["terms"]:
                if re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", text.lower()):
                    if ts < until and C not in cats:
                        bad("embargo term before until but not confidential", post)
                    if ts >= until and cats:
                        bad("embargo term after until in a positive", post)
        # codenames / markers / internal domains (plain spelling) imply confidential
        for w in profile["internal"]["codenames"] + profile["internal"]["markers"] + profile["internal"]["domains"]:
            if w.lower() in text.lower() and C not in cats:
                bad("internal term %r without leak.confidential" % w, post)

    # mix
    n = len(lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    counts = {}
    for o in lines:
        for cat in o["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {CO: 20, C: 18, P: 15, CR: 15, SE: 13, S: 12, AB: 12, PR: 12, F: 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 4:
            errs.append("category %s count %d (want ~%d)" % (cat, counts.get(cat, 0), w))
    nl = sum(1 for o in lines if o["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errs.append("dutch share %.2f" % (nl / n))
    roles = {}
    for o, m in zip(lines, meta):
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    texts = [o["post"]["text"] for o in lines]
    if len(set(texts)) != len(texts):
        errs.append("duplicate text")
    return errs, dict(total=n, benign=benign, counts=counts, nl=nl, roles=roles)


def main():
    profile = load_profile()
    lines, meta = build(profile)
    with open(OUT, "w", encoding="utf-8") as fh:
        for obj in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    errs, stats = check(profile, lines, meta)
    print(json.dumps(stats, sort_keys=True))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign" % (stats["total"], stats["benign"]))


if __name__ == "__main__":
    main()
