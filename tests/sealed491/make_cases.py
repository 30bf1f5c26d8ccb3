#!/usr/bin/env python3
"""Evaluation set sealed491: Hemelblad Vertical Farms (fictional hydroponic salad grower).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it. Severities are computed from the account role in profile.yaml
and the CONTRACT section 4 policy, never typed by hand.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(491)

# --------------------------------------------------------------------------------------
# identifier generators (with their real checksums) and look-alikes (that fail them)
# --------------------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_letters
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase   # 0-9A-Za-z
URLSAFE = string.ascii_letters + string.digits + "-_"

ISSUED = []          # (kind, value, valid)


def _issue(kind, value, valid):
    ISSUED.append((kind, value, valid))
    return value


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def _iban_with_check(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return "%s%02d%s" % (cc, 98 - int(num) % 97, bban)


def make_iban(cc="NL"):
    if cc == "NL":
        bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
        bban = bank + "".join(rng.choice(DIG) for _ in range(10))
    elif cc == "BE":
        first = "".join(rng.choice(DIG) for _ in range(10))
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    else:  # DE
        bban = "".join(rng.choice(DIG) for _ in range(18))
    return _issue("iban", _iban_with_check(cc, bban), True)


def bad_iban(cc="NL"):
    good = make_iban(cc)
    ISSUED.pop()
    while True:
        pos = rng.randrange(8, len(good))
        d = str((int(good[pos]) + rng.randrange(1, 10)) % 10)
        cand = good[:pos] + d + good[pos + 1:]
        if not iban_valid(cand):
            return _issue("iban", cand, False)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix="4", length=16):
    body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
    for c in DIG:
        if luhn_ok(body + c):
            return _issue("card", body + c, True)


def bad_card(prefix="4", length=16):
    good = make_card(prefix, length)
    ISSUED.pop()
    cand = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(cand)
    return _issue("card", cand, False)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "0" * 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def make_bsn():
    while True:
        first = str(rng.randrange(1, 7)) + "".join(rng.choice(DIG) for _ in range(7))
        r = sum(int(c) * k for c, k in zip(first, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if r < 10:
            return _issue("bsn", first + str(r), True)


def bad_bsn():
    while True:
        cand = str(rng.randrange(1, 10)) + "".join(rng.choice(DIG) for _ in range(8))
        if not bsn_ok(cand):
            return _issue("bsn", cand, False)


def fmt_card(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# ---- secrets -------------------------------------------------------------------------
def _b62_6(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(6, "0")


def gh_crc_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62_6(zlib.crc32(m.group(1).encode())) == m.group(2)


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return _issue("secret", prefix + body + _b62_6(zlib.crc32(body.encode())), True)


def aws_key_id():
    return _issue("secret", "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)), True)


def aws_secret():
    return _issue("secret", "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40)), True)


def stripe_live():
    return _issue("secret", "sk_live_" + "".join(rng.choice(ALNUM) for _ in range(24)), True)


def slack_bot():
    a = "".join(rng.choice(DIG) for _ in range(12))
    b = "".join(rng.choice(DIG) for _ in range(13))
    c = "".join(rng.choice(ALNUM) for _ in range(24))
    return _issue("secret", "xoxb-%s-%s-%s" % (a, b, c), True)


def openai_key():
    a = "".join(rng.choice(URLSAFE) for _ in range(74))
    b = "".join(rng.choice(URLSAFE) for _ in range(74))
    return _issue("secret", "sk-proj-" + a + "T3BlbkFJ" + b, True)


def anthropic_key():
    return _issue("secret", "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA", True)


def google_key():
    return _issue("secret", "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35)), True)


def gitlab_pat():
    return _issue("secret", "glpat-" + "".join(rng.choice(URLSAFE) for _ in range(20)), True)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "u_%d" % rng.randrange(10000, 99999), "role": "teler",
                              "iss": "auth.hemelblad.nl", "iat": 1772000000,
                              "exp": 1772086400}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return _issue("secret", "%s.%s.%s" % (head, body, sig), True)


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return _issue("secret", key, True)


def password(words):
    w = rng.sample(words, 2)
    return _issue("secret", "%s%s%s%d" % (w[0].capitalize(), rng.choice("!#$%&*-_."), w[1].capitalize(),
                                         rng.randrange(10, 9999)), True)


# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
CASES = []
USED_IDS = set()
PLATFORM_PREFIX = {"x": "x", "twitter": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig",
                   "tiktok": "tt", "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
                   "threads": "th", "forum": "fo", "blog": "bl", "other": "ot"}


def _new_id(platform):
    while True:
        i = "%s-%d" % (PLATFORM_PREFIX[platform], rng.randrange(10_000_000, 99_999_999))
        if i not in USED_IDS:
            USED_IDS.add(i)
            return i


def _when(at):
    if at:
        return at
    month = rng.randrange(1, 13)
    day = rng.randrange(1, 29)
    return "2026-%02d-%02dT%02d:%02d:%02dZ" % (month, day, rng.randrange(6, 24), rng.randrange(60), rng.randrange(60))


def case(acct, lang, text, cats=(), kind=None, at=None, name=None, meta=None):
    platform, handle = acct.split(":", 1)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    post = {"id": _new_id(platform), "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang, "created_at": _when(at)}
    if name:
        post["account"]["display_name"] = name
    if rng.random() < 0.35:
        post["url"] = "https://%s.example/%s/%s" % (platform, handle.strip("@").split("@")[0], post["id"].split("-")[1])
    if rng.random() < 0.5:
        post["brand"] = "torenkrop" if "torenkrop" in text.lower() else "hemelblad"
    CASES.append({"post": post, "cats": sorted(set(cats)), "meta": meta or {}})


COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SECRET, PII, PRICING = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"

# ===================== complaints (public) =============================================
case("x:@mariekevdb", "nl",
     "Net een zak Hemelblad botersla opengemaakt, ding is al helemaal slap en bruin aan de randen 🤢 THT is pas over 4 dagen. Serieus @hemelblad?",
     [COMPLAINT], name="Marieke")
case("x:@thejonesfam_nl", "en",
     "@hemelblad_zorg third week in a row my Leaf Box shows up without the rocket. Emailed twice, zero reply. Getting pretty old tbh",
     [COMPLAINT])
case("facebook:ans.verhoeven.71", "nl",
     "Bij de Jumbo hier in Tilburg al vijf dagen geen enkele zak Torenkrop in het schap. Als je supermarkten belooft te leveren, lever dan ook!! Nu maar weer die slappe huismerksla.",
     [COMPLAINT], name="Ans Verhoeven")
case("reddit:u/pumpkinspice_dev", "en",
     "PSA: my Hemelblad Thuistoren pump died after 7 weeks. Support says 'send us a video', I sent two, then radio silence. Not impressed for a €249 gadget.",
     [COMPLAINT])
case("x:@rvdberg_eet", "nl",
     "waarom smaakt die hemelblad rucola tegenwoordig naar niks? vroeger lekker pittig nu net natte krant. recept veranderd ofzo",
     [COMPLAINT])
case("x:@steefjuh", "nl",
     "Leaf Box in september opgezegd en ze schrijven nog steeds elke week €14,95 af. 3x gebeld. De wachtmuziek ken ik inmiddels uit mn hoofd 🙃 #hemelblad",
     [COMPLAINT])
case("x:@hollyinhaarlem", "en",
     "bought the Minituin as a birthday gift, arrived with a cracked water tank and the app refuses to pair. @hemelblad_zorg can you pls sort this before saturday",
     [COMPLAINT])
case("tiktok:@jaimy.eet.groen", "nl",
     "jullie erwtenscheuten waren echt slijmerig toen ik ze opende en dat 2 dagen na aankoop. zonde van m'n geld ngl",
     [COMPLAINT], kind="comment")
case("threads:@ollie.cooks", "en",
     "Hemelblad: 'grown indoors, no pests, ever.' Me: pulls a live aphid out of the Torenkrop Mesclun Mix. Probably harmless but come on guys",
     [COMPLAINT])
case("x:@petra_kookt", "nl",
     "Klantenservice van Hemelblad is echt onbereikbaar. Chat zegt 'binnen 24 uur reactie', dat was vorige week dinsdag. Nog steeds niks.",
     [COMPLAINT])
case("facebook:mark.denhollander", "en",
     "Bought the Groeilamp Pro in spring. The timer resets every time the power flickers, so now my basil gets light 24/7 and is slowly dying. Poor quality control, Hemelblad.",
     [COMPLAINT], name="Mark den Hollander")

# ============ first-hand harm: crisis + complaint ======================================
case("x:@evi_ruiters", "nl",
     "Gisteravond Hemelblad babyspinazie gegeten en mijn vriend en ik hebben allebei de hele nacht boven de wc gehangen. Zelfde zak, zelfde klachten. @hemelblad_zorg zoek dit alsjeblieft uit",
     [CRISIS, COMPLAINT])
case("reddit:u/kitchen_fire_2026", "en",
     "My Hemelblad Thuistoren's LED panel started smoking and then actually caught fire on the kitchen counter last night. Put it out with a wet towel. Pics in comments. How is this thing CE marked??",
     [CRISIS, COMPLAINT])
case("facebook:sanne.ploeg.3", "nl",
     "Mijn zoontje (6) kreeg een flinke schok toen hij het waterbakje van de Minituin aanraakte terwijl de stekker erin zat. Hij is oké maar ik ben me rot geschrokken. Dit mag gewoon niet kunnen Hemelblad!",
     [CRISIS, COMPLAINT], name="Sanne Ploeg")
case("x:@danny_b_uk", "en",
     "found a shard of GLASS in my Hemelblad Greek Bowl and sliced my gum open on it. spitting blood in the sink rn. @hemelblad explain",
     [CRISIS, COMPLAINT])
case("instagram:@lisa.glutenvrij", "nl",
     "Allergische reactie na de Caesar Bowl van Hemelblad 😰 Nergens op het etiket dat er selderij in de dressing zit. Vanmiddag op de SEH beland. Pas je etiketten aan!!",
     [CRISIS, COMPLAINT], kind="comment")
case("threads:@tom.walks.dogs", "en",
     "Three days in bed with stomach cramps & fever after the Torenkrop romaine hearts. GP took a sample, suspects salmonella. Not touching your stuff again @hemelblad.farms",
     [CRISIS, COMPLAINT])

# ============ crisis, no complaint of the writer's own =================================
case("x:@omroep_zuidoost", "nl",
     "NVWA roept Hemelblad Veldsla 100g terug vanwege mogelijke besmetting met listeria. Het gaat om THT 14-05 t/m 18-05. Niet opeten, terugbrengen naar de winkel.",
     [CRISIS], name="Omroep Zuidoost")
case("x:@climatekees", "en",
     "Boycott @hemelblad. Markets itself as the green future of food while its Eindhoven farm burns more gas-fired power than a small town. #greenwashing #boycotthemelblad",
     [CRISIS])
case("reddit:u/venlo_noord", "nl",
     "Omwonenden van de Hemelblad kas in Venlo stappen naar de rechter vanwege lichtvervuiling. Die paarse gloed staat de hele nacht aan, mensen slapen er al een jaar slecht van.",
     [CRISIS])
case("x:@privacy_piet", "en",
     "Hemelblad leaked every Leaf Box subscriber's address and phone number. I got a phishing SMS quoting my exact order. Not a word from the company. Data breach cover-up?",
     [CRISIS])
case("bluesky:@arbeidsrecht-nu.bsky.social", "nl",
     "Zwartboek: uitzendkrachten bij Hemelblad draaien 12-uursdiensten zonder pauze, onder het minimumloon via een Pools uitzendbureau. Schandalig. #FNV",
     [CRISIS])
case("forum:limburgnieuws_lezer", "en",
     "Local paper says a worker at the Hemelblad farm in Venlo fell from a harvesting lift on Tuesday and is still in hospital. Terrible, hope he pulls through.",
     [CRISIS])
case("x:@hemelblad", "nl",
     "Voorzorgsrecall: we halen Hemelblad Babyspinazie 200g met THT 03-09 uit de schappen na een afwijkende labuitslag. Heb je deze zak thuis? Niet eten, je krijgt je geld terug in de winkel.",
     [CRISIS])
case("x:@mattie_dekker", "nl",
     "al 3 maten van me ziek geworden na sla van Hemelblad uit dezelfde Lidl. iemand anders ook?? er klopt iets niet met die troep",
     [CRISIS])
case("x:@keuringsblog", "nl",
     "Consumentenbond vond chloraatresten in 'pesticidevrije' Hemelblad rucola. Hoe dan, in een gesloten kas? Misleiding van de consument lijkt me.",
     [CRISIS])

# ============ abuse ====================================================================
case("x:@woedende_wim", "nl",
     "@hemelblad_zorg stelletje oplichters en klootzakken, 3 weken wachten op mijn geld. geef het gewoon terug",
     [ABUSE, COMPLAINT])
case("x:@gr8lettucehater", "nl",
     "medewerkers van hemelblad zijn echt hersenloze idioten. stuk voor stuk, elke keer weer",
     [ABUSE])
case("x:@jeroen_xx_", "nl",
     "die Lotte van Hemelblad met haar kutfilmpjes in de kas, ga toch een echt vak leren trut. niemand wil jouw kop zien",
     [ABUSE])
case("reddit:u/thr0waway_salad", "en",
     "Whoever runs @hemelblad's socials is a clueless idiot and should be fired into the sun. Absolute clown show.",
     [ABUSE])
case("tiktok:@dennis_07_tb", "nl", "kankerbedrijf met jullie nepsla 🤮🤮", [ABUSE], kind="comment")
case("x:@truepatriot_1776", "en",
     "That Youssef from Hemelblad ops should go back where he came from, nobody here wants people like him running our farms",
     [ABUSE])
case("x:@bram_vdlinden", "nl",
     "@klager_gert als je zo'n sukkel bent dat je de stekker niet eens in het stopcontact krijgt moet je niet bij ons komen janken",
     [ABUSE], name="Bram van der Linden")
case("x:@gerrit_devops_hb", "en",
     "honestly customers who email support in ALL CAPS are the dumbest fucking people alive",
     [ABUSE], name="Gerrit Smits")
case("facebook:rob.ketelaar.9", "nl", "Hemelblad = tuig van de richel. Hoop dat die hele tent van jullie afbrandt.", [ABUSE])
case("instagram:@no.more.influencers", "en",
     "ugly influencer farm run by entitled tech bros lmao. get a real job losers", [ABUSE], kind="comment")
case("x:@sjonnie_venray", "nl", "@hemelblad jullie zijn gewoon k.l.o.o.t.z.a.k.k.e.n en dat weten jullie zelf ook", [ABUSE])
case("x:@angry_eater_22", "en", "@hemelblad ｆｕｃｋ ｙｏｕ and your overpriced rabbit food", [ABUSE])

# ============ pricing ==================================================================
case("x:@hemelblad", "nl",
     "🔥 Weekdeal: de Hemelblad Thuistoren nu voor €24,95! Op = op, via shop.hemelblad.nl",
     [PRICING], meta={"price": ("HB-TOREN", 24.95)})
case("instagram:@noor.in.de.kas", "nl",
     "Nog even en dan live: de Minituin voor maar €8,99 tijdens onze lanceringsactie 😍🌿 wie bestelt er eentje?",
     [PRICING], name="Noor Kaya", meta={"price": ("HB-MINI", 8.99)})
case("x:@dealhunter_nl", "en",
     "lmao Hemelblad webshop has the Groeilamp Pro at €6.90 right now, that has to be a price error. grabbed 3",
     [PRICING], meta={"price": ("HB-LAMP", 6.90)})
case("reddit:u/koopjesjager88", "nl",
     "Prijsfout bij Hemelblad? Leaf Box eerste maand €1,49 ipv €14,95. Snel zijn voordat ze het doorhebben",
     [PRICING], meta={"price": ("HB-LEAFBOX", 1.49)})
case("x:@lotte_kweekt", "en",
     "oops, someone fat-fingered the Horeca Krat at €1.85 in the retailer portal 🙈 hope no buyer spots it before monday",
     [PRICING], name="Lotte Zwanenburg", meta={"price": ("TK-HOR2KG", 1.85)})
case("facebook:HemelbladNL", "nl",
     "Alleen vandaag in de app: Hemelblad Caesar Bowl voor €0,99! 🥗 Bestel vóór 14:00, morgen in huis.",
     [PRICING], meta={"price": ("HB-BOWLCAE", 0.99)})
case("linkedin:youssef-benali-ops", "en",
     "Quick heads-up for retail partners: a glitch in last night's EDI feed priced the Torenkrop Mesclun Mix at €0.33 per unit. Please hold those orders while we correct it.",
     [PRICING], name="Youssef Benali", meta={"price": ("TK-MESC200", 0.33)})
case("x:@zuinige_zus", "nl",
     "jo de zaadcapsules staan voor €1,29 op de site ipv 12,95, foutje bij hemelblad denk ik 😂 heb er maar 5 besteld",
     [PRICING], meta={"price": ("HB-CAPS12", 1.29)})
case("tiktok:@torenkrop", "en",
     "Thuistoren drop 🌱 only €49 for the first 100 orders!! link in bio", [PRICING],
     meta={"price": ("HB-TOREN", 49.0)})
case("threads:@sietse.hb", "nl",
     "Collega's: er staat een prijsfout op de Minituin in de webshop, graag nog niet delen tot IT het gefixt heeft",
     [PRICING], name="Sietse Hofstra", meta={"price": ("HB-MINI", None)})
case("forum:spar_klant_ede", "en",
     "Hemelblad Babyspinazie 200g rings up at €0.59 at my local Spar, shelf label says 2.79. Someone messed up the price file, stocked up lol",
     [PRICING], meta={"price": ("HB-SPI200", 0.59)})
case("instagram:@hemelblad.farms", "nl", "Groeilamp Pro nu voor €19! 💡 Je kruiden gaan je dankbaar zijn.", [PRICING],
     meta={"price": ("HB-LAMP", 19.0)})

# ============ financial ================================================================
case("linkedin:ingrid-hoekstra-hb", "nl",
     "Q3 intern afgesloten: omzet 11% onder budget en EBITDA weer negatief. Dat wordt een pittige RvC-vergadering volgende week. Koffie staat klaar ☕",
     [FIN], name="Ingrid Hoekstra")
case("x:@bram_vdlinden", "en",
     "heard at the all-hands that they're shutting the Venlo farm in Q1, about 45 jobs gone. not announced yet so shh",
     [FIN])
case("x:@haagse_harry", "nl",
     "Mn zwager werkt bij Hemelblad, zegt dat er een overname door Verdancia Capital aankomt voor zo'n 80 miljoen. Nog niet officieel dus koop nu de obligaties 😉",
     [FIN])
case("mastodon:@kees_plantlab@mastodon.nl", "en",
     "2027 revenue forecast just got cut from 42M to 31M in the board pack. Finance is in full panic mode, plantlab budget probably next on the chopping block",
     [FIN], name="Kees Brouwer")
case("threads:@sietse.hb", "nl",
     "Reorganisatie op komst: heel marketing gaat naar Eindhoven en team Amsterdam wordt opgeheven. Maandag horen ze het officieel, ik weet het nu al 😬",
     [FIN])
case("linkedin:hemelblad-vertical-farms", "en",
     "HB-INTERN – draft, do not publish: Hemelblad to acquire Swedish vertical grower NordOdla AB for SEK 240m. Signing planned 12 November, announcement the day after.",
     [FIN, CONF], at="2026-10-29T16:41:07Z")
case("x:@gerrit_devops_hb", "nl",
     "die funding ronde van 25M gaat niet door, investeerder trekt zich terug. als er niks gebeurt is de kas in maart leeg 😬",
     [FIN])
case("reddit:u/groentenerd_ams", "nl",
     "Vriendin van me zit bij hun finance-team: het verlies van Hemelblad over H1 is zo'n 9 miljoen, veel erger dan wat de CEO in het FD-interview liet doorschemeren. Cijfers komen pas volgende maand.",
     [FIN])
case("linkedin:youssef-benali-ops", "nl",
     "Nog niet publiek maar: we verliezen het leveringscontract met onze grootste supermarktklant per 1 januari. Dat is zo'n 38% van de omzet. Zware tijden.",
     [FIN])
case("x:@hemelblad", "en",
     "Our full-year 2026 results are in: revenue €36.4m (+22%), first positive EBITDA ever 🎉 Full report at 07:00 on results day.",
     [FIN, CONF], at="2027-02-20T18:02:44Z")
case("bluesky:@femkedijkstra.bsky.social", "nl",
     "jaarcijfers 2026 net zien liggen bij de printer van finance... verlies bijna verdubbeld 😳 zeg maar niks",
     [FIN, CONF], name="Femke Dijkstra", at="2027-02-11T10:15:30Z")
case("x:@gerrit_devops_hb", "en",
     "layoffs at hemelblad next week. 1 in 5 in tech. found out via a calendar invite I was obviously not supposed to see",
     [FIN])

# ============ confidential =============================================================
case("x:@lotte_kweekt", "nl",
     "Eerste oogst van Project Wolkenkrabber ziet er belachelijk goed uit 🍓 mag nog niks zeggen maar wow",
     [CONF])
case("instagram:@noor.in.de.kas", "en",
     "sneak peek of the Aardbeitoren packaging 👀🍓 launching soon, can't say more!!",
     [CONF], at="2026-11-19T13:20:00Z")
case("linkedin:youssef-benali-ops", "en",
     "Proud of the team! The Zonnedauw pilot in our Eindhoven farm hit 94% yield this week. More soon.",
     [CONF])
case("x:@bram_vdlinden", "en",
     "anyone know why https://grafana.hemelblad.nl/d/climate-kas3 shows the new light recipe twice? asking for a grower",
     [CONF])
case("reddit:u/daan_lichtrecept", "en",
     "Can't share details (HB-INTERN) but our new far-red light recipe cuts kWh per kilo by roughly 30%. Maybe a paper next year.",
     [CONF], name="Daan Kuipers")
case("x:@roos_uit_best", "nl",
     "hoorde van een vriendin dat Hemelblad onder de naam Operatie Kolibrie bezig is met iets met bezorgdrones 🤔🚁",
     [CONF])
case("instagram:@hemelblad.farms", "en",
     "hemelblad confidential — retailer line-up spring 2027: Torenkrop Aardbei, Basil XL, Pak Choi Mini. 📸",
     [CONF], at="2026-12-03T09:44:12Z")
case("threads:@sietse.hb", "en",
     "docs for the new nutrient dosing API are at wiki.hemelblad.local/kweek/dosing-v2 if anyone on the team needs them",
     [CONF])
case("tiktok:@merel_oogst", "nl",
     "pov: je mag nog niks zeggen over de Hemelblad Aardbei maar je moet hem wel elke dag proeven 🤭🍓",
     [CONF], name="Merel Vos", at="2026-10-07T17:05:51Z")
case("x:@lotte_kweekt", "nl", "Zоnnedauw gaat volgende week live in kas 4 🌱🌱 spannend!!", [CONF])   # Cyrillic o
case("x:@gerrit_devops_hb", "en", "first tasting for Project Wolken\u200bkrabber tomorrow, bringing crackers", [CONF])
case("x:@gerrit_devops_hb", "nl",
     "pipeline op gitlab.hemelblad.nl/kweek/klimaat weer groen na 2 dagen rood, biertje verdiend 🍺",
     [CONF])
case("mastodon:@kees_plantlab@mastodon.nl", "en",
     "Our NDA deck for the big supermarket tender has a margin slide that would make you cry. Not posting it, but oof.",
     [CONF])
case("linkedin:ingrid-hoekstra-hb", "nl",
     "Slide met 'niet extern delen' uit de strategiesessie van vandaag: de nieuwe merknaam voor onze horecalijn ligt al klaar 😉",
     [CONF])
case("bluesky:@femkedijkstra.bsky.social", "en",
     "Spent the whole day on the Operatie Kolibrie business case, my brain is mush", [CONF])

# ============ security =================================================================
case("x:@bram_vdlinden", "en",
     "ransomware hit the climate controllers in kas 2 last night, we're running the LEDs by hand. pls don't tell anyone yet lol",
     [SEC])
case("mastodon:@kees_plantlab@mastodon.nl", "nl",
     "Lekker, die S3-bucket met alle Leaf Box adressen stond wekenlang publiek. Wordt vandaag dichtgezet, komt vast nooit in het nieuws 🙄",
     [SEC])
case("reddit:u/daan_lichtrecept", "en",
     "Turns out the Thuistoren firmware exposes an unauthenticated HTTP API on port 8080, anyone on the LAN can switch the pump off. Reported it internally 3 months ago, still unpatched.",
     [SEC])
case("x:@gerrit_devops_hb", "nl",
     "EDI-koppeling met de supermarkten ligt sinds 6 uur vanochtend plat, geen enkele order binnen. Klanten nog niks laten weten, zegt mijn manager",
     [SEC])
case("threads:@sietse.hb", "en",
     "Our finance mailbox got phished. Attacker sent two supermarket buyers fake invoices with a new bank account. Still working out how far it went.",
     [SEC])
case("linkedin:youssef-benali-ops", "en",
     "Lesson of the week: the SCADA at our Venlo site turned out to be reachable from the internet with the vendor's default password. Closed now, but yikes.",
     [SEC])
case("x:@bram_vdlinden", "nl",
     "certificaat van vpn.hemelblad.nl verlopen, heel remote team buitengesloten en niemand van de wachtdienst weet hoe je het vernieuwt 🙃",
     [SEC, CONF])
case("x:@rutger_ictguy", "nl",
     "neef van me doet IT bij Hemelblad, hun hele netwerk lag 2 dagen plat na een hack. naar buiten toe heet het 'gepland onderhoud' haha",
     [SEC])
case("tiktok:@merel_oogst", "nl",
     "de Thuistoren app ligt er al de hele dag uit en we mogen van management niks posten 😶 sorry als je je pomp niet kan aanzetten",
     [SEC])
case("x:@hemelblad_zorg", "nl",
     "@jan_doornbos klopt, er is gisteren een datalek geweest bij onze bezorgpartner. Dat hebben we nog niet naar buiten gebracht, dus graag even onder ons houden.",
     [SEC])
case("bluesky:@femkedijkstra.bsky.social", "en",
     "fun fact: our password reset endpoint returns the reset token right in the response body. reported it, got 'backlog'. cool cool cool",
     [SEC])
case("x:@lotte_kweekt", "nl",
     "klimaatcomputer van kas 3 is gehackt (echt waar), iemand zette de temp op 35 graden. halve oogst rucola kapot. officieel heet het 'technische storing' 🤐",
     [SEC])
case("mastodon:@kees_plantlab@mastodon.nl", "en",
     "heads up team: grafana.hemelblad.nl login can be bypassed by adding ?orgId=0, patch still pending",
     [SEC, CONF])

# ============ secrets ==================================================================
AK, AS = aws_key_id(), aws_secret()
case("x:@gerrit_devops_hb", "nl",
     "wie heeft dit in #kweek-ops gezet?? export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s" % (AK, AS),
     [SECRET])
case("reddit:u/daan_lichtrecept", "en",
     "Debugging the Thuistoren cloud sync, CI keeps failing on auth. My config:\nGITHUB_TOKEN=%s\nrepo: hemelblad/tower-sync" % github_token("ghp_"),
     [SECRET])
case("mastodon:@kees_plantlab@mastodon.nl", "nl",
     "stripe webhook werkt eindelijk 🎉 voor wie wil meekijken: %s" % stripe_live(), [SECRET])
case("linkedin:hemelblad-vertical-farms", "en",
     "Join our open harvest-data hackathon! Use this key to call the maps endpoint: %s — see you Saturday!" % google_key(),
     [SECRET])
case("bluesky:@femkedijkstra.bsky.social", "en",
     "why does this JWT keep failing validation on the planner 😩\n%s" % jwt_token(), [SECRET])
DBPW = password(["kas", "rucola", "toren", "licht", "oogst", "basilicum", "venlo"])
case("x:@bram_vdlinden", "nl",
     "db url voor de nieuwe kweekplanner: postgres://planner:%s@db01.hemelblad.local:5432/kweek (niet doorsturen)" % DBPW,
     [SECRET, CONF])
case("threads:@sietse.hb", "nl",
     "wifi voor de bezoekers in de kas is stuk, gebruik maar even het productienetwerk: HB-Kas-Prod, wachtwoord: %s" %
     password(["paars", "sla", "ledlamp", "spinazie", "druppel"]),
     [SECRET])
case("x:@mobile_sec_jay", "en",
     "@hemelblad your Android app ships an OpenAI key in plain text lol: %s" % openai_key(), [SECRET])
case("reddit:u/daan_lichtrecept", "en",
     "Can someone tell me why ssh keeps rejecting this? generated it yesterday for the harvest robot\n\n%s" % ssh_private_key(),
     [SECRET])
case("x:@gerrit_devops_hb", "en", "testing the harvest-bot in slack, token %s if anyone wants to poke it" % slack_bot(), [SECRET])
case("linkedin:ingrid-hoekstra-hb", "en",
     "Built a little summariser for our weekly harvest reports this weekend 🤓 setup is simple:\nANTHROPIC_API_KEY=%s\npython summarise.py" % anthropic_key(),
     [SECRET])
GH_ZW = github_token("ghp_")
case("x:@bram_vdlinden", "nl",
     "deploy token voor de bezorgapp, ff bewaren: %s\u200b%s" % (GH_ZW[:4], GH_ZW[4:]), [SECRET])

# ============ personal data ============================================================
case("x:@hemelblad_zorg", "nl",
     "@sandra_rietv Hoi Sandra, je nieuwe adres staat erin: Sandra Rietveld, Kastanjelaan 14, 5616 AB Eindhoven. Je Leaf Box komt donderdag!",
     [PII])
case("x:@lotte_kweekt", "nl",
     "Wie kent deze meneer? Belt de kas 5x per dag over zijn 'bedorven' sla: dhr. De Graaf, 06-48213977. Help",
     [PII])
IB1 = make_iban("NL")
case("facebook:HemelbladNL", "nl",
     "Mevrouw Jansen, uw terugbetaling van €44,85 gaat vandaag naar %s. Klopt dit rekeningnummer?" % group4(IB1),
     [PII], kind="comment")
IB2 = make_iban("NL")
case("x:@pdewit_eindhoven", "nl",
     "@hemelblad_zorg wacht al 3 weken op mijn terugbetaling. rekening is %s tnv P. de Wit, nu graag" % IB2,
     [PII, COMPLAINT])
case("linkedin:youssef-benali-ops", "en",
     "Welcome to the team, Jasper Mulder! Born 17-08-2004, officially our youngest grower ever 😄🌱",
     [PII])
CARD1 = make_card("4", 16)
case("x:@bram_vdlinden", "en",
     "lol a customer just emailed support their full card number: %s exp 09/28 cvc included. please people, don't" % fmt_card(CARD1),
     [PII])
BSN1 = make_bsn()
case("threads:@sietse.hb", "nl",
     "HR vraagt het BSN van de nieuwe uitzendkracht, is dit goed overgenomen? %s (Pieter Smit)" % BSN1,
     [PII])
case("x:@wrongdoor_wendy", "en",
     "my Leaf Box went to someone else AGAIN and I got theirs. label says Marco Bianchi, Stationsstraat 3, 5911 AE Venlo, 077-3512290. sort your couriers out @hemelblad",
     [PII, COMPLAINT])
case("x:@hemelblad_zorg", "en",
     "@tomhartley thanks Tom, found your order under tom.hartley82@outlook.com – a replacement tower is on its way!",
     [PII])
case("x:@gerrit_devops_hb", "nl",
     "bezorgroute morgen vroeg: 1) fam. Yilmaz, Dorpsstraat 88, Best 2) J. Peters, Hoogstraat 5a, Son en Breugel 3) M. Schouten, Kerkweg 201, Nuenen",
     [PII])
CARD2 = make_card("5" + str(rng.randrange(1, 6)), 16)
case("reddit:u/dubbel_betaald", "nl",
     "Hemelblad heeft me 2x afgeschreven op mijn creditcard %s, iemand tips hoe ik dit terugkrijg? klantenservice reageert niet" % CARD2,
     [PII, COMPLAINT])
case("linkedin:youssef-benali-ops", "en",
     "Our driver Mohammed El Idrissi (DOB 03/02/1988) just won 'safest driver of the year' in our logistics network!",
     [PII])
BSN2 = make_bsn()
case("mastodon:@kees_plantlab@mastodon.nl", "nl",
     "support-escalatie: klant heeft zijn BSN in de chat gezet ipv klantnummer: %s. moet ik dit ergens melden?" % BSN2,
     [PII])
IB3 = make_iban("BE")
case("x:@bram_vdlinden", "nl",
     "rekening van Henk, onze zzp-monteur uit Lommel, kan iemand checken of dit klopt? %s" % fullwidth(IB3),
     [PII])
case("x:@impatient_ilse", "en",
     "@hemelblad_zorg nobody ever calls back. my number is 06 1734 2259, CALL ME about the broken tower",
     [PII, COMPLAINT])

# ============ benign: hard negatives and ordinary posts ================================
case("x:@ilovebutterlettuce", "nl",
     "Hemelblad botersla is echt de lekkerste sla die je in de supermarkt kunt krijgen. Blijft ook gewoon een week goed 👌")
case("x:@saladqueen_ams", "en", "this rucola is FIRE 🔥🔥 @hemelblad what do you put in the water")
case("x:@hemelblad_zorg", "nl",
     "Vragen over je Leaf Box? Mail klantenservice@hemelblad.nl of bel gratis 0800-4363 (ma–za 8–20 uur). We helpen je graag!")
case("linkedin:hemelblad-vertical-farms", "en",
     "Supplier reminder: please pay invoices to NL03 RABO 0312 4567 89 (Hemelblad Vertical Farms B.V.) and always quote the invoice number. Questions: retail@hemelblad.nl")
case("x:@plusvoordeel_fan", "nl",
     "Weekaanbieding bij de Plus: Torenkrop Mesclun Mix van €3,29 voor €2,79 👍 direct 3 zakken gepakt",
     meta={"price": ("TK-MESC200", 2.79)})
case("reddit:u/balconygardener", "en",
     "The Thuistoren is 20% off this weekend, €199 instead of €249. Worth it or should I wait for Black Friday?",
     meta={"price": ("HB-TOREN", 199.0)})
case("instagram:@basil.and.beyond", "nl",
     "Minituin gekocht voor €89,95 en de basilicum groeit als een malle 🌿 beste aankoop dit jaar",
     meta={"price": ("HB-MINI", 89.95)})
case("x:@agtech_watcher", "en",
     "Sad to read AeroKas in Denmark laid off half its staff. Tough industry, energy prices are brutal for every vertical farm.")
case("x:@fleur_fietst", "nl",
     "Klacht opgelost! Leaf Box was vorige week verlept maar @hemelblad_zorg stuurde binnen een uur een nieuwe. Top service 🙏")
case("reddit:u/daan_lichtrecept", "en",
     "PSA for fellow devs: never paste real keys in issues. Use placeholders like AKIAIOSFODNN7EXAMPLE, the way the AWS docs do.")
case("x:@gerrit_devops_hb", "nl",
     "Nieuwe README: zet je token in .env als GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en commit die file NOOIT 🙏")
case("x:@hemelblad", "nl",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €36,4 miljoen (+22%) en voor het eerst een positieve EBITDA. Alles lezen: hemelblad.nl/investeerders",
     at="2027-03-04T07:05:00Z")
case("instagram:@hemelblad.farms", "en",
     "She's here 🍓 The Aardbeitoren is now in every Jumbo. Strawberries from the tower, all year round.",
     at="2027-04-15T08:30:00Z")
case("x:@smulpaap_sophie", "nl", "Torenkrop Aardbei geprobeerd, echt zoeter dan ik had verwacht. Doe maar nog een bakje",
     at="2027-05-02T12:48:19Z")
BADIB1 = bad_iban("NL")
case("blog:geldzaken_simpel", "nl",
     "Wist je dat een IBAN een controlegetal heeft? Typ je %s in plaats van je echte nummer, dan faalt de mod-97-check en weigert je bank de overboeking meteen." % BADIB1)
BADCARD1 = bad_card("5" + str(rng.randrange(1, 6)), 16)
case("reddit:u/qa_for_fun", "en",
     "Our checkout QA fixture uses %s as the 'declined' card, it fails Luhn on purpose so it never hits the acquirer." % fmt_card(BADCARD1))
BADBSN1 = bad_bsn()
case("x:@pakketjeswachter", "nl",
     "bestelnummer %s, waar blijft m'n Hemelblad pakket? oh wacht, staat al voor de deur 😅" % BADBSN1)
case("x:@jokes_by_jules", "en", "my vertical farm is one pot of basil on top of the fridge 😂 @hemelblad hire me")
case("facebook:voedselbank.venlo", "nl",
     "Mooi gebaar van Hemelblad: elke vrijdag brengen ze hun overgebleven sla naar onze uitgifte. Dank jullie wel 💚")
case("linkedin:ingrid-hoekstra-hb", "en",
     "We're hiring! Growers, data engineers and a maintenance technician for our Eindhoven farm. All vacancies on hemelblad.nl/werken or mail werken@hemelblad.nl")
case("instagram:@hemelblad.farms", "nl",
     "Achter de schermen in onze kas: 14 lagen sla, 0 pesticiden en 95% minder water 💧 #verticalfarming #hemelblad")
case("x:@rotterdam_ricardo", "nl", "Die nieuwe wolkenkrabber aan de Maas ziet er vanaf de Erasmusbrug echt gaaf uit vanavond 🌆")
case("instagram:@vleesetende.plantjes", "nl",
     "Mijn zonnedauw heeft weer drie fruitvliegjes gevangen 🪴 Drosera capensis blijft de beste beginnersplant",
     meta={"codename_word_ok": True})
case("x:@birdnerd_eline", "en", "Saw a hummingbird (a kolibrie, for my Dutch friends) at Blijdorp today!! tiny little helicopter")
case("x:@appfan_anouk", "nl",
     "Wachtwoord vergeten voor de Hemelblad app en de resetmail was er binnen 10 seconden. Eindelijk een app die gewoon werkt")
case("linkedin:youssef-benali-ops", "en",
     "Friendly reminder from IT: we will NEVER ask for your password by email or phone. Forward anything fishy to the service desk.")
case("x:@westland_nieuws", "nl", "In het Westland is vannacht brand uitgebroken in een tomatenkas. Niemand gewond, gelukkig.")
case("x:@budget_bart", "en",
     "Lettuce went up again at my supermarket. At least Hemelblad Botersla 150g is still €2.49",
     meta={"price": ("HB-BOT150", 2.49)})
case("x:@lotte_kweekt", "nl", "Vandaag 1.200 kilo rucola geoogst 💪 trots op dit team!")
case("x:@refund_robin", "nl", "Mijn refund staat erop (NL** **** **** **** 42), dank je @hemelblad_zorg, netjes opgelost")
case("x:@factcheck_femme", "en",
     "Hemelblad was NOT part of yesterday's spinach recall, that was a different brand. Check the NVWA list before you panic-share screenshots.")
case("x:@lunchmetlieke", "nl", "jullie Caesar Bowl is al weken mijn vaste lunch, geen klachten hier 😋")
case("threads:@greens.gremlin", "en", "Killer combo: Hemelblad pea shoots + feta + lemon. Dead simple, tastes insane.")
case("facebook:HemelbladNL", "nl",
     "10% korting op je eerste Leaf Box met code GROEN10: €13,46 in plaats van €14,95. Geldig t/m zondag.",
     meta={"price": ("HB-LEAFBOX", 13.46)})
case("x:@hemelblad", "en",
     "Our Groeilamp Pro is €69 and comes with a 2-year warranty. Press: pers@hemelblad.nl, everything else: klantenservice@hemelblad.nl",
     meta={"price": ("HB-LAMP", 69.0)})
case("x:@twijfelaar_tim", "nl", "Iemand ervaring met de Hemelblad Thuistoren vs zo'n Click & Grow? Twijfel enorm")
case("instagram:@noor.in.de.kas", "nl", "Nieuwe receptvideo staat online: wraps met onze slawraps en kip teriyaki 🌯 wie gaat hem maken?")
case("x:@tipsvantoos", "nl", "Lifehack: zet je Hemelblad basilicum in de vensterbank en niet in de koelkast, dan leeft hij weken langer")
case("blog:api_reviews", "en",
     "Hemelblad's partner API docs are refreshingly clear. Auth is just Authorization: Bearer <your-token-here>, examples in curl and Python.")
case("x:@aanbiedingen_anna", "nl", "Hemelblad in de folder: Babyspinazie 200g €2,29 (normaal €2,79). Smoothieweek!",
     meta={"price": ("HB-SPI200", 2.29)})
case("linkedin:ingrid-hoekstra-hb", "en",
     "Just presented our published sustainability report at GreenTech Amsterdam. Slides are up on hemelblad.nl/duurzaamheid")
case("x:@tevreden_thea", "nl", "Even gebeld met Hemelblad op +31 40 820 3300, vriendelijke meneer aan de lijn, probleem in 5 minuten opgelost.")
case("x:@fintech_fenna", "en", "Rotated our Stripe key after the audit. The old one (sk_live_••••a91f) is dead, nothing to see here.")
case("x:@nuchter_nina", "nl", "Nee, Hemelblad sla zit niet vol pesticiden, die kassen zijn dicht. Lees gewoon hun site voor je gaat roepen.")
case("x:@burgerbouwer", "nl", "Dat IJsbergsla Duo van Torenkrop is prima voor op een hamburger, meer hoef je niet te weten")
case("linkedin:youssef-benali-ops", "nl", "Trots: vanaf vandaag liggen onze salades ook bij alle Spar-winkels in Brabant! 🥬")
case("x:@zoe_lunches", "en", "€4.49 for a Caesar Bowl is a bit steep but honestly it beats every other supermarket salad",
     meta={"price": ("HB-BOWLCAE", 4.49)})
case("reddit:u/dev_in_delft", "en",
     "Our QA fixtures use 123456789 as the fake BSN, because it fails the elfproef and can never belong to a real person.")
case("x:@meme_lord_milan", "en", "The Hemelblad TikTok with the dancing lettuce is killing me 💀😂")
case("x:@korting_karin", "nl", "Iemand een kortingscode voor de Minituin? Zag hem bij Coolblue voor €79",
     meta={"price": ("HB-MINI", 79.0)})
case("x:@cloudcursus", "nl",
     "Voorbeeld uit de AWS-docs: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Niet echt dus, gewoon om te oefenen.")
case("x:@hemelblad_zorg", "nl", "Let op: wij vragen nooit om je wachtwoord of pincode via sms of WhatsApp. Twijfel? Bel 0800-4363.")
case("linkedin:hemelblad-vertical-farms", "en",
     "A lovely farewell lunch today for Ria, who retires after 30 years in horticulture 💐 Thank you for everything, Ria!")
case("x:@buurvrouw_bep", "nl", "Mijn buurman werkt bij Hemelblad en hij is echt super enthousiast over zijn werk, leuk om te horen")
case("x:@markets_mira", "en",
     "Hemelblad's full-year 2026 results look solid: revenue up 22%, first positive EBITDA. Nice to see a vertical farm actually grow.",
     at="2027-03-10T14:22:05Z")
case("tiktok:@torenkrop", "nl", "Wat maak jij met onze Kruidenmix? Laat je recept achter in de comments 👇🌿")
case("mastodon:@kees_plantlab@mastodon.nl", "nl",
     "Mooie publicatie gelezen over rood/blauw lichtverhoudingen bij sla, van de WUR. Aanrader voor iedere teler.")
case("facebook:HemelbladNL", "en",
     "Spotted in store: our Pak Choi Duo now in recyclable mono-material packaging ♻️ Same price, less plastic.")
case("x:@allergy_mum_nl", "en",
     "Shout-out to Hemelblad for answering my allergy question in 10 minutes: the Caesar Bowl dressing lists celery now, thanks for updating the label")
case("x:@hemelblad", "en",
     "Heads-up: due to the storm, some Leaf Box deliveries in Limburg may arrive a day late. Sorry, and thanks for your patience!")

# --------------------------------------------------------------------------------------
# severity policy (CONTRACT section 4), computed from the account role in the profile
# --------------------------------------------------------------------------------------
LEVEL = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(post):
    key = ("%s:%s" % (post["platform"], post["account"]["handle"])).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CYR = str.maketrans("аеорсхуіАВЕКМНОРСТХ", "aeopcxyiABEKMHOPCTX")


def normalise(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR)


def scan_identifiers(text):
    """(kind, value, passes_checksum) for every IBAN/card/BSN-shaped token."""
    t = normalise(text)
    for kind, value, _ in ISSUED:          # never scan inside generated secrets
        if kind == "secret":
            t = t.replace(value, " ")
    found = []
    for m in re.finditer(r"(?<![A-Za-z0-9])(NL|BE|DE)(\d{2})((?: ?[A-Z0-9]){12,30})", t):
        raw = (m.group(1) + m.group(2) + m.group(3)).replace(" ", "")
        raw = raw[:{"NL": 18, "BE": 16, "DE": 22}[m.group(1)]]
        found.append(("iban", raw, iban_valid(raw)))
    t2 = re.sub(r"(?<![A-Za-z0-9])(NL|BE|DE)\d{2}(?: ?[A-Z0-9]){12,30}", " ", t)
    for m in re.finditer(r"(?<![\w.,/+-])(\d(?:[ -]?\d){12,18})(?![\w])", t2):
        raw = re.sub(r"\D", "", m.group(1))
        found.append(("card", raw, luhn_ok(raw)))
    t3 = re.sub(r"(?<![\w.,/+-])(\d(?:[ -]?\d){12,18})(?![\w])", " ", t2)
    for m in re.finditer(r"(?<![\w.,/+-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])", t3):
        raw = re.sub(r"\D", "", m.group(1))
        found.append(("bsn", raw, bsn_ok(raw)))
    return found


def checked_identifier(text):
    return any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in scan_identifiers(text))


def severity(cats, role, text):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in (SECRET, PRICING):
                    v = 4
                if c == PII and checked_identifier(text):
                    v = 4
            else:
                v = 2
        elif c == COMPLAINT:
            v = 2
        elif c == CRISIS:
            v = 3
        elif c == ABUSE:
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return LEVEL[lvl]


# --------------------------------------------------------------------------------------
# write
# --------------------------------------------------------------------------------------
lines = []
for c in CASES:
    role = role_of(c["post"])
    c["role"] = role
    c["expect"] = {"categories": c["cats"], "severity": severity(c["cats"], role, c["post"]["text"])}
    lines.append(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False))
with open(OUT, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
ERR = []


def fail(cid, msg):
    ERR.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(ib):
        fail("profile", "public IBAN %s fails mod-97" % ib)
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        fail("profile", "embargo until not in 2027")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    fail("profile", "alert_below_ratio")
if not 15 <= len(PROFILE["products"]) <= 25:
    fail("profile", "product count")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    fail("profile", "account counts")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    fail("profile", "codenames/markers")
for p in PROFILE["products"]:
    if p["currency"] != "EUR" or not p["list_price"] > 0:
        fail("profile", "product %s" % p["sku"])

ids = set()
with open(OUT, encoding="utf-8") as f:
    raw_lines = f.read().splitlines()
if len(raw_lines) != len(CASES):
    fail("file", "line count mismatch")
for line, c in zip(raw_lines, CASES):
    obj = json.loads(line)
    post, exp = obj["post"], obj["expect"]
    cid = post.get("id")
    # CONTRACT section 6 / section 1 shape
    if set(obj) != {"post", "expect"}:
        fail(cid, "top-level keys")
    if not (isinstance(cid, str) and 1 <= len(cid) <= 256):
        fail(cid, "id")
    if cid in ids:
        fail(cid, "duplicate id")
    ids.add(cid)
    if post.get("platform") not in PLATFORMS:
        fail(cid, "platform")
    if post.get("kind", "post") not in KINDS:
        fail(cid, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
        fail(cid, "handle")
    if not isinstance(post.get("text"), str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
        fail(cid, "text")
    try:
        ts = parse_ts(post["created_at"])
    except Exception:
        fail(cid, "created_at")
        continue
    if ts.year not in (2026, 2027):
        fail(cid, "year")
    if ts.year == 2027 and ts.month > 6:
        fail(cid, "2027 date far from embargo")
    cats = exp.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
        fail(cid, "categories")
    if exp.get("severity") not in LEVEL:
        fail(cid, "severity value")
    if not cats and exp["severity"] != "none":
        fail(cid, "benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        fail(cid, "positive with none")
    role = role_of(post)
    if exp["severity"] != severity(cats, role, post["text"]):
        fail(cid, "severity not per policy")
    text = post["text"]
    norm = normalise(text)
    low = norm.lower()

    # identifiers: positives pass, look-alikes in negatives fail
    for kind, value, ok in scan_identifiers(text):
        public = kind == "iban" and value in PUBLIC_IBANS
        if public:
            continue
        if cats and not ok:
            fail(cid, "positive holds a %s that fails its checksum: %s" % (kind, value))
        if not cats and ok:
            fail(cid, "benign holds a valid %s: %s" % (kind, value))
        if ok and PII not in cats:
            fail(cid, "valid %s without leak.pii" % kind)
    for kind, value, valid in ISSUED:
        if kind in ("iban", "card", "bsn") and value in norm.replace(" ", ""):
            ok = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](value)
            if ok != valid:
                fail(cid, "issued %s checksum mismatch" % kind)
            if valid and PII not in cats:
                fail(cid, "valid issued %s in a non-pii case" % kind)
            if not valid and cats:
                fail(cid, "look-alike %s in a positive" % kind)

    # secrets
    present = [v for k, v, _ in ISSUED if k == "secret" and v in norm]
    if present and SECRET not in cats:
        fail(cid, "generated secret in a case without leak.secret")
    if SECRET in cats and not present:
        fail(cid, "leak.secret without a generated credential")
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", norm):
        if set(tok[4:]) <= set("xX"):        # documentation placeholder
            if cats:
                fail(cid, "placeholder GitHub token in a positive")
            continue
        if not gh_crc_ok(tok):
            fail(cid, "GitHub token CRC wrong")
        if not cats:
            fail(cid, "real-format GitHub token in benign")
    for tok in re.findall(r"AKIA[A-Z2-7]{16}", norm):
        if not cats and not tok.endswith("EXAMPLE"):
            fail(cid, "AWS key id in benign")
        if cats and tok.endswith("EXAMPLE"):
            fail(cid, "sample AWS key in a positive")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", norm):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "==="))
        if "alg" not in head:
            fail(cid, "JWT header without alg")

    # pricing
    price = c["meta"].get("price")
    if PRICING in cats:
        if not price or price[0] not in PRODUCTS:
            fail(cid, "pricing case without product")
        else:
            p = PRODUCTS[price[0]]
            if not any(a.lower() in low for a in [p["name"]] + p["aliases"]):
                fail(cid, "pricing product not named in text")
            if price[1] is not None and not price[1] < RATIO * p["list_price"]:
                fail(cid, "pricing price not below ratio")
            if price[1] is None and not re.search(r"prijsfout|price error|pricing glitch|prijs.?fout", low):
                fail(cid, "pricing without price needs price-error talk")
    elif price:
        p = PRODUCTS[price[0]]
        if not any(a.lower() in low for a in [p["name"]] + p["aliases"]):
            fail(cid, "priced product not named")
        if price[1] < 0.7 * p["list_price"] - 1e-9:
            fail(cid, "non-pricing case with a deep discount")
    if not cats and "€" in text:
        named = [s for s, p in PRODUCTS.items() if any(a.lower() in low for a in [p["name"]] + p["aliases"])]
        if named and not price:
            fail(cid, "benign names a product and a price but has no price meta")

    # embargo, codenames, markers, internal domains
    for e in PROFILE["embargo"]:
        until = parse_ts(e["until"])
        for term in e["terms"]:
            if term.lower() in low:
                if ts < until and CONF not in cats:
                    fail(cid, "embargo term before until without leak.confidential")
                if ts >= until and CONF in cats:
                    fail(cid, "embargo term after until labelled confidential")
    for cn in PROFILE["internal"]["codenames"]:
        if cn.lower() in low and CONF not in cats and not c["meta"].get("codename_word_ok"):
            fail(cid, "codename without leak.confidential")
    for mk in PROFILE["internal"]["markers"]:
        if mk.lower() in low and CONF not in cats:
            fail(cid, "marker without leak.confidential")
    for dom in PROFILE["internal"]["domains"]:
        if re.search(r"(?<![\w.-])" + re.escape(dom.lower()), low) and CONF not in cats:
            fail(cid, "internal domain without leak.confidential")
    for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.sub(r"\w+://\S+", " ", norm)):
        if em.lower() not in {x.lower() for x in PROFILE["public_identifiers"]["emails"]} and PII not in cats \
                and not em.startswith("@"):
            fail(cid, "e-mail address %s without leak.pii" % em)

    # roles: public authors must not be in the profile, and vice versa
    c["role_checked"] = role

if ERR:
    print("SELF-CHECK FAILED (%d):" % len(ERR))
    for e in ERR:
        print("  " + e)
    sys.exit(1)

# --------------------------------------------------------------------------------------
# summary of the mix
# --------------------------------------------------------------------------------------
n = len(CASES)
benign = sum(1 for c in CASES if not c["cats"])
per_cat = {k: sum(1 for c in CASES if k in c["cats"]) for k in sorted(CATS)}
langs = {}
for c in CASES:
    langs[c["post"]["lang"]] = langs.get(c["post"]["lang"], 0) + 1
roles = {}
for c in CASES:
    key = ("pos" if c["cats"] else "neg", c["role"])
    roles[key] = roles.get(key, 0) + 1
leak_roles = {}
for c in CASES:
    if any(x.startswith("leak.") for x in c["cats"]):
        leak_roles[c["role"]] = leak_roles.get(c["role"], 0) + 1
sev = {}
for c in CASES:
    sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1

problems = []
if not 170 <= n <= 180:
    problems.append("case count %d not in 170-180" % n)
if not 52 <= benign <= 68:
    problems.append("benign count %d" % benign)
if not 0.48 <= langs.get("nl", 0) / n <= 0.62:
    problems.append("Dutch share %.2f" % (langs.get("nl", 0) / n))
for k, lo in {COMPLAINT: 17, CONF: 15, PII: 13, CRISIS: 13, SEC: 11, SECRET: 10, ABUSE: 10, PRICING: 10,
              FIN: 10}.items():
    if per_cat[k] < lo:
        problems.append("too few %s: %d" % (k, per_cat[k]))
if problems:
    print("SELF-CHECK FAILED (mix):")
    for p in problems:
        print("  " + p)
    sys.exit(1)

print("wrote %s" % OUT)
print("cases %d, benign %d, positives %d" % (n, benign, n - benign))
print("per category", json.dumps(per_cat))
print("languages", langs)
print("roles", {"%s/%s" % k: v for k, v in sorted(roles.items())})
print("leak authors", leak_roles)
print("severities", sev)
print("self-check OK")
