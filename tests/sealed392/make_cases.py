#!/usr/bin/env python3
"""Build the sealed evaluation set 392 for postwatch (company: Vlonder Klasinrichting B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN, card and BSN in a leak.pii post passes its checksum, every look-alike
    elsewhere fails it (the company's own published IBAN excepted);
  * secrets are built like the real ones (GitHub CRC-32, AWS alphabet, JWT header ...);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
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
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(392_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


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


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(first[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            return first + str(last)


def broken(num, ok):
    """A look-alike: change the last digit until the checksum fails."""
    for c in "1357924680":
        cand = num[:-1] + c
        if cand != num and not ok(cand):
            return cand
    raise AssertionError


def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- secrets
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
           + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(300)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GHP1 = github_token("ghp_")
GHS1 = github_token("ghs_")
AKIA1 = "AKIA" + rs(B32, 16)
AWSSEC1 = rs(B64, 40)
XOXB1 = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13), rs(ALNUM, 24))
OPENAI1 = "sk-proj-" + rs(URLSAFE, 58) + "T3BlbkFJ" + rs(URLSAFE, 58)
ANTHROPIC1 = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
STRIPE1 = "sk_live_51" + rs(ALNUM, 97)
GOOGLE1 = "AIza" + rs(URLSAFE, 35)
DBPW1 = rs(string.ascii_letters + string.digits, 18)
JWT1 = make_jwt({"sub": "school-4471", "name": "OBS De Klimop", "scope": "orders:write",
                 "iat": 1780300800, "exp": 1780387200})
SSHKEY1 = openssh_key()
# zero-width evasion inside a Stripe key
STRIPE1_ZW = STRIPE1[:14] + "\u200b" + STRIPE1[14:40] + "\u200c" + STRIPE1[40:]

# ---------------------------------------------------------------- personal data
IBAN_V1 = make_iban("INGB")
IBAN_V2 = make_iban("ABNA")
IBAN_BAD1 = broken(make_iban("RABO"), iban_ok)
IBAN_BAD2 = broken(make_iban("TRIO"), iban_ok)
CARD_V1 = make_card("4")
CARD_V2 = make_card("5")
CARD_BAD1 = broken(make_card("5"), luhn_ok)
CARD_BAD2 = broken(make_card("4"), luhn_ok)
BSN_V1 = make_bsn()
BSN_V2 = make_bsn()
BSN_BAD1 = broken(make_bsn(), bsn_ok)


def mobile():
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))


M1, M2, M3, M4 = mobile(), mobile(), mobile(), mobile()
LAND1 = "".join(rng.choice(string.digits) for _ in range(6))

# ---------------------------------------------------------------- cases
C, CF, P, CR, S, K, A, PR, F = ("reputation.complaint", "leak.confidential", "leak.pii",
                                "reputation.crisis", "leak.security", "leak.secret",
                                "reputation.abuse", "leak.pricing", "leak.financial")

CASES = []


def case(lang, platform, handle, text, cats=(), kind=None, at=None, allow_low_price=False):
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text, cats=list(cats),
                      kind=kind, at=at, allow_low_price=allow_low_price))


# ======================= BENIGN (hard negatives mostly) =======================
case("nl", "x", "@juf_ingrid",
     "Nieuwe Tandem duotafels in groep 6 en de kids zijn er blij mee 😍 eindelijk geen wiebelende tafels meer. Dank @vlonder_nl!")
case("en", "instagram", "@vlonder.klas",
     "Back to school! 🎒 This week only: 20% off the Wiebelkruk — €71,20 instead of €89. Link in bio. #backtoschool #classroom")
case("nl", "facebook", "VlonderKlasinrichting",
     "Vragen over je bestelling? Mail klantenservice@vlonder.nl of bel 0800-8356 (ma–vr 8:00–17:30). We helpen je graag!")
case("nl", "x", "@ict_coord_emma",
     "Weet iemand of de Laadkar 32 van Vlonder ook Chromebooks van 14 inch past? Wij twijfelen nog tussen die en een ander merk")
case("en", "linkedin", "vlonder-klasinrichting",
     "We're hiring! 🔧 Vlonder is looking for field installers in the Randstad and Noord-Brabant. Own van, fixed hours, lots of school holidays 😉 Apply via werkenbij@vlonder.nl")
case("en", "x", "@facility_rob",
     "Another school furniture maker in Germany just recalled a batch of stacking chairs. Checked ours straight away — they're Vlonder and passed the annual inspection last month. Phew.")
case("en", "x", "@papa_van_3",
     "My son reckons the Wiebelkruk should be banned because he wobbles on it so happily he can't hear his teacher anymore 😂")
case("nl", "x", "@meester_jorrit",
     "Update: kast kwam beschadigd binnen maar @vlonder_helpt heeft binnen 2 dagen een nieuwe gestuurd en de oude meegenomen. Zo hoort service te zijn, klacht ingetrokken 👍")
case("en", "reddit", "u/k12_sysadmin",
     "If you're backing up your classroom display configs to S3, put the creds in env vars, not the script. e.g. AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE (that's the one from the AWS docs, not a real key obviously)")
case("nl", "mastodon", "@kdewit@mastodon.nl",
     "Tip voor collega-sysadmins: zet nooit een token in een ticket. Zie je iets als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in een log langskomen: meteen intrekken en roteren.")
case("nl", "x", "@conciergeharm",
     f"Ticket gesloten, referentie {group4(CARD_BAD1)} — de ontbrekende schroeven zijn vandaag binnengekomen. Bedankt Vlonder!")
case("nl", "facebook", "OuderraadDeRegenboog",
     f"Sponsorloop groep 8 🏃 Bijdragen mogen naar {group4(IBAN_BAD1)} t.n.v. Ouderraad De Regenboog. De opbrengst gaat naar nieuwe zitzakken voor de bieb!")
case("nl", "x", "@leerling_tim12",
     "mijn leerlingnummer is 123456789 hoe log ik in op dat vlonder portaal voor de kluisjes?? ik snap er niks van")
case("nl", "x", "@onderwijsbeurs_nl",
     "Jaarcijfers 2026 van Vlonder staan online: omzet +4%, nette groei in een lastige markt. Knap gedaan.",
     at="2027-03-04T09:31:00Z")
case("nl", "instagram", "@vlonder.klas",
     "Hij is er! 🎉 De Kijkdoos 98: ons grootste touchscreen ooit, vanaf vandaag te bestellen via vlonder.nl. #kijkdoos98 #digibord",
     at="2027-01-19T10:05:00Z")
case("en", "youtube", "@ClassroomGearReviews",
     "Sprint Pro review after two weeks in a Year 5 classroom: battery lasts the whole day, motor is quieter than the old Sprint desk. Recommended.",
     kind="comment", at="2027-02-11T16:20:00Z")
case("nl", "x", "@oud_directeur_obs",
     "Gecondoleerd aan iedereen bij Vlonder met het overlijden van oprichter Henk Terpstra. Hij heeft onze school in '98 nog zelf ingericht, met de schroevendraaier in zijn borstzak. Sterkte.")
case("nl", "linkedin", "facilitair-manager-noordwest",
     "Geen klachten, alleen maar lof: de monteurs van Vlonder waren in drie uur klaar met vier lokalen en hebben alles netjes opgeruimd.")
case("nl", "x", "@juf_marieke",
     "Ontruimingsoefening vandaag, alle kinderen in 4 minuten buiten 🚨 Die nieuwe Bolder stoelen zijn gelukkig licht zat om snel opzij te schuiven.")
case("nl", "forum", "schoolleider_gert",
     "Bolder stapelstoel €69 per stuk, bij 30+ stuks staffelkorting. Prima prijs voor wat je krijgt, zitten al 3 jaar op dezelfde stoelen.")
case("en", "x", "@scienceteacher_ak",
     "The Kijkdoos 86 is pricey at €4,299 but honestly worth it for our science wing. Colours are great even with the blinds open.")
case("nl", "facebook", "VlonderKlasinrichting",
     "☀️ Zomeractie: de Boekentrap nu €284,25 in plaats van €379 (25% korting). Alleen t/m 31 juli.")
case("nl", "x", "@budgetjuf",
     "Kapstokken voor de gang gekocht bij de bouwmarkt, werken ook prima hoor. Hoef echt geen Duo kapstok van €149 per stuk, ook al is die mooier. (Kostte me €12 per haakrek 😅)",
     allow_low_price=True)
case("nl", "x", "@vlonder_nl",
     "Persvragen over de opening van ons nieuwe distributiecentrum? Mail pers@vlonder.nl of bel +31 58 303 4400.")
case("nl", "facebook", "VlonderKlasinrichting",
     "Betalen op factuur? Maak het bedrag over naar NL93 RABO 0314 1592 65 t.n.v. Vlonder Klasinrichting B.V. o.v.v. je factuurnummer. Dank je wel!")
case("nl", "instagram", "@juf_anouk_groep7",
     "Escape room gemaakt in de klas met de Rolwand als puzzelbord 🔐 het eindwachtwoord was 'krijtje' en ze hadden het in 11 minuten. Topochtend!")
case("en", "linkedin", "ict-coordinator-stichting-rivierland",
     "Just attended a Vlonder webinar on classroom display security. TL;DR patch your Kijkdoos boards to firmware 4.2 (released in March, see their public advisory) and change the default admin PIN.")
case("nl", "x", "@meester_sander",
     "Storing bij de NS, halve klas kwam te laat. Gelukkig stond het lokaal al klaar dankzij de nieuwe inrichting van Vlonder 🙃")
case("en", "linkedin", "edtech-weekly",
     "Sad to see another edtech company cut 200 jobs this week. Hope everyone lands well. (Not Vlonder, before anyone asks — they're hiring installers.)")
case("nl", "linkedin", "brancheblad-onderwijsinrichting",
     "Overname in de kantoormeubelbranche: twee Duitse spelers gaan samen. Benieuwd of dat ook de schoolmarkt raakt, waar Vlonder en een handvol regionale partijen de dienst uitmaken.")
case("nl", "linkedin", "vlonder-klasinrichting",
     "Vlonder publiceert de halfjaarresultaten: omzet €48,2 mln, een stijging van 3% ten opzichte van vorig jaar. Het volledige persbericht staat op vlonder.nl/pers.")
case("en", "instagram", "@miss_okafor_teaches",
     "Obsessed with the mint green Flex chairs this year 🔥🔥 my classroom finally looks like Pinterest")
case("en", "x", "@ib_juf_sas",
     "Honestly the Wiebelkruk is the bomb for our fidgety kids (in a good way!!). So much calmer in class since we got them.")
case("en", "x", "@mr_dlamini",
     "My Year 8s called the new lab tables 'sick as hell' which is apparently a compliment now 😂 #teacherlife")
case("en", "reddit", "u/schooldev_nl",
     "Debugging the Vlonder order API login. Token starts with eyJhbGciOi… (cut it off, not posting the whole thing obviously). Anyone know how long they stay valid?")
case("nl", "instagram", "@jeroen.monteert",
     "Vandaag 14 lokalen ingericht in Leeuwarden met deze toppers 💪 Trots op deze club. #montage #vlonder")
case("en", "linkedin", "ruud-terpstra-vlonder",
     "Proud to have presented our public 2026 roadmap at the EduTech fair in Utrecht today. Slides are on vlonder.nl/events for those who missed it.")
case("en", "x", "@teacher_wellness",
     "Is the Vlonder Sprint sit-stand desk any good for teachers with back problems? Thinking of asking our head for one.")
case("nl", "x", "@hvdlinden_ob",
     "@vlonder_helpt ik had vorige week naar klantenservice@vlonder.nl gemaild over een offerte voor 3 lokalen, geen haast hoor, wilde even checken of het goed is aangekomen")
case("nl", "x", "@conciergeharm",
     "Tip aan collega-conciërges: bel gewoon 058 303 4400 als je iets met Vlonder moet regelen, daar nemen ze tenminste direct op.")
case("en", "x", "@ms_hughes_ict",
     "Vlonder support told me to 'turn the display off and on again'. Reader, it worked. Sometimes the boring advice is the right one 😅")
case("nl", "x", "@onderwijsblogger",
     "#lerarentekort is de echte crisis in het onderwijs, niet of je stoelen nou van Vlonder of van een ander komen.")
case("nl", "x", "@vogelaar_fryslan",
     "Honderden kraanvogels boven het Fochteloërveen vanochtend, wat een geluid! 🐦 Vroeg opstaan meer dan waard.")
case("nl", "x", "@juf_dorien",
     "Om 8:25 gaat de schoolbel en dan moet alles klaarstaan. Sinds we de Bergplaats kasten van Vlonder hebben scheelt dat me elke ochtend 10 minuten zoeken.")
case("nl", "instagram", "@rekenjuf_lies",
     "Zandlopers op elke tafel in de rekenhoek ⏳ de kinderen doen wedstrijdjes wie de som af heeft voor het zand op is.")
case("en", "x", "@head_of_year9",
     "Reminder to staff: pupil data is confidential — internal use only. Please don't post screenshots of class lists in the parents' group, however proud you are of the new Vlonder classroom.")
case("en", "x", "@dad_of_twins",
     "Total recall: I still remember every chair from my own primary school and none of them were as comfy as the Vlonder ones my kids have now.")
case("nl", "x", "@vlonder_helpt",
     "@ouder_van3 Wat vervelend dat de levering later is! Stuur je ordernummer even via DM, dan zoeken we het meteen uit. ^Marloes")
case("en", "x", "@vlonder_nl",
     "Safety first: all our chairs and stools are tested to EN 1729-2 by an independent lab. Questions about certificates? offertes@vlonder.nl")
case("nl", "forum", "basisschool_de_horizon",
     "Wat kost zo'n Kijkdoos 75 eigenlijk? Zag €3.499 op de site, best pittig voor een basisschool met 6 groepen.")
case("en", "x", "@new_teacher_jess",
     "Teacher discount gets you 15% off the Sprint desk, so €551.65 instead of €649. Not bad for something I'll stand at all day.")
case("nl", "linkedin", "inkoop-scholengroep-oost",
     "Lab practicumtafel €1.349 per stuk, via de raamovereenkomst kregen we 10% korting. Levering keurig binnen de afgesproken week.")
case("nl", "instagram", "@akoestiek_annemiek",
     "Het 'geheim' van een rustige klas? Goede akoestiek. De Stiltescherm panelen van Vlonder doen echt wonderen voor de nagalm.")
case("en", "x", "@bhoekstra_dev",
     "Ran our yearly phishing drill today and 94% of colleagues reported the fake mail within an hour. Proud of this team 💪 #security")
case("nl", "x", "@vlonder_nl",
     "Storing opgelost ✅ Het bestelportaal is weer bereikbaar. Sorry voor het ongemak vanochtend, bestellingen van vandaag worden gewoon op tijd geleverd.")
case("en", "x", "@governor_paula",
     "Data breach at a big gym chain again. Meanwhile our school's supplier Vlonder sent a clear, short privacy statement within a day when we asked. Respect.")
case("en", "x", "@moeder_van_fenna",
     "My daughter (8) asked whether her teacher lives in the big Vlonder cupboard at weekends 😂")
case("en", "x", "@wiskundemeester",
     "Tiktak wandklok, €49, and it genuinely doesn't tick. First exam week in years without that clicking in the background.")
case("en", "x", "@ict_brabant",
     f"Heads-up: phishing mail going round 'from Vlonder' asking schools to pay to {IBAN_BAD2}. That IBAN isn't theirs (it's not even a valid number). Real one is on vlonder.nl.")
case("nl", "x", "@administratie_obs",
     f"Collega vroeg of {BSN_BAD1} een BSN was. Nee hoor, dat is ons klantnummer bij Vlonder, staat op elke factuur 🙃")
case("en", "facebook", "ParentsOfStMarys",
     f"Someone asked if the number on the back of the Vlonder gift card is a credit card: {group4(CARD_BAD2, '-')} — no, it's just the voucher code, doesn't work in shops.")

# =============================== COMPLAINTS ===============================
case("nl", "x", "@meester_bas",
     "Schooljaar begint maandag en de helft van onze Tandem duotafels is nog steeds niet geleverd. 3x gebeld, 3x 'volgende week'. @vlonder_helpt wat is dit nou??", [C])
case("en", "x", "@ms_vandenberg",
     "Ordered 30 Flex chairs from Vlonder, 6 arrived with cracked seat shells. Sent photos two weeks ago, still no reply. Not impressed.", [C])
case("nl", "facebook", "Conciërge Peter Bosma",
     "Monteurs hebben de lockerkast scheef opgehangen en zijn vertrokken met al het karton nog in de gang. Mocht ik alles opruimen. Bedankt hoor Vlonder.", [C], kind="comment")
case("en", "reddit", "u/smartboard_sufferer",
     "Anyone else's Kijkdoos 86 losing touch calibration every other day? Vlonder support keeps saying 'firmware update coming'. It's been three months.", [C])
case("en", "x", "@adm_kbs_zonnewijzer",
     "Vlonder invoice wrong AGAIN, shipping charged twice 🙄 third time this year. does anyone over there check anything?", [C])
case("en", "instagram", "@directeur_obs_tweemaster",
     "nice pics and all but our order has been 'processing' for 5 wks and nobody picks up at your customer service", [C], kind="comment")
case("en", "linkedin", "facilities-lead-hanze-scholen",
     "Honest feedback for Vlonder: the Laadkar 32 looks great, but the castors jammed within a month on our tiled corridors. For €1,799 I expect better.", [C])
case("en", "x", "@gymjuf_kim",
     "lol the Wiebelkruk we got wobbles… in the wrong direction. leg came off after 2 weeks #quality #not", [C])
case("en", "x", "@office_mgr_dave",
     "@vlonder_helpt waited on hold for 47 minutes this morning. 47. Then got cut off. Great start to the week.", [C])
case("nl", "forum", "ib_er_wouter",
     "Wij hebben bij Vlonder 12 Sprint bureaus besteld, verkeerde kleur geleverd (grijs ipv eiken). Retour moet op eigen kosten?? Serieus? Dat is toch jullie fout", [C])
case("en", "x", "@caretaker_mick",
     "The Boekentrap assembly manual skips steps 4 to 7. Two teachers and a caretaker spent their afternoon guessing. Come on Vlonder.", [C])
case("en", "youtube", "@juf_en_meester_vlog",
     "In your video the Sprint desk goes up in 10 sec. Ours takes 40 and squeaks the whole way up. Not as advertised, sorry.", [C], kind="comment")
# first-hand harm: complaint + crisis
case("nl", "x", "@juf_esther_g5",
     "Onze Vlonder Laadkar begon vanochtend te roken in het lokaal, stekkerdoos helemaal gesmolten. Klas moeten ontruimen, brandweer is geweest. Dit had heel anders kunnen aflopen en Vlonder reageert nog steeds niet.", [C, CR])
case("en", "facebook", "Sarah Whitfield",
     "My son's finger got crushed in the door of a Vlonder locker cabinet at school today, three stitches. Nobody warned anyone these doors slam shut like that. Furious.", [C, CR])
case("nl", "x", "@meester_ruben",
     "Kreeg een flinke schok van de Kijkdoos 75 toen ik de hdmi kabel insteekte. Hele middag een tintelende hand. @vlonder_helpt dit is echt niet oké", [C, CR])
case("en", "x", "@deputy_head_lena",
     "Bolder stacking chair collapsed under me in the middle of a staff meeting. Bruised tailbone, ego destroyed. You sell these to schools??", [C, CR])
case("nl", "facebook", "Juf Yvonne Hermans",
     "Sinds de nieuwe Vlonder tafels er staan hebben 4 kinderen in mijn klas hoofdpijn en branderige ogen, ik zelf ook. Die laklucht is niet normaal. Iemand anders dit ook??", [C, CR])
# complaint + abuse
case("nl", "x", "@boze_directeur",
     "Vlonder stelletje prutsers. 8 weken wachten op kastjes en dan komen ze kapot binnen. Kankerbedrijf.", [C, A])
case("en", "x", "@fedup_bursar",
     "Fuck you @vlonder_helpt, seriously. Third 'we'll call you back' this week. Useless bunch of clowns.", [C, A])

# =============================== CRISIS ===============================
case("nl", "x", "@nieuws_fryslan",
     "Volgens de Leeuwarder Courant onderzoekt de NVWA of de Wiebelkruk van Vlonder kantelgevaar heeft, na meldingen van drie basisscholen.", [CR])
case("en", "x", "@zwolle_local",
     "Parents at a primary school in Zwolle say a Vlonder charging cart caught fire overnight. No one hurt. Fire service is investigating the cause.", [CR])
case("nl", "x", "@bosactie_nl",
     "#BoycotVlonder — hun hout komt uit illegale kap in Roemenië, zie de reportage van gisteravond. Scholen: koop ergens anders! 🌲🪓", [CR])
case("en", "linkedin", "edu-legal-news",
     "A group of 14 school boards has filed a lawsuit against Vlonder Klasinrichting over the defective Kijkdoos displays delivered in 2025. First hearing set for autumn.", [CR])
case("nl", "x", "@adm_cbs_talent",
     "Hebben ze bij Vlonder een datalek gehad? Ik krijg ineens phishingmails met ons bestelnummer én de naam van onze school erin. Dat kan toch niet toevallig zijn.", [CR])
case("en", "reddit", "u/primary_it_guy",
     "Is Vlonder quietly recalling the Bolder stacking chairs? Our school got a letter asking us to take them out of use 'as a precaution'. Nothing on their website yet.", [CR])
case("nl", "x", "@ouderalmere",
     "Schandalig. Een juf in Almere heeft een hersenschudding nadat een Vlonder rolwand op haar viel. Moeder van een leerling deelde het vanavond in de groepsapp.", [CR])
case("en", "x", "@tvkijker_kees",
     "Dutch investigative TV tonight on Vlonder: formaldehyde in the desk tops way above the legal limit. Our kids sit at those 6 hours a day 🤢", [CR])
case("en", "x", "@green_parents_uk",
     "\u0412l\u043end\u0435r sells toxic desks to kids and lies about it. #boycott them, share this", [CR])
case("nl", "x", "@vakbond_watch",
     "Oud-monteurs van Vlonder klappen uit de school: ze moesten alleen op hoge ladders werken, zonder valbeveiliging. Vakbond overweegt een rechtszaak.", [CR])

# =============================== ABUSE ===============================
case("en", "x", "@angry_ptA_mom",
     "@marloes_vlonder you're the dumbest marketing person I've ever seen. do everyone a favour and delete your account", [A])
case("nl", "x", "@klant_uit_joure",
     "Die monteur van Vlonder, Jeroen, wat een arrogante lul. Hoop dat je een keer van je ladder donderd.", [A])
case("nl", "tiktok", "@xx_daan_xx",
     "v10nd3r = k4nk3rz00i, allemaal 0pl1cht3rs en l4ff3 mongolen daar", [A], kind="comment")
case("en", "x", "@vent_account_77",
     "Vlonder staff are a bunch of lazy idiots. Who even hires these people", [A])
case("nl", "facebook", "Henk de Groot",
     "Stuurt Vlonder ons wéér zo'n buitenlandse monteur die geen woord Nederlands spreekt. Ga lekker terug naar je eigen land man.", [A], kind="comment")
case("nl", "x", "@lotte_ontwerpt",
     "@design_critic_99 jij hebt echt geen flauw benul, sukkel. Ga lekker zelf een stoel tekenen 🙄", [A])
case("nl", "tiktok", "@vlonderklas",
     "@flexhater2 als je zo dom bent om een stoel achterstevoren te monteren ligt het echt niet aan ons hoor 🤷‍♀️ leren lezen misschien?", [A], kind="comment")
case("en", "x", "@zoomer_takes",
     "imagine working at Vlonder lmao. couldn't be me. bunch of losers selling chairs to 6 year olds", [A])
case("nl", "x", "@gefrustreerde_ib",
     "V.l.o.n.d.e.r. is een t.y.f.u.s.b.e.d.r.i.j.f en iedereen die daar werkt mag wat mij betreft de k.l.e.r.e.n krijgen", [A])
case("en", "x", "@sysadmin_rage",
     "hey @bhoekstra_dev nice job breaking the order portal again, you absolute moron", [A])

# =============================== PRICING ===============================
case("nl", "instagram", "@vlonder.klas",
     "FLASH SALE ⚡ Kijkdoos 86 voor maar €429! Alleen vandaag, op=op. #vlonder #digibord", [PR])
case("nl", "x", "@vlonder_nl",
     "Let op: de Laadkar 32 staat op onze site voor €179,90. Dat is een prijsfout, bestellingen tegen die prijs worden geannuleerd. Excuses!", [PR])
case("nl", "x", "@dealjager_frits",
     "LOL Vlonder webshop heeft het Sprint bureau op €64,90 staan 🏃🏃 snel bestellen voor ze het zien", [PR])
case("en", "reddit", "u/frugal_headteacher",
     "PSA: Vlonder's site lists the Lab practicumtafel at €134.90 right now. Obviously a missing zero. Order before they notice?", [PR])
case("nl", "linkedin", "ruud-terpstra-vlonder",
     "Exclusief voor onze trouwe scholen 🎓 Atlas docententafel nu €249 (normaal €749). Stuur me een DM, op is op!", [PR])
case("en", "x", "@penningmeester_obs",
     "price error at vlonder?? lockerkast 12-vaks for 89 euro, normally almost 900. anyone know if they actually deliver at that price?", [PR])
case("en", "facebook", "Tom Brennan",
     "Got 20 Flex chairs at €11.90 each from Vlonder's outlet page 😳 is this legit or a glitch??", [PR])
case("nl", "threads", "@yusuf.planning",
     "Collega's: de Projectorlift staat in het bestelportaal voor €119 ipv €1199, wie kan dat fixen voordat de scholen het zien 😬", [PR])
case("en", "tiktok", "@vlonderklas",
     "Mega weekend deal 🎉 Stiltescherm acoustic panel only €23.90! Make your classroom quiet for less 🤫", [PR])
case("nl", "forum", "ict_meester_jan",
     "Iemand nog gebruik kunnen maken van de prijsfout op de Vlonder Boekentrap? €37,90 ipv €379. Mijn order staat nog steeds open…", [PR])
case("nl", "x", "@koopjesjuf",
     "\uff2b\uff49\uff4a\uff4b\uff44\uff4f\uff4f\uff53 \uff17\uff15 voor €\uff13\uff14\uff19 bij Vlonder 😱😱 wie heeft er nog budget over", [PR])
case("en", "x", "@bargain_bursar",
     "Vlonder price glitch on the Tandem duotafel — showing €28.90. My school's buying 40 lmao", [PR])

# =============================== FINANCIAL ===============================
case("nl", "bluesky", "@sietske-vl.bsky.social",
     "Net de Q3-cijfers dichtgeklikt. Omzet 11% onder budget, Ruud gaat niet blij zijn. Publicatie pas over drie weken dus 🤐", [F])
case("en", "linkedin", "ruud-terpstra-vlonder",
     "Big news coming 🚀 We're in the final round of talks to acquire a Belgian classroom AV supplier. Can't share the name yet, signing planned for November.", [F])
case("nl", "linkedin", "anouk-dijkman",
     "Zwaar gesprek gehad vandaag. In het voorjaar verdwijnen er bij ons 60 banen in Sneek en de mensen op de vloer weten het nog niet. Vind het moeilijk.", [F])
case("en", "x", "@zwager_van_wim",
     "My brother-in-law works at Vlonder and says they're being bought by a Swedish furniture group. Announcement after the summer, apparently.", [F])
case("nl", "mastodon", "@kdewit@mastodon.nl",
     "Operatie Schoolbel = de sluiting van de fabriek in Heerenveen, nu weten jullie het. Productie gaat naar Polen. Ik ben er klaar mee.", [F, CF])
case("nl", "x", "@marloes_vlonder",
     "jaarcijfers 2026 zien er echt slecht uit zeg, 3,4 mln verlies. benieuwd hoe we dat in maart gaan verkopen 😬", [F, CF],
     at="2026-12-15T21:12:00Z")
case("en", "linkedin", "vlonder-klasinrichting",
     "DRAFT — do not publish: Vlonder FY2026 results. Revenue €96.1m, EBITDA €7.8m, guidance for 2027 lowered to flat growth.", [F, CF],
     at="2027-02-20T08:45:00Z")
case("en", "x", "@supplier_insider",
     "Hearing from a supplier that Vlonder is about to issue a profit warning. Orders down 20% since they lost the big tenders. If you hold their bonds…", [F])
case("nl", "threads", "@yusuf.planning",
     "Planning 2027 gezien: 2 van onze 4 distributiecentra gaan dicht. Reorganisatie wordt in februari pas aangekondigd, dus mondje dicht 🤫", [F])
case("en", "x", "@bhoekstra_dev",
     "forecast slides from today's all-hands: 2027 revenue target cut from €110m to €92m. oof.", [F])
case("en", "linkedin", "anouk-dijkman",
     "We're quietly preparing a voluntary redundancy scheme for ~40 office staff. If you're at Vlonder and thinking about leaving, maybe wait a few weeks 😉", [F])
case("nl", "reddit", "u/onderwijs_inkoper",
     "Kreeg van een accountmanager te horen dat Vlonder die Waalse concurrent overneemt, deal rond vóór 1 januari. Staat nog nergens in het nieuws.", [F])

# =============================== CONFIDENTIAL ===============================
case("nl", "x", "@lotte_ontwerpt",
     "Eerste prototypes van Project Zandloper binnen!! Mag nog niks laten zien maar wat worden die kleuterstoeltjes mooi 😍", [CF])
case("nl", "instagram", "@jeroen.monteert",
     "Testopstelling van de Kijkdoos 98 vandaag in de showroom gebouwd, dat scherm is echt gigantisch 🤯", [CF],
     at="2026-11-20T15:40:00Z")
case("en", "linkedin", "ruud-terpstra-vlonder",
     "Sneak peek for our key accounts: the Sprint Pro with a built-in battery pack, launching in January. Pricing under NDA for now, ask me in person.", [CF],
     at="2026-10-14T09:02:00Z")
case("nl", "x", "@bhoekstra_dev",
     "wie heeft er nog toegang tot https://wiki.vlonder-intern.nl/display/IT/Releaseplanning ? link geeft bij mij 404 sinds de migratie", [CF])
case("nl", "facebook", "VlonderKlasinrichting",
     "VERTROUWELIJK - ALLEEN INTERN: prijslijst scholenkoepels 2027, kortingspercentages per koepel staan in de bijlage.", [CF])
case("en", "x", "@schoolbestuurder_ed",
     "Interesting, someone at Vlonder forwarded me a deck by mistake: 'Kraanvogel — modular classrooms for new builds'. Looks pretty cool tbh.", [CF])
case("en", "mastodon", "@kdewit@mastodon.nl",
     "Anyone know how to get nested LDAP groups to sync into erp.vlonder.local? Vendor docs are useless.", [CF])
case("en", "x", "@marloes_vlonder",
     "Vlonder internal only: Q1 campaign calendar → Kraanvogel teaser goes live on 3 Feb. Don't share pls", [CF])
case("en", "reddit", "u/it_lead_scholengroep",
     "Got an NDA deck from Vlonder about their 'Project Zandloper' kindergarten range. Not supposed to share but it's basically IKEA colours with a better warranty.", [CF])
case("nl", "threads", "@yusuf.planning",
     "Project Zand\u200bloper gaat in maart in productie, eerste 5000 stoeltjes ingepland in week 11 💪", [CF])
case("nl", "bluesky", "@sietske-vl.bsky.social",
     "Wie zit er vanmiddag bij de meeting over de Kraanvogel business case? Agenda staat op jira.vlonder-intern.nl", [CF])
case("nl", "youtube", "@VlonderKlasTV",
     "Preview: onze nieuwe Kijkdoos 98 in actie 🎬 (niet extern delen tot de lancering!)", [CF],
     at="2026-12-01T11:00:00Z")
case("en", "x", "@edtech_gossip",
     "A friend at Vlonder showed me the Sprint Pro early. Battery lasts a whole school day apparently. Launch is next week.", [CF],
     at="2027-01-12T18:30:00Z")
case("nl", "linkedin", "anouk-dijkman",
     "Collega's: nieuwe interne vacatures komen voortaan eerst op intranet.vlonder.local/vacatures te staan, kijk daar even!", [CF])
case("nl", "x", "@vlonder_nl",
     "\uff2e\uff29\uff25\uff34 \uff25\uff38\uff34\uff25\uff32\uff2e \uff24\uff25\uff2c\uff25\uff2e — concept-offerte inrichting Stichting Primo, versie 3, zie bijlage", [CF])

# =============================== SECURITY ===============================
case("nl", "mastodon", "@kdewit@mastodon.nl",
     "Lange nacht. Ransomware op de fileserver in Sneek, alle productietekeningen versleuteld. Klanten weten nog van niks, morgen misschien een persbericht.", [S])
case("en", "x", "@bhoekstra_dev",
     "fun fact: our order portal has had an IDOR since March — change the number in the URL and you see other schools' orders. ticket's been open for weeks 🙃", [S])
case("nl", "threads", "@yusuf.planning",
     "Bestelportaal ligt al sinds 6 uur plat, monteurs kunnen geen werkbonnen ophalen. Officieel heet het 'gepland onderhoud' haha", [S])
case("en", "x", "@pentest_pim",
     "Pentested a school furniture supplier's webshop this week (Vlonder — they'll fix it, I hope): admin panel reachable without login at /beheer. Wild.", [S])
case("en", "linkedin", "ruud-terpstra-vlonder",
     "Heads up to my school contacts: if you got a strange invoice email from us yesterday, don't pay it. Our mail server was compromised on Monday and IT is still cleaning up.", [S])
case("en", "bluesky", "@sietske-vl.bsky.social",
     "Accounting's been offline for 3 days because our ERP vendor got hacked. Invoices are piling up and none of this is public yet…", [S])
case("nl", "x", "@bhoekstra_dev",
     "vpn.vlonder-intern.nl draait nog op een FortiOS versie met die bekende RCE, al 2 maanden niet gepatcht. iemand??", [S, CF])
case("en", "mastodon", "@kdewit@mastodon.nl",
     "Our Kijkdoos firmware update server is serving unsigned images. Reported internally, no fix yet. If you run these boards, turn off auto-update for now.", [S])
case("nl", "x", "@vlonder_helpt",
     "@juf_sanne klopt, sorry! Door een storing in ons magazijnsysteem kunnen we sinds dinsdag niks uitleveren. We houden het nog even stil tot het opgelost is.", [S])
case("nl", "x", "@ex_vlonder_dev",
     "Heb tot vorige maand bij Vlonder gewerkt: de klantendatabase staat gewoon open op internet, zonder wachtwoord. Gemeld, niks mee gedaan. Scholen, wees gewaarschuwd.", [S, CR])
case("en", "x", "@lotte_ontwerpt",
     "designers can't open anything on the NAS since the breach on Friday 😩 IT says 'no comment' even to us", [S])
case("nl", "instagram", "@jeroen.monteert",
     "Montageplanning-app al 2 dagen dood, we rijden rond op papieren lijstjes 📋 merkt buiten de zaak natuurlijk niemand", [S])
case("en", "threads", "@yusuf.planning",
     "someone got into jira.vlonder-intern.nl with a leaked password last week. security team tickets say customer files might be exposed. nobody's told the schools yet", [S, CF])

# =============================== SECRETS ===============================
case("nl", "x", "@bhoekstra_dev",
     f"iemand die weet waarom dit een 403 geeft?? `git clone https://{GHP1}@github.com/vlonder-dev/bestelportaal.git`", [K])
case("en", "mastodon", "@kdewit@mastodon.nl",
     f"aws config for the nightly backup job, note to self:\nAWS_ACCESS_KEY_ID={AKIA1}\nAWS_SECRET_ACCESS_KEY={AWSSEC1}\nregion eu-central-1", [K])
case("nl", "threads", "@yusuf.planning",
     "Voor de nieuwe monteurs: inlog planning-app is je personeelsnummer, wachtwoord: Vl0nder#Montage26 (met hoofdletter V). Na eerste keer zelf wijzigen!", [K])
case("en", "reddit", "u/school_it_ouwehand",
     f"Our inventory sync with the Vlonder portal keeps failing, here's my .env, what am I doing wrong?\nDATABASE_URL=postgres://school_sync:{DBPW1}@db.ouwehand-ict.nl:5432/inventory", [K])
case("en", "x", "@bhoekstra_dev",
     f"release bot for Slack finally works 🎉 token if anyone wants to try it: {XOXB1}", [K])
case("nl", "x", "@lotte_ontwerpt",
     f"oeps copy-paste fout, dit moest in 1Password 🙈 {OPENAI1}", [K])
case("nl", "mastodon", "@kdewit@mastodon.nl",
     f"waarom accepteert de deploy-server deze niet?\n{SSHKEY1}", [K])
case("en", "reddit", "u/schooldev_nl",
     f"Getting 401 from the Vlonder order API with this token, is it already expired?\nAuthorization: Bearer {JWT1}", [K])
case("nl", "bluesky", "@sietske-vl.bsky.social",
     f"Stripe key voor de factuurmodule, voor Bart: {STRIPE1_ZW}", [K])
case("nl", "threads", "@yusuf.planning",
     f"Maps key voor de routeplanner van de monteurs: {GOOGLE1} (niet delen buiten team logistiek)", [K])
case("en", "linkedin", "ruud-terpstra-vlonder",
     f"Our devs are amazing 🙌 look at this CI log they showed me: 'Checking out vlonder-dev/offertetool using token {GHS1} ... done in 3.2s'", [K])
case("en", "x", "@marloes_vlonder",
     f"for the copy generator script, ping me if it stops working: ANTHROPIC_API_KEY={ANTHROPIC1}", [K])

# =============================== PERSONAL DATA ===============================
case("nl", "x", "@vlonder_helpt",
     f"@ouder_van3 We hebben je gebeld op 06-{M1[1:]} maar kregen geen gehoor. Mevrouw De Boer, Kerkstraat 14 in Drachten klopt nog als afleveradres?", [P])
case("nl", "x", "@j_visser_obs",
     f"@vlonder_helpt terugbetaling nog steeds niet ontvangen!! Nogmaals mijn rekening: {group4(IBAN_V1)} t.n.v. J. Visser. Hoe vaak nog?", [P, C])
case("nl", "linkedin", "anouk-dijkman",
     "Welkom aan onze nieuwe collega Priya Raman, geboren 12 maart 1994 in Utrecht en vanaf maandag onze nieuwe inkoper! 🎉", [P])
case("nl", "instagram", "@jeroen.monteert",
     f"Klant belde: 'graag vóór 8 uur leveren'. Mevrouw Hendriks, Dorpsstraat 7, 8601 AB Sneek, 0515-{LAND1}. Gelukt hoor 😂 om 7:45 stonden we er", [P])
case("en", "x", "@st_jozef_admin",
     f"Please someone at Vlonder call me back, my number is +31 6 {M2[1:5]} {M2[5:]}. It's about the locker order for St. Jozef school.", [P])
case("nl", "bluesky", "@sietske-vl.bsky.social",
     f"Argh, creditcard van de directeur in de expense tool laten staan: {group4(CARD_V1)} exp 09/28. Moet ik dit melden??", [P])
case("nl", "facebook", "VlonderKlasinrichting",
     f"Hoi Sandra, we hebben de terugbetaling vandaag gestort op {IBAN_V2}, moet binnen 2 werkdagen zichtbaar zijn. Fijne dag!", [P], kind="reply")
case("nl", "x", "@marloes_vlonder",
     f"Waarom vraagt dit aanbestedingsformulier het BSN van de contactpersoon?? Heb die van Bart maar ingevuld: {BSN_V1}", [P])
case("nl", "x", "@moeder_van_sem",
     f"Mijn BSN is {BSN_V2[:4]}.{BSN_V2[4:6]}.{BSN_V2[6:]} — dat vroeg die medewerker van Vlonder aan de telefoon 'voor de garantie'?! Is dat normaal??", [P, C])
case("en", "x", "@k_dewinter_teach",
     "@vlonder_helpt you have my email wrong on the order, it's k.dewinter.school@gmail.com not the hotmail one", [P])
case("nl", "threads", "@yusuf.planning",
     f"Route morgen: 1) fam. El Idrissi, Beukenlaan 23 Heerenveen 2) meester Jansen, Schoolstraat 2 Joure, tel 06 {M3[1:3]} {M3[3:5]} {M3[5:7]} {M3[7:]}. Start 7:00!", [P])
case("en", "tiktok", "@vlonderklas",
     "Happy birthday Thijs van der Meer from Sneek! Our youngest fan turns 7 today (born 4 June 2019) 🎂🎈", [P])
case("en", "x", "@angry_parent_rita",
     f"Vlonder charged my card twice for the same kleuterzitzak?? Here's the full number so you can check: {group4(CARD_V2, '-')}. Fix it.", [P, C])
case("nl", "x", "@juf_postma",
     "@vlonder_helpt mailen lukt niet via jullie formulier, stuur de offerte maar naar j.postma[at]ziggo[dot]nl of bel 06–" + f"{M4[1:]}", [P])
case("nl", "linkedin", "ruud-terpstra-vlonder",
     f"Voor wie de contactpersoon bij Stichting Primo zoekt: Ellen Kramer, e.kramer@stichtingprimo.nl, 06-{M1[1:5]}{M4[5:]}. Zeg maar dat ik je stuur.", [P])


# ---------------------------------------------------------------- roles & severity
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


ORDER = ["none", "info", "warning", "error", "critical"]


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, raw, valid, public) for every IBAN-, card- and BSN-shaped token."""
    t = normalise(text)
    out = []
    for m in IBAN_RE.finditer(t):
        raw = m.group(0)
        out.append(("iban", raw, iban_ok(raw), re.sub(r"\s", "", raw) in PUBLIC_IBANS))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(0), luhn_ok(m.group(0)), False))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0)), False))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    internal = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not internal:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii" and any(v and not pub for _, _, v, pub in identifiers(text)):
                up("critical")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if internal else "warning")
    return sev


