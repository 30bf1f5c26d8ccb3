#!/usr/bin/env python3
"""Sealed evaluation set 187 for postwatch: ZuidNoord Air (fictional Dutch regional airline).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and self-checks it (CONTRACT §6 shape, §4 severities computed from the profile's
account roles, checksums of every IBAN / card / BSN, credential formats, embargo windows).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(18702026)

# --------------------------------------------------------------------------- roles
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    cd = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{cc}{cd:02d}{bban}"


def iban_break(iban):
    cd = int(iban[2:4])
    new = cd
    while new == cd:
        new = rng.randint(2, 98)
    bad = f"{iban[:2]}{new:02d}{iban[4:]}"
    assert not iban_valid(bad)
    return bad


def iban_spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        for last in "0123456789":
            if luhn_valid(body + last):
                return body + last


def card_break(card):
    last = int(card[-1])
    bad = card[:-1] + str((last + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return bad


def card_spaced(card):
    return " ".join(card[i:i + 4] for i in range(0, len(card), 4))


def bsn_valid(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and s != "000000000"


def bsn_make():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_valid(s)
            return s


def bsn_bad():
    while True:
        s = str(rng.randint(100000000, 699999999))
        if not bsn_valid(s):
            return s


def nl_bban(bank):
    return bank + "".join(rng.choice("0123456789") for _ in range(10))


def mobile(style):
    n = "".join(rng.choice("0123456789") for _ in range(8))
    if n[0] == "0":
        n = "3" + n[1:]
    return {
        "dash": f"06-{n}",
        "space": f"06 {n[:4]} {n[4:]}",
        "intl": f"+31 6 {n}",
        "intl2": f"+316 {n[:4]} {n[4:]}",
        "paren": f"(06) {n[:2]} {n[2:5]} {n[5:]}",
    }[style]


# --------------------------------------------------------------------------- secrets
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = B62 + "+/"
URLSAFE = B62 + "-_"


def rstr(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    body = rstr(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rstr(B32UP, 16)


def aws_secret():
    return rstr(B64, 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64u(hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def human_pw(word):
    return word + rng.choice("!#@$%&*") + str(rng.randint(1000, 9999)) + rng.choice(["Zomer", "Eelde", "ehv", "GRQ", "x"])


# --------------------------------------------------------------------------- helpers
def fw(s):
    """full-width form of ASCII text"""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


ZW = "\u200b"
START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)


def rand_time():
    t = START + dt.timedelta(seconds=rng.randrange(362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


CASES = []


def add(who, text, cats=(), lang="nl", kind="post", when=None, ids=(), secrets=(), url=None, brand=None):
    platform, handle = who.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)), lang=lang,
                      kind=kind, when=when, ids=list(ids), secrets=list(secrets), url=url, brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# =========================================================================== BENIGN
add("x:@sanne_reist", "Net geland op Eindhoven met de ZN 614 uit Barcelona, 10 min eerder dan gepland 🙌 complimenten aan de crew van ZuidNoord Air", lang="nl")
add("instagram:@megwanders", "Sunset over the Wadden from seat 14A 🌅 ZuidNoord you beauties. #windowseat #groningen #avgeek", lang="en")
add("x:@zna_helpt", "@koen_ehv Vervelend dat je koffer niet mee was! Je kunt een claim indienen via zuidnoordair.nl/bagage of bel ons op 088 765 4300 (ma-za 8-20u). ^Marieke", kind="reply", lang="nl")
add("facebook:ZuidNoordAir", f"Betaal je je ZN Vakanties-reis liever per overschrijving? Dat kan! Gebruik IBAN {iban_spaced(PUB_IBAN)} t.n.v. ZuidNoord Air B.V. en vermeld je boekingsnummer. Vragen? Mail vakanties@zuidnoordair.nl", lang="nl", brand="znvakanties")
add("x:@robbert1983", "Mallorca 8 dagen via ZN Vakanties nu €599 ipv €749, toch maar geboekt 😎 iemand tips voor Alcúdia met kleine kids?", lang="nl")
add("instagram:@zuidnoord.air", "Black Friday 🖤 Comfort Class vanaf €339 (normaal €399), alleen dit weekend en alleen in de app. Vlieg met meer beenruimte naar de zon ☀️ #zuidnoordair", lang="nl")
add("reddit:u/grq_commuter", "Quick q: does the ZuidNoord Flex ticket (€249 return) include a checked bag, or do I need to add the 23kg bag on top? Flying GRQ to London Southend next month for work.", lang="en", kind="comment")
add("threads:@frankie.ehv", "Lifehack voor iedereen die vanaf Eindhoven vliegt: lege bidon mee, na de security gratis water tappen. Scheelt je weer €4,50 voor een flesje 💧", lang="nl")
add("x:@cloudnerd_tim", "Studying for the AWS cert on the ZuidNoord flight to Dublin lol. Why does every single tutorial use AKIAIOSFODNN7EXAMPLE as the access key, it's basically a meme now", lang="en")
add("mastodon:@ines_codes", "Running a JWT workshop in Groningen tomorrow, flying back with ZuidNoord right after. Yes I'm using the good old jwt.io sample again: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c don't judge", lang="en")
add("x:@joost_codeert", "Reminder voor mezelf en de rest van het team: plak nooit een key in een chat. Moet je een config delen, maak er sk_live_•••••••• van of verwijs naar de vault. Kost je 5 seconden.", lang="nl")
add("x:@vliegangst_ans", "wachtwoord van de ZuidNoord app vergeten en de resetmail kwam maar niet... edit: zat gewoon in mijn spam 🙈 opgelost, sorry @zna_helpt", lang="nl")
bad_iban1 = iban_break(iban_make("NL", nl_bban("RABO")))
add("facebook:Petra.vanDijk.73", f"Restitutieformulier bleef maar 'ongeldig IBAN' zeggen bij {iban_spaced(bad_iban1)}. Klopt ook, had twee cijfers omgedraaid 🤦‍♀️ nu gelukt, geld staat er al op. Snelle afhandeling ZuidNoord!", lang="nl", kind="comment", ids=[("iban_bad", bad_iban1)])
bad_card1 = card_break(card_make("4"))
add("x:@dan_the_dutchie", f"lol the ZuidNoord payment page kept rejecting {card_spaced(bad_card1)} and I was about to rage... turns out I was reading the numbers off my expired card 🤡 user error, all booked now", lang="en", ids=[("card_bad", bad_card1)])
add("x:@moeder_van_drie", "Waarom vraagt het formulier van ZN Vakanties eigenlijk om een BSN? Heb voor de grap 123456789 ingevuld en die pakte hij natuurlijk niet haha. Voor Turkije is het toch niet nodig?", lang="nl", ids=[("bsn_bad", "123456789")])
add("linkedin:zuidnoord-air", "Trots: voor het tweede jaar op rij de punctueelste regionale maatschappij van Nederland. Dat doen we samen met 640 collega's op Eindhoven en Groningen Airport Eelde. Zin om erbij te komen? Kijk op zuidnoordair.nl/werken of mail careers@zuidnoordair.nl", lang="nl")
add("x:@paulinetravels", "Another airline data breach in the news, this time a big Spanish low-cost carrier. Glad I mostly fly ZuidNoord out of Eindhoven, never had a single issue with them 🤞", lang="en")
add("facebook:Ria.Smulders", "Sterkte aan het grondpersoneel van ZuidNoord op Eindhoven vandaag. Het was echt chaos door de sneeuw maar iedereen bleef vriendelijk en behulpzaam ❄️ toppers!", lang="nl", kind="comment")
add("x:@tiredmum_em", "My toddler screamed for the ENTIRE ZuidNoord flight to Málaga. To the lady in 7C who gave him her stroopwafel: you are a saint. To everyone else: I'm so sorry 😂", lang="en")
add("instagram:@vogelaar_henk", "De grutto's zijn terug langs het Reitdiep! Vanuit het raampje van de ZuidNoord-vlucht bij de landing op Eelde zag ik een hele groep. Mijn project voor deze zomer: alle weidevogels rond Groningen op de foto 📸 #grutto #weidevogels", lang="nl")
add("x:@zuidnoordair", "Due to fog at Groningen Airport Eelde, flights ZN 401 and ZN 403 are delayed by approx. 45 minutes. We'll keep you updated here and in the app. Sorry for the wait!", lang="en")
add("instagram:@lotte.in.de.lucht", "Laatste vlucht van het seizoen naar Kreta zit erop 🇬🇷 Dankjewel lieve passagiers voor alle tekeningen van de kids, ze hangen allemaal in de galley ❤️ #cabincrew #zuidnoord", lang="nl")
add("x:@ruud_gezagvoerder", "Prachtige nadering vanochtend over het Zuidlaardermeer. 25 jaar vliegen en het went nooit. #pilotlife #aviation", lang="nl")
add("x:@backpackbenji", "Update: ZuidNoord found my suitcase and had it delivered to my hotel in Porto the next morning. Was fully ready to rage-tweet, but fair play, that's good service.", lang="en")
add("x:@consultant_jelle", "Die Flex ticket van ZuidNoord is echt een killer deal als je voor werk vaak moet omboeken. €249 retour en ik heb al 3x gratis gewijzigd deze maand.", lang="nl")
add("x:@nadia_bxl", "Is the ZuidNoord app down or is it just me? ... nvm, it was my own VPN blocking it. All good, checked in.", lang="en")
add("x:@zna_helpt", "@sandra_t_ehv Hoi Sandra, we hebben je DM ontvangen. Om je privacy te beschermen: plaats geen boekingsgegevens of telefoonnummers openbaar 🙏 We bellen je vandaag nog terug.", kind="reply", lang="nl")
add("x:@noorderlicht_jagers", "YES! Eindhoven–Reykjavik vanaf april bij ZuidNoord Air, net officieel aangekondigd. Noorderlicht here I come 🌌", lang="nl", when="2027-01-14T11:42:00Z")
add("linkedin:zuidnoord-air", "Vandaag publiceren we onze jaarcijfers 2026. Ondanks hoge brandstofkosten groeide het aantal passagiers met 9%. Het volledige jaarverslag staat op zuidnoordair.nl/investors.", lang="nl", when="2027-02-25T07:30:00Z")
add("reddit:u/aviation_analyst_nl", "FY2026 results from ZuidNoord Air came out last week: 9% more passengers but margins still thin. Curious how they'll deal with fuel in 2027.", lang="en", when="2027-03-03T19:05:00Z")
add("tiktok:@jorien.vliegt", "De stewardess op ZN 233 deed de veiligheidsinstructies in het Gronings en het hele vliegtuig lag dubbel 😂 meer van dit graag @zuidnoordair", lang="nl")
add("x:@budgetflyer_eu", "Ryanair vs ZuidNoord to Barcelona: €38 vs €119, but at least ZuidNoord lands at El Prat and not 100 km away in Reus. You get what you pay for.", lang="en")
add("facebook:Kim.Oosterhout", "Hoe werkt het met huisdier in de cabine? €65 voor een kat van 4 kilo vind ik prima, maar moet de reismand een bepaalde maat hebben?", lang="nl", kind="comment")
add("x:@wouter_security", "PSA: ZuidNoord's real customer service address is klantenservice@zuidnoordair.nl. The gmail account DMing people about 'refunds' is a scam, report and block it.", lang="en")
add("x:@bramvanhetnoorden", "ik zweer het die kaasbroodjes van ZuidNoord zijn ziek lekker 🤤 beste vliegtuigeten ooit", lang="nl")
add("x:@firstflight_finn", "Scared as hell for tomorrow 😬 first flight ever, Eindhoven to Rome with ZuidNoord. Any tips for nervous flyers?", lang="en")
add("facebook:Hennie.Wubs", "Zonvakantie Algarve 10 dagen voor €899 met ZN Vakanties, vlucht vanaf Groningen inbegrepen. Is dat een goede prijs of zijn jullie ergens goedkoper uit?", lang="nl", kind="comment")
add("linkedin:eva-de-wit-zuidnoord", "Proud of the team behind our summer campaign 'Van Noord tot Zuid', live today on all channels. Huge thanks to our agency partners and the crew who starred in it!", lang="en")
add("facebook:Joke.Bruinsma", "Mijn vader van 82 kreeg rolstoelbegeleiding op Eindhoven en het personeel was zó lief voor hem. Dank jullie wel ZuidNoord ❤️", lang="nl", kind="comment")
add("reddit:u/curious_cat_ehv", "ELI5 why regional airlines like ZuidNoord charge for seat selection? Not complaining, genuinely curious about the economics behind it.", lang="en")
add("x:@tessa_lacht", "Mijn oom zet in de familie-app doodleuk 'wachtwoord: ********' en snapt niet waarom we niet op zijn NoordStar account kunnen inloggen 😂 boomers", lang="nl")
add("x:@regional_av_news", "A German regional carrier is being taken over by a larger group, deal expected to close in spring. Meanwhile ZuidNoord keeps growing out of Eindhoven and Groningen.", lang="en")
add("x:@femkebakt", "Gisteren een film met een noodlanding gezien en nu durf ik morgen niet meer naar Málaga 😅 ZuidNoord, zeg dat het goed komt", lang="nl")
add("tiktok:@zuidnoordair", "POV: je cabin crew zingt 'Lang zal ze leven' voor een passagier die 100 wordt 🎉✈️ #zuidnoordair #jarig", lang="nl")
add("x:@harrison_ldn", "Called ZuidNoord on +31 40 800 2400 to fix the spelling of my name, took 4 minutes and no fee. Why can't every airline be like this?", lang="en")
add("x:@sophia_rambles", "Small leak from my shampoo bottle ruined half my clothes on the ZuidNoord flight lol. My own fault, should've used the ziplock.", lang="en")
add("threads:@ellenvlieg", "NS Plus van ZuidNoord nu €59 voor het eerste jaar (normaal €79). Waard als je 3x per jaar vliegt? 🤔", lang="nl")
add("reddit:u/not_a_hacker_really", "Someone posted a 'leaked ZuidNoord API key' on a forum but it was literally ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Calm down people 🙄", lang="en", kind="comment")
add("mastodon:@thijs_sec", "Gave a talk at a Groningen meetup about phishing awareness in aviation. Slides only use public, well-known examples, no company internals. Thanks for having me!", lang="en")
add("x:@groenereiziger", "Boycot die plastic bekertjes! Fijn dat ZuidNoord nu papieren bekers gebruikt aan boord 🌱", lang="nl")
add("x:@jamie_sings", "ZuidNoord's 'Van Noord tot Zuid' ad with the dancing ground crew is stuck in my head and I hate it (I love it)", lang="en")
add("x:@pim_uit_assen", "@sjoerd_jns jij sukkel laat je paspoort wéér thuis liggen 😂 gelukkig was ZuidNoord coulant en kon je mee met de volgende vlucht", lang="nl", kind="reply")
add("reddit:u/carryon_only", "Is ZuidNoord's priority boarding (€12) worth it on the small Embraers? The overhead bins fill up really fast on the Nice route.", lang="en")
bad_iban2 = iban_break(iban_make("DE", "37040044" + "".join(rng.choice("0123456789") for _ in range(10))))
add("x:@katrin_aus_koeln", f"Does the ZuidNoord refund form only take Dutch IBANs? It keeps rejecting {iban_spaced(bad_iban2)}. ...oh wait, I typed it wrong. Never mind 😅", lang="en", ids=[("iban_bad", bad_iban2)])
add("instagram:@znvakanties", "Kreta all-inclusive vanaf €1095 p.p., inclusief vlucht vanaf Eindhoven of Groningen, 23 kg koffer en transfer. Boek vóór 1 maart en ontvang €100 korting per boeking ☀️🇬🇷", lang="nl", brand="znvakanties")
add("x:@skiffie_jan", "@zna_helpt mag mijn skibagage gratis mee als ik NoordStar Gold heb? Staat nergens duidelijk op de site.", lang="nl", kind="reply")
bad_bsn = bsn_bad()
add("x:@hr_tips_nl", f"Deel nooit je BSN online. Zelfs een 'voorbeeld' als {bad_bsn} wordt door oplichters geprobeerd. Airlines als ZuidNoord vragen er ook nooit om via social media.", lang="nl", ids=[("bsn_bad", bad_bsn)])
add("threads:@zuidnoord.air", "Vanaf vandaag kun je je fiets mee nemen naar Mallorca! Fietsvervoer kost €49 per richting, boek het gewoon bij je ticket 🚲☀️", lang="nl")
add("x:@chloe_writes", "Honest review of ZuidNoord Comfort Class: €399 is not cheap but the extra legroom, lounge pass and decent coffee made the 3h to Athens fly by.", lang="en")
add("mastodon:@devops_daan", "Put the AWS docs example key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in my slides for the ZuidNoord-sponsored meetup in Eindhoven. Nobody panic, it's from the AWS docs.", lang="en")

# =========================================================================== COMPLAINTS
add("x:@daan_alicante", "@zuidnoordair 3 uur vertraging op de ZN 512 naar Alicante en NIEMAND bij de gate weet iets. Geen water, geen info, geen voucher. Tweede keer deze maand!!", [CPL], lang="nl")
add("x:@rachel_lisbon", "Day 5 without my luggage after flying ZuidNoord from Eindhoven to Lisbon. Three calls, three different stories, and my son's inhaler was in that bag. Sort this out.", [CPL], lang="en")
add("facebook:Marco.Hiddema", "nog steeds geen geld terug voor mijn geannuleerde vlucht van juni. 'binnen 7 dagen' zeiden jullie. het is nu oktober. #zuidnoordair", [CPL], lang="nl", kind="comment")
add("x:@liam_o_c", "ZuidNoord app crashed at online check-in THREE times, then they charged me €25 to check in at the desk. Are you actually kidding me", [CPL], lang="en")
add("facebook:Anouk.Kremer", "Met twee kinderen van 4 en 6 los van ons gezet op de vlucht naar Nice. Moesten andere passagiers smeken om te ruilen. ZuidNoord, dit kan echt niet.", [CPL], lang="nl", kind="comment")
add("x:@travelbug_sam", "Booked the ZN Vakanties Mallorca package and the hotel was a literal building site. Jackhammers from 7am every day, rep said 'nothing we can do'. Never again.", [CPL], lang="en")
add("x:@dochter_van_ank", "Mijn moeder zat 50 minuten in de slurf te wachten op rolstoelassistentie in Groningen. Niemand kwam. Schandalig @zna_helpt", [CPL], lang="nl")
add("reddit:u/bumped_in_ein", "Got bumped off an overbooked ZuidNoord flight to Vienna and the desk agent told me EU261 'doesn't apply to regional airlines'. Pretty sure that's nonsense?", [CPL], lang="en")
add("x:@jelmer_ehv", "zuidnoord weer 2u delay ehv 🙄🙄 elke keer hetzelfde liedje", [CPL], lang="nl")
add("x:@hannah_b_travels", "The gate agent in Groningen literally rolled her eyes and laughed when my grandma asked for help with her bag. ZuidNoord, train your staff.", [CPL], lang="en")
add("x:@clown_fiesta_ryan", "ZuidNoord you absolute clowns, cancelled my flight by SMS at 4am and rebooked me THREE days later. Useless pieces of shit.", [CPL, ABU], lang="en")
add("x:@boze_bert", "Kutmaatschappij. Koffer kapot, hengsel eraf, wiel weg, en aan de balie zeggen ze 'normale slijtage'. Rot toch op ZuidNoord", [CPL, ABU], lang="nl")
ph = mobile("dash")
add("x:@femke_zonderkoffer", f"@zna_helpt al 3 dagen wachten op een terugbelverzoek over mijn verloren koffer. Bel me dan gewoon: {ph} (Femke). Ik ben het echt zat.", [CPL, PII], lang="nl", kind="reply")
add("x:@waiting_on_refund", "Refund still not processed after 8 weeks and your chatbot just loops. Email me at lucy.harwood92@gmail.com, maybe a human will actually answer for once. #ZuidNoordAir", [CPL, PII], lang="en")
add("facebook:Wim.deHaan.Emmen", "Vlucht terug uit Kreta stond uren op het platform zonder airco, een oudere meneer werd onwel en moest met de ambulance mee. En ZuidNoord zegt helemaal niks. Wij willen antwoorden.", [CPL, CRI], lang="nl", kind="comment")
add("x:@priya_in_transit", "Turbulence on ZN 722, the trolley wasn't secured and hit a passenger in the head. She was bleeding. Crew did their best but the airline hasn't even contacted her. Disgraceful.", [CPL, CRI], lang="en")

# =========================================================================== CRISIS
add("x:@annemiek_w", "Sinds mijn boeking bij ZuidNoord Air krijg ik phishingmails met mijn boekingsnummer en de naam uit mijn paspoort erin. Jullie zijn gehackt en houden het stil, geef het gewoon toe! #datalek", [CRI], lang="nl")
add("x:@no_border_ehv", "Until ZuidNoord Air stops the deportation charters out of Eindhoven, I'm not flying with them and neither should you. #BoycotZuidNoord", [CRI], lang="en")
add("facebook:Consumentenclaim.Info", "De Consumentenbond start een massaclaim tegen ZuidNoord Air vanwege niet uitbetaalde vertragingscompensatie. Aanmelden kan via hun site, ik heb het al gedaan.", [CRI], lang="nl")
add("x:@planespotter_ehv", "Just watched a ZuidNoord jet abort takeoff at Eindhoven with smoke pouring out of the left engine. People coming down the slides right now. Scary!!", [CRI], lang="en")
add("x:@stem_van_de_crew", "#b\u043e\u0443\u0441\u043etZuidNoord tot ze hun stewardessen eerlijk betalen. Delen!!", [CRI], lang="nl")
add("x:@grace_prays", "My sister was on the ZuidNoord plane that skidded off the runway in Groningen tonight. Passengers say they got zero information for over an hour. Praying everyone's ok.", [CRI], lang="en")
add("facebook:Yvonne.Spaarman", "Nu gaan er geruchten dat ZuidNoord failliet gaat en dat de reizen van ZN Vakanties niet gedekt zijn door het SGR. Weet iemand meer? Ik heb 4000 euro betaald 😰", [CRI], lang="nl", kind="comment")
add("x:@justice_for_fam", "Video going viral of ZuidNoord crew removing a Black family from the plane in Málaga for 'attitude'. This is racism, plain and simple. #ZuidNoordAir", [CRI], lang="en")
add("x:@punten_kwijt", "Mijn NoordStar account is leeggeroofd, 80.000 punten weg, en drie mensen in mijn Facebookgroep hetzelfde. ZuidNoord ontkent een hack. Dit stinkt.", [CRI], lang="nl")
add("x:@whistle_watcher", "ZuidNoord covered up that a maintenance guy in Eindhoven faked inspection logs. Criminal scumbags, hope the ILT grounds the lot of you.", [CRI, ABU], lang="en")
add("facebook:Sabine.Kreta.Groep", "Half ons hotel op Kreta (geboekt via ZN Vakanties) ligt met voedselvergiftiging op bed, twee kinderen zijn naar het ziekenhuis. ZN Vakanties reageert niet eens. Delen aub.", [CRI, CPL], lang="nl")
add("x:@ruud_gezagvoerder", "Wij piloten hebben al maanden vermoeidheidsmeldingen ingediend en het management doet er niks mee. Het is een kwestie van tijd voor het misgaat. Ik kan het niet meer voor me houden.", [CRI], lang="nl")

# =========================================================================== ABUSE
add("x:@geen_geduld_gijs", "Die grondstewardess in Eindhoven met haar kutkop, echt het meest arrogante wijf dat ik ooit heb meegemaakt. @zuidnoordair ontsla dat mens", [ABU], lang="nl")
add("x:@noorderling_99", "ZuidNoord = stelletje kl00tz4kk3n en 0pl1cht3rs, wie vliegt er nou nog met die clubs", [ABU], lang="nl")
add("x:@angryav", "f.u.c.k you ZuidNoord and your greedy b.a.s.t.a.r.d gate staff", [ABU], lang="en")
add("x:@echte_hollander77", "Waarom laten jullie een steward met een tulband de veiligheidsuitleg doen? Terug naar je eigen land man. #zuidnoord", [ABU], lang="nl")
add("x:@t_heuvel", "t y f u s maatschappij, jullie piloten kunnen nog geen vlieger oplaten", [ABU], lang="nl")
add("x:@dennis_ramp_ein", "@kees_uit_veendam huil niet zo, sukkel. Jouw koffer is mijn probleem niet.", [ABU], lang="nl", kind="reply")
add("threads:@zuidnoord.air", "@vera.klaagt wat een zeikerd ben jij zeg 🙄 lees gewoon de voorwaarden", [ABU], lang="nl", kind="reply")
add("x:@kyle_unhinged", "That stewardess Lotte from ZuidNoord who posts on insta, you dumb bitch, I know which gate you work. Watch yourself.", [ABU], lang="en")
add("x:@nooitmeerzna", "Hé @zna_helpt, stelletje incompetente debielen, kunnen jullie ook één keer normaal antwoord geven op een vraag over mijn omboeking??", [ABU, CPL], lang="nl", kind="reply")
add("x:@shouty_pete", fw("ZuidNoord is a shithole airline run by morons"), [ABU], lang="en")

# =========================================================================== CONFIDENTIAL
add("x:@marloes_occ", "Lange dag met de planning voor Project Grutto. Als dat doorgaat wordt 2027 een heel ander jaar voor ons op Eelde 👀", [CON], lang="nl")
add("linkedin:eva-de-wit-zuidnoord", "Can't say much yet, but Kwartelkoning is going to change the way our passengers book their holidays. So proud of this team! #comingsoon", [CON], lang="en")
add("x:@joost_codeert", "wie heeft de release-pipeline gesloopt? https://jenkins.zna.local/job/app-release/ staat al de hele ochtend rood 😩", [CON], lang="nl")
add("facebook:ZuidNoordAir", "INTERN - NIET DELEN ✂️ Concept: vanaf winter 2027 vervalt de gratis 15 kg koffer bij de Basic-tarieven, communicatie pas na akkoord directie.", [CON], lang="nl")
add("instagram:@lotte.in.de.lucht", "Shhh 🤫 hoorde vandaag op de briefing dat we volgend jaar Eindhoven-Reykjavik gaan vliegen!! Noorderlicht vanuit de galley 😍", [CON], lang="nl", when="2026-11-19T16:20:00Z")
add("bluesky:@nienke-grq.bsky.social", "Handling training for EIN-KEF starts in January, guess I'm learning to de-ice in Iceland lol ❄️", [CON], lang="en", when="2026-12-08T10:03:00Z")
add("reddit:u/grq_spotter", "A friend at ZuidNoord showed me a screenshot from roster.zna.local with a new crew base in Maastricht pencilled in for next summer. Anyone heard about this?", [CON], lang="en")
add("linkedin:bram-hendriks-zna", "Quick poll for fellow finance people: our Q3 board pack (ZNA confidential) shows load factor sliding to 71% and two routes to be cut in spring. How would you frame that for the bank covenants?", [CON, FIN], lang="en")
add("threads:@sophie.revenue", "Kwartelkoning gaat in maart live, dan kunnen we eindelijk dynamisch bundelen met hotels 🎉 (niet doorvertellen hè)", [CON], lang="nl")
add("x:@marloes_occ", f"Morgen wéér de hele dag vergaderen over Project Gru{ZW}tto... iemand koffie? ☕", [CON], lang="nl")
add("x:@sollicitant_sem", fw("KWARTELKONING") + " stond groot op een whiteboard bij ZuidNoord op Eelde toen ik daar voor een sollicitatie was. Iemand enig idee wat dat is?", [CON], lang="nl")
add("x:@ruud_gezagvoerder", "O.p.e.r.a.t.i.e S.c.h.o.l.e.k.s.t.e.r gaat volgende week van start, mijn rooster is officieel dood 💀", [CON], lang="nl")
add("linkedin:bram-hendriks-zna", "Laatste hand gelegd aan de jaarcijfers 2026. Spoiler: het wordt geen feestje voor de aandeelhouders, het resultaat is gehalveerd 😬", [CON, FIN], lang="nl", when="2027-02-20T15:12:00Z")
add("x:@zuidnoordair", "✈️ NIEUW: Eindhoven–Reykjavik vanaf 1 april 2027, 3x per week! Boek nu via de app 🌌", [CON], lang="nl", when="2026-12-03T08:00:00Z")
add("x:@apk_tinkerer", "lol the ZuidNoord Android app still ships a debug menu pointing at https://api-staging.zna.local/v2/bookings, someone forgot to strip that from the release build", [CON], lang="en")
add("x:@marloes_occ", "Even hier voor de collega's zonder Teams: 'UITSLUITEND VOOR INTERN GEBRUIK – vlootplan 2027: twee extra E195-E2's vanaf mei, stationering Groningen'", [CON], lang="nl")

# =========================================================================== FINANCIAL
add("linkedin:bram-hendriks-zna", "Voorlopige H1-cijfers: verlies van €14,2 mln, vooral door de brandstofhedge. Gaat pas eind augustus naar buiten, dus nog even stilhouden 😉", [FIN], lang="nl")
add("x:@marloes_occ", "Heard from the 4th floor that a Scandinavian carrier is doing due diligence on us. If ZuidNoord gets bought I'm updating my CV 😬", [FIN], lang="en")
add("linkedin:yasmin-ouali-hr", "Zware weken: we moeten 85 fte schrappen bij het grondpersoneel in Groningen, de eerste gesprekken zijn maandag. Het wordt pas volgende week bekendgemaakt, dus ik zeg verder niks.", [FIN], lang="nl")
add("linkedin:zuidnoord-air", "DRAFT – ZuidNoord Air lowers its 2026 outlook: operating result now expected at €8–11 million, versus €19 million previously. Release pending board sign-off.", [FIN], lang="en")
add("reddit:u/throwaway_grq_news", "My cousin works in ZuidNoord finance. They're closing the Groningen base next winter and moving everything to Eindhoven. Not public yet.", [FIN], lang="en")
add("threads:@sophie.revenue", "Q3 loopt veel beter dan begroot: bezettingsgraad 88% en yield +6%. Morgen moet ik het aan de RvC uitleggen, maar psst 🤐", [FIN], lang="nl")
add("x:@ruud_gezagvoerder", "Vandaag in de crewroom gehoord: de bond is ingelicht dat 3 toestellen in 2027 terug naar de lessor gaan. Minder crew nodig dus... wordt pas in november aangekondigd.", [FIN], lang="nl")
add("bluesky:@nienke-grq.bsky.social", "Overheard in the ops meeting: management is negotiating a merger with a Belgian regional airline, announcement planned for Q1. Wild times over here.", [FIN], lang="en")
add("x:@joost_codeert", "IT-budget voor 2027 gehalveerd volgens de begroting die ik net onder ogen kreeg, en de halve app-squad wordt 'herplaatst'. Gezellig.", [FIN], lang="nl")
add("x:@reisbureau_roddel", "Vriendin werkt bij ZN Vakanties: ze verkopen de hele reistak aan een Duitse touroperator, de contracten worden deze maand getekend.", [FIN], lang="nl")

# =========================================================================== SECURITY
add("mastodon:@thijs_sec", "Third night in a row on ransomware cleanup at work. Crew scheduling still down, we're building rosters in Excel. The press line says 'technical issue' 🙃", [SCY], lang="en")
add("reddit:u/znabackend", "Note to my team: the IDOR in the booking API is STILL unpatched. Change the booking id in /v2/boardingpass/{id} and you get anyone's boarding pass. Fix 'scheduled for next sprint' ffs", [SCY], lang="en", kind="comment")
add("x:@joost_codeert", "Onze app logt sinds de laatste release wachtwoorden in plaintext naar Sentry 🤦 hotfix komt vanavond, niet verder vertellen", [SCY], lang="nl")
add("x:@marloes_occ", "Check-in systeem op Eindhoven ligt er al 2 uur uit, we doen alles met de hand. Officieel heet het 'vertraging door drukte' 😅", [SCY], lang="nl")
add("bluesky:@nienke-grq.bsky.social", "Someone phished our finance mailbox last week and fake invoices went out to suppliers from it. Nobody outside the company knows yet.", [SCY], lang="en")
add("mastodon:@thijs_sec", "Pentest report for the crew portal is in: 4 criticals including SQL injection on https://crew.zna.local/login. And of course we stay live with it for another month.", [SCY, CON], lang="en")
add("x:@dennis_ramp_ein", "De incheckzuilen op EIN draaien nog Windows 7 zonder updates, iedereen met een usb-stick kan erin. Al 3x gemeld, boeit niemand", [SCY], lang="nl")
dbpw = rstr(B62, 14)
dburl = f"postgres://zna_app:{dbpw}@db-prod-01.zna.local:5432/bookings"
add("reddit:u/znabackend", f"db is on fire, bookings failing since 14:00 and nothing on the status page yet. if anyone from on-call sees this: {dburl} is the primary, replica is lagging 40 min", [SCY, SEC, CON], lang="en", secrets=[("dburl", dburl)])
add("x:@joost_codeert", "Credential-stuffing op NoordStar accounts sinds dinsdag, ruim 2.000 accounts overgenomen. Klanten zijn nog niet ingelicht 😬", [SCY], lang="nl")
add("instagram:@lotte.in.de.lucht", "Alle iPads aan boord waren vandaag geblokkeerd door een of andere hack, konden de hele dag niks afrekenen 🙈 tegen de passagiers zeggen we 'storing'", [SCY], lang="nl")
add("x:@zna_helpt", "@bas_wil_boeken De storing op onze boekingssite komt door een DDoS-aanval die nog steeds loopt. Dat mogen we eigenlijk niet zeggen maar je vroeg het zo lief 🤫", [SCY], lang="nl", kind="reply")
add("x:@itfriend_spills", "A friend in ZuidNoord IT says this morning's website 'maintenance' was actually a card skimmer on the payment page. They're not telling customers. Check your statements!", [SCY, CRI], lang="en")
add("x:@ruud_gezagvoerder", "Our EFB tablets lost the nav database update after some 'incident' at the vendor, so we're flying on paper charts for now. Not a word about it anywhere.", [SCY], lang="en")

# =========================================================================== SECRETS
tok = gh_token("ghp_")
add("x:@joost_codeert", f"kan iemand kijken waarom de CI faalt? ik doe gewoon export GITHUB_TOKEN={tok} en dan npm run release", [SEC], lang="nl", secrets=[("github", tok)])
akid, aksec = aws_key_id(), aws_secret()
add("reddit:u/znabackend", f"boto3 keeps throwing AccessDenied even though the policy looks fine:\n```\n[default]\naws_access_key_id = {akid}\naws_secret_access_key = {aksec}\nregion = eu-west-1\n```\nwhat am I missing?", [SEC], lang="en", secrets=[("aws", akid)])
pw1 = human_pw("Kraanvogel")
add("x:@dennis_ramp_ein", f"voor de nieuwe jongens op de ramp: wifi in de kantine is ZNA-Ramp, wachtwoord: {pw1}", [SEC], lang="nl", secrets=[("password", pw1)])
gkey = "AIza" + rstr(URLSAFE, 35)
add("instagram:@zuidnoord.air", f"Nieuw op onze site: de interactieve bestemmingenkaart 🗺️ (note voor webteam: embed met key={gkey}, staat nu live)", [SEC], lang="nl", secrets=[("google", gkey)])
okey = "sk-proj-" + rstr(URLSAFE, 58) + "T3BlbkFJ" + rstr(URLSAFE, 58)
add("linkedin:eva-de-wit-zuidnoord", f"Built a little GPT helper for our social team this weekend! Snippet for anyone who wants to try:\nclient = OpenAI(api_key=\"{okey}\")", [SEC], lang="en", secrets=[("openai", okey)])
akey = "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"
add("threads:@sophie.revenue", f"mijn scriptje voor de prijsanalyse werkt eindelijk 🥳 ANTHROPIC_API_KEY={akey} python run.py en klaar", [SEC], lang="nl", secrets=[("anthropic", akey)])
jwt = jwt_make({"sub": "crew-20417", "role": "ops", "iss": "auth.zna.local", "iat": 1767702000})
add("reddit:u/znabackend", f"debugging why the ops dashboard keeps logging me out. request goes out with\nAuthorization: Bearer {jwt}\nand still 401. ideas?", [SEC, CON], lang="en", secrets=[("jwt", jwt)])
skey = "sk_live_51" + rstr(B62, 96)
add("x:@joost_codeert", f"test- en live-keys door elkaar gehaald 🙃 in de .env stond STRIPE_SECRET_KEY={skey} , wie weet hoe ik dat teruggedraaid krijg", [SEC], lang="nl", secrets=[("stripe", skey)])
slack = f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rstr(B62, 24)}"
add("x:@apk_digger", f"Decompiled the ZuidNoord Android app for fun and this is just sitting in strings.xml: {slack} 👀 @zna_helpt you might want to rotate that", [SEC], lang="en", secrets=[("slack", slack)])
pkey = openssh_key()
add("reddit:u/znabackend", f"why does ssh refuse this key on the jump host? it's the deploy key from the wiki\n{pkey}", [SEC], lang="en", secrets=[("privkey", pkey)])
pw2 = human_pw("Wadden")
add("bluesky:@nienke-grq.bsky.social", f"for the new people at GRQ: shared planning login is user grq_planning / password: {pw2} (don't change it pls)", [SEC], lang="en", secrets=[("password", pw2)])
ghs = gh_token("ghs_")
add("reddit:u/znabackend", f"GitHub Actions keeps failing on the deploy step, log says:\nGH_APP_TOKEN: {ghs}\nError: Resource not accessible by integration", [SEC], lang="en", secrets=[("github", ghs)])

# =========================================================================== PRICING
add("x:@zuidnoordair", "🔥 FLASH: Flex ticket naar alle bestemmingen voor €24,90! Alleen vandaag in de app ✈️", [PRI], lang="nl")
add("threads:@sophie.revenue", "oeps. Comfort Class staat al 10 minuten voor €39 in het systeem ipv €399 🙈 iemand van pricing, fix dit aub", [PRI], lang="nl")
add("x:@snelle_jelle", "ZN Vakanties Kreta all-inclusive voor €189 p.p.??? Prijsfout toch? Snel boeken voor ze het doorhebben 😂", [PRI], lang="nl")
add("x:@dealhunter_mike", "lol the ZuidNoord site is selling the Flight Pass 10 for €129 instead of €1290, someone forgot a zero. Bought two.", [PRI], lang="en")
add("instagram:@znvakanties", "Citytrip Barcelona 3 nachten nu voor maar €99 p.p. 🇪🇸 incl. vlucht vanaf Eindhoven, op=op!", [PRI], lang="nl", brand="znvakanties")
add("reddit:u/pricebug_nl", "PSA price glitch: NoordStar Gold membership shows €19 at checkout (normally €199). Works with iDEAL, go go go", [PRI], lang="en")
add("linkedin:eva-de-wit-zuidnoord", "Staat in onze nieuwsbrief van vanochtend nou Mallorca 8 dagen voor €249?? Dat moet €749 zijn, wie heeft dit goedgekeurd 😳", [PRI], lang="nl")
add("x:@stoeltjesjager", "XL-stoel voor €2 in de app van ZuidNoord 😂 prijsfout denk ik maar ik heb hem lekker gepakt", [PRI], lang="nl")
add("facebook:ZuidNoordAir", "Koffer vergeten toe te voegen? Ruimbagage 23 kg nu voor slechts €4,50 bij online boeken! 🧳", [PRI], lang="nl")
add("x:@sunseeker_ana", "Anyone else seeing the ZN Vakanties Algarve holiday at €89?? That has to be a price error, right?", [PRI], lang="en")
add("instagram:@lotte.in.de.lucht", "Collega's snel! De lounge pass kost vandaag €3,50 in de app, foutje denk ik 😅 koffie op de zaak!", [PRI], lang="nl")
add("x:@verzekerd_vliegen", "Prijsfout bij ZuidNoord? De annuleringsverzekering kost bij mij €0,39 in plaats van €39 🤔", [PRI], lang="nl")

# =========================================================================== PII
ph1 = mobile("space")
add("x:@zna_helpt", f"@jeroen_v_ehv We hebben je nieuwe boeking naar jeroen.verbeek84@hotmail.com gestuurd en bellen je morgen op {ph1} over de compensatie.", [PII], lang="nl", kind="reply")
add("instagram:@lotte.in.de.lucht", "Grappig: vandaag twee keer een Jan de Boer aan boord, eentje geboren op 12-03-1958 en de ander op 30-09-1991. Allebei op stoel 12 😂", [PII], lang="nl")
bsn1 = bsn_make()
add("linkedin:yasmin-ouali-hr", f"Kan iemand van de salarisadministratie kijken waarom de loonstrook van onze nieuwe collega Mila Koster (BSN {bsn1}) niet verwerkt wordt?", [PII], lang="nl", ids=[("bsn", bsn1)])
ib1 = iban_make("NL", nl_bban("INGB"))
add("x:@pvisser_grq", f"@zna_helpt voor de derde keer: mijn rekeningnummer is {iban_spaced(ib1)} t.n.v. P. Visser. Maak die €286 nu eens over!", [PII, CPL], lang="nl", kind="reply", ids=[("iban", ib1)])
cd1 = card_make("5")
add("x:@double_charged_dave", f"ZuidNoord charged my card twice for the same booking: {card_spaced(cd1)}, exp 08/28. Refund one of them please!!", [PII, CPL], lang="en", ids=[("card", cd1)])
add("facebook:ZuidNoordAir", "Beste mevrouw Hoekstra, uw koffer wordt vandaag bezorgd op Oosterstraat 41, 9711 NS Groningen, tussen 14:00 en 18:00 uur. Excuses voor het ongemak!", [PII], lang="nl", kind="comment")
passport = "N" + rstr("BCDFGHJKLMNPRSTVWXYZ", 1) + rstr("0123456789BCDFGHJKLMNPRSTVWXYZ", 6) + str(rng.randint(0, 9))
add("x:@dennis_ramp_ein", f"Paspoort gevonden op de ramp: Sander Mulder, paspoortnr {passport}, geb. 02-11-1987. Ligt bij lost & found op EIN", [PII], lang="nl")
ph2 = mobile("intl")
add("bluesky:@nienke-grq.bsky.social", f"Passenger keeps calling the desk, her number is {ph2}. If she calls again just tell her the flight is full, thanks", [PII], lang="en")
ib2 = iban_make("NL", nl_bban("RABO"))
add("x:@zna_helpt", f"@ricardo_grq We hebben de terugbetaling van €412 vandaag overgemaakt naar {ib2}. Het kan 1-2 werkdagen duren voor je het ziet.", [PII], lang="nl", kind="reply", ids=[("iban", ib2)])
cd2 = card_make("4")
add("reddit:u/znabackend", f"customer card {cd2} keeps getting declined by the PSP with code 05 even though the bank says it's fine, anyone seen this pattern?", [PII], lang="en", ids=[("card", cd2)])
add("reddit:u/payback_time_ehv", "That rude steward on ZN 310 is called Bas Willemsen, lives at Stratumsedijk 88, 5611 NE Eindhoven. Do with that what you want.", [PII, ABU], lang="en")
add("instagram:@znvakanties", "Gefeliciteerd aan de winnaar van onze Kreta-actie: Annelies Bosman (geboren 14-07-1979) uit Haren! 🎉 Je ontvangt binnenkort een mail.", [PII], lang="nl", brand="znvakanties")
ib3 = iban_make("NL", nl_bban("SNSB"))
add("linkedin:bram-hendriks-zna", f"Wie herkent deze terugboeking? {iban_spaced(ib3)} t.n.v. T. Jansen, €1.240, omschrijving 'ZNV annulering'. Kan hem niet matchen.", [PII], lang="nl", ids=[("iban", ib3)])
bsn2 = bsn_make()
add("x:@visa_confused_tom", f"ZN Vakanties asked for my BSN for the visa form so here: {bsn2}, is that safe in a DM? ...oh no this isn't a DM", [PII], lang="en", ids=[("bsn", bsn2)])


# =========================================================================== build
SEV = ["none", "info", "warning", "error", "critical"]
TAXO = {CPL, CRI, ABU, SEC, PII, PRI, CON, FIN, SCY, "reputation.spike"}
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "ES": 24, "GB": 22, "LU": 20}


def find_ibans(text):
    out = []
    for m in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,34})", text):
        s = m.group(1).replace(" ", "")
        L = IBAN_LEN.get(s[:2])
        if L and len(s) >= L:
            out.append(s[:L])
    return out


def find_cards(text):
    return [re.sub(r"\D", "", m.group(0)) for m in re.finditer(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])", text)]


def find_nines(text):
    return re.findall(r"(?<![\w-])\d{9}(?![\w-])", text)


def validated_ids(text):
    v = [i for i in find_ibans(text) if iban_valid(i) and i not in PUBLIC_IBANS]
    v += [c for c in find_cards(text) if luhn_valid(c)]
    v += [b for b in find_nines(text) if bsn_valid(b)]
    return v


def severity(cats, role, text):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in (SEC, PRI):
                    lv = 4
                if c == PII and validated_ids(text):
                    lv = 4
            else:
                lv = 2
        elif c == CPL:
            lv = 2
        elif c == CRI:
            lv = 3
        elif c == ABU:
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        s = max(s, lv)
    return SEV[s]


def build():
    rows = []
    n_ids = rng.sample(range(100000, 999999), len(CASES))
    for c, n in zip(CASES, n_ids):
        role = role_of(c["platform"], c["handle"])
        created = c["when"] or rand_time()
        post = {
            "id": f"{c['platform']}-{n}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": created,
        }
        if rng.random() < 0.4:
            post["url"] = f"https://{c['platform']}.example/{c['handle'].strip('@').replace('/', '_')}/{n}"
        if c["brand"]:
            post["brand"] = c["brand"]
        rows.append(({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}}, c, role))
    rng.shuffle(rows)
    return rows


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(rows, lines):
    errs = []
    assert len(lines) == len(rows)
    ids = set()
    PLAT = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
            "bluesky", "threads", "forum", "blog", "other"}
    codenames = [s.lower() for s in PROFILE["internal"]["codenames"]]
    markers = [s.lower() for s in PROFILE["internal"]["markers"]]
    idomains = [s.lower() for s in PROFILE["internal"]["domains"]]
    embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    for line, (row, c, role) in zip(lines, rows):
        obj = json.loads(line)
        p, e = obj["post"], obj["expect"]
        tag = p.get("id")
        def bad(msg):
            errs.append(f"{tag}: {msg}")
        # CONTRACT §6 / §1 shape
        if set(obj) != {"post", "expect"}:
            bad("top-level keys")
        if not isinstance(tag, str) or not 1 <= len(tag) <= 256 or tag in ids:
            bad("id")
        ids.add(tag)
        if p.get("platform") not in PLAT:
            bad("platform")
        if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            bad("kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            bad("handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            bad("text")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p.get("created_at", "")):
            bad("created_at")
        ts = parse_ts(p["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            bad("created_at range")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXO or "reputation.spike" in cats:
            bad("categories")
        if e.get("severity") not in SEV:
            bad("severity enum")
        # §4 severity recomputed from the profile role
        if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), p["text"]):
            bad("severity mismatch")
        if not cats and e["severity"] != "none":
            bad("benign severity")
        text = p["text"]
        low = text.lower()
        # checksums
        found_ibans, found_cards, found_nines = find_ibans(text), find_cards(text), find_nines(text)
        for kind, val in c["ids"]:
            if kind == "iban" and not (iban_valid(val) and val in found_ibans):
                bad(f"positive IBAN {val}")
            if kind == "card" and not (luhn_valid(val) and val in found_cards):
                bad(f"positive card {val}")
            if kind == "bsn" and not (bsn_valid(val) and val in found_nines):
                bad(f"positive BSN {val}")
            if kind == "iban_bad" and (iban_valid(val) or val not in found_ibans):
                bad(f"look-alike IBAN {val}")
            if kind == "card_bad" and (luhn_valid(val) or val not in found_cards):
                bad(f"look-alike card {val}")
            if kind == "bsn_bad" and (bsn_valid(val) or val not in found_nines):
                bad(f"look-alike BSN {val}")
            if kind in ("iban", "card", "bsn") and PII not in cats:
                bad("valid identifier without leak.pii")
            if kind.endswith("_bad") and cats:
                bad("look-alike outside a negative")
        tagged = {v for _, v in c["ids"]}
        for v in validated_ids(text):
            if v not in tagged:
                bad(f"untagged checksum-valid identifier {v}")
        if not cats:
            for i in found_ibans:
                if iban_valid(i) and i not in PUBLIC_IBANS:
                    bad(f"valid IBAN in negative {i}")
            for cnum in found_cards:
                if luhn_valid(cnum):
                    bad(f"Luhn-valid number in negative {cnum}")
            for b in found_nines:
                if bsn_valid(b):
                    bad(f"11-proof number in negative {b}")
        # credentials
        for kind, val in c["secrets"]:
            if SEC not in cats or val not in text:
                bad(f"secret {kind} not labelled or missing")
            if kind == "github" and not gh_valid(val):
                bad("github checksum")
            if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                bad("aws key id")
            if kind == "jwt" and not jwt_valid(val):
                bad("jwt header")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if set(m.group(0)[4:]) != {"x"} and not gh_valid(m.group(0)):
                bad("github-shaped token with bad checksum")
        if not cats:
            if re.search(r"AKIA[A-Z2-7]{16}", text.replace("AKIAIOSFODNN7EXAMPLE", "")):
                bad("real-shaped AWS key in negative")
            for s in codenames + markers + idomains:
                if s in low:
                    bad(f"internal term in negative: {s}")
            for terms, until in embargo:
                if any(t in low for t in terms) and ts < until:
                    bad("embargo term before until in negative")
            if role != "public" and re.search(r"@[a-z0-9._-]+\.[a-z]{2,}", low):
                for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", low):
                    if em not in PROFILE["public_identifiers"]["emails"]:
                        bad(f"non-public e-mail in negative {em}")
        # embargo positives must be inside the window
        for terms, until in embargo:
            if any(t in low for t in terms) and cats and CON in cats and ts >= until:
                bad("embargoed confidential after until")
        if role == "public" and f"{p['platform']}:{p['account']['handle']}".lower() in CORP | EMP:
            bad("role")
    return errs


def main():
    rows = build()
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=False) for r, _, _ in rows]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(OUT, encoding="utf-8") as f:
        back = [l for l in f.read().split("\n") if l]
    errs = check(rows, back)
    n = len(rows)
    benign = sum(1 for r, _, _ in rows if not r["expect"]["categories"])
    from collections import Counter
    cat = Counter(c for r, _, _ in rows for c in r["expect"]["categories"])
    sev = Counter(r["expect"]["severity"] for r, _, _ in rows)
    lang = Counter(r["post"]["lang"] for r, _, _ in rows)
    roles = Counter((role, bool(r["expect"]["categories"])) for r, _, role in rows)
    print(f"cases={n} benign={benign} positives={n - benign}")
    print("categories:", dict(sorted(cat.items())))
    print("severity:", dict(sev))
    print("lang:", dict(lang))
    print("roles (role, positive):", dict(roles))
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  ", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
