#!/usr/bin/env python3
"""Build the sealed457 evaluation set (Kroonlauw Trofeeen B.V.) and self-check it.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
this file. Severities are computed from the account role found in profile.yaml
(CONTRACT section 4), never typed by hand.
"""
import base64
import datetime as dt
import hashlib
import hmac
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
SEED = 457
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B62 = ALNUM
URLSAFE = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


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


def luhn_complete(prefix_digits):
    for c in "0123456789":
        if luhn_ok(prefix_digits + c):
            return prefix_digits + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and s != "000000000"


def bsn_make():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r == 10:
            continue
        s = "".join(map(str, d)) + str(r)
        assert bsn_ok(s)
        return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- secrets
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "u-1042", "name": "d.bosch", "role": "admin", "iss": "api.kroonlauw.nl",
               "iat": 1767950000, "exp": 1767993200}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = lambda s: s + "=" * (-len(s) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
    return "alg" in hdr


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def openssh_key():
    pk = bytes(rng.getrandbits(8) for _ in range(32))
    sk = bytes(rng.getrandbits(8) for _ in range(32))
    pub = ssh_string(b"ssh-ed25519") + ssh_string(pk)
    check = struct.pack(">I", rng.getrandbits(32))
    priv = check + check + ssh_string(b"ssh-ed25519") + ssh_string(pk) + ssh_string(sk + pk) \
        + ssh_string(b"deploy@kl-build-02")
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    blob = b"openssh-key-v1\x00" + ssh_string(b"none") + ssh_string(b"none") + ssh_string(b"") \
        + struct.pack(">I", 1) + ssh_string(pub) + ssh_string(priv)
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot():
    while True:
        a = str(rng.randint(10 ** 11, 10 ** 12 - 1))
        b = str(rng.randint(10 ** 12, 10 ** 13 - 1))
        if not luhn_ok(b):  # keep digit runs from looking like a valid card
            return "xoxb-%s-%s-%s" % (a, b, rand(string.ascii_letters + string.digits, 24))


def mollie_live():
    return "live_" + rand(string.ascii_letters + string.digits, 30)


def stripe_live():
    return "sk_live_51" + rand(string.ascii_letters + string.digits, 14) + rand(string.ascii_letters + string.digits, 83)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def password(n=14):
    while True:
        p = rand(string.ascii_letters + string.digits + "!#%&*?", n)
        if re.search(r"\d", p) and re.search(r"[!#%&*?]", p) and re.search(r"[A-Z]", p):
            return p


# ---------------------------------------------------------------- generated values
V = {}
V["company_iban"] = PROFILE["public_identifiers"]["ibans"][0]
V["company_iban_fmt"] = group4(V["company_iban"])
# valid personal IBANs (mod-97 ok)
V["iban_p2"] = iban_make("NL", "INGB" + "".join(str(rng.randint(0, 9)) for _ in range(10)))
V["iban_cust"] = iban_make("NL", "ASNB" + "".join(str(rng.randint(0, 9)) for _ in range(10)))
_be_acc = "".join(str(rng.randint(0, 9)) for _ in range(10))
_be_chk = int(_be_acc) % 97 or 97
V["iban_be"] = iban_make("BE", _be_acc + "%02d" % _be_chk)


def iban_broken(valid):
    cc, ck, rest = valid[:2], int(valid[2:4]), valid[4:]
    bad = "%s%02d%s" % (cc, (ck + 7) % 97 or 3, rest)
    assert not iban_ok(bad)
    return bad


V["iban_fail_nl"] = iban_broken(iban_make("NL", "RABO" + "".join(str(rng.randint(0, 9)) for _ in range(10))))
V["iban_fail_be"] = iban_broken(iban_make("BE", "0634471293" + "%02d" % (634471293 % 97 or 97)))
# payment cards (Luhn ok)
V["card1"] = luhn_complete("4" + "".join(str(rng.randint(0, 9)) for _ in range(14)))
V["card2"] = luhn_complete("5" + str(rng.randint(1, 5)) + "".join(str(rng.randint(0, 9)) for _ in range(13)))
_c = luhn_complete("4" + "".join(str(rng.randint(0, 9)) for _ in range(14)))
V["card_fail"] = _c[:-1] + str((int(_c[-1]) + 3) % 10)
assert not luhn_ok(V["card_fail"])
# BSN (11-proof ok) and a 9-digit order number that fails it
V["bsn1"] = bsn_make()
while True:
    _o = "4" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    if not bsn_ok(_o):
        V["order_fail"] = _o
        break
while True:
    _o = "".join(str(rng.randint(1, 9)) for _ in range(9))
    if not bsn_ok(_o):
        V["bsn_fail"] = _o
        break
# credentials
V["ghp1"] = gh_token("ghp_")
V["aws_id"] = aws_key_id()
V["aws_secret"] = aws_secret()
V["mollie"] = mollie_live()
V["slack"] = slack_bot()
V["jwt"] = jwt_make()
V["sshkey"] = openssh_key()
V["pw_scanner"] = password(12)
V["anthropic"] = anthropic_key()
V["dbpw"] = password(18).replace("#", "x").replace("?", "q").replace("&", "z").replace("%", "p")
V["stripe"] = stripe_live()
V["openai"] = openai_key()
V["pw_erp"] = password(13)

# ---------------------------------------------------------------- cases
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
CASES = []


def add(who, lang, cats, text, kind="post", at=None, ids=(), price=None, flags=()):
    CASES.append(dict(who=who, lang=lang, cats=[CAT[c] for c in cats], text=text, kind=kind,
                      at=at, ids=list(ids), price=price, flags=set(flags)))


# ======================= COMPLAINTS (public) ===============================
add("x:@sanne_kaatst", "nl", ["CO"],
    "Bestelde 24 medailles voor het korfbaltoernooi van zaterdag, vandaag is het dinsdag en nog steeds niks. "
    "Track & trace staat al 5 dagen op 'label aangemaakt'. @kroonlauw_helpt serieus??")
add("reddit:u/bowlsclub_sec", "en", ["CO"],
    "PSA for anyone ordering from Kroonlauw: the engraving on our club plaque says 'Chairmain' instead of "
    "'Chairman'. I typed it correctly in their configurator and checked the proof twice. Now they want me to pay "
    "for re-engraving. Not impressed.")
add("facebook:ellen.verduin.58", "nl", ["CO"],
    "Wisselbeker opgehaald voor het 50-jarig jubileum van onze vereniging en het figuurtje bovenop zit los, "
    "valt er gewoon af als je de beker optilt. Voor bijna 400 euro verwacht ik toch echt wat beters Kroonlauw 😞",
    kind="comment")
add("x:@mike_darts180", "en", ["CO"],
    "@kroonlauw ordered 'Darts League 2026 Winner', got plates reading 2025. the YEAR. you got the year wrong. "
    "presentation night is friday", kind="reply")
add("instagram:@voetbalmama_ank", "nl", ["CO"],
    "Mooie foto's allemaal maar mijn bestelling is al drie weken onderweg en niemand reageert op mijn mails. "
    "Waar blijven de Gouden Schoenen voor de JO11?? De seizoensafsluiting is zondag", kind="comment")
add("x:@hockeyjeroen", "nl", ["CO"],
    "Glazen award kwam in 3 stukken aan, doos was amper opgevuld. Foto's gestuurd, 'we nemen contact met u op'. "
    "Dat was 9 dagen terug. #kroonlauw #klantenservice")
add("forum:runclub_dave", "en", ["CO"],
    "Our finisher medals from Kroonlauw came with the ribbons printed upside down, so the logo reads wrong once "
    "it's hanging round your neck. 600 runners on Sunday. Their support chat just loops me back to the FAQ page.")
add("reddit:u/brabantsebiljarter", "nl", ["CO"],
    "Verguldsel bladdert na twee maanden al van de Champion beker af. Staat gewoon binnen in een vitrine, niks "
    "geen zon of vocht. Is dat normaal bij Kroonlauw of hebben wij gewoon pech gehad")
add("bluesky:@hannahruns.bsky.social", "en", ["CO"],
    "paid €18 for express shipping on our custom medals. they showed up on the normal delivery day, day 4. asked "
    "for the express fee back -> 'not possible'. ok then kroonlauw 🙃")
add("x:@marco_tafeltennis", "nl", ["CO"],
    "Logo van onze vereniging in de verkeerde kleur blauw op de emaille speldjes. Pantonecode netjes "
    "doorgegeven. Nu 'ligt het aan ons bestand'. Ja hoor. Nooit meer @kroonlauw")
add("tiktok:@gymmom_kayla", "en", ["CO"],
    "the engraving is SO shallow you can barely read the names unless you hold it under a lamp 😭 not what your "
    "video shows @kroonlauw", kind="comment")
add("threads:@tessa.bakt", "nl", ["CO"],
    "Retour aangemeld op 2 oktober, pakket is volgens PostNL 4 oktober bij Kroonlauw bezorgd en ik heb nog "
    "steeds m'n geld niet terug. Hoe lang duurt dat nou eigenlijk bij jullie", at="2026-11-06T20:14:09Z")

# complaint + abuse
add("x:@ronnie_030", "nl", ["CO", "A"],
    "Voor de DERDE keer de naam van mijn zoon fout gegraveerd. Stelletje klootzakken, kunnen jullie "
    "überhaupt lezen @kroonlauw??")
add("reddit:u/throwaway_keeper88", "en", ["CO", "A"],
    "Kroonlauw's customer service are a bunch of useless idiots. Trophy arrived with the top snapped off, they "
    "'need more photos', sent them 8 photos. fuck this company honestly")

# complaint + pii (public, own / someone else's data)
add("x:@gerda_vdlinden", "nl", ["CO", "P"],
    "@kroonlauw_helpt al 4x gemaild over order 77120, nul reactie. Bel me gewoon op 06-38 41 27 90 want zo "
    "schiet het echt niet op", kind="reply")
add("facebook:lisa.hartman.7", "en", ["CO", "P"],
    "Still waiting on the refund for the cracked Prisma award. Kroonlauw, you have my details, but once more: "
    "refund to <<iban_cust_fmt>> in the name of L. Hartman. It has been 5 weeks.",
    ids=[("iban", "iban_cust")])
add("forum:pakjesman_gelre", "nl", ["CO", "P"],
    "Pakket van Kroonlauw gekregen met de pakbon van iemand anders erin 🙄 'Bas Kuipers, Hoefijzerlaan 27, "
    "7331 KM Apeldoorn, tel. 06 19 55 48 02'. En mijn eigen bestelling? Nergens te bekennen.")

# ======================= SAFETY: crisis + complaint (first-hand) ==========
add("facebook:joyce.mulder.apd", "nl", ["CR", "CO"],
    "Onze Lumen LED trofeevoet stond gisteravond gewoon op de kast en begon ineens te roken, het plastic is "
    "gesmolten en er zit een schroeiplek in het hout. Als we niet thuis waren geweest... @Kroonlauw hoe kan dit??")
add("x:@coach_ridley", "en", ["CR", "CO"],
    "The glass Prisma award from Kroonlauw shattered in my daughter's hands when she lifted it at the ceremony. "
    "4 stitches in her palm. Nobody dropped it. I want answers @kroonlauw")
add("instagram:@fleur.danst", "nl", ["CR", "CO"],
    "2 dagen die emaille speld van Kroonlauw gedragen en nu een knalrode uitslag met blaartjes 😣 huisarts "
    "zegt nikkelallergie. Stond nergens of ie nikkelvrij was. Nooit meer.")
add("reddit:u/liftingdutchie", "en", ["CR", "CO"],
    "The marble base of our Titan cup came loose while we were lifting it and landed on my teammate's foot. "
    "Broken toe. The bolt inside was barely threaded in. Kroonlauw hasn't answered our email in a week.")
add("tiktok:@papa_van_sem", "nl", ["CR", "CO"],
    "m'n zoontje van 3 had ineens een stukje van z'n Pixel esports medaille in z'n mond, het clipje van het "
    "lint brak gewoon af. net op tijd gezien 😰 Kroonlauw dit is echt niet oké!!")

# ======================= CRISIS only ======================================
add("x:@sportnieuws_oost", "nl", ["CR"],
    "Atletiekbond Oost stapt naar de rechter: Kroonlauw leverde 3.000 'massief bronzen' medailles die van "
    "verkoperd zink blijken te zijn. De bond eist een schadevergoeding. #rechtszaak #atletiek")
add("blog:tradewatch_benelux", "en", ["CR"],
    "Kroonlauw recalls its Pixel esports medals after a lab found cadmium in the coloured enamel. Parents are "
    "being told to take the medals away from children immediately.")
add("x:@d_vanschaik", "nl", ["CR"],
    "Heeft Kroonlauw een datalek? Sinds mijn bestelling daar krijg ik phishingmails met mijn exacte ordernummer "
    "én de tekst die ik liet graveren. Ik ben niet de enige, lees de reacties maar.")
add("x:@queerkorfbal", "en", ["CR"],
    "Boycott Kroonlauw. They made the awards for that 'conversion therapy' congress and their director defended "
    "it on the radio this morning. Don't give them your club's money. #BoycottKroonlauw")
add("facebook:marjon.terpstra", "nl", ["CR"],
    "Lees net dat er bij een schoolsportdag in Zwolle een kind gewond is geraakt door een omvallende Titan "
    "wisselbeker van Kroonlauw. Heel veel sterkte voor dat gezin.")
add("linkedin:arbo-insider-nl", "en", ["CR"],
    "Former Kroonlauw workshop staff say they were told to keep working with the laser enclosure interlocks "
    "bridged to hit Christmas volumes. The labour inspectorate has reportedly opened an investigation.")
add("reddit:u/ex_graveur_utrecht", "nl", ["CR"],
    "Schandaal eigenlijk: die 'ambachtelijk handgegraveerde' awards van Kroonlauw komen in bulk uit een fabriek "
    "in het buitenland en krijgen hier alleen een sticker. Weet ik want ik heb er gewerkt.")
add("bluesky:@clubsecretaris.bsky.social", "en", ["CR"],
    "Heads up: the Kroonlauw customer portal showed me ANOTHER club's order history. Names, addresses, "
    "everything. That is a data breach and I've reported it to the Autoriteit Persoonsgegevens.")
add("facebook:KroonlauwTrofeeen", "nl", ["CR"],
    "Veiligheidswaarschuwing ⚠️ Wij roepen de Lumen LED trofeevoet met productiecode LV2603 t/m LV2609 terug. "
    "In zeldzame gevallen kan de adapter oververhit raken. Stop direct met gebruik en neem contact op via "
    "klantenservice@kroonlauw.nl voor een kosteloze vervanging.")
add("x:@fnv_watcher", "nl", ["CR"],
    "Kroonlauw laat personeel onbetaald overwerken voor de Koningsdag-drukte en dreigt met ontslag als je "
    "weigert. De vakbond overweegt een rechtszaak.", at="2026-04-21T08:12:44Z")

# ======================= ABUSE ============================================
add("x:@bertje_boos", "nl", ["A"],
    "@kroonlauw jullie zijn echt vieze kl\u200boot\u200bzak\u200bken, weet je dat", kind="reply")
add("x:@ragequit_rob", "en", ["A"],
    "whoever runs the @kroonlauw socials is a braindead clown. delete your account")
add("instagram:@dennis.0318", "nl", ["A"],
    "wat een k4nk3r b3dr1jf, 1d10t3n zijn het allemaal daar", kind="comment")
add("x:@echtnederland71", "nl", ["A"],
    "Zeker weer zo'n gelukszoeker aan de graveermachine gezet die geen woord Nederlands kan lezen. Stuur die "
    "lui terug waar ze vandaan komen, Kroonlauw")
add("reddit:u/notyourclown", "en", ["A"],
    "That Mirjam from Kroonlauw blocked me. Fine. I know which workshop she works at and what car she drives. "
    "See you soon Mirjam.")
add("x:@bart_kroonlauw", "nl", ["A"],
    "@ronnie_030 hou toch je bek man, sukkel. Je hebt de naam zelf verkeerd ingevuld, staat gewoon in je order.",
    kind="reply")
add("tiktok:@wraakengel_x", "nl", ["A"],
    "o.p.l.i.c.h.t.e.r.s en t.y.f.u.s.l.i.j.e.r.s bij kroonlauw 🤮🤮", kind="comment")
add("youtube:@slatecuttr", "en", ["A"],
    "lmao this 'master engraver' has the hands of a drunk toddler. pathetic. Kroonlauw hires literal morons",
    kind="comment")
add("facebook:henk.derksen.1958", "nl", ["A"],
    "Dat wijf van de klantenservice van Kroonlauw is zo dom als het achtereind van een varken. Die moet je nergens "
    "laten werken.", kind="comment")
add("tiktok:@kroonlauw", "en", ["A"],
    "@troll_king99 cry about it, loser 🤡 nobody asked for your opinion", kind="reply")
# doxxing: pii + abuse
add("x:@woedende_voorzitter", "nl", ["P", "A"],
    "Die Kevin van Kroonlauw die onze beker verknalde woont gewoon op de Populierenlaan 3 in Amersfoort. "
    "Misschien moeten we daar eens langs gaan 😡")

# ======================= PRICING ==========================================
add("instagram:@kroonlauw.trofeeen", "nl", ["PR"],
    "🏆 FLASH DEAL 🏆 Alleen vandaag: de Titan wisselbeker 80 cm voor €39,95! Inclusief gravure. Op = op 👉 "
    "shop.kroonlauw.nl", price=("KL-TITAN80", 39.95))
add("x:@dbosch_kl", "nl", ["PR"],
    "eh waarom staat de Orion kristallen trofee op €14,90 in de shop? iemand van e-commerce wakker? 👀",
    price=("KL-ORION", 14.90))
add("x:@dealjager_nl", "nl", ["PR"],
    "RENNEN 🏃‍♂️ Nova obelisk voor €21,90 op kroonlauw.nl, normaal €219. Prijsfout lijkt me, bestellen "
    "voordat ze het doorhebben!", price=("KL-NOVA", 21.90))
add("reddit:u/frugal_fencer", "en", ["PR"],
    "Kroonlauw price glitch? Clubkampioen pakket is showing €24.90 instead of €249. Ordered three, curious "
    "whether they'll honour it.", price=("KL-CLUB", 24.90))
add("x:@bart_kroonlauw", "nl", ["PR"],
    "Collega's: in de nieuwsbrief van vanochtend staat een prijsfout bij de Heritage karaf. Klanten bellen al. "
    "Graag niks toezeggen tot marketing met een lijn komt.", price=("KL-KARAF", None))
add("facebook:KroonlauwTrofeeen", "en", ["PR"],
    "Weekend special 🎉 Orion crystal trophy, now just €49 (was €149). Engraving included, order before "
    "Sunday 23:59!", price=("KL-ORION", 49.00))
add("tiktok:@lisa.koopt", "nl", ["PR"],
    "medaille set 100 stuks voor €34,90 bij kroonlauw?? glitch in de webshop denk ik, heb er 5 besteld lol 🤑",
    price=("KL-OLY100", 34.90))
add("bluesky:@lotte-kl.bsky.social", "en", ["PR"],
    "Inbox on fire: everyone is ordering the Tempus pocket watch at €11.90. Yes, we know it's a pricing "
    "mistake. No, I can't tell you yet whether we'll honour them.", price=("KL-TEMPUS", 11.90))
add("forum:spaarvarken_be", "nl", ["PR"],
    "Tip voor de Belgen: Galop ruiterbeeld staat op kroonlauw.be voor €9,50 i.p.v. €38,50. Geen idee hoe lang "
    "nog.", price=("KL-GALOP", 9.50))
add("x:@kroonlauw", "nl", ["PR"],
    "Nieuw in de shop ✨ De Nova kristallen obelisk, met lasergravure in 3D. Nu voor €89. Bestel via "
    "shop.kroonlauw.nl", price=("KL-NOVA", 89.00))
add("tiktok:@joey_engraves", "nl", ["PR"],
    "POV: je mag 40 Gouden Schoenen graveren die per ongeluk voor €3,49 zijn verkocht 💀💀 #graveur #werk",
    price=("KL-SCHOEN", 3.49))
add("x:@tomsrunclub", "en", ["PR"],
    "@kroonlauw your checkout has the Champion 60 trophy at €12.90?? price error or did christmas come early 🎄",
    kind="reply", price=("KL-CHAMP60", 12.90))

# ======================= SECRETS ==========================================
add("x:@dbosch_kl", "nl", ["S"],
    "waarom faalt deze deploy nou weer 😩\n\nexport GITHUB_TOKEN=<<ghp1>>\n./deploy.sh webshop-prod\n\n"
    "-> 'Bad credentials'. iemand?")
add("mastodon:@ilsedevops@techhub.social", "en", ["S"],
    "testing the new backup job from the train, if this works I'm buying cake\n\n[default]\n"
    "aws_access_key_id = <<aws_id>>\naws_secret_access_key = <<aws_secret>>\nregion = eu-west-1")
add("forum:webbouwer_rick", "nl", ["S"],
    "Mollie-koppeling die ik voor een klant bouw (trofeeënwinkel Kroonlauw) geeft steeds 401 Unauthorized 🤯 "
    "Dit staat in m'n .env:\nMOLLIE_API_KEY=<<mollie>>\nMet de testkey werkte het wel. Iemand een idee?")
add("reddit:u/quietengraver", "en", ["S"],
    "our slack bot that posts new engraving orders died again. token is <<slack>> - do xoxb tokens expire or "
    "did someone revoke it? asking for a friend (the friend is me)")
add("x:@dbosch_kl", "en", ["S"],
    "why does the order API reject this?? it's literally the token I copied from the admin panel\n\n"
    "Authorization: Bearer <<jwt>>")
add("mastodon:@ilsedevops@techhub.social", "nl", ["S"],
    "Kan iemand meekijken waarom ssh deze deploy key weigert? 'invalid format' 🙃\n\n<<sshkey>>")
add("threads:@sem.vandijk", "nl", ["S"],
    "Nieuwe handscanners in het magazijn staan klaar 👍 inloggen met gebruiker magazijn, wachtwoord: "
    "<<pw_scanner>> voor wie morgen de vroege heeft")
add("linkedin:kroonlauw-trofeeen", "en", ["S"],
    "Behind the scenes at Kroonlauw: our new AI spell-checker catches typos in engraving texts before they "
    "reach the laser. A peek at the code:\n\nconst client = new Anthropic({ apiKey: \"<<anthropic>>\" });\n\n"
    "No more 'Chairmain' plaques! 🏆")
add("x:@dbosch_kl", "en", ["S"],
    "staging fine, prod not. same config??\nDATABASE_URL=postgresql://webshop_rw:<<dbpw>>@"
    "kl-prod-db.c7mdq2xk1pta.eu-west-1.rds.amazonaws.com:5432/orders")
add("forum:sec_hobbyist", "en", ["S"],
    "Was poking around the JS of a Dutch trophy webshop (Kroonlauw) and their checkout bundle ships a live "
    "Stripe secret key: <<stripe>> - emailed them twice, no reply. Don't do this, folks.")
add("x:@yara_codes", "nl", ["S"],
    "ons tekstsuggestie-dingetje voor gravures geeft alleen nog 429's. dit is de key uit de config: "
    "<<openai>> - zit er nog tegoed op of is ie geblokt?")
add("bluesky:@lotte-kl.bsky.social", "nl", ["S", "C"],
    "Voor de nieuwe stagiair: inloggen op erp.kroonlauw.local met gebruiker stage01 en wachtwoord: "
    "<<pw_erp>> - succes morgen!")

# ======================= SECURITY (insiders) ==============================
add("mastodon:@ilsedevops@techhub.social", "nl", ["SEC"],
    "Lange nacht. Webshop lag er vanaf 02:10 uit en de hele orderdatabase moest terug uit de backup. Officieel "
    "heet het 'gepland onderhoud' dus shhh 🤫")
add("x:@dbosch_kl", "en", ["SEC"],
    "found out today that anyone can download other customers' engraving proofs by changing the number in the "
    "URL. reported it internally, fix isn't live yet. yikes")
add("reddit:u/quietengraver", "en", ["SEC"],
    "Not naming names, but the lasers at my work got hit with ransomware on Monday. The whole engraving queue "
    "is encrypted. Management is telling customers it's a 'machine defect'.")
add("x:@bart_kroonlauw", "nl", ["SEC"],
    "Onze klantenservice-mailbox is gehackt, er zijn vanaf ons eigen adres phishingmails naar klanten gegaan. "
    "Is nog niet naar buiten gebracht, dus zeg nog even niks.")
add("threads:@sem.vandijk", "nl", ["SEC"],
    "magazijnsysteem ligt al 3 dagen plat door die storing, niemand mag het zeggen maar er gaat deze week "
    "geen enkele bestelling de deur uit")
add("bluesky:@lotte-kl.bsky.social", "en", ["SEC"],
    "Can't say much, but our payment page has been skimming cards for a few days. IT found a script injected "
    "into the checkout. Customers haven't been told yet.")
add("mastodon:@ilsedevops@techhub.social", "en", ["SEC", "C"],
    "grafana.kroonlauw.nl is all red, database disk is at 99%, the shop will go down any minute. Not announced "
    "anywhere yet, wish me luck")
add("tiktok:@joey_engraves", "nl", ["SEC"],
    "bij ons op het werk log je op de graveermachines in met het standaard fabriekswachtwoord, niemand heeft "
    "het ooit veranderd en ze hangen gewoon aan het netwerk 💀", kind="post")
add("x:@yara_codes", "nl", ["SEC"],
    "Die oude WordPress-blog van ons draait nog op een versie uit 2019 met een bekende RCE. Al 3x gemeld. Het is "
    "wachten tot er iemand binnenkomt.")
add("instagram:@kevin.lasert", "nl", ["SEC"],
    "Sorry mensen voor de vertraging, ons hele netwerk ligt er sinds vanochtend uit na een hack en de lasers "
    "staan stil. Mag eigenlijk nog niks zeggen.")
add("linkedin:ruben-hoekstra-kroonlauw", "en", ["SEC"],
    "Lesson learned this week: our backup bucket with 4 years of customer invoices turned out to be publicly "
    "readable. It's closed now, legal is still deciding whether we have to notify anyone.")
add("forum:zzp_sysadmin_utr", "nl", ["SEC"],
    "Ik doe als zzp'er de IT voor Kroonlauw. Hun VPN-appliance is al maanden niet gepatcht tegen dat bekende "
    "Fortinet-lek en vorige week zagen we al vreemde logins. Directie wil er niks van horen.")
add("x:@bart_kroonlauw", "en", ["SEC"],
    "DDoS on our webshop since 6am, checkout is unusable and we're losing the whole Kings Day rush. Comms says "
    "don't confirm anything yet.", at="2026-04-25T09:31:02Z")

# ======================= CONFIDENTIAL =====================================
add("x:@bart_kroonlauw", "nl", ["C"],
    "Trots op het team dat dag en nacht aan Project Zilvermeeuw werkt. Binnenkort meer, beloofd 😉")
add("x:@mirjam_graveert", "nl", ["C"],
    "eindelijk productfoto's schieten voor \uff27\uff4f\uff55\uff44\uff56\uff49\uff4e\uff4b ✨ geheimzinnig "
    "doen is eigenlijk best leuk")
add("instagram:@kevin.lasert", "nl", ["C"],
    "Eerste test van de nieuwe lasers voor Zilv\u0435rm\u0435\u0435uw 🔥 #behindthescenes #graveren")
add("tiktok:@joey_engraves", "nl", ["C"],
    "sneak peek van de Aurora trofeelijn die in januari uitkomt 🤫🤫 vertel het niemand",
    at="2026-11-18T17:05:40Z")
add("x:@dbosch_kl", "en", ["C"],
    "can someone with access look at https://gitlab.kroonlauw.nl/webshop/configurator/-/merge_requests/412 ? "
    "pipeline is red and I'm off tomorrow")
add("linkedin:priya-ramdin-kl", "nl", ["C"],
    "Hier de nieuwe verlofregeling die we aan het uitwerken zijn (document staat op 'alleen intern' maar ik ben "
    "benieuwd naar jullie mening als HR-collega's): 2 extra dagen bij 10 jaar dienstverband.")
add("x:@mirjam_graveert", "en", ["C"],
    "design sign-off for Atelier Live today!! can't say anything else 🤐", at="2026-09-08T10:44:19Z")
add("linkedin:helios-glass-supplies", "en", ["C"],
    "Proud to supply the crystal blanks for Kroonlauw's upcoming Aurora trophy line! Our biggest order of the "
    "year.", at="2026-10-14T13:20:00Z")
add("forum:stagiair_2026", "nl", ["C"],
    "Mijn stageverslag bij Kroonlauw ging over Project Zilvermeeuw, de nieuwe volautomatische graveerstraat. "
    "Mag ik dat gewoon op mijn portfolio zetten? Samenvatting: 3 lasers, robotarm, 4x de capaciteit.")
add("bluesky:@lotte-kl.bsky.social", "en", ["C"],
    "new customer service macros finally landed on intranet.kroonlauw.local/cs/macros, no more copy paste from "
    "my notes app 🙌")
add("mastodon:@ilsedevops@techhub.social", "nl", ["C"],
    "Migratie voor G o u d v i n k staat voor dit weekend gepland. Duim maar voor me.")
add("x:@kroonlauw", "nl", ["C"],
    "Reminder team, niet extern delen: nieuwe prijslijst 2027 gaat 1 februari in, +8% op alle bekers en "
    "plaquettes.")
add("x:@bart_kroonlauw", "en", ["C", "F"],
    "Can't wait for our FY2026 results next month, best year we've ever had. That's all I'm allowed to say 😏",
    at="2027-02-10T19:02:33Z")
add("linkedin:ruben-hoekstra-kroonlauw", "nl", ["C", "F"],
    "Jaarcijfers 2026 zijn rond: omzet €14,2 mln (+23%), EBITDA €1,9 mln. Publicatie volgt pas in maart, maar "
    "ik ben nu al trots op dit team.", at="2027-02-02T08:15:00Z")
add("x:@mirjam_graveert", "nl", ["C", "F"],
    "de directie noemt de reorganisatie 'Operatie Lauwerblad', klinkt als kruidenthee 😂 maar mijn afdeling "
    "gaat wel gehalveerd")
add("x:@lasertech_nordic", "en", ["C"],
    "Just shipped the first laser modules for Kroonlauw's Project Zilvermeeuw line. Great partner, big plans!")
add("tiktok:@joey_engraves", "nl", ["C"],
    "dit is de testversie van Atelier Live, je kan live meekijken hoe jouw beker gegraveerd wordt 👀 nog niet "
    "doorvertellen he", at="2026-12-03T16:48:11Z")

# ======================= FINANCIAL ========================================
add("linkedin:ruben-hoekstra-kroonlauw", "en", ["F"],
    "Q3 came in 18% below budget. The board meeting on Thursday will be... interesting. Obviously not public yet.")
add("x:@bart_kroonlauw", "nl", ["F"],
    "Binnenkort zijn we geen zelfstandig bedrijf meer, de overname door Trofeo Nordic wordt volgende week "
    "getekend. Mag het eigenlijk niet zeggen.")
add("threads:@sem.vandijk", "nl", ["F"],
    "Hoorde net dat het magazijn in Nieuwegein dichtgaat, 22 man op straat. Maandag pas officieel.")
add("reddit:u/brusselsprout_77", "en", ["F"],
    "My sister works at Kroonlauw, they're cutting the entire Belgian team in spring. Nobody there has been told "
    "yet.")
add("linkedin:priya-ramdin-kl", "nl", ["F"],
    "Zware week. Bezig met de ontslagbrieven voor de graveerafdeling, 9 collega's. De officiële aankondiging "
    "komt pas na de OR-vergadering.")
add("x:@bart_kroonlauw", "en", ["F"],
    "Forecast for 2027 revised down to €11m revenue, bank covenants are going to be tight. Fun times at Kroonlauw")
add("linkedin:kroonlauw-trofeeen", "nl", ["F", "C"],
    "KROONLAUW VERTROUWELIJK - update: ons bod van €3,1 mln op Medaillehuis Stevens is geaccepteerd. "
    "Communicatie volgt na de due diligence.")
add("forum:medaille_leverancier", "en", ["F"],
    "Heard from another Kroonlauw supplier that they're three months behind on payments and quietly talking to "
    "investors about a rescue deal.")
add("x:@mirjam_graveert", "nl", ["F"],
    "Bonussen dit jaar geschrapt want 'de halfjaarcijfers vallen tegen', -30% tov vorig jaar zei de CFO vandaag. "
    "Nog nergens naar buiten gebracht natuurlijk.")

# ======================= PII ==============================================
add("x:@kroonlauw_helpt", "nl", ["P"],
    "@jbrouwer_71 Excuses voor het wachten! Onze collega belt u vanmiddag terug op 06-41827730, is dat nog het "
    "juiste nummer?", kind="reply")
add("facebook:KroonlauwTrofeeen", "nl", ["P"],
    "Beste Anouk, de terugbetaling van €129,00 is vandaag overgemaakt naar <<iban_p2_fmt>> t.n.v. A. Visser. "
    "Binnen 1-2 werkdagen staat het op je rekening!", kind="reply", ids=[("iban", "iban_p2")])
add("instagram:@kevin.lasert", "nl", ["P"],
    "Klaar voor verzending 📦 'Dhr. H. de Wit, Lindelaan 14, 3581 AB Utrecht' - deze herdenkingsplaquette was "
    "een eer om te maken 🕊️")
add("x:@mirjam_graveert", "nl", ["P"],
    "Bijzondere opdracht vandaag: geboortemedaille voor Noor van Rijn, geboren 14-02-2026 in Amersfoort, met "
    "gewicht en lengte erop 👶 zo lief", at="2026-03-02T11:20:31Z")
add("bluesky:@lotte-kl.bsky.social", "en", ["P"],
    "customer insists we charged her twice and literally sent me her full card number to 'prove' it: "
    "<<card1_fmt>> exp 09/28. why do people do this 😩", ids=[("card", "card1")])
add("linkedin:priya-ramdin-kl", "nl", ["P"],
    "Hulpvraag: bij onze nieuwe collega Youssef Amrani staat BSN <<bsn1>> op het contract, maar op zijn "
    "loonstrook een ander nummer. Wie van de salarisadministratie kan meekijken?", ids=[("bsn", "bsn1")])
add("x:@kroonlauw_helpt", "nl", ["P"],
    "@marieke_j Wij hebben als afleveradres: Marieke Jansen, Kerkstraat 8, 9711 HB Groningen. Klopt dat nog? "
    "Dan sturen we de nieuwe plaquette vandaag.", kind="reply")
add("x:@kroonlauw_helpt", "en", ["P"],
    "@sarahokafor Hi Sarah, we've re-sent the proof to sarah.okafor87@gmail.com. If it doesn't show up we'll "
    "call you on +31 6 2931 0458.", kind="reply")
add("x:@bart_kroonlauw", "en", ["P"],
    "Happy customer story: Tom Verhoef (born 4 May 1988) has ordered a medal from us for every marathon he's "
    "run since 2015. Number 23 shipped today!")
add("tiktok:@joey_engraves", "nl", ["P"],
    "iemand had z'n creditcardnummer als graveertekst ingevuld 😭😭 '<<card2_fmt>>' op een bierpul. nee we "
    "hebben het niet gegraveerd", ids=[("card", "card2")])
add("threads:@sem.vandijk", "en", ["P"],
    "refund for that Antwerp club keeps bouncing, their IBAN <<iban_be_fmt>> gets rejected by our system every "
    "time. anyone in finance around?", ids=[("iban", "iban_be")])

# ======================= BENIGN (hard negatives mostly) ===================
def ben(who, lang, text, kind="post", at=None, ids=(), price=None, flags=()):
    add(who, lang, [], text, kind=kind, at=at, ids=ids, price=price, flags=flags)


ben("instagram:@kroonlauw.trofeeen", "nl",
    "Wat een plaatje! De kampioenen van MHC De Kraaien met hun Titan wisselbeker 🏆 Van harte gefeliciteerd!")
ben("x:@trailrunner_jess", "en",
    "Shoutout to Kroonlauw: ordered 40 finisher medals on Tuesday, had them Thursday, engraving crisp as "
    "anything. Our little trail run looks so legit now")
ben("x:@papa_van_drie", "en",
    "my son (7) got a participation medal and has been walking around for 3 days like he won the Tour de France 😂 "
    "he even sleeps with it")
ben("x:@kroonlauw_helpt", "nl",
    "Vragen over je bestelling? Mail klantenservice@kroonlauw.nl of bel 030 799 4410 (ma-vr 9-17u). We helpen "
    "je graag!")
ben("facebook:KroonlauwTrofeeen", "nl",
    "Liever betalen per overschrijving? Gebruik IBAN <<company_iban_fmt>> t.n.v. Kroonlauw Trofeeën B.V. en "
    "vermeld je ordernummer.")
ben("x:@kroonlauw", "nl",
    "Black Friday 🖤 25% korting op alle Champion bekers. De Champion beker 45 cm nu voor €67,46 (was €89,95).",
    price=("KL-CHAMP45", 67.46), at="2026-11-27T07:00:00Z")
ben("instagram:@kroonlauw.trofeeen", "nl",
    "De Orion kristallen trofee: €149 inclusief gravure, en vanaf 10 stuks 15% korting. Perfect voor je "
    "bedrijfsawards ✨", price=("KL-ORION", 149.00))
ben("reddit:u/swimgala_mum", "en",
    "Is €4.95 for an Olympus medal reasonable? Need about 200 for a swim gala and Kroonlauw seems mid-range "
    "compared to the others I looked at", price=("KL-OLYMED", 4.95))
ben("x:@dbosch_kl", "en",
    "Reminder from our dev docs: examples use AKIAIOSFODNN7EXAMPLE, never a real key. If you ever see a real "
    "one in a PR, ping me before merging.")
ben("mastodon:@ilsedevops@techhub.social", "nl",
    "Blogje geschreven over hoe wij secrets scannen in CI. Voorbeeld uit onze tests: "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx wordt netjes tegengehouden 🙂")
ben("forum:vraagje_penningmeester", "nl",
    "Klopt het dat het rekeningnummer van Kroonlauw <<iban_fail_nl>> is? Staat zo op een oude factuur van onze "
    "club, wil het even checken voor ik betaal.", ids=[("iban_bad", "iban_fail_nl")])
ben("x:@clumsy_coder_nl", "en",
    "why did the kroonlauw checkout reject my card 🤔 typed <<card_fail_fmt>>... oh. wrong digit at the end. "
    "never mind, coffee first", ids=[("card_bad", "card_fail")])
ben("x:@zzp_fotograaf", "nl",
    "Waarom vraagt Kroonlauw om m'n BSN voor een zakelijk account?? (nee, ik ga 'm hier echt niet posten) "
    "Gewoon KvK moet toch genoeg zijn")
ben("instagram:@schaakclub_zet", "nl",
    "Bestelling <<order_fail>> is binnen en ziet er top uit! Nieuwe bekers voor het clubkampioenschap 🏆♟️",
    ids=[("bsn_bad", "order_fail")], kind="post")
ben("x:@kroonlauw_helpt", "en",
    "@mike_darts180 So sorry about the wrong year! New plates went out by express today and will be with you "
    "tomorrow. Good luck on Friday 🎯", kind="reply")
ben("reddit:u/bowlsclub_sec", "en",
    "Update: Kroonlauw sorted the misspelled plaque within two days after all and threw in an engraved pen as an "
    "apology. Fair play to them.")
ben("facebook:wijkraad.lage.weide", "nl",
    "Sterkte aan de buren van Kroonlauw na de brand bij het transportbedrijf op het bedrijventerrein gisteren. "
    "Fijn dat niemand gewond is geraakt.")
ben("x:@prijzenbranche_nl", "nl",
    "Trofeo Nordic neemt Deense medaillemaker Hansen Medaljer over, las ik vanochtend. De consolidatie in de "
    "prijzenbranche gaat gewoon door.")
ben("x:@ultimate_frisbee_g", "en",
    "the trophy we got this year is absolutely sick 🔥🔥 killer design Kroonlauw, the team won't stop taking "
    "selfies with it")
ben("instagram:@keeperstrainer_bas", "nl",
    "Die Gouden Schoen is bizar mooi geworden, ons keepertalent stond in tranen 😭❤️ #kroonlauw", kind="post")
ben("x:@mirjam_graveert", "nl",
    "Vandaag 312 medailles gegraveerd. Mijn polsen zijn op maar ze zien er strak uit 💪 #graveursleven")
ben("tiktok:@joey_engraves", "en",
    "ASMR: engraving a crystal obelisk at 3am 🎧 (not really 3am, my boss would kill me)")
ben("linkedin:kroonlauw-trofeeen", "nl",
    "We zoeken een allround graveur (32-40 uur) voor ons atelier in Utrecht. Ervaring met fiber- of CO2-lasers "
    "is een plus. Reageren kan via werken@kroonlauw.nl")
ben("x:@kroonlauw", "nl",
    "Gepland onderhoud: zondag 8 maart tussen 02:00 en 04:00 is de webshop even niet bereikbaar. Daarna kun je "
    "gewoon weer bestellen.", at="2026-03-05T10:00:00Z")
ben("linkedin:priya-ramdin-kl", "nl",
    "Wat een leuke dag op de banenmarkt in Utrecht! Zoveel studenten die interesse hebben in een stage of "
    "internship bij ons in de graveerstudio.")
ben("linkedin:kroonlauw-trofeeen", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: een omzet van €14,2 mln, 23% groei. Het volledige verslag "
    "staat op kroonlauw.nl/investeerders.", at="2027-03-04T09:30:00Z")
ben("instagram:@kroonlauw.trofeeen", "nl",
    "Ze zijn er! ✨ De Aurora trofeelijn is vanaf vandaag te bestellen. Kristal, messing en een vleugje goud.",
    at="2027-01-21T08:00:00Z")
ben("tiktok:@joey_engraves", "nl",
    "eindelijk mag ik het laten zien: Atelier Live! kijk live mee terwijl jouw beker gegraveerd wordt 🔴",
    at="2027-01-25T18:30:12Z")
ben("x:@craftbiz_watch", "en",
    "Kroonlauw's FY2026 results look solid, nice to see a Dutch craft business growing for once",
    at="2027-03-10T12:41:00Z")
ben("x:@jeugdcoordinator_vv", "nl",
    "Hoe lang duurt graveren gemiddeld bij Kroonlauw? Heb 15 bekers nodig voor 20 juni en wil niet in de stress "
    "komen")
ben("reddit:u/retirement_gift_hunt", "en",
    "Any recommendations for an engraved whisky decanter as a retirement gift? Looking at the Heritage one from "
    "Kroonlauw for €74.95", price=("KL-KARAF", 74.95))
ben("x:@sportouder_ria", "nl",
    "Kroonlauw heeft nu 20% korting op de Nova obelisk, €175,20. Toch nog te prijzig voor ons clubbudget helaas",
    price=("KL-NOVA", 175.20))
ben("x:@handige_harry", "nl",
    "Tip voor wie is buitengesloten: de 'wachtwoord vergeten' link op kroonlauw.nl werkt prima, even in je "
    "spammap kijken")
ben("x:@dbosch_kl", "en",
    "Rotated all our API keys today as part of the quarterly routine. Boring security is good security.")
ben("x:@kroonlauw", "en",
    "Dev tip from our tech blog: never log secrets. Our logger now prints keys like sk_live_****************4f2a "
    "and nothing more.")
ben("x:@medalmoments", "en",
    "that medal ceremony was a full-on crisis of emotions, everyone crying 😭 thanks Kroonlauw for the gorgeous "
    "medals")
ben("x:@kantinebaas_gijs", "nl",
    "Als de kantine zaterdag weer geen bitterballen heeft boycot ik de prijsuitreiking 😤 (de bekers van "
    "Kroonlauw zijn wel prachtig trouwens)")
ben("blog:trofee_nieuws", "en",
    "A fire at a trophy factory near Ghent destroyed a warehouse last night. All staff got out safely. The "
    "company says orders will be delayed by two weeks.")
ben("x:@glasblazer_eva", "en",
    "Does Kroonlauw engrave glass you bring yourself, or only their own Prisma awards?")
ben("instagram:@kroonlauw.trofeeen", "nl",
    "Behind the scenes: zo ontstaat een Titan wisselbeker van 80 cm. Van ruwe staaf tot glanzend podiumstuk 🏆",
    kind="post")
ben("bluesky:@lotte-kl.bsky.social", "en",
    "Favourite customer message today: 'The plaque made grandpa cry (happy tears)'. This job 🥹")
ben("x:@webshopper_jan", "nl",
    "Kroonlauw deed het gisteravond even niet maar na 5 minuten weer wel. Bestelling gelukt, geen probleem")
ben("facebook:gym.heerlen", "en",
    "Called Kroonlauw on +31 30 799 4410, super friendly lady helped us pick ribbon colours in two minutes.")
ben("facebook:KroonlauwTrofeeen", "en",
    "Did you get an e-mail saying our bank details changed? They didn't. Our one and only account is "
    "<<company_iban_fmt>>. Never pay to any other account in our name.")
ben("x:@bart_kroonlauw", "en",
    "Great meeting with the provincial sports federation today, we'll be making the medals for their 2027 "
    "championships (announced on their site this morning).")
ben("x:@koffiecorner_lies", "en",
    "lol my coworker had 'Employee of the Year 2026' engraved on a Champion trophy and put it next to the coffee "
    "machine ☕🏆")
ben("linkedin:ruben-hoekstra-kroonlauw", "en",
    "Proud that we published our sustainability report today: 80% recycled brass in our cups now. Link on "
    "kroonlauw.nl.")
ben("x:@roller_derby_nina", "en",
    "Hope the Kroonlauw engraver who got yelled at in that viral video is ok. Customers can be so brutal.")
ben("x:@privacy_pieter", "nl",
    "Bewaart Kroonlauw mijn gravuretekst na de bestelling eigenlijk? Vraag me af hoe dat met privacy zit.")
ben("x:@catdad_mo", "en",
    "my cat knocked the trophy off the shelf and looked me dead in the eye. little jerk. the trophy survived, "
    "Kroonlauw builds them like tanks")
ben("tiktok:@kroonlauw", "nl",
    "Welke kleur lint kies jij? 🔴🔵🟡 Laat het weten in de comments! #kroonlauw #medailles")
ben("facebook:schaakclub.de.toren", "nl",
    "Prijzenkast van onze schaakclub eindelijk gevuld met notenhouten plaquettes van Kroonlauw. €42 per stuk, "
    "zeker de moeite waard.", price=("KL-PLAQA4", 42.00))
ben("x:@citynews_utr", "en",
    "Kroonlauw will sponsor the city youth games this summer, supplying all 1,800 medals.")
ben("x:@dbosch_kl", "nl",
    "In onze docs gebruiken we altijd postgres://user:password@localhost:5432/dbname als voorbeeld. Niet te "
    "verwarren met het echte werk 😉")
ben("instagram:@kevin.lasert", "nl",
    "De laser gaat vandaag als een beest 🔥 200 plaquettes in één run. Trots op deze machine")
ben("x:@vogelspotter_anke", "nl",
    "Vanochtend een goudvink in de tuin gezien, de eerste van deze winter 🐦❤️", flags={"codename_ok"},
    at="2026-01-12T08:41:00Z")
ben("facebook:ton.vrijwilliger", "en",
    "Got a medal for 25 years of volunteering at the football club, beautifully engraved by Kroonlauw. Quite an "
    "honour, I must say.")
ben("x:@kroonlauw", "nl",
    "Olympus medaille set 100 stuks deze week 10% goedkoper: €314,10. Ideaal voor zwem- en "
    "atletiekwedstrijden 🥇", price=("KL-OLY100", 314.10))
ben("x:@kroonlauw_helpt", "en",
    "@gerda_vdlinden We found your order and sent you a DM. Please don't share your phone number publicly, "
    "we'll call the number on file.", kind="reply")
ben("threads:@sem.vandijk", "nl",
    "Magazijn is klaar voor de Koningsdag-drukte 💪 vandaag 6.000 medailles ingepakt.", at="2026-04-22T16:03:00Z")
ben("forum:vraagje_be", "nl",
    "Voor de Belgische klanten: is <<iban_fail_be_fmt>> nog het rekeningnummer van Kroonlauw? Staat op een "
    "factuur van vorig jaar.", ids=[("iban_bad", "iban_fail_be")])


# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLES[a.lower()] = role
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(CAT.values())


def role_of(who):
    return ROLES.get(who.lower(), "public")


def severity(role, cats, checksum_pii):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                l = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii):
                    l = 4
            else:
                l = 2
        elif c == "reputation.complaint":
            l = 2
        elif c == "reputation.crisis":
            l = 3
        elif c == "reputation.abuse":
            l = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lv = max(lv, l)
    return SEV[lv]


for k in ("iban_cust", "iban_p2", "iban_be"):
    V[k + "_fmt"] = group4(V[k])
V["iban_fail_be_fmt"] = group4(V["iban_fail_be"])
V["card1_fmt"] = group4(V["card1"])
V["card2_fmt"] = "-".join(V["card2"][i:i + 4] for i in range(0, 16, 4))
V["card_fail_fmt"] = group4(V["card_fail"])


def fill(t):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"<<([a-z0-9_]+)>>", rep, t)
    assert "<<" not in out and ">>" not in out, out
    return out


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    day = rng.randint(0, 350)
    t = start + dt.timedelta(days=day, hours=rng.randint(6, 22), minutes=rng.randint(0, 59),
                             seconds=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


cases = list(CASES)
rng.shuffle(cases)
out = []
for i, c in enumerate(cases, 1):
    platform = c["who"].split(":", 1)[0]
    handle = c["who"].split(":", 1)[1]
    c["text"] = fill(c["text"])
    c["at"] = c["at"] or rand_time()
    role = role_of(c["who"])
    c["role"] = role
    checksum_pii = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    cats = sorted(set(c["cats"]))
    post = {"id": "%s-457%03d" % (platform, i), "platform": platform, "kind": c["kind"],
            "account": {"handle": handle}, "text": c["text"], "lang": c["lang"], "created_at": c["at"]}
    out.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, checksum_pii)}})
    c["out"] = out[-1]

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d])")
company_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in company_ibans:
    if not iban_ok(x):
        err("company IBAN fails mod-97: " + x)
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
all_accounts = set(ROLES)
embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
int_domains = [d.lower() for d in PROFILE["internal"]["domains"]]
markers = [m.lower() for m in PROFILE["internal"]["markers"]]

