#!/usr/bin/env python3
"""Build the labelled evaluation set sealed436 (Maretak Media B.V., magazine publisher).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and then checks it (format, checksums of identifiers, secret formats, severities
recomputed from the account role in profile.yaml, embargo windows, counts).
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

SEED = 436_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(SEED)

CAT = {
    "S": "leak.secret", "I": "leak.pii", "R": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "X": "leak.security", "K": "reputation.crisis",
    "Q": "reputation.complaint", "A": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------- generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return f"{98 - n % 97:02d}"


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def gen_iban(spaced=True):
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    bban = bank + rand(string.digits, 10)
    s = "NL" + iban_check("NL", bban) + bban
    assert iban_valid(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def gen_bad_iban():
    while True:
        good = gen_iban(spaced=False)
        cd = int(good[2:4])
        bad = good[:2] + f"{(cd + rng.randint(1, 40)) % 97 + 2:02d}" + good[4:]
        if not iban_valid(bad):
            return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def luhn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def gen_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + rand(string.digits, 15 - len(prefix))
    for last in string.digits:
        if luhn_ok(body + last):
            n = body + last
            return " ".join(n[i:i + 4] for i in range(0, 16, 4))
    raise AssertionError


def gen_bad_card():
    n = gen_card().replace(" ", "")
    last = (int(n[-1]) + rng.randint(1, 9)) % 10
    n = n[:-1] + str(last)
    assert not luhn_ok(n)
    return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def gen_bsn():
    while True:
        head = str(rng.randint(1, 9)) + rand(string.digits, 7)
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            s = head + str(last)
            assert bsn_ok(s)
            return s


def gen_bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_ok(s):
            return s


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_gh(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def gen_aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}
    payload = {"sub": f"sub-{rng.randint(100000, 999999)}", "iss": "abonnementen-api",
               "scope": "subscriptions:read subscriptions:write",
               "iat": 1767225600 + rng.randint(0, 30_000_000)}
    payload["exp"] = payload["iat"] + 3600
    sig = bytes(rng.randrange(256) for _ in range(32 if header["alg"] == "HS256" else 256))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"
GENERATORS = {
    # personal identifiers that pass their checksum (strong PII)
    "iban": gen_iban, "iban2": gen_iban, "iban_flat": lambda: gen_iban(spaced=False),
    "card": gen_card, "bsn": gen_bsn,
    # look-alikes that fail their checksum
    "bad_iban": gen_bad_iban, "bad_card": gen_bad_card, "bad_bsn": gen_bad_bsn,
    # secrets
    "gh": gen_gh, "gho": lambda: gen_gh("gho_"),
    "aws_id": gen_aws_id, "aws_secret": gen_aws_secret,
    "openai": lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "anthropic": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "stripe": lambda: "sk_live_51" + rand(ALNUM, 97),
    "slack": lambda: f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}",
    "google": lambda: "AIza" + rand(URLSAFE, 35),
    "glpat": lambda: "glpat-" + rand(URLSAFE, 20),
    "jwt": gen_jwt, "pem": gen_pem,
    "dbpw": lambda: rand(string.ascii_letters + string.digits, 10) + rng.choice("!#%*") + rand(string.digits, 3),
}
STRONG = {"iban", "iban2", "iban_flat", "card", "bsn"}
SECRET_KEYS = {"gh", "gho", "aws_id", "aws_secret", "openai", "anthropic", "stripe", "slack",
               "google", "glpat", "jwt", "pem", "dbpw"}
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------- cases
CASES = []


def c(acct, lang, cats, text, kind="post", date=None):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=cats, text=text,
                      kind=kind, date=date))


# ---- complaints ------------------------------------------------------------
c("x:@lotte_leest", "nl", "Q", "@maretak_service al drie weken geen Koerswind in de bus, maar de €7,40 wordt wel keurig elke maand afgeschreven. 2x gebeld, 2x 'we sturen een nieuwe'. Niks dus. Het zeilseizoen begint zo, ik wil gewoon mn blad 😤", "reply")
c("facebook:ellen.dijkstra.568", "en", "Q", "Cancelling with Maretak is a maze. You can't do it online, you HAVE to call, and then you're on hold for 40 minutes with that awful jingle. I liked Bladgroen, but this is not how you keep customers.")
c("x:@sailor_mike_", "en", "Q", "Second time this quarter my Koerswind arrived soaking wet, plastic wrap torn open. My letterbox is fine, your packaging isn't. Sort it out @maretakmedia")
c("reddit:u/throwaway_lezer", "en", "Q", "Anyone else get charged twice by Maretak this month? Two debits of 64.50 for ONE Bladgroen subscription. Support chat just says 'ticket aangemaakt' and closes the window. Cool cool cool.")
c("instagram:@janneke.kookt", "nl", "Q", "Is het nou zo dat de Kookvuur steeds dunner wordt of ligt het aan mij? 68 pagina's waarvan de helft advertenties 🙄 voor dat geld verwacht ik wel wat meer recepten @kookvuur", "comment")
c("x:@bartdekker84", "nl", "Q", "lees-app van maretak crasht elke keer als ik pixelpost open op mn ipad. al 2 updates verder en nog steeds. ik betaal voor premium ffs")
c("threads:@r.osman", "en", "Q", "Moved house in March. Changed my address with Maretak three (3) times. Spoorzoeker STILL goes to the old flat. The new tenants must love my travel mag.")
c("x:@marieke_vb", "nl", "Q", "@maretak_service stilzwijgend verlengd zonder mailtje vooraf en nu ineens €89 van mijn rekening voor een jaar Koerswind. Ik had in januari al aangegeven dat ik wilde stoppen!! Geld terug graag.", "reply")
c("mastodon:@anouk@mastodon.social", "en", "Q", "I have a digital subscription to Pixelpost and half the articles still sit behind a second 'Plus only' wall. So what exactly am I paying Maretak for? Genuinely asking.")
c("x:@gwen_tuin", "en", "Q", "The gift subscription I bought for my mum in November never started. Order confirmed, money gone, she's had zero issues. Three emails to Maretak, zero answers. Lovely Christmas present that was.")
c("tiktok:@fennavlogt", "nl", "Q", "storytime: knutseldoos van kinderkompas besteld voor de verjaardag van mn nichtje, kwam aan zonder lijm en de helft van de vellen gescheurd 🙄 echt zonde #maretak #fail #unboxing")
c("x:@ninavanes", "nl", "Q", "prijsverhoging van Kookvuur gewoon verstopt in een mail met als onderwerp 'Nieuws van Kookvuur'. Van 69 naar 79 euro per jaar. Netjes hoor 🙃")
c("x:@DeRoos_1979", "nl", "QA", "Maretak, stelletje oplichters. 4 weken geen blad, wel elke maand innen. Kankerzooi, ik zeg ALLES op")
c("x:@kev_sails", "en", "QA", "Your customer service is run by absolute clowns @maretak_service. Fifth time I'm asking where my Koerswind is. Useless pricks.", "reply")
# first-hand safety incidents: crisis + complaint
c("facebook:sandra.wouters.77", "nl", "KQ", "Mijn dochter (7) heeft vanmiddag rode brandplekken op haar handjes gekregen van de slijm uit de Kinderkompas Knutseldoos. Huisarts zegt chemische irritatie. Dit zit in een KINDERpakket?? Maretak, ik wil uitleg.")
c("x:@tomhuisman", "en", "KQ", "The heated seed tray from the Bladgroen welcome pack started smoking on my windowsill last night. Plug was half melted. If I'd been out the house could've gone up. @maretakmedia this is not ok.")
c("instagram:@chef.ruud", "nl", "KQ", "Kookvuur koksmes (zo'n 'abonneeactie') knapte gewoon af bij het snijden van een pompoen. Punt in mijn duim, 4 hechtingen op de SEH. Lekker cadeautje jongens 🔪🩸")
c("reddit:u/gastrofail", "en", "KQ", "Followed the chicken thigh recipe in the Kookvuur Jaarboek 2026 to the letter (it says 12 min at 160°C) and the whole family was sick for two days. That's undercooked chicken. Does nobody proofread these?")
c("threads:@mam_van_drie", "en", "KQ", "Please share: the little plastic compass that came with my son's Kinderkompas snapped into tiny bits and I found him with one in his mouth. Box says 3+. Reporting it to the NVWA and I want Maretak to answer.")

# ---- crisis (third party / accusations) -----------------------------------
c("x:@nieuwsalert_nl", "nl", "K", "Ouders melden huidirritatie na slijmproef uit Kinderkompas Knutseldoos; NVWA onderzoekt de set. Uitgever Maretak Media heeft nog niet gereageerd.")
c("facebook:Consumentenwacht.NL", "nl", "K", "⚠️ TERUGROEPACTIE: de verwarmde kweekkas die Bladgroen als welkomstgeschenk meestuurde, kan via de adapter oververhitten. Gebruik hem niet meer en haal de stekker eruit. Deel dit bericht!")
c("x:@privacywaakhond", "en", "K", "Maretak Media subscriber data (names, addresses, bank details of ~300k readers) is being offered on a forum since this morning. The sample looks legit. Has Maretak notified the Autoriteit Persoonsgegevens yet?")
c("x:@verontwaardigd_", "nl", "K", "Die cover van Spoorzoeker met 'exotische' vrouwen als decor is echt 1975. Zeg je abonnement op en laat ze weten waarom. #boycotMaretak #Spoorzoeker")
c("linkedin:mila-de-graaf-fotografie", "nl", "K", "Na twee jaar onbeantwoorde facturen stap ik naar de rechter. Maretak Media heeft 46 van mijn foto's zonder licentie gebruikt in Koerswind en online. De dagvaarding is vandaag betekend.")
c("x:@mediawatcher", "en", "K", "So Pixelpost's 'hands-on review' of the Fenix X2 was written by AI and the reviewer never held the phone. Screenshots of their Slack are all over the place. Big credibility hit for Maretak.")
c("x:@KlokkenluiderNL", "en", "K", "Former Bladgroen editors describe years of bullying by the editor-in-chief. And Maretak knew. Full thread 🧵👇")
c("facebook:WSV.DeMeeuw", "nl", "K", "Een van onze leden kwam zaterdag in de problemen op de Waddenzee door een foute getijdentabel in de Koerswind Getijdenalmanak 2027. Gelukkig goed afgelopen dankzij de KNRM. Controleer je tabellen!")
c("x:@dataleak_tracker", "en", "K", "Maretak hasn't said a word, but all afternoon their subscription portal showed other readers' invoices to logged-in users. Names, addresses, the lot. GDPR complaint filed.")
c("bluesky:@queerbookclub.bsky.social", "en", "K", "Kookvuur just gave a column to someone who calls same-sex parents 'a trend'. Not spending another cent with Maretak. Cancel and tell them why. #BoycottKookvuur")
c("x:@advocatuur_nieuws", "nl", "K", "Consumentenclaim start collectieve actie tegen Maretak Media om stilzwijgende verlengingen van tijdschriftabonnementen. Volgens de stichting zijn tienduizenden lezers gedupeerd.")
c("x:@woedendevader", "en", "KA", "Those bastards at Maretak sell toxic slime to kids and keep their damn mouths shut about it. Disgrace.")

# ---- abuse ---------------------------------------------------------------
c("x:@hanzz0", "nl", "A", "@eva_redactie jij bent echt de domste columnist van Nederland, ga lekker terug naar je aanrecht 🤡", "reply")
c("x:@angry_reader22", "en", "A", "@daanmolenaar you absolute moron, who let you write about bikes. Worthless hack, nobody wants you.", "reply")
c("x:@trots_nl", "nl", "A", "Wéér een hoofddoek in de Spoorzoeker. Maretak is gewoon een propagandaclubje voor die gelukszoekers. Walgelijk volk.")
c("x:@n0name_x", "nl", "A", "maretak = k4nk3rb3drijf, al die r3dact3urs zijn t3ring0ps")
c("x:@ukjoe_77", "en", "A", "@maretak_service you are all a bunch of c.u.n.t.s, every single one of you", "reply")
c("x:@daanmolenaar", "nl", "A", "@fietsfanaat_ ga lekker ergens anders zeiken, sukkel. Je snapt duidelijk geen reet van fietsen.", "reply")
c("threads:@kookvuur", "nl", "A", "@foodie_marco als je nog geen ei kunt koken, hou dan gewoon je bek over ons recept.", "reply")
c("x:@zuurpruim", "nl", "A", "Redactie van Maretak: stelletje idiоten en mоngоlen")
c("reddit:u/tech_grump", "en", "A", "Pixelpost writers are f\u200bucking r\u200betards, every review reads like it was written by a toddler")

# ---- personal data -------------------------------------------------------
c("x:@maretak_service", "nl", "I", "@lotte_leest Sorry voor het gedoe! We hebben de terugbetaling van €22,20 klaargezet naar <<iban>> t.n.v. L. Hendriks, binnen 5 werkdagen staat het op je rekening.", "reply")
c("linkedin:youssef-bakkali", "nl", "I", "Kan iemand de hotelboeking voor de Spoorzoeker-shoot in Bergen even afronden? Mijn eigen creditcard mag: <<card>> exp 09/28, op naam Y. Bakkali. CVC stuur ik via Teams.")
c("x:@eva_redactie", "nl", "I", "Nieuwe freelancer Sem de Wit staat nog niet in het systeem, kan iemand van salarisadministratie hem alvast uitbetalen? BSN <<bsn>>, rekening <<iban>>. Thx!!")
c("facebook:MaretakMediaNL", "nl", "I", "Hoi Marjolein, we zien je opzegging van Bladgroen. Klopt het dat we het restant mogen storten op <<iban>>? Je adres staat bij ons nog als Vlinderweg 12, 3524 KL Utrecht.", "comment")
c("x:@opa_gerrit", "nl", "IQ", "@maretak_service voor de derde keer: G. Vermeulen, Dorpsstraat 41, 7701 AB Dedemsvaart, rekening <<iban>>. Storten jullie die dubbele afschrijving nou eens terug of niet??", "reply")
c("reddit:u/leesbox_confused", "en", "I", "Weird charge for the Maretak Leesbox on my statement, here's the line: VISA <<card>> 14/05 MARETAK*LEESBOX 199,00. Is this the normal merchant name or should I call my bank?")
c("x:@maretak_service", "nl", "I", "@ninavanes we hebben je mail doorgezet naar onze collega Petra, je kunt haar ook direct bereiken op petra.smit78@gmail.com of 06-41827736.", "reply")
c("bluesky:@joost-drukwerk.bsky.social", "en", "I", "Anyone know how to reach the Koerswind photo contest winner? Anna Kuipers, born 14-03-1991, lives at Kerkpad 8 in Monnickendam. Not answering anything 😅")
c("linkedin:ilse-van-rijn-maretak", "en", "I", "Customer escalation of the week: Mr. Pieter Groen (pgroen1962@hotmail.com, +31 6 2874 1190) is demanding a personal apology from the editor-in-chief. Not kidding. Mondays.")
c("instagram:@koerswind.mag", "nl", "I", "Gefeliciteerd aan de winnaar van onze fotowedstrijd: Ruben Smit uit Harderwijk! 🏆 Ruben, we sturen je prijs naar Havenkade 3, 3841 AA Harderwijk, klopt dat?")
c("x:@karin_z", "nl", "I", "Hee @maretak_service bel me even terug aub, 06 - 18 29 44 71, ben thuis tot 5 uur. Groetjes Karin Zwart", "reply")
c("x:@onthul_ze", "nl", "IA", "Die Eva van Kookvuur heet gewoon Eva Brouwer, geb. 2-8-1986, en woont op de Lindelaan 27 in Zeist. Ga maar eens gezellig langs bij dat wijf 😈")
c("threads:@sophie.kookvuur", "en", "I", "Lost my wallet at the Kookvuur stand at the food fair 😭 it's mine if you find it: Sophie Laan, DOB 11 June 1994, my ID card with BSN <<bsn>> is in there too. DM me please!")
c("mastodon:@jdekkers@zeilen.social", "en", "IQ", "@maretak reach me at j.dekkers.sailing@proton.me or 0031 6 55 21 87 03, subscriber nr KW-448112. I've been waiting a full week for someone to call back about my missing issues.")
c("linkedin:maretak-media", "nl", "I", "Bedankt voor alle sollicitaties op de vacature eindredacteur! We nemen snel contact op met o.a. Lisa Meijer (lisa.meijer88@outlook.com) en Tim Bos (06-29183347) voor een gesprek.")

# ---- secrets --------------------------------------------------------------
c("x:@rvanleeuwen_it", "en", "S", "Why does the CMS deploy keep failing 🙃 token is <<gh>> and it has repo scope, what am I missing?")
c("bluesky:@joost-drukwerk.bsky.social", "nl", "S", "kan iemand even checken of deze het nog doen? AWS_ACCESS_KEY_ID=<<aws_id>> AWS_SECRET_ACCESS_KEY=<<aws_secret>> voor de bucket met drukproeven")
c("tiktok:@pixelpost.nl", "en", "S", "Behind the scenes at the Pixelpost test lab 🧪 (ignore the terminal lol) $ export OPENAI_API_KEY=<<openai>> #techtok #bts")
c("x:@rvanleeuwen_it", "nl", "SC", "staging db weer plat. postgres://cms_admin:<<dbpw>>@db01.intra.maretak.local:5432/redactie als iemand wil meekijken")
c("mastodon:@nienkebos@mastodon.nl", "en", "S", "payment integration for the Bladgroen webshop finally works 🎉 live key <<stripe>> have a nice weekend all")
c("linkedin:thijs-koster-ecommerce", "en", "S", "Newsroom bot is live! If you want to hook it into your own channel use token <<slack>> and ping me if it breaks.")
c("x:@eva_redactie", "nl", "S", "wifi op de nieuwe redactievloer: netwerk MaretakRedactie, wachtwoord: Zwaluw!2026kw — graag niet op de deur plakken dit keer 😂")
c("reddit:u/jsnooper", "en", "S", "Found this sitting in the public JS bundle on Maretak's subscription site lol: const mapsKey = \"<<google>>\"; anyone can pull it out of the page source.")
c("x:@rvanleeuwen_it", "nl", "S", "iemand een idee? Authorization: Bearer <<jwt>> geeft 401 op de abonnementen-api sinds de update")
c("bluesky:@joost-drukwerk.bsky.social", "en", "S", "deploy key for the print server, pasting here so I can grab it on my laptop, will delete in a min\n<<pem>>")
c("linkedin:thijs-koster-ecommerce", "nl", "SC", "Project Kolibrie koppeling getest: headline-generator draait op <<anthropic>>. Morgen demo voor de hoofdredactie!")
c("x:@eva_redactie", "nl", "S", "inlog fotobank voor de freelancers: gebruiker redactie_kw ｗａｃｈｔｗｏｏｒｄ： Spinnaker#88")
c("x:@freelance_devbram", "en", "S", "Doing some freelance work for Maretak and the GitLab token they handed me doesn't even work 🙄 <<glpat>> — 403 on every repo. Anyone seen this?")

# ---- confidential ---------------------------------------------------------
c("x:@eva_redactie", "nl", "C", "Eindelijk mag ik het zeggen… nee wacht, nog niet 🙊 Maar Koerswind Junior wordt ZO leuk. Eerste nummer ligt al bij de drukker!", date="2026-11-03T18:12:40Z")
c("linkedin:ilse-van-rijn-maretak", "en", "C", "Great kickoff for Project Zwaluwstaart today. A new paywall across all six titles is going to change how we do digital. Proud of this team! #publishing #digital")
c("instagram:@bladgroen_tijdschrift", "nl", "C", "Sneak peek 👀 uit het plan 'intern - niet verspreiden': vanaf maart krijgt Bladgroen een vaste rubriek over daktuinen!")
c("x:@mediaroddels", "nl", "CF", "Uit goede bron: Maretak wil onder de naam Operatie Inktvis samengaan met een Belgische uitgever. Deal zou voor de zomer rond moeten zijn. Dit wordt groot.")
c("x:@daanmolenaar", "en", "C", "Notes from today's editorial board (maretak internal only): Spoorzoeker drops the Asia section from June, more Europe by train. Thoughts?")
c("linkedin:thijs-koster-ecommerce", "nl", "C", "Test even of de preview werkt: https://cms-staging.maretakmedia.nl/preview/spoorzoeker/2026-07?draft=1 — laat maar weten als je hem niet kunt openen")
c("instagram:@mirjam.fotografie", "nl", "C", "Vandaag de eerste afleveringen ingesproken voor Maretak Luistert 🎧 Kan niet wachten tot jullie het horen!", date="2026-12-09T15:40:02Z")
c("x:@eva_redactie", "nl", "C", "Vandaag de hele dag brainstormen voor Ｐｒｏｊｅｃｔ Ｋｏｌｉｂｒｉｅ 🐦 meer kan ik er niet over zeggen, maar het is spannend")
c("x:@rvanleeuwen_it", "nl", "C", "Drie sprints lang Z.w.a.l.u.w.s.t.a.a.r.t en de inlogpagina is nog steeds niet af. Wie verzint die planning")
c("x:@daanmolenaar", "nl", "CF", "Vanavond borrel ter ere van Ореrаtie Inktvis 🦑 als het doorgaat zijn we straks twee keer zo groot")
c("instagram:@mirjam.fotografie", "nl", "C", "Eerste proefdruk van het nieuwe kwartaalblad dat we in het voorjaar lanceren 🪵 meer mag ik nog niet zeggen, alleen: hout, ambacht en heel veel gereedschap.")
c("x:@rvanleeuwen_it", "en", "CF", "NDA stuff so I shouldn't, but the Pixelpost relaunch will be digital-only. Print ends with the December issue.")
c("x:@daanmolenaar", "nl", "CF", "jaarcijfers 2026 net voorbij zien komen en wij hebben het een stuk beter gedaan dan iedereen dacht 😎🥂", date="2027-02-10T20:31:55Z")
c("linkedin:maretak-media", "nl", "C", "Benieuwd naar onze nieuwe huisstijl? Lees het merkhandboek hier: https://wiki.maretakmedia.nl/merk/huisstijl-2027")
c("x:@lekkerlezen_", "en", "C", "A mate at Maretak showed me the Project Kolibrie demo last night, apparently they'll have AI write half of Kookvuur soon lol")
c("mastodon:@nienkebos@mastodon.nl", "en", "CF", "Q4 results are in and let's just say the champagne stays in the fridge this year 🥲", date="2027-01-28T09:05:17Z")

# ---- financial ------------------------------------------------------------
c("linkedin:ilse-van-rijn-maretak", "nl", "F", "Zwaar nieuws intern vandaag: de drukkerij in Haarlem gaat eind Q3 dicht, 38 collega's. Wordt pas volgende maand bekendgemaakt, maar ik moest het even kwijt.")
c("linkedin:youssef-bakkali", "en", "F", "Heard from the board: we're in talks to acquire Stadsgids Uitgevers, offer somewhere around 14m. Keep it quiet folks 🤫")
c("x:@daanmolenaar", "nl", "F", "Abonnees Koerswind -11% dit jaar en de prognose voor 2027 is nog slechter. Zeilers lezen blijkbaar niet meer 🤷")
c("x:@beursinsider", "en", "F", "Tip from someone inside Maretak Media: profit warning coming Thursday, digital revenue about 20% below budget.")
c("threads:@sophie.kookvuur", "en", "F", "Reorg round two: the Bladgroen and Kookvuur desks get merged into one 'lifestyle desk', HR tells people in September. You didn't hear it from me.")
c("x:@maretakmedia", "nl", "F", "Trots op ons eerste halfjaar: omzet €41,2 mln, EBITDA €5,8 mln en +18% digitale abonnees! Het persbericht volgt later deze week 📈")
c("linkedin:youssef-bakkali", "en", "F", "Board signed off on 25 FTE cuts in sales & marketing today. Announcement after the summer. Brutal day.")

# ---- security -------------------------------------------------------------
c("x:@rvanleeuwen_it", "nl", "X", "Nog niet naar buiten gebracht, maar we zijn sinds vannacht geraakt door ransomware. Hele CMS versleuteld, Koerswind haalt de drukker deze week niet.")
c("threads:@sophie.kookvuur", "en", "X", "psa for colleagues: the subscription portal lets you open ANY invoice by changing the number in the url. reported it 3 weeks ago, ticket still open.")
c("bluesky:@joost-drukwerk.bsky.social", "nl", "X", "het exportbestand met alle Kinderkompas-abonnees heeft een week publiek in een bucket gestaan 😬 gelukkig weet nog niemand het")
c("mastodon:@nienkebos@mastodon.nl", "en", "X", "the paywall bug nobody fixes: add ?amp=1 to any Pixelpost article url and you read it for free. been like that for months.")
c("linkedin:ilse-van-rijn-maretak", "en", "X", "Long night. Our mail platform was abused to send phishing to ~40k subscribers yesterday evening. Comms still deciding what to say publicly.")
c("linkedin:thijs-koster-ecommerce", "nl", "X", "Storing op alle incasso's van de abonnementen sinds 6 uur vanochtend, niks komt door. Wordt nog niet gecommuniceerd naar klanten.")
c("x:@daanmolenaar", "en", "X", "Someone at the Bladgroen desk clicked a phishing link and the attacker sat in the shared inbox for two days. IT told us 'don't discuss'. Well.")
c("x:@maretak_service", "nl", "X", "@bartdekker84 Klopt, de app ligt er even uit omdat we een beveiligingslek aan het dichten zijn. Hou het nog even voor je aub 🙏", "reply")
c("x:@ITjoris", "nl", "XK", "Zwager werkt bij Maretak: hun hele abonneedatabase is vorige week gekopieerd door hackers en ze houden het gewoon stil.")
c("x:@rvanleeuwen_it", "nl", "X", "er zit een CVE in onze oude Drupal-install van spoorzoeker.nl, nog niet gepatcht, en de exploit staat al op GitHub. Iemand?? 🙃")
c("threads:@sophie.kookvuur", "en", "X", "wild that the Leesbox checkout accepts any discount code if you stick a space at the end. found it while testing, ticket's been open since May")
c("mastodon:@nienkebos@mastodon.nl", "nl", "X", "backups van de redactieserver draaien al 3 weken niet en niemand had het door tot de schijf vanochtend crashte. Bladgroen-archief 2019-2022 mogelijk weg.")
c("bluesky:@joost-drukwerk.bsky.social", "en", "X", "DDoS on koerswind.nl again, third time this week. We've been told to call it 'scheduled maintenance' on socials.")

# ---- pricing --------------------------------------------------------------
c("x:@maretakmedia", "nl", "R", "🌞 ZOMERDEAL: Koerswind jaarabonnement nu voor maar €8,90! Alleen dit weekend, op is op ⛵")
c("x:@dealjager", "nl", "R", "PRIJSFOUT bij Maretak!! Maretak Leesbox alles-in-één voor €19,90 per jaar ipv €199. Snel zijn 🏃‍♂️💨")
c("linkedin:thijs-koster-ecommerce", "nl", "R", "Uh oh, Pixelpost Plus staat in de webshop voor €5,99 per jaar. Is er iemand van e-commerce wakker??")
c("reddit:u/appstorebargains", "en", "R", "Bladgroen Digitaal is showing as €3.90 for a full year in the app store right now. Bug or am I just lucky?")
c("threads:@kookvuur", "nl", "R", "Het Kookvuur Jaarboek 2026 ligt nu in onze shop voor €2,99 🍲 Het perfecte cadeau!")
c("forum:pepperfan_23", "en", "R", "[Maretak] Cadeauabonnement Duo €11.90 - price glitch? My order went straight through, confirmation mail received.")
c("threads:@sophie.kookvuur", "en", "R", "Whoever set the Spoorzoeker Gids Scandinavië to €2.49: it's been live for an hour and we've sold 300 😳")
c("x:@zeilmaatje", "en", "R", "Getijdenalmanak for €3.45 in the Maretak webshop 😂 someone forgot a decimal?")
c("x:@eva_redactie", "nl", "R", "Er zit een prijsfout op de pagina van de Knutseldoos, heb het doorgezet naar het webshopteam. Niet verder delen aub!")
c("x:@frugal_fenna", "en", "R", "Maretak Premium for €9.90 a year?? That's a tenth of what my sister pays. Someone at Maretak messed up big time.")
c("reddit:u/kitchen_deals", "en", "R", "Kookvuur chef's knife listed at €4.99 on Maretak's shop, ordered three before they notice lol")
c("x:@tuinliefhebber_", "en", "RQ", "Ordered the Zadenkalender for €1.99 (yes, obviously a pricing error) and now Maretak just cancels my order without a word of explanation. Terrible way to treat customers.")

# ---- benign / hard negatives ---------------------------------------------
c("x:@maretak_service", "nl", "", "Vragen over je abonnement? Mail abonnementen@maretakmedia.nl of bel 088 627 3825 (ma-vr 9-17u). We helpen je graag!")
c("facebook:MaretakMediaNL", "nl", "", "Liever zelf overmaken? Dat kan op <<pub_iban>> t.n.v. Maretak Media B.V., o.v.v. je abonneenummer.")
c("instagram:@koerswind.mag", "nl", "", "Nieuw nummer ligt vanaf vandaag in de winkel! ⛵ Met o.a. een test van zes reddingsvesten en de mooiste ankerplekken van Friesland. #koerswind")
c("x:@groenevingers_", "en", "", "New Bladgroen is great again. That piece on growing veg on a 2m² balcony got me started right away 🌱")
c("bluesky:@techreads.bsky.social", "en", "", "Pixelpost's long read on the Mastodon migration is the best tech journalism I've read this year. Worth the sub.")
c("x:@maretakmedia", "nl", "", "Black Friday 🖤 Koerswind jaarabonnement 25% korting: nu €66,75 i.p.v. €89. Alleen t/m maandag!")
c("instagram:@bladgroen_tijdschrift", "en", "", "Spring offer 🌷 Bladgroen Digitaal for €31.20 this month, that's 20% off. Link in bio!")
c("x:@henkjan_w", "nl", "", "Net het Kookvuur Jaarboek 2026 gekocht voor €29,95 bij de boekhandel, mooi cadeau voor mn schoonvader")
c("reddit:u/readingbudget", "en", "", "Is the Leesbox (199 a year) worth it if I only really read Pixelpost and Spoorzoeker? Thinking out loud here.")
c("x:@medianieuws", "nl", "", "Uitgeverij Het Baken schrapt 60 banen en stopt met drie printtitels. Zware tijden voor de tijdschriftensector.")
c("tiktok:@pixelpost.nl", "en", "", "Weekly security roundup 🔐 online shop ShopPlaza leaked 2M customer records last week. Change that password and turn on 2FA, people!")
c("x:@rvanleeuwen_it", "en", "", "Workshop slide for the junior devs: never commit keys like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY to git. Use the vault. Please.")
c("x:@eva_redactie", "nl", "", "Token staat in de kluis, niet in Slack: ghp_****************************** aub niet meer plakken in #redactie 😅")
c("x:@phishingpolitie", "nl", "", "Voorbeeld uit de phishingcursus van Pixelpost: 'maak €45 over naar <<bad_iban>> anders stopt je abonnement'. Zulke mails NOOIT vertrouwen.")
c("x:@verwarde_lezer", "nl", "", "Vreemd, mijn abonneenummer bij Koerswind is 16 cijfers lang: <<bad_card>>. Lijkt wel een creditcard 😅 iemand anders ook zo'n lang nummer?")
c("x:@maretakmedia", "nl", "", "Onze jaarcijfers 2026 staan online. Lees het persbericht op maretakmedia.nl/pers", date="2027-03-02T07:30:00Z")
c("instagram:@koerswind.mag", "nl", "", "Hij is er! Koerswind Junior, het zeilblad voor kids van 8 tot 12 ⛵ Eerste nummer vanaf vandaag in de winkel.", date="2027-01-20T08:00:00Z")
c("instagram:@mirjam.fotografie", "nl", "", "Maretak Luistert staat nu in de app stores 🎧 mijn allereerste podcast ooit, luister je mee?", date="2027-02-03T12:14:09Z")
c("x:@marieke_vb", "nl", "", "Update: @maretak_service heeft het netjes opgelost, de gemiste Koerswinds liggen alsnog op de mat én ik krijg een maand gratis. Top 👍", "reply")
c("x:@doublecharged_dan", "en", "", "Credit where it's due: Maretak refunded the double charge within a day after I DM'd them. Thanks @maretak_service")
c("x:@maretakmedia", "nl", "", "Wij zijn diep geraakt door het overlijden van onze oud-hoofdredacteur Wim Schouten. Onze gedachten zijn bij zijn familie en vrienden.")
c("threads:@plantmom_eu", "en", "", "Thinking of the Bladgroen team after the storm flattened their show garden at the expo. Hope you can rebuild ❤️")
c("x:@schoonzoon_j", "en", "", "That chocolate cake from Kookvuur is the bomb 💣 my mother-in-law was speechless")
c("instagram:@bladgroen_tijdschrift", "nl", "", "Tip van de week 🔥 een vuurkorf in de tuin is heerlijk, maar check wel even of er een stookverbod geldt vanwege de droogte.")
c("reddit:u/auntie_ines", "en", "", "Does anyone know if the Kinderkompas craft box is OK for a 5 year old? Looking for a birthday present for my niece.")
c("threads:@kookvuur", "nl", "", "Deze week in Kookvuur: gegrilde inktvis met citroen en knoflook 🦑 Het recept staat in het nieuwe nummer!")
c("x:@vlinderspotter", "nl", "", "Koninginnenpage (zwaluwstaart!) gespot in de tuin vandaag 🦋 Dank Bladgroen voor de tip om venkel te planten.")
c("x:@backpackbeth", "en", "", "Saw my first hummingbird (kolibrie, as the Dutch say) in Costa Rica thanks to the Spoorzoeker route. Magical.")
c("tiktok:@pixelpost.nl", "nl", "", "In de nieuwe Pixelpost: zo maak je een sterk wachtwoord (en waarom 'Welkom123' écht niet meer kan) 🔑 #wachtwoord #tips")
c("x:@finally_bitwarden", "en", "", "Pixelpost's password manager test finally convinced me to switch. No more post-its on the monitor.")
c("linkedin:ilse-van-rijn-maretak", "nl", "", "Vandaag 10 jaar bij Maretak Media! Begonnen als stagiair bij Bladgroen, nu manager abonnementen. Dank aan iedereen die me verder heeft geholpen 🎉")
c("x:@daanmolenaar", "en", "", "Just finished a 200 km ride for next month's piece. Legs gone. Coffee needed.")
c("instagram:@mirjam.fotografie", "nl", "", "Shoot voor de zomereditie van Spoorzoeker in de Ardennen. Wat een licht vandaag 📸")
c("x:@wereldreiziger_k", "en", "", "anyone know if Maretak lets you pause a subscription while you travel for six months?")
c("x:@regenton_rob", "en", "", "Thanks to Bladgroen I finally found the leak in my water butt 😂 good tips on rain barrels this month")
c("x:@weeknightcook", "en", "", "The Kookvuur 'midweek dinner crisis' section has saved me so many times. Tonight: the 20-min orzo.")
c("facebook:pieter.zeilt", "en", "", "I can still recall the first Koerswind I ever read, summer 1998 on my dad's boat. Still subscribed.")
c("x:@mediaprijzen", "nl", "", "Maretak Media wint de prijs voor beste tijdschriftcover 2026 met de Spoorzoeker-cover 'Noorderlicht'. Terecht!")
c("linkedin:maretak-media", "en", "", "We're hiring! Junior editor for Pixelpost, Haarlem, 32-40h. Send your CV and three clips to vacatures@maretakmedia.nl")
c("x:@snelgeholpen", "nl", "", "Voor wie het zoekt: de klantenservice van Maretak is 088 627 3825, ik werd binnen 2 minuten geholpen.")
c("x:@devtips_nl", "en", "", "From a docs example: export OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx, replace with your own key via .env and never hardcode it. (Pixelpost coding column)")
c("tiktok:@pixelpost.nl", "nl", "", "postgres://user:password@localhost:5432/mijndb is het voorbeeld uit de documentatie. Vul je eigen gegevens in via een .env-bestand, niet in je code! #codeertip")
c("x:@watersporter_l", "en", "", "With the sailing association member discount you get 10% off the Koerswind abonnement, so €80.10. Decent deal.")
c("x:@premium_reader", "en", "", "Maretak Premium is €99 a year, which for six magazines is honestly fair.")
c("x:@zeilzeur", "nl", "", "Zeilen Totaal van de concurrent kost €39 per jaar, een Koerswind abonnement €89. Verschil in kwaliteit is wel te zien hoor.")
c("x:@tuinhelden", "en", "", "that Kookvuur stew was so good I literally died 😂 compliments to the chef")
c("x:@cultuurlezer", "en", "", "Spoorzoeker's piece on the overtourism scandal in Venice is essential reading.")
c("x:@historica_nl", "nl", "", "Mooi achtergrondstuk in Spoorzoeker over de busboycot van Montgomery, met een reisroute langs de civil rights trail.")
c("x:@columnfan", "en", "", "Sending love to @eva_redactie, the trolling you got this week was vile. Your columns are great, keep going.")
c("x:@maretak_service", "nl", "", "Door een staking bij de verspreider kan Bladgroen deze week een paar dagen later op de mat vallen. Excuses voor het ongemak!")
c("x:@eva_redactie", "nl", "", "We zoeken een stagiair voor de Kookvuur-redactie! Mail je motivatie naar vacatures@maretakmedia.nl 🍳")
c("facebook:kinderkompas.fans", "nl", "", "Voor de goede-doelenactie van Kinderkompas kun je doneren op <<pub_iban>> t.n.v. Maretak Media, o.v.v. 'Schoolbieb'.")
c("x:@globetrotter_ed", "en", "", "Just renewed my Spoorzoeker sub at €72, still the best travel mag in NL imo.")
c("facebook:moeder.van.teun", "nl", "", "Mijn zoon (9) leest Kinderkompas van voor naar achter. Beste 59 euro die ik dit jaar heb uitgegeven.")
c("x:@maretak_service", "nl", "", "Let op: er gaan nepmails rond namens Maretak met het verzoek te betalen op <<bad_iban>>. Dat is NIET ons rekeningnummer. Ons enige nummer is <<pub_iban>>.")
c("x:@fitnieuws", "nl", "", "Datalek bij sportschoolketen FitPunt: gegevens van 20.000 leden liggen op straat. Check je mail, mensen.")
c("x:@catlady_ams", "en", "", "My cat has claimed the new Bladgroen as her bed. Guess I'll read it next month 🐈")
c("mastodon:@nienkebos@mastodon.nl", "nl", "", "Nieuwe Pixelpost-podcast over open source firmware voor je router staat online, echt een aanrader.")
c("x:@elfproef_nerd", "nl", "", "Voor mijn werkstuk over de elfproef: <<bad_bsn>> ziet eruit als een BSN maar zakt voor de check. Uitleg stond in Pixelpost 🤓")
c("x:@sailor_mike_", "en", "", "Fair play, this month's Koerswind arrived bone dry in a proper paper sleeve. Someone at Maretak listened 👏")
c("reddit:u/kw_reader", "en", "", "PSA: the Koerswind Getijdenalmanak 2027 is out, €34.50 in the shop. The Wadden tables section alone is worth it.")
c("x:@thuiswerker_p", "en", "", "Kookvuur Jaarboek 2026 down to €23.96 in the January sale (20% off). Grabbed one for the kitchen shelf.")

# --------------------------------------------------------------------------- build
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


def severity(role, cats, strong_pii):
    lvl = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                hard = cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and strong_pii)
                need = 4 if hard else 3
            else:
                need = 2
        elif cat == "reputation.complaint":
            need = 2
        elif cat == "reputation.crisis":
            need = 3
        elif cat == "reputation.abuse":
            need = 2 if role == "public" else 3
        else:
            raise ValueError(cat)
        lvl = max(lvl, need)
    return SEV[lvl]


def fill(text):
    used = {}

    def sub(m):
        key = m.group(1)
        if key == "pub_iban":
            return " ".join(PUB_IBAN[i:i + 4] for i in range(0, len(PUB_IBAN), 4))
        if key not in used:
            used[key] = GENERATORS[key]()
        return used[key]

    return re.sub(r"<<(\w+)>>", sub, text), used


def rand_date():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 360 * 86400))
    if rng.random() < 0.15:
        off = dt.timezone(dt.timedelta(hours=2 if 4 <= t.month <= 9 else 1))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out, meta, ids = [], [], set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        cs = CASES[idx]
        text, used = fill(cs["text"])
        cats = sorted(CAT[ch] for ch in cs["cats"])
        role = role_of(cs["platform"], cs["handle"])
        strong = bool(STRONG & used.keys())
        while True:
            pid = f"{cs['platform']}-{rng.randrange(10**15, 10**16)}"
            if pid not in ids:
                ids.add(pid)
                break
        post = {
            "id": pid, "platform": cs["platform"], "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": text, "lang": cs["lang"],
            "created_at": cs["date"] or rand_date(),
            "url": f"https://social.example/{cs['platform']}/{pid.split('-')[1]}",
        }
        out.append({"post": post, "expect": {"categories": cats,
                                             "severity": severity(role, cats, strong)}})
        meta.append(dict(role=role, used=used, strong=strong, spec=cs))
    return out, meta


# --------------------------------------------------------------------------- checks
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"\b(?:\d{4}[ -]){3}\d{1,7}\b|\b\d{13,19}\b")
BSN_RE = re.compile(r"(?<![\d.,])\b\d{9}\b(?![.,]?\d)")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def rfc3339(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines, meta):
    errs = []
    seen = set()
    embargo = [(t.lower(), rfc3339(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for ln, (case, m) in enumerate(zip(lines, meta), 1):
        p, e = case["post"], case["expect"]
        where = f"line {ln} ({p.get('id')})"
        # §6 / §1 shape
        if set(case) != {"post", "expect"}:
            errs.append(f"{where}: top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in seen:
            errs.append(f"{where}: bad or duplicate id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(f"{where}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{where}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append(f"{where}: text")
        ts = rfc3339(p["created_at"])
        if ts is None:
            errs.append(f"{where}: created_at")
        elif not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc)):
            errs.append(f"{where}: created_at out of range")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= set(CAT.values()):
            errs.append(f"{where}: categories")
        if e["severity"] not in SEV:
            errs.append(f"{where}: severity value")
        if e["severity"] != severity(m["role"], cats, m["strong"]):
            errs.append(f"{where}: severity does not follow policy")
        if (not cats) != (e["severity"] == "none"):
            errs.append(f"{where}: benign/none mismatch")
        # identifiers: scan text with generated secrets and the public IBAN blanked out
        text = p["text"]
        for k, v in m["used"].items():
            if k in SECRET_KEYS:
                text = text.replace(v, " ")
        text = text.replace(" ".join(PUB_IBAN[i:i + 4] for i in range(0, len(PUB_IBAN), 4)), " ")
        ibans = [x.group(0) for x in IBAN_RE.finditer(text)]
        cards = [x.group(0) for x in CARD_RE.finditer(text)]
        bsns = [x.group(0) for x in BSN_RE.finditer(text)]
        ok_i = [iban_valid(x) for x in ibans]
        ok_c = [luhn_ok(x) for x in cards]
        ok_b = [bsn_ok(x) for x in bsns]
        if cats:
            if not all(ok_i + ok_c + ok_b):
                errs.append(f"{where}: look-alike failing its checksum inside a positive: {ibans} {cards} {bsns}")
            if any(ok_i + ok_c + ok_b) and "leak.pii" not in cats:
                errs.append(f"{where}: valid identifier but no leak.pii")
        else:
            if any(ok_i + ok_c + ok_b):
                errs.append(f"{where}: checksum-valid identifier inside a benign post: {ibans} {cards} {bsns}")
        if m["strong"] != any(ok_i + ok_c + ok_b):
            errs.append(f"{where}: strong-PII flag disagrees with text {ibans} {cards} {bsns}")
        if m["strong"] and "leak.pii" not in cats:
            errs.append(f"{where}: strong PII without leak.pii")
        # secrets
        toks_gh = GH_RE.findall(p["text"])
        toks_aws = AKIA_RE.findall(p["text"])
        toks_jwt = JWT_RE.findall(p["text"])
        if "leak.secret" in cats:
            if not (m["used"].keys() & SECRET_KEYS) and "wachtwoord" not in p["text"] and "ｗａｃｈｔｗｏｏｒｄ" not in p["text"]:
                errs.append(f"{where}: secret positive without a credential")
            for t in toks_gh:
                if not gh_valid(t):
                    errs.append(f"{where}: GitHub token fails CRC")
            for t in toks_jwt:
                if not jwt_valid(t):
                    errs.append(f"{where}: JWT header lacks alg")
            for t in toks_aws:
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", t):
                    errs.append(f"{where}: AWS key id alphabet")
        else:
            if m["used"].keys() & SECRET_KEYS:
                errs.append(f"{where}: generated secret in a non-secret case")
            if any(gh_valid(t) for t in toks_gh) or toks_jwt:
                errs.append(f"{where}: live-looking token in a non-secret case")
            if any(not t.endswith("EXAMPLE") for t in toks_aws):
                errs.append(f"{where}: AWS key id in a non-secret case")
        # embargo windows
        low = p["text"].lower()
        for term, until in embargo:
            if term in low and ts is not None:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{where}: embargoed term '{term}' before until but not confidential")
                if ts >= until and cats:
                    errs.append(f"{where}: embargo term after until in a positive (check label)")
    # mix
    n = len(lines)
    benign = sum(1 for x in lines if not x["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"total {n} not in 170..180")
    if not 55 <= benign <= 65:
        errs.append(f"benign {benign} not about 60")
    return errs


def main():
    lines, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for x in lines:
            fh.write(json.dumps(x, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(s) for s in fh]
    errs = check(reread, meta)
    counts = {}
    for x in reread:
        for cat in x["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    langs = {}
    roles = {}
    for x, m in zip(reread, meta):
        langs[x["post"]["lang"]] = langs.get(x["post"]["lang"], 0) + 1
        if x["expect"]["categories"]:
            roles[m["role"]] = roles.get(m["role"], 0) + 1
    benign = sum(1 for x in reread if not x["expect"]["categories"])
    print(f"{len(reread)} cases, {benign} benign; langs {langs}; positive authors {roles}")
    for k in sorted(counts):
        print(f"  {k:22s} {counts[k]}")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
