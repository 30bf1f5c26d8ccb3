#!/usr/bin/env python3
"""Build sealed evaluation set 247 (Golfslag Sportcentra, municipal pools and sports centres).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and self-checks it (checksums of identifiers, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml per CONTRACT section 4).
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
R = random.Random(247)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for _role in ("corporate", "employee"):
    for _acct in PROFILE["accounts"][_role]:
        ROLE[_acct.lower()] = _role

PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if len(s) < 15:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == chk


# ---------------------------------------------------------------- generators

ALNUM = string.ascii_letters + string.digits


def rstr(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def new_iban(bank, spaced=False):
    acct = rstr(string.digits, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    if spaced:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def bad_iban(bank):
    good = new_iban(bank)
    cd = int(good[2:4])
    bad = "NL%02d%s" % (2 + (cd - 2 + 41) % 97 if cd != 0 else 55, good[4:])
    if iban_ok(bad):
        bad = "NL%02d%s" % (2 + (cd - 2 + 13) % 97, good[4:])
    assert not iban_ok(bad)
    return bad


def new_card(prefix, spaced=True):
    body = prefix + rstr(string.digits, 15 - len(prefix))
    for last in string.digits:
        if luhn_ok(body + last):
            num = body + last
            break
    assert luhn_ok(num)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4)) if spaced else num


def bad_card(prefix):
    good = new_card(prefix, spaced=False)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def new_bsn():
    while True:
        first = R.choice("123456789") + rstr(string.digits, 7)
        for last in string.digits:
            if bsn_ok(first + last):
                return first + last


def bad_bsn():
    while True:
        cand = R.choice("123456789") + rstr(string.digits, 8)
        if not bsn_ok(cand):
            return cand


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    tok = prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")
    assert gh_ok(tok)
    return tok


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-ledenapi", "role": "admin", "iss": "golfslag",
                                 "iat": 1767225600}, separators=(",", ":")).encode())
    sig = b64url(bytes(R.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(R.getrandbits(8) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


G = {}
G["aws_id"] = "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["aws_secret"] = rstr(ALNUM + "/+", 40)
G["ghp"] = gh_token("ghp_")
G["ant"] = "sk-ant-api03-" + rstr(ALNUM + "-_", 93) + "AA"
G["stripe"] = "sk_live_" + rstr(ALNUM, 24)
G["slack"] = "xoxb-%s-%s-%s" % (rstr(string.digits, 12), rstr(string.digits, 13), rstr(ALNUM, 24))
G["openai"] = "sk-proj-" + rstr(ALNUM + "-_", 40) + "T3BlbkFJ" + rstr(ALNUM + "-_", 40)
G["pem"] = openssh_key()
G["jwt"] = jwt_token()
G["dbpw"] = rstr(ALNUM + "!#%^*", 18)
G["mollie"] = "live_" + rstr(ALNUM, 30)
G["sendgrid"] = "SG." + rstr(ALNUM + "-_", 22) + "." + rstr(ALNUM + "-_", 43)
G["ghs"] = gh_token("ghs_")

G["iban1"] = new_iban("INGB", spaced=True)
G["iban2"] = new_iban("ABNA")
G["iban3"] = new_iban("BUNQ", spaced=True)
G["card1"] = new_card("4")
G["card2"] = new_card("53")
G["bsn1"] = new_bsn()
G["bsn2"] = new_bsn()
G["bad_iban"] = bad_iban("INGB")
G["bad_card"] = bad_card("4")
G["bad_bsn"] = bad_bsn()
G["bad_bsn2"] = bad_bsn()
G["pub_iban"] = PROFILE["public_identifiers"]["ibans"][0]

JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
                 "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
G["jwt_sample"] = JWT_IO_SAMPLE

# ---------------------------------------------------------------- cases

CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "con": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "key": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing",
}
CASES = []


def add(acct, lang, text, cats="", kind="post", when=None, brand=None, url=False):
    CASES.append(dict(acct=acct, lang=lang, text=text, cats=cats.split(), kind=kind,
                      when=when, brand=brand, url=url))


# ======================= benign (hard negatives mostly) =======================
add("instagram:@mila.zwemt", "nl",
    "Eindelijk mijn A-diploma!! 🏊‍♀️🥇 Dank je juf Noor van Golfslag De Houtwal, je bent de allerbeste #zwemdiploma #trots")
add("x:@petra_runs_nl", "en",
    "Shoutout to the lifeguards at Golfslag Westerkade for running such a calm, tight ship on a packed Sunday. Never seen a pool this busy feel this relaxed.")
add("x:@golfslag_nl", "nl",
    "Let op: komende woensdag is het wedstrijdbad van Golfslag Zuiderhout gesloten vanwege de regionale zwemkampioenschappen. Het recreatiebad blijft gewoon open 💦",
    brand="Golfslag", url=True)
add("x:@golfslag_helpt", "nl",
    "Hoi Marloes, balen dat je pas niet werkte bij de draaipoort! Stuur je ons even een mailtje via klantcontact@golfslag.nl met je pasnummer? Dan zoeken we het voor je uit.",
    kind="reply")
add("linkedin:golfslag-sportcentra", "en",
    "We're hiring! Golfslag is looking for qualified lifeguards (m/f/x) for our pools in Nieuwegein and Houten. Apply via werkenbij@golfslag.nl or give us a call on +31 30 799 4410.",
    url=True)
add("x:@zonnebloem_ria", "nl",
    "Zomerpas Buitenbad De Kreek nu €47,20 ipv €59 als je hem vóór 1 mei koopt. Meteen gedaan ☀️🏖️")
add("reddit:u/laps_and_lattes", "en",
    "PSA for anyone in Houten: Golfslag's FitFlex monthly is €44.95, no sign-up fee in January. Not the cheapest gym around but pool access makes it worth it imo.",
    kind="comment")
add("facebook:Annemiek.Broers", "nl",
    "Update over mijn bericht van vorige week: Golfslag heeft de dubbele afschrijving van mijn FitFlex teruggestort én er een maand gratis bij gedaan. Netjes opgelost, dank aan Priscilla van klantcontact 👍")
add("x:@leedsdad_mike", "en",
    "Thoughts with everyone at that leisure centre in Leeds after the roof came down. Glad nobody was hurt. Makes you appreciate a boring, well-kept local pool.")
add("x:@koffie_en_chloor", "nl",
    "Alweer een datalek bij een sportschoolketen, nu 200.000 leden in België. Blij dat ik gewoon bij Golfslag baantjes trek en nergens een app voor nodig heb haha")
add("threads:@jess.okafor", "en",
    "my swim technique is so bad the lifeguard at Golfslag asked if I was okay THREE times. I was doing butterfly 🦋😭")
add("tiktok:@timo.glijdt", "nl",
    "die nieuwe wildwaterbaan bij golfslag zuiderhout is echt ZIEK 🔥🔥 ben helemaal kapot na 12x achter elkaar")
add("reddit:u/pyswimmer", "en",
    "Building a little app that shows Golfslag lane-swim times. The AWS docs use AKIAIOSFODNN7EXAMPLE as the access key in every snippet; obviously swap in your own and never commit it.",
    kind="comment")
add("x:@jeroen_it_golfslag", "nl",
    "Tip voor mede-devs: log nooit tokens. In een code review vandaag zag ik 'ghp_****************************' in een logregel staan, netjes weggepoetst door onze filter 💪")
add("facebook:Hans.Vermeulen.54", "nl",
    "Lesgeld voor het A-pakket overgemaakt naar <<pub_iban>> zoals op golfslag.nl staat. Weet iemand hoe lang het duurt voor je de bevestiging krijgt?")
add("x:@renske_zwemt", "nl",
    "Factuur van Golfslag Sporthal Rietveld vermeldt IBAN <<bad_iban>> maar mijn bank-app zegt 'ongeldig rekeningnummer'. Typfoutje denk ik, heb het goede nummer op hun site gevonden.")
add("instagram:@mamavan3", "nl",
    "Haha mijn zoon typte '<<bad_card>>' als kaartnummer in de kiosk bij Golfslag om een ijsje te kopen. Gelukkig werd het geweigerd 😂")
add("forum:ouderpraat_utrecht", "nl",
    "Vraagje: moet je bij de aanmelding voor schoolzwemmen bij Golfslag echt een BSN opgeven? Het formulier zei 'ongeldig' toen ik <<bad_bsn>> als test invulde lol.",
    kind="comment")
add("linkedin:golfslag-sportcentra", "nl",
    "Onze jaarcijfers 2026 staan online: 4,1 miljoen bezoeken aan onze baden en sporthallen en een gezond resultaat. Lees het volledige jaarverslag op golfslag.nl/jaarverslag",
    when="2027-03-05T09:30:00Z", url=True)
add("x:@amersfoort_ali", "en",
    "Went to the opening weekend of Golfslag Lagune in Amersfoort, that wave pool is unreal 🌊🌊",
    when="2027-04-25T15:12:44Z")
add("instagram:@golfslag.zwembaden", "nl",
    "Golfslag Lagune is open!! 🎉🌊 Kom jij ook? Tickets via golfslag.nl",
    when="2027-04-21T10:00:00Z", brand="Golfslag")
add("x:@golfslag_nl", "en",
    "Our Aquafit 12-ride card is €89 and valid at all of our pools. Perfect for those gentle morning sessions 🌅")
add("facebook:Kim.de.Ruiter.7", "nl",
    "Weet iemand of de Familiepas van Golfslag ook geldt voor de sauna? €749 per jaar is best veel maar als de sauna erbij zit dan ben ik om.")
add("instagram:@sophie_bakes_nl", "en",
    "Booked the Plonsfeest party at Golfslag for my daughter's 7th. €189 for 8 kids incl. fries and the giant inflatable. She's still talking about it 💙")
add("instagram:@coach.dewi", "nl",
    "Vanavond weer bootcamp in Sporthal Rietveld 💪 wie durft?? Gewoon binnenlopen met je FitFlex, geen extra kosten 🔥")
add("tiktok:@zwemjuf.noor", "nl",
    "POV: je staat 8 uur per dag in 31 graden en kinderen vragen of je zelf eigenlijk wel kan zwemmen 😂 #zwemjuf #golfslag")
add("linkedin:marieke-hoekstra-golfslag", "en",
    "Proud that 14 of our lifeguards completed their advanced first-aid recertification this month. Safety really is a team sport at Golfslag.")
add("x:@wendy_vw", "en",
    "The kids in my son's swim group made a card for their Golfslag swim coach, she lost her dad last week. Sending her lots of love ❤️")
add("x:@gentse_gijs", "nl",
    "Zwembad in Gent moet dicht door een lekkende dakconstructie. Hopelijk houdt ons ouwe Golfslag-bad in Woerden het nog even vol 🙏")
add("x:@slidequeen_", "en",
    "Golfslag's new water slide is so fast it should be illegal. Screamed like an idiot all the way down. 10/10 would scream again")
add("facebook:Ingrid.Pauw", "nl",
    "Brandschone kleedkamers en de douches waren eindelijk eens lekker warm. Complimenten aan Golfslag Westerkade!")
add("reddit:u/drawer_archaeologist", "en",
    "Does anyone know if Golfslag's 10-visit card (€52.50) expires? Found one from 2024 in a kitchen drawer.",
    kind="post")
add("facebook:GolfslagSportcentra", "nl",
    "Zwembad De Houtwal is van 20 t/m 31 juli dicht voor groot onderhoud. In die periode kun je met je abonnement terecht in Golfslag Westerkade en Zuiderhout. Excuses voor het ongemak!")
add("x:@golfslag_helpt", "en",
    "Our booking site will be down for scheduled maintenance on Tuesday 02:00–04:00. Lane bookings made before then remain valid. Thanks for your patience!")
add("x:@oma_truus_kleinkind", "nl",
    "Kun je bij Golfslag ook gewoon pinnen aan de kassa of alleen met de app? Vraag voor mijn oma 👵")
add("x:@dutchdad_swims", "en",
    "Golfslag 55+ Pass is €229 a year and my dad swims five mornings a week. That's like 90 cents a swim. Best money he spends all year.")
add("x:@lars_traint", "nl",
    "Black Friday bij Golfslag: Personal Training 5-pack voor €239 ipv €299. Eindelijk die PT-sessies maar eens proberen",
    when="2026-11-27T12:41:09Z")
add("reddit:u/foggy_goggles", "en",
    "Anyone else think the Golfslag Duikbril Pro (€34.95) beats the fancy brands? Zero fog after three months of daily laps.")
add("x:@maaike_b", "nl",
    "Gisteren klaagde ik nog over het koude water in Zuiderhout, vandaag gemeten: 28,5 graden. Ze hebben de ketel gemaakt. Hulde aan de technische dienst 👏",
    kind="reply")
add("linkedin:golfslag-sportcentra", "nl",
    "Golfslag Sportcentra en de gemeente Houten hebben het beheercontract voor Sportpark Zuiderhout met tien jaar verlengd. Het persbericht vind je op golfslag.nl/pers, vragen via pers@golfslag.nl",
    url=True)
add("mastodon:@privacy_pieter@mastodon.nl", "en",
    "Is it just me or does every gym app want your date of birth these days? Golfslag only asked for an email address, which I appreciate.")
add("x:@jeroen_it_golfslag", "nl",
    "Wachtwoord vergeten voor de Golfslag-app? Resetten gaat via golfslag.nl/wachtwoord. Wij vragen NOOIT om je wachtwoord via DM of telefoon. Blijf scherp op phishing 🎣")
add("reddit:u/cs_student_ams", "en",
    "Uni project: scraping Golfslag lane times. The auth tutorial just uses the jwt.io sample token <<jwt_sample>> (John Doe lol). Not a real credential, relax.",
    kind="comment")
add("instagram:@familie_dekker", "nl",
    "Trots!! Onze jongste heeft vandaag zijn B-diploma gehaald bij Golfslag Woerden. Volgende stop: C 💪🏊‍♂️")
add("x:@rainy_tuesday_anna", "en",
    "Golfslag Westerkade sauna on a rainy Tuesday = pure peace. The wellness day arrangement is €39.50 incl. lunch, honestly a steal.")
add("x:@babybadjes", "nl",
    "Ik boycot voortaan elk zwembad zonder fatsoenlijk peuterbad... grapje, Golfslag Houten heeft er gewoon een en het is heerlijk daar 🐣")
add("x:@newsjunkie_nl", "en",
    "That lawsuit against the Spanish waterpark chain over the slide injuries is wild. Every slide I've done at Golfslag had staff at the top AND the bottom.")
add("tiktok:@golfslag.plonst", "en",
    "When the swim teacher says 'one more lap' 😤😂 #golfslag #swimlessons #pov")
add("x:@marloes_k", "nl",
    "@golfslag_helpt dankjewel voor de snelle reactie! Pas doet het weer 👌", kind="reply")
add("x:@ruudvdmeer_ops", "nl",
    "Mooie dag bij Golfslag Zuiderhout: de nieuwe warmtepomp is officieel in gebruik genomen, zoals dit voorjaar al in de krant stond. Zo'n 30% minder gasverbruik.")
add("reddit:u/lapcounter", "en",
    "Golfslag vs. the council-run pool in Utrecht: Golfslag is pricier (€399/yr) but lanes are actually split by speed. Worth it if you swim laps seriously.",
    kind="comment")
add("x:@snelle_sven", "nl",
    "n13uwe PR op de 400m vrij 🥳 6:12!! dank aan de baantrainers van Golfslag Masters")
add("x:@ringfinger_relief", "en",
    "If you lose something at a Golfslag pool, call 0800-4653. They found my wedding ring in the filter basket 😭🙏")
add("bluesky:@sannedevries.bsky.social", "en",
    "Shoot for our summer campaign wrapped today 🌞 Proud of this crew, you'll see it all in June!")
add("x:@vrijdag_vrij", "nl",
    "Hoezo is het zwembad altijd precies op mijn vrije dag dicht voor 'onderhoud' 😂 grapje hoor, het staat gewoon netjes in het rooster op de site")
add("instagram:@swimdad_jay", "en",
    "Golfslag KidsSafe armbands, €14.95, and my son refused to take them off at dinner. Guess we're a swimming family now 🦆")
add("x:@wachtlijst_wim", "nl",
    "Drie weken wachtlijst voor zwemles bij Golfslag, bij de concurrent in Utrecht is het 9 maanden. Wij boffen dus eigenlijk 😅")
add("reddit:u/gdpr_nerd", "en",
    "Golfslag's privacy officer answered my access request in 5 days, everything on file incl. my IBAN masked as NL** **** **** **** 12. That's how GDPR should work.")
add("x:@korting_karin", "nl",
    "Kortingscode gespot: 15% op de Golfslag Thermo Zwemvest Junior, dus €42,46 ipv €49,95. Scheelt weer 😊")
add("linkedin:golfslag-sportcentra", "en",
    "Golfslag is proud to support national Swim Safe week: free taster lessons at all nine of our centres for kids who don't have a diploma yet.")
add("x:@squashmaatje", "nl",
    "Squashkaart 10x voor €110 bij Golfslag Rietveld, banen zijn net gerenoveerd. Aanrader!")
add("forum:zwemforum_nl", "nl",
    "Mijn lidnummer op de nieuwe GolfslagPas is <<bad_bsn2>>. Is dat hetzelfde als het klantnummer in de app? Snap er niks van.",
    kind="comment")

# ======================= reputation.complaint =======================
add("x:@moeder_van_mees", "nl",
    "Derde keer deze maand dat de zwemles van mijn zoon bij Golfslag Houten op het laatste moment wordt afgezegd. 'Personeelstekort'. Wij betalen wel gewoon door hoor 🙄",
    "cmp")
add("reddit:u/doublecharged_dan", "en",
    "Golfslag charged my FitFlex membership twice in March and support keeps telling me to 'wait for the system'. It's been five weeks. Anyone have a contact that actually works?",
    "cmp")
add("facebook:Yvonne.Smit.1980", "nl",
    "Water in het recreatiebad van Westerkade was vanmiddag ijskoud, de kinderen stonden te klappertanden. En de sauna bleek ook weer 'tijdelijk buiten gebruik'. Niet wat je verwacht voor €7,25 per kind.",
    "cmp")
add("x:@towel_guy_utr", "en",
    "The lockers at Golfslag Zuiderhout eat your €1 coin and don't open half the time. Waited 25 min in a towel for someone with a key. Fix your stuff.",
    "cmp")
add("instagram:@noor.fit.life", "nl",
    "leuke foto's allemaal maar de kleedkamers in woerden zijn echt smerig. haren in de douche, plassen overal, volgens mij al 2 weken niet fatsoenlijk gepoetst",
    "cmp", kind="comment")
add("x:@still_waiting_pete", "en",
    "11 months on the Golfslag swim lesson waiting list. ELEVEN. My kid will have a driving licence before he gets his A diploma.",
    "cmp")
add("x:@bramvdl", "nl",
    "app van golfslag crasht elke keer bij baan reserveren. 4x geprobeerd, uiteindelijk was het vol. wat een gedoe weer",
    "cmp")
add("x:@ex_member_eva", "en",
    "Cancelled my Golfslag membership in January exactly per their rules, still got debited in Feb AND March. Customer service 'can't find the cancellation'. Great.",
    "cmp")
add("threads:@vroege.vogel.zwemt", "nl",
    "Baanzwemmen om 7u in Zuiderhout: 3 banen beloofd, 1 baan open, 22 man erin. Dit is geen baantraining maar botsautootjes.",
    "cmp")
add("forum:ouderpraat_utrecht", "en",
    "Paid €189 for the Plonsfeest party: the inflatable was half flat, the 'host' disappeared after 20 minutes and the fries came out cold. Not what your website promised, Golfslag.",
    "cmp")
add("facebook:Gerard.Lansink", "nl",
    "De receptie bij Golfslag Rietveld was vanochtend ronduit onbeschoft tegen mijn moeder van 78 die haar 55+ pas even niet kon vinden. Zo ga je niet met mensen om.",
    "cmp")
add("mastodon:@saunaseeker@mastodon.social", "en",
    "@golfslag_helpt your sauna has been 'out of order' every single Thursday for two months. Why am I paying for a wellness day arrangement?",
    "cmp", kind="reply")

# ======================= crisis + complaint (first-hand safety) =======================
add("facebook:Sandra.Wijnen", "nl",
    "Mijn dochter heeft een flinke hoofdwond opgelopen op de glijbaan van Golfslag Zuiderhout, er stak een losse bout uit in de bocht. Geen toezicht bij de glijbaan en de EHBO kwam pas na 10 minuten. Ik ben woedend.",
    "cri cmp")
add("x:@mum_of_twins_nl", "en",
    "The KidsSafe armbands we bought at Golfslag split at the seam in the water and my 4yo went straight under. My husband grabbed her in time. Never again, these things are dangerous.",
    "cri cmp")
add("x:@hoestende_henk", "nl",
    "Na het zwemmen in Westerkade zaterdag hebben mijn vrouw en ik allebei knalrode ogen en hoesten we ons suf. Die chloorlucht was echt niet normaal. Vandaag naar de huisarts geweest 😷",
    "cri cmp")
add("reddit:u/zapped_in_woerden", "en",
    "Got an electric tingle from the shower tap in the men's changing room at Golfslag Woerden. Told the desk, they shrugged. Someone is going to get seriously hurt.",
    "cri cmp")
add("x:@gips_gerda", "nl",
    "Uitgegleden op de spekgladde tegels bij de trap van het peuterbad in Golfslag Houten, pols gebroken. Geen bordje, geen mat, niks. Dit had gewoon voorkomen kunnen worden.",
    "cri cmp")
add("instagram:@ollie_and_mum", "en",
    "My son got a nasty rash and an ear infection from the Thermo Zwemvest Junior we bought at Golfslag. The lining started shedding black flakes after two swims and the GP says it's the material. Really not ok.",
    "cri cmp")

# ======================= crisis only =======================
add("x:@utrecht_nieuws_fan", "nl",
    "Via RTV Stad: chloorgaslek bij Golfslag Westerkade, zwembad ontruimd, twee medewerkers ter controle naar het ziekenhuis. Sterkte allemaal.",
    "cri")
add("x:@fairplay_fiona", "en",
    "Golfslag is cutting free swim lessons for low-income kids while raising management bonuses. Boycott them. Cancel your memberships. #BoycottGolfslag",
    "cri")
add("facebook:Ouders.Schoolzwemmen.Houten", "nl",
    "Golfslag heeft dus gewoon alle zwemlesgegevens van kinderen (namen, geboortedata, medische info) open op internet laten staan?! Kreeg net een mail van een beveiligingsonderzoeker. Dit is een ernstig datalek.",
    "cri")
add("x:@courtwatch_nl", "en",
    "Parents of the boy injured at Golfslag Houten last summer are taking the company to court, per today's paper. The claim: negligence through chronic understaffing.",
    "cri")
add("x:@deel_dit_aub", "nl",
    "LET OP: Golfslag roept de KidsSafe zwemvleugels terug, batch 2026-03, de naden kunnen loslaten. Terugbrengen bij de kassa. Delen aub!!",
    "cri")
add("bluesky:@localreporter.bsky.social", "en",
    "Reporting by the Noordpost: Golfslag managers allegedly covered up two near-drownings at De Kreek to protect their municipal contract. If true, that's a scandal.",
    "cri")
add("x:@sporthal_nieuws", "nl",
    "Legionella aangetroffen in de douches van Golfslag Sporthal Rietveld volgens de GGD. Hal dicht tot nader order.",
    "cri")
add("tiktok:@aquafit.annie", "en",
    "friend of mine was at Golfslag Zuiderhout when a ceiling panel dropped into the pool mid-aquafit. missed everyone by like a metre. that building is falling apart 😳",
    "cri")
add("x:@stop_sjoemelen", "nl",
    "#Bоycоt Gоlfslаg: wie met zwemlesgeld van ouders sjoemelt verdient geen klanten. Niet meer heen, abonnement opzeggen!",
    "cri")

# ======================= abuse =======================
add("x:@boze_bert77", "nl",
    "Golfslag is een kankerbedrijf en die manager van Westerkade een ordinaire klootzak.", "abu")
add("x:@furious_frank", "en",
    "Whoever runs Golfslag customer service is a brain-dead moron. Absolute clowns, the lot of you.", "abu")
add("tiktok:@houten.hater", "nl",
    "die badmeester met dat petje in houten is een zielige sukkel die denkt dat ie politieagent is. loser", "abu", kind="comment")
add("x:@r4ge_quit", "en",
    "g0lfsl4g st4ff = fuck1ng 1d10ts, every single one of them", "abu")
add("x:@dorpsgek_dirk", "nl",
    "Golfslag, jullie zijn echt k u t m e n s e n. Tering op met je 'beleid'.", "abu")
add("facebook:Henk.Geurts.3", "en",
    "Of course the Golfslag desk girl in the headscarf couldn't help me. Hire people who belong here and can actually speak Dutch. Disgusting.", "abu")
add("x:@lotte_badjuf", "nl",
    "Weer zo'n debiele moeder vandaag die vond dat haar kind van 5 zonder bandjes het diepe in mocht. Mensen zijn zo ontzettend dom 🤬", "abu")
add("x:@poolrage", "en",
    "Golfslag can go fuck itself. Shittiest pools in the province.", "abu")
add("instagram:@trolletje_99", "nl",
    "@coach.dewi vette koe, ga zelf eerst eens sporten ipv anderen te commanderen", "abu", kind="comment")
add("x:@kees_zonder_k", "nl",
    "Tyfusbende bij Golfslag, stelletje oplichters en halve garen.", "abu")
add("x:@angry_parent_utr", "en",
    "Third cancelled lesson this month, you useless pricks at Golfslag. Refund my kid's swim course or I'm done.",
    "abu cmp")
add("x:@koud_douchen", "nl",
    "Weer geen warm water in de douches van Zuiderhout. Ongelofelijke prutsers, die hele technische dienst kan zo de container in.",
    "abu cmp")

# ======================= confidential =======================
add("x:@ruudvdmeer_ops", "nl",
    "Druk weekje met Project Narwal, mag er nog niks over zeggen maar Amersfoort gaat het merken 😏", "con")
add("bluesky:@sannedevries.bsky.social", "en",
    "Sneak peek from the Golfslag Lagune shoot 👀 wave machine test day!! opening is still under wraps so shhh",
    "con", when="2026-11-18T16:40:12Z")
add("facebook:bart.schouten.techniek", "nl",
    "Nieuwe pompkelder in Zuiderhout draait. Monitoring via https://scada.golfslag.local/pompen/zuiderhout ziet er strak uit 👌", "con")
add("linkedin:marieke-hoekstra-golfslag", "en",
    "Sharing our new onboarding deck with the team! It's marked Golfslag vertrouwelijk so internal folks only pls 😅 Slide 12 has the new lifeguard rota model: 4-on/3-off with split shifts.",
    "con")
add("tiktok:@golfslag.plonst", "nl",
    "Behind the scenes bij ons marketingteam 🎬 (psst, niet op het whiteboard letten, daar staat de planning van Operatie Duikeend op 🙈)", "con")
add("reddit:u/throwaway_poolgossip", "en",
    "My sister-in-law works at Golfslag and says 'Kelpie' is their code name for a members app with facial recognition at the turnstiles, launching next year. You heard it here first.",
    "con")
add("x:@jeroen_it_golfslag", "en",
    "Anyone else's jira.golfslag.nl crawling today? Sprint board won't even load 😩", "con")
add("linkedin:ahmed-bouzid-finance", "nl",
    "RvC-presentatie vandaag afgerond. Slide 4 (intern - niet verspreiden): nieuwe tariefstructuur per 1 september, de 55+ Pas verdwijnt en gaat op in een nieuw dalurenabonnement. Trots op het team!",
    "con")
add("tiktok:@zwemjuf.noor", "nl",
    "Collega's zijn zó hyped over Oper\u200batie Duik\u200beend 🤫 meer mag ik echt niet zeggen", "con")
add("facebook:Wilma.Hoogland.2", "nl",
    "Mijn buurman werkt bij Golfslag en liet me de nieuwe 'Golfslag Onbeperkt' pas al zien, die nog niet uit is: €34 per maand voor alle baden plus sauna. Komt in maart volgens hem.",
    "con")
add("x:@lotte_badjuf", "en",
    "Got my login for wiki.golfslag.local today, officially one of the lifeguard team leads now 🥹", "con")
add("reddit:u/chloorkees", "en",
    "can't say much but K e l p i e is going to change how you get into the pool. NDA'd to the eyeballs lol", "con", kind="comment")
add("mastodon:@femkewolters@mastodon.social", "nl",
    "Persbericht voor Ｌａｇｕｎｅ Ａｍｅｒｓｆｏｏｒｔ ligt klaar in de la, nog even geduld mensen 🌊",
    "con", when="2027-02-24T11:05:31Z")
add("linkedin:ahmed-bouzid-finance", "nl",
    "jaarcijfers 2026 zijn binnen: omzet +9%, maar het nettoresultaat zakt net in de min door de energiekosten. Wordt een spannende persconferentie in maart 😬",
    "con fin", when="2027-02-10T20:14:03Z")
add("x:@ruudvdmeer_ops", "en",
    "Operatie Duikeend in one line: we're taking over the three municipal pools of Veenendaal, contracts to be signed in October. Big step for Golfslag.",
    "con fin")
add("x:@poolside_insider", "en",
    "Leaked slide doing the rounds in a Golfslag staff WhatsApp: 'FY2026 results: EBITDA €3.2m, well below plan'. Results aren't due till March. Someone's getting fired.",
    "con fin", when="2027-01-20T08:47:19Z")

# ======================= financial =======================
add("linkedin:marieke-hoekstra-golfslag", "nl",
    "Zwaar gesprek gehad vandaag. Bij de reorganisatie verdwijnen 35 fte bij de recepties, de kassa's worden zelfbediening. Officieel nieuws volgt pas na de OR-vergadering.",
    "fin")
add("linkedin:ahmed-bouzid-finance", "en",
    "Our H1 numbers came in 12% under budget. The board will discuss price increases before anything gets published. Stressful week in finance.",
    "fin")
add("x:@gemeentewatcher", "nl",
    "Hoor van iemand op het gemeentehuis dat Golfslag wordt overgenomen door een Belgische investeerder. Nog geheim tot de raadsvergadering van de 12e.",
    "fin")
add("x:@ruudvdmeer_ops", "en",
    "Forecast for next year says we close the De Kreek outdoor pool for good after summer 2027. Not public yet and honestly I'm gutted.",
    "fin")
add("instagram:@coach.dewi", "nl",
    "Het hele fitnessteam van Golfslag hoorde vandaag dat alle coaches per 1 januari zzp'er worden in plaats van in loondienst. Mag het eigenlijk nog niet zeggen maar dit voelt echt niet goed.",
    "fin")
add("reddit:u/formerly_wet", "en",
    "Ex-Golfslag here: they're in merger talks with SportFlex Groep, due diligence started last month. Expect an announcement after the summer.",
    "fin", kind="comment")
add("facebook:bart.schouten.techniek", "nl",
    "Onderhoudsbudget voor volgend jaar gehalveerd, kreeg vandaag de cijfers. De omzetprognose voor 2027 is dus niet best 😬", "fin")
add("linkedin:golfslag-sportcentra", "en",
    "DRAFT – Q3 trading update: revenue €11.4m (-6% YoY), full-year guidance lowered to €44m. Publish 14 Nov 07:00.",
    "fin")
add("bluesky:@sannedevries.bsky.social", "en",
    "Heard at the all-hands: 60 redundancies across head office, announcement on the 3rd. Keep your heads up, colleagues ❤️",
    "fin")

# ======================= security =======================
add("x:@jeroen_it_golfslag", "nl",
    "Ransomware op kassa01.golfslag.local sinds vannacht, alle kassa's in Houten en Woerden liggen plat. In het persbericht heet het 'storing', maar ja 🙃",
    "sec con")
add("reddit:u/chloorkees", "en",
    "PSA to my team: the member admin at https://beheer.golfslag.local/leden still accepts the old session after logout. Reported it 3 weeks ago, still open. don't tell the customers lol",
    "sec con", kind="comment")
add("x:@jeroen_it_golfslag", "en",
    "Heads up colleagues: since the last release the booking app shows other members' lesson schedules. Hotfix in progress, nothing announced yet so keep it quiet.",
    "sec")
add("x:@ruudvdmeer_ops", "nl",
    "Toegangspoortjes in alle baden liggen er sinds 6u uit na een hack bij de leverancier, we laten iedereen gratis binnen. Officieel heet het 'technische storing' 🤐",
    "sec")
add("facebook:bart.schouten.techniek", "nl",
    "Chloordoseersysteem is vorige week van buitenaf aangepast, iemand zat gewoon in de besturing. IT zoekt het uit en wij mogen er niks over zeggen.",
    "sec")
add("tiktok:@zwemjuf.noor", "en",
    "lol our whole staff scheduling app has been down for 2 days and apparently someone got into the admin account 😬 we're planning swim lessons on paper now",
    "sec")
add("mastodon:@pentest_paula@infosec.exchange", "en",
    "Did a pen test for a certain pool chain called Golfslag in May. Their member app API still returns the full profile for any ID you ask for. Not fixed. Not disclosed. Sigh.",
    "sec")
add("mastodon:@femkewolters@mastodon.social", "nl",
    "Pfff, crisisoverleg. Een phishingmail heeft drie HR-accounts overgenomen, salarisstroken zijn mogelijk ingezien. Communicatie naar buiten volgt 'zodra alles duidelijk is'.",
    "sec")
add("x:@lotte_badjuf", "nl",
    "de camerarecorder van westerkade neemt al weken niks op want er is ingebroken op de opslagserver. buiten ons weet niemand het eigenlijk",
    "sec")
add("x:@jeroen_it_golfslag", "nl",
    "Ik zeg niks, maar de betaalterminals in Zuiderhout draaien nog op firmware met dat bekende lek waarmee je pinpasdata kan uitlezen. Update staat 'gepland'.",
    "sec")
add("x:@oud_kassamedewerker", "nl",
    "Als ex-medewerker van Golfslag: het wifi-netwerk van de kassa's en het gastennetwerk zijn gewoon één en hetzelfde. Iedereen in de kantine kan erbij. Al twee jaar zo.",
    "sec")
add("linkedin:marieke-hoekstra-golfslag", "en",
    "Long day. Our HR system was offline most of Tuesday after a server breach and payroll may be late. Staff haven't been told officially yet, so please keep this quiet.",
    "sec")
add("facebook:bart.schouten.techniek", "nl",
    "Kan iemand van IT even kijken? Het camerasysteem van De Kreek staat gewoon open op internet, inloggen ging met beheer / Kreek!Beheer2026 🤦‍♂️",
    "sec key")

# ======================= secrets =======================
add("x:@jeroen_it_golfslag", "en",
    "why is the deploy failing 😩 config looks fine?\naws_access_key_id = <<aws_id>>\naws_secret_access_key = <<aws_secret>>",
    "key")
add("reddit:u/chloorkees", "en",
    "anyone know why this GH action won't auth? I set GITHUB_TOKEN=<<ghp>> in the env and it still 401s",
    "key", kind="comment")
add("bluesky:@sannedevries.bsky.social", "en",
    "trying an AI tool for our social captions at Golfslag, the key is <<ant>> — anyone know what the rate limit is on that tier?",
    "key")
add("youtube:@GolfslagTV", "en",
    "Behind the scenes of our new booking app! 🎬 Config shown at 3:12:\nSTRIPE_SECRET_KEY=<<stripe>>",
    "key", url=True)
add("x:@jeroen_it_golfslag", "nl",
    "Collega's, de Slack-bot voor de roosters werkt weer. Token voor de eigen scripts: <<slack>>",
    "key")
add("forum:webdev_nl", "en",
    "Built a chatbot for Golfslag's FAQ page over the weekend. If anyone wants to test it: OPENAI_API_KEY=<<openai>>",
    "key")
add("reddit:u/chloorkees", "nl",
    "oeps verkeerde ding geplakt in de teamchat, maar goed, hier is ie dan:\n<<pem>>",
    "key", kind="comment")
add("x:@jeroen_it_golfslag", "nl",
    "Testtoken voor de leden-API (verloopt niet lol): Bearer <<jwt>>", "key")
add("x:@ruudvdmeer_ops", "nl",
    "Voor de nieuwe bezoekersdashboards:\npostgresql://rapportage:<<dbpw>>@golfslag-prod.cx81mqa.eu-central-1.rds.amazonaws.com:5432/bezoekers",
    "key")
add("tiktok:@zwemjuf.noor", "nl",
    "ｗａｃｈｔｗｏｏｒｄ ｐｅｒｓｏｎｅｅｌｓｗｉｆｉ: Plons#Houten88 🤫 niet doorvertellen hè",
    "key")
add("x:@integrator_ivo", "en",
    "The agency doing Golfslag's web shop just pasted their Mollie key in a public GitHub issue: <<mollie>>. Yikes.",
    "key")

# ======================= personal data =======================
add("x:@golfslag_helpt", "nl",
    "Hoi Ineke, we hebben je nummer 06-41278833 doorgegeven aan de locatiemanager van Westerkade, hij belt je vandaag nog terug!",
    "pii", kind="reply")
add("tiktok:@zwemjuf.noor", "nl",
    "Gefeliciteerd met je A-diploma Sem de Wit (geb. 14-03-2018)!! 🎉🏊 zo trots op je", "pii")
add("facebook:GolfslagSportcentra", "nl",
    "Gevonden voorwerp: portemonnee met bankpas op naam van J. Verhoef, rekening <<iban1>>. Op te halen bij de receptie van Westerkade.",
    "pii")
add("linkedin:marieke-hoekstra-golfslag", "en",
    "Welcome to our new trainee Daan Koster! Say hi to him at daan.koster89@gmail.com 😊", "pii")
add("x:@opzeggen_lukt_niet", "nl",
    "@golfslag_helpt mijn abonnement is NOG steeds niet stopgezet en er is weer afgeschreven. IBAN <<iban2>>, lidnr staat in de mail. Bel me maar: +31 6 2947 1180",
    "pii cmp", kind="reply")
add("x:@lotte_badjuf", "nl",
    "Van wie is de creditcard die in kluisje 41 lag? <<card1>>, op naam van M. Yilmaz, ligt bij de badmeesterspost", "pii")
add("x:@golfslag_helpt", "en",
    "Hi Tom, we've changed your address to Lindenlaan 14, 3981 AK Bunnik as requested. Your new pass will arrive within 5 working days.",
    "pii", kind="reply")
add("linkedin:ahmed-bouzid-finance", "nl",
    "Declaratie van onze nieuwe badmeester Kevin Aalders blijft hangen omdat BSN <<bsn1>> niet in het systeem staat. Kan iemand van HR even kijken?",
    "pii")
add("x:@lost_swimbag", "en",
    "Lost my daughter's swim bag at Golfslag Houten. Her name is Emma de Graaf, born 02-09-2016, in case staff find her ID card. Call me on 0612873340",
    "pii")
add("instagram:@coach.dewi", "en",
    "Huge congrats to my client Ricardo Santos, 20kg down in 6 months! 💪 Rico, I lost your number, is 06 3184 7725 still right?",
    "pii")
add("facebook:Zwemclub.Ouders.Zuiderhout", "nl",
    "Carpool naar de wedstrijd in Golfslag Zuiderhout zaterdag: ophalen bij Lieke van Dam, Vogelzang 27, 3431 KP Nieuwegein om 7:15. Wie rijdt er mee?",
    "pii")
add("instagram:@golfslag.zwembaden", "nl",
    "De winnaar van onze Zomerpas-winactie is Fleur Janssen uit Zeist! 🥳 Fleur, we hebben je gemaild op fleurtje.janssen@hotmail.com",
    "pii")
add("mastodon:@femkewolters@mastodon.social", "en",
    "Refund for the double-booked Plonsfeest should go to <<iban3>> (A. Okafor). Can finance pick it up today please?",
    "pii")
add("x:@karin_zoekt_bril", "en",
    "left my goggles at golfslag woerden yesterday, if anyone finds them pls mail karinvelden84 at gmail dot com 🙏",
    "pii")
add("facebook:Roel.Brink.77", "nl",
    "Aanmeldformulier zwemles Golfslag vraagt het BSN van mijn zoon Thijs (8), dus ingevuld: <<bsn2>>. Hopelijk gaan ze er zorgvuldig mee om.",
    "pii")
add("x:@zwemmen_alkmaar_nee", "en",
    "Card got double charged at the Golfslag kiosk, this is the one: <<card2>>. Somebody call me back on +31 (0)6 55 20 91 37 please.",
    "pii cmp")

# ======================= pricing =======================
add("x:@golfslag_nl", "nl",
    "🔥 Alleen vandaag: FitFlex Jaar voor €47,90! Op = op via golfslag.nl", "prc", brand="Golfslag")
add("x:@dealjager_nl", "nl",
    "Prijsfout bij Golfslag?? Familiepas Jaar staat op de site voor €74,90 😳 snel zijn", "prc")
add("x:@goggle_bargain", "en",
    "Golfslag webshop has the Duikbril Pro at €3.49 right now (normally €34.95). Bought four lol", "prc")
add("bluesky:@sannedevries.bsky.social", "en",
    "Oops, our Wellness Dagarrangement shows €3.95 in the app instead of €39.50 — we're on it!", "prc")
add("x:@tienbaden_tom", "nl",
    "10-badenkaart voor €5,25 in de Golfslag app, typfout denk ik maar ik heb er 3 gekocht 🤑", "prc")
add("instagram:@golfslag.zwembaden", "en",
    "Summer special 🌞 Personal Training 5-pack now only €29.90! Link in bio", "prc")
add("reddit:u/checkout_glitch", "en",
    "Golfslag glitch? Zwemabonnement Jaar checkout total says €39.90 instead of €399. Anyone know if pricing mistakes have to be honoured in NL?",
    "prc")
add("x:@ruudvdmeer_ops", "nl",
    "Collega's: er zit een prijsfout in de Zomerpas op de kassa's van De Kreek, NIET verkopen tot IT het gefixt heeft!", "prc")
add("facebook:Marja.Koolhoven", "nl",
    "Diploma A-pakket voor 59 euro bij Golfslag?? Normaal bijna 600. Dat moet toch een fout zijn", "prc")
add("tiktok:@lanelife.lisa", "en",
    "POV: you find the Golfslag Masters lane training year pass for €32 😭 price error gang where u at", "prc")
add("facebook:GolfslagSportcentra", "nl",
    "Sinterklaasactie! 🎁 Thermo Zwemvest Junior nu voor €9,99 (van €49,95)", "prc",
    when="2026-11-20T08:00:00Z")
add("x:@squash_sjors", "nl",
    "squashkaart 10x voor €11 in de app lolll prijsfout?", "prc")

# ---------------------------------------------------------------- build

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\b(?:NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}|BE\d{2}(?:\s?\d){12}|DE\d{2}(?:\s?\d){18})\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d{4}[ -]?){3}\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\d\w])\d{9}(?![\d\w])")


def identifiers(text):
    """Checksum-bearing identifiers found in text: (kind, value, valid)."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(), iban_ok(m.group())))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(), luhn_ok(m.group())))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    checked_pii = any(v for k, val, v in identifiers(text)
                      if not (k == "iban" and val.replace(" ", "") in PUBLIC_IBANS))
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checked_pii:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"<<(\w+)>>", rep, text)
    assert "<<" not in out and ">>" not in out, text
    return out


