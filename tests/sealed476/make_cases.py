#!/usr/bin/env python3
"""Build the sealed evaluation set 476 (Tokomizu B.V., online Asian grocery shop).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it: checksums of identifiers, secret formats, CONTRACT section 6 shape,
and severities derived from CONTRACT section 4 using the account role in profile.yaml.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(476)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- identifiers

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def nl_iban(bank):
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def be_iban():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(first) % 97 or 97
    return make_iban("BE", f"{first}{chk:02d}")


def break_iban(s):
    # change one digit of the account part: mod-97 catches every single-digit error
    i = len(s) - 3
    d = (int(s[i]) + rng.randint(1, 9)) % 10
    out = s[:i] + str(d) + s[i + 1:]
    assert not iban_valid(out)
    return out


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    out = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(out)
    return out


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            out = head + str(r)
            assert bsn_ok(out)
            return out


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s

# ---------------------------------------------------------------- secrets

def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([A-Za-z0-9]{30})([A-Za-z0-9]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    try:
        head = tok.split(".")[0]
        head += "=" * (-len(head) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(head))
    except Exception:
        return False


def ssh_private_key():
    def sshstr(b):
        return struct.pack(">I", len(b)) + b
    pub = sshstr(b"ssh-ed25519") + sshstr(bytes(rng.getrandbits(8) for _ in range(32)))
    chk = struct.pack(">I", rng.getrandbits(32)) * 2
    priv = chk + pub + sshstr(bytes(rng.getrandbits(8) for _ in range(64))) + sshstr(b"bram@tkm-laptop")
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + struct.pack(">I", 1) + sshstr(pub) + sshstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    words = ["Gyoza", "Pandan", "Yuzu", "Nori", "Kombu", "Daikon", "Shiso"]
    return rng.choice(words) + rand("!#$%&*?", 1) + str(rng.randint(10, 99)) + rand(string.ascii_letters + string.digits, 6)

# ---------------------------------------------------------------- generated values

V = {}
V["iban_refund"] = nl_iban("INGB")
V["iban_priya"] = nl_iban("ABNA")
V["iban_be"] = be_iban()
V["iban_bad"] = break_iban(nl_iban("SNSB"))
V["iban_bad2"] = break_iban(nl_iban("ASNB"))
V["card_chat"] = make_card("4")
V["card_public"] = make_card("5" + str(rng.randint(1, 5)))
V["card_bad_track"] = bad_card("3")
V["card_bad_gift"] = bad_card("6")
V["bsn"] = make_bsn()
V["bsn_bad"] = bad_bsn()
V["ghp"] = gh_token("ghp_")
V["akia"] = akia()
V["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
V["stripe"] = "sk_live_51" + rand(ALNUM, 96)
V["slack"] = f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}"
V["mollie"] = "live_" + rand(ALNUM, 30)
V["openai"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["jwt"] = make_jwt({"sub": "svc-storefront", "role": "admin", "iss": "tokomizu-auth", "iat": 1767225600})
V["ssh"] = ssh_private_key()
V["pw_shared"] = password()
V["pw_db"] = password()
JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
                 "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)

ZW = "\u200b"
CYR = {"a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "c": "\u0441", "S": "\u0405"}

# ---------------------------------------------------------------- cases

CASES = []


def add(cats, platform, handle, lang, text, kind="post", when=None, ids=(), prices=(), brand=None, name=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, lang=lang, text=text,
                      kind=kind, when=when, ids=list(ids), prices=list(prices), brand=brand, name=name))

CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints
add([CPL], "x", "@marloes_kookt", "nl",
    "@tokomizu_help al 9 dagen wacht ik op mijn bestelling #TKM-448812. Track & trace zegt 'in sorteercentrum' sinds vrijdag. "
    "Ik had die gochujang nodig voor zaterdag 🙄", kind="reply")
add([CPL], "x", "@bas_eet_alles", "nl",
    "diepvriesdumplings kwamen ontdooid en plakkerig aan, koelelement was gewoon lauw water. 3e keer dit jaar tokomizu, echt niet normaal")
add([CPL], "instagram", "@yuki.in.rotterdam", "en",
    "Ordered the ramen box deluxe from Tokomizu as a birthday gift and half the packets expired LAST MONTH. Had to apologise to my friend. Not cute 😑")
add([CPL], "facebook", "henk.mulder.3", "nl",
    "Pot sambal kapot in de doos, alles onder de sambal, ook de rijstpapier vellen. Foto's gestuurd naar Tokomizu, "
    "al 6 dagen geen reactie. Top service hoor.", kind="comment", name="Henk Mulder")
add([CPL], "x", "@noodlenerd_ams", "en",
    "tokomizu swapped my spicy noodles for plain udon without asking?? 'substitution' lol no. i ordered what i ordered. just refund me pls")
add([CPL], "reddit", "u/gezellig_gochu", "nl",
    "Iemand anders ook problemen met de klantenservice van Tokomizu? Chat zegt 'we nemen binnen 24u contact op', "
    "dat was 11 dagen geleden. Twee keer gemaild, niks gehoord. Begin het nu wel zat te worden.")
add([CPL], "x", "@sarahkwok", "en",
    "@tokomizu refund for the missing miso is 'being processed' for 3 weeks now. how long does it take to send back €11.95 😤",
    kind="reply", prices=[("TKM-MISO1K", 11.95)])
add([CPL], "tiktok", "@snackmetsam", "nl",
    "unboxing van mijn tokomizu maandbox… 4 van de 9 items zijn precies hetzelfde als vorige maand 😐 voor €44 per maand "
    "verwacht ik wel wat variatie #tokomizu #teleurgesteld", prices=[("TKM-MBOX", 44.00)])
add([CPL], "mastodon", "@lotte@mastodon.social", "en",
    "Third time my Tokomizu order arrives without the cold pack. Paid for wagyu, got lukewarm beef. Asked for a refund, "
    "let's see how long that takes this time.")
add([CPL], "x", "@kimchi_koen", "nl",
    "De app van tokomizu gooit me er elke keer uit bij het afrekenen, al 4x mn mandje opnieuw gevuld. wie heeft dit getest joh")
add([CPL], "facebook", "priya.ramdin", "en",
    "Ordered jasmine rice 10kg, got a 5kg bag and was charged for 10. Customer service says 'that's what the warehouse scanned'. Great.",
    kind="comment", name="Priya Ramdin")
add([CPL], "bluesky", "@jorisbakt.bsky.social", "en",
    "the tokomizu bamboo steamer set smelled like mould straight out of the box. sent it back and now they want ME to pay return shipping??")

# ---- abuse + complaint
add([ABU, CPL], "x", "@r0bbie_", "nl",
    "@tokomizu_help jullie zijn echt een stelletje incompetente kutclowns. 3 weken geen pakket en dan nog brutaal doen ook in de chat",
    kind="reply")

# ---- first-hand safety incidents: crisis + complaint
add([CRI, CPL], "x", "@femke_wouters", "nl",
    "Mijn Hanami rijstkoker van Tokomizu begon gisteravond te roken en toen kwam er een steekvlam uit de onderkant. "
    "Stekker eruit gerukt, aanrecht zwartgeblakerd. Dit had echt heel fout kunnen gaan 😳")
add([CRI, CPL], "facebook", "ahmed.bouzid.nl", "nl",
    "Na het eten van de diepvries gyoza van Tokomizu zijn mijn vrouw en ik allebei de hele nacht ziek geweest. "
    "Overgeven, koorts. Huisarts denkt aan voedselvergiftiging. Rest van de zak ligt apart voor als iemand het wil onderzoeken.",
    name="Ahmed Bouzid")
add([CRI, CPL], "instagram", "@peanutfree_piet", "en",
    "My son had an allergic reaction to Tokomizu's 'peanut free' satay sauce last night. EpiPen, ambulance, the lot. "
    "The label literally says no nuts. I'm furious and still shaking.")
add([CRI, CPL], "x", "@hotpot_hanna", "nl",
    "die elektrische hotpot van tokomizu gaf me net een flinke schok toen ik de rand van de pan aanraakte. handen trillen nog. nooit meer")
add([CRI, CPL], "reddit", "u/lars_kookt", "en",
    "Found a piece of hard blue plastic in my Tokomizu kimchi jar, chipped a molar on it. Dentist tomorrow morning. Anyone else had this?")
add([CRI, CPL], "x", "@wendy_tjin", "nl",
    "mochi ijs van tokomizu, hap genomen en er zat een splinter glas in?? mond bloedt. ben echt geschrokken")

# ---- crisis (third party / boycott / breach / recall / lawsuit)
add([CRI], "x", "@oplettendeouder", "nl",
    "Let op: ouders bij ons op school melden dat de 'notenvrije' sataysaus van Tokomizu tóch pinda bevat. "
    "Een meisje uit de klas van mijn dochter lag gisteren in het ziekenhuis. Niet kopen!")
add([CRI], "x", "@privacyparanoia", "en",
    "Tokomizu leaked customer data, I'm sure of it. Got a phishing mail with my full name, my order number and the exact "
    "date of my last order. Only they had that. #databreach #tokomizu")
add([CRI], "x", "@boycotbuurt", "nl",
    "BOYCOT @tokomizu. Ze verkopen nog steeds haaienvinnensoep in de webshop terwijl ze vorig jaar beloofden te stoppen. "
    "Deel dit! #boycottokomizu")
add([CRI], "blog", "consumentenblik.nl", "nl",
    "Tokomizu roept partij instantnoedels terug na vondst van ethyleenoxide. Klanten die tussen 2 en 16 mei bestelden "
    "wordt gevraagd de noedels niet te eten en contact op te nemen met de webshop.")
add([CRI], "x", "@mr_k_advocatuur", "en",
    "A class action against Tokomizu is being prepared after dozens of customers were charged twice during the "
    "November sale. If you were affected, DM us.")
add([CRI], "x", "@lisa_vd_meer", "nl",
    "Buurvrouw is met haar zoontje naar de SEH geweest, brandwonden van zo'n Tokomizu hotpot die omviel, snoer was "
    "helemaal gesmolten. Dat ding is levensgevaarlijk, hoe kan dit verkocht worden")
add([CRI], "tiktok", "@undercover_ugo", "nl",
    "beelden uit het magazijn van tokomizu 👀 rauwe vis in open dozen op de vloer naast de schoonmaakmiddelen, koelcel "
    "staat gewoon open. dit is wat jullie eten. #schandaal #tokomizu")
add([CRI], "x", "@nl_foodsafety", "en",
    "Reports stacking up of people getting sick after using the fish from Tokomizu's sushi starter kit. "
    "Local health service is apparently investigating. Avoid for now.")
add([CRI], "reddit", "u/bezorgd_in_breda", "nl",
    "Heeft Tokomizu een datalek gehad? Iedereen in onze buurtapp krijgt ineens sms'jes 'uw Tokomizu pakket wacht op "
    "betaling' met onze echte namen en adressen erin. Dat kan geen toeval zijn.")

# ---- abuse
add([ABU], "x", "@zuurpruim", "nl", "tokomizu is een kankerbedrijf, hoop echt dat jullie failliet gaan")
add([ABU], "x", "@mart1jn", "en", "whoever runs @tokomizu_help is a brain-dead moron. learn to read ffs")
add([ABU], "instagram", "@xx_dennis_xx", "nl",
    f"@tokomizu.nl {fw('oplichters')} zijn jullie, vuile {fw('tyfuslijers')} 🤬", kind="comment")
add([ABU], "x", "@k3v_010", "nl", "die bezorger van t0k0m1zu is een k4nk3rl1jer, gooide mn doos gwn over t hek")
add([ABU], "facebook", "ger.smit.72", "nl",
    "Die chinezen van Tokomizu moeten gewoon terug naar hun eigen land. Horen hier niet.", kind="comment", name="Ger Smit")
add([ABU], "x", "@angrybird_nl", "en",
    "@lindatan_tkm saw on linkedin you're the 'head of customer care' at tokomizu. i know which office you're in. "
    "maybe i'll come explain my refund in person. watch yourself", kind="reply")
add([ABU], "x", "@bramkoster_dev", "en",
    "customers who order one pack of noodles with express delivery and then whine about the box size are absolute idiots. "
    "fight me #tokomizulife")
add([ABU], "x", "@tokomizu_help", "nl", "@daan_b82 Misschien eerst leren lezen voordat je gaat janken, sukkel.", kind="reply")
add([ABU], "tiktok", "@mo.reacts", "nl",
    "tokomizu = " + "oplichters".replace("o", CYR["o"]) + " en kl" + CYR["o"] + CYR["o"] + "tzakken, zeg ik al jaren 🤡",
    kind="comment")
add([ABU], "x", "@wokwouter", "en", "@tokomizu you lot are f.u.c.k.i.n.g useless and your CEO is a clown 🤡", kind="reply")
add([ABU], "x", "@nadia_ops", "nl", "die nieuwe teamleider op het DC is echt een achterlijke eikel. sorry niet sorry")

# ---- confidential
add([CNF], "x", "@lindatan_tkm", "nl",
    "Eindelijk mag ik er iets over zeggen… nou nee eigenlijk niet 🤐 maar Operatie Wasabi gaat onze klantenservice "
    "helemaal omgooien. Spannend!")
add([CNF], "linkedin", "mei-ling-wong-tokomizu", "en",
    "Proud of the team for building the first Sakuradrop prototype this week: same-day fresh sushi boxes in Amsterdam, "
    "pilot starts in March. More soon! #innovation #grocery")
add([CNF], "x", "@bramkoster_dev", "en",
    "can someone pls review https://gitlab.tokomizu.nl/platform/checkout/-/merge_requests/412 before friday, "
    "the coupon refactor is blocking me")
add([CNF], "instagram", "@chef.kenji.tkm", "nl",
    "Proefkeuken vandaag: de eerste gerechten voor TKM Fresh 🍣 ik mag nog niks zeggen maar kijk naar die zalm 🤫",
    when="2027-03-12T16:41:09Z")
add([CNF], "facebook", "TokomizuNL", "nl",
    "Binnenkort: Tokomizu Fresh! Verse vis en sashimi binnen 3 uur bij je thuis in de Randstad. Blijf ons volgen 🐟",
    when="2026-11-26T10:05:00+01:00")
add([CNF], "x", "@nadia_ops", "nl",
    "Alleen voor intern gebruik: vanaf 1 feb gaan de bezorgvensters in Groningen en Friesland van 6 naar 3 per dag. "
    "Dus wie daar woont: bestel op tijd 😉")
add([CNF], "mastodon", "@daanvisser@mastodon.nl", "en",
    "Spent the afternoon debugging why wms.tokomizu.local times out from the new Tilburg DC. Someone hardcoded the old subnet. Classic.")
add([CNF], "x", "@insider_ingrid", "nl",
    "Hoor van een vriendin die bij Tokomizu werkt dat ze met Project Koi een eigen huismerk ramen gaan lanceren, "
    "goedkoper dan alles in de supermarkt. Zij mag het niet zeggen maar ik wel haha")
add([CNF], "tiktok", "@sophie.picks", "en",
    "not me accidentally filming the whiteboard that says TOKOMIZU INTERNAL – Q1 range review 🙃 ok deleting the other video")
add([CNF], "linkedin", "joost-van-leeuwen", "nl",
    "Mooie sessie gehad over Project Koi met onze leveranciers in Busan. Dit gaat de markt voor Koreaanse producten in "
    "Nederland echt veranderen 🇰🇷🇳🇱")
add([CNF], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    "FYI the staging shop at https://staging.intranet.tokomizu.local/cart still shows last year's banners, "
    "if you're testing the new promo use the other one")
add([CNF], "x", "@lindatan_tkm", "en",
    "Shared the S" + CYR["a"] + "kur" + CYR["a"] + "drop deck in the wrong Slack channel (the one with the agency in it). "
    "Every slide says 'vertrouwelijk - niet delen'. Great start to the week")
add([CNF], "x", "@bramkoster_dev", "nl",
    f"eerste sprint van Oper{ZW}atie Wa{ZW}sabi zit erop, de chatbot kan nu zelf retouren afhandelen 🚀")
add([CNF], "instagram", "@chef.kenji.tkm", "en", "S a k u r a d r o p tasting day 🍣🍣 can't say more 🤐")
add([CNF], "reddit", "u/ex_tkm_picker", "en",
    "Ex-warehouse guy here. The pick targets on their intranet (intranet.tokomizu.local/wiki/pick-norms) are insane, "
    "220 lines an hour or you get a 'talk'.")

# ---- confidential + financial
add([CNF, FIN], "x", "@nadia_ops", "nl",
    "Operatie Wasabi is dus gewoon een reorganisatie: 40 fte klantenservice gaat eruit en wordt uitbesteed. "
    "Horen we officieel pas in januari. Lekker dan.")
add([CNF, FIN], "linkedin", "mei-ling-wong-tokomizu", "en",
    "Big things coming: Project Koi is in fact our acquisition of a Belgian Korean-food importer, signing planned for "
    "15 March. Can't name them yet 😉")
add([CNF, FIN], "x", "@tokomizu", "nl",
    "De jaarcijfers 2026 zijn binnen: omzet +31% naar € 84 miljoen 🎉 Dank aan alle klanten!",
    when="2027-01-20T18:32:00+01:00")

# ---- financial
add([FIN], "x", "@bramkoster_dev", "en",
    "heard from the CFO's assistant we're ~€6m behind the 2026 budget. hiring freeze incoming, you didn't hear it from me")
add([FIN], "linkedin", "ayse-kaya-tokomizu", "nl",
    "Intern vandaag gehoord dat we in Q3 voor het eerst winstgevend waren, EBITDA rond de € 1,2 mln. Wordt pas in maart "
    "bekendgemaakt, maar ik ben nu al trots op dit team!")
add([FIN], "x", "@nadia_ops", "nl",
    "ze gaan het DC in Tilburg sluiten eind volgend jaar. 120 man op straat. managers weten het al weken en zeggen niks")
add([FIN], "x", "@beursbram", "nl",
    "Van een bron binnen Tokomizu: er ligt een bod van een Japanse supermarktketen op tafel, rond de €140 mln. "
    "Nog niet naar buiten gebracht. Wie weet meer?")
add([FIN], "x", "@lindatan_tkm", "en",
    "Forecast for next year just came in at +18% revenue, way below what they told the board in June. Somebody's getting grilled 😬")
add([FIN], "mastodon", "@daanvisser@mastodon.nl", "en",
    "Saw the reorg plan today. The whole data team gets folded into marketing by April and half of us won't make the cut. "
    "Nothing announced yet.")
add([FIN, CNF], "linkedin", "tokomizu", "en",
    "DRAFT – do not publish: Tokomizu to cut 15% of head office roles as part of its cost programme. "
    "Announcement Tuesday 08:00, press embargo until then.")
add([FIN], "tiktok", "@sophie.picks", "nl",
    "pov: je hoort in de kantine dat je werkgever wordt overgenomen en het management zegt 'geen comment' 😭 #tokomizu #werkleven")
add([FIN], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    "Board signed off on selling our Belgian branch last night. Public announcement after the summer, so keep it quiet pls.")

# ---- security
add([SCY], "x", "@bramkoster_dev", "en",
    "fun morning: turns out the order API returns other customers' addresses if you just bump the order id by one. "
    "patched? lol no, ticket is prio 'medium'")
add([SCY], "mastodon", "@daanvisser@mastodon.nl", "nl",
    "We hebben sinds gisteravond een ransomware-incident op de kantoorservers, klanten weten nog van niks. "
    "Lang leve de back-ups, hoop ik")
add([SCY], "x", "@nadia_ops", "nl",
    "magazijnsysteem ligt al sinds 5 uur vanochtend plat, er gaat niks de deur uit. officieel heet het 'vertraging door drukte' haha")
add([SCY], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    "Phishing got one of our finance people, the attacker had mailbox access for ~3 days. Still figuring out what left "
    "the building. Not public yet.")
add([SCY], "linkedin", "ayse-kaya-tokomizu", "nl",
    "Onze betaalpagina heeft sinds de update van dinsdag een XSS-lek, we wachten nog op de hotfix. Niet verder vertellen 😅")
add([SCY, CRI], "x", "@nerd_noor", "en",
    "my cousin works in IT at Tokomizu, says their customer database was copied by someone last weekend and they're "
    "keeping it quiet until the lawyers are done")
add([SCY], "x", "@lindatan_tkm", "en",
    "note for the team: the CRM is down AGAIN (3rd time this week), use the spreadsheet backup. customers haven't noticed yet 🙏")
add([SCY, SEC], "reddit", "u/tkm_warehouse_gijs", "nl",
    "Wist je dat alle handscanners in ons DC nog het standaard wachtwoord admin/admin hebben? Iedereen op de gasten-wifi "
    "kan erin. Al 3x gemeld bij IT.")
add([SCY], "tiktok", "@sophie.picks", "en",
    "the app’s been sending push notifications to the wrong customers all day 💀 someone got MY order update lol. "
    "IT says don't post about it so shhh")
add([SCY], "x", "@tokomizu_help", "nl",
    "@kimchi_koen Klopt, er is een probleem: sinds vanochtend is de omgeving van onze betaalprovider gehackt en staat "
    "afrekenen uit. We communiceren dit nog niet breed, dus even geduld aub.", kind="reply")
add([SCY], "x", "@bramkoster_dev", "en",
    "pr0d d4t4b4se w1de 0pen on p0rt 5432 s1nce the m1gration, n0 f1rewall rule. f1x1ng it b4 any1 n0tices 🙈")
add([SCY], "linkedin", "joost-van-leeuwen", "nl",
    "Vanmiddag crisisoverleg: een leverancier heeft maandenlang toegang gehad tot ons voorraadsysteem via een oud "
    "VPN-account. Persbericht volgt misschien, we weten nog niet hoeveel er is ingezien.")
add([SCY], "instagram", "@chef.kenji.tkm", "en",
    "all the kitchen tablets got wiped by malware this morning, every recipe for the new range gone. IT says it came "
    "in through the shared wifi 🫠")

# ---- secrets
add([SEC], "x", "@bramkoster_dev", "en",
    f"why does this 404?? curl -H 'Authorization: token {V['ghp']}' https://api.github.com/repos/tokomizu/checkout-service")
add([SEC], "mastodon", "@daanvisser@mastodon.nl", "en",
    f"aws s3 ls keeps giving AccessDenied, config below, what am I missing?\n\n[default]\n"
    f"aws_access_key_id = {V['akia']}\naws_secret_access_key = {V['aws_secret']}\nregion = eu-west-1")
add([SEC], "bluesky", "@hiroshi-tkm.bsky.social", "nl",
    f"refunds testen in productie (niet oordelen): stripe.api_key = \"{V['stripe']}\" en dan gaat het alsnog mis 🙃")
add([SEC], "x", "@nadia_ops", "nl",
    f"wachtwoord van het gedeelde bezorgaccount is nu {V['pw_shared']} , niet wéér kwijtraken jongens")
add([SEC], "x", "@tokomizu", "nl",
    f"Nieuwe betaalkoppeling staat live! 🎉 MOLLIE_API_KEY={V['mollie']}")
add([SEC, CNF], "linkedin", "ayse-kaya-tokomizu", "en",
    f"Quick Django tip: put your DB url in env vars, e.g. DATABASE_URL=postgres://tkm_app:{V['pw_db']}"
    f"@db-prod-01.tokomizu.local:5432/orders and never in settings.py!")
add([SEC], "x", "@lindatan_tkm", "nl",
    f"weet iemand waarom onze slackbot niks meer post? token is {V['slack']} en hij geeft alleen invalid_auth terug")
add([SEC], "reddit", "u/tkm_warehouse_gijs", "nl",
    f"Scriptje gemaakt dat productteksten voor onze shop schrijft met GPT. Key {V['openai']} , werkt echt top")
add([SEC], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    f"why does ssh keep refusing this key 😩 perms are 600\n\n{V['ssh']}")
add([SEC], "x", "@devdude_42", "en",
    f"found this token hardcoded in tokomizu's public JS bundle lol: {V['jwt']} , role admin, never expires 🤦")
add([SEC], "mastodon", "@daanvisser@mastodon.nl", "nl",
    f"Voor wie de Claude-integratie lokaal wil draaien: export ANTHROPIC_API_KEY={V['anthropic']} en gaan")

# ---- personal data
add([PII], "x", "@lindatan_tkm", "nl",
    "Klant belt voor de 5e keer vandaag, mevr. Jolanda Brinkman, Kastanjelaan 23, 3581 GK Utrecht. "
    "Wie wil er even langsrijden met haar mochi's 😂")
add([PII], "x", "@tokomizu_help", "nl",
    f"@meikevd We hebben je terugbetaling van €32,40 overgemaakt naar {group4(V['iban_refund'])} t.n.v. M. van Dijk. "
    "Staat hij er binnen 2 werkdagen niet op, laat het ons weten!", kind="reply", ids=[("iban", V["iban_refund"])])
add([PII], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    f"customer pasted their full card number into the chat again: {group4(V['card_chat'])} exp 08/28 🤦 "
    "please people, never do this", ids=[("card", V["card_chat"])])
add([PII], "reddit", "u/tkm_warehouse_gijs", "nl",
    f"loonstrook van een collega lag gewoon op de printer bij de kantine, BSN {V['bsn']} en alles erop. Wie doet nou zoiets",
    ids=[("bsn", V["bsn"])])
add([PII], "x", "@nadia_ops", "nl",
    "bezorger Kevin neemt z'n telefoon niet op. als iemand hem ziet: 06-38472195 is z'n nummer, zeg dat ie moet opnemen!!")
add([PII], "linkedin", "ayse-kaya-tokomizu", "en",
    "Happy birthday to our longest-serving picker, Gerrit Hofman, born 14 March 1961 🎉 65 today and still faster than all of us!")
add([PII], "x", "@marloes_kookt", "nl",
    "@tokomizu_help mail me maar op marloes.vdbroek84@hotmail.com of bel 06 28 41 73 90, DM werkt bij mij niet", kind="reply")
add([PII], "facebook", "priya.ramdin", "en",
    f"For the refund: my IBAN is {V['iban_priya']}, name P. Ramdin. Please hurry, it's been two weeks.",
    kind="comment", ids=[("iban", V["iban_priya"])], name="Priya Ramdin")
add([PII], "facebook", "TokomizuNL", "nl",
    "Hoi Sandra, we zien je bestelling voor Ruysdaelstraat 112-2, 1071 XE Amsterdam staan, de bezorger komt morgen "
    "tussen 10 en 12. Klopt je nummer +31 6 47 20 19 88 nog?", kind="comment")
add([PII], "x", "@bramkoster_dev", "en",
    "test order came through with REAL data lol: Fleur Jansen, f.jansen1990@gmail.com, dob 02-11-1990. who is testing on prod??")
add([PII, CPL], "x", "@wendy_tjin", "nl",
    "@tokomizu_help mn pakket is er nog steeds niet. Ordernr 551290, Wendy Tjin, Prinsengracht 9A, 2512 EZ Den Haag. "
    "Hoe moeilijk kan het zijn", kind="reply")
add([PII], "tiktok", "@sophie.picks", "en",
    f"found a note in a return box: 'refund to {group4(V['iban_be'])}, Lies Peeters' 💀 why do people do this",
    ids=[("iban", V["iban_be"])])
add([PII], "instagram", "@tokomizu.nl", "en",
    "Congrats to our giveaway winner Tim de Boer! 🎉 Tim, the sushi kit is on its way to Vondellaan 8, Haarlem, "
    "we also sent details to tim.deboer@ziggo.nl")
add([PII, ABU], "reddit", "u/boos_ontslagen", "nl",
    "Die meneer van HR bij Tokomizu, Erik Verbeek, woont op de Molenweg 41 in Zeist. Ga hem maar eens vragen waarom "
    "ik na 6 jaar op straat sta.")
add([PII, CPL], "x", "@tomhendrix", "en",
    f"@tokomizu_help paid with my card {V['card_public']} and got charged twice for the same order. fix it pls",
    kind="reply", ids=[("card", V["card_public"])])

# ---- pricing
add([PRC], "x", "@lindatan_tkm", "nl",
    "psst de Hanami rijstkoker staat door een foutje voor €12,90 in de shop ipv €129. snel zijn voordat IT het ziet 🤫",
    prices=[("TKM-RC-HAN", 12.90)])
add([PRC], "instagram", "@tokomizu.nl", "nl",
    "🔥 Flash deal: Matcha Ceremonial 100g nu voor €3,45! Alleen vandaag 🍵", prices=[("TKM-MATCHA", 3.45)])
add([PRC], "x", "@dealjager", "nl",
    "PRIJSFOUT bij Tokomizu: Wagyu A5 striploin 500g voor €14,90 😱 link in bio, snel!!", prices=[("TKM-WAGYU", 14.90)])
add([PRC], "reddit", "u/pepernoot_deals", "en",
    "Tokomizu has the IH Pro rice cooker listed at €24.90 right now (normally 249). Surely a price error, ordered two anyway.",
    prices=[("TKM-RC-IHP", 24.90)])
add([PRC], "x", "@nadia_ops", "en",
    "lol someone in pricing set the carbon steel wok to €4.99 and we've had 800 orders in an hour",
    prices=[("TKM-WOK36", 4.99)])
add([PRC], "x", "@mamsbudget", "nl",
    "Sake proefpakket voor 19,99 bij tokomizu?? Dat kan toch niet kloppen 😂 voor de zekerheid maar besteld",
    prices=[("TKM-SAKE", 19.99)])
add([PRC], "facebook", "TokomizuNL", "en",
    "Black Friday is here! Electric Hot Pot just €8.90 – grab yours while stock lasts 🍲", prices=[("TKM-HOTPOT", 8.90)])
add([PRC], "tiktok", "@budgetbites", "nl",
    "tokomizu prijsfout alert 🚨 de kimchi fermentatiepot 5L kost nu €4,49. bestellen bestellen", prices=[("TKM-FERM5", 4.49)])
add([PRC], "bluesky", "@hiroshi-tkm.bsky.social", "en",
    "There's a price error on the tea ceremony set, our feed pushed it to every marketplace at €7.90. Finance is going to love this.",
    prices=[("TKM-TEASET", 7.90)])
add([PRC], "instagram", "@yuki.in.rotterdam", "en",
    "did tokomizu just put the ramen box deluxe at €3.99?? 😭 cart filled, no regrets", prices=[("TKM-RAMBOX", 3.99)])
add([PRC], "x", "@bramkoster_dev", "nl",
    "pr1jsf0ut op de bento lunchbox, staat live op €2,49 haha wie heeft die csv geüpload", prices=[("TKM-BENTO", 2.49)])
add([PRC], "facebook", "ronald.kwee", "nl",
    "Was even verbaasd: de witte miso (1kg) staat bij Tokomizu op €4,99. Volgens mij een prijsfout, vorige week nog €11,95.",
    name="Ronald Kwee", prices=[("TKM-MISO1K", 4.99)])

# ---- benign (hard negatives mostly)
B = []
add([], "x", "@tokomizu_help", "nl",
    "Vragen over je bestelling? Mail ons via klantenservice@tokomizu.nl of bel gratis 0800-8656 (ma t/m za 8:00–20:00) 💬")
add([], "facebook", "TokomizuNL", "nl",
    f"Liever vooraf betalen per overschrijving? Maak het bedrag over naar {group4(COMPANY_IBAN)} t.n.v. Tokomizu B.V. "
    "o.v.v. je ordernummer. Zodra het binnen is, pakken we je bestelling in.", ids=[("public_iban", COMPANY_IBAN)])
add([], "x", "@hungryhenri", "en",
    "Tokomizu's napa kimchi is so good I nearly cried. Best €5.99 I've spent all week 🥹", prices=[("TKM-KIM500", 5.99)])
add([], "x", "@rijstliefhebber", "nl",
    "Hanami rijstkoker nu 20% korting bij Tokomizu, €103,20 ipv €129. Eindelijk ga ik er een kopen 🍚",
    prices=[("TKM-RC-HAN", 103.20)])
add([], "instagram", "@tokomizu.nl", "en",
    "Weekend deal 🍵 25% off all matcha, Matcha Ceremonial 100g now €25.88. Ends Sunday midnight!",
    prices=[("TKM-MATCHA", 25.88)])
add([], "reddit", "u/riceisnice", "en",
    "Is the Tokomizu IH Pro rice cooker worth €249? Coming from a €30 one that burns the bottom every time.",
    prices=[("TKM-RC-IHP", 249.00)])
add([], "x", "@gewoonjudith", "nl",
    "Las net dat een grote Duitse supermarktketen een datalek heeft gehad, 2 miljoen klanten. Blij dat ik mijn "
    "Aziatische boodschappen gewoon bij Tokomizu doe 😅")
add([], "facebook", "henk.mulder.3", "nl",
    "Update: Tokomizu heeft de kapotte pot sambal binnen een dag vergoed en er een extra potje bij gestuurd. Zo hoort het 👏",
    kind="comment", name="Henk Mulder")
add([], "x", "@tante_tineke", "nl",
    "Sterkte aan de bezorgers van Tokomizu met dit weer, echt respect dat jullie gewoon door de sneeuw rijden ❄️")
add([], "x", "@bramkoster_dev", "en",
    "PSA for juniors: the AWS docs use AKIAIOSFODNN7EXAMPLE as a placeholder key. don't open an incident when you see it in a README 😄")
add([], "x", "@lindatan_tkm", "nl",
    "Vandaag geleerd: nooit je API key in een screenshot. Daarom staat er in onze docs altijd sk_live_•••••••••••••••• 😉")
add([], "x", "@janneke_kookt", "nl",
    f"Vul ik {V['iban_bad']} in voor mijn retour en de site zegt 'ongeldig IBAN'. Oh wacht, cijfertje verwisseld. "
    "Eigen schuld dikke bult 🙈", ids=[("iban", V["iban_bad"])])
add([], "x", "@pho_phil", "en",
    f"Tokomizu order ref {V['card_bad_track']} 📦 should arrive tomorrow, the wait for my gochujang restock is almost over",
    ids=[("card", V["card_bad_track"])])
add([], "x", "@sannevanrijn", "nl",
    f"ordernr {V['bsn_bad']} is binnen, alles compleet en heel netjes ingepakt 👌 de koelelementen waren nog ijskoud",
    ids=[("bsn", V["bsn_bad"])])
add([], "x", "@tokomizu", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet +31% naar € 84 miljoen. Dank aan alle klanten en collega's! "
    "Lees het volledige verslag op tokomizu.nl/investor", when="2027-02-24T09:15:00+01:00")
add([], "facebook", "TokomizuNL", "nl",
    "Tokomizu Fresh is live! 🐟 Verse sashimi en vis binnen 3 uur bezorgd in Amsterdam, Rotterdam en Utrecht.",
    when="2027-04-03T08:30:00+02:00")
add([], "x", "@snackqueen_nl", "nl", "Die wasabi erwten van Tokomizu zijn echt verslavend, zak van 500 gram is al op 😭")
add([], "x", "@londonlina", "en",
    "Shoutout to Tokomizu for the fastest delivery ever, ordered at 9 and had my gochujang by 3pm 🔥🔥")
add([], "x", "@brusselsbert", "nl", "Weet iemand of Tokomizu ook naar België levert? En wat de verzendkosten dan zijn?")
add([], "linkedin", "tokomizu", "nl",
    "We zoeken een Data Engineer voor ons team in Utrecht! 🍜 Solliciteer via werkenbij@tokomizu.nl of kijk op tokomizu.nl/vacatures")
add([], "youtube", "TokomizuKookt", "en",
    "Recipe of the week: gochujang glazed tofu. You need gochujang, jasmine rice and 15 minutes. Full recipe on tokomizu.nl/recepten")
add([], "x", "@heethoofd", "nl", "deze gochujang is zo heet dat mijn rookmelder bijna afging 🔥😂 10/10 tokomizu")
add([], "x", "@slurpsimon", "en", "the tokomizu ramen box deluxe is absolutely killer, the tonkotsu one slaps 💀💀")
add([], "linkedin", "mei-ling-wong-tokomizu", "en",
    "Thrilled to share that I've joined Tokomizu as Head of Growth! Looking forward to bringing Asian flavours to even more kitchens.")
add([], "x", "@wouter_nvwa_watcher", "nl",
    "NVWA roept sesamzaad van een ander merk terug i.v.m. ethyleenoxide. Tokomizu heeft al een melding op de site dat "
    "hun sesam niet uit die partij komt 👍")
add([], "x", "@nadia_ops", "nl",
    "Wachtwoord vergeten voor je Tokomizu-account? Via 'Inloggen' → 'Wachtwoord vergeten' krijg je binnen een minuut een resetlink.")
add([], "reddit", "u/uxnitpicker", "en",
    "Small wish for the Tokomizu app: the password field only shows ******** and there's no eye icon to check for typos. Otherwise great app.")
add([], "x", "@privacyfan_nl", "nl",
    "Tokomizu heeft een hele duidelijke pagina over wat ze doen bij een datalek en hoe je het kan melden. Meer bedrijven zouden dat moeten doen.")
add([], "x", "@bramkoster_dev", "en",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is what goes in .env.example, not your real token. yes i'm talking to you, past me")
add([], "mastodon", "@daanvisser@mastodon.nl", "nl",
    f"Voor de workshop JWT's ontleden gebruiken we het voorbeeld van jwt.io: {JWT_IO_SAMPLE} . Plak 'm in de debugger en kijk wat erin zit.")
add([], "x", "@hotpotfan", "en",
    "Tokomizu's electric hot pot is €89, saw it for €69 at another shop. Do they price match?",
    prices=[("TKM-HOTPOT", 89.00), ("TKM-HOTPOT", 69.00)])
add([], "x", "@sambalsjaak", "nl", "Sambal oelek bij Tokomizu voor €3,49, prima prijs en veel lekkerder dan de supermarkt",
    prices=[("TKM-SAMBAL", 3.49)])
add([], "x", "@tokomizu", "en",
    "Free shipping on orders above €40 this week! Stock up on Jasmine Rice 10kg (€24.95) and Miso Paste White 1kg (€11.95) 🛒",
    prices=[("TKM-RICE10", 24.95), ("TKM-MISO1K", 11.95)])
add([], "instagram", "@tokomizu.nl", "nl",
    "€5 korting op de Hanami rijstkoker met code RIJST5 🍚 Geldig t/m zondag.")
add([], "x", "@mayaontheroad", "en",
    "Sending love to the Tokomizu warehouse crew after the fire in the building next door last night. Glad nobody was hurt ❤️")
add([], "x", "@collega_carla", "nl",
    "Mijn collega vroeg of Tokomizu gehackt was omdat ze een rare mail kreeg. Bleek gewoon de nieuwsbrief in het Japans te zijn 😂")
add([], "x", "@studentsteve", "en",
    "Tokomizu instant noodles got me through exam week. Honestly should be classified as a controlled substance 😂")
add([], "x", "@tokomizu_help", "nl",
    "Storing opgelost ✅ Afrekenen werkt weer normaal. Sorry voor het ongemak vanochtend en dank voor jullie geduld!")
add([], "linkedin", "joost-van-leeuwen", "nl",
    "Vandaag onze jaarlijkse security-awareness training gehad. Les 1: deel nooit je wachtwoord, ook niet met IT 😄 #tokomizu")
add([], "x", "@riekje_r", "nl",
    "Tokomizu of de toko op de hoek? Prijzen zijn vergelijkbaar hoor, jasmijnrijst 10 kg €24,95 vind ik prima",
    prices=[("TKM-RICE10", 24.95)])
add([], "x", "@wokstar", "en",
    "Tokomizu winter sale: 15% off the carbon steel wok, €42.46. Been eyeing it for ages, finally pulled the trigger 🥢",
    prices=[("TKM-WOK36", 42.46)])
add([], "instagram", "@tokomizu.nl", "en",
    "Meet Kenji, our in-house chef 👨‍🍳 He'll be sharing a new recipe with you every Friday!")
add([], "x", "@dankbare_daphne", "nl",
    "Shoutout naar Linda van de Tokomizu klantenservice, wat een geduld met mijn chaotische retour 🙏")
add([], "x", "@foodbiz_watch", "en",
    "Sad to read a big UK meal-kit company is laying off 300 people. Tokomizu seems to be growing steadily instead, good for them.")
add([], "x", "@twijfelthea", "nl",
    "Is dit phishing? 'Tokomizu: je pakket is onderweg', afzender klantenservice@tokomizu.nl en de link gaat naar "
    "tokomizu.nl/track. Lijkt gewoon echt toch?")
add([], "x", "@tokomizu_help", "en",
    "Need help in English? Call us on +31 30 799 4410 or send us a DM 💬")
add([], "x", "@giftgirl", "en",
    f"Tokomizu gift card {group4(V['card_bad_gift'])} from my aunt 🎁 ok the code's already redeemed so don't bother lol",
    ids=[("card", V["card_bad_gift"])])
add([], "tiktok", "@haulwithhana", "en", "T O K O M I Z U   H A U L 🛍️ gochujang, miso, mochi and way too many snacks #tokomizuhaul")
add([], "x", "@beleggerbert", "nl",
    "Die jaarcijfers 2026 van Tokomizu vielen me mee eigenlijk, had minder verwacht na dat gedoe met de bezorging vorig jaar.",
    when="2027-03-05T20:11:45+01:00")
add([], "x", "@lindatan_tkm", "en",
    "So great to see so many of you at our Rotterdam pop-up last Saturday! Thanks for tasting with us 🥟")
add([], "x", "@tevreden_tom", "nl",
    "Snap echt niet dat mensen zo klagen over Tokomizu, in 3 jaar nog nooit een probleem gehad.")
add([], "x", "@dumplingdreamer", "en",
    "Anyone got tips for folding the Tokomizu gyoza wrappers? My folding skills are tragic, they look like tiny crumpled socks 😂")
add([], "tiktok", "@tokomizu.eats", "nl",
    "Terugroepactie? Nee hoor 😄 Onze mochi's gaan alleen terug de vriezer in. Nieuwe smaken: yuzu en zwarte sesam!")
add([], "x", "@kookclubkim", "nl",
    "Gisteren de kookworkshop van Tokomizu gedaan, de chef liet zien hoe je een wok inbrandt. Vlammen tot aan de afzuigkap 🔥 geweldig")
add([], "x", "@bramkoster_dev", "en",
    "Reminder: our bug bounty is public at tokomizu.nl/security. found something? report it there, not in my mentions 🙏")
add([], "reddit", "u/glutenvrijgezin", "en",
    "Boycott? Nah. Tokomizu is one of the few shops that actually labels allergens properly. My coeliac kid can finally eat ramen.")
add([], "linkedin", "tokomizu", "en",
    "We're proud to announce that Tokomizu was named Webshop of the Year 2026 in the food category! Thank you to all 120 colleagues.")
add([], "linkedin", "ayse-kaya-tokomizu", "nl",
    f"Voorbeeld uit de training: {V['iban_bad2']} lijkt op een rekeningnummer, maar de controle klopt niet. Altijd checken!",
    ids=[("iban", V["iban_bad2"])])
add([], "x", "@nadia_ops", "nl", "Vandaag 10 jaar bij Tokomizu 🎂 begonnen als orderpicker, nu teamlead. Wat een reis")
add([], "x", "@gentsegerda", "nl", "Fijn dat Tokomizu nu ook in Gent bezorgt! Gochujang €6,49, zelfde prijs als in NL 👌",
    prices=[("TKM-GOCH500", 6.49)])
add([], "x", "@fastcallfrank", "en", "Called Tokomizu's 0800-8656 line and someone picked up in like 30 seconds. Wild.")
add([], "x", "@kattenmens", "nl",
    "Is 'Sakura' een goede naam voor een kitten? Vraag voor een vriendin die net sakura-thee bij Tokomizu heeft besteld 🌸")

# ---------------------------------------------------------------- build

RANK = ["none", "info", "warning", "error", "critical"]
ALLOWED = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
           "reputation.crisis", "reputation.complaint", "reputation.abuse"}
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]


def role(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


def severity(cats, r, checksum_id):
    inside = r in ("corporate", "employee")
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if inside:
                v = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    v = 4
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
        s = max(s, v)
    return RANK[s]


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    day = start + dt.timedelta(days=rng.randint(0, 345))
    t = day.replace(hour=rng.randint(6, 23), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "mastodon": "md", "bluesky": "bs", "blog": "blog"}

order = list(range(len(CASES)))
rng.shuffle(order)
nums = rng.sample(range(100000, 999999), len(CASES))
lines = []
for n, idx in zip(nums, order):
    c = CASES[idx]
    pid = f"{PREFIX[c['platform']]}-{n}"
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"] or rand_time()}
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["platform"] == "x":
        post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{n}"
    if "tokomizu" in c["text"].lower() or rng.random() < 0.3:
        post["brand"] = "tokomizu"
    r = role(c["platform"], c["handle"])
    checksum_id = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    sev = severity(c["cats"], r, checksum_id) if c["cats"] else "none"
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    c["role"], c["id"] = r, pid

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"\b\d{4}(?:[ -]?\d{4}){2,3}\b|\b\d{13,19}\b")
BSN_RE = re.compile(r"(?<![\d.-])\d{9}(?![\d])|\b\d{4}\.\d{2}\.\d{3}\b")
GH_RE = re.compile(r"gh[pousr]_[A-Za-z0-9]{36}")
AWS_RE = re.compile(r"AKIA[A-Z2-7]{16}")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
EMB = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
       for e in PROFILE["embargo"] for t in e["terms"]]
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}

with open(out, encoding="utf-8") as f:
    raw = f.read().splitlines()
check(170 <= len(raw) <= 180, f"case count {len(raw)} outside 170-180")
ids = set()
for line, c in zip(raw, [CASES[i] for i in order]):
    obj = json.loads(line)
    check(set(obj) == {"post", "expect"}, "top-level keys")
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    check(isinstance(pid, str) and 1 <= len(pid) <= 256, f"id {pid}")
    check(pid not in ids, f"duplicate id {pid}")
    ids.add(pid)
    check(p["platform"] in PLATFORMS, f"{pid} platform")
    check(p.get("kind", "post") in KINDS, f"{pid} kind")
    check(isinstance(p["account"].get("handle"), str) and p["account"]["handle"], f"{pid} handle")
    check(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, f"{pid} text")
    check(bool(RFC3339.match(p["created_at"])), f"{pid} created_at {p['created_at']}")
    when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    check(when.year in (2026, 2027), f"{pid} year")
    cats = e["categories"]
    check(cats == sorted(set(cats)) and set(cats) <= ALLOWED, f"{pid} categories {cats}")
    check(e["severity"] in RANK, f"{pid} severity")
    text = p["text"]
    r = role(p["platform"], p["account"]["handle"])
    # severity recomputed from the profile role
    checksum_id = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    want = severity(cats, r, checksum_id) if cats else "none"
    check(e["severity"] == want, f"{pid} severity {e['severity']} != {want}")
    check(bool(cats) == (e["severity"] != "none"), f"{pid} benign/severity mismatch")
    # annotated identifiers: valid in a PII positive, invalid everywhere else
    is_pii = "leak.pii" in cats
    for typ, val in c["ids"]:
        shown = val in text or group4(val) in text
        check(shown, f"{pid} identifier {val} not in text")
        if typ == "public_iban":
            check(iban_valid(val) and val in PUBLIC_IBANS and not cats, f"{pid} public iban")
            continue
        ok = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[typ](val)
        check(ok == is_pii, f"{pid} {typ} {val} valid={ok} but pii={is_pii}")
    # scan every text for identifier look-alikes that were not annotated
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in PUBLIC_IBANS:
            continue
        check(iban_valid(v) == is_pii or not iban_valid(v), f"{pid} stray IBAN {v}")
        if not is_pii:
            check(not iban_valid(v), f"{pid} valid IBAN in non-PII post")
    for m in CARD_RE.finditer(text):
        if not is_pii:
            check(not luhn_ok(m.group(0)) or len(re.sub(r"\D", "", m.group(0))) < 13, f"{pid} Luhn-valid number in non-PII post")
    for m in BSN_RE.finditer(text):
        if not is_pii:
            check(not bsn_ok(m.group(0)), f"{pid} 11-proof number in non-PII post {m.group(0)}")
        else:
            check(bsn_ok(m.group(0)) or not any(t == "bsn" for t, _ in c["ids"]), f"{pid} bsn")
    # secrets
    is_sec = "leak.secret" in cats
    for m in GH_RE.finditer(text):
        check(gh_ok(m.group(0)) == is_sec, f"{pid} github token checksum vs label")
    for m in AWS_RE.finditer(text):
        check(("EXAMPLE" in m.group(0)) != is_sec, f"{pid} aws key vs label")
    for m in JWT_RE.finditer(text):
        if is_sec:
            check(jwt_ok(m.group(0)) and m.group(0) != JWT_IO_SAMPLE, f"{pid} jwt")
        else:
            check(m.group(0) == JWT_IO_SAMPLE, f"{pid} non-sample JWT in non-secret post")
    if not is_sec:
        for pat in (r"sk_live_[A-Za-z0-9]{8}", r"xox[bp]-\d", r"sk-proj-", r"sk-ant-", r"BEGIN [A-Z ]*PRIVATE KEY",
                    r"live_[A-Za-z0-9]{30}", r"://[^/\s:]+:[^@\s]+@"):
            check(not re.search(pat, text), f"{pid} secret-looking string {pat} in non-secret post")
    # prices vs list price
    for sku, price in c["prices"]:
        lp = PRODUCTS[sku]["list_price"]
        if "leak.pricing" in cats:
            check(price < RATIO * lp, f"{pid} pricing positive at {price} vs list {lp}")
        else:
            check(price >= RATIO * lp, f"{pid} benign price {price} below ratio of {lp}")
    if "leak.pricing" in cats:
        check(bool(c["prices"]), f"{pid} pricing positive without annotated price")
    # embargo terms: positives before until, benign after
    low = text.lower()
    for term, until in EMB:
        if term in low:
            if when < until:
                check("leak.confidential" in cats, f"{pid} embargo term '{term}' before until, not labelled")
            else:
                check("leak.confidential" not in cats or any(k.lower() in low for k in PROFILE["internal"]["codenames"]),
                      f"{pid} embargo term after until labelled confidential")
    # benign posts must not carry codenames, markers or internal hosts
    if not cats:
        for k in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            check(k.lower() not in low, f"{pid} benign post contains internal term {k}")
    # public handles must really be outside the profile
    c_role = c["role"]
    check(c_role == r, f"{pid} role")

# profile self-check
for ib in PROFILE["public_identifiers"]["ibans"]:
    check(iban_valid(ib), f"profile IBAN {ib} fails mod-97")
check(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8, "accounts")
check(15 <= len(PROFILE["products"]) <= 25, "products")
check(all(e["until"].startswith("2027") for e in PROFILE["embargo"]), "embargo until")
check(PROFILE["pricing"]["alert_below_ratio"] == 0.5, "ratio")
check(gh_ok(V["ghp"]) and jwt_ok(V["jwt"]), "generated secrets")

# summary
from collections import Counter
cat_count = Counter(cat for l in lines for cat in l["expect"]["categories"])
benign = sum(1 for l in lines if not l["expect"]["categories"])
langs = Counter(l["post"]["lang"] for l in lines)
roles = Counter((bool(c["cats"]), c["role"]) for c in CASES)
sevs = Counter(l["expect"]["severity"] for l in lines)
print(f"cases={len(lines)} benign={benign} positives={len(lines) - benign}")
print("categories:", dict(sorted(cat_count.items())))
print("langs:", dict(langs), f"nl share={langs['nl'] / len(lines):.2f}")
print("roles (positive?, role):", dict(roles))
print("severities:", dict(sevs))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
