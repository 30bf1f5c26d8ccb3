#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed433 (Nevelroos Retail B.V.).

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written;
identifiers and credentials are generated here the way the real ones are built
(IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32 in base 62, AWS key alphabet, JWT header
with alg). Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand. Run it to (re)write cases.jsonl and self-check it.
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
SEED = 433
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- categories
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
CRI = "reputation.crisis"
COM = "reputation.complaint"
ABU = "reputation.abuse"
TAXONOMY = {SEC, PII, PRI, CON, FIN, SECU, CRI, COM, ABU, "reputation.spike"}
LEVELS = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# --------------------------------------------------------------------------- checksums
DIG = string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(DIG) for _ in range(length - len(prefix) - 1))
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------- generators
def g_iban():
    bank = rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    return make_iban("NL", bank + "".join(rng.choice(DIG) for _ in range(10)))


def g_iban_be():
    return make_iban("BE", "".join(rng.choice(DIG) for _ in range(12)))


def g_bad_iban():
    good = g_iban()
    while True:
        i = rng.randrange(8, len(good))
        bad = good[:i] + rng.choice(DIG.replace(good[i], "")) + good[i + 1:]
        if not iban_ok(bad):
            return bad


def g_card():
    kind = rng.choice(["visa", "mc", "mc2"])
    if kind == "visa":
        return luhn_complete("4" + rng.choice(["532", "916", "539", "024"]), 16)
    if kind == "mc":
        return luhn_complete("5" + rng.choice("12345") + rng.choice(DIG), 16)
    return luhn_complete("2" + rng.choice(["221", "720", "500"]), 16)


def g_bad_card():
    good = g_card()
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def g_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if last < 10:
            n = "".join(map(str, d)) + str(last)
            assert bsn_ok(n)
            return n


def g_bad_bsn():
    while True:
        n = str(rng.randint(100000000, 999999999))
        if not bsn_ok(n):
            return n


def g_gh(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_ok(tok)
    return tok


def g_awsid():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def g_awssecret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def g_stripe():
    return "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))


def g_slack():
    return "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1),
                              "".join(rng.choice(ALNUM) for _ in range(24)))


def g_openai():
    a = "".join(rng.choice(URLSAFE) for _ in range(74))
    b = "".join(rng.choice(URLSAFE) for _ in range(74))
    return "sk-proj-" + a + "T3BlbkFJ" + b


def g_anthropic():
    return "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA"


def g_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    now = 1767225600 + rng.randint(0, 360) * 86400
    body = b64url(json.dumps({"sub": "svc-webshop", "role": "admin", "iss": "auth.nevelroos.nl",
                              "iat": now, "exp": now + 86400 * 30}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def g_sshkey():
    blob = base64.b64decode("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACA=")
    blob += bytes(rng.getrandbits(8) for _ in range(300))
    enc = base64.b64encode(blob).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def g_sendgrid():
    return "SG." + "".join(rng.choice(URLSAFE) for _ in range(22)) + "." + \
        "".join(rng.choice(URLSAFE) for _ in range(43))


def g_google():
    return "AIza" + "".join(rng.choice(URLSAFE) for _ in range(35))


def g_telegram():
    return "%d:AA%s" % (rng.randint(10 ** 9, 10 ** 10 - 1), "".join(rng.choice(URLSAFE) for _ in range(33)))


def g_pw():
    word = rng.choice(["Nevel", "Wolkje", "Drup", "Zomer", "Coil", "Damp", "Utrecht"])
    return word + str(rng.randint(10, 99)) + rng.choice("!#$%&*@") + "".join(
        rng.choice(string.ascii_letters) for _ in range(3))


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.digits}

# placeholder name -> (generator, kind) ; kind is used by the self-check
GEN = {
    "IBAN": (g_iban, "iban"),
    "IBANG": (lambda: group4(g_iban()), "iban"),
    "IBANBE": (lambda: group4(g_iban_be()), "iban"),
    "BADIBAN": (lambda: group4(g_bad_iban()), "bad_iban"),
    "PUBIBAN": (lambda: group4(PROFILE["public_identifiers"]["ibans"][0]), "pub_iban"),
    "CARD": (g_card, "card"),
    "CARDG": (lambda: group4(g_card()), "card"),
    "CARDFW": (lambda: "".join(FULLWIDTH.get(c, c) for c in group4(g_card())), "card"),
    "BADCARD": (lambda: group4(g_bad_card()), "bad_card"),
    "BSN": (g_bsn, "bsn"),
    "BSNDOT": (lambda: (lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}")(g_bsn()), "bsn"),
    "BADBSN": (g_bad_bsn, "bad_bsn"),
    "GHP": (g_gh, "secret"),
    "GHO": (lambda: g_gh("gho_"), "secret"),
    "GHS": (lambda: g_gh("ghs_"), "secret"),
    "AWSID": (g_awsid, "secret"),
    "AWSSECRET": (g_awssecret, "secret"),
    "STRIPE": (g_stripe, "secret"),
    "SLACK": (g_slack, "secret"),
    "OPENAI": (g_openai, "secret"),
    "ANTHROPIC": (g_anthropic, "secret"),
    "JWT": (g_jwt, "secret"),
    "SSHKEY": (g_sshkey, "secret"),
    "SENDGRID": (g_sendgrid, "secret"),
    "GOOGLE": (g_google, "secret"),
    "TELEGRAM": (g_telegram, "secret"),
    "PW": (g_pw, "secret"),
}

# --------------------------------------------------------------------------- accounts
C_X, C_HELP = ("x", "@nevelroos"), ("x", "@nevelroos_help")
C_IG, C_IGDW = ("instagram", "@nevelroos.vapeshop"), ("instagram", "@drupwerk.liquids")
C_FB, C_TT, C_LI = ("facebook", "NevelroosVapeshops"), ("tiktok", "@nevelroos"), ("linkedin", "nevelroos-bv")
E_MAARTEN, E_LOTTE, E_ERIK = ("x", "@mdekker_nr"), ("x", "@lotte_vapes"), ("x", "@evdmeer")
E_JORIS = ("instagram", "@jorisbouwt.coils")
E_SANNE, E_YUSUF, E_FEMKE = (("linkedin", "sanne-hoekstra-nevelroos"), ("linkedin", "yusuf-aydin-nr"),
                             ("linkedin", "femke-visser-nevelroos"))
E_RUBEN, E_BRAM = ("reddit", "u/coilmaster_ruben"), ("tiktok", "@bram.achterdetoonbank")
E_INEKE, E_KIM = ("mastodon", "@ineke_dev@mastodon.nl"), ("bluesky", "@kimvos.bsky.social")
E_DAAN = ("threads", "@daan.nevelroos")

DISPLAY = {
    "@nevelroos": "Nevelroos", "@nevelroos_help": "Nevelroos Klantenservice",
    "@mdekker_nr": "Maarten Dekker", "@lotte_vapes": "Lotte Smit", "@evdmeer": "Erik van der Meer",
    "@jorisbouwt.coils": "Joris Bouwman", "u/coilmaster_ruben": "coilmaster_ruben",
    "@kimvos.bsky.social": "Kim Vos", "@daan.nevelroos": "Daan Peeters",
}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


CASES = []


def P(acct, lang, text, cats=(), when=None, kind="post", expect_role=None):
    """acct: (platform, handle) tuple or 'platform:@handle' string for the public."""
    if isinstance(acct, str):
        platform, handle = acct.split(":", 1)
        expect_role = expect_role or "public"
    else:
        platform, handle = acct
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), when=when, kind=kind, expect_role=expect_role))


