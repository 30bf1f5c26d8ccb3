#!/usr/bin/env python3
"""Build the labelled evaluation set sealed474 (fictional roofing contractor Torvalk Dakwerken).

Deterministic: fixed seeds, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it: checksums of every generated identifier, the shape of every line
(CONTRACT section 6), severities derived from CONTRACT section 4 and the account role
found in profile.yaml, pricing ratios, embargo windows and the category mix.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

RNG = random.Random(474)          # identifiers and secrets
DATE_RNG = random.Random(4740)    # timestamps

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    if not 13 <= len(d) <= 19:
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
    return tot % 11 == 0 and tot != 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(b64url_decode(parts[0]))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr

# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits


def rand(chars, n):
    return "".join(RNG.choice(chars) for _ in range(n))


def _iban(country, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return "%s%02d%s" % (country, 98 - n % 97, bban)


def gen_iban_nl():
    bank = RNG.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    return _iban("NL", bank + rand(string.digits, 10))


def gen_iban_be():
    first = rand(string.digits, 10)
    chk = int(first) % 97 or 97
    return _iban("BE", first + "%02d" % chk)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def break_iban(valid):
    # same account, wrong check digits -> fails mod-97
    cc, chk, bban = valid[:2], int(valid[2:4]), valid[4:]
    for delta in (3, 7, 11, 19):
        cand = "%s%02d%s" % (cc, (chk + delta) % 97 or 2, bban)
        if not iban_ok(cand):
            return cand
    raise RuntimeError("could not break iban")


def gen_card():
    prefix = RNG.choice(["4", "51", "52", "53", "54", "55", "2221"])
    body = prefix + rand(string.digits, 15 - len(prefix))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise RuntimeError


def break_card(c):
    return c[:-1] + str((int(c[-1]) + 3) % 10)


def gen_bsn():
    while True:
        d = [RNG.randint(1, 6)] + [RNG.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            cand = "".join(map(str, d)) + str(s)
            if bsn_ok(cand):
                return cand


def break_bsn(b):
    for delta in (1, 2, 4, 5):
        cand = b[:-1] + str((int(b[-1]) + delta) % 10)
        if not bsn_ok(cand):
            return cand
    raise RuntimeError


def gen_gh(prefix):
    body = rand(ALNUM, 30)
    return prefix + "_" + body + b62(zlib.crc32(body.encode()), 6)


def gen_jwt():
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    hdr = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = enc(json.dumps({"sub": "api-demo-%d" % RNG.randint(1000, 9999), "scope": "quotes:read",
                              "iss": "api.torvalk.nl", "iat": 1767225600 + RNG.randint(0, 9_000_000)},
                             separators=(",", ":")).encode())
    sig = enc(bytes(RNG.getrandbits(8) for _ in range(32)))
    return hdr + "." + payload + "." + sig


def gen_pem():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + bytes(RNG.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_pwd():
    return rand(string.ascii_letters, 5) + rand(string.digits, 3) + RNG.choice("!#$%&*?") + rand(ALNUM, 5)


GENERATORS = {
    # personal identifiers that pass their checksum
    "IBAN": lambda: gen_iban_nl(),
    "IBANG": lambda: group4(gen_iban_nl()),
    "IBANBE": lambda: group4(gen_iban_be()),
    "CARD": lambda: group4(gen_card()),
    "CARDC": lambda: gen_card(),
    "BSN": lambda: gen_bsn(),
    "BSND": lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn()),
    # look-alikes that fail their checksum
    "BADIBAN": lambda: break_iban(gen_iban_nl()),
    "BADIBANG": lambda: group4(break_iban(gen_iban_nl())),
    "BADCARD": lambda: group4(break_card(gen_card())),
    "BADBSN": lambda: break_bsn(gen_bsn()),
    # credentials
    "GHP": lambda: gen_gh("ghp"),
    "GHS": lambda: gen_gh("ghs"),
    "AWSID": lambda: "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "AWSSEC": lambda: rand(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 75),
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "SLACKBOT": lambda: "xoxb-%d-%d-%s" % (RNG.randint(10**10, 10**11), RNG.randint(10**12, 10**13), rand(ALNUM, 24)),
    "ANTH": lambda: "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA",
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PWD": gen_pwd,
    "PGURL": lambda: "postgres://torvalk_app:%s@torvalk-prod.c%s.eu-west-1.rds.amazonaws.com:5432/klanten"
                     % (gen_pwd(), rand(string.ascii_lowercase + string.digits, 12)),
}
VALID_ID_KINDS = {"IBAN", "IBANG", "IBANBE", "CARD", "CARDC", "BSN", "BSND"}
BAD_ID_KINDS = {"BADIBAN", "BADIBANG", "BADCARD", "BADBSN"}
SECRET_KINDS = {"GHP", "GHS", "AWSID", "AWSSEC", "STRIPE", "MOLLIE", "SLACKBOT", "ANTH", "JWT", "PEM", "PWD", "PGURL"}

# ---------------------------------------------------------------- the cases
CAT = {
    "CO": "reputation.complaint", "CR": "reputation.crisis", "AB": "reputation.abuse",
    "CF": "leak.confidential", "FI": "leak.financial", "SE": "leak.security",
    "SC": "leak.secret", "PI": "leak.pii", "PR": "leak.pricing",
}
CASES = []


def C(acct, lang, text, cats="", kind="post", date=None, price=None):
    CASES.append(dict(acct=acct, lang=lang, text=text, cats=[CAT[c] for c in cats.split()],
                      kind=kind, date=date, price=price))


# ===== benign: praise, questions, sales, own contact data, hard negatives =====
C("x:@torvalk_nl", "nl", "Stormachtig weekend op komst 🌬️ Check vandaag nog of je dakgoten vrij zijn van bladeren. Toch schade? Bel 0800-8682, we zijn 24/7 bereikbaar.")
C("facebook:TorvalkDakwerken", "nl", "Vraag van de week: waar maak ik de aanbetaling naar over? Altijd naar %%PUBIBAN%% t.n.v. Torvalk Dakwerken B.V. Nooit naar een ander rekeningnummer, ook niet als iemand 'namens ons' belt of appt.")
C("x:@hanna_rooftops", "en", "Shoutout to the Torvalk crew who redid our flat roof in ONE day. Clean site, no mess, they even swept the street after. 10/10 would recommend")
C("x:@pietjepuk_utr", "nl", "iemand ervaring met de DakCheck van Torvalk? €149 voor een inspectie, is dat normaal of aan de dure kant?", price=("DakCheck", 149))
C("instagram:@torvalk.dakwerken", "nl", "🍂 Najaarsactie: DroneScan deze maand voor €189 i.p.v. €229. Geen steiger nodig, wel haarscherpe beelden van je hele dak. #torvalk #dakinspectie", price=("DroneScan", 189))
C("reddit:u/leaky_in_leusden", "en", "Roof is leaking again, not Torvalk's fault tho, it's the previous owner's DIY skylight lol. Booked their Spoedservice, guy's coming tomorrow morning.")
C("instagram:@dakdekker_joey", "nl", "Weer een Dakkapel Compact erop gezet in Nieuwegein 💪 twee dagen werk, strak resultaat. #dakdekker #vakmanschap")
C("x:@lopik_loes", "nl", "Sterkte aan iedereen in Lopik met stormschade. Torvalk had gisteren drie busjes in onze straat, petje af voor die mannen in die wind.")
C("x:@brabantbouwnieuws", "en", "Another roofing firm in Brabant went under this week: Dakbedrijf Van Kuijk, 40 jobs gone. Tough market. Glad our Torvalk warranty from last year is still solid.")
C("forum:@quote_calc_dev", "en", "For the folks building quote calculators for contractors: don't hardcode creds. The AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders for a reason 🙃 use env vars or a vault.")
C("mastodon:@dewi_r@mastodon.nl", "en", "Ran a secret scanner over all our repos today: zero real hits. The only thing it flagged was a test fixture literally called ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX. Good habits pay off.")
C("linkedin:torvalk-dakwerken", "en", "It's here: the TorvalkSolar Flex, a solar roof tile you can't tell apart from a regular tile. Orders open today via torvalk.nl ☀️", date="2027-04-02T08:30:00Z")
C("linkedin:esther-koopman-torvalk", "nl", "Vanochtend onze halfjaarcijfers 2027 gepubliceerd. Trots op een team dat door een kletsnatte lente heen is blijven doorwerken. Het volledige verslag staat op torvalk.nl.", date="2027-08-27T09:05:00Z")
C("x:@gerdahofstra", "nl", "Update: Torvalk kwam vanochtend terug en de lekkage bij de schoorsteen is eindelijk opgelost. Excuses gekregen en geen extra kosten. Zo hoort het 👍")
C("x:@fraudewijzer", "en", "Phishing alert: a fake 'Torvalk' payment page is doing the rounds. It even pre-fills a card number (%%BADCARD%%) to look legit, which doesn't even pass a Luhn check. The real Torvalk only invoices from service@torvalk.nl.")
C("facebook:Marja.vanDam", "nl", "Haha mijn zoon dacht dat ons offertenummer een BSN was: %%BADBSN%%. Nee jongen, dat is gewoon de offerte van Torvalk voor de nieuwe dakgoot 😂")
C("x:@torvalk_service", "nl", "Let op: er gaan valse facturen rond met rekeningnummer %%BADIBANG%%. Die is NIET van ons. Twijfel je? Mail service@torvalk.nl of bel 030 760 4410.")
C("x:@dadjokes_daan", "en", "My dad has been 'about to fix the gutter himself' since 2019. Just booked Torvalk behind his back. Family therapy may be required 😂")
C("x:@ruud_dakdekker", "nl", "Vandaag precies 20 jaar dakdekker. Van teerketel tot EPDM, ik heb het allemaal zien komen. Trots op m'n ploeg 🎉")
C("tiktok:@torvalkdak", "nl", "POV: je ziet voor het eerst een groendak van dichtbij 🌱 Sedum houdt regenwater vast en houdt je huis koel. Groendak Sedum 15m² vanaf €1.650. #groendak #duurzaam", price=("Groendak Sedum", 1650))
C("x:@utrecht_oost_jan", "en", "Does Torvalk do chimney work on old 1920s houses? Site says Schoorsteen Herstel from €795 but not sure if that covers monumental stuff.", price=("Schoorsteen Herstel", 795))
C("linkedin:bram-oudshoorn", "en", "We're hiring! Two experienced roofers and one apprentice for the Amersfoort region. VCA required, company van included. Apply via werkenbij@torvalk.nl")
C("facebook:Henk.Wolters.Torvalk", "nl", "Vanaf de steiger in Polsbroek de eerste grutto van het jaar gezien. Mooiste kantoor van Nederland heb ik 😄")
C("tiktok:@kevin.ophetdak", "nl", "vandaag geleerd hoe je een nokvorst vastzet zonder specie, droge nok heet dat. leermeester zegt ik ben er klaar voor 😎 #leerlingdakdekker")
C("x:@jorisbouwt", "en", "Torvalk crew absolutely killing it on our street today, four roofs stripped before lunch. Someone give these guys a raise")
C("tiktok:@bieb_fan_ams", "nl", "dat groendak van torvalk op de bieb is echt ziek mooi geworden 🔥🔥", kind="comment")
C("facebook:TorvalkDakwerken", "nl", "Tip: wachtwoord van Mijn Torvalk kwijt? Klik op 'wachtwoord vergeten' op mijn.torvalk.nl. Wij vragen je NOOIT telefonisch of per mail om je wachtwoord.")
C("x:@secnews_bene", "en", "Yikes: Dakfix Groep confirms a data breach affecting ~40k customers. The construction sector really needs to up its security game. (Different company from Torvalk, before anyone panics.)")
C("x:@torvalk_nl", "nl", "Alleen deze week: 10% korting op Zinken Dakgoot vervangen (10 m), nu €1.062. Offerte aanvragen? offerte@torvalk.nl", price=("Zinken Dakgoot", 1062))
C("x:@adjuster_mike", "en", "Insurance adjuster here. Torvalk's storm damage report was the most thorough one I've seen this year. Claim approved in three days.")
C("linkedin:torvalk-dakwerken", "nl", "Ons medeleven gaat uit naar de familie en collega's van de dakdekker die gisteren in Deventer is verongelukt. Hij was niet bij ons in dienst, maar dit raakt onze hele sector. Veiligheid gaat altijd voor.")
C("x:@hellend_dak_hans", "en", "Torvalk quoted €3,780 to insulate 40m² of pitched roof, which is just their list price for Isolatie Hellend Dak. Anyone manage to negotiate?", price=("Isolatie Hellend Dak", 3780))
C("facebook:Ingrid.Goudzwaard", "nl", "Wie heeft tips voor een goede dakdekker in regio Gouda? Twijfel tussen Torvalk en een zzp'er uit het dorp.")
C("x:@marloes_vleeuwen", "en", "New brochure just came back from the printer and it smells like fresh ink and ambition. Grab one at our Amersfoort showroom!")
C("linkedin:esther-koopman-torvalk", "nl", "Onze jaarcijfers 2025 staan sinds vanochtend online. 11% omzetgroei, en belangrijker: nul ernstige ongevallen op de bouw. Dank aan alle collega's.", date="2026-03-12T08:10:00Z")
C("x:@open_dag_papa", "en", "l33t roofing skills from the Torvalk apprentices at the open day. My kid now wants to be a roofer instead of a YouTuber, so that's a win")
C("youtube:TorvalkDakwerkenTV", "en", "New video: how we replace lead flashing around a chimney, step by step. Loodslabben vernieuwen starts at €540, full price list on torvalk.nl.", price=("Loodslabben vernieuwen", 540))
C("x:@wachtrij_willem", "nl", "Na drie minuten al iemand aan de lijn bij 0800-8682. Had ik eerlijk gezegd niet verwacht bij een dakdekker.")
C("x:@proptech_sanne", "en", "Torvalk's API docs are great btw. Their example token is shown as eyJhbGciOi…<redacted>… so nobody copy-pastes a live one. Integrated their quote endpoint into our listing app in an afternoon.")
C("x:@ybakkali_ict", "en", "Cybersecurity awareness month: 94% of colleagues spotted our phishing simulation. The other 6% got cake and a second chance 🍰")
C("x:@stationsbuurt_em", "en", "The fire brigade drill on the Torvalk scaffold next to the station is weirdly mesmerising. Good to see them practice rescues up there.")
C("facebook:Ria.Smeets.71", "nl", "Buurman heeft een dakraam laten plaatsen door Torvalk, Dakraam 78x118 voor €1.395 inclusief plaatsing. Netjes gedaan, denk er zelf ook over na.", price=("Dakraam 78x118", 1395))
C("x:@hail_survivor", "nl", "Voor wie het nodig heeft: het noodnummer van Torvalk is +31 30 760 4410. Gisteravond bij die hagelbui binnen twee uur een zeil op ons dak. Top!")
C("linkedin:torvalk-dakwerken", "en", "Safety first: this year every Torvalk roofer gets a brand-new fall-arrest harness and a refresher course. Zero falls is the only acceptable number.")
C("x:@blackfriday_bas", "nl", "Bij de Black Friday actie van Torvalk Dakcoating Plus gescoord voor €1.117,50 (25% korting). Plat dak kan weer jaren mee.", price=("Dakcoating Plus", 1117.50))
C("x:@thursday_tess", "nl", "@torvalk_service dank voor de snelle reactie, donderdagochtend is prima!", kind="reply")
C("x:@ilse_planning_tv", "nl", "Planning voor volgende week rond 🧩 42 klussen, 9 ploegen en 0 regen voorspeld (duimen!!)")
C("x:@bee_happy_bart", "en", "This Torvalk sedum roof is the bomb. Bees everywhere, neighbours jealous, cat confused.")
C("x:@speeltuin_oog", "nl", "Lekker bezig @torvalk_nl, gratis dakcheck voor de speeltuinvereniging. Mooi gebaar 👏")
C("x:@iban_juf", "en", "Teaching IBAN validation to my vocational class today. Example from an old Torvalk invoice template I found online: %%BADIBANG%%. Students: why does this one fail mod-97? 🤓")
C("facebook:Kees.Boeijen", "nl", "Torvalk heeft bij ons de boeiboorden vervangen, Boeiboorden Kunststof (10 m) voor €1.290. Prijs stond gewoon op de site, geen verrassingen achteraf.", price=("Boeiboorden Kunststof", 1290))
C("x:@torvalk_nl", "en", "Heads up: there's a fake Torvalk account on Instagram (@torvalk.dakwerken.official). Our only account is @torvalk.dakwerken. Please report the fake one, thanks!")
C("instagram:@dakdekker_joey", "en", "Sunrise from a roof in Houten 🌅 best office in the world #roofer #torvalk")
C("reddit:u/eerste_huisje", "nl", "Kan iemand uitleggen wat nou het verschil is tussen EPDM en bitumen? Torvalk doet allebei, EPDM Pakket €2.890 en Bitumen 2-laags €2.450.", price=("EPDM Pakket", 2890))
C("forum:@meetup_notes", "en", "Notes from the contractors' dev meetup: keep your OpenAI key in an env var, e.g. OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx, never in the code. Torvalk's dev team gave that talk and it was honestly great.")
C("x:@tielse_tom", "nl", "Dat asbestschandaal bij dat sloopbedrijf in Tiel is echt schokkend. Goed dat Torvalk bij ons een gecertificeerde saneerder liet komen.")
C("tiktok:@kevin.ophetdak", "en", "when the boss says 'just one more roof before lunch' 💀 #roofer #apprentice")
C("instagram:@torvalk.dakwerken", "nl", "Klantverhaal 🏡 Een gezin uit Woerden wilde een lichtere zolder. Resultaat: twee lichtkoepels en een hele blije tiener. (Gedeeld met toestemming.)")
C("x:@solar_sjors", "en", "Just ordered the SolarFlex tiles from Torvalk. Launch price is fair and install is booked for June ☀️", date="2027-04-20T17:45:00Z")
C("x:@vergeetachtig", "en", "I can't recall the name of the roofer we used in 2019... was it Torvalk? Whoever it was, the roof's still perfect.")

# ===== reputation.complaint =====
C("x:@emmer_op_zolder", "nl", "@torvalk_service al drie weken wacht ik op een monteur voor de lekkage. Elke keer 'volgende week'. Ondertussen staat er een emmer op zolder. Echt slecht dit.", "CO", kind="reply")
C("facebook:Paul.Hendriks.NL", "en", "Paid a €900 deposit to Torvalk Dakwerken in August for a dormer. It's November now. No date, no reply to three emails. What is going on over there?", "CO")
C("x:@steigerburen", "nl", "steiger staat nu 5 weken voor m'n deur en sinds dinsdag is er niemand meer geweest. @torvalk_nl hallo??", "CO")
C("forum:@gutter_grief", "en", "Torvalk replaced our gutters and the first proper rain showed they slope the wrong way. Water pours straight onto the front door. Took a day off to wait for them to fix it, nobody showed.", "CO")
C("instagram:@tuin_van_tineke", "nl", "Mooie foto's hoor, maar bij ons lieten jullie een tuin vol dakpanscherven en spijkers achter. Kinderen konden een week niet naar buiten. Nog steeds niet opgeruimd.", "CO", kind="comment")
C("reddit:u/quote_vs_invoice", "en", "PSA Utrecht area: Torvalk's final invoice came in €1,100 above the quote. 'Unforeseen rot in the roof boards'. No photos, no call beforehand. Disputing it.", "CO")
C("x:@terugbelbelofte", "nl", "Jullie klantenservice zou me 'binnen 24 uur' terugbellen. Dat was vorige week maandag. Zit daar überhaupt iemand?", "CO")
C("tiktok:@panel_pain", "en", "they put solar panels on my roof and 2 of them have been dead since day one. 'warranty team will contact you' – that was 6 weeks ago 🙃 #torvalk", "CO", kind="comment")
C("facebook:Wilma.deRijk", "nl", "Garantie afgewezen op de Dakcoating Plus omdat 'het onderhoud niet is uitgevoerd'. Welk onderhoud?! Niemand heeft ons ooit iets verteld. Zwaar teleurgesteld in Torvalk.", "CO")
C("x:@saturday_sleeper", "nl", "Torvalk begon zaterdag om 6:40 al te hameren. ZATERDAG. De buren zijn woest op mij. Had op z'n minst even een briefje in de bus gekund.", "CO")
C("mastodon:@skylight_sam@mastodon.social", "en", "Second time Torvalk 'fixed' the leak around our skylight. Second time it's dripping onto the sofa. Documenting everything from now on.", "CO")
C("facebook:Anton.Prins.Nieuwegein", "nl", "Dakkapel ligt erop, maar de afwerking binnen is een rommeltje: kieren bij de kozijnen, vensterbank scheef. Opleverpunten gemeld, geen reactie. Niet blij met Torvalk Dakwerken.", "CO")
C("x:@bunnik_jansen", "nl", "@torvalk_service ik ben het zat, bel me gewoon terug: 06 41 87 22 95, dossier mevr. Jansen, Kerkstraat 12 in Bunnik. Lekkage al vier weken!!", "CO PI", kind="reply")
C("x:@dak_als_zeef", "nl", "Torvalk is echt een kutbedrijf. Drie keer 'gerepareerd' en het dak lekt nog steeds als een zeef. Stelletje prutsers.", "CO AB")
C("facebook:Dennis.Verkerk", "en", "Your roofers are useless f*cking clowns. They cracked half my tiles walking on them and then told ME it was old age. Worst company I've ever dealt with.", "CO AB")

# ===== first-hand safety incidents: crisis + complaint =====
C("facebook:Mieke.Zwart.Zeist", "nl", "Jullie dakdekker was met de brander bezig op ons platte dak en ineens stond de dakrand in de fik. Buurman heeft het met de tuinslang geblust. Niemand van Torvalk heeft ons daarna nog gebeld. Dit had ons hele huis kunnen zijn.", "CR CO")
C("x:@shaking_mum", "en", "The skylight Torvalk installed last month literally fell IN last night. Glass all over my daughter's bed. She was in the bathroom by pure luck. I'm still shaking.", "CR CO")
C("reddit:u/grey_dust_garden", "en", "After Torvalk removed the old asbestos sheets from our shed roof the whole garden was covered in grey dust. No protection, no sealed bags. My son's been coughing for a week and the GP wants tests. How is this legal?", "CR CO")
C("instagram:@voordeur_vera", "nl", "Er viel gisteren een dakpan van jullie steiger op mijn schouder toen ik naar m'n voordeur liep. Gekneusd, had ook m'n hoofd kunnen zijn. Geen hekken, geen bord, niks. @torvalk.dakwerken", "CR CO", kind="comment")
C("x:@zinc_shock", "en", "Touched our gutter yesterday and got a proper electric shock. Turns out Torvalk's solar installers left a stripped cable resting against the zinc. My husband was up a ladder an hour earlier, could have killed him.", "CR CO")

# ===== reputation.crisis (third-party news, boycotts, lawsuits, recalls) =====
C("x:@regio_amersfoort", "nl", "Dakdekker (34) zwaargewond na val van dak in Amersfoort-Noord. Volgens omstanders werkte hij voor Torvalk Dakwerken. Arbeidsinspectie doet onderzoek.", "CR")
C("facebook:Eerlijk.Werk.Nu", "nl", "BOYCOT TORVALK! Ze laten onderaannemers voor een hongerloon zonder valbeveiliging op het dak werken. Deel dit en huur ze niet meer in!", "CR")
C("x:@nieuwegein_wijkapp", "en", "Hearing Torvalk is being sued by 30+ homeowners over leaking EPDM roofs in Nieuwegein. Class action filed this week apparently.", "CR")
C("reddit:u/spam_with_my_quote", "en", "Did Torvalk leak customer data?? A spam email just quoted my exact Torvalk offer number and home address. Anyone else getting these?", "CR")
C("x:@brandweer_fan_zst", "nl", "Brandweer: uitslaande brand in Zeist ontstaan tijdens dakwerkzaamheden. Torvalk Dakwerken was daar met bitumen aan het branden. Bewoners geëvacueerd.", "CR")
C("x:@diy_safety_nerd", "nl", "Torvalk roept alle lichtkoepels terug die sinds maart zijn geplaatst: scheurtjes in de koepel, kans dat ie naar binnen zakt. Heb je er een? Ga er niet onder zitten tot ze 'm gecheckt hebben.", "CR")
C("linkedin:scaffold-watch-nl", "en", "The Labour Inspectorate fined Torvalk Dakwerken €68,000 for unsafe scaffolding on three sites. This is the scandal nobody in our industry wants to talk about.", "CR")
C("tiktok:@asbestwaarheid", "nl", "waarom praat niemand over het schandaal bij torvalk?? oud-werknemers zeggen dat ze asbest gewoon in de gewone container gooiden 😳 #schandaal #asbest", "CR")
C("forum:@biltstraat_buurt", "en", "Scaffolding collapsed onto two parked cars on the Biltstraat this morning. Banner on it says Torvalk. Miracle nobody was walking underneath.", "CR")
C("mastodon:@houtens_nieuws@mastodon.nl", "nl", "Rechtszaak tegen Torvalk: gemeente Houten eist schadevergoeding voor het dak van sporthal De Brink dat binnen een jaar ging lekken. Zitting in maart.", "CR")

# ===== reputation.abuse =====
C("x:@boos_in_utrecht", "nl", "@torvalk_nl jullie zijn echt de grootste oplichters van Utrecht, stelletje tyfuslijers", "AB", kind="reply")
C("x:@angryroofwatch", "en", "torvalk roofers are brain-dead monkeys, every single one of them", "AB")
C("x:@anoniem_8812", "nl", "@ilse_planning_tv jij bent toch die trut van de planning? Ik weet waar je werkt hoor. Succes morgen 😘", "AB", kind="reply")
C("x:@real_dutch_only", "en", "Saw the Torvalk van at the station, full of foreigners who can't speak a word of Dutch. Hire real Dutchmen, not this imported trash.", "AB")
C("x:@l33t_hater", "nl", "t0rv4lk = k4nk3r b3dr1jf, h00p dat jullie f41ll1ss13t g44n", "AB")
C("x:@spacebar_rage", "en", "Torvalk staff are a bunch of f u c k i n g  i d i o t s, every last one", "AB")
C("instagram:@dakdekker_joey", "nl", "@pvdmeer76 als je zo loopt te zeiken doe je je eigen dak maar, sukkel. Idioot.", "AB", kind="reply")
C("facebook:Dirk.Schaap.1968", "nl", "Henk van Torvalk is een vuile leugenaar en een zuiplap, dat weet heel Polsbroek.", "AB")
C("x:@care_is_a_joke", "en", "Dear @torvalk_service, go to hell. Fuck you and your 'customer care'.", "AB")
C("tiktok:@mening_van_mo", "nl", "die dakdekkers van torvalk zijn gewoon tokkies met een ladder 🤮", "AB", kind="comment")

# ===== leak.confidential =====
C("x:@marloes_vleeuwen", "nl", "Kan bijna niet wachten tot we Koperwiek mogen laten zien 🤫 Dakpannen die stroom opwekken en er gewoon mooi uitzien. Nog heel even geduld!", "CF")
C("instagram:@dakdekker_joey", "nl", "foto's van vandaag staan in planning.torvalk.local/werkbon/88231 jongens, even checken voor de oplevering morgen", "CF")
C("x:@ilse_planning_tv", "nl", "Eerste TorvalkSolar Flex proefdak ligt erop in Montfoort! Ziet er echt uit als een gewone dakpan 😍", "CF", date="2026-12-05T14:20:00Z")
C("facebook:Henk.Wolters.Torvalk", "nl", "Kijk wat ik vandaag in m'n mail kreeg 😂 'TORVALK INTERN - NIET DELEN: nieuwe regels voor bussen en tankpassen per 1 januari'. Dus niet meer je eigen auto volgooien jongens", "CF")
C("reddit:u/roofing_rumours", "en", "Friend who works at Torvalk showed me slides for something called Koperwiek. Solar roof tiles, launch next spring. Looked legit tbh.", "CF")
C("x:@torvalk_nl", "nl", "Nieuw op de site! Bekijk de productpagina hier: https://intranet.torvalk.local/cms/preview/solarflex-dakpan", "CF", date="2026-10-14T10:00:00Z")
C("mastodon:@dewi_r@mastodon.nl", "en", "Anyone else's GitLab runner choking on large LFS files? Ours at git.torvalk.nl keeps timing out on the drone footage repo.", "CF")
C("x:@ruud_dakdekker", "nl", "'Vertrouwelijk: Torvalk Dakwerken' staat er boven de mail, maar iedereen op de bouw weet al dat we vanaf maart met eigen steigers gaan werken lol", "CF")
C("tiktok:@kevin.ophetdak", "nl", "mag niks zeggen over Kop\u200berwiek maar die panelen zijn echt sick 🔥🔥", "CF")
C("x:@curious_carla", "en", "Heard Torvalk's big internal thing is called '\u041eperatie N\u043ekvorst' 👀 something about the planning department", "CF")
C("linkedin:bram-oudshoorn", "en", "Just presented our 2027 skylight line to the sales team. The deck is stamped 'Torvalk internal only' so no screenshots, but trust me: triple glazed and self-cleaning.", "CF")
C("x:@marloes_vleeuwen", "en", "Shooting the launch video for the SolarFlex today ☀️🎬 can't show you anything yet, but wow", "CF", date="2027-02-19T11:00:00Z")
C("x:@ybakkali_ict", "nl", "Reminder voor collega's die thuiswerken: vpn.torvalk.nl krijgt vannacht een nieuw certificaat, morgenochtend even opnieuw verbinden.", "CF")
C("x:@marloes_vleeuwen", "nl", "Zo, productfotografie voor het nieuwe najaarsassortiment zit erop. Prototype van het Solar Flex dakpan-dak ziet er in het echt nog mooier uit dan op de renders 📸", "CF", date="2026-09-22T16:40:00Z")

# ===== confidential + financial =====
C("x:@ruud_dakdekker", "nl", "Operatie Nokvorst = 35 man eruit bij de planning en de werkplaats in Veenendaal dicht. Hoorde het vandaag van de uitvoerder. Lekker dan.", "CF FI")
C("linkedin:bram-oudshoorn", "en", "Project Grutto is a go: we're acquiring Dakwerken Brabant Zuid, signing on Friday. Huge step for the team!", "CF FI")
C("linkedin:esther-koopman-torvalk", "nl", "Net de halfjaarcijfers 2027 afgetekend. Spoiler: beste eerste helft ooit, EBITDA ruim boven de 9%. Officieel op de 20e 😉", "CF FI", date="2027-07-30T15:00:00Z")

# ===== confidential + security / secret =====
C("mastodon:@dewi_r@mastodon.nl", "en", "erp.torvalk.local has been down since Sunday with a ransom note on the file server. Management tells customers it's 'technical maintenance'. Not great.", "CF SE")
C("x:@ilse_planning_tv", "nl", "nieuwe collega's: inloggen op planning.torvalk.local met je personeelsnummer, tijdelijk wachtwoord: %%PWD%% (wel meteen wijzigen!)", "CF SC")

# ===== leak.financial =====
C("linkedin:esther-koopman-torvalk", "en", "Proud moment: our internal numbers show we'll close 2026 at €48m revenue, +22%. Official figures come in February, but the team deserves to hear it now.", "FI")
C("x:@ruud_dakdekker", "nl", "Hoor net dat we overgenomen worden door een Duits bouwconcern. Nog niks officieel, maar de directie liep vandaag in pak door de loods.", "FI")
C("facebook:Henk.Wolters.Torvalk", "nl", "Vestiging Eindhoven gaat per 1 april dicht, 18 collega's krijgen volgende week de brief. Ik mag het eigenlijk niet zeggen maar ik vind het schandalig.", "FI")
C("x:@cousin_insider", "nl", "Mijn neef bij Torvalk zegt dat er een winstwaarschuwing aankomt, Q3-marges waren belabberd door de natte zomer. Nog niks openbaar.", "FI")
C("x:@marloes_vleeuwen", "en", "Marketing budget for 2027 cut by 40% in today's MT meeting. Guess we're filming TikToks on a phone from now on 🙃", "FI")
C("linkedin:bram-oudshoorn", "nl", "Forecast Q1 2027: orderportefeuille 30% boven vorig jaar, vooral dakkapellen. Mag pas in maart naar buiten maar ik ben te trots 😅", "FI")
C("mastodon:@dewi_r@mastodon.nl", "en", "Overheard at lunch: the board is in talks to sell the DakZeker maintenance business to an insurer. Wild if true.", "FI")
C("reddit:u/bron_binnen", "nl", "Bron binnen Torvalk: er komt een reorganisatie, alle regiokantoren worden samengevoegd tot twee hubs. Zo'n honderd banen op de tocht.", "FI")
C("tiktok:@kevin.ophetdak", "nl", "baas zei vandaag dat alle leerlingen na de zomer geen nieuw contract krijgen omdat er 'bezuinigd moet worden' 😔 niemand weet het nog", "FI")

# ===== leak.security =====
C("mastodon:@dewi_r@mastodon.nl", "en", "Found out today that mijn.torvalk.nl shows you ANY customer's quote if you change the number in the URL. Reported internally two weeks ago, still no fix. Yikes.", "SE")
C("x:@ybakkali_ict", "en", "Long night. Our finance team fell for a fake invoice email, €86k wired to a fraudster. Police involved, nothing public yet. Train your people, folks.", "SE")
C("x:@ilse_planning_tv", "nl", "Planningssysteem ligt er sinds 7:00 uit, ploegen weten niet waar ze heen moeten. IT zegt dat het 'een aanval' is. Klanten krijgen te horen dat het een storing is 🙈", "SE")
C("facebook:Henk.Wolters.Torvalk", "nl", "Tablet met alle klantdossiers van regio Utrecht vannacht uit de bus gejat. Zat niet eens een pincode op. Ik zeg verder niks meer.", "SE")
C("x:@ruud_dakdekker", "nl", "Backups van het klantportaal draaien al sinds maart niet, net van IT gehoord. Als er iets misgaat zijn we alles kwijt.", "SE")
C("reddit:u/ex_contractor_it", "en", "Ex-Torvalk IT contractor here. All their drone tablets use the same default admin PIN and they've known for a year. Still not fixed.", "SE")
C("x:@marloes_vleeuwen", "en", "Heads up team: the website got defaced overnight, IT restored it at 5am. We are NOT announcing this, so don't mention it to customers.", "SE")
C("instagram:@dakdekker_joey", "nl", "klantportaal ligt morgen de hele dag plat voor een noodpatch, er zit een lek in de login. nog niet aangekondigd maar zeg het vast tegen je klanten 😉", "SE")
C("linkedin:bram-oudshoorn", "en", "Not public yet, but we've had to reset every customer portal password after someone dumped our login table. If you're a Torvalk customer, change your password anyway.", "SE")
C("mastodon:@dewi_r@mastodon.nl", "nl", "Onze offerte-plugin op de website heeft een SQL-injectie, al drie weken bekend, patch staat 'op de planning'. Ik word hier zo moe van.", "SE")

# ===== security + secret =====
C("mastodon:@dewi_r@mastodon.nl", "en", "Incident update (wrong window, sorry?): the attacker pushed to our website repo last night using this leaked deploy token %%GHS%%. Revoked now. Don't tell customers yet.", "SE SC")
C("x:@ybakkali_ict", "nl", "Productiedatabase stond sinds dinsdag gewoon open op internet 🤦 %%PGURL%% firewall is inmiddels dicht, nog niet gemeld bij de AP.", "SE SC")

# ===== leak.secret =====
C("mastodon:@dewi_r@mastodon.nl", "en", "why does CI keep saying bad credentials??\n\nexport GITHUB_TOKEN=%%GHP%%\ngit push origin main\n\nhelp 😩", "SC")
C("x:@marloes_vleeuwen", "nl", "@webdev_jasper hier is de key voor de betaalmodule, kun je er vanavond naar kijken? %%MOLLIE%%", "SC", kind="reply")
C("x:@torvalk_service", "nl", "Voor het team: nieuwe bot-token voor #storingen → %%SLACKBOT%% (oeps verkeerd venster)", "SC")
C("forum:@freelance_pieter", "en", "Building a roof-quote calculator for a client (Torvalk). boto3 keeps throwing AccessDenied with aws_access_key_id=%%AWSID%% aws_secret_access_key=%%AWSSEC%%. Which IAM policy am I missing?", "SC")
C("reddit:u/js_bundle_snooper", "en", "lol Torvalk's checkout page ships their Stripe secret key in the JS bundle: %%STRIPE%%  someone please tell them", "SC")
C("linkedin:bram-oudshoorn", "en", "Built a little AI assistant that drafts roof quotes from drone photos 🚀 Config if you want to try it yourself: ANTHROPIC_API_KEY=%%ANTH%%", "SC")
C("mastodon:@dewi_r@mastodon.nl", "en", "Can someone sanity-check my deploy key setup? This is the key on the build box:\n%%PEM%%\nssh still keeps asking for a passphrase", "SC")
C("youtube:TorvalkDakwerkenTV", "en", "API demo part 2: fetch your quotes with curl -H \"Authorization: Bearer %%JWT%%\" https://api.torvalk.nl/v1/quotes", "SC")
C("tiktok:@kevin.ophetdak", "nl", "voor de jongens van ploeg 4, inlog van de werkbon-app: gebruiker ploeg4 \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44\uff1a %%PWD%%", "SC")

# ===== leak.pii =====
C("x:@ilse_planning_tv", "nl", "@torvalk_service kunnen jullie mevr. Hofman terugbellen? 06-28391746, Julianastraat 8 in Zeist, lekkage boven de badkamer", "PI", kind="reply")
C("instagram:@dakdekker_joey", "nl", "Klus van vandaag bij dhr. P. Verhoef, Prinses Irenelaan 31 in Maarssen 🏠 dakkapel staat!", "PI")
C("facebook:TorvalkDakwerken", "nl", "Beste Sandra, we hebben je terugbetaling van €450 vandaag overgemaakt naar %%IBANG%%. Excuses voor het lange wachten!", "PI", kind="reply")
C("facebook:Henk.Wolters.Torvalk", "nl", "Wie heeft de kopie van het paspoort van de nieuwe jongen gevonden? BSN %%BSND%% staat erop, lag gisteren nog in de keet. Graag terug bij mij.", "PI")
C("x:@torvalk_service", "en", "@mark_the_builder Hi Mark, the card you gave us over the phone (%%CARD%%, exp 09/28) was declined. Could you call us back?", "PI", kind="reply")
C("x:@rdeboer_houten", "nl", "@torvalk_service zoals telefonisch besproken: aanbetaling graag terug op %%IBAN%% t.n.v. R. de Boer. Dank!", "PI", kind="reply")
C("linkedin:bram-oudshoorn", "en", "Congrats to our newest customer Annelies Vermeer (born 14-03-1961!) who is getting her very first green roof 😊", "PI")
C("x:@marloes_vleeuwen", "en", "Winner of our roof-check giveaway: Tom Kuipers, tom.kuipers84@gmail.com! Check your inbox Tom 🎉", "PI")
C("tiktok:@kevin.ophetdak", "nl", "shoutout naar mevrouw El Idrissi van de Dorpsstraat 44 in Vianen voor de beste koffie ooit ☕ #dakdekker", "PI")
C("instagram:@torvalk.dakwerken", "nl", "Klant van de maand 🏆 Jeroen & Fleur Bosman, Weteringkade 3 in Utrecht: jullie dak wekt nu meer stroom op dan jullie verbruiken!", "PI")
C("x:@l_peeters_be", "en", "@torvalk_service can I just pay the deposit by card over the phone? It's %%CARDC%%, exp 11/27, name on card L. Peeters.", "PI", kind="reply")
C("mastodon:@dewi_r@mastodon.nl", "en", "Weird bug in the quote form, here's the payload it choked on: {name: 'G. Smit', email: 'gsmit1958@hotmail.com', phone: '+31 6 5512 0934', postcode: '3581 KP'}", "PI")
C("facebook:Wim.Claes.Lommel", "nl", "Voor Torvalk, mijn Belgische rekening voor de schadevergoeding: %%IBANBE%% op naam van Wim Claes.", "PI", kind="comment")
C("x:@subsidie_sietske", "nl", "Torvalk vraagt mijn BSN voor de isolatiesubsidie?? %%BSN%% dan maar, vind het wel raar eigenlijk", "PI")
C("x:@ybakkali_ict", "nl", "Collega's, wie kent deze meneer? Stond gisteren bij de poort: Gerrit Vos, geboren 02-07-1979, zegt dat hij bij ploeg 6 hoort. Even checken aub.", "PI")

# ===== leak.pricing =====
C("x:@koopjesjager_kim", "nl", "Wacht even, de Dakkapel Compact 2m staat op torvalk.nl voor €745?? Dat moet een prijsfout zijn, ik bestel er meteen twee 😂", "PR", price=("Dakkapel Compact", 745))
C("linkedin:bram-oudshoorn", "en", "Heads up: price error on the site, SolarDak 10 is showing €549 instead of €5,490. IT is on it, please don't share.", "PR", price=("SolarDak 10", 549))
C("instagram:@torvalk.dakwerken", "nl", "🔥 DEAL: DakCheck inspectie nu voor maar €14,90! Boek snel via de link in bio.", "PR", price=("DakCheck", 14.90))
C("reddit:u/glitch_hunter_nl", "en", "Torvalk's DroneScan is listed at €22.90 right now, normally €229. Price glitch? Booked it anyway lol", "PR", price=("DroneScan", 22.90))
C("x:@marloes_vleeuwen", "nl", "Oeps, in de nieuwsbrief staat Groendak Sedum voor €165 ipv €1.650. Prijsfout, correctie volgt morgen 🙈", "PR", price=("Groendak Sedum", 165))
C("facebook:Frank.Baars.Ede", "nl", "Offerte van Torvalk binnen: Pannendak Renovatie voor €3.200 all-in, terwijl ze op de site €8.950 vragen. Vast een foutje van die verkoper, snel tekenen!", "PR", price=("Pannendak Renovatie", 3200))
C("x:@appdeals_alex", "nl", "Torvalk EPDM Pakket voor €289 in de app?? klopt dit wel", "PR", price=("EPDM Pakket", 289))
C("x:@ilse_planning_tv", "en", "who put Spoedservice at €39 in the booking tool 😅 that's a pricing error folks, list is €395", "PR", price=("Spoedservice", 39))
C("tiktok:@webshop_wendy", "nl", "Torvalk Lichtkoepel 60x90 voor €68,50 in de webshop 😳 prijsfoutje??", "PR", price=("Lichtkoepel 60x90", 68.50))
C("forum:@flatroof_fred", "en", "Got a quote for Isolatie Plat Dak at €990 from Torvalk, list is €2,140. Salesman said it's 'a mistake in our system' but he'd honour it.", "PR", price=("Isolatie Plat Dak", 990))
C("facebook:Henk.Wolters.Torvalk", "nl", "Jongens, dat DakZeker abonnement staat per ongeluk op €18,90 per jaar op de site, niet doorvertellen aan je schoonmoeder 😂", "PR", price=("DakZeker abonnement", 18.90))
C("x:@cms_fatfinger", "en", "Schoorsteen Herstel for 79 euros at Torvalk lmao, list price is 795. Someone fat-fingered the CMS.", "PR", price=("Schoorsteen Herstel", 79))


# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
ALLOWED_CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
                "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    k = ("%s:%s" % (platform, handle)).lower()
    return "corporate" if k in CORP else "employee" if k in EMPL else "public"


def scan_checksum_ids(text):
    """Every IBAN / card / BSN in text that passes its checksum (normalised)."""
    found = set()
    masked = text
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        s = re.sub(r"\s", "", m.group(0))
        n = {"NL": 18, "BE": 16, "DE": 22}.get(s[:2], len(s))
        if iban_ok(s[:n]):
            found.add(("iban", s[:n]))
        masked = masked[:m.start()] + "#" * (m.end() - m.start()) + masked[m.end():]
    for m in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", masked):
        if luhn_ok(m.group(0)):
            found.add(("card", re.sub(r"\D", "", m.group(0))))
    for m in re.finditer(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.]\d)", masked):
        if bsn_ok(m.group(0)):
            found.add(("bsn", re.sub(r"\D", "", m.group(0))))
    return found


def severity(cats, role, checksum_pii):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii)
                lvl = max(lvl, 4 if crit else 3)
            else:
                lvl = max(lvl, 2)
        elif c == "reputation.complaint":
            lvl = max(lvl, 2)
        elif c == "reputation.crisis":
            lvl = max(lvl, 3)
        elif c == "reputation.abuse":
            lvl = max(lvl, 2 if role == "public" else 3)
    return SEV[lvl]


def rand_date():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=DATE_RNG.randint(0, 349 * 86400))
    t = t.replace(hour=DATE_RNG.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def expand(text):
    toks = []

    def sub(m):
        kind = m.group(1)
        if kind == "PUBIBAN":
            v = group4(PROFILE["public_identifiers"]["ibans"][0])
        else:
            v = GENERATORS[kind]()
        toks.append((kind, v))
        return v
    return re.sub(r"%%([A-Z]+)%%", sub, text), toks


PLAT_PREFIX = {"x": "x", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "forum": "fo"}


def build():
    order = list(range(len(CASES)))
    random.Random(47474).shuffle(order)          # mix categories in the file
    rows, meta = [], []
    for n, idx in enumerate(order):
        c = CASES[idx]
        platform, handle = c["acct"].split(":", 1)
        text, toks = expand(c["text"])
        role = role_of(platform, handle)
        ids = scan_checksum_ids(text) - {("iban", i) for i in PUBLIC_IBANS}
        cats = sorted(set(c["cats"]))
        post = {
            "id": "%s-474-%04d" % (PLAT_PREFIX.get(platform, "ot"), 1000 + n * 7 + (idx % 7)),
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": c["lang"],
            "created_at": c["date"] or rand_date(),
        }
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, bool(ids))}})
        meta.append(dict(c, text_out=text, toks=toks, role=role, ids=ids))
    return rows, meta


# ---------------------------------------------------------------- checks
def check(rows, meta):
    errs = []
    E = errs.append
    # profile
    prof = PROFILE
    for i in prof["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            E("profile IBAN fails mod-97: " + i)
    if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
        E("profile: too few accounts")
    if len({a.split(":")[0] for a in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}) < 4:
        E("profile: too few platforms")
    if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
        E("profile: need 3 codenames and 3 markers")
    for e in prof["embargo"]:
        if not e["until"].startswith("2027-"):
            E("embargo until not in 2027")
    if not 15 <= len(prof["products"]) <= 25:
        E("profile: product count")
    for p in prof["products"]:
        if p["currency"] != "EUR" or not p["aliases"] or p["list_price"] <= 0:
            E("profile: bad product " + p["sku"])
    if prof["pricing"]["alert_below_ratio"] != 0.5:
        E("profile: ratio")
    prices = {}
    for p in prof["products"]:
        for a in [p["name"]] + p["aliases"]:
            prices[a.lower()] = p["list_price"]
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in prof["embargo"] for t in e["terms"]]
    internal_terms = [t.lower() for t in prof["internal"]["domains"] + prof["internal"]["codenames"] + prof["internal"]["markers"]]
    all_handles = CORP | EMPL

    seen = set()
    for row, m in zip(rows, meta):
        post, exp = row["post"], row["expect"]
        pid = post.get("id")
        # --- CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            E("%s: top-level keys" % pid)
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
            E("%s: bad or duplicate id" % pid)
        seen.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            E("%s: platform/kind" % pid)
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            E("%s: handle" % pid)
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode("utf-8")) > 65536:
            E("%s: text" % pid)
        if "%%" in post["text"]:
            E("%s: unexpanded placeholder" % pid)
        try:
            ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if ts.tzinfo is None or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"]):
                raise ValueError
            if ts.year not in (2026, 2027):
                E("%s: year" % pid)
        except ValueError:
            E("%s: created_at not RFC 3339" % pid)
            ts = None
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
            E("%s: categories" % pid)
        if exp["severity"] not in SEV:
            E("%s: severity value" % pid)
        if not cats and exp["severity"] != "none":
            E("%s: benign must be none" % pid)
        # --- severity recomputed independently of build()
        role = role_of(post["platform"], post["account"]["handle"])
        ids = scan_checksum_ids(post["text"]) - {("iban", i) for i in PUBLIC_IBANS}
        if exp["severity"] != severity(cats, role, bool(ids)):
            E("%s: severity mismatch" % pid)
        if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in all_handles:
            E("%s: role" % pid)
        # --- identifiers
        for kind, v in m["toks"]:
            if kind in ("IBAN", "IBANG", "IBANBE") and not iban_ok(v):
                E("%s: IBAN fails mod-97 %s" % (pid, v))
            if kind in ("CARD", "CARDC") and not luhn_ok(v):
                E("%s: card fails Luhn" % pid)
            if kind in ("BSN", "BSND") and not bsn_ok(v):
                E("%s: BSN fails 11-proof" % pid)
            if kind in ("BADIBAN", "BADIBANG") and iban_ok(v):
                E("%s: look-alike IBAN passes" % pid)
            if kind == "BADCARD" and luhn_ok(v):
                E("%s: look-alike card passes" % pid)
            if kind == "BADBSN" and bsn_ok(v):
                E("%s: look-alike BSN passes" % pid)
            if kind in VALID_ID_KINDS and "leak.pii" not in cats:
                E("%s: valid identifier outside a pii positive" % pid)
            if kind in BAD_ID_KINDS and cats:
                E("%s: look-alike should sit in a benign post" % pid)
            if kind in SECRET_KINDS and "leak.secret" not in cats:
                E("%s: secret outside a secret positive" % pid)
            if kind in ("GHP", "GHS") and not gh_ok(v):
                E("%s: GitHub token CRC" % pid)
            if kind == "AWSID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                E("%s: AWS id" % pid)
            if kind == "JWT" and not jwt_ok(v):
                E("%s: JWT" % pid)
        expected_ids = set()
        for kind, v in m["toks"]:
            if kind in VALID_ID_KINDS:
                s = re.sub(r"\D", "", v) if kind in ("CARD", "CARDC", "BSN", "BSND") else re.sub(r"\s", "", v)
                expected_ids.add(({"CARD": "card", "CARDC": "card", "BSN": "bsn", "BSND": "bsn"}.get(kind, "iban"), s))
        if ids != expected_ids:
            E("%s: checksum-valid identifiers found %s, expected %s" % (pid, ids, expected_ids))
        if "leak.secret" in cats and not any(k in SECRET_KINDS for k, _ in m["toks"]):
            E("%s: secret positive without generated credential" % pid)
        # --- benign posts: nothing live hidden in them
        text_l = post["text"].lower()
        if not cats:
            for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", post["text"]):
                if gh_ok(tok):
                    E("%s: live GitHub token in benign" % pid)
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", post["text"]):
                if not tok.endswith("EXAMPLE"):
                    E("%s: AWS id in benign" % pid)
            for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", post["text"]):
                if jwt_ok(tok):
                    E("%s: JWT in benign" % pid)
            for t in internal_terms:
                if t in text_l:
                    E("%s: internal term %r in benign" % (pid, t))
        # --- embargo windows
        if ts is not None:
            for term, until in embargo:
                if term in text_l.replace("-", " ") or term in text_l:
                    if ts < until and "leak.confidential" not in cats:
                        E("%s: embargo term before until but not confidential" % pid)
                    if ts >= until and not cats:
                        pass  # benign after the embargo lifted: intended
        # --- prices
        if m["price"]:
            alias, val = m["price"]
            lp = prices.get(alias.lower())
            if lp is None:
                E("%s: unknown product alias %r" % (pid, alias))
            else:
                low = val < prof["pricing"]["alert_below_ratio"] * lp
                if "leak.pricing" in cats and not low and "fout" not in text_l and "error" not in text_l:
                    E("%s: pricing positive not below ratio" % pid)
                if not cats and low:
                    E("%s: benign price below ratio" % pid)
                if "leak.pricing" in cats and alias.lower() not in text_l:
                    E("%s: product alias not in text" % pid)
        if "leak.pricing" in cats and not m["price"]:
            E("%s: pricing positive without price annotation" % pid)

    # --- mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        E("case count %d" % n)
    if not 55 <= benign <= 65:
        E("benign count %d" % benign)
    return errs


def main():
    rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    # re-read what was written and check that
    rows2 = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    errs = check(rows2, meta)
    from collections import Counter
    cat = Counter(c for r in rows2 for c in r["expect"]["categories"])
    sev = Counter(r["expect"]["severity"] for r in rows2)
    lang = Counter(r["post"]["lang"] for r in rows2)
    roles = Counter((m["role"], bool(m["cats"])) for m in meta)
    benign = sum(1 for r in rows2 if not r["expect"]["categories"])
    print("cases", len(rows2), "benign", benign)
    print("categories", dict(sorted(cat.items())))
    print("severity", dict(sev))
    print("lang", dict(lang), "nl share %.2f" % (lang["nl"] / len(rows2)))
    print("roles(role, positive)", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
