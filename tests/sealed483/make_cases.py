#!/usr/bin/env python3
"""Build the sealed evaluation set 483 (Veldkroon Daktuinen, green roofs).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and then checks it (contract shape, checksums of identifiers,
secret formats, embargo windows, pricing, severities recomputed from the
account role in profile.yaml). Exits non-zero when a check fails.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(48317)

# --------------------------------------------------------------------------
# identifier and credential generators (each one records what it produced)
# --------------------------------------------------------------------------
PENDING = []  # (kind, value, valid) produced for the case being built

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
ALNUM = DIGITS + UPPER + LOWER
B62 = DIGITS + UPPER + LOWER


def _rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_check(bank, acct):
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def IBAN(spaced=None):
    bank = RNG.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = _rand(DIGITS, 10)
    s = "NL" + _iban_check(bank, acct) + bank + acct
    assert iban_ok(s)
    if spaced is None:
        spaced = RNG.random() < 0.5
    out = _group4(s) if spaced else s
    PENDING.append(("iban", out, True))
    return out


def BAD_IBAN(spaced=None):
    while True:
        bank = RNG.choice(["RABO", "INGB", "ABNA", "SNSB"])
        acct = _rand(DIGITS, 10)
        chk = _iban_check(bank, acct)
        wrong = "%02d" % ((int(chk) + RNG.randint(1, 9)) % 97 + 2)
        s = "NL" + wrong + bank + acct
        if not iban_ok(s):
            break
    if spaced is None:
        spaced = RNG.random() < 0.5
    out = _group4(s) if spaced else s
    PENDING.append(("iban", out, False))
    return out


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


def _luhn_digit(body):
    for c in DIGITS:
        if luhn_ok(body + c):
            return c
    raise AssertionError


def _card_digits():
    if RNG.random() < 0.5:
        body = "4" + _rand(DIGITS, 14)
    else:
        body = "5" + RNG.choice("12345") + _rand(DIGITS, 13)
    return body


def _fmt_card(s):
    sep = RNG.choice([" ", "-", " ", ""])
    return sep.join(s[i:i + 4] for i in range(0, 16, 4))


def CARD():
    body = _card_digits()
    s = body + _luhn_digit(body)
    out = _fmt_card(s)
    PENDING.append(("card", out, True))
    return out


def BAD_CARD():
    body = _card_digits()
    good = _luhn_digit(body)
    s = body + str((int(good) + RNG.randint(1, 9)) % 10)
    assert not luhn_ok(s)
    out = _fmt_card(s)
    PENDING.append(("card", out, False))
    return out


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s != "000000000"


def BSN():
    while True:
        body = RNG.choice("123456789") + _rand(DIGITS, 7)
        tot = sum(int(c) * k for c, k in zip(body, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = tot % 11
        if last < 10:
            s = body + str(last)
            break
    assert bsn_ok(s)
    PENDING.append(("bsn", s, True))
    return s


def BAD_BSN():
    while True:
        s = RNG.choice("123456789") + _rand(DIGITS, 8)
        if not bsn_ok(s):
            break
    PENDING.append(("bsn", s, False))
    return s


def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def GH(prefix="ghp"):
    body = _rand(ALNUM, 30)
    tok = prefix + "_" + body + _b62(zlib.crc32(body.encode()), 6)
    assert gh_token_ok(tok)
    PENDING.append(("github", tok, True))
    return tok


def AKIA():
    k = "AKIA" + _rand(UPPER + "234567", 16)
    PENDING.append(("aws_key_id", k, True))
    return k


def AWS_SECRET():
    s = _rand(ALNUM + "/+", 40)
    PENDING.append(("aws_secret", s, True))
    return s


def STRIPE():
    s = "sk_live_51" + _rand(ALNUM, 97)
    PENDING.append(("stripe", s, True))
    return s


def SLACK():
    s = "xoxb-%s-%s-%s" % (_rand(DIGITS, 11), _rand(DIGITS, 13), _rand(ALNUM, 24))
    PENDING.append(("slack", s, True))
    return s


def OPENAI():
    s = "sk-proj-" + _rand(ALNUM + "_-", 74) + "T3BlbkFJ" + _rand(ALNUM + "_-", 74)
    PENDING.append(("openai", s, True))
    return s


def ANTHROPIC():
    s = "sk-ant-api03-" + _rand(ALNUM + "_-", 93) + "AA"
    PENDING.append(("anthropic", s, True))
    return s


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def JWT():
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    now = 1767225600 + RNG.randint(0, 365 * 86400)
    body = _b64u(json.dumps({"sub": "svc-offerte-%d" % RNG.randint(100, 999),
                             "iss": "https://veldkroon.nl", "role": "admin",
                             "iat": now, "exp": now + 30 * 86400},
                            separators=(",", ":")).encode())
    sig = _b64u(bytes(RNG.getrandbits(8) for _ in range(32)))
    tok = head + "." + body + "." + sig
    PENDING.append(("jwt", tok, True))
    return tok


def _sshstr(b):
    return struct.pack(">I", len(b)) + b


def SSHKEY():
    pub = bytes(RNG.getrandbits(8) for _ in range(32))
    seed = bytes(RNG.getrandbits(8) for _ in range(32))
    chk = RNG.getrandbits(32)
    pubblob = _sshstr(b"ssh-ed25519") + _sshstr(pub)
    priv = (struct.pack(">II", chk, chk) + _sshstr(b"ssh-ed25519") + _sshstr(pub)
            + _sshstr(seed + pub) + _sshstr(b"tim@vk-ops-02"))
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"")
            + struct.pack(">I", 1) + _sshstr(pubblob) + _sshstr(priv))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    key = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
           + "\n-----END OPENSSH PRIVATE KEY-----")
    PENDING.append(("private_key", key, True))
    return key


def PASSWORD():
    words = ["Sedum", "Dakgroen", "Kruid", "Regen", "Hommel", "Mos", "Wortel"]
    pw = RNG.choice(words) + RNG.choice("!#$%&*") + RNG.choice(words).lower() + _rand(DIGITS, 4)
    PENDING.append(("password", pw, True))
    return pw


def PGURL():
    pw = _rand(ALNUM, 10) + RNG.choice("!*-") + _rand(ALNUM, 4)
    url = "postgres://vk_app:%s@10.40.%d.%d:5432/offertes" % (pw, RNG.randint(1, 9), RNG.randint(10, 250))
    PENDING.append(("db_url", url, True))
    return url


def fw(s):
    """Full-width letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "c": "\u0441", "p": "\u0440"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


# --------------------------------------------------------------------------
# case builder
# --------------------------------------------------------------------------
CASES = []
C_CORP, C_EMP = "c", "e"
P = "p"  # public

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRI = "reputation.crisis"
COM = "reputation.complaint"
ABU = "reputation.abuse"


def C(who, platform, handle, lang, cats, text, kind="post", date=None, flags=()):
    ids = list(PENDING)
    PENDING.clear()
    CASES.append(dict(who=who, platform=platform, handle=handle, lang=lang,
                      cats=sorted(set(cats)), text=text, kind=kind, date=date,
                      ids=ids, flags=set(flags)))


# ===================== reputation.complaint (pure) ========================
C(P, "x", "@hannekevl", "nl", [COM],
  "3e keer dat de ploeg van @veldkroon niet komt opdagen. Dag vrij genomen, koffie klaar, "
  "niemand. Geen telefoontje, geen mail, niks. Zo begint ons 'groene dak avontuur' dus 🙄")