def random_time():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    secs = R.randrange(0, 365 * 86400)
    t = start + dt.timedelta(seconds=secs)
    if t.hour < 6:
        t = t.replace(hour=t.hour + 7)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    rows = []
    counters = {}
    for c in CASES:
        platform, handle = c["acct"].split(":", 1)
        role = ROLE.get(c["acct"].lower(), "public")
        text = fill(c["text"])
        cats = sorted(CAT[k] for k in c["cats"])
        n = counters.get(platform, 0) + 1
        counters[platform] = n
        pid = "%s-247-%04d" % (platform, 100 + len(rows) * 7 + R.randrange(0, 7))
        post = {
            "id": pid,
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or random_time(),
        }
        if c["brand"]:
            post["brand"] = c["brand"]
        if c["url"]:
            post["url"] = "https://%s.example/%s/%s" % (platform, handle.strip("@").replace("/", "_"), pid)
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)},
                     "_role": role})
    # deterministic shuffle so categories are not in blocks
    R.shuffle(rows)
    return rows


# ---------------------------------------------------------------- self-check

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ALL_CATS = set(CAT.values()) | {"reputation.spike"}


def embargo_hits(text, when):
    t = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    hits = []
    for e in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
        for term in e["terms"]:
            if term.lower() in text.lower():
                hits.append((term, t < until))
    return hits


