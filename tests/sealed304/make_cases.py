#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 304 (Kwastelijn Chocolatiers B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Hand-written post texts;
generated identifiers and credentials are filled in at [[PLACEHOLDER]] spots.
Severities are computed from CONTRACT section 4 and the account role in profile.yaml.
The script checks its own output and exits non-zero on any problem.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 304_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
ZW = "\u200b"

# ----------------------------------------------------------------- identifiers

def iban_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_nl_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    return make_iban("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def gen_be_iban():
    # BE: 3-digit bank, 7-digit account, 2-digit national check (mod 97)
    while True:
        b = "".join(rng.choice(string.digits) for _ in range(10))
        chk = int(b) % 97 or 97
        bban = b + "%02d" % chk
        return make_iban("BE", bban)


def bad_iban(valid):
    # change the check digits so mod-97 fails
    cd = int(valid[2:4])
    cd2 = (cd + rng.randint(1, 40)) % 100
    out = valid[:2] + "%02d" % cd2 + valid[4:]
    assert not iban_check(out)
    return out


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def gen_card(kind="visa"):
    if kind == "visa":
        return group4(luhn_complete("4", 16))
    if kind == "mc":
        return group4(luhn_complete(str(rng.randint(51, 55)), 16))
    raise ValueError(kind)


def bad_card():
    c = re.sub(r"\D", "", gen_card("visa"))
    last = int(c[-1])
    c = c[:-1] + str((last + rng.randint(1, 9)) % 10)
    assert not luhn_ok(c)
    return group4(c)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * x for c, x in zip(s, w)) % 11 == 0


