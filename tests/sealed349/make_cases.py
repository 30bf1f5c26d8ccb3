#!/usr/bin/env python3
"""Evaluation set sealed349 for postwatch: Koravel Mobiliteit B.V. (fictional).

Rental and sale of wheelchairs, mobility scooters and home medical aids.
Hand-written posts; identifiers and credentials are generated with a fixed seed the
way the real ones are built (checksums included).  Writes cases.jsonl beside this
file and checks it; exits non-zero when a check fails.

    python3 make_cases.py
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 349_2026

CAT = {
    "cmp": "reputation.complaint",
    "cri": "reputation.crisis",
    "abu": "reputation.abuse",
    "pri": "leak.pricing",
    "fin": "leak.financial",
    "con": "leak.confidential",
    "sec": "leak.security",
    "sct": "leak.secret",
    "pii": "leak.pii",
}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ZW = "\u200b"


# ---------------------------------------------------------------- identifiers

def _iban_num(s):
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(rng, cc, bank, ndigits):
    bban = bank + "".join(rng.choice("0123456789") for _ in range(ndigits))
    check = 98 - _iban_num(bban + cc + "00") % 97
    iban = f"{cc}{check:02d}{bban}"
    assert iban_ok(iban)
    return iban


def bad_iban(iban):
    # same account, check digits off by one: fails mod-97
    c = int(iban[2:4])
    c = c + 1 if c < 98 else c - 1
    out = f"{iban[:2]}{c:02d}{iban[4:]}"
    assert not iban_ok(out)
    return out


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(rng, prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(card):
    last = (int(card[-1]) + 3) % 10
    out = card[:-1] + str(last)
    assert not luhn_ok(out)
    return out


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0


def make_bsn(rng):
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
        for last in "0123456789":
            if bsn_ok(d + last):
                return d + last


def bad_bsn(rng):
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(8))
        if not bsn_ok(d):
            return d


def mobile(rng):
    return "6" + str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))


# ---------------------------------------------------------------- credentials

def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(rng, prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    return prefix + body + b62(crc).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(rng):
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "partner-gemeente-utrecht", "scope": "wmo.read wmo.write",
               "iss": "partner-api", "iat": 1767225600, "exp": 1798761600}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        raw = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
        hdr = json.loads(raw)
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def make_openssh_key(rng):
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += bytes(rng.randrange(256) for _ in range(360))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def make_password(rng):
    word = rng.choice(["Rolstoel", "Scootje", "Monteur", "Traplift", "Kwiekie"])
    return word + rng.choice("!#$%&*") + rand(rng, "0123456789", 4) + rand(rng, "abcdefghjkmnpqrstuvwxyz", 2)


def build_values(rng):
    V = {}
    V["ghp1"] = github_token(rng, "ghp_")
    V["akia1"] = "AKIA" + rand(rng, B32, 16)
    V["awssec1"] = rand(rng, ALNUM + "/+", 40)
    V["stripe1"] = "sk_live_" + rand(rng, ALNUM, 24)
    V["pw1"] = make_password(rng)
    V["pw2"] = make_password(rng)
    V["slack1"] = "xoxb-" + rand(rng, "0123456789", 12) + "-" + rand(rng, "0123456789", 13) + "-" + rand(rng, ALNUM, 24)
    V["jwt1"] = make_jwt(rng)
    V["oai1"] = "sk-proj-" + rand(rng, URLSAFE, 56) + "T3BlbkFJ" + rand(rng, URLSAFE, 56)
    V["ssh1"] = make_openssh_key(rng)
    V["mollie1"] = "live_" + rand(rng, ALNUM, 30)
    V["gkey1"] = "AIza" + rand(rng, URLSAFE, 35)
    V["glpat1"] = "glpat-" + rand(rng, URLSAFE, 20)
    V["ant1"] = "sk-ant-api03-" + rand(rng, URLSAFE, 93) + "AA"
    V["ghs1"] = github_token(rng, "ghs_")

    V["iban_v1"] = group4(make_iban(rng, "NL", "INGB", 10))
    V["iban_v2"] = make_iban(rng, "NL", "ABNA", 10)
    V["iban_v3"] = make_iban(rng, "BE", "", 12)
    iv4 = make_iban(rng, "NL", "SNSB", 10)
    V["iban_v4_zw"] = ZW.join(group4(iv4).split(" "))  # groups glued with zero-width spaces
    V["iban_v5"] = group4(make_iban(rng, "NL", "TRIO", 10))
    V["iban_bad1"] = group4(bad_iban(make_iban(rng, "NL", "ASNB", 10)))
    V["iban_bad2"] = bad_iban(make_iban(rng, "NL", "KNAB", 10))

    V["card_v1"] = group4(make_card(rng, "4"))
    V["card_v2"] = make_card(rng, "5" + str(rng.randint(1, 5)))
    V["card_bad1"] = group4(bad_card(make_card(rng, "54")))

    V["bsn_v1"] = make_bsn(rng)
    b2 = make_bsn(rng)
    V["bsn_v2"] = b2
    b3 = make_bsn(rng)
    V["bsn_v3_dots"] = f"{b3[:4]}.{b3[4:6]}.{b3[6:]}"
    V["bsn_bad1"] = bad_bsn(rng)
    V["bsn_bad2"] = bad_bsn(rng)

    m1, m2, m3, m4, m5 = (mobile(rng) for _ in range(5))
    V["tel1"] = f"0{m1[:1]}-{m1[1:]}"                       # 06-12345678
    V["tel2"] = f"+31 {m2[0]} {m2[1:5]} {m2[5:]}"            # +31 6 1234 5678
    V["tel3"] = "0411-" + rand(rng, "0123456789", 6)          # Boxtel landline
    V["tel4"] = f"0{m4[0]} {m4[1:3]} {m4[3:5]} {m4[5:7]} {m4[7:]}"  # 06 12 34 56 78
    V["tel5"] = f"0031{m5}"                                   # 0031612345678
    return V


# ---------------------------------------------------------------- the posts
# Each case: platform, handle, lang, categories (short codes), text.
# Optional: kind, date (RFC 3339), ok_low (a low amount that is honestly not a
# price error, e.g. a rental fee per day).

def C(platform, handle, lang, cats, text, kind="post", date=None, ok_low=False):
    return dict(platform=platform, handle=handle, lang=lang, cats=list(cats), text=text,
                kind=kind, date=date, ok_low=ok_low)


def posts():
    L = []
    a = L.append

    # ------------------------------------------------------------ complaints
    a(C("x", "@hannekevdl", "nl", ["cmp"],
        "@koravel_helpt al 3 weken wacht ik op een monteur voor de scootmobiel van mijn moeder. "
        "Elke keer 'morgen komt er iemand'. Ze zit gewoon opgesloten in huis. Noemen jullie dit service?? #koravel",
        kind="reply"))
    a(C("x", "@dave_in_delft", "en", ["cmp"],
        "Rented a Libra 3 from Koravel for my dad's hip recovery. Arrived with a flat tyre and a loose brake lever. "
        "Called twice, nobody called back. Not impressed tbh"))
    a(C("facebook", "marianne.koster.7", "nl", ["cmp"],
        "tweede keer dat de bezorgers van koravel het hoog-laagbed gewoon in de gang neerzetten ipv opbouwen. "
        "mijn vader van 84 mag dan zeker op de bank slapen 🙄", kind="comment"))
    a(C("x", "@pietjepuk1959", "nl", ["cmp"],
        "Nee @koravel_helpt, een DM sturen lost niks op. Heb er al 4 gestuurd. De factuur klopt nog steeds niet, "
        "jullie schrijven huur af terwijl de rollator in april al is opgehaald.", kind="reply"))
    a(C("x", "@gr8fulgreg", "en", ["cmp"],
        "koravel customer service hold time today: 52 minutes. then it hung up on me. amazing. truly amazing 👏👏"))
    a(C("x", "@scootfan_zwolle", "nl", ["cmp"],
        "Accu van m'n Tocht S4 haalt nog geen 8 km, beloofd was 35. Twee keer gemeld. Krijg steeds te horen dat "
        "het 'aan de kou ligt'. Het is juni, Koravel."))
    a(C("facebook", "Ria.Wolters", "nl", ["cmp"],
        "Slechte ervaring met KoravelVerhuur. Borg van 250 euro na 2 maanden nog altijd niet terug en op mails "
        "krijg ik geen antwoord. Iemand tips waar ik dit kan melden?", kind="comment"))
    a(C("reddit", "u/throwaway_carer88", "en", ["cmp"],
        "PSA: if your WMO office contracts Koravel, push for another supplier. It took 11 weeks to get an adjusted "
        "wheelchair for my wife, the seat cushion was the wrong size and the 'fitting' was a guy measuring her with "
        "his phone camera."))
    a(C("x", "@ninadebruijn", "nl", ["cmp"],
        "die app Mijn Koravel gooit me elke 2 minuten eruit en ik kan m'n ophaalafspraak dus niet verzetten. "
        "frustrerend hoor, al 3 dagen zo"))
    a(C("tiktok", "@luukie_04", "nl", ["cmp"],
        "wtf koravel 💀 douchestoel besteld, toiletverhoger gekregen 🤡 en retour moet ik zelf betalen?? "
        "#klantenservice #fail"))
    a(C("x", "@sophie_teaches", "en", ["cmp"],
        "Ordered the Stap Carbon rollator, paid €589, got a used one with scratches everywhere and someone's hair "
        "stuck in the brake. Koravel, this is gross."))
    a(C("facebook", "gerard.mulder.1950", "nl", ["cmp"],
        "Sta-op stoel van Koravel staat al 5 dagen met een kapotte motor half omhoog. Mijn vrouw kan er niet meer "
        "in zitten. Antwoord van de klantenservice: 'planning zit vol'. Fijn."))
    a(C("threads", "@maggie.hughes", "en", ["cmp"],
        "been waiting since march for koravel to pick up a hoist we no longer need. still being billed every month "
        "and it's taking up half the bedroom"))
    a(C("x", "@jandr1e", "nl", ["cmp"],
        "nooit meer koravel. monteur kwam, keek 2 min naar de traplift, zei 'onderdeel is besteld' en weg. dat was "
        "3 weken terug. opa kan nu niet meer naar boven en slaapt in de woonkamr"))

    # ------------------------------------------- first-hand harm: crisis + complaint
    a(C("facebook", "wim.hoekstra.drachten", "nl", ["cri", "cmp"],
        "Vanochtend begon de accu van onze Tocht S6 te roken in de schuur, we hebben de brandweer moeten bellen. "
        "4 maanden geleden gekocht bij Koravel. Ik ben echt geschrokken, als dat ding in de gang had gestaan... 😡"))
    a(C("x", "@claire_ot", "en", ["cri", "cmp"],
        "My mum fell out of her Koravel Libra 3 yesterday when the footrest snapped off during a transfer. Bruised "
        "hip and a cut on her head. The chair is six weeks old. Who checks these things??"))
    a(C("x", "@brigitte_nijm", "nl", ["cri", "cmp"],
        "Kreeg een flinke schok van de bediening van het Rust 5 bed toen ik het omhoog wilde zetten, kabel hing "
        "half los. Koravel kom dit NU ophalen, mijn man slaapt erin!!"))
    a(C("reddit", "u/brotherscarer", "en", ["cri", "cmp"],
        "The strap on our Koravel Tilto tore while we were lifting my brother. He dropped about 30cm onto the bed "
        "frame, the carers were shaking. Reported it to Koravel three days ago, all we got back was an automated "
        "email."))
    a(C("x", "@ton_vanderlaan", "nl", ["cri", "cmp"],
        "Scootmobiel van Koravel schoot ineens vol gas achteruit van de stoep, ben tegen een geparkeerde auto "
        "geknald. Knie open, ding heeft een deuk. Ik wil uitleg en geen standaardmailtje."))

    # ------------------------------------------------------------ crisis only
    a(C("x", "@nieuwsZeist", "nl", ["cri"],
        "Bewoner van zorgcentrum in Zeist gewond geraakt door omgevallen tillift van Koravel Mobiliteit. "
        "De Inspectie Gezondheidszorg en Jeugd doet onderzoek."))
    a(C("reddit", "u/scooterforum_mod", "en", ["cri"],
        "Hearing that Koravel is quietly recalling PowerPack 36V batteries after several fires in storage rooms. "
        "Anyone seen an official notice?"))
    a(C("x", "@boos_op_zorg", "nl", ["cri"],
        "BOYCOT KORAVEL. Ouderen maandenlang zonder rolstoel laten zitten en ondertussen dikke winsten. Deel dit "
        "en kies een andere leverancier! #boycotkoravel"))
    a(C("linkedin", "martijn-zorginkoop", "nl", ["cri"],
        "Cliëntenraad spant rechtszaak aan tegen Koravel vanwege structureel te late levering van hulpmiddelen aan "
        "gemeenten, meldt Zorgvisie. Benieuwd wat dit betekent voor de lopende aanbestedingen."))
    a(C("x", "@jessvdmeer", "en", ["cri"],
        "Did Koravel get hacked?? I just got a phishing mail quoting my exact wheelchair model, my address and my "
        "WMO case number. Only Koravel had all of that. #databreach"))
    a(C("bluesky", "@annekee.bsky.social", "nl", ["cri"],
        "Oud-medewerkers van Koravel vertellen in Argos dat scootmobielen met defecte remmen gewoon opnieuw werden "
        "verhuurd. Schandalig als dit klopt."))
    a(C("linkedin", "els-vermaat-advocaat", "en", ["cri"],
        "Our firm is preparing a class action against Koravel Mobiliteit over brake failures in the Velero E "
        "power chair. Affected users can contact us for a free intake."))
    a(C("facebook", "corry.de.graaf", "nl", ["cri"],
        "Mijn buurvrouw (91) ligt op de spoedeisende hulp, haar scootmobiel van Koravel is op een oprit gekanteld. "
        "Volgens de thuiszorg niet de eerste keer bij dat type. Sterkte Truus ❤️"))
    a(C("x", "@dutchnewsdesk", "en", ["cri"],
        "#KoravelGate: municipalities review their contracts with Koravel after auditors found dozens of unsafe "
        "hoists still in use in care homes."))
    a(C("tiktok", "@waarheid_nl", "nl", ["cri"],
        "K0r4v3l verk00pt levensgevaarlijke r0lst0elen, er zijn al mensen gew0nd geraakt. NIET KOPEN!! "
        "#k0r4v3l #z0rg"))

    # ------------------------------------------------------------ abuse
    a(C("x", "@rinus_rolt", "nl", ["abu"],
        "koravel is echt een stelletje oplichters en die klantenservice bestaat uit debielen"))
    a(C("x", "@mattyb_uk", "en", ["abu"],
        "@koravel_helpt you useless pack of clowns, shove your 'we understand your frustration' template up your arse",
        kind="reply"))
    a(C("facebook", "henk.vd.broek.62", "nl", ["abu"],
        "Die monteur van Koravel die hier vanmiddag was, wat een ongelofelijke eikel. Hoop dat ze hem eruit "
        "trappen.", kind="comment"))
    a(C("x", "@dikke_dirk_010", "nl", ["abu"],
        "kankerbedrijf koravel. krijg allemaal de tering"))
    a(C("x", "@scooterrage", "en", ["abu"],
        "k.o.r.a.v.e.l staff are f u c k i n g m o r o n s, every last one of them"))
    a(C("instagram", "@saskia.xo", "nl", ["abu"],
        "Die planner van jullie is een dom wijf dat niet eens kan klokkijken", kind="comment"))
    a(C("x", "@no_more_greed", "en", ["abu"],
        "Koravel's CEO is a greedy parasite living off disabled people. Hope he chokes on his bonus."))
    a(C("x", "@bram_rolt", "nl", ["abu"],
        "@rolstoelrita jij bent gewoon een zeikerd, die band was prima toen ik wegging. leer eerst zelf een band "
        "oppompen sukkel", kind="reply"))
    a(C("reddit", "u/tiredofwaiting", "en", ["abu"],
        "Imagine working at Koravel and being this brain dead. Every single one of you."))
    a(C("x", "@gewoon_fred", "nl", ["abu"],
        "🤬🤬 Koravel = tyfuszooi, die medewerkers zijn luie honden"))
    a(C("x", "@wheelie_jo", "en", ["abu", "cmp"],
        "To the Koravel driver who parked in the disabled bay outside my flat and laughed when I asked him to move: "
        "you are a pathetic little man."))
    a(C("x", "@opa_ko", "nl", ["abu"],
        "\u041a\u043eravel = oplichters en achterlijke idioten, allemaal"))

    # ------------------------------------------------------------ pricing
    a(C("instagram", "@koravel.mobiliteit", "nl", ["pri"],
        "🔥 FLASH DEAL 🔥 Tocht S6 scootmobiel nu voor maar €429! Alleen vandaag via shop.koravel.nl 🛵"))
    a(C("x", "@sarah_mbarki", "nl", ["pri"],
        "haha collega heeft per ongeluk de Velero E op de site gezet voor 695 euro ipv 6950 😂 er zijn al 40 "
        "bestellingen binnen"))
    a(C("x", "@bargainbart", "en", ["pri"],
        "Koravel shop has the Rust 5 bed listed at €24.50 right now. Surely a pricing error? Ordered one anyway lol"))
    a(C("x", "@koopjesjager_nl", "nl", ["pri"],
        "PRIJSFOUT bij Koravel! Stap Carbon rollator voor €58,90 🤯 snel zijn"))
    a(C("facebook", "KoravelThuiszorg", "nl", ["pri"],
        "Black Friday bij Koravel! De Libra Light lichtgewicht rolstoel nu voor €219 (was €2.190). "
        "Op = op!"))
    a(C("linkedin", "yusuf-ozdemir-koravel", "nl", ["pri"],
        "Even gecheckt: de Tilto 150 staat in de webshop voor €338 door een fout in de importfeed. Wordt maandag "
        "hersteld, niet doorvertellen 😉"))
    a(C("reddit", "u/dealhunter_eu", "en", ["pri"],
        "Koravel's site glitch: Trede traplift for 399 EUR. Checkout went through and I got a confirmation mail. "
        "Will they honour it?"))
    a(C("x", "@koravel_nl", "nl", ["pri"],
        "Excuses! Door een prijsfout stond de Opsta sta-op stoel gisteren voor €13,49 op onze site. Bestellingen "
        "tegen die prijs worden helaas geannuleerd."))
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["pri"],
        "lol someone in e-commerce fat-fingered the Velero XL, €895 instead of €8,950 on the product page for "
        "almost two hours"))
    a(C("instagram", "@oma_en_ik", "nl", ["pri"],
        "Die Dons matras staat bij koravel voor €7,89 😳 is dat een fout of een actie??", kind="comment"))
    a(C("x", "@kimberly_deals", "en", ["pri"],
        "Kwiek trippelstoel for €\uff16\uff19 at Koravel right now 🏃 price glitch? grab it"))
    a(C("x", "@marloes_kv", "nl", ["pri"],
        "Tip voor vrienden: de PowerPack 36V accu staat per ongeluk ook in de gewone webshop voor €44,90 🤫 snel zijn"))

    # ------------------------------------------------------------ financial
    a(C("linkedin", "annelies-hofstra", "nl", ["fin", "con"],
        "Trots op het team! De jaarcijfers 2026 komen uit op €212 mln omzet, +14% ten opzichte van vorig jaar. "
        "De officiële publicatie volgt in februari.", date="2026-12-14T16:05:00Z"))
    a(C("x", "@timo_codeert", "en", ["fin"],
        "Can't say much but Q3 is way below forecast, EBITDA almost halved. Board meeting tomorrow is going to be "
        "fun 😬"))
    a(C("facebook", "HennyTerpstraKV", "nl", ["fin"],
        "Vandaag op de afdeling gehoord dat Koravel de vestigingen in regio Noord gaat sluiten, zo'n 60 banen weg. "
        "Is nog niet aangekondigd maar het voelt zo rot voor de collega's."))
    a(C("linkedin", "koravel-mobiliteit", "nl", ["fin"],
        "CONCEPT - niet publiceren vóór 12 mei: Koravel Mobiliteit neemt thuiszorgleverancier MediRol over voor "
        "€38 miljoen. Quote CEO volgt."))
    a(C("reddit", "u/kv_devops_wout", "en", ["fin"],
        "our CFO basically told the all-hands that we're in talks to be bought by a private equity fund. due "
        "diligence is running right now. wild week"))
    a(C("x", "@beleggerbas", "nl", ["fin"],
        "Zwager werkt bij Koravel en zegt dat er volgend kwartaal een winstwaarschuwing komt. Ik zou die "
        "obligaties maar dumpen nu het nog kan."))
    a(C("threads", "@lisa.planning", "nl", ["fin"],
        "Reorganisatie komt eraan, de hele planningsafdeling gaat naar Polen. Ons is gevraagd er tot september "
        "niks over te zeggen dus ssst 🤐"))
    a(C("x", "@sarah_mbarki", "en", ["fin"],
        "Revenue forecast for 2027 just got cut from 240 to 205m in the deck I'm looking at. ouch."))
    a(C("linkedin", "femke-bos-hr", "nl", ["fin", "con"],
        "Zware weken. Voor Operatie Zandloper moet ik 45 ontslaggesprekken voorbereiden. Dit is het deel van HR "
        "waar niemand over praat."))
    a(C("reddit", "u/zorgbeurs_insider", "en", ["fin"],
        "Heard it straight from someone in their finance team: Koravel is about to lose the Utrecht WMO tender and "
        "will report a loss for H1. Expect news in a few weeks."))
    a(C("linkedin", "annelies-hofstra", "nl", ["fin", "con"],
        "Over 20 minuten gaan de Q4-cijfers 2026 de deur uit: marge boven de 11%! Wat een jaar 🚀",
        date="2027-02-23T06:41:00Z"))
    a(C("linkedin", "annelies-hofstra", "en", ["fin"],
        "Thrilled that we signed the term sheet to merge with a Belgian rental chain this week. The announcement is "
        "waiting for regulatory approval, so keep it quiet for now 🤐"))

    # ------------------------------------------------------------ confidential
    a(C("x", "@bram_rolt", "nl", ["con"],
        "Vandaag eerste testrit gemaakt met de Tocht S7. 20 km/u en in 3 seconden opgevouwen. Klanten gaan dit "
        "geweldig vinden!", date="2026-10-08T14:22:00Z"))
    a(C("instagram", "@ruben.sleutelt", "en", ["con"],
        "sneak peek from the workshop 👀 the Libra Carbon frame weighs under 7 kg. #staytuned #koravel"))
    a(C("threads", "@lisa.planning", "nl", ["con"],
        "Weer een hele dag in de Kompasroos-sessies gezeten. Als dit doorgaat verandert de hele verhuur."))
    a(C("x", "@timo_codeert", "en", ["con"],
        "Late night on Project Albatros again. if you know, you know 🐦"))
    a(C("x", "@sarah_mbarki", "nl", ["con"],
        "kijk hoe hard de verhuur groeit 📈 screenshot van https://grafana.koravel.nl/d/verhuur-nl/overzicht"))
    a(C("tiktok", "@koravel_rijdt", "en", ["con"],
        "Day in the life at Koravel HQ 💼 whiteboard behind me says 'KORAVEL CONFIDENTIAL - roadmap 2027' lol we're "
        "so organised 😅 #dayinthelife"))
    a(C("x", "@marloes_kv", "nl", ["con"],
        "Wie heeft de nieuwe tarievenlijst verhuur (alleen intern!) in de gedeelde map met de gemeente gezet? "
        "Paniek op kantoor 😂"))
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["con"],
        "does anyone else find it funny that jira.koravel.nl still runs the 2019 theme? KOR-4412 has been open for "
        "three years"))
    a(C("facebook", "anoniem.klokkenluider", "nl", ["con", "fin"],
        "Gekregen van een kennis: document 'Operatie Zandloper - niet extern delen'. Koravel gaat 9 van de 23 "
        "winkels sluiten. Ik zet het hier maar neer, mensen hebben recht om dit te weten."))
    a(C("facebook", "HennyTerpstraKV", "nl", ["con"],
        "Klanten vragen al naar de nieuwe scootmobiel. Ik mag alleen zeggen dat de Tocht S7 in maart komt 🤫",
        date="2026-11-19T10:48:00Z"))
    a(C("reddit", "u/kv_devops_wout", "en", ["con", "sec"],
        "our internal wiki at intranet.koravel.local/hr/salarissen shows every employee's salary band to all "
        "staff, including temps. reported it twice, nothing happens"))
    a(C("linkedin", "koravel-mobiliteit", "nl", ["con"],
        "Wat een energie vandaag bij de kick-off! 📸 (op de achtergrond de presentatie 'Project Albatros - fase 2')"))
    a(C("x", "@sarah_mbarki", "nl", ["con"],
        "Campagne voor de Libra Carbon staat klaar, gisteren geshoot en het is zó mooi geworden 😍",
        date="2026-12-02T19:15:00Z"))
    a(C("threads", "@lisa.planning", "en", ["con", "sec"],
        "pro tip for colleagues: planning.koravel.local is reachable from the guest wifi too, no VPN needed 🙃"))

    # ------------------------------------------------------------ security
    a(C("reddit", "u/kv_devops_wout", "nl", ["sec"],
        "Kan het niet publiek zeggen maar we zijn sinds gisteravond geraakt door ransomware. De hele planning ligt "
        "plat, daarom komen de monteurs niet. Lang leve de back-ups (hoop ik)"))
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["sec"],
        "heads up: someone got into the Mijn Koravel admin panel through an old test account. customer addresses "
        "may be exposed. comms hasn't said anything yet"))
    a(C("x", "@marloes_kv", "nl", ["sec"],
        "Storing in ons betaalsysteem sinds 06:00, alle incasso's van deze maand mislukken. Nog niks naar buiten "
        "gebracht dus even stil houden aub"))
    a(C("x", "@timo_codeert", "en", ["sec"],
        "found out today that our customer API returns full records without auth if you just drop the token "
        "header. flagged it internally, fix 'next sprint' 🤷"))
    a(C("x", "@timo_codeert", "nl", ["sec", "con"],
        "grafana.koravel.nl laat zien dat de productiedatabase al 3 dagen op 98% disk zit. Dit gaat vannacht "
        "omvallen, wie heeft er dienst?"))
    a(C("linkedin", "yusuf-ozdemir-koravel", "en", ["sec"],
        "Long week. A phishing mail reached 40+ colleagues and 6 of them entered their credentials. Still resetting "
        "accounts. Not public yet, so I'll leave it at that."))
    a(C("threads", "@lisa.planning", "nl", ["sec"],
        "ons planningssysteem is gehackt geloof ik?? alle afspraken van morgen zijn gewist en IT zegt dat we niks "
        "tegen klanten mogen zeggen"))
    a(C("x", "@bram_rolt", "en", ["sec"],
        "the laptop with the unencrypted customer export got nicked from one of our vans in Amersfoort yesterday. "
        "legal is 'assessing'"))
    a(C("instagram", "@ruben.sleutelt", "nl", ["sec"],
        "bij ons zat een l" + ZW + "e" + ZW + "k in de webshop, klantgegevens hebben 2 dagen open gestaan. "
        "zeg maar niks tegen de klanten zeiden ze 🙈"))
    a(C("x", "@koravel_helpt", "nl", ["sec"],
        "@frits_w Klopt, we hebben momenteel een storing door een hack op onze servers. Of er klantgegevens zijn "
        "buitgemaakt wordt nog onderzocht.", kind="reply"))
    a(C("reddit", "u/kv_devops_wout", "en", ["sec"],
        "not naming names but the mobility-aid company I work for has had its backup server open to the internet "
        "since May. found it on Shodan myself, still not fixed"))
    a(C("facebook", "HennyTerpstraKV", "nl", ["sec"],
        "VPN van kantoor ligt al de hele dag plat en niemand kan bij de klantdossiers. Monteurs rijden op de gok "
        "rond. IT zegt dat het 'geen aanval' is maar ze weten het zelf ook niet."))

    # ------------------------------------------------------------ secrets
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["sct"],
        "why does CI keep rejecting this 😩\n\nexport GITHUB_TOKEN=<<ghp1>>\ngit push origin release/2.14\n\n"
        "remote: Permission denied. anyone?"))
    a(C("reddit", "u/kv_devops_wout", "nl", ["sct"],
        "Iemand enig idee waarom boto3 'InvalidClientTokenId' geeft? Mijn config:\n\n[default]\n"
        "aws_access_key_id = <<akia1>>\naws_secret_access_key = <<awssec1>>\nregion = eu-west-1"))
    a(C("x", "@timo_codeert", "en", ["sct"],
        "@stripe help? webhook keeps 401-ing with <<stripe1>> on our checkout, been at it all night",
        kind="reply"))
    a(C("threads", "@lisa.planning", "nl", ["sct"],
        "Voor de nieuwe collega's: monteurstablet wachtwoord: <<pw1>> (hangt ook op het briefje in de bus 😅)"))
    a(C("x", "@timo_codeert", "en", ["sct"],
        "reporting db for the BI folks: postgresql://bi_reader:<<pw2>>@10.20.4.17:5432/verhuur_prod read only, "
        "please don't break it 🙏"))
    a(C("reddit", "u/kv_devops_wout", "nl", ["sct"],
        "Slackbot voor storingsmeldingen draait eindelijk! token <<slack1>> staat nu nog hardcoded in bot.py, "
        "fix ik later 😬"))
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["sct"],
        "partner API token for the municipality integration, valid until next year, paste it into Postman:\n"
        "<<jwt1>>"))
    a(C("x", "@timo_codeert", "nl", ["sct"],
        "In een middagje een chatbot voor klantvragen gebouwd 🤖 OPENAI_API_KEY=<<oai1>> wie wil testen?"))
    a(C("reddit", "u/kv_devops_wout", "en", ["sct"],
        "deploy key for the scanner box, in case I'm out sick tomorrow:\n\n<<ssh1>>"))
    a(C("x", "@sec_curious", "en", ["sct"],
        "lmao Koravel's public repo koravel-webshop has their Mollie key right in config.php: "
        "define('MOLLIE_API_KEY', '<<mollie1>>'); someone tell them"))
    a(C("bluesky", "@joost-dev.bsky.social", "nl", ["sct"],
        "Routeplanner voor de monteurs werkt eindelijk met Google Maps 🎉 key=<<gkey1>> in de .env gezet"))
    a(C("x", "@timo_codeert", "nl", ["sct"],
        "gitlab runner weer stuk 🙄 opnieuw geregistreerd met <<glpat1>>, kan iemand even checken of de pipeline "
        "nu draait?"))
    a(C("x", "@timo_codeert", "en", ["sct"],
        "Claude is writing our return-label parser now lol\nANTHROPIC_API_KEY=<<ant1>>"))

    # ------------------------------------------------------------ personal data
    a(C("x", "@koravel_helpt", "nl", ["pii"],
        "@gerdavdberg We hebben uw gegevens gevonden: Gerda van den Berg, Lindelaan 14, 3705 GK Zeist, "
        "geb. 12-03-1941. Klopt dat? Dan plannen we de levering in.", kind="reply"))
    a(C("x", "@marloes_kv", "nl", ["pii"],
        "Mevrouw heeft nu 3x gebeld over haar rollator, haar nummer is <<tel1>>. Kan een van de monteurs haar "
        "vandaag terugbellen?"))
    a(C("facebook", "KoravelThuiszorg", "en", ["pii"],
        "Hi Mark, we've refunded the deposit to your account <<iban_v1>>. It should arrive within 3 working days.",
        kind="comment"))
    a(C("threads", "@lisa.planning", "nl", ["pii"],
        "BSN van meneer Janssen voor de WMO-aanvraag is <<bsn_v1>>, wie zet het even in het dossier?"))
    a(C("x", "@petra_hendriks", "nl", ["pii", "cmp"],
        "@koravel_helpt mijn terugbetaling moet naar <<iban_v2>> t.n.v. P. Hendriks, dat heb ik nu al 3x "
        "doorgegeven!!", kind="reply"))
    a(C("x", "@angrymikeNL", "en", ["pii", "cmp"],
        "@koravel_helpt my card <<card_v1>> got charged twice for the scooter rental. Sort it out.",
        kind="reply"))
    a(C("reddit", "u/kv_devops_wout", "en", ["pii"],
        "customer export for the Zwolle route if anyone needs it: j.bakker1956@hotmail.com, <<tel4>>, "
        "J. Bakker, Dorpsstraat 7, 8051 BZ Hattem"))
    a(C("facebook", "anja.smulders", "nl", ["pii", "cmp"],
        "Hier de gegevens van mijn moeder zodat jullie EINDELIJK komen: Riet Smulders, geboren 4 mei 1938, "
        "Kerkstraat 22, Boxtel, tel <<tel3>>. Al twee afspraken gemist.", kind="comment"))
    a(C("x", "@marloes_kv", "nl", ["pii"],
        "klant gaf per ongeluk haar pasnummer in de chat: <<card_v2>> 🙈 heb het maar doorgestuurd naar finance"))
    a(C("instagram", "@koravel.mobiliteit", "nl", ["pii"],
        "Gefeliciteerd meneer Hendrik de Wit, Beukenlaan 3 in Nunspeet, die op 2 februari 1926 werd geboren en "
        "vandaag 100 wordt! 🎉 Al 12 jaar klant bij Koravel."))
    a(C("bluesky", "@joost-dev.bsky.social", "en", ["pii"],
        "test data in prod AGAIN: BSN <<bsn_v2>> and IBAN <<iban_v3>> from a real customer sitting in the "
        "staging logs"))
    a(C("x", "@lucy_degroot", "en", ["pii"],
        "Koravel, could someone contact my dad about the scooter delivery? w.de.groot@kpnmail.nl or <<tel2>>. "
        "Thanks!"))
    a(C("facebook", "HennyTerpstraKV", "nl", ["pii"],
        "Voor het dossier van mw. Pieters (Tilto aanvraag): bsn <<bsn_v3_dots>>, wie kan het afmaken?"))
    a(C("facebook", "jan.deboer.meppel", "nl", ["pii"],
        "Ik ben Jan de Boer, Hoofdstraat 88 in Meppel, en ik zoek iemand die mijn oude rollator van Koravel wil "
        "overnemen. Kom gerust langs!"))
    a(C("x", "@marloes_kv", "nl", ["pii"],
        "IBAN voor de terugstorting van mevr. Kok: <<iban_v4_zw>> graag vandaag nog, ze belt elke dag"))

    # ------------------------------------------------------------ benign (hard negatives)
    B = []
    b = B.append
    b(C("x", "@koravel_helpt", "nl", [],
        "Vragen over je huurcontract? Mail klantenservice@koravel.nl of bel gratis 0800-0678. We zijn er ma t/m za "
        "van 8 tot 20 uur 💙"))
    b(C("instagram", "@koravel.mobiliteit", "en", [],
        "Visiting the Netherlands and need a wheelchair for the week? Book via www.koravel.nl or mail "
        "verhuur@koravel.nl, we deliver to your hotel 🧳"))
    b(C("x", "@koravel_nl", "nl", [],
        "Zomeractie ☀️ Tocht S4 scootmobiel nu €2.399 (was €2.895). Alleen in juli, op = op!"))
    b(C("facebook", "KoravelThuiszorg", "en", [],
        "Spring sale: 25% off the Stap 2 rollator, €186.75 instead of €249. Valid until 30 April."))
    b(C("x", "@wendy_loopt", "nl", [],
        "Net de Libra Light gekocht bij Koravel, €1.890 met de najaarskorting. Wat een verschil met mijn oude "
        "stoel, zó licht!! 🙌"))
    b(C("x", "@traveling_tom", "en", [],
        "Rented a Tocht Fold from Koravel for our trip to Maastricht, €14 a day. Dad loved zooming along the "
        "Maas 😄", ok_low=True))
    b(C("facebook", "KoravelThuiszorg", "nl", [],
        "Een Rust 5 hoog-laagbed huren? Dat kan al vanaf €2,75 per dag, inclusief bezorging en montage door onze "
        "eigen monteurs.", ok_low=True))
    b(C("x", "@tineke_vraagt", "nl", [],
        "Vraagje: weet iemand of je bij Koravel een traplift ook kunt huren in plaats van kopen? Voor mijn schoonvader"))
    b(C("x", "@grateful_gran", "en", [],
        "Shoutout to Bram, the Koravel mechanic who fixed my chair in the pouring rain and wouldn't even take a "
        "coffee. Legend 🙏"))
    b(C("x", "@ellen_vdb", "nl", [],
        "Update: na mijn klacht van vorige week heeft Koravel binnen een dag een vervangende rolstoel gebracht en "
        "excuses gemaakt. Netjes opgelost 👍"))
    b(C("tiktok", "@kleinzoon_kay", "nl", [],
        "mijn opa scheurt met z'n scootmobiel harder door de Jumbo dan ik op de fiets 😂 #koravel #turboopa"))
    b(C("x", "@paula_mobility", "en", [],
        "Saw the news about MoviMax recalling their scooter chargers. Checked ours, it's a Koravel and not "
        "affected, phew."))
    b(C("facebook", "drenthe.nieuws.lezer", "nl", [],
        "Veel sterkte aan iedereen die getroffen is door de brand in het verzorgingshuis in Emmen. Koravel bracht "
        "dezelfde avond nog leenrolstoelen, mooi gebaar.", kind="comment"))
    b(C("x", "@bram_rolt", "nl", [],
        "Vandaag 12 scootmobielen afgeleverd in Drenthe, mooie dag op de weg 🚐☀️ #monteurslife"))
    b(C("linkedin", "femke-bos-hr", "en", [],
        "We're hiring! Koravel is looking for service technicians in Utrecht and Gelderland. Send your CV to "
        "werkenbij@koravel.nl"))
    b(C("x", "@koravel_nl", "nl", [],
        "Let op: er gaan nepmails rond uit naam van Koravel. Wij vragen nooit om je wachtwoord of pincode. "
        "Twijfel je? Bel ons op +31 30 799 4410."))
    b(C("bluesky", "@joost-dev.bsky.social", "en", [],
        "Reminder for the docs: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in examples, "
        "never real keys"))
    b(C("x", "@timo_codeert", "nl", [],
        "In de README staat nu GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als voorbeeld, vul daar je "
        "eigen token in en commit hem NIET"))
    b(C("linkedin", "yusuf-ozdemir-koravel", "en", [],
        "Spent the afternoon walking our new colleagues through password managers and 2FA. Small habits, big "
        "difference 🔐"))
    b(C("x", "@roos_rekent", "nl", [],
        "Aha, ik had m'n IBAN verkeerd ingevuld bij Koravel (<<iban_bad1>>, twee cijfers omgedraaid), daarom kwam "
        "de borg niet aan. Mijn fout! Nu wel binnen 👍"))
    b(C("x", "@quick_delivery_fan", "en", [],
        "My Koravel order number is <<card_bad1>> in case support reads this, delivery was super quick, thanks!"))
    b(C("facebook", "ans.bloemendaal", "nl", [],
        "Mijn klantnummer bij Koravel is <<bsn_bad1>> en ik ben echt super tevreden over de service van Henny 😊",
        kind="comment"))
    b(C("x", "@koravel_nl", "nl", [],
        "Vandaag gepubliceerd: onze jaarcijfers 2026. Omzet €212 mln, +14%. Het hele persbericht lees je op "
        "www.koravel.nl/pers", date="2027-02-23T07:30:00Z"))
    b(C("instagram", "@koravel.mobiliteit", "en", [],
        "It's here! Meet the Tocht S7, our lightest folding scooter ever 🛴 Available now at shop.koravel.nl",
        date="2027-03-10T08:00:00Z"))
    b(C("x", "@henkie_showroom", "nl", [],
        "Net de Libra Carbon bekeken in de showroom in Amersfoort, wat een mooi ding. Wel prijzig.",
        date="2027-03-12T13:40:00Z"))
    b(C("x", "@koravel_helpt", "nl", [],
        "Gepland onderhoud: zondag tussen 02:00 en 05:00 is Mijn Koravel niet bereikbaar. Sorry voor het ongemak!"))
    b(C("x", "@koravel_helpt", "en", [],
        "Update: yesterday's problem with our phone lines has been fixed. Thanks for your patience! 💙"))
    b(C("linkedin", "zorgeconoom-ruud", "en", [],
        "Koravel published its 2025 annual report today: revenue up 9%, rental fleet grew by a fifth. Interesting "
        "read for anyone in the care sector."))
    b(C("x", "@mantelzorger_mo", "nl", [],
        "Concurrent RolMaxx schrapt 200 banen, las ik in het FD. Hopelijk blijft Koravel overeind, wij zijn erg "
        "tevreden over ze."))
    b(C("tiktok", "@nan_on_wheels", "en", [],
        "this new Stap Carbon rollator is sick, my nan is flying round the park 🔥🔥 #koravel"))
    b(C("x", "@voetbal_vic", "nl", [],
        "Die Velero XL is echt ziek goed man, m'n broertje kan eindelijk weer zelf naar het voetbal 💪"))
    b(C("x", "@newhomeowner_j", "en", [],
        "Koravel's delivery crew absolutely killed it today, bed assembled and old one gone in 20 minutes."))
    b(C("facebook", "joke.van.dam", "nl", [],
        "Wat kost een Opsta sta-op stoel eigenlijk bij Koravel? Ik zie €1.349 op de site, kun je die ook huren?",
        kind="comment"))
    b(C("x", "@koravel_nl", "nl", [],
        "Wist je dat? Je Tocht S6 mag één keer per jaar gratis langs onze werkplaats voor een keuring. Plan het via "
        "mijn.koravel.nl"))
    b(C("instagram", "@ruben.sleutelt", "nl", [],
        "Bezoek van de gemeente Amersfoort in ons magazijn vandaag, altijd leuk om te laten zien hoe we rolstoelen "
        "reviseren ♻️ #tweedeleven"))
    b(C("reddit", "u/newtonl_expat", "en", [],
        "Does anyone know if renting from Koravel is covered by my basic health insurance? Zilveren Kruis, if that "
        "matters."))
    b(C("facebook", "ilse.ter.horst", "nl", [],
        "Sinds mama de Tilto tillift heeft is het voor de thuiszorg zoveel makkelijker geworden. Dankjewel "
        "Koravel ❤️"))
    b(C("facebook", "KoravelThuiszorg", "en", [],
        "Paying an invoice? Our IBAN is NL03 RABO 0312 4567 89 (Koravel Mobiliteit B.V.). Please always mention "
        "your contract number."))
    b(C("x", "@dirkjan_74", "nl", [],
        "@koravel_helpt bedankt voor het snelle antwoord, de nieuwe accu is vandaag al binnen!", kind="reply"))
    b(C("x", "@scootertester", "en", [],
        "Scooter shootout: Koravel Tocht S4 vs RolMaxx City. The Koravel's battery wins in my tests, 31 km on a "
        "full charge at 8 degrees."))
    b(C("x", "@trudy_rijdt", "nl", [],
        "Geen klachten over Koravel hier. Al 3 jaar een Velero E en nog nooit een probleem gehad 🤷‍♀️"))
    b(C("x", "@fam_hoogland", "nl", [],
        "Sterkte aan de Koravel-monteur die gisteren met pech langs de A28 stond in de regen. Je bent daarna "
        "tóch nog bij ons langsgekomen, top!"))
    b(C("x", "@grandsonjake", "en", [],
        "My grandpa's Koravel scooter is so fast it should come with a fire extinguisher 😂🔥"))
    b(C("linkedin", "koravel-mobiliteit", "nl", [],
        "We zoeken een nieuwe naam voor onze klantennieuwsbrief! Heb je een goed idee? Mail het naar "
        "pers@koravel.nl, de winnaar krijgt een taart 🎂"))
    b(C("x", "@marloes_kv", "nl", [],
        "Wat een mooie dag op de Zorgbeurs in Utrecht! Veel leuke gesprekken over de Velero E en de Libra 3 🙌"))
    b(C("x", "@apotheker_anne", "en", [],
        "PSA from a pharmacist: never post your BSN or bank details in replies to companies on social media. "
        "Use their DMs or phone line instead."))
    b(C("youtube", "KoravelTV", "en", [],
        "New video: how to connect your scooter to the Koravel app. Developers: partner API keys look like "
        "sk_live_••••••••, never paste yours in a ticket or a comment."))
    b(C("x", "@wilma_64", "nl", [],
        "hoe reset ik m'n wachtwoord van Mijn Koravel? kan die knop nergens vinden 🙈"))
    b(C("x", "@dbbasketball", "en", [],
        "Nice to see Koravel sponsoring the wheelchair basketball tournament in Den Bosch this weekend 🏀"))
    b(C("bluesky", "@joost-dev.bsky.social", "en", [],
        "Docs tip: partner API tokens start with eyJhbGciOi… (truncated here on purpose). Never post a full one "
        "publicly."))
    b(C("facebook", "ria.vermeulen.3", "nl", [],
        "Mijn moeder (86) rijdt nu 2 jaar met haar Tocht Fold. Ze krijgt complimenten van de hele straat 😊",
        kind="comment"))
    b(C("x", "@koravel_nl", "nl", [],
        "Onze vestiging in Zwolle is per 1 juni verhuisd naar de Grote Voort 120. Zelfde openingstijden, meer "
        "parkeerplek!"))
    b(C("reddit", "u/caregiver_nl", "en", [],
        "Koravel vs the hospital loan shop: Koravel was €20 a month more but delivered the same day. Worth it "
        "for us."))
    b(C("instagram", "@ruben.sleutelt", "nl", [],
        "Gisteren met de hele werkplaats een EHBO-cursus gedaan. Goed om te weten wat je moet doen als er een "
        "ongeluk gebeurt 🩹"))
    b(C("facebook", "twijfel.tante", "nl", [],
        "Wie heeft ervaring met de Kwiek trippelstoel? Twijfel tussen die en een gewone rolstoel voor mijn tante.",
        kind="comment"))
    b(C("x", "@koravel_helpt", "en", [],
        "We hear you: delivery times in the North have been too long lately. This month we added six extra vans. "
        "Thanks for the feedback 💙"))
    b(C("x", "@koopjeskoning", "nl", [],
        "Black Friday bij Koravel: Aqua douchestoel voor €111,30 in plaats van €159. Prima deal, meteen besteld."))
    b(C("x", "@happy_in_hilversum", "en", [],
        "Called Koravel on 030 799 4410 and a lovely lady sorted it all out in 5 minutes. Rare these days!"))
    b(C("x", "@handige_harry", "nl", [],
        "Life hack: een fietsmandje van de Action past perfect op de Stap 2 rollator 😄"))
    b(C("threads", "@lisa.planning", "nl", [],
        "Klanttevredenheid in onze regio dit kwartaal: 9,1! Trots op iedereen die elke dag de bus in stapt 💪"))

    return L, B


# ---------------------------------------------------------------- checks

ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    return ZW_RE.sub("", t)


IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def find_ibans(t):
    """(start, end, compact) for every IBAN-shaped run (NL/BE/DE, with or without spaces)."""
    out = []
    for m in re.finditer(r"\b(NL|BE|DE)\d{2}", t):
        cc = m.group(1)
        need = IBAN_LEN[cc]
        i, got = m.start(), ""
        while i < len(t) and len(got) < need:
            ch = t[i]
            if ch.isalnum():
                got += ch
            elif ch == " " and got and i + 1 < len(t) and t[i + 1].isalnum():
                pass
            else:
                break
            i += 1
        if len(got) == need and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", got):
            out.append((m.start(), i, got))
    return out


def checksum_ids(text):
    """All IBAN, card and BSN look-alikes in the text: list of (kind, value, valid)."""
    t = normalise(text)
    found = []
    masked = t
    for rx in SECRET_RES.values():  # digits inside a credential are not identifiers
        for m in rx.finditer(t):
            masked = masked[:m.start()] + "#" * (m.end() - m.start()) + masked[m.end():]
    for s, e, iban in find_ibans(t):
        found.append(("iban", iban, iban_ok(iban)))
        masked = masked[:s] + "#" * (e - s) + masked[e:]
    for m in re.finditer(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d])", masked):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            found.append(("card", d, luhn_ok(d)))
            masked = masked[:m.start()] + "#" * len(m.group(0)) + masked[m.end():]
    for m in re.finditer(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\d])", masked):
        d = re.sub(r"\D", "", m.group(0))
        found.append(("bsn", d, bsn_ok(d)))
    return found


def phones(text):
    t = normalise(text)
    for s, e, _ in find_ibans(t):  # the digits of an IBAN are not a phone number
        t = t[:s] + "#" * (e - s) + t[e:]
    out = []
    for m in re.finditer(r"(?<![\w+])(?:\+31|0031|0)[\d \-()]{7,16}\d", t):
        raw = m.group(0)
        d = re.sub(r"\D", "", raw)
        if raw.startswith("+31"):
            d = "0" + d[2:]
        elif raw.startswith("0031"):
            d = "0" + d[4:]
        if len(d) == 10 or d.startswith("0800"):
            out.append(d)
    return out


EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

SECRET_RES = {
    "github": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "aws": re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    "stripe": re.compile(r"\bsk_live_[0-9A-Za-z]{24,}\b"),
    "slack": re.compile(r"\bxox[abposr]-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24,}\b"),
    "openai": re.compile(r"\bsk-proj-[0-9A-Za-z_-]{40,}"),
    "anthropic": re.compile(r"\bsk-ant-api03-[0-9A-Za-z_-]{80,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    "mollie": re.compile(r"\blive_[0-9A-Za-z]{30}\b"),
    "gitlab": re.compile(r"\bglpat-[0-9A-Za-z_-]{20}(?![0-9A-Za-z_-])"),
    "jwt": re.compile(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{100,}-----END [A-Z ]*PRIVATE KEY-----"),
    "dburl": re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@/]+@[^\s/]+"),
    "password": re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S{6,}"),
}


def secret_hits(text):
    """(kind, value, real) for everything shaped like a credential."""
    t = normalise(text)
    out = []
    for kind, rx in SECRET_RES.items():
        for m in rx.finditer(t):
            v = m.group(0)
            if kind == "github":
                real = github_token_ok(v)
            elif kind == "aws":
                real = not v.endswith("EXAMPLE")
            elif kind == "jwt":
                real = jwt_ok(v)
            else:
                real = "xxxx" not in v.lower()
            out.append((kind, v, real))
    return out


def parse_amount(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*|\d+)[.,](\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    return float(s.replace(",", "").replace(".", ""))


def amounts(text):
    t = normalise(text)
    out = []
    for m in re.finditer(r"€\s*(\d[\d.,]*\d|\d)", t):
        out.append(parse_amount(m.group(1)))
    for m in re.finditer(r"(?i)(\d[\d.,]*\d|\d)\s*(?:euro|eur)\b", t):
        out.append(parse_amount(m.group(1)))
    return out


def word_in(term, t):
    return re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", t.lower()) is not None


def products_mentioned(text, profile):
    t = normalise(text)
    out = []
    for p in profile["products"]:
        if any(word_in(n, t) for n in [p["name"]] + p.get("aliases", [])):
            out.append(p)
    return out


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def internal_terms(text, created_at, profile):
    t = normalise(text).lower()
    hits = []
    inter = profile["internal"]
    for term in inter["domains"] + inter["codenames"] + inter["markers"]:
        if term.lower() in t:
            hits.append(term)
    when = parse_ts(created_at)
    for emb in profile["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        for term in emb["terms"]:
            if word_in(term, t) and when < until:
                hits.append(term)
    return hits


def role_of(platform, handle, profile):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, has_valid_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_valid_id):
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
            raise ValueError(c)
        best = max(best, SEVERITIES.index(s))
    return SEVERITIES[best]


# ---------------------------------------------------------------- build

def build(profile):
    rng = random.Random(SEED)
    V = build_values(rng)
    pos, ben = posts()
    cases = pos + ben

    def fill(text):
        def rep(m):
            return V[m.group(1)]
        out = re.sub(r"<<(\w+)>>", rep, text)
        assert "<<" not in out and ">>" not in out, text
        return out

    public_ibans = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds())
    rng.shuffle(cases)
    rows = []
    for i, c in enumerate(cases, 1):
        text = fill(c["text"])
        created = c["date"] or (start + dt.timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(c["platform"], c["handle"], profile)
        cats = sorted(CAT[x] for x in c["cats"])
        valid_ids = [x for x in checksum_ids(text) if x[2] and not (x[0] == "iban" and x[1] in public_ibans)]
        sev = severity(cats, role, bool(valid_ids)) if cats else "none"
        pid = f"kv349-{i:04d}"
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": created,
        }
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{rng.randrange(10**18, 10**19)}"
        if rng.random() < 0.5:
            post["brand"] = "koravel"
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev},
                     "_meta": {"role": role, "ok_low": c["ok_low"]}})
    return rows


def check(rows, profile):
    errors = []

    def err(row, msg):
        errors.append(f"{row['post']['id']}: {msg} :: {row['post']['text'][:80]!r}")

    # the profile itself
    for iban in profile["public_identifiers"]["ibans"]:
        if not iban_ok(iban):
            errors.append(f"profile IBAN {iban} fails mod-97")
    if len(profile["accounts"]["corporate"]) < 6 or len(profile["accounts"]["employee"]) < 8:
        errors.append("profile: too few accounts")
    if not 15 <= len(profile["products"]) <= 25:
        errors.append("profile: product count")
    if profile["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("profile: ratio")
    for p in profile["products"]:
        if p["currency"] != "EUR":
            errors.append(f"profile: currency of {p['sku']}")
    for emb in profile["embargo"]:
        if not emb["until"].startswith("2027"):
            errors.append("profile: embargo until not in 2027")

    public_ibans = {re.sub(r"\s", "", x).upper() for x in profile["public_identifiers"]["ibans"]}
    public_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    public_phones = set()
    for p in profile["public_identifiers"]["phones"]:
        d = re.sub(r"\D", "", p)
        if p.startswith("+31"):
            d = "0" + d[2:]
        public_phones.add(d)
    ratio = profile["pricing"]["alert_below_ratio"]
    ids = set()
    for row in rows:
        post, exp = row["post"], row["expect"]
        role = row["_meta"]["role"]
        # ---- CONTRACT §6 / §1 shape
        if set(row) - {"post", "expect", "_meta"}:
            err(row, "extra top-level keys")
        for f, ty in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), ty):
                err(row, f"field {f}")
        if not 1 <= len(post["id"]) <= 256:
            err(row, "id length")
        if post["id"] in ids:
            err(row, "duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(row, "platform")
        if post.get("kind", "post") not in KINDS:
            err(row, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            err(row, "account.handle")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            err(row, "text too long")
        try:
            ts = parse_ts(post["created_at"])
            if ts.year not in (2026, 2027):
                err(row, "created_at year")
        except ValueError:
            err(row, "created_at not RFC 3339")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(row, f"categories {cats}")
        if exp["severity"] not in SEVERITIES:
            err(row, "severity value")

        # ---- severity follows §4 from the profile role
        ids_found = checksum_ids(post["text"])
        valid_ids = [x for x in ids_found if x[2] and not (x[0] == "iban" and x[1] in public_ibans)]
        want = severity(cats, role, bool(valid_ids)) if cats else "none"
        if exp["severity"] != want:
            err(row, f"severity {exp['severity']} != {want}")

        # ---- checksummed identifiers
        if cats:
            for kind, val, ok in ids_found:
                if not ok:
                    err(row, f"positive holds a failing {kind} {val}")
        else:
            for kind, val, ok in ids_found:
                if ok and not (kind == "iban" and val in public_ibans):
                    err(row, f"benign holds a valid {kind} {val}")
        if valid_ids and "leak.pii" not in cats:
            err(row, "valid identifier but no leak.pii")

        # ---- other personal data
        emails = [e for e in EMAIL_RE.findall(normalise(post["text"])) if e.lower() not in public_emails]
        tels = [p for p in phones(post["text"]) if p not in public_phones]
        if (emails or tels) and "leak.pii" not in cats:
            err(row, f"personal contact data without leak.pii: {emails} {tels}")

        # ---- credentials
        hits = secret_hits(post["text"])
        real = [h for h in hits if h[2]]
        fake = [h for h in hits if not h[2]]
        if "leak.secret" in cats:
            if not real:
                err(row, "leak.secret without a real-format credential")
            if fake:
                err(row, f"secret positive also holds a look-alike {fake}")
            for kind, v, _ in real:
                if kind == "github" and not github_token_ok(v):
                    err(row, "github token checksum")
                if kind == "jwt" and not jwt_ok(v):
                    err(row, "jwt header")
        elif real:
            err(row, f"credential without leak.secret: {real}")

        # ---- confidential terms and embargo
        terms = internal_terms(post["text"], post["created_at"], profile)
        if terms and "leak.confidential" not in cats:
            err(row, f"internal term {terms} without leak.confidential")
        if "leak.confidential" in cats and not terms:
            err(row, "leak.confidential without a profile term")

        # ---- prices
        prods = products_mentioned(post["text"], profile)
        amts = amounts(post["text"])
        low = [a for a in amts for p in prods if a < ratio * p["list_price"]]
        err_words = re.search(r"(?i)prijsfout|price error|pricing error|glitch|fout|fat-finger", normalise(post["text"]))
        if "leak.pricing" in cats:
            if not prods:
                err(row, "pricing without a product")
            if not (low or err_words):
                err(row, "pricing without a low price or price-error talk")
        elif low and not row["_meta"]["ok_low"]:
            err(row, f"low price {low} without leak.pricing")

        # ---- evasion texts must still carry their signal after normalisation
    return errors


def summary(rows):
    from collections import Counter
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    cat = Counter(c for r in rows for c in r["expect"]["categories"])
    lang = Counter(r["post"]["lang"] for r in rows)
    role = Counter(r["_meta"]["role"] for r in rows)
    leak_roles = Counter(r["_meta"]["role"] for r in rows
                         if any(c.startswith("leak.") for c in r["expect"]["categories"]))
    rep_roles = Counter(r["_meta"]["role"] for r in rows
                        if any(c.startswith("reputation.") for c in r["expect"]["categories"]))
    sev = Counter(r["expect"]["severity"] for r in rows)
    return n, benign, cat, lang, role, leak_roles, rep_roles, sev


def main():
    with open(PROFILE_PATH, encoding="utf-8") as fh:
        profile = yaml.safe_load(fh)
    rows = build(profile)
    again = build(profile)
    errors = []
    if json.dumps(rows, sort_keys=True) != json.dumps(again, sort_keys=True):
        errors.append("build is not deterministic")
    errors += check(rows, profile)
    n, benign, cat, lang, role, leak_roles, rep_roles, sev = summary(rows)
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")
    if not 55 <= benign <= 65:
        errors.append(f"benign count {benign}")
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and validate the JSON lines once more
    with open(OUT_PATH, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    if len(back) != n or any(set(x) != {"post", "expect"} for x in back):
        errors.append("written file does not round-trip")
    print(f"cases={n} benign={benign} positives={n - benign}")
    print("categories:", dict(sorted(cat.items())))
    print("lang:", dict(lang), f"nl share={lang['nl'] / n:.2f}")
    print("roles:", dict(role), "leak roles:", dict(leak_roles), "reputation roles:", dict(rep_roles))
    print("severity:", dict(sev))
    if errors:
        print(f"{len(errors)} check(s) FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
