#!/usr/bin/env python3
"""Evaluation set sealed327: Kwelderwind Watersport B.V. (kite school + water-sports shop).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and then checks it (identifier checksums, secret formats, CONTRACT section 6 shape,
severity computed from the account role in profile.yaml, embargo/codename hygiene of the
benign posts). Exits non-zero if any check fails.
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
SEED = 327_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier helpers
# ---------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z


def iban_mod97_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(DIG) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_mod97_ok(iban)
    return iban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
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
    body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        first8 = rng.choice("123456789") + "".join(rng.choice(DIG) for _ in range(7))
        s8 = sum(int(a) * b for a, b in zip(first8, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s8 % 11
        if last < 10:
            b = first8 + str(last)
            assert bsn_ok(b)
            return b


def break_digit(s, check):
    """Change one digit (not the first) so that check(s) fails."""
    idx = [i for i, c in enumerate(s) if c.isdigit()][1:]
    while True:
        i = rng.choice(idx)
        nd = rng.choice([c for c in DIG if c != s[i]])
        t = s[:i] + nd + s[i + 1:]
        if not check(t):
            return t


# ---------------------------------------------------------------------------
# secret helpers (built like the real formats)
# ---------------------------------------------------------------------------
def rstr(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix):
    body = rstr(30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode()) & 0xFFFFFFFF, 6) == m.group(3)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in hdr


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += b"\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + bytes(rng.getrandbits(8) for _ in range(200))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


AWS_ALPHA = string.ascii_uppercase + "234567"
GHP = github_token("ghp_")
GHO = github_token("gho_")
AWS_ID = "AKIA" + rstr(16, AWS_ALPHA)
AWS_SECRET = rstr(40, string.ascii_letters + string.digits + "/+")
STRIPE = "sk_live_" + rstr(24)
SLACK = "xoxb-%s-%s-%s" % (rstr(12, DIG), rstr(13, DIG), rstr(24))
OPENAI = "sk-proj-" + rstr(64, ALNUM + "-_") + "T3BlbkFJ" + rstr(64, ALNUM + "-_")
ANTHROPIC = "sk-ant-api03-" + rstr(93, ALNUM + "-_") + "AA"
SSH_KEY = make_openssh_key()
JWT = make_jwt({"sub": "staff-api", "role": "admin", "iss": "boekingen", "exp": 1798761600})
DB_PW = rstr(6) + "!" + rstr(5)
DB_URL = f"postgresql://kw_admin:{DB_PW}@10.20.0.15:5432/boekingen"
KASSA_PW = "Kokkel#" + rstr(2, DIG) + "wind"
WIFI_PW = "Golfslag!" + rstr(2, DIG) + "Wierduin"

# personal identifiers (valid) ...
IBAN_REFUND = make_iban("INGB")      # corporate reply, critical
IBAN_PUBLIC = make_iban("ASNB")      # customer's own, public
CARD_TILL = make_card("4539")        # Visa, found at the till
CARD_CUST = make_card("5412")        # Mastercard, customer's own
BSN_STAFF = make_bsn()               # new instructor
BSN_CUST = make_bsn()                # customer's own
# ... and look-alikes that must fail (benign posts)
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_TYPO = break_digit(PUBLIC_IBAN, iban_mod97_ok)
ORDER_NO = break_digit(make_card("4716"), luhn_ok)
GIFT_NO = break_digit(make_card("6035"), luhn_ok)
KLANT_NO = break_digit(make_bsn(), bsn_ok)
TICKET_NO = break_digit(make_bsn(), bsn_ok)
FULLW = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits})


def fw(s):
    return s.translate(FULLW)


ZW = "\u200b"

# ---------------------------------------------------------------------------
# the hand-written posts
# ---------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis",
    "abuse": "reputation.abuse", "secret": "leak.secret", "pii": "leak.pii",
    "pricing": "leak.pricing", "confidential": "leak.confidential",
    "financial": "leak.financial", "security": "leak.security",
}
CASES = []


def add(platform, handle, text, cats, lang, kind="post", at=None, evasion=False):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=[CAT[c] for c in cats],
                      lang=lang, kind=kind, at=at, evasion=evasion))


# ---- complaints -----------------------------------------------------------
add("x", "@mirjam_sup", "Al 3 weken wachten op mijn terugbetaling voor de geannuleerde kiteles van 14 juni. Mailtje naar lessen@ wordt niet beantwoord, telefoon gaat over in een bandje. @kwelderwind_help hallo??", ["complaint"], "nl")
add("instagram", "@windchaser_tom", "booked the 3 day beginner course, showed up at 9 like the confirmation said and the instructor just... wasn't there. waited 2 hrs on the beach in the cold. no call no text. not impressed @kwelderwind.kite", ["complaint"], "en", kind="comment")
add("facebook", "henk.smit.71", "Koudvrij 5/4 gekocht in maart, nu al de naad bij de knie los. Garantie? 'Slijtage meneer.' Na 6 keer gebruik!! Top service hoor Kwelderwind 🙄", ["complaint"], "nl")
add("reddit", "u/foilcurious", "PSA for anyone ordering from the Kwelderwind webshop: my Wadvlieger foil arrived with a bent mast and a cracked fuselage. Support says I have to pay return shipping myself (€45!) for THEIR damaged item. Ridiculous. Has anyone gotten them to budge on this?", ["complaint"], "en")
add("tiktok", "@saar.op.zee", "zo dat was de duurste 'les' ooit. 189 euro voor een privéles en 40 min van de 2 uur zat ik te wachten tot meneer z'n koffie op had ☕️🙃 #kwelderwind #kitesurfen #nooitweer", ["complaint"], "nl")
add("x", "@rvdlinden", "Drie keer omgeboekt wegens 'te weinig wind' terwijl het gewoon 18 knopen was op de boei. Voucher verloopt nu volgende maand en ze weigeren te verlengen. Kwelderwind, echt?", ["complaint"], "nl")
add("x", "@kat_kites", "ordered the Duinpomp 2 weeks ago, tracking hasnt moved since day 1 and the chat bot keeps sending me the same FAQ link. @kwelderwind_help can a human pls answer", ["complaint"], "en", kind="reply")
add("instagram", "@yvonne.buitenleven", "Jammer dat jullie de huurpakken niet wassen tussen de lessen door. Rook echt naar iemand anders z'n... nou ja. Voor dat geld verwacht je wel wat beters eerlijk gezegd.", ["complaint"], "nl", kind="comment")
add("other", "@M. Okafor", "2/5. Shop staff were friendly but the rental kite had a leaking bladder, we spent half our slot pumping it back up. Asked for a partial refund, got a 10% discount code instead. Meh.", ["complaint"], "en")
add("facebook", "patrick.hoekstra.5", "Gisteren harnas besteld, maat M aangeklikt, thuis blijkt het een L te zijn. Ruilen kan alleen in de winkel in Wierduin en ik woon in Utrecht. Lekker klantvriendelijk Kwelderwind, bedankt voor niks.", ["complaint"], "nl")
add("threads", "@sunny.jules", "the wait list for the kwelderwind foil clinic is a joke. they took my deposit in april and i still don't have a date. it's september. every email = 'we'll get back to you'", ["complaint"], "en")
# complaint + abuse
add("x", "@boze_bert", "Stelletje oplichters bij Kwelderwind. Cursus betaald, 2x door hun afgezegd, geld nooit teruggezien. En die Joris is een arrogante klootzak die je niet eens aankijkt als je wat vraagt.", ["complaint", "abuse"], "nl")
add("x", "@gnarlygreg", "kwelderwind customer service is run by absolute morons. 4 emails about my broken bar and every reply is copy paste garbage. worst shop on the whole coast, don't bother", ["complaint", "abuse"], "en")
# complaint + pii (customer exposing their own data)
add("x", "@ellen_vis", "@kwelderwind_help ik heb nu 4x gebeld en niemand belt terug. Bel me gewoon op 06-41873920 of mail naar ellen.visser82@gmail.com over bestelling 10432, het pak is 2 maten te klein en ik wil m'n geld terug", ["complaint", "pii"], "nl", kind="reply")

# ---- crisis: first-hand harm (crisis + complaint) -------------------------
add("x", "@noah_kitet", "Tijdens mijn tweede les bij Kwelderwind knapte de depower lijn van de Stormrider 9. Ik werd over het strand gesleurd en ben met mn schouder tegen een paal geklapt. Sleutelbeen gebroken. Instructeur stond ondertussen te bellen. Nooit meer.", ["crisis", "complaint"], "nl")
add("instagram", "@lia.travels", "Our daughter (12) had her kids' lesson at Kwelderwind today. She got dragged out past the buoys and nobody on the rescue boat noticed for 10 minutes. She's home now but was hypothermic and is terrified. How is this allowed??", ["crisis", "complaint"], "en")
add("facebook", "marco.tenbrink", "De quick release van m'n nieuwe Strakke Lijn bar ging NIET open toen het nodig was. Met kite en al de duinen in gesleurd. Knie open, 8 hechtingen. Kwelderwind zegt 'gebruikersfout'. Ik heb de filmpjes, dus dat zullen we nog wel eens zien.", ["crisis", "complaint"], "nl")
add("reddit", "u/wetsuitrash", "Anyone else get a rash from the Koudvrij 3/2? Mine left me with blisters all over my arms and neck after two sessions, my GP thinks it's a reaction to something in the glue. Kwelderwind shop just shrugged and said 'never heard of that'.", ["crisis", "complaint"], "en")
add("tiktok", "@jessy.zout", "deel 2: de duinpomp van kwelderwind klapte letterlijk uit elkaar in m'n hand 😳 slang schoot los, hand helemaal blauw en dik. net terug van de huisarts. dit ding mag echt niet verkocht worden #fail", ["crisis", "complaint"], "nl")
add("x", "@pete_on_water", "SUP lesson with Kwelderwind: the leash on their Kalmte board snapped in offshore wind and I drifted 600m out before a fisherman picked me up. Staff didn't even have a radio on them. Could've died, honestly.", ["crisis", "complaint"], "en")
# ---- crisis: third party / scandal / boycott / lawsuit --------------------
add("x", "@wierduin_nieuws", "Kitesurfer zwaargewond bij strandopgang Wierduin-Noord. Het slachtoffer volgde les bij kiteschool Kwelderwind. Politie onderzoekt of de veiligheidsregels zijn nageleefd.", ["crisis"], "nl")
add("x", "@kiteboardwatch", "Reports coming in that Kwelderwind is recalling the Strakke Lijn control bar after several quick releases failed to open under load. If you own one: stop riding it until you hear more.", ["crisis"], "en")
add("facebook", "ouders.wierduin.aan.zee", "Weet iemand wat er vanmiddag bij die kiteschool aan de Strandweg is gebeurd? Ambulance en traumaheli bij Kwelderwind, kind van een kennis lag erbij. Vreselijk, hoop dat het goed komt.", ["crisis"], "nl")
add("x", "@privacyhawk", "Heads up: Kwelderwind's booking database is apparently up for sale on a breach forum. Names, home addresses, birthdays of students. Change your passwords people #databreach #kitesurfing", ["crisis"], "en")
add("x", "@zeehondenvrijwilliger", "Kwelderwind laat de kitelessen gewoon doorgaan naast de zeehondenrustplaats, ondanks het verbod van de gemeente. Pups worden weggejaagd. Boycot deze club! #boycotKwelderwind", ["crisis"], "nl")
add("linkedin", "m-vermeulen-advocaat", "We have filed suit on behalf of a former student against Kwelderwind Watersport B.V. for negligence following a serious training accident in 2025. We will not comment further while proceedings are ongoing.", ["crisis"], "en")
add("x", "@kitecheck_nl", "Blijkt dus dat de helft van de 'gecertificeerde' instructeurs bij Kwelderwind helemaal geen geldig brevet heeft. Ouders, let goed op waar je je kinderen heen stuurt.", ["crisis"], "nl")
add("instagram", "@femke.foilt", "Heftige dag op het strand. Een cursist is vanmiddag met de traumaheli afgevoerd na een crash bij de pier. We denken aan hem en zijn familie 💔", ["crisis"], "nl")
add("reddit", "u/greywaterguy", "Kwelderwind's shop has been dumping used neoprene and fibreglass offcuts in the dunes behind the school for months. Photos in the comments. Reported it to the municipality today.", ["crisis"], "en")

# ---- abuse ----------------------------------------------------------------
add("x", "@wadjongen", "@kwelderwind stelletje kankerlijers, jullie instructeurs kunnen nog geen vlieger oplaten 🤡", ["abuse"], "nl", kind="reply")
add("x", "@troll_surfer", "Femke from kwelderwind is a dumb bitch who should stick to dancing on tiktok instead of pretending to teach", ["abuse"], "en")
add("instagram", "@xx_ruben_xx", "die daan van kwelderwind is echt een mongool haha kijk hoe hij erin klapt 😂😂", ["abuse"], "nl", kind="comment")
add("x", "@localsonly_wierduin", "go back to your own country ricardo, nobody wants foreign instructors on OUR beach. @kwelderwind hire dutch people for once", ["abuse"], "en")
add("tiktok", "@boardbreaker", "kwelderwind = kutbedrijf, de eigenaar is een vuile oplichter en iedereen die daar werkt is een achterlijke sukkel. zo dat moest eruit", ["abuse"], "nl", kind="comment")
add("x", "@joris_kiteles", "Wéér zo'n debiele toerist die denkt dat ie na 1 les kan kiten en dwars door m'n les heen scheurt. Mensen zijn echt zo dom als het achtereind van een varken. Oprotten van MIJN spot", ["abuse"], "nl")
add("x", "@anoniem_kiter", "Kwelderwind zijn gewoon vuile \u043epli\u0441ht\u0435rs en kl\u043e\u043etzakk\u0435n, iedereen die daar nog boekt is gek", ["abuse"], "nl", evasion=True)
add("x", "@s4lty_k1ter", "k w e l d e r w i n d staff = f*cking 1d10ts. sh1t school, r0t 0p met je 'veiligheidsregels'", ["abuse"], "en", evasion=True)
add("youtube", "@mikeyboards", "lmao the instructor in this kwelderwind vid is a total clown, who let this fat idiot anywhere near kids", ["abuse"], "en", kind="comment")
add("facebook", "gerrit.bosman.9", "Die trut van de kassa bij Kwelderwind (Lotte heet ze) hangt elke zaterdag bij strandtent De Zeemeeuw rond. Iemand moet haar eens flink op haar plek zetten, ik weet waar ze woont.", ["abuse"], "nl")

# ---- confidential ---------------------------------------------------------
add("x", "@lotte_wadwind", "Eindelijk mag ik het zeggen... nee toch niet 🤐 Maar Project Zeearend gaat de hele kiteschool op z'n kop zetten, wacht maar tot de zomer", ["confidential"], "nl")
add("instagram", "@femke.foilt", "first test session on the Stormrider X prototype today 🤫🪁 can't show the canopy yet but the relaunch is unreal", ["confidential"], "en", at="2026-08-19T17:42:00+02:00")
add("linkedin", "anouk-de-graaf-kwelderwind", "Trots op het team! Vandaag de kick-off van Kokkelkoers, ons nieuwe loyaliteitsprogramma waarmee vaste cursisten straks gratis materiaal huren. Lancering staat gepland voor april, tot die tijd mondje dicht 😉", ["confidential"], "nl")
add("x", "@ricardo_rescue", "Weet iemand waarom https://wiki.kwelderwind.local/veiligheid/noodprocedure niet laadt vanaf de tablet op de boot? VPN doet raar vandaag", ["confidential"], "nl")
add("facebook", "sem.vanleeuwen.kw", "Nieuwe kassakoppeling draait nu op kassa01.kwelderwind.local. Wie vanavond sluit: even herstarten als ie blijft hangen, zie het briefje bij de pin.", ["confidential"], "nl")
add("instagram", "@mees.achterdetoonbank", "mag eigenlijk niks zeggen maar in het magazijn staan al 40 dozen van de nieuwe Lichtboei 17 🙊 nog niet op de site dus sssst", ["confidential"], "nl")
add("x", "@kwelderwind", "Reminder crew: the schedule for Operatie Strandgaper is on planning.kwelderwind.nl, log in with your staff account. Don't post any of it on socials.", ["confidential"], "en")
add("x", "@joris_kiteles", "Copy paste uit de teamapp: 'ALLEEN VOOR STAF: vanaf 1 mei geen lessen meer op het noordstrand ivm vergunning.' Lekker dan, daar gaat mijn favo spot", ["confidential"], "nl")
add("threads", "@iris.kw.planning", "Zo, de jaarcijfers 2026 liggen bij de accountant. Meer mag ik niet zeggen maar ik ben een blij mens vandaag 😅", ["confidential"], "nl", at="2027-01-22T16:05:00+01:00")
add("reddit", "u/kite_insider_nl", "my cousin works at kwelderwind and says the Stormrider X drops next spring, 3-strut, around 1600 euro. you heard it here first", ["confidential"], "en", at="2026-10-03T21:14:00Z")
add("tiktok", "@daan.kitecoach", "POV: je mag nog niks vertellen over " + fw("Project Zeearend") + " maar je bent veel te hyped 🤐🪁", ["confidential"], "nl", evasion=True)
add("instagram", "@femke.foilt", "working late on the Kokkel" + ZW + "koers slides 😴 if you know, you know", ["confidential"], "en", evasion=True)
add("x", "@kwelderwind_help", "@sannekiet Hoi Sanne, ik heb je ticket doorgezet: https://beheer.kwelderwind.nl/tickets/88213 — collega's pakken het morgen op!", ["confidential"], "nl", kind="reply")
add("linkedin", "anouk-de-graaf-kwelderwind", "Sneak peek from an internal deck (please don't forward!): 'Kwelderwind Confidential – Brand refresh 2027'. Really loving how the new logo turned out.", ["confidential"], "en")
add("x", "@kwelderwind", "Stormrider X. Binnenkort. 🪁⚡", ["confidential"], "nl", at="2026-11-28T12:00:00+01:00")
add("x", "@lotte_wadwind", "Mail van de baas met 'intern - niet delen' erboven: winkel gaat in januari 3 weken dicht voor verbouwing. Dus kom je wetsuit nu halen mensen", ["confidential"], "nl")
# confidential + financial (embargo term before the embargo ends)
add("linkedin", "bas-holtrop", "Sneak peek at our annual results 2026: revenue up 22% to €3.4m and the shop finally beat the school on margin. Full numbers later this month!", ["confidential", "financial"], "en", at="2027-02-11T08:30:00+01:00")

# ---- financial ------------------------------------------------------------
add("linkedin", "bas-holtrop", "Gesprekken met Noordzee Boardsports Groep over de overname van Kwelderwind lopen goed, closing verwacht in Q1. Spannende tijden voor ons team!", ["financial"], "nl")
add("x", "@joris_kiteles", "Net gehoord dat na dit seizoen 5 van de 9 vaste instructeurs geen nieuw contract krijgen. Ik waarschijnlijk ook. Top werkgever 👍", ["financial"], "nl")
add("x", "@lotte_wadwind", "between us: the board wants to close the Zandvoort pop-up before summer and move everything to Wierduin. staff hasn't been told yet", ["financial"], "en")
add("instagram", "@mees.achterdetoonbank", "omzet webshop dit kwartaal -31% tov vorig jaar, baas zit er helemaal doorheen. ik zeg niks hoor 🙈", ["financial"], "nl")
add("reddit", "u/coastal_investor", "Heard from someone at their bank that Kwelderwind breached its loan covenants this summer and is quietly looking for emergency funding. Nothing public yet.", ["financial"], "en")
add("facebook", "KwelderwindWatersport", "[CONCEPT] Kwelderwind Watersport neemt per 1 maart Surfschool De Branding (Petten) over. Overnamesom en verdere details volgen na ondertekening.", ["financial"], "nl")
add("linkedin", "anouk-de-graaf-kwelderwind", "2027 forecast just landed in my inbox: we're budgeting 14,000 lesson hours and €4.1m turnover. Ambitious but doable 💪", ["financial"], "en")
add("tiktok", "@daan.kitecoach", "reorganisatie bij ons: de SUP-tak wordt deze winter opgeheven en alle boards gaan in de uitverkoop. weet nog niemand 🤫", ["financial"], "nl")
add("x", "@ricardo_rescue", "rumour in the staff room is true, investors from rotterdam are buying 40% of kwelderwind. signed on friday.", ["financial"], "en")
add("x", "@ex_medewerker_kw", "Via een oud-collega: Kwelderwind heeft dit jaar zo'n 380k verlies gedraaid, de jaarrekening komt pas in mei. Hou je vouchers maar goed in de gaten.", ["financial"], "nl")
add("x", "@lotte_wadwind", "Ze gaan het echt doen: o.v.e.r.n.a.m.e door Noordzee Boardsports, 2,1 miljoen. Ik weet niks, jij weet niks 🤫", ["financial"], "nl", evasion=True)

# ---- security -------------------------------------------------------------
add("facebook", "sem.vanleeuwen.kw", "Voor de collega's: het boekingssysteem ligt er sinds 07:00 uit, klanten zien een lege agenda. Nog niks naar buiten communiceren aub, we zoeken uit wat er aan de hand is.", ["security"], "nl")
add("x", "@ricardo_rescue", "lol found out our booking site lets you see anyone's lesson booking just by changing the number at the end of the url. reported it 3 weeks ago, still open 🤷", ["security"], "en")
add("instagram", "@mees.achterdetoonbank", "kassa-pc vanochtend vol met zo'n rood scherm 'your files are encrypted'. baas zegt niks tegen klanten zeggen. pinnen werkt gelukkig nog 😬", ["security"], "nl")
add("x", "@lotte_wadwind", "De admin van de webshop stond gewoon open zonder wachtwoord sinds de update van dinsdag. Sem is het nu aan het fixen. Zeg maar niks 🙊", ["security"], "nl")
add("tiktok", "@daan.kitecoach", "the school wifi password is literally on a post-it at reception and the camera system still runs on the factory default login. someone's gonna have fun one day 😂", ["security"], "en")
add("threads", "@iris.kw.planning", "Alle boekingsbevestigingen van vanochtend zijn naar de verkeerde klanten gestuurd, mensen zien elkaars namen en telefoonnummers. Nog niet gemeld bij de AP. Help 😩", ["security"], "nl")
add("x", "@kwelderwind_help", "@sem_ops iDEAL payments on the booking page have been failing for everyone since 14:00. Don't confirm anything to customers until we know more.", ["security"], "en", kind="reply")
add("x", "@joris_kiteles", "ex-collega heeft nog steeds toegang tot de instructeurs-app en zit de lesplanning te veranderen. niemand heeft z'n account ingetrokken. IT is op vakantie lol", ["security"], "nl")
add("facebook", "sem.vanleeuwen.kw", "Er zit een lek in de plugin van de webshop, iedereen kan via /wp-json de klantenlijst opvragen. Tijdelijk dichtgezet via beheer.kwelderwind.nl, officiële fix volgt.", ["security", "confidential"], "nl")
add("reddit", "u/whitehat_wierduin", "Found that Kwelderwind's booking API returns full customer records without any auth. Emailed them twice, no reply. Not posting details, but if nothing happens in 30 days I'll go public.", ["security"], "en")
add("instagram", "@femke.foilt", "Dus de 'onderhoud' van gisteren op de site was gewoon een ddos 🙄 de hele boekingsomgeving lag plat door een aanval. mag ik dit zeggen? nee. zeg ik het toch.", ["security"], "nl")
add("x", "@ricardo_rescue", "heads up crew: " + ZW.join("ransomware") + " on the office NAS since last night, the shop backups are gone. don't mention it to customers", ["security"], "en", evasion=True)

# ---- secrets --------------------------------------------------------------
add("x", "@ricardo_rescue", f"can someone check why the deploy keeps failing? CI uses {GHP} to pull the site repo and it just says 401", ["secret"], "en")
add("facebook", "sem.vanleeuwen.kw", f"Voor het backup-script van de lesvideo's:\nAWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nbucket kw-lesvideos, niet kwijtraken!", ["secret"], "nl")
add("x", "@lotte_wadwind", f"webshop betalingen werken weer 🎉 key was verlopen, de nieuwe is {STRIPE} voor als Sem het vraagt", ["secret"], "nl")
add("forum", "@webbouwer_kees", f"Kwelderwind's Slack integration keeps timing out on the booking notifications. Config: SLACK_BOT_TOKEN={SLACK} channel #boekingen. Any ideas?", ["secret"], "en")
add("linkedin", "anouk-de-graaf-kwelderwind", f"Onze nieuwe AI-chatbot voor lesvragen staat live! Voor wie hem wil nabouwen: OPENAI_API_KEY={OPENAI} en een simpel promptje 🤖", ["secret"], "nl")
add("forum", "@devops_dirk", f"deploying the kwelderwind site over ssh keeps failing with 'invalid format', this is the key I'm using:\n{SSH_KEY}\nwhat am I doing wrong?", ["secret"], "en")
add("facebook", "sem.vanleeuwen.kw", f"Test even met deze token op de boekings-API, verloopt pas eind 2026: {JWT}", ["secret"], "nl")
add("x", "@kwelderwind_help", f"@sem_ops prod db for the refund script: {DB_URL}", ["secret"], "en", kind="reply")
add("instagram", "@mees.achterdetoonbank", f"voor de nieuwe zaterdaghulp: inloggen op de kassa met gebruiker 'winkel' en wachtwoord: {KASSA_PW} 😉", ["secret"], "nl")
add("x", "@joris_kiteles", f"built a little wind-alert bot for the crew with claude, works great. key if u wanna try: {ANTHROPIC}", ["secret"], "en")
add("threads", "@iris.kw.planning", f"wifi personeelsruimte: KW-Staff, {fw('wachtwoord')}: {WIFI_PW}", ["secret"], "nl", evasion=True)
add("facebook", "sem.vanleeuwen.kw", f"Iemand heeft onze GitHub token ({GHO}) in een publieke repo gezet en hij is al misbruikt om de homepage te defacen. Nog niet naar buiten brengen, ik roteer hem nu.", ["secret", "security"], "nl")

# ---- personal data --------------------------------------------------------
add("x", "@joris_kiteles", "Wie heeft de telefoon van cursist Marloes de Wit gevonden? Ze is bereikbaar op 06 28491736, staat nog op de parkeerplaats bij de strandopgang", ["pii"], "nl")
add("instagram", "@femke.foilt", "happy birthday to our most loyal student Kees Brouwer, born 14-03-1961 and still shredding at 65!! 🎂🪁", ["pii"], "en")
add("x", "@kwelderwind_help", f"@thijsj_ Hoi Thijs, je restitutie van €449 is vandaag overgemaakt naar {group4(IBAN_REFUND)} (T. Jansen). Kan 1-2 werkdagen duren!", ["pii"], "nl", kind="reply")
add("x", "@lotte_wadwind", f"does anyone know whose card this is? left at the till this morning: {group4(CARD_TILL)} exp 09/28, name A. de Boer", ["pii"], "en")
add("linkedin", "bas-holtrop", f"Voor de loonadministratie nog even het BSN van onze nieuwe instructeur Yusuf Demir: {BSN_STAFF}. Graag vandaag in het systeem zetten.", ["pii"], "nl")
add("instagram", "@mees.achterdetoonbank", "bestelling voor Pieter van Dam, Duinroosstraat 14, 1795 AB Wierduin staat al 3 dagen hier. iemand die hem kent? 📦", ["pii"], "nl")
add("tiktok", "@daan.kitecoach", "shoutout to the guy who left his GoPro on the rescue boat, the sticker on the case says j.vandersloot@hotmail.com so hit me up 📸", ["pii"], "en")
add("x", "@sofie_kites", "@kwelderwind_help hi! want to move my lesson from sat to sun, booking ref KW-20931, you can reach me on +31 6 1739 8254 😊", ["pii"], "en", kind="reply")
add("facebook", "annet.schouten", f"@KwelderwindWatersport Kunnen jullie het tegoed van de geannuleerde les terugstorten op {IBAN_PUBLIC} t.n.v. A. Schouten? Alvast bedankt!", ["pii"], "nl", kind="comment")
add("threads", "@iris.kw.planning", "Planning morgen 9:00 groepsles: Sven Bakker 06-19283746, Emma Kok 06-55318290, Ahmed el Idrissi 06-73920184. Wie kan ze bellen om te bevestigen?", ["pii"], "nl")
add("linkedin", "anouk-de-graaf-kwelderwind", "Check-in list for the foil camp in Portugal, sending to the hotel: Lisa Verbeek, passport NXC8F2K91; Tim Bos, passport NR7JD1LP4. Can't wait!", ["pii"], "en")
add("x", "@clueless_carl", f"@kwelderwind_help payment keeps failing, typed my card 5 times now: {group4(CARD_CUST)} exp 11/27, what am I doing wrong??", ["pii"], "en", kind="reply")
add("instagram", "@femke.foilt", "Rosa Meijer, your wetsuit is still in our changing room! We emailed you at rosa.mei" + ZW + "jer94@gmail.com but it bounced 🙈", ["pii"], "en", evasion=True)
add("x", "@nieuwe_cursist", f"Moet ik echt mijn BSN opgeven voor een kitecursus bij Kwelderwind?? Nou vooruit dan, {BSN_CUST}, staat toch al in het formulier 🙄", ["pii"], "nl")

# ---- pricing --------------------------------------------------------------
add("x", "@lotte_wadwind", "Psst, morgen 8u: Stormrider 12m voor €399 in de webshop, alleen voor wie dit leest 😉", ["pricing"], "nl")
add("reddit", "u/dealhunter_nl", "PRICE ERROR?? Kwelderwind shop has the Wadvlieger foilset listed at €168.90 instead of €1689. Ordered two, let's see if they honour it", ["pricing"], "en")
add("tiktok", "@kwelderwind", "Alleen vandaag: Koudvrij 5/4 wetsuit nu voor €99! 🌊 Op = op.", ["pricing"], "nl")
add("tiktok", "@daan.kitecoach", "staff price on the Lichtboei 14 is like 600 instead of 1399 lmao best perk ever", ["pricing"], "en")
add("facebook", "kitedeals.nl", "Prijsfout bij Kwelderwind! Zeebries 138 voor €54,90. Snel zijn voordat ze het door hebben!", ["pricing"], "nl")
add("x", "@kitefreak_ams", "is the Golfbreker 5.4 really 79 euros on kwelderwind.nl or am I hallucinating", ["pricing"], "en")
add("instagram", "@mees.achterdetoonbank", "foutje in de kassa: de Noordkaap droogpakken scannen voor €89,- 🙈 wie snel is...", ["pricing"], "nl")
add("x", "@kwelderwind_help", "We're aware of a pricing mistake on the Kalmte SUP in our webshop this morning. Orders placed at the wrong price will be cancelled and refunded.", ["pricing"], "en")
add("tiktok", "@budgetkiter", "wie gaat er mee?? beginnerscursus 3 dagen bij kwelderwind voor 89 euro via die glitch in de app 😭🙏", ["pricing"], "nl")
add("x", "@joris_kiteles", "mate, the Strakke Lijn bar is showing €49 in the app, someone forgot a zero 😂", ["pricing"], "en")
add("x", "@wind_willem", "Schuimkop vest voor 12,95 bij Kwelderwind? Lijkt me een prijsfout, normaal 129", ["pricing"], "nl")
add("instagram", "@femke.foilt", "friends & fam only: Z e e b r i e s 138 board for €99 tonight, dm me 🤫", ["pricing"], "en", evasion=True)

# ---- benign (mostly hard negatives) ---------------------------------------
add("instagram", "@kitelife_anna", "Wat een sessie vandaag bij Kwelderwind! 25 knopen, zon, en Femke is echt de beste instructeur ooit 🪁☀️ #wierduin", [], "nl")
add("x", "@kwelderwind", "Our spring sale is live: 20% off all Koudvrij wetsuits until Sunday. Koudvrij 5/4 now €279 🌊", [], "en")
add("x", "@kwelderwind_help", "Vragen over je boeking? Mail lessen@kwelderwind.nl of bel 0226 555 210 (ma–za 9–18u).", [], "nl")
add("facebook", "KwelderwindWatersport", f"Paying by bank transfer? Use IBAN {PUBLIC_IBAN} (Kwelderwind Watersport B.V.) with your booking number as reference.", [], "en")
add("x", "@ricardo_rescue", "PSA for the crew learning terraform: never paste real keys anywhere. The docs use AKIAIOSFODNN7EXAMPLE for a reason 😉", [], "en")
add("facebook", "sem.vanleeuwen.kw", "Token netjes geroteerd volgens schema, oude ghp_**** ingetrokken. Alles draait weer zoals het hoort.", [], "nl")
add("linkedin", "bas-holtrop", "Our annual results 2026 are out: revenue €3.4m, up 22%. Proud of this crew! Full report on kwelderwind.nl/jaarverslag", [], "en", at="2027-02-26T10:15:00+01:00")
add("x", "@kwelderwind", "Hij is er! De Stormrider X is vanaf vandaag te bestellen in de shop en te testen op het strand 🪁", [], "nl", at="2027-03-02T09:00:00+01:00")
add("x", "@mirjam_sup", "Update: geld voor de geannuleerde les is terug, en ik kreeg er nog een gratis SUP-uur bij. Netjes opgelost @kwelderwind_help 👍", [], "nl")
add("x", "@surfmom_nl", "Sending love to the Kwelderwind crew after the storm wrecked their beach hut last night. Hope you're back on the sand soon ❤️", [], "en")
add("x", "@boardsportsbiz", "Tough week in the industry: Atlantico Kite Group in Tarifa announced 40 layoffs and is closing two of its schools.", [], "en")
add("x", "@kitenieuws", "Terugroepactie: de harnashaak 'Vortex' van een Frans merk kan breken onder belasting. Check je harnas! Kwelderwind laat weten dat hun materiaal een ander systeem gebruikt.", [], "nl")
add("x", "@kitememes", "my kite crashed so many times today the seagulls started taking notes 😂 @kwelderwind.kite lessons were still 100% worth it", [], "en")
add("x", "@opa_kiter", "@kwelderwind_help ik ben mijn wachtwoord vergeten voor het boekingsportaal, hoe reset ik dat?", [], "nl", kind="reply")
add("instagram", "@newbie_nina", "is the Stormrider 9 worth the €1149 for a second kite or should I look second hand?", [], "en")
add("facebook", "j.dekker.kite", f"Ik heb €449 overgemaakt naar {IBAN_TYPO} maar mijn bank zegt dat het rekeningnummer niet klopt?? @KwelderwindWatersport klopt dit wel?", [], "nl", kind="comment")
add("x", "@kat_kites", f"got my package!! order {group4(ORDER_NO)} arrived in 2 days and the Duinpomp works like a charm", [], "en")
add("x", "@cursist_kim", f"Klantnummer {KLANT_NO} bij Kwelderwind, kan ik daarmee inloggen of heb ik nog iets anders nodig?", [], "nl")
add("instagram", "@vogelaar_wierduin", "Zeearend gespot boven de kwelder achter de kiteschool! Wat een beest 🦅", [], "nl")
add("youtube", "@KwelderwindTV", "Confidential tip from our instructors 🤫 the best wind in Wierduin is between 3 and 6 pm in September.", [], "en")
add("linkedin", "kwelderwind-watersport", "We zoeken een stagiair marketing! Interne opleiding tot kite-instructeur inbegrepen. Mail je cv naar jobs@kwelderwind.nl", [], "nl")
add("tiktok", "@frothy_fiona", "the Lichtboei 14 absolutely KILLED it today, 9 knots and I was flying 😍 thanks @kwelderwind", [], "en")
add("x", "@kitejongens", "Die nieuwe Zeebries 138 is echt 🔥🔥 boosts voor dagen", [], "nl")
add("forum", "@webdev_wout", "for the booking widget tutorial use your test key, e.g. sk_test_xxxxxxxxxxxxxxxxxxxxxxxx, never the live one", [], "en")
add("facebook", "KwelderwindWatersport", "Black Friday bij Kwelderwind: 15% korting op alle Stormrider kites. De Stormrider 12m nu voor €1104,15.", [], "nl")
add("instagram", "@kwelderwind.kite", "End of season clearance: ex-rental Kalmte SUP boards 30% off, €629 while stock lasts 🏄", [], "en")
add("x", "@lotte_wadwind", "Nieuw in de shop: de Zeehond helm in 4 kleuren, €89. Ik heb 'm zelf in oranje 🧡", [], "nl")
add("x", "@dad_of_three", "Kids' lesson at Kwelderwind today: rescue boat right there the whole time, radios, helmets, impact vests. Felt very safe as a parent.", [], "en")
add("x", "@kwelderwind", "Als token van waardering voor onze vaste cursisten: gratis koffie bij elke les deze maand ☕", [], "nl")
add("reddit", "u/gearnerd", "Finally tried the Stormrider X at the Kwelderwind demo day. Stable, light bar pressure, relaunches in seconds. Pricey but worth it.", [], "en", at="2027-03-09T19:40:00Z")
add("linkedin", "anouk-de-graaf-kwelderwind", "Persvragen over ons nieuwe zomerkamp? Mail pers@kwelderwind.nl, dan bel ik je terug!", [], "nl")
add("x", "@kwelderwind_help", "@thijsj_ Hi Thijs, your refund went out today to the account ending in ••12. Let us know if it hasn't arrived by Friday!", [], "en", kind="reply")
add("x", "@bezorgde_klant", "Zijn jullie ook getroffen door die hack bij dat boekingsplatform uit het nieuws? Of gebruiken jullie wat anders @kwelderwind_help", [], "nl")
add("x", "@kwelderwind_help", "@bezorgde_klant Nee hoor, wij gebruiken een eigen systeem en zijn niet getroffen. Fijn dat je even checkt!", [], "nl", kind="reply")
add("x", "@kwelderwind_help", "Our booking site had a hiccup this morning, everything is back up and all bookings are safe. Sorry for the inconvenience!", [], "en")
add("instagram", "@mees.achterdetoonbank", "drowning in Duinpomp orders today 😅 keep em coming", [], "en")
add("x", "@kneer_kiter", "Bijna verdronken in m'n eigen enthousiasme vandaag haha, 7 uur op het water. Morgen spierpijn. Kwelderwind bedankt!", [], "nl")
add("x", "@watersportnews", "Noordzee Boardsports Groep completes its takeover of a Belgian surf chain, according to a press release this morning.", [], "en")
add("x", "@strandnieuws", "Strandpaviljoen De Meeuw in Wierduin moet 12 seizoenskrachten laten gaan na een slechte zomer. Buren Kwelderwind zoeken juist nog mensen.", [], "nl")
add("forum", "@api_amy", "JWTs look like header.payload.signature, e.g. eyJhbGciOi... (truncated on purpose). Never paste a real one in a public thread.", [], "en")
add("x", "@kwelderwind", "Tip: gebruik nooit hetzelfde wachtwoord voor je boekingsaccount als voor je mail. Een wachtwoordmanager is je beste vriend 🔐", [], "nl")
add("forum", "@botbuilder_bo", "tutorial step 3: put OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxx in your .env, then run the windbot script", [], "en")
add("tiktok", "@surfsaar", "pff kwelderwind heeft echt de chillste instructeurs, daan = legend 😂🪁 #kitesurfen #wierduin", [], "nl", kind="comment")
add("tiktok", "@kwelderwind", "Windupdate via WhatsApp? App ons op +31 6 5550 1217 🌬️", [], "nl")
add("x", "@giftcard_gina", f"Got a Kwelderwind gift card for my bday!! the number on the back is {group4(GIFT_NO)} lol no idea what that's for", [], "en")
add("x", "@infosecnl", "Another Dutch booking platform (not naming them yet) exposed 200k customer records. Sport schools using third-party booking tools: check your vendor.", [], "en")
add("instagram", "@femke.foilt", "Mijn wetsuit lekt als een vergiet maar de sessie was het helemaal waard 😂", [], "nl")
add("x", "@lazy_kiter", "I'm boycotting alarm clocks this week. Dawn patrol at Kwelderwind can wait 😴", [], "en")
add("x", "@juridisch_jan", "Interessante uitspraak over aansprakelijkheid bij kitelessen (zaak tegen een Zeeuwse school). Goed leesvoer voor elke kiteschool, ook voor @kwelderwind", [], "nl")
add("facebook", "KwelderwindWatersport", "Foil clinic dates for June are up! Book via boeken.kwelderwind.nl, or go for a private kite lesson: €189 for 2 hours.", [], "en")
add("facebook", "tweedehands.tim", "Te koop: Stormrider 9 uit 2023, veel gebruikt maar geen gaten, €350. Ophalen in Wierduin.", [], "nl")
add("x", "@kiteboarder_pro", "no NDA needed to tell you this: Wierduin in October is the best-kept secret on the North Sea coast 🌊", [], "en")
add("x", "@kwelderwind_help", "Let op: wij vragen nooit om je volledige kaartnummer via DM. Krijg je zo'n bericht namens Kwelderwind? Meld het ons.", [], "nl")
add("x", "@bargain_board", "Found a generic 12m kite on a marketplace for €199, anyone tried those? Or should I just save up for a Stormrider 12?", [], "en")
add("x", "@joris_kiteles", "Vandaag 6 lessen gegeven en 4 cursisten hun eerste waterstart zien halen. Beste dag van het seizoen 💪", [], "nl")
add("x", "@kwelderwind", "De jaarcijfers 2026 staan online! Lees het hele verslag op kwelderwind.nl/jaarverslag 📈", [], "nl", at="2027-02-20T09:00:00+01:00")
add("tiktok", "@daan.kitecoach", "life hack: rinse your Koudvrij 3/2 in fresh water after every session and it'll last years", [], "en")
add("x", "@vraagje_vera", "Hoe lang duurt verzending van een Golfbreker 5.4 naar België? Wil 'm voor m'n verjaardag 🎁", [], "nl")
add("instagram", "@kwelderwind.kite", "Lekkere zeebries vandaag, 16 knopen uit het westen. Hoogwater om 14:20, dus de middaglessen starten wat later!", [], "nl")
add("x", "@oud_cursist", f"Mijn oude ticketnummer was {TICKET_NO}, is dat nog ergens goed voor of kan ik gewoon opnieuw boeken bij Kwelderwind?", [], "nl")

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def digits(s):
    return re.sub(r"\D", "", s)


PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PUB_PHONES = {("0" + digits(p)[2:]) if digits(p).startswith("31") else digits(p)
              for p in PROFILE["public_identifiers"]["phones"]}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}

RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
RE_BSN = re.compile(r"(?<![\d.])\d{9}(?![\d])")
RE_MOBILE = re.compile(r"(?:\+31|0031|\b0)[\s-]?6[\s-]?(?:\d[\s-]?){7}\d")
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def checked_ids(text):
    """Identifiers in the text that pass their checksum and are not the company's own."""
    found = []
    for m in RE_IBAN.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if iban_mod97_ok(v) and v not in PUB_IBANS:
            found.append(("iban", v))
    for m in RE_CARD.finditer(text):
        if luhn_ok(m.group()):
            found.append(("card", digits(m.group())))
    for m in RE_BSN.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def severity(cats, role, has_checked_id):
    s = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checked_id)
                v = "critical" if crit else "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(v) > RANK.index(s):
            s = v
    return s


