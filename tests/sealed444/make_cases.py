#!/usr/bin/env python3
"""Sealed evaluation set 444 for postwatch: Rugwijs Praktijken B.V.

A fictional Dutch chain of massage and chiropractic practices with an online booking
system (RugwijsBoeken). The post texts below are hand-written; identifiers and
credentials are generated with a fixed seed so that they carry valid checksums where the
real format has one (and the look-alikes in benign posts fail theirs).

Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, types, categories);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted);
  * generated credentials are well-formed (GitHub CRC-32, AWS key id alphabet, JWT header);
  * severities are derived from CONTRACT section 4 and the account role in profile.yaml;
  * ids are unique, roles match the profile, the category mix is in range.
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
rng = random.Random(444)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUB_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

# --------------------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


# --------------------------------------------------------------------------------------
# generators (all from the seeded rng)
# --------------------------------------------------------------------------------------
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def gen_iban(bank):
    acct = rand(string.digits, 10)
    body = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in body))
    iban = "NL%02d%s%s" % (98 - n % 97, bank, acct)
    assert iban_ok(iban)
    return iban


def bad_iban(bank):
    good = gen_iban(bank)
    cc = int(good[2:4])
    wrong = "NL%02d%s" % ((cc + rng.randint(1, 40)) % 97 + 2, good[4:])
    if wrong[2:4] == good[2:4] or iban_ok(wrong):
        return bad_iban(bank)
    return wrong


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_card(prefix):
    while True:
        body = prefix + rand(string.digits, 15 - len(prefix))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def bad_card(prefix):
    c = gen_card(prefix)
    last = str((int(c[-1]) + rng.randint(1, 9)) % 10)
    c = c[:-1] + last
    assert not luhn_ok(c)
    return c


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            if bsn_ok(s):
                return s


def bad_bsn():
    s = gen_bsn()
    s = s[:-1] + str((int(s[-1]) + rng.randint(1, 9)) % 10)
    return s if not bsn_ok(s) else bad_bsn()


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randint(0, 20000000)
    payload = {"sub": "usr_%d" % rng.randint(10000, 99999), "role": "frontdesk",
               "clinic": "utrecht-oost", "iat": iat, "exp": iat + 86400}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def gen_openssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    sec = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv + pub) + sstr(b"deploy@rw-build-02")
    pad = 1
    while len(sec) % 8:
        sec += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(sec))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# generated values used in the posts
IBAN_REFUND = gen_iban("INGB")
IBAN_WEBHOOK = gen_iban("ASNB")


def typo_iban(iban):
    """the company's own IBAN with one account digit mistyped (always fails mod-97)"""
    pos = rng.randint(8, len(iban) - 1)
    wrong = iban[:pos] + str((int(iban[pos]) + rng.randint(1, 9)) % 10) + iban[pos + 1:]
    assert not iban_ok(wrong)
    return wrong


IBAN_BAD_1 = typo_iban(PROFILE["public_identifiers"]["ibans"][0].replace(" ", ""))
IBAN_BAD_2 = bad_iban("INGB")
CARD_CUSTOMER = gen_card("4")
CARD_CORP_REPLY = gen_card("52")
CARD_BAD_1 = bad_card("45")
CARD_BAD_2 = bad_card("53")
BSN_NEWHIRE = gen_bsn()
BSN_EXPAT = gen_bsn()
BSN_BAD = bad_bsn()

GHP = gen_ghp()
AKIA = gen_akia()
AWS_SECRET = rand(ALNUM + "/+", 40)
SENDGRID = "SG." + rand(ALNUM + "-_", 22) + "." + rand(ALNUM + "-_", 43)
JWT = gen_jwt()
PG_PW = rand(ALNUM, 11) + "!" + rand(ALNUM, 4)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 12, 10 ** 13), rand(ALNUM, 24))
STRIPE = "sk_live_51" + rand(ALNUM, 96)
SSH_KEY = gen_openssh_key()
OPENAI = "sk-proj-" + rand(ALNUM + "-_", 74) + "T3BlbkFJ" + rand(ALNUM + "-_", 74)
GOOGLE = "AIzaSy" + rand(ALNUM + "-_", 33)
GHS_SAMPLE_MASKED = "ghp_" + "*" * 36


def fw(s):
    """full-width letters and digits"""
    out = []
    for ch in s:
        if "!" <= ch <= "~":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            out.append("\u3000" if ch == " " else ch)
    return "".join(out)


ZW = "\u200b"
CYR_BOYCOTT = "b\u043e\u0443\u0441\u043ett"  # b o y c o t t with Cyrillic o, u, s, o

# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "pii": "leak.pii", "secret": "leak.secret", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
}
CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", at=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats], kind=kind, at=at, brand=brand))


# ---------------- reputation.complaint -----------------------------------------------
P("x", "@sanne_loopt", "nl",
  "Derde keer deze maand dat RugwijsBoeken mijn afspraak gewoon dubbel boekt. Sta ik weer in de "
  "wachtkamer en 'sorry er zit al iemand'. Heb er een halve dag vrij voor genomen 🙄 @rugwijs_helpt",
  ["complaint"], at="2026-03-11T08:52:00Z")
P("reddit", "u/stiffneck_dave", "en",
  "Rugwijs charged me the €35 no-show fee even though I cancelled through their own app 30 hours "
  "before. The app literally shows the cancellation, the invoice still shows the fee. Support keeps "
  "sending the same template email. Anyone had luck getting this reversed?",
  ["complaint"], at="2026-04-02T19:14:00Z")
P("facebook", "ingrid.mulderpost", "nl",
  "Vanmorgen om 8:15 afspraak bij Rugwijs Amersfoort. Masseur kwam om 8:40 binnenwandelen, geen sorry, "
  "en toch om 9:15 klaar want 'de volgende klant wacht'. Het volle uur betalen mag ik wel.",
  ["complaint"], kind="comment")
P("x", "@marcusruns", "en",
  "cancelled my rugwijs plus subscription in march. still getting debited every month. three emails, "
  "zero answers. how is this even legal",
  ["complaint"])
P("x", "@fleurtjuh_", "nl",
  "krijg om 23:47 een sms van rugwijs dat mn afspraak morgen om 7u is ipv 10u?? en nu staat ie "
  "nergens meer in de app. wat is dit nou weer",
  ["complaint"], at="2026-06-17T21:47:00Z")
P("forum", "@KnotInMyBack", "en",
  "Anyone else find the Rugwijs app basically unusable since the last update? Login loop on iOS, can't "
  "see invoices, can't reschedule. Ended up calling and sat on hold for 40 minutes.",
  ["complaint"])
