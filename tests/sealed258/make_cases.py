#!/usr/bin/env python3
"""Build the sealed258 evaluation set for postwatch (Klankhof Muziekschool).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials (with their real checksums). Writes cases.jsonl next to this file
and self-checks it; exits non-zero if any check fails.
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
rng = random.Random(258)

# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_valid(iban)
    return iban


def bad_iban(bank):
    while True:
        good = make_iban(bank)
        pos = rng.randrange(8, len(good))
        repl = rng.choice([d for d in string.digits if d != good[pos]])
        bad = good[:pos] + repl + good[pos + 1:]
        if not iban_valid(bad):
            return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
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
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    bad = good[:-1] + str(last)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "000000000":
        return False
    d = [int(c) for c in s]
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        chk = sum(d[i] * (9 - i) for i in range(8)) % 11
        if chk <= 9:
            s = "".join(map(str, d)) + str(chk)
            assert bsn_valid(s)
            return s


def bad_bsn():
    while True:
        s = make_bsn()
        s2 = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
        if not bsn_valid(s2):
            return s2

# ---------------------------------------------------------------- credentials

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase   # 0-9A-Za-z
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "docent-4471", "name": "Mirjam de Wit", "role": "teacher",
                            "iat": 1772521200, "exp": 1772607600}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def make_pem():
    der = bytes.fromhex("308204a30201000282010100") + bytes(rng.getrandbits(8) for _ in range(1179))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


V = {}
V["CO_IBAN"] = group4(PROFILE["public_identifiers"]["ibans"][0])
V["IBAN_P1"] = group4(make_iban("INGB"))
V["IBAN_P2"] = make_iban("ABNA")
V["IBAN_P3"] = group4(make_iban("RABO"))
V["IBAN_BAD1"] = group4(bad_iban("RABO"))
V["IBAN_BAD2"] = bad_iban("TRIO")
V["CARD1"] = group4(make_card("4"))
V["CARD2"] = "-".join(group4(make_card("5" + str(rng.randint(1, 5)))).split(" "))
V["CARD_BAD1"] = group4(bad_card("4"))
V["BSN1"] = make_bsn()
V["BSN2_FW"] = fullwidth(make_bsn())
V["BSN_BAD1"] = bad_bsn()
V["GH1"] = gh_token("ghp_")
V["GH2"] = gh_token("gho_")
V["AWS_ID"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
V["AWS_SECRET"] = rand(ALNUM + "/+", 40)
V["PW1"] = rand(ALNUM, 5) + "#" + rand(ALNUM, 4) + "!" + rand(string.digits, 3)
V["DBPW"] = rand(ALNUM, 18)
V["STRIPE"] = "sk_live_51" + rand(ALNUM, 97)
V["SLACK"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rand(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
V["MOLLIE"] = "live_" + rand(ALNUM, 30)
V["GKEY"] = "AIza" + rand(B64URL, 35)
V["JWT"] = make_jwt()
V["PEM"] = make_pem()

GENERATED_SECRETS = ["GH1", "GH2", "AWS_ID", "AWS_SECRET", "PW1", "DBPW", "STRIPE", "SLACK",
                     "OPENAI", "ANTHROPIC", "MOLLIE", "GKEY", "JWT", "PEM"]

# ---------------------------------------------------------------- cases

CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "con": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "sct": "leak.secret", "prc": "leak.pricing", "pii": "leak.pii",
}
CASES = []


def C(acct, lang, text, cats=(), kind="post", at=None, prices=(), talk=False):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(CAT[c] for c in cats), kind=kind, at=at,
                      prices=list(prices), talk=talk))

# ======================= benign (hard negatives mostly) =======================
C("facebook:KlankhofMuziekschool", "nl", "Open dag zaterdag 14 maart in al onze vestigingen! 🎹🎸 Gratis proeflesje piano of gitaar, koffie en ranja staan klaar. Vragen? Mail info@klankhof.nl of bel 030 760 4420.", at="2026-03-02T10:00:00+01:00")
C("instagram:@klankhof.muziekschool", "nl", "Voorjaarsactie 🌷 De Folk 40 akoestische gitaar nu €189 i.p.v. €229. Inclusief gratis stemapparaat zolang de voorraad strekt. Link in bio!", prices=[("Folk 40", 189)])
C("x:@pianomama_utrecht", "nl", "Dochterlief (8) speelt na een jaar Pianojaar bij juf Esther al de eerste regels van Für Elise 🥹 trots!!")
C("x:@gitaarheld99", "en", "My neighbours now officially call my guitar practice a 'safety hazard' 😂 lesson 5 at Klankhof next week, surely it gets better from here")
C("reddit:u/strumbling", "en", "PSA for Utrecht folks: a music school in Rotterdam (not Klankhof, to be clear) went bankrupt and students lost their prepaid lessons. Always ask how your money is held before paying a full year upfront.")
C("bluesky:@kees-devops.bsky.social", "en", "Reminder when writing docs: use the AWS sample pair AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in examples, never anything real. Reviewed three PRs today that got this right 👍")
C("x:@bas_ops_kh", "nl", "Token geroteerd zoals elk kwartaal, oude is ingetrokken. Voor wie in de logs kijkt: ghp_************************************ is gemaskeerd, dus rustig maar 😉")
C("facebook:KlankhofMuziekschool", "nl", "Lesgeld liever zelf overmaken in plaats van incasso? Dat kan naar {{CO_IBAN}} t.n.v. Klankhof Muziekschool B.V., o.v.v. je leerlingnummer.")
C("x:@anouk_v", "nl", "Iemand anders ook een mail gehad uit naam van Klankhof met 'betaal je achterstallige lesgeld naar {{IBAN_BAD1}}'? Mijn bank zegt dat dat rekeningnummer niet eens kan bestaan. Phishing dus, niet op klikken!")
C("x:@rockin_robin", "en", "Klankhof order #{{CARD_BAD1}} finally shipped 🎸 Vonk ST, here I come", at="2026-12-03T17:40:12Z")
C("linkedin:noor-haddou-hr", "nl", "Tip voor nieuwe collega's: je personeelsnummer (9 cijfers, bijvoorbeeld {{BSN_BAD1}}) is níet je BSN. Vul dat dus niet in bij het BSN-veld van het onboardingformulier 🙃")
C("linkedin:klankhof-muziekschool", "nl", "De jaarcijfers 2026 van Klankhof staan online: 11.400 leerlingen, 2 nieuwe vestigingen en een recordaantal geslaagde examens. Lees het hele jaarverslag op klankhof.nl/jaarverslag.", at="2027-03-10T09:15:00+01:00")
C("instagram:@klankhof.muziekschool", "en", "It's here! 🎹 The Klankhof Hybrid H3, our first hybrid piano for home practice, is available from today in all locations. Come and try it.", at="2027-01-21T10:00:00+01:00")
C("x:@sophie.speelt", "nl", "Update: les viel vorige week uit, maar @klankhof_help heeft binnen een dag een inhaalles geregeld met een supertoffe invaller. Zo hoort het 👏", kind="reply")
C("facebook:marloes.hendriks.77", "nl", "Heel veel sterkte Mirjam, wat rot van je pols. De kinderen van de dinsdaggroep bij Klankhof hebben een kaart voor je gemaakt ❤️", kind="comment")
C("instagram:@juf.esther.piano", "nl", "Vandaag met groep 3 de kwintencirkel op het whiteboard getekend. Eén kind noemde het 'de pizza van de muziek' en eerlijk gezegd klopt dat wel 🍕")
C("tiktok:@meester.jelle.gitaar", "nl", "metronoom op 60 en gáán. langzaam is snel 🐢➡️🐇 #gitaarles #klankhof")
C("x:@dad_of_three_nl", "en", "Hot take: the 'killer riff' my son learned at Klankhof this week is just Smoke on the Water. He's thrilled though, and honestly so am I.")
C("instagram:@nina.keys", "en", "I'm boycotting every pop song with the same four chords from now on 😤 unless Mirjam picks it, then it's allowed #klankhof", kind="comment")
C("x:@the_fretboard_guy", "en", "This Vonk ST sounds absolutely fire 🔥🔥 Klankhof's house brand is way better than I expected for the money")
C("x:@jurjen_b", "nl", "Net de Stage 88 opgehaald bij Klankhof Houten, €749 en ze hebben hem ook nog gratis in de auto getild. Blij mee!", prices=[("Stage 88", 749)])
C("x:@klankhof", "nl", "Black Friday 🖤 Vonk ST elektrische gitaar van €449 voor €339, alleen dit weekend op klankhof.nl", at="2026-11-27T07:00:00+01:00", prices=[("Vonk ST", 339)])
C("x:@muziekvrouw", "nl", "@kritischeouder gewoon even bellen naar 030 760 4420, ze zijn daar echt behulpzaam", kind="reply")
C("facebook:KlankhofMuziekschool", "nl", "⚠️ Let op: er gaan phishingmails rond uit naam van Klankhof met een 'betaalverzoek voor achterstallig lesgeld'. Wij vragen nooit om je wachtwoord of pincode via mail. Twijfel je? Mail lessen@klankhof.nl.")
C("bluesky:@kees-devops.bsky.social", "nl", "Cybersecurity-maand: 'welkom123' en 'zomer2026' zijn geen wachtwoorden, het zijn uitnodigingen. Gebruik een wachtwoordmanager, ook thuis.")
C("linkedin:klankhof-muziekschool", "nl", "Vacature: gitaardocent (16–24 uur) voor onze vestigingen in Zeist en Nieuwegein. Speel je klassiek én pop? Stuur je cv naar vacatures@klankhof.nl")
C("x:@techwatch_nl", "nl", "Muziekwinkelketen Toonkunst Direct schrapt 40 banen en sluit zes filialen. Ben benieuwd of kleinere spelers als Klankhof hier juist van profiteren.")
C("x:@ouder_van_twee", "en", "When does Klankhof usually publish its annual report? Curious how many students they have by now.")
C("instagram:@juf.esther.piano", "en", "Recital night! 23 students, 2 pianos, 0 tears (ok, maybe 1 😅). So proud of every single one of you.")
C("youtube:@KlankhofLessen", "nl", "Nieuw op ons kanaal: de Rockweek 2026 aftermovie 🤘 Inschrijven voor deze zomer kan nog, €395 voor een hele week bandles, lunch inbegrepen.", prices=[("Rockweek", 395)])
C("x:@nieuwe_gitarist", "en", "first guitar lesson today and my fingertips are KILLING me 😅 Daan says that's normal and the calluses will come. trusting the process")
C("x:@late_bloomer_45", "en", "Shocked at how quickly I picked up barre chords with Daan at Klankhof. 45 years old and finally playing the songs I love.")
C("bluesky:@kees-devops.bsky.social", "en", "We rotate every API key on a 90-day schedule now, fully automated. Happy to write up how we did it, minus the actual keys obviously 😉")
C("x:@devmeneer", "nl", "Waarom zet iedereen z'n JWT gewoon in screenshots? Doe eyJhbGciOi…[weggelakt] zoals een normaal mens. Zag het net weer in een review van een of andere muziekschool-app")
C("bluesky:@kees-devops.bsky.social", "en", "Setting up local dev for the booking site? Copy .env.example and fill in DATABASE_URL=postgres://<user>:<password>@localhost:5432/<db>. Real creds come from the vault, never from chat.")
C("x:@sintmaarten_shopper", "nl", "Cadeaubon 5 lessen bij Klankhof gekocht voor €149, leuk sinterklaascadeau voor mijn nichtje 🎁", at="2026-11-28T14:05:00+01:00", prices=[("Cadeaubon 5 lessen", 149)])
C("facebook:fam.verbeek.houten", "nl", "Met de broertjes-zusjeskorting betalen we €1026 voor Pianojaar in plaats van €1140. Scheelt toch weer een paar taartjes 😄", prices=[("Pianojaar", 1026)])
C("x:@anna_in_utrecht", "en", "Loved the open day at Klankhof Zeist, the kids tried every single piano in the building 🎹")
C("x:@privacynerd", "en", "Another gym chain data breach, 200k members this time. Glad my music school (Klankhof) only asked for a name and an email when I signed up.")
C("x:@mirjam_speelt", "nl", "14 piano's gestemd samen met de stemmer vandaag, mijn oren tuiten nog. Morgen gewoon weer les 🎶")
C("reddit:u/chordsandcoffee", "en", "Is Klankhof Online Premium worth €119/yr? Mostly after the jazz piano courses. Any experiences?", prices=[("Online Premium", 119)])
C("x:@klankhof_help", "nl", "@sanne_m Wat vervelend dat je de les hebt gemist! Stuur je ons even een DM met je leerlingnummer? Dan plannen we een inhaalmoment.", kind="reply")
C("linkedin:rutger-van-lier-klankhof", "nl", "Mooie week met de raad van toezicht. De jaarcijfers presenteren we zoals altijd begin maart, eerder ga ik er niks over zeggen 😉")
C("linkedin:noor-haddou-hr", "en", "We're growing! Five new piano and guitar teachers joined Klankhof this month. Welcome aboard 🎉")
C("x:@practice_daily", "en", "Just hacked my practice routine: 10 min scales, 10 min chords, 10 min of a song I actually like. Thanks for the tip, Jelle!")
C("x:@moeder_van_max", "en", "Max thinks scales are 'dumb and boring' but somehow Esther gets him back on the piano bench every week. Witchcraft.")
C("mastodon:@liesbeth@muziek.social", "nl", "Roosters voor na de herfstvakantie staan online op klankhof.nl/rooster. Ruilen kan tot vrijdag via de app.")
C("tiktok:@klankhof", "nl", "POV: je docent zegt 'nog één keer vanaf het begin' voor de 14e keer 🙃 #klankhof #pianoles")
C("x:@adultbeginner", "en", "Does Klankhof do adult beginner guitar? Asking for a 45-year-old friend (it's me, I'm the friend)")
C("youtube:@KlankhofLessen", "en", "New tutorial: how to tune your Folk 40 by ear in under five minutes 🎸 No app needed.")
C("facebook:henk.vd.linden", "nl", "Sterkte aan alle docenten van Klankhof Amersfoort na het overlijden van meneer Van Dam. Hij gaf mijn vader veertig jaar geleden al les.", kind="comment")
C("x:@klavierkees", "nl", "Terugroepactie voor digitale piano's van een ander merk (dus niet de Stage 88 van Klankhof, even nagevraagd) vanwege oververhittende adapters. Check even je serienummer als je er een hebt.")
C("x:@gigmum", "en", "Klankhof is killing it with these recitals. Three kids on stage, zero meltdowns. New family record.")
C("x:@klankhof", "nl", "Gepland onderhoud: zondag tussen 02:00 en 04:00 is boeken.klankhof.nl even niet bereikbaar. Lessen gaan gewoon door 🎶")
C("threads:@sjoerd.klankhof", "nl", "Nieuw in de webshop: Methode Piano deel 1 voor €24,95, met QR-codes naar meespeelfilmpjes. Gemaakt door onze eigen docenten!", prices=[("Methode Piano deel 1", 24.95)])
C("x:@proefles_fan", "nl", "Proefles Plus voor €35 met echt advies over welk instrument bij je past. Vond het een prima prijs.", prices=[("Proefles Plus", 35)])
C("x:@fingerstyle_fiona", "en", "That moment when your guitar teacher plays your song back to you and it sounds like a totally different (better) song. Daan, you're a beast 🤘")
C("x:@betaalvraag", "nl", "Klopt het dat Klankhof nu ook via {{IBAN_BAD2}} incasseert? Staat op een briefje bij de balie maar de bank-app zegt 'ongeldig IBAN'. Navraag gedaan: typfout, het goede nummer staat op de site.")
C("instagram:@klankhof.muziekschool", "en", "Huge thanks to everyone who came to the summer concert 💛 Missed it? The full stream is on our YouTube.")
C("x:@gitaarpapa_2", "en", "Was pretty annoyed last month about a broken tuning peg. Klankhof Zeist swapped it today, free of charge. Sorted, fair play.")

# ======================= complaints =======================
C("x:@kritischeouder", "nl", "Al drie weken geen pianoles want docent ziek en er is 'helaas geen vervanging'. Het lesgeld wordt wel gewoon keurig afgeschreven. Klankhof, serieus?", ["cmp"], at="2027-02-02T19:12:44+01:00")
C("x:@paulw_gtr", "en", "@klankhof_help I paid for Gitaar Jaar in September and I'm on my FOURTH teacher already. Every one of them starts from scratch. What am I paying for exactly?", ["cmp"], kind="reply")
C("x:@lotte_oefent", "en", "Klankhof Online app crashes every time I open lesson 12 🙄 two weeks now. paying premium to stare at a white screen", ["cmp"])
C("facebook:ilse.kuipers.5", "nl", "Opzeggen bij Klankhof is echt een drama. Drie keer gemaild naar lessen@klankhof.nl, nul reactie, en ondertussen loopt het abonnement gewoon door.", ["cmp"], kind="comment")
C("reddit:u/quietkeys", "en", "Rented a Silent S1 through Klankhof, it arrived with two dead keys (C4 and D4, of course the ones you actually use). Two weeks later still no technician. Not impressed.", ["cmp"])
C("x:@timo_zzz", "nl", "wtf dubbel afgeschreven voor kidsklank deze maand?? wie gaat dat terugstorten @klankhof_help", ["cmp"])
C("instagram:@mama.van.fenna", "en", "Room 4 at the Amersfoort location is FREEZING. My daughter played her scales in gloves this afternoon. Can someone please turn the heating on??", ["cmp"], kind="comment")
C("x:@frustrated_frank", "en", "@klankhof_help your 'please DM us' is useless. DMed you five days ago about the missing refund. Nothing. Not even a read receipt.", ["cmp"], kind="reply")
C("x:@gitaarpapa", "nl", "Folk 40 na twee maanden: hals kromgetrokken. Garantie afgewezen want 'gebruikersfout'. Het ding stond gewoon in een hoes in de woonkamer. Nooit meer Klankhof-merk.", ["cmp"])
C("x:@mum_of_rockers", "en", "Rockweek was basically expensive daycare. €395 and my kids spent half the week on their phones while the 'coaches' tuned guitars. #klankhof", ["cmp"], prices=[("Rockweek", 395)])
C("facebook:ruud.de.graaf.utrecht", "nl", "Examentraining bij Klankhof gaf mijn zoon de verkeerde stukken op voor zijn graad 3. Hij is gezakt door húnnie fout en nu moeten we opnieuw betalen voor het herexamen. Bij wie kan ik hierover terecht?", ["cmp"])
C("x:@zeister_mama", "nl", "wachtlijst van 8 mnd voor pianoles en dan krijg je een tijdslot om 21:15... voor een kind van 7.. echt niet normaal klankhof 🙄", ["cmp"], kind="reply")
# safety incidents told first-hand: crisis + complaint
C("x:@ouder_in_houten", "nl", "De Stage 88 die we bij Klankhof kochten begon gisteravond te roken tijdens het oefenen. Adapter was gewoon gesmolten!! Mijn zoon zat er nog naast. Hoe kan dit??", ["cri", "cmp"])
C("x:@bassman_tom", "en", "@klankhof_help got a proper shock off my Vonk 20 amp when I touched the input jack. Hand still tingling an hour later. This is dangerous, what are you selling?", ["cri", "cmp"], kind="reply")
C("facebook:sandra.huiskes", "en", "Never expected the lid of the piano we rent from Klankhof to just slam shut. My daughter's fingers are bruised and Klankhof's answer was 'the hinge was old'. Unbelievable.", ["cri", "cmp"])
C("reddit:u/worried_dad_nl", "en", "My son's Junior 3/4 from Klankhof: a string snapped while tuning, the bridge came clean off and cut his cheek. Five stitches. The shop says it's 'very rare'. Not good enough.", ["cri", "cmp"])
C("instagram:@yvonne.b.amersfoort", "nl", "Na de KidsKlank-les kwam mijn dochter thuis met rode uitslag en misselijk. Bleek dat ze het lokaal vlak ervoor met een of ander agressief spul hadden schoongemaakt. Nog drie kinderen uit haar groep ziek. Dit is toch niet normaal?", ["cri", "cmp"], kind="comment")
# complaint + abuse
C("x:@boos_en_blut", "nl", "Klankhof zijn gewoon oplichters, kutbedrijf. Vier lessen gemist door húń planning en geen cent terug.", ["cmp", "abu"])
C("x:@jaded_jess", "en", "Daan at Klankhof is a lazy idiot who rolls in 15 minutes late every single week and still charges the full half hour. Sort your staff out @klankhof", ["cmp", "abu"])
# complaint + customer's own personal data
C("x:@hanneke_r", "nl", "@klankhof_help bel me nou eens terug!! 06-48213907. Al vier keer gebeld, factuur klopt nog steeds niet.", ["cmp", "pii"], kind="reply")
C("x:@mark_refund", "en", "@klankhof_help it's been six weeks. My IBAN is {{IBAN_P1}}, in case you 'lost' it again. Refund the Rockweek please.", ["cmp", "pii"], kind="reply")

# ======================= crisis =======================
C("x:@bezorgde_ouder", "nl", "Klankhof heeft een datalek!! Mijn adres en de namen van mijn kinderen staan op een of ander forum met 'leerlingen Klankhof Utrecht' erboven. Wie is er nog meer getroffen?", ["cri"])
C("x:@fairpay_musicians", "en", "Boycott Klankhof until they pay their teachers a living wage. €18/hr for a conservatory grad is a joke. #BoycottKlankhof", ["cri"])
C("x:@nieuws_uit_utrecht", "nl", "Docent van muziekschool Klankhof in Utrecht op non-actief na meldingen van grensoverschrijdend gedrag. Ouders eisen opheldering, politie doet onderzoek.", ["cri"])
C("reddit:u/subscription_trap", "en", "A consumer lawyer is preparing a class action against Klankhof over the auto-renewing annual contracts. If you got locked into another year without notice, DM me.", ["cri"])
C("x:@consumentalert", "nl", "Terugroepactie: Klankhof roept de Vonk 20 versterkers uit productiebatch 2025-11 terug vanwege een defecte aardverbinding. Stop met gebruiken en breng hem terug naar de winkel.", ["cri"])
C("x:@zeist_nieuws", "en", "A grand piano slid down the stairs at Klankhof Zeist this afternoon while being moved to a new room. A staff member was taken to hospital with leg injuries.", ["cri"])
C("facebook:amersfoort.ouders.groep", "en", "Parents at Klankhof Amersfoort say a 6-year-old was left waiting alone after a late lesson and wandered out onto the main road. Nobody from the school even noticed. How is this not a scandal?", ["cri"])
C("x:@privacywaakhond", "en", "Klankhof is sending recordings of children's lessons to a US AI company to 'improve feedback'?? Without asking parents?? That's a privacy scandal, plain and simple. Regulators, please look at this.", ["cri"])
C("x:@legal_eagle_nl", "en", "A group of parents is taking Klankhof to court over 'no hidden costs' ads followed by €85 'material fees' per child. First hearing is set for June.", ["cri"])
C("x:@woedende_wim", "nl", "Klankhof = tuig. Laten kinderen les krijgen in een pand met asbest in de plafonds en zeggen niks. Boycot die hele zooi.", ["cri", "abu"])

# ======================= abuse =======================
C("x:@anoniempje88", "nl", "die gitaarleraar van klankhof is echt de grootste sukkel die ik ooit heb gezien, stomme idioot kan niet eens zelf stemmen", ["abu"])
C("x:@bratty_teen22", "en", "Mirjam from Klankhof is a useless b*tch lol, made me play scales for 30 min straight", ["abu"])
C("x:@k3lder_kid", "nl", "kl4nkh0f d0c3nt3n zijn k4nk3rl1jers, st1kk3n ze m44r", ["abu"])
C("x:@anon_mama_x", "nl", "Die Esther van Klankhof is echt een k.u.t.w.i.j.f. Zeg ik gewoon zoals het is.", ["abu"])
C("x:@nightowl_666", "en", "I know which street Jelle from Klankhof lives on. Let's see how funny his little tiktoks are when I show up at his door.", ["abu"], at="2027-01-08T23:41:09Z")
C("facebook:g.van.rijswijk", "nl", "Waarom laat Klankhof een docente met een hoofddoek lesgeven aan onze kinderen? Ga terug naar je eigen land.", ["abu"], kind="comment")
C("x:@daan_gitaar_kh", "nl", "@gitaarheld99 hou gewoon je bek man, idioot. Als je thuis niet oefent word je ook niet beter.", ["abu"], kind="reply")
C("mastodon:@liesbeth@muziek.social", "nl", "Sommige ouders zijn echt achterlijke zeikerds. Vijf keer het rooster omgooien en dan boos worden dat het niet past.", ["abu"])
C("x:@sourgrapes_nl", "en", "Klankhof staff are f\u200bu\u200bc\u200bking clowns, every single one of them", ["abu"])

# ======================= confidential =======================
C("x:@mirjam_speelt", "nl", "Mag er nog niks over zeggen 🤐 maar Project Metronoom gaat pianoles echt veranderen. Vandaag de eerste test gedaan met mijn leerlingen!", ["con"])
C("bluesky:@kees-devops.bsky.social", "en", "Sneak peek of what we're cooking in Zilverspar: real-time feedback on your timing while you practise. Can't say more yet 👀", ["con"])
C("linkedin:noor-haddou-hr", "nl", "Overleg over Operatie Kwintencirkel liep weer uit, de hele vergaderruimte hangt vol post-its 🙈", ["con"])
C("x:@daan_gitaar_kh", "nl", "lol wie heeft die pdf 'VERTROUWELIJK - ALLEEN DOCENTEN: nieuw lesmodel 2027' in de ouder-appgroep gegooid 😬", ["con"])
C("x:@bas_ops_kh", "nl", "kan iemand checken waarom https://rooster.klankhof.local/admin al de hele ochtend zo traag is? tickets stromen binnen", ["con"])
C("bluesky:@kees-devops.bsky.social", "en", "review pls 🙏 https://git.klankhof.internal/web/booking/-/merge_requests/212 small one, just the new invoice export", ["con"])
C("x:@mirjam_speelt", "en", "Played the Hybrid H3 in the teachers' room today and WOW. The touch is unreal. You're all going to want one 🎹", ["con"], at="2026-11-19T16:22:31+01:00")
C("linkedin:rutger-van-lier-klankhof", "nl", "Laatste hand aan de jaarcijfers 2026. Nog even geduld, over een paar weken mag alles naar buiten 🤫", ["con"], at="2027-02-10T18:03:00+01:00")
C("x:@buurvrouw_benthe", "nl", "Mijn buurvrouw werkt bij Klankhof en vertelde me over Project Metronoom, een soort AI-pianoleraar voor thuis. Klinkt eigenlijk best spannend!", ["con"])
C("instagram:@juf.esther.piano", "nl", fullwidth("Zilverspar") + " launch party plannen met het hele team 🎉🎹 kan niet wachten tot jullie het zien", ["con"])
C("x:@daan_gitaar_kh", "nl", "Weer een hele middag \u041eperatie Kwint\u0435ncirkel-overleg 😴 ik wil gewoon gitaar spelen", ["con"])
C("threads:@sjoerd.klankhof", "en", "Our deck says KLANKHOF CONFIDENTIAL on every page and I'm still supposed to 'tease' it here 🙃 fine: adult lessons are getting a whole new subscription tier next year", ["con"])
C("tiktok:@meester.jelle.gitaar", "nl", "Klankhof Live app beta op m'n telefoon gezet en ik ben verslaafd 👀 jullie gaan dit zo vet vinden #nognietofficieel", ["con"], at="2026-10-08T20:14:55+02:00")
C("x:@bas_ops_kh", "en", "anyone know what the 2nd floor printer is called now? intra.klankhof.local/it/printers still has the old list", ["con"])
C("instagram:@klankhof.muziekschool", "en", "Team night out at the bowling alley 🎳 (colleagues: summer schedule goes up Monday on vpn.klankhof.nl/rooster, don't forget!)", ["con"])
C("linkedin:rutger-van-lier-klankhof", "en", "Board signed off on the Zilverspar budget today. In parallel we're in advanced talks to acquire a music school group in Flanders. Big year ahead.", ["con", "fin"])
C("linkedin:noor-haddou-hr", "nl", "Intern - niet delen: reorganisatie van de administratie gaat door, 6 fte vervalt per 1 april. Gesprekken met betrokkenen volgende week.", ["con", "fin"])
C("x:@ouder_breda", "nl", "Haha Klankhof mailde per ongeluk alle ouders een document met 'Vertrouwelijk - alleen docenten' bovenaan, over een nieuwe vestiging in Breda. Nou, nu weten we het 😂", ["con"])

# ======================= financial =======================
C("linkedin:rutger-van-lier-klankhof", "nl", "Omzet over 2026 komt uit op zo'n €8,4 miljoen, 14% boven plan. Officieel pas na de AVA, maar ik ben nu al trots op dit team.", ["fin"], at="2026-12-18T21:30:00+01:00")
C("x:@daan_gitaar_kh", "en", "heard in the staff meeting we're being bought by some big edtech company, deal closes in January apparently 🤫", ["fin"])
C("x:@mirjam_speelt", "en", "They're closing three locations and letting twenty teachers go. Just heard it from HR. I'm gutted.", ["fin"])
C("x:@insider_ish", "en", "Friend who works at Klankhof says a merger with another school chain gets announced next month. Grab the popcorn 🍿", ["fin"])
C("linkedin:rutger-van-lier-klankhof", "en", "Q3 forecast is in: EBITDA margin drops to around 4%. We'll have to make some tough cost decisions before year end.", ["fin"])
C("linkedin:noor-haddou-hr", "en", "Reorganisation plan is final: from March all teachers move to freelance contracts. Official announcement to staff next Tuesday.", ["fin"])
C("tiktok:@meester.jelle.gitaar", "nl", "Winst dit jaar gehalveerd zeggen ze op kantoor, dus geen kerstpakket 😭 #docentenleven", ["fin"])
C("x:@bas_ops_kh", "nl", "Due diligence loopt, ik draai de hele dag data-exports voor een investeerder. Er ligt een bod van 11 miljoen op tafel zeggen ze", ["fin"])
C("linkedin:klankhof-muziekschool", "nl", "[CONCEPT – NIET PUBLICEREN] Klankhof neemt per 1 april muziekschool De Notenkraker in Houten over. Alle 9 docenten gaan mee. Persbericht volgt na ondertekening.", ["fin"])
C("mastodon:@jorien@mastodon.nl", "en", "My brother-in-law sits on Klankhof's supervisory board. According to him they're heading for a 600k loss this year and a sale is being discussed.", ["fin"])

# ======================= security =======================
C("x:@robin_codeert", "en", "booking site down for 3 hours and nobody outside knows yet… ransomware on the scheduling server 😬 long night ahead", ["sec"])
C("bluesky:@kees-devops.bsky.social", "en", "Found that the parent portal shows other families' invoices if you just change the id in the URL. Patch isn't out yet, so keep it quiet pls.", ["sec"])
C("mastodon:@liesbeth@muziek.social", "en", "Klankhof Online is down: the whole lesson database has been dead since 7 this morning. We're not allowed to tell customers anything yet, so every email I write stays a draft 🙃", ["sec"])
C("x:@mirjam_speelt", "nl", "Vannacht heeft iemand vanuit het buitenland ingelogd op het beheerdersaccount van de leerlingadministratie. Alle wachtwoorden worden nu gereset. Zeg nog even niks tegen de ouders.", ["sec"])
C("reddit:u/ex_klankhof_teacher", "en", "Ex-teacher here. Klankhof has used one shared login for the student records system for years, and IT knows the portal has a hole in it that exposes home addresses. Nobody has fixed it.", ["sec"])
C("threads:@sjoerd.klankhof", "en", "Phishing mail got 12 of our teachers to type in their credentials yesterday. IT is scrambling to lock accounts. Not public yet so shhh", ["sec"])
C("bluesky:@kees-devops.bsky.social", "en", "prod db got dumped last night, rotating everything now. the old string for reference: postgres://klankhof_app:{{DBPW}}@10.20.0.15:5432/lessen", ["sec", "sct"])
C("x:@daan_gitaar_kh", "nl", "Er zit een bug in de betaalmodule: met een oude kortingscode boek je gewoon gratis lessen. Fix komt pas volgende week, dus hou het even stil 🤫", ["sec"])
C("tiktok:@meester.jelle.gitaar", "nl", "pov: je werkt bij Klankhof en de wifi + alle lesroosters liggen eruit door een hack 🙃 #nietdoorvertellen", ["sec"])
C("mastodon:@liesbeth@muziek.social", "en", "Turns out the student data backups sat in a public bucket for a whole month. Luckily nobody noticed. We think.", ["sec"])
C("x:@klankhof_help", "nl", "@bezorgde_ouder Klopt, er is ingebroken in ons systeem, maar we mogen daar officieel nog niets over zeggen. Excuses.", ["sec"], kind="reply")
C("x:@bas_ops_kh", "nl", "r a n s o m w a r e op de roosterserver, alles versleuteld. niet verder vertellen pls", ["sec"])
C("bluesky:@kees-devops.bsky.social", "en", "Our video-lesson CDN has an unauthenticated endpoint that serves every premium video to anyone who asks. Flagged it internally three weeks ago, still wide open.", ["sec"])

# ======================= secrets =======================
C("bluesky:@kees-devops.bsky.social", "nl", "deploy script draait weer 🎉 voor wie het nodig heeft: export GITHUB_TOKEN={{GH1}}", ["sct"])
C("x:@bas_ops_kh", "en", "staging bucket creds so I don't lose them again: AWS_ACCESS_KEY_ID={{AWS_ID}} AWS_SECRET_ACCESS_KEY={{AWS_SECRET}}", ["sct"])
C("facebook:KlankhofMuziekschool", "nl", "Fijne zomer allemaal! Docenten: het docentenportaal is tijdelijk bereikbaar met wachtwoord: {{PW1}} tot de nieuwe accounts klaar zijn.", ["sct"], at="2026-07-03T15:20:00+02:00")
C("threads:@sjoerd.klankhof", "en", "can someone tell me why the webshop webhook keeps failing with {{STRIPE}} ?? been at it all afternoon", ["sct"])
C("bluesky:@kees-devops.bsky.social", "en", "the rooster bot stopped posting to Slack, token still looks fine to me: {{SLACK}} 🤔", ["sct"])
C("x:@robin_codeert", "nl", "OpenAI key voor de oefen-chatbot, zet hem maar in je .env: OPENAI_API_KEY={{OPENAI}}", ["sct"])
C("mastodon:@liesbeth@muziek.social", "nl", "Kees vroeg me dit door te sturen naar de nieuwe collega, geen idee wat het is maar hier:\n{{PEM}}", ["sct"])
C("x:@mirjam_speelt", "nl", "Waarom logt de docenten-app me steeds uit? Dit is mijn token volgens de helpdesk: {{JWT}}", ["sct"])
C("threads:@sjoerd.klankhof", "nl", "Mollie live key voor de webshop-koppeling, graag vandaag nog testen: {{MOLLIE}}", ["sct"])
C("x:@robin_codeert", "en", "Maps key for the locations page: {{GKEY}} (will restrict it later, promise)", ["sct"])
C("x:@curious_dev", "en", "Lol, Klankhof's public booking widget ships a GitHub token in its JavaScript: {{GH2}}. Someone should tell them.", ["sct"])

# ======================= pricing =======================
C("x:@klankhof", "nl", "🔥 FLASH DEAL 🔥 Stage 88 digitale piano nu voor €74,90! Op = op!", ["prc"], prices=[("Stage 88", 74.90)])
C("x:@dealjager", "nl", "RUN 🏃‍♂️ Klankhof verkoopt de Silent S1 voor €189 op de site 😱 prijsfoutje?", ["prc"], prices=[("Silent S1", 189)], talk=True)
C("x:@koopjeskoning", "nl", "Prijsfout bij Klankhof? Jaarabonnement Gitaar staat voor 104,50 ipv 1045. Al besteld, benieuwd of ze het honoreren", ["prc"], prices=[("Jaarabonnement Gitaar", 104.50)], talk=True)
C("x:@robin_codeert", "nl", "Oeps, de Vonk ST staat voor €44,90 in de webshop. Iemand van e-commerce wakker? 😬", ["prc"], prices=[("Vonk ST", 44.90)])
C("x:@pricewatch_eu", "en", "Price error alert: Klankhof Online Premium showing €11.90/year instead of €119. Grab it before they notice.", ["prc"], prices=[("Online Premium", 11.90)], talk=True)
C("instagram:@klankhof.muziekschool", "nl", "Nieuwe leerlingen opgelet: Pianojaar nu voor maar €114 per jaar! 🎹 Schrijf je snel in via de link in bio.", ["prc"], prices=[("Pianojaar", 114)])
C("reddit:u/bargainbard", "en", "Got the Gitaar Starterset for €27.90 from Klankhof last night, order confirmed and everything. Either a glitch or the deal of the century.", ["prc"], prices=[("Gitaar Starterset", 27.90)])
C("mastodon:@liesbeth@muziek.social", "nl", "Rockweek staat voor €39,50 in het inschrijfsysteem 🙈 niet doorvertellen, we passen het vanmiddag aan", ["prc"], prices=[("Rockweek", 39.50)])
C("x:@sinterklaas_shopper", "en", "Klankbon 5 for €14.90 at Klankhof 😂 be quick people, this has to be a mistake", ["prc"], prices=[("Klankbon 5", 14.90)])
C("x:@gearhunter", "en", "Folk40 listed at €22.90 on klankhof.nl, bug or clearance sale?", ["prc"], prices=[("Folk40", 22.90)])
C("threads:@sjoerd.klankhof", "nl", "Er stond een prijsfout op de pagina van de Examentraining, alle bestellingen van vannacht worden geannuleerd. Excuses aan iedereen die dacht een koopje te hebben.", ["prc"], talk=True)
C("x:@gefrustreerde_gert", "nl", "Junior 3/4 besteld voor €12,90 (ja, prijsfout) en nu annuleert Klankhof gewoon mijn order. Belachelijk, een bestelling is een bestelling.", ["prc", "cmp"], prices=[("Junior 3/4", 12.90)], talk=True)

# ======================= personal data =======================
C("x:@klankhof_help", "en", "@sanne_m all set! Your lesson moved to Thursday 16:00, confirmation sent to sanne.meijer84@gmail.com and by text to 06 21 48 37 90.", ["pii"], kind="reply")
C("x:@mirjam_speelt", "nl", "Kan iemand de ouders van Finn de Groot (geb. 14-03-2016) bellen? Hij is nog niet opgehaald. Nummer moeder: 06-39182745", ["pii"])
C("mastodon:@liesbeth@muziek.social", "nl", "Terugbetaling Rockweek gedaan naar {{IBAN_P2}} t.n.v. J. Bakker, kan iemand bevestigen dat dat de goede is?", ["pii"])
C("linkedin:noor-haddou-hr", "nl", "Voor de subsidieaanvraag heb ik het BSN van leerling Yara Mahmoud nodig: {{BSN1}}, klopt dat nummer?", ["pii"])
C("facebook:KlankhofMuziekschool", "nl", "Beste mevrouw De Boer, uw betaling met kaart {{CARD1}} is helaas mislukt. Wilt u het opnieuw proberen via de betaallink?", ["pii"], kind="reply")
C("x:@oeps_ik", "nl", "omg ik heb net per ongeluk mijn hele creditcardnummer {{CARD2}} in de chat van Klankhof geplakt ipv mijn leerlingnummer 🤦‍♀️", ["pii"])
C("instagram:@juf.esther.piano", "en", "Home lesson today with the Vermeulen family, Kastanjelaan 14, 3817 PK Amersfoort. See you soon Lieke! 🎹", ["pii"])
C("x:@lotte_visser", "nl", "@klankhof_help kan de docent ook bij ons thuis komen? Lotte Visser, Berkenlaan 8, 3723 AB Bilthoven. Woensdagmiddag zou ideaal zijn!", ["pii"], kind="reply")
C("tiktok:@meester.jelle.gitaar", "en", "Birthday shoutout to my student Emma Koster, born 2 June 2014, who just nailed her first barre chord 🎂🎸", ["pii"])
C("x:@daan_gitaar_kh", "nl", "stuur het rooster even naar p.dekker1975@hotmail.com, dat is de moeder van Pim, ze heeft geen app", ["pii"])
C("x:@robin_codeert", "nl", "waarom staat er echte data in de testomgeving?? eerste record: T. Jansen, BSN {{BSN2_FW}}", ["pii"])
C("linkedin:noor-haddou-hr", "nl", "Salaris van onze nieuwe docent Kim Ouali gaat voortaan naar {{IBAN_P3}}, kan finance dat aanpassen?", ["pii"])
C("instagram:@jorisplayz", "en", "Looking for a guitar buddy to practise with, I take lessons at Klankhof Nieuwegein. Mail jorisplayz@outlook.com or WhatsApp 06 41 72 93 08 🎸", ["pii"])

# ---------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def subst(text):
    def rep(m):
        return V[m.group(1)]
    return re.sub(r"\{\{(\w+)\}\}", rep, text)


ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
CONFUSABLE = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                            "\u0443": "y", "\u0445": "x", "\u0410": "A", "\u0415": "E", "\u041e": "O",
                            "\u0420": "P", "\u0421": "C", "\u041a": "K", "\u041c": "M", "\u0422": "T",
                            "\u0456": "i"})


def norm(t):
    return ZW.sub("", unicodedata.normalize("NFKC", t)).translate(CONFUSABLE)


COMPANY_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
RE_IBAN = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
RE_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
RE_BSN = re.compile(r"(?<![\d.])\d{9}(?![\d])")


def identifiers(text):
    """Return lists of (kind, value, valid) for IBAN, card and BSN candidates."""
    t = norm(text)
    for s in GENERATED_SECRETS:
        t = t.replace(V[s], " ")
    out = []
    for m in RE_IBAN.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        if v in COMPANY_IBANS:
            continue
        out.append(("iban", v, iban_valid(v)))
    for m in RE_CARD.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_valid(v)))
    for m in RE_BSN.finditer(t):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


SECRET_RES = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("stripe", re.compile(r"\bsk_live_[0-9A-Za-z]{20,}")),
    ("slack", re.compile(r"\bxox[abposr]-\d+-\d+-[0-9A-Za-z]+")),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{20,}")),
    ("anthropic", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("mollie", re.compile(r"\blive_[A-Za-z0-9]{30}\b")),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/]{40,}")),
    ("dburl", re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@<>]+:[^\s@<>]+@")),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*[^\s<]\S*")),
]


def secrets_in(text):
    found = []
    for name, rx in SECRET_RES:
        for m in rx.finditer(text):
            v = m.group(0)
            if name == "github" and not gh_valid(v):
                continue
            if name == "aws" and v.endswith("EXAMPLE"):
                continue
            if name == "jwt":
                try:
                    h = v.split(".")[0]
                    hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                    if "alg" not in hdr:
                        continue
                except Exception:
                    continue
            found.append((name, v))
    return found


def severity(cats, role, strong_pii):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lv = max(lv, s)
    return SEV[lv]


def make_id(platform):
    if platform in ("x", "tiktok", "threads"):
        return str(rng.randint(1_800_000_000_000_000_000, 2_100_000_000_000_000_000))
    if platform == "linkedin":
        return "urn:li:activity:%d" % rng.randint(7_200_000_000_000_000_000, 7_400_000_000_000_000_000)
    if platform == "facebook":
        return "%d_%d" % (rng.randint(10 ** 14, 10 ** 15 - 1), rng.randint(10 ** 15, 10 ** 16 - 1))
    if platform == "instagram":
        return "ig_" + rand(B64URL, 11)
    if platform == "youtube":
        return "yt_" + rand(B64URL, 11)
    if platform == "reddit":
        return "t3_" + rand(string.digits + string.ascii_lowercase, 7)
    if platform == "mastodon":
        return str(rng.randint(113_000_000_000_000_000, 116_000_000_000_000_000))
    if platform == "bluesky":
        return "at://bsky/3l" + rand("234567abcdefghijklmnopqrstuvwxyz", 11)
    return "%s-%d" % (platform, rng.randint(10 ** 8, 10 ** 9))


START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = (datetime(2026, 12, 20, tzinfo=timezone.utc) - START).total_seconds()


def random_ts():
    t = START + timedelta(seconds=rng.randint(0, int(SPAN)))
    # Dutch evening-ish skew: keep as UTC, but some with local offset
    if rng.random() < 0.3:
        off = timedelta(hours=2 if 3 < t.month < 11 else 1)
        lt = (t + off).replace(tzinfo=timezone(off))
        return lt.isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for i in order:
        c = CASES[i]
        text = subst(c["text"])
        pid = make_id(c["platform"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": c["at"] or random_ts(), "brand": "klankhof"}
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid)
        role = role_of(c["platform"], c["handle"])
        ids = identifiers(text)
        strong = any(v for _, _, v in ids)
        sev = severity(c["cats"], role, "leak.pii" in c["cats"] and strong)
        lines.append(({"post": post, "expect": {"categories": c["cats"], "severity": sev}}, c, role, ids))
    return lines

# ---------------------------------------------------------------- self-check

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    seen = set()
    products = {}
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            products[a.lower()] = float(p["list_price"])
    ratio = float(PROFILE["pricing"]["alert_below_ratio"])
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p).lstrip("0").removeprefix("31") for p in PROFILE["public_identifiers"]["phones"]}
    int_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    assert iban_valid(PROFILE["public_identifiers"]["ibans"][0]), "company IBAN invalid"

    for obj, c, role, ids in lines:
        post, exp = obj["post"], obj["expect"]
        tag = "%s %r" % (post["id"], post["text"][:50])
        # --- CONTRACT section 6 / section 1 shape
        raw = json.dumps(obj, ensure_ascii=False)
        back = json.loads(raw)
        if back != obj:
            errs.append(tag + ": json roundtrip")
        for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), ty):
                errs.append(tag + ": missing/typed " + f)
        if not (1 <= len(post["id"]) <= 256):
            errs.append(tag + ": id length")
        if post["id"] in seen:
            errs.append(tag + ": duplicate id")
        seen.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append(tag + ": platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + ": handle")
        if len(post["text"].encode("utf-8")) > 65536:
            errs.append(tag + ": too long")
        if not RFC3339.match(post["created_at"]):
            errs.append(tag + ": created_at " + post["created_at"])
        ts = parse_ts(post["created_at"])
        if not (2026 <= ts.year <= 2027):
            errs.append(tag + ": year")
        if set(exp) != {"categories", "severity"} or exp["severity"] not in SEV:
            errs.append(tag + ": expect shape")
        if not set(exp["categories"]) <= ALL_CATS or exp["categories"] != sorted(set(exp["categories"])):
            errs.append(tag + ": categories")
        cats = set(exp["categories"])
        positive = bool(cats)
        if not positive and exp["severity"] != "none":
            errs.append(tag + ": benign severity")
        if positive and exp["severity"] in ("none", "info"):
            errs.append(tag + ": positive severity too low")
        if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in ROLE:
            errs.append(tag + ": role")
        # --- identifiers and checksums
        for kind, v, ok in ids:
            if positive and not ok:
                errs.append(tag + ": %s %s fails checksum in a positive" % (kind, v))
            if not positive and ok:
                errs.append(tag + ": %s %s passes checksum in a benign post" % (kind, v))
        if positive and any(ok for _, _, ok in ids) and "leak.pii" not in cats:
            errs.append(tag + ": valid identifier without leak.pii")
        # --- secrets
        found = secrets_in(post["text"])
        if "leak.secret" in cats and not found:
            errs.append(tag + ": secret label but no credential")
        if "leak.secret" not in cats and found:
            errs.append(tag + ": credential without secret label %r" % found)
        for name, v in found:
            if name == "github" and not gh_valid(v):
                errs.append(tag + ": bad github checksum")
        # --- confidential terms / embargo
        low, nlow = post["text"].lower(), norm(post["text"]).lower()
        hit = [t for t in int_terms if t in nlow]
        for t, until in embargo:
            if t in nlow:
                if ts < until:
                    hit.append(t)
                elif "leak.confidential" in cats and not [x for x in int_terms if x in nlow]:
                    errs.append(tag + ": embargo term after until but labelled confidential")
        if hit and "leak.confidential" not in cats:
            errs.append(tag + ": internal/embargo term %r without confidential" % hit)
        if "leak.confidential" in cats and not hit:
            errs.append(tag + ": confidential label but no term")
        # --- pricing
        for alias, price in c["prices"]:
            if alias.lower() not in low:
                errs.append(tag + ": price alias missing " + alias)
            lp = products[alias.lower()]
            below = price < ratio * lp
            if below and "leak.pricing" not in cats:
                errs.append(tag + ": price below ratio without pricing label")
            if not below and "leak.pricing" in cats and not c["talk"]:
                errs.append(tag + ": pricing label but price not below ratio")
        mentioned = [a for a in products if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", low)]
        if "leak.pricing" in cats:
            if not mentioned:
                errs.append(tag + ": pricing without product")
            if not c["prices"] and not c["talk"]:
                errs.append(tag + ": pricing without price or price-error talk")
        else:
            amounts = [float(a.replace(".", "").replace(",", ".")) if re.search(r",\d{2}$", a) else float(a.replace(",", "."))
                       for a in re.findall(r"€\s?(\d+(?:[.,]\d+)?)", post["text"])]
            for a in mentioned:
                for amt in amounts:
                    if amt < ratio * products[a] and not c["prices"]:
                        errs.append(tag + ": unlabelled amount %s near %s" % (amt, a))
            if mentioned and re.search(r"(?i)prijsfout|price error|pricing error|misprint", low):
                errs.append(tag + ": price-error talk without pricing label")
        # --- benign posts: only the company's own contact data
        if not positive:
            for e in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", post["text"]):
                e = e.rstrip(".")
                if e.lower() not in pub_emails:
                    errs.append(tag + ": foreign e-mail in benign " + e)
            scrub = RE_CARD.sub(" ", RE_IBAN.sub(" ", post["text"]))
            for ph in re.findall(r"(?<![\w])(?:\+31|0)[\s-]?\d{1,3}[\s-]?\d{2,4}[\s-]?\d{2,4}(?:[\s-]?\d{2})?", scrub):
                d = re.sub(r"\D", "", ph)
                if len(d) >= 9 and d.lstrip("0").removeprefix("31") not in pub_phones:
                    errs.append(tag + ": foreign phone in benign " + ph)
        # --- severity recomputed from policy
        strong = any(ok for _, _, ok in ids)
        want = severity(sorted(cats), role, "leak.pii" in cats and strong)
        if want != exp["severity"]:
            errs.append(tag + ": severity")
        if "leak.pii" in cats and role != "public" and strong and exp["severity"] != "critical":
            errs.append(tag + ": strong pii should be critical")
    # --- credential formats
    for k in ("GH1", "GH2"):
        if not gh_valid(V[k]):
            errs.append("generated %s invalid" % k)
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AWS_ID"]):
        errs.append("aws id format")
    # --- mix
    n = len(lines)
    nb = sum(1 for o, *_ in lines if not o["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= nb <= 65:
        errs.append("benign count %d" % nb)
    return errs, n, nb


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for obj, *_ in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    reread = [json.loads(l) for l in open(path, encoding="utf-8")]
    assert reread == [o for o, *_ in lines]
    errs, n, nb = check(lines)
    from collections import Counter
    cnt = Counter(c for o, *_ in lines for c in o["expect"]["categories"])
    langs = Counter(o["post"]["lang"] for o, *_ in lines)
    roles = Counter((r, bool(o["expect"]["categories"])) for o, _, r, _ in lines)
    print("cases %d, benign %d, langs %s" % (n, nb, dict(langs)))
    print("categories", dict(sorted(cnt.items())))
    print("roles", dict(roles))
    if errs:
        for e in errs:
            print("FAIL", e)
        sys.exit(1)
    print("OK: all self-checks passed")


if __name__ == "__main__":
    main()