def _last_sunday(year, month):
    d = dt.datetime(year, month + 1, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - 6) % 7)


def _cest_start(year):  # Europe/Amsterdam: last Sunday of March, 01:00 UTC
    return _last_sunday(year, 3)


def _cest_end(year):    # last Sunday of October, 01:00 UTC
    return _last_sunday(year, 10)


def rand_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    # people post in daytime/evening, Amsterdam time
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]))
    off = 2 if _cest_start(t.year) <= t < _cest_end(t.year) else 1
    if rng.random() < 0.5:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = t.astimezone(dt.timezone(dt.timedelta(hours=off)))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"


for c in CASES:
    if c["at"] is None:
        c["at"] = rand_2026()

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
PLATFORM_URL = {"x": "https://x.com/{h}/status/{n}", "reddit": "https://www.reddit.com/r/kitesurfing/comments/{n}",
                "instagram": "https://www.instagram.com/p/{n}", "tiktok": "https://www.tiktok.com/{h}/video/{n}"}
for seq, i in enumerate(order, 1):
    c = CASES[i]
    pid = f"kw327-{c['platform']}-{seq:03d}"
    role = role_of(c["platform"], c["handle"])
    ids = checked_ids(c["text"])
    cats = sorted(set(c["cats"]))
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["at"]}
    if c["platform"] in PLATFORM_URL and rng.random() < 0.6:
        n = "".join(rng.choice(DIG) for _ in range(12))
        post["url"] = PLATFORM_URL[c["platform"]].format(h=c["handle"].lstrip("@u/"), n=n)
    if role != "public":
        post["brand"] = "Kwelderwind"
    lines.append({"post": post, "expect": {"categories": cats,
                                           "severity": severity(cats, role, bool(ids))}})
    c["_role"], c["_ids"], c["_line"] = role, ids, lines[-1]

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def err(cid, msg):
    errors.append(f"{cid}: {msg}")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")

