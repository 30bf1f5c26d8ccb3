#!/usr/bin/env python3
"""Sealed evaluation set 181 for postwatch.

Company: Heidewind Outdoor B.V. (fictional Dutch outdoor / camping gear retailer).
Writes cases.jsonl next to this script and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike
    in a negative fails it (the company's own published IBANs excepted);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * pricing, confidential-term and secret-prefix consistency with the labels.
Deterministic: fixed seed, standard library plus PyYAML.
"""
import base64
import json
import os
import random
import re
import string
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 181
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CAT = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "confidential": "leak.confidential",
    "financial": "leak.financial",
    "security": "leak.security",
    "crisis": "reputation.crisis",
    "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------
# identifier helpers
# --------------------------------------------------------------------------
VAL = random.Random(SEED)          # values (identifiers, secrets)
TIME = random.Random(SEED * 7 + 1)  # timestamps


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


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


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def gen_iban():
    bank = VAL.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(VAL.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check("NL", bban) + bban


def bad_iban():
    good = gen_iban()
    chk = int(good[2:4])
    bad = "%02d" % ((chk + VAL.randint(1, 9)) % 97 + 2 if (chk + 5) % 97 + 2 != chk else 11)
    out = good[:2] + bad + good[4:]
    assert not iban_valid(out)
    return out


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_card(prefix):
    body = prefix + "".join(VAL.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = gen_card(prefix)
    out = good[:-1] + str((int(good[-1]) + VAL.randint(1, 9)) % 10)
    assert not luhn_valid(out)
    return out


def gen_bsn():
    while True:
        d = [VAL.randint(1, 9)] + [VAL.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last <= 9:
            out = "".join(map(str, d + [last]))
            assert bsn_valid(out)
            return out


def bad_bsn():
    good = gen_bsn()
    out = good[:-1] + str((int(good[-1]) + VAL.randint(1, 9)) % 10)
    if bsn_valid(out):
        return bad_bsn()
    return out


def rnd(alphabet, n):
    return "".join(VAL.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    head = b64url({"alg": "HS256", "typ": "JWT"})
    body = b64url({"sub": "svc-social-publisher", "iss": "auth.heidewind.nl",
                   "scope": "posts:write", "iat": 1767225600 + VAL.randint(0, 9_000_000)})
    return head + "." + body + "." + rnd(URLSAFE, 43)


def gen_ssh():
    raw = b"openssh-key-v1\x00" + bytes(VAL.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# placeholder -> (generator, is_secret)
GEN = {
    "IBAN": (gen_iban, False),
    "IBAN_S": (lambda: spaced4(gen_iban()), False),
    "XIBAN": (bad_iban, False),
    "XIBAN_S": (lambda: spaced4(bad_iban()), False),
    "CARD": (lambda: spaced4(gen_card("4")), False),
    "CARD_D": (lambda: "-".join(spaced4(gen_card("5" + str(VAL.randint(1, 5)))).split()), False),
    "CARD_N": (lambda: gen_card("4"), False),
    "XCARD": (lambda: spaced4(bad_card("4")), False),
    "BSN": (gen_bsn, False),
    "BSN_D": (lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn()), False),
    "XBSN": (bad_bsn, False),
    "PUBLIC_IBAN": (lambda: spaced4(PROFILE["public_identifiers"]["ibans"][0]), False),
    "AWS_ID": (lambda: "AKIA" + rnd(string.ascii_uppercase + "234567", 16), True),
    "AWS_SECRET": (lambda: rnd(ALNUM + "/+", 40), True),
    "GHP": (lambda: "ghp_" + rnd(ALNUM, 36), True),
    "GLPAT": (lambda: "glpat-" + rnd(URLSAFE, 20), True),
    "STRIPE": (lambda: "sk_live_51" + rnd(ALNUM, 96), True),
    "SLACK": (lambda: "xoxb-%d-%d-%s" % (VAL.randint(10**11, 10**12 - 1),
                                         VAL.randint(10**12, 10**13 - 1), rnd(ALNUM, 24)), True),
    "OPENAI": (lambda: "sk-proj-" + rnd(URLSAFE, 48) + "T3BlbkFJ" + rnd(URLSAFE, 48), True),
    "ANTHROPIC": (lambda: "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA", True),
    "JWT": (gen_jwt, True),
    "GOOGLE": (lambda: "AIza" + rnd(URLSAFE, 35), True),
    "MOLLIE": (lambda: "live_" + rnd(ALNUM, 30), True),
    "SSHKEY": (gen_ssh, True),
    "PWD": (lambda: rnd(ALNUM, 18), True),
}
PH = re.compile(r"\{(" + "|".join(sorted(GEN, key=len, reverse=True)) + r")\}")


def fill(text):
    secrets = []

    def sub(m):
        gen, is_secret = GEN[m.group(1)]
        v = gen()
        if is_secret:
            secrets.append(v)
        return v

    return PH.sub(sub, text), secrets


# --------------------------------------------------------------------------
# the cases (hand-written)
# --------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, text, cats="", kind="post", at=None, allow=False, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=cats.split(), kind=kind, at=at, allow=allow, name=name))


# ---- reputation.complaint -------------------------------------------------
C("x", "@wandelwim", "nl", "Al 3 weken wachten op mijn retourgeld voor die Veldloper GTX die 2 maten te klein uitviel. @heidewind_help reageert gewoon niet meer. Top service hoor 🙄", "complaint")
C("x", "@hikerhanna", "en", "ordered the Trekker 65L from heidewind on the 2nd, tracking has said 'label created' for 9 days now. trip is on saturday. great.", "complaint")
C("facebook", "GerdaMulder1961", "nl", "Huurtent opgehaald bij de Heidewind in Zwolle, bleek er een stok te missen en het grondzeil zat vol schimmel. Een hele nacht in de regen gestaan met een halve tent. Borg krijg ik ook nog steeds niet terug. Nooit meer huren daar.", "complaint", name="Gerda Mulder")
C("reddit", "u/natte_sokken", "en", "PSA: the zip on my Nachtvlinder -5 bag from Heidewind split after literally two nights. Store said 'user damage' and refused warranty. Anyone had luck escalating this?", "complaint")
C("instagram", "@lisa.loopt", "nl", "@heidewind.outdoor leuk filmpje maar misschien eerst even jullie klantenservice fixen? 45 min in de wacht gestaan en toen viel de lijn weg 😤", "complaint", kind="comment")
C("x", "@trailmix_tom", "en", "Heidewind charged me twice for the same order and support keeps telling me to 'wait 5-7 working days'. It's been 12. #heidewind", "complaint")
C("tiktok", "@campingcaro", "nl", "pov: je bestelt een Horizon 4 familietent bij heidewind en je krijgt een doos met… 1 kampeerstoel 💀 en nu moet ik ZELF naar de winkel om te ruilen??", "complaint")
C("forum", "Bergbeklimmer_NL", "nl", "Waterdichte Moerland Kamwandelaar Mid gekocht, bij de eerste plas al natte voeten. Volgens de verkoper in Amersfoort 'moet je ze eerst impregneren'. Voor €229 verwacht ik toch iets anders eerlijk gezegd.", "complaint")
C("bluesky", "@moorhiker.bsky.social", "en", "Booked a Heidewind rental package for a Veluwe weekend, showed up at pickup and they'd 'given it to someone else'. No apology, no alternative offered. Absolutely shambolic.", "complaint")
C("mastodon", "@ruudfietst", "nl", "Dagtocht 28 rugzak: schouderband na 4 maanden losgescheurd. Garantie? 'Daar moet u een formulier voor invullen op de site.' Formulier geeft een error 500. Heidewind, serieus?", "complaint")
C("youtube", "@OutdoorJesse", "nl", "Mooie review, maar ik heb precies deze Stormkap 1 en de haringen waren na één weekend allemaal krom. Heidewind wil er niks mee doen. Jammer.", "complaint", kind="comment")
C("x", "@kamperenmetkids", "nl", "@heidewind_help bestelling HW-88231 staat al 10 dagen op 'in behandeling' en jullie chat zegt elke keer wat anders. Kan iemand gewoon even zeggen waar m'n pakket is?", "complaint", kind="reply")
C("reddit", "u/dutchdaypacker", "en", "Heidewind's 'free returns' apparently means 'free returns unless you opened the box to see if they fit'. €12.95 deducted for a pair of boots I tried on indoors. Not cool.", "complaint")
C("facebook", "Marco.vanDam", "nl", "Kampeerstoel Rustpunt gekocht bij Heidewind, poot knapte af de eerste keer dat ik erop ging zitten (en ik ben echt geen zwaargewicht). Mail gestuurd, 2 weken later nog niks gehoord.", "complaint", name="Marco van Dam")
C("instagram", "@wildkampeerder", "en", "heidewind your webshop says 'in stock' for the Lichtbaken 400 in three stores. went to two of them. neither had it. stop lying about stock pls", "complaint")
C("x", "@gr8outdoors", "en", "3rd time my Heidewind delivery has gone to the wrong pickup point. Three. Times. 🤡", "complaint")
C("forum", "tentfanaat", "nl", "Huurtent teruggebracht bij Heidewind Huur, kreeg achteraf een rekening van €85 'schoonmaakkosten' terwijl ik hem netjes gedroogd en opgevouwen had. Geen foto's, geen uitleg, alleen standaardmailtjes van de klantenservice.", "complaint")
C("x", "@joke_vd_berg", "nl", "@heidewind_help nog steeds niet teruggebeld over mijn kapotte Horizon 2. Mijn nummer is 06-41 87 29 53, ik heb het nu 4x doorgegeven!!", "complaint pii", kind="reply")

# ---- reputation.crisis -----------------------------------------------------
C("x", "@veiligkamperen", "nl", "⚠️ Vuurvonk gasbrander van Heidewind vloog bij ons in brand bij het aansluiten van de cartouche. Mijn zoon heeft brandwonden aan zijn hand. Dit ding moet uit de handel! #terugroepactie", "crisis")
C("x", "@consumentenbuzz", "en", "Reports piling up that Heidewind's Horizon 4 tent poles snap in moderate wind. One family on Texel says a pole went through the flysheet and hit their daughter. Why is there no recall yet?", "crisis")
C("reddit", "u/privacyjoris", "nl", "Heidewind heeft een datalek, ik kreeg vanochtend een phishingmail met mijn volledige bestelgeschiedenis erin. Dat kan alleen uit hun systeem komen. Wie nog meer?", "crisis")
C("x", "@ethicaloutdoor", "en", "Heidewind's 'responsible down' Nachtvlinder Dons bags come from a supplier that was filmed live-plucking geese. #BoycottHeidewind until they drop them.", "crisis")
C("facebook", "EerlijkBuiten", "nl", "Wij roepen iedereen op om Heidewind te boycotten zolang zij regenjassen laten maken in fabrieken waar arbeiders 14 uur per dag werken voor een hongerloon. Deel dit bericht!", "crisis", name="Stichting Eerlijk Buiten")
C("x", "@advocaatdekker", "nl", "Namens een groep van 40 klanten starten wij een procedure tegen Heidewind Outdoor B.V. wegens structureel ingehouden borg bij tentverhuur. De dagvaarding gaat deze week de deur uit.", "crisis")
C("tiktok", "@survivalsanne", "en", "so heidewind's kids boots (the Speurder) apparently have glue with banned solvents in them?? a lab test found it and they're STILL selling them. parents pls check 🚨", "crisis")
C("blog", "buitenblog.nl", "nl", "Heidewind moet Lichtbaken 400 hoofdlampen terugroepen: de accu kan oververhit raken tijdens het laden. Er zijn minstens drie meldingen van gesmolten behuizingen.", "crisis")
C("reddit", "u/leakwatch_eu", "en", "Someone on a breach forum is selling what they claim are 380k Heidewind customer records (names, addresses, order history). Heidewind has said nothing so far. If you have an account, change your password.", "crisis")
C("instagram", "@moeder_van_drie", "nl", "Klimgordel uit de Heidewind-verhuur begaf het bijna tijdens het abseilen bij de klimwand in Nijmegen. De instructeur zag gelukkig dat de gesp kapot was. Hoe kan zoiets verhuurd worden?!", "crisis")
C("mastodon", "@koolmonoxide_nl", "nl", "Twee kampeerders bij Ommen met koolmonoxidevergiftiging in het ziekenhuis na gebruik van een Vuurvonk brander in de voortent. Familie zegt dat de handleiding nergens waarschuwt.", "crisis")
C("x", "@boycot_hw", "nl", "Nooit meer Heidewind. Ze sponsoren die jachtclub die illegaal wolven afschiet. #boycotheidewind 🐺", "crisis")

# ---- reputation.abuse ------------------------------------------------------
C("x", "@woedend_wouter", "nl", "Heidewind is echt een kutbedrijf met klootzakken achter de klantenservice. Flikker toch op met jullie 'wij helpen je graag'.", "abuse")
C("x", "@gr8outdoors", "en", "@heidewind_help you useless bunch of idiots, how hard is it to read an address", "abuse", kind="reply")
C("instagram", "@tent_troll", "nl", "die dikke vent in jullie filmpje krijgt nog geen haring de grond in hahaha wat een sukkel, ontsla die gast", "abuse", kind="comment")
C("x", "@ikbenboos88", "nl", "h3id3w1nd is 1 gr0t3 t y f u s zooi, k4nk3rlijers zijn het allemaal", "abuse")
C("reddit", "u/angry_hiker", "en", "The girl at the Heidewind Utrecht counter is the dumbest person I've ever dealt with. Should be fired, what a moron.", "abuse")
C("tiktok", "@x_dutchie_x", "nl", "die verkoopster van heidewind met d'r hoofddoek snapte echt niks van wandelschoenen, ga lekker terug naar je eigen land", "abuse")
C("x", "@keeswinkel", "nl", "Weer zo'n mongool in de winkel die z'n tent wil retourneren nadat ie er 3 weken mee op vakantie is geweest. Klanten zijn soms echt debielen.", "abuse")
C("instagram", "@joost.klimt", "en", "to the karen who screamed at my colleague today over a €4 tent peg: you're a pathetic, miserable cow. hope it rains on you all summer", "abuse")
C("facebook", "Henk.Baas", "nl", "Stelletje oplichters en zakkenwassers bij Heidewind. Ik hoop dat jullie failliet gaan en dat die directeur van jullie op straat belandt.", "abuse", name="Henk Baas")
C("x", "@hatehw", "en", "heidewind can go f*** itself. worst c*nts in retail.", "abuse")
C("mastodon", "@grumpyhiker", "en", "\uff28\uff45\uff49\uff44\uff45\uff57\uff49\uff4e\uff44 staff are \uff46\uff55\uff43\uff4b\uff49\uff4e\uff47 \uff49\uff44\uff49\uff4f\uff54\uff53, every single one of them", "abuse")
C("x", "@raaskallen", "nl", "Die ma\u200bnager van Heidewind Arnhem is een vuile lu\u200bl. Wacht maar tot ik je buiten tegenkom.", "abuse")

# ---- leak.secret -------------------------------------------------------------
C("x", "@bramvleeuwen", "en", "anyone know why boto keeps throwing AccessDenied?\n[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1", "secret")
C("bluesky", "@rutgerbos.bsky.social", "en", "quick fix for the export job, just hardcode it for now: DATABASE_URL=postgres://hw_etl:{PWD}@db-prod-02.heidewind.local:5432/orders", "secret confidential")
C("x", "@marloes_hw", "nl", "Voor de collega's die niet in het CMS komen: gebruiker webredactie, wachtwoord: Heide!Wind#2026 (ff niet verder delen 😉)", "secret")
C("threads", "@noor.hw", "nl", "iemand een idee waarom onze slackbot niks meer post? token {SLACK} staat gewoon in de config", "secret")
C("forum", "dev_hulp_gezocht", "nl", "Vond dit in de javascript van de Heidewind webshop 👀\nvar stripeKey = '{STRIPE}';\nDat hoort daar toch niet?", "secret")
C("tiktok", "@daan.verhuurt", "nl", "login voor het verhuursysteem weer vergeten dus zet ik hem hier neer zodat ik hem terugvind lol. gebruiker: daan.smit ww: Tentharing!88", "secret")
C("x", "@heidewind_nl", "nl", "test koppeling social-tool, negeren a.u.b.\nAuthorization: Bearer {JWT}", "secret")
C("bluesky", "@rutgerbos.bsky.social", "en", "why does ssh refuse this key?? permissions are 600\n{SSHKEY}", "secret")
C("x", "@bramvleeuwen", "en", "note to self (wrong window, ignore): ANTHROPIC_API_KEY={ANTHROPIC}", "secret")
C("reddit", "u/apk_peeker", "en", "Heidewind's Android app has a Google Maps key baked in lol: {GOOGLE} and their Mollie key {MOLLIE} sits in the same strings.xml. Someone should tell them.", "secret")
C("mastodon", "@femkedijkstra", "nl", "dinsdagochtend, koffie, en per ongeluk {GHP} in het verkeerde venster geplakt. meteen ingetrokken, maar toch. au.", "secret")
C("x", "@marloes_hw", "nl", "w a c h t w o o r d van het gedeelde kassa-account is nu Zomer2026!Hw — niet kwijtraken jongens", "secret")

# ---- leak.pii -----------------------------------------------------------------
C("x", "@heidewind_help", "nl", "@janneke_s Hoi Janneke, we hebben je terugbetaling van €189 klaargezet naar {IBAN_S} t.n.v. J. Schouten. Binnen 3 werkdagen op je rekening!", "pii", kind="reply")
C("facebook", "HeidewindOutdoor", "nl", "Gefeliciteerd aan de winnaar van onze zomerwinactie: Mohamed El Idrissi, Lindenlaan 14, 6821 BK Arnhem! 🎉 Je Horizon 2 komt deze week jouw kant op.", "pii")
C("x", "@keeswinkel", "nl", "Klant heeft z'n creditcard laten liggen bij de kassa in Arnhem, {CARD}, op naam van P. de Boer. Kom 'm maar ophalen!", "pii")
C("instagram", "@joost.klimt", "nl", "Shoutout naar vaste klant Willemijn Roos (geb. 12-03-1994) die vandaag haar 100e pasbeurt voor klimschoenen had bij ons in Utrecht 🎉🧗‍♀️", "pii")
C("linkedin", "ilse-de-graaf-heidewind", "en", "Anyone know a decent payroll tool? Ours keeps rejecting our new hire Sven Mulders, BSN {BSN}, for no reason at all.", "pii")
C("tiktok", "@daan.verhuurt", "nl", "deze meneer heeft al 3x z'n huurtent niet teruggebracht: R. Koster, 06 28 19 47 33, Kerkstraat 8 in Tiel. iemand die hem kent? 😂", "pii")
C("x", "@heidewind_help", "en", "@mark_outdoors Thanks for waiting! We see the payment from card {CARD_D} was declined by your bank, could you try again?", "pii", kind="reply")
C("linkedin", "youssef-benali-hw", "nl", "Welkom aan ons nieuwe teamlid Lotte Brouwer! Tot haar werkmail het doet is ze bereikbaar via lotte.brouwer@gmail.com of 0612 883 410.", "pii")
C("mastodon", "@femkedijkstra", "en", "Test data in prod again. Found 'Ahmed Yilmaz, 1987-06-30, BSN {BSN_D}' in the returns log. Who did this.", "pii")
C("x", "@jorisgaatkamperen", "nl", "@heidewind_help mijn IBAN is {IBAN}, graag het geld van de geannuleerde huur daarop terugstorten", "pii", kind="reply")
C("reddit", "u/buurman_bas", "en", "Some Heidewind delivery guy left a parcel at my door with someone else's label: 'Fenna Jacobs, Dorpsstraat 221, 3732 HK De Bilt, tel 030-2294817'. Posting so she can find it lol", "pii")
C("facebook", "Karin.Smeets", "nl", "Heidewind kunnen jullie mij AUB terugbellen? 06-38475920 of karin.smeets72@hotmail.com, ik mail al dagen over die Trekker 65L die nooit is aangekomen", "pii complaint", name="Karin Smeets")
C("x", "@tomtrekt", "en", "heidewind's checkout literally showed me another customer's details: 'E. van Rijn, +31 6 5109 2287, eline.vanrijn@ziggo.nl'. that's a data leak guys", "pii crisis")
C("x", "@ikwildezeterug", "nl", "Hoe kan het dat jullie {CARD_N} nog steeds belasten terwijl ik het huurabonnement heb opgezegd?? @heidewind_help", "pii complaint")

# ---- leak.pricing --------------------------------------------------------------
C("x", "@marloes_hw", "nl", "Oeps, de Horizon 2 staat sinds vanochtend voor €34,90 in de webshop ipv €349. Wordt aan gewerkt, niet verder vertellen 🙈", "pricing")
C("x", "@dealjager_nl", "nl", "🔥 PRIJSFOUT 🔥 Heidewind Trekker 65L voor €21,90!! Snel zijn voordat ze het doorhebben #prijsfout #deal", "pricing")
C("instagram", "@heidewind.outdoor", "en", "Summer drop! ☀️ Noordkaap jas now only €29 🌧️ link in bio", "pricing")
C("reddit", "u/bargainbart", "en", "Heidewind's app shows the Nachtvlinder Dons -15 at €38.90 (list is €389). Ordered two, let's see if they honour it.", "pricing")
C("facebook", "HeidewindOutdoor", "nl", "Alleen dit weekend in al onze winkels: Veldloper GTX wandelschoenen voor €18,99! 🥾", "pricing")
C("x", "@keeswinkel", "nl", "Kassa in Arnhem rekent de Kamwandelaar Mid af voor €22,90, zit een fout in de prijsupdate van vannacht. Collega's let op!", "pricing")
C("tiktok", "@kortingkim", "nl", "heidewind heeft een prijsfout op de Lichtbaken hoofdlamp, staat nu op 4,90 😭 ik heb er 10 besteld", "pricing")
C("threads", "@noor.hw", "en", "Marketing confession: we accidentally listed the Zachtgrond Air sleeping mat at €9.90 for about an hour last night. Yes, we're honouring the orders 😅", "pricing")
C("x", "@hikerhanna", "en", "is it a price error or is the Trekstok Carbon Pro really €12.90 on heidewind.nl right now??", "pricing")
C("x", "@gearwatch_eu", "en", "Heidewind Klauter 45 listed at €59 today, normal price is 159. That's 63% off, pricing mistake?", "pricing")
C("youtube", "@HeidewindTV", "nl", "In deze video: de Bergvalk Stormkap 1 opzetten in 3 minuten. Nu voor maar €79 in onze webshop!", "pricing")
C("linkedin", "youssef-benali-hw", "en", "Heads-up team: the pricing feed pushed the Horizon 4 at €59.90 to three marketplaces before we caught it. Pulled now.", "pricing")

# ---- leak.confidential -----------------------------------------------------------
C("linkedin", "ilse-de-graaf-heidewind", "nl", "Drukke weken met Zilvermeeuw, maar wat een team 💪 #teamwork", "confidential")
C("instagram", "@joost.klimt", "en", "sneak peek 👀 testing the Bergvalk Skyline 3 on the Brocken this weekend, this thing is LIGHT", "confidential", at="2026-09-19T15:12:00Z")
C("x", "@marloes_hw", "nl", "Weet iemand waarom https://wiki.heidewind.local/display/WEB/Checkout niet laadt? Of ligt het aan mij", "confidential")
C("threads", "@noor.hw", "nl", "Campagneplan voor de Moerland Hoogveen GTX is rond, de launch wordt 🔥🔥🔥", "confidential", at="2026-11-04T10:41:00Z")
C("linkedin", "youssef-benali-hw", "en", "Can't say much, but the deck titled 'heidewind confidential – tent range 2027' got a standing ovation today. Proud of this team.", "confidential")
C("x", "@keeswinkel", "nl", "Operatie Kampvuur komt eraan, de winkelmanagers horen morgen meer. Ik zeg verder niks.", "confidential")
C("tiktok", "@daan.verhuurt", "nl", "ff een kijkje achter de schermen 📦 op het scherm zie je de voorraadlijst met 'uitsluitend intern gebruik' erboven haha", "confidential")
C("linkedin", "heidewind-outdoor", "en", "We're hiring a Data Engineer! You'll help build our new commerce platform (internally known as Project Dwaallicht) together with a small, friendly team in Utrecht.", "confidential")
C("x", "@insider_tips_nl", "nl", "Van een vriend bij Heidewind gehoord dat 'Zilvermeeuw' de codenaam is voor de overname van een Belgische buitensportketen. Jullie hoorden het hier eerst.", "confidential financial")
C("instagram", "@heidewind.outdoor", "nl", "Kijk eens wat er vandaag op kantoor binnenkwam 👀 Nog even geduld… de Skyline 3 komt eraan!", "confidential", at="2026-12-08T12:00:00Z")
C("x", "@marloes_hw", "nl", "Nog 2 weken tot Project Dw\u0430\u0430llicht live gaat, spannend!!", "confidential")
C("threads", "@noor.hw", "nl", "mag niks zeggen over Z-i-l-v-e-r-m-e-e-u-w maar wat een week 😅", "confidential")
C("reddit", "u/exheidewinder", "en", "Former employee here. Header of the memo they sent round: 'HW-INTERN – Assortimentsplan 2027, niet verspreiden'. They're dropping half the boot range next year.", "confidential")
C("linkedin", "ilse-de-graaf-heidewind", "en", "Great offsite with the board. NDA-level stuff on the Hoogveen GTX margins, but let's just say… good times ahead.", "confidential", at="2027-01-20T17:30:00Z")
C("threads", "@noor.hw", "nl", "morgen om 10 uur gaat de Skyline 3 live, eindelijk!! 🏕️", "confidential", at="2027-02-09T21:05:00Z")

# ---- leak.financial ----------------------------------------------------------------
C("linkedin", "ilse-de-graaf-heidewind", "nl", "Eerste doorrekening Q3 binnen: omzet +14%, EBITDA ruim boven budget. Kan niet wachten tot we dit in november mogen delen!", "financial")
C("x", "@keeswinkel", "nl", "Vandaag gehoord dat Arnhem, Den Bosch en Zwolle volgend voorjaar dichtgaan. 60 collega's op straat. Nog niet officieel maar het is echt zo.", "financial")
C("x", "@bramvleeuwen", "en", "heard the Zilvermeeuw deal (the Belgian chain) closes in January, 32 stores. big if true", "financial confidential")
C("bluesky", "@rutgerbos.bsky.social", "en", "our internal forecast for 2026 revenue just got cut from 210M to 185M. buy the dip? 🙃 (we're not listed lol)", "financial")
C("linkedin", "youssef-benali-hw", "en", "Sad day: our rental division is being sold to a private equity firm, announcement in two weeks. Not allowed to say who yet.", "financial")
C("x", "@retailinsider_eu", "en", "Hearing from people inside Heidewind that they're in merger talks with a German outdoor retailer. Apparently well advanced, nothing announced yet.", "financial")
C("x", "@marloes_hw", "nl", "Webshop gaat dit jaar over de €47 mln omzet, 30% meer dan vorig jaar. Officieel horen jullie het pas in maart maar ik ben gewoon trots 🥹", "financial")
C("mastodon", "@femkedijkstra", "en", "the reorg slides say IT goes from 48 to 30 FTE by summer. guess I should update my CV", "financial")
C("reddit", "u/throwaway_hw_dc", "en", "Work at the Heidewind DC in Tiel. Told today the whole DC is moving to Poland, 120 jobs gone. They haven't announced it anywhere yet.", "financial")
C("tiktok", "@daan.verhuurt", "nl", "verhuur draait dit seizoen 3x zoveel als vorig jaar, de directie heeft het al over een beursgang 🤫", "financial")
C("linkedin", "heidewind-outdoor", "en", "DRAFT – do not publish before 3 March: Heidewind reports FY2026 results: revenue €214m (+9%), net profit €11.2m. CEO comment: TBC", "financial confidential", at="2027-02-26T16:30:00Z")

# ---- leak.security ---------------------------------------------------------------------
C("mastodon", "@femkedijkstra", "en", "we've had an attacker in the webshop admin since friday, still cleaning up. no comms out yet. long week.", "security")
C("x", "@bramvleeuwen", "nl", "Betaalstraat ligt al 3 uur plat, klanten kunnen niet afrekenen en we mogen nog niks zeggen. Koffie nr 6 ☕", "security")
C("bluesky", "@rutgerbos.bsky.social", "en", "lol the customer db from the webshop is up on a breach forum, management knows since tuesday and still no announcement. not my call 🤷", "security crisis")
C("x", "@keeswinkel", "nl", "Alle kassa's in de winkels liggen eruit sinds 10 uur, iets met ransomware hoor ik. Tegen klanten zeggen we dat het een storing is.", "security")
C("linkedin", "youssef-benali-hw", "en", "Kudos to our IT team for working through the night. Not many people know how close we came to losing the entire product database to that intrusion yesterday.", "security")
C("tiktok", "@daan.verhuurt", "nl", "tip: het reserveringssysteem van de verhuur laat je andermans boekingen zien als je het nummer in de url aanpast 🤭 nog steeds niet gefixt", "security")
C("threads", "@noor.hw", "en", "had to reset my password because of 'the phishing thing' — apparently 14 of us clicked and someone got into our mailboxes. they're keeping it quiet", "security")
C("x", "@marloes_hw", "en", "since tuesday's update the webshop search API returns our purchase prices to anyone who asks. IT knows, patch tomorrow 🤞", "security")
C("mastodon", "@femkedijkstra", "nl", "Onze loyaliteitsapp heeft een IDOR-lek waarmee je andermans spaarpunten kunt overschrijven. Fix staat pas voor de volgende sprint. Ja, echt.", "security")
C("x", "@bramvleeuwen", "en", "kassa-api.heidewind\u200b.local is down again, third time today, restarting pods 🙃", "security confidential")
C("reddit", "u/it_contractor_nl", "en", "Contractor at Heidewind here (throwaway). Their backups haven't run for 6 weeks and there was a breach attempt last week. Nobody outside knows.", "security")
C("instagram", "@joost.klimt", "nl", "kassa's weer plat in Utrecht, derde keer deze week, en op de site staat nog steeds 'alle systemen werken' lol", "security")
C("x", "@heidewind_help", "nl", "@ikwildezeterug Sorry voor het wachten! Door een hack bij onze betaalprovider zijn mogelijk kaartgegevens uitgelekt, dat mogen we eigenlijk nog niet zeggen…", "security crisis", kind="reply")

# ---- benign (mostly hard negatives) --------------------------------------------------
C("x", "@heidewind_nl", "nl", "Het kampeerseizoen is begonnen! ⛺ Bekijk de nieuwe collectie in onze winkels of op heidewind.nl")
C("x", "@heidewind_help", "nl", "Vragen over je bestelling? Mail ons op klantenservice@heidewind.nl of bel gratis 0800-4343 (ma-za 9-18 uur).")
C("facebook", "HeidewindOutdoor", "nl", "Liever betalen via overschrijving? Gebruik {PUBLIC_IBAN} t.n.v. Heidewind Outdoor B.V. en vermeld je ordernummer.")
C("x", "@heidewind_help", "en", "Hi! For rental questions please contact verhuur@heidewind.nl or call +31 30 820 4400, we're happy to help.")
C("instagram", "@lisa.loopt", "nl", "Horizon 2 nu €279 bij Heidewind (20% korting), eindelijk toegeslagen 🏕️")
C("x", "@hikerhanna", "en", "the Horizon 2 absolutely slaps. survived a proper storm in the Ardennes, bone dry inside 🔥")
C("reddit", "u/natte_sokken", "en", "Update: Heidewind escalated my zip issue after all and sent a new Nachtvlinder -5 within a week. Credit where it's due.")
C("x", "@wandelwim", "nl", "Retourgeld is eindelijk binnen, dank @heidewind_help voor het oppakken 👍")
C("forum", "tentfanaat", "nl", "Hoe reset ik mijn wachtwoord voor mijn Heidewind-account? Ik krijg geen mail binnen, ook niet in de spam.")
C("reddit", "u/devdaan", "en", "For anyone integrating with Heidewind's affiliate feed: put your key in .env as HW_API_KEY=<your-key-here> and never commit it.")
C("x", "@bramvleeuwen", "en", "PSA for the juniors: this is what an AWS key looks like in the docs: AKIAIOSFODNN7EXAMPLE. Find a real one in a repo? Rotate it and ping security.", allow=True)
C("mastodon", "@femkedijkstra", "en", "Reminder: redact tokens before pasting logs. Like this: ghp_****************************a1f3. Thanks 🙏")
C("x", "@kampeerkoning83", "nl", "Die nieuwe Heidewind-reclame is echt killer haha, die vent die z'n wegwaaiende tent achterna rent 😂")
C("x", "@gr8outdoors", "en", "not gonna lie these Veldloper GTX are killing it on the Pieterpad. happy feet")
C("x", "@heidewind_nl", "nl", "Black Friday bij Heidewind: 25% korting op alle Veldloper GTX wandelschoenen, nu €141,75 🥾")
C("instagram", "@heidewind.outdoor", "en", "Autumn sale: Noordkaap jas €239 (was €299). Stay dry out there 🌧️")
C("facebook", "Marco.vanDam", "nl", "Dagtocht 28 gekocht voor €89, gewoon de normale prijs, maar ik ben er echt blij mee. Perfect formaat voor een dagje Veluwe.", name="Marco van Dam")
C("x", "@dealjager_nl", "nl", "Geen prijsfout dit keer, wel een nette deal: Lichtbaken 400 voor €39 bij Heidewind (was €49)")
C("x", "@retailnieuws", "nl", "Duitse sportketen kondigt 400 ontslagen aan na tegenvallende cijfers. Nederlandse buitensportwinkels zoals Heidewind zeggen niet geraakt te worden.")
C("reddit", "u/leakwatch_eu", "en", "Big breach at a US hiking app this week (not Heidewind, before anyone asks). Change your password if you used TrailTrackr.")
C("linkedin", "heidewind-outdoor", "en", "We're hiring store staff for Utrecht and Arnhem! Love the outdoors? Send your CV to vacatures@heidewind.nl.")
C("linkedin", "heidewind-outdoor", "nl", "Vandaag publiceren wij onze jaarcijfers 2026: 9% groei en een recordjaar voor verhuur. Het volledige persbericht staat op heidewind.nl/pers.", at="2027-03-03T08:15:00Z")
C("instagram", "@heidewind.outdoor", "en", "It's here! ✨ The Bergvalk Skyline 3 is now available in all stores and online ⛺", at="2027-02-10T10:00:00Z")
C("instagram", "@joost.klimt", "nl", "Eindelijk mag ik het laten zien: de Skyline 3 op de Brocken, vorige herfst al getest 😍", at="2027-02-12T18:20:00Z")
C("x", "@vogelspotter_ellen", "nl", "Vanochtend een zilvermeeuw gespot op het strand van Katwijk, met m'n nieuwe verrekijker van Heidewind. Wat een plaatje 🐦", allow=True)
C("x", "@campfiretales", "en", "nothing beats a campfire after a long day on the trail. marshmallows warmed up in my Kookset Duo 🔥 #kampvuur")
C("x", "@annekewandelt", "nl", "Sterkte aan het personeel van Heidewind Zwolle na die inbraak vannacht, wat een rotstart van de week. Hopelijk is iedereen oké 💚")
C("x", "@trailmix_tom", "en", "courier lost ANOTHER package today. not heidewind's fault at all, they refunded me within the hour. the courier though 😤")
C("x", "@newbiehiker", "en", "Is the Horizon 2 ok for a first solo trip or should I go for the Stormkap 1? Heidewind peeps, any tips?")
C("x", "@heidewind_help", "nl", "@kamperenmetkids Vervelend! Bel ons gerust even op 030 - 820 44 00, dan zoeken we het samen uit.", kind="reply")
C("x", "@heidewind_help", "nl", "Let op: wij vragen nooit om betalingen via DM. Krijg je een bericht van 'Heidewind' met een rekeningnummer als {XIBAN_S}? Dat is nep, meld het bij ons!")
C("reddit", "u/curious_coder", "en", "Is {XCARD} one of those test card numbers? Trying to figure out a checkout flow, not Heidewind related.")
C("forum", "belastinghulp", "nl", "Heidewind vroeg bij de sollicitatie om mijn BSN. Is dat normaal? (nee, ik ga hem hier niet posten, 123456789 is niet mijn echte nummer 😉)")
C("x", "@heidewind_nl", "en", "Our Lichtbaken 400 headlamp was named 'best value' by Buitensport Magazine 🏆 Still just €49.")
C("tiktok", "@campingcaro", "nl", "update: heidewind heeft de tent alsnog gebracht én ik mocht de kampeerstoel houden 😂 10/10 service")
C("instagram", "@wildkampeerder", "en", "Rustpunt chair + Vuurvonk stove + sunset = perfection. Cheers Heidewind 🔥")
C("youtube", "@OutdoorJesse", "nl", "Goede review! Ik heb de Kamwandelaar Mid nu 2 jaar en ze zijn nog steeds waterdicht. Aanrader.", kind="comment")
C("x", "@slowfashion_sara", "en", "Boycott the throwaway chains and buy gear that lasts. My Heidewind tent is 11 years old and still stands like a house.")
C("x", "@keeswinkel", "nl", "Zaterdag workshop tent opzetten in de winkel in Arnhem, gratis koffie en tips van het team. Kom langs! ⛺")
C("linkedin", "youssef-benali-hw", "en", "Interesting read on tent makers moving to PFAS-free coatings. We've been on that journey too, more at heidewind.nl/duurzaam.")
C("x", "@bramvleeuwen", "en", "hot take: 'password123' should be blocked at the OS level. anyway, who's coming to the devops meetup in Utrecht on thursday?")
C("mastodon", "@femkedijkstra", "nl", "Gisteren een talk gegeven over hoe je phishing herkent. Slides staan op mijn blog, geen interne info, beloofd 😄")
C("threads", "@noor.hw", "en", "Shooting the spring campaign on the Wadden this week, 4 am alarm but so worth it 🌅")
C("tiktok", "@daan.verhuurt", "nl", "hoe vouw je een huurtent netjes op zodat je geen schoonmaakkosten hoeft te betalen? 🧵 kijk tot het eind")
C("bluesky", "@rutgerbos.bsky.social", "en", "spent the weekend debugging my home postgres. connection string was postgres://user:****@localhost/db and it still failed. turns out it was DNS. it's always DNS.")
C("x", "@heidewind_help", "en", "@gr8outdoors So sorry about that! We've re-routed your parcel to the correct pickup point, you'll get a new tracking link today.", kind="reply")
C("facebook", "HeidewindOutdoor", "nl", "Veiligheidstip: gebruik een gasbrander nooit in een afgesloten tent. Koolmonoxide ruik en zie je niet. Kook buiten of in een goed geventileerde voortent.")
C("reddit", "u/bargainbart", "en", "Heidewind Trekker 65L down to €175 in the spring sale (20% off). Decent, not a steal.")
C("instagram", "@muddyboots.nl", "nl", "wat een k*tweer vandaag, maar in m'n Noordkaap jas bleef ik kurkdroog 😅 #heidewind")
C("x", "@kampeerkoning83", "nl", "Heidewind Horizon 4 vs die familietent van de concurrent: Heidewind is net wat steviger, maar met €599 ook wel een flinke hap uit het budget.")
C("x", "@heidewind_help", "nl", "@ikwildezeterug We zien een betaling van kaart **** **** **** 4821 op 3 juni, klopt dat? Stuur ons even een DM, dan kijken we mee.", kind="reply")
C("x", "@bramvleeuwen", "en", "JWT 101 for the new folks: it's header.payload.signature, e.g. eyJhbGciOi...<payload>.<sig>. Never paste a real one in Slack, ever.")
C("linkedin", "heidewind-outdoor", "en", "Our half-year report is out now. Read it at heidewind.nl/investors.")
C("x", "@kampeerkoning83", "nl", "h3id3w1nd = b3st3 w1nk3l 3v3r 🔥🔥")
C("instagram", "@lisa.loopt", "nl", "Eerste keer paalkamperen (legaal hè 😇) met de Stormkap 1. Wat een ervaring, de sterren!!")
C("x", "@newbiehiker", "en", "Can someone explain what a 'BSN' is? Heidewind's job application form asks for it and I'm new in NL")
C("forum", "tentfanaat", "nl", "De Horizon 2 kost €349 bij Heidewind en €379 bij de concurrent, dus de keuze was snel gemaakt.")
C("x", "@securitynieuws", "nl", "Ransomware bij een Belgische fietsenketen: de kassa's liggen al twee dagen plat. Andere retailers, waaronder Heidewind, melden geen problemen.")
C("x", "@heidewind_nl", "nl", "We werken intern hard aan de collectie van volgend jaar. Meer nieuws binnenkort, stay tuned! 👀")
C("facebook", "GerdaMulder1961", "nl", "Kleine update: Heidewind Zwolle heeft toch contact opgenomen, borg is terugbetaald en ik kreeg een bon. Netjes opgelost.", name="Gerda Mulder")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

RE_IBAN = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
RE_CARD = re.compile(r"\b\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}\b")
RE_BSN = re.compile(r"\b\d{4}\.\d{2}\.\d{3}\b|\b\d{9}\b")


def lookalikes(text):
    """(kind, value, valid) for every IBAN / card / BSN look-alike in text."""
    out = []
    for m in RE_IBAN.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        out.append(("iban", v, iban_valid(v)))
    for m in RE_CARD.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_valid(v)))
    for m in RE_BSN.finditer(text):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(role, cats, scan_text):
    insider = role in ("corporate", "employee")
    checksum_id = any(ok and not (k == "iban" and v in PUBLIC_IBANS)
                      for k, v, ok in lookalikes(scan_text))
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lvl = "error"
                if c in ("leak.secret", "leak.pricing"):
                    lvl = "critical"
                if c == "leak.pii" and checksum_id:
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == "reputation.complaint":
            lvl = "warning"
        elif c == "reputation.crisis":
            lvl = "error"
        elif c == "reputation.abuse":
            lvl = "error" if insider else "warning"
        else:
            raise ValueError(c)
        best = max(best, SEVERITIES.index(lvl))
    return SEVERITIES[best]


def timestamp():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(days=TIME.randint(0, 350), hours=TIME.randint(6, 23),
                          minutes=TIME.randint(0, 59), seconds=TIME.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {"x": "https://x.com/%s/status/%d", "bluesky": "https://bsky.app/profile/%s/post/%d",
            "mastodon": "https://mastodon.nl/%s/%d"}


def build():
    rows, meta = [], []
    for i, c in enumerate(CASES, start=1):
        text, secrets = fill(c["text"])
        cats = sorted(CAT[k] for k in c["cats"])
        role = role_of(c["platform"], c["handle"])
        scan = text
        for s in secrets:
            scan = scan.replace(s, " ")
        sev = severity(role, cats, scan)
        num = 1818000000 + i * 7919 + TIME.randint(0, 999)
        post = {
            "id": "%s-%d" % ({"x": "tw"}.get(c["platform"], c["platform"][:2]), num),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "created_at": c["at"] or timestamp(),
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if i % 5 != 3:
            post["lang"] = c["lang"]
        if c["platform"] in URL_BASE:
            post["url"] = URL_BASE[c["platform"]] % (c["handle"].lstrip("@"), num * 1000 + i)
        if i % 4 == 0:
            post["brand"] = "Heidewind"
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        meta.append(dict(c, role=role, scan=scan, secrets=secrets))
    return rows, meta


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
def check_contract(row):
    assert set(row) == {"post", "expect"}, row
    p, e = row["post"], row["expect"]
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert isinstance(p["platform"], str) and p["platform"] in PLATFORMS
    assert p.get("kind", "post") in KINDS
    assert isinstance(p["account"], dict) and isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 64 * 1024
    datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    for k in ("lang", "url", "brand"):
        assert k not in p or isinstance(p[k], str)
    assert isinstance(e["categories"], list) and all(c in TAXONOMY for c in e["categories"])
    assert "reputation.spike" not in e["categories"]
    assert e["categories"] == sorted(set(e["categories"]))
    assert e["severity"] in SEVERITIES
    if not e["categories"]:
        assert e["severity"] == "none"
    else:
        assert e["severity"] in ("warning", "error", "critical")


def norm(s):
    return s.lower()


def check_semantics(row, m):
    errs = []
    text, cats = row["post"]["text"], row["expect"]["categories"]
    scan = m["scan"]
    positive = bool(cats)
    # identifiers
    for kind, v, ok in lookalikes(scan):
        if kind == "iban" and v in PUBLIC_IBANS:
            continue
        if positive and not ok:
            errs.append("positive has failing %s %s" % (kind, v))
        if not positive and ok:
            errs.append("negative has valid %s %s" % (kind, v))
        if ok and "leak.pii" not in cats:
            errs.append("valid %s %s but no leak.pii" % (kind, v))
    # secrets: generated ones only in secret-labelled posts; known prefixes likewise
    if m["secrets"] and "leak.secret" not in cats:
        errs.append("generated secret in non-secret post")
    if "leak.secret" in cats and not (m["secrets"] or re.search(r"wachtwoord|\bww:|w a c h t", text, re.I)):
        errs.append("secret label without a secret")
    if not m["allow"] and "leak.secret" not in cats and re.search(
            r"AKIA[A-Z0-9]{16}|ghp_[A-Za-z0-9]{30}|sk_live_|xox[bp]-\d|glpat-\w|sk-ant-|sk-proj-|AIza[\w-]{30}|BEGIN [A-Z ]*PRIVATE KEY", text):
        errs.append("secret-looking text in non-secret post")
    # confidential terms
    created = row["post"]["created_at"]
    terms = list(PROFILE["internal"]["codenames"]) + list(PROFILE["internal"]["markers"]) + list(PROFILE["internal"]["domains"])
    for emb in PROFILE["embargo"]:
        if created < emb["until"].replace("+00:00", "Z"):
            terms += emb["terms"]
    hit = [t for t in terms if norm(t) in norm(text)]
    if hit and not m["allow"] and "leak.confidential" not in cats:
        errs.append("confidential term %s unlabelled" % hit)
    if not positive:
        for emb in PROFILE["embargo"]:
            for t in emb["terms"]:
                if norm(t) in norm(text):
                    assert created >= emb["until"]
    # pricing
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    prices = [float(x.replace(",", ".")) for x in re.findall(r"€\s?(\d+(?:[.,]\d{1,2})?)", text)]
    mentioned = [p for p in PROFILE["products"]
                 if any(re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", text.lower())
                        for a in p["aliases"] + [p["name"]])]
    low = [(p["name"], x) for p in mentioned for x in prices if x < ratio * p["list_price"]]
    if "leak.pricing" in cats:
        if not mentioned:
            errs.append("pricing without product")
        if not low and not re.search(r"prijsfout|price error|pricing mistake|fout in de prijs", text, re.I):
            errs.append("pricing without low price or price-error talk")
    elif low:
        errs.append("unlabelled low price %s" % low)
    return errs


def main():
    rows, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")

    # re-read and check
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(l) for l in fh]
    assert back == rows
    problems = []
    ids = Counter(r["post"]["id"] for r in back)
    problems += ["duplicate id %s" % k for k, v in ids.items() if v > 1]
    texts = Counter(r["post"]["text"] for r in back)
    problems += ["duplicate text %r" % k[:40] for k, v in texts.items() if v > 1]
    for r, m in zip(back, meta):
        try:
            check_contract(r)
        except (AssertionError, KeyError, ValueError) as exc:
            problems.append("%s contract: %r" % (r["post"]["id"], exc))
        problems += ["%s: %s" % (r["post"]["id"], e) for e in check_semantics(r, m)]
        # severity is recomputed from the profile, never typed
        if r["expect"]["severity"] != severity(m["role"], r["expect"]["categories"], m["scan"]):
            problems.append("%s severity mismatch" % r["post"]["id"])
    # rerun determinism: values must not depend on anything but the seed
    n = len(back)
    benign = sum(1 for r in back if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        problems.append("case count %d out of range" % n)
    percat = Counter(c for r in back for c in r["expect"]["categories"])
    langs = Counter(m["lang"] for m in meta)
    roles = Counter((m["role"], bool(m["cats"])) for m in meta)
    print("cases: %d  benign: %d  positives: %d" % (n, benign, n - benign))
    print("per category:", dict(sorted(percat.items())))
    print("severity:", dict(Counter(r["expect"]["severity"] for r in back)))
    print("lang:", dict(langs), "nl share %.0f%%" % (100.0 * langs["nl"] / n))
    print("role x positive:", dict(roles))
    if problems:
        print("SELF-CHECK FAILED:")
        for p in problems:
            print("  -", p)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