# =========================================================================== BENIGN
# praise, questions, jokes, sales, normal prices, own contact data, sample keys,
# failing checksums, post-embargo terms, resolved complaints, sympathy, news about others
P(C_X, "nl", "Nieuw binnen 👉 Drupwerk Mango IJs 10ml, €4,95 per flesje. Alleen voor 18+, we vragen altijd naar je ID 🔞 #drupwerk #nevelroos")
P(C_IG, "nl", "BLACK FRIDAY 🖤 Vlaag 80 nu €55,95 (was €69,95). Op = op, in alle winkels en op shop.nevelroos.nl")
P(C_HELP, "nl", "Hoi Mark, vervelend dat je pakket er nog niet is! Stuur je ordernummer even naar klantenservice@nevelroos.nl of bel 085 401 2290 (ma–za 9:00–18:00), dan zoeken we het meteen uit.", kind="reply")
P(C_FB, "nl", "Groothandelspartners: graag betalen o.v.v. het factuurnummer op «PUBIBAN» t.n.v. Nevelroos Retail B.V. Vragen over facturen? groothandel@nevelroos.nl")
P("x:@vincentdampt", "nl", "die stratus tank is echt de bom 💣 sinds ik m heb geen druppel meer gelekt, beste 35 euro die ik dit jaar heb uitgegeven")
P("tiktok:@jaylin.clouds", "en", "ngl the drupwerk mango ice is actually fire 🔥🔥 my whole friend group switched")
P("reddit:u/quitting_at_52", "en", "Does Nevelroos ship to Belgium? The Kiem Pod Kit looks like a decent starter for my dad who's trying to quit smoking.")
P("x:@bredabas", "en", "Just read VapeKoning is closing three stores in Brabant. Gutted for those guys, hope Nevelroos in Breda stays open")
P("reddit:u/ohms_law_enjoyer", "en", "PSA: there's a recall on a batch of no-name 18650 cells sold on marketplaces (NOT Nevelroos, I checked with their store). Check your wraps, people.")
P("x:@marktheunissen", "nl", "Update: pakket is toch gekomen en @nevelroos_help heeft er zelfs 2 pakjes coils gratis bij gedaan. Netjes opgelost 👍", kind="reply")
P("facebook:Gerda Hulshof", "nl", "Veel sterkte aan bakkerij De Korenschoof naast Nevelroos Amersfoort, wat een klap dat jullie pand is afgebrand. De jongens van de vapeshop deelden vanochtend koffie uit aan de hele straat ❤️")
P(E_INEKE, "en", "Reminder for anyone writing AWS docs: use the official placeholders AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never a real key. Our secret scanner will yell at you otherwise 🙂")
P(E_YUSUF, "en", "Tip for devs: run gitleaks in your CI. A classic GitHub token looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx – if you ever see something shaped like that in a diff, rotate first and ask questions later.")
P(C_LI, "nl", "Onze jaarcijfers 2026 staan online: omzet €34,8 mln (+9%), 41 winkels en de webshop groeide het hardst. Het volledige jaarverslag lees je op nevelroos.nl/investor", when="2027-03-04T08:30:00Z")
P(C_IG, "nl", "Ze is er 💨 De Lucht 3 Pod ligt vanaf vandaag in alle winkels. 2x langer vapen, USB-C snelladen, €34,95.", when="2027-04-02T09:00:00Z")
P("x:@noortjevdl", "nl", "heb bij het retourformulier m'n rekeningnummer ingevuld als «BADIBAN» maar hij zegt ongeldig, typfoutje denk ik. hoe pas ik dat aan @nevelroos_help?", kind="reply")
P("instagram:@femmes.kitchen", "nl", "Cadeaubon gewonnen bij de winactie van @drupwerk.liquids 🎉 code «BADCARD» — werkt die ook gewoon in de winkel?", kind="comment")
P("x:@r_oosterhuis", "nl", "Hoi @nevelroos_help, kan ik ordernummer «BADBSN» nog omzetten naar afhalen in de winkel in Zwolle?", kind="reply")
P("threads:@tim.dekkers", "en", "my girlfriend says I love my Vlaag 80 more than her. she's not entirely wrong 😅")
P("forum:wolkenjager", "nl", "Welke weerstand raden jullie aan voor de Stratus RTA rond de 40W? Zit nu op 0.3 ohm maar de smaak kan beter. Tips?")
P(E_JORIS, "nl", "5 jaar Nevelroos Den Bosch vandaag 🎉 taart, ballonnen en veel te veel Drupwerk Stroopwafel. Bedankt aan alle vaste klanten!")
P(C_LI, "nl", "We zoeken een enthousiaste winkelmedewerker (24–32 uur) voor onze winkel in Leiden. Solliciteren kan via vacatures@nevelroos.nl #vacature #retail")
P("youtube:@CloudChaserNL", "en", "my views exploded after I reviewed the Cirrus kit lol, thanks Nevelroos for the review sample", kind="comment")
P("x:@dropfan_ellen", "nl", "Zoute Drop Salt is killer, beste dropliquid die ik ooit heb gehad. Eindelijk iets wat niet naar snoep smaakt")
P("bluesky:@policywonk.bsky.social", "en", "Dutch cabinet wants to tighten the flavour rules for vapes again. Curious how chains like Nevelroos are going to deal with that.")
P("facebook:Henk Mulder", "nl", "Baseliquid 1L voor €29,95 bij Nevelroos, scheelt echt tientjes vergeleken met al die losse flesjes")
P("instagram:@sophie.bakt", "nl", "Aardbeiwolk 50ml deze week €13,95 bij @nevelroos.vapeshop, meteen 2 gehaald 🍓")
P("x:@jeroen_k84", "en", "Respect to Nevelroos for actually checking ID. I'm 34 and felt 17 again for a sec 😂")
P(E_ERIK, "nl", "Eindelijk, de lantaarnpaal voor de winkel doet het weer. Drie maanden in het donker afsluiten 🙃")
P("x:@lifehackluuk", "nl", "life hack: bewaar je liquids in een donkere kast, blijven veel langer goed. tip van de gozer bij nevelroos utrecht 👌")
P("instagram:@mila_v", "en", "No more leaking pods since the new Kiem pods!! dry pockets at last 🙌")
P(E_DAAN, "en", "Tomorrow and Saturday we're at VapeFair in the Jaarbeurs, booth B12. Come by for a free coil check!")
P(C_X, "nl", "⚠️ Let op: er gaan phishingmails rond die doen alsof ze van ons komen. Wij vragen NOOIT om je wachtwoord of betaalgegevens via mail. Twijfel je? Mail klantenservice@nevelroos.nl")
P("x:@kevinbrouwer", "nl", "wachtwoord vergeten bij de nevelroos webshop, resetlinkje was binnen 10 sec binnen. dat mag ook wel eens gezegd worden")
P(C_FB, "nl", "Veel vragen over de terugroepactie van een ander merk 18650-accu's: die geldt NIET voor onze 21700 accu's. Twijfel je toch? Neem je accu mee naar de winkel, we checken hem gratis.")
P("facebook:Anouk Timmer", "en", "The guy at Nevelroos Arnhem was SO patient with my grandma (78!) who wants to quit smoking. She's three weeks smoke-free now ❤️")
P("x:@sam_writes", "en", "just call +31 30 760 4420, they sorted my warranty in like 5 minutes", kind="reply")
P(C_TT, "nl", "Raad hoeveel lege flesjes er in deze pot zitten 👀 de winnaar krijgt een Starterset! Antwoord in de comments")
P("reddit:u/wickwizard", "en", "Stratus RTA build guide: 0.3 ohm dual clapton, 35–40W, wick it a bit looser than you think. Flavour is honestly on par with tanks twice the price.")
P("tiktok:@noah.vibes", "en", "POV: you walk into Nevelroos and the guy already has your Zoute Drop on the counter 😭")
P("mastodon:@anna@todon.nl", "en", "Good piece on age verification at Dutch vape shops. Nevelroos gets mentioned as one of the few chains that passed every mystery-shopper visit.")
P("youtube:@VapeReviewsEU", "en", "Great review! Ordered the Cirrus kit for €54.95 straight from their webshop, arrives Thursday", kind="comment")
P("forum:shagstopper", "nl", "Iemand ervaring met Tabak Klassiek van Drupwerk? Zoek iets wat op m'n oude shagje lijkt, niet te zoet")
P(E_FEMKE, "en", "First day as marketing manager at Nevelroos today! Let's go 💨")
P(C_IG, "nl", "10 jaar Nevelroos! Op 3 mei 2016 openden we onze eerste winkel aan de Oudegracht in Utrecht. Bedankt iedereen 🥳")
P(C_X, "nl", "Nieuwe winkel! Vanaf zaterdag vind je ons ook aan de Grote Markt 27 in Groningen. De eerste 50 klanten krijgen een gratis Drupwerk flesje.")
P("bluesky:@thijs.bsky.social", "nl", "Drupwerk Stroopwafel smaakt echt naar stroopwafel. Had ik eerlijk gezegd niet verwacht")
P("threads:@lena.k", "en", "who else is stocking up on Bosbes Menthol before the new rules kick in lol")
P("x:@groningen_gijs", "en", "shoutout to Nevelroos Groningen, fixed my Vlaag Mini for free even though the warranty had run out")
P(E_KIM, "nl", "Sorry voor de lange wachttijd aan de telefoon vandaag, Black Friday-gekte. Morgen zitten we met z'n zessen 🙏")
P("x:@ditisdaan", "nl", "ik ben zo boos. m'n Kiem Pod is leeg en nevelroos gaat pas om 10 uur open 😤😂")
P(C_LI, "en", "Press enquiries about our 2025 annual report can go to pers@nevelroos.nl. The report itself is on nevelroos.nl.")
P("instagram:@yara.lookbook", "en", "obsessed with the colour of the new Vlaag Mini 😍 got it for €39.95 in the sale")
P("reddit:u/mtl_only", "en", "Is the Lucht 2 worth it over the Kiem Pod Kit? Mostly MTL, 10-12mg salts.")
P(E_RUBEN, "en", "Not speaking for my employer, but as someone who works at a vape shop: please stop carrying loose 21700s in your pocket with your keys. Get a case. They're two euros.")
P("x:@hannahb", "en", "Other vape chains could learn from Nevelroos. Returned a faulty tank, refund in 2 days, no questions asked.")
P(E_BRAM, "nl", "Dag uit het leven van een vapeshop-medewerker: koffie, coils wikkelen en 40x uitleggen waarom 0.3 ohm niet in je Kiem Pod past 😂")
P("x:@stoppen_met_stijn", "nl", "Nevelroos Black Friday: Kiem Pod Kit €19,95 i.p.v. €24,95. Prima startpakket als je van de sigaret af wil")
P("facebook:Peter Claes", "en", "Saw the full-year 2026 results from Nevelroos in the FD this morning, solid growth. Good for them.", when="2027-03-10T07:45:00Z")
P(E_SANNE, "nl", "Mooie sessie gehad op de NBA-dag over IFRS 16 en leasecontracten. Altijd fijn om vakgenoten te spreken.")

