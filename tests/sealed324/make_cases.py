#!/usr/bin/env python3
"""Build the labelled evaluation set 324 (Moverra Studios, yoga/dance studios + booking app).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and checks it: CONTRACT section 6 shape, severities from CONTRACT section 4 (computed from
the account role in profile.yaml), checksums of identifiers, prices against the catalogue,
embargo timing, secret formats, the category mix.
"""
import base64
import collections
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
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 3240_2026
rng = random.Random(SEED)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban_nl(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct
    num = int("".join(str(int(c, 36)) for c in base + "NL00"))
    return f"NL{98 - num % 97:02d}{base}"


def bad_iban_nl(bank):
    good = make_iban_nl(bank)
    digits = list(good)
    i = len(digits) - 3
    digits[i] = str((int(digits[i]) + 3) % 10)
    bad = "".join(digits)
    assert not iban_ok(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    tot = sum(int(c) * k for c, k in zip(s, w))
    return tot % 11 == 0 and tot != 0


def make_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------------- secrets
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "mbr_" + rand(string.digits, 6), "role": "studio_admin",
                                 "iss": "moverrago-auth", "iat": 1767945600, "exp": 1799481600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot_token():
    return f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"


def stripe_live_key():
    return "sk_live_51" + rand(ALNUM, 97)


def openai_key():
    return "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)


def google_api_key():
    return "AIza" + rand(B64URL, 35)


def mollie_live_key():
    return "live_" + rand(ALNUM, 30)


def sendgrid_key():
    return "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)


def db_password():
    return rand(ALNUM, 10) + rng.choice("!#%") + rand(ALNUM, 5)


# ---------------------------------------------------------------- generated values (fixed order)
V = {}
V["IBAN_P1"] = make_iban_nl("INGB")        # customer's own IBAN (complaint + pii)
V["IBAN_P2"] = make_iban_nl("ABNA")        # corporate refund reply
V["CARD1"] = group4(make_card("4"))        # Visa, customer posts own card
V["CARD2"] = group4(make_card("51"))       # Mastercard, studio manager
V["BSN1"] = make_bsn()                     # HR asks new teacher
b2 = make_bsn()
V["BSN2"] = f"{b2[:4]}.{b2[4:6]}.{b2[6:]}"  # customer, dotted notation
V["BAD_IBAN1"] = bad_iban_nl("INGB")
V["BAD_CARD1"] = group4(bad_card("4"))
V["BAD_CARD2"] = group4(bad_card("6"))
V["BAD_BSN1"] = bad_bsn()
V["GHP1"] = github_token("ghp_")
V["STRIPE1"] = stripe_live_key()
V["SLACK1"] = slack_bot_token()
V["OPENAI1"] = openai_key()
V["AIZA1"] = google_api_key()
V["MOLLIE1"] = mollie_live_key()
V["JWT1"] = jwt_token()
V["PEM1"] = openssh_private_key()
V["SENDGRID1"] = sendgrid_key()
V["DBPW"] = db_password()
V["AWSID1"] = aws_key_id()
V["AWSSECRET1"] = aws_secret()
V["PUB_IBAN"] = "NL14RABO0317264590"

SECRET_VALUES = ["GHP1", "STRIPE1", "SLACK1", "OPENAI1", "AIZA1", "MOLLIE1", "JWT1", "PEM1",
                 "SENDGRID1", "DBPW", "AWSID1", "AWSSECRET1"]

# ---------------------------------------------------------------- the posts
CASES = []


def case(author, kind, lang, text, cats=(), **meta):
    """author = 'platform:handle'. cats = categories (empty for benign)."""
    CASES.append({"author": author, "kind": kind, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "meta": meta})


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints
case("x:@femkeflowt", "reply", "nl",
     "@moverra_helpt al 3x dubbel afgeschreven voor mn Unlimited deze maand?? en de chat zegt 'we kijken ernaar'. "
     "sinds 2 weken. echt niet normaal", [CPL])
case("reddit:u/sore_hamstrings", "post", "en",
     "Tried to cancel my Moverra membership online. There is no cancel button anywhere in MoverraGo, you have to EMAIL "
     "them, then they claim they never got it and bill you another month. Anyone else dealing with this?", [CPL])
case("instagram:@jasmijn.b", "comment", "nl",
     "Weer een les geannuleerd 20 min van tevoren. Stond al in de trein 🙄 @moverra.studios dit is de derde keer deze maand",
     [CPL])
case("x:@theo_moves", "post", "en",
     "waitlist on MoverraGo is a joke. got the 'you're in!' push at 06:58 for a 07:00 class. then charged the no-show fee. "
     "cool cool cool", [CPL])
case("facebook:Anouk Verstappen", "comment", "nl",
     "Douches in Moverra Rotterdam al weken koud en de kleedkamer ruikt naar een zwembad uit 1987. Voor 119 per maand "
     "mag je toch iets meer verwachten", [CPL])
case("forum:yogidad_ehv", "post", "en",
     "Eindhoven studio packs 38 mats into a room meant for 20. My hand was literally on someone's foot during sun "
     "salutations. Not relaxing, Moverra.", [CPL])
case("x:@b_dekker_", "post", "nl",
     "Moverra app logt me elke keer uit als ik wil boeken. herinstalleren helpt niks. iphone 15, nieuwste versie. "
     "wie heeft dit getest", [CPL])
case("instagram:@salsa.sanne", "comment", "en",
     "Paid for the Heels workshop, teacher never showed up, and three weeks later still no refund. @moverra.studios "
     "answer your DMs please", [CPL])
case("threads:@mirthe.leest", "post", "nl",
     "bevriezen van abonnement kan 'alleen met doktersverklaring' maar ik ben gewoon zwanger?? moet ik nu een briefje "
     "van de verloskundige halen om te pauzeren. kom op Moverra", [CPL])
case("tiktok:@jules.wav", "comment", "en",
     "the new timetable at Moverra De Pijp makes it impossible for anyone with a 9-5 to go. 'evening' class at 17:15 lmao",
     [CPL])
case("x:@rvanleeuwen", "reply", "nl",
     "@moverra_helpt 10-rittenkaart gekocht, staat na 4 dagen nog steeds niet in de app. bon heb ik, ritten niet", [CPL])
case("bluesky:@hannahruns.bsky.social", "post", "en",
     "Ordered a GripMat Pro from Moverra, it arrived with a tear down the middle and customer service wants ME to pay "
     "return shipping. no thanks", [CPL])
case("forum:Kimmie_R", "post", "nl",
     "Kinderdans bij Moverra Den Haag: juf wisselt elke week, de kinderen snappen er niks meer van en de "
     "eindvoorstelling is gewoon geschrapt zonder uitleg. Jaarabonnement van 420 euro vooruit betaald...", [CPL])

# ---- first-hand safety incidents: crisis + complaint
case("instagram:@ilse.hangt", "post", "nl",
     "Aerial yoga bij Moverra Utrecht: de doek scheurde midden in een inversie en ik viel met mijn nek op de vloer. "
     "Nu met een kraag op de bank. Geen valmat eronder, docent zei 'dat gebeurt nooit'. Echt woedend.", [CRI, CPL])
case("x:@kwabena_lifts", "post", "en",
     "Hot yoga at Moverra Amsterdam yesterday: room hit 44°C, I blacked out in half moon and woke up on the floor. "
     "Nobody checked on me for ten minutes. Is this even legal??", [CRI, CPL])
case("facebook:Debby Kraaijeveld", "post", "nl",
     "Onze dochter (7) kreeg uitslag over haar hele armen en benen na de kinderles op de nieuwe GripMat Lite van "
     "Moverra. Huisarts denkt aan een reactie op de coating. Wie heeft dit nog meer?", [CRI, CPL])
case("reddit:u/oak_and_ash", "post", "en",
     "The heating panel in studio 2 at Moverra Den Haag sparked and started smoking while we were in savasana. I burnt "
     "my forearm grabbing my mat next to it. Staff just opened a window and carried on with class.", [CRI, CPL])

# ---- crisis (third party news, breach accusations, boycotts, lawsuits, recalls, scandal)
case("x:@nieuwsutrecht030", "post", "nl",
     "Brandweer rukte vanavond uit naar yogastudio Moverra aan de Biltstraat; een infraroodpaneel zou in brand zijn "
     "gevlogen. Twee cursisten zijn nagekeken door ambulancepersoneel.", [CRI])
case("x:@privacyfirst_jan", "post", "en",
     "MoverraGo leaked my data. Got a phishing mail with my exact class history and home address 2 days after booking. "
     "@moverra_nl did you sell it or did someone hack you? #databreach", [CRI])
case("x:@annelies_k", "post", "nl",
     "#BoycotMoverra tot ze hun docenten een fatsoenlijk uurloon betalen. €22 per les en je opleiding mag je zelf "
     "betalen. Zeg je abonnement op!", [CRI])
case("linkedin:mark-vermeer-advocaat", "post", "en",
     "We have filed suit on behalf of eleven former Moverra instructors over their misclassification as freelancers. "
     "The summons was served on Moverra Studios B.V. this morning.", [CRI])
case("forum:Yogamama_Zwolle", "post", "nl",
     "Net gelezen dat Moverra de GripMat Pro terugroept omdat er een stof in zit die niet mag?? Staat nergens op hun "
     "site. Iemand meer info?", [CRI])
case("x:@dancewatchNL", "post", "en",
     "Multiple students at Moverra's dance academy are now publicly accusing a senior teacher of inappropriate touching "
     "during 'corrections'. Management has known since spring. This is a scandal.", [CRI])
case("x:@gezondheidnu", "repost", "nl",
     "GGD onderzoekt legionella in de douches van Moverra Rotterdam na twee ziektegevallen, meldt RTV Rijnmond.", [CRI])
case("threads:@mel.on.the.mat", "post", "en",
     "Just saw an ambulance outside Moverra Eindhoven, apparently someone fell off a reformer when the strap snapped. "
     "Hope they're ok 🙏", [CRI])
case("tiktok:@lotte.vlogt", "post", "nl",
     "waarom zegt niemand iets over dat Moverra je betaalgegevens laat slingeren?? mn zus d'r creditcard werd in "
     "Brazilië gebruikt vlak nadat ze in de app had geboekt. databreach?? #moverra", [CRI])
case("x:@ethicalyogi", "post", "en",
     "Moverra selling a 'Holi Dance Party' where white influencers throw colour powder for €35 a ticket. Cultural "
     "appropriation as a product. Don't give them your money. #boycottmoverra", [CRI])
case("instagram:@noor.flows", "post", "nl",
     "Ik ben het zat. Al drie keer gemeld dat de reformers in Den Haag kapotte veren hebben, vandaag weer iemand "
     "geblesseerd. Management doet niks. Als docent kan ik dit niet langer verantwoorden.", [CRI])

# ---- abuse
case("x:@dennis_0731", "post", "nl", "Moverra is echt een kutbedrijf met kutdocenten. Oplichters.", [ABU])
case("x:@xXgymbroXx", "reply", "en",
     "@liekeyoga_mv nobody wants to watch a fat cow do downward dog lmao stick to the back row", [ABU])
case("instagram:@r.a.t.j.e", "comment", "nl", "@daan.danst flikker ga lekker ergens anders huppelen", [ABU])
case("x:@v0id_walker", "post", "en",
     "m0verra staff are f*cking 1d10ts and the owner is a cl0wn. sh1t c0mpany, sh1t app", [ABU])
case("x:@mo_ut030", "post", "nl",
     "Die receptioniste van Moverra Utrecht is een t.y.f.u.s.w.i.j.f, echt waar", [ABU])
case("tiktok:@true_dutch_88", "comment", "en",
     "go back to your own country @noor.flows, nobody in Amsterdam wants your 'namaste' crap", [ABU])
case("x:@tessa_mv_studio", "post", "nl",
     "Die vent van 07:00 die elke ochtend over zijn 'rechten' zeurt kan echt de tering krijgen. wat een eikel", [ABU])
case("x:@moverra_helpt", "reply", "en",
     "@theo_moves Maybe learn to read a clock, idiot. Not our problem.", [ABU])
case("facebook:Gert Jan Smeets", "comment", "nl",
     "Моvеrrа = sсhоrеm. Die eigenaar is een vuile оplichter en zijn dосenten zijn debielen", [ABU])

# ---- complaint + abuse
case("x:@furious_flo", "reply", "en",
     "Charged me €119 AGAIN after I cancelled in March. Your support are useless brain-dead morons @moverra_helpt. "
     "Give me my money back you thieving bastards", [CPL, ABU], at="2026-05-02T08:03:00Z")
case("facebook:Ricardo Lont", "comment", "nl",
     "Wat een teringzooi bij jullie. Uur in de wacht gestaan bij de klantenservice voor een simpele opzegging en die "
     "trut aan de lijn hing gewoon op. Klootzakken.", [CPL, ABU])

# ---- personal data
case("x:@anoniemedanser", "reply", "nl",
     "@liekeyoga_mv denk je dat je mij kan blokkeren? ik weet waar je woont hoor, Lieke Hoogendoorn, Merelstraat 19, "
     "3514 CN Utrecht. zie je snel 😘", [PII, ABU])
case("x:@petravdh", "reply", "nl",
     "@moverra_helpt nu al 6 weken wachten op mijn terugbetaling voor de geannuleerde retraite. Hier nog een keer mijn "
     "rekeningnummer want blijkbaar kwijt: [[IBAN_P1]] t.n.v. P. van der Heijden. Schiet op.", [CPL, PII])
case("x:@moverra_helpt", "reply", "nl",
     "@marieke_vos Hoi Marieke! Vervelend dat je boeking misging. Een collega belt je vandaag nog terug op 06-48213377 "
     "en de bevestiging komt naar marieke.vos84@gmail.com 🙏", [PII])
case("threads:@sofie.balie", "post", "nl",
     "wie is dit verloren?? pasje gevonden in de kleedkamer Biltstraat, staat op: Daphne Mulder, lid sinds 2021, "
     "geb. 14-08-1996. kom maar ophalen bij de balie 💕", [PII])
case("linkedin:ellen-bosman-hr", "comment", "nl",
     "Voor de STAP-aanvraag heb ik van onze nieuwe docent nog het BSN nodig. Ahmed, klopt [[BSN1]]? Graag even "
     "bevestigen dan dien ik het vandaag in.", [PII])
case("facebook:MoverraStudios", "comment", "nl",
     "Hoi Sandra, de restitutie van je retreat gaat naar [[IBAN_P2]] (S. Kuipers), klopt dat? Houd rekening met 5 "
     "werkdagen.", [PII])
case("x:@lenny_b", "reply", "en",
     "@moverra_helpt app won't take my card so here it is, can someone just charge it manually: [[CARD1]] exp 09/28 "
     "cvc 311", [PII])
case("x:@marco_codes_nl", "post", "en",
     "weird bug: the member record for j.dewit@kpnmail.nl keeps duplicating, and +31 6 2291 7740 shows up twice in the "
     "bookings table. anyone seen this with postgres upserts?", [PII])
case("x:@joycevd", "post", "nl",
     "Wie wil er mee naar de salsa workshop bij Moverra? App Yvonne even, 06 19 84 22 07, zij regelt de groepskorting",
     [PII])
case("instagram:@noor.flows", "post", "nl",
     "Gefeliciteerd lieve Fenna Brouwer, 30 jaar vandaag (geboren 3 mei 1996)! 🎂 Zie je donderdag in de flow les 🧘‍♀️",
     [PII], at="2026-05-03T08:14:00Z")
case("x:@moverra_nl", "post", "nl",
     "Winnaar van de retreat-giveaway is @yara.moves! Yara, we sturen je pakket naar Yara Hendriks, Lindenlaan 42, "
     "5611 AB Eindhoven. Gefeliciteerd! 🎁", [PII])
case("x:@tessa_mv_studio", "reply", "nl",
     "@moverra_nl kunnen jullie de terugstorting voor mevrouw El Idrissi regelen? Kaart waarmee ze betaalde: [[CARD2]], "
     "bedrag €89", [PII])
case("reddit:u/newteacher_nl", "post", "en",
     "Moverra asked me for my BSN to apply for the teacher training subsidy... is that normal? They want it by DM. "
     "It's [[BSN2]] btw if anyone from HR reads this lol", [PII])
case("forum:SanneG88", "post", "nl",
     "Voor wie wil carpoolen naar het Ardennen retreat van Moverra: mail me op sanne.groeneveld1988@hotmail.com of "
     "bel 0031 6 5530 1942", [PII])
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "exported the churn list for marketing, top rows: Tim Jansen, tim.jansen@ziggo.nl, 06-33218790 / Eva Claes, "
     "eva.claes@telenet.be, 030-2318456. why is everyone leaving in January 🤔", [PII],
     at="2026-02-11T10:26:00Z")

# ---- pricing
case("x:@dealjager_nl", "post", "nl",
     "PRIJSFOUT?! Moverra GripMat Pro voor €8,99 in de webshop 😱 normaal 89,95. bestellen bestellen", [PRC],
     price=("MV-MATP", 8.99))
case("instagram:@moverra.studios", "post", "nl",
     "🎉 Nieuw: Moverra Unlimited nu voor maar €11,90 per maand! Onbeperkt yoga én dans. Link in bio", [PRC],
     price=("MV-UNL", 11.90))
case("x:@marco_codes_nl", "post", "en",
     "lol someone pushed the promo config wrong, the 200h teacher training shows €345 at checkout instead of €3450. "
     "hotfixing now, don't tell anyone 🙈", [PRC], price=("MV-YTT200", 345.00))
case("reddit:u/frugalflow", "post", "en",
     "Moverra 10-class card is €16.50 in the app right now (should be €165). Pretty sure it's a decimal bug, "
     "grabbed two.", [PRC], price=("MV-C10", 16.50))
case("threads:@sofie.balie", "post", "nl",
     "psst 5-rittenkaart aan de balie vandaag voor €9 😶 kassa staat raar ingesteld maar ik ga het echt niet fixen 🤫",
     [PRC], price=("MV-C5", 9.00))
case("x:@nina_shopt", "post", "nl",
     "Moverra SeamlessFlow legging €6,49 op de site?? Foutje denk ik maar heb er 4 besteld haha", [PRC],
     price=("MV-LEG", 6.49))
case("x:@chris_in_ams", "post", "en",
     "lmao Moverra's Ardennes retreat listed at €59 instead of €595. someone forgot a zero", [PRC],
     price=("MV-RTR", 59.00))
case("linkedin:moverra-studios", "post", "nl",
     "Investeer in je team: het Moverra Corporate Wellness pakket, nu vanaf €240 per jaar. Vraag een offerte aan!",
     [PRC], price=("MV-CORP", 240.00))
case("tiktok:@bargainbabe.nl", "post", "nl",
     "Moverra ThermoFles voor €2,75 in de app, prijsfout, ga ga ga 🏃‍♀️💨", [PRC], price=("MV-FLES", 2.75))
case("instagram:@daan.danst", "post", "nl",
     "Mag het eigenlijk niet zeggen maar er zit een prijsfout in de Dance Teacher Course inschrijving, hij staat op "
     "€189 😅 wees er snel bij", [PRC], price=("MV-DTC", 189.00))
case("x:@ollie_j", "post", "en",
     "Is the Moverra studio hoodie really €5.99 on the webshop or is that a price error? Don't want my order cancelled",
     [PRC], price=("MV-HOOD", 5.99))
case("forum:papa_van_twee", "post", "nl",
     "Kids Dance jaarabonnement van Moverra stond gisteren op €42 i.p.v. €420. Wij hebben geboekt, wordt dat "
     "gehonoreerd? Iemand ervaring met prijsfouten bij hen?", [PRC], price=("MV-KIDS", 42.00))

# ---- secrets
case("x:@marco_codes_nl", "post", "en",
     "why does this keep 401ing 😤\ncurl -H \"Authorization: token [[GHP1]]\" "
     "https://api.github.com/repos/moverra/booking-api/actions/runs", [SEC])
case("linkedin:priya-raghunathan-dev", "post", "en",
     "Sharing our payment snippet for tomorrow's Stripe meetup!\n\nstripe.api_key = \"[[STRIPE1]]\"\n"
     "stripe.PaymentIntent.create(amount=11900, currency=\"eur\")", [SEC])
case("mastodon:@rubenops", "post", "en",
     "our deploy bot stopped posting, token is [[SLACK1]] , did Slack change bot scopes again? #devops", [SEC])
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "playing with embeddings for class recommendations 🤓\nOPENAI_API_KEY=[[OPENAI1]] python recommend.py "
     "--studio utrecht", [SEC])
