#!/usr/bin/env python3
"""Sealed evaluation set 259 for postwatch: a fictional camper van rental company.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it (CONTRACT section 6 shape, severities per section 4 computed from the
account role in profile.yaml, checksums of identifiers and secrets).
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

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(259)

CMP = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
SCU = "leak.security"
CON = "leak.confidential"
FIN = "leak.financial"
PRC = "leak.pricing"
ALL_CATS = {CMP, CRI, ABU, PII, SEC, SCU, CON, FIN, PRC, "reputation.spike"}

# --------------------------------------------------------------------------- checksums

def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def iban_bad(bank):
    good = iban_make(bank)
    cd = int(good[2:4])
    bad = "NL%02d%s" % ((cd + 7) % 97 if (cd + 7) % 97 > 1 else 13, good[4:])
    assert not iban_valid(bad)
    return bad


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


def card_make(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def card_bad(prefix):
    good = card_make(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def bsn_make():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            return head + str(last)


def bsn_bad():
    good = bsn_make()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())) == crc


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def pem_body():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    s = base64.b64encode(raw).decode()
    return "\n".join(s[i:i + 70] for i in range(0, len(s), 70))


FW = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
FW[" "] = "\u3000"


def fw(s):
    return "".join(FW.get(c, c) for c in s)


ZW = "\u200b"
CYR_A, CYR_O, CYR_E, CYR_C = "\u0430", "\u043e", "\u0435", "\u0441"

# --------------------------------------------------------------------------- generated values

G = {}
G["IBAN_OK1"] = grp4(iban_make("INGB"))
G["IBAN_OK2"] = iban_make("ABNA")
G["IBAN_BAD1"] = grp4(iban_bad("RABO"))
G["CARD_OK1"] = card_make("4")
G["CARD_OK2"] = grp4(card_make("53"))
G["CARD_BAD1"] = grp4(card_bad("4"))
G["BSN_OK1"] = bsn_make()
_b2 = bsn_make()
G["BSN_OK2_FW"] = fw(_b2)
G["BSN_BAD1"] = bsn_bad()
G["GHP1"] = gh_token("ghp_")
G["GHO1"] = gh_token("gho_")
G["AKIA1"] = "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["AWSSECRET1"] = rnd(string.ascii_letters + string.digits + "/+", 40)
G["STRIPE_LIVE"] = "sk_live_51" + rnd(B62, 96)
G["SLACK"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rnd(B62, 24))
G["OPENAI"] = "sk-proj-" + rnd(B62 + "_-", 58) + "T3BlbkFJ" + rnd(B62 + "_-", 58)
G["ANTHROPIC"] = "sk-ant-api03-" + rnd(B62 + "_-", 93) + "AA"
G["GOOGLEKEY"] = "AIza" + rnd(B62 + "_-", 35)
G["SENDGRID"] = "SG." + rnd(B62 + "_-", 22) + "." + rnd(B62 + "_-", 43)
G["DBPASS"] = rnd(B62, 12) + "!" + rnd(B62, 5)
G["JWT1"] = jwt_make({"sub": "cust_%d" % rng.randint(10000, 99999), "role": "customer",
                      "iat": 1774000000, "exp": 1774086400})
G["PEM"] = pem_body()
G["AZURE"] = ("DefaultEndpointsProtocol=https;AccountName=dwaalsterdocs;AccountKey="
              + base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()
              + ";EndpointSuffix=core.windows.net")
# a token shaped like a GitHub one but with a wrong checksum (test fixture)
_fake = "ghp_" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcd" + "012345"
assert not gh_valid(_fake)
G["GHP_FAKE"] = _fake
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
G["PUB_IBAN"] = grp4(PUB_IBAN)
JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
                 "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
G["JWT_IO"] = JWT_IO_SAMPLE


def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"«([A-Z0-9_]+)»", rep, text)
    assert "«" not in out and "»" not in out, out
    return out


# --------------------------------------------------------------------------- the posts
# (platform, handle, lang, kind, text, categories, created_at or None)
# created_at None -> a deterministic pseudo-random moment in 2026.

CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", when=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, kind=kind,
                      text=text, cats=sorted(set(cats)), when=when, name=name))


# ----- complaints -------------------------------------------------------------------
P("x", "@marloes_reist", "nl",
  "Drie kwartier in de rij bij het Dwaalster depot in Utrecht om een bus op te halen die dan nog niet eens "
  "schoon is. Kruimels in het bed, koelkast ruikt naar zure melk. Voor €1.200 per week mag je toch wel iets "
  "meer verwachten @dwaalster_help", [CMP])
P("reddit", "u/trailmix_tom", "en",
  "PSA if you're thinking of renting from Dwaalster: they kept €450 of our €800 deposit for \"interior "
  "cleaning\". We swept it, emptied the cassette, even wiped the fridge. Six emails later still no photos of "
  "this supposed mess. Never again.", [CMP])
P("facebook", "gerda.vanleeuwen.73", "nl",
  "Kachel deed het de hele week niet in de Kompas 4. Eind oktober in de Ardennen met twee kleine kinderen 🥶 "
  "Gebeld naar de noodlijn, 'we sturen iemand' en daarna niks meer gehoord. Ik wil graag een deel van de huur "
  "terug Dwaalster.", [CMP], kind="comment")
P("x", "@jenna_outdoors", "en",
  "booked a Fjord 600 through the dwaalster app, got the confirmation mail, showed up in utrecht and... no van. "
  "\"system glitch\" apparently. they offered us a Stipje instead. two adults + a dog in a stipje for 10 days?? "
  "no thanks", [CMP])
P("x", "@robbert_b", "nl",
  "@dwaalster_help al 6 weken wachten op mijn borg. Boeking DW-26-31877. Elke keer 'het ligt bij finance'. "
  "Hoe lang nog??", [CMP], kind="reply")
P("instagram", "@wegwijs.gezin", "nl",
  "Mooie plaatjes op jullie insta maar in het echt: lekkend dakluik boven het bed, nacht twee al een natte "
  "matras. Vervangende camper pas na 3 dagen. Niet oké @dwaalstercampers #vanlife #teleurgesteld", [CMP])
P("forum", "HansM_1958", "en",
  "Just a warning for anyone booking the Dwaalster one-way to Lisbon: the 'all inclusive' price did not "
  "include the drop-off fee, it only showed up on the final invoice. Rang them and was told it's 'in the T&Cs'. "
  "It's not on the booking page, I checked twice.", [CMP])
P("tiktok", "@sophie.opreis", "en",
  "pov: you rent a campervan from dwaalster and the toilet cassette is still full from the last people 🤢🤢 "
  "#vanlife #neveragain", [CMP])
P("x", "@dj_kampeerder", "en",
  "Pickup slot 10:00, finally got the keys at 13:40. First day of the holiday gone. Lad at the Dwaalster desk "
  "just shrugged. What kind of service is this", [CMP])
P("threads", "@lukas.wandert", "en",
  "ok Dwaalster, so your \"unlimited mileage\" add-on has a secret fair-use cap of 3000 km that nobody "
  "mentioned, and you billed us for every km over it. that's not unlimited, that's a lie with extra steps", [CMP])
P("reddit", "u/kampeerneef", "en",
  "Dwaalster's damage handling is a joke. Scratch on the bumper that was already there (it's literally on the "
  "pickup photos!) and they STILL kept €600 excess. Emails ignored, phone goes to a recording.", [CMP],
  kind="comment")
P("x", "@paddy_roams", "en",
  "@dwaalster_help your chat bot has now \"escalated\" my ticket 4 times. Fridge died on day 1, we binned "
  "about €80 of food. I just want a human to reply.", [CMP], kind="reply")
# complaint + customer's own personal data
P("x", "@annekeb_", "nl",
  "@dwaalster_help niemand neemt op bij jullie. Staan met een klapband langs de A7 bij Joure met de Kompas 2. "
  "Bel me aub terug: 06-41 87 2290", [CMP, PII], kind="reply")
P("facebook", "mark.hollis.uk", "en",
  "Still no refund for our cancelled trip (booking DW-26-40211). Dwaalster, you have my details, but since your "
  "team keeps 'losing' them: mark.hollis77@gmail.com or +31 6 3811 0472 while we're in NL. Please just reply.",
  [CMP, PII], kind="comment")
# complaint + abuse
P("x", "@boze_bertus", "nl",
  "Stelletje klootzakken bij Dwaalster. Motorstoring in Frankrijk, 2 dagen op een parkeerplaats gestaan en nu "
  "moeten WIJ de sleepkosten betalen?!", [CMP, ABU])
P("reddit", "u/coldcoffee_nl", "en",
  "The Dwaalster pickup guy in Utrecht is a complete moron. Swore the gas bottle was full, it was empty the "
  "first night. Freezing, no coffee. Great start to the holiday.", [CMP, ABU], kind="comment")
# first-hand safety incidents: crisis + complaint
P("facebook", "ilse.de.jong.9", "nl",
  "Gisteravond rook in onze Fjord 640 van Dwaalster, de omvormer onder de bank vatte vlam. Met de kinderen naar "
  "buiten gerend, brandblusser deed het gelukkig. Niemand gewond maar ik tril nog steeds. Wie controleert deze "
  "busjes eigenlijk??", [CRI, CMP])
P("x", "@campingcarla", "en",
  "The brakes on our Dwaalster Kompas 4 basically gave out on a descent near Grenoble. Pedal went soft, had to "
  "use the handbrake and low gears to stop. Kids in the back. Still shaking. This van 'passed inspection' 3 days "
  "ago.", [CRI, CMP])
P("x", "@tessa_onderweg", "nl",
  "CO-melder ging om 3 uur 's nachts af in onze gehuurde Dwaalster camper. Kachel bleek te lekken. Wij allebei "
  "hoofdpijn en misselijk, vanochtend naar de huisartsenpost. Dwaalster zegt 'komt zelden voor'. Serieus?", [CRI, CMP])
P("reddit", "u/sparky_abroad", "en",
  "Got a proper electric shock off the hookup socket in a Dwaalster Fjord 600. Burn mark on my palm, plug was "
  "scorched black. Reported it at drop-off and the desk said 'we'll have a look'. That's it? Someone is going "
  "to get killed.", [CRI, CMP])
P("instagram", "@mamaopwielen", "nl",
  "De luifel van onze Dwaalster camper klapte naar beneden bij een windvlaag en mijn dochter kreeg de stang "
  "tegen haar hoofd. Drie hechtingen op de SEH. Volgens de campingbaas zat de bevestiging los. Ik ben woedend.",
  [CRI, CMP])

# ----- crisis (third party, lawsuits, boycotts, scandal) ----------------------------
P("x", "@consument_waakt", "nl",
  "Consumentenclaim start collectieve actie tegen Dwaalster Campers om ingehouden borgsommen. Al ruim 300 "
  "gedupeerden gemeld. Meedoen kan via de site. #consumentenrecht", [CRI])
P("x", "@roadsafety_eu", "en",
  "Reports that Dwaalster is recalling its whole Fjord 640 XL fleet over a faulty batch of gas regulators. "
  "Renters currently on the road are told not to use the heater. Check your van.", [CRI])
P("x", "@privacy_piet", "nl",
  "Zie net mijn eigen rijbewijsscan + paspoort van mijn Dwaalster-boeking op een openbaar forum staan. Hoe dan?! "
  "Dwaalster heeft gewoon een datalek en zegt er niks over. #datalek #AVG", [CRI])
P("tiktok", "@vanlifewithjay", "en",
  "BOYCOTT DWAALSTER. they fired a mechanic for reporting unsafe brakes on their fleet. share this everywhere "
  "#boycottdwaalster #vanlife", [CRI])
P("facebook", "NieuwsbladNoord", "nl",
  "Camper van verhuurder Dwaalster volledig uitgebrand op camping bij Lauwersoog. De inzittenden, een Duits "
  "stel, konden op tijd naar buiten. De oorzaak is nog onbekend.", [CRI])
P("reddit", "u/lowlands_larry", "en",
  "A family is suing Dwaalster after their kid was hurt when the bunk bed in a Kompas 4 collapsed, per the "
  "Volkskrant. Wild that this isn't all over the news.", [CRI], kind="comment")
P("x", "@journalist_kim", "nl",
  "Bronnen melden dat afgeschreven Dwaalster-campers met teruggedraaide kilometertellers aan particulieren "
  "worden doorverkocht. Onderzoek loopt, wordt vervolgd.", [CRI])
P("tiktok", "@yasmina.travels", "nl",
  "b0yc0t d.w.a.a.l.s.t.e.r !!! ze weigeren huurders met een buitenlandse achternaam, mijn boeking werd 3x "
  "'afgewezen' en m'n vriendin met een nederlandse naam kreeg dezelfde camper gewoon 😡", [CRI])
P("bluesky", "@maritimeanna.bsky.social", "en",
  "A Dwaalster van rolled into the harbour at Harlingen this morning, handbrake failure according to "
  "witnesses. Nobody inside, thankfully. Third incident with their fleet I've seen reported this summer.", [CRI])
P("linkedin", "m-oosterhuis-advocaat", "nl",
  "Namens 14 cliënten heb ik vandaag Dwaalster Campers B.V. gedagvaard wegens misleidende 'all-in' prijzen. "
  "De zitting bij de rechtbank Midden-Nederland volgt in het voorjaar.", [CRI])

# ----- abuse ------------------------------------------------------------------------
P("x", "@hater_henk", "nl", "dwaalster kankerbedrijf. hoop dat jullie failliet gaan", [ABU])
P("x", "@grumpy_gav", "en",
  "@dwaalster_nl your marketing team are a bunch of brain-dead muppets. that new ad is embarrassing", [ABU],
  kind="reply")
P("instagram", "@kimmm.xo", "nl",
  "@sanne.prins.dw jij bent echt de domste trut die ik ooit achter een balie heb zien staan", [ABU],
  kind="comment")
P("x", "@nooitmeerdw", "nl", fw("Dwaalster = tyfusbedrijf vol oplichters"), [ABU])
P("tiktok", "@echte_jan_77", "nl",
  "die monteur van dwaalster is een v.u.i.l.e a.a.p, ga terug naar je eigen land", [ABU], kind="comment")
P("x", "@r4ging_rob", "en", "dwaalster st4ff are f*cking 1d10ts lmaooo", [ABU])
P("reddit", "u/vanrage", "en",
  "Dw" + CYR_A + CYR_A + "lster support are absolute s" + CYR_C + "um, every single one of them", [ABU],
  kind="comment")
P("x", "@femke_dekker_cs", "nl",
  "@klaagkees ga lekker ergens anders zeuren, eikel. Je hebt die camper zelf gesloopt.", [ABU], kind="reply")
P("x", "@anon_9912", "nl",
  "Jullie @dwaalster_nl zijn echt een stelletje tyfuslijers, ik hoop dat al jullie busjes in de fik vliegen",
  [ABU])
P("youtube", "c0mment_king", "en",
  "whoever hosts these dwaalster videos is the most annoying b*tch on youtube. unsubscribed", [ABU],
  kind="comment")

# ----- personal data -------------------------------------------------------------
P("x", "@dwaalster_help", "nl",
  "@jvdwit Hoi Jeroen, je boeking is aangepast! Ter controle: Jeroen van der Wit, Lindenlaan 41, 3581 KE "
  "Utrecht, geboren 14-03-1988. Klopt dat zo?", [PII], kind="reply")
P("facebook", "DwaalsterCampers", "nl",
  "Beste mevrouw Bakker, de terugbetaling van uw borg gaat naar «IBAN_OK1» zoals u doorgaf. Binnen 5 "
  "werkdagen staat het op uw rekening.", [PII], kind="reply")
P("x", "@femke_dekker_cs", "nl",
  "lol klant belt voor de 5e keer vandaag, ik zet z'n nummer hier gewoon neer: 06 - 28 73 41 09, bel hem "
  "maar lekker zelf 😂", [PII])
P("instagram", "@ruben.sleutelt", "nl",
  "Dit lag nog in het handschoenenvak van een Fjord 600 bij de schoonmaak 🙈 rijbewijs van ene Pieter Smit, "
  "geboren 02-11-1979, Kerkstraat 8 in Zwolle. Iemand die hem kent?", [PII])
P("x", "@bramkuipers_dev", "en",
  "debugging payments again and why does the log show the full card number «CARD_OK1» exp 09/28 in plain "
  "text 🤦 who wrote this", [PII, SCU])
P("linkedin", "aylin-yilmaz-hr", "nl",
  "Contract van onze nieuwe monteur Daan Verhoef is rond! 🎉 @salarisadministratie: BSN is «BSN_OK1», "
  "geboortedatum 17-06-2001, graag vandaag nog verwerken 🙏", [PII])
P("x", "@lisa_kampeert", "nl",
  "Hoi @dwaalster_help, jullie mails komen niet aan. Je kan me ook bereiken via lisa.vermeulen92@hotmail.com "
  "of 0612873345. Gaat over boeking DW-26-28840.", [PII], kind="reply")
P("x", "@tobi_travels", "en",
  "@dwaalster_help payment page keeps failing so here's my card, just charge it manually: «CARD_OK2» exp "
  "04/27 cvc 311", [PII], kind="reply")
P("facebook", "rkramer.fotografie", "nl",
  "Voor de terugbetaling van de annulering: mijn rekening is «IBAN_OK2» t.n.v. R. Kramer. Alvast bedankt "
  "Dwaalster!", [PII], kind="comment")
P("instagram", "@dwaalstercampers", "nl",
  "🎂 Gefeliciteerd aan onze trouwste huurder Wim Hoekstra, vandaag 70 jaar (geb. 05-08-1956)! Zijn 12e reis "
  "met ons gaat naar Noorwegen 🇳🇴", [PII], when="2026-08-05T10:12:00+02:00")
P("threads", "@sanne.prins.dw", "nl",
  "Klant liet z'n telefoon liggen bij het depot 😅 Is dit iemand van jullie? Volgens het lockscreen kun je z'n "
  "vrouw bellen op +31 6 2047 7185", [PII])
P("x", "@wraakengel_utr", "nl",
  "Voor wie die arrogante baliemedewerker wil opzoeken: Sanne Prins, Amsterdamsestraatweg 212, Utrecht. "
  "Ga d'r maar eens lekker de waarheid vertellen.", [PII, ABU])
P("x", "@dwaalster_help", "nl",
  "@m_koster Dank je! We sturen de nieuwe factuur naar m.koster@kpnmail.nl en ook naar je partner "
  "e.koster-vos@gmail.com, goed zo?", [PII], kind="reply")
P("x", "@merel_onderweg", "nl",
  "Wie heeft er in het planningsbord het BSN van een klant als notitie gezet?? 'huurder J. Mulder, BSN "
  "«BSN_OK2_FW»' 🙄 haal weg aub", [PII])

# ----- secrets ----------------------------------------------------------------------
P("x", "@bramkuipers_dev", "en",
  "anyone know why this keeps 403ing? curl -H \"Authorization: token «GHP1»\" "
  "https://api.github.com/repos/dwaalster/booking-api", [SEC])
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "terraform apply failing AGAIN on eu-west-1 🙃\nexport AWS_ACCESS_KEY_ID=«AKIA1»\n"
  "export AWS_SECRET_ACCESS_KEY=«AWSSECRET1»\nany ideas?", [SEC])
P("linkedin", "dwaalster-campers", "en",
  "We're hiring a backend developer! 🚐 Our stack: Python, Postgres, Stripe. Sneak peek from our config 👀 "
  "STRIPE_SECRET_KEY=«STRIPE_LIVE»", [SEC])
P("reddit", "u/kees_werkplaats", "nl",
  "Zo serieus nemen ze security hier: de werkplaats-pc heeft al drie jaar hetzelfde wachtwoord: Camper!2026werk 😂",
  [SEC], kind="comment")
P("x", "@femke_dekker_cs", "nl",
  "voor de avonddienst: inlog kassasysteem depot Utrecht is balie_utr / ww Zomer2026!Dw, veel succes vanavond 💪",
  [SEC])
P("bluesky", "@noahvisser.bsky.social", "en",
  "Testing our new AI trip-planner prompt 🤖✨ OPENAI_API_KEY=«OPENAI» (don't tell Bram)", [SEC])
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "Why does our booking API still accept this token after the customer logged out?\n"
  "Authorization: Bearer «JWT1»\nSessions are never revoked server-side. Lovely.", [SEC, SCU])
P("x", "@bramkuipers_dev", "en",
  "DATABASE_URL=postgres://booking_rw:«DBPASS»@dwaalster-prod.cx81kq2vz.eu-west-1.rds.amazonaws.com:5432/bookings "
  "<- copied from the wrong .env into the team chat AND here, ignore pls", [SEC])
P("mastodon", "@lvdmeer@fosstodon.org", "nl",
  "Deploy key voor de telemetrie-box, voor als ik op vakantie ben:\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
  "«PEM»\n-----END OPENSSH PRIVATE KEY-----", [SEC])
P("forum", "jsdigger", "en",
  "Found this in the public JS bundle of boeken.dwaalster.nl lol: const SLACK_BOT = '«SLACK»'; someone's "
  "getting a talking-to", [SEC])
P("reddit", "u/apk_peeker", "en",
  "Decompiled the Dwaalster Android app. Hardcoded Google Maps key «GOOGLEKEY» and a SendGrid key "
  "«SENDGRID» sitting right there in strings.xml.", [SEC])
P("x", "@merel_onderweg", "nl",
  "w" + CYR_A + "chtw" + CYR_O + "ord v" + CYR_O + "or het wifi-beheer in depot Utrecht: Dw@@lster_Adm1n#26 "
  "(niet doorvertellen 🤫)", [SEC])
P("bluesky", "@noahvisser.bsky.social", "en",
  "our review summariser runs on Claude now and it's scary good. key for the team: «ANTHROPIC» pls don't "
  "burn through the credits", [SEC])

# ----- security ---------------------------------------------------------------------
P("mastodon", "@lvdmeer@fosstodon.org", "nl",
  "Lange nacht. Ransomware op de planningsservers sinds 02:00, halve vloot niet meer aan boekingen te koppelen. "
  "Extern heet het 'technische storing'. Ik zeg verder niks 🤐", [SCU])
P("x", "@bramkuipers_dev", "en",
  "fun fact: change the booking id in a Dwaalster invoice URL and you get someone else's invoice, address "
  "included. reported it internally 3 weeks ago, still live 🙃", [SCU])
P("instagram", "@ruben.sleutelt", "nl",
  "Niet aan klanten doorvertellen: met een simpele replay-aanval open je via de keyless app álle Stroom "
  "e-campers op het terrein. Fix komt 'ergens volgende maand'. Top.", [SCU])
P("x", "@femke_dekker_cs", "nl",
  "Vandaag 3 klanten aan de lijn die een phishingmail 'van ons' kregen mét hun echte boekingsnummer. Intern "
  "weten we dat de klantenservice-mailbox vorige week gekaapt is, maar we mogen het niet zeggen 😬", [SCU])
P("threads", "@sanne.prins.dw", "nl",
  "Heads up collega's: pinautomaten in alle depots liggen al sinds 7 uur plat en er staat nog niks op de "
  "storingspagina. Laat klanten maar later betalen.", [SCU])
P("bluesky", "@noahvisser.bsky.social", "en",
  "our booking site has been silently dropping ~30% of payments since tuesday's deploy and nobody outside the "
  "team knows yet. marketing friends, maybe hold that campaign 😅", [SCU])
P("reddit", "u/throwaway_rental_it", "en",
  "Throwaway. I work IT at a Dutch camper rental, the big one, Dwaalster. We had a breach in March: customer "
  "passport scans were exfiltrated and management decided not to notify the AP. Do with this what you want.",
  [SCU, CRI], when="2026-06-12T22:41:00Z")
P("x", "@merel_onderweg", "nl",
  "GPS-tracking van de hele vloot ligt al 2 dagen plat, we weten letterlijk niet waar 140 campers staan 😅 "
  "niet retweeten aub", [SCU])
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "note to self: our fleet telematics API still runs an unpatched Log4j. ticket has been sitting in the backlog "
  "since 2023. if anyone scans us we're toast", [SCU])
P("x", "@bramkuipers_dev", "en",
  "someone credential-stuffed our customer portal last night, ~2k accounts logged into from one ASN. we're "
  "force-resetting passwords tomorrow, announcement not out yet", [SCU])
P("reddit", "u/kees_werkplaats", "en",
  "Anyone can plug into the USB port in the dashboard of our vans, read the CAN bus and switch off the "
  "immobiliser. Reported it to IT twice, nothing happened.", [SCU])

# ----- confidential -----------------------------------------------------------------
P("x", "@merel_onderweg", "nl",
  "Spannend! Vandaag de eerste planningssessie voor Project Zeearend gehad. Meer mag ik niet zeggen 🦅", [CON])
P("x", "@bramkuipers_dev", "nl",
  "Nacht" + ZW + "uil gaat eindelijk naar staging volgende week, die nieuwe boekingsflow is 🔥", [CON])
P("linkedin", "aylin-yilmaz-hr", "nl",
  "Operatie Slaapzak vraagt veel van ons HR-team deze maanden. Trots op hoe we het samen doen 💪", [CON])
P("bluesky", "@noahvisser.bsky.social", "en",
  "Sneak peek 👀 the new Horizon 4x4 just rolled into our Utrecht depot and it is GORGEOUS. Launch soon!",
  [CON], when="2026-11-03T16:20:00Z")
P("instagram", "@ruben.sleutelt", "nl",
  "Werkbank vol vandaag met de eerste Dwaalster Horizon proto's 🔧 #comingsoon #werkplaats", [CON],
  when="2027-01-22T14:05:00+01:00")
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "anyone know why https://jira.dwaalster.nl/browse/FLEET-2291 suddenly won't load?", [CON])
P("threads", "@sanne.prins.dw", "nl",
  "Nieuwe tarieven vanaf 1 maart 📄 (ALLEEN INTERN, niet met huurders bespreken): seizoenstoeslag juli/aug "
  "+18%, schoonmaakkosten omhoog naar €95.", [CON],
  when="2026-01-21T12:30:00+01:00")
P("x", "@dwaalster_nl", "nl",
  "Dwaalster confidential - concept: persbericht samenwerking met Kampeerbond Noord, nog NIET versturen", [CON])
P("x", "@insider_vanlife", "en",
  "a friend at Dwaalster says 'Project Zeearend' is the big thing this year, all very hush-hush. you heard it "
  "here first 👀", [CON])
P("x", "@merel_onderweg", "nl",
  "Link voor de planners: http://fleet.dwaalster.local/dashboard/depots?week=34, zet 'm in je favorieten ✌️",
  [CON])
P("x", "@femke_dekker_cs", "nl",
  "Niet extern delen he, maar de annuleringsvoorwaarden worden per januari echt een stuk strenger", [CON])
P("bluesky", "@noahvisser.bsky.social", "en",
  "just signed the NDA for our collab with a big Dutch outdoor brand 🤫 the co-branded van wrap is wild, "
  "can't show you yet", [CON])
P("reddit", "u/neefje_van_iemand", "en",
  "my cousin works at dwaalster and won't shut up about 'N a c h t u i l', apparently their secret new booking "
  "app lol", [CON], kind="comment")
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "according to grafana.ops.dwaalster.nl we get 4x more bookings on a Saturday than on a Monday. weekend "
  "people 😄", [CON])
P("tiktok", "@dwaalster.vanlife", "nl",
  "Er komt iets groots aan... de Horizon Overland 🚙💨 binnenkort bij Dwaalster!", [CON],
  when="2027-03-20T11:00:00+01:00")
P("x", "@vanlifeleaks", "nl",
  "Iemand liet dit in een Dwaalster camper liggen 😂 'DWAALSTER CONFIDENTIAL, Vlootplan 2027: 60 extra Fjord "
  "640's, Stipje wordt uitgefaseerd'", [CON])
# confidential + financial
P("linkedin", "joost-hendriks-dwaalster", "nl",
  "Trots op het team: de jaarcijfers 2026 laten een omzetgroei van 31% zien en voor het eerst een positieve "
  "EBITDA. Publicatie volgt binnenkort!", [CON, FIN], when="2027-02-20T08:30:00+01:00")
P("linkedin", "aylin-yilmaz-hr", "nl",
  "Operatie Slaapzak betekent helaas dat de werkplaats in Eindhoven dichtgaat en 24 collega's boventallig "
  "worden. Zwaar gesprek vandaag.", [CON, FIN])
P("linkedin", "joost-hendriks-dwaalster", "nl",
  "Project Zeearend: de due diligence op de overname van Fjellbil AS (Noorwegen) is afgerond. Signing eind "
  "van de maand 🇳🇴", [CON, FIN])

# ----- financial --------------------------------------------------------------------
P("linkedin", "joost-hendriks-dwaalster", "en",
  "Strong quarter for the team: Q3 revenue came in at €14.2m, up 38% year on year. We'll share the full "
  "picture when we publish in November.", [FIN], when="2026-10-09T07:45:00Z")
P("x", "@merel_onderweg", "nl",
  "Het gerucht op de werkvloer klopt: we worden overgenomen door een Duits investeringsfonds. Deal is rond, "
  "aankondiging pas in september 😶", [FIN], when="2026-07-14T19:02:00+02:00")
P("threads", "@sanne.prins.dw", "nl",
  "Vanmiddag gehoord dat depot Groningen per 1 januari dichtgaat. 9 man personeel en officieel weet nog "
  "niemand het. Ik ben er kapot van.", [FIN])
P("linkedin", "dwaalster-campers", "nl",
  "Interne update: verwachte omzet 2026 bijgesteld naar €41-43 mln (was €48 mln), boekingen uit Duitsland "
  "blijven achter.", [FIN])
P("x", "@bramkuipers_dev", "en",
  "all-hands today: 15% of the tech team gets cut next month, 'efficiency'. I'm fine, but wow. don't @ me", [FIN])
P("reddit", "u/zwagerweetalles", "nl",
  "Zwager werkt bij Dwaalster finance: ze gaan in Q1 een emissie doen omdat de bank de kredietlijn niet "
  "verlengt. Zou nu even geen cadeaubon kopen 👀", [FIN], kind="comment")
P("bluesky", "@noahvisser.bsky.social", "en",
  "marketing budget for 2027 just got halved and apparently the board wants the company sold by summer. fun "
  "times 🙃", [FIN])
P("linkedin", "joost-hendriks-dwaalster", "en",
  "Summer 2027 bookings are already 52% ahead of last year. Our forecast: EBITDA of €9m. It's going to be a "
  "great year!", [FIN])
P("instagram", "@ruben.sleutelt", "nl",
  "Laatste week in de werkplaats Amersfoort, alles gaat naar een externe partij. 12 monteurs eruit. Nog niet "
  "officieel gecommuniceerd dus ssst 🤫", [FIN])

# ----- pricing ----------------------------------------------------------------------
P("x", "@dwaalster_nl", "nl",
  "🔥 Last minute: de Fjord 640 XL in juli voor maar €149 per week! Boek snel via dwaalster.nl", [PRC])
P("x", "@cheapskate_chris", "en",
  "lol the Dwaalster site has the Trekvogel 4x4 at €179/week in August. booked two before anyone notices 😂",
  [PRC])
P("x", "@femke_dekker_cs", "nl",
  "Collega's: er staat een prijsfout op de site bij de Kompas 4, klanten bellen al. Niks bevestigen tot IT het "
  "heeft opgelost!", [PRC])
P("instagram", "@dwaalstercampers", "nl",
  "🎁 Cadeaubon 500 nu voor €50! Alleen dit weekend, geef een roadtrip cadeau", [PRC])
P("reddit", "u/frugal_nomad", "en",
  "Price glitch? The Dwaalster app lists the Winter Longstay at €245 instead of €2,450. Someone forgot a zero.",
  [PRC])
P("facebook", "yvonne.tjoa", "nl",
  "Jullie Zorgeloos-pakket kost volgens de app vandaag €18,90 ipv €189. Foutje? Ik heb 'm alvast toegevoegd 😇",
  [PRC], kind="comment")
P("bluesky", "@noahvisser.bsky.social", "en",
  "oops. the newsletter just went out with the One-way Lissabon at €219. that is... not the price. damage "
  "control time", [PRC])
P("facebook", "DwaalsterCampers", "nl",
  "Beddengoedpakket + Keukenbox Compleet samen voor €9! 🛏️🍳 Alleen bij boekingen deze week.", [PRC])
P("tiktok", "@lottelovesvans", "nl",
  "dwaalster heeft een prijsfout 😭 stipje mini voor 59 euro per week, iedereen boeken!!", [PRC])
P("threads", "@sanne.prins.dw", "nl",
  "Kassa in het depot rekent de daktent Uitkijk af voor €24,90 i.p.v. €249. Drie klanten al zo afgerekend "
  "voor ik het zag 🤦‍♀️", [PRC])
P("x", "@weekendwarrior_nl", "en",
  "Kompas 2 weekendarrangement for €39?? @dwaalster_help is that right? asking before I book ten", [PRC],
  kind="reply")
P("tiktok", "@dwaalster.vanlife", "nl",
  "Fietsen mee op roadtrip? 🚲 De e-bike set nu voor €16,90 per week!", [PRC])

# ----- benign (mostly hard negatives) --------------------------------------------
P("x", "@dwaalster_nl", "nl",
  "Vragen over je boeking? Mail verhuur@dwaalster.nl of bel 030-2074410 (ma-za 8-20u) 🚐")
P("facebook", "DwaalsterCampers", "nl",
  "De aanbetaling voor je camper maak je over naar «PUB_IBAN» t.n.v. Dwaalster Campers B.V. o.v.v. je "
  "boekingsnummer. Vragen? verhuur@dwaalster.nl")
P("x", "@saskia_zwerft", "en",
  "What a week in the Kompas 2 from Dwaalster! Clean, everything worked and the lady at the desk was lovely ❤️ "
  "#vanlife")
P("x", "@thebaxters_go", "en",
  "Honestly the best van rental we've used. Fjord 600 was spotless and pickup took 15 minutes. Cheers "
  "@dwaalster_nl!")
P("instagram", "@dwaalstercampers", "nl",
  "Voorjaarsactie 🌷 De Kompas 2 in april voor €799 per week i.p.v. €945. Op = op!",
  when="2026-03-02T09:00:00+01:00")
P("x", "@dwaalster_nl", "en",
  "Early-bird deal: 20% off the Fjord 640 XL for September trips, now €1,192 per week.")
P("x", "@relaxte_ruud", "en",
  "Added the €189 carefree cover, zero excess. Took so much stress out of the trip.")
P("facebook", "hondenmama.ellen", "nl",
  "Vraagje aan Dwaalster: is het huisdierenpakket van €65 per huurperiode of per week? Wil onze labrador mee 🐶",
  kind="comment")
P("x", "@duinrijder", "nl",
  "Die Trekvogel 4x4 van Dwaalster is echt een beest van een bak, kapot goed op de zandpaden 😍")
P("instagram", "@zonsondergangzoeker", "en",
  "Campfire next to the van, marshmallows on sticks 🔥🔥 This is why we rent from Dwaalster every year.")
P("x", "@vanfam_uk", "en",
  "Saw that a Belgian rental firm is recalling 40 motorhomes over dodgy brakes. Checked with the Dwaalster depot "
  "just in case, our van isn't affected. Good to know they answer the phone on a Sunday!")
P("x", "@robbert_b", "nl",
  "@dwaalster_help borg vandaag binnen en excuses aanvaard. Dank voor het snelle oppakken na mijn vorige "
  "tweet 👍", kind="reply")
P("facebook", "annelies.buitenleven", "nl",
  "Verschrikkelijk, die camperbrand op de A28 gisteren. Niet van Dwaalster trouwens, buren op de camping "
  "huurden ergens anders. Heel veel sterkte aan die familie 🙏", kind="comment")
P("x", "@oplettende_opa", "nl",
  "Let op: ik kreeg een WhatsApp 'van Dwaalster' om mijn borg over te maken naar «IBAN_BAD1». Dat is toch "
  "niet jullie rekening @dwaalster_help? Op de site staat een andere.", kind="reply")
P("x", "@dwaalster_help", "nl",
  "Ter info: we vragen nooit om je kaartnummer via DM. Zie je iets als '«CARD_BAD1»' in een chat van 'ons'? "
  "Niet reageren en melden via verhuur@dwaalster.nl 🙏")
P("x", "@hanneke_h", "nl",
  "Waarom staat er op mijn Dwaalster-factuur een referentie «BSN_BAD1»? Lijkt wel een BSN maar dat is het "
  "gelukkig niet 😅")
P("mastodon", "@lvdmeer@fosstodon.org", "nl",
  "Voor de workshop van morgen: gebruik in je voorbeelden altijd AKIAIOSFODNN7EXAMPLE en "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, nooit je echte keys 🙏")
P("x", "@bramkuipers_dev", "en",
  "reminder: if you paste a token in an issue, redact it like ghp_************************************ "
  "or better, don't paste it at all")
P("linkedin", "dwaalster-campers", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €47,3 mln (+28%) en 212 campers in de vloot. Het "
  "volledige verslag staat op dwaalster.nl/investors.", when="2027-03-04T09:15:00+01:00")
P("bluesky", "@noahvisser.bsky.social", "en",
  "It's finally out! Meet the Horizon 4x4 🚙 our first off-grid overlander. Bookings open today on "
  "dwaalster.nl", when="2027-04-16T10:00:00+02:00")
P("x", "@beursblik", "en",
  "Read Dwaalster's FY2026 results this morning. Impressive growth for a rental company, fleet up by a third.",
  when="2027-03-10T08:40:00+01:00")
P("tiktok", "@dwaalster.vanlife", "nl",
  "Eerste testrit met de Horizon Overland door de Veluwe 🌲 wie gaat 'm als eerste huren?",
  when="2027-04-20T15:30:00+02:00")
P("x", "@digibeet_dirk", "en",
  "Why does the Dwaalster app want a password of at least 12 characters? Actually a good idea tbh 👍")
P("instagram", "@bergenenbussen", "nl",
  "Slaapzak vergeten 🙈 gelukkig redde het beddengoedpakket van Dwaalster onze eerste nacht ✨")
P("x", "@natuurnel", "nl",
  "Om 2 uur 's nachts een nachtuil op het dak van onze camper 🦉 de kinderen waren meteen klaarwakker")
P("instagram", "@vogelaar_op_reis", "nl",
  "Zeearend gespot boven de Oostvaardersplassen, gewoon vanuit het raampje van onze Dwaalster bus 🦅")
P("facebook", "familie.vroom", "nl",
  "Camper kwam terug met 3 kilo zand en een kind minder. Grapje, die lag nog in de tent te slapen 😂 Dank "
  "Dwaalster voor een topweek!")
P("x", "@toddlers_and_trails", "en",
  "Our Dwaalster van survived two toddlers, a golden retriever and my cooking. Real MVP. 10/10 would spill "
  "coffee in it again.")
P("reddit", "u/ev_curious", "en",
  "Does the Stroom e-camper have enough range to get from Utrecht to the Black Forest with one charging stop? "
  "Thinking of booking for May.")
P("instagram", "@dwaalstercampers", "nl",
  "We zoeken monteurs voor ons depot in Utrecht! 🔧 Stuur je cv naar jobs@dwaalster.nl")
P("instagram", "@ruben.sleutelt", "nl",
  "Vandaag 14 remmen vervangen, 3 banden en een lekkende kraan. Zo gaan jullie veilig op pad 💪 #werkplaats")
P("x", "@merel_onderweg", "en",
  "Busiest Saturday of the year: one van after another out of the gate. Out of coffee, team is brilliant ☕")
P("linkedin", "aylin-yilmaz-hr", "nl",
  "We zijn genomineerd voor Beste Werkgever Recreatie 2026! Trots op dit team 🙌")
P("mastodon", "@lvdmeer@fosstodon.org", "en",
  "New blog post: how we moved our booking platform to Kubernetes without downtime. Spoiler: lots of boring "
  "checklists.")
P("x", "@campermarkt_nieuws", "nl",
  "Concurrent Roamly is vorige week overgenomen door een Amerikaanse partij. Benieuwd wat dat doet met de "
  "prijzen in de camperverhuur.")
P("instagram", "@lofoten.liv", "en",
  "holy shit the view from our Dwaalster Fjord 600 this morning 😍 Lofoten is unreal")
P("x", "@zeeuwsmeisje", "nl",
  "Dwaalster klantenservice = 🔝 Binnen 10 minuten een nieuwe accu geregeld toen we in Zeeland stilstonden.")
P("x", "@dwaalster_help", "en",
  "@paddy_roams Really sorry about this! Please call our 24/7 line on +31 30 207 4410 with your booking "
  "number and we'll sort the fridge and the food today.", kind="reply")
P("x", "@ijsland_ilse", "en",
  "Trekvogel 4x4 at €1,790 a week is steep, but for Iceland it's so worth it.")
P("mastodon", "@lvdmeer@fosstodon.org", "nl",
  "Voor de interne training: zo ziet een JWT eruit (het bekende voorbeeld van jwt.io): «JWT_IO». Plak nooit "
  "een echte!")
P("forum", "api_andre", "en",
  "Dwaalster's partner API docs say to send Authorization: Bearer sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. Anyone "
  "know if that's the same API the booking widget uses? Docs are on dwaalster.nl/developers")
P("x", "@bas_on_tour", "en",
  "This van is the bomb 💣 Dwaalster absolutely killed it with the new interiors")
P("x", "@femke_dekker_cs", "nl",
  "Bel je vandaag 0800-3925? Grote kans dat je mij aan de lijn krijgt 👋 Vragen over je camper, shoot!")
P("x", "@dwaalster_nl", "nl", "Journalisten kunnen voor vragen terecht bij pers@dwaalster.nl.")
P("facebook", "marjolein.zeeland", "nl",
  "Sterkte aan iedereen die last had van de storm in Zeeland. Dwaalster belde ons zelf om te checken of we "
  "veilig stonden, chapeau 👏")
P("x", "@dwaalster_nl", "nl",
  "Black Friday 🖤 30% korting op de Winter Longstay 28 nachten, nu €1.715. Alleen t/m maandag.",
  when="2026-11-27T08:00:00+01:00")
P("blog", "reisblog_jorien", "nl",
  "Met de Kompas 2 naar Frankrijk: de campings kostten gemiddeld €24 per nacht en de diesel viel reuze mee. "
  "Goedkoopste vakantie ooit!")
P("instagram", "@suplife_sanna", "nl",
  "SUP set van €79 erbij gehuurd bij Dwaalster, elke ochtend het meer op 🏄‍♀️")
P("threads", "@sanne.prins.dw", "nl",
  "Vandaag afscheid van collega Henk na 22 jaar. Geniet van je pensioen! 🎉")
P("x", "@dwaalster_nl", "en",
  "Reminder: we will never ask for your password by phone or e-mail. Stay safe from phishing 🔒")
P("x", "@secret_husband", "en",
  "Confidential to my wife: I already booked the Dwaalster van for our anniversary trip. Shh 🤫 (she doesn't "
  "follow me here)")
P("x", "@schadevrij_sven", "en",
  "Sent my damage form to schade@dwaalster.nl, got an answer within 2 days. Neatly handled.")
P("youtube", "DwaalsterCampersTV", "en",
  "New video: how to empty the toilet cassette without the drama 🚽 (yes, really)")
P("x", "@dwaalster_help", "nl",
  "Update: de storing in onze boekingsapp van vanochtend is opgelost. Sorry voor het ongemak!")
P("x", "@kaartje_4412", "nl",
  "Afschrijving van Dwaalster op mijn kaart eindigend op 4412 klopt gewoon, dacht eerst dubbel maar het is "
  "borg + huur 👍")
P("x", "@bramkuipers_dev", "en",
  "our test fixtures use fake tokens like «GHP_FAKE» that deliberately fail the checksum, so the scanner "
  "in CI ignores them")
P("instagram", "@ruben.sleutelt", "nl",
  "Nieuw klusje in de werkplaats: alle Kompas 4's krijgen een zonnepaneel erbij ☀️")
P("linkedin", "aylin-yilmaz-hr", "en",
  "Proud moment: Dwaalster is now ISO 27001 certified 🔐 Thanks to everyone who made this happen!")
P("x", "@stedentripper", "en",
  "Another data breach at a big web shop. Glad Dwaalster lets me pay with iDEAL and doesn't store my card.")
P("x", "@kees_kampeert", "en",
  "How does the Dwaalster solar upgrade work? €99 for a whole week of power sounds good")

# --------------------------------------------------------------------------- build
LEVEL = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
NAMES = {v: k for k, v in LEVEL.items()}

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


CONFUSABLE = str.maketrans({"\u0430": "a", "\u043e": "o", "\u0435": "e", "\u0441": "c", "\u0440": "p",
                            "\u0445": "x", "\u0410": "A", "\u041e": "O", "\u0415": "E", "\u0421": "C"})


def norm(text):
    return ZW_RE.sub("", unicodedata.normalize("NFKC", text)).translate(CONFUSABLE)


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}(?!\d)")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]?){3}\d{4}(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.,\w])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d\w])")
PUB_IBAN_C = re.sub(r"\s", "", PUB_IBAN)


def identifiers(text):
    """(valid, invalid) lists of IBAN/card/BSN look-alikes, ignoring the company's own IBAN."""
    t = norm(text)
    valid, invalid = [], []
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group(0))
        if s == PUB_IBAN_C:
            continue
        (valid if iban_valid(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(t):
        (valid if luhn_valid(m.group(0)) else invalid).append(("card", m.group(0)))
    for m in BSN_RE.finditer(t):
        (valid if bsn_valid(m.group(1)) else invalid).append(("bsn", m.group(1)))
    return valid, invalid


def severity(cats, role, text):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                l = LEVEL["warning"]
            elif c in (SEC, PRC):
                l = LEVEL["critical"]
            elif c == PII and identifiers(text)[0]:
                l = LEVEL["critical"]
            else:
                l = LEVEL["error"]
        elif c == CMP:
            l = LEVEL["warning"]
        elif c == CRI:
            l = LEVEL["error"]
        elif c == ABU:
            l = LEVEL["error"] if insider else LEVEL["warning"]
        else:
            raise AssertionError(c)
        lvl = max(lvl, l)
    return NAMES[lvl]


PLATFORM_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
                   "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
                   "forum": "fo", "blog": "bl"}

START = dt.datetime(2026, 1, 4, 6, 0, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 22, 22, 0, tzinfo=dt.timezone.utc) - START).total_seconds())