P("instagram", "@yogamet_yara", "nl",
  "Hot stone bij Rugwijs Haarlem: stenen lauw, kamer ijskoud en tijdens de behandeling stond de deur "
  "half open terwijl de balie aan het bellen was. Voor dat geld verwacht ik echt wat anders. #teleurgesteld",
  ["complaint"])
P("x", "@pietjepuk1971", "nl",
  "Declaratie afgewezen door mijn zorgverzekeraar omdat Rugwijs de verkeerde behandelcode op de factuur "
  "zet. Nu mag ik weer twee weken achter een nieuwe factuur aan bellen. Kom op zeg.",
  ["complaint"])
P("threads", "@hanna.moves", "en",
  "Bought the massage gun M3 from Rugwijs, charger died after 5 weeks. Warranty claim has been "
  "'being processed' since August. Still nothing. Not impressed.",
  ["complaint"])
P("reddit", "u/Rugpijn_NL", "nl",
  "Wachttijd voor een chiro intake bij Rugwijs Utrecht is nu 7 weken. Op de site staat 'binnen een week "
  "geholpen'. Dat noem ik gewoon misleidend.",
  ["complaint"])
P("x", "@thomas_k_delft", "en",
  "@rugwijs_helpt your chat bot has 'transferred me to a colleague' four times now and I'm still talking "
  "to the bot. I just want my receipt 😩",
  ["complaint"], kind="reply")
P("facebook", "wendy.vdsteen", "nl",
  "Rittenkaart gekocht, nog 3 behandelingen over, en nu gaat de praktijk in Zwolle dicht en moet ik "
  "ineens naar Deventer. Geld terug? Nee hoor. Superklantonvriendelijk.",
  ["complaint"], kind="comment")
P("tiktok", "@mo.fitness", "nl",
  "pov: je boekt een deep tissue bij rugwijs en krijgt 50 min aaien 😐 zonde van je geld #rugwijs #massage",
  ["complaint"])
# first-hand harm: crisis + complaint
P("x", "@kimberley_w", "nl",
  "Na de nekmanipulatie bij de chiropractor van Rugwijs Breda gisteren duizelig en misselijk geworden, "
  "vannacht op de SEH beland. Arts zei dat ik geluk heb gehad. Niemand van Rugwijs heeft me teruggebeld.",
  ["complaint", "crisis"])
P("reddit", "u/burnt_pillow", "en",
  "My Rugwijs Warmtekussen Pro started smoking and scorched right through the cover last night while I "
  "was lying on it. Small burn on my lower back. This thing is sold for pain relief!",
  ["complaint", "crisis"])
P("facebook", "ramon.degroot.3", "nl",
  "Kreeg een flinke schok van de PulsPro die ik bij Rugwijs heb gekocht, elektrode zat nog niet eens "
  "goed vast. Hele arm tintelt nog steeds. Mensen, niet meer gebruiken!",
  ["complaint", "crisis"])
P("instagram", "@lisa.in.motion", "en",
  "Rash all over my shoulders and back after the arnica oil they used on me at Rugwijs yesterday. I TOLD "
  "them I'm allergic to arnica, it's in my file. Antihistamines and a day off work. Great.",
  ["complaint", "crisis"])
P("x", "@jorisbeweegt", "nl",
  "Dry needling bij Rugwijs en de naald is afgebroken in mijn schouder. Moest naar de huisarts om het "
  "stukje eruit te laten halen. Ik ben er echt klaar mee.",
  ["complaint", "crisis"])
# complaint + abuse
P("x", "@ronnie_ggg", "nl",
  "Rugwijs is echt een kutbedrijf. 3x mijn afspraak afgezegd door jullie, 3x geen compensatie. "
  "Stelletje oplichters.",
  ["complaint", "abuse"])
P("x", "@dmitri_ok", "en",
  "@rugwijs_helpt you incompetent clowns lost my booking AGAIN. who the hell hires you people",
  ["complaint", "abuse"], kind="reply")
# complaint + own personal data
P("x", "@marieke_dkr", "nl",
  "@rugwijs_helpt al 4 mails gestuurd vanaf marieke.dekker88@hotmail.com over mijn dubbele afschrijving, "
  "nul reactie. Bel me desnoods: 06 4187 2290",
  ["complaint", "pii"], kind="reply")

# ---------------- reputation.crisis (third party, boycott, breach, lawsuit) -----------
P("x", "@nieuwsutrecht", "nl",
  "Patiënte klaagt Rugwijs aan na een beroerte die zou zijn ontstaan door een nekmanipulatie in de "
  "vestiging Utrecht-Oost. De zaak dient in maart. #rugwijs",
  ["crisis"])
P("x", "@healthwatch_eu", "en",
  "Rugwijs is recalling a batch of its Warmtekussen Pro heat pads after several reports of overheating, "
  "according to the NVWA notice published this morning.",
  ["crisis"])
P("x", "@boos_op_rugwijs", "nl",
  "#BoycotRugwijs — ze lozen masseuses die zwanger worden en huren dan zzp'ers in voor de helft. "
  "Ga er niet meer heen en deel dit!!",
  ["crisis"])
P("reddit", "u/privacy_nerd_nl", "en",
  "Rugwijs booking data is being sold on a forum right now: names, phone numbers, treatment notes. Saw "
  "the sample myself. Company hasn't said a word. #databreach",
  ["crisis"])
P("facebook", "moedersvoormoeders", "nl",
  "Let op! Volgens een oud-medewerker in het AD werken er bij Rugwijs 'chiropractors' zonder "
  "geregistreerde opleiding. Ik heb mijn baby daar laten behandelen 😱😱",
  ["crisis"])
P("x", "@journo_femke", "en",
  "The health inspectorate (IGJ) has opened an investigation into Rugwijs after a complaint about a "
  "chiropractic treatment on a 3-month-old. The company declined to comment.",
  ["crisis"])
P("threads", "@annelies.schrijft", "nl",
  "Mijn buurvrouw is tijdens een massage bij Rugwijs flauwgevallen op de behandeltafel en met de "
  "ambulance afgevoerd. Ze is gelukkig stabiel, maar wat een schrik.",
  ["crisis"])
P("bluesky", "@consumentrecht.bsky.social", "en",
  "A class action is being prepared against Rugwijs over no-show fees charged to thousands of "
  "customers who had cancelled on time. Sign-up opens next week.",
  ["crisis"])
P("x", "@xXtanjaXx", "nl",
  "#B0yc0tRugw1js !!! ze behandelen hun personeel als oud vuil, ga er NOOIT meer heen",
  ["crisis"])
