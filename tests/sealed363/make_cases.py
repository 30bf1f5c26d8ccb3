#!/usr/bin/env python3
"""Build the sealed363 evaluation set (Opwind Ballonvaarten, hot-air balloon flights).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and self-checks it: checksums of identifiers, secret formats, CONTRACT §6
shape, and severities computed from CONTRACT §4 with the account role taken from
profile.yaml.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(363)

# ---------------------------------------------------------------------------
# identifier generators and validators
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order


def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_nl_iban(bank):
    acct = "".join(RNG.choice(string.digits) for _ in range(10))
    check = 98 - _iban_num(bank + acct + "NL00") % 97
    s = "NL%02d%s%s" % (check, bank, acct)
    assert iban_valid(s)
    return s


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def break_digit(s, validator):
    """Change one digit near the end so that the checksum fails."""
    chars = list(s)
    idxs = [i for i, c in enumerate(chars) if c.isdigit()]
    for i in reversed(idxs):
        for d in "1234567890":
            if d == chars[i]:
                continue
            cand = chars[:]
            cand[i] = d
            cand = "".join(cand)
            if not validator(cand):
                return cand
    raise RuntimeError("cannot break " + s)


def luhn_valid(s):
    digits = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise RuntimeError


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    total = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        d = [RNG.randint(1, 9)] + [RNG.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_valid(s)
            return s


def rand_chars(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def make_github_token(prefix="ghp_"):
    body = rand_chars(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767600000 + RNG.randint(0, 20000000)
    payload = b64url(json.dumps({"sub": "crew-0142", "role": "dispatcher", "base": "Lochem",
                                 "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.randrange(256) for _ in range(270))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fullwidth(s):
    return "".join(FULLWIDTH.get(c, c) for c in s)


# ---------------------------------------------------------------------------
# generated values (placeholders <<KEY>> in the texts)
# ---------------------------------------------------------------------------
G = {}
G["IBAN_PUBLIC"] = spaced4(PROFILE["public_identifiers"]["ibans"][0])
G["IBAN_C1"] = spaced4(make_nl_iban("INGB"))
_iban_e = make_nl_iban("ASNB")
G["IBAN_E_FW"] = fullwidth(_iban_e)
G["IBAN_BAD"] = spaced4(break_digit(make_nl_iban("ABNA"), iban_valid))
G["CARD_C1"] = spaced4(make_card("4"))
_c2 = make_card("5")
G["CARD_C2"] = "-".join(_c2[i:i + 4] for i in range(0, 16, 4))
G["CARD_BAD"] = spaced4(break_digit(make_card("5"), luhn_valid))
_bsn = make_bsn()
G["BSN_E"] = "%s.%s.%s" % (_bsn[:4], _bsn[4:6], _bsn[6:])
G["BSN_BAD"] = break_digit(make_bsn(), bsn_valid)
G["GH"] = make_github_token("ghp_")
G["AWS_ID"] = "AKIA" + rand_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["AWS_SECRET"] = rand_chars(string.ascii_letters + string.digits + "/+", 40)
G["STRIPE"] = "sk_live_" + rand_chars(ALNUM, 24)
G["SLACK"] = "xoxb-%d-%d-%s" % (RNG.randint(10 ** 10, 10 ** 11), RNG.randint(10 ** 12, 10 ** 13),
                                rand_chars(ALNUM, 24))
G["OPENAI"] = "sk-proj-" + rand_chars(ALNUM + "_-", 56) + "T3BlbkFJ" + rand_chars(ALNUM + "_-", 20)
G["JWT"] = make_jwt()
G["PEM"] = make_openssh_key()
G["GOOGLE"] = "AIza" + rand_chars(ALNUM + "_-", 35)
G["PGPASS"] = rand_chars(ALNUM, 6) + "!" + rand_chars(ALNUM, 8)
G["MYPASS"] = "Zw4luw" + rand_chars(string.digits, 4) + "#" + rand_chars(ALNUM, 5)
G["PW1"] = "Ballon-Hangar#" + rand_chars(string.digits, 2) + rand_chars(string.ascii_lowercase, 1)


def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", rep, text)
    assert "<<" not in out
    return out


# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
C = "reputation.complaint"
X = "reputation.crisis"
A = "reputation.abuse"
S = "leak.secret"
P = "leak.pii"
PR = "leak.pricing"
CF = "leak.confidential"
F = "leak.financial"
SEC = "leak.security"

# (platform, kind, handle, display name, lang, categories, text, extras)
# extras: at = created_at; price = [(sku, price)]; embargo = term
POSTS = [
    # ---------------- complaints ----------------
    ("x", "reply", "@marloes_kijkt", "Marloes", "nl", [C],
     "@opwind_care 4x afgelast, elke keer op de ochtend zelf. En nu zeggen jullie dat mijn cadeaubon verlopen is?? "
     "Ik heb 'm van mijn kinderen gekregen voor mijn 60e. Echt schandalig hoe jullie hiermee omgaan.", {}),
    ("x", "post", "@dave_in_utrecht", "Dave", "en", [C],
     "Stood in a soggy field near Barneveld from 5:40 to 7:45 with 20 other people. No crew, no call, no text. "
     "Then a WhatsApp: 'cancelled due to weather'. Cheers @opwind_nl, really appreciated the early alarm 🙃", {}),
    ("facebook", "comment", "hanneke.verbeek.7", "Hanneke Verbeek", "nl", [C],
     "Al 6 weken wacht ik op mijn terugbetaling voor de duovaart die JULLIE hebben geannuleerd. 3 mails gestuurd, "
     "geen reactie. Moet ik nu echt naar de geschillencommissie?", {}),
    ("instagram", "comment", "@sjoerd.fotografeert", "Sjoerd", "en", [C],
     "Lovely flight, but after landing we stood in a muddy field for 3.5 hours waiting for the chase car. No water, "
     "no loo, our kids (7 and 9) half frozen. You can do way better than this @opwind.ballonvaart", {}),
    ("reddit", "post", "u/tulipmaniac", "tulipmaniac", "en", [C],
     "Booked the Champagne Flight with Opwind as an anniversary surprise. Champagne was lukewarm out of a plastic cup, "
     "the 'flight certificate' never showed up in the mail, and when I asked they told me to 'check spam'. "
     "It was supposed to be a PHYSICAL certificate. Not worth the money imo.", {}),
    ("x", "post", "@gijs_k", "Gijs", "nl", [C],
     "Wtf @opwind_care jullie boekingssite heeft me 2x €229 afgeschreven voor 1 klassieke vaart. Chat zegt "
     "'binnen 10 werkdagen'. Ik wil gewoon m'n geld terug", {}),
    ("facebook", "comment", "ellen.maas.1962", "Ellen Maas", "nl", [C],
     "Onze piloot heeft mijn vader van 78 afgesnauwd omdat hij niet snel genoeg in de mand klom. Waar de hele groep "
     "bij stond. Hij keek er maanden naar uit en nu schaamt hij zich. Hier kunnen jullie echt niet trots op zijn.", {}),
    ("x", "post", "@weatherornot", "Rosie", "en", [C],
     "5 reschedules. FIVE. Every single time 'unsafe winds'. Today: flags limp, blue sky, kids flying kites in the park. "
     "Starting to think @opwind_nl just overbooks and cancels whoever paid least.", {}),
    ("x", "post", "@xxlisaxx", "lisa", "nl", [C],
     "klantenservcie van opwind reageert nie op mail, nie op dm, telefoon gaat over en dan hangt ie op. ben er echt "
     "klaar mee 😤 #opwind", {}),
    ("instagram", "comment", "@mama_van_drie", "Mama van drie", "nl", [C],
     "Kindervaart geboekt omdat de site zegt 'speciaal ingerichte mand voor kinderen'. Mijn zoon (8) kon letterlijk "
     "niet over de rand kijken. Hele vaart tegen een rieten wand aangestaard. Zonde van het geld.", {}),
    ("reddit", "comment", "u/kees_uit_zwolle", "kees_uit_zwolle", "en", [C],
     "Anyone else had Opwind cram way too many people in one basket? There were 16 of us in a basket that felt built "
     "for 10. Couldn't even turn around to take photos. Pilot said it was 'within limits'. Felt like cattle transport "
     "with a view tbh.", {}),
    ("x", "reply", "@rick_vd_meer", "Rick", "en", [C],
     "Booked the Photo Flight, 'professional photos within 5 working days'. 7 weeks later... nothing. "
     "@opwind_care where are they??", {}),
    ("tiktok", "post", "@noah.travels", "noah", "en", [C],
     "POV: you paid for the Sunrise Flight and lift off at 9:15 because the crew forgot a gas cylinder 🫠 sun already "
     "way up. thanks opwind #balloonfail", {}),
    # first-hand safety incidents: complaint + crisis
    ("facebook", "post", "wilma.brouwer.lochem", "Wilma Brouwer", "nl", [C, X],
     "Gisteren harde landing bij Opwind in Lochem. Mijn moeder (71) is met haar pols tegen de mand geslagen, gebroken. "
     "Niemand van Opwind heeft sindsdien gebeld. Geen excuses, niks. Dit is toch niet normaal?", {}),
    ("x", "post", "@brennan_ire", "Brennan", "en", [C, X],
     "During our @opwind_nl flight the burner flared right above us and I've got actual burns on my scalp. Pilot "
     "shrugged and said 'it happens'. Went to urgent care this morning. Absolutely not ok.", {}),
    ("instagram", "post", "@tess.op.reis", "Tess", "en", [C, X],
     "On landing our basket tipped over and we got dragged about 50 metres across a field. Everyone covered in "
     "bruises, a girl was bleeding from her head. And the ground crew were LAUGHING?! Never flying Opwind again.", {}),
    ("reddit", "post", "u/amsterdam_expat", "amsterdam_expat", "en", [C, X],
     "We came within what felt like 20m of high-voltage lines on our Opwind flight near Zwolle. The pilot was visibly "
     "panicking and yelling into the radio. My wife was shaking for an hour afterwards. Never again, and I'm reporting "
     "this.", {}),
    ("x", "post", "@jolien_b", "Jolien", "nl", [C, X],
     "Na de champagnevaart van zaterdag lagen mijn man en ik 2 dagen ziek op bed. Die 'ontbijtplank' na de landing "
     "stond al uren in de zon. Meer mensen uit onze groep zijn ziek geworden @opwind_care", {}),
    # ---------------- crisis (third party / accusations) ----------------
    ("x", "post", "@boerenbelang_oost", "Boerenbelang Oost", "nl", [X],
     "Weer een Opwind-ballon laag over de wei, 40 koeien in paniek door het hek, twee in de sloot. Genoeg is genoeg. "
     "#boycotOpwind en deel dit!", {}),
    ("x", "post", "@regionieuws_gld", "Regionieuws Gelderland", "nl", [X],
     "Ballon van Opwind maakt noodlanding naast A12 bij Ede; twee passagiers met onbekend letsel naar ziekenhuis. "
     "Weg tijdelijk afgesloten.", {}),
    ("x", "post", "@omroep_ijssel", "Omroep IJssel", "nl", [X],
     "Familie van gewonde passagier stapt naar de rechter: Opwind Ballonvaarten aansprakelijk gesteld na val uit de "
     "mand vorig najaar.", {}),
    ("reddit", "post", "u/hennie_h", "hennie_h", "en", [X],
     "Has Opwind been hacked? Half my neighbourhood group got a phishing mail with their exact flight date, booking "
     "number and even weight class. That info can only come from their booking system. They have said nothing.", {}),
    ("bluesky", "post", "@luchtvaartwatcher.bsky.social", "Luchtvaartwatcher", "nl", [X],
     "ILT opent onderzoek naar Opwind na bijna-botsing tussen een van hun ballonnen en een sportvliegtuig boven Teuge.",
     {}),
    ("x", "post", "@skeptic_sam", "Sam", "en", [X],
     "Video going round shows an Opwind pilot downing two beers at the launch field 20 min before takeoff. With "
     "passengers watching. How is this company still allowed to fly?", {}),
    ("x", "post", "@ballonvaartnieuws", "Ballonvaartnieuws", "nl", [X],
     "Opwind houdt 4 ballonnen aan de grond na scheurtjes in brandstofslangen bij een inspectie. Klanten met een vaart "
     "deze week worden gebeld.", {}),
    ("facebook", "post", "DierenvriendenAchterhoek", "Dierenvrienden Achterhoek", "nl", [X],
     "Oproep: stop met boeken bij Opwind zolang ze laag over paardenweides blijven varen. Gisteren brak een merrie haar "
     "been toen ze in paniek door de afrastering ging. #boycot #opwind", {}),
    ("x", "post", "@newsdesk_nl", "NL Newsdesk", "en", [X],
     "Opwind balloon caught fire during landing near Deventer on Sunday evening. All 12 passengers got out, one "
     "treated for smoke inhalation, police say.", {}),
    ("x", "post", "@woedende_vader", "Erik", "nl", [C, X, A],
     "Die kutpiloot van Opwind had NOOIT mogen opstijgen met die wind. Mijn dochter ligt in het ziekenhuis met een "
     "hersenschudding na die landing. Moordenaars zijn jullie, vuile geldwolven.", {}),
    # ---------------- abuse ----------------
    ("x", "reply", "@stijn_0", "stijn", "nl", [A],
     "@opwind_care jullie zijn echt een stelletje kankerlijers, weet je dat", {}),
    ("x", "reply", "@flybynight_", "fbn", "en", [A],
     "your pilots are fucking morons and I hope every one of your shitty balloons pops mid-air @opwind_nl", {}),
    ("x", "reply", "@m4rco_h", "Marco", "nl", [A],
     "@ilse_grondcrew domme trut, ga lekker terug naar de keuken ipv in een volgauto te zitten", {}),
    ("x", "post", "@oldschool_ger", "Gerard", "en", [A],
     "Saw Opwind now lets that Noor Bakkali fly their balloons. Go back to your own country, the Dutch sky isn't "
     "for your kind.", {}),
    ("x", "reply", "@maarten_piloot", "Maarten Vos", "nl", [A],
     "@gijs_k hou toch je bek man, zeurpiet. Ga lekker ergens anders zeiken", {}),
    ("x", "post", "@n00b_sl4yer", "n00b", "nl", [A],
     "0pw1nd is 3en k4nk3rb3dr1jf vol t4t3s 🤮", {}),
    ("instagram", "comment", "@jaydenn", "jayden", "en", [A],
     "opwind crew are s c u m b a g s and l o s e r s lmao", {}),
    ("x", "post", "@boos_in_breda", "Boos", "nl", [A],
     "t\u200by\u200bf\u200bu\u200bs\u200bl\u200bi\u200bj\u200be\u200br\u200bs zijn het bij @opwind_nl, allemaal", {}),
    ("facebook", "comment", "OpwindBallonvaarten", "Opwind Ballonvaarten", "nl", [A],
     "Meneer, als u zo blijft zeiken kunt u beter thuisblijven. Wat een zielige zeurkous bent u zeg.", {}),
    ("x", "reply", "@tamara_z", "Tamara", "en", [C, A],
     "Cancelled 3 times, voucher expired and not a cent back. Scamming bastards, the lot of you @opwind_care", {}),
    # ---------------- pricing ----------------
    ("x", "post", "@opwind_nl", "Opwind", "nl", [PR],
     "🎈 Valentijnsdeal! De Romantische Duovaart nu voor maar €64,90 voor twee. Boek via opwind.nl, op = op 💕",
     {"price": [("OW-DUO", 64.90)], "at": "2026-02-09T07:30:00Z"}),
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "nl", [PR],
     "Eh, iemand van het webteam wakker? Privévaart staat op de site voor €145 😬 prijsfout, graag snel fixen "
     "voordat het viraal gaat", {"price": [("OW-PRIV", 145)]}),
    ("x", "post", "@dealjager_nl", "Dealjager", "nl", [PR],
     "PRIJSFOUT bij Opwind!! Alpenoversteek voor €189 😂 snel boeken voor ze het doorhebben #prijsfout",
     {"price": [("OW-ALPS", 189)]}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "nl", [PR],
     "Met je hele vriendengroep de lucht in? Groepsvaart (8 pers.) nu €169 🎈 Link in bio!",
     {"price": [("OW-GROUP", 169)]}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "en", [PR],
     "Heads up team: pricing bug in the new checkout, the Wedding Flight is showing €195 for some users. "
     "Hotfix is rolling out tonight.", {"price": [("OW-WED", 195)]}),
    ("reddit", "post", "u/airborne_aspirant", "airborne_aspirant", "en", [PR],
     "Opwind has its BPL training listed at €895 right now. Is that a mistake? Everywhere else it's 8-10k. "
     "Should I just book it before they notice?", {"price": [("OW-BPL", 895)]}),
    ("linkedin", "post", "opwind-ballonvaarten", "Opwind Ballonvaarten", "nl", [PR],
     "Teamuitje gepland? De Zakelijke Vaart vanaf €245 ex. btw, inclusief lunch op de landingsplek.",
     {"price": [("OW-BIZ", 245)]}),
    ("facebook", "post", "dennis.hofstra.9", "Dennis Hofstra", "en", [PR],
     "opwind champagne flight for 29.90??? gotta be a price error, bought 4 straight away 🍾",
     {"price": [("OW-CHAMP", 29.90)]}),
    ("x", "post", "@ilse_grondcrew", "Ilse de Graaf", "nl", [PR],
     "Wie heeft de Waddenvaart op €34,90 gezet in het kassasysteem van de festivalstand 🙈 er staan al 20 mensen "
     "in de rij", {"price": [("OW-WADDEN", 34.90)]}),
    ("x", "post", "@cheapflightsfan", "Cheap Flights Fan", "en", [PR],
     "Opwind Photo Flight for €35?? Must be a price glitch, grab it while you can 📸🎈",
     {"price": [("OW-PHOTO", 35)]}),
    ("tiktok", "post", "@opwindballon", "Opwind", "nl", [PR],
     "ALLEEN VANDAAG: Zonsopgangvaart €26,90 🌅 wie gaat er mee?", {"price": [("OW-SUN", 26.90)]}),
    ("x", "post", "@kortingskoning", "Kortingskoning", "nl", [PR],
     "Opwind cadeaubon ballonvaart voor €23,90 in de Black Friday actie op opwind.nl, foutje of echt? 🤔",
     {"price": [("OW-GIFT", 23.90)], "at": "2026-11-27T06:48:00Z"}),
    # ---------------- secrets ----------------
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "nl", [S],
     "Iemand enig idee waarom dit een 403 geeft?\n\ngit clone https://<<GH>>@github.com/opwind-dev/boekingsmotor.git"
     "\n\ntoken is net aangemaakt 🤔", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "en", [S],
     "finally got the backup script running 🎉\n\n[default]\naws_access_key_id = <<AWS_ID>>\n"
     "aws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1", {}),
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "nl", [S],
     "@ruben_ops nieuwe inlog voor het dispatchportaal: gebruiker dispatch01, wachtwoord: <<PW1>> — graag vandaag nog "
     "wijzigen", {}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "en", [S],
     "Quick tip for anyone integrating Stripe webhooks in Node:\n\nconst stripe = require('stripe')('<<STRIPE>>');\n\n"
     "works like a charm in our booking flow 🚀", {}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "en", [S],
     "our deploy bot keeps posting twice in #ops, token is <<SLACK>> — any Slack gurus know why?", {}),
    ("forum", "post", "devjoost", "Joost (freelance dev)", "nl", [S, CF],
     "Voor wie de opwind-planning app lokaal wil draaien, mijn .env:\n\n"
     "DATABASE_URL=postgres://planner:<<PGPASS>>@planning.opwind.local:5432/roster\nNODE_ENV=development", {}),
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "nl", [S],
     "Onze nieuwe chatbot voor boekingsvragen draait! Voor de nerds: OPENAI_API_KEY=<<OPENAI>> 😎 (oeps mag dit hier?)",
     {}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "en", [S],
     "Anyone seen this? Our dispatcher app returns 401 even with a fresh token:\n\n"
     "curl -H 'Authorization: Bearer <<JWT>>' https://api.opwind.nl/v2/flights/today", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "nl", [S],
     "Nieuwe laptop, nieuwe sleutel. Wie weet waarom ssh 'invalid format' zegt?\n<<PEM>>", {}),
    ("reddit", "post", "u/apk_digger", "apk_digger", "en", [S],
     "Decompiled the Opwind booking app for fun. Their Google Maps key is just sitting in strings.xml: <<GOOGLE>> "
     "— hope it's restricted lol", {}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "nl", [S],
     "Nieuw weerstation-dashboard in de hangar 😍 inloggen met crew / wachtwoord: Zw3v3nd!2026 (sst niet doorvertellen)",
     {}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "en", [S],
     "migration done ✅ if anyone needs to poke at the voucher db: mysql://root:<<MYPASS>>@10.20.0.14:3306/vouchers", {}),
    # ---------------- confidential ----------------
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "nl", [CF],
     "Mag nog niks zeggen 🤐 maar Project Zwaluw gaat alles veranderen aan hoe jullie bij ons boeken. Nog even geduld!",
     {}),
    ("linkedin", "post", "noor-bakkali", "Noor Bakkali", "en", [CF],
     "So proud of the team testing Stratos this week, our 24-person basket prototype. First tethered test went "
     "flawlessly. Can't wait till we can show you more!", {}),
    ("x", "post", "@nichtje_van_kees", "Kim", "nl", [CF],
     "Mijn neef werkt bij Opwind en zei dat Operatie Thermiek betekent dat ze volgend jaar in België gaan varen 👀", {}),
    ("x", "post", "@maarten_piloot", "Maarten Vos", "en", [CF],
     "Anyone able to take my Saturday 13/6 morning flight? Roster's at https://planning.opwind.local/rooster/week24 "
     "— happy to swap for an evening one", {"at": "2026-06-08T19:42:00Z"}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "nl", [CF],
     "Vergaderdag 🙄 slide 1: 'VERTROUWELIJK - OPWIND INTERN: vlootplan 2027, 6 nieuwe ballonnen + hangar Teuge'. "
     "Koffie is al op.", {}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "nl", [CF],
     "Iets nieuws aan de horizon 🌙✨ De Nachtvaart Deluxe komt eraan — varen onder de sterren. Wie wil als eerste mee?",
     {"at": "2026-11-20T18:00:00Z", "embargo": "Nachtvaart Deluxe"}),
    ("tiktok", "post", "@jesse_crew", "Jesse", "en", [CF],
     "first test run of the Aurora Night Flight tonight, the LED basket looks insane 🤫 #crewlife",
     {"at": "2026-12-15T21:30:00Z", "embargo": "Aurora Night Flight"}),
    ("x", "post", "@ilse_grondcrew", "Ilse de Graaf", "nl", [CF, F],
     "Net de jaarcijfers 2026 voorbij zien komen op kantoor... mag niks zeggen maar we gaan flink trakteren 😉",
     {"at": "2027-02-02T10:15:00Z", "embargo": "jaarcijfers 2026"}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "en", [CF],
     "if you want to see the burner telemetry POC it's at https://git.opwind.nl/ops/burner-telemetry, ping me for access",
     {}),
    ("x", "post", "@wouter_nl", "Wouter", "en", [CF],
     "A mate at Opwind sent me this, check the salary scales lol: intranet.opwind.local/hr/salarisschalen-2026", {}),
    ("linkedin", "post", "koen-hendriks-opwind", "Koen Hendriks", "en", [CF],
     "Great board session today. Slide footer said 'Opwind internal only' so I'll keep it vague, but 2027 is going "
     "to be big.", {}),
    ("x", "reply", "@opwind_nl", "Opwind", "nl", [CF],
     "@femke_vleeuwen zie bijlage, NIET EXTERN DELEN: nieuwe routes boven de Wadden vanaf mei + samenwerking met "
     "Texel Airport.", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "nl", [CF],
     "Vandaag meegekeken bij de eerste Str\u0430t\u043es-test, die mand is echt gigantisch 😮", {}),
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "en", [CF],
     "Big week for " + fullwidth("Project") + " " + fullwidth("Zwaluw") + " 🐦 can't say more!!", {}),
    ("tiktok", "post", "@jesse_crew", "Jesse", "nl", [CF],
     "Mijn lippen zijn verzegeld over O.p.e.r.a.t.i.e T.h.e.r.m.i.e.k 🤐🇧🇪", {}),
    ("linkedin", "post", "koen-hendriks-opwind", "Koen Hendriks", "en", [CF, F],
     "FY2026 results deck is finally done. Numbers are wild — in a good way. Two more weeks of keeping my mouth "
     "shut 😅", {"at": "2027-02-18T16:20:00Z", "embargo": "FY2026 results"}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "nl", [CF],
     "Nachttraining voor de Nachtvaart Deluxe 🌌 niemand mag het nog weten dus sst 🤫",
     {"at": "2026-10-05T22:10:00Z", "embargo": "Nachtvaart Deluxe"}),
    # ---------------- financial ----------------
    ("x", "post", "@maarten_piloot", "Maarten Vos", "nl", [F],
     "Omzet eerste halfjaar 18% lager dan vorig jaar hoorde ik vandaag. Er komt een reorganisatie aan, dat voel je "
     "gewoon.", {}),
    ("linkedin", "post", "noor-bakkali", "Noor Bakkali", "en", [F],
     "Can't say much yet, but we're about to be acquired by Aerovia Leisure Group. Announcement next month. "
     "Exciting times!!", {}),
    ("x", "post", "@opwind_nl", "Opwind", "nl", [F],
     "Concept persbericht: Opwind Ballonvaarten neemt het Duitse Himmelsfahrt GmbH over voor €12 miljoen, closing "
     "verwacht in Q1.", {}),
    ("x", "post", "@ilse_grondcrew", "Ilse de Graaf", "nl", [F],
     "Vandaag te horen gekregen dat 14 van ons van de grondcrew na dit seizoen ontslagen worden. Officieel weet nog "
     "niemand het. Balen.", {}),
    ("facebook", "post", "yvonne.postma.3", "Yvonne Postma", "en", [F],
     "A friend of mine works at Opwind, says they're shutting the Twente base and about 30 people will have to go. "
     "Not announced yet.", {}),
    ("linkedin", "post", "koen-hendriks-opwind", "Koen Hendriks", "en", [F],
     "Board approved our 2027 forecast today: 40% revenue growth on the back of the Belgian expansion. Not public "
     "yet, but proud of this team.", {}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "nl", [F],
     "EBITDA Q3 was negatief en de bank zit ons op de nek, las ik in de notulen. Lekker begin van de week", {}),
    ("forum", "post", "insider_throwaway", "insider_throwaway", "en", [F],
     "Insider here: Opwind is in late-stage merger talks with SkyDrift Tours. Expect the announcement after summer.",
     {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "nl", [F],
     "Directie heeft vandaag besloten: kantoor Utrecht gaat dicht, alles naar Apeldoorn, ca. 20 fte minder. Wij horen "
     "het als eerste, de rest in september.", {}),
    ("linkedin", "post", "opwind-ballonvaarten", "Opwind Ballonvaarten", "nl", [F],
     "Update voor het MT: we verwachten over 2026 een verlies van €2,3 mln. Graag bespreken op donderdag.", {}),
    # ---------------- security ----------------
    ("x", "post", "@maarten_piloot", "Maarten Vos", "nl", [SEC],
     "Boekingssysteem ligt sinds 6u vanochtend plat. IT zegt ransomware. Klanten weten nog van niks en wij moeten "
     "maar met papieren lijsten de lucht in.", {}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "en", [SEC],
     "Found out you can redeem anyone's voucher just by incrementing the code on the redeem page. Reported it "
     "internally 3 weeks ago, still live. Fun.", {}),
    ("x", "post", "@ilse_grondcrew", "Ilse de Graaf", "nl", [SEC],
     "Schrik van de dag: de passagierslijsten met naam én gewicht stonden gewoon open in een cloud bucket. Iedereen "
     "kon erbij. IT is het nu aan het dichtzetten.", {}),
    ("tiktok", "post", "@jesse_crew", "Jesse", "en", [SEC],
     "GPS trackers in all our chase cars have been dead since yesterday, apparently the supplier got hacked. We're "
     "just chasing the balloon on vibes now 😅", {}),
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "en", [SEC],
     "@ruben_ops phishing hit 3 pilot mailboxes overnight, passwords reset. Holding statement only if customers ask, "
     "don't post anything proactively.", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "nl", [SEC],
     "Onze app laat boekingsgegevens van andere klanten zien als je het boekingsnummer in de URL met 1 ophoogt. "
     "IT weet het al 3 weken.", {}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "en", [SEC],
     "crew heads-up: the weather API we use for flight planning has been down since Tuesday, we're literally planning "
     "off windy.com screenshots. don't tell the passengers 🙈", {}),
    ("reddit", "comment", "u/ex_grondcrew", "ex_grondcrew", "en", [SEC],
     "Ex-crew here. Opwind's booking backend has had an unpatched SQL injection since 2024. Everyone in the office "
     "knows, nobody fixes it.", {}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "nl", [SEC],
     "Datalek bij ons: de nieuwsbrief is met alle klantadressen in CC verstuurd. Melding bij de AP is nog niet gedaan, "
     "directie 'denkt erover na'.", {}),
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "en", [SEC],
     "sso has been down since last night, nobody can log into the planning portal. Today we fly on paper and hope.",
     {}),
    ("linkedin", "post", "noor-bakkali", "Noor Bakkali", "en", [SEC],
     "Someone was sniffing traffic on the launch-site Wi-Fi last weekend, including the card terminal. Security firm "
     "is investigating, nothing announced yet.", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "nl", [SEC],
     "Er zit een lek in de firmware van de burner-telemetrie: iedereen op hetzelfde netwerk kan de meetwaarden "
     "aanpassen. Patch komt pas in maart 😬", {}),
    ("facebook", "post", "OpwindBallonvaarten", "Opwind Ballonvaarten", "nl", [SEC],
     "Intern: storing in de betaalmodule sinds 14:00, betalingen worden dubbel afgeschreven. Nog niet communiceren "
     "naar klanten tot we de omvang weten.", {}),
    # ---------------- personal data ----------------
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "nl", [P],
     "@sandra_hoog Hoi Sandra, je terugbetaling van €229 staat klaar naar <<IBAN_C1>> t.n.v. S. Hoogland. Binnen 3 "
     "werkdagen op je rekening!", {}),
    ("facebook", "comment", "OpwindBallonvaarten", "Opwind Ballonvaarten", "nl", [P],
     "Hoi Jeroen, we bellen je morgen tussen 10 en 12 terug op 06-41827356, klopt dat nummer nog?", {}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "nl", [P],
     "Morgen ophalen voor de zonsopgangvaart: fam. de Wit, Lindelaan 14, 3811 AB Amersfoort om 5:15. Wie rijdt er "
     "mee? 🚐", {}),
    ("x", "reply", "@bram_vliegt", "Bram", "nl", [C, P],
     "@opwind_care waarom wordt mijn kaart <<CARD_C1>> steeds geweigerd bij het afrekenen?? 4e poging nu, dit is "
     "echt waardeloos", {}),
    ("x", "reply", "@laura_mcc", "Laura McCarthy", "en", [P],
     "@opwind_care hi! I'd like to move my booking to any Saturday in June. You can reach me at "
     "laura.mccarthy84@gmail.com or +31 6 2039 4415", {}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "en", [P],
     "Happy 95th birthday to our oldest passenger ever, Gerrit Mulder (born 12 March 1931)! 🎈🎂", {"at": "2026-03-12T11:00:00Z"}),
    ("x", "post", "@maarten_piloot", "Maarten Vos", "nl", [P],
     "Aanvraag medische keuring ingevuld, ze vragen zelfs mijn BSN (<<BSN_E>>) via een gewoon mailformulier. Serieus?",
     {}),
    ("x", "reply", "@marieke_reist", "Marieke", "nl", [P],
     "Voor de vaart moesten we ID laten zien, hier alvast mijn paspoortnummer NXK4R71P2 zodat jullie het hebben "
     "@opwind_care", {}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "en", [P],
     "Can someone from support call back m.vandijk1977@hotmail.com? She's been waiting since Monday and she's furious.",
     {}),
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "nl", [P],
     "@kees_tromp we zien je betaling met kaart <<CARD_C2>> van 12 mei, die is inmiddels teruggestort.", {}),
    ("x", "post", "@ilse_grondcrew", "Ilse de Graaf", "nl", [P],
     "Kan iemand mevr. Yıldız terugbellen over haar gewijzigde vaart? 020-6843192, ze is vanaf 14u thuis", {}),
    ("x", "post", "@hater_harm", "Harm", "nl", [P, A],
     "Weet iemand waar die arrogante piloot van Opwind woont? Al gevonden: Bram Hoekstra, Kerkstraat 22, Zutphen. "
     "Even langsgaan vanavond 😡", {}),
    ("x", "post", "@femke_vleeuwen", "Femke van Leeuwen", "nl", [P],
     "Pot voor het afscheid van onze teamleider! Maak je bijdrage over naar <<IBAN_E_FW>> t.n.v. F. van Leeuwen 🎁",
     {}),
    ("facebook", "comment", "paul.pearson.uk", "Paul Pearson", "en", [C, P],
     "My dad, John Pearson, DOB 04/07/1948, was refused at check-in for being 'too old', even though we booked "
     "months ago and nobody said a word about age limits. Ridiculous, Opwind.", {}),
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "nl", [P],
     "@hvisser Dag meneer Visser, we hebben uw nummer 0031 6 2738 4910 genoteerd en bellen u maandag over de nieuwe "
     "datum.", {}),
    # ---------------- benign (mostly hard negatives) ----------------
    ("instagram", "post", "@annavdberg", "Anna", "nl", [],
     "Wat een ervaring! Zonsopgangvaart boven de Veluwe met Opwind, piloot Daan was geweldig en die stilte daarboven... "
     "kippenvel 🎈☀️", {}),
    ("x", "post", "@mike_ottens", "Mike", "en", [],
     "Sunrise flight with @opwind_nl this morning. Absolutely blown away 😍 #bucketlist #hotairballoon", {}),
    ("facebook", "post", "peter.kuipers.52", "Peter Kuipers", "nl", [],
     "Vraagje: is er een gewichtslimiet bij Opwind? Mijn vader weegt zo'n 125 kilo en wil heel graag mee.", {}),
    ("x", "reply", "@opwind_care", "Opwind Klantenservice", "nl", [],
     "@peterkuipers Hoi Peter! Stuur je vraag even naar boekingen@opwind.nl of bel ons op +31 30 760 4420, dan kijken "
     "we samen naar de mogelijkheden 🎈", {}),
    ("facebook", "post", "OpwindBallonvaarten", "Opwind Ballonvaarten", "nl", [],
     "Liever overmaken? Dat kan naar <<IBAN_PUBLIC>> t.n.v. Opwind Ballonvaarten B.V., o.v.v. je boekingsnummer.", {}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "nl", [],
     "Klassieke Ballonvaart: €229 p.p. inclusief champagne, ballonvaartdoop en certificaat. Vertrek vanaf 12 "
     "locaties 🎈", {"price": [("OW-STD", 229)]}),
    ("x", "post", "@opwind_nl", "Opwind", "nl", [],
     "Voorjaarsactie 🌷 De Romantische Duovaart van €649 voor €519, t/m 31 maart.",
     {"price": [("OW-DUO", 519)], "at": "2026-03-03T09:00:00Z"}),
    ("x", "post", "@sarahflies", "Sarah", "en", [],
     "Black Friday win: two Champagne Flights for €239 each instead of €299 🥂 thanks Opwind!",
     {"price": [("OW-CHAMP", 239)], "at": "2026-11-27T20:14:00Z"}),
    ("tiktok", "post", "@opwindballon", "Opwind", "nl", [],
     "Dit weekend op de Ballonfiësta Barneveld: Kabelballon voor €39 p.p. Even 40 meter omhoog en weer terug 😄",
     {"price": [("OW-TETH", 39)]}),
    ("x", "post", "@dirk_grapjas", "Dirk", "nl", [],
     "Mijn vrouw zegt altijd dat ik zweef. Dus heb ik haar een Opwind cadeaubon gegeven, kan ze zelf voelen hoe dat "
     "is 😂", {}),
    ("x", "post", "@janine_p", "Janine", "nl", [],
     "Thermiek was vanochtend te sterk volgens de piloot, dus vaart afgelast. Balen, maar helemaal logisch. Liever "
     "veilig 👍 @opwind_nl", {}),
    ("x", "post", "@globetrottergirl", "Globetrotter", "en", [],
     "Awful news from Cappadocia this morning, a balloon accident with three dead. Thinking of the families and the "
     "crews there 💔", {}),
    ("facebook", "post", "marjolein.dehaan", "Marjolein de Haan", "nl", [],
     "Update: Opwind heeft alles netjes opgelost! Bon verlengd tot eind volgend jaar en een persoonlijk excuus van de "
     "piloot. Zo hoort het.", {}),
    ("x", "post", "@maarten_piloot", "Maarten Vos", "en", [],
     "Reminder to all crew: never share your password with anyone, not even someone claiming to be IT. Stay sharp 🛡️",
     {}),
    ("linkedin", "post", "sem-de-boer-opwind", "Sem de Boer", "nl", [],
     "Voor de workshop van morgen: in de AWS-docs zie je vaak AKIAIOSFODNN7EXAMPLE als voorbeeldsleutel. Gebruik die "
     "gewoon in je oefenconfig, nooit een echte.", {}),
    ("mastodon", "post", "@ruben_ops", "Ruben Mulder", "en", [],
     "PSA: a GitHub token looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you spot one in a repo, tell me, "
     "don't commit it.", {}),
    ("x", "reply", "@kim_zonder_y", "Kim", "nl", [],
     "Jullie formulier zegt dat <<IBAN_BAD>> ongeldig is?? Oh wacht, ik heb twee cijfers omgedraaid 🙈 sorry "
     "@opwind_care", {}),
    ("instagram", "post", "@tomtravelsnl", "Tom", "en", [],
     "Booking ref <<CARD_BAD>> – confirmed for Saturday! Can't wait 🎈", {}),
    ("x", "post", "@oma_truus", "Truus", "nl", [],
     "Mijn klantnummer is <<BSN_BAD>>, waar vind ik het certificaat van mijn vaart? Kleinzoon zegt online maar ik zie "
     "het niet", {}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "nl", [],
     "Hij is er! 🌙 De Nachtvaart Deluxe: varen onder de sterren met een verlichte mand. Nu te boeken voor vaarten "
     "vanaf maart.", {"at": "2027-01-25T17:00:00Z", "embargo": "Nachtvaart Deluxe"}),
    ("linkedin", "post", "koen-hendriks-opwind", "Koen Hendriks", "nl", [],
     "Vandaag hebben we de jaarcijfers 2026 gepubliceerd. Trots op wat dit team in een lastig jaar heeft neergezet.",
     {"at": "2027-03-05T09:30:00Z", "embargo": "jaarcijfers 2026"}),
    ("x", "post", "@leisure_analyst", "Leisure Analyst", "en", [],
     "Opwind's FY2026 results are out: revenue up 12%, two new launch sites. Solid year for a niche player.",
     {"at": "2027-03-10T12:00:00Z", "embargo": "FY2026 results"}),
    ("linkedin", "post", "opwind-ballonvaarten", "Opwind Ballonvaarten", "nl", [],
     "We zoeken grondcrew voor seizoen 2026! Rijbewijs B+E en vroeg opstaan zijn een must. Solliciteer via "
     "www.opwind.nl/vacatures", {"at": "2026-01-14T08:00:00Z"}),
    ("reddit", "post", "u/anniversarynerd", "anniversarynerd", "en", [],
     "What's a good 40th anniversary gift for my parents? Thinking of Opwind's Duo Flight. Anyone done it?", {}),
    ("facebook", "post", "sanne.wolters", "Sanne Wolters", "en", [],
     "Does anyone know if kids on the Kids Flight get to help inflate the balloon? My son is obsessed with it", {}),
    ("tiktok", "post", "@jordy.films", "jordy", "en", [],
     "killer views, this flight was the bomb 💣🔥 10/10 would float again", {}),
    ("instagram", "post", "@fleur_fotografie", "Fleur", "nl", [],
     "De hele lucht stond in de fik vanochtend 🔥🌅 wat een kleuren vanuit de mand!", {}),
    ("x", "post", "@lowbudgetlars", "Lars", "en", [],
     "SkyDrift Tours has balloon rides for €99 this week in Limburg, anyone tried them?", {}),
    ("facebook", "post", "OpwindBallonvaarten", "Opwind Ballonvaarten", "en", [],
     "How we land safely: knees slightly bent, hold the handles, back against the basket wall. Your pilot always "
     "walks you through it before take-off 👍", {}),
    ("x", "post", "@maarten_piloot", "Maarten Vos", "en", [],
     "Flight number 200 of the season done, zero incidents. Thanks to the best ground crew in the country 🙏",
     {"at": "2026-09-27T10:05:00Z"}),
    ("x", "post", "@jasper_deb", "Jasper", "en", [],
     "Does Opwind still accept the old paper gift vouchers? Asking before I drive 2 hours to Lochem 😅", {}),
    ("x", "post", "@opwind_nl", "Opwind", "nl", [],
     "Helaas gaan alle vaarten van vanavond niet door vanwege onweer ⛈️ Je krijgt automatisch een mail voor een "
     "nieuwe datum.", {}),
    ("instagram", "post", "@daan.vliegt", "Daan Smit", "en", [],
     "Crash course in knots for our new crew members today 🪢 they're naturals", {}),
    ("instagram", "comment", "@lisa_en_oma", "Lisa", "en", [],
     "Took my gran (87) up with Opwind today. Haven't seen her laugh like that in years ❤️🎈", {}),
    ("x", "post", "@opwind_care", "Opwind Klantenservice", "en", [],
     "Forgot your password? Reset it at boeken.opwind.nl/reset. We will never ask for your password in a DM 🔒", {}),
    ("forum", "post", "codekat", "codekat", "nl", [],
     "In de Stripe-docs zie je voorbeelden als sk_test_... met je eigen testsleutel erin. Zet echte sleutels altijd "
     "in een env var, nooit in je code.", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "en", [],
     "Reminder for the team: when you paste logs, redact the header like `Authorization: Bearer eyJ…[REDACTED]`. "
     "Thanks!", {}),
    ("x", "post", "@timo_techt", "Timo", "en", [],
     "Another data breach at a big ticket reseller. Glad I booked my Opwind flight over the phone tbh 😅",
     {}),
    ("x", "post", "@sophievdz", "Sophie", "nl", [],
     "Opwind jullie zijn echt gestoord goed 😂🎈 beste verjaardagscadeau ooit", {}),
    ("tiktok", "comment", "@kayleigh.x", "kayleigh", "en", [],
     "damn that was SICK!!! best bday present ever, thx @opwindballon 🎈🎈", {}),
    ("instagram", "post", "@opwind.ballonvaart", "Opwind Ballonvaarten", "nl", [],
     "Onze Waddenvaart is terug vanaf 1 april! €349 p.p., met uitzicht op Texel en Vlieland 🌊",
     {"price": [("OW-WADDEN", 349)], "at": "2026-03-02T09:00:00Z"}),
    ("reddit", "post", "u/ring_in_pocket", "ring_in_pocket", "en", [],
     "Is €1,450 for Opwind's Private Flight worth it? Planning to propose up there 💍",
     {"price": [("OW-PRIV", 1450)]}),
    ("linkedin", "post", "noor-bakkali", "Noor Bakkali", "nl", [],
     "Vandaag mijn BPL-opleiding afgerond en officieel piloot bij Opwind! Dank aan iedereen die me heeft geholpen 🎈",
     {}),
    ("instagram", "post", "@vogelspotter_ed", "Ed", "nl", [],
     "Zwaluwen die onder de mand door scheerden, magisch moment tijdens de vaart vanavond 🐦", {}),
    ("x", "post", "@spacegeek_em", "Em", "en", [],
     "Rewatched the stratosphere jump doc last night. Today's Opwind flight only went to 600m but it felt like space 🚀",
     {}),
    ("x", "reply", "@gerda_h", "Gerda", "nl", [],
     "@opwind_care dank jullie voor het snelle antwoord, nieuwe bon is binnen! 🙌", {}),
    ("facebook", "post", "rob.janssens.77", "Rob Janssens", "en", [],
     "Which balloon ride would you recommend, Opwind or someone else? Budget around €250 pp, ideally departing "
     "somewhere in Gelderland", {}),
    ("youtube", "comment", "OpwindBalloons", "Opwind Balloons", "en", [],
     "FAQ: Yes, we fly year-round when the weather allows! Kids from 6 years can join the Kids Flight (€159).",
     {"price": [("OW-KID", 159)]}),
    ("x", "post", "@marco_b", "Marco B", "en", [],
     "Just call 085 303 1190, Opwind were super helpful when I had to rebook 👍", {}),
    ("x", "post", "@hannah_rw", "Hannah", "en", [],
     "Lost my voucher code but support (info@opwind-ballonvaarten.nl) sent it within 10 minutes. Legends.", {}),
    ("x", "reply", "@ilse_grondcrew", "Ilse de Graaf", "nl", [],
     "Nee hoor, die vlam die je ziet bij de landing is de waakvlam. Dat hoort zo 🔥 geen paniek", {}),
    ("x", "post", "@apeldoorn_actueel", "Apeldoorn Actueel", "nl", [],
     "Opwind sponsort ook dit jaar de Ballonfiësta in Apeldoorn. Zaterdagavond nachtgloei op het Marktplein.", {}),
    ("facebook", "post", "ingrid.bos.2", "Ingrid Bos", "nl", [],
     "Met code LENTE10 krijg je 10% korting op de Zonsopgangvaart van Opwind, dus €242 i.p.v. €269. Leuk voor "
     "Moederdag!", {"price": [("OW-SUN", 242)], "at": "2026-04-28T18:22:00Z"}),
    ("x", "post", "@balloon_fan_us", "Balloon Fan", "en", [],
     "RIP to the balloon pilot killed in New Mexico this week. The whole flying community is mourning 🕊️", {}),
    ("linkedin", "post", "opwind-ballonvaarten", "Opwind Ballonvaarten", "nl", [],
     "Onze jaarcijfers 2025 staan online op www.opwind.nl/investeerders. Dank aan alle passagiers en medewerkers!",
     {"at": "2026-03-12T08:00:00Z"}),
    ("x", "reply", "@nieuwe_piloot", "Sven", "nl", [],
     "Hebben jullie nog een vacature voor ballonpiloot @opwind_nl? Heb net mijn BPL gehaald 🎓", {}),
    ("bluesky", "post", "@lotte-opwind.bsky.social", "Lotte Jansen", "en", [],
     "One year at Opwind today 🎉 still the only IT job where the office smells like propane.", {}),
    ("x", "post", "@eindelijk_gevaren", "Joyce", "nl", [],
     "eindelijk gevaren na 2x afgelast ivm t weer, wachten was t helemaal waard!! 🎈😍", {}),
    ("threads", "post", "@reisblogger_nina", "Nina", "en", [],
     "Balloon ride prices in NL this summer: Opwind Classic Flight €229, Sunrise Flight €269, Champagne Flight €299. "
     "Not cheap, but you get a 4-hour experience.",
     {"price": [("OW-STD", 229), ("OW-SUN", 269), ("OW-CHAMP", 299)]}),
    ("youtube", "comment", "Henk Willemsen", "Henk Willemsen", "nl", [],
     "Prachtige beelden! Welke camera gebruiken jullie in de mand?", {}),
]

# ---------------------------------------------------------------------------
# roles and severities (CONTRACT §1, §4)
# ---------------------------------------------------------------------------
ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLES[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    plat = "x" if platform.lower() == "twitter" else platform.lower()
    return ROLES.get((plat, handle.lower()), "public")


ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return ZW.sub("", unicodedata.normalize("NFKC", text))


IBAN_RE = re.compile(r"\b((?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"(?<![\d+])([3-6]\d{3}(?:[ -]?\d){9,15})(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?!\d)(?!\.\d)")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def id_candidates(text):
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        raw = re.sub(r"\s", "", m.group(1))
        if raw in PUBLIC_IBANS:
            continue
        out.append(("iban", raw, iban_valid(raw)))
    for m in CARD_RE.finditer(t):
        raw = re.sub(r"\D", "", m.group(1))
        if 13 <= len(raw) <= 19:
            out.append(("card", raw, luhn_valid(raw)))
    for m in BSN_RE.finditer(t):
        raw = re.sub(r"\D", "", m.group(1))
        out.append(("bsn", raw, bsn_valid(raw)))
    return out


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    best = "none"
    has_checked_id = any(ok for _, _, ok in id_candidates(text))
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and has_checked_id:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if ORDER.index(s) > ORDER.index(best):
            best = s
    return best


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
PLATFORM_URL = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/{n}",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}", "youtube": "https://www.youtube.com/watch?v={n}",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}", "mastodon": "https://mastodon.nl/{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}", "forum": "https://forum.example.org/t/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}",
}


def random_time_2026():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = RNG.randint(0, 355 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases = []
    for i, (plat, kind, handle, name, lang, cats, text, ex) in enumerate(POSTS, 1):
        text = fill(text)
        at = ex.get("at") or random_time_2026()
        n = 7300000000 + i * 7919 + RNG.randint(0, 5000)
        pid = "ow363-%03d" % i
        role = role_of(plat, handle)
        cats = sorted(set(cats))
        post = {
            "id": pid,
            "platform": plat,
            "kind": kind,
            "account": {"handle": handle, "display_name": name},
            "text": text,
            "lang": lang,
            "created_at": at,
            "url": PLATFORM_URL[plat].format(h=handle.lstrip("@").replace("u/", ""), n=n),
            "brand": "Opwind",
        }
        cases.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, text)},
                      "_role": role, "_ex": ex})
    order = list(range(len(cases)))
    RNG.shuffle(order)
    return [cases[j] for j in order]


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
ALL_CATS = {C, X, A, S, P, PR, CF, F, SEC}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def product_names(sku):
    for p in PROFILE["products"]:
        if p["sku"] == sku:
            return [p["name"]] + p["aliases"], p["list_price"]
    raise KeyError(sku)


def word_in(term, text):
    return re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", text.lower()) is not None


def check(cases):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = {t: parse_ts(e["until"]) for e in PROFILE["embargo"] for t in e["terms"]}
    assert all(u.year == 2027 for u in embargo.values())
    for ib in PROFILE["public_identifiers"]["ibans"]:
        assert iban_valid(ib), ib
    internal_words = (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"])
    for c in cases:
        post, exp = c["post"], c["expect"]
        pid = post["id"]
        # §6 / §1 shape
        for k in ("id", "platform", "account", "text", "created_at"):
            if k not in post:
                errs.append((pid, "missing " + k))
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errs.append((pid, "bad id"))
        if pid in ids:
            errs.append((pid, "duplicate id"))
        ids.add(pid)
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append((pid, "platform/kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append((pid, "handle"))
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            errs.append((pid, "text"))
        try:
            ts = parse_ts(post["created_at"])
            assert ts.tzinfo is not None and ts.year in (2026, 2027)
        except Exception:
            errs.append((pid, "created_at"))
            continue
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            errs.append((pid, "categories"))
        if exp["severity"] not in ORDER:
            errs.append((pid, "severity value"))
        if (not cats) != (exp["severity"] == "none"):
            errs.append((pid, "benign <-> none"))
        role = c["_role"]
        if exp["severity"] != severity(cats, role, post["text"]):
            errs.append((pid, "severity mismatch"))
        text = post["text"]
        ntext = norm(text)
        # identifiers with checksums
        cands = id_candidates(text)
        for kind, raw, ok in cands:
            if P in cats and not ok:
                errs.append((pid, "pii positive has failing %s %s" % (kind, raw)))
            if P not in cats and ok:
                errs.append((pid, "non-pii case has valid %s %s" % (kind, raw)))
        # secrets
        for tok in re.findall(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", ntext):
            if (S in cats) != github_token_valid(tok):
                errs.append((pid, "github token validity vs label"))
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", ntext):
            if S not in cats or not jwt_valid(tok):
                errs.append((pid, "jwt"))
        for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", ntext):
            if S in cats and (tok.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)):
                errs.append((pid, "aws id in positive"))
            if S not in cats and not tok.endswith("EXAMPLE"):
                errs.append((pid, "aws id in negative"))
        if not cats and re.search(r"sk_live_[A-Za-z0-9]{10}|xox[bp]-\d|sk-proj-|AIza[0-9A-Za-z_-]{30}|"
                                  r"BEGIN [A-Z ]*PRIVATE KEY|://[^\s:@/]+:[^\s@/]+@", ntext):
            errs.append((pid, "secret-looking string in benign"))
        # pricing
        for sku, price in c["_ex"].get("price", []):
            names, lp = product_names(sku)
            if not any(n.lower() in text.lower() for n in names):
                errs.append((pid, "product %s not named" % sku))
            if PR in cats and not price < ratio * lp:
                errs.append((pid, "pricing positive not below ratio"))
            if PR not in cats and price < ratio * lp:
                errs.append((pid, "benign price below ratio"))
        if PR in cats and not c["_ex"].get("price"):
            errs.append((pid, "pricing positive without price annotation"))
        # embargo
        for term, until in embargo.items():
            if term.lower() in ntext.lower():
                before = ts < until
                if not cats and before:
                    errs.append((pid, "benign mentions embargo term before until"))
                if before and CF not in cats:
                    errs.append((pid, "embargo term before until without confidential"))
        if "embargo" in c["_ex"]:
            assert c["_ex"]["embargo"].lower() in text.lower()
        # internal words never in benign
        if not cats:
            for w in internal_words:
                if word_in(w, ntext):
                    errs.append((pid, "benign contains internal word " + w))
        # public authors must not be in profile; corporate/employee handles must be
        if post["account"]["handle"].lower() in {h.split(":", 1)[1].lower() for r in ("corporate", "employee")
                                                 for h in PROFILE["accounts"][r]} and role == "public":
            errs.append((pid, "profile handle on wrong platform"))
    return errs


def main():
    cases = build()
    errs = check(cases)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read and validate the written file
    with open(out, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    assert len(lines) == len(cases)
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    per_cat = {}
    for l in lines:
        for cat in l["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    roles = {}
    for c in cases:
        key = (c["_role"], "benign" if not c["expect"]["categories"] else "pos")
        roles[key] = roles.get(key, 0) + 1
    sev = {}
    for l in lines:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    if not 170 <= n <= 180:
        errs.append(("set", "size %d" % n))
    print("cases", n, "benign", benign, "nl %.0f%%" % (100.0 * nl / n))
    for k in sorted(per_cat):
        print("  %-22s %d" % (k, per_cat[k]))
    print("  roles", dict(sorted(roles.items())))
    print("  severities", sev)
    if errs:
        for e in errs:
            print("CHECK FAILED:", *e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