case("x:@bugbountybas", "reply", "en",
     "@moverra_nl your Android app ships a Google API key in plain text: [[AIZA1]] — restrict it please", [SEC])
case("x:@tessa_mv_studio", "post", "nl",
     "Voor de nieuwe pinautomaat: Mollie live key is [[MOLLIE1]] , kan iemand van IT die in de kassa zetten? Het lukt "
     "mij zelf niet", [SEC])
case("x:@marco_codes_nl", "post", "en",
     "debugging member app auth, can anyone spot what's wrong with this token? exp looks fine to me\n[[JWT1]]", [SEC])
case("mastodon:@rubenops", "post", "en",
     "new bastion key for Wouter, grab it before I delete this 🙃\n[[PEM1]]", [SEC])
case("threads:@sofie.balie", "post", "nl",
     "voor de invallers vanavond: inloggen op de kassa-iPad met gebruiker balie.utrecht en wachtwoord: Savasana#2026 "
     "(niet verder vertellen haha)", [SEC])
case("x:@moverra_nl", "post", "nl",
     "SG key voor het nieuwsbriefbureau: [[SENDGRID1]] graag vandaag nog instellen", [SEC])
case("mastodon:@rubenops", "post", "en",
     "migration keeps timing out, anyone?\nDATABASE_URL=postgres://booking_rw:[[DBPW]]@pg01.hub.moverra.local:5432/"
     "bookings", [SEC, CNF])
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "so our AWS key leaked last week and someone spun up crypto miners in eu-west-1 😬 nobody outside knows yet. "
     "it was [[AWSID1]] / [[AWSSECRET1]] , rotated now so whatever", [SEC, SCY])