P("x", "@anon_backpain", "en",
  "Rugwijs leaked my medical notes to my employer. I'm going to the press. " + CYR_BOYCOTT + " them.",
  ["crisis"])

# ---------------- reputation.abuse ----------------------------------------------------
P("instagram", "@dutchie_4life", "nl",
  "@noor.masseert ik weet precies waar je werkt en wanneer je dienst hebt schatje. tot dinsdag 😘😘",
  ["abuse"], kind="comment")
P("x", "@trollface_88", "en",
  "rugwijs = glorified back rubbers for idiots. chiropractic is quackery and so are you morons",
  ["abuse"])
P("x", "@xander_010", "nl",
  "k4nk3rb3dr1jf rugw1js, h0p3n d4t j3 f41ll13t g44t",
  ["abuse"])
P("instagram", "@gewoon_eerlijk_", "nl",
  "Die masseuse met die hoofddoek bij Rugwijs Den Haag moet je echt niet willen, zulke mensen horen "
  "hier niet thuis",
  ["abuse"], kind="comment")
P("youtube", "@gymrat_rick", "en",
  "lmao look at this fat clown teaching 'posture'. rugwijs delete your channel",
  ["abuse"], kind="comment")
P("x", "@pw_anoniem", "nl",
  "r u g w i j s  =  k.u.t.z.o.o.i  en jullie masseurs zijn t y f u s l i j e r s",
  ["abuse"])
P("x", "@angryal", "en",
  "@rugwijs_helpt shut up with your fake-nice replies, nobody asked you, dumb bots with a logo",
  ["abuse"], kind="reply")
P("tiktok", "@daaaanig", "nl",
  "rugwijs personeel zijn allemaal mislukte fysio's die nergens anders werden aangenomen 🤡🤡 losers",
  ["abuse"], kind="comment")
P("x", "@lotte_rugwijs", "nl",
  "@fleurtjuh_ als je nou gewoon eens je eigen app leest in plaats van te janken, stomme trut",
  ["abuse"], kind="reply")
P("x", "@ghost_user_91", "en",
  fw("rugwijs staff are useless idiots"),
  ["abuse"])

# ---------------- leak.pii --------------------------------------------------------------
P("x", "@rugwijs_helpt", "nl",
  "@jeroen_b Hoi Jeroen, we hebben je terugbetaling van €75 vandaag overgemaakt naar %s t.n.v. "
  "J. Bakker. Binnen 2 werkdagen op je rekening! ^Sanne" % group4(IBAN_REFUND),
  ["pii"], kind="reply")
P("facebook", "RugwijsNL", "nl",
  "Hoi Petra, je nieuwe afspraak staat op 14 oktober om 10:30 in Amersfoort. De bevestiging gaat naar "
  "petra.vanvliet@kpnmail.nl en we sturen je nog een sms op 06-23918475.",
  ["pii"], kind="comment")
P("x", "@mvanleeuwen_rw", "nl",
  "Wie kent mevrouw A. Kramer, geboren 12-03-1958? Ze heeft haar leesbril laten liggen in onze "
  "praktijk in Utrecht en we krijgen haar niet te pakken 👓",
  ["pii"])
P("linkedin", "ayse-yilmaz-chiropractor", "en",
  "Proud of this recovery story! Our patient Johan Visser (born 4 May 1979, Kerkstraat 21, Houten) came "
  "in barely able to walk and last Sunday he ran his first 10k. Thanks Johan for letting me share!",
  ["pii"])
P("x", "@bram_dev_rw", "en",
  "anyone know why the Mollie webhook keeps failing for this one customer? payload: "
  "{\"name\":\"Evelien Smit\",\"iban\":\"%s\",\"email\":\"e.smit@ziggo.nl\"}" % IBAN_WEBHOOK,
  ["pii"])
P("linkedin", "daan-kuipers-rugwijs", "nl",
  "Voor de salarisadministratie van onze nieuwe collega Mehmet Aydın: BSN %s, start 1 september. "
  "Kan iemand van payroll dit oppakken? Dank!" % BSN_NEWHIRE,
  ["pii"])
P("x", "@koen_vd_meer", "nl",
  "@rugwijs_helpt betaling voor de rittenkaart mislukt steeds, kaartnummer %s exp 09/28, kunnen "
  "jullie het handmatig doen?" % group4(CARD_CUSTOMER),
  ["pii"], kind="reply")
P("reddit", "u/newtoNL_ana", "en",
  "Moving to Utrecht, trying to register with Rugwijs and the form keeps asking for a BSN. Mine is %s, "
  "is that the nine digits on the letter from the gemeente? Sorry if dumb question" % BSN_EXPAT,
  ["pii"])
P("facebook", "opa.gerrit.hendriks", "nl",
  "Mijn kleindochter Sophie de Boer (geb. 21-07-2011) heeft morgen haar eerste sportmassage bij "
  "Rugwijs Apeldoorn, ze is zó zenuwachtig 😄",
  ["pii"])
P("instagram", "@rugwijs.nl", "en",
  "Congrats to the winner of our Zen 5 giveaway: Linda Hoekstra, Vondelstraat 118-2, 1054 GR Amsterdam! "
  "Your chair ships Monday 🎉",
  ["pii"])
P("instagram", "@noor.masseert", "nl",
  "Wie heeft er vandaag zijn telefoon laten liggen in behandelkamer 3? Er belt steeds '+31 6 5532 0918 "
  "Mama' haha 📱",
  ["pii"])
P("x", "@laura_sterk", "en",
  "hey @rugwijs_helpt can you call me back about my invoice? +31 6 2894 1173, after 5pm works best",
  ["pii"])
P("bluesky", "@sem-rugwijs.bsky.social", "en",
  "Exported the newsletter list for the agency, first rows look right: anouk.peeters@gmail.com, "
  "r.jansen1966@outlook.com, tim.vdberg@live.nl ... sending it over now",
  ["pii"])
P("x", "@rugwijs", "nl",
  "@iris_loopt We zien de dubbele afschrijving op kaart %s, het bedrag staat binnen 5 werkdagen weer "
  "op je rekening. Sorry voor het gedoe!" % group4(CARD_CORP_REPLY),
  ["pii"], kind="reply")

# ---------------- leak.secret -----------------------------------------------------------
P("x", "@bram_dev_rw", "en",
  "ugh why does this keep 403ing\n\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n"
  "aws s3 ls s3://rw-invoices-prod" % (AKIA, AWS_SECRET),
  ["secret"])
P("x", "@kevinops_rw", "nl",
  "Iemand anders ook problemen met pushen? git remote set-url origin https://%s@github.com/rugwijs/"
  "booking-api.git en nog steeds 'authentication failed' 🤯" % GHP,
  ["secret"])
