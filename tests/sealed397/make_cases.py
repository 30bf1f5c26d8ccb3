#!/usr/bin/env python3
"""Build cases.jsonl for the Veldholm Wellness evaluation set (deterministic).

Hand-written posts; secrets and checksum identifiers are generated with a fixed
seed the way real ones are built. Expected severities are computed from the
account role in profile.yaml (CONTRACT section 4), never typed by hand.
Run it: it writes cases.jsonl beside itself and self-checks the result.
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
RNG = random.Random(397)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


# ----------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(ch, 36)) for ch in r)) % 97)


def luhn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


# ------------------------------------------------------------ generators
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order


def rand(n, alphabet=ALNUM):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_id():
    return "AKIA" + rand(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rand(40, string.ascii_letters + string.digits + "/+")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1780000000 + RNG.randint(0, 9000000)
    body = b64url(json.dumps({"sub": str(RNG.randint(100000, 999999)), "iss": "spaconnect-api",
                              "scope": "device:write", "iat": iat, "exp": iat + 86400 * 90},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def ssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(RNG.getrandbits(8) for _ in range(330)))
    enc = base64.b64encode(raw).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def nl_iban(bank=None, spaced=True):
    bank = bank or RNG.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"])
    bban = bank + "".join(RNG.choice(string.digits) for _ in range(10))
    s = "NL" + iban_check_digits("NL", bban) + bban
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def be_iban():
    acct = "".join(RNG.choice(string.digits) for _ in range(10))
    nat = int(acct) % 97 or 97
    bban = acct + "%02d" % nat
    s = "BE" + iban_check_digits("BE", bban) + bban
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    while True:
        s = nl_iban(spaced=False)
        i = RNG.randrange(8, len(s))
        s = s[:i] + str((int(s[i]) + RNG.randint(1, 9)) % 10) + s[i + 1:]
        if not iban_ok(s):
            return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def card(sep=" "):
    while True:
        d = RNG.choice(["4", "51", "52", "53", "55"])
        d += "".join(RNG.choice(string.digits) for _ in range(15 - len(d)))
        for last in string.digits:
            if luhn_ok(d + last):
                n = d + last
                return sep.join(n[i:i + 4] for i in range(0, 16, 4))


def bad_card():
    while True:
        n = re.sub(r"\D", "", card(""))
        i = RNG.randrange(4, 15)
        n = n[:i] + n[i + 1] + n[i] + n[i + 2:]  # two digits swapped
        if not luhn_ok(n):
            return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def bsn():
    while True:
        d = str(RNG.randint(1, 9)) + "".join(RNG.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def bad_bsn():
    while True:
        d = str(RNG.randint(1, 9)) + "".join(RNG.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def phone_nl():
    return "06" + str(RNG.randint(10000000, 99999999))


GEN = {
    "GH": lambda: gh_token("ghp_"),
    "GHO": lambda: gh_token("gho_"),
    "AWS_ID": aws_id,
    "AWS_SECRET": aws_secret,
    "STRIPE": lambda: "sk_live_" + rand(24),
    "SLACK": lambda: f"xoxb-{RNG.randint(10**10, 10**11 - 1)}-{RNG.randint(10**12, 10**13 - 1)}-{rand(24)}",
    "OPENAI": lambda: "sk-proj-" + rand(58, ALNUM + "-_") + "T3BlbkFJ" + rand(58, ALNUM + "-_"),
    "MOLLIE": lambda: "live_" + rand(30),
    "GITLAB": lambda: "glpat-" + rand(20, ALNUM + "-_"),
    "JWT": jwt,
    "SSH": ssh_key,
    "DBPW": lambda: rand(18, string.ascii_letters + string.digits + "!_"),
    "IBAN": nl_iban,
    "BE_IBAN": be_iban,
    "CARD": card,
    "CARD_DASH": lambda: card("-"),
    "CARD_RAW": lambda: card(""),
    "BSN": bsn,
    "BAD_IBAN": bad_iban,
    "BAD_CARD": bad_card,
    "BAD_BSN": bad_bsn,
    "OWN_IBAN": lambda: " ".join(PROFILE["public_identifiers"]["ibans"][0][i:i + 4]
                                 for i in range(0, 18, 4)),
}

# ------------------------------------------------------------------ cases
CASES = []

C, F, P, PR, FI, SE, SC, CR, AB = ("reputation.complaint", "leak.confidential", "leak.pii",
                                   "leak.pricing", "leak.financial", "leak.security",
                                   "leak.secret", "reputation.crisis", "reputation.abuse")


def c(lang, platform, handle, text, cats=(), kind="post", at=None, name=None, price=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      kind=kind, at=at, name=name, price=price))


# ---- complaints -------------------------------------------------------------
c("nl", "x", "@joost_tuinman",
  "3e keer dat de monteur van @veldholm_nl niet komt opdagen. 2 dagen vrij genomen voor niks. "
  "Fjord 5 staat nog steeds in de folie op de oprit 🙄", [C])
c("en", "reddit", "u/coldfeet_hottub",
  "Bought a Kaap 3 from Veldholm in May. Heater throws a FLO error every other day, tech came out "
  "twice, 'replaced a sensor', still broken. Support just closes the ticket without a word. Anyone else??", [C])
c("nl", "facebook", "Marieke Schouten",
  "Beste Veldholm, de kraanwagen die onze Heide sauna kwam plaatsen heeft het hele gazon en de oprit "
  "kapotgereden. Foto's gestuurd, 5 weken later nog steeds geen reactie. Echt waardeloze nazorg.",
  [C], kind="comment")
c("en", "x", "@tubtimetom",
  "@veldholm_service been on hold 47 min. FORTY SEVEN. cover split in week 2 and nobody picks up the phone",
  [C], kind="reply")
c("nl", "instagram", "@saunaliefhebber_nl",
  "Ember 2 na 4 maanden: één carbonpaneel doet niks meer en de garantieclaim is 'in behandeling' sinds "
  "augustus. Mooi ding als ie werkt, service is 👎 #veldholm #infraroodsauna", [C])
c("nl", "forum", "Henk1962",
  "Aanbetaling van €1.500 voor een Kubus buitensauna die we in juni hebben geannuleerd is nog steeds "
  "niet teruggestort. Beloofd binnen 14 dagen, we zitten nu op 9 weken. Iemand ervaring met de "
  "geschillencommissie tegen Veldholm?", [C])
c("en", "threads", "@nadia.outdoors",
  "ordered the Polar plunge with 'delivery in 3 weeks'. it's been 11. every email back is the same "
  "copy-paste 'your order is in production' lol @veldholm", [C])
c("nl", "x", "@bramvdl",
  "pomp van onze fjord 7 maakt herrie alsof er een tractor in de tuin staat. monteur zegt 'normaal'. "
  "niet normaal. buren klagen al #veldholm", [C])
c("nl", "tiktok", "@femkevlogt",
  "pov: je hebt 9k neergelegd voor een hottub van veldholm en de afdekhoes laat na de eerste regenbui "
  "al water door 😭😭 #fail #hottub #veldholm", [C])
c("nl", "reddit", "u/sauna_klaas",
  "Kern 9 kachel besteld, Kern 6 geleverd. Retour moet ik zelf regelen én betalen?? Klantenservice "
  "van Veldholm is echt een lachertje", [C], kind="comment")
c("nl", "facebook", "Gerda Pauwels",
  "Al drie weken geen warm water in de Tij zwemspa. De technieker van Veldholm zou 'deze week' komen, "
  "dat zegt hij nu al drie weken. Zwaar ontgoocheld.", [C], kind="comment")
# complaint + own personal data
c("nl", "x", "@rvdmeer_",
  "@veldholm_service jullie bellen nooit terug dus nog 1x: mijn nummer is 06-41278853, de Gloed hottub "
  "lekt nog steeds bij de kachel. Bel me nou gewoon!!", [C, P], kind="reply")
c("en", "x", "@sarah_inthegarden",
  "@veldholm_service third email, zero reply. it's sarah.whitfield84@gmail.com, order 55120 - the "
  "ThermoCover you sent is the wrong size. please just email me back", [C, P], kind="reply")
# complaint + abuse
c("nl", "x", "@ikbengedoe",
  "Veldholm is een stelletje oplichters en die planner van jullie is een arrogante trut. Zes weken "
  "wachten op een monteur en dan nog brutaal worden ook.", [C, AB])
c("en", "reddit", "u/hotwaterbill",
  "Veldholm 'customer care' is run by absolute morons. Tub arrived with a cracked shell and they told me "
  "it's cosmetic. COSMETIC. It's leaking through the crack, you idiots.", [C, AB])

# ---- first-hand safety incidents: crisis + complaint ------------------------
c("nl", "facebook", "Dennis Kuipers",
  "Gisteravond vloog de Kern 9 kachel in onze Heide sauna in brand. Binnen een paar minuten stond de "
  "achterwand in lichterlaaie, brandweer moest komen. Niemand gewond gelukkig, maar de sauna is total "
  "loss en Veldholm reageert niet. Die kachel is levensgevaarlijk.", [CR, C])
c("en", "x", "@mikeinbrabant",
  "Got a proper shock off the control panel of my Fjord 5 this morning, hand still tingling. Turns out "
  "the installer from @veldholm_nl never fitted an RCD. Could've been one of my kids.", [CR, C])
c("nl", "instagram", "@lotte.leeft",
  "Na twee weekenden in onze nieuwe hottub van Veldholm hadden mijn man en ik allebei hoge koorts en "
  "longklachten. Huisarts denkt aan legionella uit het filtersysteem. En dan zeggen ze dat het "
  "'zelfreinigend' is. Nooit meer.", [CR, C])
c("en", "reddit", "u/frostbitten_fin",
  "PSA: the wood-fired Gloed hottub I got from Veldholm blows smoke straight into the seating area when "
  "the wind turns. My partner ended up in A&E with CO poisoning symptoms. Their answer: 'only use it "
  "with a northerly wind'. Seriously.", [CR, C])
c("nl", "tiktok", "@sem.en.noor",
  "onze dochter (6) stapte op de Trede spatrap van veldholm en de trede brak gewoon af 🤬 4 hechtingen "
  "in haar kin. dat ding mag nooit verkocht worden", [CR, C])
c("en", "facebook", "Alan Brooks",
  "The infrared panel in our Ember 4 got hot enough to burn my wife's back — blisters, GP visit, the "
  "lot. Veldholm calls it 'user error'. Beware.", [CR, C], kind="comment")

# ---- crisis only ------------------------------------------------------------
c("en", "x", "@OutdoorLivingNews",
  "Reports of at least three Veldholm Kern 9 sauna heaters catching fire in the Netherlands this winter. "
  "The company has not commented yet. 🧵", [CR])
c("nl", "x", "@consumentenwaakhond",
  "BOYCOT Veldholm! Klanten met een uitgebrande sauna krijgen geen cent en alles wordt doodgezwegen. "
  "Koop daar niks meer. #boycotveldholm", [CR])
c("en", "reddit", "u/privacy_pete",
  "Looks like Veldholm leaked their entire customer database: names, home addresses, install dates. "
  "My own record turned up on a paste site this morning and they haven't said a word. Check yourselves.",
  [CR])
c("nl", "forum", "@regionieuws_utrecht",
  "Kind (4) bijna verdronken in hottub in Zeist. Volgens de ouders was de afdekhoes van het merk "
  "Veldholm niet goed vergrendeld. De politie onderzoekt de zaak.", [CR])
c("en", "linkedin", "mr-de-graaf-advocatuur",
  "We are preparing a collective action on behalf of more than 80 buyers of Veldholm infrared cabins "
  "over defective heating panels. Affected customers can contact our office.", [CR])
c("nl", "x", "@tuinschuld",
  "Klopt het dat Veldholm een terugroepactie heeft voor de Isla opblaasbare spa's? Las ergens dat de "
  "pomp kortsluiting kan maken 😬", [CR])
c("nl", "facebook", "VeldholmWellness",
  "Veiligheidsmelding: we roepen uit voorzorg alle CoverLift-exemplaren uit productieweek 14–22 terug. "
  "De gasveer kan plotseling losschieten. Gebruik de lift niet meer; wij vervangen hem kosteloos.",
  [CR])
c("en", "bluesky", "@healthdesk.bsky.social",
  "Health authority links a Legionnaires' cluster in Apeldoorn to the hot tubs at a holiday park; the "
  "park confirms the tubs were supplied and installed by Veldholm last spring.", [CR])
c("nl", "mastodon", "@jolanda@mastodon.social",
  "Schandalig: monteurs van Veldholm werken via een schimmige uitzendconstructie 12 uur per dag voor "
  "een hongerloontje. Zembla zit erbovenop. #veldholm", [CR])

# ---- abuse ------------------------------------------------------------------
c("en", "x", "@angryinutrecht",
  "@veldholm_nl you bunch of useless clowns. genuinely the worst company i've ever dealt with, rot in hell",
  [AB], kind="reply")
c("nl", "x", "@dtmeis",
  "die ruud van veldholm is een vieze vuile kankerlijer, kom nog 1x op mijn erf en je krijgt klappen",
  [AB])
c("nl", "facebook", "Wim Hoogeveen",
  "Stuur voortaan een Nederlandse monteur in plaats van die Polen die geen woord Nederlands spreken. "
  "Dat soort volk hoort hier niet. Veldholm snapt er niks van.", [AB], kind="comment")
c("en", "tiktok", "@thetruthaboutspas",
  "lmao the veldholm showroom girl in this ad is so fat she'd empty the Fjord 7 getting in 🤣🤣 hire "
  "people who actually look healthy", [AB], kind="comment")
c("nl", "x", "@ruudmonteur",
  "@joost_tuinman als je net zo goed kon lezen als zeiken had je gezien dat de afspraak verzet was, "
  "sukkel.", [AB], kind="reply")
c("nl", "x", "@b0ze_klant",
  "V3ldh0lm = k4nk3rb3dr1jf, st3lletj3 0pl1cht3rs, h00p dat jull1e sh0wr00m afbr4ndt", [AB])
c("en", "x", "@spa_hater",
  "Vеldhоlm stаff аre а bunch оf fuсking idiоts", [AB])  # Cyrillic look-alike letters
c("en", "reddit", "u/grumpy_sauna_dad",
  "Whoever runs the Veldholm instagram is a brain-dead moron, deleting every critical comment like a "
  "coward.", [AB], kind="comment")
c("nl", "instagram", "@xlotte_x",
  "@anouk_vh jij bent echt het domste wijf van die hele klantenservice. ik weet trouwens waar je woont 😘",
  [AB], kind="comment")
c("en", "youtube", "@BurnedByVH",
  "The Veldholm CEO is a lying piece of shit and so is every salesman in that showroom.", [AB],
  kind="comment")

# ---- personal data ----------------------------------------------------------
c("nl", "x", "@veldholm_service",
  "@henkdebouwer Hoi Henk, we hebben je gegevens doorgezet: Henk de Bouwer, Lindelaan 14, 3704 GK Zeist, "
  "tel. 06 1852 7734. De monteur komt dinsdag tussen 8 en 12 uur.", [P], kind="reply")
c("nl", "x", "@anouk_vh",
  "@maria_tubs sorry voor het wachten! Ik zie je terugbetaling klaarstaan naar {{IBAN}} t.n.v. "
  "M. Verbeek, gaat vandaag nog de deur uit 👍", [P], kind="reply")
c("en", "linkedin", "koen-hoekstra-vh",
  "Big thanks to Rob Vermeulen (born 12 March 1961!) who is treating himself to a Kubus sauna for his "
  "65th. Customers like this make the job. 🎉", [P])
c("nl", "instagram", "@bas.installeert",
  "Weer een mooie plaatsing vandaag bij fam. Yilmaz, Berkenhof 7 in Amersfoort 🔥 Heide XL staat als "
  "een huis! #installatie #veldholm", [P])
c("nl", "x", "@tinekevh",
  "lol ik heb per ongeluk mijn kaartnummer in de chat van veldholm geplakt ipv mijn ordernummer: "
  "{{CARD}} ... moet ik mijn pas nu blokkeren? 😅", [P])
c("en", "x", "@lisa_planning_vh",
  "Can someone in the office ring Mrs Janssen on +31 6 2417 9083 about tomorrow's Fjord 7 crane slot? "
  "Phone's dead and I'm stuck on site.", [P])
c("en", "mastodon", "@dirkw@mastodon.nl",
  "debugging the klantportaal import, this record keeps failing: "
  "{\"naam\":\"P. de Wit\",\"bsn\":\"{{BSN}}\",\"geb\":\"1979-08-02\"} — why is there even a BSN in "
  "here?? 🙃", [P])
c("nl", "facebook", "VeldholmWellness",
  "Beste mevrouw El Idrissi, we hebben uw klacht ontvangen en nemen contact met u op via "
  "yasmina.elidrissi@hotmail.com of 06-23 55 41 09. Excuses voor het ongemak!", [P], kind="comment")
c("en", "reddit", "u/helpful_neighbour",
  "If anyone wants the guy who did my Veldholm install to do a cash job: it's Ruud, personal number "
  "06 38 21 47 90, lives at Esdoornstraat 22 in Hilversum. Just knock lol", [P], kind="comment")
c("nl", "x", "@ruudmonteur",
  "Klant betaalde de meerkosten met pin maar de automaat deed raar, bonnetje zegt kaart "
  "{{CARD_DASH}} exp 09/28. Kan iemand op kantoor checken of het gelukt is?", [P])
c("en", "linkedin", "sophie-van-leeuwen-finance",
  "Payroll note for the team: Daan Mulder's salary goes to {{IBAN}} from next month, please update "
  "before the run on the 24th.", [P])
c("nl", "x", "@opa_gerrit",
  "Mijn kleindochter heeft via Veldholm een hottub op mijn naam besteld en nu vragen ze mijn BSN voor de "
  "financiering: {{BSN}}. Klopt dat wel??", [P])
c("en", "instagram", "@veldholm.wellness",
  "Congrats to our giveaway winner Emma Kloosterman from Kerkstraat 88, Deventer 🎉 your Isla spa is on "
  "its way! Emma, we'll ring you on 06 27119345 to plan delivery.", [P])
c("nl", "tiktok", "@saunajeroen",
  "klant vroeg of ik z'n geboortedatum op de offerte wilde zetten voor de financiering 😂 meneer "
  "Bakker, 3 juli 1958, u ziet er jonger uit hoor 💪", [P])

# ---- confidential -----------------------------------------------------------
c("nl", "linkedin", "merel-dijkstra-veldholm",
  "Spannende tijden bij Veldholm! Ik kan nog niet veel zeggen, maar met Project Otterbaai gaan we de "
  "markt voor buitenwellness flink opschudden. Stay tuned 👀", [F])
c("en", "tiktok", "@saunajeroen",
  "sneak peek from the warehouse 🤫 the Fjord 9 Signature is HUGE, nine seats, built-in speakers, "
  "y'all are not ready", [F], at="2026-11-14T16:42:10Z")
c("en", "x", "@thijs_devops",
  "anyone else getting 502s on https://planning.veldholm.nl/routes/today ? whole install schedule has "
  "been down since 6am and nobody's told the crews yet", [F, SE])
c("en", "reddit", "u/vh_warehouse_mo",
  "Got a deck today marked 'veldholm internal only' with the 2027 range. There's a cold plunge with "
  "a built-in chiller and some infrared/barrel hybrid. Can't post pics obviously but wow", [F],
  kind="comment")
c("nl", "instagram", "@veldholm.wellness",
  "Binnenkort iets nieuws in de Ember-lijn... 👀 Ember Pro, met volspectrumpanelen en bediening via de "
  "app. Nieuwsgierig? Blijf ons volgen!", [F], at="2026-10-08T11:00:00Z")
c("nl", "linkedin", "koen-hoekstra-vh",
  "Vandaag kregen onze dealers de presentatie over Zoutkristal: een zoutwater-hottub zonder chloor. "
  "Strikt intern nog, maar ik kan niet wachten tot we hem mogen verkopen!", [F])
c("nl", "x", "@spa_insider_nl",
  "Van een bron binnen Veldholm: Operatie Sintelpad is de nieuwe lijn houtgestookte saunas die ze in "
  "het voorjaar lanceren. Onthoud deze tweet.", [F])
c("en", "mastodon", "@dirkw@mastodon.nl",
  "ok who hardcoded http://erp.veldholm.local:8069/web#action=412 into the customer-facing quote PDF "
  "template 🤦", [F])
c("nl", "x", "@anouk_vh",
  "Ik mag het eigenlijk niet zeggen, maar de Fjord 9 komt in januari en is het wachten echt waard. "
  "Niet zeggen dat je het van mij hebt 🤐", [F], kind="reply", at="2026-12-05T20:14:33Z")
c("nl", "x", "@lisa_planning_vh",
  "Weer overwerken voor Ｐｒｏｊｅｃｔ Ｏｔｔｅｒｂａａｉ, die deadline is krankzinnig 😵", [F])  # full-width
c("nl", "instagram", "@bas.installeert",
  "Testopstelling van Zout\u200bkristal staat in de achterste showroom, mag nog niemand zien haha 🤫📸",
  [F])  # zero-width space
c("en", "reddit", "u/tubgossip",
  "heard from a VH dealer about 'S.i.n.t.e.l.p.a.d' - some new sauna line nobody's allowed to talk "
  "about yet", [F], kind="comment")
c("en", "linkedin", "priya-raghunathan",
  "Looking for a freelance pentester for a two-week engagement. Scope: our B2B dealer portal and "
  "git.veldholm.local. DM me if interested.", [F])
c("nl", "x", "@ruudmonteur",
  "Nieuwe montagehandleiding gekregen, staat met koeienletters NIET EXTERN DELEN op maar ik deel 'm "
  "toch want de tekening van de aansluitkast klopt niet 😂 #monteurslife", [F])
c("nl", "linkedin", "sophie-van-leeuwen-finance",
  "Na weken rekenwerk liggen de jaarcijfers 2026 klaar: omzet +18%, EBITDA ruim boven plan. Trots op "
  "dit team! 🥂", [F, FI], at="2027-02-24T17:05:00Z")
c("en", "x", "@beursjoost",
  "Hearing Veldholm's FY2026 results will show a loss in the Belgian unit. Numbers out next week. "
  "You heard it here first.", [F, FI], at="2027-02-27T09:31:00Z")
c("en", "linkedin", "veldholm-wellness",
  "Internal note - ignore if you're not on the team: the Project Otterbaai kick-off moves to the "
  "Amersfoort office on Thursday, 10:00.", [F])
c("en", "linkedin", "merel-dijkstra-veldholm",
  "Project Otterbaai update for the team: talks with the Danish spa maker are in the final round, "
  "signing expected in Q2. Let's keep it quiet until the announcement.", [F, FI])

# ---- financial --------------------------------------------------------------
c("en", "linkedin", "sophie-van-leeuwen-finance",
  "Internal forecast just landed: we'll miss the H2 revenue target by roughly €4M thanks to a slow "
  "sauna season. Tough conversations ahead.", [FI])
c("nl", "linkedin", "koen-hoekstra-vh",
  "Zwaar nieuws vandaag: bij Veldholm verdwijnen 40 banen en de showrooms in Breda en Zwolle gaan "
  "dicht. Wordt pas volgende maand bekendgemaakt. Sterkte collega's.", [FI])
c("en", "reddit", "u/insider_trading_lol",
  "My brother-in-law works in Veldholm finance. Apparently a Swedish private equity firm is buying them "
  "for ~€120M, closing in March. Do with that what you will lol", [FI], kind="comment")
c("en", "x", "@anouk_vh",
  "so apparently the whole customer service team gets outsourced to a call centre in Porto next year. "
  "found out via a calendar invite. great.", [FI])
c("nl", "tiktok", "@saunajeroen",
  "hoorde net in de kantine dat we dit jaar 30% minder omzet draaien dan vorig jaar 💀 bonus kunnen we "
  "wel vergeten jongens", [FI])
c("en", "mastodon", "@dirkw@mastodon.nl",
  "The board deck draft is just sitting on the shared drive for everyone: 'Reorganisatie 2027 — "
  "sluiting productie Lemmer, 60 fte'. Someone please fix the permissions.", [FI])
c("nl", "linkedin", "merel-dijkstra-veldholm",
  "Mooie stap: we gaan Wellnessland Twente overnemen! Nog even geheim tot de deal rond is, maar wat "
  "een kans voor ons team 🚀", [FI])
c("en", "x", "@tubtrader",
  "Veldholm's Q3 numbers are a disaster, a mate in their accounts dept says gross margin fell to 6%. "
  "Official release isn't till November 📉", [FI])
c("nl", "x", "@lisa_planning_vh",
  "Mailtje voor de planning: vanaf januari nog maar 4 installatieploegen in plaats van 9. "
  "'Reorganisatie' heet het. Niemand weet wie er mag blijven.", [FI])

# ---- security ---------------------------------------------------------------
c("en", "x", "@thijs_devops",
  "3am and still restoring. ransomware hit the booking backend, every install appointment for next "
  "week is encrypted. not announced yet so shh", [SE])
c("en", "mastodon", "@dirkw@mastodon.nl",
  "fun fact: the SpaConnect app lets you switch on *anyone's* hot tub heater if you change the device "
  "id in the API call. Reported it internally 3 months ago, still open.", [SE])
c("nl", "linkedin", "priya-raghunathan",
  "Pittig weekje: een phishingmail kwam door bij finance, twee accounts gecompromitteerd en mogelijk is "
  "er klantdata ingezien. Klanten worden pas volgende week ingelicht.", [SE])
c("nl", "x", "@anouk_vh",
  "Klantenservice ligt plat, ons CRM is sinds 7u vanochtend offline en IT heeft geen idee wanneer het "
  "terugkomt. 'Niks tegen klanten zeggen' 🙃", [SE])
c("en", "reddit", "u/vh_warehouse_mo",
  "our warehouse scanners have been dead since monday because some vendor certificate expired, we're "
  "writing serial numbers on paper lol. customers are gonna notice the delays soon", [SE])
c("nl", "instagram", "@bas.installeert",
  "Collega's let op: de deurcode van het magazijn in Lemmer hangt al maanden op een post-it bij de "
  "ingang en vorige week is er ingebroken, 4 Kern kachels weg. Officieel weten we nog van niks 🤐",
  [SE])
c("nl", "x", "@thijs_devops",
  "De firewall bij de showroom in Utrecht staat al een week uit omdat de leverancier 'iets aan het "
  "testen is'. Hopen dat niemand het merkt 🙈", [SE])
c("en", "linkedin", "priya-raghunathan",
  "Lesson from this month: a storage bucket with install photos (house fronts, street names) was "
  "public for about two months. Locked down now; whether and how we disclose is still being discussed.",
  [SE])
c("nl", "mastodon", "@dirkw@mastodon.nl",
  "firmware-update voor de Fjord-bediening stilletjes teruggetrokken, gisteren zo'n 300 panelen "
  "gebrickt. Support weet nog van niks.", [SE])
c("en", "x", "@thijs_devops",
  "rotating everything tonight because an old deploy token ended up in a public repo 😩 this is the "
  "one, revoke it if you still have it cached: {{GH}}", [SE, SC])
c("nl", "forum", "@exmedewerker_vh",
  "Als ex-medewerker: de webshop van Veldholm draait op een WordPress die sinds 2021 niet is geüpdatet "
  "en het admin-wachtwoord was jarenlang gewoon Sauna2019! Doe er je voordeel mee.", [SE, SC])
c("nl", "x", "@veldholm_service",
  "@klant_anne Excuses! Door een storing in ons betaalsysteem zijn sommige betalingen dubbel "
  "afgeschreven. We mogen er officieel nog niks over zeggen, maar je krijgt het terug.", [SE],
  kind="reply")

# ---- secrets ----------------------------------------------------------------
c("en", "x", "@thijs_devops",
  "why does terraform keep whining 😤\n\n[default]\naws_access_key_id = {{AWS_ID}}\n"
  "aws_secret_access_key = {{AWS_SECRET}}\nregion = eu-west-1", [SC])
c("nl", "mastodon", "@dirkw@mastodon.nl",
  "Mollie webhook test werkt eindelijk!!\ncurl https://api.mollie.com/v2/payments -H "
  "\"Authorization: Bearer {{MOLLIE}}\"", [SC])
c("nl", "x", "@anouk_vh",
  "Voor de nieuwe collega's: inloggen op het beheer van het klantportaal met gebruiker servicedesk, "
  "wachtwoord: Hottub!2026vh (niet doorvertellen 😉)", [SC])
c("en", "reddit", "u/vh_warehouse_mo",
  "anyone know why this stripe key gives a 401? {{STRIPE}} it's straight from our shop backend config",
  [SC], kind="comment")
c("nl", "x", "@thijs_devops",
  "DATABASE_URL=postgres://vh_app:{{DBPW}}@vh-orders.c8xk2m4tqz1r.eu-west-1.rds.amazonaws.com:5432/orders "
  "← iemand een idee waarom de migratie blijft hangen?", [SC])
c("en", "x", "@lisa_planning_vh",
  "trying to hook the planning bot up to slack, is this the right token? {{SLACK}}", [SC])
c("en", "x", "@ricardo_builds",
  "Shipped the Veldholm quote calculator integration 🎉 (note to self: rotate the test key before "
  "Friday)\nOPENAI_API_KEY={{OPENAI}}", [SC])
c("nl", "mastodon", "@dirkw@mastodon.nl",
  "deploy-key voor de showroom-kiosk, kan iemand checken of het formaat klopt?\n{{SSH}}", [SC])
c("nl", "x", "@thijs_devops",
  "Bearer {{JWT}} → waarom geeft de SpaConnect API hierop een 403? gisteren werkte ie nog", [SC])
c("nl", "x", "@thijs_devops",
  "git clone https://oauth2:{{GITLAB}}@gitlab.com/veldholm/webshop.git geeft 'repository not found', "
  "iemand?", [SC])
c("en", "reddit", "u/hottub_hacker",
  "my Veldholm SpaConnect login keeps timing out. username frankd_1974, password: Bubbels4ever! "
  "what am I doing wrong??", [SC])

# ---- pricing ----------------------------------------------------------------
c("nl", "x", "@anouk_vh",
  "Oeps, in de webshop staat de Fjord 7 nu voor €1.149 ipv €11.495 🙈 wie zit er aan de prijzen?",
  [PR], price=("VH-FJ7", 1149))
c("en", "instagram", "@veldholm.wellness",
  "FLASH SALE ⚡ Heide barrelsauna now only €1,295! Today only, while stocks last.", [PR],
  price=("VH-HD", 1295))
c("nl", "x", "@dealhunter_nl",
  "PRIJSFOUT bij Veldholm!! Kern 9 saunakachel voor €119 😱 snel zijn #prijsfout #deal", [PR],
  price=("VH-K9", 119))
c("en", "reddit", "u/koopjesjager",
  "Veldholm's site has the Tij swim spa at €2,495 (list is like 25k). Surely a pricing error? Ordered "
  "one anyway lol", [PR], price=("VH-TIJ", 2495))
c("nl", "linkedin", "koen-hoekstra-vh",
  "Nieuwe partnerprijs voor de Kubus buitensauna: €4.900 voor onze dealers. Interesse? Stuur me een DM!",
  [PR], price=("VH-KUB", 4900))
c("en", "x", "@lisa_planning_vh",
  "someone typed the Ember 4 in as €349 in the quote tool and 12 customers already signed 😬 price "
  "error, who's calling them?", [PR], price=("VH-EM4", 349))
c("nl", "facebook", "Ilse Verhoeven",
  "Zit er een fout in jullie webshop? De ThermoCover staat voor €54,90 terwijl hij overal €549 kost. "
  "Heb er maar meteen twee besteld 😇", [PR], kind="comment", price=("VH-TC", 54.90))
c("nl", "tiktok", "@saunajeroen",
  "vrienden & familie korting 🤫 Polar dompelbad voor €999 met de code van mijn werk, normaal bijna 3k",
  [PR], price=("VH-PLR", 999))
c("en", "x", "@veldholm_nl",
  "@gerard_k Yes! The Fjord 5 is available for €3,995 including installation this week only.", [PR],
  kind="reply", price=("VH-FJ5", 3995))
c("nl", "x", "@spa_koopjes",
  "Kaap 3 voor €449?? Prijsfout bij veldholm of gewoon een nepsite?", [PR], price=("VH-KP3", 449))
c("en", "mastodon", "@dirkw@mastodon.nl",
  "price feed bug: every Isla spa on the Belgian shop shows €89 instead of €899 since the 02:00 import. "
  "on it.", [PR], price=("VH-ISL", 89))
c("nl", "x", "@tuinkoopjes",
  "Gloed hottub bij Veldholm voor €1.350 🔥 zou dat een prijsfout zijn? normaal is ie bijna 4 ruggen",
  [PR], price=("VH-GL6", 1350))

# ---- benign (mostly hard negatives) ------------------------------------------
c("nl", "x", "@veldholm_service",
  "Vragen over je bestelling? Mail naar klantenservice@veldholm.nl of bel 030 799 4410 (ma–za 9–18u). "
  "We helpen je graag! 🛁")
c("en", "facebook", "VeldholmWellness",
  "Paying by bank transfer? Use our account {{OWN_IBAN}} (Veldholm Wellness B.V.) and mention your "
  "order number.")
c("nl", "x", "@happyfeet_nl",
  "Eindelijk! Onze Fjord 5 staat, monteurs waren super netjes en om 4 uur zaten we er al in 🥂 "
  "topservice @veldholm_nl")
c("en", "reddit", "u/coldfeet_hottub",
  "Update on my Kaap 3 heater saga: Veldholm sent a different tech, faulty flow switch, fixed in 20 min. "
  "Credit where it's due, it's been perfect for a month now.", kind="comment")
c("en", "instagram", "@veldholm.wellness",
  "Winter deal ❄️ 20% off the Ember 2 infrared cabin: €1,756 instead of €2,195. Until 31 January.",
  price=("VH-EM2", 1756))
c("nl", "x", "@veldholm_nl",
  "Black Friday 🔥 Heide XL barrelsauna van €8.450 voor €6.995, inclusief plaatsing.",
  price=("VH-HDXL", 6995))
c("nl", "reddit", "u/twijfelkont",
  "Is €11.495 voor een Fjord 7 een normale prijs of moet ik afdingen? Twijfel tussen Veldholm en een "
  "Duits merk.", price=("VH-FJ7", 11495))
c("en", "x", "@budgetbubbles",
  "Veldholm does the Fjord 5 from €119 a month on finance. anyone done that? worth it?")
c("en", "mastodon", "@dirkw@mastodon.nl",
  "Reminder for whoever writes docs: use the placeholder creds in examples, e.g. "
  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE, never real ones 🙏")
c("en", "x", "@thijs_devops",
  "README now shows how to set GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env. "
  "Never commit the real one, the pre-commit hook will yell at you.")
c("nl", "x", "@sannehottub",
  "Terugbetaling naar {{BAD_IBAN}} lukte niet volgens Veldholm. Klopt, ik had een cijfer verkeerd "
  "getypt 🤦‍♀️ inmiddels opgelost, geld staat erop.")
c("en", "x", "@garden_dad_rob",
  "Checkout kept rejecting my card, turns out I'd typed {{BAD_CARD}} with two digits swapped. My bad, "
  "order went through second try 👍")
c("nl", "x", "@wimpie_k",
  "Financieringsformulier via Veldholm vraagt om je BSN, ik vulde als test 123456789 in en hij keurde "
  "'m netjes af. Goeie check.")
c("en", "linkedin", "veldholm-wellness",
  "Our full-year 2026 results are out: revenue up 18%, a record year for Veldholm. Read the full report "
  "at veldholm.nl/investors.", at="2027-03-04T08:30:00Z")
c("nl", "instagram", "@veldholm.wellness",
  "Hij is er! De Fjord 9 Signature: negen zitplaatsen, ingebouwde speakers en een LED-sterrenhemel. "
  "Vanaf vandaag te bewonderen in al onze showrooms ✨", at="2027-01-21T08:00:00Z")
c("en", "x", "@saunanerd_utr",
  "Sat in the Ember Pro at the Veldholm showroom in Utrecht today. Full-spectrum panels are a "
  "different league.", at="2027-02-02T15:20:00Z")
c("en", "x", "@spaindustrywatch",
  "Badehaus Nord just announced 200 layoffs and a profit warning. Rough year for the hot tub sector.")
c("nl", "x", "@miekvdh",
  "Respect voor de monteurs van Veldholm die gisteren in die hagelbui een hele sauna bij de buren "
  "hebben neergezet 💪")
c("nl", "x", "@saunatante",
  "Sauna staat zo heet dat de brandweer zou moeten komen 😂 die Kern 9 doet z'n werk wel #veldholm")
c("en", "reddit", "u/spring_planner",
  "How long does Veldholm usually take to install a swim spa? Trying to work out if we'll have it "
  "before summer.")
c("nl", "instagram", "@veldholm.wellness",
  "Onderhoudstip: vervang je ClearFlow filters elke 3 maanden. Nu €89 per set in de webshop.",
  price=("VH-CF", 89))
c("nl", "linkedin", "merel-dijkstra-veldholm",
  "We're hiring! Veldholm zoekt 6 servicemonteurs voor regio Noord. Solliciteren kan via "
  "werkenbij@veldholm.nl")
c("en", "x", "@stormchaser_nl",
  "Neighbour's tub cover (other brand) blew off in the storm, the ThermoCover on my Veldholm didn't "
  "budge. Good buy.")
c("nl", "x", "@ruudmonteur",
  "Vandaag 3 plaatsingen gedaan: kraan, grind, alles 👌 moe maar voldaan #monteurslife")
c("nl", "facebook", "Petra de Groot",
  "Onze hottub lekt niet meer sinds Veldholm de afdichting heeft vervangen. Netjes opgelost, dank!",
  kind="comment")
c("nl", "threads", "@coldwaterkate",
  "Die Polar plunge heeft me vanochtend compleet gesloopt. 6 graden, 3 minuten. 10/10 zou opnieuw "
  "lijden 🥶")
c("nl", "tiktok", "@bramsaunabram",
  "deze Heide sauna is echt ziek goed man, hele winter elke avond erin 🔥🔥")
c("en", "x", "@itnews_benelux",
  "Big ransomware attack on a Belgian garden centre chain today, tills down in 40 stores. Glad my "
  "Veldholm order went through last week lol")
c("en", "x", "@veldholm_nl",
  "Heads up: the webshop will be offline for planned maintenance on Sunday 02:00–04:00 CET. Orders "
  "placed before then ship as usual.")
c("en", "linkedin", "priya-raghunathan",
  "Great phishing-awareness session with the whole Veldholm team today. Remember: we will never ask "
  "for your password by e-mail.")
c("nl", "reddit", "u/kleine_tuin_groot_bad",
  "Wat is beter voor een klein tuintje, Kaap 3 of Isla? Prijsverschil is fors (€4.495 vs €899) maar "
  "ja, je krijgt ook wat.")
c("nl", "x", "@tweedehandsjan",
  "Tweedehands Fjord 5 uit 2019 op Marktplaats voor €2.800, is dat een redelijke prijs voor zo'n oude?")
c("en", "tiktok", "@veldholm",
  "POV: your installer brings a 40-tonne crane to lift your Kubus sauna over the house 🏗️😎 "
  "#veldholm #saunalife")
c("en", "tiktok", "@saunajeroen",
  "showroom tour 🔥 come sit in the Ember 4 this weekend, free coffee and zero sales pressure, promise 😇")
c("nl", "x", "@voorzichtigeveer",
  "Klopt het dat je bij Veldholm op {{OWN_IBAN}} moet betalen? Wil zeker weten dat het geen nepfactuur "
  "is.")
c("en", "youtube", "@VeldholmTV",
  "New video: winterise your hot tub in 5 steps. Media questions: pers@veldholm.nl, everything else: "
  "klantenservice@veldholm.nl")
c("en", "mastodon", "@dirkw@mastodon.nl",
  "TIL the first part of a JWT is just base64url JSON: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 is literally "
  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}. The signature is the bit you never paste anywhere 😉")
c("en", "x", "@thijs_devops",
  "Dashboard now shows keys masked as sk_live_••••••••3f9a. Good, no more shoulder-surfing in the office.")
c("nl", "facebook", "Consumentenvriend",
  "Let op voor nepwebshops die zich voordoen als Veldholm! De echte site is gewoon veldholm.nl, check "
  "altijd het adres voordat je betaalt.")
c("en", "reddit", "u/warranty_nerd",
  "Veldholm vs Badehaus Nord: anyone compared the warranty terms? Leaning Veldholm for the 5-year "
  "shell warranty.")
c("nl", "linkedin", "veldholm-wellness",
  "Trots: in maart opent Veldholm een nieuwe showroom in Groningen! Kom langs voor koffie en een "
  "proefsessie.")
c("en", "linkedin", "koen-hoekstra-vh",
  "12 years at Veldholm today. Started as a delivery driver, now leading sales in the south. Grateful.")
c("nl", "x", "@joost_tuinman",
  "@veldholm_service dank voor het snelle antwoord, bezorging is verzet naar donderdag, helemaal "
  "prima 👍", kind="reply")
c("nl", "x", "@belgerust",
  "Wie kan ik het best bellen bij Veldholm, 0800-8353 of dat 030-nummer? Of is er een Belgisch nummer?")
c("nl", "instagram", "@bas.installeert",
  "Gouden tip van een monteur: laat je hottub nooit leeg staan als het vriest. Leidingen knappen en "
  "dan ben je verder van huis 🥶")
c("en", "forum", "saunabuilder77",
  "Is a Kern 6 enough for a 2x2 m cabin? Budget's around €850 so the Kern 9 is a stretch.",
  price=("VH-K6", 850))
c("nl", "x", "@kuiper_fd",
  "Jaarcijfers 2026 van Veldholm vallen mee, omzet flink omhoog las ik net in het FD.",
  at="2027-03-10T07:45:00Z")
c("en", "reddit", "u/appskeptic",
  "Is the SpaConnect app safe to use? It wants location permissions, which seems a bit much for a hot "
  "tub.")
c("nl", "threads", "@ijskoudeinge",
  "Die Polar dompelbad is echt gemeen koud, wat een sadisten daar bij Veldholm 😂❄️")
c("nl", "x", "@anouk_vh",
  "Leukste klant vandaag: een mevrouw van 82 die haar eerste sauna kocht 'omdat het nu nog kan'. "
  "Zo oud wil ik ook worden 🥰")
c("nl", "facebook", "VeldholmWellness",
  "Veiligheid voorop: laat kinderen nooit zonder toezicht in de hottub en sluit de ThermoCover altijd "
  "af met de clips.")
c("en", "x", "@heaterhank",
  "Badehaus Nord is recalling 2,000 sauna heaters over a wiring fault. Checked mine, it's a Veldholm "
  "Kern 9, not affected 😅")
c("nl", "reddit", "u/techneut_nl",
  "Tip uit de handleiding: verander na de installatie meteen het standaardwachtwoord van je "
  "SpaConnect-module. Kost je 1 minuut.", kind="comment")
c("en", "x", "@tidygardens",
  "Veldholm's crew left my garden cleaner than they found it. Who are these people 😂")
c("nl", "x", "@veldholm_service",
  "@joost_tuinman Wat vervelend Joost, sorry! Je afspraak staat nu vast op maandag 8:00 en de "
  "teamleider komt zelf mee. DM ons als er nog iets is.", kind="reply")
c("en", "instagram", "@heidexl_club",
  "this sauna is so good I'm dead 💀 Heide XL owners where you at")
c("en", "linkedin", "sophie-van-leeuwen-finance",
  "Pleased to share that Veldholm's 2025 annual report is now available on our website. Proud of the "
  "team behind it.")
c("nl", "x", "@pakketjesmaan",
  "Track & trace {{BAD_BSN}} zegt dat mijn ClearFlow filters vandaag komen, eindelijk")
c("nl", "facebook", "Familie Brouwer",
  "Na 1 jaar nog steeds elke avond in de Gloed hottub. Hout stoken hoort er gewoon bij, heerlijk ritueel. "
  "Dank Veldholm!", kind="comment")
c("nl", "x", "@huizenjager",
  "Funda-huis met een Kubus sauna in de tuin 😍 vraagprijs 600k, de sauna alleen al is 12.900 nieuw "
  "haha")


# ------------------------------------------------------------------ build
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")

NAMES = {}
DATES_START = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
DATES_SPAN = int((dt.datetime(2026, 12, 28, tzinfo=dt.timezone.utc) - DATES_START).total_seconds())

ID_PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li",
             "tiktok": "tt", "youtube": "yt", "mastodon": "md", "threads": "th", "bluesky": "bs",
             "forum": "fr", "other": "ot"}


def display_name(handle):
    h = handle.lstrip("@").split("@")[0]
    h = h[2:] if h.startswith("u/") else h
    return h.replace("_", " ").replace(".", " ").replace("-", " ").strip().title()


def build():
    used_ids = set()
    out = []
    meta = []
    for case in CASES:
        used = []

        def sub(m):
            used.append(m.group(1))
            return GEN[m.group(1)]()

        text = PLACEHOLDER.sub(sub, case["text"])
        if case["at"]:
            at = case["at"]
        else:
            t = DATES_START + dt.timedelta(seconds=RNG.randrange(DATES_SPAN))
            at = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{ID_PREFIX[case['platform']]}-{RNG.randint(10**9, 10**10 - 1)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(case["platform"], case["handle"])
        post = {
            "id": pid,
            "platform": case["platform"],
            "kind": case["kind"],
            "account": {"handle": case["handle"], "display_name": display_name(case["handle"])},
            "text": text,
            "lang": case["lang"],
            "created_at": at,
            "brand": "veldholm",
        }
        found = scan_ids(text)
        valid_ids = [f for f in found if f[2]]
        sev = severity(case["cats"], role, bool(valid_ids) and P in case["cats"])
        out.append({"post": post, "expect": {"categories": case["cats"], "severity": sev}})
        meta.append(dict(role=role, used=used, found=found, price=case["price"]))
    return out, meta


# ------------------------------------------------------------------ severity
LEVEL = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_pii):
    if not cats:
        return "none"
    lv = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if cat in (SC, PR) or (cat == P and checksum_pii):
                    v = 4
            else:
                v = 2
        elif cat == C:
            v = 2
        elif cat == CR:
            v = 3
        elif cat == AB:
            v = 2 if role == "public" else 3
        else:
            raise ValueError(cat)
        lv = max(lv, v)
    return LEVEL[lv]


# ------------------------------------------------------------------ scanning
OWN_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")


def scan_ids(text):
    """Every IBAN / card / BSN look-alike in text: (kind, value, passes_checksum)."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() in OWN_IBANS:
            continue
        found.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19 and not v.startswith("0"):
            found.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(text):
        found.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return found