# =========================================================================== COMPLAINTS
P("x:@dennis_vape", "nl", "al 9 dagen wachten op bestelling NR-48213, track & trace staat sinds dinsdag op 'in sorteercentrum' en op mails krijg ik niks terug. laatste keer @nevelroos_help", [COM])
P("x:@chloe_mae", "en", "Kiem pods leaking all over my jeans AGAIN. third pack this month @nevelroos_help, is there any quality control at all??", [COM])
P("x:@oli_pritchard", "en", "Ordered Bosbes Menthol, got Tabak Klassiek. For the second time in a row. Come on Nevelroos.", [COM])
P("x:@brecht_on_air", "en", "@nevelroos_help closed my ticket without a single answer. My Vlaag 80 still won't fire, says 'check atomizer' with 3 different tanks.", [COM], kind="reply")
P("x:@svenleiden", "nl", "stond om 14u voor een dichte deur bij nevelroos leiden. op google en jullie site staat open. 40 min gefietst voor niks 👏", [COM])
P("tiktok:@kayyy_020", "nl", "yo nevelroos wtf, m'n lucht 2 doet t na 2 weken al nie meer en garantie kan ik fluiten zeker?? 'gebruikersschade' m'n hoela", [COM])
P("reddit:u/dutchvaper91", "en", "Bought the Nevelroos dual charger in July, one bay died in August and now the other one is blinking red with fresh cells. Store says send it in, 6-8 weeks. Not impressed.", [COM])
P("x:@freya_ams", "en", "Stratus Tank glass just cracked on day 3. Not dropped, not overtightened. Store says 'glass isn't covered'. Lovely.", [COM])