P("bluesky", "@sem-rugwijs.bsky.social", "en",
  "can someone tell me why our campaign mails bounce?? config says SENDGRID_API_KEY=%s and the "
  "dashboard says key valid 🙃" % SENDGRID,
  ["secret"])
P("x", "@rugwijs", "nl",
  "Team: nieuwe inlog voor de planningstool van social staat klaar, wachtwoord: Kn3ed!ng-Ruggen26 "
  "(niet doorsturen aub)",
  ["secret"])
P("x", "@bram_dev_rw", "en",
  "booking API rejects this with 'invalid signature' and I'm losing my mind\nAuthorization: Bearer %s"
  % JWT,
  ["secret"])
P("x", "@kevinops_rw", "nl",
  "DATABASE_URL=postgres://boekingen_admin:%s@rw-prod-db.c7hq2xk9plm1.eu-central-1.rds.amazonaws.com"
  ":5432/boekingen\nwaarom timeout hij vanaf mijn laptop? 🤔" % PG_PW,
  ["secret"])
P("x", "@bram_dev_rw", "en",
  "our slack alert bot stopped posting overnight. token is %s, do these expire??" % SLACK,
  ["secret"])
P("x", "@freelance_dev_joost", "en",
  "Found this in the public Rugwijs booking widget JS lol:\nconst STRIPE_SECRET = \"%s\";\nsomeone "
  "over there should rotate that asap" % STRIPE,
  ["secret"])
P("x", "@bram_dev_rw", "en",
  "which one of these is the deploy key again, the CI keeps rejecting it\n" + SSH_KEY,
  ["secret"])
P("x", "@kevinops_rw", "nl",
  "Onze afsprakenchatbot geeft ineens 401. Key is %s , klopt die nog of is ie ingetrokken?" % OPENAI,
  ["secret"])
P("x", "@mvanleeuwen_rw", "nl",
  "Voor de invallers deze week: inloggen op https://admin.boeken.rugwijs.nl met praktijk-utrecht / "
  "wachtwoord: Ruggengraat#Utr2026 🙏",
  ["secret", "conf"])
P("reddit", "u/throwaway_rw_ex", "en",
  "Rugwijs still hasn't rotated the Google Maps key in their app, I left a year ago: %s . "
  "Still works." % GOOGLE,
  ["secret"])

# ---------------- leak.pricing ----------------------------------------------------------
P("x", "@rugwijs", "nl",
  "🔥 Alleen vandaag: de Rugwijs Massagestoel Zen 5 voor €189! Op = op via boeken.rugwijs.nl/shop",
  ["pricing"])
P("instagram", "@rugwijs.nl", "en",
  "Treat yourself this weekend: Hot Stone Massage 90 min for just €10.90 💆‍♀️ Book now via link in bio!",
  ["pricing"])
P("bluesky", "@sem-rugwijs.bsky.social", "nl",
  "Oeps, de PulsPro staat in de webshop voor €11,90. Prijsfout, wordt aan gewerkt, niet doorvertellen 🙈",
  ["pricing"])
P("x", "@dealjager_nl", "nl",
  "PRIJSFOUT bij Rugwijs: 10-rittenkaart massage voor €64,90 ipv €649!! Snel zijn #prijsfout #deal",
  ["pricing"])
P("reddit", "u/bargainhunter_eu", "en",
  "Rugwijs webshop has the Massagegun M3 at €19.90 right now, pretty sure it's a glitch. Ordered two.",
  ["pricing"])
P("x", "@lotte_rugwijs", "nl",
  "Collega's, de Warmtekussen Pro staat op de site voor €7,99 😂 wie heeft dit erin gezet",
  ["pricing"])
P("facebook", "RugwijsNL", "nl",
  "Nieuw: Rugwijs Abonnement Plus nu voor maar €5,49 per maand! Met korting op al je behandelingen.",
  ["pricing"])
P("forum", "@pepper_dealz", "nl",
  "HOT 🔥 Rugwijs Nekkussen Ergo €6,49 (prijsfout?) verzending gratis boven de 5 euro",
  ["pricing"])
P("x", "@sparen_met_sas", "en",
  "price error on the Rugwijs Zen 5 massage chair, cart says €18.99 incl shipping lol",
  ["pricing"])
P("tiktok", "@jasmijn.chiro", "nl",
  "chiro intake bij ons deze week maar €8,90?? volgens mij een typfout op de site haha, snel boeken dan 😅",
  ["pricing"])
P("tiktok", "@rugwijs", "en",
  "Duo massage for two, now only €13.90 ✨ link in bio",
  ["pricing"])
P("x", "@korting_koning", "nl",
  "Rugwijs heeft een prijsfout op de Foamroller Dual, in je winkelmandje is ie zo goed als gratis. "
  "Bestellen voor ze het doorhebben!",
  ["pricing"])

# ---------------- leak.confidential -----------------------------------------------------
P("x", "@bram_dev_rw", "en",
  "Kolibrie sprint demo went great today, the new booking engine handles 3x the load. can't wait until "
  "we can talk about it publicly 🐦",
  ["conf"])
P("linkedin", "erik-de-wit-rugwijs", "nl",
  "Trots op het team: de jaarcijfers 2026 laten een omzetgroei van 18% zien en voor het eerst een "
  "positieve EBITDA. Meer in maart!",
  ["conf", "fin"], at="2026-12-15T17:05:00Z")
P("x", "@mvanleeuwen_rw", "nl",
  "Net de demo gezien van de Rugwijs Thuiscoach: oefeningen op maat in de app, afgestemd door je eigen "
  "chiropractor. Gaaf! 🤫",
  ["conf"], at="2026-11-06T14:20:00Z")
P("tiktok", "@jasmijn.chiro", "nl",
  "als jullie eens wisten wat we met Project Wervelwind aan het bouwen zijn 👀👀 mag nog niks zeggen",
  ["conf"])
P("linkedin", "rugwijs-praktijken", "nl",
  "ALLEEN VOOR INTERN GEBRUIK — concept persbericht nieuwe huisstijl, nog niet publiceren. Feedback "
  "graag voor vrijdag.",
  ["conf"])
P("x", "@ex_rugwijs_mw", "nl",
  "Hoor van een oud-collega dat Rugwijs met 'Operatie Zandloper' alle kleine praktijken in Gelderland "
  "wil opkopen. Dáárom bellen ze dus overal rond.",
  ["conf", "fin"])
P("x", "@kevinops_rw", "en",
  "if anyone from the team reads this: grafana.rugwijs.nl/d/boekingen is broken again, use the "
  "backup dashboard for now",
  ["conf"])