# ---- confidential
case("x:@liekeyoga_mv", "post", "nl",
     "Zo benieuwd naar Kolibrie 🐦 als die app straks live gaat wordt boeken zoveel makkelijker. meer mag ik nog niet "
     "zeggen 🤐", [CNF])
case("instagram:@daan.danst", "post", "nl",
     "Sneak peek!! 👀 de nieuwe Moverra Reformer Loft in Amsterdam-Noord, opening volgend voorjaar. Ssst 🤫", [CNF],
     embargo=("before", "Reformer Loft"), at="2026-10-07T17:42:00Z")
case("linkedin:priya-raghunathan-dev", "post", "en",
     "Proud of my team: we just finished the first internal beta of MoverraGo Plus, with live waitlists and wearable "
     "sync. Can't share more yet!", [CNF], embargo=("before", "MoverraGo Plus"), at="2026-11-19T15:05:00Z")
case("x:@tessa_mv_studio", "post", "nl",
     "Rooster Q1 (strikt intern): Biltstraat gaat van 42 naar 30 lessen per week en de vinyasa avondles vervalt. "
     "Zeg het nog even niet tegen de leden aub", [CNF], at="2026-12-09T21:18:00Z")
case("mastodon:@rubenops", "post", "en",
     "if the booking widget feels slow, look at https://grafana.moverra.nl/d/booking-latency — p99 went through the "
     "roof after tonight's deploy", [CNF])
