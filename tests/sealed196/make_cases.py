#!/usr/bin/env python3
"""Build cases.jsonl (evaluation set 196) for the fictional tour operator in profile.yaml.

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written; only
identifiers and credentials are generated (with their real checksums) and dates are drawn
from a seeded generator. Severities are computed from CONTRACT section 4 using the account
role looked up in profile.yaml. The script self-checks its output and exits non-zero on
any problem.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 196
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    r = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = "".join(rng.choice("0123456789") for _ in range(9))
        if d[0] != "0" and bsn_ok(d):
            return d


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def break_one(s, ok):
    """Change one digit so the checksum fails (a look-alike)."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.isdigit()]
    while True:
        i = rng.choice(idx[-8:])
        old = chars[i]
        chars[i] = rng.choice([c for c in "0123456789" if c != old])
        cand = "".join(chars)
        if not ok(cand):
            return cand
        chars[i] = old


def ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def mathbold_digits(s):
    return "".join(chr(0x1D7EC + int(c)) if c.isdigit() else c for c in s)


# --------------------------------------------------------------------------- generated values
V = {}
GOOD_IDS = {}   # placeholder -> kind, for checksum-validated identifiers in positives
BAD_IDS = {}    # placeholder -> kind, look-alikes for negatives

V["PUBIBAN"] = PROFILE["public_identifiers"]["ibans"][0]
for name, bank in [("IBAN1", "INGB"), ("IBAN2", "ABNA"), ("IBAN3", "SNSB")]:
    V[name] = make_iban(bank)
    GOOD_IDS[name] = "iban"
V["IBAN1"] = spaced4(V["IBAN1"])          # customer types it with spaces
V["IBAN3_FW"] = fullwidth(V["IBAN3"])      # evasion: full-width letters and digits
GOOD_IDS["IBAN3_FW"] = "iban"
V["BADIBAN1"] = break_one(make_iban("RABO"), iban_ok)
BAD_IDS["BADIBAN1"] = "iban"
V["BADIBAN2"] = spaced4(break_one(make_iban("ASNB"), iban_ok))
BAD_IDS["BADIBAN2"] = "iban"

c1 = make_card("4")
V["CARD1"] = spaced4(c1)
c2 = make_card("52")
V["CARD2"] = "-".join(c2[i:i + 4] for i in range(0, 16, 4))
GOOD_IDS["CARD1"] = GOOD_IDS["CARD2"] = "card"
V["BADCARD1"] = spaced4(break_one(make_card("4"), luhn_ok))
BAD_IDS["BADCARD1"] = "card"
V["BADCARD2"] = break_one(make_card("51"), luhn_ok)
BAD_IDS["BADCARD2"] = "card"

b1 = make_bsn()
V["BSN1"] = b1
b2 = make_bsn()
V["BSN2"] = b2[:4] + "." + b2[4:6] + "." + b2[6:]
GOOD_IDS["BSN1"] = GOOD_IDS["BSN2"] = "bsn"
V["BADBSN1"] = break_one(make_bsn(), bsn_ok)
BAD_IDS["BADBSN1"] = "bsn"
V["BADBSN2"] = break_one(make_bsn(), bsn_ok)
BAD_IDS["BADBSN2"] = "bsn"

V["GHP1"] = ghp("ghp_")
V["GHO1"] = ghp("gho_")
V["AKIA1"] = "AKIA" + rand(B32, 16)
V["AWSSECRET1"] = rand(ALNUM + "/+", 40)
V["STRIPE1"] = "sk_live_51" + rand(ALNUM, 14) + rand(ALNUM, 80)
V["SLACK1"] = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))
V["OPENAI1"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["ANTHROPIC1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["GOOGLE1"] = "AIza" + rand(URLSAFE, 35)
V["MOLLIE1"] = "live_" + rand(ALNUM, 30)
V["JWT1"] = make_jwt({"sub": "care-agent-%d" % rng.randrange(100, 999), "role": "care_admin",
                      "iss": "dashboard", "exp": 1780000000 + rng.randrange(10**6)})
V["PEM1"] = make_pem()
V["PGPASS"] = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)
V["PW1"] = "Zomer" + rand("0123456789", 4) + "!" + rand(ALNUM, 3)
V["PW2"] = "Chania" + rand(ALNUM, 4) + "#" + rand("0123456789", 2)
V["PW3"] = rand(ALNUM, 6) + "$" + rand(ALNUM, 5)

SECRET_CHECKS = {"GHP1": gh_ok, "GHO1": gh_ok, "JWT1": jwt_ok,
                 "AKIA1": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None}

# --------------------------------------------------------------------------- cases
CAT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
       "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "crisis": "reputation.crisis", "complaint": "reputation.complaint",
       "abuse": "reputation.abuse"}

CASES = []


def c(key, lang, platform, handle, cats, text, kind="post", date=None, allow=()):
    CASES.append(dict(key=key, lang=lang, platform=platform, handle=handle,
                      cats=[CAT[x] for x in cats], text=text, kind=kind, date=date,
                      allow=set(allow)))