P("instagram", "@noor.masseert", "nl",
  "Net de nieuwe PulsPro 2 mogen testen op mijn collega's, zóveel beter dan de oude 😍 #rugwijs "
  "#teamtesting",
  ["conf"], at="2026-10-09T12:30:00Z")
P("linkedin", "daan-kuipers-rugwijs", "en",
  "Sneak peek of our new onboarding guide (Rugwijs intern, so don't share 😉) — really proud of how it "
  "turned out!",
  ["conf"])
P("x", "@bram_dev_rw", "nl",
  "Morgen go-live van Pro" + ZW + "ject Wer" + ZW + "vel" + ZW + "wind in de eerste 3 praktijken 🚀",
  ["conf"])
P("bluesky", "@sem-rugwijs.bsky.social", "en",
  "Big week for " + fw("KOLIBRIE") + " 🐦 stay tuned",
  ["conf"])
P("reddit", "u/insider_maybe", "en",
  "Friend who works at Rugwijs says the Rugwijs Thuiscoach app launches in January, with AI posture "
  "scans from your phone camera. You heard it here first.",
  ["conf"], at="2026-12-01T20:40:00Z")
P("x", "@lotte_rugwijs", "nl",
  "Hahaha iemand heeft het rooster op intra.rugwijs.local/rooster weer helemaal omgegooid, wie was dat 😤",
  ["conf"])
P("x", "@mvanleeuwen_rw", "en",
  "Exec update said the FY2026 results will land around €41M revenue, well above plan. Bonus year "
  "maybe 🤞",
  ["conf", "fin"], at="2026-11-20T18:02:00Z")
P("linkedin", "ayse-yilmaz-chiropractor", "nl",
  "Stukje uit de interne nieuwsbrief, niet extern delen, maar ik ben zo trots: onze praktijk in Breda "
  "is de best beoordeelde van het land! 🏆",
  ["conf"])
P("x", "@kevinops_rw", "nl",
  "vpn.rugwijs.nl ligt er sinds 6u weer uit, niemand in de praktijken kan bij de patiëntdossiers. "
  "Communicatie wil nog niks naar buiten brengen",
  ["conf", "sec"])
P("x", "@rugwijs", "nl",
  "Binnenkort: de Rugwijs Thuiscoach! Jouw oefenschema altijd bij de hand 📱 Stay tuned...",
  ["conf"], at="2026-12-20T10:00:00Z")
P("x", "@bram_dev_rw", "en",
  "MR is up: git.rugwijs.nl/booking/kolibrie-core/-/merge_requests/412 reviewers pls 🙏",
  ["conf"])

# ---------------- leak.financial --------------------------------------------------------
P("linkedin", "erik-de-wit-rugwijs", "en",
  "Between us: Q3 came in 9% below forecast and we'll revise the full-year guidance down next month. "
  "Tough quarter, but the team is resilient.",
  ["fin"])
P("x", "@mvanleeuwen_rw", "nl",
  "Slecht nieuws op de managersmeeting: in het voorjaar gaan er 4 praktijken dicht en verliezen zo'n 60 "
  "mensen hun baan. Mag het nog niet zeggen maar ik ben er kapot van.",
  ["fin"])
P("x", "@lotte_rugwijs", "nl",
  "Gerucht bevestigd door mijn leidinggevende: we worden overgenomen door FysioHolding Nederland. "
  "Handtekening in november.",
  ["fin"])
P("x", "@beleggerbert", "nl",
  "Via via: Rugwijs praat met een private-equitypartij over een verkoop voor zo'n 120 miljoen. Nog "
  "niet officieel, dus je hoort het hier eerst.",
  ["fin"])
P("linkedin", "daan-kuipers-rugwijs", "en",
  "Busy weeks ahead in HR: we're preparing the reorganisation that merges the massage and chiro teams, "
  "around 35 roles will go. Announcement is planned for after the holidays.",
  ["fin"])
P("bluesky", "@sem-rugwijs.bsky.social", "nl",
  "Het doel voor 2027 dat vandaag op het scherm stond: 250.000 boekingen en 55 miljoen omzet. "
  "Ambitieus 😅",
  ["fin"])
P("linkedin", "rugwijs-praktijken", "en",
  "Draft for review: Rugwijs has signed a letter of intent to acquire PraktijkPlus (14 clinics). "
  "Signing expected 30 Nov. Do not publish before legal sign-off.",
  ["fin"])
P("x", "@kevinops_rw", "en",
  "just heard IT is being outsourced next year, whole ops team gone by Q2. great. 🙃",
  ["fin"])
P("tiktok", "@jasmijn.chiro", "nl",
  "volgens de praktijkmanager zitten we dit kwartaal 30% onder budget en moeten er echt locaties dicht 😬",
  ["fin"])

# ---------------- leak.security ---------------------------------------------------------
P("x", "@kevinops_rw", "en",
  "ransomware on two front-desk PCs in Amersfoort this morning. pulled them off the network, hoping it "
  "didn't get to the booking DB. not public yet so shh",
  ["sec"])
P("x", "@bram_dev_rw", "nl",
  "Lol net ontdekt dat je in de boekings-API elk afspraak-ID kunt opvragen zonder in te loggen. Fix "
  "komt volgende week 🙃",
  ["sec"])
P("x", "@kevinops_rw", "nl",
  "Boekingssysteem plat sinds 05:40, certificaat verlopen. Nog geen statusbericht online, we houden het "
  "even stil tot het weer draait",
  ["sec"])
P("linkedin", "ayse-yilmaz-chiropractor", "en",
  "Heads-up colleagues: someone opened patient files with my account last night, and IT says several "
  "staff accounts were compromised. Change your passwords today!",
  ["sec"])
P("x", "@lotte_rugwijs", "nl",
  "Collega's opletten: er gaan phishingmails rond namens 'Rugwijs Salaris' en volgens IT hebben al 5 "
  "mensen hun inlog ingevuld. Ze zoeken nog uit wat er is buitgemaakt.",
  ["sec"])
P("x", "@bram_dev_rw", "en",
  "fun fact: the password reset tokens in our app never expire and they're sequential 😬 filed it, "
  "prio 'low' apparently",
  ["sec"])
P("forum", "@pentest_pieter", "en",
  "Did a pentest for Rugwijs last month. Their staging admin portal is reachable from the internet and "
  "still accepts admin/admin. Reported it, ignored.",
  ["sec"])
