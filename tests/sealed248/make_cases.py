#!/usr/bin/env python3
"""Sealed evaluation set 248 for postwatch: Skivalk Rental Group B.V. (ski & snowboard rental).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml;
  * every IBAN / card / BSN shaped number in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * generated secrets have their real structure (GitHub CRC-32, AWS id, JWT header);
  * benign posts carry no codename, internal host, marker or live embargo term, and no
    catalogue product next to a price below alert_below_ratio of its list price.
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
SEED = 248_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # digits 0-9A-Za-z
URLSAFE = ALNUM + "-_"

CAT = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "confidential": "leak.confidential",
    "financial": "leak.financial",
    "security": "leak.security",
    "crisis": "reputation.crisis",
    "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV_ORDER = ["none", "info", "warning", "error", "critical"]

# --------------------------------------------------------------------------- checksums


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_make(bank=None):
    bank = bank or rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def iban_spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_bad():
    good = iban_make()
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + rng.randint(1, 40)) % 97 + 2) + good[4:]
    if iban_ok(bad):
        return iban_bad()
    return bad


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def card_make():
    prefix = rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for last in "0123456789":
        if luhn_ok(body + last):
            num = body + last
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    raise AssertionError


def card_bad():
    good = card_make()
    last = int(good[-1])
    return good[:-1] + str((last + rng.randint(1, 9)) % 10)


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def bsn_make():
    while True:
        first8 = str(rng.randint(1, 3)) + "".join(rng.choice("0123456789") for _ in range(7))
        partial = sum(int(first8[i]) * (9 - i) for i in range(8))
        last = partial % 11
        if last <= 9:
            s = first8 + str(last)
            assert bsn_ok(s)
            return s


def bsn_bad():
    good = bsn_make()
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


# --------------------------------------------------------------------------- secrets


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
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = {"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}
    now = 1767225600 + rng.randint(0, 300 * 86400)
    payload = {"sub": "usr_%d" % rng.randint(1000, 99999), "role": "admin", "iss": "boekapp",
               "iat": now}
    sig = bytes(rng.getrandbits(8) for _ in range(32 if header["alg"] == "HS256" else 256))
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def stripe():
    return "sk_live_51" + rand(ALNUM, 96)


def slack():
    return "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                               rand(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def glpat():
    return "glpat-" + rand(URLSAFE, 20)


def ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    w = rng.choice(["Poeder", "Sneeuw", "Piste", "Gondel", "Kabel", "Firn", "Carving"])
    return w + rand("ABCDEFGHJKLMNPQRSTUVWXYZ", 1) + rand("abcdefghjkmnpqrstuvwxyz", 3) + \
        str(rng.randint(10, 99)) + rng.choice("!#$%&*?")


def db_password():
    return rand(ALNUM, 18)


GENERATORS = {
    "GHP": (lambda: gh_token("ghp_"), "secret"),
    "GHO": (lambda: gh_token("gho_"), "secret"),
    "AKIA": (aws_id, "secret"),
    "AWSSECRET": (aws_secret, "secret"),
    "STRIPE": (stripe, "secret"),
    "SLACK": (slack, "secret"),
    "OPENAI": (openai_key, "secret"),
    "ANTH": (anthropic_key, "secret"),
    "GLPAT": (glpat, "secret"),
    "SSHKEY": (ssh_key, "secret"),
    "JWT": (jwt, "secret"),
    "PW": (password, "secret"),
    "DBPW": (db_password, "secret"),
    "IBAN": (iban_make, "valid_id"),
    "IBANSP": (lambda: iban_spaced(iban_make()), "valid_id"),
    "CARD": (card_make, "valid_id"),
    "BSN": (bsn_make, "valid_id"),
    "BADIBAN": (iban_bad, "bad_id"),
    "BADCARD": (card_bad, "bad_id"),
    "BADBSN": (bsn_bad, "bad_id"),
}

# --------------------------------------------------------------------------- evasion helpers


def fw(s):
    """ASCII -> full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c)
                   for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "i": "\u0456", "S": "\u0405", "x": "\u0445", "y": "\u0443", "E": "\u0415", "T": "\u0422"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------- the posts
# (role, platform, handle, kind, lang, text, categories, created_at or None)
# role is what the author is meant to be; it is checked against the profile, and the
# severity is computed from the profile role, never typed here.

P = "P"  # public
E = "E"  # employee
C = "C"  # corporate

