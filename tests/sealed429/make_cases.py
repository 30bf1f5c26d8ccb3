#!/usr/bin/env python3
"""Build the labelled evaluation set "sealed429" for postwatch.

Company: Brakmoer Sanering & Sloop B.V. (fictional asbestos removal / demolition contractor).
Deterministic: fixed seed, standard library + PyYAML only. Writes cases.jsonl next to this
file and then checks it (checksums, CONTRACT section 6 shape, severity policy of section 4).

Post texts are hand-written. Placeholders of the form «name» are filled in with generated
values (credentials, identifiers) so that real-looking secrets carry their real checksums
and look-alikes in benign posts fail theirs.
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

SEED = 429
rng = random.Random(SEED)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


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


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def ghtoken_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


# --------------------------------------------------------------------------- generators

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_gh(prefix):
    body = rstr(ALNUM, 30)
    return f"{prefix}_{body}{b62(zlib.crc32(body.encode()), 6)}"


def gen_aws_id():
    return "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_aws_secret():
    return rstr(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rstr(ALNUM, 97)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rstr("0123456789", 11), rstr("0123456789", 13), rstr(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rstr(URLSAFE, 74) + "T3BlbkFJ" + rstr(URLSAFE, 74)


def gen_anthropic():
    return "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"


def gen_google():
    return "AIza" + rstr(URLSAFE, 35)


def gen_gitlab():
    return "glpat-" + rstr(URLSAFE, 20)


def gen_jwt():
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randrange(0, 30000000)
    payload = {"sub": str(rng.randrange(1000, 9999)), "scope": "portal:read portal:upload",
               "iat": iat, "exp": iat + 3600}
    pl = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{hdr}.{pl}.{sig}"


def gen_rsa():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_dbpw():
    return rstr(ALNUM, 10) + rng.choice("!#%*") + rstr(ALNUM, 5)


def gen_azkey():
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()


BANKS = ["INGB", "ABNA", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"]


def iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def gen_iban_compact():
    bban = rng.choice(BANKS) + rstr("0123456789", 10)
    return "NL" + iban_check("NL", bban) + bban


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def gen_bad_iban():
    while True:
        good = gen_iban_compact()
        pos = rng.randrange(8, 18)
        bad = good[:pos] + str((int(good[pos]) + rng.randrange(1, 10)) % 10) + good[pos + 1:]
        if not iban_ok(bad):
            return spaced(bad)


def luhn_digit(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError


def gen_card_digits():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    partial = prefix + rstr("0123456789", 15 - len(prefix))
    return partial + luhn_digit(partial)


def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_bad_card():
    good = gen_card_digits()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return group4(bad, "-")


def gen_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            if bsn_ok(s):
                return s


def gen_bad_bsn():
    while True:
        s = str(rng.randrange(1, 10)) + rstr("0123456789", 8)
        if not bsn_ok(s):
            return s


OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# name -> (generator, kind) ; kind: "valid_id" | "bad_id" | "secret" | None
PLACEHOLDERS = {
    "ghp": (lambda: gen_gh("ghp"), "secret"),
    "gho": (lambda: gen_gh("gho"), "secret"),
    "ghs": (lambda: gen_gh("ghs"), "secret"),
    "aws_id": (gen_aws_id, "secret"),
    "aws_secret": (gen_aws_secret, "secret"),
    "stripe": (gen_stripe, "secret"),
    "slack": (gen_slack, "secret"),
    "openai": (gen_openai, "secret"),
    "anthropic": (gen_anthropic, "secret"),
    "google": (gen_google, "secret"),
    "gitlab": (gen_gitlab, "secret"),
    "jwt": (gen_jwt, "secret"),
    "rsa": (gen_rsa, "secret"),
    "dbpw": (gen_dbpw, "secret"),
    "azkey": (gen_azkey, "secret"),
    "iban": (gen_iban_compact, "valid_id"),
    "iban_sp": (lambda: spaced(gen_iban_compact()), "valid_id"),
    "card_sp": (lambda: group4(gen_card_digits(), " "), "valid_id"),
    "bsn": (gen_bsn, "valid_id"),
    "bad_iban": (gen_bad_iban, "bad_id"),
    "bad_card": (gen_bad_card, "bad_id"),
    "bad_bsn": (gen_bad_bsn, "bad_id"),
    "own_iban": (lambda: spaced(OWN_IBAN), None),
}

# --------------------------------------------------------------------------- cases

CAT = {
    "C": "reputation.complaint",
    "X": "reputation.crisis",
    "A": "reputation.abuse",
    "F": "leak.confidential",
    "N": "leak.financial",
    "S": "leak.security",
    "K": "leak.secret",
    "P": "leak.pii",
    "R": "leak.pricing",
}

ZW = "\u200b"

# (platform, handle, kind, lang, categories, text, created_at or None)
CASES = [
    # ---------------------------------------------------------------- complaints
    ("x", "@marjolein_vk", "post", "nl", "C",
     "3 weken geleden offerte aangevraagd bij @brakmoer. 2x gebeld, 1x gemaild, nog steeds NIKS gehoord. "
     "Ons schuurtje met asbestdak staat er nog gewoon hoor 🙄", None),
    ("reddit", "u/driftwood_dad", "post", "en", "C",
     "Anyone else used Brakmoer for a garage roof? They quoted 1,690 for the SchuurSaneer package, then on the day "
     "the crew lead goes 'oh the gutters are asbestos too' and wants another 600 on top, cash preferred. Felt really "
     "pressured tbh. Is that normal in this industry??", None),
    ("facebook", "Gerrit Wolters", "comment", "nl", "C",
     "Ploeg van Brakmoer heeft bij het afvoeren van de golfplaten onze schutting geramd en de halve border "
     "platgereden. Bij navraag: 'dat valt niet onder de opdracht'. Nou, bedankt hoor.", "2026-04-14T18:22:00Z"),
    ("x", "@saskia_builds", "reply", "en", "C",
     "@brakmoer_helpt still no vrijgave certificate 5 weeks after the job was 'finished'. Our builder can't start "
     "without it and is now billing us standby days. Pls sort this out, it's costing us real money", None),
    ("forum", "Wendy_O", "post", "nl", "C",
     "Ervaring met Brakmoer Sanering: afspraak om half 8, om 11 uur nog niemand. Niet gebeld, geen mail, niks. "
     "Hele ochtend vrij genomen voor niets. Eén ster en dat is nog gul.", None),
    ("instagram", "@tess.wonen", "comment", "nl", "C",
     "jullie hebben onze zolder 'asbestvrij' opgeleverd maar achter de knieschotten lag gewoon nog plaatmateriaal?? "
     "hebben nu een andere partij moeten laten komen, echt triest @brakmoer.sanering", None),
    ("facebook", "Priya Raman", "comment", "en", "C",
     "Paid €49.95 for the ZelfSaneer Kit and the disposal bag was torn straight out of the box. Emailed twice, no "
     "reply. Not impressed, Brakmoer.", None),
    ("x", "@b_de_haan", "reply", "nl", "C",
     "@brakmoer_helpt kunnen jullie ook gewoon de telefoon opnemen? 40 min in de wacht bij dat 0800 nummer en dan "
     "wordt ie verbroken. Elke. Keer. Weer.", "2026-09-08T10:41:00Z"),
    ("other", "j.mcallister", "post", "nl", "C",
     "Factuur kwam 35% hoger uit dan de offerte, zonder enige uitleg. Kantoor zegt 'er was extra afscherming nodig'. "
     "Daar is op de bouw met geen woord over gesproken. Ik ga het betwisten. Brakmoer, dit kan echt niet.", None),
    ("tiktok", "@sanne.xo_", "comment", "nl", "C",
     "bro die bus van jullie stond 2 dagen dwars op onze oprit, buurvrouw kon d'r auto niet eens uit 😤 "
     "@brakmoer_sloopt", None),
    ("x", "@kevin_o_r", "post", "en", "C",
     "Brakmoer demo crew left nails and bits of broken tile all over our drive after stripping the kitchen. Two "
     "punctures this week. Thanks a lot lads 👏", "2026-05-19T17:05:00Z"),
    ("linkedin", "marco-verhoef-vve", "comment", "nl", "C",
     "Als VvE-beheerder teleurgesteld in Brakmoer Sanering. Planning drie keer verschoven, bewoners niet "
     "geïnformeerd, en voor het eindrapport moest ik zelf achter hun broek aan zitten. Professioneel is anders.", None),
    ("reddit", "u/kaaskop_1987", "post", "nl", "C",
     "heeft iemand ooit z'n aanbetaling terug gekregen van brakmoer? klus is door HUN geannuleerd maar die 30% zien "
     "we niet terug. al 2 maanden aan het bellen en mailen", None),
    ("bluesky", "@ellieparks.bsky.social", "post", "en", "C",
     "ordered an AsbestBox 10 for last tuesday, it turned up friday afternoon. entire weekend plan gone. cheers "
     "@brakmoer", None),
    ("x", "@dirkjan_73", "post", "nl", "C A",
     "Wat een prutsers bij Brakmoer. Dak half gesloopt, toen was het 'materiaal op' en nu regent het al 4 dagen naar "
     "binnen. Stelletje amateuristische klootzakken.", None),
    ("facebook", "Tommy Baines", "comment", "en", "C A",
     "Worst contractor ever. Three missed appointments and the woman at your office just hung up on me. Brakmoer you "
     "are a bunch of useless f*cking clowns.", None),
    ("x", "@annevdlinden", "reply", "nl", "C P",
     "@brakmoer_helpt al 3x beloofd dat jullie terugbellen, nooit gebeld. Hier dan nóg een keer: 06-48213977 of "
     "anne.vdlinden@gmail.com. Graag vandaag nog, ik word er gek van.", None),
    # first-hand safety incidents: crisis + complaint
    ("facebook", "Monique Draaisma", "post", "nl", "X C",
     "Na de sanering door Brakmoer ligt er grijs stof op onze hele veranda én in de zandbak van de kinderen. Buurman "
     "zegt dat er geen onderdruk stond tijdens het werk. Wij zijn doodsbang dat er vezels zijn vrijgekomen en niemand "
     "neemt de telefoon op!!", None),
    ("reddit", "u/harbourlights", "post", "en", "X C",
     "Brakmoer's crew ran the power for their decon unit on an extension cord through our kitchen window. The cord "
     "melted, started smoking, and my wife burned her hand pulling the plug. Nobody from the company has called back "
     "in 3 days.", None),
    ("x", "@fam_kuijpers", "post", "nl", "X C",
     "Tijdens de sloop van onze aanbouw viel er een stuk muur de verkeerde kant op, dwars door de woonkamerruit. Mijn "
     "zoon zat daar 2 minuten eerder nog te gamen. @brakmoer dit had héél anders kunnen aflopen 😡😡", None),
    ("x", "@gracefully_gail", "post", "en", "X C",
     "The ZelfSaneer Kit from @brakmoer came with a P3 mask that had a cracked valve. Only noticed after an hour of "
     "scraping old floor tiles. Now waiting for a doctor's appointment and absolutely livid.", None),
    ("instagram", "@joycebergh", "comment", "nl", "X C",
     "sinds jullie ploeg hier de vinylvloer eruit heeft gehaald heb ik hoofdpijn en een prikkende keel, en de folie "
     "hing na één dag al los. ik wil een luchtmeting en een eerlijk antwoord @brakmoer.sanering", None),
    ("facebook", "Rob Hennessy", "post", "en", "X C",
     "The NegAir unit we rented from Brakmoer gave my son a proper shock when he moved it, the casing was live. "
     "Brought it back and they just shrugged. Someone is going to get killed with that kit.", None),

    # ---------------------------------------------------------------- crisis (third party / news)
    ("x", "@buurtapp_lunetten", "post", "nl", "X",
     "Omwonenden van de Brakmoer-klus aan de Ravelijnstraat: houd de ramen dicht! Gisteren waaiden er stukken "
     "golfplaat van de steiger de straat op. Gemeente is ingelicht.", None),
    ("x", "@utrecht_updates", "post", "en", "X",
     "BREAKING: Labour inspectorate halts asbestos job run by Brakmoer Sanering in Amersfoort after workers were seen "
     "without respirators. Site sealed off pending investigation.", None),
    ("facebook", "Actiegroep Schone Lucht Zeist", "post", "nl", "X",
     "BOYCOT BRAKMOER. Dit bedrijf dumpt asbestafval gewoon in het buitengebied, we hebben de foto's. Deel dit en "
     "neem ze NIET in de arm! #boycotbrakmoer #asbest", None),
    ("linkedin", "nadia-versteeg-advocaten", "post", "en", "X",
     "Our firm has filed suit on behalf of eleven households in Nieuwegein against Brakmoer Sanering & Sloop B.V. "
     "over fibre contamination following a roof removal last year. More to follow.", "2026-03-02T09:00:00Z"),
    ("reddit", "u/stille_meelezer", "post", "nl", "X",
     "Volgens een vriend die bij Brakmoer werkt is er vorige week een sloper van een dak gevallen in Veenendaal, ligt "
     "nog steeds in het ziekenhuis. Waarom hoor je daar niks over in het nieuws?", None),
    ("x", "@datadetective_nl", "post", "en", "X",
     "Brakmoer appears to have leaked the asbestos survey reports of hundreds of homes: addresses, floor plans, owner "
     "names, all indexable. Their customer portal is wide open. Has anyone notified the AP?", None),
    ("x", "@moeder_van_3", "post", "nl", "X",
     "b.o.y.c.o.t.t Brakmoer!! ze laten hun jongens zonder bescherming golfplaten kapotslaan, heb het zelf gezien bij "
     "de basisschool in Houten. ONVERANTWOORDELIJK", None),
    ("bluesky", "@safetyfirst.bsky.social", "post", "en", "X",
     "Heads up: Brakmoer is recalling its P3 Maskerset, batch 24-11. Filters apparently don't seal properly. If you "
     "bought one this year, check the box and stop using it.", None),
    ("tiktok", "@regio_nieuws_030", "post", "nl", "X",
     "Brand bij sloopproject van Brakmoer aan de Kerkewijk 🔥 dikke rookwolk boven de wijk. Brandweer vraagt iedereen "
     "ramen en deuren dicht te houden ivm mogelijk asbest.", None),

    # ---------------------------------------------------------------- abuse
    ("x", "@hardcore_henkie", "reply", "nl", "A",
     "@dennis_sloopt jij bent echt de grootste mongool van heel Utrecht, ga lekker asbest vreten",
     "2026-06-11T21:14:00Z"),
    ("x", "@realtalk_rick", "post", "en", "A",
     "Brakmoer staff are scum. Hope every single one of you chokes on the dust you leave behind.", None),
    ("facebook", "Sjaak Bos", "comment", "nl", "A",
     f"k{ZW}ank{ZW}er{ZW}bedrijf Brakmoer, n00it meer. Tyfuslijers.", None),
    ("reddit", "u/throwaway_dmolish", "comment", "en", "A",
     "brakmoer = bunch of 1d10ts n fr4uds, and that foreman is a total @$$h0le. n3v3r again", None),
    ("x", "@wimpie_nl", "post", "nl", "A",
     "Natuurlijk staat er wéér een ploeg Polen en Marokkanen van Brakmoer hier in de straat die geen woord Nederlands "
     "spreken. Stuur dat tuig terug naar waar ze vandaan komen.", None),
    ("instagram", "@big_ron_1972", "comment", "en", "A",
     "@kim.saneert women have no business on a demolition site, go back to the kitchen love 🤡", None),
    ("x", "@dennis_sloopt", "reply", "nl", "A",
     "@hardcore_henkie hou je bek toch eens, zielige loser. Kom het maar zeggen op de bouw als je durft.",
     "2026-06-11T21:40:00Z"),
    ("tiktok", "@brakmoer_sloopt", "reply", "en", "A",
     "lmao imagine being this dumb. do some research before you comment, idiot 🤡", None),
    ("x", "@anoniempje88", "post", "nl", "A",
     "Brakmoer = ѕсhоrеm. En die uitvoerder Ruud is een vuile оplichter, iedereen weet het.", None),
    ("x", "@nomoredust", "post", "en", "A",
     "fuck brakmoer and fuck their greedy owner. pathetic little man hiding behind his lawyers", None),

    # ---------------------------------------------------------------- confidential
    ("x", "@ruud_hoogeveen", "post", "nl", "F N",
     "Mooie dag gehad op de kick-off van Project Meerkoet 🦆 als dit doorgaat zijn we straks in één klap twee keer zo "
     "groot 💪 meer mag ik nog niet zeggen", None),
    ("linkedin", "sietse-bakker-brakmoer", "post", "en", "F",
     "Sneak peek from the workshop: our RoboStrip R1 prototype stripping a corrugated roof without anyone up there. "
     "Launch is coming, can't say when 😉 #innovation #asbestos", "2026-10-07T07:30:00Z"),
    ("instagram", "@kim.saneert", "post", "nl", "F",
     "even een screenshotje van de planning voor volgende week 😅 planbord.brakmoer.local/ploeg/noord?week=47 zooo "
     "vol, wie neemt mijn zaterdag over", None),
    ("mastodon", "@jorien@bouw.social", "post", "en", "F",
     "anyone else's gitlab runners choking on big repos? ours at https://git.brakmoer.nl/infra/ploegapp takes 40 min "
     "per pipeline. send help (or coffee)", None),
    ("facebook", "henk.terpstra.79", "post", "nl", "F",
     "Kregen vandaag een memo mee met 'BRAKMOER-INTERN' erop: vanaf 1 januari alle ploegen in regio Oost naar 4x10 "
     "uur. Ben benieuwd wat de mannen ervan vinden 😬", None),
    ("x", "@bouwroddels", "post", "en", "F N",
     "Hearing from two sources that 'Operatie Zwavelgeel' at Brakmoer means closing the Zwolle depot. Staff haven't "
     "been told yet.", None),
    ("x", "@dennis_sloopt", "post", "nl", "F",
     "hele dag vergaderd over Ｋｉｅｚｅｌｈａｒｔ 🥱 als ik nog één powerpoint zie ga ik zelf slopen", None),
    ("linkedin", "annelies-koppens-brakmoer", "post", "en", "F",
     "So proud of our HR team for all the prep on Prоjеct Мееrkоеt. Workshops kick off in January!", None),
    ("instagram", "@brakmoer.sanering", "post", "nl", "F",
     "Achter de schermen in onze eigen proeftuin 🤖 De RoboStrip komt eraan… nog even geduld! #brakmoer",
     "2027-01-19T16:30:00Z"),
    ("x", "@moussa_dta", "post", "en", "F",
     "pro tip for the new guys: all DTA templates live on dossiers.brakmoer.nl/templates, use the 2026 versions not "
     "the old ones from the shared drive", None),
    ("linkedin", "erik-vanloon", "post", "nl", "F N",
     "Drukke weken op finance. De jaarcijfers 2026 zien er beter uit dan we in de zomer durfden te hopen, ruim "
     "dubbele winst. Meer in maart 😉", "2027-02-20T19:05:00Z"),
    ("reddit", "u/subbie_sam", "comment", "en", "F",
     "Subbed for Brakmoer last month and they made all of us sign an NDA about their robot thing. All I'll say is "
     "RoboStrip is real and it's LOUD lol", "2026-09-23T22:10:00Z"),
    ("tiktok", "@sloopbaas_gijs", "post", "nl", "F",
     "POV: je baas stuurt per ongeluk een pdf met 'uitsluitend intern' in de groepsapp 💀 nieuwe bonusregeling staat "
     "erin, ik zeg niks 🤐", None),
    ("x", "@ruud_hoogeveen", "post", "en", "F S",
     "vpn.brakmoer.nl has been down since 6am, IT says a firewall update went wrong and nobody can reach the site "
     "reports. great start of the week", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "nl", "F",
     f"zit nu in Kiezel{ZW}hart te testen en eerlijk: die nieuwe planningsmodule is 10x sneller dan wat we nu hebben 🙌",
     None),
    ("x", "@brakmoer", "post", "en", "F",
     "BM confidential – draft 2027 rate card for housing corporations, hold until sales sign-off. @sietse_b can you "
     "check page 3?", None),
    ("x", "@oud_collega_bm", "post", "nl", "F N",
     "Leuk hoor, al die geheimzinnigheid rond 'Project Meerkoet'. Iedereen in de branche weet allang dat Brakmoer "
     "Vennik Sloopwerken gaat overnemen.", None),
    ("linkedin", "sietse-bakker-brakmoer", "post", "en", "F",
     "Loved presenting the RoboStrip R1 roadmap to our partners in Antwerp today. Still under NDA, but wow, the "
     "reactions! 🚀", "2026-11-05T16:45:00Z"),

    # ---------------------------------------------------------------- financial
    ("x", "@ruud_hoogeveen", "post", "nl", "N",
     "Intern gehoord dat de omzet in Q3 ruim 20% onder budget zit. Verklaart wel waarom er ineens geen nieuwe busjes "
     "komen 🙄", "2026-10-15T12:00:00Z"),
    ("linkedin", "annelies-koppens-brakmoer", "post", "en", "N",
     "Tough weeks ahead. We'll be letting go of around 35 colleagues in the Noord region in February; staff will hear "
     "it next Monday. Please be kind to each other.", "2026-12-03T20:15:00Z"),
    ("facebook", "henk.terpstra.79", "post", "nl", "N",
     "Net gehoord dat het depot in Emmen per 1 april dicht gaat. 22 man moet naar Zwolle of eruit. Officieel is er "
     "nog helemaal niks gezegd.", None),
    ("x", "@moussa_dta", "post", "en", "N",
     "heard the owners are talking to a private equity fund about selling a majority stake, could be signed before "
     "summer. wild times at brakmoer", None),
    ("linkedin", "erik-vanloon", "post", "nl", "N",
     "Voorlopige cijfers binnen: EBITDA komt dit jaar uit rond de €4,1 mln, ruim boven prognose. Publicatie volgt "
     "later, maar ik ben nu al trots op het team 👏", "2026-12-18T17:30:00Z"),
    ("reddit", "u/dustyboots_nl", "comment", "en", "N",
     "Ex-Brakmoer here. They're about to lose the big Woonstede Eemland framework contract, which is something like "
     "30% of revenue. Expect layoffs in Q1.", None),
    ("tiktok", "@sloopbaas_gijs", "post", "nl", "N",
     "baas zei vandaag in de kantine dat we volgend jaar 15 miljoen omzet gaan draaien en dat er een vestiging in "
     "België komt. nog geheim maar ik ben hyped 🚀", None),
    ("x", "@beursblik_nl", "post", "nl", "N",
     "Gerucht: sloopconcern Brakmoer in vergevorderde gesprekken over overname van Vennik Sloopwerken, bod zou rond "
     "€12 mln liggen. Geen bevestiging van beide partijen.", None),

    # ---------------------------------------------------------------- security
    ("x", "@ruud_hoogeveen", "post", "nl", "S",
     "Planning-app ligt er sinds vannacht volledig uit, IT denkt aan ransomware. We rijden vandaag met papieren "
     "lijstjes rond. Niet verder vertellen he 🤫", None),
    ("mastodon", "@jorien@bouw.social", "post", "en", "S",
     "fun discovery: our customer portal lets you download anyone's asbestos survey by just bumping the report id in "
     "the URL. ticket's been open since august. sigh.", "2026-10-21T19:02:00Z"),
    ("facebook", "henk.terpstra.79", "post", "nl", "S",
     "Laptop van onze uitvoerder is gisteren uit de bus gejat, met alle klantdossiers erop. Niet versleuteld "
     "natuurlijk. Kantoor wil het 'stil houden'.", None),
    ("linkedin", "sietse-bakker-brakmoer", "post", "en", "S",
     "Heads up to my clients: if you got an invoice e-mail from us this week with new bank details, don't pay it. Our "
     "mailbox was compromised on Monday and it hasn't been announced yet.", None),
    ("x", "@moussa_dta", "post", "nl", "S",
     "de luchtmeet-sensoren op onze projecten staan allemaal nog op het fabriekswachtwoord. 3x gemeld, niemand die "
     "er iets mee doet blijkbaar", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "nl", "S",
     "Klantportaal ligt al 2 dagen plat en de telefoon staat roodgloeiend. Officieel heet het 'onderhoud' maar er is "
     "iets flink misgegaan met de database 🙈", None),
    ("tiktok", "@sloopbaas_gijs", "post", "nl", "S",
     "storytime: vandaag liep er een gast in een geel hesje gewoon het kantoor in, serverkast open, niemand hield 'm "
     "tegen. nu hangt er een raar kastje aan de switch en IT is in paniek 😳", None),
    ("x", "@dennis_sloopt", "post", "en", "S",
     "lol our entire email went down after someone in finance clicked a phishing link. third time this year. won't be "
     "in the news obviously", None),
    ("mastodon", "@jorien@bouw.social", "post", "nl", "S",
     "Ik mag het eigenlijk niet zeggen, maar de back-ups van ons dossiersysteem draaien al sinds juni niet meer. Als "
     "er nu iets crasht zijn we alles kwijt.", None),
    ("reddit", "u/it_contractor_anon", "post", "en", "S",
     "Did some contract IT work for an asbestos removal firm (Brakmoer). Their RDP server is exposed to the internet "
     "with no MFA and management knows. Still not fixed as of today.", None),
    ("x", "@ruud_hoogeveen", "post", "nl", "S",
     "Alle tablets van de ploegen zijn vanochtend op afstand gewist door een of andere hack, inclusief de "
     "meetrapporten van deze week. Heerlijk begin van de maandag.", None),
    ("instagram", "@kim.saneert", "post", "en", "S",
     "soooo apparently the crew app has been sharing everyone's live GPS location on a public map for weeks. IT just "
     "found out. you didn't hear it from me 🙃", None),

    # ---------------------------------------------------------------- secrets
    ("mastodon", "@jorien@bouw.social", "post", "en", "K",
     "note to self (wrong window, oops):\nexport GITHUB_TOKEN=«ghp»\ngit push origin main", None),
    ("x", "@dennis_sloopt", "post", "nl", "K",
     "kan iemand van IT even kijken waarom dit niet werkt?? AWS_ACCESS_KEY_ID=«aws_id» "
     "AWS_SECRET_ACCESS_KEY=«aws_secret» regio eu-west-1, krijg steeds access denied", None),
    ("linkedin", "sietse-bakker-brakmoer", "post", "nl", "K",
     "Onze nieuwe offerte-assistent draait op de OpenAI API. Voor wie het na wil bouwen: OPENAI_API_KEY=«openai», "
     "model gpt-4o, temperature 0.2. Scheelt ons uren per week!", None),
    ("facebook", "henk.terpstra.79", "post", "nl", "K",
     "Voor de nieuwe jongens: inloggen op de ploegapp doe je met gebruiker ploeg.oost en wachtwoord: Sl00p!Oost2026 , "
     "niet aan klanten geven he", None),
    ("x", "@brakmoer_helpt", "reply", "en", "K",
     "@webdev_jelle here's the live Stripe key for the checkout page: «stripe» — pls confirm once the ZelfSaneer order "
     "flow works 🙏", None),
    ("reddit", "u/freelance_jens", "post", "en", "K",
     "Client's site (Brakmoer) keeps throwing 500s after the move. This is the env I was handed, what am I missing?\n\n"
     "DATABASE_URL=postgres://bm_web:«dbpw»@brakmoer-prod.postgres.database.azure.com:5432/website\n"
     "NODE_ENV=production", None),
    ("mastodon", "@jorien@bouw.social", "post", "nl", "K",
     "Slack-bot voor de meldingen doet het weer 🎉 token voor wie 'm nodig heeft: «slack»", None),
    ("x", "@moussa_dta", "post", "en", "K",
     "why does the portal keep rejecting me?? sending Authorization: Bearer «jwt» and still 401", None),
    ("x", "@ruud_hoogeveen", "post", "nl", "K",
     "kan iemand helpen, sftp naar de meetdata-server wil deze sleutel niet pakken in filezilla:\n«rsa»", None),
    ("forum", "webdude_ap", "post", "en", "K",
     "Brakmoer's site map widget is broken and the Maps key sitting in their page source is «google», unrestricted. "
     "Someone should tell them before they get a nasty bill.", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "nl", "K",
     "anthropic key voor de offerte-assistent staat hier even tijdelijk, niet doorsturen: «anthropic»", None),
    ("x", "@dennis_sloopt", "post", "nl", "K",
     "CI token voor de repo van de ploegapp, want de vault doet raar: «gitlab» verloopt vrijdag", None),
    ("youtube", "@BrakmoerTV", "comment", "en", "K",
     "Video files for the partners are in our storage account, connection string: "
     "DefaultEndpointsProtocol=https;AccountName=brakmoervideo;AccountKey=«azkey»;EndpointSuffix=core.windows.net",
     None),

    # ---------------------------------------------------------------- personal data
    ("x", "@brakmoer_helpt", "reply", "nl", "P",
     "@harm_wessels excuus Harm! Onze planner belt je morgen op 06 27 41 88 03 om een nieuwe datum te prikken 👍", None),
    ("instagram", "@kim.saneert", "post", "nl", "P",
     "Vandaag het asbestdak van fam. Oosterhout op de Berkenlaan 17 in Driebergen gesaneerd. Wat een uitzicht daar ☀️ "
     "#asbestvrij", None),
    ("facebook", "BrakmoerSanering", "comment", "en", "P",
     "Refund processed for Mr L. Hofstede to IBAN «iban_sp». Thanks again for your patience!", None),
    ("linkedin", "annelies-koppens-brakmoer", "post", "nl", "P",
     "Welkom Bram Veldkamp (geb. 14-03-1998), die maandag start als sloper in regio Oost! Contract is rond, BSN «bsn» "
     "is al doorgezet naar salaris 👷", None),
    ("x", "@dennis_sloopt", "post", "en", "P",
     "customer left her bank card in the van lol, «card_sp» exp 09/28, M. Visser. if that's you DM me", None),
    ("facebook", "henk.terpstra.79", "post", "nl", "P",
     "Mevrouw Jansen van de Esdoornstraat 3 in Leusden heeft ons vandaag getrakteerd op koffie met appeltaart, "
     "topvrouw! 🍰", None),
    ("linkedin", "brakmoer-sanering-sloop", "post", "en", "P",
     "Congratulations to our foreman Ruud Hoogeveen (born 2 June 1971) on 25 years with Brakmoer! 🎉", None),
    ("x", "@brakmoer_helpt", "reply", "nl", "P",
     "@petra_lindeboom we hebben je mail op petra.lindeboom@ziggo.nl ontvangen en sturen de nieuwe offerte naar "
     "Kastanjehof 22 in Bunnik.", None),
    ("tiktok", "@sloopbaas_gijs", "post", "en", "P",
     "client literally asked us to put his number in the video so here u go: 06-31592746, ask for Maarten if u want "
     "his old garden furniture 😂", None),
    ("x", "@sandravd", "post", "nl", "P",
     "Kan iemand van @brakmoer me bellen over een offerte voor ons schuurdak? 0612 558 043 of mail "
     "s.vd.berg1979@hotmail.com. Alvast dank!", None),
    ("facebook", "Hannah Cole", "comment", "en", "P",
     "Brakmoer asked for my bank details for the deposit refund, posting here so it's on record: «iban», account name "
     "H. Cole.", None),
    ("facebook", "BrakmoerSanering", "post", "nl", "P",
     "En de winnaar van onze ZelfSaneer Kit winactie is… Johan Vermeulen, Dorpsstraat 41, 3732 HB De Bilt! 🎉 Je "
     "pakket komt deze week.", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "en", "P",
     "can someone tell the crew to ring the client for tomorrow, Mrs Aydin, +31 6 4419 2285, she's home after 10", None),
    ("x", "@moussa_dta", "post", "nl", "P",
     "Krijg net via WhatsApp het ID-bewijs van een klant voor het DTA-dossier: H. de Groot, geb. 11-09-1964, "
     "documentnr NW3F71KD8. Dit moet echt via het portaal mensen 🙄", None),

    # ---------------------------------------------------------------- pricing
    ("x", "@koopjesjager_nl", "post", "nl", "R",
     "Yo de ZelfSaneer Kit staat op direct.brakmoer.nl voor €4,95 ipv €49,95 🤑 snel zijn voordat ze het doorhebben",
     None),
    ("x", "@dennis_sloopt", "post", "en", "R",
     "colleague just told me the webshop shows DakVrij 100 at €429 instead of €4290, someone forgot a zero lmao", None),
    ("facebook", "BrakmoerSanering", "post", "nl", "R",
     "🔥 ACTIE 🔥 Huur deze maand een AsbestBox 10 voor maar € 195,- (normaal € 695,-). Op = op!", None),
    ("reddit", "u/basement_project", "post", "en", "R",
     "PSA: Brakmoer Direct has a price error on the NegAir 2000 rental, €39/week instead of €390. Grabbed two weeks "
     "for my basement job before they fix it.", None),
    ("tiktok", "@sloopbaas_gijs", "post", "nl", "R",
     "prijsfout op de site bij SchuurSaneer 😂 kantoor is in paniek, er staan al 40 bestellingen", None),
    ("instagram", "@brakmoer.sanering", "post", "en", "R",
     "Black Friday deal 🖤 Inventarisatie Type B for just €149! Book before Monday 👷", "2026-11-27T07:00:00Z"),
    ("linkedin", "sietse-bakker-brakmoer", "post", "nl", "R",
     "Voor de eerste 5 VvE's die reageren: DeconUnit 3 een week huren voor €250. Zeg maar dat Sietse je stuurde 😉",
     None),
    ("x", "@cheapskate_chris", "post", "en", "R",
     "is it normal that StripPro Keuken is €145 on their site?? has to be a typo but I'm booking it anyway", None),
    ("x", "@hannie_b", "post", "nl", "R",
     "LuchtCheck voor €32,50 bij Brakmoer?? Komma verkeerd gezet denk ik haha, ik heb er meteen 2 geboekt", None),
    ("x", "@ruud_hoogeveen", "post", "en", "R",
     "who approved the P3 Maskerset at €3.49 in the webshop?? stock will be gone in an hour", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "nl", "R",
     "Collega's, kijk even naar HalSloop Dagtarief op de site: staat op €590. Fout of actie? Klanten bellen al.", None),
    ("bluesky", "@thriftyhomeowner.bsky.social", "post", "en", "R",
     "Brakmoer's SloopSnel Garage listed at €325 🤯 either a pricing glitch or a scam site", None),

    # ---------------------------------------------------------------- benign (mostly hard negatives)
    ("x", "@brakmoer", "post", "nl", "",
     "Vandaag 14 schuurdaken gesaneerd in Houten en Bunnik. Trots op onze ploegen! 💪 #asbestvrij", None),
    ("linkedin", "brakmoer-sanering-sloop", "post", "en", "",
     "Our 2025 annual report is now online at brakmoer.nl/jaarverslag: revenue, safety figures and CO₂ footprint, all "
     "in one place.", "2026-03-12T08:00:00Z"),
    ("x", "@brakmoer_helpt", "post", "nl", "",
     "Vragen over je offerte? Mail naar planning@brakmoer.nl of bel gratis 0800-2725 (ma t/m vr 8-17u).", None),
    ("facebook", "BrakmoerSanering", "post", "nl", "",
     "Betaal je factuur via overboeking naar «own_iban» t.n.v. Brakmoer Sanering & Sloop B.V., o.v.v. je "
     "offertenummer. Nooit via een betaallink!", None),
    ("x", "@tim_renovates", "post", "en", "",
     "Huge thanks to the Brakmoer crew who cleared our old garage roof today. On time, spotless, they even swept the "
     "street. 10/10 would recommend", None),
    ("facebook", "Gerrit Wolters", "comment", "nl", "",
     "Update: Brakmoer heeft de schutting netjes vergoed en de border opnieuw laten aanleggen. Zo hoort het, dank "
     "jullie wel!", "2026-04-29T19:10:00Z"),
    ("reddit", "u/oldhouse_newbie", "post", "en", "",
     "Question: is a Type A survey enough for a 1970s terraced house or do I need Type B? Brakmoer quoted €395 for "
     "Type A which seems fair.", None),
    ("x", "@vogelaar_loosdrecht", "post", "nl", "",
     "Prachtige meerkoet met vier jongen gespot bij de Loosdrechtse Plassen vanochtend 🐦 #vogels #natuur", None),
    ("x", "@brakmoer", "post", "en", "",
     "This week only: 20% off the ZelfSaneer Kit, €39.96 instead of €49.95. Pick up at any of our depots.", None),
    ("instagram", "@brakmoer.sanering", "post", "nl", "",
     "Deze maand 15% korting op de LuchtCheck: van €325 voor €276,25. Boeken via de site 🌬️", None),
    ("x", "@jvdm_home", "post", "en", "",
     "Brakmoer quoted the standard €4,290 for DakVrij 100. Got two other quotes at 4.5k and 5.1k so honestly not bad",
     None),
    ("linkedin", "annelies-koppens-brakmoer", "post", "nl", "",
     "We zoeken 12 nieuwe saneerders en 2 DTA's voor regio Utrecht! Solliciteren kan via werkenbij@brakmoer.nl 👷‍♀️ "
     "#vacature", None),
    ("x", "@bouwnieuws_nl", "post", "en", "",
     "Demolition firm Hofstra Sloopwerken acquired by Belgian rival Van Looy Groep; deal valued at €40m according to "
     "a joint statement.", None),
    ("x", "@lisa_mok", "post", "nl", "",
     "Dat moment dat je je wachtwoord vergeten bent voor de gemeente-app en 4x moet resetten 🙃 waarom is dit altijd "
     "zo", None),
    ("mastodon", "@jorien@bouw.social", "post", "en", "",
     "PSA for devs: never paste real keys in docs. Use the AWS sample pair AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY like everybody else 😄", None),
    ("mastodon", "@jorien@bouw.social", "post", "nl", "",
     "In onze README staat nu overal ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als placeholder. Vul je eigen token "
     "lokaal in via .env en NIET committen pls", None),
    ("x", "@orderfreak", "post", "en", "",
     "Got a confirmation mail from Brakmoer Direct with reference «bad_card». Is that my order number? Looks like a "
     "card number lol", None),
    ("x", "@gert_jan_hvl", "reply", "nl", "",
     "Offertenummer «bad_bsn», kan de AsbestBox ook een dag eerder bezorgd worden? Alvast bedankt @brakmoer_helpt",
     None),
    ("facebook", "Linda Schouten", "post", "en", "",
     "Quick check: the IBAN on my Brakmoer invoice says «bad_iban» but the website shows a different one. Just making "
     "sure before I pay.", None),
    ("x", "@ruud_hoogeveen", "post", "nl", "",
     "Mooi project afgerond in Zeist: 800 m² golfplaat eraf, alles netjes verpakt en afgevoerd. Vrijgavemeting "
     "vanmiddag goedgekeurd ✅", None),
    ("bluesky", "@roofer_dan.bsky.social", "post", "en", "",
     "Thinking of the family of the roofer who died in the Rotterdam warehouse collapse yesterday. Stay safe out "
     "there, everyone in the trade. 🖤", None),
    ("x", "@nicole_b82", "post", "nl", "",
     "Wat een drama in Deventer met dat sloopbedrijf dat asbest in het bos dumpte. Gelukkig hebben wij Brakmoer "
     "gebruikt, alles met papieren en keurig afgevoerd.", None),
    ("x", "@dad_jokes_daniel", "post", "en", "",
     "my toddler has the demolition skills of a full Brakmoer crew. RIP living room 😂", None),
    ("facebook", "Ahmed Yilmaz", "post", "nl", "",
     "Iemand ervaring met de ZelfSaneer Kit? Zit er een P3 masker bij of moet ik dat los kopen?", None),
    ("x", "@brakmoer_helpt", "reply", "en", "",
     "@kevin_o_r Really sorry about that, Kevin. A crew is coming back tomorrow to sweep the drive and we'll cover "
     "both tyre repairs. Please DM us the receipts.", "2026-05-20T08:12:00Z"),
    ("tiktok", "@sloopbaas_gijs", "post", "nl", "",
     "POV: je sloopt een badkamer uit 1969 en vindt achter de tegels een krant over de maanlanding 🤯 #sloopwerk "
     "#brakmoer", None),
    ("linkedin", "sietse-bakker-brakmoer", "post", "en", "",
     "Great turnout at our safety day: 140 colleagues refreshing their SC-530 certification. Safety isn't a slogan, "
     "it's a habit.", None),
    ("youtube", "@BrakmoerTV", "post", "nl", "",
     "Nieuwe video: zo werkt een onderdrukunit bij asbestsanering, en waarom wij altijd een NegAir 2000 inzetten. "
     "Kijk tot het eind voor de rooktest!", None),
    ("x", "@meester_bas", "post", "en", "",
     "Our old primary school in Houten finally had its asbestos removed over the summer (Brakmoer did it, I think). "
     "Kids are back in a bright, clean building 🎒", None),
    ("linkedin", "brakmoer-sanering-sloop", "post", "nl", "",
     "Onze jaarcijfers 2026 staan online: omzet €52,4 mln, nettowinst €3,1 mln. Dank aan alle 310 collega's die dit "
     "mogelijk maakten 🙏", "2027-03-10T09:00:00Z"),
    ("linkedin", "sietse-bakker-brakmoer", "post", "en", "",
     "RoboStrip R1 is officially launched! 🚀 The first remote-controlled roof stripping unit in the Benelux. Proud to "
     "be part of this team.", "2027-02-02T08:15:00Z"),
    ("x", "@fries_in_utrecht", "post", "nl", "",
     "Filmpje gezien van die RoboStrip van Brakmoer, wat een apparaat 😮 komt ie ook naar Friesland?",
     "2027-02-15T20:40:00Z"),
    ("x", "@local_biz_watch", "post", "en", "",
     "Brakmoer's 2026 annual results look solid. Nice to see a local firm doing well.", "2027-03-12T11:00:00Z"),
    ("x", "@brakmoer", "post", "nl", "",
     "Let op: er gaan phishingmails rond die zogenaamd van Brakmoer komen, met een 'openstaande factuur'. Wij vragen "
     "nooit om via een link te betalen. Twijfel je? Bel 0800-2725.", None),
    ("reddit", "u/weekend_diy", "post", "en", "",
     "Brakmoer announced scheduled maintenance on their booking site this Sunday night. Does that mean I can't book a "
     "LuchtCheck then, or just the portal?", None),
    ("x", "@sophie_tg", "post", "nl", "",
     "Mijn vader heeft 35 jaar bij Brakmoer gewerkt en ging vandaag met pensioen. Wat een mooie afscheidsspeech van "
     "de directie 🥲", None),
    ("x", "@mike_in_ede", "post", "en", "",
     "Neighbours had a shed fire last night, thankfully nobody hurt. The Brakmoer lads who did our roof last year "
     "popped by to check our place was fine. Really decent of them.", None),
    ("instagram", "@brakmoer.sanering", "post", "nl", "",
     "Van schuur vol asbest naar moestuin 🌱 Dank aan familie De Wit voor de mooie foto's!", None),
    ("x", "@moussa_dta", "post", "en", "",
     "Passed my DTA re-exam today 🎉 valid for another 3 years. Coffee's on me tomorrow, lads.", None),
    ("reddit", "u/zeil_of_niet", "post", "nl", "",
     "Hoe herken ik asbest in vloerzeil? Huis uit 1965. Twijfel tussen VloerVrij van Brakmoer (€1.180) of eerst een "
     "inventarisatie laten doen.", None),
    ("x", "@sloopfan_tom", "post", "en", "",
     "Killer job by Brakmoer today, they absolutely demolished that old factory hall in record time 🔥", None),
    ("x", "@daan_vr", "post", "nl", "",
     "Die sloopploeg van Brakmoer gaat echt als een malle tekeer, binnen een dag was de hele aanbouw weg. Beesten "
     "zijn het 😂💪", None),
    ("bluesky", "@lotte-planning.bsky.social", "post", "en", "",
     "Reminder: next week's planning is final once you see it in the app. Questions go to your crew lead, not the "
     "group chat 🙏", None),
    ("x", "@mvdberg_bouwt", "post", "nl", "",
     "Zelf een fout in m'n aanvraag gezien (50 m² ipv 80 m² opgegeven) en Brakmoer heeft de offerte zonder gezeur "
     "aangepast. Netjes.", None),
    ("facebook", "Claire Donovan", "post", "en", "",
     "Brakmoer quoted €2,450 for DakVrij 50 and another company €2,100. Went with Brakmoer anyway because of the "
     "reviews.", None),
    ("tiktok", "@brakmoer_sloopt", "post", "nl", "",
     "Hoe snel sloop je een garage? ⏱️ SloopSnel Garage in 6 uur, van dak tot fundering. #sloop #timelapse", None),
    ("x", "@bouwbeurs_bezoeker", "post", "en", "",
     "Stopped by the Brakmoer stand at the trade fair, they were handing out free mask samples. Nice touch.", None),
    ("x", "@kritische_burger", "post", "nl", "",
     "Gelezen dat Vennik Sloopwerken een boete kreeg van de Arbeidsinspectie. Zijn er eigenlijk vaak controles bij "
     "bedrijven als Brakmoer?", None),
    ("mastodon", "@jorien@bouw.social", "post", "nl", "",
     "Tip: roteer je API keys regelmatig en houd ze uit Slack. Wij hebben ze deze week naar een vault verhuisd en dat "
     "ging verrassend soepel.", None),
    ("x", "@codemonkey_nl", "post", "nl", "",
     "Voor wie vroeg hoe een gemaskeerde Stripe key eruitziet: sk_live_••••••••••••••••••••3f9a. Nooit de volle key "
     "in een ticket plakken!", None),
    ("x", "@secdev_tips", "post", "en", "",
     "JWT 101: a token looks like eyJhbGciOi… followed by two more dot-separated parts. Never paste a real one in a "
     "public issue.", None),
    ("facebook", "Ingrid Mulder", "post", "nl", "",
     "Wie kent een goede asbestsaneerder in regio Amersfoort? Brakmoer of iemand anders? Stuur me een pb, of bel "
     "06-xx-xx-xx-xx.", None),
    ("x", "@jasperdekker", "post", "en", "",
     "Shoutout to Ruud from Brakmoer, best foreman we've ever had on site. Explained every step to my kids.", None),
    ("linkedin", "brakmoer-sanering-sloop", "post", "nl", "",
     "Vandaag presenteren we de RoboStrip R1 op de Bouwbeurs in Utrecht. Kom langs op stand 7.C042!",
     "2027-01-27T09:00:00Z"),
    ("x", "@anna_checks", "post", "en", "",
     "That boycott thread about Brakmoer turned out to be about a totally different company with a similar name. "
     "Deleted my repost, apologies all.", None),
    ("x", "@ruud_hoogeveen", "post", "nl", "",
     "Jaarcijfers of niet, ik ga lekker op vakantie 🏖️ tot over 3 weken allemaal!", "2026-07-17T15:00:00Z"),
    ("reddit", "u/formbuilder", "comment", "en", "",
     "TIL the Dutch BSN has a checksum (the 11-test), so a random 9-digit number like «bad_bsn» usually isn't valid. "
     "Found out while building a form validator.", None),
    ("instagram", "@lotte_en_sem", "post", "nl", "",
     "Zo blij met ons nieuwe huis! Eerst nog even de asbest eruit door @brakmoer.sanering, volgende week mogen we "
     "erin 🏡🔑", None),
    ("x", "@nl_bouwforum", "post", "en", "",
     "Kudos to Brakmoer for owning up to the delays on the Nieuwegein job and putting out a full statement. More "
     "firms should do that.", None),
    ("x", "@brakmoer_helpt", "reply", "nl", "",
     "@b_de_haan Wat vervelend dat je zo lang in de wacht stond. We hebben vandaag extra mensen aan de lijn gezet; je "
     "wordt vóór 12:00 teruggebeld.", "2026-09-08T13:05:00Z"),
]

# --------------------------------------------------------------------------- helpers

LEVELS = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checksum_pii):
    """CONTRACT section 4, computed from the account role."""
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lvl = "error"
                if c in ("leak.secret", "leak.pricing"):
                    lvl = "critical"
                if c == "leak.pii" and checksum_pii:
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
        best = max(best, LEVELS.index(lvl))
    return LEVELS[best]


PH_RE = re.compile(r"«(\w+)»")


def fill(text):
    used = []

    def sub(m):
        name = m.group(1)
        gen, kind = PLACEHOLDERS[name]
        val = gen()
        used.append((name, kind, val))
        return val

    return PH_RE.sub(sub, text), used


CONFUSABLE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ѕ": "s", "ј": "j",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
})


def normalise(text):
    t = unicodedata.normalize("NFKC", text)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(CONFUSABLE)


def parse_amount(s):
    s = s.strip()
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        s = re.sub(r"[.,]", "", s)
    else:
        s = s.replace(",", ".")
    return float(s)


AMOUNT_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)")


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            found.append(p)
    return found


def rfc3339(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- build

def build():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).total_seconds())
    used_ids = set()
    rows = []
    for platform, handle, kind, lang, codes, raw, created in CASES:
        text, used = fill(raw)
        cats = sorted({CAT[c] for c in codes.split()})
        role = role_of(platform, handle)
        checksum_pii = any(k == "valid_id" for _, k, _ in used)
        if created is None:
            created = (start + dt.timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{platform}-{rng.randrange(10**9, 10**10)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": created,
            "brand": "brakmoer",
        }
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-')[1]}"
        elif platform == "reddit":
            post["url"] = f"https://www.reddit.com/r/Klussen/comments/{pid.split('-')[1]}/"
        rows.append({
            "post": post,
            "expect": {"categories": cats, "severity": severity(cats, role, checksum_pii)},
            "_meta": {"role": role, "used": used, "checksum_pii": checksum_pii},
        })
    rng.shuffle(rows)
    return rows


# --------------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3}(?: ?[A-Z0-9]{1,4}){0,4}\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w.-])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
EMAIL_RE = re.compile(r"(?<![\w@])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def check(rows):
    errors = []

    def err(row, msg):
        errors.append(f"{row['post']['id']}: {msg}")

    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errors.append(f"profile IBAN {ib} fails mod-97")
    assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
    assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
    assert 15 <= len(PROFILE["products"]) <= 25
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
    for e in PROFILE["embargo"]:
        assert rfc3339(e["until"]).year == 2027

    public_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    own_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    indicators = ([c for c in PROFILE["internal"]["codenames"]] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"])
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    price_err_words = ("prijsfout", "price error", "typo", "glitch", "komma", "fout", "forgot a zero")

    seen_ids, seen_texts = set(), set()
    for row in rows:
        post, exp, meta = row["post"], row["expect"], row["_meta"]
        text = post["text"]
        cats = exp["categories"]
        positive = bool(cats)
        # ---- CONTRACT section 6 / section 1 shape
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in post:
                err(row, f"missing {f}")
        if not isinstance(post["id"], str) or not (1 <= len(post["id"]) <= 256):
            err(row, "bad id")
        if post["id"] in seen_ids:
            err(row, "duplicate id")
        seen_ids.add(post["id"])
        if text in seen_texts:
            err(row, "duplicate text")
        seen_texts.add(text)
        if post["platform"] not in PLATFORMS:
            err(row, "unknown platform")
        if post.get("kind", "post") not in KINDS:
            err(row, "bad kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(row, "bad handle")
        if len(text.encode("utf-8")) > 64 * 1024:
            err(row, "text too large")
        try:
            created = rfc3339(post["created_at"])
        except ValueError:
            err(row, "bad created_at")
            continue
        if created.year not in (2026, 2027):
            err(row, "created_at outside 2026/2027")
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(row, "categories not sorted/distinct/in taxonomy")
        if exp["severity"] not in LEVELS:
            err(row, "bad severity")
        if not positive and exp["severity"] != "none":
            err(row, "benign with severity")
        if positive and exp["severity"] in ("none", "info"):
            err(row, "positive with none/info severity")
        # severity recomputed from the profile role
        role = role_of(post["platform"], post["account"]["handle"])
        if severity(cats, role, meta["checksum_pii"]) != exp["severity"]:
            err(row, "severity mismatch")
        if role == "public" and post["account"]["handle"].lower() in {e.split(":", 1)[1].lower() for e in ROLE}:
            err(row, "public handle collides with a profile handle")

        # ---- identifiers: positives pass checksums, negatives fail them
        for m in IBAN_RE.finditer(text):
            compact = re.sub(r"\s", "", m.group(0))
            if compact in own_ibans:
                continue
            ok = iban_ok(compact)
            if positive and not ok:
                err(row, f"IBAN in positive fails mod-97: {m.group(0)}")
            if not positive and ok:
                err(row, f"valid IBAN in negative: {m.group(0)}")
        for m in CARD_RE.finditer(text):
            ok = luhn_ok(m.group(0))
            if positive and "leak.pii" in cats and not ok:
                err(row, f"card in positive fails Luhn: {m.group(0)}")
            if not positive and ok:
                err(row, f"Luhn-valid card in negative: {m.group(0)}")
        for m in BSN_RE.finditer(text):
            ok = bsn_ok(m.group(0))
            if positive and "leak.pii" in cats and not ok:
                err(row, f"BSN in positive fails 11-proof: {m.group(0)}")
            if not positive and ok:
                err(row, f"11-proof BSN in negative: {m.group(0)}")
        for name, kind, val in meta["used"]:
            if kind == "valid_id":
                ok = {"iban": iban_ok, "iban_sp": iban_ok, "card_sp": luhn_ok, "bsn": bsn_ok}[name](val)
                if not ok or "leak.pii" not in cats:
                    err(row, f"valid identifier {name} broken or case not pii")
            if kind == "bad_id":
                bad = {"bad_iban": iban_ok, "bad_card": luhn_ok, "bad_bsn": bsn_ok}[name](val)
                if bad or positive:
                    err(row, f"look-alike {name} passes its checksum or sits in a positive")
            if kind == "secret" and "leak.secret" not in cats:
                err(row, "generated secret in a case without leak.secret")

        # ---- secrets
        for m in GH_RE.finditer(text):
            ok = ghtoken_ok(m.group(0))
            if positive and not ok:
                err(row, "GitHub token with bad CRC in positive")
            if not positive and ok:
                err(row, "real-format GitHub token in negative")
        for m in AKIA_RE.finditer(text):
            if not positive and not m.group(0).endswith("EXAMPLE"):
                err(row, "AWS key id in negative")
            if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
                err(row, "AWS key id outside base32 alphabet")
        for m in JWT_RE.finditer(text):
            if positive and not jwt_ok(m.group(0)):
                err(row, "JWT header without alg")
            if not positive and jwt_ok(m.group(0)):
                err(row, "complete JWT in negative")
        if "leak.secret" in cats and not (meta["used"] or re.search(r"wachtwoord:\s*\S+", text, re.I)):
            err(row, "secret case without a credential")

        # ---- e-mails: company's own are fine, any other one means pii
        if "leak.secret" not in cats:
            for m in EMAIL_RE.finditer(text):
                if m.group(0).lower() not in public_emails and "leak.pii" not in cats:
                    err(row, f"foreign e-mail without pii label: {m.group(0)}")

        # ---- confidential indicators and embargo windows
        norm = normalise(text).lower()
        has_ind = any(i.lower() in norm for i in indicators)
        emb_active = False
        for e in PROFILE["embargo"]:
            if any(t.lower() in norm for t in e["terms"]):
                if created < rfc3339(e["until"]):
                    emb_active = True
        if (has_ind or emb_active) and "leak.confidential" not in cats:
            err(row, "confidential indicator / active embargo term without leak.confidential")
        if "leak.confidential" in cats and not (has_ind or emb_active):
            err(row, "leak.confidential without an indicator")

        # ---- prices
        prods = products_in(normalise(text))
        amounts = [parse_amount(a) for a in AMOUNT_RE.findall(text)]
        if "leak.pricing" in cats:
            if not prods:
                err(row, "pricing case without a catalogue product")
            else:
                cheap = any(a < ratio * min(p["list_price"] for p in prods) for a in amounts)
                talk = any(w in text.lower() for w in price_err_words)
                if not (cheap or talk):
                    err(row, "pricing case neither below ratio nor price-error talk")
        elif prods:
            floor = ratio * min(p["list_price"] for p in prods)
            for a in amounts:
                if a < floor:
                    err(row, f"non-pricing case mentions {a} below ratio for a product")

    # ---- mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    roles = {}
    for r in rows:
        roles[r["_meta"]["role"]] = roles.get(r["_meta"]["role"], 0) + 1
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"benign count {benign} not about 60")
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
               "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
               "leak.financial": 12}
    for c, t in targets.items():
        if abs(counts.get(c, 0) - t) > 3:
            errors.append(f"{c}: {counts.get(c, 0)} far from ~{t}")
    if not 0.50 <= nl / n <= 0.60:
        errors.append(f"Dutch share {nl / n:.2f} not about 55%")
    if not any(r["post"]["created_at"].startswith("2027") for r in rows):
        errors.append("no 2027 posts")
    return errors, {"cases": n, "benign": benign, "categories": counts, "nl": nl, "roles": roles}


def main():
    rows = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the file and check what was written
    with open(OUT_PATH, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert [l["post"]["id"] for l in lines] == [r["post"]["id"] for r in rows]
    for l, r in zip(lines, rows):
        assert set(l) == {"post", "expect"} and l["post"] == r["post"] and l["expect"] == r["expect"]
    errors, stats = check(rows)
    print(json.dumps(stats, ensure_ascii=False, sort_keys=True))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: wrote {stats['cases']} cases ({stats['benign']} benign) to {OUT_PATH}")


if __name__ == "__main__":
    main()