P("bluesky", "@sem-rugwijs.bsky.social", "en",
  "Our newsletter tool got hijacked over the weekend, someone sent phishing to ~2k customers from our "
  "account. Legal is still deciding whether we have to notify anyone. Ugh.",
  ["sec"])
P("x", "@mvanleeuwen_rw", "nl",
  "Pinautomaten in al onze Utrechtse praktijken liggen eruit door een storing bij de betaalprovider, "
  "klanten kunnen niet pinnen en we mogen het niet op social zetten",
  ["sec"])
P("tiktok", "@jasmijn.chiro", "en",
  "IT told us not to touch the tablets in the treatment rooms bc there's malware on them lol, all on "
  "paper today",
  ["sec"])
P("reddit", "u/former_rw_it", "nl",
  "Ex-IT'er van Rugwijs hier: de boekingsservers draaien nog op Windows Server 2012 zonder updates, "
  "bekende lekken staan gewoon open. Heb het gemeld, er is niks mee gedaan.",
  ["sec"])
P("x", "@kevinops_rw", "en",
  "DDoS on boeken.rugwijs.nl since 9, we're throttling. don't tweet about it from the main account "
  "yet pls",
  ["sec"])

# ---------------- benign (mostly hard negatives) ---------------------------------------
P("x", "@annavdberg", "nl",
  "Eindelijk van mijn hoofdpijn af na 4 behandelingen bij de chiropractor van Rugwijs Leiden. "
  "Echt een aanrader!")
P("instagram", "@runwithmila", "en",
  "Sports massage at Rugwijs before the marathon = legs like new. Noor is an absolute wizard 🙌")
P("x", "@teun_fietst", "nl",
  "Mijn rug kraakte harder dan de vingers van de chiropractor haha. Maar ik loop weer rechtop 😂 #rugwijs")
P("x", "@jesslovesyoga", "en",
  "that deep tissue at rugwijs absolutely killed me (in the best way). booking again next month")
P("facebook", "marjan.bos.71", "nl",
  "Wat een wervelwind is die nieuwe masseuse in Zwolle, in een uur alle knopen eruit. Heel fijn!",
  kind="comment")
P("tiktok", "@stefvlogt", "nl",
  "lekker ontspannen bij rugwijs na een week vol deadlines 😮‍💨 #selfcare")
P("reddit", "u/expat_in_ams", "en",
  "Does anyone know if chiropractic at Rugwijs is covered by basic Dutch health insurance or only the "
  "aanvullende? First visit next week.")
P("x", "@bakkertje_mo", "nl",
  "@rugwijs_helpt kan ik mijn Abonnement Plus ook pauzeren als ik 2 maanden op reis ga?", kind="reply")
P("forum", "@NeckNerd", "en",
  "Is the Rugwijs PulsPro any good compared to the cheaper TENS units on bol? Worth €119?")
P("x", "@lotje_r", "nl",
  "Is dry needling pijnlijk? Heb morgen mijn eerste sessie bij Rugwijs en ik ben best zenuwachtig 😬")
P("x", "@rugwijs_helpt", "nl",
  "Vragen over je afspraak? Mail naar afspraken@rugwijs.nl of bel 030-7994400 (ma-vr 8-20u). "
  "We helpen je graag!")
P("facebook", "RugwijsNL", "nl",
  "Liever per bankoverschrijving betalen? Dat kan: %s t.n.v. Rugwijs Praktijken B.V., o.v.v. je "
  "factuurnummer." % group4(PROFILE["public_identifiers"]["ibans"][0]))
P("linkedin", "rugwijs-praktijken", "en",
  "We're hiring! 20 massage therapists and 5 chiropractors for our Utrecht and Amersfoort teams. "
  "Apply via werkenbij@rugwijs.nl")
P("instagram", "@rugwijs.nl", "en",
  "Press enquiries? Reach our team at pers@rugwijs.nl or call +31 30 799 4400.")
P("x", "@rugwijs", "nl",
  "Gratis bellen met onze klantenservice? 0800-0747. Of boek direct via boeken.rugwijs.nl 💆")
P("instagram", "@rugwijs.nl", "nl",
  "Black Friday 🖤 25% korting op de Massagegun M3: nu €149 i.p.v. €199. Alleen t/m zondag!",
  at="2026-11-27T07:00:00Z")
P("facebook", "RugwijsNL", "nl",
  "Moederdagactie: een duo-massage voor €119 (normaal €139). Verras je moeder 💐",
  at="2026-05-01T08:00:00Z")
P("x", "@dealmeisje", "nl",
  "Warmtekussen Pro bij Rugwijs nu €63,95 met code WARM20, ideaal nu het kouder wordt")
P("tiktok", "@rugwijs", "en",
  "Spring sale 🌸 15% off the Foamroller Dual, now €29.70")
P("instagram", "@noor.masseert", "nl",
  "Voor mijn vaste klanten: deze maand 10% korting op de hot stone massage, dus €98,10 ipv €109 💛")
P("x", "@tim_commutes", "en",
  "Paid €75 for a 60-min sports massage at Rugwijs. Pricey, but honestly worth every cent.")
P("x", "@rugwijs", "nl",
  "De Massagestoel Zen 5 is weer op voorraad! €1.899, gratis bezorgd en geïnstalleerd.")
P("facebook", "gerda.vanhouten", "nl",
  "Met mijn aanvullende verzekering krijg ik €30 per behandeling vergoed, dus de chiro "
  "vervolgbehandeling van €59 kost me netto €29. Prima te doen.", kind="comment")
P("threads", "@sophie.lifts", "en",
  "The 10-rittenkaart at Rugwijs works out to €64.90 per massage vs €69 for a single relax massage. "
  "Math checks out, bought one.")
P("x", "@fin_vraagje", "nl",
  "Overmaken naar Rugwijs lukte niet, bankapp zei dat %s niet bestaat. Blijkt dat ik een cijfer "
  "verkeerd had overgetypt van de factuur 🤦‍♀️" % IBAN_BAD_1)
P("reddit", "u/ux_nitpicker", "en",
  "Small thing but nice: the Rugwijs booking form validates card numbers. Typed %s (made up, just "
  "testing) and it said invalid right away." % group4(CARD_BAD_1))
P("linkedin", "daan-kuipers-rugwijs", "nl",
  "Tip voor sollicitanten: vul nooit een echt BSN in als voorbeeld in een formulier. Ons veld weigert "
  "bijvoorbeeld %s gewoon, en dat is maar goed ook." % BSN_BAD)
P("x", "@rugwijs_helpt", "nl",
  "@gerdien_w Dat nummer (%s) klopt niet helemaal, daar zit een typfout in. Stuur je je IBAN even via "
  "DM? Dan zetten we de terugbetaling klaar." % group4(IBAN_BAD_2), kind="reply")