seen_ids = set()
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
    lines = f.read().splitlines()
if len(lines) != len(out):
    err("line count mismatch")
for ln in lines:
    o = json.loads(ln)
    if set(o) != {"post", "expect"}:
        err("bad keys %s" % list(o))
    p, e = o["post"], o["expect"]
    for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), typ):
            err("missing/bad %s in %s" % (k, p.get("id")))
    if not (1 <= len(p["id"]) <= 256):
        err("id length")
    if p["id"] in seen_ids:
        err("dup id " + p["id"])
    seen_ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        err("platform " + p["platform"])
    if p.get("kind", "post") not in KINDS:
        err("kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err("account.handle")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        err("text size " + p["id"])
    try:
        dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    except ValueError:
        err("created_at " + p["created_at"])
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
        err("created_at format " + p["created_at"])
    if not isinstance(e.get("categories"), list) or any(c not in CATS for c in e["categories"]):
        err("categories " + p["id"])
    if e["categories"] != sorted(set(e["categories"])):
        err("categories not sorted/unique " + p["id"])
    if e.get("severity") not in SEV:
        err("severity " + p["id"])
    if not e["categories"] and e["severity"] != "none":
        err("benign with severity " + p["id"])
    if e["categories"] and e["severity"] in ("none", "info"):
        err("positive with none " + p["id"])

for c in cases:
    o = c["out"]
    pid = o["post"]["id"]
    text = c["text"]
    cats = o["expect"]["categories"]
    benign = not cats
    compact = re.sub(r"[\s\-]", "", text)
    # severity recomputed from the profile role
    checksum_pii = any(t in ("iban", "card", "bsn") for t, _ in c["ids"])
    if severity(role_of(c["who"]), cats, checksum_pii) != o["expect"]["severity"]:
        err("severity mismatch " + pid)
    if checksum_pii and "leak.pii" not in cats:
        err("checksum id without pii " + pid)
    declared = set()
    for typ, key in c["ids"]:
        val = V[key]
        declared.add(val)
        if val not in compact:
            err("declared id not in text %s %s" % (pid, key))
        if typ == "iban" and not iban_ok(val):
            err("positive IBAN fails " + pid)
        if typ == "card" and not luhn_ok(val):
            err("positive card fails " + pid)
        if typ == "bsn" and not bsn_ok(val):
            err("positive BSN fails " + pid)
        if typ == "iban_bad" and iban_ok(val):
            err("negative IBAN passes " + pid)
        if typ == "card_bad" and luhn_ok(val):
            err("negative card passes " + pid)
        if typ == "bsn_bad" and bsn_ok(val):
            err("negative BSN passes " + pid)
        if typ.endswith("_bad") and not benign:
            err("look-alike in a positive " + pid)
    # scan every identifier-shaped string
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if iban_ok(v) and v not in company_ibans and v not in declared:
            err("undeclared valid IBAN %s in %s" % (v, pid))
        if not iban_ok(v) and not benign:
            err("failing IBAN in positive " + pid)
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19 and luhn_ok(v) and v not in declared:
            err("undeclared Luhn-valid number %s in %s" % (v, pid))
    for m in BSN_RE.finditer(text):
        v = m.group(0)
        if bsn_ok(v) and v not in declared:
            err("undeclared 11-proof number %s in %s" % (v, pid))
    # public identifiers are allowed in benign posts; any other e-mail must not be in benign ones
    for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
        if em.lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
            if benign:
                err("non-company e-mail in benign " + pid)
    # pricing consistency
    if c["price"]:
        sku, price = c["price"]
        if sku not in products:
            err("unknown sku " + sku)
        elif price is not None:
            r = price / products[sku]["list_price"]
            if "leak.pricing" in cats and r >= ratio:
                err("pricing positive not below ratio " + pid)
            if benign and r < 0.7:
                err("benign price too low " + pid)
    if "leak.pricing" in cats and not c["price"]:
        err("pricing case without product " + pid)
    # embargo / codename / internal domain / marker consistency
    tl = text.lower()
    at = dt.datetime.fromisoformat(c["at"].replace("Z", "+00:00"))
    for term, until in embargo:
        if term in tl and at < until and "leak.confidential" not in cats:
            err("embargo term before until, not confidential " + pid)
        if term in tl and at >= until and benign is False and cats == ["leak.confidential"]:
            err("embargo term after until labelled confidential only " + pid)
    for cn in codenames:
        if cn in tl and "leak.confidential" not in cats and "codename_ok" not in c["flags"]:
            err("codename without confidential " + pid)
    for d in int_domains:
        if d in tl and "leak.confidential" not in cats:
            err("internal domain without confidential " + pid)
    for mk in markers:
        if mk in tl and "leak.confidential" not in cats:
            err("marker without confidential " + pid)
    # role sanity: public authors must not be in the profile
    if role_of(c["who"]) == "public" and c["who"].lower() in all_accounts:
        err("public in profile " + pid)
    # dates
    if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= at < dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc)):
        err("date out of range " + pid)
    if at.year == 2027 and not any(t in tl for t, _ in embargo):
        err("2027 post unrelated to embargo " + pid)
    # secrets: formats and checksums
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if set(tok[4:]) <= {"x", "X"}:  # documentation sample, benign
            if not benign:
                err("sample token in positive " + pid)
            continue
        if not gh_token_ok(tok):
            err("GitHub token CRC fails " + pid)
        if "leak.secret" not in cats:
            err("token in non-secret " + pid)
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if tok.endswith("EXAMPLE"):
            if not benign:
                pass
        else:
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err("AWS key id alphabet " + pid)
            if "leak.secret" not in cats:
                err("AWS key in non-secret " + pid)
    for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if not jwt_ok(tok):
            err("JWT header without alg " + pid)
    if "BEGIN OPENSSH PRIVATE KEY" in text:
        body = "".join(text.split("-----BEGIN OPENSSH PRIVATE KEY-----")[1]
                       .split("-----END OPENSSH PRIVATE KEY-----")[0].split())
        if not base64.b64decode(body).startswith(b"openssh-key-v1\x00"):
            err("ssh key body " + pid)

for key in ("ghp1",):
    if not gh_token_ok(V[key]):
        err("ghp generator")
if not jwt_ok(V["jwt"]):
    err("jwt generator")
for key in ("iban_p2", "iban_cust", "iban_be"):
    if not iban_ok(V[key]):
        err("iban gen " + key)

# mix report
from collections import Counter

cc = Counter()
for o in out:
    for c in o["expect"]["categories"]:
        cc[c] += 1
n = len(out)
nb = sum(1 for o in out if not o["expect"]["categories"])
langs = Counter(o["post"]["lang"] for o in out)
roles = Counter((c["role"], "benign" if not c["out"]["expect"]["categories"] else "pos") for c in cases)
if not (170 <= n <= 180):
    err("case count %d" % n)
if errors:
    print("SELF-CHECK FAILED:")
    for e_ in errors:
        print("  -", e_)
    sys.exit(1)
print("ok: %d cases, %d benign" % (n, nb))
print("categories:", dict(sorted(cc.items())))
print("langs:", dict(langs), "nl share %.2f" % (langs["nl"] / n))
print("roles:", dict(roles))
print("severities:", dict(Counter(o["expect"]["severity"] for o in out)))
