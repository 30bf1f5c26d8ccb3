#!/usr/bin/env python3
"""Evaluation set 298 for postwatch: Halcyra Publishing (fictional academic and
professional publisher with the Halcyra Learn e-learning platform).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it (checksums, CONTRACT section 6 shape, severity policy).
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
SEED = 298
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_nl_iban(spaced=True):
    bank = rng.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    v = iban_make("NL", bank + acct)
    return group4(v) if spaced else v


def gen_be_iban():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(first) % 97 or 97
    v = iban_make("BE", "%s%02d" % (first, chk))
    return group4(v)


def gen_bad_iban():
    good = gen_nl_iban(spaced=False)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 1 + rng.randint(0, 40)) % 97 + 2 if cd < 97 else 12) + good[4:]
    while iban_ok(bad):
        bad = bad[:2] + "%02d" % ((int(bad[2:4]) + 7) % 100) + bad[4:]
    return group4(bad)


def gen_card(prefix=None, spaced=True):
    prefix = prefix or rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            num = body + c
            break
    return group4(num) if spaced else num


def gen_bad_card():
    num = gen_card(spaced=False)
    last = (int(num[-1]) + rng.randint(1, 9)) % 10
    bad = num[:-1] + str(last)
    assert not luhn_ok(bad)
    return group4(bad)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            if bsn_ok(s):
                return s


def gen_bad_bsn():
    s = gen_bsn()
    bad = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
    while bsn_ok(bad):
        bad = bad[:-1] + str((int(bad[-1]) + 1) % 10)
    return bad


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def gen_aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "u_%d" % rng.randint(10000, 99999), "role": "admin",
               "iss": "https://learn.halcyra.nl", "iat": 1780000000 + rng.randint(0, 9999999)}
    payload["exp"] = payload["iat"] + 3600
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_slack():
    # keep the numeric groups away from anything that looks like a card or BSN
    while True:
        a, b = rand(string.digits, 11), rand(string.digits, 13)
        if not luhn_ok(b) and a[0] != "0" and b[0] != "0":
            return "xoxb-%s-%s-%s" % (a, b, rand(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rand(ALNUM + "-_", 40) + "T3BlbkFJ" + rand(ALNUM + "-_", 40)


def gen_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"


def gen_stripe():
    return "sk_live_51" + rand(ALNUM, 96)


def gen_google():
    return "AIza" + rand(ALNUM + "-_", 35)


def gen_glpat():
    return "glpat-" + rand(ALNUM + "-_", 20)


def gen_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)][:8]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


def gen_dbpw():
    return rand(string.ascii_letters + string.digits, 14) + rng.choice("!*-_") + rand(string.digits, 2)


GENERATORS = {
    "IBAN": (lambda: gen_nl_iban(spaced=rng.random() < 0.6), "iban"),
    "IBAN_BE": (gen_be_iban, "iban"),
    "CARD": (lambda: gen_card(), "card"),
    "CARD_PLAIN": (lambda: gen_card(spaced=False), "card"),
    "BSN": (gen_bsn, "bsn"),
    "BSN_DOT": (lambda: (lambda s: s[:4] + "." + s[4:6] + "." + s[6:])(gen_bsn()), "bsn"),
    "BAD_IBAN": (gen_bad_iban, "bad_iban"),
    "BAD_CARD": (gen_bad_card, "bad_card"),
    "BAD_BSN": (gen_bad_bsn, "bad_bsn"),
    "GHP": (lambda: gen_github("ghp_"), "github"),
    "AKIA": (gen_aws_id, "aws_id"),
    "AWSSECRET": (gen_aws_secret, "aws_secret"),
    "JWT": (gen_jwt, "jwt"),
    "SLACK": (gen_slack, "slack"),
    "OPENAI": (gen_openai, "openai"),
    "ANTHROPIC": (gen_anthropic, "anthropic"),
    "STRIPE": (gen_stripe, "stripe"),
    "GOOGLE": (gen_google, "google"),
    "GLPAT": (gen_glpat, "glpat"),
    "PEM": (gen_pem, "pem"),
    "DBPW": (gen_dbpw, "dbpw"),
}

# --------------------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------------------
ZW = "\u200b"


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# --------------------------------------------------------------------------------------
# the posts.  (lang, platform, handle, categories, text, options)
# category short codes
# --------------------------------------------------------------------------------------
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

POSTS = [
    # ---------------------------------------------------------------- complaints
    ("nl", "x", "@sanne_studeert", "CO",
     "@halcyra_help al 3 dagen kan ik niet inloggen op Halcyra Learn en mn tentamen is vrijdag. "
     "jullie chat zegt 'we komen erop terug' en dan... niks. serieus?? 😤", {"kind": "reply"}),
    ("en", "reddit", "u/throwaway_nursing22", "CO",
     "Paid €345 for the nursing accreditation course on Halcyra Learn and half the modules are still "
     "'coming soon'. Emailed support twice, zero reply. Not what I paid for. Anyone else in the same boat?", {}),
    ("nl", "facebook", "marloes.kuiper.71", "CO",
     "Bestelling Handboek Arbeidsrecht 2026 op 2 september geplaatst, nu 5 weken later nog steeds niet binnen. "
     "Track & trace zegt al een maand 'in behandeling'. Wat is dit voor service Halcyra?", {"date": "2026-10-08"}),
    ("en", "x", "@profdwyer", "CO",
     "Third time this semester the Halcyra ebook reader logs my students out mid-revision. Access codes come back "
     "'already redeemed' when they're brand new. Fix your platform @halcyra_nl", {}),
    ("nl", "x", "@bramvdsteen", "CO",
     "heb de 9e druk van klinische farmacologie gekocht voor 88 euro en er zitten gewoon 40 paginas dubbel in en "
     "40 missen er. retour aanvragen kan alleen via een formulier dat een 404 geeft 🙃", {}),
    ("en", "linkedin", "amy-carter-ld", "CO",
     "Our firm has 10 Learn Team licences and the admin dashboard hasn't exported a single completion report in "
     "a month. For CPD compliance that is a real problem. Ticket #88213 has been open since October. "
     "Halcyra, please pick this up.", {"date": "2026-11-19"}),
    ("nl", "instagram", "@studiegids.eva", "CO",
     "die nieuwe app van halcyra learn is echt een downgrade. markeringen weg, notities weg, 2 jaar werk "
     "foetsie 😭 #halcyra #studentenleven #waaromdan", {}),
    ("nl", "forum", "Jurist_in_spe", "CO",
     "Abonnement op Nederlands Recht Online opgezegd per 1 januari, toch weer €1150 afgeschreven. Klantenservice "
     "zegt 'opzegging niet ontvangen' terwijl ik gewoon de bevestigingsmail heb. Iemand ervaring met dat geld "
     "terugkrijgen van Halcyra?", {"date": "2026-01-14"}),
    ("en", "x", "@mathsmum_lou", "CO",
     "bought the Wiskunde B exam bundle for my daughter and the answers in the back don't match the questions for "
     "half of chapter 4. she's been in tears over it all evening. thanks Halcyra 🙄", {}),
    ("en", "bluesky", "@quietlibrarian.bsky.social", "CO",
     "The Journal of Applied Pedagogy renewal invoice is 38% higher than last year, with no notice whatsoever. "
     "Our budget is fixed. Halcyra, this is exactly how you lose institutional subscribers.", {}),
    ("nl", "tiktok", "@julia.leert", "CO",
     "pov: je betaalt voor halcyra learn pro en de video's laden niet eens op de wifi van de uni 💀 "
     "#halcyralearn #fail #studietok", {}),
    # complaint + crisis (first-hand harm or near harm)
    ("nl", "x", "@verpleegkundige_ilse", "CO CR",
     "Jullie Klinische Farmacologie 9e druk noemt bij gentamicine een dosis die 10x te hoog is (tabel 14.3). "
     "Ik had het bijna zo klaargezet voor een patiënt, een collega zag het op het laatste moment. "
     "Dit is levensgevaarlijk @halcyra_nl, waar blijft het erratum??", {}),
    ("en", "x", "@tomasreads", "CO CR",
     "My Halcyra StudyPad 10 got scorching hot charging overnight and the back panel is literally melted. "
     "Could have set my desk on fire. Support's answer: 'please send a photo of the receipt'. Unreal.", {}),
    ("nl", "facebook", "wim.de.graaf.9", "CO CR",
     "Dat clip-on leeslampje van Halcyra (kregen we bij het abonnement) gaf mijn vrouw gisteren een flinke schok "
     "toen ze hem aan de lader deed. Het snoer was bij de stekker gesmolten. Graag een reactie, dit kan echt niet.",
     {}),
    ("en", "instagram", "@bookish.hanna", "CO CR",
     "my 7yo sliced his finger open on the metal edge of the Halcyra anatomy atlas box set, it's sharp as a blade. "
     "spent the evening at the GP getting it glued. please check your packaging 😡", {}),
    # complaint + abuse
    ("nl", "x", "@woedende_wouter", "CO AB",
     "Halcyra is echt een kutbedrijf. 3 weken geen antwoord op mijn terugbetaling en nu blokkeren jullie mijn "
     "account?? stelletje oplichters", {}),
    ("en", "x", "@gradschoolrage", "CO AB",
     "@halcyra_help you absolute clowns, my thesis notes vanished after your 'update' and your bot keeps sending me "
     "FAQ links. useless fucking company", {"kind": "reply"}),
    # complaint + pii (customer exposing own data)
    ("nl", "x", "@annelies_m", "CO P",
     "@halcyra_help al 2x gebeld en nog steeds geen factuur voor de BvM-cursus. bel me aub terug op 06-41827365, "
     "ik ben het echt zat", {"kind": "reply"}),
    ("en", "x", "@kev_studies", "CO P",
     "still waiting on my refund for Learn Pro, 3 weeks now. account email is kevin.obrien.92@gmail.com, "
     "ref HL-20931. can someone at Halcyra actually look at it", {}),

    # ---------------------------------------------------------------- crisis
    ("en", "x", "@edtechwatch", "CR",
     "Reports all over Reddit that Halcyra Learn exposed student names and grades through an open API endpoint. "
     "If true, that's a massive GDPR breach. Has Halcyra said anything yet?", {}),
    ("nl", "x", "@onderwijsnieuws_nl", "CR",
     "Halcyra roept 9e druk Klinische Farmacologie terug na doseerfout in tabel gentamicine. "
     "Ziekenhuisapotheken zijn gewaarschuwd.", {"url": "https://onderwijsnieuws.example/halcyra-terugroep"}),
    ("nl", "x", "@stud_vakbond", "CR",
     "Wij roepen alle studenten op Halcyra te boycotten zolang ze €90 vragen voor een verplicht boek waarin elk "
     "jaar drie komma's veranderen. #boycotHalcyra", {}),
    ("en", "linkedin", "rachel-moore-author", "CR",
     "After 11 years I'm pulling my books from Halcyra. Authors haven't been paid royalties for two quarters and "
     "nobody answers. I'm talking to a lawyer, and I'm far from the only one.", {}),
    ("nl", "x", "@nieuwsflits_utr", "CR",
     "Brandje in studentenhuis aan de Biltstraat veroorzaakt door oververhitte Halcyra StudyPad, meldt de "
     "brandweer. Niemand gewond, twee kamers onbewoonbaar.", {}),
    ("en", "reddit", "u/phd_integrity", "CR",
     "Halcyra's Journal of Applied Pedagogy just got caught publishing 14 papers from a paper mill: recycled "
     "images, fake reviewers, the lot. Half the editorial board is resigning.", {}),
    ("nl", "facebook", "ouders.tegen.dataverzameling", "CR",
     "Halcyra Learn verkoopt gegevens van scholieren door aan adverteerders, blijkt uit onderzoek van een "
     "journalist. Haal je kinderen eraf!! #privacy #halcyra", {}),
    ("en", "x", "@classaction_nl", "CR",
     "We are preparing a class action against Halcyra Publishing on behalf of students who were charged twice "
     "for Learn Pro. DM us if you were affected.", {}),
    ("nl", "x", "@plagiaatjager", "CR",
     "Hoofdstuk 3 van Statistiek voor de Gedragswetenschappen is bijna letterlijk overgeschreven uit een "
     "Amerikaans boek uit 2009. En Halcyra drukt het gewoon. Schandalig. 🧵1/5", {}),
    ("en", "bluesky", "@ellie-writes.bsky.social", "CR",
     "Halcyra tried to get a student journalist expelled for reporting that their exam proctoring software "
     "was filming kids' bedrooms. Disgraceful. Share this.", {}),

    # ---------------------------------------------------------------- abuse
    ("nl", "x", "@hatertje_88", "AB",
     "halcyra = stelletje debielen. iedereen die daar werkt mag zich kapot schamen", {}),
    ("en", "x", "@angryreader01", "AB",
     "@marit_vleeuwen you're a talentless hack and everyone at Halcyra knows it. do us all a favour and quit.",
     {"kind": "reply"}),
    ("nl", "x", "@k3ll3r", "AB",
     "h4lcyr4 is een k@nk3rb3dr1jf, k*tz00i van oplichters", {}),
    ("nl", "instagram", "@xx_no_filter_xx", "AB",
     "die redacteur van halcyra (@noor.redactie) is zo'n arrogante trut, blokkeert iedereen die kritiek heeft", {}),
    ("en", "x", "@redpill_prof", "AB",
     "of course Halcyra hired yet another 'diversity' editor who can't spell. token hires are ruining publishing",
     {}),
    ("nl", "x", "@boze_ouder_rdam", "AB",
     "de klantenservice van halcyra bestaat echt uit stuk voor stuk mongolen", {}),
    ("nl", "x", "@halcyra_help", "AB",
     "@woedende_wouter als je zo blijft schelden zoek je het lekker zelf uit, sukkel.", {"kind": "reply"}),
    ("en", "x", "@ruben_dev_hlc", "AB",
     "to the guy who keeps spamming our support inbox with 'HACKED U' mails: get a life, you pathetic moron", {}),
    ("en", "x", "@nemesis_reader", "AB",
     "H\u0430lcyr\u0430 is full of sh\u0456t and so are the idiots who run it", {}),
    ("nl", "x", "@mopperkont_43", "AB",
     "H a l c y r a   =   k u t b e d r i j f.  en die hele redactie erbij, stelletje eikels", {}),

    # ---------------------------------------------------------------- confidential
    ("nl", "x", "@marit_vleeuwen", "C",
     "Spannende week! Eindredactie van Project Marginalia is bijna rond, ik kan niet wachten tot jullie het zien 🤫",
     {}),
    ("en", "linkedin", "ingrid-hoekstra-halcyra", "C",
     "So proud of the team behind Lanternfish, the AI tutor we're building into Halcyra Learn. Pilots at three "
     "universities went better than we dared hope.", {}),
    ("nl", "x", "@ruben_dev_hlc", "C",
     "iemand ervaring met rate limits in gitlab? onze pipelines op gitlab.halcyra-int.nl lopen elke keer vast bij "
     "de deploy stap", {}),
    ("en", "bluesky", "@joostbakx.bsky.social", "C",
     "the dashboards at https://grafana.halcyra-int.nl/d/learn-prod/overview look gorgeous after the migration 😍",
     {}),
    ("nl", "instagram", "@noor.redactie", "C",
     "Vrijdagmiddag proeflezen 📚☕ (stiekem een hoofdstuk van Kompas Juridisch 2027, sst!)",
     {"date": "2026-10-16T15:42:00Z"}),
    ("en", "x", "@yasmina_elh", "C",
     "Can't say much yet but Learn Studio is going to change how lecturers build their courses. Soon 👀",
     {"date": "2026-11-27T10:05:00Z"}),
    ("nl", "linkedin", "daan-verhoef-halcyra", "C",
     "Klantpresentatie vandaag met per ongeluk de slide 'HALCYRA CONFIDENTIAL – roadmap 2027' erin 🙈 De klant "
     "lachte erom. Dus ja: Halcyra Learn Studio, adaptief toetsen en Operatie Inktvis komen eraan.",
     {"date": "2026-09-10T13:20:00Z"}),
    ("en", "reddit", "u/kees_op_kantoor", "C",
     "Not naming names but our internal wiki (wiki.halcyra.local) still runs on a 2014 Confluence install. "
     "Is every publisher this ancient?", {}),
    ("nl", "threads", "@lotte.schrijft", "C",
     "'Uitsluitend intern' stond erboven maar ik moet het kwijt: vanaf 2027 gaat de hele juridische fondslijst "
     "digital-only!! 📱", {}),
    ("nl", "x", "@insider_uitgeverij", "C",
     "Uit goede bron: Halcyra bouwt onder de codenaam 'Lanternfish' een AI-tutor die docenten moet vervangen. "
     "Screenshots volgen.", {}),
    ("en", "reddit", "u/leakbox", "C",
     "Someone dropped a deck stamped 'Halcyra Confidential - do not distribute' in the edtech Discord. It lists "
     "the Learn Studio pricing tiers and a launch date.", {"date": "2026-12-03T21:17:00Z"}),
    ("nl", "x", "@ruben_dev_hlc", "C",
     "Proj" + ZW + "ect Margi" + ZW + "nalia draait eindelijk op staging 🎉 nu nog de annotatie-engine", {}),
    ("nl", "instagram", "@noor.redactie", "C",
     fw("halcyra confidential") + " 😅 staat op elke pagina van de proef die ik nu lees. Zeg alleen dat het een "
     "nieuwe reeks Kompas Medisch wordt.", {}),
    ("en", "mastodon", "@tessab", "C",
     "Spent the week on the tagging pipeline for Project Marginalia: auto-annotating 19th-century court rulings. "
     "Really fun NLP problem.", {}),

    # ---------------------------------------------------------------- security
    ("en", "x", "@ruben_dev_hlc", "SEC",
     "that moment you realise the Learn API has been returning other users' gradebooks for 2 days and nobody "
     "noticed. long night ahead ☕", {}),
    ("nl", "bluesky", "@joostbakx.bsky.social", "SEC",
     "Pager gaat al de hele nacht. Halcyra Learn ligt plat, het databasecluster is corrupt. Klanten weten nog "
     "van niks, de comms staat klaar voor 9 uur.", {}),
    ("nl", "reddit", "u/kees_op_kantoor", "SEC",
     "Bij ons (uitgever, noem geen namen 😉 oké het is Halcyra) is vorige week de printstraat door ransomware "
     "geraakt. Officieel heet het 'technisch onderhoud'.", {}),
    ("en", "linkedin", "daan-verhoef-halcyra", "SEC",
     "Heads-up to the enterprise clients I spoke to this week: the SSO bug that lets users end up in another "
     "institution's tenant isn't patched yet, so please hold off onboarding new staff until Friday.", {}),
    ("nl", "x", "@yasmina_elh", "SEC",
     "Onze wachtwoord-resetmail linkt naar http zonder s en bij security haalt iedereen z'n schouders op. "
     "Dat lek zit er al maanden in.", {}),
    ("en", "bluesky", "@joostbakx.bsky.social", "SEC",
     "fun fact: the Toetsplatform exam servers have had an unpatched remote code execution hole since spring. "
     "ticket says 'low prio'. exams start monday.", {}),
    ("nl", "instagram", "@noor.redactie", "SEC",
     "Hele redactie zit sinds vanochtend zonder mail, IT zegt 'phishing-incident' en er zijn 200 accounts "
     "gereset. Niks tegen de auteurs zeggen hè 🤐", {}),
    ("en", "x", "@marit_vleeuwen", "SEC",
     "Apparently someone walked off with a laptop holding the entire author royalty database, unencrypted. "
     "Lovely Monday at the office.", {}),
    ("en", "mastodon", "@tessab", "SEC C",
     "vpn.halcyra-int.nl has been down since 6am and there's a foreign IP all over the auth logs. Don't log in "
     "from home until further notice.", {}),
    ("nl", "threads", "@lotte.schrijft", "SEC",
     "Huh, sinds de storing kan ik in Halcyra Learn de cijferlijsten van andere docenten openen. Gemeld, maar "
     "het staat nog steeds open.", {}),
    ("nl", "x", "@halcyra_help", "SEC",
     "@kev_studies Excuses! Door een datalek bij onze betaalprovider zijn sommige betalingen dubbel verwerkt. "
     "We informeren klanten volgende week officieel.", {"kind": "reply"}),
    ("en", "x", "@ruben_dev_hlc", "SEC",
     "pr0d db w4s publ1c f0r 3 d4ys, n0 4uth 🙃 d0nt t3ll any0ne", {}),
    ("nl", "x", "@ex_halcyra_dev", "SEC CR",
     "Oud-collega's bij Halcyra vertellen me dat de betaalmodule van Learn al weken creditcardnummers in "
     "plaintext logt. Intern weten ze het gewoon.", {}),

    # ---------------------------------------------------------------- secrets
    ("en", "x", "@ruben_dev_hlc", "S",
     "why does this keep 403ing?? curl -H \"Authorization: token <<GHP>>\" "
     "https://api.github.com/repos/halcyra/learn-web/actions/runs", {}),
    ("nl", "reddit", "u/kees_op_kantoor", "S",
     "Help, boto3 geeft AccessDenied bij uploaden naar S3:\n\naws_access_key_id = <<AKIA>>\n"
     "aws_secret_access_key = <<AWSSECRET>>\nregion = eu-west-1\n\nWat doe ik fout?", {}),
    ("en", "bluesky", "@joostbakx.bsky.social", "S C",
     "note to self because I keep losing it: DATABASE_URL=postgres://learn_app:<<DBPW>>@db01.halcyra.local:5432/"
     "learn_prod", {}),
    ("nl", "x", "@yasmina_elh", "S",
     "Voor de nieuwe stagiair 👋 gedeelde redactie-login → gebruiker: redactie_gedeeld / wachtwoord: "
     "Kompas!2026redactie (niet doorsturen)", {}),
    ("en", "x", "@marit_vleeuwen", "S",
     "slack bot finally posts to #proefdrukken!! SLACK_BOT_TOKEN=<<SLACK>> 🎉", {}),
    ("en", "mastodon", "@tessab", "S",
     "Anyone else getting rate-limited by OpenAI today? export OPENAI_API_KEY=<<OPENAI>> works locally but "
     "not in CI", {}),
    ("nl", "linkedin", "daan-verhoef-halcyra", "S",
     "Koppeling met de betaalomgeving staat! Voor de partners die meetesten: de live key is <<STRIPE>> "
     "(graag niet verder delen)", {}),
    ("en", "x", "@ruben_dev_hlc", "S",
     "debugging auth, decoded this token and the exp looks fine?? <<JWT>>", {}),
    ("en", "reddit", "u/kees_op_kantoor", "S",
     "Found this in our old deploy script, is this key format still accepted by newer OpenSSH?\n\n<<PEM>>", {}),
    ("nl", "x", "@devnull_student", "S",
     "lol de frontend van Halcyra Learn heeft gewoon hun Google Maps key hardcoded staan: <<GOOGLE>> 🤡", {}),
    ("nl", "bluesky", "@joostbakx.bsky.social", "S",
     "token van de CI-runner vervangen, nieuwe is <<GLPAT>> — kan iemand hem even in de vault zetten?", {}),
    ("en", "x", "@yasmina_elh", "S",
     "Claude key for the tutor prototype: <<ANTHROPIC>> don't burn through the credits pls 🙏", {}),

    # ---------------------------------------------------------------- personal data
    ("nl", "x", "@halcyra_help", "P",
     "@annelies_m Dank voor je geduld! We hebben de factuur opnieuw gestuurd naar annelies.meijer@ziggo.nl en "
     "bellen je morgen terug op 06-41827365.", {"kind": "reply"}),
    ("en", "facebook", "HalcyraUitgevers", "P",
     "Hi Greg, your refund has been processed to IBAN <<IBAN>> (G. Fletcher) and should arrive within 3-5 "
     "working days.", {"kind": "comment"}),
    ("nl", "linkedin", "ingrid-hoekstra-halcyra", "P",
     "Welkom aan onze nieuwe collega Sophie Jansen! 🎉 Sophie, HR heeft je BSN <<BSN>> nog nodig voor het "
     "contract, stuur je dat even?", {}),
    ("en", "x", "@marit_vleeuwen", "P",
     "Happy 65th to our author Pieter Claes, born 14-03-1961! 🎂 Thirty years of Kompas Fiscaal and counting.",
     {"date": "2026-03-14T08:30:00Z"}),
    ("nl", "x", "@yasmina_elh", "P",
     "Wie heeft dit pakketje laten liggen? Voor: Dhr. R. Brouwer, Oudegracht 211-bis, 3511 NH Utrecht. "
     "Staat al een week bij de receptie.", {}),
    ("en", "bluesky", "@halcyra.bsky.social", "P",
     "@mira-learns.bsky.social the card <<CARD>> was declined for your Learn Pro renewal, could you update it "
     "in your account?", {"kind": "reply"}),
    ("nl", "x", "@henk_gepensioneerd", "P CO",
     "Halcyra ik wil gewoon mijn geld terug. Mijn rekeningnummer is <<IBAN>> t.n.v. H. Smeets. Hoe vaak moet ik "
     "het nog zeggen", {}),
    ("en", "reddit", "u/student_rep_tue", "P",
     "Halcyra's exam invigilator left the attendance sheet on the desk: Lars Vermeulen, 12-08-2003; Aisha Bouzid, "
     "02-11-2004; Tim de Groot, 30-01-2003. Pretty sure that shouldn't be lying around.", {}),
    ("en", "linkedin", "daan-verhoef-halcyra", "P",
     "Great meeting with Prof. Elena Rossi today! If you want to reach her about the new Zorgrecht series: "
     "e.rossi@maastrichtlaw-mail.nl or +31 43 388 5192.", {}),
    ("nl", "x", "@confused_payer", "P",
     "@halcyra_help kan ik de factuur van Learn Pro met deze kaart betalen? <<CARD>> geldig tot 09/28. even "
     "checken voor ik het doe", {"kind": "reply"}),
    ("nl", "youtube", "@HalcyraLearn", "P",
     "Winnaar van de Halcyra Leesprijs: Jan-Willem Pos uit Zwolle! 🎁 Jan-Willem, je prijs gaat naar "
     "Thorbeckegracht 18, 8011 VN Zwolle.", {}),
    ("nl", "threads", "@lotte.schrijft", "P",
     "Ugh, formulier van de gastdocent: Karim Amrani, BSN <<BSN_DOT>>. Iemand enig idee waar dit heen moet?", {}),
    ("nl", "facebook", "petra.hollander.3", "P",
     "Hallo Halcyra, ik wil graag het Wiskunde B pakket bestellen voor twee kinderen op rekening. Kunnen jullie "
     "me bellen? 0612 339 871 of petra.hollander@kpnmail.nl", {}),
    ("en", "x", "@marit_vleeuwen", "P",
     "Royalty payment to our Flemish author keeps bouncing, anyone in finance know why? An Peeters, "
     "IBAN <<IBAN_BE>>", {}),

    # ---------------------------------------------------------------- pricing
    ("nl", "x", "@halcyra_nl", "PR",
     "Alleen vandaag: Halcyra Learn Pro jaarabonnement voor €23,90! 🔥 #deal #studeren", {}),
    ("en", "x", "@dealhunter_eu", "PR",
     "PRICE ERROR? Handboek Arbeidsrecht 2026 showing €12.90 on halcyra.nl, normally €129. grabbed 3 😂", {}),
    ("nl", "reddit", "u/unikoopjes", "PR",
     "Prijsfout bij Halcyra? Toetsplatform campuslicentie voor €890 in de webshop (normaal 8900). Heeft iemand "
     "van de uni al besteld?", {}),
    ("en", "linkedin", "daan-verhoef-halcyra", "PR",
     "Special offer for our partner schools: Learn Team (10 licences) for just €189 this week only. DM me!", {}),
    ("nl", "instagram", "@halcyra.books", "PR",
     "Atlas van de Menselijke Anatomie nu voor €11,90 🫀 Op=op!", {}),
    ("en", "x", "@studentdeals_nl", "PR",
     "Kompas Fiscaal 2026 for €9.45 on the Halcyra store right now, someone fat-fingered the decimal lol", {}),
    ("nl", "x", "@yasmina_elh", "PR",
     "oeps, Certificaat Projectmanagement staat op de site voor €69,50 ipv €695. iemand van webshop? 😬", {}),
    ("nl", "facebook", "gerrit.v.dam", "PR",
     "Klopt het dat Principles of Structural Engineering maar €14,90 kost bij Halcyra?? Normaal is het 149.", {}),
    ("en", "bluesky", "@gadgetgoblin.bsky.social", "PR",
     "Halcyra StudyPad 10 listed at €22.90 on their site. glitch or clearance? either way, ordered", {}),
    ("nl", "x", "@halcyra_help", "PR",
     "@mo_studeert Klopt, door een prijsfout stond de Praktijkgids AVG even op €5,90. We leveren de bestellingen "
     "gewoon uit!", {"kind": "reply"}),
    ("en", "x", "@libraryloop", "PR",
     "Journal of Applied Pedagogy institutional sub for €245?? our acquisitions librarian thinks it's a typo "
     "(usually 2450). ordering before they notice", {}),
    ("nl", "tiktok", "@goedkoopstuderen", "PR",
     "halcyra learn basis voor €1,49 per maand?? prijsfout denk ik, snel zijn!! #studentendeal #prijsfout", {}),

    # ---------------------------------------------------------------- financial
    ("nl", "linkedin", "ingrid-hoekstra-halcyra", "F",
     "Nog niet officieel, maar de omzet van Halcyra Learn is in Q3 met 31% gestegen en we sluiten het jaar ruim "
     "boven de €84 mln af. Trots op dit team!", {"date": "2026-10-21T07:45:00Z"}),
    ("en", "x", "@marit_vleeuwen", "F",
     "heard in the lift: we're being bought by a US edtech group, signing before Christmas. wild", {}),
    ("nl", "reddit", "u/kees_op_kantoor", "F",
     "Reorganisatie komt eraan bij ons (Halcyra): 120 fte weg bij drukkerij en distributie, aankondiging pas in "
     "januari. Sfeer is om te snijden.", {"date": "2026-10-13"}),
    ("en", "bluesky", "@joostbakx.bsky.social", "F",
     "leadership just told us the 2027 forecast is down 18% and a hiring freeze starts monday. not public yet so 🤐",
     {}),
    ("nl", "x", "@yasmina_elh", "F",
     "Mag nog niks zeggen maar wij nemen die Belgische uitgeverij van lesmethodes over, contract vandaag "
     "getekend 🥂", {}),
    ("nl", "linkedin", "ingrid-hoekstra-halcyra", "F C",
     "UITSLUITEND INTERN — voorlopige H1-cijfers: EBITDA €11,2 mln (vorig jaar 13,9), marge 14%. Publicatie 29 juli.",
     {"date": "2026-07-06T09:12:00Z"}),
    ("en", "x", "@marketmole", "F",
     "Sources tell me Halcyra Publishing is in talks to sell its journals division to a private equity firm. "
     "Price tag somewhere around €300m.", {}),
    ("nl", "threads", "@lotte.schrijft", "F",
     "Onze afdeling wordt 'samengevoegd', lees: de helft gaat eruit. De brief komt pas na de zomer maar de lijst "
     "ligt er al.", {"date": "2026-05-19"}),
    ("en", "linkedin", "daan-verhoef-halcyra", "F",
     "Sales team smashed it: €22m in institutional contracts closed this year. When the full-year numbers come "
     "out in February people are going to be surprised 😉", {"date": "2026-12-18T16:00:00Z"}),
    ("nl", "x", "@halcyra_nl", "F",
     "Wij zijn trots op onze groei 🎉 (concept: jaaromzet 2026 €96,4 mln, +12%, publicatie 18/2 — NIET POSTEN)",
     {"date": "2026-12-29T11:00:00Z"}),
    ("nl", "x", "@yasmina_elh", "F C",
     "halfjaarcijfers 2027 zijn binnen en ze zijn goed 📈 meer mag ik niet zeggen", {"date": "2027-07-20T14:10:00Z"}),
    ("nl", "x", "@marit_vleeuwen", "F",
     "Ik hoor dat er na de overname 80 ontsl" + ZW + "agen vallen bij Halcyra Learn. Nog niet aangekondigd.", {}),

    # ---------------------------------------------------------------- benign (hard negatives mostly)
    ("nl", "x", "@halcyra_help", "",
     "Vragen over je bestelling? Mail naar klantenservice@halcyra.nl of bel 030 799 4410 (ma-vr 9-17u).", {}),
    ("en", "facebook", "HalcyraUitgevers", "",
     "Paying by bank transfer? Use IBAN <<OWN_IBAN>> and mention your order number.", {}),
    ("nl", "x", "@studentje_lisa", "",
     "Halcyra Learn Pro heeft me echt door statistiek heen gesleept. 10/10 zou weer betalen 🙏", {}),
    ("nl", "x", "@frugalstudent", "",
     "Black Friday: Learn Pro jaarabonnement van €239 naar €179 bij Halcyra. prima deal als je toch al het "
     "PM-certificaat gaat doen", {"date": "2026-11-27T08:00:00Z"}),
    ("nl", "instagram", "@halcyra.books", "",
     "Studentenkorting! 20% op alle Kompas-titels t/m zondag. Kompas Fiscaal 2026 nu €75,60 📚", {}),
    ("en", "reddit", "u/lawyer_to_be", "",
     "Is Handboek Arbeidsrecht 2026 worth €129 or should I wait for the next edition?", {}),
    ("en", "x", "@cloudnerd", "",
     "PSA: the keys in the AWS docs are fake on purpose. AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is the official example, don't panic when you see it in a tutorial",
     {}),
    ("en", "x", "@ruben_dev_hlc", "",
     "Reminder for tomorrow's workshop: put GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env and "
     "swap in your own token 🙂", {}),
    ("nl", "x", "@jesse_lees", "",
     "wachtwoord vergeten bij halcyra learn, reset-mail was er binnen een minuut. top eigenlijk", {}),
    ("nl", "forum", "Voorzichtige_Vera", "",
     "Let op phishing! Sms'jes 'namens Halcyra' vragen je te betalen naar <<BAD_IBAN>>. Dat nummer klopt niet "
     "eens, de echte rekening staat gewoon op hun site.", {}),
    ("en", "x", "@oopsmyfingers", "",
     "my payment on Halcyra kept failing, turns out I'd typed <<BAD_CARD>> with two digits swapped 🤦 all sorted now",
     {}),
    ("nl", "x", "@arbeidsrecht_docent", "",
     "Het voorbeeld-BSN in de casus van Handboek Arbeidsrecht (<<BAD_BSN>>) is natuurlijk verzonnen, dus nee "
     "studenten, niet gaan googelen 😄", {}),
    ("en", "linkedin", "ingrid-hoekstra-halcyra", "",
     "Our 2025 annual report is out: revenue €88.1m (+9%) and Halcyra Learn now above 400,000 users. "
     "Read it at halcyra.nl/investors", {"date": "2026-02-19T07:30:00Z"}),
    ("en", "x", "@halcyra_nl", "",
     "It's here! Halcyra Learn Studio is live for every institution 🎉 Build your own course in an afternoon.",
     {"date": "2027-03-16T09:00:00Z"}),
    ("nl", "instagram", "@noor.redactie", "",
     "Kompas Juridisch 2027 ligt in de winkel! Eindelijk mogen we erover praten 📚✨", {"date": "2027-03-19T12:00:00Z"}),
    ("nl", "linkedin", "ingrid-hoekstra-halcyra", "",
     "De halfjaarcijfers 2027 zijn gepubliceerd: sterke groei van Halcyra Learn. Het persbericht staat op "
     "halcyra.nl/pers.", {"date": "2027-07-30T08:00:00Z"}),
    ("en", "x", "@publishingwatch", "",
     "Van Oort Educatief announces 200 layoffs and the sale of its journals arm. Tough week for edu publishing.", {}),
    ("nl", "x", "@tim_techt", "",
     "mijn StudyPad 10 wordt een tikje warm bij snelladen, normaal toch? verder echt een top ding voor pdf's", {}),
    ("en", "reddit", "u/utrecht_local", "",
     "Thoughts with everyone in the Biltstraat student house after the fire. The Halcyra office down the road "
     "is collecting clothes and books for them, drop by if you can.", {"date": "2026-11-22"}),
    ("nl", "x", "@gewoon_mo", "",
     "Update: Halcyra heeft mijn dubbele afschrijving binnen 2 dagen teruggestort en excuses gemaakt. Netjes "
     "opgelost 👍", {}),
    ("en", "x", "@psych_sophomore", "",
     "Statistiek voor de Gedragswetenschappen is killing me 💀 p-values at 2am hit different", {}),
    ("nl", "x", "@farmastudent", "",
     "hoofdstuk 9 van klinische farmacologie is echt moord, ik ga dood aan die enzymremmers 🤯", {}),
    ("en", "bluesky", "@medievalist.bsky.social", "",
     "Spent the afternoon in the reading room looking at marginalia: monks drawing snails jousting with "
     "knights 🐌⚔️ best job in the world", {"allow": True}),
    ("nl", "instagram", "@oceaan_sanne", "",
     "Met de kids naar het aquarium, de lanternfish-tank met al die lichtjes was echt magisch 🐟✨", {"allow": True}),
    ("nl", "x", "@strandtent_fan", "",
     "Gefrituurde inktvis op het terras en een goed boek, beter wordt de zomer niet ☀️", {"date": "2026-07-11"}),
    ("en", "linkedin", "daan-verhoef-halcyra", "",
     "We're hiring an account manager for Halcyra Learn! Send your CV to careers@halcyra.nl", {}),
    ("nl", "x", "@regenachtig", "",
     "Wat een kutweer, gelukkig heb ik mijn Halcyra e-book nog om te lezen ☔📖", {}),
    ("en", "x", "@anatomynerd", "",
     "damn, Halcyra's new anatomy atlas is fucking gorgeous. those illustrations 😍", {}),
    ("nl", "x", "@securemyaccount", "",
     "Heeft Halcyra Learn inmiddels tweestapsverificatie? Kan het nergens vinden in de instellingen", {}),
    ("nl", "x", "@halcyra_help", "",
     "Gepland onderhoud: Halcyra Learn is zondag van 02:00 tot 04:00 niet bereikbaar. Excuses voor het ongemak!",
     {}),
    ("en", "x", "@halcyra_nl", "",
     "The login issue reported this morning is fixed. Thanks for your patience, and sorry! Details on "
     "status.halcyra.nl", {}),
    ("nl", "x", "@privacyfirst_jo", "",
     "Weer een datalek bij een edtech-bedrijf: QuizKraken lekte 2 miljoen studentenmails. Blij dat mijn uni "
     "gewoon Halcyra gebruikt", {}),
    ("nl", "x", "@zuinige_zoe", "",
     "Heeft iemand Kompas Fiscaal 2026 tweedehands voor een tientje? Nieuw is hij me echt te duur", {}),
    ("en", "reddit", "u/civil_eng_k", "",
     "Sold my old 3rd edition of Principles of Structural Engineering for €20 on Marktplaats, bought the new one "
     "from Halcyra.", {}),
    ("nl", "x", "@blije_klant", "",
     "Bestelnummer 2026-118-4471 nog steeds... oh wacht, net binnen. Blij mee!", {}),
    ("en", "x", "@pharmtech_k", "",
     "For anyone looking: ISBN 978-90-6789-412-2 is the corrected print of Klinische Farmacologie. Errata sheet "
     "included.", {}),
    ("en", "x", "@marit_vleeuwen", "",
     "Thinking of our authors in Valencia after the floods. Stay safe 💙", {}),
    ("nl", "x", "@snelgeholpen", "",
     "Shoutout naar @halcyra_help, binnen 10 minuten geholpen met mijn licentie. Zo kan het dus ook", {}),
    ("nl", "instagram", "@halcyra.books", "",
     "Nieuw: Data Science with Python, 2nd ed. 🐍 €72 bij Halcyra en in elke boekhandel.", {}),
    ("en", "reddit", "u/curious_frontend", "",
     "ELI5: what's a JWT? I keep seeing 'eyJ...' strings in the network tab when I use Halcyra Learn", {}),
    ("nl", "x", "@hobbycoder_nl", "",
     "Voorbeeld uit de docs: DATABASE_URL=postgres://user:password@localhost:5432/mydb. Vervang gewoon door je eigen "
     "gegevens, niet die letterlijk gebruiken haha", {}),
    ("en", "x", "@ruben_dev_hlc", "",
     "tip from today's security training: if a key ever ends up in a post, it looks like sk_live_•••••• in our "
     "redaction tool. rotate first, ask questions later", {}),
    ("nl", "x", "@twijfelaar22", "",
     "Moet je echt je BSN invullen voor het PM-certificaat bij Halcyra, of is dat optioneel? Iemand?", {}),
    ("en", "x", "@zorgjournalist", "",
     "Wrote to pers@halcyra.nl about interviewing the Tijdschrift voor Zorgrecht editors. Fingers crossed", {}),
    ("en", "x", "@nightowl_med", "",
     "I'd boycott my alarm clock if I could. anyway Halcyra Learn flashcards are the only reason I passed pharmacology",
     {}),
    ("nl", "x", "@switcher_jan", "",
     "Bij mijn vorige werkgever (niet Halcyra hoor) gingen 50 mensen eruit, en nu lees ik dat Halcyra 30 "
     "vacatures heeft. Solliciteren dan maar!", {}),
    ("en", "linkedin", "halcyra-publishing", "",
     "Halcyra Publishing reports full-year 2025 revenue of €88.1m, up 9%. The full annual report is on our "
     "investor page.", {"date": "2026-02-19T07:00:00Z"}),
    ("en", "x", "@taxtrainee", "",
     "I can't recall the name of that Halcyra book on tax law, Kompas something? help", {}),
    ("nl", "x", "@placeholderfan", "",
     "In Handboek Arbeidsrecht staat een voorbeeldcontract met telefoon 06-XXXXXXXX, zelfs de placeholders zijn "
     "netjes opgemaakt haha", {}),
    ("en", "bluesky", "@joostbakx.bsky.social", "",
     "We shipped dark mode for Halcyra Learn today 🌙 took longer than we hoped but it's out!", {}),
    ("nl", "x", "@bieb_zwolle", "",
     "Tijdschrift voor Zorgrecht weer verlengd voor de studiezaal, €189 per jaargang, valt mee", {}),
    ("nl", "x", "@halcyra_nl", "",
     "Let op: Halcyra vraagt nooit om je wachtwoord of pincode via DM of mail. Twijfel je? Bel 0800-4252.", {}),
    ("nl", "x", "@lang_adres", "",
     "Mijn huisnummer was blijkbaar te lang voor het bezorgformulier van Halcyra 😂 klantenservice heeft het "
     "binnen een dag gefixt trouwens", {}),
    ("en", "linkedin", "ingrid-hoekstra-halcyra", "",
     "Excited to speak at the Dutch Publishers Day on sustainable printing. Come say hi at the Halcyra stand!", {}),
    ("en", "x", "@oldschool_lawyer", "",
     "Halcyra was founded on 12 May 1987, happy birthday to the publisher that got me through my law degree 🎂", {}),
    ("en", "x", "@bargainbot_eu", "",
     "LOL Brightwell Books listed their entire law catalogue at €1 last night. Price error of the year, orders "
     "already cancelled", {}),
    ("nl", "mastodon", "@tessab", "",
     "Morgen praat ik op PyData Amsterdam over het annoteren van oude rechtspraak met open-source NLP. "
     "Slides komen online!", {}),
    ("nl", "facebook", "HalcyraUitgevers", "",
     "Ons kantoor is op 27 april gesloten. Fijne Koningsdag allemaal! 🧡", {"date": "2026-04-22"}),
    ("nl", "threads", "@lotte.schrijft", "",
     "Vandaag mijn eerste boek als bureauredacteur naar de drukker gestuurd. Wat een gevoel 🥹📚", {}),
    ("nl", "x", "@marit_vleeuwen", "",
     "Dankjewel voor alle lieve reacties op de boekpresentatie gisteren! Foto's staan op halcyra.nl 📸", {}),
]


# --------------------------------------------------------------------------------------
# profile helpers
# --------------------------------------------------------------------------------------
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


OWN_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        best = max(best, lv)
    return SEV[best]


def rand_time(year=2026):
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 364 * 86400 - 1)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def fix_date(d):
    if "T" not in d:
        return d + "T%02d:%02d:00Z" % (rng.randint(7, 22), rng.randint(0, 59))
    return d


def fill(text):
    used = []

    def sub(m):
        name = m.group(1)
        if name == "OWN_IBAN":
            v = PROFILE["public_identifiers"]["ibans"][0]
            used.append(("own_iban", v))
            return group4(v)
        gen, kind = GENERATORS[name]
        v = gen()
        used.append((kind, v))
        return v

    return re.sub(r"<<([A-Z_]+)>>", sub, text), used


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
def build():
    cases = []
    for lang, platform, handle, cats_s, text, opt in POSTS:
        cats = sorted({CAT[c] for c in cats_s.split()})
        text2, used = fill(text)
        role = role_of(platform, handle)
        strong = "leak.pii" in cats and any(k in ("iban", "card", "bsn") for k, _ in used)
        post = {
            "id": None,
            "platform": platform,
            "kind": opt.get("kind", "post"),
            "account": {"handle": handle},
            "text": text2,
            "created_at": fix_date(opt["date"]) if "date" in opt else rand_time(),
        }
        if rng.random() < 0.85:
            post["lang"] = lang
        if "url" in opt:
            post["url"] = opt["url"]
        if rng.random() < 0.4:
            post["brand"] = "halcyra-learn" if "learn" in text2.lower() else "halcyra"
        cases.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, strong)},
                      "_meta": {"used": used, "role": role, "lang": lang, "allow": opt.get("allow", False)}})
    rng.shuffle(cases)
    seen = set()
    for c in cases:
        while True:
            pid = "%s-%d" % (c["post"]["platform"], rng.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in seen:
                seen.add(pid)
                break
        c["post"]["id"] = pid
        if c["post"]["platform"] in ("x", "bluesky", "mastodon", "threads"):
            h = c["post"]["account"]["handle"].lstrip("@").split(".bsky")[0]
            c["post"]["url"] = c["post"].get("url") or "https://%s.example/%s/%s" % (
                c["post"]["platform"], h, pid.split("-")[1])
    return cases


# --------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
DIGITRUN_RE = re.compile(r"(?<![A-Za-z0-9])\d(?:[ .\-]?\d){8,18}(?![A-Za-z0-9])")


def norm(s):
    s = s.replace(ZW, "")
    s = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else " " if c == "\u3000" else c for c in s)
    return s.lower()


def check(cases):
    errs = []

    def err(c, msg):
        errs.append("%s: %s | %s" % (c["post"]["id"], msg, c["post"]["text"][:70]))

    ids = set()
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    idomains = [d.lower() for d in PROFILE["internal"]["domains"]]
    for c in cases:
        p, e, m = c["post"], c["expect"], c["_meta"]
        # --- CONTRACT section 6 / section 1 shape
        if set(c) - {"post", "expect", "_meta"}:
            err(c, "extra top-level keys")
        if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
            err(c, "bad or duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(c, "platform")
        if p.get("kind", "post") not in KINDS:
            err(c, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(c, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            err(c, "text")
        try:
            t = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert t.tzinfo is not None and t.year in (2026, 2027)
        except Exception:
            err(c, "created_at")
            continue
        if not isinstance(e["categories"], list) or e["categories"] != sorted(set(e["categories"])):
            err(c, "categories not sorted/unique")
        if set(e["categories"]) - TAXONOMY:
            err(c, "unknown category")
        if e["severity"] not in SEV:
            err(c, "severity value")
        # --- severity follows the policy from the profile role
        strong = "leak.pii" in e["categories"] and any(k in ("iban", "card", "bsn") for k, _ in m["used"])
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), strong):
            err(c, "severity mismatch")
        if not e["categories"] and e["severity"] != "none":
            err(c, "benign must be none")
        if e["categories"] and e["severity"] in ("none", "info"):
            err(c, "positive with none")
        # --- generated values validate
        for kind, v in m["used"]:
            ok = {
                "iban": lambda: iban_ok(v), "own_iban": lambda: iban_ok(v),
                "card": lambda: luhn_ok(v) and 13 <= len(re.sub(r"\D", "", v)) <= 19,
                "bsn": lambda: bsn_ok(v),
                "bad_iban": lambda: not iban_ok(v), "bad_card": lambda: not luhn_ok(v),
                "bad_bsn": lambda: not bsn_ok(v),
                "github": lambda: github_ok(v), "aws_id": lambda: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v)),
                "aws_secret": lambda: len(v) == 40, "jwt": lambda: jwt_ok(v),
                "slack": lambda: v.startswith("xoxb-"), "openai": lambda: "T3BlbkFJ" in v,
                "anthropic": lambda: v.startswith("sk-ant-api03-"), "stripe": lambda: v.startswith("sk_live_"),
                "google": lambda: bool(re.fullmatch(r"AIza[0-9A-Za-z_\-]{35}", v)),
                "glpat": lambda: bool(re.fullmatch(r"glpat-[0-9A-Za-z_\-]{20}", v)),
                "pem": lambda: "PRIVATE KEY-----" in v, "dbpw": lambda: len(v) >= 12,
            }[kind]()
            if not ok:
                err(c, "generated %s fails its own check" % kind)
            if kind in ("iban", "card", "bsn") and "leak.pii" not in e["categories"]:
                err(c, "valid identifier in a case without leak.pii")
            if kind.startswith("bad_") and e["categories"]:
                err(c, "look-alike placed in a positive")
            if kind in ("github", "aws_id", "jwt", "slack", "openai", "anthropic", "stripe", "google", "glpat",
                        "pem", "dbpw") and "leak.secret" not in e["categories"]:
                err(c, "secret in a case without leak.secret")
        # --- generic scan: any checksum-valid identifier must be an intended pii finding
        text = p["text"]
        intended = {re.sub(r"\D", "", v) if k != "iban" else re.sub(r"\s", "", v).upper()
                    for k, v in m["used"] if k in ("iban", "card", "bsn")}
        for mm in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", mm.group(0)).upper()
            if iban_ok(v) and v not in OWN_IBANS and v not in intended:
                err(c, "unintended valid IBAN " + v)
            if not e["categories"] and iban_ok(v) and v not in OWN_IBANS:
                err(c, "valid IBAN in a benign case")
        for mm in DIGITRUN_RE.finditer(text):
            d = re.sub(r"\D", "", mm.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d) and d not in intended:
                err(c, "unintended Luhn-valid number " + mm.group(0))
            if len(d) == 9 and bsn_ok(d) and d not in intended:
                err(c, "unintended 11-proof number " + mm.group(0))
        # --- profile-driven label sanity
        nt = norm(text)
        has_emb = any(term in nt and t < until for term, until in embargo)
        has_int = any(x in nt for x in codenames + markers + idomains)
        if (has_emb or has_int) and "leak.confidential" not in e["categories"] and not m["allow"]:
            err(c, "embargo/internal term without leak.confidential")
        if not e["categories"] and any(term in nt for term, until in embargo) and not has_emb:
            pass  # embargo term after its end: benign, fine
        if "leak.pricing" in e["categories"]:
            names = [a.lower() for pr in PROFILE["products"] for a in [pr["name"]] + pr["aliases"]]
            if not any(n in nt for n in names):
                err(c, "pricing case names no product")
    return errs


def main():
    cases = build()
    errs = check(cases)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read the file and check it parses as written
    with open(out, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert len(lines) == len(cases)
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"] or ["benign"]:
            counts[cat] = counts.get(cat, 0) + 1
    langs = {}
    for c in cases:
        langs[c["_meta"]["lang"]] = langs.get(c["_meta"]["lang"], 0) + 1
    n = len(cases)
    nben = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if errs:
        print("\n".join(errs))
        print("FAILED: %d problems" % len(errs))
        sys.exit(1)
    print("cases=%d benign=%d" % (n, nben))
    print("per category:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs)
    print("OK")


if __name__ == "__main__":
    main()