P("x", "@wout_koopt", "en",
  "Rugwijs order confirmation just came in, ref %s, foam roller arrives Thursday 🙌" % group4(CARD_BAD_2))
P("x", "@bram_dev_rw", "en",
  "Writing docs for our S3 setup? Use the placeholders AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY like the AWS docs do. Never real keys in docs.")
P("x", "@kevinops_rw", "nl",
  "Reminder voor het team: tokens in screenshots altijd blurren of maskeren, zo dus: %s 👍"
  % GHS_SAMPLE_MASKED)
P("blog", "@devblog_marloes", "en",
  "Integrated the Rugwijs booking widget on a partner site today. Config is just:\n"
  "RUGWIJS_WIDGET_KEY=\"your-widget-key-here\"\nSTRIPE_KEY=\"sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\"\n"
  "Swap in your own and you're done.")
P("x", "@rugwijs_helpt", "nl",
  "Wachtwoord vergeten? Ga naar boeken.rugwijs.nl/inloggen en klik op 'wachtwoord vergeten'. Wij vragen "
  "NOOIT om je wachtwoord via DM of mail!")
P("x", "@veilig_online_nl", "en",
  "Rugwijs app asked me to set up 2FA today. Love that a massage place takes account security seriously 👍")
P("linkedin", "rugwijs-praktijken", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €41,2 miljoen, 18% groei en voor het eerst een "
  "positieve EBITDA. Het volledige jaarverslag staat op rugwijs.nl/investeerders.",
  at="2027-03-04T07:30:00Z")
P("x", "@fin_analyst_nl", "en",
  "Rugwijs FY2026 results are out: revenue +18%, first positive EBITDA. Solid for a care chain.",
  at="2027-03-05T11:12:00Z")
P("x", "@rugwijs", "nl",
  "Hij is er! De Rugwijs Thuiscoach staat vanaf vandaag in de App Store en Google Play 📱",
  at="2027-01-19T09:05:00Z")
P("instagram", "@rekmeisje", "en",
  "Two weeks with the Rugwijs Thuiscoach app and the daily stretches actually help my neck. Who knew.",
  at="2027-02-02T19:45:00Z")
P("instagram", "@noor.masseert", "nl",
  "De PulsPro 2 is eindelijk te koop! Ik gebruik hem al een tijdje bij klanten en ben echt fan.",
  at="2027-01-25T16:10:00Z")
P("x", "@sanne_loopt", "nl",
  "Update: @rugwijs_helpt heeft me gebeld, excuses gemaakt en de dubbele boeking gecompenseerd met een "
  "gratis behandeling. Netjes opgelost 👍", at="2026-03-12T15:30:00Z")
P("reddit", "u/stiffneck_dave", "en",
  "Update on my no-show fee post: Rugwijs refunded the €35 and said it was an app bug that's now fixed. "
  "Fair enough, thanks to whoever pushed that through.", at="2026-04-05T10:02:00Z")
P("facebook", "joke.van.ommen", "nl",
  "Sterkte aan het team van Rugwijs Zwolle na de brand in het pand naast jullie. Fijn dat niemand gewond "
  "is en dat jullie volgende week weer open gaan ❤️", kind="comment")
P("x", "@ellen_bakes", "en",
  "Thinking of the Rugwijs staff in Breda today after that awful car crash outside the clinic. "
  "Hope your colleague recovers quickly 💐")
P("x", "@zorgnieuws_nl", "nl",
  "Fysioketen BewegenPlus krijgt een boete voor een datalek met 30.000 patiëntgegevens. Goed moment "
  "voor Rugwijs en de rest van de branche om de eigen beveiliging eens na te lopen.")
P("x", "@marketwatcher_nl", "en",
  "KneadCo announced 200 layoffs today. Meanwhile Rugwijs keeps opening clinics. Interesting contrast "
  "in the Dutch massage market.")
P("x", "@brabantsdagblad_fan", "nl",
  "Overname in fysioland: Hollands Beweegt neemt 12 praktijken in Brabant over. Rugwijs zit daar "
  "gelukkig niet bij, ik wil mijn eigen chiro houden.")
P("x", "@rugwijs_helpt", "nl",
  "Update 11:20: onze boekingsomgeving is weer volledig bereikbaar. Excuses voor de storing van "
  "vanochtend, alle afspraken van vandaag gaan gewoon door.")
P("x", "@healthyhabits_jo", "en",
  "Lifehack: 10 minutes on a foam roller before bed. My Rugwijs therapist swears by it and she's right.")
P("linkedin", "ayse-yilmaz-chiropractor", "en",
  "Great CPD day on safe cervical manipulation techniques. Patient safety always comes first in our "
  "practice.")
P("x", "@infosec_ilse", "nl",
  "Rugwijs heeft gewoon een security.txt met een nette meldprocedure voor kwetsbaarheden. Meer "
  "zorgbedrijven zouden dat moeten doen.")
P("linkedin", "rugwijs-praktijken", "en",
  "We're delighted to welcome the team of Praktijk De Linde in Amersfoort to the Rugwijs family, as "
  "announced in today's press release.")
P("x", "@gymjunk", "nl",
  "Mijn chiropractor bij Rugwijs is een beest, in 3 sessies van krom naar kaarsrecht 💪")
P("x", "@moe_maar_blij", "nl",
  "Ik ben helemaal kapot na die sportmassage haha, maar morgen voel ik me vast herboren")
P("x", "@mvanleeuwen_rw", "nl",
  "Welkom in het team, Fatma en Rick! Vanaf maandag in onze praktijk in Utrecht 🎉")
P("threads", "@claire.runs", "en",
  "Rugwijs remembered I prefer a female therapist without me having to ask again. Small things matter.")
P("x", "@rugwijs_helpt", "en",
  "@laura_sterk Thanks Laura, we've sent you a DM so you don't have to share your number here. Talk soon!",
  kind="reply")
P("instagram", "@kunst_in_de_wachtkamer", "en",
  "Loved the kolibrie (hummingbird) painting in the Rugwijs Leiden waiting room, so calming 🎨")
P("x", "@pragmatic_paul", "en",
  "Reminder: cancel your Rugwijs appointment 24h ahead or you pay the no-show fee. It's on their site, "
  "fair enough.")
P("tiktok", "@jasmijn.chiro", "nl",
  "POV: je bent chiropractor en op elke verjaardag vraagt iemand of je 'even naar hun rug wilt kijken' 😂")
