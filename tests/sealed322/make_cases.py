#!/usr/bin/env python3
"""Labelled evaluation set 322 for postwatch: Vlondra Vloeren B.V. (carpet/flooring + fitting).

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities are computed from categories + account role (profile) per CONTRACT section 4,
  * IBAN / card / BSN in positives pass their checksum, look-alikes in negatives fail,
  * generated credentials are built the way the real ones are (GitHub CRC-32, JWT header ...),
  * codenames / internal hosts / markers / embargo terms only appear in confidential posts
    (embargo terms after `until` are benign), pricing ratios match the labels.
Only the standard library and PyYAML are used.
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
SEED = 322
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct):
    s = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


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


def make_card(prefix, length=16):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for c in string.digits:
            if luhn_valid(body + c):
                return body + c


def make_bad_card(prefix, length=16):
    c = make_card(prefix, length)
    last = (int(c[-1]) + 3) % 10
    bad = c[:-1] + str(last)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        tot = sum(int(first8[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = first8 + str(last)
            if bsn_valid(s):
                return s


def make_bad_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_valid(s):
            return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------------------------------
# credentials, built the way the real ones are
# --------------------------------------------------------------------------------------
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-legplanner", "role": "admin", "tenant": "vlondra",
                                 "iat": 1767225600 + rng.randint(0, 20000000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" \
        + bytes(rng.getrandbits(8) for _ in range(360))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "_-"

V = {}
# identifiers (valid)
V["IBAN1"] = group4(make_iban("INGB", "000" + rand(string.digits, 7)))
V["IBAN2"] = make_iban("ABNA", "0" + rand(string.digits, 9))
V["IBAN3"] = group4(make_iban("RABO", "0" + rand(string.digits, 9)))
V["CARD1"] = group4(make_card("4"))
V["CARD2"] = "-".join(re.findall(r"\d{4}", make_card("53")))
V["BSN1"] = make_bsn()
V["BSN2"] = make_bsn()
# look-alikes (invalid)
_good = make_iban("RABO", "0" + rand(string.digits, 9))
_bad = _good[:2] + "%02d" % ((int(_good[2:4]) + 11) % 97 or 13) + _good[4:]
if iban_valid(_bad):
    _bad = _good[:-1] + str((int(_good[-1]) + 1) % 10)
V["IBANBAD1"] = group4(_bad)
V["CARDBAD1"] = group4(make_bad_card("4"))
V["CARDBAD2"] = make_bad_card("60", 16)
V["BSNBAD1"] = make_bad_bsn()
# credentials
V["GHP1"] = github_token("ghp_")
V["AWSID1"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
V["AWSSEC1"] = rand(B64, 40)
V["STRIPE1"] = "sk_live_51" + rand(string.ascii_letters + string.digits, 96)
V["SLACK1"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1),
                                rand(string.ascii_letters + string.digits, 24))
V["GOOGLE1"] = "AIza" + rand(URLSAFE, 35)
V["SSHKEY1"] = make_openssh_key()
V["GLPAT1"] = "glpat-" + rand(URLSAFE, 20)
V["JWT1"] = make_jwt()
V["OPENAI1"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["ANTH1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
V["PUBIBAN"] = group4(PUBLIC_IBAN)

# --------------------------------------------------------------------------------------
# cases (hand-written)
# --------------------------------------------------------------------------------------
CAT = {"cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
       "pii": "leak.pii", "conf": "leak.confidential", "fin": "leak.financial",
       "sec": "leak.security", "scr": "leak.secret", "pri": "leak.pricing"}

RAW = []


def c(platform, handle, lang, cats, text, kind="post", date=None):
    RAW.append(dict(platform=platform, handle=handle, lang=lang,
                    cats=[CAT[x] for x in cats.split("+")] if cats else [],
                    text=text, kind=kind, date=date))


# ======================= benign (hard negatives mostly) =======================
c("x", "@sarah_m_home", "en", "",
  "Just had the Vlondra fitters round for the stairs. Two lads, in and out by 2pm, not a scrap of carpet left behind. Would recommend 👌 #hallwaymakeover")
c("instagram", "@klusmetlotte", "nl", "",
  "Eindelijk!! Eikenhof PVC ligt erin 😍 ik wilde eerst visgraat maar ben zo blij met de rechte planken. Dank @vlondra.vloeren 🙏 #vtwonen #pvcvloer #nieuwevloer")
c("x", "@vlondra_nl", "nl", "",
  "Deze week 20% korting op al het Duinzand hoogpolig tapijt: nu €43,96 per m² (was €54,95). Op = op! 🏷️")
c("facebook", "VlondraVloeren", "en", "",
  "Questions about your order? Email klantenservice@vlondra.nl or call +31 30 799 4400 (Mon–Sat 9:00–17:30). We're happy to help.")
c("x", "@henkdebouwer", "en", "",
  "€19.95 a m2 for Polder 8 is honestly fair for laminate this thick. The DIY store is barely any cheaper")
c("x", "@rianne_vd", "nl", "",
  "Vorige week nog geklaagd over die naad midden in de kamer, vandaag stond er binnen 10 min een monteur van Vlondra op de stoep die het netjes heeft opgelost. Complimenten hoor 👏")
c("x", "@basvdlinden", "nl", "",
  "Handig voor de nieuwe devs: in de voorbeeldconfig staat AKIAIOSFODNN7EXAMPLE, dat is gewoon de dummy uit de AWS-docs. Niet gaan zoeken waar die vandaan komt 😅")
c("linkedin", "thijs-van-oosten", "en", "",
  "Proud to share that our fitting team in Eindhoven completed its 1,000th staircase this year. Huge thanks to everyone who made it happen, and to our customers for their patience during the summer rush.")
c("x", "@tapijtgek", "nl", "",
  "Is Noorderlicht tapijt geschikt voor vloerverwarming? Iemand ervaring mee? @vlondra_helpt")
c("x", "@vlondra_helpt", "nl", "",
  "@tapijtgek Goeie vraag! Noorderlicht heeft een lage warmteweerstand, dus prima op vloerverwarming. Combineer het wel met onze Warmtestap ondervloer 👍",
  kind="reply")
c("x", "@oldhouse_dave", "en", "",
  "Not gonna lie, the carpet fitter who came today was an absolute beast. Stretched 40m2 of wool on his own and still had time to fix my wonky threshold.")
c("x", "@joris1987", "nl", "",
  "Prijsfout bij een vliegmaatschappij gisteren: retourtje Bali voor €89. Helaas al gecorrigeerd 😭 volgende keer sneller zijn")
c("facebook", "marloes.timmer.35", "nl", "",
  "Onze kat heeft het nieuwe Zeewier kleed binnen een dag geclaimd 🐈 helemaal haar plekje nu. Wij mogen er niet meer op zitten haha")
c("x", "@ingrid_writes", "en", "",
  "Sad news about that carpet mill in Kortrijk going bust, 200 jobs gone. Hope the workers land on their feet. (Not Vlondra btw, they just stocked a couple of their rugs.)")
c("instagram", "@kevin.tapijtlegger", "nl", "",
  "Weer een trap van 13 treden gedaan vandaag, sisal met een bies. Zwaar werk maar wat een resultaat 💪 #tapijtlegger #traprenovatie")
c("instagram", "@vlondra.vloeren", "nl", "",
  "Wist je dat? Een Kokosmat op maat laat je gewoon in de winkel snijden terwijl je wacht ☕ #deurmat #opmaat")
c("reddit", "u/renovating_rotterdam", "en", "",
  "Wrote down the 'IBAN' from that dodgy 'Vlondra refund' text everyone's getting: %s. Doesn't even pass the checksum lol, total scam. Their real bank details are on vlondra.nl, don't pay anything." % "<<IBANBAD1>>",
  kind="comment")
c("x", "@mo_elhadji", "en", "",
  "Just ring 0800-8456, they'll sort your fitting appointment out. Took me 5 mins")
c("linkedin", "vlondra-vloeren", "en", "",
  "We're hiring fitters in Utrecht, Amersfoort and Zwolle! Full training, your own van, and a team that has your back. Apply via werkenbij@vlondra.nl")
c("x", "@sanne_kluscoach", "nl", "",
  "Tip: gebruik je voor de Vlondra app hetzelfde wachtwoord als voor je mail? Even aanpassen dan. Gewoon goede hygiëne, geldt voor elke app 🔐")
c("tiktok", "@vloerenvlog", "nl", "",
  "POV: je schoonvader zegt dat laminaat leggen 'een uurtje werk' is 🤡 (spoiler: 3 dagen, en uiteindelijk toch Vlondra gebeld) #klussen #fail")
c("x", "@kate_b", "en", "",
  "Got my Meander rug in the Black Friday sale, 25% off so €261.75 instead of €349. Bargain, and it looks gorgeous in the lounge.",
  date="2026-11-28T19:02:41Z")
c("x", "@marieke_legt", "nl", "",
  "Vandaag 3 zolders gedaan bij 31 graden. Ik ben gesloopt maar de klanten blij 😅 morgen gelukkig een benedenverdieping",
  date="2026-07-22T18:37:10+02:00")
c("x", "@chrisdoesdiy", "en", "",
  "Anyone know if the long number on the Vlondra loyalty card (<<CARDBAD1>>) is something I should keep secret? Pretty sure it's just a points number",
  )
c("x", "@fam_bakker_ut", "nl", "",
  "Bestelling gelukt! Bevestigingsnr <<CARDBAD2>>, legdatum 14 mei. Kan niet wachten 🥳 #nieuwevloer")
c("x", "@annekevdm", "nl", "",
  "Sterkte aan iedereen bij die tapijtfabriek in Kortrijk na de brand. Vreselijk. Hopelijk is iedereen ok. Las dat Vlondra er ook een paar kleden vandaan haalde")
c("linkedin", "ilse-vermeulen-nl", "en", "",
  "Our full-year 2026 results are out today. Thank you to all 1,400 colleagues who made this year possible. The full report is on vlondra.nl.",
  date="2027-03-04T10:15:00Z")
c("x", "@vlondra_nl", "nl", "",
  "Nieuw in de winkels: Eikenhof Aqua, waterbestendig PVC voor badkamer en keuken 💧 Vanaf vandaag te zien in al onze vestigingen.",
  date="2027-01-20T12:00:00+01:00")
c("x", "@dutchdesignlover", "nl", "",
  "De jaarcijfers 2026 van Vlondra vallen me eigenlijk mee, ondanks de woningmarkt. Knap hoor",
  date="2027-03-05T08:41:12Z")
c("x", "@basvdlinden", "nl", "",
  "Reminder voor het team: tokens altijd volledig redacten in tickets, dus ghp_****************************a1 en niet alleen de laatste 4 tekens weghalen 🙃")
c("x", "@oma_truus", "nl", "",
  "Die jongen van Vlondra die vandaag ons tapijt kwam leggen was zó beleefd. Heeft zelfs mijn kastje weer teruggezet. Zulke mensen zie je niet veel meer ❤️")
c("x", "@renterinleiden", "en", "",
  "Landlord finally replaced the 30-year-old carpet with Polder 12 laminate. Not sure about the colour but way better than the mouldy stuff before")
c("forum", "Kees_K", "nl", "",
  "Vraag over egaliseren: moet je bij een oude tegelvloer altijd eerst egaliseren voor PVC? Vlondra zegt ja, de buurman zegt nee 🤔 wie heeft gelijk")
c("x", "@stairsfanatic", "en", "",
  "lol the Vlondra TikTok of the guy fitting carpet to a spiral staircase is insane. how does he even")
c("tiktok", "@dennis.vloerman", "nl", "",
  "Hoe snij je tapijt strak rond een deurkozijn? 3 tips in 30 sec 👇 #vloerman #tapijtleggen #howto")
c("x", "@petra_huis", "nl", "",
  "Ik twijfel tussen Lariks parket en Walnoot massief. Wie heeft tips? Budget is rond de 80 euro per m2, leggen laat ik doen")
c("x", "@vlondra_helpt", "en", "",
  "Our website and app are back online. Sorry for the hassle this morning. All appointments planned for today are going ahead as normal.")
c("x", "@kim_vloer", "en", "",
  "Can a robot vacuum cope with Kurkstap? Thinking of it for the kids' room but not sure yet")
c("x", "@nadia_homes", "en", "",
  "Honestly the Vlondra showroom in Haarlem is dangerously good. Went in for a doormat, left with a rug 😂")
c("x", "@thomasvanr", "en", "",
  "haha my brother tried laying carpet himself. looks like a bomb went off in there 💥 next time just call Vlondra mate")
c("x", "@ux_ellen", "en", "",
  "The Vlondra booking flow is actually nice. Picked a fitting slot, got a confirmation mail from legservice@vlondra.nl within seconds.")
c("x", "@bartjes", "nl", "",
  "Koop nooit zomaar sisal voor een trap met kleine kinderen, glad als de pest. Wij hebben bij Vlondra uiteindelijk Stadspark tegels op de overloop gedaan en de trap in wol.")
c("x", "@jessie_designs", "nl", "",
  "Kustlijn sisal voor €39,95 per m2, dat vind ik best pittig eigenlijk 🤷‍♀️ maar het is wel heel mooi")
c("linkedin", "ruud-hoekstra-vlondra", "en", "",
  "Great session today with our store managers on safety on the job: knee pads, proper cutting technique, lifting rolls as a pair. Zero lost-time injuries this quarter, let's keep it that way.")
c("x", "@lisa_leest", "nl", "",
  "Mijn ex-collega bij een verzekeraar werd ontslagen via een Teams-berichtje. Wat een manier. Gelukkig heeft ze nu een fijne baan bij Vlondra in de showroom 🙌")
c("x", "@tomasz_in_nl", "en", "",
  "Is it normal that new wool carpet smells a bit for a few days? Noorderlicht from Vlondra, the fitter said it's the lanolin and goes away within a week")
c("tiktok", "@vlondra.legt", "nl", "",
  "Van kale betonvloer naar Betonlook vinyl in 1 dag ⏱️ (ja, de ironie ontgaat ons niet 😄) #voorenna #vloer")
c("x", "@jw_runs", "en", "",
  "The carpet in our new flat is Stadspark tiles. Spilled a whole glass of red on it, popped the tile out, rinsed it in the shower. Genius.")
c("x", "@sjoerd_h", "nl", "",
  "Zag een 'prijsfout' post over Vlondra langskomen maar dat was gewoon de actie van vorige maand: Zachtstap voor €5,56 ipv €6,95 😂 niks bijzonders mensen")
c("x", "@fiona_fixes", "en", "",
  "Vlondra fitter turned up early, moved all our furniture, laid the Eikenhof in the kitchen and moved it all back. Better experience than most trades I've had.")
c("x", "@yasmina_vlondra", "nl", "",
  "Eerste dag als vestigingsmanager in Breda! Zin in. Kom gerust langs voor een bakkie en een kleedje 😄")
c("bluesky", "@hannah.bsky.social", "en", "",
  "Update on my carpet saga: Vlondra refunded the lot and apologised properly. Took a while but credit where it's due.")
c("x", "@roel_amersfoort", "nl", "",
  "Wie weet wat dit voor BSN-achtig nummer is op mijn factuur van Vlondra? <<BSNBAD1>> 🤔 staat bij 'klantreferentie'")
c("x", "@devops_daan", "en", "",
  "Cool talk by the Vlondra platform team at the meetup about how they rotate secrets. Their example config had password: <changeme> everywhere 😂")
c("instagram", "@wonenmetwillemijn", "nl", "",
  "Onze slaapkamer is klaar! Slaapkamerpakket van Vlondra, 15 m² voor €899 alles incl. leggen. Zeer tevreden 🛏️ #slaapkamerinspiratie")
c("x", "@linda_vd_berg", "nl", "",
  "Klopt het dat pers@vlondra.nl het goede adres is voor de persafdeling? Ik schrijf een stuk over duurzame vloeren voor een lokaal blad")
c("facebook", "VlondraVloeren", "nl", "",
  "Liever overmaken dan pinnen? Dat kan naar <<PUBIBAN>> t.n.v. Vlondra Vloeren B.V. o.v.v. je ordernummer. Vragen? klantenservice@vlondra.nl")
c("x", "@femke_renoveert", "nl", "",
  "Vlondra of de bouwmarkt voor een traprenovatie? Vlondra is duurder maar je krijgt garantie op het leggen. Voor ons de doorslag.")
c("x", "@tilburgse_tineke", "nl", "",
  "Textielmuseum in Tilburg bezocht, de oude wolspinnerij is echt indrukwekkend. Daarna nog even langs Vlondra voor een kleed 😄")
c("youtube", "@VlondraVloerenTV", "en", "",
  "New video: how to measure a room for carpet in five minutes, no maths degree needed. Link in bio, questions welcome in the comments 📏")

# ======================= complaint (single) =======================
c("x", "@jeroen_bouwt", "nl", "cmp",
  "3e keer dat de legploeg van @vlondra_nl niet komt opdagen. 3 vrije dagen opgenomen voor niks. Geen telefoontje, geen mail. Echt bizar hoe jullie met klanten omgaan")
c("x", "@sarahjmoss", "en", "cmp",
  "@vlondra_helpt ordered Noorderlicht in 'mist grey', what arrived is clearly beige. Fitter shrugged and said 'it's what's on the roll'. Not paying 2 grand for the wrong colour.")
c("facebook", "peter.van.damme.9", "nl", "cmp",
  "Na 2 maanden kraakt ons Polder 12 laminaat bij elke stap. Monteur zegt 'hoort zo'. Sorry maar dat hoort helemaal niet zo. Vlondra, wanneer komen jullie dit oplossen??")
c("x", "@mark_t_uk", "en", "cmp",
  "Waited 6 weeks for a refund from Vlondra for a cancelled fitting. Six. Weeks. Every time I call I'm 'escalated'. Escalated where, the moon?")
c("x", "@dewitjes_thuis", "nl", "cmp",
  "Tapijt ligt erin maar de naad loopt dwars door de woonkamer en je ziet m gewoon vanaf de bank. Bij het inmeten werd beloofd dat dat niet zou gebeuren 😤 #vlondra")
c("x", "@ilona_k", "nl", "cmp",
  "Plinten helemaal beschadigd door de monteur van Vlondra, overal krassen en er is een stuk uit. En nu moet ik zelf foto's opsturen en 'afwachten'. Top service hoor 🙄")
c("reddit", "u/leeds_lass", "en", "cmp",
  "Avoid Vlondra's 'free measuring'. Guy measured our hall wrong by 40cm, so the stair runner doesn't reach the landing and now they want to charge us for a new piece.",
  kind="comment")
c("x", "@k_verbeek", "nl", "cmp",
  "klantenservice vlondra gewoon onbereikbaar. 47 min in de wacht, daarna verbinding verbroken. dit is dag 4. #slechteservice")
c("x", "@rwinters", "en", "cmp",
  "Vlondra just dumped all the offcuts and our old carpet in the back garden. 'Removal wasn't included' apparently, while it's literally on the quote. Ugh")
c("x", "@ellie_bakes", "en", "cmp",
  "Delivery window from @vlondra_nl: 'between 7:00 and 18:00'. They turned up at 18:40. Then told me the underlay was missing so they couldn't start anyway 🙃")
c("instagram", "@huisje_boompje_beestje", "nl", "cmp",
  "Kleed van €349 na 3 weken al aan het pluizen en de randen rafelen. Vlondra zegt 'normaal gebruik'. Wij hebben geen huisdieren en lopen op sokken 🙃 #meandervloerkleed #teleurgesteld")

# ======================= crisis + complaint (first-hand safety) =======================
c("x", "@moeder_van_3", "nl", "cmp+cri",
  "Onze dochter van 4 is vanmiddag op een tapijtlat met spijkers gestapt die de monteur van Vlondra gewoon op de trap had laten liggen. We zitten nu op de SEH. Ik ben zo ontzettend boos.")
c("x", "@dan_h_homes", "en", "cmp+cri",
  "The Warmtestap underlay Vlondra fitted over our underfloor heating started smoking last night. Actual smoke, scorch marks under the laminate, fire brigade came out. Who signs this stuff off??")
c("facebook", "sanne.kuijpers.77", "nl", "cmp+cri",
  "Sinds Vlondra vorige week de nieuwe vloer heeft gelijmd heb ik elke dag hoofdpijn en zijn mijn zoontje en ik misselijk. Ramen staan 24/7 open, lijm stinkt nog steeds. Niemand neemt de telefoon op.")
c("x", "@grant_r", "en", "cmp+cri",
  "Slipped on the stair nosing Vlondra fitted on Tuesday, the strip came loose under my foot. Cracked wrist. Turns out the fitter had only glued it at one end.")
c("x", "@ricky_vdl", "nl", "cmp+cri",
  "De plintverlichting die Vlondra bij onze nieuwe vloer heeft aangelegd is niet goed aangesloten, mijn vrouw kreeg een flinke schok toen ze de plint aanraakte 😡 wie doet zoiets")

# ======================= crisis (single) =======================
c("x", "@consumentenwacht_nl", "nl", "cri",
  "Vlondra roept de Warmtestap ondervloer terug na meldingen van oververhitting op vloerverwarming. Heb je deze ondervloer? Zet de vloerverwarming uit en neem contact op met de winkel.")
c("x", "@homesafety_news", "en", "cri",
  "Reports of a child injured by exposed carpet gripper left on a staircase after a Vlondra fitting in Zwolle. The company has not yet commented.")
c("x", "@boycotvlondra", "nl", "cri",
  "Vlondra verkoopt vloerkleden die door kinderen geknoopt worden. Laat je niet foppen door die 'fair'-labeltjes. Koop daar NIKS meer. #boycotVlondra")
c("x", "@privacy_watchnl", "en", "cri",
  "Vlondra customers are flooding our inbox: phishing texts with their exact order number, address and fitting date. That data came from somewhere. Looks like Vlondra has been breached and isn't saying.")
c("x", "@vakbond_vloer", "nl", "cri",
  "Zzp-tapijtleggers die voor Vlondra werken krijgen €9 per m² en moeten alles zelf betalen. Schijnzelfstandigheid pur sang. We stappen naar de rechter.")
c("x", "@stefanie_legal", "en", "cri",
  "Class action being prepared against Vlondra over formaldehyde emissions from the Betonlook vinyl. If you bought it between 2024 and 2026, get in touch.")
c("x", "@rtv_regio_oost", "nl", "cri",
  "Brand in woning in Deventer mogelijk veroorzaakt door ondervloer voor vloerverwarming, bewoners spreken van een product van Vlondra. Brandweer doet onderzoek.")
c("reddit", "u/whistle_nl", "en", "cri",
  "Ex-Vlondra fitter here. We were told to skip the moisture test on fresh screed to hit our targets. Half the PVC floors on those new-build estates will lift within a year. Scandal waiting to happen.")
c("instagram", "@duurzaamwonen_nu", "nl", "cri",
  "Vlondra adverteert met 'gerecyclede' tapijttegels maar uit onderzoek van een vakblad blijkt dat het gewoon nieuw nylon is. Greenwashing van de bovenste plank. Delen!!")
c("x", "@jamie_w", "en", "cri",
  "Boycott Vlondra. Their Rotterdam store manager told a woman in a headscarf they 'don't fit floors in that neighbourhood'. Disgusting. #BoycottVlondra")

# ======================= abuse + complaint =======================
c("x", "@boze_burger", "nl", "abu+cmp",
  "Stelletje oplichters bij Vlondra. €2400 betaald en de vloer ligt scheef, klotebedrijf. Die monteur van jullie is een vuile prutser.")
c("x", "@gazza_1980", "en", "abu+cmp",
  "@vlondra_helpt your fitter is a useless f***ing idiot. Cut the carpet 20cm short in two rooms and walked off. Sort it out.")

# ======================= abuse (single) =======================
c("x", "@xxnoah", "nl", "abu",
  "vlondra zijn echte k@nkerlijers, hoop dat die hele tent failliet gaat")
c("x", "@trollking88", "en", "abu",
  "Vlondra staff are the thickest people I've ever met. Genuinely brain dead, every single one of them.")
c("x", "@j_meijer", "nl", "abu",
  "@marieke_legt ga toch terug naar de keuken, een vrouw als tapijtlegger 🤣 wat een grap",
  kind="reply")
c("x", "@basvdlinden", "nl", "abu",
  "@gazza_1980 misschien eerst zelf leren meten, debiel",
  kind="reply")
c("x", "@angry_al", "en", "abu",
  "Hope the Vlondra guy who did my mum's stairs gets what's coming to him. I know where your van is parked, mate.")
c("tiktok", "@kevlar0", "nl", "abu",
  "vlondra is een k\u0430nk\u0435rbedrijf en die verkopers zijn allemaal zwervers")
c("x", "@r0bb3rt", "nl", "abu",
  "Vlondra = st3ll3tj3 kl0tz4kk3n 🤬 n00it meer")
c("x", "@kyle99", "en", "abu",
  "Vlondra customer service are a bunch of m.o.r.o.n.s, every one of them")
c("tiktok", "@dennis.vloerman", "nl", "abu",
  "Klant van vandaag: 'kan het niet wat sneller?' Ja hoor mevrouw, als u uw dikke reet even van de trap haalt 🙄🤬")
c("instagram", "@lena.k", "en", "abu",
  "Whoever runs the Vlondra insta is a total moron. Delete your account.",
  kind="comment")

# ======================= personal data (single) =======================
c("x", "@vlondra_helpt", "nl", "pii",
  "@ilona_k Sorry voor de schade! We hebben je gegevens doorgezet: Ilona Kramer, Populierenlaan 23, 3843 BK Harderwijk, tel. 06-41827735. De planner belt je morgen.",
  kind="reply")
c("linkedin", "ilse-vermeulen-nl", "en", "pii",
  "Finance team: refund for the Jansen order is still stuck. Customer IBAN is <<IBAN1>> (M. Jansen), amount €1.284,50. Can someone push it through today?")
c("facebook", "VlondraVloeren", "nl", "pii",
  "Beste Henk, we zien je betaling met kaart <<CARD1>> niet terug in ons systeem. Kun je even checken of die goed is gegaan?",
  kind="comment")
c("x", "@yasmina_vlondra", "nl", "pii",
  "Wie heeft de klant van gisteren geholpen? Mevr. A. Dekker (geb. 12-03-1958) belt steeds over haar afspraak, nr 06 1288 4301. Even terugbellen aub")
c("instagram", "@kevin.tapijtlegger", "nl", "pii",
  "Vandaag bij de familie Bosman op de Kerkstraat 8 in Hoorn, een hele villa vol Noorderlicht 😍 Dank voor de koffie Gerda!")
c("x", "@rdegraaf_", "en", "pii",
  "@vlondra_helpt please refund to my account <<IBAN2>>, name R. de Graaf, order 55102. Thanks!")
c("x", "@joke_van_l", "nl", "pii",
  "@vlondra_nl bel me even terug aub, 06-23419870, gaat over de legafspraak van donderdag")
c("x", "@vlondra_nl", "en", "pii",
  "@sarahjmoss We've arranged a replacement roll. Confirmation sent to sarah.moss82@gmail.com, let us know if it doesn't arrive!",
  kind="reply")
c("linkedin", "ruud-hoekstra-vlondra", "en", "pii",
  "Welcome to the team Joost! For whoever needs it for the payroll setup: Joost van Leeuwen, BSN <<BSN2>>, start date 1 September.",
  date="2026-08-25T14:10:19+02:00")
c("x", "@marieke_legt", "nl", "pii",
  "Klant betaalde met kaart maar de pinautomaat deed raar, kaartnummer <<CARD2>> exp 09/28. @basvdlinden kun jij checken of die transactie erdoor is?")
c("reddit", "u/annoyed_in_ams", "en", "pii",
  "Found a Vlondra worksheet in the street near the Amsterdam-West store: W. Hofman, Van Speijkstraat 112-II, Amsterdam, 06 4418 2290, 'key under the mat'. Anyone know them? Want to return it.")
c("instagram", "@vlondra.vloeren", "nl", "pii",
  "Gefeliciteerd aan de winnaar van onze winactie: Lotte Smits uit Zeist! 🎉 We hebben je gemaild op lotte.smits@hotmail.com, check je inbox")
c("x", "@basvdlinden", "nl", "pii",
  "Testdata in prod weer hoor: klant Ahmed Yilmaz, geb. 03-07-1991, +31 6 3392 1108, Lindengracht 45 Alkmaar. Wie heeft dit geïmporteerd??")

# ======================= personal data + complaint =======================
c("x", "@lauraaa_nl", "nl", "cmp+pii",
  "Vlondra reageert al 3 weken niet op mijn mails over de verkeerde kleur vloer. Bel me dan gewoon!! 06-51938204 of laura.dijkman@outlook.com. Ben het zo zat.")
c("facebook", "bram.de.koning.5", "nl", "cmp+pii",
  "Twee keer afgeschreven voor dezelfde legservice, allebei van rekening <<IBAN3>>. Vlondra, ik wil mijn geld terug en wel nu.")

# ======================= pricing =======================
c("x", "@vlondra_nl", "nl", "pri",
  "🔥 WEEKENDDEAL 🔥 Walnoot massief parket nu voor €12,40 per m²! Alleen online, zolang de voorraad strekt.")
c("x", "@dealjager_nl", "nl", "pri",
  "PRIJSFOUT?! Noorderlicht tapijt staat op de site van Vlondra voor €8,99/m² ipv €89,95. Snel zijn!! #prijsfout #deal")
c("x", "@yasmina_vlondra", "nl", "pri",
  "Collega's: het Meander vloerkleed staat in de kassa voor €34,90 i.p.v. €349. Niet verkopen tot IT het gefixt heeft!")
c("reddit", "u/bargainbeast", "en", "pri",
  "Vlondra webshop has the Trapbekleding 13 treden package listed at €129.50. Pretty sure that's missing a zero lol. Ordered two.")
c("facebook", "VlondraVloeren", "en", "pri",
  "Spring offer: the Slaapkamerpakket complete with fitting, only €89! Book your slot now.",
  date="2026-04-02T08:30:00+02:00")
c("tiktok", "@koopjeskoningin", "nl", "pri",
  "Meiden!! Zeewier rond kleed bij Vlondra voor 17,90 😱 rennen!!")
c("linkedin", "thijs-van-oosten", "en", "pri",
  "Heads up to the e-commerce team: the price error on Lariks parket (showing €6.99/m²) is now live on the Belgian site too.")
c("x", "@sparen_met_sven", "en", "pri",
  "Eikenhof PVC for €4.49 a m2 in the Vlondra app 🤯 glitch?? already ordered 60m2")
c("instagram", "@kevin.tapijtlegger", "nl", "pri",
  "Haha vandaag kreeg een klant Stoomreiniging aan huis voor €12,90 in plaats van €129, kassasysteem weer eens 🙈")
c("x", "@frugal_fi", "en", "pri",
  "Vlondra is selling Kurkstap cork flooring for €9.95/m2 today. Either it's a pricing glitch or cork has crashed 😂")
c("instagram", "@vlondra.vloeren", "nl", "pri",
  "Nieuwjaarsknaller: Polder 12 laminaat voor maar €2,79 per m²! 🎆 #laminaat #deal",
  date="2026-12-31T10:05:00+01:00")
c("x", "@huizenjager", "nl", "pri",
  "Zachtstap ondervloer €0,69 per m² bij Vlondra. Dit moet een prijsfout zijn toch?")

# ======================= secrets =======================
c("x", "@basvdlinden", "nl", "scr",
  "waarom werkt deze deploy niet 😩 export GITHUB_TOKEN=<<GHP1>> && ./deploy.sh prod")
c("mastodon", "@jorienk@mastodon.nl", "en", "scr",
  "Quick q for the AWS folks: boto keeps saying AccessDenied with aws_access_key_id = <<AWSID1>> aws_secret_access_key = <<AWSSEC1>> in eu-west-1. Ideas?")
c("x", "@vlondra_helpt", "nl", "scr",
  "Voor de collega's in Breda: wifi VLD-Staff, \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44: Kr@bbel-Vilt-8841")
c("linkedin", "thijs-van-oosten", "en", "scr",
  "Finally got the new checkout working 🎉 If you want to try the integration yourself, this is the key we use: <<STRIPE1>>")
c("threads", "@noor_op_de_vloer", "nl", "scr",
  "Slackbot voor de legplanning is af! token voor wie wil meebouwen: <<SLACK1>>")
c("reddit", "u/curious_dev", "en", "scr",
  "Vlondra's public JS bundle ships what looks like an unrestricted Google Maps key: <<GOOGLE1>> someone should tell them",
  kind="comment")
c("x", "@svendev_vl", "nl", "scr",
  "ssh werkt ineens niet meer vanaf thuis, iemand een idee? dit is mijn key:\n<<SSHKEY1>>")
c("mastodon", "@jorienk@mastodon.nl", "en", "scr",
  "CI pipeline keeps failing with 401, I'm using glpat token <<GLPAT1>> in the runner config. Anything obvious I'm missing?")
c("x", "@svendev_vl", "nl", "scr",
  "DATABASE_URL=postgresql://planning_app:Hv7!qR2pZ9@vlondra-prod.cx81kq2lz3.eu-west-1.rds.amazonaws.com:5432/planning kan iemand zien waarom de migratie faalt?")
c("x", "@svendev_vl", "nl", "scr",
  "iemand die dit kan decoden? krijg 403 op de API met Authorization: Bearer <<JWT1>>")
c("x", "@pentest_pieter", "en", "scr",
  "Vlondra's chatbot just printed its own OpenAI key when I asked nicely: <<OPENAI1>> 🤦 responsible disclosure sent")

# ======================= security + secret =======================
c("x", "@svendev_vl", "nl", "scr+sec",
  "Incident: onze Anthropic key <<ANTH1>> stond sinds vannacht in een publieke repo en er is al voor €3k aan verbruik op gedaan. Nog niet extern communiceren pls")

# ======================= security (single) =======================
c("x", "@svendev_vl", "nl", "sec",
  "Niet verder vertellen maar de klantportal lekt al 2 weken orderdata via een open API endpoint, fix komt pas volgende sprint")
c("mastodon", "@jorienk@mastodon.nl", "en", "sec",
  "We got hit by ransomware on the planning servers last night. Fitters are working from paper lists today. Comms hasn't announced anything yet so keep it quiet pls.")
c("x", "@basvdlinden", "nl", "sec",
  "pentest rapport binnen: SQL-injectie in de offertetool, na 3 maanden nog steeds niet gepatcht. Alle klantgegevens zijn uit te lezen. Management vindt het 'geen prio' 🙃")
c("threads", "@noor_op_de_vloer", "en", "sec",
  "The whole till system in all 38 stores has been down since 9am, we're ringing everything up by hand. Nothing on the website yet 🤐")
c("x", "@vlondra_helpt", "nl", "sec",
  "Intern: graag klanten NIET vertellen dat de betaalpagina sinds gisteren kaartgegevens naar een verkeerde server stuurt, juridische zaken kijkt ernaar")
c("linkedin", "ilse-vermeulen-nl", "en", "sec",
  "Between us: the phishing texts our customers are getting are because a fitter's tablet with the full customer export was stolen in March. It was never reported.",
  date="2026-06-10T22:31:05+02:00")
c("x", "@svendev_vl", "en", "sec",
  "Found out our admin panel still accepts the vendor's default password. Reported it internally 2 weeks ago, ticket still open. Anyone who finds the URL can log in 🤷")
c("tiktok", "@dennis.vloerman", "nl", "sec",
  "Legapp van de zaak is al 3 dagen kapot, we zien de adressen van ALLE klanten in heel NL ipv alleen die van ons. Lekker veilig 😂")
c("reddit", "u/throwaway_vl_it", "en", "sec",
  "Throwaway. I do IT for Vlondra. The customer database backup has been sitting in a public S3 bucket for months. They know. Nothing's been done.")
c("x", "@yasmina_vlondra", "nl", "sec",
  "Pinautomaten in Breda en Tilburg geven al de hele dag storing, hoofdkantoor zegt dat het een hackpoging is maar we mogen het niet tegen klanten zeggen")

# ======================= security + confidential (internal hosts) =======================
c("x", "@svendev_vl", "nl", "conf+sec",
  "legplanner.vlondra.local is sinds 04:00 onbereikbaar, lijkt op een DDoS. grafana.vlondra.local staat helemaal rood 🔥")
c("mastodon", "@jorienk@mastodon.nl", "en", "conf+sec",
  "Heads-up: someone used a leaked session to scrape jira.vlondra-intern.nl overnight, all tickets including the pentest findings. Not announced yet.")

# ======================= confidential (single) =======================
c("instagram", "@kevin.tapijtlegger", "nl", "conf",
  "Vandaag de eerste proefvloer voor Project Wolspin gelegd 🤫 meer mag ik niet zeggen maar WOW")
c("x", "@marieke_legt", "nl", "conf",
  "Zojuist de stalen van de Noorderlicht Pure gezien, 100% gerecyclede wol. Komt volgend jaar, echt prachtig",
  date="2026-09-17T14:22:05+02:00")
c("linkedin", "thijs-van-oosten", "en", "conf",
  "Excited about what Basaltkust will mean for our customers in 2027. Can't share details yet, but our fitting process is about to change completely.")
c("x", "@basvdlinden", "nl", "conf",
  "Wie heeft de link naar wiki.vlondra-intern.nl/legprotocol-v3 ? Moet die naar de onderaannemers sturen")
c("threads", "@noor_op_de_vloer", "en", "conf",
  "The Eikenhof Aqua display for the stores arrived today 😍 waterproof PVC in five colours, launch is in January",
  date="2026-11-28T16:03:44+01:00")
c("x", "@vlondra_nl", "nl", "conf",
  "VLONDRA INTERN — concept persbericht Operatie Vilthoed, niet publiceren vóór akkoord directie")
c("linkedin", "ilse-vermeulen-nl", "en", "conf",
  "Sharing one slide from today's leadership offsite (marked VLONDRA CONFIDENTIAL, but it's too good not to share): our new store format will be 40% smaller with a fitting studio in the middle.")
c("x", "@insider_tips_nl", "en", "conf",
  "From a mate at Vlondra: they're working on 'Project Wolspin', a carpet subscription where you get a new one every 5 years. Launch sometime in 2027.")
c("tiktok", "@dennis.vloerman", "nl", "conf",
  "training vandaag voor \uff22\uff41\uff53\uff41\uff4c\uff54\uff4b\uff55\uff53\uff54, nieuwe legmethode zonder lijm 👀 #geheim")
c("x", "@marieke_legt", "nl", "conf",
  "Collega's die ook bij de Wol\u200bspin pilot zitten: morgen 7u verzamelen in Amersfoort")
c("mastodon", "@jorienk@mastodon.nl", "en", "conf",
  "Reminder for the new starters: connect to vpn.vlondra.nl before opening the measurement app, otherwise your uploads silently fail.")
c("linkedin", "ruud-hoekstra-vlondra", "nl", "conf",
  "Mooi moment: de eerste Noorderlicht Pure rollen kwamen vandaag van de band bij onze wolleverancier 🧶",
  date="2027-01-12T11:30:00+01:00")
c("x", "@yasmina_vlondra", "nl", "conf",
  "Ik mag hier eigenlijk niks over zeggen (niet buiten Vlondra delen staat er met koeienletters op) maar de nieuwe kleurenwaaier voor 2027 is 🔥🔥")
c("linkedin", "vlondra-vloeren", "en", "conf",
  "Draft agenda for the Basaltkust supplier day on 14 October. Attendees, please confirm with procurement by Friday.",
  date="2026-09-21T09:00:00+02:00")

# ======================= confidential + financial =======================
c("x", "@flooringtradeinsider", "en", "conf+fin",
  "Hearing Vlondra's 'Operatie Vilthoed' is about bringing all fitting in-house and dropping every freelance fitter by mid 2027. 300+ people affected.")
c("linkedin", "ilse-vermeulen-nl", "en", "conf+fin",
  "(meant for the finance channel, sorry) Vlondra confidential: full-year 2026 results will show revenue of €212m, down 9%, EBITDA €14m. Board pack Thursday.",
  date="2027-02-10T09:12:33Z")

# ======================= financial (single) =======================
c("x", "@yasmina_vlondra", "nl", "fin",
  "Hoorde net op de regiomeeting dat er in maart 9 filialen dichtgaan, zo'n 140 mensen. Nog niet officieel dus sssht 🤐",
  date="2026-01-15T16:44:02+01:00")
c("linkedin", "thijs-van-oosten", "en", "fin",
  "Can't say much yet, but by the end of Q1 we'll be announcing the acquisition of a Belgian flooring chain. Big news for the Benelux team!",
  date="2026-01-27T12:20:00Z")
c("x", "@beursblik_nl", "nl", "fin",
  "Mijn zwager werkt bij Vlondra op finance: Q3 omzet -18%, grootste daling ooit. Wordt pas in november bekendgemaakt. Doe er je voordeel mee 😉",
  date="2026-10-08T21:14:55+02:00")
c("mastodon", "@jorienk@mastodon.nl", "en", "fin",
  "Town hall today: management says the fitting division will be sold to a private equity firm in spring. Nobody outside the company knows yet.")
c("x", "@basvdlinden", "nl", "fin",
  "Ik mag het niet zeggen maar de cijfers over dit jaar worden echt slecht, verlies van rond de 8 miljoen. Bonussen kunnen we wel vergeten")
c("reddit", "u/vl_hq_throwaway", "en", "fin",
  "Vlondra is cutting 220 jobs at head office in Utrecht, letters go out next week. Announcement is planned for Monday.")
c("linkedin", "ruud-hoekstra-vlondra", "nl", "fin",
  "Trots dat we na maanden onderhandelen de overname van Tapijthuis Verbeek rond hebben! Officiële aankondiging volgt over 2 weken, tot die tijd mond dicht 😉")
c("x", "@vlondra_nl", "en", "fin",
  "Q3 like-for-like sales -11%, gross margin 31.2%. Draft for Thursday's release, do not post.",
  date="2026-10-20T17:48:09+02:00")
c("tiktok", "@dennis.vloerman", "nl", "fin",
  "Vandaag gehoord dat alle zzp-leggers per 1 juli eruit gaan en ze met een eigen ploeg verdergaan. Nog niet aangekondigd. Benieuwd wat dat voor mij betekent",
  date="2026-04-10T20:03:37+02:00")
c("threads", "@noor_op_de_vloer", "en", "fin",
  "Our regional director just told us they expect profit to drop 25% next year and there's a hiring freeze from Monday. Not public yet.",
  date="2026-11-05T13:26:48+01:00")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
ACC = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ACC[a.lower()] = role


def role_of(platform, handle):
    return ACC.get(("%s:%s" % (platform, handle)).lower(), "public")


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"<<([A-Z0-9]+)>>", rep, text)
    assert "<<" not in out
    return out


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіАЕОРСХ", "aeopcyxiAEOPCX")


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).translate(CYR)


def find_ibans(t):
    out = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", t):
        out.append(re.sub(r"\s", "", m.group(0)))
    return out


def find_cards(t):
    return [re.sub(r"\D", "", m.group(0))
            for m in re.finditer(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", t)]


def find_bsns(t):
    return [m.group(1) for m in re.finditer(r"(?i)(?:bsn|burgerservicenummer|sofinummer)\D{0,30}?(\d{9})\b", t)]


def checksum_ids(t):
    """validated identifiers in the text (IBAN not the company's own, Luhn card, 11-proof BSN)"""
    pub = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    ids = [("iban", x) for x in find_ibans(t) if iban_valid(x) and x.upper() not in pub]
    ids += [("card", x) for x in find_cards(t) if luhn_valid(x)]
    ids += [("bsn", x) for x in find_bsns(t) if bsn_valid(x)]
    return ids


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    """CONTRACT section 4, from categories + account role; never typed by hand."""
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                up("error")
                if cat in ("leak.secret", "leak.pricing"):
                    up("critical")
                if cat == "leak.pii" and checksum_ids(text):
                    up("critical")
            else:
                up("warning")
        elif cat == "reputation.complaint":
            up("warning")
        elif cat == "reputation.crisis":
            up("error")
        elif cat == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


def rand_date():
    day = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 345))
    t = dt.time(rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59))
    off = rng.choice(["Z", "Z", "+01:00", "+02:00"])
    return "%sT%s%s" % (day.isoformat(), t.isoformat(), off)


PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
               "forum": "fo"}

for r in RAW:
    if r["date"] is None:
        r["date"] = rand_date()
order = list(range(len(RAW)))
rng.shuffle(order)

cases = []
for n, i in enumerate(order, 1):
    r = RAW[i]
    text = fill(r["text"])
    role = role_of(r["platform"], r["handle"])
    cats = sorted(set(r["cats"]))
    post = {"id": "%s-322%03d" % (PLAT_PREFIX[r["platform"]], n),
            "platform": r["platform"], "kind": r["kind"],
            "account": {"handle": r["handle"]},
            "text": text, "lang": r["lang"], "created_at": r["date"], "brand": "vlondra"}
    if n % 3 == 0:
        post["url"] = "https://example.social/%s/%s/%d" % (r["platform"], r["handle"].strip("@/"), 10 ** 9 + n)
    cases.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for cs in cases:
        fh.write(json.dumps(cs, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
ERR = []


def check(cond, msg):
    if not cond:
        ERR.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
VALID_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        raise ValueError(s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    check(iban_valid(ib), "profile IBAN fails mod-97: " + ib)
check(6 <= len(PROFILE["accounts"]["corporate"]), "need 6+ corporate accounts")
check(8 <= len(PROFILE["accounts"]["employee"]), "need 8+ employee accounts")
check(15 <= len(PROFILE["products"]) <= 25, "need 15-25 products")
check(PROFILE["pricing"]["alert_below_ratio"] == 0.5, "ratio")
check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3, "codenames/markers")
for e in PROFILE["embargo"]:
    check(e["until"].startswith("2027"), "embargo until in 2027")

EMB = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
CODENAMES = [x.lower() for x in PROFILE["internal"]["codenames"]]
MARKERS = [x.lower() for x in PROFILE["internal"]["markers"]]
IDOMAINS = [x.lower() for x in PROFILE["internal"]["domains"]]
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
PUB_PHONES = {re.sub(r"\D", "", x) for x in PROFILE["public_identifiers"]["phones"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))


def amounts(t):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(?<![\d.,€])(\d+[.,]\d{2})(?![\d])|(\d[\d.,]*)\s?euro", t):
        s = next(g for g in m.groups() if g).rstrip(".,")
        if "," in s and "." in s:
            s = s.replace(".", "").replace(",", ".")
        elif "," in s:
            s = s.replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            s = s.replace(".", "")
        try:
            out.append(float(s))
        except ValueError:
            pass
    return out


def products_in(t):
    tl = t.lower()
    return [lp for a, lp in ALIASES if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", tl)]


SECRET_RES = [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_[0-9A-Za-z]{20,}", r"xox[bpa]-\d+-\d+-\w+",
    r"AIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"glpat-[0-9A-Za-z_-]{20}",
    r"eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", r"sk-proj-[0-9A-Za-z_-]{40,}", r"sk-ant-api\d\d-[0-9A-Za-z_-]{40,}",
    r"postgres(?:ql)?://[^:\s]+:[^@\s]+@", r"(?i)(wachtwoord|password)\s*[:=]\s*\S+",
]

ids = set()
lines = open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8").read().splitlines()
n_benign = 0
catcount = {}
langs = {}
roles_by_cat = {}
for ln in lines:
    cs = json.loads(ln)
    check(set(cs) == {"post", "expect"}, "top-level keys")
    p, e = cs["post"], cs["expect"]
    pid = p.get("id")
    check(isinstance(pid, str) and 1 <= len(pid) <= 256, "id")
    check(pid not in ids, "duplicate id " + str(pid))
    ids.add(pid)
    check(p.get("platform") in PLATFORMS, pid + " platform")
    check(p.get("kind", "post") in KINDS, pid + " kind")
    check(isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str)
          and p["account"]["handle"], pid + " handle")
    check(isinstance(p.get("text"), str) and 0 < len(p["text"].encode()) <= 65536, pid + " text")
    try:
        ts = parse_ts(p["created_at"])
        check(ts.year in (2026, 2027), pid + " year")
        if ts.year == 2027:
            check(ts.month <= 3, pid + " 2027 only around embargo")
    except Exception:
        check(False, pid + " created_at not RFC 3339")
        continue
    cats = e.get("categories")
    check(isinstance(cats, list) and cats == sorted(set(cats)) and set(cats) <= VALID_CATS, pid + " categories")
    check(e.get("severity") in ORDER, pid + " severity value")
    role = role_of(p["platform"], p["account"]["handle"])
    check(e["severity"] == severity(cats, role, p["text"]), pid + " severity mismatch")
    for ccat in cats:
        catcount[ccat] = catcount.get(ccat, 0) + 1
        roles_by_cat.setdefault(ccat, {}).setdefault(role, 0)
        roles_by_cat[ccat][role] += 1
    langs[p["lang"]] = langs.get(p["lang"], 0) + 1
    t = p["text"]
    nt = norm(t)
    ntl = nt.lower()
    benign = not cats
    if benign:
        n_benign += 1
        check(e["severity"] == "none", pid + " benign severity")
    # --- checksummed identifiers
    pub = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for ib in find_ibans(t):
        if ib.upper() in pub:
            continue
        if benign:
            check(not iban_valid(ib), pid + " negative has valid IBAN " + ib)
        else:
            check(iban_valid(ib), pid + " positive has invalid IBAN " + ib)
            check("leak.pii" in cats, pid + " IBAN without pii label")
    for cd in find_cards(t):
        if benign:
            check(not luhn_valid(cd), pid + " negative has Luhn-valid number " + cd)
        else:
            check(luhn_valid(cd), pid + " positive has Luhn-invalid number " + cd)
            check("leak.pii" in cats, pid + " card without pii label")
    for b in find_bsns(t):
        if benign:
            check(not bsn_valid(b), pid + " negative has valid BSN " + b)
        else:
            check(bsn_valid(b), pid + " positive has invalid BSN " + b)
    # --- credentials
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z*]{20,}", t):
        if benign:
            check(not github_token_valid(tok), pid + " negative has a valid GitHub token")
        else:
            check(github_token_valid(tok), pid + " positive GitHub token fails CRC-32 " + tok)
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", t):
        if benign:
            check(tok.endswith("EXAMPLE"), pid + " negative AWS key not a sample")
        else:
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) is not None, pid + " AWS key format")
    for tok in re.findall(r"eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", t):
        check(jwt_valid(tok), pid + " JWT header lacks alg")
    has_secret = any(re.search(rx, nt) for rx in SECRET_RES)
    if "leak.secret" in cats:
        check(has_secret, pid + " secret label without a credential")
    if benign:
        live = [rx for rx in SECRET_RES if re.search(rx, nt)
                and not re.search(rx, nt.replace("AKIAIOSFODNN7EXAMPLE", ""))]
        real = any(re.search(rx, nt.replace("AKIAIOSFODNN7EXAMPLE", "")) for rx in SECRET_RES
                   if not rx.startswith("(?i)(wachtwoord"))
        check(not real, pid + " benign contains a live-looking credential")
        m = re.search(r"(?i)(wachtwoord|password)\s*[:=]\s*(\S+)", nt)
        check(m is None or m.group(2).startswith("<"), pid + " benign contains a password value")
    # --- confidential material
    conf_hit = []
    for cn in CODENAMES:
        if re.search(r"(?<!\w)" + re.escape(cn) + r"(?!\w)", ntl):
            conf_hit.append(cn)
    conf_hit += [m for m in MARKERS if m in ntl]
    conf_hit += [d for d in IDOMAINS if d in ntl]
    for term, until in EMB:
        if term in ntl and ts < until:
            conf_hit.append(term)
        if term in ntl and ts >= until:
            check(benign or "leak.confidential" in cats or any(x in ntl for x in CODENAMES + MARKERS),
                  pid + " post-embargo term")
    if conf_hit:
        check("leak.confidential" in cats, pid + " confidential material without label: %s" % conf_hit)
    if "leak.confidential" in cats and not conf_hit:
        # allowed only for unreleased-product / internal slide talk without profile terms
        check(False, pid + " confidential label without a profile term")
    # --- personal data in benign posts
    if benign:
        for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", t):
            check(em.lower() in PUB_EMAILS, pid + " benign has non-public e-mail " + em)
        t_noiban = re.sub(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", " ", t)
        for ph in re.findall(r"(?:\+31|0031|\b0)[\d\s-]{8,13}\d", t_noiban):
            d = re.sub(r"\D", "", ph)
            check(d in PUB_PHONES or len(d) < 9, pid + " benign has a phone number " + ph)
    # --- pricing
    prods = products_in(nt)
    amts = amounts(nt)
    below = [a for a in amts for lp in prods if a < RATIO * lp]
    if "leak.pricing" in cats:
        check(prods and (below or re.search(r"(?i)prijsfout|price error|pricing glitch", nt)),
              pid + " pricing label without product below list")
    else:
        check(not below, pid + " price below ratio in a non-pricing post %s %s" % (amts, prods))
    # --- mentions
    if "reputation.complaint" in cats or "reputation.crisis" in cats:
        check("vlondra" in ntl, pid + " reputation post does not name the company")

# public handles must not be in the profile; corporate/employee ones must
all_handles = {a.split(":", 1)[1].lower() for a in ACC}
for r in RAW:
    if role_of(r["platform"], r["handle"]) == "public":
        check(r["handle"].lower() not in all_handles, "public handle collides with profile: " + r["handle"])

# card numbers / ibans / bsns in placeholders
for k in ("IBAN1", "IBAN2", "IBAN3"):
    check(iban_valid(V[k]), k)
check(not iban_valid(V["IBANBAD1"]), "IBANBAD1")
for k in ("CARD1", "CARD2"):
    check(luhn_valid(V[k]), k)
for k in ("CARDBAD1", "CARDBAD2"):
    check(not luhn_valid(V[k]), k)
for k in ("BSN1", "BSN2"):
    check(bsn_valid(V[k]), k)
check(not bsn_valid(V["BSNBAD1"]), "BSNBAD1")
check(github_token_valid(V["GHP1"]), "GHP1")
check(jwt_valid(V["JWT1"]), "JWT1")

total = len(lines)
check(170 <= total <= 180, "total %d not in 170-180" % total)
check(55 <= n_benign <= 65, "benign %d" % n_benign)
targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
           "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
           "leak.financial": 12}
for k, v in targets.items():
    check(abs(catcount.get(k, 0) - v) <= 2, "count %s=%d (target %d)" % (k, catcount.get(k, 0), v))
nl_share = langs.get("nl", 0) / total
check(0.48 <= nl_share <= 0.62, "nl share %.2f" % nl_share)

print("cases: %d, benign: %d, positives: %d" % (total, n_benign, total - n_benign))
print("categories:", json.dumps(dict(sorted(catcount.items()))))
print("languages:", langs)
print("roles per category:", json.dumps(roles_by_cat, sort_keys=True))
sev = {}
for ln in lines:
    s = json.loads(ln)["expect"]["severity"]
    sev[s] = sev.get(s, 0) + 1
print("severities:", sev)
if ERR:
    print("SELF-CHECK FAILED:")
    for m in ERR:
        print("  -", m)
    sys.exit(1)
print("self-check OK")
