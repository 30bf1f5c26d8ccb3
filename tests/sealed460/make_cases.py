#!/usr/bin/env python3
"""Build the labelled evaluation set for Ringvuur Gyms B.V. (sealed set 460).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. The post texts are hand-written. Writes cases.jsonl next to this file
and then checks it against the contract (format, checksums, severity policy,
embargo windows, prices). Exits non-zero when a check fails.

Standard library + PyYAML only.
"""
import base64
import json
import os
import re
import random
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 460_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# identifier and credential generators
# --------------------------------------------------------------------------
DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acc = rand(DIGITS, 10)
    bban = bank + acc
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_check_ok(iban)
    return iban


def bad_iban(bank):
    good = make_iban(bank)
    while True:
        cd = "%02d" % rng.randrange(2, 99)
        cand = good[:2] + cd + good[4:]
        if not iban_check_ok(cand):
            return cand


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


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
    body = prefix + rand(DIGITS, length - len(prefix) - 1)
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    last = str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    bad = good[:-1] + last
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        head = str(rng.randrange(1, 10)) + rand(DIGITS, 7)
        t = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if t < 10:
            bsn = head + str(t)
            assert bsn_ok(bsn)
            return bsn


def bad_bsn():
    while True:
        cand = str(rng.randrange(1, 10)) + rand(DIGITS, 8)
        if not bsn_ok(cand):
            return cand


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, alg="HS256"):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def slack_bot_token():
    return "xoxb-%s-%s-%s" % (rand(DIGITS, 11), rand(DIGITS, 13), rand(ALNUM, 24))


def stripe_live_key():
    return "sk_live_51" + rand(ALNUM, 97)


def mollie_live_key():
    return "live_" + rand(ALNUM, 30)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def google_api_key():
    return "AIza" + rand(URLSAFE, 35)


def telegram_bot_token():
    return "%d:AA%s" % (rng.randrange(5_000_000_000, 8_000_000_000), rand(URLSAFE, 33))


def strong_password(n=14, specials="!#$&*?@"):
    pool = string.ascii_letters + string.digits + specials
    while True:
        p = rand(pool, n)
        if (any(c.isdigit() for c in p) and any(c.islower() for c in p)
                and any(c.isupper() for c in p) and any(c in specials for c in p)):
            return p


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def mobile(style):
    d = "6" + str(rng.randint(1, 5)) + rand(DIGITS, 7)
    if style == "dash":
        return "06-" + d[1:]
    if style == "pairs":
        return "06 " + " ".join(d[i:i + 2] for i in range(1, 9, 2))
    if style == "intl":
        return "+31 6 " + d[1:]
    if style == "intl0":
        return "+31 (0)6 %s %s" % (d[1:5], d[5:])
    return "0" + d


ZW = "\u200b"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "x": "\u0445", "y": "\u0443", "P": "\u0420", "A": "\u0410", "E": "\u0415",
       "O": "\u041e", "C": "\u0421", "T": "\u0422", "K": "\u041a", "M": "\u041c"}


def cyrillic(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint",
    "crisis": "reputation.crisis",
    "abuse": "reputation.abuse",
    "pii": "leak.pii",
    "secret": "leak.secret",
    "pricing": "leak.pricing",
    "confidential": "leak.confidential",
    "financial": "leak.financial",
    "security": "leak.security",
}

CASES = []


def add(platform, handle, text, cats=(), lang="nl", when=None, kind="post",
        prices=(), name=None):
    CASES.append({
        "platform": platform, "handle": handle, "text": text,
        "cats": sorted(CAT[c] for c in cats), "lang": lang, "when": when,
        "kind": kind, "prices": list(prices), "name": name,
    })


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ======================= BENIGN (hard negatives mostly) =====================
add("x", "@sanne_slaat",
    "Eerste proefles bij Ringvuur Utrecht gehad en ik kan mn armen letterlijk niet meer optillen 😂 coach was top, ik kom zeker terug")
add("instagram", "@jake.lifts",
    "Heavy bags at Ringvuur Amsterdam Oost getting absolutely destroyed tonight 🔥 fight night prep, let's gooo #ringvuur #boxing",
    lang="en")
add("x", "@ringvuur",
    "Vragen over je lidmaatschap? Mail naar leden@ringvuur.nl of bel 085-303 1190 (ma t/m vr 9-17u). We helpen je graag 🥊")
add("facebook", "RingvuurGyms",
    f"Paying your membership by bank transfer instead of direct debit? Use IBAN {spaced(PUB_IBAN)} in the name of Ringvuur Gyms B.V. and put your member number in the description. Questions: info@ringvuur.nl",
    lang="en")
add("x", "@kickbokskevin",
    "Black Friday bij Ringvuur Gear: Pro Bokshandschoenen 14oz van €89,95 voor €71,95. Goeie deal als je nog van die oude klapperhandschoenen hebt",
    prices=[("Pro Bokshandschoenen 14oz", 71.95)])
add("instagram", "@ringvuur.gyms",
    "Summer sale 🌞 Shinguard Elite now €63.95 (was €79.95) while stocks last. Your shins will thank you.",
    lang="en", prices=[("Shinguard Elite", 63.95)])
add("threads", "@wouter.traint",
    "Mijn jaarpas kost €699 maar ik train 5x per week, dus per training is dat echt niks. Beste investering van het jaar tbh",
    prices=[("jaarpas", 699.00)])
add("reddit", "u/slowjab_sam",
    "Question for Ringvuur members: is the Unlimited membership (€69.95/month) worth it over Basic if I only do like 3 classes a week? The open mat on sunday is the only extra I'd use",
    lang="en", prices=[("Unlimited membership", 69.95)])
add("x", "@boxingnerd_ams",
    "That fight at the Ziggo Dome last night was insane, KO in round one. Blood everywhere, absolute war 🩸🥊 watched it with the whole Ringvuur crew, the gym went nuts",
    lang="en")
add("x", "@tanya_rtm",
    "Shoutout to coach Marloes at Ringvuur Rotterdam for not letting me quit in round 9. Absolute killer workout, I am dead 💀💀",
    lang="en")
add("facebook", "mirjam.vosjes",
    "Vorige maand een klacht ingediend over de kleedkamers bij Ringvuur Den Haag en binnen een week hingen er nieuwe douchekoppen. Netjes opgelost, complimenten 👍")
add("x", "@fightfan_lex",
    "Sad news from the kickboxing world today. Thoughts with the family of the fighter who passed away after his bout in Germany. Ringvuur Eindhoven held a minute of silence before the evening class, classy.",
    lang="en")
add("x", "@bertje_b",
    "Wild dat IronPulse Fitness voor de rechter moet om die opzegkosten. Blij dat mijn Ringvuur contract gewoon maandelijks opzegbaar is")
add("tiktok", "@noor.kb",
    "wie gaat er zaterdag mee naar de interclub bij Ringvuur?? we gaan ze helemaal slopen daar 😤🔥 #kickboksen")