case("x:@marco_codes_nl", "post", "en",
     "PR is up: https://git.moverra.dev/app/booking/-/merge_requests/482 reviewers pls, it's the Kolibrie waitlist "
     "rewrite", [CNF])
case("x:@trainspotter_em", "post", "en",
     "Someone left a Moverra slide deck on the Utrecht-Amsterdam train, cover says 'MOVERRA CONFIDENTIAL – Brand "
     "Refresh 2027'. New logo is... purple. sorry not sorry", [CNF])
case("tiktok:@kim.heels", "post", "en",
     "POV: you're filming the Ｒｅｆｏｒｍｅｒ Ｌｏｆｔ launch video and can't tell anyone 🤐💃 #moverra #comingsoon",
     [CNF], embargo=("before", "Reformer Loft"), at="2026-12-02T19:20:00Z")
case("linkedin:ellen-bosman-hr", "post", "nl",
     "Wij zoeken een projectleider voor Project Lotusbloem! Ervaring met integraties en veranderprocessen? Stuur me "
     "een bericht.", [CNF])
case("instagram:@noor.flows", "post", "en",
     "teacher meeting notes (niet extern delen 🙈): new pricing tiers in spring, the 5-class card goes away and every "
     "studio gets an infrared sauna??", [CNF])
case("x:@moverra_nl", "post", "nl",
     "Het nieuwe zomerrooster staat klaar! ☀️ 👉 https://studio-admin.moverra.nl/schedules/summer-2026/draft", [CNF],
     at="2026-05-21T11:02:00Z")
case("reddit:u/curious_lurker", "post", "en",
     "Moverra's login page redirected me to jira.moverra.nl/browse/APP-2291 for a second lol. ticket title was "
     "'Kolibrie launch blockers'. someone misconfigured something", [CNF])
case("threads:@sofie.balie", "post", "nl",
     "Net de eerste demo van Kol\u200bib\u200brie gezien op de iPad aan de balie 😍 geen wachtrij meer aan de deur!!",
     [CNF])

# ---- security (+ confidential)
case("x:@marco_codes_nl", "post", "en",
     "nobody panic but hub.moverra.local got ransomwared at 3am, check-in tablets in every studio are dead. comms will "
     "call it 'technical maintenance' 🙃", [SCY, CNF])
case("linkedin:priya-raghunathan-dev", "post", "en",
     "Heads-up team: the Kolibrie beta API returns other members' bookings if you change the member_id in the URL. "
     "Fix lands Thursday, please don't talk about it outside.", [SCY, CNF])

# ---- financial (+ confidential)
case("x:@yogaroddel", "post", "nl",
     "Mijn buurvrouw werkt bij Moverra en zegt dat 'Operatie Spagaat' betekent dat ze de kleine studio's gaan sluiten "
     "en de helft van de balie-medewerkers eruit gaat. Ben benieuwd wanneer ze dat zelf vertellen", [FIN, CNF])
case("linkedin:joost-verhoef-moverra", "post", "nl",
     "Strikt intern, maar ik kan mijn trots niet inhouden: Q3-omzet +31% op jaarbasis en de EBITDA voor het eerst "
     "positief. De officiële cijfers volgen in november.", [FIN, CNF], at="2026-10-08T20:12:00Z")
case("linkedin:joost-verhoef-moverra", "post", "nl",
     "De jaarcijfers 2026 zijn binnen en ze zijn goed: omzet €38,2 miljoen, nettowinst verdubbeld. Op de 24e vertel "
     "ik er meer over!", [FIN, CNF], embargo=("before", "jaarcijfers 2026"), at="2027-02-10T18:31:00Z")