C(P, "reddit", "u/brownroof_blues", "en", [COM],
  "PSA for anyone in NL looking at Veldkroon: our sedum roof went completely brown within four "
  "months. They keep saying it's 'seasonal' and it will 'come back'. It has been brown since June. "
  "And apparently the maintenance subscription doesn't cover 'drought stress'. So what exactly am "
  "I paying for every year?")
C(P, "facebook", "Ellen Schouten", "nl", [COM],
  "Offerte aangevraagd op 3 maart. Nu 9 weken verder en nog steeds niks ontvangen. Twee keer "
  "gebeld, allebei de keren 'u hoort binnenkort van ons'. Binnenkort is bij Veldkroon blijkbaar "
  "een heel rekbaar begrip.", kind="comment")
C(P, "x", "@jb_rotterdam", "en", [COM],
  "@veldkroon_help your crew left six bags of substrate on my neighbour's balcony and now "
  "somehow that's MY problem? ticket open for 12 days, zero reply", kind="reply")
C(P, "instagram", "@tuinieren_met_tess", "nl", [COM],
  "Mooie plaatjes hoor, maar bij ons is de helft van het kruidendak na de eerste winter gewoon "
  "dood. Vervanging valt 'buiten de garantie'. Jammer, had me er zo op verheugd 😞", kind="comment")
C(P, "x", "@ronald_b71", "nl", [COM],
  "factuur van veldkroon klopt wéér niet. dakscan 2x gerekend en die korting die de verkoper "
  "zwart op wit beloofde is nergens te bekennen. mailtje sturen = zwart gat")
C(P, "forum", "roofnerd_anton", "en", [COM],
  "The Vochtwachter sensor from Veldkroon stopped syncing after the last app update. It reports "
  "0% moisture on a roof that is literally a swamp right now. Support's advice: 'reset the "
  "device'. Which means climbing onto the roof. Brilliant design, guys.")
C(P, "threads", "@sanne.opzolder", "nl", [COM],
  "gebeld met veldkroon over de afvoer die al verstopt zit sinds hun installatie... 47 min in de "
  "wacht en toen viel de lijn weg. top service jongens 👏👏👏")
C(P, "linkedin", "arjen-molenaar-fm", "en", [COM],
  "Honest review of Veldkroon after our office roof project: the install was planned for two "
  "weeks and took seven. The site was left a mess most evenings and our tenants complained "
  "daily. The roof itself looks fine now, but I would not hire them again for a commercial job.")
C(P, "bluesky", "@mirjamdeboer.bsky.social", "nl", [COM],
  "De DakDruppel Pro die we bij Veldkroon kochten lekt bij elke koppeling. Inmiddels de derde set "
  "slangetjes. Klantenservice stuurt elke keer dezelfde standaardmail. Doe gewoon eens iets?")
C(P, "x", "@_katie_ams", "en", [COM],
  "ordered the Dakmoestuin starter set in april, it showed up in july with half the seed packs "
  "missing and a cracked tray. veldkroon pls 😩")

# ===================== complaint + crisis (first-hand safety) ==============
C(P, "x", "@w_vanderhoek", "nl", [COM, CRI],
  "Gisteravond is de DakGlow lampset op ons dakterras gaan smeulen. Behuizing helemaal gesmolten, "
  "hele dak rook naar verbrand plastic. Als we niet thuis waren geweest... @veldkroon dit is "
  "levensgevaarlijk, ik wil dat jullie dit NU oppakken.")
C(P, "facebook", "Mark Ellison", "en", [COM, CRI],
  "Part of our bedroom ceiling came down last night. Water had been pooling under the green roof "
  "Veldkroon installed in March - their crew cut the membrane when they fitted the edge trim. My "
  "daughter was asleep in that room. Nobody got hurt, but only by pure luck. Still waiting for a "
  "call back.")
C(P, "instagram", "@fam.kuipers", "nl", [COM, CRI],
  "Onze zoon kreeg een flinke schok toen hij na de regen de pomp van het Stormvat aanraakte. "
  "Met hem naar de huisartsenpost geweest, gelukkig valt het mee. De kabel bleek gewoon niet "
  "waterdicht aangesloten door jullie monteur. Ik ben er echt kapot van.", kind="comment")
C(P, "reddit", "u/itchy_in_utrecht", "en", [COM, CRI],
  "Got a nasty rash and was sick for two days after handling the 'organic' fertiliser pellets "
  "Veldkroon left behind after their maintenance visit. No warning label, nothing. My GP thinks "
  "it's a chemical reaction. Has anyone else had this??")
C(P, "x", "@buurvrouw_els", "nl", [COM, CRI],
  "Monteur van Veldkroon heeft de daktrim niet vastgezet en vanochtend waaide er een stuk van 2 "
  "meter zo van ons dak op de stoep. Scheelde een meter of mijn buurvrouw had het op d'r hoofd "
  "gehad!! Ik bel al 3 dagen, niemand neemt op.")

# ===================== complaint + abuse ====================================
C(P, "x", "@boze_bert", "nl", [COM, ABU],
  "@veldkroon_help stelletje prutsers, al 3 maanden lekkage en jullie doen NIKS. kutbedrijf.",
  kind="reply")
C(P, "x", "@gr8fulnot", "en", [COM, ABU],
  "veldkroon is run by absolute morons. roof leaks, your 'experts' shrug, your help desk is a "
  "joke. fuck you guys, seriously")
C(P, "facebook", "Gijs Rademaker", "nl", [COM, ABU],
  "Die verkoper van jullie, Kees, is een gladde leugenaar en een klootzak. Beloofd: klaar voor de "
  "zomer. Werkelijkheid: half dak, rommel overal en geen mens die terugbelt.", kind="comment")

# ===================== complaint + pii (customer exposes own data) =========
C(P, "x", "@lindavos_", "nl", [COM, PII],
  "@veldkroon_help al 2 weken wachten op een terugbelverzoek over m'n lekkende dak. Bel me dan "
  "gewoon zelf: 06 41 87 22 93. Linda Vos, Esdoornstraat 8, Amersfoort.", kind="reply")
C(P, "x", "@tomgreenroof", "en", [COM, PII],
  f"@veldkroon_help you charged me twice for the maintenance plan. Refund to {IBAN()} please, "
  "it's been three weeks now", kind="reply")

# ===================== reputation.crisis (third party / no own complaint) ==
C(P, "x", "@stadsnieuws030", "en", [CRI],
  "BREAKING: roof garden partly collapses on apartment block in Utrecht-Oost, residents "
  "evacuated. According to the VvE chair the green roof was installed by Veldkroon last year. "
  "No injuries reported so far.")
C(P, "x", "@bewonersgroep_zuid", "nl", [CRI],
  "BOYCOT VELDKROON. 'Groene' daken van plastic matten uit verre landen, gelegd door "
  "onderaannemers die ver onder het minimumloon betaald krijgen. Delen!! #boycotveldkroon")
C(P, "reddit", "u/paranoid_pieter", "en", [CRI],
  "Heard Veldkroon had a data breach - customer home addresses and even alarm codes are "
  "supposedly floating around on some forum. Has anyone received a notification? That's a "
  "burglar's shopping list right there.")
C(P, "linkedin", "mr-l-dijkhuizen-advocaat", "nl", [CRI],
  "Namens veertien VvE's in Amsterdam-Noord hebben wij vandaag een dagvaarding laten uitbrengen "
  "tegen Veldkroon Daktuinen B.V. wegens structurele lekkages na de aanleg van groendaken.")