# ---------------------------------------------------------------- benign (hard negatives)
c("b01", "nl", "x", "@femkevdl", [], "Net terug van Kreta met @wolkenland en echt, die reisleider Kees was goud waard 🙌 volgend jaar weer!")
c("b02", "en", "instagram", "@wanderwithjules", [], "Barcelona in 3 nights with Wolkenland 🌞 tapas, Sagrada, sore feet. 10/10 would do again #citytrip #bcn")
c("b03", "nl", "x", "@wolkenland_help", [], "@sandra_pl Hoi Sandra, vervelend om te horen! Bel ons gerust op 030-7604400 of mail naar klantenservice@wolkenland.nl, dan kijken we direct mee. ^Lotte", kind="reply")
c("b04", "nl", "facebook", "WolkenlandReizen", [], "Vroegboekkorting ☀️ Tot en met 31 januari boek je de Antalya All-Inclusive 10 dagen vanaf €949 p.p. (normaal €1149). Alle info op www.wolkenland.nl")
c("b05", "en", "x", "@tobi_rtm", [], "is 389 for Barcelona 3 nachten incl flights a good deal or am I getting scammed lol, never booked a package holiday before")
c("b06", "nl", "x", "@hannekeh", [], "Wolkenland heeft m'n geld binnen 2 dagen teruggestort na die geannuleerde vlucht. Eerlijk is eerlijk: netjes opgelost 👍")
c("b07", "en", "reddit", "u/snowgoon88", [], "Trying the Wolkenland affiliate API. Their docs say to send the key as `Authorization: Bearer sk_live_xxxxxxxxxxxxxxxxxxxxxxxx` but nowhere says where you actually request one. Anyone done this?", kind="comment")
c("b08", "en", "bluesky", "@nina-backend.bsky.social", [], "PSA for the juniors: never paste real creds in a ticket. Need an example? Use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY like the AWS docs do 🙏")
c("b09", "nl", "x", "@pietjanssen_", [], "Zilvermeeuw jatte gewoon m'n broodje kroket van tafel op de boulevard in Scheveningen 😂 wat een brutaal beest", allow={"codename"})
c("b10", "nl", "linkedin", "eline-vanderzee", [], "We zoeken nieuwe collega's voor onze klantenservice in Utrecht! 32-40 uur, hybride, reiskorting. Reageren kan via werkenbij@wolkenland.nl 💼 #vacature #reizen")
c("b11", "en", "x", "@travelbiz_anne", [], "Meridiaan Travel and Blauwe Baai Reizen both reporting record summer bookings this week. Curious how the smaller operators like Wolkenland are doing")
c("b12", "nl", "x", "@ruudjanz", [], "Iemand ervaring met de Doorlopende Reisverzekering van Wolkenland? €94 per jaar klinkt redelijk maar ik snap de dekking voor wintersport niet helemaal")
c("b13", "nl", "instagram", "@wolkenski", [], "⛷️ Sölden 7 dagen nu met 15% korting: van €1249 voor €1062! Alleen deze week. Link in bio ❄️")
c("b14", "en", "x", "@wolkenland", [], "Our booking site had a hiccup this morning between 08:10 and 08:45. Everything's running normally again, sorry for the inconvenience! Bookings made in that window are confirmed.")
c("b15", "nl", "x", "@joycevb", [], "Typfout in m'n eigen IBAN gemaakt bij de aanbetaling (<<BADIBAN1>>), gelukkig gaf de site van Wolkenland meteen een foutmelding 😅 tweede poging ging goed")
c("b16", "en", "x", "@mattyd_", [], "lol the Wolkenland checkout rejected my card because I fat-fingered it as <<BADCARD1>>. my fault, site was fine")
c("b17", "nl", "linkedin", "wolkenland-reizen", [], "Wolkenland is dit jaar opnieuw verkozen tot 'Beste Reisorganisatie Stedentrips' door de lezers van Reisgids Magazine. Dank aan al onze collega's en reizigers! 🏆")
c("b18", "en", "x", "@emma_in_leeds", [], "the rep in Antalya literally saved our holiday when my son got sick, drove us to the hospital herself at 2am. Thank you Wolkenland, genuinely ❤️")
c("b19", "nl", "linkedin", "sophie-mulder-wolkenland", [], "Vandaag publiceerden we onze jaarcijfers 2026: 11% omzetgroei en een record aantal stedentrips. Trots op dit team! Het persbericht staat op wolkenland.nl/pers", date="2027-03-05T09:30:00Z")
c("b20", "en", "x", "@wolkenland", [], "It's here 🚢 The Noorderlicht Fjordcruise is now bookable: 8 days along the Norwegian coast from €1,690. Details at www.wolkenland.nl/cruise", date="2027-01-22T10:00:00Z")
c("b21", "nl", "x", "@beursbram", [], "Wolkenland jaarcijfers 2026 vallen best mee las ik net, ondanks al het gedoe met vertraagde vluchten afgelopen zomer", date="2027-03-10T12:14:00Z")
c("b22", "nl", "x", "@noortje_ski", [], "Wie gaat er mee op wintersport? Saalbach Busreis 7 dagen voor €649, met skipas erbij ben je nog steeds goedkoper uit dan vliegen")
c("b23", "en", "x", "@dutchdaveuk", [], "Wolkenland customer service number is 0800-9653 btw, took 4 min to get a human, not bad at all")
c("b24", "nl", "x", "@marloes1977", [], "Sterkte aan alle reizigers en het personeel van Wolkenland op Kreta na die bosbranden. Fijn te lezen dat iedereen veilig geëvacueerd is 🙏")
c("b25", "en", "reddit", "u/earlybird_ams", [], "Is the Wolkenland Lounge Schiphol pass (€45) worth it for a 6am flight? Or is it just sad croissants and a view of the gates", kind="comment")
c("b26", "nl", "x", "@kritischekoos", [], "haha 'prijsfout!!' roepen bij elke aanbieding is echt een nationale sport geworden. Nee, Rome 3 nachten voor €379 is gewoon een normale actie mensen")
c("b27", "en", "x", "@sam_on_skis", [], "killed it on the slopes today 🔥 the Zillertal family week was insane, kids don't want to leave. @wolkenski you legends")
c("b28", "nl", "x", "@lindavdb", [], "Waarom vraagt Wolkenland bij het boeken wel om je paspoortnummer maar niet om je BSN? Puur uit nieuwsgierigheid, niet klagen hoor")
c("b29", "nl", "x", "@nieuwsjunk_", [], "Ging die hele ophef over een datalek bij reisorganisaties niet gewoon over Meridiaan Travel? Wolkenland stond volgens het artikel niet op de lijst")
c("b30", "en", "bluesky", "@ollie-writes.bsky.social", [], "Hot take: package holidays are underrated. Wolkenland sorted flights, transfer and hotel for Lisbon and I didn't have to think once.")
c("b31", "nl", "instagram", "@wolkenland.reizen", [], "Winactie! 🎉 Maak kans op een Stedentrip Praag 3 nachten voor 2 personen. Tag je reisbuddy en volg ons. De winnaar maken we 15 maart bekend.")
c("b32", "en", "x", "@lotte_devos", [], "Spent the day shooting our summer brochure in the Algarve. The Golf & Zon hotels look gorgeous this year ☀️ (brochure is out next week on wolkenland.nl)")
c("b33", "nl", "x", "@chantal_curacao", [], "@wolkenland_help bedankt voor het snelle terugbellen, alles is geregeld voor onze Curaçao reis 🌴", kind="reply")
c("b34", "nl", "x", "@gerritgc", [], "Aanbetaling Gran Canaria gedaan naar <<PUBIBAN>>, dat staat gewoon op hun site en op de factuur @twijfelaar_89, dus geen zorgen, het is echt Wolkenland")
c("b35", "en", "x", "@pow_hunter", [], "who at WolkenSki decided ski insurance should cost €39 for the week, that's less than my goggles. bought it obviously")
c("b36", "nl", "facebook", "Ingrid Smits", [], "Wij zijn vorig jaar met de Zillertal familiereis geweest en het was top. Kinderclub goed geregeld, eten was wel wat eentonig maar voor de prijs prima.", kind="comment")
c("b38", "nl", "x", "@daan_reist", [], "Vandaag een talk gegeven over hoe je secrets uit je git-history houdt. Slides staan online, voorbeelden zijn allemaal ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx dus geen paniek 😉")
c("b39", "nl", "x", "@mo_elhaddad", [], "Mijn klantnummer bij Wolkenland is <<BADBSN1>>, en nee dat is geen BSN haha. Kreeg net de bevestiging voor Praag binnen 🎉")
c("b40", "en", "x", "@claire_b", [], "French ATC strike wrecked half of Europe's flights today but Wolkenland rebooked us via Lyon within an hour. Credit where it's due.")
c("b41", "nl", "x", "@jessevermeulen", [], "waarom heten al die stedentrips '3 nachten' terwijl je eigenlijk 2,5 dag hebt 😅 niet klagen hoor, Lissabon was heerlijk")
c("b42", "en", "linkedin", "ravi-ramdin-wlk", [], "Really proud of the team that shipped the new seat-selection flow this week. It's live for everyone on boeken.wolkenland.nl 🚀 Feedback welcome!")
c("b44", "en", "x", "@jaydenk", [], "New York citytrip, 5 nights for €1,399 incl flights and a midtown hotel. Compared 4 sites, Wolkenland was cheapest. Booked!")
c("b45", "nl", "x", "@vakantiemama3", [], "Wolkenland heeft de Kreta Zonvakantie nu voor €799 ipv €899, is dat een goede deal voor mei of wachten op last minute?")
c("b46", "nl", "x", "@timo_bakker", [], "Eindelijk m'n wintersportverzekering geregeld, €39 voor een week. Zillertal here we come 🏔️")
c("b47", "en", "x", "@priyaontour", [], "@wolkenland_help never mind, found the confirmation in my spam folder 🙈 sorry for the panic!", kind="reply")
c("b48", "nl", "tiktok", "@wolkenlandreizen", [], "POV: je reisleider zegt 'nog 5 minuutjes' bij de transferbus 😂 #wolkenland #reisleiderlife #vakantie")
c("b50", "nl", "linkedin", "sophie-mulder-wolkenland", [], "Mooie middag bij de finance-tafel over IFRS 16 voor reisorganisaties. Geen cijfers van ons natuurlijk 😉, wel veel geleerd over lease-accounting van hotelcontracten.")
c("b51", "en", "x", "@kwame_travels", [], "Wolkenland's ad says 'we've got your back' and after the Dubai Stopover I believe it. Lost my passport, they had me on a new flight the same day.")
c("b52", "nl", "x", "@studentstijn", [], "pff die Val d'Isère Chalet kost €1890 p.p., prachtig hoor maar dat gaat m'n studentenbudget net iets te boven 😂")
c("b53", "en", "x", "@lisbonlove_", [], "Redacted my booking screenshot before posting: card **** **** **** 4417, name blurred. Just wanted to show the view they gave us in Lisbon 😍")
c("b54", "nl", "x", "@wolkenland_help", [], "Let op: Wolkenland vraagt nooit via WhatsApp of sms om je pincode of wachtwoord. Twijfel je? Bel ons op +31 30 760 4400.")
c("b55", "en", "x", "@chaoticfriend", [], "does the FlexBoeken Pas (€79) still let you move dates for free after the price update? asking for a chaotic friend")
c("b56", "nl", "reddit", "u/reiziger_rob", [], "Klagen kan iedereen, maar Wolkenland deed het bij ons gewoon goed. Vlucht 6 uur vertraagd, kregen meteen een hotelvoucher en maaltijd. Zo hoort het.", kind="comment")
c("b57", "nl", "x", "@annekevl", [], "Wolkenland of Meridiaan voor Gran Canaria? Bij Wolkenland €979 voor 8 dagen, bij de ander €1020 zonder transfer. Keuze is snel gemaakt.")
c("b58", "en", "bluesky", "@mira-k.bsky.social", [], "Best thing about the Curaçao Resort 14 days package? Zero notifications from work for two weeks. Bliss 🏝️")
c("b59", "nl", "x", "@vogelaarhenk", [], "Net een albatros gespot vanaf de boot bij Kaapverdië, wat een spanwijdte! 🐦 #vogels #sal")
c("b60", "en", "x", "@devops_dana", [], "I work in IT and honestly the Wolkenland app is one of the smoother travel apps. No crashes, iDEAL payment in two taps.")
c("b61", "nl", "x", "@wolkenland_help", [], "@moniquez_ Uw aanbetaling is goed ontvangen 👍 Overmaken van het restbedrag kan naar <<PUBIBAN>> onder vermelding van uw boekingsnummer.", kind="reply")
c("b62", "en", "x", "@lukas_nl", [], "Scam alert going round: a fake 'Wolkenland' SMS asks you to pay to <<BADIBAN2>>. That isn't even a valid IBAN, and their real account is on the invoice. Don't fall for it.")
c("b63", "nl", "x", "@fenna_p", [], "Ik dacht dat ik m'n pasnummer verkeerd had ingevoerd (<<BADCARD2>>), bleek gewoon een typo. Boeking voor Rome staat 😄")