add("mastodon", "@sjoerd_dev@mastodon.nl",
    "Reminder for anyone writing docs: never paste real credentials in issues. Use the placeholders, e.g. AKIAIOSFODNN7EXAMPLE or ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, and let the secret scanner do its job.",
    lang="en")
add("x", "@ricardo_it_rv",
    "Config-voorbeeld voor de workshop van morgen: DATABASE_URL=postgres://<gebruiker>:<wachtwoord>@localhost:5432/demo — vul je eigen gegevens in natuurlijk, niks van productie")
add("x", "@ellen_kickt",
    f"Heb €29,95 voor de Kids Kickboks les overgemaakt naar {spaced(bad_iban('RABO'))} maar het komt terug?? Staat dat nummer nog ergens op de site of is het een oud nummer",
    prices=[("Kids Kickboks", 29.95)])
add("x", "@danny_the_jab",
    f"Ringvuur app asked for my card again so I typed {spaced(bad_card('4'))} from some tutorial lol. rejected obviously. real card next time I promise",
    lang="en")
add("reddit", "u/privacyfirst_nl",
    "Waarom vraagt het inschrijfformulier van een sportschool om je BSN? Ik heb gewoon 123456789 ingevuld en het ging door haha. Bij Ringvuur hoefde het trouwens niet, die vragen alleen IBAN voor de incasso")
add("linkedin", "ringvuur-gyms",
    "De jaarcijfers 2026 van Ringvuur Gyms staan online. Meer leden, twee nieuwe clubs en een recordaantal jeugdleden. Lees het volledige persbericht op ringvuur.nl/pers",
    when="2027-02-26T08:30:00Z")
add("linkedin", "bram-delange",
    "It's finally here: the Ringvuur Apex Glove. Hand-stitched in Portugal, tested by our fighters for a year. Available from today at shop.ringvuur.nl 🥊",
    lang="en", when="2027-03-16T10:05:00Z")
add("facebook", "gerrit.v.ommen",
    "Verkoop mijn oude Heavy Bag 150, 4 jaar gebruikt, paar krassen en de ketting roest een beetje. €90 ophalen in Zwolle. Stuur maar een berichtje")
add("instagram", "@carmen.moves",
    "Lost 8 kg since joining Ringvuur Eindhoven in January. The coaches genuinely care. Not sponsored, just really happy 🫶",
    lang="en")
add("tiktok", "@kim.bokst",
    "Combo van de week: jab-jab-hoek-uppercut 👊 wie durft hem op de zak te slopen? tag je trainingsmaatje #ringvuur #kickboksen #combo")
add("instagram", "@yusuf.trains",
    "Proud of my fighters this weekend: 3 wins, 1 tough loss on points. Bruised but not broken. Back to work Monday 💪",
    lang="en")
add("x", "@ringvuur_help",
    "⚠️ Let op: er gaan nep-appjes rond. Ringvuur vraagt NOOIT via WhatsApp om je wachtwoord of pincode. Twijfel je? Bel ons op 085-303 1190.")
add("x", "@ringvuur_help",
    "@tombakker_ Hi Tom, sorry the app logged you out again! We pushed a fix this morning, could you update to the latest version? If it still happens just DM us 🙏",
    lang="en", kind="reply")
add("x", "@loesje_vd",
    "Mijn vriend zegt steeds dat kickboksen gevaarlijk is. Ik zeg: 2 jaar bij Ringvuur, nul blessures, wel een hoop zelfvertrouwen 😌")
add("threads", "@jitske.j",
    "Iemand tips voor een bitje? Twijfel tussen de Custom Fit van Ringvuur (€24,95) en zo'n goedkope van de Decathlon die je zelf moet koken",
    prices=[("Custom Fit", 24.95)])
add("x", "@secnews_daily",
    "StrongHouse Gyms confirms breach, data of 40k members exposed. If you train elsewhere (Ringvuur, Fit20 etc) you're not affected, but turning on 2FA never hurts.",
    lang="en")
add("linkedin", "evelien-smits-rv",
    "We zoeken trainers! Boksen, kickboksen of BJJ en zin om mensen sterker te maken? Kijk op ringvuur.nl/werken of mail je cv naar werken@ringvuur.nl. Deel gerust in je netwerk 🙌")
add("linkedin", "bram-delange",
    "Great panel at the Fitness Business Summit in Utrecht yesterday on how independent gym chains can compete with the budget giants. Community beats square metres. Thanks for having me!",
    lang="en")
add("x", "@pieter_patat",
    "Hahaha mijn trainer bij Ringvuur noemde me vandaag een luie aardappel en eerlijk is eerlijk, hij had gelijk 🥔")
add("x", "@nina_in_utrecht",
    "Respect to the Ringvuur staff who helped the man who collapsed at the bus stop outside the gym tonight. CPR until the ambulance came. Actual heroes.",
    lang="en")
add("mastodon", "@sjoerd_dev@mastodon.nl",
    "Wrote up how we rotate CI secrets at Ringvuur — no secrets in the post, promise 😉 Tokens in the screenshots look like ghp_<redacted> and AKIA**************** on purpose.",
    lang="en")
add("x", "@mo_kickt",
    "Dacht dat Ringvuur Rotterdam onbereikbaar was, bleek dat ik een oud nummer had. Het juiste is +31 10 808 4400, binnen 1 minuut iemand aan de lijn. Mijn fout dus")
add("instagram", "@fightforfood_nl",
    "Ringvuur x Voedselbank: neem 2 houdbare producten mee en je traint gratis mee met de zaterdagles. Mooi initiatief ❤️")
add("x", "@bas_boxt",
    "Die Recovery Shake van Ringvuur smaakt gewoon naar een milkshake, verslavend. €3,50 na de training en ik ben weer mens",
    prices=[("Recovery Shake", 3.50)])
add("x", "@ringvuur",
    "PSA: the account 'ringvuur_giveaway2026' DMing people about free gloves is fake. Our only accounts are linked on ringvuur.nl. Don't send them anything 🙏",
    lang="en")
add("tiktok", "@ringvuur",
    "POV: je eerste sparringsessie en je denkt dat je Rocky bent 🥊😂 #ringvuur #boksen #sparring")
add("youtube", "@RingvuurTV",
    "New video: 5 mistakes beginners make with hand wraps (and how our coaches fix them). Link in bio.",
    lang="en")
add("forum", "Ricky_B",
    "Zijn de kleedkamers in Utrecht alweer open na de verbouwing? Stond vorige week voor een dichte deur, maar op de site stond wel dat het tijdelijk was")
add("instagram", "@lien.trains",
    "Zomerkamp Ardennen early bird: €626,50 in plaats van €895. Geboekt!! Wie gaat er nog meer? 🏕️🥊",
    prices=[("Zomerkamp Ardennen", 626.50)])