POSTS = [
    # ----------------------------------------------------------------- complaints
    (P, "x", "@marloesvd", "post", "nl",
     "Net bij @skivalk Utrecht mijn gereserveerde weekpakket willen ophalen... blijkt er geen "
     "reservering te zijn 🙃 45 min in de rij gestaan voor niks en morgen om 6u vertrekken we "
     "naar Ischgl. Top geregeld hoor", ["complaint"], "2026-02-13T17:42:10Z"),
    (P, "reddit", "u/alpine_dad_", "post", "en",
     "PSA: rented the Weekpakket Premium from Skivalk for the whole family and the edges on two "
     "of the skis were completely blunt, like butter knives on ice. Had to pay a local shop for "
     "a tune on day 2. Emailed them a week ago, zero response.", ["complaint"], None),
    (P, "facebook", "hanneke.mulder.77", "comment", "nl",
     "Borg van €150 nog steeds niet terug, 5 weken na het inleveren van de boards. Drie keer "
     "gebeld, elke keer 'het komt eraan'. Skivalk, wanneer??", ["complaint"], None),
    (P, "x", "@tessontour", "reply", "en",
     "@skivalk_help the boots I picked up were a 44 and a 41. Not a pair. Found out at the lift "
     "at 8:30am. Thanks for ruining day 1 😤", ["complaint"], None),
    (P, "instagram", "@lisa.sneeuw", "comment", "nl",
     "helmen bij skivalk eindhoven ruiken echt naar oud zweet en de binnenkant was nog nat 🤢 "
     "wordt dat eigenlijk ooit schoongemaakt", ["complaint"], None),
    (P, "x", "@gertjan_k", "post", "nl",
     "Schaderekening van €220 voor 'krassen op de onderkant' van een huurboard. Dat is "
     "letterlijk wat snowboarden IS. Skivalk maakt er gewoon een verdienmodel van.",
     ["complaint"], None),
    (P, "threads", "@jo.rides", "post", "en",
     "skivalk app double charged me for the same booking and the support chat just loops me "
     "back to the FAQ. great. love that for me", ["complaint"], None),
    (P, "reddit", "u/wintersportwouter", "post", "nl",
     "Iemand anders ook gezeik gehad met het afhaalpunt van Skivalk in Sölden? Stonden om 9u "
     "voor een dichte deur met een briefje 'terug om 11'. Halve skidag weg, niemand nam op.",
     ["complaint"], "2026-01-04T13:05:00Z"),
    (P, "bluesky", "@maartje-in-bristol.bsky.social", "post", "en",
     "Booked the Kids Weekpakket online weeks ago, got to the Skivalk shop and they'd given "
     "my daughter's size away. Offered her adult skis 'which are basically the same'. They are "
     "not.", ["complaint"], None),
    (P, "tiktok", "@bo.op.de.piste", "post", "nl",
     "pov: je huurt een snowboard bij skivalk en de bindingen staan nog goofy voor de vorige "
     "huurder en niemand checkt het 💀 #wintersport #fail #skivalk", ["complaint"], None),
    (P, "forum", "Ferdi_74", "post", "nl",
     "Slijpservice laten doen bij Skivalk Zwolle, ski's kwamen terug met een gat in de belag. "
     "€45 betaald voor méér schade. Klantenservice zegt 'dat zat er al'. Niet dus, ik heb "
     "foto's van ervoor.", ["complaint"], None),
    (P, "x", "@emmaskis", "reply", "en",
     "@skivalk_help still no call back about my broken booking. Ring me on 06 41 28 93 07, "
     "been waiting since Monday!!", ["complaint", "pii"], "2026-12-08T10:14:00Z"),
    (P, "facebook", "rik.janssens.501", "comment", "nl",
     "Skivalk, jullie hebben mijn borg naar het verkeerde rekeningnummer gestort?! Het juiste "
     "is «IBAN» t.n.v. R. Janssens. Graag vandaag nog, ik wacht al 3 weken.",
     ["complaint", "pii"], None),
    (P, "x", "@boos_op_alles", "post", "nl",
     "Skivalk is echt een kankerbedrijf. Kromme stokken, bindingen die los zitten, arrogant "
     "personeel en dan nog €80 schade rekenen ook. Nooit meer.", ["complaint", "abuse"], None),
    (P, "reddit", "u/frostbitten_mike", "comment", "en",
     "Whoever runs Skivalk's Amersfoort shop is a useless moron. Waited 2 hours for boots that "
     "didn't even fit. Absolute clowns.", ["complaint", "abuse"], None),
    # ----------------------------------------------------------------- first-hand safety: crisis + complaint
    (P, "x", "@jorien_b", "post", "nl",
     "Binding van mijn gehuurde Carve Pro van Skivalk klapte NIET open bij een simpele val. "
     "Knie verdraaid, kruisband waarschijnlijk 😭 DIN stond op 10 terwijl ik 58 kilo weeg. "
     "Wie stelt zoiets in?!", ["crisis", "complaint"], "2026-02-19T15:31:00Z"),
    (P, "reddit", "u/chalet_chris", "post", "en",
     "The Skivalk Bootdryer Pro that came with our rental package started smoking overnight in "
     "the chalet and melted the plug. Woke up to the smell of burning plastic at 3am. Eight of "
     "us asleep upstairs. Could have been a proper fire.", ["crisis", "complaint"],
     "2026-01-27T08:02:00Z"),
    (P, "instagram", "@sanne.vrij", "post", "nl",
     "Heated Glove van Skivalk gehuurd, na een uurtje brandende pijn en nu een blaar op m'n "
     "handpalm. Batterijvakje was gloeiend heet 😡 foto's in m'n story", ["crisis", "complaint"],
     None),
    (P, "x", "@daveonboard", "post", "en",
     "rented helmet from @skivalk cracked clean in two on a low speed fall, my son (11) got a "
     "concussion. ER in Innsbruck. there was a visible crack in the shell BEFORE, nobody "
     "checked it", ["crisis", "complaint"], None),
    (P, "facebook", "wendy.degraaf.3", "post", "nl",
     "Kinderpakket bij Skivalk gehuurd. Skischoen klemde zo erg dat onze dochter (7) met "
     "bevroren tenen bij de dokter in het dorp zat. Bleek een maat te klein, terwijl ze het "
     "'gecontroleerd' hadden.", ["crisis", "complaint"], None),
    # ----------------------------------------------------------------- crisis (third party, breach, boycott, lawsuit)
    (P, "x", "@snowsportnews_eu", "post", "en",
     "Austrian police are investigating after a rental helmet supplied by Dutch chain Skivalk "
     "reportedly split in a collision near Obergurgl on Saturday. A 34-year-old skier was "
     "flown to hospital. The company has not commented.", ["crisis"], None),
    (P, "x", "@eerlijkewinter", "post", "nl",
     "Skivalk laat seizoenskrachten in Oostenrijk 60 uur per week werken voor €6 per uur, "
     "zonder contract. BOYCOT ze. Deel dit. #boycotskivalk", ["crisis"], None),
    (P, "reddit", "u/privacyfreak_nl", "post", "nl",
     "Net een phishingmail gehad met mijn naam, schoenmaat én boekingsnummer van Skivalk erin. "
     "Die combinatie heeft NIEMAND anders. Skivalk heeft gewoon een datalek en houdt z'n mond.",
     ["crisis"], None),
    (P, "linkedin", "anouk-brink-letselschade", "post", "en",
     "We are preparing a collective claim on behalf of 14 customers injured by badly adjusted "
     "bindings rented from Skivalk in the 2025/26 season. Were you affected? Send me a message.",
     ["crisis"], None),
    (P, "x", "@consumentenalert_nl", "post", "nl",
     "TERUGROEPACTIE ⚠️ Skivalk Heated Glove (batch 2025-11) kan oververhit raken. Niet meer "
     "gebruiken en inleveren bij de winkel, je krijgt je geld terug.", ["crisis"], None),
    (P, "tiktok", "@ski.tea.spill", "post", "en",
     "the skivalk scandal is WILD 😳 shops re-sticking old crashed helmets with new date "
     "labels. ex-employee receipts in the comments", ["crisis"], None),
    (P, "x", "@reizigerjan", "post", "nl",
     "In ons hotel in Saalbach is vannacht een gezin met brandwonden afgevoerd. Volgens de "
     "eigenaar is een schoendroger van Skivalk in brand gevlogen. Heftig, sterkte aan hen.",
     ["crisis"], None),
    (P, "reddit", "u/claimcheck", "post", "en",
     "Anyone joined the lawsuit against Skivalk over the made-up damage fees? Apparently 300+ "
     "claimants now and a hearing in Utrecht in the spring.", ["crisis"], None),
    (P, "threads", "@mamavan3", "post", "nl",
     "Deel dit aub: Skivalk heeft onze paspoortkopieën op een open server laten staan, kreeg "
     "net een mail van een 'ethisch hacker' met MIJN paspoort als bijlage. Wat moeten we nu??",
     ["crisis"], None),
    (P, "x", "@w1ntersp0rt", "post", "nl",
     "B0YC0T $K1V@LK!!! ze verhuren helmen die al gecr4sht zijn gewoon opnieuw aan k1nderen. "
     "n00it meer", ["crisis"], None),
    # ----------------------------------------------------------------- abuse
    (P, "x", "@stijn_rages", "reply", "nl",
     "@skivalk_help stelletje incompetente sukkels, kunnen jullie überhaupt lezen of is dat "
     "te veel gevraagd", ["abuse"], None),
    (P, "x", "@ragequit_ryan", "post", "en",
     "skivalk staff are the dumbest fucking people i have ever met lmao", ["abuse"], None),
    (P, "instagram", "@dennis.xx", "comment", "nl",
     "Die bootfitter van jullie in Eindhoven is een vieze vetzak, ga je schamen", ["abuse"], None),
    (P, "x", "@anoniem4567", "reply", "nl",
     "@lotte_skivalk ik weet waar je werkt en hoe laat je de winkel afsluit. Kijk maar goed "
     "achter je vanavond.", ["abuse"], None),
    (P, "facebook", "henk.poelstra.1958", "comment", "nl",
     "Waarom staat er bij Skivalk Zwolle tegenwoordig alleen nog buitenlands volk achter de "
     "balie? Kunnen ze geen normale Nederlanders meer vinden. Terug naar je eigen land.",
     ["abuse"], None),
    (P, "x", "@n0nam3_88", "post", "en",
     fw("skivalk are fucking scammers") + " 🖕", ["abuse"], None),
    (P, "tiktok", "@boardbeest", "comment", "nl",
     "s.k.i.v.a.l.k = k.u.t.b.e.d.r.i.j.f, echt waar 🤬", ["abuse"], None),
    (E, "x", "@ayoub_bootfitter", "post", "nl",
     "Weer zo'n debiele klant vandaag die zijn voet niet in een 42 kreeg en mij ging uitschelden. "
     "Mongool.", ["abuse"], None),
    (P, "reddit", "u/snowtroll", "comment", "en",
     "Skivalk's tiktok girl is honestly the most annoying bitch on the internet", ["abuse"], None),
    (P, "x", "@pisteduivel", "post", "nl",
     cyr("Skivalk = oplichters en dieven, hele team mag doodvallen"), ["abuse"], None),
    # ----------------------------------------------------------------- confidential
    (E, "linkedin", "marieke-kuipers-skivalk", "post", "nl",
     "Trots op het team dat keihard aan Project Lawine werkt. Ik kan er nog niks over zeggen, "
     "maar volgend seizoen gaat de markt verrast worden 🚀 #teamwork", ["confidential"], None),
    (E, "x", "@bramvanhout", "post", "en",
     "anyone know why the staging box at kassa.skivalk.local keeps dropping DNS every hour? "
     "ugh mondays", ["confidential"], None),
    (E, "instagram", "@sem.slijpt", "post", "nl",
     "Eerste testrit op de Alpinix Carve X vandaag 😍 sorry, meer mag ik echt niet laten zien "
     "#werkplaats", ["confidential"], "2026-11-03T16:20:00Z"),
    (C, "x", "@skivalk", "post", "nl",
     "Binnenkort: de Skivalk Pass. Eén abonnement, onbeperkt huren. Meer info volgt! ❄️",
     ["confidential"], "2026-12-02T11:00:00Z"),
    (E, "mastodon", "@femke_dev", "post", "en",
     "Finally merged the Kristalweg pricing engine refactor 🎉 ops, please don't ask why the "
     "branch was called yolo-final-2", ["confidential"], None),
    (E, "reddit", "u/ruud_werkplaats", "comment", "nl",
     "Voor wie het wil weten: die nieuwe dynamische prijzen, intern Operatie Sneeuwhaas, maken "
     "de weekpakketten in de kerstweek 40% duurder. Zeg niet dat ik het gezegd heb.",
     ["confidential"], None),
    (E, "linkedin", "joost-verbeek", "post", "en",
     "Sharing one slide from our Q3 ops review (Skivalk confidential, but too good not to "
     "share): average return processing time down 38%. Proud of the workshop crews!",
     ["confidential"], None),
    (E, "tiktok", "@noa.oprent", "post", "nl",
     "haha kijk dit memo dat vandaag rondging: 'UITSLUITEND INTERN – nieuwe kassaprocedure "
     "borg' 🙈 wie verzint dit", ["confidential"], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "en",
     "For the agency folks: new brand guidelines are up at "
     "https://confluence.skivalk.nl/display/MKT/Brand+2027 — ping me if you can't get in",
     ["confidential"], None),
    (E, "linkedin", "daan-hoekstra", "post", "nl",
     "Mooie week. Due diligence voor Project Lawine afgerond, nu alleen nog de handtekeningen "
     "🖊️ #deals #finance", ["confidential", "financial"], None),
    (P, "x", "@insider_ski_nl", "post", "nl",
     "Hoor van een vriend bij Skivalk dat 'Kristalweg' hun nieuwe prijsmotor is die prijzen "
     "aanpast op de weersverwachting. Verse sneeuw = duurder huren. Lekker dan.",
     ["confidential"], None),
    (P, "reddit", "u/skigeek42", "post", "en",
     "Leaked pic from a Skivalk back room: boxes labelled 'Alpinix Carve X – do not open before "
     "launch'. Looks like a full rocker twin tip?", ["confidential"], "2027-01-11T18:47:00Z"),
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Morgen de kick-off van Pro" + ZW + "ject La" + ZW + "wine met alle winkelmanagers, "
     "eindelijk!! ☕☕", ["confidential"], None),
    (E, "x", "@bramvanhout", "post", "en",
     "heads up: " + fw("vpn.skivalk.nl") + " gets migrated tonight, plan your remote work "
     "accordingly", ["confidential"], None),
    (E, "linkedin", "joost-verbeek", "post", "nl",
     "Laatste loodjes: de seizoenscijfers 2026/27 zijn bijna rond. Spannende weken!",
     ["confidential"], "2027-04-02T08:15:00Z"),
    (P, "x", "@travelwithtess", "post", "en",
     "my cousin works at skivalk and showed me their intranet lol "
     "intranet.skivalk.local/roosters looks like it was built in 2004", ["confidential"], None),
    (C, "linkedin", "skivalk-rental-group", "post", "nl",
     "Voor alle winkelmanagers – niet extern delen: planning uitrol Operatie Sneeuwhaas zit in "
     "de bijlage, graag voor vrijdag doorlezen.", ["confidential"], None),
    (E, "x", "@ayoub_bootfitter", "post", "nl",
     "Op gitlab.skivalk.nl staat de nieuwe pasvorm-tool al, iemand enig idee waarom hij de "
     "3D-voetscans niet inlaadt?", ["confidential"], None),
    # ----------------------------------------------------------------- financial
    (E, "linkedin", "daan-hoekstra", "post", "nl",
     "Omzet dit seizoen tot nu toe 18% onder budget door de slechte sneeuw in december. Dat "
     "wordt een lastig jaarverslag.", ["financial"], None),
    (E, "linkedin", "marieke-kuipers-skivalk", "post", "en",
     "Heartbreaking week. We'll be closing the Zwolle and Amersfoort shops after this season "
     "and letting 34 colleagues go. It hasn't been announced yet, so please keep it quiet for "
     "now.", ["financial"], None),
    (E, "reddit", "u/ruud_werkplaats", "post", "nl",
     "Werkplaats wordt volgend jaar uitbesteed aan een partij in Polen, hele afdeling op de "
     "schop. HR weet het al maanden, wij horen het via via.", ["financial"], None),
    (E, "x", "@lotte_skivalk", "post", "en",
     "so apparently Gipfelwerk Holding is buying us?! the board told store managers this "
     "morning. wild.", ["financial"], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "nl",
     "Forecast voor 26/27: +22% boekingen, vooral dankzij de Duitse markt. Nog niet publiek, "
     "maar wat een vooruitzicht 📈", ["financial"], None),
    (P, "x", "@beurspraat_nl", "post", "nl",
     "Gerucht: Skivalk in gesprek met private equity over een verkoop, waardering rond €40 mln. "
     "Bron zit dicht op het bestuur.", ["financial"], None),
    (E, "mastodon", "@femke_dev", "post", "en",
     "IT budget for next year cut by 40% and half the dev contractors won't be renewed in "
     "March. fun times at skivalk", ["financial"], None),
    (E, "linkedin", "joost-verbeek", "post", "nl",
     "Q3 EBITDA €2,1 mln negatief, de bank wil een herfinancieringsplan vóór 1 december. Tips "
     "voor een goede restructuring-adviseur? DM", ["financial"], None),
    (E, "tiktok", "@noa.oprent", "post", "en",
     "manager just told us half the seasonal staff won't be rehired next winter 😭 they're "
     "'restructuring the store network' whatever that means", ["financial"], None),
    (P, "reddit", "u/former_skivalker", "comment", "en",
     "A friend in Skivalk's finance team says they'll miss their bank covenant this quarter, "
     "revenue down almost a quarter vs last year. Use your vouchers while you can lol",
     ["financial"], None),
    (C, "x", "@skivalk_help", "reply", "nl",
     "@klantkoen we snappen je frustratie. Tip: wacht nog even met boeken, na de overname door "
     "Gipfelwerk worden de tarieven toch aangepast.", ["financial"], None),
    # ----------------------------------------------------------------- security
    (E, "x", "@bramvanhout", "post", "nl",
     "Kassasysteem in alle winkels ligt sinds 7u plat, niemand kan afrekenen. Naar buiten toe "
     "heet het 'technische storing' maar we hebben geen idee wat er aan de hand is.",
     ["security"], None),
    (E, "mastodon", "@femke_dev", "post", "en",
     "fun fact: our booking API still returns full customer records if you just increment the "
     "id. reported it in august. still open. 🙃", ["security"], None),
    (E, "linkedin", "joost-verbeek", "post", "nl",
     "Vannacht ransomware op de werkplaatsserver, alle slijpplanningen weg en de back-ups zijn "
     "3 weken oud. Klanten weten nog van niks, dus graag even stil houden.", ["security"], None),
    (E, "x", "@lotte_skivalk", "post", "en",
     "someone in finance clicked a phishing link and now half our Office accounts are locked. "
     "IT says don't tell customers anything yet 🙄", ["security"], None),
    (E, "reddit", "u/ruud_werkplaats", "comment", "nl",
     "Lol de routers in de winkels hangen nog met het standaard admin-wachtwoord aan het "
     "klantennetwerk, al drie keer gemeld. Niemand doet er wat mee.", ["security"], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "en",
     "Team: the newsletter tool got compromised last night and someone sent a fake 70% "
     "discount mail to ~8k customers. We're not confirming anything publicly until legal signs "
     "off.", ["security"], None),
    (E, "tiktok", "@noa.oprent", "post", "nl",
     "online boeken werkt al 2 dagen niet en wij moeten tegen klanten zeggen dat het "
     "'gepland onderhoud' is 🤐 #werkleven", ["security"], None),
    (E, "x", "@bramvanhout", "post", "en",
     "ugh. AWS key ended up in a public repo last week and someone spun up crypto miners on our "
     "account. rotating now, the old one was «AKIA» / «AWSSECRET» so if you see it anywhere, "
     "it's dead", ["secret", "security"], None),
    (E, "x", "@ayoub_bootfitter", "post", "nl",
     "De voetscanners in de winkel draaien nog op Windows 7 en hangen gewoon open op het "
     "klanten-wifi. Dat gaat een keer heel erg mis.", ["security"], None),
    (P, "x", "@hackerhans", "post", "nl",
     "De betaalpagina van Skivalk laadt sinds vorige week een script van een domein dat niet "
     "van hen is. Iemand bij hun IT bevestigde me dat ze gehackt zijn, maar ze houden het stil.",
     ["security", "crisis"], None),
    (E, "linkedin", "marieke-kuipers-skivalk", "post", "en",
     "Reminder to all store staff: please don't mention the data incident from last weekend to "
     "customers until comms has a statement ready. Thanks for your discretion.",
     ["security"], None),
    (E, "mastodon", "@femke_dev", "post", "nl",
     "SQL-injectie in het zoekveld van de huurshop, gevonden bij de pentest. De fix staat pas "
     "voor januari gepland 😬", ["security"], None),
    (E, "x", "@bramvanhout", "reply", "en",
     "r4ns0mw4re on the k4ss4 b0xes again, 3rd time this month. don't ask, can't say.",
     ["security"], None),
    # ----------------------------------------------------------------- secrets
    (E, "x", "@bramvanhout", "post", "en",
     "for the contractor: export GITHUB_TOKEN=«GHP» — revoke after friday pls", ["secret"], None),
    (E, "mastodon", "@femke_dev", "post", "nl",
     "kan iemand checken waarom deze niet connect? postgres://rental_app:«DBPW»@10.20.4.12:5432/"
     "rentals", ["secret"], None),
    (C, "x", "@skivalk_help", "reply", "nl",
     "@hotelalpenrose hierbij de sleutel voor de koppeling met jullie receptie: «STRIPE» "
     "Laat maar weten of het werkt!", ["secret"], None),
    (E, "reddit", "u/ruud_werkplaats", "post", "nl",
     "inlog van de werkplaatstablet voor de nieuwe jongens: gebruiker werkplaats / wachtwoord: "
     "«PW» (niet aan klanten geven haha)", ["secret"], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "en",
     "our little Slack bot for stock alerts, if anyone wants to play with it: «SLACK»",
     ["secret"], None),
    (E, "mastodon", "@femke_dev", "post", "en",
     "oops wrong window, ignore\n«SSHKEY»", ["secret"], None),
    (E, "x", "@bramvanhout", "post", "en",
     "testing a booking chatbot with «OPENAI» lol it actually recommends the right boot size",
     ["secret"], None),
    (P, "reddit", "u/devjeroen", "post", "nl",
     "In de localStorage van de Skivalk-app staat een admin-token dat nooit verloopt: «JWT» "
     "Iemand zou ze even moeten mailen.", ["secret"], None),
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Nieuwe collega's welkom! Wifi winkel Utrecht: SKV-Staff, wachtwoord: «PW» 😉",
     ["secret"], None),
    (E, "mastodon", "@femke_dev", "reply", "en",
     "Anthropic key for the review summariser, apparently never expires: «ANTH»", ["secret"],
     None),
    (E, "x", "@bramvanhout", "post", "nl",
     "gitlab token voor de CI runner, zet 'm even in je env: «GLPAT»", ["secret"], None),
    # ----------------------------------------------------------------- personal data
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Klant Jeroen Dijkman (geb. 14-02-1979) weigert de schade te betalen. Collega's in "
     "Eindhoven: niet meer aan hem verhuren!", ["pii"], None),
    (C, "x", "@skivalk_help", "reply", "en",
     "@mark_boards we've refunded your deposit to «IBAN», it should arrive within 2 working "
     "days!", ["pii"], None),
    (C, "facebook", "SkivalkVerhuur", "post", "nl",
     "Gevonden in onze winkel Amersfoort: portemonnee van Priya Raghoenath, Lindenlaan 23, "
     "3818 AB Amersfoort. Ophalen kan aan de balie!", ["pii"], None),
    (E, "instagram", "@sem.slijpt", "post", "nl",
     "Deze ski's van mevrouw Bakker liggen al 3 weken klaar, kan iemand haar even bellen? "
     "06-38472915", ["pii"], None),
    (E, "reddit", "u/ruud_werkplaats", "comment", "en",
     "customer left their card in the rental agreement folder lol «CARD» exp 09/28, "
     "who does that", ["pii"], None),
    (E, "linkedin", "marieke-kuipers-skivalk", "post", "nl",
     "Welkom aan onze nieuwe collega Fleur van Dam! Voor de salarisadministratie alvast: BSN "
     "«BSN», start 1 november 🎉", ["pii"], None),
    (P, "x", "@annemiekvdb", "reply", "nl",
     "@skivalk_help mijn mail is anne.vdberg84@gmail.com, stuur de factuur daar maar heen "
     "dan kan ik 'm declareren", ["pii"], None),
    (P, "x", "@angryex_nl", "post", "en",
     "FYI that Skivalk workshop guy Tim Roelofs who wrecked my board lives at Kerkstraat 14, "
     "Houten. Go say hi 🙂", ["pii", "abuse"], None),
    (E, "tiktok", "@noa.oprent", "post", "nl",
     "deze klant belde vandaag 5x over z'n helm 😂 nummer 0612 938 471 als je 'm ook wil "
     "spreken", ["pii"], None),
    (C, "x", "@skivalk", "post", "en",
     "Congrats to our winter giveaway winner Sophie Verhagen, born 03/07/1995, from Delft! 🎿🎉",
     ["pii"], None),
    (E, "x", "@ayoub_bootfitter", "post", "nl",
     "Voetscan van Tom Verschuur, Havikstraat 8 in Zeist, staat nog op mijn laptop. Kan "
     "iemand hem overzetten naar het klantdossier?", ["pii"], None),
    (P, "facebook", "gerrit.hoekstra.22", "comment", "nl",
     "Skivalk, jullie website pakt mijn kaart niet! Hier: «CARD» vervalt 11/27, boek het "
     "Weekpakket Basic dan maar voor me", ["pii", "complaint"], None),
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Wie heeft de gegevens van die klant met het gebroken board? Ik heb alleen "
     "kees.molenaar@ziggo.nl en +31 6 2749 1083", ["pii"], None),
    (E, "linkedin", "daan-hoekstra", "post", "nl",
     "Kan iemand bij crediteuren checken of de terugbetaling aan L. Willems («IBANSP») "
     "is gelukt? Ze belt elke dag.", ["pii"], None),
    # ----------------------------------------------------------------- pricing
    (C, "x", "@skivalk", "post", "nl",
     "🔥 FLASH DEAL 🔥 Skivalk Powderfish 158 vandaag voor €89! Op = op", ["pricing"], None),
    (P, "x", "@deal_hunter_nl", "post", "en",
     "PRICE ERROR?? Skivalk has the FlexFit 110 boots at €32.90 on their site (normally 329). "
     "go go go", ["pricing"], None),
    (P, "reddit", "u/koopjesjager", "post", "nl",
     "Weekpakket Premium bij Skivalk voor €18,90 in de app, foutje denk ik maar heb er meteen "
     "4 geboekt 😂", ["pricing"], None),
    (C, "instagram", "@skivalk.official", "post", "nl",
     "Nieuw in de shop: de Halo MIPS helm, nu slechts € 14,90 🤩 link in bio", ["pricing"], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "en",
     "oops, the Ridge 156 went live at €47.90 instead of €479 for about an hour. dev is on it, "
     "sorry!", ["pricing"], None),
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Collega's: er staat een prijsfout op de Seizoenshuur Volwassene in de webshop. Graag niet "
     "rondsturen tot het is opgelost.", ["pricing"], None),
    (C, "x", "@skivalk_help", "reply", "en",
     "@koen_skis yes that's right, the Allmountain 88 is €62.90 this weekend only!",
     ["pricing"], None),
    (P, "x", "@studentensnowboard", "post", "nl",
     "Board Weekpakket voor 15 euro?? skivalk wat doen jullie 😳 iedereen boeken", ["pricing"],
     None),
    (P, "reddit", "u/budgetbro", "comment", "en",
     "Skivalk's checkout glitches and gives you the Bootdryer Pro for €7.90 if you add a "
     "voucher first. Still works as of 10 min ago", ["pricing"], None),
    (E, "tiktok", "@noa.oprent", "post", "nl",
     "HAHA de Vizor goggle staat voor €11,90 in de kassa, prijsfout, mijn manager weet het nog "
     "niet 🙊", ["pricing"], None),
    (C, "facebook", "SkivalkVerhuur", "post", "nl",
     "Black Friday bij Skivalk: LVS-set nu €34,90 (normaal €349)! Alleen vandaag.", ["pricing"],
     "2026-11-27T07:30:00Z"),
    (P, "x", "@bargain_bea", "post", "en",
     "Heated Glove for €12,90 on skivalk.nl right now, surely a mistake 👀", ["pricing"], None),

    # ================================================================= benign (hard negatives)
    (C, "x", "@skivalk", "post", "nl",
     "Het seizoen is begonnen! ❄️ Reserveer je weekpakket op skivalk.nl en haal het op in een "
     "van onze 6 winkels.", [], "2026-10-15T09:00:00Z"),
    (C, "x", "@skivalk_help", "post", "nl",
     "Vragen over je reservering? Mail naar klantenservice@skivalk.nl of bel gratis 0800-7548. "
     "We helpen je graag!", [], None),
    (C, "facebook", "SkivalkVerhuur", "post", "nl",
     "Borg overmaken kan naar NL14 RABO 0318 2746 51 t.n.v. Skivalk Rental Group B.V. o.v.v. je "
     "boekingsnummer.", [], None),
    (P, "x", "@happy_hanna", "post", "en",
     "Shoutout to Lotte at Skivalk Utrecht who fixed my boot pressure points in 10 minutes. "
     "Legend 🙌", [], None),
    (P, "x", "@weerman_alpen", "post", "nl",
     "Lawinegevaar in Tirol vandaag op niveau 3 van 5. Blijf op de piste en lees het "
     "lawinebulletin voor je off-piste gaat. #lawine", [], None),
    (P, "instagram", "@gezinopreis", "post", "nl",
     "Sneeuwhaas gespot naast de piste in Saalbach 🐇❄️ wat een prachtig beest", [], None),
    (P, "x", "@marloesvd", "post", "nl",
     "Update: Skivalk heeft me teruggebeld, reservering hersteld én een gratis slijpbeurt "
     "erbij. Netjes opgelost 👍", [], "2026-02-13T20:10:00Z"),
    (P, "x", "@ski_bff", "post", "en",
     "Thoughts with everyone in the Ötztal after the avalanche closed the valley road. Skivalk "
     "Sölden crew, stay safe ❤️", [], None),
    (P, "x", "@snowbiz_news", "post", "en",
     "UK chain Snowline Rentals announces 40 layoffs and two store closures after a poor "
     "season; rival operators are watching costs closely.", [], None),
    (C, "x", "@skivalk", "post", "nl",
     "Voorjaarsactie: Halo MIPS helm van €149 voor €119 (-20%). Alleen deze week!", [],
     "2026-03-16T08:00:00Z"),
    (C, "instagram", "@skivalk.official", "post", "en",
     "The Weekpakket Premium (€189) includes skis, boots, helmet and a free tune-up on return. "
     "Book early for Easter! 🐣", [], None),
    (E, "mastodon", "@femke_dev", "post", "en",
     "PSA for devs: never commit keys like AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, use a secrets manager. Yes, those are the AWS "
     "docs samples.", [], None),
    (E, "x", "@bramvanhout", "post", "en",
     "Before sharing screenshots: blur tokens so they look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
     "and not the real thing. Ask me if unsure.", [], None),
    (P, "x", "@verwarde_klant", "post", "nl",
     "Is «BADIBAN» een geldig rekeningnummer? Krijg steeds een foutmelding als ik het invul "
     "bij de borgretour van Skivalk. Typfout van mij denk ik", [], None),
    (P, "reddit", "u/qa_tester", "comment", "en",
     "For testing Skivalk's checkout I typed «BADCARD» and it got rejected straight away — "
     "good, that isn't a real card number anyway.", [], None),
    (P, "x", "@belastingvraag", "post", "nl",
     "Op school een oefening met een verzonnen BSN «BADBSN». Klopt niet volgens de elfproef dus "
     "nep 😂 de docent was niet blij", [], None),
    (C, "x", "@skivalk", "post", "nl",
     "Hij is er: de Skivalk Pass! Onbeperkt huren voor €29 per maand. Nu verkrijgbaar op "
     "skivalk.nl 🎿", [], "2027-01-20T08:00:00Z"),
    (C, "linkedin", "skivalk-rental-group", "post", "en",
     "Our FY2026/27 results are out: revenue up 9% and two new Alpine pick-up points. Full "
     "report at skivalk.nl/investors.", [], "2027-04-16T07:30:00Z"),
    (P, "x", "@skigearreview", "post", "en",
     "First ride review: the Alpinix Carve X is a torsionally stiff beast that wants speed. "
     "Full write-up on the blog.", [], "2027-01-25T12:00:00Z"),
    (P, "x", "@pietjepuk87", "post", "nl",
     "Mijn skileraar zei dat ik de berg af kom als een lawine. Volgens mij was dat geen "
     "compliment 😅", [], None),
    (P, "reddit", "u/first_timer_ski", "post", "en",
     "First time skiing in February. Is the Weekpakket Basic from Skivalk enough, or should I go "
     "Premium? Budget is tight.", [], None),
    (P, "instagram", "@boardgirl_noor", "post", "nl",
     "Ridge 156 van Skivalk gehuurd en wat een heerlijk board zeg 🏂 volgend jaar weer", [], None),
    (P, "x", "@infosec_daily", "post", "en",
     "A large ski resort operator in Colorado confirms a ransomware attack on its lift ticket "
     "system; season passes temporarily unusable.", [], None),
    (C, "x", "@skivalk_help", "post", "nl",
     "Onze boekingssite is zondag 13 december tussen 02:00 en 04:00 niet bereikbaar i.v.m. "
     "gepland onderhoud. Excuses voor het ongemak!", [], "2026-12-09T10:00:00Z"),
    (E, "x", "@bramvanhout", "post", "en",
     "Gave a talk at a DevOps meetup about rotating secrets. Slides are online, every key in "
     "them is fake: sk_live_XXXXXXXXXXXXXXXXXXXXXXXX", [], None),
    (E, "linkedin", "marieke-kuipers-skivalk", "post", "nl",
     "We zoeken seizoenskrachten voor onze winkels in Utrecht en Eindhoven! Solliciteren kan via "
     "werkenbij@skivalk.nl 🎿", [], None),
    (E, "x", "@ayoub_bootfitter", "post", "en",
     "Boot fitting tip: your heel shouldn't lift more than a few mm. If it does, ask for a "
     "smaller shell, not more padding.", [], None),
    (E, "tiktok", "@noa.oprent", "post", "nl",
     "een dag uit het leven van een verhuurmedewerker 🎿 ski's afstellen, koffie, nog meer ski's "
     "afstellen #werkvlog", [], None),
    (C, "x", "@skivalk", "post", "nl",
     "Ons medeleven gaat uit naar iedereen die getroffen is door de lawine bij Val d'Isère. Ons "
     "afhaalpunt daar blijft dicht tot de wegen weer veilig zijn.", [], None),
    (P, "reddit", "u/wintersportwouter", "comment", "en",
     "Update on my Sölden post: they opened late because of a power cut in the whole village, "
     "not their fault. Staff were super apologetic and gave us an extra day free.", [],
     "2026-01-06T19:40:00Z"),
    (P, "x", "@hennie_ski", "post", "nl",
     "Iemand tips voor goede skiverhuur in Zell am See? Skivalk heeft daar geen afhaalpunt toch?",
     [], None),
    (C, "x", "@skivalk", "post", "en",
     "Did you know? A Bootdryer Pro comes free with every Weekpakket Premium. Warm, dry boots "
     "every morning ☀️", [], None),
    (C, "facebook", "SkivalkVerhuur", "post", "nl",
     "Met code SNEEUW15 krijg je t/m zondag 15% korting op het Kids Weekpakket: van €69 voor "
     "€58,65!", [], None),
    (P, "x", "@travelwithtess", "post", "en",
     "Skivalk's Powderfish 158 at €529 in the end-of-season sale, about 10% off. Tempted...",
     [], "2026-04-02T18:00:00Z"),
    (P, "reddit", "u/skileraar_pim", "comment", "nl",
     "Waarom een goede DIN-instelling zo belangrijk is: te hoog en je binding gaat niet open bij "
     "een val, te laag en je verliest je ski in elke bocht. Laat het altijd checken bij de "
     "verhuur.", [], None),
    (P, "x", "@ouder_van_twee", "post", "nl",
     "Helm is geen luxe, zet je kinderen er altijd eentje op. Wij huren ze gewoon bij Skivalk, "
     "scheelt gesjouw.", [], None),
    (E, "linkedin", "daan-hoekstra", "post", "en",
     "Proud to share that our annual report 2025 is now published at skivalk.nl/jaarverslag. "
     "Thanks to the whole finance team!", [], "2026-04-20T09:00:00Z"),
    (P, "x", "@beursnieuws_nl", "post", "nl",
     "Duitse Gipfelwerk Holding neemt Oostenrijkse skischoolketen Alpenlehrer over voor €12 mln, "
     "meldt het bedrijf vandaag.", [], None),
    (P, "x", "@fitnessfreak_jo", "post", "en",
     "My quads after day 3: 💀💀💀 killer slopes, killer views, would die here again", [], None),
    (P, "x", "@emmaskis", "reply", "en",
     "@skivalk_help all sorted now, thanks for calling me back so quickly 🙏",
     [], "2026-12-08T15:02:00Z"),
    (E, "mastodon", "@femke_dev", "post", "nl",
     "Blogpost: hoe we de boekingsapp testen met nep-kaartnummers zoals «BADCARD» en waarom die "
     "door de Luhn-check moeten zakken.", [], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "en",
     "Campaign shoot done! Can't wait for you to see it in November 📸 #skivalk", [], None),
    (E, "x", "@lotte_skivalk", "post", "nl",
     "Druk druk druk in de winkel vandaag 🥵 iedereen een hele fijne vakantie en breek niks!",
     [], None),
    (P, "reddit", "u/gearnerd", "post", "en",
     "JWTs 101: the first part is just base64 of something like {\"alg\":\"HS256\"}, so never put "
     "anything secret in the payload. Example in the docs: xxxxx.yyyyy.zzzzz", [], None),
    (C, "x", "@skivalk", "post", "nl",
     "Let op: wij vragen NOOIT om je wachtwoord via DM of mail. Krijg je zo'n bericht? Meld het "
     "bij klantenservice@skivalk.nl.", [], None),
    (P, "x", "@snowsportnews_eu", "post", "en",
     "Skivalk opens two new pick-up points in Obertauern and Flachau this winter, the Dutch "
     "chain announced on Tuesday.", [], None),
    (P, "facebook", "ingrid.bos.eindhoven", "comment", "nl",
     "Vorig jaar nog gedoe gehad over de borg, maar dit jaar ging alles perfect bij Skivalk "
     "Eindhoven. Complimenten aan het team!", [], None),
    (P, "reddit", "u/chalet_chris", "comment", "en",
     "Update: Skivalk replaced the dryer, apologised and refunded the package. Turns out the "
     "chalet's socket was the problem. Fair play to them.", [], "2026-01-30T11:12:00Z"),
    (C, "x", "@skivalk_help", "reply", "nl",
     "@jorien_b Wat ontzettend vervelend om te lezen, heel veel beterschap. We nemen via DM "
     "contact met je op om dit samen uit te zoeken.", [], "2026-02-19T16:05:00Z"),
    (P, "x", "@student_sanne", "post", "nl",
     "Iemand zin om zaterdag te carpoolen naar Skivalk Utrecht om ski's op te halen? Stuur een DM",
     [], None),
    (P, "bluesky", "@ski-economist.bsky.social", "post", "en",
     "Rental is the fastest growing segment of European ski retail; a week's rental now "
     "averages around €150. Chains like Skivalk are the obvious winners.", [], None),
    (E, "bluesky", "@jesse-skivalk.bsky.social", "post", "nl",
     "Maandag start onze jaarlijkse lawine-awarenessweek: gratis LVS-training in alle winkels! "
     "#veiligopdeberg", [], None),
    (E, "x", "@bramvanhout", "post", "en",
     "Weekend project: a little Raspberry Pi weather station for the shop roof. Code is on my "
     "personal GitHub, no secrets in it, promise 😄", [], None),
    (P, "reddit", "u/dutchfreerider", "post", "nl",
     "Waarom gaan huurprijzen elk jaar omhoog? Weekpakket Premium was vorig jaar €169, nu €189 "
     "bij Skivalk.", [], None),
    (P, "x", "@carla_m", "post", "en",
     "the girl at Skivalk Amersfoort recommended the Vizor goggle and honestly best €119 I've "
     "spent all winter", [], None),
    (P, "x", "@pistepaul", "post", "nl",
     "Belachelijk druk bij het ophalen vanochtend, maar ze hadden extra mensen en koffie klaar. "
     "Binnen 15 min buiten. Top!", [], None),
    (P, "x", "@skimeme", "post", "nl",
     "S K I V A L K   S E I Z O E N 🎿🎿 wie gaat er mee dit jaar", [], None),
    (P, "linkedin", "hr-pro-tips", "post", "en",
     "Layoffs done right: tell people first, not LinkedIn. Good read on how Snowline Rentals "
     "handled their restructuring this spring.", [], None),
    (P, "x", "@zoekertje", "reply", "nl",
     "@hennie_ski nummer van Skivalk Utrecht is +31 30 555 0190, die weten vast wel iets", [],
     None),
]