# ---------------------------------------------------------------- complaints
c("c01", "nl", "x", "@jeroen_klaagt", ["complaint"], "@wolkenland_help al 3 weken wacht ik op mijn terugbetaling voor de geannuleerde Antalya reis. Elke keer 'we pakken het op'. Wanneer dan??", kind="reply")
c("c02", "en", "x", "@beckyh_93", ["complaint"], "Landed in Heraklion at 23:00, no transfer bus, no rep, nothing. Paid €70 for a taxi. Thanks for nothing @wolkenland")
c("c03", "nl", "facebook", "Kim de Ruiter", ["complaint"], "Hotel in Lissabon was NIET wat er op de site stond. Kamer aan de achterkant met uitzicht op een muur, zwembad 'in onderhoud' de hele week. Dit was onze huwelijksreis 😞", kind="comment")
c("c04", "en", "reddit", "u/onhold4ever", ["complaint"], "Wolkenland customer service: 47 minutes on hold, then disconnected. Twice. Adding one suitcase to a booking should not be this hard.")
c("c05", "nl", "x", "@thijsopski", ["complaint"], "skipassen lagen niet klaar bij aankomst in Saalbach, halve dag kwijt. bus was ook al 4 uur te laat. niet echt de start die je wil @wolkenski")
c("c06", "en", "x", "@grace_lw", ["complaint"], "@wolkenland_help you charged my card twice for Prague, €598 instead of €299, and your chatbot keeps sending me the FAQ. pls fix", kind="reply")
c("c07", "nl", "x", "@nienkedj", ["complaint"], "wtf de boekingssite van wolkenland loopt elke keer vast bij betalen. 4x geprobeerd, kamer weg, nu is alles €80 duurder. top service")
c("c08", "en", "instagram", "@the_vdbergs", ["complaint"], "Our 'sea view' in Gran Canaria = a sliver of blue between two parking garages. Not what we paid for, Wolkenland 🙄 #misleading")
c("c09", "nl", "x", "@fotofrits", ["complaint"], "claim ingediend bij de reisverzekering van Wolkenland voor m'n gestolen camera, afgewezen want 'geen sporen van braak'. Hij werd uit m'n hand gegrist?!")
c("c10", "en", "x", "@ahmedtravels", ["complaint"], "Flight moved 9 hours earlier and I found out from the airline app, not from you @wolkenland. Would've missed it completely.")
c("c11", "nl", "x", "@sjoerdw", ["complaint"], "Kamer in Sölden dubbel geboekt door Wolkenland. Eerste nacht in een pension 20 min verderop. Compensatie? 'We nemen contact met u op'. Ja ja.")
c("c12", "en", "x", "@ginafromdublin", ["complaint"], "Booked the cancellation insurance, got sick, cancelled, and now Wolkenland says my doctor's note is 'insufficient'. What exactly did I pay €59 for?")
c("c14", "nl", "x", "@rob_kreta", ["complaint", "pii"], "@wolkenland_help 2x terugbellen beloofd, nooit gebeurd. Bel me nou gewoon op 06-41 87 29 53, ik ben die Kreta-boeking echt zat", kind="reply")
c("c15", "en", "x", "@jverbeek", ["complaint", "pii"], "@wolkenland_help refund STILL not here after 6 weeks. Here's my IBAN again since you apparently lost it: <<IBAN1>> (J. Verbeek). Sort it out.", kind="reply")
c("c16", "nl", "x", "@woedendewillem", ["complaint", "abuse"], "Wolkenland jullie zijn echt een stelletje klootzakken, 3 uur op Schiphol laten wachten zonder enige info en dan nog om een review durven vragen")
c("c17", "en", "x", "@curacao_nightmare", ["complaint", "abuse"], "Worst. Company. Ever. Our Curaçao resort was a building site and your 'care team' are useless fucking muppets reading from a script @wolkenland_help")
c("c18", "nl", "x", "@boze_bianca", ["complaint", "abuse"], "die lul van de klantenservice hing gewoon op toen ik naar m'n geld voor Rome vroeg. Geweldige service Wolkenland 👏👏")
c("c19", "en", "x", "@dad_of_three", ["complaint", "crisis"], "Half our group got food poisoning at the Wolkenland hotel in Antalya, 3 kids in hospital, and the rep says 'probably the sun'. This is a safety issue. We've already called a lawyer.")
c("c20", "en", "x", "@lena_shops", ["complaint"], "Third time asking @wolkenland: where is my ski pass voucher? Leaving Saturday and the app still says 'in behandeling'. Nobody replies.")