add("x", "@thijsjanssen",
    "Speed Rope van Ringvuur voor €14,95 gescoord in de uitverkoop, was €19,95. Nu nog leren springen zonder mn enkels te raken",
    prices=[("Speed Rope", 14.95)])
add("reddit", "u/api_tinkerer",
    "Ringvuur's public class-schedule API is surprisingly neat. Docs just say send `Authorization: Bearer YOUR_TOKEN_HERE`, had a little widget running in 10 min.",
    lang="en")
add("x", "@marloes_boxcoach",
    "Vandaag 12 kids geslaagd voor hun eerste graduatie bij Kids Kickboks 🥋 trotse coach hier, ze hebben zo hard gewerkt 🥹")
add("x", "@anne_wilt_tri",
    "Wie heeft er ooit een Ironman gedaan? Wil volgend jaar een hele doen, maar eerst deze winter bij Ringvuur mijn conditie opbouwen")
add("x", "@aandeelhouder_henk",
    "Jaarcijfers 2025 van FitVolt vandaag gelezen, indrukwekkende groei. Benieuwd hoe kleinere ketens als Ringvuur het straks doen")
add("x", "@dropped_hands",
    "Sparring partner broke my nose last year, fully my own fault, dropped my hands. Still love this sport and Ringvuur's coaching. Keep your guard up kids.",
    lang="en")
add("x", "@ehv_emma",
    "Ringvuur Strijp heeft gewoon de beste sfeer van alle sportscholen in Eindhoven, punt. Fight me 😤")
add("bluesky", "@tariq-ops.bsky.social",
    "Gepland onderhoud: zondag 06:00-08:00 is de Ringvuur app even niet bereikbaar voor een update. Volg het op status.ringvuur.nl 🔧")
add("x", "@beurs_bram",
    "Ringvuur's full-year results 2026 out this morning, membership up 18%. Not bad for a chain that started in a garage in Rotterdam-Zuid.",
    lang="en", when="2027-02-26T09:12:00Z")
add("instagram", "@amsterdamfitgirl",
    "Eindelijk binnen geweest in de Ringvuur Arena Amsterdam en wauw, wat een zaal. Echte ring in het midden en tribunes 😍",
    when="2027-03-20T19:40:00Z")
add("x", "@uppercut_ulla",
    "Coach bij Ringvuur zei dat mijn uppercut in drie landen verboden zou moeten worden 😂 beste compliment ooit")
add("facebook", "joke.hermans.3",
    "Mijn dochter (9) doet nu een half jaar Kids Kickboks bij Ringvuur Laak. Ze was zo verlegen en nu staat ze trots haar combinaties te laten zien aan oma. Dankjewel trainers ❤️")
add("reddit", "u/mma_dad",
    "PSA for people comparing gear: the Ringvuur Grappler MMA gloves are €64.95, the Venum ones were about €10 more. Both fine, Ringvuur ones break in faster imo.",
    lang="en", prices=[("Grappler MMA gloves", 64.95)])
add("x", "@ringvuur",
    "Vandaag 10% korting op alle Ringvuur wraps: bandages 4,5m nu €11,65. Wikkel ze goed, je handen zijn je gereedschap 🔧🥊",
    prices=[("bandages 4,5m", 11.65)])
add("x", "@cynthia_dh",
    "Ik werd gisteren gebeld door iemand die zei van Ringvuur te zijn en mijn IBAN wilde 'controleren'. Heb opgehangen en Ringvuur gebeld: was niet van hen, ze hebben het gemeld. Let op mensen!")
add("x", "@bokszak_berend",
    "Die nieuwe Titan-zakken van Everlast zijn echt beestachtig zwaar. Ringvuur Laak heeft er eentje en ik voel m nog steeds in mn polsen")
add("linkedin", "ringvuur-gyms",
    "Vandaag opende Ringvuur officieel de deuren in Amersfoort. Dank aan de gemeente, onze buren en de 300 leden die er al vanaf dag één bij zijn. Op naar veel mooie trainingen!")

N_BENIGN = len(CASES)

# =========================== COMPLAINT (single) =============================
add("x", "@dewi_vdh",
    "@ringvuur_help al 3 weken probeer ik mijn lidmaatschap op te zeggen en elke keer 'we bellen u terug'. Nooit gebeld. Ondertussen wordt er gewoon weer €69,95 afgeschreven. Dit is toch niet normaal?",
    ["complaint"], kind="reply")
add("reddit", "u/gloves_up_greg",
    "Ringvuur Amsterdam Oost changed the timetable AGAIN without telling anyone. Third time this month I show up for the 19:00 Muay Thai and it's just... not there. Paying for classes that don't exist.",
    ["complaint"], lang="en")
add("instagram", "@fenna.fit",
    "Douches bij Ringvuur Utrecht al 2 weken ijskoud 🥶 en de kleedkamer ruikt naar een dode rat. Voor 40 euro in de maand mag je toch wel iets verwachten??",
    ["complaint"])
add("x", "@mk_boxes",
    "ordered the Pro 16oz gloves from Ringvuur Gear on the 3rd, still 'processing' on the 28th. support just replies with copy paste. great start ngl",
    ["complaint"], lang="en")
add("facebook", "hans.verkerk.1979",
    "Onze zoon zit op kickboksen bij Ringvuur Den Haag maar de trainer is nu al 4 lessen niet komen opdagen. Kinderen zitten een uur op de mat te wachten. Geen bericht, geen excuus, niks. Wij zijn er klaar mee.",
    ["complaint"])
add("forum", "GymGoer_Ahmed",
    "Ringvuur app keeps double-booking me and then charges a no-show fee for the class I never booked. Emailed twice, zero answer. Anyone else? Not impressed at all.",
    ["complaint"], lang="en")
add("tiktok", "@boksmeisje_ilse",
    "ringvuur rdam zuid is echt overvol na 18u, je staat met 4 man rond 1 zak. 'max 20 pp per les' ja tuurlijk 🙄 #ringvuur",
    ["complaint"])
add("threads", "@priyaboxes",
    "Bought the PT 10-rittenkaart, my trainer left after session 3 and now they say the rest 'expires' in 2 weeks unless I take whoever is free. That's €549 Ringvuur, come on.",
    ["complaint"], lang="en", prices=[("PT 10-rittenkaart", 549.00)])
add("x", "@rvdb1987",
    "2x een Headguard Tournament gekocht bij Ringvuur en bij allebei scheurt de binnenvoering na een maand. Retour? 'Slijtage meneer'. Ja doei",
    ["complaint"])
add("facebook", "marcus.okafor",
    "Froze my Ringvuur membership for surgery recovery, which the contract explicitly allows. They still charged me for 2 months. Finance says 'system error' but six weeks later, still no refund.",
    ["complaint"], lang="en")

