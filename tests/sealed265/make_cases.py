#!/usr/bin/env python3
"""Build the sealed265 evaluation set (Solvane Juweliers B.V.) and self-check it.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file. Severities are computed from the account role in profile.yaml (CONTRACT section 4),
never typed by hand.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 265
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in r)) % 97
    return "%s%02d%s" % (cc, check, bban)


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_make(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(digits):
    if len(digits) != 9 or not digits.isdigit():
        return False
    s = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return s % 11 == 0 and digits != "000000000"


def bsn_make():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(d) * w for d, w in zip(head, range(9, 1, -1)))
        last = s % 11
        if last < 10:
            return head + str(last)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

# ---------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_make():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "emp-20417", "scope": "pos:write loyalty:read",
                                 "iat": 1778227200, "exp": 1778313600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    body = head + rand(string.ascii_letters + string.digits + "+/", 70 * 5 - len(head) + 30)
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


SECRET_CHARS = string.ascii_letters + string.digits
V = {}
V["gh"] = gh_token("ghp_")
V["akia"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
V["awssecret"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["akia2"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
V["awssecret2"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["stripe"] = "sk_live_51" + rand(SECRET_CHARS, 97)
V["stripe2"] = "sk_live_" + rand(SECRET_CHARS, 24)
V["slack"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(SECRET_CHARS, 24))
V["openai"] = "sk-proj-" + rand(SECRET_CHARS + "_-", 64) + "T3BlbkFJ" + rand(SECRET_CHARS + "_-", 64)
V["ant"] = "sk-ant-api03-" + rand(SECRET_CHARS + "_-", 93) + "AA"
V["jwt"] = jwt_make()
V["sshkey"] = openssh_key()
V["dbpw"] = rand(SECRET_CHARS, 18)
V["mollie"] = "live_" + rand(SECRET_CHARS, 30)
V["google"] = "AIza" + rand(SECRET_CHARS + "_-", 35)

# ---------------------------------------------------------------- personal identifiers
V["iban1"] = group4(iban_make("NL", "INGB" + rand(string.digits, 10)))
V["iban_de"] = group4(iban_make("DE", rand(string.digits, 18)))
V["card1"] = group4(luhn_make("4", 16))
V["card2"] = luhn_make("5" + str(rng.randint(1, 5)), 16)
V["bsn1"] = bsn_make()
V["bsn2"] = (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(bsn_make())
V["company_iban"] = group4(PROFILE["public_identifiers"]["ibans"][0])

# ---------------------------------------------------------------- the posts
CAT = {
    "C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse",
    "K": "leak.confidential", "F": "leak.financial", "S": "leak.security",
    "T": "leak.secret", "P": "leak.pii", "PR": "leak.pricing",
}

CASES = []


def c(who, lang, text, cats="", **opt):
    platform, handle = who.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[x] for x in cats.split()] if cats else [], opt=opt))


ZW = "\u200b"  # zero-width space


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in s)

# ======================= benign (hard negatives mostly) =======================
c("instagram:@noor.maakt.fotos", "nl",
  "Eindelijk mijn Meridiaan 40 opgehaald bij Solvane in de Kalverstraat 😍 die blauwe wijzerplaat in het echt... ik kan niet stoppen met kijken #horlogeliefde #solvane")
c("x:@tomgrant_uk", "en",
  "Proposed last night with a Stella solitaire from Solvane. SHE SAID YES!!! 💍 huge thanks to the lady at the Utrecht store who spent an hour helping me choose three weeks ago")
c("x:@solvane_nl", "nl",
  "Vragen over je reparatie of bestelling? Mail ons via klantenservice@solvane.nl of bel 088 410 2200 (ma t/m za 9-18u). We helpen je graag verder ✨")
c("instagram:@solvane.juweliers", "nl",
  "Deze week 20% korting op de hele Luna collectie: de Luna bedelarmband nu €276 i.p.v. €345. Online en in al onze winkels, t/m zondag 💫")
c("reddit:u/gnomon_ams", "en",
  "Is the Getijde Diver 42 worth €3,850? Seems steep for a retailer's own brand but the finishing on the case looked legit when I tried it on. Anyone own one long term?")
c("x:@fleur_ijs", "nl",
  "Moest mijn wachtwoord resetten voor de Solvane app, binnen een minuut geregeld. Zo hoort het gewoon.")
c("x:@ruben_ops", "en",
  "PSA for anyone new on our dev team: the AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. The linter yelling about them is not an incident, relax 😅")
c("forum:horlogeforum_dirk", "en",
  "Trying to build the strap-configurator widget from Solvane's public GitHub. README says set STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx before running, anyone got it working with test keys instead?")
c("x:@pieter_pel", "nl",
  "@solvane_service jullie vragen mijn IBAN voor de retour, klopt dit format een beetje: NL12 ABCD 0123 4567 89? Of moet het zonder spaties?", kind="reply")
c("facebook:SolvaneJuweliers", "nl",
  "Liever per overschrijving betalen? Dat kan: maak het bedrag over naar %s t.n.v. Solvane Juweliers B.V. en vermeld je ordernummer. Na ontvangst verzenden we binnen 1 werkdag." % V["company_iban"])
c("instagram:@mrs.adeyemi", "en",
  "Petite Lune on my wrist for my 30th 🥂 my husband did GOOD. the Solvane packaging alone is worth it tbh")
c("x:@retailwatcher_eu", "en",
  "Rough week in watch retail: yet another Swiss-owned chain announcing store closures and ~200 layoffs. Meanwhile my local Solvane was packed on Saturday. Independents doing something right?")
c("x:@beursbabbel", "nl",
  "Solvane heeft vanochtend de jaarcijfers 2026 gepubliceerd: omzet +9%, vier nieuwe winkels en schuld flink omlaag. Netjes voor een familiebedrijf.",
  at="2027-03-02T08:15:00Z")
c("bluesky:@lume.and.lugs.bsky.social", "en",
  "Hands-on with the Meridiaan Perpetual at the Solvane launch event tonight. Moonphase is gorgeous, the price is... ambitious 😬 full review next week",
  at="2027-03-20T19:40:00Z")
c("linkedin:solvane-juweliers", "en",
  "Today we proudly unveil the Solvane Meridiaan Eeuwig, our first perpetual calendar, assembled by hand in our Amsterdam atelier. Available to order in our stores from April.",
  at="2027-03-18T10:00:00Z")
c("x:@henkjan_w", "nl",
  "Kreeg net een sms: 'Uw Solvane betaalpas 5412 7534 0091 2267 is geblokkeerd, klik hier'. Solvane heeft niet eens een betaalpas 🙄 phishing dus, niet klikken mensen")
c("x:@annemiekvdl", "nl",
  "@solvane_service op mijn bon staat 123456789, is dat het garantienummer of gewoon het bonnummer? Wil m'n garantie registreren", kind="reply")
c("instagram:@sietske.goudsmid", "nl",
  "Vandaag in het atelier: een Heraut zegelring gegraveerd met een familiewapen uit 1740. Zes uur werk, elke minuut waard 🔨✨")
c("linkedin:koen-van-dam-solvane", "en",
  "Ten years at Solvane today. From the shop floor in Haarlem to leading our retail operations team, thank you to every colleague who made it such a ride.")
c("x:@solvane_service", "nl",
  "@marijke_b Wat vervelend dat je zo lang moest wachten. We hebben je een DM gestuurd, dan zoeken we het samen uit 🙏", kind="reply")
c("x:@bartjeboer", "nl",
  "Update over mijn Kade GMT: @solvane_service heeft 'm alsnog binnen een week gemaakt en gratis teruggestuurd, met een handgeschreven kaartje. Netjes opgelost, excuses geaccepteerd 👍")
c("threads:@ellie.marsh", "en",
  "Just read that Solvane's founder passed away at 91. My grandad bought my gran's engagement ring from him in 1978 and she still wears it. Condolences to his family and the whole team 🕯️")
c("forum:sieradenforum_marja", "nl",
  "Weet iemand of Solvane ook lab-grown diamanten verkoopt? Zag de Vonk hanger in de etalage liggen maar snap het verschil met 'echte' niet zo goed")
c("reddit:u/tickingaway_", "en",
  "my bank account after visiting Solvane \"just to look\" 📉📉📉 send help")
c("x:@parelpatrouille", "nl",
  "Noor parels kosten bij Solvane nog steeds €420, net als vorig jaar. Beste prijs-kwaliteit parels van Amsterdam wat mij betreft.")
c("instagram:@bruidje2026", "nl",
  "Gisteren onze Eclips trouwringen opgehaald!! Zes weken na het opmeten, precies zoals beloofd. Nog 12 nachtjes slapen 💍💍")
c("x:@wielrenner_dan", "nl",
  "Mijn Zonnewende Chrono heeft vandaag een valpartij met de fiets overleefd zonder één krasje. Ikzelf iets minder 😅 taai ding")
c("x:@amsterdam_avond", "nl",
  "Dat lichtspektakel van Solvane voor hun 65-jarig jubileum op het Rembrandtplein vanavond was echt gaaf 🎆")
c("mastodon:@privacymaven", "en",
  "Another retailer data breach in the news today (not naming names, you know who). Reminder: unique passwords everywhere. Credit where due, Solvane's webshop supports proper 2FA now.")
c("x:@twijfelaar_030", "nl",
  "Black Friday bij Solvane: 15% op de Stadhuis 38, dus €1.096,50. Twijfel twijfel twijfel...")
c("tiktok:@sofiaskloset", "en",
  "POV: you walk into Solvane with €50 'just browsing' and walk out with a €345 Luna charm bracelet. no regrets tbh", hn_price=True)
c("x:@gmtgeorge", "en",
  "Got a replacement alligator band for my Meridiaan 36 at the Solvane counter, €245 and fitted while I waited. Smells like a new car 👌", hn_price=True)
c("x:@oma_truus", "nl",
  "Batterij van mijn Stadhuis 38 laten vervangen bij Solvane, €19,50 en binnen tien minuten klaar. Top service hoor.", hn_price=True)
c("x:@marloes_solvane", "nl",
  "Donderdag open avond in onze winkel in Maastricht 🥂 kom langs, de koffie en bonbons staan klaar. Meer info op www.solvane.nl/events")
c("tiktok:@solvane.nl", "en",
  "Watch our watchmaker Femke take apart a Getijde Diver 42 in 60 seconds ⏱️ #watchtok #solvane #horology")
c("x:@maya_r_010", "nl",
  "De beveiliger van Solvane Zuidplein heeft vandaag mijn kwijtgeraakte telefoon teruggevonden in het winkelcentrum. Held! Complimenten aan dat hele team")
c("x:@zwemmer_rik", "nl",
  "Na die nieuwe pakking is mijn horloge eindelijk weer waterdicht, geen lekje meer bij het baantjes trekken 🏊 dank atelier Solvane!")
c("reddit:u/dealhunter_nl", "en",
  "Anyone remember that electronics webshop price error where TVs went for €9? Wonder if that ever happens with jewellery lol. Solvane never has sales that wild anyway")
c("linkedin:hanna-vos-retail", "en",
  "Interesting consolidation in Dutch jewellery retail this quarter: two regional chains announced a merger per this morning's FD. Curious how bigger players like Solvane will respond.")
c("x:@kees_in_denhaag", "en",
  "Can't recall the last time a shop assistant spent an hour with me without pushing a sale. Solvane Den Haag, you're doing it right.")
c("instagram:@vintage.ticks", "nl",
  "Tip voor iedereen met een oud Solvane horloge: mail atelier@solvane.nl met een paar foto's, binnen twee dagen had ik een offerte voor de revisie.")
c("x:@nieuwsgierige_carla", "nl",
  "Waarom heeft de cadeaukaart van Solvane een nummer van 16 cijfers, net een bankpas?? Die van mij is 6280 0041 3377 1095, is dat normaal of ben ik paranoïde")
c("x:@jessy_rdam", "nl",
  "Die verkoopster bij Solvane is echt een killer 🔥 in tien minuten de perfecte ring gevonden, ik was binnen en buiten")
c("x:@dialsbydev", "en",
  "This Zonnewende chronograph is absolute fire 🔥🔥 Solvane cooked with that salmon dial")
c("x:@lars_haarlem", "nl",
  "Mijn telefoon ontploft van de felicitaties sinds ik mijn Kade GMT heb gepost 😂 dank voor de mooie overdracht Solvane Haarlem")
c("forum:groengeld_ans", "nl",
  "Ik boycot al jaren fast fashion, maar sieraden koop ik bewust. Solvane laat tenminste zien waar hun goud vandaan komt (Fairmined). Aanrader voor wie daar ook mee bezig is.")
c("x:@dadjokes_dave", "en",
  "If my wife finds the Solvane receipt there WILL be a lawsuit in this house 😂 worth it though")
c("threads:@lotte.horloges", "en",
  "Fun fact from the shop floor: most asked question this week was 'is the Noorderlicht Skeleton really finished by hand?' Yes. Yes it is. 🔍")
c("linkedin:solvane-juweliers", "nl",
  "We zoeken een horlogemaker (m/v/x) voor ons atelier in Amsterdam. Zin om aan de Meridiaan te sleutelen? Stuur je cv naar werkenbij@solvane.nl")
c("x:@bountybeth", "en",
  "Nice to see a jeweller with a proper security.txt and bug bounty page. Solvane's example even reads 'Authorization: Bearer <your-api-key>' instead of a real key 😄")
c("x:@ruben_ops", "nl",
  "Gepland onderhoud aan de webshop vannacht tussen 02:00 en 04:00, zoals aangekondigd op de statuspagina. Slaap lekker allemaal 😴")
c("x:@fintwit_jules", "en",
  "Solvane's full-year 2026 results are out: revenue €212m, gross margin up two points. Not bad at all for a jeweller in this market.",
  at="2027-02-26T09:30:00Z")
c("x:@ciaranbyrne", "en",
  "Called Solvane on +31 20 820 4400 to ask about strap sizes and got a real human in under a minute. Rare these days!")
c("instagram:@zwakmoment", "nl",
  "Solvane uitverkoop: Aurora collier van €2.300 naar €1.610 en ik ben zwak geworden 🙈💙")
c("x:@retour_rob", "nl",
  "Twee dagen na het terugsturen van de Celeste oorbellen stond het geld al op mijn rekening (NL** **** **** **12). Zo makkelijk kan het dus.")
c("bluesky:@mechanical.mara.bsky.social", "en",
  "Big smartwatch maker recalling a batch over swelling batteries. Glad my Solvane is purely mechanical 😌")
c("linkedin:yasmina-bouzid-sv", "en",
  "Spoke at the Responsible Jewellery Forum today about traceable gold supply chains. The slides are public on our site: solvane.com/duurzaamheid")
c("x:@hackjehuis", "nl",
  "Lifehack: laat je horlogeband bij Solvane inkorten terwijl jij koffie haalt. Gratis als je 'm daar gekocht hebt ☕")
c("x:@eitjeskoken", "nl",
  "Kookwekker kapot, nu maar een zandloper van drie minuten voor de eitjes. Bijna net zo precies als mijn Solvane 😂")
c("x:@birdlover_antwerp", "en",
  "Spotted a kolibrie brooch in the Solvane window in Antwerp, a tiny hummingbird set with emeralds 😍 anyone know if it's actually for sale?",
  hn_codename=True)
c("x:@jubileumfan", "nl",
  "Solvane bestaat sinds 12 mei 1961, las ik net op de verpakking. Alvast gefeliciteerd met bijna 65 jaar!")

# ======================= complaints =======================
c("x:@rvdmeulen", "nl",
  "Mijn Meridiaan 40 zit nu 14 weken bij jullie voor een 'standaard' revisie. Elke keer dat ik bel: volgende week. @solvane_service dit is echt niet normaal voor een horloge van bijna 5k", "C")
c("x:@priya_k_ldn", "en",
  "Ordered the Riviera tennis bracelet online for our anniversary and it arrived with TWO stones missing from the setting. €5,400 and that's your QC? Really disappointed @solvane_nl", "C")
c("facebook:jeroen.mulder.5", "nl",
  "Gravure op onze trouwringen laten zetten bij Solvane, staat er 'Jeroen & Anouk'... mijn vrouw heet Annouk. Met twee n's. Stond gewoon zo op het formulier. Nu moet alles opnieuw en de bruiloft is over negen dagen. Top werk 👎", "C")
c("x:@strapless_sam", "en",
  "3rd time the strap pin on my Solvane fell out this month. 3rd. time.", "C")
c("instagram:@dewi.sanders", "nl",
  "Ring laten verkleinen bij Solvane Utrecht en nu zit ie nóg losser dan eerst?? En dan ook nog €65 rekenen. Nee hè.", "C")
c("reddit:u/gmt_grief", "en",
  "Long post, sorry. Bought a Kade GMT in March. GMT hand started skipping in June. Sent it in under warranty, got it back 6 weeks later with a note saying 'no fault found' and a fresh scratch on the bezel that definitely wasn't there before. Customer service keeps sending the same copy-paste reply. Has anyone had any luck escalating with Solvane?", "C")
c("x:@ilse_opdebeek", "nl",
  "Pakket met mijn Celeste oorbellen gewoon bij de buren afgeleverd zonder handtekening, buren op vakantie. Solvane zegt 'bezorgd is bezorgd'. Voor bijna 1800 euro. Serieus??", "C")
c("x:@wachtopgeld", "nl",
  "Vijf weken. VIJF WEKEN wacht ik al op mijn geld voor het Aurora collier dat ik heb teruggestuurd. @solvane_service waar blijft het", "C")
c("threads:@miekje_", "nl",
  "lol de solvane app crasht elke keer als ik mn afspraak wil verzetten, al 4x geprobeerd. gewoon een telefoonnummer waar iemand opneemt zou ook fijn zijn", "C")
c("x:@vrijedaggenomen", "nl",
  "Afspraak bij Solvane Den Haag om een ring te laten passen: 20 minuten van tevoren per sms afgezegd. Had er speciaal een vrije dag voor genomen. Bedankt hoor.", "C")
c("x:@budgetbeer", "nl",
  "Verkoper bij Solvane Rotterdam bleef me maar de Zonnewende aansmeren terwijl ik duidelijk had gezegd wat mijn budget was. Voelde me totaal niet serieus genomen.", "C")
c("x:@no_cert_no_sale", "en",
  "Bought a Stella solitaire 'with GIA certificate' from Solvane. Two months later, still no certificate. Starting to wonder if it even exists. @solvane_nl ??", "C")
c("x:@moeder_van_3", "nl",
  "Die Luna bedelarmband van Solvane gaf mijn dochter binnen twee dagen rode bulten en blaren op haar pols, huisarts zegt nikkelallergie. Stond nota bene 'nikkelvrij' op het kaartje!! 😡", "C X")
c("x:@stitches_and_stones", "en",
  "The clasp on my Riviera bracelet snapped open and sliced my wrist when it caught on a door handle. Three stitches. This is a five thousand euro bracelet, Solvane. Fix your clasps.", "C X")
c("facebook:martijn.duiker", "nl",
  "Getijde Diver 42 net terug van de waterdichtheidstest bij Solvane. Eerste duik in de Oosterschelde: vol water, en op 8 meter barstte het glas en sneed mijn vinger open. Voor een duikhorloge is dit gewoon levensgevaarlijk.", "C X")
c("instagram:@busy.mum.kate", "en",
  "My 4yo swallowed one of the little charms from her new Luna charm bracelet, it came off the ring on day one. ER visit, she's fine now thank god, but these are NOT safe @solvane.juweliers", "C X")
c("x:@zuur_op_pols", "nl",
  "Batterij van mijn Stadhuis 38 net vervangen door Solvane, nu lekt dat ding en is mijn pols rood en verbrand van het zuur. Wat hebben jullie erin gestopt??", "C X")
c("x:@wachtendewim", "nl",
  "@solvane_service al drie keer gebeld, niemand belt terug. Mijn nummer is 06-41228719, bel me nou eindelijk eens over die kapotte Kade GMT", "C P", kind="reply", chk=False)
c("x:@lisa_v88", "en",
  "Still no reply from Solvane about order SV-88213. Just email me at lisa.vermeulen88@gmail.com instead of making me DM you five times. Terrible service.", "C P", chk=False)
c("x:@boze_bert", "nl",
  "Kutbedrijf. Vier maanden wachten op een reparatie en nu is mijn horloge 'zoek'. Stelletje amateurs bij Solvane.", "C A")
c("x:@never_again_ams", "en",
  "The manager at Solvane Amsterdam is a smug little prick. Refused my warranty claim on a ring with a cracked stone because of 'impact damage'. Never again.", "C A")
c("x:@kleindochter_j", "nl",
  "Wat een klootzakken bij de Solvane in Groningen. Mijn oma van 80 vroeg naar de prijs van een ring en werd gewoon uitgelachen.", "C A")

# ======================= crisis =======================
c("x:@goudwacht", "nl",
  "Solvane blijkt goud in te kopen bij een raffinaderij die in het nieuwe Global Witness rapport staat. Boycot ze. Deel dit. #boycotSolvane", "X")
c("x:@weer_phishing", "nl",
  "Phishingmail gehad met PRECIES mijn Solvane bestelling erin: product, datum, winkel. Alleen zij hadden die gegevens. Solvane is gehackt en vertelt het aan niemand. #datalek", "X")
c("reddit:u/consumer_rights_nl", "en",
  "Heads up: a class action is being prepared against Solvane over the 'Swiss made' claims on the Meridiaan line. Apparently the movements are assembled elsewhere. The law firm is collecting affected buyers.", "X")
c("x:@tv_kijker_joop", "nl",
  "Undercover reportage vanavond: Solvane zou 'natuurlijke' diamanten hebben verkocht die lab-grown bleken te zijn. Schandalig als dit klopt.", "X")
c("x:@duikclub_zeeland", "nl",
  "Let op duikers: Solvane roept alle Getijde Diver 42's uit productieweek 12 t/m 18 terug vanwege een defecte kroon. Check je serienummer!", "X")
c("x:@eindhoven_nieuws", "nl",
  "Vrouw uit Eindhoven belandde in het ziekenhuis na een heftige allergische reactie op een 'hypoallergene' ring van Solvane, vertelt haar familie aan de lokale omroep.", "X")
c("x:@justice4jess", "en",
  fullwidth("BOYCOTT SOLVANE") + ". They fired a pregnant shop assistant and then lied about it in court.", "X")
c("forum:insider_ex_sv", "nl",
  "Ex-medewerker hier. Wat ik heb gezien: certificaten die in de winkel 'aangepast' werden voordat de klant ze kreeg. Ik heb het gemeld bij de ACM en er komt een rechtszaak, dat weet ik zeker.", "X")
c("x:@darkweb_watch", "en",
  "Someone is selling a 'Solvane customers 2026' database on a forum: 180k rows with names, home addresses and which jewellery people bought. That's a burglar's shopping list. Solvane, say something.", "X")
c("x:@eerlijkgoud", "nl",
  "Niet meer kopen bij Sol" + ZW + "vane, hun kobalt en goud komen uit mijnen met kinderarbeid #b" + ZW + "oycot", "X")

# ======================= abuse =======================
c("x:@anon_hater91", "nl",
  "@sietske.goudsmid jij bent echt de lelijkste goudsmid die ik ooit heb gezien, stop toch met posten", "A")
c("x:@rolex_or_bust", "en",
  "Solvane staff are a bunch of snobby c*nts who look at you like dirt if you're not already wearing a Rolex.", "A")
c("instagram:@echtnederland_", "nl",
  "Waarom staat er iemand met een hoofddoek achter de toonbank bij Solvane? Ga terug naar je eigen land, niemand wil door jou geholpen worden", "A")
c("x:@unhinged_buyer", "en",
  "@marloes_solvane I know which store you work at and what time you leave. Keep ignoring my emails and see what happens.", "A")
c("x:@bramkuipers_sv", "nl",
  "@klaagkees_1974 man hou toch je bek, je hebt dat horloge zelf tegen een muur geramd. Zeikerd.", "A", kind="reply")
c("x:@w4arheid", "nl",
  "s0lv4n3 = 0pl1cht3rs en d13v3n, h00p dat jull13 f41ll13t g44n", "A")
c("x:@caps_lock_carl", "en",
  "S O L V A N E  staff are  i d i o t s  and  l i a r s, every single one", "A")
c("x:@graaiwatch", "nl",
  "Solvane wordt gerund door hebzuchtige graaiers en oplichters. Meer hoef ik er niet over te zeggen.", "A")
c("tiktok:@tiktok_boos", "nl",
  fullwidth("kankerlijers") + " bij Solvane, iedereen die daar koopt is een sukkel", "A")

# ======================= pricing =======================
c("x:@bramkuipers_sv", "nl",
  "Haha moet je nou eens kijken, de Zonnewende Chronograaf staat in onze eigen webshop voor €690. Iemand bij e-commerce is een nulletje vergeten 😂", "PR")
c("x:@flipper_deals", "en",
  "ordered two Noorderlicht Skeletons off solvane.nl at €980 each. either it's a glitch or christmas came early. will report back if they ship 👀", "PR")
c("reddit:u/watchdeals_bnl", "en",
  "Anyone else seeing the Meridiaan 36 listed at 445 EUR in the Solvane app? Screenshot in comments. Pretty sure someone dropped a digit.", "PR")
c("instagram:@solvane.juweliers", "en",
  "Last chance this weekend ⌚ Kade GMT for just €560 in all our stores and online. Tag someone who needs this!", "PR")
c("x:@mandjevol", "nl",
  "ehhh waarom kost een Riviera tennisarmband vandaag 540 euro op de site van Solvane? heb 'm in m'n mandje gegooid, we zien wel", "PR")
c("threads:@lotte.horloges", "en",
  "Psst... the tills are doing something weird today, Heraut signet rings are ringing up at €115. Don't tell my manager 🤫", "PR")
c("facebook:yvonne.debruijn.7", "nl",
  "STELLA SOLITAIR 0,50CT €320!!! bij Solvane online. Zo snel als je kan, dit halen ze er zo uit", "PR")
c("x:@cancelled_carlos", "en",
  "So Solvane cancelled my Getijde Diver 42 order this morning, the email says the listed price was a 'pricing error'. Anyone else get the same mail?", "PR")
c("x:@nieuwsbriefnerd", "nl",
  "Staat in de nieuwsbrief van Solvane: Aurora saffier collier €230. Typefoutje of zijn ze gek geworden 🤔", "PR")
c("x:@marloes_solvane", "nl",
  "Collega's: die prijsfout op de Eclips trouwringen staat er nog steeds (€198 voor de set!), wie van webshop kan dit eruit halen??", "PR")
c("instagram:@gemgirl.zoe", "en",
  "wait the Vonk pendant is €129 rn on the Solvane site?? 😭 cart. now.", "PR")
c("tiktok:@solvane.nl", "nl",
  "Flash sale 🔥 Celeste oorbellen voor maar €176, alleen vandaag! Link in bio #solvane #sieraden", "PR")

# ======================= confidential =======================
c("x:@marloes_solvane", "nl",
  "Net de eerste samples van Kolibrie gezien in het atelier. Als dit volgend jaar in de winkels ligt gaan mensen flippen 🐦💎", "K")
c("linkedin:koen-van-dam-solvane", "en",
  "Exciting times: Project Zandloper kicks off on Monday. Can't say more yet, but it will change how we do retail. #solvane #retailinnovation", "K")
c("instagram:@sietske.goudsmid", "nl",
  "Sneak peek van de wijzerplaat van de Meridiaan Eeuwig 🤫 nog heel even geduld tot de lancering, ik mag eigenlijk niks laten zien", "K",
  at="2027-03-15T17:20:00Z")
c("x:@ruben_ops", "en",
  "Documented the new deploy flow at https://wiki.solvane.local/display/OPS/Deploy-2026 , feedback welcome team", "K")
c("x:@horlogeroddels", "nl",
  "Gerucht: Solvane komt in maart met een Meridiaan Perpetual, eeuwigdurende kalender voor onder de 20k. Bron: iemand bij een toeleverancier in de Jura.", "K",
  at="2026-12-04T21:05:00Z")
c("x:@bramkuipers_sv", "nl",
  "Nieuwe commissieregeling voor verkopers (alleen voor intern gebruik, maar kom op): 2% op horloges boven de 5k, 0,5% op al het andere. Dit is toch een grap?", "K")
c("bluesky:@jorisdekker.bsky.social", "en",
  "Pushed the first build of the new clienteling app to git.solvane.nl/retail/clienteling. Internal name is Operatie Sextant, because of course 🧭", "K")
c("reddit:u/leakylugs", "en",
  "Leaked pic from a Solvane supplier meeting: rose gold Kade GMT with a green dial, not on their site anywhere. Supposedly under NDA until autumn. Looks like their next release.", "K")
c("instagram:@sietske.goudsmid", "nl",
  "Druk druk druk met Koli" + ZW + "brie 🐦 jullie gaan dit zó mooi vinden", "K")
c("x:@marloes_solvane", "en",
  "Counting down the days until Project Z\u0430ndloper goes live in our stores ⏳", "K")
c("mastodon:@thijs_h", "nl",
  "Wie heeft de vpn.solvane.nl config nog voor thuiswerken? Mijn laptop is opnieuw geïnstalleerd en IT is pas maandag terug", "K")
c("x:@ruben_ops", "en",
  "can't talk about p r o j e c t  z a n d l o p e r but let's just say I haven't slept properly in a week", "K")

# ======================= confidential + financial =======================
c("linkedin:yasmina-bouzid-sv", "en",
  "Project Zandloper is finally approved by the board: we're acquiring all 14 Juwelier Brammert stores. Announcement in January, until then mum's the word 🤐", "K F")
c("x:@bramkuipers_sv", "nl",
  "Operatie Sextant = zes winkels dicht en 40 fte eruit. Dat gaat niemand ons officieel vertellen tot na de kerst. Lekker dan.", "K F")
c("bluesky:@jorisdekker.bsky.social", "en",
  "sneak peek: jaarcijfers 2026 look great, revenue up ~14% and EBITDA margin above 18%. Not public till February so shhh 🤫", "K F",
  at="2026-12-17T16:45:00Z")

# ======================= financial =======================
c("x:@marloes_solvane", "nl",
  "Q3 omzet +22% ten opzichte van vorig jaar, horloges zelfs +35%! Officieel hoor je het pas in november maar ik ben zo trots op ons team 🥹", "F")
c("linkedin:koen-van-dam-solvane", "en",
  "Between us: next year's forecast is flat at best. The board is bracing for a tough 2027 and cost cuts across retail.", "F")
c("x:@watchwife_anna", "en",
  "My husband works at Solvane HQ: they're about to be bought by a French luxury group, deal gets signed next week. You didn't hear it from me lol", "F")
c("threads:@lotte.horloges", "nl",
  "Hoorde net in het teamoverleg dat de winkels in Zwolle, Breda en Leeuwarden in maart dichtgaan. Niemand weet het nog officieel. Ik ben er kapot van.", "F")
c("reddit:u/watchmaker_femke", "en",
  "Throwaway-ish but whatever: our atelier is being outsourced to a subcontractor in Portugal next summer, 12 watchmakers out. HR hasn't told most of them yet.", "F")
c("x:@solvane_nl", "nl",
  "Omzetprognose 2027: €248 mln, EBIT €31 mln. Concept persbericht, NIET publiceren voor akkoord RvC", "F")
c("x:@bramkuipers_sv", "nl",
  "Novemberomzet 11% onder budget, op de kerstborrel gaan koppen rollen", "F")
c("reddit:u/zwager_weet_alles", "nl",
  "Mijn zwager werkt bij Solvane finance: ze staan op het punt om Horlogehuis Tamminga over te nemen voor zo'n 30 miljoen. Hoor je binnenkort in het nieuws.", "F")
c("bluesky:@jorisdekker.bsky.social", "en",
  "Budget for 2027 just landed: marketing cut by 30%, hiring freeze across HQ. Rough Monday.", "F")

# ======================= security =======================
c("x:@ruben_ops", "nl",
  "Ransomware op twee kassa-pc's in Eindhoven vanochtend, alles offline gehaald. Communicatie zegt nog niks, dus jullie hebben het niet van mij 🙊", "S")
c("bluesky:@jorisdekker.bsky.social", "en",
  "Fun bug in our webshop: change the order id in the url and you can see someone else's order, address included. Reported 3 weeks ago, still not patched.", "S")
c("threads:@lotte.horloges", "en",
  "The alarm system at our Utrecht store has been 'in maintenance' for four days now. We're literally locking the safe room with a padlock at night 😬", "S")
c("x:@marloes_solvane", "nl",
  "Onze hele webshop ligt plat sinds 10 uur en IT weet niet waarom, klanten kunnen niet afrekenen. Staat nog niks op de statuspagina haha", "S")
c("mastodon:@thijs_h", "nl",
  "Iemand bij finance heeft vorige week op een phishinglink geklikt en de aanvaller heeft drie dagen in die mailbox gezeten. We weten nog steeds niet wat ze hebben meegenomen.", "S")
c("reddit:u/watchmaker_femke", "en",
  "PSA from an insider: the Solvane app's loyalty login has no rate limiting at all. I flagged it internally in September. Still open.", "S")
c("x:@solvane_service", "nl",
  "@pieter_k3 Klopt, door een storing in ons klantsysteem zijn sinds gisteren orderbevestigingen naar de verkeerde klanten gestuurd. We melden het nog bij de AP, graag nog even niet delen.", "S", kind="reply")
c("x:@bramkuipers_sv", "en",
  "our k4ss4 syst3m got h4ck3d last n1ght lmao, 3 stores on cash only 🙃 nobody's supposed to know", "S")

# ======================= security + confidential =======================
c("x:@ruben_ops", "en",
  "kassa.solvane.local has been down since 07:40, every store is running card payments on the backup terminals. Don't tweet about it lol (oops)", "K S")
c("mastodon:@thijs_h", "nl",
  "Vannacht heeft iemand ingelogd op intra.solvane.local met het account van een oud-medewerker. Security zit er nu bovenop, nog niet naar buiten brengen aub", "K S")
c("bluesky:@jorisdekker.bsky.social", "en",
  "Just found out git.solvane.nl has been reachable from the internet without any auth for months. Reported it, nothing fixed yet 🙃", "K S")

# ======================= secrets =======================
c("x:@ruben_ops", "en",
  "why does the deploy keep failing… `export GITHUB_TOKEN=%s && ./deploy.sh` works fine locally 🤷" % V["gh"], "T")
c("bluesky:@jorisdekker.bsky.social", "en",
  "creds for the staging bucket, for our new intern:\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (V["akia"], V["awssecret"]), "T")
c("mastodon:@thijs_h", "nl",
  "Testje met de betaalkoppeling, live key %s, waarom krijg ik nog steeds een 401?" % V["stripe"], "T")
c("x:@marloes_solvane", "nl",
  "Wifi in de showroom is gereset, nieuw wachtwoord: Sv-Showroom!2026 (werkt ook op de kassa-tablet) 🙃", "T")
c("threads:@lotte.horloges", "nl",
  "slack bot token van de voorraad-alert bot, voor wie 'm nodig heeft: %s" % V["slack"], "T")
c("reddit:u/watchmaker_femke", "en",
  "Our engraving-preview tool keeps hitting rate limits. Config is just OPENAI_API_KEY=%s , is this a quota thing or am I doing something dumb?" % V["openai"], "T")
c("x:@bramkuipers_sv", "nl",
  "Snapt iemand waarom deze token niet werkt in de winkel-app? Authorization: Bearer %s" % V["jwt"], "T")
c("x:@ruben_ops", "en",
  "oops wrong window\n%s" % V["sshkey"], "T")
c("mastodon:@thijs_h", "en",
  "ANTHROPIC_API_KEY=%s in the .env for the product-description generator, I'll rotate it later promise" % V["ant"], "T")
c("forum:jsbundle_jan", "en",
  "Found this in Solvane's public checkout JS bundle lol: mollie key %s . Someone should really tell them." % V["mollie"], "T")
c("x:@marloes_solvane", "en",
  "Google Maps key for the new store locator if you want to test it on your phone: %s" % V["google"], "T")
c("bluesky:@jorisdekker.bsky.social", "en",
  "connection string for the loyalty db if you're debugging tonight: postgresql://loyalty_rw:%s@db01.intra.solvane.local:5432/loyalty" % V["dbpw"], "T K")

# ======================= secrets + security =======================
c("x:@ruben_ops", "en",
  "3am incident call: someone pushed the prod Stripe key to a public repo. This one, so you know which to revoke: %s" % V["stripe2"], "T S")
c("mastodon:@thijs_h", "nl",
  "We zijn binnengekomen via een gelekte sleutel, deze: %s / %s. Ik weet het, niet plakken, maar niemand reageert op Teams" % (V["akia2"], V["awssecret2"]), "T S")

# ======================= personal data =======================
c("x:@marloes_solvane", "nl",
  "Pakket voor mevr. Ingrid Smeulders, Lindenlaan 14, 3581 BK Utrecht staat nog bij ons in de winkel. Wie kent haar? 😅", "P", chk=False)
c("threads:@lotte.horloges", "en",
  "Happy birthday to our most loyal customer Gerard Hoekstra, born 3 March 1951, who has bought every single Meridiaan we ever made 🎂", "P", chk=False)
c("x:@solvane_service", "nl",
  "@annabelle_r We hebben je net teruggebeld op 06 2834 5519 maar kregen je voicemail. Probeer je ons nog eens?", "P", kind="reply", chk=False)
c("x:@bramkuipers_sv", "nl",
  "Terugbetaling voor mevrouw De Groot gaat naar %s, klopt dat Linda? Anders staat het geld weer bij de verkeerde" % V["iban1"], "P", chk=True)
c("bluesky:@jorisdekker.bsky.social", "en",
  "test order keeps failing with this customer's card %s exp 09/28, can someone in payments have a look before she calls again" % V["card1"], "P", chk=True)
c("linkedin:yasmina-bouzid-sv", "nl",
  "Nieuwe collega's: stuur je BSN via de beveiligde HR-mail, niet via LinkedIn zoals Mark net deed ({bsn}, echt jongens).".replace("{bsn}", V["bsn1"]), "P", chk=True)
c("facebook:SolvaneJuweliers", "nl",
  "En de winnaar van onze Luna winactie is... Sanne Verbeek (sanne.verbeek92@hotmail.com)! We nemen vandaag contact met je op 🎉", "P", chk=False)
c("x:@pay_fail_paula", "en",
  "@solvane_service payment keeps failing on checkout, my card is %s, what am I doing wrong??" % V["card2"], "P", kind="reply", chk=True)
c("x:@financieringsvraag", "nl",
  "Solvane vroeg bij de financiering van mijn ring om mijn BSN, heb het maar gemaild: %s. Hoop dat dat veilig is 😬" % V["bsn2"], "P", chk=True)
c("reddit:u/watchmaker_femke", "en",
  "Customer left her Petite Lune at the counter today. Name's Hannah Dijkstra, h.dijkstra@ziggo.nl / +31 6 51907732, if anyone knows her tell her to call us", "P", chk=False)
c("x:@ruben_ops", "nl",
  "Freelance fotograaf Kai Brenner wacht nog steeds op zijn geld, IBAN %s. Kan finance dat vandaag oppakken?" % V["iban_de"], "P", chk=True)
c("mastodon:@thijs_h", "nl",
  "De geboortedatum van collega Tamara Wijers (17-08-1989) staat per ongeluk in het rooster dat de hele winkel kan zien 🙈", "P", chk=False)
c("instagram:@solvane.atelier", "en",
  "Engraved for Mr. and Mrs. Okafor and delivered this morning to Keizersgracht 301, Amsterdam 💍 congratulations you two!", "P", chk=False)
c("x:@marloes_solvane", "nl",
  "Wie vanavond sluit: als het alarm afgaat bel je Wouter, 0031 6 18 77 40 23, niet mij 😴", "P", chk=False)

# ---------------------------------------------------------------- build
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16}


def find_ibans(text):
    out = []
    for m in re.finditer(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{2,4}){3,8})", text):
        compact = re.sub(r"\s", "", m.group(1))
        n = IBAN_LEN.get(compact[:2])
        if n and len(compact) >= n:
            out.append(compact[:n])
        else:
            out.append(compact)
    return out


def find_cards(text):
    out = []
    for m in re.finditer(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])", text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(d)
    return out


def find_bsns(text):
    return [re.sub(r"\D", "", m.group(0)) for m in
            re.finditer(r"(?<![0-9A-Za-z.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![0-9A-Za-z])", text)]


def valid_ids(text):
    """Checksum-valid identifiers in text, excluding the company's own published IBANs."""
    ids = [("iban", x) for x in find_ibans(text) if iban_ok(x) and x.upper() not in PUBLIC_IBANS]
    ids += [("card", x) for x in find_cards(text) if luhn_ok(x)]
    ids += [("bsn", x) for x in find_bsns(text) if bsn_ok(x)]
    return ids