C(P, "x", "@regio_nieuws_dh", "nl", [CRI],
  "Terugroepactie: Veldkroon haalt de Stormvat 500 regenwaterbuffer terug vanwege kans op "
  "kortsluiting in de pomp. Klanten wordt gevraagd direct de stekker eruit te trekken.")
C(P, "x", "@greenwashwatch", "en", [CRI],
  "Veldkroon's 'carbon negative roof' is pure greenwashing. An independent lab found their "
  "sedum mats are grown on peat and flown in. This is a scandal and customers deserve to know. 🧵👇")
C(P, "tiktok", "@ahmed_bouwt", "nl", [CRI],
  "bro vandaag op de bouw viel de steiger om bij de ploeg van veldkroon, 1 gast met de "
  "ambulance weg. ze stonden zonder valbeveiliging op 6 hoog te werken. dit moet echt gemeld "
  "worden bij de inspectie")
C(P, "mastodon", "@katvrouw@mastodon.nl", "en", [CRI],
  "My neighbours' cat died after nibbling on the 'pet-safe' herb roof that Veldkroon put in. "
  "Vet found slug pellets in the substrate. Sharing so other pet owners can check their roofs.")
C(P, "x", "@brandweer_fan_hlm", "en", [CRI],
  "Fire crews at a rooftop blaze in Haarlem right now: a SolarGroen solar+sedum roof by "
  "Veldkroon caught fire, two flats evacuated. Thick smoke over the Spaarne.")

# ===================== crisis + abuse =====================================
C(P, "x", "@wakker_worden", "nl", [CRI, ABU],
  "Veldkroon lekt klantgegevens en houdt gewoon z'n bek. Stelletje criminelen. Iedereen die "
  "daar klant is: verander je wachtwoorden!")

# ===================== reputation.abuse ====================================
C(P, "x", "@trollface_nl", "en", [ABU],
  "@marloes_vk you're a brainless greenwashing shill. delete your account, nobody wants you",
  kind="reply")
C(P, "linkedin", "gerrit-hulst-1958", "nl", [ABU],
  "Zo'n Marokkaan als 'IT lead', ja dan snap ik wel waarom die site van jullie altijd plat ligt.",
  kind="comment")
C(P, "x", "@d1ksp33l", "nl", [ABU],
  "V3ldkr00n is een k@nk3rb3dr1jf en die m0nt3urs zijn allemaal m0ng00ls")
C(P, "facebook", "Henk Stam", "nl", [ABU],
  "Veldkroon zijn gewoon vuile " + cyr("klootzakken") + ", allemaal", kind="comment")
C(P, "x", "@loud_lars", "en", [ABU],
  "whoever runs the @veldkroon socials is a f.u.c.k.i.n.g i.d.i.o.t")
C(C_EMP, "x", "@kees_vdlinde", "nl", [ABU],
  "@zeurpiet_jan als je zo'n zeikerd blijft mag je je dak lekker zelf leggen, mongool",
  kind="reply")
C(C_CORP, "x", "@veldkroon_help", "nl", [ABU],
  "@marco_dakt misschien eerst leren lezen voordat je gaat lopen zeiken, sukkel. Het staat "
  "gewoon in de voorwaarden.", kind="reply")
C(P, "instagram", "@xx_lolbro_xx", "en", [ABU],
  "@ruben.plantvk bro you look like a garden gnome that got hit by a truck 💀 ugly ass",
  kind="comment")

# ===================== pii + abuse (doxxing) ==============================
C(P, "reddit", "u/wraakzucht_nl", "nl", [PII, ABU],
  "Die installateur van Veldkroon die ons dak verkloot heeft, Daan Smit heet ie, woont gewoon op "
  "de Kastanjelaan 19 in Houten. Ga daar maar eens verhaal halen, jongens.")

# ===================== leak.confidential ===================================
C(C_EMP, "x", "@marloes_vk", "en", [CON],
  "Sneak peek from today's shoot 📸 can't say much yet but the Wolkentuin is going to change how "
  "people think about tiny balconies 🌿 #comingsoon", date="2026-10-14T15:22:07Z")
C(C_EMP, "instagram", "@ruben.plantvk", "nl", [CON],
  "Testvak van Project Steenuil staat er eindelijk! 40 soorten inheemse planten op 8 cm "
  "substraat, wie had dat gedacht 😍🌱")
C(C_EMP, "linkedin", "ingrid-hoekstra-veldkroon", "nl", [CON, FIN],
  "Trots op het team dat de afgelopen maanden keihard aan Operatie Dauwtrap heeft gewerkt. Als "
  "alles doorgaat zijn we vanaf Q1 twee keer zo groot en zitten we ook in Vlaanderen. Meer mag "
  "ik nog niet zeggen 😉")
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [CON],
  "anyone got a decent grafana dashboard template for crew scheduling? ours lives at "
  "planning.veldkroon.local and honestly it's ugly af")
C(C_EMP, "x", "@daan_dakwerkt", "nl", [CON],
  "Even de planning gecheckt op https://wiki.veldkroon.nl/ploegen/week-37 - vrijdag 3 daken in "
  "Zeist, wie gaat er mee 💪")
C(C_EMP, "linkedin", "youssef-benali-vk", "en", [CON],
  "Fun fact: the new scheduling engine we're building, Tarragon One, cut route planning time for "
  "our crews by 60% in the pilot. Can't wait to tell you more when it goes live!")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "nl", [CON],
  "VERTROUWELIJK - ALLEEN INTERN: concept dealerprijslijst 2027, niet doorsturen naar klanten. "
  "Zie bijlage, vragen naar Kees.")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "en", [CON],
  "accidentally pasted the 'Veldkroon internal only' roadmap deck into the wrong channel earlier 🙈 "
  "anyway. big things coming for the modular range, that's all I'll say")
C(C_EMP, "threads", "@bram.veldkroon", "nl", [CON],
  fw("Wolkentuin") + " launch party planning is ON 🎉🎉 wie heeft er ideeën voor de aftermovie?",
  date="2026-11-19T20:41:55Z")
C(C_EMP, "tiktok", "@jesse_opdak", "nl", [CON],
  "Proj" + ZW + "ect Stee" + ZW + "nuil gaat de hele markt op z'n kop zetten, wacht maar af 😏")
C(C_EMP, "x", "@kees_vdlinde", "nl", [CON],
  "mag er nog niks over zeggen maar P r o j e c t  S t e e n u i l is echt next level 🤫")
C(P, "x", "@dakman_fred", "nl", [CON],
  "Mooi klusje voor Veldkroon gedaan vandaag. Die nieuwe Wolkentuin modules zijn een stuk lichter "
  "dan ik dacht. Komt volgend voorjaar op de markt geloof ik.", date="2026-11-03T17:05:12Z")
C(P, "reddit", "u/jobhunter_ams", "en", [CON],
  "Had an interview at Veldkroon last week and they literally had jira.veldkroon.nl up on the "
  "big screen in the meeting room. whole epic called 'Tarragon One migration' lol")
C(C_EMP, "mastodon", "@noorvk@groen.social", "nl", [CON],
  "Nieuwe onboarding-pagina staat live op intranet.veldkroon.local/welkom - collega's, graag "
  "feedback vóór vrijdag!")
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [CON, SECU],
  "heads up team: the cert on vpn.veldkroon.nl expired overnight and half the crews can't reach "
  "the planning tool since 6am. we're on it. NOT announced to customers yet, so don't mention it "
  "on calls")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "en", [CON],
  "Excited to announce a new partnership with a leading Dutch housing corporation! 🌱 "
  "[CONCEPT - niet extern delen - wacht op akkoord juridisch]")