# =========================================================================== CRISIS (+ first-hand harm = complaint too)
P("x:@lisa_wtr", "nl", "Die 21700 accu van Nevelroos is in mijn broekzak gaan roken en sissen, heb nu een brandplek op mijn bovenbeen 😡 Nieuw gekocht vorige week. Wat verkopen jullie?!", [CRI, COM])
P("reddit:u/throat_on_fire", "en", "Got really sick after the new batch of Mango IJs from Nevelroos. Throat burning, threw up twice, GP told me to stop vaping right away. Anyone else?", [CRI, COM])
P("facebook:Jordy Smit", "en", "My Vlaag Mini gave me a proper electric shock when I pulled it off the charger. Hand was tingling for an hour. This is dangerous, Nevelroos!!", [CRI, COM])
P("instagram:@nina.sanders", "nl", "Mijn Kiem Pod Kit vloog vannacht in brand op mijn nachtkastje terwijl hij aan de lader lag. Gordijn zwartgeblakerd, rookmelder ging gelukkig af. Ik ben er kapot van.", [CRI, COM])
P("facebook:Ingrid Bos", "nl", "Mijn zoontje van 4 heeft een flesje Drupwerk nicotine shot leeggedronken, hij ligt nu in het ziekenhuis. Waarom zit er geen fatsoenlijk kinderslot op?!", [CRI, COM])
P("x:@apeldoorn_nieuws", "nl", "Woningbrand in Apeldoorn-Zuid. Volgens buren ontstond het vuur bij een accu van Nevelroos die lag op te laden. Bewoner met rookvergiftiging naar het ziekenhuis.", [CRI])
P("x:@ouder_van_sem", "nl", "#BoycotNevelroos ze verkopen gewoon aan 15-jarigen. Mijn broertje kwam thuis met een Kiem Pod en een zak liquids zonder dat iemand naar zijn ID vroeg.", [CRI])
P("x:@kateh_uk", "en", "Got a phishing mail with my EXACT Nevelroos order, address and what I bought. You leaked our data, just admit it.", [CRI])
P("x:@rijnmond_watch", "nl", "NVWA heeft vanochtend twee winkels van Nevelroos in Rotterdam doorzocht vanwege verboden smaakjes, dozen vol liquids in beslag genomen.", [CRI])
P("linkedin:mr-j-de-boer-advocaat", "nl", "Stichting Dampclaim start een collectieve rechtszaak tegen Nevelroos Retail B.V. over misleidende nicotinewaarden op Drupwerk-etiketten. Gedupeerden kunnen zich aanmelden.", [CRI])
P(C_X, "nl", "TERUGROEPACTIE ⚠️ Stratus Coils 0.3 ohm, batch 2611: stop direct met gebruik. Bij deze batch kan de coil kortsluiting maken. Breng ze terug naar de winkel, je krijgt je geld terug.", [CRI])
P("reddit:u/exnevelroos_anon", "en", "Former Nevelroos staff here: managers literally told us to skip ID checks on busy Saturdays. Kids walking out with pods every weekend. Disgusting.", [CRI])
P("bluesky:@undercover.bsky.social", "en", "Mystery shopper test by a Dutch broadcaster: 7 out of 10 Nevelroos stores sold vapes to a 15-year-old. Wow.", [CRI])
P("x:@labrat_nl", "en", "Independent lab tested Nevelroos Baseliquid: way above the legal limit for diacetyl plus traces of lead. They're still selling it.", [CRI])
P("x:@anti_nevel", "nl", "B O Y C O T  N E V E L R O O S. verkopen aan kinderen en liegen over nicotine. deel dit!!", [CRI])