P("youtube", "@RugwijsTV", "nl",
  "Nieuwe video: 5 oefeningen voor een soepele onderrug, met chiropractor Jasmijn. Doe ze mee en laat "
  "in de comments weten hoe het ging!")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
LEAK = ("leak.",)
IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}\s?\d{4}\s?\d{4}\s?\d{2}\b")
CARD_RE = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")
BSN_RE = re.compile(r"(?i)\b(?:bsn|burgerservicenummer)\D{0,25}?(\d[\d. ]{7,11}\d)")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def checksum_ids(text):
    """(kind, value, valid) for every IBAN / card / BSN look-alike in the text"""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v not in PUB_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) == 9:
            out.append(("bsn", digits, bsn_ok(digits)))
    return out


def severity(cats, role, text):
    if not cats:
        return "none"
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith(LEAK):
            if not inside:
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
            up("error" if inside else "warning")
    return sev


PLAT_PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "forum": "fo", "bluesky": "bs", "threads": "th",
               "blog": "bl", "mastodon": "ma"}
START = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - START).total_seconds())


def build():
    lines = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    seq = 4440000
    for idx in order:
        c = CASES[idx]
        seq += rng.randint(3, 97)
        pid = "%s-%d" % (PLAT_PREFIX[c["platform"]], seq)
        at = c["at"] or (START + dt.timedelta(seconds=rng.randint(0, SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": at, "brand": c["brand"] or "rugwijs"}
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1880000000000000000 + seq)
        cats = sorted(set(c["cats"]))
        lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, c["text"])},
                      "_role": role})
    return lines


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
VALID_PLAT = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
              "mastodon", "bluesky", "threads", "forum", "blog", "other"}
VALID_KIND = {"post", "reply", "repost", "comment", "message"}
VALID_CATS = set(CAT.values())


def check(lines):
    errs = []
    ids = set()
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    internal_terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
                      + [m.lower() for m in PROFILE["internal"]["markers"]]
                      + [c.lower() for c in PROFILE["internal"]["codenames"]])
    # hard negatives that deliberately reuse an internal word in a harmless sense
    benign_internal_ok = {"kolibrie"}
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        tag = p.get("id")
        # CONTRACT section 1 / 6 shape
        for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), t):
                errs.append("%s: field %s" % (tag, f))
        if not (1 <= len(p["id"]) <= 256):
            errs.append("%s: id length" % tag)
        if p["id"] in ids:
            errs.append("%s: duplicate id" % tag)
        ids.add(p["id"])
        if p["platform"] not in VALID_PLAT or p["kind"] not in VALID_KIND:
            errs.append("%s: platform/kind" % tag)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errs.append("%s: account.handle" % tag)
        if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append("%s: text size" % tag)
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and ts.year in (2026, 2027)
        except Exception:
            errs.append("%s: created_at" % tag)
            continue
        if set(e) != {"categories", "severity"} or e["severity"] not in ORDER:
            errs.append("%s: expect shape" % tag)
        if any(c not in VALID_CATS for c in e["categories"]) or e["categories"] != sorted(set(e["categories"])):
            errs.append("%s: categories" % tag)
        if "reputation.spike" in e["categories"]:
            errs.append("%s: spike on a single post" % tag)
        if (e["severity"] == "none") != (not e["categories"]):
            errs.append("%s: severity none iff benign" % tag)
        # severity re-derived independently of the build step
        if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), p["text"]):
            errs.append("%s: severity" % tag)
        # checksums
        benign = not e["categories"]
        for kind, val, ok in checksum_ids(p["text"]):
            if benign and ok:
                errs.append("%s: benign post carries a valid %s %s" % (tag, kind, val))
            if not benign and not ok:
                errs.append("%s: positive post carries an invalid %s %s" % (tag, kind, val))
        # credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if benign or not ghp_ok(tok):
                errs.append("%s: github token %s" % (tag, tok))
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", p["text"]):
            if tok.endswith("EXAMPLE"):
                continue
            if benign or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append("%s: aws key %s" % (tag, tok))
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            if benign or not jwt_ok(tok):
                errs.append("%s: jwt" % tag)
        # embargo terms: positive only before 'until', benign only after
        low = p["text"].lower()
        for term, until in emb:
            if term in low:
                if benign and ts < until:
                    errs.append("%s: benign post names embargo term %r before until" % (tag, term))
                if not benign and ts >= until:
                    errs.append("%s: positive embargo post after until" % tag)
                if not benign and ts < until and "leak.confidential" not in e["categories"]:
                    errs.append("%s: embargo term before until but not confidential" % tag)
        if benign:
            for term in internal_terms:
                if term in low and term not in benign_internal_ok:
                    errs.append("%s: benign post holds internal term %r" % (tag, term))
        # account role vs. expectations
        role = ln["_role"]
        if role == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in CORP | EMPL:
            errs.append("%s: role" % tag)
    # generated credential sanity
    assert ghp_ok(GHP) and jwt_ok(JWT) and re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA)
    assert iban_ok(IBAN_REFUND) and iban_ok(IBAN_WEBHOOK) and not iban_ok(IBAN_BAD_1) and not iban_ok(IBAN_BAD_2)
    assert luhn_ok(CARD_CUSTOMER) and luhn_ok(CARD_CORP_REPLY) and not luhn_ok(CARD_BAD_1) and not luhn_ok(CARD_BAD_2)
    assert bsn_ok(BSN_NEWHIRE) and bsn_ok(BSN_EXPAT) and not bsn_ok(BSN_BAD)
    for i in PUB_IBANS:
        assert iban_ok(i), i
    # mix
    n = len(lines)
    nb = sum(1 for ln in lines if not ln["expect"]["categories"])
    per = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= nb <= 65:
        errs.append("benign count %d" % nb)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for c, w in want.items():
        if not w - 2 <= per.get(c, 0) <= w + 3:
            errs.append("category %s count %d" % (c, per.get(c, 0)))
    if not 0.50 <= nl / n <= 0.60:
        errs.append("dutch share %.2f" % (nl / n))
    roles = {}
    for ln in lines:
        roles[ln["_role"]] = roles.get(ln["_role"], 0) + 1
    return errs, n, nb, per, nl, roles


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    for r, ln in zip(reread, lines):
        r["_role"] = ln["_role"]
    errs, n, nb, per, nl, roles = check(reread)
    print("cases=%d benign=%d dutch=%.0f%% roles=%s" % (n, nb, 100.0 * nl / n, roles))
    for c in sorted(per):
        print("  %-22s %d" % (c, per[c]))
    sev = {}
    for ln in reread:
        sev[ln["expect"]["severity"]] = sev.get(ln["expect"]["severity"], 0) + 1
    print("  severities", sev)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
