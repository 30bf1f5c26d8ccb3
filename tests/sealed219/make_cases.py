#!/usr/bin/env python3
"""Evaluation set sealed219 for postwatch: Tollebos Speelgoed B.V. (fictional toy retailer).

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. Writes cases.jsonl next to this file and checks it against CONTRACT
sections 3, 4 and 6. Standard library plus PyYAML only.

Placeholders in the hand-written texts (written as [[NAME]]) are filled with
freshly generated values:
  IBAN / IBAN_SP      valid Dutch IBAN (compact / grouped in fours)
  IBAN_BE             valid Belgian IBAN, grouped
  IBAN_BAD            Dutch IBAN-shaped string that fails mod-97
  PUBLIC_IBAN         the company's own published IBAN (from the profile), grouped
  CARD_VISA_SP        Luhn-valid Visa number, grouped
  CARD_MC_SP          Luhn-valid Mastercard number, grouped
  CARD_BAD_SP         16 digits grouped in fours that fail Luhn
  BSN / BSN_BAD       9 digits that pass / fail the Dutch 11-proof
  GHP, AWS_ID, AWS_SECRET, SLACK, OPENAI, PEM, JWT, DBPW, MOLLIE, GOOGLE, PW
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
SEED = 219_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_complete(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return partial + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


# ---------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B62 = ALNUM
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def gen_iban_nl():
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    return iban_make("NL", bank + rand(string.digits, 10))


def gen_iban_be():
    first = rand(string.digits, 10)
    chk = int(first) % 97 or 97
    return iban_make("BE", f"{first}{chk:02d}")


def gen_iban_bad():
    good = gen_iban_nl()
    bad = good[:2] + f"{(int(good[2:4]) + rng.randint(1, 40)) % 97 + 2:02d}" + good[4:]
    return bad if not iban_ok(bad) else gen_iban_bad()


def gen_card(kind):
    if kind == "visa":
        part = "4" + rand(string.digits, 14)
    else:
        part = "5" + rng.choice("12345") + rand(string.digits, 13)
    return luhn_complete(part)


def gen_card_bad():
    good = gen_card(rng.choice(["visa", "mc"]))
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def gen_bsn(valid=True):
    while True:
        head = rng.choice("123") + rand(string.digits, 7)
        s = sum(int(head[i]) * (9 - i) for i in range(8))
        last = s % 11
        if last == 10:
            continue
        if valid:
            return head + str(last)
        wrong = (last + rng.randint(1, 9)) % 10
        cand = head + str(wrong)
        if not bsn_ok(cand):
            return cand


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 360 * 86400)
    payload = {"sub": "c-" + rand(string.digits, 7), "scope": "password_reset",
               "iat": iat, "exp": iat + 3600}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def gen_pem():
    raw = bytes(rng.getrandbits(8) for _ in range(880))
    b = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()[16:]
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_pw():
    word = rng.choice(["Speelgoed", "Knuffel", "Kassa", "Zomer", "Sinterklaas", "Tollebos", "Kerst"])
    return word + rng.choice("!#@$%&") + rand(string.digits, 4) + rand(string.ascii_lowercase, 2)


GEN = {
    "IBAN": lambda: gen_iban_nl(),
    "IBAN_SP": lambda: group4(gen_iban_nl()),
    "IBAN_BE": lambda: group4(gen_iban_be()),
    "IBAN_BAD": lambda: group4(gen_iban_bad()),
    "PUBLIC_IBAN": lambda: group4(PROFILE["public_identifiers"]["ibans"][0]),
    "CARD_VISA_SP": lambda: group4(gen_card("visa")),
    "CARD_MC_SP": lambda: group4(gen_card("mc")),
    "CARD_BAD_SP": lambda: group4(gen_card_bad()),
    "BSN": lambda: gen_bsn(True),
    "BSN_BAD": lambda: gen_bsn(False),
    "GHP": lambda: gen_ghp(),
    "AWS_ID": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "SLACK": lambda: f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(string.ascii_letters + string.digits, 24)}",
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 48) + "T3BlbkFJ" + rand(URLSAFE, 48),
    "PEM": gen_pem,
    "JWT": gen_jwt,
    "DBPW": lambda: rand(string.ascii_letters + string.digits, 14) + rng.choice("!*~") + rand(string.digits, 2),
    "MOLLIE": lambda: "live_" + rand(string.ascii_letters + string.digits, 30),
    "GOOGLE": lambda: "AIza" + rand(URLSAFE, 35),
    "PW": gen_pw,
}
STRONG_PII = {"IBAN", "IBAN_SP", "IBAN_BE", "CARD_VISA_SP", "CARD_MC_SP", "BSN"}
WEAK_LOOKALIKE = {"IBAN_BAD", "CARD_BAD_SP", "BSN_BAD"}
SECRET_PH = {"GHP", "AWS_ID", "AWS_SECRET", "SLACK", "OPENAI", "PEM", "JWT", "DBPW", "MOLLIE", "GOOGLE", "PW"}

# ---------------------------------------------------------------- categories
COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SECRET, PII, PRICING = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"

CASES = []


def c(lang, platform, handle, text, cats=(), kind="post", t=None, name=None, price=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      kind=kind, t=t, name=name, price=price))


# =============================================================== COMPLAINTS
c("nl", "x", "@moeder_van_drie",
  "@tollebos_helpt bestelling op 20 nov geplaatst, 'levering 2-3 werkdagen'. Het is nu 4 december en nog steeds niks. "
  "Sint komt morgen. Wat moet ik tegen m'n kids zeggen?? 😤", [COMPLAINT], kind="reply")
c("nl", "facebook", "ingrid.vandam.1979",
  "Villa Zonnebloem gekocht in het filiaal in Amersfoort. Doos open thuis: de helft van de meubeltjes ontbreekt en het dak "
  "zit er scheef op. Terugbrengen mag alleen 'in ongeopende verpakking' zegt de verkoopster. Hoe dan?? Ik moet hem toch "
  "openmaken om te zien dat ie kapot is", [COMPLAINT], name="Ingrid van Dam")
c("en", "x", "@DadOfTwins_UK",
  "Been on hold with Tollebos customer service for 47 minutes now. Forty. Seven. The hold music is a xylophone version "
  "of Baby Shark and I am losing the will to live", [COMPLAINT])
c("nl", "x", "@jorisfietst",
  "webshop van tollebos loopt elke keer vast bij afrekenen. 3x geprobeerd, 3x foutmelding, 1x wel geld afgeschreven maar "
  "geen bevestiging gehad. lekker dan", [COMPLAINT])
c("en", "reddit", "u/lego_lurker_NL",
  "PSA for anyone in NL: Tollebos refunds take FOREVER. Returned a Havenbaron box on Oct 2nd, still no money back, three "
  "emails in and all I get is a copy-paste 'we are looking into it'. Avoid if you might need to return something.",
  [COMPLAINT])
c("nl", "instagram", "@kimmie_xo",
  "Cadeaubon van €50 van jullie gekregen voor mn verjaardag en in de winkel in Den Bosch zeggen ze dat ie 'niet geactiveerd' "
  "is. Klantenservice zegt van wel. Wie heeft er nu gelijk 🙄", [COMPLAINT], kind="comment")
c("en", "threads", "@hannah.reads",
  "ordered the sterrenkijker telescope for my nephew from tollebos, arrived with a cracked lens and the box looked like "
  "someone played football with it. not impressed tbh", [COMPLAINT])
c("nl", "x", "@sander1984",
  "Bij Tollebos Zwolle stond de Turbo Tijger op het schap voor €49,99 en aan de kassa moest ik €59,99 betalen. 'Ja dat "
  "bordje klopt niet meneer.' Volgens mij moet je dan gewoon de schapprijs rekenen?", [COMPLAINT],
  price=("Turbo Tijger", 49.99))
c("nl", "facebook", "ramazan.bulut.73",
  "Click & collect besteld, mail gehad 'je bestelling ligt klaar'. Kom ik in de winkel: niks klaar, niemand weet ervan, "
  "35 minuten gewacht en toen bleek het nog in het magazijn in Tilburg te liggen. Waarom stuur je dan zo'n mail",
  [COMPLAINT], name="Ramazan Bulut")
c("en", "x", "@mike_in_rdam",
  "The Tollebos app wiped all my loyalty points (had like 2,300) after the last update. Support says they 'can't see a "
  "history'. Great, thanks", [COMPLAINT])
c("nl", "tiktok", "@lisavlogt_",
  "storytime: ik bestel een roze Pluimpje knuffelvos voor m'n nichtje en krijg een… grijze olifant?? tollebos wat is dit "
  "😭😭 #tollebos #fail #storytime", [COMPLAINT])
c("en", "facebook", "sarah.whitfield.ams",
  "Third time the Tollebos delivery driver has left our parcel at a random neighbour without a note. This time it took "
  "two days to find it. Please sort out your courier.", [COMPLAINT], name="Sarah Whitfield")
c("nl", "x", "@opa_henk52",
  "Puzzel van 2000 stukjes (de Grachtengordel) gekocht bij Tollebos, na 3 weken puzzelen blijken er 4 stukjes te missen. "
  "Kleinzoon en ik zijn er kapot van. Nieuwe sturen kan niet 'want geen bon'. Ik heb met pin betaald, kijk dan in jullie "
  "eigen systeem", [COMPLAINT])
c("en", "bluesky", "@jess-k.bsky.social",
  "why does tollebos send me 4 marketing emails a DAY. unsubscribed twice. still coming. this is a toy shop not a cult",
  [COMPLAINT])
c("nl", "forum", "Mamsie77",
  "Iemand anders ook ervaring met de retourafdeling van Tollebos? Wervelwind loopfiets teruggestuurd omdat het stuur krom "
  "was, nu zeggen ze dat ik 'gebruikssporen' heb veroorzaakt en houden ze €25 in. Hij is één keer uit de doos geweest.",
  [COMPLAINT])
c("en", "x", "@tiredteacher_",
  "tollebos store in Haarlem: one till open, queue to the back of the shop, three staff restocking shelves and ignoring "
  "everyone. on a saturday in december. come on", [COMPLAINT])
# complaint + abuse
c("nl", "x", "@woedende_wim",
  "Klote service bij @tollebos, 3 weken wachten op een pakket en dan zegt die sukkel aan de telefoon dat ik 'geduld moet "
  "hebben'. Stelletje idioten.", [COMPLAINT, ABUSE])
# complaint + pii (customer exposes own card)
c("en", "x", "@carla_m_nl",
  "@tollebos_helpt you charged my card twice for the same order!! card [[CARD_VISA_SP]] exp 08/28, two charges of €89.95 "
  "on the 14th. fix it please", [COMPLAINT, PII], kind="reply")
# complaint + pricing
c("nl", "x", "@dealjager_nl",
  "Nova Pixel Pro stond gisteren voor €29,99 op tollebos.nl, besteld, bevestiging binnen, en nu annuleren ze gewoon mijn "
  "order 'wegens prijsfout'. Zwak hoor Tollebos.", [COMPLAINT, PRICING], price=("Nova Pixel Pro", 29.99))
# complaint + crisis
c("en", "facebook", "tom.adeyemi.nl",
  "My daughter cut her hand open on a sharp metal edge of the Kokkerelli play kitchen, needed 4 stitches. Called Tollebos "
  "twice, nobody called back. This is a safety issue and you are ignoring it.", [COMPLAINT, CRISIS], name="Tom Adeyemi")

# =============================================================== ABUSE
c("nl", "x", "@hansbrinkerr",
  "Tollebos is gewoon een kutbedrijf met kutpersoneel. Hoop dat jullie failliet gaan", [ABUSE])
c("en", "x", "@xXgamerXx_99",
  "@tollebos_helpt shut up you useless f***ing bots, nobody wants your canned apologies", [ABUSE], kind="reply")
c("en", "instagram", "@rotterdam_rob",
  "@femke_in_de_winkel I know exactly when your shift ends. Watch yourself walking to your car tonight.", [ABUSE],
  kind="comment")
c("nl", "x", "@boze_ouder_",
  "T.o.l.l.e.b.o.s = k.u.t.w.i.n.k.e.l. met k.l.o.o.t.z.a.k.k.e.n achter de kassa", [ABUSE])
c("en", "x", "@real_talk_dave",
  "Tollebos staff are absolute \u0456d\u0456\u043ets. Every single \u043ene of them. Braindead m\u043ernons", [ABUSE])
c("nl", "facebook", "gerrit.schouten.51",
  "Bij Tollebos Lelystad staan alleen nog maar van die hoofddoekjes achter de kassa. Ga terug naar je eigen land, dit is "
  "een Nederlandse winkel.", [ABUSE], name="Gerrit Schouten")
c("nl", "x", "@dirkjan_kassa",
  "wat een teringlijer was die vent vandaag bij kassa 3. staan schreeuwen om een bonnetje van 4 euro. hoop dat ie op z'n "
  "eigen kubikki steentje gaat staan vannacht 🙃", [ABUSE])
c("nl", "x", "@tollebos_helpt",
  "@zeurkous_2000 als je zo blijft zeiken kun je je rommel ook gewoon ergens anders kopen, eikel.", [ABUSE], kind="reply")
c("en", "threads", "@north_sea_nina",
  "the CEO of tollebos is a greedy pig who'd sell his own kids for one extra margin point. disgusting human being",
  [ABUSE])
# pii + abuse (doxxing a store manager)
c("nl", "x", "@wraakengel_bda",
  "Die arrogante bedrijfsleider van Tollebos Breda, Mark Jansen, woont op de Heuvelstraat 22, 4811 KL Breda. Ga daar maar "
  "eens langs, die klootzak.", [PII, ABUSE])
# crisis + abuse
c("nl", "x", "@sintfan_nee",
  "Die racistische Sinterklaasposter van Tollebos gaat echt overal rond, schandalig. Jullie marketingafdeling bestaat uit "
  "achterlijke racisten.", [CRISIS, ABUSE])

# =============================================================== CRISIS
c("nl", "x", "@ouderpraat",
  "BOYCOT TOLLEBOS. Uit onderzoek van een Vlaamse tv-zender blijkt dat hun huismerk Kubikki in een fabriek met "
  "kinderarbeid wordt gemaakt. Speelgoed gemaakt dóór kinderen, vóór kinderen. Walgelijk. #boycottollebos", [CRISIS])
c("nl", "facebook", "priya.ramdin",
  "Dino Dreun: het klepje van het batterijvak ging er zomaar af en mijn zoon (2) had de knoopcelbatterij al in zijn mond. "
  "Met spoed naar de SEH. Gelukkig goed afgelopen. Tollebos haal dit ding uit de schappen!!", [CRISIS], name="Priya Ramdin")
c("en", "x", "@privacy_first_pete",
  "So Tollebos leaked customer data? Just got a phishing mail quoting my exact order number, my kid's name and our home "
  "address. Only Tollebos had that combination. #databreach", [CRISIS])
c("en", "x", "@consumer_watch_nl",
  "Lawsuit filed against Tollebos by a consumer foundation over 'was/now' prices that were never actually charged. "
  "Summons served this morning, first hearing in spring.", [CRISIS])
c("nl", "instagram", "@bianca.vd.linde",
  "Trampoline Sprongloos 305 van Tollebos: na 2 maanden brak de rand af terwijl mijn dochter erop sprong. Arm op 2 plekken "
  "gebroken. Ik ben er nog misselijk van. Deel dit alsjeblieft ⚠️", [CRISIS])
c("en", "reddit", "u/dc_night_shift",
  "Tollebos warehouse staff are being paid under the table and pushed into 14-hour shifts during the Christmas rush. "
  "Several people have confirmed it to me. This needs to be a news story.", [CRISIS])
c("en", "x", "@ChemLabJenny",
  "Had the paint on the Vlotje wooden train set (Tollebos own brand) tested. Lead content 4x the EU limit. Lab report in "
  "thread. Parents, please stop letting toddlers chew on these. 🧵", [CRISIS])
c("nl", "facebook", "TollebosSpeelgoed",
  "Terugroepactie ⚠️ Bij de Stormvogel RC Drone Junior (productiecodes SD-2610 t/m SD-2644) kan de accu oververhit raken "
  "tijdens het laden. Gebruik het product niet meer en breng het terug naar een van onze winkels. Je krijgt het volledige "
  "aankoopbedrag terug.", [CRISIS])
c("nl", "x", "@brabant_alert",
  "Grote brand in pand van Tollebos aan de Demer in Eindhoven. Winkel en bovenliggende woningen ontruimd, twee mensen met "
  "rookinademing naar het ziekenhuis.", [CRISIS])
c("nl", "x", "@anti_t0llebos",
  "b0yc0t t0ll3b0s tot ze die kinderarbeid-fabriek dumpen!!! deel deel deel #b0yc0t", [CRISIS])
c("en", "linkedin", "mr-e-vanleeuwen",
  "We have filed a class action on behalf of 1,200 parents against Tollebos over the sale of loyalty-programme data, "
  "including children's birthdays, to ad networks.", [CRISIS], name="mr. E. van Leeuwen")
c("en", "x", "@m_investigates",
  "New research: the Tollebos app ships kids' location data to three ad companies. No consent asked. Full piece tonight.",
  [CRISIS])
c("en", "x", "@worried_mum_leeds",
  "My 3 year old nearly choked on a tiny piece from a Kubikki Brandweerkazerne set that says 3+ on the box. Tollebos, how "
  "is that 3+?? Reported to trading standards.", [CRISIS])

# =============================================================== PERSONAL DATA
c("en", "x", "@tollebos_helpt",
  "@anouk_pr Hi Anouk! We found your details: anouk.prins88@gmail.com and 06-41827365. Is that right? Then we'll ship "
  "the replacement fox today 💛", [PII], kind="reply")
c("nl", "facebook", "TollebosSpeelgoed",
  "Beste meneer Kuipers, de terugbetaling van €129,99 gaat naar rekening [[IBAN_SP]] t.n.v. J. Kuipers. Reken op 3 tot 5 "
  "werkdagen.", [PII], kind="reply")
c("en", "instagram", "@femke_in_de_winkel",
  "Look at this cute letter we got from Noor de Wit (7), Lindelaan 31, 7411 BE Deventer 🥰 She wants to work in a toy "
  "shop when she grows up!", [PII])
c("nl", "facebook", "lieke.haverkamp",
  "Voor de retour van de Havenbaron: mijn rekeningnummer is veranderd, graag terugstorten op [[IBAN]] t.n.v. L. "
  "Haverkamp. Alvast bedankt!", [PII], kind="comment", name="Lieke Haverkamp")
c("nl", "x", "@marloes_tb",
  "En de winnaar van de kleurplatenwedstrijd is… Mila Bosman uit Apeldoorn, geboren 14-03-2018! Gefeliciteerd Mila 🎉🖍️",
  [PII])
c("en", "linkedin", "ayse-demir-tollebos",
  "Onboarding checklist new hire Kees Dijkhuis (start 1 Sept): BSN [[BSN]] ✅ tax form ✅ laptop ✅ … oops, wrong window 🙈",
  [PII])
c("nl", "instagram", "@tollebos.speelgoed",
  "@romy_sweets sorry voor het gedoe! De terugbetaling is verwerkt op je kaart [[CARD_MC_SP]], je ziet het binnen 5 "
  "werkdagen terug 💚", [PII], kind="reply")
c("en", "linkedin", "ruben-hoekstra-tb",
  "Escalation for the customer team: Mr Oosterhuis (r.oosterhuis@kpnmail.nl, +31 6 1937 2248) has been double-billed "
  "three times now. Please call him today.", [PII])
c("en", "x", "@tollebos_helpt",
  "@emma_b_writes Hi Emma, we'll ship the replacement to Emma Barendsen, Kastanjelaan 8, 2023 GH Haarlem as discussed. "
  "Let us know if anything changes!", [PII], kind="reply")
c("nl", "threads", "@sem.magazijn",
  "klant belt al 3x voor z'n pakket, meneer Verbeek, (030) 289 1456. kan iemand hem op de terugbellijst zetten? 📦",
  [PII])
c("en", "x", "@jan_devos_be",
  "@tollebos_helpt refund for my returned order please to my Belgian account [[IBAN_BE]] (Jan De Vos). thanks!", [PII],
  kind="reply")
c("nl", "tiktok", "@jeroen.achterdekassa",
  "klant wil teruggebeld worden over haar bestelling: nul zes - 3 8 2 1 9 0 5 7, mevrouw Tromp. wie pakt ‘m op",
  [PII])
# pii + secret
c("nl", "bluesky", "@lotte-tb.bsky.social",
  "kan iemand checken waarom deze klant niet kan inloggen? account: j.smit1975@hotmail.com / wachtwoord: [[PW]] — al 3x "
  "gereset", [PII, SECRET])

# =============================================================== SECRETS
c("nl", "x", "@nadia_devops",
  "waarom faalt deze pipeline nou weer 😩 `git clone https://[[GHP]]@github.com/tollebos/webshop-frontend.git` werkt "
  "lokaal gewoon", [SECRET])
c("en", "x", "@timo_codeert",
  "Anyone else seeing S3 throttling in eu-west-1 today? our config:\n\n[default]\naws_access_key_id = [[AWS_ID]]\n"
  "aws_secret_access_key = [[AWS_SECRET]]\nregion = eu-west-1", [SECRET])
c("en", "x", "@timo_codeert",
  "store alerts bot finally working in slack 🎉 token if you want to play with it: [[SLACK]]", [SECRET])
c("en", "linkedin", "ruben-hoekstra-tb",
  "Our finance team now drafts month-end commentary with AI! Quick snippet for the curious:\n\nclient = "
  "OpenAI(api_key=\"[[OPENAI]]\")\n\nSaved us two days in November 🚀", [SECRET])
c("en", "x", "@nadia_devops",
  "help, ssh to the bastion keeps saying 'invalid format' with this key, can anyone see what's wrong?\n[[PEM]]",
  [SECRET])
c("nl", "x", "@tollebos_helpt",
  "@pieter_q Probeer deze link eens: https://shop.tollebos.nl/account/reset?token=[[JWT]] Dan zou het moeten werken!",
  [SECRET], kind="reply")
c("en", "x", "@timo_codeert",
  "local dev finally talking to the prod replica lol\nDATABASE_URL=postgres://tb_webshop:[[DBPW]]@tb-prod-replica."
  "cx81kqz3mv2w.eu-west-1.rds.amazonaws.com:5432/webshop", [SECRET])
c("nl", "x", "@dirkjan_kassa",
  "voor de nieuwe collega's in Zwolle: wifi in de kantine is TB-Personeel, wachtwoord: [[PW]] (niet aan klanten geven "
  "he 😉)", [SECRET])
c("nl", "bluesky", "@lotte-tb.bsky.social",
  "Mollie-koppeling voor de cadeaukaarten draait 🥳 voor de devs die meekijken: live key is [[MOLLIE]], test key volgt",
  [SECRET])
c("en", "reddit", "u/apk_digger",
  "Decompiled the Tollebos Android app out of curiosity. They ship a hardcoded Google Maps key: [[GOOGLE]] and it isn't "
  "even restricted to their package name lol", [SECRET])
# secret + security
c("nl", "x", "@nadia_devops",
  "update: die AWS key die per ongeluk in de publieke repo stond ([[AWS_ID]]) is 3 dagen misbruikt voor cryptomining. "
  "wordt nog niet naar buiten gecommuniceerd dus ssst", [SECRET, SEC])

# =============================================================== SECURITY
c("nl", "x", "@dirkjan_kassa",
  "pinautomaten in alle filialen plat sinds 10u. we moeten klanten zeggen dat het 'een storing' is maar IT zegt gewoon dat "
  "het ransomware is 😬", [SEC])
c("en", "x", "@timo_codeert",
  "Found out today our order-status endpoint lets you read anyone's order just by bumping the number in the URL. Reported "
  "it weeks ago, still not fixed. Not great for a shop full of kids' addresses 🙃", [SEC])
c("en", "linkedin", "ayse-demir-tollebos",
  "Rough week. 30+ colleagues clicked a phishing mail, several HR mailboxes are compromised and every password gets reset "
  "tonight. Not reported externally yet, so keep it between us.", [SEC])
c("nl", "threads", "@sem.magazijn",
  "WMS in het DC ligt er al sinds 04:00 uit, er gaat geen enkele order de deur uit. klanten weten nog van niks, webshop "
  "zegt gewoon 'morgen in huis' 🙈", [SEC])
c("en", "mastodon", "@bvdlinden@mastodon.nl",
  "Not naming names, but: a full backup of our customer database sat in a public storage bucket for about three weeks. "
  "Closed it yesterday. Disclosure is 'being discussed'. Toys and games, draw your own conclusions.", [SEC])
c("nl", "bluesky", "@lotte-tb.bsky.social",
  "onze loyalty-app schrijft sessietokens gewoon in de logs die naar een externe analytics-partij gaan. fix staat "
  "gepland voor 'Q1'. ik word hier niet blij van", [SEC])
c("nl", "x", "@ex_tb_collega",
  "Oud-collega's bij Tollebos vertellen me dat het kassasysteem al 4 dagen gehackt is en dat ze op papier werken. "
  "Officieel heet het 'onderhoud'.", [SEC])
c("en", "x", "@nadia_devops",
  "Last night's credential-stuffing wave got through: ~4k customer accounts logged into by bots. Comms go out Thursday, "
  "so please don't ask me about it 🤐", [SEC])
c("nl", "x", "@timo_codeert",
  "lol onze cadeaukaart-API checkt het saldo alleen client-side. met devtools zet je zo €500 op een kaart. bekend sinds "
  "augustus.", [SEC])
c("en", "tiktok", "@jeroen.achterdekassa",
  "pov: the tills at our Hoog Catharijne store still run Windows 7 and last week IT found a keylogger on one of them 💀 "
  "#retaillife #tollebos", [SEC])
c("nl", "mastodon", "@bvdlinden@mastodon.nl",
  "Leverancier van ons kassasysteem bevestigt een kritieke kwetsbaarheid (remote code execution via de bonprinterdienst). "
  "Patch pas over 6 weken. Tot die tijd: bidden.", [SEC])
# confidential + security
c("nl", "mastodon", "@bvdlinden@mastodon.nl",
  "vpn.tollebos.nl is al sinds gisteravond onbereikbaar en nee, het is geen onderhoud. Nog even niks tegen de winkels "
  "zeggen.", [CONF, SEC])

# =============================================================== CONFIDENTIAL
c("en", "x", "@marloes_tb",
  "Saw the first moodboards for Project Zandkasteel today and I can NOT wait for you all to see this 🏰✨", [CONF])
c("en", "bluesky", "@lotte-tb.bsky.social",
  "So proud of the crew behind Houtduif. Can't say anything yet, but ordering online is about to get a lot more fun 🤫",
  [CONF])
c("nl", "x", "@timo_codeert",
  "wie heeft de retourflow op https://wiki.tollebos.nl/display/WEB/Retour+2027 aangepast zonder het te melden?", [CONF])
c("nl", "instagram", "@tollebos.speelgoed",
  "Sneak peek 👀 Binnenkort in onze winkels: Kubikki Sterrenstad, met 2.400 steentjes en echte lichtjes! #kubikki "
  "#tollebos", [CONF], t="2027-01-12T16:30:00Z")
c("en", "x", "@dirkjan_kassa",
  "Operatie Knikkerbaan kicks off monday in every store. new tills, new walking routes, new stress 😅", [CONF])
c("en", "instagram", "@femke_in_de_winkel",
  "Christmas staffing just came in (TB-INTERN, sorry 🙈): Leiden 14, Delft 9, Den Haag Centrum 21. Who's joining me in "
  "Deventer on the 24th?", [CONF])
c("nl", "x", "@curious_cat_nl",
  "Iemand deelde een link naar jira.tollebos.nl/browse/APP-4471 en die staat gewoon open?? Je ziet alle bugtickets van "
  "hun app", [CONF])
c("nl", "x", "@marloes_tb",
  "\uff34\uff22\uff0d\uff29\uff2e\uff34\uff25\uff32\uff2e memo van vandaag: vanaf maart geen personeelskorting meer op "
  "Kubikki. Lekker dan.", [CONF])
c("nl", "tiktok", "@jeroen.achterdekassa",
  "backstage bij de fotoshoot van Project Zand\u200bkasteel 📸 nog even geheim!! #tollebos #werkenbijtollebos", [CONF])
c("en", "linkedin", "ruben-hoekstra-tb",
  "Slide from today's leadership offsite (alleen voor medewerkers, I know, I know): 'Houtduif pilot in 12 stores by "
  "April'. Exciting times.", [CONF])
c("nl", "threads", "@sem.magazijn",
  "wie heeft er toegang tot kassa-beheer.tollebos.local/rapporten? ik moet de weekomzet per filiaal eruit trekken",
  [CONF])
c("en", "reddit", "u/brickrumours",
  "Someone dropped a PDF called 'Kubikki Sterrenstad - launch plan - alleen voor medewerkers' in a Discord I'm in. "
  "2,400 pieces, launch date January 20th.", [CONF], t="2026-12-02T21:14:09Z")
c("en", "x", "@marloes_tb",
  "Just held the very first sample of our own Tollebos games console. Can't tell you anything except: WOW. Not coming "
  "until next autumn 🤐🎮", [CONF])
c("en", "youtube", "@TollebosTV",
  "Trailer: Kubikki Star City is coming to every Tollebos store! 🚀 2,400 bricks, working lights. Subscribe so you don't "
  "miss launch day.", [CONF], t="2026-12-18T15:00:00Z")
c("nl", "x", "@dirkjan_kassa",
  "git.tollebos.nl/kassa/pos-app/-/issues/212 mijn issue staat al 3 maanden open. iemand??", [CONF])
# confidential + financial
c("nl", "linkedin", "ruben-hoekstra-tb",
  "Laatste check op de jaarcijfers 2026 gedaan: omzet €214 mln, nettowinst ruim verdubbeld. Trots op dit team! "
  "Publicatie volgt binnenkort 📈", [CONF, FIN], t="2027-02-10T18:05:00Z")
c("nl", "linkedin", "tollebos-speelgoed",
  "[CONCEPT] TB-INTERN - Tollebos verwacht voor 2027 een omzetgroei van 8% en opent 12 nieuwe filialen. Niet publiceren "
  "vóór goedkeuring RvC.", [CONF, FIN])

# =============================================================== FINANCIAL
c("nl", "x", "@dirkjan_kassa",
  "townhall net gehad: 3 filialen dicht (Emmen, Heerlen, Den Helder) en zo'n 80 mensen eruit. officieel nieuws pas in "
  "maart. ik ben er stil van", [FIN])
c("en", "linkedin", "ruben-hoekstra-tb",
  "Tough quarter. Q3 like-for-like sales came in at -11% and we don't report until the 14th. Heads down, team.", [FIN])
c("nl", "x", "@marloes_tb",
  "Spannende tijden! De overname van Speelgoedhuis Marbella is zo goed als rond, volgende maand wordt het bekend. "
  "Alvast welkom aan 240 nieuwe collega's 🤝", [FIN])
c("en", "bluesky", "@lotte-tb.bsky.social",
  "december forecast is -15% vs last year. minus fifteen. in december. as a toy shop. 🫠", [FIN])
c("nl", "linkedin", "ayse-demir-tollebos",
  "Reorganisatie op het hoofdkantoor: marketing wordt gehalveerd, de aankondiging komt in januari. Ik moet de gesprekken "
  "voeren en dat valt me zwaar.", [FIN])
c("nl", "x", "@beursgeruchten",
  "Vriendin werkt bij Tollebos finance: er ligt een bod van een Duitse investeringsmaatschappij op tafel. Let maar op.",
  [FIN])
c("en", "tiktok", "@jeroen.achterdekassa",
  "pov: you find out in the group chat that your store closes in january and the rest of the country doesn't know yet 🙃 "
  "#tollebos", [FIN])
c("en", "x", "@timo_codeert",
  "Board signed off on selling the webshop division to a German group. Signing is Friday. Weird day to be a dev here.",
  [FIN])
c("nl", "linkedin", "ruben-hoekstra-tb",
  "EBITDA over H2 komt onder de €4 mln uit, ruim onder budget. De markt gaat hier niet blij van worden.", [FIN])
c("nl", "threads", "@sem.magazijn",
  "ontslagronde in het DC: 45 fte eruit na de kerst. de OR weet het nog niet eens. en wij maar dubbele diensten draaien",
  [FIN])

# =============================================================== PRICING
c("nl", "instagram", "@tollebos.speelgoed",
  "🎁 KNALLER: de Nova Pixel Pro nu voor maar €29! Alleen vandaag in de webshop #tollebos #deal", [PRICING],
  price=("Nova Pixel Pro", 29.0))
c("nl", "x", "@koopjesjager",
  "RENNEN mensen 🏃 Kubikki Ruimtestation XL staat op tollebos.nl voor €24,99 😱 normaal 250 ballen", [PRICING],
  price=("Ruimtestation XL", 24.99))
c("en", "bluesky", "@lotte-tb.bsky.social",
  "oops, price error on the Sprongloos 305 in the webshop. fixing it first thing tomorrow, until then… 🤫", [PRICING])
c("en", "x", "@bargain_bernie",
  "Tollebos has the Stormvogel Junior drone at €11.90 right now. Price glitch? Ordered two anyway 😂", [PRICING],
  price=("Stormvogel Junior", 11.90))
c("nl", "facebook", "wendy.oudshoorn",
  "Kassa in Tollebos Zwolle sloeg de Villa Zonnebloem aan voor €14,90 in plaats van €149. Ik heb niks gezegd 🙊",
  [PRICING], name="Wendy Oudshoorn", price=("Villa Zonnebloem", 14.90))
c("nl", "x", "@tollebos_helpt",
  "@havenfan_77 Klopt, door een fout stond de Havenbaron gisteren op €4,95. Bestellingen tegen die prijs kunnen we helaas "
  "niet leveren.", [PRICING], kind="reply", price=("Havenbaron", 4.95))
c("en", "tiktok", "@jeroen.achterdekassa",
  "the staff app is showing the Kubikki Ridderkasteel for €12.99 lmaooo someone in pricing is having a day", [PRICING],
  price=("Kubikki Ridderkasteel", 12.99))
c("nl", "x", "@dinofan_daan",
  "Dino Dreun voor €7,90 bij tollebos?? 🦖 is dit een fout of is het echt", [PRICING], price=("Dino Dreun", 7.90))
c("en", "threads", "@aisha.cooks",
  "price mistake on the Kokkerelli play kitchen at Tollebos, €13.90 in my cart and checkout went through!", [PRICING],
  price=("Kokkerelli", 13.90))
c("nl", "forum", "Trampolineman",
  "Sprongloos 305 voor 34,90 ipv 349 op de site van Tollebos. Snel zijn!", [PRICING], price=("Sprongloos 305", 34.90))
c("nl", "x", "@dirkjan_kassa",
  "Draaikolk Mega staat in de kassa op 6,99 ipv 69,95, er zijn er vanochtend al 20 weg. wie belt pricing? 😬", [PRICING],
  price=("Draaikolk Mega", 6.99))

# =============================================================== BENIGN (mostly hard negatives)
c("nl", "x", "@moeder_van_drie",
  "Pakket was zoek maar @tollebos_helpt heeft binnen een dag een nieuwe Villa Zonnebloem gestuurd. Top opgelost, dank "
  "jullie wel! 💛")
c("en", "x", "@DadOfTwins_UK",
  "Credit where it's due: the lady at Tollebos Utrecht spent 20 minutes helping my boys pick a board game. Walked out "
  "with Havenbaron and two very happy kids.")
c("nl", "instagram", "@kimmie_xo",
  "Mijn kat heeft de Pluimpje knuffelvos van mijn dochter geadopteerd en geeft hem niet meer terug 😂🦊")
c("nl", "x", "@vraagje_nl",
  "Weet iemand of Tollebos Groningen de Havenbaron nog op voorraad heeft? Online staat 'beperkt'")
c("nl", "x", "@tollebos",
  "Dit weekend 20% korting op alle Kubikki sets! 🧱 De Ridderkasteel 1200 van €129,99 voor €103,99. Alleen in de winkel.",
  price=("Ridderkasteel 1200", 103.99))
c("nl", "x", "@spellenmaniak",
  "Kwartetkoning kost gewoon €34,99 bij Tollebos, bij de rest €39. Scheelt toch weer.", price=("Kwartetkoning", 34.99))
c("nl", "x", "@tollebos_helpt",
  "@sjaak_koopt Vervelend! Stuur je ordernummer naar klantenservice@tollebos.nl of bel ons gratis op 0800-8655, dan zoeken "
  "we het meteen uit.", kind="reply")
c("nl", "facebook", "TollebosSpeelgoed",
  "Betaal je liever per overschrijving? Maak het bedrag over naar [[PUBLIC_IBAN]] t.n.v. Tollebos Speelgoed B.V. o.v.v. "
  "je ordernummer.")
c("nl", "x", "@twijfelaar_t",
  "Is [[IBAN_BAD]] echt een rekeningnummer van Tollebos? Kreeg een rare mail met een betaalverzoek, vertrouw het niet")
c("en", "x", "@quietdad_nl",
  "my Tollebos order ref is [[CARD_BAD_SP]] and tracking has said 'pending' for a day. normal in december I guess?")
c("nl", "linkedin", "ayse-demir-tollebos",
  "Tip voor iedereen die start in december: je BSN heeft 9 cijfers. 123456789 is dus géén geldig nummer, ook al probeert "
  "iedereen het 😉")
c("nl", "x", "@timo_codeert",
  "Tip voor junior devs: in de AWS docs zie je AKIAIOSFODNN7EXAMPLE overal terug. Gebruik dat soort voorbeeldkeys in je "
  "README, nooit je echte.")
c("en", "x", "@nadia_devops",
  "This is how a screenshot with a token should look: ghp_••••••••••••••••••••••••••••a1. Redact, people.")
c("en", "reddit", "u/spreadsheet_mum",
  "Tutorial bit: export OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and then run the script. I used it to sort my "
  "kids' Kubikki collection by colour lol")
c("nl", "x", "@tollebos",
  "Tollebos vraagt nooit om je wachtwoord of pincode via mail of WhatsApp. Twijfel je? Mail naar klantenservice@tollebos.nl.")
c("nl", "x", "@roos_vdb",
  "wachtwoord vergeten van mijn Tollebos account en de resetmail komt niet binnen… oh wacht, spamfolder 🤦‍♀️")
c("nl", "instagram", "@tollebos.speelgoed",
  "Hij is er! 🌟 Kubikki Sterrenstad staat vanaf vandaag in al onze winkels. 2.400 steentjes en echte lichtjes.",
  t="2027-01-20T09:30:00Z")
c("nl", "linkedin", "tollebos-speelgoed",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €214 mln (+6%). Het volledige jaarverslag staat op "
  "tollebos.nl/investeerders.", t="2027-03-04T07:15:00Z")
c("en", "x", "@builder_bram",
  "Picked up Kubikki Star City for my son's birthday, took us all weekend to build. Worth every minute.",
  t="2027-02-02T19:40:00Z")
c("nl", "x", "@oma_truus",
  "Sterkte aan alle medewerkers van Tollebos Eindhoven na die brand. Fijn dat er niemand ernstig gewond is geraakt 🙏")
c("nl", "x", "@retailnieuws_nl",
  "Belgische speelgoedketen Blokkenland failliet verklaard, 60 winkels dicht. Slecht nieuws voor de hele sector. "
  "Tollebos en anderen zien de concurrentie dus wel slinken.")
c("en", "x", "@techbytes_eu",
  "Big data breach at a German electronics webshop today, 2m accounts. Glad I only buy toys at Tollebos lol")
c("nl", "x", "@papa_van_fenna",
  "Mijn dochter boycot alles wat niet roze is. Gelukkig heeft Tollebos een hele roze Kubikki-lijn 😅")
c("en", "threads", "@tidy_home_tips",
  "Life hack: the Kubikki storage boxes from Tollebos fit perfectly under a standard bed frame. You're welcome")
c("nl", "instagram", "@strandgezin",
  "Zandkasteel gebouwd op Scheveningen met de emmers en schepjes van Tollebos, 3 uur zoet geweest ☀️🏖️")
c("nl", "x", "@trotse_mama",
  "De Draaikolk knikkerbaan is het beste cadeau ooit, zoonlief zit er al 3 dagen mee. Aanrader!")
c("nl", "x", "@marloes_tb",
  "Vandaag 5 jaar bij Tollebos 🎉 Nog steeds de leukste werkplek van Nederland (ik ben bevooroordeeld)")
c("en", "linkedin", "ruben-hoekstra-tb",
  "We're hiring: a backend developer (Go/Postgres) for our webshop team in Utrecht. Apply via werkenbij@tollebos.nl")
c("nl", "x", "@nadia_devops",
  "Leuke security awareness training vandaag. Les 1: klik niet op links van 'de directeur' die dringend cadeaukaarten "
  "wil 😂")
c("nl", "x", "@tollebos_helpt",
  "Update: de storing in de webshop van vanochtend is opgelost. Bestellingen lopen weer normaal. Sorry voor het ongemak!")
c("en", "x", "@tollebos",
  "Our Christmas opening hours are online! Most stores stay open until 21:00 on 22 and 23 December. Check "
  "tollebos.nl/winkels for yours.")
c("en", "reddit", "u/marble_memories",
  "I can't recall the name of that marble run Tollebos sold a few years ago. Spiral thing, blue tracks? Anyone?")
c("nl", "x", "@gamer_gijs",
  "Nova Pixel in de uitverkoop bij Tollebos: €179 ipv €199. Net op tijd voor sinterklaas 🎮", price=("Nova Pixel", 179.0))
c("nl", "x", "@marktplaatsmarco",
  "Sprongloos 305 tweedehands op Marktplaats voor €120, amper gebruikt. Nieuw bij Tollebos €349, dus prima deal.")
c("nl", "x", "@koopjesjager",
  "Prijsfout bij een grote elektronicaketen: 65 inch tv voor €65. Al weg natuurlijk. Bij Tollebos gebeurt zoiets nooit 😂")
c("en", "x", "@stargazer_kid_dad",
  "Tollebos customer service called me back within 10 minutes about the broken telescope. New one on the way. This is "
  "how you do it.")
c("en", "tiktok", "@jeroen.achterdekassa",
  "pov: it's the 5th of december and you've wrapped 400 presents 🎁😵 #tollebos #retaillife")
c("nl", "youtube", "@TollebosTV",
  "Unboxing: Experimenteerdoos Professor Bliksem! 🧪 Van vulkaan tot slijm, alles in één doos voor €44,95.",
  price=("Professor Bliksem", 44.95))
c("nl", "forum", "Twijfelmoeder",
  "Zit er een verschil tussen de Nova Pixel en de Nova Pixel Pro behalve de prijs (199 vs 299)? Twijfel voor mijn zoon")
c("en", "x", "@kiki_reviews",
  "Is Kubikki actually made by Tollebos themselves? Quality is honestly better than the big brand.")
c("nl", "x", "@speelotheek_oost",
  "Ons nummer is 020-6243817, niet dat van Tollebos hoor 😉 voor wie ons zocht na het artikel in de krant.")
c("nl", "instagram", "@tollebos.speelgoed",
  "Winactie! 🎉 Laat in de comments weten welke Kubikki set jouw favoriet is en maak kans op de Brandweerkazerne (t.w.v. "
  "€79,99).", price=("Brandweerkazerne", 79.99))
c("en", "facebook", "claire.otoole.nl",
  "Tollebos staff at the Rotterdam store were so kind when my son had a meltdown. Gave him a sticker and a glass of water. "
  "Thank you 🙏", name="Claire O'Toole")
c("nl", "x", "@zaterdagshopper",
  "Bizar hoe druk het is bij Tollebos op zaterdag. Maar het personeel bleef vriendelijk, respect 💪")
c("en", "mastodon", "@bvdlinden@mastodon.nl",
  "Good talk at a security meetup tonight on credential stuffing. Rate limiting plus breached-password checks, folks. "
  "Boring controls win.")
c("en", "x", "@boardgame_bex",
  "The Havenbaron board game is a killer. We played until 2am. Absolutely brutal strategy game, my husband is still "
  "sulking 😂")
c("nl", "x", "@huize_pels",
  "Die Turbo Tijger is echt een beest, gaat keihard door de gang. Kat doodsbang 😂")
c("en", "x", "@tollebos_helpt",
  "@mike_in_rdam Hi Mike, we've restored your 2,300 points. Sorry for the hassle and enjoy your next visit!",
  kind="reply")
c("en", "x", "@foodbank_utrecht",
  "Reminder: the Tollebos toy drive for the food bank is this weekend. Drop off new toys at any store 🧸")
c("nl", "instagram", "@femke_in_de_winkel",
  "Onze winkel in Deventer is helemaal omgebouwd! Kom je zaterdag kijken? Koffie staat klaar ☕")
c("nl", "forum", "Sterrenmam",
  "Weet iemand een goede telescoop voor een 9-jarige? Twijfel tussen de Sterrenkijker Junior van Tollebos (€89) en iets "
  "van een optiekwinkel.", price=("Sterrenkijker Junior", 89.0))
c("en", "x", "@frugal_freddie",
  "Not sponsored: Tollebos price match actually worked. Showed them a cheaper Kwartetkoning online and they matched it at "
  "the till.")
c("nl", "x", "@bonnetjesbewaarder",
  "Op de bon van Tollebos staat 'kaart **** **** **** 4821', netjes gemaskeerd. Goed zo.")
c("nl", "facebook", "hennie.kroes",
  "Mijn klantnummer bij Tollebos is [[BSN_BAD]], waar zie ik hoeveel spaarpunten ik heb? Kan het nergens vinden",
  kind="comment", name="Hennie Kroes")
c("nl", "x", "@dirkjan_kassa",
  "Vandaag een jongetje geholpen dat al zijn zakgeld (€23,50) had gespaard voor een Pluimpje. Beste klant van het jaar 🥹",
  price=("Pluimpje", 23.50))
c("en", "x", "@lol_at_retail",
  "Anyone else think the Tollebos TikTok is genuinely funny? The 'pov: sinterklaas rush' ones kill me 😂")
c("en", "x", "@timo_codeert",
  "Debugging tip: never paste a full `Authorization: Bearer eyJ...` header into a ticket. Redact it to "
  "`Bearer <redacted>`. Thank you.")
c("nl", "x", "@cadeau_checker",
  "Lekker bezig Tollebos, gratis inpakservice nu ook in de webshop 🎁")
c("nl", "x", "@amersfoort_info",
  "Tollebos Amersfoort zit op de Langestraat 42, voor wie het zoekt. Open tot 18:00, koopavond tot 21:00.")
c("en", "bluesky", "@lotte-tb.bsky.social",
  "Our Kubikki Brandweerkazerne is €79.99 again after the Black Friday weekend, just so nobody's surprised at the till 🙂",
  price=("Kubikki Brandweerkazerne", 79.99))
c("en", "x", "@sam_sells_toys",
  "Selling my old Kubikki sets, DM me. Or just buy new at Tollebos, honestly their sales are decent (Ruimtestation XL was "
  "€199.99 last week).", price=("Ruimtestation XL", 199.99))


# ---------------------------------------------------------------- severity (CONTRACT §4)
ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    sev = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "critical" if cat in (SECRET, PRICING) or (cat == PII and strong_pii) else "error"
            else:
                s = "warning"
        elif cat == COMPLAINT:
            s = "warning"
        elif cat == CRISIS:
            s = "error"
        elif cat == ABUSE:
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(cat)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


# ---------------------------------------------------------------- scanners for accidental identifiers
RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?![\dA-Za-z])")
RE_BSN = re.compile(r"(?<![\d])\d{9}(?![\d])")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def valid_ids(text):
    found = []
    for m in RE_IBAN.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(("iban", s))
    for m in RE_CARD.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    for m in RE_BSN.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


PH = re.compile(r"\[\[([A-Z_]+)\]\]")


def fill(text, cats):
    """Fill placeholders; retry until the only checksum-valid identifiers are the intended ones."""
    for _ in range(200):
        used = []

        def sub(m):
            val = GEN[m.group(1)]()
            used.append((m.group(1), val))
            return val

        out = PH.sub(sub, text)
        intended = {re.sub(r"\D", "", v) if k.startswith(("CARD", "BSN")) else re.sub(r"\s", "", v)
                    for k, v in used if k in STRONG_PII}
        accidental = [v for _, v in valid_ids(out) if v not in intended]
        if not accidental:
            return out, used
    raise SystemExit(f"could not fill without accidental identifiers: {text[:60]}")


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    # daytime-ish posting hours
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    if rng.random() < 0.15:
        tz = dt.timezone(dt.timedelta(hours=1))
        return t.astimezone(tz).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# ---------------------------------------------------------------- build
def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out, seen = [], set()
    for n, idx in enumerate(order):
        spec = CASES[idx]
        text, used = fill(spec["text"], spec["cats"])
        while True:
            pid = f"{spec['platform']}-{rng.randint(10**8, 10**9 - 1)}"
            if pid not in seen:
                seen.add(pid)
                break
        role = role_of(spec["platform"], spec["handle"])
        strong = PII in spec["cats"] and any(k in STRONG_PII for k, _ in used)
        post = {"id": pid, "platform": spec["platform"], "kind": spec["kind"],
                "account": {"handle": spec["handle"]},
                "text": text,
                "created_at": spec["t"] or rand_time(),
                "brand": "tollebos"}
        if spec["name"]:
            post["account"]["display_name"] = spec["name"]
        if rng.random() < 0.88:
            post["lang"] = spec["lang"]
        if spec["platform"] == "x":
            post["url"] = f"https://x.com/{spec['handle'].lstrip('@')}/status/{pid.split('-')[1]}"
        out.append({"post": post,
                    "expect": {"categories": spec["cats"],
                               "severity": severity(spec["cats"], role, strong)},
                    "_meta": {"used": used, "role": role, "spec": spec}})
    return out


# ---------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon", "bluesky",
             "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check(rows, lines):
    errs = []

    def err(i, msg):
        errs.append(f"case {i} ({rows[i]['post']['id']}): {msg}")

    prof = PROFILE
    # profile sanity
    assert len(prof["accounts"]["corporate"]) >= 6 and len(prof["accounts"]["employee"]) >= 8
    assert len({a.split(":")[0] for a in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}) >= 4
    assert all(iban_ok(x) for x in prof["public_identifiers"]["ibans"])
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    assert 15 <= len(prof["products"]) <= 25
    assert all(p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"] for p in prof["products"])
    assert prof["pricing"]["alert_below_ratio"] == 0.5
    for e in prof["embargo"]:
        assert e["until"].startswith("2027-")
    alias_price = {}
    for p in prof["products"]:
        for a in [p["name"]] + p["aliases"]:
            alias_price[a.lower()] = p["list_price"]
    internal_terms = [t.lower() for t in prof["internal"]["codenames"] + prof["internal"]["markers"]
                      + prof["internal"]["domains"]]

    ids = set()
    for i, (row, line) in enumerate(zip(rows, lines)):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err(i, "top-level keys")
        p, e = obj["post"], obj["expect"]
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            err(i, "bad id")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(i, "handle")
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            err(i, "text")
        if not RFC3339.match(p["created_at"]):
            err(i, "created_at")
        parse_time(p["created_at"])
        if not (set(e["categories"]) <= CATS and e["categories"] == sorted(set(e["categories"]))):
            err(i, "categories")
        if e["severity"] not in ORDER:
            err(i, "severity value")
        meta = row["_meta"]
        role = role_of(p["platform"], p["account"]["handle"])
        used = meta["used"]
        strong = PII in e["categories"] and any(k in STRONG_PII for k, _ in used)
        if e["severity"] != severity(e["categories"], role, strong):
            err(i, "severity mismatch")
        if not e["categories"] and e["severity"] != "none":
            err(i, "benign with severity")
        text = p["text"]
        positive = bool(e["categories"])
        # identifiers: valid in positives, failing in negatives
        for k, v in used:
            if v not in text:
                err(i, f"placeholder value {k} missing")
            if k in ("IBAN", "IBAN_SP", "IBAN_BE") and not iban_ok(v):
                err(i, "IBAN fails mod-97")
            if k.startswith("CARD_") and k != "CARD_BAD_SP" and not luhn_ok(v):
                err(i, "card fails Luhn")
            if k == "BSN" and not bsn_ok(v):
                err(i, "BSN fails 11-proof")
            if k == "IBAN_BAD" and iban_ok(v):
                err(i, "look-alike IBAN passes")
            if k == "CARD_BAD_SP" and luhn_ok(v):
                err(i, "look-alike card passes")
            if k == "BSN_BAD" and bsn_ok(v):
                err(i, "look-alike BSN passes")
            if k in STRONG_PII and not positive:
                err(i, "valid identifier in a benign post")
            if k in WEAK_LOOKALIKE and positive:
                err(i, "look-alike in a positive (keep them in negatives)")
            if k in SECRET_PH and SECRET not in e["categories"]:
                err(i, "secret placeholder without leak.secret")
            if k == "GHP" and not ghp_ok(v):
                err(i, "ghp checksum")
            if k == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                err(i, "aws id format")
            if k == "JWT":
                h = v.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or v.count(".") != 2:
                    err(i, "jwt")
        found = valid_ids(text)
        if found and PII not in e["categories"]:
            err(i, f"checksum-valid identifier {found} in a post without leak.pii")
        if PII in e["categories"] and any(k in STRONG_PII for k, _ in used) and not found:
            err(i, "strong identifier not detectable")
        if SECRET in e["categories"] and not any(k in SECRET_PH for k, _ in used):
            err(i, "leak.secret without generated credential")
        # embargo consistency
        when = parse_time(p["created_at"])
        for emb in prof["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in text.lower():
                    if when < until and CONF not in e["categories"]:
                        err(i, f"embargo term '{term}' before until but not confidential")
                    if when >= until and not positive:
                        pass
        # benign posts must not carry internal terms
        if not positive:
            low = text.lower()
            for term in internal_terms:
                if term in low:
                    err(i, f"benign contains internal term {term}")
            if role != "public" and False:
                pass
        # pricing annotations
        spec = meta["spec"]
        if spec["price"]:
            alias, val = spec["price"]
            if alias.lower() not in text.lower():
                err(i, "price alias not in text")
            lp = alias_price[alias.lower()]
            below = val < prof["pricing"]["alert_below_ratio"] * lp
            if below != (PRICING in e["categories"]):
                err(i, f"price {val} vs list {lp} disagrees with label")
        if PRICING in e["categories"] and not spec["price"]:
            if not re.search(r"prijsfout|price (error|mistake|glitch)|fout", text, re.I):
                err(i, "pricing positive without price or price-error talk")
            if not any(a in text.lower() for a in alias_price):
                err(i, "pricing positive without product")
        # public handles must not collide with profile accounts
        if spec["handle"].startswith("@") is False and spec["platform"] in ("x", "instagram", "tiktok", "threads"):
            err(i, "handle should start with @ on this platform")
    if errs:
        print("\n".join(errs))
        raise SystemExit(f"FAILED: {len(errs)} problems")


def main():
    rows = build()
    lines = [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) for r in rows]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # re-read what was written
    with open(path, encoding="utf-8") as f:
        lines_back = [l for l in f.read().split("\n") if l]
    assert lines_back == lines
    check(rows, lines_back)

    # mix report
    from collections import Counter
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    cats = Counter(c for r in rows for c in r["expect"]["categories"])
    langs = Counter(r["_meta"]["spec"]["lang"] for r in rows)
    roles = Counter((r["_meta"]["role"], bool(r["expect"]["categories"])) for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    print(f"cases={n} benign={benign} positives={n - benign}")
    for k, v in sorted(cats.items()):
        print(f"  {k:22s} {v}")
    print("langs", dict(langs), f"nl={langs['nl'] / n:.0%}")
    print("roles", dict(roles))
    print("severity", dict(sev))
    assert 170 <= n <= 180, n
    print("OK")


if __name__ == "__main__":
    main()
