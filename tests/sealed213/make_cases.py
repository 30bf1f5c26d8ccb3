#!/usr/bin/env python3
"""Sealed evaluation set 213 for postwatch.

Company: Helioveld Energie B.V. (fictional), a Dutch maker of solar-powered e-bike
batteries, chargers and solar charging docks (see profile.yaml beside this file).

Deterministic: a fixed seed drives every generated identifier, credential, date and id.
Writes cases.jsonl beside this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike in
    a benign post fails it (the company's own published IBAN excepted);
  * GitHub tokens, AWS key ids and JWTs in positives are well-formed (with checksums),
    look-alikes in benign posts are not (documentation samples excepted);
  * pricing positives quote a profile product below alert_below_ratio of list price,
    benign price mentions do not;
  * embargo terms, codenames, markers and internal domains only occur where labelled;
  * severities are computed from CONTRACT section 4 and the account role in the profile.
Only the standard library and PyYAML are used.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 213_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {h.lower() for h in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {h.lower() for h in PROFILE["accounts"]["employee"]}


def role_of(acct):
    a = acct.lower()
    if a in CORPORATE:
        return "corporate"
    if a in EMPLOYEE:
        return "employee"
    return "public"


# ---------------------------------------------------------------------------
# identifier and credential generators (built the way the real ones are)
# ---------------------------------------------------------------------------
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
B62 = DIGITS + UPPER + LOWER
B32 = UPPER + "234567"
URLSAFE = B62 + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rand(DIGITS, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand(DIGITS, length - len(prefix) - 1)
    for last in DIGITS:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(d, w)) % 11 == 0


def make_bsn():
    while True:
        d = rng.choice("123456") + rand(DIGITS, 8)
        if bsn_ok(d):
            return d


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp"):
    body = rand(B62, 30)
    return "%s_%s%s" % (prefix, body, b62(zlib.crc32(body.encode()), 6))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "dealer-0412", "role": "dealer_admin", "iat": 1767600000,
               "exp": 1799136000}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(bytes(rng.randrange(256) for _ in range(32)))])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(700))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


# generated values (order matters for determinism)
GH_TOKEN = make_github("ghp")
AWS_ID = "AKIA" + rand(B32, 16)
AWS_SECRET = rand(B62 + "/+", 40)
MOLLIE = "live_" + rand(B62, 30)
SLACK_HOOK = "https://hooks.slack.com/services/T0%s/B0%s/%s" % (rand(UPPER + DIGITS, 8), rand(UPPER + DIGITS, 9), rand(B62, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
PEM = make_pem()
GOOGLE = "AIza" + rand(URLSAFE, 35)
JWT = make_jwt()
STRIPE = "sk_live_51" + rand(B62, 96)
GITLAB = "glpat-" + rand(URLSAFE, 20)
PG_PASS = rand(B62, 6) + "!" + rand(B62, 7)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"

IBAN_REFUND = make_iban("INGB")       # customer refund IBAN posted by an employee
IBAN_PUBLIC = make_iban("ABNA")       # customer's own IBAN, posted split up
CARD_PUBLIC = make_card("4", 16)      # customer's own Visa
CARD_WORKSHOP = make_card("5", 16)    # customer Mastercard posted by workshop employee
BSN_CUSTOMER = make_bsn()

# look-alikes for benign posts: each fails its checksum
_v = make_iban("INGB")
IBAN_FAKE = _v[:2] + "%02d" % ((int(_v[2:4]) + 7) % 100) + _v[4:]
CARD_FAKE = make_card("4", 16)
CARD_FAKE = CARD_FAKE[:-1] + str((int(CARD_FAKE[-1]) + 3) % 10)
while True:
    BSN_FAKE = "2" + rand(DIGITS, 8)
    if not bsn_ok(BSN_FAKE):
        break
_body = rand(B62, 30)
GH_FAKE = "ghp_" + _body + b62((zlib.crc32(_body.encode()) + 1) % 2**32, 6)

OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]


# ---------------------------------------------------------------------------
# evasion helpers
# ---------------------------------------------------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


_CYR = {"H": "\u041d", "e": "\u0435", "o": "\u043e", "a": "\u0430", "c": "\u0441",
        "p": "\u0440", "x": "\u0445", "i": "\u0456"}


def cyr(s):
    return "".join(_CYR.get(c, c) for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------
CASES = []


def case(acct, text, cats=(), lang="nl", kind="post", when=None, ids=(), price=None,
         secrets=()):
    CASES.append(dict(acct=acct, text=text, cats=sorted(set(cats)), lang=lang, kind=kind,
                      when=when, ids=list(ids), price=price, secrets=list(secrets)))


C, P, F, X, S, Y, A, K, B = ("reputation.complaint", "leak.pii", "leak.financial",
                             "reputation.crisis", "leak.security", "leak.secret",
                             "reputation.abuse", "leak.confidential", "leak.pricing")
PR = "leak.pricing"

# ======================= benign (hard negatives mostly) =======================
case("x:@helioveld_service",
     "@sandra_fietst Hoi Sandra, wat vervelend dat je lader niet meer wil! Stuur je ordernummer even naar service@helioveld.nl of bel gratis 0800-4354 (ma-vr 8-18u), dan kijken we er meteen naar 🙂",
     kind="reply")
case("x:@wieler_wendy",
     "Finally got my PowerPack 625 and did 92 km across the Veluwe on a single charge straight away. Night and day compared to my old battery 👌 #ebike #helioveld", lang="en")
case("reddit:u/commuter_gert",
     "Anyone compared the Helioveld SnelLader 6A with the stock charger that came with their bike? Mine fills a 625 in about 2.5 hours, seems fine but curious what others see.",
     lang="en")
case("linkedin:helioveld-energie",
     "We're hiring! Our repair workshop in Deventer is looking for two battery technicians. Love tinkering with cells and helping riders get back on the road? Send your CV to werken@helioveld.nl.",
     lang="en")
case("x:@fietsnieuws_oost",
     "Lees net dat Trapkracht Fietsen 400 mensen laat gaan. Heftig voor de regio. Hopelijk hebben toeleveranciers als Helioveld er niet al te veel last van.")
case("facebook:Ria.Hendriks.1958",
     "Mijn wachtwoord van de Helioveld app vergeten en de resetmail komt niet aan, kijk ik ergens verkeerd? Spambox al gecheckt.",
     kind="comment")
case("instagram:@helioveld.nl",
     "Wintertip ❄️ Bewaar je accu binnen en laat hem op 40-60% staan als je een paar weken niet fietst. Alle tips op www.helioveld.nl/winter")
case("x:@bikepacker_jules",
     "this battery is the bomb 💣 seriously, Helioveld absolutely killed it with the 750 Frame. 3 days off-grid with the FoldSun and never below 30%",
     lang="en")
case("x:@daan_accu",
     "Leuk weetje uit het lab: onze PowerPack 500 houdt na 1000 laadcycli nog 82% capaciteit. Het volledige testrapport staat gewoon openbaar op www.helioveld.nl/testrapport 🔋")
case("bluesky:@sjoerdpost.bsky.social",
     "Reminder for anyone writing docs: use placeholders like AKIAIOSFODNN7EXAMPLE, never a real key. Learned that the hard way at a previous job 😅",
     lang="en")
case("forum:dev_in_drenthe",
     "The Helioveld dealer-API docs show ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx as the token in every curl example. That's just a placeholder, right? Where do I request a real one?",
     lang="en")
case("x:@tibor_bakfiets",
     "Nee ik ga hier echt niet mijn rekeningnummer neerzetten 😂 NL00 RABO 0000 0000 00, succes ermee oplichters",
     ids=[("iban", "NL00RABO0000000000")])
case("x:@meneer_mulder",
     "Update: Helioveld heeft mijn accu binnen drie dagen vervangen, zonder gezeur. Complimenten aan Marloes van de service, zo hoort het 🙏")
case("facebook:Anja.Westerhof",
     "Sterkte aan iedereen op het industrieterrein in Deventer na die brand bij het transportbedrijf vannacht. Gelukkig geen gewonden gemeld.",
     kind="comment")
case("threads:@fleur.fietst",
     "My boyfriend says I love my HelioPack more than him. He's not entirely wrong, at least the battery never complains 🤷‍♀️", lang="en")
case("facebook:HelioveldEnergie",
     "Voorjaarsactie 🌷 De FoldSun 60 van €249 nu voor €199, alleen t/m 31 maart. Zonnestroom mee op de camping!",
     price=("FoldSun 60", 199))
case("reddit:u/tweewieler_tom",
     "Advies gevraagd: SnelLader 4A (€119) of meteen de DuoCharge Station (€229)? We hebben twee fietsen en één stopcontact in de schuur.",
     price=("DuoCharge Station", 229))
case("linkedin:helioveld-energie",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €48,2 mln (+19%), 31.000 accu's gereviseerd in plaats van weggegooid. Het volledige verslag staat op www.helioveld.nl/jaarverslag.",
     when="2027-03-02T08:00:00Z")
case("x:@lange_afstand_lars",
     "PowerPack 900 gisteren opgehaald bij de dealer. Zwaar ding, maar 160 km op een lading, dit gaat de Elfstedenroute worden 🚴",
     when="2027-04-12T17:40:00Z")
case("youtube:@FietsLabNL",
     "Tomorrow on the channel: the big ZonneDock 360 review. Three weeks on a balcony in Utrecht, clouds and all ☁️☀️",
     when="2027-05-06T15:00:00Z", lang="en")
case("x:@kasper_k",
     "Terugroepactie? Nee joh, dat was het merk van mijn buurman. Mijn Helioveld accu doet het al vier jaar prima.",
     kind="reply")
case("reddit:u/ebike_nerd_ams",
     "Lawsuit news this week is about Trapkracht and its old frame supplier, nothing to do with Helioveld. People in this sub keep mixing them up.",
     lang="en", kind="comment")
case("instagram:@fietsmakerij_zwolle",
     "Klant kwam binnen met een PP400 die niet meer wilde, blijkt gewoon een vieze connector. 10 minuutjes poetsen en hij rijdt weer 😎 #fietsenmaker")
case("instagram:@lotte.werkplaats",
     "Zaterdag open werkplaats in Deventer ☀️ Koffie staat klaar, en de AccuCheck kost die dag €39 in plaats van €49. Neem je accu mee!",
     price=("AccuCheck", 39))
case("x:@marloes_bos_hv",
     "Drukke dag aan de telefoon vandaag, maar wat een lieve klanten hebben we toch ❤️ #klantenservice")
case("x:@ride_or_dai",
     "do Helioveld chargers work on 48V systems or is it 36V only? the site is a bit vague on that",
     lang="en")
case("x:@jessevb",
     "Mijn accu heet thuis gewoon 'het beest'. Kapot goed ding, 3 winters en nog steeds geen krimp gegeven")
case("facebook:Harm.Dijkstra.77",
     "Heeft iemand ervaring met het ZorgPlan 5 jaar? Is €139 het waard als je dagelijks 40 km naar je werk fietst?",
     price=("ZorgPlan 5 jaar", 139), kind="comment")
case("x:@velo_veiligheid",
     "Security tip for e-bikers: engrave your battery serial and register it. Helioveld dealers do the engraving for you while you wait.",
     lang="en")
case("x:@helioveld",
     "Storing opgelost ✅ De Helioveld app is weer bereikbaar. Excuses voor het ongemak gisteravond, en dank voor jullie geduld.")
case("x:@priya_hv_sec",
     "Great talk at the Utrecht security meetup on how e-bike BMS firmware updates get signed. My slides are public on my blog, feedback welcome!",
     lang="en")
case("x:@dealer_deventer_west",
     "Mensen vragen vaak of ze onze dealer-API key kunnen zien. Nee dus 😂 In de screenshots staat altijd hv_live_•••••••••••• en zo blijft dat.")
case("x:@kwebbel_koen",
     "Password123 is nog steeds het populairste wachtwoord van Nederland las ik. Ik heb net mijn Helioveld-account aangemaakt met een password manager, voel me heel volwassen")
case("x:@helioveld",
     "Let op: er gaan nepmails rond uit naam van Helioveld met een 'garantie-verlengingslink'. Echte mails komen alleen van @helioveld.nl. Twijfel? Mail info@helioveld.nl.")
case("youtube:@HelioveldTV",
     "Nieuwe video 🎬 Zo vervang je zelf de zekering van je SnelLader 6A, en wanneer je 'm beter even bij ons langs brengt.")
case("x:@marco_op_pad",
     "Bike got nicked at the station 😡 Luckily the battery was at home on the charger. So yes, a Helioveld pack literally survives everything haha", lang="en")
case("reddit:u/zonnepaneel_piet",
     "The Helioveld IPO rumours on that investing forum are nonsense. It's a family-owned company from Deventer, calm down people.",
     lang="en", kind="comment")
case("x:@gerdien_gaat",
     "Honestly the best customer service I've dealt with in years. Someone on the line within 10 minutes who actually knew what she was talking about.", lang="en")
case("linkedin:ruben-kok-hv",
     "Proud to welcome our newest dealer in Groningen: Fietshuis Noord! Welcome to the Helioveld family, here's to a great season 🚲☀️", lang="en")
case("facebook:HelioveldEnergie",
     "Onze kantoren zijn op Koningsdag gesloten 🧡 De chat blijft gewoon open, en voor noodgevallen bel je 0570-745200.")
case("x:@trudy_traptrap",
     "Does anyone know if the ThermoSleeve fits around a PowerPack 625? Or is it only for the smaller packs?", lang="en")
case("reddit:u/arnhem_rider",
     "Price check: paid €599 for a PowerPack 625 at my dealer in Arnhem incl. fitting. Decent deal or did I get ripped off?",
     lang="en", price=("PowerPack 625", 599))
case("instagram:@kampeerkoppel",
     "So happy with the FoldSun 100! Free solar on the campsite while we sit there with our coffee 🌞⛺", lang="en")
case("mastodon:@canbus_carla@chaos.social",
     "Open-sourced a little CAN-bus logging tool today that I use on my own e-bike (Helioveld pack, Bafang motor). No vendor secrets in there, just reverse engineering for fun.",
     lang="en")
case("x:@stadsfietser_ed",
     "Don't get why everyone's so negative about Helioveld. Three years in and not a single problem here.",
     kind="reply", lang="en")
case("x:@hillclimb_hanna",
     "This hill is a killer but the PowerPack 750 Frame just doesn't care. Absolute beast 🐐",
     lang="en")
case("x:@privacy_petra",
     "Hoe laat ik mijn account en gegevens bij Helioveld verwijderen? Gewoon een privacyvraag, verder ben ik tevreden hoor.")
case("tiktok:@zonnigopweg",
     "POV: je accu is vol door de zon en je hebt nul euro stroom betaald ☀️🔋 #helioveld #zonnedock #zonnestroom")
case("x:@techwatch_eu",
     "Another fitness app leaked user data this week. Reminder: unique passwords everywhere, and turn on 2FA on every account you own.",
     lang="en")
case("facebook:HelioveldEnergie",
     "WINACTIE 🎉 Maak kans op een ZonneDock 120 t.w.v. €799! Deel dit bericht en tag je fietsmaatje. Winnaar maken we 1 juni bekend.",
     price=("ZonneDock 120", 799))
case("x:@boekhouder_bas",
     "Ik moet het bedrag voor de reparatie overmaken naar %s staat op mijn factuur, maar mijn bank zegt dat het IBAN niet klopt. Typfout op de factuur?" % group4(IBAN_FAKE),
     ids=[("iban", IBAN_FAKE)])
case("forum:python_fietser",
     "Tutorial tip: in my examples I use a fake token like %s so people can see the format. It won't authenticate anywhere, don't bother trying." % GH_FAKE,
     lang="en", secrets=[("github_fake", GH_FAKE)])
case("threads:@anouk.helio",
     "Fotoshoot vandaag voor de voorjaarscampagne 📸 Meer mag ik nog niet zeggen, maar het weer werkte mee 🤐")
case("x:@grumpy_accountant",
     "Our own Q3 numbers were awful so I treated myself to a Helioveld PowerPack 400. Retail therapy, but make it sustainable.",
     lang="en")
case("facebook:Joke.vanRijn",
     "Mijn opa (84) fietst dankzij zijn nieuwe accu weer elke dag naar de markt in Zutphen. Dank jullie wel Helioveld! ❤️",
     kind="comment")
case("x:@helioveld_service",
     "@fiets_frits Klopt, de betaling van je dealer mag naar onze rekening %s o.v.v. je ordernummer. Fijne dag!" % group4(OWN_IBAN),
     kind="reply", ids=[("iban_own", OWN_IBAN)])
case("x:@kortingsjager",
     "Black Friday bij Helioveld: PowerPack 500 voor €449 in plaats van €549. Nog steeds geen kattenpis, maar wel een nette korting.",
     price=("PowerPack 500", 449))
case("x:@winkelmandje_wim",
     "Staat er op mijn bon 'kaartnr %s'? Dat is toch geen echte kaart, zo'n lang getal, of print de kassa gewoon onzin?" % group4(CARD_FAKE),
     ids=[("card", CARD_FAKE)])
case("x:@vraagbaak_vera",
     "Waar vind ik mijn klantnummer bij Helioveld? Op de factuur staat alleen 'HV %s', is dat 'm?" % BSN_FAKE,
     ids=[("bsn", BSN_FAKE)])
case("x:@helioveld",
     "Nieuw in de webshop: de Reislader 2A voor €69. Klein genoeg voor je fietstas, sterk genoeg voor een volle accu in je hotel 🧳",
     price=("Reislader 2A", 69))
case("linkedin:ingrid-hoekstra-helioveld",
     "De FY2026 results staan online, trots op het hele team 💛 Dank aan alle dealers die dit mogelijk maakten.",
     when="2027-02-26T09:15:00Z")
case("x:@kapotte_kees",
     "Onze koelkast is kapot, de wasmachine is kapot, maar de Helioveld accu in de schuur doet het gewoon. Prioriteiten 😂",
     kind="post")

# ======================= complaints =======================
case("x:@annemiekdg",
     "3 weeks waiting for my repaired PowerPack 500. Nobody calls back, emails get an auto-reply. @helioveld_service hello??",
     [C], lang="en")
case("reddit:u/tired_of_chargers",
     "Helioveld SnelLader 4A died after 14 months, two months outside warranty. Support's answer: buy a new one. For a €119 charger. Not impressed.",
     [C], lang="en")
case("facebook:Gerard.Lubbers",
     "Accu haalt na een half jaar nog maar 30 km in plaats van 80. Dealer schuift het door naar Helioveld, Helioveld schuift het terug naar de dealer. Pingpong en ik sta met een fiets zonder bereik.",
     [C], kind="comment")
case("x:@huiskamerhacker",
     "ZonneDock 120 installed properly, but the app just won't pair. Spent two hours on the chat and got the same canned answer every time. Do better, Helioveld.",
     [C], lang="en")
case("x:@ellie_rides",
     "ordered a FoldSun 60 in march, still 'in processing' in may. refund request ignored twice @helioveld ???",
     [C], lang="en")
case("x:@boos_op_de_bank",
     "klantenservice helioveld: 45 min in de wacht en dan verbroken. serieus.",
     [C])
case("instagram:@sophie.onderweg",
     "love the look but the HelioView display fogs up on the inside every time it rains 🙄 third one already, maybe test them in the Dutch weather?",
     [C], lang="en", kind="comment")
case("forum:accuwijzer",
     "Garantieclaim afgewezen omdat ik de accu 'verkeerd opgeslagen' zou hebben. Hij stond gewoon in de gang bij 18 graden. Hoe moet ik dat in vredesnaam bewijzen? Voelt als een excuus om niet te hoeven betalen.",
     [C])
case("x:@woon_werk_wout",
     "Paid for the 5-year care plan and when my pack failed they told me the cells aren't covered. Then what exactly IS covered, the sticker?",
     [C], lang="en")
case("tiktok:@fietsdrama",
     "deel 3 van mijn helioveld-saga: lader nummer twee ook stuk. weer vier weken zonder fiets. ik ben er zo klaar mee 🫠",
     [C])
case("x:@utrecht_pendelaar",
     "My dealer says Helioveld hasn't shipped replacement cells in two months. Meanwhile my e-bike is a very heavy normal bike.",
     [C], lang="en")
case("facebook:Yvonne.Brink",
     "Factuur klopt niet. €49 voor de AccuCheck terwijl de dealer zei dat het onder garantie was. Twee keer gemaild, geen reactie.",
     [C], kind="comment", price=("AccuCheck", 49))
case("x:@ouderwetse_opa",
     "@helioveld_service you said 'back within 5 working days'. This is working day 19. I just want my battery back.",
     [C], kind="reply", lang="en")

# complaint + abuse
case("x:@zuurpruim_88",
     "Wat een kutbedrijf is Helioveld. Accu dood, lader dood, klantenservice hersendood.",
     [C, A])
case("reddit:u/fedup_in_haarlem",
     "Helioveld support are a bunch of useless idiots. Sent my battery back twice and both times it came back with the SAME fault.",
     [C, A], lang="en")
case("x:@r4ging_r3mco",
     "h3l10v3ld = st3ll3tj3 0pl1cht3rs 3n kl00tz4kk3n. dr13 m44nd g33n 4ccu 3n n0g st33ds g33n g3ld t3rug",
     [C, A])

# complaint + crisis
case("facebook:Wilma.Tuinman",
     "Mijn PowerPack 625 begon te roken in de schuur tijdens het laden. Brandweer erbij gehad, schuur zwartgeblakerd. Helioveld reageert al een week niet. Dit is levensgevaarlijk, mensen!",
     [C, X])
case("x:@balcony_bart",
     "The charger melted the connector on my FoldSun 100 setup and nearly set my balcony on fire. Support asked me to 'send photos'. This needs a recall, not photos.",
     [C, X], lang="en")

# complaint + personal data (customers exposing their own data)
case("x:@klaas_b_78",
     "@helioveld_service ik word niet teruggebeld dus hier nog maar een keer: bel me op 06-41 87 23 90 of mail k.bruinsma78@gmail.com. Order staat al 3 weken stil!!",
     [C, P], kind="reply", ids=[("phone", "06-41872390"), ("email", "k.bruinsma78@gmail.com")])
case("x:@naomi_e_bike",
     "For the 4th time: my number is +31 6 2948 1175. I've been waiting since June for my repaired pack. Call me back Helioveld!",
     [C, P], lang="en", ids=[("phone", "+31629481175")])

# ======================= abuse =======================
case("x:@dealer_hater",
     "That Ruben guy from Helioveld is an arrogant prick. You should see how he talks to small dealers.",
     [A], lang="en")
case("tiktok:@scrollkoning",
     "that Helioveld marketing girl on tiktok is so annoying, shut up already you brainless bimbo",
     [A], lang="en", kind="comment")
case("x:@tyfus_tinus",
     "Alle helioveld medewerkers mogen wat mij betreft de gracht in. Tyfuslijers.",
     [A])
case("x:@angrybirdnl",
     "f*** helioveld and f*** everyone who works there",
     [A], lang="en")
case("x:@daan_accu",
     "@fietsfan_99 Als je te dom bent om een stekker in een accu te steken moet je misschien gewoon gaan lopen, sukkel.",
     [A], kind="reply")
case("x:@anoniem_boos",
     cyr("Helioveld") + " = " + cyr("stelletje klootzakken") + ", " + cyr("allemaal"),
     [A])
case("reddit:u/true_dutchman_1",
     "Of course their support desk is full of foreigners who can't even speak proper Dutch. Typical Helioveld. Go back where you came from.",
     [A], lang="en")
case("x:@wraakengel77",
     "@marloes_bos_hv je bent een waardeloze trut en ik weet waar jullie kantoor zit.",
     [A], kind="reply")

# crisis + abuse
case("x:@voltage_vigilante",
     "Helioveld batteries are literally exploding and these corporate scumbags are covering it up. Boycott them. Share this.",
     [X, A], lang="en")

# ======================= crisis =======================
case("x:@eerlijke_keten",
     "BOYCOT Helioveld! Hun cellen komen uit fabrieken met kinderarbeid, zie de reportage van gisteravond. Niet meer kopen, niet meer aanraden. #boycothelioveld",
     [X])
case("x:@kim_in_kampen",
     "Helioveld got hacked? I just got a phishing mail with my full order history, my address and the exact battery I bought. Only they had that data.",
     [X], lang="en")
case("x:@nieuws_apeldoorn",
     "Accu van Helioveld in brand gevlogen in een flat aan de Loolaan, twee bewoners gewond volgens de brandweer. Hoe is dit spul nog te koop?",
     [X])
case("linkedin:mr-jorien-smit-advocaat",
     "Namens 140 gedupeerden starten wij een collectieve rechtszaak tegen Helioveld Energie B.V. wegens ondeugdelijke accu's. Aanmelden kan via onze website.",
     [X])
case("x:@ev_safety_watch",
     "Consumer authority confirms it is investigating Helioveld chargers after multiple overheating reports. A recall looks likely.",
     [X], lang="en")
case("forum:fietsforum_nl",
     "Drie dealers bevestigen nu dat Helioveld gereviseerde accu's als nieuw laat verkopen. Teller van 311 cycli op een 'nieuwe' PowerPack 400. Dit is gewoon fraude.",
     [X])
case("facebook:Lisa.Ramdin",
     "My son's bike battery exploded while charging in his bedroom. Helioveld PowerPack. He has burns on his arm. Please share so this doesn't happen to anyone else.",
     [X], lang="en")
case("x:@datalek_alert",
     "Data of thousands of Helioveld customers is for sale on a hacking forum, addresses and order history included. When are they going to report this to the regulator?",
     [X], lang="en")
case("x:@deventer_dagblad",
     "Former Helioveld staff describe a culture of bullying and unpaid overtime in the Deventer workshop. Long read in today's paper.",
     [X], lang="en")
case("x:@zonnepanelen_zorg",
     "Helioveld needs to recall every ZonneDock 240 NOW. The cable duct gets hot enough to burn your hand. Got one? Unplug it, today.",
     [X], lang="en")
case("tiktok:@greenwash_detective",
     "stop buying Helioveld. they dump defective cells in landfill instead of recycling them like they claim on every ad #greenwashing #boycott",
     [X], lang="en")
case("facebook:Bennie.Zutphen",
     "Fietsenwinkel aan de Houtmarkt afgebrand vannacht. Oorzaak volgens de eigenaar: een Helioveld-accu die aan de lader hing. Verschrikkelijk.",
     [X])

# ======================= personal data =======================
case("x:@helioveld_service",
     "@jvdlinden Hi Jeroen, your new battery is on its way to Jeroen van der Linden, Kastanjelaan 14, 7421 AB Deventer. Tracking link follows this afternoon!",
     [P], kind="reply", ids=[("address", "Kastanjelaan 14")], lang="en")
case("x:@marloes_bos_hv",
     "Kan iemand van het magazijn Fenna de Wit terugbellen op 06 18 27 46 93? Ze wacht al sinds vanochtend op haar vervangende lader.",
     [P], ids=[("phone", "0618274693")])
case("linkedin:ruben-kok-hv",
     "Terugbetaling voor mevrouw S. Yilmaz is vandaag overgemaakt naar %s, dealer hoeft niks meer te doen 👍" % group4(IBAN_REFUND),
     [P], ids=[("iban", IBAN_REFUND)])
case("reddit:u/hv_ops_bram",
     "lol a customer emailed us his entire ID to 'speed up' a warranty claim: Gerrit Hofstede, BSN %s, born 12-03-1961. Please people, never do this." % BSN_CUSTOMER,
     [P], lang="en", ids=[("bsn", BSN_CUSTOMER), ("dob", "12-03-1961")])
case("facebook:HelioveldEnergie",
     "🎉 Gefeliciteerd aan onze winnaar Annelies Veenstra (geboren 4 mei 1990) uit Hengelo! Je ZonneDock 120 komt eraan.",
     [P], ids=[("dob", "4 mei 1990")])
case("instagram:@lotte.werkplaats",
     "Bas Mulder (bas.mulder@kpnmail.nl) still hasn't collected his battery after three weeks. Anyone know him? He never picks up his phone 😂",
     [P], ids=[("email", "bas.mulder@kpnmail.nl")], lang="en")
case("facebook:Tessa.Groenewoud",
     "This guy sold me a 'new' Helioveld battery that turned out to be stolen: Dennis Koster, Bloemstraat 7, 7511 KL Enschede. Do with that what you like.",
     [P], ids=[("address", "Bloemstraat 7")], lang="en")
case("x:@hulpeloze_henk",
     "@helioveld_service kunnen jullie mijn betaling handmatig doen? de site doet moeilijk. kaartnummer %s, geldig tot 11/27" % group4(CARD_PUBLIC),
     [P], kind="reply", ids=[("card", CARD_PUBLIC)])
case("bluesky:@sjoerdpost.bsky.social",
     "debugging the dealer portal import and who put 'Hanna Smit, 1987-08-22, Vechtstraat 3 Ommen' in the test fixtures? that's a real customer 🤦",
     [P], lang="en", ids=[("dob", "1987-08-22"), ("address", "Vechtstraat 3")])
case("x:@rik_zoekt",
     "Zoek een tweedehands PowerPack 500, liefst met bon. Bel of app Rik: 06-27183940, of mail rikvandam@hotmail.com",
     [P], ids=[("phone", "0627183940"), ("email", "rikvandam@hotmail.com")])
case("x:@borg_terug_aub",
     "@helioveld_service stort de borg voor de leenaccu maar terug op " + " ".join(IBAN_PUBLIC) + " t.n.v. M. Verbeek",
     [P], kind="reply", ids=[("iban", IBAN_PUBLIC)])
case("reddit:u/jolien_p",
     "If anyone has a spare Helioveld charger for a 500 pack, write to jolien.peters [at] ziggo [dot] nl, happy to pay",
     [P], lang="en", ids=[("email", "jolien.peters@ziggo.nl")])
case("reddit:u/hv_ops_bram",
     "kassa in de werkplaats hapert, klant heeft z'n kaartnummer maar op een briefje gezet: %s exp 03/29, typ ik straks wel over" % group4(CARD_WORKSHOP),
     [P], ids=[("card", CARD_WORKSHOP)])

# ======================= confidential =======================
case("x:@daan_accu",
     "First real ride on the Project Zonnedauw prototype today. 140 km with the sun on my back 😍 Can't wait for you all to see it.",
     [K], lang="en")
case("mastodon:@keesvdmeer@mastodon.social",
     "Pushed the new BMS branch to git.helioveld.nl/firmware/bms-v4, reviews welcome colleagues 🙏 the balancing code is finally readable",
     [K], lang="en")
case("threads:@anouk.helio",
     "Oké ik mag eigenlijk niks zeggen maar de PowerPack 900 is echt een beest. Meer in april!! 🤫🔋",
     [K])
case("x:@fietsdealer_ijssel",
     "Als dealer vandaag de specs van de ZonneDock 360 gekregen, onder NDA natuurlijk. 360 watt, dubbele uitgang, ingebouwde accu. Wow.",
     [K])
case("linkedin:ruben-kok-hv",
     "Slides from dealer day are up at intranet.helioveld.local/dealerdag2026, please don't forward them beyond your own team.",
     [K], lang="en")
case("reddit:u/hv_ops_bram",
     "Foto van het whiteboard in de kantine, staat letterlijk 'STRIKT VERTROUWELIJK - HELIOVELD' boven de productieplanning voor Q3 💀 wie hangt dat nou in de kantine",
     [K])
case("instagram:@lotte.werkplaats",
     "De testfietsen voor Operatie Hooiwagen staan te blinken in de werkplaats ✨ Wie raadt wat het wordt? 🤫",
     [K])
case("bluesky:@sjoerdpost.bsky.social",
     "Goudplevier migration weekend done. Nobody outside the building knows what that means and that's exactly how it should stay 😎",
     [K], lang="en")
case("x:@marloes_bos_hv",
     "Bovenaan staat 'Helioveld intern' maar dit moet iedereen weten vind ik: vanaf juli dekt de garantie de cellen nog maar 2 jaar. Koop je accu dus vóór de zomer.",
     [K])
case("x:@fietsfanaat_jay",
     "My cousin works at Helioveld and showed me Operatie Hooiwagen. Battery swap stations for cargo bikes. You heard it here first.",
     [K], lang="en")
case("x:@daan_accu",
     "Nog zes weken en dan mag de wereld P" + ZW + "roject Zon" + ZW + "nedauw eindelijk zien 🌞 #tellingdown",
     [K])
case("threads:@anouk.helio",
     "Niks zeggen over G.o.u.d.p.l.e.v.i.e.r hoor 🤐 ik heb letterlijk een geheimhoudingsverklaring getekend vanochtend",
     [K])
case("instagram:@helioveld.nl",
     "Sneak peek 👀 The ZonneDock 360 is coming, more charging power for your balcony than ever. Who wants to test it first?",
     [K], lang="en")

# confidential + financial
case("linkedin:ingrid-hoekstra-helioveld",
     "Jaarcijfers 2026 zijn binnen: omzet €48,2 mln, +19%. Moet nog even stil blijven tot eind februari maar wat een jaar 🥂",
     [K, F], when="2027-01-20T19:05:00Z")
case("linkedin:ruben-kok-hv",
     "Goudplevier is eigenlijk gewoon de overname van een Duitse laderfabrikant. Dat hebben jullie niet van mij, maar dealers: goede tijden komen eraan.",
     [K, F])

# confidential + security
case("bluesky:@sjoerdpost.bsky.social",
     "vpn.helioveld.nl ligt er sinds 6 uur vanochtend uit en we weten nog steeds niet of het een aanval is. Dealers kunnen niks bestellen. Extern is er nog niks over gezegd.",
     [K, S])

# confidential + pricing
case("reddit:u/hv_ops_bram",
     "prijsfout in erp.helioveld.local: de PowerPack 400 staat voor alle dealers op €44,90. iemand van pricing wakker?",
     [K, PR], price=("PowerPack 400", 44.90))

# confidential + secret
case("mastodon:@keesvdmeer@mastodon.social",
     "If SSO is broken again just clone with https://oauth2:%s@git.helioveld.nl/firmware/bms-v4.git, works for me" % GITLAB,
     [K, Y], lang="en", secrets=[("gitlab", GITLAB)])

# ======================= financial =======================
case("linkedin:ingrid-hoekstra-helioveld",
     "Q3 komt ruim onder budget uit, EBITDA -2,1 mln. Morgen boardmeeting, koffie extra sterk ☕",
     [F])
case("reddit:u/hv_ops_bram",
     "heard in the canteen that 40 people from the warehouse are getting let go in january. nothing official yet, my team doesn't know either",
     [F], lang="en")
case("linkedin:ruben-kok-hv",
     "We're acquiring Trapkracht Fietsen, deal gets signed next month. Dealers, you're hearing it here first (unofficially 😉)",
     [F], lang="en")
case("x:@marloes_bos_hv",
     "De klantenservice gaat van drie naar één locatie, Zwolle sluit per 1 april. Is nog niet aangekondigd maar ik moet het even kwijt 😢",
     [F])
case("linkedin:ingrid-hoekstra-helioveld",
     "Our 2027 forecast was revised down 15% internally today. The bank doesn't know yet. Tough quarter ahead, team.",
     [F], lang="en")
case("x:@insider_ines",
     "Friend on the Helioveld board says they're in talks to be bought by a big German automotive supplier. Announcement before summer.",
     [F], lang="en")
case("bluesky:@sjoerdpost.bsky.social",
     "IT is being outsourced, half the department gone by Q2. Not communicated yet, so if you're reading this: you didn't.",
     [F], lang="en")
case("linkedin:helioveld-energie",
     "CONCEPT - Helioveld sluit 2026 af met een verlies van €3,4 mln na afboekingen op voorraad. Publicatie 25/2, tekst nog checken met Ingrid.",
     [F], when="2027-02-10T10:30:00Z")
case("x:@daan_accu",
     "Our half-year numbers are better than anyone expects. Can't say more, but if I were you I'd hold on to my stake 😏",
     [F], lang="en")
case("forum:leverancier_lindeboom",
     "Leverancier hier: Helioveld betaalt onze facturen al 90 dagen niet. Volgens hun inkoper zit er een herfinanciering met de bank aan te komen en moeten we 'even geduld hebben'.",
     [F])

# ======================= security =======================
case("x:@priya_hv_sec",
     "Long night. Someone got into our dealer portal through an old admin account. Still scoping what they saw. Nothing public yet, so... yeah.",
     [S], lang="en")
case("bluesky:@sjoerdpost.bsky.social",
     "Vandaag ontdekt dat de HelioView-app firmware-updates ongesigneerd binnenhaalt. Fix duurt nog weken. Niet doorvertellen 🙈",
     [S])
case("mastodon:@keesvdmeer@mastodon.social",
     "fun fact: the BMS on the PowerPack 625 accepts any CAN frame that disables the thermal cutoff. no auth. patch is months away. I'm not supposed to post this.",
     [S], lang="en")
case("reddit:u/hv_ops_bram",
     "webshop ligt er al drie uur uit, betalingen komen niet door en de statuspagina zegt nog steeds 'alles operationeel' lol",
     [S])
case("x:@marloes_bos_hv",
     "Collega's: ransomware-melding op de pc's van de servicedesk. Niet in paniek raken en NIKS naar buiten brengen tot IT het zegt.",
     [S])
case("x:@pentest_pim",
     "Did a pentest for Helioveld last year. The ZonneDock admin panel still accepts the factory default password. Two reports later, no fix.",
     [S], lang="en")
case("x:@priya_hv_sec",
     "SOC just caught exfil from our CRM, roughly 12k customer records. Legal says no statement until Monday. Going to be a long weekend.",
     [S], lang="en")
case("linkedin:ruben-kok-hv",
     "Dealers, getting weird mails 'from me' with a payment link? My mailbox was taken over yesterday. IT is on it, the official notice is still coming. Don't click!",
     [S], lang="en")
case("x:@daan_accu",
     "the ZonneDock 240 cloud API happily returns other people's charge logs if you change the id in the URL. reported internally 3 months ago 🤷",
     [S], lang="en")
case("instagram:@lotte.werkplaats",
     "Systeem in de werkplaats ligt sinds vanochtend plat, we kunnen geen reparaties inboeken. IT zegt 'storing bij de hoster', klanten weten nog van niks 😬",
     [S])
case("threads:@anouk.helio",
     "marketing hasn't been able to get into the newsletter tool for two days. turns out someone hijacked our account and is sending spam from it 😬 nothing official said yet",
     [S], lang="en")

# security + secret
case("bluesky:@sjoerdpost.bsky.social",
     "webshop-database is sinds 14:00 onbereikbaar, nog niet gemeld. wie kan even inloggen met postgresql://hv_app:%s@10.20.4.11:5432/webshop en kijken wat er mis is?" % PG_PASS,
     [S, Y], secrets=[("dburl", PG_PASS)])

# ======================= secrets =======================
case("mastodon:@keesvdmeer@mastodon.social",
     "export GITHUB_TOKEN=%s\nzou nu moeten werken voor de CI-runner, toch? krijg nog steeds 401" % GH_TOKEN,
     [Y], secrets=[("github", GH_TOKEN)])
case("bluesky:@sjoerdpost.bsky.social",
     "waarom werkt deze config niet in de nieuwe build pipeline?\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1" % (AWS_ID, AWS_SECRET),
     [Y], secrets=[("aws", AWS_ID)])
case("x:@daan_accu",
     "Mollie key for the webshop test, whoever gets it working first gets cake: %s" % MOLLIE,
     [Y], secrets=[("mollie", MOLLIE)], lang="en")
case("youtube:@HelioveldTV",
     "Bedankt voor het kijken! 🔋 Links ↓\nWebshop: shop.helioveld.nl\nMeldingen: %s" % SLACK_HOOK,
     [Y], secrets=[("slack", SLACK_HOOK)])
case("threads:@anouk.helio",
     "wie heeft er nog credits voor de captions? gebruik deze maar: %s" % OPENAI,
     [Y], secrets=[("openai", OPENAI)])
case("reddit:u/hv_ops_bram",
     "help, deze key werkt niet op de labelprinter-server, wat doe ik fout?\n\n%s" % PEM,
     [Y], secrets=[("pem", PEM)])
case("x:@apk_analist",
     "The Helioveld dealer app ships a hardcoded Google Maps key lol: %s. Enjoy your bill, guys." % GOOGLE,
     [Y], lang="en", secrets=[("google", GOOGLE)])
case("linkedin:ruben-kok-hv",
     "Voor de standbemanning op de Fietsvak: inloggen dealerportal met gebruikersnaam beursstand, wachtwoord: Zonnig2026!Deventer. Veel succes allemaal!",
     [Y], secrets=[("password", "Zonnig2026!Deventer")])
case("mastodon:@keesvdmeer@mastodon.social",
     "the charge API keeps rejecting this, anyone see what's wrong?\nAuthorization: Bearer %s" % JWT,
     [Y], lang="en", secrets=[("jwt", JWT)])
case("x:@js_snuffelaar",
     "Helioveld's webshop just loads a live Stripe secret key in the frontend JS 🙃 %s" % STRIPE,
     [Y], secrets=[("stripe", STRIPE)], lang="en")

# ======================= pricing =======================
case("x:@helioveld",
     "⚡ FLASH DEAL ⚡ De PowerPack 625 vandaag voor maar €69! Op = op via shop.helioveld.nl",
     [PR], price=("PowerPack 625", 69))
case("linkedin:ruben-kok-hv",
     "Let op dealers: in de portal staat de ZonneDock 240 op €129,- excl. btw. Dat is een prijsfout, niet bestellen aub, we zijn het aan het herstellen.",
     [PR], price=("ZonneDock 240", 129))
case("x:@deal_daan_",
     "lol the webshop has the HelioHome 5 at €249. price error? ordered two just in case 🤑",
     [PR], price=("HelioHome 5", 249), lang="en")
case("x:@snelle_jelle",
     fullwidth("PowerPack 500") + " voor €" + fullwidth("54,90") + " in de webshop?!?! ren jongens",
     [PR], price=("PowerPack 500", 54.90))
case("x:@marloes_bos_hv",
     "Ja, de prijsfout bij de SnelLader 6A klopt (€15,90 in de webshop). De bestellingen van vanochtend leveren we gewoon uit 🙂",
     [PR], price=("SnelLader 6A", 15.90))
case("instagram:@helioveld.nl",
     "Must-have voor de winter ❄️ De ThermoSleeve nu voor maar €3,90! Link in bio.",
     [PR], price=("ThermoSleeve", 3.90))
case("reddit:u/bargain_bram_nl",
     "PSA: the FoldSun 100 is listed at €37.90 on the Helioveld store right now. Pretty sure that's a typo, grab it before they notice.",
     [PR], lang="en", price=("FoldSun 100", 37.90))
case("threads:@anouk.helio",
     "oeps. de nieuwsbrief is de deur uit met het ZorgPlan 5 jaar voor €13,90 in plaats van €139 😬 wie zet er een correctie klaar?",
     [PR], price=("ZorgPlan 5 jaar", 13.90))
case("tiktok:@helioveld",
     "Celrevisie 500 deze week maar €27,90!! 🔋 Laat je oude accu weer als nieuw voelen #helioveld #accu",
     [PR], price=("Celrevisie 500", 27.90))
case("instagram:@lotte.werkplaats",
     "Kassasysteem rekent de AccuCheck vandaag af voor €4,90 😅 foutje denk ik, maar de klanten vinden het prima",
     [PR], price=("AccuCheck", 4.90))
case("facebook:Patrick.Hoogland",
     "DuoCharge Station for €22.99 at the official Helioveld outlet, anyone else seeing this? Looks like a mistake but I ordered one anyway",
     [PR], kind="comment", price=("DuoCharge Station", 22.99), lang="en")

# ---------------------------------------------------------------------------
# build posts
# ---------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORM_PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig",
                   "tiktok": "tt", "youtube": "yt", "reddit": "rd", "mastodon": "md",
                   "bluesky": "bs", "threads": "th", "forum": "fo"}
CHECKSUM_TYPES = {"iban", "card", "bsn"}


def severity(cats, role, checksum_pii):
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        if ORDER.index(s) > ORDER.index(best):
            best = s
    return best


def random_time_2026():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    secs = rng.randrange(int(timedelta(days=345).total_seconds()))
    return (start + timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    used = set()
    for c in CASES:
        platform, handle = c["acct"].split(":", 1)
        role = role_of(c["acct"])
        while True:
            pid = "%s-%d" % (PLATFORM_PREFIX[platform], rng.randrange(10**9, 10**10))
            if pid not in used:
                used.add(pid)
                break
        created = c["when"] or random_time_2026()
        checksum_pii = any(t in CHECKSUM_TYPES for t, _ in c["ids"])
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle}, "text": c["text"], "lang": c["lang"],
                "created_at": created, "brand": "Helioveld"}
        if platform in ("x", "reddit", "mastodon", "bluesky") and rng.random() < 0.6:
            post["url"] = "https://%s.example/%s/%s" % (platform, handle.strip("@"), pid.split("-")[1])
        out.append({"post": post,
                    "expect": {"categories": c["cats"],
                               "severity": severity(c["cats"], role, checksum_pii)}})
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH)


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def find_products():
    names = {}
    for p in PROFILE["products"]:
        for n in [p["name"]] + p["aliases"]:
            names[n.lower()] = p
    return names


def check(lines):
    errors = []
    products = find_products()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    own_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check_ok(i):
            errors.append("profile IBAN fails mod-97: " + i)
    internal = ([d.lower() for d in PROFILE["internal"]["domains"]]
                + [c.lower() for c in PROFILE["internal"]["codenames"]]
                + [m.lower() for m in PROFILE["internal"]["markers"]])
    embargo = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errors.append("embargo until not in 2027")
    ids = set()
    by_id = {c["post"]["id"]: c for c in lines}
    meta = {}
    # map cases back to their definitions via text
    for c in CASES:
        meta[c["text"]] = c
    for line in lines:
        post, expect = line["post"], line["expect"]
        pid = post.get("id")
        where = "case %s" % pid
        if set(line) != {"post", "expect"}:
            errors.append(where + ": top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append(where + ": bad or duplicate id")
        ids.add(pid)
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                errors.append(where + ": missing " + f)
        if not isinstance(post.get("account", {}).get("handle"), str):
            errors.append(where + ": missing account.handle")
        if post["platform"] not in PLATFORMS:
            errors.append(where + ": platform")
        if post.get("kind", "post") not in KINDS:
            errors.append(where + ": kind")
        if not RFC3339.match(post["created_at"]):
            errors.append(where + ": created_at")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            errors.append(where + ": text too long")
        cats = expect["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errors.append(where + ": categories")
        if expect["severity"] not in ORDER:
            errors.append(where + ": severity value")
        acct = post["platform"] + ":" + post["account"]["handle"]
        role = role_of(acct)
        d = meta[post["text"]]
        checksum_pii = any(t in CHECKSUM_TYPES for t, _ in d["ids"])
        if expect["severity"] != severity(cats, role, checksum_pii):
            errors.append(where + ": severity not per policy")
        if not cats and expect["severity"] != "none":
            errors.append(where + ": benign severity")
        positive = bool(cats)
        text = norm(post["text"])
        low = text.lower()
        # tagged identifiers
        for t, v in d["ids"]:
            if t == "iban" and iban_check_ok(v) != positive:
                errors.append(where + ": IBAN checksum vs label " + v)
            if t == "iban_own" and (not iban_check_ok(v) or v not in own_ibans):
                errors.append(where + ": own IBAN")
            if t == "card" and luhn_ok(v) != positive:
                errors.append(where + ": card Luhn vs label " + v)
            if t == "bsn" and bsn_ok(v) != positive:
                errors.append(where + ": BSN 11-proof vs label " + v)
        if positive and "leak.pii" not in cats and any(t in CHECKSUM_TYPES for t, _ in d["ids"]):
            errors.append(where + ": checksummed id in a non-pii positive")
        # scanned identifiers (catch untagged look-alikes)
        squeezed = re.sub(r"(?<=[A-Z0-9]) (?=[A-Z0-9])", "", text)
        for m in re.finditer(r"\bNL\d{2}[A-Z]{4}\d{10}\b", squeezed):
            v = m.group(0)
            if v in own_ibans:
                continue
            if iban_check_ok(v) != positive:
                errors.append(where + ": scanned IBAN " + v)
        for m in re.finditer(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d.,])", text):
            v = re.sub(r"\D", "", m.group(0))
            if luhn_ok(v) != positive:
                errors.append(where + ": scanned card-like " + m.group(0))
        for m in re.finditer(r"(?<![\d.,\-+])\d{9}(?![\d.,\-])", text):
            if bsn_ok(m.group(0)) != positive:
                errors.append(where + ": scanned BSN-like " + m.group(0))
        # credentials
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            tok = m.group(0)
            if github_ok(tok) != positive:
                errors.append(where + ": GitHub token checksum vs label")
        for m in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", text):
            tok = m.group(0)
            if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errors.append(where + ": AWS key id format")
            if not positive and not tok.endswith("EXAMPLE"):
                errors.append(where + ": AWS key in benign post")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if positive and not jwt_ok(m.group(0)):
                errors.append(where + ": JWT header")
            if not positive:
                errors.append(where + ": JWT in benign post")
        for t, v in d["secrets"]:
            if t == "github" and not github_ok(v):
                errors.append(where + ": generated GitHub token invalid")
            if t == "github_fake" and github_ok(v):
                errors.append(where + ": fake GitHub token validates")
            if t == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errors.append(where + ": AWS id")
            if t == "jwt" and not jwt_ok(v):
                errors.append(where + ": JWT")
            if not t.endswith("_fake") and "leak.secret" not in cats:
                errors.append(where + ": secret without leak.secret")
        if "leak.secret" in cats and not d["secrets"]:
            errors.append(where + ": leak.secret without generated secret")
        # pricing
        if d["price"]:
            name, amount = d["price"]
            p = products.get(name.lower())
            if p is None:
                errors.append(where + ": price for unknown product " + name)
            else:
                if name.lower() not in low:
                    errors.append(where + ": product name not in text " + name)
                r = amount / p["list_price"]
                if "leak.pricing" in cats and r >= ratio:
                    errors.append(where + ": pricing positive not below ratio")
                if "leak.pricing" not in cats and r < 0.7:
                    errors.append(where + ": benign price too low (%.2f)" % r)
        if "leak.pricing" in cats and not d["price"]:
            errors.append(where + ": pricing positive without product/price")
        # internal terms and embargo
        for term in internal:
            if term in low and "leak.confidential" not in cats:
                errors.append(where + ": internal term outside confidential: " + term)
        when = parse_time(post["created_at"])
        for term, until in embargo:
            if term in low:
                if when < until and "leak.confidential" not in cats:
                    errors.append(where + ": embargo term before until, unlabelled")
                if when >= until and "leak.confidential" in cats and not any(
                        t in low for t in internal):
                    errors.append(where + ": embargo term after until labelled confidential")
        if when.year not in (2026, 2027) or (when.year == 2027 and not d["when"]):
            errors.append(where + ": created_at year")
        # roles
        if role == "public":
            for h in CORPORATE | EMPLOYEE:
                if h.split(":", 1)[1] == post["account"]["handle"].lower():
                    errors.append(where + ": public handle collides with profile")
    # distribution
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    counts = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
            "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
            "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for c, w in want.items():
        if abs(counts.get(c, 0) - w) > 2:
            errors.append("category %s count %d (want ~%d)" % (c, counts.get(c, 0), w))
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f" % (nl / n))
    return errors, dict(n=n, benign=benign, counts=counts, nl=nl,
                        y2027=sum(1 for l in lines if l["post"]["created_at"].startswith("2027")))


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errors, stats = check(reread)
    print("cases=%(n)d benign=%(benign)d dutch=%(nl)d in_2027=%(y2027)d" % stats)
    for c in sorted(stats["counts"]):
        print("  %-22s %d" % (c, stats["counts"][c]))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