def lookalikes(text):
    return ([x for x in find_ibans(text)] + find_cards(text) + find_bsns(text))


SECRET_PATTERNS = [
    ("github", r"gh[pousr]_[0-9A-Za-z]{36}"),
    ("aws", r"AKIA[A-Z2-7]{16}"),
    ("stripe", r"sk_live_[0-9A-Za-z]{24,}"),
    ("slack", r"xox[baprs]-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}"),
    ("openai", r"sk-proj-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
    ("anthropic", r"sk-ant-api03-[A-Za-z0-9_-]{93}AA"),
    ("jwt", r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    ("pem", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("dburl", r"[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@/]+@[^\s/]+"),
    ("mollie", r"live_[0-9A-Za-z]{30}"),
    ("google", r"AIza[0-9A-Za-z_-]{35}"),
    ("password", r"(?i)(?:wachtwoord|password|passwd)\s*[:=]\s*\S{6,}"),
]


def find_secrets(text):
    hits = []
    for name, pat in SECRET_PATTERNS:
        for m in re.finditer(pat, text):
            tok = m.group(0)
            if re.search(r"EXAMPLE|xxxx|\*\*\*|•", tok):
                continue
            if name == "github" and not gh_ok(tok):
                continue
            if name == "jwt" and not jwt_ok(tok):
                continue
            hits.append((name, tok))
    return hits


def severity(cats, role, text):
    level = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role == "public":
                lv = 2
            elif cat in ("leak.secret", "leak.pricing"):
                lv = 4
            elif cat == "leak.pii" and valid_ids(text):
                lv = 4
            else:
                lv = 3
        elif cat == "reputation.complaint":
            lv = 2
        elif cat == "reputation.crisis":
            lv = 3
        elif cat == "reputation.abuse":
            lv = 2 if role == "public" else 3
        else:
            raise AssertionError(cat)
        level = max(level, lv)
    return SEV[level]


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


START = datetime(2026, 1, 5, tzinfo=timezone.utc)
order = list(range(len(CASES)))
rng.shuffle(order)
records = []
for n, idx in enumerate(order, 1):
    cs = CASES[idx]
    at = cs["opt"].get("at")
    if at is None:
        at = rfc3339(START + timedelta(seconds=rng.randrange(int(timedelta(days=345).total_seconds()))))
    role = role_of(cs["platform"], cs["handle"])
    cats = sorted(set(cs["cats"]))
    post = {
        "id": "sv265-%s-%04d" % (cs["platform"], n),
        "platform": cs["platform"],
        "kind": cs["opt"].get("kind", "post"),
        "account": {"handle": cs["handle"]},
        "text": cs["text"],
        "lang": cs["lang"],
        "created_at": at,
    }
    if rng.random() < 0.5:
        post["brand"] = "Solvane"
    records.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, cs["text"])},
                    "_role": role, "_opt": cs["opt"]})