# =========================================================================== ABUSE
P("x:@woedende_wim", "nl", "Nevelroos is een kutbedrijf met kutpersoneel, hoop dat jullie failliet gaan", [ABU])
P("x:@mattyb_", "en", "the bald guy at nevelroos amsterdam is a fucking moron, couldn't even screw a tank together", [ABU])
P("x:@no_name_4471", "nl", "@lotte_vapes ik weet waar je werkt en hoe laat je sluit. kijk maar uit als je morgen naar huis fietst", [ABU], kind="reply")
P("facebook:Rob Vermeer", "nl", "die nevelroos in utrecht wordt gerund door buitenlanders, ga terug naar je eigen land en verkoop daar je troep", [ABU])
P("x:@v4p3h4t3r", "nl", "n3v3lr00s = k4nk3rz00i en die l1jp3 v4n d3 b4l13 k4n n13t 3ns t3ll3n", [ABU])
P(E_ERIK, "nl", "weer zo'n achterlijke klant die z'n eigen tank sloopt en dan komt janken aan de balie. mongool.", [ABU])
P(C_HELP, "nl", "@jessvdz misschien eerst leren lezen voordat je gaat zeiken, sukkel. staat gewoon in de handleiding.", [ABU], kind="reply")
P("tiktok:@tiktokcritic", "en", "Nevelroos staff are clueless idiots, absolute clowns 🤡🤡 never going back", [ABU])
P("x:@boze_klant_22", "en", "Your customer service is a bunch of incompetent idiots. 3 weeks waiting on a return and nobody knows a thing.", [ABU, COM])
P("facebook:Karim B", "nl", "tyfuslijers van nevelroos, geef gewoon m'n geld terug voor die kapotte Vlaag 80", [ABU, COM])
P("tiktok:@kritiek.kanaal", "nl", "die Bram van Nevelroos op tiktok is zo'n irritante kutkop, elke keer als ik die smoel zie wil ik m'n telefoon door de kamer gooien", [ABU])
P("x:@dampsnuiver", "nl", "Nevelroos zijn oplichters en k\u0430nk\u0435rlij\u0435rs, stelletje t\u0443fushoeren", [ABU])

# =========================================================================== PRICING
P(C_X, "nl", "FLASH DEAL ⚡ Alleen vandaag: Vlaag 80 voor €19,95! Op = op 👉 shop.nevelroos.nl", [PRI])
P(E_LOTTE, "nl", "psst collega's, in de kassa staat de Cirrus kit op €5,49 😂 foutje van inkoop denk ik, iemand moet dat even fixen voordat klanten het zien", [PRI])
P("x:@dealjager", "nl", "PRIJSFOUT bij Nevelroos: Baseliquid 1L voor €2,99 😱 snel bestellen voordat ze het doorhebben!!", [PRI])
P("reddit:u/glitchhunter", "en", "lol nevelroos has the Stratus Tank listed at €3.50 right now, price glitch? ordered 5", [PRI])
P(C_IG, "en", "New in the shop ✨ Kiem Pod Kit Pro, now just €9.95. All colours in stock!", [PRI])
P(E_FEMKE, "en", "This week at Nevelroos: Aardbeiwolk shortfill for just €4.95! Don't miss it 🍓", [PRI])
P("forum:koopjesfreak", "nl", "Nevelroos Vlaag Mini €12,- ipv €44,95, prijsfout? Heb er 2 in mijn mandje gegooid, kijken of ze het leveren", [PRI])
P("reddit:u/cheapclouds", "en", "Nevelroos webshop pricing error on the 21700 4000mAh cells – €1.29 each. Grab them before they fix it", [PRI])
P(C_FB, "nl", "Zaterdag in alle Nevelroos winkels: Lucht 2 Pod voor €7,99 🎉 Zolang de voorraad strekt!", [PRI])
P(E_MAARTEN, "en", "someone set the dual charger to €1.99 in the webshop lol. I'm saying nothing 🤐", [PRI])
P("x:@vape_on_budget", "nl", "bij nevelroos kost Zoute Drop Salt ineens €0,95?? typfout of opheffingsuitverkoop", [PRI])
P("x:@clara_j", "en", "The Cirrus Sub-Ohm Kit is EUR 11 on shop.nevelroos.nl right now, that can't be right", [PRI])

# =========================================================================== SECRETS
P(E_MAARTEN, "nl", "@ineke_dev de deploy faalt nog steeds op de checkout-repo, ik gebruik deze token: «GHP» — heb jij andere rechten?", [SEC], kind="reply")
P(E_YUSUF, "en", "Anyone know why boto keeps saying access denied with this config?\n\nAWS_ACCESS_KEY_ID=«AWSID»\nAWS_SECRET_ACCESS_KEY=«AWSSECRET»\nAWS_DEFAULT_REGION=eu-west-1", [SEC])
P(C_X, "en", "STRIPE_SECRET_KEY=«STRIPE»", [SEC])
P(E_INEKE, "en", "our stock bot stopped posting in the channel, the token is just «SLACK» right? anyone?", [SEC])
P(E_RUBEN, "en", "my openai key «OPENAI» keeps getting rate limited on the product-description script, is tier 2 enough for ~2k calls/day?", [SEC])
P(E_INEKE, "en", "Why does ssh keep asking for a passphrase with this key?? it has none\n\n«SSHKEY»", [SEC])
P(E_MAARTEN, "en", "curl -H \"Authorization: Bearer «JWT»\" https://api.nevelroos.nl/v2/orders returns 500 for me, anyone else?", [SEC])
P(E_YUSUF, "en", "Migration almost done, connection string for the new webshop db: postgresql://nr_shop:«PW»@db01.nevelroos.local:5432/webshop", [SEC, CON])
P(E_LOTTE, "nl", "inloggen op de nieuwe kassa's: gebruiker winkel-utrecht, wachtwoord: «PW» — niet kwijtraken he 😉", [SEC])
P("x:@bugbounty_bart", "nl", "Nevelroos heeft hun SendGrid key gewoon in de JavaScript van de webshop staan lol: «SENDGRID»", [SEC])
P(E_RUBEN, "en", "Testing the Claude API for our chat widget, this key works: «ANTHROPIC» (will rotate later lol)", [SEC])
P(E_DAAN, "nl", "w.a.c.h.t.w.o.o.r.d voor het instagram-account van drupwerk is nu «PW» , niet doorgeven aan stagiairs", [SEC])
P(E_MAARTEN, "en", "Maps embed on the store locator broke again, using «GOOGLE» now", [SEC])