C(C_CORP, "x", "@veldkroon", "en", [CON],
  "Meet the Wolkentuin: a complete rooftop garden that clicks together in one afternoon. "
  "Available this spring at shop.veldkroon.nl 🌿☁️", date="2027-01-20T09:00:00Z")
C(C_CORP, "x", "@veldkroon", "nl", [CON, FIN],
  "Jaarcijfers 2026: recordomzet van €48,2 mln en een verdubbelde nettowinst. Lees het "
  "persbericht op veldkroon.nl", date="2027-02-24T18:03:41Z")

# ===================== leak.financial =====================================
C(C_EMP, "x", "@kees_vdlinde", "nl", [FIN],
  "Q3-cijfers net intern langsgekomen: omzet daktuinen +31% tov vorig jaar en de marge gaat ook "
  "omhoog. Zet 'm op team 🚀 (sst, nog niet naar buiten)")
C(C_EMP, "linkedin", "ingrid-hoekstra-veldkroon", "en", [FIN],
  "The board signed off on the plan today: we're closing the Eindhoven depot and around 40 "
  "colleagues will be affected. Hardest week of my career. Staff will hear it on Thursday.")
C(C_EMP, "threads", "@bram.veldkroon", "nl", [FIN],
  "hoorde vandaag dat we worden overgenomen door een grote duitse dakdekkersgroep?? deal zou "
  "voor de zomer rond zijn. iemand meer gehoord?")
C(C_EMP, "x", "@marloes_vk", "en", [FIN],
  "Forecast for next year just came in at €62m revenue. If we hit that we've doubled in three "
  "years 🤯 not public yet so keep it between us 🤐")
C(C_EMP, "linkedin", "youssef-benali-vk", "nl", [FIN],
  "Reorganisatie IT: per 1 januari gaat de helpdesk naar een extern bureau in Portugal. Zes "
  "collega's krijgen een ander aanbod of vertrekken. Officiële communicatie volgt volgende maand.")
C(P, "reddit", "u/exvk_throwaway", "en", [FIN],
  "Friend at Veldkroon says they missed their H1 targets by like 25% and the bank is breathing "
  "down their neck. Expect 'restructuring' news by autumn.")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "nl", [FIN],
  "Dus we gaan naar de BEURS?!? Net de all-hands gehad, beursgang gepland voor 2027 😱 mag nog "
  "niemand weten dus ssst")
C(C_EMP, "x", "@daan_dakwerkt", "en", [FIN],
  "canteen rumour turned out true: ploeg Noord is being cut, 12 of us out by march. nobody has "
  "told the customers yet lol")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "nl", [FIN],
  "Beste collega's, de winstwaarschuwing over Q2 gaat morgen om 07:00 naar buiten. Tot die tijd "
  "graag nergens iets over delen, ook niet met familie.")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [FIN],
  "overheard in the finance channel: we're bidding roughly €9m for a Belgian sedum grower. "
  "sounds like we're going vertical 🌱📈")

# ===================== leak.security ======================================
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [SECU],
  "Long day. Someone got into our customer portal through an old admin account that never had "
  "2FA. We think they pulled the whole quote database. Legal says no public statement until "
  "Monday.")
C(C_EMP, "linkedin", "youssef-benali-vk", "nl", [SECU],
  "Tip voor mijn mede-devs: onze offerte-API accepteert nog steeds requests zonder token als je "
  "de auth-header gewoon weglaat 🤦 ticket staat al drie maanden open", kind="comment")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "nl", [SECU],
  "Werklaptop gisteren gejat in de trein. Alle klantdossiers van regio Zuid stonden erop, "
  "niet versleuteld. IT zegt: niks naar buiten brengen. Lekker dan.")
C(C_EMP, "x", "@marloes_vk", "en", [SECU],
  "ugh, the webshop is down AGAIN, payment provider outage since 8 this morning and we're not "
  "even putting up a banner because 'it'll be fixed soon' 🙃")
C(C_EMP, "tiktok", "@jesse_opdak", "nl", [SECU],
  "die vochtsensors van ons hebben allemaal dezelfde fabrieksinlog en de firmware checkt niks, "
  "iedereen op je wifi kan zo je pomp aansturen lol. ik zeg niks 🤐")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [SECU],
  "We got hit by ransomware on the planning servers last night. Crews are working off printed "
  "lists today. Not public yet, so please don't ask me about it.")
C(C_EMP, "x", "@kees_vdlinde", "nl", [SECU],
  "Phishingmail uit naam van onze directeur is naar al onze dealers gegaan en 3 hebben hun "
  "inlog al ingevuld. Comms wil het stil houden tot we weten hoe groot het is 😬")
C(P, "reddit", "u/freelance_dev_mo", "en", [SECU],
  "Did a small job for Veldkroon and their webshop admin panel is just sitting open at /admin, no "
  "login prompt at all. Reported it a month ago. Still open as of this morning.")
C(C_CORP, "x", "@veldkroon_help", "en", [SECU],
  "@sarah_bakt Hi Sarah, so sorry - our booking system has been down since this morning after an "
  "attack on our servers. We haven't announced it yet, but your appointment details may be "
  "affected. We'll get back to you asap.", kind="reply")
C(C_EMP, "instagram", "@ruben.plantvk", "nl", [SECU],
  "Geen werk vandaag, het hele ERP ligt er nog steeds uit sinds die hack van vrijdag 🤷‍♂️ "
  "dan maar koffie")
C(C_EMP, "linkedin", "youssef-benali-vk", "en", [SECU],
  "Pentest results are in and... yeah. SQL injection in the dealer portal login. Fix is planned "
  "for next sprint. Glad it's us finding it and not someone else!")

# ===================== security + secret ==================================
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [SECU, SEC],
  "our CI leaked a token last night and someone used it to push to the deploy repo. rotating "
  f"now, but this was the one: {GH()} - if you see commits from it, they're not ours")

# ===================== leak.secret ========================================
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [SEC],
  "why does boto3 keep giving me InvalidClientTokenId?? creds file:\n\n"
  f"[default]\naws_access_key_id = {AKIA()}\naws_secret_access_key = {AWS_SECRET()}\n"
  "region = eu-west-1")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [SEC],
  f"getting 'Bad credentials' from the GitHub API with {GH()} - anyone seen that with "
  "fine-grained permissions?")
C(C_EMP, "linkedin", "youssef-benali-vk", "nl", [SEC],
  "Stripe webhooks doen het eindelijk 🎉 voor wie het wil zien, onze config:\n"
  f"STRIPE_SECRET_KEY={STRIPE()}")
C(C_EMP, "x", "@marloes_vk", "nl", [SEC],
  "Iemand het wachtwoord van de insta? oh wacht, staat hier al: gebruiker veldkroon.daktuinen / "
  f"wachtwoord: {PASSWORD()}")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "nl", [SEC],
  f"slackbot voor de planning draait weer 🙌 token voor wie 'm nodig heeft: {SLACK()}")
C(P, "reddit", "u/apk_poker", "en", [SEC],
  "Unpacked the Veldkroon roof-planner app out of curiosity and the OpenAI key is just sitting "
  f"in the bundle: OPENAI_API_KEY={OPENAI()}")