# ===================== CRISIS + COMPLAINT (first-hand harm) =================
add("x", "@jorisboks",
    "Vorige week bij Ringvuur Eindhoven viel tijdens de les een plafondrooster naar beneden, kwam op een halve meter van mijn hoofd neer. Niemand van het personeel heeft ook maar sorry gezegd. Levensgevaarlijk!!",
    ["crisis", "complaint"])
add("instagram", "@sophie.kicks",
    "My Ringvuur Shinguard Elite strap snapped mid-sparring and the plastic edge sliced my shin open. 6 stitches. That's your 'elite' gear?? 🤬",
    ["crisis", "complaint"], lang="en")
add("facebook", "anouk.dekker.77",
    "Na een Recovery Shake uit de bar van Ringvuur Groningen de hele nacht liggen overgeven, mijn trainingsmaatje precies hetzelfde. Die melk was echt niet goed. Ik wil weten wat erin zat.",
    ["crisis", "complaint"])
add("x", "@big_dave_lifts",
    "The wall bracket of the heavy bag at Ringvuur Den Haag ripped straight out of the wall while I was on it. Bag landed on my foot, fractured toe. I TOLD them weeks ago it was wobbly.",
    ["crisis", "complaint"], lang="en")
add("reddit", "u/kickbokskoen",
    "Gisteren een stroomschok gekregen van het bedieningspaneel van de sauna bij Ringvuur Amsterdam Oost. Echt een tik door mn hele arm. Balie moest erom lachen. Dit is gewoon niet oké",
    ["crisis", "complaint"])
add("tiktok", "@liamtrains",
    "got my son the Ringvuur Custom Fit mouthguard and 10 min in his lips started swelling up, we ended up in A&E. not a single word about allergens on the box",
    ["crisis", "complaint"], lang="en")

# ============================= CRISIS (single) ==============================
add("x", "@nieuwsflits_ehv",
    "Brandweer rukt uit naar de Ringvuur sportschool op Strijp-S, rook uit de saunaruimte. Volgens omstanders is het pand ontruimd. Meer volgt.",
    ["crisis"])
add("x", "@privacy_watch_eu",
    "Ringvuur Gyms appears to have leaked its member database: names, emails and birthdates posted on a forum this morning. Members, change your passwords. Ringvuur silent so far.",
    ["crisis"], lang="en")
add("x", "@boxbond_kritisch",
    "BOYCOT Ringvuur! Hun trainer in Rotterdam is veroordeeld voor mishandeling en staat gewoon weer op de mat met kinderen. Zeg je abonnement op. #boycotringvuur",
    ["crisis"])
add("linkedin", "vos-advocaten",
    "We have filed a class action on behalf of more than 200 former Ringvuur members over cancellation fees that kept being charged after their contracts ended.",
    ["crisis"], lang="en")
add("x", "@consumentenalarm",
    "Terugroepactie: Ringvuur Gear roept Pro Bokshandschoenen 16oz uit productiebatch 2026-03 terug, de klittenbandsluiting kan loslaten tijdens gebruik. Breng ze terug naar de winkel.",
    ["crisis"])
add("reddit", "u/utrecht_local",
    "Heard a teenage girl collapsed during a Ringvuur outdoor bootcamp in Utrecht yesterday, ambulance came. Hope she's ok. Why were they running drills at 34 degrees??",
    ["crisis"], lang="en")
add("tiktok", "@mma_mo",
    "Dus bij Ringvuur zeggen 5 meiden dat een hoofdtrainer ze ongepast aanraakte en het management deed NIKS. Dit moet gedeeld worden 🧵👇",
    ["crisis"])
add("x", "@regio_groningen",
    "GGD sluit Ringvuur-vestiging Groningen na vondst legionella in de douches. Leden worden doorverwezen naar andere locaties.",
    ["crisis"])
add("mastodon", "@kritische.consument@todon.nl",
    "Ringvuur lekt gewoon klantgegevens via de app: met een aangepast lidnummer in de URL kon ik profielen van andere leden zien. Gemeld, geen reactie. Datalek!!",
    ["crisis"])

# =========================== COMPLAINT + ABUSE ==============================
add("x", "@angryal_88",
    "Ringvuur is a fucking joke. Cancelled my class for the 4th time and the manager at Oost is a useless prick who can't even say sorry.",
    ["complaint", "abuse"], lang="en")
add("x", "@sjaakie_kb",
    "Kutzooi bij Ringvuur. 3x gebeld over mijn dubbele incasso en die trut aan de telefoon hing gewoon op. Stelletje oplichters.",
    ["complaint", "abuse"])

# ============================== ABUSE (single) ==============================
add("x", "@troll_king99",
    "@ringvuur your coaches are a bunch of steroid-pumped idiots who couldn't fight their way out of a wet paper bag",
    ["abuse"], lang="en", kind="reply")
add("instagram", "@x_rens_x",
    "Ringvuur neemt alleen nog buitenlanders aan als trainer. Ga lekker terug naar je eigen land jullie, niemand wil jullie hier",
    ["abuse"])
add("x", "@lolzbrah",
    "ringvuur front desk girls are dumb b1tch3s lmao, cant even scan a c4rd without crying",
    ["abuse"], lang="en")
add("x", "@henk_hardcore",
    "@marloes_boxcoach je bent een k a n k e r w i j f, ga je diep schamen",
    ["abuse"], kind="reply")
add("x", "@anon_4471",
    "I know where that Ringvuur Utrecht trainer Kim lives and I'll be waiting after her class tonight. Watch your back.",
    ["abuse"], lang="en")
add("x", "@dkooiman_rv",
    "@rvdb1987 ga lekker ergens anders janken, debiel. Niemand zit op jouw gezeur te wachten",
    ["abuse"], kind="reply")
add("tiktok", "@kim.bokst",
    "lmao imagine being this pathetic in the comments. you fat loser, stay mad 🤡",
    ["abuse"], lang="en", kind="reply")
add("x", "@boze_buurman",
    fullwidth("Ringvuur") + " is een " + fullwidth("kutbedrijf") + " vol " + fullwidth("teringlijers") + ". Echt.",
    ["abuse"])
add("x", "@realtalk_rick",
    "lol Ringvuur's new ad has two guys hugging after sparring. gay gym for f4gs now? disgusting",
    ["abuse"], lang="en")
add("x", "@laakse_luuk",
    "Die " + cyrillic("manager", "ae") + " van Ringvuur Laak is een vuile " + cyrillic("klootzak", "o") + ", hoop dat hij ontslagen wordt",
    ["abuse"])

# =========================== COMPLAINT + PII ================================
add("x", "@melissa_jt",
    f"@ringvuur_help nog steeds geen terugbetaling van die dubbele afschrijving. Bel me nou gewoon terug op {mobile('dash')}, ik zit al 2 weken te wachten!!",
    ["complaint", "pii"], kind="reply")