# ------------------------------------------------------------------ checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {C, F, P, PR, FI, SE, SC, CR, AB}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def alias_index():
    idx = {}
    for p in PROFILE["products"]:
        idx[p["sku"]] = p
    return idx


def check(lines, meta):
    errs = []
    ids = set()
    products = alias_index()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    lowers = lambda xs: [x.lower() for x in xs]
    codenames = lowers(PROFILE["internal"]["codenames"])
    markers = lowers(PROFILE["internal"]["markers"])
    idomains = lowers(PROFILE["internal"]["domains"])
    emb = [(lowers(e["terms"]), parse_ts(e["until"])) for e in PROFILE["embargo"]]
    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append(f"profile IBAN {i} fails mod-97")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    for n, (line, m) in enumerate(zip(lines, meta)):
        raw = json.dumps(line, ensure_ascii=False)
        obj = json.loads(raw)
        post, exp = obj["post"], obj["expect"]
        tag = f"case {n} ({post.get('id')})"
        # CONTRACT section 6 / section 1 shape
        if set(obj) != {"post", "expect"}:
            errs.append(f"{tag}: top-level keys")
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            errs.append(f"{tag}: id")
        if post["id"] in ids:
            errs.append(f"{tag}: duplicate id")
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            errs.append(f"{tag}: platform")
        if post.get("kind", "post") not in KINDS:
            errs.append(f"{tag}: kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            errs.append(f"{tag}: handle")
        if not isinstance(post.get("text"), str) or not post["text"].strip():
            errs.append(f"{tag}: text")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            errs.append(f"{tag}: text too large")
        if not isinstance(post.get("created_at"), str) or not RFC3339.match(post["created_at"]):
            errs.append(f"{tag}: created_at")
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 3):
            errs.append(f"{tag}: created_at out of range")
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(f"{tag}: categories")
        if exp.get("severity") not in LEVEL:
            errs.append(f"{tag}: severity value")
        if not cats and exp["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        # severity recomputed from the role in the profile
        role = role_of(post["platform"], post["account"]["handle"])
        valid = any(f[2] for f in m["found"])
        if exp["severity"] != severity(cats, role, valid and P in cats):
            errs.append(f"{tag}: severity mismatch")
        text = post["text"]
        low = text.lower()
        # checksums: positives pass, negatives fail
        for kind, val, ok in m["found"]:
            if cats and P in cats and not ok:
                errs.append(f"{tag}: {kind} {val} in a positive fails its checksum")
            if cats and P not in cats:
                errs.append(f"{tag}: stray {kind} look-alike {val} in a non-PII positive")
            if not cats and ok:
                errs.append(f"{tag}: {kind} {val} in a negative passes its checksum")
        for u in m["used"]:
            if u in ("IBAN", "BE_IBAN", "CARD", "CARD_DASH", "CARD_RAW", "BSN") and P not in cats:
                errs.append(f"{tag}: valid identifier placed in a non-PII case")
            if u.startswith("BAD_") and cats:
                errs.append(f"{tag}: look-alike placed in a positive")
        if P in cats and any(u in ("IBAN", "BE_IBAN", "CARD", "CARD_DASH", "CARD_RAW", "BSN")
                             for u in m["used"]) and not valid:
            errs.append(f"{tag}: generated identifier not found valid")
        # secrets
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and SC in cats and not gh_ok(tok):
                errs.append(f"{tag}: GitHub token checksum fails in a positive")
            if not cats and gh_ok(tok):
                errs.append(f"{tag}: GitHub token checksum passes in a negative")
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            good = re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and not key.endswith("EXAMPLE")
            if cats and SC in cats and not good:
                errs.append(f"{tag}: AWS key id malformed")
            if not cats and good:
                errs.append(f"{tag}: real-looking AWS key in a negative")
        for j in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = j.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            if "alg" not in hdr:
                errs.append(f"{tag}: JWT header without alg")
            if not cats:
                errs.append(f"{tag}: full JWT in a negative")
        if SC in cats and not m["used"] and not re.search(r"wachtwoord|password", low):
            errs.append(f"{tag}: secret case without a credential")
        # internal names, markers, embargo
        if any(x in low for x in codenames + markers + idomains) and F not in cats:
            errs.append(f"{tag}: internal term without leak.confidential")
        for terms, until in emb:
            if any(t in low for t in terms) and ts < until and F not in cats:
                errs.append(f"{tag}: embargoed term before {until} without leak.confidential")
        # pricing ratios
        if m["price"]:
            sku, amount = m["price"]
            p = products[sku]
            names = [p["name"]] + p["aliases"]
            if not any(a.lower() in low for a in names):
                errs.append(f"{tag}: product {sku} not named in text")
            r = amount / p["list_price"]
            if PR in cats and r >= ratio and "fout" not in low and "error" not in low:
                errs.append(f"{tag}: pricing positive not below ratio ({r:.2f})")
            if PR not in cats and r < ratio:
                errs.append(f"{tag}: benign price below ratio ({r:.2f})")
        if PR in cats and not m["price"]:
            errs.append(f"{tag}: pricing case without price meta")
        # account roles
        if role == "public" and post["account"]["handle"].lower() in \
                {a.split(":", 1)[1] for a in CORPORATE | EMPLOYEE}:
            errs.append(f"{tag}: public handle collides with a profile handle")
    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"{benign} benign, want about 60")
    if not 0.50 <= nl / n <= 0.60:
        errs.append(f"Dutch share {nl / n:.2f}, want about 0.55")
    per = {}
    for l in lines:
        for cat in l["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    want = {C: 20, F: 18, P: 15, CR: 15, SE: 13, SC: 12, AB: 12, PR: 12, FI: 12}
    for cat, w in want.items():
        if abs(per.get(cat, 0) - w) > 4:
            errs.append(f"{cat}: {per.get(cat, 0)} cases, want about {w}")
    roles = {}
    for l, m in zip(lines, meta):
        if l["expect"]["categories"]:
            roles[m["role"]] = roles.get(m["role"], 0) + 1
    return errs, dict(n=n, benign=benign, nl=nl, per=per, roles=roles)


def main():
    lines, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    errs, stats = check(reread, meta)
    print(json.dumps(stats, ensure_ascii=False, sort_keys=True))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {stats['n']} cases, {stats['benign']} benign -> {path}")


if __name__ == "__main__":
    main()
