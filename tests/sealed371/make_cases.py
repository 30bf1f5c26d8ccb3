#!/usr/bin/env python3
"""Build the labelled evaluation set sealed371 (crane hire company "Valkhoog").

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it (CONTRACT section 6 shape, checksums of identifiers,
severity computed from the account role in profile.yaml, pricing ratios, embargo
windows, benign posts free of internal terms, unique ids).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import random
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = os.path.join(HERE, "profile.yaml")
SEED = 371
rng = random.Random(SEED)

with open(PROFILE, encoding="utf-8") as fh:
    prof = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"[\s\-.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
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
    return tot % 11 == 0


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- generators
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def digits_clean(s):
    """True when no run of 9+ digits in s passes BSN or Luhn (avoid accidental PII)."""
    for run in re.findall(r"\d{9,}", s):
        if (len(run) == 9 and bsn_ok(run)) or (13 <= len(run) <= 19 and luhn_ok(run)):
            return False
    return True


def gen_iban(fmt):
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    iban = iban_make("NL", bank, acct)
    if fmt == "spaced":
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_card(prefix, fmt):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for chk in "0123456789":
        if luhn_ok(body + chk):
            num = body + chk
            break
    if fmt == "spaced":
        return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    if fmt == "dashed":
        return "-".join(num[i:i + 4] for i in range(0, 16, 4))
    return num


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            return "".join(map(str, d + [last]))


def break_last_digit(s):
    i = max(k for k, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 3) % 10) + s[i + 1:]


def gen_ghp(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gen_akia():
    return "AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def gen_openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    seed, pub = rbytes(32), rbytes(32)
    chk = rbytes(4)
    sec = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(b"deploy@vk-runner-02")
    pad = 1
    while len(sec) % 8:
        sec += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + struct.pack(">I", 1)
            + sstr(sstr(b"ssh-ed25519") + sstr(pub)) + sstr(sec))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "usr_%d" % rng.randint(1000, 9999), "name": "Y. de Wit",
                              "role": "planner", "iss": "portal-auth", "iat": 1781003400,
                              "exp": 1781007000}, separators=(",", ":")).encode())
    key = rbytes(32)
    sig = b64url(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest())
    return head + "." + body + "." + sig


def gen_slack():
    while True:
        tok = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rs(ALNUM, 24))
        if digits_clean(tok):
            return tok


def gen_clean(fn):
    while True:
        v = fn()
        if digits_clean(v):
            return v


G = {}
KIND = {}  # placeholder -> "valid_id" | "bad_id" | "secret"


def put(name, value, kind):
    G[name] = value
    KIND[name] = kind


put("iban1", gen_iban("spaced"), "valid_id")
put("iban2", gen_iban("compact"), "valid_id")
put("iban3", gen_iban("spaced"), "valid_id")
put("card1", gen_card("4", "spaced"), "valid_id")
put("card2", gen_card("5", "dashed"), "valid_id")
put("bsn1", gen_bsn(), "valid_id")
put("bsn2", gen_bsn(), "valid_id")
_bi = gen_iban("spaced")
_bi = _bi[:2] + "%02d" % ((int(_bi[2:4]) + 41) % 97 + 2) + _bi[4:]
put("bad_iban", _bi, "bad_id")
put("bad_card", break_last_digit(gen_card("4", "spaced")), "bad_id")
put("bad_bsn", break_last_digit(gen_bsn()), "bad_id")
put("ghp1", gen_ghp("ghp_"), "secret")
put("akia", gen_akia(), "secret")
put("aws_secret", gen_clean(lambda: rs(ALNUM + "/+", 40)), "secret")
put("openai", gen_clean(lambda: "sk-" + rs(ALNUM, 20) + "T3BlbkFJ" + rs(ALNUM, 20)), "secret")
put("anthropic", gen_clean(lambda: "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"), "secret")
put("stripe", gen_clean(lambda: "sk_live_51" + rs(ALNUM, 97)), "secret")
put("slack", gen_slack(), "secret")
put("google", gen_clean(lambda: "AIza" + rs(URLSAFE, 35)), "secret")
put("sshkey", gen_openssh_key(), "secret")
put("jwt", gen_jwt(), "secret")
put("dbpw", gen_clean(lambda: rs(ALNUM, 18)), "secret")
put("pw1", rng.choice(["Giekhaak", "Contragewicht", "Waalhaven", "Zwenkring"]) + "!" + str(rng.randint(2024, 2027)) + rng.choice("#$%&"), "secret")
put("pw2", rng.choice(["Hijsband", "Ballast", "Kraanmaat", "Stempel"]) + str(rng.randint(10, 99)) + rng.choice(["!", "?", "@"]) + rs("abcdefghjkmnpqrstuvwxyz", 3), "secret")

# ---------------------------------------------------------------- dates
T0 = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc)


def rand_time():
    s = rng.randint(0, int((T1 - T0).total_seconds()))
    t = T0 + dt.timedelta(seconds=s)
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- cases
CASES = []

C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PRICE = "leak.pricing"


def case(cats, platform, handle, lang, text, kind="post", at=None, price=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, lang=lang,
                      text=text, kind=kind, at=at, price=price))


# ======================= BENIGN (hard negatives mostly) ========================
case([], "x", "@valkhoog_nl", "nl",
     "Vandaag de MK220 opgebouwd voor de nieuwe brugligger over de Oude Maas 🌉 Strakke klus van team Moerdijk, petje af. #hijswerk #valkhoog")
case([], "x", "@valkhoog_service", "nl",
     "Vragen over je huurcontract of de planning? Mail naar verhuur@valkhoog.nl of bel 0800-8255 (ma t/m vr 7:00–18:00). We helpen je graag verder!")
case([], "facebook", "ValkhoogKraanverhuur", "nl",
     "Betaal je per overschrijving? Gebruik dan altijd ons rekeningnummer NL80 RABO 0318 4559 20 en vermeld je factuurnummer. Let op: wij wijzigen dit nummer nooit via e-mail.")
case([], "x", "@bouwploeg_kvz", "en",
     "shoutout to the @valkhoog_nl operator on the Kop van Zuid job today, set 14 precast panels before lunch in a gusty wind. absolute legend 🙌")
case([], "x", "@mo_dakwerk", "nl",
     "Die machinist van Valkhoog is echt ziek goed man, centimeterwerk boven het spoor 🔥🔥", kind="post")
case([], "x", "@renovatie_dekker", "nl",
     "@valkhoog_service vorige week geklaagd over die late kraan, vandaag belde jullie planner zelf op, excuses + korting op de factuur. Zo los je dat dus op 👍", kind="reply")
case([], "reddit", "u/selfbuild_sam", "en",
     "Does anyone know if Valkhoog rents tower cranes for small residential jobs or only the big projects? Thinking of an SB30 for a 3-storey self-build.")
case([], "x", "@veiligheidskundige_an", "nl",
     "Let op: terugroepactie van hijsbanden merk Ferrox (partij 2025-11). Check je eigen spullen! Valkhoog heeft al laten weten dat zij die banden niet in hun vloot hebben.")
case([], "linkedin", "marco-de-bruin-lifting", "en",
     "Thoughts with the family of the operator in yesterday's Antwerp crane accident. Not a Valkhoog crew from what I read, but it hits everyone in this trade. Look after each other out there.")
case([], "linkedin", "valkhoog-kraanverhuur", "en",
     "We're hiring! Valkhoog is looking for 6 mobile crane operators (CCV-B) for our Rotterdam and Zwolle depots. Good pay, new fleet, great colleagues. Apply via werkenbij@valkhoog.nl")
case([], "instagram", "@valkhoog.cranes", "nl",
     "Voorjaarsactie 🌷 De Spin 3 minikraan huur je in april voor €355 per dag (normaal €420). Op = op!", price=("VK-SPIN3", 355))
case([], "facebook", "Jeroen.Aannemer", "nl",
     "Offerte van Valkhoog binnen voor een MK60 met machinist: €1.890 per dag plus uurtarief. Andere partijen zitten er ongeveer op hetzelfde, dus we gaan maar met ze in zee.", price=("VK-MK60", 1890))
case([], "x", "@gevelbouw_pieter", "en",
     "Valkhoog's KH45 is €890/day this month (normally 980). Decent deal if you've got facade work coming up", price=("VK-KH45", 890))
case([], "x", "@valkhoog_nl", "en",
     "Black Friday, but for cranes 😄 15% off every weekly SB30 rental booked before 1 December. Details on valkhoog.nl/acties")
case([], "reddit", "u/kees_vk_ops", "en",
     "PSA for anyone setting up the AWS CLI: the docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. If you paste those in and it fails... that's why lol")
case([], "linkedin", "naima-bouzid", "nl",
     "Tip van de week: zet nooit een token als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in je repository, ook niet 'even tijdelijk'. Gebruik een secret manager en kortlevende credentials. Scheelt je een hoop stress.")
case([], "x", "@valkhoog_service", "nl",
     "Wij vragen NOOIT om je wachtwoord via DM, sms of mail. Krijg je zo'n bericht namens Valkhoog? Niet op reageren en doorsturen naar verhuur@valkhoog.nl 🙏")
case([], "x", "@lisa_bouwt", "nl",
     "@valkhoog_service waar kan ik in mijn.valkhoog.nl mijn wachtwoord wijzigen? Kan het nergens vinden 🙈", kind="reply")
case([], "facebook", "Ria.vanLeeuwen.Hoveniers", "nl",
     "Kreeg net een mail 'namens Valkhoog' dat ik een openstaande factuur moet betalen op <<bad_iban>>. Dat is toch niet hun rekening? Ruikt naar phishing, heb het gemeld bij hun klantenservice.")
case([], "x", "@tomkleinbouw", "en",
     "@valkhoog_service quick one: invoice ref <<bad_card>> shows as open in the portal but our bookkeeper says it's paid. Can you check? No rush", kind="reply")
case([], "x", "@uitvoerder_jan", "nl",
     "Werkbon <<bad_bsn>> — kraan stond er om 7:00 precies, machinist meteen aan de slag. Zo hoort het @valkhoog_nl 👌")
case([], "linkedin", "valkhoog-kraanverhuur", "nl",
     "Onze jaarcijfers 2026 staan online: omzet, resultaat per regio en onze vooruitblik op 2027. Het volledige verslag lees je op valkhoog.nl/investeerders",
     at="2027-03-04T09:30:00Z")
case([], "x", "@valkhoog_nl", "nl",
     "Hij is er! De Valkhoog Mobiel 300t, de grootste telekraan uit onze vloot ooit. Vanaf vandaag te reserveren 🏗️ #MK300",
     at="2027-01-20T10:15:00Z")
case([], "x", "@kranen_spotter", "en",
     "Saw the brand new Mobiel 300 from Valkhoog on the A15 this morning. Nine axles of pure muscle 😍",
     at="2027-01-23T08:02:11Z")
case([], "tiktok", "@bouwmeisje_fenna", "nl",
     "dat filmpje van die torenkraan bij zonsopgang 😍😍 valkhoog jullie social media persoon verdient opslag", kind="comment")
case([], "x", "@bouwnieuws_zh", "nl",
     "Concurrent Hoogland Hijs & Transport maakt vandaag de overname door een Belgische branchegenoot bekend. Benieuwd of spelers als Valkhoog ook gaan consolideren. #kraanverhuur")
case([], "linkedin", "valkhoog-kraanverhuur", "nl",
     "Zoals vanochtend gepubliceerd in ons halfjaarbericht: de vraag naar torenkranen lag in H1 8% hoger dan vorig jaar. Dank aan al onze klanten en collega's!",
     at="2026-08-27T08:00:00Z")
case([], "x", "@hijsfan2000", "en",
     "PSA: Valkhoog is a family business, not listed anywhere. There is no 'Valkhoog token'. Stop DMing me crypto scams with their logo 🙄")
case([], "x", "@valkhoog_nl", "nl",
     "Opgelost ✅ Het klantportaal mijn.valkhoog.nl was vanochtend tussen 8:10 en 8:40 traag door gepland onderhoud. Alles draait weer normaal. Dank voor jullie geduld!")
case([], "linkedin", "naima-bouzid", "en",
     "Proud of the team: we passed our ISO 27001 surveillance audit this week with zero major findings. Security really is a team sport 💪")
case([], "instagram", "@fotografie_rdam", "nl",
     "Die torenkraan van Valkhoog bij de Markthal staat scheef... oh nee wacht, gewoon mijn groothoeklens 😅 #rotterdam #skyline")
case([], "instagram", "@coolsingel_daily", "en",
     "The Valkhoog tower crane on the Coolsingel is lit up with christmas lights again 🎄✨ love this tradition")
case([], "x", "@machinist_ruud", "nl",
     "Weer een mooie dag in de cabine. 48 meter hoog, koffie in de thermoskan en uitzicht over de hele haven. Beste baan van Nederland 🏗️☕")
case([], "tiktok", "@torenkraan_sven", "nl",
     "POV: je zit op 60 meter en de uitvoerder vraagt via de porto of je 'even snel' een pallet stenen wilt pakken 😂 #torenkraan #kraanmachinist #valkhoog")
case([], "instagram", "@kraanmaatje_dennis", "en",
     "Safety first, selfie second 🦺 Harness check done, ladders climbed, let's lift. #cranelife")
case([], "x", "@aannemer_yilmaz", "nl",
     "Wat is eigenlijk het verschil tussen een MK40 en een MK60 van Valkhoog qua bereik? Moet 2,5 ton op 28 meter zetten.")
case([], "x", "@valkhoog_service", "en",
     "@buildwithpriya Hi Priya! For 2.5 t at a 28 m radius we'd go for the MK60 with full ballast. Send your drawings to planning@valkhoog.nl and we'll draw up a lift plan for you.", kind="reply")
case([], "facebook", "Bas.Hoekstra.Hijswerk", "nl",
     "Sterkte aan alle collega's van Valkhoog na het overlijden van oud-machinist Gerard, na een lang ziekbed. Hij heeft mij het vak geleerd. Rust zacht, Ger.")
case([], "x", "@stagiair_bouw_lotte", "en",
     "crash course in crane hand signals at the Valkhoog open day. 10/10 would get corrected by a banksman again 😂")
case([], "x", "@thijs_bouwt", "nl",
     "Iedereen roept boycot van die ene bouwmarktketen, prima, maar kranen? Valkhoog levert gewoon netjes en op tijd. Meer hoef ik niet te zeggen.")
case([], "x", "@stadium_watch", "en",
     "that Valkhoog crew absolutely killed it on the stadium roof lift today. insane precision, not a wobble")
case([], "x", "@betonvlechter_ed", "nl",
     "Valkhoog kraan stond er vanochtend om kwart voor 7, machinist had zelfs koffie meegenomen voor onze jongens. Hoe dan 😂👏")
case([], "linkedin", "sophie-kramer-projectmanagement", "en",
     "For reference: Valkhoog quoted us €7,800 per month for a TK8 including maintenance, assembly kit separate. Seems in line with the market.", price=("VK-TK8", 7800))
case([], "facebook", "ValkhoogKraanverhuur", "nl",
     "Zomeraanbieding ☀️ De VL1000 vacuümlifter voor €249 per dag in plaats van €310. Ideaal voor glaszetters en dakdekkers!", price=("VK-VL1000", 249))
case([], "x", "@glaszetter_henny", "nl",
     "Staat de GR600 glasrobot echt voor €260 per dag op jullie site? Scherper dan ik dacht, top. @valkhoog_nl", price=("VK-GR600", 260))
case([], "instagram", "@vogels_waalhaven", "nl",
     "Prachtige blauwe reiger op de ballastblokken bij het depot van Valkhoog in de Waalhaven 📸🐦 #vogelfotografie")
case([], "x", "@valkhoog_nl", "nl",
     "Kraan gespot? Tag ons met #valkhoog en maak kans op een MK40 modelkraan schaal 1:50 🎁")
case([], "x", "@renovatie_smit", "nl",
     "Update: monteur van Valkhoog was binnen 2 uur ter plaatse en de storing aan de giek is verholpen. Excuses aangenomen, we kunnen weer verder 👍")
case([], "youtube", "@lifting_nerd", "en",
     "Valkhoog's video on assembling a TK12 in a single day is so satisfying. Timelapse gold, watched it three times.", kind="comment")
case([], "x", "@jolien_vk", "en",
     "Behind the scenes at today's shoot: the MK100 in golden hour 📷 pictures coming soon on @valkhoog_nl")
case([], "x", "@ilse_planning_vk", "nl",
     "Planning is soms gewoon tetris met 40 kranen en 3 depots. Vandaag alles passend gekregen 🧩 #planner")
case([], "reddit", "u/kees_vk_ops", "en",
     "Postmortem tip: when pasting logs into a ticket, redact tokens like sk_live_************************ and connection strings like postgres://user:****@host/db. Learned that one the easy way, thankfully.")
case([], "x", "@nachtploeg_hans", "nl",
     "Voor wie het zoekt: Valkhoog is 24/7 bereikbaar voor storingen op +31 10 744 2200. Had ze vannacht nodig, binnen een uur een monteur aan de lijn.")
case([], "reddit", "u/crane_nerd_nl", "en",
     "Is the Valkhoog Pick&Carry PC20 any good for moving steel beams inside a hall? Anyone used one?")
case([], "linkedin", "gerrit-jan-vos-valkhoog", "nl",
     "Goed gesprek gehad met de gemeente Rotterdam over torenkranen bij binnenstedelijke projecten. Veiligheid en minder overlast gaan prima samen.")
case([], "linkedin", "bram-koster-valkhoog", "en",
     "Our full-year 2026 results are out this morning. Proud of what the team delivered in a tough construction market. Link to the report in the comments.",
     at="2027-03-04T11:05:00Z")
case([], "x", "@bouwjournalist_nl", "nl",
     "Rechtszaak tegen een Brits kraanbedrijf na de instorting in 2023 levert interessante lessen op. Heb het artikel doorgestuurd naar de mensen van Valkhoog met wie we werken, die zitten er al bovenop.")
case([], "youtube", "@ValkhoogCranes", "nl",
     "Nieuwe video: zo plaatsen we een brugdeel van 180 ton met twee kranen tegelijk. Kijk je mee? 🎥 #tandemhijs")
case([], "facebook", "Mark.Broekhuizen", "en",
     "Valkhoog's CCV-B course was tough but fair. €1,650 well spent, passed first time! Thanks to instructor Wim.", price=("VK-CAB", 1650))
case([], "x", "@scherpe_prijs_bouw", "nl",
     "Valkhoog heeft in het najaar 20% korting op ballasttransport, €680 per rit i.p.v. €850. Handig als je nog wat moet verslepen.", price=("VK-BAL", 680))

# ======================= COMPLAINTS ========================
case([C], "x", "@bouwbedrijf_dekker", "nl",
     "@valkhoog_service kraan zou om 7 uur op de bouw staan, het is nu 10:20 en nog steeds niks. 12 man staan te wachten. Dit kost ons een vermogen", kind="reply")
case([C], "x", "@steelframe_joe", "en",
     "Third time this month Valkhoog sends an MK40 without the right counterweight. Operator has to drive back to the yard for it. Our schedule is toast.")
case([C], "facebook", "Anouk.Bouwtechniek", "nl",
     "Factuur van Valkhoog gekregen met 9 uur machinist erop terwijl hij er 6 was. Al twee weken geen reactie op mijn mails. Echt belachelijk hoe dit gaat.")
case([C], "x", "@jayden_builds", "en",
     "@valkhoog_nl your 'customer portal' has shown my rental as 'in transit' for 4 days. The crane's been on site since Monday. Who do I even talk to?", kind="reply")
case([C], "instagram", "@vloerenbedrijf_koch", "nl",
     "Spin 3 minikraan gehuurd bij Valkhoog en die lekte hydraulische olie over onze nieuwe gietvloer. Schoonmaakkosten zijn voor wie?? #klantonvriendelijk", kind="comment")
case([C], "x", "@projectleider_fleur", "nl",
     "Torenkraan TK8 van Valkhoog staat al 3 dagen stil door een storing aan de zwenkmotor en het antwoord is 'monteur komt morgen'. Dat zeiden ze gisteren ook 🙄")
case([C], "linkedin", "david-okafor-facades", "en",
     "Disappointed with Valkhoog. Booked a KH45 for a facade job, got an older unit with a broken platform display and nobody on site could tell us the outreach. Had to cancel the whole day.")
case([C], "forum", "bouwforum_user_8812", "nl",
     "Iemand anders ook zoveel moeite om Valkhoog telefonisch te bereiken? 40 minuten in de wacht bij de planning en daarna gewoon opgehangen. Geen terugbelverzoek, niks.")
case([C], "x", "@bigbuild_kev", "en",
     "valkhoog cancelled our lift 2 hrs before start. 'no operator available'. thanks for nothing 🙃")
case([C], "instagram", "@uitvoering_vdb", "nl",
     "Machinist van Valkhoog was vandaag ronduit onvriendelijk tegen onze uitvoerder en weigerde een extra hijs die gewoon binnen het hijsplan viel. Klantvriendelijkheid: 0.")
case([C], "x", "@woningbouw_mert", "nl",
     "Borg van €2500 voor de SB30 nog steeds niet terug, 6 weken na inleveren. Drie keer gebeld. @valkhoog_service ??", kind="reply")
case([C], "tiktok", "@glaswerk_bo", "en",
     "rented a glass robot GR600 from valkhoog, suction cups were worn out and it wouldnt hold vacuum. our glazier refused to touch it. 0/10", kind="comment")
case([C], "x", "@grondwerk_johan", "nl",
     "weer n valkhoog kraan met n lekke band op de A16 en wij maar wachten.. 2e x deze maand. kunnen jullie je materieel nie gwn onderhouden??")

# complaint + crisis: first-hand safety incidents
case([C, K], "x", "@betonbouw_wessels", "nl",
     "Gisteren knapte bij ons een hijsband van Valkhoog tijdens het tillen van een betonplaat. Plaat viel 3 meter naast mijn collega neer. Had hem zo kunnen raken. Wij willen uitleg @valkhoog_nl!!")
case([C, K], "reddit", "u/tradie_nl_ben", "en",
     "Our rented Valkhoog Spin 3 tipped over on level ground today, outriggers fully out. My apprentice jumped clear but bruised his arm badly. Something is seriously wrong with that machine and I want answers.")
case([C, K], "facebook", "Erik.Installatietechniek", "nl",
     "Kreeg vanochtend een flinke schok toen ik de bediening van de Valkhoog kraanhoogwerker KH45 vastpakte. Kabel was gewoon kaal. Mijn handen tintelen nog steeds. Hoe komt zoiets door de keuring?")
case([C, K], "x", "@sitemanager_rhys", "en",
     "The Valkhoog MK25 parked on our site caught fire in the engine bay this afternoon. Driver got out in time, we had to evacuate the street. Nobody from Valkhoog has called us back yet. Unbelievable.")
case([C, K], "instagram", "@glaszetters_vanderveen", "nl",
     "Collega van ons gewond doordat de VL1000 vacuümlifter die we bij Valkhoog huurden de glasplaat zomaar losliet. 8 hechtingen in zijn been. Nooit meer Valkhoog.")

# complaint + abuse
case([C, A], "x", "@sloopwerk_ronnie", "nl",
     "Valkhoog stelletje prutsers, kraan 2 uur te laat en dan een machinist die de weg niet kan vinden. Kankerbedrijf, nooit meer.")
case([C, A], "x", "@jayden_builds", "en",
     "Hey @valkhoog_service you useless clowns, 3 days waiting on a technician for a crane that costs us €1k a day. Fix your sh*t.", kind="reply")

# ======================= CRISIS (third party / news / accusations) ========================
case([K], "x", "@nieuws_zwolle", "nl",
     "BREAKING: Torenkraan van Valkhoog omgevallen op bouwplaats in Zwolle-Zuid. Hulpdiensten massaal aanwezig, nog onbekend of er gewonden zijn. #zwolle")
case([K], "x", "@westbrabant_live", "en",
     "Reports that a Valkhoog mobile crane collapsed onto a warehouse roof in Moerdijk this afternoon. One worker taken to hospital. Awful scenes.", kind="repost")
case([K], "x", "@bouwvakker_actie", "nl",
     "Valkhoog laat machinisten 14 uur per dag draaien en betaalt onder de cao. Bouwbedrijven: boycot deze club tot ze hun mensen fatsoenlijk behandelen! #boycotvalkhoog")
case([K], "x", "@wary_contractor", "en",
     "Got a phishing mail with my exact Valkhoog rental contract number and site address. Pretty sure @valkhoog_nl had a data breach and isn't telling anyone. #databreach")
case([K], "linkedin", "arbeidsrecht-update", "nl",
     "FNV stapt naar de rechter tegen Valkhoog Kraanverhuur wegens het structureel negeren van rusttijden van kraanmachinisten. De zaak dient in november.")
case([K], "x", "@valkhoog_nl", "nl",
     "Veiligheidsbericht: Valkhoog roept uit voorzorg alle kettingwerken type KW-8 terug die sinds maart zijn meegeleverd. Gebruik ze niet meer en neem contact met ons op. Er zijn haarscheurtjes in schakels gevonden.")
case([K], "reddit", "u/liftsafety_watch", "en",
     "Inspectorate found Valkhoog falsified inspection certificates on at least 12 tower cranes. That's not paperwork, that's people's lives up there. Absolute scandal.")
case([K], "tiktok", "@rdam_straatbeeld", "nl",
     "net gezien op de coolsingel: last van een valkhoog kraan knalt tegen de gevel, ruiten eruit, mensen rennen weg 😳 wat is hier gebeurd?!")
case([K], "reddit", "u/crane_nerd_nl", "en",
     "Valkhoog operator killed in tower crane accident near Utrecht, Dutch news says the investigation is ongoing. RIP to him, awful news for everyone in lifting.")
case([K], "facebook", "Buurtvereniging.Kralingen", "nl",
     "Bewoners van Kralingen eisen dat Valkhoog de torenkraan aan de Lusthofstraat weghaalt na twee incidenten met vallende betonresten deze maand. Onze petitie staat al op 800 handtekeningen!")

# ======================= ABUSE ========================
case([A], "x", "@boze_buurman_010", "nl",
     "Valkhoog = tyfusbedrijf. Hoop dat jullie snel failliet gaan met je lawaaikranen")
case([A], "x", "@scaffold_mick", "en",
     "whoever runs the valkhoog socials is a brain-dead moron, every reply is the same copy-paste garbage", kind="reply")
case([A], "x", "@grondverzet_barry", "nl",
     "Die @machinist_ruud is echt een vieze vuile mongool, laat die gast nooit meer op onze bouw komen", kind="reply")
case([A], "facebook", "Frans.Opinie.NL", "nl",
     "Valkhoog neemt tegenwoordig alleen nog Polen aan die geen woord Nederlands spreken. Vuile oostblokkers, ga terug naar je eigen land.")
case([A], "x", "@klusjesman_w", "nl",
     "V\u0430lkh\u043e\u043eg zijn gewoon \u043eplichters en klootzakken, stelletje dieven")
case([A], "x", "@anon_hoist", "en",
     "v4lkh00g = f*cking 1d10ts. w0rst cr4ne c0mpany 3v3r, h0pe y0u r0t")
case([A], "instagram", "@stukadoor_rico", "nl",
     "Die planners bij Valkhoog zijn echt k u t w i j v e n, elke week hetzelfde gezeik met die lui", kind="comment")
case([A], "x", "@machinist_ruud", "nl",
     "@bouwbedrijf_dekker hou gewoon je bek, jullie uitvoerder is een debiel die niet eens een hijsplan kan lezen", kind="reply")
case([A], "x", "@valkhoog_service", "en",
     "@jayden_builds maybe learn to read a contract before whining, genius. Idiot.", kind="reply")
# abuse + pii (doxxing a staff member)
case([A, PII], "x", "@woest_op_valkhoog", "nl",
     "Die planner Ilse van Valkhoog die ons afzegde woont op de Zwaanshals 114b, 3035 KS Rotterdam. Ga d'r maar eens vertellen wat je ervan vindt. Trut.")

# ======================= PERSONAL DATA ========================
case([PII], "x", "@ilse_planning_vk", "nl",
     "@bouwbedrijf_dekker uw machinist morgen is Ruud Verbeek, bereikbaar op 06-41 27 88 30. Hij belt zodra hij vertrekt uit de Waalhaven.", kind="reply")
case([PII], "x", "@valkhoog_service", "en",
     "@tomkleinbouw Hi Tom, we've refunded the deposit to your account <<iban1>>, it should arrive within 2 working days. Sorry for the wait!", kind="reply")
case([PII], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Wie is z'n portemonnee kwijt in de kantine van de werkplaats? Rijbewijs van J. de Groot, geboren 14-03-1987. Ligt bij mij op het bureau.")
case([PII], "facebook", "ValkhoogKraanverhuur", "nl",
     "Beste mevrouw Aydın, we hebben uw gegevens gecontroleerd (BSN <<bsn1>>) en u bent toegelaten tot de machinistenopleiding. Stuur ons een DM voor de volgende stap!", kind="reply")
case([PII], "linkedin", "gerrit-jan-vos-valkhoog", "en",
     "Welcome aboard Van Dam Bouw! Contract signed today with director Peter van Dam (p.vandam@vandambouw.nl, +31 6 2841 9930). Looking forward to lifting together 🤝")
case([PII], "x", "@jolien_vk", "nl",
     "Kan iemand de standboeking voor de beurs even afronden? Creditcard van de zaak: <<card1>> geldig t/m 09/28, cvc 412 — oeps verkeerde app 🙈")
case([PII], "x", "@marjan_jansen_gww", "nl",
     "@valkhoog_service zoals aan de telefoon besproken, hier m'n rekeningnummer voor het terugstorten van de borg: <<iban2>> t.n.v. M. Jansen. Dank jullie!", kind="reply")
case([PII], "x", "@sandra_projecten", "en",
     "@valkhoog_nl could someone call me back about the TK12 quote? I'm on 06 18 55 20 47, ask for Sandra. Thx!", kind="reply")
case([PII], "reddit", "u/kees_vk_ops", "en",
     "Anyone know why our payroll export lists BSN <<bsn2>> twice for the same guy (Mohamed El Idrissi)? Pasting the row from the CSV, HR system is driving me nuts")
case([PII], "instagram", "@kraanmaatje_dennis", "nl",
     "Gefeliciteerd met je 30e, Kevin Smit! 🎉 Geboren 2 juni 1996 en nog steeds de jongste op de torenkraan 😂🏗️",
     at="2026-06-02T07:45:00Z")
case([PII], "x", "@klein_grondwerk", "nl",
     "Spin 3 van gisteren betaald met mijn Mastercard <<card2>>, kan iemand checken of het goed is binnengekomen? Ordernummer 2026-0412. @valkhoog_service")
case([PII], "linkedin", "valkhoog-kraanverhuur", "nl",
     "Vandaag 25 jaar in dienst: Willem Bosch! 🎈 Kaartjes sturen mag naar zijn huisadres, Dorpsstraat 12, 3341 AB Hendrik-Ido-Ambacht. Proficiat Willem!")
case([PII], "x", "@ilse_planning_vk", "en",
     "@crane_ops_steve site contact tomorrow is Anouk Vermeer, anouk.vermeer1988@gmail.com, she'll open the gate at 6.", kind="reply")
case([PII], "x", "@valkhoog_nl", "en",
     "And the winner of our model crane giveaway is @lisa_bouwt 🎉 Lisa, we'll ship it to Kerkstraat 8, 5211 KH 's-Hertogenbosch as you DMed us. Congrats!")
case([PII], "x", "@subby_marcel", "en",
     "Valkhoog operator asked me to pay his overtime straight into <<iban3>> (R. Verbeek) instead of via the invoice. Is that normal??")

# ======================= CONFIDENTIAL (incl. with financial / security) ========================
case([CONF, FIN], "linkedin", "bram-koster-valkhoog", "en",
     "Long nights on Project Reiger lately. If the Brugman Hijstechniek deal closes in Q1 we'll run the biggest crane fleet south of the rivers 👀")
case([CONF, FIN], "x", "@ilse_planning_vk", "nl",
     "Operatie Zwaluwstaart betekent dus echt dat depot Zwolle dichtgaat en dat 23 collega's weg moeten. Niemand weet het nog officieel 😞")
case([CONF, FIN], "x", "@jolien_vk", "nl",
     "Q4 2026 cijfers zien er veel beter uit dan verwacht 🍾 vrijdag borrel op de zaak, maar mondje dicht tot de publicatie!",
     at="2027-02-10T16:20:00Z")
case([CONF], "x", "@jolien_vk", "nl",
     "Eerste renders van de Mobiel 300 binnen 😍 lancering pas volgend jaar maar wat een beest is het geworden")
case([CONF], "tiktok", "@torenkraan_sven", "nl",
     "stiekem al een rondje gedraaid in de cabine van de nieuwe MK300 op het testterrein 🤫 nog niet verder vertellen hè",
     at="2026-12-14T15:40:00Z")
case([CONF], "reddit", "u/kees_vk_ops", "en",
     "anyone else's Jenkins timing out against git.valkhoog.local since the update? our deploy to planbord.valkhoog.local keeps failing at the same step")
case([CONF], "linkedin", "naima-bouzid", "en",
     "Excited to share a first look at Stormvogel, our new telematics platform (internal only for now). Screenshot of the fleet dashboard below 👇")
case([CONF], "instagram", "@kraanmaatje_dennis", "nl",
     "Kijk wat er in de kantine op tafel lag 😂 'ALLEEN VOOR INTERN GEBRUIK – risicoanalyse torenkranen 2026'. Nou, nu weten jullie het ook")
case([CONF], "linkedin", "valkhoog-kraanverhuur", "nl",
     "Teamupdate: het deck 'Valkhoog intern – strategie 2027-2029' staat op intra.valkhoog.local/strategie. Graag vóór vrijdag jullie feedback.")
case([CONF], "x", "@dakkapel_danny", "en",
     "lol someone at Valkhoog sent us a screenshot of their planning board with https://planbord.valkhoog.local/weekview?depot=rtm in the address bar. every crane and customer for the week.")
case([CONF], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Hele werkplaats moet vanaf maandag Stormvogel-kastjes in alle MK's inbouwen. Zijn die dingen überhaupt al klaar dan? 🙄")
case([CONF], "linkedin", "gerrit-jan-vos-valkhoog", "nl",
     "Voor onze vaste klanten alvast een sneak peek van de tarieven voor 2027 📊 vertrouwelijk - niet delen 😉 (zie bijlage)")
case([CONF], "x", "@zwager_weet_alles", "nl",
     "Mijn zwager werkt bij Valkhoog en zegt dat ze begin volgend jaar een kraan van 300 ton lanceren, de 'Mobiel 300'. Hier eerst gehoord 😎")
case([CONF], "x", "@jolien_vk", "en",
     "Can't wait for Storm\u200bvogel to go live, finally no more paper logbooks in the cabs!")
case([CONF], "tiktok", "@torenkraan_sven", "nl",
     "iets met een storm en een vogel 🌩️🐦 binnenkort in al onze kranen... S-T-O-R-M-V-O-G-E-L 🤐 meer mag ik niet zeggen")
case([CONF], "instagram", "@kraanmaatje_dennis", "nl",
     "\uff56\uff41\uff4c\uff4b\uff48\uff4f\uff4f\uff47 \uff49\uff4e\uff54\uff45\uff52\uff4e dus niet doorsturen jongens 😂 (foto van het nieuwe ploegenrooster)")
case([CONF], "linkedin", "naima-bouzid", "nl",
     "De nieuwe VPN-handleiding staat op https://intra.valkhoog.local/it/vpn-handleiding — inloggen met je gewone account, MFA blijft verplicht.")
case([CONF, SEC], "reddit", "u/kees_vk_ops", "en",
     "telematics.valkhoog.local has been down since 3am and nobody outside IT knows yet, crane positions aren't reporting. we're telling customers it's 'scheduled maintenance' 🙃")

# ======================= FINANCIAL ========================
case([FIN], "linkedin", "bram-koster-valkhoog", "nl",
     "Net uit de RvC-vergadering: omzet over 2026 komt rond de €84 miljoen uit, EBITDA-marge 19%. Officiële publicatie volgt pas in maart, maar het team mag nu al trots zijn!",
     at="2027-01-28T18:10:00Z")
case([FIN], "x", "@ilse_planning_vk", "en",
     "rumour at the depot is we're being bought by a German rental group. HR briefed managers this morning, staff announcement next week apparently")
case([FIN], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Werkplaats Moerdijk gaat deze zomer dicht en wordt samengevoegd met Rotterdam, zo'n 15 monteurs moeten iets anders zoeken. Dat hoor je van mij, niet van de directie.")
case([FIN], "linkedin", "valkhoog-kraanverhuur", "nl",
     "CONCEPT – NOG NIET PUBLICEREN: Valkhoog verwacht voor 2027 een omzetdaling van 6 tot 8% door het stilvallen van projecten rond stikstof.")
case([FIN], "linkedin", "gerrit-jan-vos-valkhoog", "en",
     "Q3 order intake for tower cranes is down 22% on last year. Numbers aren't out yet but sales is definitely feeling it. Rough quarter, onwards.")
case([FIN], "x", "@insider_bouwgeld", "en",
     "Heard from a banker friend that the Valkhoog family is shopping the company to private equity, asking around €300m. Not public yet 🤫")
case([FIN], "tiktok", "@torenkraan_sven", "nl",
     "ze gaan begin volgend jaar 30 machinisten ontslaan heb ik van m'n teamleider gehoord. lekker dan, vlak voor de kerst 😤 #valkhoog")
case([FIN], "reddit", "u/kees_vk_ops", "en",
     "just got told IT is being outsourced in Q2, 8 of us out. no announcement yet. how do I even start updating my CV after 11 years")
case([FIN], "x", "@jolien_vk", "nl",
     "kreeg per ongeluk de mail met de halfjaarcijfers: nettowinst gehalveerd t.o.v. vorig jaar 😬 komt pas over twee weken naar buiten",
     at="2026-08-12T13:25:00Z")

# ======================= SECURITY ========================
case([SEC], "reddit", "u/kees_vk_ops", "en",
     "Ransomware hit our file servers last night. Planning is running on whiteboards and Excel today. Management says don't tell customers yet. Fun times.")
case([SEC], "x", "@ilse_planning_vk", "nl",
     "Hele planningssysteem ligt plat sinds 6 uur vanochtend, we weten niet eens meer welke kraan waar staat 😱 klanten weten nog van niks")
case([SEC], "tiktok", "@torenkraan_sven", "nl",
     "fun fact: de afstandsbediening van onze torenkranen werkt met een vaste code, elke zender van hetzelfde merk kan 'm bedienen. al maanden gemeld, niks mee gedaan 🤷")
case([SEC], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Sinds vorige week kan iedereen op de wifi van de werkplaats gewoon bij de camerabeelden van het hele depot. Wachtwoord hangt op een briefje op de deur haha")
case([SEC], "x", "@subby_marcel", "en",
     "I sub for Valkhoog and their customer portal shows other companies' rental contracts if you just change the number in the URL. Reported it 2 weeks ago, still wide open.")
case([SEC], "x", "@machinist_ruud", "nl",
     "Tablets in de cabines zijn gehackt of zo, ze laten allemaal een losgeldbericht zien. IT zegt: niks tegen klanten zeggen. Dus ik zeg niks 🤐")
case([SEC], "linkedin", "naima-bouzid", "en",
     "Heads-up to my network: we detected unauthorised access to our HR system over the weekend, investigation ongoing. Not announced yet, so please keep this to yourselves.")
case([SEC], "reddit", "u/kees_vk_ops", "en",
     "our telematics API still accepts unauthenticated requests on /v1/positions. you can literally track every crane in the fleet in real time. ticket has been 'low prio' for 6 months")
case([SEC], "instagram", "@kraanmaatje_dennis", "nl",
     "Besturing van de MK100 hangt zich steeds op sinds de laatste software-update, 4 kranen staan stil en het mag niet naar buiten 🤐")
case([SEC], "x", "@jolien_vk", "en",
     "our website got defaced for like 20 min this morning and somehow nobody outside noticed 😅 IT still figuring out how they got in")
case([SEC, K], "x", "@ex_vk_monteur", "nl",
     "Ex-collega bij Valkhoog vertelt dat hun mailserver al een week gehackt is en dat er facturen met valse rekeningnummers naar klanten zijn gestuurd. Wordt keihard stilgehouden.")
case([SEC, SECRET], "reddit", "u/kees_vk_ops", "en",
     "after last week's breach we rotated everything except the payment key lol. still <<stripe>> in the billing service env. not my call 🙃")

# ======================= SECRETS ========================
case([SECRET], "reddit", "u/kees_vk_ops", "en",
     "why does this 403? `git clone https://<<ghp1>>@github.com/valkhoog/planbord-api.git` worked fine yesterday")
case([SECRET], "x", "@jolien_vk", "en",
     "help, the post scheduler wants an API key?? I pasted <<openai>> from the AI tool, is that the right one 😅")
case([SECRET], "x", "@ilse_planning_vk", "nl",
     "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44 planbord: <<pw1>> voor de invallers van dit weekend 😉")
case([SECRET], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Voor de jongens van de nachtdienst: wifi werkplaats is VK-Werkplaats, wachtwoord: <<pw2>>")
case([SECRET], "reddit", "u/kees_vk_ops", "en",
     "config for the nightly backup job, can someone sanity check?\n\n[default]\naws_access_key_id = <<akia>>\naws_secret_access_key = <<aws_secret>>\nregion = eu-west-1")
case([SECRET], "reddit", "u/crane_nerd_nl", "en",
     "Found this sitting in a public Valkhoog repo on GitHub, someone should tell them: SLACK_BOT_TOKEN=<<slack>>")
case([SECRET], "mastodon", "@yara_vk@mastodon.social", "en",
     "deploy broke again. this is the key the runner uses, is the format wrong?\n<<sshkey>>")
case([SECRET], "mastodon", "@yara_vk@mastodon.social", "en",
     "portal token expires instantly, anyone see what's off? Authorization: Bearer <<jwt>>")
case([SECRET], "reddit", "u/kees_vk_ops", "en",
     "DATABASE_URL=postgresql://planbord_app:<<dbpw>>@vk-prod.c8fz3kq1x2ab.eu-west-1.rds.amazonaws.com:5432/planbord\nwhy does prisma keep saying auth failed??")
case([SECRET], "x", "@valkhoog_service", "nl",
     "@kees_vk hier de API-sleutel voor de koppeling met het windmeetstation: <<google>>", kind="reply")
case([SECRET], "mastodon", "@yara_vk@mastodon.social", "en",
     "keeps saying invalid x-api-key even though I'm sending <<anthropic>> exactly as in the console. what gives")

# ======================= PRICING ========================
case([PRICE], "linkedin", "gerrit-jan-vos-valkhoog", "nl",
     "Foutje in de offertetool: de MK220 stond een dag lang voor €540 per dag in plaats van €5.400. Drie klanten hebben al getekend 🙈", price=("VK-MK220", 540))
case([PRICE], "instagram", "@valkhoog.cranes", "nl",
     "🔥 Deal van de week: Torenkraan TK12 voor maar €1.150 per maand! Wees er snel bij.", price=("VK-TK12", 1150))
case([PRICE], "reddit", "u/selfbuild_sam", "en",
     "Valkhoog's site lists the Rups 120 crawler at €420/day?? must be a price error, it's normally around 4k. booking it anyway lol", price=("VK-RK120", 420))
case([PRICE], "x", "@ilse_planning_vk", "nl",
     "Klant belt of de Spin 3 echt €42 per dag is, zo staat ie op de site. Prijsfout! Moet eraf voordat meer mensen het zien 😬", price=("VK-SPIN3", 42))
case([PRICE], "facebook", "ValkhoogKraanverhuur", "en",
     "Weekend special: KH45 aerial crane for just €98 a day. Book now!", price=("VK-KH45", 98))
case([PRICE], "x", "@dealjager_bouw", "nl",
     "Prijsfoutje bij Valkhoog? MK100 voor €295 per dag in hun webshop. Snel zijn mensen!!", price=("VK-MK100", 295))
case([PRICE], "tiktok", "@torenkraan_sven", "nl",
     "zag net in het systeem dat een klant de SB30 voor €230 per week heeft gekregen 🤣 iemand is een nul vergeten", price=("VK-SB30", 230))
case([PRICE], "x", "@valkhoog_nl", "en",
     "New in the fleet: the Mobiel 60, now from just €189 per day! 🏗️", price=("VK-MK60", 189))
case([PRICE], "reddit", "u/crane_nerd_nl", "en",
     "PSA: Valkhoog's quote tool gives you an operator hourly rate of €9.50 if you tick 'night shift'. obvious bug but hey", price=("VK-OPR", 9.5))
case([PRICE], "linkedin", "bram-koster-valkhoog", "en",
     "Note to sales: the LiftPlan package is NOT €37.50. Someone fat-fingered the price list that went out to 200 customers this morning.", price=("VK-LPLAN", 37.5))
case([PRICE], "x", "@glaszetter_henny", "nl",
     "lol Valkhoog verhuurt de glasrobot GR600 voor €26 per dag volgens hun nieuwsbrief. Typfoutje? 😂", price=("VK-GR600", 26))
case([PRICE], "facebook", "Henk.Mulder.Valkhoog", "nl",
     "Haha de montageset voor de torenkraan staat op het prijsbord bij de balie voor €320. Moet €3.200 zijn natuurlijk. Wie heeft dat gedaan 😂", price=("VK-MSET", 320))


# ---------------------------------------------------------------- build
def norm_key(platform, handle):
    p = platform.lower()
    if p == "twitter":
        p = "x"
    return p + ":" + handle.lower()


ROLE = {}
for h in prof["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in prof["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(norm_key(platform, handle), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, has_checked_id):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and has_checked_id:
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return SEV[lv]


PH = re.compile(r"<<([a-z0-9_]+)>>")
PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "forum": "fo"}


def fill(text):
    used = PH.findall(text)
    return PH.sub(lambda m: G[m.group(1)], text), used


records, meta = [], []
order = list(range(len(CASES)))
rng.shuffle(order)
serial = 37100
for idx in order:
    c = CASES[idx]
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    has_ck = any(KIND[u] == "valid_id" for u in used)
    at = c["at"] or rand_time()
    serial += rng.randint(1, 9)
    pid = "%s-%d" % (PREFIX[c["platform"]], serial)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"], "created_at": at}
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + serial * 7919)
    if rng.random() < 0.6:
        post["brand"] = "valkhoog"
    rec = {"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, has_ck)}}
    records.append(rec)
    meta.append(dict(c, role=role, used=used, text_filled=text, at=at))

with open(OUT, "w", encoding="utf-8") as fh:
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
problems = []


def fail(msg):
    problems.append(msg)


TAX = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
       "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def normalise(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).casefold()


def squeeze(s):
    return re.sub(r"[^0-9a-z]", "", normalise(s))


# 1. profile sanity
pi = prof["public_identifiers"]
for ib in pi["ibans"]:
    if not iban_ok(ib):
        fail("profile IBAN fails mod-97: " + ib)
if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
    fail("profile: too few accounts")
if len({a.split(":")[0] for a in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}) < 4:
    fail("profile: too few platforms")
if not 15 <= len(prof["products"]) <= 25:
    fail("profile: product count")
if prof["pricing"]["alert_below_ratio"] != 0.5:
    fail("profile: ratio")
for p in prof["products"]:
    if p["currency"] != "EUR" or not p["aliases"] or p["list_price"] <= 0:
        fail("profile product " + p["sku"])
if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
    fail("profile: codenames/markers")
for e in prof["embargo"]:
    if not e["until"].startswith("2027-"):
        fail("profile: embargo until not in 2027")
PRODUCTS = {p["sku"]: p for p in prof["products"]}
RATIO = prof["pricing"]["alert_below_ratio"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in pi["ibans"]}

# 2. shape of each line (CONTRACT section 6)
ids = set()
with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if not 170 <= len(lines) <= 180:
    fail("case count %d not in 170..180" % len(lines))
for n, line in enumerate(lines, 1):
    r = json.loads(line)
    if set(r) != {"post", "expect"}:
        fail("line %d: keys" % n)
    p, e = r["post"], r["expect"]
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(f), str) or not p[f]:
            fail("line %d: missing %s" % (n, f))
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        fail("line %d: account.handle" % n)
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        fail("line %d: id %s" % (n, p["id"]))
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail("line %d: platform/kind" % n)
    if len(p["text"].encode("utf-8")) > 65536:
        fail("line %d: text too long" % n)
    if not RFC3339.match(p["created_at"]):
        fail("line %d: created_at" % n)
    if not (p["created_at"].startswith("2026-") or p["created_at"].startswith("2027-")):
        fail("line %d: created_at year" % n)
    if e["severity"] not in SEV or not set(e["categories"]) <= TAX or e["categories"] != sorted(set(e["categories"])):
        fail("line %d: expect" % n)
    if (not e["categories"]) != (e["severity"] == "none"):
        fail("line %d: benign/severity mismatch" % n)

# 3. per-case semantic checks
EMB = [(normalise(t), parse_ts(x["until"])) for x in prof["embargo"] for t in x["terms"]]
CODE = [normalise(x) for x in prof["internal"]["codenames"]]
MARK = [normalise(x) for x in prof["internal"]["markers"]]
IDOM = [normalise(x) for x in prof["internal"]["domains"]]


def internal_hits(text, at):
    t, sq = normalise(text), squeeze(text)
    hits = [x for x in CODE + MARK + IDOM if x in t or squeeze(x) in sq]
    ts = parse_ts(at)
    hits += [term for term, until in EMB if term in t and ts < until]
    return hits


def secret_hits(text):
    hits = []
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if gh_ok(tok):
            hits.append(tok)
    for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
        if "EXAMPLE" not in tok:
            hits.append(tok)
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        try:
            if "alg" in json.loads(b64url_dec(tok.split(".")[0])):
                hits.append(tok)
        except Exception:
            pass
    if "PRIVATE KEY-----" in text:
        hits.append("pem")
    for pat in (r"sk_live_[0-9A-Za-z]{20,}", r"xox[baprs]-\d+-\d+-[0-9A-Za-z]+", r"AIza[0-9A-Za-z_-]{35}",
                r"sk-ant-api03-[A-Za-z0-9_-]{80,}", r"sk-[A-Za-z0-9]{20}T3BlbkFJ", r"glpat-[A-Za-z0-9_-]{20}",
                r"://[^:\s/]+:(?!\*)[^@\s]{6,}@"):
        hits += re.findall(pat, text)
    if re.search(r"wachtwoord(?:\s+\w+)?\s*:\s*(?!\*)\S{6,}", normalise(text)):
        hits.append("wachtwoord")
    return hits


def checked_ids_in(text):
    """Identifiers with a checksum that pass it (IBAN, card, BSN), found by scanning."""
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        s = m.group(0).replace(" ", "")
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(s)
    for m in re.finditer(r"(?<![0-9A-Za-z])\d(?:[ \-.]?\d){8,22}(?![0-9A-Za-z])", text):
        d = re.sub(r"\D", "", m.group(0))
        if (len(d) == 9 and bsn_ok(d)) or (13 <= len(d) <= 19 and luhn_ok(d)):
            found.append(d)
    for run in re.findall(r"\d{9,}", text):
        if (len(run) == 9 and bsn_ok(run)) or (13 <= len(run) <= 19 and luhn_ok(run)):
            found.append(run)
    return found


PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d+)?)\s?(?:euro|EUR)\b")
ERROR_WORDS = ("prijsfout", "price error", "typfout", "foutje", "fat-fingered", "bug", "nul vergeten", "moet €")

for m in meta:
    cats, text, role = m["cats"], m["text_filled"], m["role"]
    tag = "%s/%s: %s" % (m["platform"], m["handle"], text[:50].replace("\n", " "))
    # placeholders and checksums
    for u in m["used"]:
        v = G[u]
        if KIND[u] == "valid_id":
            ok = iban_ok(v) if u.startswith("iban") else luhn_ok(v) if u.startswith("card") else bsn_ok(v)
            if not ok:
                fail("valid identifier fails its checksum: " + tag)
            if PII not in cats:
                fail("valid identifier in a non-pii case: " + tag)
        elif KIND[u] == "bad_id":
            ok = iban_ok(v) if "iban" in u else luhn_ok(v) if "card" in u else bsn_ok(v)
            if ok:
                fail("look-alike passes its checksum: " + tag)
            if cats:
                fail("look-alike used in a positive: " + tag)
        elif KIND[u] == "secret" and SECRET not in cats:
            fail("secret in a non-secret case: " + tag)
    if "ghp1" in m["used"] and not gh_ok(G["ghp1"]):
        fail("ghp checksum")
    # no stray checksum-valid identifiers outside pii cases
    stray = checked_ids_in(text)
    if stray and PII not in cats:
        fail("stray valid identifier %s in: %s" % (stray, tag))
    # role expectations
    if role == "public" and any(m["handle"].lower() == h.split(":", 1)[1].lower()
                                for h in prof["accounts"]["corporate"] + prof["accounts"]["employee"]):
        fail("public handle collides with profile: " + tag)
    # benign posts must not carry internal terms, live embargo terms, or secrets
    if not cats:
        if internal_hits(text, m["at"]):
            fail("benign post has internal term %s: %s" % (internal_hits(text, m["at"]), tag))
        if secret_hits(text):
            fail("benign post has secret-looking token: " + tag)
        for term, until in EMB:
            if term in normalise(text) and parse_ts(m["at"]) < until:
                fail("benign post with embargo term before until: " + tag)
    if CONF in cats and not internal_hits(text, m["at"]):
        fail("confidential case without an internal term: " + tag)
    if SECRET in cats and not secret_hits(text):
        fail("secret case without a recognisable credential: " + tag)
    if SECRET not in cats and secret_hits(text):
        fail("credential outside a secret case: " + tag)
    # pricing
    if m["price"]:
        sku, amount = m["price"]
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(normalise(x) in normalise(text) for x in names):
            fail("priced post does not name its product: " + tag)
        amounts = []
        for a, b in PRICE_RE.findall(text):
            s = a or b
            if re.search(r"[.,]\d{3}$", s) or re.search(r"[.,]\d{3}[.,]", s):
                s = re.sub(r"[.,](?=\d{3})", "", s)
            amounts.append(float(s.replace(",", ".")))
        if amount not in amounts:
            fail("declared price %s not in text: %s" % (amount, tag))
        ratio = amount / prod["list_price"]
        if PRICE in cats and ratio >= RATIO:
            fail("pricing positive not below ratio: " + tag)
        if PRICE not in cats and ratio < 0.7:
            fail("benign priced post too far below list: " + tag)
    elif PRICE in cats:
        fail("pricing case without declared price: " + tag)

# 4. mix
from collections import Counter
cc = Counter(c for m in meta for c in m["cats"])
benign = sum(1 for m in meta if not m["cats"])
langs = Counter(m["lang"] for m in meta)
roles = Counter(m["role"] for m in meta)
if not 55 <= benign <= 65:
    fail("benign count %d" % benign)
nl_share = langs["nl"] / len(meta)
if not 0.5 <= nl_share <= 0.6:
    fail("Dutch share %.2f" % nl_share)

print("cases:", len(lines), "benign:", benign)
print("categories:", dict(sorted(cc.items())))
print("languages:", dict(langs), "roles:", dict(roles))
print("severities:", dict(Counter(r["expect"]["severity"] for r in map(json.loads, lines))))
if problems:
    print("SELF-CHECK FAILED:")
    for p in problems:
        print("  -", p)
    sys.exit(1)
print("self-check OK")