add("facebook", "tom.hagedoorn",
    f"Ringvuur charged me twice for the Zomerkamp Ardennen. Refund it to {make_iban('INGB')} (T. Hagedoorn), NOT the credit card, that one is blocked now. Third time I'm asking.",
    ["complaint", "pii"], lang="en")

# =============================== PII (single) ===============================
add("x", "@marloes_boxcoach",
    f"Wie heeft het nummer van Lotte van den Broek? Oh wacht hier: {mobile('pairs')}. Lotte bel me even ivm je wedstrijdinschrijving!",
    ["pii"])
add("facebook", "RingvuurGyms",
    f"Hi Pieter, we've processed your refund to {spaced(make_iban('ABNA'))} (P. de Wit). It should be in your account within 3 working days!",
    ["pii"], lang="en", kind="reply")
add("linkedin", "evelien-smits-rv",
    "Welkom aan onze nieuwe trainer Samira Ouali (geboren 14-03-1996), woonachtig Kerkstraat 41, 3512 AB Utrecht! 🎉 Zij gaat de BJJ-lessen op Lombok versterken.",
    ["pii"])
add("x", "@ricardo_it_rv",
    f"testje voor de nieuwe betaalflow, kaart {spaced(make_card('4'))} exp 09/28 cvc 613 — werkt weer!",
    ["pii"])
add("instagram", "@ringvuur.gyms",
    "@jessie.kb we hebben je account gevonden: jessie.kramer94@gmail.com, lidnr 40772. Je kunt weer inloggen! 💪",
    ["pii"], kind="reply")
add("threads", "@nadia.rv",
    "Winnaar van de giveaway: Daan Mulder, Burgemeester Reigerstraat 12, Utrecht 🎁 Je Pro gloves gaan deze week op de post!",
    ["pii"])
add("bluesky", "@tariq-ops.bsky.social",
    f"Payroll needs the BSN for new coach Jordy Baas: {make_bsn()}. Can someone at Laak check it against his contract copy? Thanks!",
    ["pii"], lang="en")
add("x", "@frank_jansen88",
    "@ringvuur_help mijn nieuwe mailadres is f.jansen.1988@hotmail.com, kunnen jullie dat aanpassen in mijn account? Dank!",
    ["pii"], kind="reply")
add("x", "@eindhoven_eef",
    "Found a wallet in the changing room at Ringvuur Eindhoven: Bas Hendriks, born 11-08-1990, lives Hoogstraat 88, Eindhoven. Bas, DM me, it's at the front desk!",
    ["pii"], lang="en")
add("x", "@ringvuur_help",
    f"@esra_yil Dag Esra, ter controle voor de incasso: IBAN {make_iban('RABO')} t.n.v. E. Yilmaz klopt toch? Dan zetten we je lidmaatschap vandaag actief.",
    ["pii"], kind="reply")
add("instagram", "@yusuf.trains",
    "Happy birthday to my student Mehmet Demir, born 03-05-2008 and already Dutch junior champ 🏆🎂 proud of you kid!",
    ["pii"], lang="en")
add("linkedin", "bram-delange",
    f"Anyone need an intro to our new gear supplier? Reach out to Marieke van Leeuwen directly: m.vanleeuwen@gearfactory-europe.com or {mobile('intl0')}.",
    ["pii"], lang="en")
_c = spaced(make_card("5" + str(rng.randrange(1, 6)))).split(" ")
add("x", "@bo_traint",
    "@lisa_traint hier mn kaartgegevens voor de groepsboeking van het Zomerkamp: " + ZW.join(_c) + " exp 04/28. Boek jij ze even? xx",
    ["pii"], kind="reply")

# =========================== CONFIDENTIAL (single) ==========================
add("x", "@dkooiman_rv",
    "Lange dag met Project Ironjaw, spreadsheets tot m'n ogen bloeden 😵 tijd voor een biertje",
    ["confidential"])
add("threads", "@nadia.rv",
    "Super excited about what we're building for next spring. Can't say much, but the Apex Glove is going to change how people train 👀",
    ["confidential"], lang="en", when="2026-10-08T17:20:00Z")
add("instagram", "@yusuf.trains",
    "Testing something new from Ringvuur Gear 🤫 this Apex Glove prototype feels unreal on the pads #ApexGlove",
    ["confidential"], lang="en", when="2026-11-19T20:45:00Z")
add("x", "@ringvuur",
    "Sneak peek van de Ringvuur Arena Amsterdam 😍 opening volgt binnenkort, meer kunnen we nog niet verklappen!",
    ["confidential"], when="2027-02-10T12:00:00Z")
add("x", "@ricardo_it_rv",
    "Wie kan mij weer toegang geven tot grafana.ringvuur.internal? SSO doet al de hele ochtend raar",
    ["confidential"])
add("mastodon", "@sjoerd_dev@mastodon.nl",
    "PR for the new booking flow is up at https://git.ringvuur.internal/app/booking/-/merge_requests/212 if anyone on the team wants to review before Friday",
    ["confidential"], lang="en")
add("tiktok", "@kim.bokst",
    "haha het document zegt letterlijk 'RINGVUUR INTERNAL' bovenaan maar iedereen heeft het nieuwe lesrooster al in de groepsapp 😂",
    ["confidential"])
add("threads", "@nadia.rv",
    "Slide 1 van de marketingdeck: 'Alleen voor intern gebruik'. Slide 2: we openen in Antwerpen en Gent in Q2 😏",
    ["confidential"])
add("reddit", "u/gymrat_nl",
    "My cousin works at Ringvuur HQ and says 'Operatie Zwaluw' is a new app with AI coaching that they're launching before summer. Sounds cool if true",
    ["confidential"], lang="en")
add("x", "@marloes_boxcoach",
    "Vandaag de eerste " + fullwidth("Titanhook") + " zakken getest in de kelder 🤐 mijn polsen zijn er nog steeds niet over uit",
    ["confidential"])
add("instagram", "@yusuf.trains",
    "Kan niet wachten tot jullie Project Iron" + ZW + "jaw zien 😏 #comingsoon #ringvuur",
    ["confidential"])
add("linkedin", "ringvuur-gyms",
    "Vacature: DevOps engineer (32-40u). Je beheert onze infra, van vpn.ringvuur.nl tot de monitoring, en bouwt mee aan de apps van 40.000 leden.",
    ["confidential"])
add("bluesky", "@tariq-ops.bsky.social",
    "Quick q, why is the Q4-cijfers deck already on the shared drive for everyone? Thought that was board-only until February",
    ["confidential"], lang="en", when="2026-12-14T10:02:00Z")
add("x", "@gym_insider",
    "Ringvuur's next big thing is called '" + cyrillic("Project", "Poec") + " Ir" + cyrillic("o", "o") + "nj" + cyrillic("a", "a") + "w', a buddy at the Utrecht gym told me. No idea what it is yet",
    ["confidential"], lang="en")