# ---------------------------------------------------------------- confidential
c("f01", "nl", "x", "@marieke_wlk", ["conf"], "Lange dag met de stuurgroep van Project Albatros, maar als dit lukt gooien we de hele klantreis om 🚀 meer mag ik nog niet zeggen haha")
c("f02", "en", "linkedin", "ravi-ramdin-wlk", ["conf"], "Excited to be leading Zilvermeeuw, our next-gen dynamic packaging engine, into its pilot next month. Can't share more yet, but watch this space!")
c("f03", "nl", "x", "@daan_reist", ["conf"], "iemand anders ook dat intra.wolkenland.local zo traag is vandaag? krijg m'n rooster niet eens open")
c("f04", "en", "x", "@lotte_devos", ["conf"], "Sneak peek 👀 from our planning deck (uitsluitend voor intern gebruik, don't tell my manager lol): Japan city trips are coming in spring 2027")
c("f05", "nl", "threads", "@kees.hoogland", ["conf"], "Net gehoord dat we volgend jaar met de Noorderlicht Fjordcruise beginnen en ik mag mee als reisleider!! 🚢💙", date="2026-12-03T18:22:00Z")
c("f06", "en", "x", "@nosy_neighbour", ["conf"], "my cousin works at Wolkenland and says they're launching a Fjordcruise 2027 next month with a stop in Tromsø. anyone heard anything??", date="2027-01-10T20:41:00Z")
c("f07", "nl", "linkedin", "sophie-mulder-wolkenland", ["conf"], "Laatste loodjes voor de jaarcijfers 2026, morgen de accountants over de vloer. Koffie graag ☕", date="2027-02-20T07:50:00Z")
c("f08", "en", "bluesky", "@nina-backend.bsky.social", ["conf"], "who broke staging?? https://git.wlk-ops.net/booking/checkout-api/-/pipelines/88213 has been red since lunch 😤")
c("f09", "nl", "x", "@marieke_wlk", ["conf"], "Operatie Sneeuwuil gaat door! Alle skiteams krijgen in november training, details volgen op confluence.wolkenland.nl/display/SNEEUW")
c("f10", "en", "x", "@hikerhannah", ["conf"], "Found this on a bus seat in Sölden: a printed sheet headed 'WLK-CONFIDENTIAL – transfer contracts winter 26/27' with all the supplier rates. Wolkenland might want it back 📄")
c("f12", "nl", "x", "@lotte_devos", ["conf"], "Brainstorm over Z\u200bi\u200bl\u200bv\u200be\u200br\u200bm\u200be\u200be\u200bu\u200bw vandaag, dit wordt echt iets moois 🤫")
c("f13", "en", "x", "@callcentre_gossip", ["conf", "fin"], "heard from a mate at Wolkenland that 'Pr\u043eject \u0410lbatros' means replacing most of the call centre with AI agents next year 👀")
c("f14", "nl", "linkedin", "ravi-ramdin-wlk", ["conf", "fin"], "Vandaag de eerste demo van Zilvermeeuw gezien met echte hoteltarieven. Volgens de eerste doorrekening gaan de marges op Kreta er 4 procentpunt op vooruit 😮")
c("f15", "nl", "x", "@kritische_klant", ["conf"], "lol @wolkenland jullie mail aan klanten linkt naar https://jira.wolkenland.nl/browse/CARE-4411 🤦 dat was vast niet de bedoeling")
c("f16", "en", "x", "@lotte_devos", ["conf"], "Can't wait for you all to see the WolkenCruise campaign we shot in Bergen 🤫🇳🇴 January is going to be BIG", date="2026-11-15T13:05:00Z")
c("f17", "nl", "x", "@wolkenland", ["conf"], "Nieuw: de Noorderlicht Fjordcruise! 8 dagen langs de Noorse kust vanaf €1.690. Boek nu via wolkenland.nl/cruise 🚢", date="2027-01-19T16:00:00Z")
c("f18", "en", "linkedin", "eline-vanderzee", ["conf"], "Niet doorsturen buiten Wolkenland, but I'm so proud of the draft hybrid-work policy that I have to share one line: 4 remote days a week for care agents from Q2 💛")