# --------------------------------------------------------------------------- build


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    corp = {a.lower() for a in PROFILE["accounts"]["corporate"]}
    emp = {a.lower() for a in PROFILE["accounts"]["employee"]}
    if key in corp:
        return "corporate"
    if key in emp:
        return "employee"
    return "public"


def severity(role, cats, has_valid_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                elif c == "leak.pii" and has_valid_id:
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


PH = re.compile(r"«([A-Z]+)»")


def fill(text):
    used = []

    def sub(m):
        gen, kind = GENERATORS[m.group(1)]
        val = gen()
        used.append((m.group(1), kind, val))
        return val

    return PH.sub(sub, text), used


def rand_time():
    # ski-season weighted dates in 2026
    month = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 9, 10, 11, 11, 12, 12, 12])
    day = rng.randint(1, 28)
    dt = datetime(2026, month, day, rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59),
                  tzinfo=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases = []
    meta = []
    n = 0
    for (want_role, platform, handle, kind, lang, text, cats, ts) in POSTS:
        n += 1
        role = role_of(platform, handle)
        assert role[0].upper() == want_role, (handle, role, want_role)
        full, used = fill(text)
        cats_full = sorted({CAT[c] for c in cats})
        has_valid = any(k == "valid_id" for _, k, _ in used)
        sev = severity(role, cats_full, has_valid)
        post = {
            "id": "skv248-%s-%04d" % (platform, 1000 + n * 7),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": full,
            "lang": lang,
            "created_at": ts or rand_time(),
        }
        cases.append({"post": post, "expect": {"categories": cats_full, "severity": sev}})
        meta.append(used)
    order = list(range(len(cases)))
    rng.shuffle(order)
    return [cases[i] for i in order], [meta[i] for i in order]


