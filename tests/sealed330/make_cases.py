#!/usr/bin/env python3
"""Builds cases.jsonl for sealed set 330 (Zilvermeeuw Cruises, river & ocean cruises).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
identifiers and credentials are generated here the way the real ones are built, then the
whole file is self-checked (checksums, CONTRACT section 6 shape, severity policy section 4).
Run:  python3 make_cases.py
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import random
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 330
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "%s%02d%s" % (cc, chk, bban)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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


def luhn_digit(body):
    for c in "0123456789":
        if luhn_ok(body + c):
            return c
    raise AssertionError


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


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

# --------------------------------------------------------------------------- generators

def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban_nl():
    bank = rng.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    return iban_make("NL", bank + rnd("0123456789", 10))


def gen_iban_de():
    return iban_make("DE", rnd("0123456789", 18))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def gen_card(prefix, length=16):
    body = prefix + rnd("0123456789", length - len(prefix) - 1)
    return body + luhn_digit(body)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def break_last(s):
    """Change the last digit so the checksum fails."""
    return s[:-1] + str((int(s[-1]) + 1) % 10)


def gen_ghp():
    body = rnd(ALNUM, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode()))


def gen_akia():
    return "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rnd(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rnd(ALNUM, 96)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rnd("0123456789", 12), rnd("0123456789", 13), rnd(ALNUM, 24))


def gen_openai():
    a = ALNUM + "_-"
    return "sk-proj-" + rnd(a, 74) + "T3BlbkFJ" + rnd(a, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rnd(ALNUM + "_-", 93) + "AA"


def gen_google():
    return "AIza" + rnd(ALNUM + "_-", 35)


def gen_azure_key():
    return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()


def gen_jwt():
    hdr = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 20000000)
    pl = {"sub": "svc-booking-admin", "iss": "zm-auth", "scope": "bookings:rw refunds:rw",
          "iat": iat, "exp": iat + 365 * 86400}
    h = b64url(json.dumps(hdr, separators=(",", ":")).encode())
    p = b64url(json.dumps(pl, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def gen_pem():
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    u32 = lambda n: n.to_bytes(4, "big")
    sstr = lambda b: u32(len(b)) + b
    pub = sstr(b"ssh-ed25519") + sstr(rb(32))
    chk = rb(4)
    priv = chk + chk + pub + sstr(rb(64)) + sstr(b"deploy@zm-build-01")
    priv += bytes(range(1, 1 + (-len(priv) % 8)))
    blob = b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + u32(1) + sstr(pub) + sstr(priv)
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    style = rng.randint(0, 2)
    if style == 0:
        return rng.choice(["Kombuis", "Stuurhut", "Ankerlier", "Loopplank"]) + rnd("0123456789", 4) + rng.choice("!#$%&*")
    if style == 1:
        return rnd(ALNUM + "!@#%&*-_", 16)
    return rng.choice(["zomer", "rijn", "donau"]) + rng.choice(["Zee", "Sluis", "Brug"]) + rnd("0123456789", 2) + "!" + rnd(ALNUM, 3)


GEN = {
    "IBAN": gen_iban_nl, "IBANSP": lambda: spaced(gen_iban_nl()), "IBANDE": lambda: spaced(gen_iban_de()),
    "IBANBAD": lambda: spaced(break_last(gen_iban_nl())),
    "CARD": lambda: spaced(gen_card("4")), "CARDMC": lambda: spaced(gen_card(str(rng.randint(51, 55)))),
    "CARDBAD": lambda: spaced(break_last(gen_card("4"))),
    "BSN": gen_bsn, "BSNBAD": lambda: break_last(gen_bsn()),
    "GHP": gen_ghp, "AKIA": gen_akia, "AWSSECRET": gen_aws_secret, "STRIPE": gen_stripe,
    "SLACK": gen_slack, "OPENAI": gen_openai, "ANTHROPIC": gen_anthropic, "GOOGLE": gen_google,
    "AZUREKEY": gen_azure_key, "JWT": gen_jwt, "PEM": gen_pem, "PW": gen_password,
    "PGPW": lambda: rnd(ALNUM, 20),
    "COMPANYIBAN": lambda: spaced(PROFILE["public_identifiers"]["ibans"][0]),
}
CHECKSUM_VALID = {"IBAN", "IBANSP", "IBANDE", "CARD", "CARDMC", "BSN"}
CHECKSUM_BAD = {"IBANBAD", "CARDBAD", "BSNBAD"}
SECRET_TYPES = {"GHP", "AKIA", "AWSSECRET", "STRIPE", "SLACK", "OPENAI", "ANTHROPIC", "GOOGLE",
                "AZUREKEY", "JWT", "PEM", "PW", "PGPW"}

# --------------------------------------------------------------------------- cases

CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "secret": "leak.secret", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
CASES = []


def C(cats, role, platform, handle, lang, text, kind="post", at=None, prices=()):
    CASES.append(dict(cats=[CAT[c] for c in cats.split()] if cats else [], role=role,
                      platform=platform, handle=handle, lang=lang, text=text, kind=kind,
                      at=at, prices=list(prices)))

# ----- complaints (public)
C("complaint", "P", "x", "@reislustige_ans", "nl",
  "Rijn Romantiek geboekt, krijgen we op dag 3 te horen dat we vanwege laag water de rest met de BUS doen. De bus! Naar Rüdesheim. Daar betaal je toch geen 1900 p.p. voor @zilvermeeuw 😤")
C("complaint", "P", "x", "@gwen_travels", "en",
  "Our 'river view' cabin on MS Lepelaar looked straight into the portholes of the ship moored next to us. 4 nights out of 7. That is not what the brochure shows, Zilvermeeuw.")
C("complaint", "P", "x", "@hennie_vd_wiel", "nl",
  "@zilvermeeuw_zorg al 6 weken wachten op m'n terugbetaling voor de geannuleerde Douro reis. 3x gebeld, 2x gemaild, niks. Hoe lang nog??", kind="reply")
C("complaint", "P", "x", "@petesails", "en",
  "52 minutes on hold with Zilvermeeuw customer service now. The hold music is one sea shanty on loop. Send help. Or a human.")
C("complaint", "P", "instagram", "@foodie.martine", "nl",
  "eten op de Moezel Wijnreis was echt ondermaats. drie avonden achter elkaar lauwe aardappelen en de 'wijnproeverij' was 2 flessen huiswijn voor 40 man. #zilvermeeuw #teleurgesteld")
C("complaint", "P", "reddit", "u/baltic_bound_72", "en",
  "PSA for anyone booked on the Zilvermeeuw Horizon Baltic sailing: they skipped Tallinn 'due to operational reasons', zero compensation, and the onboard credit they promised at the pier never showed up on our folio. Still chasing it.",
  kind="comment")
C("complaint", "P", "facebook", "Corrie Lammertsma", "nl",
  "Koffers kwijtgeraakt bij de transfer van Schiphol naar de boot. Pas op dag 4 terug. Niemand van de crew wist iets, moest alles zelf uitzoeken. Zeer slecht geregeld Zilvermeeuw.",
  kind="comment")
C("complaint", "P", "x", "@bramvdb", "nl",
  "wifi-pas van €79 gekocht en het werkt alleen op het sloependek tussen 6 en 7 uur s ochtends ofzo. ZM pls 🙄",
  prices=[("ZM-WIFI", 79)])
C("complaint", "P", "x", "@judith_on_tour", "en",
  "Excursion to Melk Abbey cancelled the morning of, no explanation, still no refund. Danube Classic was lovely otherwise but this soured it @zilvermeeuw")
C("complaint", "P", "forum", "OudeSchipper58", "nl",
  "Motor van de Waterhoen bromt de hele nacht door onder hut 104. Oordopjes gevraagd bij de receptie: 'op is op'. Wie die hut krijgt: sterkte. Ik boek hem nooit meer.")
C("complaint", "P", "x", "@ilsekoch", "en",
  "Your app says my booking doesn't exist, yet the money left my account 2 weeks ago. Chat sends me to the phone line, the phone line sends me to chat. #zilvermeeuw #customerservicefail")
C("complaint", "P", "threads", "@mrs.harrow", "en",
  "Paid €540 for the balcony upgrade and got a 'French balcony', i.e. a window that opens about 10 cm. Zilvermeeuw, please explain how that is a suite.",
  prices=[("ZM-BLK", 540)])

# ----- first-hand safety incidents: crisis + complaint
C("crisis complaint", "P", "x", "@kees_ruiter", "nl",
  "Na 2 dagen op de Moezelreis lag ik met voedselvergiftiging in de hut. Halve gang ziek. Scheepsarts: 'zal wel van de wal komen'. Echt niet, we hebben allemaal die zalm gegeten. @zilvermeeuw_zorg")
C("crisis complaint", "P", "facebook", "Deborah Quinn-Ashby", "en",
  "The wall heater in our cabin on the Zilvermeeuw Aurora started smoking and then sparked, actual flames for a few seconds before my husband yanked the plug. They moved us to another cabin but nobody wrote anything down. Terrifying.",
  kind="comment")
C("crisis complaint", "P", "instagram", "@wandelende.wim", "nl",
  "Gisteren uitgegleden op de natte loopplank bij het aanmeren in Keulen. Pols gebroken. Geen antislipmat, geen leuning, crew stond erbij te kijken. Vakantie voorbij 🩼 #zilvermeeuw")
C("crisis complaint", "P", "x", "@sarahjlocke", "en",
  "The railing on the sun deck of MS Zilverster is loose. My 6 yr old leaned on it and it gave way a few cm. If I hadn't grabbed her... Reported it, they put TAPE on it. Tape. @zilvermeeuw")
C("crisis complaint", "P", "x", "@marco_tielen", "nl",
  "Kreeg een flinke schok van het stopcontact in de badkamer van hut 212 op de Waterhoen. Hand tintelde nog uren. Receptie vond het 'vreemd'. Dit is levensgevaarlijk @zilvermeeuw")

# ----- crisis (third party / public)
C("crisis", "P", "x", "@rivierberichten", "en",
  "Local media in Passau report 60+ passengers on a Zilvermeeuw ship have fallen ill, suspected norovirus. The vessel is tied up for disinfection.")
C("crisis", "P", "x", "@fairwages_at_sea", "en",
  "BOYCOTT Zilvermeeuw. They fired deckhands for trying to unionise and are still running full-page ads. Don't give them your money. #BoycottZilvermeeuw")
C("crisis", "P", "facebook", "Riviercruisers NL", "nl",
  "Meerdere leden melden phishingmails met hun exacte hutnummer en vertrekdatum, allemaal kort na een boeking bij Zilvermeeuw. Dat riekt naar een datalek. Wees alert!")
C("crisis", "P", "x", "@claims_watch_eu", "en",
  "Class action being prepared against Zilvermeeuw Cruises over the cancelled Canary Winter Sun sailings. Lawyers are collecting names, link in bio.")
C("crisis", "P", "x", "@elbe_nieuws", "nl",
  "Riviercruiseschip van Zilvermeeuw vastgelopen op een zandbank in de Elbe bij Meißen. Passagiers worden met bussen opgehaald, voor zover bekend geen gewonden.")
C("crisis", "P", "x", "@northsea_ais", "en",
  "Reports that a crew member went overboard from the Zilvermeeuw Horizon overnight in the North Sea. Coast guard search underway. Thoughts with the family.")
C("crisis", "P", "tiktok", "@onderzoekt.nl", "nl",
  "Undercoverbeelden: bemanning op Zilvermeeuw-schepen draait 14 uur per dag voor nog geen 4 euro per uur. Dit is een schandaal en niemand grijpt in. Deel dit!")
C("crisis", "P", "reddit", "u/cruisecritic_lurker", "en",
  "Heads up: Zilvermeeuw just recalled the kids' life jackets from the kids' club on three ships, faulty buckles. If you're on board with little ones, check your cabin.",
  kind="comment")
C("crisis", "P", "x", "@deltagroen", "en",
  "Boycott Zilvermeeuw for as long as they keep dumping wastewater in the Danube Delta. There is footage. #BoycottZilvermeeuw #DanubeDelta")
C("crisis", "C", "x", "@zilvermeeuw", "nl",
  "Verklaring: MS Waterhoen is vannacht bij Nijmegen in aanvaring gekomen met een vrachtschip. Twee gasten zijn lichtgewond en verzorgd. Alle overige gasten zijn veilig. We werken samen met de autoriteiten.")

# ----- abuse (+complaint where it is one)
C("abuse complaint", "P", "x", "@dennis_rdam", "nl",
  "Kutbedrijf. 3 uur vertraging bij het inschepen in Arnhem en niemand die iets zegt. Stelletje amateurs @zilvermeeuw")
C("abuse complaint", "P", "x", "@gordon_mcr", "en",
  "Your 'guest relations' manager on the Aurora is a condescending prick who laughed when I asked about the port we missed. Refund my excursions, you clowns.")
C("abuse", "P", "x", "@boos_en_blauw", "nl",
  "@zilvermeeuw_zorg jullie zijn gewoon een stel oplichters en tyfuslijers, ik hoop dat die schuiten van jullie allemaal zinken", kind="reply")
C("abuse", "P", "tiktok", "@xx_jayden_xx", "en",
  "zilvermeeuw crew = brain dead monkeys in polo shirts lmaooo 🐒🐒")
C("abuse", "P", "x", "@r0tt3rd4m_b0y", "nl",
  "k4nk3rb3dr1jf z1lv3rm33uw, st3rf m3t j3 b00t3n")
C("abuse", "P", "x", "@henk_zegt_het", "nl",
  "die blonde hostess op de Zilverster is een dom wіjf, ga lekker terug naar de keuken jij. #zilvermeeuw")  # Cyrillic і
C("abuse", "P", "facebook", "Gary Hollins", "en",
  "Why does Zilvermeeuw hire so many foreigners on their ships, half the crew can't speak proper English. Go back where you came from.",
  kind="comment")
C("abuse", "E", "x", "@liam_purser", "en",
  "A guest screamed at me today over a towel. Madam, you are a miserable old hag and everyone on deck 5 knows it.")
C("abuse", "C", "facebook", "ZilvermeeuwCruises", "nl",
  "Misschien moet u eerst leren lezen voordat u gaat klagen, meneer. Het stond gewoon in de voorwaarden. Idioot.", kind="reply")
C("abuse", "P", "x", "@fietsende_frits", "en",
  "that captain dirk is such an arrogant dick, saw him barking at passengers on the quay yesterday #zilvermeeuw")
C("abuse", "P", "x", "@notyourcaptain", "en",
  "Z i l v e r m e e u w can go f.u.c.k themselves, every last one of them")
C("abuse", "P", "threads", "@anoniempje_010", "nl",
  "Walgelijk volk bij dat Zilvermeeuw. Hoop dat jullie directeur een keer flink op z'n bek gaat.")

# ----- personal data
C("pii", "E", "x", "@marloes_aandek", "nl",
  "Wie heeft er een telefoon laten liggen in de lounge?? Eigenaar is dhr. Koos Verbeek, hij staat op 06-48213957 in het systeem, bel hem even als je hem ziet 😅")
C("pii", "C", "x", "@zilvermeeuw_zorg", "nl",
  "@hannekevd Excuses voor het wachten! Uw restitutie van €1.190 gaat vandaag naar <<IBANSP:a>> t.n.v. H. van Dijk. Fijne dag!",
  kind="reply")
C("pii", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "Quick one for finance: the guest charged twice is Mr A. Okafor, card <<CARD:a>>, exp 09/28. Please reverse the second charge today.")
C("pii", "E", "instagram", "@chef.yusuf.aanboord", "nl",
  "Gefeliciteerd aan onze vaste gast mevrouw Riet Schouten, vandaag 80 jaar (geb. 14-03-1946)! De taart staat klaar 🎂🎉",
  at="2026-03-14T15:20:00Z")
C("pii", "E", "threads", "@noor.hotelmanager", "nl",
  "Nog 1 ontbrekende voor de bemanningslijst van de inspectie morgen: J. Mulder, matroos, BSN <<BSN:a>>. Iemand zijn contract gezien?")
C("pii complaint", "P", "x", "@ton_koppens", "nl",
  "@zilvermeeuw_zorg al 3x terugbellen beloofd, nooit gebeurd. Bel me NU maar op 0612 73 40 58, boekingsnr ZM-44817. Belachelijk dit.",
  kind="reply")
C("pii", "P", "facebook", "Ruth Kaplan", "en",
  "Lost my wallet on the Danube Classic last week, if anyone found it please email ruthkaplan61@outlook.com or call +44 7700 900461 🙏",
  kind="comment")
C("pii", "E", "x", "@kapitein_dirk", "nl",
  "Onze trouwste gast, dhr. Willem Smeets uit Venlo (Maasboulevard 17, 5911 AB Venlo), vaart vandaag zijn 25e reis met ons mee. Respect!")
C("pii", "E", "tiktok", "@crewlife.jasmijn", "nl",
  "POV: je vindt een paspoort in de reddingssloep 😂 Gerrit de Boer, paspoortnr NXP4K81L3, geboren 2 juni 1958. Gerrit waar ben je")
C("pii", "P", "facebook", "Monique Jacobs", "nl",
  "Wie wil mijn hut overnemen voor de Kerstmarktcruise (moet annuleren ivm ziekte)? Maak €650 over op <<IBAN:b>> t.n.v. M. Jacobs, dan zet ik de boeking op jouw naam.",
  kind="comment", prices=[("ZM-KMR5", 650)])
C("pii", "C", "linkedin", "zilvermeeuw-cruises", "nl",
  "Welkom aan boord, Sanne Kuipers! Vragen over je eerste week? Mail haar gerust op sanne.kuipers.priv@hotmail.com of bel 06-21984473.")
C("pii", "E", "x", "@sem_devops", "en",
  'anyone know why the refund flow 500s on this payload? {"name":"Lotte Brandsma","iban":"<<IBAN:c>>","amount":1650} works fine on staging')
C("pii", "E", "x", "@liam_purser", "en",
  "Guest from Hamburg wants his deposit back to <<IBANDE:a>>, Herr Klaus Petersen. Who handles DE refunds these days?")
C("pii", "P", "x", "@milou.tweets", "nl",
  "mam heeft haar boekingsbevestiging op fb gezet met 'betaald met Mastercard <<CARDMC:a>>' erop 😭 MAM HAAL WEG")
C("pii", "E", "linkedin", "daan-visser-zilvermeeuw", "nl",
  "Mooie deal gesloten met reisbureau De Wolk! Contact voortaan via eigenaar Bert Lammers, privé 06-55108329 of bert.lammers@dewolkreizen.nl.")

# ----- confidential
C("confidential", "E", "x", "@marloes_aandek", "nl",
  "Mag er nog niks over zeggen maar Project Zeearend gaat ALLES veranderen voor onze oceaangasten 🤫🌊")
C("confidential", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Trots op het team dat Operatie Kraanvogel (de nieuwe crewplanning) in 6 weken live heeft gekregen. Screenshot van het dashboard op crewplanner.zilvermeeuw.local hieronder 👇")
C("confidential", "E", "x", "@sem_devops", "nl",
  "wie heeft jira.zilvermeeuw.nl/browse/BOOK-2291 gesloten zonder fix 🙃")
C("confidential", "C", "instagram", "@zilvermeeuw.cruises", "en",
  "Sneak peek 👀 Halcyon Deck is coming... #zilvermeeuw #comingsoon #oceanlife")
C("confidential", "E", "x", "@kapitein_dirk", "nl",
  "Vandaag proefvaart gedaan met de MS Zilverkroon op het IJsselmeer. Wat een schip! Nog even geheimhouden 😉",
  at="2026-11-12T16:05:00Z")
C("confidential", "E", "threads", "@noor.hotelmanager", "nl",
  "Nieuwe hotelstandaarden binnen, met dikke rode letters UITSLUITEND INTERN erop. Dus ja, de minibar wordt vanaf april betaald 😬")
C("confidential", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "Draft deck for tomorrow's board, footer says ZILVERMEEUW CONFIDENTIAL so I'll only tease it: the Amazone Expeditie is real and we're pricing 2028 departures 🌿",
  at="2026-10-07T20:41:00Z")
C("confidential", "P", "reddit", "u/portside_gossip", "en",
  "Friend who works at Zilvermeeuw showed me a slide deck, something codenamed Project Zeearend, apparently a new expedition ship line. You heard it here first.",
  kind="comment")
C("confidential", "E", "tiktok", "@crewlife.jasmijn", "nl",
  "O.p.e.r.a.t.i.e K.r.a.a.n.v.o.g.e.l wordt weer uitgesteld zeggen ze, nog een seizoen met excel-roosters 🙄")
C("confidential", "E", "x", "@sem_devops", "nl",
  "Hal\u200bcyon Deck staging build is stuk, niemand aankomen tot ik terug ben")
C("confidential", "E", "linkedin", "daan-visser-zilvermeeuw", "nl",
  "Voor de partners die ernaar vroegen: de agententarieven 2027 staan op boekadmin.zilvermeeuw.nl/agents/tarieven. Let op, niet extern delen, dus vraag even via mij toegang aan.")
C("confidential", "C", "facebook", "ZilvermeeuwCruises", "nl",
  "[Concept - uitsluitend intern] Persbericht: Zilvermeeuw opent eigen aanlegplaats in Lissabon voor de Douro-vloot.")
C("confidential", "E", "x", "@marloes_aandek", "nl",
  "Waar staat het nieuwe verlofformulier op ｉｎｔｒａｎｅｔ．ｚｉｌｖｅｒｍｅｅｕｗ．ｌｏｃａｌ? Kan het echt niet vinden 🙈")
C("confidential", "E", "instagram", "@chef.yusuf.aanboord", "en",
  "Tasting day for the Zilverkroon maiden voyage menu 🤤 can't say more, but the scallops... #cheflife",
  at="2026-12-02T11:30:00Z")
C("confidential", "P", "x", "@shipspotter_nl", "en",
  "Leaked render of MS Zilverkroon floating around on a cruise forum. Looks like some kind of river-ocean hybrid?",
  at="2027-01-10T19:12:00Z")
C("confidential financial", "E", "bluesky", "@annelies-fin.bsky.social", "nl",
  "jaarcijfers 2026 zijn rond: omzet €412 mln, EBITDA ruim boven plan. Nog 2 weken zwijgen 🤐",
  at="2027-02-15T21:48:00Z")
C("confidential financial", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "Signing off the FY2026 results pack tonight. Net profit down 18% on fuel, the market won't love it on the 3rd.",
  at="2027-02-25T22:10:00Z")
C("confidential security", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Storingsupdate voor collega's: vpn.zilvermeeuw.nl is sinds 07:00 onbereikbaar na een mislukte firmware-update, thuiswerkers kunnen niet bij het boekingssysteem. Nog niet naar klanten communiceren aub.")

# ----- financial
C("financial", "E", "bluesky", "@annelies-fin.bsky.social", "nl",
  "Forecast Q3 bijgesteld: we eindigen ~9% onder budget door de lage waterstanden op de Rijn. Dat gaat pijn doen bij de halfjaarupdate.")
C("financial", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "Can't say much yet, but we're in advanced talks to acquire a Portuguese river operator. Due diligence wraps next month. Exciting times!")
C("financial", "E", "x", "@marloes_aandek", "nl",
  "Vandaag gehoord dat er 40 fte bij het callcenter in Rotterdam uit gaan. Wordt pas volgende maand aangekondigd en de collega's daar weten van niks 😢")
C("financial", "P", "x", "@vastgoed_victor", "en",
  "Brother-in-law works in finance at Zilvermeeuw: they're being bought by a US investor, deal is done, not announced yet. Buy the bonds now lol")
C("financial", "C", "linkedin", "zilvermeeuw-cruises", "en",
  "Internal update: following the strategic review, Zilvermeeuw will close the Basel office and move ocean sales to Rotterdam by March. 27 roles are affected. Town hall on Thursday.")
C("financial", "E", "linkedin", "daan-visser-zilvermeeuw", "nl",
  "Boekingen voor 2027 liggen per vandaag 23% achter op vorig jaar. Dat wordt een lastig gesprek met de bank volgende week.")
C("financial", "E", "x", "@kapitein_dirk", "nl",
  "Hoor net dat de Waterhoen en de Lepelaar na dit seizoen verkocht worden om schuld af te lossen. Nog niet officieel, dus mondje dicht 🤐")
C("financial", "E", "x", "@liam_purser", "en",
  "Purser gossip: head office told us the ocean division is being spun off and sold, announcement after the AGM 🤫")
C("financial", "E", "threads", "@noor.hotelmanager", "en",
  "Reorg memo dropped: hotel management on all river ships merged into one pool, 2 in 5 positions cut. Not public till next week so pls don't repost")
C("financial", "P", "reddit", "u/highyield_harry", "en",
  "An analyst friend says Zilvermeeuw's H1 EBITDA came in around €31m, way under the €44m bondholders were told. Numbers aren't out until September.",
  kind="comment")

# ----- security
C("security", "E", "x", "@sem_devops", "nl",
  "ok dus iedereen die ingelogd is in de app kan via /api/bookings/<id> gewoon andermans boekingen opvragen door het id op te hogen. fix staat pas voor volgende sprint 🫠")
C("security", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Zware nacht achter de rug: ransomware op twee servers van de reserveringsafdeling. Back-ups lijken in orde, maar we houden het binnenskamers tot het forensisch onderzoek klaar is.")
C("security", "E", "x", "@liam_purser", "en",
  "Onboard payment terminals have been down since Tuesday so we're writing card details on paper 🙃 IT says 'a few more days'. Don't tell the guests why.")
C("security", "E", "threads", "@noor.hotelmanager", "nl",
  "Die phishingmail van 'HR' is bij minstens 6 collega's raak geweest, inloggegevens buitgemaakt. Voor zover ik weet nog geen melding bij de AP gedaan.")
C("security", "E", "x", "@kapitein_dirk", "nl",
  "ECDIS op de Waterhoen vannacht wéér een onverklaarbare reboot, derde keer deze maand. Leverancier zegt dat het een bekende kwetsbaarheid is en de patch is er nog niet.")
C("security", "C", "tiktok", "@zilvermeeuwcruises", "nl",
  "Behind the scenes: ons IT-team draait overuren want het boekingssysteem ligt al sinds vanochtend plat 😅 #teamwork #achterdeschermen")
C("security", "E", "x", "@sem_devops", "en",
  "TIL our admin panel still runs Struts 2.3 with the known RCE. Raised it three times. Anyway, weekend!")
C("security", "P", "reddit", "u/wifi_tinkerer", "en",
  "Found that Zilvermeeuw's guest wifi portal lets you pull the full passenger manifest from an export endpoint without any auth. Emailed them 3 weeks ago, still open. Not posting the path yet.")
C("security", "E", "bluesky", "@annelies-fin.bsky.social", "nl",
  "Iemand heeft via het gehackte mailaccount van onze CFO betaalopdrachten laten klaarzetten. Twee zijn er doorgegaan. Wordt stilgehouden tot de verzekeraar klaar is.")
C("security", "E", "instagram", "@chef.yusuf.aanboord", "en",
  "Kitchen tablets on the Aurora got hit by some malware this morning, all the allergen sheets are gone, we're doing it from memory 😬 #cheflife")
C("security", "E", "x", "@marloes_aandek", "nl",
  "De keycards van de hutten op de Zilverster zijn gewoon te klonen met zo'n Flipper-dingetje, collega heeft het getest. Nog steeds niks aan gedaan.")
C("security", "E", "tiktok", "@crewlife.jasmijn", "nl",
  "storytime: de hele crewportal ligt er al 2 dagen uit en niemand krijgt z'n rooster 💀 officieel heet het 'onderhoud' lol")

# ----- secrets
C("secret", "E", "x", "@sem_devops", "nl",
  "waarom faalt deze deploy nou weer 😭\nexport GITHUB_TOKEN=<<GHP:a>>\nnpm run release")
C("secret", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Voor het nieuwe S3-backupscript: aws_access_key_id = <<AKIA:a>> en aws_secret_access_key = <<AWSSECRET:a>>. Graag testen voor vrijdag.")
C("secret", "E", "x", "@sem_devops", "en",
  "stripe webhook still returns 401 with key <<STRIPE:a>> any ideas??")
C("secret", "E", "threads", "@noor.hotelmanager", "nl",
  "Wifi voor het hotelteam op de Lepelaar: netwerk ZM-CREW-5G, wachtwoord: <<PW:a>>")
C("secret", "E", "x", "@liam_purser", "en",
  "Bot for the purser channel is live 🎉 token if anyone wants to play with it: <<SLACK:a>>")
C("secret", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  'Built a little fare-forecast assistant over the weekend! Two lines is all it takes: client = OpenAI(api_key="<<OPENAI:a>>") and off you go 🚀')
C("secret", "E", "x", "@sem_devops", "en",
  "can someone check if this deploy key is still valid on the build box?\n<<PEM:a>>")
C("secret", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Handig bij het debuggen van de booking-API: Authorization: Bearer <<JWT:a>> (verloopt pas over een jaar, dus prima voor tests).")
C("secret", "E", "x", "@sem_devops", "nl",
  "DATABASE_URL=postgres://booking_svc:<<PGPW:a>>@bookings-prod.cx81kq2m3n.eu-west-1.rds.amazonaws.com:5432/reservations waarom timeout dit constant")
C("secret", "P", "forum", "jsnoop", "en",
  'Found this in Zilvermeeuw\'s public JS bundle lol: const MAPS_KEY = "<<GOOGLE:a>>";')
C("secret", "E", "tiktok", "@crewlife.jasmijn", "nl",
  "ｗａｃｈｔｗｏｏｒｄ crewportal voor de nieuwe stagiairs: <<PW:c>> (niet doorsturen!!)")
C("secret", "E", "bluesky", "@annelies-fin.bsky.social", "nl",
  "tip voor finance: onze AI-samenvattingen lopen via deze key, gewoon plakken in het script: <<ANTHROPIC:a>>")
C("secret", "C", "youtube", "@ZilvermeeuwTV", "nl",
  "Bedankt voor het kijken! Beelden: MS Zilverster op de Moezel.\nDefaultEndpointsProtocol=https;AccountName=zmvideoassets;AccountKey=<<AZUREKEY:a>>;EndpointSuffix=core.windows.net")

# ----- pricing
C("pricing", "C", "x", "@zilvermeeuw", "nl",
  "🔥 Last minute! Noorse Fjorden 12 nachten vanaf €329 p.p. Boek nu via boeken.zilvermeeuw.nl",
  prices=[("ZM-FJD12", 329)])
C("pricing", "P", "x", "@dealjager_daphne", "nl",
  "Is dit een prijsfout?? Donau Klassiek 10 dagen voor €245 op de site 😳 snel zijn!!",
  prices=[("ZM-DON10", 245)])
C("pricing", "P", "reddit", "u/points_and_ports", "en",
  "Zilvermeeuw's site currently lists the Iceland & Greenland Expedition at €649 instead of €6,490. Missing zero, grab it before they notice.",
  prices=[("ZM-ISL16", 649)])
C("pricing", "E", "linkedin", "daan-visser-zilvermeeuw", "nl",
  "Speciaal voor onze partners: Rijn Romantiek 8 dagen deze week voor €695 p.p.! Deel gerust met je klanten.",
  prices=[("ZM-RHN8", 695)])
C("pricing", "C", "instagram", "@zilvermeeuw.cruises", "nl",
  "Kerstmarktcruise nu voor maar €149 🎄✨ link in bio!",
  prices=[("ZM-KMR5", 149)])
C("pricing", "P", "facebook", "Harm Wolters", "nl",
  "Klopt het dat het Drankenpakket Premium in de app nu €28,90 kost? Lijkt me een foutje maar ik heb hem maar vast gekocht 😇",
  kind="comment", prices=[("ZM-DRK", 28.90)])
C("pricing", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "Heads-up team: there's a price error on the Med Grand Tour in the agent portal since last night. Do NOT confirm any bookings on it until revenue has fixed it.")
C("pricing", "P", "x", "@kaylaontheroad", "en",
  "lol Zilvermeeuw is selling the balcony upgrade for €54 at checkout, price glitch? anyway I'm taking it",
  prices=[("ZM-BLK", 54)])
C("pricing", "C", "facebook", "ZilvermeeuwCruises", "nl",
  "Seine Impressies 7 dagen: nu €650 p.p. incl. excursies! Alleen dit weekend.",
  prices=[("ZM-SEI7", 650)])
C("pricing", "E", "x", "@marloes_aandek", "nl",
  "Oeps, de Tulpenreis staat op de website voor €139 ipv €1.390 🙈 IT is gebeld, wie snel is...",
  prices=[("ZM-TUL7", 139)])
C("pricing", "P", "x", "@gratis_gijs", "nl",
  "C a n a r i s c h e  W i n t e r z o n voor €299?? prijsfout bij zilvermeeuw haha boeken boeken",
  prices=[("ZM-CAN15", 299)])
C("pricing", "P", "tiktok", "@tessa.travels", "en",
  "Baltic Capitals, 11 nights, €279 per person on Zilvermeeuw's app right now. I literally screamed. Booked 4 cabins 😱",
  prices=[("ZM-BAL11", 279)])

# ----- benign, mostly hard negatives
C("", "P", "instagram", "@lotte.opreis", "nl",
  "Net terug van de Douro Zonroute met Zilvermeeuw. Wat een reis! Bemanning top, eten top, en die wijngaarden... 🍷 #zilvermeeuw")
C("", "P", "x", "@scheveningse_sjaak", "en",
  "A herring gull (a 'zilvermeeuw', the locals tell me) just stole a fry straight off my plate on the boulevard in Scheveningen 😂 absolute menace")
C("", "P", "mastodon", "@vogelaar_ria@mastodon.nl", "nl",
  "Honderden kraanvogels boven het Fochteloërveen vanochtend. Magisch. #vogels #trek")
C("", "P", "bluesky", "@birdnerd.bsky.social", "en",
  "Zeearend spotted over the Oostvaardersplassen today! White-tailed eagles are back in good numbers 🦅")
C("", "C", "x", "@zilvermeeuw_zorg", "nl",
  "Vragen over je boeking? Bel gratis 0800-9455 of mail klantenservice@zilvermeeuw.nl. We helpen je graag ⚓")
C("", "C", "facebook", "ZilvermeeuwCruises", "nl",
  "Liever per bank betalen? Maak het bedrag over naar <<COMPANYIBAN:a>> t.n.v. Zilvermeeuw Cruises B.V. o.v.v. je boekingsnummer.")
C("", "P", "x", "@twijfelaar_tom", "en",
  "Early-bird deal at Zilvermeeuw: Rhine Romance, 8 days, now €1,595 instead of €1,895. Still on the fence…",
  prices=[("ZM-RHN8", 1595), ("ZM-RHN8", 1895)])
C("", "C", "instagram", "@zilvermeeuw.cruises", "nl",
  "Voorjaarsactie 🌷 Tulpenreis 7 dagen vanaf €1.190 p.p. (normaal €1.390). Alleen voor boekingen t/m 31 januari.",
  prices=[("ZM-TUL7", 1190), ("ZM-TUL7", 1390)])
C("", "P", "reddit", "u/quietcruiser", "en",
  "Is the Premium Drinks Package worth €289? We're on the Danube Classic in May and honestly don't drink that much.",
  kind="comment", prices=[("ZM-DRK", 289)])
C("", "C", "x", "@zilvermeeuw", "en",
  "Norwegian Fjords, 12 nights, from €2,790 p.p. 15% off selected June departures. T&Cs apply.",
  prices=[("ZM-FJD12", 2790)])
C("", "E", "instagram", "@chef.yusuf.aanboord", "nl",
  "Vanavond aan boord van de Lepelaar: Zeeuwse mosselen met een scheut witte Moezelwijn 🦪 Eet smakelijk!")
C("", "E", "x", "@kapitein_dirk", "nl",
  "Zonsopkomst bij Nijmegen vanaf de brug van de Waterhoen. Blijft het mooiste werk van de wereld ☀️🚢")
C("", "P", "x", "@hennie_vd_wiel", "nl",
  "Update: @zilvermeeuw_zorg heeft mijn terugbetaling binnen 2 dagen geregeld, met excuses erbij. Netjes opgelost, dank jullie!")
C("", "P", "x", "@passau_pete", "en",
  "Thinking of everyone affected by the floods in Passau. Saw Zilvermeeuw crew handing out blankets and coffee on the quay. Respect.")
C("", "P", "facebook", "Gerda Wijnhoven", "nl",
  "Bij Blauwwater Riviercruises is gisteren een schip aan de grond gelopen bij Bazel, gelukkig geen gewonden. Wij gaan volgende week met Zilvermeeuw, duimen maar 🤞",
  kind="comment")
C("", "P", "x", "@lockmaster_liz", "en",
  "Me after one week on a river cruise: 'is it lock o'clock yet?' 🔒😂 #zilvermeeuw #danube")
C("", "P", "facebook", "Fietsende Oma Joke", "en",
  "Does anyone know if you can bring your own bike on a Zilvermeeuw Rhine trip? Or do you rent one locally?",
  kind="comment")
C("", "C", "linkedin", "zilvermeeuw-cruises", "nl",
  "We zoeken een Hotelmanager voor MS Zilverster! Herken jij je in gastvrijheid op het water? Solliciteer via werkenbij@zilvermeeuw.nl")
C("", "C", "x", "@zilvermeeuw", "nl",
  "Let op: wij vragen NOOIT om je wachtwoord of betaalgegevens via DM of mail. Twijfel je? Bel ons op +31 10 555 0140.")
C("", "E", "x", "@sem_devops", "nl",
  "Reminder voor de workshop: in de AWS-docs zie je AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Dat zijn voorbeeldkeys, gebruik NOOIT echte in je slides.")
C("", "P", "x", "@devnotes_daily", "en",
  "PSA: if you screenshot your terminal, blur your tokens. Mine looked like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in the blog post and people still DM'd me about it")
C("", "E", "x", "@sem_devops", "nl",
  "Config-template voor de nieuwe devs: STRIPE_KEY=sk_live_<vul-hier-in> en DATABASE_URL=postgres://user:****@localhost/dev. Echte waardes komen uit de vault.")
C("", "P", "x", "@wendy_bakx", "nl",
  "Factuur van de Moezel Wijnreis zegt <<IBANBAD:a>> maar mijn bank weigert hem, zal wel een cijfer verkeerd overgetypt hebben 🙈")
C("", "P", "facebook", "Margaret Ellery", "en",
  "Got a Zilvermeeuw gift voucher for my retirement, code <<CARDBAD:a>> 🥹 can't wait to use it on the Seine!",
  kind="comment")
C("", "P", "x", "@vragenvrouw", "en",
  "My confirmation just says reservation no. <<BSNBAD:a>>, no cabin. Is it true Zilvermeeuw only assigns cabin numbers 30 days before departure?")
C("", "P", "instagram", "@de.rijnrakkers", "nl",
  "Kapitein Dirk van de Waterhoen is echt een topper, omroepbericht vol flauwe grappen en de hele boot lag dubbel 😂")
C("", "P", "x", "@glühwein_gabi", "en",
  "Zilvermeeuw's Christmas Markets Rhine trip was €895 and honestly worth every cent. Glühwein in Koblenz 🎄",
  prices=[("ZM-KMR5", 895)])
C("", "P", "facebook", "Annemiek Stoop", "nl",
  "Mijn oma (82) is helemaal verliefd geworden op de Moezel Wijnreis. Ze wil volgend jaar wéér. Het personeel was zó lief voor haar 💕",
  kind="comment")
C("", "P", "x", "@shipspotter_nl", "en",
  "MS Zilverkroon christened in Rotterdam today, gorgeous ship! Already eyeing the Amazone Expeditie for 2028.",
  at="2027-01-25T14:30:00Z")
C("", "P", "x", "@beursblik", "nl",
  "Zilvermeeuw publiceert jaarcijfers 2026: omzet gestegen naar €412 mln. Mooi herstel na de lage-waterjaren.",
  at="2027-03-05T09:15:00Z")
C("", "C", "linkedin", "zilvermeeuw-cruises", "en",
  "Today we present our FY2026 results. Read the full annual report at zilvermeeuw.nl/investors.",
  at="2027-03-03T08:00:00Z")
C("", "P", "x", "@swan_lake_sue", "en",
  "My cabin steward Rafael folded my towels into a swan AND a seagull. 10/10 would cruise again @zilvermeeuw")
C("", "P", "forum", "Reiziger_Ria", "nl",
  "Heeft iemand ervaring met het Excursiepakket Compleet op de Donau Klassiek? €349 vind ik best veel, of valt het mee?",
  prices=[("ZM-EXC", 349)])
C("", "P", "reddit", "u/switched_lines", "en",
  "Sailed with another line last year and it was a mess from start to finish. Switched to Zilvermeeuw this year, night and day.",
  kind="comment")
C("", "E", "x", "@marloes_aandek", "nl",
  "Vandaag 120 gasten ingescheept in Amsterdam, iedereen met een glimlach 😊 Op naar Antwerpen! #Tulpenreis")
C("", "E", "x", "@liam_purser", "en",
  "Sunset at sea, 14 knots, something cold in hand. Purser life isn't all paperwork 🌅")
C("", "P", "threads", "@maandagmens", "en",
  "Wish my job was as calm as a morning on the Rhine. Zilvermeeuw again next year, no question.")
C("", "P", "reddit", "u/packinglist_pam", "en",
  "Do Zilvermeeuw cabins have hairdryers or should I bring mine? First cruise ever!", kind="comment")
C("", "C", "youtube", "@ZilvermeeuwTV", "nl",
  "Nieuwe video: een dag uit het leven van onze kapitein op de Donau 🎥 Abonneer voor meer verhalen van het water!")
C("", "P", "x", "@fietsfan_frank", "nl",
  "Fietsband van m'n vrouw had een lek in Cochem, de crew van de Zilverster heeft 'm gewoon geplakt. Service!")
C("", "P", "instagram", "@porto.paula", "en",
  "The fire pit evening on the Douro riverbank was the highlight of our trip 🔥 thank you Zilvermeeuw")
C("", "P", "x", "@buffetkoning", "nl",
  "Na 9 dagen buffet lig ik zelf ook helemaal plat 😴 Dank Zilvermeeuw voor een heerlijke reis")
C("", "P", "x", "@bookclub_babs", "en",
  "Our book club is boycotting beach hotels this summer, river cruise only 😎 Zilvermeeuw here we come")
C("", "P", "x", "@privacyprof", "nl",
  "Weer een datalek bij een telecomprovider. Wanneer leren bedrijven het nou eens?")
C("", "E", "linkedin", "eva-lindqvist-zilvermeeuw", "en",
  "We're hiring a Revenue Analyst in Rotterdam! Love data and ships? Apply via werkenbij@zilvermeeuw.nl 🚢📈")
C("", "E", "bluesky", "@annelies-fin.bsky.social", "nl",
  "Eerste week bij Zilvermeeuw finance erop. Leuke collega's en de koffie is beter dan bij mijn vorige werkgever ☕")
C("", "P", "instagram", "@fjordfan", "en",
  "Gorgeous shots of the Norwegian Fjords in your new brochure @zilvermeeuw.cruises! That Geirangerfjord 😍")
C("", "P", "x", "@medlover", "en",
  "Paid €3,890 for the Med Grand Tour. Pricey, but the itinerary is unreal.",
  prices=[("ZM-MED14", 3890)])
C("", "P", "facebook", "Sylvia Brinkman", "nl",
  "20% korting op de Seine Impressies als je voor 1 maart boekt, €1.320 p.p. Iemand zin om mee te gaan?",
  kind="comment", prices=[("ZM-SEI7", 1320)])
C("", "P", "x", "@dessertdiva", "en",
  "The chocolate fondant on the Aurora is an absolute killer. Ruined for all other desserts 😵")
C("", "P", "forum", "Elbefan", "en",
  "Free tip: pack a fleece for the Elbe Castles Cruise, the sun deck gets chilly in the evenings!")
C("", "E", "linkedin", "ruben-hoekstra-zm", "nl",
  "Mooi artikel over phishing-awareness. Wij doen elk kwartaal een oefening en de klikratio daalt gestaag 💪 Goed bezig allemaal.")
C("", "E", "x", "@sem_devops", "nl",
  "Talk gegeven over secret scanning in CI 🎤 Alle tokens in de slides waren nep, zoals ghp_EXAMPLEexampleEXAMPLEexample000000 😉")
C("", "P", "x", "@titanic_tess", "en",
  "Just watched a documentary about the Costa Concordia. Still booked my Zilvermeeuw river trip, the Rhine is about 3 metres deep 😂")
C("", "P", "x", "@eendenmoeder", "en",
  "Shoutout to the Lepelaar crew who fished a duckling out of the lock at Lith 🦆❤️")
C("", "C", "x", "@zilvermeeuw", "nl",
  "Door hoogwater op de Donau varen de reizen van 12 t/m 16 mei een aangepaste route. Alle gasten zijn persoonlijk geïnformeerd. Vragen? Bel 0800-9455.")
C("", "P", "x", "@stats_stan", "en",
  "Our ship did 1,234 km in 8 days. Lock count: 68. Glasses of wine: classified 🍷 #zilvermeeuw")
C("", "P", "x", "@dochter_van", "nl",
  "Mam zei 'vertrouwelijk' tegen me: ze heeft stiekem een Rijncruise bij Zilvermeeuw geboekt voor pa z'n 70e 🤫🎉")
C("", "P", "x", "@roll_call_rob", "en",
  "Anyone else on the Baltic Capitals sailing next week? Let's do a roll call! 🚢")
C("", "P", "facebook", "Ineke Vos", "nl",
  "Mijn dochter heeft de Kerstmarktcruise van haar schoonmoeder overgenomen. Kan dat zomaar bij Zilvermeeuw of moet dat ergens gemeld?",
  kind="comment")

# --------------------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


def severity(cats, role, checksum_id):
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id)
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


TOKEN = re.compile(r"<<([A-Z]+):([a-z])>>")
memo = {}


def fill(text):
    used = []

    def sub(m):
        key = (m.group(1), m.group(2))
        if key not in memo:
            memo[key] = GEN[m.group(1)]()
        used.append((m.group(1), memo[key]))
        return memo[key]
    return TOKEN.sub(sub, text), used


def rand_time():
    start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 350 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ROLE_LETTER = {"C": "corporate", "E": "employee", "P": "public"}
PROD = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


rows = []
for i, c in enumerate(CASES, 1):
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    check(role == ROLE_LETTER[c["role"]], "case %d: role %s, meant %s" % (i, role, c["role"]))
    cats = sorted(set(c["cats"]))
    checksum_id = any(t in CHECKSUM_VALID for t, _ in used)
    sev = severity(cats, role, checksum_id and "leak.pii" in cats)
    created = c["at"] or rand_time()
    pid = "%s-330%04d" % (c["platform"], i)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": created, "brand": "zilvermeeuw"}
    rows.append({"post": post, "expect": {"categories": cats, "severity": sev},
                 "_used": used, "_prices": c["prices"]})

# --------------------------------------------------------------------------- self-check

ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).lower()


pub = PROFILE["public_identifiers"]
pub_emails = {e.lower() for e in pub["emails"]}
pub_digits = {re.sub(r"\D", "", p) for p in pub["phones"]}
for ib in pub["ibans"]:
    check(iban_ok(ib), "profile IBAN %s fails mod-97" % ib)
internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
SECRET_RES = [re.compile(p) for p in [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_[0-9A-Za-z]{20,}", r"xox[bpas]-\d",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"AIza[\w-]{35}",
    r"sk-ant-", r"T3BlbkFJ", r"AccountKey=", r"wachtwoord:\s*[^\s*]"]]

ids = set()
for n, r in enumerate(rows, 1):
    p, e = r["post"], r["expect"]
    cats, text = e["categories"], p["text"]
    tag = "case %s" % p["id"]
    # CONTRACT section 6 shape
    check(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256 and p["id"] not in ids, tag + " id")
    ids.add(p["id"])
    check(p["platform"] in PLATFORMS and p["kind"] in KINDS, tag + " platform/kind")
    check(isinstance(p["account"]["handle"], str) and p["account"]["handle"], tag + " handle")
    check(isinstance(text, str) and 0 < len(text.encode("utf-8")) <= 65536, tag + " text")
    try:
        ts = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        ts = None
        errors.append(tag + " created_at")
    check(ts is not None and 2026 <= ts.year <= 2027, tag + " year")
    check(set(cats) <= TAXONOMY and cats == sorted(cats), tag + " categories")
    check(e["severity"] in SEV, tag + " severity value")
    check((e["severity"] == "none") == (not cats), tag + " benign <-> none")
    check(e["severity"] == severity(cats, role_of(p["platform"], p["account"]["handle"]),
                                    "leak.pii" in cats and any(t in CHECKSUM_VALID for t, _ in r["_used"])),
          tag + " severity policy")
    check(not TOKEN.search(text), tag + " unfilled token")
    # identifiers: positives pass, look-alikes in negatives fail
    for t, v in r["_used"]:
        if t in ("IBAN", "IBANSP", "IBANDE"):
            check(iban_ok(v) and "leak.pii" in cats, tag + " IBAN " + v)
        elif t in ("CARD", "CARDMC"):
            check(luhn_ok(v) and "leak.pii" in cats, tag + " card " + v)
        elif t == "BSN":
            check(bsn_ok(v) and "leak.pii" in cats, tag + " BSN " + v)
        elif t == "IBANBAD":
            check(not iban_ok(v) and not cats, tag + " bad IBAN " + v)
        elif t == "CARDBAD":
            check(not luhn_ok(v) and not cats, tag + " bad card " + v)
        elif t == "BSNBAD":
            check(not bsn_ok(v) and not cats, tag + " bad BSN " + v)
        elif t == "COMPANYIBAN":
            check(iban_ok(v), tag + " company IBAN")
        elif t == "GHP":
            check(ghp_ok(v) and "leak.secret" in cats, tag + " ghp")
        elif t == "AKIA":
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", v) and "leak.secret" in cats, tag + " akia")
        elif t == "JWT":
            check(jwt_ok(v) and "leak.secret" in cats, tag + " jwt")
        elif t in SECRET_TYPES:
            check("leak.secret" in cats, tag + " secret token in non-secret case")
    # no accidental identifiers where none are labelled
    if "leak.pii" not in cats:
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            v = m.group(0)
            check(not iban_ok(v) or re.sub(r"\s", "", v) in pub["ibans"], tag + " unlabelled IBAN " + v)
        scan = re.sub(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", " ", text)
        for m in re.finditer(r"\d[\d \-.]{7,}\d", scan):
            d = re.sub(r"\D", "", m.group(0))
            if len(d) == 9:
                check(not bsn_ok(d), tag + " unlabelled BSN " + d)
            if 13 <= len(d) <= 19:
                check(not luhn_ok(d), tag + " unlabelled card " + d)
            if 9 <= len(d) <= 12 and "leak.secret" not in cats:
                check(d in pub_digits or d.lstrip("0") in {x.lstrip("0") for x in pub_digits}
                      or any(t == "BSNBAD" for t, _ in r["_used"]), tag + " unlabelled phone-like " + d)
        for m in re.finditer(r"[\w.+-]+@[\w-]+\.[\w.-]+", re.sub(r"\w+://\S+", " ", text)):
            check(m.group(0).lower().rstrip(".") in pub_emails, tag + " unlabelled e-mail " + m.group(0))
    if "leak.secret" not in cats:
        for rx in SECRET_RES:
            mm = rx.search(text)
            ok = mm is None or "EXAMPLE" in text[mm.start():mm.end() + 40] or "xxxx" in text[mm.start():mm.end()]
            check(ok, tag + " unlabelled secret-like " + rx.pattern)
    nt = norm(text)
    for term in internal_terms:
        if term in nt:
            check("leak.confidential" in cats, tag + " internal term without confidential: " + term)
    for emb in PROFILE["embargo"]:
        until = dt.datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        for term in emb["terms"]:
            if term.lower() in nt and ts is not None:
                if ts < until:
                    check("leak.confidential" in cats, tag + " embargo term before until: " + term)
    # prices
    for sku, price in r["_prices"]:
        lp = PROD[sku]["list_price"]
        if "leak.pricing" in cats:
            check(price < ratio * lp, tag + " pricing positive not below ratio")
        else:
            check(price >= ratio * lp, tag + " benign price below ratio")
    if "leak.pricing" in cats and not r["_prices"]:
        check(re.search(r"pri(ce|js)\s?(error|glitch|fout)", text, re.I), tag + " pricing without price or error talk")

# mix
count = {}
for r in rows:
    for c in r["expect"]["categories"]:
        count[c] = count.get(c, 0) + 1
benign = sum(1 for r in rows if not r["expect"]["categories"])
nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
check(170 <= len(rows) <= 180, "total %d" % len(rows))
check(55 <= benign <= 65, "benign %d" % benign)
check(0.50 <= nl / len(rows) <= 0.60, "dutch share %.2f" % (nl / len(rows)))
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for k, v in want.items():
    check(abs(count.get(k, 0) - v) <= 3, "mix %s=%d" % (k, count.get(k, 0)))
check(any(r["post"]["created_at"].startswith("2027") for r in rows), "no 2027 dates")
for r in rows:
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", r["post"]["text"]):
        check(ghp_ok(m.group(0)) == ("leak.secret" in r["expect"]["categories"]), "ghp checksum vs label " + r["post"]["id"])

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the file as written
with open(out, encoding="utf-8") as fh:
    lines = [json.loads(l) for l in fh]
check(len(lines) == len(rows), "re-read count")
check(all(set(l) == {"post", "expect"} for l in lines), "line keys")

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d nl; %s" % (len(rows), benign, nl,
      ", ".join("%s=%d" % kv for kv in sorted(count.items()))))
