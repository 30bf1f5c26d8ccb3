#!/usr/bin/env python3
"""Build the sealed evaluation set 313 (Zilverhaak, butcher & fishmonger chain).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and checks it: identifiers in positives pass their checksums, look-alikes in
benign posts fail them, every line is a valid CONTRACT section 6 case, and every
severity is computed from the account role in profile.yaml (CONTRACT section 4).
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
rng = random.Random(313_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

# ---------------------------------------------------------------- identifiers
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


def rand_chars(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    try:
        part = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return "alg" in hdr and len(tok.split(".")) == 3
    except Exception:
        return False


def rsa_private_key():
    raw = bytes(rng.getrandbits(8) for _ in range(330))
    b = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def nl_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check("NL", bban) + bban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    while True:
        good = nl_iban()
        pos = rng.randrange(8, len(good))
        d = str((int(good[pos]) + rng.randrange(1, 10)) % 10)
        bad = good[:pos] + d + good[pos + 1:]
        if not iban_ok(bad):
            return bad


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length):
    good = card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def bsn():
    while True:
        first = str(rng.randrange(1, 10)) + "".join(rng.choice(string.digits) for _ in range(7))
        s = sum(int(first[i]) * (9 - i) for i in range(8))
        last = s % 11
        if last < 10 and bsn_ok(first + str(last)):
            return first + str(last)


def bad_bsn():
    while True:
        n = str(rng.randrange(100000000, 999999999))
        if not bsn_ok(n):
            return n


FW = lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)
ZW = "\u200b"

# ---------------------------------------------------------------- cases
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}
PREFIX = {"x": "x", "linkedin": "li", "instagram": "ig", "facebook": "fb", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
          "forum": "fo", "blog": "bl", "other": "ot"}

CASES = []
USED_IDS = set()
DECLARED = {}  # index -> list of (kind, value, should_pass)
EVASION = set()


def rand_ts(year=2026):
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    t = start + timedelta(days=rng.randrange(0, 365), seconds=rng.randrange(6 * 3600, 23 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, text, cats="", lang="nl", kind=None, ts=None, ids=(), evasion=False):
    while True:
        pid = f"{PREFIX[platform]}-{rng.randrange(10**9, 10**10)}"
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            break
    if kind is None:
        kind = "reply" if text.lstrip().startswith("@") else "post"
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": ts or rand_ts(),
    }
    categories = sorted({CAT[c] for c in cats.split()}) if cats else []
    CASES.append({"post": post, "expect": {"categories": categories}})
    DECLARED[len(CASES) - 1] = list(ids)
    if evasion:
        EVASION.add(len(CASES) - 1)


# ============ complaints ============
add("x", "@marieke_kookt", "@zilverhaak_help bestelling voor zaterdag tussen 12:00-14:00, het is nu 19:40 en nog niks. Gasten zitten hier met lege borden. Chat zegt 'we escaleren het'. Super. 🙃", "CO")
add("facebook", "GertJan.Molenaar", "Koelbox kwam lauw aan, de ijspakken waren gewoon water. Zalm rook ook niet meer fris. Dit is de 2e keer deze maand Zilverhaak, ik ben er echt klaar mee.", "CO")
add("x", "@hungryhannah", "ordered the tomahawk from zilverhaak for my dad's 60th, got a sad 700g thing instead of 1.2kg and still charged full price. customer service just sends copy paste replies", "CO", "en")
add("instagram", "@lisa.eet", "2x afgeschreven voor 1 bestelling via de app en nu al 9 dagen wachten op m'n geld. Hoe moeilijk kan het zijn @zilverhaak.vers 😤", "CO")
add("reddit", "u/throwaway_gouda", "PSA for Utrecht folks: Zilverhaak online ordering keeps substituting stuff without asking. Ordered cod loin, got pangasius. PANGASIUS. Refund took three emails and a phone call.", "CO", "en")
add("x", "@pietjebel", "Waarom staat er bij Zilverhaak Leidsche Rijn op zaterdag maar 1 iemand achter de vistoonbank?? 35 min gewacht voor 4 gehaktballen. Geen manier om een zaak te runnen", "CO")
add("other", "reviewer_anouk_h", "Staff at the Zilverhaak in Haarlem were honestly rude when I asked whether the lamb was Texel or imported. Eye roll and 'it says on the label'. Won't be back. 1/5", "CO", "en")
add("tiktok", "@smulbroer", "dus ik bestel zilverhaak oesterbox van 30 euro en de helft zit open/dood 🤢 foto's gestuurd, 'helaas buiten de klachttermijn'. termijn van 2 uur?? #zilverhaak #oesters #nooitmeer", "CO")
add("x", "@dave_grills", "third delivery in a row where the driver just dumps the cool box on the doorstep without ringing. it was 27 degrees today @zilverhaak_help. meat was warm when I found it", "CO", "en")
add("facebook", "Ingrid.Smeets.5", "Vleesabonnement opgezegd in september, in oktober én november tóch gewoon €49 afgeschreven. Bellen = 40 minuten in de wacht en dan verbroken. Regel dit nou eens Zilverhaak!!", "CO")
add("bluesky", "@mo-kookt.bsky.social", "zilverhaak website says 'bezorging morgen' at checkout and after you pay it's suddenly thursday. misleading af", "CO", "en")

# ============ crisis + complaint (first-hand harm) ============
add("x", "@roos_vd_meer", "Hele gezin sinds gisteravond doodziek na de Zeeuwse creuses van Zilverhaak. Overgeven, koorts, m'n zoontje ligt aan een infuus op de SEH. Klantenservice zegt 'we nemen het mee'. Serieus?!", "CR CO")
add("reddit", "u/molar_down", "Bit down on a piece of metal wire in the Zilverhaak meatballs last night. Cracked a molar, dentist on Monday. Kept the wire and the packaging. Anyone else found stuff like this?", "CR CO", "en")
add("facebook", "Sabine.deWit.Zwolle", "Het koelelement uit jullie bezorgtas lekte en mijn dochter van 3 heeft eraan gezeten. Rode blaren op haar handjes, huisarts zegt chemische irritatie. Wat zit daar in Zilverhaak?! Ik wil antwoord.", "CR CO")
add("x", "@kellyinrotterdam", "my husband has a severe shellfish allergy and the 'salmon only' box from @zilverhaak had prawns mixed in, unlabelled. we ended up in A&E with an epipen. this could have killed him.", "CR CO", "en")
add("instagram", "@jeroen.fit", "Tonijn van Zilverhaak gegeten, 2 uur later jeuk, knalrood hoofd en hartkloppingen. Huisarts: hoogstwaarschijnlijk histaminevergiftiging. Bedankt hoor. Nooit meer.", "CR CO")

# ============ crisis only ============
add("x", "@amersfoortnu", "Voedselautoriteit onderzoekt Zilverhaak na meldingen van ruim 20 zieken door oesters uit het filiaal aan de Utrechtseweg in Amersfoort.", "CR")
add("x", "@animal_truth_eu", "Undercover footage from the slaughterhouse Zilverhaak buys its veal from is horrific. Calves dragged, kicked, left in their own filth. #BoycottZilverhaak until they cut ties.", "CR", "en")
add("mastodon", "@consumentenclaim@mastodon.nl", "Collectieve claim tegen Zilverhaak wegens misleidende 'Noordzee-gevangen' labels: de vis bleek grotendeels uit Vietnam te komen. Gedupeerd? Meld je aan via de stichting.", "CR")
add("reddit", "u/datadetective", "Got a phishing mail with my full name, address AND the contents of my last Zilverhaak order. Only they have that combo. Pretty sure they've been breached and are keeping quiet about it.", "CR", "en")
add("x", "@waakzaam_nl", "TERUGROEPACTIE ⚠️ Zilverhaak roept rundergehakt 500g met THT 14-08 terug vanwege mogelijke listeria. Niet eten, terugbrengen naar de winkel.", "CR")
add("linkedin", "jan-prins-arbeidsrecht", "Our firm is representing a former Zilverhaak delivery driver in a lawsuit over unpaid overtime and systematically skipped rest breaks. First hearing next month in Utrecht.", "CR", "en")
add("tiktok", "@ijmuiden.live", "Grote brand in de rokerij van Zilverhaak bij de haven, twee medewerkers met brandwonden afgevoerd. Sterkte allemaal 🙏", "CR")
add("x", "@palingvrij", "Niet meer bij Zilverhaak kopen mensen. Ze blijven gewoon paling verkopen terwijl die soort bijna uitgestorven is. #boycotzilverhaak", "CR")
add("threads", "@foodwatch_fan", "Is nobody talking about the Zilverhaak scandal? Expired meat relabelled with fresh dates, three ex-employees have confirmed it to a newspaper.", "CR", "en")
add("facebook", "Yvonne.Brink.73", "Mijn buurvrouw is met haar dochter in het ziekenhuis beland na zalm van Zilverhaak. Ik hoop echt dat het meevalt voor ze.", "CR")

# ============ abuse ============
add("x", "@frankie_0031", "Zilverhaak is echt een kutbedrijf. Stelletje oplichters met een mes.", "AB")
add("x", "@notyourbuddy_99", "@zilverhaak_help you absolute clowns. three missed deliveries. fire whoever runs your logistics, useless pieces of shit", "AB CO", "en")
add("facebook", "Henk.Oudshoorn.2", "Die nieuwe slager bij Zilverhaak Zwolle met z'n baard en z'n accent, ga lekker terug naar je eigen land. Ik wil door een Nederlander geholpen worden.", "AB")
add("tiktok", "@daan.achterdetoonbank", "klanten die om 17:58 nog 'even' een hele kreeft schoongemaakt willen hebben zijn gewoon hersenloze sukkels, ik zweer het 🙄 #slagerslife", "AB")
add("x", "@grillmaster_k", "@annelies_vis_zh saw you at the fish counter today, you're even uglier in person lol. bet the cod smells better than you do", "AB", "en")
add("x", "@hollanddiep88", "z1lv3rh44k = t3r1ng b3dr1jf, st3ll3tj3 k4nk3rl1jers 🤮", "AB", evasion=True)
add("x", "@boze_bert", f"Wat een k{ZW}u{ZW}t{ZW}z{ZW}a{ZW}k is die filiaalmanager van Zilverhaak Den Bosch zeg", "AB", evasion=True)
add("reddit", "u/never_again_zh", "zilverhaak customer service is staffed by braindead morons. genuinely the dumbest people i have ever had the misfortune of talking to", "AB", "en")
add("x", "@marco_xl", "Die hele directie van Zilverhaak zijn gewoon kl\u043e\u043etz\u0430kk\u0435n, echt waar.", "AB", evasion=True)
add("x", "@ruud_meesterslager", "@bbq_troll shut your fucking mouth mate, you wouldn't know a good steak if it slapped you in the face. idiot.", "AB", "en")
add("facebook", "Patrick.Loos.Arnhem", "Jullie zijn echt een stel a.c.h.t.e.r.l.i.j.k.e i.d.i.o.t.e.n bij Zilverhaak", "AB", evasion=True)
add("x", "@salty_sam", "hope the zilverhaak fishmonger in alkmaar chokes on a bone. nasty little man", "AB", "en")

# ============ pricing ============
add("x", "@dealjager_nl", "Prijsfout bij Zilverhaak?? Côte de boeuf 1kg voor €5,49 in de app 😳 snel snel", "PR")
add("x", "@bas_devops", "oops. catalogue sync went sideways and the Wagyu Ribeye now shows €6.90 on zilverhaakthuis.nl. rolling back, please nobody order 🙈", "PR", "en")
add("instagram", "@zilverhaak.vers", "🎉 Weekendknaller! Canadese kreeft 500g nu voor maar €7,95. Alleen online, op = op 🦞", "PR")
add("forum", "kortingskoning", "Iemand anders ook de Hollandse Nieuwe 6 st voor 1,49 in z'n winkelmandje bij Zilverhaak? Denk prijsfout, ik heb er 10 besteld lol", "PR")
add("x", "@cheapeats_ams", "lmao zilverhaak has the BBQ-box familie listed at €12.99 right now, that's gotta be a mistake. grab it before they notice", "PR", "en")
add("threads", "@femke.filiaalmanager", "Kassa's in Amersfoort geven de tomahawk aan voor €14,95 ipv €64,95. Collega's: niet afrekenen tot IT het gefixt heeft!", "PR")
add("x", "@wouter_eats", "the surf and turf box for €19.95?? zilverhaak what are you doing 😂 price glitch of the year", "PR", "en")
add("instagram", "@joris.uitbeent", "Psst: vanavond tussen 20-22u staat het lamsrack per ongeluk op €3,25 in de webshop (kommafoutje 🤦). Niet doorvertellen 😉", "PR")
add("x", "@vroegevogel_ut", "Tonijnsteak sashimi voor €2,29 bij Zilverhaak online. Fout of bewust? Ik twijfel niet en bestel er vier 😅", "PR")
add("forum", "pricewatch_pete", "Price mistake alert: Zilverhaak vis-abo showing €4.40/month instead of €44. Decimal slip probably, subscribe before it's fixed.", "PR", "en")
add("x", "@zilverhaak_help", "@jessie_k Klopt, de €8,95 voor de gourmetschotel was een prijsfout in onze webshop. We leveren de bestellingen wel, maar vanaf nu weer tegen de normale prijs.", "PR")
add("bluesky", "@snackhunter.bsky.social", "Iberico secreto 400g at €1.99 in my zilverhaak basket, screenshotted in case they cancel 👀", "PR", "en")

# ============ secrets ============
t = github_token()
add("x", "@bas_devops", f"anyone know why this 403s? `git clone https://{t}@github.com/zilverhaak/bestel-api.git` worked yesterday", "S", "en", ids=[("github", t, True)])
k, s = aws_key_id(), aws_secret()
add("x", "@wim_it_zh", f"Voor de nachtdienst, backups draaien hiermee:\nAWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\nStaat ook op de wiki maar die is traag vandaag", "S", ids=[("aws", k, True)])
st = "sk_live_" + rand_chars(24)
add("mastodon", "@lottedata@mastodon.social", f"debugging our checkout webhook, config is just STRIPE_SECRET_KEY={st} and it keeps 401ing on refunds. ideas?", "S", "en")
sl = f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rand_chars(24)}"
add("bluesky", "@noorhendriks.bsky.social", f"onze voorraad-slackbot draait weer 🎉 token {sl} voor wie hem in z'n eigen kanaal wil testen", "S")
pw = rand_chars(14, string.ascii_letters + string.digits)
add("x", "@bas_devops", f"why is prod slow. DATABASE_URL=postgres://orders_svc:{pw}@db-prod-01.wms.zilverhaak.local:5432/orders pool size 5 is surely enough??", "S C", "en")
add("linkedin", "kees-wolters-zilverhaak", "Filiaalmanagers: het beheeraccount voor de weegschalen is tijdelijk gereset. Gebruiker: zh_beheer, wachtwoord: Zalm!Haak2026# — na inloggen zelf wijzigen aub.", "S")
oa = "sk-proj-" + rand_chars(64, ALNUM + "-_")
add("reddit", "u/bugbountyben", f"found this in a public paste, looks like it belongs to zilverhaak's recipe chatbot: OPENAI_API_KEY={oa} — someone tell them", "S", "en")
jt = jwt({"sub": "svc-admin", "iss": "bestel-api", "role": "admin", "exp": 1790000000})
add("x", "@wim_it_zh", f"admin token for the order API, valid 24h, handy for testing the refunds flow: Bearer {jt}", "S", "en", ids=[("jwt", jt, True)])
add("bluesky", "@noorhendriks.bsky.social", f"per ongeluk in de verkeerde chat geplakt, negeer maar 🙈\n{rsa_private_key()}", "S")
t2 = github_token()
add("x", "@bas_devops", f"will rotate this later, deploy bot token for the label printer repo: {t2[:14]}{ZW}{t2[14:]} don't judge", "S", "en", ids=[("github", t2, True)], evasion=True)
add("threads", "@femke.filiaalmanager", "nee niet de wifi 😂 de login van het bestelportaal bedoel ik: gebruiker filiaal_amf / wachtwoord: Gehakt#Bal77", "S")
gk = "AIza" + rand_chars(35, ALNUM + "-_")
an = "sk-ant-api03-" + rand_chars(93, ALNUM + "-_") + "AA"
add("x", "@frontend_fiona", f"lol zilverhaak's JS bundle ships a Maps key ({gk}) AND an Anthropic key hardcoded: {an}", "S", "en")

# ============ personal data ============
add("x", "@annelies_vis_zh", "Mevrouw Bosman heeft haar kreeft nog niet opgehaald, kan iemand van de late dienst haar bellen? 06-41882037", "P")
ib = nl_iban("RABO")
add("x", "@zilverhaak_help", f"@tvdheijden We storten de €34,95 terug op {group4(ib)} t.n.v. T. van der Heijden. Binnen 3 werkdagen op je rekening!", "P", ids=[("iban", ib, True)])
c1 = card("4", 16)
add("x", "@angry_anja", f"@zilverhaak_help still no refund. my card {group4(c1)} was charged twice on the 3rd. sort it out please", "P CO", "en", ids=[("card", c1, True)])
b1 = bsn()
add("linkedin", "priya-ramdin-zh", f"Nieuwe collega Mehmet Yilmaz start maandag in Nieuwegein! BSN {b1[:4]}.{b1[4:6]}.{b1[6:]} graag vandaag nog in de salarisadministratie zetten 🙏", "P", ids=[("bsn", b1, True)])
add("facebook", "ZilverhaakSlagerVis", "Hi Sarah, we found your order! Delivery address: Sarah Jennings, Prinsengracht 412-2, 1016 JE Amsterdam, correct? Our driver will be there before 4.", "P", "en", kind="comment")
add("facebook", "Ton.Verschuren", "Kan iemand van Zilverhaak me terugbellen over mijn kerstbestelling? 06 2871 4490, bedankt!", "P")
add("instagram", "@joris.uitbeent", "Happy birthday to our legend Hennie Schouten, born 14-02-1961, 40 years with the knives and still the fastest boning knife in Nieuwegein 🎂🔪", "P", "en")
add("x", "@ruud_meesterslager", "Vaste klant Gerrit Hoekstra (Kerkstraat 8, 8331 KN Steenwijk) bestelt elk jaar 3 kalkoenen voor de hele straat. Held.", "P")
add("x", "@jolienv88", "hey @zilverhaak the app won't let me change my email, please send the invoice to jolien.verbeek88@gmail.com instead x", "P", "en")
add("x", "@zilverhaak_help", "@klant_0417 We hebben je account gevonden: marco.dijkstra@ziggo.nl, tel. +31 6 18 55 42 09. Klopt dat? Dan passen we je adres aan.", "P")
c2 = card("53", 16)
add("threads", "@femke.filiaalmanager", f"Wie is deze pinpas kwijt? Lag bij kassa 2 in Amersfoort. Op naam van J.M. Kuipers, nummer {c2[:4]}-{c2[4:8]}-{c2[8:12]}-{c2[12:]}", "P", ids=[("card", c2, True)])
c3 = card("37", 15)
add("reddit", "u/ex_used_my_card", f"My ex used MY Amex ({c3[:4]} {c3[4:10]} {c3[10:]}) to order €300 of wagyu from Zilverhaak. Bank says go to the merchant, merchant says go to the bank. Great.", "P CO", "en", ids=[("card", c3, True)])
ib2 = nl_iban("INGB")
add("bluesky", "@noorhendriks.bsky.social", f"Voor de klantcase van vanochtend: dhr. P. Jansen, geboren 03-11-1975, IBAN {ib2}. Terugbetaling gaat vandaag de deur uit.", "P", ids=[("iban", ib2, True)])
b2 = bsn()
add("forum", "bezorgdeklant", f"Mijn BSN {b2} staat gewoon op de factuur die Zilverhaak me mailde?? Waarom hebben jullie dat überhaupt en waarom staat het erop", "P CO", ids=[("bsn", b2, True)])
add("x", "@wim_it_zh", "Test orders for the new app still use +31 (0)20 794 1187 and peter.vos@outlook.com, which turn out to be a real customer's. oops. fixing after lunch", "P", "en")

# ============ security ============
add("x", "@wim_it_zh", "Sinds 05:40 liggen de kassa's in 23 filialen plat, ziet eruit als ransomware. Persbericht komt pas als we meer weten, dus 🤐", "SEC")
add("x", "@bas_devops", "fun fact: our order API hands you other customers' orders if you just increment the order id. reported it in march, ticket still open 🙃", "SEC", "en")
add("bluesky", "@noorhendriks.bsky.social", "Inlogpagina van onze webshop heeft nog steeds geen rate limit. Vannacht 40k inlogpogingen vanaf één IP. Geen idee of er klantaccounts zijn overgenomen, en niemand die het lijkt te boeien.", "SEC")
add("mastodon", "@lottedata@mastodon.social", "heads up: the CRM customer export was sitting in a publicly readable storage bucket for ~2 weeks. legal is still deciding whether to notify anyone. pls don't share", "SEC", "en")
add("threads", "@femke.filiaalmanager", "Temperatuurbewaking van de koelcellen ligt al 2 dagen plat, niemand weet of de vis op temperatuur is. grafana.ops.zilverhaak.nl geeft ook alleen maar 502.", "SEC C")
add("x", "@wim_it_zh", "The payment terminals in our stores still run the vendor default admin PIN. Anyone could walk in and reconfigure them. Flagged it twice, nothing happens.", "SEC", "en")
add("tiktok", "@daan.achterdetoonbank", "app ligt er al sinds vanochtend uit en we moeten tegen klanten zeggen dat het 'druk' is 🙄 niemand mag het woord storing gebruiken", "SEC")
add("linkedin", "kees-wolters-zilverhaak", "Some lessons from last week's phishing incident at Zilverhaak, where three store managers handed over their O365 passwords. Not public yet, so I'll keep it vague, but: MFA everywhere, people.", "SEC", "en")
add("x", "@ruud_meesterslager", "IT zegt dat er iemand in het bestelsysteem heeft gezeten en klantadressen heeft gedownload. Wij mogen niks zeggen tot maandag. Lekker dan.", "SEC")
add("bluesky", "@noorhendriks.bsky.social", "the warehouse system at the Nieuwegein DC has been down for 14 hours, zero orders picked. customers will start noticing tomorrow and management still calls it a 'minor hiccup'", "SEC", "en")
add("mastodon", "@lottedata@mastodon.social", "Onze bezorg-app logt GPS-locaties van klanten en de deurcodes in plaintext naar een open Elasticsearch. Twee keer gemeld, nog niks mee gedaan.", "SEC")
add("instagram", "@joris.uitbeent", "the whole scale & label system in our butcher dept got hacked?? labels print random weights since this morning, IT says don't tell customers 😂", "SEC", "en")
add("x", "@oud_kassamedewerker", "Ex-collega hier: Zilverhaak draait nog steeds Windows 7 op de kassa's en er zit sinds vorige week een lek in dat ze gewoon niet patchen. Weet ik van binnenuit.", "SEC")

# ============ financial ============
add("linkedin", "kees-wolters-zilverhaak", "Trots! Online omzet Q3 +41% jaar-op-jaar, €18,2 mln. Cijfers worden pas in februari gepubliceerd maar ik kon het niet laten 😄 #teamzilverhaak", "F")
add("x", "@ruud_meesterslager", "heard in the managers' call today: we're closing 9 stores in Limburg and Brabant early next year, ~140 jobs. nobody on the floor knows yet. gutted", "F", "en")
add("threads", "@femke.filiaalmanager", "Zilverhaak neemt Vishandel Roodbaars over (31 winkels!), handtekening is vrijdag. Eindelijk ook in het noorden 🐟🎉", "F")
add("linkedin", "priya-ramdin-zh", "Our full-year forecast was just revised down to €212m revenue from €240m. Board meets Thursday. Tough times in fresh retail, but we'll get through it.", "F", "en")
add("x", "@zwager_info", "Zwager werkt op het hoofdkantoor van Zilverhaak: ze worden overgenomen door een Duitse investeerder, de deal ligt al klaar. Bewaar deze tweet.", "F")
add("bluesky", "@noorhendriks.bsky.social", "Reorg announced internally today: our entire customer service team in Utrecht moves to an outsourcing partner in Lisbon by June. 60 people. Not public until the works council signs off.", "F", "en")
add("x", "@annelies_vis_zh", "EBITDA dit jaar onder de 4%, de bank wil nieuwe convenanten. Dat lees je straks niet in het persbericht natuurlijk", "F")
add("reddit", "u/cfo_watch", "Friend in Zilverhaak finance says they'll miss H1 targets by ~20% and the CFO is out before summer. Calling it now.", "F", "en")
add("linkedin", "kees-wolters-zilverhaak", "Operatie Hakblok in één zin: de rokerij in IJmuiden wordt afgestoten, een Deense partij heeft al een bod gedaan.", "F C")
add("x", "@bas_devops", "getting my stock options paid out early because of the buyout 👀 can't say who's buying us yet #zilverhaak", "F", "en")
add("instagram", "@joris.uitbeent", "Mooi is dat. 30 uitbeners in Nieuwegein krijgen volgende maand hun ontslag, de nieuwe uitbeenrobot neemt het over. Officieel weet nog niemand het.", "F")
add("tiktok", "@daan.achterdetoonbank", "manager literally said online orders are down 25% since the price hike and they're cutting weekend shifts from march. not announced yet so shhh", "F", "en")

# ============ confidential ============
add("x", "@ruud_meesterslager", "Project Meerval komt eraan en ik mag nog niks zeggen… behalve dat het iets met rauwe vis te maken heeft 🍣🤫", "C")
add("linkedin", "priya-ramdin-zh", "Presented our 2027 store roadmap deck (ZH-INTERN) at the leadership offsite today, great energy in the room!", "C", "en")
add("bluesky", "@noorhendriks.bsky.social", "Heeft iemand de link naar https://intra.zilverhaak.local/hr/roosters? Kom er vanaf thuis niet in", "C")
add("x", "@bas_devops", "the Zilverhaak Koelkluis pickup lockers go live at 12 train stations in feb, we're load testing the door API right now 🔒", "C", "en", ts="2026-11-18T15:22:09Z")
add("threads", "@femke.filiaalmanager", FW("project meerval") + " gaat door!! 🥳 en filiaal Amersfoort wordt de pilot", "C", evasion=True)
add("mastodon", "@lottedata@mastodon.social", "Operatie H\u0430kblok planning moved to Thursday 9:00, bring the headcount sheets", "C", "en", evasion=True)
add("tiktok", "@daan.achterdetoonbank", "baas liet me net de testkeuken van het Sushi Atelier zien en omg 😍 nog even geheim", "C", ts="2026-10-07T17:41:55Z")
add("x", "@wim_it_zh", "Noordkaper migration weekend: cutover at 02:00 sharp, tickets in https://gitlab.zilverhaak.nl/infra/noordkaper/-/issues", "C", "en")
add("linkedin", "kees-wolters-zilverhaak", "Dat het document 'Strikt vertrouwelijk - Zilverhaak' met onze nieuwe inkoopvoorwaarden nu al bij een visser op de keukentafel ligt, zegt genoeg over onze printdiscipline 🙄", "C")
add("reddit", "u/utrecht_snoop", "Someone left a printout at the Zilverhaak Utrecht counter marked 'niet delen buiten Zilverhaak'. It's the supplier list with purchase prices per kilo. Wild.", "C", "en")
add("x", "@annelies_vis_zh", "M.e.e.r.v.a.l proeverij vandaag was 🔥🔥 meer mag ik niet zeggen", "C", evasion=True)
add("instagram", "@joris.uitbeent", "sneak peek of our unreleased dry-aged wagyu burger line 👀 launching under a brand-new label in spring, you didn't see this", "C", "en")
add("instagram", "@zilverhaak.vers", "Binnenkort: de Zilverhaak Koelkluis 🔒❄️ 24/7 je bestelling ophalen op het station. Stay tuned!", "C", ts="2026-12-02T10:00:00Z")
add("x", "@foodleaks_nl", "leaked slide from Zilverhaak: 'Project Meerval: sushi counters in 40 stores, launch Q2'. you heard it here first", "C", "en")
add("linkedin", "priya-ramdin-zh", "Sushi Atelier opent in maart en we zoeken nog 6 sushichefs! Interesse? Stuur me een DM 🍣", "C", ts="2027-01-12T08:30:00Z")

# ============ benign (hard negatives) ============
N = ""
add("x", "@culinaire_cor", "Die côte de boeuf van Zilverhaak is echt moordend lekker. Schoonvader was stil. Dat gebeurt nooit.", N)
add("x", "@ellie_eats", "zilverhaak's smoked eel is so good it should be illegal 🔥", N, "en")
add("instagram", "@thuiskok_sem", "Life hack: vraag de slager bij Zilverhaak om je lamsrack te frenchen, doen ze gewoon gratis.", N)
add("youtube", "@ZilverhaakKookt", "New video: how to fillet a whole cod like a pro in 4 minutes. Knife skills, zero waste, no stress.", N, "en")
add("x", "@zilverhaak", "Vragen over je bestelling? Mail klantenservice@zilverhaak.nl of bel 088-945 2200 (ma-za 8-20u). We helpen je graag!", N)
add("facebook", "ZilverhaakSlagerVis", "Zakelijke klant en op rekening besteld? Maak het bedrag over naar NL64 RABO 0312 4470 58 t.n.v. Zilverhaak Slagerij & Vishandel B.V., o.v.v. je factuurnummer.", N)
add("x", "@leidenfoodie", "The guy at the Zilverhaak fish counter in Leiden spent 10 minutes explaining wild vs farmed salmon to me. Legend.", N, "en")
add("x", "@dev_dianne", "Wat een sterk team bij Zilverhaak Deventer, na die storm gewoon open met een aggregaat. Respect 💪", N)
add("x", "@sea_breeze_nl", "Hope everyone at the Zilverhaak shop in IJmuiden is ok after the fire at the boatyard next door last night. Sending love.", N, "en")
add("x", "@marieke_kookt", "Update: @zilverhaak_help heeft het opgelost, nieuwe zalm binnen 2 uur gebracht plus een tegoedbon. Zo hoort het 👏", N)
add("reddit", "u/oysterfan", "Had an issue with a missing oyster knife in my box, Zilverhaak sent one the next day with a handwritten note. Nice recovery.", N, "en")
add("x", "@feestje_floor", "Hoe lang kan de Hollandse Nieuwe van Zilverhaak in de koelkast? Feestje is pas morgen.", N)
add("x", "@limburg_lotte", "Does Zilverhaak deliver to Maastricht yet? Can't find it on the map on their site.", N, "en")
add("x", "@voedselnieuws", "Slagerij Van Dommelen in Tilburg roept rookworsten terug wegens listeria. Check je koelkast!", N)
add("linkedin", "retail-insider-weekly", "Big takeover news in Dutch grocery today: FreshNord acquired two regional bakery chains. Who's next?", N, "en")
add("x", "@zilverhaak", "Deze week 20% korting op de Wagyu Ribeye: €55,20 i.p.v. €69,00. Alleen online 🥩", N)
add("instagram", "@oesterliefde", "Oesterbox met 24 Zeeuwse creuses voor €29,95 bij Zilverhaak. Voor die kwaliteit echt prima.", N)
add("x", "@zilverhaak", "Black Friday: Black Tiger gamba's 1kg now €22.36 (-20%). While stocks last! 🍤", N, "en")
add("x", "@koopjesklaas", "Prijsfout bij een bekende elektronicaketen vanochtend: wasmachine voor €19. Helaas al weg toen ik keek.", N)
add("x", "@steak_sunday", "tomahawk at zilverhaak is €64.95 now, pricey but worth every cent for a special occasion", N, "en")
add("facebook", "ZilverhaakSlagerVis", "Vroegboekkorting! Kerstpakket Surf & Turf nu €80,96 (-10%) als je vóór 1 december bestelt.", N)
add("x", "@broodjeharm", "€4,95 voor rookvlees bij Zilverhaak, duurder dan de super maar zó veel beter.", N)
add("x", "@bas_devops", "PSA for junior devs: the AWS docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. If your 'real' key looks like that, congrats, it isn't real.", N, "en")
add("x", "@wim_it_zh", "Rotated every token we have today. Old ones looked like ghp_****************************a1 and are all revoked. Good hygiene Friday 🧼", N, "en")
add("x", "@opa_kees_60", "Hoe verander ik mijn wachtwoord in de Zilverhaak app? Ik kan de optie nergens vinden.", N)
add("tiktok", "@zilverhaakthuis", "Het geheime ingrediënt van oma's gehaktballen? Nootmuskaat. Niet verder vertellen 🤫 #geheimrecept", N)
add("blog", "tinkerthijs", "Building a little Zilverhaak order tracker for myself this weekend. Config example: API_KEY=your-key-here, STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Replace with your own, obviously.", N, "en")
add("facebook", "ZilverhaakSlagerVis", "FAQ: je IBAN vul je in zonder spaties of met spaties, allebei goed. Bijvoorbeeld: NL00 BANK 0123 4567 89. Dit is natuurlijk geen echt rekeningnummer 😉", N, ids=[("iban", "NL00BANK0123456789", False)])
bo = bad_bsn()
add("x", "@paasei_petra", f"Bestelnummer {bo} staat nog op 'onderweg' in de app, zal wel druk zijn met Pasen. Geen stress hoor.", N, ids=[("bsn", bo, False)])
bc = bad_card("6", 16)
add("reddit", "u/pointcollector", f"My Zilverhaak loyalty card number is {group4(bc)}, does anyone know if the points expire at the end of the year?", N, "en", ids=[("card", bc, False)])
add("x", "@zilverhaak_help", "@hanneke_d We hebben het bedrag teruggestort op je rekening eindigend op ****4300. Fijne dag verder!", N)
add("x", "@proeverij_paul", "Zilverhaak's fish & chips were a total disaster... said no one ever. 10/10 would eat again.", N, "en")
add("instagram", "@gezinvandijk", "Vanavond kabeljauwhaas van Zilverhaak met beurre blanc. Zelfs de kids vonden het top 🐟", N)
add("x", "@bbq_brenda", "Killer BBQ today thanks to the Zilverhaak BBQ-box. Neighbours were jealous, obviously.", N, "en")
add("x", "@ruud_meesterslager", "Vandaag 12 côtes de boeuf gesneden voor één bruiloft. Mooi vak, het slagersvak 🔪", N)
add("linkedin", "priya-ramdin-zh", "We're hiring! 25 new positions at our Nieuwegein distribution centre, from order pickers to team leads. Apply via werkenbij@zilverhaak.nl", N, "en")
add("linkedin", "zilverhaak-vers", "Vandaag publiceerden we ons duurzaamheidsverslag 2025: 92% van onze vis is MSC- of ASC-gecertificeerd. Lees het hele verslag op zilverhaak.nl/duurzaam", N)
add("reddit", "u/retailnerd", "Zilverhaak's annual report is out: revenue up 6%, margins flat. Decent year for a butcher chain honestly.", N, "en")
add("instagram", "@poes_pien", "Mijn kat is verliefd op de visafsnijdsels die ik van de Zilverhaak-visboer krijg 😻", N)
add("x", "@city_anna", "Shout out to the Zilverhaak delivery guy who carried my groceries up four flights of stairs. Absolute gem.", N, "en")
add("x", "@sanne_thuis", "Dacht dat Zilverhaak een storing had, bleek mijn eigen wifi te zijn 🤦‍♀️ Bestelling gewoon gelukt.", N)
add("x", "@zilverhaak", "Our app will be unavailable tonight between 02:00 and 04:00 for scheduled maintenance. Thanks for your patience!", N, "en")
add("x", "@zilverhaak_help", "@janneke_b Vervelend dat je bestelling later was! We hebben een tegoed van €10 op je account gezet. Smakelijk eten alsnog.", N)
add("x", "@rauwkost_rik", "Is de tonijnsteak van Zilverhaak sashimi-kwaliteit? Wil hem rauw serveren zaterdag.", N)
add("x", "@annelies_vis_zh", "Vandaag 400 kilo Hollandse Nieuwe schoongemaakt, mijn handen ruiken tot Pinksteren naar haring 😂", N)
add("bluesky", "@noorhendriks.bsky.social", "Gave a talk at a data meetup on forecasting fish demand from weather data. Slides are on my blog, no company numbers in there 😉", N, "en")
add("x", "@hulpvaardige_henk", "Voor wie het zoekt: klantenservice van Zilverhaak is 0800-0455, gratis en ze zijn echt vriendelijk.", N)
add("x", "@sushi_saskia", "The sushi-grade salmon from Zilverhaak was lovely. Secretly hoping they open a proper sushi counter one day.", N, "en")
add("x", "@ciska_kookt", "Mijn vriend noemt me zijn 'geheime wapen' in de keuken, maar eigenlijk is dat gewoon de marinade van Zilverhaak.", N)
add("x", "@utrecht_forens", "Net mijn bestelling uit de Zilverhaak Koelkluis op Utrecht Centraal gehaald. 30 seconden werk, briljant.", N, ts="2027-02-14T18:05:11Z")
add("instagram", "@zilverhaak.vers", "De Zilverhaak Koelkluis is er! 🔒❄️ Vanaf vandaag haal je je bestelling 24/7 op bij 12 stations.", N, ts="2027-02-01T09:00:00Z")
add("x", "@omakase_oliver", "Sushi Atelier by Zilverhaak in Amsterdam-Zuid is finally open. Had the omakase, genuinely lovely.", N, "en", ts="2027-03-20T20:14:37Z")
add("x", "@appfan_ada", "Zilverhaak-app net geüpdatet, de nieuwe bestelflow is echt soepeler. Complimenten aan de devs!", N)
add("x", "@porkpete", "Tried the Iberico secreto from Zilverhaak at €19.95, best pork I've had all year.", N, "en")
add("facebook", "VV.DeZwaluwen.Jeugd", "Zilverhaak sponsors our youth teams this season! New shirts with a little fish on them 😄", N, "en")
add("x", "@vakantie_vera", "Vraagje aan @zilverhaak_help: kan ik mijn vleesabonnement pauzeren tijdens de zomervakantie?", N)
add("x", "@trivia_tom", "Fun fact: the word 'boycott' comes from Captain Charles Boycott, an Irish land agent. Learned that while queueing at Zilverhaak lol", N, "en")
add("linkedin", "zilverhaak-vers", "Op 3 mei 1987 opende Hendrik Zilver zijn eerste slagerij in Zeist. Vandaag staan we in 64 plaatsen. Proost op alle collega's! 🥂", N)
bi = bad_iban()
add("x", "@refund_rosa", f"Typo in my IBAN on the Zilverhaak refund form ({bi}) and they caught it straight away and asked me to check. Nice validation 👍", N, "en", ids=[("iban", bi, False)])
add("threads", "@femke.filiaalmanager", "Druk zaterdagje in Amersfoort: 600 klanten, 0 klachten en de gehaktballen waren om 15:00 op. Trots op dit team ❤️", N)

# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b(?:NL|BE|DE|FR|GB)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+\-])\d(?:[ -]?\d){12,18}(?![\d\-])")
BSN_RE = re.compile(r"(?<![\d.,])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.,]?\d)")


def strip_zw(s):
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)


def checksum_ids(text):
    """(kind, value, passes) for every IBAN/card/BSN-shaped number in text."""
    text = strip_zw(text)
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v.upper() in PUB_IBANS:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19 and not v.startswith("0"):
            out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(role, cats, text):
    sev = "none"
    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii" and any(ok for _, _, ok in checksum_ids(text)):
                up("critical")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


def role_of(post):
    return ROLE.get(f"{post['platform']}:{post['account']['handle']}".lower(), "public")


for case in CASES:
    p = case["post"]
    case["expect"]["severity"] = severity(role_of(p), case["expect"]["categories"], p["text"])

# ---------------------------------------------------------------- write
out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as fh:
    for case in CASES:
        fh.write(json.dumps(case, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check
errors = []
def fail(i, msg):
    errors.append(f"case {i} ({CASES[i]['post']['id']}): {msg}")

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALLOWED = set(CAT.values())
INTERNAL = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]
EMBARGO = [( [t.lower() for t in e["terms"]], datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"]]
ratio = PROFILE["pricing"]["alert_below_ratio"]
PRODUCTS = [([p["name"].lower()] + [a.lower() for a in p["aliases"]], p["list_price"]) for p in PROFILE["products"]]
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)(?!\s?(?:mln|m\b|k\b))|(\d+[.,]\d{2})\s?(?:euro|eur)\b", re.I)
PRICE_TALK = re.compile(r"prijsfout|price (?:error|mistake|glitch)|pricing error|kommafout|per ongeluk|mistake|glitch", re.I)

lines = open(out_path, encoding="utf-8").read().splitlines()
if len(lines) != len(CASES):
    errors.append("line count mismatch")
seen = set()
for i, line in enumerate(lines):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        fail(i, "top-level keys")
    p, e = obj["post"], obj["expect"]
    for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), typ):
            fail(i, f"missing/bad {f}")
    if not isinstance(p.get("account", {}).get("handle"), str):
        fail(i, "missing handle")
    if not (1 <= len(p["id"]) <= 256) or p["id"] in seen:
        fail(i, "bad or duplicate id")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail(i, "platform/kind")
    if len(p["text"].encode("utf-8")) > 64 * 1024:
        fail(i, "text too large")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]):
        fail(i, "created_at not RFC 3339")
    ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if ts.year not in (2026, 2027):
        fail(i, "created_at year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALLOWED:
        fail(i, "categories not sorted/unique/known")
    if e["severity"] != severity(role_of(p), cats, p["text"]):
        fail(i, "severity not per policy")
    if (not cats) != (e["severity"] == "none"):
        fail(i, "benign <-> none mismatch")
    role = role_of(p)
    if role == "public" and any(p["account"]["handle"].lower() == a.split(":", 1)[1].lower() for a in ROLE):
        fail(i, "public handle collides with a profile handle")
    text = strip_zw(p["text"])
    low = text.lower()
    # declared identifiers
    for kind, val, should in DECLARED[i]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "github": github_ok,
              "jwt": jwt_ok, "aws": lambda v: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))}[kind](val)
        if ok != should:
            fail(i, f"declared {kind} {val} check={ok}, wanted {should}")
        if val not in text and re.sub(r"\D", "", val) not in re.sub(r"\D", "", text) and kind != "iban":
            fail(i, f"declared {kind} not in text")
    # generic identifier scan
    found = checksum_ids(p["text"])
    if cats:
        if "leak.pii" in cats:
            for kind, val, ok in found:
                if not ok:
                    fail(i, f"positive holds a failing {kind} {val}")
    else:
        for kind, val, ok in found:
            if ok:
                fail(i, f"benign holds a valid {kind} {val}")
    # secrets shape
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z*]{36}\b", text):
        if "*" in tok:
            continue
        if github_ok(tok) != ("leak.secret" in cats):
            fail(i, f"github token {tok} validity vs label")
    for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
        if "EXAMPLE" not in tok and "leak.secret" not in cats:
            fail(i, "real-looking AWS key in a non-secret post")
        if "EXAMPLE" in tok and cats:
            fail(i, "sample AWS key used in a positive")
    for tok in re.findall(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", text):
        if not jwt_ok(tok) or "leak.secret" not in cats:
            fail(i, "JWT validity vs label")
    # internal terms and embargo
    if any(t in low for t in INTERNAL) and "leak.confidential" not in cats:
        fail(i, "internal term without leak.confidential")
    for terms, until in EMBARGO:
        if any(t in low for t in terms) and ts < until and "leak.confidential" not in cats:
            fail(i, "embargoed term before until without leak.confidential")
    # pricing consistency
    mentioned = [lp for names, lp in PRODUCTS if any(n in low for n in names)]
    amounts = []
    for m in PRICE_RE.finditer(text):
        amounts.append(float((m.group(1) or m.group(2)).replace(",", ".")))
    below = any(a < ratio * lp for a in amounts for lp in mentioned)
    if "leak.pricing" in cats:
        if not mentioned or not (below or PRICE_TALK.search(text)):
            fail(i, "pricing positive without product + low price / price-error talk")
    elif below:
        fail(i, f"non-pricing post mentions a product price below {ratio} of list")

# mix
from collections import Counter
n = len(CASES)
benign = sum(1 for c in CASES if not c["expect"]["categories"])
per_cat = Counter(c for case in CASES for c in case["expect"]["categories"])
langs = Counter(c["post"]["lang"] for c in CASES)
roles = Counter(role_of(c["post"]) for c in CASES)
if not 170 <= n <= 180:
    errors.append(f"{n} cases, want 170-180")
if not 55 <= benign <= 65:
    errors.append(f"{benign} benign, want about 60")
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for c, w in want.items():
    if abs(per_cat[c] - w) > 3:
        errors.append(f"{c}: {per_cat[c]} (want ~{w})")
if not 0.48 <= langs["nl"] / n <= 0.62:
    errors.append(f"Dutch share {langs['nl'] / n:.2f}")
if len(EVASION) < 5:
    errors.append("too few evasion cases")
if sum(1 for c in CASES if c["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 posts")
if len(PROFILE["products"]) < 15 or len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    errors.append("profile too small")
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append(f"profile IBAN {ib} fails mod-97")

print(f"{n} cases, {benign} benign, langs {dict(langs)}, roles {dict(roles)}")
print("per category:", dict(sorted(per_cat.items())))
print("severities:", dict(Counter(c["expect"]["severity"] for c in CASES)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