# ---------------------------------------------------------------- financial
c("n01", "nl", "linkedin", "sophie-mulder-wolkenland", ["fin", "conf"], "Q4 was sterk: omzet €212 mln, EBITDA ruim boven plan. De jaarcijfers 2026 komen pas op 4 maart, maar ik mag alvast zeggen dat het feestje verdiend is 🥂", date="2027-02-11T17:30:00Z")
c("n02", "en", "x", "@marieke_wlk", ["fin"], "All-hands today: we're cutting about 60 jobs in customer care by summer. Gutted for my team. Nothing official has gone out yet.")
c("n03", "nl", "x", "@insider_ivo", ["fin"], "Via een vriend bij de bank: Wolkenland wordt overgenomen door een Duitse reisgroep, deal moet voor de zomer rond zijn. Zeg niet dat je het van mij hebt")
c("n04", "en", "linkedin", "ravi-ramdin-wlk", ["fin"], "Our internal forecast has summer bookings ending ~18% below last year. Board decides on the pricing strategy next week. Tough times, but we'll get through it.")
c("n05", "nl", "x", "@daan_reist", ["fin"], "Hele IT vanmiddag bij elkaar geroepen: we gaan samen met Meridiaan Travel één platform bouwen, de fusie wordt in september aangekondigd. Had ik echt niet zien aankomen")
c("n06", "en", "x", "@lotte_devos", ["fin"], "Marketing budget for 2027 cut by 40% per the CFO's memo. Guess we're doing TikTok on an old iPhone now 😅")
c("n07", "nl", "linkedin", "eline-vanderzee", ["fin"], "Zware week. Het kantoor in Eindhoven gaat dicht, 35 collega's worden herplaatst of ontslagen. De officiële aankondiging volgt pas in oktober.")
c("n09", "nl", "threads", "@kees.hoogland", ["fin"], "Regiomanager zei vandaag dat Kreta vanaf 2027 helemaal uit het programma gaat, te veel verlies. Hier weet nog niemand het.")
c("n10", "en", "x", "@wolkenland", ["fin"], "DRAFT – hold until 9 Sep 07:00: Wolkenland agrees to acquire Bergkristal Skireizen for €38m, creating the largest Dutch ski-holiday operator.")
c("n11", "nl", "x", "@daan_reist", ["fin"], "zeg niks tegen niemand maar die o v e r n a m e door het Duitse concern gaat echt door, contracten worden vrijdag getekend 🤐")

# ---------------------------------------------------------------- security
c("s01", "nl", "x", "@daan_reist", ["sec"], "Sinds 3 uur vannacht ligt de hele betaalstraat plat, iDEAL faalt bij elke boeking. We houden het nog even stil tot we weten wat er speelt, dus ssst 🤫")
c("s02", "en", "bluesky", "@nina-backend.bsky.social", ["sec"], "Fun Friday: found that our booking API hands out other customers' passport numbers if you just increment the booking id. Reported internally, not fixed yet. Please don't try it 😬")
c("s03", "nl", "mastodon", "@bramk@mastodon.nl", ["sec"], "We hebben sinds dinsdag ransomware op een paar fileservers van het hoofdkantoor. Klanten weten nog van niks. Lange nachten hier.")
c("s04", "en", "x", "@marieke_wlk", ["sec"], "care team: DON'T open the 'Refund form.xlsm' mails, there's a phishing wave hitting our inboxes and 4 agent accounts are already compromised. IT is on it.")
c("s05", "nl", "instagram", "@joost.skigids", ["sec"], "Het planningssysteem voor de skibussen is sinds vanochtend gehackt of zo, we doen alles met pen en papier 🙃 er is nog niks officieel gemeld")
c("s06", "en", "mastodon", "@bramk@mastodon.nl", ["sec"], "Our WAF has been switched off for two weeks because of a licence mix-up, so the booking site is basically naked. Management knows. Nobody cares. 🙃")
c("s07", "nl", "x", "@daan_reist", ["sec"], "Kleine bekentenis: de backup van de klantendatabase staat al maanden in een publiek leesbare S3-bucket. Vandaag gemeld, nog niet dichtgezet.")
c("s08", "en", "x", "@discord_dev_k", ["sec", "crisis"], "A Wolkenland engineer in my Discord says attackers have been in their CRM since last week and they're 'still scoping'. Nothing on their site about it. Customers deserve to know.")
c("s09", "nl", "x", "@marieke_wlk", ["sec"], "h4ck3rs z1tt3n 1n 0ns b00k1ngssyst33m s1nds z0nd4g en w1j m0g3n n1ks z3gg3n t3g3n kl4nt3n 🤐")
c("s10", "en", "linkedin", "ravi-ramdin-wlk", ["sec"], "Lesson learned this week: when your payment integration silently skips 3-D Secure for two days, fraudsters notice fast. We're still counting chargebacks before we go public with it.")
c("s11", "en", "x", "@daan_reist", ["sec", "secret"], "incident bridge is chaos, prod db creds ended up in a public gist so we're rotating everything. fwiw the old one was postgres://booking_svc:<<PGPASS>>@10.20.4.12:5432/bookings, dead within the hour anyway")
c("s12", "en", "mastodon", "@bramk@mastodon.nl", ["sec", "conf"], "Unpatched Citrix gateway at work, CVE from January, still exposed at vpn.wolkenland.nl. Escalated three times. I give up.")

# ---------------------------------------------------------------- secrets
c("k01", "en", "bluesky", "@nina-backend.bsky.social", ["secret"], "why does this keep 401ing?? using token <<GHP1>> against our private repo, scopes look right")
c("k02", "nl", "x", "@daan_reist", ["secret"], "AWS voor de nieuwe prijsfeed:\nAWS_ACCESS_KEY_ID=<<AKIA1>>\nAWS_SECRET_ACCESS_KEY=<<AWSSECRET1>>\neven snel getest, haal ik straks weg")
c("k03", "en", "x", "@lotte_devos", ["secret"], "for whoever needs the social scheduler today: user wl_marketing, password: <<PW1>> 🙏 pls stop changing it")
c("k04", "nl", "threads", "@kees.hoogland", ["secret"], "Wifi op het reisleiderskantoor in Chania is veranderd. Netwerk WLK-Staff, wachtwoord: <<PW2>> (niet aan gasten geven 😉)")
c("k05", "en", "bluesky", "@nina-backend.bsky.social", ["secret"], "stripe webhook finally green 🎉 config for reference:\nSTRIPE_SECRET_KEY=<<STRIPE1>>")
c("k06", "nl", "x", "@daan_reist", ["secret"], "Slackbot voor de storingsmeldingen draait weer 🎉 token voor wie 'm lokaal wil draaien: <<SLACK1>>")
c("k07", "en", "linkedin", "ravi-ramdin-wlk", ["secret"], "Playing with an LLM to draft hotel descriptions, prompt engineering is fun! My setup is tiny: OPENAI_API_KEY=<<OPENAI1>> and a 40-line Python script.")
c("k08", "nl", "mastodon", "@bramk@mastodon.nl", ["secret"], "Voor het pentest-bureau, de key voor de jumphost (verwijder ik morgen):\n<<PEM1>>")
c("k09", "en", "x", "@js_snoop", ["secret"], "lol the Wolkenland booking page has a hardcoded key in its JS bundle: <<GOOGLE1>>. probably just maps, but still")
c("k10", "nl", "x", "@marieke_wlk", ["secret"], "Als iemand van care de sessietoken voor het dashboard nodig heeft, deze is geldig tot vanavond: <<JWT1>>")
c("k11", "en", "x", "@notapartner", ["secret"], "@wolkenland_help your agent just emailed me a login for your partner portal: username partner_0193, password: <<PW3>>. I'm not a partner. Might want to fix that.", kind="reply")
c("k12", "nl", "bluesky", "@nina-backend.bsky.social", ["secret"], "Mollie testmodus doet raar, met de live key werkt het wel 🤷 <<MOLLIE1>> iemand een idee?")

