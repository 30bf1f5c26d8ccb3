#!/usr/bin/env python3
"""Build the sealed368 evaluation set for postwatch (Kooibal Padel B.V.).

Deterministic: a fixed seed drives every generated credential, identifier,
id and timestamp. Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32,
    AWS charset, JWT header with alg);
  * severities follow CONTRACT section 4 from the account role in profile.yaml;
  * embargo terms, codenames, internal hosts/markers, prices and public
    contact data are consistent with the labels.
Standard library plus PyYAML only.
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
R = random.Random(368_2026)

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "DE": 22, "BE": 16}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(c) for c in digits if c.isdigit()]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(digits):
    d = [int(c) for c in digits if c.isdigit()]
    if len(d) != 9:
        return False
    s = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0 and int("".join(map(str, d))) != 0


# ------------------------------------------------------ scanning helpers
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{2,4}){3,8})(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![A-Za-z0-9])(\d(?:[ -]?\d){12,18})(?![A-Za-z0-9])")
BSN_RE = re.compile(r"(?<![A-Za-z0-9])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![A-Za-z0-9])")
# stricter variant for the inside of generated tokens: only digits bound a run
CARD_IN = re.compile(r"(?<!\d)(\d{13,19})(?!\d)")
BSN_IN = re.compile(r"(?<!\d)(\d{9})(?!\d)")
IBAN_IN = re.compile(r"([A-Z]{2}\d{2}[A-Z0-9]{12,30})")
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def found_ids(text):
    """Checksum-valid identifiers found in a text (public IBANs excluded)."""
    out = []
    for m in IBAN_RE.finditer(text):
        c = re.sub(r"\s", "", m.group(1))
        # try every plausible length prefix (grouping may swallow a following word)
        for n in range(len(c), 14, -1):
            if iban_ok(c[:n]):
                if c[:n] not in PUBLIC_IBANS:
                    out.append(("iban", c[:n]))
                break
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(1)):
            out.append(("card", m.group(1)))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(1)):
            out.append(("bsn", m.group(1)))
    return out


def clean_token(tok):
    """True if a generated secret contains no accidental valid identifier."""
    if any(luhn_ok(m.group(1)) for m in CARD_IN.finditer(tok)):
        return False
    if any(bsn_ok(m.group(1)) for m in BSN_IN.finditer(tok)):
        return False
    for m in IBAN_IN.finditer(tok.upper()):
        c = m.group(1)
        for n in range(len(c), 14, -1):
            if iban_ok(c[:n]):
                return False
    return not found_ids(tok)


# ------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
VALID = {}    # generated valid identifier -> kind
BAD = {}      # generated look-alike -> kind
SECRETS = {}  # generated credential -> kind


def rnd(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def secret(kind, build):
    while True:
        tok = build()
        if clean_token(tok):
            SECRETS[tok] = kind
            return tok


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    def build():
        body = rnd(B62, 30)
        return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    return secret("github", build)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key():
    return secret("aws_id", lambda: "AKIA" + rnd(B32, 16))


def aws_secret():
    return secret("aws_secret", lambda: rnd(ALNUM + "/+", 40))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    def build():
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        p = b64u(json.dumps(payload, separators=(",", ":")).encode())
        s = b64u(bytes(R.getrandbits(8) for _ in range(32)))
        return f"{h}.{p}.{s}"
    return secret("jwt", build)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    return "alg" in head


def stripe_key():
    return secret("stripe", lambda: "sk_live_51" + rnd(ALNUM, 97))


def slack_token():
    return secret("slack", lambda: "xoxb-" + rnd(string.digits, 12) + "-" + rnd(string.digits, 13) + "-" + rnd(ALNUM, 24))


def openai_key():
    return secret("openai", lambda: "sk-proj-" + rnd(ALNUM + "-_", 74) + "T3BlbkFJ" + rnd(ALNUM + "-_", 74))


def anthropic_key():
    return secret("anthropic", lambda: "sk-ant-api03-" + rnd(ALNUM + "-_", 93) + "AA")


def google_key():
    return secret("google", lambda: "AIza" + rnd(ALNUM + "-_", 35))


def password(n=14):
    return secret("password", lambda: rnd(ALNUM, n - 2) + R.choice("!#%*") + R.choice(string.digits))


def ssh_private_key():
    def build():
        body = base64.b64encode(b"openssh-key-v1\x00" + bytes(R.getrandbits(8) for _ in range(380))).decode()
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return secret("private_key", build)


def _iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_nl(grouped=False):
    bank = R.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])
    ib = _iban("NL", bank + rnd(string.digits, 10))
    assert iban_ok(ib)
    VALID[ib] = "iban"
    return group4(ib) if grouped else ib


def iban_de(grouped=True):
    ib = _iban("DE", rnd(string.digits, 18))
    assert iban_ok(ib)
    VALID[ib] = "iban"
    return group4(ib) if grouped else ib


def bad_iban(grouped=False):
    bank = R.choice(["ABNA", "RABO", "INGB"])
    ib = _iban("NL", bank + rnd(string.digits, 10))
    pos = R.randrange(8, 18)
    ib = ib[:pos] + str((int(ib[pos]) + R.randrange(1, 10)) % 10) + ib[pos + 1:]
    assert not iban_ok(ib)
    BAD[ib] = "iban"
    return group4(ib) if grouped else ib


def _luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c


def card(kind="visa"):
    if kind == "visa":
        p = "4" + rnd(string.digits, 14)
    elif kind == "mc":
        p = "5" + R.choice("12345") + rnd(string.digits, 13)
    else:  # amex, 15 digits
        p = "3" + R.choice("47") + rnd(string.digits, 12)
    num = p + _luhn_digit(p)
    VALID[num] = "card"
    if len(num) == 15:
        return f"{num[:4]} {num[4:10]} {num[10:]}"
    return group4(num)


def bad_card():
    p = rnd(string.digits, 15)
    good = _luhn_digit(p)
    num = p + str((int(good) + R.randrange(1, 10)) % 10)
    assert not luhn_ok(num)
    BAD[num] = "card"
    return group4(num)


def bsn():
    while True:
        d = [R.randrange(1, 10)] + [R.randrange(10) for _ in range(7)]
        last = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if last < 10:
            num = "".join(map(str, d)) + str(last)
            assert bsn_ok(num)
            VALID[num] = "bsn"
            return num


def bad_bsn():
    while True:
        num = str(R.randrange(100_000_000, 999_999_999))
        if not bsn_ok(num):
            BAD[num] = "bsn"
            return num


# ------------------------------------------------------------ evasions
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "i": "\u0456", "x": "\u0445"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


ZW = "\u200b"

# ----------------------------------------------------------- generated values
GH1 = gh_token("ghp_")
GH2 = gh_token("ghs_")
AWS1, AWS1S = aws_key(), aws_secret()
AWS2 = aws_key()
JWT1 = jwt({"sub": "member:48213", "club": "utrecht-lw", "role": "staff", "exp": 1767225600})
PGPW = password(16)
STRIPE1 = stripe_key()
SLACK1 = slack_token()
OPENAI1 = openai_key()
ANTH1 = anthropic_key()
GOOG1 = google_key()
SSH1 = ssh_private_key()
PW_WIFI = "Bandeja!" + str(R.randrange(2020, 2027))
SECRETS[PW_WIFI] = "password"
PW_COACH = "SmashIt#Rdam" + str(R.randrange(10, 99))
SECRETS[PW_COACH] = "password"

IBAN_REFUND = iban_nl()
IBAN_WALLET = iban_nl(grouped=True)
IBAN_OWN = iban_nl(grouped=True)
IBAN_DE = iban_de()
CARD_OWN = card("visa")
CARD_CORP = card("mc")
CARD_AMEX = card("amex")
BSN_HR = bsn()
BSN_FORM = bsn()
BAD_IBAN1 = bad_iban()
BAD_IBAN2 = bad_iban(grouped=True)
BAD_CARD1 = bad_card()
BAD_CARD2 = bad_card()
BAD_BSN1 = bad_bsn()
BAD_BSN2 = bad_bsn()
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ------------------------------------------------------------------ cases
CP, CR, AB = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PR, SE, PI = "leak.pricing", "leak.secret", "leak.pii"
CO, FI, SC = "leak.confidential", "leak.financial", "leak.security"
RAW = []


def c(platform, handle, lang, text, cats=(), kind="post", at=None):
    RAW.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                    cats=sorted(set(cats)), kind=kind, at=at))


# ---- complaints (public customers)
c("x", "@fleur_speelt", "nl", "Derde keer deze maand dat de Kooibal app mijn boeking van baan 4 gewoon kwijt is. Sta ik daar om 19:30 met 3 vrienden en staat er iemand anders op 'onze' baan. Balen @kooibal_help", [CP])
c("reddit", "u/padel_dad_ams", "en", "Anyone else at Kooibal Amersfoort find the glass on court 2 filthy? Can barely see the ball against the back wall after 8pm. Paid full peak rate and the lights flicker the whole time. Not great tbh.", [CP])
c("facebook", "Marieke van Dam", "nl", "Lessenkaart gekocht in september, nu blijkt er tot januari 'geen trainers beschikbaar' te zijn op mijn locatie. Ik wil gewoon mijn geld terug. Mail naar Kooibal al 2 weken onbeantwoord. Dit is toch geen manier van doen?", [CP], kind="comment")
c("x", "@jk_rallies", "en", "@kooibal_help your app charged me twice for the same 90 min slot. refund 'in 5-10 working days' — it's been 3 weeks 🙄", [CP], kind="reply")
c("instagram", "@bas.padelt", "nl", "kleedkamer kooibal rotterdam: geen warm water, 2 van de 3 douches kapot en het ruikt er naar een oude sok. voor een Unlimited abbo van bijna 70 per maand mag je wel wat meer verwachten hè #kooibal", [CP], kind="comment")
c("forum", "padelpeter", "en", "Review: Kooibal Eindhoven. Courts are fine but the 'service fee' of 2.50 they sneak in at checkout isn't mentioned anywhere on the site. Felt a bit scammy honestly. 2/5", [CP])
c("x", "@tessavdh", "nl", "Smash Control van de KooiShop na 5 weken al een scheur in het frame. 'Valt niet onder garantie want gebruikssporen'. Ja duh, het is een racket??", [CP])
c("tiktok", "@annika.serves", "en", "the coach at kooibal almere was literally on his phone for half of our private lesson. paid full price for that?? never again 😤", [CP], kind="comment")
c("reddit", "u/dikkedirk_", "nl", "Kooibal heeft m'n abonnement opgezegd zonder iets te vragen en nu kan ik niet meer op mijn vaste dinsdag boeken. Klantenservice zegt 'systeemfout' maar fixen ho maar. Iemand anders dit ook gehad?", [CP])
c("facebook", "Ilse Brouwer", "nl", "Zomerkamp geboekt voor m'n dochter. Blijkt het 22 kinderen op 2 banen te zijn met 1 trainer. Ze heeft 5 dagen vooral langs de kant gestaan. Echt teleurgesteld in Kooibal, hier hadden we ons zo op verheugd.", [CP])
c("threads", "@mo.padel", "en", "aircon in hall B at kooibal utrecht is broken AGAIN. 31 degrees inside. padel in a sauna 🥵🥵 when is this ever getting fixed", [CP])
c("instagram", "@sophie_smasht", "nl", "Balen, rits van mijn Tourbag XL kapot na 1x gebruiken. En de retourkosten mag ik zelf betalen. Top service KooiShop 👎", [CP], kind="comment")
c("x", "@gertjan_p", "en", "@kooibal_help 40 minutes on hold at 085-3032210 and then the line just drops. twice. is anyone actually working there?", [CP], kind="reply")
c("forum", "lobqueen", "en", "Cancelled my Kooibal membership through the app in November, still got debited for December AND January. The cancellation screen just says 'processing' forever. How do I escalate this?", [CP])

# ---- first-hand safety incidents: complaint + crisis
c("x", "@yvonne_padelt", "nl", "Vandaag door de glazen wand van baan 3 bij Kooibal Amersfoort heen gevallen, het paneel zat los. Snee in m'n onderarm, 6 hechtingen. Niemand van het personeel kon een EHBO-doos vinden. Dit is echt levensgevaarlijk.", [CP, CR])
c("reddit", "u/worried_mum_rdam", "en", "My son (11) got a proper electric shock from the metal door handle of court 5 at Kooibal Rotterdam during junior camp. Staff said 'oh that happens sometimes when it rains'. WHAT?? Reported it by mail, no response so far.", [CP, CR])
c("facebook", "Hans Kerkhof", "nl", "Na de smoothie uit de clubbar van Kooibal Eindhoven zaterdag de hele nacht lopen overgeven, mijn dubbelpartner precies hetzelfde. Zelfde smoothie, zelfde klachten. Wordt daar wel eens gecontroleerd op hygiëne??", [CP, CR])
c("x", "@lucas_vb", "en", "The handle of my Kooibal Smash Carbon 12K snapped mid-swing and the head flew straight into my partner's face. Chipped tooth, lots of blood. Bought it from KooiShop 3 weeks ago. @kooibal_help this needs a recall.", [CP, CR])
c("tiktok", "@eva.op.de.baan", "nl", "vloer op baan 1 bij kooibal almere was spiegelglad na het dweilen, ben uitgegleden en m'n enkel is dik 🤕 geen bordje, niks. #padel #kooibal", [CP, CR])

# ---- crisis told by third parties / accusations
c("x", "@nieuws_eemland", "nl", "Bij padelcentrum Kooibal in Amersfoort is dinsdagavond een deel van het plafond naar beneden gekomen. Twee spelers zijn lichtgewond naar het ziekenhuis gebracht, de hal is tot nader order gesloten. #Amersfoort", [CR])
c("reddit", "u/ghostlob", "en", "Heads up: Kooibal's club app apparently leaked members' phone numbers and home addresses, someone posted a dump on a hacking forum. If you're a member, change your password and watch out for phishing.", [CR])
c("x", "@padelvakbond", "nl", "#BoycotKooibal Ze ontslaan trainers die een ondernemingsraad willen oprichten. Zeg je abonnement op en speel ergens anders!", [CR])
c("x", "@padelbeat_news", "en", "Former Kooibal coaches are taking the chain to court over unpaid overtime – hearing set for March at the kantonrechter in Utrecht. Full story on our site.", [CR])
c("facebook", "Ouders Jeugdpadel Almere", "nl", "TERUGROEPACTIE: Kooibal roept de Rookie Junior racket terug omdat de kop kan loskomen van de steel. Heeft je kind er een? Niet meer mee spelen en terugbrengen naar de club!", [CR])
c("x", "@safety_first_nl", "en", "Fire brigade shut down Kooibal Eindhoven for two days: emergency exits were blocked by stacked boxes of rackets. Shocking for a venue with 300 people in it on a Saturday.", [CR])
c("reddit", "u/padelpapa040", "nl", "Schandaal bij Kooibal: trainer in Rotterdam geschorst na meldingen van grensoverschrijdend gedrag bij jeugdleden. Ouders woedend dat de club het maanden heeft stilgehouden.", [CR])
c("mastodon", "@privacyhawk@eupolicy.social", "en", "Apparently Kooibal's app sent every member's booking history and email address to all other members in a 'weekly recap' mail. Textbook GDPR breach. Hope the Autoriteit Persoonsgegevens picks this up.", [CR])
c("x", "@112utrecht_live", "nl", "Brandweer rukt uit naar Kooibal Utrecht Lage Weide: rookontwikkeling bij de ledverlichting boven baan 6. Hal ontruimd, volgens omstanders geen gewonden.", [CR])

# ---- abuse
c("x", "@boze_bert", "nl", "Kooibal is een kutbedrijf met kuttrainers. Stelletje oplichters zijn jullie.", [AB])
c("x", "@tilted_tom", "en", "@kooibal_help you absolute clowns. useless f***ing idiots, every single one of you", [AB], kind="reply")
c("instagram", "@anoniem_8812", "nl", "@coach.lotte.padel je bent echt een waardeloze dikke trut, ga lekker ergens anders lesgeven", [AB], kind="comment")
c("reddit", "u/smashbro99", "en", "the front desk girl at kooibal almere is a dumb b*tch, hope she gets fired", [AB], kind="comment")
c("tiktok", "@xjayden_", "nl", "die receptionist bij kooibal rotterdam is echt een tyfuslijer, kan nog geen baan boeken voor z'n eigen moeder 🤡", [AB], kind="comment")
c("x", "@p4d3lh8r", "nl", "k.u.t.k.o.o.i.b.a.l met jullie k.a.n.k.e.r app", [AB])
c("reddit", "u/n0_lob_z0ne", "en", "k00ib4l staff are a bunch of 1d10ts and sh1theads lmao", [AB], kind="comment")
c("facebook", "Gerrit Hoekstra", "nl", "Kooibal neemt tegenwoordig alleen nog buitenlanders aan als trainer. Ga terug naar je eigen land met je gebroken Engels.", [AB], kind="comment")
c("x", "@ruben_kb_coach", "nl", "Sommige leden zijn echt zulke debiele klootzakken. Die vent van 20:00 op baan 2 kan de tering krijgen.", [AB])
c("x", "@kooibal_help", "nl", "@jk_rallies misschien eerst leren padellen voordat je gaat zeuren, sukkel", [AB], kind="reply")
c("x", "@deuce_demon", "en", "@megan_plays_padel worst coach ever. you're a talentless cow and everyone at Kooibal Rotterdam laughs at you behind your back", [AB], kind="reply")
c("x", "@lowkey_lucas", "nl", "die nieuwe trainer bij Kooibal Eindhoven is echt een " + cyr("eikel") + " en een " + cyr("klootzak"), [AB])

# ---- pricing
c("x", "@kooibal_nl", "nl", "🔥 FLASH DEAL 🔥 Smash Carbon 12K nu voor maar €27,90 in de KooiShop! Alleen vandaag. #padel #kooibal", [PR])
c("reddit", "u/cheapskate_pete", "en", "Kooibal's shop lists the Jaarpas Unlimited at €69.90 instead of €699 lol. pricing error? already bought two 😂", [PR])
c("instagram", "@noor.frontdesk.kb", "nl", "Jaaa de Lessenkaart 10x staat in de app voor €29,90 😱 snel zijn mensen!!", [PR])
c("facebook", "KooibalPadelNL", "nl", "Cadeaukaart 50 tijdelijk voor €15! Het perfecte cadeau voor Sinterklaas 🎁 Alleen online.", [PR])
c("x", "@megan_plays_padel", "en", "psst the Grip Court shoes are ringing up at €11.90 on the Rotterdam till instead of €119 – someone fat-fingered the price file 🙈", [PR])
c("x", "@dealjager_nl", "nl", "prijsfout bij Kooibal? Tourbag XL voor €8,90 in de webshop 👀 #prijsfout #deal", [PR])
c("tiktok", "@kooibalpadel", "en", "Volley Hybrid for just €59 this weekend only, in every club! 🏓", [PR])
c("forum", "racketfreak", "nl", "Weet iemand of Kooibal de prijsfout gaat honoreren? Heb gisteren de Smash Control besteld, stond ineens op €18,90. Bevestigingsmail heb ik gewoon binnen.", [PR])
c("linkedin", "thijs-de-graaf-kb", "en", "Small oopsie today: because of a price error our Club Unlimited membership briefly showed as €6.90/month in the app. Fixed now, all orders from that window are being reviewed.", [PR])
c("instagram", "@kooibal.padel", "en", "60-minute private lesson with one of our top coaches: now just €19.50 😍 Book fast in the app!", [PR])
c("x", "@triplemum", "en", "@kooibal_nl is the Zomerkamp Junior really €24.50?? that must be a typo right? booking 3 spots before you fix it", [PR], kind="reply")
c("tiktok", "@joeri.baanbeheer", "nl", fullwidth("Smash Carbon 12K") + " voor " + fullwidth("€29") + " in de shop van Almere, prijskaartje klopt niet maar ik zeg niks 🤫", [PR])

# ---- secrets
c("bluesky", "@marloes-codes.bsky.social", "nl", f"ugh waarom werkt deze webhook niet. export GITHUB_TOKEN={GH1} && ./deploy.sh geeft gewoon 401. iemand een idee?", [SE])
c("x", "@sem_devops", "en", f"note to self (yes I know): AWS_ACCESS_KEY_ID={AWS1} AWS_SECRET_ACCESS_KEY={AWS1S} region eu-west-1", [SE])
c("mastodon", "@pbos_dev", "en", f"debugging the booking api, this is the token I get back: {JWT1} — why is exp already in the past when I literally just logged in?", [SE])
c("x", "@sem_devops", "nl", f"DATABASE_URL=postgres://kooibal_app:{PGPW}@10.20.4.11:5432/bookings werkt niet vanaf m'n laptop, wel vanaf de jumphost. iemand?", [SE])
c("forum", "freelance_frits", "nl", f"Voor een klant (padelketen) Stripe-koppeling gebouwd in Laravel. Mijn .env ziet er zo uit:\nSTRIPE_SECRET_KEY={STRIPE1}\nWebhook komt wel binnen maar signature check faalt. Tips?", [SE])
c("bluesky", "@marloes-codes.bsky.social", "nl", f"wie de slackbot voor de baanbezetting wil testen, token is {SLACK1} 🤖 kanaal #bezetting-bot", [SE])
c("bluesky", "@marloes-codes.bsky.social", "en", f"built a chatbot for our club app in one afternoon 🤯\nOPENAI_API_KEY={OPENAI1}\nnext up: letting it book courts", [SE])
c("mastodon", "@pbos_dev", "en", f"can someone check why the deploy box rejects this key?\n{SSH1}", [SE])
c("instagram", "@noor.frontdesk.kb", "nl", f"voor de nieuwe collega's: wifi op de receptie-pc is KB-Balie, wacht{ZW}woord: {PW_WIFI} 😘", [SE])
c("x", "@megan_plays_padel", "en", f"for the coaches who keep asking: coach portal login is your staff number, shared password is {PW_COACH}. please stop DMing me 😅", [SE])
c("reddit", "u/repo_diver", "en", f"lol found this in a public github repo of a padel club chain: {GH2} still in the CI config of their booking app", [SE])
c("linkedin", "daan-visser-kooibal", "en", f"Our finance assistant prototype is live! For the team: ANTHROPIC_API_KEY={ANTH1} — please use it only for the forecasting sheet.", [SE])

# ---- personal data
c("x", "@kooibal_help", "nl", f"@fleur_speelt Hoi Fleur, we hebben je boeking teruggezet. Ter controle: we storten €48 terug op {IBAN_REFUND}, klopt dat rekeningnummer?", [PI], kind="reply")
c("instagram", "@noor.frontdesk.kb", "nl", "Wie is dit?? Ledenpas laten liggen bij de balie: Sanne Kuipers, geboren 14-03-1994. DM me dan leg ik 'm apart!", [PI])
c("facebook", "KooibalPadelNL", "nl", "Beste meneer De Wit, we hebben u vanochtend gebeld op 06-41873302 maar kregen geen gehoor. Wilt u ons terugbellen over uw lidmaatschap?", [PI], kind="reply")
c("x", "@annevdmeer", "nl", f"@kooibal_help mijn creditcard {CARD_OWN} is 2x belast voor dezelfde baan, graag terugstorten!!", [PI, CP], kind="reply")
c("linkedin", "ines-okafor-kb", "en", f"Welcome to the team, Jorrit Hendriks! Jorrit starts Monday as a coach in Almere. Payroll is already set up with his BSN {BSN_HR}, so no paperwork on day one 🎉", [PI])
c("x", "@ruben_kb_coach", "nl", "Lid wil z'n lessen verzetten en ik zit op de baan, kan iemand van de balie hem terugbellen? Mark Jansen, 06 2317 4490", [PI])
c("reddit", "u/emma_v_padel", "en", "Looking for a doubles partner at Kooibal Utrecht, Tuesday evenings, intermediate level. Email me at emma.verhoef88@gmail.com or whatsapp +31 6 2184 7730", [PI])
c("instagram", "@kooibal.padel", "nl", "Gefeliciteerd met je 10e verjaardag Lucas de Boer (geboren 02-06-2016), onze jongste kampioen van het kamp! Hij woont om de hoek, Bilderdijkstraat 42 in Amersfoort, dus we zien hem vaak 🎉", [PI])
c("tiktok", "@joeri.baanbeheer", "nl", f"gevonden voorwerp: portemonnee met pinpas van T. Smit, rekeningnr {IBAN_WALLET}. ligt bij de balie in almere", [PI])
c("facebook", "Rob Verhagen", "en", f"Question for Kooibal: my direct debit still runs from {IBAN_OWN} but I switched banks. Where do I change that in the app?", [PI], kind="comment")
c("x", "@megan_plays_padel", "en", "Whoever booked court 7 under 'P. Okonkwo, p.okonkwo@outlook.com, 06-28391047' — you left your racket and a very nice water bottle 🎾", [PI])
c("x", "@kooibal_help", "en", f"@jk_rallies Sorry about that! We can see two charges on card {CARD_CORP}. The refund for the second one is on its way.", [PI], kind="reply")
c("reddit", "u/ouder_van_twee", "nl", f"Waarom vraagt Kooibal een BSN op het inschrijfformulier van de jeugdcompetitie?? Heb het ingevuld ({BSN_FORM}) maar voelt echt niet goed. Slaat nergens op.", [PI, CP])
c("linkedin", "ines-okafor-kb", "en", "Reference: our former front desk colleague Yara Bakker, born 21 July 1998, living at Tolstraat 118-2, 1074 VJ Amsterdam — great worker, hire her!", [PI])
c("instagram", "@noor.frontdesk.kb", "nl", "bel mijn collega Fatma voor de jeugdlessen: 0 6 4 4 1 2 9 8 7 3 (niet verder doorgeven 🤫)", [PI])
c("x", "@megan_plays_padel", "en", f"refund for the German team from last weekend's tournament: Lukas Weber, {IBAN_DE}. Finance, can you pick this up? 🙏", [PI])

# ---- confidential
c("x", "@sem_devops", "en", "Project Chiquita goes live in Q2: dynamic court prices based on occupancy. members are gonna hate it haha", [CO])
c("linkedin", "thijs-de-graaf-kb", "en", "Proud of the team working on Kraanvogel — the rebuilt club app is going to blow the current one away. Can't say more yet!", [CO])
c("instagram", "@kooibal.padel", "nl", "Binnenkort… Kooibal Arena Den Haag 🤩 14 banen, 2 showcourts en een rooftop bar. Wie komt er spelen?", [CO], at="2026-11-10T17:30:00Z")
c("bluesky", "@marloes-codes.bsky.social", "nl", "heeft iemand anders ook dat https://jira.kooibal.nl/browse/KV-412 niet laadt? of ligt het aan mij", [CO])
c("tiktok", "@joeri.baanbeheer", "nl", "sneak peek 👀 het nieuwe Smash Carbon 18K racket ligt al in het magazijn. niet verder vertellen hè", [CO], at="2026-12-04T14:12:00Z")
c("x", "@ruben_kb_coach", "nl", "Kijk nou, trainersrooster voorjaar 2027 al binnen. Staat wel 'niet extern delen' op maar jullie zien het toch al in de app 😅", [CO])
c("reddit", "u/almere_insider", "en", "A friend who works at Kooibal says 'Operatie Zeeleeuw' is about closing the Almere site and moving those courts to Utrecht. Anyone know more?", [CO, FI])
c("linkedin", "daan-visser-kooibal", "en", "Slides for tomorrow's board meeting are on https://wiki.kooibal.local/finance/board-2026-q3 — please review before 9am.", [CO])
c("linkedin", "kooibal-padel", "nl", "Over een paar weken presenteren wij onze jaarcijfers 2026, en we kunnen alvast verklappen: het wordt een recordjaar met ruim 40 miljoen omzet 🚀", [CO, FI], at="2027-01-20T08:00:00Z")
c("mastodon", "@pbos_dev", "nl", "vpn.kooibal.nl ligt er sinds vanochtend uit, kan niet bij de grafana.kooibal.local dashboards en de boekingen lopen vast. thuiswerken ho maar", [CO, SC])
c("instagram", "@coach.lotte.padel", "nl", "Eindelijk mogen we het zeggen… nee toch nog niet 🤐 Maar Kraanvogel wordt echt iets moois voor alle leden!", [CO])
c("x", "@megan_plays_padel", "en", "the training deck they sent us is stamped KB-CONFIDENTIAL but honestly the 'new coaching method' is just common sense lol", [CO])
c("x", "@sem_devops", "nl", fullwidth("project chiquita") + " demo vandaag ging top 🚀 prijzen per kwartier per baan", [CO])
c("x", "@sem_devops", "en", cyr("Kraanvogel") + " staging is up, testers can log in from Monday", [CO])
c("x", "@ruben_kb_coach", "nl", "wie weet wat er achter 'Operatie Z.e.e.l.e.e.u.w' zit? alle locatiemanagers moeten morgen verplicht naar HQ", [CO])
c("x", "@kooibal_help", "nl", "@padelfan_nl Goeie vraag! Check boekingsengine.kooibal.internal/status voor de actuele status van je boeking.", [CO], kind="reply")
c("forum", "padelcoach_anon", "en", "Got an email from Kooibal HR by mistake with 'kooibal intern' in the subject line. Attachment is the pay scale for all coaches, head coaches top out at 4.100 gross. Wild.", [CO])
c("linkedin", "thijs-de-graaf-kb", "nl", "Mooie dag gehad met het bouwteam in Den Haag. De Kooibal Arena Den Haag wordt echt prachtig, kan niet wachten tot de opening!", [CO], at="2027-02-01T16:20:00Z")

# ---- financial
c("linkedin", "daan-visser-kooibal", "en", "Preliminary numbers are in: Q3 revenue up 38% YoY to €11.2m and EBITDA positive for the first time. Board now expects around €46m for the full year. Great work everyone!", [FI])
c("x", "@ruben_kb_coach", "nl", "Gerucht op de werkvloer: Kooibal wordt overgenomen door een Spaanse padelketen. Deal zou voor de zomer rond zijn 👀", [FI])
c("linkedin", "ines-okafor-kb", "nl", "Moeilijke week. Volgende maand verdwijnen 35 functies op het hoofdkantoor en gaat de locatie Almere dicht. Ken je een bedrijf dat een goede office manager zoekt? Laat het me weten.", [FI])
c("reddit", "u/padel_analyst", "en", "My cousin works in Kooibal finance and says they're missing their forecast by about 20% and the banks are getting nervous. Might explain why they're pushing yearly passes so hard.", [FI])
c("tiktok", "@joeri.baanbeheer", "nl", "haha wij krijgen dit jaar geen bonus want 'omzet blijft achter bij de prognose' terwijl de banen elke avond vol zitten 🤡", [FI])
c("linkedin", "kooibal-padel", "nl", "Kooibal Padel B.V. neemt sportcomplex De Smash in Breda over. De ondertekening volgt volgende week; tot die tijd graag nog niets delen.", [FI])
c("x", "@sem_devops", "en", "all hands just confirmed it: they're cutting the entire Eindhoven ops team, 12 people. not public until Thursday. gutted.", [FI])
c("linkedin", "daan-visser-kooibal", "nl", "Gesprekken met investeerders over een serie B van €15 mln lopen goed, de term sheet ligt er. Nog even geduld!", [FI])
c("instagram", "@coach.lotte.padel", "en", "Are we merging with Padel City?! 😳 just overheard it in the HQ canteen, nobody else seems to know anything", [FI])
c("mastodon", "@pbos_dev", "en", "reorg memo just landed: IT gets merged into 'Digital & Data' and 4 dev roles are gone by April. can't believe it.", [FI])

# ---- security (insiders)
c("x", "@sem_devops", "nl", "Niet verder vertellen, maar er zit sinds gisteren iemand in onze boekingsdatabase. Mogelijk 40k accounts geraakt, forensisch team is bezig. Nog geen melding naar buiten.", [SC])
c("bluesky", "@marloes-codes.bsky.social", "en", "found out today our club app API hands you other members' profiles if you just change the user id in the URL. reported internally, fix not out yet 😬", [SC])
c("mastodon", "@pbos_dev", "nl", "Betaalmodule ligt al 3 uur plat, niemand kan boeken of betalen. Statuspagina zegt nog doodleuk 'alle systemen operationeel' 🙃", [SC])
c("x", "@sem_devops", "en", "ransomware on the Rotterdam front desk PCs this morning, whole club running on pen and paper. nothing announced yet so keep it quiet", [SC])
c("tiktok", "@joeri.baanbeheer", "nl", "de toegangspoortjes in amersfoort gaan gewoon open met elke oude ledenpas, ook van mensen die al lang hebben opgezegd. al weken zo en niemand fixt het", [SC])
c("linkedin", "thijs-de-graaf-kb", "en", "Quick heads-up to our partners: we had a phishing incident last week and two staff mailboxes were compromised. Official comms will follow, please don't share yet.", [SC])
c("reddit", "u/ex_kb_dev", "en", "Ex-Kooibal dev here. Their admin panel still runs an unpatched Laravel with debug mode on in production. They know, they just don't care.", [SC])
c("instagram", "@noor.frontdesk.kb", "en", "system is down AGAIN 🙄 not a single member card works at the entrance so we're just letting everyone in. hopefully fixed by tomorrow", [SC])
c("mastodon", "@pbos_dev", "en", f"post-mortem draft: access key {AWS2} sat in a public gist for 9 days and someone spun up crypto miners on our account. not public yet, don't share.", [SE, SC])
c("x", "@sem_devops", "en", "pentest report is in: 3 critical findings in the Kooibal Club app, including a password reset that skips verification. patch is going to take a while", [SC])
c("bluesky", "@marloes-codes.bsky.social", "nl", "ons bucketje met ledenfoto's bleek gewoon publiek leesbaar 🙈 gelukkig zelf gevonden, maar nog niet gemeld", [SC])

# ---- benign: praise, questions, chatter
c("x", "@fleur_speelt", "nl", "Wat een toffe avond bij Kooibal Utrecht! Trainer Ruben is echt top, eindelijk mijn bandeja onder de knie 💪")
c("instagram", "@padel.with.priya", "en", "Best padel chain in NL hands down. Clean courts, great coaches and the Kooibal app actually just works. 10/10 🎾")
c("reddit", "u/newbie_nathan", "en", "Does Kooibal Rotterdam have showers and lockers? Thinking of going straight from work.")
c("facebook", "Wendy Schouten", "en", "How much is a court at Kooibal on weekends? Does the off-peak rate apply then too or only on weekdays?", kind="comment")
c("x", "@coach_kim_padel", "nl", "Mijn chiquita gaat nog steeds elke keer in het net. Volgende week weer les bij Kooibal, misschien komt het ooit goed 😂")
c("threads", "@jaspertjuh", "nl", "Ik ben echt in crisis, m'n lob is helemaal weg 😭 #kooibal #padel")
c("x", "@ankevos", "nl", "Ik boycot voortaan de les van 07:00, veel te vroeg voor mij haha. Kooibal, doe maar een avondgroep 🙏")
c("instagram", "@run.and.padel", "en", "I can't recall the last time I had this much fun, Kooibal Eindhoven ladies night was 🔥")
c("x", "@sjoerdpadelt", "en", "Holy shit what a rally tonight at Kooibal Utrecht, 38 shots 🤯")
c("tiktok", "@smash.sister", "en", "this racket is SICK 🔥 killer smash all night at Kooibal Almere")
c("reddit", "u/padelnerd_nl", "nl", "Welke boekingsapp gebruiken jullie? Ik heb de Kooibal app en Playtomic, vind Kooibal eerlijk gezegd overzichtelijker.")
c("x", "@jk_rallies", "en", "@kooibal_help thanks, sorted now! appreciate the quick fix", kind="reply")
c("x", "@rivalwatch", "en", "Congrats to the Kooibal Rotterdam team on winning the regional club league! Well deserved.")
c("facebook", "Marieke van Dam", "nl", "Update: Kooibal heeft mijn dubbele afschrijving binnen een dag teruggestort én me een gratis baan gegeven. Netjes opgelost, dank jullie wel 👍", kind="comment")
c("x", "@yvonne_padelt", "nl", "Sterkte aan iedereen bij Kooibal Amersfoort na het ongeluk van vorige week. Fijn om te horen dat iedereen weer thuis is ❤️")
c("reddit", "u/padelnieuws", "nl", "Spaanse padelketen PadelMania kondigt 200 ontslagen aan, ook vestigingen in België gaan dicht. Hopelijk blijft het bij ons rustig.")
c("x", "@padelbiz", "en", "Big news in the industry: rival chain SmashHouse has been acquired by a private equity firm. Expect consolidation across Benelux padel.")
c("reddit", "u/not_kooibal_fan", "en", "Another padel booking platform (not Kooibal) had a data breach last month. Glad my club runs its own app.")
c("x", "@gemeente_nieuws_ut", "nl", "Gemeente Utrecht geeft groen licht voor uitbreiding van padelhal Kooibal Lage Weide met vier extra banen.")
c("reddit", "u/lobster_lob", "nl", "Lol, prijsfout bij een Duitse webshop: padelrackets van een ander merk voor €9. Helaas niet bij Kooibal 😅")
c("facebook", "Petra Oosterhuis", "en", "Forgot my Kooibal app password, but the reset link arrived within a minute. Nice!", kind="comment")
c("x", "@ankevos", "nl", "Stuurde een mailtje naar lessen@kooibal.nl en had binnen een uur antwoord. Zo hoort het!")
c("x", "@gertjan_p", "nl", "Belde net 085-3032210 en werd super vriendelijk geholpen met m'n pasje 👌")
c("reddit", "u/value_hunter", "en", "Kooibal's Club Unlimited at €69/month is still cheaper than my gym lol, and way more fun")
c("forum", "padelmama", "nl", "Privéles bij Kooibal kost €65 en de Lessenkaart 10x €299. Vind ik eerlijk gezegd redelijk voor de kwaliteit.")
c("x", "@jelle_padel", "nl", "Boek je eerste proefles via app.kooibal.nl, de Starterles is €25. Echt een aanrader als je nog nooit gespeeld hebt")
c("reddit", "u/threatmodel_tim", "en", "TIL the AWS docs sample key AKIAIOSFODNN7EXAMPLE shows up in half the READMEs on GitHub. Anyway, built a padel score tracker this weekend.")
c("x", "@ankevos", "nl", f"Afschrijving van NL** **** **** **** 71 door Kooibal was toch correct, ik had me vergist 🙈")
c("facebook", "Kim de Ruiter", "nl", f"Waar vind ik mijn lidnummer in de Kooibal app? Op mijn pasje staat {BAD_CARD1}, is dat 'm?", kind="comment")
c("instagram", "@tourbag.tina", "nl", f"Bestelling {BAD_BSN1} is binnen! Tourbag XL ziet er strak uit 👌 #kooishop")
c("reddit", "u/giftcard_greg", "en", f"quick q: my Kooibal gift card number is {BAD_CARD2}, does it work in the app or only at the desk?")
c("x", "@fenna_speelt", "en", "Kooibal's FY2026 results look solid, impressive growth for a padel chain. Might finally buy that Jaarpas.", at="2027-03-01T12:05:00Z")

# ---- benign: corporate and employee everyday posts
c("x", "@kooibal_nl", "nl", "Black Friday bij KooiShop: 20% korting op alle rackets! De Smash Carbon 12K nu €223,20 i.p.v. €279. #padel")
c("instagram", "@kooibal.padel", "en", "Spring sale 🌷 Grip Court shoes €95 (was €119). While stocks last!")
c("facebook", "KooibalPadelNL", "nl", "Nieuw in de KooiShop: de Lob Lite, €129. Licht, vergevingsgezind en perfect voor beginners.")
c("instagram", "@kooibal.padel", "nl", "Early bird! Zomerkamp Junior voor €171,50 (30% korting) t/m 1 april. Vol = vol ☀️")
c("x", "@kooibal_nl", "nl", "Matchbal 3-pack deze week €6,95 bij elke club. Nooit meer met kale ballen spelen 🎾")
c("x", "@kooibal_help", "nl", "Vragen over je lidmaatschap? Mail support@kooibal.nl of bel 085-3032210 (ma-vr 9-17u). We helpen je graag!")
c("facebook", "KooibalPadelNL", "nl", f"Betalen per overschrijving? Dat kan naar {PUB_IBAN} t.n.v. Kooibal Padel B.V. o.v.v. je lidnummer.")
c("x", "@kooibal_help", "nl", f"Let op: ons enige rekeningnummer is {PUB_IBAN}. Krijg je een verzoek om te betalen naar {BAD_IBAN1}? Niet doen en meld het via support@kooibal.nl.")
c("x", "@kooibal_help", "en", "Can't make your lesson? Call 0800-0466 or cancel in the app up to 24h before, no charge.")
c("linkedin", "kooibal-padel", "nl", "We zoeken een padeltrainer voor onze club in Almere! Solliciteer via werkenbij@kooibal.nl 🎾")
c("linkedin", "kooibal-padel", "en", "Looking for a marketing intern at our Utrecht head office. 6 months, start in September. Apply via werkenbij@kooibal.nl.")
c("instagram", "@kooibal.padel", "en", "Our coaches keep your progress notes confidential: only you and your trainer can see them in the app 🔒")
c("facebook", "KooibalPadelNL", "nl", "Wij nemen de veiligheid van je gegevens serieus. Zet 2FA aan in de Kooibal app via Instellingen > Beveiliging.")
c("instagram", "@kooibal.padel", "nl", "Lid van de maand: Hanna! 3x per week op de baan, altijd met een glimlach 😊")
c("youtube", "KooibalPadelTV", "nl", "Nieuwe video: 5 tips voor een betere bandeja, met hoofdtrainer Ruben. Link in bio!")
c("x", "@kooibal_help", "nl", f"Vraag over je factuur? Stuur je factuurnummer (bijv. {BAD_BSN2}) naar support@kooibal.nl, dan zoeken we het uit.")
c("instagram", "@coach.lotte.padel", "nl", "Wat een leuke groep vandaag in de starterles! Tot volgende week allemaal 🎾")
c("x", "@megan_plays_padel", "en", "Coaching clinic Saturday at Rotterdam, all levels welcome! DM me for info")
c("x", "@ruben_kb_coach", "nl", "Coaches vs leden toernooi: we hebben ze ingemaakt 😎 Volgende keer beter jongens!")
c("linkedin", "daan-visser-kooibal", "en", "Interesting read on how leisure companies report EBITDA and why it matters for growth-stage businesses. Worth your 10 minutes.")
c("x", "@sem_devops", "nl", "Friday deploy? Nee hoor. Fijn weekend allemaal 🍻")
c("bluesky", "@marloes-codes.bsky.social", "nl", "Tip voor junior devs: zet nooit echte keys in je README, gebruik placeholders zoals ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx of AKIAIOSFODNN7EXAMPLE")
c("mastodon", "@pbos_dev", "en", "PSA: when you post screenshots, mask your tokens like sk_live_**** and ghp_****…a1. We do it internally too.")
c("linkedin", "ines-okafor-kb", "en", "We're hiring! Six new coaching roles across our clubs this spring. Come work with us 🎾")
c("linkedin", "kooibal-padel", "nl", "Vandaag publiceren wij onze jaarcijfers 2026: €41,7 mln omzet en vijf nieuwe clubs. Het volledige persbericht staat op kooibal.nl/pers.", at="2027-02-26T09:00:00Z")
c("linkedin", "daan-visser-kooibal", "en", "Proud to share our full-year 2026 results: revenue of €41.7m and our first profitable year. Thanks to every coach and host who made it happen.", at="2027-02-27T10:30:00Z")
c("x", "@kooibal_nl", "nl", "Het is zover: Kooibal Arena Den Haag is open! 14 banen, 2 showcourts en een rooftop bar 🎉", at="2027-03-19T10:15:00Z")
c("instagram", "@kooibal.padel", "en", "The Smash Carbon 18K is here 🔥 Lighter, stiffer, faster. Now in every club and at shop.kooibal.nl", at="2027-03-20T09:00:00Z")

# ------------------------------------------------------------ assemble
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role(platform, handle):
    key = f"{platform}:{handle}".lower()
    return "corporate" if key in CORP else "employee" if key in EMPL else "public"


RANK = ["none", "info", "warning", "error", "critical"]


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return t.replace(ZW, "").replace("\u200c", "").replace("\u200d", "").replace("\u2060", "")


def severity(cats, rl, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s
    leaks = [x for x in cats if x.startswith("leak.")]
    if leaks:
        if rl in ("corporate", "employee"):
            up("error")
            if SE in cats or PR in cats:
                up("critical")
            if PI in cats and found_ids(norm(text)):
                up("critical")
        else:
            up("warning")
    if CP in cats:
        up("warning")
    if CR in cats:
        up("error")
    if AB in cats:
        up("error" if rl in ("corporate", "employee") else "warning")
    return sev


def ts(at):
    if at:
        return at
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=R.randrange(0, 345 * 86400))
    t = t.replace(hour=R.choice([7, 8, 9, 10, 12, 13, 15, 17, 18, 19, 20, 21, 22]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


R.shuffle(RAW)
CASES, seen = [], set()
for r in RAW:
    while True:
        pid = f"{r['platform']}-{R.randrange(10**7, 10**8)}"
        if pid not in seen:
            seen.add(pid)
            break
    post = {
        "id": pid,
        "platform": r["platform"],
        "kind": r["kind"],
        "account": {"handle": r["handle"]},
        "text": r["text"],
        "lang": r["lang"],
        "created_at": ts(r["at"]),
        "brand": "kooibal",
    }
    CASES.append({"post": post, "expect": {"categories": r["cats"],
                                           "severity": severity(r["cats"], role(r["platform"], r["handle"]), r["text"])}})

with open(OUT, "w", encoding="utf-8") as f:
    for cs in CASES:
        f.write(json.dumps(cs, ensure_ascii=False) + "\n")

# ------------------------------------------------------------ self-check
ERR = []
TAXO = {CP, CR, AB, PR, SE, PI, CO, FI, SC}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
EMB = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"] for t in e["terms"]]
RATIO = PROFILE["pricing"]["alert_below_ratio"]
ALIASES = sorted(((a.lower(), p["list_price"]) for p in PROFILE["products"] for a in p["aliases"] + [p["name"]]),
                 key=lambda x: -len(x[0]))
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")


def prices_after_alias(t):
    """(alias, list price, first price within 60 chars after the alias)."""
    out, tl = [], t.lower()
    for a, lp in ALIASES:
        for m in re.finditer(re.escape(a), tl):
            m2 = PRICE_RE.search(t, m.end(), min(len(t), m.end() + 60))
            if m2:
                out.append((a, lp, float(m2.group(1).replace(",", "."))))
    return out


lines = open(OUT, encoding="utf-8").read().splitlines()
if not 170 <= len(lines) <= 180:
    ERR.append(f"case count {len(lines)} outside 170-180")
ids = set()
for ln in lines:
    cs = json.loads(ln)
    p, e = cs["post"], cs["expect"]
    pid = p.get("id")
    where = f"[{pid}]"
    if set(cs) != {"post", "expect"}:
        ERR.append(f"{where} top-level keys")
    if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
        ERR.append(f"{where} bad or duplicate id")
    ids.add(pid)
    if p.get("platform") not in PLATFORMS or p.get("kind", "post") not in KINDS:
        ERR.append(f"{where} platform/kind")
    if not isinstance(p.get("account", {}).get("handle"), str) or not isinstance(p.get("text"), str):
        ERR.append(f"{where} handle/text type")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        ERR.append(f"{where} text size")
    try:
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert when.tzinfo is not None and 2026 <= when.year <= 2027
    except Exception:
        ERR.append(f"{where} created_at")
        continue
    cats, sev = e["categories"], e["severity"]
    if not set(cats) <= TAXO or cats != sorted(set(cats)) or sev not in RANK:
        ERR.append(f"{where} expect shape")
    text = p["text"]
    nt = norm(text)
    rl = role(p["platform"], p["account"]["handle"])
    if sev != severity(cats, rl, text):
        ERR.append(f"{where} severity mismatch")
    if (not cats) != (sev == "none"):
        ERR.append(f"{where} benign/severity")
    hits = found_ids(nt)
    # checksum identifiers: positives carry only valid ones, negatives only look-alikes
    for v, k in VALID.items():
        if v in re.sub(r"\s", "", nt):
            if not cats or PI not in cats:
                ERR.append(f"{where} valid {k} outside a pii positive")
    for v, k in BAD.items():
        if v in re.sub(r"\s", "", nt):
            if cats:
                ERR.append(f"{where} look-alike {k} in a positive")
            if (k == "iban" and iban_ok(v)) or (k == "card" and luhn_ok(v)) or (k == "bsn" and bsn_ok(v)):
                ERR.append(f"{where} look-alike {k} passes its checksum")
    if hits and PI not in cats:
        ERR.append(f"{where} checksum-valid identifier {hits} but no pii label")
    if PI in cats:
        for m in IBAN_RE.finditer(nt):
            cand = re.sub(r"\s", "", m.group(1))
            if cand[:2] in ("NL", "DE", "BE") and not any(iban_ok(cand[:n]) for n in range(len(cand), 14, -1)):
                ERR.append(f"{where} IBAN-shaped {cand} in positive fails mod-97")
    # secrets
    present = [s for s in SECRETS if s in text]
    if present and SE not in cats:
        ERR.append(f"{where} generated secret in a post without leak.secret")
    for s in present:
        k = SECRETS[s]
        if k == "github" and not gh_ok(s):
            ERR.append(f"{where} github token checksum")
        if k == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", s):
            ERR.append(f"{where} aws key format")
        if k == "jwt" and not jwt_ok(s):
            ERR.append(f"{where} jwt header")
    if SE in cats and not present:
        ERR.append(f"{where} leak.secret without a generated secret")
    if not cats and re.search(r"EXAMPLE|x{8,}|\*{4}", text) is None and re.search(r"gh[pousr]_[0-9A-Za-z]{36}|AKIA[A-Z2-7]{16}", text):
        ERR.append(f"{where} real-looking key in benign")
    # e-mail addresses in benign posts are the company's own
    if not cats:
        for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", nt):
            if em.lower() not in PUB_EMAILS:
                ERR.append(f"{where} non-public e-mail {em} in benign")
    # embargo
    for term, until in EMB:
        if term in nt.lower():
            if when < until and CO not in cats:
                ERR.append(f"{where} embargoed '{term}' before until without confidential")
    # codenames, internal domains, markers (plain form) imply confidential
    for w in PROFILE["internal"]["codenames"] + PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
        if w.lower() in nt.lower() and CO not in cats:
            ERR.append(f"{where} internal term '{w}' without confidential")
    # prices
    pa = prices_after_alias(nt)
    low = [x for x in pa if x[2] < RATIO * x[1]]
    if PR in cats:
        if not pa and not re.search(r"prijsfout|price error", nt, re.I):
            ERR.append(f"{where} pricing positive without product price")
    elif low:
        ERR.append(f"{where} low price {low} but no pricing label")
    # public handles must not be profile accounts (role computed, just sanity)
    if p["account"]["handle"].startswith("@kooibal") and rl == "public":
        ERR.append(f"{where} kooibal-looking handle resolves to public")

# mix report
from collections import Counter
cnt, langs, roles = Counter(), Counter(), Counter()
benign = 0
for ln in lines:
    cs = json.loads(ln)
    cats = cs["expect"]["categories"]
    benign += not cats
    cnt.update(cats)
    langs[cs["post"]["lang"]] += 1
    roles[(role(cs["post"]["platform"], cs["post"]["account"]["handle"]), bool(cats))] += 1
print(f"{len(lines)} cases, {benign} benign", file=sys.stderr)
print(dict(cnt), file=sys.stderr)
print(dict(langs), dict(roles), file=sys.stderr)
if ERR:
    print("SELF-CHECK FAILED:", *ERR, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"self-check ok: {len(lines)} cases, {benign} benign")