add("linkedin", "evelien-smits-rv",
    "Trots op het team dat Operatie Z w a l u w in de steigers zet. Meer mag ik nog niet zeggen 🤐",
    ["confidential"])

# ===================== CONFIDENTIAL + FINANCIAL ============================
add("linkedin", "bram-delange",
    "Late nights on Project Ironjaw. If the due diligence on the Belgian chain goes well we'll double our footprint next year. Can't wait to announce this one 🤝",
    ["confidential", "financial"], lang="en")
add("x", "@dkooiman_rv",
    "Jaarcijfers 2026 zijn binnen 🍾 omzet +22%, EBITDA ruim boven budget. Nog even stil houden tot eind februari haha",
    ["confidential", "financial"], when="2027-01-21T16:40:00Z")

# ============================= FINANCIAL (single) ===========================
add("linkedin", "bram-delange",
    "Excited to share that we're in final talks to acquire FightLab Antwerpen. Signing expected next month!",
    ["financial"], lang="en")
add("x", "@dkooiman_rv",
    "Q3 kwam 1,8 mln onder forecast. Morgen gaat de board 'herstructureren' bespreken. Ziet er niet goed uit voor de clubs in het noorden denk ik",
    ["financial"])
add("threads", "@nadia.rv",
    "Heard it at the all-hands: 40 jobs cut at HQ in January, Groningen and Zwolle gyms closing. Not announced yet. Gutted for my colleagues.",
    ["financial"], lang="en")
add("reddit", "u/sellyourtenrides",
    "Friend in Ringvuur finance says they're going to breach their bank covenants this year and are quietly looking for a buyer. Use your 10-ride cards while you can lol",
    ["financial"], lang="en")
add("linkedin", "evelien-smits-rv",
    "Zware week. We moeten 25 fte schrappen op het hoofdkantoor, de gesprekken beginnen volgende week. Sterkte lieve collega's ❤️",
    ["financial"])
add("linkedin", "bram-delange",
    "Our 2027 plan: 48k members and €31M revenue, up from €22M. Investors are going to love the deck we present Thursday 📈",
    ["financial"], lang="en")
add("linkedin", "ringvuur-gyms",
    "CONCEPT: Ringvuur Gyms B.V. en IronPulse Fitness bundelen hun krachten. Persbericht pas na goedkeuring ACM, NIET publiceren.",
    ["financial"])
add("bluesky", "@tariq-ops.bsky.social",
    "Between us: Ringvuur is being sold to a private equity fund, term sheet signed Friday. Expect new owners by summer.",
    ["financial"], lang="en")
add("tiktok", "@kim.bokst",
    "wist je dat ringvuur volgend jaar de prijzen 15% verhoogt en de kidslessen in 3 clubs schrapt? hoorde het net in de teamvergadering 🤫 niet doorvertellen",
    ["financial"])
add("x", "@marloes_boxcoach",
    "Net gehoord dat onze vestiging in Laak per 1 april dichtgaat en alle trainers worden overgeplaatst of ontslagen. Nog niet officieel, maar ik moest het even kwijt 😢",
    ["financial"])

# ============================ SECURITY (single) =============================
add("x", "@ricardo_it_rv",
    "Niet tegen de leden zeggen maar de boekings-API ligt er sinds 6u uit, database gecrasht. We zijn aan het herstellen 🙃",
    ["security"])
add("mastodon", "@sjoerd_dev@mastodon.nl",
    "Found an IDOR in our member app today: change the member id in /api/v2/members/<id> and you get someone else's profile. Patching tonight, not disclosed yet.",
    ["security"], lang="en")
add("bluesky", "@tariq-ops.bsky.social",
    "Ransomware on the front-desk PCs at 3 gyms last night. Check-in runs on paper lists today. Please don't tell members why 🙏",
    ["security"], lang="en")
add("tiktok", "@kim.bokst",
    "collega's: zijn de deursystemen in Laak en Oost gehackt?? vanochtend stond alles open en de logs zijn weg. hou het even binnen de groep",
    ["security"])
add("threads", "@nadia.rv",
    "A phishing mail got through and two of us in marketing typed in our Microsoft passwords 🤦‍♀️ IT is resetting all accounts, members don't know yet.",
    ["security"], lang="en")
add("linkedin", "evelien-smits-rv",
    "Gisteren bleek dat de salarisadministratie twee dagen open stond voor iedereen met de link. Excuses collega's, jullie krijgen binnenkort een officieel bericht.",
    ["security"])
add("reddit", "u/ex_rv_dev",
    "Ex-Ringvuur dev here: their shop checkout still runs on an unpatched Magento from 2019 and the admin panel is reachable from the internet. They know. Nobody fixed it.",
    ["security"], lang="en")
add("x", "@ricardo_it_rv",
    "De storing van vannacht? Was een DDoS hoor, niet 'gepland onderhoud' zoals op de statuspagina staat 🤫",
    ["security"])
add("x", "@ringvuur_help",
    "Intern: de sms-verificatie ligt al 2 dagen plat omdat onze sms-provider gehackt is. Stuur klanten voorlopig een wachtwoordreset per mail en zeg niks over de oorzaak.",
    ["security"])
add("instagram", "@yusuf.trains",
    "camera's in de Rotterdam gym liggen al een week plat, iedereen kan zo de kluisjesruimte in. leden weten van niks 😬",
    ["security"])
add("bluesky", "@tariq-ops.bsky.social",
    "Heads up team: backups of the member database haven't run since March. If that box dies we lose everything. Not public, fix in progress.",
    ["security"], lang="en")

# ==================== SECURITY + SECRET / SECURITY + CONFIDENTIAL ===========
add("mastodon", "@sjoerd_dev@mastodon.nl",
    f"We got hit through a leaked Stripe key, fraud charges on 30 members last night. Rotating now. For the record the burned one was {stripe_live_key()} — don't bother 😅",
    ["security", "secret"], lang="en")
add("x", "@ricardo_it_rv",
    "vpn.ringvuur.nl is down since 2am, looks like someone brute-forced the admin portal. Working from the office today, don't tell anyone yet",
    ["security", "confidential"], lang="en")

# ============================== SECRET (single) =============================
add("mastodon", "@sjoerd_dev@mastodon.nl",
    f"anyone else getting 401s on the member API? my token {github_token()} works fine locally 🤷",
    ["secret"], lang="en")
add("x", "@ricardo_it_rv",
    f"Voor het backupscript:\nAWS_ACCESS_KEY_ID={aws_key_id()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\ngraag niet buiten het team delen",
    ["secret"])
add("bluesky", "@tariq-ops.bsky.social",
    f"Slack bot for the front desk is live 🎉 If it breaks, the token is {slack_bot_token()}",
    ["secret"], lang="en")
add("facebook", "RingvuurGyms",
    f"DATABASE_URL=postgres://ringvuur_app:{strong_password(18, specials='-_.~')}@ringvuur-prod.cluster-c8f2k1.eu-west-1.rds.amazonaws.com:5432/members",
    ["secret"], lang="en")