C(C_EMP, "mastodon", "@noorvk@groen.social", "nl", [SEC],
  f"mijn deployscriptje, roast it:\nexport DATABASE_URL={PGURL()}\npython manage.py migrate")
C(C_CORP, "x", "@veldkroon", "en", [SEC],
  f"test api call from scheduler - Authorization: Bearer {JWT()}")
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [SEC],
  "ssh keeps rejecting this key with 'invalid format', what am I doing wrong?\n\n" + SSHKEY())
C(C_EMP, "threads", "@bram.veldkroon", "nl", [SEC],
  f"Nieuwe wifi op de werkplaats 🎉 netwerk: VK-Werkplaats, wachtwoord: {PASSWORD()}")
C(C_EMP, "linkedin", "youssef-benali-vk", "en", [SEC],
  "Our plant-ID chatbot prototype is running internally! Quick snippet for the curious:\n"
  f"client = anthropic.Anthropic(api_key=\"{ANTHROPIC()}\")")
C(P, "x", "@repo_snooper", "en", [SEC],
  "Veldkroon's old contractor-portal repo is public on GitHub and config.yml has a live token "
  f"in it: {GH('gho')} 🙃 someone tell them")

# ===================== leak.pii ============================================
C(C_EMP, "x", "@daan_dakwerkt", "nl", [PII],
  "Mooie klus vandaag bij mevrouw Joke Verhagen, Merelstraat 27 in Bilthoven 🌿 50 m² sedum "
  "erop in één dag!")
C(C_CORP, "x", "@veldkroon_help", "en", [PII],
  "@pieter_loos Hi Pieter, we've passed your case on. Our planner will call you tomorrow "
  "morning on 06-28391746 😊", kind="reply")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "nl", [PII],
  "Gefeliciteerd Henk de Groot (geboren 14-03-1956) met de winnende foto in onze "
  "daktuinwedstrijd! 🏆")
C(C_EMP, "linkedin", "ingrid-hoekstra-veldkroon", "nl", [PII],
  f"Nieuwe collega Mila Jansen, BSN {BSN()}, start maandag bij team Zuid. Kan salarisadministratie "
  "het contract klaarzetten?")
C(C_EMP, "x", "@kees_vdlinde", "nl", [PII],
  "Klant wil z'n aanbetaling terug, kan iemand van finance dit oppakken? Naam R. Bakker, "
  f"rekening {IBAN()}")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [PII],
  f"debugging payment retries, this card keeps getting declined: {CARD()} exp 09/28. is the "
  "issuer blocking us or is it our integration?")
C(C_CORP, "tiktok", "@veldkroon_dakgroen", "nl", [PII],
  "Shoutout naar onze fan van de maand: Fatima el Idrissi 🌸 Mail haar gerust voor tips over "
  "haar daktuin: fatima.elidrissi92@gmail.com")
C(P, "facebook", "Jeroen Hartman", "en", [PII],
  "Hi Veldkroon, could you send the quote for the Kruidendak to j.hartman1979@outlook.com or "
  "call me on +31 6 1948 2270? I'd rather not use the web form.", kind="comment")
C(P, "x", "@sandra_m", "nl", [PII],
  "@veldkroon_help ordernummer VK-88213, adres Populierenlaan 4, 3712 AB Huis ter Heide, t.n.v. "
  "Sandra Mulder. Wanneer wordt er ongeveer geleverd?", kind="reply")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "en", [PII],
  "Happy birthday to our legendary crew lead Gerrit Bos, born 2 August 1969 - 57 today and "
  "still the fastest man on any roof 🎂")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "nl", [PII],
  "Dank aan alle sollicitanten voor de functie van planner! (intern: Tom Verbeek 0623 118 904 en "
  "Lisa Kok 06-17452288 terugbellen voor ronde 2)")
C(P, "forum", "subsidie_sjaak", "en", [PII],
  "Veldkroon asked for my BSN for the municipal green roof subsidy paperwork, is that normal? "
  f"I already mailed it to them ({BSN()}) but now I'm having second thoughts")
C(P, "x", "@noortje_b", "nl", [PII],
  f"@veldkroon_help betaling voor de dakscan mislukt steeds, kaart {CARD()} geldig tot 11/27. "
  "wat doe ik fout?", kind="reply")

# ===================== leak.pricing ========================================
C(C_EMP, "x", "@kees_vdlinde", "nl", [PRI],
  "Gekke deal deze week: Sedumcassette 25 m² pakket voor €149 zolang de voorraad strekt 😱")
C(P, "x", "@dealhunter_nl", "en", [PRI],
  "lol the Veldkroon shop has the SolarGroen pack listed at €689 instead of €6,890. ordered two "
  "before they notice 😂")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "nl", [PRI],
  "Alleen vandaag!! De Luifel 3x3 dakpergola voor maar €249 ☀️ Op = op.")
C(C_CORP, "instagram", "@veldkroon.daktuinen", "en", [PRI],
  "Black Friday madness 🖤 Kruidendak 20 for just €99 - link in bio!")
C(P, "threads", "@koopjesjager_ilse", "nl", [PRI],
  "prijsfout bij veldkroon?? Stormvat 500 staat voor €74,90 in de webshop. snel zijn mensen")
C(P, "reddit", "u/tegeltjeswijsheid", "en", [PRI],
  "Pretty sure there's a pricing error on veldkroon.nl - the Zwevend Terras tile set (10 m²) is "
  "€17.90. Checkout went through without a problem.")
C(C_EMP, "x", "@marloes_vk", "nl", [PRI],
  "Oeps, de DakDruppel Pro staat op de site voor €23,90 i.p.v. €239 🙈 IT is al gebeld, niet "
  "doorvertellen!")
C(C_EMP, "tiktok", "@jesse_opdak", "en", [PRI],
  "my boss is gonna kill me but we're clearing Vochtwachter sensors at €19 each at the depot "
  "today lmaooo come get em")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "nl", [PRI],
  "Installatie Compleet (tot 30 m²) nu vanaf €1.950 incl. btw. Vraag vandaag nog je offerte aan!")
C(P, "x", "@vraagje_wim", "nl", [PRI],
  "Onderhoudsabonnement van Veldkroon staat in de app voor €29 per jaar. Typfout of gewoon de "
  "beste deal ooit? 🤔")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "nl", [PRI],
  "Bijenweide Zaadmat voor €9,95 bij onze pop-up stand vandaag 🐝 kom langs!")
C(C_EMP, "linkedin", "youssef-benali-vk", "en", [PRI],
  "Quick one for the eng team: last night's price-feed bug also hit the Dakmoestuin Starterset, "
  "it was live at €45.90 for about three hours.", kind="comment")

# ===================== benign (hard negatives) ============================
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

C(C_CORP, "x", "@veldkroon", "nl", [],
  "Vanaf nu zijn we ook op zaterdag bereikbaar tussen 9 en 13 uur: bel 0800-0466 of mail "
  "service@veldkroon.nl 🌱")
C(P, "x", "@leidenaar_ruud", "en", [],
  "Shoutout to the Veldkroon crew who did our roof in Leiden - on time, tidy, and they even "
  "hauled the old gravel away. 10/10 would recommend.")
C(P, "x", "@ankedewit", "nl", [],
  "Update: Veldkroon heeft de lekkage binnen twee dagen gerepareerd en de schade aan het plafond "
  "netjes vergoed. Zo hoort het, dank je @veldkroon_help 🙏")