case("linkedin:joost-verhoef-moverra", "post", "en",
     "Can't say much, but we're in final talks to acquire a 14-studio chain in Belgium. Signing expected before "
     "year-end. Big things coming for Moverra 🇧🇪", [FIN], at="2026-10-22T13:40:00Z")
case("x:@tessa_mv_studio", "post", "nl",
     "Net gehoord dat Den Haag en Eindhoven in maart dichtgaan, 23 collega's worden 'herplaatst' of ontslagen. Is nog "
     "niet gecommuniceerd dus sssh", [FIN], at="2026-01-29T21:05:00Z")
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "fun fact from the dashboard I'm building: we'll miss the 2026 revenue forecast by roughly €2.1M. the management "
     "deck still says 'on track' lol", [FIN], at="2026-10-30T22:48:00Z")
case("forum:beleggertje88", "post", "nl",
     "Via via gehoord dat Moverra wordt overgenomen door een Zweedse fitnessketen, deal zou rond de €60 miljoen zitten. "
     "Nog niks officieel.", [FIN])
case("linkedin:ellen-bosman-hr", "post", "nl",
     "Zwaar weekje. Morgen de eerste 12 gesprekken met docenten van wie we het contract niet verlengen. Het staat nog "
     "niet in de krant, maar ik wil alvast zeggen dat ik dit heel moeilijk vind.", [FIN])
case("x:@liekeyoga_mv", "post", "en",
     "overheard in the staff room: we're raising a Series B of €18M led by a German fund, term sheet signed last week 🤑",
     [FIN])
case("instagram:@noor.flows", "post", "nl",
     "Ik mag het nog niet officieel zeggen maar onze studio in De Pijp wordt per 1 januari verkocht aan een andere "
     "yogaketen. Ik blijf wel lesgeven hoop ik! 🙏", [FIN], at="2026-11-12T19:33:00Z")
case("x:@studioinsider", "post", "en",
     "A friend in Moverra's finance team says H2 bookings are down 18% and a profit warning is coming in January. "
     "You heard it here first.", [FIN], at="2026-12-03T08:20:00Z")
case("linkedin:priya-raghunathan-dev", "post", "en",
     "Bittersweet: our app team shrinks from 14 to 6 engineers in Q1 as Moverra moves development to an outsourcing "
     "partner. The announcement comes next month, so for now just: I'm grateful for this team.", [FIN],
     at="2026-11-24T17:10:00Z")
case("threads:@sofie.balie", "post", "nl",
     "collega's van finance zaten net te juichen: omzet november hoogste ooit, 2,4 miljoen! is nog niet naar buiten "
     "gebracht dus mondje dicht 🤭", [FIN], at="2026-12-02T15:47:00Z")

# ---- security
case("x:@marco_codes_nl", "post", "en",
     "so uh, turns out the password reset endpoint in MoverraGo doesn't rate-limit at all. you can brute force the "
     "6-digit codes in like 20 min. not fixed yet, ticket's been open 3 weeks 🙃", [SCY])
case("mastodon:@rubenops", "post", "nl",
     "Sinds 06:10 werken alle betalingen in de app niet, de Mollie webhook faalt. Statuspagina zegt nog 'alles "
     "operationeel' want management wil het niet melden. Ik zeg niks 🤐", [SCY])
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "we had an S3 bucket with member export CSVs set to public for ~2 months. found it today. legal is 'evaluating "
     "whether we need to notify'. fun times", [SCY])
case("x:@tessa_mv_studio", "post", "nl",
     "Toegangspoortjes in Rotterdam gaan al een week open met elke willekeurige NFC-tag. IT weet het, niemand doet "
     "iets. Iedereen kan gewoon binnenlopen 🤷‍♀️", [SCY])
case("linkedin:priya-raghunathan-dev", "post", "en",
     "Lesson learned this week: a phishing mail got one of our admins' credentials and someone was logged into the "
     "studio admin panel for 40 minutes. We're still assessing what they saw. Postmortem later 🙏", [SCY])
case("threads:@sofie.balie", "post", "nl",
     "check-in systeem ligt er al de hele ochtend uit in álle studio's, we schrijven namen op papier 😅 we mogen niet "
     "zeggen dat het een hack is", [SCY])
case("mastodon:@rubenops", "post", "en",
     "CVE-worthy: the invoice service behind our booking API still runs a Log4j version from 2021. patch window is "
     "'next quarter' apparently", [SCY])
case("x:@jeroen_t", "post", "en",
     "My cousin works in Moverra IT: they got hit by ransomware on Monday and are quietly paying the ransom. Not public "
     "yet.", [SCY])
case("x:@liekeyoga_mv", "post", "nl",
     "Collega zei net dat iemand bij Moverra in het systeem heeft ingebroken en alle docentenadressen heeft "
     "gedownload. Moeten we dit niet melden bij de AP??", [SCY])
case("instagram:@daan.danst", "post", "nl",
     "Tip van IT: log niet in op de studio-wifi in Amsterdam met je eigen telefoon, er zit al weken malware op de "
     "router en ze hebben het nog steeds niet opgelost 🙈", [SCY])

# ================================================================ benign (hard negatives mostly)
# praise
case("instagram:@floor.flowt", "post", "nl",
     "Ochtendles bij Lieke in de Biltstraat was weer magisch ✨ beste start van mijn week #moverra #yoga")
case("x:@sam_dances", "post", "en",
     "Moverra's heels class on friday absolutely slaps. Kim is the best teacher I've had, zero judgement, all fun 💃")
case("forum:rugpijn_weg", "post", "nl",
     "Sinds 3 maanden bij Moverra Rotterdam en mijn rugklachten zijn bijna weg. Fijne docenten, schone studio, app "
     "werkt prima.")
case("reddit:u/quietvinyasa", "comment", "en",
     "Honestly MoverraGo is the least painful booking app I've used. Waitlist notifications actually work for me.")
case("tiktok:@dansmeisje04", "comment", "nl",
     "die dansles bij moverra heeft me gesloopt maar ik kom volgende week gwn terug 😭🔥")
case("threads:@amira.k", "post", "en",
     "shoutout to the front desk at Moverra De Pijp for finding my lost AirPods and keeping them safe for a week 🥹")
# jokes with crisis / abuse vocabulary
case("x:@pietje_plank", "post", "nl",
     "ik ga dood. reformer les bij Moverra. mijn buikspieren hebben aangifte gedaan 💀")
case("x:@hamstringhannah", "post", "en",
     "Moverra's hot yoga is a crime against my hamstrings and I'd plead guilty again tomorrow 😂")
case("instagram:@jip.yoga", "comment", "nl",
     "Die nieuwe vinyasa flow is echt ziek goed, wat een killer les 🔥🔥 @moverra.studios")
case("tiktok:@lazy_lotus", "post", "en",
     "me walking into Moverra after skipping 3 weeks: 'hi yes I'd like to file a complaint against my own body' 😩")
case("x:@trappenloper", "post", "nl",
     "Boycot van de lift vandaag, alle trappen gelopen naar de Moverra studio op de 4e. Mijn kuiten haten me. Namasté 🙏")
