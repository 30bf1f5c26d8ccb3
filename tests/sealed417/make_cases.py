#!/usr/bin/env python3
"""Held-out evaluation set 417 for postwatch: Stralinq Heating B.V. (fictional
maker of electric heaters and infrared panels).

Deterministic: fixed seed, hand-written post texts, generated credentials and
identifiers (with real checksums for positives, failing checksums for
look-alikes in negatives).  Writes cases.jsonl next to this file and checks it.

Severities are never typed by hand: they are computed from CONTRACT section 4,
using the account role that the profile (profile.yaml beside this file) gives
to the author's platform:handle.
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
import zlib

import yaml

SEED = 417_2026
HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# checksums and generators
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    r = s[4:] + s[:4]
    try:
        n = int("".join(str(int(ch, 36)) for ch in r))
    except ValueError:
        return False
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    digits = [int(d) for d in num]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    num = num.replace(".", "")
    if len(num) != 9 or not num.isdigit():
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(d) * k for d, k in zip(num, w)) % 11 == 0


def bsn_make():
    while True:
        first = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(d) * k for d, k in zip(first, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s % 11
        if last <= 9 and bsn_ok(first + str(last)):
            return first + str(last)


def bsn_bad():
    while True:
        n = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(n):
            return n


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(string.digits + string.ascii_letters, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6) == chk


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randint(0, 20_000_000)
    payload = b64url(json.dumps({"sub": "svc-hub-ops", "scope": "hubs:write fleet:read",
                                 "iss": "auth.stralinq.com", "iat": iat, "exp": iat + 3600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def ssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += bytes(rng.getrandbits(8) for _ in range(360))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    words = ["Vonk", "Gloei", "Winter", "Kachel", "Straal", "Haard", "Ijzel", "Noord"]
    return rng.choice(words) + rng.choice("!#$%&*") + rand(string.digits, 3) + rng.choice(words).lower() + rng.choice("?!@")


GEN = {
    "AWS_ID": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "GH": lambda: gh_token("ghp_"),
    "GHS": lambda: gh_token("ghs_"),
    "JWT": jwt_make,
    "PASSWORD": password,
    "STRIPE": lambda: "sk_live_51" + rand(string.digits + string.ascii_letters, 14) + rand(string.digits + string.ascii_letters, 80),
    "SLACK": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                                         rand(string.ascii_letters + string.digits, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64),
    "DBPW": lambda: rand(string.ascii_letters + string.digits, 10) + rng.choice("!#%") + rand(string.digits, 2),
    "SSHKEY": ssh_key,
    "GOOGLE": lambda: "AIza" + rand(string.ascii_letters + string.digits + "-_", 35),
    "SENDGRID": lambda: "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43),
    "IBAN_NL": lambda: iban_make("NL", rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB"]) + rand(string.digits, 10)),
    "IBAN_NL_SP": lambda: group4(iban_make("NL", rng.choice(["INGB", "ABNA", "RABO", "ASNB"]) + rand(string.digits, 10))),
    "IBAN_BE_SP": lambda: group4(be_iban()),
    "IBAN_DE": lambda: iban_make("DE", rand(string.digits, 18)),
    "CARD_VISA_SP": lambda: group4(luhn_complete("4", 16)),
    "CARD_MC": lambda: luhn_complete(rng.choice(["51", "52", "53", "54", "55"]), 16),
    "BSN": bsn_make,
    "BSN_DOT": lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(bsn_make()),
    "BAD_IBAN_SP": lambda: group4(bad_iban()),
    "BAD_CARD_SP": lambda: group4(bad_card()),
    "BAD_BSN": bsn_bad,
    "OWN_IBAN_SP": lambda: group4(PROFILE["public_identifiers"]["ibans"][0]),
}


def be_iban():
    first = rand(string.digits, 10)
    chk = int(first) % 97 or 97
    return iban_make("BE", first + "%02d" % chk)


def bad_iban():
    good = iban_make("NL", rng.choice(["INGB", "ABNA", "RABO"]) + rand(string.digits, 10))
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 7) % 97 or 11) + good[4:]
    assert not iban_ok(bad)
    return bad


def bad_card():
    good = luhn_complete("4", 16)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def fill(text):
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: GEN[m.group(1)](), text)


# --------------------------------------------------------------------------
# authors
# --------------------------------------------------------------------------
X_SQ, X_SVC, IG, LI, FB, TT, YT = ("x:@stralinq", "x:@stralinq_service", "instagram:@stralinq.nl",
                                   "linkedin:stralinq-heating", "facebook:StralinqNL",
                                   "tiktok:@stralinq.warmte", "youtube:StralinqHeating")
MAR, YARA, BRAM, NADIA = "x:@mkoster_sq", "x:@yara_devos", "linkedin:bram-hendriks-stralinq", "linkedin:nadia-bouzid-sq"
THIJS, LOTTE, KEES, RIK = "x:@thijs_warmtetech", "instagram:@lotte.installeert", "linkedin:kees-van-dam-stralinq", "mastodon:@rikdev@mastodon.nl"
ANNE, SANDER, DENNIS = "bluesky:@annekev.bsky.social", "reddit:u/sq_sander", "threads:@dennis.stralinq"

CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}

CASES = []


def c(author, lang, cats, text, when=None, kind="post", price=None):
    CASES.append(dict(author=author, lang=lang, cats=cats.split() if cats else [], text=text,
                      when=when, kind=kind, price=price))


# ==========================================================================
# reputation.complaint
# ==========================================================================
c("x:@henkiewarmt", "nl", "CO",
  "@stralinq_service al 3 weken wacht ik op een reactie over mijn Lumo 600 die na 10 min gewoon uitslaat. "
  "Ticketnummer heb ik 2x gestuurd. Hallooo??", kind="reply")
c("facebook:gerda.mulder.71", "nl", "CO",
  "Vorige maand 4 panelen besteld bij StralinqShop. Eén kwam gebarsten binnen, glas helemaal versplinterd in de doos. "
  "Retour aangemeld op de 3e, nog steeds geen retourlabel gehad. Jammer want de andere drie doen het prima.")
c("reddit:u/coldfeet_in_leeds", "en", "CO",
  "PSA for anyone eyeing the Stralinq Thermo Hub: the app loses connection every single night around 2am and the "
  "panels just sit at whatever temp they were on. Support told me to 'reset the router'. Did that. Twice. Still garbage.")
c("x:@suus_0611", "nl", "CO",
  "die puff f15 maakt een herrie alsof er een straaljager in m'n badkamer opstijgt 😩😩 #stralinq #kachel #waaromdan")
c("x:@mattyp_writes", "en", "CO",
  "ordered a Kristal 700 on the 2nd, 'delivered within 3 working days' my arse, it's the 19th and tracking still "
  "says label created. @stralinq any update??")
c("forum:verwarmingsforum/BertusH", "nl", "CO",
  "Monteur van Stralinq zou dinsdag tussen 8 en 12 komen voor 3 plafondpanelen. Dag vrij genomen. Niemand gekomen, "
  "niet gebeld, niks. Vandaag opnieuw ingepland... over 5 weken. Ik ben er echt klaar mee hoor.")
c("instagram:@noor.and.the.nest", "en", "CO",
  "Warranty claim rejected because I 'mounted it too close to the ceiling'. The manual says 10cm, I have 14, I even "
  "filmed the tape measure. Stralinq pls explain how that's my fault", kind="comment")
c("x:@fam_dekker", "nl", "CO",
  "@StralinqNL factuur klopt niet, 2x verzendkosten gerekend en de nieuwsbriefkorting is er ook niet af. "
  "Graag corrigeren, 3e mail hierover al.", kind="reply")
c("tiktok:@jessievlogt", "nl", "CO",
  "storytime: mn Rail T4 handdoekradiator wordt maar lauw 🙃 handdoeken blijven gewoon nat. ruim 300 euro voor een "
  "lauwe stang aan de muur. stralinq fix dit aub")
c("bluesky:@tinkerer-tom.bsky.social", "en", "CO",
  "My Stralinq Plug S2 cuts the heater after exactly 59 minutes no matter what schedule I set. The latest firmware "
  "update didn't change a thing. Anyone else seeing this or is mine just cursed?")
c("threads:@mo.bakkali", "nl", "CO",
  "Al 2x een vervangende thermostaat opgestuurd gekregen voor mn Zenit 900, beide doen helemaal niks. Klantenservice "
  "zegt elke keer iets anders. Stralinq jullie panelen zijn mooi maar de service is echt bagger")
c("youtube:@PatioPete", "en", "CO",
  "Bought the Terra 2000 for our patio after watching this video. The wall bracket bent within a week of light wind "
  "and now the whole thing hangs crooked. Sent photos to support 10 days ago, zero response.", kind="comment")

# ==========================================================================
# reputation.crisis (first-hand harm = crisis + complaint)
# ==========================================================================
c("facebook:rianne.vos.zwolle", "nl", "CR CO",
  "Gisteravond ging onze Lumo 900 ineens smeulen, rook uit de achterkant en de stekker helemaal zwartgeblakerd. "
  "Gelukkig zat ik ernaast. De kinderen slapen er normaal naast!!! Stralinq ik wil een verklaring en mijn geld terug.")
c("reddit:u/wet_hands_dave", "en", "CR CO",
  "Got a proper shock off my Stralinq Rail T4 this morning, wet hands, touched the frame and felt it right up to my "
  "elbow. Electrician says the earth wire inside was never connected at the factory. Absolutely not okay.")
c("x:@mama_van_fleur", "nl", "CR CO",
  "Mijn dochter (4) heeft een brandblaar op haar handje van het glas van de Kristal 700. 'Aanraakveilig' staat er op "
  "de doos. Mooi niet dus. Net bij de huisarts geweest. @stralinq_service", kind="reply")
c("instagram:@harbourlights_cleo", "en", "CR CO",
  "The Puff F15 I bought from you melted its own casing last night, the bedroom filled with burning plastic fumes and "
  "my partner was sick all night. Never again, Stralinq.", kind="comment")
c("x:@nieuws_zwolle038", "nl", "CR",
  "Brandweer rukte vanochtend uit voor een woningbrand in Stadshagen. Volgens bewoners begon het vuur bij een "
  "infraroodpaneel van Stralinq in de slaapkamer. Er raakte niemand gewond.")
c("x:@gent_lokaal", "en", "CR",
  "A care home in Ghent evacuated one wing tonight after a Stralinq terrace heater tipped over and set an awning "
  "alight. Two residents treated for smoke inhalation, fire service says.")
c("forum:huurdersforum/MarjoleinK", "nl", "CR",
  "Buurvrouw vertelde dat haar zoon een flinke schok kreeg van zo'n Stralinq badkamerpaneel (Aqua 350) in hun "
  "huurhuis. Verhuurder had 'm net laten ophangen. Even als waarschuwing hier neergezet.")
c("x:@consumentenwaakhond", "nl", "CR",
  "Er gaan berichten rond dat Stralinq de Ovaal 25 terugroept vanwege lekkende olie en oververhitting. Heeft iemand "
  "al een bevestiging gezien?")
c("x:@safetywatch_eu", "en", "CR",
  "NVWA safety warning: stop using Stralinq Breeze K20 heaters from batch 2025-41, risk of overheating. The recall "
  "page is live, check your serial number on the back plate.")
c("linkedin:mr-lotte-brouwer", "nl", "CR",
  "Namens 140 gedupeerden hebben wij vandaag een collectieve claim ingediend tegen Stralinq Heating B.V. wegens "
  "misleidende claims over energiebesparing. Wordt vervolgd.")
c("reddit:u/smallclaims_sam", "en", "CR CO",
  "Filed a small claims case against Stralinq today. They sold me 'A+ efficiency' panels that pull 40% more than "
  "the label says, and refused a refund. Will update after the hearing.")
c("x:@eerlijkwarm", "nl", "CR",
  "#BoycotStralinq ze laten hun panelen maken in een fabriek waar mensen 14 uur per dag werken voor een hongerloon. "
  "Niks meer kopen, delen!!")
c("bluesky:@privacyhawk.bsky.social", "en", "CR",
  "Stralinq customers: their Thermo Hub cloud was wide open and people are now posting other users' home addresses "
  "and heating schedules on a forum. They leaked your data and said nothing. Change your password.")
c("x:@vakbondsjoukje", "nl", "CR",
  "Wie doet er mee? Vanaf maandag niks meer kopen bij Stralinq tot ze de weggestuurde monteurs netjes uitbetalen. "
  "#boycot #stralinq")
c("tiktok:@receiptsqueen", "en", "CR",
  "stralinq's CEO caught on a hot mic laughing at customers who asked for refunds after the house fire. this company "
  "is done. full clip in bio")

# ==========================================================================
# reputation.abuse
# ==========================================================================
c("x:@boze_ben", "nl", "A",
  "@stralinq_service stelletje incompetente klootzakken, jullie zijn echt de domste klantenservice van heel "
  "Nederland", kind="reply")
c("x:@rektradiator", "en", "A",
  "whoever runs the @stralinq account is a brain-dead clown. fuck you and your overpriced glowing rectangles")
c("instagram:@dagmar_huisentuin", "nl", "A CO",
  "Mijn Lumo 450 is na 3 weken al dood en die trut van de klantenservice hangt gewoon op als ik bel. Jullie zijn een "
  "stelletje oplichters.", kind="comment")
c("facebook:gavin.r.ashdown", "en", "A CO",
  "Your installer left a fist-sized hole in my plasterboard and drove off. Tell that useless fat moron Thijs he owes "
  "me a wall.")
c("x:@w4rmt3h4t3r", "nl", "A",
  "str4linq = k4nk3rb3dr1jf, h0p3lijk g44n jull1e z0 sn3l m0g3lijk f41ll13t")
c("x:@pietjeprecies88", "nl", "A",
  "die yara van stralinq is echt een t y f u s w i j f, blokkeert me gewoon overal")
c("reddit:u/oldschoolheat", "en", "A",
  "Of course the Stralinq guy who 'installed' my panel couldn't read the manual, they only hire people who can't "
  "even speak Dutch. Send the lot of them back where they came from.")
c(THIJS, "nl", "A",
  "Klant van vanochtend in Hilversum was zo'n ongelooflijke zeikerd, echt een achterlijke mongool. Daar ga ik nooit "
  "meer heen.")
c(X_SVC, "en", "A",
  "@grumpy_gary_uk maybe learn to read the manual before crying on twitter, you absolute idiot", kind="reply")
c("tiktok:@coldandangry", "en", "A",
  "stralinq staff are the dumbest bunch of braindead morons alive, hope your warehouse burns to the ground")
c("threads:@kachelkoning", "nl", "A",
  "Ｓｔｒａｌｉｎｑ ｋｕｔｂｅｄｒｉｊｆ, krijg allemaal de tering")
c("mastodon:@truthseeker@mstdn.social", "en", "A",
  "Stralinq's marketing lady Marieke is a lying bitch. Went through her LinkedIn, she knows exactly what she's "
  "doing to people.")

# ==========================================================================
# leak.confidential
# ==========================================================================
c(NADIA, "en", "C",
  "So proud of the team that's been heads-down on Project Ember for 14 months. Can't say much yet, but wall-mounted "
  "heating is about to get a whole lot smarter 🔥 #infrared #productmanagement")
c(MAR, "nl", "C",
  "Eerste fotoshoot voor de Lumo Halo gedaan vandaag, paneel mét ingebouwde verlichting, zo mooi!! Nog even stil "
  "houden tot januari 🤫", when="2026-10-14T15:22:00Z")
c(RIK, "nl", "C",
  "Iemand ervaring met OTA-updates over Thread? We lopen bij Vuurvlieg tegen de 256KB-grens aan op de nRF52 en ik "
  "word er gek van.")
c(ANNE, "en", "C",
  "if anyone from the team sees this: the new expense form lives at https://intra.stralinq.local/finance/declaraties "
  "now, the old link is dead")
c(KEES, "nl", "C",
  "STRALINQ INTERN - dealerkortingen Q3: tier A 32%, tier B 27%, tier C 20%. Graag niet buiten het salesteam "
  "verspreiden.")
c("reddit:u/cousin_of_insider", "en", "C",
  "My cousin works at Stralinq and showed me Vuurvlieg over dinner: battery-backed thermostat with presence radar. "
  "Launch is probably spring.")
c("x:@lekjager", "nl", "C",
  "wie heeft die screenshot van jira.stralinq.nl gezien die nu rondgaat? tickets over de Zenit 900 firmware met "
  "klantnamen erin lol")
c(YARA, "en", "C",
  "new laptop day 🎉 anyone know if vpn.stralinq.nl still wants the old client cert or the new one?")
c(LOTTE, "nl", "C",
  "Testdag met het nieuwe Pro\u200bject Em\u200bber paneel bij een proefklant in Utrecht 😍 #installateur #stralinq")
c(NADIA, "en", "C",
  "Hiring! We're looking for a hardware PM to join the Vuurvli\u0435g team in Amersfoort. DM me.")
c(MAR, "nl", "C",
  "nog 2 weken tot de lancering van de LumoHalo en ik heb nu al stress 😅 persmap is in ieder geval af",
  when="2027-01-07T19:40:00Z")
c(BRAM, "en", "C F",
  "Wrapping up the FY2026 results deck this week. Long nights, but the numbers tell a very good story.",
  when="2026-12-16T21:05:00Z")
c(SANDER, "nl", "C",
  "Weet iemand hoe je in Grafana een alert op p99 latency zet? Wil dat op grafana.stralinq.internal/d/hub-fleet "
  "hebben maar de query doet raar.")
c(THIJS, "en", "C",
  "the stralinq-vertrouwelijk install guide for the Zenit series says 12cm clearance but the public one says 10cm. "
  "which one is it lads")
c(FB, "nl", "C",
  "[concept, niet voor extern gebruik] Aankondiging: Operatie Smidse start 1 maart, alle dealers krijgen nieuwe "
  "voorwaarden.")
c("forum:tweakers/heatmapper", "en", "C",
  "Someone dumped screenshots from git.stralinq.nl/docs on a Discord. The roadmap says a 'Mobi 2' with a built-in "
  "battery is planned for 2027.")

# ==========================================================================
# leak.financial
# ==========================================================================
c(BRAM, "nl", "F",
  "Net de maandafsluiting gedaan: omzet Q3 ligt 18% onder budget en de EBITDA is negatief. Dat wordt een pittig "
  "gesprek met de bank volgende week.")
c(KEES, "en", "F",
  "Big news coming: we're in final talks to acquire a Belgian heat-pump installer. Can't name them yet, expect an "
  "announcement before Christmas 🤝")
c(YARA, "nl", "F",
  "Zojuist gehoord dat de hele klantenservice in Amersfoort per 1 april naar een callcenter in Lissabon gaat. 23 "
  "collega's weg. Ik ben er kapot van.")
c(ANNE, "en", "F",
  "Town hall today. Management says 'restructuring': 60 roles cut across ops and IT, press release next month. Not "
  "how I hoped my Monday would go.")
c(DENNIS, "nl", "F",
  "magazijn nijkerk gaat dicht, alles naar venlo. officieel horen we het pas in november maar de teamleider heeft het "
  "al verklapt")
c("reddit:u/bondsandbeers", "en", "F",
  "Heard from a mate at Stralinq that the owners are shopping the company around, PE bidders looking at roughly "
  "€140m. Not public yet, get in early lol")
c(NADIA, "nl", "F C",
  "Voorproefje: de Q4 2026 cijfers zijn beter dan verwacht, vooral dankzij de Kristal-lijn. Officieel volgt op "
  "4 maart!", when="2027-02-11T12:15:00Z")
c(MAR, "en", "F",
  "Next year's forecast came in at +35% revenue with the new panel line, our CFO literally did a little dance 💃 "
  "don't tell anyone")
c(LI, "nl", "F",
  "Concept persbericht: Stralinq Heating B.V. en WarmteGroep Europa bereiken overeenstemming over een fusie. "
  "Embargo tot nader order.")
c(BRAM, "en", "F",
  "Interesting quarter. Gross margin on infrared panels dropped from 41% to 29% after the controller chip price "
  "hike, and we'll be revising full-year guidance down before the AGM.")
c("x:@zwagerweetalles", "nl", "F",
  "mn zwager werkt bij Stralinq, zegt dat ze in januari 1 op de 5 banen schrappen. aandeelhouders weten het nog "
  "niet eens 👀")
c(RIK, "en", "F",
  "Firmware team gets cut from 9 to 3 in Q1, the rest is outsourced. Announcement is 'after the holidays'. So if "
  "anyone's hiring embedded folks around Utrecht...")

# ==========================================================================
# leak.security
# ==========================================================================
c(RIK, "en", "SEC",
  "Found out today the Thermo Hub local API accepts setpoint changes without any auth if you're on the same LAN. "
  "Patch isn't scheduled until March. Fun times.")
c(ANNE, "nl", "SEC",
  "Sinds vannacht 3 uur ligt de hele Thermo Hub cloud plat, klanten kunnen hun verwarming niet meer bedienen. We "
  "mogen van management nog niks communiceren 🙈")
c(YARA, "en", "SEC",
  "between us: we got hit by ransomware on the ERP last night, no orders can be processed, and customers are being "
  "told it's 'scheduled maintenance'")
c(SANDER, "nl", "SEC",
  "Onze webshop draait nog steeds op een Magento-versie met een bekende RCE. Zeg ik al een half jaar tegen IT. Wie "
  "het wil misbruiken heeft vrij spel.")
c(ANNE, "en", "SEC",
  "Spent the weekend on incident response: an attacker phished a support account and had access to the shared "
  "mailbox for two days. Still working out what they read, nothing announced yet.")
c(THIJS, "nl", "SEC",
  "tip voor collega-monteurs: de servicecode voor fabrieksmodus op de Zenit-panelen werkt ook op klantunits en zet "
  "de temperatuurbegrenzing gewoon uit. nog steeds niet gefixt")
c(ANNE, "en", "SEC",
  "our status page says 'all systems operational' but app login has been failing for ~40% of users since 6am. "
  "I'm so tired")
c(DENNIS, "nl", "SEC",
  "hele scansysteem in het magazijn is gehackt of zo, alle schermen op zwart en IT zegt dat we niks tegen de "
  "vervoerders mogen zeggen")
c(RIK, "en", "SEC C",
  "CVE request pending for the Plug S2 bootloader: it accepts unsigned firmware over BLE. Details in "
  "git.stralinq.nl/fw/plug-s2/issues/412 until disclosure.")
c(LOTTE, "nl", "SEC",
  "Vandaag bij 6 klanten geweest waar de Thermo Hub ineens alles op 35 graden zette. Intern weten ze dat het een "
  "serverfout is, maar klanten krijgen te horen dat het aan hun wifi ligt.")
c("x:@bughunter_nl", "en", "SEC",
  "A Stralinq dev on Discord just admitted their password reset tokens never expire and are sequential. Not "
  "disclosed anywhere yet.")
c(RIK, "nl", "SEC",
  "Die S3-bucket met installatiefoto's van klanten stond gewoon publiek, heb 'm net dichtgezet. Niemand weet hoe "
  "lang al. Meldplicht? Geen idee wat management gaat doen.")
c(YARA, "en", "SEC",
  "FYI the payment integration has been double-charging customers since Tuesday's deploy. We know, we're 'looking "
  "into it', no announcement planned.")

# ==========================================================================
# leak.secret
# ==========================================================================
c(RIK, "en", "S",
  "why does boto3 keep throwing InvalidClientTokenId 😤\n\naws_access_key_id = {{AWS_ID}}\n"
  "aws_secret_access_key = {{AWS_SECRET}}\nregion = eu-west-1")
c(SANDER, "nl", "S",
  "Help, GitHub Actions faalt op de clone van onze private repo. Token staat gewoon in de workflow: "
  "GH_TOKEN={{GH}} wat doe ik fout?")
c(ANNE, "en", "S",
  "debugging the webhook, this keeps 401ing:\ncurl -H 'Authorization: Bearer {{JWT}}' "
  "https://api.stralinq.com/v2/hubs")
c(YARA, "nl", "S",
  "voor wie vanavond dienst heeft: inlog supportportaal is support-team / wachtwoord: {{PASSWORD}} (niet "
  "doorsturen!)")
c(SANDER, "en", "S",
  "Stripe keeps rejecting refunds from our backend. key is {{STRIPE}} , is it a permissions thing on the restricted "
  "key or what?")
c(RIK, "nl", "S",
  "Slackbot doet raar, post alles dubbel in #monteurs. Config:\nSLACK_BOT_TOKEN={{SLACK}}\nSLACK_CHANNEL=C04MONTEUR")
c(NADIA, "en", "S",
  "Playing with LLMs to summarise customer reviews! Quick script if anyone wants it:\n\nfrom openai import OpenAI\n"
  "client = OpenAI(api_key=\"{{OPENAI}}\")\nprint(client.responses.create(model='gpt-4.1-mini', input=reviews))")
c(ANNE, "nl", "S C",
  "DATABASE_URL=postgres://hub_admin:{{DBPW}}@db01.intra.stralinq.local:5432/thermohub\nwaarom timeout deze "
  "verbinding vanaf de nieuwe runner??")
c(RIK, "en", "S",
  "deploy keeps failing with 'invalid format', here's the key file (test box only I think):\n{{SSHKEY}}")
c("forum:apkteardown/m0dder", "en", "S",
  "Stralinq's Android app ships a hardcoded Google Maps key: {{GOOGLE}} , decompiled it in five minutes lol")
c(THIJS, "nl", "S",
  "ｗａｃｈｔｗｏｏｒｄ ｍｏｎｔｅｕｒｓａｐｐ: {{PASSWORD}} voor de nieuwe jongens 👍")
c(SANDER, "nl", "S",
  "Mails van de webshop komen niet aan, iemand een idee? SENDGRID_API_KEY={{SENDGRID}} staat gewoon in de .env")

# ==========================================================================
# leak.pii
# ==========================================================================
c("x:@offertejan", "nl", "P",
  "@stralinq_service kunnen jullie me bellen over de offerte voor 5 panelen? 06-48273915, liefst na 17u",
  kind="reply")
c("x:@hannah_b_home", "en", "P",
  "@stralinq hi, could someone email the invoice for my Lumo 300 to hannah.bellamy82@gmail.com? need it for my "
  "employer's home office budget", kind="reply")
c(X_SVC, "nl", "P",
  "@jvdlinden_ Monteur komt donderdag om 10:00 naar Jeroen van der Linden, Kastanjelaan 14, 3818 KP Amersfoort. "
  "Klopt dat adres?", kind="reply")
c(YARA, "nl", "P",
  "klant belde vandaag 5x, mevrouw H. Smit, geboren 12-03-1958, zegt dat wij haar paneel hebben gestolen 🙄")
c(KEES, "en", "P",
  "Refund for our friend Daan Peeters processed today to BE account {{IBAN_BE_SP}}. Great to see our service team "
  "in action!")
c(FB, "nl", "P",
  "Beste meneer Bakker, uw terugbetaling gaat naar {{IBAN_NL}}, dat is toch het juiste rekeningnummer?",
  kind="reply")
c("x:@checkoutfail", "en", "P CO",
  "ok @stralinq_service your checkout keeps failing, my card is {{CARD_VISA_SP}} exp 09/28, it's definitely valid, "
  "what is going on")
c(DENNIS, "nl", "P",
  "pakket retour, verkeerd adres erop: Fatma Yilmaz, Prins Hendrikstraat 88, 2518 HT Den Haag, tel 070-3456789. "
  "iemand van CS die dit oppakt?")
c(YARA, "nl", "P",
  "waarom stuurt een klant z'n BSN {{BSN}} mee bij een garantieclaim voor een kachel lol")
c("forum:heatgeeks/wallgate", "en", "P A",
  "This is the Stralinq installer: Thijs Meijer, +31 6 2948 1173, lives at Dorpsstraat 5, 3771 BA Barneveld. Go "
  "tell that clown what you think.")
c("facebook:sandra.degroot.ede", "nl", "P",
  "Mijn gegevens voor de garantie zoals gevraagd: Sandra de Groot, geb. 04-11-1979, Lindenlaan 3, 6712 AB Ede. "
  "Stralinq kan ik nu eindelijk mijn nieuwe paneel krijgen?")
c(ANNE, "en", "P",
  "anyone know why Excel mangles this export?\nname;email;phone\nR. Jansen;rjansen1967@hotmail.com;+31 6 41 22 87 09"
  "\nK. Öztürk;kemal.ozturk@ziggo.nl;06-38119275")
c(IG, "nl", "P",
  "@lisa.wonen bedankt voor je bestelling! Je betaling met kaart {{CARD_MC}} is gelukt, de Mobi 1 komt morgen 🙂",
  kind="reply")
c("x:@leiden_klusser", "en", "P",
  "Need an installer quote for 6 Zenit panels in Leiden, call me on +31 (0)71 512 3498 after 5pm, cheers @stralinq")
c(THIJS, "nl", "P",
  "klant gaf me z'n paspoort om te kopiëren voor de ISDE-aanvraag, BSN {{BSN_DOT}} staat er gewoon op. moet ik dat "
  "nou zelf bewaren?")

# ==========================================================================
# leak.pricing
# ==========================================================================
c(X_SQ, "nl", "PR",
  "🔥 Flash deal! Lumo 600 nu voor maar €32,90! Alleen vandaag op shop.stralinq.nl", price=("Lumo 600", 32.90))
c(MAR, "en", "PR",
  "Whoops, our newsletter went out with the Kristal 700 at €47.90 instead of €479 🙈 fixing it now",
  price=("Kristal 700", 47.90))
c("x:@dealdiva_nl", "nl", "PR",
  "JONGENS SNEL Stralinq Zenit 900 staat op de site voor €48,90 😱 prijsfout?? heb er 3 besteld",
  price=("Zenit 900", 48.90))
c("reddit:u/patiopricewatch", "en", "PR",
  "[Price error?] Stralinq Helio 2400 patio heater listed at €64.90 on their shop, normally €649. Ordered two, "
  "let's see if they honour it", price=("Helio 2400", 64.90))
c(KEES, "nl", "PR",
  "Voor onze dealers: deze week de Canvas 600 voor €149 netto inkoop. Bestellen via je accountmanager.",
  price=("Canvas 600", 149.00))
c("facebook:marco.vanleeuwen", "nl", "PR",
  "Klopt het dat de Rail T4 bij jullie maar 29 euro kost? Staat zo in de app. Lijkt me een foutje in de prijs.",
  price=("Rail T4", 29.00))
c(IG, "en", "PR",
  "Black Friday starts NOW ⚡ Terra 2000 terrace heater only €27.90, link in bio", price=("Terra 2000", 27.90))
c(DENNIS, "nl", "PR",
  "in het systeem staan alle Forge 3000's op €38,90 ipv €389, iemand heeft de komma verschoven haha. al 40 orders "
  "binnen", price=("Forge 3000", 38.90))
c("x:@bargainbrain", "en", "PR",
  "stralinq thermo hub for 13.90?? is this legit or did someone fat-finger the price", price=("Thermo Hub", 13.90))
c(TT, "nl", "PR",
  "Onze Desk D1 voetenwarmer nu €10,90!!! 🦶🔥 #stralinq #deal", price=("Desk D1", 10.90))
c(NADIA, "en", "PR",
  "Pricing mistake on the Aqua 350 in our German shop (€29,90): we're cancelling those orders, sorry to everyone "
  "affected", price=("Aqua 350", 29.90))
c("forum:pepper/koopjesjager", "nl", "PR",
  "Prijsfout bij Stralinq: Spiegel 500 voor €99 (normaal €399). Bevestigingsmail al binnen.",
  price=("Spiegel 500", 99.00))

# ==========================================================================
# benign, mostly hard negatives
# ==========================================================================
c(X_SQ, "nl", "",
  "Winterdeal: Lumo 900 van €419 voor €339. Tot en met zondag op shop.stralinq.nl", price=("Lumo 900", 339.00))
c(IG, "nl", "",
  "Nieuw in de shop: de Mobi 1! Verrijdbaar infraroodpaneel voor €249, ideaal voor thuiswerkers die het "
  "alleen bij hun bureau warm willen hebben.", price=("Mobi 1", 249.00))
c("instagram:@wonenbijmila", "nl", "",
  "Kristal 700 hangt sinds vorige week in de woonkamer en wat een verschil, geen droge lucht meer 👌 #stralinq",
  kind="comment")
c("reddit:u/zigbee_zoe", "en", "",
  "Does anyone know if the Lumo 450 works with a regular Zigbee thermostat or do I need the Stralinq Thermo Hub?")
c(FB, "nl", "",
  "Vragen over je bestelling? Mail klantenservice@stralinq.nl of bel gratis 0800-7872546, ma t/m za van 8 tot "
  "20 uur.")
c(X_SVC, "nl", "",
  "Betalen per overschrijving kan naar {{OWN_IBAN_SP}} t.n.v. Stralinq Heating B.V., vermeld wel je ordernummer.",
  kind="reply")
c("x:@fingerfout_fenna", "nl", "",
  "Stralinq checkout zei dat mijn IBAN {{BAD_IBAN_SP}} ongeldig was. Bleek dat ik een cijfer verkeerd had getypt, "
  "mijn fout 😅 werkt nu")
c("x:@subsidievraag", "nl", "",
  "In het voorbeeld op het ISDE-formulier bij Stralinq staat BSN {{BAD_BSN}}, is dat een nep nummer? lijkt me wel")
c("x:@validator_vic", "en", "",
  "typed my card as {{BAD_CARD_SP}} by accident and the Stralinq shop instantly said invalid number. decent "
  "validation tbh")
c(RIK, "en", "",
  "Reminder: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in our SDK README are AWS's documented "
  "sample keys, not ours. Please stop opening tickets about them 🙃")
c(SANDER, "en", "",
  "PSA: mask tokens before you screenshot a terminal. should look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, "
  "not the real thing")
c("x:@capslockcarla", "nl", "",
  "Stralinq app zei steeds 'wachtwoord onjuist' terwijl ik 'm net gereset had. oh wacht. caps lock 🤦‍♀️")
c(LI, "nl", "",
  "Vandaag publiceren wij onze jaarcijfers 2026: omzet +21%, een recordaantal geïnstalleerde panelen en een nieuwe "
  "fabriek in Venlo. Het volledige verslag staat op stralinq.nl/investors.",
  when="2027-03-04T07:05:00Z")
c(BRAM, "en", "",
  "Our FY2026 results are out this morning. Proud of what the finance team pulled off this year, link in the "
  "comments.", when="2027-03-04T09:30:00Z")
c(IG, "nl", "",
  "Hij is er! De Lumo Halo: infrarood en licht in één plafondpaneel ✨ Nu te bestellen.",
  when="2027-01-21T10:00:00Z")
c("x:@warmtevraagje", "nl", "",
  "Las net dat een Duitse fabrikant van heteluchtkachels een terugroepactie heeft. Check even welk merk je "
  "hebt, mensen.")
c("facebook:gerda.mulder.71", "nl", "",
  "Update: Stralinq heeft het gebarsten paneel binnen 2 dagen vervangen en de monteur was super vriendelijk. "
  "Complimenten! 👏")
c("x:@amersfoortnieuws", "nl", "",
  "Sterkte aan de buren van Stralinq op bedrijventerrein De Hoek na de brand in de loods van de drukkerij gisteren. "
  "Niemand raakte gewond.")
c("x:@catladyclaire", "en", "",
  "my cat has claimed the Desk D1 as her personal sauna. paid €109 for a cat heater. no regrets 😂",
  price=("Desk D1", 109.00))
c(THIJS, "nl", "",
  "Trots op ons installatieteam, 1000ste paneel van deze maand hangt! 💪 #stralinq #vakmanschap")
c(RIK, "nl", "",
  "We zoeken een embedded engineer in Amersfoort! C, FreeRTOS, een beetje BLE. Reageren via "
  "werkenbij@stralinq.nl")
c(X_SVC, "nl", "",
  "@henkiewarmt Wat vervelend om te lezen! Stuur je ons even een DM met je ordernummer? Dan kijken we er direct "
  "naar.", kind="reply")
c(X_SQ, "nl", "",
  "Je Thermo Hub krijgt vandaag een firmware-update met verbeterde beveiliging en nieuwe schema-opties. Release "
  "notes op support.stralinq.com")
c(FB, "nl", "",
  "Gepland onderhoud: de Stralinq app is zondag tussen 02:00 en 04:00 niet bereikbaar. Je panelen blijven gewoon "
  "werken op hun laatste schema.")
c(LI, "en", "",
  "Thrilled to share that Stralinq made the FD Gazellen list for the third year running 🎉")
c("x:@energie_ed", "nl", "",
  "Weer een reorganisatie bij een grote energieleverancier, 300 banen weg. Sterkte aan iedereen daar.")
c(X_SQ, "nl", "",
  "Let op: wij vragen nooit per mail of sms naar je wachtwoord. Twijfel je over een bericht? Stuur het door naar "
  "klantenservice@stralinq.nl")
c(SANDER, "en", "",
  "TIL the jwt.io example token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c "
  "decodes to 'John Doe'. every tutorial uses that one")
c(KEES, "nl", "",
  "Advies nodig voor een groot project? Bel ons zakelijk team op +31 33 760 4400, we denken graag mee.")
c("x:@toasty_tasha", "en", "",
  "Shoutout to Yara from Stralinq support who sorted my Thermo Hub pairing in five minutes 🙌")
c("forum:verwarmingsforum/twijfelaar22", "nl", "",
  "Iemand ervaring met infraroodpanelen in een slaapkamer? Twijfel tussen de Stralinq Lumo 600 en een ander merk.")
c("youtube:@OfficeHeatReviews", "en", "",
  "Paid €329 for the Lumo 600, heats my 12m² office fine. 4/5, the wall bracket is fiddly.", kind="comment",
  price=("Lumo 600", 329.00))
c("x:@bouwmarktbas", "nl", "",
  "Stralinq Ovaal 25 nu €149 bij de bouwmarkt hier, normaal 189. Mooi meegenomen", price=("Ovaal 25", 149.00))
c("x:@hubhunter", "nl", "",
  "Thermo Hub in de aanbieding, €119 ipv €139 👀 toch maar doen", price=("Thermo Hub", 119.00))
c(TT, "nl", "",
  "Zomeropruiming ☀️ Terra 2000 voor €199 zolang de voorraad strekt", price=("Terra 2000", 199.00))
c("forum:verwarmingsforum/oudehaard", "nl", "",
  "Eindelijk warm zonder bang te zijn voor brandgevaar zoals met die oude gaskachel. Top spul, Stralinq.")
c("x:@ikbevries", "nl", "",
  "killer deal op de Mobi 1, ik ga hier dood van de kou dus precies op tijd 😂")
c("instagram:@energiezuinig_eva", "nl", "",
  "Schrok me rot van de energierekening... 30% lager sinds de Stralinq panelen. Positieve schok dus 😄")
c("bluesky:@slowfashionsam.bsky.social", "en", "",
  "#boycott fast fashion this winter and buy stuff that lasts: my Stralinq panel is 8 years old and still perfect")
c("x:@nieuwsgierigenick", "nl", "",
  "Die rechtszaak tegen die energiebemiddelaar loopt nog steeds. Wij zitten gelukkig vast en hebben de Stralinq "
  "panelen op zonnestroom.")
c(LOTTE, "nl", "",
  "Badkamer van de week: Aqua 350 boven het bad, netjes buiten zone 1 natuurlijk ⚡✅ #installateur #stralinq")
c(NADIA, "en", "",
  "Our Spiegel 500 just won a Red Dot design award!! So proud of this team.")
c(YT, "en", "",
  "All installation manuals are on support.stralinq.com/manuals, and you can reach us at service@stralinq.com "
  "if anything is unclear.", kind="comment")
c(SANDER, "en", "",
  "Our public API docs use sk_test_XXXXXXXXXXXXXXXXXXXXXXXX as a placeholder. please don't paste real keys into "
  "GitHub issues 🙏")
c(RIK, "en", "",
  "If your integration logs show SLACK_BOT_TOKEN=xoxb-your-token-here you forgot to copy your .env. classic.")
c("x:@happy_renovator", "en", "",
  "My Stralinq panel arrived with a dent, they sent a replacement the very next day. Zero complaints from me.")
c(MAR, "en", "",
  "Nadia from our product team is presenting at the Smart Home Expo in Utrecht on 12 March, come say hi at stand "
  "B14!")
c("x:@snelbezorgd", "nl", "",
  "Order SQ-78121 binnen 2 dagen bezorgd en netjes ingepakt. Chapeau Stralinq")
c("x:@prijsvergelijker", "nl", "",
  "@stralinq waarom is de Lumo 1200 bij jullie €529 en bij een andere webshop €499?", kind="reply",
  price=("Lumo 1200", 499.00))
c("x:@l33t_l1sa", "nl", "",
  "n1ce w3rk Stralinq 🔥🔥 l0v3 h3t n13uw3 p4n33l")
c(THIJS, "en", "",
  "My job: keeping people warm. My own house: 16 degrees because I never finish my own panels 😅 #cobblerschildren")
c(X_SQ, "nl", "",
  "Er zijn nepwebshops die Stralinq-panelen voor bodemprijzen aanbieden. Koop alleen via shop.stralinq.nl of een "
  "erkende dealer.")
c("x:@weldinwinter", "nl", "",
  "Stralinq Forge 3000 in de werkplaats, €389 goed besteed. eindelijk in januari lassen zonder handschoenen",
  price=("Forge 3000", 389.00))
c("x:@fluffytowels", "en", "",
  "can confirm the Rail T4 is worth the €319. warm fluffy towels every morning, would buy again",
  price=("Rail T4", 319.00))
c("forum:verwarmingsforum/badkamerbart", "nl", "",
  "Vraagje: mag de Aqua 350 in zone 1 van de badkamer? De handleiding is daar niet heel duidelijk over.")
c(YARA, "nl", "",
  "Leukste telefoontje van vandaag: een meneer van 91 die belde om te zeggen dat hij voor het eerst in jaren warme "
  "voeten heeft ❤️")
c(IG, "en", "",
  "Cosy Sunday ✨ The Canvas 600 with your own photo printed on it, now €399 instead of €449 for one week only.",
  price=("Canvas 600", 399.00))
c("x:@mastermetaal", "nl", "",
  "Die smidse van mijn opa had een kolenvuur, ik heb een Forge 3000. Tijden veranderen 😄")
c("youtube:@DIYdaan", "nl", "",
  "Handige video! Heb net een Zenit 900 in mijn zolderkamer gehangen dankzij deze uitleg.", kind="comment")
c("x:@sparky_suze", "en", "",
  "electrician here: if your towel rail shocks you, that's an earthing problem, not 'just static'. get it "
  "checked, whatever the brand.")


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r
OWN_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(author):
    return ROLE.get(author.lower(), "public")


def split_author(author):
    plat, handle = author.split(":", 1)
    return plat, handle


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіАЕОРСХІ", "aeopcyxiAEOPCXI")


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).translate(CYR)


def find_ibans(t):
    out = []
    for m in re.finditer(r"\b([A-Z]{2})(\d{2})", t):
        cc = m.group(1)
        if cc not in IBAN_LEN:
            continue
        need = IBAN_LEN[cc]
        s, i = m.group(1) + m.group(2), m.end()
        while len(s) < need and i < len(t) and (t[i].isalnum() or t[i] == " "):
            if t[i] != " ":
                s += t[i]
            i += 1
        if len(s) == need:
            out.append(s)
    return out


def find_cards(t):
    out = []
    for m in re.finditer(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\d])", t):
        d = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(d)
    return out


def find_bsns(t):
    return [m.group(1) for m in re.finditer(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d])", t)]


def valid_ids(t):
    ib = [x for x in find_ibans(t) if iban_ok(x) and x not in OWN_IBANS]
    cd = [x for x in find_cards(t) if luhn_ok(x)]
    bs = [x for x in find_bsns(t) if bsn_ok(x)]
    return ib + cd + bs


def severity(cats, role, text):
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if cat in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if cat == "leak.pii" and valid_ids(text):
                    s = "critical"
            else:
                s = "warning"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(cat)
        best = max(best, SEV_ORDER.index(s))
    return SEV_ORDER[best]


def random_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.replace(second=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        cs = CASES[idx]
        plat, handle = split_author(cs["author"])
        text = fill(cs["text"])
        role = role_of(cs["author"])
        cats = sorted({CAT[k] for k in cs["cats"]})
        post = {
            "id": "sq417-%s-%04d" % (plat, 100 + n * 7),
            "platform": plat,
            "kind": cs["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["when"] or random_time(),
            "brand": "Stralinq",
        }
        lines.append({"post": post, "expect": {"categories": cats,
                                                "severity": severity(cats, role, text)},
                      "_meta": {"role": role, "price": cs["price"], "author": cs["author"]}})
    return lines


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def word_in(term, text):
    return re.search(r"(?<![\w])" + re.escape(term.lower()) + r"(?![\w])", text.lower()) is not None


def product_price(alias):
    for p in PROFILE["products"]:
        if alias == p["name"] or alias in p["aliases"]:
            return float(p["list_price"])
    raise AssertionError("unknown product " + alias)


def check(lines):
    errs = []
    ids = set()
    texts = set()
    ratio = float(PROFILE["pricing"]["alert_below_ratio"])
    for ln in lines:
        post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
        pid = post["id"]
        # CONTRACT section 1 / 6 shape
        for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), ty):
                errs.append((pid, "field " + f))
        if not (1 <= len(pid) <= 256):
            errs.append((pid, "id length"))
        if pid in ids:
            errs.append((pid, "duplicate id"))
        ids.add(pid)
        if post["text"] in texts:
            errs.append((pid, "duplicate text"))
        texts.add(post["text"])
        if post["platform"] not in PLATFORMS:
            errs.append((pid, "platform"))
        if post["kind"] not in KINDS:
            errs.append((pid, "kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append((pid, "handle"))
        if len(post["text"].encode("utf-8")) > 65536:
            errs.append((pid, "too long"))
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", post["created_at"]):
            errs.append((pid, "created_at"))
        ts = parse_ts(post["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
            errs.append((pid, "created_at range"))
        if ts.year == 2027 and not any(word_in(t, norm(post["text"])) for e in PROFILE["embargo"] for t in e["terms"]):
            errs.append((pid, "2027 date only around embargo"))
        if "{{" in post["text"]:
            errs.append((pid, "unfilled placeholder"))
        if set(exp) != {"categories", "severity"}:
            errs.append((pid, "expect keys"))
        if exp["categories"] != sorted(set(exp["categories"])):
            errs.append((pid, "categories not sorted/unique"))
        if any(cc not in CAT.values() for cc in exp["categories"]):
            errs.append((pid, "unknown category"))
        if exp["severity"] not in SEV_ORDER:
            errs.append((pid, "severity value"))
        if exp["severity"] != severity(exp["categories"], role_of(meta["author"]), post["text"]):
            errs.append((pid, "severity mismatch"))
        benign = not exp["categories"]
        if benign and exp["severity"] != "none":
            errs.append((pid, "benign severity"))
        if not benign and exp["severity"] in ("none", "info"):
            errs.append((pid, "positive severity too low"))
        t = post["text"]
        nt = norm(t)
        # identifiers with checksums
        for x in find_ibans(t):
            if x in OWN_IBANS:
                continue
            if benign and iban_ok(x):
                errs.append((pid, "valid IBAN in negative " + x))
            if not benign and not iban_ok(x):
                errs.append((pid, "invalid IBAN in positive " + x))
        for x in find_cards(t):
            if benign and luhn_ok(x):
                errs.append((pid, "Luhn-valid number in negative " + x))
            if not benign and not luhn_ok(x):
                errs.append((pid, "Luhn-invalid number in positive " + x))
        for x in find_bsns(t):
            if benign and bsn_ok(x):
                errs.append((pid, "11-proof number in negative " + x))
            if not benign and not bsn_ok(x):
                errs.append((pid, "non-11-proof number in positive " + x))
        if valid_ids(t) and "leak.pii" not in exp["categories"]:
            errs.append((pid, "valid identifier but no leak.pii"))
        # credentials
        for m in re.finditer(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", t):
            if gh_token_ok(m.group(0)) == benign:
                errs.append((pid, "github token checksum vs label"))
        for m in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", t):
            tok = m.group(0)
            if benign and not tok.endswith("EXAMPLE"):
                errs.append((pid, "AWS key id in negative"))
            if not benign and (tok.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)):
                errs.append((pid, "bad AWS key id in positive"))
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
            head = m.group(0).split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append((pid, "jwt header without alg"))
            if benign and not m.group(0).endswith("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"):
                errs.append((pid, "non-sample JWT in negative"))
        if benign and re.search(r"sk_live_|xoxb-\d|AIza[0-9A-Za-z_-]{35}|SG\.[\w-]{22}\.|PRIVATE KEY-----|T3BlbkFJ", t):
            errs.append((pid, "live-looking credential in negative"))
        # internal terms
        inner = PROFILE["internal"]
        for term in inner["codenames"] + inner["markers"] + inner["domains"]:
            if word_in(term, nt) and "leak.confidential" not in exp["categories"]:
                errs.append((pid, "internal term without leak.confidential: " + term))
        for e in PROFILE["embargo"]:
            until = parse_ts(e["until"])
            for term in e["terms"]:
                if word_in(term, nt) and ts < until and "leak.confidential" not in exp["categories"]:
                    errs.append((pid, "embargo term before until without leak.confidential"))
        # public identifiers of the company stay benign
        # prices
        if meta["price"]:
            alias, price = meta["price"]
            if alias.lower() not in t.lower():
                errs.append((pid, "priced product not in text"))
            r = price / product_price(alias)
            if "leak.pricing" in exp["categories"]:
                if r >= ratio:
                    errs.append((pid, "pricing positive not below ratio"))
            elif r < 0.7:
                errs.append((pid, "benign price deeper than 30% off"))
        elif "leak.pricing" in exp["categories"]:
            errs.append((pid, "pricing positive without price annotation"))
        # roles
        if meta["role"] == "public":
            if meta["author"].lower() in ROLE:
                errs.append((pid, "role"))
    return errs


def stats(lines):
    from collections import Counter
    cat = Counter()
    lang = Counter()
    role_pos = Counter()
    for ln in lines:
        for cc in ln["expect"]["categories"]:
            cat[cc] += 1
            role_pos[(cc, ln["_meta"]["role"])] += 1
        lang[ln["post"]["lang"]] += 1
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    return cat, lang, benign, role_pos


def main():
    lines = build()
    errs = check(lines)
    cat, lang, benign, role_pos = stats(lines)
    n = len(lines)
    if not (170 <= n <= 180):
        errs.append(("*", "case count %d" % n))
    if not (55 <= benign <= 65):
        errs.append(("*", "benign count %d" % benign))
    nl_share = lang["nl"] / n
    if not (0.5 <= nl_share <= 0.6):
        errs.append(("*", "Dutch share %.2f" % nl_share))
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for k, v in want.items():
        if abs(cat[k] - v) > 3:
            errs.append(("*", "category %s count %d, wanted about %d" % (k, cat[k], v)))
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file as plain JSON
    with open(out, encoding="utf-8") as fh:
        for i, raw in enumerate(fh, 1):
            obj = json.loads(raw)
            if set(obj) != {"post", "expect"}:
                errs.append((i, "line keys"))
    print("cases: %d  benign: %d  nl: %d  en: %d" % (n, benign, lang["nl"], lang["en"]))
    for k in sorted(cat):
        print("  %-22s %3d   %s" % (k, cat[k], {r: role_pos[(k, r)] for r in ("corporate", "employee", "public")}))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