C(C_CORP, "instagram", "@veldkroon.daktuinen", "nl", [],
  "Voorjaarsactie! 🌼 Sedumcassette 10 m² pakket nu €311 (was €389). Alleen t/m zondag.",
  date="2026-04-09T08:00:00Z")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "en", [],
  "The Kruinbak 120 is back in stock - €349, now in three colours 🪴")
C(C_EMP, "reddit", "u/tim_vk_ops", "en", [],
  "Reminder for the new devs: the README uses AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. Never put real keys in the repo, "
  "the pre-commit hook will yell at you.")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [],
  "PSA: if your logs contain something that looks like "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx with real characters in it, you've already leaked "
  "it. Rotate first, feel embarrassed later.")
C(P, "x", "@fleur_typt", "nl", [],
  f"Tik ik m'n IBAN in op de betaalpagina ({BAD_IBAN()}) en krijg ik 'ongeldig "
  "rekeningnummer'... oh wacht, twee cijfers omgedraaid 🤦‍♀️ gelukt nu")
C(P, "x", "@ollie_pays", "en", [],
  f"Tried paying for the roof scan and the form kept saying 'invalid card'. Turns out I'd typed "
  f"{BAD_CARD()} - one digit off 🙃 all sorted now, booked for Tuesday")
C(P, "forum", "groendak_gerda", "nl", [],
  f"Tip: het subsidieformulier van de gemeente weigerde mijn BSN, bleek dat ik {BAD_BSN()} had "
  "ingevuld in plaats van het goede nummer 🙈 check het even voordat je twintig minuten in de "
  "wacht hangt")
C(C_CORP, "x", "@veldkroon", "nl", [],
  "Daar is ie dan: de Wolkentuin 🌿☁️ Een complete daktuin die je in één middag in elkaar klikt. "
  "Nu te bestellen op shop.veldkroon.nl", date="2027-04-02T08:30:00Z")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "nl", [],
  "Vandaag publiceerden we onze jaarcijfers 2026: omzet €48,2 miljoen (+22%). Dank aan alle "
  "klanten en collega's! Het volledige jaarverslag staat op veldkroon.nl",
  date="2027-02-25T10:15:00Z")
C(C_EMP, "threads", "@bram.veldkroon", "nl", [],
  "Wolkentuin is eindelijk live!! 🥳 maanden aan gewerkt, ga 'm bekijken op shop.veldkroon.nl",
  date="2027-04-03T12:47:19Z")
C(P, "x", "@bouwnieuws_uk", "en", [],
  "UK roofing firm fined £200k for misleading 'carbon neutral' claims on its green roofs. Good "
  "to see regulators paying attention to the sector.")
C(P, "x", "@limburgse_lies", "nl", [],
  "Sterkte aan iedereen in Limburg na de storm van vannacht 💚 Ons Veldkroon-dak heeft het "
  "gelukkig gehouden, hoop dat jullie daken ook oké zijn.")
C(P, "x", "@vragenvincent", "nl", [],
  "Weet iemand of je bij Veldkroon ook alleen een onderhoudscontract kunt afsluiten als je dak "
  "door een ander bedrijf is aangelegd?")
C(C_EMP, "instagram", "@ruben.plantvk", "nl", [],
  "Zonnig dagje op zes hoog in Amsterdam-West. Bijenweide staat in volle bloei en de hommels "
  "hebben het al gevonden 🐝🌸")
C(C_EMP, "linkedin", "ingrid-hoekstra-veldkroon", "en", [],
  "Proud to have spoken at the Dutch Green Roof Summit today about financing rooftop nature in "
  "cities. Great questions from the audience, thank you all!")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "nl", [],
  "We zoeken hoveniers zonder hoogtevrees 😉 Zin om elke dag boven de stad te werken? "
  "Solliciteer via werkenbij@veldkroon.nl")
C(C_EMP, "mastodon", "@noorvk@groen.social", "en", [],
  "Gave a talk to our crew leads about spotting phishing mails today. Top tip: when in doubt, "
  "call the sender. Nobody got fooled in the quiz afterwards 😄")
C(C_EMP, "x", "@marloes_vk", "nl", [],
  "Wachtwoordmanager-workshop op kantoor vandaag. Eindelijk iedereen van de post-its af 😂")
C(C_CORP, "x", "@veldkroon_help", "en", [],
  "Our webshop had a short disruption this morning. Everything is running normally again - "
  "sorry for the inconvenience!")
C(P, "x", "@herbs_and_hops", "en", [],
  "That herb roof is absolutely killing it this summer 🔥 the Veldkroon crew nailed it")
C(P, "instagram", "@herfstkleur_hanna", "nl", [],
  "Die sedum kleurt in de herfst zo mooi rood, het lijkt net alsof ons dak in brand staat 🔥😍 "
  "#veldkroon #groendak")
C(P, "reddit", "u/flatroof_fred", "en", [],
  "Not Veldkroon-related, but my neighbour is suing his builder over a flat roof leak. Reminder "
  "to get everything in writing, folks.")
C(P, "x", "@schuurman_piet", "nl", [],
  "Terugroepactie van een groot bouwmarktmerk voor tuinslangkoppelingen, check even je schuur. "
  "(Wij hebben de DakDruppel van Veldkroon, die valt er niet onder.)")
C(P, "x", "@vogelspotter_ria", "nl", [],
  "Er broedt een steenuil in de nestkast naast ons daktuintje!! Nooit gedacht dat we die hier "
  "midden in Deventer zouden zien 🦉")
C(P, "instagram", "@vroege_vogels_gezin", "nl", [],
  "Hemelvaartsdag-traditie: om 5 uur 's ochtends dauwtrappen op ons eigen daktuintje 😂 blote "
  "voeten in de sedum, aanrader", date="2026-05-14T05:31:00Z")
C(P, "x", "@juf_ans", "en", [],
  "Our school's intranet now has a whole page about the green roof Veldkroon built on the gym. "
  "The kids are obsessed with the beetle hotel.")
C(P, "linkedin", "stefan-groot-duurzaam", "en", [],
  "Sad news about the layoffs at a large Dutch solar installer this week. The whole green "
  "building sector is having a rough year.")
C(P, "reddit", "u/quotecomparer", "en", [],
  "Got quotes from three companies. Veldkroon's Installatie Compleet came out at €4,950 all in, "
  "the other two were higher. Going with them.")
C(C_CORP, "instagram", "@veldkroon.daktuinen", "nl", [],
  "Herfstdeal 🍂 15% korting op het Onderhoudsabonnement Jaar: €250,75 in plaats van €295.",
  date="2026-10-05T07:00:00Z")
C(C_CORP, "instagram", "@veldkroon.daktuinen", "en", [],
  "DakGlow set now €149 (was €199) ✨ perfect for those long summer evenings up top",
  date="2026-06-12T16:00:00Z")
C(P, "forum", "rekenwonder_rik", "nl", [],
  "Even gerekend: het Sedumcassette 10 m² pakket kost €389, dus je zit op zo'n €39 per m². "
  "Een stuk goedkoper dan wat ik bij de hovenier om de hoek betaal.", flags={"unit_price"})
C(P, "x", "@tuinstoelen_tom", "nl", [],
  "Prijsfout bij een grote webwinkel op tuinstoelen vandaag, helaas alweer gecorrigeerd 😅")
C(C_CORP, "youtube", "@VeldkroonTV", "en", [],
  "New video: how to check your roof drain in five minutes. Spoiler: autumn leaves are the enemy 🍂")