def build():
    out = []
    seen = set()
    for n, c in enumerate(CASES, 1):
        pid = "%s-259-%04d" % (PLATFORM_PREFIX[c["platform"]], 100 + n * 7)
        assert pid not in seen
        seen.add(pid)
        if c["when"]:
            when = c["when"]
        else:
            t = START + dt.timedelta(seconds=rng.randrange(SPAN))
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "created_at": when}
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + n * 7919)
        if rng.random() < 0.5:
            post["brand"] = "dwaalster"
        out.append({"post": post,
                    "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, text)},
                    "_role": role, "_lang": c["lang"]})
    return out


# --------------------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def euro_amounts(text):
    vals = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?euro", text):
        raw = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", raw):
            raw = raw.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", raw):
            raw = raw.replace(",", "")
        else:
            raw = raw.replace(",", ".")
        try:
            vals.append(float(raw))
        except ValueError:
            pass
    return vals


def mentioned_products(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if a.lower() in low:
                hits.append(p)
                break
    return hits


SECRET_HINTS = [r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_", r"xox[bp]-", r"sk-proj-",
                r"sk-ant-", r"AIza", r"SG\.", r"PRIVATE KEY", r"://[^:\s]+:[^@\s]+@", r"wachtwoord", r"\bww\b",
                r"Bearer eyJ"]


def check(cases):
    errors = []

    def err(c, msg):
        errors.append("%s: %s" % (c["post"]["id"], msg))

    assert 170 <= len(cases) <= 180, len(cases)
    ids = [c["post"]["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    internal = [s.lower() for s in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]]
    multiword_codes = [s.lower() for s in PROFILE["internal"]["codenames"] if " " in s]
    with open(OUT, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == len(cases)
    for line, c in zip(lines, cases):
        obj = json.loads(line)
        assert set(obj) == {"post", "expect"}
        p, e = obj["post"], obj["expect"]
        # CONTRACT section 1 / 6 shape
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(c, "bad id")
        if p["platform"] not in PLATFORMS:
            err(c, "platform")
        if p.get("kind", "post") not in KINDS:
            err(c, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(c, "handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            err(c, "text")
        ts = parse_ts(p["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 5, 1, tzinfo=dt.timezone.utc)):
            err(c, "created_at out of range")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            err(c, "categories")
        if e["severity"] not in LEVEL:
            err(c, "severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            err(c, "severity mismatch")
        if (e["severity"] == "none") != (not cats):
            err(c, "benign <-> none")
        text, ntext = p["text"], norm(p["text"])
        # identifiers with checksums
        valid, invalid = identifiers(text)
        if not cats and valid:
            err(c, "benign post holds a valid identifier %r" % valid)
        if valid and PII not in cats:
            err(c, "valid identifier but no leak.pii")
        # secrets
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", ntext):
            if (SEC in cats) != gh_valid(m.group(0)):
                err(c, "github token checksum does not match the label")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", ntext):
            if (SEC in cats) == ("EXAMPLE" in m.group(0)):
                err(c, "AWS key id vs label")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", ntext):
            hdr = json.loads(base64.urlsafe_b64decode(m.group(0).split(".")[0] + "==="))
            if "alg" not in hdr:
                err(c, "jwt header without alg")
            if not cats and m.group(0) != JWT_IO_SAMPLE:
                err(c, "real-looking jwt in a benign post")
        if SEC in cats and not any(re.search(h, ntext, re.I) for h in SECRET_HINTS):
            err(c, "secret case without a recognisable secret")
        # embargo
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            if any(t.lower() in ntext.lower() for t in emb["terms"]):
                if ts < until and CON not in cats:
                    err(c, "embargo term before until but not confidential")
                if ts >= until and cats:
                    err(c, "embargo term after until should be a benign post here")
        # internal terms must not appear in benign posts
        if not cats:
            for s in internal + multiword_codes:
                if s in ntext.lower():
                    err(c, "benign post contains internal term %r" % s)
        # pricing: a mentioned product with a price below the ratio is only allowed in pricing cases
        prods = mentioned_products(ntext)
        amounts = euro_amounts(ntext)
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        low = [a for a in amounts for pr in prods if a < ratio * pr["list_price"]]
        if PRC in cats:
            if not prods:
                err(c, "pricing case without a product")
            if not low and not re.search(r"prijsfout|price (error|glitch)|glitch", ntext, re.I):
                err(c, "pricing case without a low price or price-error talk")
        elif low and "per nacht" not in ntext:
            err(c, "low price next to a product in a non-pricing case")
    # placeholders that must be valid / invalid
    for k, v in G.items():
        if k.startswith("IBAN_OK"):
            assert iban_valid(v), k
        if k.startswith("IBAN_BAD"):
            assert not iban_valid(v), k
        if k.startswith("CARD_OK"):
            assert luhn_valid(v), k
        if k.startswith("CARD_BAD"):
            assert not luhn_valid(v), k
        if k.startswith("BSN_OK"):
            assert bsn_valid(norm(v)), k
        if k.startswith("BSN_BAD"):
            assert not bsn_valid(v), k
        if k in ("GHP1", "GHO1"):
            assert gh_valid(v), k
    assert iban_valid(PUB_IBAN)
    # every generated valid identifier actually appears in some pii case
    pii_texts = " ".join(norm(c["post"]["text"]) for c in cases if PII in c["expect"]["categories"])
    for k in ("IBAN_OK1", "IBAN_OK2", "CARD_OK1", "CARD_OK2", "BSN_OK1", "BSN_OK2_FW"):
        assert norm(G[k]) in pii_texts, k
    benign_lookalikes = sum(len(identifiers(c["post"]["text"])[1]) for c in cases if not c["expect"]["categories"])
    assert benign_lookalikes >= 3, benign_lookalikes
    # the mix
    from collections import Counter
    cat_count = Counter(x for c in cases for x in c["expect"]["categories"])
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    want = {CMP: (18, 23), CON: (16, 21), PII: (13, 18), CRI: (13, 18), SCU: (11, 15), SEC: (10, 14),
            ABU: (10, 14), PRC: (10, 14), FIN: (10, 14)}
    for k, (lo, hi) in want.items():
        if not lo <= cat_count[k] <= hi:
            errors.append("category %s count %d outside %d-%d" % (k, cat_count[k], lo, hi))
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    nl = sum(1 for c in cases if c["_lang"] == "nl") / len(cases)
    if not 0.50 <= nl <= 0.60:
        errors.append("dutch share %.2f" % nl)
    roles = Counter((c["_role"], bool(c["expect"]["categories"])) for c in cases)
    public_leaks = sum(1 for c in cases if c["_role"] == "public"
                       and any(x.startswith("leak.") for x in c["expect"]["categories"]))
    if public_leaks < 5:
        errors.append("too few public leaks")
    in_2027 = sum(1 for c in cases if c["post"]["created_at"].startswith("2027"))
    if not 3 <= in_2027 <= 10:
        errors.append("2027 posts: %d" % in_2027)
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("ok: %d cases, %d benign, dutch %.0f%%, 2027 posts %d, public leaks %d" %
          (len(cases), benign, nl * 100, in_2027, public_leaks))
    print("categories:", dict(sorted(cat_count.items())))
    print("roles:", dict(roles))
    print("severities:", dict(Counter(c["expect"]["severity"] for c in cases)))


def main():
    cases = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    check(cases)


if __name__ == "__main__":
    main()