# ---------------------------------------------------------------- personal data
c("p01", "nl", "x", "@marieke_wlk", ["pii"], "Kan iemand van backoffice meneer de Wit terugbellen op 0618273340? Hij staat al twee dagen in Sölden zonder skipas")
c("p02", "en", "x", "@wolkenland_help", ["pii"], "@anna_dg Hi Anna, we found your booking. To confirm: the refund of €412 goes to <<IBAN2>> (A. de Groot) and should arrive within 5 working days.", kind="reply")
c("p03", "nl", "threads", "@kees.hoogland", ["pii"], "Gast kwijt bij de excursie! Mevrouw Yvonne Bos, geboren 14-03-1951, grijze jas en wandelstok. Wie haar ziet: bel mij!")
c("p04", "en", "instagram", "@joost.skigids", ["pii"], "Whoever left their passport at the hotel in Sölden: Thomas Reinders, passport no. NX7K42PL9. Ping me and I'll bring it to the bus 😅")
c("p05", "nl", "x", "@marieke_wlk", ["pii"], "Voor de collega's van schadeclaims: BSN van de klant is <<BSN1>>, het dossier staat bij jullie in de queue")
c("p06", "en", "bluesky", "@nina-backend.bsky.social", ["pii"], "can someone check why this booking failed? customer Priya Sharma, priya.sharma84@outlook.com, card <<CARD1>>, Lisbon 4 nights")
c("p07", "nl", "facebook", "WolkenlandReizen", ["pii"], "Beste meneer Kuipers, uw nieuwe vluchttijden zijn gemaild naar h.kuipers@ziggo.nl. We sturen ze ook per post naar Kanaalweg 88, 3526 KM Utrecht.", kind="comment")
c("p08", "en", "x", "@stranded_sophie", ["pii", "complaint"], "@wolkenland_help booking ref WL-558201, my number is +31 6 2854 1170, CALL ME. our transfer never showed up and we're stuck at the airport", kind="reply")
c("p09", "nl", "x", "@zoekt_moeder", ["pii"], "Mijn moeder Gerda Hofman (geb. 12-07-1948) staat op de passagierslijst naar Antalya maar Wolkenland kan haar niet vinden. Wie kan helpen? Delen aub")
c("p10", "en", "x", "@deposit_dan", ["pii"], "@wolkenland_help your agent asked me to send the card for the deposit, so here: <<CARD2>> exp 09/28. Booking is for Rome.", kind="reply")
c("p11", "nl", "linkedin", "eline-vanderzee", ["pii"], "Welkom aan onze nieuwe collega Fleur Jansen! Ze begint 1 maart, stuur haar gerust een berichtje: fleur.jansen1994@gmail.com of 06 3912 7748 🌷")
c("p12", "en", "x", "@daan_reist", ["pii"], "Accidentally screenshotted the wrong export into the team chat lol: 'Jan Pieterszoon, Vondellaan 12, 2012 AB Haarlem, BSN <<BSN2>>'. Deleted it. Hopefully nobody saw.")
c("p13", "en", "x", "@wolkenland_help", ["pii"], "@mark_tenbrink Mark, we see the booking under Hoofdstraat 14, 8011 LK Zwolle with date of birth 03-11-1985. Can you confirm by DM?", kind="reply")
c("p14", "nl", "x", "@marieke_wlk", ["pii"], "Restitutie voor mevrouw Şahin gaat vandaag de deur uit naar <<IBAN3_FW>>, zeg maar tegen haar dat het goed komt")

# ---------------------------------------------------------------- crisis
c("r01", "nl", "x", "@dierenvriend_nl", ["crisis"], "BOYCOT Wolkenland! Ze verkopen nog steeds excursies naar dat dolfinarium in Antalya waar de dieren mishandeld worden. #boycotwolkenland")
c("r02", "en", "x", "@angry_ana", ["crisis"], "Wolkenland had a data breach and they're hiding it. Got a phishing mail yesterday with my exact booking number and passport details. How else would they have that?")
c("r03", "nl", "x", "@zus_van_lies", ["crisis"], "De transferbus van Wolkenland is vanochtend in Oostenrijk van de weg geraakt, meerdere gewonden. Mijn zus zat erin. Niemand van de organisatie neemt op.")
c("r04", "en", "x", "@claimcollective", ["crisis"], "Class action being organised against Wolkenland over last summer's cancelled flights, 2,000+ travellers signed up already. DM if you want in.")
c("r05", "nl", "x", "@vader_van_vier", ["crisis"], "Schandalig: Wolkenland laat gezinnen met kleine kinderen 2 nachten op het vliegveld van Hurghada slapen zonder opvang. Dit moet in de krant. #schandaal")
c("r06", "en", "x", "@mrs_o_connor", ["crisis"], "Legionella found in the pool at the Wolkenland resort on Curaçao and guests were NOT told for a week. My husband is in hospital. Unbelievable.")
c("r08", "en", "x", "@skimum_sara", ["crisis"], "Lift accident in Saalbach, a kid from our WolkenSki group had to be airlifted. Why were they let on that lift after the storm warning??")
c("r09", "nl", "x", "@gedupeerde_gezin", ["crisis"], "B O Y C O T  W O L K E N L A N D 🚫 hebben ons hele gezin laten zitten op Kreta en lachen ons gewoon uit")
c("r10", "en", "x", "@investig8_j", ["crisis"], "Piece drops tomorrow: hotels Wolkenland uses in Dubai keep migrant workers' passports. I've seen the documents. An absolute scandal.")
c("r11", "nl", "x", "@woest_op_wolk", ["crisis"], "Datalek bij Wolkenland!! Mijn paspoortscan staat op een of ander hackersforum. Ik ga aangifte doen en ik ben niet de enige.")
c("r12", "en", "reddit", "u/chalet_warning", ["crisis"], "Don't book WolkenSki this year. Their Val d'Isère chalet had a carbon monoxide leak last week, two guests hospitalised, and the company is keeping it quiet.")
c("r13", "nl", "x", "@hurghada_hel", ["crisis", "abuse"], "Die tyfuslijers van Wolkenland laten 300 man zitten in Hurghada zonder terugvlucht. Iedereen moet dit bedrijf boycotten!!")

# ---------------------------------------------------------------- abuse
c("a01", "nl", "x", "@gertjan_k", ["abuse"], "Wolkenland is een kankerbedrijf, punt.")
c("a02", "en", "x", "@rage_traveller", ["abuse"], "@wolkenland_help you're all a bunch of brain-dead clowns, honestly", kind="reply")
c("a03", "nl", "x", "@wolkenland_help", ["abuse"], "@rikvd Meneer, als u zo blijft zeuren kunt u volgend jaar beter thuisblijven. Wat een zielige vent ben jij zeg.", kind="reply")
c("a04", "en", "instagram", "@joost.skigids", ["abuse"], "Had a group of Brits this week who were absolute pigs. Fat, drunk and thick as a brick, every single one. Never again.")
c("a05", "nl", "x", "@anoniem_8812", ["abuse"], "Die reisleider Kees op Kreta is een vieze engerd, iemand moet hem eens flink op z'n bek slaan")
c("a06", "en", "x", "@xx_void_xx", ["abuse"], fullwidth("Wolkenland staff are scum") + " 🤮")
c("a07", "nl", "x", "@w0lk_h8r", ["abuse"], "wolkenland = k4nk3rz00i, die kl@nt3nd13nst is 1 gr0te gr@p v@n h0ls73 k0pp3n")
c("a08", "en", "x", "@refund_or_else", ["abuse"], "@marieke_wlk you stupid bitch, I know where your office is. Fix my refund or else.", kind="reply")
c("a09", "nl", "threads", "@kees.hoogland", ["abuse"], "Die Duitse gasten zijn ook altijd het lastigst, echt een volk apart. Achterlijk gewoon.")