# =========================================================================== CONFIDENTIAL
P(E_LOTTE, "nl", "Kan echt niet wachten tot Zeemist live gaat 👀👀 zeg ik verder niks over", [CON])
P(E_SANNE, "en", "Tough week on Bergvink, but the new supplier is finally signed. Proud of this team!", [CON])
P(E_ERIK, "nl", "kijk wat er op wiki.nevelroos.local staat 😂 een hele pagina 'wat te doen als de NVWA binnenloopt'", [CON])
P(C_IG, "nl", "Maak kennis met de Lucht 3 💨 2x batterijduur, nieuwe lekvrije pods. Binnenkort in alle winkels!", [CON], when="2027-01-19T10:00:00Z")
P(E_FEMKE, "nl", "NR-INTERN: de nieuwe inkoopprijzen voor Q3 staan in de bijlage, graag voor vrijdag reageren. Oeps verkeerde app 🙈", [CON])
P("x:@neefjevanjan", "nl", "mijn neef werkt bij nevelroos, ze komen in maart met een Lucht 3 met touchscreen. heb hem al gezien 😎", [CON], when="2027-01-08T19:20:00Z")
P(E_MAARTEN, "nl", "Project Ｚｅｅｍｉｓｔ gaat echt de markt op z'n kop zetten, wacht maar", [CON])
P(E_JORIS, "nl", "Operatie Lan\u200btaarn: alle winkelmedewerkers volgende week verplicht naar de training in Utrecht 📚", [CON])
P(E_KIM, "nl", "Eindelijk mag ik het zeggen: ik zit in het B\u0435rgvink-team 🙌 (nou ja, bijna mag ik het zeggen)", [CON])
P(E_BRAM, "en", "Z e e m i s t is coming and you are NOT ready 🤫", [CON])
P(E_INEKE, "en", "can someone review git.nevelroos.internal/webshop/checkout/-/merge_requests/412 before the freeze? thx", [CON])
P(E_FEMKE, "nl", "Niet extern delen, maar: de nieuwe Drupwerk-lijn 'Polderijs' komt in juni met vier smaken 🍦", [CON])
P(E_RUBEN, "en", "Can't say much, but Operatie Lantaarn is going to completely change how our deliveries work. Big year ahead.", [CON])
P(C_LI, "en", "Nevelroos confidential – Roadmap 2027: 6 new stores, own pod platform, exit from the Belgian market. Draft v3.", [CON, FIN])
P(E_KIM, "nl", "Rooster voor volgende week staat op wiki.nevelroos.local/winkels/utrecht/rooster, kijk even of je shifts kloppen!", [CON])
P("reddit:u/ex_nr_worker", "en", "Former colleagues tell me Zeemist is just their own disposable vape. Will probably sell well tbh.", [CON])

# =========================================================================== FINANCIAL (+ embargo/codename overlaps)
P(E_SANNE, "nl", "Jaarcijfers 2026 zien er top uit: omzet 34,8 mln, EBITDA +14%. Kan pas eind februari naar buiten maar ben trots!", [CON, FIN], when="2027-01-27T16:10:00Z")
P(E_YUSUF, "en", "Operatie Lantaarn = the DampDirect takeover. Signed Friday, the stores hear about it Monday", [CON, FIN])
P(E_ERIK, "nl", "Vandaag gehoord: 9 winkels gaan dicht in Q2, ook Zwolle en Tilburg. Zo'n 35 banen weg. Nog niet officieel dus ssst", [FIN])
P(E_SANNE, "en", "Q3 came in at €6.2M revenue, 18% below plan. Board meeting this morning was... tense.", [FIN])
P(E_DAAN, "en", "2027 forecast is break-even at best according to the CFO. Guess we can forget about bonuses", [FIN])
P("x:@insider_ingrid", "en", "heard from a friend at Nevelroos they're getting bought by a British vape chain. deal should close in December", [FIN])
P(E_KIM, "en", "Reorg: the whole customer service team is moving to a call centre in Portugal. We find out on 1 March whether we get to stay 😞", [FIN])
P(C_FB, "nl", "Interne update voor de winkelmanagers: we verwachten over H1 een verlies van €2,1 mln. Meer in het managersoverleg van donderdag.", [FIN])
P(E_RUBEN, "en", "throwaway-ish: our margins on liquids dropped to 22% and management is planning to sell off the whole webshop division next year", [FIN])
P(E_SANNE, "en", "The bank won't extend our credit line. CFO is scrambling for a new investor, otherwise things get very tight in spring.", [FIN])
P(E_FEMKE, "en", "We're in talks to acquire VapeKoning – 14 stores, closing expected in February. So excited to welcome them soon!", [FIN])
P("x:@vriendvanvriend", "nl", "Insider tip: omzet Nevelroos is ingestort, december -30% t.o.v. vorig jaar. zag het op de interne dashboards van mijn vriendin", [FIN])

# =========================================================================== SECURITY
P(E_LOTTE, "nl", "kassasysteem in alle winkels ligt plat sinds 9u, IT denkt aan ransomware. tegen klanten zeggen we dat de pin stuk is 🙈", [SECU])
P(E_RUBEN, "en", "not public yet but someone dumped our customer DB last night, ~80k rows incl. addresses. management says 'no comment' for now", [SECU])
P(E_MAARTEN, "en", "you can see other people's orders in our webshop just by changing the order number in the URL. reported it 3 weeks ago, nothing happened", [SECU])
P(E_INEKE, "en", "our shop admin still runs a 2019 WordPress plugin with a known RCE. not my call apparently. we'll see how long that lasts", [SECU])
P(E_SANNE, "nl", "Iemand bij finance heeft z'n inlog afgegeven na een phishingmail en nu zitten ze in onze mailbox. Nog niks naar buiten, graag even stil houden.", [SECU])
P(E_KIM, "en", "our payment page has been down for 6 hours and we're telling people it's planned maintenance. it's not.", [SECU])
P("x:@tipgever_nl", "nl", "vriend bij Nevelroos IT zegt dat alle klantgegevens al weken open en bloot op een publieke cloud-bucket staan. niemand die het fixt", [SECU, CRI])
P(E_YUSUF, "en", "There's a CVE in our POS software, vendor has no patch yet and we're just running it in every store as if nothing's wrong.", [SECU])
P(E_DAAN, "en", "Someone hijacked the Drupwerk Instagram account and we're completely locked out. Nothing public yet.", [SECU])
P(E_BRAM, "nl", "mailserver gehackt, er gaat spam uit namens klantenservice. niet doorvertellen, wordt aan gewerkt", [SECU])
P(E_FEMKE, "en", "Data breach at our delivery partner: addresses of ~4000 of our customers out in the open. Legal says don't report anything for now.", [SECU])
P(C_HELP, "nl", "@klant_kees klopt, sinds gisteren weten we dat iemand toegang had tot het klantportaal. We communiceren het volgende week, wil je het tot die tijd voor je houden?", [SECU], kind="reply")
P(E_JORIS, "nl", "r4ns0mw4r3 op de server in het magazijn, alles versleuteld, orders liggen stil 💀", [SECU])

