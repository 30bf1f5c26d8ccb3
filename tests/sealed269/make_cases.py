#!/usr/bin/env python3
"""Build the sealed269 evaluation set (Lokkenhuys Groep: hair salons & barbershops).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and self-checks it (CONTRACT section 6 shape, checksums, severity policy).
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 269
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return d != "000000000" and sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def make_bad_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-booking-admin", "role": "salon_admin",
                                 "iss": "boeken.lokkenhuys.nl", "iat": 1767225600,
                                 "exp": 1798761600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_pem_body():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + \
        bytes(rng.getrandbits(8) for _ in range(12 * 48 - 12))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 64] for i in range(0, len(b), 64))


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------- generated values
ALNUM = string.ascii_letters + string.digits
V = {}
V["IBAN_NL"] = fmt4(make_iban("NL", "INGB" + rnd(string.digits, 10)))
V["IBAN_DE"] = fmt4(make_iban("DE", rnd(string.digits, 18)))
_bad = make_iban("NL", "ABNA" + rnd(string.digits, 10))
V["BAD_IBAN"] = fmt4(_bad[:-1] + str((int(_bad[-1]) + 3) % 10))
V["CARD_VISA"] = fmt4(make_card("4", 16))
V["CARD_MC"] = fmt4(make_card("52", 16))
_bc = make_card("4", 16)
V["BAD_CARD"] = fmt4(_bc[:-1] + str((int(_bc[-1]) + 5) % 10))
V["BSN"] = make_bsn()
_b2 = make_bsn()
V["BSN2"] = "%s.%s.%s" % (_b2[:4], _b2[4:6], _b2[6:])
V["BAD_BSN"] = make_bad_bsn()
V["AWS_ID"] = "AKIA" + rnd(string.ascii_uppercase + "234567", 16)
V["AWS_SECRET"] = rnd(ALNUM + "/+", 40)
V["GHP"] = make_github("ghp_")
_g2 = make_github("ghp_")
V["GHP_ZW"] = _g2[:17] + "\u200b" + _g2[17:]
V["GHP_ZW_RAW"] = _g2
V["GHS"] = make_github("ghs_")
V["MOLLIE"] = "live_" + rnd(ALNUM, 30)
V["STRIPE"] = "sk_live_51" + rnd(ALNUM, 22) + rnd(ALNUM, 72)
V["SLACK"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rnd(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rnd(ALNUM + "_-", 74) + "T3BlbkFJ" + rnd(ALNUM + "_-", 74)
V["ANTHROPIC"] = "sk-ant-api03-" + rnd(ALNUM + "_-", 93) + "AA"
V["JWT"] = make_jwt()
V["PEM"] = make_pem_body()
V["PGPW"] = rnd(ALNUM, 12) + rng.choice("!#%*") + rnd(ALNUM, 4)
V["PWNL"] = rng.choice(["Knipkunst", "Schaar", "Krullen", "Kapsalon"]) + rnd(string.digits, 4) + rng.choice("!?#$")
V["PWNL2"] = rnd(ALNUM, 6) + rng.choice("!#%") + rnd(ALNUM, 7)

SECRET_KEYS = {"AWS_ID", "AWS_SECRET", "GHP", "GHP_ZW", "GHS", "MOLLIE", "STRIPE", "SLACK",
               "OPENAI", "ANTHROPIC", "JWT", "PEM", "PGPW", "PWNL", "PWNL2"}
VALID_ID_KEYS = {"IBAN_NL", "IBAN_DE", "CARD_VISA", "CARD_MC", "BSN", "BSN2"}
BAD_ID_KEYS = {"BAD_IBAN", "BAD_CARD", "BAD_BSN"}
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


CYR = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "p": "\u0440", "c": "\u0441"}

# --------------------------------------------------------------- categories
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "CF": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

# (account "platform:handle", kind, lang, text, categories, created_at or None)
C = []


def add(acct, lang, text, cats="", kind="post", at=None):
    C.append((acct, kind, lang, text, [CAT[c] for c in cats.split()] if cats else [], at))


# ============================================================ complaints
add("x:@marloes_amf", "nl", "Afspraak om 10:15 bij Lokkenhuys Amersfoort. Om 11:05 zat ik nog steeds op dat bankje bij de deur. Geen sorry, geen koffie, niks. Volgende keer ga ik gewoon ergens anders heen", "CO")
add("facebook:Rachel.Bennett.ams", "en", "Asked for a light trim at Lokkenhuys Leidseplein, walked out with a bob. Three inches GONE. The stylist didn't check with me once. Honestly gutted, I've been growing it out since 2024.", "CO")
add("instagram:@dewi.haartjes", "nl", "@lokkenhuys.kappers balayage van €165 en na 2x wassen is het gewoon oranje 🍊🍊 top werk hoor. not.", "CO", kind="comment")
add("x:@tjoekie_92", "en", "booked a Razor Fade online at Fadehaven, show up and 'the system doesn't show it'. waited 40 min for a walk-in slot. sort your booking app out fr", "CO")
add("facebook:Ingrid.Schouten", "nl", "Al drie weken wachten op mijn geld terug voor de geannuleerde proefsessie van het Bruidsatelier. Mails worden niet beantwoord, telefoon gaat over en dan niks. Lokkenhuys, ik wil gewoon mijn geld terug!!", "CO")
add("x:@bram_utr", "en", "my loyalty points at lokkenhuys went to 0 after that app 'update'. had 340 of them. customer service has been 'looking into it' since april 🙄", "CO")
add("reddit:u/throwaway_curls", "en", "PSA: the CurlWave 32 I bought at the Lokkenhuys in Haarlem stopped heating after 5 weeks. Store says no receipt = no warranty, even though the purchase is literally in their loyalty system. Ridiculous.", "CO", kind="comment")
add("tiktok:@mamavanmees", "nl", "kwam voor een simpele Kleine Kuif knipbeurt en ze rekende €35 af ipv 22,50 want 'lang haar toeslag'. mijn zoon is 6 😐 #lokkenhuys", "CO", kind="comment")
add("threads:@dennis.rtm", "en", "Third time in a row my appointment at Fadehaven Rotterdam gets cancelled by text an hour before. I took time off work for this. Done with you guys.", "CO")
add("x:@annekeeeee", "nl", "Zilvershampoo van Lokkenhuys gekocht op advies van de kapster. Haar is nu letterlijk paarsgrijs en voelt als stro. €21,95 weggegooid, bedankt voor het 'advies'", "CO")
add("facebook:Petra.Wolters.Zwolle", "nl", "De kapster bij Lokkenhuys Zwolle zat de HELE tijd op haar telefoon terwijl ze aan het knippen was. Resultaat: scheef, links zeker 2 cm korter dan rechts. Echt zonde van mijn zaterdag.", "CO")
add("instagram:@lisa.krult", "nl", "Gisteren Keratine Gladstrijk laten doen bij Lokkenhuys. Eén nacht geslapen en alles is weer pluis. Bij navraag: 'had je niet op je zij mogen slapen'. Serieus?? Dat hoor je vóóraf te zeggen", "CO")
add("facebook:Mark.Hendricks.NL", "en", "Customer service at Lokkenhuys is a black hole. Called their free number 4 times this week, on hold 25+ minutes each time, then the line just drops.", "CO")
add("x:@yvonne_kapt_niet", "nl", "@lokkenhuys_hulp bel me nou eens terug aub, 06 1739 2846. al 3x beloofd en nog steeds niks gehoord over mijn verpeste kleuring", "P CO", kind="reply")
# first-hand safety: crisis + complaint
add("x:@joycevd", "nl", "Mijn ProAir 2200 föhn van Lokkenhuys begon vanochtend te vonken en er kwam een steekvlam uit de achterkant 😡 snoer helemaal zwart geblakerd. Mijn dochter van 9 had hem net nog gebruikt!! #lokkenhuys", "CR CO")
add("instagram:@hannah.travels.nl", "en", "Got a bleach burn from my Zonlicht Balayage at Lokkenhuys. Scalp blistered for days, GP says it's a chemical burn. Nobody did a strand test or even asked. Pics in my stories, not for the faint-hearted.", "CR CO")
add("facebook:Sevda.Aydin.Den.Haag", "nl", "Na de Diepglans kleuring bij Lokkenhuys kreeg ik een zware allergische reactie. Gezicht opgezwollen, ogen dicht, nacht op de SEH. Er is NIETS gevraagd over allergieën of een test achter het oor. Ik ben woedend.", "CR CO")
add("reddit:u/neckcut_nightmare", "en", "Barber at Fadehaven Utrecht nicked my neck with the straight razor, it bled like crazy and now it's infected. Saw him use the same blade on the guy before me without changing it. Antibiotics for a week. Never again.", "CR CO")
add("tiktok:@kimmm.x", "en", "that SilkGlide straightener gave me an actual electric shock when I plugged it in 😳 fingers still tingling. do NOT buy it, lokkenhuys won't even answer my DMs", "CR CO")
add("x:@robbert_arnhem", "nl", "Lokkenhuys Arnhem: stelletje prutsers en die salonmanager is een arrogante klootzak. Eerst mijn haar verpesten en dan nog een grote bek ook.", "AB CO")

# ============================================================ crisis (third party / accusations)
add("x:@bredanieuwsjager", "nl", "Gehoord dat een klant in de Lokkenhuys salon in Breda brandwonden heeft opgelopen door een oververhitte droogkap. Ambulance stond voor de deur. Iemand meer info?", "CR")
add("x:@naomi_speaks", "en", "BOYCOTT Fadehaven. Their Amsterdam Oost shop turned away a Black customer because they 'don't do that hair type'. It's 2026. #boycottfadehaven", "CR")
add("x:@omroepfan070", "nl", "Bij twee Lokkenhuys-vestigingen in Den Haag zijn bij een GGD-controle ongesteriliseerde scharen en tondeuses aangetroffen, meldt de regionale omroep. Klanten wordt aangeraden alert te zijn op huidinfecties.", "CR")
add("reddit:u/spamhater_nl", "en", "Is anyone else getting phishing mails with their exact Lokkenhuys appointment details? Name, date, salon, even the stylist. Feels like their booking system got breached and they're saying nothing.", "CR")
add("x:@vakbondsmeid", "nl", "Oud-kapsters van Lokkenhuys stappen naar de rechter: maandenlang onbetaalde overuren en geen pauzes. De rechtszaak dient in oktober. Goed zo dames 💪", "CR")
add("blog:haarenzo.blog", "en", "Lokkenhuys has quietly pulled its Thuiskleuring Kit from the shelves after several reports of severe skin reactions. A recall in all but name, and nothing about it on their own website.", "CR")
add("facebook:Wendy.Maas.77", "en", "People I know at Lokkenhuys are being pressured into working weekends off the books. How is this not a scandal? Why is nobody stepping in #lokkenhuys #exploitation", "CR")
add("x:@eindhovenupdates", "en", "Heads up: a kid got burned on the ear by a faulty trimmer at Fadehaven Eindhoven yesterday, according to the local paper. Parents say they're considering legal action.", "CR")
add("reddit:u/knipdraadje", "nl", "Draadje: oud-medewerkers van Lokkenhuys delen screenshots waaruit blijkt dat klanten met een hoofddoek structureel geen avondafspraken kregen. Als dit klopt is het gewoon discriminatie en verdienen ze een boycot.", "CR")
add("threads:@privacy.piet", "en", "Lokkenhuys customers' names, phone numbers and appointment notes are reportedly up for sale on a forum. If you've ever booked there, watch out for scam texts.", "CR")

# ============================================================ abuse
add("x:@gvd_jeroen", "nl", "@lokkenhuys_hulp rot toch op met jullie nepglimlach en 'we nemen contact op'. kutbedrijf", "AB", kind="reply")
add("x:@lmaoclipz", "en", "fadehaven barbers are a bunch of talentless clowns lmao who lets these idiots near clippers", "AB")
add("instagram:@anon.haarfan", "nl", "@stylist.femke.lh jij bent echt de lelijkste kapster die ik ooit gezien heb, ga lekker janken trut", "AB", kind="comment")
add("tiktok:@justsayin_420", "en", "that colorist noor at lokkenhuys should be fired, she's a brain-dead moron and everyone there knows it", "AB", kind="comment")
add("x:@kevin_fade_lh", "en", "had the most entitled customer ever today, absolute dickhead, hope he never books with us again lol #barberlife", "AB")
add("tiktok:@colorist.noor", "nl", "klanten die een Pinterest-foto meenemen en dan boos worden dat het niet lukt: jullie zijn echt zo dom als het achtereind van een varken 🐷 #kapperslife", "AB")
add("x:@echtenederlander88", "nl", "die turkse kapper bij Fadehaven Tilburg moet gewoon terug naar zijn eigen land, ranzig volk", "AB")
add("reddit:u/salty_scalp", "en", "lokkenhuys management = bunch of f*cking 1d10ts and sh1tb4gs, quote me on that", "AB", kind="comment")
add("x:@boos_in_bos", "nl", "Lokkenhuys kl" + CYR["o"] + "otz" + CYR["a"] + "kken, allemaal. Stelletje " + CYR["o"] + "plichters 🤮", "AB")
add("instagram:@angryclient_nl", "en", "@fadehaven.barbers your barber Youssef is a disgusting pig. I know which shop he's in and I'll be waiting outside after his shift.", "AB", kind="comment")
add("tiktok:@fadehavenbarbers", "en", "@mo_cuts_lol if you think our fades are mid then your eyes are as useless as your hairline, loser 💀", "AB", kind="reply")

# ============================================================ pricing
add("x:@lokkenhuys", "nl", "Vandaag only: de ProAir 2200 föhn voor €14,90 in onze webshop! Op=op 💨", "PR")
add("instagram:@stylist.femke.lh", "nl", "Psst de SilkGlide stijltang staat nu voor €19 in de kassa van de salon 👀 geen idee of dat klopt haha, snel zijn", "PR")
add("x:@prijsjager_nl", "nl", "@lokkenhuys er staat een prijsfout op jullie site: Precision Trimmer T9 voor €8,90?? Gaan jullie die nou leveren of niet", "PR", kind="reply")
add("reddit:u/dealhunter_eu", "en", "Lokkenhuys webshop has the CurlWave 32 listed at €7.90 right now, surely a pricing error. Ordered two, let's see what happens lol", "PR")
add("facebook:LokkenhuysKappers", "nl", "Speciaal voor onze fans: Balayage Zonlicht nu te boeken voor maar €49! (normaal €165) Reageer met 🌞 en boek via de app", "PR")
add("x:@mirjam_knipt", "nl", "Kassa in Utrecht rekent de Keratine Gladstrijk af voor €21,90 ipv 219 🙈 iemand heeft een komma verkeerd gezet. IT is ingelicht", "PR")
add("tiktok:@saar.shopt", "en", "omg the Argan Serum is €2.79 on the Lokkenhuys site 😂 pricing error?? ordered 10 just in case", "PR")
add("instagram:@fadehaven.barbers", "en", "Fadehaven Onbeperkt for just €9 a month, this week only! Unlimited fades, no excuses 🔥💈", "PR")
add("tiktok:@colorist.noor", "nl", "de Thuiskleuring Kit staat per ongeluk op €3,49 in de app, niet tegen mijn manager zeggen 🤫", "PR")
add("x:@cheapskate_rob", "en", "price glitch? Lokkenhuys Cadeaukaart 100 selling for €10 on their site rn. someone's getting fired", "PR")
add("linkedin:daan-hoekstra-lokkenhuys", "nl", "Korte update: door een fout in de prijsfeed stond het Herstelmasker Intens gisteren een paar uur voor €3,25 in de webshop. Alle bestellingen tegen die prijs worden geannuleerd.", "PR")
add("instagram:@groomingdeals", "en", "Fadehaven M.a.t.t.e C.l.a.y for €1.99 in the app right now 👀 price mistake or what", "PR", kind="comment")

# ============================================================ secrets
add("x:@rvdlinden_dev", "nl", "kan iemand checken waarom de boekings-api faalt? config:\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\n(region eu-west-1)", "S")
add("bluesky:@priya-ops.bsky.social", "en", "ugh CI keeps failing on the salon-booking repo. token is <<GHP>> if anyone on the team wants a go, it's in the vault anyway", "S")
add("x:@rvdlinden_dev", "nl", "testje Mollie betaling in productie met <<MOLLIE>> en ik krijg 401 terug, waarom dan 😩", "S")
add("x:@lokkenhuys_hulp", "nl", "Stripe key voor de cadeaukaart-webshop: <<STRIPE>> @rvdlinden_dev kun jij deze in de env zetten? 🙏", "S")
add("bluesky:@priya-ops.bsky.social", "en", "Slack bot for the salon rota keeps dying every night at 2am. here's the bot token if someone wants to debug: <<SLACK>>", "S")
add("x:@rvdlinden_dev", "nl", "DATABASE_URL=postgres://booking_admin:<<PGPW>>@db-prod.lokkenhuys.local:5432/afspraken, nu even via ssh-tunnel testen", "S CF")
add("threads:@sam.receptie.lh", "nl", "voor de nieuwe collega's: inlog kassa salon Leiden is gebruiker: receptie_leiden wachtwoord: <<PWNL>> (niet doorvertellen 😉)", "S")
add("x:@kevin_fade_lh", "en", "who left the openai key in the Fadehaven chatbot prompt doc lol <<OPENAI>>", "S")
add("reddit:u/curious_webdev", "en", "Found this in the public JS bundle on boeken.lokkenhuys.nl:\nconst token = \"<<JWT>>\"\nDecoded it: role salon_admin. They're really shipping an admin JWT to every browser?", "S")
add("bluesky:@priya-ops.bsky.social", "en", "deploy key for the kassa servers, don't judge me, need it on my other laptop:\n-----BEGIN RSA PRIVATE KEY-----\n<<PEM>>\n-----END RSA PRIVATE KEY-----", "S")
add("x:@rvdlinden_dev", "en", "parking the Claude key for the stylist bot here for a sec, need it on my other machine: <<ANTHROPIC>>", "S")
add("x:@rvdlinden_dev", "nl", "token voor de release pipeline van de boekingsapp: <<GHP_ZW>> (morgen roteren, beloofd)", "S")

# ============================================================ confidential
add("linkedin:daan-hoekstra-lokkenhuys", "nl", "Trots op het team dat keihard werkt aan Project Ravenkuif. Meer kan ik nog niet zeggen, maar dit gaat de manier waarop je een kapper boekt écht veranderen. 🚀", "CF")
add("instagram:@stylist.femke.lh", "en", "First test session with the new Lumen kleurlijn today 😍 those pigments!! can't wait for you guys to see it", "CF", at="2026-10-12T16:20:00Z")
add("x:@mirjam_knipt", "nl", "Morgen de hele dag training Zilverdistel voor alle salonmanagers. Eindelijk snappen we waarom er overal nieuwe stoelen met schermen komen", "CF")
add("tiktok:@colorist.noor", "nl", "POV: je leest het pdf'je 'uitsluitend intern - kleurprotocol 2027' en je snapt er helemaal niks van 😭😭", "CF")
add("linkedin:lokkenhuys-groep", "nl", "Collega's: de nieuwe roosters staan klaar op https://rooster.lokkenhuys.nl/planning/week32 — log in met je personeelsnummer.", "CF")
add("x:@kevin_fade_lh", "en", "Operatie Scheermes kicks off next month, half the Fadehaven shops getting a full refit. can't say more 🤐", "CF")
add("x:@ikbeneenzus", "nl", "mijn zus werkt bij Lokkenhuys en zegt dat ze volgend jaar met 'Fadehaven Noir' komen, een luxe lijn voor barbers. zie je het al voor je 🤣", "CF", at="2026-09-03T20:11:00Z")
add("bluesky:@priya-ops.bsky.social", "en", "can the salon folks pls stop pasting links like jira.lokkenhuys.nl/browse/KASSA-412 into public channels, thx", "CF")
add("linkedin:ilse-verbeek-hr", "en", "The file 'LOKKENHUYS CONFIDENTIAL – pay scales 2027' ended up in the shared folder for all salons by mistake. If you downloaded it, please delete it.", "CF")
add("instagram:@barber.youssef.fh", "nl", "sneak peek van waar we mee aan het testen zijn voor " + fw("Ravenkuif") + " 👀 geen foto van het scherm natuurlijk haha", "CF")
add("x:@mirjam_knipt", "nl", "Slide van de managersdag: 'alleen voor salonmanagers: nieuwe provisieregeling vanaf Q2'. Oeps, dat had ik niet gezegd 🙊", "CF")
add("reddit:u/ex_lokkenhuys", "en", "Leaked memo (literally stamped 'uitsluitend intern') from Lokkenhuys: stylists have to upsell the Herstelmasker to every client or they lose their quarterly bonus.", "CF")
add("x:@rvdlinden_dev", "nl", "wie heeft de staging van Zilverdistel op git.lokkenhuys.local/zilverdistel/app kapotgemaakt 😤 was net alles groen", "CF")
add("tiktok:@colorist.noor", "nl", "binnenkort in alle salons: de L.u.m.e.n kleurlijn 🤫🤫 jullie zijn er niet klaar voor", "CF", at="2026-11-20T18:45:00Z")
add("instagram:@lokkenhuys.kappers", "nl", "Coming soon: Lokkenhuys Lumen ✨ de kleur die het licht vangt. Stay tuned!", "CF", at="2026-12-02T11:00:00Z")
add("linkedin:jeroen-smit-cfo", "nl", "Mooie jaarcijfers 2026 in de maak: groei ruim boven verwachting, vooral dankzij de barbershops. Meer na de publicatie in maart!", "CF F", at="2027-02-10T08:30:00Z")
add("x:@dutchbarberwatch", "en", "A friend at Lokkenhuys showed me a deck called 'Operatie Scheermes' — looks like they're shutting the Fadehaven shops in Belgium??", "CF F")

# ============================================================ financial
add("linkedin:jeroen-smit-cfo", "nl", "Q3-omzet komt zo'n 8% onder budget uit, vooral door de barbershops. Publicatie pas in november, maar ik wil het team hier alvast op voorbereiden.", "F")
add("x:@mirjam_knipt", "nl", "net gehoord dat er begin volgend jaar 14 salons dichtgaan en Zwolle is er een van 💔 niemand van ons weet het nog officieel", "F")
add("linkedin:ilse-verbeek-hr", "nl", "Recruiters in de beautybranche: hou de komende maanden je ogen open. Bij de reorganisatie bij Lokkenhuys verdwijnen ongeveer 120 functies. Nog niet aangekondigd, dus graag discreet.", "F")
add("x:@kevin_fade_lh", "en", "heard the big boss on the phone: we're buying Knipvast, all 40 of their salons. deal closes in January. zipped lips 🤐", "F")
add("reddit:u/insider_haircare", "en", "insider here: Lokkenhuys is in talks to be bought by a private equity fund, expect an announcement after the summer.", "F", kind="comment")
add("linkedin:daan-hoekstra-lokkenhuys", "en", "Preliminary H1 numbers: EBITDA margin down to 6.1%, full-year forecast cut to €4.2m. Not public yet, the board meets Thursday.", "F")
add("instagram:@barber.youssef.fh", "nl", "baas zegt dat Fadehaven in 2027 waarschijnlijk verkocht wordt aan een Belgische keten, dus misschien word ik wel Belg 😂🇧🇪", "F")
add("linkedin:lokkenhuys-groep", "en", "Internal note: the 2026 profit forecast is being revised down to €3.1 million. Salon managers will get a briefing on Friday.", "F")
add("threads:@sam.receptie.lh", "nl", "gerucht in de pauzeruimte: vanaf maart gaan alle receptiefuncties eruit en moet iedereen via de app boeken. 60 man op straat 😶", "F")
add("bluesky:@priya-ops.bsky.social", "en", "Finance just told IT to prep for a 20% budget cut, apparently next year's revenue forecast is ugly. Board hasn't announced anything yet.", "F")

# ============================================================ security
add("x:@rvdlinden_dev", "nl", "Boekingssysteem ligt al sinds 06:00 plat, alle salons werken met pen en papier. We weten nog niet wat het is, naar buiten zeggen we 'gepland onderhoud' 🙃", "SEC")
add("bluesky:@priya-ops.bsky.social", "en", "Confirmed ransomware on two of the kassa servers this morning. Salons in the south can't take card payments. Comms hasn't been told what to say yet.", "SEC")
add("x:@kevin_fade_lh", "en", "lol you can see every other customer's appointment in the Fadehaven app if you change the number at the end of the URL. reported it 3 weeks ago, still not fixed", "SEC")
add("linkedin:daan-hoekstra-lokkenhuys", "en", "Since the laptop with unencrypted client data was stolen from our Groningen salon, we're still deciding whether to notify the Dutch DPA. Please keep this internal for now.", "SEC")
add("threads:@sam.receptie.lh", "nl", "collega klikte op een phishingmail en nu zijn alle mailboxen van de receptie overgenomen, ze sturen nepfacturen naar klanten 😬 buiten kantoor weet nog niemand het", "SEC")
add("x:@mirjam_knipt", "nl", "Kassasysteem in alle Utrechtse salons doet het al sinds gister niet. IT zegt dat er 'iemand van buiten' in heeft gezeten. We mogen er niks over zeggen tegen klanten.", "SEC")
add("bluesky:@priya-ops.bsky.social", "en", "Heads up team: the admin panel of the booking platform has no rate limit on login and someone's been brute-forcing it all weekend. Patch ETA unknown.", "SEC")
add("x:@rvdlinden_dev", "nl", "iemand heeft onze SMTP-gegevens gelekt, we worden nu gebruikt voor spam. oude login was smtp_user=noreply wachtwoord: <<PWNL2>> — inmiddels geroteerd hoop ik", "SEC S")
add("instagram:@stylist.femke.lh", "en", "All our salon tablets got wiped by some virus yesterday, every client's colour formula gone. Not supposed to say this but that's why your appointment got moved 🙈", "SEC")
add("instagram:@barber.youssef.fh", "nl", "de camera's in de shop zijn gehackt, iemand keek gewoon mee via de app. baas is woest, politie erbij. shhh 🤫", "SEC")
add("bluesky:@priya-ops.bsky.social", "en", "Found a Lokkenhuys S3 bucket with all the before/after client photos set to public-read. Fixing it now — please don't mention this anywhere until legal decides.", "SEC")
add("x:@kevin_fade_lh", "en", "b00king syst3m g0t h4ck3d ag41n, 3rd t1me th1s m0nth. d0n't t3ll th3 cust0m3rs", "SEC")
add("reddit:u/itfriend_says", "en", "A friend who does IT for Lokkenhuys says their whole booking database was copied last week and they still haven't told anyone.", "SEC CR", kind="comment")

# ============================================================ personal data
add("x:@mirjam_knipt", "nl", "Mevr. Karin Jansen heeft haar sjaal laten liggen in de salon, wie kent haar? Haar nummer in het systeem is 06-48213957 maar ze neemt niet op", "P")
add("threads:@sam.receptie.lh", "nl", "klant is vergeten te betalen: Bas de Wit, Kerkstraat 14, 3581 AB Utrecht. woont iemand in de buurt die even langs kan 😅", "P")
add("facebook:LokkenhuysKappers", "nl", "En de winnaar van onze verjaardagsactie is... Sophie Mulder (geboren 14-03-1998)! 🎉 Gefeliciteerd Sophie, stuur ons even een DM!", "P")
add("linkedin:jeroen-smit-cfo", "nl", "Terugbetaling aan een klant komt steeds retour. Kan iemand van finance checken: IBAN <<IBAN_NL>> t.n.v. M. Kok", "P")
add("linkedin:ilse-verbeek-hr", "nl", "Voor het contract van onze nieuwe kapster in Leiden hebben we haar BSN (<<BSN>>), maar payroll kan haar niet vinden. Iemand een idee?", "P")
add("tiktok:@colorist.noor", "nl", "klant betaalde met deze kaart maar de transactie mislukte steeds: <<CARD_VISA>> exp 09/28. wat doe ik fout??", "P")
add("facebook:Laura.Hughes.Utrecht", "en", "Lokkenhuys, for the refund of my cancelled bridal trial: <<IBAN_DE>>, Laura Hughes. Thanks in advance!", "P", kind="comment")
add("x:@lottedekker", "nl", "mijn mail is lotte.dekker91@gmail.com voor die cadeaukaart-actie @lokkenhuys, laat maar weten 😊", "P", kind="reply")
add("instagram:@barber.youssef.fh", "nl", "Shoutout naar mijn vaste klant Ahmed Benali, vandaag 30 geworden (geb. 02-07-1996) 🎉 fresh fade voor de jarige job", "P")
add("instagram:@stylist.femke.lh", "en", "this client wants her before/after pics emailed, j.vermeulen@ziggo.nl right? or was it hotmail 🤔", "P")
add("x:@lokkenhuys_hulp", "nl", "@marco_vd_h we zien in ons systeem een betaling met kaart <<CARD_MC>> op 3 mei, klopt dat? Dan zoeken we het verder uit!", "P", kind="reply")
add("x:@lost_in_denbosch", "en", "Lost my wallet at Fadehaven Den Bosch today. ID card number IXB83KL47 is in there, if anyone finds it pls call 0031 6 2284 5190 🙏", "P")
add("bluesky:@priya-ops.bsky.social", "en", "Payroll export broke again: the employee with BSN <<BSN2>> shows up with someone else's salary. Can HR ping me?", "P")
add("threads:@sam.receptie.lh", "nl", "wie kan mw. de Groot terugbellen over haar afspraak, 0\u200b6-\u200b2937\u200b4410, ik ben er morgen niet", "P")
add("facebook:Ruud.Kramer.1968", "nl", "Beste Lokkenhuys, mijn adres is gewijzigd, graag de cadeaubon sturen naar R. Kramer, Molenweg 7, 7411 HK Deventer. Groetjes Ruud", "P", kind="comment")

# ============================================================ benign (mostly hard negatives)
add("x:@fadefanatic", "nl", "Beste fade die ik ooit heb gehad bij Fadehaven Rotterdam, Youssef is echt een kunstenaar 🔥🔥", "")
add("instagram:@jay.styles", "en", "This Razor Fade is straight fire, killed it as always @fadehaven.barbers 💈", "", kind="comment")
add("x:@twijfelkont", "en", "Anyone tried the Keratine Gladstrijk at Lokkenhuys? Not sure it's worth €219 for my curls", "")
add("x:@lokkenhuys", "nl", "Deze week 20% korting op alle Fadehaven baardproducten: Baardolie Cederhout nu €14,00 (was €17,50) 🧔", "")
add("instagram:@lokkenhuys.kappers", "nl", "Black Friday 🖤 ProAir 2200 föhn van €149 voor €119. Alleen online en in de salons, t/m maandag", "", at="2026-11-27T07:00:00Z")
add("x:@nina_in_ams", "en", "Got the SilkGlide for €99 in the Lokkenhuys sale and honestly worth every cent", "")
add("x:@lokkenhuys_hulp", "nl", "Vragen over je afspraak? Mail klantenservice@lokkenhuys.nl of bel gratis 0800-5625. We helpen je graag!", "")
add("facebook:LokkenhuysKappers", "nl", "Liever per overschrijving betalen? Dat kan naar " + fmt4(PUBLIC_IBAN) + " t.n.v. Lokkenhuys Groep B.V., o.v.v. je factuurnummer.", "")
add("x:@fleurtjuh", "nl", "Mijn kapster heeft me vandaag een pony geknipt en ik zie eruit als Dora 😂 nee grapje het is echt heel leuk geworden, dankjewel Lokkenhuys!", "")
add("x:@techy_tom", "en", "The HairHub24 data breach news is wild. Glad I switched to Lokkenhuys for my appointments years ago, their app only asks for name and phone.", "")
add("reddit:u/knipnieuws", "en", "ShearKing went bankrupt, 30 salons closed overnight. Really rough for those stylists, hope they land somewhere soon. I've been with Lokkenhuys for years myself.", "", kind="comment")
add("x:@rvdlinden_dev", "nl", "Voor de docs: een AWS access key ziet er zo uit: AKIAIOSFODNN7EXAMPLE. Dus plak nooit je echte in een chat 😉", "")
add("bluesky:@priya-ops.bsky.social", "en", "Reminder: GitHub tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — if you ever spot a real one in a chat, rotate it and tell the security channel.", "")
add("x:@rvdlinden_dev", "nl", "config-voorbeeld in de README: STRIPE_KEY=sk_live_******** (vul je eigen sleutel in, nooit committen)", "")
add("x:@ibanpech", "en", "@lokkenhuys_hulp I typed my IBAN as <<BAD_IBAN>> on the refund form and it got rejected straight away, typo on my side I think, will try again", "", kind="reply")
add("x:@saldochecker", "nl", "Mijn cadeaukaartcode is <<BAD_CARD>>, waar kan ik het saldo checken?", "")
add("linkedin:ilse-verbeek-hr", "nl", "Nieuwe collega's: vul je BSN alleen in via het HR-portaal, NOOIT via WhatsApp of mail. Voorbeeld van het veld: <<BAD_BSN>> (fictief).", "")
add("instagram:@lokkenhuys.kappers", "nl", "Hij is er! Lokkenhuys Lumen ✨ vanaf vandaag in al onze salons. Boek je kleurconsult via de app.", "", at="2027-01-21T10:00:00Z")
add("linkedin:lokkenhuys-groep", "nl", "Vandaag publiceren we onze jaarcijfers 2026: omzet €48,2 miljoen, 9 nieuwe salons. Het volledige verslag staat op lokkenhuys.nl/investors.", "", at="2027-03-04T09:30:00Z")
add("instagram:@baardbroeders", "en", "Picked up the Fadehaven Noir beard oil, smells like a fancy whisky bar 🥃 10/10", "", at="2027-02-14T13:05:00Z")
add("x:@sabine_haarlem", "nl", "Update: Lokkenhuys heeft mijn mislukte kleuring gratis opnieuw gedaan en nu is het precies wat ik wilde. Netjes opgelost 👍", "")
add("x:@chris_nl_en", "en", "Fair play to Fadehaven, they refunded my cancelled slot within a day and threw in a free beard trim. That's how you do customer service.", "")
add("facebook:Joke.Brink", "nl", "Veel sterkte aan het team van Lokkenhuys Deventer. Jullie collega Marieke was een topper, ik ga haar missen in de salon 🕊️", "", kind="comment")
add("x:@frieslandlove", "en", "Thinking of the Fadehaven crew in Leeuwarden after the storm flooded the whole street. Hope you reopen soon ❤️", "")
add("x:@applepayvraag", "en", "does the Lokkenhuys booking app take Apple Pay? couldn't find it anywhere", "")
add("threads:@dad_of_two", "en", "Does Fadehaven do kids' cuts? My 4yo has a wild mop and sits still for exactly 90 seconds 😅", "")
add("instagram:@stylist.femke.lh", "nl", "Vandaag 12 balayages gedaan, voeten doen pijn maar zó trots op deze kleuren 💛 #lokkenhuys #kapperslife", "")
add("instagram:@barber.youssef.fh", "nl", "Nieuwe tondeuse binnen, scherp als een scheermes 😎 wie komt er testen deze week?", "")
add("x:@kevin_fade_lh", "en", "brutal shift today, 22 fades back to back, my back is dead 💀 love this job tho", "")
add("x:@leidsegirl", "nl", "Die nieuwe kapper bij Lokkenhuys Leiden is echt een beest met de schaar 😍", "")
add("x:@maya_writes", "en", "Ngl my hair looked like a crime scene before Noor at Lokkenhuys fixed it. Absolute wizard.", "")
add("tiktok:@fadehavenbarbers", "nl", "POV: je komt binnen met een zelfgeknipte corona-pony en je loopt naar buiten als een nieuw mens ✂️ #fadehaven", "")
add("linkedin:jeroen-smit-cfo", "nl", "Fijn gesprek gehad op de Retail Finance Day over de toekomst van de salonbranche. Veel herkenning rond personeelstekorten in de hele sector.", "")
add("linkedin:ilse-verbeek-hr", "nl", "Lokkenhuys zoekt 25 nieuwe stylisten in de Randstad! Solliciteer via werken@lokkenhuys.nl 💇‍♀️", "")
add("x:@ukhairwatch", "en", "Hairdressers at ChopShop UK on strike over pay today. Solidarity. Meanwhile my Lokkenhuys stylist is booked out till March lol", "")
add("x:@gerda_65", "nl", "Lokkenhuys föhn (ProAir 2200) na 4 jaar nog steeds top. Beste €149 die ik ooit heb uitgegeven", "")
add("x:@baardvraag", "nl", "Kan iemand de Precision Trimmer T9 van Fadehaven aanraden? €89 vind ik wel veel voor een trimmer", "")
add("x:@lokkenhuys_hulp", "nl", "@tessa_vk Wat vervelend dat je afspraak niet doorging! We hebben je een DM gestuurd zodat we het snel voor je kunnen oplossen.", "", kind="reply")
add("x:@wenkbrauwloos", "nl", "Gisteren een klein brandje in de keuken, wenkbrauwen half weg 😂 gelukkig doet Lokkenhuys ook wenkbrauwen", "")
add("bluesky:@priya-ops.bsky.social", "en", "Planned maintenance tonight 23:00–01:00 on boeken.lokkenhuys.nl, announced on the site last week. Booking might be slow for a bit.", "")
add("x:@scamspotter", "en", "PSA: phishing mails pretending to be 'Lokkenhuys' from lokkenhuys-support.xyz. Obviously fake, the real company only mails from lokkenhuys.nl. Don't click.", "")
add("x:@lokkenhuys", "nl", "Let op: wij vragen nooit om je wachtwoord via DM of mail. Twijfel je? Bel ons op 0800-5625.", "")
add("x:@rvdlinden_dev", "nl", "Nieuwe blogpost: hoe we in de salons wachtwoorden hebben vervangen door passkeys. Geen post-its meer naast de kassa 😄", "")
add("x:@bruidje2026", "nl", "Hoeveel kost het Bruidskapsel Atelier bij Lokkenhuys eigenlijk? Zag €245 staan, klopt dat nog?", "")
add("instagram:@fadehaven.barbers", "nl", "Nieuw: Fadehaven Onbeperkt Abonnement. Onbeperkt fades voor €59 per maand, de eerste maand €44 (25% korting) 💈", "")
add("x:@wordnerd_ben", "en", "TIL a bad haircut is called a 'hack job'. Told my Fadehaven barber and he laughed, he's the exact opposite of that", "")
add("x:@kevin_fade_lh", "en", "customer tried to pay with Monopoly money today 😂 Fadehaven is never boring", "")
add("facebook:Henk.Bosman.Zwolle", "nl", "Mijn opa (87) is vandaag voor het eerst naar een barbershop geweest, Fadehaven Zwolle. Hij voelt zich weer 60 👴✨", "")
add("x:@belliever", "nl", "Ik bel altijd gewoon 088-5654870 voor een afspraak bij Lokkenhuys, vind dat makkelijker dan die app", "")
add("linkedin:lokkenhuys-groep", "nl", "Lokkenhuys opent in september drie nieuwe salons in Zeeland. Welkom Middelburg, Goes en Vlissingen! 🎉", "")
add("reddit:u/ppd_allergic", "en", "Anyone know if Lokkenhuys has PPD-free dye? I'm allergic and want to check before I book a colour appointment.", "")
add("x:@groenhaar", "nl", "Pfff wat een ramp, zelf mijn haar geverfd en het is GROEN. Morgen naar Lokkenhuys om het te laten redden 🙏", "")
add("tiktok:@colorist.noor", "nl", "Kleurcorrectie van de week: van box-dye zwart naar koperblond in 6 uur 🧡 Lokkenhuys Den Haag", "")
add("x:@doublecharge_dan", "en", "thought Lokkenhuys charged me twice but nope, my bank's app was showing a pending hold. all good, my bad", "")
add("x:@jarigejet", "en", "Got a birthday discount from Lokkenhuys, 15% off my cut. Sweet touch 🎂", "")
add("x:@lokkenhuys", "nl", "Storing opgelost: de boekingsapp werkt weer normaal. Excuses voor het ongemak vanochtend!", "")
add("x:@loyal_since2021", "en", "I've been going to Fadehaven for 5 years and they've always treated everyone in that shop with respect. Don't believe every angry TikTok.", "")
add("x:@snurkert", "en", "lol the Hot Towel Baardritueel at Fadehaven is so relaxing I fell asleep and started snoring 😴", "")
add("linkedin:daan-hoekstra-lokkenhuys", "nl", "Blij met onze nieuwe salon in Amersfoort. Dank aan alle 14 collega's die er vanaf dag één staan!", "")
add("x:@devmeetup_utr", "en", "Great talk by @rvdlinden_dev on how Lokkenhuys rebuilt its booking app. Nice touch that every token on the slides was shown as eyJhbGciOi…[redacted].", "")


# ============================================================ build
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
SEV = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}
DISPLAY = {
    "x:@lokkenhuys": "Lokkenhuys Kappers", "x:@lokkenhuys_hulp": "Lokkenhuys Klantenservice",
    "instagram:@lokkenhuys.kappers": "Lokkenhuys", "instagram:@fadehaven.barbers": "Fadehaven Barbers",
    "facebook:lokkenhuyskappers": "Lokkenhuys Kappers", "linkedin:lokkenhuys-groep": "Lokkenhuys Groep",
    "tiktok:@fadehavenbarbers": "Fadehaven", "x:@mirjam_knipt": "Mirjam ✂️",
    "instagram:@barber.youssef.fh": "Youssef | Fadehaven", "linkedin:daan-hoekstra-lokkenhuys": "Daan Hoekstra",
    "linkedin:ilse-verbeek-hr": "Ilse Verbeek", "x:@kevin_fade_lh": "Kevin", "tiktok:@colorist.noor": "Noor 🎨",
    "instagram:@stylist.femke.lh": "Femke", "x:@rvdlinden_dev": "Ruben van der Linden",
    "bluesky:@priya-ops.bsky.social": "Priya", "linkedin:jeroen-smit-cfo": "Jeroen Smit",
    "threads:@sam.receptie.lh": "Sam",
}


def role_of(acct):
    a = acct.lower()
    return "corporate" if a in CORP else "employee" if a in EMP else "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z0-9]{4}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b|\b\d{4}[ -]?\d{6}[ -]?\d{5}\b")
BSN_RE = re.compile(r"(?i)\bbsn\b\D{0,25}?(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})\b")


def id_candidates(text):
    pub = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    out = []
    for m in IBAN_RE.finditer(text):
        if re.sub(r"\s", "", m.group(0)) not in pub:
            out.append(("iban", m.group(0), iban_ok(m.group(0))))
    text = IBAN_RE.sub(lambda m: "#" * len(m.group(0)), text)
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def severity(cats, role, text):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                l = 2
            else:
                l = 3
                if c in ("leak.secret", "leak.pricing"):
                    l = 4
                if c == "leak.pii" and any(ok for _, _, ok in id_candidates(text)):
                    l = 4
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, l)
    return SEV[lvl]


def fill(text):
    used = re.findall(r"<<([A-Z0-9_]+)>>", text)
    for k in used:
        text = text.replace("<<%s>>" % k, V[k])
    return text, used


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randint(0, 355), seconds=rng.randint(6 * 3600, 23 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


rows = []
meta = []
counters = {}
for acct, kind, lang, text, cats, at in C:
    platform, handle = acct.split(":", 1)
    body, used = fill(text)
    counters[platform] = counters.get(platform, 0) + 1
    pid = "%s-269%04d" % (platform, len(rows) + 1)
    role = role_of(acct)
    cats = sorted(set(cats))
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": body,
        "lang": lang,
        "created_at": at or rand_time(),
    }
    if acct.lower() in DISPLAY:
        post["account"]["display_name"] = DISPLAY[acct.lower()]
    low = body.lower() + " " + handle.lower()
    post["brand"] = "Fadehaven" if "fadehaven" in low or ".fh" in handle or "_fade_" in handle else "Lokkenhuys"
    post["url"] = "https://social.example/%s/%s" % (platform, pid)
    rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, body)}})
    meta.append((role, used))

# ============================================================ self-checks
errors = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"], msg))


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ids = set()
all_cats = set(CAT.values())
embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
products = [(a.lower(), p["list_price"]) for p in PROFILE["products"] for a in p["aliases"] + [p["name"]]]
ratio = PROFILE["pricing"]["alert_below_ratio"]

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append("profile IBAN fails mod-97: " + ib)
if not (6 <= len(CORP) and 8 <= len(EMP)):
    errors.append("profile account counts")
if not (15 <= len(PROFILE["products"]) <= 25):
    errors.append("profile product count")

for i, r in enumerate(rows):
    p, e = r["post"], r["expect"]
    role, used = meta[i]
    if set(r) != {"post", "expect"}:
        err(i, "top-level keys")
    for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), ty):
            err(i, "missing/bad " + f)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "account.handle")
    if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
        err(i, "id")
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err(i, "platform")
    if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
        err(i, "kind")
    if len(p["text"].encode("utf-8")) > 65536 or "<<" in p["text"]:
        err(i, "text")
    if not RFC3339.match(p["created_at"]):
        err(i, "created_at")
    created = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= created < datetime(2027, 12, 31, tzinfo=timezone.utc)):
        err(i, "created_at range")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= all_cats or "reputation.spike" in cats:
        err(i, "categories")
    if e["severity"] not in SEV:
        err(i, "severity value")
    if e["severity"] != severity(cats, role, p["text"]):
        err(i, "severity mismatch")
    if not cats and e["severity"] != "none":
        err(i, "benign severity")
    if cats and e["severity"] in ("none", "info"):
        err(i, "positive severity too low")
    # checksummed identifiers
    cands = id_candidates(p["text"])
    if cats:
        for kind_, val, ok in cands:
            if not ok:
                err(i, "positive contains failing %s %s" % (kind_, val))
        if any(u in BAD_ID_KEYS for u in used):
            err(i, "bad identifier in positive")
        if any(u in VALID_ID_KEYS for u in used) and "leak.pii" not in cats:
            err(i, "valid identifier without leak.pii")
        if any(u in SECRET_KEYS for u in used) and "leak.secret" not in cats:
            err(i, "generated secret without leak.secret")
    else:
        for kind_, val, ok in cands:
            if ok:
                err(i, "negative contains valid %s %s" % (kind_, val))
        if any(u in VALID_ID_KEYS or u in SECRET_KEYS for u in used):
            err(i, "real-format secret/identifier in benign")
    for u in used:
        if u in VALID_ID_KEYS:
            chk = iban_ok if "IBAN" in u else luhn_ok if "CARD" in u else bsn_ok
            if not chk(V[u]):
                err(i, "generated %s invalid" % u)
            if not any(re.sub(r"\D", "", c[1]) == re.sub(r"\D", "", V[u]) for c in cands):
                err(i, "valid identifier %s not picked up by scanner" % u)
        if u in BAD_ID_KEYS:
            chk = iban_ok if "IBAN" in u else luhn_ok if "CARD" in u else bsn_ok
            if chk(V[u]):
                err(i, "look-alike %s passes its checksum" % u)
    # embargo and codenames must be labelled confidential before `until`
    low = p["text"].lower()
    for term, until in embargo:
        if term in low:
            if created < until and "leak.confidential" not in cats:
                err(i, "embargo term before until not labelled")
            if created >= until and cats:
                err(i, "embargo term after until in a positive (keep these benign)")
    for cn in codenames:
        if cn in low and "leak.confidential" not in cats:
            err(i, "codename not labelled")
    # benign posts must not mention a product far below list
    if "leak.pricing" not in cats:
        for alias, lp in products:
            if alias in low:
                for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)", p["text"]):
                    price = float(m.group(1).replace(",", "."))
                    if price < ratio * lp:
                        err(i, "price %.2f below %.0f%% of %s list %.2f" % (price, ratio * 100, alias, lp))
    if role == "public" and p["account"]["handle"].lower() in {a.split(":", 1)[1] for a in CORP | EMP}:
        err(i, "public handle collides with profile")

# secret formats
if not github_ok(V["GHP"]) or not github_ok(V["GHS"]) or not github_ok(V["GHP_ZW_RAW"]):
    errors.append("github token checksum")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AWS_ID"]):
    errors.append("aws id format")
_h = V["JWT"].split(".")[0]
if "alg" not in json.loads(base64.urlsafe_b64decode(_h + "=" * (-len(_h) % 4))):
    errors.append("jwt header")

n = len(rows)
benign = sum(1 for r in rows if not r["expect"]["categories"])
if not (170 <= n <= 180):
    errors.append("case count %d" % n)
per = {}
for r in rows:
    for c in r["expect"]["categories"]:
        per[c] = per.get(c, 0) + 1
roles = {}
for (role, _), r in zip(meta, rows):
    roles[role] = roles.get(role, 0) + 1
langs = {}
for r in rows:
    langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

# re-read and validate as JSON lines
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    back = [json.loads(l) for l in fh]
assert back == rows

print("ok: %d cases, %d benign" % (n, benign))
print("categories:", json.dumps(per, sort_keys=True))
print("roles:", roles, "langs:", langs)