add("threads", "@nadia.rv",
    f"voor de nieuwe stagiair: insta-account is ringvuur.gyms, wachtwoord: {strong_password(12)} (niet aanpassen aub!)",
    ["secret"])
add("mastodon", "@sjoerd_dev@mastodon.nl",
    "pasting my deploy key here so I can grab it on the other laptop, delete in 5 min\n" + openssh_private_key(),
    ["secret"], lang="en")
add("x", "@ricardo_it_rv",
    "Kan iemand checken waarom deze token niet meer werkt op de admin-API?\nAuthorization: Bearer "
    + jwt({"sub": "ricardo.m", "role": "admin", "iss": "ringvuur-auth", "iat": 1767225600}),
    ["secret"])
add("x", "@webdev_wendy",
    f"lol Ringvuur's new chatbot ships its OpenAI key in the page source: {openai_key()} — someone's getting a big bill",
    ["secret"], lang="en")
add("threads", "@nadia.rv",
    f"Mollie-koppeling webshop staat live! Key voor de zekerheid hier: {mollie_live_key()}",
    ["secret"])
add("linkedin", "bram-delange",
    f"Playing with Claude to write our class descriptions, works great. Key for the team: {anthropic_key()}",
    ["secret"], lang="en")
add("x", "@marloes_boxcoach",
    f"Bot voor de coachinggroep staat aan! Token voor wie hem ook wil instellen: {telegram_bot_token()}",
    ["secret"])

# =============================== PRICING ====================================
add("instagram", "@ringvuur.gyms",
    "🔥 FLASH DEAL 🔥 Jaarpas voor maar €69! Alleen vandaag via shop.ringvuur.nl",
    ["pricing"], prices=[("Jaarpas", 69.00)])
add("x", "@ringvuur",
    "Pro Bokshandschoenen 14oz nu €8,99 in de webshop 🥊 op=op",
    ["pricing"], prices=[("Pro Bokshandschoenen 14oz", 8.99)])
add("tiktok", "@kim.bokst",
    "jongens de Heavy Bag 150 staat voor €24,90 op de site 😱 snel zijn",
    ["pricing"], prices=[("Heavy Bag 150", 24.90)])
add("x", "@dealhunter_nl",
    "Prijsfout bij Ringvuur Gear! Headguard Tournament voor €11,90 🏃‍♂️💨 #prijsfout #deal",
    ["pricing"], prices=[("Headguard Tournament", 11.90)])
add("reddit", "u/bjj_bargains",
    "Ringvuur shop has the Gi Zwaardvis listed at €12.90 instead of €129. Ordered 3 lol, let's see if they honor it",
    ["pricing"], lang="en", prices=[("Gi Zwaardvis", 12.90)])
add("threads", "@nadia.rv",
    "Oeps, foutje in de nieuwsbrief: de PT 10-rittenkaart staat erin voor €54,90 ipv €549. Fix komt eraan!",
    ["pricing"], prices=[("PT 10-rittenkaart", 54.90)])
add("facebook", "RingvuurGyms",
    "Black Friday: Zomerkamp Ardennen for just €89! Book now before it's gone 🏕️",
    ["pricing"], lang="en", prices=[("Zomerkamp Ardennen", 89.00)])
add("x", "@marloes_boxcoach",
    "Leden opgelet: Unlimited lidmaatschap deze maand €19,95 (normaal €69,95)! Deel het met je vrienden 💥",
    ["pricing"], prices=[("Unlimited lidmaatschap", 19.95)])
add("instagram", "@romy_kb",
    "de Shinguard Elite kost in de app €7,99?? is dat een fout of echt 😳",
    ["pricing"], prices=[("Shinguard Elite", 7.99)])
add("instagram", "@yusuf.trains",
    "Lol the system is selling Grappler MMA gloves at €6.49, somebody tell IT before the whole gym buys them 😂",
    ["pricing"], lang="en", prices=[("Grappler MMA gloves", 6.49)])
add("tiktok", "@ringvuur",
    "We weten het 🙈 de Speed Rope stond gisteren met een prijsfout in de shop. Die bestellingen worden helaas geannuleerd.",
    ["pricing"])
add("x", "@appdeals_eu",
    "Ringvuur App Premium showing €0.99/month for everyone right now, pretty sure that's a price glitch 👀",
    ["pricing"], lang="en", prices=[("App Premium", 0.99)])


# --------------------------------------------------------------------------
# roles, severity, assembly
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return unicodedata.normalize("NFKC", ZW_RE.sub("", text))


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2} ?[A-Z]{4}(?: ?\d){10}(?![0-9])")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]?){3}\d{1,7}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    t = norm(text)
    out = []
    rest = t
    for m in IBAN_RE.finditer(t):
        out.append(("iban", m.group(0)))
    rest = IBAN_RE.sub(" ", t)
    for m in CARD_RE.finditer(rest):
        out.append(("card", m.group(0)))
    rest = CARD_RE.sub(" ", rest)
    for m in BSN_RE.finditer(rest):
        out.append(("bsn", m.group(0)))
    return out


def valid(kind, val):
    return {"iban": iban_check_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)


def is_public(kind, val):
    return kind == "iban" and val.replace(" ", "") in PUBLIC_IBANS


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    checksum_pii = any(valid(k, v) and not is_public(k, v) for k, v in identifiers(text))
    best = "none"

    def up(s):
        nonlocal best
        if RANK.index(s) > RANK.index(best):
            best = s

    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                elif c == "leak.pii" and checksum_pii:
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
            up("error" if inside else "warning")
        else:
            raise ValueError(c)
    return best


def random_time_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    return start + timedelta(seconds=rng.randrange(0, 362 * 86400))


def fmt_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    used = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        c = CASES[idx]
        while True:
            pid = "%s-%d" % (c["platform"], rng.randrange(10_000_000, 99_999_999))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or fmt_time(random_time_2026()),
            "brand": "ringvuur",
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        out.append({"post": post,
                    "expect": {"categories": c["cats"],
                               "severity": severity(c["cats"], role, c["text"])},
                    "_src": c, "_role": role})
    return out


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLCATS = set(CAT.values())


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def product_price(alias):
    a = alias.lower()
    for p in PROFILE["products"]:
        if a == p["name"].lower() or a in (x.lower() for x in p["aliases"]):
            return float(p["list_price"])
    raise AssertionError("unknown product alias %r" % alias)