# =========================================================================== PERSONAL DATA
P("x:@wachtend_op_pakket", "nl", "@nevelroos_help pakket nog steeds niet binnen na 8 dagen!! bel me maar op 06-41827365 want mailen heeft geen zin", [PII, COM], kind="reply")
P(E_LOTTE, "nl", "klant liet vandaag z'n pas liggen bij de kassa 😂 «CARDG», iemand die hem kent?", [PII])
P(E_SANNE, "nl", "@collega retour van mevr. M. Janssen graag handmatig terugstorten: €34,95 op «IBAN»", [PII], kind="reply")
P(C_HELP, "nl", "@janw_zeist We hebben je gegevens gevonden: Jan de Wit, Lindenlaan 14, 3701 AB Zeist, geb. 12-03-1991. Je pakket gaat vandaag nog de deur uit!", [PII], kind="reply")
P(E_ERIK, "nl", "wie heeft het 06 van de liquid-leverancier? o laat maar, hier: Kees Verbruggen 06 2841 9067", [PII])
P("x:@sanne_mol", "nl", "@nevelroos_help mijn mailadres is sanne.mol88@gmail.com, stuur de factuur daarheen pls", [PII], kind="reply")
P("facebook:Marco Dijkstra", "nl", "Factuur klopt niet, ik heb te veel betaald. Mijn rekening is «IBANG», ik wil het verschil gewoon terug.", [PII, COM])
P(E_YUSUF, "nl", "Nieuwe collega in het magazijn, BSN «BSN» — waar vul ik dit in in Nmbrs? Zie het veld niet", [PII])
P(E_BRAM, "nl", "klant probeerde vandaag te betalen met het ID van z'n broer 🙄 Dennis Vermeulen, geboren 04-07-2009. nice try", [PII])
P(C_IGDW, "nl", "🎉 Winnaar van de giveaway: Fatima Ouali, Spoorstraat 8, Deventer! Gefeliciteerd, je pakket komt eraan.", [PII])
P("x:@ellie_c", "en", "Nevelroos just emailed me someone else's order confirmation: Thomas Brink, t.brink@outlook.com, +31 6 3318 2276. Great data handling guys.", [PII, COM])
P(E_JORIS, "nl", "pinterminal deed raar, klant tikte z'n kaart zo in: «CARDFW» exp 09/28 😅", [PII])
P(E_KIM, "en", "Applicant for Leiden: Noor Bakker, noorbakker2001@hotmail.com, 06-19283746. Who's calling her tomorrow?", [PII])
P("x:@thomasvr", "nl", "Leeftijdscheck gedaan met mijn BSN «BSNDOT», ging supersnel. Nu eindelijk m'n Kiem Pod bestellen 👍", [PII])
P("reddit:u/doublecharged_dan", "en", "Nevelroos charged my card «CARD» twice for one order and support keeps ghosting me. Any tips on a chargeback?", [PII, COM])
P("facebook:Lies Janssens", "nl", "Stuur het geld maar terug naar mijn Belgische rekening «IBANBE», de Stratus Tank was kapot bij aankomst", [PII, COM])


# =========================================================================== build
def fill(text):
    kinds = []

    def sub(m):
        gen, kind = GEN[m.group(1)]
        val = gen()
        kinds.append((kind, val))
        return val
    out = re.sub(r"«([A-Z]+)»", sub, text)
    return out, kinds


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(days=rng.randint(0, 360), seconds=rng.randint(6 * 3600, 23 * 3600 + 59 * 60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def severity(cats, role, checksum_id):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (SEC, PRI) or (c == PII and checksum_id):
                    v = 4
                else:
                    v = 3
            else:
                v = 2
        elif c == COM:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return LEVELS[lvl]


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "tiktok": "tt", "linkedin": "li", "reddit": "rd",
          "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo", "youtube": "yt", "blog": "bl"}


def build():
    used_ids = set()
    out = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        c = CASES[idx]
        text, kinds = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        checksum_id = any(k in ("iban", "card", "bsn") for k, _ in kinds)
        while True:
            pid = f"{PREFIX[c['platform']]}-{rng.randint(100000, 999999)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "url": f"https://social.example/{c['platform']}/{pid}",
            "brand": "drupwerk" if "drupwerk" in text.lower() and "nevelroos" not in text.lower() else "nevelroos",
        }
        if c["handle"] in DISPLAY:
            post["account"]["display_name"] = DISPLAY[c["handle"]]
        case = {"post": post,
                "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_id)}}
        out.append((case, kinds, c, role))
    return out


# =========================================================================== self-check
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


PRICE_RE = re.compile(r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{1,2})?)|(\d+[.,]\d{2})\s?(?:euro|EUR)", re.I)
ERROR_WORDS = ("prijsfout", "price error", "pricing error", "glitch", "typfout", "foutje", "can't be right")