# ---------------------------------------------------------------- build
def rand_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 355 * 86400))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows, ids = [], set()
    for c in CASES:
        while True:
            pid = "%s-%d" % (c["platform"], rng.randint(10**9, 10**10 - 1))
            if pid not in ids:
                ids.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"],
                "created_at": c["at"] or rand_time(), "brand": "vlonder"}
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        cats = sorted(set(c["cats"]))
        rows.append({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, c["text"])}})
    return rows


# ---------------------------------------------------------------- checks
VALID_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}


def parse_eur(s):
    s = s.strip()
    m = re.fullmatch(r"(\d+)(?:([.,])(\d+))?(?:([.,])(\d+))?", s)
    if not m:
        return None
    if m.group(4):  # 1.349,00
        return float(m.group(1) + m.group(3) + "." + m.group(5))
    if m.group(2):
        if len(m.group(3)) == 3:
            return float(m.group(1) + m.group(3))
        return float(m.group(1) + "." + m.group(3))
    return float(m.group(1))


def prices(text):
    t = normalise(text)
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*\d|\d)", t):
        out.append(parse_eur(m.group(1)))
    for m in re.finditer(r"(\d[\d.,]*)\s?euro", t, re.I):
        out.append(parse_eur(m.group(1)))
    return [p for p in out if p is not None]


