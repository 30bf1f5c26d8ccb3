#!/usr/bin/env python3
"""Build the labelled evaluation set sealed503 (Wanderklas Reizen, student travel).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to
this file and checks it against the contract (sections 4 and 6) before exiting.
Severities are computed from the account role found in profile.yaml, never typed.
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
SEED = 503_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0 and any(d)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- generators
def gen_iban(cc="NL", spaced=True):
    if cc == "NL":
        bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "BE":
        first = rng.randrange(10 ** 9, 10 ** 10)
        chk = first % 97 or 97
        bban = "%010d%02d" % (first, chk)
    else:  # DE
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    v = iban_make(cc, bban)
    assert iban_ok(v)
    return group4(v) if spaced else v


def gen_bad_iban(cc="NL"):
    good = gen_iban(cc, spaced=False)
    while True:
        pos = rng.randrange(8, len(good))
        ch = good[pos]
        new = rng.choice([d for d in string.digits if d != ch])
        bad = good[:pos] + new + good[pos + 1:]
        if not iban_ok(bad):
            return group4(bad)


def gen_card(spaced=True):
    while True:
        prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
        body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
        for last in string.digits:
            if luhn_ok(body + last):
                v = body + last
                return group4(v) if spaced else v


def gen_bad_card():
    good = re.sub(r"\D", "", gen_card(False))
    last = int(good[-1])
    bad = good[:-1] + str((last + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return group4(bad)


def gen_bsn():
    while True:
        d = [rng.randrange(1, 7)] + [rng.randrange(10) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if s == 10:
            continue
        v = "".join(map(str, d)) + str(s)
        assert bsn_ok(v)
        return v


def gen_bad_bsn():
    good = gen_bsn()
    while True:
        bad = good[:8] + str((int(good[8]) + rng.randrange(1, 10)) % 10)
        if not bsn_ok(bad):
            return bad


def rand_chars(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.digits + string.ascii_letters


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rand_chars(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def gen_aws_id():
    return "AKIA" + rand_chars(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand_chars(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rand_chars(ALNUM, 97)


def gen_slack():
    return "xoxb-%d-%d-%s" % (rng.randrange(10 ** 10, 10 ** 12), rng.randrange(10 ** 12, 10 ** 13), rand_chars(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rand_chars(ALNUM + "_-", 74) + "T3BlbkFJ" + rand_chars(ALNUM + "_-", 74)


def gen_anthropic():
    return "sk-ant-api03-" + rand_chars(ALNUM + "_-", 93) + "AA"


def gen_google():
    return "AIza" + rand_chars(ALNUM + "_-", 35)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "parent-%d" % rng.randrange(10000, 99999), "role": "ouder",
               "school": "WK-SCH-%d" % rng.randrange(100, 999),
               "iat": 1767225600 + rng.randrange(0, 3 * 10 ** 7)}
    payload["exp"] = payload["iat"] + 3600
    sig = bytes(rng.randrange(256) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def gen_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    words = ["Zomer", "Kompas", "Reis", "Berlijn", "Tulp", "Fiets", "Haven", "Gondel"]
    return rng.choice(words) + rand_chars(string.digits, 4) + rng.choice("!#$%&*?") + rand_chars(string.ascii_letters, 3)


GEN = {
    "IBAN_NL": (lambda: gen_iban("NL"), "iban"),
    "IBAN_NLc": (lambda: gen_iban("NL", spaced=False), "iban"),
    "IBAN_BE": (lambda: gen_iban("BE"), "iban"),
    "IBAN_DE": (lambda: gen_iban("DE", spaced=False), "iban"),
    "CARD": (lambda: gen_card(), "card"),
    "CARDc": (lambda: gen_card(False), "card"),
    "BSN": (gen_bsn, "bsn"),
    "BAD_IBAN": (lambda: gen_bad_iban("NL"), "bad_iban"),
    "BAD_CARD": (gen_bad_card, "bad_card"),
    "BAD_BSN": (gen_bad_bsn, "bad_bsn"),
    "GHP": (lambda: gen_github("ghp_"), "github"),
    "GHO": (lambda: gen_github("gho_"), "github"),
    "AWS_ID": (gen_aws_id, "aws"),
    "AWS_SECRET": (gen_aws_secret, "aws_secret"),
    "STRIPE": (gen_stripe, "stripe"),
    "SLACK": (gen_slack, "slack"),
    "OPENAI": (gen_openai, "openai"),
    "ANTHROPIC": (gen_anthropic, "anthropic"),
    "GOOGLE": (gen_google, "google"),
    "JWT": (gen_jwt, "jwt"),
    "PEM": (gen_pem, "pem"),
    "PW": (gen_password, "password"),
}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---------------------------------------------------------------- cases
CAT = {"C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse",
       "R": "leak.pricing", "F": "leak.financial", "K": "leak.confidential",
       "S": "leak.security", "T": "leak.secret", "P": "leak.pii"}

# (platform, handle, kind, lang, categories, text, created_at or None)
CASES = [
    # ------------------------------------------------ complaints
    ("x", "@mamavanjesse", "post", "nl", "C",
     "Zoon zou om 06:00 vertrekken naar Berlijn met @wanderklas. Het is nu 09:40, bus is er nog steeds niet en niemand neemt op. 30 pubers op een parkeerplaats in de regen 🙄 #wanderklas", None),
    ("x", "@mrs_okafor_teaches", "post", "en", "C",
     "Booked the London City Explorer for 42 students through Wanderklas. Hostel turned out to be in Zone 5, an hour from anything on the itinerary. Brochure said 'central'. Not impressed, and still no reply to my email from Monday.", None),
    ("facebook", "Ingrid.Bosman.71", "post", "nl", "C",
     "Terugbetaling voor de geannuleerde Praag-reis van mijn dochter: toegezegd 'binnen 14 dagen'. Inmiddels 9 weken verder. Drie keer gebeld, elke keer iemand anders die 'het gaat doorzetten'. Wanderklas, wanneer krijg ik mijn €419 terug??", None),
    ("reddit", "u/throwaway_hv5", "post", "en", "C",
     "PSA for other teachers: wanderklas charged us a 'city tax supplement' of €38 per kid AFTER we got back from Barcelona. Wasn't in the quote anywhere. Anyone else get hit with this?", None),
    ("tiktok", "@xx.sanne.xx", "comment", "nl", "C",
     "kamer in rome had schimmel op de muur en de douche deed het 3 dagen niet 🤢 reisleider zei gwn 'ja dat is italië' ok dankjewel wanderklas", None),
    ("x", "@meester_rob", "post", "nl", "C",
     "Dieetwensen van 4 leerlingen (glutenvrij, halal) netjes doorgegeven bij boeking. Eerste avond in Krakau: schnitzel voor iedereen. Zelf maar naar de Biedronka gerend. @wanderklas_help dit moet echt beter.", None),
    ("instagram", "@jules.travels.not", "comment", "en", "C",
     "so our Paris Classic trip got 'rescheduled' from april to late june, when half the class has exams. and we can't cancel without paying 25%. cheers wanderklas 🙃", None),
    ("x", "@vader_van_3", "post", "nl", "C",
     "Wéér een nieuwe vertrektijd, de derde deze week. Per sms. Om 23:15. Hoe moeten ouders hier omheen plannen?? @wanderklas", None),
    ("x", "@headofyear9", "post", "en", "C",
     "The Wanderklas app has shown the wrong hotel address for our Dublin Language Week all day. Parents are panicking in the group chat. Sort it out please @wanderklas_help", None),
    ("forum", "moeder_van_tim", "comment", "nl", "C",
     "Ervaringen met Wanderklas? Wij vonden het tegenvallen: klassen van 3 scholen in één hotel gepropt, herrie tot 3 uur 's nachts, en de begeleiders van Wanderklas waren om 22u al 'uit dienst'. Voor €749 p.p. verwacht ik toch wat meer.", None),
    ("x", "@juf_anouk", "post", "en", "C",
     "Suitcases of 6 students left behind at the Frankfurt transfer and Wanderklas says we should 'file a claim with the airline ourselves'. Isn't that exactly what we pay you for?", None),
    ("x", "@schoolleider_ede", "reply", "nl", "C",
     "@wanderklas_help factuur voor de Normandië D-Day Tour klopt niet. 68 lln gefactureerd, we gingen met 61. Al 2x gemaild, geen reactie. Graag vandaag nog een creditnota.", None),
    ("x", "@lindavdmeer", "reply", "nl", "CP",
     "@wanderklas_help 40 minuten in de wacht en toen opgehangen. Bel me dan gewoon terug, 06-41 27 83 90, want zo ga ik die Malta taalreis echt niet boeken.", None),
    # complaint + crisis (first-hand safety incidents)
    ("x", "@mama_lieke", "post", "nl", "CX",
     "Mijn dochter en 11 klasgenoten zijn ziek geworden van het eten in het hostel in Barcelona, zij is vannacht op de SEH beland met uitdroging. Wist Wanderklas dat die keuken eerder was afgekeurd?? Ik ben woedend.", None),
    ("x", "@coach_marcus", "post", "en", "CX",
     "The bunk bed in our Wanderklas hostel in Prague collapsed last night with a kid on the top bunk. Six stitches in his head. Nobody from Wanderklas has even called his parents yet.", None),
    ("instagram", "@tessa.v", "post", "nl", "CX",
     "Onze bus van Wanderklas begon op de snelweg richting Oostenrijk te roken, chauffeur moest op de vluchtstrook stoppen en we stonden met 50 kinderen in de berm. Dit was écht eng. Die bus rammelde de hele rit al 😡", None),
    ("x", "@ms_delgado", "post", "en", "CX",
     "My son got an electric shock from the socket in his room at the Wanderklas hotel in Athens, the wall plate was hanging off. He's ok but this could have been so much worse. I reported it on day 1 and nothing was done.", None),
    ("facebook", "robert.hoekstra.58", "post", "nl", "CX",
     "Op de skiweek van Wanderklas werden kinderen zonder helm een zwarte piste op gestuurd door een 'instructeur' die zij hadden geregeld. Mijn zoon heeft zijn pols gebroken. Verzekering keert niet uit want 'buiten programma'. Schandalig.", None),
    # complaint + abuse
    ("x", "@ricardo_020", "post", "nl", "CA",
     "wanderklas is echt een kutbedrijf. 3 weken geen antwoord op m'n mail over de annulering en dan doen alsof het mijn fout is. stelletje oplichters", None),
    ("x", "@angrydad_77", "post", "en", "CA",
     "@wanderklas you useless bunch of idiots, my kid has been stuck at Gatwick for 7 hours because your so-called tour leader booked the wrong flight day", None),

    # ------------------------------------------------ crisis
    ("x", "@nieuwsjager_nl", "post", "nl", "X",
     "Gelekte mails: Wanderklas zou gegevens van 20.000 leerlingen, inclusief paspoortnummers, onbeveiligd online hebben laten staan. Wie weet meer? #datalek #wanderklas", None),
    ("x", "@ParentsUnitedNL", "post", "en", "X",
     "We call on every school to BOYCOTT Wanderklas until they publish the full investigation into what happened in Krakow. Share this. #BoycotWanderklas", None),
    ("x", "@omroep_westkust", "post", "nl", "X",
     "Bus met leerlingen van een Zeeuwse scholengemeenschap op weg naar Parijs betrokken bij ongeval bij Antwerpen. De reis was geboekt via Wanderklas. Drie leerlingen licht gewond naar het ziekenhuis.", None),
    ("x", "@mr_jvdlinden_law", "post", "en", "X",
     "We now represent 14 families in a collective claim against Wanderklas Reizen B.V. over the cancelled Iceland trip. The summons was served this morning.", None),
    ("tiktok", "@dilara.x", "post", "nl", "X",
     "wtf er wordt een reisleider van wanderklas beschuldigd van ongepaste berichten naar leerlingen?? het gaat rond in de groepsapp van de hele school 😳", None),
    ("reddit", "u/kr_watcher", "comment", "en", "X",
     "Third-hand but reliable: a student on a Wanderklas Malta trip ended up in hospital after a boat excursion they added last minute. No life jackets on board apparently. School is keeping it quiet.", None),
    ("x", "@ouderraad_lyceum", "post", "en", "X",
     "The parents' council proposes suspending all trips with Wanderklas after this morning's newspaper revelations. Vote next Tuesday.", None),
    ("x", "@wanderklas", "post", "nl", "X",
     "Update over onze groep in Barcelona: 14 leerlingen zijn ziek geworden, vermoedelijk door voedselvergiftiging. Iedereen is inmiddels terug in het hotel. Ouders worden persoonlijk gebeld door ons crisisteam.", None),
    ("x", "@edu_journalist", "post", "en", "X",
     "Inspectors found fire exits chained shut at two hostels Wanderklas uses for school groups, according to documents we have seen. Wanderklas has not responded to our questions.", None),
    ("x", "@bezorgdeopa", "post", "nl", "X",
     "Klopt het dat er een rechtszaak tegen Wanderklas loopt over die verongelukte skireis? Mijn kleindochter gaat in mei met ze naar Rome...", None),

    # ------------------------------------------------ abuse
    ("x", "@zzzbart", "reply", "nl", "A",
     "@lotte_reisleider ga je kapot schamen vieze kankerwijf", None),
    ("x", "@xXsnipeXx", "reply", "en", "A",
     "@ilse.opreis nobody likes you, ugly cow. quit before someone makes you", None),
    ("x", "@dennis_r_", "post", "nl", "A",
     "w4nd3rkl4s = k4nk3rb3dr1jf, echt n 0pl1cht3rsb3nd3 m3t d0mm3 r31sl31d3rs", None),
    ("x", "@stefke_h", "post", "nl", "A",
     "Wanderklas? K.U.T.B.E.D.R.I.J.F. Meer hoef ik niet te zeggen.", None),
    ("facebook", "henk.de.bruin.1962", "comment", "nl", "A",
     "Waarom zitten er bij Wanderklas altijd van die hoofddoekjes aan de balie? Ga terug naar je eigen land.", None),
    ("x", "@kees_planning", "post", "nl", "A",
     "Weer zo'n zeurende kutdocent aan de lijn die denkt dat wij zijn persoonlijke butler zijn. Debiel.", None),
    ("x", "@wanderklas_help", "reply", "en", "A",
     "@danny_k maybe learn to read your own booking confirmation before calling us, genius. Pathetic.", None),
    ("x", "@troll_9000", "post", "en", "A",
     "wanderklas staff are a bunch of brain-dead monkeys lmao", None),
    ("instagram", "@b0yd.x", "comment", "en", "A",
     "that mila from your tiktok is such a dumb bitch lol 🤡🤡", None),
    ("x", "@gerritjan_77", "post", "nl", "A",
     "Wanderklas = \u043eplichters en t\u0443fuslijers, allemaal", None),

    # ------------------------------------------------ pricing
    ("x", "@wanderklas", "post", "en", "R",
     "🔥 Last minute: Rome Antiek, 6 days, now just €69 per student! Book at boeken.wanderklas.nl", None),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "R",
     "Great news for schools: the New York Highschool Trip for only €695 per student this spring. DM me for the group form!", None),
    ("x", "@goedkoopreizen", "post", "nl", "R",
     "PRIJSFOUT?! IJsland Vulkanen & Gletsjers bij Wanderklas staat op €149 p.p. 😳 snel zijn voor ze het aanpassen", None),
    ("x", "@docent_ckv", "post", "nl", "R",
     "Is dit een foutje? Barcelona Sol & Cultuur voor €58,90 per leerling in de offerte van Wanderklas. Vorig jaar was het 589.", None),
    ("instagram", "@ilse.opreis", "post", "nl", "R",
     "Oeps 🙈 collega's zeggen dat er gisteravond een prijsfout in de Malta taalreis op de site stond. Wie snel was heeft geluk gehad haha", None),
    ("facebook", "WanderklasReizen", "post", "nl", "R",
     "Kopenhagen Design & Duurzaam: 5 dagen design, fietsen en duurzaamheid voor maar €199 per leerling! Alleen deze week 🚲", None),
    ("reddit", "u/budgetjuf", "post", "en", "R",
     "Wanderklas website glitch? Ski Week Tirol shows €74.90 per student in the basket. Screenshot before it's gone", None),
    ("x", "@kees_planning", "post", "en", "R",
     "lol who set the Dublin Language Week to €65 in the booking system 😂 parents are booking like crazy", None),
    ("tiktok", "@noahhh.2009", "comment", "nl", "R",
     "guys de london city explorer kost bij wanderklas nu 52 euro?? is dat een bug of zo", None),
    ("x", "@wanderklas_help", "reply", "nl", "R",
     "@ouder_marloes Klopt, door een prijsfout stond Praag Gouden Stad gisteren verkeerd op de site. Boekingen tegen die prijs worden helaas geannuleerd.", None),
    ("x", "@surfmeneer", "post", "en", "R",
     "Lisbon Surf with Wanderklas for €99?? has to be an error lol, booking 30 spots right now", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "R",
     "Anyone else's inbox exploding? The Athens Classics package went live at €84.90 instead of €849 overnight.", None),

    # ------------------------------------------------ financial
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "F",
     "Proud moment: we closed 2026 at €41.2M revenue and our first positive EBITDA in three years. Can't wait for the official release 😉", "2027-01-28T16:12:00Z"),
    ("x", "@kees_planning", "post", "en", "F",
     "Office rumour: we're being taken over by a German travel group, deal supposedly closes in March. Don't tell my boss 🤫", None),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "F",
     "Hard day. Management just told us 35 of our 120 FTE will go before summer, sales team hit hardest. It's not public yet, so please keep it to yourselves.", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "F",
     "forecastmeeting gehad: omzetprognose 2027 gaat 18% naar beneden, boekingen van Duitse scholen vallen weg. leuk begin van de week", None),
    ("x", "@fintips_nl", "post", "en", "F",
     "Hearing from a source inside Wanderklas that they're in exclusive talks to buy rival school-trip operator Klasse Tours. Announcement expected after Easter.", None),
    ("bluesky", "@femkewk.bsky.social", "post", "nl", "F",
     "Net gehoord dat onze klantenservice in Utrecht dichtgaat en alles naar een callcenter in Lissabon verhuist. Reorganisatie wordt pas in juni bekendgemaakt. Ik ben er kapot van.", None),
    ("x", "@bramvanoss_wk", "post", "nl", "F",
     "H1 boekingen 23% onder budget, CFO in paniek, per direct een vacaturestop. Bron: ik, ik zat erbij 🙃", None),
    ("x", "@lotte_reisleider", "post", "nl", "FK",
     "Sneak peek: de jaarcijfers 2026 worden echt goed, recordomzet en dikke bonus voor iedereen 🎉", "2027-02-25T19:40:00Z"),
    ("linkedin", "noor-haddou-wanderklas", "post", "nl", "FK",
     "Project Albatros (de overname van een Belgische taalreisaanbieder) gaat door, due diligence is afgerond. Champagne! 🥂", None),
    ("reddit", "u/zwager_weet_alles", "comment", "nl", "F",
     "Mijn zwager werkt bij Wanderklas: ze sluiten 2 van de 4 vestigingen en er gaan zo'n 40 man uit. Wordt na de zomer pas aangekondigd.", None),
    ("tiktok", "@mila_reisleiding", "post", "nl", "F",
     "pov: je hoort in de kantine dat wanderklas verkocht wordt aan een investeringsfonds en je contract loopt in mei af 💀", None),
    ("reddit", "u/rick_wk_ops", "comment", "en", "F",
     "Not supposed to say this, but the Q4 numbers are bad enough that the board is talking about selling off the ski division. Heads up if you're one of our suppliers.", None),

    # ------------------------------------------------ confidential
    ("x", "@bramvanoss_wk", "post", "en", "K",
     "Who still has access to https://wiki.wanderklas.nl/display/OPS/Busplanning-2027 ? Link stopped working for me after the migration", None),
    ("instagram", "@ilse.opreis", "post", "nl", "K",
     "Eerste fotoshoot gedaan voor onze nieuwe Japan Explorer reis 🇯🇵🌸 kan niet wachten tot jullie hem zien!", "2026-11-20T10:05:00Z"),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "K",
     "Operatie Kompasroos kicks off next week: a whole new pricing model for secondary schools. Excited to be part of it!", None),
    ("instagram", "@wanderklas.reizen", "post", "en", "K",
     "Brainstorm day with the whole team ✨ (slide behind us: 'Nachtegaal, roadmap 2027, alleen intern')", None),
    ("x", "@datadetective_eu", "post", "en", "K",
     "Someone at Wanderklas left a doc titled 'WANDERKLAS CONFIDENTIAL – supplier margins 2026' open on a public drive. lol.", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "K",
     "ssh naar boekingsdb.wanderklas.local is weer tergend traag, wie draait daar een full table scan? 😤", None),
    ("tiktok", "@mila_reisleiding", "post", "nl", "K",
     "we werken aan een gloednieuwe reis naar Marrakech voor volgend jaar, nog supergeheim dus je hebt het niet van mij 🤫🐪", None),
    ("x", "@kees_planning", "post", "nl", "K",
     "Planning voor Pr\u043eject \u0410lbatros staat, kick-off in Gent op 12 mei", None),
    ("bluesky", "@femkewk.bsky.social", "post", "nl", "K",
     "Operatie Kompas\u200broos betekent dus dat wij de helft van alle scholen opnieuw mogen bellen 😩", None),
    ("reddit", "u/leak_lurker", "post", "en", "K",
     "Internal Wanderklas screenshot going around: jira.wanderklas.nl/browse/BOOK-4471 'Nachtegaal launch blockers'. Anyone know what Nachtegaal is?", None),
    ("linkedin", "wanderklas-reizen", "post", "en", "K",
     "Join our team! We're hiring tour leaders for 2027. Apply here: https://intra.wanderklas.local/hr/vacatures/reisleider-2027", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "K",
     "Spent the whole day on the FY2026 results deck. Long day, lots of coffee ☕", "2027-02-10T18:20:00Z"),
    ("x", "@bramvanoss_wk", "post", "nl", "K",
     "Staging van de nieuwe ouder-app draait op https://staging-app.wanderklas.local:8443 , feedback welkom (alleen collega's)", None),
    ("x", "@pjotr_says", "post", "en", "K",
     "My cousin's a tour leader there and showed me the 'alleen intern' rate sheet: they pay hostels like €18 a night and bill schools €90 lol", None),
    ("instagram", "@ilse.opreis", "post", "nl", "K",
     fullwidth("Nachtegaal") + " wordt echt de vetste reis ooit, meer mag ik niet zeggen 🤐", None),
    ("tiktok", "@mila_reisleiding", "comment", "nl", "K",
     "mag niks zeggen over p r o j e c t  a l b a t r o s maar 👀👀👀", None),

    # ------------------------------------------------ security
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "S",
     "Ransomware op twee laptops van de boekingsafdeling vanochtend. Netwerk is gesegmenteerd, maar er is nog niks naar scholen gecommuniceerd. Lange dag wordt dit.", None),
    ("x", "@bramvanoss_wk", "post", "nl", "S",
     "lol onze boekingssite laat bij /api/bookings?id= gewoon elke boeking zien als je het nummer ophoogt. ticket staat al 4 maanden open 🤡", None),
    ("reddit", "u/rick_wk_ops", "post", "en", "S",
     "Our payment integration has been down since 04:00, parents can't pay deposits. Status page still says 'all systems operational' because marketing owns it.", None),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "S",
     "Heads up to my schools: if you got an odd invoice email 'from Wanderklas' this week, don't pay it. Our mailbox was compromised on Tuesday and IT is still on it. Official notice comes later.", None),
    ("bluesky", "@femkewk.bsky.social", "post", "nl", "S",
     "Volgens mij is onze klantenservicetool sinds gisteren gehackt, er verschijnen ineens rare notities bij klantdossiers. We mogen er van niemand iets over zeggen.", None),
    ("x", "@infosec_wouter", "post", "en", "SX",
     "Found an open Elasticsearch at Wanderklas with what looks like scans of students' passports. Reported it to them 3 weeks ago, no reply. Going public next week.", None),
    ("x", "@kees_planning", "post", "en", "S",
     "Planning system has been down for 6 hours, we're doing the Easter trips in Excel now. Don't tell the schools 🙈", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "en", "S",
     "The S3 bucket with travel documents has been public since the March migration. Only found out today. No idea yet who got in.", None),
    ("tiktok", "@mila_reisleiding", "comment", "nl", "S",
     "de reisleidersapp van wanderklas toont de nachtcode van elk hotel aan iedereen die de link heeft, zonder inlog 💀 al 3x gemeld", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "S",
     "Our finance systems were locked for two days last week after a phishing hit on one of our accounts. All fine now, but the board asked us to keep it quiet until the audit.", None),
    ("reddit", "u/exdev_nl", "comment", "en", "S",
     "ex-Wanderklas dev here: their parent portal still stores passwords as unsalted MD5. I reported it internally before I left in 2025, nothing changed.", None),
    ("x", "@wanderklas_help", "reply", "nl", "S",
     "@juf_anouk Excuses, ons boekingssysteem ligt sinds vanochtend plat door een aanval van buitenaf. We mogen er nog niet meer over zeggen.", None),

    # ------------------------------------------------ secrets
    ("x", "@bramvanoss_wk", "post", "nl", "ST",
     "Iemand heeft vorige week de productiekeys in een publieke repo gezet en ze zijn nog steeds niet geroteerd: <<AWS_ID>> / <<AWS_SECRET>>", None),
    ("x", "@bramvanoss_wk", "post", "en", "T",
     "can someone check why this token fails in CI? <<GHP>>", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "T",
     "config voor de nieuwe server, voor de collega's:\nDATABASE_URL=postgres://wk_app:<<PW>>@wk-prod.c9xk2ab7.eu-central-1.rds.amazonaws.com:5432/bookings", None),
    ("reddit", "u/rick_wk_ops", "post", "en", "T",
     "Stripe webhook keeps returning 401, here's our setup, what am I missing?\n\nSTRIPE_SECRET_KEY=<<STRIPE>>\nWEBHOOK_PATH=/hooks/stripe", None),
    ("x", "@kees_planning", "post", "nl", "T",
     "voor de nieuwe stagiair: inloggen op de planningstool met kees.mulder, wachtwoord: <<PW>>", None),
    ("instagram", "@wanderklas.reizen", "post", "nl", "T",
     "Behind the scenes bij ons marketingteam 📸 (whiteboard: 'insta login wanderklas.reizen / pw <<PW>>')", None),
    ("bluesky", "@femkewk.bsky.social", "post", "en", "T",
     "our slackbot is acting weird, token is <<SLACK>> can someone take a look?", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "T",
     "OPENAI_API_KEY=<<OPENAI>> voor de chatbot-test, niet misbruiken hè 😇", None),
    ("x", "@bramvanoss_wk", "post", "en", "T",
     "why won't ssh accept this key??\n<<PEM>>", None),
    ("x", "@randomdev_hq", "post", "en", "T",
     "Wanderklas' booking widget has a hardcoded Maps key in the JS bundle lol: <<GOOGLE>>", None),
    ("reddit", "u/rick_wk_ops", "comment", "en", "T",
     "Token from the parent portal decodes fine on jwt.io but the API says invalid signature:\n<<JWT>>", None),
    ("x", "@bramvanoss_wk", "post", "nl", "T",
     "ANTHROPIC_API_KEY=<<ANTHROPIC>> stond in de .env van de reisplanner-bot, vergeten te gitignoren 🙃", None),
    ("facebook", "sandra.koopmans.3", "post", "nl", "PT",
     "Ouderportaal van Wanderklas doet het weer niet. Inlog is sandra.koopmans@hotmail.com en wachtwoord <<PW>>, kan iemand van jullie het zelf proberen?", None),

    # ------------------------------------------------ personal data
    ("x", "@wanderklas_help", "reply", "en", "P",
     "@ingridbosman Your refund of €419 was transferred today to <<IBAN_NL>> (I. Bosman). Apologies for the long wait!", None),
    ("instagram", "@ilse.opreis", "post", "nl", "P",
     "Gefeliciteerd Sophie de Wit, geboren 14-03-2010, 16 jaar vandaag! 🎂 gevierd bovenop de Eiffeltoren met de hele groep", "2026-03-14T20:30:00Z"),
    ("x", "@lotte_reisleider", "post", "nl", "P",
     "Wie heeft het paspoort van Youssef El Idrissi gevonden? Nummer NW4K81P27, hij moet morgen vliegen!!", None),
    ("bluesky", "@femkewk.bsky.social", "post", "en", "P",
     "customer read out her credit card and I pasted it into the wrong chat 😬 <<CARD>> exp 09/28", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "P",
     "For the payroll test run, use employee 0412: BSN <<BSN>>, salary band C. Thanks team!", None),
    ("x", "@marloes_t", "reply", "nl", "P",
     "@wanderklas_help kunnen jullie me terugbellen over de Malta taalreis? marloes.terpstra@gmail.com of 06 2841 9937, boekingsnummer WK-28817", None),
    ("facebook", "WanderklasReizen", "post", "en", "P",
     "And the winner of our photo contest is Emma Kuipers, Lindelaan 14, 3581 KG Utrecht! Your prize is in the post this week 📦", None),
    ("x", "@kees_planning", "post", "nl", "P",
     "Kamerindeling Rome, kamer 12: Daan Bakker (06-18273645) en Milan Roos (06-29384756). Wie heeft het origineel van de lijst?", None),
    ("x", "@familie_brouwer", "post", "en", "P",
     "Got another family's booking confirmation from Wanderklas by mistake: Lisa Brouwer, born 02-07-2009, mum's number +31 6 43 21 87 65. Emailed them, hope they sort it.", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "P",
     "debug log van vanochtend, wie snapt dit:\nuser=j.vandenberg@ziggo.nl iban=<<IBAN_DE>> status=SEPA_FAILED", None),
    ("facebook", "p.meijer.ouder", "comment", "nl", "P",
     "Voor de restitutie van de Parijsreis, zoals jullie medewerker vroeg: <<IBAN_BE>> t.n.v. P. Meijer", None),
    ("x", "@lotte_reisleider", "post", "en", "P",
     "Emergency contact for the London group if I can't be reached: my private number 0031 6 5566 7788", None),
    ("x", "@jverhoeven_", "reply", "en", "CP",
     "@wanderklas_help your payment page keeps failing. Card <<CARD>> exp 11/27, name J. Verhoeven. Can you just charge it manually??", None),

    # ================================================ benign (hard negatives)
    ("x", "@wanderklas", "post", "en", "",
     "New in our range: Kopenhagen Design & Duurzaam! 5 days of cycling, design and sustainable innovation from €599 per student. More at www.wanderklas.nl", None),
    ("instagram", "@wanderklas.reizen", "post", "nl", "",
     "Vroegboekkorting! 🎉 Berlijn 5-daagse tot 1 februari voor €399 i.p.v. €449. Vraag een offerte aan via boeken.wanderklas.nl", None),
    ("x", "@juf_anouk", "post", "nl", "",
     "Terug van Krakau met 4 havo. Indrukwekkend en goed begeleid, reisleider Ilse was top. Dank Wanderklas 🙏", None),
    ("x", "@wanderklas_help", "post", "nl", "",
     "Vragen over je reis? Mail info@wanderklas.nl of bel gratis 0800-9266 (ma-vr 8-18u). Tijdens de reis bij nood: +31 30 555 0199, 24/7.", None),
    ("facebook", "WanderklasReizen", "post", "nl", "",
     "Aanbetaling voor jullie schoolreis overmaken? Dat kan naar NL39 RABO 0312 4577 90 t.n.v. Wanderklas Reizen B.V., o.v.v. je boekingsnummer.", None),
    ("x", "@teachmrsb", "post", "en", "",
     "Just got back from the Wanderklas Rome trip, the kids won't stop talking about the Colosseum 😂 killer itinerary honestly", None),
    ("x", "@bramvanoss_wk", "post", "nl", "",
     "Tip uit de AWS-docs: zet nooit echte keys in voorbeelden, gebruik AKIAIOSFODNN7EXAMPLE en wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY zoals zij doen.", None),
    ("reddit", "u/rick_wk_ops", "comment", "en", "",
     "Redacted obviously, but this is the shape of our config:\nSTRIPE_SECRET_KEY=sk_live_************************\nGITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", None),
    ("x", "@pien_reist", "post", "nl", "",
     "Cadeaukaart van Wanderklas gekregen, code <<BAD_CARD>>, maar de webshop zegt 'ongeldig'. Iemand een idee?", None),
    ("x", "@mr_hollis_geo", "post", "en", "",
     "Quick q: my bank says the IBAN on my Wanderklas invoice (<<BAD_IBAN>>) is invalid, probably I copied it wrong. Which one should I use?", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "nl", "",
     "Leuk weetje uit mijn salaristraining: een BSN moet de elfproef doorstaan. 123456789 haalt het bijvoorbeeld niet 🤓", None),
    ("x", "@ouder_van_fleur", "post", "nl", "",
     "Inschrijfformulier van Wanderklas accepteerde het BSN-veld niet ({BAD_BSN_FMT}). Blijkt dat ik twee cijfers had omgedraaid, nu werkt het wel 😅", None),
    ("linkedin", "wanderklas-reizen", "post", "en", "",
     "Today we published our jaarcijfers 2026: revenue up 14% and a record number of students travelled with us. Read the full report on wanderklas.nl/investors", "2027-03-05T08:00:00Z"),
    ("instagram", "@wanderklas.reizen", "post", "nl", "",
     "Hij is er! 🇯🇵 De Japan Explorer: 10 dagen Tokyo, Kyoto en Hiroshima voor bovenbouwklassen. Vanaf nu te boeken op www.wanderklas.nl", "2027-01-20T09:00:00Z"),
    ("x", "@reisnieuws_nl", "post", "en", "",
     "Coach operator Van Dam Touring declared bankrupt, 40 drivers out of work. Lots of schools now scrambling for other transport for the May trips.", None),
    ("x", "@wanderklas", "post", "en", "",
     "Our thoughts are with the students and teachers involved in today's coach accident in Tyrol (not a Wanderklas group). Wherever we can help, we will.", None),
    ("x", "@vader_van_3", "post", "nl", "",
     "Update: Wanderklas heeft gebeld, excuses aangeboden en de vertrektijd staat nu definitief vast. Netjes opgelost 👍", None),
    ("x", "@throwaway_hv5", "post", "en", "",
     "Credit where it's due: Wanderklas refunded that city tax supplement within a week of my post. Thanks @wanderklas_help", None),
    ("tiktok", "@jaylinn.xo", "post", "en", "",
     "my class after 5 days in barcelona: 0 hours sleep, 100% sunburnt, 10/10 would do it again 😂 #wanderklas", None),
    ("x", "@mum_of_two_ams", "post", "en", "",
     "Is the Dublin Language Week okay for 14 year olds? Thinking of pushing our school to book it with Wanderklas next spring.", None),
    ("instagram", "@ro.and.friends", "post", "en", "",
     "Paid the €150 deposit for Rome Antiek, rest is due in March. Can't wait!! 🇮🇹", None),
    ("x", "@wanderklas", "post", "nl", "",
     "Met code SKI50 krijg je €50 korting op de Ski Week Tirol ⛷️ Geldig t/m 31 oktober.", None),
    ("reddit", "u/mrvdberg_teacher", "comment", "en", "",
     "For reference: we paid €1,895 per student for the NYC Highschool Trip with Wanderklas, flights, hotel and guide included. Pricey but everything ran smoothly.", None),
    ("forum", "docent_duits", "comment", "nl", "",
     "Even vergeleken: Praag Gouden Stad bij Wanderklas €419, bij een andere aanbieder €445. Scheelt niet veel, de reviews gaven de doorslag.", None),
    ("x", "@wanderklas", "post", "nl", "",
     "Black Friday bij Wanderklas: 20% korting op Lissabon Surf & Stad, nu €543 per leerling 🏄", None),
    ("facebook", "WanderklasReizen", "post", "nl", "",
     "Let op: er gaan phishingmails rond uit naam van reisorganisaties. Wanderklas vraagt nooit via WhatsApp of sms om je wachtwoord of betaalgegevens.", None),
    ("x", "@wanderklas_help", "post", "en", "",
     "Planned maintenance: on Sunday between 02:00 and 04:00 boeken.wanderklas.nl will be unavailable for a bit. Sorry for the inconvenience!", None),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "",
     "We're hiring! Wanderklas is looking for 12 tour leaders for the 2027 season. Send your CV to vacatures@wanderklas.nl", None),
    ("x", "@history_miss_t", "post", "en", "",
     "Our history class on the Normandy D-Day Tour was so moving. Standing on Omaha Beach where so many died... the Wanderklas guide explained it brilliantly.", None),
    ("x", "@sem_2008", "post", "nl", "",
     "die skiweek was echt ziek man 🔥🔥 beste reis ooit, volgend jaar weer", None),
    ("instagram", "@mentorklas4b", "post", "nl", "",
     "Na de Parijsreis liep onze klas samen de Ride for the Roses voor KWF Kankerbestrijding. Wanderklas sponsorde de shirts ❤️", None),
    ("instagram", "@juf.margriet", "post", "nl", "",
     "Leerlingen leerden in Lissabon navigeren op de enorme kompasroos bij het Padrão dos Descobrimentos 🧭 #wanderklas", None),
    ("instagram", "@natuurmeester", "post", "nl", "",
     "Tijdens de avondwandeling in Normandië hoorden we een nachtegaal zingen, de hele groep was stil 🎶🐦", None),
    ("facebook", "WanderklasReizen", "post", "en", "",
     "Privacy: we treat students' data confidentially and never share it with third parties. Read our privacy policy at www.wanderklas.nl/privacy", None),
    ("x", "@mr_ashby_history", "post", "en", "",
     "The guide at the Churchill War Rooms showed us the original TOP SECRET stamps, the kids loved it. Great London trip, Wanderklas!", None),
    ("x", "@juf_kim_h", "post", "nl", "",
     "Storing bij de NS vandaag, onze klas haalde de trein naar Schiphol niet. Wanderklas regelde binnen een uur een bus 🙌", None),
    ("x", "@lotte_reisleider", "post", "nl", "",
     "Vandaag met 3 vwo door Kreuzberg gefietst. Regen, wind, en toch alleen maar lachende gezichten 🚲☔ #wanderklas #berlijn", None),
    ("tiktok", "@mila_reisleiding", "post", "nl", "",
     "pov: je bent reisleider en de klas zingt om 7 uur 's ochtends al in de bus 🎤😭 love my job", None),
    ("instagram", "@ilse.opreis", "post", "en", "",
     "Sunset in Sevilla 🧡 Week 2 of the language trip and the students already order their tapas in Spanish!", None),
    ("x", "@parentsforum_nl", "post", "en", "",
     "Reminder for parents: the Wanderklas emergency line during trips is +31 30 555 0199. Save it before departure!", None),
    ("x", "@conrector_jan", "post", "nl", "",
     "Vraag over vrijstelling gemaild naar scholen@wanderklas.nl, binnen een uur antwoord. Zo hoort het.", None),
    ("linkedin", "jeroen-smit-wanderklas", "post", "en", "",
     "Teachers: which Berlin museums do your students love most? Planning next year's programme and would love your input.", None),
    ("x", "@bramvanoss_wk", "post", "nl", "",
     "Voor de stagiairs: een JWT ziet eruit als xxxxx.yyyyy.zzzzz, dus header, payload en signature. Plak nooit een echte in een chat, gebruik jwt.io met testdata.", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "",
     "postgres://user:password@localhost:5432/mydb is het voorbeeld uit de docs hè, je echte gegevens komen uit de secret manager 😉", None),
    ("x", "@wanderklas_help", "post", "nl", "",
     "Wachtwoord vergeten voor het ouderportaal? Klik op 'wachtwoord vergeten' op boeken.wanderklas.nl en je krijgt binnen 5 minuten een link.", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "",
     "Our annual report 2025 is online! Proud of the team that made it happen. wanderklas.nl/jaarverslag", None),
    ("x", "@schooltravel_news", "post", "en", "",
     "Big consolidation in school travel: Edutrip Group acquires SchoolReizen Noord. Interesting times for the sector.", None),
    ("facebook", "ellen.vos.ouder", "comment", "nl", "",
     "Ik was sceptisch na dat busincident bij een andere organisatie vorig jaar. Maar Wanderklas checkt echt alles: rijtijden, chauffeurs, gordels. Fijn gevoel als ouder.", None),
    ("x", "@sectie_maatschappij", "post", "en", "",
     "30% off the Brussel Europa Driedaagse at Wanderklas, €181 per student. Perfect for our civics classes!", None),
    ("x", "@latin_teacher_ro", "post", "en", "",
     "Athens & Delphi Classics was €849 per student and honestly worth every cent. Delphi at sunrise 🤩", None),
    ("reddit", "u/spaanse_juf", "post", "en", "",
     "Wanderklas vs other operators for a Spanish immersion week? The Sevilla taalreis looks good but I'd like opinions from teachers who went.", None),
    ("youtube", "@WanderklasTV", "post", "nl", "",
     "Nieuwe video: 5 tips om je koffer te pakken voor een schoolreis ✈️ Bekijk hem nu!", None),
    ("x", "@zoe.in.malta", "post", "en", "",
     "My water bottle leaked all over my passport on the flight to Malta 😭 the Wanderklas guide dried it with a hairdryer, legend", None),
    ("x", "@mr_larsen_cph", "post", "en", "",
     "Honestly zero complaints about the Copenhagen trip. Bikes were great, hostel clean, guide lovely. Wanderklas 10/10", None),
    ("instagram", "@groen.lyceum", "post", "nl", "",
     "Onze klas deed tijdens de Lissabonreis mee aan een plasticboycot, Wanderklas had herbruikbare bekers geregeld 🌍", None),
    ("x", "@civics_mrs_k", "post", "en", "",
     "Visited the European Parliament on the Brussels EU trip and the kids staged a mock trial afterwards. Great day, thanks Wanderklas!", None),
    ("mastodon", "@daanvisser@mastodon.social", "post", "nl", "",
     "In de README staat OPENAI_API_KEY=sk-...your-key-here, vergeet niet die te vervangen door je eigen key uit de vault.", None),
    ("linkedin", "noor-haddou-wanderklas", "post", "en", "",
     "Great reactions to our jaarcijfers 2026 presentation last week. Thank you all for coming!", "2027-03-10T12:00:00Z"),
    ("x", "@wanderklas_help", "reply", "nl", "",
     "@lindavdmeer Wat vervelend dat het zo lang duurde! Een collega heeft u net teruggebeld, fijn dat het nu geregeld is. Goede reis naar Malta ☀️", None),
    ("bluesky", "@femkewk.bsky.social", "post", "nl", "",
     "Vandaag 63 telefoontjes gehad en bij elk ervan een blije ouder aan de lijn. Soms is klantenservice gewoon leuk 💛", None),
]

# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role

ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, pii_checksum):
    level = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checksum)) else "error"
            else:
                lv = "warning"
        elif c == "reputation.complaint":
            lv = "warning"
        elif c == "reputation.crisis":
            lv = "error"
        elif c == "reputation.abuse":
            lv = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if ORDER.index(lv) > ORDER.index(level):
            level = lv
    return level


def fill(text):
    """Replace <<NAME>> placeholders with freshly generated values; return text and kinds used."""
    used = []

    def sub(m):
        fn, kind = GEN[m.group(1)]
        val = fn()
        used.append((kind, val))
        return val

    text = re.sub(r"<<([A-Za-z_]+)>>", sub, text)
    if "{BAD_BSN_FMT}" in text:
        b = gen_bad_bsn()
        used.append(("bad_bsn", b))
        text = text.replace("{BAD_BSN_FMT}", "%s.%s.%s" % (b[:4], b[4:6], b[6:]))
    return text, used


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 355 * 86400)
    t = start + dt.timedelta(seconds=secs)
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]), second=0)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


DISPLAY = {
    "@wanderklas": "Wanderklas Reizen", "@wanderklas_help": "Wanderklas Klantenservice",
    "@lotte_reisleider": "Lotte de Graaf", "@bramvanoss_wk": "Bram van Oss", "@kees_planning": "Kees Mulder",
    "noor-haddou-wanderklas": "Noor Haddou", "jeroen-smit-wanderklas": "Jeroen Smit",
    "@ilse.opreis": "Ilse Kramer", "@daanvisser@mastodon.social": "Daan Visser",
    "@femkewk.bsky.social": "Femke", "@mila_reisleiding": "Mila | reisleider", "u/rick_wk_ops": "rick_wk_ops",
}

# Stable shuffle so categories are interleaved in the output file.
order = list(range(len(CASES)))
rng.shuffle(order)

records = []
meta = []
for n, idx in enumerate(order, 1):
    platform, handle, kind, lang, codes, text, created = CASES[idx]
    text, used = fill(text)
    cats = sorted({CAT[c] for c in codes})
    role = role_of(platform, handle)
    pii_checksum = any(k in ("iban", "card", "bsn") for k, _ in used)
    sev = severity(cats, role, pii_checksum)
    post = {
        "id": "%s-wk503-%04d" % (platform, 1000 + n),
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": created or rand_time(),
        "brand": "Wanderklas",
    }
    if handle in DISPLAY:
        post["account"]["display_name"] = DISPLAY[handle]
    records.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    meta.append({"role": role, "used": used, "codes": codes})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check
errors = []


def err(i, msg):
    errors.append("line %d (%s): %s" % (i + 1, records[i]["post"]["id"], msg))


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
for x in PUBLIC_IBANS:
    assert iban_ok(x), "profile IBAN fails mod-97: " + x

# profile sanity
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
assert 15 <= len(PROFILE["products"]) <= 25
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
for e in PROFILE["embargo"]:
    assert e["until"].startswith("2027-")
for p in PROFILE["products"]:
    assert p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"]

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d.])\d{4}(?:[ -]?\d{4}){3}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.\-+])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append(a.lower())

ids = set()
for i, (r, m) in enumerate(zip(records, meta)):
    line = json.dumps(r, ensure_ascii=False)
    back = json.loads(line)
    post, exp = back["post"], back["expect"]
    # contract section 1 / 6 shape
    if set(back) != {"post", "expect"}:
        err(i, "top-level keys")
    if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
        err(i, "id")
    if post["id"] in ids:
        err(i, "duplicate id")
    ids.add(post["id"])
    if post.get("platform") not in PLATFORMS:
        err(i, "platform")
    if post.get("kind") not in KINDS:
        err(i, "kind")
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(i, "account.handle")
    if not isinstance(post.get("text"), str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
        err(i, "text")
    try:
        ts = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        if ts.year not in (2026, 2027):
            err(i, "created_at year")
    except Exception:
        err(i, "created_at not RFC 3339")
    if not isinstance(exp.get("categories"), list) or exp["categories"] != sorted(set(exp["categories"])):
        err(i, "categories not sorted/distinct")
    if any(c not in TAXONOMY or c == "reputation.spike" for c in exp["categories"]):
        err(i, "unknown category")
    if exp.get("severity") not in ORDER:
        err(i, "severity")
    if (not exp["categories"]) != (exp["severity"] == "none"):
        err(i, "benign <-> none mismatch")
    # severity recomputed from role
    role = role_of(post["platform"], post["account"]["handle"])
    pc = any(k in ("iban", "card", "bsn") for k, _ in m["used"])
    if severity(exp["categories"], role, pc) != exp["severity"]:
        err(i, "severity not per policy")
    text = post["text"]
    positive = bool(exp["categories"])
    # identifiers: positives carry only valid ones, negatives only invalid ones
    for kind, val in m["used"]:
        if kind == "iban" and not iban_ok(val):
            err(i, "generated IBAN invalid")
        if kind == "card" and not luhn_ok(val):
            err(i, "generated card invalid")
        if kind == "bsn" and not bsn_ok(val):
            err(i, "generated BSN invalid")
        if kind == "bad_iban" and iban_ok(val):
            err(i, "look-alike IBAN valid")
        if kind == "bad_card" and luhn_ok(val):
            err(i, "look-alike card valid")
        if kind == "bad_bsn" and bsn_ok(val):
            err(i, "look-alike BSN valid")
        if kind.startswith("bad_") and positive:
            err(i, "look-alike in a positive")
        if kind in ("iban", "card", "bsn") and "leak.pii" not in exp["categories"]:
            err(i, "valid identifier without leak.pii")
        if kind == "github" and not github_ok(val):
            err(i, "github checksum")
        if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            err(i, "aws id format")
        if kind == "jwt" and not jwt_ok(val):
            err(i, "jwt header")
        if kind in ("github", "aws", "aws_secret", "stripe", "slack", "openai", "anthropic", "google", "jwt", "pem", "password") \
                and "leak.secret" not in exp["categories"]:
            err(i, "secret without leak.secret")
    for mt in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", mt.group(0))
        ok = iban_ok(compact)
        if positive and not ok:
            err(i, "IBAN-like string fails mod-97 in a positive: " + mt.group(0))
        if not positive and ok and compact not in PUBLIC_IBANS:
            err(i, "valid IBAN in a negative: " + mt.group(0))
    for mt in CARD_RE.finditer(text):
        ok = luhn_ok(mt.group(0))
        if positive and not ok:
            err(i, "card-like number fails Luhn in a positive: " + mt.group(0))
        if not positive and ok:
            err(i, "Luhn-valid number in a negative: " + mt.group(0))
    for mt in BSN_RE.finditer(text):
        ok = bsn_ok(mt.group(1))
        if positive and "leak.pii" in exp["categories"] and not ok:
            err(i, "BSN-like number fails 11-proof in a pii positive: " + mt.group(1))
        if not positive and ok:
            err(i, "11-proof-valid number in a negative: " + mt.group(1))
    # pricing positives name a product from the profile
    if "leak.pricing" in exp["categories"] and not any(a in text.lower() for a in ALIASES):
        err(i, "pricing case without a product")
    # public handles must not be in the profile; corporate/employee handles must be
    if m["role"] != role:
        err(i, "role drift")
    # embargo sanity: embargo terms before 'until' must be labelled confidential, after must not be
    for e in PROFILE["embargo"]:
        until = dt.datetime.strptime(e["until"], "%Y-%m-%dT%H:%M:%SZ")
        if any(t.lower() in text.lower() for t in e["terms"]):
            before = ts < until
            if before and "leak.confidential" not in exp["categories"]:
                err(i, "embargo term before until not labelled confidential")
            if not before and positive:
                err(i, "embargo term after until labelled positive")

# mix
n_total = len(records)
n_benign = sum(1 for r in records if not r["expect"]["categories"])
counts = {}
for r in records:
    for c in r["expect"]["categories"]:
        counts[c] = counts.get(c, 0) + 1
n_nl = sum(1 for r in records if r["post"]["lang"] == "nl")
if not 170 <= n_total <= 180:
    errors.append("total %d not in 170-180" % n_total)
if not 55 <= n_benign <= 65:
    errors.append("benign %d not about 60" % n_benign)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for c, w in want.items():
    if abs(counts.get(c, 0) - w) > 3:
        errors.append("%s count %d far from %d" % (c, counts.get(c, 0), w))
if not 0.48 <= n_nl / n_total <= 0.62:
    errors.append("Dutch share %.2f" % (n_nl / n_total))

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

print("ok: %d cases, %d benign, %d Dutch; %s" % (n_total, n_benign, n_nl,
      ", ".join("%s=%d" % (k, counts[k]) for k in sorted(counts))))
