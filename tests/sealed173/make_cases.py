#!/usr/bin/env python3
"""Build sealed evaluation set 173 (Oeverwoud, a fictional Dutch theme park and zoo).

Deterministic: a fixed seed drives ids, timestamps and the generated identifiers and
credentials. Post texts are hand-written. Writes cases.jsonl beside this file and
self-checks it (checksums, contract shape, severities derived from account roles).
Standard library plus PyYAML only.
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

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 173_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- roles
def _acct_key(platform, handle):
    return f"{platform}:{handle}".lower()

ROLE = {}
for k in PROFILE["accounts"]["corporate"]:
    ROLE[k.lower()] = "corporate"
for k in PROFILE["accounts"]["employee"]:
    ROLE[k.lower()] = "employee"

def role_of(platform, handle):
    return ROLE.get(_acct_key(platform, handle), "public")

# --------------------------------------------------------------------------- checksums
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1

def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"

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

def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError

def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"

def make_bsn():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        t = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if t < 10:
            return first + str(t)

def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))

# --------------------------------------------------------------------------- generated values
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))

ALNUM = string.ascii_letters + string.digits
UPNUM = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"

def b64u(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

V = {}
# personal identifiers that must pass their checksum
V["IBAN_RBAKKER"] = group4(make_iban("NL", "RABO" + "0" + rand(string.digits, 9)))
V["IBAN_JDEBOER"] = make_iban("NL", "INGB000" + rand(string.digits, 7))
V["IBAN_FLEUR"] = group4(make_iban("NL", "ASNB0" + rand(string.digits, 9)))
V["CARD_KARIN"] = group4(make_card("4", 16))
V["CARD_GOLD"] = group4(make_card("5", 16), "-")
V["CARD_TIM"] = make_card("4", 16)
V["BSN_MARK"] = make_bsn()
V["BSN_SCOOT"] = make_bsn()
V["BSN_SCOOT"] = V["BSN_SCOOT"][:4] + "." + V["BSN_SCOOT"][4:6] + "." + V["BSN_SCOOT"][6:]
V["PUBLIC_IBAN"] = group4(PROFILE["public_identifiers"]["ibans"][0])
# look-alikes that must fail
V["ORDER_NO"] = "4716 2231 0988 1245"
V["BOOKING_REF"] = "6011 4402 1873 9950"
V["SCAM_IBAN"] = "NL47 INGB 0005 8841 20"
V["FORM_BSN"] = "123456789"
V["REF_NR"] = "5300-1298-7744-0193"
# credentials (random, never real)
V["GHP"] = "ghp_" + rand(ALNUM, 36)
V["AKIA"] = "AKIA" + rand(UPNUM, 16)
V["AWS_SECRET"] = rand(B64, 40)
V["MOLLIE"] = "live_" + rand(ALNUM, 30)
V["SLACK"] = "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24)
V["OPENAI"] = "sk-proj-" + rand(B64URL, 48)
V["STRIPE"] = "sk_live_" + rand(ALNUM, 24)
V["SENDGRID"] = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(B64URL, 86) + "AA"
V["GLPAT"] = "glpat-" + rand(ALNUM, 20)
V["JWT"] = (b64u({"alg": "HS256", "typ": "JWT"}) + "." +
            b64u({"sub": "cust-" + rand(string.digits, 7), "scope": "tickets:restore", "exp": 1780000000}) +
            "." + rand(B64URL, 43))
V["SSHKEY"] = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
               "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" +
               "\n".join(rand(B64, 70) for _ in range(4)) + "\n" + rand(B64, 24) + "=\n"
               "-----END OPENSSH PRIVATE KEY-----")
V["ZW"] = "\u200b"

def fill(text):
    def sub(m):
        return V[m.group(1)]
    out = re.sub(r"«([A-Z_]+)»", sub, text)
    assert "«" not in out and "»" not in out, text
    return out

# --------------------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)

def zw(s):
    return "\u200b".join(s)

CYR = {"o": "\u043e", "O": "\u041e", "a": "\u0430", "e": "\u0435", "i": "\u0456", "c": "\u0441", "y": "\u0443", "p": "\u0440"}

def cyr(s):
    return "".join(CYR.get(c, c) for c in s)

# --------------------------------------------------------------------------- cases
CASES = []

def C(platform, handle, lang, text, cats=(), kind=None, when=None, brand=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=fill(text),
                      cats=sorted(set(cats)), kind=kind, when=when, brand=brand, name=name))

CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ============================== BENIGN (hard negatives mostly) ==============================
C("x", "@coasterfreak_nl", "en", "Just did the Wildwaterbaan 6 times in a row at @oeverwoud and I'm absolutely soaked 😂 10/10 would drown again")
C("instagram", "@zoe.travels", "en", "Red pandas at Oeverwoud Dierenrijk doing absolutely nothing for 20 minutes and I was obsessed 🐾 #oeverwoud #redpanda")
C("x", "@ruudje_1983", "nl", "Die Valtoren bij Oeverwoud is echt ziek man. Ik dacht dat ik doodging haha, meteen nog een keer gedaan")
C("x", "@oeverwoud_helpt", "nl", "@sanne_vlinder Vervelend dat je ticket niet laadt! Bel ons even op 0341-760200 (dagelijks 9-18u) of mail klantenservice@oeverwoud.nl met je bestelnummer, dan lossen we het samen op 👍", kind="reply")
C("facebook", "OeverwoudPark", "nl", "Schoolreisje plannen voor 2027? Groepen vanaf 20 personen boeken via groepen@oeverwoud.nl. Betalen kan per factuur op IBAN «PUBLIC_IBAN» t.n.v. Oeverwoud Groep B.V. 🎒")
C("x", "@oeverwoud", "nl", "☀️ Zomerdeal! Seizoenspas Goud nu €119 i.p.v. €149. Alleen t/m zondag via tickets.oeverwoud.nl")
C("instagram", "@oeverwoudpark", "en", "Early bird alert 🐣 Book your Griezelnacht ticket before 1 September and pay €39.95 instead of €47.50. See you in the dark 👻")
C("x", "@mamavan3", "nl", "Dagticket €42,50 per volwassene is best pittig hoor, maar de kids hebben de hele dag gestraald. Volgend jaar toch maar een gezinspas denk ik 👨‍👩‍👧‍👦")
C("reddit", "u/lowlands_dad", "en", "PSA for anyone going to Oeverwoud this summer: the SnelPas is €25 and honestly worth it on Saturdays. Queue times in the app were spot on for us, within 5 min every time.")
C("x", "@jeroen_tweets", "nl", "Wachtwoord vergeten van m'n Oeverwoud-account, iemand een idee waar je dat reset in de app? Kan de knop nergens vinden 🙈")
C("x", "@oeverwoud_helpt", "nl", "@jeroen_tweets Geen probleem! Ga in de app naar Profiel > Inloggen > 'Wachtwoord vergeten?'. Je krijgt binnen een paar minuten een mailtje. Deel je wachtwoord nooit met ons of met anderen 🔒", kind="reply")
C("linkedin", "joost-hendriks-ow", "en", "Great talk at a security meetup in Utrecht tonight about rotating cloud credentials. Fun fact: AWS's own docs use AKIAIOSFODNN7EXAMPLE as a placeholder key, so if you spot that one in a repo, relax. Anything else: rotate first, ask questions later.")
C("x", "@kevlinden_dev", "en", "Pro tip for the juniors: never paste real keys in tickets. Write it like `STRIPE_KEY=sk_live_••••••••` or `<your-token-here>` and keep the real one in the vault where it belongs.")
C("x", "@coasterman_be", "en", "Data breach at some online shoe shop again, third one this year. Glad my @oeverwoud season pass account only has my email in it lol")
C("facebook", "petra.vanhal", "nl", "Vandaag met opa en oma naar de olifanten geweest. Het personeel was zo lief voor mijn moeder in haar rolstoel, ze hebben ons helemaal tot aan het verblijf geholpen. Dank jullie wel Oeverwoud ❤️", name="Petra van Hal")
C("x", "@lisa_kramer", "nl", "Update: het geld voor de geannuleerde safaritent is vandaag toch teruggestort. Bedankt @oeverwoud_helpt voor het snelle oppakken, zand erover 🙏", brand="reigerhoek")
C("instagram", "@reigerhoek.vakantiedorp", "nl", "Nog een paar midweken vrij in september 🍂 Boshuisje 4p nu vanaf €469 (normaal €549). Boek via reigerhoek.nl of bel 088-2773300.", brand="reigerhoek")
C("x", "@themeparkmike", "en", "Oeverwoud's app update finally shows live queue times per ride. Wildwaterbaan 35 min, Valtoren 20, Safari Express 5. Game changer for families.")
C("tiktok", "@dansmetdieren", "nl", "POV: je ziet een zeearend boven het vogelmeer cirkelen en je hele klas begint tegelijk te gillen 😭🦅 #oeverwoud #schoolreis")
C("x", "@annekee", "nl", "Wat een verdrietig nieuws over olifant Mira. Sterkte aan alle verzorgers van Oeverwoud, jullie hebben zo goed voor haar gezorgd 💔")
C("x", "@oeverwoud", "nl", "Onze jaarcijfers 2026 zijn gepubliceerd: 1,42 miljoen bezoekers en een recordjaar voor Vakantiedorp De Reigerhoek. Alles lezen? oeverwoud.nl/pers", when="2027-02-25T08:15:00+01:00")
C("instagram", "@jessy.achtbaan", "nl", "DRAAKVLUCHT IS OPEN 🐉🐉 3x achter elkaar gedaan, m'n nek is op maar het was het zo waard #draakvlucht #oeverwoud", when="2027-04-03T16:41:12+02:00")
C("youtube", "@OeverwoudTV", "en", "Dragon Flight is here! 🎢 Watch the full on-ride POV of Draakvlucht, our brand-new launch coaster, from the front row.", when="2027-03-28T10:05:00+02:00")
C("x", "@sander_rdam", "nl", "Iemand ervaring? Vanochtend geboekt (ordernummer «ORDER_NO») en de bevestigingsmail kwam pas na 2 uur binnen. Is dat normaal bij Oeverwoud?")
C("forum", "Pretparkfan_88", "nl", "Let op mensen: er gaat een nepmail rond 'namens Oeverwoud' die vraagt om je seizoenspas te verlengen via een overboeking naar «SCAM_IBAN». Dat is NIET het rekeningnummer van het park, het echte staat gewoon op oeverwoud.nl. Niet betalen!")
C("x", "@twijfelaar_77", "nl", "Waarom vraagt De Reigerhoek bij het inchecken om een ID? Op het voorbeeldformulier staat BSN «FORM_BSN» ingevuld lol. Moet ik m'n eigen BSN afplakken op de kopie?", brand="reigerhoek")
C("linkedin", "eva-degroot-hr", "nl", "We zoeken zomerkrachten voor 2026! Horeca, attracties en dierverzorging, vanaf 16 jaar. Stuur je cv naar werkenbij@oeverwoud.nl en wie weet zie ik je bij de intake 😊")
C("x", "@vera_bday", "en", "Is the Olifantenontbijt worth €49.50? Thinking of surprising my daughter for her 10th birthday at Oeverwoud.")
C("x", "@hennie_grapjas", "nl", "Mijn man zegt dat de orang-oetan bij Oeverwoud op hem lijkt. Ik zeg: die orang-oetan is knapper 😂🐒")
C("instagram", "@bas.techniek", "nl", "Nachtdienst zit erop: 14 inspecties, 2 lagers vervangen en de Valtoren is weer helemaal klaar voor morgen 💪 #achterdeschermen #oeverwoud")
C("tiktok", "@daan_dierverzorger", "nl", "Vandaag mocht ik de nieuwe baby-stokstaartjes wegen 🥹 drie stuks, allemaal kerngezond! Kom ze snel bekijken in de Savanne")
C("x", "@parkwatcher_eu", "en", "Interesting read: a Belgian leisure group announces 120 job cuts after a bad season. Hope Oeverwoud isn't next, I love that place.")
C("reddit", "u/passholder_pete", "en", "Anyone know if the Oeverwoud Gold Pass has blackout days? About to spend €149 on it and want to know before I do.")
C("x", "@oeverwoud", "nl", "Let op: door het onweer is de Wildwaterbaan tijdelijk gesloten. Zodra het veilig is gaan we weer open. Check de app voor actuele wachttijden ⛈️")
C("facebook", "wendy.hondenmama", "nl", "Weet iemand of je in Vakantiedorp De Reigerhoek je hond mee mag nemen naar de waterlodge? 🐶", brand="reigerhoek", name="Wendy Kuipers")
C("x", "@groupleader_uk", "en", "Does anyone have the groups phone number for Oeverwoud? Found 088-2773300 on their site, is that the right one for school trips?")
C("linkedin", "oeverwoud-groep", "en", "We're proud to welcome 48 new seasonal colleagues this week. Onboarding, safety training and a tour with our animal care team. Welcome to the family!")
C("x", "@ineke_vd_molen", "nl", "Campagnefoto's voor de winterlichtjes geschoten vandaag, het park ziet er magisch uit ✨ Het Winterlichtjes avondticket is al te koop voor €27,50")
C("x", "@nervous_flyer", "en", "The news about that ride accident abroad is awful, thoughts with the families. Rode my first coaster since at Oeverwoud and felt totally safe, they check every bar twice.")
C("x", "@veluwse_jongen", "nl", "0everw00d 4 life 🤘 beste park van NL, punt.")
C("reddit", "u/cardpaid_fine", "en", "Paid for the Family season pass with my card ending in 4821 and got charged exactly once, no idea what the fuss is about in the other thread.")
C("x", "@weekendje_weg", "en", "Honest review of the Reigerhoek Waterlodge: €789 for a weekend is not cheap, but the hot tub on the deck and herons right outside made it. Would go again.", brand="reigerhoek")
C("x", "@oeverwoud_helpt", "en", "@tripwithkids_uk So sorry about the wait at the entrance this morning! We've passed it on to the team. Feel free to DM us your booking number so we can make it up to you 💚", kind="reply")
C("instagram", "@mo_and_lin", "en", "Adopted a red panda for my girlfriend's birthday (€60, all of it goes to the animals) and she cried. Best gift ever 🐾")
C("x", "@tipsvanthijs", "nl", "Strikt vertrouwelijk: de beste plek voor de olifantenvoedering is links naast het hek. Niet doorvertellen 🤫 #oeverwoud")
C("mastodon", "@sjoerdb@mastodon.nl", "en", "Wrote up how we run phishing awareness training for 600 seasonal staff: gamified, short, in three languages. Nothing dramatic, just a lot of lessons learned. Blog link in my profile.")
C("x", "@booking_q", "en", "My Reigerhoek booking ref looks like a credit card number lol: «BOOKING_REF». Is that normal?", brand="reigerhoek")
C("x", "@anke_leest", "nl", "Lees net dat een Duitse investeerder een Belgisch dierenpark overneemt. Hoop dat Oeverwoud lekker zelfstandig blijft, daar zit juist de charme in.")
C("linkedin", "priya-ramdin-oeverwoud", "en", "Passed my final register controller exam this week! 🎓 Huge thanks to my finance colleagues at Oeverwoud for the patience and the endless coffee.")
C("x", "@oeverwoud", "en", "Queue update 14:00 🕑 Valtoren 15 min | Wildwaterbaan 40 min | Safari Express 10 min. Tip: the lake side is nice and quiet right now!")
C("x", "@rachel_m_uk", "en", "Behind the Scenes Safari was €79 and worth every cent. Our keeper was brilliant with the kids and let them feed the giraffes.")
C("facebook", "ria.bouwman.1962", "nl", "Kan iemand me vertellen of de winterlichtjes ook met de gewone Seizoenspas Basis te bezoeken zijn? Of moet daar apart voor betaald worden?", name="Ria Bouwman")
C("x", "@fries_thief_victim", "en", "Not gonna lie, the seagulls at Oeverwoud are absolute criminals. One stole my whole fries 😂")
C("x", "@oeverwoud", "en", "Press enquiries: pers@oeverwoud.nl. Photos of our three new meerkat pups are free to use with credit 📸")
C("x", "@fotograaf_wim", "nl", "Een blauwe reiger pikte vanmiddag doodleuk een vis weg bij de zeeleeuwenshow 😂 beste act van de dag #oeverwoud")
C("x", "@oeverwoud", "nl", "Parkeerplaats P3 is vandaag alleen voor medewerkers en leveranciers. Bezoekers kunnen terecht op P1 en P2, volg de borden 🚗")
C("x", "@sanne_vlinder", "nl", "@oeverwoud_helpt Gelukt hoor, het lag aan mijn app-versie. Tickets staan erin, tot zo! 🎢", kind="reply")
C("x", "@paul_pays", "nl", "Grappig, m'n bonnetje van de parkwinkel heeft referentie «REF_NR». Lijkt net een pinpasnummer haha")
C("threads", "@fleur.horeca.ow", "nl", "Nieuwe kaart op het terras bij het meer 🌿 vegan bitterballen en huisgemaakte limonade. Kom proeven, ik sta er vandaag zelf!")
C("x", "@oeverwoud", "nl", "Vanaf 1 april kost een Dagticket Volwassene €44,50. Met een seizoenspas betaal je niks extra. Online scheelt het altijd twee euro t.o.v. de kassa.")

# ============================== COMPLAINTS ==============================
C("x", "@drukke_moeder", "nl", "2 uur in de rij voor de Wildwaterbaan terwijl de app 25 min zei. @oeverwoud wat is het nut van die app als de wachttijden nergens op slaan?!", [CMP])
C("x", "@tripwithkids_uk", "en", "Paid €59 for the unlimited SnelPas and half the rides with a fast lane were 'temporarily closed'. No refund offered at guest services. Not impressed, @oeverwoud.", [CMP])
C("facebook", "marco.veenstra.77", "nl", "Boshuisje in de Reigerhoek stonk naar schimmel, douche lekte en de verwarming deed het niet. Na twee keer bellen is er nog steeds niemand langs geweest. En dat voor ruim 500 euro per midweek.", [CMP], brand="reigerhoek", name="Marco Veenstra")
C("reddit", "u/queue_hater", "en", "Is it just me or has Oeverwoud gone downhill? Half the food stands closed at 4pm, the toilets near the Savanne were disgusting and nobody picked up the help line for 40 minutes.", [CMP])
C("x", "@juf_marieke", "nl", "Al 6 weken wachten op de terugbetaling voor ons geannuleerde schoolreisje. 3 mails naar de klantenservice, 0 reactie. Kom op @oeverwoud_helpt", [CMP])
C("instagram", "@lottevdb", "nl", "Parkeren was een drama. Een uur vast op het terrein, geen enkele medewerker om het verkeer te regelen 😤 #oeverwoud", [CMP])
C("x", "@pasjeshouder", "nl", "Seizoenspas gekocht en nu blijkt dat ik op 14 zomerdagen niet naar binnen mag. Dat stond nergens duidelijk @oeverwoud 👎", [CMP])
C("tiktok", "@rolstoel_roos", "nl", "'rolstoelvriendelijk' zeggen ze... halve park is onbereikbaar met die grindpaden en de lift bij het reptielenhuis is al weken kapot. #oeverwoud #toegankelijkheid", [CMP])
C("facebook", "henk.stoffels", "nl", "Bij het restaurant bij de ingang onvriendelijk behandeld. Vroeg om iets glutenvrij, kreeg een zucht en 'hebben we niet'. Voor 14 euro voor een patatje en een broodje mag je toch wel iets meer verwachten.", [CMP], name="Henk Stoffels")
C("x", "@glampgirl", "en", "Safaritent at Reigerhoek: mosquito net torn, no electricity for half the night and check-in took 50 minutes. Not the 'glamping' we paid for.", [CMP], brand="reigerhoek")
C("x", "@fotofan_bram", "nl", "Fotopakket gekocht, app zegt 'geen foto's gevonden'. Serieus, 35 euro voor niks?", [CMP])
C("bluesky", "@kees.bsky.social", "nl", "Kinderfeestje geboekt bij Oeverwoud. Begeleider kwam een half uur te laat en de taart waren ze vergeten. Mijn dochter was er kapot van.", [CMP])
C("x", "@lostbag_lena", "en", "Been trying to reach @oeverwoud_helpt for a week about my lost bag. Please just call me back on 06 4182 7730, I'm begging at this point.", [CMP, PII])
C("x", "@rbakker_nl", "nl", "@oeverwoud_helpt Nog steeds geen geld terug voor de afgelaste Griezelnacht! Stort het dan gewoon op «IBAN_RBAKKER» t.n.v. R. Bakker, dan zijn we er vanaf.", [CMP, PII], kind="reply")
C("reddit", "u/anniversary_fail", "en", "Long post, sorry. Booked the Waterlodge for our anniversary and got put next to the building site with jackhammers from 7am. Asked to move: 'fully booked'. For nearly €800 I expected a lot better from Reigerhoek.", [CMP], brand="reigerhoek")
C("x", "@nielsie", "nl", "wtf app geeft al de hele ochtend 'storing' , kan mn snelpas niet activeren. lekker dan oeverwoud", [CMP])
C("x", "@angry_uncle_dave", "en", "Your staff at the Valtoren are rude AF and your 'customer service' is a joke. Useless bunch of clowns @oeverwoud", [CMP, ABU])
C("x", "@nooitmeer_ow", "nl", "Kutpark. 45 euro voor een dagje rijen staan en dan nog afgesnauwd worden door zo'n arrogante eikel bij de ingang. Nooit meer.", [CMP, ABU])

# ============================== ABUSE ==============================
C("x", "@boze_bezoeker", "nl", "Die vette lelijke medewerkster bij de Safari Express moet echt ontslagen worden, wat een walgelijk wijf", [ABU])
C("x", "@anoniem_kwaad", "nl", "0everw00d = t3r1ngz00i, stelletje kl00tz4kk3n 🤬", [ABU])
C("threads", "@fleur.horeca.ow", "nl", "@zeurpiet_2000 Als je zo'n probleem hebt met onze frietjes blijf je toch lekker thuis, zeikerd. Mensen zoals jij verpesten elke dienst.", [ABU], kind="reply")
C("instagram", "@real_dutch_values", "en", "The girl at the ticket desk with the headscarf should go back where she came from. Disgusting that @oeverwoudpark hires people like that.", [ABU], kind="comment")
C("x", "@ceo_hater", "en", "@oeverwoud your CEO is a " + zw("fucking") + " idiot and everyone knows it", [ABU])
C("x", "@truth_teller_88", "en", cyr("Oeverwoud management are complete idiots and liars, every single one of them"), [ABU])
C("tiktok", "@xx_lolz_xx", "en", "@daan_dierverzorger you look like one of the monkeys you feed lmao, stay in the cage where you belong", [ABU], kind="comment")
C("instagram", "@bas.techniek", "nl", "Weer zo'n betweter in de comments. Ga lekker zelf achtbanen repareren, mongool.", [ABU], kind="comment")

# ============================== CRISIS ==============================
C("x", "@bezorgde_pa", "nl", "Valtoren in Oeverwoud zit al 35 minuten vast met mensen erin, brandweer is er net. Mijn zoontje zit erin 😰", [CRI])
C("x", "@eyewitness_j", "en", "Ambulance just rushed to the Wildwaterbaan at Oeverwoud, a kid was pulled out of the water unconscious. Everyone's being moved away. Praying 🙏", [CRI])
C("x", "@dierenrecht_nu", "nl", "#BoycotOeverwoud – undercover beelden laten zien dat de olifanten dagenlang in een betonnen stal staan. Geen cent meer naar dit park!", [CRI])
C("x", "@gehackt_of_zo", "nl", "Oeverwoud is gehackt of zo, ik krijg phishingmails met mijn naam, adres en het nummer van mijn seizoenspas erin. Dat kan alleen uit hun systeem komen. DATALEK!!", [CRI])
C("reddit", "u/teamuitje_ziek", "en", "At least 20 people from our company outing got food poisoning after the buffet at Oeverwoud's lakeside restaurant. Two are in hospital. Anyone else affected?", [CRI])
C("x", "@campinggast", "nl", "Er loopt een wolf los in Vakantiedorp De Reigerhoek?! We moeten binnen blijven van de beheerder. Dit is toch niet normaal", [CRI], brand="reigerhoek")
C("facebook", "mama.of.twins.nl", "en", "Heads up parents: the red panda plush XL from the Oeverwoud shop, the eyes come off really easily and my 2yo nearly choked. Reported to the NVWA. This needs a recall ASAP.", [CRI])
C("x", "@podcastluisteraar", "nl", "Ex-medewerkers van Oeverwoud vertellen in een podcast over seksuele intimidatie door leidinggevenden die jarenlang is weggemoffeld. Wat een schandaal.", [CRI])
C("x", "@localnews_fan", "en", "Reports that a maintenance worker died at Oeverwoud overnight. Labour inspectorate on site. And the park is still opening today?? Shameful.", [CRI])
C("instagram", "@veluwe_updates", "nl", "Brand in de keuken van het restaurant in Oeverwoud, het hele plein is ontruimd en er hangt zwarte rook boven het park 🔥", [CRI])
C("x", "@primate_rescue_now", "en", cyr("Boycott Oeverwoud") + " — they're shipping their old chimps off to a roadside zoo. #" + cyr("boycott"), [CRI])
C("x", "@woedende_wim", "nl", "Die klootzakken van Oeverwoud laten een giraf doodgaan door verwaarlozing en zwijgen erover. Boycot dit park!", [CRI, ABU])
C("x", "@lodge7_guest", "en", "Our lodge at Reigerhoek smelled of gas all night and staff told us 'that's normal'. Fire brigade found an actual leak this morning. We could have died.", [CRI, CMP], brand="reigerhoek")
C("x", "@wildevrijheid", "nl", "Stichting Wilde Vrijheid spant een rechtszaak aan tegen Oeverwoud over de zeeleeuwen die al jaren in een te klein bassin zitten. Eindelijk.", [CRI])

# ============================== CONFIDENTIAL ==============================
C("x", "@ineke_vd_molen", "nl", "Net de eerste renders van Draakvlucht gezien in de marketingmeeting 🐉 jullie gaan flippen, echt de hoogste lancering van de Benelux", [CONF])
C("linkedin", "joost-hendriks-ow", "en", "Busy week migrating our ticketing back office to the new cluster. If anyone on the team needs the runbook, it's at https://intra.oeverwoud.local/wiki/kassa-migratie", [CONF])
C("x", "@kevlinden_dev", "en", "Project Zeearend sprint demo went great today, the new app is miles ahead of what's live. Can't say more 🤐", [CONF])
C("instagram", "@bas.techniek", "nl", "Bouwterrein achter de Valtoren vanochtend. Dondervlinder begint echt vorm te krijgen 👀🦋", [CONF])
C("reddit", "u/seizoenspasser", "nl", "Mijn neef werkt bij Oeverwoud en zegt dat de nieuwe achtbaan Draakvlucht gaat heten en in maart 2027 opengaat. Hij liet ook een plattegrond zien met OW-INTERN erop.", [CONF])
C("x", "@ineke_vd_molen", "nl", "Oeps verkeerde chat 🙈 'OW-INTERN: campagneplanning Q2 + teksten prijsverhoging per 1 april' negeer maar", [CONF])
C("linkedin", "priya-ramdin-oeverwoud", "en", "Sharing the agenda for Thursday's board prep with the wider finance team. It's marked 'intern - niet delen buiten Oeverwoud' but honestly it's mostly logistics.", [CONF])
C("x", "@kevlinden_dev", "en", fullwidth("project zeearend") + " goes to the first beta testers next month, finally 🚀", [CONF])
C("tiktok", "@daan_dierverzorger", "nl", "Mag nog niks zeggen maar... O.p.e.r.a.t.i.e B.l.a.u.w.e R.e.i.g.e.r komt eraan en het wordt GROOT 🐘🐘", [CONF])
C("x", "@kevlinden_dev", "en", "who broke the pipeline on git.ow-intern.nl/app/queue-times ?? main has been red since lunch", [CONF])
C("facebook", "OeverwoudPark", "nl", "Nieuw in 2027: Draakvlucht, de snelste achtbaan van Nederland! 🐉 [CONCEPT - niet publiceren voor 28/3]", [CONF])
C("linkedin", "priya-ramdin-oeverwoud", "en", "Long days on Project Zeearend. If the numbers hold up, this will be the biggest acquisition in our company's history.", [CONF, FIN])
C("x", "@ineke_vd_molen", "nl", "jaarcijfers 2026 net binnen en wauw, 1,4 miljoen bezoekers 🥳 mogen we pas volgende week delen", [CONF, FIN], when="2027-02-19T17:02:44+01:00")
C("mastodon", "@sjoerdb@mastodon.nl", "en", "Cert on vpn.oeverwoud.nl expired overnight and nobody can get in from home. Half of IT is locked out, the status page still says all green.", [CONF, SECU])
C("forum", "insider_ow", "nl", "Heb het document 'Masterplan 2030 - OW-VERTROUWELIJK' gezien: ze willen de Wildwaterbaan slopen voor een overdekte waterspeelhal.", [CONF])
C("x", "@oeverwoud_helpt", "en", "@lisa_kramer Sorry about that! A colleague checked your booking at https://kassa-beheer.oeverwoud.local/boeking/88412 and the refund is on its way.", [CONF], kind="reply")
C("instagram", "@bas.techniek", "nl", "Testritten Draakvlucht vandaag 🐉 met zandzakken als passagiers. Nog 8 dagen!", [CONF], when="2027-03-20T11:30:00+01:00")
C("x", "@coasterleaks_nl", "nl", "Gerucht: 'Dondervlinder' is de interne naam van de nieuwe familie-achtbaan bij Oeverwoud. Iemand meer info?", [CONF])

# ============================== SECURITY ==============================
C("x", "@kevlinden_dev", "en", "lol our queue-times API happily returns the email + phone of whoever last scanned in if you change the ride id. ticket is open, patch isn't. please nobody find this before monday", [SECU])
C("mastodon", "@sjoerdb@mastodon.nl", "en", "Long night. Ransomware on the POS servers, every register in the park is cash-only today. Not public yet, comms is still drafting something.", [SECU])
C("linkedin", "joost-hendriks-ow", "nl", "Trots op het team dat vannacht heeft doorgewerkt nadat iemand met een gestolen account in ons ticketsysteem kwam. Is nog niet naar buiten gebracht, maar jullie weten wie jullie zijn 💪", [SECU])
C("x", "@ineke_vd_molen", "nl", "Heel marketing is vanochtend in een phishingmail getrapt, 3 accounts overgenomen en ze hebben de nieuwsbrieflijst gedownload. IT in paniek, klanten weten nog van niks", [SECU])
C("x", "@ex_ow_medewerker", "nl", "Als oud-medewerker: de camera's in het reptielenhuis en bij de kassa's draaien nog steeds op het standaard admin-account. Niemand heeft dat ooit aangepast.", [SECU])
C("tiktok", "@daan_dierverzorger", "nl", "Vannacht gingen alle deuren van de nachthokken vanzelf open door een fout in het toegangssysteem 😳 gelukkig had de nachtdienst het meteen door. Niet verder vertellen he", [SECU])
C("x", "@kevlinden_dev", "en", "app's down for everyone since 09:10, someone is hammering the login endpoint with 40k req/s. status page still says 'all good' 🙃", [SECU])
C("bluesky", "@lotte-reigerhoek.bsky.social", "en", "Our booking system at Reigerhoek sent the full guest list to everyone who opened this week's welcome email. Names, arrival dates, lodge numbers. Still figuring out how we tell people.", [SECU], brand="reigerhoek")
C("reddit", "u/concerned_passholder", "en", "Heads up: a friend in Oeverwoud IT says their season pass database was wide open on the internet for weeks. They've known since Tuesday and haven't told anyone.", [SECU, CRI])
C("x", "@kevlinden_dev", "en", "prod db got wiped by a bad migration, restoring from backup now. creds for whoever's on call: postgres://ow_app:Reiger!2026prod@10.12.0.40:5432/tickets", [SECU, SEC])
C("mastodon", "@sjoerdb@mastodon.nl", "en", "Note to colleagues: the Wi-Fi for the ride control panels is still on the same VLAN as guest Wi-Fi. Reported it in March. Still open. One day someone's going to walk right in.", [SECU])
C("x", "@pentestpiet", "nl", "3 maanden geleden een lek gemeld bij Oeverwoud: op de reserveringspagina kun je andermans boekingen opvragen door het nummer met 1 op te hogen. Nog steeds niet gefixt.", [SECU])

# ============================== SECRETS ==============================
C("linkedin", "joost-hendriks-ow", "en", "Anyone seen this with boto3 on eu-west-1? Our config looks fine:\naws_access_key_id = «AKIA»\naws_secret_access_key = «AWS_SECRET»\nStill AccessDenied on the bucket.", [SEC])
C("x", "@ineke_vd_molen", "nl", "wachtwoord van de social-tool is nu Flamingo#2026! (voor het team, verander m niet weer aub 😅)", [SEC])
C("reddit", "u/curious_apk", "en", "Decompiled the Oeverwoud app out of boredom and the Mollie payment key is just sitting in there: «MOLLIE». Yikes.", [SEC])
C("mastodon", "@sjoerdb@mastodon.nl", "en", "note to self, rotate after the demo: «SLACK»", [SEC])
C("x", "@kevlinden_dev", "en", "deploy key for the kiosk boxes, don't judge the comment in it\n«SSHKEY»", [SEC])
C("x", "@oeverwoud_helpt", "en", "@tripwithkids_uk Can you try this link to restore your tickets? https://app.oeverwoud.nl/tickets/restore?token=«JWT»", [SEC], kind="reply")
C("threads", "@fleur.horeca.ow", "nl", "Nieuwe code voor de kassa-tablets op het terras: " + zw("wachtwoord") + ": Patat4Ever! 🍟", [SEC])
C("forum", "devnl_", "en", "Oeverwoud's old WordPress site had this in a public JS file: «STRIPE». Still live? Probably.", [SEC])
C("instagram", "@bas.techniek", "nl", "Nieuwe PLC-laptop binnen! Voor de collega's van de nachtdienst: gebruiker monteur / wachtwoord Valtoren_88! (staat ook op het briefje in de kast)", [SEC])
C("facebook", "OeverwoudPark", "nl", "Test nieuwsbrief koppeling, negeer dit bericht. api_key=«SENDGRID»", [SEC])
C("x", "@kevlinden_dev", "en", "trying the other AI for the FAQ bot, ANTHROPIC_API_KEY=«ANTHROPIC» and gitlab token «GLPAT» in the same .env, yes I know", [SEC])

# ============================== PERSONAL DATA ==============================
C("x", "@oeverwoud_helpt", "nl", "@sander_rdam We zien je boeking! Staat op naam van S. de Rooij, Lindelaan 14, 3842 AB Harderwijk, mobiel 06-28417730. Klopt dat adres nog?", [PII], kind="reply")
C("linkedin", "eva-degroot-hr", "nl", "Sollicitanten: stuur aub geen kopie ID meer via LinkedIn. Vandaag weer één binnen met BSN «BSN_MARK» erop, van Mark Jansen, geboren 14-03-1998. Gewoon via werkenbij@oeverwoud.nl graag.", [PII])
C("facebook", "OeverwoudPark", "nl", "Hoi Karin, we hebben je betaling met kaart «CARD_KARIN» teruggeboekt, binnen 5 werkdagen zie je het terug.", [PII], kind="reply")
C("x", "@ineke_vd_molen", "en", "Winner of our summer photo contest is Femke Visser!! 🎉 Femke, we'll email you at femke.visser88@gmail.com about your prize", [PII])
C("x", "@goldpass_gabe", "en", "Hi @oeverwoud_helpt, I bought two Gold Passes with card «CARD_GOLD» exp 09/28, can you move the second one to my husband's name? Thanks!", [PII])
C("tiktok", "@daan_dierverzorger", "nl", "Hiep hiep hoera voor collega Youssef El Idrissi, geboren op 3 augustus 1995 en vandaag precies 10 jaar bij de olifanten 🐘🎂", [PII])
C("instagram", "@reigerhoek.vakantiedorp", "nl", "Gevonden: blauwe knuffelbeer bij lodge 12! Jolanda Smit, we hebben je gebeld op +31 6 1932 4408 maar kregen geen gehoor 🧸", [PII], brand="reigerhoek")
C("x", "@jdeboer_gezin", "nl", "Tikkie werkt niet, maak je deel voor de Reigerhoek-midweek maar over naar «IBAN_JDEBOER» (J. de Boer) 🙏", [PII], brand="reigerhoek")
C("linkedin", "joost-hendriks-ow", "en", "Beta testers for the new app, invites went out, pinging a few who didn't get it: anouk.devries@outlook.com, r.hoekstra@ziggo.nl and Tim on 06 51 22 09 87", [PII])
C("x", "@scootmobiel_opa", "nl", "Moet ik echt mijn BSN («BSN_SCOOT») opgeven om een scootmobiel te huren in Oeverwoud?? Heb het maar gedaan hoor", [PII])
C("facebook", "OeverwoudPark", "nl", "Gefeliciteerd Lieke van Dam (geboren 12-05-2016) met je 10e verjaardag én je bent onze 1.000.000e bezoeker van dit jaar! 🎉", [PII])
C("x", "@angry_parent_ow", "en", "This is the keeper who yelled at my son: Marloes Brink, lives at Kerkstraat 22, 3851 KB Ermelo. Go tell her what you think of her.", [PII, ABU])
C("threads", "@fleur.horeca.ow", "nl", "Fooienpot van het terras verdeeld 💸 maak mijn deel maar over naar " + "\u200b".join(V["IBAN_FLEUR"].split(" ")) + " t.n.v. F. Jacobs", [PII])

# ============================== PRICING ==============================
C("x", "@oeverwoud", "nl", "🎉 Flashsale! De Seizoenspas Goud vandaag voor maar €14,90! Op = op", [PRC])
C("instagram", "@oeverwoudpark", "en", "Book now: a Waterlodge weekend for 6 people, only €78.90! 🌊 Link in bio", [PRC], brand="reigerhoek")
C("x", "@slimme_koper", "nl", "Hahaha de webshop van Oeverwoud verkoopt de gezinspas voor €32,90 😱 snel bestellen voordat ze het doorhebben", [PRC])
C("reddit", "u/glitch_hunter", "en", "Price glitch on Oeverwoud's site: SnelPas Onbeperkt shows €5.90 at checkout. Bought 4, let's see if they honour it.", [PRC])
C("x", "@ineke_vd_molen", "nl", "Oh nee, prijsfout in de nieuwsbrief: het Olifantenontbijt staat erin voor €4,95 ipv €49,50 en hij is al naar 80k mensen 😩", [PRC])
C("linkedin", "priya-ramdin-oeverwoud", "en", "Note to the web team: the Behind the Scenes Safari has been listed at €7.90 on the booking page since last night. That's a pricing error, please fix before the weekend.", [PRC])
C("facebook", "OeverwoudPark", "nl", "Laatste kans! Boshuisje 4p midweek in de herfstvakantie voor €149 🍂 OP=OP", [PRC], brand="reigerhoek")
C("tiktok", "@deal_daan", "nl", "Gezinsseizoenspas voor 99 euro?? volgens mij zit er een fout in de app van oeverwoud maar ik heb m gekocht 🤑", [PRC])
C("x", "@koopjesjager", "nl", fullwidth("GOUDPAS") + " voor €9,99 in de Oeverwoud app 🤯 prijsfoutje?", [PRC])
C("threads", "@fleur.horeca.ow", "en", "Someone set the red panda plush XL to €2.99 in the park shops' tills this morning, we've sold 60 already lol", [PRC])
C("tiktok", "@oeverwoud", "nl", "Griezelnacht tickets nu €4,75 p.p. 👻 alleen vandaag!", [PRC])
C("x", "@budget_traveller", "en", "Oeverwoud's app says the Unlimited photo package is €3.49 today. Price mistake or promo? Either way, bought it.", [PRC])

# ============================== FINANCIAL ==============================
C("linkedin", "priya-ramdin-oeverwoud", "en", "Q3 visitor numbers came in 18% below budget. We'll most likely have to issue a profit warning to our bondholders before November.", [FIN])
C("x", "@ineke_vd_molen", "nl", "Hoor net op de gang dat er na het seizoen 60 fte uit gaan bij horeca en schoonmaak. Niemand weet het nog officieel 😔", [FIN])
C("x", "@zwager_weet_alles", "nl", "Mijn zwager werkt bij de bank: Oeverwoud wordt overgenomen door een Franse parkengroep, de deal is rond voor de kerst.", [FIN])
C("linkedin", "eva-degroot-hr", "en", "Preparing the hardest communication of my career: our reorganisation plan merges the zoo and theme park teams and about 45 roles will disappear. Announcement planned for 3 March.", [FIN])
C("bluesky", "@lotte-reigerhoek.bsky.social", "nl", "Vakantiedorp wordt verkocht aan een belegger, hoorden we vandaag in het teamoverleg. Pas over een maand officieel. Geen idee of ik mijn baan hou.", [FIN], brand="reigerhoek")
C("linkedin", "oeverwoud-groep", "en", "DRAFT, not for release: Oeverwoud Groep expects 2026 EBITDA of €31.5m, down from €38m, mainly due to the wet summer.", [FIN])
C("reddit", "u/finance_whisper", "en", "Friend in finance at Oeverwoud says they'll breach their loan covenants this year and the banks are circling. Not public yet.", [FIN])
C("threads", "@fleur.horeca.ow", "nl", "Forecast voor de horeca-omzet dit jaar is net rondgestuurd: 12 miljoen ipv 15. Dus geen bonus dit jaar jongens 😂", [FIN])
C("instagram", "@bas.techniek", "nl", "Alle monteurs kregen vandaag te horen dat het onderhoud vanaf 2027 wordt uitbesteed. Onze hele afdeling gaat eruit. Wordt pas in januari bekendgemaakt.", [FIN])

# --------------------------------------------------------------------------- assemble
PLATFORM_OK = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
               "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KIND_OK = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]
CATS_OK = {SEC, PII, PRC, CONF, FIN, SECU, CRI, CMP, ABU}


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


IBAN_RE = re.compile(r"\b(NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12}|DE\d{2}(?: ?\d){18})(?!\d)")
CARD_RE = re.compile(r"(?<![\d+])([3-6]\d{3}(?:[ -]?\d){9,15})(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\d\w])(?:\+31|0031|0)[ -]?\(?\d{1,3}\)?(?:[ -]?\d){6,8}(?![\d])")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b)", re.I)

PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def phone_key(p):
    d = re.sub(r"\D", "", p)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUBLIC_PHONES = {phone_key(p) for p in PROFILE["public_identifiers"]["phones"]}


def scan_ids(text):
    """Return (valid, invalid) lists of checksummed identifiers found in text."""
    t = normalise(text)
    valid, invalid = [], []
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group(1))
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_ok(s) else invalid).append(("iban", s))
    t2 = IBAN_RE.sub(lambda m: " " * len(m.group(0)), t)
    for m in CARD_RE.finditer(t2):
        s = re.sub(r"\D", "", m.group(1))
        if 13 <= len(s) <= 19:
            (valid if luhn_ok(s) else invalid).append(("card", s))
    t3 = CARD_RE.sub(lambda m: " " * len(m.group(0)), t2)
    for m in BSN_RE.finditer(t3):
        s = re.sub(r"\D", "", m.group(1))
        (valid if bsn_ok(s) else invalid).append(("bsn", s))
    return valid, invalid, t3


def severity(cats, role, checked_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRC) or (c == PII and checked_id):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    sec = rng.randrange(0, 362 * 86400)
    t = start + dt.timedelta(seconds=sec)
    # daytime-ish posting hours
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]))
    if rng.random() < 0.3:
        tz = dt.timezone(dt.timedelta(hours=1 if t.month in (1, 2, 3, 11, 12) else 2))
        return t.astimezone(tz).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "", "facebook": "fb_", "instagram": "ig_", "tiktok": "tt_", "linkedin": "urn:li:activity:",
             "youtube": "yt_", "reddit": "t3_", "mastodon": "", "bluesky": "at://", "threads": "th_",
             "forum": "forum-", "other": "other-"}
used_ids = set()


def make_id(platform):
    while True:
        if platform in ("x", "linkedin"):
            core = str(rng.randrange(10 ** 18, 10 ** 19))
        elif platform == "bluesky":
            core = "did:plc:" + rand(string.ascii_lowercase + string.digits, 24) + "/app.bsky.feed.post/" + rand(string.ascii_lowercase + "234567", 13)
        elif platform == "reddit":
            core = rand(string.ascii_lowercase + string.digits, 7)
        elif platform == "mastodon":
            core = str(rng.randrange(10 ** 17, 10 ** 18))
        else:
            core = rand(string.digits, 15)
        pid = ID_PREFIX.get(platform, "") + core
        key = (platform, pid)
        if key not in used_ids:
            used_ids.add(key)
            return pid


def post_url(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{pid}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid[3:]}/"
    if platform == "reddit":
        return f"https://www.reddit.com/r/thenetherlands/comments/{pid[3:]}/"
    return None


# deterministic shuffle so categories are not blocked together
order = list(range(len(CASES)))
rng.shuffle(order)

lines = []
for idx in order:
    c = CASES[idx]
    pid = make_id(c["platform"])
    post = {"id": pid, "platform": c["platform"]}
    kind = c["kind"] or ("reply" if c["text"].startswith("@") else "post")
    if kind != "post" or rng.random() < 0.3:
        post["kind"] = kind
    acct = {"handle": c["handle"]}
    if c["name"]:
        acct["display_name"] = c["name"]
    post["account"] = acct
    post["text"] = c["text"]
    if rng.random() < 0.8:
        post["lang"] = c["lang"]
    post["created_at"] = c["when"] or rand_time_2026()
    url = post_url(c["platform"], c["handle"], pid)
    if url and rng.random() < 0.6:
        post["url"] = url
    post["brand"] = c["brand"] or "oeverwoud"
    role = role_of(c["platform"], c["handle"])
    valid, invalid, _ = scan_ids(c["text"])
    sev = severity(c["cats"], role, bool(valid)) if c["cats"] else "none"
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev},
                  "_meta": {"role": role, "lang": c["lang"], "valid": valid, "invalid": invalid}})

# --------------------------------------------------------------------------- self-checks
errors = []


def err(msg, case):
    errors.append(f"{case['post']['id']}: {msg} :: {case['post']['text'][:80]!r}")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


EMBARGO = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
CODENAMES = [c.lower() for c in PROFILE["internal"]["codenames"]]
MARKERS = [m.lower() for m in PROFILE["internal"]["markers"]]
INT_DOMAINS = [d.lower() for d in PROFILE["internal"]["domains"]]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"]), p["sku"]))
    assert p["currency"] == "EUR"
RATIO = PROFILE["pricing"]["alert_below_ratio"]

# profile sanity
for i in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(i):
        errors.append(f"profile IBAN {i} fails mod-97")
if not (6 <= len(PROFILE["accounts"]["corporate"]) and 8 <= len(PROFILE["accounts"]["employee"])):
    errors.append("profile: not enough accounts")
if not (15 <= len(PROFILE["products"]) <= 25):
    errors.append("profile: product count")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("profile: codenames/markers")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        errors.append("profile: embargo until not in 2027")
if RATIO != 0.5:
    errors.append("profile: ratio")


def despaced(t):
    # undo letter-splitting by dots/spaces ("O.p.e.r.a.t.i.e") for the benign guard
    return re.sub(r"(?<=\b\w)[.](?=\w\b)", "", t)


seen_texts = set()
for case in lines:
    post, exp, meta = case["post"], case["expect"], case["_meta"]
    text = post["text"]
    # contract shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        err("bad id", case)
    if post["platform"] not in PLATFORM_OK:
        err("bad platform", case)
    if post.get("kind", "post") not in KIND_OK:
        err("bad kind", case)
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err("bad handle", case)
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        err("bad text", case)
    try:
        ts = parse_ts(post["created_at"])
        if ts.tzinfo is None:
            err("created_at without offset", case)
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)", post["created_at"]):
            err("created_at not RFC 3339", case)
    except ValueError:
        err("bad created_at", case)
        continue
    if ts.year not in (2026, 2027):
        err("year", case)
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS_OK:
        err("bad categories", case)
    if exp["severity"] not in SEV:
        err("bad severity", case)
    if not cats and exp["severity"] != "none":
        err("benign with severity", case)
    if cats and exp["severity"] in ("none", "info"):
        err("positive without severity", case)
    if text in seen_texts:
        err("duplicate text", case)
    seen_texts.add(text)
    # role sanity: public handles must not be in the profile
    if meta["role"] == "public" and _acct_key(post["platform"], post["account"]["handle"]) in ROLE:
        err("role mismatch", case)

    # checksummed identifiers
    valid, invalid = meta["valid"], meta["invalid"]
    if valid and PII not in cats:
        err(f"valid identifier {valid} in a case without leak.pii", case)
    if invalid and cats:
        err(f"checksum-failing identifier {invalid} in a positive", case)

    norm = normalise(text)
    low = norm.lower()
    # other personal data in benign posts must be the company's own published data
    _, _, stripped = scan_ids(text)
    if not cats:
        for m in EMAIL_RE.finditer(norm):
            if m.group(0).lower() not in PUBLIC_EMAILS:
                err(f"private e-mail {m.group(0)} in benign", case)
        for m in PHONE_RE.finditer(stripped):
            if phone_key(m.group(0)) not in PUBLIC_PHONES:
                err(f"phone {m.group(0)} in benign", case)
        if valid:
            err("valid identifier in benign", case)
    # confidential vocabulary
    dlow = despaced(low)
    conf_hits = [c for c in CODENAMES if c in dlow] + [m for m in MARKERS if m in low] + \
                [d for d in INT_DOMAINS if d in low]
    for terms, until in EMBARGO:
        for term in terms:
            if term in low and ts < until:
                conf_hits.append(term)
    if conf_hits and CONF not in cats:
        err(f"confidential vocabulary {conf_hits} without leak.confidential", case)
    # embargo terms after `until` must be benign-ish (no confidential label from the term alone)
    # pricing: benign posts must not show a product below the alert ratio
    found = [(a, lp, sku) for a, lp, sku in ALIASES if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", low)]
    prices = [float((m.group(1) or m.group(2)).replace(",", ".")) for m in PRICE_RE.finditer(norm)]
    if PRC in cats:
        if not found:
            err("pricing case names no catalogue product", case)
        elif prices:
            lo = min(prices)
            if not any(lo < RATIO * lp for _, lp, _ in found):
                err("pricing case price not below ratio", case)
        elif "fout" not in low and "error" not in low and "mistake" not in low and "glitch" not in low:
            err("pricing case without price or price-error talk", case)
    elif found and prices:
        floor = min(lp for _, lp, _ in found)
        for pr in prices:
            if pr < RATIO * floor:
                err(f"price {pr} below ratio next to {[f[0] for f in found]} without leak.pricing", case)

# mix checks
n = len(lines)
benign = sum(1 for c in lines if not c["expect"]["categories"])
percat = {k: sum(1 for c in lines if k in c["expect"]["categories"]) for k in sorted(CATS_OK)}
nl = sum(1 for c in lines if c["_meta"]["lang"] == "nl")
if not (170 <= n <= 180):
    errors.append(f"case count {n}")
if not (55 <= benign <= 65):
    errors.append(f"benign count {benign}")
want = {CMP: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
for k, v in want.items():
    if abs(percat[k] - v) > 3:
        errors.append(f"category {k}: {percat[k]} (want ~{v})")
if not (0.48 <= nl / n <= 0.62):
    errors.append(f"Dutch share {nl / n:.2f}")
leaks = [c for c in lines if any(x.startswith("leak.") for x in c["expect"]["categories"])]
reps = [c for c in lines if c["expect"]["categories"] and all(x.startswith("reputation.") for x in c["expect"]["categories"])]
if sum(1 for c in leaks if c["_meta"]["role"] != "public") <= len(leaks) / 2:
    errors.append("leaks not mostly from own accounts")
if sum(1 for c in reps if c["_meta"]["role"] == "public") <= len(reps) / 2:
    errors.append("reputation not mostly public")
if len({(c["post"]["platform"], c["post"]["id"]) for c in lines}) != n:
    errors.append("duplicate ids")
if len({c["post"]["id"] for c in lines}) != n:
    errors.append("duplicate ids across platforms")

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as fh:
    for c in lines:
        fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# round-trip check of what was written
with open(out_path, encoding="utf-8") as fh:
    for ln in fh:
        obj = json.loads(ln)
        assert set(obj) == {"post", "expect"}

print(f"{n} cases, {benign} benign, {n - benign} positive, Dutch {nl} ({nl / n:.0%})")
print("per category:", json.dumps({k.split('.')[-1]: v for k, v in percat.items()}))
print("roles:", {r: sum(1 for c in lines if c["_meta"]["role"] == r) for r in ("corporate", "employee", "public")})
print("severities:", {s: sum(1 for c in lines if c["expect"]["severity"] == s) for s in SEV})
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