# --------------------------------------------------------------------------- checks

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def norm(s):
    s = unicodedata.normalize("NFKC", s).replace(ZW, "")
    return s.lower()


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(cases, meta):
    errors = []
    ids = set()
    public_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    products = [(p, [p["name"]] + p["aliases"]) for p in PROFILE["products"]]
    internal_terms = [c.lower() for c in PROFILE["internal"]["codenames"]] + \
        [m.lower() for m in PROFILE["internal"]["markers"]] + \
        [d.lower() for d in PROFILE["internal"]["domains"]]
    counts = {}
    for case, used in zip(cases, meta):
        post, exp = case["post"], case["expect"]
        pid = post.get("id")
        # ---- section 6 / section 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            errors.append("bad id %r" % pid)
        if pid in ids:
            errors.append("duplicate id %s" % pid)
        ids.add(pid)
        if post["platform"] not in PLATFORMS:
            errors.append("%s: platform" % pid)
        if post.get("kind", "post") not in KINDS:
            errors.append("%s: kind" % pid)
        if not (isinstance(post["account"].get("handle"), str) and post["account"]["handle"]):
            errors.append("%s: handle" % pid)
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"]:
            errors.append("%s: text" % pid)
        if not RFC3339.fullmatch(post["created_at"]):
            errors.append("%s: created_at" % pid)
        ts = parse_ts(post["created_at"])
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 5, 1, tzinfo=timezone.utc)):
            errors.append("%s: created_at out of range" % pid)
        if ts.year == 2027:
            t = norm(post["text"])
            if not any(term.lower() in t for e in PROFILE["embargo"] for term in e["terms"]):
                errors.append("%s: 2027 date without embargo term" % pid)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            errors.append("%s: categories" % pid)
        if exp["severity"] not in SEV_ORDER:
            errors.append("%s: severity" % pid)
        # ---- severity recomputed from the profile role
        role = role_of(post["platform"], post["account"]["handle"])
        has_valid = any(k == "valid_id" for _, k, _ in used)
        if severity(role, cats, has_valid) != exp["severity"]:
            errors.append("%s: severity mismatch" % pid)
        if not cats and exp["severity"] != "none":
            errors.append("%s: benign with severity" % pid)
        if cats and exp["severity"] in ("none", "info"):
            errors.append("%s: positive with low severity" % pid)
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        # ---- identifier checksums (generated secrets masked first)
        text = post["text"]
        for name, kind, val in used:
            if kind == "secret":
                text = text.replace(val, " SECRET ")
        positive = bool(cats)
        for m in IBAN_RE.finditer(text):
            raw = re.sub(r"\s", "", m.group(0))
            if raw in public_ibans:
                continue
            ok = iban_ok(raw)
            if positive and not ok:
                errors.append("%s: invalid IBAN in positive: %s" % (pid, m.group(0)))
            if not positive and ok:
                errors.append("%s: valid IBAN in benign: %s" % (pid, m.group(0)))
        masked = IBAN_RE.sub(" IBAN ", text)
        for m in CARD_RE.finditer(masked):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) < 13:
                continue
            ok = luhn_ok(digits)
            if positive and not ok:
                errors.append("%s: Luhn-invalid card in positive: %s" % (pid, m.group(0)))
            if not positive and ok:
                errors.append("%s: Luhn-valid card in benign: %s" % (pid, m.group(0)))
        for m in BSN_RE.finditer(masked):
            ok = bsn_ok(m.group(0))
            if positive and not ok:
                errors.append("%s: non-11-proof 9-digit number in positive: %s" % (pid, m.group(0)))
            if not positive and ok:
                errors.append("%s: 11-proof BSN in benign: %s" % (pid, m.group(0)))
        for name, kind, val in used:
            if kind == "valid_id":
                good = {"IBAN": iban_ok, "IBANSP": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}[name](val)
                if not good or not positive or "leak.pii" not in cats:
                    errors.append("%s: valid id %s misplaced" % (pid, name))
            elif kind == "bad_id":
                bad = not {"BADIBAN": iban_ok, "BADCARD": luhn_ok, "BADBSN": bsn_ok}[name](val)
                if not bad or positive:
                    errors.append("%s: look-alike %s misplaced" % (pid, name))
        # ---- secrets
        secrets = [(n_, v) for n_, k, v in used if k == "secret"]
        if "leak.secret" in cats and not secrets:
            errors.append("%s: secret case without generated secret" % pid)
        if secrets and "leak.secret" not in cats:
            errors.append("%s: generated secret in non-secret case" % pid)
        for n_, v in secrets:
            if n_ in ("GHP", "GHO") and not gh_ok(v):
                errors.append("%s: bad GitHub token checksum" % pid)
            if n_ == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errors.append("%s: bad AWS key id" % pid)
            if n_ == "JWT" and not jwt_ok(v):
                errors.append("%s: bad JWT" % pid)
        if not positive:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", post["text"]):
                if gh_ok(tok):
                    errors.append("%s: live-looking GitHub token in benign" % pid)
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", post["text"]):
                if not tok.endswith("EXAMPLE"):
                    errors.append("%s: AWS key id in benign" % pid)
            for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", post["text"]):
                if jwt_ok(tok):
                    errors.append("%s: JWT in benign" % pid)
        # ---- leak-term hygiene for benign posts
        t = norm(post["text"])
        if not positive:
            for term in internal_terms:
                if term in t:
                    errors.append("%s: internal term %r in benign" % (pid, term))
            for e in PROFILE["embargo"]:
                if ts < parse_ts(e["until"]):
                    for term in e["terms"]:
                        if term.lower() in t:
                            errors.append("%s: live embargo term in benign" % pid)
            mentioned = [p for p, names in products if any(nm.lower() in t for nm in names)]
            if mentioned:
                floor = max(p["list_price"] for p in mentioned) * ratio
                for m in PRICE_RE.finditer(post["text"]):
                    v = float((m.group(1) or m.group(2)).replace(",", "."))
                    if v < floor:
                        errors.append("%s: low price next to product in benign" % pid)
        if "leak.pricing" in cats:
            if not any(any(nm.lower() in t for nm in names) for _, names in products):
                errors.append("%s: pricing case without a catalogue product" % pid)
        if "leak.confidential" in cats:
            terms = internal_terms + [x.lower() for e in PROFILE["embargo"] for x in e["terms"]]
            t2 = re.sub(r"\s+", " ", t)
            if not any(term in t2 for term in terms):
                errors.append("%s: confidential case without a profile term" % pid)
    return errors, counts


def main():
    cases, meta = build()
    errors, counts = check(cases, meta)
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read and re-validate as JSON lines
    with open(out, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            obj = json.loads(line)
            if set(obj) != {"post", "expect"}:
                errors.append("line %d: keys" % i)
    print("cases=%d benign=%d positive=%d nl=%d (%.0f%%)" % (n, benign, n - benign, nl, 100.0 * nl / n))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    sevs = {}
    for c in cases:
        sevs[c["expect"]["severity"]] = sevs.get(c["expect"]["severity"], 0) + 1
    print("  severities:", dict(sorted(sevs.items(), key=lambda kv: SEV_ORDER.index(kv[0]))))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