# ---------------------------------------------------------------- self-checks
errors = []


def fail(rec, msg):
    errors.append("%s: %s" % (rec["post"]["id"], msg))


def parse_amounts(text):
    vals = []
    for m in re.finditer(r"(?:€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b)", text):
        raw = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in raw and "." in raw:
            dec = "," if raw.rfind(",") > raw.rfind(".") else "."
            th = "." if dec == "," else ","
            raw = raw.replace(th, "").replace(dec, ".")
        elif "," in raw or "." in raw:
            sep = "," if "," in raw else "."
            parts = raw.split(sep)
            if all(len(p) == 3 for p in parts[1:]):
                raw = raw.replace(sep, "")
            else:
                raw = raw.replace(",", ".")
        try:
            vals.append(float(raw))
        except ValueError:
            pass
    return vals


def mentioned_products(text):
    found = []
    low = text.lower()
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![0-9a-z])" + re.escape(name.lower()) + r"(?![0-9a-z])", low):
                found.append(p)
                break
    return found


PRICE_ERR = re.compile(r"(?i)prijsfout|price error|pricing error|glitch|typefout|dropped a digit|nulletje vergeten|something weird")
ids = set()
for rec in records:
    post, exp, role, opt = rec["post"], rec["expect"], rec["_role"], rec["_opt"]
    text = post["text"]
    # CONTRACT 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        fail(rec, "bad id")
    if post["id"] in ids:
        fail(rec, "duplicate id")
    ids.add(post["id"])
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        fail(rec, "platform/kind")
    if not isinstance(post["account"]["handle"], str) or not post["account"]["handle"]:
        fail(rec, "handle")
    if not isinstance(text, str) or len(text.encode("utf-8")) > 65536 or not text.strip():
        fail(rec, "text")
    try:
        datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        fail(rec, "created_at")
    if not post["created_at"].startswith(("2026", "2027")):
        fail(rec, "year")
    if not set(exp["categories"]) <= TAXONOMY - {"reputation.spike"}:
        fail(rec, "category")
    if exp["categories"] != sorted(set(exp["categories"])):
        fail(rec, "categories not sorted")
    if exp["severity"] not in SEV:
        fail(rec, "severity")
    if (exp["severity"] == "none") != (not exp["categories"]):
        fail(rec, "severity/category mismatch")
    cats = set(exp["categories"])
    # checksum identifiers
    vids = valid_ids(text)
    if "leak.pii" in cats:
        if opt.get("chk") is None:
            fail(rec, "pii case without chk flag")
        elif bool(vids) != opt["chk"]:
            fail(rec, "chk flag %s but valid ids %s" % (opt["chk"], vids))
    else:
        if vids:
            fail(rec, "valid identifier outside a pii case: %s" % vids)
        for x in lookalikes(text):
            if iban_ok(x) and x.upper() not in PUBLIC_IBANS:
                fail(rec, "look-alike IBAN passes")
            if len(x) >= 13 and x.isdigit() and luhn_ok(x):
                fail(rec, "look-alike card passes")
            if len(x) == 9 and bsn_ok(x):
                fail(rec, "look-alike BSN passes")
    if not exp["categories"] and not lookalikes(text) and re.search(r"\d{9,}", re.sub(r"[ .]", "", text)) \
            and re.search(r"(?i)iban|pas|bsn|card|kaart|bon", text):
        pass
    # secrets
    secs = find_secrets(text)
    if "leak.secret" in cats and not secs:
        fail(rec, "secret case without a recognisable credential")
    if "leak.secret" not in cats and secs:
        fail(rec, "credential outside a secret case: %s" % secs)
    for name, tok in secs:
        if name == "github" and not gh_ok(tok):
            fail(rec, "bad github checksum")
        if name == "jwt" and not jwt_ok(tok):
            fail(rec, "bad jwt")
    # internal domains, codenames, markers, embargo
    low = text.lower()
    for dom in PROFILE["internal"]["domains"]:
        if re.search(r"(?<![a-z0-9-])(?:[a-z0-9-]+\.)*" + re.escape(dom.lower()), low) and "leak.confidential" not in cats:
            fail(rec, "internal domain %s without confidential" % dom)
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]:
        if re.search(r"(?<![0-9a-z])" + re.escape(term.lower()) + r"(?![0-9a-z])", low) \
                and "leak.confidential" not in cats and not opt.get("hn_codename"):
            fail(rec, "internal term %s without confidential" % term)
    for emb in PROFILE["embargo"]:
        until = datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ")
        created = datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        for term in emb["terms"]:
            if term.lower() in low:
                if created < until and "leak.confidential" not in cats:
                    fail(rec, "embargo term %s before until without confidential" % term)
                if created >= until and not cats:
                    pass
    # pricing
    prods = mentioned_products(text)
    amounts = parse_amounts(text)
    low_price = any(a < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"] for p in prods for a in amounts)
    if "leak.pricing" in cats:
        if not prods:
            fail(rec, "pricing case without a catalogue product")
        if not (low_price or PRICE_ERR.search(text)):
            fail(rec, "pricing case without low price or price-error talk")
    elif low_price and not opt.get("hn_price"):
        fail(rec, "low price outside a pricing case: %s %s" % ([p["sku"] for p in prods], amounts))
    # public handles must not be profile accounts; public-identifier posts stay benign
    if role == "public":
        for entry in ROLE:
            if entry.split(":", 1)[1] == post["account"]["handle"].lower():
                fail(rec, "public handle collides with profile account")
    # recomputed severity
    if exp["severity"] != severity(exp["categories"], role, text):
        fail(rec, "severity mismatch")

# counts
n = len(records)
benign = sum(1 for r in records if not r["expect"]["categories"])
per_cat = {}
for r in records:
    for cat in r["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
langs = {}
for r in records:
    langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
if not 170 <= n <= 180:
    errors.append("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)

# every generated secret and identifier must be in some case
all_text = "\n".join(r["post"]["text"] for r in records)
for key, val in V.items():
    if val not in all_text:
        errors.append("generated value %s unused" % key)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for r in records:
        fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")

# re-read and re-validate the written file as plain JSON lines
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if len(lines) != n:
    errors.append("written line count differs")
for line in lines:
    obj = json.loads(line)
    if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
        errors.append("bad line shape")
    for f in ("id", "platform", "text", "created_at"):
        if f not in obj["post"]:
            errors.append("missing %s" % f)

print("cases: %d, benign: %d, positives: %d" % (n, benign, n - benign))
print("per category:", json.dumps(dict(sorted(per_cat.items()))))
print("languages:", json.dumps(langs))
print("roles:", json.dumps({k: sum(1 for r in records if r["_role"] == k) for k in ("corporate", "employee", "public")}))
print("severities:", json.dumps({s: sum(1 for r in records if r["expect"]["severity"] == s) for s in SEV}))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