def gen_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        t = sum(int(c) * x for c, x in zip(s, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if t <= 9:
            out = s + str(t)
            assert bsn_ok(out)
            return out


def bad_bsn():
    b = gen_bsn()
    out = b[:-1] + str((int(b[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(out)
    return out


def gen_phone():
    d = "".join(rng.choice(string.digits) for _ in range(8))
    style = rng.randrange(6)
    if style == 0:
        return "06-" + d
    if style == 1:
        return "06 %s %s" % (d[:4], d[4:])
    if style == 2:
        return "+31 6 " + d
    if style == 3:
        return "+316" + d
    if style == 4:
        return "0031 6 %s %s" % (d[:4], d[4:])
    return "06 %s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:])


# ----------------------------------------------------------------- secrets

def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({
        "sub": "emp-%04d" % rng.randint(100, 9999),
        "role": "winkel_admin",
        "iss": "staff.kwastelijn.nl",
        "iat": 1780000000 + rng.randint(0, 9_000_000),
        "exp": 1790000000 + rng.randint(0, 9_000_000),
    }, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_header_ok(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def pem_openssh():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.randrange(256) for _ in range(330)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"


def fill(text, rec):
    """Replace [[NAME]] placeholders, recording checksum identifiers used."""
    def sub(m):
        k = m.group(1)
        if k == "IBAN":
            v = group4(gen_nl_iban()); rec["valid"].append(v); return v
        if k == "IBANC":
            v = gen_nl_iban(); rec["valid"].append(v); return v
        if k == "IBAN_BE":
            v = group4(gen_be_iban()); rec["valid"].append(v); return v
        if k == "IBAN_ZW":
            v = gen_nl_iban(); rec["valid"].append(v)
            return ZW.join(group4(v).split(" "))
        if k == "IBAN_BAD":
            v = group4(bad_iban(gen_nl_iban())); rec["bad"].append(v); return v
        if k == "COMPANY_IBAN":
            return group4(PROFILE["public_identifiers"]["ibans"][0])
        if k == "CARD":
            v = gen_card("visa"); rec["valid"].append(v); return v
        if k == "CARD_MC":
            v = gen_card("mc"); rec["valid"].append(v); return v
        if k == "CARD_BAD":
            v = bad_card(); rec["bad"].append(v); return v
        if k == "BSN":
            v = gen_bsn(); rec["valid"].append(v); return v
        if k == "BSN_BAD":
            v = bad_bsn(); rec["bad"].append(v); return v
        if k == "PHONE":
            return gen_phone()
        if k == "GHP":
            return gh_token("ghp_")
        if k == "AWSID":
            return aws_id()
        if k == "AWSSECRET":
            return aws_secret()
        if k == "MOLLIE":
            return "live_" + rand(string.ascii_letters + string.digits, 30)
        if k == "SLACK":
            return "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                                     rand(string.ascii_letters + string.digits, 24))
        if k == "STRIPE":
            return "sk_live_51" + rand(string.ascii_letters + string.digits, 97)
        if k == "OPENAI":
            return "sk-proj-" + rand(URLSAFE, 120) + "T3BlbkFJ" + rand(URLSAFE, 24)
        if k == "ANTHROPIC":
            return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
        if k == "JWT":
            return jwt()
        if k == "PEM":
            return pem_openssh()
        if k == "DBPW":
            return rand(string.ascii_letters + string.digits + "!%*", 18)
        raise KeyError(k)
    return re.sub(r"\[\[([A-Z_]+)\]\]", sub, text)


# ----------------------------------------------------------------- the posts
# (author "platform:handle", lang, categories, date, kind, text)
# date: "MM-DD" means 2026, or a full ISO date / timestamp.

CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCU = "leak.confidential", "leak.financial", "leak.security"

POSTS = [
    # ---------------------------------------------------------- complaints
    ("x:@marieke_vd_linden", "nl", [CPL], "07-22", "reply",
     "@kwastelijn_zorg mijn bestelling van de Grand Coffret kwam vandaag aan als één grote gesmolten plak 🫠 "
     "34 graden buiten en jullie versturen dat in een gewone kartonnen doos zonder koelelement?? 64 euro weggegooid"),
    ("x:@tomhalloran", "en", [CPL], "12-19", "post",
     "ordered 3 Klassiek 32 boxes on dec 1st for the office. it's the 19th. tracking still says 'label created'. "
     "great christmas gift guys. not. @kwastelijn"),
    ("facebook:ingrid.postma.73", "nl", [CPL], "12-04", "comment",
     "Chocoladeletters besteld voor de hele klas (24 stuks!) en bij de helft was de letter in twee of drie stukken "
     "gebroken. Sinterklaas is morgen. Wat moet ik nu tegen 24 kleuters zeggen? Erg teleurgesteld in Kwastelijn."),
    ("reddit:u/greyhoundmum", "en", [CPL], "03-10", "comment",
     "Is it just me or has Kwastelijn gone downhill? Bought the Truffel Noir at the Haarlem shop last week and half "
     "of them had that white chalky bloom on them, tasted stale too. Not exactly cheap either."),
    ("instagram:@fleurtjexx", "nl", [CPL], "05-30", "comment",
     "Ik had een doos met ALLEEN pure bonbons besteld voor mn vader (hij lust echt geen melk) en er zaten er 9 van "
     "melkchocolade in 🙄 weer een verjaardagscadeau verpest @kwastelijn.chocolade"),
    ("x:@rvdmeer", "nl", [CPL], "05-08", "post",
     "webshop van kwastelijn loopt al de hele avond vast bij het afrekenen. 4x geprobeerd, 4x foutmelding na iDEAL. "
     "moederdag is zondag hoor 😤"),
    ("threads:@lena.bakes.things", "en", [CPL], "02-16", "post",
     "paid extra for the gift note on my Grote Verwennerij hamper for my grandma. no note. no card. nothing. she had "
     "no clue who sent it 🙃 @kwastelijn.chocolade what's even the point of that option"),
    ("forum:Herman_B", "nl", [CPL], "10-03", "post",
     "Zaterdag in de Kwastelijn winkel in Amersfoort: 25 min in de rij, één medewerker achter de kassa, en toen ik "
     "vroeg of er iemand bij kon komen zei ze 'ziet u niet dat ik sta te werken?'. Zo behandel je je klanten niet."),
    ("x:@joycevandam_", "nl", [CPL], "04-03", "post",
     "Maandbox opgezegd in februari, bevestiging gekregen, en tóch in maart en april weer €27,50 afgeschreven. "
     "3 mails gestuurd, 0 reactie. @kwastelijn_zorg ??"),
    ("x:@daan_explains", "en", [CPL], "11-12", "post",
     "€36.50 for a Klassiek 32 and the box is literally half air. 32 bonbons the size of a fingernail. "
     "shrinkflation is alive and well at Kwastelijn #ripoff"),
    ("facebook:wendy.kooistra", "nl", [CPL], "04-09", "comment",
     "Gisteren paaseitjesmix gekocht bij Kwastelijn, thuis pas gezien dat de THT in januari al verlopen was. "
     "Teruggebracht en de verkoopster zei 'ach het is chocola, dat kan geen kwaad'. Echt niet normaal."),
    ("instagram:@ellis.and.co", "en", [CPL], "09-27", "comment",
     "our bonbon workshop in Utrecht got cancelled by text 2 hours before it started. 4 people x €45 and still no "
     "refund 3 weeks later. not impressed @kwastelijn.chocolade"),
    ("reddit:u/notenallergie_mama", "nl", [CPL], "06-14", "post",
     "Waarom staat bij geen enkele bonbon in de webshop van Kwastelijn de allergeneninfo? Mijn zoon heeft een "
     "pinda-allergie en ik moet elke keer bellen en dan 10 min in de wacht. Voor een bedrijf van die omvang "
     "gewoon slordig."),
    # complaint + abuse
    ("x:@wouterr88", "nl", [CPL, ABU], "11-28", "reply",
     "@kwastelijn_zorg jullie zijn echt een stelletje oplichters en klootzakken. 3e keer dat mn bestelling zoek is "
     "en niemand doet er iets aan"),
    ("x:@mikey_rants", "en", [CPL, ABU], "08-02", "reply",
     "@kwastelijn your customer service is run by brain-dead idiots. asked for a refund on a crushed Sacher taart "
     "THREE times. useless morons, all of you."),
    # first-hand safety incidents: crisis + complaint
    ("x:@ilse_hoogeveen", "nl", [CRI, CPL], "06-21", "post",
     "Mijn dochter (6) kreeg na 2 hapjes van de Romige Melk reep een allergische reactie, lippen helemaal "
     "opgezwollen, met spoed naar de huisartsenpost. Op de verpakking staat NERGENS hazelnoot. @kwastelijn_zorg "
     "wat zit hier in??"),
    ("reddit:u/sparkyfondue", "en", [CRI, CPL], "01-04", "post",
     "PSA: my Kwastelijn Smeltpot fondue set gave me a proper electric shock when I touched the metal rim while it "
     "was plugged in. Cable near the base is half melted. Bought it 3 weeks ago as a xmas gift to myself. "
     "Anyone else??"),
    ("facebook:ruud.hendriks.apeldoorn", "nl", [CRI, CPL], "03-02", "post",
     "Bijna mn kies gebroken op een stuk hard plastic in een bonbon uit de Klassiek 16 doos van Kwastelijn. Foto "
     "erbij. Dit had ook mijn kleinzoon van 4 kunnen zijn. Hoe kan zoiets gebeuren?"),
    ("x:@priyanair", "en", [CRI, CPL], "08-16", "post",
     "The Cascade chocolate fountain we bought for my daughter's party started smoking and then the motor "
     "actually caught fire. Kids were standing right next to it. My husband yanked the plug just in time. "
     "@kwastelijn this is absolutely unacceptable"),
    ("instagram:@tessa_runs", "nl", [CRI, CPL], "09-14", "post",
     "Hele gezin ziek na de Sachertaart van zaterdag 🤢 overgeven, diarree, mn man heeft een hele dag op de bank "
     "gelegen. Taart kwam van de Kwastelijn winkel in Zwolle. Zijn we de enigen?? #voedselvergiftiging"),
    ("x:@gert_jan_w", "nl", [CRI, CPL], "10-19", "post",
     "Stukje glas in mijn Hazelnoot Pralinéreep gevonden. Net niet doorgeslikt. Bewaard en gefotografeerd. "
     "@kwastelijn_zorg ik verwacht vandaag nog een reactie."),
    # ---------------------------------------------------------- crisis only
    ("x:@zwolle_nieuwsflits", "nl", [CRI], "09-16", "post",
     "Meerdere mensen onwel geworden na het eten van gebak van chocolaterie Kwastelijn in Zwolle, GGD doet "
     "onderzoek. #Zwolle #voedselveiligheid"),
    ("x:@foodsafety_alerts_eu", "en", [CRI], "10-22", "repost",
     "Recall alert 🇳🇱: Kwastelijn Hazelnoot Pralinéreep, batch L2611, possible glass fragments. Do not eat, "
     "return to store. #recall #foodsafety"),
    ("x:@cacao_zonder_kinderen", "nl", [CRI], "03-25", "post",
     "Kinderarbeid in hun cacaoketen en Kwastelijn doet maar alsof ze 'eerlijk' zijn. Deze Pasen geen euro naar "
     "ze toe. Deel dit! #BoycotKwastelijn"),
    ("reddit:u/phishedagain", "en", [CRI], "07-05", "post",
     "Has Kwastelijn been breached? The email I ONLY used for their webshop is now getting phishing 'from "
     "Kwastelijn' with my actual order number in it. They're leaking customer data and saying nothing."),
    ("blog:zoetwarencourant", "nl", [CRI], "05-19", "post",
     "Oud-medewerkers slepen Kwastelijn Chocolatiers voor de rechter om onbetaalde overuren tijdens de "
     "decembermaanden. De zaak dient in juni bij de kantonrechter in Utrecht."),
    ("tiktok:@thechocolatetruth", "en", [CRI], "11-03", "post",
     "this video of a MOUSE running over the praline trays inside a Kwastelijn shop is going around and nobody is "
     "talking about it 🐭🍫 #kwastelijn #gross #foodhygiene"),
    ("x:@kwastelijn", "nl", [CRI], "09-01", "post",
     "Terugroepactie: uit voorzorg roepen wij de Ruby Rozen tablet met THT 14-09-2026 terug vanwege mogelijk "
     "niet-vermelde pinda. Breng hem terug naar een van onze winkels, u krijgt uw geld terug."),
    ("x:@moeder_van_drie", "nl", [CRI], "12-08", "post",
     "Dus de Smeltpot fondueset van Kwastelijn is in Duitsland uit de handel gehaald omdat hij oververhit en hier "
     "ligt hij gewoon nog in de winkel?? Schandalig. Niemand meer kopen!!"),
    ("bluesky:@ralphwrites.bsky.social", "en", [CRI], "06-11", "post",
     "A friend works at the bakery next to the Kwastelijn shop in Leiden, says one of their staff got badly burned "
     "by the tempering machine yesterday and was taken away in an ambulance. Hope she's ok."),
    # ---------------------------------------------------------- abuse
    ("x:@fck_kwast", "nl", [ABU], "01-19", "post",
     "kwastelijn is een kankerbedrijf en iedereen die daar werkt mag van mij doodvallen"),
    ("x:@trollmaster_99", "en", [ABU], "04-17", "reply",
     "@lotte_chocolatier nobody cares about your ugly bonbons you talentless cow. go hide in your kitchen where "
     "you can't embarrass yourself"),
    ("instagram:@ruben_fit_", "nl", [ABU], "02-08", "comment",
     "wat een dikke lelijke wijven staan er in jullie winkels zeg, geen wonder dat jullie alleen chocola "
     "verkopen 🐷🐷 @kwastelijn.chocolade"),
    ("tiktok:@sem.in.de.winkel", "nl", [ABU], "12-06", "post",
     "die klant van vanmiddag die 20 min stond te zeuren over een gebroken letter: wat een ongelooflijke debiel "
     "ben jij. mensen zoals jij moeten gewoon thuisblijven 🙄 #retaillife"),
    ("x:@bram_houtum", "en", [ABU], "11-12", "reply",
     "@daan_explains maybe learn to read a product page before whining, genius. idiots like you are the reason "
     "we need a FAQ"),
    ("x:@anoniem_zoetekauw", "nl", [ABU], "03-30", "post",
     "k@nk3r kw@stelijn met je t y f u s prijzen, st3rf allemaal"),
    ("reddit:u/grumpy_gus", "en", [ABU], "10-28", "comment",
     "kwastelijn staff are a bunch of f.u.c.k.i.n.g r3t@rds lol"),
    ("x:@echte_hollander_77", "nl", [ABU], "07-14", "post",
     "die nieuwe bedrijfsleider bij Kwastelijn Arnhem met z'n baard, ga lekker terug naar je eigen land, hier "
     "hoor je niet #kwastelijn"),
    ("x:@chocsnob_uk", "en", [ABU], "05-02", "post",
     "Kwastelijn's marketing team are absolute clowns. Pathetic, useless, embarrassing. Fire the lot of them."),
    ("facebook:kees.brouwer.1961", "nl", [ABU], "08-25", "comment",
     "Tering zooi. Kwastelijn = oplichters en dat social media meisje van jullie is een domme trut."),
    # ---------------------------------------------------------- pricing
    ("instagram:@kwastelijn.chocolade", "nl", [PRI], "10-10", "post",
     "Alleen vandaag in de webshop: Grand Coffret 48 voor €6,45! 🍫✨ Op = op, dus wees er snel bij."),
    ("x:@kwastelijn", "en", [PRI], "03-13", "post",
     "Weekend treat 💝 Truffel Noir now just €2.49 in all our shops. See you there!"),
    ("x:@lotte_chocolatier", "nl", [PRI], "08-20", "post",
     "Collega's, kijk ff naar de webshop: de Cascade fontein staat op €12,90 ipv €129. Iemand is een nul "
     "vergeten denk ik 😅"),
    ("reddit:u/dealhunter_nl", "en", [PRI], "11-27", "post",
     "PRICE ERROR 🚨 Kwastelijn Smeltpot fondue set for €4.99 on shop.kwastelijn.nl, ordered 5, let's see if "
     "they honour it"),
    ("x:@koopjesjager_", "nl", [PRI], "12-01", "post",
     "prijsfout bij kwastelijn!! Cadeaupakket Grote Verwennerij voor €5,99 😱 wees snel"),
    ("facebook:KwastelijnChocolatiers", "nl", [PRI], "11-15", "post",
     "Nieuw voor Sinterklaas: de Chocoladeletter Melk 200g, nu voor maar €0,69 per stuk in al onze winkels! 🎁"),
    ("linkedin:youssef-benali-kw", "en", [PRI], "10-30", "post",
     "Heads up store team: the till system is showing the Sacher taart at €3.20 today, we already sold a few at "
     "that price before we noticed. Please double-check before scanning."),
    ("tiktok:@kwastelijnbonbons", "nl", [PRI], "01-23", "post",
     "Onze bonbon workshop nu voor €9 p.p. 🤩 boek snel via de link in bio! #bonbons #workshop"),
    ("x:@frugal_fenna", "en", [PRI], "02-26", "post",
     "lol Kwastelijn's webshop has the Maandbox subscription at €2.75 a month. pretty sure that's a typo but "
     "I'm not complaining"),
    ("bluesky:@evywinkel.bsky.social", "nl", [PRI], "11-21", "post",
     "Sta vandaag in de winkel en de kassa rekent de Klassiek 32 af voor €3,65. Prijsfout in het systeem, is "
     "gemeld maar tot die tijd… 🙈"),
    ("x:@koen_ops", "nl", [PRI], "06-03", "post",
     "Foutje in de prijsfeed naar de webshop: Hazelnootpasta 300g staat nu op €0,79. Fix staat klaar, deploy om 14:00."),
    ("instagram:@bargainbea", "en", [PRI], "02-12", "post",
     "Kwastelijn Ruby Rozen tablet for 49 cents at the Rotterdam store 😳 bought 20 of them, is this a pricing "
     "mistake or what"),
    # ---------------------------------------------------------- confidential
    ("x:@lotte_chocolatier", "nl", [CON], "09-09", "post",
     "Eindelijk mag ik er een klein beetje over praten 🤭 de eerste proefbatch van Blauwe Boon is binnen en hij "
     "is echt fantastisch. Nog even geduld allemaal!"),
    ("linkedin:mirjam-oosterhuis", "en", [CON], "04-22", "post",
     "Busy weeks working on Project Toekan: the business case for the new production line in Veenendaal is "
     "finally coming together. Proud of this team! #finance #chocolate"),
    ("x:@bram_houtum", "nl", [CON], "06-17", "post",
     "kan iemand even kijken waarom https://jira.kwastelijn.nl/browse/WEB-1184 weer op blocked staat? de "
     "checkout-release hangt erop"),
    ("mastodon:@niels_dekker", "en", [CON], "02-03", "post",
     "TIL our staging ERP lives at erp.kwastelijn.local and half the team still bookmarks the old IP. anyway, "
     "migrating it to k8s this sprint 🚀"),
    ("instagram:@dorien.bakt", "nl", [CON], "11-06", "post",
     "Sneak peek 👀 van de Lentecollectie 2027 waar ik al maanden aan werk. Meer mag ik nog niet laten zien! "
     "#chocolatier #patisserie"),
    ("x:@chocolate_insider_blog", "en", [CON], "12-02", "post",
     "Hearing from a little bird that Kwastelijn's vegan line is codenamed 'Blauwe Boon' and launches in March. "
     "You heard it here first 🫘"),
    ("linkedin:hanneke-de-wit-kwastelijn", "nl", [CON], "01-27", "post",
     "Screenshot van de nieuwe onboardingpagina op intranet.kwastelijn.local, trots op het resultaat! Mag helaas "
     "niet alles laten zien want KW-INTERN 😉"),
    ("x:@koen_ops", "nl", [CON], "05-12", "post",
     "Deploy-freeze tot vrijdag ivm de Pr\u043eject T\u043eekan cutover, niks pushen aub"),
    ("mastodon:@niels_dekker", "en", [CON], "10-14", "post",
     "lol someone printed the \uff2b\uff37\uff0d\uff29\uff2e\uff34\uff25\uff32\uff2e roadmap and left it at the "
     "coffee machine, it has the Zwarte Parel bonbon launch date on it and the new shop cities"),
    ("tiktok:@sem.in.de.winkel", "nl", [CON], "08-08", "post",
     "mag niks zeggen maar in het magazijn staan al pallets met 'O.p.e.r.a.t.i.e H.a.z.e.l.a.a.r' erop 👀👀"),
    ("reddit:u/throwaway_kw_ex", "en", [CON, FIN], "07-29", "post",
     "Ex-employee here. The doc titled 'Kwastelijn vertrouwelijk - winkelplan 2027' says they're closing 6 shops "
     "and expanding into Belgium. Make of that what you will."),
    ("x:@kwastelijn", "nl", [CON], "12-20", "post",
     "Psst… de Zwarte Parel bonbon komt eraan 🖤 Wie raadt de smaak?"),
    ("linkedin:youssef-benali-kw", "en", [CON], "01-09", "post",
     "Attached the Q1 planning deck for store managers (niet voor externe verspreiding, but happy to discuss "
     "with fellow retail folks 😊)"),
    ("x:@bram_houtum", "nl", [CON, SCU], "03-17", "post",
     "wie heeft vpn.kwastelijn.nl weer op een verlopen cert gezet? niemand kan inloggen vanuit de winkels, "
     "kassa's draaien offline"),
    ("x:@lotte_chocolatier", "en", [CON], "10-06", "post",
     "Shooting the Spring Collection 2027 campaign today 📸🌸 can't show you anything yet but the pistachio "
     "one... wow"),
    ("linkedin:mirjam-oosterhuis", "nl", [CON, FIN], "2027-02-20", "post",
     "Laatste hand gelegd aan de jaarcijfers 2026: omzet +14%, EBITDA-marge 11,2%. Trots op iedereen die hieraan "
     "heeft meegewerkt!"),
    ("x:@koen_ops", "en", [CON], "11-30", "post",
     "grafana.kwastelijn.nl is still VPN-only, but here's a screenshot of our black friday traffic peak: "
     "41k req/min 🔥"),
    ("facebook:annelies.vos.52", "nl", [CON, FIN], "05-26", "comment",
     "Mijn zwager werkt bij Kwastelijn en die zegt dat Operatie Hazelaar de overname van hun notenleverancier is. "
     "Dus straks wordt alles nog duurder?"),
    # ---------------------------------------------------------- financial
    ("linkedin:mirjam-oosterhuis", "nl", [FIN], "10-08", "post",
     "Voorlopige Q3-omzet is binnen: 18% boven budget, vooral dankzij de webshop. Officiële cijfers volgen in "
     "november, maar ik kon het even niet laten 🎉"),
    ("x:@bram_houtum", "en", [FIN], "09-18", "post",
     "rumour at the office today: we're being bought by a big Belgian confectionery group. management didn't "
     "deny it at the all-hands lol"),
    ("reddit:u/jasper_kwast", "nl", [FIN], "01-14", "post",
     "Vandaag gehoord dat ons distributiecentrum in Nieuwegein eind maart dichtgaat, zo'n 40 man op straat. "
     "Wordt pas volgende maand officieel bekendgemaakt."),
    ("linkedin:hanneke-de-wit-kwastelijn", "en", [FIN], "11-24", "post",
     "Tough weeks in HR preparing the reorganisation of our shop network: 9 locations will be merged and roughly "
     "60 roles are affected. The announcement is planned for after the holidays."),
    ("x:@beursfluisteraar", "nl", [FIN], "08-12", "post",
     "Uit goede bron: Kwastelijn Chocolatiers sluit 2026 af met verlies en de bank zit ze op de huid. Verkoop "
     "aan een private-equitypartij wordt voorbereid."),
    ("mastodon:@niels_dekker", "en", [FIN], "04-28", "post",
     "forecast meeting today: board expects webshop revenue to double by 2028 and wants to cut the number of "
     "shops in half. guess who gets to build the new platform 🙃"),
    ("instagram:@dorien.bakt", "nl", [FIN], "02-19", "post",
     "Laatste maanden in de bakkerij in Deventer 😢 de hele patisserie-afdeling wordt per 1 mei opgeheven, maar "
     "dat weet nog niemand dus sssst"),
    ("threads:@retail_insider_nl", "en", [FIN], "03-04", "post",
     "Kwastelijn is in talks to acquire a Belgian praline maker, deal could be signed before Easter according "
     "to two people familiar with the matter."),
    ("bluesky:@evywinkel.bsky.social", "nl", [FIN], "07-09", "post",
     "Bedrijfsleider zei vandaag dat onze winkel in Breda volgend jaar sluit. Wij horen het natuurlijk als "
     "laatste. Nog niet officieel, dus niet doorvertellen 😬"),
    # ---------------------------------------------------------- security
    ("x:@koen_ops", "en", [SCU], "07-03", "post",
     "been up since 3am: someone got into our webshop admin through an old plugin and exported the customer "
     "table. legal says we can't say anything yet 😩"),
    ("x:@bram_houtum", "nl", [SCU], "11-29", "post",
     "iDEAL-koppeling ligt er al sinds 11:00 uit en er staat nog geen storingsmelding op de site. klanten kunnen "
     "gewoon niet betalen 😬"),
    ("mastodon:@niels_dekker", "en", [SCU], "08-31", "post",
     "fun fact: our order API still returns full customer addresses if you just increment the order id. "
     "reported it internally in June, still not fixed 🤷"),
    ("reddit:u/jasper_kwast", "nl", [SCU], "12-10", "post",
     "Magazijnsysteem is sinds vannacht versleuteld door ransomware, we pakken alles met de hand in vanaf "
     "papieren lijsten. Klanten merken het pas als hun bestelling niet komt."),
    ("x:@koen_ops", "en", [SCU], "10-05", "post",
     "note for colleagues: the checkout system in all shops goes offline tomorrow because the vendor found a "
     "critical bug in the card terminals. don't tell customers yet"),
    ("linkedin:youssef-benali-kw", "nl", [SCU], "02-24", "post",
     "Vanochtend bleek dat iemand met een gestolen toegangspas de winkel én het kantoor in Arnhem in kon. "
     "Camerabeelden liggen bij de politie, intern is er nog niks over gecommuniceerd."),
    ("reddit:u/ex_contractor_dev", "en", [SCU], "06-06", "comment",
     "Former contractor for Kwastelijn: their S3 bucket with invoice PDFs was publicly listable for months. "
     "Told them last year, no idea if it's fixed."),
    ("x:@koen_ops", "nl", [SCU], "04-14", "post",
     "Phishingmail met nep-factuur is bij 30+ collega's binnengekomen, 4 hebben op de link geklikt en hun "
     "wachtwoord ingevuld. We resetten nu alles, vandaar de uitval van de kassa-app."),
    ("x:@bram_houtum", "en", [SCU], "12-14", "post",
     "webshop is down again. it's the database, disk full. don't @ the care team, they don't know yet 🙃"),
    ("mastodon:@niels_dekker", "nl", [SCU], "12-17", "post",
     "Onze pentester vond een SQL-injectie in het zoekveld van de webshop. Patch pas na de feestdagen want "
     "code freeze. Spannend hoor."),
    ("x:@koen_ops", "en", [SCU], "09-23", "post",
     "r" + ZW + "a" + ZW + "n" + ZW + "s" + ZW + "o" + ZW + "m" + ZW + "w" + ZW + "a" + ZW + "r" + ZW + "e on the "
     "label printers at the DC again, third time this month. writing shipping labels by hand lol"),
    ("tiktok:@sem.in.de.winkel", "nl", [SCU], "05-15", "post",
     "pinautomaat in onze winkel doet al 3 dagen raar, klanten worden soms twee keer afgeschreven en we mogen "
     "er niks over zeggen 🤐"),
    # ---------------------------------------------------------- secrets
    ("x:@bram_houtum", "en", [SEC], "03-05", "post",
     "why does this not work?? `git clone https://[[GHP]]@github.com/kwastelijn/webshop.git` keeps asking for "
     "a password"),
    ("mastodon:@niels_dekker", "nl", [SEC], "05-06", "post",
     "Iemand een idee waarom boto3 hier AccessDenied geeft?\n\naws_access_key_id = [[AWSID]]\n"
     "aws_secret_access_key = [[AWSSECRET]]\nregion = eu-west-1"),
    ("x:@koen_ops", "en", [SEC], "01-30", "post",
     "Mollie webhook keeps failing with a 401, we're using key [[MOLLIE]]. any ideas?"),
    ("linkedin:hanneke-de-wit-kwastelijn", "nl", [SEC], "08-31", "post",
     "Nieuwe collega's: inloggen op het HR-portaal kan met gebruikersnaam welkom2026 en wachtwoord: "
     "Kw@st-Start!26 (graag meteen wijzigen 😊)"),
    ("reddit:u/freelance_botdev", "en", [SEC], "04-01", "post",
     "Building an order-notification Slack bot for Kwastelijn (chocolate shop client) and it keeps dying with "
     "invalid_auth. token is [[SLACK]], scopes look right. help?"),
    ("x:@bram_houtum", "nl", [SEC, CON], "07-07", "post",
     "stacktrace uit productie, sorry voor de spam:\nDATABASE_URL=postgres://kw_shop:[[DBPW]]@"
     "db-prod-01.kwastelijn.local:5432/webshop"),
    ("mastodon:@niels_dekker", "en", [SEC], "09-02", "post",
     "jwt debugging hell. token from the staff app: [[JWT]] exp looks fine, signature check fails. anyone?"),
    ("x:@koen_ops", "nl", [SEC], "10-21", "post",
     "deploy key voor de kassaserver, vergeten uit de paste te halen maar ach:\n[[PEM]]"),
    ("x:@bram_houtum", "en", [SEC], "06-25", "post",
     "testing the new bonbon recommender, OPENAI_API_KEY=[[OPENAI]] works locally but not on staging?"),
    ("bluesky:@evywinkel.bsky.social", "nl", [SEC], "11-18", "post",
     "voor de collega's: wifi van het magazijn is KW-Magazijn, wachtwoord Bonbon#Utrecht2026 (niet aan klanten "
     "geven 😉)"),
    ("forum:stripe_noob_88", "en", [SEC], "02-21", "post",
     "Kwastelijn's old agency left this in the public JS bundle on their webshop: [[STRIPE]] seriously??"),
    ("mastodon:@niels_dekker", "nl", [SEC], "07-24", "post",
     "Waarom krijg ik een 401 van de API? .env:\nANTHROPIC_API_KEY=[[ANTHROPIC]]\nMODEL=claude\n"
     "Op mijn laptop werkt het wel."),
    # ---------------------------------------------------------- personal data
    ("x:@kwastelijn_zorg", "nl", [PII], "07-23", "reply",
     "@marieke_vd_linden Excuses! We sturen vandaag een nieuwe Grand Coffret (met koelelement) naar Marieke van "
     "der Linden, Populierenlaan 23, 8014 BK Zwolle. Klopt dat adres nog?"),
    ("x:@kwastelijn_zorg", "en", [PII], "12-20", "reply",
     "@tomhalloran So sorry Tom! The refund is on its way to [[IBAN]] (T. Halloran), should arrive within 3 "
     "working days."),
    ("facebook:KwastelijnChocolatiers", "nl", [PII], "04-10", "comment",
     "Beste Wendy, we hebben je net gebeld op [[PHONE]] maar kregen geen gehoor. Wil je ons even terugbellen?"),
    ("linkedin:hanneke-de-wit-kwastelijn", "nl", [PII], "03-06", "post",
     "Welkom aan onze nieuwe collega Sanne Mulder (geboren 04-07-1999)! Sanne begint maandag in onze winkel "
     "in Leiden 🎉"),
    ("x:@bram_houtum", "en", [PII], "05-21", "post",
     "support asked me to look into this order, card was [[CARD]] exp 09/28, payment keeps failing at 3DS. "
     "any ideas @koen_ops?"),
    ("tiktok:@sem.in.de.winkel", "nl", [PII], "06-29", "post",
     "klant liet vandaag haar portemonnee liggen 🙈 rijbewijs op naam van Fatma Yıldız, geb. 12-11-1987. bel "
     "de winkel als je dit bent!"),
    ("reddit:u/jasper_kwast", "nl", [PII], "01-28", "post",
     "Wie van HR heeft de loonstrook van Erik Jansma in de gedeelde map gezet? BSN [[BSN]] staat er gewoon op, "
     "IBAN [[IBAN]] ook. Iedereen in het magazijn kan erbij."),
    ("mastodon:@niels_dekker", "en", [PII], "08-13", "post",
     "debug log from the order service, can someone explain this?\n"
     "{customer: 'j.vermeulen84@gmail.com', phone: '[[PHONE]]', status: 'PAYMENT_PENDING'}"),
    ("x:@joycevandam_", "nl", [PII], "04-04", "reply",
     "@kwastelijn_zorg bedankt voor het snelle antwoord! ordernr KW-20260412-7741, bel me gerust op [[PHONE]] "
     "of mail naar joyce.vdam@hotmail.com"),
    ("x:@tomhalloran", "en", [PII], "12-20", "reply",
     "@kwastelijn_zorg my IBAN for the refund is [[IBAN_BE]] , account name Tom Halloran. thanks"),
    ("facebook:gerrit.pol.71", "nl", [PII, ABU], "10-04", "comment",
     "Die onbeschofte medewerker heet Linda Smeets en woont op de Kerkstraat 8 in Ede. Ga haar maar eens vertellen "
     "wat je van haar vindt, die trut."),
    ("reddit:u/jasper_kwast", "nl", [PII], "09-11", "post",
     "Op een retourpakket stond gewoon met stift: M. de Boer, Vlinderweg 112, 3824 KL Amersfoort, tel "
     "[[PHONE]]. Geen ordernummer. Wat moet ik hier nou mee"),
    ("x:@kwastelijn_zorg", "en", [PII], "10-18", "reply",
     "@ellis.and.co Hi Ellis, we found your booking under ellis.mayhew@outlook.com, the refund for all 4 "
     "workshop spots has now been processed!"),
    ("x:@bram_houtum", "nl", [PII], "02-11", "post",
     "klant belt over dubbele afschrijving, rekening [[IBAN_ZW]] op naam van H. Bouali, kan iemand van finance "
     "even kijken?"),
    ("x:@freelance_fenna", "nl", [PII], "06-02", "post",
     "Kwastelijn vraagt bij een sollicitatie om je BSN in een gewoon webformulier?? Heb 'm maar ingevuld: "
     "[[BSN]]. Klopt dat wel?"),
    # ---------------------------------------------------------- benign (hard negatives mostly)
    ("instagram:@smulpaapje_ams", "nl", [], "03-21", "post",
     "Grand Coffret gekregen voor mn verjaardag en ik ben officieel verslaafd 😍 die met passievrucht is ZIEK "
     "goed #kwastelijn"),
    ("x:@jen_eats", "en", [], "02-02", "post",
     "Kwastelijn's Puur 72 is the only dark chocolate I buy now. €3.95 and worth every cent."),
    ("x:@ouwe_reus", "nl", [], "11-19", "post",
     "weet iemand tot hoe laat de Kwastelijn in Den Bosch open is op koopavond?"),
    ("x:@kwastelijn_zorg", "nl", [], "11-19", "reply",
     "@ouwe_reus Hoi! Op donderdag zijn we tot 21:00 open. Vragen over je bestelling? Mail "
     "klantenservice@kwastelijn.nl of bel gratis 0800-5927."),
    ("facebook:KwastelijnChocolatiers", "en", [], "09-08", "post",
     "Business orders over €500 can be paid on invoice. Please transfer to [[COMPANY_IBAN]] quoting your order "
     "number, or get in touch via zakelijk@kwastelijn.nl."),
    ("x:@linda_leest", "nl", [], "08-06", "post",
     "Die grote Zwitserse chocolademaker roept wéér repen terug vanwege salmonella. Blij dat ik gewoon bij "
     "Kwastelijn om de hoek haal."),
    ("x:@kwastelijn", "nl", [], "11-17", "post",
     "Sinterklaasactie 🎁 Klassiek 16 nu €15,95 (normaal €19,95). Alleen deze week in al onze winkels en op "
     "shop.kwastelijn.nl"),
    ("instagram:@kwastelijn.chocolade", "en", [], "02-09", "post",
     "Valentine's week 💗 25% off Ruby Rozen tablets: €3.94 instead of €5.25. Treat someone (or yourself)."),
    ("x:@bram_houtum", "en", [], "04-15", "post",
     "tip for anyone writing boto3 examples: use the placeholder keys from the AWS docs like "
     "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never your own 🙏"),
    ("mastodon:@niels_dekker", "nl", [], "05-27", "post",
     "In onze README staat nu `GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` als voorbeeld. Echte "
     "tokens horen in de vault, mensen."),
    ("linkedin:mirjam-oosterhuis", "nl", [], "2027-03-06", "post",
     "De jaarcijfers 2026 van Kwastelijn Chocolatiers staan online: omzet €48,3 mln, +9%. Dank aan alle "
     "collega's in de winkels, het atelier en op kantoor!"),
    ("instagram:@kwastelijn.chocolade", "en", [], "2027-02-03", "post",
     "It's here 🖤 Meet the Zwarte Parel bonbon, the star of our Lentecollectie 2027. In all shops from today!"),
    ("x:@fenna_fietst", "nl", [], "04-12", "post",
     "Vorige week geklaagd over mijn kapotte paaseitjes, vandaag al een nieuw pakket plus een handgeschreven "
     "kaartje gekregen. Top service @kwastelijn_zorg 👏"),
    ("x:@sadie_k", "en", [], "10-26", "post",
     "Sending love to the Kwastelijn team in Leiden after the flooding on your street last night 💛 hope the "
     "shop is back open soon"),
    ("x:@grapjas_gijs", "nl", [], "01-06", "post",
     "Mijn tandarts belde net: 'we hebben je Kwastelijn-bonnetjes gezien, we moeten even praten' 😂"),
    ("reddit:u/bakingnerd", "en", [], "12-28", "comment",
     "Lifehack: melt two bars of Puur 72 with a splash of cream and you've got better ganache than any recipe "
     "I've tried. Secret ingredient is a pinch of salt."),
    ("x:@hannahs_huis", "nl", [], "05-16", "post",
     "Zitten er noten in de Ruby Rozen tablets van Kwastelijn? Wil ze meenemen naar een verjaardag met een "
     "kindje met notenallergie."),
    ("x:@kwastelijn_zorg", "nl", [], "05-16", "reply",
     "@hannahs_huis Goede vraag! Ruby Rozen wordt gemaakt in ons atelier waar ook noten worden verwerkt, dus "
     "sporen zijn mogelijk. Alle allergenen vind je op kwastelijn.nl/allergenen"),
    ("linkedin:kwastelijn-chocolatiers", "en", [], "03-18", "post",
     "We're hiring a Security Engineer to help keep our webshop and 34 shops safe. Experience with cloud, "
     "payment systems and incident response is a plus. Apply via vacatures@kwastelijn.nl"),
    ("x:@pieter_zegt", "nl", [], "10-25", "post",
     "Ik wil een boycot van de wintertijd. Om 5 uur al donker. Gelukkig heb ik nog een halve doos Truffel Noir liggen."),
    ("instagram:@mamavanmees", "nl", [], "12-27", "comment",
     "Vertrouwelijk tussen ons: ik heb de hele doos Klassiek 16 zelf leeggegeten voordat mn schoonmoeder op "
     "bezoek kwam 🤫🍫"),
    ("x:@student_life_rob", "en", [], "01-20", "post",
     "got kicked out of my group project (deserved) so I'm drowning my sorrows in Zeezout Karamel. €4.25 therapy"),
    ("x:@jaap_de_wolf", "nl", [], "03-03", "post",
     "hoe verander ik mijn wachtwoord in de kwastelijn app? kan het nergens vinden"),
    ("x:@kwastelijn_zorg", "nl", [], "03-03", "reply",
     "@jaap_de_wolf Via Profiel > Instellingen > Wachtwoord wijzigen. Lukt het niet? Stuur ons gerust een DM 😊"),
    ("x:@maria_bnb", "en", [], "07-31", "post",
     "Anyone else get an SMS saying 'your Kwastelijn order is held, pay €2 customs to [[IBAN_BAD]]'? It's a "
     "scam, don't pay! Reported it to the Fraudehelpdesk."),
    ("x:@bert_b", "nl", [], "09-29", "post",
     "Haha mijn zoon dacht dat hij bonbons kon bestellen met een zelfverzonnen creditcardnummer: [[CARD_BAD]]. "
     "Webshop zei nee 😂"),
    ("linkedin:johan-verbeek-qa", "nl", [], "06-19", "post",
     "Tip voor wie webshopformulieren test: 123456789 is geen geldig BSN, de elfproef faalt. Handig als "
     "negatieve testcase."),
    ("mastodon:@niels_dekker", "en", [], "09-03", "post",
     "PSA: I've redacted the token in my last screenshot to eyJhbGciOi…[REDACTED]. thanks to whoever pinged me."),
    ("x:@foodie_nl", "en", [], "01-25", "post",
     "Fair-trade debate aside, Kwastelijn's Vegan Havermelk reep is honestly delicious. Creamier than most milk bars."),
    ("tiktok:@kwastelijnbonbons", "nl", [], "11-05", "post",
     "Zo maken wij onze chocoladeletters 🍫 van tempereren tot inpakken. Welke letter wil jij dit jaar? "
     "#sinterklaas #kwastelijn"),
    ("x:@ricky_r", "nl", [], "06-08", "post",
     "Kwastelijn chocoladefontein gehuurd voor onze bruiloft, de gasten waren laaiend enthousiast 🔥🔥"),
    ("x:@jess_writes", "en", [], "04-26", "post",
     "This Sacher taart from Kwastelijn is criminally good. Should be illegal. Calling the police on myself."),
    ("reddit:u/zuinige_zeeuw", "nl", [], "02-14", "comment",
     "Iemand ervaring met de Maandbox van Kwastelijn? €27,50 per maand vind ik pittig maar lijkt me een leuk cadeau."),
    ("x:@londonbites", "en", [], "08-29", "post",
     "Popped into Kwastelijn Amsterdam, got a Klassiek 32 for €36.50. Pricey, but the passionfruit one alone is "
     "worth it."),
    ("x:@lotte_chocolatier", "nl", [], "11-10", "post",
     "Vandaag 400 kilo chocoladeletters getempereerd. Mijn armen zijn op 💪 #chocolatier"),
    ("linkedin:youssef-benali-kw", "en", [], "09-24", "post",
     "Proud of my team in Arnhem: voted best shop in the region in the customer survey that was published last "
     "week 🍫🏆"),
    ("facebook:KwastelijnChocolatiers", "nl", [], "07-01", "post",
     "Wist je dat je je lege bonbondozen bij ons in de winkel kunt inleveren? Wij zorgen dat ze gerecycled worden ♻️"),
    ("x:@techtalk_tim", "en", [], "03-27", "post",
     "Reminder: never paste API keys in public posts. Saw a dev at a big retailer leak one last week. Rotate, "
     "use a vault, sleep better."),
    ("x:@emma_vlogt", "nl", [], "10-31", "post",
     "Nieuwe vlog: ik proef ALLE bonbons uit de Grand Coffret van Kwastelijn en maak een ranking 🍫 link in bio"),
    ("threads:@cocoa.curious", "en", [], "05-04", "post",
     "How does Kwastelijn get their caramel so smooth? Secret recipe or just really good butter?"),
    ("x:@rachelbakes", "en", [], "11-01", "post",
     "Just did the bonbon workshop at Kwastelijn Utrecht, €45 well spent! Our teacher Dorien was amazing."),
    ("instagram:@dorien.bakt", "nl", [], "11-02", "post",
     "Zaterdag weer workshop gegeven in Utrecht, wat een leuke groep! Nieuwe data staan op "
     "kwastelijn.nl/workshops 🍫"),
    ("x:@nieuwsjunk_nl", "nl", [], "06-23", "post",
     "Grote Belgische snoepfabrikant schrapt 200 banen en sluit een fabriek, lees ik net. Pfff, rot voor die mensen."),
    ("x:@stocksandsweets", "en", [], "01-15", "post",
     "Cocoa futures up 12% this week. Every chocolatier is going to raise prices, Kwastelijn included I bet."),
    ("facebook:KwastelijnChocolatiers", "nl", [], "10-29", "post",
     "Onze winkel in Leiden is na de wateroverlast weer open! Dank voor al jullie lieve berichten 💛"),
    ("x:@kwastelijn", "en", [], "2027-03-04T09:15:00Z", "post",
     "Our full-year 2026 results are out 📈 Read the press release at kwastelijn.nl/pers"),
    ("x:@koopjesjager_", "nl", [], "11-25", "post",
     "Kwastelijn sale: Cascade fontein van €129 voor €99. Geen prijsfout, gewoon een goeie deal 👌"),
    ("instagram:@gift_guru", "en", [], "12-05", "post",
     "Gift guide under €20 🎁 Kwastelijn Klassiek 16 (€19.95), Hazelnootpasta (€7.95), Ruby Rozen (€5.25). You're welcome."),
    ("x:@tim_plant", "nl", [], "08-18", "post",
     "Zit er palmolie in de hazelnootpasta van Kwastelijn? Kan het nergens vinden op de site."),
    ("x:@rikkert_zegt", "nl", [], "07-18", "post",
     "Mijn klantnummer bij Kwastelijn is [[BSN_BAD]], lekker makkelijk te onthouden niet 🙃"),
    ("x:@sportschool_sjors", "nl", [], "04-19", "post",
     "Na de marathon een hele Pralinéreep opgegeten. Geen spijt. #hersteldag"),
    ("bluesky:@amsterdamwalks.bsky.social", "en", [], "05-23", "post",
     "Walking tour tip: the Kwastelijn shop on the Haarlemmerstraat smells like heaven. Free tastings on Saturdays."),
    ("x:@kwastelijn", "nl", [], "01-12", "post",
     "Vannacht tussen 23:00 en 01:00 gepland onderhoud aan de webshop. Daarna kun je gewoon weer bestellen 👍"),
    ("x:@koen_ops", "en", [], "02-05", "post",
     "Talk accepted 🎉 I'll be speaking at a DevOps meetup about how we scaled our webshop for Sinterklaas. "
     "Slides will be public afterwards."),
    ("x:@kim_k", "nl", [], "06-12", "post",
     "Dat moment dat je collega je Kwastelijn bonbons 'lekt' naar de rest van de afdeling 😤 mijn geheime "
     "voorraad is op"),
    ("x:@doc_sam", "en", [], "08-09", "post",
     "Kwastelijn's receipt only shows **** **** **** 4821, good privacy practice tbh"),
    ("linkedin:hanneke-de-wit-kwastelijn", "nl", [], "10-13", "post",
     "Wij zoeken winkelmedewerkers voor de decemberdrukte! Reageren kan via vacatures@kwastelijn.nl of bel "
     "+31 30 760 4400."),
    ("x:@vintage_vera", "en", [], "07-26", "post",
     "Found a 1998 Kwastelijn tin at a flea market for €2. The chocolate's long gone but the tin is gorgeous."),
    ("x:@lisa_pannenkoek", "nl", [], "01-02", "post",
     "Smeltpot fondueset gebruikt op oudejaarsavond, werkt perfect en makkelijk schoon te maken 👌"),
    ("x:@vogelaar_vera", "nl", [], "08-15", "post",
     "Toekan gespot in Artis 🦜 precies dezelfde kleuren als die Kwastelijn verpakking van de zomerbonbons"),
]

# ----------------------------------------------------------------- build

PLATFORM_URL = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}",
}

ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(author):
    return ROLE.get(author.lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRI) or (c == PII and checksum_id):
                    s = max(s, 4)
                else:
                    s = max(s, 3)
            else:
                s = max(s, 2)
        elif c == CPL:
            s = max(s, 2)
        elif c == CRI:
            s = max(s, 3)
        elif c == ABU:
            s = max(s, 3 if role in ("corporate", "employee") else 2)
    return SEV[s]


def stamp(date):
    if "T" in date:
        return date
    if len(date) == 5:
        date = "2026-" + date
    return "%sT%02d:%02d:%02dZ" % (date, rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59))


cases = []
records = []
used_ids = set()
for author, lang, cats, date, kind, text in POSTS:
    platform, handle = author.split(":", 1)
    rec = {"valid": [], "bad": []}
    full = fill(text, rec)
    while True:
        n = rng.randint(10**15, 10**16 - 1) if platform == "x" else rng.randint(10**6, 10**8)
        pid = "%s-%d" % (platform, n)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": full,
        "lang": lang,
        "created_at": stamp(date),
        "brand": "kwastelijn",
    }
    if platform in PLATFORM_URL:
        post["url"] = PLATFORM_URL[platform].format(h=handle, n=n)
    role = role_of(author)
    cats = sorted(set(cats))
    sev = severity(cats, role, PII in cats and bool(rec["valid"]))
    cases.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    records.append((role, rec))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------- self-check

errors = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i, cases[i]["post"]["id"], msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRI, CON, FIN, SCU, CRI, CPL, ABU}


def norm(t):
    t = t.replace(ZW, "").replace("\u200c", "").replace("\u200d", "").replace("\u2060", "")
    return unicodedata.normalize("NFKC", t)


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


COMPANY_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w*])(?:\d[ -]?){12,18}\d(?![\w])")
PHONE_RE = re.compile(r"(?:\+31|0031)[ -]?6[ -]?\d{4} ?\d{4}|\b06[ -]?\d{2}(?: ?\d{2}){3}\b|\b06[ -]?\d{4} ?\d{4}\b")
BSN_RE = re.compile(r"(?<![\w])\d{9}(?![\w])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
AWS_RE = re.compile(r"\bAKIA[A-Z0-9]{16}\b")

PRODUCTS = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        PRODUCTS.append((a.lower(), float(p["list_price"])))
RATIO = PROFILE["pricing"]["alert_below_ratio"]
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{2})?)\s?(?:euro|EUR)\b", re.I)
PRICE_ERR = ["prijsfout", "price error", "pricing error", "pricing mistake", "typo", "nul vergeten",
             "foutje in de prijs", "prijsfeed"]