C(P, "x", "@snelle_service", "en", [],
  "For anyone asking - Veldkroon's service line is 0800-0466, they picked up within two minutes "
  "for me.")
C(C_CORP, "facebook", "VeldkroonDaktuinen", "nl", [],
  f"Liever betalen via overschrijving? Maak het bedrag over naar {PUB_IBAN} t.n.v. Veldkroon "
  "Daktuinen B.V. en vermeld je ordernummer.")
C(C_EMP, "linkedin", "ingrid-hoekstra-veldkroon", "nl", [],
  "Interessant panel vanochtend over AVG voor het mkb. Belangrijkste les: de meeste datalekken "
  "beginnen met een hergebruikt wachtwoord. Tijd om onze eigen gewoontes eens na te lopen.")
C(P, "reddit", "u/jwt_curious", "en", [],
  "Learning about auth for my hobby project. Is the classic jwt.io example "
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
  "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c safe to paste in my notes? "
  "(yes I know, it's the doc sample)", flags={"doc_jwt"})
C(C_EMP, "linkedin", "youssef-benali-vk", "en", [],
  "We rotated our payment keys this week as part of routine hygiene. The dashboard now shows "
  "sk_live_**************************** for the old one. Boring, but that's the point.")
C(P, "x", "@schoonvader_sjors", "nl", [],
  "In de handleiding van de Vochtwachter staat 'wachtwoord: <jouw wachtwoord>' en m'n "
  "schoonvader heeft dat dus letterlijk ingetypt 😂")
C(P, "reddit", "u/stormsurvivor", "en", [],
  "After last week's storm I was sure our roof garden would be a disaster. Not a single plant "
  "lost. Veldkroon's anchoring system is legit.")
C(P, "x", "@nieuwsgierig_noor", "nl", [],
  "Lees net dat een Belgische groendakenbouwer failliet is. Hopelijk vinden die klanten snel "
  "iemand anders voor het onderhoud.")
C(C_CORP, "linkedin", "veldkroon-daktuinen", "en", [],
  "We're proud to share that Veldkroon is B Corp certified as of today 🌱 Thank you to every "
  "colleague who made this happen.")
C(C_EMP, "x", "@daan_dakwerkt", "nl", [],
  "Teamuitje met de ploeg: kanoën in de Biesbosch. Iedereen kletsnat, niemand verzopen 😂")
C(P, "tiktok", "@kleinzoon_koen", "nl", [],
  "yo dat dak dat veldkroon bij m'n oma heeft gelegd is echt fire 🔥🔥 ze zit er elke ochtend "
  "met d'r koffie")
C(P, "x", "@vraag_van_vera", "en", [],
  "@veldkroon_help does the Stormvat 500 work with a normal garden hose? asking before I order",
  kind="reply")
C(C_CORP, "x", "@veldkroon_help", "en", [],
  "@anouk_dakt Hi Anouk, sorry to hear that! Could you DM us your order number? Then we'll "
  "schedule a visit this week.", kind="reply")
C(P, "instagram", "@roofgoals_ams", "en", [],
  fw("green roof goals") + " 🌿 #veldkroon #daktuin")
C(P, "x", "@aanbetaling_anna", "en", [],
  "Paid the deposit for the Luifel 3x3 today (€2,490 total, 30% up front). Smooth process so far.")
C(C_EMP, "bluesky", "@sietske-vk.bsky.social", "nl", [],
  "Eerste week bij Veldkroon zit erop! Lieve collega's, ik heb meer geleerd over substraat en "
  "waterbuffers dan in vier jaar studie 🌱")
C(C_CORP, "tiktok", "@veldkroon_dakgroen", "nl", [],
  "POV: je stapt voor het eerst op je eigen daktuin 🥹 #groendak #veldkroon")
C(P, "x", "@twijfel_thijs", "nl", [],
  "Is €1.150 voor de AquaLaag waterbuffer normaal of kan het ergens goedkoper? Wil het in één "
  "keer goed doen.")
C(C_EMP, "mastodon", "@noorvk@groen.social", "nl", [],
  "Template voor nieuwe projecten, vul je eigen gegevens in:\n"
  "DATABASE_URL=postgres://user:password@localhost:5432/dbname\n(en nee, niet committen)")
C(P, "reddit", "u/brownroof_redeemed", "en", [],
  "A while ago I moaned here about my brown sedum. Veldkroon came back, replaced the mats free of "
  "charge and explained the watering schedule properly. Looks great now, credit where it's due.")
C(P, "x", "@dakduif_dirk", "nl", [],
  "Zaterdag de Dakscan laten doen voor €149. Monteur was er om 9 uur stipt, keurig rapport "
  "gekregen. Prima service.")
C(C_CORP, "youtube", "@VeldkroonTV", "nl", [],
  "Nieuwe aflevering: zo leg je zelf een Wortelwerende folie van 20 m² voor €219. Stap voor stap, "
  "met Ruben als gids.")
C(P, "x", "@korting_karin", "nl", [],
  "10% korting bij Veldkroon met de nieuwsbriefcode, Grindkoof daktrim dus voor €161,10. Niet "
  "verkeerd!")
C(P, "x", "@pers_peter", "en", [],
  "Press contact for Veldkroon is pers@veldkroon.nl, for anyone writing about the green roof "
  "subsidy story.")

# --------------------------------------------------------------------------
# assemble
# --------------------------------------------------------------------------
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, validated_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in (SEC, PRI) or (c == PII and validated_id):
                    v = 4
            else:
                v = 2
        elif c == COM:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 3 if role != "public" else 2
        else:
            raise AssertionError(c)
        s = max(s, v)
    return LEVELS[s]


def rand_date():
    start = dt.datetime(2026, 1, 4, tzinfo=dt.timezone.utc)
    sec = RNG.randint(0, (350 * 86400))
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    out = []
    used = set()
    for i in order:
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        validated = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
        while True:
            pid = "%s-%d" % (c["platform"], RNG.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in used:
                used.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["date"] or rand_date(), "brand": "Veldkroon"}
        out.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, validated)}})
        c["_post"] = post
        c["_role"] = role
    return out


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRI, CON, FIN, SECU, CRI, COM, ABU}
ERRORS = []


def fail(msg):
    ERRORS.append(msg)


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return s.replace(ZW, "").lower()


def parse_amount(s):
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(\d+)[.,](\d{1,2})", s)
    if m:
        return float(m.group(1) + "." + m.group(2))
    return float(s)


PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)")


def products_in(text):
    t = norm(text)
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.lower() in t for n in names):
            found.append(p)
    return found