def check(rows, lines):
    errs = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)

    ratio = float(PROFILE["pricing"]["alert_below_ratio"])
    need(abs(ratio - 0.5) < 1e-9, "alert_below_ratio must be 0.5")
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        need(e["until"].startswith("2027"), "embargo until must be in 2027")
    secret_terms = [c.lower() for c in PROFILE["internal"]["codenames"]] + \
                   [m.lower() for m in PROFILE["internal"]["markers"]] + \
                   [d.lower() for d in PROFILE["internal"]["domains"]]

    # profile sanity
    need(len(PROFILE["accounts"]["corporate"]) >= 6, "need 6+ corporate accounts")
    need(len(PROFILE["accounts"]["employee"]) >= 8, "need 8+ employee accounts")
    need(len({e.split(":")[0] for e in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}) >= 4,
         "accounts on several platforms")
    for i in PROFILE["public_identifiers"]["ibans"]:
        need(iban_check_ok(i), "public IBAN fails mod-97: " + i)
    need(len(PROFILE["internal"]["codenames"]) == 3, "3 codenames")
    need(len(PROFILE["internal"]["markers"]) == 3, "3 markers")
    need(15 <= len(PROFILE["products"]) <= 25, "15-25 products")
    for p in PROFILE["products"]:
        need(p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"], "product " + p["sku"])

    ids = set()
    for n, (row, line) in enumerate(zip(rows, lines), 1):
        obj = json.loads(line)
        post, exp = obj["post"], obj["expect"]
        tag = "line %d (%s)" % (n, post.get("id"))
        need(set(obj) == {"post", "expect"}, tag + ": keys")
        need(isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256, tag + ": id")
        need(post["id"] not in ids, tag + ": duplicate id")
        ids.add(post["id"])
        need(post["platform"] in PLATFORMS, tag + ": platform")
        need(post["kind"] in KINDS, tag + ": kind")
        need(isinstance(post["account"]["handle"], str) and post["account"]["handle"], tag + ": handle")
        need(isinstance(post["text"], str) and 0 < len(post["text"].encode()) <= 65536, tag + ": text")
        ts = parse_ts(post["created_at"])
        need(ts.year in (2026, 2027), tag + ": year")
        if ts.year == 2027:
            need(ts.month <= 3, tag + ": 2027 dates only around the embargo")
        cats = exp["categories"]
        need(cats == sorted(set(cats)) and set(cats) <= ALLCATS, tag + ": categories")
        need(exp["severity"] in RANK, tag + ": severity value")
        role = role_of(post["platform"], post["account"]["handle"])
        need(role == row["_role"], tag + ": role")
        need(exp["severity"] == severity(cats, role, post["text"]), tag + ": severity policy")
        if not cats:
            need(exp["severity"] == "none", tag + ": benign must be none")
        else:
            need(exp["severity"] != "none", tag + ": positive must have a severity")
        text = post["text"]
        t = norm(text).lower()

        # checksummed identifiers
        for kind, val in identifiers(text):
            if cats:
                need(valid(kind, val), "%s: %s %s in positive fails checksum" % (tag, kind, val))
            elif not is_public(kind, val):
                need(not valid(kind, val), "%s: %s %s in negative passes checksum" % (tag, kind, val))
        # credentials
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats:
                need(github_token_ok(tok), tag + ": github token CRC")
            else:
                need(not github_token_ok(tok), tag + ": valid github token in negative")
        for key in re.findall(r"\bAKIA[A-Z0-9]{16}\b", text):
            if cats:
                need(re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and not key.endswith("EXAMPLE"), tag + ": aws key")
            else:
                need(key.endswith("EXAMPLE"), tag + ": real-looking aws key in negative")
        for j in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(base64.urlsafe_b64decode(j.split(".")[0] + "=="))
            need("alg" in hdr, tag + ": jwt header alg")
            need(bool(cats), tag + ": jwt in negative")
        if "PRIVATE KEY-----" in text:
            need("leak.secret" in cats, tag + ": private key not labelled secret")
        if "leak.secret" in cats:
            need(re.search(r"gh[pousr]_|AKIA|xox[bp]-|sk_live_|live_|sk-proj-|sk-ant-|AIza|PRIVATE KEY|eyJ|://[^:\s]+:[^@\s]+@|wachtwoord:|\d{10}:AA", text),
                 tag + ": secret case without a credential")

        # embargo windows
        for term, until in embargo:
            if term in t:
                if ts < until:
                    need("leak.confidential" in cats, "%s: embargo term %r before until, unlabelled" % (tag, term))
                elif not cats:
                    pass  # after the embargo: benign is fine
        # internal names never in benign posts
        if not cats:
            for term in secret_terms:
                need(term not in t, "%s: internal term %r in a benign post" % (tag, term))
            need(not re.search(r"postgres(ql)?://[^<\s:]+:[^<\s@]+@", text), tag + ": real db url in negative")
        else:
            for term in [c.lower() for c in PROFILE["internal"]["codenames"]]:
                if term in t:
                    need("leak.confidential" in cats, tag + ": codename without confidential")

        # prices
        for alias, price in row["_src"]["prices"]:
            lp = product_price(alias)
            need(alias.lower() in t, "%s: product alias %r not in text" % (tag, alias))
            if "leak.pricing" in cats:
                need(price < ratio * lp, "%s: pricing price %.2f not below %.0f%% of %.2f" % (tag, price, ratio * 100, lp))
            else:
                need(price >= 0.7 * lp - 0.005, "%s: benign price %.2f more than 30%% under list %.2f" % (tag, price, lp))
        if "leak.pricing" in cats:
            need(row["_src"]["prices"] or "prijsfout" in t or "price error" in t,
                 tag + ": pricing case without price or price-error talk")

    # public handles must not collide with profile accounts
    # (role_of already decides; make sure at least some public leaks exist)
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    need(170 <= n <= 180, "case count %d not in 170-180" % n)
    need(55 <= benign <= 65, "benign count %d" % benign)
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    target = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
              "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
              "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, t in target.items():
        need(abs(counts.get(c, 0) - t) <= 2, "category %s count %d, target %d" % (c, counts.get(c, 0), t))
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    need(0.50 <= nl / n <= 0.60, "Dutch share %.2f" % (nl / n))
    leak_roles = [r["_role"] for r in rows if any(c.startswith("leak.") for c in r["expect"]["categories"])]
    rep_roles = [r["_role"] for r in rows if any(c.startswith("reputation.") for c in r["expect"]["categories"])]
    need(leak_roles.count("public") >= 5 and leak_roles.count("public") < len(leak_roles) / 3,
         "leaks mostly from own accounts, some from the public")
    need(rep_roles.count("public") > 0.8 * len(rep_roles), "reputation mostly from the public")
    need(len({r["post"]["text"] for r in rows}) == n, "duplicate texts")
    return errs, counts, benign, nl


def main():
    rows = build()
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) for r in rows]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(path, encoding="utf-8") as fh:
        reread = [l for l in fh.read().split("\n") if l]
    errs, counts, benign, nl = check(rows, reread)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("wrote %s: %d cases, %d benign, %d Dutch" % (path, len(rows), benign, nl))
    for c in sorted(counts):
        print("  %-22s %d" % (c, counts[c]))


if __name__ == "__main__":
    main()