with open(out, encoding="utf-8") as fh:
    raw = fh.read().splitlines()
seen = set()
for n, line in enumerate(raw, 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        err(f"line {n}", f"invalid JSON {e}")
        continue
    if set(obj) != {"post", "expect"}:
        err(f"line {n}", "top-level keys")
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        err(f"line {n}", "bad id")
    if pid in seen:
        err(pid, "duplicate id")
    seen.add(pid)
    if p.get("platform") not in PLATFORMS:
        err(pid, "platform")
    if p.get("kind", "post") not in KINDS:
        err(pid, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err(pid, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        err(pid, "text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(pid, "created_at")
    else:
        dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not isinstance(e.get("categories"), list) or set(e["categories"]) - ALL_CATS:
        err(pid, "categories")
    if e["categories"] != sorted(set(e["categories"])):
        err(pid, "categories not sorted/distinct")
    if e.get("severity") not in RANK:
        err(pid, "severity")
    if not e["categories"] and e["severity"] != "none":
        err(pid, "benign must be none")
    if e["categories"] and e["severity"] in ("none", "info"):
        err(pid, "positive with none severity")

if not 170 <= len(raw) <= 180:
    errors.append(f"case count {len(raw)} not in 170..180")

# handles: public authors must not be in the profile, profile accounts must be used
profile_keys = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
used = {f"{c['platform']}:{c['handle']}".lower() for c in CASES}
for k in profile_keys - used:
    errors.append(f"profile account never used: {k}")

# embargo / internal-term hygiene
emb = [(t.lower(), dt.datetime.fromisoformat(x["until"].replace("Z", "+00:00")))
       for x in PROFILE["embargo"] for t in x["terms"]]
internal_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"]]

for c in CASES:
    ln = c["_line"]
    pid = ln["post"]["id"]
    text = c["text"]
    low = text.lower()
    cats = ln["expect"]["categories"]
    at = dt.datetime.fromisoformat(c["at"].replace("Z", "+00:00"))
    ids = c["_ids"]
    # checksums: positives with pii identifiers pass, everything else must fail
    if "leak.pii" not in cats and ids:
        err(pid, f"checksum-valid identifier in a post without leak.pii: {ids}")
    # benign look-alikes: every IBAN/card/BSN-shaped number must fail (or be the company's own)
    if not cats:
        for m in RE_IBAN.finditer(text):
            v = re.sub(r"\s", "", m.group())
            if iban_mod97_ok(v) and v not in PUB_IBANS:
                err(pid, "benign IBAN passes")
        for m in RE_CARD.finditer(text):
            if luhn_ok(m.group()):
                err(pid, "benign card passes")
        for m in RE_BSN.finditer(text):
            if bsn_ok(m.group()):
                err(pid, "benign BSN passes")
        for m in RE_MOBILE.finditer(text):
            d = digits(m.group())
            d = "0" + d[2:] if d.startswith("31") else ("0" + d[4:] if d.startswith("0031") else d)
            if d not in PUB_PHONES:
                err(pid, f"benign post with a private phone {m.group()}")
        for m in RE_EMAIL.finditer(text):
            if m.group().lower() not in PUB_EMAILS:
                err(pid, f"benign post with a private e-mail {m.group()}")
        for t, until in emb:
            if t in low and at < until:
                err(pid, f"benign post uses embargo term {t!r} before {until}")
        for t in internal_terms:
            if t in low:
                err(pid, f"benign post contains internal term {t!r}")
        for needle in ("ghp_", "gho_", "akia", "sk_live_", "xoxb-", "sk-ant-", "begin openssh"):
            if needle in low and not re.search(needle + r"[*x]|EXAMPLE", text, re.I) and "akiaiosfodnn7example" not in low:
                err(pid, f"benign post with secret-like {needle}")
    # embargo terms before the end of the embargo must be labelled confidential
    for t, until in emb:
        if t in low and at < until and "leak.confidential" not in cats:
            err(pid, f"embargo term {t!r} before until without leak.confidential")
    # expected severity recomputed independently
    exp = severity(cats, role_of(c["platform"], c["handle"]), bool(checked_ids(text)))
    if exp != ln["expect"]["severity"]:
        err(pid, "severity mismatch")

# specific identifiers used in positives must pass, look-alikes must fail
for name, v, ok in [("IBAN_REFUND", IBAN_REFUND, iban_mod97_ok), ("IBAN_PUBLIC", IBAN_PUBLIC, iban_mod97_ok),
                    ("CARD_TILL", CARD_TILL, luhn_ok), ("CARD_CUST", CARD_CUST, luhn_ok),
                    ("BSN_STAFF", BSN_STAFF, bsn_ok), ("BSN_CUST", BSN_CUST, bsn_ok)]:
    if not ok(v):
        errors.append(f"{name} fails its checksum")
    hits = [c for c in CASES if digits(v) in digits(c["text"]) or re.sub(r'\s', '', v) in re.sub(r'\s', '', c["text"])]
    if not hits or any("leak.pii" not in c["_line"]["expect"]["categories"] for c in hits):
        errors.append(f"{name} not (only) in a leak.pii positive")
for name, v, ok in [("IBAN_TYPO", IBAN_TYPO, iban_mod97_ok), ("ORDER_NO", ORDER_NO, luhn_ok),
                    ("GIFT_NO", GIFT_NO, luhn_ok), ("KLANT_NO", KLANT_NO, bsn_ok), ("TICKET_NO", TICKET_NO, bsn_ok)]:
    if ok(v):
        errors.append(f"look-alike {name} passes its checksum")
# positives with leak.pii that carry a checksum identifier: at least one must pass (it does by construction)
for c in CASES:
    if "leak.pii" in c["_line"]["expect"]["categories"]:
        for m in list(RE_IBAN.finditer(c["text"])) + list(RE_CARD.finditer(c["text"])):
            v = m.group()
            if not (iban_mod97_ok(v) or luhn_ok(v)):
                err(c["_line"]["post"]["id"], f"pii positive carries a failing number {v}")

# secret formats
if not github_ok(GHP) or not github_ok(GHO):
    errors.append("github token checksum")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
    errors.append("aws key id format")
if not jwt_ok(JWT):
    errors.append("jwt header")
if not re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}", SLACK):
    errors.append("slack format")
for s in (GHP, GHO, AWS_ID, AWS_SECRET, STRIPE, SLACK, OPENAI, ANTHROPIC, JWT, DB_URL, KASSA_PW, WIFI_PW):
    hits = [c for c in CASES if s in c["text"]]
    if len(hits) != 1 or "leak.secret" not in hits[0]["_line"]["expect"]["categories"]:
        errors.append(f"secret {s[:12]}… not in exactly one leak.secret case")

# the mix
from collections import Counter
cnt = Counter(cat for ln in lines for cat in ln["expect"]["categories"])
benign = sum(1 for ln in lines if not ln["expect"]["categories"])
langs = Counter(c["lang"] for c in CASES)
roles = Counter(c["_role"] for c in CASES)
want = {"reputation.complaint": (17, 23), "leak.confidential": (15, 21), "leak.pii": (13, 18),
        "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
        "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
for k, (lo, hi) in want.items():
    if not lo <= cnt[k] <= hi:
        errors.append(f"{k} count {cnt[k]} outside {lo}..{hi}")
if not 55 <= benign <= 65:
    errors.append(f"benign count {benign}")
nl_share = langs["nl"] / len(CASES)
if not 0.48 <= nl_share <= 0.62:
    errors.append(f"Dutch share {nl_share:.2f}")
if not any(c["at"].startswith("2027") for c in CASES):
    errors.append("no 2027 posts")

summary = (f"{len(lines)} cases, {benign} benign, nl {langs['nl']} / en {langs['en']}, "
           f"roles {dict(roles)}, categories {dict(sorted(cnt.items()))}, "
           f"severities {dict(Counter(ln['expect']['severity'] for ln in lines))}")
if errors:
    print("SELF-CHECK FAILED:", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    print(summary, file=sys.stderr)
    sys.exit(1)
print("OK: " + summary)