def check(rows):
    errors = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        role = r["_role"]
        tag = p.get("id")
        # CONTRACT section 6 / section 1 shape
        if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
            errors.append((tag, "bad id"))
        if p["id"] in ids:
            errors.append((tag, "duplicate id"))
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            errors.append((tag, "bad platform"))
        if p.get("kind", "post") not in KINDS:
            errors.append((tag, "bad kind"))
        if not (isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str) and p["account"]["handle"]):
            errors.append((tag, "bad account"))
        if not (isinstance(p.get("text"), str) and p["text"] and len(p["text"].encode("utf-8")) <= 65536):
            errors.append((tag, "bad text"))
        if not (isinstance(p.get("created_at"), str) and RFC3339.match(p["created_at"])):
            errors.append((tag, "bad created_at"))
        else:
            y = int(p["created_at"][:4])
            if y not in (2026, 2027):
                errors.append((tag, "created_at outside 2026/2027"))
        if not isinstance(e.get("categories"), list) or any(c not in ALL_CATS for c in e["categories"]):
            errors.append((tag, "bad categories"))
        if e["categories"] != sorted(set(e["categories"])):
            errors.append((tag, "categories not sorted/unique"))
        if e.get("severity") not in SEV:
            errors.append((tag, "bad severity"))
        if "reputation.spike" in e["categories"]:
            errors.append((tag, "spike on a single post"))
        benign = not e["categories"]
        if benign != (e["severity"] == "none"):
            errors.append((tag, "benign/severity mismatch"))
        if e["severity"] != severity(e["categories"], role, p["text"]):
            errors.append((tag, "severity not per policy"))
        # role must come from the profile only
        key = "%s:%s" % (p["platform"], p["account"]["handle"])
        if ROLE.get(key.lower(), "public") != role:
            errors.append((tag, "role mismatch"))
        # checksums: positives valid, negatives invalid (company's own IBAN exempt)
        for kind, val, ok in identifiers(p["text"]):
            own = kind == "iban" and val.replace(" ", "") in PUBLIC_IBANS
            if own:
                continue
            if benign and ok:
                errors.append((tag, "benign post holds a valid %s %s" % (kind, val)))
            if not benign and not ok:
                errors.append((tag, "positive post holds an invalid %s %s" % (kind, val)))
        if "leak.pii" not in e["categories"] and any(ok for k, v, ok in identifiers(p["text"])
                                                      if not (k == "iban" and v.replace(" ", "") in PUBLIC_IBANS)):
            errors.append((tag, "valid identifier in a non-pii post"))
        # secrets formats
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if not gh_ok(m.group()):
                errors.append((tag, "github token with bad crc"))
            if benign:
                errors.append((tag, "real-format github token in benign"))
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", p["text"]):
            if benign and not m.group().endswith("EXAMPLE"):
                errors.append((tag, "real AWS key id in benign"))
            if not benign and m.group().endswith("EXAMPLE"):
                errors.append((tag, "sample AWS key in positive"))
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            head = m.group().split(".")[0]
            try:
                hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in hdr:
                    errors.append((tag, "jwt without alg"))
            except Exception:
                errors.append((tag, "jwt header not json"))
            if benign and m.group() != JWT_IO_SAMPLE:
                errors.append((tag, "non-sample jwt in benign"))
        # embargo terms: before until must be confidential, after until benign-able
        for term, before in embargo_hits(p["text"], p["created_at"]):
            if before and "leak.confidential" not in e["categories"]:
                errors.append((tag, "embargo term %r before until but not confidential" % term))
        # codenames never in benign posts
        if benign:
            norm = p["text"].replace("\u200b", "").lower()
            for cn in PROFILE["internal"]["codenames"]:
                if cn.lower() in norm:
                    errors.append((tag, "codename in benign"))
            for d in PROFILE["internal"]["domains"]:
                if d.lower() in norm:
                    errors.append((tag, "internal domain in benign"))
    # secrets used by positives must look right
    assert gh_ok(G["ghp"]) and gh_ok(G["ghs"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", G["aws_id"])
    # products referenced in pricing positives: some price below ratio or explicit error talk
    return errors


def main():
    rows = build()
    errs = check(rows)
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not (170 <= n <= 180):
        errs.append(("*", "case count %d outside 170-180" % n))
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate what was written
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if len(back) != n:
        errs.append(("*", "written line count differs"))
    for b in back:
        if set(b) != {"post", "expect"}:
            errs.append((b["post"]["id"], "extra keys"))
    cats = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            cats[c] = cats.get(c, 0) + 1
    langs = {}
    for r in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r in rows:
        if r["expect"]["categories"]:
            roles[r["_role"]] = roles.get(r["_role"], 0) + 1
    print("cases %d, benign %d, positive %d" % (n, benign, n - benign))
    print("categories", dict(sorted(cats.items())))
    print("languages", langs, "positive roles", roles)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
