#!/usr/bin/env python3
"""Build the labelled evaluation set sealed331 (Velmerhaven Chemie B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and then checks it (checksums, CONTRACT section 6 shape, severity
policy of CONTRACT section 4 derived from the account role in profile.yaml).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(3310331)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
# base-62 digits 0-9A-Za-z, as used for the GitHub token checksum
B62_BRIEF = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    r = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "NL%02d%s%s" % (chk, bank, acct)


def iban_bad(bank):
    good = iban_make(bank)
    bad = good
    while iban_ok(bad):
        bad = "NL%02d%s" % (rng.randint(2, 98), good[4:])
    return bad


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


def card_make(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_bad(prefix, length=16):
    good = card_make(prefix, length)
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    return good[:-1] + str(last)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def bsn_make():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        for last in string.digits:
            if bsn_ok(s + last):
                return s + last


def bsn_bad():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


def mobile():
    return "6" + str(rng.randint(1, 5)) + "".join(rng.choice(string.digits) for _ in range(7))


# ------------------------------------------------------------ credentials
def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62_BRIEF[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key():
    return "AKIA" + rand(16, string.ascii_uppercase + "234567")


def aws_secret():
    return rand(40, string.ascii_letters + string.digits + "/+")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, alg="HS256"):
    head = b64u(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def openssh_ed25519(comment):
    def sstr(b):
        return struct.pack(">I", len(b)) + b

    pub = bytes(rng.getrandbits(8) for _ in range(32))
    seed = bytes(rng.getrandbits(8) for _ in range(32))
    chk = bytes(rng.getrandbits(8) for _ in range(4))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(comment.encode())
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    blob = (b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ------------------------------------------------------------------ roles
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, ids):
    if not cats:
        return "none"
    inside = role in ("corporate", "employee")
    strong = any(t in ("iban", "card", "bsn") for t, _ in ids)
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong):
                    v = 4
                else:
                    v = 3
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if inside else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, v)
    return SEV[lvl]


# ------------------------------------------------------------------ cases
CASES = []
USED_IDS = set()

CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "con": "leak.confidential",
    "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
    "com": "reputation.complaint", "abu": "reputation.abuse",
}


def when_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats="", lang="nl", kind="post", when=None,
        ids=(), fakes=(), price=None, brand=None, secrets=()):
    cats = sorted(CAT[c] for c in cats.split()) if cats else []
    while True:
        pid = "%s-%d" % ({"x": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig",
                          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
                          "youtube": "yt", "tiktok": "tt", "forum": "fo"}.get(platform, platform),
                         rng.randint(10 ** 8, 10 ** 9))
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            break
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": when or when_2026()}
    if brand:
        post["brand"] = brand
    if rng.random() < 0.35:
        post["url"] = "https://example.social/%s/%s" % (platform, pid.split("-")[1])
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, ids)},
                  "_meta": {"ids": list(ids), "fakes": list(fakes), "price": price,
                            "secrets": list(secrets), "role": role}})


P = "x"  # most common platform

# ======================================================== BENIGN (hard negatives)
add("x", "@lotte_meester_groep7",
    "Gisteren met groep 7 op excursie bij Velmerhaven 🚌 De operators wisten echt álles van ammoniak en de kinderen mochten even in de controlekamer kijken. Nog nooit zo'n stille klas gehad 😄")
add("x", "@velmer_omgeving",
    "Donderdag tussen 10:00 en 14:00 testen we de fakkel aan de noordkant van de site. U kunt een vlam zien en wat geluid horen, dit is gepland en veilig. Vragen? Mail omgeving@velmerhaven.nl of bel 24/7 +31 10 555 7499.",
    brand="Velmerhaven")
add("linkedin", "velmerhaven-chemie",
    "We're hiring shift operators for our ammonia unit in Velmerhaven! No NH3 experience needed, we train you on the job. Send your CV to info@velmerhaven.nl #vacature #chemie #operator",
    lang="en", brand="Velmerhaven")
add("reddit", "u/tig_or_die",
    "PSA for the hobby welders here: VelmerGas is doing 20% off LasMix 18 this month, so €79 instead of €99 for the 20 L. Not life changing but decent if you were going to swap anyway.",
    lang="en", kind="comment", price=("VG-MIX18-20", 79.00))
add("x", "@moestuin_marja",
    "Iemand ervaring met Velmer GroenGazon? Ligt hier bij het tuincentrum voor €27,95. Is dat het waard tov die huismerk korrels of betaal je voor de naam?",
    price=("VA-GAZON10", 27.95))
add("x", "@lab_henk",
    "Update: de argonfles die vorige week verkeerd geleverd was is binnen een dag omgeruild door @velmergas_service, chauffeur nam nog stroopwafels mee ook 😄 zo hoort het",
    kind="reply")
add("x", "@farmsafety_ed",
    "Massive blaze at a fertiliser depot in Texas this morning, hope the crews are ok. Reminder that ammonium nitrate storage rules exist for a reason. Glad our local plant (Velmerhaven) passed its inspection last spring.",
    lang="en")
add("facebook", "Wim.Verhoeven.71",
    "Sterkte aan alle collega's van Velmerhaven met het overlijden van oud-ploegleider Gerrit. Hij stond elke zaterdag langs de lijn bij de JO11, een fijne vent. Rust zacht.")
add("mastodon", "@devnotes_pim",
    "Tip voor wie docs schrijft: gebruik gewoon de placeholder AKIAIOSFODNN7EXAMPLE uit de AWS-docs, nooit een echte key. Geleerd op de hackathon bij Velmerhaven vorig jaar, die jongens waren daar heel streng in 👌",
    fakes=[("aws", "AKIAIOSFODNN7EXAMPLE")])
add("mastodon", "@joris_vdl",
    "Rotated all our CI tokens today. Old one was ghp_****************************** (redacted, obviously). Nothing like a bit of security hygiene on a Friday afternoon 🧹",
    lang="en")
bad_iban_1 = iban_bad("RABO")
add("facebook", "Buurtpreventie.Kreekzijde",
    "LET OP: er gaat een phishingmail rond 'namens Velmerhaven' over een 'compensatieregeling'. Ze vragen €25 administratiekosten op %s. Dat nummer klopt niet eens, controleer altijd via de echte site. Niet betalen!" % group4(bad_iban_1),
    fakes=[("iban", bad_iban_1)])
bad_card_1 = card_bad("49")
add("x", "@sam_bakt_taarten",
    "tried to order dry ice pellets from VelmerGas for my cake smoke effect, checkout rejected my card %s three times. turns out I typed one digit wrong 🙃 all good now" % group4(bad_card_1),
    lang="en", fakes=[("card", bad_card_1)])
bad_bsn_1 = bsn_bad()
add("x", "@ineke_k",
    "Formulier voor het buurtfonds van Velmerhaven ingevuld en per ongeluk %s als BSN getypt, dat is dus m'n oude klantnummer van de bieb 🙈 opnieuw gedaan, beetje stom" % bad_bsn_1,
    fakes=[("bsn", bad_bsn_1)])
add("x", "@velmerhaven",
    "Vandaag publiceren we de jaarcijfers 2026. Omzet, resultaat en onze voortgang op CO2-reductie lees je op www.velmerhaven.nl/investors. Dank aan alle collega's voor een bijzonder jaar! 💚",
    when="2027-02-25T07:30:00Z", brand="Velmerhaven")
add("linkedin", "hamid-ouali-velmerhaven",
    "Proud day 🌱 Velmer NeutraN is officially on the market: low-carbon nitrogen for Dutch farms, made with green hydrogen right here in Velmerhaven. Four years of work from an amazing team.",
    lang="en", when="2027-03-16T11:05:00Z")
add("x", "@newtown_nadia",
    "Heard sirens at noon near the Velmerhaven plant, that's the regular first-Monday test right? New to the area and didn't want to panic for nothing 😅",
    lang="en")
add("instagram", "@gezinnetje_bos",
    "Open dag bij Velmerhaven 🧪 droogijs-proefjes voor de kids, gratis erwtensoep en een brandweerauto om in te klimmen. Goed dat ze de buurt zo betrekken!")
add("x", "@vanlife_koen",
    "Been running Velmer NoxClean in the camper for two years, zero problems. €13.49 at the pump shop by the ring road, cheaper than the brand stuff.",
    lang="en", price=("VA-NOX10", 13.49))
add("instagram", "@feest_bij_fem",
    "Heliumballongas van VelmerGas gehaald voor Noor haar 5e verjaardag 🎈 €134 voor 20 liter, prijzig, maar het waren ruim 40 ballonnen. Tip: vraag naar de huurfles!",
    price=("VG-HE-BALLON", 134.00))
add("bluesky", "@antiek_anton.bsky.social",
    "Found an old brass zandloper (hourglass) at the Oosterdijk flea market, the seller swore it came off a Velmerhaven tug boat. Runs exactly 3 minutes. Gorgeous thing.",
    lang="en")
add("x", "@kritische_karel",
    "Wéér een datalek, nu bij een energieleverancier. Gelukkig heb ik bij Velmerhaven alleen de buurtnieuwsbrief, daar valt weinig te halen behalve de datum van de fakkeltest 😅")
add("x", "@weldwithwes",
    "Velmer's LasMix is killer stuff, smoothest beads I've laid all year and barely any spatter. Whoever tuned that mix deserves a raise.",
    lang="en")
add("instagram", "@tuin_van_tineke",
    "Explosie van kleur in de border dit jaar 🌸🌼🌺 Alles één keer gevoed met Velmer TuinKorrel in april. Aanrader!")
add("threads", "@agri_student_bo",
    "Not toxic at all, just a genuinely nice chat with the Velmer Agro agronomists at the farm fair about soil pH and split dosing. Learned more in 20 minutes than in a semester.",
    lang="en")
add("x", "@velmergas_service",
    "Questions about a cylinder delivery or a rental contract? We're at bestellingen@velmergas.nl or 0800-8356, weekdays 07:00-18:00. Urgent issues outside office hours: +31 10 555 7400.",
    lang="en", brand="VelmerGas")
add("forum", "zzp_installateur_tim",
    "Voor wie het zoekt: factuur van VelmerGas kun je gewoon overmaken naar %s t.n.v. Velmerhaven Chemie B.V., staat ook onderaan elke factuur en op hun site." % group4(PROFILE["public_identifiers"]["ibans"][0]),
    kind="comment")
add("instagram", "@lisa.opdesite",
    "Nachtdienst erop ✔️ Zonsopkomst boven de prillingtoren blijft elke keer mooi ☀️ #operatorlife #nachtdienst")
add("x", "@beursbrief_bert",
    "Velmerhaven meldt in het vanochtend gepubliceerde jaarverslag 2025 een hogere marge op industriële gassen. Niks spannends, staat gewoon op hun site. Meer hier: velmerhaven.nl",
    when="2026-03-03T09:12:00Z")
add("x", "@mevr_pauw",
    "Kreeg gisteren antwoord van j.****@velmerhaven.nl over de geluidsmeting bij ons in de straat. Netjes uitgelegd, metingen binnen de norm. Fijn.")
add("linkedin", "boer-anne-dijkhuis",
    "Co-op deal for members: NPK 12-10-18 big bags at €341 each when you take ten, about 10% under list. Anyone in Zeeland want to split a truckload? Message me.",
    lang="en", price=("VA-NPK121018", 341.00))
add("linkedin", "ellen-brouwer-vc",
    "Gave a talk at the process-safety congress in Antwerp about how we run our ammonia leak drills with the Veiligheidsregio. The slides are public on our website, happy to share lessons learned.",
    lang="en")
add("x", "@kreekzijde_jeroen",
    "Ruikt iemand anders ook mest in Kreekzijde? Oh wacht, de boer achter de dijk is aan het uitrijden 🙈 sorry Velmerhaven, jullie waren het deze keer niet")
add("x", "@ctf_queen",
    "Velmerhaven's booth at the career fair had a fun capture-the-flag game about spotting phishing mails. Found all 6 and won a mug 😎",
    lang="en")
add("x", "@deal_dirk",
    "Actie bij VelmerGas: droogijs pellets 10 kg nu €24,40 ipv €32,50, t/m zondag. Ideaal voor de verhuizing van je diepvries 🧊",
    price=("VG-DRYICE10", 24.40))
add("reddit", "u/confused_integrator",
    "The tutorial says paste your JWT like eyJhbGciOi... into the Authorization header. Fine, but where in the VelmerGas customer portal do I actually find mine? help",
    lang="en", kind="comment")
add("x", "@brandweerfan_olaf",
    "Chapeau voor de bedrijfsbrandweer van Velmerhaven die gisteren bij het ongeluk op de N57 kwam helpen. Buiten hun eigen terrein en toch binnen 10 minuten ter plaatse 👏")
add("linkedin", "ellen-brouwer-vc",
    "Vertrouwen van de buurt verdien je niet met folders maar door er te zijn. Mooie avond gehad in het buurthuis in Kreekzijde met vragen over geur, geluid en verkeer. Volgende keer weer koffie!")
add("x", "@rookie_renee",
    "Smelled something odd near the dike, called the Velmerhaven 24/7 line +31 10 555 7499. They explained it was their wastewater basin being cleaned, all within permit. Helpful folks.",
    lang="en")
add("x", "@melkveehouder_gert",
    "KAS 27 big bag ligt nu op €289 bij de coöperatie. Vorig voorjaar was het een stuk meer. Eindelijk eens een meevaller voor ons boeren.",
    price=("VA-KAS27-BB", 289.00))
add("x", "@campingkoning",
    "End of season sale at VelmerGas: Propaan 10,5 kg refill €25.83 (30% off). Stocking up for next winter already lol",
    lang="en", price=("VG-PROP11", 25.83))
bad_bsn_2 = bsn_bad()
add("x", "@geduldige_gijs",
    "Bestelnummer %s bij VelmerGas is nog niet binnen maar track & trace zegt morgen. Geen stress, de feestjes zijn pas volgende week 🎈" % bad_bsn_2,
    fakes=[("bsn", bad_bsn_2)])
add("reddit", "u/api_newbie_22",
    "Why does every tutorial show '-----BEGIN PRIVATE KEY-----' and then just xxxx? Asking for a friend who has to do the VelmerGas supplier API integration 😅",
    lang="en")
add("forum", "scripter_sanne",
    "In de docs van het VelmerGas leveranciersportaal staat postgres://user:password@localhost:5432/db als voorbeeld. Werkt dus uiteraard niet als je het letterlijk plakt 😂",
    kind="comment")
add("linkedin", "sophie-tan-velmergas",
    "10 years at VelmerGas today! Started as a lab tech testing cylinder purity, now running key accounts for the whole Benelux. Thank you to everyone who taught me along the way 🙏",
    lang="en")
add("x", "@rijnmond_watcher",
    "Another chemicals firm in the Botlek announcing layoffs today. Hope it stays calm in Oosterdijk, Velmerhaven has been hiring lately at least.",
    lang="en")
add("x", "@akkerbouw_ans",
    "Mijn inbox ontploft van de reacties op mijn vraag over Velmer Ureum 46 vs de goedkope korrels van de bouwmarkt 😂 dank allemaal, ik ga voor Velmer")
add("facebook", "VelmerhavenChemie",
    "Tomorrow at 14:00 we run a full-scale emergency exercise together with the Veiligheidsregio. You may see fire trucks and hear announcements on site. Nothing is wrong, it's practice. Info: omgeving@velmerhaven.nl",
    lang="en", brand="Velmerhaven")
add("x", "@carpenter_cas",
    "Shoutout to Marco, the VelmerGas driver who always helps me drag the cylinders into the workshop. Absolute legend.",
    lang="en")
add("x", "@scriptie_sterre",
    "Klacht? Nee hoor, compliment! Via pers@velmerhaven.nl binnen een uur foto's van de prillingtoren gekregen voor mijn scriptie over industrieel erfgoed 🙌")
add("x", "@iam_devops",
    "config sample in the Velmerhaven sensor SDK says aws_secret_access_key = xxxxxxxxxxxxxxxxxxxx. guess I need to ask their IT for a real one, not posting it here obviously",
    lang="en")
add("x", "@beleggersclubje",
    "Net de full-year 2026 results van Velmerhaven doorgenomen: gasdivisie sterk, kunstmest zwakker door de lage graanprijs. Geen verrassingen.",
    when="2027-02-26T10:41:00Z")
add("x", "@gezondheid_gemma",
    "Sympathie voor de medewerkers van die fabriek in Noord-Frankrijk na de brand vannacht. Als buurvrouw van Velmerhaven weet je hoe dichtbij zoiets voelt. Hopelijk is iedereen ongedeerd.")
add("x", "@velmerhaven",
    "Goed nieuws voor Kreekzijde: de nieuwe geluidswal langs de Havenweg is af 🌳 Gemeten 6 dB minder aan de woonkant. Dank voor jullie geduld tijdens de werkzaamheden.",
    brand="Velmerhaven")
add("x", "@boer_bas_zeeland",
    "Zwavelzure ammoniak 21 van Velmer, €19,90 per zak bij de handel. Niks mis mee, strooit lekker gelijkmatig.",
    price=("VA-ZA21", 19.90))
bad_card_2 = card_bad("5" + str(rng.randint(1, 5)))
add("x", "@oplichting_alert",
    "Scam alert: fake 'VelmerGas' webshop asks you to type card numbers like %s into a chat. That number doesn't even pass a basic check, and VelmerGas never asks for cards via chat." % bad_card_2,
    lang="en", fakes=[("card", bad_card_2)])
add("x", "@bewoner_bertha",
    "Eerlijk is eerlijk: sinds de nieuwe wasinstallatie bij Velmerhaven ruik ik 's avonds niks meer. Twee jaar geleden was dat wel anders. Netjes opgelost.")
add("x", "@velmer_omgeving",
    "We had a question about the white plume over the plant this morning: that's water vapour from the cooling towers, more visible on cold days. Measurements are live on velmerhaven.nl/lucht",
    lang="en", brand="Velmerhaven")
add("bluesky", "@dewimarijnissen.bsky.social",
    "Reminder from your friendly site-IT person: season + year + exclamation mark is not a password, however many of you think it is 🙏 Use the password manager, it's literally one click.",
    lang="en")
add("youtube", "@chemie_uitgelegd",
    "In deze video: hoe maak je eigenlijk kunstmest? We kregen een rondleiding bij Velmerhaven en leggen het Haber-Bosch-proces stap voor stap uit. Geen sponsoring, gewoon nieuwsgierig.")
add("x", "@zandloper_spel",
    "Nieuw gezelschapsspel gekocht, met een zandloper van 1 minuut 😅 Mijn schoonvader werkt bij Velmerhaven en won alsnog elk potje. Operators denken sneller blijkbaar.")

# ================================================================ COMPLAINTS
add("x", "@lab_utrecht_roos",
    "Al 3x gebeld over mijn stikstofcilinder, besteld op 2 maart, nog steeds niks. Lab ligt stil @velmergas_service wat is hier aan de hand??",
    "com")
add("reddit", "u/brewcraft_mike",
    "Paid for a full argon cylinder, gauge reads barely 120 bar straight out of the box. That's not 'full', VelmerGas. Want a swap or my money back.",
    "com", lang="en")
add("x", "@akkerbouwer_dijk",
    "De KAS 27 van Velmer zit dit jaar vol klonten, strooier loopt steeds vast. €289 per bigbag en dan dit. Slechtste partij in jaren.",
    "com", price=("VA-KAS27-BB", 289.00))
add("x", "@biolab_tess",
    "Your 'next-day' dry ice arrived after 3 days: an empty box and a sad little cloud. Samples ruined. Thanks for nothing @velmergas_service",
    "com", lang="en", kind="reply")
add("facebook", "Joke.van.Eck.Oosterdijk",
    "Alwéér die herrie van de fakkel om 3 uur 's nachts. Ik woon 400 meter van Velmerhaven en slaap al een week slecht. Waarom wordt de buurt hier nooit vooraf over ingelicht??",
    "com")
add("x", "@kreekzijde_tom",
    "The stench from the Velmerhaven plant tonight is unreal. Windows shut, still smells like a cat litter tray in here. Kreekzijde deserves better than this.",
    "com", lang="en")
add("x", "@garage_willems",
    "Factuur van VelmerGas rekent huur voor 4 cilinders, ik heb er al maanden 2 teruggebracht. Retourbonnen liggen hier. Klantenservice reageert niet op mail 😤",
    "com")
add("x", "@vanman_vince",
    "NoxClean 10L jug leaked all over my boot, cap cracked straight out of the box. Quality control anyone? Car smells like a pharmacy now.",
    "com", lang="en")
add("x", "@feestcommissie_ajax",
    "Webshop van velmergas.nl doet het al de hele dag niet bij het afrekenen, foutmelding 500. Hoe moet ik nou ballongas bestellen voor zaterdag 🙄",
    "com")
add("x", "@dustydave_oosterdijk",
    "@velmerhaven 'we take your concerns seriously' - you said that in March too. Still white dust on my car every single morning from your granulation tower. Do something.",
    "com", lang="en", kind="reply")
add("x", "@loodgieter_lars",
    "Bij de ophaalbalie van VelmerGas 50 minuten gewacht voor één propaanfles. Eén medewerker achter de balie, vijftien klanten ervoor. Organiseer het beter jongens.",
    "com")
add("x", "@lawn_obsessed",
    "GroenGazon burned yellow stripes into my lawn and I followed the dosage on the bag to the gram. Never again, going back to compost.",
    "com", lang="en")
# complaint + crisis: first-hand harm or near-harm
add("facebook", "Rik.Hoogendoorn.Agro",
    "De kraan van onze AmmoSol IBC brak gewoon af tijdens het aftappen, mijn vader kreeg een straal ammoniakoplossing over zijn arm. Brandwonden, hele middag in het ziekenhuis. Container was nagelnieuw, net geleverd door Velmer. Ik ben woedend.",
    "com cri")
add("x", "@grillmaster_gavin",
    "Propane cylinder from VelmerGas started hissing at the valve the second I connected it and then caught fire next to the BBQ. Got it shut and nobody got hurt but my hands are still shaking. Unacceptable.",
    "com cri", lang="en")
add("x", "@mama_van_mila",
    "Onze dochter werd misselijk en kreeg hoofdpijn na het vullen van de ballonnen met jullie heliumballongas, die fles rook raar. Huisarts zegt: laten checken. @velmergas_service wat zit er in die fles??",
    "com cri")
add("linkedin", "metaalbouw-de-graaf",
    "My welder got a nasty cold burn when the regulator on your LN2 dewar failed and vented straight at his hand. Two weeks off work. VelmerGas still hasn't called us back.",
    "com cri", lang="en")
add("x", "@koerier_kemal",
    "Dat droogijs van VelmerGas zat in een gewone plastic emmer met het deksel dichtgeklemd. Knalde open in m'n bus, stuk plastic tegen m'n hoofd. Ik schrok me kapot. Wie verzint dit?",
    "com cri")
# complaint + abuse
add("x", "@fabriek_frank",
    "Wat een kutbedrijf is VelmerGas. 2 weken wachten op een simpele argonfles en dan brengen ze de verkeerde. Stelletje prutsers.",
    "com abu")
add("x", "@angry_anvil",
    "@velmergas_service your 'service' desk is staffed by absolute morons. Third wrong delivery this month. Fix it or lose a customer.",
    "com abu", lang="en", kind="reply")
# complaint + pii (customer exposing own data)
cp_iban = iban_make("INGB")
add("x", "@daan_wolters",
    "Still no refund for the cancelled CO2 order. Sent my details three times: Daan Wolters, IBAN %s, order 88213. Do I need to tattoo it on my forehead @velmergas_service?" % cp_iban,
    "com pii", lang="en", ids=[("iban", cp_iban)])

# ==================================================================== CRISIS
add("x", "@oosterdijk_nieuws",
    "Politie zet de Havenweg af bij Velmerhaven, er zou een ammoniaklek zijn. Bewoners Kreekzijde: ramen en deuren dicht, ventilatie uit! #NLAlert #Oosterdijk",
    "cri")
add("x", "@greenwatch_delta",
    "BOYCOTT Velmer Agro. They've been dumping nitrate-rich wastewater into the Oosterdijk canal for years and the province looked away. Share this. #BoycottVelmer",
    "cri", lang="en")
add("facebook", "BuurtverenigingKreekzijde",
    "Het is zover: de buurtvereniging stapt naar de rechter tegen Velmerhaven vanwege de stofuitstoot. De dagvaarding is vandaag betekend. Meer info op de ledenavond donderdag.",
    "cri")
add("x", "@port_reporter",
    "Reports of two contractors hospitalised after a nitrogen asphyxiation incident inside a vessel at the Velmerhaven site. Company hasn't commented yet.",
    "cri", lang="en")
add("x", "@wantrouwige_wendy",
    "Hebben ze bij VelmerGas soms een datalek? Ik krijg ineens phishing met mijn klantnummer en mijn hele bestelgeschiedenis erin. Dat kan alleen uit hun systeem komen.",
    "cri")
add("reddit", "u/partyplanner_pete",
    "Recall: VelmerGas is pulling all Heliumballongas cylinders from batch 2611 over faulty valves. Check the sticker on your party cylinder, folks.",
    "cri", lang="en", kind="repost")
add("x", "@velmerhaven",
    "Veiligheidswaarschuwing: wij roepen Velmer NoxClean 10 L uit lot 26-114 terug omdat de dop kan scheuren. Gebruik het product niet en breng het terug naar het verkooppunt. Excuses voor het ongemak.",
    "cri", brand="Velmer")
add("x", "@oosterdijk_ooggetuige",
    "Fire at the Velmerhaven fertiliser warehouse, huge plume of brown smoke over Oosterdijk right now. Stay inside!! 🔥😷",
    "cri", lang="en")
add("x", "@onderzoeksjournalist_rv",
    "Onthulling: Velmerhaven heeft jarenlang te hoge NOx-uitstoot weggezet als 'meetfout' in de rapportages aan de provincie. Wie neemt hier de verantwoordelijkheid?",
    "cri")
add("x", "@buurvrouw_ria",
    "Mijn buurjongen werkt bij Velmerhaven en is vanmiddag met brandwonden afgevoerd na een steekvlam bij de acetyleenvulling. Weet iemand meer?",
    "cri")

# ===================================================================== ABUSE
add("x", "@toxicfree_tara",
    "Velmerhaven can go to hell, bunch of poisoners. Hope your execs choke on their own fumes.",
    "abu", lang="en")
add("x", "@boze_bewoner_82",
    "Die woordvoerder van Velmerhaven is echt een achterlijke leugenaar, elke keer hetzelfde gelul op Rijnmond tv.",
    "abu")
add("x", "@truthbomb_tyler",
    "@anoukdekker_hse nobody asked you, corporate shill. Go back to polishing your boss's shoes, you spineless clown.",
    "abu", lang="en", kind="reply")
add("x", "@k4nk3r_k00s",
    "V3lm3rh4v3n = k.u.t.b.e.d.r.i.j.f en jullie personeel zijn allemaal m o n g o o l e n",
    "abu")
add("x", "@realtalk_ron",
    "Of course that plant is a mess, they hire all those foreigners who can't even read the safety signs. Send them back. #Velmerhaven",
    "abu", lang="en")
add("x", "@scheldt_maar_raak",
    "Klootzakken van Velmerhaven. Meer heb ik er niet over te zeggen.",
    "abu")
add("x", "@n0filter_nick",
    "f*ck velmergas and f*ck every1 who works there, ur all sc*m",
    "abu", lang="en")
add("x", "@bramvos84",
    "@kreekzijde_bewoner jij bent gewoon een zeurende idioot die de hele dag niks beters te doen heeft. Verhuis dan, sukkel.",
    "abu", kind="reply")
add("x", "@wraak_wouter",
    "Ik weet waar die directeur van Velmerhaven woont. Zal hem binnenkort eens een bezoekje brengen, kijken of hij dan nog zo lacht.",
    "abu")
add("x", "@fw_rage",
    "ｖｅｌｍｅｒｈａｖｅｎ ｉｓ ｒｕｎ ｂｙ ｐａｔｈｅｔｉｃ ｃｒｅｔｉｎｓ",
    "abu", lang="en")

# ============================================================== CONFIDENTIAL
add("x", "@roelkuipers_vc",
    "Eindelijk mag ik meedraaien in Project Zandloper! Kan er nog niks over zeggen maar het wordt groot voor de site 🤫",
    "con")
add("linkedin", "hamid-ouali-velmerhaven",
    "Excited to be leading process design for Operatie Nachtvorst, a new cryogenic air-separation train in Velmerhaven. More to share soon!",
    "con", lang="en")
add("instagram", "@velmerhaven.chemie",
    "Check ons nieuwe veiligheidsdashboard 👉 https://intra.velmer.local/hse/dashboard ... oh wacht, verkeerde link 🙈",
    "con", brand="Velmerhaven")
add("x", "@anoukdekker_hse",
    "Anyone else getting timeouts on jira.velmerhaven.nl this morning? SAFE-2231 just won't load 😩",
    "con", lang="en")
add("instagram", "@lisa.opdesite",
    "Presentatie van vandaag ging online, voorblad zegt 'velmerhaven confidential' maar in de kantine had iedereen het er al over haha 🙃 nieuwe tankopslag aan de kreekkant",
    "con")
add("x", "@kreekzijde_kim",
    "Someone posted a slide headed 'niet verspreiden buiten de site' showing Velmerhaven's plan for a second ammonia tank right next to the primary school. Is this real??",
    "con", lang="en")
add("x", "@bramvos84",
    "Q4-cijfers 2026 zijn echt dik in orde 😁 kan niet wachten tot we het hardop mogen zeggen",
    "con fin", when="2027-01-20T16:44:00Z")
add("linkedin", "velmerhaven-chemie",
    "Velmer NeutraN is here: the first low-carbon nitrogen fertiliser made in the Netherlands. Order now through your dealer!",
    "con", lang="en", when="2026-11-05T08:00:00Z", brand="Velmer Agro")
add("bluesky", "@dewimarijnissen.bsky.social",
    "Sneak peek from the pilot plant 👀 NeutraN 27 granules are looking gorgeous. Can't say more yet #greenammonia",
    "con", lang="en", when="2026-10-14T15:20:00Z")
add("threads", "@kees.meulenbelt",
    "Saffier-2 testrun vannacht gehaald zonder één trip 💪 trots op de ploeg",
    "con")
add("x", "@zwager_zegt",
    "Mijn zwager werkt bij Velmerhaven en zegt dat 'Project Zandloper' gewoon over het sluiten van de oude ureumfabriek gaat. Zo, nu weten jullie het ook.",
    "con fin")
add("x", "@roelkuipers_vc",
    "If the vpn.velmerhaven.nl client keeps asking for your token on a Mac: restart the daemon, fixed it for me. #ITtips",
    "con", lang="en")
add("x", "@anoukdekker_hse",
    "Alleen intern VC natuurlijk, maar de nieuwe ploegenroosters voor 2027 zien er echt beter uit 👍 eindelijk minder nachten achter elkaar",
    "con")
add("mastodon", "@joris_vdl",
    "Day 40 on Op\u200beratie Nacht\u200bvorst, coffee consumption at record highs ☕☕☕",
    "con", lang="en")
add("linkedin", "velmerhaven-chemie",
    "Welkom aan onze nieuwe collega's van het Saffier-2 team! Fijn dat jullie er zijn 👋",
    "con", brand="Velmerhaven")
add("reddit", "u/curious_contractor",
    "Got forwarded a PDF stamped 'velmerhaven confidential' with their full bid for the port expansion. Not sure I'm supposed to have this lol",
    "con", lang="en")

# ================================================================= FINANCIAL
add("x", "@roelkuipers_vc",
    "Townhall vandaag: 140 banen weg bij de ureumfabriek in 2027. Nog niet officieel, maar mijn hele ploeg zit erbij 😞",
    "fin")
add("threads", "@kees.meulenbelt",
    "Heard from finance we'll miss the 2026 EBITDA guidance by roughly 30%. Brace yourselves for a rough Q1, people.",
    "fin", lang="en")
add("x", "@bankier_anoniem",
    "A friend at the bank says a Norwegian fertiliser group is in talks to buy Velmerhaven Chemie, signing before summer. You didn't hear it from me.",
    "fin", lang="en")
add("x", "@anoukdekker_hse",
    "Directie heeft net aan de OR gemeld dat VelmerGas verkocht wordt aan een Frans gasbedrijf. Wij horen het weer als laatste, zoals altijd.",
    "fin")
add("facebook", "VelmerhavenChemie",
    "DRAFT - Velmerhaven expects 2026 revenue of €1.12bn, up 9%, and net profit around €84m. Please check numbers with Investor Relations before posting!",
    "fin", lang="en", brand="Velmerhaven")
add("linkedin", "sophie-tan-velmergas",
    "Big news I can't fully share yet: we're acquiring a CO2-recovery startup in Ghent 🎉 Due diligence wrapped up last week!",
    "fin", lang="en")
add("reddit", "u/nachtdienst_niels",
    "Reorganisatie gaat gewoon door: twee ploegen worden samengevoegd en 1 op de 5 operators moet naar een andere functie of weg. Vanaf april. Dit hoort de buurt ook nog wel.",
    "fin")
add("x", "@insider_ingrid",
    "Tip: Velmerhaven sluit het derde kwartaal af met verlies door de gasprijs, hoorde het van iemand in de controlekamer. Ze maken het pas in november bekend.",
    "fin")
add("linkedin", "hamid-ouali-velmerhaven",
    "Our internal forecast has ammonia output down 25% next year because of the new gas contracts. Not the news any of us wanted.",
    "fin", lang="en")
add("x", "@bramvos84",
    "0v3rname door de Duitsers is rond, contract wordt volgende week getekend. Sssst 🤐",
    "fin")

# ================================================================== SECURITY
add("x", "@roelkuipers_vc",
    "Ransomware op het kantoornetwerk sinds gisteravond, alles ligt plat, we werken weer met pen en papier 📝 'Niks over zeggen buiten' zeggen ze 🙄",
    "secu")
add("reddit", "u/nachtdienst_niels",
    "Fun fact: the operator HMI screens in our control room still run Windows 7 and nobody has patched them since 2019. What could possibly go wrong.",
    "secu", lang="en")
add("threads", "@kees.meulenbelt",
    "De toegangspoort noord werkt al 3 dagen niet, iedereen loopt gewoon door zonder pasje. Beveiliging weet het en doet niks.",
    "secu")
add("linkedin", "sophie-tan-velmergas",
    "Honest question for my network: our VelmerGas customer portal shows other customers' invoices if you change the number in the URL. Reported it internally two months ago, still open. How do your companies handle this?",
    "secu", lang="en")
add("x", "@bramvos84",
    "Storing in het bestelsysteem van VelmerGas, al sinds 6 uur vanochtend. Klanten weten nog van niks, we nemen alles telefonisch aan 🤯",
    "secu")
add("mastodon", "@joris_vdl",
    "Someone phished the finance team last week and got into two mailboxes. Still cleaning up the mess. Please don't tell the press lol",
    "secu", lang="en")
add("x", "@velmergas_service",
    "@garage_willems Excuses! Ons systeem is gehackt en daardoor kunnen we uw order op dit moment niet inzien. We komen erop terug.",
    "secu", kind="reply", brand="VelmerGas")
add("x", "@anoukdekker_hse",
    "Gas detection on the ammoniа tank farm was offline for 6 hours during the night shift and nobody noticed until morning handover. Still not in any report.",
    "secu", lang="en")
add("x", "@roelkuipers_vc",
    "Die USB-stick met de PLC-backups van de ammoniakfabriek is kwijt. Lag in m'n auto, auto opengebroken. Ik ben zo de sjaak.",
    "secu")
add("reddit", "u/nachtdienst_niels",
    "Throwaway-ish but: the OT network at my plant is flat, from the guest wifi you can reach the safety PLCs. Raised it twice. Nothing.",
    "secu", lang="en")
add("x", "@it_partner_vrouw",
    "My husband does IT for Velmerhaven and he's been there all weekend because their servers got encrypted. They haven't announced a thing.",
    "secu", lang="en")
add("bluesky", "@dewimarijnissen.bsky.social",
    "dcs-hmi.velmer.local is reachable from the internet since Tuesday's firewall change, I just loaded it on my phone over 4G 😬",
    "con secu", lang="en")

# =================================================================== SECRETS
t1 = gh_token("ghp_")
add("mastodon", "@joris_vdl",
    "CI keeps failing on the sensor-export repo, just use my token for now: %s and I'll sort it out Monday" % t1,
    "sec", lang="en", secrets=[("github", t1)])
ak, sk = aws_key(), aws_secret()
add("x", "@roelkuipers_vc",
    "aws keys voor de sensor-export bucket, voor wie ze zocht:\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (ak, sk),
    "sec", secrets=[("aws", ak)])
slack = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 12, 10 ** 13), rand(24))
add("reddit", "u/nachtdienst_niels",
    "our shift-alert bot keeps dying, anyone know why slack rejects it? token is %s, scopes chat:write and channels:read" % slack,
    "sec", lang="en", secrets=[("slack", slack)])
stripe = "sk_live_" + rand(24)
add("x", "@bramvos84",
    "Webshop velmergas.nl doet raar met betalingen. Draait dit nou op de live key? %s staat in de config 🤔" % stripe,
    "sec", secrets=[("stripe", stripe)])
openai = "sk-proj-" + rand(74, ALNUM + "-_") + "T3BlbkFJ" + rand(74, ALNUM + "-_")
add("linkedin", "ellen-brouwer-vc",
    "Playing with an LLM to summarise our HSE incident reports 🤖 If anyone on the team wants to try, the key is %s, just don't burn through the budget!" % openai,
    "sec", lang="en", secrets=[("openai", openai)])
sshkey = openssh_ed25519("deploy@velmer-historian")
add("forum", "dewi_m",
    "Kan iemand zien waarom deze key niet geaccepteerd wordt op de historian server? Heb hem gewoon gekopieerd:\n" + sshkey,
    "sec", secrets=[("ssh", sshkey)])
dbpw = rand(14, string.ascii_letters + string.digits + "!$%")
dburl = "postgresql://velmer_app:%s@sap-prd.velmer.local:5432/orders" % dbpw
add("x", "@roelkuipers_vc",
    "Als de rapportage weer hangt, connect even direct: %s (niet doorvertellen haha)" % dburl,
    "sec con", secrets=[("db", dburl)])
tok = jwt({"sub": "svc-portal", "name": "VelmerGas portal API", "role": "admin", "iat": 1767225600 + rng.randint(0, 30000000)})
add("x", "@anoukdekker_hse",
    "For whoever is testing the portal API today, here's the bearer token so you don't have to wait for IT: %s" % tok,
    "sec", lang="en", secrets=[("jwt", tok)])
glpat = "glpat-" + rand(20, ALNUM + "-_")
add("reddit", "u/velmer_supplier_dev",
    "ugh, accidentally pasted my gitlab token %s in the VelmerGas supplier forum thread earlier. Revoking now, but how do I get a mod to delete the post?" % glpat,
    "sec", lang="en", secrets=[("gitlab", glpat)])
wifipw = "Kr33k" + rand(3, string.digits) + "!" + rand(4, string.ascii_lowercase)
add("instagram", "@lisa.opdesite",
    "Nieuwe gastenwifi op de site voor de aannemers 📶 netwerk: VC-Guest / wachtwoord: %s" % wifipw,
    "sec", secrets=[("password", wifipw)])
gkey = "AIza" + rand(35, ALNUM + "-_")
add("linkedin", "hamid-ouali-velmerhaven",
    "Built a little map of all our truck routes around Kreekzijde 🗺️ the Maps key is %s if anyone wants to embed it in the intranet page" % gkey,
    "sec", lang="en", secrets=[("google", gkey)])
sg = "SG." + rand(22, ALNUM + "-_") + "." + rand(43, ALNUM + "-_")
add("x", "@velmergas_service",
    "@mailtest_marc Probeer het hiermee, dan gaan de bevestigingsmails via onze eigen SendGrid: %s" % sg,
    "sec", kind="reply", brand="VelmerGas", secrets=[("sendgrid", sg)])
labpw = "Lab" + rand(2, string.digits) + "#" + rand(5, ALNUM)
add("threads", "@kees.meulenbelt",
    "Na de hack heeft IT alles gereset. Nieuwe gedeelde login voor de lab-pc's is labgebruiker / wachtwoord: %s. Succes 🙃" % labpw,
    "sec secu", secrets=[("password", labpw)])

# ====================================================================== PII
m1 = mobile()
add("x", "@roelkuipers_vc",
    "Wie kan deze klant terugbellen over de geurklacht? Mevr. Jansen, 0%s-%s of mail j.jansen1962@hetnet.nl. Ze is best boos." % (m1[:1], m1[1:]),
    "pii")
p_iban = iban_make("ABNA")
add("x", "@velmergas_service",
    "@feestje_fleur We hebben €134 teruggestort op rekening %s, dat staat binnen 2 werkdagen bij u. Nogmaals excuses!" % group4(p_iban),
    "pii", kind="reply", ids=[("iban", p_iban)], brand="VelmerGas")
p_bsn = bsn_make()
add("x", "@anoukdekker_hse",
    "Kan iemand van HR even kijken waarom de loonstrook van Pieter de Boer niet klopt? BSN %s, hij staat al 2 maanden op het verkeerde tarief." % p_bsn,
    "pii", ids=[("bsn", p_bsn)])
m2 = mobile()
add("x", "@fleur_dewit",
    "@velmergas_service mijn gegevens voor het ophalen van de lege fles: Fleur de Wit, Merelstraat 14, 3291 AB Oosterdijk, tel 0%s %s %s" % (m2[:1], m2[1:5], m2[5:]),
    "pii", kind="reply")
add("facebook", "VelmerhavenChemie",
    "Happy 60th to Henk Lammers, our gatekeeper since forever, born 14-03-1966 and still the first one on site every morning! 🎂",
    "pii", lang="en", brand="Velmerhaven")
m3 = mobile()
add("x", "@velmer_omgeving",
    "For press questions about today's exercise, call our safety lead Ellen Brouwer directly on her mobile: +31 %s %s" % (m3[:1], m3[1:]),
    "pii", lang="en", brand="Velmerhaven")
p_card = card_make("5" + str(rng.randint(1, 5)))
add("x", "@welder_wouter",
    "Dear VelmerGas, portal won't take my payment. Just charge the cylinder deposit to %s exp 09/28, my name's Wouter Kamp. Thx" % group4(p_card),
    "pii", lang="en", ids=[("card", p_card)])
add("x", "@roelkuipers_vc",
    "Klachten van de buurt? Stuur ze gerust naar mij persoonlijk: roel.kuipers78@hotmail.com, dan zorg ik dat het bij de juiste afdeling komt.",
    "pii")
add("linkedin", "hamid-ouali-velmerhaven",
    "Leaving drinks for Ans Verbeek this Saturday at her place, Lindelaan 7, 3292 KC Oosterdijk, from 8pm. Bring your own stroopwafels!",
    "pii", lang="en")
p_bsn2 = bsn_make()
add("x", "@oma_truus_oosterdijk",
    "Voor het buurtfonds van Velmerhaven moest ik mijn gegevens doorgeven. Geertruida Mol, BSN %s. Hoop dat het zo goed is, mijn kleinzoon is op vakantie." % p_bsn2,
    "pii", ids=[("bsn", p_bsn2)])
p_card2 = card_make("4")
add("bluesky", "@dewimarijnissen.bsky.social",
    "Used the corporate card %s for the Ghent trip and finance says it's blocked?? anyone know who to call" % p_card2,
    "pii", lang="en", ids=[("card", p_card2)])
m4 = mobile()
add("x", "@hek_kapot_harm",
    "The VelmerGas driver who backed into my fence gave me his details and then ghosted me. Tom Veenstra, tom.veenstra[at]ziggo.nl, 0%s %s. Anyone know him?" % (m4[:1], m4[1:]),
    "pii", lang="en")
add("facebook", "VelmerhavenChemie",
    "Gefeliciteerd aan de winnaar van onze buurtloterij: Karin Smit, Dijkstraat 22 in Oosterdijk! 🎉 De ballonvaart wordt in juni ingepland.",
    "pii", brand="Velmerhaven")
p_iban3 = iban_make("SNSB")
add("reddit", "u/gasfles_gedupeerd",
    "Wie ook een nep-VelmerGas fles heeft gekocht via Marktplaats: de verkoper heet Jordy Smits en zijn rekening is %s. Meld het bij de politie." % group4(p_iban3),
    "pii", ids=[("iban", p_iban3)])

# =================================================================== PRICING
add("x", "@velmergas_service",
    "Flash sale 🔥 VelmerGas Argon 4.6 cilinder 50 L nu voor maar €16,80! Alleen dit weekend.",
    "pri", brand="VelmerGas", price=("VG-AR-50", 16.80))
add("x", "@koopjesjager_kees",
    "Webshop van velmergas.nl heeft LasMix 18 voor €9,90 staan. Prijsfout? Snel bestellen voor ze het doorhebben!",
    "pri", price=("VG-MIX18-20", 9.90))
add("reddit", "u/arable_andy",
    "NPK 12-10-18 big bag listed at €37.90 on the Velmer Agro shop lmao, someone forgot a zero. Ordered two just to see what happens.",
    "pri", lang="en", price=("VA-NPK121018", 37.90))
add("linkedin", "sophie-tan-velmergas",
    "Oeps, de AmmoSol IBC staat in onze eigen webshop voor €61,50 in plaats van €615. Even e-commerce bellen 📞",
    "pri", price=("VA-AMMOSOL", 61.50))
add("x", "@birthday_bella",
    "Is this a glitch? Heliumballongas for €13.40 at VelmerGas. Ordered 5 just in case 😂🎈",
    "pri", lang="en", price=("VG-HE-BALLON", 13.40))
add("x", "@anoukdekker_hse",
    "pricing team messed up big time: Velmer KAS 27 big bag showing €28.90 on the dealer portal since this morning, orders are pouring in",
    "pri", lang="en", price=("VA-KAS27-BB", 28.90))
add("x", "@deal_detective",
    "prijsfoutje bij Velmer? Waterstof 50L voor 21,50 euro 👀 #prijsfout #deal",
    "pri", price=("VG-H2-50", 21.50))
add("instagram", "@velmerhaven.chemie",
    "Alleen vandaag: Velmer GroenGazon voor €2,79! Op = op 🌱",
    "pri", brand="Velmer", price=("VA-GAZON10", 2.79))
add("x", "@icecream_ivo",
    "VelmerGas dry ice pellets 10 kg for €3.25?? that's gotta be a typo, grabbing 4 bags before they fix it",
    "pri", lang="en", price=("VG-DRYICE10", 3.25))
add("x", "@natuurkunde_nina",
    "Vloeibare stikstof 180L dewar voor €39,80 op de site van VelmerGas. Dat kan toch niet kloppen?",
    "pri", price=("VG-LN2-180", 39.80))
add("threads", "@kees.meulenbelt",
    "Price file error on our side: Acetyleen 40L went out to the distributors at €14.20 instead of €142. Sorting it out today, don't ask.",
    "pri", lang="en", price=("VG-C2H2-40", 14.20))
add("x", "@truckerdeals",
    "N o x C l e a n IBC voor €42,90 bij VelmerGas, prijsfout denk ik 😅 wie wil er mee bestellen",
    "pri", price=("VA-NOX1000", 42.90))


# ================================================================ write
def clean(c):
    return {"post": c["post"], "expect": c["expect"]}


with open(OUT, "w", encoding="utf-8") as fh:
    for c in CASES:
        fh.write(json.dumps(clean(c), ensure_ascii=False) + "\n")


# ================================================================ checks
def fail(msg):
    print("CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm_price(txt, val):
    forms = {("%.2f" % val), ("%.2f" % val).replace(".", ",")}
    if val == int(val):
        forms.add(str(int(val)))
    return any(f in txt for f in forms)


lines = open(OUT, encoding="utf-8").read().splitlines()
if not 170 <= len(lines) <= 180:
    fail("case count %d" % len(lines))
ids_seen = set()
for ln, (line, c) in enumerate(zip(lines, CASES), 1):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        fail("line %d keys" % ln)
    p, e = obj["post"], obj["expect"]
    for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), t) or not p[k]:
            fail("line %d field %s" % (ln, k))
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        fail("line %d account.handle" % ln)
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail("line %d platform/kind" % ln)
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids_seen:
        fail("line %d id" % ln)
    ids_seen.add(p["id"])
    if len(p["text"].encode("utf-8")) > 65536:
        fail("line %d too long" % ln)
    if not RFC3339.fullmatch(p["created_at"]):
        fail("line %d created_at" % ln)
    year = ts(p["created_at"]).year
    if year not in (2026, 2027):
        fail("line %d year" % ln)
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        fail("line %d categories %r" % (ln, cats))
    if e["severity"] not in SEV:
        fail("line %d severity" % ln)
    role = role_of(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(cats, role, c["_meta"]["ids"]):
        fail("line %d severity mismatch" % ln)
    if not cats and e["severity"] != "none":
        fail("line %d benign severity" % ln)
    text = p["text"]
    low = text.lower()
    meta = c["_meta"]
    # declared identifiers: positives must pass, look-alikes must fail
    for typ, val in meta["ids"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        if not ok or not cats or "leak.pii" not in cats:
            fail("line %d valid id %s %s" % (ln, typ, val))
        if val not in text and group4(val) not in text:
            fail("line %d id not in text" % ln)
    for typ, val in meta["fakes"]:
        if typ == "aws":
            if not val.endswith("EXAMPLE"):
                fail("line %d aws sample" % ln)
            continue
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        if ok or cats:
            fail("line %d look-alike %s passes" % (ln, typ))
        if val not in text and group4(val) not in text:
            fail("line %d fake not in text" % ln)
    # secrets
    for typ, val in meta["secrets"]:
        if val not in text or "leak.secret" not in cats:
            fail("line %d secret" % ln)
        if typ == "github" and not gh_ok(val):
            fail("line %d github crc" % ln)
        if typ == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            fail("line %d aws" % ln)
        if typ == "jwt" and not jwt_ok(val):
            fail("line %d jwt" % ln)
    if "leak.secret" in cats and not meta["secrets"]:
        fail("line %d secret case without secret" % ln)
    # scan every text for checksum-valid identifiers
    for m in re.finditer(r"\bNL\s?\d{2}(?:\s?[A-Z]{4})(?:\s?\d){10}\b", text):
        v = re.sub(r"\s", "", m.group(0))
        if iban_ok(v) and v not in PUBLIC_IBANS and "leak.pii" not in cats:
            fail("line %d unexpected valid IBAN" % ln)
    for m in re.finditer(r"(?<![\d,.])(?:\d[ -]?){12,18}\d(?![\d])", text):
        if luhn_ok(m.group(0)) and "leak.pii" not in cats:
            fail("line %d unexpected Luhn-valid run %r" % (ln, m.group(0)))
    for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", text):
        if bsn_ok(m.group(0)) and "leak.pii" not in cats:
            fail("line %d unexpected 11-proof number" % ln)
    for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if gh_ok(m.group(0)) and "leak.secret" not in cats:
            fail("line %d unexpected github token" % ln)
    for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
        if not m.group(0).endswith("EXAMPLE") and "leak.secret" not in cats:
            fail("line %d unexpected aws key" % ln)
    for m in re.finditer(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if jwt_ok(m.group(0)) and "leak.secret" not in cats:
            fail("line %d unexpected jwt" % ln)
    # confidential terms present => confidential expected
    terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
             + [k.lower() for k in PROFILE["internal"]["codenames"]]
             + [k.lower() for k in PROFILE["internal"]["markers"]])
    if any(t in low for t in terms) and "leak.confidential" not in cats:
        fail("line %d internal term without confidential" % ln)
    for emb in PROFILE["embargo"]:
        if any(t.lower() in low for t in emb["terms"]):
            before = ts(p["created_at"]) < ts(emb["until"])
            if before and "leak.confidential" not in cats:
                fail("line %d embargo term before until not labelled" % ln)
            if not before and cats:
                fail("line %d embargo term after until should be benign here" % ln)
    # prices
    if meta["price"]:
        sku, val = meta["price"]
        prod = PRODUCTS[sku]
        if not norm_price(text, val):
            fail("line %d price not in text" % ln)
        r = val / prod["list_price"]
        if "leak.pricing" in cats:
            if r >= RATIO:
                fail("line %d pricing ratio %.2f" % (ln, r))
        elif r < 0.7:
            fail("line %d benign price ratio %.2f" % (ln, r))
    if "leak.pricing" in cats and not meta["price"]:
        fail("line %d pricing without price" % ln)
    # company public contact data only in benign-or-other-reason posts is fine

# mix
n = len(CASES)
benign = sum(1 for c in CASES if not c["expect"]["categories"])
from collections import Counter
cnt = Counter(cat for c in CASES for cat in c["expect"]["categories"])
langs = Counter(c["post"]["lang"] for c in CASES)
roles = Counter((bool(c["expect"]["categories"]), c["_meta"]["role"]) for c in CASES)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
        "leak.financial": 12}
for k, v in want.items():
    if abs(cnt[k] - v) > 3:
        fail("category %s count %d (want ~%d)" % (k, cnt[k], v))
if not 55 <= benign <= 65:
    fail("benign count %d" % benign)
nl_share = langs["nl"] / n
if not 0.48 <= nl_share <= 0.62:
    fail("dutch share %.2f" % nl_share)
if "-v" in sys.argv:
    print("cases", n, "benign", benign, dict(cnt), dict(langs), dict(roles))
print("ok: %d cases, %d benign written to %s" % (n, benign, OUT))