internal_terms = ([d.lower() for d in PROFILE["internal"]["domains"]]
                  + [c.lower() for c in PROFILE["internal"]["codenames"]]
                  + [m.lower() for m in PROFILE["internal"]["markers"]])

if not 170 <= len(cases) <= 180:
    errors.append("case count %d outside 170-180" % len(cases))

pubids = PROFILE["public_identifiers"]
assert all(iban_check(x) for x in pubids["ibans"]), "company IBAN fails mod-97"

n_valid_seen = 0
for i, (c, (role, rec)) in enumerate(zip(cases, records)):
    post, exp = c["post"], c["expect"]
    # --- CONTRACT section 6 shape
    line = json.dumps(c, ensure_ascii=False)
    back = json.loads(line)
    if set(back) != {"post", "expect"}:
        err(i, "top-level keys")
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        err(i, "bad id")
    if post["platform"] not in PLATFORMS:
        err(i, "platform")
    if post["kind"] not in KINDS:
        err(i, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(i, "handle")
    if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536:
        err(i, "text")
    try:
        ts = parse_ts(post["created_at"])
    except ValueError:
        err(i, "created_at not RFC 3339")
        continue
    if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 3):
        err(i, "created_at out of range")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(i, "categories")
    if exp["severity"] not in SEV:
        err(i, "severity value")
    if (not cats) != (exp["severity"] == "none"):
        err(i, "benign/none mismatch")
    chk = bool([v for v in rec["valid"]]) and PII in cats
    if exp["severity"] != severity(cats, role, chk):
        err(i, "severity does not follow policy")

    t = norm(post["text"])
    tl = t.lower()
    # --- checksummed identifiers
    rest = t
    for m in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", m.group(0))
        if s in COMPANY_IBANS:
            continue
        ok = iban_check(s)
        if PII in cats and not ok:
            err(i, "IBAN in positive fails mod-97: " + s)
        if PII not in cats and ok:
            err(i, "valid IBAN outside a pii case: " + s)
        n_valid_seen += ok
    rest = IBAN_RE.sub(" ", t)
    rest = PHONE_RE.sub(" ", rest)
    for m in CARD_RE.finditer(rest):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) < 13:
            continue
        ok = luhn_ok(digits)
        if PII in cats and not ok:
            err(i, "card in positive fails Luhn: " + m.group(0))
        if PII not in cats and ok:
            err(i, "Luhn-valid card outside a pii case: " + m.group(0))
        n_valid_seen += ok
    for m in BSN_RE.finditer(rest):
        ok = bsn_ok(m.group(0))
        if PII in cats and not ok:
            err(i, "BSN in positive fails 11-proof: " + m.group(0))
        if PII not in cats and ok:
            err(i, "11-proof BSN outside a pii case: " + m.group(0))
        n_valid_seen += ok
    for v in rec["valid"]:
        if PII not in cats:
            err(i, "valid identifier placed in non-pii case")
        vv = re.sub(r"\s", "", v)
        if not (iban_check(vv) or (vv.isdigit() and len(vv) == 9 and bsn_ok(vv)) or
                (vv.isdigit() and len(vv) >= 13 and luhn_ok(vv))):
            err(i, "generated identifier not valid: " + v)
    for v in rec["bad"]:
        vv = re.sub(r"\s", "", v)
        if iban_check(vv) or bsn_ok(vv) or (vv.isdigit() and len(vv) >= 13 and luhn_ok(vv)):
            err(i, "look-alike passes its checksum: " + v)
        if cats:
            err(i, "look-alike placed in a positive case")
    # --- credentials
    for m in GH_RE.finditer(t):
        ok = gh_token_ok(m.group(0))
        if SEC in cats and not ok:
            err(i, "GitHub token in positive fails CRC")
        if SEC not in cats and ok:
            err(i, "CRC-valid GitHub token outside a secret case")
    for m in JWT_RE.finditer(t):
        ok = jwt_header_ok(m.group(0))
        if SEC in cats and not ok:
            err(i, "JWT header does not decode")
        if SEC not in cats and ok:
            err(i, "decodable JWT outside a secret case")
    for m in AWS_RE.finditer(t):
        if SEC not in cats and not m.group(0).endswith("EXAMPLE"):
            err(i, "AWS key outside a secret case")
        if SEC in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
            err(i, "AWS key id malformed")
    # --- internal terms and embargo
    if not cats:
        for term in internal_terms:
            if term in tl:
                err(i, "benign post contains internal term: " + term)
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in tl and ts < until and CON not in cats:
                err(i, "embargo term before until without confidential label: " + term)
    # --- pricing heuristics
    hits = []
    for alias, lp in PRODUCTS:
        for m in re.finditer(re.escape(alias), tl):
            hits.append((m.start(), m.end(), lp))
    low = False
    for m in PRICE_RE.finditer(t):
        val = float((m.group(1) or m.group(2)).replace(",", "."))
        if not hits:
            continue
        near = min(hits, key=lambda h: min(abs(h[0] - m.start()), abs(h[1] - m.start())))
        if min(abs(near[0] - m.start()), abs(near[1] - m.start())) > 90:
            continue
        if val < RATIO * near[2]:
            low = True
    if PRI in cats:
        if not hits:
            err(i, "pricing case without a catalogue product")
        if not low and not any(k in tl for k in PRICE_ERR):
            err(i, "pricing case without a low price or price-error talk")
    elif low:
        err(i, "non-pricing case has a price below the alert ratio")
    # --- public contact data only in benign/unrelated use; authors of benign
    # posts in the profile are fine.

# mix report and checks
from collections import Counter
cnt = Counter()
for c in cases:
    for k in c["expect"]["categories"]:
        cnt[k] += 1
benign = sum(1 for c in cases if not c["expect"]["categories"])
langs = Counter(c["post"]["lang"] for c in cases)
roles = Counter(r for r, _ in records)
want = {CPL: 20, CON: 18, PII: 15, CRI: 15, SCU: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
for k, v in want.items():
    if abs(cnt[k] - v) > 3:
        errors.append("category %s count %d far from %d" % (k, cnt[k], v))
if not 55 <= benign <= 65:
    errors.append("benign count %d" % benign)
share_nl = langs["nl"] / len(cases)
if not 0.50 <= share_nl <= 0.62:
    errors.append("Dutch share %.2f" % share_nl)
texts = [c["post"]["text"] for c in cases]
if len(set(texts)) != len(texts):
    errors.append("duplicate texts")
for h in {c["post"]["platform"] + ":" + c["post"]["account"]["handle"] for c in cases}:
    pass

if "-v" in sys.argv:
    print("cases", len(cases), "benign", benign, dict(cnt), dict(langs), dict(roles),
          "valid ids", n_valid_seen, file=sys.stderr)

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, written to %s" % (len(cases), benign, out))