# ---------------------------------------------------------------- pricing
c("z01", "nl", "x", "@dealjager_dirk", ["pricing"], "PRIJSFOUT?! Wolkenland heeft de Val d'Isère Chalet 7 dagen voor €189 p.p. op de site staan 😱 snel boeken!!")
c("z02", "en", "x", "@glitchhunter", ["pricing"], "Antalya All-In 10 for €229 on wolkenland.nl right now, has to be a glitch, booked 4 already lol")
c("z03", "nl", "x", "@lotte_devos", ["pricing"], "Oeps, volgens mij staat de New York Citytrip op de site voor €399 in plaats van €1399, kan iemand van e-commerce even kijken?")
c("z04", "en", "instagram", "@wolkenski", ["pricing"], "Last minute! Sölden 7 dagen all-in for just €349 🎿 Book before Sunday!")
c("z05", "nl", "x", "@verzekerdvera", ["pricing"], "Iemand anders de Reisverzekering Plus gezien voor €9 per jaar? Dat is toch een prijsfout bij Wolkenland, normaal is het 94 😂")
c("z06", "en", "reddit", "u/travelhack_tim", ["pricing"], "Wolkenland has the Curaçao Resort 14 listed at €420 instead of ~€1,850. Price error for sure, go go go")
c("z07", "nl", "x", "@wolkenland", ["pricing"], "Stedentrip Lissabon 4 nachten nu voor €159! Alleen vandaag 🇵🇹")
c("z08", "en", "x", "@family_of_five", ["pricing"], "@wolkenland_help is the Zillertal Familie price on your site a mistake? It shows €1,099 for the family week, last Tuesday it was €2,399", kind="reply")
c("z09", "nl", "linkedin", "ravi-ramdin-wlk", ["pricing"], "Collega's: er zit een prijsfout in de feed voor Dubai Stopover, hij komt eruit voor €12,99 in plaats van €1.299. De fix staat klaar, tot die tijd niet delen!")
c("z10", "nl", "tiktok", "@budgetbabe", ["pricing"], "POV: je boekt Praag 3 nachten voor €59 omdat Wolkenland een foutje maakte 🤑 #prijsfout #stedentrip")
c("z11", "nl", "x", "@kanarie_karin", ["pricing"], "Gran Canaria Strand 8 dagen voor " + mathbold_digits("399") + " euro 👀 dat is minder dan de helft van normaal, prijsfoutje bij Wolkenland?")
c("z12", "en", "x", "@marieke_wlk", ["pricing"], "Heads up team: customers keep calling about Kaapverdië Sal showing €102 in the app. It's a price error, promise nothing until finance decides.")

# --------------------------------------------------------------------------- build
LEVEL = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", s)


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
CARD_RE = re.compile(r"(?<!\d)(?<![\d][.,])(?:\d[ -]?){12,18}\d(?!\d|[.,]\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.])")


def checked_ids(text):
    """Checksum-valid IBANs (not the company's own), cards and BSNs in a text."""
    t = norm(text)
    found = []
    pub = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for m in IBAN_RE.finditer(t):
        raw = re.sub(r"\s", "", m.group(0))
        for end in range(len(raw), 14, -1):          # trailing words may be glued on
            if iban_ok(raw[:end]) and raw[:end] not in pub:
                found.append(("iban", raw[:end]))
                break
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    for m in BSN_RE.finditer(t):
        if bsn_ok(m.group(0)):
            found.append(("bsn", re.sub(r"\D", "", m.group(0))))
    return found


def severity(cats, role, has_checked):
    lv = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and has_checked):
                    s = 4
                else:
                    s = 3
            else:
                s = 2
        elif cat == "reputation.complaint":
            s = 2
        elif cat == "reputation.crisis":
            s = 3
        elif cat == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise AssertionError(cat)
        lv = max(lv, s)
    return LEVEL[lv]


def fill(text):
    used = re.findall(r"<<([A-Z0-9_]+)>>", text)
    for u in used:
        text = text.replace("<<%s>>" % u, V[u])
    return text, used


PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "threads": "th", "bluesky": "bs", "mastodon": "md", "reddit": "rd"}
START = datetime(2026, 1, 3, tzinfo=timezone.utc)

