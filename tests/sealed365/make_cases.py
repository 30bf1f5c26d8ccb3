#!/usr/bin/env python3
"""Build the sealed evaluation set 365 for postwatch (greenhouse tomato grower).

Deterministic: fixed seed, hand-written texts; generated identifiers and credentials
are built the way real ones are (with their checksums). Writes cases.jsonl beside this
file and then checks it. Severities are computed from CONTRACT section 4 and the account
role in profile.yaml, never typed by hand.
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
rng = random.Random(365_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def be_iban():
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        chk = int(acct) % 97 or 97
        bban = f"{acct}{chk:02d}"
        return make_iban("BE", bban)


def de_iban():
    return make_iban("DE", "".join(rng.choice(string.digits) for _ in range(18)))


def bad_iban(good):
    # same shape, wrong check digits
    cc, ck, rest = good[:2], int(good[2:4]), good[4:]
    cand = f"{cc}{(ck + 37) % 97 + 2:02d}{rest}"
    assert not iban_check_ok(cand)
    return cand


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
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    cand = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(cand)
    return cand


def fmt_card(c):
    return spaced(c) if len(c) == 16 else f"{c[:4]} {c[4:10]} {c[10:]}"


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and int("".join(map(str, d))) != 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last <= 9:
            s = "".join(map(str, d + [last]))
            assert bsn_ok(s)
            return s


def bad_bsn():
    while True:
        s = "".join(str(rng.randint(0, 9)) for _ in range(9))
        if s[0] != "0" and not bsn_ok(s):
            return s


# ---------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.getrandbits(8) for _ in range(230)))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"


def zw(s):
    return ZW.join(s)


CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "c": "\u0441", "p": "\u0440", "i": "\u0456", "K": "\u041a", "s": "\u0455"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


# ---------------------------------------------------------------- generated values
IBAN_REFUND = nl_iban("INGB")
IBAN_SELF = nl_iban("ABNA")
IBAN_SALARY = nl_iban("RABO")
IBAN_BE = be_iban()
IBAN_BAD_NL = bad_iban(nl_iban("TRIO"))
IBAN_BAD_DE = bad_iban(de_iban())
CARD_VISA = make_card("4", 16)
CARD_MC = make_card("54", 16)
CARD_BAD_GIFT = bad_card("4", 16)
CARD_BAD_LOYAL = bad_card("6037", 16)
BSN_GOOD = make_bsn()
BSN_BAD_ORDER = bad_bsn()
BSN_BAD_CUST = bad_bsn()

GHP = gh_token("ghp_")
GHO = gh_token("gho_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_51" + rand(ALNUM, 96)
SLACK = f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"
OPENAI = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
GOOGLE = "AIza" + rand(ALNUM + "-_", 35)
JWT = jwt({"sub": "svc-planning", "role": "admin", "iss": "kasbox-api", "iat": 1781049600, "exp": 1812585600})
SSH_KEY = openssh_key()
PG_PASS = rand(ALNUM, 14)
ZW_WORD = zw("Datalek")

GH_PLACEHOLDER = "ghp_" + "x" * 36
AWS_DOC = "AKIAIOSFODNN7EXAMPLE"

# ---------------------------------------------------------------- cases
CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", at=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=list(cats), kind=kind, at=at))


# ======================= reputation.complaint (only) =======================
C("x", "@moestuin_marloes", "nl",
  "3e keer deze maand dat de Rubijntjes beschimmeld binnenkomen 🤢 @korvelaar_help wat is er aan de hand met jullie kwaliteitscontrole??",
  ["complaint"])
C("x", "@dangreenfield", "en",
  "Ordered the Kasbox subscription, box showed up 4 days late and half the tomatoes were squashed flat. Not impressed @korvelaar_nl",
  ["complaint"])
C("facebook", "Gerda.Vermeulen.52", "nl",
  "Al 2 weken geen reactie op mijn mail naar jullie klantenservice. Super klantvriendelijk hoor Korvelaar 🙄",
  ["complaint"], kind="comment")
C("reddit", "u/saladbowl_tim", "en",
  "Is it just me or did Korvelaar's Reuzenroos go downhill? Used to be the best beefsteak tomato in the shop, last three packs tasted like watery cardboard.",
  ["complaint"])
C("instagram", "@janneke.bakt", "nl",
  "kweekset gekocht in april, niet één zaadje is opgekomen. zelfde potgrond als altijd dus ligt echt niet aan mij. geld terug graag @korvelaar.tomaten",
  ["complaint"], kind="comment")
C("x", "@rob_in_rijswijk", "en",
  "Your delivery guy just lobbed the box over my fence. Tomatoes all over the patio. Cheers Korvelaar 👏",
  ["complaint"])
C("x", "@fleurtje_v", "nl",
  "@korvelaar_help de mail om mijn wachtwoord te resetten komt gewoon nooit aan. al 3 dagen niet in mijn Kasbox account kunnen komen, wie helpt me",
  ["complaint"], kind="reply")
C("x", "@mkellerman", "en",
  "Charged twice for one Tomatenfeest kerstpakket and 10 days later still no refund. Emailed, called, nothing. Get it together Korvelaar.",
  ["complaint"])
C("facebook", "Ans.de.Ruiter", "en",
  "Zonnekas passata has tasted like the tin it came in for months now. Shame, it was my go-to brand for years.",
  ["complaint"], kind="comment")
C("tiktok", "@sem_en_lot", "nl",
  "kasrondleiding geboekt voor zaterdag 10u, staan we met 2 kids voor een dichte deur bij Korvelaar. niemand neemt op. lekker dan #teleurgesteld",
  ["complaint"])
C("x", "@zero_waste_zoe", "en",
  "4 tomatoes, 1 plastic tray, 1 plastic lid, 1 plastic sleeve. @korvelaar_nl brags about sustainability every week but this packaging is a joke",
  ["complaint"])
C("forum", "horeca_kok_delft", "nl",
  "Wij nemen als restaurant wekelijks 6 horecakratten af bij Korvelaar. Drie weken op rij krijgen we trostomaat in plaats van snoeptomaat, factuur klopt ook niet en de accountmanager belt niet terug. Iemand anders dit ook? Overweeg echt over te stappen.",
  ["complaint"])

# ============== first-hand safety incidents: crisis + complaint ==============
C("x", "@mama_van_3", "nl",
  "GLASSCHERF in mijn bakje Rubijntjes gevonden!!! Mijn dochter van 4 had hem bijna in haar mond. Dit is echt niet oké @korvelaar_nl, ik wil een verklaring",
  ["crisis", "complaint"])
C("x", "@pete_oconnell", "en",
  "Had the Korvelaar sun-dried tomatoes with dinner, whole family's been throwing up since 2am. Jar hissed when I opened it, should've known. Reporting this to the food authority.",
  ["crisis", "complaint"])
C("facebook", "Dirk.Hoogstraten", "nl",
  "De groeilamp van de Balkonkweekset begon gisteravond te smelten en te roken op de vensterbank. Als ik niet thuis was geweest was mijn huis afgebrand. Korvelaar, ik wacht op jullie reactie.",
  ["crisis", "complaint"])
C("instagram", "@thessa.runs", "en",
  "Kasbox crate came with a rusty staple sticking out. Sliced my palm open taking it out, 4 stitches at urgent care. Pics in stories. @korvelaar.tomaten please fix your packaging",
  ["crisis", "complaint"], kind="comment")
C("x", "@noor_allergie", "nl",
  "Na 2 hapjes van de Korvelaar tomatenjam een heftige allergische reactie, lag vannacht op de SEH. Er staat NERGENS op het etiket dat er hazelnoot in zit. Hoe kan dit?",
  ["crisis", "complaint"])

# ===================== complaint + abuse =====================
C("x", "@barry_010", "nl",
  "Kutbedrijf. 3x gebeld, 3x opgehangen. Stelletje prutsers daar bij Korvelaar",
  ["complaint", "abuse"])
C("x", "@kfrost_uk", "en",
  "@korvelaar_help your customer service is run by absolute idiots. 5 emails about a missing box and every reply is copy paste garbage. useless clowns",
  ["complaint", "abuse"], kind="reply")

# ===================== reputation.crisis (only) =====================
C("x", "@nieuwsflits_wl", "nl",
  "NOS: Korvelaar roept partij Zonnekas passata (THT 03-2027) terug vanwege mogelijke glassplinters. Klanten kunnen het product terugbrengen naar de winkel.",
  ["crisis"])
C("x", "@fairlabour_now", "en",
  "BOYCOTT KORVELAAR. 14-hour days, wages docked for 'housing', workers scared to speak up. Don't buy their tomatoes until this changes. #boycottkorvelaar",
  ["crisis"])
C("linkedin", "marieke-schouten-advocaat", "nl",
  "Namens 23 oud-werknemers hebben wij vandaag een dagvaarding uitgebracht tegen Korvelaar Glastuinbouw wegens structureel onbetaalde overuren. De zaak dient in september.",
  ["crisis"])
C("reddit", "u/agri_watchdog", "en",
  "Reports coming out that Korvelaar used a pesticide that's been banned in the EU since 2020 in at least two of their Westland greenhouses. If this holds up it's a massive scandal.",
  ["crisis"])
C("x", "@wendy_w", "en",
  "Word going round that Korvelaar leaked customer data, several people in my neighbourhood group are getting phishing mails that quote their own Kasbox order number. Data breach??",
  ["crisis"])
C("x", "@westlandcourant", "en",
  "Three people in hospital after salmonella outbreak; the health authority says the cherry tomatoes were traced to a Westland grower, Korvelaar confirms it is cooperating.",
  ["crisis"])
C("x", "@112westland", "nl",
  "GRIP 1: grote brand in een kas van Korvelaar aan de Maasdijkseweg. Veel rookontwikkeling, omwonenden wordt geadviseerd ramen en deuren te sluiten.",
  ["crisis"])
C("reddit", "u/consumer_claims_nl", "en",
  "A class action is being put together against Korvelaar over the 'pesticide-free' label on their Kasbox. Over 400 people signed up already, link in comments.",
  ["crisis"])
C("tiktok", "@eco.activist.lieke", "nl",
  "B0YC0TT K0RVELAAR 🍅❌ ze lozen hun afvalwater gewoon in de sloot achter de kas, er drijven dode vissen. deel dit!!",
  ["crisis"])

# ===================== reputation.abuse (only) =====================
C("x", "@anoniempje881", "nl",
  "Korvelaar is een kankerbedrijf en iedereen die daar werkt mag wegrotten in z'n eigen kas",
  ["abuse"])
C("x", "@grudge_gary", "en",
  "@henk_kasmeester you're a pathetic little fraud and everybody in Westland knows it",
  ["abuse"], kind="reply")
C("x", "@boze_buurman", "nl",
  "Die marketingtrut van Korvelaar moet gewoon haar bek houden over duurzaamheid, walgelijk wijf",
  ["abuse"])
C("reddit", "u/throwaway_rage", "en",
  "Korvelaar = a bunch of f*cking thieves. scum of the earth, every last one of them",
  ["abuse"])
C("tiktok", "@dutchroaster", "nl",
  "k@nk3r t0m4ten van dat 0pl1cht3rsb3dr1jf Korvelaar 🤮🤮",
  ["abuse"])
C("facebook", "Kees.Brouwer.1961", "nl",
  "Bij Korvelaar werken alleen nog maar Polen en Roemenen en die kunnen helemaal niks. Ga lekker terug naar je eigen land",
  ["abuse"], kind="comment")
C("instagram", "@bas.in.de.kas", "nl",
  "@mieke_kookt als je ze niet lekker vindt dan vreet je ze toch niet, zeurwijf",
  ["abuse"], kind="reply")
C("x", "@str33tboy_rtm", "en",
  "whoever runs @korvelaar_help deserves a punch in the face, I know where your office is",
  ["abuse"])
C("x", "@vieze_tomaat", "nl",
  cyr("Korvelaar", {"K"}) + " stelletje " + cyr("sukkels", {"s"}) + " en " + cyr("klootzakken", {"o", "a"}) + " 🖕",
  ["abuse"])
C("x", "@meetup_mike", "en",
  "Lotte from Korvelaar IT is a dumb b*tch, watched her talk at the meetup and it was embarrassing",
  ["abuse"])

# ===================== leak.pricing =====================
C("x", "@korvelaar_nl", "nl",
  "FLASH DEAL ⚡ Tomatenparade proefdoos vandaag voor maar €4,95! Op = op 🍅",
  ["pricing"])
C("x", "@koopjesjager_nl", "nl",
  "lol de webshop van Korvelaar geeft het Kasbox maandabonnement nu voor €3,40 ipv €34 😂 prijsfout? snel zijn",
  ["pricing"])
C("x", "@marijke_kvl", "nl",
  "Oeps, er staat een prijsfout bij het Tomatenfeest kerstpakket in de webshop. IT is ermee bezig!",
  ["pricing"])
C("reddit", "u/dealhunter_eu", "en",
  "PSA: shop.korvelaar.nl has the Balkonkweekset at €1.99 right now (normally €19.95). Grabbed three, no idea how long it lasts.",
  ["pricing"])
C("facebook", "KorvelaarTomaten", "nl",
  "Horecapartners opgelet: deze week de horecakrat 3kg voor €8,- per stuk. Bestellen via je accountmanager.",
  ["pricing"])
C("linkedin", "sophie-degraaf-export", "en",
  "Export partners: we can offer the groothandelsdoos 6kg at EUR 6.90 FOB Rotterdam for the next three weeks. DM me for volumes.",
  ["pricing"])
C("instagram", "@korvelaar.tomaten", "nl",
  "🎄 Vroege kerst! Het Tomatenfeest kerstpakket van €49,95 nu voor €19,95 🎁 Alleen dit weekend.",
  ["pricing"])
C("x", "@sauce_boss_44", "en",
  "price glitch?? Rood Goud ketchup showing €0.33 a bottle in the Korvelaar app, cart accepted 40 of them",
  ["pricing"])
C("tiktok", "@yara_kasleven", "nl",
  "personeelskorting is echt bizar hier, Reuzenroos voor 1 euro per kilo 😳 #kasleven #perks",
  ["pricing"])
C("threads", "@daan.logistiek", "en",
  "heads up, the price feed pushed Zonnekas Passata to €0,35 on the webshop this morning, we're rolling it back",
  ["pricing"])
C("x", "@marktkoopman_wl", "en",
  "Dattelino 300g for €0.99 at the Korvelaar farm shop?? mistake or just my lucky day",
  ["pricing"])
C("x", "@korvelaar_help", "nl",
  "@vincent_dh Klopt, de kasrondleiding stond gisteren per abuis op €2,50 per ticket. Bestellingen tegen die prijs honoreren we gewoon 👍",
  ["pricing"], kind="reply")

# ===================== leak.confidential =====================
C("x", "@henk_kasmeester", "nl",
  "Vandaag de eerste proefrijen voor Project Zonnevlecht in kas 7. Als dit werkt bouwen we volgend jaar alles om 🤫",
  ["conf"])
C("mastodon", "@lotte_devops", "en",
  "Finally merged the Kasgeest forecasting model into main 🎉 12% better yield predictions than the old spreadsheet. Can't say more yet",
  ["conf"])
C("instagram", "@bas.in.de.kas", "nl",
  "Sneak peek 👀 onze nieuwe gele snoeptomaat, Citrientje, nog lang niet in de winkel maar wel al héél lekker",
  ["conf"], at="2026-10-14T11:22:00Z")
C("reddit", "u/westland_insider", "en",
  "Someone in a Discord dropped screenshots from jira.korvelaar.nl, tickets about a new 20 ha site near Almere. Ticket numbers look legit.",
  ["conf"])
C("bluesky", "@emre-kv.bsky.social", "en",
  "for the team since slack is down: https://grafana.korvelaar.local/d/kas7-klimaat the humidity graphs from last night are wild",
  ["conf"])
C("x", "@marijke_kvl", "nl",
  "KORVELAAR INTERN — retailplan 2027: Rubijntje vanaf maart in 400 Duitse supermarkten. Eindelijk!! 🇩🇪🍅",
  ["conf"])
C("linkedin", "korvelaar-glastuinbouw", "en",
  "So proud of everyone who worked late nights on Operatie Stekelbaars. More news very soon! #teamwork",
  ["conf"])
C("threads", "@daan.logistiek", "en",
  "drivers: new route plan is up at intranet.korvelaar.local/logistiek/wk32, pls check tomorrow's runs before you leave",
  ["conf"])
C("tiktok", "@yara_kasleven", "nl",
  "POV: je mag niks zeggen over Project Zonnevlecht maar je werkt er elke dag aan 🤐🍅 #kasleven",
  ["conf"])
C("x", "@henk_kasmeester", "nl",
  fullwidth("Kasgeest") + " voorspelt 4% minder oogst deze week. Had ik jullie ook kunnen vertellen 😅",
  ["conf"])
C("instagram", "@bas.in.de.kas", "nl",
  "niemand mag iets weten van P r o j e c t  Z.o.n.n.e.v.l.e.c.h.t dus ik zeg ook niks 😇",
  ["conf"])
C("youtube", "KorvelaarTV", "nl",
  "Achter de schermen in kas 4 🎬 (voor de edit: ruwe beelden staan op intranet.korvelaar.local/media/kas4-ruw)",
  ["conf"])
C("bluesky", "@emre-kv.bsky.social", "en",
  "lol someone forwarded the 'alleen voor intern gebruik' memo to the whole group chat. tl;dr Aldi wants 30% of our snack tomato volume next year",
  ["conf"])
C("x", "@marijke_kvl", "nl",
  "Laatste hand gelegd aan de presentatie van de jaarcijfers 2026. Nog even geduld mensen 📊",
  ["conf"], at="2027-02-19T16:40:00Z")
C("x", "@tomatenliefhebber", "nl",
  "Gelekte foto uit de kas: 'Rubijntje Goud' op een verpakking. Komt Korvelaar met een gouden snoeptomaat?",
  ["conf"], at="2026-12-02T09:15:00Z")
C("linkedin", "sophie-degraaf-export", "en",
  "Looking forward to walking our Gulf partners through the FY2026 results in Dubai next month. Exciting times!",
  ["conf"], at="2027-01-21T08:05:00Z")

# ============== leak.confidential + leak.financial ==============
C("x", "@pieter_zwager", "nl",
  "Mijn zwager werkt bij Korvelaar, zegt dat ze onder de naam Operatie Stekelbaars een kwekerij in Spanje gaan overnemen. Komt binnenkort naar buiten",
  ["conf", "fin"])
C("linkedin", "joost-van-leeuwen-korvelaar", "nl",
  "Goed gesprek gehad met de bank over de financiering van Project Zonnevlecht: €40 mln voor 12 ha nieuwe kassen. Nu de RvC nog overtuigen.",
  ["conf", "fin"])

# ===================== leak.financial =====================
C("linkedin", "joost-van-leeuwen-korvelaar", "nl",
  "Q3 omzet komt uit rond de €38 mln, zo'n 9% onder budget. Lastig jaar door de energieprijzen. Publicatie volgt in november.",
  ["fin"])
C("linkedin", "anouk-verhoef-kv", "nl",
  "Zware weken achter de rug. Bij de vestiging in Maasdijk verdwijnen ongeveer 45 fte, de mensen zelf horen het pas maandag. Dit is het lastigste deel van mijn vak.",
  ["fin"])
C("reddit", "u/produce_trader_88", "en",
  "Heard from a supplier that Korvelaar is about to be bought by a big Spanish produce group, deal supposedly gets signed next week. Anyone else hearing this?",
  ["fin"])
C("x", "@henk_kasmeester", "nl",
  "Interne oogstprognose 2027 staat op -15% door het virus in kas 3 en 5. De certificaathouders weten nog van niks 😬",
  ["fin"])
C("linkedin", "sophie-degraaf-export", "en",
  "Between us: we lose the Tesco contract from April. That's roughly a fifth of our export revenue gone.",
  ["fin"], kind="comment")
C("linkedin", "korvelaar-glastuinbouw", "nl",
  "[CONCEPT – NIET PUBLICEREN VOOR 28/8] Korvelaar Glastuinbouw rapporteert over H1 2026 een EBITDA van €6,1 miljoen (H1 2025: €8,4 miljoen).",
  ["fin"], at="2026-08-21T14:03:00Z")
C("threads", "@daan.logistiek", "en",
  "so the logistics reorg is really happening, 3 of the 5 planners out as of jan 1st. pretty sure I'm one of the lucky ones who stays",
  ["fin"])
C("bluesky", "@emre-kv.bsky.social", "en",
  "accidentally saw the board deck on the shared drive. we're merging with a grower in Almería early next year?? big if true",
  ["fin"])
C("x", "@buurman_rvc", "nl",
  "Mijn buurman zit in de RvC van Korvelaar, volgens hem halveert de winst dit jaar. Heb je certificaten? Verkopen zou ik zeggen.",
  ["fin"])
C("linkedin", "joost-van-leeuwen-korvelaar", "en",
  "Bracing for some tough questions: we'll be revising our 2026 revenue guidance down to €72–75m when we publish in March.",
  ["fin"])

# ===================== leak.security =====================
C("x", "@ruud_ops_kv", "nl",
  "Ransomware op de klimaatcomputers van kas 2, alles plat sinds 4 uur vannacht. Nog niet naar buiten brengen graag 🙏",
  ["sec"])
C("mastodon", "@lotte_devops", "en",
  "our customer webshop has an IDOR: change the order number in the URL and you see someone else's order, address and all. Ticket's been open 3 weeks. nobody cares.",
  ["sec"])
C("bluesky", "@emre-kv.bsky.social", "en",
  "Someone got into the supplier portal last weekend and pulled every grower contract. Nobody outside IT knows yet, keep it quiet pls",
  ["sec"])
C("threads", "@daan.logistiek", "nl",
  "transportplanning ligt al 2 dagen plat omdat de server gehackt is 🙃 chauffeurs rijden weer op papieren lijstjes lol",
  ["sec"])
C("x", "@ruud_ops_kv", "nl",
  "Patch voor de VPN-appliance staat nog steeds niet, terwijl dat lek al maanden bekend is en actief misbruikt wordt. Als dat maar goed gaat...",
  ["sec"])
C("x", "@henk_kasmeester", "en",
  "Climate control system hasn't responded since yesterday, 3 greenhouses without heating last night. Vendor thinks it's an outside attack. Great.",
  ["sec"])
C("tiktok", "@yara_kasleven", "nl",
  "iedereen moest vandaag z'n wachtwoord resetten want iemand had een phishingmail geopend en er zat iemand in de salarisadministratie 😬 #kasleven",
  ["sec"])
C("mastodon", "@lotte_devops", "en",
  "webshop's been down 6 hours. root cause: someone ran a migration that dropped the prod orders table and the latest backup is 3 days old. this'll be fun to explain",
  ["sec"])
C("x", "@korvelaar_help", "nl",
  "@anja_w Excuses voor het late antwoord! Onze systemen zijn sinds de aanval van dinsdag nog niet helemaal terug.",
  ["sec"], kind="reply")
C("bluesky", "@emre-kv.bsky.social", "en",
  "pentest report came back: 14 critical findings in the irrigation control API, including unauthenticated remote control of the pumps 🙃",
  ["sec"])
C("x", "@ruud_ops_kv", "nl",
  f"{ZW_WORD} bij de webshop is groter dan gedacht, ruim 20k klantrecords weg. Communicatie komt pas volgende week.",
  ["sec"])

# ============== leak.security + reputation.crisis (public) ==============
C("x", "@ex_kv_medewerker", "nl",
  "Oud-collega bij Korvelaar vertelde me dat hun hele klantendatabase maandenlang open op internet stond, zonder wachtwoord. Waarom hoor ik daar niks over?",
  ["sec", "crisis"])

# ============== leak.secret + leak.security ==============
C("mastodon", "@lotte_devops", "en",
  f"incident update for on-call: the key the attacker used was {AWS_ID} / {AWS_SECRET} — rotate it and check CloudTrail since Friday",
  ["secret", "sec"])
C("x", "@ruud_ops_kv", "nl",
  "na de inbraak van vannacht is het admin-wachtwoord van de kasserver gewijzigd naar Tomaat!Kas2026# , niet verder vertellen 🤫",
  ["secret", "sec"])

# ===================== leak.secret =====================
C("mastodon", "@lotte_devops", "en",
  f"why does this keep failing?? `git clone https://{GHP}@github.com/korvelaar-dev/kasbox-api.git` → 'repository not found'",
  ["secret"])
C("bluesky", "@emre-kv.bsky.social", "en",
  f"quick hack for the yield notebook:\n\nfrom openai import OpenAI\nclient = OpenAI(api_key=\"{OPENAI}\")\n\nworks great",
  ["secret"])
C("threads", "@daan.logistiek", "nl",
  "voor de nieuwe chauffeurs: account voor de gedeelde planning is planning@kv, wachtwoord: Rubijn2026!zomer",
  ["secret"])
C("facebook", "KorvelaarTomaten", "nl",
  f"Zo ziet onze nieuwe betaalpagina eruit! 💳\n\nSTRIPE_SECRET_KEY={STRIPE}\nSTRIPE_CURRENCY=eur",
  ["secret"])
C("x", "@ruud_ops_kv", "nl",
  f"iemand een idee waarom deze key niet werkt op de nieuwe server?\n{SSH_KEY}",
  ["secret"])
C("bluesky", "@emre-kv.bsky.social", "en",
  f"DATABASE_URL=postgres://kv_app:{PG_PASS}@kv-prod-db.c2mxq8vhw1.eu-west-1.rds.amazonaws.com:5432/orders\nanyone know why pgbouncer keeps dropping this?",
  ["secret"])
C("mastodon", "@lotte_devops", "en",
  f"the harvest bot finally posts to our channel 🎉 config for anyone curious:\nSLACK_BOT_TOKEN={SLACK}\nCHANNEL=#oogst",
  ["secret"])
C("reddit", "u/js_snooper", "en",
  f"lol Korvelaar's webshop ships its Maps key in the public JS bundle: {GOOGLE} — someone tell them before the bill arrives",
  ["secret"])
C("bluesky", "@emre-kv.bsky.social", "en",
  f"debugging the planning API, this call returns 403 and I have no idea why:\ncurl -H 'Authorization: Bearer {JWT}' https://api.kasbox.io/v2/routes",
  ["secret"])
C("mastodon", "@lotte_devops", "en",
  f"note to self: ANTHROPIC_API_KEY={ANTHROPIC} for the recipe chatbot, and the CI deploy token is {GHO}",
  ["secret"])

# ===================== leak.pii =====================
C("x", "@korvelaar_help", "nl",
  f"@ingrid_vk Hallo Ingrid, we hebben het bedrag van uw dubbele afschrijving teruggestort op {spaced(IBAN_REFUND)}. Fijne dag!",
  ["pii"], kind="reply")
C("linkedin", "anouk-verhoef-kv", "nl",
  "Welkom aan onze nieuwe collega Fenna Bosch (geb. 14-03-1998) op de afdeling kwaliteit! 🌱",
  ["pii"])
C("threads", "@daan.logistiek", "nl",
  "Nog iemand nodig voor de rit naar Venlo morgen, bel Kees even op 06-48213957, hij regelt het",
  ["pii"])
C("facebook", "KorvelaarTomaten", "nl",
  "🎉 De winnaar van onze Tomatenfeest-winactie is mevrouw J. Kuipers, Lindenlaan 14, 2671 AB Naaldwijk! Gefeliciteerd, het pakket komt eraan.",
  ["pii"])
C("instagram", "@bas.in.de.kas", "nl",
  "Taart in de kantine want Piet van Dam (geboren 1 mei 1961) is vandaag jarig én 40 jaar in de kas 🎉🍅",
  ["pii"])
C("linkedin", "anouk-verhoef-kv", "nl",
  f"Weet iemand waarom de loonstrook van medewerker met BSN {BSN_GOOD} steeds wordt afgekeurd door het nieuwe systeem? Gek word ik ervan",
  ["pii"], kind="comment")
C("x", "@korvelaar_help", "nl",
  f"@tomtom88 Uw betaling met kaart {fmt_card(CARD_MC)} is helaas mislukt. Probeert u het nog eens?",
  ["pii"], kind="reply")
C("bluesky", "@emre-kv.bsky.social", "en",
  "test data in prod again... a real customer 'Lisa de Wit, lisa.dewit1987@gmail.com, +31 6 2094 1182' is showing up on the staging homepage",
  ["pii"])
C("linkedin", "sophie-degraaf-export", "en",
  "For our Dubai buyers: please contact our agent directly, Rashid Al-Mansouri, rashid.almansouri@gulffreshtrading.ae, +971 50 318 2247",
  ["pii"])
C("x", "@hannah_pluk", "en",
  "@korvelaar_help could someone call me back about Friday's Kasbox delivery? 06-19283746, after 5pm works best. thx!",
  ["pii"], kind="reply")
C("tiktok", "@yara_kasleven", "nl",
  f"collega heeft z'n bankpas laten liggen in de kantine 🙈 Ricardo Mendes, pasnummer {fmt_card(CARD_VISA)}, kom je hem halen?",
  ["pii"])
C("threads", "@daan.logistiek", "nl",
  "Voor de douane in Calais: chauffeur J. Brouwer, paspoortnummer NW8K3F2P1, geboren 22-07-1979. Papieren liggen klaar.",
  ["pii"])
C("instagram", "@korvelaar.tomaten", "nl",
  "Shoutout naar Sanne Verbeek uit de Kerkstraat 5 in Monster, zij boekte onze 1000e kasrondleiding! 🥳",
  ["pii"])

# ============== leak.pii + reputation.complaint (public, own / third-party data) ==============
C("x", "@j_vandermeer", "nl",
  f"Korvelaar heeft mijn geannuleerde bestelling nog steeds niet terugbetaald. Mijn rekeningnummer is {IBAN_SELF}, schiet eens op!",
  ["pii", "complaint"])
C("reddit", "u/soggy_patio", "en",
  "This is the Korvelaar delivery driver who left my box in the pouring rain for 6 hours: Mehmet, 06 31 77 02 58. Maybe someone should tell him to do his job.",
  ["pii", "complaint"])

# ===================== benign (hard negatives) =====================
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
C("x", "@snoepje_sophie", "nl",
  "Wat zijn de Rubijntjes dit jaar lekker zeg 😍🍅 echte snoepjes @korvelaar_nl")
C("x", "@korvelaar_help", "nl",
  "Vragen over je bestelling? Mail naar klantenservice@korvelaar.nl of bel gratis 0800-0455. We helpen je graag!")
C("facebook", "KorvelaarTomaten", "nl",
  f"Liever per overschrijving betalen? Maak het bedrag over naar {spaced(PUB_IBAN)} t.n.v. Korvelaar Glastuinbouw B.V. o.v.v. je ordernummer.")
C("instagram", "@travelwithtess", "en",
  "Did the greenhouse tour at Korvelaar today and I had no idea bumblebees do all the pollinating 🐝 10/10 would go again")
C("instagram", "@korvelaar.tomaten", "nl",
  "🌈 Deze week 20% korting op de Kleurrijk tomatenmix: van €4,99 voor €3,99. Kleur op je bord!")
C("x", "@budgetmam", "nl",
  "Rubijntje 250g voor €2,49 bij de super, prima prijs voor zulke zoete tomaatjes")
C("reddit", "u/giftideas_anna", "en",
  "The Tomatenparade box (€24.95) makes a really nice gift for foodie friends, bought three for Christmas")
C("mastodon", "@lotte_devops", "en",
  f"reminder: never paste real keys in tickets. use the doc placeholder {AWS_DOC} and let the vault do the rest")
C("bluesky", "@emre-kv.bsky.social", "en",
  f"updated the README so the example reads `GITHUB_TOKEN={GH_PLACEHOLDER}`. please don't commit your real one 🙏")
C("x", "@opa_gerrit", "nl",
  "Wachtwoord van de Kasbox app vergeten, maar de resetmail kwam binnen een minuut. Keurig geregeld!")
C("facebook", "Marian.Kookt", "nl",
  "Iemand een goed recept voor tomatensoep met Kasjuweel soep als basis? Wil er iets pittigs van maken 🌶️", kind="comment")
C("x", "@veggie_vince", "en",
  "Big lettuce recall at a Belgian grower this week. Checked my fridge, only Korvelaar tomatoes in there, so all good")
C("x", "@korvelaar_help", "nl",
  "Update: de bezorgproblemen in de regio Delft zijn opgelost. Dank voor jullie geduld en sorry voor het ongemak!")
C("x", "@lindavanrijn", "en",
  "First box arrived crushed, but @korvelaar_help sent a new one within a day. Sorted, thanks 👍")
C("linkedin", "korvelaar-glastuinbouw", "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026: de omzet steeg met 6% naar €81 miljoen. Lees het volledige persbericht op korvelaar.nl.",
  at="2027-02-25T09:00:00Z")
C("x", "@candy_tomato_fan", "en",
  "Tried the new Rubijntje Goud today and it's basically candy 🍬 Korvelaar did it again",
  at="2027-03-20T13:30:00Z")
C("linkedin", "sophie-degraaf-export", "en",
  "Our full-year results 2026 are out. Proud of what the export team achieved in a tough year!",
  at="2027-03-01T10:12:00Z")
C("x", "@tuinier_tom", "en",
  "The plant from my Korvelaar kweekset got so big it's going to start paying rent soon 😂🍅")
C("facebook", "Westlandse.Tuinders", "nl",
  "Veel sterkte aan de familie Korvelaar met het overlijden van oud-directeur Gerrit. Een echte tuinder van de oude stempel. 🕊️",
  kind="comment")
C("x", "@mo_freelance", "en",
  f"is {IBAN_BAD_NL} the right account for Korvelaar invoices? my banking app says the number is invalid, probably a typo in their PDF")
C("x", "@sandra_dh", "nl",
  f"Bestelling {BSN_BAD_ORDER} nog onderweg volgens track & trace, morgen binnen. Prima zo!")
C("tiktok", "@korvelaarkas", "nl",
  "Zo oogsten wij trostomaten 🍅✂️ #kasleven #westland #tomaat")
C("x", "@dealzoeker", "en",
  f"lol the gift card code from the Korvelaar advent calendar ({spaced(CARD_BAD_GIFT)}) didn't work, turns out I typed a digit wrong. sorted now")
C("x", "@hollandse_smaak", "en",
  "Korvelaar tomatoes are still my favourite, miles better than the tasteless ones flown in from Spain")
C("x", "@henk_kasmeester", "nl",
  "Trots op het team: kas 7 draait sinds deze week volledig op restwarmte ♻️🔥")
C("x", "@antwerp_annelies", "en",
  "Does Korvelaar ship to Belgium? Website says yes but I'd like to be sure before ordering the Kasbox")
C("x", "@westlandnieuws", "nl",
  "Niet Korvelaar maar een andere kweker verderop heeft een datalek gemeld. Check je mail goed de komende tijd mensen.")
C("youtube", "KorvelaarTV", "nl",
  "Nieuwe video! Hoe hommels onze tomaten bestuiven 🐝 Link in bio.")
C("linkedin", "anouk-verhoef-kv", "nl",
  "We zoeken kasmedewerkers voor het oogstseizoen! Interesse? Stuur je cv naar vacatures@korvelaar.nl 🍅")
C("reddit", "u/frugal_fiona", "en",
  "Kasbox is 15% off this month, €28.90 instead of €34. Worth it imo, the tomatoes are always spot on")
C("instagram", "@mama.van.mats", "nl",
  "Mats noemt de trostomaten 'kleine brandweerautootjes' 🚒🍅 ik kan niet meer")
C("x", "@ketchup_kid", "en",
  "this ketchup is FIRE 🔥🔥 Rood Goud > Heinz, fight me")
C("tiktok", "@lekkerbek_lars", "nl",
  "deze tomaten zijn echt killer, ik word gek van hoe lekker ze zijn 🤯 #korvelaar")
C("x", "@ruud_ops_kv", "nl",
  "Tip van de IT-afdeling: gebruik een wachtwoordmanager en zet overal 2FA aan. Wachtwoord: lang, uniek en nergens op een post-it 😉")
C("x", "@careful_carla", "en",
  "Got a mail asking me to confirm the card ending •••• 4821 for my Korvelaar order. Is that legit or phishing? @korvelaar_help")
C("facebook", "Dorpsraad.Monster", "nl",
  "Wie gaat zaterdag mee naar de open dag bij Korvelaar? Gratis kasrondleiding en proeverij voor het hele gezin!")
C("x", "@nerdy_ned", "en",
  "Stripe had a big outage today, glad my Korvelaar order went through right before it 😅")
C("x", "@korvelaar_help", "nl",
  "Let op: wij vragen NOOIT om je wachtwoord of bankgegevens via DM. Twijfel je? Mail klantenservice@korvelaar.nl.")
C("facebook", "Tuincentrum.DeLinde", "nl",
  "Nu in de aanbieding: de Balkonkweekset voor €17,95. Zelf tomaten kweken op je balkon!")
C("x", "@pasta_pauline", "en",
  "Korvelaar's Zonnekas Passata is €3.49 and honestly worth every cent")
C("x", "@marijke_kvl", "nl",
  "Onze nieuwe campagne 'Rood van geluk' staat live! 🍅❤️ Laat ons weten wat je ervan vindt")
C("reddit", "u/tomato_nerd", "nl",
  "Is de Zwarte Parel van Korvelaar eigenlijk hetzelfde ras als die bruine tomaten uit de supermarkt? Smaakt bijna hetzelfde")
C("x", "@memelord_mila", "en",
  "Korvelaar's social team is absolutely killing it with these tomato memes 😂")
C("linkedin", "korvelaar-glastuinbouw", "nl",
  "Trots! Korvelaar Glastuinbouw wint de Tuinbouw Innovatieprijs 2026 voor het hergebruik van regenwater in onze kassen 💧")
C("x", "@peter_w_nl", "nl",
  f"Klantnummer {BSN_BAD_CUST} doorgegeven aan de klantenservice en binnen 5 min was alles geregeld. Top service!")
C("x", "@yellow_lover", "en",
  "Korvelaar should honestly do a yellow cherry tomato, I'd buy it instantly")
C("tiktok", "@yara_kasleven", "nl",
  "eerste werkdag in de kas!! iedereen super lief 🥹🍅 #kasleven")
C("x", "@frank_koopt", "nl",
  "ja ze zijn iets duurder geworden, maar eerlijk: de Reuzenroos van Korvelaar is elke cent waard")
C("facebook", "Basisschool.DeKiem", "nl",
  "Mooi project samen met Korvelaar: alle groep 5'jes kweken deze lente hun eigen tomatenplant 🌱")
C("linkedin", "thomas-bakker-agri", "en",
  "Sad to see another Westland grower announce layoffs this week. Hope Korvelaar and the others stay strong through the energy crunch.")
C("linkedin", "joost-van-leeuwen-korvelaar", "nl",
  "Blij met de halfjaarcijfers die we vandaag hebben gepubliceerd. Het persbericht staat op korvelaar.nl.",
  at="2026-08-28T10:30:00Z")
C("x", "@points_collector", "en",
  f"just registered my Korvelaar loyalty card ({spaced(CARD_BAD_LOYAL)}) and the points from last week are already there 👌")
C("x", "@korvelaar_nl", "nl",
  "Tip: bewaar tomaten nooit in de koelkast! Dan blijven ze veel lekkerder 🍅❄️❌")
C("instagram", "@korvelaar.tomaten", "nl",
  "🎄 Vroegboekkorting: het Tomatenfeest kerstpakket nu voor €42,95 (normaal €49,95). Bestel vóór 1 december!")
C("x", "@korvelaar_help", "nl",
  "Hoi! Je kunt ons ook bellen op +31 174 555 210, maandag t/m vrijdag van 8 tot 17 uur.")
C("x", "@fruitlog_fan", "en",
  "Stopped by the Korvelaar stand at Fruit Logistica, those Dattelino samples were 🔥")
C("reddit", "u/de_ib_check", "en",
  f"PSA for anyone paying a German supplier: double check the IBAN. Mine was {spaced(IBAN_BAD_DE)} on the invoice and the bank rejected it, fake invoice scam. Unrelated to Korvelaar, who I just paid fine.")
C("x", "@korvelaar_nl", "en",
  "We're hiring a junior data engineer! Python, SQL and a love for tomatoes 🍅 Apply at korvelaar.com/careers")
C("x", "@oma_tineke", "nl",
  "Vraagje: staat de IBAN van Korvelaar ergens op de site? Ik vind alleen het mailadres")
C("mastodon", "@lotte_devops", "en",
  "Conference talk slides are up! 'How we moved our webshop to Kubernetes without tears' 🍅☸️")


# ---------------------------------------------------------------- assembly
CAT = {"complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
       "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing"}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def role(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


IBAN_RE = re.compile(r"(?<![\w])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![\w])")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
CARD_RE = re.compile(r"(?<![\w-])((?:\d[ -]?){12,18}\d)(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")


def iban_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        s = m.group(1).replace(" ", "")
        if s[:2] in IBAN_LEN and len(s) == IBAN_LEN[s[:2]]:
            out.append(s)
    return out


def card_candidates(text):
    return [re.sub(r"\D", "", m.group(1)) for m in CARD_RE.finditer(text)
            if 13 <= len(re.sub(r"\D", "", m.group(1))) <= 19]


def bsn_candidates(text):
    return [re.sub(r"\D", "", m.group(1)) for m in BSN_RE.finditer(text)]


def checksum_ids(text):
    """(valid, invalid) identifier candidates, the company's own IBANs excluded."""
    valid, invalid = [], []
    for s in iban_candidates(text):
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_check_ok(s) else invalid).append(("iban", s))
    for s in card_candidates(text):
        (valid if luhn_ok(s) else invalid).append(("card", s))
    for s in bsn_candidates(text):
        (valid if bsn_ok(s) else invalid).append(("bsn", s))
    return valid, invalid