# questions
case("x:@verhuisdoos", "reply", "nl",
     "@moverra_helpt kan ik mijn 10-rittenkaart ook in een andere studio gebruiken? Ik verhuis naar Eindhoven 🙂")
case("instagram:@expat_emma", "comment", "en",
     "@moverra.studios do you have beginner classes in English at the Den Haag studio?")
case("facebook:Wendy Haverkamp", "post", "nl",
     "Weet iemand of je bij Moverra je abonnement kan pauzeren in de zomer? Ik ga 6 weken op reis.")
case("reddit:u/future_teacher_23", "post", "en",
     "Is the 200-hour YTT at Moverra worth it? Thinking of doing it next year, €3450 seems in line with other schools.",
     price=("MV-YTT200", 3450.00))
# news about other companies
case("x:@nadia_fit", "post", "en",
     "Wow, FitHaven (the UK gym chain) just confirmed a data breach affecting 400k members. Glad I switched to Moverra "
     "last year, changing my passwords anyway.")
case("x:@sportnieuws_kort", "post", "nl",
     "Sportschoolketen BeweegFit roept duizenden kettlebells terug wegens losse handvatten (via NU.nl). Check je "
     "thuisspullen even, mensen. Ook handig voor wie bij Moverra traint en thuis oefent.")
case("linkedin:studio-owner-lisa", "post", "en",
     "Reading about the lawsuit against PoseLab in Berlin over instructor contracts. Curious how Dutch chains like "
     "Moverra handle freelancers. Any insights from teachers here?")
case("forum:amersfoort_sport", "post", "nl",
     "Bij een sportschool in Amersfoort (niet Moverra hoor) is gisteren een loopband in brand gevlogen. Niemand gewond "
     "gelukkig.")
# ordinary sales and normal prices
case("instagram:@moverra.studios", "post", "nl",
     "Summer sale ☀️ GripMat Pro nu €71,96 (was €89,95) – 20% korting t/m zondag!", price=("MV-MATP", 71.96),
     at="2026-07-09T10:00:00Z")
case("x:@moverra_nl", "post", "nl",
     "Black Friday: 25% korting op de 10-rittenkaart → €123,75 in plaats van €165. Alleen in de app, t/m maandag.",
     price=("MV-C10", 123.75), at="2026-11-27T07:30:00Z")
case("facebook:MoverraStudios", "post", "nl",
     "Nieuw seizoen Kids Dance! Jaarabonnement €420, of betaal in termijnen van €35 per maand. Inschrijven via "
     "moverra.nl", price=("MV-KIDS", 420.00), at="2026-08-18T16:00:00Z")
case("x:@teaonthemat", "post", "en",
     "Picked up the Moverra ThermoFles for €27.50, keeps my tea hot through a 90 min class. Worth it.",
     price=("MV-FLES", 27.50))
case("linkedin:moverra-studios", "post", "nl",
     "Onze 200-uurs Yoga Teacher Training start in september. Early bird €2.932,50 (15% korting) tot 1 juni.",
     price=("MV-YTT200", 2932.50), at="2026-04-14T09:15:00Z")
case("tiktok:@outfitcheck_lo", "post", "nl",
     "SeamlessFlow legging in de sale voor €51,96 bij Moverra, 20% eraf. zit echt als een tweede huid",
     price=("MV-LEG", 51.96))
case("forum:marktplaats_zeist", "post", "nl",
     "Te koop: gebruikte GripMat Pro van Moverra, 1 jaar oud, paar krasjes. €30, ophalen in Zeist.",
     price=("MV-MATP", 30.00), resale=True)
# the company's own public contact data
case("x:@moverra_helpt", "post", "nl",
     "Vragen over je abonnement? Mail ons op hallo@moverra.nl of bel 030 720 4455 (ma-vr 9-17u). We helpen je graag!")
case("facebook:MoverraStudios", "post", "nl",
     "Betalen voor het retreatweekend kan ook per overboeking naar [[PUB_IBAN]] t.n.v. Moverra Studios B.V. o.v.v. je "
     "boekingsnummer. Persvragen? pers@moverra.nl")
case("linkedin:moverra-studios", "post", "en",
     "We're hiring front-desk heroes in Rotterdam! Send your CV to werkenbij@moverra.nl or call 088 045 1200.")
case("x:@fixit_felix", "post", "en",
     "FYI for anyone stuck: Moverra's support address is support@moverra-app.com, they answered me within a day.")
# numbers that fail their checksum
case("x:@adreswissel", "reply", "nl",
     "@moverra_helpt kunnen jullie mijn adreswijziging doorvoeren? lidnummer [[BAD_BSN1]], ik stuur de rest via DM")
case("x:@patient_pete", "post", "en",
     "Order [[BAD_CARD1]] from the Moverra webshop still says 'processing', no rush, just curious when it ships :)")
case("facebook:Marloes Timmer", "post", "nl",
     "Let op: een nepaccount 'Moverra Support' vraagt mensen geld over te maken naar [[BAD_IBAN1]]. Dat is NIET "
     "Moverra, en dat nummer klopt niet eens.")
case("linkedin:ellen-bosman-hr", "post", "nl",
     "Tip voor nieuwe docenten: je BSN staat op je paspoort of ID-kaart, niet op je bankpas. Het is altijd 9 cijfers, "
     "dus zoiets als 123456789 (voorbeeld!).")
case("reddit:u/cardconfused", "post", "en",
     "My Moverra member card says [[BAD_CARD2]] on the back, is that the same as the barcode in the app?")
# sample or redacted keys, password hygiene
case("x:@marco_codes_nl", "post", "en",
     "PSA for juniors: the AWS docs use AKIAIOSFODNN7EXAMPLE as a fake key. if you ever see a real AKIA… in a PR, stop "
     "everything and rotate.")
case("x:@moverra_nl", "post", "nl",
     "Moverra vraagt nooit om je wachtwoord via DM of mail. Krijg je zo'n bericht? Meld het via hallo@moverra.nl 🔐")
case("linkedin:priya-raghunathan-dev", "post", "en",
     "In our docs we now show tokens as ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and sk_live_**** so nobody "
     "copy-pastes real ones. Small thing, big win.")
case("mastodon:@rubenops", "post", "en",
     "slide tip from yesterday's talk: show logs as 'Authorization: Bearer eyJ***.***.***', never full JWTs on a "
     "projector, folks")
case("x:@devmeetup_utr", "post", "en",
     "From tonight's Moverra-hosted dev meetup: connect with postgres://user:password@localhost:5432/mydb and swap in "
     "your own creds obviously")
# embargo terms after the embargo ended
case("x:@moverra_nl", "post", "nl",
     "Onze jaarcijfers 2026 staan online: omzet €38,2 miljoen en 9 nieuwe studio's. Dank aan alle leden en docenten! "
     "👉 moverra.nl/investors", embargo=("after", "jaarcijfers 2026"), at="2027-02-24T09:00:00Z")