order = list(range(len(CASES)))
rng.shuffle(order)
out = []
meta = []
for n, i in enumerate(order):
    cs = CASES[i]
    text, used = fill(cs["text"])
    if cs["date"]:
        created = cs["date"]
    else:
        dt = START + timedelta(days=rng.randrange(0, 355), seconds=rng.randrange(6 * 3600, 23 * 3600))
        created = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    role = role_of(cs["platform"], cs["handle"])
    has_checked = "leak.pii" in cs["cats"] and any(GOOD_IDS.get(u) for u in used)
    post = {"id": "%s-%d" % (PLAT_PREFIX[cs["platform"]], 196001 + n),
            "platform": cs["platform"], "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": text, "lang": cs["lang"], "created_at": created}
    cats = sorted(set(cs["cats"]))
    out.append({"post": post, "expect": {"categories": cats,
                                         "severity": severity(cats, role, has_checked)}})
    meta.append(dict(cs, role=role, used=used, text_filled=text, created=created))

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps(o, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# 1. format (CONTRACT section 6), read back from the file
ids = set()
with open(path, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
for ln, line in enumerate(lines, 1):
    o = json.loads(line)
    if set(o) != {"post", "expect"}:
        err("line %d: keys %s" % (ln, set(o)))
        continue
    p, e = o["post"], o["expect"]
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        err("line %d: bad id" % ln)
    if p["id"] in ids:
        err("line %d: duplicate id %s" % (ln, p["id"]))
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        err("line %d: platform" % ln)
    if p.get("kind", "post") not in KINDS:
        err("line %d: kind" % ln)
    if not (isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str) and p["account"]["handle"]):
        err("line %d: account.handle" % ln)
    if not (isinstance(p.get("text"), str) and p["text"] and len(p["text"].encode("utf-8")) <= 65536):
        err("line %d: text" % ln)
    if not (isinstance(p.get("created_at"), str) and RFC3339.match(p["created_at"])):
        err("line %d: created_at" % ln)
    else:
        parse_ts(p["created_at"])
    if not (isinstance(e.get("categories"), list) and set(e["categories"]) <= TAXONOMY
            and e["categories"] == sorted(set(e["categories"]))):
        err("line %d: categories" % ln)
    if e.get("severity") not in LEVEL:
        err("line %d: severity" % ln)
    if not e["categories"] and e["severity"] != "none":
        err("line %d: benign with severity" % ln)
    if e["categories"] and e["severity"] in ("none", "info"):
        err("line %d: positive without severity" % ln)
    if "<<" in p["text"]:
        err("line %d: unfilled placeholder" % ln)

# 2. identifiers: positives valid, look-alikes invalid, no stray valid numbers elsewhere
for m, o in zip(meta, out):
    cats = o["expect"]["categories"]
    found = checked_ids(m["text_filled"])
    for u in m["used"]:
        val = norm(V[u])
        kind = GOOD_IDS.get(u) or BAD_IDS.get(u)
        if kind is None:
            continue
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if u in GOOD_IDS:
            if not ok:
                err("%s: %s should pass its checksum" % (m["key"], u))
            if "leak.pii" not in cats:
                err("%s: valid identifier outside a pii positive" % m["key"])
        else:
            if ok:
                err("%s: look-alike %s passes its checksum" % (m["key"], u))
            if cats:
                err("%s: look-alike used in a positive" % m["key"])
    good_used = {re.sub(r"\D", "", norm(V[u])) if GOOD_IDS[u] != "iban" else re.sub(r"\s", "", norm(V[u]))
                 for u in m["used"] if u in GOOD_IDS}
    for kind, val in found:
        if val not in good_used:
            err("%s: stray checksum-valid %s %s" % (m["key"], kind, val))
    if not cats and found:
        err("%s: benign post contains valid identifier" % m["key"])
    if not cats and o["expect"]["severity"] != "none":
        err("%s: benign severity" % m["key"])

# 3. secrets: real formats with checksums; samples only in benign posts
for m, o in zip(meta, out):
    cats = o["expect"]["categories"]
    for u in m["used"]:
        if u in SECRET_CHECKS and not SECRET_CHECKS[u](V[u]):
            err("%s: generated %s fails its format check" % (m["key"], u))
    t = m["text_filled"]
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
        if set(tok[4:]) == {"x"}:
            if cats:
                err("%s: sample github token in positive" % m["key"])
            continue
        if not gh_ok(tok):
            err("%s: github token with bad crc" % m["key"])
        if "leak.secret" not in cats:
            err("%s: github token outside secret positive" % m["key"])
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", t):
        if tok.endswith("EXAMPLE"):
            if cats:
                err("%s: sample key in positive" % m["key"])
        elif "leak.secret" not in cats:
            err("%s: aws key outside secret positive" % m["key"])
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
        if not jwt_ok(tok):
            err("%s: jwt without alg" % m["key"])
    if re.search(r"xxxx|EXAMPLE", t) and cats:
        err("%s: sample/redacted key in a positive" % m["key"])

# 4. profile terms: codenames, markers, internal domains, embargo
terms = [(x, "codename") for x in PROFILE["internal"]["codenames"]]
terms += [(x, "marker") for x in PROFILE["internal"]["markers"]]
terms += [(x, "domain") for x in PROFILE["internal"]["domains"]]
for m, o in zip(meta, out):
    cats = o["expect"]["categories"]
    t = norm(m["text_filled"]).lower()
    for term, kind in terms:
        if term.lower() in t and "leak.confidential" not in cats and kind not in m["allow"]:
            err("%s: %s '%s' without leak.confidential" % (m["key"], kind, term))
    ts = parse_ts(m["created"])
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in t:
                if ts < until and "leak.confidential" not in cats:
                    err("%s: embargo term before until without confidential" % m["key"])
                if ts >= until and cats == ["leak.confidential"]:
                    err("%s: embargo term after until labelled confidential" % m["key"])
    if not cats:
        mails = re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", t)
        for ml in mails:
            if ml not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
                err("%s: benign post with non-public e-mail %s" % (m["key"], ml))

# 5. roles and severities recomputed independently
for m, o in zip(meta, out):
    role = m["role"]
    if m["handle"].lower() in {a.split(":", 1)[1].lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]} and role == "public":
        err("%s: handle of an own account used on a different platform" % m["key"])
    has = "leak.pii" in o["expect"]["categories"] and bool(checked_ids(m["text_filled"]))
    if severity(o["expect"]["categories"], role, has) != o["expect"]["severity"]:
        err("%s: severity mismatch" % m["key"])

# 6. pricing: prices below ratio in pricing positives; benign product prices above it
prods = PROFILE["products"]
ratio = PROFILE["pricing"]["alert_below_ratio"]
for m, o in zip(meta, out):
    if "leak.pricing" in o["expect"]["categories"]:
        t = norm(m["text_filled"])
        hit = None
        for p in prods:
            for a in [p["name"]] + p["aliases"]:
                if a.lower() in t.lower():
                    hit = p
        if hit is None:
            err("%s: pricing positive names no product" % m["key"])
            continue
        nums = [float(x.replace(".", "").replace(",", ".")) if re.search(r",\d{2}$", x) else float(x.replace(",", "").replace(".", ""))
                for x in re.findall(r"(?:€\s?|\b)(\d[\d.,]*)(?=\s?(?:euro|p\.p\.|per|!|\s|$|,|\)))", t)]
        if not any(0 < v < ratio * hit["list_price"] for v in nums) and "prijsfout" not in t.lower() and "price error" not in t.lower():
            err("%s: no price below ratio for %s" % (m["key"], hit["name"]))

# 7. the mix
n = len(out)
benign = sum(1 for o in out if not o["expect"]["categories"])
per_cat = {}
for o in out:
    for cat in o["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for m in meta if m["lang"] == "nl")
if not 170 <= n <= 180:
    err("case count %d outside 170-180" % n)
if not 55 <= benign <= 65:
    err("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    err("Dutch share %.2f" % (nl / n))
for cat, lo in [("reputation.complaint", 18), ("leak.confidential", 16), ("leak.pii", 13),
                ("reputation.crisis", 13), ("leak.security", 11), ("leak.secret", 10),
                ("reputation.abuse", 10), ("leak.pricing", 10), ("leak.financial", 10)]:
    if per_cat.get(cat, 0) < lo:
        err("too few %s: %d" % (cat, per_cat.get(cat, 0)))
years = {m["created"][:4] for m in meta}
if not years <= {"2026", "2027"}:
    err("years %s" % years)

if errors:
    for e in errors:
        print("CHECK FAILED:", e, file=sys.stderr)
    sys.exit(1)

roles = {}
for m, o in zip(meta, out):
    if any(c.startswith("leak.") for c in o["expect"]["categories"]):
        roles[m["role"]] = roles.get(m["role"], 0) + 1
print("wrote %d cases (%d benign, %d positive) to %s" % (n, benign, n - benign, path))
print("per category:", json.dumps(dict(sorted(per_cat.items()))))
print("dutch share: %.2f; leak posts by role: %s" % (nl / n, roles))
print("self-checks passed")