def products_in(text):
    t = normalise(text).lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", t):
                found.append(p)
                break
    return found


def check(rows):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    codenames = PROFILE["internal"]["codenames"]
    markers = PROFILE["internal"]["markers"]
    idomains = PROFILE["internal"]["domains"]
    embargo = [(e["terms"], e["until"]) for e in PROFILE["embargo"]]
    assert iban_ok(PROFILE["public_identifiers"]["ibans"][0])
    for i, (row, c) in enumerate(zip(rows, CASES)):
        post, exp = row["post"], row["expect"]
        tag = f"case {i} ({post['id']})"
        # --- CONTRACT section 6 shape
        if set(row) != {"post", "expect"}:
            errs.append(f"{tag}: top-level keys")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                errs.append(f"{tag}: missing {f}")
        if not (1 <= len(post["id"]) <= 256) or post["id"] in ids:
            errs.append(f"{tag}: bad/duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            errs.append(f"{tag}: platform")
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(f"{tag}: kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append(f"{tag}: handle")
        if len(post["text"].encode("utf-8")) > 65536:
            errs.append(f"{tag}: too long")
        try:
            ts = datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            errs.append(f"{tag}: created_at")
            continue
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 3):
            errs.append(f"{tag}: created_at out of range")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= VALID_CATS:
            errs.append(f"{tag}: categories")
        if exp["severity"] not in ORDER:
            errs.append(f"{tag}: severity")
        if not cats and exp["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            errs.append(f"{tag}: positive with low severity")
        text = post["text"]
        norm = normalise(text)
        low = norm.lower()
        # --- checksummed identifiers
        for kind, raw, valid, pub in identifiers(text):
            if pub:
                continue
            if P in cats and not valid:
                errs.append(f"{tag}: {kind} {raw} in a pii positive fails its checksum")
            if P not in cats and valid:
                errs.append(f"{tag}: {kind} {raw} in a non-pii post passes its checksum")
        # --- secrets
        toks = re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", norm)
        for tok in toks:
            if (K in cats) != github_token_ok(tok):
                errs.append(f"{tag}: github token validity does not match label")
        for ak in re.findall(r"\bAKIA[0-9A-Z]{16}\b", norm):
            if K in cats and (ak.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", ak)):
                errs.append(f"{tag}: bad AWS key in positive")
            if K not in cats and not ak.endswith("EXAMPLE"):
                errs.append(f"{tag}: live-looking AWS key in negative")
        for jwt in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", norm):
            head = json.loads(base64.urlsafe_b64decode(jwt.split(".")[0] + "=="))
            if "alg" not in head or K not in cats:
                errs.append(f"{tag}: JWT")
        if K in cats:
            secret_res = [r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"xox[bap]-\d+-\d+-\w+",
                          r"sk-proj-[\w-]{100,}", r"sk-ant-api03-[\w-]{90,}", r"sk_live_\w{24,}",
                          r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.[\w-]+\.[\w-]+",
                          r"\w+://[^:\s/]+:[^@\s]+@", r"wachtwoord:\s*\S+"]
            if not any(re.search(r, norm) for r in secret_res):
                errs.append(f"{tag}: secret positive without a recognisable credential")
            if re.search(r"x{8,}|EXAMPLE|\*{4,}", norm):
                errs.append(f"{tag}: secret positive contains a sample/redacted key")
        # --- confidential consistency
        hits = [cn for cn in codenames if re.search(r"(?<!\w)" + re.escape(cn.lower()) + r"(?!\w)", low)]
        hits += [mk for mk in markers if mk in low]
        hits += [d for d in idomains if d in low]
        for terms, until in embargo:
            u = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            for term in terms:
                if re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", low) and ts < u:
                    hits.append(term)
        if hits and CF not in cats:
            errs.append(f"{tag}: confidential terms {hits} without leak.confidential")
        # --- pricing consistency
        prods = products_in(text)
        low_price = any(p < ratio * pr["list_price"] for p in prices(text) for pr in prods)
        talk = re.search(r"prijsfout|price (error|glitch)|glitch|missing zero", low)
        if PR in cats and not (prods and (low_price or talk)):
            errs.append(f"{tag}: pricing positive without product + low price/price error")
        if PR not in cats and low_price and not c["allow_low_price"]:
            errs.append(f"{tag}: low price without leak.pricing")
        # --- own contact data only in benign is fine; crisis+complaint coupling sanity
        if exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), text):
            errs.append(f"{tag}: severity mismatch")
    # --- mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not (170 <= n <= 180):
        errs.append(f"{n} cases, want 170-180")
    if not (55 <= benign <= 65):
        errs.append(f"{benign} benign, want ~60")
    nl = sum(1 for c in CASES if c["lang"] == "nl")
    if not (0.50 <= nl / n <= 0.60):
        errs.append(f"Dutch share {nl / n:.2f}")
    return errs


def main():
    rows = build()
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert reread == rows
    errs = check(reread)
    from collections import Counter
    cnt = Counter(c for r in rows for c in r["expect"]["categories"])
    roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    nl = sum(1 for c in CASES if c["lang"] == "nl")
    print(f"{len(rows)} cases, {benign} benign, nl {nl}/{len(rows)}; roles {dict(roles)}")
    for k, v in sorted(cnt.items()):
        print(f"  {k:22s} {v}")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