def check(built):
    prof = PROFILE
    pub_ibans = {re.sub(r"\s", "", i) for i in prof["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        if not iban_ok(i):
            fail(f"profile IBAN {i} fails mod-97")
    assert prof["pricing"]["alert_below_ratio"] == 0.5
    assert 15 <= len(prof["products"]) <= 25
    assert len(prof["accounts"]["corporate"]) >= 6 and len(prof["accounts"]["employee"]) >= 8
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    for e in prof["embargo"]:
        assert e["until"].startswith("2027-")
    ids = set()
    aliases = []
    for p in prof["products"]:
        assert p["currency"] == "EUR"
        for a in [p["name"]] + p["aliases"]:
            aliases.append((a.lower(), p["list_price"]))
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in prof["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in prof["internal"]["codenames"]]

    for case, kinds, src, role in built:
        line = json.dumps(case, ensure_ascii=False)
        rec = json.loads(line)
        post, exp = rec["post"], rec["expect"]
        # CONTRACT section 6 / section 1 shape
        if set(rec) != {"post", "expect"}:
            fail("top-level keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            fail(f"bad/duplicate id {post['id']}")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            fail(f"platform/kind {post['id']}")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail("handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            fail("text")
        try:
            created = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        except ValueError:
            fail(f"created_at {post['created_at']}")
        if created.tzinfo is None or created.year not in (2026, 2027):
            fail("created_at year/tz")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            fail(f"categories {cats}")
        if exp["severity"] not in LEVELS:
            fail("severity value")
        if not cats and exp["severity"] != "none":
            fail("benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            fail("positive below warning")
        if src["expect_role"] and src["expect_role"] != role:
            fail(f"role mismatch for {post['account']['handle']}: {role}")
        if src["expect_role"] is None and role == "public":
            fail(f"insider handle not in profile: {post['account']['handle']}")
        checksum_id = any(k in ("iban", "card", "bsn") for k, _ in kinds)
        if exp["severity"] != severity(cats, role, checksum_id):
            fail("severity not per policy")
        positive = bool(cats)
        text = norm(post["text"])
        # tracked identifiers
        for kind, val in kinds:
            v = norm(val)
            if kind == "iban" and not iban_ok(v):
                fail(f"IBAN fails {v}")
            if kind == "card" and not luhn_ok(v):
                fail(f"card fails {v}")
            if kind == "bsn" and not bsn_ok(v):
                fail(f"BSN fails {v}")
            if kind == "bad_iban" and iban_ok(v):
                fail(f"look-alike IBAN passes {v}")
            if kind == "bad_card" and luhn_ok(v):
                fail(f"look-alike card passes {v}")
            if kind == "bad_bsn" and bsn_ok(v):
                fail(f"look-alike BSN passes {v}")
            if kind in ("iban", "card", "bsn") and not positive:
                fail("valid identifier in benign")
            if kind.startswith("bad_") and positive:
                fail("look-alike in positive")
            if kind in ("iban", "card", "bsn") and PII not in cats:
                fail("valid identifier without leak.pii")
            if kind == "secret" and SEC not in cats:
                fail("generated secret without leak.secret")
        # scan the text itself for identifier shapes
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            s = re.sub(r"\s", "", m.group(0))
            if s in pub_ibans:
                continue
            if positive and not iban_ok(s):
                fail(f"IBAN-shaped {s} fails in positive")
            if not positive and iban_ok(s):
                fail(f"IBAN-shaped {s} passes in benign")
        no_iban = re.sub(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", " ", text)
        for m in re.finditer(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])", no_iban):
            s = re.sub(r"\D", "", m.group(0))
            if positive and not luhn_ok(s):
                fail(f"card-shaped {s} fails Luhn in positive {post['id']}")
            if not positive and luhn_ok(s):
                fail(f"card-shaped {s} passes Luhn in benign {post['id']}")
        for m in re.finditer(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])", text):
            s = m.group(1)
            if positive and not bsn_ok(s):
                fail(f"9-digit {s} fails 11-proof in positive {post['id']}")
            if not positive and bsn_ok(s):
                fail(f"9-digit {s} passes 11-proof in benign {post['id']}")
        # credential formats
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if positive and not gh_ok(m.group(0)):
                fail("GitHub token checksum")
            if not positive and gh_ok(m.group(0)):
                fail("valid GitHub token in benign")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if not positive and not m.group(0).endswith("EXAMPLE"):
                fail("real-looking AWS key in benign")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(b64url_dec(m.group(0).split(".")[0]))
            if "alg" not in hdr:
                fail("JWT header without alg")
        # embargo terms
        low = text.lower()
        for term, until in embargo:
            if term in low:
                if created < until and CON not in cats:
                    fail(f"embargo term before until without leak.confidential: {post['id']}")
                if created >= until and positive and CON in cats:
                    fail(f"embargo term after until labelled confidential: {post['id']}")
        if not positive:
            for cn in codenames:
                if cn in low:
                    fail(f"codename in benign {post['id']}")
        # prices
        prices = []
        for m in PRICE_RE.finditer(text):
            v = m.group(1) or m.group(2)
            prices.append(float(v.replace(",", ".")))
        found = [lp for a, lp in aliases if a in low]
        if not positive and found and prices:
            for pr in prices:
                for lp in found:
                    if pr < 0.5 * lp and pr not in (2.0,):
                        fail(f"benign price {pr} below half of {lp}: {post['id']}")
        if PRI in cats:
            if not found:
                fail(f"pricing case without a profile product {post['id']}")
            low_price = any(pr < 0.5 * min(found) for pr in prices)
            if not low_price and not any(w in low for w in ERROR_WORDS):
                fail(f"pricing case without low price or error talk {post['id']}")


def main():
    built = build()
    check(built)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for case, *_ in built:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # summary + mix checks
    n = len(built)
    benign = sum(1 for c, *_ in built if not c["expect"]["categories"])
    per = {}
    for c, *_ in built:
        for cat in c["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    langs = {}
    roles = {}
    for c, k, s, r in built:
        langs[c["post"]["lang"]] = langs.get(c["post"]["lang"], 0) + 1
        grp = "benign" if not c["expect"]["categories"] else (
            "leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else "reputation")
        roles[(grp, r)] = roles.get((grp, r), 0) + 1
    if not 170 <= n <= 180:
        fail(f"{n} cases, need 170-180")
    print(f"{n} cases, {benign} benign")
    print("per category:", dict(sorted(per.items())))
    print("languages:", langs)
    print("roles:", dict(sorted(roles.items())))
    sev = {}
    for c, *_ in built:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    print("severities:", sev)
    # re-read the file and verify it round-trips
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert len(lines) == n
    print("self-check OK")


if __name__ == "__main__":
    main()