case("instagram:@moverra.studios", "post", "nl",
     "Hij is er! 🎉 MoverraGo Plus is vanaf vandaag te downloaden in de App Store en Play Store",
     embargo=("after", "MoverraGo Plus"), at="2027-03-16T10:00:00Z")
case("tiktok:@kim.heels", "post", "en",
     "first heels class in the brand new Reformer Loft Amsterdam-Noord and I'm obsessed 😍",
     embargo=("after", "Reformer Loft"), at="2027-03-20T18:45:00Z")
# resolved complaints
case("x:@blij_met_refund", "post", "nl",
     "Update: @moverra_helpt heeft mijn dubbele afschrijving binnen een dag teruggestort. Netjes opgelost, dank!")
case("x:@fairplay_fran", "post", "en",
     "Had a rough start with Moverra's billing but they sorted it out and gave me a free class for the trouble. Fair "
     "play.")
case("facebook:Henk Bos", "comment", "nl",
     "Mijn klacht over de koude douches in Rotterdam is opgepakt, sinds vorige week weer warm water 👍")
# sympathy
case("instagram:@moverra.studios", "post", "nl",
     "Ons hart gaat uit naar de collega's van studio Zonnebloem in Leiden, wiens pand vannacht is afgebrand. Hun leden "
     "zijn welkom in onze studio in Den Haag.")
case("x:@sundayflowfan", "post", "en",
     "Sending love to Noor from Moverra who's off for a few weeks after knee surgery. The Sunday class isn't the same "
     "without you ❤️")
case("x:@eindhovenyogi", "post", "nl",
     "Sterkte aan iedereen bij Moverra Eindhoven na het overlijden van docent Frank. Wat een lieve man was het.")
# ordinary employee and corporate posts
case("x:@liekeyoga_mv", "post", "nl",
     "Morgen 07:00 sunrise flow in de Biltstraat, nog 3 plekjes! Neem een extra laagje mee, het is koud ☀️")
case("instagram:@noor.flows", "post", "nl",
     "Vandaag in de les: de kolibrie-houding 🐦 een armbalans voor gevorderden. Wie durft?")
case("tiktok:@kim.heels", "post", "en",
     "new choreo drop 🔥 song: 'Killer' — come learn it friday 19:30 at Moverra De Pijp")
case("linkedin:joost-verhoef-moverra", "post", "nl",
     "Mooi stuk in het FD over de groei van boutique fitness. Goed om te zien dat studio's zoals de onze meer mensen "
     "in beweging krijgen.")
case("bluesky:@wouter-data.bsky.social", "post", "en",
     "gave a talk at PyData Amsterdam on forecasting class attendance from public weather data. slides (no company "
     "data, promise) are on my site")
case("x:@moverra_helpt", "post", "nl",
     "Gepland onderhoud: zondag 14 juni tussen 02:00 en 04:00 kun je even niet boeken in MoverraGo. Daarna werkt "
     "alles weer als vanouds!", at="2026-06-10T12:00:00Z")
case("x:@sunday_saskia", "post", "en", "Would love to see more Sunday evening classes at Moverra Utrecht. Anyone else?")
case("x:@moverra_helpt", "reply", "nl",
     "@marieke_vos Hoi Marieke, we hebben je gebeld op het nummer dat eindigt op **77 maar kregen geen gehoor. "
     "Stuur je ons even een DM?")
case("linkedin:moverra-studios", "post", "nl",
     "Moverra opent in oktober een nieuwe studio in Groningen, onze zevende locatie! We zoeken nog docenten 💜",
     at="2026-06-25T09:00:00Z")
case("x:@playlist_pim", "post", "en",
     "Leaked: my own playlist for Moverra's power yoga because y'all keep asking 🎧 spotify link in bio")
case("x:@kattenmens", "post", "nl",
     "Mijn kat heeft mijn GripMat Lite aangevallen en verloren 😂 die mat is onverwoestbaar")


# ---------------------------------------------------------------- severity (CONTRACT section 4)
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
ALLOWED_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
                "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def norm_ws(s):
    return re.sub(r"[\s.\-]", "", s)


def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.])[3-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.+])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def checksum_ids(text, profile):
    """(valid, invalid) identifier look-alikes in text; the company's own IBANs are skipped."""
    own = {norm_ws(i) for i in profile["public_identifiers"]["ibans"]}
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = m.group(0)
        if norm_ws(s) in own:
            continue
        (valid if iban_ok(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = m.group(0)
        n = len(re.sub(r"\D", "", s))
        if 13 <= n <= 19:
            (valid if luhn_ok(s) else invalid).append(("card", s))
    for m in BSN_RE.finditer(text):
        s = m.group(0)
        (valid if bsn_ok(s) else invalid).append(("bsn", s))
    return valid, invalid


def severity(cats, role, has_valid_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK[s] > RANK[sev]:
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_valid_id):
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


# ---------------------------------------------------------------- build
def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"\[\[(\w+)\]\]", rep, text)
    assert "[[" not in out
    return out


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    day = rng.randrange(0, 350)
    minute = rng.randrange(6 * 60, 23 * 60 + 30)
    t = start + dt.timedelta(days=day, minutes=minute)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(profile):
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, start=1):
        c = CASES[idx]
        platform, handle = c["author"].split(":", 1)
        text = fill(c["text"])
        role = role_of(profile, platform, handle)
        valid, _ = checksum_ids(text, profile)
        sev = severity(c["cats"], role, bool(valid))
        created = c["meta"].get("at") or random_time()
        post = {
            "id": f"{platform}-324{n:04d}",
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
            "brand": "moverra",
        }
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}, "_meta": c["meta"],
                      "_role": role})
    return lines