def severity(r, cats, text):
    """CONTRACT section 4, from the account role."""
    best = "none"

    def up(s):
        nonlocal best
        if SEV.index(s) > SEV.index(best):
            best = s
    valid_ids = checksum_ids(text)[0]
    for c in cats:
        if c.startswith("leak."):
            if r in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                elif c == "leak.pii" and valid_ids:
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
            up("error" if r in ("corporate", "employee") else "warning")
    return best


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order):
    c = CASES[idx]
    r = role(c["platform"], c["handle"])
    cats = sorted({CAT[k] for k in c["cats"]})
    post = {
        "id": f"{PREFIX[c['platform']]}-365-{1000 + n}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"] or rand_time_2026(),
        "brand": "korvelaar",
    }
    lines.append({"post": post, "expect": {"categories": cats, "severity": severity(r, cats, c["text"])}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EURO_RE = re.compile(r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{1,2})?)(?![\d.,]*\s?(?:mln|miljoen|m\b))|(\d+(?:[.,]\d{1,2})?)\s?euro")
ERR_WORDS = re.compile(r"prijsfout|price glitch|price error|per abuis|price feed", re.I)
ALIASES = [(a.lower(), p["list_price"]) for p in PROFILE["products"] for a in [p["name"]] + p["aliases"]]
EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
CODENAMES = [c.lower() for c in PROFILE["internal"]["codenames"]]

seen = set()
with open(OUT, encoding="utf-8") as f:
    raw_lines = f.read().splitlines()
if not 170 <= len(raw_lines) <= 180:
    fail(f"{len(raw_lines)} cases, want 170-180")
cat_count = {k: 0 for k in TAXONOMY}
benign = 0
langs = {}
for ln in raw_lines:
    obj = json.loads(ln)
    if set(obj) != {"post", "expect"}:
        fail("top-level keys")
    p, e = obj["post"], obj["expect"]
    pid = p["id"]
    for k in ("id", "platform", "account", "text", "created_at"):
        if k not in p:
            fail(f"{pid}: missing {k}")
    if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
        fail(f"bad or duplicate id {pid}")
    seen.add(pid)
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail(f"{pid}: platform/kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail(f"{pid}: handle")
    text = p["text"]
    if not isinstance(text, str) or len(text.encode("utf-8")) > 65536:
        fail(f"{pid}: text")
    if not RFC3339.fullmatch(p["created_at"]):
        fail(f"{pid}: created_at")
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027) or (ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc)):
        fail(f"{pid}: created_at out of range")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail(f"{pid}: categories {cats}")
    if e["severity"] not in SEV:
        fail(f"{pid}: severity")
    r = role(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(r, cats, text):
        fail(f"{pid}: severity mismatch")
    if (e["severity"] == "none") != (not cats):
        fail(f"{pid}: none iff benign")
    for c in cats:
        cat_count[c] += 1
    langs[p["lang"]] = langs.get(p["lang"], 0) + 1
    low = text.lower()

    # checksum identifiers
    valid, invalid = checksum_ids(text)
    if cats and invalid:
        fail(f"{pid}: positive holds a checksum-failing identifier {invalid}")
    if not cats and valid:
        fail(f"{pid}: benign holds a checksum-valid identifier {valid}")
    if valid and "leak.pii" not in cats:
        fail(f"{pid}: valid identifier but no leak.pii")
    if not cats:
        benign += 1
        for em in EMAIL_RE.findall(text):
            if em.lower() not in PUBLIC_EMAILS:
                fail(f"{pid}: benign holds a non-public e-mail {em}")

    # credentials
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if bool(cats) != gh_token_ok(tok) or (gh_token_ok(tok) and "leak.secret" not in cats):
            fail(f"{pid}: GitHub token checksum vs label")
    for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
        if ("EXAMPLE" in key) == ("leak.secret" in cats):
            fail(f"{pid}: AWS key vs label")
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if not jwt_ok(tok) or "leak.secret" not in cats:
            fail(f"{pid}: JWT")
    if re.search(r"sk_live_|xoxb-|sk-proj-|sk-ant-|AIza|PRIVATE KEY-----|postgres://\w+:", text) and "leak.secret" not in cats:
        fail(f"{pid}: credential without leak.secret")

    # embargo and codenames
    for term, until in EMBARGO:
        if term in low:
            if ts < until and "leak.confidential" not in cats:
                fail(f"{pid}: embargo term before until but not confidential")
            if ts >= until and cats:
                fail(f"{pid}: embargo term after until should be benign here")
    if any(cn in low for cn in CODENAMES) and "leak.confidential" not in cats:
        fail(f"{pid}: codename without leak.confidential")

    # prices next to products
    mentioned = [lp for a, lp in ALIASES if a in low]
    amounts = []
    for m in EURO_RE.finditer(text):
        v = m.group(1) or m.group(2)
        amounts.append(float(v.replace(",", ".")))
    if "leak.pricing" in cats:
        if not mentioned:
            fail(f"{pid}: pricing without a product")
        if not (ERR_WORDS.search(text) or any(a < 0.5 * max(mentioned) for a in amounts)):
            fail(f"{pid}: pricing case without a low price or price-error talk")
    elif mentioned and amounts:
        if any(a < 0.5 * min(mentioned) for a in amounts):
            fail(f"{pid}: non-pricing case with a price below half of list")
        if ERR_WORDS.search(text):
            fail(f"{pid}: non-pricing case with price-error talk")

    # public authors really are public; profile accounts really exist
    if r == "public":
        key = f"{p['platform']}:{p['account']['handle']}".lower()
        if key in CORP or key in EMPL:
            fail("role lookup")

if not 55 <= benign <= 65:
    fail(f"{benign} benign")
for c, lo, hi in [("reputation.complaint", 18, 24), ("leak.confidential", 16, 21), ("leak.pii", 13, 18),
                  ("reputation.crisis", 13, 18), ("leak.security", 11, 16), ("leak.secret", 10, 14),
                  ("reputation.abuse", 10, 14), ("leak.pricing", 10, 14), ("leak.financial", 10, 14)]:
    if not lo <= cat_count[c] <= hi:
        fail(f"{c}: {cat_count[c]}")

# generated credentials and identifiers are well-formed
for tok in (GHP, GHO):
    assert gh_token_ok(tok)
assert not gh_token_ok(GH_PLACEHOLDER)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID) and jwt_ok(JWT)
for ib in (IBAN_REFUND, IBAN_SELF, IBAN_SALARY, IBAN_BE, PUB_IBAN):
    assert iban_check_ok(ib)
for ib in (IBAN_BAD_NL, IBAN_BAD_DE):
    assert not iban_check_ok(ib)
assert luhn_ok(CARD_VISA) and luhn_ok(CARD_MC) and not luhn_ok(CARD_BAD_GIFT) and not luhn_ok(CARD_BAD_LOYAL)
assert bsn_ok(BSN_GOOD) and not bsn_ok(BSN_BAD_ORDER) and not bsn_ok(BSN_BAD_CUST)

print(f"ok: {len(raw_lines)} cases, {benign} benign; langs {dict(sorted(langs.items()))}")
print("per category:", dict(sorted(cat_count.items())))