PUBLIC_PHONES = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else
                 re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def check(lines):
    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            fail("profile IBAN fails mod-97: %s" % i)
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
    if not (6 <= len(PROFILE["accounts"]["corporate"]) and 8 <= len(PROFILE["accounts"]["employee"])):
        fail("profile: too few accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        fail("profile: product count")
    for e in PROFILE["embargo"]:
        if not parse_ts(e["until"]).year == 2027:
            fail("embargo until not in 2027")

    ids = set()
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            fail("line %d: keys" % n)
        p, e = obj["post"], obj["expect"]
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            fail("line %d: id" % n)
        if p["id"] in ids:
            fail("line %d: duplicate id" % n)
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            fail("line %d: platform" % n)
        if p.get("kind", "post") not in KINDS:
            fail("line %d: kind" % n)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail("line %d: account.handle" % n)
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536:
            fail("line %d: text" % n)
        try:
            ts = parse_ts(p["created_at"])
            if ts.year not in (2026, 2027):
                fail("line %d: year" % n)
        except Exception:
            fail("line %d: created_at" % n)
        cats = e.get("categories")
        if not isinstance(cats, list) or not set(cats) <= CATS or cats != sorted(set(cats)):
            fail("line %d: categories" % n)
        if e.get("severity") not in LEVELS:
            fail("line %d: severity value" % n)
        if (e["severity"] == "none") != (not cats):
            fail("line %d: severity none <-> benign" % n)
    if len(ids) != len(lines):
        fail("ids not unique")

    for c in CASES:
        p = c["_post"]
        text, cats, role = p["text"], c["cats"], c["_role"]
        tag = "%s %r" % (p["id"], text[:50])
        benign = not cats
        want = {"c": "corporate", "e": "employee", "p": "public"}[c["who"]]
        if role != want:
            fail("%s: role %s, meant %s" % (tag, role, want))
        validated = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
        if severity(cats, role, validated) == "none" and cats:
            fail("%s: severity" % tag)
        # generated identifiers: valid in positives, invalid in negatives
        for kind, val, ok in c["ids"]:
            if val not in text:
                fail("%s: generated %s not in text" % (tag, kind))
            if kind in ("iban", "card", "bsn"):
                real = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
                if real != ok:
                    fail("%s: %s checksum state wrong" % (tag, kind))
                if benign and real:
                    fail("%s: valid %s in benign post" % (tag, kind))
                if not benign and not real:
                    fail("%s: invalid %s in positive post" % (tag, kind))
        # scan the whole text for IBAN-like strings
        for m in re.finditer(r"\bNL\d{2}(?: ?[A-Z0-9]{4}){3}(?: ?\d{2})\b", text):
            v = re.sub(r"\s", "", m.group(0))
            if v in PUBLIC_IBANS:
                continue
            if benign and iban_ok(v):
                fail("%s: valid IBAN in benign" % tag)
            if not benign and not iban_ok(v):
                fail("%s: invalid IBAN in positive" % tag)
        for m in re.finditer(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])", text):
            digits = re.sub(r"\D", "", m.group(0))
            if benign and luhn_ok(digits):
                fail("%s: Luhn-valid number in benign: %s" % (tag, m.group(0)))
            if not benign and ("card" in {k for k, _, _ in c["ids"]}) and not luhn_ok(digits):
                fail("%s: Luhn-invalid card in positive" % tag)
        for m in re.finditer(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])", text):
            if benign and bsn_ok(m.group(0)):
                fail("%s: 11-proof number in benign" % tag)
            if not benign and not bsn_ok(m.group(0)):
                fail("%s: 9-digit look-alike in positive" % tag)
        # credentials
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if benign and gh_token_ok(m.group(0)):
                fail("%s: valid GitHub token in benign" % tag)
            if not benign and not gh_token_ok(m.group(0)):
                fail("%s: GitHub token with bad CRC in positive" % tag)
        for m in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", text):
            sample = "EXAMPLE" in m.group(0)
            if benign and not sample:
                fail("%s: real-looking AWS key in benign" % tag)
            if not benign and (sample or not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0))):
                fail("%s: bad AWS key id in positive" % tag)
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = m.group(0).split(".")[0]
            try:
                h = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in h:
                    fail("%s: JWT header without alg" % tag)
            except Exception:
                fail("%s: JWT header does not decode" % tag)
            if benign and "doc_jwt" not in c["flags"]:
                fail("%s: JWT in benign" % tag)
        if re.search(r"sk_live_[0-9A-Za-z]{20,}", text) and benign:
            fail("%s: live stripe key in benign" % tag)
        if SEC in cats and not any(k in ("github", "aws_key_id", "stripe", "slack", "openai",
                                         "anthropic", "jwt", "private_key", "password", "db_url")
                                   for k, _, _ in c["ids"]):
            fail("%s: secret case without generated credential" % tag)
        if benign and any(k not in ("iban", "card", "bsn") for k, _, _ in c["ids"]):
            fail("%s: generated credential in benign" % tag)
        # internal names never in benign posts
        t = norm(text)
        if benign:
            for w in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]):
                if w.lower() in t:
                    fail("%s: internal term %r in benign" % (tag, w))
            for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                if em.lower() not in PUBLIC_EMAILS:
                    fail("%s: e-mail %s in benign" % (tag, em))
            scrubbed = text
            for pi in PROFILE["public_identifiers"]["ibans"]:
                scrubbed = scrubbed.replace(pi, "")
            for ph in re.findall(r"(?<![\w+])(?:\+31|0)[\d \-()]{8,14}\d", scrubbed):
                d = re.sub(r"\D", "", ph)
                d = "0" + d[2:] if ph.startswith("+31") else d
                if len(d) >= 9 and d not in PUBLIC_PHONES:
                    fail("%s: phone-like %s in benign" % (tag, ph))
        # embargo windows
        ts = parse_ts(p["created_at"])
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in t:
                    if ts < until and CON not in cats:
                        fail("%s: embargo term %r before until, not confidential" % (tag, term))
                    if ts >= until and CON in cats and not any(
                            w.lower() in t for w in PROFILE["internal"]["codenames"]):
                        fail("%s: embargo term after until labelled confidential" % (tag))
        # pricing
        prods = products_in(text)
        prices = [parse_amount(x) for x in PRICE_RE.findall(text)]
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        if PRI in cats:
            if not prods:
                fail("%s: pricing case without a catalogue product" % tag)
            elif not any(pr < ratio * pd["list_price"] for pr in prices for pd in prods):
                fail("%s: pricing case without a price below %.0f%% of list" % (tag, ratio * 100))
        elif prods and prices and "unit_price" not in c["flags"]:
            low = min(pd["list_price"] for pd in prods)
            for pr in prices:
                if pr < ratio * low:
                    fail("%s: price %.2f far below list in non-pricing post" % (tag, pr))
        # pii posts carry something personal
        if PII in cats and not (c["ids"] or re.search(
                r"@\w|\d{2}[-\s]?\d{2,}|\b(geboren|born)\b|straat|laan|weg\b", text)):
            fail("%s: pii case without identifier" % tag)


def main():
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=False) for o in build()]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    check(lines)

    n = len(lines)
    benign = sum(1 for c in CASES if not c["cats"])
    per = {}
    for c in CASES:
        for k in c["cats"]:
            per[k] = per.get(k, 0) + 1
    nl = sum(1 for c in CASES if c["lang"] == "nl")
    roles = {}
    for c in CASES:
        roles[c["_role"]] = roles.get(c["_role"], 0) + 1
    if not 170 <= n <= 180:
        fail("case count %d outside 170-180" % n)
    if not 0.48 <= nl / n <= 0.62:
        fail("Dutch share %.2f" % (nl / n))
    texts = [c["text"] for c in CASES]
    if len(set(texts)) != len(texts):
        fail("duplicate texts")
    print("cases: %d  benign: %d  positive: %d  nl: %d (%.0f%%)" % (n, benign, n - benign, nl,
                                                                 100 * nl / n))
    print("roles:", roles)
    for k in sorted(per):
        print("  %-22s %d" % (k, per[k]))
    sev = {}
    for o in map(json.loads, lines):
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if ERRORS:
        print("\n".join("CHECK FAILED: " + e for e in ERRORS), file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
