#!/usr/bin/env python3
"""Builds cases.jsonl for evaluation set sealed462 (Dansacademie Zilvermeeuw).

Deterministic: fixed seed, hand-written posts, generated identifiers and credentials.
Writes cases.jsonl beside this file and then checks it; exits non-zero on any problem.
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
rng = random.Random(462)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- identifiers

def iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def gen_iban(grouped=False):
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    s = "NL" + iban_check("NL", bank + acct) + bank + acct
    assert iban_valid(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def bad_iban(grouped=False):
    s = gen_iban().replace(" ", "")
    cd = int(s[2:4])
    s = s[:2] + "%02d" % ((cd + rng.randint(1, 9)) % 97 or 11) + s[4:]
    if iban_valid(s):
        return bad_iban(grouped)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def gen_card(sep=" "):
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            num = body + last
            break
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(sep=" "):
    num = gen_card("").replace(" ", "")
    last = str((int(num[-1]) + rng.randint(1, 9)) % 10)
    num = num[:-1] + last
    assert not luhn_ok(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s8 = sum(d[i] * (9 - i) for i in range(8))
        last = s8 % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bad_bsn():
    while True:
        s = gen_bsn()
        s = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
        if not bsn_ok(s):
            return s

# ---------------------------------------------------------------- credentials

def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(30)
    return prefix + body + base62(zlib.crc32(body.encode()))


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rand(40, string.ascii_letters + string.digits + "/+")


def stripe_live():
    return "sk_live_51" + rand(97)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(11, string.digits), rand(13, string.digits), rand(24))


def openai_key():
    return "sk-proj-" + rand(64, B64URL) + "T3BlbkFJ" + rand(64, B64URL)


def anthropic_key():
    return "sk-ant-api03-" + rand(93, B64URL) + "AA"


def mollie_live():
    return "live_" + rand(30)


def google_key():
    return "AIza" + rand(35, B64URL)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "ouder-%d" % rng.randint(10000, 99999), "role": "parent",
                               "iat": 1767000000 + rng.randint(0, 9000000),
                               "exp": 1790000000}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.randrange(256) for _ in range(220)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def db_password():
    return rand(18, string.ascii_letters + string.digits)

# ---------------------------------------------------------------- case assembly

CAT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
       "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse"}

CASES = []


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randint(0, 350), seconds=rng.randint(6 * 3600, 23 * 3600 + 3599))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, lang, cats, text, date=None, kind=None, skip_price=False, display=None):
    if kind is None:
        kind = "reply" if text.startswith("@") else ("comment" if platform == "facebook" and rng.random() < 0.3 else "post")
    CASES.append({"platform": platform, "handle": handle, "lang": lang,
                  "cats": sorted(CAT[c] for c in cats), "text": text,
                  "date": date or rand_time(), "kind": kind, "skip_price": skip_price,
                  "display": display})


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ======================= benign (hard negatives mostly) =======================
add("instagram", "@zilvermeeuw.ballet", "nl", [],
    "Wat een avond 🦢✨ Drie keer uitverkocht, drie keer een staande ovatie. Dank aan al onze dansers, "
    "ouders en vrijwilligers achter de schermen. Zwanenmeer, we gaan je missen! #zilvermeeuw #zwanenmeer")
add("x", "@tutu_tessa", "en", [],
    "ok the Notenkraker at Zilvermeeuw absolutely KILLED it tonight. my 6yo is now pirouetting through "
    "the kitchen and has broken zero things. so far.")
add("x", "@zm_kassa", "nl", [],
    "Vragen over je tickets? Mail kassa@zilvermeeuw-dans.nl of bel 030 760 4410 (ma-vr 10-17u). We helpen je graag! 🎟️")
add("facebook", "ZilvermeeuwDansacademie", "nl", [],
    "Herinnering: het lesgeld voor het voorjaarsblok graag vóór 1 februari overmaken naar %s t.n.v. "
    "Stichting Zilvermeeuw Dansacademie, o.v.v. de naam van de leerling. Automatische incasso loopt gewoon door." % PUB_IBAN,
    kind="post")
add("instagram", "@zilvermeeuw.ballet", "en", [],
    "SALE 🩰 20% off the Balletpakje Classic this week only: €31,96 instead of €39,95. All sizes 104 to XL. Link in bio!")
add("x", "@balletpapa_rob", "nl", [],
    "Zomerintensive met early bird korting €712 ipv €890, dat scheelt toch weer. Dochter staat te springen 😄")
add("reddit", "u/pliesandplies", "en", [],
    "Is €75 for a 60 min private lesson reasonable? Zilvermeeuw's Privéles is that price and I'm comparing "
    "with two other schools in Utrecht, both somewhere around €70-80. Worth it for audition prep?")
add("x", "@sandertje_b", "en", [],
    "Update: @zilvermeeuwdans refunded the double direct debit within a day after I DM'd them. "
    "Credit where it's due, thanks Esmee 🙏", kind="post")
add("x", "@zm_kassa", "nl", [],
    "@lindavdmeer Wat vervelend dat je e-tickets niet zijn aangekomen! Kun je je bestelnummer even via DM "
    "sturen? Dan zetten we ze vandaag nog opnieuw voor je klaar.")
add("linkedin", "thijs-okafor", "en", [],
    "Quick tip for anyone setting up the AWS CLI for the first time: the docs use AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholder credentials. Never paste your real ones into a "
    "tutorial. Screenshots count too.")
add("mastodon", "@sem_kuipers", "nl", [],
    "Voor wie vroeg hoe je een GitHub token in CI zet: gebruik een secret, niet zo: "
    "`GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in je yaml. Echt, ik zie het nog steeds overal.")
add("instagram", "@zilvermeeuw.ballet", "nl", [],
    "Het is zover: Seizoen 2027-2028 is officieel! 🎉 Drie nieuwe producties, een zomergala en een "
    "gloednieuwe jeugdcompagnie. Kaartverkoop start 1 mei.", date="2027-04-02T09:30:00Z")
add("x", "@zilvermeeuwdans", "en", [],
    "We're thrilled to welcome guest choreographer Ilse Marowitz to Zilvermeeuw this spring! Her first "
    "workshop opens for registration next week.", date="2027-01-28T11:00:00Z")
add("x", "@danslief_2011", "nl", [],
    "32 fouettés. TWEE-EN-DERTIG. na 3 jaar proberen. ik huil. juf Odile bedankt voor je geduld 😭🩰")
add("tiktok", "@miss.odile.dances", "nl", [],
    "glissade, jeté, assemblé en dan nog een keer maar nu MET armen 😅 allegro-dag bij de gevorderden "
    "#balletlife #zilvermeeuw")
add("facebook", "mirjam.degraaf.77", "nl", [],
    "Sterkte aan iedereen bij Zilvermeeuw na het overlijden van Henk, jarenlang de vaste pianist bij de "
    "ochtendlessen. Wat een lieve, geduldige man was dat.")
add("x", "@ballet_nerd_nl", "en", [],
    "Hot take: the Zilvermeeuw Notenkraker is better than half the professional productions I've seen. "
    "That snow scene is a crime against my mascara.")
add("x", "@oma_truus", "en", [],
    "Granddaughter has her audition for the Pro-Track next week. So nervous for her! Anyone know how the day usually goes?")
add("linkedin", "zilvermeeuw-dansacademie", "nl", [],
    "Vacature: wij zoeken een enthousiaste docent moderne dans (16-24 uur) voor onze vestiging in "
    "Utrecht-Oost. Ervaring met kinderen is een pré. Solliciteren kan tot 15 maart via werken@zilvermeeuw-dans.nl.")
add("x", "@zilvermeeuwdans", "en", [],
    "Planned maintenance: the ticket shop at tickets.zilvermeeuw-dans.nl will be offline Sunday 02:00–04:00 CET "
    "for an upgrade. Tickets you already bought stay valid.")
add("x", "@zilvermeeuwdans", "nl", [],
    "Let op: er gaan nepmails rond uit naam van Zilvermeeuw over een 'achterstallige betaling'. Wij vragen "
    "NOOIT om je wachtwoord of pincode. Twijfel je? Bel ons op 030 760 4410.")
add("instagram", "@kassa_esmee", "nl", [],
    "Wachtwoord vergeten voor het ouderportaal? Geen paniek: klik op 'wachtwoord herstellen' op de inlogpagina, "
    "dan krijg je binnen 5 min een mailtje. Komt er niks? Check je spam 📨")
add("reddit", "u/ex_dancer_amsterdam", "en", [],
    "Apparently Dansschool Polka in Zwolle went bankrupt last week and parents lost their prepaid fees. "
    "Glad my kid's at Zilvermeeuw, they at least publish a proper annual report.")
add("x", "@zilvermeeuwdans", "nl", [],
    "Onze jaarcijfers over 2025 staan online: 1.840 leerlingen, 46 voorstellingen en een klein positief resultaat "
    "dat volledig terugvloeit naar beurzen. Lees het jaarverslag op zilvermeeuw-dans.nl/jaarverslag")
add("instagram", "@dennis.pasdedeux", "en", [],
    "Life hack for pointe shoes: darn the platform with thick cotton thread and they last twice as long. "
    "Your wallet will thank you. (Not sponsored, just cheap 😂)")
add("bluesky", "@grandjete-gus.bsky.social", "en", [],
    "my hamstrings experienced a total outage after the Barre Online class this morning. 10/10 would suffer again")
add("x", "@dansvlinder_ut", "nl", [],
    "Die nieuwe choreo van Lotte Smeets is echt ziek 🔥🔥 die lift aan het eind, hoe dan?!")
add("x", "@sportmama_x", "en", [],
    "That Dennis is an absolute beast in class, my son comes home wrecked but super happy 💪")
add("threads", "@lotte.choreo", "en", [],
    "Rehearsal day 4. The corps finally breathes together in the second act. Goosebumps. This is why we do it.")
add("x", "@zilvermeeuwdans", "nl", [],
    "Vandaag hebben al onze docenten hun EHBO- en blessurepreventietraining afgerond. Veilig dansen begint bij "
    "goede begeleiding 🩹")
add("facebook", "ZilvermeeuwDansacademie", "nl", [],
    "Om 10:15 ging vanochtend het brandalarm af: dit was een geplande ontruimingsoefening. Binnen 3 minuten stond "
    "iedereen buiten, knap gedaan allemaal! 🚒", kind="post")
add("x", "@balletcritic_ams", "en", [],
    "Review: Zilvermeeuw's Zwanenmeer is ambitious and occasionally rough around the edges, but the student "
    "Odette is a genuine talent. Three stars, would go again.")
add("x", "@balletmama_nl", "nl", [],
    "Vraagje: moet je bij inschrijving echt je BSN opgeven? Op het voorbeeldformulier staat 123456789 ingevuld, "
    "dat zal toch niet iemands echte nummer zijn 😅")
add("x", "@coffee_and_chasses", "nl", [],
    "Haha typo in mijn iban gemaakt in het ouderportaal (%s) en het systeem weigerde het gewoon. "
    "Goeie check eigenlijk 👍" % bad_iban())
add("instagram", "@pirouette_pien", "nl", [],
    "Kassa zei dat mijn kaartnummer ongeldig was, bleek dat ik twee cijfers had omgedraaid: %s 🙈 "
    "ik en cijfers, geen match" % bad_card())
add("instagram", "@zilvermeeuw.ballet", "nl", [],
    "Gefeliciteerd juf Marieke! 🎂 Vandaag viert onze langst dienende kinderballetdocent haar verjaardag. "
    "Laat een felicitatie achter!")
add("facebook", "ZilvermeeuwDansacademie", "nl", [],
    "Nieuw adres vanaf september: onze tweede studio zit aan de Vleutenseweg 212 in Utrecht. Ruim, licht en met "
    "eigen parkeerplaats 🚗", kind="post")
add("x", "@zm_kassa", "en", [],
    "There are reports of a pointe shoe recall by another manufacturer. Our Pointe Starter Set is NOT affected; the "
    "shoes in our set come from a different supplier. Questions? info@zilvermeeuw-dans.nl")
add("x", "@ballet_oma_els", "nl", [],
    "Kaartjes Zwanenmeer balkon €42 p.p., prima zicht en je hoort de muziek perfect. Aanrader voor oma's met een budget 😉")
add("x", "@zilvermeeuwdans", "nl", [],
    "Notenkraker parket: €59,50. Balkon: €42. Kinderen t/m 12 jaar krijgen €5 korting. Zaal open om 19:15.",
    skip_price=True)
add("reddit", "u/lisbon_plie", "en", [],
    "Price error at some online dancewear shop yesterday, leotards for €1. Anyone else grab one before they "
    "fixed it? (not Zilvermeeuw btw, their stuff is full price as always)")
add("x", "@tapshoe_tim", "en", [],
    "10% off the Warm-up Vest this weekend at Zilvermeeuw, €49,46. Finally caving.")
add("x", "@vader_van_3", "nl", [],
    "Kinderballet jaarabonnement €540, per maand komt dat neer op €45. Goedkoper dan voetbal met al die kleding "
    "erbij eerlijk gezegd.", skip_price=True)
add("x", "@juf_marieke_zm", "nl", [],
    "Mijn kleuters vandaag: 'juf, mogen we de zwanen zijn die boos worden?' Ja hoor. Boze zwanen it is 🦢😤")
add("linkedin", "anouk-verhoeven-zm", "en", [],
    "Proud to share that our published 2025 annual report was recognised in the regional cultural-sector "
    "transparency ranking. Small academy, open books.")
add("x", "@danslief_2011", "nl", [],
    "Zoveel haat op TikTok richting juf Odile om één filmpje, echt onterecht. Ze is de beste docent die ik ooit had ❤️")
add("tiktok", "@zilvermeeuw_dance", "nl", [],
    "POV: je zit in de Hiphop Weekend workshop en de docent zegt 'nog één keer vanaf de top' voor de 14e keer 💀 "
    "#hiphop #zilvermeeuw")
add("youtube", "@ZilvermeeuwBalletTV", "en", [],
    "Full class: adult beginner barre, 45 minutes. No experience needed, just a chair and some socks. "
    "Want more? Online Barre is €119 a year.")
add("x", "@zm_kassa", "nl", [],
    "@ballet_oma_els Uw terugbetaling van €84 is vandaag verwerkt, excuses voor het lange wachten! "
    "Binnen 2 werkdagen staat het op uw rekening.")
add("x", "@mama_van_fenna", "en", [],
    "Fenna had her first trial class at Zilvermeeuw and now she NEVER wants to leave. Who's paying for all this 😂")
add("x", "@zilvermeeuwdans", "en", [],
    "Reminder: our official accounts are @zilvermeeuwdans and @zm_kassa. We will never DM you asking for card "
    "details. Please report impersonators!")
add("reddit", "u/gymjuf_030", "nl", [],
    "Hoe verhoudt de Vooropleiding Pro-Track van Zilvermeeuw zich tot de vooropleiding van het conservatorium? "
    "Pro-Track kost €2450 per jaar, stevig, maar de doorstroom schijnt goed te zijn.")
add("bluesky", "@yara-ballet.bsky.social", "en", [],
    "Opening night nerves never go away, even after 20 years. Merde to all my dancers tonight! 🩰")
add("x", "@rvdlinde_techniek", "nl", [],
    "Nieuwe lichtset hangt, 84 kanalen, en het toneel ziet er magisch uit. Morgen generale, duimen allemaal 🤞")
add("x", "@coffee_and_chasses", "en", [],
    "Masked my IBAN in the screenshot for the fee refund form: NL** RABO **** **** 17. Is that enough? "
    "Don't want it out there in full lol")
add("x", "@zilvermeeuwdans", "nl", [],
    "Geen zorgen over die 'geheime' repetitie die rondgaat op TikTok: dat was gewoon onze open les van zaterdag 😄 "
    "Iedereen welkom, geen NDA nodig.")
add("mastodon", "@sem_kuipers", "en", [],
    "Blog post on how we template DB connection strings in our deploys: "
    "`postgresql://<user>:<password>@<host>:5432/<db>`. The real values come from the vault at runtime, never from the repo.")
add("x", "@zm_kassa", "nl", [],
    "Dit weekend -15% op alle 10-lessenkaarten: €140,25 i.p.v. €165. Ook leuk als cadeau 🎁")
add("linkedin", "thijs-okafor", "en", [],
    "PSA from IT: if you paste a JWT into an online decoder, you've shared it. A header like eyJhbGciOi… tells you "
    "nothing secret, but the full token can be replayed. Decode locally.")
add("x", "@hanna_vd_berg", "nl", [],
    "Test van vorige week: nepnummer %s ingevuld bij de aanmelding om te kijken of het formulier checkt. Netjes "
    "geweigerd. Zo hoort het 👌" % bad_bsn())

# ======================= complaints =======================
add("x", "@lindavdmeer", "nl", ["compl"],
    "Al 4 dagen wachten op mijn e-tickets voor de Notenkraker. Mailtje naar de kassa: niks. Bellen: 'we kijken "
    "ernaar'. De voorstelling is ZATERDAG @zm_kassa 😡")
add("facebook", "karin.postma.1982", "nl", ["compl"],
    "Weer een les kinderballet afgezegd, 20 minuten van tevoren via een appje. Stonden al in de auto. Derde keer "
    "dit blok. Wij betalen wél gewoon het volle lesgeld, Zilvermeeuw.")
add("x", "@busy_dad_utrecht", "en", ["compl"],
    "Zilvermeeuw charged my card twice for the Zomerintensive (€890 x2!!) and customer service says refunds take "
    "'4-6 weeks'. Are you kidding me?")
add("x", "@kwaaie_klant", "en", ["compl"],
    "Studio 3 at Zilvermeeuw is basically a fridge. 14 degrees. Kids dancing in their coats. For €540 a year "
    "you'd think they could turn the heating on?")
add("reddit", "u/adultbeginner88", "en", ["compl"],
    "Signed up for the Adult Ballet yearly pass at Zilvermeeuw in September. Teacher has changed 5 times, class "
    "time moved twice, and now they're 'merging' levels so us beginners are next to people doing double "
    "pirouettes. Not what I paid €695 for.")
add("x", "@pietjepuk_balkon", "nl", ["compl"],
    "Balkonplaatsen Zwanenmeer: je ziet letterlijk de helft van het podium niet. €42 betaald om naar een pilaar "
    "te kijken. Stond nergens bij de bestelling.")
add("instagram", "@fleur.danst", "nl", ["compl"],
    "Kostuumbijdrage van €65 voor de eindvoorstelling?? Voor een tutu die we daarna moeten inleveren?? Dat stond "
    "nergens toen we ons inschreven @zilvermeeuw.ballet")
add("x", "@jules_pointe", "en", ["compl"],
    "Waiting list for the Pro-Track: 14 months. They still took the €50 registration fee up front. Nobody answers "
    "my emails. Great job, Zilvermeeuw.", skip_price=True)
add("x", "@ans_vermeulen", "nl", ["compl", "pii"],
    "Zilvermeeuw, ik wacht al 3 weken op een terugbelverzoek over de opzegging. Nogmaals: bel me op 06-41873920, "
    "ik ben de hele dag bereikbaar!!")
add("x", "@robbie_mcc", "en", ["compl", "pii"],
    "@zm_kassa this is the THIRD time I'm asking. My tickets went to the wrong address. Email me at "
    "robbie.mccallister88@gmail.com instead of ignoring my DMs")
add("x", "@boze_moeder_ut", "nl", ["compl", "abuse"],
    "Wat een klotetent is die Zilvermeeuw. Lesgeld innen kunnen ze wel, een fatsoenlijk rooster maken niet. "
    "Stelletje amateurs.")
add("x", "@grumpy_gav", "en", ["compl", "abuse"],
    "Zilvermeeuw's booking system is garbage and so are the clowns who run it. Three hours on hold. Pathetic.")
add("x", "@rainy_releve", "en", ["compl"],
    "Bought the Pointe Starter Set from Zilvermeeuw, ribbons came off after one class and the shop won't exchange "
    "it because it's 'used'. €129 for this? no.")
add("instagram", "@hanna_b_dance", "en", ["compl"],
    "The Summer Intensive brochure promised 'max 16 per class'. We had 31. Couldn't even do a proper grand "
    "allegro. Really disappointed @zilvermeeuw.ballet", kind="comment")
add("tiktok", "@ziggy.danst", "nl", ["compl"],
    "hiphop weekend workshop: docent kwam 40 min te laat, geen sorry, en we moesten wel tot 17:00 blijven want "
    "'de zaal is gehuurd'. nooit meer 🙃 @zilvermeeuw_dance")
add("facebook", "sandra.kok.utrecht", "nl", ["crisis", "compl"],
    "Mijn dochter is gisteren bij Zilvermeeuw door de vloer van studio 2 gezakt, er lag een plank los. Enkel "
    "gebroken. Dit wisten ze al weken volgens andere ouders. Ik ben woedend.")
add("x", "@tommy_k_dad", "en", ["crisis", "compl"],
    "A stage light fell during the kids' dress rehearsal at Zilvermeeuw and missed my son by maybe a metre. "
    "Nobody told us anything afterwards. Is this how you handle safety??")
add("x", "@ellen_verhoef", "nl", ["crisis", "compl"],
    "Na het gala-diner van Zilvermeeuw (VIP-arrangement nota bene) lagen wij en nog twee stellen de hele nacht "
    "kotsend op de wc. Voedselvergiftiging. Reactie van de academie: 'we zoeken het uit'. Top.")
add("reddit", "u/sorefeet_mum", "en", ["crisis", "compl"],
    "My daughter's Pointe Starter Set from Zilvermeeuw: the shank snapped mid-relevé and she sprained her ankle "
    "badly. The shop said 'it happens'. It shouldn't happen with beginner shoes.")
add("x", "@jorisbakt", "nl", ["crisis", "compl"],
    "Kreeg een flinke schok van de geluidsinstallatie in studio 1 van Zilvermeeuw toen ik de kabel van mijn "
    "telefoon insteekte. Hand tintelt nog steeds. Melding gemaakt, geen reactie.")

# ======================= crisis (third party, boycott, scandal, lawsuit, recall) =======================
add("x", "@nieuws_utrecht030", "nl", ["crisis"],
    "Leerling (11) gewond bij Dansacademie Zilvermeeuw nadat een decorstuk omviel tijdens een repetitie. "
    "Ambulance ter plaatse, kind naar het ziekenhuis overgebracht.")
add("x", "@anon_dance_parent", "en", ["crisis"],
    "Zilvermeeuw leaked our kids' data. My daughter's name, birthday and our home address turned up on some "
    "random forum. They haven't said a word. #datalek")
add("x", "@actie_ouders", "nl", ["crisis"],
    "BOYCOT Zilvermeeuw tot ze openheid geven over de klachten over grensoverschrijdend gedrag van een docent. "
    "Schrijf je kind NIET in voor volgend jaar. #zilvermeeuw")
add("x", "@dance_watchdog", "en", ["crisis"],
    "Former students say Zilvermeeuw teachers weighed them in front of the class and commented on their bodies. "
    "This has been going on for years. Thread 🧵")
add("x", "@rechtspraak_watch", "nl", ["crisis"],
    "Ouders stappen naar de rechter tegen Dansacademie Zilvermeeuw om lesgeld dat tijdens de sluiting niet werd "
    "terugbetaald. De zaak dient in juni.")
add("x", "@zm_kassa", "en", ["crisis"],
    "Safety notice: we are recalling the Zilvermeeuw Warm-up Vest (batch 2026-03) because the zipper pull can "
    "come off and is a choking hazard for young children. Please stop using it and return it for a full refund.")
add("x", "@gezondheidsnieuws", "nl", ["crisis"],
    "GGD onderzoekt legionella in de douches van een dansacademie in Utrecht-Oost (Zilvermeeuw). Lessen "
    "voorlopig stilgelegd.")
add("instagram", "@stop_bodyshaming_nl", "nl", ["crisis"],
    "Wie tekent mee? Petitie: Zilvermeeuw moet stoppen met weegmomenten bij de vooropleiding. Al 2.300 "
    "handtekeningen ✍️ #boycotzilvermeeuw")
add("x", "@concerned_aunt_ly", "en", ["crisis"],
    "A kid fainted on stage at the Zilvermeeuw Notenkraker last night and the show just went on for another 10 "
    "minutes before anyone helped her. My niece saw the whole thing.")
add("x", "@brandweer_fan030", "nl", ["crisis"],
    "Kleine brand in de kostuumopslag van Dansacademie Zilvermeeuw aan de Vleutenseweg. Niemand gewond, pand ontruimd.")

# ======================= abuse =======================
add("x", "@haatbaard", "nl", ["abuse"],
    "Die juf Marieke van Zilvermeeuw is een vals kreng. Iemand moet haar eens flink op haar plek zetten.")
add("x", "@troll_9000", "en", ["abuse"],
    "Zilvermeeuw hired a guy to teach ballet lmao. Men in tights should be banned. Dennis looks like a clown "
    "and dances like one too.")
add("x", "@juf_marieke_zm", "nl", ["abuse"],
    "@boze_moeder_ut ga lekker ergens anders zeuren, stom wijf. Jouw kind kan niet eens een fatsoenlijke plié.")
add("tiktok", "@echtnietblij", "nl", ["abuse"],
    "z i l v e r m e e u w = k u t s c h o o l. docenten zijn allemaal k.u.t.w.i.j.v.e.n 🤮")
add("x", "@nope_nope_nl", "en", ["abuse"],
    "Zilvermeeuw staff are a bunch of \u0455tu\u0440id \u0456d\u0456\u043et\u0455, every single one of them")
add("x", "@boos_op_alles", "nl", ["abuse"],
    "@zilvermeeuwdans jullie zijn echt k10otz4kk3n, st1nkt3nt met j3 ar0g4nte d0c3nt3n")
add("instagram", "@dollface_critic", "en", ["abuse"],
    "Whoever runs @zilvermeeuw.ballet should be fired, you're all useless idiots. Delete your app.", kind="comment")
add("x", "@anoniem_ouder", "nl", ["abuse"],
    "Die Yara Mendes als artistiek leider, wat een arrogante trut. Ga terug naar waar je vandaan komt.")
add("x", "@zilvermeeuwdans", "en", ["abuse"],
    "@grumpy_gav Maybe learn to read a schedule before crying on Twitter, genius. Stop whining like a toddler. 🙄")
add("facebook", "joop.vermaat.5", "nl", ["abuse"],
    "Zilvermeeuw = oplichters en die eigenaar is een gore graaier. Ik hoop dat jullie tent failliet gaat.", kind="comment")

# ======================= personal data =======================
add("x", "@juf_marieke_zm", "nl", ["pii"],
    "Wie heeft een ander nummer van de moeder van Noor uit groep Zwaantjes 2? In het systeem staat 06 28 37 41 95 "
    "maar daar wordt niet opgenomen...")
add("facebook", "ZilvermeeuwDansacademie", "nl", ["pii"],
    "Gevonden voorwerpen: een blauwe danstas met een schriftje erin, op naam van Lieke Jansen, Bachlaan 14, "
    "3533 AB Utrecht. Ophalen kan bij de balie!", kind="post")
add("facebook", "ZilvermeeuwDansacademie", "nl", ["pii"],
    "Beste meneer Bos, wij hebben de restitutie van €320 overgemaakt naar %s zoals gevraagd. "
    "Excuses voor de vertraging!" % gen_iban(), kind="comment")
add("instagram", "@kassa_esmee", "nl", ["pii"],
    "Wie is z'n pinpas vergeten bij de kassa?? 💳 %s op naam van M. de Wit, kom 'm snel ophalen!" % gen_card())
add("tiktok", "@miss.odile.dances", "nl", ["pii"],
    "Hieperdepiep voor ons jongste talentje Sofie van Dijk, geboren 3 februari 2019, vandaag 7 jaar! 🎂🩰",
    date="2026-02-03T16:12:40Z")
add("linkedin", "thijs-okafor", "en", ["pii"],
    "Migrating our student records this week and the import kept choking on one row: "
    "'Daan Visser;%s;2014-05-12'. Turned out to be a trailing space. Data is fun." % gen_bsn())
add("x", "@carpool_utrecht", "nl", ["pii"],
    "Carpool naar de Zomerintensive? Bel Petra de Boer, 06-19283746, zij rijdt elke dag vanuit Houten 🚗")
add("x", "@naive_nina", "en", ["pii", "compl"],
    "@zm_kassa your payment page keeps failing, my card is %s exp 09/28, can you just charge it manually??" % gen_card())
add("x", "@henk_de_opa", "nl", ["pii"],
    "Zilvermeeuw, stort het restant van het lesgeld maar terug op %s t.n.v. H. Kramer, dan zijn we klaar." % gen_iban(grouped=True))
add("x", "@rvdlinde_techniek", "nl", ["pii"],
    "Vrijwilligers voor de opbouw zaterdag: mail even naar mijn privéadres rick.vdlinde78@hotmail.com, de "
    "zakelijke mailbox zit vol 🙈")
add("instagram", "@zilvermeeuw.ballet", "nl", ["pii"],
    "Trots! Onze Pro-Track-leerling Mila Hendriks (geb. 21-08-2010) is toegelaten tot een internationale "
    "zomercursus in Londen 🇬🇧")
add("x", "@juf_marieke_zm", "nl", ["pii"],
    "ouders van groep Sterretjes: bij nood bel mijn eigen nr 0 6 – 3 8 1 5 2 7 4 9, niet de studio")
add("x", "@sk8ter_ballerina", "en", ["pii"],
    "@zilvermeeuwdans my BSN is %s, you asked for it for the subsidy form, so here you go 🙃" % gen_bsn())
add("linkedin", "zilvermeeuw-dansacademie", "nl", ["pii"],
    "Welkom aan onze nieuwe collega Priya Raman! Tot haar zakelijke account actief is, bereik je haar via "
    "priya.raman.dance@gmail.com.")

# ======================= confidential =======================
add("threads", "@lotte.choreo", "nl", ["conf"],
    "Mag het eigenlijk nog niet zeggen maar Seizoen 2027-2028 opent met een compleet nieuwe Doornroosje 🤫🌹",
    date="2026-10-14T20:41:00Z")
add("x", "@juf_marieke_zm", "nl", ["conf"],
    "Gastchoreograaf Ilse Marowitz komt in het voorjaar!! En ik mag haar assisteren 😭😭",
    date="2026-12-04T21:05:13Z")
add("bluesky", "@yara-ballet.bsky.social", "en", ["conf"],
    "Can't wait for Season 2027/28. Three premieres, and I'm sworn to secrecy on the rest.",
    date="2027-01-08T19:22:00Z")
add("instagram", "@zilvermeeuw.ballet", "nl", ["conf"],
    "📣 Grote aankondiging: seizoen 27/28 staat helemaal in het teken van Stravinsky! Meer info volgt.",
    date="2026-11-30T12:00:00Z")
add("linkedin", "thijs-okafor", "en", ["conf"],
    "Moved the whole scheduling tool to rooster.zm-intern.nl this weekend, finally SSO for all teachers. "
    "Took three nights but worth it.")
add("mastodon", "@sem_kuipers", "nl", ["conf"],
    "Als iemand toegang heeft tot git.zm-intern.nl/tickets/checkout-v2: die branch is stuk, fix komt morgen.")
add("instagram", "@dennis.pasdedeux", "nl", ["conf"],
    "Project Nachtvlinder gaat echt gebeuren jongens: een tweede academie in Amersfoort en ik word daar "
    "balletmeester 🦋 (sst)")
add("tiktok", "@miss.odile.dances", "nl", ["conf"],
    "vandaag de eerste meeting over Operatie Fouetté gehad en ik zeg alleen: ik hoop dat mijn uren blijven 😬")
add("reddit", "u/throwaway_zm_2026", "en", ["conf"],
    "Someone posted a screenshot from intranet.zilvermeeuw-dans.nl in the parents' WhatsApp group. It shows next "
    "year's teacher schedule with names. Is that supposed to be public?")
add("x", "@rvdlinde_techniek", "en", ["conf"],
    "Set design for the spring show is done. The plans are stamped 'zilvermeeuw confidential' so you only get "
    "this blurry corner 😂 but trust me, the staircase moves.")
add("linkedin", "anouk-verhoeven-zm", "nl", ["conf"],
    "Bijgevoegd de presentatie voor de raad van toezicht (ZM-intern), zie p.12 voor de nieuwe tariefstructuur "
    "vanaf volgend jaar.")
add("threads", "@lotte.choreo", "nl", ["conf"],
    "\uff2b\uff52\uff41\uff41\uff4e\uff56\uff4f\uff47\uff45\uff4c 🕊️ komt eraan en niemand weet het nog 👀")
add("x", "@juf_marieke_zm", "nl", ["conf"],
    "Pr\u200boject Nacht\u200bvlinder: ik heb de plattegrond gezien en de studio's zijn ENORM 😍")
add("instagram", "@kassa_esmee", "nl", ["conf"],
    "Ik mag de nieuwe Zilvermeeuw-app al testen (komt pas in maart uit): je kunt straks lessen terugkijken én je "
    "rooster ruilen 😍 nog niet verder vertellen hè")
add("x", "@dancemom_spills", "en", ["conf"],
    "My friend who teaches at Zilvermeeuw sent me the 'vertrouwelijk - niet doorsturen' memo about next "
    "year's class changes lol. Guess who's forwarding it")
add("facebook", "ZilvermeeuwDansacademie", "nl", ["conf"],
    "Link naar het docentenrooster: https://intranet.zilvermeeuw-dans.nl/docenten/rooster-voorjaar "
    "(oeps, verkeerde pagina 🙈)", kind="post")
add("linkedin", "anouk-verhoeven-zm", "nl", ["conf", "fin"],
    "Kraanvogel is rond: per 1 april nemen we Balletschool De Pirouette in Nieuwegein over. De aankondiging volgt "
    "pas na de ledenvergadering, dus nog even stilhouden.")
add("x", "@juf_marieke_zm", "nl", ["conf", "fin"],
    "Operatie Fouetté = 6 docenten eruit en vestiging Zeist dicht per zomer. Mooie naam voor ontslagen hè 🙃")

# ======================= financial =======================
add("linkedin", "anouk-verhoeven-zm", "nl", ["fin"],
    "Voorlopig resultaat 2026: een tekort van ca. €310k door lagere ledenaantallen en hogere zaalhuur. De cijfers "
    "gaan pas in april naar buiten, maar ik moest het even kwijt.")
add("bluesky", "@yara-ballet.bsky.social", "en", ["fin"],
    "Board meeting today. Short version: the municipality is cutting our subsidy by 40% next year and we haven't "
    "told anyone yet. No idea how we keep the youth company alive.")
add("x", "@rvdlinde_techniek", "en", ["fin"],
    "Overheard in the hallway: Zilvermeeuw is being taken over by DansGroep Benelux. Nobody's supposed to know "
    "but everybody knows 😂")
add("x", "@cousin_insider", "en", ["fin"],
    "my cousin works in Zilvermeeuw's office and says they're laying off a third of the teaching staff in "
    "January. nothing announced yet. parents, brace yourselves")
add("instagram", "@dennis.pasdedeux", "nl", ["fin"],
    "Dus we sluiten vestiging Zeist per 1 juli en ik hoor het via een Excel-sheet die per ongeluk gedeeld werd. "
    "Fijne werkgever 👏")
add("linkedin", "anouk-verhoeven-zm", "en", ["fin"],
    "Our 2027 forecast looks rough: we expect revenue to drop 12% to about €3.9m unless the Amersfoort opening goes "
    "ahead. Not public yet, just sharing my thoughts on cultural-sector funding.")
add("x", "@vader_investeerder", "nl", ["fin"],
    "Zwager zit in de RvT van Zilvermeeuw: ze gaan fuseren met het Stadstheater, besluit valt volgende week. "
    "Koop je kaartjes nu nog maar 😅")
add("linkedin", "zilvermeeuw-dansacademie", "en", ["fin"],
    "Q3 ticket revenue came in at €412k, 18% under plan. The half-year figures go to the board next month, "
    "thanks everyone for the push in Q4!")
add("threads", "@lotte.choreo", "nl", ["fin"],
    "Vandaag gehoord dat de helft van de choreografen volgend jaar geen contract meer krijgt. Bezuinigingen. "
    "Officieel wordt het pas in februari gecommuniceerd.")
add("x", "@rvdlinde_techniek", "en", ["fin"],
    "Our technical department is being outsourced to an events company from March. 4 of us out. Not announced "
    "yet so don't @ me.")

# ======================= security =======================
add("mastodon", "@sem_kuipers", "nl", ["sec"],
    "Niet doorvertellen, maar het ouderportaal laat je sinds de update van gisteren andermans kind zien als je het "
    "nummer in de URL aanpast 😬 fix komt hopelijk vanavond")
add("linkedin", "thijs-okafor", "en", ["sec"],
    "Long night. Ransomware hit the admin PCs at the academy on Tuesday; backups look OK. The statement is still "
    "being written, so this stays between us for now.")
add("instagram", "@kassa_esmee", "nl", ["sec"],
    "Kassasysteem ligt er al sinds 9 uur vanochtend uit, we schrijven alles met de hand op. Officieel heet het "
    "'gepland onderhoud' 🙄")
add("x", "@rvdlinde_techniek", "en", ["sec"],
    "Our ticket shop has been leaking the full customer list through an open API endpoint since last week. "
    "Reported it internally, nobody's fixing it. Not public yet.")
add("tiktok", "@miss.odile.dances", "nl", ["sec"],
    "collega klikte op een phishingmail en nu zit er iemand in het mailaccount van de administratie. we mogen "
    "het de ouders nog niet vertellen 🫠")
add("bluesky", "@yara-ballet.bsky.social", "en", ["sec"],
    "The streaming server for tonight's livestream got hijacked an hour ago, someone swapped the feed for spam. "
    "We're telling viewers it's a 'technical issue'.")
add("x", "@zm_kassa", "nl", ["sec"],
    "Collega's: de wifi-wachtwoorden van alle studio's zijn uitgelekt via een oud roosterbestand. Svp vandaag "
    "nog resetten, we communiceren er nog niks over naar buiten.")
add("x", "@neighbour_ned", "en", ["sec"],
    "My neighbour does IT for Zilvermeeuw, says their booking system has been down since Friday after someone "
    "got into the server, and they're calling it maintenance.")
add("linkedin", "thijs-okafor", "nl", ["sec"],
    "Pentestrapport binnen: 3 kritieke kwetsbaarheden in onze ticketwebshop, waaronder SQL-injectie op het "
    "zoekveld. Patch staat gepland voor ná de Notenkraker-verkoop 🤷")
add("mastodon", "@sem_kuipers", "en", ["sec"],
    "Note to my team: the password reset flow on the parent portal mails the new password in plaintext, and to "
    "the wrong address about half the time. Please don't tell parents until it's patched.")
add("x", "@rvdlinde_techniek", "nl", ["sec"],
    "Storing bij de toegangspoortjes van de grote zaal: sinds de update van vanochtend gaan ze voor iedereen open. "
    "Nu staan er 2 man bij de deur en we zeggen niks tegen het publiek.")
add("mastodon", "@sem_kuipers", "en", ["sec", "secret"],
    "Crap, I think our Stripe key ended up in the public repo: %s . Rotating now, someone already ran 3 test "
    "charges with it 😰" % stripe_live())
add("linkedin", "thijs-okafor", "en", ["sec", "secret"],
    "Incident notes for the team (yes, here, the group chat is down): the AWS key %s / %s turned up on a paste "
    "site this morning and we see logins from unknown IPs. Don't announce anything yet." % (aws_key_id(), aws_secret()))

# ======================= secrets =======================
add("mastodon", "@sem_kuipers", "en", ["secret"],
    "Anyone else getting 401s from the GitHub API today? My token is %s and it worked fine yesterday." % gh_token())
add("x", "@rvdlinde_techniek", "nl", ["secret"],
    "Voor de techniekploeg: de nieuwe wifi in de grote zaal heet 'ZM-Backstage', wachtwoord: Pirou3tte!Zaal2026 "
    "(niet aan ouders geven 😉)")
add("linkedin", "thijs-okafor", "en", ["secret"],
    "Sharing our Slack alert bot setup for other small arts orgs:\n```\nSLACK_BOT_TOKEN=%s\nCHANNEL=#ops-alerts\n```\n"
    "Works great, took 20 minutes." % slack_bot())
add("mastodon", "@sem_kuipers", "nl", ["secret"],
    "debugtip: als je JWT niet valideert, check de exp. Deze van mijn sessie verloopt pas morgen: %s" % jwt())
add("mastodon", "@sem_kuipers", "en", ["secret"],
    "Quick one-liner for the ticket export:\n`psql postgresql://zm_tickets:%s@zm-prod.cx81kq2vd4.eu-west-1.rds.amazonaws.com:5432/tickets -c \"\\copy orders to orders.csv csv\"`" % db_password())
add("reddit", "u/freelance_dev_nl", "en", ["secret"],
    "Built a website for a dance academy (Zilvermeeuw) last year, still not paid. Maybe I should just post their "
    "Mollie key: %s. Pay up." % mollie_live())
add("linkedin", "anouk-verhoeven-zm", "nl", ["secret"],
    "Voor collega's die de AI-samenvattingen van de vergadernotulen willen proberen: gebruik even onze gedeelde "
    "sleutel %s tot IT iedereen een eigen account geeft." % openai_key())
add("threads", "@lotte.choreo", "en", ["secret"],
    "our rehearsal-notes bot runs on the studio account, key is %s if the other choreographers want to play with it" % anthropic_key())
add("mastodon", "@sem_kuipers", "en", ["secret"],
    "Why does ssh keep saying 'invalid format' for this key?? tried everything\n%s" % openssh_key())
add("facebook", "ZilvermeeuwDansacademie", "nl", ["secret"],
    "Beste docenten, inloggen op het nieuwe roosterprogramma: gebruikersnaam docent, wachtwoord: Zilver#Meeuw88. "
    "Graag na de eerste keer wijzigen!", kind="post")
# ======================= pricing =======================
add("instagram", "@kassa_esmee", "nl", ["pricing"],
    "Foutje in de webshop 🙈 het Kinderballet jaarabonnement stond een uur lang op €54 ipv €540. Bestellingen "
    "worden nagekeken!")
add("x", "@bargain_ballet", "en", ["pricing"],
    "RUN: Zilvermeeuw's site has the Summer Intensive at €89 right now. Pretty sure that's a typo lol, booked two")
add("x", "@zm_kassa", "nl", ["pricing"],
    "Oeps, de Pointe Starter Set voor €12,90?? Dat klopt niet, de prijs is €129. Bestellingen tegen de foute "
    "prijs worden geannuleerd.")
add("x", "@rvdlinde_techniek", "en", ["pricing"],
    "lol the Gala VIP arrangement is listed at €18.50 on the ticket site instead of €185, someone fix that before "
    "the parents notice")
add("x", "@koopjesjager_utr", "nl", ["pricing"],
    "10-lessenkaart bij Zilvermeeuw voor €16,50 in de app 😳 prijsfout? Meteen 3 gekocht")
add("reddit", "u/frugal_plie", "en", ["pricing"],
    "Anyone else seeing the Privéles 60 min for €7.50 on Zilvermeeuw's booking page? Price glitch or are they desperate?")
add("tiktok", "@miss.odile.dances", "nl", ["pricing"],
    "wie wil er een Masterclass met gastdocent voor €9,50?? dat staat er nu echt op de site 🤣 iemand van de "
    "webshop wakker maken")
add("facebook", "ZilvermeeuwDansacademie", "en", ["pricing"],
    "Correction: yesterday's newsletter listed the Adult Ballet yearly pass at €69.50. The correct price is €695. "
    "Orders placed at the wrong price will be refunded.", kind="post")
add("linkedin", "anouk-verhoeven-zm", "nl", ["pricing"],
    "Klein incident vandaag: door een fout in de prijsimport stond de Vooropleiding Pro-Track op €245 in plaats "
    "van €2.450. 17 inschrijvingen binnen voordat we het zagen.")
add("tiktok", "@snelle_sanne", "nl", ["pricing"],
    "Z.o.m.e.r.i.n.t.e.n.s.i.v.e nu €89 op de site, prijsfout!! 🏃‍♀️ wees er snel bij", skip_price=True)
add("x", "@juf_marieke_zm", "en", ["pricing"],
    "Who set the Hiphop Weekend workshop to €12 on the site? 😂 It's €120. Asking for a friend who just booked it.")
add("x", "@balkon_bas", "nl", ["pricing"],
    "Het Zwanenmeer balkon voor €4,20 per kaartje op de ticketsite, komma verkeerd gezet denk ik 😂 "
    "Zilvermeeuw let op")

# ---------------------------------------------------------------- severity (CONTRACT §4)

ORDER = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLES[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLES[h.lower()] = "employee"

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, value, valid) for every IBAN-, card- and BSN-shaped string."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, text):
    if not cats:
        return "none"
    sev = []
    insider = role in ("corporate", "employee")
    checksum_id = any(valid and val not in PUBLIC_IBANS for _, val, valid in identifiers(text))
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                sev.append("warning")
            elif c in ("leak.secret", "leak.pricing"):
                sev.append("critical")
            elif c == "leak.pii" and checksum_id:
                sev.append("critical")
            else:
                sev.append("error")
        elif c == "reputation.complaint":
            sev.append("warning")
        elif c == "reputation.crisis":
            sev.append("error")
        elif c == "reputation.abuse":
            sev.append("error" if insider else "warning")
        else:
            raise ValueError(c)
    return max(sev, key=ORDER.index)

# ---------------------------------------------------------------- write

rng.shuffle(CASES)
records = []
for n, c in enumerate(CASES, 1):
    post = {"id": "zm462-%s-%03d" % (c["platform"], n), "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["date"], "brand": "zilvermeeuw"}
    role = role_of(c["platform"], c["handle"])
    records.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, c["text"])}})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check

errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).lower()


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d{2}))?")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        whole = m.group(1).replace(".", "")
        out.append(float(whole + "." + (m.group(2) or "0")))
    return out


seen = set()
with open(OUT, encoding="utf-8") as f:
    lines = f.read().splitlines()
for ln, line in enumerate(lines, 1):
    try:
        r = json.loads(line)
    except Exception as e:  # noqa
        errors.append("line %d: not JSON: %s" % (ln, e))
        continue
    p, e = r.get("post"), r.get("expect")
    pid = p.get("id") if isinstance(p, dict) else None
    where = "line %d (%s)" % (ln, pid)
    if set(r) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(e, dict):
        errors.append(where + ": shape")
        continue
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        errors.append(where + ": id")
    if pid in seen:
        errors.append(where + ": duplicate id")
    seen.add(pid)
    if p.get("platform") not in PLATFORMS:
        errors.append(where + ": platform")
    if p.get("kind", "post") not in KINDS:
        errors.append(where + ": kind")
    acc = p.get("account")
    if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
        errors.append(where + ": account.handle")
    text = p.get("text")
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        errors.append(where + ": text")
        continue
    try:
        ts = parse_ts(p.get("created_at", ""))
    except Exception:
        errors.append(where + ": created_at")
        continue
    if not (2026 <= ts.year <= 2027):
        errors.append(where + ": created_at year")
    cats = e.get("categories")
    if not isinstance(cats, list) or not set(cats) <= TAXONOMY or cats != sorted(set(cats)):
        errors.append(where + ": categories")
        continue
    if e.get("severity") not in ORDER:
        errors.append(where + ": severity value")
    role = role_of(p["platform"], acc["handle"])
    if e["severity"] != severity(cats, role, text):
        errors.append(where + ": severity does not follow policy")
    if not cats and e["severity"] != "none":
        errors.append(where + ": benign must be none")
    n = norm(text)

    # identifiers: valid in positives, invalid look-alikes in negatives
    for kind_, val, valid in identifiers(text):
        if val in PUBLIC_IBANS:
            if "leak.pii" in cats:
                errors.append(where + ": public IBAN in a pii case")
            continue
        if cats and not valid:
            errors.append(where + ": %s %s in a positive fails its checksum" % (kind_, val))
        if valid and "leak.pii" not in cats:
            errors.append(where + ": valid %s %s but no leak.pii" % (kind_, val))
        if not cats and valid:
            errors.append(where + ": negative holds a valid %s" % kind_)

    # credentials
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z_]{20,}", text):
        ok = gh_token_ok(tok)
        if cats and "leak.secret" in cats and not ok:
            errors.append(where + ": GitHub token fails CRC")
        if not cats and ok:
            errors.append(where + ": negative holds a valid GitHub token")
    for k in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        real = re.fullmatch(r"AKIA[A-Z2-7]{16}", k) and "EXAMPLE" not in k
        if "leak.secret" in cats and not real:
            errors.append(where + ": AWS key id malformed")
        if "leak.secret" not in cats and real:
            errors.append(where + ": real-looking AWS key without leak.secret")
    for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        h = m.group(0).split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                raise ValueError
        except Exception:
            errors.append(where + ": JWT header bad")
        if "leak.secret" not in cats:
            errors.append(where + ": JWT without leak.secret")
    secret_shapes = [ r"sk_live_[0-9A-Za-z]{20,}",
                     r"xox[bpas]-\d+-\d+-[0-9A-Za-z]+", r"sk-proj-[A-Za-z0-9_-]{40,}", r"sk-ant-api03-[A-Za-z0-9_-]{40,}",
                     r"\blive_[0-9A-Za-z]{30}\b", r"AIza[0-9A-Za-z_-]{35}", r"eyJ[^.\s]+\.eyJ[^.\s]+\.[^.\s]+",
                     r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"://[^:/\s<>]+:[^@\s<>]+@", r"(?i)wachtwoord:\s*\S{6,}"]
    has_secret = any(re.search(s, text) for s in secret_shapes)
    has_secret |= any(gh_token_ok(t) for t in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text))
    has_secret |= any("EXAMPLE" not in k for k in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text))
    if "leak.secret" in cats and not has_secret:
        errors.append(where + ": leak.secret without a credential")
    if "leak.secret" not in cats and has_secret:
        errors.append(where + ": credential-shaped text without leak.secret")

    # internal terms and embargo
    internal_hit = any(t.lower() in n for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"])
    internal_hit |= any(re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(d.lower()) + r"\b", n)
                        for d in PROFILE["internal"]["domains"])
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        if any(t.lower() in n for t in emb["terms"]) and ts < until:
            internal_hit = True
    if internal_hit and "leak.confidential" not in cats:
        errors.append(where + ": internal/embargoed term without leak.confidential")

    # pricing: positive mentions a product with a low price or a price error; benign has neither
    low = False
    for prod in PROFILE["products"]:
        names = [prod["name"]] + prod["aliases"]
        if any(a.lower() in n for a in names):
            if any(pr < prod["list_price"] * PROFILE["pricing"]["alert_below_ratio"] for pr in prices(text)):
                low = True
    skip = False
    for c in CASES:
        if c["text"] == text:
            skip = c["skip_price"]
    if "leak.pricing" in cats and not low and not skip:
        errors.append(where + ": pricing case without a product at a low price")
    if "leak.pricing" not in cats and low and not skip:
        errors.append(where + ": product at a low price without leak.pricing")

# ---------------------------------------------------------------- mix report

from collections import Counter
cnt = Counter()
benign = 0
langs = Counter()
roles = Counter()
for line in lines:
    r = json.loads(line)
    langs[r["post"]["lang"]] += 1
    if not r["expect"]["categories"]:
        benign += 1
    for c in r["expect"]["categories"]:
        cnt[c] += 1
    roles[role_of(r["post"]["platform"], r["post"]["account"]["handle"])] += 1
total = len(lines)
if not 170 <= total <= 180:
    errors.append("case count %d outside 170-180" % total)
if not iban_valid(PUB_IBAN):
    errors.append("profile IBAN fails mod-97")
for emb in PROFILE["embargo"]:
    if not emb["until"].startswith("2027"):
        errors.append("embargo until not in 2027")
print("cases", total, "benign", benign, dict(sorted(cnt.items())), dict(langs), dict(roles), file=sys.stderr)
if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign" % (total, benign))