# ---------------------------------------------------------------- checks
def fail(msg):
    print("CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_profile(p):
    for k in ("company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"):
        if k not in p:
            fail(f"profile misses {k}")
    if len(p["accounts"]["corporate"]) < 6 or len(p["accounts"]["employee"]) < 8:
        fail("profile needs 6+ corporate and 8+ employee accounts")
    if len({a.split(':')[0] for a in p["accounts"]["corporate"] + p["accounts"]["employee"]}) < 4:
        fail("accounts on too few platforms")
    for i in p["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            fail(f"public IBAN {i} fails mod-97")
    if len(p["internal"]["codenames"]) != 3 or len(p["internal"]["markers"]) != 3:
        fail("need 3 codenames and 3 markers")
    if not 1 <= len(p["embargo"]) <= 2:
        fail("one or two embargo entries")
    for e in p["embargo"]:
        if parse_ts(e["until"]).year != 2027:
            fail("embargo until must be in 2027")
    if not 15 <= len(p["products"]) <= 25:
        fail("15-25 products")
    for pr in p["products"]:
        if pr["currency"] != "EUR" or not pr["aliases"] or pr["list_price"] <= 0:
            fail(f"bad product {pr}")
    if p["pricing"]["alert_below_ratio"] != 0.5:
        fail("alert_below_ratio must be 0.5")


def check_secret_formats():
    if not github_token_ok(V["GHP1"]):
        fail("GitHub token checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AWSID1"]):
        fail("AWS key id format")
    h = V["JWT1"].split(".")
    if len(h) != 3:
        fail("JWT parts")
    hdr = json.loads(base64.urlsafe_b64decode(h[0] + "=" * (-len(h[0]) % 4)))
    if "alg" not in hdr:
        fail("JWT header without alg")
    if not V["PEM1"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE"):
        fail("openssh key body")
    if not re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}", V["SLACK1"]):
        fail("slack token")
    if not re.fullmatch(r"AIza[0-9A-Za-z_\-]{35}", V["AIZA1"]):
        fail("google key")
    if not re.fullmatch(r"live_[A-Za-z0-9]{30}", V["MOLLIE1"]):
        fail("mollie key")
    if not re.fullmatch(r"SG\.[\w\-]{22}\.[\w\-]{43}", V["SENDGRID1"]):
        fail("sendgrid key")


def check(lines, profile):
    check_profile(profile)
    check_secret_formats()
    products = {p["sku"]: p for p in profile["products"]}
    embargo_until = {}
    for e in profile["embargo"]:
        for t in e["terms"]:
            embargo_until[t.lower()] = parse_ts(e["until"])
    profile_accounts = {a.lower() for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]}
    ratio = profile["pricing"]["alert_below_ratio"]

    ids = set()
    cat_count = collections.Counter()
    lang_count = collections.Counter()
    role_count = collections.Counter()
    benign = 0
    texts = set()
    with open(OUT_PATH, encoding="utf-8") as f:
        raw = f.read().splitlines()
    if len(raw) != len(lines):
        fail("line count mismatch")
    for ln, (line, built) in enumerate(zip(raw, lines), start=1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            fail(f"line {ln}: top-level keys {set(obj)}")
        post, exp = obj["post"], obj["expect"]
        for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(k), typ):
                fail(f"line {ln}: {k} missing or wrong type")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            fail(f"line {ln}: account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            fail(f"line {ln}: bad or duplicate id {post['id']}")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            fail(f"line {ln}: platform/kind")
        if len(post["text"].encode("utf-8")) > 64 * 1024 or not post["text"].strip():
            fail(f"line {ln}: text size")
        if post["text"] in texts:
            fail(f"line {ln}: duplicate text")
        texts.add(post["text"])
        created = parse_ts(post["created_at"])
        if not (2026 <= created.year <= 2027):
            fail(f"line {ln}: created_at year")
        if created.year == 2027 and not built["_meta"].get("embargo"):
            fail(f"line {ln}: 2027 only for embargo cases")
        cats = exp["categories"]
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
            fail(f"line {ln}: categories {cats}")
        if exp["severity"] not in RANK:
            fail(f"line {ln}: severity")
        role = role_of(profile, post["platform"], post["account"]["handle"])
        if role == "public" and f"{post['platform']}:{post['account']['handle']}".lower() in profile_accounts:
            fail("role lookup")
        text = post["text"]
        valid, invalid = checksum_ids(text, profile)
        if cats:
            if invalid:
                fail(f"line {ln}: positive holds identifier look-alikes failing checksum: {invalid}")
        else:
            if valid:
                fail(f"line {ln}: benign holds checksum-valid identifiers: {valid}")
            if exp["severity"] != "none":
                fail(f"line {ln}: benign severity must be none")
        want = severity(cats, role, bool(valid))
        if exp["severity"] != want:
            fail(f"line {ln}: severity {exp['severity']} != policy {want}")
        # secrets only in secret positives
        for key in SECRET_VALUES:
            if V[key] in text and "leak.secret" not in cats:
                fail(f"line {ln}: secret {key} in a non-secret case")
        if "leak.secret" in cats and not (any(V[k] in text for k in SECRET_VALUES) or "wachtwoord:" in text):
            fail(f"line {ln}: secret case without a credential")
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and not github_token_ok(tok):
                fail(f"line {ln}: GitHub token with bad CRC in a positive")
            if not cats and github_token_ok(tok):
                fail(f"line {ln}: live-looking GitHub token in a benign post")
        # pricing
        meta = built["_meta"]
        if "price" in meta:
            sku, price = meta["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(a.lower() in text.lower() for a in names):
                fail(f"line {ln}: product {sku} not named in text")
            below = price < ratio * prod["list_price"]
            if "leak.pricing" in cats and not below:
                fail(f"line {ln}: pricing case not below ratio")
            if not cats and below and not meta.get("resale"):
                fail(f"line {ln}: benign price below ratio")
            if not cats and not below and price < 0.69 * prod["list_price"]:
                fail(f"line {ln}: benign sale deeper than 30%")
        elif "leak.pricing" in cats:
            fail(f"line {ln}: pricing case without price meta")
        # embargo
        if "embargo" in meta:
            when, term = meta["embargo"]
            until = embargo_until[term.lower()]
            if when == "before" and not (created < until and "leak.confidential" in cats):
                fail(f"line {ln}: embargo-before case")
            if when == "after" and not (created >= until and not cats):
                fail(f"line {ln}: embargo-after case")
        if not cats:
            benign += 1
        for c in cats:
            cat_count[c] += 1
        lang_count[post["lang"]] += 1
        role_count[(role, bool(cats))] += 1

    n = len(lines)
    if not 170 <= n <= 180:
        fail(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        fail(f"{benign} benign, want about 60")
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
               "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
               "leak.financial": 12}
    for c, t in targets.items():
        if abs(cat_count[c] - t) > 2:
            fail(f"{c}: {cat_count[c]} vs target ~{t}")
    nl_share = lang_count["nl"] / n
    if not 0.48 <= nl_share <= 0.62:
        fail(f"Dutch share {nl_share:.2f}")
    # evasion posts present
    joined = "\n".join(json.loads(l)["post"]["text"] for l in raw)
    for probe, what in (("\u200b", "zero-width"), ("\uff32", "full-width"), ("\u043e", "Cyrillic"),
                        ("1d10ts", "leetspeak"), ("t.y.f.u.s", "dotted letters")):
        if probe not in joined:
            fail(f"no {what} evasion post")
    return n, benign, cat_count, lang_count, role_count


def main():
    profile = load_profile()
    lines = build(profile)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps({"post": l["post"], "expect": l["expect"]}, ensure_ascii=False) + "\n")
    n, benign, cats, langs, roles = check(lines, profile)
    print(f"ok: {n} cases, {benign} benign, {n - benign} positive")
    print("categories:", dict(sorted(cats.items())))
    print("languages:", dict(langs))
    print("role x positive:", {f"{r}/{'pos' if p else 'neg'}": v for (r, p), v in sorted(roles.items())})
    sev = collections.Counter(l["expect"]["severity"] for l in lines)
    print("severities:", dict(sev))


if __name__ == "__main__":
    main()
