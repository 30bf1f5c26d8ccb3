#!/usr/bin/env python3
"""Evaluation set 431 for postwatch: Castelijn Esthetiek B.V. (fictional aesthetic clinics).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and self-checks it (checksums, CONTRACT section 6 shape, section 4 severities computed
from the account role in profile.yaml). Exit status 1 if any check fails.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 431
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

SECRET = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRISIS = "reputation.crisis"
COMPL = "reputation.complaint"
ABUSE = "reputation.abuse"
ALL_CATS = {SECRET, PII, PRICE, CONF, FIN, SECU, CRISIS, COMPL, ABUSE}

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = DIGITS + UPPER + LOWER          # base-62 digit order 0-9A-Za-z
B32 = UPPER + "234567"
URLSAFE = ALNUM + "-_"


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9 or not any(d):
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


# --------------------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban(bank=None, spaced=True):
    bank = bank or rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = rs(DIGITS, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if spaced else iban


def bad_iban(spaced=True):
    good = re.sub(r"\s", "", gen_iban(spaced=False))
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % (chk + 1 if chk < 98 else chk - 1) + good[4:]
    assert not iban_ok(bad)
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if spaced else bad


def gen_card(kind=None):
    kind = kind or rng.choice(["visa", "mc", "amex"])
    if kind == "visa":
        body, length = "4" + rs(DIGITS, 14), 16
    elif kind == "mc":
        body, length = rng.choice(["51", "52", "53", "54", "55"]) + rs(DIGITS, 13), 16
    else:
        body, length = rng.choice(["34", "37"]) + rs(DIGITS, 12), 15
    for c in DIGITS:
        if luhn_ok(body + c):
            num = body + c
            break
    assert len(num) == length and luhn_ok(num)
    if length == 15:
        return "%s %s %s" % (num[:4], num[4:10], num[10:])
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(kind=None):
    good = gen_card(kind)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            num = "".join(map(str, d + [s]))
            assert bsn_ok(num)
            return num


def bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not bsn_ok(bad)
    return bad


def gh_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def aws_key_id():
    return "AKIA" + rs(B32, 16)


def aws_secret():
    return rs(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_" + rs(ALNUM, 24)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rs(DIGITS, 12), rs(DIGITS, 13), rs(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rs(URLSAFE, 64) + "T3BlbkFJ" + rs(URLSAFE, 64)


def anthropic_key():
    return "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rs(URLSAFE, 35)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "widget-%d" % rng.randint(1000, 9999), "clinic": "utrecht",
                            "scope": "booking:write", "exp": 1798761600},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(240))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rs(ALNUM + "!#$%&*?@", n)
        if re.search(r"\d", p) and re.search(r"[A-Z]", p) and re.search(r"[a-z]", p):
            return p


# --------------------------------------------------------------------------- case list
CASES = []


def add(plat, handle, lang, text, cats=(), kind="post", ids=(), when=None):
    """ids: list of (kind, value); kinds iban/card/bsn (must validate, positives only),
    bad_iban/bad_card/bad_bsn (must fail), secret (a credential string present in text)."""
    CASES.append(dict(platform=plat, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, ids=list(ids), when=when))


# ---------------- complaints (service and product)
add("x", "@femkevdmeer", "nl",
    "@castelijn_zorg al 3x gebeld over mijn nacontrole na de LipGlow, elke keer 'we bellen u terug'. "
    "niemand belt terug. €329 betaald voor scheve lippen en een wachtrij 🙃", [COMPL], "reply")
add("instagram", "@jessbeautyjournal", "en",
    "paid for SoftLine 3 zones in march, forehead still moves like nothing happened and now "
    "they want to charge me for a top-up?? that's not how this works @castelijn.clinics", [COMPL], "comment")
add("facebook", "Marja Hoekman", "nl",
    "Vandaag 55 minuten in de wachtkamer van Castelijn Eindhoven gezeten voor een consult van "
    "tien minuten. Geen sorry, geen kopje koffie, niks. Voor mij hoeft het niet meer.", [COMPL])
add("reddit", "u/throwaway_amsterdam_22", "en",
    "PSA about Castelijn Amsterdam Zuid: they cancelled my jawline appointment the night before "
    "by SMS. Second time now. And the deposit is 'non refundable' apparently. Never again.", [COMPL])
add("x", "@rvanleeuwen_", "en",
    "@castelijn_nl your invoice is wrong. Website says HydraBoost €289, I was charged €340 for an "
    "'extra ampoule' nobody mentioned beforehand. Care to explain?", [COMPL], "reply")
add("other", "Ellen W. (Google review)", "en",
    "2 stars. Reception was lovely but the doctor rushed through my tear trough consult and never "
    "explained the risks. When I asked questions she literally looked at her watch. For this kind of "
    "money I expect better, Castelijn.", [COMPL])
add("x", "@timo_codes", "en",
    "Castelijn's booking app logged me out 4 times while I was paying the deposit, then charged "
    "me twice. Support chat: 'wij zien geen probleem'. cool cool cool", [COMPL])
add("instagram", "@nadiaa.r", "nl",
    "mijn wangen zijn gewoon ongelijk, links veel voller dan rechts. bij de nacontrole zei de arts "
    "'dat zakt nog wel'. 6 weken later precies hetzelfde. echt teleurgesteld @castelijn.clinics", [COMPL], "comment")
add("facebook", "Kirsten Mol", "en",
    "Booked a 'free' intake at Castelijn Haarlem and walked out with a €75 bill for the chat. "
    "Nowhere on the website does it say you pay for that. Feels sneaky tbh.", [COMPL])
add("forum", "zweetvoetje78", "nl",
    "Re: ervaringen Castelijn Rotterdam? Heb daar mijn okselbotox laten doen en na 2 maanden zweet "
    "ik alweer als een otter. Beloofd was 6 maanden. Klacht ingediend, nog steeds geen reactie.", [COMPL], "reply")
add("threads", "@marit.s", "en",
    "honestly the aftercare at castelijn is nonexistent. had my filler dissolved there and nobody "
    "followed up, not even a text. front desk just shrugged when I asked", [COMPL])

# ---------------- first-hand harm: complaint + crisis
add("instagram", "@lotte.leeft", "nl",
    "Na mijn LipGlow behandeling bij Castelijn Utrecht kreeg ik binnen een dag een enorme zwelling "
    "en een plek die steeds donkerder werd. Op de SEH zeiden ze: vaatafsluiting 😢 Castelijn nam "
    "niet eens op. Ik ben zo boos en bang tegelijk.", [COMPL, CRISIS])
add("reddit", "u/velasculpt_regret", "en",
    "Had VelaSculpt 1 zone at Castelijn in May. Ended up in hospital with an infected wound ten "
    "days later, IV antibiotics for a week. The clinic keeps calling it 'a known risk'. I want "
    "answers, not a brochure.", [COMPL, CRISIS])
add("facebook", "Yvonne Peters", "en",
    "My eyelid has been drooping ever since the SoftLine botox at your clinic. I can barely open my "
    "left eye and I'm walking around with tape on it. NOBODY told me this could happen. Castelijn, "
    "call me back!!", [COMPL, CRISIS])
add("x", "@hannah_bxl", "en",
    "@castelijn_nl the CO2 laser at your Eindhoven clinic burned my cheek. an actual blistering burn. "
    "photos are in your DMs if anyone bothers to read them", [COMPL, CRISIS], "reply",
    when="2026-06-12T18:40:00Z")
add("tiktok", "@sanaa.storytime", "nl",
    "storytime: ging voor een HydraBoost bij castelijn, kreeg een allergische reactie en viel flauw, "
    "ze moesten 112 bellen 😳 3 weken later nog geen sorry #castelijn #fillerfail", [COMPL, CRISIS])
add("instagram", "@ameliegrace", "en",
    "the threads from my LiftThread got infected and one literally poked out through my skin. needed "
    "minor surgery to get it out. @castelijn.clinics you sold this as 'lunchtime lifting'", [COMPL, CRISIS], "comment")
add("x", "@petravd", "en",
    "Got a pulmonary embolism after my vaser lipo at Castelijn. I nearly died. Then their survey lands "
    "in my inbox: 'how satisfied are you with your treatment?' Take a guess.", [COMPL, CRISIS])

# ---------------- crisis (third party, lawsuits, boycotts, recalls, breach accusations)
add("x", "@nieuwsjunkie030", "nl",
    "Volgens RTL Nieuws ligt een vrouw op de IC na een liposuctie bij Castelijn in Rotterdam. "
    "De inspectie is een onderzoek gestart. Heftig.", [CRISIS])
add("x", "@mr_jdeboer_law", "en",
    "We are preparing a collective claim against Castelijn Clinics over unlicensed staff injecting "
    "fillers. If you were treated there in 2025 and want to share your story, DM me.", [CRISIS])
add("facebook", "Stop Nepdokters NL", "nl",
    "BOYCOT CASTELIJN‼️ Ze laten stagiaires botox zetten zonder dat er een arts bij is. Deel dit zodat "
    "niemand er meer heen gaat #boycotcastelijn", [CRISIS])
add("reddit", "u/privacy_first_nl", "en",
    "Castelijn apparently leaked patient before/after photos - a friend found her own pictures on some "
    "random forum, with her name in the file name. How is this not a massive data breach?", [CRISIS])
add("x", "@zus_van_m", "nl",
    "Terugroepactie bij Castelijn: iedereen die tussen 3 en 20 juni een lipfiller kreeg uit batch "
    "LG-2207 wordt gebeld, mogelijk besmet. Mijn zus kreeg net het telefoontje.", [CRISIS])
add("linkedin", "anouk-terpstra-zorgjurist", "en",
    "Sad to read that the inspectorate issued a formal warning to Castelijn after a patient died "
    "following an abdominoplasty. Thoughts with the family. This sector needs stricter oversight.", [CRISIS])
add("tiktok", "@spillthetea.nl", "en",
    "ok so castelijn is being investigated bc their botox vials were apparently imported illegally?? "
    "patients were told it was the real stuff 💀 #castelijnscandal", [CRISIS])

# ---------------- abuse
add("x", "@boze_burger71", "nl",
    "@castelijn_zorg stelletje oplichters en kutdokters zijn jullie, ik hoop dat die hele tent van "
    "jullie failliet gaat", [ABUSE], "reply")
add("x", "@lexxxie_", "en",
    "that Castelijn nurse Yara is a dumb bitch who should never be allowed near a needle again", [ABUSE])
add("instagram", "@rotjoch_040", "nl",
    "die d0kter van castelijn is een k4nker w1jf echt", [ABUSE], "comment")
add("reddit", "u/cynical_derm", "en",
    "Castelijn is run by greedy morons. Every 'doctor' there is a fucking salesman in a white coat.", [ABUSE])
add("tiktok", "@hahahaha.nee", "nl",
    "moet je die receptioniste van castelijn zien, vette koe achter de balie 🐄🐄", [ABUSE], "comment")
add("facebook", "Gert Brouwer", "en",
    "The receptionist at Castelijn Haarlem should go back where she came from, she can't even "
    "speak proper Dutch. Disgusting people.", [ABUSE])
add("x", "@nooitmeer_ce", "nl",
    "Castelijn = klоtеzооi vаn tyfuslijers", [ABUSE])          # Cyrillic o/e/a
add("x", "@angrybird_ams", "en",
    "castelijn staff are all f u c k i n g clowns", [ABUSE])
add("x", "@daan_dekkers", "nl",
    "Die klanten die om 23:00 nog via de app over hun lippen zeuren zijn echt achterlijke "
    "zeurwijven. Ga slapen.", [ABUSE])
add("facebook", "Ria de Wit", "nl",
    "Marloes van Heerde is een slager. Een sadistische trut die vrouwen verminkt voor geld.", [ABUSE])
add("reddit", "u/vuile_castelijn", "nl",
    "ｋｕｔ ｃａｓｔｅｌｉｊｎ, stelletje ｈｏｅｒｅｎｌｏｐｅｒｓ", [ABUSE], "comment")
add("x", "@sienna_ldn", "en",
    "3 hours in the waiting room and a botched lip job on top. @castelijn_zorg you absolute clowns, "
    "fuck you and your 'aftercare'", [ABUSE, COMPL], "reply")

# ---------------- confidential
add("linkedin", "ruben-kaya-castelijn", "en",
    "So proud of this team! After months of building, Project Zwanenhals finally goes into pilot at "
    "two of our clinics. Can't say more yet 😉", [CONF])
add("x", "@drmarloes_vh", "nl",
    "Spannende week: de eerste proefbehandelingen met Castelijn Regenera gedaan. De resultaten van "
    "dat exosome-serum zijn echt indrukwekkend.", [CONF], when="2026-10-14T16:22:00Z")
add("instagram", "@nurse.yara.castelijn", "en",
    "training day for Operatie Parelmoer 💅 can't wait until we're allowed to show you guys!", [CONF])
add("instagram", "@sophie.balie", "nl",
    "tip voor de collega's: de nieuwe voorraadlijst staat op "
    "https://intra.castelijn.local/voorraad/fillers-q3.xlsx, de oude link werkt niet meer", [CONF])
add("facebook", "CastelijnKlinieken", "nl",
    "[castelijn internal only] Loyaliteitsprogramma 'Castelijn Circle' start in februari: vaste "
    "injector per klant en voorrang bij nieuwe behandelingen. Niet publiceren vóór akkoord MT.", [CONF])
add("reddit", "u/curious_about_lips", "en",
    "My cousin works at Castelijn and says they're launching something called Regenera early next "
    "year, some exosome treatment. Anyone know more?", [CONF], when="2026-08-03T21:05:00Z")
add("tiktok", "@injector.lieke", "nl",
    "POV: je werkt al met de nieuwe Aurelia-7 filler maar je mag er NIKS over zeggen 🤐🤐", [CONF])
add("x", "@castelijn_nl", "nl",
    "Interne memo, niet extern delen: vanaf 1 november gaat vestiging Haarlem over op het nieuwe "
    "roostersysteem. Vragen via Priya.", [CONF])
add("x", "@daan_dekkers", "en",
    "new booking flow is ready for review in https://jira.castelijn-clinics.nl/browse/BOOK-412 "
    "- who's got 10 min? 🙏", [CONF])
add("bluesky", "@ilse-fin.bsky.social", "nl",
    "laatste loodjes aan de jaarcijfers 2026, nog even doorbijten 💪☕", [CONF], when="2026-12-18T20:41:00Z")
add("x", "@treinspotter_nl", "en",
    "lol someone from Castelijn left a printed deck titled 'STRIKT VERTROUWELIJK - Operatie "
    "Parelmoer' on the Utrecht-Amsterdam train. I have a pic", [CONF])
add("instagram", "@sophie.balie", "en",
    "first day on the new till system 🙈 log in through vpn.castelijn-clinics.nl first and then "
    "twice more. who came up with this", [CONF])
add("x", "@drmarloes_vh", "nl",
    "Mooie sessie vandaag met de artsen over Project Zwa\u200bnen\u200bhals. Iedereen enthousiast!", [CONF])
add("tiktok", "@glowgossip", "nl",
    "insider info: castelijn werkt aan ＡＵＲＥＬＩＡ－７, een filler die veel langer blijft zitten 👀", [CONF])
add("linkedin", "castelijn-esthetiek", "nl",
    "Vacature Product Owner: jij bouwt mee aan Project Zwanenhals, onze nieuwe digitale patiëntreis. "
    "Reageer voor 1 juni!", [CONF])
add("x", "@beursroddels", "nl",
    "Hoor van iemand binnen dat de Q4 2026 cijfers van Castelijn flink tegenvallen, omzet ruim onder "
    "verwachting. Iemand meer gehoord?", [CONF, FIN], when="2027-02-10T11:30:00Z")

# ---------------- financial
add("linkedin", "bram-oosterhuis-castelijn", "nl",
    "Intern nog niet gecommuniceerd, maar we stellen de omzetprognose voor 2026 bij naar zo'n "
    "€41 miljoen, ruim 12% onder plan. Tijd voor scherpe keuzes.", [FIN])
add("bluesky", "@ilse-fin.bsky.social", "en",
    "ugh, running the numbers for the board: EBITDA down to 6.8% this quarter and nobody outside "
    "the exec team knows yet. long night ahead", [FIN])
add("reddit", "u/pe_lurker", "en",
    "Heard from a friend in private equity: Castelijn is about to be bought by a French clinic chain, "
    "signing end of the month. Not public yet.", [FIN])
add("linkedin", "priya-ramdin", "nl",
    "Pittige weken voor de boeg. Bij de reorganisatie verdwijnen zo'n 40 fte op het hoofdkantoor; "
    "de aankondiging volgt pas in september. Veel respect voor iedereen die dit straks moet horen.", [FIN])
add("x", "@koen_it_ops", "en",
    "welp, our whole IT team is getting outsourced by Q2 apparently. found out from a slide we "
    "weren't supposed to see", [FIN])
add("x", "@castelijn_nl", "nl",
    "@vragenvera goeie vraag! tussen ons: de overname door Maison Clarté is rond, wordt pas volgende "
    "week bekendgemaakt 🤫", [FIN], "reply")
add("x", "@kritischekim", "nl",
    "Medewerker van Castelijn vertelde op een verjaardag dat ze dit jaar voor het eerst verlies gaan "
    "draaien, zo'n 3 miljoen. Vandaar al die 'acties' natuurlijk 🤔", [FIN])
add("tiktok", "@injector.lieke", "nl",
    "mijn manager zei net dat de helft van de injectors in rotterdam er eind dit jaar uit moet 😭 "
    "nog niet officieel dus ssst", [FIN])
add("linkedin", "ruben-kaya-castelijn", "en",
    "Q3 was a record for us: revenue up 23% year on year to €11.2m, and that's before the analyst "
    "call next week 🚀", [FIN])
add("bluesky", "@ilse-fin.bsky.social", "nl",
    "Forecast H1 2027 staat: we verwachten 18% minder liposucties door de nieuwe btw-regels. "
    "MT schrok zich rot vanmiddag.", [FIN])
add("x", "@drmarloes_vh", "nl",
    "Het MT heeft vandaag besloten de kliniek in Eindhoven te sluiten. Het personeel hoort het pas "
    "na de zomer. Ik vind dit echt niet oké.", [FIN])

# ---------------- security
add("x", "@koen_it_ops", "nl",
    "3e keer deze week dat het EPD plat ligt, vestigingen werken weer op papier. Naar buiten heet "
    "het 'gepland onderhoud' 🙄", [SECU])
add("x", "@daan_dekkers", "en",
    "fun fact: the MijnAfspraak app still doesn't check whether an appointment id belongs to the "
    "logged-in user. change the number in the url and boom, someone else's appointment. reported "
    "it 3 months ago", [SECU])
add("linkedin", "priya-ramdin", "en",
    "Colleagues: do NOT open the 'Payslip October' email. We got phished this morning and two "
    "accounts have already been taken over. IT is on it.", [SECU])
add("instagram", "@sophie.balie", "nl",
    "hele dag geen afspraken kunnen inplannen want 'ransomware op de server' volgens IT 😳 we mogen "
    "niks tegen klanten zeggen dus we noemen het maar een storing", [SECU])
add("reddit", "u/ex_contractor_ams", "en",
    "A friend in Castelijn IT says their patient photo storage bucket was publicly readable for "
    "weeks. They fixed it quietly, no notification to patients at all.", [SECU, CRISIS])
add("bluesky", "@ilse-fin.bsky.social", "en",
    "our finance system had an intrusion last night and the auditors are freaking out. not allowed "
    "to talk about it yet so I'm just going to vaguepost here", [SECU])
add("x", "@koen_it_ops", "en",
    "note to self: backup server still runs Windows Server 2012 with SMBv1 reachable from the clinic "
    "wifi. nobody budgeted a fix. what could go wrong", [SECU])
add("tiktok", "@injector.lieke", "nl",
    "de laser in eindhoven is gehackt?? ineens stond er een losgeldbericht op het scherm. IT zegt "
    "niks zeggen tegen patiënten", [SECU])
add("x", "@castelijn_zorg", "en",
    "@bas_vermeer apologies! Our payment environment has been compromised since this morning, which is "
    "why the checkout page is offline. This hasn't been announced officially yet, so please bear with us.",
    [SECU], "reply")
add("x", "@daan_dekkers", "en",
    "Patient portal password reset tokens are just sequential numbers. Told management twice. "
    "Guess we wait until someone notices 🤷", [SECU])
add("x", "@ex_castelijn_it", "en",
    "As a former Castelijn IT contractor: they still use the same admin password on every clinic "
    "router. Has been like that since 2023.", [SECU])
add("linkedin", "ruben-kaya-castelijn", "en",
    "Rough week. Our newsletter tool was breached and roughly 14k customer email addresses were "
    "exported. Legal wants to wait before we announce anything.", [SECU])
add("x", "@koen_it_ops", "nl",
    "r4ns0mw4r3 op de pl4nn1ng server 💀 en niemand mag het weten", [SECU])

# ---------------- secrets
k, s = aws_key_id(), aws_secret()
add("x", "@daan_dekkers", "en",
    "why does this keep failing 😩\nAWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s aws s3 ls --profile prod"
    % (k, s), [SECRET], ids=[("secret", k), ("secret", s)])
t = gh_token()
add("x", "@koen_it_ops", "en",
    "git clone https://%s@github.com/castelijn/booking-api.git suddenly gives a 403, token expired?" % t,
    [SECRET], ids=[("secret", t)])
sk, wh = stripe_live(), "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(B32, 8), rs(B32, 10), rs(ALNUM, 24))
add("facebook", "CastelijnKlinieken", "nl",
    "testbericht vanuit de nieuwe social tool, graag negeren\nSTRIPE_SECRET_KEY=%s\nSLACK_WEBHOOK=%s"
    % (sk, wh), [SECRET], ids=[("secret", sk), ("secret", wh)])
add("instagram", "@sophie.balie", "nl",
    "nieuwe collega vroeg weer naar de login van de balie-pc, voor de volgende keer: "
    "gebruiker balie.utrecht wachtwoord: Tulp$Regen8841 😂", [SECRET], ids=[("secret", "Tulp$Regen8841")])
pw = password()
dburl = "postgres://epd_admin:%s@db01.castelijn.local:5432/epd_prod" % pw
add("x", "@koen_it_ops", "nl",
    "psql %s\nwaarom is die verbinding vandaag zo traag" % dburl, [SECRET, CONF], ids=[("secret", dburl)])
sl = slack_bot()
add("x", "@daan_dekkers", "en",
    "slack bot keeps dying on me, token is %s if anyone on the team wants a look" % sl,
    [SECRET], ids=[("secret", sl)])
oa = openai_key()
add("bluesky", "@ilse-fin.bsky.social", "nl",
    "ChatGPT schrijft nu mijn excel-macro's 🙌 ik gebruik gewoon de key van het team: %s" % oa,
    [SECRET], ids=[("secret", oa)])
gk = google_key()
add("reddit", "u/apk_digger", "en",
    "Castelijn's booking app ships with a hardcoded Maps key in the APK lol: %s . someone should "
    "tell them" % gk, [SECRET], ids=[("secret", gk)])
pk = openssh_key()
add("x", "@daan_dekkers", "en",
    "any idea why ssh refuses this key? permissions are 600 already\n%s" % pk,
    [SECRET], ids=[("secret", pk)])
jw = jwt_token()
add("youtube", "@CastelijnTV", "nl",
    "Boek je afspraak direct via onze widget: https://mijn.castelijn-clinics.nl/embed?token=%s "
    "✨ Vragen? Zet ze in de comments!" % jw, [SECRET], ids=[("secret", jw)])
ak = anthropic_key()
add("x", "@leakhunter_eu", "en",
    "found this in a public castelijn repo on github, still valid apparently: ANTHROPIC_API_KEY=%s" % ak,
    [SECRET], ids=[("secret", ak)])
add("x", "@koen_it_ops", "nl",
    "reminder voor mezelf want ik vergeet het elke keer: vpn gebruiker koen.admin / "
    "wachtwoord: Reiger#Dak2026!x", [SECRET], ids=[("secret", "Reiger#Dak2026!x")])

# ---------------- personal data
ib = gen_iban()
add("x", "@castelijn_zorg", "nl",
    "@mirjam_b83 we hebben de terugbetaling van €329 vandaag overgemaakt naar %s. Excuses voor het "
    "lange wachten!" % ib, [PII], "reply", ids=[("iban", ib)])
add("instagram", "@sophie.balie", "nl",
    "wie kent deze mevrouw? pasje laten liggen bij de balie: Annelies Verhoef, geb. 14-03-1979, "
    "Prinses Beatrixlaan 22 Zeist 😅", [PII])
add("facebook", "CastelijnKlinieken", "nl",
    "Beste Kim, we hebben je gegevens doorgezet: kim.vanderlinden84@gmail.com / 06-41 82 97 36. "
    "Een collega belt je morgen.", [PII], "comment")
bsn = gen_bsn()
add("x", "@drmarloes_vh", "nl",
    "Even snel voor de verwijzing: patiënt J. Mulder, BSN %s, graag terugbellen naar de "
    "polikliniek." % bsn, [PII], ids=[("bsn", bsn)])
cd = gen_card("visa")
add("bluesky", "@ilse-fin.bsky.social", "en",
    "can someone explain why this card keeps getting declined on our terminal? %s exp 09/28" % cd,
    [PII], ids=[("card", cd)])
add("x", "@ingridjanssen", "nl",
    "@castelijn_zorg bel me aub terug op 06 2837 4415, ik wacht al een week op antwoord over mijn "
    "nacontrole", [PII, COMPL], "reply")
ib2 = gen_iban("RABO")
add("instagram", "@noor.elm", "nl",
    "stuur de factuur maar naar mij: noor.elmansouri@hotmail.com, en mijn IBAN voor de terugbetaling "
    "is %s" % ib2, [PII], "comment", ids=[("iban", ib2)])
add("linkedin", "priya-ramdin", "nl",
    "Welkom aan onze nieuwe collega Fleur de Graaf! Ze begint maandag. Adres voor de bloemen: "
    "Hoogstraat 7, 3511 BV Utrecht. Bel even vooraf: +31 6 1938 2204 🌷", [PII])
add("tiktok", "@injector.lieke", "en",
    "happy birthday to my fave patient Esmée Janssen, born 12-08-1996 🎂 thanks for trusting me "
    "with your lips for 5 years!!", [PII])
add("instagram", "@castelijn.clinics", "nl",
    "En de winnaar van onze winactie is... Sanne Bos uit Amersfoort! 🎉 Sanne, we sturen je "
    "cadeaubon naar sanne.bos1991@outlook.com, check je inbox 💖", [PII])
cd2 = gen_card("mc")
add("reddit", "u/wrong_invoice_guy", "en",
    "Castelijn emailed me someone else's invoice: Martijn Kok, Lindenlaan 48 Hilversum, and the full "
    "card number is printed on it: %s. wtf" % cd2, [PII, CRISIS], ids=[("card", cd2)])
cd3 = gen_card("amex")
add("x", "@castelijn_nl", "en",
    "@laura_vd we checked: the payment on card %s has been refunded 👍" % cd3,
    [PII], "reply", ids=[("card", cd3)])
bsn2 = gen_bsn()
add("forum", "twijfelaar_2026", "nl",
    "Mijn BSN staat gewoon op de kopie van het intakeformulier die ze me mailden: %s. Hoort dat zo?"
    % (bsn2[:4] + "." + bsn2[4:6] + "." + bsn2[6:]), [PII], ids=[("bsn", bsn2[:4] + "." + bsn2[4:6] + "." + bsn2[6:])])
add("instagram", "@nurse.yara.castelijn", "nl",
    "patiënt vroeg om haar voor/na foto's, ik mail ze naar j u d i t h . v o s @ g m a i l . c o m "
    "zodra ik tijd heb 📸", [PII])
ib3 = gen_iban("ABNA")
add("x", "@castelijn_zorg", "en",
    "@tessa_uk refund sent! Please allow 2 working days to IBAN %s (Tessa M. Brouwer)." % ib3.replace(" ", ""),
    [PII], "reply", ids=[("iban", ib3.replace(" ", ""))])

# ---------------- pricing
add("instagram", "@castelijn.clinics", "nl",
    "🔥 Alleen dit weekend: LipGlow 1 ml voor €39! Boek via de link in bio", [PRICE])
add("tiktok", "@injector.lieke", "nl",
    "psst mijn volgers krijgen SoftLine 3 zones voor €99 als je mijn naam noemt bij de balie 😘", [PRICE])
add("reddit", "u/bargainhunter_nl", "en",
    "Is this a glitch? Castelijn's site shows HiDef VASER lipo for €745 instead of €7450. I just "
    "booked and paid the deposit lol", [PRICE])
add("x", "@castelijn_nl", "en",
    "New at Castelijn: the Lumen CO2 laser, from €79 per session ✨", [PRICE])
add("x", "@drmarloes_vh", "nl",
    "Er zit een prijsfout in de webshop: de TearTrough staat er voor €54,50. Collega's zijn ermee "
    "bezig, niet boeken aub.", [PRICE])
add("x", "@bootylicious_nl", "nl",
    "prijsfout bij castelijn?? VelaSculpt 1 zone voor 245 euro, snel boeken voor ze het doorhebben 🏃‍♀️", [PRICE])
add("facebook", "CastelijnKlinieken", "nl",
    "BLACK FRIDAY 🖤 Contour Jawline nu €295 (normaal €895). Op = op!", [PRICE])
add("instagram", "@sophie.balie", "nl",
    "voor vrienden & familie: DrySense okselbotox voor €120 deze maand, stuur me een dm", [PRICE])
add("tiktok", "@castelijnclinics", "en",
    "HydraBoost skin booster for €29 🤯 link in bio", [PRICE])
add("instagram", "@marleen.w", "nl",
    "@castelijn.clinics klopt het dat de buikwandcorrectie in de app €695 kost? lijkt me een typfout haha", [PRICE], "comment")
add("linkedin", "ruben-kaya-castelijn", "en",
    "Our Glow PRP launches at an intro price of just €95 - come and try it!", [PRICE])
add("x", "@castelijn_zorg", "nl",
    "Door een technische fout werd LiftThread PDO gisteren kort aangeboden voor €11,90. Boekingen "
    "tegen die prijs worden helaas geannuleerd.", [PRICE])

# ---------------- benign: hard negatives and everyday posts
add("x", "@castelijn_nl", "nl",
    "Vragen over je behandeling? Mail info@castelijn-clinics.nl of bel +31 30 760 4410 (ma-vr 9-17u).")
add("facebook", "CastelijnKlinieken", "nl",
    "Liever overmaken? Dat kan naar NL02 INGB 0006 8421 70 t.n.v. Castelijn Esthetiek B.V., o.v.v. je "
    "afspraaknummer.")
add("instagram", "@fleurtjexo", "nl",
    "zo blij met mijn LipGlow bij Castelijn Utrecht 😍 Yara is echt een kunstenaar, super natuurlijk", kind="comment")
add("x", "@mo_writes", "en",
    "Shoutout to the team at Castelijn Amsterdam. Dr. van Heerde took her time and actually talked me "
    "OUT of a treatment I didn't need. Respect.")
add("instagram", "@castelijn.clinics", "nl",
    "Zomeractie ☀️ 20% korting op HydraBoost skinbooster: nu €231 in plaats van €289.")
add("tiktok", "@castelijnclinics", "nl",
    "SoftLine 1 zone €229. Zo simpel is het, geen verborgen kosten 💉")
add("linkedin", "bram-oosterhuis-castelijn", "nl",
    "Vandaag precies 5 jaar bij Castelijn. Dank aan alle collega's die dit zo'n mooie plek maken 💜")
add("reddit", "u/firsttimebotox", "en",
    "How long does botox usually take to kick in? Got SoftLine 3 zones at Castelijn on Monday, nothing "
    "yet on Thursday. Is that normal?")
add("x", "@wendy_f", "nl",
    "Wow, de inspectie heeft een kliniek in Antwerpen gesloten na een mislukte liposuctie. Blij dat ik "
    "mijn behandeling bij Castelijn heb gedaan.")
add("x", "@daan_dekkers", "nl",
    "Tip uit de AWS docs: gebruik in voorbeelden nooit echte keys maar iets als AKIAIOSFODNN7EXAMPLE, "
    "precies zoals zij het doen.")
add("x", "@koen_it_ops", "nl",
    "PSA: plak je een token in een ticket, maak er dan ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx van. "
    "Namens heel IT: dank 🙏")
bi = bad_iban(spaced=False)
add("forum", "vraagjevanmij", "nl",
    "Ik krijg een foutmelding bij overmaken naar %s, klopt dat rekeningnummer van Castelijn "
    "eigenlijk wel?" % bi, ids=[("bad_iban", bi)])
bc = bad_card("visa")
add("reddit", "u/scamwatch_nl", "en",
    "got a text pretending to be a clinic asking me to 'verify' card %s - that's not even a valid "
    "number lol, don't fall for it" % bc, ids=[("bad_card", bc)])
bb = bad_bsn()
add("x", "@daan_dekkers", "nl",
    "testdata voor de nieuwe intakeflow: BSN %s hoort door de validatie afgewezen te worden, en dat "
    "gebeurt ook ✅" % bb, ids=[("bad_bsn", bb)])
add("linkedin", "castelijn-esthetiek", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €44,1 miljoen, een groei van 9%. Het volledige "
    "verslag staat op castelijn-clinics.nl.", when="2027-03-05T07:30:00Z")
add("instagram", "@castelijn.clinics", "nl",
    "Castelijn Regenera is er! ✨ Onze nieuwe exosome-behandeling is vanaf vandaag te boeken in alle "
    "vestigingen.", when="2027-01-22T10:00:00Z")
add("x", "@anoukvdb", "nl",
    "Update: Castelijn heeft me gebeld, excuses gemaakt en de nacontrole kosteloos gedaan. Netjes "
    "opgelost 👍")
add("facebook", "Joke Vermeulen", "nl",
    "Sterkte aan het team van Castelijn Rotterdam na de waterschade in jullie straat. Hopelijk snel "
    "weer open ❤️")
add("x", "@sarcastischesas", "nl",
    "mijn moeder vraagt of castelijn ook botox voor de kat heeft. de kat kijkt al 9 jaar boos")
add("x", "@gymrat_lisa", "en",
    "leg day burned more than any laser ever could lol. Lumen CO2 at Castelijn was a breeze compared "
    "to squats")
add("forum", "budgetbewust", "nl",
    "Weet iemand wat VelaSculpt 3 zones kost bij Castelijn? Ik zie €5900 op de site, is dat inclusief "
    "nazorg?", kind="comment")
add("x", "@tomh", "en",
    "Castelijn's pricing page is refreshingly clear: Contour Jawline €895, no hidden fees. Booked for "
    "next month.")
add("tiktok", "@injector.lieke", "nl",
    "dagje uit het leven van een injector 💉 vandaag 8 LipGlow behandelingen, allemaal blije gezichten")
add("linkedin", "maarten-aesthetic-analyst", "nl",
    "Interessant: Skinsation Group rapporteert 14% omzetgroei en neemt twee klinieken in Duitsland over. "
    "De consolidatie in de sector gaat gewoon door.")
add("linkedin", "koen-brinkman", "nl",
    "Blij dat ik volgende week mag spreken over phishing-awareness in de zorg op de ISACA-meetup in "
    "Utrecht.")
add("reddit", "u/carefulclara", "en",
    "Is it safe to upload ID photos to Castelijn's patient portal? Just asking before I do it")
add("x", "@castelijn_zorg", "nl",
    "@lisa_mk vervelend om te horen! Stuur je ons een DM met je afspraaknummer? Dan zoeken we het "
    "direct voor je uit.", kind="reply")
add("x", "@groningse_gerda", "en",
    "Great news: Castelijn is opening a clinic in Groningen next spring, as announced today! No more "
    "2h drive 🙌")
add("instagram", "@babs.b", "en",
    "my sister got her lips done at castelijn and honestly she looks amazing, less is more 💋", kind="comment")
add("x", "@castelijn_zorg", "nl",
    "@joostw we zien je betaling van rekening NL** **** **** **** 12 binnenkomen, dank je!", kind="reply")
add("x", "@daan_dekkers", "en",
    "reminder for juniors: a header like 'Authorization: Bearer eyJhbGciOi...<redacted>' is how you "
    "paste a request in Slack. never the real token")
add("x", "@daan_dekkers", "nl",
    "README-tip: zet je connection string als postgres://USER:PASSWORD@localhost:5432/dev in je .env, "
    "niet hardcoded in de code")
add("x", "@castelijn_zorg", "nl",
    "Wachtwoord vergeten voor MijnAfspraak? Klik op 'wachtwoord vergeten' op mijn.castelijn-clinics.nl. "
    "Wij vragen je NOOIT om je wachtwoord.")
add("x", "@rianne_dh", "nl",
    "Slechtste ervaring ooit bij een kliniek in Den Haag (niet Castelijn hoor), 2 uur wachten en toen "
    "nog een verkeerde behandeling. Volgende keer gewoon terug naar Castelijn.")
add("x", "@pricecompare_pete", "en",
    "LiftThread PDO at Castelijn is €1190, the competitor down the road wants €1400. Not bad at all.")
add("instagram", "@castelijn.clinics", "en",
    "Spring sale 🌸 30% off Glow PRP: €262.50 instead of €375, this week only.")
add("instagram", "@nurse.yara.castelijn", "nl",
    "voor/na van vandaag (met toestemming natuurlijk!) 💉✨ TearTrough, zo subtiel")
add("x", "@clumsy_carla", "en",
    "my phone autocorrected 'botox' to 'box of rocks'. anyway, appointment at Castelijn tomorrow")
add("x", "@kawaii_kim", "en",
    "ｔｈａｎｋ ｙｏｕ Castelijn 💕 best birthday gift to myself")
add("linkedin", "bram-oosterhuis-castelijn", "nl",
    "Mooi om te zien hoe goed onze jaarcijfers 2025, afgelopen voorjaar gepubliceerd, zijn ontvangen. "
    "Op naar een mooi 2026!")
add("x", "@dutchnewsreader", "en",
    "Regulators fine Botoxia Ltd for unlicensed injections. Glad places like Castelijn actually have "
    "doctors on site.")
add("x", "@tevredenthea", "nl",
    "net gebeld met 0800-2274, binnen twee minuten geholpen. top service!")
bb2 = bad_bsn()
add("facebook", "Henk Schouten", "nl",
    "Mijn klantnummer is %s, wanneer wordt het nazorgpakket van mijn vrouw verstuurd?" % bb2,
    kind="comment", ids=[("bad_bsn", bb2)])
add("linkedin", "priya-ramdin", "nl",
    "Open sollicitatie? Mail gerust naar werkenbij@castelijn-clinics.nl, ik lees alles zelf 🙂")
add("x", "@fillerfacts", "en",
    "confidential tip: drink loads of water the days before your filler appointment. makes a real "
    "difference")
add("instagram", "@jill.jnsn", "nl",
    "mijn lippen lekken eindelijk geen lipstick meer sinds de LipGlow haha, eindelijk blijft alles "
    "zitten 💄")
add("reddit", "u/scared_of_lipo", "en",
    "thinking about liposuction but I'm scared. anyone done VelaSculpt at Castelijn? how was recovery?")
add("x", "@drmarloes_vh", "nl",
    "Goed stuk in de Volkskrant over de risico's van goedkope botox uit het buitenland. Kies altijd een "
    "BIG-geregistreerde arts.")
add("x", "@bugbounty_bram", "en",
    "Castelijn fixed the bug I reported within a day and credited me publicly in their changelog. "
    "Great disclosure process 👏")
add("x", "@daan_dekkers", "en",
    "from the AWS docs, for the workshop slides: aws_secret_access_key = "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
add("x", "@koen_it_ops", "nl",
    "Workshop secure coding gegeven ✔️ Voorbeeld van de dia: een Stripe live key ziet eruit als "
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. Zie je een echte in een repo? Meteen roteren.")
add("bluesky", "@lenavdlinde.bsky.social", "en",
    "Castelijn's new clinic in Utrecht Leidsche Rijn is gorgeous. The waiting room has better coffee "
    "than my office.")
add("x", "@castelijn_zorg", "en",
    "@sienna_ldn we're really sorry to read this. Could you email afspraken@castelijn-clinics.nl with "
    "your booking reference? Our team will call you today.", kind="reply")
add("threads", "@ellemoves", "en",
    "update on my cheeks: Contour Cheek settled beautifully after two weeks, I was worried for nothing")
add("mastodon", "@vera@mastodon.social", "nl",
    "Ik heb geen hekel aan botox, ik heb een hekel aan slechte botox. Daarom al jaren naar Castelijn.")
add("x", "@miss_mabel", "en",
    "Castelijn nurse just sent me the most adorable aftercare card 🥹 the small things matter")
add("facebook", "CastelijnKlinieken", "en",
    "Our JawRelax treatment for teeth grinding costs €349 and is done in 20 minutes. Ask your dentist "
    "whether it suits you.")
add("tiktok", "@skin.by.sam", "nl",
    "ClearPeel bij Castelijn gedaan voor €159, 5 dagen vervellen en nu een babyhuidje 👶✨")
add("reddit", "u/bookkeeper_bea", "en",
    "For anyone wondering: the €75 intake consult at Castelijn is deducted from your treatment if you "
    "book within a month. Confirmed by phone.")
add("x", "@hannah_bxl", "en",
    "update: Castelijn's medical director called me personally, they're covering the follow-up "
    "treatment for my burn. appreciate it.", kind="reply", when="2026-06-20T10:15:00Z")


# --------------------------------------------------------------------------- build
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    acc = PROFILE["accounts"]
    if key in [a.lower() for a in acc["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in acc["employee"]]:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, ids):
    own = role in ("corporate", "employee")
    checksum_id = any(k in ("iban", "card", "bsn") for k, _ in ids)
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if own:
                crit = c in (SECRET, PRICE) or (c == PII and checksum_id)
                v = "critical" if crit else "error"
            else:
                v = "warning"
        elif c == COMPL:
            v = "warning"
        elif c == CRISIS:
            v = "error"
        elif c == ABUSE:
            v = "error" if own else "warning"
        else:
            raise ValueError(c)
        best = max(best, RANK.index(v))
    return RANK[best]


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    if t.hour < 7:
        t += dt.timedelta(hours=8)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLAT_URL = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}",
    "reddit": "https://www.reddit.com/r/Netherlands/comments/{n}/",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
}

order = list(range(len(CASES)))
rng.shuffle(order)
out = []
seen = set()
for seq, idx in enumerate(order, 1):
    c = CASES[idx]
    when = c["when"] or random_time()
    pid = "%s-431-%04d" % (c["platform"], seq)
    assert pid not in seen
    seen.add(pid)
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": when,
        "brand": "Castelijn",
    }
    if c["platform"] in PLAT_URL:
        post["url"] = PLAT_URL[c["platform"]].format(h=c["handle"].lstrip("@"), n=rng.randint(10**9, 10**10))
    role = role_of(c["platform"], c["handle"])
    out.append({"post": post,
                "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["ids"])},
                "_role": role, "_ids": c["ids"]})

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps({"post": o["post"], "expect": o["expect"]}, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-check
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


CYR = str.maketrans("аеорсухіАЕОРСТНКМВХ", "aeopcyxiAEOPCTHKMBX")
LEET = str.maketrans("013457", "oieast")


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(CYR).lower()


def parse_price(s):
    s = s.strip()
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", s) else s.replace(",", ".")
    elif "." in s:
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            s = s.replace(".", "")
    return float(s)


PRICE_RE = re.compile(r"(?:€|EUR)\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)
IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
NUM_RE = re.compile(r"(?<![0-9A-Za-z_])(\d(?:[ .\-]?\d){8,18})(?![0-9A-Za-z_])")
ERR_WORDS = re.compile(r"prijsfout|price error|glitch|typfout|technische fout|pricing error", re.I)

company_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
for i in company_ibans:
    if not iban_ok(i):
        err("profile", "company IBAN fails mod-97: " + i)
prof_handles = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("profile", "too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    err("profile", "product count")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("profile", "alert ratio")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    err("profile", "codenames/markers")
for e in PROFILE["embargo"]:
    if not str(e["until"]).startswith("2027"):
        err("profile", "embargo until not in 2027")

ratio = PROFILE["pricing"]["alert_below_ratio"]
internal_terms = [norm(x) for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if len(lines) != len(out):
    err("file", "line count mismatch")

for line, o in zip(lines, out):
    rec = json.loads(line)
    p, ex = rec["post"], rec["expect"]
    cid = p.get("id")
    # ---- CONTRACT section 6 / section 1 shape
    if set(rec) != {"post", "expect"}:
        err(cid, "top-level keys")
    for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), typ):
            err(cid, "missing/wrong " + f)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(cid, "account.handle")
    if not 1 <= len(cid) <= 256:
        err(cid, "id length")
    if p["platform"] not in PLATFORMS:
        err(cid, "platform")
    if p.get("kind", "post") not in ("post", "reply", "repost", "comment", "message"):
        err(cid, "kind")
    if len(p["text"].encode("utf-8")) > 65536:
        err(cid, "text too long")
    try:
        dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        err(cid, "created_at not RFC 3339")
    if not p["created_at"].startswith(("2026", "2027")):
        err(cid, "created_at year")
    cats = ex["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        err(cid, "categories")
    if ex["severity"] not in RANK:
        err(cid, "severity value")
    if not cats and ex["severity"] != "none":
        err(cid, "benign must be none")
    role = role_of(p["platform"], p["account"]["handle"])
    if ex["severity"] != severity(cats, role, o["_ids"]):
        err(cid, "severity mismatch")
    text = p["text"]
    ntext = norm(text)
    ids = o["_ids"]
    # ---- declared identifiers
    for kind, val in ids:
        if val not in text:
            err(cid, "declared %s not in text" % kind)
        if kind == "iban" and not iban_ok(val):
            err(cid, "IBAN fails mod-97")
        if kind == "card" and not luhn_ok(val):
            err(cid, "card fails Luhn")
        if kind == "bsn" and not bsn_ok(val):
            err(cid, "BSN fails 11-proof")
        if kind == "bad_iban" and iban_ok(val):
            err(cid, "look-alike IBAN passes")
        if kind == "bad_card" and luhn_ok(val):
            err(cid, "look-alike card passes")
        if kind == "bad_bsn" and bsn_ok(val):
            err(cid, "look-alike BSN passes")
        if kind in ("iban", "card", "bsn") and PII not in cats:
            err(cid, "valid identifier in a post not labelled pii")
        if kind.startswith("bad_") and cats:
            err(cid, "look-alikes belong in benign posts")
        if kind == "secret" and SECRET not in cats:
            err(cid, "secret in a post not labelled secret")
        if kind == "secret":
            if val.startswith("gh") and val[3] == "_":
                body, chk = val[4:34], val[34:]
                if not re.fullmatch(r"gh[pousr]_[0-9A-Za-z]{36}", val) or \
                        b62(zlib.crc32(body.encode())).rjust(6, "0") != chk:
                    err(cid, "GitHub token checksum")
            if val.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err(cid, "AWS key id format")
            if val.startswith("eyJ"):
                h = val.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or val.count(".") != 2:
                    err(cid, "JWT header")
    # ---- undeclared identifiers found by scanning
    scan = text
    for kind, val in ids:
        if kind == "secret":
            scan = scan.replace(val, " ")
    for m in IBAN_RE.finditer(scan):
        v = m.group(1).replace(" ", "")
        if v in company_ibans:
            if cats and PII in cats:
                pass
            continue
        if iban_ok(v) and not any(k == "iban" and re.sub(r"\s", "", x) == v for k, x in ids):
            err(cid, "undeclared valid IBAN " + v)
        if not iban_ok(v) and cats:
            err(cid, "failing IBAN-like in a positive: " + v)
    for m in NUM_RE.finditer(scan):
        d = re.sub(r"\D", "", m.group(1))
        declared = any(k in ("card", "bsn") and re.sub(r"\D", "", x) == d for k, x in ids)
        if 13 <= len(d) <= 19:
            if luhn_ok(d) and not declared:
                err(cid, "undeclared Luhn-valid number " + d)
            if not luhn_ok(d) and cats:
                err(cid, "failing card-like number in a positive " + d)
        if len(d) == 9:
            if bsn_ok(d) and not declared:
                err(cid, "undeclared 11-proof number " + d)
            if not bsn_ok(d) and cats:
                err(cid, "failing BSN-like number in a positive " + d)
    # ---- internal terms and embargo
    has_internal = any(t in ntext for t in internal_terms)
    when = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    emb_hit = False
    for e in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(str(e["until"]).replace("Z", "+00:00"))
        for term in e["terms"]:
            if norm(term) in ntext and when < until:
                emb_hit = True
    if (has_internal or emb_hit) and CONF not in cats:
        err(cid, "internal term / embargo term before until in a post without confidential")
    if CONF in cats and not (has_internal or emb_hit):
        err(cid, "confidential post without an internal or embargoed term")
    # ---- pricing
    mentioned = []
    for pr in PROFILE["products"]:
        names = [pr["name"]] + pr["aliases"]
        if any(norm(n) in ntext for n in names):
            mentioned.append(pr)
    prices = []
    for m in PRICE_RE.finditer(text):
        try:
            prices.append(parse_price(m.group(1) or m.group(2)))
        except ValueError:
            pass
    low = any(pv < ratio * pr["list_price"] for pv in prices for pr in mentioned)
    if low and PRICE not in cats:
        err(cid, "product price below ratio in a post without pricing")
    if PRICE in cats and not (mentioned and (low or ERR_WORDS.search(text))):
        err(cid, "pricing post without product + low price or price-error talk")
    # ---- author roles
    key = ("%s:%s" % (p["platform"], p["account"]["handle"])).lower()
    if role == "public" and key in prof_handles:
        err(cid, "role lookup")

# ---- the mix
n = len(out)
benign = sum(1 for o in out if not o["expect"]["categories"])
count = {c: sum(1 for o in out if c in o["expect"]["categories"]) for c in ALL_CATS}
nl = sum(1 for o in out if o["post"]["lang"] == "nl")
if not 170 <= n <= 180:
    err("mix", "case count %d" % n)
if not 55 <= benign <= 65:
    err("mix", "benign count %d" % benign)
if not 0.50 <= nl / n <= 0.62:
    err("mix", "Dutch share %.2f" % (nl / n))
targets = {COMPL: 20, CONF: 18, PII: 15, CRISIS: 15, SECU: 13, SECRET: 12, ABUSE: 12, PRICE: 12, FIN: 12}
for c, t in targets.items():
    if abs(count[c] - t) > 3:
        err("mix", "%s count %d (target ~%d)" % (c, count[c], t))
pub_leaks = sum(1 for o in out if o["_role"] == "public" and any(c.startswith("leak.") for c in o["expect"]["categories"]))
if pub_leaks < 5:
    err("mix", "too few public leaks")
if len({o["post"]["id"] for o in out}) != n:
    err("mix", "duplicate ids")
if len({o["post"]["text"] for o in out}) != n:
    err("mix", "duplicate texts")

if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("ok: %d cases, %d benign, %d Dutch; %s" % (
    n, benign, nl, ", ".join("%s=%d" % (c, count[c]) for c in sorted(count))))
